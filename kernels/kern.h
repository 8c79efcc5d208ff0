/*
 * kern.h - what every kernel family of kernels/ shares: the bf16 type seen
 * from C, the KV block layout and the DRAM pool addressing.
 *
 * KV layout (DESIGN.md, the paper's (H,N,D)): a *block* holds
 * `block_tokens` (32) consecutive tokens of one KV head of one layer of one
 * request, K rows first, then V rows:
 *
 *     block = K[block_tokens][head_dim] | V[block_tokens][head_dim]   (bf16)
 *
 * 16 KiB at head_dim 128. The HBM block cache is an array of such blocks
 * addressed by *slot*; the pinned DRAM pool is an array of such blocks
 * addressed by kern_pool_index(request, layer, head, block). DSA digests
 * are [2][head_dim] bf16 per (request, layer, KV head, block): the upper
 * corner first, then the lower one.
 *
 * Launchers in the family headers take the caller's CUDA stream as
 * `void *` (NULL = the legacy default stream) so that .c files never see
 * a CUDA header; they check shapes, launch on that stream and check the
 * launch, returning 0 or a negative SS_E* code with a message. Without
 * CUDA every launcher returns SS_ENODEV (kernels/stub.c).
 */
#ifndef SS_KERN_H
#define SS_KERN_H

#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
#include <stdarg.h>
#include <stddef.h>
#ifndef _Noreturn
#define _Noreturn [[noreturn]]
#endif
extern "C" {
#endif

#include "ss.h"

/* A bf16 value as C sees it: the upper 16 bits of an IEEE float. */
typedef uint16_t kern_bf16;

#define KERN_BLOCK_TOKENS 32u /* tokens per KV block (ArkVale page size) */
#define KERN_HEAD_DIM 128u    /* head_dim the attention kernels support */

static inline float kern_bf16_to_float(kern_bf16 h)
{
	uint32_t u = (uint32_t)h << 16;
	float f;

	memcpy(&f, &u, sizeof f);
	return f;
}

/* Round to nearest even; NaN stays NaN. */
static inline kern_bf16 kern_float_to_bf16(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof u);
	if ((u & 0x7fffffffu) > 0x7f800000u)
		return (kern_bf16)((u >> 16) | 0x40);
	u += 0x7fffu + ((u >> 16) & 1u);
	return (kern_bf16)(u >> 16);
}

/* Shape of one model's KV as the pool and cache store it. */
struct kern_kv_shape {
	uint32_t n_layers;     /* layers */
	uint32_t n_kv_heads;   /* KV heads per layer */
	uint32_t head_dim;     /* elements per head vector */
	uint32_t block_tokens; /* tokens per block (32) */
	uint64_t max_blocks;   /* blocks reserved per (request, layer, head) */
};

/* Bytes of one KV block (K and V, bf16). */
static inline uint64_t kern_block_bytes(const struct kern_kv_shape *s)
{
	return 2u * (uint64_t)s->block_tokens * s->head_dim * sizeof(kern_bf16);
}

/*
 * Pool index of block `block` of (request, layer, head): heads of one layer
 * are `max_blocks` apart, so the blocks of one head are contiguous.
 */
static inline uint64_t kern_pool_index(const struct kern_kv_shape *s,
				       uint64_t request, uint32_t layer,
				       uint32_t head, uint64_t block)
{
	return ((request * s->n_layers + layer) * s->n_kv_heads + head) *
		       s->max_blocks + block;
}

#ifdef __cplusplus
}
#endif

#endif
