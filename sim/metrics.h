/*
 * metrics.h - per-run summary metrics from a finished simulation (or live
 * run): TTFT, TBT, E2E and queueing percentiles, throughput, goodput under
 * the paper's SLO. Percentiles are GSL's interpolated quantiles of the
 * sorted samples.
 *
 * SLO (SparseServe §9, after Sarathi-Serve and Splitwise): P99 TBT <=
 * slo.tbt_factor x the time of one decode iteration (one request at the
 * reference context under dense attention, from the cost model), and mean
 * scheduling delay <= slo.queue_s. A request attains the SLO when its own
 * P99 TBT and its own queueing delay meet those bounds; goodput is the
 * attaining requests per second of the run; `slo_met` says whether the run
 * as a whole meets both (run-level P99 TBT and mean queueing delay).
 */
#ifndef SS_METRICS_H
#define SS_METRICS_H

#include <stdint.h>

#include "sim/sim.h"

#define METRICS_MAX 64

struct metrics_summary {
	const char *name[METRICS_MAX];
	double value[METRICS_MAX];
	int n;
};

/* Summarise run `s`; `slo_tbt_ns` is the TBT bound (0: no SLO). */
int metrics_summarize(const struct sim *s, int64_t slo_tbt_ns,
		      struct metrics_summary *out, struct ss_err *err);
/* Value of a named metric; NaN if absent. */
double metrics_get(const struct metrics_summary *ms, const char *name);

/* Time of one decode iteration of one request at `ctx` tokens, dense. */
int64_t metrics_ref_decode_ns(const struct cost_model *c, uint32_t ctx);

#endif
