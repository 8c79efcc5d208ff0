/*
 * bench.c - the harness of `sparseserve bench`: options, device set-up,
 * timing, raw samples to HDF5, summary.csv and table.md (see bench.h).
 * Benchmark harnesses may exit on the spot (STYLE.md habit 8); this one
 * still tears down what it set up so sanitizer runs stay clean.
 */
#include <errno.h>
#include <hdf5.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bench.h"
#include "fileio.h"
#include "ss.h"

#include "banned.h"

double bench_median(const double *v, int n)
{
	double *c, m;

	if (n <= 0)
		return 0;
	c = malloc((size_t)n * sizeof *c);
	if (!c)
		BUG("out of memory");
	memcpy(c, v, (size_t)n * sizeof *c);
	gsl_sort(c, 1, (size_t)n);
	m = gsl_stats_median_from_sorted_data(c, 1, (size_t)n);
	free(c);
	return m;
}

int bench_selected(const struct bench *b, const char *what)
{
	const char *p = b->only;
	size_t n = strlen(what);

	if (!b->only[0])
		return 1;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && !strncmp(p, what, n))
			return 1;
		p += len + (end ? 1 : 0);
	}
	return 0;
}

#define BENCH_WARM_NS 20000000LL

int bench_time(struct bench *b, bench_fn fn, void *arg, int flush,
	       double *samples, int repeats, struct ss_err *err)
{
	struct timespec t0, t1;
	int rc;

	/* the warm-up runs, and more (each synchronised) until
	 * BENCH_WARM_NS of wall time has passed since the first; none with
	 * --warmup 0. After the host's set-up between cases the first case
	 * of a family read 5-7% low with three runs of 100 us (session 6:
	 * RoPE's automatic launch against the same launch timed later) */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; b->warmup > 0; i++) {
		if ((rc = fn(arg, b->stream, err)))
			return rc;
		if (i + 1 < b->warmup)
			continue;
		if ((rc = kern_stream_sync(b->stream, err)))
			return rc;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if ((t1.tv_sec - t0.tv_sec) * 1000000000LL +
			    (t1.tv_nsec - t0.tv_nsec) >= BENCH_WARM_NS ||
		    i >= 4096)
			break;
	}
	for (int i = 0; i < repeats; i++) {
		float ms;

		if (flush && (rc = kern_l2_sweep(b->flush, b->flush_bytes,
						 b->stream, err)))
			return rc;
		if ((rc = kern_event_record(b->ev0, b->stream, err)) ||
		    (rc = fn(arg, b->stream, err)) ||
		    (rc = kern_event_record(b->ev1, b->stream, err)) ||
		    (rc = kern_event_sync(b->ev1, err)) ||
		    (rc = kern_event_elapsed_ms(b->ev0, b->ev1, &ms, err)))
			return rc;
		samples[i] = ms;
	}
	return 0;
}

static void h5_write(struct bench *b, const char *kernel, const char *name,
		     const double *v, int n, uint64_t bytes, const char *unit)
{
	hid_t f = (hid_t)b->h5, g, sp, ds, asp, at, st;
	hsize_t dims = (hsize_t)n;

	if (f < 0 || n <= 0)
		return;
	if (H5Lexists(f, kernel, H5P_DEFAULT) > 0)
		g = H5Gopen2(f, kernel, H5P_DEFAULT);
	else
		g = H5Gcreate2(f, kernel, H5P_DEFAULT, H5P_DEFAULT,
			       H5P_DEFAULT);
	if (g < 0)
		return;
	if (H5Lexists(g, name, H5P_DEFAULT) > 0) {
		H5Gclose(g);
		return;
	}
	sp = H5Screate_simple(1, &dims, NULL);
	ds = H5Dcreate2(g, name, H5T_NATIVE_DOUBLE, sp, H5P_DEFAULT,
			H5P_DEFAULT, H5P_DEFAULT);
	if (ds >= 0) {
		H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
			 v);
		asp = H5Screate(H5S_SCALAR);
		at = H5Acreate2(ds, "bytes", H5T_NATIVE_UINT64, asp,
				H5P_DEFAULT, H5P_DEFAULT);
		H5Awrite(at, H5T_NATIVE_UINT64, &bytes);
		H5Aclose(at);
		st = H5Tcopy(H5T_C_S1);
		H5Tset_size(st, strlen(unit) + 1);
		at = H5Acreate2(ds, "unit", st, asp, H5P_DEFAULT, H5P_DEFAULT);
		H5Awrite(at, st, unit);
		H5Aclose(at);
		H5Tclose(st);
		H5Sclose(asp);
		H5Dclose(ds);
	}
	H5Sclose(sp);
	H5Gclose(g);
}

static struct bench_row *add_row(struct bench *b, const char *kernel,
				 const char *name)
{
	struct bench_row *r;

	if (b->n_rows >= BENCH_MAX_ROWS)
		BUG("more than %d benchmark rows", BENCH_MAX_ROWS);
	r = &b->rows[b->n_rows++];
	memset(r, 0, sizeof *r);
	snprintf(r->kernel, sizeof r->kernel, "%s", kernel);
	snprintf(r->name, sizeof r->name, "%s", name);
	return r;
}

static void print_row(const struct bench_row *r)
{
	printf("%-20s %-44s %10.3f %-5s", r->kernel, r->name, r->value,
	       r->unit);
	if (r->limit > 0)
		printf("  limit %9.3f  ratio %6.3f", r->limit,
		       r->value / r->limit);
	printf("  [%d samples, %.3f..%.3f]\n", r->n, r->lo, r->hi);
	fflush(stdout);
}

void bench_report(struct bench *b, const char *kernel, const char *name,
		  const double *ms, int n, uint64_t bytes, double limit_gbs)
{
	struct bench_row *r = add_row(b, kernel, name);
	double med = bench_median(ms, n), mn = ms[0], mx = ms[0];

	for (int i = 1; i < n; i++) {
		mn = SS_MIN(mn, ms[i]);
		mx = SS_MAX(mx, ms[i]);
	}
	r->value = (double)bytes / (med * 1e-3) / 1e9;
	snprintf(r->unit, sizeof r->unit, "GB/s");
	r->limit = limit_gbs;
	r->lo = (double)bytes / (mx * 1e-3) / 1e9;
	r->hi = (double)bytes / (mn * 1e-3) / 1e9;
	r->n = n;
	h5_write(b, kernel, name, ms, n, bytes, "ms");
	print_row(r);
}

void bench_report_value(struct bench *b, const char *kernel,
			const char *name, double value, const char *unit,
			double limit, const double *samples, int n)
{
	struct bench_row *r = add_row(b, kernel, name);

	r->value = value;
	snprintf(r->unit, sizeof r->unit, "%s", unit);
	r->limit = limit;
	r->lo = r->hi = value;
	for (int i = 0; i < n; i++) {
		r->lo = SS_MIN(r->lo, samples[i]);
		r->hi = SS_MAX(r->hi, samples[i]);
	}
	r->n = n;
	h5_write(b, kernel, name, samples, n, 0, unit);
	print_row(r);
}

static int write_outputs(struct bench *b, struct ss_err *err)
{
	char path[1200], date[64];
	struct ss_afile af;
	time_t now = time(NULL);
	int rc;

	strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));
	snprintf(path, sizeof path, "%s/summary.csv", b->out_dir);
	if ((rc = ss_afile_open(&af, path, err)))
		return rc;
	fprintf(af.f, "kernel,case,value,unit,limit,ratio\n");
	for (int i = 0; i < b->n_rows; i++) {
		const struct bench_row *r = &b->rows[i];
		fprintf(af.f, "%s,\"%s\",%.6g,%s,%.6g,%.4f\n", r->kernel,
			r->name, r->value, r->unit, r->limit,
			r->limit > 0 ? r->value / r->limit : 0.0);
	}
	if ((rc = ss_afile_commit(&af, err)))
		return rc;

	snprintf(path, sizeof path, "%s/table.md", b->out_dir);
	if ((rc = ss_afile_open(&af, path, err)))
		return rc;
	fprintf(af.f,
		"# Kernel benchmarks\n\n"
		"- date: %s\n- GPU: %s (%d SMs, %.1f GiB, L2 %.0f MiB, "
		"cc %d.%d)\n- driver: CUDA driver API %d, runtime %d\n"
		"- command: `%s`\n- sparseserve %s; warm-up %d, repeats %d, "
		"validation %s\n\n"
		"Values are medians over the repeats; spread is min..max. "
		"Limits were measured in the same run.\n\n"
		"| kernel | case | value | unit | limit | ratio | spread | n |\n"
		"|---|---|---:|---|---:|---:|---|---:|\n",
		date, b->dev.name, b->dev.sm_count,
		(double)b->dev.hbm_bytes / (1 << 30),
		(double)b->dev.l2_bytes / (1 << 20), b->dev.cc_major,
		b->dev.cc_minor, b->dev.driver_version,
		b->dev.runtime_version, b->cmdline, ss_version(), b->warmup,
		b->repeats, b->check ? "on" : "off");
	for (int i = 0; i < b->n_rows; i++) {
		const struct bench_row *r = &b->rows[i];
		fprintf(af.f, "| %s | %s | %.3f | %s | ", r->kernel, r->name,
			r->value, r->unit);
		if (r->limit > 0)
			fprintf(af.f, "%.3f | %.3f |", r->limit,
				r->value / r->limit);
		else
			fprintf(af.f, " | |");
		fprintf(af.f, " %.3f..%.3f | %d |\n", r->lo, r->hi, r->n);
	}
	return ss_afile_commit(&af, err);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sparseserve bench [options]\n"
		"  --only LIST     comma list of: limits, h2d, d2h, select, "
		"attn, concurrency,\n"
		"                  gemm, prefill_attn, chunked_prefill_attn, "
		"rmsnorm, rope,\n"
		"                  swiglu, decoder_layer, batch_sweep, attn_sweep\n"
		"                  (default: all but batch_sweep, the driver's batched\n"
		"                  copy at every fragment size of 1-64 KiB, and\n"
		"                  attn_sweep, decode attention at forced split\n"
		"                  counts; limits always run)\n"
		"  --warmup N      untimed runs before timing, then more until 20 ms\n"
		"                  have passed (default 3; 0: no warm-up at all)\n"
		"  --repeats N     timed runs per case (default 20)\n"
		"  --no-check      skip validation of the timed kernels\n"
		"  --quick         fewer cases and smaller sizes\n"
		"  --seed N        random seed (default 1)\n"
		"  --model M       model of gemm .. decoder_layer: lwm-7b, "
		"llama-3-8b-262k,\n"
		"                  llama-3.1-8b (default), llama-3.1-70b, or a "
		"config.json\n"
		"  --tp N          tensor-parallel degree: benchmark one GPU's "
		"share\n"
		"                  (query/KV heads and FFN width / N; default 1)\n"
		"  --out DIR       samples.h5, summary.csv, table.md "
		"(default: .)\n");
}

static int parse_int(const char *opt, const char *v, int lo, int hi, int *out)
{
	int64_t x;

	if (!v || ss_parse_i64(v, &x) || x < lo || x > hi) {
		fprintf(stderr, "sparseserve bench: %s: '%s' is not an integer "
				"in %d..%d\n",
			opt, v ? v : "", lo, hi);
		return -1;
	}
	*out = (int)x;
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct bench *b, struct ss_err *err);
	int opt_in; /* runs only when --only names it */
} families[] = {
	{ "h2d", bench_h2d, 0 },
	{ "attn", bench_attn, 0 },
	{ "select", bench_select, 0 },
	{ "d2h", bench_d2h, 0 },
	{ "concurrency", bench_concurrency, 0 },
	{ "gemm", bench_model_gemm, 0 },
	{ "prefill_attn", bench_model_prefill, 0 },
	{ "chunked_prefill_attn", bench_model_chunked, 0 },
	{ "rmsnorm", bench_model_rmsnorm, 0 },
	{ "rope", bench_model_rope, 0 },
	{ "swiglu", bench_model_swiglu, 0 },
	{ "decoder_layer", bench_model_layer, 0 },
	{ "batch_sweep", bench_batch_sweep, 1 },
	{ "attn_sweep", bench_attn_sweep, 1 },
};

int bench_main(int argc, char **argv)
{
	static struct bench b; /* large; one per process */
	struct ss_err err = { 0 };
	char h5tmp[1200], h5path[1200];
	size_t used = 0;
	int rc = 0, seed = 1;

	memset(&b, 0, sizeof b);
	b.warmup = 3;
	b.repeats = 20;
	b.check = 1;
	b.h5 = -1;
	b.tp = 1;
	snprintf(b.out_dir, sizeof b.out_dir, ".");
	snprintf(b.model, sizeof b.model, "llama-3.1-8b");
	for (int i = 0; i < argc; i++)
		used += (size_t)snprintf(b.cmdline + used,
					 used < sizeof b.cmdline
						 ? sizeof b.cmdline - used
						 : 0,
					 "%s%s", i ? " " : "sparseserve ",
					 argv[i]);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--only") && v) {
			snprintf(b.only, sizeof b.only, "%s", v);
			i++;
		} else if (!strcmp(a, "--model") && v) {
			snprintf(b.model, sizeof b.model, "%s", v);
			i++;
		} else if (!strcmp(a, "--tp")) {
			int tp;
			if (parse_int(a, v, 1, 64, &tp))
				return 2;
			b.tp = (unsigned)tp;
			i++;
		} else if (!strcmp(a, "--out") && v) {
			snprintf(b.out_dir, sizeof b.out_dir, "%s", v);
			i++;
		} else if (!strcmp(a, "--warmup")) {
			if (parse_int(a, v, 0, 1000, &b.warmup))
				return 2;
			i++;
		} else if (!strcmp(a, "--repeats")) {
			if (parse_int(a, v, 1, 100000, &b.repeats))
				return 2;
			i++;
		} else if (!strcmp(a, "--seed")) {
			if (parse_int(a, v, 0, 1 << 30, &seed))
				return 2;
			i++;
		} else if (!strcmp(a, "--no-check")) {
			b.check = 0;
		} else if (!strcmp(a, "--quick")) {
			b.quick = 1;
		} else {
			fprintf(stderr, "sparseserve bench: unknown option "
					"'%s'\n",
				a);
			usage(stderr);
			return 2;
		}
	}
	b.seed = (unsigned long)seed;
	if (b.only[0]) {
		static const char *known[] = { "limits", "h2d", "d2h",
					       "select", "attn",
					       "concurrency", "gemm",
					       "prefill_attn",
					       "chunked_prefill_attn",
					       "rmsnorm", "rope", "swiglu",
					       "decoder_layer", "batch_sweep",
					       "attn_sweep" };
		char tmp[256], *save = NULL, *tok;
		snprintf(tmp, sizeof tmp, "%s", b.only);
		for (tok = strtok_r(tmp, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			int ok = 0;
			for (size_t k = 0; k < SS_ARRAY_SIZE(known); k++)
				ok |= !strcmp(tok, known[k]);
			if (!ok) {
				fprintf(stderr, "sparseserve bench: --only: "
						"unknown benchmark '%s'\n",
					tok);
				return 2;
			}
		}
	}
	if (bench_model_check(&b, &err)) {
		fprintf(stderr, "sparseserve bench: %s\n", err.msg);
		return 2;
	}
	if (kern_dev_probe(&b.dev, &err)) {
		fprintf(stderr, "sparseserve bench: %s\n", err.msg);
		return 1;
	}
	if (mkdir(b.out_dir, 0777) && errno != EEXIST) {
		fprintf(stderr, "sparseserve bench: cannot create '%s': %s\n",
			b.out_dir, strerror(errno));
		return 1;
	}
	printf("# %s, %d SMs, %.1f GiB HBM, L2 %.0f MiB, driver %d, "
	       "runtime %d\n# %s\n",
	       b.dev.name, b.dev.sm_count, (double)b.dev.hbm_bytes / (1 << 30),
	       (double)b.dev.l2_bytes / (1 << 20), b.dev.driver_version,
	       b.dev.runtime_version, b.cmdline);
	snprintf(h5path, sizeof h5path, "%s/samples.h5", b.out_dir);
	ss_tmp_name(h5path, h5tmp, sizeof h5tmp);
	b.h5 = H5Fcreate(h5tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
	if (b.h5 < 0) {
		fprintf(stderr, "sparseserve bench: cannot create '%s'\n",
			h5tmp);
		return 1;
	}
	b.flush_bytes = 4 * b.dev.l2_bytes;
	if ((rc = kern_stream_create(&b.stream, &err)) ||
	    (rc = kern_stream_create(&b.stream2, &err)) ||
	    (rc = kern_event_create(&b.ev0, &err)) ||
	    (rc = kern_event_create(&b.ev1, &err)) ||
	    (rc = kern_event_create(&b.ev2, &err)) ||
	    (rc = kern_event_create(&b.ev3, &err)) ||
	    (rc = kern_dev_malloc(&b.flush, b.flush_bytes, &err)))
		goto out;

	if ((rc = bench_limits(&b, &err)))
		goto out;
	/* a family that fails is reported and the others still run */
	for (size_t k = 0; k < SS_ARRAY_SIZE(families); k++) {
		int frc;
		if (!bench_selected(&b, families[k].name) ||
		    (families[k].opt_in && !b.only[0]))
			continue;
		if ((frc = families[k].fn(&b, &err))) {
			fprintf(stderr, "sparseserve bench: %s: %s\n",
				families[k].name, err.msg);
			b.failed = 1;
		}
		if (kern_dev_sync(&err)) {
			rc = SS_ECUDA; /* a sticky device error: stop */
			goto out;
		}
	}
out:
	if (rc)
		fprintf(stderr, "sparseserve bench: %s\n", err.msg);
	if (b.n_rows) {
		struct ss_err e2;
		if (write_outputs(&b, &e2)) {
			fprintf(stderr, "sparseserve bench: %s\n", e2.msg);
			rc = rc ? rc : -1;
		}
	}
	H5Fclose((hid_t)b.h5);
	if (b.n_rows) {
		struct ss_err e3;
		if (ss_rename_into_place(h5tmp, h5path, &e3))
			fprintf(stderr, "sparseserve bench: %s\n", e3.msg);
	} else {
		remove(h5tmp);
	}
	kern_dev_free(b.flush);
	kern_event_destroy(b.ev0);
	kern_event_destroy(b.ev1);
	kern_event_destroy(b.ev2);
	kern_event_destroy(b.ev3);
	kern_stream_destroy(b.stream);
	kern_stream_destroy(b.stream2);
	if (b.failed)
		fprintf(stderr, "sparseserve bench: a validation FAILED\n");
	return rc || b.failed ? 1 : 0;
}

static uint64_t xs_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

void bench_fill_bytes(void *p, uint64_t bytes, uint64_t seed)
{
	uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 1, *w = p;
	unsigned char *c = p;

	for (uint64_t i = 0; i < bytes / 8; i++)
		w[i] = xs_next(&s);
	for (uint64_t i = bytes / 8 * 8; i < bytes; i++)
		c[i] = (unsigned char)xs_next(&s);
}

int bench_fill_bf16_dev(void *dev, uint64_t bytes, uint64_t seed,
			struct ss_err *err)
{
	const uint64_t chunk = 64ull << 20;
	uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 7, n = chunk / 2;
	kern_bf16 *h = malloc(chunk);
	int rc = 0;

	if (!h)
		return ss_error(err, SS_ENOMEM, "bench: out of host memory");
	for (uint64_t i = 0; i < n; i++) {
		double u = (double)(xs_next(&s) >> 11) / 9007199254740992.0;
		h[i] = kern_float_to_bf16((float)(2 * u - 1));
	}
	for (uint64_t off = 0; off < bytes && !rc; off += chunk)
		rc = kern_copy((char *)dev + off, h, SS_MIN(chunk, bytes - off),
			       err);
	free(h);
	return rc;
}

void bench_distinct(uint64_t *out, uint64_t n, uint64_t range, uint64_t seed)
{
	uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 3, *perm;

	BUG_ON(n > range);
	perm = malloc(range * sizeof *perm);
	if (!perm)
		BUG("out of memory");
	for (uint64_t i = 0; i < range; i++)
		perm[i] = i;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t j = i + xs_next(&s) % (range - i), t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
		out[i] = perm[i];
	}
	free(perm);
}
