/*
 * flash_d2h.h - FlashD2H: saving each layer's new KV to the DRAM pool.
 *
 * A layer's new KV is produced contiguous and token-major on the GPU:
 *     kv_new = K[n_tokens][n_heads][head_dim] | V[n_tokens][n_heads][head_dim]
 * Token t belongs in row row[t] of pool block dst_block[t] + h * head_stride
 * for head h (its K row in the block's K half, its V row in the V half):
 * saving is a scatter and a layout transpose (token-major to per-head).
 *
 * Two ways to do it:
 *  - kern_d2h (the paper's FlashD2H): one bulk cudaMemcpyAsync of kv_new
 *    into a pinned staging buffer, then a pool of CPU threads scatters the
 *    staging buffer into the pool blocks. Staging buffers form a ring of
 *    `n_stages`, so the copy of layer l+1 overlaps the scatter of layer l.
 *  - kern_d2h_gpu_scatter: the GPU-direct mirror image of FlashH2D, a
 *    persistent kernel writing rows straight into mapped host memory.
 */
#ifndef SS_KERN_FLASH_D2H_H
#define SS_KERN_FLASH_D2H_H

#include "kern.h"

#ifdef __cplusplus
extern "C" {
#endif

struct kern_d2h_layer {
	const kern_bf16 *kv_new;   /* device, layout above */
	uint32_t n_tokens;         /* new tokens in this layer's batch */
	uint32_t n_heads;          /* KV heads */
	uint32_t head_dim;         /* elements; multiple of 8 */
	uint32_t block_tokens;     /* rows per block (32) */
	void *pool;                /* pinned (mapped) host pool of blocks */
	const uint64_t *dst_block; /* [n_tokens] pool block of head 0; host
				      array for kern_d2h, device array for
				      kern_d2h_gpu_scatter */
	const uint32_t *row;       /* [n_tokens] row in block; same memory
				      as dst_block */
	uint64_t head_stride;      /* pool blocks from head h to h + 1 */
};

/* Bytes of kv_new (K and V). */
static inline uint64_t kern_d2h_bytes(const struct kern_d2h_layer *l)
{
	return 2ull * l->n_tokens * l->n_heads * l->head_dim *
	       sizeof(kern_bf16);
}

/* Check the shape fields. 0 or SS_EINVAL naming the field. */
int kern_d2h_check(const struct kern_d2h_layer *l, struct ss_err *err);

/*
 * Scatter work items [item0, item1) from `staging` (a host copy of
 * kv_new) into the pool. An item is (run of block_tokens tokens, group
 * of heads): every head once the layer has 16 runs or more, fewer heads
 * per item for short saves so they still spread over the threads;
 * numbered run-major. Plain C, no GPU; what the thread pool runs.
 */
uint64_t kern_d2h_items(const struct kern_d2h_layer *l);
void kern_d2h_scatter_items(const struct kern_d2h_layer *l,
			    const void *staging, uint64_t item0,
			    uint64_t item1);

struct kern_d2h_config {
	uint32_t n_threads;   /* scatter threads, 1..64 */
	uint32_t n_stages;    /* staging buffers in the ring, 1..16 */
	uint64_t stage_bytes; /* bytes per staging buffer */
};

struct kern_d2h;

/* Allocate staging buffers and start the threads. */
int kern_d2h_create(struct kern_d2h **out, const struct kern_d2h_config *cfg,
		    struct ss_err *err);
/* Wait for outstanding work, stop the threads, free. NULL is fine. */
void kern_d2h_free(struct kern_d2h *d);

/*
 * Queue the save of one layer: waits for a free staging buffer, issues the
 * bulk copy on `stream` and returns; the threads scatter once the copy has
 * landed. `l` is copied, but the arrays it points to must stay valid and
 * unchanged until kern_d2h_wait() returns. SS_EINVAL if kv_new is larger
 * than a staging buffer.
 */
int kern_d2h_save(struct kern_d2h *d, const struct kern_d2h_layer *l,
		  void *stream, struct ss_err *err);
/* Block until every queued save has been scattered; reports the first
 * error a thread met. */
int kern_d2h_wait(struct kern_d2h *d, struct ss_err *err);

/*
 * GPU-direct save: a persistent grid of n_ctas CTAs (0 = 16) of `threads`
 * threads (0 = 512) reads kv_new and writes each row straight into the
 * mapped host pool. dst_block and row are device arrays here.
 */
int kern_d2h_gpu_scatter(const struct kern_d2h_layer *l, uint32_t n_ctas,
			 uint32_t threads, void *stream, struct ss_err *err);

#ifdef __cplusplus
}
#endif

#endif
