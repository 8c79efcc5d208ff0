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
};

struct trace_load_opts {
	int skip_bad;     /* 1: skip malformed lines and count them */
	int keep_offset;  /* 1: keep absolute times (no shift to 0) */
};

struct gsl_rng_type;
typedef struct gsl_rng gsl_rng;

/* A trace format: name for --format, a loader, and a one-line help. */
struct trace_format {
	const char *name;
	const char *help;
	int (*load)(struct trace *t, const char *path,
		    const struct trace_load_opts *opts, struct ss_err *err);
};
/* NULL-terminated registry: azure, mooncake, burstgpt, csv. */
extern const struct trace_format *const trace_formats[];
const struct trace_format *trace_format_find(const char *name);
/* Guess a format from the file name and first line; NULL if unsure. */
const struct trace_format *trace_format_guess(const char *path);

void trace_init(struct trace *t);
void trace_release(struct trace *t);
int trace_push(struct trace *t, const struct trace_request *r,
	       struct ss_err *err);
/* Sort by (arrival, id), shift the first arrival to 0 unless keep_offset. */
void trace_finish(struct trace *t, int keep_offset);

/* Load `path` in `format` (NULL: guess). Errors name file:line:field. */
int trace_load(struct trace *t, const char *path, const char *format,
	       const struct trace_load_opts *opts, struct ss_err *err);

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
int trace_synth(struct trace *t, const struct trace_synth_opts *o,
		gsl_rng *rng, struct ss_err *err);
/* Names and one-line help of the named length distributions. */
struct trace_dist_info {
	const char *name;
	const char *help;
};
extern const struct trace_dist_info trace_synth_dists[];

/* Transformations (in place; each keeps the trace sorted). */
void trace_window(struct trace *t, double start_s, double end_s);
void trace_scale_rate(struct trace *t, double x);  /* x>1: more req/s */
void trace_cap_prompt(struct trace *t, uint32_t max_prompt); /* truncate */
void trace_limit(struct trace *t, size_t n);

struct trace_stats {
	size_t count;
	double span_s;
	double rate_mean;       /* requests/s over the span */
	double rate_peak_min;   /* most requests in any 1-minute bucket / 60 */
	double in_p[6], out_p[6]; /* p0(min), p50, p90, p99, max, mean */
};
int trace_compute_stats(const struct trace *t, struct trace_stats *s,
			struct ss_err *err);

#endif
