/*
 * test_model_gpu.c - the dense model path of kernels/ (gemm.h,
 * elementwise.h, prefill_attn.h, layer.h) against references (suite 'gpu').
 *
 * Every GPU case draws fresh random inputs from a seeded GSL generator,
 * poisons its outputs first (0xA5A5 is a finite bf16, so an unwritten
 * element shows as a large error, never as a lucky zero) and compares
 * with a double-precision CPU reference by the norm-wise relative error:
 * under 1e-2 for bf16 results (the references round to bf16 where the GPU
 * does, so what is left is accumulation order). Prefill attention on large
 * shapes is compared with the naive fp32 GPU reference instead. Without a
 * GPU, or without CUDA, GPU cases report SKIP with the reason; the
 * bad-input cases need a CUDA build but no device (launchers check before
 * touching the GPU); the rope frequency case is plain C and always runs.
 */
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "harness.h"
#include "gpu_harness.h"
#include "kernels/device.h"
#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "kernels/layer.h"
#include "kernels/prefill_attn.h"

#include "banned.h"

#define D 128
#define TOL 1e-2
#define KV 4 /* automatic (0) and the mma.sync variants 1 .. KV-1 */
#define WGMMA_VARIANT 4 /* and WGMMA_VARIANT + 1: two heads per CTA, + 2:
			   the longest tiles' keys split over two CTAs, + 3:
			   consecutive tiles' products in flight together,
			   + 4: the same with a loading warpgroup */
#define N_VARIANTS 9

static void *dalloc(uint64_t n)
{
	void *p;

	KOK(kern_dev_malloc(&p, n ? n : 16, &e));
	KOK(kern_memset_async(p, POISON, n ? n : 16, NULL, &e));
	return p;
}

static void *upload(const void *h, uint64_t n)
{
	void *d = dalloc(n);

	KOK(kern_copy(d, h, n, &e));
	return d;
}

static void download(void *h, const void *d, uint64_t n)
{
	KOK(kern_dev_sync(&e));
	KOK(kern_copy(h, d, n, &e));
}

static kern_bf16 *rand_bf16(size_t n, gsl_rng *r, double center, double half)
{
	kern_bf16 *p = xmalloc(n * sizeof *p);

	for (size_t i = 0; i < n; i++)
		p[i] = kern_float_to_bf16(
			(float)(center + (2 * gsl_rng_uniform(r) - 1) * half));
	return p;
}

static double bf(kern_bf16 h) { return kern_bf16_to_float(h); }
/* round a double to bf16 and back, as the GPU stores it */
static double rb(double x) { return bf(kern_float_to_bf16((float)x)); }

/* ||got - ref|| / ||ref||; NaN anywhere gives INFINITY */
static double rel_err_bf(const kern_bf16 *got, const double *ref, size_t n)
{
	double num = 0, den = 0;

	for (size_t i = 0; i < n; i++) {
		double g = bf(got[i]);
		if (isnan(g))
			return INFINITY;
		num += (g - ref[i]) * (g - ref[i]);
		den += ref[i] * ref[i];
	}
	return den > 0 ? sqrt(num / den) : sqrt(num);
}

#define CHECK_ERR(got, ref, n, what)                                          \
	do {                                                                  \
		double ce_ = rel_err_bf((got), (ref), (n));                   \
		CHECK_MSG(ce_ < TOL, "%s: relative error %.3g", (what), ce_); \
	} while (0)

/* ---- CPU references ------------------------------------------------- */

static void linear_ref(const kern_bf16 *x, uint32_t T, uint32_t in,
		       const kern_bf16 *w, uint32_t out, double *y)
{
	for (uint32_t t = 0; t < T; t++)
		for (uint32_t o = 0; o < out; o++) {
			double s = 0;
			for (uint32_t i = 0; i < in; i++)
				s += bf(x[(size_t)t * in + i]) *
				     bf(w[(size_t)o * in + i]);
			y[(size_t)t * out + o] = s;
		}
}

static void rmsnorm_ref(const double *x, const kern_bf16 *g, uint32_t T,
			uint32_t W, double eps, double *out)
{
	for (uint32_t t = 0; t < T; t++) {
		double ss = 0;
		for (uint32_t i = 0; i < W; i++)
			ss += x[(size_t)t * W + i] * x[(size_t)t * W + i];
		double r = 1 / sqrt(ss / W + eps);
		for (uint32_t i = 0; i < W; i++)
			out[(size_t)t * W + i] = x[(size_t)t * W + i] * r *
						 bf(g[i]);
	}
}

/* rotate one head vector (double in, double out); angle as the GPU
 * forms it: fp32 product of fp32 position and fp32 frequency */
static void rope_ref(const double *in, double *out, int32_t pos,
		     const struct kern_rope *r)
{
	uint32_t h = r->head_dim / 2;

	for (uint32_t i = 0; i < h; i++) {
		float ang = (float)pos * r->inv_freq[i];
		double c = cos((double)ang), s = sin((double)ang);
		out[i] = in[i] * c - in[i + h] * s;
		out[i + h] = in[i + h] * c + in[i] * s;
	}
}

/* causal attention of one sequence, one query head */
static void attn_ref(const kern_bf16 *q, uint64_t qs, const kern_bf16 *k,
		     const kern_bf16 *v, uint64_t kvs, uint32_t q_len,
		     uint32_t kv_len, uint32_t h, uint32_t kvh, double scale,
		     double *out, uint64_t os)
{
	double *s = xmalloc(kv_len * sizeof *s);

	for (uint32_t i = 0; i < q_len; i++) {
		uint32_t pos = kv_len - q_len + i;
		double mx = -INFINITY, sum = 0;
		for (uint32_t j = 0; j <= pos; j++) {
			double d = 0;
			for (uint32_t c = 0; c < D; c++)
				d += bf(q[(size_t)i * qs + h * D + c]) *
				     bf(k[(size_t)j * kvs + kvh * D + c]);
			s[j] = d * scale;
			mx = fmax(mx, s[j]);
		}
		for (uint32_t j = 0; j <= pos; j++) {
			s[j] = exp(s[j] - mx);
			sum += s[j];
		}
		for (uint32_t c = 0; c < D; c++) {
			double a = 0;
			for (uint32_t j = 0; j <= pos; j++)
				a += s[j] * bf(v[(size_t)j * kvs + kvh * D + c]);
			out[(size_t)i * os + h * D + c] = a / sum;
		}
	}
	free(s);
}

/* ---- cases ------------------------------------------------------------ */

static void t_rope_frequencies(void)
{
	struct kern_rope r, plain;
	struct kern_rope_scaling sc = { "llama3", 8, 1, 4, 8192 };
	int lo = 0, mid = 0, hi = 0;

	KOK(kern_rope_init(&plain, 128, 500000, NULL, &e));
	KOK(kern_rope_init(&r, 128, 500000, &sc, &e));
	CHECK_NEAR(plain.inv_freq[0], 1.0, 1e-7);
	CHECK_REL(plain.inv_freq[1], pow(500000, -2.0 / 128), 1e-6);
	for (int i = 0; i < 64; i++) {
		double wl = 2 * M_PI / plain.inv_freq[i];
		if (wl < 8192 / 4.0) {
			CHECK_REL(r.inv_freq[i], plain.inv_freq[i], 1e-7);
			hi++;
		} else if (wl > 8192 / 1.0) {
			CHECK_REL(r.inv_freq[i], plain.inv_freq[i] / 8, 1e-6);
			lo++;
		} else {
			double s = (8192 / wl - 1) / 3;
			CHECK_REL(r.inv_freq[i],
				  (1 - s) * plain.inv_freq[i] / 8 +
					  s * plain.inv_freq[i],
				  1e-6);
			CHECK(r.inv_freq[i] < plain.inv_freq[i]);
			CHECK(r.inv_freq[i] > plain.inv_freq[i] / 8);
			mid++;
		}
	}
	CHECK(lo > 0 && mid > 0 && hi > 0);
	snprintf(sc.type, sizeof sc.type, "linear");
	sc.factor = 4;
	KOK(kern_rope_init(&r, 128, 10000, &sc, &e));
	CHECK_REL(r.inv_freq[5], pow(10000, -10.0 / 128) / 4, 1e-6);

	/* bad inputs, each message names the field */
	CHECK_EQ_I64(kern_rope_init(&r, 130 * 2, 1e4, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'head_dim'");
	CHECK_EQ_I64(kern_rope_init(&r, 127, 1e4, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'head_dim'");
	CHECK_EQ_I64(kern_rope_init(&r, 128, 0.5, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'rope_theta'");
	snprintf(sc.type, sizeof sc.type, "yarn");
	CHECK_EQ_I64(kern_rope_init(&r, 128, 1e4, &sc, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'yarn'");
	snprintf(sc.type, sizeof sc.type, "linear");
	sc.factor = 0;
	CHECK_EQ_I64(kern_rope_init(&r, 128, 1e4, &sc, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'rope_scaling.factor'");
	snprintf(sc.type, sizeof sc.type, "llama3");
	sc.factor = 8;
	sc.low_freq_factor = 4;
	sc.high_freq_factor = 1;
	CHECK_EQ_I64(kern_rope_init(&r, 128, 1e4, &sc, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'high_freq_factor'");
}

static void t_bad_inputs(void)
{
	kern_bf16 buf[64] __attribute__((aligned(16)));
	kern_bf16 *x = buf;
	int32_t pos[4] = { 0 };
	struct kern_rope r;
	struct kern_prefill_args a;
	struct kern_model_shape s = { 2, 4096, 32, 8, 128, 14336, 1e-5f };
	struct kern_weights *w = NULL;
	struct kern_layer_args la;

	if (!HAVE_CUDA)
		TH_SKIP("built without CUDA");
	KOK(kern_rope_init(&r, 128, 1e4, NULL, &e));
	CHECK_EQ_I64(kern_rmsnorm(x, NULL, x + 8, x + 16, 1, 12, 1e-5f, NULL,
				  &e),
		     SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'width'");
	CHECK_EQ_I64(kern_rmsnorm(x, NULL, x + 8, x + 16, 1, 65544, 1e-5f,
				  NULL, &e),
		     SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "at most 65536");
	CHECK_EQ_I64(kern_rmsnorm(x, NULL, x + 8, x + 16, 1, 16, 0, NULL, &e),
		     SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'eps'");
	CHECK_EQ_I64(kern_rmsnorm(x, NULL, x + 8, x, 1, 16, 1e-5f, NULL, &e),
		     SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "alias");
	CHECK_EQ_I64(kern_rmsnorm(x + 1, NULL, x + 8, x + 16, 1, 16, 1e-5f,
				  NULL, &e),
		     SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "aligned");
	CHECK_EQ_I64(kern_swiglu(x, x + 8, 1, 7, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'width'");
	CHECK_EQ_I64(kern_residual_add(x, x + 8, 9, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "multiple of 8");
	CHECK_EQ_I64(kern_rope_qkv(x, NULL, pos, 1, 0, 1, &r, NULL, &e),
		     SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'n_q_heads'");
	CHECK_EQ_I64(kern_rope_qkv(x, NULL, NULL, 1, 1, 1, &r, NULL, &e),
		     SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "NULL");
	CHECK_EQ_I64(kern_linear(NULL, x, 1, 8, x, 8, x, 0, NULL, &e),
		     SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "NULL");

	memset(&a, 0, sizeof a);
	a.q = a.k = a.v = x;
	a.out = x;
	a.n_q_heads = 8;
	a.n_kv_heads = 2;
	a.head_dim = 64;
	a.q_stride = a.out_stride = 8 * 128;
	a.kv_stride = 2 * 128;
	a.scale = 0.1f;
	a.n_seqs = 1;
	a.q_len = a.kv_len = 4;
	CHECK_EQ_I64(kern_prefill_attn(&a, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'head_dim'");
	a.head_dim = 128;
	a.n_kv_heads = 3;
	CHECK_EQ_I64(kern_prefill_attn(&a, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'n_q_heads'");
	a.n_kv_heads = 2;
	a.kv_stride = 2 * 128 + 4;
	CHECK_EQ_I64(kern_prefill_attn(&a, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'kv_stride'");
	a.kv_stride = 128;
	CHECK_EQ_I64(kern_prefill_attn(&a, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'kv_stride'");
	a.kv_stride = 2 * 128;
	a.q_len = 3;
	CHECK_EQ_I64(kern_prefill_attn(&a, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "chunked");
	a.q_len = 5;
	CHECK_EQ_I64(kern_chunked_prefill_attn(&a, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'q_len'");
	a.q_len = 4;
	a.scale = 0;
	CHECK_EQ_I64(kern_chunked_prefill_attn(&a, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'scale'");
	a.scale = 0.1f;
	a.n_seqs = 3;
	CHECK_EQ_I64(kern_chunked_prefill_attn(&a, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'cu_q'");
	a.n_seqs = 0;
	CHECK_EQ_I64(kern_chunked_prefill_attn(&a, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'n_seqs'");
	a.n_seqs = 1;
	a.variant = N_VARIANTS;
	CHECK_EQ_I64(kern_prefill_attn(&a, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'variant'");
	/* variant 6 splits a 1k prompt on 8 heads (64 CTAs: one wave on
	 * any device of 32 SMs or more): refused, before any launch,
	 * without the workspace it needs, or with a misaligned one */
	a.variant = 6;
	a.q_len = a.kv_len = 1024;
	if (kern_prefill_attn_work_bytes(&a) > 0) {
		a.work = x;
		a.work_bytes = kern_prefill_attn_work_bytes(&a) - 1;
		CHECK_EQ_I64(kern_prefill_attn(&a, NULL, &e), SS_EINVAL);
		CHECK_STR_CONTAINS(e.msg, "'work_bytes'");
		a.work = (char *)x + 4;
		a.work_bytes = kern_prefill_attn_work_bytes(&a);
		CHECK_EQ_I64(kern_prefill_attn(&a, NULL, &e), SS_EINVAL);
		CHECK_STR_CONTAINS(e.msg, "'work'");
	} else {
		CHECK_MSG(0, "no variant-6 plan for 1,024 tokens on 8 heads");
	}
	a.work = NULL;
	a.work_bytes = 0;
	a.q_len = a.kv_len = 4;
	a.variant = 0;
	a.k = x + 1;
	CHECK_EQ_I64(kern_prefill_attn(&a, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "aligned");
	a.k = x;
	CHECK_EQ_I64(kern_prefill_attn_ref(&a, 0, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'row_step'");

	s.head_dim = 64;
	CHECK_EQ_I64(kern_weights_alloc(&w, &s, 1, 1, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'head_dim'");
	s.head_dim = 128;
	s.n_kv_heads = 5;
	CHECK_EQ_I64(kern_weights_alloc(&w, &s, 1, 1, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'n_kv_heads'");
	s.n_kv_heads = 8;
	s.intermediate = 14337;
	CHECK_EQ_I64(kern_weights_alloc(&w, &s, 1, 1, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'intermediate'");
	s.intermediate = 14336;
	s.rms_eps = 0;
	CHECK_EQ_I64(kern_weights_alloc(&w, &s, 1, 1, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'rms_eps'");
	CHECK(w == NULL);
	memset(&la, 0, sizeof la);
	CHECK_EQ_I64(kern_layer_forward(&la, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "NULL");
	CHECK_EQ_I64(kern_layer_warm_gemms(NULL, NULL, NULL, 1, 1, 1, NULL, &e),
		     SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "layer warm-up: NULL");
}

static void t_gemm(void)
{
	static const uint32_t toks[] = { 1, 7, 64, 300 };
	static const uint32_t shapes[][2] = { { 256, 384 }, { 1024, 72 },
					      { 136, 2048 } };
	struct kern_blas *b;

	need_gpu();
	KOK(kern_blas_create(&b, &e));
	for (size_t ti = 0; ti < SS_ARRAY_SIZE(toks); ti++)
	for (size_t si = 0; si < SS_ARRAY_SIZE(shapes); si++)
	for (int acc = 0; acc < 2; acc++) {
		uint32_t T = toks[ti], in = shapes[si][0], out = shapes[si][1];
		gsl_rng *r = rng_new(100 + ti * 10 + si * 2 + acc);
		kern_bf16 *x = rand_bf16((size_t)T * in, r, 0, 1);
		kern_bf16 *w = rand_bf16((size_t)out * in, r, 0,
					 1 / sqrt(in));
		kern_bf16 *y0 = rand_bf16((size_t)T * out, r, 0, 1);
		kern_bf16 *got = xmalloc((size_t)T * out * 2);
		double *ref = xmalloc((size_t)T * out * sizeof *ref);
		void *dx = upload(x, (size_t)T * in * 2);
		void *dw = upload(w, (size_t)out * in * 2);
		void *dy = dalloc((size_t)T * out * 2);
		char what[96];

		if (acc)
			KOK(kern_copy(dy, y0, (size_t)T * out * 2, &e));
		KOK(kern_linear(b, dx, T, in, dw, out, dy, acc, NULL, &e));
		download(got, dy, (size_t)T * out * 2);
		linear_ref(x, T, in, w, out, ref);
		if (acc)
			for (size_t i = 0; i < (size_t)T * out; i++)
				ref[i] += bf(y0[i]);
		snprintf(what, sizeof what, "gemm T=%u in=%u out=%u acc=%d", T,
			 in, out, acc);
		CHECK_ERR(got, ref, (size_t)T * out, what);
		kern_dev_free(dx);
		kern_dev_free(dw);
		kern_dev_free(dy);
		free(x);
		free(w);
		free(y0);
		free(got);
		free(ref);
		gsl_rng_free(r);
	}
	KOK(kern_linear(b, (void *)16, 0, 8, (void *)16, 8, (void *)16, 0,
			NULL, &e)); /* no tokens: nothing launched */
	kern_blas_destroy(b);
}

static void t_weights(void)
{
	struct kern_model_shape s = { 3, 256, 4, 2, 128, 512, 1e-5f };
	struct kern_weights *w1, *w2;
	uint64_t n = (uint64_t)kern_qkv_width(&s) * s.hidden;
	kern_bf16 *a, *b;
	double sum = 0, sq = 0;

	need_gpu();
	CHECK_EQ_U64(kern_layer_weight_bytes(&s),
		     2 * (n + 256ull * 512 + 2ull * 512 * 256 + 256ull * 512 +
			  2 * 256));
	KOK(kern_weights_alloc(&w1, &s, 3, 42, NULL, &e));
	KOK(kern_weights_alloc(&w2, &s, 3, 42, NULL, &e));
	CHECK_EQ_U64(w1->bytes, 3 * kern_layer_weight_bytes(&s));
	a = xmalloc(n * 2);
	b = xmalloc(n * 2);
	download(a, w1->layer[2].w_qkv, n * 2);
	download(b, w2->layer[2].w_qkv, n * 2);
	CHECK(!memcmp(a, b, n * 2)); /* same seed, same bytes */
	for (uint64_t i = 0; i < n; i++) {
		double v = bf(a[i]);
		CHECK(fabs(v) <= 1 / sqrt(256.0) * 1.01);
		sum += v;
		sq += v * v;
	}
	/* uniform in +-1/16: mean 0, variance (1/16)^2 / 3 */
	CHECK_NEAR(sum / n, 0, 1e-3);
	CHECK_REL(sq / n, 1.0 / 256 / 3, 0.02);
	download(b, w1->layer[1].w_qkv, n * 2);
	CHECK(memcmp(a, b, n * 2)); /* layers differ */
	download(a, w1->layer[0].norm_ffn, 512);
	for (int i = 0; i < 256; i++)
		CHECK(fabs(bf(a[i]) - 1) <= 0.1 + 1.0 / 128); /* bf16 step at 1 */
	kern_weights_free(w1);
	kern_weights_free(w2);
	free(a);
	free(b);
}

static void t_rmsnorm(void)
{
	static const uint32_t widths[] = { 8, 1032, 4096, 8192, 16384, 65536 };
	static const uint32_t toks[] = { 1, 5, 33 };

	need_gpu();
	for (size_t wi = 0; wi < SS_ARRAY_SIZE(widths); wi++)
	for (size_t ti = 0; ti < SS_ARRAY_SIZE(toks); ti++)
	for (int fused = 0; fused < 2; fused++) {
		uint32_t W = widths[wi], T = toks[ti];
		size_t n = (size_t)T * W;
		gsl_rng *r = rng_new(300 + wi * 10 + ti * 2 + fused);
		kern_bf16 *x = rand_bf16(n, r, 0.1, 2);
		kern_bf16 *y = rand_bf16(n, r, 0, 1);
		kern_bf16 *g = rand_bf16(W, r, 1, 0.3);
		kern_bf16 *got = xmalloc(n * 2), *gx = xmalloc(n * 2);
		double *res = xmalloc(n * sizeof *res);
		double *ref = xmalloc(n * sizeof *ref);
		void *dx = upload(x, n * 2), *dy = upload(y, n * 2);
		void *dg = upload(g, W * 2), *dout = dalloc(n * 2);
		char what[64];

		KOK(kern_rmsnorm(dx, fused ? dy : NULL, dg, dout, T, W, 1e-5f,
				 NULL, &e));
		download(got, dout, n * 2);
		download(gx, dx, n * 2);
		for (size_t i = 0; i < n; i++)
			res[i] = fused ? rb(bf(x[i]) + bf(y[i])) : bf(x[i]);
		rmsnorm_ref(res, g, T, W, 1e-5, ref);
		snprintf(what, sizeof what, "rmsnorm W=%u T=%u fused=%d", W, T,
			 fused);
		CHECK_ERR(got, ref, n, what);
		CHECK_ERR(gx, res, n, "rmsnorm residual");
		kern_dev_free(dx);
		kern_dev_free(dy);
		kern_dev_free(dg);
		kern_dev_free(dout);
		free(x);
		free(y);
		free(g);
		free(got);
		free(gx);
		free(res);
		free(ref);
		gsl_rng_free(r);
	}
}

static void t_rope(void)
{
	/* 128/8: more than one batch of items per thread in the automatic
	 * launch (37 tokens only, to keep the CPU reference short) */
	static const uint32_t heads[][2] = { { 32, 8 }, { 4, 4 }, { 8, 1 },
					     { 128, 8 } };
	struct kern_rope_scaling sc = { "llama3", 8, 1, 4, 8192 };
	struct kern_rope rope;

	need_gpu();
	KOK(kern_rope_init(&rope, 128, 500000, &sc, &e));
	static const uint32_t hpts[] = { 0, KERN_ROPE_TILE, 3, 8, 16, 48,
					 KERN_ROPE_REG };
	/* 0: the automatic launch (KERN_ROPE_REG up to 10 head slots: {8, 1},
	 * and {4, 4} without kv_out; KERN_ROPE_TILE for the others), KERN_ROPE_TILE: shared cos/sin
	 * tables per tile of tokens (37 tokens: one token per CTA; 4,100:
	 * several, the last tile partial); then the per-thread launch with
	 * fixed heads per thread that split the Q/K/V boundaries; last (so
	 * the others keep their seeds) KERN_ROPE_REG: a thread per (token, 8
	 * pairs) holding all its slots ({8, 1}: 9 or 10 slots, {4, 4}: 8 or
	 * 12; {32, 8} and {128, 8} have too many and fall back to the
	 * per-thread launch) */
	for (size_t pi = 0; pi < SS_ARRAY_SIZE(hpts); pi++)
	for (size_t hi = 0; hi < SS_ARRAY_SIZE(heads); hi++)
	for (int sep = 0; sep < (heads[hi][0] > 32 ? 2 : 4); sep++) {
		uint32_t nq = heads[hi][0], nkv = heads[hi][1];
		uint32_t T = sep < 2 ? 37 : 4100;
		uint32_t Wd = (nq + 2 * nkv) * D;
		size_t n = (size_t)T * Wd, nkvo = (size_t)T * 2 * nkv * D;
		gsl_rng *r = rng_new(500 + pi * 100 + hi * 8 + sep);
		kern_bf16 *qkv = rand_bf16(n, r, 0, 1);
		kern_bf16 *got = xmalloc(n * 2), *gkv = xmalloc(nkvo * 2);
		double *ref = xmalloc(n * sizeof *ref);
		double *rkv = xmalloc(nkvo * sizeof *rkv), in[D];
		int32_t *pos = xmalloc(T * sizeof *pos);
		void *dq, *dkv = sep & 1 ? dalloc(nkvo * 2) : NULL, *dp;

		for (uint32_t t = 0; t < T; t++)
			pos[t] = t < 3 ? (int32_t)t
				       : (int32_t)gsl_rng_uniform_int(r, 200000);
		dq = upload(qkv, n * 2);
		dp = upload(pos, T * sizeof *pos);
		rope.heads_per_thread = hpts[pi];
		KOK(kern_rope_qkv(dq, dkv, dp, T, nq, nkv, &rope, NULL, &e));
		download(got, dq, n * 2);
		if (sep & 1)
			download(gkv, dkv, nkvo * 2);
		for (uint32_t t = 0; t < T; t++)
			for (uint32_t h = 0; h < nq + 2 * nkv; h++) {
				size_t o = (size_t)t * Wd + (size_t)h * D;
				double out[D];
				for (int c = 0; c < D; c++)
					in[c] = out[c] = bf(qkv[o + c]);
				if (h < nq + nkv)
					rope_ref(in, out, pos[t], &rope);
				for (int c = 0; c < D; c++) {
					/* with kv_out, qkv's K and V stay */
					ref[o + c] = (sep & 1) && h >= nq
							     ? in[c] : out[c];
					if ((sep & 1) && h >= nq)
						rkv[((size_t)t * 2 * nkv + h -
						     nq) * D + c] = out[c];
				}
			}
		CHECK_ERR(got, ref, n, "rope qkv");
		if (sep & 1)
			CHECK_ERR(gkv, rkv, nkvo, "rope kv_out");
		kern_dev_free(dq);
		kern_dev_free(dkv);
		kern_dev_free(dp);
		free(qkv);
		free(got);
		free(gkv);
		free(ref);
		free(rkv);
		free(pos);
		gsl_rng_free(r);
	}
}

/* KERN_ROPE_REG and the per-thread launch share their arithmetic: the
 * same bytes, Q in place and K/V in kv_out or in place, whatever the slots */
static void t_rope_reg_bitexact(void)
{
	static const uint32_t heads[][2] = { { 8, 1 }, { 4, 4 }, { 6, 3 } };
	struct kern_rope_scaling sc = { "llama3", 8, 1, 4, 8192 };
	struct kern_rope rope;

	need_gpu();
	KOK(kern_rope_init(&rope, 128, 500000, &sc, &e));
	for (size_t hi = 0; hi < SS_ARRAY_SIZE(heads); hi++)
	for (int kvo = 0; kvo < 2; kvo++) {
		uint32_t nq = heads[hi][0], nkv = heads[hi][1], T = 4100;
		size_t n = (size_t)T * (nq + 2 * nkv) * D;
		size_t nk = (size_t)T * 2 * nkv * D;
		gsl_rng *r = rng_new(700 + hi * 2 + kvo);
		kern_bf16 *qkv = rand_bf16(n, r, 0, 1);
		kern_bf16 *a = xmalloc(n * 2), *b = xmalloc(n * 2);
		kern_bf16 *ka = xmalloc(nk * 2), *kb = xmalloc(nk * 2);
		int32_t *pos = xmalloc(T * sizeof *pos);
		void *d1, *d2, *k1 = NULL, *k2 = NULL, *dp;

		for (uint32_t t = 0; t < T; t++)
			pos[t] = (int32_t)gsl_rng_uniform_int(r, 200000);
		d1 = upload(qkv, n * 2);
		d2 = upload(qkv, n * 2);
		dp = upload(pos, T * sizeof *pos);
		if (kvo) {
			k1 = dalloc(nk * 2);
			k2 = dalloc(nk * 2);
		}
		rope.heads_per_thread = 16;
		KOK(kern_rope_qkv(d1, k1, dp, T, nq, nkv, &rope, NULL, &e));
		rope.heads_per_thread = KERN_ROPE_REG;
		KOK(kern_rope_qkv(d2, k2, dp, T, nq, nkv, &rope, NULL, &e));
		download(a, d1, n * 2);
		download(b, d2, n * 2);
		CHECK_MSG(!memcmp(a, b, n * 2),
			  "rope %u/%u kv_out %d: qkv differs", nq, nkv, kvo);
		if (kvo) {
			download(ka, k1, nk * 2);
			download(kb, k2, nk * 2);
			CHECK_MSG(!memcmp(ka, kb, nk * 2),
				  "rope %u/%u: kv_out differs", nq, nkv);
		}
		kern_dev_free(d1);
		kern_dev_free(d2);
		kern_dev_free(k1);
		kern_dev_free(k2);
		kern_dev_free(dp);
		free(qkv);
		free(a);
		free(b);
		free(ka);
		free(kb);
		free(pos);
		gsl_rng_free(r);
	}
}

static void t_swiglu_add(void)
{
	static const uint32_t widths[] = { 8, 1000, 14336 };

	need_gpu();
	for (size_t wi = 0; wi < SS_ARRAY_SIZE(widths); wi++) {
		uint32_t W = widths[wi], T = 9;
		size_t n = (size_t)T * W;
		gsl_rng *r = rng_new(700 + wi);
		kern_bf16 *gu = rand_bf16(2 * n, r, 0, 4);
		kern_bf16 *y = rand_bf16(n, r, 0, 1);
		kern_bf16 *got = xmalloc(n * 2);
		double *ref = xmalloc(n * sizeof *ref);
		void *dgu = upload(gu, 4 * n), *dout = dalloc(2 * n);
		void *dy = upload(y, 2 * n);

		KOK(kern_swiglu(dgu, dout, T, W, NULL, &e));
		download(got, dout, 2 * n);
		for (uint32_t t = 0; t < T; t++)
			for (uint32_t i = 0; i < W; i++) {
				double g = bf(gu[(size_t)t * 2 * W + i]);
				double u = bf(gu[(size_t)t * 2 * W + W + i]);
				ref[(size_t)t * W + i] = g / (1 + exp(-g)) * u;
			}
		CHECK_ERR(got, ref, n, "swiglu");
		/* residual add onto the swiglu output */
		KOK(kern_residual_add(dout, dy, n, NULL, &e));
		download(got, dout, 2 * n);
		for (size_t i = 0; i < n; i++)
			ref[i] = rb(ref[i]) + bf(y[i]);
		CHECK_ERR(got, ref, n, "residual add");
		kern_dev_free(dgu);
		kern_dev_free(dout);
		kern_dev_free(dy);
		free(gu);
		free(y);
		free(got);
		free(ref);
		gsl_rng_free(r);
	}
}

/*
 * One attention problem: n_seqs sequences packed in q (stride qs), kv
 * (K then V per row, stride 2*nkv*D), run through the kernel `chunked`
 * (or prefill) with `variant`, checked against the CPU reference.
 */
static void attn_case(const uint32_t *ql, const uint32_t *kl, uint32_t ns,
		      uint32_t nq, uint32_t nkv, int chunked,
		      uint32_t variant, unsigned long seed)
{
	uint32_t QT = 0, KT = 0, mq = 0, cq[9] = { 0 }, ck[9] = { 0 };
	int32_t cuq[9], cuk[9];
	uint64_t qs = (nq + 2 * nkv) * D, kvs = 2 * nkv * D, os = nq * D;
	gsl_rng *r = rng_new(seed);

	CHECK(ns <= 8);
	for (uint32_t s = 0; s < ns; s++) {
		cq[s + 1] = cq[s] + ql[s];
		ck[s + 1] = ck[s] + kl[s];
		mq = SS_MAX(mq, ql[s]);
	}
	QT = cq[ns];
	KT = ck[ns];
	for (uint32_t s = 0; s <= ns; s++) {
		cuq[s] = (int32_t)cq[s];
		cuk[s] = (int32_t)ck[s];
	}
	kern_bf16 *q = rand_bf16((size_t)QT * qs, r, 0, 2);
	kern_bf16 *kv = rand_bf16((size_t)KT * kvs, r, 0, 2);
	kern_bf16 *got = xmalloc((size_t)QT * os * 2 + 2);
	double *ref = xmalloc((size_t)QT * os * sizeof *ref + 8);
	void *dq = upload(q, (size_t)QT * qs * 2);
	void *dkv = upload(kv, (size_t)KT * kvs * 2);
	void *dout = dalloc((size_t)QT * os * 2 + 16);
	void *dcq = upload(cuq, sizeof cuq), *dck = upload(cuk, sizeof cuk);
	struct kern_prefill_args a;
	char what[128];

	memset(&a, 0, sizeof a);
	a.q = dq;
	a.k = dkv;
	a.v = (kern_bf16 *)dkv + nkv * D;
	a.out = dout;
	a.q_stride = qs;
	a.kv_stride = kvs;
	a.out_stride = os;
	a.n_q_heads = nq;
	a.n_kv_heads = nkv;
	a.head_dim = D;
	a.scale = (float)(1 / sqrt(128.0));
	a.variant = variant;
	a.n_seqs = ns;
	if (ns == 1) {
		a.q_len = ql[0];
		a.kv_len = kl[0];
	} else {
		a.cu_q = dcq;
		a.cu_kv = dck;
		a.max_q_len = mq;
	}
	/* variant 6's workspace (poisoned), given to every variant as a
	 * serving engine would */
	a.work_bytes = kern_prefill_attn_work_bytes(&a);
	a.work = a.work_bytes ? dalloc(a.work_bytes) : NULL;
	int rc = chunked ? kern_chunked_prefill_attn(&a, NULL, &e)
			 : kern_prefill_attn(&a, NULL, &e);
	kern_dev_free(a.work);
	if (rc == SS_ENODEV && variant >= WGMMA_VARIANT)
		TH_SKIP(e.msg); /* no sm_90a code for this device */
	KOK(rc);
	download(got, dout, (size_t)QT * os * 2);
	for (uint32_t s = 0; s < ns; s++)
		for (uint32_t h = 0; h < nq; h++)
			attn_ref(q + (size_t)cq[s] * qs, qs,
				 kv + (size_t)ck[s] * kvs,
				 kv + (size_t)ck[s] * kvs + nkv * D, kvs, ql[s],
				 kl[s], h, h / (nq / nkv), 1 / sqrt(128.0),
				 ref + (size_t)cq[s] * os, os);
	snprintf(what, sizeof what,
		 "%s attention ns=%u q0=%u kv0=%u nq=%u nkv=%u variant=%u",
		 chunked ? "chunked" : "prefill", ns, ql[0], kl[0], nq, nkv,
		 variant);
	CHECK_ERR(got, ref, (size_t)QT * os, what);
	kern_dev_free(dq);
	kern_dev_free(dkv);
	kern_dev_free(dout);
	kern_dev_free(dcq);
	kern_dev_free(dck);
	free(q);
	free(kv);
	free(got);
	free(ref);
	gsl_rng_free(r);
}

static void t_prefill_attn_small_v(uint32_t v0, uint32_t v1)
{
	static const uint32_t lens[] = { 1, 2, 63, 64, 65, 127, 128, 129, 300 };
	/* GQA groups 1 (MHA: one head, and LWM-7B's layout on 4 heads), 4
	 * (Llama-3 8B), 2, and 8 (Llama-3.1-70B's share at TP 8: 8/1) */
	static const uint32_t heads[][2] = { { 1, 1 }, { 4, 1 }, { 8, 2 },
					     { 6, 3 }, { 4, 4 }, { 8, 1 } };
	unsigned long seed = 900;

	need_gpu();
	for (size_t li = 0; li < SS_ARRAY_SIZE(lens); li++)
	for (size_t hi = 0; hi < SS_ARRAY_SIZE(heads); hi++)
	for (uint32_t v = v0; v < v1; v++)
		attn_case(&lens[li], &lens[li], 1, heads[hi][0], heads[hi][1],
			  0, v, seed++);
}

static void t_chunked_attn_small_v(uint32_t v0, uint32_t v1)
{
	/* (q_len, kv_len): decode-like, chunk against a long past, ragged */
	static const uint32_t qk[][2] = { { 1, 1 }, { 1, 200 }, { 5, 77 },
					  { 50, 333 }, { 64, 256 },
					  { 128, 320 }, { 129, 700 } };
	unsigned long seed = 1200;

	need_gpu();
	for (size_t i = 0; i < SS_ARRAY_SIZE(qk); i++)
	for (uint32_t v = v0; v < v1; v++) {
		attn_case(&qk[i][0], &qk[i][1], 1, 8, 2, 1, v, seed++);
		attn_case(&qk[i][0], &qk[i][1], 1, 4, 4, 1, v, seed++); /* MHA */
		attn_case(&qk[i][0], &qk[i][1], 1, 8, 1, 1, v, seed++); /* 8:1 */
	}
}

static void t_varlen_attn_v(uint32_t v0, uint32_t v1)
{
	/* a mixed batch: prompts, chunks and decode tokens in one launch */
	static const uint32_t ql[] = { 37, 1, 200, 16, 1, 130 };
	static const uint32_t kl[] = { 37, 90, 200, 56, 1, 400 };
	static const uint32_t pl[] = { 37, 5, 200, 64 };

	need_gpu();
	for (uint32_t v = v0; v < v1; v++) {
		attn_case(ql, kl, 6, 8, 2, 1, v, 1500 + v);
		attn_case(pl, pl, 4, 4, 1, 0, v, 1510 + v);
		/* MHA and group 8, chunked and whole prompts */
		attn_case(ql, kl, 6, 4, 4, 1, v, 1520 + v);
		attn_case(pl, pl, 4, 4, 4, 0, v, 1530 + v);
		attn_case(ql, kl, 6, 8, 1, 1, v, 1540 + v);
		attn_case(pl, pl, 4, 8, 1, 0, v, 1550 + v);
	}
}

/* large shapes against the naive fp32 GPU reference, for GQA group 4,
 * MHA (16/16) and group 8 (8/1, Llama-3.1-70B's share at TP 8) */
#define LARGE_MAX_HEADS 16
static void t_attn_large_v(uint32_t v0, uint32_t v1)
{
	static const uint32_t qk[][2] = { { 4096, 4096 }, { 1000, 5000 },
					  { 2048, 2048 + 512 } };
	static const uint32_t heads[][2] = { { 8, 2 }, { 16, 16 }, { 8, 1 } };

	need_gpu();
	for (size_t hi = 0; hi < SS_ARRAY_SIZE(heads); hi++)
	for (size_t i = 0; i < SS_ARRAY_SIZE(qk); i++)
	for (uint32_t v = v0; v < v1; v++) {
		uint32_t ql = qk[i][0], kl = qk[i][1];
		uint32_t nq = heads[hi][0], nkv = heads[hi][1];
		uint64_t qs = nq * D, kvs = 2 * nkv * D, os = nq * D;
		gsl_rng *r = rng_new(1600 + hi * 100 + i * 10 + v);
		kern_bf16 *q = rand_bf16((size_t)ql * qs, r, 0, 2);
		kern_bf16 *kv = rand_bf16((size_t)kl * kvs, r, 0, 2);
		kern_bf16 *got = xmalloc((size_t)ql * os * 2);
		kern_bf16 *want = xmalloc((size_t)ql * os * 2);
		double *ref = xmalloc((size_t)ql * os * sizeof *ref);
		void *dq = upload(q, (size_t)ql * qs * 2);
		void *dkv = upload(kv, (size_t)kl * kvs * 2);
		void *dout = dalloc((size_t)ql * os * 2);
		void *dref = dalloc((size_t)ql * os * 2);
		struct kern_prefill_args a;
		char what[96];

		memset(&a, 0, sizeof a);
		a.q = dq;
		a.k = dkv;
		a.v = (kern_bf16 *)dkv + nkv * D;
		a.out = dout;
		a.q_stride = qs;
		a.kv_stride = kvs;
		a.out_stride = os;
		a.n_q_heads = nq;
		a.n_kv_heads = nkv;
		a.head_dim = D;
		a.scale = (float)(1 / sqrt(128.0));
		a.n_seqs = 1;
		a.q_len = ql;
		a.kv_len = kl;
		a.variant = v;
		a.work_bytes = kern_prefill_attn_work_bytes(&a);
		a.work = a.work_bytes ? dalloc(a.work_bytes) : NULL;
		int rc = kern_chunked_prefill_attn(&a, NULL, &e);
		kern_dev_free(a.work);
		a.work = NULL;
		a.work_bytes = 0;
		if (rc == SS_ENODEV && v >= WGMMA_VARIANT)
			TH_SKIP(e.msg);
		KOK(rc);
		a.out = dref;
		KOK(kern_prefill_attn_ref(&a, 1, NULL, &e));
		download(got, dout, (size_t)ql * os * 2);
		download(want, dref, (size_t)ql * os * 2);
		for (size_t j = 0; j < (size_t)ql * os; j++)
			ref[j] = bf(want[j]);
		snprintf(what, sizeof what, "attention q=%u kv=%u nq=%u nkv=%u "
			 "variant=%u vs fp32 GPU", ql, kl, nq, nkv, v);
		CHECK_ERR(got, ref, (size_t)ql * os, what);
		/* and the fp32 reference itself against the CPU, 3 rows */
		if (v == 0) {
			uint32_t rows[3] = { 0, ql / 2, ql - 1 };
			for (int k = 0; k < 3; k++) {
				double cpu[LARGE_MAX_HEADS * D];
				uint32_t rr = rows[k];
				for (uint32_t h = 0; h < nq; h++)
					attn_ref(q + (size_t)rr * qs, qs, kv,
						 kv + nkv * D, kvs, 1,
						 kl - (ql - 1 - rr), h,
						 h / (nq / nkv),
						 1 / sqrt(128.0), cpu, os);
				CHECK_ERR(want + (size_t)rr * os, cpu, os,
					  "fp32 reference vs CPU");
			}
		}
		kern_dev_free(dq);
		kern_dev_free(dkv);
		kern_dev_free(dout);
		kern_dev_free(dref);
		free(q);
		free(kv);
		free(got);
		free(want);
		free(ref);
		gsl_rng_free(r);
	}
}

/* the mma.sync variants, and the wgmma variants (sm_90a) apart */
static void t_prefill_attn_small(void) { t_prefill_attn_small_v(0, KV); }
static void t_prefill_attn_small_wgmma(void)
{
	t_prefill_attn_small_v(WGMMA_VARIANT, N_VARIANTS);
}
static void t_chunked_attn_small(void) { t_chunked_attn_small_v(0, KV); }
static void t_chunked_attn_small_wgmma(void)
{
	t_chunked_attn_small_v(WGMMA_VARIANT, N_VARIANTS);
}
static void t_varlen_attn(void) { t_varlen_attn_v(0, KV); }
static void t_varlen_attn_wgmma(void)
{
	t_varlen_attn_v(WGMMA_VARIANT, N_VARIANTS);
}
static void t_attn_large(void) { t_attn_large_v(0, KV); }
static void t_attn_large_wgmma(void)
{
	t_attn_large_v(WGMMA_VARIANT, N_VARIANTS);
}

/*
 * A whole decoder layer on a small shape for a mixed batch (a prompt, a
 * chunk with earlier KV, two decode tokens) through the dense backend
 * with a KV store, against a CPU model that rounds where the GPU does;
 * nq query heads over nkv KV heads.
 */
static void layer_mixed(uint32_t nq, uint32_t nkv, unsigned long seed)
{
	struct kern_model_shape s = { 2, 256, nq, nkv, 128, 384, 1e-5f };
	struct kern_rope_scaling sc = { "llama3", 8, 1, 4, 8192 };
	enum { NS = 4 };
	const uint32_t ql[NS] = { 37, 16, 1, 1 }, past[NS] = { 0, 40, 60, 1 };
	uint32_t T = 0, rows = 0, cq[NS + 1] = { 0 }, ck[NS + 1] = { 0 };
	int32_t cuq[NS + 1], cuk[NS + 1], *pos, *dst;
	struct kern_weights *w;
	struct kern_layer_ws *ws;
	struct kern_blas *blas;
	struct kern_rope rope;
	const uint32_t layer = 1, H = s.hidden, I = s.intermediate;
	const uint32_t QW = (uint32_t)kern_qkv_width(&s), KW = 2 * nkv * D;
	const uint32_t QD = s.n_q_heads * D;
	gsl_rng *r = rng_new(seed);
	char what[64];

	for (int i = 0; i < NS; i++) {
		cq[i + 1] = cq[i] + ql[i];
		ck[i + 1] = ck[i] + past[i] + ql[i];
	}
	T = cq[NS];
	rows = ck[NS];
	for (int i = 0; i <= NS; i++) {
		cuq[i] = (int32_t)cq[i];
		cuk[i] = (int32_t)ck[i];
	}
	pos = xmalloc(T * sizeof *pos);
	dst = xmalloc(T * sizeof *dst);
	for (int i = 0; i < NS; i++)
		for (uint32_t j = 0; j < ql[i]; j++) {
			pos[cq[i] + j] = (int32_t)(past[i] + j);
			dst[cq[i] + j] = (int32_t)(ck[i] + past[i] + j);
		}
	KOK(kern_rope_init(&rope, D, 500000, &sc, &e));
	KOK(kern_blas_create(&blas, &e));
	KOK(kern_weights_alloc(&w, &s, 2, 7 + seed, NULL, &e));
	KOK(kern_layer_ws_alloc(&ws, &s, 128, &e));

	/* host copies of the layer's weights */
	const struct kern_layer_weights *lw = &w->layer[layer];
	kern_bf16 *wqkv = xmalloc((size_t)QW * H * 2);
	kern_bf16 *wo = xmalloc((size_t)H * QD * 2);
	kern_bf16 *wgu = xmalloc((size_t)2 * I * H * 2);
	kern_bf16 *wd = xmalloc((size_t)H * I * 2);
	kern_bf16 *n1 = xmalloc(H * 2), *n2 = xmalloc(H * 2);
	download(wqkv, lw->w_qkv, (size_t)QW * H * 2);
	download(wo, lw->w_o, (size_t)H * QD * 2);
	download(wgu, lw->w_gu, (size_t)2 * I * H * 2);
	download(wd, lw->w_down, (size_t)H * I * 2);
	download(n1, lw->norm_attn, H * 2);
	download(n2, lw->norm_ffn, H * 2);

	kern_bf16 *x = rand_bf16((size_t)T * H, r, 0, 1);
	kern_bf16 *store = rand_bf16((size_t)rows * KW, r, 0, 1);
	void *dx = upload(x, (size_t)T * H * 2);
	void *dstore = upload(store, (size_t)rows * KW * 2);
	void *dpos = upload(pos, T * 4), *ddst = upload(dst, T * 4);
	void *dcq = upload(cuq, sizeof cuq), *dck = upload(cuk, sizeof cuk);
	kern_bf16 *stores[2] = { NULL, dstore };
	struct kern_dense_attn dctx = { NS, dcq, dck, 37, stores, ddst, 0 };
	struct kern_layer_args la = { blas, ws, w, layer, &rope, dx, T, dpos,
				      &kern_attn_dense_ops, &dctx, NULL };

	/* the GEMM warm-up first (every row count to 40, every 8th to the
	 * workspace's 128): it must leave nothing the forward reads but
	 * its own workspace, which the forward overwrites */
	CHECK_EQ_I64(kern_layer_warm_gemms(blas, ws, w, 40, 129, 8, NULL, &e),
		     SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'max_rows'");
	CHECK_EQ_I64(kern_layer_warm_gemms(blas, ws, w, 41, 40, 8, NULL, &e),
		     SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'dense_to'");
	CHECK_EQ_I64(kern_layer_warm_gemms(blas, ws, w, 0, 40, 8, NULL, &e),
		     SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'dense_to'");
	CHECK_EQ_I64(kern_layer_warm_gemms(blas, ws, w, 40, 128, 0, NULL, &e),
		     SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'step'");
	KOK(kern_layer_warm_gemms(blas, ws, w, 40, 128, 8, NULL, &e));
	KOK(kern_layer_forward(&la, NULL, &e));
	kern_bf16 *gx = xmalloc((size_t)T * H * 2);
	kern_bf16 *gst = xmalloc((size_t)rows * KW * 2);
	download(gx, dx, (size_t)T * H * 2);
	download(gst, dstore, (size_t)rows * KW * 2);

	/* CPU model, rounding to bf16 where the GPU stores */
	double *xr = xmalloc((size_t)T * H * sizeof(double));
	double *h = xmalloc((size_t)T * H * sizeof(double));
	double *qkv = xmalloc((size_t)T * QW * sizeof(double));
	double *att = xmalloc((size_t)T * QD * sizeof(double));
	double *tmp = xmalloc((size_t)T * 2 * I * sizeof(double));
	/* bf16 rows of the widest stage: gate/up, attention out or hidden */
	kern_bf16 *hb = xmalloc((size_t)T * SS_MAX(SS_MAX(2 * I, QD), H) * 2);
	kern_bf16 *qb = xmalloc((size_t)T * QW * 2);
	kern_bf16 *sb = xmalloc((size_t)rows * KW * 2);
	double *sref = xmalloc((size_t)rows * KW * sizeof(double));

	for (size_t i = 0; i < (size_t)T * H; i++)
		xr[i] = bf(x[i]);
	rmsnorm_ref(xr, n1, T, H, 1e-5, h);
	for (size_t i = 0; i < (size_t)T * H; i++)
		hb[i] = kern_float_to_bf16((float)h[i]);
	linear_ref(hb, T, H, wqkv, QW, qkv);
	memcpy(sb, store, (size_t)rows * KW * 2);
	for (uint32_t t = 0; t < T; t++)
		for (uint32_t hh = 0; hh < nq + 2 * nkv; hh++) {
			double in[D], out[D];
			for (int c = 0; c < D; c++)
				in[c] = out[c] = rb(qkv[(size_t)t * QW + hh * D + c]);
			if (hh < nq + nkv) /* Q and K rotate, V does not */
				rope_ref(in, out, pos[t], &rope);
			for (int c = 0; c < D; c++) {
				kern_bf16 v = kern_float_to_bf16((float)out[c]);
				if (hh < nq)
					qb[(size_t)t * QW + hh * D + c] = v;
				else
					sb[(size_t)dst[t] * KW +
					   (hh - nq) * D + c] = v;
			}
		}
	for (size_t i = 0; i < (size_t)rows * KW; i++)
		sref[i] = bf(sb[i]);
	snprintf(what, sizeof what, "layer %u/%u heads: KV store", nq, nkv);
	CHECK_ERR(gst, sref, (size_t)rows * KW, what);
	for (int i = 0; i < NS; i++)
		for (uint32_t hh = 0; hh < nq; hh++)
			attn_ref(qb + (size_t)cq[i] * QW, QW,
				 sb + (size_t)ck[i] * KW,
				 sb + (size_t)ck[i] * KW + nkv * D, KW, ql[i],
				 past[i] + ql[i], hh, hh / (nq / nkv),
				 1 / sqrt(128.0), att + (size_t)cq[i] * QD, QD);
	for (size_t i = 0; i < (size_t)T * QD; i++)
		hb[i] = kern_float_to_bf16((float)att[i]);
	linear_ref(hb, T, QD, wo, H, h);
	for (size_t i = 0; i < (size_t)T * H; i++)
		xr[i] = rb(xr[i] + h[i]);
	rmsnorm_ref(xr, n2, T, H, 1e-5, h);
	for (size_t i = 0; i < (size_t)T * H; i++)
		hb[i] = kern_float_to_bf16((float)h[i]);
	linear_ref(hb, T, H, wgu, 2 * I, tmp);
	for (uint32_t t = 0; t < T; t++)
		for (uint32_t i = 0; i < I; i++) {
			double g = rb(tmp[(size_t)t * 2 * I + i]);
			double u = rb(tmp[(size_t)t * 2 * I + I + i]);
			hb[(size_t)t * I + i] =
				kern_float_to_bf16((float)(g / (1 + exp(-g)) * u));
		}
	linear_ref(hb, T, I, wd, H, h);
	for (size_t i = 0; i < (size_t)T * H; i++)
		xr[i] = xr[i] + h[i];
	snprintf(what, sizeof what, "layer %u/%u heads: residual stream out",
		 nq, nkv);
	CHECK_ERR(gx, xr, (size_t)T * H, what);
	/* the layer changed x by more than the tolerance (a real check) */
	for (size_t i = 0; i < (size_t)T * H; i++)
		h[i] = bf(x[i]);
	CHECK(rel_err_bf(gx, h, (size_t)T * H) > 10 * TOL);

	/* bad inputs on a live layer */
	la.layer = 2;
	CHECK_EQ_I64(kern_layer_forward(&la, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'layer'");
	la.layer = 1;
	la.n_tokens = 129;
	CHECK_EQ_I64(kern_layer_forward(&la, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'n_tokens'");
	la.n_tokens = T;
	la.layer = 0; /* store[0] is NULL: the backend says so, prefixed */
	CHECK_EQ_I64(kern_layer_forward(&la, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "attention 'dense'");
	CHECK_STR_CONTAINS(e.msg, "store[0]");

	kern_layer_ws_free(ws);
	kern_weights_free(w);
	kern_blas_destroy(blas);
	kern_dev_free(dx);
	kern_dev_free(dstore);
	kern_dev_free(dpos);
	kern_dev_free(ddst);
	kern_dev_free(dcq);
	kern_dev_free(dck);
	free(wqkv);
	free(wo);
	free(wgu);
	free(wd);
	free(n1);
	free(n2);
	free(x);
	free(store);
	free(gx);
	free(gst);
	free(xr);
	free(h);
	free(qkv);
	free(att);
	free(tmp);
	free(hb);
	free(qb);
	free(sb);
	free(sref);
	free(pos);
	free(dst);
	gsl_rng_free(r);
}

/* GQA group 2, MHA (LWM-7B's layout), group 8 (Llama-3.1-70B at TP 8) */
static void t_layer_mixed(void)
{
	need_gpu();
	layer_mixed(4, 2, 2024);
	layer_mixed(4, 4, 2025);
	layer_mixed(8, 1, 2026);
}

static const struct th_case cases[] = {
	TH_CASE(t_rope_frequencies),
	TH_CASE(t_bad_inputs),
	TH_CASE(t_gemm),
	TH_CASE(t_weights),
	TH_CASE(t_rmsnorm),
	TH_CASE(t_rope),
	TH_CASE(t_rope_reg_bitexact),
	TH_CASE(t_swiglu_add),
	TH_CASE(t_prefill_attn_small),
	TH_CASE(t_chunked_attn_small),
	TH_CASE(t_varlen_attn),
	TH_CASE(t_attn_large),
	TH_CASE(t_prefill_attn_small_wgmma),
	TH_CASE(t_chunked_attn_small_wgmma),
	TH_CASE(t_varlen_attn_wgmma),
	TH_CASE(t_attn_large_wgmma),
	TH_CASE(t_layer_mixed),
	{ 0 },
};

int main(int argc, char **argv) { return th_main(argc, argv, cases); }
