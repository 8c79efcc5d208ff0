/*
 * cache_repl.h - replacement policies of the HBM KV block cache.
 *
 * A policy sees only slot numbers (0 .. nslots-1) and only slots holding a
 * clean block (its DRAM copy complete): the KV directory (kvdir.c) inserts
 * a slot when its save or load completes, touches it on every hit, and
 * removes it when the block is dropped or freed. So a policy can never
 * choose an unsaved block. Pinned slots stay inside (pinning is an epoch
 * stamp in the directory, so releasing all pins is O(1)): when evict()
 * returns a pinned slot, the directory inserts it again as most recent (it
 * is in use) and asks for the next victim.
 *
 * Each policy is a `const struct repl_ops` (STYLE habit 2) with private
 * state in caller-provided memory of priv_size(nslots) bytes, so the
 * directory carves it from its one allocation; no policy allocates.
 * Policies: "lru" (default; the paper's choice, intrusive doubly linked
 * list in arrays indexed by slot) and "clock" (second chance: a reference
 * bit per slot and a sweeping hand), for comparison.
 */
#ifndef SS_POLICY_CACHE_REPL_H
#define SS_POLICY_CACHE_REPL_H

#include <stddef.h>
#include <stdint.h>

struct repl_ops {
	const char *name;
	const char *help;
	/* bytes of private state for `nslots` slots (8-byte aligned) */
	size_t (*priv_size)(uint32_t nslots);
	/* set up `priv` (priv_size bytes, any content) with no slot inside */
	void (*init)(void *priv, uint32_t nslots);
	/* `slot` (not inside) becomes evictable, as just used */
	void (*insert)(void *priv, uint32_t slot);
	/* `slot` (inside) stops being evictable */
	void (*remove)(void *priv, uint32_t slot);
	/* `slot` (inside) was used again without being pinned */
	void (*touch)(void *priv, uint32_t slot);
	/* choose a victim, take it out and return it; -1 when none inside */
	int64_t (*evict)(void *priv);
	/* slots inside */
	uint32_t (*count)(const void *priv);
	/* 1 if `slot` is inside (invariant checks) */
	int (*contains)(const void *priv, uint32_t slot);
	/* optional (NULL: none): `slot` is about to be touched; a hint to
	 * bring its state into the CPU cache, no effect on the policy */
	void (*prefetch)(const void *priv, uint32_t slot);
};

extern const struct repl_ops repl_lru;
extern const struct repl_ops repl_clock;

/* NULL-terminated registry; the first entry is the default ("lru"). */
extern const struct repl_ops *const repl_policies[];

/* The policy called `name` (NULL or "" = the default), or NULL if none. */
const struct repl_ops *repl_find(const char *name);

#endif
