/*
 * cache_lru.c - least-recently-used replacement (the paper's choice).
 *
 * An intrusive doubly linked list in two int32 arrays indexed by slot,
 * with a sentinel at index nslots: sentinel.next is the most recently used
 * slot, sentinel.prev the least. Every operation is O(1); the state is
 * three arrays carved from the caller's memory:
 *
 *   [struct lru][prev: nslots+1 x int32][next: nslots+1 x int32][in: nslots x u8]
 */
#include "cache_repl.h"

#include "ss.h"

#include "banned.h"

struct lru {
	uint32_t nslots; /* slots managed */
	uint32_t count;  /* slots inside the list */
	int32_t *prev;   /* [nslots + 1], sentinel last */
	int32_t *next;   /* [nslots + 1] */
	uint8_t *in;     /* [nslots] 1 if inside */
};

static size_t lru_priv_size(uint32_t nslots)
{
	size_t n = (size_t)nslots + 1;

	return sizeof(struct lru) + 2 * n * sizeof(int32_t) + nslots + 8;
}

static void lru_init(void *priv, uint32_t nslots)
{
	struct lru *c = priv;
	size_t n = (size_t)nslots + 1, i;

	c->nslots = nslots;
	c->count = 0;
	c->prev = (int32_t *)(c + 1);
	c->next = c->prev + n;
	c->in = (uint8_t *)(c->next + n);
	c->prev[nslots] = c->next[nslots] = (int32_t)nslots;
	for (i = 0; i < nslots; i++)
		c->in[i] = 0;
}

static void lru_link_head(struct lru *c, uint32_t s)
{
	int32_t head = c->next[c->nslots];

	c->next[s] = head;
	c->prev[s] = (int32_t)c->nslots;
	c->prev[head] = (int32_t)s;
	c->next[c->nslots] = (int32_t)s;
}

static void lru_unlink(struct lru *c, uint32_t s)
{
	c->next[c->prev[s]] = c->next[s];
	c->prev[c->next[s]] = c->prev[s];
}

static void lru_insert(void *priv, uint32_t s)
{
	struct lru *c = priv;

	BUG_ON(s >= c->nslots || c->in[s]);
	lru_link_head(c, s);
	c->in[s] = 1;
	c->count++;
}

static void lru_remove(void *priv, uint32_t s)
{
	struct lru *c = priv;

	BUG_ON(s >= c->nslots || !c->in[s]);
	lru_unlink(c, s);
	c->in[s] = 0;
	c->count--;
}

static void lru_touch(void *priv, uint32_t s)
{
	struct lru *c = priv;

	BUG_ON(s >= c->nslots || !c->in[s]);
	lru_unlink(c, s);
	lru_link_head(c, s);
}

static int64_t lru_evict(void *priv)
{
	struct lru *c = priv;
	int32_t s = c->prev[c->nslots];

	if ((uint32_t)s == c->nslots)
		return -1;
	lru_remove(c, (uint32_t)s);
	return s;
}

static uint32_t lru_count(const void *priv)
{
	return ((const struct lru *)priv)->count;
}

static int lru_contains(const void *priv, uint32_t s)
{
	const struct lru *c = priv;

	return s < c->nslots && c->in[s];
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
};
