/*
 * sweep.c - the coordinator loop: hand out runs, collect results into the
 * table and the journal, checkpoint, report progress.
 *
 * Invariant: a result is in the journal (flushed to disk) before the
 * coordinator hands its worker another run, so at any moment the runs
 * lost to a crash are exactly those in flight.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "sweep.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"

#include "banned.h"

int sweep_ncpus(void)
{
	cpu_set_t set;
	long n;

	if (!sched_getaffinity(0, sizeof set, &set) && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

int sweep_mpi_launched(void)
{
	static const char *const vars[] = { "OMPI_COMM_WORLD_SIZE", "PMI_SIZE",
					    NULL };

	for (int i = 0; vars[i]; i++) {
		const char *v = getenv(vars[i]);
		uint64_t n;

		if (v && !ss_parse_u64(v, &n) && n > 1 && n < 1000000)
			return (int)n;
	}
	return 0;
}

static int file_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static void fmt_eta(double s, char *buf, size_t len)
{
	if (s < 0 || s != s)
		snprintf(buf, len, "?");
	else if (s < 90)
		snprintf(buf, len, "%.0f s", s);
	else if (s < 5400)
		snprintf(buf, len, "%.1f min", s / 60);
	else
		snprintf(buf, len, "%.1f h", s / 3600);
}

/* Write a checkpoint, then empty the journal (its rows are in OUT now). */
static int checkpoint(const struct sweep_table *t, struct sweep_journal *j,
		      const struct sweep_opts *o, struct ss_err *err)
{
	struct sweep_meta meta = { .command = o->command };
	int rc = sweep_table_write_h5(t, o->out, &meta, err);

	if (!rc)
		rc = sweep_journal_reset(j, err);
	return rc;
}

int sweep_drive(const struct sweep_spec *s, const struct sweep_backend_ops *be,
		void *priv, int slots, const struct sweep_opts *o,
		struct sweep_report *rep, struct ss_err *err)
{
	struct sweep_table t;
	struct sweep_journal j = { 0 };
	struct sweep_result *res = NULL;
	struct ss_progress pr;
	char jpath[4200];
	uint64_t *todo = NULL, ntodo = 0, next = 0, inflight = 0, torn = 0;
	double t0 = ss_wall_seconds(), last_ckpt;
	int rc, jnew = 0, started = 0;

	memset(rep, 0, sizeof(*rep));
	rep->runs = s->nruns;
	rep->slots = slots;
	snprintf(jpath, sizeof jpath, "%s.journal", o->out);
	rc = sweep_table_init(&t, s, err);
	if (rc)
		return rc;
	if (!o->resume && !o->force &&
	    (file_exists(o->out) || file_exists(jpath))) {
		rc = ss_error(err, SS_EINVAL, "'%s' exists: --resume continues "
			      "that sweep, --force starts over",
			      file_exists(o->out) ? o->out : jpath);
		goto out;
	}
	/* lock first, so a second sweep on the same OUT stops here */
	jnew = !file_exists(jpath);
	rc = sweep_journal_open(&j, jpath, s, 0, err);
	if (rc)
		goto out;
	if (o->resume) {
		if (file_exists(o->out)) {
			rc = sweep_table_read_h5(&t, o->out, err);
			if (rc)
				goto out;
		}
		rc = sweep_journal_replay(&t, jpath, &torn, err);
		if (rc)
			goto out;
		if (torn)
			fprintf(stderr, "sparseserve sweep: %s: ignored a torn "
					"last record (a writer died mid-line)\n",
				jpath);
	}
	rep->skipped = t.ndone;
	rc = checkpoint(&t, &j, o, err);
	if (rc)
		goto out;
	started = 1;

	todo = malloc((s->nruns ? s->nruns : 1) * sizeof(*todo));
	res = malloc(sizeof(*res));
	if (!todo || !res) {
		rc = ss_error(err, SS_ENOMEM, "out of memory");
		goto out;
	}
	for (uint64_t r = 0; r < s->nruns; r++)
		if (!t.rows[r].done)
			todo[ntodo++] = r;

	ss_progress_init(&pr);
	last_ckpt = ss_wall_seconds();
	while (next < ntodo || inflight) {
		uint64_t lost = 0;
		int w, ev;

		while (next < ntodo && (w = be->idle(priv)) >= 0 &&
		       !(o->stop && *o->stop)) {
			rc = be->submit(priv, w, todo[next], err);
			if (rc)
				goto out;
			next++;
			inflight++;
		}
		if (!inflight && (next >= ntodo || (o->stop && *o->stop)))
			break; /* stop raised with nothing in flight */
		/* (with work left and nothing in flight, MPI workers have not
		 * said "ready" yet: wait for them) */
		ev = be->wait(priv, res, &lost, err);
		if (ev < 0) {
			rc = ev;
			goto out;
		}
		if (ev == SWEEP_EV_INTR) {
			rep->interrupted = 1;
			break;
		}
		if (ev == SWEEP_EV_LOST) {
			ss_progress_done(&pr);
			fprintf(stderr, "sparseserve sweep: %s\n", err->msg);
			inflight--;
			rep->lost++;
			continue;
		}
		if (ev != SWEEP_EV_RESULT)
			continue;
		inflight--;
		rc = sweep_table_put(&t, res, err);
		if (!rc)
			rc = sweep_journal_append(&j, res, err);
		if (rc)
			goto out;
		rep->ran++;
		rep->run_s += res->wall_s;
		{
			double now = ss_wall_seconds(), el = now - t0;
			double per = el / (double)rep->ran;
			char eta[32];

			fmt_eta(per * (double)(ntodo - rep->ran - rep->lost),
				eta, sizeof eta);
			ss_progress_update(&pr, "sweep %s: %llu/%llu runs, %llu "
					   "failed, %llu running, %.0f s, ETA %s",
					   s->name,
					   (unsigned long long)t.ndone,
					   (unsigned long long)s->nruns,
					   (unsigned long long)t.nfailed,
					   (unsigned long long)inflight, el, eta);
			if (now - last_ckpt >= o->checkpoint_s) {
				rc = checkpoint(&t, &j, o, err);
				if (rc)
					goto out;
				last_ckpt = now;
			}
		}
	}
	ss_progress_done(&pr);
	if (o->stop && *o->stop)
		rep->interrupted = 1;
	rc = checkpoint(&t, &j, o, err);
	if (rc)
		goto out;
	if (o->csv) {
		rc = sweep_table_write_csv(&t, o->csv, err);
		if (rc)
			goto out;
	}
	/* OUT holds every finished run now: the journal is not needed */
	sweep_journal_close(&j, 1);
	rep->failed = t.nfailed;
	rep->left = s->nruns - t.ndone;
	rc = rep->interrupted ? ss_error(err, SS_EINTR, "interrupted: %llu of "
					 "%llu runs done; --resume continues",
					 (unsigned long long)t.ndone,
					 (unsigned long long)s->nruns)
			      : 0;
out:
	rep->wall_s = ss_wall_seconds() - t0;
	/* a journal this call created and never used is not left behind */
	sweep_journal_close(&j, rc && jnew && !started);
	sweep_table_release(&t);
	free(todo);
	free(res);
	return rc;
}
