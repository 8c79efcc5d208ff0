/*
 * model.h - shapes of a Llama-family decoder, read from a Hugging Face
 * config.json, and the quantities derived from them.
 *
 * Named models ship in model/configs/ and are compiled into the binary
 * (`lwm-7b`, `llama-3-8b-262k`, `llama-3.1-8b`, `llama-3.1-70b`); any path
 * to a config.json works too. Missing required keys and keys of the wrong
 * type are errors naming the file and the key; keys we do not use are
 * ignored (Hugging Face configs carry many). docs/models.md lists the keys,
 * their defaults and every derived formula.
 *
 * Required: num_hidden_layers, num_attention_heads, hidden_size,
 * intermediate_size, vocab_size, max_position_embeddings, torch_dtype (or
 * the newer spelling `dtype`). Optional: num_key_value_heads (= heads),
 * head_dim (= hidden / heads), rope_theta (10000), rope_scaling (kept as
 * written), tie_word_embeddings (false), model_type ("llama" or "mistral").
 */
#ifndef SS_MODEL_H
#define SS_MODEL_H

#include <stdint.h>

#include "ss.h"

struct model {
	char name[128];           /* short name or the config path */
	uint32_t layers;          /* num_hidden_layers */
	uint32_t heads;           /* num_attention_heads (query heads) */
	uint32_t kv_heads;        /* num_key_value_heads (== heads for MHA) */
	uint32_t head_dim;        /* head_dim or hidden/heads */
	uint32_t hidden;          /* hidden_size */
	uint32_t intermediate;    /* intermediate_size (FFN) */
	uint32_t vocab;           /* vocab_size */
	uint32_t dtype_bytes;     /* bytes per element of weights and KV (2) */
	uint64_t max_positions;   /* max_position_embeddings */
	double rope_theta;        /* rope_theta */
	int tied_embeddings;      /* tie_word_embeddings */
	char dtype[16];           /* torch_dtype as written, e.g. "bfloat16" */
	char rope_type[32];       /* rope_scaling.rope_type (or .type); "" if none */
	double rope_factor;       /* rope_scaling.factor; 1 if none */
	uint64_t rope_orig_max_positions; /* rope_scaling.original_max_position_embeddings; 0 if none */
	char rope_scaling[512];   /* rope_scaling as compact JSON; "" if null/absent */

	/* derived by model_derive() */
	uint64_t params;                   /* total parameter count */
	uint64_t weight_bytes;             /* params * dtype_bytes */
	uint64_t layer_weight_bytes;       /* one decoder layer's weights */
	uint64_t kv_bytes_per_token_layer; /* K+V of one token, one layer */
	uint64_t kv_bytes_per_token;       /* ... all layers */
	double linear_flops_per_token_layer; /* 2 * layer matmul params */
	double lm_head_flops_per_token;      /* 2 * hidden * vocab */
	uint64_t embed_bytes;              /* vocab * hidden * dtype_bytes */
	uint64_t kv_bytes_per_token_head;  /* K+V, one token, one KV head, one layer */
	uint64_t digest_bytes_per_block_head; /* DSA metadata: 2 * head_dim * dtype_bytes */
	double attn_flops_per_pair;        /* 4 * heads * head_dim per (query, key), one layer */
};

/* Load a named model or a config.json path; fills and derives. */
int model_load(struct model *m, const char *name_or_path, struct ss_err *err);
/* Parse config.json text (`origin` names it in errors). */
int model_parse(struct model *m, const char *json, const char *origin,
		struct ss_err *err);
/* Recompute the derived fields from the shape fields. */
void model_derive(struct model *m);
/* NULL-terminated list of shipped model names. */
extern const char *const model_names[];

/*
 * FLOPs of one token through the whole model at context length `context`
 * (linear layers + attention over `context` keys + LM head).
 */
double model_flops_per_token(const struct model *m, uint64_t context);
/* Bytes of one KV block of `block_tokens` tokens, one head, one layer (K+V). */
uint64_t model_block_bytes(const struct model *m, uint32_t block_tokens);

#endif
