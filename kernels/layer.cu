/*
 * layer.cu - one decoder layer for a mixed batch (layer.h): the stages
 * call kern_linear, kern_rmsnorm, kern_rope_qkv, kern_swiglu and the
 * attention callback in order on one stream. The residual adds ride in
 * the output and down projections (cuBLAS beta = 1), so the layer reads
 * and writes x only in the GEMM epilogues and the two norms.
 *
 * kern_attn_dense_ops: dense attention by the varlen prefill kernel, with
 * a row-scatter kernel that appends this step's K/V to the caller's
 * contiguous per-layer store first.
 */
#include <math.h>
#include <stdlib.h>

#include "kern_cuda.h"
#include "layer.h"
#include "prefill_attn.h"

const char *const kern_layer_stage_names[KERN_LAYER_STAGES] = {
	"rmsnorm_attn", "qkv", "rope", "attn", "o_proj",
	"rmsnorm_ffn", "gate_up", "swiglu", "down",
};

struct kern_layer_ws {
	struct kern_model_shape shape;
	uint32_t max_tokens;
	void *base;
	kern_bf16 *h, *qkv, *kv_new, *attn, *gu, *act;
};

static uint64_t al256(uint64_t b) { return (b + 255) & ~255ull; }

static void ws_sizes(const struct kern_model_shape *s, uint32_t t,
		     uint64_t sz[6])
{
	uint64_t T = t, e = sizeof(kern_bf16);

	sz[0] = al256(T * s->hidden * e);
	sz[1] = al256(T * kern_qkv_width(s) * e);
	sz[2] = al256(T * 2u * s->n_kv_heads * s->head_dim * e);
	sz[3] = al256(T * s->n_q_heads * s->head_dim * e);
	sz[4] = al256(T * 2u * s->intermediate * e);
	sz[5] = al256(T * s->intermediate * e);
}

extern "C" uint64_t kern_layer_ws_bytes(const struct kern_model_shape *s,
					uint32_t max_tokens)
{
	uint64_t sz[6], b = 0;

	ws_sizes(s, max_tokens, sz);
	for (int i = 0; i < 6; i++)
		b += sz[i];
	return b;
}

extern "C" int kern_layer_ws_alloc(struct kern_layer_ws **out,
				   const struct kern_model_shape *s,
				   uint32_t max_tokens, struct ss_err *err)
{
	struct kern_layer_ws *ws;
	uint64_t sz[6];
	char *p;

	*out = NULL;
	if (!s || !max_tokens || s->head_dim != KERN_HEAD_DIM ||
	    !s->n_kv_heads || s->n_q_heads % s->n_kv_heads)
		return ss_error(err, SS_EINVAL,
				"layer workspace: bad shape or max_tokens 0");
	ws = (struct kern_layer_ws *)calloc(1, sizeof *ws);
	if (!ws)
		return ss_error(err, SS_ENOMEM,
				"layer workspace: out of host memory");
	ws->shape = *s;
	ws->max_tokens = max_tokens;
	if (cudaMalloc(&ws->base, kern_layer_ws_bytes(s, max_tokens)) !=
	    cudaSuccess) {
		cudaGetLastError();
		free(ws);
		return ss_error(err, SS_ECUDA,
				"layer workspace: cannot allocate %.2f GiB of "
				"device memory for %u tokens",
				(double)kern_layer_ws_bytes(s, max_tokens) /
					(1 << 30),
				max_tokens);
	}
	ws_sizes(s, max_tokens, sz);
	p = (char *)ws->base;
	ws->h = (kern_bf16 *)p;
	ws->qkv = (kern_bf16 *)(p += sz[0]);
	ws->kv_new = (kern_bf16 *)(p += sz[1]);
	ws->attn = (kern_bf16 *)(p += sz[2]);
	ws->gu = (kern_bf16 *)(p += sz[3]);
	ws->act = (kern_bf16 *)(p += sz[4]);
	*out = ws;
	return 0;
}

extern "C" void kern_layer_ws_free(struct kern_layer_ws *ws)
{
	if (!ws)
		return;
	cudaFree(ws->base);
	free(ws);
}

extern "C" kern_bf16 *kern_layer_ws_qkv(struct kern_layer_ws *ws)
{
	return ws->qkv;
}
extern "C" kern_bf16 *kern_layer_ws_kv_new(struct kern_layer_ws *ws)
{
	return ws->kv_new;
}
extern "C" kern_bf16 *kern_layer_ws_attn(struct kern_layer_ws *ws)
{
	return ws->attn;
}

static int mark(const struct kern_layer_timing *tm, int i, void *stream,
		struct ss_err *err)
{
	if (tm)
		KCHECK(cudaEventRecord((cudaEvent_t)tm->ev[i],
				       kern_stream(stream)),
		       err);
	return 0;
}

extern "C" int kern_layer_forward(const struct kern_layer_args *a,
				  void *stream, struct ss_err *err)
{
	const struct kern_model_shape *s;
	const struct kern_layer_weights *lw;
	struct kern_layer_ws *ws;
	struct kern_layer_attn at;
	uint32_t T, qd;
	int rc;

	if (!a || !a->blas || !a->ws || !a->w || !a->rope || !a->x ||
	    !a->positions || !a->ops || !a->ops->attend)
		return ss_error(err, SS_EINVAL,
				"layer: NULL blas, workspace, weights, rope, "
				"x, positions or attention ops");
	ws = a->ws;
	s = &a->w->shape;
	if (a->layer >= a->w->n_layers)
		return ss_error(err, SS_EINVAL,
				"layer: field 'layer' is %u; the weights hold "
				"%u layers",
				a->layer, a->w->n_layers);
	if (a->n_tokens > ws->max_tokens)
		return ss_error(err, SS_EINVAL,
				"layer: field 'n_tokens' is %u; the workspace "
				"holds %u",
				a->n_tokens, ws->max_tokens);
	if (memcmp(&ws->shape, s, sizeof *s))
		return ss_error(err, SS_EINVAL,
				"layer: workspace and weights have different "
				"shapes");
	if (a->rope->head_dim != s->head_dim)
		return ss_error(err, SS_EINVAL,
				"layer: rope head_dim %u != model head_dim %u",
				a->rope->head_dim, s->head_dim);
	T = a->n_tokens;
	if (!T)
		return 0;
	lw = &a->w->layer[a->layer];
	qd = s->n_q_heads * s->head_dim;
	const struct kern_layer_timing *tm = a->timing;

	if ((rc = mark(tm, 0, stream, err)) ||
	    (rc = kern_rmsnorm(a->x, NULL, lw->norm_attn, ws->h, T, s->hidden,
			       s->rms_eps, stream, err)) ||
	    (rc = mark(tm, 1, stream, err)) ||
	    (rc = kern_linear(a->blas, ws->h, T, s->hidden, lw->w_qkv,
			      (uint32_t)kern_qkv_width(s), ws->qkv, 0, stream,
			      err)) ||
	    (rc = mark(tm, 2, stream, err)) ||
	    (rc = kern_rope_qkv(ws->qkv, ws->kv_new, a->positions, T,
				s->n_q_heads, s->n_kv_heads, a->rope, stream,
				err)) ||
	    (rc = mark(tm, 3, stream, err)))
		return rc;
	at.layer = a->layer;
	at.n_tokens = T;
	at.positions = a->positions;
	at.q = ws->qkv;
	at.q_stride = kern_qkv_width(s);
	at.kv_new = ws->kv_new;
	at.out = ws->attn;
	at.shape = s;
	at.scale = (float)(1.0 / sqrt((double)s->head_dim));
	if ((rc = a->ops->attend(a->attn_ctx, &at, stream, err)))
		return ss_error_prefix(err, "layer %u: attention '%s'",
				       a->layer, a->ops->name);
	if ((rc = mark(tm, 4, stream, err)) ||
	    (rc = kern_linear(a->blas, ws->attn, T, qd, lw->w_o, s->hidden,
			      a->x, 1, stream, err)) ||
	    (rc = mark(tm, 5, stream, err)) ||
	    (rc = kern_rmsnorm(a->x, NULL, lw->norm_ffn, ws->h, T, s->hidden,
			       s->rms_eps, stream, err)) ||
	    (rc = mark(tm, 6, stream, err)) ||
	    (rc = kern_linear(a->blas, ws->h, T, s->hidden, lw->w_gu,
			      2 * s->intermediate, ws->gu, 0, stream, err)) ||
	    (rc = mark(tm, 7, stream, err)) ||
	    (rc = kern_swiglu(ws->gu, ws->act, T, s->intermediate, stream,
			      err)) ||
	    (rc = mark(tm, 8, stream, err)) ||
	    (rc = kern_linear(a->blas, ws->act, T, s->intermediate,
			      lw->w_down, s->hidden, a->x, 1, stream, err)) ||
	    (rc = mark(tm, 9, stream, err)))
		return rc;
	return 0;
}

extern "C" int kern_layer_warm_gemms(struct kern_blas *blas,
				     struct kern_layer_ws *ws,
				     const struct kern_weights *w,
				     uint32_t dense_to, uint32_t max_rows,
				     uint32_t step, void *stream,
				     struct ss_err *err)
{
	const struct kern_model_shape *s;
	const struct kern_layer_weights *lw;
	uint32_t qd;
	int rc;

	if (!blas || !ws || !w || !w->n_layers)
		return ss_error(err, SS_EINVAL,
				"layer warm-up: NULL handle, workspace or "
				"weights");
	s = &ws->shape;
	if (memcmp(&w->shape, s, sizeof *s))
		return ss_error(err, SS_EINVAL,
				"layer warm-up: workspace and weights have "
				"different shapes");
	if (!max_rows || max_rows > ws->max_tokens)
		return ss_error(err, SS_EINVAL,
				"layer warm-up: field 'max_rows' is %u; the "
				"workspace holds 1 to %u",
				max_rows, ws->max_tokens);
	if (!dense_to || dense_to > max_rows)
		return ss_error(err, SS_EINVAL,
				"layer warm-up: field 'dense_to' is %u; 1 to "
				"'max_rows' (%u)",
				dense_to, max_rows);
	if (!step)
		return ss_error(err, SS_EINVAL,
				"layer warm-up: field 'step' is 0");
	lw = &w->layer[0];
	qd = s->n_q_heads * s->head_dim;
	for (uint32_t T = 1; T <= max_rows;) {
		/* as kern_layer_forward calls them: QKV and gate/up write,
		 * O and down accumulate (beta 1 may pick other kernels) */
		if ((rc = kern_linear(blas, ws->h, T, s->hidden, lw->w_qkv,
				      (uint32_t)kern_qkv_width(s), ws->qkv, 0,
				      stream, err)) ||
		    (rc = kern_linear(blas, ws->attn, T, qd, lw->w_o,
				      s->hidden, ws->h, 1, stream, err)) ||
		    (rc = kern_linear(blas, ws->h, T, s->hidden, lw->w_gu,
				      2 * s->intermediate, ws->gu, 0, stream,
				      err)) ||
		    (rc = kern_linear(blas, ws->act, T, s->intermediate,
				      lw->w_down, s->hidden, ws->h, 1, stream,
				      err))) {
			ss_error_prefix(err, "layer warm-up, %u rows", T);
			return rc;
		}
		if (T == max_rows)
			break;
		T = T < dense_to ? T + 1 : SS_MIN(T + step, max_rows);
	}
	return 0;
}

/* ---- dense attention backend ---- */

__global__ void scatter_rows_kernel(const uint4 *__restrict__ src,
				    uint4 *__restrict__ dst,
				    const int32_t *__restrict__ dst_row,
				    uint32_t n_rows, uint32_t row_vec)
{
	uint64_t total = (uint64_t)n_rows * row_vec;

	for (uint64_t i = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x;
	     i < total; i += (uint64_t)gridDim.x * blockDim.x) {
		uint64_t r = i / row_vec, c = i % row_vec;
		dst[(uint64_t)dst_row[r] * row_vec + c] = src[i];
	}
}

static int dense_attend(void *ctx, const struct kern_layer_attn *at,
			void *stream, struct ss_err *err)
{
	const struct kern_dense_attn *d = (const struct kern_dense_attn *)ctx;
	const struct kern_model_shape *s = at->shape;
	uint64_t kvw = 2ull * s->n_kv_heads * s->head_dim;
	struct kern_prefill_args p;
	const kern_bf16 *kv = at->kv_new;

	if (!d || !d->n_seqs || !d->cu_q)
		return ss_error(err, SS_EINVAL,
				"dense attention: NULL context or cu_q");
	if (d->store) {
		if (!d->cu_kv || !d->dst_row || !d->store[at->layer])
			return ss_error(err, SS_EINVAL,
					"dense attention: a store needs "
					"cu_kv, dst_row and store[%u]",
					at->layer);
		uint64_t vec = kvw / 8, total = vec * at->n_tokens;
		unsigned blocks = (unsigned)SS_MIN((total + 255) / 256,
						   (uint64_t)4096);
		scatter_rows_kernel<<<blocks, 256, 0, kern_stream(stream)>>>(
			(const uint4 *)at->kv_new, (uint4 *)d->store[at->layer],
			d->dst_row, at->n_tokens, (uint32_t)vec);
		KCHECK_LAUNCH("scatter_rows_kernel", err);
		kv = d->store[at->layer];
	}
	memset(&p, 0, sizeof p);
	p.q = at->q;
	p.q_stride = at->q_stride;
	p.k = kv;
	p.v = kv + (uint64_t)s->n_kv_heads * s->head_dim;
	p.kv_stride = kvw;
	p.out = at->out;
	p.out_stride = (uint64_t)s->n_q_heads * s->head_dim;
	p.n_q_heads = s->n_q_heads;
	p.n_kv_heads = s->n_kv_heads;
	p.head_dim = s->head_dim;
	p.scale = at->scale;
	p.n_seqs = d->n_seqs;
	p.cu_q = d->cu_q;
	p.cu_kv = d->store ? d->cu_kv : d->cu_q;
	p.max_q_len = d->max_q_len;
	p.variant = d->variant;
	return kern_chunked_prefill_attn(&p, stream, err);
}

extern "C" const struct kern_attn_ops kern_attn_dense_ops = {
	.name = "dense",
	.attend = dense_attend,
};
