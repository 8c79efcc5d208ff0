/*
 * run.h - executing one run of a sweep and the one-line record that
 * carries its result through pipes, MPI messages and the journal.
 *
 * A run is assembled exactly as `sparseserve sim` assembles one policy
 * run (cli/cmd_sim.c): config, one seeded generator, model, profile,
 * trace and its transformations, SLO from the reference decode
 * iteration, sim_init/sim_step/metrics_summarize. So a sweep point and
 * the matching `sparseserve sim --seed SEED ...` give the same metrics.
 *
 * Record format (one line, '\n'-terminated; doubles in C99 hex "%a" so
 * they read back bit-exact, NaN included):
 *   run=R seed=S status=C wall=W host=H n=K NAME=V ... err=MESSAGE
 * The error message runs to the end of the line. A record without its
 * final '\n' is incomplete (a writer died) and is rejected.
 */
#ifndef SS_SWEEP_RUN_H
#define SS_SWEEP_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "sim/metrics.h"
#include "ss.h"
#include "sweep/spec.h"

#define SWEEP_RECORD_MAX 8192   /* bytes of one record, '\n' included */
#define SWEEP_METRIC_NAME 48    /* bytes of a metric name, NUL included */

struct sweep_result {
	uint64_t run;
	uint64_t seed;
	int32_t status;            /* 0 ok, else the SS_E* code of the run */
	double wall_s;             /* seconds the run took */
	char host[64];             /* host that ran it */
	char error[512];           /* message when status != 0 */
	int nm;                    /* metrics (0 when failed) */
	char name[METRICS_MAX][SWEEP_METRIC_NAME];
	double value[METRICS_MAX];
};

/*
 * Run `run` of spec `s` and fill *res (always: a failed run has status
 * != 0 and its one-line message). Returns res->status.
 */
int sweep_exec(const struct sweep_spec *s, uint64_t run,
	       struct sweep_result *res);

/* A failed result for `run` with `msg` (for runs that never ran). */
void sweep_result_fail(struct sweep_result *res, uint64_t run, int code,
		       const char *msg);

/* Write the record of *r into buf; returns its length ('\n' included). */
size_t sweep_result_format(const struct sweep_result *r, char *buf,
			   size_t len);
/*
 * Parse one record of `len` bytes (its '\n' included). SS_EINVAL with
 * "field 'NAME': why" when malformed (callers prefix file and line).
 */
int sweep_result_parse(const char *line, size_t len, struct sweep_result *r,
		       struct ss_err *err);

#endif
