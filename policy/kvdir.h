/*
 * kvdir.h - the KV directory: where every KV block of every request is.
 *
 * A block is `block_tokens` (32) tokens of one KV head of one layer, K and
 * V; a block-head is its address (request, layer, head, block). All KV is
 * backed in host DRAM; HBM holds a cache of `nslots` block slots, fixed at
 * creation from the cache budget in bytes. The directory knows, for every
 * block-head, one state:
 *
 *   EMPTY    no token written yet (beyond the request's current length)
 *   PARTIAL  some tokens, filling in an HBM slot, not backed in DRAM
 *   DIRTY    full, in an HBM slot, DRAM copy not started ("needs save")
 *   SAVING   full, in an HBM slot, D2H copy in flight
 *   CACHED   full, in an HBM slot, DRAM copy complete (clean)
 *   LOADING  full, DRAM copy complete, HBM slot allocated, H2D in flight
 *   DRAM     full, only in DRAM
 *
 * Transitions (kvdir.c enforces them; docs/kv-hierarchy.md draws them):
 *   EMPTY -> PARTIAL | DIRTY        kv_append (new KV is written into HBM)
 *   PARTIAL -> DIRTY                kv_append fills the block
 *   DIRTY -> SAVING                 kv_save_begin
 *   SAVING -> CACHED                kv_save_end
 *   CACHED -> DRAM                  eviction, kv_drop_clean
 *   DRAM -> LOADING                 kv_fetch (a miss)
 *   LOADING -> CACHED               kv_load_end
 *   any -> EMPTY                    kv_req_free
 *
 * Invariants (kv_dir_check verifies them all): a block-head is in exactly
 * one state; it has an HBM slot iff its state is PARTIAL, DIRTY, SAVING,
 * CACHED or LOADING, and that slot names it as owner; the replacement
 * policy holds exactly the CACHED slots, and evictions and drops skip the
 * pinned ones, so only a block whose DRAM copy is complete can lose its
 * HBM copy (saved before dropped) and a pinned block is never evicted;
 * slots in use + free slots = nslots, so HBM use never exceeds the budget.
 *
 * Pinning: kv_fetch pins every block it returns (hits and loads) for the
 * layer being computed, and a hit counts as a use for the replacement
 * policy (LRU: most recent); kv_unpin_all() releases every pin in O(1)
 * (pins are epochs), kv_unpin() releases some.
 *
 * Layout (compact, STYLE habit 7): per request one allocation, made once
 * at kv_req_add from its maximum tokens (prompt + output are known up
 * front), carved into
 *     state[layer][head][block]  u8
 *     slot [layer][head][block]  i32 (-1 = none)
 *     tokens[layer], save_next[layer]
 * and per directory one allocation carved into the slot -> owner maps, the
 * free-slot stack, the pin stack and the replacement policy's state.
 * Nothing is allocated per block or per step; request ids are dense and
 * reused.
 *
 * Metadata (the DSA digest of every full block-head, 2 x head_dim values)
 * is always resident in HBM outside the block cache; kv_meta_bytes()
 * reports it so the caller can charge it against HBM (the paper does not).
 *
 * Plain C: no clock, no I/O, no randomness. Not thread-safe.
 */
#ifndef SS_POLICY_KVDIR_H
#define SS_POLICY_KVDIR_H

#include <stdint.h>

#include "ss.h"

enum kv_state {
	KV_EMPTY = 0,
	KV_PARTIAL,
	KV_DIRTY,
	KV_SAVING,
	KV_CACHED,
	KV_LOADING,
	KV_DRAM,
	KV_NSTATES
};

/* Name of a state ("empty", "partial", ...). */
const char *kv_state_name(enum kv_state s);

struct kv_shape {
	uint32_t layers;       /* decoder layers */
	uint32_t kv_heads;     /* KV heads per layer */
	uint32_t head_dim;     /* elements per head vector */
	uint32_t block_tokens; /* tokens per block (32) */
	uint32_t dtype_bytes;  /* bytes per element (2 for fp16/bf16) */
};

/* Bytes of one block-head, K and V: 2 x block_tokens x head_dim x dtype. */
uint64_t kv_block_bytes(const struct kv_shape *s);
/* Bytes of one block-head's DSA metadata: 2 x head_dim x dtype
 * (cuboid-mean's two vectors; Quest's min/max is the same size). */
uint64_t kv_meta_block_bytes(const struct kv_shape *s);
/* 0, or SS_EINVAL naming the zero or oversized field. */
int kv_shape_check(const struct kv_shape *s, struct ss_err *err);

struct kv_dir_config {
	struct kv_shape shape;
	uint64_t cache_bytes; /* HBM bytes for the block cache; slots =
				 cache_bytes / kv_block_bytes (>= 1) */
	const char *repl;     /* replacement policy name; NULL = "lru" */
};

/* Counters since kv_dir_alloc; snapshot and subtract for per-iteration. */
struct kv_stats {
	uint64_t hits;          /* kv_fetch: block-heads found in HBM */
	uint64_t misses;        /* kv_fetch: block-heads loaded from DRAM */
	uint64_t inflight_hits; /* kv_fetch: found LOADING (already coming) */
	uint64_t evictions;     /* clean slots reclaimed by the policy */
	uint64_t drops;         /* clean slots freed by kv_drop_clean */
	uint64_t loads_done;    /* blocks, kv_load_end */
	uint64_t saves_started; /* blocks, kv_save_begin */
	uint64_t saves_done;    /* blocks, kv_save_end */
	uint64_t bytes_loaded;  /* H2D bytes of completed loads */
	uint64_t bytes_saved;   /* D2H bytes of completed saves */
	uint64_t blocks_filled; /* block-heads that became full */
};

struct kv_fetch_result {
	uint32_t nhit;      /* already in HBM (pinned now) */
	uint32_t nmiss;     /* now LOADING; their slots are in miss_slots */
	uint32_t ninflight; /* were LOADING already (pinned now) */
};

struct kv_dir;

/*
 * Create a directory with an empty cache. 0-slot caches, unknown policies
 * and bad shapes are SS_EINVAL; SS_ENOMEM if the tables do not fit.
 */
struct kv_dir *kv_dir_alloc(const struct kv_dir_config *cfg,
			    struct ss_err *err);
/* Free everything (NULL is fine). */
void kv_dir_free(struct kv_dir *d);

/*
 * Register a request that will hold at most `max_tokens` tokens (prompt +
 * output). Its arena is allocated now, once; *req receives a dense id
 * (freed ids are reused, lowest first is not promised). SS_EINVAL for 0 or
 * more than 2^31 - 1 tokens, SS_ENOMEM if the arena does not fit.
 */
int kv_req_add(struct kv_dir *d, uint64_t max_tokens, int32_t *req,
	       struct ss_err *err);

/*
 * Forget a finished request: free its HBM slots (whatever their state) and
 * its arena. Fails with SS_EINVAL, changing nothing, if any of its blocks
 * is pinned or has a transfer in flight (LOADING, SAVING): wait for the
 * transfers, unpin, then free.
 */
int kv_req_free(struct kv_dir *d, int32_t req, struct ss_err *err);

/*
 * Append `ntokens` new tokens' KV to every head of `layer` of `req`: they
 * are written into HBM (new blocks get slots, evicting clean unpinned
 * blocks if the cache is full); blocks that fill become DIRTY and their
 * metadata becomes resident. All or nothing: SS_EINVAL past max_tokens,
 * SS_ERANGE if the cache cannot supply the slots (nothing changed).
 */
int kv_append(struct kv_dir *d, int32_t req, uint32_t layer,
	      uint64_t ntokens, struct ss_err *err);

/*
 * Start saving every DIRTY block of (req, layer), all heads: they become
 * SAVING. The dirty blocks of a layer are always the contiguous range
 * [*first, *first + *count) of block numbers, the same for every head;
 * *count may be 0. Bytes to move = count x kv_heads x block bytes.
 */
void kv_save_begin(struct kv_dir *d, int32_t req, uint32_t layer,
		   uint32_t *first, uint32_t *count);

/* The save of blocks [first, first + count) of (req, layer), all heads,
 * completed: SAVING -> CACHED. Completions may come in any order. BUG if
 * a block of the range is not SAVING. */
void kv_save_end(struct kv_dir *d, int32_t req, uint32_t layer,
		 uint32_t first, uint32_t count);

/*
 * Look up the `n` selected blocks of (req, layer, head) for the layer
 * about to be computed, pin them, and start loading the misses: each
 * missing block gets a slot (evicting by the replacement policy) and
 * becomes LOADING; its slot is written to miss_slots[] (capacity n) in
 * the order of `blocks`. Blocks already LOADING count as in-flight hits.
 * All or nothing: SS_EINVAL for a block that is not full or partial yet
 * (never written), SS_ERANGE if the misses do not fit in the cache next to
 * the pinned blocks (nothing changed).
 */
int kv_fetch(struct kv_dir *d, int32_t req, uint32_t layer, uint32_t head,
	     const uint32_t *blocks, uint32_t n, int32_t *miss_slots,
	     struct kv_fetch_result *res, struct ss_err *err);

/* Count what kv_fetch would find, changing nothing (planning, prefetch). */
void kv_probe(const struct kv_dir *d, int32_t req, uint32_t layer,
	      uint32_t head, const uint32_t *blocks, uint32_t n,
	      struct kv_fetch_result *res);

/* The loads into `slots` completed: LOADING -> CACHED (still pinned). BUG
 * if a slot is not LOADING. */
void kv_load_end(struct kv_dir *d, const int32_t *slots, uint32_t n);

/* Release every pin. */
void kv_unpin_all(struct kv_dir *d);
/* Release the pins of `req` (< 0: any) and `layer` (< 0: any). */
void kv_unpin(struct kv_dir *d, int32_t req, int32_t layer);

/*
 * Free the HBM copies of the CACHED, unpinned blocks of `req` in `layer`
 * (< 0: every layer), e.g. a prefill layer saved and no longer needed, or
 * a request put back in the queue. Returns the number of slots freed.
 */
uint32_t kv_drop_clean(struct kv_dir *d, int32_t req, int32_t layer);

/* State and slot (-1 = none) of one block-head. */
enum kv_state kv_block_state(const struct kv_dir *d, int32_t req,
			     uint32_t layer, uint32_t head, uint32_t block);
int32_t kv_block_slot(const struct kv_dir *d, int32_t req, uint32_t layer,
		      uint32_t head, uint32_t block);

/* The block-head slot `slot` holds: 1 and its address, or 0 if free. */
int kv_slot_owner(const struct kv_dir *d, int32_t slot, int32_t *req,
		  uint32_t *layer, uint32_t *head, uint32_t *block);
/* Tokens written in `layer` of `req`; full blocks there. */
uint64_t kv_req_tokens(const struct kv_dir *d, int32_t req, uint32_t layer);
uint32_t kv_req_nfull(const struct kv_dir *d, int32_t req, uint32_t layer);
/* Maximum blocks per (layer, head) of `req`. */
uint32_t kv_req_max_blocks(const struct kv_dir *d, int32_t req);
/* HBM slots `req` holds now (all states); 1 if `req` is a live id. */
uint32_t kv_req_slots(const struct kv_dir *d, int32_t req);
int kv_req_live(const struct kv_dir *d, int32_t req);

const struct kv_shape *kv_dir_shape(const struct kv_dir *d);
uint32_t kv_nslots(const struct kv_dir *d);      /* cache capacity, slots */
uint32_t kv_used_slots(const struct kv_dir *d);  /* slots holding a block */
uint32_t kv_free_slots(const struct kv_dir *d);  /* never-used or freed */
uint32_t kv_evictable_slots(const struct kv_dir *d); /* CACHED, unpinned */
uint32_t kv_pinned_slots(const struct kv_dir *d);
/* Bytes of DSA metadata resident in HBM (every full block-head). */
uint64_t kv_meta_bytes(const struct kv_dir *d);
/* Bytes of HBM cache holding blocks now (used slots x block bytes). */
uint64_t kv_hbm_bytes(const struct kv_dir *d);
const struct kv_stats *kv_dir_stats(const struct kv_dir *d);

/*
 * Verify every invariant listed at the top, over all requests and slots
 * (O(all block-heads): for tests and optional per-iteration checking).
 * 0, or SS_EINVAL with a message naming the first broken invariant and
 * where (request, layer, head, block, slot).
 */
int kv_dir_check(const struct kv_dir *d, struct ss_err *err);

#endif
