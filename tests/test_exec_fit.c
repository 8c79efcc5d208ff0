/*
 * test_exec_fit.c - the live executor's costs: the profile's "executor"
 * section (read, write, cost functions) and `calibrate --fit-exec` on
 * synthetic live result files with known coefficients.
 */
#include <gsl/gsl_rng.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calibrate/calibrate.h"
#include "harness.h"
#include "model/cost.h"
#include "model/model.h"
#include "model/profile.h"
#include "policy/policy.h"
#include "sim/sim.h"
#include "sim_env.h"

/* the columns a live iterations table carries that the fit reads */
struct row {
	double start_s, dur_s, gpu_s, host_s, model_s;
	uint32_t batch, prefill_tokens, decode_seqs, lp_layers, sparse_layers;
	uint64_t hits, blocks_loaded, blocks_saved, gather_tokens;
	double issue_s, wait_s; /* runs with the issue thread */
	double load_s;
	uint64_t prefill_layer_tokens, gather_layer_tokens; /* piped 3 */
	uint32_t prefill_layers;
	uint32_t load_layers; /* piped 3 */
	double decode_ctx;    /* write_dctx */
};

static const double G_TRUE[8] = { 15e3, 9e3, 500, 600, 900, 150, 50, 25 };
static const double H_TRUE[6] = { 110e3, 700, 90, 40e3, 45, 400 };
/* two host stages: the issue thread's extra per offload layer */
static const double I_OFF_TRUE = 30e3;
/* GPU under offload: per layer, per decode request per sparse layer */
static const double OG_TRUE[2] = { 20e3, 300 };
/* GPU per layer running prefill tokens */
static const double PL_TRUE = 35e3;
/* the loads' wait (piped 3): per loading layer beyond the link's latency,
 * per block-head */
static const double LL_TRUE[2] = { 3e3, 330 };
/* an iteration with prefill under offload closes this much after its GPU
 * window, beyond the host op (the runs with the issue thread) */
static const double PT_TRUE = 900e3;
/* the policy's extra per hit and doubling of the requests' context over
 * 1,024 tokens, in files written with a context (write_ctx > 0: a
 * requests table with one request of that many prompt tokens live through
 * the run, as sim/output.c writes the table) */
static const double HL_TRUE = 9;
static double write_ctx;
/* and that request's tokens generated and finish time (0: unfinished), so
 * that its context grows within the run: write_ctx + write_gen x t /
 * write_fin at time t */
static double write_gen, write_fin;
/* write_dctx: the file records each iteration's decode context (column
 * decode_ctx, builds since session 19); write_req_scale (> 0): its
 * requests table says that many times the prompt tokens (as when requests
 * held back by the working-set control inflate the table's contexts) */
static int write_dctx;
static double write_req_scale;
static int write_req_bad; /* the requests table with prompt_tokens only */
/* the columns of a requests table the fit reads */
struct req_row {
	uint32_t prompt_tokens, generated;
	double first_token_s, finish_s;
};
/* GPU under offload per KV head per layer, in files written with
 * write_off_head set (off_layer_head_ns) */
static const double OH_TRUE = 400;
static int write_off_head;
/* and with write_off_dec_head, per decode request and KV head per sparse
 * layer (off_dec_head_ns) */
static const double ODH_TRUE = 60;
static int write_off_dec_head;
/* and with write_load_gpu, per layer that loaded blocks (off_load_layer_ns),
 * in every offload decode iteration with loads, whether or not the file
 * records its loading layers (files before piped 3 did not) */
static const double LG_TRUE = 7e3;
static int write_load_gpu;
/* with write_pf_misfit, iterations with prefill also take a cost the fit
 * has no term for: 2 ns per prefill token squared (a 4k-token prefill,
 * 34 ms) */
static int write_pf_misfit;
/* the policy the file's runs are of (NULL: sparseserve with offload, else
 * vllm); with vllm-so (one copy per block) the loads take 10x as long per
 * block-head */
static const char *write_policy;
/* iterations with prefill: every fourth (0), none (-1) or all (1) */
static int write_prefill;
/* write_cold_gemms: the run had no GEMM warm-up (its executor attribute
 * without SIM_GEMMS_WARMED, as before session 19), and with 2 the first
 * iteration of each row count (within 8) waited 15 ms on cuBLAS's kernel
 * load, GPU window and host; write_chunk: a chunk over earlier KV costs
 * CH_TRUE a layer on the GPU */
static int write_cold_gemms, write_chunk;
static const double CH_TRUE = 60e3;
/* with write_wide, the decode-only iterations' windows are 10 ms or 100 ms
 * (alternating fours), and the long ones carry 2 us a layer more than the
 * terms: a misfit that the relative weighting leaves to them */
static int write_wide;

static void put_attr(hid_t loc, const char *name, const char *val)
{
	hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR), a;

	H5Tset_size(t, strlen(val) + 1);
	a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
	CHECK(a >= 0);
	CHECK(H5Awrite(a, t, val) >= 0);
	H5Aclose(a);
	H5Sclose(sp);
	H5Tclose(t);
}

/* A live result file of `n` iterations of `model` (32 layers, `H` KV
 * heads) whose times follow G_TRUE and H_TRUE exactly; offload rows every
 * third iteration when `offload`. */
/* `piped`: the offload iterations ran with the issue thread (issue_s,
 * wait_s; the host stages of H_TRUE and I_OFF_TRUE); 2: and some are
 * layer-segmented prefill (lp_layers > 0: the per-token terms on the layers
 * the prefill runs); 3: and those have two prefill items, one over 4 layers
 * and one over 1, with the columns prefill_layer_tokens and
 * gather_layer_tokens (from the totals the fit would get them wrong); 0: the
 * columns are absent, as in files written before them. */
static void write_live(const char *path, const char *executor, size_t n,
		       int offload, const struct hw_profile *hw, double *gap,
		       const char *model, double H, int piped)
{
	const double L = 32;
	struct row *r = calloc(n, sizeof(*r));
	gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
	uint8_t seen[8192] = { 0 }; /* write_cold_gemms 2: rows / 8 met */
	char exec_attr[256];
	hid_t f, grp, t, sp, ds;
	hsize_t dim = n;

	CHECK(r != NULL);
	gsl_rng_set(g, 7);
	for (size_t i = 0; i < n; i++) {
		struct row *x = &r[i];
		int off = offload && i % 3 == 0;
		int pf = write_prefill ? write_prefill > 0 : i % 4 == 0;
		double gx[8], hx[6], gpu = 0, host = 0, hop;

		/* back to back */
		x->start_s = i ? r[i - 1].start_s + r[i - 1].dur_s : 0;

		x->decode_seqs = 1 + (uint32_t)gsl_rng_uniform_int(g, 40);
		x->prefill_tokens = pf ? 256 + (uint32_t)gsl_rng_uniform_int(g, 4000) : 0;
		x->gather_tokens = pf && i % 8 == 0 ? x->prefill_tokens +
				   gsl_rng_uniform_int(g, 8000) : 0;
		x->batch = x->decode_seqs + (pf ? 1 : 0);
		x->sparse_layers = i % 2 ? 30 : 0;
		if (off) {
			x->hits = 1000 + gsl_rng_uniform_int(g, 100000);
			x->blocks_loaded = gsl_rng_uniform_int(g, 5000);
		}
		gx[0] = L - x->sparse_layers;
		gx[1] = x->sparse_layers;
		gx[2] = gx[0] * H;
		gx[3] = gx[1] * H;
		gx[4] = gx[0] * x->decode_seqs;
		gx[5] = gx[1] * x->decode_seqs;
		if (piped >= 2 && off && i % 6 == 0)
			x->lp_layers = piped == 3 ? 5 : 4;
		if (x->lp_layers == 5) {
			/* items of q1 over layers 0-3 and q2 over 4 */
			uint32_t q1 = x->prefill_tokens / 3;

			x->prefill_layer_tokens =
				4ull * q1 + (x->prefill_tokens - q1);
			x->gather_layer_tokens = x->gather_tokens;
		} else if (x->lp_layers) {
			x->prefill_layer_tokens = 4ull * x->prefill_tokens;
			x->gather_layer_tokens = x->gather_tokens;
		} else {
			x->prefill_layer_tokens = (uint64_t)L * x->prefill_tokens;
			x->gather_layer_tokens = (uint64_t)L * x->gather_tokens;
		}
		x->prefill_layers = !x->prefill_tokens ? 0
				    : x->lp_layers	  ? x->lp_layers
							  : (uint32_t)L;
		gx[6] = (double)x->prefill_layer_tokens;
		gx[7] = (double)x->gather_layer_tokens * H; /* gather_head_ns */
		hx[0] = 1;
		hx[1] = x->batch;
		hx[2] = (double)x->prefill_layer_tokens / L;
		hx[3] = off;
		hx[4] = off ? (double)x->hits / L : 0;
		hx[5] = off ? (double)x->blocks_loaded / L : 0;
		for (int j = 0; j < 8; j++)
			gpu += gx[j] * G_TRUE[j];
		gpu += x->prefill_layers * PL_TRUE;
		if (write_chunk && x->gather_tokens)
			gpu += (double)x->gather_layer_tokens /
			       (double)x->gather_tokens * CH_TRUE;
		for (int j = 0; j < 6; j++)
			host += hx[j] * H_TRUE[j];
		if (write_ctx > 0) {
			double ctx = write_ctx + (write_fin > 0
							  ? write_gen * x->start_s /
								    write_fin
							  : 0);

			host += hx[4] * HL_TRUE * log2(fmax(ctx / 1024, 1));
			x->decode_ctx = ctx;
		}
		hop = hw->op[HW_OP_HOST].fixed_ns.v +
		      hw->op[HW_OP_HOST].per_item_ns.v * x->batch;
		/* model: 40 ms of kernels + the host op; the GPU window adds
		 * the executor's terms */
		x->model_s = 40e-3 + hop * 1e-9;
		x->gpu_s = 40e-3 + gpu * 1e-9;
		if (write_wide && !pf) {
			double d = (i / 4) % 2 ? 60e-3 : -30e-3;

			x->model_s += d;
			x->gpu_s += d + ((i / 4) % 2 ? L * 2e3 * 1e-9 : 0);
		}
		if (write_pf_misfit)
			x->gpu_s += 2e-9 * (double)x->prefill_tokens *
				    (double)x->prefill_tokens;
		x->host_s = host * L * 1e-9;
		if (off) /* the loads' time, outside the executor's terms */
			x->load_s = 1e-3 * (double)(i % 7);
		if (off && piped == 3 && !pf && x->blocks_loaded) {
			x->load_layers = 1 + (uint32_t)(i % 32);
			x->load_s = (x->load_layers *
					     ((double)hw_link_latency_ns(hw) +
					      LL_TRUE[0]) +
				     (double)x->blocks_loaded * LL_TRUE[1] *
					     (write_policy &&
							      !strcmp(write_policy,
								      "vllm-so")
						      ? 10
						      : 1)) *
				    1e-9;
		}
		x->gpu_s += x->load_s;
		if (write_load_gpu && piped && off && !pf && x->blocks_loaded) {
			uint32_t ll = 1 + (uint32_t)(i % 32);

			if (piped == 3)
				CHECK(x->load_layers == ll);
			x->gpu_s += ll * LG_TRUE * 1e-9;
		}
		if (piped && off) {
			x->gpu_s += (L * OG_TRUE[0] +
				     x->sparse_layers * x->decode_seqs * OG_TRUE[1] +
				     (write_off_head ? L * H * OH_TRUE : 0) +
				     (write_off_dec_head
					      ? x->sparse_layers * x->decode_seqs *
							H * ODH_TRUE
					      : 0)) *
				    1e-9;
			x->dur_s = x->gpu_s + (*gap) * 1e-9;
		}
		if (piped && off) {
			double issue = hx[0] * H_TRUE[0] + hx[1] * H_TRUE[1] +
				       hx[2] * H_TRUE[2] + I_OFF_TRUE;
			double pol = host - (issue - I_OFF_TRUE);

			x->issue_s = issue * L * 1e-9;
			/* an iteration with prefill waits for save staging on
			 * the issue thread: the fit must leave it out */
			if (pf)
				x->issue_s += 5e-3;
			/* the policy's thread waits a share of its time */
			x->wait_s = (double)(i % 5) * 0.1 * x->issue_s;
			x->host_s = pol * L * 1e-9 + x->wait_s;
		}
		if (write_cold_gemms == 2) {
			size_t b = (x->prefill_tokens + x->decode_seqs) / 8;

			CHECK(b < sizeof seen);
			if (b < sizeof seen && !seen[b]) {
				seen[b] = 1;
				x->gpu_s += 15e-3;
				x->host_s += 15e-3;
			}
		}
		x->dur_s = x->gpu_s + (*gap) * 1e-9;
		if (piped && off && pf)
			x->dur_s += PT_TRUE * 1e-9;
	}
	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
	f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
	CHECK(f >= 0);
	/* a live run of this build warms every GEMM shape first */
	snprintf(exec_attr, sizeof exec_attr, "%s%s", executor,
		 !strncmp(executor, "live", 4) && !write_cold_gemms
			 ? "; " SIM_GEMMS_WARMED
			 : "");
	put_attr(f, "executor", exec_attr);
	put_attr(f, "model", model);
	grp = H5Gcreate2(f, write_policy ? write_policy
				 : offload    ? "sparseserve"
					      : "vllm",
			 H5P_DEFAULT,
			 H5P_DEFAULT, H5P_DEFAULT);
	t = H5Tcreate(H5T_COMPOUND, sizeof(struct row));
#define F(m, ty) H5Tinsert(t, #m, HOFFSET(struct row, m), ty)
	F(start_s, H5T_NATIVE_DOUBLE);
	F(dur_s, H5T_NATIVE_DOUBLE);
	F(gpu_s, H5T_NATIVE_DOUBLE);
	F(host_s, H5T_NATIVE_DOUBLE);
	F(model_s, H5T_NATIVE_DOUBLE);
	F(batch, H5T_NATIVE_UINT32);
	F(prefill_tokens, H5T_NATIVE_UINT32);
	F(decode_seqs, H5T_NATIVE_UINT32);
	F(lp_layers, H5T_NATIVE_UINT32);
	F(sparse_layers, H5T_NATIVE_UINT32);
	F(hits, H5T_NATIVE_UINT64);
	F(blocks_loaded, H5T_NATIVE_UINT64);
	F(blocks_saved, H5T_NATIVE_UINT64);
	F(gather_tokens, H5T_NATIVE_UINT64);
	F(load_s, H5T_NATIVE_DOUBLE);
	if (piped) {
		F(issue_s, H5T_NATIVE_DOUBLE);
		F(wait_s, H5T_NATIVE_DOUBLE);
	}
	if (piped == 3) {
		F(prefill_layer_tokens, H5T_NATIVE_UINT64);
		F(gather_layer_tokens, H5T_NATIVE_UINT64);
		F(prefill_layers, H5T_NATIVE_UINT32);
		F(load_layers, H5T_NATIVE_UINT32);
	}
	if (write_dctx)
		F(decode_ctx, H5T_NATIVE_DOUBLE);
#undef F
	sp = H5Screate_simple(1, &dim, NULL);
	ds = H5Dcreate2(grp, "iterations", t, sp, H5P_DEFAULT, H5P_DEFAULT,
			H5P_DEFAULT);
	CHECK(ds >= 0);
	CHECK(H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, r) >= 0);
	H5Dclose(ds);
	H5Sclose(sp);
	H5Tclose(t);
	if (write_ctx > 0) {
		/* one request, decoding from before the first iteration to
		 * past the last (finish NaN: unfinished) */
		struct req_row q = { (uint32_t)(write_ctx *
						(write_req_scale > 0 ? write_req_scale
								     : 1)),
				     (uint32_t)write_gen, 0.0,
				     write_fin > 0 ? write_fin : NAN };

		t = H5Tcreate(H5T_COMPOUND, sizeof(q));
#define F(m, ty) H5Tinsert(t, #m, HOFFSET(struct req_row, m), ty)
		F(prompt_tokens, H5T_NATIVE_UINT32);
		if (!write_req_bad) {
			F(generated, H5T_NATIVE_UINT32);
			F(first_token_s, H5T_NATIVE_DOUBLE);
			F(finish_s, H5T_NATIVE_DOUBLE);
		}
#undef F
		dim = 1;
		sp = H5Screate_simple(1, &dim, NULL);
		ds = H5Dcreate2(grp, "requests", t, sp, H5P_DEFAULT,
				H5P_DEFAULT, H5P_DEFAULT);
		CHECK(ds >= 0);
		CHECK(H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &q) >= 0);
		H5Dclose(ds);
		H5Sclose(sp);
		H5Tclose(t);
	}
	H5Gclose(grp);
	H5Fclose(f);
	gsl_rng_free(g);
	free(r);
}

/* Runs of both head counts without offload or the issue thread's columns
 * into p[0] (Llama-3-8B, 8 KV heads) and p[1] (LWM-7B, 32). */
static void write_two_dense(char (*p)[32], const struct hw_profile *hw,
			    double *gap)
{
	write_live(p[0], "live NVIDIA H200", 600, 0, hw, gap, "llama-3-8b-262k", 8, 0);
	write_live(p[1], "live NVIDIA H200", 600, 0, hw, gap, "lwm-7b", 32, 0);
}

/* The fit of `n` files into hw, which must succeed; its log (free it). */
static char *fit_logged(struct hw_profile *hw, const char *const *files,
			size_t n)
{
	struct ss_err e;
	char *log = NULL;
	size_t len = 0;
	FILE *lf = open_memstream(&log, &len);

	CHECK(lf != NULL);
	CHECK_MSG(cal_fit_exec(hw, files, n, lf, &e) == 0, "%s", e.msg);
	fclose(lf);
	return log;
}

static void t_fit_recovers_known_coefficients(void)
{
	char a[] = "/tmp/ss_exec_a_XXXXXX", b[] = "/tmp/ss_exec_b_XXXXXX";
	const char *files[2] = { a, b };
	struct hw_profile *hw = NULL;
	struct ss_err e;
	double gap = 21e3;
	int fa = mkstemp(a), fb = mkstemp(b);

	CHECK(fa >= 0 && fb >= 0);
	close(fa);
	close(fb);
	CHECK(hw_profile_load(&hw, "h200", &e) == 0);
	CHECK(!hw->exec.present);
	/* two models: the per-KV-head terms need two head counts */
	write_live(a, "live NVIDIA H200", 600, 0, hw, &gap, "llama-3-8b-262k", 8,
		   0);
	write_live(b, "live NVIDIA H200", 600, 1, hw, &gap, "lwm-7b", 32, 0);
	CHECK_MSG(cal_fit_exec(hw, files, 2, NULL, &e) == 0, "%s", e.msg);
	CHECK(hw->exec.present);
	/* GPU terms 0-6 are keys 0-6; the gather is fitted per KV head
	 * (key 14, gather_head_ns) and the per-token key 7 set to 0 */
	for (int j = 0; j < 8; j++)
		CHECK_NEAR(hw_exec_num(&hw->exec, j < 7 ? j : 14)->v, G_TRUE[j],
			   1e-4 * G_TRUE[j]);
	CHECK_EQ_I64(hw->exec.gather_ns.v, 0);
	CHECK_STR_CONTAINS(hw->exec.gather_ns.src, "not fitted");
	CHECK_NEAR(hw->exec.prefill_layer_ns.v, PL_TRUE, 1e-4 * PL_TRUE);
	/* files without their loading layers: the loads' term not fitted;
	 * without the issue thread, the prefill tail neither */
	CHECK_EQ_I64(hw->exec.prefill_tail_ns.v, 0);
	CHECK_STR_CONTAINS(hw->exec.prefill_tail_ns.src, "not fitted");
	CHECK_EQ_I64(hw->exec.load_layer_ns.v, 0);
	CHECK_STR_CONTAINS(hw->exec.load_layer_ns.src, "not fitted");
	for (int j = 0; j < 6; j++)
		CHECK_NEAR(hw_exec_num(&hw->exec, 8 + j)->v, H_TRUE[j],
			   1e-4 * H_TRUE[j]);
	CHECK_STR_CONTAINS(hw->exec.layer_ns.src, "measured");
	CHECK_STR_CONTAINS(hw->exec.host_miss_ns.src, "held-out MAPE");
	/* files without the issue thread's columns: one host stage, and
	 * the offload iterations stay out of the GPU fit */
	CHECK_EQ_I64(hw->exec.host_stages.v, 1);
	CHECK_EQ_I64(hw->exec.host_issue_off_layer_ns.v, 0);
	CHECK_EQ_I64(hw->exec.off_layer_ns.v, 0);
	CHECK_STR_CONTAINS(hw->exec.off_layer_ns.src, "not fitted");
	/* the host op: the iterations' time outside the GPU window */
	CHECK_NEAR(hw->op[HW_OP_HOST].fixed_ns.v, gap, 1);
	CHECK_EQ_I64(hw->op[HW_OP_HOST].per_item_ns.v, 0);
	hw_profile_free(hw);
	remove(a);
	remove(b);
}

/*
 * Runs without the GEMM warm-up whose first iteration of each row count
 * waited 15 ms on cuBLAS (write_cold_gemms 2): the fit leaves those
 * iterations out and recovers the terms, the chunk term among them; the
 * same runs marked as warmed bias the fit (the stalls land on its terms).
 */
static void t_fit_leaves_out_cold_gemm_iterations(void)
{
	char a[] = "/tmp/ss_exec_g_XXXXXX", b[] = "/tmp/ss_exec_h_XXXXXX";
	const char *files[2] = { a, b };
	struct hw_profile *hw = NULL;
	struct ss_err e;
	double gap = 21e3;
	int fa = mkstemp(a), fb = mkstemp(b);
	char *log;

	CHECK(fa >= 0 && fb >= 0);
	close(fa);
	close(fb);
	write_chunk = 1;
	for (int cold = 1; cold <= 2; cold++) {
		/* the second time the same stalls, in files marked warmed
		 * (the writer leaves the mark off with write_cold_gemms) */
		const char *ex = cold == 1 ? "live NVIDIA H200"
					   : "live NVIDIA H200; " SIM_GEMMS_WARMED;

		CHECK(hw_profile_load(&hw, "h200", &e) == 0);
		write_cold_gemms = 2;
		write_live(a, ex, 600, 0, hw, &gap, "llama-3-8b-262k", 8, 0);
		write_live(b, ex, 600, 0, hw, &gap, "lwm-7b", 32, 0);
		write_cold_gemms = 0;
		log = fit_logged(hw, files, 2);
		if (cold == 1) {
			CHECK_STR_CONTAINS(log, "in 2 runs without the GEMM warm-up");
			for (int j = 0; j < 7; j++)
				CHECK_NEAR(hw_exec_num(&hw->exec, j)->v,
					   G_TRUE[j], 1e-4 * G_TRUE[j]);
			CHECK_NEAR(hw->exec.prefill_layer_ns.v, PL_TRUE,
				   1e-4 * PL_TRUE);
			CHECK_NEAR(hw->exec.chunk_layer_ns.v, CH_TRUE,
				   1e-4 * CH_TRUE);
			CHECK_STR_CONTAINS(hw->exec.chunk_layer_ns.src,
					   "chunk over earlier KV");
		} else {
			CHECK(strstr(log, "without the GEMM warm-up") == NULL);
			/* 15 ms stalls on a fifth of the rows: the per-layer
			 * terms come out far off */
			CHECK(fabs(hw->exec.layer_ns.v - G_TRUE[0]) >
				      0.05 * G_TRUE[0] ||
			      fabs(hw->exec.prefill_layer_ns.v - PL_TRUE) >
				      0.05 * PL_TRUE);
		}
		free(log);
		hw_profile_free(hw);
		hw = NULL;
	}
	write_chunk = 0;
	remove(a);
	remove(b);
}

/* Runs with the issue thread: each host stage from its own thread's
 * time; the runs without offload give the issue stage too. */
static void t_fit_two_host_stages(void)
{
	char a[] = "/tmp/ss_exec_d_XXXXXX", b[] = "/tmp/ss_exec_e_XXXXXX";
	const char *files[2] = { a, b };
	struct hw_profile *hw = NULL;
	struct ss_err e;
	double gap = 21e3;
	int fa = mkstemp(a), fb = mkstemp(b);
	char *log = NULL;
	size_t len = 0;
	FILE *lf;

	CHECK(fa >= 0 && fb >= 0);
	close(fa);
	close(fb);
	CHECK(hw_profile_load(&hw, "h200", &e) == 0);
	write_live(a, "live NVIDIA H200", 600, 0, hw, &gap, "llama-3-8b-262k", 8,
		   1);
	write_live(b, "live NVIDIA H200", 900, 1, hw, &gap, "lwm-7b", 32, 1);
	lf = open_memstream(&log, &len);
	CHECK(lf != NULL);
	CHECK_MSG(cal_fit_exec(hw, files, 2, lf, &e) == 0, "%s", e.msg);
	fclose(lf);
	CHECK_STR_CONTAINS(log, "two stages");
	/* the held-out signed error by the model's KV-head count */
	CHECK_STR_CONTAINS(log, "    8 KV heads: dense with prefill");
	CHECK_STR_CONTAINS(log, "    32 KV heads: dense decode");
	/* and of the offload decode iterations by run, named: the second
	 * file's; the first has none (no offload) */
	CHECK_STR_CONTAINS(log, "    offload decode, run 2 (ss_exec_e_");
	CHECK(log && !strstr(log, "offload decode, run 1 ("));
	free(log);
	CHECK_EQ_I64(hw->exec.host_stages.v, 2);
	/* the GPU terms, the offload ones now among them (loads less) */
	for (int j = 0; j < 8; j++)
		CHECK_NEAR(hw_exec_num(&hw->exec, j < 7 ? j : 14)->v, G_TRUE[j],
			   1e-4 * G_TRUE[j]);
	CHECK_NEAR(hw->exec.off_layer_ns.v, OG_TRUE[0], 1e-4 * OG_TRUE[0]);
	CHECK_NEAR(hw->exec.off_dec_sparse_ns.v, OG_TRUE[1], 1e-4 * OG_TRUE[1]);
	CHECK_NEAR(hw->exec.host_layer_ns.v, H_TRUE[0], 1e-4 * H_TRUE[0]);
	CHECK_NEAR(hw->exec.host_item_ns.v, H_TRUE[1], 1e-4 * H_TRUE[1]);
	CHECK_NEAR(hw->exec.host_token_ns.v, H_TRUE[2], 1e-4 * H_TRUE[2]);
	CHECK_NEAR(hw->exec.host_issue_off_layer_ns.v, I_OFF_TRUE,
		   1e-4 * I_OFF_TRUE);
	CHECK_NEAR(hw->exec.prefill_tail_ns.v, PT_TRUE, 1e-6 * PT_TRUE);
	CHECK_STR_CONTAINS(hw->exec.prefill_tail_ns.src, "prefill iterations under offload");
	CHECK_NEAR(hw->exec.host_off_layer_ns.v, H_TRUE[3], 1e-4 * H_TRUE[3]);
	CHECK_NEAR(hw->exec.host_hit_ns.v, H_TRUE[4], 1e-4 * H_TRUE[4]);
	CHECK_NEAR(hw->exec.host_miss_ns.v, H_TRUE[5], 1e-4 * H_TRUE[5]);
	CHECK_STR_CONTAINS(hw->exec.host_hit_ns.src, "policy thread");
	CHECK_STR_CONTAINS(hw->exec.host_layer_ns.src, "issue thread");
	/* layer-prefill iterations join the GPU fit only where the run's
	 * model_s priced them by layer range (its executor attribute) */
	{
		const char *mark = "live NVIDIA H200; " SIM_MODEL_S_BY_LAYER;
		char *l1 = NULL, *l2 = NULL;
		size_t n1 = 0, n2 = 0;
		unsigned g1 = 0, g2 = 0;
		FILE *f1, *f2;

		/* the fit replaced the host op the files' model_s used */
		hw_profile_free(hw);
		CHECK(hw_profile_load(&hw, "h200", &e) == 0);
		write_live(b, "live NVIDIA H200", 900, 1, hw, &gap, "lwm-7b", 32, 2);
		f1 = open_memstream(&l1, &n1);
		CHECK(f1 && cal_fit_exec(hw, files, 2, f1, &e) == 0);
		fclose(f1);
		hw_profile_free(hw);
		CHECK(hw_profile_load(&hw, "h200", &e) == 0);
		write_live(b, mark, 900, 1, hw, &gap, "lwm-7b", 32, 2);
		f2 = open_memstream(&l2, &n2);
		CHECK(f2 && cal_fit_exec(hw, files, 2, f2, &e) == 0);
		fclose(f2);
		CHECK(l1 && strstr(l1, "GPU (") &&
		      sscanf(strstr(l1, "GPU ("), "GPU (%u", &g1) == 1);
		CHECK(l2 && strstr(l2, "GPU (") &&
		      sscanf(strstr(l2, "GPU ("), "GPU (%u", &g2) == 1);
		CHECK_MSG(g2 > g1, "GPU rows %u with the mark, %u without", g2, g1);
		CHECK_NEAR(hw->exec.off_layer_ns.v, OG_TRUE[0], 1e-4 * OG_TRUE[0]);
		/* their per-token terms are on the layers they ran */
		CHECK_NEAR(hw->exec.token_ns.v, G_TRUE[6], 1e-4 * G_TRUE[6]);
		free(l1);
		free(l2);
		/* two prefill items an iteration: the columns of the token
		 * layers, where the totals would mislead */
		hw_profile_free(hw);
		CHECK(hw_profile_load(&hw, "h200", &e) == 0);
		write_live(b, mark, 900, 1, hw, &gap, "lwm-7b", 32, 3);
		f2 = open_memstream(&l2, &n2);
		CHECK(f2 && cal_fit_exec(hw, files, 2, f2, &e) == 0);
		fclose(f2);
		free(l2);
		CHECK_NEAR(hw->exec.token_ns.v, G_TRUE[6], 1e-4 * G_TRUE[6]);
		CHECK_NEAR(hw->exec.off_layer_ns.v, OG_TRUE[0], 1e-4 * OG_TRUE[0]);
		CHECK_NEAR(hw->exec.host_token_ns.v, H_TRUE[2], 1e-4 * H_TRUE[2]);
		CHECK_NEAR(hw->exec.prefill_layer_ns.v, PL_TRUE, 1e-4 * PL_TRUE);
		/* the loads' wait: the executor's part beyond the link */
		CHECK_NEAR(hw->exec.load_layer_ns.v, LL_TRUE[0], 1e-3 * LL_TRUE[0]);
		CHECK_STR_CONTAINS(hw->exec.load_layer_ns.src, "loads' wait");
		/* no GPU work per loading layer in these files: fitted 0 */
		CHECK(fabs(hw->exec.off_load_layer_ns.v) < 1e-3 * LG_TRUE);
		/* a vllm-so run beside it (one copy per block, 10x the
		 * block-head's wait) stays out of the loads' fit */
		{
			char c[] = "/tmp/ss_exec_f_XXXXXX";
			const char *three[3] = { a, b, c };
			int fc = mkstemp(c);

			CHECK(fc >= 0);
			close(fc);
			hw_profile_free(hw);
			CHECK(hw_profile_load(&hw, "h200", &e) == 0);
			write_live(b, mark, 900, 1, hw, &gap, "lwm-7b", 32, 3);
			write_policy = "vllm-so";
			write_live(c, mark, 900, 1, hw, &gap, "lwm-7b", 32, 3);
			write_policy = NULL;
			CHECK(cal_fit_exec(hw, three, 3, NULL, &e) == 0);
			CHECK_NEAR(hw->exec.load_layer_ns.v, LL_TRUE[0],
				   1e-3 * LL_TRUE[0]);
			/* a run under no preset's name: left out, and said */
			{
				char *lg;

				hw_profile_free(hw);
				CHECK(hw_profile_load(&hw, "h200", &e) == 0);
				write_policy = "my-policy";
				write_live(c, mark, 900, 1, hw, &gap, "lwm-7b",
					   32, 3);
				write_policy = NULL;
				lg = fit_logged(hw, three, 3);
				CHECK_STR_CONTAINS(lg, "1 runs of no policy preset (the first: 'my-policy') left out");
				free(lg);
			}
			remove(c);
		}
	}
	hw_profile_free(hw);
	remove(a);
	remove(b);
}

static void t_fit_refuses_other_files(void)
{
	char a[] = "/tmp/ss_exec_c_XXXXXX";
	const char *files[1] = { a };
	struct hw_profile *hw = NULL;
	struct ss_err e;
	double gap = 0;
	int fa = mkstemp(a);

	CHECK(fa >= 0);
	close(fa);
	CHECK(hw_profile_load(&hw, "h200", &e) == 0);
	/* a simulated run: no 'live' executor attribute */
	write_live(a, "costmodel", 50, 0, hw, &gap, "llama-3-8b-262k", 8, 0);
	CHECK(cal_fit_exec(hw, files, 1, NULL, &e) == SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, a);
	CHECK_STR_CONTAINS(e.msg, "not a live run");
	/* not HDF5 at all */
	{
		FILE *f = fopen(a, "w");

		CHECK(f != NULL);
		fputs("policy,metric,value\n", f);
		fclose(f);
	}
	CHECK(cal_fit_exec(hw, files, 1, NULL, &e) == SS_EIO);
	CHECK_STR_CONTAINS(e.msg, a);
	CHECK(!hw->exec.present);
	hw_profile_free(hw);
	remove(a);
}

/* n empty temporary files for result files: paths in p, listed in files */
static void tmp_files(char (*p)[32], const char **files, int n)
{
	for (int k = 0; k < n; k++) {
		int fd;

		snprintf(p[k], sizeof p[k], "/tmp/ss_exec_t%d_XXXXXX", k);
		fd = mkstemp(p[k]);
		CHECK(fd >= 0);
		close(fd);
		files[k] = p[k];
	}
}

static void rm_files(char (*p)[32], int n)
{
	for (int k = 0; k < n; k++)
		remove(p[k]);
}

/* A hit's policy cost grows with the requests' context (host_hit_ctx_ns):
 * runs at 6k and 96k tokens tell it from the per-hit term; the simulator
 * charges it by the context it is given. */
static void t_fit_hit_cost_by_context(void)
{
	char p[3][32];
	const char *files[3], *a = p[0], *b = p[1], *c = p[2];
	struct hw_profile *hw = NULL;
	struct cost_model cm;
	struct model m;
	struct ss_err e;
	double gap = 21e3;
	int64_t small, big;

	tmp_files(p, files, 3);
	CHECK(hw_profile_load(&hw, "h200", &e) == 0);
	write_live(a, "live NVIDIA H200", 600, 0, hw, &gap, "llama-3-8b-262k", 8,
		   1);
	write_ctx = 6144;
	write_live(b, "live NVIDIA H200", 900, 1, hw, &gap, "lwm-7b", 32, 1);
	write_ctx = 98304;
	write_live(c, "live NVIDIA H200", 900, 1, hw, &gap, "lwm-7b", 32, 1);
	write_ctx = 0;
	CHECK_MSG(cal_fit_exec(hw, files, 3, NULL, &e) == 0, "%s", e.msg);
	CHECK_NEAR(hw->exec.host_hit_ns.v, H_TRUE[4], 1e-4 * H_TRUE[4]);
	CHECK_NEAR(hw->exec.host_hit_ctx_ns.v, HL_TRUE, 1e-4 * HL_TRUE);
	CHECK_NEAR(hw->exec.host_miss_ns.v, H_TRUE[5], 1e-4 * H_TRUE[5]);
	CHECK_STR_CONTAINS(hw->exec.host_hit_ctx_ns.src,
			   "doubling of the mean context");
	/* the cost: 100,000 hits at 1,024 tokens (or fewer) and at 64k
	 * differ by 100,000 x 6 doublings x HL_TRUE, the policy stage the
	 * larger */
	CHECK(model_load(&m, "lwm-7b", &e) == 0);
	cm = (struct cost_model){ hw, &m };
	small = cost_exec_host_ns(&cm, 1, 0, 100000, 0, 1, 512);
	big = cost_exec_host_ns(&cm, 1, 0, 100000, 0, 1, 65536);
	CHECK_EQ_I64(small, cost_exec_host_ns(&cm, 1, 0, 100000, 0, 1, 1024));
	CHECK_NEAR((double)(big - small), 100000 * 6 * HL_TRUE, 2);
	/* one context (24k in both offload runs): the term cannot be told
	 * from the per-hit one, which carries it there */
	write_ctx = 24576;
	write_live(b, "live NVIDIA H200", 900, 1, hw, &gap, "lwm-7b", 32, 1);
	write_live(c, "live NVIDIA H200", 900, 1, hw, &gap, "lwm-7b", 32, 1);
	write_ctx = 0;
	CHECK_MSG(cal_fit_exec(hw, files, 3, NULL, &e) == 0, "%s", e.msg);
	CHECK(hw->exec.host_hit_ctx_ns.v == 0);
	CHECK_STR_CONTAINS(hw->exec.host_hit_ctx_ns.src, "less than a doubling");
	CHECK_NEAR(hw->exec.host_hit_ns.v, H_TRUE[4] + HL_TRUE * log2(24.0),
		   1e-4 * H_TRUE[4]);
	/* a context that grows within a run (the fit interpolates the
	 * tokens generated by each iteration's start): 2k to ~70k in one
	 * run, a constant 6k in the other */
	write_ctx = 2048;
	write_gen = 2e6;
	write_fin = 1000;
	write_live(b, "live NVIDIA H200", 900, 1, hw, &gap, "lwm-7b", 32, 1);
	write_gen = write_fin = 0;
	write_ctx = 6144;
	write_live(c, "live NVIDIA H200", 900, 1, hw, &gap, "lwm-7b", 32, 1);
	write_ctx = 0;
	CHECK_MSG(cal_fit_exec(hw, files, 3, NULL, &e) == 0, "%s", e.msg);
	CHECK_NEAR(hw->exec.host_hit_ns.v, H_TRUE[4], 1e-4 * H_TRUE[4]);
	CHECK_NEAR(hw->exec.host_hit_ctx_ns.v, HL_TRUE, 1e-4 * HL_TRUE);
	/* requests tables whose contexts are 4x the decode requests': files
	 * that record each iteration's decode context give the fit the right
	 * one; without the column the fit takes the table's, and its
	 * per-hit terms come out off */
	write_req_scale = 4;
	for (write_dctx = 1; write_dctx >= 0; write_dctx--) {
		write_ctx = 2048;
		write_gen = 2e6;
		write_fin = 1000;
		write_live(b, "live NVIDIA H200", 900, 1, hw, &gap, "lwm-7b",
			   32, 1);
		write_gen = write_fin = 0;
		write_ctx = 6144;
		write_live(c, "live NVIDIA H200", 900, 1, hw, &gap, "lwm-7b",
			   32, 1);
		write_ctx = 0;
		CHECK_MSG(cal_fit_exec(hw, files, 3, NULL, &e) == 0, "%s",
			  e.msg);
		if (write_dctx) {
			CHECK_NEAR(hw->exec.host_hit_ctx_ns.v, HL_TRUE,
				   1e-4 * HL_TRUE);
			CHECK_NEAR(hw->exec.host_hit_ns.v, H_TRUE[4],
				   1e-4 * H_TRUE[4]);
		} else {
			CHECK(fabs(hw->exec.host_hit_ctx_ns.v - HL_TRUE) >
				      0.01 * HL_TRUE ||
			      fabs(hw->exec.host_hit_ns.v - H_TRUE[4]) >
				      0.01 * H_TRUE[4]);
		}
	}
	write_dctx = 0;
	write_req_scale = 0;
	/* an offload run without its requests table: not fitted either */
	write_ctx = 98304;
	write_live(c, "live NVIDIA H200", 900, 1, hw, &gap, "lwm-7b", 32, 1);
	write_ctx = 0;
	write_live(b, "live NVIDIA H200", 900, 1, hw, &gap, "lwm-7b", 32, 1);
	CHECK_MSG(cal_fit_exec(hw, files, 3, NULL, &e) == 0, "%s", e.msg);
	CHECK(hw->exec.host_hit_ctx_ns.v == 0);
	CHECK_STR_CONTAINS(hw->exec.host_hit_ctx_ns.src,
			   "without their requests table");
	/* a requests table without the columns the context needs: an
	 * error naming the file, not a context of 0 */
	write_ctx = 6144;
	write_req_bad = 1;
	write_live(b, "live NVIDIA H200", 900, 1, hw, &gap, "lwm-7b", 32, 1);
	write_req_bad = 0;
	write_ctx = 0;
	CHECK(cal_fit_exec(hw, files, 3, NULL, &e) == SS_EIO);
	CHECK_STR_CONTAINS(e.msg, b);
	CHECK_STR_CONTAINS(e.msg, "requests table lacks");
	hw_profile_free(hw);
	rm_files(p, 3);
}

/* Runs of one KV-head count: the per-head GPU terms are not fitted (their
 * columns are the per-layer ones times a constant); the per-layer terms
 * carry them for that count. */
static void t_fit_one_head_count(void)
{
	char p[2][32];
	const char *files[2];
	struct hw_profile *hw = NULL;
	struct ss_err e;
	double gap = 21e3;

	tmp_files(p, files, 2);
	CHECK(hw_profile_load(&hw, "h200", &e) == 0);
	write_live(p[0], "live NVIDIA H200", 600, 0, hw, &gap, "lwm-7b", 32, 1);
	write_live(p[1], "live NVIDIA H200", 900, 1, hw, &gap, "lwm-7b", 32, 1);
	CHECK_MSG(cal_fit_exec(hw, files, 2, NULL, &e) == 0, "%s", e.msg);
	CHECK(hw->exec.layer_head_ns.v == 0);
	CHECK(hw->exec.sparse_layer_head_ns.v == 0);
	CHECK_STR_CONTAINS(hw->exec.layer_head_ns.src, "one KV-head count (32)");
	CHECK_NEAR(hw->exec.layer_ns.v, G_TRUE[0] + 32 * G_TRUE[2],
		   1e-4 * G_TRUE[0]);
	CHECK_NEAR(hw->exec.sparse_layer_ns.v, G_TRUE[1] + 32 * G_TRUE[3],
		   1e-4 * G_TRUE[1]);
	hw_profile_free(hw);
	rm_files(p, 2);
}

/* The offload work per KV head (off_layer_head_ns) from offload runs of
 * two head counts, beside the sparse layers' per-head term from runs
 * without offload of two head counts. */
/* Runs of both head counts into p[0..3]: Llama-3-8B (8 KV heads) and
 * LWM-7B (32) without offload in p[0] and p[1], LWM-7B under offload in
 * p[3], and Llama-3-8B under offload in p[2] where `llama_offload`. */
static void write_two_models(char (*p)[32], const struct hw_profile *hw,
			     double *gap, int llama_offload)
{
	write_live(p[0], "live NVIDIA H200", 600, 0, hw, gap, "llama-3-8b-262k", 8, 1);
	write_live(p[1], "live NVIDIA H200", 600, 0, hw, gap, "lwm-7b", 32, 1);
	if (llama_offload)
		write_live(p[2], "live NVIDIA H200", 900, 1, hw, gap, "llama-3-8b-262k", 8, 1);
	write_live(p[3], "live NVIDIA H200", 900, 1, hw, gap, "lwm-7b", 32, 1);
}

/* A cost of the prefill iterations outside the fit's terms stays with the
 * prefill terms: the other GPU terms come from the decode-only iterations
 * (fit_gpu's first stage) and are recovered as if it were absent. */
static void t_fit_prefill_misfit_stays_out(void)
{
	char p[2][32];
	const char *files[2];
	struct hw_profile *hw = NULL;
	struct ss_err e;
	double gap = 21e3;

	tmp_files(p, files, 2);
	CHECK(hw_profile_load(&hw, "h200", &e) == 0);
	write_pf_misfit = 1;
	write_two_dense(p, hw, &gap);
	write_pf_misfit = 0;
	CHECK_MSG(cal_fit_exec(hw, files, 2, NULL, &e) == 0, "%s", e.msg);
	/* per layer, per KV head and per decode request: exact */
	for (int j = 0; j < 6; j++)
		CHECK_NEAR(hw_exec_num(&hw->exec, j)->v, G_TRUE[j],
			   1e-4 * G_TRUE[j]);
	/* the prefill terms took the misfit: the per-token one higher */
	CHECK_MSG(hw->exec.token_ns.v > 1.5 * G_TRUE[6], "%.1f ns per token",
		  hw->exec.token_ns.v);
	hw_profile_free(hw);
	for (int i = 0; i < 2; i++)
		remove(p[i]);
}

/* The decode terms are fitted to the windows' relative error: a misfit of
 * the long windows (2 us a layer, 64 us an iteration of 100 ms) barely moves
 * them (unweighted, the per-layer terms would take about half of it). */
static void t_fit_relative_weights(void)
{
	char p[2][32];
	const char *files[2];
	struct hw_profile *hw = NULL;
	struct ss_err e;
	double gap = 21e3;

	tmp_files(p, files, 2);
	CHECK(hw_profile_load(&hw, "h200", &e) == 0);
	write_wide = 1;
	write_two_dense(p, hw, &gap);
	write_wide = 0;
	CHECK_MSG(cal_fit_exec(hw, files, 2, NULL, &e) == 0, "%s", e.msg);
	CHECK_NEAR(hw->exec.layer_ns.v, G_TRUE[0], 100);
	CHECK_NEAR(hw->exec.sparse_layer_ns.v, G_TRUE[1], 100);
	hw_profile_free(hw);
	for (int i = 0; i < 2; i++)
		remove(p[i]);
}

/* Runs without prefill iterations leave the prefill terms unfitted, and
 * runs of prefill iterations alone (no decode-only iteration for the first
 * stage) are fitted in one stage, as before session 16. */
static void t_fit_one_kind_of_iteration(void)
{
	char p[2][32];
	const char *files[2];
	struct hw_profile *hw = NULL;
	struct ss_err e;
	double gap = 21e3;
	char *log;

	tmp_files(p, files, 2);
	CHECK(hw_profile_load(&hw, "h200", &e) == 0);
	write_prefill = -1;
	write_two_dense(p, hw, &gap);
	log = fit_logged(hw, files, 2);
	for (int j = 0; j < 6; j++)
		CHECK_NEAR(hw_exec_num(&hw->exec, j)->v, G_TRUE[j],
			   1e-4 * G_TRUE[j]);
	CHECK(hw->exec.token_ns.v == 0 && hw->exec.prefill_layer_ns.v == 0);
	CHECK_STR_CONTAINS(hw->exec.token_ns.src, "not fitted: no iteration with prefill");
	CHECK_STR_CONTAINS(hw->exec.layer_ns.src, "decode-only iterations, weighted");
	CHECK_STR_CONTAINS(log, "(none: the prefill terms not fitted)");
	free(log);
	hw_profile_free(hw);
	CHECK(hw_profile_load(&hw, "h200", &e) == 0);
	write_prefill = 1;
	write_two_dense(p, hw, &gap);
	write_prefill = 0;
	log = fit_logged(hw, files, 2);
	/* (every iteration runs prefill on every layer: the per-layer and
	 * per-prefill-layer terms are one column, split arbitrarily) */
	CHECK_NEAR(hw->exec.token_ns.v, G_TRUE[6], 1e-4 * G_TRUE[6]);
	CHECK_STR_CONTAINS(hw->exec.token_ns.src, "one stage");
	CHECK_STR_CONTAINS(log, "GPU fit in one stage");
	free(log);
	hw_profile_free(hw);
	for (int i = 0; i < 2; i++)
		remove(p[i]);
}

/* The GPU's work per loading layer (off_load_layer_ns), from runs that
 * record their loading layers; offload runs that do not are left out of
 * the GPU fit, though they carry that work too, and with none that
 * records them the term is not fitted. */
static void t_fit_load_layer_gpu(void)
{
	char p[3][32];
	const char *files[3];
	const char *mark = "live NVIDIA H200; " SIM_MODEL_S_BY_LAYER;
	struct hw_profile *hw = NULL;
	struct ss_err e;
	double gap = 21e3;
	char *log;

	tmp_files(p, files, 3);
	CHECK(hw_profile_load(&hw, "h200", &e) == 0);
	write_load_gpu = 1;
	write_live(p[0], "live NVIDIA H200", 600, 0, hw, &gap, "llama-3-8b-262k", 8, 1);
	write_live(p[1], mark, 900, 1, hw, &gap, "llama-3-8b-262k", 8, 3);
	write_live(p[2], "live NVIDIA H200", 900, 1, hw, &gap, "llama-3-8b-262k", 8, 1);
	write_load_gpu = 0;
	log = fit_logged(hw, files, 3);
	CHECK_NEAR(hw->exec.off_load_layer_ns.v, LG_TRUE, 1e-3 * LG_TRUE);
	CHECK_NEAR(hw->exec.off_layer_ns.v, OG_TRUE[0], 1e-3 * OG_TRUE[0]);
	CHECK_NEAR(hw->exec.off_dec_sparse_ns.v, OG_TRUE[1], 1e-3 * OG_TRUE[1]);
	CHECK_STR_CONTAINS(hw->exec.off_load_layer_ns.src, "per layer loading blocks");
	CHECK_STR_CONTAINS(log, "offload iterations left out (and ");
	CHECK_STR_CONTAINS(log, "held out), from runs that did not record their loading layers");
	free(log);
	/* only the runs without the column: not fitted, the other terms
	 * absorb it as best they can */
	hw_profile_free(hw);
	CHECK(hw_profile_load(&hw, "h200", &e) == 0);
	files[1] = p[2];
	CHECK_MSG(cal_fit_exec(hw, files, 2, NULL, &e) == 0, "%s", e.msg);
	CHECK(hw->exec.off_load_layer_ns.v == 0);
	CHECK_STR_CONTAINS(hw->exec.off_load_layer_ns.src, "not fitted: no offload iteration recorded its loading layers");
	hw_profile_free(hw);
	for (int i = 0; i < 3; i++)
		remove(p[i]);
}

static void t_fit_offload_per_head(void)
{
	char p[4][32];
	const char *files[4];
	struct hw_profile *hw = NULL;
	struct ss_err e;
	double gap = 21e3;

	tmp_files(p, files, 4);
	CHECK(hw_profile_load(&hw, "h200", &e) == 0);
	write_off_head = 1;
	write_two_models(p, hw, &gap, 1);
	write_off_head = 0;
	CHECK_MSG(cal_fit_exec(hw, files, 4, NULL, &e) == 0, "%s", e.msg);
	CHECK_NEAR(hw->exec.off_layer_head_ns.v, OH_TRUE, 1e-3 * OH_TRUE);
	CHECK_NEAR(hw->exec.off_layer_ns.v, OG_TRUE[0], 1e-3 * OG_TRUE[0]);
	CHECK_NEAR(hw->exec.sparse_layer_head_ns.v, G_TRUE[3], 1e-3 * G_TRUE[3]);
	CHECK_NEAR(hw->exec.layer_head_ns.v, G_TRUE[2], 1e-3 * G_TRUE[2]);
	CHECK_STR_CONTAINS(hw->exec.off_layer_head_ns.src, "per KV head per layer under offload");
	/* offload runs of one head count: not fitted, the per-layer term
	 * carries it */
	files[2] = p[3];
	write_off_head = 1;
	write_two_models(p, hw, &gap, 0);
	write_off_head = 0;
	CHECK_MSG(cal_fit_exec(hw, files, 3, NULL, &e) == 0, "%s", e.msg);
	CHECK(hw->exec.off_layer_head_ns.v == 0);
	CHECK_STR_CONTAINS(hw->exec.off_layer_head_ns.src, "one KV-head count (32)");
	CHECK_NEAR(hw->exec.off_layer_ns.v, OG_TRUE[0] + 32 * OH_TRUE,
		   1e-3 * OG_TRUE[0]);
	CHECK(hw->exec.off_dec_head_ns.v == 0);
	/* the offload work per decode request and KV head
	 * (off_dec_head_ns), apart from that per request, from two head
	 * counts; with one the per-request term carries it */
	files[2] = p[2];
	write_off_dec_head = 1;
	write_two_models(p, hw, &gap, 1);
	CHECK_MSG(cal_fit_exec(hw, files, 4, NULL, &e) == 0, "%s", e.msg);
	CHECK_NEAR(hw->exec.off_dec_head_ns.v, ODH_TRUE, 1e-3 * ODH_TRUE);
	CHECK_NEAR(hw->exec.off_dec_sparse_ns.v, OG_TRUE[1], 1e-3 * OG_TRUE[1]);
	CHECK_NEAR(hw->exec.off_layer_ns.v, OG_TRUE[0], 1e-3 * OG_TRUE[0]);
	CHECK_STR_CONTAINS(hw->exec.off_dec_head_ns.src, "per decode request and KV head");
	files[2] = p[3];
	write_two_models(p, hw, &gap, 0);
	write_off_dec_head = 0;
	CHECK_MSG(cal_fit_exec(hw, files, 3, NULL, &e) == 0, "%s", e.msg);
	CHECK(hw->exec.off_dec_head_ns.v == 0);
	CHECK_STR_CONTAINS(hw->exec.off_dec_head_ns.src, "one KV-head count (32)");
	CHECK_NEAR(hw->exec.off_dec_sparse_ns.v, OG_TRUE[1] + 32 * ODH_TRUE,
		   1e-3 * OG_TRUE[1]);
	hw_profile_free(hw);
	rm_files(p, 4);
}

static void t_profile_section_roundtrip_and_costs(void)
{
	struct hw_profile *hw = NULL, *back = NULL;
	struct model m;
	struct cost_model c;
	struct ss_err e;
	char *txt = NULL;
	size_t len = 0;
	FILE *f;

	CHECK(hw_profile_load(&hw, "h200", &e) == 0);
	CHECK(model_load(&m, "llama-3-8b-262k", &e) == 0);
	c = (struct cost_model){ hw, &m };
	/* without the section the executor costs nothing */
	CHECK_EQ_I64(cost_exec_layer_ns(&c, 8, 0, 100, 100, 0), 0);
	CHECK_EQ_I64(cost_exec_host_ns(&c, 8, 100, 1000, 10, 1, 0), 0);
	for (int j = 0; j < HW_EXEC_NUMS; j++) {
		struct hw_num *n = hw_exec_num(&hw->exec, j);

		n->v = 10.0 * (j + 1);
		snprintf(n->src, sizeof n->src, "test %s", hw_exec_key(j));
	}
	hw->exec.host_stages.v = 1; /* 1 or 2 */
	hw->exec.present = 1;
	/* dense layer, 8 KV heads: 10 + 8 x 30 + 8 x 50 + 100 x 70
	 * + 200 x (80 + 8 x 150) + 210 (a layer running prefill) + 270 (a
	 * chunk over earlier KV: chunk_layer_ns) */
	CHECK_EQ_I64(cost_exec_layer_ns(&c, 8, 0, 100, 200, 0), 264130);
	/* no earlier KV: no chunk term */
	CHECK_EQ_I64(cost_exec_layer_ns(&c, 8, 0, 100, 0, 0), 7860);
	/* without prefill tokens: 10 + 8 x 30 + 8 x 50 */
	CHECK_EQ_I64(cost_exec_layer_ns(&c, 8, 0, 0, 0, 0), 650);
	/* sparse layer: 20 + 8 x 40 + 8 x 60 + ... */
	CHECK_EQ_I64(cost_exec_layer_ns(&c, 8, 1, 100, 200, 0), 264300);
	/* under offload: + 180 a layer and 8 x 240 its heads
	 * (off_layer_head_ns), + 8 x 190 on a sparse one, and 8 requests x
	 * 8 heads x 250 there (off_dec_head_ns) */
	CHECK_EQ_I64(cost_exec_layer_ns(&c, 8, 0, 100, 200, 1), 266230);
	CHECK_EQ_I64(cost_exec_layer_ns(&c, 8, 1, 100, 200, 1), 283920);
	/* a layer that loads: 200 (load_layer_ns) */
	CHECK_EQ_I64(cost_exec_load_layer_ns(&c), 200);
	/* an offload iteration with prefill: 220 (prefill_tail_ns) */
	CHECK_EQ_I64(cost_exec_prefill_tail_ns(&c), 220);
	/* 90 + 3 x 100 + 100 x 110, + 160 (issue) + 120 + 1000 x 130
	 * + 10 x 140 (look-ups) under offload */
	CHECK_EQ_I64(cost_exec_host_ns(&c, 3, 100, 1000, 10, 0, 0), 11390);
	CHECK_EQ_I64(cost_exec_host_ns(&c, 3, 100, 1000, 10, 1, 0), 143070);
	/* two stages: the larger of 11550 (issue) and 131520 (look-ups) */
	hw->exec.host_stages.v = 2;
	CHECK_EQ_I64(cost_exec_host_ns(&c, 3, 100, 1000, 10, 0, 0), 11390);
	CHECK_EQ_I64(cost_exec_host_ns(&c, 3, 100, 1000, 10, 1, 0), 131520);
	CHECK_EQ_I64(cost_exec_host_ns(&c, 3, 100, 10, 0, 1, 0), 11550);
	hw->exec.host_stages.v = 1;
	f = open_memstream(&txt, &len);
	CHECK(f != NULL);
	CHECK(hw_profile_write(hw, f, &e) == 0);
	fclose(f);
	CHECK_STR_CONTAINS(txt, "\"executor\"");
	CHECK_STR_CONTAINS(txt, "test host_miss_ns");
	CHECK_MSG(hw_profile_parse(&back, txt, "roundtrip", &e) == 0, "%s", e.msg);
	CHECK(back->exec.present);
	for (int j = 0; j < HW_EXEC_NUMS; j++) {
		CHECK_NEAR(hw_exec_num(&back->exec, j)->v,
			   hw_exec_num(&hw->exec, j)->v, 0);
		CHECK(!strcmp(hw_exec_num(&back->exec, j)->src,
			      hw_exec_num(&hw->exec, j)->src));
	}
	hw_profile_free(back);
	back = NULL;
	/* host stages are 1 or 2 */
	{
		char *t3 = NULL;
		size_t l3 = 0;
		FILE *f3 = open_memstream(&t3, &l3);

		CHECK(f3 != NULL);
		hw->exec.host_stages.v = 3;
		CHECK(hw_profile_write(hw, f3, &e) == 0);
		fclose(f3);
		hw->exec.host_stages.v = 1;
		CHECK(hw_profile_parse(&back, t3, "stages.json", &e) == SS_EINVAL);
		CHECK_STR_CONTAINS(e.msg, "executor.host_stages");
		free(t3);
	}
	/* an unknown key in the section is named */
	{
		char *bad = malloc(len + 64), *at = strstr(txt, "\"executor\"");

		CHECK(bad != NULL && at != NULL);
		at = strchr(at, '{');
		snprintf(bad, len + 64, "%.*s\"warp_ns\": {\"value\": 1, \"source\": \"x\"},%s",
			 (int)(at - txt) + 1, txt, at + 1);
		CHECK(hw_profile_parse(&back, bad, "bad.json", &e) == SS_EINVAL);
		CHECK_STR_CONTAINS(e.msg, "executor.warp_ns");
		free(bad);
	}
	/* a retired key names what replaced it */
	{
		char *bad = malloc(len + 80), *at = strstr(txt, "\"executor\"");

		CHECK(bad != NULL && at != NULL);
		at = strchr(at, '{');
		snprintf(bad, len + 80, "%.*s\"host_hit_log_ns\": {\"value\": 4, \"source\": \"x\"},%s",
			 (int)(at - txt) + 1, txt, at + 1);
		CHECK(hw_profile_parse(&back, bad, "old.json", &e) == SS_EINVAL);
		CHECK_STR_CONTAINS(e.msg, "executor.host_hit_log_ns");
		CHECK_STR_CONTAINS(e.msg, "host_hit_ctx_ns");
		free(bad);
	}
	/* a section written before gather_head_ns existed still loads, with
	 * the term 0; a missing older key is still an error */
	{
		char *old = strdup(txt), *k = strstr(old, "\"gather_head_ns\"");
		char *comma, *end;

		if (!old || !k || !strchr(k, '}')) {
			CHECK_MSG(0, "no gather_head_ns in the written profile");
			free(old);
			free(txt);
			hw_profile_free(hw);
			return;
		}
		/* the section's last key: from the comma before it to the
		 * end of its object (its source holds no brace) */
		for (comma = k; comma > old && *comma != ','; comma--)
			;
		end = strchr(k, '}') + 1;
		memmove(comma, end, strlen(end) + 1);
		if (hw_profile_parse(&back, old, "old.json", &e) == 0) {
			CHECK_EQ_I64(back->exec.gather_head_ns.v, 0);
			CHECK_STR_CONTAINS(back->exec.gather_head_ns.src, "absent");
			CHECK_NEAR(back->exec.gather_ns.v, 80, 0);
			hw_profile_free(back);
			back = NULL;
		} else {
			CHECK_MSG(0, "an executor section without gather_head_ns: %s",
				  e.msg);
		}
		/* host_hit_ns removed (it is followed by host_miss_ns): a
		 * required key, named when missing */
		k = strstr(old, "\"host_hit_ns\"");
		end = k ? strstr(k, "\"host_miss_ns\"") : NULL;
		if (k && end) {
			memmove(k, end, strlen(end) + 1);
			CHECK(hw_profile_parse(&back, old, "old.json", &e) ==
			      SS_EINVAL);
			CHECK_STR_CONTAINS(e.msg, "host_hit_ns");
		} else {
			CHECK_MSG(0, "no host_hit_ns before host_miss_ns");
		}
		free(old);
	}
	free(txt);
	hw_profile_free(hw);
}

/* The simulator with and without the executor section (h200-live, and
 * the same with the section switched off: h200's host op differs), every
 * preset: the section only adds time; a huge host cost per block-head
 * makes every offload layer host-bound, so iterations take at least that
 * long. */
static void t_sim_charges_executor_costs(void)
{
	struct env a, b;
	struct trace t;

	env_init(&a, "llama-3-8b-262k", "h200-live");
	env_init(&b, "llama-3-8b-262k", "h200-live");
	a.hw->exec.present = 0;
	CHECK(!a.hw->exec.present && b.hw->exec.present);
	a.cfg.hbm_budget_gb = b.cfg.hbm_budget_gb = 2;
	trace_init(&t);
	for (uint32_t i = 0; i < 6; i++)
		push(&t, i, (int64_t)i * 40 * SS_NS_PER_MS, 1000 + (i * 977) % 5000,
		     8 + (i * 13) % 24);
	for (size_t k = 0; pol_presets[k]; k++) {
		struct sim x, y;
		int64_t dx = 0, dy = 0;

		env_run(&a, pol_presets[k]->name, NULL, &t, &x);
		env_run(&b, pol_presets[k]->name, NULL, &t, &y);
		CHECK_EQ_U64(x.pol.nfinished, t.n);
		CHECK_EQ_U64(y.pol.nfinished, t.n);
		dx = x.totals.dur_ns;
		dy = y.totals.dur_ns;
		CHECK_MSG(dy > dx, "%s: %lld ns with the executor's costs, %lld without",
			  pol_presets[k]->name, (long long)dy, (long long)dx);
		sim_release(&x);
		sim_release(&y);
	}
	/* the close of an offload iteration with prefill (prefill_tail_ns)
	 * and the wait per loading layer (load_layer_ns): 50 ms each, far
	 * above anything else, so every such iteration takes at least that */
	b.hw->exec.prefill_tail_ns.v = 50e6;
	b.hw->exec.load_layer_ns.v = 50e6;
	b.cfg.drain_saves = 1; /* the executor's way: the tail applies */
	{
		struct sim y;
		size_t npf = 0, nld = 0;

		env_run(&b, "sparseserve", NULL, &t, &y);
		for (size_t i = 0; i < y.niters; i++) {
			const struct sim_iter_rec *r = &y.iters[i];

			if (r->prefill_tokens) {
				CHECK(r->dur_ns >= 50 * SS_NS_PER_MS);
				npf++;
			}
			if (r->load_layers) {
				CHECK_MSG(r->load_ns >= (int64_t)r->load_layers *
								50 * SS_NS_PER_MS,
					  "iteration %zu: %lld ns of loads over %u layers",
					  i, (long long)r->load_ns, r->load_layers);
				CHECK(r->blocks_loaded > 0);
				nld++;
			}
		}
		CHECK(npf > 0);
		CHECK(nld > 0);
		sim_release(&y);
	}
	/* the GPU's work per loading layer outside the loads' wait
	 * (off_load_layer_ns): 50 ms a loading layer on top of the layer's
	 * compute, not in load_ns */
	b.hw->exec.prefill_tail_ns.v = 0;
	b.hw->exec.load_layer_ns.v = 0;
	{
		struct sim y;
		size_t nld = 0;

		double keep = b.hw->exec.off_load_layer_ns.v;

		b.hw->exec.off_load_layer_ns.v = 50e6;
		env_run(&b, "sparseserve", NULL, &t, &y);
		b.hw->exec.off_load_layer_ns.v = keep;
		for (size_t i = 0; i < y.niters; i++) {
			const struct sim_iter_rec *r = &y.iters[i];

			if (!r->load_layers)
				continue;
			CHECK_MSG(r->dur_ns - r->load_ns >=
					  (int64_t)r->load_layers * 50 * SS_NS_PER_MS,
				  "iteration %zu: %lld ns, %lld of loads, %u loading layers",
				  i, (long long)r->dur_ns, (long long)r->load_ns,
				  r->load_layers);
			CHECK_MSG(r->load_ns < 50 * SS_NS_PER_MS,
				  "iteration %zu: %lld ns of loads", i,
				  (long long)r->load_ns);
			nld++;
		}
		CHECK(nld > 0);
		sim_release(&y);
	}
	b.hw->exec.prefill_tail_ns.v = 50e6;
	/* saves not drained (the paper's system): the tail is not charged,
	 * the run is the one without it */
	b.hw->exec.load_layer_ns.v = 0;
	b.cfg.drain_saves = 0;
	{
		struct sim y, z;

		env_run(&b, "sparseserve", NULL, &t, &y);
		b.hw->exec.prefill_tail_ns.v = 0;
		env_run(&b, "sparseserve", NULL, &t, &z);
		CHECK_EQ_I64(y.totals.dur_ns, z.totals.dur_ns);
		CHECK_EQ_U64(y.niters, z.niters);
		sim_release(&y);
		sim_release(&z);
	}
	/* host-bound: 1 ms per block-head looked up (hit or miss); every
	 * offload iteration that looks blocks up takes at least that */
	b.hw->exec.host_hit_ns.v = 1e6;
	b.hw->exec.host_miss_ns.v = 1e6;
	{
		struct sim y;
		size_t bound = 0;

		env_run(&b, "sparseserve", NULL, &t, &y);
		for (size_t i = 0; i < y.niters; i++) {
			const struct sim_iter_rec *r = &y.iters[i];
			uint64_t looked = r->hits + r->blocks_loaded;

			if (!looked)
				continue;
			/* looked-up block-heads of the iteration x 1 ms */
			CHECK_MSG((double)r->dur_ns >= 0.999e6 * (double)looked,
				  "iteration %zu: %lld ns for %llu block-heads",
				  i, (long long)r->dur_ns,
				  (unsigned long long)looked);
			bound++;
		}
		CHECK(bound > 0);
		sim_release(&y);
	}
	/* the same by the context alone: 1 ms per hit and doubling of the
	 * decode requests' mean context over 1,024 tokens. One request of
	 * 8,192 prompt tokens decodes at 3 doublings (its context grows by 7
	 * tokens at most), one of 2,048 at 1: the capacity (2 GB, one
	 * doubling) no longer enters */
	b.hw->exec.host_hit_ns.v = 0;
	b.hw->exec.host_miss_ns.v = 0;
	b.hw->exec.host_hit_ctx_ns.v = 1e6;
	for (int k = 0; k < 2; k++) {
		struct trace one;
		struct sim y;
		size_t bound = 0;
		const double dbl = k ? 1.0 : 3.0;

		trace_init(&one);
		push(&one, 0, 0, k ? 2048 : 8192, 8);
		env_run(&b, "sparseserve", NULL, &one, &y);
		for (size_t i = 0; i < y.niters; i++) {
			const struct sim_iter_rec *r = &y.iters[i];
			double h = (double)r->hits;

			if (!r->hits || r->prefill_tokens)
				continue;
			CHECK_MSG((double)r->dur_ns >= 0.99e6 * dbl * h &&
					  (double)r->dur_ns <
						  1.01e6 * (dbl + 0.01) * h + 5e7,
				  "prompt %d, iteration %zu: %lld ns for %llu hits",
				  k ? 2048 : 8192, i, (long long)r->dur_ns,
				  (unsigned long long)r->hits);
			bound++;
		}
		CHECK(bound > 0);
		sim_release(&y);
		trace_release(&one);
	}
	trace_release(&t);
	hw_profile_free(a.hw);
	hw_profile_free(b.hw);
}

static const struct th_case cases[] = {
	TH_CASE(t_sim_charges_executor_costs),
	TH_CASE(t_fit_recovers_known_coefficients),
	TH_CASE(t_fit_leaves_out_cold_gemm_iterations),
	TH_CASE(t_fit_prefill_misfit_stays_out),
	TH_CASE(t_fit_one_kind_of_iteration),
	TH_CASE(t_fit_relative_weights),
	TH_CASE(t_fit_two_host_stages),
	TH_CASE(t_fit_hit_cost_by_context),
	TH_CASE(t_fit_one_head_count),
	TH_CASE(t_fit_offload_per_head),
	TH_CASE(t_fit_load_layer_gpu),
	TH_CASE(t_fit_refuses_other_files),
	TH_CASE(t_profile_section_roundtrip_and_costs),
	{ 0 },
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, cases);
}
