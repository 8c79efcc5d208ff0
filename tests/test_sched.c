/*
 * test_sched.c - the shared scheduler: chunked prefill, FCFS admission,
 * paged KV accounting, preemption by recompute, rejection, DSA decode
 * work, and invariants on random workloads.
 */
#include <gsl/gsl_rng.h>
#include <string.h>

#include "harness.h"
#include "policy/policy.h"

/* A small Llama-like model: 4 layers, 8 KV heads of 128, bf16. */
static struct model tiny_model(void)
{
	struct model m;

	memset(&m, 0, sizeof m);
	snprintf(m.name, sizeof m.name, "tiny");
	m.layers = 4;
	m.heads = 32;
	m.kv_heads = 8;
	m.head_dim = 128;
	m.dtype_bytes = 2;
	m.kv_bytes_per_token_layer = 2ull * 8 * 128 * 2;
	m.kv_bytes_per_token = m.kv_bytes_per_token_layer * m.layers;
	m.max_positions = 1 << 20;
	return m;
}

static struct pol_config cfg_default(void)
{
	struct pol_config c;

	pol_config_default(&c);
	return c;
}

/* Run iterations back to back (1 ms each) until idle; returns count. */
static int drain(struct pol *p, struct pol_plan *plan, int64_t *now)
{
	struct ss_err err;
	int iters = 0;

	while (pol_has_work(p)) {
		CHECK_EQ_I64(pol_schedule(p, *now, plan, &err), 0);
		pol_check(p);
		CHECK(plan->n > 0);
		*now += 1000000;
		pol_complete(p, plan, *now);
		pol_check(p);
		iters++;
		CHECK(iters < 100000);
	}
	return iters;
}

static void t_chunked_prefill_then_decode(void)
{
	struct model m = tiny_model();
	struct pol_config c = cfg_default();
	struct pol p;
	struct pol_plan plan;
	struct ss_err err;
	int64_t now = 0;
	uint32_t want_q[] = { 2048, 2048, 904, 1, 1, 1 };

	CHECK_EQ_I64(pol_init(&p, pol_preset_find("vllm"), &c, &m, 1ull << 34, 1,
			      &err), 0);
	pol_plan_init(&plan);
	pol_add_request(&p, 0, 7, 0, 5000, 4, 0);
	for (int i = 0; i < 6; i++) {
		CHECK_EQ_I64(pol_schedule(&p, now, &plan, &err), 0);
		CHECK_EQ_U64(plan.n, 1);
		CHECK_EQ_U64(plan.items[0].q_tokens, want_q[i]);
		CHECK_EQ_I64(plan.items[0].decode, i >= 3);
		CHECK_EQ_I64(plan.items[0].emits, i >= 2);
		now += 1000;
		pol_complete(&p, &plan, now);
	}
	CHECK(!pol_has_work(&p));
	CHECK_EQ_I64(p.reqs[0].state, POL_FINISHED);
	CHECK_EQ_I64(p.reqs[0].first_token_ns, 3000);
	CHECK_EQ_I64(p.reqs[0].finish_ns, 6000);
	CHECK_EQ_I64(p.reqs[0].max_tbt_ns, 1000);
	CHECK_EQ_U64(p.ngaps, 3);
	CHECK_EQ_U64(p.free_blocks, p.total_blocks);
	pol_plan_release(&plan);
	pol_release(&p);
}

static void t_fcfs_and_seq_limit(void)
{
	struct model m = tiny_model();
	struct pol_config c = cfg_default();
	struct pol p;
	struct pol_plan plan;
	struct ss_err err;

	c.max_num_seqs = 2;
	CHECK_EQ_I64(pol_init(&p, pol_preset_find("vllm"), &c, &m, 1ull << 34, 3,
			      &err), 0);
	pol_plan_init(&plan);
	for (uint32_t i = 0; i < 3; i++)
		pol_add_request(&p, i, i, 0, 100, 2, 0);
	CHECK_EQ_I64(pol_schedule(&p, 0, &plan, &err), 0);
	CHECK_EQ_U64(plan.n, 2);
	CHECK_EQ_U64(plan.items[0].req, 0);
	CHECK_EQ_U64(plan.items[1].req, 1);
	CHECK_EQ_U64(p.wait_len, 1);
	pol_complete(&p, &plan, 10);
	CHECK_EQ_I64(pol_schedule(&p, 10, &plan, &err), 0);
	CHECK_EQ_U64(plan.n, 2); /* two decodes, request 2 still waits */
	CHECK_EQ_I64(plan.items[0].decode, 1);
	pol_complete(&p, &plan, 20); /* both finish (2 tokens) */
	CHECK_EQ_I64(pol_schedule(&p, 20, &plan, &err), 0);
	CHECK_EQ_U64(plan.n, 1);
	CHECK_EQ_U64(plan.items[0].req, 2);
	CHECK_EQ_I64(p.reqs[2].first_sched_ns, 20);
	pol_plan_release(&plan);
	pol_release(&p);
}

static void t_preempt_by_recompute(void)
{
	struct model m = tiny_model();
	struct pol_config c = cfg_default();
	struct pol p;
	struct pol_plan plan;
	struct ss_err err;
	uint64_t bb;
	int64_t now = 0;

	c.watermark = 0;
	bb = pol_block_bytes(pol_preset_find("vllm"), &c, &m);
	/* 4 blocks: two requests of one full block each fit, growth does not */
	CHECK_EQ_I64(pol_init(&p, pol_preset_find("vllm"), &c, &m, 4 * bb, 2,
			      &err), 0);
	pol_plan_init(&plan);
	pol_add_request(&p, 0, 0, 0, 64, 40, 0); /* 2 blocks */
	pol_add_request(&p, 1, 1, 0, 64, 40, 0); /* 2 blocks: all used */
	CHECK_EQ_I64(pol_schedule(&p, now, &plan, &err), 0);
	CHECK_EQ_U64(plan.n, 2);
	CHECK_EQ_U64(p.free_blocks, 0);
	pol_complete(&p, &plan, now += 10);
	/* both emitted their first token; request 0's decode needs block 3 */
	CHECK_EQ_I64(pol_schedule(&p, now, &plan, &err), 0);
	CHECK_EQ_U64(plan.preempted, 1);
	CHECK_EQ_U64(plan.n, 1);
	CHECK_EQ_U64(plan.items[0].req, 0);
	CHECK_EQ_I64(p.reqs[1].state, POL_WAITING);
	CHECK_EQ_U64(p.reqs[1].preemptions, 1);
	CHECK_EQ_U64(p.reqs[1].prefill_target, 64 + 1);
	CHECK_EQ_U64(p.reqs[1].blocks, 0);
	pol_complete(&p, &plan, now += 10);
	drain(&p, &plan, &now);
	CHECK_EQ_I64(p.reqs[0].state, POL_FINISHED);
	CHECK_EQ_I64(p.reqs[1].state, POL_FINISHED);
	CHECK_EQ_U64(p.reqs[1].generated, 40);
	CHECK_EQ_U64(p.reqs[0].generated, 40);
	pol_plan_release(&plan);
	pol_release(&p);
}

static void t_rejects_what_never_fits(void)
{
	struct model m = tiny_model();
	struct pol_config c = cfg_default();
	struct pol p;
	struct ss_err err;
	uint64_t bb = pol_block_bytes(pol_preset_find("vllm"), &c, &m);

	CHECK_EQ_I64(pol_init(&p, pol_preset_find("vllm"), &c, &m, 10 * bb, 3,
			      &err), 0);
	/* the last token is never fed back: 300 + 21 - 1 = 320 tokens of KV
	 * at most = 10 blocks fits; one more output token does not */
	pol_add_request(&p, 0, 0, 0, 300, 21, 0);
	pol_add_request(&p, 1, 1, 0, 300, 22, 0);
	pol_add_request(&p, 2, 2, 0, 100, 10, 64); /* > max positions */
	CHECK_EQ_I64(p.reqs[0].state, POL_WAITING);
	CHECK_EQ_I64(p.reqs[1].state, POL_REJECTED);
	CHECK_EQ_I64(p.reqs[2].state, POL_REJECTED);
	CHECK_STR_CONTAINS(p.reqs[2].reject_reason, "max positions");
	CHECK_EQ_U64(p.nrejected, 2);
	pol_release(&p);
	CHECK(pol_init(&p, pol_preset_find("vllm"), &c, &m, bb - 1, 1, &err) ==
	      SS_ERANGE);
	CHECK_STR_CONTAINS(err.msg, "no KV block");
}

/* A vllm-s policy of `nreqs` request slots on `m` and `c` (16,384 tokens
 * an iteration) and its plan. */
static void vllm_s_open(struct pol *p, struct pol_plan *plan,
			const struct model *m, struct pol_config *c,
			uint32_t nreqs)
{
	struct ss_err err;

	c->max_batched_tokens = 16384;
	CHECK_EQ_I64(pol_init(p, pol_preset_find("vllm-s"), c, m, 1ull << 36,
			      nreqs, &err), 0);
	pol_plan_init(plan);
}

/* Add request `idx` of `prompt` tokens at *now, run its prefill and plan
 * the next iteration (its first decode step). */
static void to_first_decode(struct pol *p, struct pol_plan *plan,
			    uint32_t idx, uint32_t prompt, int64_t *now)
{
	struct ss_err err;

	pol_add_request(p, idx, idx, *now, prompt, 8, 0);
	CHECK_EQ_I64(pol_schedule(p, *now, plan, &err), 0);
	pol_complete(p, plan, *now += 5);
	CHECK_EQ_I64(pol_schedule(p, *now, plan, &err), 0);
}

static void t_sparse_decode_reads_budget(void)
{
	struct model m = tiny_model();
	struct pol_config c = cfg_default();
	struct pol p;
	struct pol_plan plan;
	int64_t now = 0;

	vllm_s_open(&p, &plan, &m, &c, 1);
	to_first_decode(&p, &plan, 0, 10000, &now);
	CHECK_EQ_U64(plan.n, 1);
	CHECK(plan.items[0].decode);
	/* 10000 tokens = 312 full blocks + 16; keep 64 + 2 sink + 2 window
	 * full blocks, plus the partial block holding 16 + the new token */
	CHECK_EQ_U64(plan.items[0].kv_read, 68 * 32 + 17);
	CHECK_EQ_U64(plan.items[0].sel_blocks, 312);
	CHECK_EQ_U64(plan.sparse_layers, 4);
	/* digests count against HBM: 2 x 128 x 2 B x 8 heads x 4 layers */
	CHECK_EQ_U64(pol_block_bytes(pol_preset_find("vllm-s"), &c, &m) -
			     pol_block_bytes(pol_preset_find("vllm"), &c, &m),
		     2 * 128 * 2 * 8 * 4);
	pol_plan_release(&plan);
	pol_release(&p);
}

/* A decode batch whose contexts all fit the budget selects nothing: its
 * plan has no sparse layers (every layer reads them whole); one request
 * past the budget makes every sparse layer run the selection again. */
static void t_within_budget_has_no_sparse_layers(void)
{
	struct model m = tiny_model();
	struct pol_config c = cfg_default();
	struct pol p;
	struct pol_plan plan;
	int64_t now = 0;

	vllm_s_open(&p, &plan, &m, &c, 2);
	/* 68 full blocks (64 + 2 sink + 2 window) and 5 tokens: read whole */
	to_first_decode(&p, &plan, 0, 68 * 32 + 5, &now);
	CHECK_EQ_U64(plan.n, 1);
	CHECK(plan.items[0].decode);
	CHECK_EQ_U64(plan.items[0].sel_blocks, 0);
	CHECK_EQ_U64(plan.sparse_layers, 0);
	pol_complete(&p, &plan, now += 5);
	/* one full block more than the budget keeps */
	to_first_decode(&p, &plan, 1, 69 * 32, &now);
	CHECK_EQ_U64(plan.n, 2);
	CHECK_EQ_U64(plan.sel_blocks, 69);
	CHECK_EQ_U64(plan.sparse_layers, 4);
	pol_plan_release(&plan);
	pol_release(&p);
}

static void t_random_workload_invariants(void)
{
	struct model m = tiny_model();
	struct pol_config c = cfg_default();
	struct pol p;
	struct pol_plan plan;
	struct ss_err err;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	uint64_t bb = pol_block_bytes(pol_preset_find("vllm"), &c, &m);
	int64_t now = 0;
	const uint32_t n = 300;
	uint32_t next = 0;

	gsl_rng_set(r, 42);
	c.max_num_seqs = 16;
	CHECK_EQ_I64(pol_init(&p, pol_preset_find("vllm"), &c, &m, 400 * bb, n,
			      &err), 0);
	pol_plan_init(&plan);
	while (next < n || pol_has_work(&p)) {
		/* a few arrivals, then one iteration */
		for (int k = 0; k < 2 && next < n; k++, next++)
			pol_add_request(&p, next, next, now,
					1 + (uint32_t)gsl_rng_uniform_int(r, 4000),
					1 + (uint32_t)gsl_rng_uniform_int(r, 300),
					0);
		if (!pol_has_work(&p))
			continue;
		CHECK_EQ_I64(pol_schedule(&p, now, &plan, &err), 0);
		pol_check(&p);
		CHECK(plan.n > 0);
		CHECK((p.total_blocks - p.free_blocks) * p.block_bytes <=
		      400 * bb);
		now += 1000;
		pol_complete(&p, &plan, now);
		pol_check(&p);
	}
	CHECK_EQ_U64(p.nfinished + p.nrejected, n);
	CHECK(p.preemptions > 0); /* the capacity is tight on purpose */
	for (uint32_t i = 0; i < n; i++)
		if (p.reqs[i].state == POL_FINISHED)
			CHECK_EQ_U64(p.reqs[i].generated, p.reqs[i].output_tokens);
	gsl_rng_free(r);
	pol_plan_release(&plan);
	pol_release(&p);
}


/* One iteration at `now`, completed 10 ns later. */
static void step(struct pol *p, struct pol_plan *plan, int64_t *now)
{
	struct ss_err err;

	CHECK_EQ_I64(pol_schedule(p, *now, plan, &err), 0);
	pol_check(p);
	*now += 10;
	pol_complete(p, plan, *now);
	pol_check(p);
}

static struct pol tight(uint64_t blocks, uint32_t n, double watermark)
{
	struct model m = tiny_model();
	static struct model keep;
	struct pol_config c = cfg_default();
	struct pol p;
	struct ss_err err;

	keep = m;
	c.watermark = watermark;
	CHECK_EQ_I64(pol_init(&p, pol_preset_find("vllm"), &c, &keep,
			      blocks * pol_block_bytes(pol_preset_find("vllm"), &c,
						       &keep),
			      n, &err), 0);
	return p;
}

/* The victim is the most recently admitted running request (not the
 * next one after the requester); it goes to the front of the queue. */
static void t_victim_is_last_admitted(void)
{
	struct pol p = tight(6, 3, 0);
	struct pol_plan plan;
	struct ss_err err;
	int64_t now = 0;

	pol_plan_init(&plan);
	for (uint32_t i = 0; i < 3; i++)
		pol_add_request(&p, i, i, 0, 64, 40, 0); /* 2 full blocks each */
	step(&p, &plan, &now);
	CHECK_EQ_U64(p.free_blocks, 0);
	CHECK_EQ_I64(pol_schedule(&p, now, &plan, &err), 0);
	/* R0 needs a block: R2 (last) goes; R1 then takes the 2nd freed one */
	CHECK_EQ_U64(plan.preempted, 1);
	CHECK_EQ_U64(plan.n, 2);
	CHECK_EQ_U64(plan.items[0].req, 0);
	CHECK_EQ_U64(plan.items[1].req, 1);
	CHECK_EQ_I64(p.reqs[2].state, POL_WAITING);
	CHECK_EQ_U64(p.reqs[2].preemptions, 1);
	CHECK_EQ_U64(p.waiting[p.wait_head], 2);
	pol_plan_release(&plan);
	pol_release(&p);
}

/* No admission in an iteration that preempted (vLLM v1), even when the
 * victim's first chunk would fit again. */
static void t_no_admission_after_preemption(void)
{
	struct pol p = tight(7, 3, 0);
	struct pol_plan plan;
	struct ss_err err;
	int64_t now = 0;

	pol_plan_init(&plan);
	for (uint32_t i = 0; i < 3; i++)
		pol_add_request(&p, i, i, 0, 64, 40, 0);
	step(&p, &plan, &now);
	CHECK_EQ_U64(p.free_blocks, 1);
	p.cfg.max_batched_tokens = 34; /* 2 decodes + one 1-block chunk */
	CHECK_EQ_I64(pol_schedule(&p, now, &plan, &err), 0);
	CHECK_EQ_U64(plan.preempted, 1);
	CHECK_EQ_U64(p.free_blocks, 1); /* R2's first chunk would fit... */
	CHECK_EQ_U64(plan.n, 2);        /* ...but is not admitted */
	CHECK_EQ_I64(p.reqs[2].state, POL_WAITING);
	pol_complete(&p, &plan, now += 10);
	CHECK_EQ_I64(pol_schedule(&p, now, &plan, &err), 0);
	CHECK_EQ_U64(plan.preempted, 0);
	CHECK_EQ_U64(plan.n, 3); /* next iteration: readmitted, one chunk */
	CHECK_EQ_U64(plan.items[2].req, 2);
	CHECK_EQ_U64(plan.items[2].q_tokens, 32);
	pol_plan_release(&plan);
	pol_release(&p);
}

/* The request that needs a block is itself the last running one: it
 * preempts itself and the earlier request keeps running. */
static void t_self_preemption(void)
{
	struct pol p = tight(4, 2, 0);
	struct pol_plan plan;
	struct ss_err err;
	int64_t now = 0;

	pol_plan_init(&plan);
	pol_add_request(&p, 0, 0, 0, 60, 40, 0); /* 2 blocks, room to 64 */
	pol_add_request(&p, 1, 1, 0, 64, 40, 0); /* 2 full blocks */
	step(&p, &plan, &now);
	CHECK_EQ_U64(p.free_blocks, 0);
	CHECK_EQ_I64(pol_schedule(&p, now, &plan, &err), 0);
	CHECK_EQ_U64(plan.preempted, 1);
	CHECK_EQ_U64(plan.n, 1);
	CHECK_EQ_U64(plan.items[0].req, 0);
	CHECK_EQ_I64(p.reqs[1].state, POL_WAITING);
	CHECK_EQ_U64(p.reqs[1].prefill_target, 65); /* prompt + 1 generated */
	CHECK_EQ_U64(p.free_blocks, 2);
	pol_plan_release(&plan);
	pol_release(&p);
}

/* The watermark keeps room only while something runs; admission is FCFS
 * with head-of-line blocking (a small request waits behind a big one). */
static void t_watermark_and_head_of_line(void)
{
	struct pol p = tight(100, 4, 0.05); /* reserve 5 blocks */
	struct pol_plan plan;
	int64_t now = 0;

	pol_plan_init(&plan);
	p.cfg.max_batched_tokens = 4096;
	pol_add_request(&p, 0, 0, 0, 98 * 32, 1, 0); /* 98 blocks, idle server */
	step(&p, &plan, &now);
	CHECK_EQ_I64(p.reqs[0].state, POL_FINISHED); /* admitted despite reserve */
	pol_add_request(&p, 1, 1, now, 32, 50, 0);      /* 1 block */
	step(&p, &plan, &now);
	CHECK_EQ_I64(p.reqs[1].state, POL_RUNNING);
	pol_add_request(&p, 2, 2, now, 95 * 32, 5, 0); /* 99 - 95 < 5 reserve */
	pol_add_request(&p, 3, 3, now, 32, 5, 0);      /* would fit */
	step(&p, &plan, &now);
	CHECK_EQ_I64(p.reqs[2].state, POL_WAITING);
	CHECK_EQ_I64(p.reqs[3].state, POL_WAITING); /* behind request 2 */
	CHECK_EQ_U64(plan.n, 1);
	pol_plan_release(&plan);
	pol_release(&p);
}

static const struct th_case cases[] = {
	TH_CASE(t_chunked_prefill_then_decode),
	TH_CASE(t_fcfs_and_seq_limit),
	TH_CASE(t_preempt_by_recompute),
	TH_CASE(t_rejects_what_never_fits),
	TH_CASE(t_sparse_decode_reads_budget),
	TH_CASE(t_within_budget_has_no_sparse_layers),
	TH_CASE(t_random_workload_invariants),
	TH_CASE(t_victim_is_last_admitted),
	TH_CASE(t_no_admission_after_preemption),
	TH_CASE(t_self_preemption),
	TH_CASE(t_watermark_and_head_of_line),
	{ 0 },
};

int main(int argc, char **argv) { return th_main(argc, argv, cases); }
