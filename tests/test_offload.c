/*
 * test_offload.c - the offload options beyond the paper (both off by
 * default, docs/sparseserve.md "Beyond the paper"):
 *
 *   offload.prefetch   while layer l computes, load what layer l + 1
 *                      selected at the previous step;
 *   ws.fresh_factor    the working set of a decode request with no
 *                      history yet (Algorithm 1's M_req).
 *
 * Prefetch is checked in full simulations with every invariant checked
 * every iteration (tight HBM: evictions, stalls), for determinism, for its
 * accounting (every prefetched block-head is used or wasted), for a
 * perfect predictor (no waste) and for what it is for: reloads move off
 * the critical path. The fresh-request estimate is checked in closed form
 * on a tiny model, including the measured ratio (factor 0). The sampled
 * mode (offload.sample_heads) is checked against full fidelity where it
 * must be exact (one request) and for invariants where it is not.
 */
#include <gsl/gsl_rng.h>
#include <string.h>

#include "harness.h"
#include "sim_env.h"
#include "model/cost.h"
#include "model/model.h"
#include "policy/kvdir.h"
#include "policy/offload.h"
#include "policy/policy.h"
#include "sim/config.h"
#include "sim/sim.h"
#include "traces/trace.h"


/* 12 requests of 1k-6k tokens, 50 ms apart (as test_sim.c). */
static void small_trace(struct trace *t)
{
	trace_init(t);
	for (uint32_t i = 0; i < 12; i++)
		push(t, i, (int64_t)i * 50 * SS_NS_PER_MS,
		     1000 + (i * 977) % 5000, 8 + (i * 13) % 40);
}

static void t_config_keys(void)
{
	struct sim_config c;
	struct ss_err err;

	sim_config_default(&c);
	CHECK_EQ_U64(c.pol.prefetch, 0);
	CHECK(c.pol.ws_fresh_factor == 1.0);
	CHECK_EQ_I64(sim_config_set(&c, "offload.prefetch=1", "test", &err), 0);
	CHECK_EQ_U64(c.pol.prefetch, 1);
	CHECK_EQ_I64(sim_config_set(&c, "ws.fresh_factor=2.5", "test", &err), 0);
	CHECK(c.pol.ws_fresh_factor == 2.5);
	CHECK_EQ_I64(sim_config_set(&c, "offload.prefetch=2", "test", &err),
		     SS_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "offload.prefetch");
	CHECK_EQ_I64(sim_config_set(&c, "ws.fresh_factor=-1", "test", &err),
		     SS_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "ws.fresh_factor");
}

/* Every offload preset with prefetch in a tight HBM: invariants hold every
 * iteration, everything finishes, the rerun is identical, and every
 * prefetched block-head was either used or wasted. */
static void t_prefetch_invariants_and_determinism(void)
{
	struct env e;
	struct trace t;
	uint64_t any = 0;

	env_init(&e, "llama-3.1-8b", "h200");
	e.cfg.hbm_budget_gb = 1.5;
	e.cfg.pol.prefetch = 1;
	small_trace(&t);

	for (size_t k = 0; pol_presets[k]; k++) {
		const struct pol_off *o;
		struct sim a, b;

		if (!pol_presets[k]->offload)
			continue;
		env_run(&e, pol_presets[k]->name, NULL, &t, &a);
		env_run(&e, pol_presets[k]->name, NULL, &t, &b);
		CHECK_MSG(a.pol.nfinished == t.n, "%s: %llu of %zu finished",
			  pol_presets[k]->name,
			  (unsigned long long)a.pol.nfinished, t.n);
		CHECK_EQ_U64(a.niters, b.niters);
		CHECK(memcmp(a.iters, b.iters, a.niters * sizeof(*a.iters)) == 0);
		o = a.pol.off;
		any += o->pf_loaded;
		CHECK_EQ_U64(o->pf_loaded, o->pf_used + o->pf_wasted);
		CHECK(a.totals.blocks_loaded >= o->pf_loaded);
		CHECK_EQ_U64(o->pf_loaded, b.pol.off->pf_loaded);
		CHECK_EQ_U64(o->pf_used, b.pol.off->pf_used);
		sim_release(&a);
		sim_release(&b);
	}
	CHECK(any > 0);
	trace_release(&t);
	hw_profile_free(e.hw);
}

/* The decode requests' mean context, per iteration (decode_ctx): one
 * request alone has, at its k-th decode iteration, its prompt and k - 1
 * tokens in KV before it (the k-th decode step appends the KV of the
 * token the step before emitted); an iteration without decode requests
 * has 0. */
static void t_decode_ctx_recorded(void)
{
	static const char *const pols[] = { "vllm", "sparseserve" };
	struct env e;
	struct trace t;

	env_init(&e, "llama-3.1-8b", "h200");
	trace_init(&t);
	push(&t, 0, 0, 3000, 12);
	trace_finish(&t, 0);
	for (size_t p = 0; p < SS_ARRAY_SIZE(pols); p++) {
		struct sim a;
		uint32_t k = 0;

		env_run(&e, pols[p], NULL, &t, &a);
		for (size_t i = 0; i < a.niters; i++) {
			const struct sim_iter_rec *r = &a.iters[i];

			if (!r->decode_seqs) {
				CHECK(r->decode_ctx == 0);
				continue;
			}
			k++;
			CHECK_MSG(r->decode_ctx == 3000.0 + k - 1,
				  "%s: decode iteration %u: context %.1f, want %u",
				  pols[p], k, r->decode_ctx, 3000 + k - 1);
		}
		/* 12 output tokens: the prefill emits the first */
		CHECK_EQ_U64(k, 11);
		sim_release(&a);
	}
	trace_release(&t);
	hw_profile_free(e.hw);
}

/* The slots the replacement policy reclaimed, per iteration: under a tight
 * HBM budget every offload preset's iterations add up to its directory's
 * count, which is not 0 for all; with the whole H200 none is reclaimed. */
static void t_evictions_recorded(void)
{
	struct env e;
	struct trace t;
	uint64_t any = 0;

	env_init(&e, "llama-3.1-8b", "h200");
	small_trace(&t);
	for (int tight = 1; tight >= 0; tight--) {
		e.cfg.hbm_budget_gb = tight ? 1.5 : 0;
		for (size_t k = 0; pol_presets[k]; k++) {
			struct sim a;
			uint64_t sum = 0, dir;

			if (!pol_presets[k]->offload)
				continue;
			env_run(&e, pol_presets[k]->name, NULL, &t, &a);
			for (size_t i = 0; i < a.niters; i++)
				sum += a.iters[i].evictions;
			dir = kv_dir_stats(a.pol.off->kv)->evictions;
			CHECK_MSG(sum == dir,
				  "%s, budget %.1f GB: %llu in the iterations, %llu in the directory",
				  pol_presets[k]->name, e.cfg.hbm_budget_gb,
				  (unsigned long long)sum,
				  (unsigned long long)dir);
			if (tight)
				any += sum;
			else
				CHECK_EQ_U64(sum, 0);
			sim_release(&a);
		}
	}
	CHECK(any > 0);
	trace_release(&t);
	hw_profile_free(e.hw);
}

/*
 * One long decode whose selection (all layers) is larger than the HBM
 * cache: under LRU the layers' selections, used in a cycle, evict each
 * other, and every step reloads everything. With a selection that never
 * changes (step overlap 1, no new full block during the run) the
 * prediction is exact: nothing prefetched is wasted, every layer but the
 * first loads while the previous one computes, so the time waiting for
 * loads, TBT and the run's end fall. Prefill is untouched.
 */
static void t_prefetch_hides_reloads(void)
{
	const char *same = "locality:step_overlap=1,gain12=0,gain16=0";
	struct env e;
	struct trace t;
	struct sim off, on;
	const struct pol_off *o;

	env_init(&e, "llama-3.1-8b", "h200");
	/* one selection of all layers: 68 blocks x 8 heads x 32 layers x
	 * 16 KiB = 285 MB; the cache is 75% of 0.3 GB = 225 MB; digests of
	 * 500 blocks x 32 x 8 x 512 B = 66 MB fit the other 25% */
	e.cfg.hbm_budget_gb = 0.3;
	trace_init(&t);
	push(&t, 0, 0, 16000, 24); /* 500 full blocks, no new one */
	env_run(&e, "sparseserve", same, &t, &off);
	e.cfg.pol.prefetch = 1;
	env_run(&e, "sparseserve", same, &t, &on);
	CHECK_EQ_U64(on.pol.nfinished, 1);
	CHECK_EQ_U64(off.pol.nfinished, 1);
	o = on.pol.off;
	CHECK_EQ_U64(off.pol.off->pf_loaded, 0);
	CHECK(o->pf_loaded > 0);
	CHECK_EQ_U64(o->pf_wasted, 0);
	CHECK_EQ_U64(o->pf_used, o->pf_loaded);
	CHECK_MSG(on.totals.load_ns < off.totals.load_ns,
		  "load wait %lld ns with prefetch, %lld without",
		  (long long)on.totals.load_ns, (long long)off.totals.load_ns);
	CHECK(on.pol.reqs[0].sum_tbt_ns < off.pol.reqs[0].sum_tbt_ns);
	CHECK(on.pol.reqs[0].finish_ns < off.pol.reqs[0].finish_ns);
	CHECK_EQ_I64(on.pol.reqs[0].first_token_ns,
		     off.pol.reqs[0].first_token_ns);
	sim_release(&off);
	sim_release(&on);
	trace_release(&t);
	hw_profile_free(e.hw);
}

/* The tiny model of test_wsctl.c: 4 layers, 8 KV heads of 128, bf16; a
 * block-head is 16 KiB. */
static void tiny_model(struct model *m)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof m->name, "tiny");
	m->layers = 4;
	m->heads = 32;
	m->kv_heads = 8;
	m->head_dim = 128;
	m->dtype_bytes = 2;
	m->kv_bytes_per_token_layer = 2ull * 8 * 128 * 2;
	m->kv_bytes_per_token = m->kv_bytes_per_token_layer * 4;
	m->max_positions = 1 << 20;
}

/* M_req of a decode request with no history, `nfull` full blocks per
 * layer-head, under ws.fresh_factor = `f` (the policy's running
 * requests as they are). */
static uint64_t fresh_ws(struct pol *p, uint32_t nfull)
{
	struct pol_req r;
	struct pol_item it;

	memset(&r, 0, sizeof r);
	memset(&it, 0, sizeof it);
	r.kv = -1;
	r.kv_tokens = nfull * 32 + 5;
	it.decode = 1;
	it.q_tokens = 1;
	it.kv_prior = r.kv_tokens;
	return off_ws_bytes(p, &r, &it);
}

static void t_fresh_factor_closed_form(void)
{
	static const struct {
		double f;
		uint32_t nfull;
		uint64_t per; /* blocks per layer-head expected */
	} rows[] = {
		{ 1.0, 200, 68 },   /* the default: one step's selection */
		{ 1.0, 40, 40 },    /* short context: all its blocks */
		{ 1.5, 200, 102 },
		{ 2.4, 200, 164 },  /* 163.2 rounded up */
		{ 3.0, 200, 200 },  /* at most the context */
		{ 12.0, 200, 200 },
		{ 0.5, 200, 34 },
	};
	const uint64_t bb = 16384, lh = 4 * 8;
	struct model m;

	tiny_model(&m);
	for (size_t k = 0; k < SS_ARRAY_SIZE(rows); k++) {
		struct pol_config c;
		struct pol p;
		struct ss_err err;

		pol_config_default(&c);
		c.ws_fresh_factor = rows[k].f;
		CHECK_MSG(pol_init_mem(&p, pol_preset_find("sparseserve"), &c,
				       &m, 1ull << 30, 1ull << 40, 4, &err) == 0,
			  "%s", err.msg);
		CHECK_MSG(fresh_ws(&p, rows[k].nfull) ==
				  (rows[k].per + 1) * lh * bb,
			  "factor %g, %u full blocks: %llu bytes, want %llu",
			  rows[k].f, rows[k].nfull,
			  (unsigned long long)fresh_ws(&p, rows[k].nfull),
			  (unsigned long long)((rows[k].per + 1) * lh * bb));
		pol_release(&p);
	}
}

/* Factor 0: the union/selection ratio of the running requests with a
 * full window of history (1 while there is none). */
static void t_fresh_factor_measured(void)
{
	const uint64_t bb = 16384, lh = 4 * 8;
	struct model m;
	struct pol_config c;
	struct pol p;
	struct pol_plan plan;
	struct sel_source src;
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	struct ss_err err;
	uint32_t a[10], b[10];
	struct pol_req *r;

	tiny_model(&m);
	pol_config_default(&c);
	c.ws_fresh_factor = 0;
	CHECK_MSG(pol_init_mem(&p, pol_preset_find("sparseserve"), &c, &m,
			       1ull << 30, 1ull << 40, 2, &err) == 0,
		  "%s", err.msg);
	CHECK_MSG(sel_open(&src, "locality", &p.off->sp, NULL, rng, &err) == 0,
		  "%s", err.msg);
	pol_set_selection(&p, &src);
	pol_plan_init(&plan);
	/* nothing running: ratio 1, the one-step rule */
	CHECK_EQ_U64(fresh_ws(&p, 200), (68 + 1) * lh * bb);
	pol_add_request(&p, 0, 100, 0, 2048, 64, 0);
	CHECK_MSG(pol_schedule(&p, 0, &plan, &err) == 0, "%s", err.msg);
	r = &p.reqs[0];
	CHECK(r->state == POL_RUNNING && r->kv >= 0);
	/* running, history shorter than the window: still ratio 1 */
	CHECK_EQ_U64(fresh_ws(&p, 200), (68 + 1) * lh * bb);
	/* steps 0 and 1 select disjoint sets of 10 in every layer-head: the
	 * union is 20 and one step 10, a ratio of 2 */
	for (uint32_t i = 0; i < 10; i++) {
		a[i] = i;
		b[i] = 10 + i;
	}
	for (uint32_t l = 0; l < 4; l++)
		for (uint32_t h = 0; h < 8; h++)
			CHECK_MSG(ws_update(p.off->ws, r->kv, 0, l, h, a, 10,
					    NULL, 0, &err) == 0, "%s", err.msg);
	for (uint32_t l = 0; l < 4; l++)
		for (uint32_t h = 0; h < 8; h++)
			CHECK_MSG(ws_update(p.off->ws, r->kv, 1, l, h, b, 10,
					    a, 10, &err) == 0, "%s", err.msg);
	r->dsteps = c.ws_window;
	CHECK_EQ_U64(fresh_ws(&p, 200), (136 + 1) * lh * bb);
	CHECK_EQ_U64(fresh_ws(&p, 100), (100 + 1) * lh * bb);
	pol_release(&p);
	sel_close(&src);
	pol_plan_release(&plan);
	gsl_rng_free(rng);
}

/* A larger fresh estimate holds more back but changes no invariant: a
 * full simulation with factor 3 and with the measured ratio finishes
 * every request and is deterministic. */
static void t_fresh_factor_in_simulation(void)
{
	static const double factors[] = { 3.0, 0.0 };
	struct env e;
	struct trace t;

	env_init(&e, "llama-3.1-8b", "h200");
	e.cfg.hbm_budget_gb = 1.5;
	small_trace(&t);
	for (size_t k = 0; k < SS_ARRAY_SIZE(factors); k++) {
		struct sim a, b;

		e.cfg.pol.ws_fresh_factor = factors[k];
		env_run(&e, "sparseserve", NULL, &t, &a);
		env_run(&e, "sparseserve", NULL, &t, &b);
		CHECK_EQ_U64(a.pol.nfinished, t.n);
		CHECK_EQ_U64(a.niters, b.niters);
		CHECK(memcmp(a.iters, b.iters, a.niters * sizeof(*a.iters)) == 0);
		sim_release(&a);
		sim_release(&b);
	}
	trace_release(&t);
	hw_profile_free(e.hw);
}

/* Under an offload preset too, an iteration whose decode requests all fit
 * the token budget runs no selection (sparse_layers 0), and one with a
 * request past it runs the selection on every layer: a 1,000-token prompt
 * alone, then a 3,000-token one beside it. */
static void t_offload_sparse_layers_follow_the_budget(void)
{
	struct env e;
	struct trace t;
	struct sim s;
	uint64_t none = 0, all = 0;

	env_init(&e, "llama-3.1-8b", "h200");
	trace_init(&t);
	push(&t, 0, 0, 1000, 40);
	push(&t, 1, 200000000, 3000, 8);
	env_run(&e, "sparseserve", NULL, &t, &s);
	CHECK_EQ_U64(s.pol.nfinished, 2);
	for (size_t i = 0; i < s.niters; i++) {
		const struct sim_iter_rec *r = &s.iters[i];

		if (r->prefill_tokens || !r->decode_seqs)
			continue;
		CHECK(r->sparse_layers == 0 || r->sparse_layers == e.m.layers);
		if (r->decode_seqs == 1 && r->sparse_layers == 0)
			none++;
		if (r->decode_seqs == 2) {
			CHECK_EQ_U64(r->sparse_layers, e.m.layers);
			all++;
		}
	}
	CHECK(none > 0);
	CHECK(all > 0);
	sim_release(&s);
	trace_release(&t);
	hw_profile_free(e.hw);
}

/* Each iteration records its prefill tokens times the layers they ran
 * (prefill_layer_tokens, what the executor's per-token terms are charged
 * on): over a run every prompt token passes every layer once, under
 * layer-segmented prefill (sparseserve) as without it (vllm-so), and
 * layer-segmented iterations run fewer layers than the model's. */
static void t_prefill_layer_tokens_recorded(void)
{
	static const char *const pols[] = { "sparseserve", "vllm-so" };
	struct env e;
	struct trace t;

	env_init(&e, "llama-3.1-8b", "h200");
	trace_init(&t);
	push(&t, 0, 0, 20000, 8);
	push(&t, 1, 30000000, 3000, 8);
	push(&t, 2, 60000000, 9000, 8);
	for (int k = 0; k < 2; k++) {
		struct sim s;
		uint64_t sum = 0, part = 0;

		env_run(&e, pols[k], NULL, &t, &s);
		CHECK_EQ_U64(s.pol.nfinished, 3);
		for (size_t i = 0; i < s.pol.nreqs; i++)
			CHECK_EQ_U64(s.pol.reqs[i].preemptions, 0);
		for (size_t i = 0; i < s.niters; i++) {
			const struct sim_iter_rec *r = &s.iters[i];

			CHECK(r->prefill_layer_tokens <=
			      (uint64_t)e.m.layers * r->prefill_tokens);
			CHECK(r->gather_layer_tokens <=
			      (uint64_t)e.m.layers *
				      (r->prefill_tokens + 20000));
			sum += r->prefill_layer_tokens;
			part += r->prefill_layer_tokens <
				(uint64_t)e.m.layers * r->prefill_tokens;
		}
		CHECK_EQ_U64(sum, (uint64_t)e.m.layers * (20000 + 3000 + 9000));
		CHECK_MSG(k == 0 ? part > 0 : part == 0,
			  "%s: %llu iterations ran fewer layers", pols[k],
			  (unsigned long long)part);
		sim_release(&s);
	}
	trace_release(&t);
	/* one prompt alone, exactly: chunked (vllm-so) every chunk runs every
	 * layer and gathers the KV before it; layer-segmented (sparseserve)
	 * its one item runs lp_layers layers, and a chunk with earlier KV
	 * one layer */
	trace_init(&t);
	push(&t, 0, 0, 20000, 4);
	for (int k = 0; k < 2; k++) {
		struct sim s;
		uint64_t cum = 0, L = e.m.layers, gathered = 0;

		env_run(&e, pols[k], NULL, &t, &s);
		CHECK_EQ_U64(s.pol.nfinished, 1);
		for (size_t i = 0; i < s.niters; i++) {
			const struct sim_iter_rec *r = &s.iters[i];
			uint64_t q = r->prefill_tokens;

			if (!q) {
				CHECK_EQ_U64(r->prefill_layers, 0);
				CHECK_EQ_U64(r->gather_layer_tokens, 0);
				continue;
			}
			if (k == 1) {
				CHECK_EQ_U64(r->prefill_layers, L);
				CHECK_EQ_U64(r->prefill_layer_tokens, L * q);
				CHECK_EQ_U64(r->gather_layer_tokens,
					     cum ? L * (cum + q) : 0);
				cum += q;
			} else {
				CHECK_EQ_U64(r->prefill_layers, r->lp_layers);
				CHECK_EQ_U64(r->prefill_layer_tokens,
					     q * r->lp_layers);
				CHECK(!r->gather_layer_tokens ||
				      r->prefill_layers == 1);
			}
			gathered += r->gather_layer_tokens;
		}
		if (k == 1)
			CHECK_EQ_U64(cum, 20000);
		CHECK_MSG(k == 0 || gathered > 0, "%s: no gather", pols[k]);
		sim_release(&s);
	}
	trace_release(&t);
	hw_profile_free(e.hw);
}

/* Sampled mode: a divisor of the KV heads or an error naming the key;
 * all heads is full fidelity (identical); with one request, prefill and
 * the first decode step are those of full fidelity (each simulated
 * block-head moves head_scale real ones at the real block's rate), the
 * saves are the same bytes and the later loads within 10%; in a tight
 * HBM every invariant holds and the run is deterministic. */
static void t_sampled_mode(void)
{
	struct env e;
	struct trace t;
	struct sim full, same, half;
	struct sim_opts o;
	struct ss_err err;
	uint64_t lf = 0, lh = 0, bf = 0, bh = 0;

	env_init(&e, "llama-3.1-8b", "h200");
	trace_init(&t);
	push(&t, 0, 0, 4096, 6);
	e.cfg.pol.sample_heads = 3;
	memset(&o, 0, sizeof o);
	o.preset = pol_preset_find("sparseserve");
	o.cfg = &e.cfg;
	o.m = &e.m;
	o.cost = &e.cost;
	o.trace = &t;
	CHECK(sim_init(&full, &o, &err) != 0);
	CHECK_STR_CONTAINS(err.msg, "offload.sample_heads");
	e.cfg.pol.sample_heads = 0;
	env_run(&e, "sparseserve", NULL, &t, &full);
	e.cfg.pol.sample_heads = 8;
	env_run(&e, "sparseserve", NULL, &t, &same);
	CHECK_EQ_U64(full.niters, same.niters);
	CHECK(memcmp(full.iters, same.iters,
		     full.niters * sizeof(*full.iters)) == 0);
	e.cfg.pol.sample_heads = 2;
	env_run(&e, "sparseserve", NULL, &t, &half);
	CHECK_EQ_U64(half.pol.off->head_scale, 4);
	CHECK_EQ_U64(half.niters, full.niters);
	/* prefill and the first decode step (its whole selection missing,
	 * no randomness) are exact; later steps draw each head's churn */
	for (size_t i = 0, dec = 0; i < full.niters && !dec; i++) {
		CHECK_EQ_I64(half.iters[i].dur_ns, full.iters[i].dur_ns);
		CHECK_EQ_I64(half.iters[i].load_ns, full.iters[i].load_ns);
		CHECK_EQ_U64(half.iters[i].blocks_loaded,
			     full.iters[i].blocks_loaded);
		dec = full.iters[i].decode_seqs;
	}
	for (size_t i = 0; i < full.niters; i++) {
		lf += full.iters[i].blocks_loaded;
		lh += half.iters[i].blocks_loaded;
		bf += full.iters[i].bytes_saved;
		bh += half.iters[i].bytes_saved;
	}
	CHECK(lf > 0 && bf > 0);
	CHECK_MSG(lh > lf * 9 / 10 && lh < lf * 11 / 10,
		  "%llu block-heads loaded sampled, %llu full",
		  (unsigned long long)lh, (unsigned long long)lf);
	CHECK_EQ_U64(bh, bf);
	CHECK_EQ_I64(half.pol.reqs[0].first_token_ns,
		     full.pol.reqs[0].first_token_ns);
	sim_release(&full);
	sim_release(&same);
	sim_release(&half);
	trace_release(&t);
	small_trace(&t);
	e.cfg.hbm_budget_gb = 1.5;
	for (int k = 0; k < 2; k++) {
		struct sim a, b;

		e.cfg.pol.prefetch = (uint32_t)k;
		env_run(&e, "sparseserve", NULL, &t, &a);
		env_run(&e, "sparseserve", NULL, &t, &b);
		CHECK_EQ_U64(a.pol.nfinished, t.n);
		CHECK_EQ_U64(a.niters, b.niters);
		CHECK(memcmp(a.iters, b.iters, a.niters * sizeof(*a.iters)) == 0);
		CHECK_EQ_U64(a.totals.blocks_loaded * 16384,
			     a.totals.bytes_loaded);
		sim_release(&a);
		sim_release(&b);
	}
	trace_release(&t);
	hw_profile_free(e.hw);
}

static const struct th_case cases[] = {
	TH_CASE(t_config_keys),
	TH_CASE(t_prefetch_invariants_and_determinism),
	TH_CASE(t_prefetch_hides_reloads),
	TH_CASE(t_fresh_factor_closed_form),
	TH_CASE(t_fresh_factor_measured),
	TH_CASE(t_fresh_factor_in_simulation),
	TH_CASE(t_offload_sparse_layers_follow_the_budget),
	TH_CASE(t_prefill_layer_tokens_recorded),
	TH_CASE(t_sampled_mode),
	TH_CASE(t_evictions_recorded),
	TH_CASE(t_decode_ctx_recorded),
	{ 0 },
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, cases);
}
