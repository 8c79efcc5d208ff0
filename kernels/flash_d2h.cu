/*
 * flash_d2h.cu - the GPU-direct save kernel FlashD2H is compared against
 * (see flash_d2h.h): each thread moves 16-byte chunks of kv_new, read
 * contiguously from HBM, into their rows of the mapped host pool.
 */
#include "flash_d2h.h"
#include "kern_cuda.h"

#define D2H_UNROLL 4

__global__ void d2h_gpu_scatter_kernel(const uint4 *__restrict__ src,
				       uint4 *__restrict__ pool,
				       const uint64_t *__restrict__ dst_block,
				       const uint32_t *__restrict__ row,
				       uint32_t n_tokens, uint32_t n_heads,
				       uint32_t row_chunks, uint32_t bt,
				       uint64_t head_stride, uint64_t total)
{
	const uint64_t tile = (uint64_t)blockDim.x * D2H_UNROLL;
	const uint64_t blk_chunks = 2ull * bt * row_chunks;

	for (uint64_t base = blockIdx.x * tile; base < total;
	     base += (uint64_t)gridDim.x * tile) {
		uint4 v[D2H_UNROLL];
		uint64_t to[D2H_UNROLL];

#pragma unroll
		for (int u = 0; u < D2H_UNROLL; u++) {
			uint64_t g = base + (uint64_t)u * blockDim.x +
				     threadIdx.x;
			if (g < total) {
				uint64_t c = g % row_chunks, r = g / row_chunks;
				uint64_t h = r % n_heads, tk = r / n_heads;
				uint64_t kv = tk / n_tokens, t = tk % n_tokens;
				v[u] = src[g];
				to[u] = (dst_block[t] + h * head_stride) *
						blk_chunks +
					(kv * bt + row[t]) * row_chunks + c;
			}
		}
#pragma unroll
		for (int u = 0; u < D2H_UNROLL; u++) {
			uint64_t g = base + (uint64_t)u * blockDim.x +
				     threadIdx.x;
			if (g < total)
				pool[to[u]] = v[u];
		}
	}
}

extern "C" int kern_d2h_gpu_scatter(const struct kern_d2h_layer *l,
				    uint32_t n_ctas, uint32_t threads,
				    void *stream, struct ss_err *err)
{
	int rc = kern_d2h_check(l, err);
	uint32_t row_chunks;

	if (rc)
		return rc;
	n_ctas = n_ctas ? n_ctas : 16;
	threads = threads ? threads : 512;
	if (threads < 64 || threads > 1024 || threads % 32)
		return ss_error(err, SS_EINVAL,
				"d2h_gpu_scatter: 'threads': %u is not a "
				"multiple of 32 in 64..1024",
				threads);
	if (!l->n_tokens)
		return 0;
	row_chunks = l->head_dim * (uint32_t)sizeof(kern_bf16) / 16;
	d2h_gpu_scatter_kernel<<<n_ctas, threads, 0, kern_stream(stream)>>>(
		(const uint4 *)l->kv_new, (uint4 *)l->pool, l->dst_block,
		l->row, l->n_tokens, l->n_heads, row_chunks, l->block_tokens,
		l->head_stride, kern_d2h_bytes(l) / 16);
	KCHECK_LAUNCH("d2h_gpu_scatter_kernel", err);
	return 0;
}
