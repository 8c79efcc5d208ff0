/*
 * wsest.h - the working-set estimator of Algorithm 1 (working-set-aware
 * batch control).
 *
 * A decode request's working set is the union of the block-heads it
 * selected in its last `window` decode steps (w = 12 in the paper), summed
 * over layers and heads, in bytes = |union| x block bytes. The estimator
 * keeps it exactly and incrementally: the caller reports each step's
 * selection of each (layer, head) as a change against the previous step
 * (added and removed block ids, as the selection sources of select.h
 * produce them), and the cost is O(changes), never O(all blocks).
 *
 * Per block-head one u32 mark: bit 31 = selected at the latest step,
 * low bits = 1 + the last step at which it was selected while not selected
 * now (0 = never). A block-head is in the union at step s iff it is
 * selected now or its last selection is >= s - w + 1. Blocks that leave
 * the selection are queued in a ring of w + 1 buckets by the step of their
 * last selection; when the step advances, the bucket that falls out of the
 * window is scanned and its still-unselected entries leave the union
 * (stale entries, re-selected since, are skipped).
 *
 * Steps are the request's own decode steps (0, 1, 2, ...), not engine
 * iterations: a request held back by the batch control does not advance.
 * What it does not count (the caller adds what it needs): the partial tail
 * block of each (layer, head), always resident, and prefill needs, which
 * Algorithm 1 computes exactly. Plain C, no I/O; memory per request
 * 4 bytes per block-head, allocated once at ws_req_add.
 */
#ifndef SS_POLICY_WSEST_H
#define SS_POLICY_WSEST_H

#include <stdint.h>

#include "kvdir.h"
#include "ss.h"

struct ws_config {
	struct kv_shape shape; /* layers, kv_heads, block geometry */
	uint32_t window;       /* w, decode steps in the union (>= 1; 12) */
};

struct ws_est;

/* Create an estimator. SS_EINVAL for a bad shape or window 0. */
struct ws_est *ws_alloc(const struct ws_config *cfg, struct ss_err *err);
void ws_free(struct ws_est *ws);

/*
 * Track request `req` (a caller's dense id, e.g. the kv directory's) that
 * holds at most `max_tokens` tokens. SS_EINVAL if `req` is negative or
 * already tracked, SS_ENOMEM if its arena does not fit.
 */
int ws_req_add(struct ws_est *ws, int32_t req, uint64_t max_tokens,
	       struct ss_err *err);
/* Stop tracking `req` (no-op if not tracked). */
void ws_req_free(struct ws_est *ws, int32_t req);

/*
 * Record decode step `step` of (req, layer, head): relative to the previous
 * step's selection of the same (layer, head), `added` were selected and
 * `removed` dropped. Steps of a request must not decrease; the first call
 * with a new step ages the window. SS_EINVAL (nothing changed) for an
 * untracked request, a decreasing step, an id out of range, adding a block
 * already selected or removing one not selected.
 */
int ws_update(struct ws_est *ws, int32_t req, uint64_t step, uint32_t layer,
	      uint32_t head, const uint32_t *added, uint32_t nadded,
	      const uint32_t *removed, uint32_t nremoved, struct ss_err *err);

/* Block-heads in the union of the last `window` steps of `req`. */
uint64_t ws_blocks(const struct ws_est *ws, int32_t req);
/* The same in bytes (x block bytes): M_req of Algorithm 1. */
uint64_t ws_bytes(const struct ws_est *ws, int32_t req);
/* Block-heads selected at the latest step (all layers, heads). */
uint64_t ws_selected(const struct ws_est *ws, int32_t req);
/* Whether `req` has recorded a step yet (fresh requests have none). */
int ws_has_history(const struct ws_est *ws, int32_t req);

#endif
