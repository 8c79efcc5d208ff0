/* test_model.c - config.json parsing and the derived shapes of every
 * shipped model against hand computation; every bad-config path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "model/model.h"

static void load_ok(struct model *m, const char *name)
{
	struct ss_err e = { 0 };
	int r = model_load(m, name, &e);

	CHECK_MSG(r == 0, "model_load(%s): %s", name, e.msg);
}

static void t_shipped_names(void)
{
	static const char *const want[] = { "llama-3-8b-262k", "llama-3.1-70b",
		"llama-3.1-8b", "lwm-7b" };
	struct model m;
	size_t i;

	for (i = 0; model_names[i]; i++) {
		CHECK(i < SS_ARRAY_SIZE(want));
		CHECK_MSG(!strcmp(model_names[i], want[i]), "%s vs %s",
			  model_names[i], want[i]);
		load_ok(&m, model_names[i]);
		CHECK(!strcmp(m.name, want[i]));
	}
	CHECK_EQ_U64(i, SS_ARRAY_SIZE(want));
}

static void t_lwm_7b(void)
{
	struct model m;
	/* Llama-2-7B: 4*4096^2 attention + 3*4096*11008 MLP + 2*4096 norms */
	uint64_t layer = 4ull * 4096 * 4096 + 3ull * 4096 * 11008 + 2 * 4096;
	uint64_t params = 2ull * 32000 * 4096 + 32 * layer + 4096;

	load_ok(&m, "lwm-7b");
	CHECK_EQ_U64(m.layers, 32);
	CHECK_EQ_U64(m.heads, 32);
	CHECK_EQ_U64(m.kv_heads, 32);
	CHECK_EQ_U64(m.head_dim, 128);
	CHECK_EQ_U64(m.hidden, 4096);
	CHECK_EQ_U64(m.intermediate, 11008);
	CHECK_EQ_U64(m.vocab, 32000);
	CHECK_EQ_U64(m.dtype_bytes, 2);
	CHECK_EQ_U64(m.max_positions, 1048576);
	CHECK_NEAR(m.rope_theta, 5e7, 0);
	CHECK(m.rope_scaling[0] == '\0' && m.rope_type[0] == '\0');
	CHECK_NEAR(m.rope_factor, 1.0, 0);
	CHECK_EQ_I64(m.tied_embeddings, 0);
	CHECK_EQ_U64(m.kv_bytes_per_token_layer, 2 * 32 * 128 * 2); /* 16384 */
	CHECK_EQ_U64(m.kv_bytes_per_token, 16384 * 32);             /* 512 KiB */
	CHECK_EQ_U64(m.kv_bytes_per_token_head, 512);
	CHECK_EQ_U64(model_block_bytes(&m, 32), 16384); /* the paper's 16 KB block */
	CHECK_EQ_U64(m.digest_bytes_per_block_head, 512);
	CHECK_EQ_U64(m.params, params);
	CHECK_EQ_U64(m.params, 6738415616ull);
	CHECK_EQ_U64(m.weight_bytes, 2 * params); /* ~13.5 GB */
	CHECK_EQ_U64(m.layer_weight_bytes, 2 * layer);
	CHECK_NEAR(m.linear_flops_per_token_layer,
		   2.0 * (4.0 * 4096 * 4096 + 3.0 * 4096 * 11008), 0);
	CHECK_NEAR(m.lm_head_flops_per_token, 2.0 * 4096 * 32000, 0);
	CHECK_NEAR(m.attn_flops_per_pair, 4.0 * 32 * 128, 0);
	CHECK_NEAR(model_flops_per_token(&m, 1000),
		   32 * (m.linear_flops_per_token_layer + 16384.0 * 1000) +
			   2.0 * 4096 * 32000,
		   0);
}

static void t_llama3_8b_262k(void)
{
	struct model m;
	uint64_t layer = 2ull * 4096 * 4096 + 2ull * 4096 * 1024 +
			 3ull * 4096 * 14336 + 2 * 4096;

	load_ok(&m, "llama-3-8b-262k");
	CHECK_EQ_U64(m.kv_heads, 8);
	CHECK_EQ_U64(m.kv_bytes_per_token_layer, 2 * 8 * 128 * 2); /* 4096 */
	CHECK_EQ_U64(m.kv_bytes_per_token, 4096 * 32);             /* 128 KiB */
	CHECK_EQ_U64(m.params, 2ull * 128256 * 4096 + 32 * layer + 4096);
	CHECK_EQ_U64(m.params, 8030261248ull);
	CHECK(m.weight_bytes > 16000000000ull && m.weight_bytes < 16100000000ull);
	CHECK_NEAR(m.rope_theta, 283461213.0, 0);
	CHECK_EQ_U64(m.max_positions, 262144);
	CHECK(!strcmp(m.dtype, "bfloat16"));
	/* a 128k prompt is 16 GiB of KV (paper section 9) */
	CHECK_EQ_U64(131072 * m.kv_bytes_per_token, 16ull << 30);
}

static void t_llama31(void)
{
	struct model m;

	load_ok(&m, "llama-3.1-8b");
	CHECK_EQ_U64(m.params, 8030261248ull);
	CHECK_NEAR(m.rope_theta, 500000.0, 0);
	CHECK(!strcmp(m.rope_type, "llama3"));
	CHECK_NEAR(m.rope_factor, 8.0, 0);
	CHECK_EQ_U64(m.rope_orig_max_positions, 8192);
	CHECK_STR_CONTAINS(m.rope_scaling, "\"low_freq_factor\":1");
	CHECK_STR_CONTAINS(m.rope_scaling, "\"rope_type\":\"llama3\"");

	load_ok(&m, "llama-3.1-70b");
	CHECK_EQ_U64(m.layers, 80);
	CHECK_EQ_U64(m.heads, 64);
	CHECK_EQ_U64(m.kv_heads, 8);
	CHECK_EQ_U64(m.head_dim, 128);
	CHECK_EQ_U64(m.params, 70553706496ull);
	CHECK_EQ_U64(m.weight_bytes, 141107412992ull); /* ~141.1 GB */
	CHECK_EQ_U64(m.kv_bytes_per_token, 80ull * 2 * 8 * 128 * 2);
}

static int parse(struct model *m, const char *json, struct ss_err *e)
{
	memset(e, 0, sizeof(*e));
	return model_parse(m, json, "cfg.json", e);
}

#define BASE_KEYS                                                             \
	"\"num_attention_heads\": 32, \"hidden_size\": 4096, "                \
	"\"intermediate_size\": 11008, \"vocab_size\": 32000, "               \
	"\"max_position_embeddings\": 4096"

static void t_defaults_and_variants(void)
{
	struct model m, t;
	struct ss_err e;

	CHECK_EQ_I64(parse(&m, "{\"num_hidden_layers\": 2, " BASE_KEYS
			       ", \"torch_dtype\": \"float32\"}", &e), 0);
	CHECK_EQ_U64(m.kv_heads, 32);  /* default = heads */
	CHECK_EQ_U64(m.head_dim, 128); /* default = hidden / heads */
	CHECK_NEAR(m.rope_theta, 10000.0, 0);
	CHECK_EQ_U64(m.dtype_bytes, 4);
	CHECK_EQ_U64(m.kv_bytes_per_token_layer, 2 * 32 * 128 * 4);
	CHECK(!strcmp(m.name, "cfg.json"));
	/* newer transformers spell it "dtype"; explicit head_dim wins */
	CHECK_EQ_I64(parse(&m, "{\"num_hidden_layers\": 2, " BASE_KEYS
			       ", \"dtype\": \"float16\", \"head_dim\": 64,"
			       " \"num_key_value_heads\": 4}", &e), 0);
	CHECK_EQ_U64(m.head_dim, 64);
	CHECK_EQ_U64(m.dtype_bytes, 2);
	CHECK_EQ_U64(m.kv_bytes_per_token_layer, 2 * 4 * 64 * 2);
	/* tying removes exactly one vocab x hidden matrix */
	CHECK_EQ_I64(parse(&m, "{\"num_hidden_layers\": 2, " BASE_KEYS
			       ", \"torch_dtype\": \"bfloat16\"}", &e), 0);
	CHECK_EQ_I64(parse(&t, "{\"num_hidden_layers\": 2, " BASE_KEYS
			       ", \"torch_dtype\": \"bfloat16\","
			       " \"tie_word_embeddings\": true}", &e), 0);
	CHECK_EQ_U64(m.params - t.params, 32000ull * 4096);
	/* model_derive recomputes after an edit */
	m.layers = 4;
	model_derive(&m);
	CHECK_EQ_U64(m.kv_bytes_per_token, 4 * m.kv_bytes_per_token_layer);
}

static void t_load_path(void)
{
	char dir[] = "/tmp/ss_model_XXXXXX", path[256];
	struct model m;
	struct ss_err e;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/config.json", dir);
	f = fopen(path, "w");
	CHECK(f != NULL);
	fputs("{\"num_hidden_layers\": 3, " BASE_KEYS
	      ", \"torch_dtype\": \"bfloat16\"}\n", f);
	fclose(f);
	CHECK_EQ_I64(model_load(&m, path, &e), 0);
	CHECK_EQ_U64(m.layers, 3);
	CHECK(!strcmp(m.name, path));
	unlink(path);
	rmdir(dir);
}

struct bad_case {
	const char *json;
	const char *msg;
};

static void t_bad_configs(void)
{
	static const struct bad_case cases[] = {
		{ "{" BASE_KEYS ", \"torch_dtype\": \"bfloat16\"}",
		  "cfg.json: field 'num_hidden_layers': missing" },
		{ "{\"num_hidden_layers\": \"32\", " BASE_KEYS "}",
		  "cfg.json: field 'num_hidden_layers': expected a whole number, got a string" },
		{ "{\"num_hidden_layers\": 2.5, " BASE_KEYS "}",
		  "cfg.json: field 'num_hidden_layers': 2.5 is not a whole number" },
		{ "{\"num_hidden_layers\": 0, " BASE_KEYS "}",
		  "cfg.json: field 'num_hidden_layers': 0 is out of range" },
		{ "{\"num_hidden_layers\": 2, \"num_attention_heads\": 32, "
		  "\"intermediate_size\": 1, \"vocab_size\": 1, "
		  "\"max_position_embeddings\": 1}",
		  "cfg.json: field 'hidden_size': missing" },
		{ "{\"num_hidden_layers\": 2, \"num_attention_heads\": 32, "
		  "\"hidden_size\": 4096, \"intermediate_size\": 1, "
		  "\"vocab_size\": 1}",
		  "cfg.json: field 'max_position_embeddings': missing" },
		{ "{\"num_hidden_layers\": 2, " BASE_KEYS "}",
		  "cfg.json: field 'torch_dtype': missing" },
		{ "{\"num_hidden_layers\": 2, " BASE_KEYS ", \"torch_dtype\": \"int8\"}",
		  "cfg.json: field 'torch_dtype': unsupported 'int8'" },
		{ "{\"num_hidden_layers\": 2, " BASE_KEYS ", \"torch_dtype\": 2}",
		  "cfg.json: field 'torch_dtype': expected a string, got a number" },
		{ "{\"num_hidden_layers\": 2, " BASE_KEYS
		  ", \"torch_dtype\": \"bfloat16\", \"num_key_value_heads\": 5}",
		  "cfg.json: field 'num_key_value_heads': 5 does not divide num_attention_heads 32" },
		{ "{\"num_hidden_layers\": 2, \"num_attention_heads\": 3, "
		  "\"hidden_size\": 4096, \"intermediate_size\": 1, \"vocab_size\": 1, "
		  "\"max_position_embeddings\": 1, \"torch_dtype\": \"bfloat16\"}",
		  "cfg.json: field 'hidden_size': 4096 is not a multiple of num_attention_heads 3" },
		{ "{\"num_hidden_layers\": 2, " BASE_KEYS
		  ", \"torch_dtype\": \"bfloat16\", \"rope_theta\": \"big\"}",
		  "cfg.json: field 'rope_theta': expected a number, got a string" },
		{ "{\"num_hidden_layers\": 2, " BASE_KEYS
		  ", \"torch_dtype\": \"bfloat16\", \"rope_scaling\": 8}",
		  "cfg.json: field 'rope_scaling': expected an object or null, got a number" },
		{ "{\"num_hidden_layers\": 2, " BASE_KEYS
		  ", \"torch_dtype\": \"bfloat16\", \"rope_scaling\": {\"factor\": \"x\"}}",
		  "cfg.json: field 'rope_scaling.factor': expected a number, got a string" },
		{ "{\"num_hidden_layers\": 2, " BASE_KEYS
		  ", \"torch_dtype\": \"bfloat16\", \"tie_word_embeddings\": \"no\"}",
		  "cfg.json: field 'tie_word_embeddings': expected true or false, got a string" },
		{ "{\"model_type\": \"gpt2\", \"num_hidden_layers\": 2, " BASE_KEYS "}",
		  "cfg.json: field 'model_type': 'gpt2' is not a Llama-family decoder" },
		{ "{\n  \"num_hidden_layers\": 2,\n  \"hidden_size\": 40 96\n}",
		  "cfg.json:3: malformed JSON near '  \"hidden_size\": 40 96'" },
		{ "[1, 2]", "cfg.json: expected a JSON object at the top, got an array" },
		{ "", "cfg.json:1: malformed JSON" },
	};
	struct model m;
	struct ss_err e;
	size_t i;

	for (i = 0; i < SS_ARRAY_SIZE(cases); i++) {
		int r = parse(&m, cases[i].json, &e);

		CHECK_MSG(r == SS_EINVAL, "case %zu: r = %d", i, r);
		CHECK_STR_CONTAINS(e.msg, cases[i].msg);
		CHECK_MSG(!strchr(e.msg, '\n'), "case %zu: not one line: %s", i,
			  e.msg);
	}
}

static void t_unknown_model(void)
{
	struct model m;
	struct ss_err e;

	CHECK_EQ_I64(model_load(&m, "/nonexistent/config.json", &e), SS_EIO);
	CHECK_STR_CONTAINS(e.msg, "model '/nonexistent/config.json': not a shipped model");
	CHECK_STR_CONTAINS(e.msg, "lwm-7b");
	CHECK_STR_CONTAINS(e.msg, "/nonexistent/config.json");
}

static const struct th_case cases[] = {
	TH_CASE(t_shipped_names),
	TH_CASE(t_lwm_7b),
	TH_CASE(t_llama3_8b_262k),
	TH_CASE(t_llama31),
	TH_CASE(t_defaults_and_variants),
	TH_CASE(t_load_path),
	TH_CASE(t_bad_configs),
	TH_CASE(t_unknown_model),
	{ 0 },
};

int main(int argc, char **argv) { return th_main(argc, argv, cases); }
