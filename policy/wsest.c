/*
 * wsest.c - incremental union-of-last-w-selections (see wsest.h).
 */
#include "wsest.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define WS_SEL 0x80000000u /* selected at the latest step */
#define WS_LOW 0x7fffffffu /* 1 + last selected step; 0 = out / never */

struct ws_bucket {
	uint32_t *idx; /* block-head indices whose last selection is step t */
	size_t n, alloc;
};

struct ws_req {
	uint32_t nblk;          /* blocks per (layer, head) */
	uint32_t *mark;         /* [layers][heads][nblk] */
	struct ws_bucket *ring; /* [window + 1], bucket of step t at t % (w+1) */
	int64_t step;           /* latest step recorded, -1 = none */
	uint64_t in_union;      /* block-heads in the union */
	uint64_t selected;      /* block-heads selected at the latest step */
	int live;
};

struct ws_est {
	struct kv_shape shape;
	uint32_t window;
	uint64_t block_bytes;
	struct ws_req *reqs; /* indexed by the caller's request id */
	size_t nreqs;        /* allocated entries */
};

struct ws_est *ws_alloc(const struct ws_config *cfg, struct ss_err *err)
{
	struct ws_est *ws;

	if (kv_shape_check(&cfg->shape, err))
		return NULL;
	if (!cfg->window || cfg->window > 1000000) {
		ss_error(err, SS_EINVAL,
			 "working set: field 'window' = %u: must be 1..1000000 steps",
			 cfg->window);
		return NULL;
	}
	ws = calloc(1, sizeof(*ws));
	if (!ws) {
		ss_error(err, SS_ENOMEM, "working set: out of memory");
		return NULL;
	}
	ws->shape = cfg->shape;
	ws->window = cfg->window;
	ws->block_bytes = kv_block_bytes(&cfg->shape);
	return ws;
}

static void req_release(struct ws_est *ws, struct ws_req *r)
{
	uint32_t k;

	if (r->ring)
		for (k = 0; k <= ws->window; k++)
			free(r->ring[k].idx);
	free(r->ring);
	free(r->mark);
	memset(r, 0, sizeof(*r));
}

void ws_free(struct ws_est *ws)
{
	size_t i;

	if (!ws)
		return;
	for (i = 0; i < ws->nreqs; i++)
		req_release(ws, &ws->reqs[i]);
	free(ws->reqs);
	free(ws);
}

int ws_req_add(struct ws_est *ws, int32_t req, uint64_t max_tokens,
	       struct ss_err *err)
{
	struct ws_req *r;
	size_t n, old = ws->nreqs;

	if (req < 0)
		return ss_error(err, SS_EINVAL, "ws_req_add: request id %d",
				req);
	if (!max_tokens || max_tokens > INT32_MAX)
		return ss_error(err, SS_EINVAL,
				"ws_req_add: request %d: max_tokens = %llu: must be 1..%d",
				req, (unsigned long long)max_tokens, INT32_MAX);
	if ((size_t)req >= ws->nreqs) {
		int rc = ss_grow((void **)&ws->reqs, &ws->nreqs,
				 (size_t)req + 1, sizeof(*ws->reqs), err);
		if (rc)
			return rc;
		memset(ws->reqs + old, 0, (ws->nreqs - old) * sizeof(*ws->reqs));
	}
	r = &ws->reqs[req];
	if (r->live)
		return ss_error(err, SS_EINVAL,
				"ws_req_add: request %d is already tracked", req);
	r->nblk = (uint32_t)((max_tokens + ws->shape.block_tokens - 1) /
			     ws->shape.block_tokens);
	n = (size_t)ws->shape.layers * ws->shape.kv_heads * r->nblk;
	r->mark = calloc(n, sizeof(*r->mark));
	r->ring = calloc((size_t)ws->window + 1, sizeof(*r->ring));
	if (!r->mark || !r->ring) {
		req_release(ws, r);
		return ss_error(err, SS_ENOMEM,
				"ws_req_add: request %d: out of memory for %zu block-heads",
				req, n);
	}
	r->step = -1;
	r->live = 1;
	return 0;
}

void ws_req_free(struct ws_est *ws, int32_t req)
{
	if (req >= 0 && (size_t)req < ws->nreqs && ws->reqs[req].live)
		req_release(ws, &ws->reqs[req]);
}

static struct ws_bucket *bucket(const struct ws_est *ws,
				const struct ws_req *r, int64_t t)
{
	return &r->ring[(uint64_t)t % (ws->window + 1)];
}

/* Age the window from r->step to s: drop entries last selected at a step
 * that falls out of [s - w + 1, s]. */
static void advance(struct ws_est *ws, struct ws_req *r, int64_t s)
{
	int64_t w = ws->window, t, lo, hi;
	size_t k;

	if (r->step >= 0) {
		lo = SS_MAX(r->step - w + 1, 0);
		hi = SS_MIN(s - w, r->step - 1);
		for (t = lo; t <= hi; t++) {
			struct ws_bucket *b = bucket(ws, r, t);

			for (k = 0; k < b->n; k++) {
				uint32_t *m = &r->mark[b->idx[k]];

				if (!(*m & WS_SEL) && (*m & WS_LOW) == t + 1) {
					*m = 0;
					r->in_union--;
				}
			}
			b->n = 0;
		}
	}
	r->step = s;
}

int ws_update(struct ws_est *ws, int32_t req, uint64_t step, uint32_t layer,
	      uint32_t head, const uint32_t *added, uint32_t nadded,
	      const uint32_t *removed, uint32_t nremoved, struct ss_err *err)
{
	struct ws_req *r;
	int64_t s = (int64_t)step, w = ws->window;
	size_t base;
	uint32_t k;

	if (req < 0 || (size_t)req >= ws->nreqs || !ws->reqs[req].live)
		return ss_error(err, SS_EINVAL,
				"ws_update: request %d is not tracked", req);
	r = &ws->reqs[req];
	if (step >= WS_LOW - 1 || s < r->step)
		return ss_error(err, SS_EINVAL,
				"ws_update: request %d: step %llu after step %lld",
				req, (unsigned long long)step,
				(long long)r->step);
	if (layer >= ws->shape.layers || head >= ws->shape.kv_heads)
		return ss_error(err, SS_EINVAL,
				"ws_update: request %d: layer %u head %u outside %u x %u",
				req, layer, head, ws->shape.layers,
				ws->shape.kv_heads);
	base = ((size_t)layer * ws->shape.kv_heads + head) * r->nblk;
	for (k = 0; k < nremoved; k++)
		if (removed[k] >= r->nblk || !(r->mark[base + removed[k]] & WS_SEL))
			return ss_error(err, SS_EINVAL,
					"ws_update: request %d step %llu layer %u head %u: removed block %u was not selected",
					req, (unsigned long long)step, layer,
					head, removed[k]);
	for (k = 0; k < nadded; k++)
		if (added[k] >= r->nblk || (r->mark[base + added[k]] & WS_SEL))
			return ss_error(err, SS_EINVAL,
					"ws_update: request %d step %llu layer %u head %u: added block %u %s",
					req, (unsigned long long)step, layer,
					head, added[k],
					added[k] >= r->nblk ? "is out of range" : "was already selected");
	if (s > r->step)
		advance(ws, r, s);
	for (k = 0; k < nremoved; k++) {
		size_t i = base + removed[k];

		BUG_ON(!(r->mark[i] & WS_SEL)); /* duplicate in `removed` */
		r->selected--;
		if (w >= 2 && s >= 1) {
			/* last selected at s - 1: in the union until s - 1 + w */
			struct ws_bucket *b = bucket(ws, r, s - 1);

			if (b->n == b->alloc &&
			    ss_grow((void **)&b->idx, &b->alloc, b->n + 1,
				    sizeof(*b->idx), NULL))
				BUG("ws_update: out of memory");
			b->idx[b->n++] = (uint32_t)i;
			r->mark[i] = (uint32_t)s;
		} else {
			r->mark[i] = 0;
			r->in_union--;
		}
	}
	for (k = 0; k < nadded; k++) {
		size_t i = base + added[k];
		uint32_t low = r->mark[i] & WS_LOW;

		BUG_ON(r->mark[i] & WS_SEL); /* duplicate in `added` */
		/* in the union already iff last selection >= s - w + 1 */
		if (!(low && (int64_t)low - 1 >= s - w + 1))
			r->in_union++;
		r->mark[i] = WS_SEL;
		r->selected++;
	}
	return 0;
}

static const struct ws_req *req_get(const struct ws_est *ws, int32_t req)
{
	BUG_ON(req < 0 || (size_t)req >= ws->nreqs || !ws->reqs[req].live);
	return &ws->reqs[req];
}

uint64_t ws_blocks(const struct ws_est *ws, int32_t req)
{
	return req_get(ws, req)->in_union;
}

uint64_t ws_bytes(const struct ws_est *ws, int32_t req)
{
	return req_get(ws, req)->in_union * ws->block_bytes;
}

uint64_t ws_selected(const struct ws_est *ws, int32_t req)
{
	return req_get(ws, req)->selected;
}

int ws_has_history(const struct ws_est *ws, int32_t req)
{
	return req_get(ws, req)->step >= 0;
}
