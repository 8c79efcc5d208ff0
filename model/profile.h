/*
 * profile.h - the inside of a hardware profile (`struct hw_profile`), for
 * code that builds or inspects one: the JSON reader/writer here, the cost
 * model (cost.c) and, later, calibrate/ which fills the same struct from
 * measurements. Simulator code uses only the accessors in cost.h.
 *
 * File format (JSON, docs/profiles.md): "format", "version", "name",
 * "kind", "description", "capacity", "link", "ops"; every scalar written
 * as {"value": N, "source": "..."}; keys starting with '_' are comments.
 *
 * Every scalar is a `struct hw_num`: a value and the string saying where
 * it comes from ("measured: ...", "datasheet: ...", "paper Fig 4a",
 * "estimate: <why>"). Every operation is one `struct hw_op` in one of two
 * forms, so analytic and calibrated profiles are interchangeable:
 *
 *   roofline: t = fixed_ns + items * per_item_ns
 *                 + max(flops / (flops_peak * eff(x)), bytes / (bytes_bw * bw_eff))
 *             eff(x) = eff_max * x / (x + eff_half_x)   (eff_max when eff_half_x = 0)
 *             a roof whose peak is 0 is absent.
 *   table:    t = fixed_ns + fixed_x(x) + items * per_item_ns
 *                 + work / rate(x, y)
 *             rate(x, y) from a grid of measured points (work units/s),
 *             interpolated piecewise-linearly in log(x), log(y), log(rate).
 *             Below the smallest x, "x_below" says what stays: "time"
 *             (default, the time of one item) or "rate" (for work not
 *             proportional to x, e.g. decode's per-request query bytes).
 *             y is what `y_axis` names: the SMs the caller passes (default),
 *             the op's items or its bytes. fixed_x ("fixed_ns_by_x", optional,
 *             0 when absent) is a time per call tabulated over the same x,
 *             interpolated piecewise-linearly in log(x) (in log(time) where
 *             both neighbours are > 0), constant outside the grid.
 *             work is the op's FLOPs or bytes (`work`). Below the smallest
 *             x the time of one item stays at its value there (a call costs
 *             at least its overhead); above the largest x the rate stays;
 *             below the smallest y the rate scales with y (per-SM rate);
 *             above the largest y it stays (for y_axis items or bytes the
 *             rate stays on both sides). With y_axis items, x above the
 *             largest counts as more items of the largest x: the rate is
 *             taken at (x_max, items * x / x_max) (the kernels split a long
 *             context like a batch: split-KV). With y_axis bytes, x below
 *             the smallest is looked up with the bytes of the same count
 *             at the smallest x. With ny == 1, y is ignored.
 *             fit_kv_heads (decode_attn, decode_attn_sparse only; optional,
 *             0 = absent): the KV heads of the model shape the table was
 *             measured on. The kernels' efficiency follows the (request x
 *             KV head) rows, not the requests, so the cost function passes
 *             the batch as requests of that shape, items = batch x the
 *             model's kv_heads / fit_kv_heads (hw_op_decode_batch): the
 *             y axis and per_item_ns both count those.
 *   waves:    (prefill_attn only: its cost function passes the call's shape)
 *             the kernel's grid in rounds of CTAs. n = ceil(q / tile_q) x
 *             heads CTAs (query tiles x the simulated model's query heads),
 *             L = ceil(n / sm_count) of them on the busiest SM, run
 *             ctas_per_sm at a time: R = floor(L / ctas_per_sm) full rounds
 *             and r = 1 partial round when L is not a multiple (0 else).
 *             Tiles start longest first, so round i's longest tile sees
 *             K(i) = max(kv + min(q, tile_q), kv + q - i g) keys, g =
 *             tile_q x sm_count x ctas_per_sm / heads (query rows of each
 *             head per round; kv = earlier keys):
 *             t = fixed_ns + items * per_item_ns + R round_ns + r tail_ns
 *                 + round_key_ns sum_{i<R} K(i) + tail_key_ns r K(R)
 *             tail_* <= round_* (a round that fills never costs less).
 *             fit_heads (the heads of the calibrated shape) is provenance.
 *
 * What x, y and items mean for each op is in docs/profiles.md (x: tokens
 * for linear/misc, query tokens for prefill, KV tokens per request for
 * decode, block-heads per request for select, sequences for lm_head/
 * sample/host, fragment bytes for transfers; y: SMs of a copy kernel).
 */
#ifndef SS_MODEL_PROFILE_H
#define SS_MODEL_PROFILE_H

#include <stdint.h>
#include <stdio.h>

#include "model/cost.h"
#include "ss.h"

#define HW_PROFILE_VERSION 1
#define HW_GRID_MAX 32
#define HW_SRC_MAX 320

struct hw_num {
	double v;              /* value, in the unit its key names */
	char src[HW_SRC_MAX];  /* where it comes from */
};

enum hw_op_id {
	HW_OP_LINEAR = 0,         /* QKV/O/gate-up/down GEMMs, one layer; x = tokens */
	HW_OP_LAYER_MISC,         /* norms, RoPE, SwiGLU, residuals, KV append; x = tokens */
	HW_OP_PREFILL_ATTN,       /* causal attention of one request; x = query tokens */
	HW_OP_DECODE_ATTN,        /* dense decode attention; x = KV tokens per request */
	HW_OP_DECODE_ATTN_SPARSE, /* sparse (selected blocks) decode attention */
	HW_OP_SELECT,             /* DSA digest scoring + top-k; x = block-heads per request */
	HW_OP_LM_HEAD,            /* final norm + LM head GEMM + embedding gather; x = seqs */
	HW_OP_SAMPLE,             /* sampling from logits; x = seqs */
	HW_OP_HOST,               /* host scheduling + launch overhead per iteration */
	HW_OP_XFER0,              /* + enum xfer_mech: transfers; x = fragment bytes, y = SMs */
	HW_NOPS = HW_OP_XFER0 + XFER_NMECH
};
/* JSON key of an op ("linear", ..., "flash_h2d"). */
const char *hw_op_name(enum hw_op_id id);

enum hw_form { HW_FORM_ROOFLINE = 0, HW_FORM_TABLE = 1, HW_FORM_WAVES = 2 };
enum hw_work { HW_WORK_BYTES = 0, HW_WORK_FLOPS = 1 };
/* What a table's y axis is ("y_axis" in the file; "sms" when absent). */
enum hw_yaxis {
	HW_Y_SMS = 0,   /* the y the cost function passes: SMs of a copy kernel */
	HW_Y_ITEMS = 1, /* the op's items: batch (decode, select), count (transfers) */
	HW_Y_BYTES = 2  /* the op's bytes per call */
};

struct hw_op {
	enum hw_form form;
	struct hw_num fixed_ns;    /* per call, ns */
	struct hw_num per_item_ns; /* per item (request, sequence, call), ns */
	/* roofline */
	struct hw_num flops_peak;  /* FLOP/s; 0 = no compute roof */
	struct hw_num eff_max;     /* fraction of flops_peak reached at large x */
	struct hw_num eff_half_x;  /* x at which eff = eff_max / 2; 0 = flat */
	struct hw_num bytes_bw;    /* B/s; 0 = no memory roof */
	struct hw_num bw_eff;      /* fraction of bytes_bw reached */
	/* table */
	enum hw_work work;         /* what `rate` counts */
	char unit[16];             /* unit of rate in the file: "GB/s", "B/s", "TFLOP/s", "FLOP/s" */
	double unit_scale;         /* file unit -> work units/s */
	uint32_t nx, ny;           /* grid size; ny >= 1 */
	enum hw_yaxis yaxis;       /* what y is (ny > 1 only) */
	int has_fixed_x;           /* "fixed_ns_by_x" given */
	int below_rate;            /* "x_below": "rate": below the smallest x the
				      rate stays (default "time": the time of
				      one item stays) */
	double fixed_x[HW_GRID_MAX]; /* ns per call by x, added to fixed_ns (>= 0) */
	double x[HW_GRID_MAX];     /* ascending, > 0 */
	double y[HW_GRID_MAX];     /* ascending, > 0 (ny > 1 only) */
	double rate[HW_GRID_MAX][HW_GRID_MAX]; /* [iy][ix], in `unit`, > 0 */
	char table_src[2 * HW_SRC_MAX];        /* where the grid comes from */
	struct hw_num fit_kv_heads; /* decode attention: KV heads of the model
				       shape the table was measured on; the
				       cost function scales the batch by the
				       model's kv_heads / fit_kv_heads; 0 =
				       absent, no scaling */
	/* waves (prefill_attn) */
	struct hw_num tile_q;      /* query rows per CTA */
	struct hw_num ctas_per_sm; /* CTAs resident on one SM at once */
	struct hw_num wave_sms;    /* SMs the grid is spread over */
	struct hw_num fit_heads;   /* query heads of the shape fitted (provenance) */
	struct hw_num round_ns;    /* per full round, ns */
	struct hw_num round_key_ns; /* per key of a full round's longest tile, ns */
	struct hw_num tail_ns;     /* per partial round, ns */
	struct hw_num tail_key_ns; /* per key of the partial round's longest tile, ns */
	/* filled by hw_profile_validate() */
	double lx[HW_GRID_MAX], ly[HW_GRID_MAX];
	double lrate[HW_GRID_MAX][HW_GRID_MAX]; /* log(rate * unit_scale) */
};

/*
 * The live executor's own costs (live/, docs/calibration.md), fitted by
 * `calibrate --fit-exec` from live runs: optional ("executor" in the file;
 * absent: `present` 0 and every cost 0, the simulator models kernels only).
 * GPU: the executor's per-layer work around the kernels the ops model (KV
 * append, index uploads, row scatter and gather, KV gather for chunked
 * prefill). Host: the time to issue one layer's work; a layer takes at
 * least that long (the GPU waits for the host when it is slower).
 */
#define HW_EXEC_NUMS 27
struct hw_exec {
	int present;
	struct hw_num layer_ns;        /* GPU, per dense layer */
	struct hw_num sparse_layer_ns; /* GPU, per sparse (DSA) layer */
	struct hw_num layer_head_ns;   /* GPU, per KV head per dense layer */
	struct hw_num sparse_layer_head_ns; /* per KV head per sparse layer */
	struct hw_num dec_dense_ns;    /* per decode request, per dense layer */
	struct hw_num dec_sparse_ns;   /* per decode request, per sparse layer */
	struct hw_num token_ns;        /* per prefill token, per layer */
	struct hw_num gather_ns;       /* per earlier KV token gathered, per layer
					  (profiles fitted before gather_head_ns;
					  0 in newer fits) */
	struct hw_num host_layer_ns;   /* host issue, per layer */
	struct hw_num host_item_ns;    /* per request in the layer */
	struct hw_num host_token_ns;   /* per prefill token in the layer */
	struct hw_num host_off_layer_ns; /* extra per layer under offload */
	struct hw_num host_hit_ns;     /* per block-head found in HBM (offload) */
	struct hw_num host_miss_ns;    /* per block-head missed: slot, eviction,
					  load list (offload) */
	struct hw_num gather_head_ns;  /* per earlier KV token x KV head
					  gathered, per layer (the gather moves
					  each head's K and V; optional in a
					  file: absent = 0) */
	/* The host's two kinds of work per layer: issuing the GPU work,
	 * I = host_layer + items host_item + tokens host_token
	 *     + [offload] host_issue_off_layer,
	 * and the offload policy's look-ups,
	 * P = [offload] host_off_layer + hits host_hit + misses host_miss.
	 * One host thread does both (host_stages 1: I + P a layer); the
	 * executor since session 11 issues layer l on its own thread while
	 * the policy works on layer l + 1 (host_stages 2: max(I, P)). Both
	 * optional in a file: absent = 0, which reads as 1 stage. */
	struct hw_num host_issue_off_layer_ns; /* issue, extra per layer
					  under offload (two stages only) */
	struct hw_num host_stages;     /* 1 or 2 (0: 1) */
	/* GPU, under offload (optional in a file: absent = 0): the loads'
	 * and saves' index uploads and table updates, the selections'
	 * upload and block lists; the loads' own time is the link's */
	struct hw_num off_layer_ns;    /* per layer */
	struct hw_num off_dec_sparse_ns; /* per decode request per sparse
					  layer */
	/* per layer that loads blocks, the GPU's wait beyond the link's
	 * per-transfer latency: the executor uploads the layer's block
	 * lists and starts the load kernel on its compute stream (optional
	 * in a file: absent = 0) */
	struct hw_num load_layer_ns;
	/* GPU, per layer that runs prefill tokens (its prefill launches;
	 * optional in a file: absent = 0) */
	struct hw_num prefill_layer_ns;
	/* offload presets: per iteration with prefill tokens, the time from
	 * its last kernel until its saves have landed and it closes, beyond
	 * the host op (optional in a file: absent = 0) */
	struct hw_num prefill_tail_ns;
	/* the policy's cost per block-head found grows with the requests'
	 * contexts (the directory a request's look-ups walk): per hit and
	 * per doubling of the decode requests' mean context over 1,024
	 * tokens (P's hit term is hits (host_hit + log2(ctx / 1024)
	 * host_hit_ctx); until session 18 host_hit_log_ns, per doubling of
	 * the KV capacity; optional in a file: absent = 0) */
	struct hw_num host_hit_ctx_ns;
	/* GPU under offload, per KV head per layer with work: the loads'
	 * and selections' per-head index work (optional in a file: absent
	 * = 0) */
	struct hw_num off_layer_head_ns;
	/* GPU under offload, per decode request per KV head per sparse
	 * layer: the per-(request, head) selection and load-list work, on
	 * top of off_dec_sparse_ns (session 14: the executor's extra per
	 * decode request grew with the KV heads, 4.1 µs at Llama-3-8B's 8
	 * and 18.6 at LWM-7B's 32; optional in a file: absent = 0) */
	struct hw_num off_dec_head_ns;
	/* GPU under offload, per layer that loads blocks, beyond the loads'
	 * wait (load_layer_ns): the load kernel's launch and its block
	 * lists' work on the compute stream, outside the wait the executor
	 * measures (session 16: a decode iteration's GPU window less its
	 * load wait grew by ~8 us a loading layer, sparseserve at batch 1;
	 * optional in a file: absent = 0) */
	struct hw_num off_load_layer_ns;
	/* GPU, per layer running a prefill chunk over earlier KV (its
	 * gather of that KV and the chunked attention's launch beyond the
	 * kernels' model; session 19: in runs without cuBLAS's first-use
	 * stalls such a chunk took 2-7 ms more a 32-layer iteration than
	 * model_s, a chunk without earlier KV within 1 ms; optional in a
	 * file: absent = 0) */
	struct hw_num chunk_layer_ns;
};
/* Key of exec number i ("layer_ns", ...) and the number itself. */
const char *hw_exec_key(int i);
struct hw_num *hw_exec_num(struct hw_exec *e, int i);
const struct hw_num *hw_exec_cnum(const struct hw_exec *e, int i);
/* host_stages as 1 or 2 */
int hw_exec_stages(const struct hw_exec *e);

struct hw_profile {
	char name[128];        /* "h200" or the file path */
	char kind[16];         /* "analytic", "calibrated", "what-if" */
	char description[512];
	/* capacities */
	struct hw_num hbm_device_bytes;    /* device memory, bytes */
	struct hw_num hbm_usable_fraction; /* share usable for weights+KV+activations */
	struct hw_num workspace_bytes;     /* fixed activation workspace, bytes */
	struct hw_num dram_pinned_bytes;   /* pinned host pool limit, bytes */
	struct hw_num sm_count;            /* SMs */
	struct hw_num copy_sms;            /* SMs a copy kernel gets by default */
	/* host link */
	struct hw_num h2d_bw;              /* B/s, one direction alone */
	struct hw_num d2h_bw;              /* B/s, one direction alone */
	struct hw_num bidir_bw;            /* B/s, both directions at once, total */
	struct hw_num latency_ns;          /* ns, one small transfer */
	struct hw_op op[HW_NOPS];
	struct hw_exec exec;               /* optional: the live executor */
	/* multiplies the GPU's compute times in model/cost.c (0 or 1: the
	 * profile's; set from config key cost.gpu_scale, not a file key) */
	double gpu_scale;
};

/* Zeroed profile (GSL-style alloc/free); NULL when out of memory. */
struct hw_profile *hw_profile_alloc(void);
/*
 * Parse a profile file's text (`origin` names it in errors). Unknown keys,
 * missing keys or ops, a wrong version and malformed JSON are errors that
 * name the origin and the key path.
 */
int hw_profile_parse(struct hw_profile **out, const char *json,
		     const char *origin, struct ss_err *err);
/*
 * Check ranges and grid order and precompute the logarithms used by the
 * interpolation. Must be called after filling a profile by hand.
 */
int hw_profile_validate(struct hw_profile *p, const char *origin,
			struct ss_err *err);
/*
 * Override the host link (sim config keys link.h2d_gbps, link.d2h_gbps,
 * link.bidir_gbps; bytes/s here, 0 = keep the profile's): set the link
 * bandwidths and move every transfer mechanism's byte rate (table points,
 * or a roofline's byte roof) by the series model 1/r = 1/r_other +
 * 1/r_link, keeping the non-link part r_other (per-call driver time, SM or
 * CPU limits) and every per-call and per-item cost. An unset bidir cap is
 * scaled like the sum of the two directions. Revalidates `p`.
 */
int hw_profile_set_link(struct hw_profile *p, double h2d_bw, double d2h_bw,
			double bidir_bw, struct ss_err *err);
/* Write `p` as a profile file (parsing it back gives an equal profile). */
int hw_profile_write(const struct hw_profile *p, FILE *f, struct ss_err *err);

/*
 * Time of one call of `op` in ns (not rounded): `x`, `y` as in the table
 * above, `flops` and `bytes` its work, `items` its per-item count.
 * No allocation, no I/O. Not for the waves form (it needs the call's
 * shape: hw_op_prefill_ns); BUG on one.
 */
double hw_op_ns(const struct hw_op *op, double x, double y, double flops,
		double bytes, double items);
/*
 * The items (batch) a decode attention op is evaluated at for `batch`
 * requests of a model with `kv_heads` KV heads: batch x kv_heads /
 * op->fit_kv_heads, the requests of the measured shape with as many
 * (request x KV head) rows; `batch` itself when fit_kv_heads is 0. For the
 * measured shape it is `batch` exactly.
 */
double hw_op_decode_batch(const struct hw_op *op, double batch,
			  double kv_heads);
/* The terms of the waves form for q query tokens after kv earlier keys
 * with `heads` query heads (profile.h top): rounds R, r and key sums. */
struct hw_waves {
	double full, tail;         /* R full rounds, r (0 or 1) partial */
	double full_keys, tail_keys; /* sum_{i<R} K(i), r K(R) */
};
void hw_waves_terms(double tile_q, double ctas_per_sm, double sms, double q,
		    double kv, double heads, struct hw_waves *w);
/*
 * Time of one prefill attention call of `op` in ns (not rounded): the
 * waves form from the shape (q query tokens, kv earlier keys, the model's
 * query heads), any other form as hw_op_ns(op, q, 0, flops, bytes, 1).
 */
double hw_op_prefill_ns(const struct hw_op *op, double q, double kv,
			double heads, double flops, double bytes);
/* Interpolated rate of a table op at (x, y), work units/s; y is the value of
 * the op's y axis (SMs, items or bytes: `yaxis`). */
double hw_op_rate(const struct hw_op *op, double x, double y);

#endif
