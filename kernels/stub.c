/*
 * stub.c - kernels/ without CUDA: every launcher and runtime call answers
 * SS_ENODEV ("built without CUDA"), so the simulator, the CLI and the
 * tests build and run everywhere (STYLE.md habit 13). The plain-C parts
 * (flash_d2h.c, the CPU scatter and its thread pool) build in both cases.
 */
#include "copy_baseline.h"
#include "decode_attn.h"
#include "device.h"
#include "flash_d2h.h"
#include "flash_h2d.h"
#include "kv_append.h"
#include "select.h"

#include "banned.h"

#define NODEV(err) ss_error((err), SS_ENODEV, "built without CUDA")

int kern_dev_probe(struct kern_dev_info *info, struct ss_err *err)
{
	memset(info, 0, sizeof *info);
	return NODEV(err);
}
int kern_dev_malloc(void **p, uint64_t bytes, struct ss_err *err)
{
	*p = NULL;
	return NODEV(err);
}
void kern_dev_free(void *p) { (void)p; }
int kern_host_alloc(void **p, uint64_t bytes, struct ss_err *err)
{
	*p = NULL;
	return NODEV(err);
}
void kern_host_free(void *p) { (void)p; }
int kern_stream_create(void **stream, struct ss_err *err)
{
	*stream = NULL;
	return NODEV(err);
}
void kern_stream_destroy(void *stream) { (void)stream; }
int kern_stream_sync(void *stream, struct ss_err *err) { return NODEV(err); }
int kern_dev_sync(struct ss_err *err) { return NODEV(err); }
int kern_event_create(void **ev, struct ss_err *err)
{
	*ev = NULL;
	return NODEV(err);
}
void kern_event_destroy(void *ev) { (void)ev; }
int kern_event_record(void *ev, void *stream, struct ss_err *err)
{
	return NODEV(err);
}
int kern_event_sync(void *ev, struct ss_err *err) { return NODEV(err); }
int kern_event_done(void *ev, struct ss_err *err) { return NODEV(err); }
int kern_stream_wait_event(void *stream, void *ev, struct ss_err *err)
{
	return NODEV(err);
}
int kern_event_elapsed_ms(void *start, void *stop, float *ms,
			  struct ss_err *err)
{
	*ms = 0;
	return NODEV(err);
}
int kern_copy_async(void *dst, const void *src, uint64_t bytes, void *stream,
		    struct ss_err *err)
{
	return NODEV(err);
}
int kern_copy(void *dst, const void *src, uint64_t bytes, struct ss_err *err)
{
	return NODEV(err);
}
int kern_memset_async(void *dst, int byte, uint64_t bytes, void *stream,
		      struct ss_err *err)
{
	return NODEV(err);
}
int kern_l2_sweep(const void *buf, uint64_t bytes, void *stream,
		  struct ss_err *err)
{
	return NODEV(err);
}
int kern_hbm_read(const void *buf, uint64_t bytes, uint64_t *sink,
		  void *stream, struct ss_err *err)
{
	return NODEV(err);
}
int kern_hbm_gather(const void *base, uint64_t block_bytes,
		    const int32_t *slots, uint64_t n_blocks, uint64_t *sink,
		    void *stream, struct ss_err *err)
{
	return NODEV(err);
}
int kern_gemm_create(void **handle, void *stream, struct ss_err *err)
{
	*handle = NULL;
	return NODEV(err);
}
void kern_gemm_destroy(void *handle) { (void)handle; }
int kern_gemm_bf16(void *handle, int m, int n, int k, const kern_bf16 *a,
		   const kern_bf16 *b, kern_bf16 *c, struct ss_err *err)
{
	return NODEV(err);
}

int kern_flash_h2d(const struct kern_h2d_args *a, void *stream,
		   struct ss_err *err)
{
	return NODEV(err);
}
int kern_memcpy_blocks(const struct kern_blocks_copy *c, void *stream,
		       struct ss_err *err)
{
	return NODEV(err);
}
int kern_batch_ws_alloc(struct kern_batch_ws **ws, uint32_t cap,
			struct ss_err *err)
{
	*ws = NULL;
	return NODEV(err);
}
void kern_batch_ws_free(struct kern_batch_ws *ws) { (void)ws; }
int kern_memcpy_batch_blocks(const struct kern_blocks_copy *c,
			     struct kern_batch_ws *ws, void *stream,
			     struct ss_err *err)
{
	return NODEV(err);
}
int kern_d2h_gpu_scatter(const struct kern_d2h_layer *l, uint32_t n_ctas,
			 uint32_t threads, void *stream, struct ss_err *err)
{
	return NODEV(err);
}
int kern_kv_append(const struct kern_append_args *a, void *stream,
		   struct ss_err *err)
{
	return NODEV(err);
}
int kern_select(const struct kern_select_args *a, void *stream,
		struct ss_err *err)
{
	return NODEV(err);
}
int kern_attn_plan(const struct kern_attn_args *a, uint32_t *n_splits,
		   uint64_t *work_bytes, struct ss_err *err)
{
	*n_splits = 0;
	*work_bytes = 0;
	return NODEV(err);
}
int kern_sparse_decode_attn(const struct kern_attn_args *a, void *stream,
			    struct ss_err *err)
{
	return NODEV(err);
}
int kern_dense_decode_attn(const struct kern_attn_args *a, void *stream,
			   struct ss_err *err)
{
	return NODEV(err);
}
