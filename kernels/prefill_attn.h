/*
 * prefill_attn.h - dense causal attention for prefill on tensor cores
 * (bf16, GQA, head_dim 128, prompts up to 128k tokens and beyond), and
 * chunked-prefill attention: a chunk of queries against all earlier KV.
 *
 * One sequence, or a batch of sequences packed row after row ("varlen").
 * Sequence s has q_len queries and kv_len >= q_len keys; its queries are
 * its *last* q_len positions, so query i (0-based) sits at position
 * kv_len - q_len + i and attends keys 0 .. kv_len - q_len + i (causal,
 * aligned at the bottom right). Prefill is the case q_len == kv_len; a
 * chunk at offset c of a prompt is q_len = chunk, kv_len = c + chunk.
 *
 * Row r of a tensor is at base + r * stride (elements); head h occupies
 * elements [h*128, h*128 + 128) of the row. Query head h reads KV head
 * h / (n_q_heads / n_kv_heads). So Q can be read straight out of the fused
 * QKV buffer (q_stride = (n_q + 2 n_kv) * 128) and K/V out of the
 * contiguous save buffer of kern_rope_qkv (k = kv, v = kv + n_kv*128,
 * kv_stride = 2 n_kv * 128). Softmax in fp32 with logit scale `scale`;
 * out rows [q rows][n_q_heads * 128] bf16 (out_stride).
 *
 * Kernel variants (kern_prefill_args.variant), all computing the same
 * function: 1 mma.sync, 4 warps x 16 query rows; 2 mma.sync, 8 warps x 16
 * rows; 3 mma.sync, 4 warps x 32 rows; 4 wgmma (Hopper, needs sm_90a code
 * in the binary for this device: SS_ENODEV otherwise), 128 query rows of
 * one head per CTA; 5 wgmma, 64 query rows of two heads sharing a KV head
 * per CTA (twice the CTAs, half the longest one's work; runs as 4 where
 * n_q_heads / n_kv_heads is odd); 6 wgmma, variant 4 with the key range
 * of the longest tiles split in two CTAs whose halves a second kernel
 * combines, the items ordered longest first (one sequence whose variant-4
 * grid is at most one wave of two CTAs per SM, e.g. a 4k prompt on the 8
 * heads of Llama-3.1-70B's TP-8 share; needs the workspace of
 * kern_prefill_attn_work_bytes in `work`; runs as 4 where no split is
 * planned); 7 wgmma, variant 4's CTA with S of key tile j and P V of
 * tile j-1 in flight together so that the softmax of one overlaps the
 * tensor cores' work on the other (one CTA per SM); 8, variant 7 with a
 * warpgroup of its own loading the K/V tiles, mbarriers instead of CTA
 * barriers, and the computing warpgroups issuing in turns. 0 picks the
 * fastest measured one the device can run: 4, else 1; 8 where variant
 * 4's grid is at most one wave of two CTAs per SM (a short prompt or
 * chunk on few heads); otherwise 5 instead of 4 where the group is even
 * and variant 4's grid is under 4 waves (a short prompt on few heads);
 * and 1 when no sequence has more than 64 queries (wgmma's 128-row tiles
 * would mostly idle). `work` is used by variant 6 only.
 */
#ifndef SS_KERN_PREFILL_ATTN_H
#define SS_KERN_PREFILL_ATTN_H

#include "kern.h"

#ifdef __cplusplus
extern "C" {
#endif

struct kern_prefill_args {
	const kern_bf16 *q;     /* device, rows of queries */
	const kern_bf16 *k;     /* device, rows of keys */
	const kern_bf16 *v;     /* device, rows of values */
	kern_bf16 *out;         /* device, rows of outputs */
	uint64_t q_stride;      /* elements between query rows (multiple of 8) */
	uint64_t kv_stride;     /* elements between K (and V) rows (multiple of 8) */
	uint64_t out_stride;    /* elements between output rows (even) */
	uint32_t n_q_heads, n_kv_heads;
	uint32_t head_dim;      /* must be 128 */
	float scale;            /* logit scale, e.g. 1/sqrt(128) */
	/* one sequence: n_seqs = 1, cu_q = cu_kv = NULL, lengths here */
	uint32_t q_len, kv_len; /* tokens */
	/* a batch: device prefix sums [n_seqs + 1] of query and key rows;
	 * sequence s owns query rows cu_q[s] .. cu_q[s+1]-1 and key rows
	 * cu_kv[s] .. cu_kv[s+1]-1; max_q_len bounds its query count */
	uint32_t n_seqs;
	const int32_t *cu_q, *cu_kv;
	uint32_t max_q_len;
	uint32_t variant;       /* 0 = automatic (above); 1-8 force one */
	void *work;             /* device workspace of variant 6, or NULL */
	uint64_t work_bytes;    /* its size */
};

/*
 * Bytes of `work` (16-byte aligned) variant 6 needs for these arguments on
 * the current device's SM count (0: it would not split this launch).
 * Host-side, no probe of the device's code: on a device without sm_90a
 * code the workspace goes unused. The lengths and heads must be set. Only
 * a forced variant 6 uses it: the automatic choice needs none.
 */
uint64_t kern_prefill_attn_work_bytes(const struct kern_prefill_args *a);

/*
 * Causal prefill attention: every sequence has q_len == kv_len (checked
 * for one sequence; a batch must satisfy it by contract). 0, SS_EINVAL
 * naming the field, or SS_ECUDA.
 */
int kern_prefill_attn(const struct kern_prefill_args *a, void *stream,
		      struct ss_err *err);

/* Chunked-prefill attention: q_len <= kv_len per sequence. */
int kern_chunked_prefill_attn(const struct kern_prefill_args *a, void *stream,
			      struct ss_err *err);

/*
 * Naive fp32 reference on the GPU (for tests and benchmark validation of
 * large shapes): one sequence only; computes query rows 0, row_step,
 * 2 row_step, ... (row_step >= 1) and the last row, leaving other rows
 * untouched. Slow; not for serving.
 */
int kern_prefill_attn_ref(const struct kern_prefill_args *a,
			  uint32_t row_step, void *stream, struct ss_err *err);

/* Multiply-adds counted as 2 FLOPs: 4 * 128 * n_q_heads per
 * (query, attended key) pair, for one sequence. */
static inline double kern_prefill_attn_flops(uint32_t q_len, uint32_t kv_len,
					     uint32_t n_q_heads)
{
	double q = q_len, pairs = q * ((double)kv_len - q) + q * (q + 1) / 2;

	return 4.0 * KERN_HEAD_DIM * n_q_heads * pairs;
}

#ifdef __cplusplus
}
#endif

#endif
