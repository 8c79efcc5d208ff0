/* test_config.c - config keys: defaults, --set, JSON files, errors, and
 * the resolved JSON written with the results. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "sim/config.h"

static void t_defaults_are_the_papers(void)
{
	struct sim_config c;

	sim_config_default(&c);
	CHECK_EQ_U64(c.pol.block_tokens, 32);
	CHECK_EQ_U64(c.pol.max_batched_tokens, 2048);
	CHECK_EQ_U64(c.pol.token_budget, 2048);
	CHECK_EQ_U64(c.pol.sink_blocks, 2);
	CHECK_EQ_U64(c.pol.window_blocks, 2);
	CHECK_NEAR(c.slo_tbt_factor, 25, 0);
	CHECK_NEAR(c.slo_queue_s, 2, 0);
}

static void t_set_values_and_errors(void)
{
	struct sim_config c;
	struct ss_err e;

	sim_config_default(&c);
	CHECK_EQ_I64(sim_config_set(&c, "sched.max_num_seqs=64", "--set", &e), 0);
	CHECK_EQ_U64(c.pol.max_num_seqs, 64);
	CHECK_EQ_I64(sim_config_set(&c, "mem.gpu_util=0.8", "--set", &e), 0);
	CHECK_NEAR(c.pol.gpu_mem_util, 0.8, 0);
	CHECK_NEAR(c.gpu_scale, 1, 0); /* the default */
	CHECK_EQ_I64(sim_config_set(&c, "cost.gpu_scale=0.97", "--set", &e), 0);
	CHECK_NEAR(c.gpu_scale, 0.97, 0);
	static const struct {
		const char *kv, *msg;
	} bad[] = {
		{ "sched.max_num_seqs", "expected key=value" },
		{ "=3", "expected key=value" },
		{ "nope.key=1", "unknown config key 'nope.key'" },
		{ "sched.max_num_seqs=abc", "is not a number" },
		{ "sched.max_num_seqs=1.5", "is not an integer" },
		{ "sched.max_num_seqs=0", "outside" },
		{ "mem.gpu_util=1.5", "outside" },
		{ "cost.gpu_scale=0", "outside" },
	};
	for (size_t i = 0; i < SS_ARRAY_SIZE(bad); i++) {
		CHECK(sim_config_set(&c, bad[i].kv, "--set", &e) == SS_EINVAL);
		CHECK_STR_CONTAINS(e.msg, bad[i].msg);
		CHECK_STR_CONTAINS(e.msg, "--set");
	}
	CHECK_EQ_U64(c.pol.max_num_seqs, 64); /* failed sets changed nothing */
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	fputs(text, f);
	fclose(f);
}

static void t_json_files(void)
{
	char dir[] = "/tmp/ss_cfg_XXXXXX", p[256];
	struct sim_config c;
	struct ss_err e;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(p, sizeof p, "%s/a.json", dir);
	write_text(p, "{\"sched\": {\"max_num_seqs\": 8}, \"dsa.token_budget\": 1024}");
	sim_config_default(&c);
	CHECK_EQ_I64(sim_config_load(&c, p, &e), 0);
	CHECK_EQ_U64(c.pol.max_num_seqs, 8);
	CHECK_EQ_U64(c.pol.token_budget, 1024);
	write_text(p, "{\"sched\": {\"max_num_sqs\": 8}}");
	CHECK(sim_config_load(&c, p, &e) == SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "a.json");
	CHECK_STR_CONTAINS(e.msg, "sched.max_num_sqs");
	write_text(p, "{\"slo.queue_s\": \"two\"}");
	CHECK(sim_config_load(&c, p, &e) == SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "slo.queue_s");
	write_text(p, "[1, 2");
	CHECK(sim_config_load(&c, p, &e) == SS_EINVAL);
	snprintf(p, sizeof p, "%s/missing.json", dir);
	CHECK(sim_config_load(&c, p, &e) == SS_EIO);
	CHECK_STR_CONTAINS(e.msg, "missing.json");
}

static void t_resolved_json_round_trips(void)
{
	char dir[] = "/tmp/ss_cfg_XXXXXX", p[256];
	struct sim_config a, b;
	struct ss_err e;
	char *js;

	CHECK(mkdtemp(dir) != NULL);
	sim_config_default(&a);
	CHECK_EQ_I64(sim_config_set(&a, "slo.tbt_factor=5", "x", &e), 0);
	CHECK_EQ_I64(sim_config_set(&a, "kv.block_tokens=16", "x", &e), 0);
	js = sim_config_to_json(&a);
	CHECK(js != NULL);
	snprintf(p, sizeof p, "%s/r.json", dir);
	write_text(p, js);
	free(js);
	sim_config_default(&b);
	CHECK_EQ_I64(sim_config_load(&b, p, &e), 0);
	CHECK(memcmp(&a, &b, sizeof a) == 0);
}

static const struct th_case cases[] = {
	TH_CASE(t_defaults_are_the_papers),
	TH_CASE(t_set_values_and_errors),
	TH_CASE(t_json_files),
	TH_CASE(t_resolved_json_round_trips),
	{ 0 },
};

int main(int argc, char **argv) { return th_main(argc, argv, cases); }
