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
#include "sim_env.h"
#include "model/cost.h"
#include "model/model.h"
#include "sim/metrics.h"
#include "sim/sim.h"
#include "traces/trace.h"


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

/* A small mixed workload: 12 requests of 1k-6k tokens, 50 ms apart. */
static void small_trace(struct trace *t)
{
	trace_init(t);
	for (uint32_t i = 0; i < 12; i++)
		push(t, i, (int64_t)i * 50 * SS_NS_PER_MS,
		     1000 + (i * 977) % 5000, 8 + (i * 13) % 40);
}

/* Every preset, invariants checked every iteration (pol_check, which runs
 * kv_dir_check for the offload presets), in an HBM small enough that
 * the offload presets evict and stall: all requests finish, nothing is
 * rejected, and a rerun is identical. */
static void t_every_preset_invariants_and_determinism(void)
{
	struct env e;
	struct trace t;

	env_init(&e, "llama-3.1-8b", "h200");
	e.cfg.hbm_budget_gb = 1.5;
	small_trace(&t);
	for (size_t k = 0; pol_presets[k]; k++) {
		struct sim a, b;

		run_sim(&e, pol_presets[k]->name, &t, &a);
		run_sim(&e, pol_presets[k]->name, &t, &b);
		CHECK_MSG(a.pol.nfinished == t.n, "%s: %llu of %zu finished",
			  pol_presets[k]->name,
			  (unsigned long long)a.pol.nfinished, t.n);
		CHECK_EQ_U64(a.pol.nrejected, 0);
		CHECK_EQ_U64(a.niters, b.niters);
		CHECK(memcmp(a.iters, b.iters, a.niters * sizeof(*a.iters)) == 0);
		for (size_t i = 0; i < t.n; i++) {
			CHECK_EQ_I64(a.pol.reqs[i].first_token_ns,
				     b.pol.reqs[i].first_token_ns);
			CHECK_EQ_I64(a.pol.reqs[i].finish_ns,
				     b.pol.reqs[i].finish_ns);
		}
		if (pol_presets[k]->offload) {
			CHECK(a.totals.blocks_loaded > 0);
			CHECK(a.totals.blocks_saved > 0);
		} else {
			CHECK_EQ_U64(a.totals.blocks_loaded, 0);
		}
		sim_release(&a);
		sim_release(&b);
	}
	trace_release(&t);
	hw_profile_free(e.hw);
}

/*
 * One request under sparseserve: layer-segmented prefill saves and drops
 * every layer, so its first decode step misses its whole selection:
 * 68 blocks (64 top-k + 2 sink + 2 window of 128 full blocks) x 8 KV
 * heads per layer, one FlashH2D flow per layer, alone on the link. Each
 * takes exactly latency + bytes / min(bw, mechanism cap).
 */
static void t_single_decode_loads_closed_form(void)
{
	struct env e;
	struct trace t;
	struct sim s;
	const struct sim_iter_rec *dec = NULL;
	double load_bps, save_bps, rate;
	uint64_t bytes = 68ull * 8 * 16384, nl;
	int64_t one;

	env_init(&e, "llama-3.1-8b", "h200");
	trace_init(&t);
	push(&t, 0, 0, 4096, 3);
	run_sim(&e, "sparseserve", &t, &s);
	for (size_t i = 0; i < s.niters && !dec; i++)
		if (s.iters[i].decode_seqs == 1)
			dec = &s.iters[i];
	CHECK(dec != NULL);
	/* the last prefill layers may still be saving (in HBM): hits */
	nl = dec->blocks_loaded / (68 * 8);
	CHECK_EQ_U64(dec->blocks_loaded, nl * 68 * 8);
	CHECK(nl >= 30);
	CHECK_EQ_U64(dec->hits, (32 - nl) * 68 * 8);
	CHECK_EQ_U64(dec->bytes_loaded, bytes * nl);
	sim_offload_caps(s.xo, &load_bps, &save_bps);
	rate = SS_MIN(hw_link_bw(e.hw, LINK_H2D), load_bps);
	one = hw_link_latency_ns(e.hw) +
	      (int64_t)ceil((double)bytes / rate * 1e9 * (1 - 1e-9));
	CHECK_EQ_I64(dec->load_ns, (int64_t)nl * one);
	CHECK_EQ_I64(dec->stall_ns, 0);
	sim_release(&s);
	trace_release(&t);
	hw_profile_free(e.hw);
}

/* A bad selection source is an error naming it. */
static void t_offload_bad_selection_source(void)
{
	struct env e;
	struct trace t;
	struct sim s;
	struct ss_err err;

	env_init(&e, "llama-3.1-8b", "h200");
	trace_init(&t);
	push(&t, 0, 0, 100, 2);
	struct sim_opts o = { .preset = pol_preset_find("vllm-so"),
			      .cfg = &e.cfg, .m = &e.m, .cost = &e.cost,
			      .trace = &t, .selection = "oracle" };
	CHECK(sim_init(&s, &o, &err) != 0);
	CHECK_STR_CONTAINS(err.msg, "unknown source 'oracle'");
	o.selection = "locality:step_overlap=7";
	CHECK(sim_init(&s, &o, &err) != 0);
	CHECK_STR_CONTAINS(err.msg, "step_overlap");
	trace_release(&t);
	hw_profile_free(e.hw);
}

/* An HBM cache that cannot hold one layer of one request's selection is
 * an error naming the batch and the cache, not a hang. */
static void t_offload_cache_too_small(void)
{
	struct env e;
	struct trace t;
	struct sim s;
	struct ss_err err;
	int rc;

	env_init(&e, "llama-3.1-8b", "h200");
	e.cfg.hbm_budget_gb = 0.04; /* 4 MB of cache: 244 slots */
	e.cfg.pol.meta_frac = 0.9;
	trace_init(&t);
	push(&t, 0, 0, 8000, 2);
	struct sim_opts o = { .preset = pol_preset_find("vllm-so"),
			      .cfg = &e.cfg, .m = &e.m, .cost = &e.cost,
			      .trace = &t };
	CHECK_MSG(sim_init(&s, &o, &err) == 0, "%s", err.msg);
	while ((rc = sim_step(&s, &err)) > 0)
		;
	CHECK_EQ_I64(rc, SS_ERANGE);
	CHECK_STR_CONTAINS(err.msg, "does not fit the HBM cache of");
	CHECK_STR_CONTAINS(err.msg, "batch of 1 requests");
	sim_release(&s);
	trace_release(&t);
	hw_profile_free(e.hw);
}


/*
 * The cost model prices a layer-segmented prefill item at its layers only
 * (the live executor's model_s): a prompt over layers [8, 24) of 32 beside
 * a decode row costs 16 layers of the pair and 16 of the decode row alone.
 */
static void t_costmodel_layer_ranges(void)
{
	struct env e;
	struct pol_item it[2] = {
		{ .q_tokens = 1, .kv_prior = 999, .kv_read = 1000, .decode = 1 },
		{ .q_tokens = 4096, .kv_prior = 0, .layer_lo = 8, .layer_hi = 24 },
	};
	struct pol_plan plan = { .items = it, .n = 2, .prefill_tokens = 4096,
				 .decode_seqs = 1, .decode_kv_read = 1000 };
	struct sim_exec_result res, whole;
	const struct cost_model *c;
	int64_t lin, misc;

	env_init(&e, "llama-3.1-8b", "h200");
	c = &e.cost;
	CHECK_EQ_U64(e.m.layers, 32);
	CHECK_EQ_I64(sim_exec_costmodel.run(&e.cost, NULL, &plan, &res, NULL), 0);
	lin = 16 * cost_linear_ns(c, 4097) + 16 * cost_linear_ns(c, 1);
	misc = 16 * cost_layer_misc_ns(c, 4097) + 16 * cost_layer_misc_ns(c, 1);
	CHECK_EQ_I64(res.linear_ns, lin);
	CHECK_EQ_I64(res.attn_ns, 16 * cost_prefill_attn_ns(c, 4096, 0) +
				     32 * cost_decode_attn_ns(c, 1, 1000, 0));
	CHECK_EQ_I64(res.other_ns, misc + cost_iter_fixed_ns(c, 2, 4097));
	/* the same prompt over every layer costs more */
	it[1].layer_lo = 0;
	it[1].layer_hi = 32;
	CHECK_EQ_I64(sim_exec_costmodel.run(&e.cost, NULL, &plan, &whole, NULL), 0);
	CHECK(whole.dur_ns > res.dur_ns);
	CHECK_EQ_I64(whole.linear_ns, 32 * cost_linear_ns(c, 4097));
	hw_profile_free(e.hw);
}

static const struct th_case cases[] = {
	TH_CASE(t_every_preset_invariants_and_determinism),
	TH_CASE(t_single_decode_loads_closed_form),
	TH_CASE(t_offload_bad_selection_source),
	TH_CASE(t_offload_cache_too_small),
	TH_CASE(t_single_request_closed_form),
	TH_CASE(t_sparse_decode_cheaper_at_long_context),
	TH_CASE(t_md1_queue),
	TH_CASE(t_trace_slice_invariants_and_determinism),
	TH_CASE(t_model_too_big_is_an_error),
	TH_CASE(t_costmodel_layer_ranges),
	{ 0 },
};

int main(int argc, char **argv) { return th_main(argc, argv, cases); }
