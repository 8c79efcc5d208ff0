/*
 * flash_h2d.cu - FlashH2D, the zero-copy block gather (see flash_h2d.h).
 *
 * Build: part of libsskernels (meson, nvcc -gencode sm_90). Variants that
 * were tried live in bench/ with their measurements; this is the winner:
 * persistent grid, 8 independent 16-byte loads in flight per thread, all
 * loads of a tile issued before its first store.
 */
#include "flash_h2d.h"
#include "kern_cuda.h"

#define H2D_UNROLL 8

__global__ void __launch_bounds__(512) flash_h2d_kernel(const uint4 *__restrict__ src,
				 uint4 *__restrict__ dst,
				 const uint64_t *__restrict__ src_index,
				 const uint32_t *__restrict__ dst_index,
				 uint32_t chunks_per_block, uint64_t total)
{
	const uint64_t tile = (uint64_t)blockDim.x * H2D_UNROLL;

	for (uint64_t base = blockIdx.x * tile; base < total;
	     base += (uint64_t)gridDim.x * tile) {
		uint4 v[H2D_UNROLL];
		uint64_t to[H2D_UNROLL];

#pragma unroll
		for (int u = 0; u < H2D_UNROLL; u++) {
			uint64_t g = base + (uint64_t)u * blockDim.x +
				     threadIdx.x;
			if (g < total) {
				uint64_t blk = g / chunks_per_block;
				uint64_t off = g - blk * chunks_per_block;
				v[u] = src[src_index[blk] * chunks_per_block +
					   off];
				to[u] = (uint64_t)dst_index[blk] *
						chunks_per_block + off;
			}
		}
#pragma unroll
		for (int u = 0; u < H2D_UNROLL; u++) {
			uint64_t g = base + (uint64_t)u * blockDim.x +
				     threadIdx.x;
			if (g < total)
				dst[to[u]] = v[u];
		}
	}
}

extern "C" int kern_flash_h2d(const struct kern_h2d_args *a, void *stream,
			      struct ss_err *err)
{
	uint32_t ctas = a->n_ctas ? a->n_ctas : KERN_H2D_DEFAULT_CTAS;
	uint32_t threads = a->threads ? a->threads : KERN_H2D_DEFAULT_THREADS;
	uint64_t cpb;
	int smem = 0;

	if (!a->block_bytes || a->block_bytes % 16 ||
	    a->block_bytes / 16 > UINT32_MAX)
		return ss_error(err, SS_EINVAL,
				"flash_h2d: field 'block_bytes': %llu is not "
				"a positive multiple of 16",
				(unsigned long long)a->block_bytes);
	if (threads < 64 || threads > 512 || threads % 32)
		return ss_error(err, SS_EINVAL,
				"flash_h2d: field 'threads': %u is not a "
				"multiple of 32 in 64..512",
				threads);
	if (ctas > 65535)
		return ss_error(err, SS_EINVAL,
				"flash_h2d: field 'n_ctas': %u exceeds 65535",
				ctas);
	if (a->n_blocks == 0)
		return 0;
	if (!a->src_base || !a->dst_base || !a->src_index || !a->dst_index)
		return ss_error(err, SS_EINVAL,
				"flash_h2d: a pointer field is NULL "
				"(src_base, dst_base, src_index, dst_index)");
	cpb = a->block_bytes / 16;
	if (a->reserve_sm) {
		int dev;
		KCHECK(cudaGetDevice(&dev), err);
		KCHECK(cudaDeviceGetAttribute(
			       &smem, cudaDevAttrMaxSharedMemoryPerBlockOptin,
			       dev),
		       err);
		KCHECK(cudaFuncSetAttribute(
			       flash_h2d_kernel,
			       cudaFuncAttributeMaxDynamicSharedMemorySize,
			       smem),
		       err);
	}
	flash_h2d_kernel<<<ctas, threads, (size_t)smem, kern_stream(stream)>>>(
		(const uint4 *)a->src_base, (uint4 *)a->dst_base,
		a->src_index, a->dst_index, (uint32_t)cpb,
		cpb * a->n_blocks);
	KCHECK_LAUNCH("flash_h2d_kernel", err);
	return 0;
}
