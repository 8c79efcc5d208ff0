/*
 * sim.h - the discrete-event simulator of one serving run.
 *
 * Events are request arrivals and iteration ends, ordered by (time, seq)
 * (sim/evq.h). When the GPU is idle and the policy has work, the policy
 * plans an iteration (policy/policy.h), the executor gives its duration,
 * and an iteration-end event is scheduled. The caller drives the loop:
 *
 *   sim_init(&s, &opts, &err);
 *   while ((rc = sim_step(&s, &err)) > 0) ;   // or sim_run()
 *   ... read s.pol.reqs, s.iters ...
 *   sim_release(&s);
 *
 * The executor is a table of function pointers (struct sim_exec_ops): the
 * cost-model executor below computes durations in virtual time; the live
 * executor measures them on the GPU.
 */
#ifndef SS_SIM_H
#define SS_SIM_H

#include <signal.h>
#include <stdint.h>

#include "model/cost.h"
#include "policy/policy.h"
#include "sim/config.h"
#include "sim/evq.h"
#include "sim/link.h"
#include "ss.h"
#include "traces/trace.h"

/* What an executor reports for one iteration. */
struct sim_exec_result {
	int64_t dur_ns;      /* wall or virtual duration of the iteration */
	int64_t linear_ns;   /* of which: projections and MLP */
	int64_t attn_ns;     /* attention (prefill + decode) */
	int64_t select_ns;   /* DSA selection */
	int64_t other_ns;    /* norms, LM head, sampling, overheads */
	/* offload executors (0 otherwise) */
	int64_t load_ns;     /* waiting for H2D loads (critical path) */
	int64_t stall_ns;    /* waiting for a save to free a cache slot */
	int64_t busy_ns[LINK_NDIR]; /* link busy per direction in the iteration */
	uint64_t hits;       /* block-heads found in HBM (incl. in flight) */
	uint64_t blocks_loaded, bytes_loaded; /* H2D, block-heads and bytes */
	uint64_t blocks_saved, bytes_saved;   /* D2H begun, block-heads, bytes */
	uint64_t evictions;  /* clean HBM slots the replacement policy
				reclaimed (block-heads) */
	/* the live executor (0 otherwise), for calibrating the simulator
	 * against it (calibrate --fit-exec, docs/calibration.md) */
	int64_t gpu_ns;      /* compute stream busy from first to last kernel */
	int64_t host_ns;     /* host time issuing the iteration's work */
	int64_t issue_ns;    /* of which on the issue thread (live offload
				presets with it; 0 otherwise) */
	int64_t wait_ns;     /* the policy's thread waiting for it */
	int64_t gap_ns;      /* the GPU idle between layers: each layer's
				first work after the last one's end (events) */
	int64_t model_ns;    /* the cost model's compute estimate of the plan
				(sim_exec_costmodel on the same profile) */
	uint64_t gather_tokens; /* earlier KV tokens gathered for chunked prefill */
	uint32_t load_layers; /* offload: layers that loaded blocks on demand */
};

/*
 * An executor. run() carries out `plan` and reports its duration; it may
 * drive the policy's per-layer loop (policy/offload.h), hence the
 * non-const policy.
 */
struct sim_exec_ops {
	const char *name;
	int (*run)(void *priv, struct pol *p, const struct pol_plan *plan,
		   struct sim_exec_result *res, struct ss_err *err);
	/* Optional (NULL: none). attach: called by sim_init once the policy
	 * exists, before any request arrives (the live executor sizes its
	 * GPU state from it and sets the selection source). begin: called
	 * before each iteration is planned, so an executor that measures
	 * wall time can count the host's planning in the iteration. */
	int (*attach)(void *priv, struct pol *p, struct ss_err *err);
	void (*begin)(void *priv, int64_t now_ns);
};

/* The cost-model executor: priv is a `const struct cost_model *`. */
extern const struct sim_exec_ops sim_exec_costmodel;
/* In a live result file's `executor` attribute: its model_s came from a
 * cost model that prices layer-segmented prefill by layer range (the
 * executor fit takes those iterations then, calibrate/exec_fit.c). */
#define SIM_MODEL_S_BY_LAYER "model_s by layer range"
/* Likewise: the executor called the GEMM shapes of every row count a
 * layer call reaches before the run, every 8th above LIVE_WARM_DENSE
 * (live_warm_gemms; builds since session 19), so its iterations did not
 * wait for cuBLAS to load a kernel, but for a row count between those
 * steps where cuBLAS picks a kernel its neighbours did not (the executor
 * fit keeps every iteration of such runs). */
#define SIM_GEMMS_WARMED "every GEMM shape warmed"

/*
 * The offload executor (sim/exec_offload.c): per layer, DSA selection, the
 * loads of the misses on the shared PCIe link (critical path), compute,
 * then the saves as background D2H flows that persist across iterations.
 * priv is a `struct sim_offload *` from sim_offload_alloc().
 */
extern const struct sim_exec_ops sim_exec_offload;

/* Whether item `it` runs at `layer` of `layers` (a plan built by hand may
 * leave layer_hi 0: every layer). */
static inline int sim_item_at(const struct pol_item *it, uint32_t layer,
			      uint32_t layers)
{
	return layer >= it->layer_lo &&
	       layer < (it->layer_hi ? it->layer_hi : layers);
}

/*
 * The compute of one layer of `plan` on cost model `c`, over the items that
 * run there: linear, attention (prefill; decode dense, or on a `sparse`
 * layer the sparse kernel for the rows that select and the dense one for
 * the others), misc plus the executor's GPU terms (`offload`: those under
 * offload), and the DSA selection. Both executors price layers with it.
 */
void sim_layer_compute(const struct cost_model *c, const struct pol_plan *plan,
		       uint32_t layer, int sparse, int offload, int64_t *linear,
		       int64_t *attn, int64_t *other, int64_t *select);
struct sim_offload;
/*
 * Create the offload executor's state for policy `p` (an offload preset)
 * on cost model `c`: the link from the profile, the selection source
 * `selection` ("NAME[:ARG]", NULL = the locality model with defaults)
 * seeded from `seed`. NULL and `err` filled on error.
 */
struct sim_offload *sim_offload_alloc(const struct cost_model *c,
				      struct pol *p, const char *selection,
				      uint64_t seed, struct ss_err *err);
/*
 * Apply the run config's offload.save_mech (0: keep the preset's save
 * mechanism) and offload.save_buffer_mb; sim_init calls it after
 * sim_offload_alloc (without it: the preset's mechanism, no bound).
 */
struct sim_config;
int sim_offload_configure(struct sim_offload *x, const struct sim_config *cfg,
			  struct ss_err *err);
void sim_offload_free(struct sim_offload *x);
/* The link (for tests and metrics). */
const struct link *sim_offload_link(const struct sim_offload *x);
/* Rate caps of the load and save mechanisms, bytes/s (for tests). */
void sim_offload_caps(const struct sim_offload *x, double *load_bps,
		      double *save_bps);

/* One iteration, as recorded for the per-iteration time series. */
struct sim_iter_rec {
	int64_t start_ns, dur_ns;
	uint32_t batch;          /* requests in the iteration */
	uint32_t prefill_tokens;
	uint32_t decode_seqs;
	uint32_t preempted;
	uint64_t hbm_kv_bytes;   /* KV bytes held in HBM */
	uint32_t waiting;        /* requests waiting after planning */
	/* offload presets (0 otherwise) */
	uint64_t blocks_loaded, bytes_loaded; /* H2D block-heads, bytes */
	uint64_t blocks_saved, bytes_saved;   /* D2H begun, block-heads, bytes */
	uint64_t hits;           /* block-heads found in HBM */
	uint64_t evictions;      /* HBM slots reclaimed (block-heads) */
	uint64_t ws_sum;         /* sum of the admitted working sets, bytes */
	uint64_t ws_budget;      /* M_avl, bytes */
	uint32_t held_back;      /* candidates left out by the batch control */
	uint32_t lp_layers;      /* prefill layers advanced (layer prefill) */
	uint32_t sparse_layers;  /* layers using DSA in this iteration */
	double decode_ctx;       /* mean context (KV tokens before the
				    iteration) of its decode requests, 0
				    with none: what a hit's policy cost
				    grows with (cost_exec_host_ns) */
	int64_t load_ns;         /* waiting for loads */
	int64_t stall_ns;        /* waiting for cache room */
	int64_t busy_ns[LINK_NDIR]; /* link busy per direction */
	/* the live executor only (see struct sim_exec_result) */
	int64_t gpu_ns, host_ns, issue_ns, wait_ns, gap_ns, model_ns;
	uint64_t gather_tokens;
	/* the plan's prefill tokens and gathered KV tokens, each times the
	 * layers its item runs (all of them except under layer-segmented
	 * prefill): what the executor's per-token terms are charged on */
	uint64_t prefill_layer_tokens, gather_layer_tokens;
	uint32_t load_layers;    /* offload: layers that loaded blocks */
	uint32_t prefill_layers; /* layers that ran prefill tokens */
};

struct sim_opts {
	const struct pol_preset *preset;
	const struct sim_config *cfg;
	const struct model *m;
	const struct cost_model *cost;
	const struct trace *trace;
	const struct sim_exec_ops *exec; /* NULL: the cost-model executor, or
					    the offload one for offload presets */
	void *exec_priv;                 /* NULL: cost */
	const char *selection;           /* offload: "NAME[:ARG]" (NULL: locality) */
	uint64_t seed;                   /* seeds the selection source */
	uint64_t dram_bytes;             /* host DRAM for KV (0: the profile's) */
	const volatile sig_atomic_t *stop; /* raised by a signal: sim_run
					    returns SS_EINTR (NULL: never) */
};

struct sim {
	struct sim_opts o;
	struct pol pol;
	struct pol_plan plan;
	struct evq q;
	int64_t now;
	int busy;                 /* an iteration is in flight */
	size_t next_arrival;      /* index of the next request to arrive */
	uint64_t kv_capacity;     /* HBM bytes for KV */
	struct sim_iter_rec *iters;
	size_t niters, iters_alloc;
	uint64_t events;          /* events processed */
	struct sim_exec_result totals; /* sums over all iterations */
	struct sim_offload *xo;   /* offload executor state (offload presets) */
};

enum { SIM_EV_ARRIVAL = 1, SIM_EV_ITER_END = 2 };

/*
 * HBM bytes left for KV: the device's HBM x mem.gpu_util minus weights and
 * activations, then capped at mem.hbm_budget_gb. Error (naming model and
 * profile) if the model does not fit.
 */
int sim_kv_capacity(const struct cost_model *cost, const struct sim_config *cfg,
		    uint64_t *out, struct ss_err *err);

int sim_init(struct sim *s, const struct sim_opts *o, struct ss_err *err);
/* Process one event. 1: progressed, 0: nothing left, <0: error. */
int sim_step(struct sim *s, struct ss_err *err);
/* Step until done; progress on a terminal. SS_EINTR when opts.stop was
 * raised: the state so far is consistent and can be summarized. */
int sim_run(struct sim *s, struct ss_err *err);
void sim_release(struct sim *s);

#endif
