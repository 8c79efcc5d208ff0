/*
 * trace.c - the trace container: lifecycle, loading through the format
 * registry, transformations, statistics and CSV output.
 *
 * Invariant kept by every public function that returns 0: t->req[0..n) is
 * sorted by (arrival_ns, id). Loaders only append; trace_finish() restores
 * the order (ids are unique, so the order is total and qsort's instability
 * cannot make two runs differ).
 */
#include "trace.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "fileio.h"
#include "trace_internal.h"

#include "banned.h"

void trace_init(struct trace *t)
{
	memset(t, 0, sizeof(*t));
}

void trace_release(struct trace *t)
{
	free(t->req);
	trace_init(t);
}

int trace_push(struct trace *t, const struct trace_request *r,
	       struct ss_err *err)
{
	int rc = ss_grow((void **)&t->req, &t->alloc, t->n + 1,
			 sizeof(*t->req), err);

	if (rc)
		return rc;
	t->req[t->n++] = *r;
	return 0;
}

static int req_cmp(const void *a, const void *b)
{
	const struct trace_request *x = a, *y = b;

	if (x->arrival_ns != y->arrival_ns)
		return x->arrival_ns < y->arrival_ns ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return 0;
}

void trace_finish(struct trace *t, int keep_offset)
{
	int64_t t0;

	if (!t->n)
		return;
	qsort(t->req, t->n, sizeof(*t->req), req_cmp);
	if (keep_offset)
		return;
	t0 = t->req[0].arrival_ns;
	for (size_t i = 0; i < t->n; i++)
		t->req[i].arrival_ns -= t0;
}

int trace_load(struct trace *t, const char *path, const char *format,
	       const struct trace_load_opts *opts, struct ss_err *err)
{
	static const struct trace_load_opts defaults;
	const struct trace_format *f;
	size_t before = t->n;
	int rc;

	if (!opts)
		opts = &defaults;
	if (format) {
		f = trace_format_find(format);
		if (!f)
			return ss_error(err, SS_EINVAL,
					"unknown trace format '%s' (formats: "
					"azure, mooncake, burstgpt, csv, "
					"synthetic)", format);
	} else {
		FILE *fp = fopen(path, "r");

		if (!fp)
			return ss_error(err, SS_EIO, "cannot open '%s': %s",
					path, strerror(errno));
		fclose(fp);
		f = trace_format_guess(path);
		if (!f)
			return ss_error(err, SS_EINVAL,
					"%s: cannot guess the trace format; "
					"give --format (azure, mooncake, "
					"burstgpt, csv)", path);
	}
	rc = f->load(t, path, opts, err);
	if (rc)
		return rc;
	if (t->n == before)
		return ss_error(err, SS_EINVAL, "%s: no requests%s", path,
				t->skipped ? " (every line was skipped)" : "");
	snprintf(t->source, sizeof(t->source), "%s (%s)", path, f->name);
	trace_finish(t, opts->keep_offset);
	return 0;
}

/* Seconds to ns, saturating where int64 ns cannot hold the value. */
static int64_t sat_s_to_ns(double s)
{
	if (s >= 9.2e9)
		return INT64_MAX;
	if (s <= -9.2e9)
		return INT64_MIN;
	return ss_s_to_ns(s);
}

void trace_window(struct trace *t, double start_s, double end_s)
{
	int64_t a, b;
	size_t k = 0;

	BUG_ON(isnan(start_s) || isnan(end_s));
	a = sat_s_to_ns(start_s);
	b = end_s < 0 ? INT64_MAX : sat_s_to_ns(end_s);
	for (size_t i = 0; i < t->n; i++) {
		struct trace_request r = t->req[i];

		if (r.arrival_ns < a || r.arrival_ns >= b)
			continue;
		r.arrival_ns -= a;
		t->req[k++] = r;
	}
	t->n = k;
}

void trace_scale_rate(struct trace *t, double x)
{
	BUG_ON(!(x > 0) || !isfinite(x));
	/* Rounding (and saturating) a monotone map keeps the order. */
	for (size_t i = 0; i < t->n; i++) {
		double v = (double)t->req[i].arrival_ns / x;

		t->req[i].arrival_ns = fabs(v) >= 9.2e18
					       ? (v > 0 ? INT64_MAX : INT64_MIN)
					       : (int64_t)llround(v);
	}
}

void trace_cap_prompt(struct trace *t, uint32_t max_prompt)
{
	BUG_ON(max_prompt == 0);
	for (size_t i = 0; i < t->n; i++)
		if (t->req[i].prompt_tokens > max_prompt)
			t->req[i].prompt_tokens = max_prompt;
}

void trace_limit(struct trace *t, size_t n)
{
	if (n < t->n)
		t->n = n;
}

/* Quantiles of one length column: v is scratch of t->n doubles. */
static void length_quantiles(double *v, size_t n, double out[TRACE_NP])
{
	gsl_sort(v, 1, n);
	out[TRACE_P_MIN] = v[0];
	out[TRACE_P50] = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.50);
	out[TRACE_P90] = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.90);
	out[TRACE_P99] = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.99);
	out[TRACE_P_MAX] = v[n - 1];
	out[TRACE_P_MEAN] = gsl_stats_mean(v, 1, n);
}

int trace_compute_stats(const struct trace *t, struct trace_stats *s,
			struct ss_err *err)
{
	const int64_t minute = 60 * SS_NS_PER_S;
	size_t peak = 0, run = 0;
	int64_t bucket = 0, t0;
	double *v;

	memset(s, 0, sizeof(*s));
	if (!t->n)
		return ss_error(err, SS_EINVAL, "%s: empty trace",
				t->source[0] ? t->source : "trace");
	v = malloc(t->n * sizeof(*v));
	if (!v)
		return ss_error(err, SS_ENOMEM, "out of host memory");
	s->count = t->n;
	t0 = t->req[0].arrival_ns;
	s->span_s = ss_ns_to_s(t->req[t->n - 1].arrival_ns - t0);
	s->rate_mean = s->span_s > 0 ? (double)t->n / s->span_s : 0;
	for (size_t i = 0; i < t->n; i++) {
		int64_t b = (t->req[i].arrival_ns - t0) / minute;

		if (b != bucket) {
			bucket = b;
			run = 0;
		}
		if (++run > peak)
			peak = run;
	}
	s->rate_peak_min = (double)peak / 60.0;
	for (size_t i = 0; i < t->n; i++)
		v[i] = t->req[i].prompt_tokens;
	length_quantiles(v, t->n, s->in_p);
	for (size_t i = 0; i < t->n; i++)
		v[i] = t->req[i].output_tokens;
	length_quantiles(v, t->n, s->out_p);
	free(v);
	return 0;
}

int trace_write_csv(const struct trace *t, FILE *f, struct ss_err *err)
{
	fputs("arrival_s,prompt_tokens,output_tokens\n", f);
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_request *r = &t->req[i];
		int64_t a = r->arrival_ns;
		const char *sign = a < 0 ? "-" : "";
		uint64_t m = a < 0 ? (uint64_t)0 - (uint64_t)a : (uint64_t)a;

		fprintf(f, "%s%" PRIu64 ".%09" PRIu64 ",%" PRIu32 ",%" PRIu32
			"\n", sign, m / (uint64_t)SS_NS_PER_S,
			m % (uint64_t)SS_NS_PER_S, r->prompt_tokens,
			r->output_tokens);
	}
	if (ferror(f))
		return ss_error(err, SS_EIO, "write error");
	return 0;
}

int trace_save_csv(const struct trace *t, const char *path,
		   struct ss_err *err)
{
	struct ss_afile af;
	int rc = ss_afile_open(&af, path, err);

	if (rc)
		return rc;
	rc = trace_write_csv(t, af.f, err);
	if (rc) {
		ss_afile_abort(&af);
		return ss_error_prefix(err, "%s", path);
	}
	return ss_afile_commit(&af, err);
}

uint32_t trace_median_prompt(const struct trace *t)
{
	double *x, med;

	if (!t->n)
		return 0;
	x = malloc(t->n * sizeof(double));
	if (!x)
		return 0;
	for (size_t i = 0; i < t->n; i++)
		x[i] = t->req[i].prompt_tokens;
	gsl_sort(x, 1, t->n);
	med = gsl_stats_median_from_sorted_data(x, 1, t->n);
	free(x);
	return (uint32_t)med;
}
