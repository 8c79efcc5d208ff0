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
 * variant 2). With `merge_counts`, variant 2 merges small problems' splits
 * itself: the last CTA of each (request, KV head) to finish, found by an
 * atomic count, merges, saving the merge kernel's wait for the whole grid
 * (kern_attn_fused says when).
 *
 * Variants (field `variant`): 1 = CUDA cores, one block per warp with the
 * group's dot products as FMAs (the first kernel, kept for comparison);
 * 2 = tensor cores (mma.sync m16n8k16: QK with the group's queries as the
 * A rows, PV transposed with the query heads as the 8 columns), finer
 * splits at small batch. 0 = automatic = 2.
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
	const int32_t *slots;      /* device [batch][n_kv_heads][max_list];
				      entries from a list's length on may
				      hold anything (variant 2 may load
				      them, never follows them) */
	const int32_t *block_ids;  /* device, same shape; sparse only */
	const uint32_t *n_list;    /* device [batch][n_kv_heads] entries;
				      sparse only (dense: ceil(ctx/32)) */
	const uint32_t *ctx_len;   /* device [batch] tokens */
	uint32_t batch, n_q_heads, n_kv_heads;
	uint32_t head_dim;         /* must be 128 */
	uint32_t max_list;         /* list capacity per (request, head) */
	uint32_t list_bound;       /* longest list of this launch, 0 = max_list:
				      variant 2's automatic split count is
				      planned from it (a table sized for the
				      longest possible context otherwise
				      spreads short lists over many nearly
				      empty splits); correct for any value
				      (a list longer than the planned
				      ranges cover takes ranges from its
				      own length), though another split count
				      merges the fp32 partials in another
				      order */
	float scale;               /* logit scale, e.g. 1/sqrt(128) */
	kern_bf16 *out;            /* device [batch][n_q_heads][128] */
	uint32_t n_splits;         /* 0 = chosen from the SM count */
	float *work;               /* device workspace, 16-byte aligned */
	uint64_t work_bytes;       /* its size (kern_attn_plan) */
	uint32_t variant;          /* 0 automatic (2), 1 CUDA cores, 2 mma */
	uint32_t *merge_counts;    /* device [n_merge_counts] uint32, or NULL
				      (the merge kernel merges the splits).
				      Zero them once (kern_memset_async)
				      before their first launch: every launch
				      leaves them zero (the merging CTA
				      resets its count). Like `work`, one
				      set per stream: launches in flight at
				      once must not share them */
	uint32_t n_merge_counts;   /* entries; at least batch x n_kv_heads
				      when merge_counts is set */
};

/*
 * The split count the launchers will use (resolving n_splits = 0 against
 * the device's SM count, per variant) and the workspace it needs (0 when
 * variant 2 runs one split). 0 or SS_EINVAL.
 */
int kern_attn_plan(const struct kern_attn_args *a, uint32_t *n_splits,
		   uint64_t *work_bytes, struct ss_err *err);

/*
 * 1 when a launch with these arguments merges its splits inside the
 * attention kernel: variant 2, merge_counts given, several splits, a grid
 * of at most one wave of resident CTAs and splits x G <= 64 (on an H200:
 * Llama-3-8B's sparse 2,048-token step at batch 1 to 16, LWM-7B's at 1
 * and 4); 0 when it runs one split or the merge kernel; SS_EINVAL where
 * kern_attn_plan refuses the arguments.
 */
int kern_attn_fused(const struct kern_attn_args *a, struct ss_err *err);

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
