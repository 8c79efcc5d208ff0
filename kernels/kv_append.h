/*
 * kv_append.h - write a step's new K/V into their HBM cache blocks, and
 * compute the DSA digest of every block that this step filled.
 *
 * Digests (per block, per KV head; [2][head_dim] bf16, upper then lower):
 *  - cuboid-mean (ArkVale, the default): c = (min_k + max_k) / 2,
 *    r = mean_k |c - k| element-wise; upper = c + r, lower = c - r;
 *  - Quest: upper = max_k, lower = min_k element-wise.
 * Both are scored the same way, sum_i max(q_i * upper_i, q_i * lower_i)
 * (select.h). Keys are digested as stored (post-RoPE, bf16), in fp32.
 */
#ifndef SS_KERN_KV_APPEND_H
#define SS_KERN_KV_APPEND_H

#include "kern.h"

#ifdef __cplusplus
extern "C" {
#endif

enum kern_digest_kind {
	KERN_DIGEST_CUBOID_MEAN = 0,
	KERN_DIGEST_QUEST = 1,
};

struct kern_append_args {
	const kern_bf16 *k_new;        /* device [n_tokens][n_heads][head_dim] */
	const kern_bf16 *v_new;        /* device, same shape */
	uint64_t kv_stride;            /* elements from one token's K (V)
					  rows to the next's; 0: n_heads x
					  head_dim (rows packed). The layer's
					  kv_new [T][2][H][D] is k_new = kv_new,
					  v_new = kv_new + H*D, stride 2*H*D */
	uint32_t n_tokens;             /* new tokens (all requests) */
	uint32_t n_heads;              /* KV heads */
	uint32_t head_dim;             /* multiple of 8, at most 1024 */
	kern_bf16 *cache;              /* device block cache (kern.h layout,
					  KERN_BLOCK_TOKENS rows) */
	const uint32_t *slot;          /* device [n_tokens][n_heads] slot */
	const uint32_t *row;           /* device [n_tokens] row in block */
	uint32_t n_fill;               /* blocks this step filled */
	const uint32_t *fill_slot;     /* device [n_fill] their slots */
	const uint64_t *fill_digest;   /* device [n_fill] digest index */
	kern_bf16 *digest;             /* device [..][2][head_dim] */
	enum kern_digest_kind kind;
};

/*
 * Write every (token, head) K row and V row into its slot and row, then
 * digest the n_fill filled blocks (two launches on `stream`, so the digest
 * sees this step's rows). 0, SS_EINVAL naming the field, or SS_ECUDA.
 */
int kern_kv_append(const struct kern_append_args *a, void *stream,
		   struct ss_err *err);

#ifdef __cplusplus
}
#endif

#endif
