/*
 * trace.h - request traces: loading, synthesis, transformation, statistics.
 *
 * A trace is an array of requests sorted by arrival time (ties keep file
 * order). Formats are entries of a registry (`trace_formats`): each loader
 * reads one file and appends requests. Every malformed line stops the load
 * with "FILE:LINE: field 'NAME': what is wrong", unless the caller set
 * opts->skip_bad, in which case bad lines are counted in t->skipped.
 *
 * Times are integer nanoseconds from the first request of the file
 * (the first arrival is 0 after loading unless opts->keep_offset).
 */
#ifndef SS_TRACE_H
#define SS_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <gsl/gsl_rng.h>

#include "ss.h"

struct trace_request {
	uint64_t id;            /* 0-based position in the loaded file */
	int64_t arrival_ns;     /* arrival time, ns from trace start */
	uint32_t prompt_tokens; /* input length, tokens (>= 1) */
	uint32_t output_tokens; /* tokens to generate (>= 1) */
};

struct trace {
	struct trace_request *req; /* sorted by (arrival_ns, id) */
	size_t n, alloc;
	uint64_t skipped;          /* bad lines skipped (opts.skip_bad) */
	char source[512];          /* human description: path and format */
	char skipped_first[512];   /* message of the first skipped line */
};

struct trace_load_opts {
	int skip_bad;     /* 1: skip malformed lines and count them */
	int keep_offset;  /* 1: keep absolute times (no shift to 0) */
	int clamp_zero_output; /* 1: output_tokens 0 becomes 1 (default:
				  a bad line, see docs/traces.md) */
};

/* GSL declares gsl_rng as a typedef of an anonymous struct, so it cannot
 * be forward-declared; the real header is included above. */

/* A trace format: name for --format, a loader, and a one-line help. */
struct trace_format {
	const char *name;
	const char *help;
	int (*load)(struct trace *t, const char *path,
		    const struct trace_load_opts *opts, struct ss_err *err);
};
/* NULL-terminated registry: azure, mooncake, burstgpt, csv. */
extern const struct trace_format *const trace_formats[];
/* The format called `name` (exact match), or NULL. */
const struct trace_format *trace_format_find(const char *name);
/* Guess a format from the file name and first line; NULL if unsure. */
const struct trace_format *trace_format_guess(const char *path);

/* An empty trace; trace_release() frees it and leaves it empty again. */
void trace_init(struct trace *t);
void trace_release(struct trace *t);
/* Append a copy of *r (order is restored by trace_finish). 0 or SS_ENOMEM. */
int trace_push(struct trace *t, const struct trace_request *r,
	       struct ss_err *err);
/* Sort by (arrival, id), shift the first arrival to 0 unless keep_offset. */
void trace_finish(struct trace *t, int keep_offset);

/*
 * Load `path` in `format` (NULL: guess), appending to `t`, then
 * trace_finish(). opts may be NULL (strict, times shifted to 0). Returns 0,
 * SS_EIO (cannot open/read: the message names the file), SS_EINVAL (bad
 * row "FILE:LINE: field 'NAME': why", bad header, no requests) or
 * SS_ENOMEM. See docs/traces.md for the formats.
 */
int trace_load(struct trace *t, const char *path, const char *format,
	       const struct trace_load_opts *opts, struct ss_err *err);

/*
 * Load a trace named by a "trace spec": either a file path (loaded with
 * `format`, NULL: guess) or a synthetic spec
 *     synthetic:ARRIVAL[:KEY=VALUE]...[:lengths=SOURCE]
 * e.g. "synthetic:poisson:rate=0.2:count=500:lengths=longbench-v1-32k".
 * ARRIVAL is poisson or gamma; keys rate (req/s), cv (gamma only),
 * count, duration (s), lengths (must come last: its value runs to the end
 * of the spec and may hold ':'). With format "synthetic" the "synthetic:"
 * prefix may be left out. `rng` is needed for synthetic specs only (NULL
 * is fine for files). Errors name the spec key or the file:line:field.
 */
int trace_load_spec(struct trace *t, const char *spec, const char *format,
		    const struct trace_load_opts *opts, gsl_rng *rng,
		    struct ss_err *err);

/*
 * Synthetic arrivals. Inter-arrival times are exponential (Poisson) or
 * Gamma with shape 1/cv^2 (burstiness = coefficient of variation cv), at
 * `rate` requests/s. Lengths come from one of:
 *  - "trace:PATH[:FORMAT]"    lengths of a request trace, drawn uniformly;
 *  - "lengths:PATH"           an empirical length CSV with columns
 *                             num_prefill_tokens,num_decode_tokens (or
 *                             prompt_tokens,output_tokens);
 *  - "longbench-v1-32k" etc.  a named distribution (trace_synth_dists);
 *  - "fixed:P:O", "uniform:PMIN:PMAX:OMIN:OMAX",
 *    "lognormal:PMEDIAN:PSIGMA:OMEDIAN:OSIGMA".
 * All draws come from `rng` (one seeded generator per run).
 */
struct trace_synth_opts {
	const char *arrival;   /* "poisson" or "gamma" */
	double rate;           /* requests per second, > 0 */
	double cv;             /* gamma: coefficient of variation, > 0 */
	uint64_t count;        /* number of requests (0: use duration_s) */
	double duration_s;     /* stop after this span if count == 0 */
	const char *lengths;   /* length source, see above */
};
/*
 * Append o->count requests (or all arrivals before o->duration_s) to `t`
 * (normally empty): the first arrives at 0, each next one a drawn gap
 * later. Per request the draws are: gap (not for the first), then lengths.
 * Same rng state => identical trace. 0 or SS_EINVAL/SS_EIO/SS_ENOMEM.
 */
int trace_synth(struct trace *t, const struct trace_synth_opts *o,
		gsl_rng *rng, struct ss_err *err);
/* Names and one-line help of the named length distributions. */
struct trace_dist_info {
	const char *name;
	const char *help;
};
extern const struct trace_dist_info trace_synth_dists[]; /* NULL-ended */

/*
 * Transformations (in place; each keeps the trace sorted).
 * trace_window keeps arrivals in [start_s, end_s) (end_s < 0: no end) and
 * shifts times so that start_s becomes 0. trace_scale_rate divides every
 * arrival time by x (> 0). trace_cap_prompt truncates prompts to
 * max_prompt (>= 1) tokens. trace_limit keeps the first n requests.
 */
void trace_window(struct trace *t, double start_s, double end_s);
void trace_scale_rate(struct trace *t, double x);  /* x>1: more req/s */
void trace_cap_prompt(struct trace *t, uint32_t max_prompt); /* truncate */
void trace_limit(struct trace *t, size_t n);

/* Indices of trace_stats.in_p / out_p. */
enum { TRACE_P_MIN, TRACE_P50, TRACE_P90, TRACE_P99, TRACE_P_MAX,
       TRACE_P_MEAN, TRACE_NP };

struct trace_stats {
	size_t count;
	double span_s;
	double rate_mean;       /* requests/s over the span */
	double rate_peak_min;   /* most requests in any 1-minute bucket / 60 */
	double in_p[6], out_p[6]; /* p0(min), p50, p90, p99, max, mean */
};
/*
 * Count, span (s), mean rate (count/span, req/s; 0 for a zero span), the
 * busiest 1-minute bucket counted from the first arrival (req/s), and
 * length quantiles (GSL, linear interpolation between order statistics).
 * SS_EINVAL for an empty trace.
 */
/* Median prompt length in tokens (GSL, interpolated; 0 if empty). The
 * simulator's SLO reference context. */
uint32_t trace_median_prompt(const struct trace *t);
int trace_compute_stats(const struct trace *t, struct trace_stats *s,
			struct ss_err *err);

/*
 * Write the trace as plain CSV (header arrival_s,prompt_tokens,
 * output_tokens; times with 9 decimals, so reloading with --format csv
 * gives identical nanoseconds). trace_save_csv writes `path` atomically.
 */
int trace_write_csv(const struct trace *t, FILE *f, struct ss_err *err);
int trace_save_csv(const struct trace *t, const char *path,
		   struct ss_err *err);

#endif
