/*
 * live.h - the live executor: the simulator's engine and the very same
 * policy/ code, with iterations carried out on the GPU by kernels/.
 *
 * `sparseserve live` runs sim/sim.c's event loop with this executor in
 * place of the cost model: the scheduler plans each iteration exactly as
 * in a simulation, and run() executes the plan on the GPU with the real
 * model shapes (synthetic weights), a real HBM block cache, real DSA
 * digests and selection, and, for the offload presets, a pinned DRAM pool
 * with FlashH2D/FlashD2H or per-block copies, driven layer by layer by
 * policy/offload.h's loop (select -> look up -> load misses -> attend ->
 * save). The iteration's duration is the wall time from the start of its
 * planning to the end of its GPU work, so the engine's clock advances by
 * measured time; requests arrive at their trace times on that clock.
 * Idle gaps (GPU idle, next arrival in the future) are skipped by default
 * (the result is the same as waiting, minus the wait); --realtime sleeps
 * through them instead.
 *
 * Where the live run departs from the simulated model, on purpose:
 *  - a layer's saves are issued on their own stream as the layer ends and
 *    overlap the following layers, but the iteration ends only when its
 *    saves have landed in DRAM (the simulator lets saves run on into the
 *    next iteration);
 *  - chunked prefill attention reads the request's earlier KV gathered
 *    from its cache blocks into a contiguous buffer (one extra pass over
 *    that KV per chunk, and per 8,192-row slice of a layer-prefill layer);
 *  - the LM head runs for the rows that emit a token; sampling is not
 *    run (the tokens are not needed: lengths come from the trace).
 *
 * Memory: weights, the layer workspace, the block cache (the policy's KV
 * capacity), the block table (4 bytes per block-head of every request
 * slot), the digests (sparse presets: 2 x head_dim bf16 per block-head of
 * every request slot, at most --digest-gb), and, for offload presets, a
 * pinned DRAM pool of --dram-gb. A request slot is what one running
 * request holds; their number is fixed at start (see live_opts).
 */
#ifndef SS_LIVE_H
#define SS_LIVE_H

#include <stdint.h>

#include "model/model.h"
#include "sim/sim.h"
#include "ss.h"

struct live_opts {
	uint64_t seed;          /* weights and the selection source */
	const char *selection;  /* offload presets: "NAME[:ARG]" (NULL:
				   locality), as `sim --selection` */
	int realtime;           /* sleep through idle gaps */
	uint32_t d2h_threads;   /* FlashD2H scatter threads (0: 8) */
	uint32_t h2d_ctas;      /* FlashH2D CTAs (0: 16) */
	double digest_gb;       /* cap on the digest arena (0: 16) */
	uint64_t pool_bytes;    /* offload: pinned DRAM pool; the policy's
				   DRAM accounting must use the same */
	uint32_t max_tokens;    /* longest request (prompt + output) */
	uint32_t max_prompt;    /* longest prompt */
	uint32_t n_requests;    /* requests in the trace */
	int verbose;            /* sizes and allocations on stderr */
	int sparse_all;         /* DSA policies: every decode row through the
				   selection and the sparse kernel on the
				   sparse layers, within the budget too (the
				   executor before session 8; tests compare the
				   sparse path with dense vllm this way) */
	int serial_host;        /* offload presets: run the policy and issue
				   the GPU work on one host thread, as before
				   session 11 (default: the issue thread
				   issues layer l while the policy works on
				   layer l + 1) */
	uint64_t stage_bytes;   /* tests: the saves' device staging (0: 512
				   MiB); a smaller one makes the saves wait
				   for room within an iteration */
	uint32_t record_logits; /* tests: keep the first N logits of every
				   emitted token (0: none) */
	const struct cost_model *cost; /* NULL, or: each iteration also
				   reports this cost model's compute estimate
				   of its plan (model_ns), for calibrating the
				   simulator against the executor */
};

struct live;

/* Create the executor for model `m` (nothing is allocated on the GPU
 * until the engine attaches it to a policy). */
int live_create(struct live **out, const struct model *m,
		const struct live_opts *o, struct ss_err *err);
void live_free(struct live *lv);

/*
 * Call every GEMM shape the executor's iterations can reach, once: the
 * layer's four for every row count of a layer call (each up to
 * LIVE_WARM_DENSE rows, every LIVE_WARM_STEP-th above), the LM head's for
 * every count of emitting rows; then wait for the GPU. cuBLAS loads a
 * shape's kernel on its first call and loading waits for the GPU to go
 * idle: without this, a prefill iteration of a token count the run had
 * not seen lost about 10 ms, up to 17 (session 19). Needs the executor
 * attached (after a run, as the warm-up does). *seconds: the time it
 * took.
 */
#define LIVE_WARM_DENSE 2560
#define LIVE_WARM_STEP 8
int live_warm_gemms(struct live *lv, double *seconds, struct ss_err *err);

/* The executor (priv: the struct live). */
extern const struct sim_exec_ops live_exec;

/* What the GPU run measured beyond the engine's result structure. */
struct live_totals {
	double wall_s;          /* sum of iteration wall times */
	double host_plan_s;     /* planning (policy) time inside them */
	double host_s;          /* issuing the GPU work (policy per-layer
				   loop, uploads, launches): the GPU waits
				   when this approaches wall_s */
	double idle_skipped_s;  /* idle gaps skipped (not realtime) */
	double gpu_s;           /* first to last kernel of each iteration */
	double load_s;          /* of which loads (H2D on the compute stream) */
	double d2h_issue_s;     /* host blocked queueing FlashD2H saves */
	double issue_s;         /* the issue thread busy (offload presets,
				   not serial_host) */
	double host_wait_s;     /* the policy's thread waiting for it */
	double gap_s;           /* the GPU idle between layers (the host
				   issued a layer after the last one ran) */
	double save_tail_s;     /* saves landing after the last kernel */
	uint64_t iterations;
	uint64_t h2d_bytes, d2h_bytes;
	uint64_t kernel_select_calls;
	/* decode rows x layers past dsa.dense_layers of a DSA policy: through
	 * the selection and the sparse kernel, or read whole by the dense one
	 * (contexts within the budget) */
	uint64_t sparse_rows, whole_rows;
	char device[256];       /* GPU name */
	int driver_version, runtime_version;
	uint64_t hbm_used;      /* bytes allocated on the GPU */
};
void live_get_totals(const struct live *lv, struct live_totals *t);

/* With record_logits: the first record_logits logits of output token
 * `tok` of request `req` (trace order), or NULL if it was not emitted. */
const float *live_logits(const struct live *lv, uint32_t req, uint32_t tok);

#endif
