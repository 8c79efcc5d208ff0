/*
 * bench_copy.c - transfer benchmarks: the link and HBM limits, FlashH2D
 * against per-block cudaMemcpyAsync and cudaMemcpyBatchAsync at 2..64 KiB
 * fragments and 4..132 SMs, and FlashD2H (bulk copy + CPU scatter thread
 * pool, by thread count) against the GPU-direct scatter kernel and
 * per-block D2H memcpy. Every copy is checked bit-exact on sampled blocks
 * after timing (with --no-check skipped).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "fileio.h"
#include "kernels/copy_baseline.h"
#include "kernels/flash_d2h.h"
#include "kernels/flash_h2d.h"

#include "banned.h"

#define MAXREP 64

struct copy_arg {
	void *dst;
	const void *src;
	uint64_t bytes;
};

static int do_copy(void *arg, void *stream, struct ss_err *err)
{
	struct copy_arg *c = arg;

	return kern_copy_async(c->dst, c->src, c->bytes, stream, err);
}

struct bidir_arg {
	struct bench *b;
	struct copy_arg up, down;
};

/* up on the timed stream, down on stream2, joined back */
static int do_bidir(void *arg, void *stream, struct ss_err *err)
{
	struct bidir_arg *a = arg;
	int rc;

	if ((rc = kern_event_record(a->b->ev2, stream, err)) ||
	    (rc = kern_stream_wait_event(a->b->stream2, a->b->ev2, err)) ||
	    (rc = kern_copy_async(a->up.dst, a->up.src, a->up.bytes, stream,
				  err)) ||
	    (rc = kern_copy_async(a->down.dst, a->down.src, a->down.bytes,
				  a->b->stream2, err)) ||
	    (rc = kern_event_record(a->b->ev3, a->b->stream2, err)))
		return rc;
	return kern_stream_wait_event(stream, a->b->ev3, err);
}

static int reps(const struct bench *b, int cap)
{
	return SS_MIN(b->repeats, cap);
}

int bench_limits(struct bench *b, struct ss_err *err)
{
	const uint64_t n = 1ull << 30;
	void *h = NULL, *d = NULL, *d2 = NULL;
	double ms[MAXREP];
	int r = reps(b, MAXREP), rc;

	if ((rc = kern_host_alloc(&h, n, err)) ||
	    (rc = kern_dev_malloc(&d, n, err)) ||
	    (rc = kern_dev_malloc(&d2, n, err)))
		goto out;
	bench_fill_bytes(h, n, b->seed);
	{
		struct copy_arg c = { d, h, n };
		if ((rc = bench_time(b, do_copy, &c, 0, ms, r, err)))
			goto out;
		bench_report(b, "limit", "bulk_h2d_pinned,bytes=1GiB", ms, r,
			     n, 0);
		b->lim_h2d = b->rows[b->n_rows - 1].value;
	}
	{
		struct copy_arg c = { h, d, n };
		if ((rc = bench_time(b, do_copy, &c, 0, ms, r, err)))
			goto out;
		bench_report(b, "limit", "bulk_d2h_pinned,bytes=1GiB", ms, r,
			     n, 0);
		b->lim_d2h = b->rows[b->n_rows - 1].value;
	}
	{
		struct bidir_arg a = { b, { d, h, n / 2 },
				       { (char *)h + n / 2, d2, n / 2 } };
		if ((rc = bench_time(b, do_bidir, &a, 0, ms, r, err)))
			goto out;
		bench_report(b, "limit", "bidir_pinned,bytes=2x512MiB", ms, r,
			     n, 0);
		b->lim_bidir = b->rows[b->n_rows - 1].value;
	}
	{
		struct copy_arg c = { d2, d, n };
		if ((rc = bench_time(b, do_copy, &c, 0, ms, r, err)))
			goto out;
		/* bytes read + bytes written */
		bench_report(b, "limit", "hbm_copy_d2d,bytes=1GiB(rw)", ms, r,
			     2 * n, 0);
		b->lim_hbm = b->rows[b->n_rows - 1].value;
	}
out:
	kern_host_free(h);
	kern_dev_free(d);
	kern_dev_free(d2);
	return rc;
}

/* ---- FlashH2D and the H2D/D2H baselines ------------------------------ */

struct h2d_set {
	char *pool;        /* pinned host pool */
	char *cache;       /* device */
	uint64_t frag;     /* block bytes */
	uint64_t n;        /* blocks moved per run */
	uint64_t *src;     /* host [n] pool block */
	uint64_t *dst;     /* host [n] cache slot */
	uint32_t *dst32;   /* host [n] */
	void *d_src, *d_dst;
	struct kern_h2d_args a;
	struct kern_blocks_copy c;
	struct kern_batch_ws *ws;
};

static int do_flash_h2d(void *arg, void *stream, struct ss_err *err)
{
	return kern_flash_h2d(&((struct h2d_set *)arg)->a, stream, err);
}

static int do_memcpy_blocks(void *arg, void *stream, struct ss_err *err)
{
	return kern_memcpy_blocks(&((struct h2d_set *)arg)->c, stream, err);
}

static int do_memcpy_batch(void *arg, void *stream, struct ss_err *err)
{
	struct h2d_set *s = arg;

	return kern_memcpy_batch_blocks(&s->c, s->ws, stream, err);
}

static void h2d_release(struct h2d_set *s)
{
	free(s->src);
	free(s->dst);
	free(s->dst32);
	kern_dev_free(s->d_src);
	kern_dev_free(s->d_dst);
	kern_batch_ws_free(s->ws);
	s->src = s->dst = NULL;
	s->dst32 = NULL;
	s->d_src = s->d_dst = NULL;
	s->ws = NULL;
}

/* The per-size arrays, the pinned pool and the device cache. */
static void h2d_free(struct h2d_set *s)
{
	h2d_release(s);
	kern_host_free(s->pool);
	kern_dev_free(s->cache);
	s->pool = s->cache = NULL;
}

/* n random distinct pool blocks to n random distinct cache slots */
static int h2d_prepare(struct bench *b, struct h2d_set *s, uint64_t frag,
		       uint64_t pool_bytes, uint64_t move_bytes,
		       struct ss_err *err)
{
	int rc;

	s->frag = frag;
	s->n = move_bytes / frag;
	s->src = malloc(s->n * sizeof *s->src);
	s->dst = malloc(s->n * sizeof *s->dst);
	s->dst32 = malloc(s->n * sizeof *s->dst32);
	if (!s->src || !s->dst || !s->dst32)
		return ss_error(err, SS_ENOMEM, "bench: out of host memory");
	bench_distinct(s->src, s->n, pool_bytes / frag, b->seed + frag);
	bench_distinct(s->dst, s->n, s->n, b->seed + 2 * frag);
	for (uint64_t i = 0; i < s->n; i++)
		s->dst32[i] = (uint32_t)s->dst[i];
	if ((rc = kern_dev_malloc(&s->d_src, s->n * 8, err)) ||
	    (rc = kern_dev_malloc(&s->d_dst, s->n * 4, err)) ||
	    (rc = kern_copy(s->d_src, s->src, s->n * 8, err)) ||
	    (rc = kern_copy(s->d_dst, s->dst32, s->n * 4, err)))
		return rc;
	s->a = (struct kern_h2d_args){
		.src_base = s->pool, .dst_base = s->cache, .block_bytes = frag,
		.src_index = s->d_src, .dst_index = s->d_dst,
		.n_blocks = (uint32_t)s->n,
	};
	return 0;
}

/* sampled blocks: cache slot dst[i] == pool block src[i] */
static int h2d_verify(struct bench *b, const struct h2d_set *s, uint64_t n,
		      const char *what, struct ss_err *err)
{
	char *buf = malloc(s->frag);
	int rc = 0, bad = 0;

	if (!buf)
		return ss_error(err, SS_ENOMEM, "bench: out of host memory");
	for (uint64_t k = 0; k < 64 && !rc; k++) {
		uint64_t i = (k * 7919) % n;
		rc = kern_copy(buf, s->cache + s->dst[i] * s->frag, s->frag,
			       err);
		if (!rc && memcmp(buf, s->pool + s->src[i] * s->frag, s->frag))
			bad++;
	}
	free(buf);
	if (bad) {
		fprintf(stderr, "CHECK FAILED: %s frag %llu: %d of 64 sampled "
				"blocks differ\n",
			what, (unsigned long long)s->frag, bad);
		b->failed = 1;
	}
	return rc;
}

/*
 * The driver's batched copy (cudaMemcpyBatchAsync) at every fragment
 * size from 1 KiB to 64 KiB in 1 KiB steps, 4 MiB a call, random distinct
 * pool blocks (addresses multiples of the fragment, as the calibration's
 * grid) to consecutive cache slots, a new layout for each of 5 repetitions
 * of `repeats` runs: the shape of its cost between the calibration's
 * grid points (--only batch_sweep; not part of the default run).
 */
int bench_batch_sweep(struct bench *b, struct ss_err *err)
{
	const uint64_t pool_bytes = 2ull << 30, call = 4ull << 20;
	const int layouts = 5, r = reps(b, 10);
	struct h2d_set s = { 0 };
	double ms[MAXREP * 5];
	char name[96];
	int rc;

	if ((rc = kern_host_alloc((void **)&s.pool, pool_bytes, err)) ||
	    (rc = kern_dev_malloc((void **)&s.cache, call, err)))
		goto out;
	bench_fill_bytes(s.pool, pool_bytes, b->seed + 12);
	for (uint64_t f = 1024; f <= 65536; f += 1024) {
		uint64_t n = call / f;

		s.frag = f;
		s.n = n;
		s.src = malloc(n * sizeof *s.src);
		s.dst = malloc(n * sizeof *s.dst);
		if (!s.src || !s.dst) {
			rc = ss_error(err, SS_ENOMEM, "bench: out of host memory");
			goto out;
		}
		for (uint64_t i = 0; i < n; i++)
			s.dst[i] = i;
		if ((rc = kern_batch_ws_alloc(&s.ws, (uint32_t)n, err)))
			goto out;
		s.c = (struct kern_blocks_copy){
			.dst_base = s.cache, .src_base = s.pool,
			.block_bytes = f, .src_index = s.src,
			.dst_index = s.dst, .n_blocks = (uint32_t)n,
		};
		for (int l = 0; l < layouts; l++) {
			bench_distinct(s.src, n, pool_bytes / f,
				       b->seed + 1000 * f + (uint64_t)l);
			if ((rc = bench_time(b, do_memcpy_batch, &s, 0,
					     ms + l * r, r, err)))
				goto out;
		}
		snprintf(name, sizeof name, "frag=%llu,call=4MiB,layouts=%d",
			 (unsigned long long)f, layouts);
		bench_report(b, "memcpy_batch_h2d", name, ms, layouts * r,
			     n * f, b->lim_h2d);
		if (b->check &&
		    (rc = h2d_verify(b, &s, n, "memcpy_batch_h2d", err)))
			goto out;
		h2d_release(&s);
	}
out:
	h2d_free(&s);
	return rc;
}

int bench_h2d(struct bench *b, struct ss_err *err)
{
	static const uint64_t frags[] = { 2048, 4096, 8192, 16384, 32768,
					  65536 };
	static const uint32_t sms_full[] = { 4, 8, 12, 16, 24, 32, 132 };
	static const uint32_t sms_quick[] = { 8, 16, 132 };
	const uint64_t pool_bytes = 2ull << 30;
	const uint64_t move = b->quick ? 256ull << 20 : 512ull << 20;
	const uint32_t *sms = b->quick ? sms_quick : sms_full;
	const size_t n_sms = b->quick ? 3 : SS_ARRAY_SIZE(sms_full);
	struct h2d_set s = { 0 };
	double ms[MAXREP];
	char name[96];
	int r = reps(b, 10), rc;

	if ((rc = kern_host_alloc((void **)&s.pool, pool_bytes, err)) ||
	    (rc = kern_dev_malloc((void **)&s.cache, move, err)))
		goto out;
	bench_fill_bytes(s.pool, pool_bytes, b->seed + 11);
	for (size_t fi = 0; fi < SS_ARRAY_SIZE(frags); fi++) {
		uint64_t f = frags[fi], nb;

		if ((rc = h2d_prepare(b, &s, f, pool_bytes, move, err)))
			goto out;
		for (size_t si = 0; si < n_sms; si++) {
			s.a.n_ctas = sms[si];
			s.a.threads = 512;
			if ((rc = kern_memset_async(s.cache, 0, move, b->stream,
						    err)) ||
			    (rc = bench_time(b, do_flash_h2d, &s, 0, ms, r,
					     err)))
				goto out;
			snprintf(name, sizeof name, "frag=%llu,sms=%u",
				 (unsigned long long)f, sms[si]);
			bench_report(b, "flash_h2d", name, ms, r, s.n * f,
				     b->lim_h2d);
			if (b->check && (rc = h2d_verify(b, &s, s.n,
							 "flash_h2d", err)))
				goto out;
		}
		for (uint32_t th = 128; th <= 256; th *= 2) {
			s.a.n_ctas = 16;
			s.a.threads = th;
			if ((rc = bench_time(b, do_flash_h2d, &s, 0, ms, r,
					     err)))
				goto out;
			snprintf(name, sizeof name,
				 "frag=%llu,sms=16,threads=%u",
				 (unsigned long long)f, th);
			bench_report(b, "flash_h2d", name, ms, r, s.n * f,
				     b->lim_h2d);
		}
		/* baselines: at most 64 MiB a run (slow at small blocks) */
		nb = SS_MIN(s.n, (64ull << 20) / f);
		s.c = (struct kern_blocks_copy){
			.dst_base = s.cache, .src_base = s.pool,
			.block_bytes = f, .src_index = s.src,
			.dst_index = s.dst, .n_blocks = (uint32_t)nb,
		};
		if ((rc = kern_memset_async(s.cache, 0, move, b->stream, err)) ||
		    (rc = bench_time(b, do_memcpy_blocks, &s, 0, ms,
				     reps(b, 5), err)))
			goto out;
		snprintf(name, sizeof name, "frag=%llu", (unsigned long long)f);
		bench_report(b, "memcpy_h2d", name, ms, reps(b, 5), nb * f,
			     b->lim_h2d);
		if (b->check && (rc = h2d_verify(b, &s, nb, "memcpy_h2d", err)))
			goto out;
		if ((rc = kern_batch_ws_alloc(&s.ws, (uint32_t)nb, err)) ||
		    (rc = kern_memset_async(s.cache, 0, move, b->stream, err)) ||
		    (rc = bench_time(b, do_memcpy_batch, &s, 0, ms,
				     reps(b, 5), err)))
			goto out;
		bench_report(b, "memcpy_batch_h2d", name, ms, reps(b, 5),
			     nb * f, b->lim_h2d);
		if (b->check &&
		    (rc = h2d_verify(b, &s, nb, "memcpy_batch_h2d", err)))
			goto out;
		/* D2H per block: cache slots back to the pool */
		s.c = (struct kern_blocks_copy){
			.dst_base = s.pool, .src_base = s.cache,
			.block_bytes = f, .src_index = s.dst,
			.dst_index = s.src, .n_blocks = (uint32_t)nb,
		};
		if ((rc = bench_time(b, do_memcpy_blocks, &s, 0, ms,
				     reps(b, 5), err)))
			goto out;
		bench_report(b, "memcpy_d2h", name, ms, reps(b, 5), nb * f,
			     b->lim_d2h);
		if (b->check && (rc = h2d_verify(b, &s, nb, "memcpy_d2h", err)))
			goto out;
		h2d_release(&s);
	}
out:
	h2d_free(&s);
	return rc;
}

/* ---- FlashD2H ------------------------------------------------------------ */

#define D2H_LAYERS 32
#define D2H_HEADS 8
#define D2H_TOKENS 4096
#define D2H_PLANE 16384 /* pool blocks per head plane */

struct d2h_set {
	struct bench *b;
	char *pool;                      /* pinned, 8 x 16384 blocks */
	kern_bf16 *kv;                   /* device, all layers */
	uint64_t *blk[D2H_LAYERS];       /* host [tokens] */
	uint32_t *row;                   /* host [tokens] */
	void *d_blk[D2H_LAYERS], *d_row; /* device copies */
	struct kern_d2h_layer l[D2H_LAYERS];
	uint32_t ctas;
};

static uint64_t d2h_layer_bytes(void)
{
	return 2ull * D2H_TOKENS * D2H_HEADS * KERN_HEAD_DIM * 2;
}

static int do_gpu_scatter(void *arg, void *stream, struct ss_err *err)
{
	struct d2h_set *s = arg;
	int rc;

	for (int l = 0; l < D2H_LAYERS; l++) {
		struct kern_d2h_layer g = s->l[l];
		g.dst_block = s->d_blk[l];
		g.row = s->d_row;
		if ((rc = kern_d2h_gpu_scatter(&g, s->ctas, 512, stream, err)))
			return rc;
	}
	return 0;
}

/* sampled rows of the pool against the device's kv_new */
static int d2h_verify(struct d2h_set *s, const char *what, struct ss_err *err)
{
	const uint64_t rb = KERN_HEAD_DIM * 2, bb = 2 * KERN_BLOCK_TOKENS * rb;
	char buf[KERN_HEAD_DIM * 2];
	int rc = 0, bad = 0;

	for (uint64_t k = 0; k < 256 && !rc; k++) {
		uint32_t l = (uint32_t)(k * 13 % D2H_LAYERS);
		uint32_t t = (uint32_t)(k * 7919 % D2H_TOKENS);
		uint32_t h = (uint32_t)(k % D2H_HEADS), kv = (uint32_t)(k / 7 % 2);
		const char *src = (const char *)s->l[l].kv_new +
				  ((uint64_t)kv * D2H_TOKENS * D2H_HEADS +
				   (uint64_t)t * D2H_HEADS + h) * rb;
		const char *dst = s->pool +
				  (s->blk[l][t] + (uint64_t)h * D2H_PLANE) * bb +
				  ((uint64_t)kv * KERN_BLOCK_TOKENS + s->row[t]) *
					  rb;
		rc = kern_copy(buf, src, rb, err);
		if (!rc && memcmp(buf, dst, rb))
			bad++;
	}
	if (bad) {
		fprintf(stderr, "CHECK FAILED: %s: %d of 256 sampled rows "
				"differ\n", what, bad);
		s->b->failed = 1;
	}
	return rc;
}

static void d2h_release(struct d2h_set *s)
{
	for (int l = 0; l < D2H_LAYERS; l++) {
		free(s->blk[l]);
		kern_dev_free(s->d_blk[l]);
	}
	free(s->row);
	kern_dev_free(s->d_row);
	kern_dev_free(s->kv);
	kern_host_free(s->pool);
}

/*
 * A prefill chunk of 4 requests x 1,024 tokens per layer, 8 KV heads,
 * head_dim 128 (16 MiB of new KV per layer, 512 MiB for 32 layers); every
 * 32-token run of every layer goes to its own random block of a 2 GiB pool.
 */
static int d2h_prepare(struct bench *b, struct d2h_set *s, struct ss_err *err)
{
	const uint64_t runs = D2H_TOKENS / KERN_BLOCK_TOKENS;
	uint64_t *pick = malloc(D2H_LAYERS * runs * sizeof *pick);
	int rc;

	memset(s, 0, sizeof *s);
	s->b = b;
	if (!pick)
		return ss_error(err, SS_ENOMEM, "bench: out of host memory");
	bench_distinct(pick, D2H_LAYERS * runs, D2H_PLANE, b->seed + 99);
	if ((rc = kern_host_alloc((void **)&s->pool,
				  (uint64_t)D2H_HEADS * D2H_PLANE * 16384,
				  err)) ||
	    (rc = kern_dev_malloc((void **)&s->kv,
				  D2H_LAYERS * d2h_layer_bytes(), err)) ||
	    (rc = bench_fill_bf16_dev(s->kv, D2H_LAYERS * d2h_layer_bytes(),
				      b->seed + 5, err)))
		goto out;
	s->row = malloc(D2H_TOKENS * sizeof *s->row);
	if (!s->row) {
		rc = ss_error(err, SS_ENOMEM, "bench: out of host memory");
		goto out;
	}
	for (uint32_t t = 0; t < D2H_TOKENS; t++)
		s->row[t] = t % KERN_BLOCK_TOKENS;
	if ((rc = kern_dev_malloc(&s->d_row, D2H_TOKENS * 4, err)) ||
	    (rc = kern_copy(s->d_row, s->row, D2H_TOKENS * 4, err)))
		goto out;
	for (int l = 0; l < D2H_LAYERS; l++) {
		s->blk[l] = malloc(D2H_TOKENS * sizeof *s->blk[l]);
		if (!s->blk[l]) {
			rc = ss_error(err, SS_ENOMEM, "bench: out of memory");
			goto out;
		}
		for (uint32_t t = 0; t < D2H_TOKENS; t++)
			s->blk[l][t] = pick[l * runs + t / KERN_BLOCK_TOKENS];
		if ((rc = kern_dev_malloc(&s->d_blk[l], D2H_TOKENS * 8, err)) ||
		    (rc = kern_copy(s->d_blk[l], s->blk[l], D2H_TOKENS * 8,
				    err)))
			goto out;
		s->l[l] = (struct kern_d2h_layer){
			.kv_new = (const kern_bf16 *)((const char *)s->kv +
						      l * d2h_layer_bytes()),
			.n_tokens = D2H_TOKENS, .n_heads = D2H_HEADS,
			.head_dim = KERN_HEAD_DIM,
			.block_tokens = KERN_BLOCK_TOKENS, .pool = s->pool,
			.dst_block = s->blk[l], .row = s->row,
			.head_stride = D2H_PLANE,
		};
	}
out:
	free(pick);
	return rc;
}

/* All layers through the CPU pipeline; wall-clock milliseconds. */
static int d2h_cpu_pass(struct d2h_set *s, struct kern_d2h *d, void *stream,
			double *ms, struct ss_err *err)
{
	double t0 = ss_wall_seconds();
	int rc;

	for (int l = 0; l < D2H_LAYERS; l++)
		if ((rc = kern_d2h_save(d, &s->l[l], stream, err)))
			return rc;
	if ((rc = kern_d2h_wait(d, err)))
		return rc;
	*ms = (ss_wall_seconds() - t0) * 1e3;
	return 0;
}

int bench_d2h(struct bench *b, struct ss_err *err)
{
	static const uint32_t threads[] = { 1, 2, 4, 8, 12, 16 };
	static const uint32_t ctas[] = { 8, 16, 32, 132 };
	const uint64_t total = D2H_LAYERS * d2h_layer_bytes();
	struct d2h_set s;
	double ms[MAXREP];
	char name[96];
	int r = reps(b, 8), rc;

	if ((rc = d2h_prepare(b, &s, err)))
		goto out;
	for (size_t ti = 0; ti < SS_ARRAY_SIZE(threads); ti++) {
		struct kern_d2h_config cfg = { threads[ti], 3,
					       d2h_layer_bytes() };
		struct kern_d2h *d;

		if (b->quick && threads[ti] != 8 && threads[ti] != 16)
			continue;
		if ((rc = kern_d2h_create(&d, &cfg, err)))
			goto out;
		for (int i = 0; i < b->warmup + r && !rc; i++) {
			double t;
			rc = d2h_cpu_pass(&s, d, b->stream, &t, err);
			if (i >= b->warmup)
				ms[i - b->warmup] = t;
		}
		kern_d2h_free(d);
		if (rc)
			goto out;
		snprintf(name, sizeof name,
			 "tokens=%d,heads=%d,layers=%d,threads=%u,stages=3",
			 D2H_TOKENS, D2H_HEADS, D2H_LAYERS, threads[ti]);
		bench_report(b, "flash_d2h", name, ms, r, total, b->lim_d2h);
		if (b->check && (rc = d2h_verify(&s, "flash_d2h", err)))
			goto out;
	}
	for (size_t ci = 0; ci < SS_ARRAY_SIZE(ctas); ci++) {
		s.ctas = ctas[ci];
		memset(s.pool, 0, (uint64_t)D2H_HEADS * D2H_PLANE * 16384);
		if ((rc = bench_time(b, do_gpu_scatter, &s, 0, ms, r, err)))
			goto out;
		snprintf(name, sizeof name,
			 "mode=gpu_direct,tokens=%d,heads=%d,layers=%d,sms=%u",
			 D2H_TOKENS, D2H_HEADS, D2H_LAYERS, ctas[ci]);
		bench_report(b, "flash_d2h", name, ms, r, total, b->lim_d2h);
		if (b->check &&
		    (rc = d2h_verify(&s, "flash_d2h gpu_direct", err)))
			goto out;
	}
out:
	d2h_release(&s);
	return rc;
}

/* ---- interference and loads + saves at once ------------------------------ */

struct gemm_job {
	void *h;              /* cuBLAS handle bound to stream2 */
	kern_bf16 *a, *b, *c; /* device, n x n */
	int n, count;         /* GEMMs per run */
};

static int do_gemms(void *arg, void *stream, struct ss_err *err)
{
	struct gemm_job *g = arg;
	int rc;

	(void)stream; /* the handle's stream (stream2) */
	for (int i = 0; i < g->count; i++)
		if ((rc = kern_gemm_bf16(g->h, g->n, g->n, g->n, g->a, g->b,
					 g->c, err)))
			return rc;
	return 0;
}

/* The foreground job on stream2 between ev2 and ev3 (not waited for). */
static int fg_start(struct bench *b, bench_fn fg, void *fa, struct ss_err *err)
{
	int rc;

	if ((rc = kern_event_record(b->ev2, b->stream2, err)) ||
	    (rc = fg(fa, b->stream2, err)))
		return rc;
	return kern_event_record(b->ev3, b->stream2, err);
}

static int fg_finish(struct bench *b, double *ms, struct ss_err *err)
{
	float f;
	int rc;

	if ((rc = kern_event_sync(b->ev3, err)) ||
	    (rc = kern_event_elapsed_ms(b->ev2, b->ev3, &f, err)) ||
	    (rc = kern_dev_sync(err)))
		return rc;
	*ms = f;
	return 0;
}

/* A stream of `count` decode attention launches (one foreground run). */
struct attn_stream {
	struct bench_attn_job *job;
	int count;
};

static int do_attn_stream(void *arg, void *stream, struct ss_err *err)
{
	struct attn_stream *a = arg;
	int rc;

	for (int i = 0; i < a->count; i++)
		if ((rc = bench_attn_job_run(a->job, stream, err)))
			return rc;
	return 0;
}

enum bg_kind { BG_NONE, BG_GPU, BG_D2H_CPU };

struct bg_job {
	enum bg_kind kind;
	bench_fn fn;            /* BG_GPU: enqueued n_runs times on stream */
	void *arg;
	int n_runs;
	struct d2h_set *d2h;    /* BG_D2H_CPU: passes until fg is done */
	struct kern_d2h *pipe;
};

/* Median foreground time over r runs with `bg` running beside it. */
static int time_beside(struct bench *b, bench_fn fg, void *fa,
		       struct bg_job *bg, int r, double *ms,
		       struct ss_err *err)
{
	int rc = 0;

	for (int i = 0; i < r + 1 && !rc; i++) {
		double t;

		if (bg->kind == BG_GPU)
			for (int k = 0; k < bg->n_runs && !rc; k++)
				rc = bg->fn(bg->arg, b->stream, err);
		if (!rc)
			rc = fg_start(b, fg, fa, err);
		while (!rc && bg->kind == BG_D2H_CPU) {
			double pass;
			int done = kern_event_done(b->ev3, err);
			if (done < 0)
				rc = done;
			else if (done)
				break;
			else
				rc = d2h_cpu_pass(bg->d2h, bg->pipe, b->stream,
						  &pass, err);
		}
		if (!rc)
			rc = fg_finish(b, &t, err);
		if (!rc && i > 0) /* the first is a warm-up */
			ms[i - 1] = t;
	}
	return rc;
}

int bench_concurrency(struct bench *b, struct ss_err *err)
{
	const uint64_t pool_bytes = 2ull << 30, move = 512ull << 20;
	const int n = 8192;
	struct h2d_set s = { 0 };
	struct d2h_set d;
	struct gemm_job g = { 0 };
	struct bench_attn_job *attn = NULL;
	struct attn_stream as = { 0 };
	struct kern_d2h *pipe = NULL;
	double alone[MAXREP], one;
	char name[128];
	int r = reps(b, 5), rc;

	memset(&d, 0, sizeof d);
	if ((rc = kern_host_alloc((void **)&s.pool, pool_bytes, err)) ||
	    (rc = kern_dev_malloc((void **)&s.cache, move, err)) ||
	    (rc = h2d_prepare(b, &s, 16384, pool_bytes, move, err)) ||
	    (rc = d2h_prepare(b, &d, err)) ||
	    (rc = bench_attn_job_create(b, &attn, err)) ||
	    (rc = kern_gemm_create(&g.h, b->stream2, err)) ||
	    (rc = kern_dev_malloc((void **)&g.a, (uint64_t)n * n * 2, err)) ||
	    (rc = kern_dev_malloc((void **)&g.b, (uint64_t)n * n * 2, err)) ||
	    (rc = kern_dev_malloc((void **)&g.c, (uint64_t)n * n * 2, err)) ||
	    (rc = bench_fill_bf16_dev(g.a, (uint64_t)n * n * 2, 51, err)) ||
	    (rc = bench_fill_bf16_dev(g.b, (uint64_t)n * n * 2, 52, err)))
		goto out;
	bench_fill_bytes(s.pool, pool_bytes, b->seed + 12);
	g.n = n;

	{
		struct kern_d2h_config cfg = { 8, 3, d2h_layer_bytes() };
		if ((rc = kern_d2h_create(&pipe, &cfg, err)))
			goto out;
	}
	/* foreground jobs: GEMMs sized to about 40 ms alone; the decode
	 * attention as one launch (41 us: the cost at a layer's start, when
	 * the background's copies begin beside it) and as a stream of
	 * launches sized to about 40 ms (the steady state; each launch reads
	 * 142 MB, past the L2) */
	struct {
		const char *name;
		bench_fn fn;
		void *arg;
		int *count;
	} fgs[] = {
		{ "gemm_bf16_8192", do_gemms, &g, &g.count },
		{ "sparse_decode_attn_llama3-8b_b16", bench_attn_job_run, attn,
		  NULL },
		{ "sparse_decode_attn_llama3-8b_b16_stream", do_attn_stream, &as,
		  &as.count },
	};
	struct bg_job none = { .kind = BG_NONE };
	g.count = 1;
	if ((rc = time_beside(b, do_gemms, &g, &none, 1, &one, err)))
		goto out;
	g.count = (int)SS_MAX(1, 40.0 / one);
	as.job = attn;
	as.count = 1;
	if ((rc = time_beside(b, do_attn_stream, &as, &none, 1, &one, err)))
		goto out;
	as.count = (int)SS_MAX(1, 40.0 / one);

	for (size_t fi = 0; fi < SS_ARRAY_SIZE(fgs); fi++) {
		enum { NBG = 7 };
		struct bg_job bgs[NBG] = {
			{ .kind = BG_GPU, .fn = do_flash_h2d, .arg = &s },
			{ .kind = BG_GPU, .fn = do_flash_h2d, .arg = &s },
			{ .kind = BG_GPU, .fn = do_flash_h2d, .arg = &s },
			{ .kind = BG_GPU, .fn = do_flash_h2d, .arg = &s },
			{ .kind = BG_GPU, .fn = do_flash_h2d, .arg = &s },
			{ .kind = BG_GPU, .fn = do_gpu_scatter, .arg = &d },
			{ .kind = BG_D2H_CPU, .d2h = &d, .pipe = pipe },
		};
		static const char *bg_kernel[NBG] = {
			"flash_h2d", "flash_h2d", "flash_h2d", "flash_h2d",
			"flash_h2d", "flash_d2h", "flash_d2h" };
		static const char *bg_case[NBG] = {
			"frag=16384,sms=16", "frag=16384,sms=16,reserve_sm=1",
			"frag=16384,sms=16,threads=128",
			"frag=16384,sms=16,threads=128,reserve_sm=1",
			"frag=16384,sms=132", "mode=gpu_direct,sms=16",
			"threads=8,stages=3" };
		static const uint32_t bg_ctas[NBG] = { 16, 16, 16, 16, 132, 16, 0 };
		static const uint32_t bg_threads[NBG] = { 512, 512, 128, 128,
							  512, 512, 512 };
		static const uint32_t bg_reserve[NBG] = { 0, 1, 0, 1, 0, 0, 0 };
		double base, all_alone[NBG * MAXREP], ratio[MAXREP];
		int na = 0;

		if ((rc = time_beside(b, fgs[fi].fn, fgs[fi].arg, &none, r,
				      alone, err)))
			goto out;
		base = bench_median(alone, r);
		for (size_t k = 0; k < NBG; k++) {
			double bg_one;
			s.a.n_ctas = bg_ctas[k];
			s.a.threads = bg_threads[k];
			s.a.reserve_sm = bg_reserve[k];
			d.ctas = bg_ctas[k];
			if (bgs[k].kind == BG_GPU) {
				/* one background run's time, to outlast fg */
				if ((rc = bench_time(b, bgs[k].fn, bgs[k].arg,
						     0, &bg_one, 1, err)))
					goto out;
				bgs[k].n_runs = (int)(1.5 * base / bg_one) + 2;
			}
			/* alone and beside, interleaved, so clock drift
			 * cancels in each pair's ratio */
			for (int i = 0; i < r; i++) {
				double a1, w1;
				if ((rc = time_beside(b, fgs[fi].fn, fgs[fi].arg,
						      &none, 1, &a1, err)) ||
				    (rc = time_beside(b, fgs[fi].fn, fgs[fi].arg,
						      &bgs[k], 1, &w1, err)))
					goto out;
				ratio[i] = w1 / a1;
				all_alone[na++] = a1;
			}
			snprintf(name, sizeof name, "%s,slowdown_of=%s",
				 bg_case[k], fgs[fi].name);
			bench_report_value(b, bg_kernel[k], name,
					   bench_median(ratio, r), "x", 1.0,
					   ratio, r);
		}
		s.a.reserve_sm = 0;
		bench_report_value(b, "limit", fgs[fi].name,
				   bench_median(all_alone, na), "ms", 0,
				   all_alone, na);
	}

	/* loads and saves at once: FlashH2D (16 SMs) + FlashD2H's bulk
	 * copy, then + the whole FlashD2H pipeline (wall clock) */
	{
		struct bidir_arg unused;
		double t0, ms_pair[MAXREP], pass;
		(void)unused;
		s.a.n_ctas = 16;
		s.a.threads = 512;
		for (int i = 0; i < r && !rc; i++) {
			float f;
			if ((rc = kern_dev_sync(err)) ||
			    (rc = kern_event_record(b->ev0, b->stream, err)) ||
			    (rc = kern_stream_wait_event(b->stream2, b->ev0,
							 err)) ||
			    (rc = do_flash_h2d(&s, b->stream, err)) ||
			    (rc = kern_copy_async(d.pool, d.kv, move,
						  b->stream2, err)) ||
			    (rc = kern_event_record(b->ev3, b->stream2, err)) ||
			    (rc = kern_stream_wait_event(b->stream, b->ev3,
							 err)) ||
			    (rc = kern_event_record(b->ev1, b->stream, err)) ||
			    (rc = kern_event_sync(b->ev1, err)) ||
			    (rc = kern_event_elapsed_ms(b->ev0, b->ev1, &f,
							err)))
				goto out;
			ms_pair[i] = f;
		}
		bench_report(b, "flash_h2d",
			     "frag=16384,sms=16,with=bulk_d2h_512MiB", ms_pair,
			     r, 2 * move, b->lim_bidir);
		for (int i = 0; i < r && !rc; i++) {
			t0 = ss_wall_seconds();
			if ((rc = do_flash_h2d(&s, b->stream, err)) ||
			    (rc = d2h_cpu_pass(&d, pipe, b->stream2, &pass,
					       err)) ||
			    (rc = kern_dev_sync(err)))
				goto out;
			ms_pair[i] = (ss_wall_seconds() - t0) * 1e3;
		}
		bench_report(b, "flash_h2d",
			     "frag=16384,sms=16,with=flash_d2h_threads=8",
			     ms_pair, r,
			     move + D2H_LAYERS * d2h_layer_bytes(),
			     b->lim_bidir);
	}
out:
	kern_d2h_free(pipe);
	kern_gemm_destroy(g.h);
	kern_dev_free(g.a);
	kern_dev_free(g.b);
	kern_dev_free(g.c);
	bench_attn_job_free(attn);
	d2h_release(&d);
	h2d_release(&s);
	kern_host_free(s.pool);
	kern_dev_free(s.cache);
	return rc;
}
