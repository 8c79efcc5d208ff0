/*
 * cache_clock.c - CLOCK (second-chance) replacement, for comparison with
 * LRU: a reference bit per slot, set on insert and touch; the hand sweeps
 * slot numbers, clearing set bits and evicting the first evictable slot
 * whose bit is clear. Touch is O(1) with no list update; an eviction scans
 * at most 2 x nslots entries and O(1) amortised while most slots are
 * evictable. State: [struct clk][in: nslots x u8][ref: nslots x u8].
 */
#include "cache_repl.h"

#include "ss.h"

#include "banned.h"

struct clk {
	uint32_t nslots; /* slots managed */
	uint32_t count;  /* slots inside */
	uint32_t hand;   /* next slot the sweep looks at */
	uint8_t *in;     /* [nslots] 1 if evictable */
	uint8_t *ref;    /* [nslots] reference bit */
};

static size_t clk_priv_size(uint32_t nslots)
{
	return sizeof(struct clk) + 2 * (size_t)nslots + 8;
}

static void clk_init(void *priv, uint32_t nslots)
{
	struct clk *c = priv;
	uint32_t i;

	c->nslots = nslots;
	c->count = 0;
	c->hand = 0;
	c->in = (uint8_t *)(c + 1);
	c->ref = c->in + nslots;
	for (i = 0; i < nslots; i++)
		c->in[i] = c->ref[i] = 0;
}

static void clk_insert(void *priv, uint32_t s)
{
	struct clk *c = priv;

	BUG_ON(s >= c->nslots || c->in[s]);
	c->in[s] = 1;
	c->ref[s] = 1;
	c->count++;
}

static void clk_remove(void *priv, uint32_t s)
{
	struct clk *c = priv;

	BUG_ON(s >= c->nslots || !c->in[s]);
	c->in[s] = 0;
	c->count--;
}

static void clk_touch(void *priv, uint32_t s)
{
	struct clk *c = priv;

	BUG_ON(s >= c->nslots || !c->in[s]);
	c->ref[s] = 1;
}

static int64_t clk_evict(void *priv)
{
	struct clk *c = priv;
	uint64_t step;

	if (!c->count)
		return -1;
	for (step = 0; step <= 2 * (uint64_t)c->nslots; step++) {
		uint32_t s = c->hand;

		c->hand = s + 1 == c->nslots ? 0 : s + 1;
		if (!c->in[s])
			continue;
		if (c->ref[s]) {
			c->ref[s] = 0;
			continue;
		}
		c->in[s] = 0;
		c->count--;
		return s;
	}
	BUG("clock: %u slots inside but none found", c->count);
}

static uint32_t clk_count(const void *priv)
{
	return ((const struct clk *)priv)->count;
}

static int clk_contains(const void *priv, uint32_t s)
{
	const struct clk *c = priv;

	return s < c->nslots && c->in[s];
}

const struct repl_ops repl_clock = {
	.name = "clock",
	.help = "CLOCK / second chance (reference bit, sweeping hand)",
	.priv_size = clk_priv_size,
	.init = clk_init,
	.insert = clk_insert,
	.remove = clk_remove,
	.touch = clk_touch,
	.evict = clk_evict,
	.count = clk_count,
	.contains = clk_contains,
};
