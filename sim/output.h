/*
 * output.h - results files of a run: one HDF5 file (per policy a group
 * with the per-request table, the per-iteration time series and the
 * summary; at the root the resolved config, command line, version, seed,
 * model, profile and trace), CSV exports, and the readable stdout table.
 *
 * Files are written to a temporary name and renamed on success
 * (common/fileio.h). HDF5 object timestamps are off, so the same inputs
 * give byte-identical files.
 */
#ifndef SS_OUTPUT_H
#define SS_OUTPUT_H

#include <stdio.h>

#include "sim/metrics.h"
#include "sim/sim.h"

struct out_meta {
	const char *command;   /* the command line as typed */
	const char *config;    /* resolved config, JSON */
	const char *model;
	const char *profile;
	const char *profile_kind;
	const char *trace;     /* trace description */
	uint64_t seed;
	const char *executor;  /* "simulator ..." or "live: GPU ..." (NULL: none) */
	const char *partial;   /* why the last run stopped early (NULL: the
				  runs are complete) */
};

/* One finished policy run to write. */
struct out_run {
	const char *policy;
	const struct sim *sim;
	const struct metrics_summary *summary;
};

int out_write_h5(const char *path, const struct out_meta *meta,
		 const struct out_run *runs, int nruns, struct ss_err *err);
int out_write_requests_csv(const char *path, const struct out_run *runs,
			   int nruns, struct ss_err *err);
int out_write_summary_csv(const char *path, const struct out_run *runs,
			  int nruns, struct ss_err *err);
/* Side-by-side table of the main metrics of each run. */
void out_print_compare(FILE *f, const struct out_run *runs, int nruns);

#endif
