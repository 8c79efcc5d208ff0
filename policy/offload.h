/*
 * offload.h - the offload presets' side of the policy: the HBM block cache
 * (a KV directory, kvdir.h), the working-set estimator (wsest.h), the DSA
 * digest budget, and the per-layer loop an executor drives while it runs
 * one iteration.
 *
 * Per iteration, for each layer l (the executor owns the clock and the
 * link; this code owns the KV state):
 *
 *   off_layer_fetch(p, plan, l)   for each item active at layer l:
 *       decode: per KV head, the selection from the executor's source
 *       (select.h), recorded in the working-set estimator, then kv_fetch
 *       (hits pinned, misses start LOADING); prefill: kv_fetch of every
 *       full block the earlier chunks wrote in this layer; then kv_append
 *       of the item's new tokens (written into HBM).
 *       Returns 0, or SS_ERANGE when the cache has no room (every slot
 *       pinned, dirty, saving or loading): the executor lets a save finish
 *       (a stall), then calls again; the loop resumes where it stopped and
 *       never asks the source twice for one selection.
 *       New misses are in off->miss[off->miss_taken .. off->nmiss).
 *   off_loads_done(p, slots, n)   the executor's loads completed
 *   ...executor computes the layer...
 *   off_layer_end(p, plan, l)     unpin; kv_save_begin every dirty block of
 *       the layer's items; the ranges are in off->saves[0 .. nsaves)
 *   off_save_done(p, ...)         when the executor's D2H copy completes;
 *       a layer-prefill request's saved blocks are dropped from HBM at
 *       once (kv_drop_clean), and a finished request's directory entry is
 *       freed once its last save lands.
 *
 * Plain C: no clock, no I/O. The selection source is the executor's
 * (pol_set_selection), called only through select.h.
 */
#ifndef SS_POLICY_OFFLOAD_H
#define SS_POLICY_OFFLOAD_H

#include <stdint.h>

#include "kvdir.h"
#include "policy.h"
#include "select.h"
#include "ss.h"
#include "wsest.h"

/* One save the executor must carry out: blocks [first, first + count) of
 * (kv request, layer), every KV head. */
struct off_save {
	int32_t kv;       /* KV directory id */
	uint32_t layer;
	uint32_t first;   /* first block number */
	uint32_t count;   /* blocks per head */
	uint64_t bytes;   /* count x kv_heads x block bytes */
};

struct pol_off {
	struct kv_dir *kv;
	struct ws_est *ws;
	struct sel_source *src;   /* the executor's selection source */
	struct sel_params sp;
	struct kv_shape shape;    /* kv_heads: the heads simulated */
	uint32_t head_scale;      /* model KV heads per simulated head: 1,
				     or more in the sampled mode
				     (cfg.sample_heads) */
	uint64_t block_bytes;     /* one simulated block-head, K + V, bytes:
				     head_scale real block-heads */
	uint64_t cache_bytes;     /* M_avl: cache slots x block bytes */
	uint64_t meta_budget;     /* bytes of HBM for digests */
	uint64_t hbm_bytes;       /* the HBM KV capacity: digests + cache */
	uint64_t meta_used;       /* bytes reserved by admitted requests */
	uint32_t max_inject;      /* token x layer units per iteration */
	/* per KV id: owner request index and "finished, free when saved" */
	uint32_t *owner;
	uint8_t *zombie;
	size_t ids_alloc;
	/* cursor of the per-layer loop */
	uint32_t cur_layer;
	size_t cur_item;
	uint32_t cur_head;
	uint8_t cur_phase;        /* 0: fetch heads, 1: append */
	uint8_t have_sel;         /* selection of cur_head taken, not fetched */
	struct sel_out sel;
	uint32_t *seq;            /* 0, 1, 2, ... (prefill fetches) */
	size_t seq_alloc;
	int32_t *scratch;         /* kv_fetch miss buffer */
	size_t scratch_alloc;
	int32_t *miss;            /* miss slots of the current layer */
	size_t nmiss, miss_taken, miss_alloc;
	struct off_save *saves;   /* saves begun by the last off_layer_end */
	size_t nsaves, saves_alloc;
	uint64_t hits, misses;    /* block-heads fetched this run */
	/* next-layer prefetch (cfg.prefetch; off_prefetch) */
	uint32_t **pred;          /* per KV id: [L x H] counts, then
				     [L x H x sel.cap] the last selection */
	int32_t *pf;              /* slots loading for the open round */
	size_t npf, pf_alloc;
	uint32_t pf_layer;        /* layer of the open round */
	uint8_t pf_open;          /* a round is open (not settled) */
	uint8_t *pf_mark;         /* [nslots] prefetched, not used yet */
	uint64_t pf_loaded;       /* block-heads prefetched (H2D) this run */
	uint64_t pf_used;         /* of them: selected at their layer */
	uint64_t pf_wasted;       /* of them: not selected (mispredicted) */
};

/* Set up p->off for an offload preset: cache of `hbm_bytes` minus the
 * digest budget. SS_ERANGE if either part is empty. */
int off_init(struct pol *p, uint64_t hbm_bytes, struct ss_err *err);
void off_release(struct pol *p);

/* The executor's selection source; must be set before pol_schedule on an
 * offload preset (every admitted request is registered with it). */
void pol_set_selection(struct pol *p, struct sel_source *src);

/* Digest bytes a request of `tokens` tokens reserves (its full blocks). */
uint64_t off_meta_bytes(const struct pol *p, uint64_t tokens);

/* Register / forget request `idx` in the directory, estimator, source. */
int off_admit(struct pol *p, uint32_t idx, struct ss_err *err);
void off_finish(struct pol *p, uint32_t idx);

/* M_req of Algorithm 1 for `it` of request `r` (see docs/sparseserve.md). */
uint64_t off_ws_bytes(const struct pol *p, const struct pol_req *r,
		      const struct pol_item *it);

/* Start the per-layer loop of `plan` (resets the cursor). */
void off_iter_begin(struct pol *p);
/* See the top of this file. 0, SS_ERANGE (retry after a save), or an
 * error from the source or the directory. */
int off_layer_fetch(struct pol *p, const struct pol_plan *plan,
		    uint32_t layer, struct ss_err *err);
void off_loads_done(struct pol *p, const int32_t *slots, uint32_t n);
void off_layer_end(struct pol *p, const struct pol_plan *plan, uint32_t layer);
void off_save_done(struct pol *p, int32_t kv, uint32_t layer, uint32_t first,
		   uint32_t count);

/*
 * Next-layer prefetch (cfg.prefetch = 1; docs/sparseserve.md): called
 * while layer `layer` - 1 computes, after its loads. For each decode item
 * of `plan` active at `layer` with a previous step, the prediction is the
 * selection of (request, layer, head) at the previous step; its blocks
 * are fetched (pinned; misses start LOADING, best effort: a head that
 * does not fit is skipped). The new loads are off->pf[0 .. npf); the
 * executor moves them on the link and calls off_loads_done, and must let
 * them land before `layer` computes. The round is settled (used and
 * wasted counted) when the next round opens or `layer` ends.
 */
int off_prefetch(struct pol *p, const struct pol_plan *plan, uint32_t layer,
		 struct ss_err *err);

/* Whether item `it` runs at layer `l`. */
static inline int off_item_at(const struct pol_item *it, uint32_t l)
{
	return l >= it->layer_lo && l < it->layer_hi;
}

#endif
