/*
 * device.h - the CUDA runtime as plain C sees it: device query, device and
 * pinned host memory, streams, events, copies and a cuBLAS GEMM (used by the
 * benchmarks to measure interference). Streams and events are opaque
 * `void *`; NULL stream = the legacy default stream.
 *
 * Every function returns 0 or a negative SS_E* code and fills `err`
 * (SS_ENODEV when there is no GPU or CUDA was not built, SS_ECUDA for a
 * runtime error, naming the call). Free/destroy functions accept NULL.
 */
#ifndef SS_KERN_DEVICE_H
#define SS_KERN_DEVICE_H

#include "kern.h"

#ifdef __cplusplus
extern "C" {
#endif

struct kern_dev_info {
	char name[256];          /* e.g. "NVIDIA H200" */
	int sm_count;            /* multiprocessors */
	int cc_major, cc_minor;  /* compute capability */
	int driver_version;      /* e.g. 13000 */
	int runtime_version;     /* e.g. 13000 */
	uint64_t hbm_bytes;      /* global memory, bytes */
	uint64_t l2_bytes;       /* L2 cache, bytes */
	int sm_clock_khz;        /* max SM clock, kHz (0 where not reported) */
	int mem_clock_khz;       /* max memory clock, kHz (0 where not reported) */
	int mem_bus_bits;        /* memory bus width, bits */
};

/* Select device 0 and describe it. SS_ENODEV when none is usable. */
int kern_dev_probe(struct kern_dev_info *info, struct ss_err *err);

int kern_dev_malloc(void **p, uint64_t bytes, struct ss_err *err);
void kern_dev_free(void *p);
/* Pinned host memory, mapped into the device address space (UVA), so a
 * kernel may read and write it through the same pointer. */
int kern_host_alloc(void **p, uint64_t bytes, struct ss_err *err);
void kern_host_free(void *p);

int kern_stream_create(void **stream, struct ss_err *err);
void kern_stream_destroy(void *stream);
int kern_stream_sync(void *stream, struct ss_err *err);
int kern_dev_sync(struct ss_err *err);

/* Events time with the default (timing) flag. */
int kern_event_create(void **ev, struct ss_err *err);
void kern_event_destroy(void *ev);
int kern_event_record(void *ev, void *stream, struct ss_err *err);
int kern_event_sync(void *ev, struct ss_err *err);
/* 1 if the work before the event has completed, 0 if not, or an error. */
int kern_event_done(void *ev, struct ss_err *err);
int kern_stream_wait_event(void *stream, void *ev, struct ss_err *err);
/* Milliseconds between two recorded, completed events. */
int kern_event_elapsed_ms(void *start, void *stop, float *ms,
			  struct ss_err *err);

/* Asynchronous copy of any kind (the runtime infers it from the pointers). */
int kern_copy_async(void *dst, const void *src, uint64_t bytes, void *stream,
		    struct ss_err *err);
/* Synchronous copy of any kind. */
int kern_copy(void *dst, const void *src, uint64_t bytes, struct ss_err *err);
int kern_memset_async(void *dst, int byte, uint64_t bytes, void *stream,
		      struct ss_err *err);
/*
 * Read `bytes` of device memory `buf` once on `stream`: an L2 flush that
 * leaves the cache clean (memset leaves it full of dirty lines, whose
 * write-back the next kernel would pay for). 0, SS_EINVAL or SS_ECUDA.
 */
int kern_l2_sweep(const void *buf, uint64_t bytes, void *stream,
		  struct ss_err *err);
/*
 * Read `bytes` of device memory `buf` once on `stream` as fast as one
 * launch can: every SM full of threads, 16-byte loads, grid-stride with
 * four loads in flight per thread; a benchmark's ideal read of a given
 * size. Adds the sum of the buffer's 32-bit words (mod 2^64) to the device
 * counter `*sink` (one atomic per CTA), so the loads cannot be dropped and
 * a test can check what was read. `buf` 16-byte aligned, `bytes` a
 * multiple of 16. 0, SS_EINVAL or SS_ECUDA.
 */
int kern_hbm_read(const void *buf, uint64_t bytes, uint64_t *sink,
		  void *stream, struct ss_err *err);
/*
 * kern_hbm_read over the `n_blocks` blocks of `block_bytes` bytes at
 * base + slots[i] x block_bytes (device slot table, slots read as
 * unsigned): the ideal read of the blocks a decode attention over a block
 * cache must read, the slot table's round trip included. Adds the sum of
 * the blocks' 32-bit words (mod 2^64) to `*sink`. `base` 16-byte
 * aligned, `block_bytes` a positive multiple of 16. 0, SS_EINVAL or
 * SS_ECUDA.
 */
int kern_hbm_gather(const void *base, uint64_t block_bytes,
		    const int32_t *slots, uint64_t n_blocks, uint64_t *sink,
		    void *stream, struct ss_err *err);

/* cuBLAS bf16 GEMM C[m,n] = A[m,k] B[k,n] (fp32 accumulate), for
 * interference measurements. The handle is bound to `stream`. */
int kern_gemm_create(void **handle, void *stream, struct ss_err *err);
void kern_gemm_destroy(void *handle);
int kern_gemm_bf16(void *handle, int m, int n, int k, const kern_bf16 *a,
		   const kern_bf16 *b, kern_bf16 *c, struct ss_err *err);

#ifdef __cplusplus
}
#endif

#endif
