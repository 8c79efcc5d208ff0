/*
 * trace_synth.c - synthetic traces: arrival processes, length sources,
 * the named length distributions, and "trace spec" strings.
 *
 * Arrivals: the first request arrives at 0; each later one a gap later,
 * gaps i.i.d. exponential with mean 1/rate (Poisson) or Gamma with shape
 * k = 1/cv^2 and scale 1/(rate k) (mean 1/rate, coefficient of variation
 * cv). Per request the draws are, in this order: the gap (not for the
 * first request), then the lengths. Arrival times are accumulated in
 * double seconds and each rounded to ns, so rounding never drifts.
 *
 * Named distributions (docs/traces.md has the reasoning and citations):
 * longbench-v1 mixes the eleven LongBench v1 data sets the SparseServe
 * paper merges (§9: Qasper, NarrativeQA, MultiFieldQA-en/zh, DuReader,
 * GovReport, QMSum, MultiNews, VCSum, LCC, RepoBench-P) in proportion to
 * their sample counts. A prompt is lognormal with sigma TRACE_LB_SIGMA and its
 * median chosen so that the mean equals the task's average length times a
 * tokens-per-unit factor (English words 1.3, Chinese characters 1.0,
 * code words 2.5); the output is the task's max_new_tokens. The -32k and
 * -128k variants cap prompts at 32768 and 131072 tokens, as the paper caps
 * them for LWM-7B and Llama3-8B.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "trace_internal.h"

#include "banned.h"

/* ---- named distributions ------------------------------------------------ */

/* Tokens per LongBench length unit (see docs/traces.md for sources). */
const double trace_lb_tokens_per_unit[] = {
	[LB_WORDS] = 1.3,
	[LB_CHARS_ZH] = 1.0,
	[LB_CODE_WORDS] = 2.5,
};

/*
 * LongBench v1, LongBench/task.md and config/dataset2maxlen.json at
 * THUDM/LongBench c5ea10bcd062 (traces/data/longbench_v1_task_stats.csv).
 */
const struct trace_lb_task trace_longbench_v1[] = {
	{ "Qasper", LB_WORDS, 3619, 200, 128 },
	{ "NarrativeQA", LB_WORDS, 18409, 200, 128 },
	{ "MultiFieldQA-en", LB_WORDS, 4559, 150, 64 },
	{ "MultiFieldQA-zh", LB_CHARS_ZH, 6701, 200, 64 },
	{ "DuReader", LB_CHARS_ZH, 15768, 200, 128 },
	{ "GovReport", LB_WORDS, 8734, 200, 512 },
	{ "QMSum", LB_WORDS, 10614, 200, 512 },
	{ "MultiNews", LB_WORDS, 2113, 200, 512 },
	{ "VCSUM", LB_CHARS_ZH, 15380, 200, 512 },
	{ "LCC", LB_CODE_WORDS, 1235, 500, 64 },
	{ "RepoBench-P", LB_CODE_WORDS, 4206, 500, 64 },
	{ NULL, LB_WORDS, 0, 0, 0 },
};
#define LB_NTASKS (SS_ARRAY_SIZE(trace_longbench_v1) - 1)

struct named_dist {
	const char *name;
	uint32_t cap; /* prompt cap in tokens, 0: none */
};

static const struct named_dist named_dists[] = {
	{ "longbench-v1", 0 },
	{ "longbench-v1-32k", 32768 },
	{ "longbench-v1-128k", 131072 },
};

const struct trace_dist_info trace_synth_dists[] = {
	{ "longbench-v1", "SparseServe paper's LongBench v1 mix (11 data sets, "
			  "weighted by samples), uncapped" },
	{ "longbench-v1-32k", "longbench-v1 with prompts capped at 32768 "
			      "tokens (paper, LWM-7B)" },
	{ "longbench-v1-128k", "longbench-v1 with prompts capped at 131072 "
			       "tokens (paper, Llama3-8B)" },
	{ NULL, NULL },
};

/* ---- length sources --------------------------------------------------- */

enum len_kind { LEN_POOL, LEN_FIXED, LEN_UNIFORM, LEN_LOGNORMAL, LEN_LONGBENCH };

struct len_src {
	enum len_kind kind;
	struct trace pool;         /* LEN_POOL: pairs drawn uniformly */
	uint32_t p0, p1, o0, o1;   /* fixed (p0, o0) / uniform ranges, tokens */
	double pmed, psig, omed, osig; /* lognormal: medians (tokens), sigmas */
	gsl_ran_discrete_t *task;  /* LEN_LONGBENCH: task chooser */
	double task_mu[LB_NTASKS]; /* log medians */
	uint32_t cap;              /* prompt cap, tokens (0: none) */
};

static void len_src_release(struct len_src *s)
{
	trace_release(&s->pool);
	if (s->task)
		gsl_ran_discrete_free(s->task);
	s->task = NULL;
}

/* Parse exactly `n` ':'-separated numbers after a "name:" prefix. */
static int parse_params(const char *src, const char *args, int n, double *v,
			struct ss_err *err)
{
	char buf[256], *s = buf, *c;
	int k = 0;

	if (strlen(args) >= sizeof(buf))
		return ss_error(err, SS_EINVAL, "lengths '%s': too long", src);
	snprintf(buf, sizeof(buf), "%s", args);
	for (;;) {
		c = strchr(s, ':');
		if (c)
			*c = '\0';
		if (k == n)
			return ss_error(err, SS_EINVAL,
					"lengths '%s': expected %d numbers",
					src, n);
		if (ss_parse_double(s, &v[k]))
			return ss_error(err, SS_EINVAL,
					"lengths '%s': parameter %d: '%s' is "
					"not a number", src, k + 1, s);
		k++;
		if (!c)
			break;
		s = c + 1;
	}
	if (k != n)
		return ss_error(err, SS_EINVAL,
				"lengths '%s': expected %d numbers, got %d",
				src, n, k);
	return 0;
}

/* A token-count parameter: integer in [1, UINT32_MAX]. */
static int token_param(const char *src, int k, double v, uint32_t *out,
		       struct ss_err *err)
{
	if (!(v >= 1) || v != floor(v) || v > (double)UINT32_MAX)
		return ss_error(err, SS_EINVAL,
				"lengths '%s': parameter %d: must be an "
				"integer >= 1 (got %g)", src, k, v);
	*out = (uint32_t)v;
	return 0;
}

static int len_src_init_longbench(struct len_src *s, uint32_t cap,
				  struct ss_err *err)
{
	double w[LB_NTASKS];

	BUG_ON(LB_NTASKS != SS_ARRAY_SIZE(s->task_mu));

	for (size_t i = 0; i < LB_NTASKS; i++) {
		const struct trace_lb_task *k = &trace_longbench_v1[i];
		double mean = k->avg_len * trace_lb_tokens_per_unit[k->unit];

		w[i] = k->samples;
		/* lognormal mean = exp(mu + sigma^2/2) */
		s->task_mu[i] = log(mean) - 0.5 * TRACE_LB_SIGMA * TRACE_LB_SIGMA;
	}
	s->task = gsl_ran_discrete_preproc(SS_ARRAY_SIZE(w), w);
	if (!s->task)
		return ss_error(err, SS_ENOMEM, "out of host memory");
	s->kind = LEN_LONGBENCH;
	s->cap = cap;
	return 0;
}

static int len_src_init(struct len_src *s, const char *src, gsl_rng *rng,
			struct ss_err *err)
{
	uint64_t range = gsl_rng_max(rng) - gsl_rng_min(rng);
	double v[4];
	int rc;

	memset(s, 0, sizeof(*s));
	trace_init(&s->pool);
	if (!strncmp(src, "trace:", 6)) {
		char path[4096];
		const char *fmt = NULL, *c;

		if (strlen(src + 6) >= sizeof(path))
			return ss_error(err, SS_EINVAL, "lengths: path too "
					"long");
		snprintf(path, sizeof(path), "%s", src + 6);
		c = strrchr(path, ':');
		if (c && trace_format_find(c + 1)) {
			fmt = c + 1;
			path[c - path] = '\0';
		}
		s->kind = LEN_POOL;
		rc = trace_load(&s->pool, path, fmt, NULL, err);
	} else if (!strncmp(src, "lengths:", 8)) {
		s->kind = LEN_POOL;
		rc = trace_load_lengths_csv(&s->pool, src + 8, err);
	} else if (!strncmp(src, "fixed:", 6)) {
		s->kind = LEN_FIXED;
		rc = parse_params(src, src + 6, 2, v, err);
		rc = rc ? rc : token_param(src, 1, v[0], &s->p0, err);
		rc = rc ? rc : token_param(src, 2, v[1], &s->o0, err);
	} else if (!strncmp(src, "uniform:", 8)) {
		s->kind = LEN_UNIFORM;
		rc = parse_params(src, src + 8, 4, v, err);
		rc = rc ? rc : token_param(src, 1, v[0], &s->p0, err);
		rc = rc ? rc : token_param(src, 2, v[1], &s->p1, err);
		rc = rc ? rc : token_param(src, 3, v[2], &s->o0, err);
		rc = rc ? rc : token_param(src, 4, v[3], &s->o1, err);
		if (!rc && (s->p1 < s->p0 || s->o1 < s->o0))
			rc = ss_error(err, SS_EINVAL, "lengths '%s': "
				      "minimum above maximum", src);
		if (!rc && (s->p1 - s->p0 >= range || s->o1 - s->o0 >= range))
			rc = ss_error(err, SS_EINVAL, "lengths '%s': range "
				      "wider than the generator's", src);
	} else if (!strncmp(src, "lognormal:", 10)) {
		s->kind = LEN_LOGNORMAL;
		rc = parse_params(src, src + 10, 4, v, err);
		if (!rc && (!(v[0] >= 1) || !(v[2] >= 1)))
			rc = ss_error(err, SS_EINVAL, "lengths '%s': medians "
				      "must be >= 1", src);
		if (!rc && (v[1] < 0 || v[3] < 0 || v[1] > 10 || v[3] > 10))
			rc = ss_error(err, SS_EINVAL, "lengths '%s': sigmas "
				      "must be in [0, 10]", src);
		s->pmed = v[0], s->psig = v[1], s->omed = v[2], s->osig = v[3];
	} else {
		rc = SS_EINVAL;
		for (size_t i = 0; i < SS_ARRAY_SIZE(named_dists); i++)
			if (!strcmp(src, named_dists[i].name))
				rc = len_src_init_longbench(
					s, named_dists[i].cap, err);
		if (rc == SS_EINVAL)
			rc = ss_error(err, SS_EINVAL,
				      "lengths '%s': unknown (trace:PATH"
				      "[:FORMAT], lengths:PATH, fixed:P:O, "
				      "uniform:PMIN:PMAX:OMIN:OMAX, lognormal:"
				      "PMED:PSIG:OMED:OSIG, longbench-v1, "
				      "longbench-v1-32k, longbench-v1-128k)",
				      src);
	}
	if (!rc && s->kind == LEN_POOL && s->pool.n > range)
		rc = ss_error(err, SS_EINVAL, "lengths '%s': more rows than "
			      "the generator's range", src);
	if (rc)
		len_src_release(s);
	return rc;
}

static uint32_t round_tokens(double x)
{
	if (!(x >= 1))
		return 1;
	if (x >= (double)UINT32_MAX)
		return UINT32_MAX;
	return (uint32_t)llround(x);
}

static void len_src_draw(struct len_src *s, gsl_rng *rng,
			 struct trace_request *r)
{
	size_t k;

	switch (s->kind) {
	case LEN_POOL:
		k = gsl_rng_uniform_int(rng, s->pool.n);
		r->prompt_tokens = s->pool.req[k].prompt_tokens;
		r->output_tokens = s->pool.req[k].output_tokens;
		break;
	case LEN_FIXED:
		r->prompt_tokens = s->p0;
		r->output_tokens = s->o0;
		break;
	case LEN_UNIFORM:
		r->prompt_tokens =
			s->p0 + (uint32_t)gsl_rng_uniform_int(
					rng, (unsigned long)(s->p1 - s->p0) + 1);
		r->output_tokens =
			s->o0 + (uint32_t)gsl_rng_uniform_int(
					rng, (unsigned long)(s->o1 - s->o0) + 1);
		break;
	case LEN_LOGNORMAL:
		r->prompt_tokens = round_tokens(
			gsl_ran_lognormal(rng, log(s->pmed), s->psig));
		r->output_tokens = round_tokens(
			gsl_ran_lognormal(rng, log(s->omed), s->osig));
		break;
	case LEN_LONGBENCH:
		k = gsl_ran_discrete(rng, s->task);
		r->prompt_tokens = round_tokens(
			gsl_ran_lognormal(rng, s->task_mu[k], TRACE_LB_SIGMA));
		r->output_tokens = trace_longbench_v1[k].max_new_tokens;
		break;
	}
	if (s->cap && r->prompt_tokens > s->cap)
		r->prompt_tokens = s->cap;
}

/* ---- synthesis ------------------------------------------------------ */

/* Upper bound on requests in one synthetic trace (memory guard). */
#define SYNTH_MAX_REQUESTS 100000000.0

int trace_synth(struct trace *t, const struct trace_synth_opts *o,
		gsl_rng *rng, struct ss_err *err)
{
	int gamma = 0, rc;
	double shape = 1, scale = 1, at = 0;
	struct len_src src;

	BUG_ON(!rng);
	if (!o->arrival || (strcmp(o->arrival, "poisson") &&
			    strcmp(o->arrival, "gamma")))
		return ss_error(err, SS_EINVAL, "synthetic: field 'arrival': "
				"'%s' is unknown (poisson, gamma)",
				o->arrival ? o->arrival : "(none)");
	gamma = !strcmp(o->arrival, "gamma");
	if (!(o->rate > 0) || !isfinite(o->rate))
		return ss_error(err, SS_EINVAL, "synthetic: field 'rate': "
				"must be > 0 req/s (got %g)", o->rate);
	if (gamma && (!(o->cv > 0) || !isfinite(o->cv)))
		return ss_error(err, SS_EINVAL, "synthetic: field 'cv': must "
				"be > 0 for gamma arrivals (got %g)", o->cv);
	if (!o->count && (!(o->duration_s > 0) || !isfinite(o->duration_s)))
		return ss_error(err, SS_EINVAL, "synthetic: field 'count': "
				"give count > 0 or duration > 0 s");
	if ((double)o->count > SYNTH_MAX_REQUESTS ||
	    (!o->count && o->rate * o->duration_s > SYNTH_MAX_REQUESTS))
		return ss_error(err, SS_EINVAL, "synthetic: field 'count': "
				"more than %.0f requests", SYNTH_MAX_REQUESTS);
	if (!o->lengths || !*o->lengths)
		return ss_error(err, SS_EINVAL, "synthetic: field 'lengths': "
				"missing (e.g. longbench-v1-32k)");
	rc = len_src_init(&src, o->lengths, rng, err);
	if (rc)
		return rc;
	if (gamma) {
		shape = 1.0 / (o->cv * o->cv);
		scale = 1.0 / (o->rate * shape);
	}
	for (uint64_t i = 0;; i++) {
		struct trace_request r = { 0 };

		if (o->count && i == o->count)
			break;
		if (i > 0)
			at += gamma ? gsl_ran_gamma(rng, shape, scale)
				    : gsl_ran_exponential(rng, 1.0 / o->rate);
		if (!o->count && at >= o->duration_s)
			break;
		if (at >= 9.0e9) {
			rc = ss_error(err, SS_EINVAL, "synthetic: field "
				      "'rate': arrivals beyond 9e9 s (rate "
				      "too low for count)");
			goto out;
		}
		r.id = t->n;
		r.arrival_ns = (int64_t)llround(at * 1e9);
		len_src_draw(&src, rng, &r);
		rc = trace_push(t, &r, err);
		if (rc)
			goto out;
	}
	if (gamma)
		snprintf(t->source, sizeof(t->source), "synthetic:gamma "
			 "rate=%g cv=%g lengths=%s", o->rate, o->cv,
			 o->lengths);
	else
		snprintf(t->source, sizeof(t->source), "synthetic:poisson "
			 "rate=%g lengths=%s", o->rate, o->lengths);
	trace_finish(t, 1);
out:
	len_src_release(&src);
	return rc;
}

/* ---- trace specs ------------------------------------------------------ */

/*
 * Parse "ARRIVAL:KEY=VALUE:...:lengths=SOURCE" (the part after
 * "synthetic:") into `o`; string values point into `buf` (caller frees).
 */
static int parse_synth_spec(const char *spec, char *buf,
			    struct trace_synth_opts *o, struct ss_err *err)
{
	int have_rate = 0, have_cv = 0, have_count = 0, have_dur = 0;
	char *s = buf;

	memset(o, 0, sizeof(*o));
	o->cv = 1.0;
	while (s && *s) {
		char *c = strchr(s, ':'), *eq;

		if (c)
			*c = '\0';
		eq = strchr(s, '=');
		if (!eq) {
			if (s == buf && (!strcmp(s, "poisson") ||
					 !strcmp(s, "gamma"))) {
				o->arrival = s;
				s = c ? c + 1 : NULL;
				continue;
			}
			return ss_error(err, SS_EINVAL, "trace spec '%s': '%s'"
					" is not KEY=VALUE (keys: arrival, "
					"rate, cv, count, duration, lengths)",
					spec, s);
		}
		*eq++ = '\0';
		if (!strcmp(s, "lengths")) {
			if (c)
				*c = ':'; /* the value runs to the end */
			o->lengths = eq;
			break;
		}
		if (!strcmp(s, "arrival")) {
			o->arrival = eq;
		} else if (!strcmp(s, "rate") || !strcmp(s, "cv") ||
			   !strcmp(s, "duration")) {
			double v;
			int *seen = s[0] == 'r' ? &have_rate
				    : s[0] == 'c' ? &have_cv : &have_dur;

			if (*seen)
				return ss_error(err, SS_EINVAL, "trace spec "
						"'%s': key '%s': given twice",
						spec, s);
			if (ss_parse_double(eq, &v))
				return ss_error(err, SS_EINVAL, "trace spec "
						"'%s': key '%s': '%s' is not a "
						"number", spec, s, eq);
			*seen = 1;
			if (s[0] == 'r')
				o->rate = v;
			else if (s[0] == 'c')
				o->cv = v;
			else
				o->duration_s = v;
		} else if (!strcmp(s, "count")) {
			if (have_count)
				return ss_error(err, SS_EINVAL, "trace spec "
						"'%s': key 'count': given "
						"twice", spec);
			if (ss_parse_u64(eq, &o->count) || !o->count)
				return ss_error(err, SS_EINVAL, "trace spec "
						"'%s': key 'count': '%s' is not "
						"an integer >= 1", spec, eq);
			have_count = 1;
		} else {
			return ss_error(err, SS_EINVAL, "trace spec '%s': key "
					"'%s': unknown (keys: arrival, rate, "
					"cv, count, duration, lengths)",
					spec, s);
		}
		s = c ? c + 1 : NULL;
	}
	if (!o->arrival)
		o->arrival = "poisson";
	if (!have_rate)
		return ss_error(err, SS_EINVAL, "trace spec '%s': key 'rate':"
				" missing", spec);
	if (have_cv && strcmp(o->arrival, "gamma"))
		return ss_error(err, SS_EINVAL, "trace spec '%s': key 'cv': "
				"only for gamma arrivals", spec);
	if (have_count == have_dur)
		return ss_error(err, SS_EINVAL, "trace spec '%s': give "
				"exactly one of count= and duration=", spec);
	if (!o->lengths)
		return ss_error(err, SS_EINVAL, "trace spec '%s': key "
				"'lengths': missing (e.g. lengths=longbench-"
				"v1-32k; it must come last)", spec);
	return 0;
}

int trace_load_spec(struct trace *t, const char *spec, const char *format,
		    const struct trace_load_opts *opts, gsl_rng *rng,
		    struct ss_err *err)
{
	struct trace_synth_opts o;
	const char *body = NULL;
	char *buf;
	int rc;

	if (!strncmp(spec, "synthetic:", 10)) {
		if (format && strcmp(format, "synthetic"))
			return ss_error(err, SS_EINVAL, "trace spec '%s': "
					"synthetic, but --format is '%s'",
					spec, format);
		body = spec + 10;
	} else if (format && !strcmp(format, "synthetic")) {
		body = spec;
	}
	if (!body)
		return trace_load(t, spec, format, opts, err);
	if (!rng)
		return ss_error(err, SS_EINVAL, "trace spec '%s': synthetic "
				"traces need a seeded generator", spec);
	buf = malloc(strlen(body) + 1);
	if (!buf)
		return ss_error(err, SS_ENOMEM, "out of host memory");
	memcpy(buf, body, strlen(body) + 1);
	rc = parse_synth_spec(spec, buf, &o, err);
	if (!rc)
		rc = trace_synth(t, &o, rng, err);
	if (!rc)
		snprintf(t->source, sizeof(t->source), "%s", spec);
	free(buf);
	return rc;
}
