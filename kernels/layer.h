/*
 * layer.h - one decoder layer of a Llama-family model on the GPU, for a
 * mixed batch of prefill and decode tokens, with attention left to a
 * callback so the live executor can put sparse decode attention, dense
 * attention over its own KV store, or layer-segmented prefill in place.
 *
 * For n_tokens rows of the residual stream x [n_tokens][hidden] (bf16,
 * updated in place), one call runs these stages, in order, on one stream:
 *
 *   0 rmsnorm   h = RMSNorm(x) * norm_attn
 *   1 qkv       qkv = h W_qkv^T                      [T][(nq + 2 nkv) 128]
 *   2 rope      Q rotated in place; rotated K and V to kv_new
 *               [T][2][nkv][128] (contiguous, token-major: the save path
 *               copies it to DRAM in one piece)
 *   3 attn      ops->attend(): fills attn [T][nq 128] from Q and whatever
 *               KV the callback keeps (kv_new holds this step's tokens)
 *   4 o_proj    x += attn W_o^T                     (residual in the GEMM)
 *   5 rmsnorm   h = RMSNorm(x) * norm_ffn
 *   6 gate_up   gu = h W_gu^T                       [T][2 intermediate]
 *   7 swiglu    a = silu(gate) * up
 *   8 down      x += a W_down^T                     (residual in the GEMM)
 *
 * With `timing`, an event is recorded before stage 0 and after each
 * stage, so a caller can split the layer's time by kernel. All buffers
 * come from a workspace allocated once for a maximum token count; no
 * allocation happens per call.
 */
#ifndef SS_KERN_LAYER_H
#define SS_KERN_LAYER_H

#include "elementwise.h"
#include "gemm.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KERN_LAYER_STAGES 9
extern const char *const kern_layer_stage_names[KERN_LAYER_STAGES];

/* What the attention callback gets for one layer of one step. */
struct kern_layer_attn {
	uint32_t layer;             /* layer index */
	uint32_t n_tokens;          /* rows of the batch */
	const int32_t *positions;   /* device [n_tokens] */
	const kern_bf16 *q;         /* device, roped queries, row stride q_stride */
	uint64_t q_stride;          /* elements */
	const kern_bf16 *kv_new;    /* device [n_tokens][2][n_kv][128] */
	kern_bf16 *out;             /* device [n_tokens][n_q 128], to fill */
	const struct kern_model_shape *shape;
	float scale;                /* 1/sqrt(head_dim) */
};

/* The attention backend: a const table, its state in `ctx`. */
struct kern_attn_ops {
	const char *name;
	int (*attend)(void *ctx, const struct kern_layer_attn *a, void *stream,
		      struct ss_err *err);
};

/*
 * Dense attention through the prefill kernels over a contiguous KV store
 * (kern_attn_dense_ops). The batch's rows are grouped by sequence: rows
 * cu_q[s] .. cu_q[s+1]-1 are sequence s's new tokens, its last ones. With
 * store == NULL there is no earlier KV (every sequence is a whole prompt):
 * attention runs on kv_new with cu_kv = cu_q. Otherwise store[layer] is a
 * device buffer of rows [2][n_kv][128] where sequence s owns rows
 * cu_kv[s] .. cu_kv[s+1]-1 (earlier tokens already there); the callback
 * first copies row t of kv_new to row dst_row[t], then attends.
 */
struct kern_dense_attn {
	uint32_t n_seqs;
	const int32_t *cu_q;       /* device [n_seqs + 1] */
	const int32_t *cu_kv;      /* device [n_seqs + 1]; NULL with no store */
	uint32_t max_q_len;        /* most new rows of any sequence */
	kern_bf16 *const *store;   /* host array [n_layers] of device buffers, or NULL */
	const int32_t *dst_row;    /* device [n_tokens] */
	uint32_t variant;          /* prefill kernel variant (0 = automatic) */
};
extern const struct kern_attn_ops kern_attn_dense_ops;

/* Per-stage events (KERN_LAYER_STAGES + 1, created by the caller). */
struct kern_layer_timing {
	void *ev[KERN_LAYER_STAGES + 1];
};

/* Activations of one step, sized for max_tokens (one allocation). */
struct kern_layer_ws;
int kern_layer_ws_alloc(struct kern_layer_ws **ws,
			const struct kern_model_shape *shape,
			uint32_t max_tokens, struct ss_err *err);
void kern_layer_ws_free(struct kern_layer_ws *ws);
/* Device bytes a workspace for max_tokens holds. */
uint64_t kern_layer_ws_bytes(const struct kern_model_shape *shape,
			     uint32_t max_tokens);

struct kern_layer_args {
	struct kern_blas *blas;
	struct kern_layer_ws *ws;
	const struct kern_weights *w;
	uint32_t layer;                 /* < w->n_layers */
	const struct kern_rope *rope;
	kern_bf16 *x;                   /* device [n_tokens][hidden], in/out */
	uint32_t n_tokens;              /* <= the workspace's max_tokens */
	const int32_t *positions;       /* device [n_tokens] */
	const struct kern_attn_ops *ops;
	void *attn_ctx;
	const struct kern_layer_timing *timing; /* or NULL */
};

/*
 * Run one decoder layer on `stream`. 0, SS_EINVAL (naming the bad field:
 * layer out of range, too many tokens, NULL pointer), SS_ECUDA, or the
 * callback's error prefixed with the backend's name.
 */
int kern_layer_forward(const struct kern_layer_args *a, void *stream,
		       struct ss_err *err);

/*
 * Run the layer's four GEMMs (layer 0's weights, on the workspace's own
 * buffers, their contents left undefined) once for every row count from 1
 * to `dense_to`, then every `step`-th up to `max_rows`, and at `max_rows`;
 * 1 <= dense_to <= max_rows <= the workspace's max_tokens, `step` at least
 * 1. Why: cuBLAS loads the kernel it picks for a shape on that shape's
 * first call, and loading waits for the device to go idle. In an executor
 * that issues layers ahead of the GPU, a prefill iteration with a row
 * count not seen before lost about 10 ms (up to 17) that way (session
 * 19). 0, SS_EINVAL (NULL arguments, workspace and weights of different
 * shapes, or naming the field out of range), or SS_ECUDA.
 */
int kern_layer_warm_gemms(struct kern_blas *blas, struct kern_layer_ws *ws,
			  const struct kern_weights *w, uint32_t dense_to,
			  uint32_t max_rows, uint32_t step, void *stream,
			  struct ss_err *err);

/* Device pointers into the workspace (for tests and executors). */
kern_bf16 *kern_layer_ws_qkv(struct kern_layer_ws *ws);
kern_bf16 *kern_layer_ws_kv_new(struct kern_layer_ws *ws);
kern_bf16 *kern_layer_ws_attn(struct kern_layer_ws *ws);

#ifdef __cplusplus
}
#endif

#endif
