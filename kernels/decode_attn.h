/*
 * decode_attn.h - decode attention over KV blocks in the HBM cache: sparse
 * (over each (request, KV head)'s selected blocks) and dense paged (over
 * every block of the context, through a page table).
 *
 * One query token per request; q [batch][n_q_heads][128] bf16, GQA with
 * group size G = n_q_heads / n_kv_heads in {1, 2, 4, 8} (query heads
 * h*G .. h*G+G-1 read KV head h). Entry e of (b, h)'s list names a cache
 * slot slots[(b*n_kv_heads + h)*max_list + e] holding logical block
 * block_ids[same] (sparse) or e (dense); token i of that block is
 * attended to when block*32 + i < ctx_len[b]. Softmax in fp32 with the
 * given scale; out [batch][n_q_heads][128] bf16.
 *
 * Long lists are split (flash-decoding): grid (request x KV head, split),
 * each split's partial (max, sum, acc) goes to the fp32 workspace and a
 * second kernel merges them (a single split writes `out` directly in
 * variant 2).
 *
 * Variants (field `variant`): 1 = CUDA cores, one block per warp with the
 * group's dot products as FMAs (the first kernel, kept for comparison);
 * 2 = tensor cores (mma.sync m16n8k16: QK with the group's queries as the
 * A rows, PV transposed with the query heads as the 8 columns), finer
 * splits at small batch. 3 = variant 2 with the splits of a list launched
 * as one thread-block cluster (sm_90) and merged through distributed
 * shared memory, no workspace and no merge kernel: small problems are
 * planned at most one cluster (8 CTAs, 16 where the runtime allows that
 * size) per list; more splits (forced, or a large problem) fall back to
 * variant 2's merge. 4 = variant 2's PV with QK transposed (K's rows as the
 * A operand: 16 MMAs a block, not 32) and the blocks staged in
 * shared memory by cp.async (4 warps of three 16 KiB stages), 5 = the same
 * with 8 warps of one stage: one CTA per SM, merged in a cluster when the
 * batch's clusters all run at once, else by the merge kernel (sm_90).
 * 6 = 4 warps of two stages whose cluster merge is pushed: each warp
 * writes its partial of each head into the CTA's send buffer, a warp a
 * head merges the CTA's partials of the head and copies the result (one
 * bulk copy, counted on an mbarrier armed at the start) into the CTA that
 * owns the head (head h: the cluster's rank h mod S), which merges the
 * splits; no CTA reads another's shared memory (sessions 22-24).
 * 7 = variant 4's kernel without a cluster, one wave of CTAs (at most
 * SMs / lists splits a list): each split writes its partial and then a
 * flag holding the launch's number to the workspace, and a CTA that finds
 * every flag of its list set merges the partials and writes `out` (no
 * merge kernel; any workspace contents are fine, the flags carry the
 * launch's number). The number is a kernel argument: a CUDA graph that
 * captured a variant 7 launch would replay it with the same number, and
 * its flags from the last replay would pass for this one's; capture
 * another variant.
 * 0 = automatic: 6 where the plan is a cluster, else 4 or 5, for problems
 * of at most 16,384 list entries on sm_90, else 2 (decode_attn.cu,
 * attn_auto).
 */
#ifndef SS_KERN_DECODE_ATTN_H
#define SS_KERN_DECODE_ATTN_H

#include "kern.h"

#ifdef __cplusplus
extern "C" {
#endif

struct kern_attn_args {
	const kern_bf16 *q;        /* device [batch][n_q_heads][128] */
	const kern_bf16 *cache;    /* device block cache (kern.h layout) */
	const int32_t *slots;      /* device [batch][n_kv_heads][max_list] */
	const int32_t *block_ids;  /* device, same shape; sparse only */
	const uint32_t *n_list;    /* device [batch][n_kv_heads] entries;
				      sparse only (dense: ceil(ctx/32)) */
	const uint32_t *ctx_len;   /* device [batch] tokens */
	uint32_t batch, n_q_heads, n_kv_heads;
	uint32_t head_dim;         /* must be 128 */
	uint32_t max_list;         /* list capacity per (request, head) */
	uint32_t list_bound;       /* longest list of this launch, 0 = max_list:
				      the automatic split count and each
				      split's range (ceil(bound / splits)
				      entries, so the kernel fetches its slot
				      ids with the list length) are planned
				      from it (a table sized for the longest
				      possible context otherwise spreads short
				      lists over many nearly empty splits);
				      correct for any value (a list longer
				      than the bound is split evenly by the
				      kernel), though another split count
				      merges the fp32 partials in another
				      order */
	float scale;               /* logit scale, e.g. 1/sqrt(128) */
	kern_bf16 *out;            /* device [batch][n_q_heads][128] */
	uint32_t n_splits;         /* 0 = chosen from the SM count */
	float *work;               /* device workspace, 16-byte aligned */
	uint64_t work_bytes;       /* its size (kern_attn_plan) */
	uint32_t variant;          /* 0 automatic, 1 CUDA cores, 2 mma,
				      3 mma with a cluster merge, 4 to 7
				      cp.async-staged mma (6: pushed
				      cluster merge; 7: merged by flags) */
};

/*
 * The split count the launchers will use (resolving n_splits = 0 against
 * the device's SM count, per variant, variant 0 resolved as the launch
 * resolves it) and the workspace it needs (0 when variants 2-7 run one
 * split, and when they merge in a cluster; variant 7 adds 8 bytes a split
 * for its flags). 0 or SS_EINVAL (variants 3-7 also below compute
 * capability 9.0; variant 7 with more splits than its shared memory
 * merges).
 */
int kern_attn_plan(const struct kern_attn_args *a, uint32_t *n_splits,
		   uint64_t *work_bytes, struct ss_err *err);

/* Sparse decode attention (block_ids and n_list required). */
int kern_sparse_decode_attn(const struct kern_attn_args *a, void *stream,
			    struct ss_err *err);
/* Dense paged decode attention (block_ids and n_list ignored). */
int kern_dense_decode_attn(const struct kern_attn_args *a, void *stream,
			   struct ss_err *err);

#ifdef __cplusplus
}
#endif

#endif
