/* test_cost.c - the cost model against closed forms: transfers reproduce
 * the measured H200 tables at their grid points and interpolate in log
 * space between them; compute ops match their roofline formulas; every
 * cost is monotone in its size arguments; the fit check. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "model/cost.h"
#include "model/profile.h"

struct fixture {
	struct model m;
	struct hw_profile *hw;
	struct cost_model c;
};

static void setup(struct fixture *f, const char *model, const char *hw)
{
	struct ss_err e = { 0 };

	CHECK_MSG(model_load(&f->m, model, &e) == 0, "%s", e.msg);
	CHECK_MSG(hw_profile_load(&f->hw, hw, &e) == 0, "%s", e.msg);
	f->c.hw = f->hw;
	f->c.m = &f->m;
}

static const double X[8] = { 2048, 4096, 8192, 16384, 32768, 65536, 262144,
			     1048576 };

/* GB/s implied by moving `count` fragments, after the fixed overhead. */
static double implied_gbs(struct fixture *f, enum xfer_mech mech, double x,
			  uint64_t count, uint32_t sms)
{
	int64_t t = cost_transfer_ns(&f->c, mech, (uint64_t)x, count, sms);
	double fixed = f->hw->op[HW_OP_XFER0 + mech].fixed_ns.v;

	return x * (double)count / ((double)t - fixed);
}

/* The analytic h200 profile reproduces h200-limits.md at every grid point. */
static void t_h200_tables(void)
{
	static const struct {
		enum xfer_mech mech;
		double gbs[8];
	} cols[] = {
		{ XFER_MEMCPY_H2D, { 0.7, 1.4, 2.7, 5.2, 9.4, 15.8, 34.4, 48.1 } },
		{ XFER_MEMCPY_BATCH_H2D, { 4.7, 8.2, 9.5, 22.4, 46.8, 50.8, 53.8, 55.1 } },
		{ XFER_MEMCPY_D2H, { 0.8, 1.6, 3.0, 5.9, 10.6, 17.3, 36.6, 49.0 } },
		{ XFER_FLASH_D2H, { 14.2, 19.2, 20.3, 20.9, 21.1, 22.0, 20.4, 22.2 } },
		{ XFER_GPU_SCATTER_D2H, { 52.4, 52.5, 52.6, 52.4, 52.1, 52.4, 52.4, 52.3 } },
		/* all-SM gather; at 16 KiB the persistent-kernel table's 51.2 */
		{ XFER_FLASH_H2D, { 51.4, 51.2, 51.4, 51.2, 51.4, 51.4, 51.4, 51.2 } },
	};
	static const double G[8] = { 4, 8, 12, 16, 24, 32, 64, 132 };
	static const double g4k[8] = { 8.2, 15.4, 22.7, 29.8, 41.6, 49.7, 51.3, 51.2 };
	static const double g16k[8] = { 26.1, 46.9, 51.3, 51.3, 51.3, 51.2, 51.2, 51.2 };
	struct fixture f;
	size_t i, k;

	setup(&f, "lwm-7b", "h200-analytic");
	for (i = 0; i < SS_ARRAY_SIZE(cols); i++)
		for (k = 0; k < 8; k++)
			CHECK_REL(implied_gbs(&f, cols[i].mech, X[k], 1 << 16, 132),
				  cols[i].gbs[k], 1e-6);
	for (k = 0; k < 8; k++) {
		CHECK_REL(implied_gbs(&f, XFER_FLASH_H2D, 4096, 1 << 16, (uint32_t)G[k]),
			  g4k[k], 1e-6);
		CHECK_REL(implied_gbs(&f, XFER_FLASH_H2D, 16384, 1 << 16, (uint32_t)G[k]),
			  g16k[k], 1e-6);
	}
	CHECK_REL(implied_gbs(&f, XFER_BULK_H2D, 1 << 30, 1, 0), 55.3, 1e-6);
	CHECK_REL(implied_gbs(&f, XFER_BULK_D2H, 1 << 30, 1, 0), 55.4, 1e-6);
	hw_profile_free(f.hw);
}

static void t_transfer_closed_form(void)
{
	struct fixture f;
	double l, t;

	setup(&f, "lwm-7b", "h200-analytic");
	/* a transfer alone = fixed overhead + bytes / measured rate */
	CHECK_NEAR(cost_transfer_ns(&f.c, XFER_MEMCPY_H2D, 16384, 1000, 0),
		   2000 + 16384e3 / 5.2, 1);
	CHECK_NEAR(cost_transfer_ns(&f.c, XFER_FLASH_D2H, 16384, 1000, 0),
		   10000 + 16384e3 / 20.9, 1);
	/* between grid points: log-log interpolation */
	l = log(5793.0);
	t = (l - log(4096)) / (log(8192) - log(4096));
	CHECK_NEAR(cost_transfer_ns(&f.c, XFER_MEMCPY_H2D, 5793, 1000, 0),
		   2000 + 5793e3 / exp(log(1.4) + t * (log(2.7) - log(1.4))), 1);
	/* below the smallest fragment a call costs what it costs there */
	CHECK_NEAR(cost_transfer_ns(&f.c, XFER_MEMCPY_H2D, 1024, 1000, 0),
		   2000 + 2048e3 / 0.7, 1);
	/* above the largest, the rate stays */
	CHECK_NEAR(cost_transfer_ns(&f.c, XFER_MEMCPY_H2D, 4 << 20, 10, 0),
		   2000 + 10.0 * (4 << 20) / 48.1, 1);
	/* fewer SMs than the grid: the per-SM rate; between: log-log */
	CHECK_NEAR(cost_transfer_ns(&f.c, XFER_FLASH_H2D, 16384, 1000, 2),
		   4000 + 16384e3 / (26.1 / 2), 1);
	t = log(6.0 / 4) / log(2.0);
	CHECK_NEAR(cost_transfer_ns(&f.c, XFER_FLASH_H2D, 4096, 1000, 6),
		   4000 + 4096e3 / exp(log(8.2) + t * (log(15.4) - log(8.2))), 1);
	/* sms = 0 is the profile default (16) */
	CHECK_EQ_I64(cost_transfer_ns(&f.c, XFER_FLASH_H2D, 4096, 77, 0),
		     cost_transfer_ns(&f.c, XFER_FLASH_H2D, 4096, 77, 16));
	CHECK_EQ_I64(cost_transfer_ns(&f.c, XFER_FLASH_H2D, 4096, 0, 0), 0);
	CHECK_EQ_I64(cost_transfer_ns(&f.c, XFER_FLASH_H2D, 0, 10, 0), 0);
	/* FlashH2D beats per-block memcpy by ~10x at the paper's 16 KiB block */
	CHECK(cost_transfer_ns(&f.c, XFER_MEMCPY_H2D, 16384, 1024, 0) >
	      8 * cost_transfer_ns(&f.c, XFER_FLASH_H2D, 16384, 1024, 0));
	hw_profile_free(f.hw);
}

static void t_compute_closed_form(void)
{
	struct fixture f;
	double act = 2.0 * (4096 + 96 * 128 + 32 * 128 + 4096 + 4096 + 2 * 11008 +
			    11008 + 4096);
	double lin = 2.0 * (4.0 * 4096 * 4096 + 3.0 * 4096 * 11008);
	double wb = 2.0 * (4.0 * 4096 * 4096 + 3.0 * 4096 * 11008 + 2 * 4096);
	double q, flops, bytes, eff;

	setup(&f, "lwm-7b", "h200-analytic");
	/* one token: the weight read bounds the GEMMs */
	CHECK_NEAR(cost_linear_ns(&f.c, 1),
		   6000 + 1e9 * (wb + act) / (4.265e12 * 0.85), 1);
	/* 8192 tokens: compute bound at eff = 0.9 * x / (x + 64) */
	CHECK_NEAR(cost_linear_ns(&f.c, 8192),
		   6000 + 1e9 * lin * 8192 / (788e12 * 0.9 * 8192 / (8192 + 64)), 1);
	/* prefill: 4 q (kv + q/2) heads head_dim FLOPs at FA2's efficiency */
	q = 4096;
	flops = 4.0 * q * (0 + q / 2) * 32 * 128;
	eff = 0.35 * q / (q + 256);
	CHECK_NEAR(cost_prefill_attn_ns(&f.c, 4096, 0),
		   3000 + 1e9 * flops / (989.4e12 * eff), 1);
	flops = 4.0 * 2048 * (30000 + 1024) * 32 * 128;
	CHECK_NEAR(cost_prefill_attn_ns(&f.c, 2048, 30000),
		   3000 + 1e9 * flops / (989.4e12 * 0.35 * 2048 / (2048 + 256)), 1);
	/* decode: KV bytes / (HBM bw x efficiency) + per-request overhead */
	bytes = 262144.0 * 16384 + 8 * 2 * 32 * 128 * 2;
	CHECK_NEAR(cost_decode_attn_ns(&f.c, 8, 262144, 0),
		   3000 + 8 * 500 + 1e9 * bytes / (4.265e12 * 0.75), 1);
	CHECK_NEAR(cost_decode_attn_ns(&f.c, 8, 262144, 1),
		   3000 + 8 * 500 + 1e9 * bytes / (4.265e12 * 0.55), 1);
	/* selection: 512-B digests + fp32 scores + the queries */
	bytes = 262144.0 * (512 + 8) + 8 * 32 * 128 * 2;
	CHECK_NEAR(cost_select_ns(&f.c, 8, 262144),
		   4500 + 8 * 1000 + 1e9 * bytes / (4.265e12 * 0.5), 1);
	/* per iteration: LM head (weight bound at 8 seqs) + sampler + host */
	bytes = 32000.0 * 4096 * 2 + 8 * (2 * 4096 * 2 + 4 * 32000) +
		8 * 2 * 4096 * 2;
	CHECK_NEAR(cost_iter_fixed_ns(&f.c, 8, 8),
		   3000 + 1e9 * bytes / (4.265e12 * 0.85) +
			   20000 + 8 * 200 + 1e9 * (8 * 4 * 32000.0) / (4.265e12 * 0.5) +
			   126000 + 8 * 4000,
		   1);
	/* misc: elementwise bytes at 70% of the copy rate */
	bytes = 2.0 * (4 * 4096 + 2 * 64 * 128 + 3 * 11008 + 6 * 4096 + 4 * 32 * 128);
	CHECK_NEAR(cost_layer_misc_ns(&f.c, 100),
		   9000 + 1e9 * 100 * bytes / (4.265e12 * 0.7), 1);
	CHECK_EQ_I64(cost_linear_ns(&f.c, 0), 0);
	CHECK_EQ_I64(cost_prefill_attn_ns(&f.c, 0, 100), 0);
	CHECK_EQ_I64(cost_decode_attn_ns(&f.c, 0, 100, 0), 0);
	CHECK_EQ_I64(cost_select_ns(&f.c, 4, 0), 0);
	CHECK_EQ_I64(cost_iter_fixed_ns(&f.c, 0, 0), 0);
	hw_profile_free(f.hw);
}

#define MONO(expr_a, expr_b, what)                                            \
	do {                                                                  \
		int64_t a_ = (expr_a), b_ = (expr_b);                         \
		CHECK_MSG(a_ <= b_ && a_ >= 0, "%s/%s: %s: %" PRId64          \
			  " > %" PRId64 " at %" PRIu64, model, hw, what, a_,  \
			  b_, n);                                             \
	} while (0)

/* the same, allowing the later cost to be up to `tol` (a fraction) less:
 * measured tables interpolate noisy rates, and a model other than the
 * calibrated one maps onto them at other points */
#define MONO_TOL(expr_a, expr_b, what, tol)                                   \
	do {                                                                  \
		int64_t a_ = (expr_a), b_ = (expr_b);                         \
		CHECK_MSG(b_ >= 0 && (double)b_ >= (1 - (tol)) * (double)a_,  \
			  "%s/%s: %s: %" PRId64 " > %" PRId64 " at %" PRIu64, \
			  model, hw, what, a_, b_, n);                        \
	} while (0)

static void mono_one(const char *model, const char *hw)
{
	struct fixture f;
	uint64_t n, next;
	int k;

	setup(&f, model, hw);
	for (n = 1; n < 4000000; n = next) {
		next = n < 64 ? n + 1 : n + n / 7;
		MONO(cost_linear_ns(&f.c, n), cost_linear_ns(&f.c, next), "linear");
		MONO(cost_layer_misc_ns(&f.c, n), cost_layer_misc_ns(&f.c, next), "misc");
		MONO(cost_prefill_attn_ns(&f.c, n, 100), cost_prefill_attn_ns(&f.c, next, 100), "prefill q");
		MONO(cost_prefill_attn_ns(&f.c, 512, n), cost_prefill_attn_ns(&f.c, 512, next), "prefill kv");
		MONO(cost_decode_attn_ns(&f.c, 4, n, 0), cost_decode_attn_ns(&f.c, 4, next, 0), "decode kv");
		/* measured tables (session 7's calibration and the a100-40g
		 * derived from it) may give up to 0.3% less for more work:
		 * 3.699 ms for 1M tokens over 770 requests against 3.701 ms
		 * over 674 (sparse decode, past the grid's 64 requests, its
		 * rates at 1.3k and 1.5k tokens a request differing by
		 * noise); Llama-3.1-70B's selection 39.5 us at 2,555
		 * block-heads against 39.6 at 2,236. Never more. */
		MONO_TOL(cost_decode_attn_ns(&f.c, n, 1000000, 1), cost_decode_attn_ns(&f.c, next, 1000000, 1), "decode batch",
			 f.hw->op[HW_OP_DECODE_ATTN_SPARSE].form == HW_FORM_TABLE ? 0.003 : 0);
		MONO_TOL(cost_select_ns(&f.c, 4, n), cost_select_ns(&f.c, 4, next), "select blocks",
			 f.hw->op[HW_OP_SELECT].form == HW_FORM_TABLE ? 0.003 : 0);
		/* the measured selection kernel is faster with more requests
		 * for the same blocks (it parallelises over requests x heads):
		 * see t_select_exception */
		if (f.hw->op[HW_OP_SELECT].form != HW_FORM_TABLE)
			MONO(cost_select_ns(&f.c, n, 100000), cost_select_ns(&f.c, next, 100000), "select batch");
		MONO(cost_iter_fixed_ns(&f.c, n, n), cost_iter_fixed_ns(&f.c, next, next), "iter seqs");
		MONO(cost_iter_fixed_ns(&f.c, 8, n), cost_iter_fixed_ns(&f.c, 8, next), "iter tokens");
		MONO((int64_t)cost_activation_bytes(&f.c, n), (int64_t)cost_activation_bytes(&f.c, next), "activations");
		for (k = 0; k < XFER_NMECH; k++) {
			enum xfer_mech mech = (enum xfer_mech)k;

			/* per-block copies: the measured rate may fall by up to
			 * ~1% between a 4 MiB and a 16 MiB call (driver noise
			 * the table keeps); a derived link amplifies it, so a
			 * count step may cost up to 0.5% less than the one
			 * before, never more */
			{
				int64_t a_ = cost_transfer_ns(&f.c, mech, 16384, n, 0);
				int64_t b_ = cost_transfer_ns(&f.c, mech, 16384, next, 0);

				CHECK_MSG(a_ >= 0 && (double)a_ <= 1.005 * (double)b_,
					  "%s/%s: %s: %" PRId64 " > %" PRId64
					  " at %" PRIu64, model, hw,
					  xfer_mech_name(mech), a_, b_, n);
			}
			/* the measured batched-memcpy tables are themselves
			 * faster for larger fragments at some counts: see
			 * t_batched_exception (every profile is now measured
			 * or derived from measurements) */
			if (mech == XFER_MEMCPY_BATCH_H2D)
				continue;
			/* same tolerance as above, along the fragment size */
			{
				int64_t a_ = cost_transfer_ns(&f.c, mech, n, 1000, 0);
				int64_t b_ = cost_transfer_ns(&f.c, mech, next, 1000, 0);

				CHECK_MSG(a_ >= 0 && (double)a_ <= 1.005 * (double)b_,
					  "%s/%s: %s by fragment: %" PRId64
					  " > %" PRId64 " at %" PRIu64, model,
					  hw, xfer_mech_name(mech), a_, b_, n);
			}
		}
	}
	hw_profile_free(f.hw);
}

static void t_monotone(void)
{
	size_t i, k;

	for (i = 0; model_names[i]; i++)
		for (k = 0; hw_profile_names[k]; k++)
			mono_one(model_names[i], hw_profile_names[k]);
}

/* The analytic profile's one measured non-monotone segment, kept as
 * measured (docs/profiles.md). */
static void t_batched_exception(void)
{
	struct fixture f;

	setup(&f, "lwm-7b", "h200-analytic");
	CHECK(cost_transfer_ns(&f.c, XFER_MEMCPY_BATCH_H2D, 16384, 1000, 0) <
	      cost_transfer_ns(&f.c, XFER_MEMCPY_BATCH_H2D, 8192, 1000, 0));
	/* in total bytes it is monotone: 16 KiB x 1000 > 8 KiB x 1000 bytes
	 * moved in fewer, larger pieces is the faster way, not a bug */
	CHECK(cost_transfer_ns(&f.c, XFER_MEMCPY_BATCH_H2D, 8192, 2000, 0) >
	      cost_transfer_ns(&f.c, XFER_MEMCPY_BATCH_H2D, 16384, 1000, 0));
	hw_profile_free(f.hw);
}

static void t_compute_share(void)
{
	struct fixture f;

	setup(&f, "lwm-7b", "h200");
	CHECK_NEAR(cost_compute_share(&f.c, XFER_FLASH_H2D, 33), 0.75, 1e-12);
	CHECK_NEAR(cost_compute_share(&f.c, XFER_FLASH_H2D, 0), 1 - 16.0 / 132, 1e-12);
	CHECK_NEAR(cost_compute_share(&f.c, XFER_GPU_SCATTER_D2H, 66), 0.5, 1e-12);
	CHECK_NEAR(cost_compute_share(&f.c, XFER_FLASH_H2D, 500), 0, 0);
	CHECK_NEAR(cost_compute_share(&f.c, XFER_MEMCPY_H2D, 64), 1, 0);
	CHECK_NEAR(cost_compute_share(&f.c, XFER_FLASH_D2H, 64), 1, 0);
	hw_profile_free(f.hw);
}

static void t_fit(void)
{
	struct fixture f;
	struct ss_err e;

	setup(&f, "llama-3.1-70b", "h200");
	CHECK_EQ_I64(cost_check_fit(&f.c, &e), SS_ERANGE);
	CHECK_STR_CONTAINS(e.msg, "model 'llama-3.1-70b' (141.1 GB of weights");
	/* the calibrated h200: device memory as the CUDA runtime reports it */
	CHECK_STR_CONTAINS(e.msg, "does not fit profile 'h200' (135.1 GB usable HBM = 90% of 150.1 GB)");
	hw_profile_free(f.hw);
	setup(&f, "llama-3.1-70b", "gh200");
	CHECK_EQ_I64(cost_check_fit(&f.c, &e), SS_ERANGE);
	hw_profile_free(f.hw);
	setup(&f, "lwm-7b", "a100-40g");
	CHECK_EQ_I64(cost_check_fit(&f.c, &e), 0);
	/* 2048 tokens: 115200 B/token of live tensors + 256 seqs of fp32
	 * logits + the 256 MiB workspace */
	CHECK_EQ_U64(cost_activation_bytes(&f.c, 2048),
		     2048ull * 115200 + 256ull * 32000 * 4 + (256ull << 20));
	hw_profile_free(f.hw);
	setup(&f, "llama-3-8b-262k", "a100-40g");
	CHECK_EQ_I64(cost_check_fit(&f.c, &e), 0);
	hw_profile_free(f.hw);
	setup(&f, "llama-3.1-8b", "h200");
	CHECK_EQ_I64(cost_check_fit(&f.c, &e), 0);
	hw_profile_free(f.hw);
}

/* The a100-40g-paper profile keeps the paper's Fig 4 bounds at 4-32-token
 * blocks. */
static void t_a100_paper_bounds(void)
{
	static const double blk[4] = { 2048, 4096, 8192, 16384 };
	struct fixture f;
	int k;

	setup(&f, "lwm-7b", "a100-40g-paper");
	for (k = 0; k < 4; k++) {
		CHECK(implied_gbs(&f, XFER_FLASH_H2D, blk[k], 4096, 0) > 20);
		CHECK(implied_gbs(&f, XFER_MEMCPY_H2D, blk[k], 4096, 0) < 5);
		CHECK(implied_gbs(&f, XFER_FLASH_D2H, blk[k], 4096, 0) > 23);
		CHECK(implied_gbs(&f, XFER_MEMCPY_D2H, blk[k], 4096, 0) < 6);
	}
	CHECK(implied_gbs(&f, XFER_MEMCPY_H2D, 16384, 4096, 0) < 4);
	hw_profile_free(f.hw);
}

/*
 * The measured selection kernel (calibrated h200) can be faster with more
 * requests for the same blocks: it parallelises over requests x heads, so
 * 98,304 block-heads over 8 requests of Llama-3-8B-262k (the shape it was
 * calibrated on) take 28.1 us and over 4 requests 28.9 us in the session-7
 * calibration (calibrate/results/h200/h200.h5). Kept as measured;
 * t_monotone skips this direction for measured tables.
 */
static void t_select_exception(void)
{
	struct fixture f;

	setup(&f, "llama-3-8b-262k", "h200");
	CHECK(cost_select_ns(&f.c, 8, 98304) < cost_select_ns(&f.c, 4, 98304));
	/* more blocks in total always cost more */
	CHECK(cost_select_ns(&f.c, 4, 4 * 49152) > cost_select_ns(&f.c, 2, 2 * 49152));
	hw_profile_free(f.hw);
}

/*
 * The calibrated h200's prefill is the waves form (model/profile.h): the
 * kernel's CTAs counted from the simulated model's query heads, in rounds
 * of 2 per SM on 132 SMs, 128 query rows per CTA.
 */
static void t_prefill_waves(void)
{
	static const char *const models[] = { "lwm-7b", "llama-3.1-70b" };
	struct fixture f;
	const struct hw_op *op;
	double fx, rk, tk, rn, tn;

	setup(&f, "lwm-7b", "h200");
	op = &f.hw->op[HW_OP_PREFILL_ATTN];
	CHECK_EQ_I64(op->form, HW_FORM_WAVES);
	CHECK_NEAR(op->tile_q.v, 128, 0);
	CHECK_NEAR(op->ctas_per_sm.v, 2, 0);
	CHECK_NEAR(op->wave_sms.v, 132, 0);
	fx = op->fixed_ns.v;
	rk = op->round_key_ns.v;
	tk = op->tail_key_ns.v;
	rn = op->round_ns.v;
	tn = op->tail_ns.v;
	/* 32 heads, 768 queries after 8192: 6 x 32 = 192 CTAs, 2 on the
	 * busiest SM, one full round whose longest tile sees 8960 keys */
	CHECK_NEAR(cost_prefill_attn_ns(&f.c, 768, 8192), fx + rn + 8960 * rk, 1);
	/* 1536 queries alone: 384 CTAs, 3 per SM: a full round (1536 keys)
	 * and a partial one whose longest tile is 1056 rows (8.25 tiles of
	 * each head per round) further back: 480 keys */
	CHECK_NEAR(cost_prefill_attn_ns(&f.c, 1536, 0),
		   fx + rn + tn + 1536 * rk + 480 * tk, 1);
	/* 512 queries: 128 CTAs, one per SM, a partial round */
	CHECK_NEAR(cost_prefill_attn_ns(&f.c, 512, 1000), fx + tn + 1512 * tk, 1);
	hw_profile_free(f.hw);
	/* 64 heads: 768 CTAs, 6 per SM, three full rounds of 528 rows */
	setup(&f, "llama-3.1-70b", "h200");
	CHECK_NEAR(cost_prefill_attn_ns(&f.c, 1536, 0),
		   fx + 3 * rn + (1536 + 1008 + 480) * rk, 1);
	hw_profile_free(f.hw);
	/* never falls when a query or an earlier key is added, across every
	 * round boundary (the coarse steps of t_monotone skip most) */
	for (size_t i = 0; i < SS_ARRAY_SIZE(models); i++) {
		const char *model = models[i], *hw = "h200";
		uint64_t n;

		setup(&f, model, hw);
		for (n = 1; n < 20000; n++) {
			MONO(cost_prefill_attn_ns(&f.c, n, 0),
			     cost_prefill_attn_ns(&f.c, n + 1, 0), "prefill q");
			MONO(cost_prefill_attn_ns(&f.c, n, 30000),
			     cost_prefill_attn_ns(&f.c, n + 1, 30000), "prefill q");
			MONO(cost_prefill_attn_ns(&f.c, 700, n),
			     cost_prefill_attn_ns(&f.c, 700, n + 1), "prefill kv");
		}
		hw_profile_free(f.hw);
	}
}

/* Bytes of one decode attention call (docs/profiles.md). */
static double decode_bytes(const struct model *m, double b, double n)
{
	return b * n * (double)m->kv_bytes_per_token_layer +
	       2.0 * b * m->heads * m->head_dim * m->dtype_bytes;
}

/*
 * The decode attention kernels' efficiency follows the (request x KV head)
 * rows, not the requests (session 6 on the H200: Llama-3-8B, 8 KV heads, at
 * batch 4b takes 0.92-1.07x the time of LWM-7B, 32, at batch b). A table
 * fitted on 32 KV heads (fit_kv_heads) gives the 8-head model at batch 4
 * the rate (time per byte, after the per-call and per-item costs) of the
 * 32-head model at batch 1; without the key the batch is the requests, as
 * before, bit for bit.
 */
static void t_decode_kv_heads_scaling(void)
{
	static const double dense_n[] = { 1024, 3000, 8192, 40000, 131072,
					  300000 };
	static const double sparse_n[] = { 128, 300, 1024, 5000, 8192, 20000 };
	static const double B[] = { 1, 2, 3, 4, 16, 64 };
	struct fixture lwm, llama;
	struct ss_err e = { 0 };

	setup(&lwm, "lwm-7b", "h200");
	setup(&llama, "llama-3-8b-262k", "h200");
	CHECK_EQ_U64(lwm.m.kv_heads, 32);
	CHECK_EQ_U64(llama.m.kv_heads, 8);
	for (int sparse = 0; sparse < 2; sparse++) {
		enum hw_op_id id = sparse ? HW_OP_DECODE_ATTN_SPARSE
					  : HW_OP_DECODE_ATTN;
		const double *N = sparse ? sparse_n : dense_n;
		struct hw_op *ol = &llama.hw->op[id], *ow = &lwm.hw->op[id];
		int64_t old4[6], oldw[6];
		double ovh4; /* old4's per-call and per-item costs */

		/* the shipped h200 was measured on Llama-3-8B-262k's shape:
		 * for Llama the scaling is the identity, bit for bit */
		CHECK_NEAR(ol->fit_kv_heads.v, 8, 0);
		for (size_t ib = 0; ib < SS_ARRAY_SIZE(B); ib++)
			for (size_t i = 0; i < 6; i++) {
				double b = B[ib], n = N[i];

				CHECK_EQ_I64(cost_decode_attn_ns(&llama.c, (uint64_t)b,
								 (uint64_t)(b * n), sparse),
					     llround(hw_op_ns(ol, n, 0, 0,
							      decode_bytes(&llama.m, b, n),
							      b)));
			}
		/* without the key the batch is the requests */
		ol->fit_kv_heads.v = 0;
		ow->fit_kv_heads.v = 0;
		ovh4 = ol->fixed_ns.v + 4 * ol->per_item_ns.v;
		for (size_t i = 0; i < 6; i++) {
			old4[i] = cost_decode_attn_ns(&llama.c, 4, (uint64_t)(4 * N[i]),
						      sparse);
			oldw[i] = cost_decode_attn_ns(&lwm.c, 1, (uint64_t)N[i],
						      sparse);
		}
		/* fitted on 32 KV heads, with per-call and per-item costs */
		for (int k = 0; k < 2; k++) {
			struct hw_op *o = k ? ow : ol;

			o->fit_kv_heads.v = 32;
			o->fixed_ns.v = 2000;
			o->per_item_ns.v = 1000;
		}
		CHECK_MSG(hw_profile_validate(llama.hw, "llama", &e) == 0, "%s", e.msg);
		CHECK_MSG(hw_profile_validate(lwm.hw, "lwm", &e) == 0, "%s", e.msg);
		for (size_t i = 0; i < 6; i++) {
			double n = N[i], tl, tw, tl4;

			/* the measured shape: the identity */
			CHECK_EQ_I64(cost_decode_attn_ns(&lwm.c, 1, (uint64_t)n, sparse),
				     oldw[i] + 3000);
			/* 8 heads x 4 requests = 32 heads x 1 request */
			tl = (double)cost_decode_attn_ns(&llama.c, 4, (uint64_t)(4 * n),
							 sparse) - 3000;
			tw = (double)cost_decode_attn_ns(&lwm.c, 1, (uint64_t)n,
							 sparse) - 3000;
			CHECK_REL(tl / decode_bytes(&llama.m, 4, n),
				  tw / decode_bytes(&lwm.m, 1, n), 1e-4);
			tl4 = tl;
			/* ... and 16 x 8 = 4 x 32 */
			tl = (double)cost_decode_attn_ns(&llama.c, 16, (uint64_t)(16 * n),
							 sparse) - 2000 - 4 * 1000;
			tw = (double)cost_decode_attn_ns(&lwm.c, 4, (uint64_t)(4 * n),
							 sparse) - 2000 - 4 * 1000;
			CHECK_REL(tl / decode_bytes(&llama.m, 16, n),
				  tw / decode_bytes(&lwm.m, 4, n), 1e-4);
			/* without the key, batch 4 of 8 heads got the table's
			 * batch-4 rate; fitted on 32 heads it gets the batch-1
			 * rate (the same 32 rows), slower per byte up to long
			 * contexts (each side less its own per-call and
			 * per-item costs) */
			CHECK_MSG((double)old4[i] - ovh4 < tl4 * 0.98 || n >= 100000,
				  "%s n %g: %g vs %g", hw_op_name(id), n,
				  (double)old4[i] - ovh4, tl4);
		}
	}
	hw_profile_free(lwm.hw);
	hw_profile_free(llama.hw);
}

/*
 * cost.gpu_scale (hw_profile.gpu_scale): every GPU time scales by it (to
 * the rounding of one ns), the host's and the link's do not; 0 is 1.
 */
static void t_gpu_scale(void)
{
	struct fixture f;
	int64_t base[8], host = 0, xfer = 0, tail = 0;
	const double k = 0.97;

	setup(&f, "llama-3-8b-262k", "h200-live");
	CHECK(cost_has_exec(&f.c));
	for (int pass = 0; pass < 2; pass++) {
		int64_t t[8];

		f.hw->gpu_scale = pass ? k : 0;
		t[0] = cost_linear_ns(&f.c, 700);
		t[1] = cost_layer_misc_ns(&f.c, 700);
		t[2] = cost_prefill_attn_ns(&f.c, 2048, 4096);
		t[3] = cost_decode_attn_ns(&f.c, 6, 6 * 2048, 1);
		t[4] = cost_decode_attn_ns(&f.c, 3, 3 * 30000, 0);
		t[5] = cost_select_ns(&f.c, 6, 6 * 300 * 8);
		t[6] = cost_exec_layer_ns(&f.c, 6, 1, 0, 0, 1);
		t[7] = cost_iter_fixed_ns(&f.c, 6, 6) -
		       llround(hw_op_ns(&f.hw->op[HW_OP_HOST], 6, 0, 0, 0, 6));
		for (int i = 0; i < 8; i++) {
			CHECK_MSG(t[i] > 1000, "cost %d: %lld ns", i, (long long)t[i]);
			if (!pass)
				base[i] = t[i];
			else
				CHECK_MSG(llabs(t[i] - llround(k * (double)base[i])) <= 2,
					  "cost %d: %lld ns at scale %g, %lld at 1", i,
					  (long long)t[i], k, (long long)base[i]);
		}
		if (!pass) {
			host = cost_exec_host_ns(&f.c, 6, 0, 5000, 30, 1, 6);
			xfer = cost_transfer_ns(&f.c, XFER_FLASH_H2D, 16384, 1000, 16);
			tail = cost_exec_prefill_tail_ns(&f.c);
		}
	}
	CHECK_EQ_I64(cost_exec_host_ns(&f.c, 6, 0, 5000, 30, 1, 6), host);
	CHECK_EQ_I64(cost_transfer_ns(&f.c, XFER_FLASH_H2D, 16384, 1000, 16), xfer);
	CHECK_EQ_I64(cost_exec_prefill_tail_ns(&f.c), tail);
	hw_profile_free(f.hw);
}

static const struct th_case cases[] = {
	TH_CASE(t_gpu_scale),
	TH_CASE(t_h200_tables),
	TH_CASE(t_transfer_closed_form),
	TH_CASE(t_compute_closed_form),
	TH_CASE(t_monotone),
	TH_CASE(t_batched_exception),
	TH_CASE(t_select_exception),
	TH_CASE(t_prefill_waves),
	TH_CASE(t_decode_kv_heads_scaling),
	TH_CASE(t_compute_share),
	TH_CASE(t_fit),
	TH_CASE(t_a100_paper_bounds),
	{ 0 },
};

int main(int argc, char **argv) { return th_main(argc, argv, cases); }
