/*
 * config.c - the key table behind --set and config files.
 */
#include "config.h"

#include <cJSON.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "model/profile.h"

#include "banned.h"

enum key_type { K_U32, K_F64 };

struct key {
	const char *name;
	enum key_type type;
	size_t off;
	double min, max;
	const char *help;
};

#define POL(f) (offsetof(struct sim_config, pol) + offsetof(struct pol_config, f))
#define SIM(f) offsetof(struct sim_config, f)

static const struct key keys[] = {
	{ "cost.gpu_scale", K_F64, SIM(gpu_scale), 0.01, 100,
	  "multiplies every GPU compute time of the profile (kernels and the "
	  "executor's GPU terms; not the host link, not the host threads): a "
	  "slower or faster GPU, or the validation's sensitivity to the "
	  "profile's calibration" },
	{ "dsa.dense_layers", K_U32, POL(dense_layers), 0, 1024,
	  "first layers kept dense under DSA" },
	{ "dsa.sink_blocks", K_U32, POL(sink_blocks), 0, 1024,
	  "DSA blocks always selected at the start of the context" },
	{ "dsa.token_budget", K_U32, POL(token_budget), 1, 1 << 24,
	  "DSA top-k budget in tokens (sink and window come on top)" },
	{ "dsa.window_blocks", K_U32, POL(window_blocks), 0, 1024,
	  "DSA blocks always selected at the end of the context" },
	{ "kv.block_tokens", K_U32, POL(block_tokens), 1, 4096,
	  "tokens per KV block" },
	{ "mem.gpu_util", K_F64, POL(gpu_mem_util), 0.05, 1.0,
	  "share of HBM the server may use (vLLM gpu_memory_utilization)" },
	{ "mem.hbm_budget_gb", K_F64, SIM(hbm_budget_gb), 0, 1e6,
	  "cap on HBM for KV in GB, 0 = no cap" },
	{ "mem.meta_frac", K_F64, POL(meta_frac), 0.001, 0.999,
	  "offload: share of the HBM KV space reserved for DSA digests" },
	{ "link.bidir_gbps", K_F64, SIM(link_bidir_gbps), 0, 1e5,
	  "host link, both directions together, GB/s (0: the profile's cap "
	  "scaled like the sum of the directions)" },
	{ "link.d2h_gbps", K_F64, SIM(link_d2h_gbps), 0, 1e5,
	  "host link device-to-host bandwidth, GB/s (0: the profile's); "
	  "transfer rates move by 1/r = 1/r_other + 1/r_link" },
	{ "link.h2d_gbps", K_F64, SIM(link_h2d_gbps), 0, 1e5,
	  "host link host-to-device bandwidth, GB/s (0: the profile's); "
	  "transfer rates move by 1/r = 1/r_other + 1/r_link" },
	{ "lp.max_inject", K_U32, POL(max_inject), 0, UINT32_MAX,
	  "layer prefill: maxInjectToken, token x layer units per iteration "
	  "(0: max_batched_tokens x layers)" },
	{ "sched.max_batched_tokens", K_U32, POL(max_batched_tokens), 1,
	  1 << 24, "tokens per iteration (the prefill chunk size)" },
	{ "sched.max_num_seqs", K_U32, POL(max_num_seqs), 1, 1 << 20,
	  "requests per iteration" },
	{ "sched.watermark", K_F64, POL(watermark), 0, 0.5,
	  "share of KV blocks kept free when admitting new requests" },
	{ "sim.check_invariants", K_U32, SIM(check_invariants), 0, 1,
	  "check policy invariants every iteration (slow)" },
	{ "ws.window", K_U32, POL(ws_window), 1, 1024,
	  "working-set control: decode steps in a request's working set (w)" },
	{ "ws.fresh_factor", K_F64, POL(ws_fresh_factor), 0, 1e6,
	  "working-set control: a decode request with no history counts "
	  "factor x one step's selection (at most its context); 0 = the "
	  "union/selection ratio of the running requests (beyond the paper)" },
	{ "offload.sample_heads", K_U32, POL(sample_heads), 0, 1 << 16,
	  "offload, sampled mode (approximate): simulate this many KV heads "
	  "per layer, a divisor of the model's, each standing for the rest; "
	  "0 = all heads (full fidelity)" },
	{ "offload.save_buffer_mb", K_F64, SIM(save_buffer_mb), 0, 1e9,
	  "offload: MB of KV saves in flight (pinned staging, copy queue) "
	  "before compute waits for the save path; 0 = unbounded" },
	{ "offload.drain_saves", K_U32, SIM(drain_saves), 0, 1,
	  "offload: 1 = an iteration ends when its KV saves have landed, "
	  "as our live executor does (the next finds them in DRAM, not in "
	  "HBM); 0 = saves run on into the next iterations (the paper's "
	  "system)" },
	{ "offload.save_mech", K_U32, SIM(save_mech), 0, 3,
	  "offload: KV save mechanism, 0 = the preset's (FlashD2H or "
	  "per-block memcpy), 1 = per-block memcpy, 2 = FlashD2H, 3 = GPU "
	  "scatter kernel (GPU-direct)" },
	{ "offload.prefetch", K_U32, POL(prefetch), 0, 1,
	  "offload: load layer l+1's previous-step selection while layer l "
	  "computes (beyond the paper)" },
	{ "slo.queue_s", K_F64, SIM(slo_queue_s), 0, 1e9,
	  "SLO on the mean scheduling delay, seconds" },
	{ "slo.ref_context", K_U32, SIM(slo_ref_context), 0, 1 << 30,
	  "context of the reference decode iteration (0: median prompt)" },
	{ "slo.tbt_factor", K_F64, SIM(slo_tbt_factor), 0, 1e6,
	  "P99 TBT SLO as a multiple of one decode iteration" },
};

void sim_config_default(struct sim_config *c)
{
	memset(c, 0, sizeof(*c));
	pol_config_default(&c->pol);
	c->slo_tbt_factor = 25.0;
	c->slo_queue_s = 2.0;
	c->save_buffer_mb = SIM_SAVE_BUFFER_MB;
	c->gpu_scale = 1.0;
}

int sim_config_apply_hw(const struct sim_config *c, struct hw_profile *hw,
			struct ss_err *err)
{
	/* 1 (the default) leaves the profile as loaded (0: the profile's) */
	hw->gpu_scale = c->gpu_scale == 1.0 ? 0 : c->gpu_scale;
	return hw_profile_set_link(hw, c->link_h2d_gbps * 1e9,
				   c->link_d2h_gbps * 1e9,
				   c->link_bidir_gbps * 1e9, err);
}

static const struct key *find_key(const char *name)
{
	for (size_t i = 0; i < SS_ARRAY_SIZE(keys); i++)
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

static int set_value(struct sim_config *c, const struct key *k, double v,
		     const char *origin, struct ss_err *err)
{
	char *base = (char *)c;

	if (!(v >= k->min && v <= k->max)) /* NaN too */
		return ss_error(err, SS_EINVAL,
				"%s: key '%s': %g is outside [%g, %g]", origin,
				k->name, v, k->min, k->max);
	if (k->type == K_U32) {
		uint32_t u = (uint32_t)v;

		if ((double)u != v)
			return ss_error(err, SS_EINVAL,
					"%s: key '%s': %g is not an integer",
					origin, k->name, v);
		memcpy(base + k->off, &u, sizeof(u));
	} else {
		memcpy(base + k->off, &v, sizeof(v));
	}
	return 0;
}

int sim_config_set(struct sim_config *c, const char *kv, const char *origin,
		   struct ss_err *err)
{
	char name[128];
	const char *eq = strchr(kv, '=');
	const struct key *k;
	double v;

	if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(name))
		return ss_error(err, SS_EINVAL,
				"%s: '%s': expected key=value", origin, kv);
	memcpy(name, kv, (size_t)(eq - kv));
	name[eq - kv] = '\0';
	k = find_key(name);
	if (!k)
		return ss_error(err, SS_EINVAL,
				"%s: unknown config key '%s' (see 'sparseserve "
				"sim --help-config')", origin, name);
	if (ss_parse_double(eq + 1, &v))
		return ss_error(err, SS_EINVAL,
				"%s: key '%s': '%s' is not a number", origin,
				name, eq + 1);
	return set_value(c, k, v, origin, err);
}

static int load_object(struct sim_config *c, const cJSON *obj,
		       const char *prefix, const char *path,
		       struct ss_err *err)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, obj) {
		char name[160];
		const struct key *k;

		snprintf(name, sizeof name, "%s%s%s", prefix,
			 *prefix ? "." : "", it->string);
		if (cJSON_IsObject(it)) {
			int rc = load_object(c, it, name, path, err);

			if (rc)
				return rc;
			continue;
		}
		k = find_key(name);
		if (!k)
			return ss_error(err, SS_EINVAL,
					"%s: unknown config key '%s'", path,
					name);
		if (!cJSON_IsNumber(it))
			return ss_error(err, SS_EINVAL,
					"%s: key '%s': not a number", path, name);
		if (set_value(c, k, it->valuedouble, path, err))
			return SS_EINVAL;
	}
	return 0;
}

int sim_config_load(struct sim_config *c, const char *path, struct ss_err *err)
{
	char *text;
	cJSON *root;
	int rc;

	rc = ss_read_file(path, &text, NULL, err);
	if (rc)
		return rc;
	root = cJSON_Parse(text);
	free(text);
	if (!root || !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return ss_error(err, SS_EINVAL,
				"%s: not a JSON object of config keys", path);
	}
	rc = load_object(c, root, "", path, err);
	cJSON_Delete(root);
	return rc;
}

static double get_value(const struct sim_config *c, const struct key *k)
{
	const char *base = (const char *)c;

	if (k->type == K_U32) {
		uint32_t u;

		memcpy(&u, base + k->off, sizeof(u));
		return u;
	}
	double v;

	memcpy(&v, base + k->off, sizeof(v));
	return v;
}

char *sim_config_to_json(const struct sim_config *c)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	if (!o)
		return NULL;
	for (size_t i = 0; i < SS_ARRAY_SIZE(keys); i++)
		cJSON_AddNumberToObject(o, keys[i].name, get_value(c, &keys[i]));
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

void sim_config_describe(const struct sim_config *c, void *file)
{
	FILE *f = file;

	for (size_t i = 0; i < SS_ARRAY_SIZE(keys); i++)
		fprintf(f, "  %-26s = %-10g %s\n", keys[i].name,
			get_value(c, &keys[i]), keys[i].help);
}
