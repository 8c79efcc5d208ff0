/*
 * sweep.h - running a sweep: the coordinator loop and the executors
 * ("backends") that run its points.
 *
 * The coordinator (sweep_drive) owns the results: it hands runs out one
 * at a time to whichever worker is ready (dynamic load balancing: points
 * differ greatly in cost), appends each result to the journal before it
 * hands out the next run, checkpoints the HDF5 file, shows progress and
 * ETA on a terminal, and writes the final HDF5 and CSV files. A backend
 * is a table of functions with private state:
 *
 *   inline   runs each point in the coordinator's own process (no fork;
 *            the serial reference, and handy under a debugger);
 *   fork     N fork()ed worker processes, each talking to the
 *            coordinator over its own socketpair: the parent sends a run
 *            number, the worker sends back a result record (sweep/run.h);
 *   mpi      rank 0 coordinates, ranks 1..K-1 run points and ask for the
 *            next one when done (sweep/mpi.c; sweep_mpi_* are stubs that
 *            return SS_ENODEV in builds without Open MPI).
 *
 * Workers share no state with the coordinator; every run depends only on
 * the spec and its run number, so results do not depend on the backend
 * or the number of workers.
 */
#ifndef SS_SWEEP_H
#define SS_SWEEP_H

#include <signal.h>
#include <stdint.h>

#include "ss.h"
#include "sweep/results.h"
#include "sweep/run.h"
#include "sweep/spec.h"

#define SWEEP_MAX_WORKERS 256 /* fork backend processes */

/* What backend->wait() reports. */
enum sweep_event {
	SWEEP_EV_READY = 0,  /* a worker became ready; no result */
	SWEEP_EV_RESULT = 1, /* *res holds a finished run */
	SWEEP_EV_LOST = 2,   /* the worker running *lost died (message in err) */
	SWEEP_EV_INTR = 3,   /* the stop flag was raised */
};

struct sweep_backend_opts {
	int workers;                 /* fork: processes (>= 1) */
	int64_t crash_run;           /* test hook: the process that picks
					this run kills itself (-1: none) */
	volatile sig_atomic_t *stop; /* raised by SIGINT/SIGTERM; may be NULL */
};

struct sweep_backend_ops {
	const char *name;
	size_t priv_size;
	/* Start workers for spec `s`; *slots = runs that may be in flight. */
	int (*start)(void *priv, const struct sweep_spec *s,
		     const struct sweep_backend_opts *o, int *slots,
		     struct ss_err *err);
	/* A worker ready for a run (>= 0), or -1 if none. */
	int (*idle)(void *priv);
	/* Give `run` to ready worker `w`. */
	int (*submit)(void *priv, int w, uint64_t run, struct ss_err *err);
	/* Block until something happens: enum sweep_event, or < 0 error. */
	int (*wait)(void *priv, struct sweep_result *res, uint64_t *lost,
		    struct ss_err *err);
	/* Stop all workers (runs in flight are abandoned); idempotent. */
	void (*stop)(void *priv);
};

extern const struct sweep_backend_ops sweep_backend_inline;
extern const struct sweep_backend_ops sweep_backend_fork;
extern const struct sweep_backend_ops sweep_backend_mpi;

struct sweep_opts {
	const char *out;       /* results HDF5 (journal: OUT.journal) */
	const char *csv;       /* CSV export, or NULL */
	int resume;            /* keep done runs of OUT and its journal */
	int force;             /* overwrite OUT and its journal */
	int quiet;             /* no summary on stdout */
	double checkpoint_s;   /* seconds between HDF5 checkpoints */
	const char *command;   /* command line for the metadata */
	volatile sig_atomic_t *stop; /* raised by a signal; may be NULL */
};

struct sweep_report {
	uint64_t runs;         /* runs in the spec */
	uint64_t skipped;      /* already done (--resume) */
	uint64_t ran;          /* finished in this invocation */
	uint64_t failed;       /* failed runs in the results (all of them) */
	uint64_t lost;         /* runs whose worker died (not recorded) */
	uint64_t left;         /* runs not done at the end */
	int slots;             /* workers */
	int interrupted;
	double wall_s;         /* seconds in sweep_drive */
	double run_s;          /* sum of per-run wall times of this invocation */
};

/*
 * Run every run of `s` not already done through the started backend
 * `be`/`priv`, writing o->out (and o->csv). Returns 0 when the sweep
 * completed (failed runs included: see rep->failed), SS_EINTR when
 * interrupted, or an error (SS_EIO, SS_EINVAL ... with a message). The
 * results file and the journal are consistent on every return.
 */
int sweep_drive(const struct sweep_spec *s, const struct sweep_backend_ops *be,
		void *priv, int slots, const struct sweep_opts *o,
		struct sweep_report *rep, struct ss_err *err);

/* Processors this process may run on (sched_getaffinity), >= 1. */
int sweep_ncpus(void);

/*
 * MPI. sweep_mpi_launched() reads the launcher's environment
 * (OMPI_COMM_WORLD_SIZE, PMI_SIZE) and returns the job size when started
 * by mpirun with more than one rank, else 0: a run without mpirun never
 * initialises MPI. The rest needs a build with MPI (else SS_ENODEV).
 */
int sweep_mpi_launched(void);
int sweep_mpi_available(void);
int sweep_mpi_init(int *argc, char ***argv, int *rank, int *size,
		   struct ss_err *err);
void sweep_mpi_finalize(void);
/*
 * The loop of ranks 1..K-1: ask rank 0 for a run, run it, send the
 * record, until told to stop. `s` NULL (the spec did not load here): every
 * run is answered with `why` as its error, so rank 0 never waits forever.
 */
int sweep_mpi_worker(const struct sweep_spec *s, const char *why,
		     int64_t crash_run, struct ss_err *err);

#endif
