/*
 * gemm.cu - linear layers through cuBLAS and synthetic weights (gemm.h).
 *
 * Row-major y[T][out] = x[T][in] W[out][in]^T is, seen column-major,
 * y^T (out x T) = W (out x in, stored as its transpose) * x^T: one "TN"
 * cublasGemmEx with bf16 operands, fp32 compute and tensor-op algorithms.
 * cuBLAS chooses the kernel (cuBLASLt underneath); small token counts
 * (decode) become GEMV-like kernels there.
 *
 * The weight fill hashes (seed, index) with splitmix64, so a tensor's
 * bytes do not depend on the launch shape.
 */
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <stdlib.h>

#include "gemm.h"
#include "kern_cuda.h"

#define GBLAS(call, err)                                                      \
	do {                                                                  \
		cublasStatus_t gb_s_ = (call);                                \
		if (gb_s_ != CUBLAS_STATUS_SUCCESS)                           \
			return ss_error((err), SS_ECUDA, "%s:%d: %s: %s",     \
					__FILE__, __LINE__, #call,            \
					cublasGetStatusString(gb_s_));        \
	} while (0)

struct kern_blas {
	cublasHandle_t h;
};

__device__ __forceinline__ uint64_t splitmix64(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

__global__ void fill_uniform_kernel(__nv_bfloat16 *p, uint64_t n,
				    uint64_t seed, float center, float half)
{
	uint64_t key = splitmix64(seed);

	for (uint64_t i = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x;
	     i < n; i += (uint64_t)gridDim.x * blockDim.x) {
		uint64_t r = splitmix64(key ^ i);
		float u = (float)(r >> 40) * (1.0f / 16777216.0f); /* [0,1) */
		p[i] = __float2bfloat16(center + half * (2.0f * u - 1.0f));
	}
}

extern "C" int kern_fill_uniform(kern_bf16 *dev, uint64_t n, uint64_t seed,
				 float center, float half, void *stream,
				 struct ss_err *err)
{
	if (!dev && n)
		return ss_error(err, SS_EINVAL, "fill: NULL buffer");
	if (!n)
		return 0;
	unsigned blocks = (unsigned)SS_MIN((n + 255) / 256, (uint64_t)8192);
	fill_uniform_kernel<<<blocks, 256, 0, kern_stream(stream)>>>(
		(__nv_bfloat16 *)dev, n, seed, center, half);
	KCHECK_LAUNCH("fill_uniform_kernel", err);
	return 0;
}

static int shape_check(const struct kern_model_shape *s, struct ss_err *err)
{
	if (!s)
		return ss_error(err, SS_EINVAL, "model shape: NULL");
	if (s->head_dim != KERN_HEAD_DIM)
		return ss_error(err, SS_EINVAL,
				"model shape: field 'head_dim' is %u, the "
				"kernels support %u",
				s->head_dim, KERN_HEAD_DIM);
	if (!s->n_kv_heads || !s->n_q_heads ||
	    s->n_q_heads % s->n_kv_heads)
		return ss_error(err, SS_EINVAL,
				"model shape: field 'n_q_heads' (%u) must be "
				"a positive multiple of 'n_kv_heads' (%u)",
				s->n_q_heads, s->n_kv_heads);
	if (!s->hidden || s->hidden % 8 || !s->intermediate ||
	    s->intermediate % 8)
		return ss_error(err, SS_EINVAL,
				"model shape: fields 'hidden' (%u) and "
				"'intermediate' (%u) must be positive "
				"multiples of 8",
				s->hidden, s->intermediate);
	if (!(s->rms_eps > 0))
		return ss_error(err, SS_EINVAL,
				"model shape: field 'rms_eps' must be > 0");
	return 0;
}

/* Element counts of one layer's tensors, in carving order. */
static void layer_counts(const struct kern_model_shape *s, uint64_t c[6])
{
	uint64_t h = s->hidden, qd = (uint64_t)s->n_q_heads * s->head_dim;

	c[0] = kern_qkv_width(s) * h;
	c[1] = h * qd;
	c[2] = 2ull * s->intermediate * h;
	c[3] = h * s->intermediate;
	c[4] = h;
	c[5] = h;
}

/* Each tensor starts on a 256-byte boundary (16-byte loads, cuBLAS). */
static uint64_t pad256(uint64_t bytes) { return (bytes + 255) & ~255ull; }

extern "C" uint64_t kern_layer_weight_bytes(const struct kern_model_shape *s)
{
	uint64_t c[6], b = 0;

	layer_counts(s, c);
	for (int i = 0; i < 6; i++)
		b += pad256(c[i] * sizeof(kern_bf16));
	return b;
}

extern "C" int kern_weights_alloc(struct kern_weights **out,
				  const struct kern_model_shape *shape,
				  uint32_t n_layers, uint64_t seed,
				  void *stream, struct ss_err *err)
{
	struct kern_weights *w;
	uint64_t c[6], per;
	char *p;
	int rc;

	*out = NULL;
	if ((rc = shape_check(shape, err)))
		return rc;
	if (!n_layers)
		return ss_error(err, SS_EINVAL, "weights: n_layers is 0");
	w = (struct kern_weights *)calloc(1, sizeof *w);
	if (!w)
		return ss_error(err, SS_ENOMEM, "weights: out of host memory");
	w->layer = (struct kern_layer_weights *)calloc(n_layers,
						       sizeof *w->layer);
	if (!w->layer) {
		rc = ss_error(err, SS_ENOMEM, "weights: out of host memory");
		goto out_free_w;
	}
	w->shape = *shape;
	w->n_layers = n_layers;
	per = kern_layer_weight_bytes(shape);
	w->bytes = per * n_layers;
	if (cudaMalloc(&w->base, w->bytes) != cudaSuccess) {
		cudaGetLastError();
		rc = ss_error(err, SS_ECUDA,
			      "weights: cannot allocate %.2f GiB of device "
			      "memory for %u layers",
			      (double)w->bytes / (1 << 30), n_layers);
		goto out_free_layers;
	}
	layer_counts(shape, c);
	p = (char *)w->base;
	for (uint32_t l = 0; l < n_layers; l++) {
		kern_bf16 **t[6] = { &w->layer[l].w_qkv, &w->layer[l].w_o,
				     &w->layer[l].w_gu, &w->layer[l].w_down,
				     &w->layer[l].norm_attn,
				     &w->layer[l].norm_ffn };
		uint64_t in[4] = { shape->hidden,
				   (uint64_t)shape->n_q_heads *
					   shape->head_dim,
				   shape->hidden, shape->intermediate };
		for (int i = 0; i < 6; i++) {
			float center = i < 4 ? 0.0f : 1.0f;
			float half = i < 4 ? (float)(1.0 / sqrt((double)in[i]))
					   : 0.1f;
			*t[i] = (kern_bf16 *)p;
			/* tensor (l, i) of seed s: its own stream of
			 * hashes, distinct for any s, l, i */
			uint64_t ts = seed ^ ((uint64_t)(l * 8u + i + 1) << 40);
			if ((rc = kern_fill_uniform(*t[i], c[i], ts, center,
						    half, stream, err)))
				goto out_free_base;
			p += pad256(c[i] * sizeof(kern_bf16));
		}
	}
	*out = w;
	return 0;

out_free_base:
	cudaFree(w->base);
out_free_layers:
	free(w->layer);
out_free_w:
	free(w);
	return rc;
}

extern "C" void kern_weights_free(struct kern_weights *w)
{
	if (!w)
		return;
	cudaFree(w->base);
	free(w->layer);
	free(w);
}

extern "C" int kern_blas_create(struct kern_blas **out, struct ss_err *err)
{
	struct kern_blas *b = (struct kern_blas *)calloc(1, sizeof *b);

	*out = NULL;
	if (!b)
		return ss_error(err, SS_ENOMEM, "blas: out of host memory");
	if (cublasCreate(&b->h) != CUBLAS_STATUS_SUCCESS) {
		free(b);
		return ss_error(err, SS_ECUDA, "blas: cublasCreate failed");
	}
	*out = b;
	return 0;
}

extern "C" void kern_blas_destroy(struct kern_blas *b)
{
	if (!b)
		return;
	cublasDestroy(b->h);
	free(b);
}

extern "C" int kern_linear(struct kern_blas *b, const kern_bf16 *x,
			   uint32_t n_tokens, uint32_t in, const kern_bf16 *w,
			   uint32_t out, kern_bf16 *y, int accumulate,
			   void *stream, struct ss_err *err)
{
	const float one = 1.0f, beta = accumulate ? 1.0f : 0.0f;

	if (!b || !x || !w || !y)
		return ss_error(err, SS_EINVAL,
				"linear: NULL handle, input, weight or output");
	if (!in || !out || in > INT32_MAX || out > INT32_MAX ||
	    n_tokens > INT32_MAX)
		return ss_error(err, SS_EINVAL,
				"linear: sizes in=%u out=%u n_tokens=%u out of "
				"range",
				in, out, n_tokens);
	if (!n_tokens)
		return 0;
	GBLAS(cublasSetStream(b->h, kern_stream(stream)), err);
	GBLAS(cublasGemmEx(b->h, CUBLAS_OP_T, CUBLAS_OP_N, (int)out,
			   (int)n_tokens, (int)in, &one, w, CUDA_R_16BF,
			   (int)in, x, CUDA_R_16BF, (int)in, &beta, y,
			   CUDA_R_16BF, (int)out, CUBLAS_COMPUTE_32F,
			   CUBLAS_GEMM_DEFAULT_TENSOR_OP),
	      err);
	return 0;
}
