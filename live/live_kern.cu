/*
 * live_kern.cu - the live executor's small kernels (live_kern.h). All are
 * memory-bound copies; grid-stride loops over 16-byte chunks.
 */
#include "kernels/kern_cuda.h"
#include "live_kern.h"

#include <cuda_bf16.h>

static unsigned grid_for(uint64_t work, unsigned threads)
{
	uint64_t g = (work + threads - 1) / threads;

	return (unsigned)(g < 1 ? 1 : g > 65535 ? 65535 : g);
}

__global__ void rows_kernel(uint4 *__restrict__ dst, uint64_t dst_stride,
			    const int32_t *__restrict__ dst_idx,
			    const uint4 *__restrict__ src, uint64_t src_stride,
			    const int32_t *__restrict__ src_idx,
			    uint64_t chunks, uint64_t total)
{
	for (uint64_t g = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x;
	     g < total; g += (uint64_t)gridDim.x * blockDim.x) {
		uint64_t i = g / chunks, c = g % chunks;
		uint64_t d = dst_idx ? (uint64_t)dst_idx[i] : i;
		uint64_t s = src_idx ? (uint64_t)src_idx[i] : i;

		dst[d * dst_stride + c] = src[s * src_stride + c];
	}
}

extern "C" int live_rows(void *dst, uint64_t dst_stride,
			 const int32_t *dst_idx, const void *src,
			 uint64_t src_stride, const int32_t *src_idx,
			 uint32_t n, uint64_t row_bytes, void *stream,
			 struct ss_err *err)
{
	uint64_t chunks = row_bytes / 16, total = chunks * n;

	if (row_bytes % 16 || dst_stride % 16 || src_stride % 16)
		return ss_error(err, SS_EINVAL,
				"live_rows: row of %llu bytes or a stride is "
				"not a multiple of 16",
				(unsigned long long)row_bytes);
	if (!total)
		return 0;
	rows_kernel<<<grid_for(total, 256), 256, 0, kern_stream(stream)>>>(
		(uint4 *)dst, dst_stride / 16, dst_idx, (const uint4 *)src,
		src_stride / 16, src_idx, chunks, total);
	KCHECK_LAUNCH("rows_kernel", err);
	return 0;
}

__global__ void table_set_kernel(int32_t *__restrict__ table,
				 const uint64_t *__restrict__ idx,
				 const int32_t *__restrict__ val, uint32_t n)
{
	for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
	     i += gridDim.x * blockDim.x)
		table[idx[i]] = val[i];
}

extern "C" int live_table_set(int32_t *table, const uint64_t *idx,
			      const int32_t *val, uint32_t n, void *stream,
			      struct ss_err *err)
{
	if (!n)
		return 0;
	table_set_kernel<<<grid_for(n, 256), 256, 0, kern_stream(stream)>>>(
		table, idx, val, n);
	KCHECK_LAUNCH("table_set_kernel", err);
	return 0;
}

/* One thread per 16-byte chunk of one (token, head) K row; it also moves
 * the matching V chunk. 16 chunks per 128-element row. */
__global__ void kv_gather_kernel(const uint4 *__restrict__ cache,
				 const int32_t *__restrict__ table,
				 uint32_t mb, uint32_t n_heads, uint64_t tok0,
				 uint32_t n, int split, uint4 *__restrict__ out)
{
	const uint64_t rc = KERN_HEAD_DIM / 8; /* chunks per row */
	const uint64_t blk = 2ull * KERN_BLOCK_TOKENS * rc;
	const uint64_t total = (uint64_t)n * n_heads * rc;

	for (uint64_t g = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x;
	     g < total; g += (uint64_t)gridDim.x * blockDim.x) {
		uint64_t c = g % rc, th = g / rc;
		uint64_t h = th % n_heads, t = th / n_heads;
		uint64_t tok = tok0 + t;
		int32_t slot = table[h * mb + tok / KERN_BLOCK_TOKENS];
		uint64_t src = (uint64_t)slot * blk +
			       (tok % KERN_BLOCK_TOKENS) * rc + c;
		uint64_t k_dst, v_dst;

		if (split) {
			k_dst = (t * n_heads + h) * rc + c;
			v_dst = k_dst + (uint64_t)n * n_heads * rc;
		} else {
			k_dst = ((t * 2) * n_heads + h) * rc + c;
			v_dst = k_dst + n_heads * rc;
		}
		out[k_dst] = cache[src];
		out[v_dst] = cache[src + KERN_BLOCK_TOKENS * rc];
	}
}

extern "C" int live_kv_gather(const kern_bf16 *cache, const int32_t *table,
			      uint32_t mb, uint32_t n_heads, uint64_t tok0,
			      uint32_t n, enum live_kv_layout layout,
			      kern_bf16 *out, void *stream, struct ss_err *err)
{
	uint64_t total = (uint64_t)n * n_heads * (KERN_HEAD_DIM / 8);

	if (!total)
		return 0;
	kv_gather_kernel<<<grid_for(total, 256), 256, 0,
			   kern_stream(stream)>>>(
		(const uint4 *)cache, table, mb, n_heads, tok0, n,
		layout == LIVE_KV_SPLIT, (uint4 *)out);
	KCHECK_LAUNCH("kv_gather_kernel", err);
	return 0;
}

/* One warp per (slot, head) list. */
__global__ void sparse_lists_kernel(const int32_t *__restrict__ table,
				    uint32_t mb,
				    const int32_t *__restrict__ ids,
				    const uint32_t *__restrict__ count,
				    uint32_t cap,
				    const uint32_t *__restrict__ ctx_len,
				    uint32_t n_lists, uint32_t n_heads,
				    uint32_t max_list,
				    int32_t *__restrict__ out_slots,
				    int32_t *__restrict__ out_ids,
				    uint32_t *__restrict__ out_n)
{
	const uint32_t lane = threadIdx.x & 31;
	const uint32_t w = (blockIdx.x * blockDim.x + threadIdx.x) >> 5;

	if (w >= n_lists)
		return;
	const uint32_t e = w / n_heads;
	const uint32_t ctx = ctx_len[e];
	const int32_t *tab = table + (uint64_t)w * mb;
	uint32_t n = ctx ? count[w] : 0;

	const int32_t newest = ctx ? (int32_t)((ctx - 1) / KERN_BLOCK_TOKENS)
				   : -1;
	int seen = 0;

	if (n > cap)
		n = cap;
	for (uint32_t i = lane; i < n; i += 32) {
		int32_t b = ids[(uint64_t)w * cap + i];

		out_ids[(uint64_t)w * max_list + i] = b;
		out_slots[(uint64_t)w * max_list + i] = tab[b];
		seen |= b == newest;
	}
	/* the newest block, unless the selection has it already (the
	 * selection kernel's window may hold a partial newest block) */
	if (ctx && !__any_sync(0xffffffffu, seen)) {
		if (lane == 0) {
			out_ids[(uint64_t)w * max_list + n] = newest;
			out_slots[(uint64_t)w * max_list + n] = tab[newest];
		}
		n++;
	}
	if (lane == 0)
		out_n[w] = n;
}

extern "C" int live_sparse_lists(const int32_t *table, uint32_t mb,
				 const int32_t *ids, const uint32_t *count,
				 uint32_t cap, const uint32_t *ctx_len,
				 uint32_t n_slots, uint32_t n_heads,
				 uint32_t max_list, int32_t *out_slots,
				 int32_t *out_ids, uint32_t *out_n,
				 void *stream, struct ss_err *err)
{
	uint32_t lists = n_slots * n_heads;

	if (max_list < cap + 1)
		return ss_error(err, SS_EINVAL,
				"live_sparse_lists: max_list %u < cap %u + 1",
				max_list, cap);
	if (!lists)
		return 0;
	sparse_lists_kernel<<<(lists + 7) / 8, 256, 0, kern_stream(stream)>>>(
		table, mb, ids, count, cap, ctx_len, lists, n_heads, max_list,
		out_slots, out_ids, out_n);
	KCHECK_LAUNCH("sparse_lists_kernel", err);
	return 0;
}

__device__ static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* One thread per 8 columns of one row. */
__global__ void embed_kernel(uint4 *__restrict__ x,
			     const uint64_t *__restrict__ key, uint32_t chunks,
			     uint64_t total)
{
	for (uint64_t g = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x;
	     g < total; g += (uint64_t)gridDim.x * blockDim.x) {
		uint64_t r = g / chunks, c = g % chunks;
		uint64_t h = mix64(key[r] ^ (c * 0x9e3779b97f4a7c15ull));
		uint32_t w[4];

		for (int i = 0; i < 4; i++) {
			uint64_t hh = mix64(h + (uint64_t)i);
			float a = (float)(hh & 0xffffff) * (2.0f / 16777216.0f) - 1.0f;
			float b = (float)((hh >> 24) & 0xffffff) *
					  (2.0f / 16777216.0f) -
				  1.0f;
			__nv_bfloat162 v = __floats2bfloat162_rn(a, b);

			memcpy(&w[i], &v, sizeof w[i]);
		}
		x[g] = make_uint4(w[0], w[1], w[2], w[3]);
	}
}

extern "C" int live_embed(kern_bf16 *x, const uint64_t *key, uint32_t n,
			  uint32_t width, void *stream, struct ss_err *err)
{
	uint64_t chunks = width / 8, total = chunks * n;

	if (width % 8)
		return ss_error(err, SS_EINVAL,
				"live_embed: width %u is not a multiple of 8",
				width);
	if (!total)
		return 0;
	embed_kernel<<<grid_for(total, 256), 256, 0, kern_stream(stream)>>>(
		(uint4 *)x, key, (uint32_t)chunks, total);
	KCHECK_LAUNCH("embed_kernel", err);
	return 0;
}
