/*
 * test_calibrate.c - calibrate/ on the CPU: fits recover known
 * coefficients and pick the right form; the HDF5 calibration file round
 * trips byte for byte and every bad file says what is wrong; the
 * simulator's cost under a calibrated profile equals the profile's own
 * prediction (every op, and one request end to end); the report's CSV;
 * what-if derivation; the CLI's no-GPU and usage paths.
 *
 * Synthetic runs are built from a known model (the shipped h200 profile's
 * own ops, or closed forms) with seeded noise, so nothing here needs a GPU.
 */
#include <gsl/gsl_rng.h>
#include <hdf5.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "calibrate/calibrate.h"
#include "harness.h"
#include "model/cost.h"
#include "model/model.h"
#include "model/profile.h"
#include "sim/sim.h"
#include "traces/trace.h"

/* ---- helpers -------------------------------------------------------------- */

static void tmp_path(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "/tmp/ss_test_calibrate_%d_%s", (int)getpid(), name);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	CHECK_MSG(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	CHECK(buf != NULL);
	CHECK_EQ_I64(fread(buf, 1, (size_t)n, f), n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void copy_file(const char *from, const char *to, size_t limit)
{
	size_t n;
	char *b = slurp(from, &n);
	FILE *f = fopen(to, "wb");

	CHECK(f != NULL);
	if (limit && limit < n)
		n = limit;
	CHECK_EQ_U64(fwrite(b, 1, n, f), n);
	fclose(f);
	free(b);
}

static void add(struct cal_op_data *d, uint32_t pt, uint32_t rep, double x,
		double y, double items, double flops, double bytes, double t)
{
	struct cal_sample s = { .point = pt, .rep = rep, .p = { x, y, items },
				.x = x, .y = y, .items = items, .flops = flops,
				.bytes = bytes, .t_ns = t };
	struct ss_err err;

	CHECK_MSG(cal_op_add(d, &s, &err) == 0, "%s", err.msg);
}

/* A prefill sample: p = (q, earlier KV), the cost model's work for 32
 * query heads of 128 dimensions. */
static void add_prefill(struct cal_op_data *d, uint32_t pt, uint32_t rep,
			double q, double kv, double t)
{
	struct cal_sample s = { .point = pt, .rep = rep, .p = { q, kv, 0 },
				.x = q, .items = 1,
				.flops = 4.0 * 32 * 128 * q * (kv + q / 2),
				.bytes = (kv + q) * 16384 + q * 16384,
				.t_ns = t };
	struct ss_err err;

	CHECK_MSG(cal_op_add(d, &s, &err) == 0, "%s", err.msg);
}

/* The rounds of a prefill grid counted one by one (the closed form in
 * hw_waves_terms is checked against this). */
static void rounds_by_hand(double q, double kv, double heads, double *full,
			   double *tail, double *fkeys, double *tkeys)
{
	double n = ceil(q / 128) * heads, L = ceil(n / 132);
	double g = 128.0 * 132 * 2 / heads, kmin = kv + fmin(q, 128);

	*full = floor(L / 2);
	*tail = fmod(L, 2);
	*fkeys = 0;
	for (double i = 0; i < *full; i++)
		*fkeys += fmax(kmin, kv + q - i * g);
	*tkeys = *tail * fmax(kmin, kv + q - *full * g);
}

static const struct cal_grid h200_grid = { .tile_q = 128, .ctas_per_sm = 2,
					   .sms = 132, .heads = 32,
					   .model = "lwm-7b" };

/* ---- fitting on closed forms --------------------------------------------- */

/* FLOP-counted op: t = 3 us + F / 600 TFLOP/s + F*256/(x * 600 TFLOP/s). */
static void t_fit_lsq_recovers_roofline(void)
{
	static const double qs[] = { 64, 128, 256, 512, 1024, 2048, 4096,
				     8192, 16384, 32768 };
	static const double kvs[] = { 0, 4096, 16384 };
	const double peak = 600e12, half = 256, fixed = 3000;
	struct cal_op_data d = { .measured = 1 };
	gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
	struct hw_op op;
	struct ss_err err;
	uint32_t pt = 0;

	gsl_rng_set(g, 7);
	for (size_t i = 0; i < SS_ARRAY_SIZE(qs); i++)
		for (size_t j = 0; j < SS_ARRAY_SIZE(kvs); j++, pt++) {
			double F = 4.0 * 32 * 128 * qs[i] * (kvs[j] + qs[i] / 2);
			double t = fixed + 1e9 * F * (qs[i] + half) / (peak * qs[i]);

			for (uint32_t r = 0; r < 5; r++)
				add(&d, pt, r, qs[i], 0, 1, F, 0,
				    t * (1 + 0.004 * (gsl_rng_uniform(g) - 0.5)));
		}
	CHECK_MSG(cal_fit_op(HW_OP_PREFILL_ATTN, &d, "test", &op, &err) == 0,
		  "%s", err.msg);
	CHECK_EQ_I64(d.fit.method, CAL_LSQ);
	CHECK_EQ_I64(op.form, HW_FORM_ROOFLINE);
	CHECK_REL(op.flops_peak.v, peak, 0.01);
	CHECK_REL(op.eff_half_x.v, half, 0.05);
	CHECK_REL(op.fixed_ns.v, fixed, 0.05);
	CHECK_EQ_U64(d.fit.n_points, 30);
	CHECK_EQ_U64(d.fit.n_test, 9); /* x columns 1, 4, 7 of 10 */
	CHECK_MSG(d.fit.mape_pct < 0.5, "held-out MAPE %g%%", d.fit.mape_pct);
	CHECK_STR_CONTAINS(op.flops_peak.src, "measured: calibrate least squares");
	free(d.s);
	gsl_rng_free(g);
}

/* Byte-counted op with items: t = 2 us + 0.5 us * B + bytes / 3 TB/s. */
static void t_fit_lsq_recovers_bytes_and_items(void)
{
	static const double B[] = { 1, 4, 16, 64 };
	static const double ctx[] = { 1024, 2048, 4096, 8192, 16384, 32768 };
	struct cal_op_data d = { .measured = 1 };
	struct hw_op op;
	struct ss_err err;
	uint32_t pt = 0;

	for (size_t i = 0; i < SS_ARRAY_SIZE(B); i++)
		for (size_t j = 0; j < SS_ARRAY_SIZE(ctx); j++, pt++) {
			double bytes = B[i] * ctx[j] * 16384 + B[i] * 16384;
			double t = 2000 + 500 * B[i] + bytes / 3e12 * 1e9;

			add(&d, pt, 0, ctx[j], 0, B[i], 0, bytes, t);
		}
	CHECK_MSG(cal_fit_op(HW_OP_DECODE_ATTN, &d, "test", &op, &err) == 0,
		  "%s", err.msg);
	CHECK_EQ_I64(d.fit.method, CAL_LSQ);
	CHECK_REL(op.bytes_bw.v, 3e12, 1e-6);
	CHECK_REL(op.per_item_ns.v, 500, 1e-4);
	CHECK_REL(op.fixed_ns.v, 2000, 1e-4);
	CHECK_MSG(d.fit.mape_pct < 1e-6, "MAPE %g%%", d.fit.mape_pct);
	CHECK_NEAR(d.fit.coef[1], 500, 0.05);
	free(d.s);
}

/*
 * A copy kernel whose rate depends on SMs and saturates at the link (a
 * knee): no roofline fits it, the interpolated table does.
 */
static void t_fit_picks_table_for_knee(void)
{
	static const double f[] = { 2048, 4096, 8192, 16384, 32768, 65536,
				    262144, 1048576 };
	static const double sms[] = { 4, 8, 16, 32, 64, 132 };
	struct cal_op_data d = { .measured = 1 };
	struct hw_op op;
	struct ss_err err;
	uint32_t pt = 0;

	for (size_t i = 0; i < SS_ARRAY_SIZE(f); i++)
		for (size_t j = 0; j < SS_ARRAY_SIZE(sms); j++, pt++) {
			double count = 64.0 * 1048576 / f[i];
			double rate = fmin(sms[j] * 0.9e9 * pow(f[i] / 4096, 0.8),
					   51e9);
			double t = 4000 + 1e9 * f[i] * count / rate;

			add(&d, pt, 0, f[i], sms[j], count, 0, f[i] * count, t);
		}
	CHECK_MSG(cal_fit_op(HW_OP_XFER0 + XFER_FLASH_H2D, &d, "test", &op,
			     &err) == 0, "%s", err.msg);
	CHECK(d.fit.method != CAL_LSQ);
	CHECK_EQ_I64(op.form, HW_FORM_TABLE);
	CHECK_EQ_U64(op.nx, 8);
	CHECK_EQ_U64(op.ny, 6);
	CHECK_MSG(d.fit.table_mape_pct < 5 && d.fit.table_mape_pct < d.fit.lsq_mape_pct,
		  "table %g%% vs lsq %g%%", d.fit.table_mape_pct,
		  d.fit.lsq_mape_pct);
	/* at a measured cell the table reproduces the measurement */
	CHECK_REL(hw_op_ns(&op, 16384, 16, 0, 64.0 * 1048576, 4096),
		  d.s[3 * 6 + 2].t_ns, 0.01);
	free(d.s);
}

/* Exactly affine data (per-block memcpy): least squares, ~0 error. */
static void t_fit_picks_lsq_for_affine(void)
{
	static const double f[] = { 2048, 4096, 8192, 16384, 32768, 65536 };
	static const double n[] = { 64, 4096 };
	struct cal_op_data d = { .measured = 1 };
	struct hw_op op;
	struct ss_err err;
	uint32_t pt = 0;

	for (size_t i = 0; i < SS_ARRAY_SIZE(f); i++)
		for (size_t j = 0; j < SS_ARRAY_SIZE(n); j++, pt++)
			add(&d, pt, 0, f[i], 0, n[j], 0, f[i] * n[j],
			    2000 + 2800 * n[j] + f[i] * n[j] / 55e9 * 1e9);
	CHECK_MSG(cal_fit_op(HW_OP_XFER0 + XFER_MEMCPY_H2D, &d, "test", &op,
			     &err) == 0, "%s", err.msg);
	CHECK_EQ_I64(d.fit.method, CAL_LSQ);
	CHECK_REL(op.per_item_ns.v, 2800, 1e-6);
	CHECK_REL(op.bytes_bw.v, 55e9, 1e-6);
	CHECK(d.fit.lsq_mape_pct < 1e-6);
	CHECK(d.fit.table_mape_pct > d.fit.lsq_mape_pct);
	free(d.s);
}

/*
 * Prefill-like data, time affine in the earlier KV at each query length
 * with known non-smooth coefficients: t = a(q) + F b(q). The columns form
 * wins and stores a(q) and 1/b(q) at the grid's q exactly.
 */
static double col_a(double q) { return 3000 + 2.0 * q + (q > 700 ? 20000 : 0); }
static double col_b(double q) { return 1e-6 * (2.5 + 1.5 * 512 / (q + 512)); }

static void t_fit_columns_recovers_per_x_coefficients(void)
{
	static const double q[] = { 128, 192, 256, 384, 512, 768, 1024, 1536,
				    2048 };
	static const double kv[] = { 0, 2048, 8192, 32768 };
	/* the kernel's grid is known, so waves is tried too (and loses) */
	struct cal_op_data d = { .measured = 1, .grid = h200_grid };
	struct hw_op op;
	struct ss_err err;
	uint32_t pt = 0;

	for (size_t i = 0; i < SS_ARRAY_SIZE(q); i++)
		for (size_t j = 0; j < SS_ARRAY_SIZE(kv); j++, pt++) {
			double fl = 4.0 * 4096 * q[i] * (kv[j] + q[i] / 2);

			add_prefill(&d, pt, 0, q[i], kv[j],
				    col_a(q[i]) + fl * col_b(q[i]));
		}
	CHECK_MSG(cal_fit_op(HW_OP_PREFILL_ATTN, &d, "test", &op, &err) == 0,
		  "%s", err.msg);
	CHECK_MSG(d.fit.method == CAL_COLUMNS, "method %s",
		  cal_method_name(d.fit.method));
	CHECK_EQ_I64(op.form, HW_FORM_TABLE);
	CHECK(op.has_fixed_x && op.below_rate);
	CHECK_EQ_U64(op.nx, SS_ARRAY_SIZE(q));
	for (size_t i = 0; i < SS_ARRAY_SIZE(q); i++) {
		CHECK_REL(op.fixed_x[i], col_a(q[i]), 1e-6);
		CHECK_REL(op.rate[0][i] * op.unit_scale, 1e9 / col_b(q[i]), 1e-6);
	}
	/* between grid points: at 1024 with 5000 earlier tokens, within the
	 * coefficients' interpolation (held-out error < 5%) */
	CHECK(d.fit.mape_pct < 5);
	free(d.s);
}

/*
 * Prefill data made by the waves form with known coefficients over the
 * calibration's grid (15 query lengths x 4 earlier KV): the waves fit is
 * chosen over lsq and columns and recovers every coefficient; with +-1%
 * noise it still predicts the held-out columns within 2%.
 */
static void t_fit_waves_recovers_rounds(void)
{
	static const double q[] = { 128, 192, 256, 384, 512, 768, 1024, 1536,
				    2048, 3072, 4096, 6144, 8192, 12288,
				    16384 };
	static const double kv[] = { 0, 2048, 8192, 32768 };
	const double fx = 7000, rn = 900, tn = 400, rk = 34, tk = 23.5;
	gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);

	gsl_rng_set(g, 11);
	for (int noisy = 0; noisy < 2; noisy++) {
		struct cal_op_data d = { .measured = 1, .grid = h200_grid };
		struct hw_op op;
		struct ss_err err;
		uint32_t pt = 0;

		for (size_t i = 0; i < SS_ARRAY_SIZE(q); i++)
			for (size_t j = 0; j < SS_ARRAY_SIZE(kv); j++, pt++) {
				double R, r, A, B, t;

				rounds_by_hand(q[i], kv[j], 32, &R, &r, &A, &B);
				t = fx + R * rn + r * tn + A * rk + B * tk;
				for (uint32_t k = 0; k < 3; k++)
					add_prefill(&d, pt, k, q[i], kv[j],
						    t * (noisy ? 1 + 0.02 * (gsl_rng_uniform(g) - 0.5) : 1));
			}
		CHECK_MSG(cal_fit_op(HW_OP_PREFILL_ATTN, &d, "test", &op, &err) == 0,
			  "%s", err.msg);
		CHECK_MSG(d.fit.method == CAL_WAVES, "method %s",
			  cal_method_name(d.fit.method));
		CHECK_EQ_I64(op.form, HW_FORM_WAVES);
		CHECK(d.fit.lsq_mape_pct > 2 * d.fit.mape_pct);
		if (!noisy) {
			CHECK(d.fit.mape_pct < 1e-6);
			CHECK_REL(op.fixed_ns.v, fx, 1e-6);
			CHECK_REL(op.round_ns.v, rn, 1e-6);
			CHECK_REL(op.tail_ns.v, tn, 1e-6);
			CHECK_REL(op.round_key_ns.v, rk, 1e-6);
			CHECK_REL(op.tail_key_ns.v, tk, 1e-6);
		} else {
			CHECK_MSG(d.fit.mape_pct < 2, "held-out MAPE %g",
				  d.fit.mape_pct);
			CHECK_REL(op.round_key_ns.v, rk, 0.03);
			CHECK_REL(op.tail_key_ns.v, tk, 0.03);
		}
		CHECK_NEAR(op.tile_q.v, 128, 0);
		CHECK_NEAR(op.ctas_per_sm.v, 2, 0);
		CHECK_NEAR(op.wave_sms.v, 132, 0);
		CHECK_NEAR(op.fit_heads.v, 32, 0);
		CHECK_STR_CONTAINS(op.tile_q.src, "prefill_attn_sm90a.cu");
		free(d.s);
	}
	gsl_rng_free(g);
	/* the closed form equals the rounds counted one by one, for other
	 * head counts and shapes off the grid too */
	{
		struct hw_op op = { .form = HW_FORM_WAVES };

		op.fixed_ns.v = fx;
		op.round_ns.v = rn;
		op.tail_ns.v = tn;
		op.round_key_ns.v = rk;
		op.tail_key_ns.v = tk;
		op.tile_q.v = 128;
		op.ctas_per_sm.v = 2;
		op.wave_sms.v = 132;
		for (double heads = 1; heads <= 256; heads *= 2)
			for (double qq = 1; qq < 300000; qq = ceil(qq * 1.37))
				for (double kk = 0; kk < 200000; kk = kk * 7 + 333) {
					double R, r, A, B;

					rounds_by_hand(qq, kk, heads, &R, &r, &A, &B);
					CHECK_REL(hw_op_prefill_ns(&op, qq, kk, heads, 0, 0),
						  fx + R * rn + r * tn + A * rk + B * tk,
						  1e-9);
				}
	}
}

/*
 * Decode-like data whose rate depends on the batch beyond the work (a
 * batch of 1 fills few SMs): t = W / r(x, B). table-2d (y_axis items)
 * captures it; a one-row table cannot.
 */
static double dec_rate(double x, double b)
{
	return 4e12 * (b * x / (b * x + 65536.0)) * (0.6 + 0.4 * x / (x + 8192));
}

static const double dec_B[] = { 1, 2, 4, 8, 16, 32, 64 };

/* The dec_rate grid over context and batch into `d`. */
static void add_dec_grid(struct cal_op_data *d)
{
	static const double ctx[] = { 1024, 1536, 2048, 3072, 4096, 6144, 8192,
				      12288, 16384, 24576, 32768 };
	uint32_t pt = 0;

	for (size_t j = 0; j < SS_ARRAY_SIZE(dec_B); j++)
		for (size_t i = 0; i < SS_ARRAY_SIZE(ctx); i++, pt++) {
			double w = 16384.0 * dec_B[j] * ctx[i];

			add(d, pt, 0, ctx[i], 0, dec_B[j], 0, w,
			    1e9 * w / dec_rate(ctx[i], dec_B[j]));
		}
}

static void t_fit_table2d_over_batch(void)
{
	struct cal_op_data d = { .measured = 1 };
	struct hw_op op;
	struct ss_err err;

	add_dec_grid(&d);
	CHECK_MSG(cal_fit_op(HW_OP_DECODE_ATTN, &d, "test", &op, &err) == 0,
		  "%s", err.msg);
	CHECK_MSG(d.fit.method == CAL_TABLE_2D, "method %s",
		  cal_method_name(d.fit.method));
	CHECK_EQ_I64(op.yaxis, HW_Y_ITEMS);
	CHECK_EQ_U64(op.ny, SS_ARRAY_SIZE(dec_B));
	CHECK_MSG(d.fit.mape_pct < 2, "table-2d %g%%", d.fit.mape_pct);
	/* at a grid cell: the measurement */
	CHECK_REL(hw_op_ns(&op, 4096, 0, 0, 16384.0 * 8 * 4096, 8),
		  1e9 * 16384.0 * 8 * 4096 / dec_rate(4096, 8), 1e-9);
	/* a request longer than the grid counts as more requests of the
	 * longest: 1 x 65536 costs what 2 x 32768 do */
	CHECK_REL(hw_op_ns(&op, 65536, 0, 0, 16384.0 * 65536, 1),
		  hw_op_ns(&op, 32768, 0, 0, 16384.0 * 65536, 2), 1e-12);
	free(d.s);
}

/*
 * A decode attention table records the KV heads of the shape measured
 * (fit_kv_heads, from the run's model: cal_run_grid), for which the cost
 * function's batch scaling is the identity: the scores, the table and the
 * held-out predictions are those of the fit without it, bit for bit. Not
 * on a roofline (lsq) nor on another op's table.
 */
static void t_fit_sets_fit_kv_heads(void)
{
	static const struct cal_grid lwm = { .heads = 32, .kv_heads = 32,
					     .model = "lwm-7b" };
	struct cal_op_data d = { .measured = 1 }, d0;
	struct hw_op op, op0;
	struct ss_err err;
	double m0[80], m1[80], p0[80], p1[80], x0[80], x1[80];
	int h0[80], h1[80];
	size_t n0, n1;
	uint32_t pt = 0;

	add_dec_grid(&d);
	CHECK(d.n <= SS_ARRAY_SIZE(m0));
	for (int sparse = 0; sparse < 2; sparse++) {
		enum hw_op_id id = sparse ? HW_OP_DECODE_ATTN_SPARSE
					  : HW_OP_DECODE_ATTN;

		d.grid = (struct cal_grid){ 0 };
		CHECK_MSG(cal_fit_op(id, &d, "test", &op0, &err) == 0, "%s",
			  err.msg);
		CHECK_NEAR(op0.fit_kv_heads.v, 0, 0);
		d0 = d;
		CHECK_EQ_I64(cal_fit_predictions(id, &d, m0, p0, h0, x0, &n0,
						 &err), 0);
		d.grid = lwm;
		CHECK_MSG(cal_fit_op(id, &d, "test", &op, &err) == 0, "%s",
			  err.msg);
		CHECK_EQ_I64(op.form, HW_FORM_TABLE);
		CHECK_NEAR(op.fit_kv_heads.v, 32, 0);
		CHECK_STR_CONTAINS(op.fit_kv_heads.src, "model shape measured: lwm-7b");
		CHECK(!memcmp(&d.fit, &d0.fit, sizeof(d.fit)));
		CHECK(!memcmp(op.rate, op0.rate, sizeof(op.rate)));
		CHECK(!memcmp(op.y, op0.y, sizeof(op.y)));
		CHECK_EQ_I64(cal_fit_predictions(id, &d, m1, p1, h1, x1, &n1,
						 &err), 0);
		CHECK_EQ_U64(n1, n0);
		CHECK(!memcmp(p1, p0, n0 * sizeof(double)));
		/* the stored op evaluates every grid point as the fit did */
		for (size_t i = 0; i < d.n; i++)
			CHECK_EQ_I64(llround(hw_op_ns(&op, d.s[i].x, 0, 0, d.s[i].bytes,
						      hw_op_decode_batch(&op, d.s[i].items, 32))),
				     llround(hw_op_ns(&op0, d.s[i].x, 0, 0, d.s[i].bytes,
						      d.s[i].items)));
	}
	/* select's efficiency does not follow the rows: no key */
	CHECK_MSG(cal_fit_op(HW_OP_SELECT, &d, "test", &op, &err) == 0, "%s",
		  err.msg);
	CHECK_EQ_I64(op.form, HW_FORM_TABLE);
	CHECK_NEAR(op.fit_kv_heads.v, 0, 0);
	free(d.s);
	/* an affine decode (lsq, a roofline): no key */
	memset(&d, 0, sizeof(d));
	d.measured = 1;
	for (double b = 1; b <= 64; b *= 4)
		for (double n = 1024; n <= 32768; n *= 2, pt++) {
			double bytes = b * n * 16384 + b * 16384;

			add(&d, pt, 0, n, 0, b, 0, bytes,
			    2000 + 500 * b + bytes / 3e12 * 1e9);
		}
	d.grid = lwm;
	CHECK_MSG(cal_fit_op(HW_OP_DECODE_ATTN, &d, "test", &op, &err) == 0,
		  "%s", err.msg);
	CHECK_EQ_I64(op.form, HW_FORM_ROOFLINE);
	CHECK_NEAR(op.fit_kv_heads.v, 0, 0);
	free(d.s);
}

/*
 * A grid point is the mean of its repetitions, not the median: the
 * simulator sums expected costs, and a bimodal op's median jumps between
 * its modes (bulk copies of 4-512 KiB: 5 or 12 us, session 6).
 */
static void t_fit_point_is_the_mean(void)
{
	static const double reps[3] = { 100, 100, 400 };
	struct cal_op_data d = { .measured = 1 };
	double meas[8], pred[8], xs[8];
	int held[8];
	size_t n = 0;
	struct hw_op op;
	struct ss_err err;

	for (uint32_t i = 0; i < 4; i++)
		for (uint32_t r = 0; r < 3; r++)
			add(&d, i, r, 4096.0 * (i + 1), 0, 1, 0,
			    4096.0 * (i + 1), i == 2 ? reps[r] : 100.0 * (i + 1));
	CHECK_MSG(cal_fit_op(HW_OP_XFER0 + XFER_BULK_H2D, &d, "test", &op,
			     &err) == 0,
		  "%s", err.msg);
	CHECK_MSG(cal_fit_predictions(HW_OP_XFER0 + XFER_BULK_H2D, &d, meas,
				      pred, held, xs, &n, &err) == 0,
		  "%s", err.msg);
	CHECK_EQ_U64(n, 4);
	CHECK_REL(meas[2], 200, 1e-12); /* the median would be 100 */
	CHECK_REL(meas[0], 100, 1e-12);
	free(d.s);
}

/* A dip in the measured means does not make the model's time fall. */
static void t_fit_tables_are_monotone(void)
{
	static const double tok[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512,
				      1024, 2048, 4096, 8192 };
	/* flat below a knee at 256 tokens, then linear; two dips */
	static const double dip[] = { 1, 0.93, 1, 1, 1, 1, 1, 1, 1, 1, 0.9, 1,
				      1, 1 };
	struct cal_op_data d = { .measured = 1 };
	struct hw_op op;
	struct ss_err err;

	double prev = 0;

	for (size_t i = 0; i < SS_ARRAY_SIZE(tok); i++)
		add(&d, (uint32_t)i, 0, tok[i], 0, 1, 0, 1e5 * tok[i],
		    fmax(10000, 40 * tok[i]) * dip[i]);
	CHECK_MSG(cal_fit_op(HW_OP_LAYER_MISC, &d, "test", &op, &err) == 0,
		  "%s", err.msg);
	CHECK_MSG(op.form == HW_FORM_TABLE, "method %s",
		  cal_method_name(d.fit.method));
	for (double x = 0.5; x < 20000; x *= 1.1) {
		double ns = hw_op_ns(&op, x, 0, 0, 1e5 * x, 1);

		CHECK_MSG(ns >= prev * (1 - 1e-12), "%g ns at %g < %g", ns, x,
			  prev);
		prev = ns;
	}
	free(d.s);
}

/* Negative slopes are not kept: the active set drops them. */
static void t_fit_keeps_coefficients_nonnegative(void)
{
	struct cal_op_data d = { .measured = 1 };
	struct hw_op op;
	struct ss_err err;

	/* time falls with items while bytes grow: items' slope would be < 0 */
	for (uint32_t i = 0; i < 8; i++) {
		double x = 1024.0 * (i + 1), items = 8.0 - i;

		add(&d, i, 0, x, 0, items, 0, x * 1e3, 5000 + x * 1e3 / 1e11 * 1e9 - 100 * items + 800);
	}
	CHECK_MSG(cal_fit_op(HW_OP_DECODE_ATTN, &d, "test", &op, &err) == 0,
		  "%s", err.msg);
	CHECK(op.fixed_ns.v >= 0 && op.per_item_ns.v >= 0 && op.bytes_bw.v >= 0);
	free(d.s);
}

static void t_fit_errors_name_the_op(void)
{
	struct cal_op_data d = { .measured = 1 };
	struct hw_op op;
	struct ss_err err;

	CHECK(cal_fit_op(HW_OP_SELECT, &d, "test", &op, &err) == SS_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "op 'select': no samples");
	add(&d, 0, 0, 10, 0, 1, 0, 100, 50);
	CHECK(cal_fit_op(HW_OP_SELECT, &d, "test", &op, &err) == SS_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "op 'select': 1 grid point(s), need at least 2");
	add(&d, 1, 0, 20, 0, 1, 0, 200, -1);
	CHECK(cal_fit_op(HW_OP_SELECT, &d, "test", &op, &err) == SS_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "op 'select': sample 1 (point 1 rep 0): time -1 ns is not > 0");
	d.s[1].t_ns = 90;
	add(&d, 1, 1, 30, 0, 1, 0, 200, 90);
	CHECK(cal_fit_op(HW_OP_SELECT, &d, "test", &op, &err) == SS_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "point 1: repetitions disagree");
	free(d.s);
}

/* A grid with a hole: the table is not possible, least squares still is. */
static void t_fit_table_needs_rectangular_grid(void)
{
	struct cal_op_data d = { .measured = 1 };
	struct hw_op op;
	struct ss_err err;
	uint32_t pt = 0;

	for (int i = 0; i < 6; i++)
		for (int j = 0; j < 2; j++) {
			double x = 4096.0 * (1 << i), y = 8.0 * (j + 1), n = 100;

			if (i == 5 && j == 1)
				continue; /* the hole */
			add(&d, pt++, 0, x, y, n, 0, x * n,
			    1000 + x * n / (y * 2e9) * 1e9);
		}
	CHECK_MSG(cal_fit_op(HW_OP_XFER0 + XFER_FLASH_H2D, &d, "test", &op,
			     &err) == 0, "%s", err.msg);
	CHECK(isnan(d.fit.table_mape_pct));
	CHECK_EQ_I64(d.fit.method, CAL_LSQ);
	free(d.s);
}

/* ---- a synthetic calibration run ------------------------------------------ */

struct grid {
	enum hw_op_id id;
	const double *p0;
	size_t n0;
	const double *p1;
	size_t n1;
	const double *p2;
	size_t n2;
};

static const double G_TOK[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512,
				 1024, 2048, 4096, 8192 };
static const double G_Q[] = { 128, 512, 2048, 8192 };
static const double G_KV[] = { 0, 8192 };
static const double G_B[] = { 1, 8, 64 };
static const double G_CTX[] = { 1024, 4096, 16384, 65536, 131072 };
static const double G_BUD[] = { 256, 1024, 2048, 8192 };
static const double G_NB[] = { 64, 256, 1024, 4096 };
static const double G_S[] = { 1, 4, 16, 64, 256 };
static const double G_F[] = { 2048, 3072, 4096, 6144, 8192, 12288, 16384,
			       24576, 32768, 49152, 65536, 131072, 262144,
			       1048576 };
static const double G_CNT[] = { 64, 1024 };
static const double G_SM[] = { 4, 8, 12, 16, 24, 32, 48, 64, 96, 132 };
static const double G_ONE[] = { 0 };

#define AX(a) a, SS_ARRAY_SIZE(a)

static const struct grid grids[] = {
	{ HW_OP_LINEAR, AX(G_TOK), AX(G_ONE), AX(G_ONE) },
	{ HW_OP_LAYER_MISC, AX(G_TOK), AX(G_ONE), AX(G_ONE) },
	{ HW_OP_PREFILL_ATTN, AX(G_Q), AX(G_KV), AX(G_ONE) },
	{ HW_OP_DECODE_ATTN, AX(G_B), AX(G_CTX), AX(G_ONE) },
	{ HW_OP_DECODE_ATTN_SPARSE, AX(G_B), AX(G_BUD), AX(G_ONE) },
	{ HW_OP_SELECT, AX(G_B), AX(G_NB), AX(G_ONE) },
	{ HW_OP_LM_HEAD, AX(G_S), AX(G_ONE), AX(G_ONE) },
	{ HW_OP_SAMPLE, AX(G_S), AX(G_ONE), AX(G_ONE) },
	{ HW_OP_XFER0 + XFER_FLASH_H2D, AX(G_F), AX(G_CNT), AX(G_SM) },
	{ HW_OP_XFER0 + XFER_MEMCPY_H2D, AX(G_F), AX(G_CNT), AX(G_ONE) },
	{ HW_OP_XFER0 + XFER_FLASH_D2H, AX(G_F), AX(G_CNT), AX(G_ONE) },
};

/*
 * A run "measured" on the analytic h200 profile's own models (times =
 * its prediction x seeded noise of +-2%), with lwm-7b's work.
 */
static struct cal_run *make_run(uint64_t seed)
{
	struct cal_run *r = cal_run_alloc();
	struct hw_profile *base;
	struct model m;
	struct ss_err err;
	gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);

	CHECK(r != NULL && g != NULL);
	gsl_rng_set(g, seed);
	CHECK_MSG(model_load(&m, "lwm-7b", &err) == 0, "%s", err.msg);
	CHECK_MSG(hw_profile_load(&base, "h200-analytic", &err) == 0, "%s", err.msg);
	snprintf(r->prov.gpu, sizeof(r->prov.gpu), "Synthetic H200");
	r->prov.sm_count = 132;
	r->prov.hbm_bytes = 150754820096ull;
	r->prov.driver_version = 13000;
	r->prov.runtime_version = 13000;
	snprintf(r->prov.date, sizeof(r->prov.date), "2026-11-29T00:00:00Z");
	snprintf(r->prov.commit, sizeof(r->prov.commit), "test");
	snprintf(r->prov.command, sizeof(r->prov.command), "test_calibrate");
	snprintf(r->prov.model, sizeof(r->prov.model), "lwm-7b");
	snprintf(r->prov.base, sizeof(r->prov.base), "h200-analytic");
	for (int i = 0; i < HW_NOPS; i++)
		snprintf(r->op[i].status, CAL_TEXT, "not measured: test");
	for (size_t k = 0; k < SS_ARRAY_SIZE(grids); k++) {
		const struct grid *gr = &grids[k];
		struct cal_op_data *d = &r->op[gr->id];
		uint32_t pt = 0;

		d->measured = 1;
		snprintf(d->status, CAL_TEXT, "measured");
		snprintf(d->params[0], sizeof(d->params[0]), "p0");
		snprintf(d->shape, CAL_TEXT, "synthetic from h200, lwm-7b");
		for (size_t a = 0; a < gr->n0; a++)
			for (size_t b = 0; b < gr->n1; b++)
				for (size_t c = 0; c < gr->n2; c++, pt++) {
					struct cal_sample s = { .point = pt,
						.p = { gr->p0[a], gr->p1[b], gr->p2[c] } };
					double t;

					CHECK_MSG(cal_work(&m, base, gr->id, &s, &err) == 0,
						  "%s", err.msg);
					t = hw_op_ns(&base->op[gr->id], s.x, s.y,
						     s.flops, s.bytes, s.items);
					for (uint32_t rep = 0; rep < 3; rep++) {
						s.rep = rep;
						s.t_ns = t * (1 + 0.04 * (gsl_rng_uniform(g) - 0.5));
						CHECK_MSG(cal_op_add(d, &s, &err) == 0, "%s", err.msg);
					}
				}
	}
	cal_extra_add(r, "h2d_bw", 55.0, "GB/s", "measured: synthetic");
	cal_extra_add(r, "bidir_bw", 98.0, "GB/s", "measured: synthetic");
	CHECK_MSG(cal_run_fit(r, base, &err) == 0, "%s", err.msg);
	hw_profile_free(base);
	gsl_rng_free(g);
	return r;
}

static void t_run_fit_assembles_profile(void)
{
	struct cal_run *r = make_run(1);

	CHECK(!strcmp(hw_profile_kind(r->hw), "calibrated"));
	CHECK(!strcmp(hw_profile_name(r->hw), "synthetic-h200"));
	CHECK_NEAR(hw_link_bw(r->hw, LINK_H2D), 55e9, 1);
	CHECK_NEAR(hw_link_bidir_bw(r->hw), 98e9, 1);
	CHECK_EQ_U64(hw_hbm_device_bytes(r->hw), 150754820096ull);
	for (size_t k = 0; k < SS_ARRAY_SIZE(grids); k++) {
		const struct cal_fit *f = &r->op[grids[k].id].fit;

		CHECK_MSG(f->n_test > 0 && f->mape_pct < 5,
			  "%s: MAPE %g%% over %u held-out points",
			  hw_op_name(grids[k].id), f->mape_pct, f->n_test);
	}
	/* an unmeasured op keeps the base model */
	CHECK_STR_CONTAINS(r->hw->op[HW_OP_HOST].fixed_ns.src, "BLIS");
	cal_run_free(r);
}

/* ---- the file --------------------------------------------------------------- */

static void t_h5_roundtrip_byte_identical(void)
{
	char a[256], b[256];
	struct cal_run *r = make_run(2), *q;
	struct hw_profile *p;
	struct ss_err err;
	size_t na, nb;
	char *ba, *bb;

	tmp_path(a, sizeof(a), "a.h5");
	tmp_path(b, sizeof(b), "b.h5");
	CHECK_MSG(cal_file_write(r, a, &err) == 0, "%s", err.msg);
	CHECK_MSG(cal_file_read(&q, a, &err) == 0, "%s", err.msg);
	CHECK(!strcmp(q->prov.gpu, r->prov.gpu));
	CHECK_EQ_I64(q->prov.sm_count, 132);
	CHECK_EQ_U64(q->n_extra, 2);
	CHECK(!strcmp(q->extra[1].name, "bidir_bw"));
	for (int i = 0; i < HW_NOPS; i++) {
		CHECK_EQ_I64(q->op[i].measured, r->op[i].measured);
		CHECK(!strcmp(q->op[i].status, r->op[i].status));
		CHECK_EQ_U64(q->op[i].n, r->op[i].n);
		if (r->op[i].n)
			CHECK(!memcmp(q->op[i].s, r->op[i].s,
				      r->op[i].n * sizeof(struct cal_sample)));
		CHECK(!memcmp(&q->op[i].fit, &r->op[i].fit, sizeof(struct cal_fit)) ||
		      !r->op[i].measured);
	}
	CHECK_MSG(cal_file_write(q, b, &err) == 0, "%s", err.msg);
	ba = slurp(a, &na);
	bb = slurp(b, &nb);
	CHECK_EQ_U64(na, nb);
	CHECK(!memcmp(ba, bb, na));
	/* the simulator's loader reads the same profile */
	CHECK_MSG(hw_profile_load(&p, a, &err) == 0, "%s", err.msg);
	CHECK(!strcmp(p->name, r->hw->name));
	free(ba);
	free(bb);
	hw_profile_free(p);
	cal_run_free(r);
	cal_run_free(q);
	remove(a);
	remove(b);
}

/* Same inputs, same file: two runs from the same seed give equal bytes. */
static void t_h5_same_inputs_same_bytes(void)
{
	char a[256], b[256];
	struct cal_run *r1 = make_run(5), *r2 = make_run(5);
	struct ss_err err;
	size_t na, nb;
	char *ba, *bb;

	tmp_path(a, sizeof(a), "s1.h5");
	tmp_path(b, sizeof(b), "s2.h5");
	CHECK_EQ_I64(cal_file_write(r1, a, &err), 0);
	CHECK_EQ_I64(cal_file_write(r2, b, &err), 0);
	ba = slurp(a, &na);
	bb = slurp(b, &nb);
	CHECK(na == nb && !memcmp(ba, bb, na));
	free(ba);
	free(bb);
	cal_run_free(r1);
	cal_run_free(r2);
	remove(a);
	remove(b);
}

/* Edit a copy of a good file with HDF5 and expect `want` from both readers. */
static void bad_case(const char *good, const char *name,
		     void (*edit)(hid_t file), const char *want)
{
	char path[256];
	struct cal_run *r;
	struct hw_profile *p;
	struct ss_err err;
	hid_t f;

	tmp_path(path, sizeof(path), name);
	copy_file(good, path, 0);
	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
	f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
	CHECK(f >= 0);
	edit(f);
	H5Fclose(f);
	CHECK(cal_file_read(&r, path, &err) == SS_EINVAL);
	CHECK_STR_CONTAINS(err.msg, path);
	CHECK_STR_CONTAINS(err.msg, want);
	CHECK(hw_profile_load(&p, path, &err) < 0);
	CHECK_STR_CONTAINS(err.msg, want);
	remove(path);
}

static void edit_version(hid_t f)
{
	int64_t v = 2;
	hid_t s = H5Screate(H5S_SCALAR), a;

	CHECK(H5Adelete(f, "version") >= 0);
	a = H5Acreate2(f, "version", H5T_NATIVE_INT64, s, H5P_DEFAULT, H5P_DEFAULT);
	CHECK(H5Awrite(a, H5T_NATIVE_INT64, &v) >= 0);
	H5Aclose(a);
	H5Sclose(s);
}

static void edit_format(hid_t f)
{
	hid_t t = H5Tcopy(H5T_C_S1), s = H5Screate(H5S_SCALAR), a;

	H5Tset_size(t, 6);
	CHECK(H5Adelete(f, "format") >= 0);
	a = H5Acreate2(f, "format", t, s, H5P_DEFAULT, H5P_DEFAULT);
	CHECK(H5Awrite(a, t, "other") >= 0);
	H5Aclose(a);
	H5Sclose(s);
	H5Tclose(t);
}

static void edit_drop_op(hid_t f) { CHECK(H5Ldelete(f, "/ops/select", H5P_DEFAULT) >= 0); }
static void edit_drop_samples(hid_t f) { CHECK(H5Ldelete(f, "/ops/linear/samples", H5P_DEFAULT) >= 0); }
static void edit_drop_profile(hid_t f) { CHECK(H5Ldelete(f, "/profile", H5P_DEFAULT) >= 0); }
static void edit_drop_prov(hid_t f) { CHECK(H5Adelete_by_name(f, "/provenance", "commit", H5P_DEFAULT) >= 0); }
static void edit_drop_fit(hid_t f) { CHECK(H5Adelete_by_name(f, "/ops/linear", "mape_pct", H5P_DEFAULT) >= 0); }

/* The profile JSON inside lacks an op: the strict parser names it. */
static void edit_profile_json(hid_t f)
{
	char path[256];
	struct cal_run *r;
	struct ss_err err;

	(void)f;
	(void)path;
	(void)r;
	(void)err;
	{
		hid_t d = H5Dopen2(f, "/profile", H5P_DEFAULT);
		hid_t t = H5Dget_type(d);
		size_t n = H5Tget_size(t);
		char *buf = calloc(1, n + 1), *at;

		CHECK(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
		at = strstr(buf, "\"version\":\t1");
		CHECK_MSG(at != NULL, "no version in profile JSON");
		at[11] = '7';
		CHECK(H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
		free(buf);
		H5Tclose(t);
		H5Dclose(d);
	}
}

static void t_h5_bad_files_say_what_is_wrong(void)
{
	char good[256], path[256];
	struct cal_run *r = make_run(3), *q;
	struct hw_profile *p;
	struct ss_err err;
	size_t n;
	char *b;

	tmp_path(good, sizeof(good), "good.h5");
	CHECK_MSG(cal_file_write(r, good, &err) == 0, "%s", err.msg);
	/* missing file */
	tmp_path(path, sizeof(path), "none.h5");
	CHECK(cal_file_read(&q, path, &err) == SS_EIO);
	CHECK_STR_CONTAINS(err.msg, "cannot open");
	CHECK(hw_profile_load(&p, path, &err) < 0);
	CHECK_STR_CONTAINS(err.msg, "cannot open");
	/* not HDF5 */
	tmp_path(path, sizeof(path), "text.h5");
	{
		FILE *f = fopen(path, "w");

		fputs("{\"format\": \"sparseserve-hw-profile\"}\n", f);
		fclose(f);
	}
	CHECK(cal_file_read(&q, path, &err) == SS_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "not an HDF5 file");
	remove(path);
	/* truncated at half and at 1 KiB */
	b = slurp(good, &n);
	free(b);
	tmp_path(path, sizeof(path), "trunc.h5");
	copy_file(good, path, n / 2);
	CHECK(cal_file_read(&q, path, &err) == SS_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "truncated");
	copy_file(good, path, 1024);
	CHECK(cal_file_read(&q, path, &err) == SS_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "truncated");
	remove(path);
	bad_case(good, "ver.h5", edit_version,
		 "version 2 is not supported (expected 1)");
	bad_case(good, "fmt.h5", edit_format,
		 "attribute 'format' of /: 'other' is not 'sparseserve-calibration'");
	bad_case(good, "op.h5", edit_drop_op,
		 "operation 'select' (no group /ops/select) missing");
	bad_case(good, "smp.h5", edit_drop_samples,
		 "samples of operation 'linear' (/ops/linear/samples) missing");
	bad_case(good, "prof.h5", edit_drop_profile,
		 "dataset /profile (the fitted profile) missing");
	bad_case(good, "prov.h5", edit_drop_prov,
		 "attribute 'commit' of /provenance missing");
	bad_case(good, "fit.h5", edit_drop_fit,
		 "attribute 'mape_pct' of /ops/linear missing");
	bad_case(good, "json.h5", edit_profile_json,
		 "key 'version': 7 is not supported (expected 1)");
	remove(good);
	cal_run_free(r);
}

/*
 * fit_kv_heads from the run's model to the profile, through the file, a
 * refit of its samples, the JSON export and a what-if derivation; under
 * it a model with a quarter of the KV heads at batch 4b runs at the
 * measured shape's rate at batch b.
 */
static void t_fit_kv_heads_carried(void)
{
	struct cal_run *r = make_run(6), *q;
	struct cal_op_data *d = &r->op[HW_OP_DECODE_ATTN];
	struct hw_profile *base, *p, *a;
	struct model lwm, llama;
	struct cost_model cw = { NULL, &lwm }, cl = { NULL, &llama };
	const struct hw_op *op;
	char path[256], *txt = NULL;
	struct ss_err err;
	size_t len = 0;
	FILE *f;

	CHECK_MSG(model_load(&lwm, "lwm-7b", &err) == 0, "%s", err.msg);
	CHECK_MSG(model_load(&llama, "llama-3-8b-262k", &err) == 0, "%s", err.msg);
	CHECK_MSG(hw_profile_load(&base, "h200-analytic", &err) == 0, "%s", err.msg);
	/* a kernel whose rate grows with the batch, on a grid fine enough
	 * for a table to win */
	d->n = 0;
	for (size_t j = 0, pt = 0; j < SS_ARRAY_SIZE(dec_B); j++)
		for (double n = 1024; n <= 32768; n *= 1.5, pt++) {
			struct cal_sample s = { .point = (uint32_t)pt,
						.p = { dec_B[j], floor(n), 0 } };

			CHECK_EQ_I64(cal_work(&lwm, base, HW_OP_DECODE_ATTN, &s, &err), 0);
			s.t_ns = 1e9 * s.bytes / dec_rate(s.x, s.items);
			CHECK_EQ_I64(cal_op_add(d, &s, &err), 0);
		}
	CHECK_MSG(cal_run_fit(r, base, &err) == 0, "%s", err.msg);
	op = &r->hw->op[HW_OP_DECODE_ATTN];
	CHECK_MSG(op->form == HW_FORM_TABLE, "decode_attn: %s",
		  cal_method_name(d->fit.method));
	CHECK_NEAR(op->fit_kv_heads.v, 32, 0);
	CHECK_STR_CONTAINS(op->fit_kv_heads.src, "lwm-7b");
	/* the sparse decode too where its fit is a table (a roofline has no
	 * key) */
	CHECK_NEAR(r->hw->op[HW_OP_DECODE_ATTN_SPARSE].fit_kv_heads.v,
		   r->hw->op[HW_OP_DECODE_ATTN_SPARSE].form == HW_FORM_TABLE ? 32 : 0,
		   0);
	/* the file */
	tmp_path(path, sizeof(path), "kv.h5");
	CHECK_MSG(cal_file_write(r, path, &err) == 0, "%s", err.msg);
	CHECK_MSG(hw_profile_load(&p, path, &err) == 0, "%s", err.msg);
	CHECK_NEAR(p->op[HW_OP_DECODE_ATTN].fit_kv_heads.v, 32, 0);
	CHECK(!strcmp(p->op[HW_OP_DECODE_ATTN].fit_kv_heads.src, op->fit_kv_heads.src));
	/* a refit of the file's samples (calibrate --refit) */
	CHECK_MSG(cal_file_read(&q, path, &err) == 0, "%s", err.msg);
	hw_profile_free(base);
	base = q->hw;
	q->hw = NULL;
	CHECK_MSG(cal_run_fit(q, base, &err) == 0, "%s", err.msg);
	CHECK_NEAR(q->hw->op[HW_OP_DECODE_ATTN].fit_kv_heads.v, 32, 0);
	remove(path);
	/* the JSON export */
	f = open_memstream(&txt, &len);
	CHECK(f && hw_profile_write(p, f, &err) == 0);
	fclose(f);
	CHECK_STR_CONTAINS(txt, "\"fit_kv_heads\":");
	free(txt);
	/* a what-if profile keeps it with the rates */
	CHECK_MSG(cal_derive(&a, p, "a100-40g", &err) == 0, "%s", err.msg);
	CHECK_NEAR(a->op[HW_OP_DECODE_ATTN].fit_kv_heads.v, 32, 0);
	CHECK_STR_CONTAINS(a->op[HW_OP_DECODE_ATTN].fit_kv_heads.src, "derived: kept");
	/* llama-3-8b (8 KV heads) at batch 4b: lwm-7b's rate at batch b */
	cw.hw = cl.hw = p;
	op = &p->op[HW_OP_DECODE_ATTN];
	for (double b = 1; b <= 16; b *= 4)
		for (double n = 1024; n <= 40000; n *= 3) {
			struct cal_sample sl = { .p = { 4 * b, n, 0 } };
			struct cal_sample sw = { .p = { b, n, 0 } };
			double over = op->fixed_ns.v + b * op->per_item_ns.v;

			CHECK_EQ_I64(cal_work(&llama, p, HW_OP_DECODE_ATTN, &sl, &err), 0);
			CHECK_EQ_I64(cal_work(&lwm, p, HW_OP_DECODE_ATTN, &sw, &err), 0);
			/* the shape measured: the samples' own items */
			CHECK_EQ_I64(cost_decode_attn_ns(&cw, (uint64_t)b,
							 (uint64_t)(b * n), 0),
				     llround(hw_op_ns(op, sw.x, sw.y, sw.flops,
						      sw.bytes, sw.items)));
			CHECK_REL(((double)cost_decode_attn_ns(&cl, (uint64_t)(4 * b),
							       (uint64_t)(4 * b * n), 0) - over) /
					  sl.bytes,
				  ((double)cost_decode_attn_ns(&cw, (uint64_t)b,
							       (uint64_t)(b * n), 0) - over) /
					  sw.bytes,
				  1e-4);
		}
	hw_profile_free(a);
	hw_profile_free(p);
	hw_profile_free(base);
	cal_run_free(q);
	cal_run_free(r);
}

/* ---- the simulator under a calibrated profile ------------------------------ */

static struct hw_profile *load_calibrated(struct cal_run *r, const char *name)
{
	char path[256];
	struct hw_profile *p;
	struct ss_err err;

	tmp_path(path, sizeof(path), name);
	CHECK_MSG(cal_file_write(r, path, &err) == 0, "%s", err.msg);
	CHECK_MSG(hw_profile_load(&p, path, &err) == 0, "%s", err.msg);
	remove(path);
	return p;
}

static int64_t predict(const struct hw_profile *p, const struct model *m,
		       enum hw_op_id id, double p0, double p1, double p2)
{
	struct cal_sample s = { .p = { p0, p1, p2 } };
	struct ss_err err;

	CHECK_MSG(cal_work(m, p, id, &s, &err) == 0, "%s", err.msg);
	if (id == HW_OP_PREFILL_ATTN) /* any form; waves needs the shape */
		return llround(hw_op_prefill_ns(&p->op[id], s.x, p1, m->heads,
						s.flops, s.bytes));
	/* cal_work's items are in m's own requests: a decode table fitted on
	 * another shape counts the batch in that shape's (fit_kv_heads) */
	if (id == HW_OP_DECODE_ATTN || id == HW_OP_DECODE_ATTN_SPARSE)
		s.items = hw_op_decode_batch(&p->op[id], s.items, m->kv_heads);
	return llround(hw_op_ns(&p->op[id], s.x, s.y, s.flops, s.bytes, s.items));
}

/* Every cost function equals the profile's own prediction of its op. */
static void t_cost_equals_profile_prediction(void)
{
	struct cal_run *r = make_run(4);
	struct hw_profile *p = load_calibrated(r, "cost.h5");
	struct model m;
	struct cost_model c = { p, &m };
	struct ss_err err;

	CHECK_MSG(model_load(&m, "lwm-7b", &err) == 0, "%s", err.msg);
	for (double t = 1; t <= 16384; t *= 3) {
		CHECK_EQ_I64(cost_linear_ns(&c, (uint64_t)t),
			     predict(p, &m, HW_OP_LINEAR, t, 0, 0));
		CHECK_EQ_I64(cost_layer_misc_ns(&c, (uint64_t)t),
			     predict(p, &m, HW_OP_LAYER_MISC, t, 0, 0));
		CHECK_EQ_I64(cost_prefill_attn_ns(&c, (uint64_t)t, 777),
			     predict(p, &m, HW_OP_PREFILL_ATTN, t, 777, 0));
	}
	for (double b = 1; b <= 64; b *= 2)
		for (double n = 100; n <= 200000; n *= 5) {
			double nb = floor(n / 32);

			CHECK_EQ_I64(cost_decode_attn_ns(&c, (uint64_t)b, (uint64_t)(b * n), 0),
				     predict(p, &m, HW_OP_DECODE_ATTN, b, n, 0));
			CHECK_EQ_I64(cost_decode_attn_ns(&c, (uint64_t)b, (uint64_t)(b * n), 1),
				     predict(p, &m, HW_OP_DECODE_ATTN_SPARSE, b, n, 0));
			CHECK_EQ_I64(cost_select_ns(&c, (uint64_t)b,
						    (uint64_t)(b * nb) * m.kv_heads),
				     predict(p, &m, HW_OP_SELECT, b, nb, 0));
		}
	for (double f = 512; f <= 4194304; f *= 4)
		for (int mech = 0; mech < XFER_NMECH; mech++)
			CHECK_EQ_I64(cost_transfer_ns(&c, (enum xfer_mech)mech,
						      (uint64_t)f, 300, 12),
				     predict(p, &m, HW_OP_XFER0 + mech, f, 300, 12));
	/* the per-iteration sum of lm_head + sample + host */
	{
		struct cal_sample s[3];
		double sum = 0;

		for (int k = 0; k < 3; k++) {
			s[k] = (struct cal_sample){ .p = { 8, 900, 0 } };
			CHECK_EQ_I64(cal_work(&m, p, HW_OP_LM_HEAD + k, &s[k], &err), 0);
			sum += hw_op_ns(&p->op[HW_OP_LM_HEAD + k], s[k].x, s[k].y,
					s[k].flops, s[k].bytes, s[k].items);
		}
		CHECK_EQ_I64(cost_iter_fixed_ns(&c, 8, 900), llround(sum));
	}
	hw_profile_free(p);
	cal_run_free(r);
}

/* The shipped default: every cost function equals its op's prediction. */
static void t_shipped_cost_equals_profile_prediction(void)
{
	struct hw_profile *p;
	struct model m;
	struct cost_model c = { NULL, &m };
	struct ss_err err;

	CHECK_MSG(hw_profile_load(&p, "h200", &err) == 0, "%s", err.msg);
	CHECK(!strcmp(hw_profile_kind(p), "calibrated"));
	c.hw = p;
	CHECK_MSG(model_load(&m, "llama-3-8b-262k", &err) == 0, "%s", err.msg);
	for (double t = 1; t <= 200000; t *= 2.7) {
		CHECK_EQ_I64(cost_linear_ns(&c, (uint64_t)t),
			     predict(p, &m, HW_OP_LINEAR, (uint64_t)t, 0, 0));
		CHECK_EQ_I64(cost_layer_misc_ns(&c, (uint64_t)t),
			     predict(p, &m, HW_OP_LAYER_MISC, (uint64_t)t, 0, 0));
		CHECK_EQ_I64(cost_prefill_attn_ns(&c, (uint64_t)t, 5000),
			     predict(p, &m, HW_OP_PREFILL_ATTN, (uint64_t)t, 5000, 0));
	}
	for (double b = 1; b <= 256; b *= 3)
		for (double n = 100; n <= 400000; n *= 5) {
			double nb = floor(n / 32);

			CHECK_EQ_I64(cost_decode_attn_ns(&c, (uint64_t)b, (uint64_t)(b * n), 0),
				     predict(p, &m, HW_OP_DECODE_ATTN, b, n, 0));
			CHECK_EQ_I64(cost_decode_attn_ns(&c, (uint64_t)b, (uint64_t)(b * n), 1),
				     predict(p, &m, HW_OP_DECODE_ATTN_SPARSE, b, n, 0));
			CHECK_EQ_I64(cost_select_ns(&c, (uint64_t)b,
						    (uint64_t)(b * nb) * m.kv_heads),
				     predict(p, &m, HW_OP_SELECT, b, nb, 0));
		}
	for (double f = 512; f <= 4194304; f *= 4)
		for (int mech = 0; mech < XFER_NMECH; mech++)
			CHECK_EQ_I64(cost_transfer_ns(&c, (enum xfer_mech)mech,
						      (uint64_t)f, 300, 12),
				     predict(p, &m, HW_OP_XFER0 + mech, f, 300, 12));
	hw_profile_free(p);
}

/*
 * The shipped profile is the export of the shipped calibration file
 * (calibrate/results/h200/h200.h5): the same profile, number for number.
 */
static void t_shipped_profile_is_the_calibration(void)
{
	const char *root = getenv("SS_SOURCE_ROOT");
	struct hw_profile *a, *b;
	char path[512], *ta = NULL, *tb = NULL;
	size_t na = 0, nb = 0;
	struct ss_err err;
	FILE *f;

	if (!root)
		TH_SKIP("SS_SOURCE_ROOT not set");
	snprintf(path, sizeof(path), "%s/calibrate/results/h200/h200.h5", root);
	CHECK_MSG(hw_profile_load(&a, path, &err) == 0, "%s", err.msg);
	CHECK_MSG(hw_profile_load(&b, "h200", &err) == 0, "%s", err.msg);
	snprintf(a->name, sizeof(a->name), "h200");
	f = open_memstream(&ta, &na);
	CHECK(f && hw_profile_write(a, f, &err) == 0);
	fclose(f);
	f = open_memstream(&tb, &nb);
	CHECK(f && hw_profile_write(b, f, &err) == 0);
	fclose(f);
	CHECK_EQ_U64(na, nb);
	CHECK(!memcmp(ta, tb, na));
	free(ta);
	free(tb);
	hw_profile_free(a);
	hw_profile_free(b);
}

/* One request, one prefill iteration: TTFT = the profile's predictions. */
static void sim_single_request(struct hw_profile *p)
{
	struct model m;
	struct cost_model c = { p, &m };
	struct sim_config cfg;
	struct trace t;
	struct sim s;
	struct ss_err err;
	const uint32_t P = 1500;
	struct trace_request req = { .id = 0, .arrival_ns = 0,
				     .prompt_tokens = P, .output_tokens = 1 };
	int64_t want, fixed;
	double sum = 0;

	CHECK_MSG(model_load(&m, "lwm-7b", &err) == 0, "%s", err.msg);
	sim_config_default(&cfg);
	trace_init(&t);
	CHECK_EQ_I64(trace_push(&t, &req, &err), 0);
	{
		struct sim_opts o = { .preset = pol_preset_find("vllm"),
				      .cfg = &cfg, .m = &m, .cost = &c,
				      .trace = &t };

		CHECK_MSG(sim_init(&s, &o, &err) == 0, "%s", err.msg);
		CHECK_MSG(sim_run(&s, &err) == 0, "%s", err.msg);
	}
	for (int k = 0; k < 3; k++) {
		struct cal_sample sm = { .p = { 1, P, 0 } };

		CHECK_EQ_I64(cal_work(&m, p, HW_OP_LM_HEAD + k, &sm, &err), 0);
		sum += hw_op_ns(&p->op[HW_OP_LM_HEAD + k], sm.x, sm.y, sm.flops,
				sm.bytes, sm.items);
	}
	fixed = llround(sum);
	want = (int64_t)m.layers * (predict(p, &m, HW_OP_LINEAR, P, 0, 0) +
				    predict(p, &m, HW_OP_PREFILL_ATTN, P, 0, 0) +
				    predict(p, &m, HW_OP_LAYER_MISC, P, 0, 0)) +
	       fixed;
	CHECK_EQ_I64(s.pol.reqs[0].first_token_ns, want);
	CHECK_EQ_I64(s.niters, 1);
	sim_release(&s);
	trace_release(&t);
}

static void t_sim_single_request_matches_profile(void)
{
	struct cal_run *r = make_run(6);
	struct hw_profile *p = load_calibrated(r, "sim.h5");

	sim_single_request(p);
	hw_profile_free(p);
	cal_run_free(r);
}

/* The same under the shipped default profile (calibrated h200). */
static void t_shipped_sim_single_request_matches_profile(void)
{
	struct hw_profile *p;
	struct ss_err err;

	CHECK_MSG(hw_profile_load(&p, "h200", &err) == 0, "%s", err.msg);
	sim_single_request(p);
	hw_profile_free(p);
}

/* ---- report --------------------------------------------------------------- */

static void t_report_csv_rows(void)
{
	struct cal_run *r = make_run(7);
	struct ss_err err;
	char path[256], *txt, *line, *save = NULL;
	size_t n, rows = 0;
	FILE *f;

	tmp_path(path, sizeof(path), "report.csv");
	f = fopen(path, "w");
	CHECK_MSG(cal_report(r, f, 1, NULL, &err) == 0, "%s", err.msg);
	fclose(f);
	txt = slurp(path, &n);
	line = strtok_r(txt, "\n", &save);
	CHECK(line && !strcmp(line, "op,points,mape_pct,max_err_pct"));
	while ((line = strtok_r(NULL, "\n", &save))) {
		char op[64];
		unsigned pts;
		double mape, mx;
		int id;

		CHECK_MSG(sscanf(line, "%63[^,],%u,%lf,%lf", op, &pts, &mape, &mx) == 4,
			  "bad row '%s'", line);
		for (id = 0; id < HW_NOPS && strcmp(hw_op_name(id), op); id++)
			;
		CHECK_MSG(id < HW_NOPS && r->op[id].measured, "row '%s'", line);
		CHECK_EQ_U64(pts, r->op[id].fit.n_test);
		CHECK_NEAR(mape, r->op[id].fit.mape_pct, 0.0005);
		CHECK_NEAR(mx, r->op[id].fit.max_pct, 0.0005);
		CHECK(mx >= mape);
		rows++;
	}
	CHECK_EQ_U64(rows, SS_ARRAY_SIZE(grids));
	free(txt);
	/* the table names the ops that were not measured */
	f = fopen(path, "w");
	CHECK_EQ_I64(cal_report(r, f, 0, NULL, &err), 0);
	fclose(f);
	txt = slurp(path, &n);
	CHECK_STR_CONTAINS(txt, "host                 not measured: test");
	CHECK_STR_CONTAINS(txt, "h2d_bw");
	free(txt);
	remove(path);
	cal_run_free(r);
}

static void t_report_plots(void)
{
	struct cal_run *r = make_run(8);
	struct ss_err err;
	char dir[256], png[512];
	struct stat st;
	FILE *f = fopen("/dev/null", "w");

	if (system("gnuplot --version >/dev/null 2>&1") != 0)
		TH_SKIP("gnuplot not installed");
	tmp_path(dir, sizeof(dir), "plots");
	CHECK_MSG(cal_report(r, f, 0, dir, &err) == 0, "%s", err.msg);
	fclose(f);
	snprintf(png, sizeof(png), "%s/flash_h2d.png", dir);
	CHECK_MSG(stat(png, &st) == 0 && st.st_size > 1000, "no %s", png);
	snprintf(png, sizeof(png), "%s/linear.dat", dir);
	CHECK(stat(png, &st) == 0);
	snprintf(png, sizeof(png), "rm -rf %s", dir);
	CHECK(system(png) == 0);
	cal_run_free(r);
}

/* ---- what-if ------------------------------------------------------------------ */

static void t_derive_what_if(void)
{
	struct cal_run *r = make_run(9);
	struct hw_profile *a, *g, *bad;
	struct ss_err err;

	CHECK_MSG(cal_derive(&a, r->hw, "a100-40g", &err) == 0, "%s", err.msg);
	CHECK(!strcmp(a->kind, "what-if"));
	CHECK_EQ_U64(hw_sm_count(a), 108);
	CHECK_NEAR(hw_link_bw(a, LINK_H2D), 55e9 * 0.5, 1);
	CHECK_STR_CONTAINS(a->h2d_bw.src, "PCIe Gen4 x16 32 GB/s");
	CHECK_STR_CONTAINS(a->sm_count.src, "A100 datasheet");
	/* SM rows above 108 are gone; the rest is slower, never faster */
	{
		const struct hw_op *o = &a->op[HW_OP_XFER0 + XFER_FLASH_H2D];
		const struct hw_op *s = &r->hw->op[HW_OP_XFER0 + XFER_FLASH_H2D];

		if (o->form == HW_FORM_TABLE && o->ny > 1)
			CHECK(o->y[o->ny - 1] <= 108);
		CHECK(hw_op_ns(o, 16384, 16, 0, 1 << 26, 4096) >
		      hw_op_ns(s, 16384, 16, 0, 1 << 26, 4096));
	}
	/* compute scales with the datasheet peak ratio */
	{
		const struct hw_op *o = &a->op[HW_OP_LINEAR], *s = &r->hw->op[HW_OP_LINEAR];
		double big = 1e15;

		CHECK_REL(hw_op_ns(o, 8192, 0, big, 0, 1) - o->fixed_ns.v,
			  (hw_op_ns(s, 8192, 0, big, 0, 1) - s->fixed_ns.v) * 989.4 / 312,
			  1e-9);
	}
	/* prefill's waves form (the shipped h200's): per-round and per-key
	 * times / the compute ratio, the H200 kernel's grid kept */
	{
		struct hw_profile *h, *ha;
		const struct hw_op *o, *s;

		CHECK_MSG(hw_profile_load(&h, "h200", &err) == 0, "%s", err.msg);
		CHECK_MSG(cal_derive(&ha, h, "a100-40g", &err) == 0, "%s", err.msg);
		o = &ha->op[HW_OP_PREFILL_ATTN];
		s = &h->op[HW_OP_PREFILL_ATTN];
		CHECK_EQ_I64(o->form, HW_FORM_WAVES);
		CHECK_REL(o->round_key_ns.v, s->round_key_ns.v * 989.4 / 312, 1e-9);
		CHECK_REL(o->tail_key_ns.v, s->tail_key_ns.v * 989.4 / 312, 1e-9);
		CHECK_NEAR(o->wave_sms.v, 132, 0);
		CHECK_NEAR(o->fixed_ns.v, s->fixed_ns.v, 0);
		CHECK_STR_CONTAINS(o->round_key_ns.src, "derived: x 3.171");
		CHECK_STR_CONTAINS(o->wave_sms.src, "derived: kept");
		CHECK_REL(hw_op_prefill_ns(o, 4096, 8192, 32, 0, 0) - o->fixed_ns.v,
			  (hw_op_prefill_ns(s, 4096, 8192, 32, 0, 0) - s->fixed_ns.v) *
				  989.4 / 312,
			  1e-9);
		hw_profile_free(ha);
		hw_profile_free(h);
	}
	/* every number carries a source */
	CHECK(a->op[HW_OP_LINEAR].fixed_ns.src[0] && a->hbm_device_bytes.src[0]);
	CHECK_MSG(cal_derive(&g, r->hw, "gh200", &err) == 0, "%s", err.msg);
	CHECK_NEAR(hw_link_bw(g, LINK_D2H), r->hw->d2h_bw.v * 450 / 64, 1);
	CHECK(cost_transfer_ns(&(struct cost_model){ g, NULL }, XFER_FLASH_H2D,
			       1048576, 64, 132) <
	      cost_transfer_ns(&(struct cost_model){ r->hw, NULL }, XFER_FLASH_H2D,
			       1048576, 64, 132));
	CHECK(cal_derive(&bad, r->hw, "tpu", &err) == SS_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "--derive 'tpu': unknown target (a100-40g, gh200)");
	CHECK(cal_derive(&bad, a, "gh200", &err) == SS_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "relative to an H200 (132 SMs); profile 'a100-40g' has 108 SMs");
	hw_profile_free(a);
	hw_profile_free(g);
	cal_run_free(r);
}

/* ---- CLI -------------------------------------------------------------------- */

static int sh(char *out, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Run a shell command, capture its stdout into out; its exit status. */
static int sh(char *out, size_t cap, const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	FILE *p;
	size_t n;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	CHECK(p != NULL);
	n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void t_cli(void)
{
	char out[8192], path[256], json[256];
	struct cal_run *r = make_run(10);
	struct ss_err err;
	int rc;

	const char *bin = getenv("SPARSESERVE");

	if (!bin)
		TH_SKIP("SPARSESERVE not set (run through meson test)");
	tmp_path(path, sizeof(path), "cli.h5");
	tmp_path(json, sizeof(json), "cli.json");
	CHECK_EQ_I64(cal_file_write(r, path, &err), 0);
	/* no GPU here: a clear one-line message, exit 1 */
	rc = sh(out, sizeof(out), "%s calibrate --quick --out %s.new.h5 2>&1%s", bin, path, "");
	if (rc == 0)
		TH_SKIP("a GPU is present: the no-GPU path cannot be provoked");
	CHECK_EQ_I64(rc, 1);
	CHECK_STR_CONTAINS(out, "sparseserve calibrate: no GPU");
	CHECK(strchr(out, '\n') == out + strlen(out) - 1);
	CHECK_EQ_I64(sh(out, sizeof(out), "%s calibrate --report %s --csv%s", bin, path, ""), 0);
	CHECK(!strncmp(out, "op,points,mape_pct,max_err_pct\nlinear,", 38));
	CHECK_EQ_I64(sh(out, sizeof(out), "%s calibrate --report %s 2>&1%s", bin, "/nonexistent.h5", ""), 1);
	CHECK_STR_CONTAINS(out, "/nonexistent.h5: cannot open");
	CHECK_EQ_I64(sh(out, sizeof(out), "%s calibrate --export %s --name my-gpu --out %s", bin, path, json), 0);
	{
		struct hw_profile *p;

		CHECK_MSG(hw_profile_load(&p, json, &err) == 0, "%s", err.msg);
		CHECK(!strcmp(p->name, "my-gpu"));
		hw_profile_free(p);
	}
	/* --refit: the same samples fitted again give the same file */
	{
		char again[300];
		size_t n1, n2;
		char *b1, *b2;

		snprintf(again, sizeof(again), "%s.refit.h5", path);
		CHECK_EQ_I64(sh(out, sizeof(out), "%s calibrate --refit %s --out %s", bin, path, again), 0);
		CHECK_STR_CONTAINS(out, "held-out points");
		b1 = slurp(path, &n1);
		b2 = slurp(again, &n2);
		CHECK(n1 == n2 && !memcmp(b1, b2, n1));
		free(b1);
		free(b2);
		remove(again);
		CHECK_EQ_I64(sh(out, sizeof(out), "%s calibrate --refit %s --out %s.json%s 2>/dev/null", bin, path, path, ""), 2);
		CHECK_EQ_I64(sh(out, sizeof(out), "%s calibrate --name x --report %s%s 2>/dev/null", bin, path, ""), 2);
	}
	CHECK_EQ_I64(sh(out, sizeof(out), "%s calibrate --derive gh200 --from %s --out %s", bin, path, json), 0);
	{
		struct hw_profile *p;

		CHECK_MSG(hw_profile_load(&p, json, &err) == 0, "%s", err.msg);
		CHECK(!strcmp(p->kind, "what-if"));
		hw_profile_free(p);
	}
	CHECK_EQ_I64(sh(out, sizeof(out), "%s calibrate --csv --out %s%s 2>/dev/null", bin, path, ""), 2);
	CHECK_EQ_I64(sh(out, sizeof(out), "%s calibrate --out %s.json%s 2>/dev/null", bin, path, ""), 2);
	CHECK_EQ_I64(sh(out, sizeof(out), "%s calibrate --derive gh200 --out %s%s 2>/dev/null", bin, json, ""), 2);
	CHECK_EQ_I64(sh(out, sizeof(out), "%s calibrate --derive x --from %s --out %s 2>&1", bin, path, json), 1);
	CHECK_STR_CONTAINS(out, "unknown target");
	remove(path);
	remove(json);
	cal_run_free(r);
}

static const struct th_case cases[] = {
	TH_CASE(t_fit_lsq_recovers_roofline),
	TH_CASE(t_fit_lsq_recovers_bytes_and_items),
	TH_CASE(t_fit_picks_table_for_knee),
	TH_CASE(t_fit_picks_lsq_for_affine),
	TH_CASE(t_fit_keeps_coefficients_nonnegative),
	TH_CASE(t_fit_columns_recovers_per_x_coefficients),
	TH_CASE(t_fit_waves_recovers_rounds),
	TH_CASE(t_fit_table2d_over_batch),
	TH_CASE(t_fit_sets_fit_kv_heads),
	TH_CASE(t_fit_point_is_the_mean),
	TH_CASE(t_fit_tables_are_monotone),
	TH_CASE(t_fit_errors_name_the_op),
	TH_CASE(t_fit_table_needs_rectangular_grid),
	TH_CASE(t_run_fit_assembles_profile),
	TH_CASE(t_h5_roundtrip_byte_identical),
	TH_CASE(t_h5_same_inputs_same_bytes),
	TH_CASE(t_h5_bad_files_say_what_is_wrong),
	TH_CASE(t_fit_kv_heads_carried),
	TH_CASE(t_cost_equals_profile_prediction),
	TH_CASE(t_sim_single_request_matches_profile),
	TH_CASE(t_shipped_cost_equals_profile_prediction),
	TH_CASE(t_shipped_sim_single_request_matches_profile),
	TH_CASE(t_shipped_profile_is_the_calibration),
	TH_CASE(t_report_csv_rows),
	TH_CASE(t_report_plots),
	TH_CASE(t_derive_what_if),
	TH_CASE(t_cli),
	{ 0 },
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, cases);
}
