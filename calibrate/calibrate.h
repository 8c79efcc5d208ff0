/*
 * calibrate.h - from kernel measurements to the simulator's hardware
 * profile (`sparseserve calibrate`, docs/calibration.md).
 *
 * A calibration run (`struct cal_run`) holds, for every operation of the
 * profile (enum hw_op_id, model/profile.h), the raw samples measured on
 * the GPU (every repetition at every grid point), the fit chosen for it,
 * and the provenance of the run; `hw` is the fitted profile itself, the
 * one the simulator loads. Operations that could not be measured keep the
 * base profile's model and say so in their status and sources.
 *
 * Each sample carries both the benchmark's own parameters (p[]: tokens,
 * batch and context, fragment bytes, count and SMs...) and what the cost
 * model hands the operation for those parameters (x, y, items, FLOPs,
 * bytes: cal_work()), so a fit predicts exactly what cost_*_ns() will ask.
 *
 * Fitting (cal_fit_op): candidates in forms the profile can hold:
 *   lsq:   weighted least squares (weights 1/t^2, i.e. relative error) of
 *          t = c0 + c1 items + c2 W + c3 W/x  (W = the op's FLOPs or bytes),
 *          coefficients kept >= 0, mapped onto the roofline form
 *          (fixed_ns = c0, per_item_ns = c1, peak = 1e9/c2,
 *          eff_half_x = c3/c2; W/x only for FLOP-counted ops). FLOP-counted
 *          ops also get a memory roof: the points below a split x are
 *          fitted on c4 bytes instead (bytes_bw = 1e9/c4), the split with
 *          the smallest error of max(compute, memory) being kept;
 *   table: the overheads c0, c1 of the same fit (scaled down so that
 *          they leave at least 20% of every time to the work), then the
 *          measured rate W / (t - c0 - c1 items) at every grid point
 *          (geometric mean of the points sharing an (x, y)), interpolated
 *          by the profile in log space;
 *   table-rate: the same with no overheads (rate = W / t): exact for power
 *          laws such as a constant time below a knee.
 *   table-2d, columns: further grid forms (docs/calibration.md);
 *   waves (prefill_attn): least squares (weights 1/t^2, coefficients >= 0)
 *          on the prefill kernel's rounds of CTAs (model/profile.h, form
 *          waves): t = c0 + c1 (R + r) + c2 R + c3 (A + B) + c4 A, R, r the
 *          full and partial rounds, A, B their keys (hw_waves_terms), so
 *          that a full round costs at least a partial one (round_ns =
 *          c1 + c2, tail_ns = c1, round_key_ns = c3 + c4, tail_key_ns =
 *          c3); needs the kernel's grid (struct cal_grid).
 * The distinct x values of an op's grid are split deterministically:
 * interior values at index i with i % CAL_HOLDOUT_K == 1 are held out.
 * Each candidate is fitted on the rest and scored on the held-out points
 * (MAPE and worst relative error, in %); the best other candidate is
 * chosen over lsq only when its held-out MAPE is lower by more than 0.01
 * percentage points (on a tie
 * the smooth model stays); the choice is refitted on every point and
 * stored.
 *
 * Ownership: cal_run_alloc/cal_run_free; the run owns its sample arrays
 * and `hw`. Nothing here keeps global state.
 */
#ifndef SS_CALIBRATE_H
#define SS_CALIBRATE_H

#include <stdint.h>
#include <stdio.h>

#include "model/cost.h"
#include "model/profile.h"
#include "ss.h"

#define CAL_FILE_VERSION 1
#define CAL_HOLDOUT_K 3
#define CAL_MAX_EXTRA 32
#define CAL_TEXT 256

/* One timed repetition at one grid point of one operation. */
struct cal_sample {
	uint32_t point;   /* grid point index within the op */
	uint32_t rep;     /* repetition at that point */
	double p[3];      /* the benchmark's parameters (names: cal_op_data.params) */
	double x, y;      /* what the cost model passes the op (cal_work) */
	double items;     /* per-item count (requests, sequences, fragments) */
	double flops;     /* FLOPs of the call, as the cost model counts them */
	double bytes;     /* bytes of the call, as the cost model counts them */
	double t_ns;      /* measured time, ns */
};

enum cal_method {
	CAL_LSQ = 0,        /* roofline form from least squares */
	CAL_TABLE = 1,      /* table, overheads from least squares */
	CAL_TABLE_RATE = 2, /* table, no overheads: rate = work / time */
	CAL_TABLE_2D = 3,   /* table-rate over x and the op's second grid axis
			       (batch or call size: y_axis items or bytes) */
	CAL_COLUMNS = 4,    /* per x column: t = a(x) + W b(x) by least
			       squares, a and 1/b tabulated over x */
	CAL_WAVES = 5,      /* prefill_attn: least squares on the kernel's
			       rounds of CTAs (form waves) */
	CAL_NMETHOD
};
/* "lsq", "table", "table-rate", "table-2d", "columns", "waves". */
const char *cal_method_name(enum cal_method m);

/* The outcome of fitting one op. Errors are relative, in percent. */
struct cal_fit {
	enum cal_method method;   /* the one chosen and stored */
	uint32_t n_points;        /* grid points (means of the repetitions) */
	uint32_t n_test;          /* held-out grid points */
	double mape_pct, max_pct; /* held-out error of the chosen method */
	double lsq_mape_pct, lsq_max_pct;     /* held-out error of lsq */
	double table_mape_pct, table_max_pct; /* held-out error of the best
						 other candidate: the table
						 variants and waves (NAN: n/a) */
	double coef[5];           /* lsq on all points: c0 ns, c1 ns/item,
				     c2 ns/work unit, c3 ns*x/work unit,
				     c4 ns/byte below split_x */
	double split_x;           /* lsq: x below which the memory roof was
				     fitted (0: none; inf: all points) */
};

/*
 * The prefill kernel the calibration measures: the automatic variant of
 * kernels/prefill_attn.h for more than 64 queries where the device runs
 * sm_90a code (Hopper), the wgmma kernel of kernels/prefill_attn_sm90a.cu:
 * WG_BM = 128 query rows per CTA, __launch_bounds__(256, 2) with 97 KiB of
 * shared memory, so 2 CTAs per SM (228 KiB). Grid (query heads, query
 * tiles in reverse, sequences). Change these with the kernel.
 */
#define CAL_PREFILL_TILE_Q 128
#define CAL_PREFILL_CTAS_PER_SM 2

/*
 * What a fit needs to know of the measured kernel's grid: the waves form
 * (prefill_attn) all of it, the decode attention tables the KV heads
 * (fit_kv_heads, model/profile.h).
 */
struct cal_grid {
	double tile_q;            /* query rows per CTA; 0: unknown (no waves) */
	double ctas_per_sm;       /* CTAs resident on one SM */
	double sms;               /* SMs of the GPU measured */
	double heads;             /* query heads of the model shape measured */
	double kv_heads;          /* KV heads of that shape; 0: unknown (decode
				     tables without fit_kv_heads) */
	char model[64];           /* that shape's name */
};

/* Everything measured for one op. */
struct cal_op_data {
	int measured;             /* 0: not measured, the base model kept */
	char status[CAL_TEXT];    /* "measured" or "not measured: <why>" */
	char params[3][24];       /* names of p[0..2], "" when unused */
	char shape[CAL_TEXT];     /* what was measured (model, kernel, options) */
	struct cal_sample *s;     /* samples, in measurement order (point-
				     major, or repetition-major where the
				     repetitions interleave over the grid) */
	size_t n, alloc;
	struct cal_fit fit;       /* valid when measured */
	struct cal_grid grid;     /* prefill_attn: the kernel's grid; decode
				     attention: the shape's heads
				     (cal_run_grid; not stored in the file) */
};

/* A measured number that is not an op (launch cost, link rates...). */
struct cal_extra {
	char name[48];
	double value;
	char unit[16];
	char src[CAL_TEXT];
};

struct cal_prov {
	char gpu[256];            /* device name */
	int sm_count;             /* SMs */
	uint64_t hbm_bytes;       /* device memory, bytes */
	int driver_version;       /* e.g. 13000 */
	int runtime_version;      /* CUDA runtime, e.g. 13000 */
	int sm_clock_khz;         /* max SM clock reported, kHz */
	int mem_clock_khz;        /* max memory clock reported, kHz */
	char clocks_seen[CAL_TEXT]; /* clocks observed during the run */
	char date[40];            /* UTC, ISO 8601 */
	char commit[64];          /* git describe of the build */
	char command[1024];       /* the exact command */
	char model[64];           /* model shape used for the work formulas */
	char base[64];            /* profile the unmeasured ops come from */
	double wall_s;            /* duration of the measurements, s */
};

struct cal_run {
	struct cal_prov prov;
	struct cal_op_data op[HW_NOPS];
	struct cal_extra extra[CAL_MAX_EXTRA];
	uint32_t n_extra;
	struct hw_profile *hw;    /* the fitted profile (owned) */
	uint32_t n_failed;        /* benchmarks that failed in this process
				     (cal_measure; not stored in the file) */
};

/* Zeroed run (GSL style); NULL when out of memory. */
struct cal_run *cal_run_alloc(void);
/* Frees the samples and the profile; accepts NULL. */
void cal_run_free(struct cal_run *r);

/* Append one sample to op `id`. 0 or SS_ENOMEM. */
int cal_op_add(struct cal_op_data *d, const struct cal_sample *s,
	       struct ss_err *err);
/* Record an extra number (at most CAL_MAX_EXTRA; more are BUG). */
void cal_extra_add(struct cal_run *r, const char *name, double value,
		   const char *unit, const char *src);

/*
 * What the cost model hands op `id` for the benchmark parameters p[]:
 * fills s->x, y, items, flops and bytes by asking the cost functions
 * themselves (model/cost.c), so a fit is in the simulator's own units.
 * Parameters per op:
 *   linear, layer_misc: p0 tokens
 *   prefill_attn:       p0 query tokens, p1 earlier KV tokens
 *   decode_attn(_sparse): p0 batch, p1 KV tokens read per request
 *   select:             p0 batch, p1 blocks per request and KV head
 *   lm_head, sample, host: p0 sequences, p1 tokens (0: = sequences)
 *   transfers:          p0 fragment bytes, p1 count, p2 SMs (0: copy_sms)
 * `m` is the model shape measured, `base` supplies copy_sms. Decode
 * attention's items are the batch of `m` itself: a table fitted on `m`
 * gets fit_kv_heads = m's KV heads, for which the cost function's scaling
 * (hw_op_decode_batch) is the identity; the probe profile has none.
 * No I/O; allocates a scratch profile.
 */
int cal_work(const struct model *m, const struct hw_profile *base,
	     enum hw_op_id id, struct cal_sample *s, struct ss_err *err);

/* Does op `id` count FLOPs (1) or bytes (0) as its work? */
int cal_op_counts_flops(enum hw_op_id id);
/* Does op `id` have a y (SM) dimension the profile can use? */
int cal_op_uses_y(enum hw_op_id id);

/*
 * Fit op `id` from its samples (means over repetitions per grid point):
 * both candidates, held-out scoring, choice, refit on all points. Writes
 * the chosen model into *out (sources name `label`, e.g. the GPU and
 * date) and the scores into d->fit. SS_EINVAL with a message naming the
 * op when the grid cannot be fitted (fewer than 2 points, a non-positive
 * time, more than HW_GRID_MAX distinct x or y, a non-rectangular grid).
 */
int cal_fit_op(enum hw_op_id id, struct cal_op_data *d, const char *label,
	       struct hw_op *out, struct ss_err *err);

/*
 * Held-out predictions of the chosen method for every grid point: pred[i]
 * is the prediction of the model fitted without point i's x column when
 * that column is held out, of the all-points model otherwise; meas[i] the
 * mean measurement; held[i] 1 when held out. Arrays have d->n entries
 * at least; *n_pts gets the number of grid points. 0 or SS_EINVAL.
 */
int cal_fit_predictions(enum hw_op_id id, const struct cal_op_data *d,
			double *meas, double *pred, int *held, double *x,
			size_t *n_pts, struct ss_err *err);

/*
 * Fill the prefill op's grid (cal_op_data.grid) from the provenance: SMs,
 * the model shape's query heads (model_load of prov.model) and the kernel
 * constants above; leaves it zero (no waves candidate) when the SM count
 * or the model is unknown. Fill the decode attention ops' grids with the
 * shape's heads and KV heads (their tables' fit_kv_heads); zero when the
 * model is unknown. cal_file_read and cal_run_fit call it.
 */
void cal_run_grid(struct cal_run *r);

/*
 * Fit every measured op of `r` and assemble r->hw: the base profile
 * `base` with each measured op replaced, kind "calibrated", capacities
 * from the provenance where measured. Validates the result.
 */
int cal_run_fit(struct cal_run *r, const struct hw_profile *base,
		struct ss_err *err);

/* ---- the profile file (HDF5, calibrate/profile_h5.c) ---------------- */

/*
 * Write `r` to `path` atomically (tmp + rename), without object
 * timestamps, so equal runs give byte-identical files.
 */
int cal_file_write(const struct cal_run *r, const char *path,
		   struct ss_err *err);
/*
 * Read a calibration file. Errors are one line naming the file and what
 * is wrong: not HDF5 or truncated, wrong format tag or version, a missing
 * operation group, samples or profile, or a profile that does not parse.
 */
int cal_file_read(struct cal_run **out, const char *path, struct ss_err *err);
/* Only the fitted profile of a calibration file (hw_profile_load's .h5 path). */
int cal_profile_h5_load(struct hw_profile **out, const char *path,
			struct ss_err *err);

/* ---- report (calibrate/report.c) -------------------------------------- */

/*
 * Per-op held-out error table of `r` on `f`; with `csv`, the rows
 * "op,points,mape_pct,max_err_pct" (measured ops only) after that header.
 * With `plot_dir`, one PNG per measured op (measured vs predicted) drawn
 * by gnuplot, plus its data and script. 0 or an error.
 */
/*
 * The live executor's own costs (the profile's "executor" section and its
 * `host` op) fitted from the iterations of live result files `files`
 * (calibrate/exec_fit.c); the runs must have used profile `hw` (their
 * model_s column is its estimate). A summary with held-out errors goes to
 * `log` (may be NULL). 0 or error naming the file.
 */
int cal_fit_exec(struct hw_profile *hw, const char *const *files,
		 size_t nfiles, FILE *log, struct ss_err *err);

int cal_report(const struct cal_run *r, FILE *f, int csv,
	       const char *plot_dir, struct ss_err *err);

/* ---- what-if profiles (calibrate/derive.c) ---------------------------- */

/* NULL-terminated names of the what-if targets ("a100-40g", "gh200"). */
extern const char *const cal_derive_targets[];
/*
 * Derive a what-if profile from the calibrated profile `from` by scaling
 * each term by datasheet ratios (docs/calibration.md), every number
 * labelled with its source. *out is allocated. SS_EINVAL for an unknown
 * target.
 */
int cal_derive(struct hw_profile **out, const struct hw_profile *from,
	       const char *target, struct ss_err *err);

/* ---- measurement (calibrate/measure.c) -------------------------------- */

struct cal_measure_opts {
	int quick;                /* ~2 minute smoke grid */
	const char *model;        /* shape for the work formulas (lwm-7b) */
	const char *base;         /* profile for unmeasured ops (h200) */
	const char *command;      /* recorded in the provenance */
	const char *only;         /* comma list of benchmarks, NULL: all */
	int verbose;              /* one line per op on stderr */
};

/*
 * Run the kernel benchmarks on GPU 0 over the calibration grids and fill
 * a new run (samples, extras, provenance; not yet fitted). SS_ENODEV with
 * "no GPU" when none is usable or CUDA was not built. A benchmark that
 * fails is reported on stderr and counted in (*out)->n_failed; its op is
 * left unmeasured with the error in its status, and the others go on.
 * Benchmark names: the op names plus "concurrent", "overheads" and
 * "flash_d2h_threads" (extras).
 */
int cal_measure(struct cal_run **out, const struct cal_measure_opts *o,
		struct ss_err *err);

#endif
