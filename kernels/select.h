/*
 * select.h - DSA block selection for one layer of a decode batch.
 *
 * For each (request b, KV head h) the blocks of b's context are split into
 *   sink:      blocks [0, min(n_sink, n_total))
 *   window:    the last n_window blocks, [max(sink_end, n_total - n_window),
 *              n_total), the partial last block included
 *   candidates: the full blocks between them,
 * with n_total = ceil(ctx_len / 32) and full = floor(ctx_len / 32). Every
 * candidate's digest is scored against the query and the top-k are kept
 * (k = min(topk, candidates)); with a token budget of 2,048 = 64 blocks
 * and 2 sink + 2 window blocks, topk = 60.
 *
 * Score (GQA): the G = n_q_heads / n_kv_heads query heads of group h
 * (query heads h*G .. h*G+G-1) are combined by summing their per-head
 * estimates: score = sum_g sum_i max(q_gi * upper_i, q_gi * lower_i), an
 * upper bound of the sum of the group's attention logits over the block.
 * Ties go to the lower block id. Output ids are ascending: sink, the top-k,
 * window; unused entries are -1.
 */
#ifndef SS_KERN_SELECT_H
#define SS_KERN_SELECT_H

#include "kern.h"

#ifdef __cplusplus
extern "C" {
#endif

struct kern_select_args {
	const kern_bf16 *q;      /* device [batch][n_q_heads][head_dim] */
	const kern_bf16 *digest; /* device [batch][n_kv_heads][max_blocks]
				    [2][head_dim] (kv_append.h) */
	const uint32_t *ctx_len; /* device [batch] tokens, at most
				    max_blocks * 32 */
	uint32_t batch;
	uint32_t n_q_heads;      /* multiple of n_kv_heads; G <= 8 */
	uint32_t n_kv_heads;
	uint32_t head_dim;       /* must be 128 */
	uint32_t max_blocks;     /* digest rows per (request, head) */
	uint32_t topk;           /* blocks chosen by score */
	uint32_t n_sink;         /* blocks always kept at the start */
	uint32_t n_window;       /* blocks always kept at the end */
	float *scores;           /* device workspace [batch][n_kv_heads]
				    [max_blocks] */
	int32_t *out_ids;        /* device [batch][n_kv_heads][out_cap] */
	uint32_t *out_count;     /* device [batch][n_kv_heads] */
};

/* Entries per (request, head) in out_ids: n_sink + topk + n_window. */
static inline uint32_t kern_select_out_cap(const struct kern_select_args *a)
{
	return a->n_sink + a->topk + a->n_window;
}

/* Score and select on `stream` (two launches). 0, SS_EINVAL, SS_ECUDA. */
int kern_select(const struct kern_select_args *a, void *stream,
		struct ss_err *err);

#ifdef __cplusplus
}
#endif

#endif
