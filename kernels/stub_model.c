/*
 * stub_model.c - the dense model path (gemm.h, elementwise.h,
 * prefill_attn.h, layer.h) without CUDA: every launcher answers SS_ENODEV
 * ("built without CUDA"). kern_rope_init (rope.c) is plain C and works in
 * both builds.
 */
#include <stdlib.h>

#include "gemm.h"
#include "layer.h"
#include "prefill_attn.h"

#include "banned.h"

#define NODEV(err) ss_error((err), SS_ENODEV, "built without CUDA")

const char *const kern_layer_stage_names[KERN_LAYER_STAGES] = {
	"rmsnorm_attn", "qkv", "rope", "attn", "o_proj",
	"rmsnorm_ffn", "gate_up", "swiglu", "down",
};

uint64_t kern_layer_weight_bytes(const struct kern_model_shape *s)
{
	(void)s;
	return 0;
}
int kern_weights_alloc(struct kern_weights **w,
		       const struct kern_model_shape *shape, uint32_t n_layers,
		       uint64_t seed, void *stream, struct ss_err *err)
{
	*w = NULL;
	return NODEV(err);
}
void kern_weights_free(struct kern_weights *w) { (void)w; }
int kern_fill_uniform(kern_bf16 *dev, uint64_t n, uint64_t seed,
		      float center, float half, void *stream,
		      struct ss_err *err)
{
	return NODEV(err);
}
int kern_blas_create(struct kern_blas **b, struct ss_err *err)
{
	*b = NULL;
	return NODEV(err);
}
void kern_blas_destroy(struct kern_blas *b) { (void)b; }
int kern_linear(struct kern_blas *b, const kern_bf16 *x, uint32_t n_tokens,
		uint32_t in, const kern_bf16 *w, uint32_t out, kern_bf16 *y,
		int accumulate, void *stream, struct ss_err *err)
{
	return NODEV(err);
}
int kern_rmsnorm(kern_bf16 *x, const kern_bf16 *add, const kern_bf16 *gain,
		 kern_bf16 *out, uint32_t n_tokens, uint32_t width, float eps,
		 void *stream, struct ss_err *err)
{
	return NODEV(err);
}
int kern_rope_qkv(kern_bf16 *qkv, kern_bf16 *kv_out, const int32_t *positions,
		  uint32_t n_tokens, uint32_t n_q_heads, uint32_t n_kv_heads,
		  const struct kern_rope *r, void *stream, struct ss_err *err)
{
	return NODEV(err);
}
int kern_swiglu(const kern_bf16 *gu, kern_bf16 *out, uint32_t n_tokens,
		uint32_t width, void *stream, struct ss_err *err)
{
	return NODEV(err);
}
int kern_residual_add(kern_bf16 *x, const kern_bf16 *y, uint64_t n,
		      void *stream, struct ss_err *err)
{
	return NODEV(err);
}
int kern_prefill_attn(const struct kern_prefill_args *a, void *stream,
		      struct ss_err *err)
{
	return NODEV(err);
}
int kern_chunked_prefill_attn(const struct kern_prefill_args *a, void *stream,
			      struct ss_err *err)
{
	return NODEV(err);
}
uint64_t kern_prefill_attn_work_bytes(const struct kern_prefill_args *a)
{
	return 0;
}
int kern_prefill_attn_ref(const struct kern_prefill_args *a,
			  uint32_t row_step, void *stream, struct ss_err *err)
{
	return NODEV(err);
}
int kern_layer_ws_alloc(struct kern_layer_ws **ws,
			const struct kern_model_shape *shape,
			uint32_t max_tokens, struct ss_err *err)
{
	*ws = NULL;
	return NODEV(err);
}
void kern_layer_ws_free(struct kern_layer_ws *ws) { (void)ws; }
uint64_t kern_layer_ws_bytes(const struct kern_model_shape *shape,
			     uint32_t max_tokens)
{
	return 0;
}
int kern_layer_forward(const struct kern_layer_args *a, void *stream,
		       struct ss_err *err)
{
	return NODEV(err);
}
int kern_layer_warm_gemms(struct kern_blas *blas, struct kern_layer_ws *ws,
			  const struct kern_weights *w, uint32_t dense_to,
			  uint32_t max_rows, uint32_t step, void *stream,
			  struct ss_err *err)
{
	return NODEV(err);
}
kern_bf16 *kern_layer_ws_qkv(struct kern_layer_ws *ws) { return NULL; }
kern_bf16 *kern_layer_ws_kv_new(struct kern_layer_ws *ws) { return NULL; }
kern_bf16 *kern_layer_ws_attn(struct kern_layer_ws *ws) { return NULL; }

static int dense_attend_nodev(void *ctx, const struct kern_layer_attn *a,
			      void *stream, struct ss_err *err)
{
	return NODEV(err);
}
const struct kern_attn_ops kern_attn_dense_ops = {
	.name = "dense",
	.attend = dense_attend_nodev,
};
