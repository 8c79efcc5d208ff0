/*
 * bench_compute.c - HBM-bound kernels: DSA selection at 128k context,
 * sparse decode attention at a 2,048-token budget and dense paged decode
 * attention at 32k, for Llama-3-8B (32 query / 8 KV heads) and LWM-7B
 * (32 / 32) shapes; and the interference benchmarks (a cuBLAS GEMM and
 * sparse attention beside FlashH2D, FlashD2H and the GPU-direct save;
 * loads and saves at once). Bandwidth counts the bytes a kernel must read
 * (digests of candidate blocks; the selected blocks' K and V) against the
 * HBM copy limit (bytes read + written) measured in the same run. The L2
 * is flushed before every timed repeat. Each decode-attention case is also
 * set against an ideal read of its KV bytes (kern_hbm_read over one buffer
 * of that size, timed the same way): a 1 GiB copy's rate is out of reach
 * of any single launch that reads 8 MB, whose launch and DRAM latency
 * dominate.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "fileio.h"
#include "kernels/decode_attn.h"
#include "kernels/flash_d2h.h"
#include "kernels/flash_h2d.h"
#include "kernels/select.h"

#include "banned.h"

#define MAXREP 64
#define BLK_ELEMS (2 * KERN_BLOCK_TOKENS * KERN_HEAD_DIM)
#define BLK_BYTES (BLK_ELEMS * 2)

struct shape {
	const char *name;
	uint32_t n_q_heads, n_kv_heads;
};

static const struct shape shapes[] = {
	{ "llama3-8b", 32, 8 },
	{ "lwm-7b", 32, 32 },
};

static int reps(const struct bench *b, int cap)
{
	return SS_MIN(b->repeats, cap);
}

/* ---- attention --------------------------------------------------------- */

/* an ideal read measured in this run: bytes, GB/s */
struct read_limit {
	uint64_t bytes;
	double gbs;
};

struct attn_set {
	kern_bf16 *cache;      /* device, n_slots blocks */
	uint64_t n_slots;
	struct kern_attn_args a;
	int sparse;
	uint32_t variant;      /* kern_attn_args.variant (0 = automatic) */
	uint32_t splits;       /* kern_attn_args.n_splits (0 = automatic) */
	uint32_t planned;      /* the split count kern_attn_plan chose */
	/* ideal reads [0] and gathers [1] so far, one per size */
	struct read_limit reads[2][32];
	int n_reads[2];
};

static int do_attn(void *arg, void *stream, struct ss_err *err)
{
	struct attn_set *s = arg;

	return s->sparse ? kern_sparse_decode_attn(&s->a, stream, err)
			 : kern_dense_decode_attn(&s->a, stream, err);
}

static void attn_free(struct attn_set *s)
{
	kern_dev_free((void *)s->a.q);
	kern_dev_free((void *)s->a.slots);
	kern_dev_free((void *)s->a.block_ids);
	kern_dev_free((void *)s->a.n_list);
	kern_dev_free((void *)s->a.ctx_len);
	kern_dev_free(s->a.out);
	kern_dev_free(s->a.work);
	memset(&s->a, 0, sizeof s->a);
}

/*
 * Lists of `n_list` blocks per (request, KV head) of a context of ctx
 * tokens: sparse picks random distinct blocks (the last one included,
 * ascending), dense all of them; slots random distinct per list.
 */
static int attn_prepare(struct bench *b, struct attn_set *s,
			const struct shape *sh, uint32_t batch, uint32_t ctx,
			uint32_t n_list, int sparse, struct ss_err *err)
{
	uint64_t bh = (uint64_t)batch * sh->n_kv_heads, nl = bh * n_list;
	uint32_t nb = (ctx + KERN_BLOCK_TOKENS - 1) / KERN_BLOCK_TOKENS;
	int32_t *sl = malloc(nl * 4), *bid = malloc(nl * 4);
	uint32_t *cnt = malloc(bh * 4), *cl = malloc(batch * 4);
	uint64_t *tmp = malloc((size_t)SS_MAX(nb, n_list) * 8);
	uint64_t wb;
	uint32_t splits;
	void *p;
	int rc = 0;

	s->sparse = sparse;
	if (!sl || !bid || !cnt || !cl || !tmp) {
		rc = ss_error(err, SS_ENOMEM, "bench: out of host memory");
		goto out;
	}
	for (uint32_t i = 0; i < batch; i++)
		cl[i] = ctx;
	for (uint64_t i = 0; i < bh; i++) {
		cnt[i] = n_list;
		bench_distinct(tmp, n_list, s->n_slots, b->seed + 1000 + i);
		for (uint32_t e = 0; e < n_list; e++)
			sl[i * n_list + e] = (int32_t)tmp[e];
		if (sparse) {
			bench_distinct(tmp, n_list, nb, b->seed + 5000 + i);
			tmp[0] = nb - 1;
			/* ascending: an insertion sort is enough at 64 */
			for (uint32_t x = 1; x < n_list; x++)
				for (uint32_t y = x; y > 0 && tmp[y] < tmp[y - 1];
				     y--) {
					uint64_t t = tmp[y];
					tmp[y] = tmp[y - 1];
					tmp[y - 1] = t;
				}
			for (uint32_t e = 0; e < n_list; e++)
				bid[i * n_list + e] = (int32_t)tmp[e];
		}
	}
	s->a = (struct kern_attn_args){
		.cache = s->cache, .batch = batch,
		.n_q_heads = sh->n_q_heads, .n_kv_heads = sh->n_kv_heads,
		.head_dim = KERN_HEAD_DIM, .max_list = n_list,
		.scale = 1.0f / sqrtf((float)KERN_HEAD_DIM),
		.variant = s->variant, .n_splits = s->splits,
	};
#define UP(field, host, bytes)                                                \
	do {                                                                  \
		if ((rc = kern_dev_malloc(&p, (bytes), err)) ||               \
		    (rc = kern_copy(p, (host), (bytes), err)))                \
			goto out;                                             \
		s->a.field = p;                                               \
	} while (0)
	UP(slots, sl, nl * 4);
	if (sparse) {
		UP(block_ids, bid, nl * 4);
		UP(n_list, cnt, bh * 4);
	}
	UP(ctx_len, cl, batch * 4);
#undef UP
	if ((rc = kern_dev_malloc(&p, (uint64_t)batch * sh->n_q_heads *
					      KERN_HEAD_DIM * 2, err)))
		goto out;
	s->a.q = p;
	if ((rc = bench_fill_bf16_dev(p, (uint64_t)batch * sh->n_q_heads *
						 KERN_HEAD_DIM * 2,
				      b->seed + batch, err)) ||
	    (rc = kern_dev_malloc((void **)&s->a.out,
				  (uint64_t)batch * sh->n_q_heads *
					  KERN_HEAD_DIM * 2,
				  err)) ||
	    (rc = kern_attn_plan(&s->a, &splits, &wb, err)) ||
	    (rc = kern_dev_malloc((void **)&s->a.work, wb, err)))
		goto out;
	s->a.work_bytes = wb;
	s->planned = splits;
out:
	free(sl);
	free(bid);
	free(cnt);
	free(cl);
	free(tmp);
	return rc;
}

/* Request 0, every query head, against a double-precision reference. */
static int attn_verify(struct bench *b, struct attn_set *s, const char *what,
		       struct ss_err *err)
{
	const struct kern_attn_args *a = &s->a;
	uint32_t G = a->n_q_heads / a->n_kv_heads, n = a->max_list, ctx;
	kern_bf16 *blk = malloc((uint64_t)n * BLK_BYTES);
	kern_bf16 *q = malloc(a->n_q_heads * KERN_HEAD_DIM * 2);
	kern_bf16 *o = malloc(a->n_q_heads * KERN_HEAD_DIM * 2);
	int32_t *sl = malloc(n * 4), *bid = malloc(n * 4);
	double *p = malloc((uint64_t)n * KERN_BLOCK_TOKENS * sizeof *p);
	double worst = 0;
	int rc = 0;

	if (!blk || !q || !o || !sl || !bid || !p) {
		rc = ss_error(err, SS_ENOMEM, "bench: out of host memory");
		goto out;
	}
	if ((rc = kern_stream_sync(b->stream, err)) ||
	    (rc = kern_copy(q, a->q, a->n_q_heads * KERN_HEAD_DIM * 2, err)) ||
	    (rc = kern_copy(o, a->out, a->n_q_heads * KERN_HEAD_DIM * 2,
			    err)) ||
	    (rc = kern_copy(&ctx, a->ctx_len, 4, err)))
		goto out;
	for (uint32_t h = 0; h < a->n_kv_heads && !rc; h++) {
		if ((rc = kern_copy(sl, a->slots + (uint64_t)h * n, n * 4, err)))
			break;
		if (s->sparse &&
		    (rc = kern_copy(bid, a->block_ids + (uint64_t)h * n, n * 4,
				    err)))
			break;
		for (uint32_t e = 0; e < n && !rc; e++)
			rc = kern_copy(blk + (uint64_t)e * BLK_ELEMS,
				       s->cache + (uint64_t)sl[e] * BLK_ELEMS,
				       BLK_BYTES, err);
		for (uint32_t g = 0; g < G && !rc; g++) {
			const kern_bf16 *qv = q + (h * G + g) * KERN_HEAD_DIM;
			double mx = -INFINITY, sum = 0, num = 0, den = 0;
			uint32_t np = 0;

			for (uint32_t e = 0; e < n; e++)
				for (uint32_t t = 0; t < KERN_BLOCK_TOKENS;
				     t++, np++) {
					uint64_t blkid = s->sparse ? (uint64_t)bid[e] : e;
					const kern_bf16 *k =
						blk + (uint64_t)e * BLK_ELEMS +
						t * KERN_HEAD_DIM;
					double d = 0;
					if (blkid * KERN_BLOCK_TOKENS + t >= ctx) {
						p[np] = -INFINITY;
						continue;
					}
					for (uint32_t i = 0; i < KERN_HEAD_DIM; i++)
						d += (double)kern_bf16_to_float(qv[i]) *
						     kern_bf16_to_float(k[i]);
					p[np] = d * a->scale;
					mx = fmax(mx, p[np]);
				}
			for (uint32_t i = 0; i < np; i++) {
				p[i] = p[i] == -INFINITY ? 0 : exp(p[i] - mx);
				sum += p[i];
			}
			for (uint32_t dd = 0; dd < KERN_HEAD_DIM; dd++) {
				double ref = 0, got;
				np = 0;
				for (uint32_t e = 0; e < n; e++)
					for (uint32_t t = 0; t < KERN_BLOCK_TOKENS;
					     t++, np++)
						ref += p[np] / sum *
						       kern_bf16_to_float(
							       blk[(uint64_t)e * BLK_ELEMS +
								   (KERN_BLOCK_TOKENS + t) *
									   KERN_HEAD_DIM +
								   dd]);
				got = kern_bf16_to_float(
					o[(h * G + g) * KERN_HEAD_DIM + dd]);
				num += (got - ref) * (got - ref);
				den += ref * ref;
			}
			worst = fmax(worst, sqrt(num / den));
		}
	}
	if (!rc && !(worst < 1e-2)) {
		fprintf(stderr, "CHECK FAILED: %s: relative error %g\n", what,
			worst);
		b->failed = 1;
	}
out:
	free(blk);
	free(q);
	free(o);
	free(sl);
	free(bid);
	free(p);
	return rc;
}

struct read_arg {
	const void *buf;
	uint64_t bytes;
	uint64_t *sink;
	const int32_t *slots; /* a gather's slot table, else NULL */
};

static int do_read(void *arg, void *stream, struct ss_err *err)
{
	struct read_arg *r = arg;

	return r->slots ? kern_hbm_gather(r->buf, BLK_BYTES, r->slots,
					  r->bytes / BLK_BYTES, r->sink,
					  stream, err)
			: kern_hbm_read(r->buf, r->bytes, r->sink, stream, err);
}

/*
 * The ideal read of `bytes` in GB/s, timed as attn_case times the
 * attention (L2 flushed before each repeat, bench_time's warm-up, events,
 * median): kern_hbm_read over one contiguous buffer of that size, or
 * (gather) kern_hbm_gather over the blocks the prepared case reads (its
 * slot table, bytes / BLK_BYTES blocks of s->cache). Measured and reported
 * (limit,"hbm_read,bytes=N" or "hbm_gather,bytes=N") the first time a size
 * is asked for in a run, then taken from s->reads: later cases of that
 * size read other random blocks of the same cache.
 */
static int ideal_limit(struct bench *b, struct attn_set *s, uint64_t bytes,
		       int gather, double *gbs, struct ss_err *err)
{
	struct read_limit *seen = s->reads[gather];
	int *n_seen = &s->n_reads[gather];
	struct read_arg ra = { .bytes = bytes };
	double ms[MAXREP];
	char name[64];
	int r = reps(b, 30), rc;

	for (int i = 0; i < *n_seen; i++)
		if (seen[i].bytes == bytes) {
			*gbs = seen[i].gbs;
			return 0;
		}
	if (gather) {
		ra.buf = s->cache;
		ra.slots = s->a.slots;
	} else if ((rc = kern_dev_malloc((void **)&ra.buf, bytes, err)) ||
		   (rc = kern_memset_async((void *)ra.buf, 0, bytes, b->stream,
					   err))) {
		goto out;
	}
	if ((rc = kern_dev_malloc((void **)&ra.sink, sizeof *ra.sink, err)) ||
	    (rc = kern_memset_async(ra.sink, 0, sizeof *ra.sink, b->stream,
				    err)) ||
	    (rc = bench_time(b, do_read, &ra, 1, ms, r, err)))
		goto out;
	snprintf(name, sizeof name, "hbm_%s,bytes=%llu",
		 gather ? "gather" : "read", (unsigned long long)bytes);
	bench_report(b, "limit", name, ms, r, bytes, 0);
	*gbs = b->rows[b->n_rows - 1].value;
	if (*n_seen < (int)SS_ARRAY_SIZE(s->reads[0]))
		seen[(*n_seen)++] = (struct read_limit){ bytes, *gbs };
out:
	if (!gather)
		kern_dev_free((void *)ra.buf);
	kern_dev_free(ra.sink);
	return rc;
}

/*
 * One timed, validated case: sparse (budget 2,048 tokens = 64 blocks of a
 * 128k context) or dense (32k context, 1,024 blocks) for `batch` requests
 * of shape `sh`, reported with `suffix` after the case name, then again
 * (",vs=read_same_bytes") against the ideal read of the same bytes and
 * (",vs=gather_same_blocks") against the ideal gather of its blocks.
 */
static int attn_case(struct bench *b, struct attn_set *s,
		     const struct shape *sh, uint32_t batch, int sparse,
		     const char *suffix, struct ss_err *err)
{
	const char *kernel = sparse ? "sparse_decode_attn" : "dense_decode_attn";
	uint32_t ctx = sparse ? 131072 : 32768, nl = sparse ? 64 : 1024;
	uint64_t bytes = (uint64_t)batch * sh->n_kv_heads * nl * BLK_BYTES;
	double ms[MAXREP], read_gbs, gather_gbs;
	char name[128], vs[160];
	int r = reps(b, 30), rc;

	if ((rc = attn_prepare(b, s, sh, batch, ctx, nl, sparse, err)) ||
	    (rc = bench_time(b, do_attn, s, 1, ms, r, err)))
		return rc;
	if (sparse)
		snprintf(name, sizeof name,
			 "model=%s,budget=2048,ctx=131072,batch=%u%s", sh->name,
			 batch, suffix);
	else
		snprintf(name, sizeof name, "model=%s,ctx=32768,batch=%u%s",
			 sh->name, batch, suffix);
	bench_report(b, kernel, name, ms, r, bytes, b->lim_hbm);
	fprintf(stderr, "bench: %s %s: %u splits\n", kernel, name, s->planned);
	if ((rc = ideal_limit(b, s, bytes, 0, &read_gbs, err)))
		return rc;
	snprintf(vs, sizeof vs, "%s,vs=read_same_bytes", name);
	bench_report(b, kernel, vs, ms, r, bytes, read_gbs);
	if ((rc = ideal_limit(b, s, bytes, 1, &gather_gbs, err)))
		return rc;
	snprintf(vs, sizeof vs, "%s,vs=gather_same_blocks", name);
	bench_report(b, kernel, vs, ms, r, bytes, gather_gbs);
	if (b->check && (rc = attn_verify(b, s, kernel, err)))
		return rc;
	attn_free(s);
	return 0;
}

/*
 * The decode attention cases on a 2 GiB cache of random blocks: every
 * variant at the standard shapes (bench_attn), or forced split counts
 * (bench_attn_sweep, opt-in: about 50 more cases, the ones the automatic
 * plans were chosen from).
 */
static int attn_run(struct bench *b, int sweep, struct ss_err *err)
{
	static const uint32_t batches[] = { 1, 4, 16, 64 };
	struct attn_set s = { 0 };
	int rc;

	s.n_slots = (2ull << 30) / BLK_BYTES; /* 2 GiB cache */
	if ((rc = kern_dev_malloc((void **)&s.cache, s.n_slots * BLK_BYTES,
				  err)) ||
	    (rc = bench_fill_bf16_dev(s.cache, s.n_slots * BLK_BYTES,
				      b->seed + 21, err)))
		goto out;
	/* variant 0 = the automatic choice; 1 = the CUDA-core kernel, 2 =
	 * tensor cores, 3 = their cluster merge, 4 = blocks staged by
	 * cp.async (4 warps of 3 stages), 5 = the same with 8 warps of one
	 * stage, 6 = 4 warps of 2 stages, every warp's partial pushed to
	 * the CTA that owns the head, 7 = 4's kernel without a cluster,
	 * merged by the CTA that finds every split's flag set, reported as
	 * ",variant=N" for comparison */
	for (uint32_t v = 0; v <= 7 && !sweep; v++) {
		char vs[16] = "";

		if (v)
			snprintf(vs, sizeof vs, ",variant=%u", v);

		s.variant = v;
		for (size_t si = 0; si < SS_ARRAY_SIZE(shapes); si++)
			for (size_t bi = 0; bi < SS_ARRAY_SIZE(batches); bi++)
				if ((!b->quick || batches[bi] == 16) &&
				    (rc = attn_case(b, &s, &shapes[si],
						    batches[bi], 1, vs, err)))
					goto out;
		for (size_t si = 0; si < SS_ARRAY_SIZE(shapes); si++) {
			static const uint32_t dense_b[] = { 1, 4, 16 };

			for (size_t bi = 0; bi < SS_ARRAY_SIZE(dense_b); bi++) {
				uint64_t lists = (uint64_t)dense_b[bi] *
						 shapes[si].n_kv_heads * 1024;

				if (lists > s.n_slots ||
				    (b->quick && dense_b[bi] != 4))
					continue;
				if ((rc = attn_case(b, &s, &shapes[si],
						    dense_b[bi], 0, vs, err)))
					goto out;
			}
		}
	}
	/* the split count of the automatic variant, forced, for Llama-3-8B
	 * ("splits=N" rows): dense at batch 1 (8 K entries), sparse at
	 * batch 1, 4 and 16 (512, 2 K, 8 K entries) */
	s.variant = 0;
	for (int c = 0; c < 4 && sweep && !b->quick; c++) {
		static const uint32_t dense_S[] = { 16, 24, 32, 48, 64, 128 };
		static const uint32_t sparse_S[] = { 2, 4, 8, 16, 32 };
		static const uint32_t sparse_B[] = { 1, 4, 16 };
		int sparse = c > 0;
		const uint32_t *S = sparse ? sparse_S : dense_S;
		size_t nS = sparse ? SS_ARRAY_SIZE(sparse_S)
				   : SS_ARRAY_SIZE(dense_S);

		for (size_t k = 0; k < nS; k++) {
			char sfx[32];

			s.splits = S[k];
			snprintf(sfx, sizeof sfx, ",splits=%u", S[k]);
			if ((rc = attn_case(b, &s, &shapes[0],
					    sparse ? sparse_B[c - 1] : 1, sparse,
					    sfx, err)))
				goto out;
		}
	}
	/* variants 3 to 7 at forced split counts (3-6: a cluster up to 16 where
	 * it fits, else the merge kernel), sparse at batch 1, 4 and 16
	 * (",variant=N,splits=S") */
	for (int c = 0; c < 15 && sweep && !b->quick; c++) {
		static const uint32_t cS[] = { 2, 4, 8, 16, 32 };
		static const uint32_t cB[] = { 1, 4, 16 };

		s.variant = 3 + c / 3;
		for (size_t k = 0; k < SS_ARRAY_SIZE(cS); k++) {
			char sfx[40];

			s.splits = cS[k];
			snprintf(sfx, sizeof sfx, ",variant=%u,splits=%u",
				 s.variant, cS[k]);
			if ((rc = attn_case(b, &s, &shapes[0], cB[c % 3], 1,
					    sfx, err)))
				goto out;
		}
	}
	s.variant = 0;
	s.splits = 0;
out:
	attn_free(&s);
	kern_dev_free(s.cache);
	return rc;
}

int bench_attn(struct bench *b, struct ss_err *err)
{
	return attn_run(b, 0, err);
}

int bench_attn_sweep(struct bench *b, struct ss_err *err)
{
	return attn_run(b, 1, err);
}

/* ---- selection ------------------------------------------------------------ */

static int do_select(void *arg, void *stream, struct ss_err *err)
{
	return kern_select(arg, stream, err);
}

static double sel_score(const kern_bf16 *q, uint32_t G, const kern_bf16 *dg)
{
	double s = 0;

	for (uint32_t g = 0; g < G; g++)
		for (uint32_t i = 0; i < KERN_HEAD_DIM; i++) {
			double qi = kern_bf16_to_float(q[g * KERN_HEAD_DIM + i]);
			s += fmax(qi * kern_bf16_to_float(dg[i]),
				  qi * kern_bf16_to_float(dg[KERN_HEAD_DIM + i]));
		}
	return s;
}

static int cmp_desc(const void *x, const void *y)
{
	double a = *(const double *)x, c = *(const double *)y;

	return a < c ? 1 : a > c ? -1 : 0;
}

/* (request 0, head 0): every chosen block scores >= the k-th (double) */
static int select_verify(struct bench *b, const struct kern_select_args *a,
			 struct ss_err *err)
{
	uint32_t G = a->n_q_heads / a->n_kv_heads, nc = a->max_blocks - 4;
	uint32_t cap = kern_select_out_cap(a);
	kern_bf16 *dg = malloc((uint64_t)a->max_blocks * 2 * KERN_HEAD_DIM * 2);
	kern_bf16 *q = malloc(G * KERN_HEAD_DIM * 2);
	int32_t *ids = malloc(cap * 4);
	double *sc = malloc(a->max_blocks * sizeof *sc);
	double *srt = malloc(a->max_blocks * sizeof *srt), kth;
	int rc = 0, bad = 0;

	if (!dg || !q || !ids || !sc || !srt) {
		rc = ss_error(err, SS_ENOMEM, "bench: out of host memory");
		goto out;
	}
	if ((rc = kern_stream_sync(b->stream, err)) ||
	    (rc = kern_copy(dg, a->digest,
			    (uint64_t)a->max_blocks * 2 * KERN_HEAD_DIM * 2,
			    err)) ||
	    (rc = kern_copy(q, a->q, G * KERN_HEAD_DIM * 2, err)) ||
	    (rc = kern_copy(ids, a->out_ids, cap * 4, err)))
		goto out;
	for (uint32_t j = 2; j < 2 + nc; j++)
		srt[j - 2] = sc[j] =
			sel_score(q, G, dg + (uint64_t)j * 2 * KERN_HEAD_DIM);
	qsort(srt, nc, sizeof *srt, cmp_desc);
	kth = srt[a->topk - 1];
	for (uint32_t i = 0; i < a->topk; i++) {
		int32_t j = ids[2 + i];
		if (j < 2 || j >= (int32_t)(2 + nc) ||
		    sc[j] < kth - 1e-4 * (1 + fabs(kth)))
			bad++;
	}
	if (ids[0] != 0 || ids[1] != 1 ||
	    ids[cap - 1] != (int32_t)a->max_blocks - 1)
		bad++;
	if (bad) {
		fprintf(stderr, "CHECK FAILED: select: %d wrong entries\n", bad);
		b->failed = 1;
	}
out:
	free(dg);
	free(q);
	free(ids);
	free(sc);
	free(srt);
	return rc;
}

int bench_select(struct bench *b, struct ss_err *err)
{
	const uint32_t B = 16, ctx = 131072, nblk = ctx / KERN_BLOCK_TOKENS;
	double ms[MAXREP];
	char name[128];
	int r = reps(b, 30), rc = 0;

	for (size_t si = 0; si < SS_ARRAY_SIZE(shapes) && !rc; si++) {
		const struct shape *sh = &shapes[si];
		uint64_t dbytes = (uint64_t)B * sh->n_kv_heads * nblk * 2 *
				  KERN_HEAD_DIM * 2;
		uint32_t cl[16];
		struct kern_select_args a = {
			.batch = B, .n_q_heads = sh->n_q_heads,
			.n_kv_heads = sh->n_kv_heads, .head_dim = KERN_HEAD_DIM,
			.max_blocks = nblk, .topk = 60, .n_sink = 2,
			.n_window = 2,
		};
		void *p[6] = { 0 };

		for (uint32_t i = 0; i < B; i++)
			cl[i] = ctx;
		if ((rc = kern_dev_malloc(&p[0], (uint64_t)B * sh->n_q_heads *
							 KERN_HEAD_DIM * 2,
					  err)) ||
		    (rc = bench_fill_bf16_dev(p[0], (uint64_t)B * sh->n_q_heads *
							    KERN_HEAD_DIM * 2,
					      b->seed + 31, err)) ||
		    (rc = kern_dev_malloc(&p[1], dbytes, err)) ||
		    (rc = bench_fill_bf16_dev(p[1], dbytes, b->seed + 32, err)) ||
		    (rc = kern_dev_malloc(&p[2], sizeof cl, err)) ||
		    (rc = kern_copy(p[2], cl, sizeof cl, err)) ||
		    (rc = kern_dev_malloc(&p[3], (uint64_t)B * sh->n_kv_heads *
							 nblk * 4,
					  err)) ||
		    (rc = kern_dev_malloc(&p[4], (uint64_t)B * sh->n_kv_heads *
							 64 * 4,
					  err)) ||
		    (rc = kern_dev_malloc(&p[5], (uint64_t)B * sh->n_kv_heads * 4,
					  err)))
			goto next;
		a.q = p[0];
		a.digest = p[1];
		a.ctx_len = p[2];
		a.scores = p[3];
		a.out_ids = p[4];
		a.out_count = p[5];
		if ((rc = bench_time(b, do_select, &a, 1, ms, r, err)))
			goto next;
		snprintf(name, sizeof name, "model=%s,ctx=%u,batch=%u,topk=60",
			 sh->name, ctx, B);
		/* bytes: the candidates' digests (sink and window excluded) */
		bench_report(b, "select", name, ms, r,
			     (uint64_t)B * sh->n_kv_heads * (nblk - 4) * 2 *
				     KERN_HEAD_DIM * 2,
			     b->lim_hbm);
		if (b->check)
			rc = select_verify(b, &a, err);
next:
		for (int i = 0; i < 6; i++)
			kern_dev_free(p[i]);
	}
	return rc;
}

/* ---- a sparse-attention job for the interference benchmarks ------------- */

struct bench_attn_job {
	struct attn_set s;
};

int bench_attn_job_create(struct bench *b, struct bench_attn_job **out,
			  struct ss_err *err)
{
	struct bench_attn_job *j = calloc(1, sizeof *j);
	int rc;

	*out = NULL;
	if (!j)
		return ss_error(err, SS_ENOMEM, "bench: out of host memory");
	j->s.n_slots = (1ull << 30) / BLK_BYTES;
	if ((rc = kern_dev_malloc((void **)&j->s.cache,
				  j->s.n_slots * BLK_BYTES, err)) ||
	    (rc = bench_fill_bf16_dev(j->s.cache, j->s.n_slots * BLK_BYTES,
				      b->seed + 41, err)) ||
	    (rc = attn_prepare(b, &j->s, &shapes[0], 16, 131072, 64, 1,
			       err))) {
		bench_attn_job_free(j);
		return rc;
	}
	*out = j;
	return 0;
}

int bench_attn_job_run(void *arg, void *stream, struct ss_err *err)
{
	return do_attn(&((struct bench_attn_job *)arg)->s, stream, err);
}

void bench_attn_job_free(struct bench_attn_job *j)
{
	if (!j)
		return;
	attn_free(&j->s);
	kern_dev_free(j->s.cache);
	free(j);
}
