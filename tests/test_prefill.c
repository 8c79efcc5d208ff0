/*
 * test_prefill.c - layer-segmented prefill (sparseserve, +LP): layers per
 * iteration for several prompt lengths (maxInjectToken in token x layer
 * units), token chunking of one layer when it alone exceeds the budget,
 * the first token at the last layer, decodes mixed in, and in a full
 * simulation the HBM bound: at every iteration boundary a prefilling
 * request holds no full block in HBM that is not on its way to DRAM (its
 * saved layers are dropped at once), and during an iteration at most the
 * layers it runs.
 */
#include <gsl/gsl_rng.h>
#include <string.h>

#include "harness.h"
#include "model/cost.h"
#include "model/model.h"
#include "policy/offload.h"
#include "policy/policy.h"
#include "sim/sim.h"
#include "traces/trace.h"

struct fix {
	struct model m;
	struct pol_config c;
	struct pol p;
	struct pol_plan plan;
	struct sel_source src;
	gsl_rng *rng;
};

/* 32 layers, 8 KV heads: the paper's maxInjectToken = 2048 x 32. */
static void fix_init(struct fix *f, size_t nreqs)
{
	struct ss_err err;

	memset(f, 0, sizeof(*f));
	snprintf(f->m.name, sizeof f->m.name, "tiny32");
	f->m.layers = 32;
	f->m.heads = 32;
	f->m.kv_heads = 8;
	f->m.head_dim = 128;
	f->m.dtype_bytes = 2;
	f->m.kv_bytes_per_token_layer = 2ull * 8 * 128 * 2;
	f->m.kv_bytes_per_token = f->m.kv_bytes_per_token_layer * 32;
	f->m.max_positions = 1 << 20;
	pol_config_default(&f->c);
	CHECK_MSG(pol_init_mem(&f->p, pol_preset_find("sparseserve"), &f->c,
			       &f->m, 64ull << 30, 0, nreqs, &err) == 0,
		  "%s", err.msg);
	CHECK_EQ_U64(f->p.off->max_inject, 2048 * 32);
	f->rng = gsl_rng_alloc(gsl_rng_mt19937);
	CHECK_MSG(sel_open(&f->src, "locality", &f->p.off->sp, NULL, f->rng,
			   &err) == 0,
		  "%s", err.msg);
	pol_set_selection(&f->p, &f->src);
	pol_plan_init(&f->plan);
}

static void fix_release(struct fix *f)
{
	pol_release(&f->p);
	sel_close(&f->src);
	gsl_rng_free(f->rng);
	pol_plan_release(&f->plan);
}

static const struct {
	uint32_t prompt;
	uint32_t iters;      /* iterations until the first token */
	uint32_t first_hi;   /* layer_hi of the first iteration */
	uint32_t first_q;    /* tokens of the first iteration */
} lp_rows[] = {
	{ 1000, 1, 32, 1000 },    /* 65 layers' worth: all 32 at once */
	{ 2048, 1, 32, 2048 },    /* exactly 32 layers */
	{ 4096, 2, 16, 4096 },    /* 16 layers per iteration */
	{ 20000, 11, 3, 20000 },  /* 3 per iteration: 10 x 3 + 2 */
	{ 65536, 32, 1, 65536 },  /* one layer per iteration */
	{ 100000, 64, 1, 65536 }, /* each layer in 2 token chunks */
};

static void t_layers_per_iteration(void)
{
	for (size_t row = 0; row < SS_ARRAY_SIZE(lp_rows); row++) {
		struct fix f;
		struct ss_err err;
		int64_t now = 0;
		uint32_t iters = 0, layers_seen = 0, tokens_in_layer = 0;

		fix_init(&f, 1);
		pol_add_request(&f.p, 0, 1, 0, lp_rows[row].prompt, 2, 0);
		while (f.p.reqs[0].first_token_ns < 0) {
			const struct pol_item *it;

			CHECK_EQ_I64(pol_schedule(&f.p, now, &f.plan, &err), 0);
			pol_check(&f.p);
			CHECK_EQ_U64(f.plan.n, 1);
			it = &f.plan.items[0];
			CHECK(!it->decode);
			CHECK_EQ_U64(it->layer_lo, layers_seen);
			CHECK(it->layer_hi > it->layer_lo);
			CHECK(it->layer_hi <= 32);
			CHECK((uint64_t)(it->layer_hi - it->layer_lo) *
				      it->q_tokens <= 2048 * 32);
			CHECK_EQ_U64(it->kv_prior, tokens_in_layer);
			if (iters == 0) {
				CHECK_EQ_U64(it->layer_hi, lp_rows[row].first_hi);
				CHECK_EQ_U64(it->q_tokens, lp_rows[row].first_q);
			}
			/* one-layer working set, exact */
			CHECK_EQ_U64(it->ws_bytes,
				     (uint64_t)(it->kv_prior + it->q_tokens + 31) /
					     32 * 8 * 16384);
			CHECK_EQ_U64(f.plan.lp_layers, it->layer_hi - it->layer_lo);
			CHECK_EQ_I64(it->emits, it->layer_hi == 32 &&
						it->kv_prior + it->q_tokens ==
							lp_rows[row].prompt);
			if (it->kv_prior + it->q_tokens == lp_rows[row].prompt) {
				layers_seen = it->layer_hi;
				tokens_in_layer = 0;
			} else {
				tokens_in_layer += it->q_tokens;
			}
			now += 1000;
			pol_complete(&f.p, &f.plan, now);
			iters++;
			CHECK(iters <= 100);
		}
		CHECK_MSG(iters == lp_rows[row].iters, "prompt %u: %u iterations",
			  lp_rows[row].prompt, iters);
		CHECK_EQ_I64(f.p.reqs[0].first_token_ns, now);
		CHECK_EQ_U64(f.p.reqs[0].kv_tokens, lp_rows[row].prompt);
		/* then it decodes */
		CHECK_EQ_I64(pol_schedule(&f.p, now, &f.plan, &err), 0);
		CHECK_EQ_U64(f.plan.n, 1);
		CHECK(f.plan.items[0].decode);
		CHECK_EQ_U64(f.plan.items[0].layer_hi - f.plan.items[0].layer_lo, 32);
		fix_release(&f);
	}
}

/* Prompts share the token x layer budget: one that fits the whole budget
 * but not what is left waits (FCFS) rather than being chunked by tokens;
 * a decode runs beside them with all layers. */
static void t_shared_inject_budget_and_mixed_decode(void)
{
	struct fix f;
	struct ss_err err;
	int64_t now = 0;

	fix_init(&f, 3);
	pol_add_request(&f.p, 0, 1, 0, 100, 50, 0);
	CHECK_EQ_I64(pol_schedule(&f.p, now, &f.plan, &err), 0);
	pol_complete(&f.p, &f.plan, now += 1000);
	pol_add_request(&f.p, 1, 2, now, 30000, 2, 0);
	pol_add_request(&f.p, 2, 3, now, 30000, 2, 0);
	CHECK_EQ_I64(pol_schedule(&f.p, now, &f.plan, &err), 0);
	CHECK(f.plan.items[0].decode);
	CHECK_EQ_U64(f.plan.items[0].layer_lo, 0);
	CHECK_EQ_U64(f.plan.items[0].layer_hi, 32);
	/* 65536 / 30000: 2 layers for the first (60000); the 5536 left are
	 * not enough for a layer of the second, which waits */
	CHECK_EQ_U64(f.plan.n, 2);
	CHECK_EQ_U64(f.plan.items[1].layer_hi, 2);
	CHECK_EQ_U64(f.plan.items[1].q_tokens, 30000);
	CHECK_EQ_U64(f.plan.lp_layers, 2);
	CHECK_EQ_I64(f.p.reqs[2].state, POL_WAITING);
	pol_complete(&f.p, &f.plan, now += 1000);
	/* next: the first's 2 layers again, the second waits again (FCFS:
	 * running requests first) */
	CHECK_EQ_I64(pol_schedule(&f.p, now, &f.plan, &err), 0);
	CHECK_EQ_U64(f.plan.items[1].layer_lo, 2);
	CHECK_EQ_U64(f.plan.items[1].layer_hi, 4);
	CHECK_EQ_U64(f.plan.n, 2);
	fix_release(&f);
}

/*
 * Full simulation (sparseserve on h200, llama-3.1-8b): after every
 * iteration, each request still in layer-segmented prefill has no DIRTY
 * and no CACHED full block in any layer (every full block it wrote is
 * saving or saved-and-dropped), and no full block at all in the layers
 * it has not run yet; its first token comes with its last layer.
 */
static void t_hbm_holds_one_layer(void)
{
	struct model m;
	struct hw_profile *hw;
	struct cost_model cost;
	struct sim_config cfg;
	struct trace t;
	struct sim s;
	struct ss_err err;
	int rc;
	uint32_t checked = 0;

	CHECK_MSG(model_load(&m, "llama-3.1-8b", &err) == 0, "%s", err.msg);
	CHECK_MSG(hw_profile_load(&hw, "h200", &err) == 0, "%s", err.msg);
	cost.hw = hw;
	cost.m = &m;
	sim_config_default(&cfg);
	cfg.check_invariants = 1;
	cfg.hbm_budget_gb = 2;
	trace_init(&t);
	for (uint32_t i = 0; i < 6; i++) {
		struct trace_request r = { .id = i,
					   .arrival_ns = i * 20 * SS_NS_PER_MS,
					   .prompt_tokens = 3000 + 4000 * i,
					   .output_tokens = 5 };

		CHECK_EQ_I64(trace_push(&t, &r, &err), 0);
	}
	struct sim_opts o = { .preset = pol_preset_find("sparseserve"),
			      .cfg = &cfg, .m = &m, .cost = &cost, .trace = &t };
	CHECK_MSG(sim_init(&s, &o, &err) == 0, "%s", err.msg);
	while ((rc = sim_step(&s, &err)) > 0) {
		const struct pol *p = &s.pol;

		for (size_t k = 0; k < p->nrunning; k++) {
			const struct pol_req *r = &p->reqs[p->running[k]];
			const struct kv_dir *d = p->off->kv;

			uint32_t hi = r->lp_layers + (r->lp_tokens > 0);

			if (r->kv_tokens >= r->prefill_target)
				continue;
			/* the iteration in flight has already run its layers */
			for (size_t j = 0; j < s.plan.n; j++)
				if (s.plan.items[j].req == p->running[k])
					hi = s.plan.items[j].layer_hi;
			for (uint32_t l = 0; l < m.layers; l++)
				for (uint32_t h = 0; h < m.kv_heads; h++) {
					uint32_t nfull = kv_req_nfull(d, r->kv, l);

					if (l >= hi)
						CHECK_MSG(nfull == 0, "req %llu l %u hi %u lp %u lpt %u kvt %u nfull %u busy %d", (unsigned long long)r->id, l, hi, r->lp_layers, r->lp_tokens, r->kv_tokens, nfull, s.busy);
					for (uint32_t b = 0; b < nfull; b++) {
						enum kv_state st = kv_block_state(
							d, r->kv, l, h, b);

						CHECK_MSG(st == KV_SAVING ||
								  st == KV_DRAM,
							  "request %llu layer %u head %u block %u: %s",
							  (unsigned long long)r->id,
							  l, h, b,
							  kv_state_name(st));
					}
				}
			checked++;
		}
	}
	CHECK_MSG(rc == 0, "%s", err.msg);
	CHECK(checked > 10);
	CHECK_EQ_U64(s.pol.nfinished, t.n);
	/* first tokens come from the iteration running the last layer */
	for (size_t i = 0; i < t.n; i++) {
		const struct pol_req *r = &s.pol.reqs[i];
		int found = 0;

		for (size_t k = 0; k < s.niters; k++)
			if (s.iters[k].start_ns + s.iters[k].dur_ns ==
				    r->first_token_ns &&
			    s.iters[k].lp_layers > 0)
				found = 1;
		CHECK(found);
	}
	sim_release(&s);
	trace_release(&t);
	hw_profile_free(hw);
}

static const struct th_case cases[] = {
	TH_CASE(t_layers_per_iteration),
	TH_CASE(t_shared_inject_budget_and_mixed_decode),
	TH_CASE(t_hbm_holds_one_layer),
	{ 0 },
};

int main(int argc, char **argv) { return th_main(argc, argv, cases); }
