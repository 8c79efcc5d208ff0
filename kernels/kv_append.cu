/*
 * kv_append.cu - KV append and block digests (see kv_append.h).
 * Append: one thread per 16-byte chunk of a row. Digest: one CTA per
 * filled block, one thread per dimension, the block's 32 keys of that
 * dimension held in registers (two passes: extent, then mean deviation).
 */
#include "kern_cuda.h"
#include "kv_append.h"

#include <cuda_bf16.h>

__global__ void kv_append_kernel(const uint4 *__restrict__ k_new,
				 const uint4 *__restrict__ v_new,
				 uint4 *__restrict__ cache,
				 const uint32_t *__restrict__ slot,
				 const uint32_t *__restrict__ row,
				 uint32_t n_heads, uint32_t row_chunks,
				 uint64_t tok_chunks, uint64_t total)
{
	const uint64_t blk_chunks = 2ull * KERN_BLOCK_TOKENS * row_chunks;

	for (uint64_t g = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x;
	     g < total; g += (uint64_t)gridDim.x * blockDim.x) {
		uint64_t c = g % row_chunks, th = g / row_chunks;
		uint64_t t = th / n_heads;
		uint64_t dst = (uint64_t)slot[th] * blk_chunks +
			       (uint64_t)row[t] * row_chunks + c;

		uint64_t src = t * tok_chunks + (th % n_heads) * row_chunks + c;

		cache[dst] = k_new[src];
		cache[dst + KERN_BLOCK_TOKENS * row_chunks] = v_new[src];
	}
}

__global__ void digest_kernel(const __nv_bfloat16 *__restrict__ cache,
			      const uint32_t *__restrict__ fill_slot,
			      const uint64_t *__restrict__ fill_digest,
			      __nv_bfloat16 *__restrict__ digest,
			      uint32_t head_dim, int kind)
{
	const uint32_t d = threadIdx.x;
	const __nv_bfloat16 *k = cache + (uint64_t)fill_slot[blockIdx.x] *
						 2 * KERN_BLOCK_TOKENS *
						 head_dim;
	__nv_bfloat16 *out = digest + fill_digest[blockIdx.x] * 2 * head_dim;
	float v[KERN_BLOCK_TOKENS], lo = INFINITY, hi = -INFINITY;

	if (d >= head_dim)
		return;
#pragma unroll
	for (int t = 0; t < (int)KERN_BLOCK_TOKENS; t++) {
		v[t] = __bfloat162float(k[(uint64_t)t * head_dim + d]);
		lo = fminf(lo, v[t]);
		hi = fmaxf(hi, v[t]);
	}
	if (kind == KERN_DIGEST_CUBOID_MEAN) {
		float c = 0.5f * (lo + hi), r = 0.0f;
#pragma unroll
		for (int t = 0; t < (int)KERN_BLOCK_TOKENS; t++)
			r += fabsf(c - v[t]);
		r *= 1.0f / KERN_BLOCK_TOKENS;
		hi = c + r;
		lo = c - r;
	}
	out[d] = __float2bfloat16(hi);
	out[head_dim + d] = __float2bfloat16(lo);
}

extern "C" int kern_kv_append(const struct kern_append_args *a, void *stream,
			      struct ss_err *err)
{
	cudaStream_t s = kern_stream(stream);
	uint32_t row_chunks;
	uint64_t total, tok_chunks;

	if (!a->n_heads)
		return ss_error(err, SS_EINVAL,
				"kv_append: field 'n_heads' is 0");
	if (!a->head_dim || a->head_dim % 8 || a->head_dim > 1024)
		return ss_error(err, SS_EINVAL,
				"kv_append: field 'head_dim': %u is not a "
				"multiple of 8 in 8..1024",
				a->head_dim);
	if (a->kind != KERN_DIGEST_CUBOID_MEAN && a->kind != KERN_DIGEST_QUEST)
		return ss_error(err, SS_EINVAL,
				"kv_append: field 'kind': unknown digest %d",
				(int)a->kind);
	if (a->n_tokens && (!a->k_new || !a->v_new || !a->cache || !a->slot ||
			    !a->row))
		return ss_error(err, SS_EINVAL,
				"kv_append: a pointer field is NULL (k_new, "
				"v_new, cache, slot, row)");
	if (a->n_fill && (!a->fill_slot || !a->fill_digest || !a->digest ||
			  !a->cache))
		return ss_error(err, SS_EINVAL,
				"kv_append: n_fill > 0 but a pointer field is "
				"NULL (fill_slot, fill_digest, digest)");
	row_chunks = a->head_dim * 2 / 16;
	if (a->kv_stride && (a->kv_stride < (uint64_t)a->n_heads * a->head_dim ||
			     a->kv_stride % 8))
		return ss_error(err, SS_EINVAL,
				"kv_append: field 'kv_stride': %llu is below "
				"n_heads x head_dim or not a multiple of 8",
				(unsigned long long)a->kv_stride);
	tok_chunks = a->kv_stride ? a->kv_stride * 2 / 16
				  : (uint64_t)a->n_heads * row_chunks;
	total = (uint64_t)a->n_tokens * a->n_heads * row_chunks;
	if (total) {
		uint64_t ctas = (total + 255) / 256;
		kv_append_kernel<<<(unsigned)SS_MIN(ctas, 65535), 256, 0, s>>>(
			(const uint4 *)a->k_new, (const uint4 *)a->v_new,
			(uint4 *)a->cache, a->slot, a->row, a->n_heads,
			row_chunks, tok_chunks, total);
		KCHECK_LAUNCH("kv_append_kernel", err);
	}
	if (a->n_fill) {
		uint32_t threads = (a->head_dim + 31) / 32 * 32;
		digest_kernel<<<a->n_fill, threads, 0, s>>>(
			(const __nv_bfloat16 *)a->cache, a->fill_slot,
			a->fill_digest, (__nv_bfloat16 *)a->digest,
			a->head_dim, (int)a->kind);
		KCHECK_LAUNCH("digest_kernel", err);
	}
	return 0;
}
