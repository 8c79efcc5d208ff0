/*
 * config.h - the run configuration: every tunable of the policy and the
 * simulator, resolved once (defaults, then a JSON file, then --set
 * key=value overrides), validated, and written with the results so any
 * result can be re-run. Unknown keys are errors.
 */
#ifndef SS_SIM_CONFIG_H
#define SS_SIM_CONFIG_H

#include "policy/policy.h"
#include "ss.h"

struct sim_config {
	struct pol_config pol;
	double slo_tbt_factor;    /* P99 TBT SLO = factor x one decode iteration (25) */
	double slo_queue_s;       /* mean scheduling delay SLO, seconds (2) */
	uint32_t slo_ref_context; /* context of the reference decode iteration, tokens (0: median prompt) */
	double hbm_budget_gb;     /* cap on HBM bytes for KV, GB (0: no cap) */
	uint32_t check_invariants;/* 1: check policy invariants every iteration */
	/* host link override, GB/s (0: the profile's); sim_config_apply_hw */
	double link_h2d_gbps, link_d2h_gbps, link_bidir_gbps;
	uint32_t save_mech;       /* offload save mechanism: enum sim_save_mech */
	double save_buffer_mb;    /* MB of saves in flight before compute waits (0: unbounded) */
	uint32_t drain_saves;     /* 1: an iteration ends when its saves have landed (our live executor) */
	double gpu_scale;         /* multiplies the GPU's compute times (1); sim_config_apply_hw */
};

/* offload.save_mech */
enum sim_save_mech {
	SIM_SAVE_PRESET = 0,   /* FlashD2H for flash presets, else per-block memcpy */
	SIM_SAVE_MEMCPY = 1,   /* one cudaMemcpyAsync per block */
	SIM_SAVE_FLASH = 2,    /* FlashD2H: bulk copy + CPU scatter */
	SIM_SAVE_GPU_SCATTER = 3 /* zero-copy scatter kernel (GPU-direct) */
};
/* Default offload.save_buffer_mb: 2 GiB of pinned staging (docs/sparseserve.md). */
#define SIM_SAVE_BUFFER_MB 2048.0

struct hw_profile;
/* Apply the config's hardware overrides (link.*, cost.gpu_scale) to a
 * loaded profile. */
int sim_config_apply_hw(const struct sim_config *c, struct hw_profile *hw,
			struct ss_err *err);

void sim_config_default(struct sim_config *c);
/* Apply "key=value"; `origin` names where it came from in errors. */
int sim_config_set(struct sim_config *c, const char *kv, const char *origin,
		   struct ss_err *err);
/* Apply a JSON file: {"sched.max_num_seqs": 128, ...} or nested groups. */
int sim_config_load(struct sim_config *c, const char *path, struct ss_err *err);
/* The resolved config as a JSON object text (malloc'd; keys sorted). */
char *sim_config_to_json(const struct sim_config *c);
/* Print "key = value  # help" lines for --help. */
void sim_config_describe(const struct sim_config *c, void *file);

#endif
