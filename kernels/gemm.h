/*
 * gemm.h - the linear layers of a Llama-family decoder in bf16 through
 * cuBLAS (QKV, output projection, fused gate/up, down), for any number of
 * tokens, and synthetic seeded weights with the real shapes and footprint.
 *
 * Activations are token-major: x [n_tokens][in] bf16, row stride `in`.
 * A weight is stored as PyTorch's nn.Linear keeps it, W [out][in] bf16,
 * so y = x W^T (fp32 accumulation). With `accumulate` the product is added
 * to y (y += x W^T): the residual add of the output and down projections
 * rides in the GEMM's epilogue for free.
 *
 * Per decoder layer (struct kern_layer_weights):
 *   w_qkv  [(n_q_heads + 2 n_kv_heads) head_dim][hidden]  (Q rows, K rows, V rows)
 *   w_o    [hidden][n_q_heads head_dim]
 *   w_gu   [2 intermediate][hidden]                       (gate rows, then up rows)
 *   w_down [hidden][intermediate]
 *   norm_attn, norm_ffn [hidden]                          (RMSNorm gains)
 * Weights are random (no checkpoint can be downloaded): uniform in
 * +-1/sqrt(in) for projections (activations keep unit scale) and 1 +- 0.1
 * for norm gains, from a counter-based hash of (seed, tensor, index), so
 * the same seed gives the same bytes on any GPU. The embedding and LM head
 * are not allocated (the decoder layers are what the executor runs).
 */
#ifndef SS_KERN_GEMM_H
#define SS_KERN_GEMM_H

#include "kern.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One GPU's share of a Llama-family decoder (tensor parallel degree tp
 * already divided into heads and intermediate). */
struct kern_model_shape {
	uint32_t n_layers;     /* decoder layers */
	uint32_t hidden;       /* hidden_size, elements */
	uint32_t n_q_heads;    /* query heads on this GPU */
	uint32_t n_kv_heads;   /* KV heads on this GPU */
	uint32_t head_dim;     /* elements per head (128) */
	uint32_t intermediate; /* FFN width on this GPU, elements */
	float rms_eps;         /* RMSNorm epsilon */
};

/* Elements of one token's Q, K and V together: (n_q + 2 n_kv) head_dim. */
static inline uint64_t kern_qkv_width(const struct kern_model_shape *s)
{
	return ((uint64_t)s->n_q_heads + 2u * s->n_kv_heads) * s->head_dim;
}

/* Bytes of one decoder layer's weights (bf16). */
uint64_t kern_layer_weight_bytes(const struct kern_model_shape *s);

struct kern_layer_weights {
	kern_bf16 *w_qkv, *w_o, *w_gu, *w_down; /* device, layouts above */
	kern_bf16 *norm_attn, *norm_ffn;        /* device [hidden] */
};

/* All layers' weights: one device allocation carved into the tensors. */
struct kern_weights {
	struct kern_model_shape shape;
	uint32_t n_layers;                 /* layers allocated */
	uint64_t bytes;                    /* device bytes held */
	void *base;                        /* the one allocation */
	struct kern_layer_weights *layer;  /* [n_layers], host */
};

/*
 * Allocate `n_layers` layers (pass shape->n_layers for the real footprint)
 * and fill them from `seed` on `stream`. Checks the shape (head_dim 128,
 * n_q_heads a multiple of n_kv_heads, hidden and intermediate multiples of
 * 8). 0, SS_EINVAL, SS_ENOMEM or SS_ECUDA (out of device memory).
 */
int kern_weights_alloc(struct kern_weights **w,
		       const struct kern_model_shape *shape, uint32_t n_layers,
		       uint64_t seed, void *stream, struct ss_err *err);
void kern_weights_free(struct kern_weights *w);

/*
 * Fill n bf16 values with uniform draws in [center - half, center + half]
 * hashed from (seed, index): deterministic, any order, on `stream`.
 */
int kern_fill_uniform(kern_bf16 *dev, uint64_t n, uint64_t seed,
		      float center, float half, void *stream,
		      struct ss_err *err);

/* A cuBLAS handle (opaque); bound to a stream on each call. */
struct kern_blas;
int kern_blas_create(struct kern_blas **b, struct ss_err *err);
void kern_blas_destroy(struct kern_blas *b);

/*
 * y[n_tokens][out] (+)= x[n_tokens][in] W[out][in]^T in bf16 with fp32
 * accumulation, on `stream`. Row strides are `in` for x and `out` for y;
 * `accumulate` adds into y (y may not overlap x or W). n_tokens 0 is a
 * no-op. 0, SS_EINVAL (sizes, NULL pointers) or SS_ECUDA.
 */
int kern_linear(struct kern_blas *b, const kern_bf16 *x, uint32_t n_tokens,
		uint32_t in, const kern_bf16 *w, uint32_t out, kern_bf16 *y,
		int accumulate, void *stream, struct ss_err *err);

#ifdef __cplusplus
}
#endif

#endif
