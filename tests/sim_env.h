/*
 * sim_env.h - what the simulator tests share: a model, a hardware profile,
 * the cost model over both and a default config with the invariants
 * checked every iteration, push() for building traces by hand, and
 * env_run() to simulate one policy over a trace.
 * Include after harness.h.
 */
#ifndef SS_TEST_SIM_ENV_H
#define SS_TEST_SIM_ENV_H

#include "harness.h"
#include "model/cost.h"
#include "model/model.h"
#include "policy/policy.h"
#include "sim/config.h"
#include "sim/sim.h"
#include "traces/trace.h"

struct env {
	struct model m;
	struct hw_profile *hw;
	struct cost_model cost;
	struct sim_config cfg;
};

static inline void env_init(struct env *e, const char *model,
			    const char *profile)
{
	struct ss_err err;

	CHECK_MSG(model_load(&e->m, model, &err) == 0, "%s", err.msg);
	CHECK_MSG(hw_profile_load(&e->hw, profile, &err) == 0, "%s", err.msg);
	e->cost.hw = e->hw;
	e->cost.m = &e->m;
	sim_config_default(&e->cfg);
	e->cfg.check_invariants = 1;
}

/* Append request `id` arriving at `at` ns with p prompt, o output tokens. */
static inline void push(struct trace *t, uint64_t id, int64_t at, uint32_t p,
			uint32_t o)
{
	struct trace_request r = { .id = id, .arrival_ns = at,
				   .prompt_tokens = p, .output_tokens = o };
	struct ss_err err;

	CHECK_EQ_I64(trace_push(t, &r, &err), 0);
}

/* Simulate `policy` over `t` on `e` (seed 1; `selection` as `sim
 * --selection`, NULL: the default source) into `s`; failures are checks. */
static inline void env_run(struct env *e, const char *policy,
			   const char *selection, const struct trace *t,
			   struct sim *s)
{
	struct sim_opts o = { .preset = pol_preset_find(policy),
			      .cfg = &e->cfg, .m = &e->m, .cost = &e->cost,
			      .trace = t, .selection = selection, .seed = 1 };
	struct ss_err err;

	CHECK_MSG(o.preset != NULL, "no preset '%s'", policy);
	CHECK_MSG(sim_init(s, &o, &err) == 0, "%s: %s", policy, err.msg);
	CHECK_MSG(sim_run(s, &err) == 0, "%s: %s", policy, err.msg);
}

#endif
