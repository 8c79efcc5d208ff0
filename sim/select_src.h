/*
 * select_src.h - the simulator's DSA selection sources (behind the
 * interface of policy/select.h): the seeded locality model and the HDF5
 * selection-trace replay, with the trace writer and the locality model's
 * analytic overlap curve.
 *
 * Locality model parameters (`arg` = "key=value,key=value"; all optional):
 *   step_overlap  |S_t n S_{t-1}| / k of the top-k part      (default 0.87)
 *   gain12        overlap(w=12) - overlap(w=1)               (default 0.1068)
 *   gain16        overlap(w=16) - overlap(w=12)              (default 0.0031)
 *   max_age       oldest step a dropped block is recalled from (default 32)
 * overlap(w) = |S_t n (S_{t-1} u ... u S_{t-w})| / |S_t| over the top-k
 * part (sink and window blocks excluded). gain12 and gain16 are the
 * paper's Figure 8 (+10.68 and +0.31 points); step_overlap is our
 * assumption (docs/kv-hierarchy.md explains the choice).
 *
 * Selection-trace file (HDF5), written by sel_replay_writer_*:
 *   /                  attributes format = "sparseserve-selections",
 *                      version = 1, layers, kv_heads, block_tokens,
 *                      budget_tokens, sink_blocks, window_blocks,
 *                      budget_counts_fixed (all u32 but format)
 *   /requests/<key>    one group per request, <key> = trace request id in
 *                      decimal; attributes key (u64), steps (u64)
 *     nfull   u32 [steps]                full blocks per layer at each step
 *     offsets u64 [steps*layers*kv_heads + 1]
 *     blocks  u32 [offsets[last]]        record r = (step*layers + layer)
 *                      * kv_heads + head holds blocks[offsets[r] ..
 *                      offsets[r+1]), ascending, unique, < nfull[step]
 */
#ifndef SS_SIM_SELECT_SRC_H
#define SS_SIM_SELECT_SRC_H

#include <stdint.h>

#include "policy/select.h"
#include "ss.h"

extern const struct sel_source_ops sel_locality;
extern const struct sel_source_ops sel_replay;

/*
 * Open the source named by `spec`, "NAME[:ARG]" (NULL: the locality model
 * with its defaults), drawing its seeds from a generator seeded with
 * `seed`: the simulator's offload executor and the live executor open
 * their sources this way, so equal seeds give equal selections.
 */
int sel_open_spec(struct sel_source *s, const char *spec,
		  const struct sel_params *p, uint64_t seed,
		  struct ss_err *err);

/* Parameters of the locality model, as parsed from its `arg`. */
struct sel_locality_params {
	double step_overlap; /* overlap with the previous step, 0 < x <= 1 */
	double gain12;       /* overlap(12) - overlap(1), >= 0 */
	double gain16;       /* overlap(16) - overlap(12), >= 0 */
	uint32_t max_age;    /* 16 .. 1024 steps */
};

/* Parse `arg` (NULL = defaults) and validate. SS_EINVAL naming the key. */
int sel_locality_parse(const char *arg, struct sel_locality_params *lp,
		       struct ss_err *err);
/*
 * The model's expected overlap(w) for w = 1 .. max_age (larger w gives
 * overlap(max_age)), from the parameters alone: step_overlap + the recall
 * mass of ages 2..w. 0 or SS_EINVAL.
 */
int sel_locality_curve(const struct sel_locality_params *lp, uint32_t w,
		       double *overlap, struct ss_err *err);

/* Writer of selection-trace files (format above). */
struct sel_replay_writer;

/* Create `path` (written to a temporary name, renamed on close). */
int sel_replay_writer_open(struct sel_replay_writer **w, const char *path,
			   const struct sel_params *p, struct ss_err *err);
/*
 * Append the selection of (key, step, layer, head). Records of a request
 * come in order: steps 0, 1, ..., within a step layer-major then head, all
 * layers and heads present; a new key closes the previous request (keys
 * must not repeat). `blocks` need not be sorted; duplicates, ids >= nfull
 * and an nfull that differs between the heads of a step are errors.
 */
int sel_replay_writer_put(struct sel_replay_writer *w, uint64_t key,
			  uint64_t step, uint32_t layer, uint32_t head,
			  uint32_t nfull, const uint32_t *blocks, uint32_t n,
			  struct ss_err *err);
/* Finish the last request and rename the file into place. Frees `w`. */
int sel_replay_writer_close(struct sel_replay_writer *w, struct ss_err *err);
/* Give up: remove the temporary file and free `w` (NULL is fine). */
void sel_replay_writer_abort(struct sel_replay_writer *w);

#endif
