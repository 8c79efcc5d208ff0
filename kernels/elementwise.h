/*
 * elementwise.h - the memory-bound kernels of a Llama-family decoder layer:
 * RMSNorm (with the residual add fused in), rotary embedding with the
 * model's rope_theta and scaling (fused with writing the layer's new K/V
 * contiguously), SwiGLU, and a plain residual add.
 *
 * Rows are tokens, bf16, 16-byte aligned with widths a multiple of 8.
 * Arithmetic is fp32 with one rounding to bf16 per output. Every launcher
 * checks its shapes and pointers, launches on the caller's stream and
 * checks the launch: 0, SS_EINVAL with a message, or SS_ECUDA.
 */
#ifndef SS_KERN_ELEMENTWISE_H
#define SS_KERN_ELEMENTWISE_H

#include "kern.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KERN_ROPE_MAX_PAIRS 64u /* head_dim / 2 at head_dim 128 */

/*
 * Rotary embedding frequencies, computed on the host in double from the
 * config and stored in fp32 as Hugging Face does: inv_freq[i] =
 * theta^(-2i/head_dim), then scaled. Angle = (float)position * inv_freq[i]
 * in fp32, cos/sin in full fp32 precision; pairs are (i, i + head_dim/2)
 * (rotate_half).
 */
struct kern_rope {
	uint32_t head_dim;                    /* elements (128) */
	float inv_freq[KERN_ROPE_MAX_PAIRS];  /* radians per position */
	uint32_t heads_per_thread;            /* 0: automatic
						 (KERN_ROPE_REG for at most
						 10 head slots touched, else
						 KERN_ROPE_TILE: the best
						 measured on the H200);
						 n: n head slots per thread
						 with sin/cos per thread;
						 KERN_ROPE_TILE,
						 KERN_ROPE_REG: below */
};
/* kern_rope.heads_per_thread: the shared-memory cos/sin table launch (on the
 * H200 at 16k tokens, clean L2: 93% of the copy bandwidth for Llama-3.1-8B
 * against 84% with 16 slots per thread; the 70B TP-8 share at 64k tokens
 * 79% against the register launch's 82%) */
#define KERN_ROPE_TILE 0xffffffffu
/* kern_rope.heads_per_thread: the register launch for few head slots per
 * token (the 70B TP-8 share: 8 Q + 1 K + 1 V = 10 with kv_out): a thread per
 * (token, 8 pairs) loads all its slots, then computes its sin/cos while the
 * loads are in flight. At most 16 slots touched (n_q + 2 n_kv with kv_out,
 * n_q + n_kv without); more take the per-thread launch, 16 slots a thread. Results
 * bit-identical to the per-thread launch. On the H200 at 16k tokens, the
 * 70B share: 74% of the copy bandwidth (event-timed; 94% inside the
 * kernel by Nsight Compute), against 70% for the per-thread launch. */
#define KERN_ROPE_REG 0xfffffffeu

/* rope_scaling of config.json; type "" or "default" = none. */
struct kern_rope_scaling {
	char type[32];             /* "", "default", "linear", "llama3" */
	double factor;             /* linear and llama3 */
	double low_freq_factor;    /* llama3 (1.0 in Llama-3.1) */
	double high_freq_factor;   /* llama3 (4.0 in Llama-3.1) */
	double orig_max_positions; /* llama3 original_max_position_embeddings */
};

/*
 * Fill `r` for head_dim (even, <= 128) and theta (> 1); `sc` may be NULL
 * (no scaling). SS_EINVAL names the bad field (unknown type, factor <= 0,
 * low_freq_factor >= high_freq_factor, ...). Plain C: works without CUDA.
 */
int kern_rope_init(struct kern_rope *r, uint32_t head_dim, double theta,
		   const struct kern_rope_scaling *sc, struct ss_err *err);

/*
 * RMSNorm over rows of `width`: if `add` is not NULL, first
 * x += add (the residual add, written back to x); then
 * out = x / sqrt(mean(x^2) + eps) * gain. out may not alias x or add.
 */
int kern_rmsnorm(kern_bf16 *x, const kern_bf16 *add, const kern_bf16 *gain,
		 kern_bf16 *out, uint32_t n_tokens, uint32_t width, float eps,
		 void *stream, struct ss_err *err);

/*
 * Rotary embedding on a fused QKV buffer qkv [n_tokens][(n_q + 2 n_kv) D]
 * (Q heads, K heads, V heads; D = r->head_dim), token t at positions[t]
 * (device int32, >= 0): Q is rotated in place. With kv_out != NULL the
 * rotated K and the V go to kv_out [n_tokens][2][n_kv][D] (K then V per
 * token, contiguous: the layer's new KV for the save path) and qkv's K and
 * V are left as they were; with kv_out == NULL K is rotated in place.
 */
int kern_rope_qkv(kern_bf16 *qkv, kern_bf16 *kv_out, const int32_t *positions,
		  uint32_t n_tokens, uint32_t n_q_heads, uint32_t n_kv_heads,
		  const struct kern_rope *r, void *stream, struct ss_err *err);

/*
 * SwiGLU: gu [n_tokens][2 width] holds gate then up per row;
 * out [n_tokens][width] = silu(gate) * up.
 */
int kern_swiglu(const kern_bf16 *gu, kern_bf16 *out, uint32_t n_tokens,
		uint32_t width, void *stream, struct ss_err *err);

/* x[i] += y[i] for n elements (n a multiple of 8). */
int kern_residual_add(kern_bf16 *x, const kern_bf16 *y, uint64_t n,
		      void *stream, struct ss_err *err);

#ifdef __cplusplus
}
#endif

#endif
