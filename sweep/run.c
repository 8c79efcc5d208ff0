/*
 * run.c - one sweep run through the simulator, and its record format.
 *
 * The assembly below follows cli/cmd_sim.c step for step (same order of
 * generator draws), for one policy; keep the two in step when the
 * simulator grows new inputs.
 */
#include "run.h"

#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "model/cost.h"
#include "model/model.h"
#include "sim/sim.h"
#include "traces/trace.h"

#include "banned.h"


/* Replace characters that would break a record line or field. */
static void sanitize(char *s, int spaces_ok)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f ||
		    (!spaces_ok && (*s == ' ' || *s == '=')))
			*s = '_';
}

void sweep_result_fail(struct sweep_result *res, uint64_t run, int code,
		       const char *msg)
{
	res->run = run;
	res->status = code ? code : SS_EINVAL;
	res->nm = 0;
	snprintf(res->error, sizeof res->error, "%s", msg);
	sanitize(res->error, 1);
}

/* The simulation proper; fills res->name/value. */
static int simulate(const struct sweep_run *r, struct sweep_result *res,
		    struct ss_err *err)
{
	const struct pol_preset *preset;
	struct model m;
	struct hw_profile *hw = NULL;
	struct cost_model cost;
	struct trace t;
	struct trace_load_opts lopts = { 0 };
	struct metrics_summary sum;
	struct sim sim;
	int sim_live = 0, rc;
	gsl_rng *rng;

	preset = pol_preset_find(r->field[SWEEP_POLICY] ? r->field[SWEEP_POLICY]
							: "vllm");
	BUG_ON(!preset); /* checked by sweep_run_resolve */
	trace_init(&t);
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (!rng) {
		rc = ss_error(err, SS_ENOMEM, "out of memory");
		goto out;
	}
	gsl_rng_set(rng, r->pt.seed);
	rc = model_load(&m, r->field[SWEEP_MODEL], err);
	if (rc)
		goto out;
	rc = hw_profile_load(&hw, r->field[SWEEP_PROFILE] ? r->field[SWEEP_PROFILE]
							  : "h200",
			     err);
	if (rc)
		goto out;
	rc = sim_config_apply_hw(&r->cfg, hw, err);
	if (rc)
		goto out;
	cost = (struct cost_model){ .hw = hw, .m = &m };
	rc = cost_check_fit(&cost, err);
	if (rc)
		goto out;
	lopts.skip_bad = r->skip_bad;
	rc = trace_load_spec(&t, r->field[SWEEP_TRACE], r->field[SWEEP_FORMAT],
			     &lopts, rng, err);
	if (rc)
		goto out;
	if (r->win_end > 0)
		trace_window(&t, r->win_start, r->win_end);
	if (r->rate_scale != 1.0)
		trace_scale_rate(&t, r->rate_scale);
	if (r->max_prompt)
		trace_cap_prompt(&t, (uint32_t)r->max_prompt);
	if (r->limit)
		trace_limit(&t, (size_t)r->limit);
	if (!t.n) {
		rc = ss_error(err, SS_EINVAL, "trace '%s': no requests left "
				"after the transformations",
			      r->field[SWEEP_TRACE]);
		goto out;
	}
	{
		uint32_t ref_ctx = r->cfg.slo_ref_context ? r->cfg.slo_ref_context
							  : trace_median_prompt(&t);
		int64_t slo_tbt = (int64_t)(r->cfg.slo_tbt_factor *
					    (double)metrics_ref_decode_ns(&cost,
									  ref_ctx));
		struct sim_opts so = {
			.preset = preset,
			.cfg = &r->cfg,
			.m = &m,
			.cost = &cost,
			.trace = &t,
			.selection = r->field[SWEEP_SELECTION],
			.seed = r->pt.seed,
		};

		rc = sim_init(&sim, &so, err);
		if (rc)
			goto out;
		sim_live = 1;
		/* sim_step, not sim_run: workers draw no progress line */
		while ((rc = sim_step(&sim, err)) > 0)
			;
		if (rc < 0)
			goto out;
		rc = metrics_summarize(&sim, slo_tbt, &sum, err);
		if (rc)
			goto out;
	}
	res->nm = 0;
	for (int i = 0; i < sum.n; i++) {
		snprintf(res->name[res->nm], SWEEP_METRIC_NAME, "%s", sum.name[i]);
		sanitize(res->name[res->nm], 0);
		res->value[res->nm++] = sum.value[i];
	}
	rc = 0;
out:
	if (sim_live)
		sim_release(&sim);
	trace_release(&t);
	hw_profile_free(hw);
	if (rng)
		gsl_rng_free(rng);
	return rc;
}

int sweep_exec(const struct sweep_spec *s, uint64_t run,
	       struct sweep_result *res)
{
	struct ss_err err = { 0 };
	struct sweep_run r;
	double t0 = ss_wall_seconds();
	int rc;

	memset(res, 0, sizeof(*res));
	res->run = run;
	if (gethostname(res->host, sizeof res->host - 1))
		snprintf(res->host, sizeof res->host, "unknown");
	sanitize(res->host, 0);
	rc = sweep_run_resolve(s, run, &r, &err);
	res->seed = r.pt.seed;
	if (!rc)
		rc = simulate(&r, res, &err);
	sweep_run_release(&r);
	if (rc)
		sweep_result_fail(res, run, rc, err.msg);
	res->wall_s = ss_wall_seconds() - t0;
	return res->status;
}

size_t sweep_result_format(const struct sweep_result *r, char *buf,
			   size_t len)
{
	size_t n;

	n = (size_t)snprintf(buf, len, "run=%" PRIu64 " seed=%" PRIu64
			     " status=%d wall=%a host=%s n=%d",
			     r->run, r->seed, r->status, r->wall_s, r->host,
			     r->nm);
	for (int i = 0; i < r->nm && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, " %s=%a", r->name[i],
				      r->value[i]);
	if (n < len)
		n += (size_t)snprintf(buf + n, len - n, " err=%s\n",
				      r->status ? r->error : "");
	BUG_ON(n >= len); /* SWEEP_RECORD_MAX holds METRICS_MAX metrics */
	return n;
}

/* Next space-separated "key=value" token of [*p, end). */
static int next_kv(const char **p, const char *end, const char *want,
		   char *val, size_t vlen, char *key, size_t klen,
		   struct ss_err *err)
{
	const char *q = *p, *eq, *sp;
	size_t kl, vl;

	while (q < end && *q == ' ')
		q++;
	sp = memchr(q, ' ', (size_t)(end - q));
	if (!sp)
		sp = end;
	eq = memchr(q, '=', (size_t)(sp - q));
	if (!eq)
		return ss_error(err, SS_EINVAL, "field '%s': missing",
				want ? want : "metric");
	kl = (size_t)(eq - q);
	vl = (size_t)(sp - eq - 1);
	if (kl >= klen || vl >= vlen)
		return ss_error(err, SS_EINVAL, "field '%.*s': too long",
				(int)SS_MIN(kl, 40), q);
	memcpy(key, q, kl);
	key[kl] = '\0';
	memcpy(val, eq + 1, vl);
	val[vl] = '\0';
	if (want && strcmp(key, want))
		return ss_error(err, SS_EINVAL, "field '%s': expected, found '%s'",
				want, key);
	*p = sp;
	return 0;
}

static int parse_hex(const char *v, double *out)
{
	char *end;

	if (!*v)
		return -1;
	*out = strtod(v, &end);
	return *end ? -1 : 0;
}

int sweep_result_parse(const char *line, size_t len, struct sweep_result *r,
		       struct ss_err *err)
{
	const char *p = line, *end, *errp;
	char key[SWEEP_METRIC_NAME], val[128];
	int64_t st, nm;

	memset(r, 0, sizeof(*r));
	if (!len || line[len - 1] != '\n')
		return ss_error(err, SS_EINVAL, "record is incomplete (no end "
				"of line)");
	end = line + len - 1;
	errp = NULL;
	for (const char *q = line; q + 5 <= end; q++)
		if (!memcmp(q, " err=", 5)) {
			errp = q;
			break;
		}
	if (!errp)
		return ss_error(err, SS_EINVAL, "field 'err': missing");
#define KV(w)                                                                 \
	do {                                                                  \
		if (next_kv(&p, errp, w, val, sizeof val, key, sizeof key, err)) \
			return SS_EINVAL;                                     \
	} while (0)
	KV("run");
	if (ss_parse_u64(val, &r->run))
		return ss_error(err, SS_EINVAL, "field 'run': '%s'", val);
	KV("seed");
	if (ss_parse_u64(val, &r->seed))
		return ss_error(err, SS_EINVAL, "field 'seed': '%s'", val);
	KV("status");
	if (ss_parse_i64(val, &st) || st > 0 || st < -1000)
		return ss_error(err, SS_EINVAL, "field 'status': '%s'", val);
	r->status = (int32_t)st;
	KV("wall");
	if (parse_hex(val, &r->wall_s))
		return ss_error(err, SS_EINVAL, "field 'wall': '%s'", val);
	KV("host");
	snprintf(r->host, sizeof r->host, "%s", val);
	KV("n");
	if (ss_parse_i64(val, &nm) || nm < 0 || nm > METRICS_MAX)
		return ss_error(err, SS_EINVAL, "field 'n': '%s'", val);
	r->nm = (int)nm;
	for (int i = 0; i < r->nm; i++) {
		KV(NULL);
		snprintf(r->name[i], sizeof r->name[i], "%s", key);
		if (parse_hex(val, &r->value[i]))
			return ss_error(err, SS_EINVAL, "field '%s': '%s' is not "
					"a number", key, val);
	}
#undef KV
	while (p < errp && *p == ' ')
		p++;
	if (p != errp)
		return ss_error(err, SS_EINVAL, "field 'n': %d metrics, but more "
				"follow", r->nm);
	errp += 5;
	snprintf(r->error, sizeof r->error, "%.*s", (int)(end - errp), errp);
	return 0;
}
