/*
 * cache_lru.c - least-recently-used replacement (the paper's choice).
 *
 * Exact LRU as a queue of use stamps rather than a linked list: every
 * insert and touch gives the slot the next stamp of a counter and appends
 * (slot, stamp) to a queue; stamp[slot] holds the slot's latest stamp (0 =
 * not inside). An entry whose stamp is no longer its slot's latest is
 * stale and skipped. So the first live entry of the queue is the slot
 * whose last use is the oldest: the victim, exactly as the tail of a
 * move-to-front list (the order and the victims are the same).
 *
 * Why: on a cache of a million slots a list touch is five dependent cache
 * misses (prev, next and both neighbours); a stamp touch is one store and
 * a sequential append, and the queue is read sequentially by evict.
 *
 * The queue is an array of qcap = 2 x nslots + 2 entries filled from the
 * front; when it is full, the live entries (at most nslots) are compacted
 * to the front in order and renumbered 1, 2, ..., so stamps stay below
 * 2^32 and every operation is O(1) amortised. State, carved from the
 * caller's memory:
 *
 *   [struct lru][stamp: nslots x u32][queue: qcap x {slot, stamp}]
 */
#include "cache_repl.h"

#include "ss.h"

#include "banned.h"

struct lru_ent {
	uint32_t slot;
	uint32_t stamp;
};

struct lru {
	uint32_t nslots;    /* slots managed */
	uint32_t count;     /* slots inside */
	uint32_t clock;     /* last stamp given */
	uint32_t head;      /* first queue entry not yet consumed by evict */
	uint32_t tail;      /* entries used */
	uint32_t qcap;      /* queue capacity, entries */
	uint32_t *stamp;    /* [nslots] latest stamp, 0 = not inside */
	struct lru_ent *q;  /* [qcap] */
};

static size_t qcap_of(uint32_t nslots)
{
	return 2 * (size_t)nslots + 2;
}

static size_t lru_priv_size(uint32_t nslots)
{
	size_t st = ((size_t)nslots * sizeof(uint32_t) + 7) & ~(size_t)7;

	return ((sizeof(struct lru) + 7) & ~(size_t)7) + st +
	       qcap_of(nslots) * sizeof(struct lru_ent) + 8;
}

static void lru_init(void *priv, uint32_t nslots)
{
	struct lru *c = priv;
	size_t hdr = (sizeof(struct lru) + 7) & ~(size_t)7;
	size_t st = ((size_t)nslots * sizeof(uint32_t) + 7) & ~(size_t)7;
	uint32_t i;

	/* stamps run up to nslots + qcap between renumberings */
	BUG_ON((uint64_t)nslots * 3 + 2 >= UINT32_MAX);
	c->nslots = nslots;
	c->count = 0;
	c->clock = 0;
	c->head = c->tail = 0;
	c->qcap = (uint32_t)qcap_of(nslots);
	c->stamp = (uint32_t *)((char *)priv + hdr);
	c->q = (struct lru_ent *)((char *)priv + hdr + st);
	for (i = 0; i < nslots; i++)
		c->stamp[i] = 0;
}

/* Move the live entries to the front, in order, stamped 1, 2, ... */
static void lru_compact(struct lru *c)
{
	uint32_t j, k = 0;

	for (j = c->head; j < c->tail; j++) {
		struct lru_ent e = c->q[j];

		if (j + 16 < c->tail)
			__builtin_prefetch(&c->stamp[c->q[j + 16].slot]);
		if (c->stamp[e.slot] != e.stamp)
			continue;
		c->stamp[e.slot] = ++k;
		c->q[k - 1].slot = e.slot;
		c->q[k - 1].stamp = k;
	}
	BUG_ON(k != c->count);
	c->head = 0;
	c->tail = k;
	c->clock = k;
}

/* `s` becomes the most recently used. */
static void lru_push(struct lru *c, uint32_t s)
{
	if (c->tail == c->qcap)
		lru_compact(c);
	c->stamp[s] = ++c->clock;
	c->q[c->tail].slot = s;
	c->q[c->tail].stamp = c->clock;
	c->tail++;
}

static void lru_insert(void *priv, uint32_t s)
{
	struct lru *c = priv;

	BUG_ON(s >= c->nslots || c->stamp[s]);
	lru_push(c, s);
	c->count++;
}

static void lru_remove(void *priv, uint32_t s)
{
	struct lru *c = priv;

	BUG_ON(s >= c->nslots || !c->stamp[s]);
	c->stamp[s] = 0;
	c->count--;
}

static void lru_touch(void *priv, uint32_t s)
{
	struct lru *c = priv;

	BUG_ON(s >= c->nslots || !c->stamp[s]);
	lru_push(c, s);
}

static int64_t lru_evict(void *priv)
{
	struct lru *c = priv;

	while (c->head < c->tail) {
		struct lru_ent e = c->q[c->head++];

		if (c->stamp[e.slot] == e.stamp) {
			c->stamp[e.slot] = 0;
			c->count--;
			return e.slot;
		}
	}
	BUG_ON(c->count);
	return -1;
}

static uint32_t lru_count(const void *priv)
{
	return ((const struct lru *)priv)->count;
}

static int lru_contains(const void *priv, uint32_t s)
{
	const struct lru *c = priv;

	return s < c->nslots && c->stamp[s];
}

static void lru_prefetch(const void *priv, uint32_t s)
{
	const struct lru *c = priv;

	if (s < c->nslots)
		__builtin_prefetch(&c->stamp[s], 1);
}

const struct repl_ops repl_lru = {
	.name = "lru",
	.help = "least recently used (the paper's choice)",
	.priv_size = lru_priv_size,
	.init = lru_init,
	.insert = lru_insert,
	.remove = lru_remove,
	.touch = lru_touch,
	.evict = lru_evict,
	.count = lru_count,
	.contains = lru_contains,
	.prefetch = lru_prefetch,
};
