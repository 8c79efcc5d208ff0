/*
 * test_sim.c - the simulator against closed forms: one request's TTFT and
 * TBT equal the cost model's iteration times; a lightly loaded FCFS queue
 * of one-iteration requests matches M/D/1; invariants and determinism on
 * a real trace slice.
 */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <string.h>

#include "harness.h"
#include "model/cost.h"
#include "model/model.h"
#include "sim/metrics.h"
#include "sim/sim.h"
#include "traces/trace.h"

struct env {
	struct model m;
	struct hw_profile *hw;
	struct cost_model cost;
	struct sim_config cfg;
};

static void env_init(struct env *e, const char *model, const char *profile)
{
	struct ss_err err;

	CHECK_MSG(model_load(&e->m, model, &err) == 0, "%s", err.msg);
	CHECK_MSG(hw_profile_load(&e->hw, profile, &err) == 0, "%s", err.msg);
	e->cost.hw = e->hw;
	e->cost.m = &e->m;
	sim_config_default(&e->cfg);
	e->cfg.check_invariants = 1;
}

static void push(struct trace *t, uint64_t id, int64_t at, uint32_t p,
		 uint32_t o)
{
	struct trace_request r = { .id = id, .arrival_ns = at,
				   .prompt_tokens = p, .output_tokens = o };
	struct ss_err err;

	CHECK_EQ_I64(trace_push(t, &r, &err), 0);
}

static int64_t run_sim(struct env *e, const char *policy,
		       const struct trace *t, struct sim *s)
{
	struct sim_opts o = { .preset = pol_preset_find(policy),
			      .cfg = &e->cfg, .m = &e->m, .cost = &e->cost,
			      .trace = t };
	struct ss_err err;

	CHECK(o.preset != NULL);
	CHECK_MSG(sim_init(s, &o, &err) == 0, "%s", err.msg);
	CHECK_MSG(sim_run(s, &err) == 0, "%s", err.msg);
	return s->now;
}

/* Duration of one iteration holding exactly `it` (one request). */
static int64_t iter_ns(struct env *e, const struct pol_item *it)
{
	struct pol_item copy = *it;
	struct pol_plan plan = { .items = &copy, .n = 1 };
	struct sim_exec_result res;

	if (it->decode) {
		plan.decode_seqs = 1;
		plan.decode_kv_read = it->kv_read;
	} else {
		plan.prefill_tokens = it->q_tokens;
	}
	CHECK_EQ_I64(sim_exec_costmodel.run(&e->cost, NULL, &plan, &res, NULL), 0);
	return res.dur_ns;
}

static void t_single_request_closed_form(void)
{
	struct env e;
	struct trace t;
	struct sim s;
	const uint32_t P = 3000, O = 5;
	int64_t want_ttft, t_tok;

	env_init(&e, "llama-3.1-8b", "h200");
	trace_init(&t);
	push(&t, 0, 0, P, O);
	run_sim(&e, "vllm", &t, &s);
	/* chunks of 2048 + 952 tokens, then 4 decodes at growing context */
	struct pol_item c1 = { .q_tokens = 2048, .kv_prior = 0 };
	struct pol_item c2 = { .q_tokens = P - 2048, .kv_prior = 2048 };
	want_ttft = iter_ns(&e, &c1) + iter_ns(&e, &c2);
	CHECK_EQ_I64(s.pol.reqs[0].first_token_ns, want_ttft);
	t_tok = want_ttft;
	for (uint32_t k = 1; k < O; k++) {
		struct pol_item d = { .q_tokens = 1, .kv_prior = P + k - 1,
				      .kv_read = P + k, .decode = 1 };
		int64_t dur = iter_ns(&e, &d);

		t_tok += dur;
		if (k == 1)
			CHECK(dur < want_ttft); /* a decode is cheaper */
	}
	CHECK_EQ_I64(s.pol.reqs[0].finish_ns, t_tok);
	CHECK_EQ_U64(s.niters, 2 + O - 1);
	sim_release(&s);
	trace_release(&t);
	hw_profile_free(e.hw);
}

static void t_sparse_decode_cheaper_at_long_context(void)
{
	struct env e;
	struct trace t;
	struct sim s1, s2;

	env_init(&e, "llama-3-8b-262k", "h200");
	trace_init(&t);
	push(&t, 0, 0, 100000, 50);
	run_sim(&e, "vllm", &t, &s1);
	run_sim(&e, "vllm-s", &t, &s2);
	double tbt_dense = (double)s1.pol.reqs[0].sum_tbt_ns / 49;
	double tbt_sparse = (double)s2.pol.reqs[0].sum_tbt_ns / 49;
	CHECK_MSG(tbt_sparse < tbt_dense, "sparse %.0f ns vs dense %.0f ns",
		  tbt_sparse, tbt_dense);
	/* prefill is dense in both */
	CHECK_EQ_I64(s1.pol.reqs[0].first_token_ns, s2.pol.reqs[0].first_token_ns);
	sim_release(&s1);
	sim_release(&s2);
	trace_release(&t);
	hw_profile_free(e.hw);
}

/*
 * Requests of exactly one chunk (2048-token prompt, 1 output token) are one
 * iteration each and cannot share an iteration: FCFS with deterministic
 * service S and Poisson arrivals is M/D/1, mean wait rho S / (2 (1 - rho)).
 */
static void t_md1_queue(void)
{
	struct env e;
	struct trace t;
	struct sim s;
	struct metrics_summary ms;
	struct ss_err err;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	const int n = 40000;
	const double rho = 0.5;
	struct pol_item it = { .q_tokens = 2048 };
	double S, lambda, at = 0;

	env_init(&e, "llama-3.1-8b", "h200");
	e.cfg.check_invariants = 0;
	S = ss_ns_to_s(iter_ns(&e, &it));
	lambda = rho / S;
	gsl_rng_set(r, 11);
	trace_init(&t);
	for (int i = 0; i < n; i++) {
		at += gsl_ran_exponential(r, 1.0 / lambda);
		push(&t, (uint64_t)i, ss_s_to_ns(at), 2048, 1);
	}
	trace_finish(&t, 1);
	run_sim(&e, "vllm", &t, &s);
	CHECK_EQ_I64(metrics_summarize(&s, 0, &ms, &err), 0);
	double want = rho * S / (2 * (1 - rho));
	CHECK_REL(metrics_get(&ms, "queue_mean_s"), want, 0.05);
	CHECK_REL(metrics_get(&ms, "ttft_mean_s"), want + S, 0.05);
	CHECK_EQ_U64(s.niters, (uint64_t)n);
	gsl_rng_free(r);
	sim_release(&s);
	trace_release(&t);
	hw_profile_free(e.hw);
}

/* A real trace slice: everything finishes, HBM never over capacity, and
 * a second run is identical. */
static void t_trace_slice_invariants_and_determinism(void)
{
	struct env e;
	struct trace t;
	struct sim a, b;
	struct ss_err err;
	struct trace_load_opts lo = { 0 };
	char path[1024];

	snprintf(path, sizeof path, "%s/traces/data/conversation_trace.jsonl",
		 getenv("SS_SOURCE_ROOT") ? getenv("SS_SOURCE_ROOT") : ".");
	env_init(&e, "llama-3-8b-262k", "h200");
	e.cfg.pol.gpu_mem_util = 0.35; /* tight HBM: preemptions happen */
	trace_init(&t);
	CHECK_MSG(trace_load(&t, path, "mooncake", &lo, &err) == 0, "%s", err.msg);
	trace_limit(&t, 400);
	run_sim(&e, "vllm", &t, &a);
	run_sim(&e, "vllm", &t, &b);
	CHECK_EQ_U64(a.pol.nfinished + a.pol.nrejected, 400);
	CHECK(a.pol.preemptions > 0);
	for (size_t i = 0; i < a.niters; i++)
		CHECK(a.iters[i].hbm_kv_bytes <= a.kv_capacity);
	CHECK_EQ_U64(a.niters, b.niters);
	CHECK(memcmp(a.iters, b.iters, a.niters * sizeof(*a.iters)) == 0);
	for (size_t i = 0; i < 400; i++)
		CHECK_EQ_I64(a.pol.reqs[i].finish_ns, b.pol.reqs[i].finish_ns);
	sim_release(&a);
	sim_release(&b);
	trace_release(&t);
	hw_profile_free(e.hw);
}

static void t_model_too_big_is_an_error(void)
{
	struct env e;
	struct trace t;
	struct sim s;
	struct ss_err err;

	env_init(&e, "llama-3.1-70b", "h200");
	trace_init(&t);
	push(&t, 0, 0, 10, 10);
	struct sim_opts o = { .preset = pol_preset_find("vllm"), .cfg = &e.cfg,
			      .m = &e.m, .cost = &e.cost, .trace = &t };
	CHECK(sim_init(&s, &o, &err) != 0);
	CHECK_STR_CONTAINS(err.msg, "llama-3.1-70b");
	trace_release(&t);
	hw_profile_free(e.hw);
}

static const struct th_case cases[] = {
	TH_CASE(t_single_request_closed_form),
	TH_CASE(t_sparse_decode_cheaper_at_long_context),
	TH_CASE(t_md1_queue),
	TH_CASE(t_trace_slice_invariants_and_determinism),
	TH_CASE(t_model_too_big_is_an_error),
	{ 0 },
};

int main(int argc, char **argv) { return th_main(argc, argv, cases); }
