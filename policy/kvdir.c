/*
 * kvdir.c - the KV directory (see kvdir.h for states and invariants).
 *
 *   directory (one allocation)                 request r (one allocation)
 *   +---------------------------+              +-----------------------------+
 *   | slot_req [nslots] i32  ---+--> r         | tokens    [L]        u32    |
 *   | slot_idx [nslots] u32  ---+--> i ------> | save_next [L]        u32    |
 *   | pin_ep   [nslots] u32     |              | slot  [L][H][nblk]   i32 ---+--> slot
 *   | free     [nslots] i32     |              | state [L][H][nblk]   u8     |
 *   | pin stack[nslots] i32     |              +-----------------------------+
 *   | replacement state (LRU)   |      i = (layer * H + head) * nblk + block
 *   +---------------------------+
 *
 * The owner maps go both ways so every operation is O(1) per block-head:
 * an eviction finds the victim's owner through slot_req/slot_idx, a lookup
 * finds a block's slot through the request's slot array.
 *
 * Pins are epochs: a slot is pinned iff pin_ep[slot] == epoch, so
 * kv_unpin_all() is one increment. The replacement policy holds every
 * CACHED slot, pinned or not: a hit is touched (moved to most recent) when
 * fetched, and an eviction that meets a pinned slot puts it back as most
 * recent (it is in use) and takes the next. `npin_cached` counts the
 * pinned slots inside the policy, so evictable = policy count - npin_cached.
 */
#include "kvdir.h"

#include <stdlib.h>
#include <string.h>

#include "cache_repl.h"

#include "banned.h"

struct kv_req {
	uint64_t max_tokens; /* tokens the arena was sized for */
	uint32_t nblk;       /* blocks per (layer, head) */
	uint32_t nslots;     /* HBM slots held, any state */
	uint32_t inflight;   /* block-heads LOADING or SAVING */
	uint32_t npinned;    /* pinned slots, valid while pin_epoch == epoch */
	uint32_t pin_epoch;  /* epoch of the last pin */
	uint32_t *tokens;    /* [layers] tokens written */
	uint32_t *save_next; /* [layers] first block not yet handed to a save */
	int32_t *slot;       /* [layers][heads][nblk], -1 = none */
	uint8_t *state;      /* [layers][heads][nblk], enum kv_state */
	void *mem;           /* the arena; NULL = id not in use */
};

struct kv_dir {
	struct kv_shape shape;
	uint64_t block_bytes; /* bytes per block-head */
	uint64_t meta_bytes;  /* metadata bytes per full block-head */
	uint32_t nslots;      /* cache capacity */
	const struct repl_ops *repl;
	void *repl_priv;
	int32_t *slot_req;    /* [nslots] owner request, -1 = free */
	uint32_t *slot_idx;   /* [nslots] owner block-head index */
	uint32_t *pin_ep;     /* [nslots] epoch of the last pin */
	uint32_t epoch;       /* current pin epoch (>= 1) */
	uint32_t npin_cached; /* pinned slots in state CACHED */
	int32_t *free_stack;  /* [nslots] */
	uint32_t nfree;
	int32_t *pin_stack;   /* [nslots] */
	uint32_t npin;
	struct kv_req *reqs;  /* [nreqs] indexed by request id */
	size_t nreqs, reqs_alloc;
	int32_t *free_ids;    /* ids of freed requests, reused first */
	size_t nfree_ids, free_ids_alloc;
	uint64_t nfull_bh;    /* full block-heads of live requests */
	struct kv_stats st;
	void *mem;
};

static const char *const state_names[KV_NSTATES] = {
	"empty", "partial", "dirty", "saving", "cached", "loading", "dram",
};

const char *kv_state_name(enum kv_state s)
{
	return (unsigned)s < KV_NSTATES ? state_names[s] : "invalid";
}

uint64_t kv_block_bytes(const struct kv_shape *s)
{
	return 2ull * s->block_tokens * s->head_dim * s->dtype_bytes;
}

uint64_t kv_meta_block_bytes(const struct kv_shape *s)
{
	return 2ull * s->head_dim * s->dtype_bytes;
}

int kv_shape_check(const struct kv_shape *s, struct ss_err *err)
{
	static const struct {
		const char *name;
		size_t off;
		uint32_t max;
	} f[] = {
		{ "layers", offsetof(struct kv_shape, layers), 4096 },
		{ "kv_heads", offsetof(struct kv_shape, kv_heads), 4096 },
		{ "head_dim", offsetof(struct kv_shape, head_dim), 65536 },
		{ "block_tokens", offsetof(struct kv_shape, block_tokens), 65536 },
		{ "dtype_bytes", offsetof(struct kv_shape, dtype_bytes), 16 },
	};
	size_t i;

	for (i = 0; i < SS_ARRAY_SIZE(f); i++) {
		uint32_t v;

		memcpy(&v, (const char *)s + f[i].off, sizeof(v));
		if (!v || v > f[i].max)
			return ss_error(err, SS_EINVAL,
					"kv shape: field '%s' = %u: must be 1..%u",
					f[i].name, v, f[i].max);
	}
	return 0;
}

static size_t align8(size_t n) { return (n + 7) & ~(size_t)7; }

struct kv_dir *kv_dir_alloc(const struct kv_dir_config *cfg,
			    struct ss_err *err)
{
	const struct repl_ops *repl;
	struct kv_dir *d;
	uint64_t bb, ns;
	size_t off, total;
	char *p;
	uint32_t i;

	if (kv_shape_check(&cfg->shape, err))
		return NULL;
	repl = repl_find(cfg->repl);
	if (!repl) {
		ss_error(err, SS_EINVAL,
			 "kv directory: field 'repl': unknown replacement policy '%s' (known: lru, clock)",
			 cfg->repl);
		return NULL;
	}
	bb = kv_block_bytes(&cfg->shape);
	ns = cfg->cache_bytes / bb;
	if (!ns || ns > INT32_MAX) {
		ss_error(err, SS_EINVAL,
			 "kv directory: field 'cache_bytes' = %llu: gives %llu slots of %llu bytes, need 1..%d",
			 (unsigned long long)cfg->cache_bytes,
			 (unsigned long long)ns, (unsigned long long)bb,
			 INT32_MAX);
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		ss_error(err, SS_ENOMEM, "kv directory: out of memory");
		return NULL;
	}
	d->shape = cfg->shape;
	d->block_bytes = bb;
	d->meta_bytes = kv_meta_block_bytes(&cfg->shape);
	d->nslots = (uint32_t)ns;
	d->repl = repl;
	/* one allocation carved into the slot tables and the policy state */
	off = 0;
	total = align8(ns * sizeof(int32_t)) + 2 * align8(ns * sizeof(uint32_t)) +
		2 * align8(ns * sizeof(int32_t)) +
		align8(repl->priv_size((uint32_t)ns));
	d->mem = ss_alloc_table(total);
	if (!d->mem) {
		ss_error(err, SS_ENOMEM,
			 "kv directory: out of memory for %llu slots (%zu bytes)",
			 (unsigned long long)ns, total);
		free(d);
		return NULL;
	}
	p = d->mem;
	d->slot_req = (int32_t *)(p + off);
	off += align8(ns * sizeof(int32_t));
	d->slot_idx = (uint32_t *)(p + off);
	off += align8(ns * sizeof(uint32_t));
	d->pin_ep = (uint32_t *)(p + off);
	off += align8(ns * sizeof(uint32_t));
	d->free_stack = (int32_t *)(p + off);
	off += align8(ns * sizeof(int32_t));
	d->pin_stack = (int32_t *)(p + off);
	off += align8(ns * sizeof(int32_t));
	d->repl_priv = p + off;
	repl->init(d->repl_priv, d->nslots);
	for (i = 0; i < d->nslots; i++) {
		d->slot_req[i] = -1;
		d->slot_idx[i] = 0;
		d->pin_ep[i] = 0;
		/* pop order 0, 1, 2, ... */
		d->free_stack[i] = (int32_t)(d->nslots - 1 - i);
	}
	d->nfree = d->nslots;
	d->epoch = 1;
	return d;
}

void kv_dir_free(struct kv_dir *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->nreqs; i++)
		free(d->reqs[i].mem);
	free(d->reqs);
	free(d->free_ids);
	free(d->mem);
	free(d);
}

static struct kv_req *req_get(const struct kv_dir *d, int32_t req)
{
	BUG_ON(req < 0 || (size_t)req >= d->nreqs || !d->reqs[req].mem);
	return &d->reqs[req];
}

static size_t bh_index(const struct kv_dir *d, const struct kv_req *r,
		       uint32_t layer, uint32_t head, uint32_t block)
{
	return ((size_t)layer * d->shape.kv_heads + head) * r->nblk + block;
}

static int pinned(const struct kv_dir *d, uint32_t s)
{
	return d->pin_ep[s] == d->epoch;
}

static uint32_t req_pins(const struct kv_dir *d, const struct kv_req *r)
{
	return r->pin_epoch == d->epoch ? r->npinned : 0;
}

static uint32_t evictable(const struct kv_dir *d)
{
	return d->repl->count(d->repl_priv) - d->npin_cached;
}

static uint32_t ceil_div(uint64_t a, uint32_t b)
{
	return (uint32_t)((a + b - 1) / b);
}

int kv_req_add(struct kv_dir *d, uint64_t max_tokens, int32_t *req,
	       struct ss_err *err)
{
	uint32_t L = d->shape.layers, H = d->shape.kv_heads, nblk;
	struct kv_req *r;
	size_t n, bytes;
	int32_t id;
	int reused;
	char *p;

	if (!max_tokens || max_tokens > INT32_MAX)
		return ss_error(err, SS_EINVAL,
				"kv_req_add: max_tokens = %llu: must be 1..%d",
				(unsigned long long)max_tokens, INT32_MAX);
	nblk = ceil_div(max_tokens, d->shape.block_tokens);
	n = (size_t)L * H * nblk;
	bytes = align8(2 * (size_t)L * sizeof(uint32_t)) +
		align8(n * sizeof(int32_t)) + align8(n);
	reused = d->nfree_ids > 0;
	if (reused) {
		id = d->free_ids[--d->nfree_ids];
	} else {
		int rc = ss_grow((void **)&d->reqs, &d->reqs_alloc,
				 d->nreqs + 1, sizeof(*d->reqs), err);
		if (rc)
			return rc;
		id = (int32_t)d->nreqs;
		memset(&d->reqs[id], 0, sizeof(d->reqs[id]));
		d->nreqs++;
	}
	r = &d->reqs[id];
	memset(r, 0, sizeof(*r));
	r->mem = ss_alloc_table(bytes);
	if (!r->mem) {
		if (reused) /* give the id back */
			d->free_ids[d->nfree_ids++] = id;
		else
			d->nreqs--;
		return ss_error(err, SS_ENOMEM,
				"kv_req_add: out of memory for %llu tokens (%zu bytes)",
				(unsigned long long)max_tokens, bytes);
	}
	p = r->mem;
	r->max_tokens = max_tokens;
	r->nblk = nblk;
	r->tokens = (uint32_t *)p;
	r->save_next = r->tokens + L;
	p += align8(2 * (size_t)L * sizeof(uint32_t));
	r->slot = (int32_t *)p;
	p += align8(n * sizeof(int32_t));
	r->state = (uint8_t *)p;
	memset(r->tokens, 0, 2 * (size_t)L * sizeof(uint32_t));
	memset(r->slot, 0xff, n * sizeof(int32_t));
	memset(r->state, KV_EMPTY, n);
	*req = id;
	return 0;
}

/* Take a free slot, or evict the policy's victim. Caller checked room. */
static uint32_t take_slot(struct kv_dir *d)
{
	int64_t v;
	struct kv_req *o;
	uint32_t s;

	uint32_t tries;

	if (d->nfree)
		return (uint32_t)d->free_stack[--d->nfree];
	for (tries = 0;; tries++) {
		BUG_ON(tries > d->nslots);
		v = d->repl->evict(d->repl_priv);
		BUG_ON(v < 0);
		if (!pinned(d, (uint32_t)v))
			break;
		/* in use by the current layer: keep it, as most recent */
		d->repl->insert(d->repl_priv, (uint32_t)v);
	}
	s = (uint32_t)v;
	o = req_get(d, d->slot_req[s]);
	BUG_ON(o->state[d->slot_idx[s]] != KV_CACHED);
	o->state[d->slot_idx[s]] = KV_DRAM;
	o->slot[d->slot_idx[s]] = -1;
	o->nslots--;
	d->st.evictions++;
	return s;
}

static void give_slot(struct kv_dir *d, int32_t req, struct kv_req *r,
		      size_t i, uint32_t s)
{
	d->slot_req[s] = req;
	d->slot_idx[s] = (uint32_t)i;
	r->slot[i] = (int32_t)s;
	r->nslots++;
}

/* Free slot `s` (not in the policy, not pinned) of block-head i of r. */
static void release_slot(struct kv_dir *d, struct kv_req *r, size_t i,
			 uint32_t s)
{
	d->slot_req[s] = -1;
	d->slot_idx[s] = 0;
	d->free_stack[d->nfree++] = (int32_t)s;
	r->slot[i] = -1;
	r->nslots--;
}

int kv_req_free(struct kv_dir *d, int32_t req, struct ss_err *err)
{
	uint32_t L = d->shape.layers, H = d->shape.kv_heads, l;
	struct kv_req *r;
	size_t i, n;

	if (req < 0 || (size_t)req >= d->nreqs || !d->reqs[req].mem)
		return ss_error(err, SS_EINVAL, "kv_req_free: no request %d",
				req);
	r = &d->reqs[req];
	if (r->inflight || req_pins(d, r))
		return ss_error(err, SS_EINVAL,
				"kv_req_free: request %d has %u transfers in flight and %u pinned blocks",
				req, r->inflight, req_pins(d, r));
	n = (size_t)L * H * r->nblk;
	for (i = 0; r->nslots && i < n; i++) {
		int32_t s = r->slot[i];

		if (s < 0)
			continue;
		if (r->state[i] == KV_CACHED)
			d->repl->remove(d->repl_priv, (uint32_t)s);
		release_slot(d, r, i, (uint32_t)s);
	}
	BUG_ON(r->nslots);
	for (l = 0; l < L; l++)
		d->nfull_bh -= (uint64_t)(r->tokens[l] / d->shape.block_tokens) * H;
	free(r->mem);
	memset(r, 0, sizeof(*r));
	if (ss_grow((void **)&d->free_ids, &d->free_ids_alloc,
		    d->nfree_ids + 1, sizeof(*d->free_ids), err))
		return err ? err->code : SS_ENOMEM;
	d->free_ids[d->nfree_ids++] = req;
	return 0;
}

int kv_append(struct kv_dir *d, int32_t req, uint32_t layer,
	      uint64_t ntokens, struct ss_err *err)
{
	uint32_t H = d->shape.kv_heads, bt = d->shape.block_tokens, h, b;
	uint32_t oldblk, newblk, oldfull, newfull;
	uint64_t old, nw, need;
	struct kv_req *r = req_get(d, req);

	if (layer >= d->shape.layers)
		return ss_error(err, SS_EINVAL,
				"kv_append: request %d: layer %u of %u", req,
				layer, d->shape.layers);
	old = r->tokens[layer];
	nw = old + ntokens;
	if (nw > r->max_tokens)
		return ss_error(err, SS_EINVAL,
				"kv_append: request %d layer %u: %llu + %llu tokens exceed its maximum %llu",
				req, layer, (unsigned long long)old,
				(unsigned long long)ntokens,
				(unsigned long long)r->max_tokens);
	oldblk = ceil_div(old, bt);
	newblk = ceil_div(nw, bt);
	need = (uint64_t)(newblk - oldblk) * H;
	if (need > (uint64_t)d->nfree + evictable(d))
		return ss_error(err, SS_ERANGE,
				"kv_append: request %d layer %u: %llu new blocks, only %u free and %u evictable slots",
				req, layer, (unsigned long long)need, d->nfree,
				evictable(d));
	oldfull = (uint32_t)(old / bt);
	newfull = (uint32_t)(nw / bt);
	for (h = 0; h < H; h++) {
		for (b = oldblk; b < newblk; b++) {
			size_t i = bh_index(d, r, layer, h, b);

			give_slot(d, req, r, i, take_slot(d));
			r->state[i] = KV_PARTIAL;
		}
		for (b = oldfull; b < newfull; b++) {
			size_t i = bh_index(d, r, layer, h, b);

			BUG_ON(r->state[i] != KV_PARTIAL);
			r->state[i] = KV_DIRTY;
		}
	}
	d->st.blocks_filled += (uint64_t)(newfull - oldfull) * H;
	d->nfull_bh += (uint64_t)(newfull - oldfull) * H;
	r->tokens[layer] = (uint32_t)nw;
	return 0;
}

void kv_save_begin(struct kv_dir *d, int32_t req, uint32_t layer,
		   uint32_t *first, uint32_t *count)
{
	struct kv_req *r = req_get(d, req);
	uint32_t H = d->shape.kv_heads, h, b, f, nfull;

	BUG_ON(layer >= d->shape.layers);
	f = r->save_next[layer];
	nfull = r->tokens[layer] / d->shape.block_tokens;
	for (h = 0; h < H; h++)
		for (b = f; b < nfull; b++) {
			size_t i = bh_index(d, r, layer, h, b);

			BUG_ON(r->state[i] != KV_DIRTY);
			r->state[i] = KV_SAVING;
		}
	r->inflight += (nfull - f) * H;
	d->st.saves_started += (uint64_t)(nfull - f) * H;
	r->save_next[layer] = nfull;
	*first = f;
	*count = nfull - f;
}

void kv_save_end(struct kv_dir *d, int32_t req, uint32_t layer,
		 uint32_t first, uint32_t count)
{
	struct kv_req *r = req_get(d, req);
	uint32_t H = d->shape.kv_heads, h, b;

	BUG_ON(layer >= d->shape.layers);
	BUG_ON((uint64_t)first + count > r->save_next[layer]);
	for (h = 0; h < H; h++)
		for (b = first; b < first + count; b++) {
			size_t i = bh_index(d, r, layer, h, b);
			uint32_t s = (uint32_t)r->slot[i];

			BUG_ON(r->state[i] != KV_SAVING);
			r->state[i] = KV_CACHED;
			d->repl->insert(d->repl_priv, s);
			d->npin_cached += pinned(d, s);
		}
	r->inflight -= count * H;
	d->st.saves_done += (uint64_t)count * H;
	d->st.bytes_saved += (uint64_t)count * H * d->block_bytes;
}

static void pin_slot(struct kv_dir *d, struct kv_req *r, uint32_t s,
		     uint8_t state)
{
	if (pinned(d, s))
		return;
	d->pin_ep[s] = d->epoch;
	d->pin_stack[d->npin++] = (int32_t)s;
	if (r->pin_epoch != d->epoch) {
		r->pin_epoch = d->epoch;
		r->npinned = 0;
	}
	r->npinned++;
	d->npin_cached += state == KV_CACHED;
}

static int check_lookup(const struct kv_dir *d, int32_t req,
			const struct kv_req *r, uint32_t layer, uint32_t head,
			const uint32_t *blocks, uint32_t n, struct ss_err *err)
{
	uint32_t nw, k;

	if (layer >= d->shape.layers || head >= d->shape.kv_heads)
		return ss_error(err, SS_EINVAL,
				"kv_fetch: request %d: layer %u head %u outside %u x %u",
				req, layer, head, d->shape.layers,
				d->shape.kv_heads);
	nw = ceil_div(r->tokens[layer], d->shape.block_tokens);
	for (k = 0; k < n; k++)
		if (blocks[k] >= nw)
			return ss_error(err, SS_EINVAL,
					"kv_fetch: request %d layer %u head %u: block %u not written (%u tokens, %u blocks)",
					req, layer, head, blocks[k],
					r->tokens[layer], nw);
	return 0;
}

void kv_probe(const struct kv_dir *d, int32_t req, uint32_t layer,
	      uint32_t head, const uint32_t *blocks, uint32_t n,
	      struct kv_fetch_result *res)
{
	const struct kv_req *r = req_get(d, req);
	uint32_t k;

	memset(res, 0, sizeof(*res));
	BUG_ON(layer >= d->shape.layers || head >= d->shape.kv_heads);
	for (k = 0; k < n; k++) {
		uint8_t st;

		BUG_ON(blocks[k] >= r->nblk);
		st = r->state[bh_index(d, r, layer, head, blocks[k])];
		if (st == KV_DRAM)
			res->nmiss++;
		else if (st == KV_LOADING)
			res->ninflight++;
		else if (st != KV_EMPTY)
			res->nhit++;
	}
}

int kv_fetch(struct kv_dir *d, int32_t req, uint32_t layer, uint32_t head,
	     const uint32_t *blocks, uint32_t n, int32_t *miss_slots,
	     struct kv_fetch_result *res, struct ss_err *err)
{
	struct kv_req *r = req_get(d, req);
	uint32_t k, nmiss = 0, hit_evictable = 0;
	uint64_t room;
	size_t base;
	int rc;

	memset(res, 0, sizeof(*res));
	rc = check_lookup(d, req, r, layer, head, blocks, n, err);
	if (rc)
		return rc;
	base = bh_index(d, r, layer, head, 0);
	/* hits are pinned first, so they cannot be evicted for the misses;
	 * with room for twice the request no count is needed */
	if ((uint64_t)d->nfree + evictable(d) < 2 * (uint64_t)n) {
		for (k = 0; k < n; k++) {
			size_t i = base + blocks[k];

			if (r->state[i] == KV_DRAM)
				nmiss++;
			else if (r->state[i] == KV_CACHED &&
				 !pinned(d, (uint32_t)r->slot[i]))
				hit_evictable++;
		}
		room = (uint64_t)d->nfree + evictable(d) - hit_evictable;
		if (nmiss > room)
			return ss_error(err, SS_ERANGE,
					"kv_fetch: request %d layer %u head %u: %u misses, room for %llu (%u free, %u evictable, %u pinned slots)",
					req, layer, head, nmiss,
					(unsigned long long)room, d->nfree,
					evictable(d), d->npin);
	}
	for (k = 0; k < n; k++) {
		size_t i = base + blocks[k];
		uint8_t st;
		uint32_t s;

		/* memory-latency bound on big caches: fetch ahead the
		 * directory entries, then the slots' pin and LRU state */
		if (k + 16 < n) {
			__builtin_prefetch(&r->state[base + blocks[k + 16]]);
			__builtin_prefetch(&r->slot[base + blocks[k + 16]]);
		}
		if (k + 4 < n) {
			int32_t s4 = r->slot[base + blocks[k + 4]];

			if (s4 >= 0) {
				__builtin_prefetch(&d->pin_ep[s4], 1);
				if (d->repl->prefetch)
					d->repl->prefetch(d->repl_priv,
							  (uint32_t)s4);
			}
		}
		st = r->state[i];
		if (st == KV_DRAM)
			continue;
		s = (uint32_t)r->slot[i];
		if (st == KV_CACHED)
			d->repl->touch(d->repl_priv, s);
		pin_slot(d, r, s, st);
		if (st == KV_LOADING)
			res->ninflight++;
		else
			res->nhit++;
	}
	for (k = 0; k < n; k++) {
		size_t i = base + blocks[k];
		uint32_t s;

		if (r->state[i] != KV_DRAM)
			continue; /* a hit, or a duplicate already loading */
		s = take_slot(d);
		give_slot(d, req, r, i, s);
		r->state[i] = KV_LOADING;
		r->inflight++;
		pin_slot(d, r, s, KV_LOADING);
		miss_slots[res->nmiss++] = (int32_t)s;
	}
	d->st.hits += res->nhit;
	d->st.misses += res->nmiss;
	d->st.inflight_hits += res->ninflight;
	return 0;
}

void kv_load_end(struct kv_dir *d, const int32_t *slots, uint32_t n)
{
	uint32_t k;

	for (k = 0; k < n; k++) {
		uint32_t s = (uint32_t)slots[k];
		struct kv_req *r;
		size_t i;

		BUG_ON(slots[k] < 0 || s >= d->nslots || d->slot_req[s] < 0);
		r = req_get(d, d->slot_req[s]);
		i = d->slot_idx[s];
		BUG_ON(r->state[i] != KV_LOADING);
		r->state[i] = KV_CACHED;
		r->inflight--;
		d->repl->insert(d->repl_priv, s);
		d->npin_cached += pinned(d, s);
	}
	d->st.loads_done += n;
	d->st.bytes_loaded += (uint64_t)n * d->block_bytes;
}

static void unpin_slot(struct kv_dir *d, uint32_t s)
{
	struct kv_req *r = req_get(d, d->slot_req[s]);

	BUG_ON(!pinned(d, s) || r->pin_epoch != d->epoch || !r->npinned);
	d->pin_ep[s] = 0;
	r->npinned--;
	if (r->state[d->slot_idx[s]] == KV_CACHED)
		d->npin_cached--;
}

void kv_unpin_all(struct kv_dir *d)
{
	if (++d->epoch == 0) { /* wrapped after 2^32 layers: restart */
		memset(d->pin_ep, 0, (size_t)d->nslots * sizeof(*d->pin_ep));
		d->epoch = 1;
	}
	d->npin = 0;
	d->npin_cached = 0;
}

void kv_unpin(struct kv_dir *d, int32_t req, int32_t layer)
{
	uint32_t k, keep = 0;
	size_t per_layer = 0;

	for (k = 0; k < d->npin; k++) {
		uint32_t s = (uint32_t)d->pin_stack[k];
		int32_t owner = d->slot_req[s];
		int match = req < 0 || owner == req;

		if (match && layer >= 0) {
			const struct kv_req *r = req_get(d, owner);

			per_layer = (size_t)d->shape.kv_heads * r->nblk;
			match = d->slot_idx[s] / per_layer == (size_t)layer;
		}
		if (match)
			unpin_slot(d, s);
		else
			d->pin_stack[keep++] = (int32_t)s;
	}
	d->npin = keep;
}

uint32_t kv_drop_clean(struct kv_dir *d, int32_t req, int32_t layer)
{
	struct kv_req *r = req_get(d, req);
	uint32_t H = d->shape.kv_heads, l0, l1, l, h, b, nw, freed = 0;

	if (layer >= 0) {
		BUG_ON((uint32_t)layer >= d->shape.layers);
		l0 = (uint32_t)layer;
		l1 = l0 + 1;
	} else {
		l0 = 0;
		l1 = d->shape.layers;
	}
	for (l = l0; l < l1 && r->nslots; l++) {
		nw = r->save_next[l]; /* only saved blocks can be clean */
		for (h = 0; h < H; h++)
			for (b = 0; b < nw; b++) {
				size_t i = bh_index(d, r, l, h, b);
				int32_t s = r->slot[i];

				if (r->state[i] != KV_CACHED ||
				    pinned(d, (uint32_t)s))
					continue;
				d->repl->remove(d->repl_priv, (uint32_t)s);
				release_slot(d, r, i, (uint32_t)s);
				r->state[i] = KV_DRAM;
				freed++;
			}
	}
	d->st.drops += freed;
	return freed;
}

enum kv_state kv_block_state(const struct kv_dir *d, int32_t req,
			     uint32_t layer, uint32_t head, uint32_t block)
{
	const struct kv_req *r = req_get(d, req);

	BUG_ON(layer >= d->shape.layers || head >= d->shape.kv_heads ||
	       block >= r->nblk);
	return (enum kv_state)r->state[bh_index(d, r, layer, head, block)];
}

int kv_slot_owner(const struct kv_dir *d, int32_t slot, int32_t *req,
		  uint32_t *layer, uint32_t *head, uint32_t *block)
{
	const struct kv_req *r;
	uint32_t i, lh;

	if (slot < 0 || (uint32_t)slot >= d->nslots || d->slot_req[slot] < 0)
		return 0;
	*req = d->slot_req[slot];
	r = req_get(d, *req);
	i = d->slot_idx[slot];
	*block = i % r->nblk;
	lh = i / r->nblk;
	*head = lh % d->shape.kv_heads;
	*layer = lh / d->shape.kv_heads;
	return 1;
}

int32_t kv_block_slot(const struct kv_dir *d, int32_t req, uint32_t layer,
		      uint32_t head, uint32_t block)
{
	const struct kv_req *r = req_get(d, req);

	BUG_ON(layer >= d->shape.layers || head >= d->shape.kv_heads ||
	       block >= r->nblk);
	return r->slot[bh_index(d, r, layer, head, block)];
}

uint64_t kv_req_tokens(const struct kv_dir *d, int32_t req, uint32_t layer)
{
	BUG_ON(layer >= d->shape.layers);
	return req_get(d, req)->tokens[layer];
}

uint32_t kv_req_nfull(const struct kv_dir *d, int32_t req, uint32_t layer)
{
	return (uint32_t)(kv_req_tokens(d, req, layer) /
			  d->shape.block_tokens);
}

uint32_t kv_req_max_blocks(const struct kv_dir *d, int32_t req)
{
	return req_get(d, req)->nblk;
}

uint32_t kv_req_slots(const struct kv_dir *d, int32_t req)
{
	return req_get(d, req)->nslots;
}

int kv_req_live(const struct kv_dir *d, int32_t req)
{
	return req >= 0 && (size_t)req < d->nreqs && d->reqs[req].mem;
}

const struct kv_shape *kv_dir_shape(const struct kv_dir *d)
{
	return &d->shape;
}

uint32_t kv_nslots(const struct kv_dir *d) { return d->nslots; }
uint32_t kv_used_slots(const struct kv_dir *d) { return d->nslots - d->nfree; }
uint32_t kv_free_slots(const struct kv_dir *d) { return d->nfree; }
uint32_t kv_pinned_slots(const struct kv_dir *d) { return d->npin; }

uint32_t kv_evictable_slots(const struct kv_dir *d)
{
	return evictable(d);
}

uint64_t kv_meta_bytes(const struct kv_dir *d)
{
	return d->nfull_bh * d->meta_bytes;
}

uint64_t kv_hbm_bytes(const struct kv_dir *d)
{
	return (uint64_t)kv_used_slots(d) * d->block_bytes;
}

const struct kv_stats *kv_dir_stats(const struct kv_dir *d) { return &d->st; }

static int in_hbm(uint8_t st)
{
	return st == KV_PARTIAL || st == KV_DIRTY || st == KV_SAVING ||
	       st == KV_CACHED || st == KV_LOADING;
}

static int check_request(const struct kv_dir *d, int32_t id,
			 uint64_t *nfull_bh, struct ss_err *err)
{
	const struct kv_req *r = &d->reqs[id];
	uint32_t L = d->shape.layers, H = d->shape.kv_heads;
	uint32_t bt = d->shape.block_tokens, l, h, b;
	uint32_t nslots = 0, inflight = 0, npinned = 0;

	for (l = 0; l < L; l++) {
		uint32_t nfull = r->tokens[l] / bt;
		uint32_t nw = ceil_div(r->tokens[l], bt);

		if (r->tokens[l] > r->max_tokens || r->save_next[l] > nfull)
			return ss_error(err, SS_EINVAL,
					"kv check: request %d layer %u: %u tokens (max %llu), saves handed out up to block %u of %u full",
					id, l, r->tokens[l],
					(unsigned long long)r->max_tokens,
					r->save_next[l], nfull);
		*nfull_bh += (uint64_t)nfull * H;
		for (h = 0; h < H; h++)
			for (b = 0; b < r->nblk; b++) {
				size_t i = bh_index(d, r, l, h, b);
				uint8_t st = r->state[i];
				int32_t s = r->slot[i];
				int ok;

				if (b >= nw)
					ok = st == KV_EMPTY;
				else if (b >= nfull)
					ok = st == KV_PARTIAL;
				else if (b >= r->save_next[l])
					ok = st == KV_DIRTY;
				else
					ok = st == KV_SAVING ||
					     st == KV_CACHED ||
					     st == KV_LOADING || st == KV_DRAM;
				if (!ok)
					return ss_error(err, SS_EINVAL,
							"kv check: request %d layer %u head %u block %u: state '%s' impossible with %u tokens and saves handed out up to block %u",
							id, l, h, b,
							kv_state_name((enum kv_state)st),
							r->tokens[l],
							r->save_next[l]);
				if (in_hbm(st) != (s >= 0))
					return ss_error(err, SS_EINVAL,
							"kv check: request %d layer %u head %u block %u: state '%s' with slot %d",
							id, l, h, b,
							kv_state_name((enum kv_state)st),
							s);
				if (s < 0)
					continue;
				if ((uint32_t)s >= d->nslots ||
				    d->slot_req[s] != id ||
				    d->slot_idx[s] != i)
					return ss_error(err, SS_EINVAL,
							"kv check: request %d layer %u head %u block %u: slot %d is owned by request %d index %u",
							id, l, h, b, s,
							(uint32_t)s < d->nslots ? d->slot_req[s] : -2,
							(uint32_t)s < d->nslots ? d->slot_idx[s] : 0);
				nslots++;
				inflight += st == KV_LOADING || st == KV_SAVING;
				npinned += pinned(d, (uint32_t)s);
			}
	}
	if (nslots != r->nslots || inflight != r->inflight ||
	    npinned != req_pins(d, r))
		return ss_error(err, SS_EINVAL,
				"kv check: request %d counts slots %u/%u, in flight %u/%u, pinned %u/%u (found/recorded)",
				id, nslots, r->nslots, inflight, r->inflight,
				npinned, req_pins(d, r));
	return 0;
}

int kv_dir_check(const struct kv_dir *d, struct ss_err *err)
{
	uint32_t s, used = 0, npinned = 0, nevict = 0, npc = 0, k;
	uint64_t nfull_bh = 0;
	size_t id;
	int rc;

	for (s = 0; s < d->nslots; s++) {
		int32_t o = d->slot_req[s];
		uint8_t st;
		int in = d->repl->contains(d->repl_priv, s);

		if (o < 0) {
			if (pinned(d, s) || in)
				return ss_error(err, SS_EINVAL,
						"kv check: free slot %u is %s",
						s, in ? "in the replacement policy" : "pinned");
			continue;
		}
		if ((size_t)o >= d->nreqs || !d->reqs[o].mem)
			return ss_error(err, SS_EINVAL,
					"kv check: slot %u owned by dead request %d",
					s, o);
		st = d->reqs[o].state[d->slot_idx[s]];
		if (d->reqs[o].slot[d->slot_idx[s]] != (int32_t)s)
			return ss_error(err, SS_EINVAL,
					"kv check: slot %u -> request %d index %u -> slot %d",
					s, o, d->slot_idx[s],
					d->reqs[o].slot[d->slot_idx[s]]);
		if (in != (st == KV_CACHED))
			return ss_error(err, SS_EINVAL,
					"kv check: slot %u (state '%s', %spinned) is %sin the replacement policy",
					s, kv_state_name((enum kv_state)st),
					pinned(d, s) ? "" : "un", in ? "" : "not ");
		used++;
		npinned += pinned(d, s);
		npc += pinned(d, s) && st == KV_CACHED;
		nevict += in && !pinned(d, s);
	}
	if (used + d->nfree != d->nslots)
		return ss_error(err, SS_EINVAL,
				"kv check: %u used + %u free slots != capacity %u",
				used, d->nfree, d->nslots);
	for (k = 0; k < d->nfree; k++)
		if (d->slot_req[d->free_stack[k]] >= 0)
			return ss_error(err, SS_EINVAL,
					"kv check: slot %d on the free stack is owned",
					d->free_stack[k]);
	if (npinned != d->npin)
		return ss_error(err, SS_EINVAL,
				"kv check: %u pinned slots, pin stack holds %u",
				npinned, d->npin);
	for (k = 0; k < d->npin; k++)
		if (!pinned(d, (uint32_t)d->pin_stack[k]))
			return ss_error(err, SS_EINVAL,
					"kv check: slot %d on the pin stack is not pinned",
					d->pin_stack[k]);
	if (npc != d->npin_cached || nevict != evictable(d))
		return ss_error(err, SS_EINVAL,
				"kv check: %u pinned cached slots (recorded %u), %u evictable (policy says %u)",
				npc, d->npin_cached, nevict, evictable(d));
	for (id = 0; id < d->nreqs; id++) {
		if (!d->reqs[id].mem)
			continue;
		rc = check_request(d, (int32_t)id, &nfull_bh, err);
		if (rc)
			return rc;
	}
	if (nfull_bh != d->nfull_bh)
		return ss_error(err, SS_EINVAL,
				"kv check: %llu full block-heads, metadata counts %llu",
				(unsigned long long)nfull_bh,
				(unsigned long long)d->nfull_bh);
	return 0;
}
