/*
 * test_wsctl.c - working-set-aware batch control (Algorithm 1 of the
 * paper) in the shared scheduler: table-driven admission of waiting
 * requests with no `break`, held-back decodes staying running, the
 * progress rule, and the presets without +WC admitting everything.
 *
 * The policy is driven without an executor: pol_schedule and
 * pol_complete only, with a locality selection source registered (the
 * scheduler registers admitted requests with it). A tiny model (4 layers,
 * 8 KV heads of 128, bf16) makes one "token-block" (32 tokens, all layers
 * and heads) 4 x 8 x 16 KiB = 512 KiB; with mem.meta_frac = 0.5 the cache
 * is exactly half the HBM bytes given.
 */
#include <gsl/gsl_rng.h>
#include <string.h>

#include "harness.h"
#include "policy/offload.h"
#include "policy/policy.h"

#define TB (512ull * 1024) /* bytes of one token-block, all layers */

struct fix {
	struct model m;
	struct pol_config c;
	struct pol p;
	struct pol_plan plan;
	struct sel_source src;
	gsl_rng *rng;
};

static void fix_init(struct fix *f, const char *preset, uint64_t cache_tb,
		     size_t nreqs)
{
	struct ss_err err;

	memset(f, 0, sizeof(*f));
	snprintf(f->m.name, sizeof f->m.name, "tiny");
	f->m.layers = 4;
	f->m.heads = 32;
	f->m.kv_heads = 8;
	f->m.head_dim = 128;
	f->m.dtype_bytes = 2;
	f->m.kv_bytes_per_token_layer = 2ull * 8 * 128 * 2;
	f->m.kv_bytes_per_token = f->m.kv_bytes_per_token_layer * 4;
	f->m.max_positions = 1 << 20;
	pol_config_default(&f->c);
	f->c.meta_frac = 0.5;
	f->c.max_batched_tokens = 16384;
	CHECK(pol_preset_find(preset) != NULL);
	CHECK_MSG(pol_init_mem(&f->p, pol_preset_find(preset), &f->c, &f->m,
			       2 * cache_tb * TB, 1ull << 40, nreqs,
			       &err) == 0,
		  "%s", err.msg);
	CHECK_EQ_U64(f->p.off->cache_bytes, cache_tb * TB);
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

static int in_plan(const struct pol_plan *plan, uint32_t req)
{
	for (size_t k = 0; k < plan->n; k++)
		if (plan->items[k].req == req)
			return 1;
	return 0;
}

/* Waiting requests of `blocks[i]` token-blocks each (chunked prefill:
 * M_req = the prompt's blocks in all layers), one iteration. */
static const struct {
	const char *name;
	uint64_t cache_tb;
	uint32_t blocks[5];
	int n;
	int admitted[5];
	uint32_t held;
} admit_rows[] = {
	{ "later smaller request admitted after a held one", 96,
	  { 64, 64, 32 }, 3, { 1, 0, 1 }, 1 },
	{ "several admitted around a large one", 96,
	  { 32, 80, 32, 32 }, 4, { 1, 0, 1, 1 }, 1 },
	{ "first too large, second fits", 96, { 100, 10 }, 2, { 0, 1 }, 1 },
	{ "exact fit counts as fitting", 96, { 48, 48, 1 }, 3, { 1, 1, 0 }, 1 },
	{ "nothing fits: the first runs alone (progress)", 96,
	  { 100, 97 }, 2, { 1, 0 }, 1 },
};

static void t_algorithm1_table(void)
{
	for (size_t row = 0; row < SS_ARRAY_SIZE(admit_rows); row++) {
		struct fix f;
		struct ss_err err;

		fix_init(&f, "so-ft-wc", admit_rows[row].cache_tb, 5);
		for (int i = 0; i < admit_rows[row].n; i++)
			pol_add_request(&f.p, (uint32_t)i, 100 + (uint64_t)i, 0,
					admit_rows[row].blocks[i] * 32, 4, 0);
		CHECK_EQ_I64(pol_schedule(&f.p, 0, &f.plan, &err), 0);
		pol_check(&f.p);
		for (int i = 0; i < admit_rows[row].n; i++) {
			CHECK_MSG(in_plan(&f.plan, (uint32_t)i) ==
					  admit_rows[row].admitted[i],
				  "%s: request %d", admit_rows[row].name, i);
			CHECK_EQ_I64(f.p.reqs[i].state,
				     admit_rows[row].admitted[i] ? POL_RUNNING
								 : POL_WAITING);
		}
		CHECK_EQ_U64(f.plan.held_back, admit_rows[row].held);
		CHECK(f.plan.ws_sum <= f.plan.ws_budget ||
		      f.plan.n == 1);
		CHECK_EQ_U64(f.plan.ws_budget, admit_rows[row].cache_tb * TB);
		/* held-back waiting requests keep their FCFS order */
		for (size_t k = 0, last = 0; k < f.p.wait_len; k++) {
			uint32_t idx = f.p.waiting[(f.p.wait_head + k) %
						   f.p.wait_cap];

			CHECK(k == 0 || idx > last);
			last = idx;
		}
		fix_release(&f);
	}
}

/* Without +WC (vllm-so, so-ft) every FCFS candidate runs, whatever the
 * working sets; M_req is still summed. */
static void t_no_wsctl_admits_all(void)
{
	const char *presets[] = { "vllm-so", "so-ft" };

	for (size_t k = 0; k < 2; k++) {
		struct fix f;
		struct ss_err err;

		fix_init(&f, presets[k], 96, 3);
		pol_add_request(&f.p, 0, 1, 0, 64 * 32, 4, 0);
		pol_add_request(&f.p, 1, 2, 0, 64 * 32, 4, 0);
		pol_add_request(&f.p, 2, 3, 0, 32 * 32, 4, 0);
		CHECK_EQ_I64(pol_schedule(&f.p, 0, &f.plan, &err), 0);
		CHECK_EQ_U64(f.plan.n, 3);
		CHECK_EQ_U64(f.plan.held_back, 0);
		CHECK_EQ_U64(f.plan.ws_sum, 160 * TB);
		fix_release(&f);
	}
}

/*
 * Two requests of 1,024 tokens (32 token-blocks) both fit as prefills in a
 * cache of 64; as decodes with no history each needs one step's
 * selection (all 32 full blocks) plus its partial tails (one token-block):
 * 33 + 33 > 64, so the second decode is held back every iteration while
 * the first decodes, and stays RUNNING (never re-queued, never preempted).
 */
static void t_held_back_decode_stays_running(void)
{
	struct fix f;
	struct ss_err err;
	int64_t now = 0;
	uint32_t held_iters = 0;

	fix_init(&f, "so-ft-wc", 64, 2);
	pol_add_request(&f.p, 0, 1, 0, 1024, 4, 0);
	pol_add_request(&f.p, 1, 2, 0, 1024, 4, 0);
	CHECK_EQ_I64(pol_schedule(&f.p, now, &f.plan, &err), 0);
	CHECK_EQ_U64(f.plan.n, 2);
	CHECK_EQ_U64(f.plan.ws_sum, 64 * TB);
	now += 1000;
	pol_complete(&f.p, &f.plan, now);
	while (f.p.reqs[0].state == POL_RUNNING) {
		CHECK_EQ_I64(pol_schedule(&f.p, now, &f.plan, &err), 0);
		pol_check(&f.p);
		CHECK_EQ_U64(f.plan.n, 1);
		CHECK_EQ_U64(f.plan.items[0].req, 0);
		CHECK_EQ_U64(f.plan.items[0].ws_bytes, 33 * TB);
		CHECK_EQ_U64(f.plan.held_back, 1);
		CHECK_EQ_I64(f.p.reqs[1].state, POL_RUNNING);
		CHECK_EQ_U64(f.p.wait_len, 0);
		held_iters++;
		now += 1000;
		pol_complete(&f.p, &f.plan, now);
	}
	CHECK_EQ_U64(held_iters, 3); /* 4 tokens: 1 at prefill + 3 decodes */
	CHECK_EQ_U64(f.p.reqs[1].held_back, 3);
	CHECK_EQ_U64(f.p.reqs[1].generated, 1);
	/* the first finished: the second decodes alone now */
	CHECK_EQ_I64(pol_schedule(&f.p, now, &f.plan, &err), 0);
	CHECK_EQ_U64(f.plan.n, 1);
	CHECK_EQ_U64(f.plan.items[0].req, 1);
	CHECK_EQ_U64(f.plan.held_back, 0);
	CHECK_EQ_U64(f.p.preemptions, 0);
	fix_release(&f);
}

/* Requests whose digests alone exceed the digest budget are rejected at
 * arrival with a reason; an offload policy without a selection source
 * is an error at admission. */
static void t_digest_budget_and_missing_source(void)
{
	struct fix f;
	struct ss_err err;

	fix_init(&f, "so-ft-wc", 8, 2);
	/* digest budget = 4 MiB; 512 B per block-head, 32 per token-block:
	 * 16 KiB per token-block, so 256 token-blocks fit, 300 do not */
	pol_add_request(&f.p, 0, 1, 0, 300 * 32, 1, 0);
	CHECK_EQ_I64(f.p.reqs[0].state, POL_REJECTED);
	CHECK_STR_CONTAINS(f.p.reqs[0].reject_reason, "digests");
	pol_add_request(&f.p, 1, 2, 0, 100 * 32, 1, 0);
	CHECK_EQ_I64(f.p.reqs[1].state, POL_WAITING);
	pol_set_selection(&f.p, NULL);
	CHECK_EQ_I64(pol_schedule(&f.p, 0, &f.plan, &err), SS_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "no selection source");
	pol_set_selection(&f.p, &f.src);
	fix_release(&f);
}

/* Bad offload configuration is an error naming the key. */
static void t_bad_meta_frac(void)
{
	struct model m;
	struct pol_config c;
	struct pol p;
	struct ss_err err;

	memset(&m, 0, sizeof m);
	m.layers = 4;
	m.kv_heads = 8;
	m.head_dim = 128;
	m.dtype_bytes = 2;
	m.kv_bytes_per_token = 4ull * 2 * 8 * 128 * 2;
	pol_config_default(&c);
	c.meta_frac = 1.5;
	CHECK(pol_init_mem(&p, pol_preset_find("vllm-so"), &c, &m, 1ull << 30,
			   0, 1, &err) != 0);
	CHECK_STR_CONTAINS(err.msg, "mem.meta_frac");
	c.meta_frac = 0.999999;
	CHECK_EQ_I64(pol_init_mem(&p, pol_preset_find("vllm-so"), &c, &m,
				  1ull << 20, 0, 1, &err),
		     SS_ERANGE);
	CHECK_STR_CONTAINS(err.msg, "hold no");
}

static const struct th_case cases[] = {
	TH_CASE(t_algorithm1_table),
	TH_CASE(t_no_wsctl_admits_all),
	TH_CASE(t_held_back_decode_stays_running),
	TH_CASE(t_digest_budget_and_missing_source),
	TH_CASE(t_bad_meta_frac),
	{ 0 },
};

int main(int argc, char **argv) { return th_main(argc, argv, cases); }
