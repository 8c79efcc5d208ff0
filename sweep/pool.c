/*
 * pool.c - the local backends: inline (in-process) and fork (N worker
 * processes over socketpairs).
 *
 * Wire protocol of the fork backend, per worker socket: the parent
 * writes an 8-byte run number; the worker answers with a 4-byte length
 * and a result record of that many bytes (sweep/run.h). EOF on the
 * parent's side means "exit". A worker that dies shows as EOF on the
 * worker's side: the parent reaps it, reports its run as lost and forks a
 * replacement, so one bad point never stops the sweep.
 */
#include "sweep.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "banned.h"

/* ---- inline ---- */

struct inline_be {
	const struct sweep_spec *s;
	int64_t crash_run;
	volatile sig_atomic_t *stop;
	int has;
	uint64_t run;
};

static int inline_start(void *priv, const struct sweep_spec *s,
			const struct sweep_backend_opts *o, int *slots,
			struct ss_err *err)
{
	struct inline_be *b = priv;

	b->s = s;
	b->crash_run = o->crash_run;
	b->stop = o->stop;
	*slots = 1;
	return 0;
}

static int inline_idle(void *priv)
{
	return ((struct inline_be *)priv)->has ? -1 : 0;
}

static int inline_submit(void *priv, int w, uint64_t run, struct ss_err *err)
{
	struct inline_be *b = priv;

	b->has = 1;
	b->run = run;
	return 0;
}

static int inline_wait(void *priv, struct sweep_result *res, uint64_t *lost,
		       struct ss_err *err)
{
	struct inline_be *b = priv;

	if (b->stop && *b->stop)
		return SWEEP_EV_INTR;
	BUG_ON(!b->has);
	if ((int64_t)b->run == b->crash_run)
		raise(SIGKILL);
	sweep_exec(b->s, b->run, res);
	b->has = 0;
	return SWEEP_EV_RESULT;
}

static void inline_stop(void *priv)
{
	((struct inline_be *)priv)->has = 0;
}

const struct sweep_backend_ops sweep_backend_inline = {
	.name = "inline",
	.priv_size = sizeof(struct inline_be),
	.start = inline_start,
	.idle = inline_idle,
	.submit = inline_submit,
	.wait = inline_wait,
	.stop = inline_stop,
};

/* ---- fork ---- */

struct fork_worker {
	pid_t pid;     /* 0: not running */
	int fd;        /* parent's end of the socketpair, -1: none */
	int busy;
	uint64_t run;  /* when busy */
};

struct fork_be {
	const struct sweep_spec *s;
	int64_t crash_run;
	volatile sig_atomic_t *stop;
	struct fork_worker *w;
	int n;
	char *rec;     /* SWEEP_RECORD_MAX bytes: the record being read */
};

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t k = send(fd, p, len, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

/* 1 ok, 0 EOF before any byte, -1 error or EOF mid-message. */
static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t k = read(fd, p + got, len - got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			return got ? -1 : 0;
		got += (size_t)k;
	}
	return 1;
}

/* The worker process: never returns. */
static _Noreturn void worker_main(const struct fork_be *b, int fd)
{
	struct sweep_result *res = malloc(sizeof(*res));
	char *rec = malloc(SWEEP_RECORD_MAX);
	uint64_t run;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (!res || !rec)
		_exit(3);
	while (read_all(fd, &run, sizeof run) == 1) {
		uint32_t len;

		if ((int64_t)run == b->crash_run)
			raise(SIGKILL);
		sweep_exec(b->s, run, res);
		len = (uint32_t)sweep_result_format(res, rec, SWEEP_RECORD_MAX);
		if (write_all(fd, &len, sizeof len) || write_all(fd, rec, len))
			break;
	}
	free(res);
	free(rec);
	_exit(0);
}

static int spawn(struct fork_be *b, int i, struct ss_err *err)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return ss_error(err, SS_EIO, "socketpair: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return ss_error(err, SS_EIO, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		for (int k = 0; k < b->n; k++)
			if (b->w[k].fd >= 0)
				close(b->w[k].fd);
		close(sv[0]);
		worker_main(b, sv[1]);
	}
	close(sv[1]);
	b->w[i] = (struct fork_worker){ .pid = pid, .fd = sv[0] };
	return 0;
}

static void fork_stop(void *priv);

static int fork_start(void *priv, const struct sweep_spec *s,
		      const struct sweep_backend_opts *o, int *slots,
		      struct ss_err *err)
{
	struct fork_be *b = priv;

	BUG_ON(o->workers < 1);
	b->s = s;
	b->crash_run = o->crash_run;
	b->stop = o->stop;
	BUG_ON(o->workers > SWEEP_MAX_WORKERS);
	b->w = calloc((size_t)o->workers, sizeof(*b->w));
	b->rec = malloc(SWEEP_RECORD_MAX);
	if (!b->w || !b->rec)
		return ss_error(err, SS_ENOMEM, "out of memory");
	b->n = o->workers;
	for (int i = 0; i < b->n; i++)
		b->w[i].fd = -1;
	for (int i = 0; i < b->n; i++)
		if (spawn(b, i, err)) {
			fork_stop(b);
			return SS_EIO;
		}
	*slots = b->n;
	return 0;
}

static int fork_idle(void *priv)
{
	struct fork_be *b = priv;

	for (int i = 0; i < b->n; i++)
		if (!b->w[i].busy)
			return i;
	return -1;
}

/* Reap worker i after EOF; describe how it ended into buf. */
static void reap(struct fork_be *b, int i, char *buf, size_t len)
{
	int st = 0;

	close(b->w[i].fd);
	b->w[i].fd = -1;
	if (waitpid(b->w[i].pid, &st, 0) < 0)
		snprintf(buf, len, "ended");
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "was killed by signal %d", WTERMSIG(st));
	else
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
	b->w[i].pid = 0;
	b->w[i].busy = 0;
}

static int fork_submit(void *priv, int w, uint64_t run, struct ss_err *err)
{
	struct fork_be *b = priv;
	char how[64];

	BUG_ON(w < 0 || w >= b->n || b->w[w].busy);
	if (write_all(b->w[w].fd, &run, sizeof run)) {
		/* died while idle: replace it and try once more */
		reap(b, w, how, sizeof how);
		if (spawn(b, w, err))
			return SS_EIO;
		if (write_all(b->w[w].fd, &run, sizeof run))
			return ss_error(err, SS_EIO, "worker %d does not take "
					"work", w);
	}
	b->w[w].busy = 1;
	b->w[w].run = run;
	return 0;
}

static int fork_wait(void *priv, struct sweep_result *res, uint64_t *lost,
		     struct ss_err *err)
{
	struct fork_be *b = priv;
	struct pollfd pfd[SWEEP_MAX_WORKERS];
	int map[SWEEP_MAX_WORKERS];

	for (;;) {
		int np = 0, rc;

		if (b->stop && *b->stop)
			return SWEEP_EV_INTR;
		for (int i = 0; i < b->n; i++)
			if (b->w[i].busy) {
				pfd[np] = (struct pollfd){ .fd = b->w[i].fd,
							   .events = POLLIN };
				map[np++] = i;
			}
		BUG_ON(!np); /* the driver waits only with runs in flight */
		rc = poll(pfd, (nfds_t)np, 250);
		if (rc < 0 && errno != EINTR)
			return ss_error(err, SS_EIO, "poll: %s", strerror(errno));
		for (int k = 0; rc > 0 && k < np; k++) {
			int i = map[k];
			char *rec = b->rec;
			uint32_t len = 0;
			char how[64];
			int r;

			if (!pfd[k].revents)
				continue;
			r = read_all(b->w[i].fd, &len, sizeof len);
			if (r == 1 && len > 0 && len <= SWEEP_RECORD_MAX)
				r = read_all(b->w[i].fd, rec, len);
			else if (r == 1)
				r = -1;
			if (r != 1) {
				*lost = b->w[i].run;
				reap(b, i, how, sizeof how);
				ss_error(err, SS_EIO, "worker %d %s while running "
					 "run %llu (not recorded: rerun with "
					 "--resume)", i, how,
					 (unsigned long long)*lost);
				if (spawn(b, i, err))
					return SS_EIO;
				return SWEEP_EV_LOST;
			}
			b->w[i].busy = 0;
			if (sweep_result_parse(rec, len, res, err)) {
				ss_error_prefix(err, "worker %d", i);
				return SS_EIO;
			}
			return SWEEP_EV_RESULT;
		}
	}
}

static void fork_stop(void *priv)
{
	struct fork_be *b = priv;

	for (int i = 0; i < b->n; i++) {
		if (b->w[i].fd >= 0)
			close(b->w[i].fd);
		b->w[i].fd = -1;
		if (b->w[i].pid > 0) {
			if (b->w[i].busy)
				kill(b->w[i].pid, SIGTERM);
			waitpid(b->w[i].pid, NULL, 0);
		}
		b->w[i].pid = 0;
		b->w[i].busy = 0;
	}
	free(b->w);
	free(b->rec);
	b->w = NULL;
	b->rec = NULL;
	b->n = 0;
}

const struct sweep_backend_ops sweep_backend_fork = {
	.name = "fork",
	.priv_size = sizeof(struct fork_be),
	.start = fork_start,
	.idle = fork_idle,
	.submit = fork_submit,
	.wait = fork_wait,
	.stop = fork_stop,
};
