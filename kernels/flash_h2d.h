/*
 * flash_h2d.h - FlashH2D: one launch moves every missed KV block of a layer
 * (all requests and heads) from the pinned DRAM pool straight into its HBM
 * cache slot, with the GPU reading host memory through UVA.
 *
 * The kernel is a persistent grid of `n_ctas` CTAs (each CTA lands on its
 * own SM, so n_ctas is the number of SMs the copy occupies). The blocks to
 * move are seen as one flat list of 16-byte chunks; each CTA walks tiles of
 * threads x 8 chunks, so each thread keeps eight 16-byte host loads in
 * flight (64 KiB per CTA at 512 threads): bandwidth over PCIe grows with the
 * bytes each SM keeps in flight, not with the SMs used
 * (../shared/reference/h200-limits.md).
 */
#ifndef SS_KERN_FLASH_H2D_H
#define SS_KERN_FLASH_H2D_H

#include "kern.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KERN_H2D_DEFAULT_CTAS 16u
#define KERN_H2D_DEFAULT_THREADS 512u

struct kern_h2d_args {
	const void *src_base;      /* pinned+mapped host pool (H2D) */
	void *dst_base;            /* device block cache */
	uint64_t block_bytes;      /* bytes per block; multiple of 16 */
	const uint64_t *src_index; /* device array [n_blocks]: pool block */
	const uint32_t *dst_index; /* device array [n_blocks]: cache slot */
	uint32_t n_blocks;         /* blocks to move (0: nothing to do) */
	uint32_t n_ctas;           /* CTAs = SMs used; 0 = default 16 */
	uint32_t threads;          /* per CTA, 64..512, multiple of 32;
				      0 = default 512 */
	uint32_t reserve_sm;       /* nonzero: each CTA claims its SM's
				      whole shared memory, so no CTA of
				      another kernel shares the SMs the
				      copy runs on (see docs/kernels.md) */
};

/*
 * Copy block src_index[i] of the host pool to slot dst_index[i] of the
 * cache, for every i < n_blocks, on `stream`. Indices must be in range
 * and slots distinct (not checked: they are device data). 0, or
 * SS_EINVAL naming the bad field, SS_ECUDA on a failed launch.
 */
int kern_flash_h2d(const struct kern_h2d_args *a, void *stream,
		   struct ss_err *err);

#ifdef __cplusplus
}
#endif

#endif
