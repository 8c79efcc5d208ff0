/*
 * live_kern.h - the live executor's own small GPU kernels: moving rows
 * between the batch order and the request-slot order, keeping the device
 * copy of the block table, gathering a request's KV from the block cache,
 * and turning selections into slot lists. The heavy kernels (GEMMs,
 * attention, selection, transfers) are kernels/'s.
 *
 * Layouts (kernels/kern.h): a cache slot holds one block-head, K [32][128]
 * then V [32][128] bf16. The block table is int32 [layers][E][H][MB]: the
 * slot of block b of KV head h of request slot e in layer l (-1: none).
 * Without CUDA every function answers SS_ENODEV.
 */
#ifndef SS_LIVE_KERN_H
#define SS_LIVE_KERN_H

#include <stdint.h>

#include "kernels/kern.h"

#ifdef __cplusplus
extern "C" {
#endif

/* dst row (dst_idx ? dst_idx[i] : i) = src row (src_idx ? src_idx[i] : i)
 * for i < n; rows of `row_bytes` at strides `dst_stride` and `src_stride`
 * bytes (all multiples of 16). */
int live_rows(void *dst, uint64_t dst_stride, const int32_t *dst_idx,
	      const void *src, uint64_t src_stride, const int32_t *src_idx,
	      uint32_t n, uint64_t row_bytes, void *stream,
	      struct ss_err *err);

/* table[idx[i]] = val[i] for i < n. */
int live_table_set(int32_t *table, const uint64_t *idx, const int32_t *val,
		   uint32_t n, void *stream, struct ss_err *err);

enum live_kv_layout {
	LIVE_KV_INTERLEAVED = 0, /* [n][2][H][128]: K row then V row per token
				    (the layer's kv_new; prefill attention) */
	LIVE_KV_SPLIT = 1,       /* K [n][H][128] then V [n][H][128]
				    (FlashD2H's staging layout) */
};

/* Tokens [tok0, tok0 + n) of one (layer, request slot) from the cache into
 * `out`; `table` points at that (layer, slot)'s [H][MB] block table. */
int live_kv_gather(const kern_bf16 *cache, const int32_t *table, uint32_t mb,
		   uint32_t n_heads, uint64_t tok0, uint32_t n,
		   enum live_kv_layout layout, kern_bf16 *out, void *stream,
		   struct ss_err *err);

/*
 * Sparse attention lists of one layer: for each (slot e < E, head h) with
 * ctx_len[e] > 0, entries 0..count-1 of ids[(e*H + h)*cap ..] (the
 * selected blocks), plus block (ctx_len[e] - 1) / 32, the one holding the
 * newest token, when the selection does not hold it already,
 * mapped through `table` ([E][H][MB], this layer) to out_slots; block ids
 * to out_ids and the length to out_n ([E][H]); lists of `max_list`
 * (>= cap + 1) entries.
 */
int live_sparse_lists(const int32_t *table, uint32_t mb, const int32_t *ids,
		      const uint32_t *count, uint32_t cap,
		      const uint32_t *ctx_len, uint32_t n_slots,
		      uint32_t n_heads, uint32_t max_list, int32_t *out_slots,
		      int32_t *out_ids, uint32_t *out_n, void *stream,
		      struct ss_err *err);

/*
 * Synthetic token embeddings: row i of x ([n][width] bf16, width a
 * multiple of 8) gets values in [-1, 1) hashed from (key[i], column), so a
 * token's embedding depends only on its key (the caller hashes request and
 * position into it), not on how the batch was formed.
 */
int live_embed(kern_bf16 *x, const uint64_t *key, uint32_t n, uint32_t width,
	       void *stream, struct ss_err *err);

#ifdef __cplusplus
}
#endif

#endif
