/*
 * cmd_sweep.c - `sparseserve sweep SPEC`: run every point of a sweep spec
 * on all cores of this machine, or over MPI when started by mpirun with
 * several ranks. See docs/sweeps.md and sweep/sweep.h.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sweep/sweep.h"

#include "banned.h"

struct sweep_args {
	const char *spec, *out, *csv;
	int workers;          /* -1: all cores */
	int resume, force, quiet, list;
	double checkpoint_s;
};

/* Raised by SIGINT/SIGTERM in the coordinator; read by the loop. A signal
 * handler can only reach a file-scope flag, hence this one static. */
static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sparseserve sweep SPEC.json [options]\n"
		"       mpirun -n K sparseserve sweep SPEC.json [options]\n"
		"\n"
		"Runs every point of a parameter sweep (a base `sim` run and the\n"
		"axes to vary, docs/sweeps.md) and writes one HDF5 file with one\n"
		"row per run: parameters, seed, summary metrics, wall time, host.\n"
		"\n"
		"  -j, --workers N        worker processes (default: all cores);\n"
		"                         0 runs the points in this process\n"
		"  -o, --out FILE.h5      results (default: the spec's \"out\", else\n"
		"                         SPEC with .h5 for .json)\n"
		"  --csv FILE             also export the results as CSV\n"
		"  --resume               keep the runs already in OUT (and its\n"
		"                         journal) and run the rest\n"
		"  --force                overwrite an existing OUT\n"
		"  --checkpoint SECONDS   rewrite OUT this often (default 30; every\n"
		"                         result is journaled at once anyway)\n"
		"  --list                 print the runs (run, seed, parameters), run\n"
		"                         nothing\n"
		"  --quiet                no summary on stdout\n"
		"\n"
		"Under mpirun (K > 1 ranks) rank 0 hands out points and writes the\n"
		"results; ranks 1..K-1 run points. --workers is ignored there.\n"
		"Exit status: 0 every run done and none failed, 1 otherwise,\n"
		"2 usage.\n"
		"MPI support in this build: %s\n",
		sweep_mpi_available() ? "yes" : "no");
}

static int parse_args(int argc, char **argv, struct sweep_args *a)
{
	enum { O_CSV = 256, O_RESUME, O_FORCE, O_CKPT, O_LIST, O_QUIET };
	static const struct option opts[] = {
		{ "workers", required_argument, NULL, 'j' },
		{ "out", required_argument, NULL, 'o' },
		{ "csv", required_argument, NULL, O_CSV },
		{ "resume", no_argument, NULL, O_RESUME },
		{ "force", no_argument, NULL, O_FORCE },
		{ "checkpoint", required_argument, NULL, O_CKPT },
		{ "list", no_argument, NULL, O_LIST },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->workers = -1;
	a->checkpoint_s = 30;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "j:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': {
			uint64_t n;

			if (ss_parse_u64(optarg, &n) || n > SWEEP_MAX_WORKERS) {
				fprintf(stderr, "sparseserve sweep: --workers: '%s' "
						"is not a count in [0, %d]\n",
					optarg, SWEEP_MAX_WORKERS);
				return 2;
			}
			a->workers = (int)n;
			break;
		}
		case 'o': a->out = optarg; break;
		case O_CSV: a->csv = optarg; break;
		case O_RESUME: a->resume = 1; break;
		case O_FORCE: a->force = 1; break;
		case O_LIST: a->list = 1; break;
		case O_QUIET: a->quiet = 1; break;
		case O_CKPT:
			if (ss_parse_double(optarg, &a->checkpoint_s) ||
			    !(a->checkpoint_s >= 0)) {
				fprintf(stderr, "sparseserve sweep: --checkpoint: "
						"'%s' is not a number of seconds\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "sparseserve sweep: unknown or incomplete "
					"option '%s'\n",
				argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "sparseserve sweep: no SPEC given (see --help)\n");
		return 2;
	}
	a->spec = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "sparseserve sweep: unexpected argument '%s'\n",
			argv[optind]);
		return 2;
	}
	if (a->resume && a->force) {
		fprintf(stderr, "sparseserve sweep: --resume and --force "
				"exclude each other\n");
		return 2;
	}
	return -1;
}


static void list_runs(const struct sweep_spec *s)
{
	printf("# %s: %llu points x %u repetitions = %llu runs\n", s->name,
	       (unsigned long long)s->npoints, s->reps,
	       (unsigned long long)s->nruns);
	for (uint64_t r = 0; r < s->nruns; r++) {
		struct sweep_point p;

		sweep_point_get(s, r, &p);
		printf("run=%llu point=%llu rep=%u seed=%llu",
		       (unsigned long long)r, (unsigned long long)p.point, p.rep,
		       (unsigned long long)p.seed);
		for (size_t i = 0; i < s->naxes; i++)
			printf(" %s=%s", s->axes[i].name,
			       s->axes[i].v[p.idx[i]].text);
		putchar('\n');
	}
}

/* The test hook of docs/sweeps.md: SS_SWEEP_CRASH_RUN=R. */
static int64_t crash_run(void)
{
	const char *v = getenv("SS_SWEEP_CRASH_RUN");
	uint64_t r;

	return v && !ss_parse_u64(v, &r) ? (int64_t)r : -1;
}

static int run(int argc, char **argv)
{
	struct sweep_args a;
	struct sweep_spec spec;
	struct ss_err err = { 0 };
	struct sweep_report rep;
	struct sweep_backend_opts bo = { 0 };
	const struct sweep_backend_ops *be;
	char out_buf[4096], *cmdline = NULL;
	void *priv = NULL;
	int rc, rank = 0, size = 1, mpi = 0, spec_ok, slots = 0, started = 0;
	int status = 1;

	rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	if (sweep_mpi_launched() && !a.list) {
		if (sweep_mpi_init(NULL, NULL, &rank, &size, &err)) {
			fprintf(stderr, "sparseserve sweep: %s\n", err.msg);
			return 1;
		}
		mpi = 1;
	}
	spec_ok = !sweep_spec_load(&spec, a.spec, &err);
	if (mpi && rank > 0) {
		char why[600];

		snprintf(why, sizeof why, "rank %d: %s", rank, err.msg);
		rc = sweep_mpi_worker(spec_ok ? &spec : NULL, why, crash_run(),
				      &err);
		if (rc)
			fprintf(stderr, "sparseserve sweep: rank %d: %s\n", rank,
				err.msg);
		if (spec_ok)
			sweep_spec_release(&spec);
		sweep_mpi_finalize();
		return rc ? 1 : 0;
	}

	/* coordinator (or the only process) */
	be = mpi ? &sweep_backend_mpi
		 : a.workers == 0 ? &sweep_backend_inline : &sweep_backend_fork;
	bo.workers = a.workers < 0 ? sweep_ncpus() : a.workers;
	bo.crash_run = crash_run();
	bo.stop = &stop_flag;
	if (!spec_ok && !mpi) {
		fprintf(stderr, "sparseserve sweep: %s\n", err.msg);
		return 1;
	}
	if (a.list) {
		list_runs(&spec);
		sweep_spec_release(&spec);
		return 0;
	}
	priv = calloc(1, be->priv_size);
	if (!priv) {
		ss_error(&err, SS_ENOMEM, "out of memory");
		goto fail;
	}
	if (mpi) {
		/* start first: every worker must be told to stop, whatever
		 * happens below */
		if (be->start(priv, spec_ok ? &spec : NULL, &bo, &slots, &err))
			goto fail;
		started = 1;
		if (!spec_ok)
			goto fail;
	}
	if (a.out) {
		snprintf(out_buf, sizeof out_buf, "%s", a.out);
	} else if (spec.out) {
		snprintf(out_buf, sizeof out_buf, "%s", spec.out);
	} else {
		size_t n = strlen(a.spec);

		if (n > 5 && !strcmp(a.spec + n - 5, ".json"))
			n -= 5;
		snprintf(out_buf, sizeof out_buf, "%.*s.h5", (int)n, a.spec);
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (!mpi) {
		if (bo.workers > 0 && (uint64_t)bo.workers > spec.nruns)
			bo.workers = (int)(spec.nruns ? spec.nruns : 1);
		if (be->start(priv, &spec, &bo, &slots, &err))
			goto fail;
		started = 1;
	}
	cmdline = cli_command_line(argc, argv);
	{
		struct sweep_opts so = {
			.out = out_buf,
			.csv = a.csv,
			.resume = a.resume,
			.force = a.force,
			.quiet = a.quiet,
			.checkpoint_s = a.checkpoint_s,
			.command = cmdline,
			.stop = &stop_flag,
		};

		rc = sweep_drive(&spec, be, priv, slots, &so, &rep, &err);
	}
	be->stop(priv);
	started = 0;
	if (rc && rc != SS_EINTR)
		goto fail;
	if (!a.quiet) {
		printf("sweep %s: %llu runs (%llu points x %u), %llu ran, %llu "
		       "skipped (done before), %llu failed, %llu lost, %llu left\n",
		       spec.name, (unsigned long long)spec.nruns,
		       (unsigned long long)spec.npoints, spec.reps,
		       (unsigned long long)rep.ran,
		       (unsigned long long)rep.skipped,
		       (unsigned long long)rep.failed,
		       (unsigned long long)rep.lost,
		       (unsigned long long)rep.left);
		printf("%d worker%s (%s): %.2f s wall, %.2f s of runs (%.2fx); "
		       "results %s%s%s\n",
		       slots, slots == 1 ? "" : "s", be->name, rep.wall_s,
		       rep.run_s, rep.wall_s > 0 ? rep.run_s / rep.wall_s : 0,
		       out_buf, a.csv ? ", " : "", a.csv ? a.csv : "");
	}
	if (rc == SS_EINTR)
		fprintf(stderr, "sparseserve sweep: %s\n", err.msg);
	else if (rep.lost)
		fprintf(stderr, "sparseserve sweep: %llu runs lost with their "
				"workers; --resume runs them\n",
			(unsigned long long)rep.lost);
	else if (rep.failed)
		fprintf(stderr, "sparseserve sweep: %llu runs failed (see "
				"column 'error' of %s)\n",
			(unsigned long long)rep.failed, out_buf);
	status = (rc || rep.left || rep.failed) ? 1 : 0;
	goto out;
fail:
	fprintf(stderr, "sparseserve sweep: %s\n", err.msg);
	status = 1;
out:
	if (started)
		be->stop(priv);
	free(priv);
	free(cmdline);
	if (spec_ok)
		sweep_spec_release(&spec);
	if (mpi)
		sweep_mpi_finalize();
	return status;
}

const struct cli_cmd cli_cmd_sweep = {
	"sweep", "run a parameter sweep on all cores or over MPI", run
};
