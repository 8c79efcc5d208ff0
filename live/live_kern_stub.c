/*
 * live_kern_stub.c - live_kern.h without CUDA: SS_ENODEV everywhere.
 */
#include "live_kern.h"

#include "banned.h"

#define NODEV(err) ss_error((err), SS_ENODEV, "built without CUDA")

int live_rows(void *dst, uint64_t dst_stride, const int32_t *dst_idx,
	      const void *src, uint64_t src_stride, const int32_t *src_idx,
	      uint32_t n, uint64_t row_bytes, void *stream,
	      struct ss_err *err)
{
	(void)dst, (void)dst_stride, (void)dst_idx, (void)src;
	(void)src_stride, (void)src_idx, (void)n, (void)row_bytes;
	(void)stream;
	return NODEV(err);
}

int live_table_set(int32_t *table, const uint64_t *idx, const int32_t *val,
		   uint32_t n, void *stream, struct ss_err *err)
{
	(void)table, (void)idx, (void)val, (void)n, (void)stream;
	return NODEV(err);
}

int live_kv_gather(const kern_bf16 *cache, const int32_t *table, uint32_t mb,
		   uint32_t n_heads, uint64_t tok0, uint32_t n,
		   enum live_kv_layout layout, kern_bf16 *out, void *stream,
		   struct ss_err *err)
{
	(void)cache, (void)table, (void)mb, (void)n_heads, (void)tok0;
	(void)n, (void)layout, (void)out, (void)stream;
	return NODEV(err);
}

int live_sparse_lists(const int32_t *table, uint32_t mb, const int32_t *ids,
		      const uint32_t *count, uint32_t cap,
		      const uint32_t *ctx_len, uint32_t n_slots,
		      uint32_t n_heads, uint32_t max_list, int32_t *out_slots,
		      int32_t *out_ids, uint32_t *out_n, void *stream,
		      struct ss_err *err)
{
	(void)table, (void)mb, (void)ids, (void)count, (void)cap;
	(void)ctx_len, (void)n_slots, (void)n_heads, (void)max_list;
	(void)out_slots, (void)out_ids, (void)out_n, (void)stream;
	return NODEV(err);
}

int live_embed(kern_bf16 *x, const uint64_t *key, uint32_t n, uint32_t width,
	       void *stream, struct ss_err *err)
{
	(void)x, (void)key, (void)n, (void)width, (void)stream;
	return NODEV(err);
}
