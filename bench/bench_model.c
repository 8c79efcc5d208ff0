/*
 * bench_model.c - the dense model path on the GPU (issue 5): linear layers
 * through cuBLAS, RMSNorm, RoPE, SwiGLU, causal prefill attention at 4k,
 * 32k and 128k tokens, chunked-prefill attention against the unchunked
 * kernel, and one whole decoder layer with the share of each stage.
 *
 * Shapes come from the model registry (model/: `--model NAME|config.json`,
 * default llama-3.1-8b): hidden size, query and KV heads, FFN width,
 * rope_theta and rope_scaling. `--tp N` benchmarks one GPU's share under
 * N-way tensor parallelism (Megatron split: query and KV heads and the FFN
 * width divided by N, hidden size whole; the all-reduces after the output
 * and down projections are not part of it). Case names start with
 * `model=NAME` (and `,tp=N` when N > 1). Inputs are random (the GPU hash
 * fill of gemm.h, never zeros). Limits measured in the same run: the bf16
 * GEMM rate of cuBLAS at 8192^3 for matrix work, the HBM copy rate (bytes
 * read + written) for the elementwise kernels. Attention FLOPs count only
 * the causal half (4 * 128 * heads per attended pair). Validation (unless
 * --no-check): attention against the naive fp32 GPU reference (every row
 * at 4k, sampled rows beyond), the linear layers on sampled outputs
 * against a CPU double product, RMSNorm on sampled rows against the CPU
 * formula; test_model_gpu covers the rest.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "kernels/layer.h"
#include "kernels/prefill_attn.h"
#include "model/kern_shape.h"
#include "model/kern_shape.h"
#include "model/model.h"

#include "banned.h"

#define MR 64 /* most repeats kept per case */
#define HD 128
#define PF_VARIANTS 9 /* kern_prefill_args.variant 0 (automatic) .. 8
			(4-8 = wgmma) */

/*
 * One GPU's share of the benchmarked model (--model, --tp), resolved once
 * per benchmark family from the registry in model/.
 */
struct mshape {
	struct kern_model_shape s;
	struct kern_rope_scaling sc;   /* from config.json's rope_scaling */
	const struct kern_rope_scaling *scp; /* &sc, or NULL: none */
	double theta;                  /* rope_theta */
	char label[80];                /* "model=NAME[,tp=N]" */
};

static int model_shape(const struct bench *b, struct mshape *ms,
		       struct ss_err *err)
{
	struct model m;
	uint32_t tp = b->tp ? b->tp : 1;
	int rc;

	memset(ms, 0, sizeof *ms);
	if ((rc = model_load(&m, b->model, err)))
		return rc;
	{
		struct kern_shape ks;

		if ((rc = kern_shape_of(&m, tp, &ks, err)))
			return rc;
		ms->s = ks.s;
		ms->sc = ks.sc;
		ms->scp = ks.scp ? &ms->sc : NULL;
		ms->theta = ks.theta;
	}
	if (tp > 1)
		snprintf(ms->label, sizeof ms->label, "model=%.40s,tp=%u",
			 m.name, tp);
	else
		snprintf(ms->label, sizeof ms->label, "model=%.40s", m.name);
	return 0;
}

int bench_model_check(const struct bench *b, struct ss_err *err)
{
	struct mshape ms;
	struct kern_rope rope;
	int rc = model_shape(b, &ms, err);

	if (!rc && ms.s.head_dim != HD)
		rc = ss_error(err, SS_EINVAL, "%s: head_dim %u (the "
			      "kernels support %u)", ms.label, ms.s.head_dim,
			      HD);
	return rc ? rc : kern_rope_init(&rope, HD, ms.theta, ms.scp, err);
}

static int reps(const struct bench *b, int cap)
{
	return SS_MIN(SS_MIN(b->repeats, cap), MR);
}

static double bf(kern_bf16 h) { return kern_bf16_to_float(h); }

static int fail(struct bench *b, const char *kernel, const char *name,
		double err_v, double tol)
{
	fprintf(stderr, "bench: %s %s: validation FAILED (relative error "
			"%.3g > %.3g)\n",
		kernel, name, err_v, tol);
	b->failed = 1;
	return 0;
}

/* ---- GEMM ---------------------------------------------------------- */

struct lin {
	struct kern_blas *blas;
	const kern_bf16 *x, *w;
	kern_bf16 *y;
	uint32_t T, in, out;
};

static int do_lin(void *arg, void *stream, struct ss_err *err)
{
	struct lin *l = arg;

	return kern_linear(l->blas, l->x, l->T, l->in, l->w, l->out, l->y, 0,
			   stream, err);
}

/* cuBLAS bf16 rate at 8192^3 on random data, TFLOP/s. */
static int gemm_peak(struct bench *b, struct kern_blas *blas, int report,
		     double *tflops, struct ss_err *err)
{
	const uint32_t n = 8192;
	uint64_t bytes = (uint64_t)n * n * 2;
	struct lin l = { blas, NULL, NULL, NULL, n, n, n };
	double ms[MR], f[MR];
	int r = reps(b, 20), rc;
	void *x = NULL, *w = NULL, *y = NULL;

	if ((rc = kern_dev_malloc(&x, bytes, err)) ||
	    (rc = kern_dev_malloc(&w, bytes, err)) ||
	    (rc = kern_dev_malloc(&y, bytes, err)) ||
	    (rc = kern_fill_uniform(x, n * (uint64_t)n, b->seed + 1, 0, 1,
				    b->stream, err)) ||
	    (rc = kern_fill_uniform(w, n * (uint64_t)n, b->seed + 2, 0, 1,
				    b->stream, err)))
		goto out;
	l.x = x;
	l.w = w;
	l.y = y;
	if ((rc = bench_time(b, do_lin, &l, 0, ms, r, err)))
		goto out;
	for (int i = 0; i < r; i++)
		f[i] = 2.0 * n * n * (double)n / (ms[i] * 1e-3) / 1e12;
	*tflops = bench_median(f, r);
	if (report)
		bench_report_value(b, "gemm", "peak,bf16,m=n=k=8192", *tflops,
				   "TFLOP/s", 0, f, r);
out:
	kern_dev_free(x);
	kern_dev_free(w);
	kern_dev_free(y);
	return rc;
}

/* Compare 64 sampled outputs of y = x W^T with a CPU double product. */
static int lin_check(struct bench *b, const struct lin *l, const char *name,
		     struct ss_err *err)
{
	kern_bf16 *xr, *wr, yv;
	double num = 0, den = 0;
	int rc = 0;

	xr = malloc((size_t)l->in * 2);
	wr = malloc((size_t)l->in * 2);
	if (!xr || !wr) {
		rc = ss_error(err, SS_ENOMEM, "bench: out of host memory");
		goto out;
	}
	if ((rc = kern_stream_sync(b->stream, err)))
		goto out;
	for (int s = 0; s < 64; s++) {
		uint32_t t = (uint32_t)((s * 2654435761u) % l->T);
		uint32_t o = (uint32_t)((s * 40503u + 17) % l->out);
		double ref = 0;
		if ((rc = kern_copy(xr, l->x + (uint64_t)t * l->in,
				    (uint64_t)l->in * 2, err)) ||
		    (rc = kern_copy(wr, l->w + (uint64_t)o * l->in,
				    (uint64_t)l->in * 2, err)) ||
		    (rc = kern_copy(&yv, l->y + (uint64_t)t * l->out + o, 2,
				    err)))
			goto out;
		for (uint32_t i = 0; i < l->in; i++)
			ref += bf(xr[i]) * bf(wr[i]);
		num += (bf(yv) - ref) * (bf(yv) - ref);
		den += ref * ref;
	}
	if (!(sqrt(num / den) < 1e-2))
		fail(b, "gemm", name, sqrt(num / den), 1e-2);
out:
	free(xr);
	free(wr);
	return rc;
}

int bench_model_gemm(struct bench *b, struct ss_err *err)
{
	static const uint32_t toks[] = { 1, 16, 64, 256, 1024, 4096, 16384 };
	struct mshape msh;
	const struct kern_model_shape *s = &msh.s;
	struct {
		const char *name;
		uint32_t in, out;
	} ops[4];
	const uint32_t maxT = 16384;
	uint64_t max_in = 0, max_out = 0, max_w = 0;
	struct kern_blas *blas = NULL;
	void *x = NULL, *w = NULL, *y = NULL;
	double peak, ms[MR], f[MR];
	int r = reps(b, 20), rc;
	char name[160];

	if ((rc = model_shape(b, &msh, err)))
		return rc;
	ops[0].name = "qkv";
	ops[0].in = s->hidden;
	ops[0].out = (uint32_t)kern_qkv_width(s);
	ops[1].name = "o_proj";
	ops[1].in = s->n_q_heads * HD;
	ops[1].out = s->hidden;
	ops[2].name = "gate_up";
	ops[2].in = s->hidden;
	ops[2].out = 2 * s->intermediate;
	ops[3].name = "down";
	ops[3].in = s->intermediate;
	ops[3].out = s->hidden;
	for (size_t oi = 0; oi < SS_ARRAY_SIZE(ops); oi++) {
		max_in = SS_MAX(max_in, (uint64_t)ops[oi].in);
		max_out = SS_MAX(max_out, (uint64_t)ops[oi].out);
		max_w = SS_MAX(max_w, (uint64_t)ops[oi].in * ops[oi].out);
	}
	if ((rc = kern_blas_create(&blas, err)) ||
	    (rc = gemm_peak(b, blas, 1, &peak, err)) ||
	    (rc = kern_dev_malloc(&x, maxT * max_in * 2, err)) ||
	    (rc = kern_dev_malloc(&w, max_w * 2, err)) ||
	    (rc = kern_dev_malloc(&y, maxT * max_out * 2, err)) ||
	    (rc = kern_fill_uniform(x, maxT * max_in, b->seed + 3, 0, 1,
				    b->stream, err)) ||
	    (rc = kern_fill_uniform(w, max_w, b->seed + 4, 0, 0.02f,
				    b->stream, err)))
		goto out;
	for (size_t oi = 0; oi < SS_ARRAY_SIZE(ops); oi++)
		for (size_t ti = 0; ti < SS_ARRAY_SIZE(toks); ti++) {
			struct lin l = { blas, x, w, y, toks[ti], ops[oi].in,
					 ops[oi].out };
			double fl = 2.0 * l.T * l.in * (double)l.out;
			if (b->quick && toks[ti] != 1 && toks[ti] != 4096)
				continue;
			if ((rc = bench_time(b, do_lin, &l, 1, ms, r, err)))
				goto out;
			for (int i = 0; i < r; i++)
				f[i] = fl / (ms[i] * 1e-3) / 1e12;
			snprintf(name, sizeof name,
				 "%s,op=%s,tokens=%u,in=%u,out=%u", msh.label,
				 ops[oi].name, l.T, l.in, l.out);
			bench_report_value(b, "gemm", name, bench_median(f, r),
					   "TFLOP/s", peak, f, r);
			if (b->check && (rc = lin_check(b, &l, name, err)))
				goto out;
		}
out:
	kern_dev_free(x);
	kern_dev_free(w);
	kern_dev_free(y);
	kern_blas_destroy(blas);
	return rc;
}

/* ---- prefill attention -------------------------------------------------- */

struct pf {
	struct kern_prefill_args a;
	uint32_t chunk; /* 0 = one launch */
	uint32_t len;
};

static int do_pf(void *arg, void *stream, struct ss_err *err)
{
	struct pf *p = arg;
	struct kern_prefill_args a = p->a;
	int rc;

	if (!p->chunk)
		return kern_prefill_attn(&a, stream, err);
	/* the prompt chunk by chunk, each chunk against all earlier KV */
	for (uint32_t c0 = 0; c0 < p->len; c0 += p->chunk) {
		uint32_t c = SS_MIN(p->chunk, p->len - c0);
		a.q = p->a.q + (uint64_t)c0 * p->a.q_stride;
		a.out = p->a.out + (uint64_t)c0 * p->a.out_stride;
		a.q_len = c;
		a.kv_len = c0 + c;
		if ((rc = kern_chunked_prefill_attn(&a, stream, err)))
			return rc;
	}
	return 0;
}

struct pf_bufs {
	void *q, *kv, *out, *ref;
	uint32_t cap;
};

static void pf_free(struct pf_bufs *p)
{
	kern_dev_free(p->q);
	kern_dev_free(p->kv);
	kern_dev_free(p->out);
	kern_dev_free(p->ref);
	memset(p, 0, sizeof *p);
}

static int pf_alloc(struct bench *b, struct pf_bufs *p,
		    const struct kern_model_shape *s, uint32_t n,
		    struct ss_err *err)
{
	uint64_t qe = (uint64_t)n * s->n_q_heads * HD;
	uint64_t ke = (uint64_t)n * 2 * s->n_kv_heads * HD;
	int rc;

	if (p->cap >= n)
		return 0;
	pf_free(p);
	if ((rc = kern_dev_malloc(&p->q, qe * 2, err)) ||
	    (rc = kern_dev_malloc(&p->kv, ke * 2, err)) ||
	    (rc = kern_dev_malloc(&p->out, qe * 2, err)) ||
	    (rc = kern_dev_malloc(&p->ref, qe * 2, err)) ||
	    (rc = kern_fill_uniform(p->q, qe, b->seed + 11, 0, 2, b->stream,
				    err)) ||
	    (rc = kern_fill_uniform(p->kv, ke, b->seed + 12, 0, 2, b->stream,
				    err)))
		return rc;
	p->cap = n;
	return 0;
}

static void pf_args(struct pf *f, const struct pf_bufs *p,
		    const struct kern_model_shape *s, uint32_t n,
		    uint32_t variant)
{

	memset(f, 0, sizeof *f);
	f->a.q = p->q;
	f->a.k = p->kv;
	f->a.v = (const kern_bf16 *)p->kv + s->n_kv_heads * HD;
	f->a.out = p->out;
	f->a.q_stride = f->a.out_stride = (uint64_t)s->n_q_heads * HD;
	f->a.kv_stride = 2ull * s->n_kv_heads * HD;
	f->a.n_q_heads = s->n_q_heads;
	f->a.n_kv_heads = s->n_kv_heads;
	f->a.head_dim = HD;
	f->a.scale = (float)(1 / sqrt((double)HD));
	f->a.n_seqs = 1;
	f->a.q_len = f->a.kv_len = n;
	f->a.variant = variant;
	f->len = n;
}

/* Rows 0, step, 2 step, ... and the last against the fp32 reference. */
static int pf_check(struct bench *b, struct pf *f, struct pf_bufs *p,
		    const char *kernel, const char *name, struct ss_err *err)
{
	struct kern_prefill_args a = f->a;
	uint32_t n = f->len, step = n <= 4096 ? 1 : n / 61 + 1;
	uint64_t row = (uint64_t)a.n_q_heads * HD;
	kern_bf16 *g = malloc(row * 2), *w = malloc(row * 2);
	double num = 0, den = 0;
	int rc = 0;

	if (!g || !w) {
		rc = ss_error(err, SS_ENOMEM, "bench: out of host memory");
		goto out;
	}
	a.out = p->ref;
	a.q_len = a.kv_len = n;
	a.q = p->q;
	if ((rc = kern_prefill_attn_ref(&a, step, b->stream, err)) ||
	    (rc = kern_stream_sync(b->stream, err)))
		goto out;
	for (uint32_t i = 0; i < n; i = i + step < n ? i + step
			   : (i == n - 1 ? n : n - 1)) {
		if ((rc = kern_copy(g, (kern_bf16 *)p->out + i * row, row * 2,
				    err)) ||
		    (rc = kern_copy(w, (kern_bf16 *)p->ref + i * row, row * 2,
				    err)))
			goto out;
		for (uint64_t j = 0; j < row; j++) {
			double d = bf(g[j]) - bf(w[j]);
			num += isnan(d) ? INFINITY : d * d;
			den += bf(w[j]) * bf(w[j]);
		}
	}
	if (!(sqrt(num / den) < 1e-2))
		fail(b, kernel, name, sqrt(num / den), 1e-2);
out:
	free(g);
	free(w);
	return rc;
}

int bench_model_prefill(struct bench *b, struct ss_err *err)
{
	static const uint32_t lens[] = { 4096, 32768, 131072 };
	struct kern_blas *blas = NULL;
	struct pf_bufs p = { 0 };
	struct mshape msh;
	double peak, ms[MR], f[MR];
	char name[160];
	int rc;

	if ((rc = model_shape(b, &msh, err)))
		return rc;
	if ((rc = kern_blas_create(&blas, err)) ||
	    (rc = gemm_peak(b, blas, 0, &peak, err)))
		goto out;
	/* a pause after the GEMM rate's 8192^3 products: the case timed
	 * right after them (the automatic 4k launch of the 70B TP-8 share)
	 * read 13% below the same kernels timed later (session 6, call 5 and
	 * 6; Nsight Compute showed the same two launches) */
	{
		struct timespec pause = { 0, 500000000L };

		nanosleep(&pause, NULL);
	}
	for (uint32_t v = 0; v < PF_VARIANTS; v++)
		for (size_t li = 0; li < SS_ARRAY_SIZE(lens); li++) {
			uint32_t n = lens[li];
			int r = reps(b, n >= 131072 ? 5 : n >= 32768 ? 10 : 20);
			struct pf fp;
			double fl = kern_prefill_attn_flops(n, n,
							    msh.s.n_q_heads);
			if (b->quick && n > 32768)
				continue;
			if ((rc = pf_alloc(b, &p, &msh.s, n, err)))
				goto out;
			pf_args(&fp, &p, &msh.s, n, v);
			/* variant 6's workspace (passed to every variant, as a
			 * serving engine would; only variant 6 uses it) */
			fp.a.work_bytes = kern_prefill_attn_work_bytes(&fp.a);
			if (fp.a.work_bytes &&
			    (rc = kern_dev_malloc(&fp.a.work, fp.a.work_bytes,
						  err)))
				goto out;
			rc = bench_time(b, do_pf, &fp, 1, ms, r, err);
			if (rc) {
				kern_dev_free(fp.a.work);
				fp.a.work = NULL;
			}
			if (rc == SS_ENODEV) { /* wgmma without sm_90a */
				fprintf(stderr, "bench: prefill_attn variant %u: "
						"%s\n", v, err->msg);
				rc = 0;
				break;
			}
			if (rc)
				goto out;
			for (int i = 0; i < r; i++)
				f[i] = fl / (ms[i] * 1e-3) / 1e12;
			if (v)
				snprintf(name, sizeof name,
					 "%s,tokens=%u,variant=%u", msh.label,
					 n, v);
			else
				snprintf(name, sizeof name,
					 "%s,tokens=%u,variant=auto",
					 msh.label, n);
			bench_report_value(b, "prefill_attn", name,
					   bench_median(f, r), "TFLOP/s", peak,
					   f, r);
			rc = b->check ? pf_check(b, &fp, &p, "prefill_attn",
						 name, err)
				      : 0;
			kern_dev_free(fp.a.work);
			if (rc)
				goto out;
		}
out:
	pf_free(&p);
	kern_blas_destroy(blas);
	return rc;
}

int bench_model_chunked(struct bench *b, struct ss_err *err)
{
	static const uint32_t chunks[] = { 512, 1024, 2048 };
	static const uint32_t lens[] = { 32768, 131072 };
	struct pf_bufs p = { 0 };
	struct mshape msh;
	double ms[MR], base[MR], ratio[MR];
	char name[160];
	int rc;

	if ((rc = model_shape(b, &msh, err)))
		return rc;

	for (size_t li = 0; li < SS_ARRAY_SIZE(lens); li++) {
		uint32_t n = lens[li];
		int r = reps(b, n >= 131072 ? 3 : 10);
		struct pf fp;
		double med;
		if (b->quick && n > 32768)
			continue;
		if ((rc = pf_alloc(b, &p, &msh.s, n, err)))
			goto out;
		pf_args(&fp, &p, &msh.s, n, 0); /* automatic variant */
		if ((rc = bench_time(b, do_pf, &fp, 1, base, r, err)))
			goto out;
		med = bench_median(base, r);
		snprintf(name, sizeof name, "%s,tokens=%u,unchunked",
			 msh.label, n);
		bench_report_value(b, "chunked_prefill_attn", name, med, "ms",
				   0, base, r);
		for (size_t ci = 0; ci < SS_ARRAY_SIZE(chunks); ci++) {
			fp.chunk = chunks[ci];
			if ((rc = bench_time(b, do_pf, &fp, 1, ms, r, err)))
				goto out;
			for (int i = 0; i < r; i++)
				ratio[i] = ms[i] / med;
			snprintf(name, sizeof name,
				 "%s,tokens=%u,chunk=%u,time_vs_unchunked",
				 msh.label, n, chunks[ci]);
			bench_report_value(b, "chunked_prefill_attn", name,
					   bench_median(ratio, r), "x", 0,
					   ratio, r);
			if (b->check && n == 32768 &&
			    (rc = pf_check(b, &fp, &p, "chunked_prefill_attn",
					   name, err)))
				goto out;
		}
	}
out:
	pf_free(&p);
	return rc;
}

/* ---- elementwise ---------------------------------------------------- */

struct ew {
	int op; /* 0 rmsnorm, 1 rmsnorm + residual, 2 rope, 3 swiglu */
	kern_bf16 *a, *b, *c, *gain, *kv;
	const int32_t *pos;
	uint32_t T, W, nq, nkv;
	struct kern_rope rope;
};

static int do_ew(void *arg, void *stream, struct ss_err *err)
{
	struct ew *e = arg;

	switch (e->op) {
	case 0:
		return kern_rmsnorm(e->a, NULL, e->gain, e->c, e->T, e->W,
				    1e-5f, stream, err);
	case 1:
		return kern_rmsnorm(e->a, e->b, e->gain, e->c, e->T, e->W,
				    1e-5f, stream, err);
	case 2:
		return kern_rope_qkv(e->a, e->kv, e->pos, e->T, e->nq, e->nkv,
				     &e->rope, stream, err);
	default:
		return kern_swiglu(e->a, e->c, e->T, e->W, stream, err);
	}
}

/* rmsnorm (unfused) on 4 sampled rows against the CPU formula */
static int ew_check_norm(struct bench *b, struct ew *e, const char *name,
			 struct ss_err *err)
{
	kern_bf16 *x = malloc((size_t)e->W * 2), *o = malloc((size_t)e->W * 2);
	kern_bf16 *g = malloc((size_t)e->W * 2);
	double num = 0, den = 0;
	int rc = 0;

	if (!x || !o || !g) {
		rc = ss_error(err, SS_ENOMEM, "bench: out of host memory");
		goto out;
	}
	e->op = 0;
	if ((rc = do_ew(e, b->stream, err)) ||
	    (rc = kern_stream_sync(b->stream, err)) ||
	    (rc = kern_copy(g, e->gain, (uint64_t)e->W * 2, err)))
		goto out;
	for (uint32_t k = 0; k < 4; k++) {
		uint64_t t = (uint64_t)(k * 7919u) % e->T;
		double ss = 0;
		if ((rc = kern_copy(x, e->a + t * e->W, (uint64_t)e->W * 2,
				    err)) ||
		    (rc = kern_copy(o, e->c + t * e->W, (uint64_t)e->W * 2,
				    err)))
			goto out;
		for (uint32_t i = 0; i < e->W; i++)
			ss += bf(x[i]) * bf(x[i]);
		for (uint32_t i = 0; i < e->W; i++) {
			double ref = bf(x[i]) / sqrt(ss / e->W + 1e-5) *
				     bf(g[i]);
			num += (bf(o[i]) - ref) * (bf(o[i]) - ref);
			den += ref * ref;
		}
	}
	if (!(sqrt(num / den) < 1e-2))
		fail(b, "rmsnorm", name, sqrt(num / den), 1e-2);
out:
	free(x);
	free(o);
	free(g);
	return rc;
}

static int ew_run(struct bench *b, const char *which, struct ss_err *err)
{
	struct mshape msh;
	const struct kern_model_shape *s = &msh.s;
	uint32_t T = 16384;
	uint64_t big, per_token;
	struct ew e;
	void *a = NULL, *bb = NULL, *c = NULL, *g = NULL, *kv = NULL,
	     *pos = NULL;
	int32_t *hp = NULL;
	double ms[MR];
	int r = reps(b, 30), rc;
	char name[160];

	memset(&e, 0, sizeof e);
	if ((rc = model_shape(b, &msh, err)))
		return rc;
	/*
	 * 16,384 tokens, doubled until the op moves at least four times the
	 * L2: on a small share (Llama-3.1-70B's TP-8 QKV is 1,280 wide, 84 MB
	 * of RoPE traffic at 16k tokens) the launch and the L2 (what the
	 * kernel's last writes leave dirty there is not paid within its
	 * time) would otherwise weigh against the kernel's own traffic.
	 */
	per_token = !strcmp(which, "rmsnorm") ? (uint64_t)s->hidden * 2 * 2
		    : !strcmp(which, "rope")  ? (uint64_t)kern_qkv_width(s) * 2 * 2
					      : (uint64_t)s->intermediate * 2 * 3;
	while ((uint64_t)T * per_token < 4 * b->dev.l2_bytes && T < (1u << 18))
		T *= 2;
	/* rows of the widest input: gate/up, the hidden state or QKV */
	big = (uint64_t)T * SS_MAX(SS_MAX(2ull * s->intermediate,
					  (uint64_t)s->hidden),
				   kern_qkv_width(s));
	if ((rc = kern_rope_init(&e.rope, HD, msh.theta, msh.scp, err)) ||
	    (rc = kern_dev_malloc(&a, big * 2, err)) ||
	    (rc = kern_dev_malloc(&bb, big * 2, err)) ||
	    (rc = kern_dev_malloc(&c, big * 2, err)) ||
	    (rc = kern_dev_malloc(&g, (uint64_t)s->hidden * 2, err)) ||
	    (rc = kern_dev_malloc(&kv, (uint64_t)T * 2 * s->n_kv_heads * HD * 2,
				  err)) ||
	    (rc = kern_dev_malloc(&pos, T * 4, err)) ||
	    (rc = kern_fill_uniform(a, big, b->seed + 21, 0, 2, b->stream,
				    err)) ||
	    (rc = kern_fill_uniform(bb, big, b->seed + 22, 0, 1, b->stream,
				    err)) ||
	    (rc = kern_fill_uniform(g, s->hidden, b->seed + 23, 1, 0.2f,
				    b->stream, err)))
		goto out;
	hp = malloc(T * sizeof *hp);
	if (!hp) {
		rc = ss_error(err, SS_ENOMEM, "bench: out of host memory");
		goto out;
	}
	for (uint32_t t = 0; t < T; t++)
		hp[t] = (int32_t)(t * 7u);
	if ((rc = kern_copy(pos, hp, T * 4, err)))
		goto out;
	e.a = a;
	e.b = bb;
	e.c = c;
	e.gain = g;
	e.kv = kv;
	e.pos = pos;
	e.T = T;
	e.nq = s->n_q_heads;
	e.nkv = s->n_kv_heads;
	if (!strcmp(which, "rmsnorm")) {
		const uint32_t widths[] = { s->hidden };
		for (size_t wi = 0; wi < SS_ARRAY_SIZE(widths); wi++)
			for (int fused = 0; fused < 2; fused++) {
				uint64_t n = (uint64_t)T * widths[wi];
				e.W = widths[wi];
				e.op = fused;
				/* unfused: read x, write out; fused: read x
				 * and add, write x and out */
				if ((rc = bench_time(b, do_ew, &e, 1, ms, r,
						     err)))
					goto out;
				snprintf(name, sizeof name,
					 "%s,tokens=%u,hidden=%u%s", msh.label,
					 T, e.W,
					 fused ? ",fused_residual_add" : "");
				bench_report(b, "rmsnorm", name, ms, r,
					     n * 2 * (fused ? 4 : 2),
					     b->lim_hbm);
				if (b->check && !fused &&
				    (rc = ew_check_norm(b, &e, name, err)))
					goto out;
			}
	} else if (!strcmp(which, "rope")) {
		/* the automatic launch shape, then fixed heads per thread */
		static const uint32_t hpts[] = { 0, 4, 8, 16, KERN_ROPE_TILE,
						 KERN_ROPE_REG };
		uint64_t qkv = (uint64_t)T * kern_qkv_width(s);

		e.op = 2;
		for (size_t k = 0; k < SS_ARRAY_SIZE(hpts); k++) {
			/* the register launch holds at most 16 head slots;
			 * past that it would time the per-thread one */
			if (hpts[k] == KERN_ROPE_REG &&
			    s->n_q_heads + 2 * s->n_kv_heads > 16)
				continue;
			e.rope.heads_per_thread = hpts[k];
			if ((rc = bench_time(b, do_ew, &e, 1, ms, r, err)))
				goto out;
			if (hpts[k] == KERN_ROPE_TILE)
				snprintf(name, sizeof name,
					 "%s,tokens=%u,q_inplace+kv_out,tile",
					 msh.label, T);
			else if (hpts[k] == KERN_ROPE_REG)
				snprintf(name, sizeof name,
					 "%s,tokens=%u,q_inplace+kv_out,reg",
					 msh.label, T);
			else if (hpts[k])
				snprintf(name, sizeof name,
					 "%s,tokens=%u,q_inplace+kv_out,hpt=%u",
					 msh.label, T, hpts[k]);
			else
				snprintf(name, sizeof name,
					 "%s,tokens=%u,q_inplace+kv_out",
					 msh.label, T);
			bench_report(b, "rope", name, ms, r, qkv * 2 * 2,
				     b->lim_hbm);
		}
		e.rope.heads_per_thread = 0;
	} else {
		uint64_t n = (uint64_t)T * s->intermediate;
		e.op = 3;
		e.W = s->intermediate;
		if ((rc = bench_time(b, do_ew, &e, 1, ms, r, err)))
			goto out;
		snprintf(name, sizeof name, "%s,tokens=%u,width=%u", msh.label,
			 T, e.W);
		bench_report(b, "swiglu", name, ms, r, n * 2 * 3, b->lim_hbm);
	}
out:
	free(hp);
	kern_dev_free(a);
	kern_dev_free(bb);
	kern_dev_free(c);
	kern_dev_free(g);
	kern_dev_free(kv);
	kern_dev_free(pos);
	return rc;
}

int bench_model_rmsnorm(struct bench *b, struct ss_err *err)
{
	return ew_run(b, "rmsnorm", err);
}
int bench_model_rope(struct bench *b, struct ss_err *err)
{
	return ew_run(b, "rope", err);
}
int bench_model_swiglu(struct bench *b, struct ss_err *err)
{
	return ew_run(b, "swiglu", err);
}

/* ---- one decoder layer ------------------------------------------------- */

/*
 * Decode batches attend over a 2,048-token contiguous KV per request (the
 * DSA token budget: what sparse attention reads after selection) through
 * the dense backend; prefill is one prompt of n tokens with no earlier KV.
 */
int bench_model_layer(struct bench *b, struct ss_err *err)
{
	static const struct {
		uint32_t n_seqs, q_per_seq;
	} cases[] = { { 1, 1 }, { 8, 1 }, { 16, 1 }, { 64, 1 },
		      { 1, 1024 }, { 1, 4096 }, { 1, 32768 } };
	struct mshape msh;
	const struct kern_model_shape *s = &msh.s;
	const uint32_t ctx = 2048, maxT = 32768;
	struct kern_rope rope;
	struct kern_blas *blas = NULL;
	struct kern_weights *w = NULL;
	struct kern_layer_ws *ws = NULL;
	struct kern_layer_timing tm;
	void *x = NULL, *pos = NULL, *dst = NULL, *cuq = NULL, *cuk = NULL,
	     *store = NULL;
	int32_t *h = NULL;
	double st[KERN_LAYER_STAGES][MR], tot[MR];
	int r = reps(b, 20), rc, nev = 0;
	char name[160];

	memset(&tm, 0, sizeof tm);
	if ((rc = model_shape(b, &msh, err)))
		return rc;
	h = malloc((maxT * 2 + 130) * sizeof *h);
	if (!h)
		return ss_error(err, SS_ENOMEM, "bench: out of host memory");
	if ((rc = kern_rope_init(&rope, HD, msh.theta, msh.scp, err)) ||
	    (rc = kern_blas_create(&blas, err)) ||
	    (rc = kern_weights_alloc(&w, s, 1, b->seed, b->stream, err)) ||
	    (rc = kern_layer_ws_alloc(&ws, s, maxT, err)) ||
	    (rc = kern_dev_malloc(&x, (uint64_t)maxT * s->hidden * 2, err)) ||
	    (rc = kern_dev_malloc(&pos, maxT * 4, err)) ||
	    (rc = kern_dev_malloc(&dst, maxT * 4, err)) ||
	    (rc = kern_dev_malloc(&cuq, 65 * 4, err)) ||
	    (rc = kern_dev_malloc(&cuk, 65 * 4, err)) ||
	    (rc = kern_dev_malloc(&store, 64ull * ctx * 2 * s->n_kv_heads *
						  HD * 2,
				  err)) ||
	    (rc = kern_fill_uniform(store, 64ull * ctx * 2 * s->n_kv_heads * HD,
				    b->seed + 31, 0, 1, b->stream, err)))
		goto out;
	for (; nev <= KERN_LAYER_STAGES; nev++)
		if ((rc = kern_event_create(&tm.ev[nev], err)))
			goto out;
	for (size_t ci = 0; ci < SS_ARRAY_SIZE(cases); ci++) {
		uint32_t ns = cases[ci].n_seqs, q = cases[ci].q_per_seq;
		uint32_t T = ns * q, decode = q == 1;
		kern_bf16 *stores[1] = { store };
		struct kern_dense_attn d = { ns, cuq, cuk, q,
					     decode ? stores : NULL, dst, 0 };
		struct kern_layer_args la = { blas, ws, w, 0, &rope, x, T, pos,
					      &kern_attn_dense_ops, &d, &tm };
		if (b->quick && ns != 16 && q != 4096)
			continue;
		/* positions, store rows, prefix sums */
		for (uint32_t i = 0; i < T; i++) {
			h[i] = (int32_t)(decode ? ctx - 1 : i);
			h[maxT + i] = (int32_t)(decode ? i * ctx + ctx - 1 : i);
		}
		if ((rc = kern_copy(pos, h, T * 4, err)) ||
		    (rc = kern_copy(dst, h + maxT, T * 4, err)))
			goto out;
		for (uint32_t i = 0; i <= ns; i++) {
			h[2 * maxT + i] = (int32_t)(i * q);
			h[2 * maxT + 65 + i] = (int32_t)(i * (decode ? ctx : q));
		}
		if ((rc = kern_copy(cuq, h + 2 * maxT, (ns + 1) * 4, err)) ||
		    (rc = kern_copy(cuk, h + 2 * maxT + 65, (ns + 1) * 4,
				    err)) ||
		    (rc = kern_fill_uniform(x, (uint64_t)T * s->hidden,
					    b->seed + 32, 0, 1, b->stream,
					    err)))
			goto out;
		for (int i = -b->warmup; i < r; i++) {
			float f;
			if ((rc = kern_l2_sweep(b->flush, b->flush_bytes,
						b->stream, err)) ||
			    (rc = kern_layer_forward(&la, b->stream, err)) ||
			    (rc = kern_event_sync(tm.ev[KERN_LAYER_STAGES],
						  err)))
				goto out;
			if (i < 0)
				continue;
			for (int k = 0; k < KERN_LAYER_STAGES; k++) {
				if ((rc = kern_event_elapsed_ms(
					     tm.ev[k], tm.ev[k + 1], &f, err)))
					goto out;
				st[k][i] = f;
			}
			if ((rc = kern_event_elapsed_ms(
				     tm.ev[0], tm.ev[KERN_LAYER_STAGES], &f,
				     err)))
				goto out;
			tot[i] = f;
		}
		const char *kind = decode ? "decode" : "prefill";
		double med = bench_median(tot, r);
		snprintf(name, sizeof name,
			 "%s,%s,batch=%u,tokens=%u%s,total", msh.label,
			 kind, ns, T, decode ? ",kv=2048" : "");
		bench_report_value(b, "decoder_layer", name, med, "ms", 0, tot,
				   r);
		for (int k = 0; k < KERN_LAYER_STAGES; k++) {
			snprintf(name, sizeof name,
				 "%s,%s,batch=%u,tokens=%u,"
				 "stage=%s(limit=total)", msh.label,
				 kind, ns, T, kern_layer_stage_names[k]);
			bench_report_value(b, "decoder_layer", name,
					   bench_median(st[k], r), "ms", med,
					   st[k], r);
		}
	}
out:
	for (int i = 0; i < nev; i++)
		kern_event_destroy(tm.ev[i]);
	kern_dev_free(x);
	kern_dev_free(pos);
	kern_dev_free(dst);
	kern_dev_free(cuq);
	kern_dev_free(cuk);
	kern_dev_free(store);
	kern_layer_ws_free(ws);
	kern_weights_free(w);
	kern_blas_destroy(blas);
	free(h);
	return rc;
}
