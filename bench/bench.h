/*
 * bench.h - the benchmark harness of kernels/ (`sparseserve bench`).
 *
 * One CLI for every kernel (nccl-tests style): which benchmarks, warm-up
 * and repeat counts, validation on or off, output folder. Every benchmark
 * validates its kernel on the data it times (copies bit-exact on sampled
 * blocks, attention against a double-precision reference), times with
 * CUDA events after warm-up (the L2 flushed between repeats where the data
 * could stay cached: a read of 4 x L2, which leaves the cache clean, as
 * Nsight Compute's flush does; a memset flush, used until session 6, left
 * the L2 full of dirty lines whose write-back, up to 60 MB, the timed
 * kernel paid for), keeps every sample, and reports the median as a
 * ratio to a limit measured in the same run (bulk pinned H2D/D2H, both
 * directions at once, HBM copy).
 *
 * Outputs in --out DIR: samples.h5 (every raw sample, /<kernel>/<case>,
 * milliseconds, with the bytes moved), summary.csv
 * (kernel,case,value,unit,limit,ratio) and table.md (the same with spread,
 * date, GPU, driver and the command).
 */
#ifndef SS_BENCH_H
#define SS_BENCH_H

#include <stdint.h>

#include "kernels/device.h"

#define BENCH_MAX_ROWS 2048

struct bench_row {
	char kernel[32];
	char name[96];   /* case */
	double value;    /* median, in unit */
	char unit[16];
	double limit;    /* same unit; 0 = none */
	double lo, hi;   /* min and max of value over the samples */
	int n;           /* samples */
};

struct bench {
	/* options */
	int warmup, repeats, check, quick;
	char only[256];          /* comma list, "" = all */
	char out_dir[1024];
	char cmdline[2048];
	char model[1024];        /* model of the dense-path benchmarks: a
				    shipped name or a config.json path */
	unsigned tp;             /* tensor-parallel degree: the benchmarks
				    run one GPU's share (heads and FFN / tp) */
	unsigned long seed;
	/* device */
	struct kern_dev_info dev;
	void *stream, *stream2;  /* two non-blocking streams */
	void *ev0, *ev1, *ev2, *ev3;
	void *flush;             /* device buffer read between repeats */
	uint64_t flush_bytes;
	/* limits measured in this run, GB/s */
	double lim_h2d, lim_d2h, lim_bidir, lim_hbm;
	/* results */
	struct bench_row rows[BENCH_MAX_ROWS];
	int n_rows;
	int64_t h5;              /* hid_t of samples.h5 */
	int failed;              /* a validation failed */
};

/* One timed operation: enqueue the work on `stream`. */
typedef int (*bench_fn)(void *arg, void *stream, struct ss_err *err);

/*
 * Warm up, then time `repeats` runs with events (flushing the L2 first
 * when `flush`); samples[] gets milliseconds. 0 or an error.
 */
int bench_time(struct bench *b, bench_fn fn, void *arg, int flush,
	       double *samples, int repeats, struct ss_err *err);

/*
 * Record a result: samples in ms, `bytes` moved per run; value =
 * bytes / median time in GB/s (or, when bytes == 0, `value` as given with
 * `unit`). Writes the raw samples to HDF5 and prints one line.
 */
void bench_report(struct bench *b, const char *kernel, const char *name,
		  const double *samples_ms, int n, uint64_t bytes,
		  double limit_gbs);
void bench_report_value(struct bench *b, const char *kernel,
			const char *name, double value, const char *unit,
			double limit, const double *samples, int n);

/* Is benchmark `what` selected by --only? */
int bench_selected(const struct bench *b, const char *what);
/* Median of n values (copies; does not reorder the input). */
double bench_median(const double *v, int n);

/* The benchmark families (bench_copy.c, bench_compute.c). */
int bench_limits(struct bench *b, struct ss_err *err);
int bench_h2d(struct bench *b, struct ss_err *err);
int bench_batch_sweep(struct bench *b, struct ss_err *err);
int bench_d2h(struct bench *b, struct ss_err *err);
int bench_select(struct bench *b, struct ss_err *err);
int bench_attn(struct bench *b, struct ss_err *err);
/* decode attention at forced split counts (--only attn_sweep) */
int bench_attn_sweep(struct bench *b, struct ss_err *err);
int bench_concurrency(struct bench *b, struct ss_err *err);
/* The dense model path (bench_model.c): gemm, prefill_attn,
 * chunked_prefill_attn, rmsnorm, rope, swiglu, decoder_layer. */
int bench_model_gemm(struct bench *b, struct ss_err *err);
int bench_model_prefill(struct bench *b, struct ss_err *err);
int bench_model_chunked(struct bench *b, struct ss_err *err);
int bench_model_rmsnorm(struct bench *b, struct ss_err *err);
int bench_model_rope(struct bench *b, struct ss_err *err);
int bench_model_swiglu(struct bench *b, struct ss_err *err);
int bench_model_layer(struct bench *b, struct ss_err *err);
/* Resolve --model and --tp to one GPU's share (head_dim 128, rope
 * scaling the kernels know): 0 or SS_EINVAL with the reason. */
int bench_model_check(const struct bench *b, struct ss_err *err);

/* `sparseserve bench` entry point; exit code 0, 1 failed, 2 usage. */
int bench_main(int argc, char **argv);



/* Helpers shared by the benchmark files (bench.c). */
/* Fast deterministic bytes (xorshift64*); not for statistics. */
void bench_fill_bytes(void *p, uint64_t bytes, uint64_t seed);
/* Fill a device buffer with bf16 values uniform in [-1, 1]. */
int bench_fill_bf16_dev(void *dev, uint64_t bytes, uint64_t seed,
			struct ss_err *err);
/* n distinct values of [0, range) in random order (seeded). */
void bench_distinct(uint64_t *out, uint64_t n, uint64_t range,
		    uint64_t seed);

/* Sparse decode attention, Llama-3-8B shape, batch 16, budget 2,048 tokens,
 * as a background or foreground job (bench_compute.c). */
struct bench_attn_job;
int bench_attn_job_create(struct bench *b, struct bench_attn_job **j,
			  struct ss_err *err);
int bench_attn_job_run(void *job, void *stream, struct ss_err *err);
void bench_attn_job_free(struct bench_attn_job *j);

#endif
