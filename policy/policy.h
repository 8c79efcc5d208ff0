/*
 * policy.h - the shared serving policy: request states, the iteration
 * scheduler (continuous batching, chunked prefill, paged KV accounting in
 * HBM, preemption by recompute) and the plan of one iteration.
 *
 * This code is linked unchanged into the simulator and the live executor.
 * It has no clock, no I/O and no CUDA: the caller passes the time in and
 * executes the plans it returns.
 *
 * Life of a run:
 *   pol_init()                 one policy preset, config, model, capacity
 *   pol_add_request()          at each arrival (time passed in)
 *   pol_schedule()             when the GPU is idle: fills a pol_plan
 *   ...executor runs the plan, measures or computes its duration...
 *   pol_complete()             at the iteration's end time
 *   pol_release()
 *
 * Invariants (checked by pol_check()): KV blocks in use never exceed the
 * KV capacity; every request is in exactly one queue; a finished request
 * holds no blocks; under an offload preset also every invariant of the KV
 * directory (kvdir.h).
 *
 * Offload presets (vllm-so and up the ablation ladder, policy/offload.h):
 * the paged-block accounting is against host DRAM, reserved for a
 * request's whole length (prompt + output) at admission, so nothing is
 * ever preempted; HBM holds the DSA digests of every full block-head of
 * the admitted requests (reserved at admission against a digest budget,
 * `meta_frac` of the HBM KV space) and an HBM block cache (the rest),
 * managed by the KV directory, which the per-layer loop of offload.h
 * drives while an executor runs the iteration.
 */
#ifndef SS_POLICY_H
#define SS_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "model/model.h"
#include "ss.h"

/* Tunables of the scheduler; defaults from pol_config_default(). */
struct pol_config {
	uint32_t block_tokens;       /* tokens per KV block (32) */
	uint32_t max_num_seqs;       /* requests per iteration (256) */
	uint32_t max_batched_tokens; /* tokens per iteration = prefill chunk (2048) */
	double gpu_mem_util;         /* share of HBM the server may use (0.9) */
	double watermark;            /* share of KV blocks kept free when admitting (0.01) */
	uint32_t token_budget;       /* DSA top-k budget, tokens (2048) */
	uint32_t sink_blocks;        /* DSA blocks always kept at the start (2) */
	uint32_t window_blocks;      /* DSA blocks always kept at the end (2) */
	uint32_t dense_layers;       /* first layers kept dense under DSA (0) */
	double meta_frac;            /* offload: share of the HBM KV space
					reserved for DSA digests (0.25) */
	uint32_t ws_window;          /* offload+WC: decode steps in a working
					set, w of Algorithm 1 (12) */
	uint32_t max_inject;         /* offload+LP: maxInjectToken, token x
					layer units per iteration (0: chunk
					size x layers) */
	/* beyond the paper, off by default (docs/sparseserve.md) */
	double ws_fresh_factor;      /* offload+WC: working set of a decode
					request with no history = factor x one
					step's selection per layer-head, at most
					its full blocks; 0 = measured from the
					running requests (1: the one-step rule) */
	uint32_t prefetch;           /* offload: 1 = while layer l computes,
					load the blocks layer l + 1 selected at
					the previous step (0) */
	uint32_t sample_heads;       /* offload, sampled mode: KV heads per
					layer simulated, each standing for
					kv_heads / sample_heads (a divisor);
					0 = all (full fidelity, default) */
};
void pol_config_default(struct pol_config *c);

/* What a policy preset switches on (ablation ladder of the paper). */
struct pol_preset {
	const char *name;
	const char *help;
	int sparse;        /* DSA decode attention (+SA) */
	int offload;       /* all KV in DRAM, HBM block cache (+Offload) */
	int flash;         /* FlashH2D loads, FlashD2H saves (+FT); else one
			      cudaMemcpyAsync per block each way */
	int wsctl;         /* working-set-aware batch control (+WC) */
	int layer_prefill; /* layer-segmented prefill (+LP) */
};
/* NULL-terminated registry: vllm, vllm-s, vllm-so, so-ft, so-ft-wc,
 * sparseserve (the paper's ablation ladder, one switch per step). */
extern const struct pol_preset *const pol_presets[];
const struct pol_preset *pol_preset_find(const char *name);

enum pol_state {
	POL_PENDING = 0, /* not arrived yet */
	POL_WAITING,     /* arrived, in the waiting queue */
	POL_RUNNING,     /* holds KV in HBM, scheduled each iteration */
	POL_FINISHED,
	POL_REJECTED,    /* can never be served (too long for HBM or model) */
};

/* A request as the policy tracks it; metrics are filled as it runs. */
struct pol_req {
	uint64_t id;            /* trace id */
	int64_t arrival_ns;
	uint32_t prompt_tokens;
	uint32_t output_tokens;
	enum pol_state state;
	uint32_t generated;     /* output tokens produced so far */
	uint32_t kv_tokens;     /* tokens whose KV is in HBM */
	uint32_t prefill_target;/* tokens to prefill: prompt (+ generated after preemption) */
	uint32_t blocks;        /* HBM KV blocks held */
	uint32_t preemptions;
	int64_t first_sched_ns; /* first time scheduled (-1: never) */
	int64_t first_token_ns; /* -1 until the first token */
	int64_t last_token_ns;
	int64_t finish_ns;
	int64_t max_tbt_ns;
	int64_t sum_tbt_ns;     /* over generated - 1 gaps */
	const char *reject_reason;
	/* offload presets */
	int32_t kv;             /* KV directory id (-1: none) */
	uint64_t dsteps;        /* decode steps taken (selection step index) */
	uint32_t lp_layers;     /* layer prefill: layers done of this prefill */
	uint32_t lp_tokens;     /* layer prefill: tokens done in layer lp_layers
				   (when one layer is chunked by tokens) */
	uint64_t meta_bytes;    /* digest bytes reserved in HBM */
	uint32_t held_back;     /* iterations held back by the batch control */
};

/* One request's work in an iteration. */
struct pol_item {
	uint32_t req;       /* index into pol.reqs */
	uint32_t q_tokens;  /* new tokens (prefill chunk or 1 for decode) */
	uint32_t kv_prior;  /* tokens already in KV before this iteration */
	uint32_t kv_read;   /* decode: KV tokens attention reads per layer */
	uint32_t sel_blocks;/* decode, sparse: full blocks scored per KV head */
	uint8_t decode;     /* 1 decode, 0 prefill */
	uint8_t emits;      /* 1: produces a token when the iteration ends */
	uint32_t layer_lo;  /* layers [layer_lo, layer_hi) run this item: all */
	uint32_t layer_hi;  /* of them except under layer-segmented prefill */
	uint64_t ws_bytes;  /* offload: M_req of Algorithm 1, bytes */
};

/* The plan of one iteration. */
struct pol_plan {
	struct pol_item *items;
	size_t n, alloc;
	uint64_t iter;             /* iteration number */
	int64_t start_ns;
	uint32_t prefill_tokens;   /* sum of q_tokens over prefill items */
	uint32_t decode_seqs;      /* decode items */
	uint64_t decode_kv_read;   /* sum of kv_read over decode items */
	uint64_t sel_blocks;       /* sum of sel_blocks over decode items */
	uint32_t preempted;        /* requests preempted while planning */
	uint32_t sparse_layers;    /* layers running the selection and sparse
				      decode attention: 0 where no decode
				      item has blocks to select */
	uint64_t hbm_kv_bytes;     /* KV bytes held in HBM after planning
				      (offload: digests + cache slots used) */
	uint32_t held_back;        /* offload+WC: candidates left out */
	uint64_t ws_sum;           /* offload: sum of M_req admitted, bytes */
	uint64_t ws_budget;        /* offload: M_avl (the cache), bytes */
	uint32_t lp_layers;        /* layer prefill: prefill layers advanced */
};

/* Gap between two tokens of one request, kept for TBT percentiles. */
struct pol_gap {
	uint32_t req;
	int64_t gap_ns;
};

struct pol {
	const struct pol_preset *preset;
	struct pol_config cfg;
	const struct model *m;
	struct pol_req *reqs;       /* all requests, in trace order */
	size_t nreqs;
	uint32_t *waiting;          /* ring of request indices, FCFS */
	size_t wait_head, wait_len, wait_cap;
	uint32_t *running;          /* in admission order */
	size_t nrunning;
	uint64_t total_blocks;      /* KV capacity in blocks */
	uint64_t free_blocks;
	uint64_t block_bytes;       /* HBM bytes per block (all layers, KV + digests) */
	uint64_t nfinished, nrejected;
	uint64_t iter;
	struct pol_gap *gaps;       /* every inter-token gap */
	size_t ngaps, gaps_alloc;
	uint64_t preemptions;
	struct pol_off *off;        /* offload state (offload.h); NULL else */
};

/*
 * Set up a policy over `nreqs` requests (arrival, lengths copied by the
 * caller into reqs[] through pol_add_request()). `kv_capacity_bytes` is the
 * HBM left for KV after weights, activations and reserves. Error if not
 * even one block fits.
 */
int pol_init(struct pol *p, const struct pol_preset *preset,
	     const struct pol_config *cfg, const struct model *m,
	     uint64_t kv_capacity_bytes, size_t nreqs, struct ss_err *err);
/*
 * pol_init with the host DRAM pool for KV: offload presets account their
 * paged blocks against `dram_bytes` (0: unlimited) and use all of
 * `kv_capacity_bytes` as HBM (digests + block cache). Errors as pol_init,
 * and SS_EINVAL/SS_ERANGE when the digest budget or the cache is empty.
 */
int pol_init_mem(struct pol *p, const struct pol_preset *preset,
		 const struct pol_config *cfg, const struct model *m,
		 uint64_t kv_capacity_bytes, uint64_t dram_bytes, size_t nreqs,
		 struct ss_err *err);
void pol_release(struct pol *p);

/* Register request `idx` (0..nreqs-1) arriving at `now`. Requests that can
 * never fit are marked rejected at once. */
void pol_add_request(struct pol *p, uint32_t idx, uint64_t id, int64_t now,
		     uint32_t prompt_tokens, uint32_t output_tokens,
		     uint64_t max_positions);

/* Any work to plan? */
int pol_has_work(const struct pol *p);

/* Plan the next iteration starting at `now`. 0, or an error. */
int pol_schedule(struct pol *p, int64_t now, struct pol_plan *plan,
		 struct ss_err *err);

/* The iteration of `plan` ended at `now`: emit tokens, finish requests. */
void pol_complete(struct pol *p, const struct pol_plan *plan, int64_t now);

/* Check the invariants; BUG() on violation. */
void pol_check(const struct pol *p);

/* Bytes of HBM one KV block of all layers takes under this policy. */
uint64_t pol_block_bytes(const struct pol_preset *preset,
			 const struct pol_config *cfg, const struct model *m);

void pol_plan_init(struct pol_plan *plan);
void pol_plan_release(struct pol_plan *plan);

#endif
