/*
 * copy_baseline.h - the baselines FlashH2D/FlashD2H are measured against,
 * and the vLLM-SO executor's transfer path: one cudaMemcpyAsync per block,
 * and the driver's batched copy (cudaMemcpyBatchAsync), in either
 * direction (the runtime infers it from the pointers).
 *
 * Block i goes from src_base + src_index[i] * block_bytes to
 * dst_base + dst_index[i] * block_bytes; the index arrays are host arrays.
 */
#ifndef SS_KERN_COPY_BASELINE_H
#define SS_KERN_COPY_BASELINE_H

#include "kern.h"

#ifdef __cplusplus
extern "C" {
#endif

struct kern_blocks_copy {
	void *dst_base;            /* host pool or device cache */
	const void *src_base;      /* device cache or host pool */
	uint64_t block_bytes;      /* bytes per block (> 0) */
	const uint64_t *src_index; /* host array [n_blocks] */
	const uint64_t *dst_index; /* host array [n_blocks] */
	uint32_t n_blocks;
};

/* One cudaMemcpyAsync per block on `stream`. 0, SS_EINVAL or SS_ECUDA. */
int kern_memcpy_blocks(const struct kern_blocks_copy *c, void *stream,
		       struct ss_err *err);

/*
 * Workspace of cudaMemcpyBatchAsync (pointer and size arrays), allocated
 * once for up to `cap` blocks so that the copy path does not allocate.
 */
struct kern_batch_ws;
int kern_batch_ws_alloc(struct kern_batch_ws **ws, uint32_t cap,
			struct ss_err *err);
void kern_batch_ws_free(struct kern_batch_ws *ws);

/*
 * All blocks in one cudaMemcpyBatchAsync on `stream`, which must not be
 * the legacy default stream (NULL): the driver refuses it. 0, SS_EINVAL
 * (n_blocks over the workspace's cap, NULL stream) or SS_ECUDA.
 */
int kern_memcpy_batch_blocks(const struct kern_blocks_copy *c,
			     struct kern_batch_ws *ws, void *stream,
			     struct ss_err *err);

#ifdef __cplusplus
}
#endif

#endif
