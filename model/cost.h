/*
 * cost.h - hardware profiles and the cost model the simulator asks.
 *
 * A hardware profile (`struct hw_profile`) holds capacities, link figures
 * and one fitted or analytic model per operation. Profiles are named
 * (`h200`, `a100-40g`, `gh200`; the named ones are compiled into the binary)
 * or read from a file. Every number in a shipped profile says where it
 * comes from (measured file, datasheet, paper), stored beside it.
 *
 * The cost functions answer "how long does this operation take alone on
 * this GPU" in integer nanoseconds. Sharing (two transfers on one link,
 * a copy kernel stealing SMs) is the simulator's job, from these numbers.
 * All costs are for ONE decoder layer unless the name says otherwise.
 */
#ifndef SS_COST_H
#define SS_COST_H

#include <stdint.h>

#include "model.h"
#include "ss.h"

struct hw_profile;

/* Ways to move KV blocks between DRAM and HBM. */
enum xfer_mech {
	XFER_MEMCPY_H2D = 0,   /* one cudaMemcpyAsync per block */
	XFER_MEMCPY_BATCH_H2D, /* cudaMemcpyBatchAsync */
	XFER_FLASH_H2D,        /* zero-copy gather kernel, `sms` SMs */
	XFER_MEMCPY_D2H,       /* one cudaMemcpyAsync per block */
	XFER_FLASH_D2H,        /* bulk copy to staging + CPU scatter */
	XFER_GPU_SCATTER_D2H,  /* zero-copy scatter kernel */
	XFER_BULK_H2D,         /* one contiguous copy */
	XFER_BULK_D2H,
	XFER_NMECH
};
const char *xfer_mech_name(enum xfer_mech m);

/* Directions of the host<->device link (sim/link.h uses them too). */
enum link_dir { LINK_H2D = 0, LINK_D2H = 1, LINK_NDIR = 2 };

/* Load a named profile or a file. 0 or error naming what is wrong. */
int hw_profile_load(struct hw_profile **out, const char *name_or_path,
		    struct ss_err *err);
void hw_profile_free(struct hw_profile *p);
/* NULL-terminated list of shipped profile names. */
extern const char *const hw_profile_names[];

/* Plain facts of a profile. */
const char *hw_profile_name(const struct hw_profile *p);
const char *hw_profile_kind(const struct hw_profile *p); /* "analytic", "calibrated", "what-if" */
/* Usable device memory: device bytes x the profile's hbm_usable_fraction
 * (0.9 in the shipped profiles, vLLM's default gpu_memory_utilization), so
 * callers must not apply a utilisation factor again. */
uint64_t hw_hbm_bytes(const struct hw_profile *p);
/* Device memory as the driver reports it, before any reserve. */
uint64_t hw_hbm_device_bytes(const struct hw_profile *p);
uint64_t hw_dram_bytes(const struct hw_profile *p);  /* pinned host pool limit */
uint32_t hw_sm_count(const struct hw_profile *p);
double hw_link_bw(const struct hw_profile *p, enum link_dir d);  /* bytes/s, one direction alone */
double hw_link_bidir_bw(const struct hw_profile *p);             /* bytes/s, both at once, total */
int64_t hw_link_latency_ns(const struct hw_profile *p);

/* The cost model: a profile bound to a model. */
struct cost_model {
	const struct hw_profile *hw;
	const struct model *m;
};
/*
 * Check that the model fits the hardware (weights + activations < HBM).
 * Error names both, e.g. "model 'llama-3.1-70b' (141.1 GB of weights) does
 * not fit profile 'h200' (139.8 GB HBM)".
 */
int cost_check_fit(const struct cost_model *c, struct ss_err *err);
/* Bytes of HBM reserved for activations/workspace for a batch of `tokens`. */
uint64_t cost_activation_bytes(const struct cost_model *c, uint64_t max_tokens);

/* QKV, output, gate/up, down projections for `tokens` tokens, one layer. */
int64_t cost_linear_ns(const struct cost_model *c, uint64_t tokens);
/* RMSNorms, RoPE, SwiGLU, residual adds, KV append, one layer. */
int64_t cost_layer_misc_ns(const struct cost_model *c, uint64_t tokens);
/*
 * Prefill attention of one request, one layer: `q_tokens` new queries
 * (causal among themselves) attending also to `kv_prior` earlier tokens
 * (chunked prefill reads them again).
 */
int64_t cost_prefill_attn_ns(const struct cost_model *c, uint64_t q_tokens,
			     uint64_t kv_prior);
/*
 * Decode attention, one layer, `batch` requests reading `kv_tokens` KV
 * tokens in total (dense: their contexts; sparse: their selected blocks'
 * tokens). `sparse` selects the sparse kernel's fitted curve.
 */
int64_t cost_decode_attn_ns(const struct cost_model *c, uint64_t batch,
			    uint64_t kv_tokens, int sparse);
/* DSA block selection, one layer: score `blocks` block-heads' digests
 * for `batch` requests and take the top-k. */
int64_t cost_select_ns(const struct cost_model *c, uint64_t batch,
		       uint64_t blocks);
/* Per iteration, once: final norm, LM head and sampling for `seqs`
 * sequences, plus the fixed launch and host scheduling overhead. */
int64_t cost_iter_fixed_ns(const struct cost_model *c, uint64_t seqs,
			   uint64_t tokens);
/*
 * The live executor's own costs (the profile's optional "executor" section,
 * 0 without one). GPU work around the kernels in one layer: `decode_seqs`
 * decode requests (`sparse_layer`: the layer uses DSA), `prefill_tokens`
 * prefill tokens and `gather_tokens` earlier KV tokens gathered for chunked
 * prefill (a layer running such a chunk pays chunk_layer_ns too); under an
 * offload policy (`offload`) the loads' and saves' index work and the
 * selections' upload. Host time to issue one layer: `items` requests with
 * `prefill_tokens` prefill tokens and, under an offload policy (`offload`),
 * `hits` block-heads found in HBM and `misses` not: the issue work plus the
 * policy's look-ups, or the larger of the two where the profile has two
 * host stages (hw_exec.host_stages). A hit costs more where the requests'
 * contexts are longer (`ctx_tokens`, the mean context of the layer's
 * decode requests; host_hit_ctx_ns per doubling over 1,024 tokens:
 * cost_ctx_doublings).
 */
int64_t cost_exec_layer_ns(const struct cost_model *c, uint64_t decode_seqs,
			   int sparse_layer, uint64_t prefill_tokens,
			   uint64_t gather_tokens, int offload);
/* The GPU's wait per layer that loads blocks, beyond the link's latency
 * (executor profiles; 0 otherwise). */
int64_t cost_exec_load_layer_ns(const struct cost_model *c);
/* The GPU's work per layer that loads blocks, outside that wait (its
 * block lists and the load kernel on the compute stream; executor
 * profiles, scaled with the GPU; 0 otherwise). */
int64_t cost_exec_load_gpu_ns(const struct cost_model *c);
/* Offload presets: an iteration with prefill tokens closes that much
 * after its last kernel, beyond the host op (executor profiles; 0
 * otherwise). */
int64_t cost_exec_prefill_tail_ns(const struct cost_model *c);
int64_t cost_exec_host_ns(const struct cost_model *c, uint64_t items,
			  uint64_t prefill_tokens, uint64_t hits,
			  uint64_t misses, int offload, double ctx_tokens);
/* log2(ctx_tokens / 1024), 0 at 1,024 tokens or fewer: what the per-hit
 * host cost grows by (the executor fit's context term) */
double cost_ctx_doublings(double ctx_tokens);
/* 1 when the profile has the executor section */
int cost_has_exec(const struct cost_model *c);

/*
 * Moving `count` fragments of `frag_bytes` each by mechanism `mech`, alone
 * on an idle link (`sms`: SMs given to a copy kernel, 0 = profile default).
 * Includes the per-call and launch overheads.
 */
int64_t cost_transfer_ns(const struct cost_model *c, enum xfer_mech mech,
			 uint64_t frag_bytes, uint64_t count, uint32_t sms);
/* Fraction of compute throughput left while a copy kernel holds `sms` SMs. */
double cost_compute_share(const struct cost_model *c, enum xfer_mech mech,
			  uint32_t sms);

/*
 * Factor (>= 1) by which a kernel slows while `mech` moves data beside it:
 * `memory_bound` 0 for compute-bound work (GEMMs, prefill attention), 1
 * for memory-bound work (decode attention, norms). Measured on our H200
 * with the mechanisms' default SMs and threads (cost.c says which rows of
 * kernels/results/h200/summary.csv); 1 for copy-engine mechanisms.
 */
double cost_copy_slowdown(const struct cost_model *c, enum xfer_mech mech,
			  int memory_bound);

#endif
