/*
 * flash_d2h.c - the CPU half of FlashD2H: the scatter of a staged layer
 * into per-head pool blocks, and the thread pool that pipelines it behind
 * the bulk copies (see flash_d2h.h).
 *
 * Ring protocol: stage s holds one layer from kern_d2h_save() until its
 * last item is scattered. Workers always serve the oldest stage that has
 * unclaimed items, claim items in grains under the lock, wait (once per
 * worker and stage use) for the stage's copy event, and scatter without
 * the lock. The last finisher frees the stage. All state is in struct
 * kern_d2h; no globals.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "flash_d2h.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "banned.h"

struct d2h_stage {
	void *buf;                 /* pinned staging buffer, stage_bytes */
	void *ev;                  /* copy-done event */
	struct kern_d2h_layer job; /* the layer being scattered */
	int busy;                  /* holds a layer not fully scattered */
	uint64_t seq;              /* submission number */
	uint64_t n_items, next_item, done_items;
};

struct kern_d2h {
	struct kern_d2h_config cfg;
	pthread_t *threads;
	uint32_t n_started;
	pthread_mutex_t mu;
	pthread_cond_t cv_work; /* a stage got work, or stop */
	pthread_cond_t cv_free; /* a stage finished */
	struct d2h_stage *st;   /* [n_stages] */
	uint64_t submitted;     /* saves queued so far */
	int stop;
	struct ss_err thread_err; /* first error a worker met; code 0 = none */
};

/*
 * Row copies into the pool use non-temporal (streaming) stores where the
 * CPU has them: the pool is written once and next read by the GPU over
 * PCIe, so bypassing the cache skips the read-for-ownership of every
 * destination line and a third of the scatter's host memory traffic. The
 * choice is made once, here, for the whole file.
 */
#if defined(__SSE2__)
static void copy_row(void *dst, const void *src, uint64_t bytes)
{
	__m128i *d = dst;
	const __m128i *s = src;
	uint64_t n = bytes / 16, i = 0;

	if (((uintptr_t)dst | (uintptr_t)src | bytes) & 15) {
		memcpy(dst, src, bytes);
		return;
	}
	for (; i + 4 <= n; i += 4) {
		__m128i a = _mm_load_si128(s + i), b = _mm_load_si128(s + i + 1);
		__m128i c = _mm_load_si128(s + i + 2), e = _mm_load_si128(s + i + 3);
		_mm_stream_si128(d + i, a);
		_mm_stream_si128(d + i + 1, b);
		_mm_stream_si128(d + i + 2, c);
		_mm_stream_si128(d + i + 3, e);
	}
	for (; i < n; i++)
		_mm_stream_si128(d + i, _mm_load_si128(s + i));
}

/* Make streaming stores visible before the work is reported done. */
static void copy_fence(void) { _mm_sfence(); }
#else
static void copy_row(void *dst, const void *src, uint64_t bytes)
{
	memcpy(dst, src, bytes);
}

static void copy_fence(void) {}
#endif

int kern_d2h_check(const struct kern_d2h_layer *l, struct ss_err *err)
{
	if (!l->n_heads)
		return ss_error(err, SS_EINVAL, "d2h: field 'n_heads' is 0");
	if (!l->head_dim || l->head_dim % 8)
		return ss_error(err, SS_EINVAL,
				"d2h: field 'head_dim': %u is not a positive "
				"multiple of 8",
				l->head_dim);
	if (!l->block_tokens)
		return ss_error(err, SS_EINVAL,
				"d2h: field 'block_tokens' is 0");
	if (l->n_tokens && (!l->kv_new || !l->pool || !l->dst_block ||
			    !l->row))
		return ss_error(err, SS_EINVAL,
				"d2h: a pointer field is NULL (kv_new, pool, "
				"dst_block, row)");
	return 0;
}

/*
 * Heads per work item: all of them once a layer has D2H_GROUP_RUNS runs
 * or more, so a thread reads the staging copy sequentially (token-major:
 * a token's rows of every head lie side by side); fewer for short saves,
 * so that even one run still splits into several items for the pool.
 * Reading one head's rows at a stride of n_heads rows instead ran 2.3x
 * slower per thread (8 heads, 4,096 tokens; a 2-core Xeon, where the
 * strided reads defeat the prefetcher).
 */
#define D2H_GROUP_RUNS 16

static uint32_t d2h_heads_per_item(const struct kern_d2h_layer *l,
				   uint64_t runs)
{
	uint64_t groups = (D2H_GROUP_RUNS + runs - 1) / SS_MAX(runs, 1);

	groups = SS_MIN(SS_MAX(groups, 1), l->n_heads);
	return (uint32_t)((l->n_heads + groups - 1) / groups);
}

uint64_t kern_d2h_items(const struct kern_d2h_layer *l)
{
	uint64_t runs;
	uint32_t hg;

	if (!l->n_heads || !l->block_tokens)
		return 0; /* kern_d2h_check refuses these */
	runs = (l->n_tokens + l->block_tokens - 1) / l->block_tokens;
	hg = d2h_heads_per_item(l, runs);

	return runs * ((l->n_heads + hg - 1) / hg);
}

void kern_d2h_scatter_items(const struct kern_d2h_layer *l,
			    const void *staging, uint64_t item0,
			    uint64_t item1)
{
	const uint64_t row_bytes = (uint64_t)l->head_dim * sizeof(kern_bf16);
	const uint64_t blk_bytes = 2 * l->block_tokens * row_bytes;
	const uint64_t v_off = (uint64_t)l->n_tokens * l->n_heads * row_bytes;
	const uint64_t runs = (l->n_tokens + l->block_tokens - 1) /
			      l->block_tokens;
	const uint32_t hg = d2h_heads_per_item(l, runs);
	const uint64_t groups = (l->n_heads + hg - 1) / hg;
	const char *src = staging;
	char *pool = l->pool;

	for (uint64_t it = item0; it < item1; it++) {
		uint32_t h0 = (uint32_t)(it % groups) * hg;
		uint32_t h1 = SS_MIN(h0 + hg, l->n_heads);
		uint64_t t0 = (it / groups) * l->block_tokens;
		uint64_t t1 = SS_MIN(t0 + l->block_tokens, l->n_tokens);

		for (uint64_t t = t0; t < t1; t++) {
			const char *k = src + (t * l->n_heads + h0) * row_bytes;
			char *blk0 = pool + l->dst_block[t] * blk_bytes +
				     (uint64_t)l->row[t] * row_bytes;

			for (uint32_t h = h0; h < h1; h++, k += row_bytes) {
				char *krow = blk0 + h * l->head_stride *
							    blk_bytes;

				copy_row(krow, k, row_bytes);
				copy_row(krow + l->block_tokens * row_bytes,
					 k + v_off, row_bytes);
			}
		}
	}
	copy_fence();
}

/* The oldest stage with unclaimed items, or NULL. Called locked. */
static struct d2h_stage *oldest_with_work(struct kern_d2h *d)
{
	struct d2h_stage *best = NULL;

	for (uint32_t s = 0; s < d->cfg.n_stages; s++) {
		struct d2h_stage *st = &d->st[s];
		if (st->busy && st->next_item < st->n_items &&
		    (!best || st->seq < best->seq))
			best = st;
	}
	return best;
}

static void *worker(void *arg)
{
	struct kern_d2h *d = arg;
	struct d2h_stage *synced = NULL;
	uint64_t synced_seq = 0;

	pthread_mutex_lock(&d->mu);
	for (;;) {
		struct d2h_stage *st = oldest_with_work(d);
		uint64_t i0, i1, grain;
		struct ss_err e;
		int rc = 0;

		if (!st) {
			if (d->stop)
				break;
			pthread_cond_wait(&d->cv_work, &d->mu);
			continue;
		}
		grain = st->n_items / ((uint64_t)d->cfg.n_threads * 8);
		grain = SS_MAX(grain, 1);
		i0 = st->next_item;
		i1 = SS_MIN(i0 + grain, st->n_items);
		st->next_item = i1;
		pthread_mutex_unlock(&d->mu);

		if (synced != st || synced_seq != st->seq) {
			rc = kern_event_sync(st->ev, &e);
			synced = st;
			synced_seq = st->seq;
		}
		if (!rc)
			kern_d2h_scatter_items(&st->job, st->buf, i0, i1);

		pthread_mutex_lock(&d->mu);
		if (rc && !d->thread_err.code)
			d->thread_err = e;
		st->done_items += i1 - i0;
		if (st->done_items == st->n_items) {
			st->busy = 0;
			pthread_cond_broadcast(&d->cv_free);
		}
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

int kern_d2h_create(struct kern_d2h **out, const struct kern_d2h_config *cfg,
		    struct ss_err *err)
{
	struct kern_d2h *d;
	int rc;

	*out = NULL;
	if (cfg->n_threads < 1 || cfg->n_threads > 64)
		return ss_error(err, SS_EINVAL,
				"d2h: field 'n_threads': %u not in 1..64",
				cfg->n_threads);
	if (cfg->n_stages < 1 || cfg->n_stages > 16)
		return ss_error(err, SS_EINVAL,
				"d2h: field 'n_stages': %u not in 1..16",
				cfg->n_stages);
	if (!cfg->stage_bytes)
		return ss_error(err, SS_EINVAL,
				"d2h: field 'stage_bytes' is 0");
	d = calloc(1, sizeof *d);
	if (!d)
		return ss_error(err, SS_ENOMEM, "d2h: out of host memory");
	d->cfg = *cfg;
	d->st = calloc(cfg->n_stages, sizeof *d->st);
	d->threads = calloc(cfg->n_threads, sizeof *d->threads);
	if (!d->st || !d->threads) {
		rc = ss_error(err, SS_ENOMEM, "d2h: out of host memory");
		goto out_free;
	}
	for (uint32_t s = 0; s < cfg->n_stages; s++) {
		rc = kern_host_alloc(&d->st[s].buf, cfg->stage_bytes, err);
		if (!rc)
			rc = kern_event_create(&d->st[s].ev, err);
		if (rc)
			goto out_free_stages;
	}
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv_work, NULL);
	pthread_cond_init(&d->cv_free, NULL);
	for (; d->n_started < cfg->n_threads; d->n_started++)
		if (pthread_create(&d->threads[d->n_started], NULL, worker,
				   d)) {
			rc = ss_error(err, SS_ENOMEM,
				      "d2h: cannot start thread %u",
				      d->n_started);
			kern_d2h_free(d);
			return rc;
		}
	*out = d;
	return 0;

out_free_stages:
	for (uint32_t s = 0; s < cfg->n_stages; s++) {
		kern_host_free(d->st[s].buf);
		kern_event_destroy(d->st[s].ev);
	}
out_free:
	free(d->st);
	free(d->threads);
	free(d);
	return rc;
}

void kern_d2h_free(struct kern_d2h *d)
{
	if (!d)
		return;
	kern_d2h_wait(d, NULL);
	pthread_mutex_lock(&d->mu);
	d->stop = 1;
	pthread_cond_broadcast(&d->cv_work);
	pthread_mutex_unlock(&d->mu);
	for (uint32_t i = 0; i < d->n_started; i++)
		pthread_join(d->threads[i], NULL);
	for (uint32_t s = 0; s < d->cfg.n_stages; s++) {
		kern_host_free(d->st[s].buf);
		kern_event_destroy(d->st[s].ev);
	}
	pthread_cond_destroy(&d->cv_work);
	pthread_cond_destroy(&d->cv_free);
	pthread_mutex_destroy(&d->mu);
	free(d->st);
	free(d->threads);
	free(d);
}

int kern_d2h_save(struct kern_d2h *d, const struct kern_d2h_layer *l,
		  void *stream, struct ss_err *err)
{
	uint64_t bytes = kern_d2h_bytes(l);
	struct d2h_stage *st;
	int rc = kern_d2h_check(l, err);

	if (rc)
		return rc;
	if (bytes > d->cfg.stage_bytes)
		return ss_error(err, SS_EINVAL,
				"d2h: layer of %llu bytes exceeds the staging "
				"buffer's %llu (field 'stage_bytes')",
				(unsigned long long)bytes,
				(unsigned long long)d->cfg.stage_bytes);
	if (!l->n_tokens)
		return 0;
	pthread_mutex_lock(&d->mu);
	st = &d->st[d->submitted % d->cfg.n_stages];
	while (st->busy)
		pthread_cond_wait(&d->cv_free, &d->mu);
	pthread_mutex_unlock(&d->mu);

	rc = kern_copy_async(st->buf, l->kv_new, bytes, stream, err);
	if (!rc)
		rc = kern_event_record(st->ev, stream, err);
	if (rc)
		return rc;

	pthread_mutex_lock(&d->mu);
	st->job = *l;
	st->n_items = kern_d2h_items(l);
	st->next_item = 0;
	st->done_items = 0;
	st->seq = d->submitted++;
	st->busy = 1;
	pthread_cond_broadcast(&d->cv_work);
	pthread_mutex_unlock(&d->mu);
	return 0;
}

int kern_d2h_wait(struct kern_d2h *d, struct ss_err *err)
{
	int rc = 0;

	pthread_mutex_lock(&d->mu);
	for (uint32_t s = 0; s < d->cfg.n_stages; s++)
		while (d->st[s].busy)
			pthread_cond_wait(&d->cv_free, &d->mu);
	if (d->thread_err.code) {
		rc = d->thread_err.code;
		if (err)
			*err = d->thread_err;
		d->thread_err.code = 0;
	}
	pthread_mutex_unlock(&d->mu);
	return rc;
}
