/*
 * cost.c - the cost model: how long one operation takes alone on the
 * profile's GPU, in integer nanoseconds, for the bound model.
 *
 * Each function turns its size arguments into the op's work (FLOPs,
 * bytes, items) from the model's shape and asks the profile's op
 * (hw_op_ns: roofline or measured table, profile.h; prefill attention
 * through hw_op_prefill_ns, whose waves form counts the kernel's CTAs from
 * the model's query heads; a decode attention table measured on another
 * shape through hw_op_decode_batch, which counts the batch in that shape's
 * requests of as many KV-head rows). The formulas for the
 * work are in docs/profiles.md; they are all non-decreasing in every size
 * argument, so the costs are too. No allocation, no I/O: the simulator
 * calls these in its inner loop.
 */
#include "model/cost.h"

#include <math.h>
#include <stdio.h>

#include "model/profile.h"

#include "banned.h"

/* Tokens of one forward pass assumed by cost_check_fit (the paper's chunk). */
#define FIT_TOKENS 2048
/* Sequences whose fp32 logits the activation reserve holds (vLLM max_num_seqs). */
#define LOGIT_SEQS 256

static int64_t ns_round(double ns)
{
	if (!(ns > 0))
		return 0;
	if (ns >= 9.0e18)
		return INT64_MAX;
	return (int64_t)(ns + 0.5);
}

static const struct hw_op *op_of(const struct cost_model *c, enum hw_op_id id)
{
	return &c->hw->op[id];
}

uint64_t cost_activation_bytes(const struct cost_model *c, uint64_t max_tokens)
{
	const struct model *m = c->m;
	uint64_t hd = m->head_dim, d = m->dtype_bytes;
	/* live tensors of one layer's forward pass, per token */
	uint64_t per_tok = d * (2 * (uint64_t)m->hidden +          /* residual + normed */
				((uint64_t)m->heads + 2 * m->kv_heads) * hd + /* q, k, v */
				(uint64_t)m->heads * hd +             /* attention out */
				3 * (uint64_t)m->intermediate);       /* gate, up, act */
	uint64_t seqs = SS_MIN(max_tokens, (uint64_t)LOGIT_SEQS);

	return max_tokens * per_tok + seqs * (uint64_t)m->vocab * 4 +
	       (uint64_t)c->hw->workspace_bytes.v;
}

int cost_check_fit(const struct cost_model *c, struct ss_err *err)
{
	uint64_t act = cost_activation_bytes(c, FIT_TOKENS);
	uint64_t hbm = hw_hbm_bytes(c->hw);

	if (c->m->weight_bytes + act <= hbm)
		return 0;
	return ss_error(err, SS_ERANGE,
			"model '%s' (%.1f GB of weights + %.1f GB activations at %d tokens) does not fit profile '%s' (%.1f GB usable HBM = %.0f%% of %.1f GB)",
			c->m->name, (double)c->m->weight_bytes / 1e9,
			(double)act / 1e9, FIT_TOKENS, c->hw->name,
			(double)hbm / 1e9, 100.0 * c->hw->hbm_usable_fraction.v,
			c->hw->hbm_device_bytes.v / 1e9);
}

/* a GPU time of the profile, times config key cost.gpu_scale */
static double gpu_ns(const struct cost_model *c, double ns)
{
	return c->hw->gpu_scale > 0 ? ns * c->hw->gpu_scale : ns;
}

int64_t cost_linear_ns(const struct cost_model *c, uint64_t tokens)
{
	const struct model *m = c->m;
	double t = (double)tokens, hd = m->head_dim;
	/* each GEMM reads its input rows and writes its output rows */
	double act = (double)m->dtype_bytes *
		     ((double)m->hidden + (m->heads + 2.0 * m->kv_heads) * hd + /* qkv */
		      m->heads * hd + (double)m->hidden +                  /* o */
		      (double)m->hidden + 2.0 * m->intermediate +          /* gate/up */
		      (double)m->intermediate + (double)m->hidden);        /* down */

	if (!tokens)
		return 0;
	return ns_round(gpu_ns(c, hw_op_ns(op_of(c, HW_OP_LINEAR), t, 0,
					   m->linear_flops_per_token_layer * t,
					   (double)m->layer_weight_bytes + act * t,
					   1)));
}

int64_t cost_layer_misc_ns(const struct cost_model *c, uint64_t tokens)
{
	const struct model *m = c->m;
	double t = (double)tokens, hd = m->head_dim, h = m->hidden;
	double per_tok = (double)m->dtype_bytes *
			 (2 * 2 * h +                            /* 2 RMSNorms: read + write */
			  2 * (m->heads + m->kv_heads) * hd +    /* RoPE on q, k */
			  3.0 * m->intermediate +                /* SwiGLU: 2 reads, 1 write */
			  2 * 3 * h +                            /* 2 residual adds */
			  2.0 * m->kv_heads * hd * 2);           /* KV append: read + write K, V */

	if (!tokens)
		return 0;
	return ns_round(gpu_ns(c, hw_op_ns(op_of(c, HW_OP_LAYER_MISC), t, 0, 0,
					   per_tok * t, 1)));
}

int64_t cost_prefill_attn_ns(const struct cost_model *c, uint64_t q_tokens,
			     uint64_t kv_prior)
{
	const struct model *m = c->m;
	double q = (double)q_tokens, kv = (double)kv_prior;
	double flops, bytes;

	if (!q_tokens)
		return 0;
	flops = m->attn_flops_per_pair * q * (kv + q / 2);
	/* K/V read once from HBM (the re-reads by later query tiles hit L2),
	 * Q read and O written once */
	bytes = (kv + q) * (double)m->kv_bytes_per_token_layer +
		2.0 * q * m->heads * m->head_dim * m->dtype_bytes;
	/* a waves op counts the kernel's CTAs from this model's heads */
	return ns_round(gpu_ns(c, hw_op_prefill_ns(op_of(c, HW_OP_PREFILL_ATTN),
						   q, kv, (double)m->heads, flops,
						   bytes)));
}

int64_t cost_decode_attn_ns(const struct cost_model *c, uint64_t batch,
			    uint64_t kv_tokens, int sparse)
{
	const struct model *m = c->m;
	const struct hw_op *op = op_of(c, sparse ? HW_OP_DECODE_ATTN_SPARSE
						 : HW_OP_DECODE_ATTN);
	double b = (double)batch, kv = (double)kv_tokens;
	double bytes, flops;

	if (!batch)
		return 0;
	bytes = kv * (double)m->kv_bytes_per_token_layer +
		2.0 * b * m->heads * m->head_dim * m->dtype_bytes;
	flops = m->attn_flops_per_pair * kv;
	/* the kernels' efficiency follows the (request x KV head) rows: a
	 * table measured on another shape is read at the batch of that shape
	 * with as many rows (items: its y axis and per_item_ns); x stays the
	 * KV tokens per request */
	return ns_round(gpu_ns(c, hw_op_ns(op, kv / b, 0, flops, bytes,
					   hw_op_decode_batch(op, b,
							      m->kv_heads))));
}

int64_t cost_select_ns(const struct cost_model *c, uint64_t batch,
		       uint64_t blocks)
{
	const struct model *m = c->m;
	double b = (double)batch, n = (double)blocks;
	double group = (double)m->heads / m->kv_heads, bytes, flops;

	if (!batch || !blocks)
		return 0;
	/* digests + fp32 score written and read back by top-k + the queries */
	bytes = n * ((double)m->digest_bytes_per_block_head + 8.0) +
		b * m->heads * m->head_dim * m->dtype_bytes;
	/* max(q*kmax, q*kmin) summed over head_dim, for each query head of the group */
	flops = n * group * 4.0 * m->head_dim;
	return ns_round(gpu_ns(c, hw_op_ns(op_of(c, HW_OP_SELECT), n / b, 0,
					   flops, bytes, b)));
}

int64_t cost_iter_fixed_ns(const struct cost_model *c, uint64_t seqs,
			   uint64_t tokens)
{
	const struct model *m = c->m;
	double s = (double)seqs, t = (double)tokens, h = m->hidden;
	double v = m->vocab, d = m->dtype_bytes, ns = 0;

	if (!seqs && !tokens)
		return 0;
	/* embedding gather for every token; final norm + LM head + fp32 logits per sequence */
	if (seqs)
		ns += hw_op_ns(op_of(c, HW_OP_LM_HEAD), s, 0,
			       m->lm_head_flops_per_token * s,
			       (double)m->embed_bytes + s * (2 * h * d + 4 * v) +
				       t * 2 * h * d,
			       1);
	else
		ns += hw_op_ns(op_of(c, HW_OP_LM_HEAD), 1, 0, 0, t * 2 * h * d, 1);
	ns += hw_op_ns(op_of(c, HW_OP_SAMPLE), s > 0 ? s : 1, 0, 0, s * 4 * v, s);
	ns = gpu_ns(c, ns); /* the GPU's part; the host's below */
	ns += hw_op_ns(op_of(c, HW_OP_HOST), s > 0 ? s : 1, 0, 0, 0, s);
	return ns_round(ns);
}

int cost_has_exec(const struct cost_model *c)
{
	return c->hw->exec.present;
}

int64_t cost_exec_layer_ns(const struct cost_model *c, uint64_t decode_seqs,
			   int sparse_layer, uint64_t prefill_tokens,
			   uint64_t gather_tokens, int offload)
{
	const struct hw_exec *e = &c->hw->exec;

	if (!e->present || (!decode_seqs && !prefill_tokens))
		return 0;
	double heads = c->m->kv_heads;

	return ns_round(gpu_ns(c, (sparse_layer ? e->sparse_layer_ns.v +
						heads * e->sparse_layer_head_ns.v
				      : e->layer_ns.v + heads * e->layer_head_ns.v) +
			(double)decode_seqs * (sparse_layer ? e->dec_sparse_ns.v
							    : e->dec_dense_ns.v) +
			(double)prefill_tokens * e->token_ns.v +
			(prefill_tokens ? e->prefill_layer_ns.v : 0) +
			(gather_tokens ? e->chunk_layer_ns.v : 0) +
			(double)gather_tokens *
				(e->gather_ns.v + heads * e->gather_head_ns.v) +
			(offload ? e->off_layer_ns.v +
					   heads * e->off_layer_head_ns.v +
					   (sparse_layer ? (double)decode_seqs *
								   (e->off_dec_sparse_ns.v +
								    heads * e->off_dec_head_ns.v)
							 : 0)
				 : 0)));
}

int64_t cost_exec_load_layer_ns(const struct cost_model *c)
{
	const struct hw_exec *e = &c->hw->exec;

	return e->present ? ns_round(e->load_layer_ns.v) : 0;
}

int64_t cost_exec_load_gpu_ns(const struct cost_model *c)
{
	const struct hw_exec *e = &c->hw->exec;

	return e->present ? ns_round(gpu_ns(c, e->off_load_layer_ns.v)) : 0;
}

int64_t cost_exec_prefill_tail_ns(const struct cost_model *c)
{
	const struct hw_exec *e = &c->hw->exec;

	return e->present ? ns_round(e->prefill_tail_ns.v) : 0;
}

double cost_ctx_doublings(double ctx_tokens)
{
	return log2(fmax(ctx_tokens / 1024.0, 1.0));
}

int64_t cost_exec_host_ns(const struct cost_model *c, uint64_t items,
			  uint64_t prefill_tokens, uint64_t hits,
			  uint64_t misses, int offload, double ctx_tokens)
{
	const struct hw_exec *e = &c->hw->exec;

	double issue, look;

	if (!e->present || !items)
		return 0;
	issue = e->host_layer_ns.v + (double)items * e->host_item_ns.v +
		(double)prefill_tokens * e->host_token_ns.v +
		(offload ? e->host_issue_off_layer_ns.v : 0);
	look = offload ? e->host_off_layer_ns.v +
				 (double)hits * (e->host_hit_ns.v +
						 cost_ctx_doublings(ctx_tokens) *
							 e->host_hit_ctx_ns.v) +
				 (double)misses * e->host_miss_ns.v
		       : 0;
	/* two stages: the issue thread and the policy overlap */
	return ns_round(hw_exec_stages(e) == 2 ? fmax(issue, look)
					       : issue + look);
}

static int uses_sms(enum xfer_mech mech)
{
	return mech == XFER_FLASH_H2D || mech == XFER_GPU_SCATTER_D2H;
}

int64_t cost_transfer_ns(const struct cost_model *c, enum xfer_mech mech,
			 uint64_t frag_bytes, uint64_t count, uint32_t sms)
{
	double y;

	BUG_ON((unsigned)mech >= XFER_NMECH);
	if (!frag_bytes || !count)
		return 0;
	y = sms ? (double)sms : c->hw->copy_sms.v;
	return ns_round(hw_op_ns(op_of(c, (enum hw_op_id)(HW_OP_XFER0 + mech)),
				 (double)frag_bytes, y, 0,
				 (double)frag_bytes * (double)count,
				 (double)count));
}

double cost_compute_share(const struct cost_model *c, enum xfer_mech mech,
			  uint32_t sms)
{
	double s, share;

	BUG_ON((unsigned)mech >= XFER_NMECH);
	if (!uses_sms(mech))
		return 1.0;
	s = sms ? (double)sms : c->hw->copy_sms.v;
	share = 1.0 - s / c->hw->sm_count.v;
	return share < 0 ? 0 : share;
}

/*
 * Measured slowdown of a kernel running beside a copy mechanism, on our
 * H200 (kernels/results/h200/summary.csv, rows "slowdown_of=", the default
 * variant of each mechanism: 16 copy SMs, FlashD2H with 8 scatter threads
 * and 3 stages). A bf16 8192^3 GEMM stands for compute-bound work, the
 * sparse decode attention (llama3-8b, batch 16) for memory-bound work.
 * Mechanisms driven by the copy engines alone (per-block memcpy, bulk
 * copies) take no SMs and were not measured: 1. No other GPU was
 * measured, so every profile uses these ratios (docs/sparseserve.md).
 */
static const struct {
	double gemm, mem;
} copy_slowdown[XFER_NMECH] = {
	/* rows flash_h2d,"frag=16384,sms=16,slowdown_of=gemm_bf16_8192" and
	 * "...,slowdown_of=sparse_decode_attn_llama3-8b_b16" */
	[XFER_FLASH_H2D] = { 1.13643, 3.81679 },
	/* rows flash_d2h,"threads=8,stages=3,slowdown_of=..." */
	[XFER_FLASH_D2H] = { 1.00591, 1.44279 },
	/* rows flash_d2h,"mode=gpu_direct,sms=16,slowdown_of=..." */
	[XFER_GPU_SCATTER_D2H] = { 1.31097, 5.06497 },
};

double cost_copy_slowdown(const struct cost_model *c, enum xfer_mech mech,
			  int memory_bound)
{
	double f;

	(void)c;
	BUG_ON((unsigned)mech >= XFER_NMECH);
	f = memory_bound ? copy_slowdown[mech].mem : copy_slowdown[mech].gemm;
	return f > 1.0 ? f : 1.0;
}
