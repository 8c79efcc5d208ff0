/*
 * select.h - where DSA selections come from: the selection-source
 * interface.
 *
 * Per decode step, per layer, per KV head, dynamic sparse attention picks
 * the blocks to attend: the top-k full blocks by metadata score, plus the
 * first `sink_blocks` blocks (attention sinks) and the last
 * `window_blocks` full blocks (local window); ArkVale's defaults are 2 and
 * 2 (sparseserve-paper.md section 3). What the budget counts: by default
 * (`budget_counts_fixed` = 0) `budget_tokens` / `block_tokens` is k, the
 * number of top-k blocks only, and sink and window blocks come on top:
 * 2,048 tokens -> 64 + 2 + 2 = 68 full blocks. ArkVale's own accounting
 * (`page_topks` = the whole attention size) is `budget_counts_fixed` = 1:
 * k = budget blocks - sink - window. The partial tail block (tokens not
 * yet filling a block) is always attended and always in HBM; it is not a
 * selection and never appears in one. When a layer has no more full
 * blocks than k + sink + window, every full block is selected.
 *
 * Sources (STYLE habit 2: a const struct of function pointers with private
 * state, a NULL-terminated registry by name) live in sim/ because they
 * need GSL or HDF5: "locality" (a seeded model of step-to-step locality,
 * sim/select_locality.c) and "replay" (a recorded selection trace in HDF5,
 * sim/select_replay.c); live/ adds the real selection kernel. policy/ code
 * only calls through an open `struct sel_source`.
 *
 * Contract of select(): for each (request, layer, head) the caller asks
 * for steps 0, 1, 2, ... in order, each exactly once, with the layer's
 * current number of full blocks `nfull` (never decreasing). The source
 * writes the selection to out->blocks (ids < nfull, no duplicates, in no
 * promised order) and its change against the previous step of the same
 * (request, layer, head): out->added (selected now, not before) and
 * out->removed (selected before, not now); at step 0 everything is added.
 * The changes feed the working-set estimator (wsest.h) in O(changes).
 */
#ifndef SS_POLICY_SELECT_H
#define SS_POLICY_SELECT_H

#include <stddef.h>
#include <stdint.h>

#include "ss.h"

struct sel_params {
	uint32_t layers;          /* model layers */
	uint32_t kv_heads;        /* KV heads per layer (selection per KV head) */
	uint32_t block_tokens;    /* tokens per block (32) */
	uint32_t budget_tokens;   /* token budget (2048) */
	uint32_t sink_blocks;     /* blocks always selected at the start (2) */
	uint32_t window_blocks;   /* newest full blocks always selected (2) */
	int budget_counts_fixed;  /* 1: budget includes sink + window */
};

/* Defaults: block 32, budget 2048, sink 2, window 2, budget = top-k only. */
void sel_params_default(struct sel_params *p, uint32_t layers,
			uint32_t kv_heads);
/* 0, or SS_EINVAL naming the field (zero shape, budget below one block or
 * not above sink + window when it counts them). */
int sel_params_check(const struct sel_params *p, struct ss_err *err);
/* k: top-k blocks per (layer, head). */
uint32_t sel_topk_blocks(const struct sel_params *p);
/* Most blocks one selection holds: k + sink + window. Size the out
 * buffers with it. */
uint32_t sel_max_blocks(const struct sel_params *p);
/* Blocks selected for a layer with `nfull` full blocks. */
uint32_t sel_count(const struct sel_params *p, uint32_t nfull);

struct sel_out {
	uint32_t cap;       /* in: capacity of each array, >= sel_max_blocks */
	uint32_t *blocks;   /* out: the selection */
	uint32_t n;
	uint32_t *added;    /* out: selected now, not at the previous step */
	uint32_t nadded;
	uint32_t *removed;  /* out: selected at the previous step, not now */
	uint32_t nremoved;
};

struct sel_source_ops {
	const char *name;
	const char *help;  /* one line: what `arg` means */
	size_t priv_size;  /* bytes of private state (zeroed before init) */
	/*
	 * Set up. `arg` is the source's configuration string (NULL = defaults;
	 * for "locality" "key=value,..." parameters, for "replay" the file
	 * path); `rng` is the run's seeded gsl_rng (void * so that policy/
	 * needs no GSL header; sources that draw take their seeds from it).
	 */
	int (*init)(void *priv, const struct sel_params *p, const char *arg,
		    void *rng, struct ss_err *err);
	void (*release)(void *priv);
	/* Start request `req` (dense id) whose trace id is `key`, holding at
	 * most `max_tokens` tokens. */
	int (*req_add)(void *priv, int32_t req, uint64_t key,
		       uint64_t max_tokens, struct ss_err *err);
	void (*req_free)(void *priv, int32_t req);
	/* The selection of decode step `step` (see the contract above). */
	int (*select)(void *priv, int32_t req, uint32_t layer, uint32_t head,
		      uint64_t step, uint32_t nfull, struct sel_out *out,
		      struct ss_err *err);
};

/* An open source: the ops, their state and the parameters. */
struct sel_source {
	const struct sel_source_ops *ops;
	void *priv;
	struct sel_params p;
};

/* Open `ops` on `p`; allocates the private state. Pair with sel_close. */
int sel_open_ops(struct sel_source *s, const struct sel_source_ops *ops,
		 const struct sel_params *p, const char *arg, void *rng,
		 struct ss_err *err);
void sel_close(struct sel_source *s);

static inline int sel_req_add(struct sel_source *s, int32_t req,
			      uint64_t key, uint64_t max_tokens,
			      struct ss_err *err)
{
	return s->ops->req_add(s->priv, req, key, max_tokens, err);
}

static inline void sel_req_free(struct sel_source *s, int32_t req)
{
	s->ops->req_free(s->priv, req);
}

static inline int sel_select(struct sel_source *s, int32_t req,
			     uint32_t layer, uint32_t head, uint64_t step,
			     uint32_t nfull, struct sel_out *out,
			     struct ss_err *err)
{
	return s->ops->select(s->priv, req, layer, head, step, nfull, out,
			      err);
}

/*
 * The registry: defined in sim/select_sources.c (the sources need GSL and
 * HDF5, which policy/ may not include); policy/ code never calls these.
 */
extern const struct sel_source_ops *const sel_sources[];
/* The source called `name` (NULL = "locality"), or NULL if none. */
const struct sel_source_ops *sel_find(const char *name);
/* sel_find + sel_open_ops; SS_EINVAL listing the known names if unknown. */
int sel_open(struct sel_source *s, const char *name,
	     const struct sel_params *p, const char *arg, void *rng,
	     struct ss_err *err);

#endif
