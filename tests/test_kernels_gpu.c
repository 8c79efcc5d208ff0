/*
 * test_kernels_gpu.c - the kernels of kernels/ against CPU references
 * (suite 'gpu').
 *
 * Every GPU case draws fresh random inputs from a seeded GSL generator,
 * poisons its outputs first, runs every launch configuration it lists and
 * checks: copies bit-exact (and nothing else written), bf16 results within
 * a norm-wise relative error of 1e-2 of a double-precision reference.
 * Without a GPU, or in a build without CUDA, each GPU case reports SKIP
 * with the reason. The bad-input cases need a CUDA build but no device
 * (launchers check shapes before touching the GPU); the CPU scatter of
 * FlashD2H needs neither and always runs.
 */
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "harness.h"
#include "gpu_harness.h"
#include "kernels/copy_baseline.h"
#include "kernels/decode_attn.h"
#include "kernels/device.h"
#include "kernels/flash_d2h.h"
#include "kernels/flash_h2d.h"
#include "kernels/kv_append.h"
#include "kernels/select.h"

#include "banned.h"

#define BT KERN_BLOCK_TOKENS
#define HD KERN_HEAD_DIM

static void need_cuda_build(void)
{
	if (!HAVE_CUDA)
		TH_SKIP("built without CUDA");
}

static void fill_bytes(void *p, size_t n, gsl_rng *r)
{
	unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		c[i] = (unsigned char)gsl_rng_uniform_int(r, 256);
}

static void fill_bf16(kern_bf16 *p, size_t n, gsl_rng *r, double scale)
{
	for (size_t i = 0; i < n; i++)
		p[i] = kern_float_to_bf16(
			(float)((2 * gsl_rng_uniform(r) - 1) * scale));
}

static void *dalloc(uint64_t n)
{
	void *p;

	KOK(kern_dev_malloc(&p, n, &e));
	return p;
}

static void *halloc(uint64_t n)
{
	void *p;

	KOK(kern_host_alloc(&p, n, &e));
	return p;
}

static void *upload(const void *h, uint64_t n)
{
	void *d = dalloc(n);

	KOK(kern_copy(d, h, n, &e));
	return d;
}

/* n distinct values in [0, range), in random order */
static void distinct(uint64_t *out, uint32_t n, uint64_t range, gsl_rng *r)
{
	uint64_t *perm = xmalloc(range * sizeof *perm);

	CHECK(n <= range);
	for (uint64_t i = 0; i < range; i++)
		perm[i] = i;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t j = i + gsl_rng_uniform_int(r, range - i), t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
		out[i] = perm[i];
	}
	free(perm);
}

/* ||a - b|| / ||b|| over n values; a NaN anywhere gives INFINITY */
static double rel_err(const double *a, const double *b, size_t n)
{
	double num = 0, den = 0;

	for (size_t i = 0; i < n; i++) {
		if (isnan(a[i]))
			return INFINITY;
		num += (a[i] - b[i]) * (a[i] - b[i]);
		den += b[i] * b[i];
	}
	return den > 0 ? sqrt(num / den) : sqrt(num);
}

/* ---- FlashH2D and the copy baselines -------------------------------- */

static void t_flash_h2d_bitexact(void)
{
	static const uint64_t sizes[] = { 16, 48, 2048, 4096, 16384, 65536 };
	static const uint32_t ctas[] = { 1, 4, 16, 132 };
	static const uint32_t threads[] = { 64, 128, 256, 512 };
	const uint64_t pool_blocks = 96, slots = 80;
	const uint32_t n = 57;

	need_gpu();
	for (size_t si = 0; si < SS_ARRAY_SIZE(sizes); si++)
	for (size_t ci = 0; ci < SS_ARRAY_SIZE(ctas); ci++)
	for (size_t ti = 0; ti < SS_ARRAY_SIZE(threads); ti++) {
		uint64_t bb = sizes[si];
		gsl_rng *r = rng_new(1000 + si * 100 + ci * 10 + ti);
		unsigned char *pool = halloc(pool_blocks * bb);
		unsigned char *got = xmalloc(slots * bb);
		uint64_t src[57], dst64[57];
		uint32_t dst[57];
		void *cache = dalloc(slots * bb), *d_src, *d_dst;
		void *st;

		fill_bytes(pool, pool_blocks * bb, r);
		distinct(src, n, pool_blocks, r);
		distinct(dst64, n, slots, r);
		for (uint32_t i = 0; i < n; i++)
			dst[i] = (uint32_t)dst64[i];
		d_src = upload(src, sizeof src);
		d_dst = upload(dst, sizeof dst);
		KOK(kern_stream_create(&st, &e));
		KOK(kern_memset_async(cache, POISON, slots * bb, st, &e));
		struct kern_h2d_args a = {
			.src_base = pool, .dst_base = cache, .block_bytes = bb,
			.src_index = d_src, .dst_index = d_dst, .n_blocks = n,
			.n_ctas = ctas[ci], .threads = threads[ti],
			.reserve_sm = ci == 2 && ti == 3,
		};
		KOK(kern_flash_h2d(&a, st, &e));
		KOK(kern_stream_sync(st, &e));
		KOK(kern_copy(got, cache, slots * bb, &e));
		for (uint64_t s = 0; s < slots; s++) {
			const unsigned char *want = NULL;
			for (uint32_t i = 0; i < n; i++)
				if (dst[i] == s)
					want = pool + src[i] * bb;
			if (want) {
				CHECK_MSG(!memcmp(got + s * bb, want, bb),
					  "block bytes %llu ctas %u threads "
					  "%u: slot %llu differs",
					  (unsigned long long)bb, ctas[ci],
					  threads[ti], (unsigned long long)s);
			} else {
				for (uint64_t k = 0; k < bb; k++)
					CHECK(got[s * bb + k] == POISON);
			}
		}
		kern_stream_destroy(st);
		kern_dev_free(cache);
		kern_dev_free(d_src);
		kern_dev_free(d_dst);
		kern_host_free(pool);
		free(got);
		gsl_rng_free(r);
	}
}

/* per-block memcpy and batched memcpy, H2D then D2H, bit-exact */
static void t_memcpy_baselines_bitexact(void)
{
	const uint64_t bb = 4096, pool_blocks = 64, slots = 48;
	const uint32_t n = 40;

	need_gpu();
	for (int batched = 0; batched < 2; batched++) {
		gsl_rng *r = rng_new(2000 + batched);
		unsigned char *pool = halloc(pool_blocks * bb);
		unsigned char *pool2 = halloc(pool_blocks * bb);
		void *cache = dalloc(slots * bb), *st;
		uint64_t src[40], dst[40];
		struct kern_batch_ws *ws;

		fill_bytes(pool, pool_blocks * bb, r);
		memset(pool2, POISON, pool_blocks * bb);
		distinct(src, n, pool_blocks, r);
		distinct(dst, n, slots, r);
		KOK(kern_stream_create(&st, &e));
		KOK(kern_batch_ws_alloc(&ws, n, &e));
		KOK(kern_memset_async(cache, POISON, slots * bb, st, &e));
		struct kern_blocks_copy up = {
			.dst_base = cache, .src_base = pool, .block_bytes = bb,
			.src_index = src, .dst_index = dst, .n_blocks = n,
		};
		/* back down into the same pool positions of pool2 */
		struct kern_blocks_copy down = {
			.dst_base = pool2, .src_base = cache, .block_bytes = bb,
			.src_index = dst, .dst_index = src, .n_blocks = n,
		};
		if (batched) {
			KOK(kern_memcpy_batch_blocks(&up, ws, st, &e));
			KOK(kern_memcpy_batch_blocks(&down, ws, st, &e));
		} else {
			KOK(kern_memcpy_blocks(&up, st, &e));
			KOK(kern_memcpy_blocks(&down, st, &e));
		}
		KOK(kern_stream_sync(st, &e));
		for (uint64_t b = 0; b < pool_blocks; b++) {
			int moved = 0;
			for (uint32_t i = 0; i < n; i++)
				moved |= src[i] == b;
			if (moved)
				CHECK(!memcmp(pool2 + b * bb, pool + b * bb,
					      bb));
			else
				for (uint64_t k = 0; k < bb; k++)
					CHECK(pool2[b * bb + k] == POISON);
		}
		kern_batch_ws_free(ws);
		kern_stream_destroy(st);
		kern_dev_free(cache);
		kern_host_free(pool);
		kern_host_free(pool2);
		gsl_rng_free(r);
	}
}

/* ---- FlashD2H -------------------------------------------------------- */

struct d2h_case {
	struct kern_d2h_layer l;
	kern_bf16 *kv;   /* host copy of kv_new */
	uint64_t *blk;   /* [n_tokens] */
	uint32_t *row;   /* [n_tokens] */
	uint64_t pool_blocks;
};

/*
 * A batch of `n_req` requests appending random runs of tokens at random
 * positions; every (token, head) row has its own place in the pool.
 */
static void d2h_case_make(struct d2h_case *c, gsl_rng *r, uint32_t n_req,
			  uint32_t n_heads, uint32_t head_dim)
{
	const uint64_t max_blocks = 8;
	uint32_t t = 0, tok[16];

	CHECK(n_req <= 16);
	memset(c, 0, sizeof *c);
	for (uint32_t q = 0; q < n_req; q++) {
		tok[q] = 1 + (uint32_t)gsl_rng_uniform_int(r, 90);
		t += tok[q];
	}
	c->pool_blocks = (uint64_t)n_req * n_heads * max_blocks;
	c->blk = xmalloc(t * sizeof *c->blk);
	c->row = xmalloc(t * sizeof *c->row);
	c->kv = xmalloc(2ull * t * n_heads * head_dim * sizeof *c->kv);
	fill_bf16(c->kv, 2ull * t * n_heads * head_dim, r, 4.0);
	t = 0;
	for (uint32_t q = 0; q < n_req; q++) {
		uint32_t pos0 = (uint32_t)gsl_rng_uniform_int(
			r, max_blocks * BT - tok[q] + 1);
		for (uint32_t i = 0; i < tok[q]; i++, t++) {
			uint32_t pos = pos0 + i;
			c->blk[t] = (uint64_t)q * n_heads * max_blocks +
				    pos / BT;
			c->row[t] = pos % BT;
		}
	}
	c->l = (struct kern_d2h_layer){
		.n_tokens = t, .n_heads = n_heads, .head_dim = head_dim,
		.block_tokens = BT, .dst_block = c->blk, .row = c->row,
		.head_stride = max_blocks,
	};
}

static void d2h_case_free(struct d2h_case *c)
{
	free(c->kv);
	free(c->blk);
	free(c->row);
}

/* Reference: every row placed by hand; untouched bytes stay POISON. */
static void d2h_expect(const struct d2h_case *c, unsigned char *pool)
{
	const struct kern_d2h_layer *l = &c->l;
	uint64_t rb = l->head_dim * 2, bb = 2 * BT * rb;

	memset(pool, POISON, c->pool_blocks * bb);
	for (uint32_t t = 0; t < l->n_tokens; t++)
		for (uint32_t h = 0; h < l->n_heads; h++)
			for (int kv = 0; kv < 2; kv++)
				memcpy(pool + (c->blk[t] + h * l->head_stride) *
						      bb +
					       (kv * BT + c->row[t]) * rb,
				       (const char *)c->kv +
					       ((uint64_t)kv * l->n_tokens *
							l->n_heads +
						(uint64_t)t * l->n_heads + h) *
						       rb,
				       rb);
}

static void t_d2h_scatter_cpu(void)
{
	/* k 0-5: small saves, 1-3 heads; 6: 16 requests x 5 heads (every
	 * head in one item once there are 16 runs); 7: one request x 8
	 * heads (a short save of a few runs: items of fewer heads) */
	for (int k = 0; k < 8; k++) {
		gsl_rng *r = rng_new(3000 + k);
		struct d2h_case c;
		unsigned char *want, *got;
		uint64_t items, bb;
		uint32_t n_req = k < 6 ? 1 + k : k == 6 ? 16 : 1;
		uint32_t heads = k < 6 ? 1 + k % 3 : k == 6 ? 5 : 8;

		d2h_case_make(&c, r, n_req, heads, k % 2 ? 64 : 128);
		bb = 2 * BT * c.l.head_dim * 2;
		want = xmalloc(c.pool_blocks * bb);
		got = xmalloc(c.pool_blocks * bb);
		d2h_expect(&c, want);
		memset(got, POISON, c.pool_blocks * bb);
		c.l.pool = got;
		c.l.kv_new = c.kv;
		items = kern_d2h_items(&c.l);
		/* in uneven pieces, as the thread pool would */
		for (uint64_t i = 0; i < items; i += 1 + i % 3)
			kern_d2h_scatter_items(&c.l, c.kv, i,
					       SS_MIN(i + 1 + i % 3, items));
		CHECK(!memcmp(got, want, c.pool_blocks * bb));
		free(want);
		free(got);
		d2h_case_free(&c);
		gsl_rng_free(r);
	}
}

static void t_d2h_pipeline_bitexact(void)
{
	static const uint32_t threads[] = { 1, 3, 8 };
	static const uint32_t stages[] = { 1, 2, 3 };

	need_gpu();
	for (size_t ti = 0; ti < SS_ARRAY_SIZE(threads); ti++)
	for (size_t si = 0; si < SS_ARRAY_SIZE(stages); si++) {
		enum { LAYERS = 5 };
		gsl_rng *r = rng_new(4000 + ti * 10 + si);
		struct d2h_case c[LAYERS];
		unsigned char *pool[LAYERS], *want;
		void *dkv[LAYERS], *st;
		struct kern_d2h *d;
		uint64_t bb = 2 * BT * HD * 2, stage_bytes = 0;

		for (int l = 0; l < LAYERS; l++) {
			d2h_case_make(&c[l], r, 4, 8, HD);
			stage_bytes = SS_MAX(stage_bytes, kern_d2h_bytes(&c[l].l));
		}
		struct kern_d2h_config cfg = { threads[ti], stages[si],
					       stage_bytes };
		KOK(kern_stream_create(&st, &e));
		KOK(kern_d2h_create(&d, &cfg, &e));
		for (int l = 0; l < LAYERS; l++) {
			pool[l] = halloc(c[l].pool_blocks * bb);
			memset(pool[l], POISON, c[l].pool_blocks * bb);
			dkv[l] = upload(c[l].kv, kern_d2h_bytes(&c[l].l));
			c[l].l.kv_new = dkv[l];
			c[l].l.pool = pool[l];
			KOK(kern_d2h_save(d, &c[l].l, st, &e));
		}
		KOK(kern_d2h_wait(d, &e));
		for (int l = 0; l < LAYERS; l++) {
			want = xmalloc(c[l].pool_blocks * bb);
			d2h_expect(&c[l], want);
			CHECK_MSG(!memcmp(pool[l], want, c[l].pool_blocks * bb),
				  "threads %u stages %u layer %d differs",
				  threads[ti], stages[si], l);
			free(want);
			kern_host_free(pool[l]);
			kern_dev_free(dkv[l]);
			d2h_case_free(&c[l]);
		}
		kern_d2h_free(d);
		kern_stream_destroy(st);
		gsl_rng_free(r);
	}
}

static void t_d2h_gpu_scatter_bitexact(void)
{
	static const uint32_t ctas[] = { 1, 8, 132 };

	need_gpu();
	for (size_t ci = 0; ci < SS_ARRAY_SIZE(ctas); ci++) {
		gsl_rng *r = rng_new(5000 + ci);
		struct d2h_case c;
		uint64_t bb = 2 * BT * HD * 2;
		unsigned char *pool, *want;
		void *st;

		d2h_case_make(&c, r, 5, 8, HD);
		pool = halloc(c.pool_blocks * bb);
		want = xmalloc(c.pool_blocks * bb);
		memset(pool, POISON, c.pool_blocks * bb);
		c.l.kv_new = upload(c.kv, kern_d2h_bytes(&c.l));
		c.l.dst_block = upload(c.blk, c.l.n_tokens * sizeof *c.blk);
		c.l.row = upload(c.row, c.l.n_tokens * sizeof *c.row);
		c.l.pool = pool;
		KOK(kern_stream_create(&st, &e));
		KOK(kern_d2h_gpu_scatter(&c.l, ctas[ci], 256, st, &e));
		KOK(kern_stream_sync(st, &e));
		d2h_expect(&c, want);
		CHECK(!memcmp(pool, want, c.pool_blocks * bb));
		kern_dev_free((void *)c.l.kv_new);
		kern_dev_free((void *)c.l.dst_block);
		kern_dev_free((void *)c.l.row);
		kern_stream_destroy(st);
		kern_host_free(pool);
		free(want);
		d2h_case_free(&c);
		gsl_rng_free(r);
	}
}

/* ---- KV append and digests -------------------------------------------- */

static void t_kv_append_digest(void)
{
	need_gpu();
	/* both digests, K/V packed and interleaved per token (the layer's
	 * kv_new [T][2][H][D] through kv_stride) */
	for (int cfg = 0; cfg < 4; cfg++) {
		enum { H = 4, T = 100 };
		const int kind = cfg & 1, inter = cfg >> 1;
		const uint32_t slots = 64;
		gsl_rng *r = rng_new(6000 + (unsigned long)cfg);
		kern_bf16 *kvi;
		uint64_t bb = 2 * BT * HD, slot64[256];
		kern_bf16 *cache = xmalloc(slots * bb * 2), *kn, *vn, *dg;
		uint32_t slot[T * 4], row[T], fill_slot[256], nf = 0;
		uint64_t fill_dig[256];
		void *d_cache, *st;
		double *got, *ref;

		/* 100 tokens = rows 7..31 of one block, then 2 whole blocks
		 * and 11 rows, per head */
		distinct(slot64, H * 4, slots, r);
		kn = xmalloc((size_t)T * H * HD * 2);
		vn = xmalloc((size_t)T * H * HD * 2);
		fill_bf16(kn, (size_t)T * H * HD, r, 3.0);
		fill_bf16(vn, (size_t)T * H * HD, r, 3.0);
		fill_bf16(cache, slots * bb, r, 3.0); /* earlier rows */
		for (uint32_t t = 0; t < T; t++) {
			uint32_t pos = 7 + t;
			row[t] = pos % BT;
			for (uint32_t h = 0; h < H; h++)
				slot[t * H + h] =
					(uint32_t)slot64[h * 4 + pos / BT];
		}
		for (uint32_t h = 0; h < H; h++)
			for (uint32_t b = 0; b < 3; b++) {
				fill_slot[nf] = (uint32_t)slot64[h * 4 + b];
				fill_dig[nf] = 5 + 2 * nf;
				nf++;
			}
		d_cache = upload(cache, slots * bb * 2);
		/* expected cache after the append */
		for (uint32_t t = 0; t < T; t++)
			for (uint32_t h = 0; h < H; h++) {
				kern_bf16 *blk = cache + slot[t * H + h] * bb;
				memcpy(blk + row[t] * HD,
				       kn + ((size_t)t * H + h) * HD, HD * 2);
				memcpy(blk + (BT + row[t]) * HD,
				       vn + ((size_t)t * H + h) * HD, HD * 2);
			}
		kvi = xmalloc((size_t)T * 2 * H * HD * 2);
		for (uint32_t t = 0; t < T; t++) {
			memcpy(kvi + (size_t)t * 2 * H * HD,
			       kn + (size_t)t * H * HD, (size_t)H * HD * 2);
			memcpy(kvi + ((size_t)t * 2 + 1) * H * HD,
			       vn + (size_t)t * H * HD, (size_t)H * HD * 2);
		}
		kern_bf16 *d_kvi = upload(kvi, (size_t)T * 2 * H * HD * 2);
		struct kern_append_args a = {
			.k_new = inter ? d_kvi : upload(kn, (size_t)T * H * HD * 2),
			.v_new = inter ? d_kvi + H * HD
				       : upload(vn, (size_t)T * H * HD * 2),
			.kv_stride = inter ? 2u * H * HD : 0,
			.n_tokens = T, .n_heads = H, .head_dim = HD,
			.cache = d_cache, .slot = upload(slot, sizeof slot),
			.row = upload(row, sizeof row), .n_fill = nf,
			.fill_slot = upload(fill_slot, nf * 4),
			.fill_digest = upload(fill_dig, nf * 8),
			.digest = dalloc((5 + 2 * nf) * 2 * HD * 2),
			.kind = (enum kern_digest_kind)kind,
		};
		KOK(kern_stream_create(&st, &e));
		KOK(kern_memset_async(a.digest, POISON,
				      (5 + 2 * nf) * 2 * HD * 2, st, &e));
		KOK(kern_kv_append(&a, st, &e));
		KOK(kern_stream_sync(st, &e));
		{
			kern_bf16 *c2 = xmalloc(slots * bb * 2);
			KOK(kern_copy(c2, d_cache, slots * bb * 2, &e));
			CHECK(!memcmp(c2, cache, slots * bb * 2));
			free(c2);
		}
		dg = xmalloc((5 + 2 * nf) * 2 * HD * 2);
		KOK(kern_copy(dg, a.digest, (5 + 2 * nf) * 2 * HD * 2, &e));
		got = xmalloc(2 * HD * sizeof *got);
		ref = xmalloc(2 * HD * sizeof *ref);
		for (uint32_t f = 0; f < nf; f++) {
			const kern_bf16 *k = cache + fill_slot[f] * bb;
			for (uint32_t d = 0; d < HD; d++) {
				double lo = INFINITY, hi = -INFINITY, c, rr = 0;
				for (uint32_t t = 0; t < BT; t++) {
					double v = kern_bf16_to_float(
						k[t * HD + d]);
					lo = fmin(lo, v);
					hi = fmax(hi, v);
				}
				if (kind == KERN_DIGEST_CUBOID_MEAN) {
					c = (lo + hi) / 2;
					for (uint32_t t = 0; t < BT; t++)
						rr += fabs(c - kern_bf16_to_float(
								       k[t * HD + d]));
					rr /= BT;
					hi = c + rr;
					lo = c - rr;
				}
				ref[d] = hi;
				ref[HD + d] = lo;
				got[d] = kern_bf16_to_float(
					dg[fill_dig[f] * 2 * HD + d]);
				got[HD + d] = kern_bf16_to_float(
					dg[fill_dig[f] * 2 * HD + HD + d]);
			}
			CHECK_MSG(rel_err(got, ref, 2 * HD) < 1e-2,
				  "kind %d block %u: rel err %g", kind, f,
				  rel_err(got, ref, 2 * HD));
		}
		/* digest rows not named stay poisoned */
		for (uint32_t i = 0; i < 2 * HD; i++)
			CHECK(dg[i] == 0xA5A5);
		kern_stream_destroy(st);
		free(got);
		free(ref);
		free(dg);
		free(kn);
		free(vn);
		free(kvi);
		free(cache);
		gsl_rng_free(r);
	}
}

/* ---- selection ----------------------------------------------------------- */

static double ref_score(const kern_bf16 *q, uint32_t G, const kern_bf16 *dg)
{
	double s = 0;

	for (uint32_t g = 0; g < G; g++)
		for (uint32_t i = 0; i < HD; i++) {
			double qi = kern_bf16_to_float(q[g * HD + i]);
			double u = kern_bf16_to_float(dg[i]);
			double l = kern_bf16_to_float(dg[HD + i]);
			s += fmax(qi * u, qi * l);
		}
	return s;
}

static int cmp_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/*
 * Selection for 5 requests x 2 KV heads of contexts ctx_in (tokens; a
 * third one drawn near 700 when ctx_in[2] is 0) in `maxb` blocks, every
 * GQA group, against the double reference. With `period` > 0 block j's
 * digest repeats block j % period's, so equal scores abound: of two
 * blocks scoring the same, the higher id may only be chosen with the
 * lower.
 */
static void select_case(uint32_t maxb, const uint32_t ctx_in[5],
			uint32_t topk, uint32_t period, unsigned long seed)
{
	static const uint32_t groups[] = { 1, 2, 4, 8 };
	const uint32_t B = 5, Hkv = 2, ns = 2, nw = 2;
	const uint32_t cap = ns + topk + nw;

	need_gpu();
	for (size_t gi = 0; gi < SS_ARRAY_SIZE(groups); gi++) {
		uint32_t G = groups[gi], Hq = Hkv * G;
		gsl_rng *r = rng_new(seed + gi);
		size_t nd = (size_t)B * Hkv * maxb * 2 * HD;
		kern_bf16 *q = xmalloc((size_t)B * Hq * HD * 2);
		kern_bf16 *dg = xmalloc(nd * 2);
		uint32_t ctx[5];
		int32_t *ids = xmalloc((size_t)B * Hkv * cap * 4);
		uint32_t cnt[10];
		double *sc = xmalloc(maxb * sizeof *sc);
		double *sorted = xmalloc(maxb * sizeof *sorted);
		unsigned char *chosen = xmalloc(maxb);
		void *st;

		memcpy(ctx, ctx_in, sizeof ctx);
		if (!ctx[2])
			ctx[2] = 700 + (uint32_t)gsl_rng_uniform_int(r, 31);
		fill_bf16(q, (size_t)B * Hq * HD, r, 1.0);
		fill_bf16(dg, nd, r, 2.0);
		for (size_t row = 0; period && row < (size_t)B * Hkv * maxb;
		     row++) {
			size_t j = row % maxb;

			if (j >= period)
				memcpy(dg + row * 2 * HD,
				       dg + (row - j + j % period) * 2 * HD,
				       2 * HD * sizeof *dg);
		}
		struct kern_select_args a = {
			.q = upload(q, (size_t)B * Hq * HD * 2),
			.digest = upload(dg, nd * 2),
			.ctx_len = upload(ctx, sizeof ctx), .batch = B,
			.n_q_heads = Hq, .n_kv_heads = Hkv, .head_dim = HD,
			.max_blocks = maxb, .topk = topk, .n_sink = ns,
			.n_window = nw,
			.scores = dalloc((size_t)B * Hkv * maxb * 4),
			.out_ids = dalloc((size_t)B * Hkv * cap * 4),
			.out_count = dalloc(B * Hkv * 4),
		};
		KOK(kern_stream_create(&st, &e));
		KOK(kern_memset_async(a.out_ids, POISON, (size_t)B * Hkv * cap * 4,
				      st, &e));
		KOK(kern_memset_async(a.out_count, POISON, B * Hkv * 4, st, &e));
		KOK(kern_select(&a, st, &e));
		KOK(kern_stream_sync(st, &e));
		KOK(kern_copy(ids, a.out_ids, (size_t)B * Hkv * cap * 4, &e));
		KOK(kern_copy(cnt, a.out_count, B * Hkv * 4, &e));
		for (uint32_t b = 0; b < B; b++)
		for (uint32_t h = 0; h < Hkv; h++) {
			uint32_t ntot = (ctx[b] + BT - 1) / BT, full = ctx[b] / BT;
			uint32_t se = SS_MIN(ns, ntot);
			uint32_t ws = SS_MAX(ntot > nw ? ntot - nw : 0, se);
			uint32_t ce = SS_MAX(SS_MIN(ws, full), se);
			uint32_t nc = ce - se, k = SS_MIN(topk, nc);
			const int32_t *o = ids + ((size_t)b * Hkv + h) * cap;
			const kern_bf16 *qq = q + ((size_t)b * Hq + h * G) * HD;
			double kth;

			CHECK_EQ_U64(cnt[b * Hkv + h], se + k + (ntot - ws));
			for (uint32_t i = 0; i < se; i++)
				CHECK_EQ_I64(o[i], i);
			for (uint32_t i = 0; i < ntot - ws; i++)
				CHECK_EQ_I64(o[se + k + i], ws + i);
			for (uint32_t i = se + k + (ntot - ws); i < cap; i++)
				CHECK_EQ_I64(o[i], -1);
			for (uint32_t j = se; j < ce; j++) {
				sc[j - se] = ref_score(
					qq, G,
					dg + (((size_t)b * Hkv + h) * maxb + j) *
						     2 * HD);
				sorted[j - se] = sc[j - se];
			}
			if (!k)
				continue;
			qsort(sorted, nc, sizeof *sorted, cmp_desc);
			kth = sorted[k - 1];
			memset(chosen, 0, maxb);
			for (uint32_t i = 0; i < k; i++) {
				int32_t j = o[se + i];
				CHECK(j >= (int32_t)se && j < (int32_t)ce);
				if (i)
					CHECK(j > o[se + i - 1]);
				/* fp32 vs double: allow a rounding margin */
				CHECK_MSG(sc[j - se] >= kth - 1e-4 * (1 + fabs(kth)),
					  "G %u b %u h %u: block %d scores %g "
					  "< k-th %g",
					  G, b, h, j, sc[j - se], kth);
				chosen[j] = 1;
			}
			/* ties in block-id order */
			for (uint32_t i = 0; i < k; i++) {
				int32_t c = o[se + i];

				for (int32_t j = (int32_t)se; j < c; j++)
					CHECK_MSG(chosen[j] ||
						  sc[j - se] != sc[c - se],
						  "G %u b %u h %u: block %d "
						  "chosen, %d of its score not",
						  G, b, h, c, j);
			}
		}
		kern_dev_free((void *)a.q);
		kern_dev_free((void *)a.digest);
		kern_dev_free((void *)a.ctx_len);
		kern_dev_free(a.scores);
		kern_dev_free(a.out_ids);
		kern_dev_free(a.out_count);
		kern_stream_destroy(st);
		free(q);
		free(dg);
		free(ids);
		free(sc);
		free(sorted);
		free(chosen);
		gsl_rng_free(r);
	}
}

static void t_select_topk(void)
{
	static const uint32_t ctx[5] = { 1, 100, 0, 32 * 200, 32 * 300 };

	select_case(300, ctx, 20, 0, 7000);
}

/* more candidates than one round of 4 per thread takes (4,096): the
 * compaction's runs of 8, for 4,097 and 4,396 of them, and 128k tokens
 * (4,092) beside them */
static void t_select_topk_long(void)
{
	static const uint32_t ctx[5] = { 32 * 4101, 131072, 0,
					 32 * 4399 + 17, 32 * 4400 };

	select_case(4400, ctx, 60, 0, 7100);
}

/* more candidates than the top-k kernel keeps in shared memory (11,776:
 * it reads the scores from global memory every pass), and fewer beside
 * them in the same launch (11,696: the compaction's runs of 12) */
static void t_select_topk_global(void)
{
	static const uint32_t ctx[5] = { 32 * 12100, 32 * 11700, 1,
					 32 * 11800 + 5, 32 * 12400 };

	select_case(12400, ctx, 64, 0, 7200);
}

/*
 * Equal scores: 7 distinct digests, so k = 60 takes some of a score's
 * blocks and leaves others (every radix pass runs, the last one ending
 * on a tie); 1 digest, so all candidates tie (no radix pass at all);
 * and 5 with more than 11,776 candidates (read from global memory).
 */
static void t_select_topk_ties(void)
{
	static const uint32_t ctx[5] = { 32 * 300, 32 * 7 + 3, 0,
					 32 * 150 + 31, 32 * 64 };
	static const uint32_t ctx_long[5] = { 32 * 12100, 32 * 4101, 1,
					      32 * 11800 + 5, 32 * 12400 };

	select_case(300, ctx, 60, 7, 7300);
	select_case(300, ctx, 20, 1, 7400);
	select_case(12400, ctx_long, 64, 5, 7500);
}

/* ---- decode attention ------------------------------------------------- */

/*
 * One decode-attention configuration: B requests x 2 KV heads, lists of up
 * to maxl blocks (contexts of at most `longest` blocks, 0 = maxl),
 * `splits` (0 = automatic), `variant` and `bound` (list_bound); with
 * `empty` the last request has nothing to attend to (dense: ctx 0;
 * sparse: n_list 0), as the live executor passes for unused batch slots.
 */
struct attn_tc {
	int sparse;
	uint32_t G, splits, variant, B, maxl;
	int empty;
	uint32_t bound, longest;
	unsigned long seed;
	int nan_tail; /* NaN in the tokens past the context of each list's
			 last block (where no other list reads that slot) */
	int again;    /* launch a second time on the same workspace, only
			 the output poisoned again (variant 7's flags of
			 the first launch still there) */
};

/*
 * NaN (bf16 0x7FC0) in the K and V rows of the tokens at or past the
 * context in each list's last block, where no other list entry reads that
 * slot: what a reused cache slot's unwritten tail may hold. The kernels
 * mask those tokens' weights to 0 and must not let 0 x NaN through.
 */
static void poison_tails(kern_bf16 *cache, uint32_t slots, const int32_t *sl,
			 const int32_t *bid, const uint32_t *nlist,
			 const uint32_t *ctx, uint32_t B, uint32_t Hkv,
			 uint32_t maxl, int sparse)
{
	uint32_t *uses = calloc(slots, sizeof *uses);

	CHECK(uses != NULL);
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t b = 0; b < B; b++)
			for (uint32_t h = 0; h < Hkv; h++) {
				size_t o = ((size_t)b * Hkv + h) * maxl;
				uint32_t n = sparse ? nlist[b * Hkv + h]
						    : (ctx[b] + BT - 1) / BT;
				uint32_t blk, slot;

				if (!pass) {
					for (uint32_t i = 0; i < n; i++)
						uses[sl[o + i]]++;
					continue;
				}
				if (!n || uses[sl[o + n - 1]] != 1)
					continue;
				slot = (uint32_t)sl[o + n - 1];
				blk = sparse ? (uint32_t)bid[o + n - 1] : n - 1;
				for (uint32_t t = 0; t < BT; t++) {
					kern_bf16 *k = cache + ((size_t)slot * 2 * BT +
								t) * HD;

					if ((uint64_t)blk * BT + t < ctx[b])
						continue;
					for (uint32_t d = 0; d < HD; d++)
						k[d] = k[BT * HD + d] = 0x7FC0;
				}
			}
	free(uses);
}

/*
 * Run *c once against a double-precision reference, with the output and
 * the workspace poisoned before the launch.
 */
static void attn_case(const struct attn_tc *c)
{
	const uint32_t Hkv = 2, Hq = Hkv * c->G, slots = 400, G = c->G;
	const uint32_t B = c->B, maxl = c->maxl;
	const uint32_t longest = c->longest ? c->longest : maxl;
	const int sparse = c->sparse;
	gsl_rng *r = rng_new(c->seed);
	size_t nl = (size_t)B * Hkv * maxl, nout = (size_t)B * Hq * HD;
	kern_bf16 *q = xmalloc(nout * 2);
	kern_bf16 *cache = xmalloc((size_t)slots * 2 * BT * HD * 2);
	kern_bf16 *out = xmalloc(nout * 2);
	int32_t *sl = xmalloc(nl * 4), *bid = xmalloc(nl * 4);
	uint32_t *nlist = xmalloc((size_t)B * Hkv * 4);
	uint32_t *ctx = xmalloc((size_t)B * 4);
	uint64_t perm[400];
	double *got = xmalloc(HD * sizeof *got);
	double *ref = xmalloc(nout * sizeof *ref);
	double *p = xmalloc(maxl * BT * sizeof *p);
	const float scale = 1.0f / sqrtf((float)HD);
	uint32_t ns;
	uint64_t wb;
	void *st;

	/* SS_TEST_TRACE set: each case named on stderr before it runs (a
	 * case that hangs the GPU is then the last one named) */
	if (getenv("SS_TEST_TRACE"))
		fprintf(stderr,
			"# attn_case sparse=%d G=%u splits=%u variant=%u B=%u "
			"maxl=%u empty=%d bound=%u longest=%u nan_tail=%d "
			"again=%d seed=%lu\n",
			sparse, G, c->splits, c->variant, B, maxl, c->empty,
			c->bound, c->longest, c->nan_tail, c->again, c->seed);
	fill_bf16(q, nout, r, 1.0);
	fill_bf16(cache, (size_t)slots * 2 * BT * HD, r, 1.0);
	for (uint32_t b = 0; b < B; b++)
		ctx[b] = 1 + (uint32_t)gsl_rng_uniform_int(r, longest * BT);
	ctx[0] = longest * BT; /* one full list */
	if (c->empty && !sparse)
		ctx[B - 1] = 0;
	for (size_t i = 0; i < nl; i++)
		sl[i] = bid[i] = -7; /* unused entries: never used (the
					kernel may fetch them ahead) */
	for (uint32_t b = 0; b < B; b++)
		for (uint32_t h = 0; h < Hkv; h++) {
			uint32_t nb = (ctx[b] + BT - 1) / BT, n;
			size_t o = ((size_t)b * Hkv + h) * maxl;

			distinct(perm, nb, slots, r);
			if (sparse) {
				uint64_t pick[400];
				/* a random subset of the context's blocks,
				 * ascending, the last (partial) one included */
				n = 1 + (uint32_t)gsl_rng_uniform_int(r, nb);
				distinct(pick, n, nb, r);
				pick[0] = nb - 1;
				for (uint32_t i = 0; i < n; i++)
					for (uint32_t j = i + 1; j < n; j++)
						if (pick[j] < pick[i]) {
							uint64_t t = pick[i];
							pick[i] = pick[j];
							pick[j] = t;
						}
				for (uint32_t i = 0; i < n; i++) {
					bid[o + i] = (int32_t)pick[i];
					sl[o + i] = (int32_t)perm[i];
				}
				nlist[b * Hkv + h] =
					c->empty && b == B - 1 ? 0 : n;
			} else {
				for (uint32_t i = 0; i < nb; i++)
					sl[o + i] = (int32_t)perm[i];
			}
		}
	if (c->nan_tail)
		poison_tails(cache, slots, sl, bid, nlist, ctx, B, Hkv, maxl,
			     sparse);
	for (uint32_t b = 0; b < B; b++)
	for (uint32_t qh = 0; qh < Hq; qh++) {
		uint32_t h = qh / G, nb = (ctx[b] + BT - 1) / BT;
		uint32_t n = sparse ? nlist[b * Hkv + h] : nb, np = 0;
		size_t o = ((size_t)b * Hkv + h) * maxl;
		const kern_bf16 *qv = q + ((size_t)b * Hq + qh) * HD;
		double *rv = ref + ((size_t)b * Hq + qh) * HD;
		double mx = -INFINITY, sum = 0;

		for (uint32_t i = 0; i < n; i++) {
			uint32_t blk = sparse ? (uint32_t)bid[o + i] : i;
			const kern_bf16 *kb = cache + (size_t)sl[o + i] * 2 * BT * HD;
			for (uint32_t t = 0; t < BT; t++, np++) {
				double sc = 0;
				if ((uint64_t)blk * BT + t >= ctx[b]) {
					p[np] = -INFINITY;
					continue;
				}
				for (uint32_t d = 0; d < HD; d++)
					sc += (double)kern_bf16_to_float(qv[d]) *
					      kern_bf16_to_float(kb[t * HD + d]);
				p[np] = sc * scale;
				mx = fmax(mx, p[np]);
			}
		}
		for (uint32_t i = 0; i < np; i++) {
			p[i] = p[i] == -INFINITY ? 0 : exp(p[i] - mx);
			sum += p[i];
		}
		for (uint32_t d = 0; d < HD; d++)
			rv[d] = 0;
		np = 0;
		for (uint32_t i = 0; i < n; i++) {
			uint32_t blk = sparse ? (uint32_t)bid[o + i] : i;
			const kern_bf16 *vb = cache + (size_t)sl[o + i] * 2 * BT * HD +
					      BT * HD;
			for (uint32_t t = 0; t < BT; t++, np++)
				for (uint32_t d = 0; d < HD; d++)
					if ((uint64_t)blk * BT + t < ctx[b])
						rv[d] += p[np] / sum *
							 kern_bf16_to_float(
								 vb[t * HD + d]);
		}
	}
	struct kern_attn_args a = {
		.q = upload(q, nout * 2),
		.cache = upload(cache, (size_t)slots * 2 * BT * HD * 2),
		.slots = upload(sl, nl * 4),
		.block_ids = sparse ? upload(bid, nl * 4) : NULL,
		.n_list = sparse ? upload(nlist, (size_t)B * Hkv * 4) : NULL,
		.ctx_len = upload(ctx, (size_t)B * 4), .batch = B,
		.n_q_heads = Hq, .n_kv_heads = Hkv, .head_dim = HD,
		.max_list = maxl, .list_bound = c->bound, .scale = scale,
		.out = dalloc(nout * 2), .n_splits = c->splits,
		.variant = c->variant,
	};
	KOK(kern_attn_plan(&a, &ns, &wb, &e));
	/* variant 3 within the portable cluster size merges in the cluster:
	 * no workspace (a silent fall-back to the merge kernel would ask) */
	if (c->variant == 3 && ns >= 2 && ns <= 8)
		CHECK_EQ_U64(wb, 0);
	a.work = wb ? dalloc(wb) : NULL; /* one split (variants 2, 3): none */
	a.work_bytes = wb;
	KOK(kern_stream_create(&st, &e));
	if (wb)
		KOK(kern_memset_async(a.work, 0xFF, wb, st, &e)); /* NaN */
	for (int run = 0; run <= c->again; run++) {
		/* again: the records of the first launch NaN, its flags kept, so
		 * that a CTA taking them for this launch's would show in `out` */
		if (run && c->variant == 7 && wb)
			KOK(kern_memset_async(a.work, 0xFF,
					      wb - (uint64_t)B * Hkv * ns * 8, st, &e));
		KOK(kern_memset_async(a.out, 0xFF, nout * 2, st, &e));
		if (sparse)
			KOK(kern_sparse_decode_attn(&a, st, &e));
		else
			KOK(kern_dense_decode_attn(&a, st, &e));
		KOK(kern_stream_sync(st, &e));
		KOK(kern_copy(out, a.out, nout * 2, &e));
		for (uint32_t b = 0; b < B; b++)
		for (uint32_t qh = 0; qh < Hq; qh++) {
			const double *rv = ref + ((size_t)b * Hq + qh) * HD;

			for (uint32_t d = 0; d < HD; d++)
				got[d] = kern_bf16_to_float(
					out[((size_t)b * Hq + qh) * HD + d]);
			CHECK_MSG(rel_err(got, rv, HD) < 1e-2,
				  "%s v%u B %u G %u splits %u (%u used) bound %u "
				  "longest %u b %u qh %u launch %d: rel err %g",
				  sparse ? "sparse" : "dense", c->variant, B, G,
				  c->splits, ns, c->bound, longest, b, qh, run + 1,
				  rel_err(got, rv, HD));
		}
	}
	kern_dev_free((void *)a.q);
	kern_dev_free((void *)a.cache);
	kern_dev_free((void *)a.slots);
	kern_dev_free((void *)a.block_ids);
	kern_dev_free((void *)a.n_list);
	kern_dev_free((void *)a.ctx_len);
	kern_dev_free(a.out);
	kern_dev_free(a.work);
	kern_stream_destroy(st);
	free(q);
	free(cache);
	free(out);
	free(sl);
	free(bid);
	free(nlist);
	free(ctx);
	free(got);
	free(ref);
	free(p);
	gsl_rng_free(r);
}

/* batch 0: nothing to launch, whatever the pointers */
static void attn_batch0(int sparse)
{
	struct kern_attn_args a = { .n_q_heads = 8, .n_kv_heads = 2,
				    .head_dim = HD, .max_list = 40 };
	uint32_t ns;
	uint64_t wb;

	KOK(kern_attn_plan(&a, &ns, &wb, &e));
	CHECK_EQ_U64(wb, 0);
	if (sparse)
		KOK(kern_sparse_decode_attn(&a, NULL, &e));
	else
		KOK(kern_dense_decode_attn(&a, NULL, &e));
}

/*
 * Both variants at every split count listed (0 = the automatic choice:
 * at B = 3 many one-block-per-warp splits), one split (variant 2 writes
 * the output itself), split counts that do not divide the lists, and an
 * empty last request; at B = 64 with 300-entry lists, a large problem
 * (several blocks per warp); lists shorter than list_bound (later splits
 * empty) and longer than it (the split count planned from a bound too
 * low, the lists still read whole); batch 0.
 */
static void t_sparse_decode_attn(void)
{
	static const uint32_t groups[] = { 1, 2, 4, 8 };
	static const uint32_t splits[] = { 0, 1, 3, 10 };

	need_gpu();
	for (uint32_t v = 1; v <= 7; v++)
		for (size_t gi = 0; gi < SS_ARRAY_SIZE(groups); gi++)
			for (size_t si = 0; si < SS_ARRAY_SIZE(splits); si++)
				attn_case(&(struct attn_tc){
					.sparse = 1, .G = groups[gi],
					.splits = splits[si], .variant = v,
					.B = 3, .maxl = 40, .empty = si == 2,
					.again = v == 7,
					.seed = 8000 + v * 100 + gi * 10 + si });
	/* variants 3-6: one cluster per list at its planned size (8 or
	 * 16), at the largest cluster, and past it (the merge kernel);
	 * variants 4 and 5 with more entries per warp than they have stages,
	 * and more than the 32 they fetch ahead (one split of 300); variant
	 * 7 at the same split counts (its flag merge), twice on one
	 * workspace */
	for (uint32_t v = 3; v <= 7; v++)
		for (size_t gi = 0; gi < SS_ARRAY_SIZE(groups); gi++) {
			static const uint32_t cs[] = { 0, 8, 16, 20 };

			for (size_t k = 0; k < SS_ARRAY_SIZE(cs); k++)
				attn_case(&(struct attn_tc){
					.sparse = 1, .G = groups[gi],
					.splits = cs[k], .variant = v, .B = 1,
					.maxl = 80, .empty = 0, .again = v == 7,
					.seed = 8800 + v * 1000 + gi * 10 + k });
			attn_case(&(struct attn_tc){
				.sparse = 1, .G = groups[gi], .variant = v,
				.B = 16, .maxl = 300, .empty = 1, .bound = 40,
				.seed = 8850 + v * 1000 + gi });
			attn_case(&(struct attn_tc){
				.sparse = 1, .G = groups[gi], .variant = v,
				.splits = 1, .B = 3, .maxl = 300, .empty = 1,
				.seed = 8870 + v * 1000 + gi });
		}
	for (size_t gi = 0; gi < SS_ARRAY_SIZE(groups); gi++) {
		attn_case(&(struct attn_tc){
			.sparse = 1, .G = groups[gi], .variant = 2, .B = 64,
			.maxl = 40, .empty = 1, .seed = 8500 + gi });
		/* lists shorter than the bound, the bound below max_list */
		attn_case(&(struct attn_tc){
			.sparse = 1, .G = groups[gi], .variant = 2, .B = 3,
			.maxl = 300, .empty = 1, .bound = 24, .longest = 20,
			.seed = 8600 + gi });
		attn_case(&(struct attn_tc){
			.sparse = 1, .G = groups[gi], .variant = 2, .B = 16,
			.maxl = 300, .bound = 40, .longest = 40,
			.seed = 8610 + gi });
		attn_case(&(struct attn_tc){
			.sparse = 1, .G = groups[gi], .splits = 5,
			.variant = 2, .B = 3, .maxl = 300, .bound = 24,
			.longest = 20, .seed = 8620 + gi });
	}
	/* a large problem (128 lists x 300 entries) */
	attn_case(&(struct attn_tc){ .sparse = 1, .G = 4, .variant = 2,
				     .B = 64, .maxl = 300, .empty = 1,
				     .seed = 8700 });
	/* NaN in the unread tails of the last blocks, every variant and the
	 * automatic choice, sparse and dense */
	for (uint32_t v = 0; v <= 7; v++)
		for (int sp = 0; sp <= 1; sp++)
			attn_case(&(struct attn_tc){ .sparse = sp, .G = 4,
						     .variant = v, .B = 3,
						     .maxl = 40, .nan_tail = 1,
						     .seed = 8950 + v * 2 + sp });
	/* the automatic choice: variant 6 (a cluster), 4 (a CTA's
	 * share of the lists at most 12 blocks, or long), 5 (13-32 blocks)
	 * or 2 (large) */
	for (size_t gi = 0; gi < SS_ARRAY_SIZE(groups); gi++) {
		attn_case(&(struct attn_tc){ .sparse = 1, .G = groups[gi],
					     .B = 1, .maxl = 64,
					     .seed = 8900 + gi });
		attn_case(&(struct attn_tc){ .sparse = 1, .G = groups[gi],
					     .B = 4, .maxl = 300, .bound = 64,
					     .longest = 64, .empty = 1,
					     .seed = 8910 + gi });
		attn_case(&(struct attn_tc){ .sparse = 1, .G = groups[gi],
					     .B = 64, .maxl = 300, .empty = 1,
					     .seed = 8920 + gi });
	}
	attn_batch0(1);
}

static void t_dense_decode_attn(void)
{
	static const uint32_t groups[] = { 1, 4, 8 };
	static const uint32_t splits[] = { 0, 1, 7, 90 };

	need_gpu();
	/* variant 7 holds a list's records in its shared memory: at most
	 * 46 splits of group size 8 (40 in place of 90) */
	for (uint32_t v = 1; v <= 7; v++)
		for (size_t gi = 0; gi < SS_ARRAY_SIZE(groups); gi++)
			for (size_t si = 0; si < SS_ARRAY_SIZE(splits); si++)
				attn_case(&(struct attn_tc){
					.G = groups[gi],
					.splits = v == 7 && splits[si] == 90
							  ? 40
							  : splits[si],
					.variant = v, .B = 3, .maxl = 90,
					.again = v == 7,
					.empty = si == 2,
					.seed = 9000 + v * 100 + gi * 10 + si });
	for (size_t gi = 0; gi < SS_ARRAY_SIZE(groups); gi++)
		attn_case(&(struct attn_tc){
			.G = groups[gi], .variant = 2, .B = 64, .maxl = 90,
			.empty = 1, .seed = 9500 + gi });
	/* long lists, one split */
	attn_case(&(struct attn_tc){ .G = 4, .splits = 1, .variant = 2,
				     .B = 64, .maxl = 90, .seed = 9600 });
	/* list_bound: the split count planned from a bound (the longest
	 * list, or a wrong one below it), the lists still read whole */
	for (size_t gi = 0; gi < SS_ARRAY_SIZE(groups); gi++) {
		attn_case(&(struct attn_tc){
			.G = groups[gi], .variant = 2, .B = 3, .maxl = 300,
			.seed = 9700 + gi });
		attn_case(&(struct attn_tc){
			.G = groups[gi], .variant = 2, .B = 3, .maxl = 300,
			.bound = 12, .seed = 9700 + gi });
		attn_case(&(struct attn_tc){
			.G = groups[gi], .variant = 2, .B = 16, .maxl = 300,
			.empty = 1, .bound = 40, .seed = 9710 + gi });
		/* contexts shorter than the bound */
		attn_case(&(struct attn_tc){
			.G = groups[gi], .variant = 2, .B = 3, .maxl = 300,
			.empty = 1, .bound = 24, .longest = 20,
			.seed = 9730 + gi });
	}
	attn_case(&(struct attn_tc){ .sparse = 1, .G = 4, .variant = 2,
				     .B = 16, .maxl = 300, .bound = 8,
				     .seed = 9720 });
	/* a large problem (128 lists x 300 entries) */
	attn_case(&(struct attn_tc){ .G = 2, .variant = 2, .B = 64,
				     .maxl = 300, .empty = 1, .seed = 9740 });
	attn_batch0(0);
}

/* ---- the ideal read -------------------------------------------------- */

/* kern_hbm_read's sink against the CPU's sum of the 32-bit words, from one
 * vector to several grid-stride rounds */
static void t_hbm_read_sum(void)
{
	static const uint64_t sizes[] = { 16, 4099 * 16, (40ull << 20) + 16 };
	gsl_rng *r = rng_new(9900);

	need_gpu();
	for (size_t k = 0; k < SS_ARRAY_SIZE(sizes); k++) {
		uint64_t n = sizes[k] / 4, want = 0, got = 1;
		uint32_t *h = xmalloc(sizes[k]);
		uint64_t *sink = dalloc(sizeof *sink);
		void *buf;

		for (uint64_t i = 0; i < n; i++) {
			h[i] = (uint32_t)gsl_rng_get(r);
			want += h[i];
		}
		buf = upload(h, sizes[k]);
		KOK(kern_memset_async(sink, 0, sizeof *sink, NULL, &e));
		KOK(kern_hbm_read(buf, sizes[k], sink, NULL, &e));
		KOK(kern_dev_sync(&e));
		KOK(kern_copy(&got, sink, sizeof got, &e));
		CHECK_EQ_U64(got, want);
		kern_dev_free(buf);
		kern_dev_free(sink);
		free(h);
	}
	gsl_rng_free(r);
}

/*
 * kern_hbm_gather's sink against the CPU's sum of the named blocks' words:
 * blocks of 16 bytes to 16 KiB (the KV block), slots in any order with
 * repeats (a block named twice counts twice), past one grid-stride round;
 * a pool's unnamed blocks poisoned so that reading one shows.
 */
static void t_hbm_gather_sum(void)
{
	static const struct {
		uint64_t block_bytes, n_blocks;
	} cs[] = { { 16, 1 }, { 48, 1000 }, { 48, 500000 }, { 16384, 7 },
		   { 16384, 4000 } };
	gsl_rng *r = rng_new(9950);

	need_gpu();
	for (size_t k = 0; k < SS_ARRAY_SIZE(cs); k++) {
		const uint64_t pool = 2 * cs[k].n_blocks + 3;
		const uint64_t words = cs[k].block_bytes / 4;
		uint32_t *h = xmalloc(pool * cs[k].block_bytes);
		int32_t *sl = xmalloc(cs[k].n_blocks * 4);
		uint64_t *sink = dalloc(sizeof *sink);
		uint64_t want = 0, got = 1;
		void *buf, *dsl;

		for (uint64_t i = 0; i < pool * words; i++)
			h[i] = 0xdead0000u | (uint32_t)(i & 0xffff);
		for (uint64_t b = 0; b < cs[k].n_blocks; b++) {
			/* every third block repeats an earlier slot */
			uint64_t s = b % 3 == 2 ? (uint64_t)sl[b - 1]
						: gsl_rng_uniform_int(r, pool);

			sl[b] = (int32_t)s;
			for (uint64_t w = 0; w < words; w++)
				h[s * words + w] = (uint32_t)(s * 7919 + w);
		}
		for (uint64_t b = 0; b < cs[k].n_blocks; b++)
			for (uint64_t w = 0; w < words; w++)
				want += h[(uint64_t)sl[b] * words + w];
		buf = upload(h, pool * cs[k].block_bytes);
		dsl = upload(sl, cs[k].n_blocks * 4);
		KOK(kern_memset_async(sink, 0, sizeof *sink, NULL, &e));
		KOK(kern_hbm_gather(buf, cs[k].block_bytes, dsl,
				    cs[k].n_blocks, sink, NULL, &e));
		KOK(kern_dev_sync(&e));
		KOK(kern_copy(&got, sink, sizeof got, &e));
		CHECK_EQ_U64(got, want);
		kern_dev_free(buf);
		kern_dev_free(dsl);
		kern_dev_free(sink);
		free(h);
		free(sl);
	}
	gsl_rng_free(r);
}

/* ---- bad inputs (CUDA build; no device needed) -------------------------- */

/*
 * The decode attention's split plan (host code; runs in a CUDA build with
 * or without a device, which it then takes for 132 SMs): batch 0 plans
 * without dividing by zero, every plan keeps 1 <= splits <= the list, a
 * list bound caps it, and the small problems measured in session 6 get
 * their split counts (any GPU of at most 256 SMs).
 */
static void t_attn_plan(void)
{
	static const struct {
		uint32_t batch, q, kv, list, bound;
	} cs[] = {
		{ 0, 32, 8, 64, 0 },      { 1, 32, 8, 1024, 0 },
		{ 16, 32, 8, 64, 0 },     { 1, 32, 8, 64, 0 },
		{ 4, 32, 32, 64, 0 },     { 64, 32, 32, 64, 0 },
		{ 3, 32, 8, 4096, 100 },  { 1, 32, 32, 4096, 7 },
		{ 200, 64, 8, 2048, 0 },
	};
	struct kern_attn_args a;
	uint32_t splits;
	uint64_t wb;

	need_cuda_build();
	for (size_t i = 0; i < SS_ARRAY_SIZE(cs); i++) {
		memset(&a, 0, sizeof a);
		a.batch = cs[i].batch;
		a.n_q_heads = cs[i].q;
		a.n_kv_heads = cs[i].kv;
		a.head_dim = HD;
		a.max_list = cs[i].list;
		a.list_bound = cs[i].bound;
		KOK(kern_attn_plan(&a, &splits, &wb, &e));
		CHECK(splits >= 1 && splits <= cs[i].list);
		if (cs[i].bound)
			CHECK(splits <= (cs[i].bound + 3) / 4);
		CHECK(wb == 0 || wb == (uint64_t)cs[i].batch * cs[i].kv *
					       splits * (cs[i].q / cs[i].kv) *
					       132 * sizeof(float));
	}
	/* variant 2: dense Llama-3-8B, 32k, batch 1: 32 splits; sparse 2,048
	 * tokens at batch 16: 2 */
	memset(&a, 0, sizeof a);
	a.batch = 1;
	a.n_q_heads = 32;
	a.n_kv_heads = 8;
	a.head_dim = HD;
	a.max_list = 1024;
	a.variant = 2;
	KOK(kern_attn_plan(&a, &splits, &wb, &e));
	CHECK_EQ_U64(splits, 32);
	a.batch = 16;
	a.max_list = 64;
	KOK(kern_attn_plan(&a, &splits, &wb, &e));
	CHECK_EQ_U64(splits, 2);
	/* the automatic choice plans as variant 6 for a small problem on
	 * sm_90 (sparse Llama-3-8B batch 1: 8 lists of 64, 8 splits of 8
	 * blocks in clusters of 8), as variant 2 for a large one (batch 64:
	 * 512 lists of 64); without a device (or below sm_90), as variant 2
	 * for both */
	struct kern_dev_info info;
	struct ss_err e2;
	int sm90 = !kern_dev_probe(&info, &e2) && info.cc_major >= 9;

	for (int big = 0; big <= 1; big++) {
		uint32_t s0, s1;
		uint64_t w0, w1;

		a.batch = big ? 64 : 1;
		a.variant = 0;
		KOK(kern_attn_plan(&a, &s0, &w0, &e));
		a.variant = big || !sm90 ? 2 : 6;
		KOK(kern_attn_plan(&a, &s1, &w1, &e));
		CHECK_EQ_U64(s0, s1);
		CHECK_EQ_U64(w0, w1);
		if (!big && sm90 && info.cc_major == 9 &&
		    info.sm_count == 132) /* H200: 8 */
			CHECK_EQ_U64(s0, 8);
	}
	/* variants 3-7 asked for where there are no clusters: refused,
	 * naming the field */
	for (uint32_t v = 3; v <= 7 && !sm90; v++) {
		a.variant = v;
		CHECK_EQ_I64(kern_attn_plan(&a, &splits, &wb, &e), SS_EINVAL);
		CHECK_STR_CONTAINS(e.msg, "'variant'");
	}
	/* variant 7: one wave of CTAs (Llama-3-8B batch 1: 16 splits of
	 * 8 lists on 132 SMs), its flags in the workspace; more splits than
	 * its shared memory merges refused when asked for, and the automatic
	 * count held to them (two lists of 1,024 blocks, group size 8: 46) */
	if (sm90) {
		uint64_t want = SS_MIN(16, (uint64_t)info.sm_count / 8);

		a.batch = 1;
		a.variant = 7;
		KOK(kern_attn_plan(&a, &splits, &wb, &e));
		CHECK_EQ_U64(splits, want);
		CHECK_EQ_U64(wb, 8ull * want * (4 * 132 * sizeof(float) + 8));
		a.max_list = 1024;
		a.n_splits = 100; /* 100 x 4 x 528 B > 192 KiB (93 fit) */
		CHECK_EQ_I64(kern_attn_plan(&a, &splits, &wb, &e), SS_EINVAL);
		CHECK_STR_CONTAINS(e.msg, "variant 7 merges at most 93 splits");
		a.n_splits = 0;
		a.n_q_heads = 16; /* 2 lists of group size 8: 66 splits */
		a.n_kv_heads = 2;
		KOK(kern_attn_plan(&a, &splits, &wb, &e));
		CHECK_EQ_U64(splits, SS_MIN(46, (uint64_t)info.sm_count / 2));
		a.n_q_heads = 32;
		a.n_kv_heads = 8;
	}
}

static void t_bad_inputs(void)
{
	int x;
	struct kern_h2d_args h = { .src_base = &x, .dst_base = &x,
				   .block_bytes = 20, .src_index = (void *)&x,
				   .dst_index = (void *)&x, .n_blocks = 1 };
	struct kern_blocks_copy c = { .dst_base = &x, .src_base = &x,
				      .block_bytes = 0 };
	struct kern_d2h_layer l = { .n_tokens = 1, .n_heads = 1,
				    .head_dim = 12, .block_tokens = 32 };
	struct kern_d2h_config dc = { .n_threads = 0, .n_stages = 2,
				      .stage_bytes = 1 };
	struct kern_d2h *d;
	struct kern_append_args ap = { .n_heads = 1, .head_dim = 128,
				       .kind = (enum kern_digest_kind)7 };
	struct kern_select_args sa = { .batch = 1, .n_q_heads = 12,
				       .n_kv_heads = 8, .head_dim = 128,
				       .max_blocks = 4 };
	/* variant 2: its split launch validates the workspace (the
	 * automatic choice would take a cluster kernel here, no workspace) */
	struct kern_attn_args at = { .batch = 1, .n_q_heads = 8,
				     .n_kv_heads = 8, .head_dim = 64,
				     .max_list = 4, .variant = 2 };
	struct kern_batch_ws *ws;

	/* the plain-C checks run in every build */
	CHECK_EQ_I64(kern_d2h_check(&l, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'head_dim'");
	CHECK_EQ_I64(kern_d2h_create(&d, &dc, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'n_threads'");
	dc.n_threads = 2;
	dc.n_stages = 17;
	CHECK_EQ_I64(kern_d2h_create(&d, &dc, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'n_stages'");

	need_cuda_build();
	CHECK_EQ_I64(kern_flash_h2d(&h, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'block_bytes'");
	h.block_bytes = 32;
	h.threads = 100;
	CHECK_EQ_I64(kern_flash_h2d(&h, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'threads'");
	h.threads = 1024;
	CHECK_EQ_I64(kern_flash_h2d(&h, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "64..512");
	h.threads = 0;
	h.src_index = NULL;
	CHECK_EQ_I64(kern_flash_h2d(&h, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "NULL");
	CHECK_EQ_I64(kern_memcpy_blocks(&c, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'block_bytes'");
	KOK(kern_batch_ws_alloc(&ws, 2, &e));
	c.block_bytes = 16;
	c.n_blocks = 3;
	c.src_index = c.dst_index = (const uint64_t *)&x;
	CHECK_EQ_I64(kern_memcpy_batch_blocks(&c, ws, (void *)&x, &e),
		     SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'n_blocks'");
	c.n_blocks = 1;
	CHECK_EQ_I64(kern_memcpy_batch_blocks(&c, ws, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "default stream");
	kern_batch_ws_free(ws);
	CHECK_EQ_I64(kern_d2h_gpu_scatter(&l, 0, 0, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'head_dim'");
	CHECK_EQ_I64(kern_kv_append(&ap, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'kind'");
	ap.kind = KERN_DIGEST_QUEST;
	ap.head_dim = 100;
	CHECK_EQ_I64(kern_kv_append(&ap, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'head_dim'");
	CHECK_EQ_I64(kern_select(&sa, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'n_q_heads'");
	sa.n_q_heads = 8 * 16;
	CHECK_EQ_I64(kern_select(&sa, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "group size");
	sa.n_q_heads = 32;
	CHECK_EQ_I64(kern_select(&sa, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "NULL");
	CHECK_EQ_I64(kern_sparse_decode_attn(&at, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'head_dim'");
	at.head_dim = 128;
	at.n_splits = 5;
	CHECK_EQ_I64(kern_dense_decode_attn(&at, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'n_splits'");
	at.n_splits = 2;
	at.q = at.cache = (const kern_bf16 *)&x;
	at.slots = (const int32_t *)&x;
	at.ctx_len = (const uint32_t *)&x;
	at.out = (kern_bf16 *)&x;
	at.work = (float *)&x;
	at.work_bytes = 8;
	CHECK_EQ_I64(kern_sparse_decode_attn(&at, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'block_ids'");
	CHECK_EQ_I64(kern_dense_decode_attn(&at, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'work_bytes'");
	{
		/* enough bytes, but the merge's 16-byte loads need alignment
		 * (refused before anything is launched) */
		static float wbuf[8] __attribute__((aligned(16)));

		at.work = wbuf + 1;
		at.work_bytes = 1ull << 30;
		CHECK_EQ_I64(kern_dense_decode_attn(&at, NULL, &e), SS_EINVAL);
		CHECK_STR_CONTAINS(e.msg, "'work'");
		CHECK_STR_CONTAINS(e.msg, "aligned");
		at.work = (float *)&x;
		at.work_bytes = 8;
	}
	at.variant = 8;
	CHECK_EQ_I64(kern_dense_decode_attn(&at, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'variant'");
	CHECK_EQ_I64(kern_l2_sweep(NULL, 1 << 20, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'buf'");
	{
		static uint64_t rbuf[4] __attribute__((aligned(16)));

		CHECK_EQ_I64(kern_hbm_read(NULL, 16, rbuf, NULL, &e),
			     SS_EINVAL);
		CHECK_STR_CONTAINS(e.msg, "'buf'");
		CHECK_EQ_I64(kern_hbm_read(rbuf, 16, NULL, NULL, &e),
			     SS_EINVAL);
		CHECK_STR_CONTAINS(e.msg, "'sink'");
		CHECK_EQ_I64(kern_hbm_read(rbuf, 24, rbuf, NULL, &e),
			     SS_EINVAL);
		CHECK_STR_CONTAINS(e.msg, "'bytes'");
		CHECK_EQ_I64(kern_hbm_gather(rbuf, 16, NULL, 1, rbuf, NULL,
					     &e),
			     SS_EINVAL);
		CHECK_STR_CONTAINS(e.msg, "'slots'");
		CHECK_EQ_I64(kern_hbm_gather(rbuf, 24, (int32_t *)rbuf, 1,
					     rbuf, NULL, &e),
			     SS_EINVAL);
		CHECK_STR_CONTAINS(e.msg, "'block_bytes'");
		CHECK_EQ_I64(kern_hbm_gather(rbuf, 16, (int32_t *)rbuf, 0,
					     rbuf, NULL, &e),
			     SS_EINVAL);
		CHECK_STR_CONTAINS(e.msg, "'n_blocks'");
		CHECK_EQ_I64(kern_hbm_gather(rbuf, 16, (int32_t *)rbuf,
					     UINT64_MAX / 2, rbuf, NULL, &e),
			     SS_EINVAL);
		CHECK_STR_CONTAINS(e.msg, "'n_blocks'");
		CHECK_EQ_I64(kern_hbm_gather((char *)rbuf + 4, 16,
					     (int32_t *)rbuf, 1, rbuf, NULL,
					     &e),
			     SS_EINVAL);
		CHECK_STR_CONTAINS(e.msg, "'base'");
	}
}

static const struct th_case cases[] = {
	TH_CASE(t_bad_inputs),
	TH_CASE(t_attn_plan),
	TH_CASE(t_d2h_scatter_cpu),
	TH_CASE(t_flash_h2d_bitexact),
	TH_CASE(t_memcpy_baselines_bitexact),
	TH_CASE(t_d2h_pipeline_bitexact),
	TH_CASE(t_d2h_gpu_scatter_bitexact),
	TH_CASE(t_kv_append_digest),
	TH_CASE(t_select_topk),
	TH_CASE(t_select_topk_long),
	TH_CASE(t_select_topk_global),
	TH_CASE(t_select_topk_ties),
	TH_CASE(t_sparse_decode_attn),
	TH_CASE(t_dense_decode_attn),
	TH_CASE(t_hbm_read_sum),
	TH_CASE(t_hbm_gather_sum),
	{ 0 },
};

int main(int argc, char **argv) { return th_main(argc, argv, cases); }
