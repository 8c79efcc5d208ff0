/*
 * model.c - Llama-family shapes from a Hugging Face config.json and the
 * quantities derived from them (parameter and weight bytes, KV bytes per
 * token, FLOPs per token).
 *
 * Shipped configs are compiled in (model_embedded[], generated from
 * model/configs/ by scripts/embed.py); model_load() looks a name up there
 * first and otherwise reads it as a path. Everything derived lives in
 * model_derive() so a caller that edits a shape field (a test, a what-if
 * sweep) recomputes it the same way. Formulas: docs/models.md.
 */
#include "model/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "model/embedded.h"
#include "model/mjson.h"

#include "banned.h"

/* Generous bounds that keep every derived product inside uint64_t. */
#define DIM_MAX (UINT64_C(1) << 24)
#define POS_MAX (UINT64_C(1) << 40)

const char *ss_embedded_find(const struct ss_embedded *table, const char *name)
{
	for (; table->name; table++)
		if (!strcmp(table->name, name))
			return table->text;
	return NULL;
}

static int get_dim(const cJSON *root, const char *key, int required,
		   uint32_t *out, struct mjson_ctx *cx)
{
	uint64_t v;
	int r = mjson_uint(root, key, key, 1, DIM_MAX, &v, cx);

	if (r < 0)
		return r;
	if (r == 1)
		return required ? mjson_missing(cx, key) : 1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_dtype(const cJSON *root, struct model *m, struct mjson_ctx *cx)
{
	const char *key = "torch_dtype";
	int r = mjson_string(root, key, key, m->dtype, sizeof(m->dtype), cx);

	if (r == 1) {
		key = "dtype"; /* transformers >= 4.56 writes this spelling */
		r = mjson_string(root, key, key, m->dtype, sizeof(m->dtype), cx);
		if (r == 1)
			return mjson_missing(cx, "torch_dtype");
	}
	if (r < 0)
		return r;
	if (!strcmp(m->dtype, "bfloat16") || !strcmp(m->dtype, "float16"))
		m->dtype_bytes = 2;
	else if (!strcmp(m->dtype, "float32"))
		m->dtype_bytes = 4;
	else
		return mjson_bad(cx, key,
				 "unsupported '%s' (bfloat16, float16, float32)",
				 m->dtype);
	return 0;
}

static int parse_rope(const cJSON *root, struct model *m, struct mjson_ctx *cx)
{
	const cJSON *rs = cJSON_GetObjectItemCaseSensitive(root, "rope_scaling");
	uint64_t orig;
	char *txt;
	int r;

	m->rope_theta = 10000.0;
	m->rope_factor = 1.0;
	r = mjson_number(root, "rope_theta", "rope_theta", 1e-9, 1e30,
			 &m->rope_theta, cx);
	if (r < 0)
		return r;
	if (!rs || cJSON_IsNull(rs))
		return 0;
	if (!cJSON_IsObject(rs))
		return mjson_bad(cx, "rope_scaling",
				 "expected an object or null, got %s",
				 mjson_type_name(rs));
	r = mjson_string(rs, "rope_type", "rope_scaling.rope_type",
			 m->rope_type, sizeof(m->rope_type), cx);
	if (r == 1)
		r = mjson_string(rs, "type", "rope_scaling.type", m->rope_type,
				 sizeof(m->rope_type), cx);
	if (r < 0)
		return r;
	r = mjson_number(rs, "factor", "rope_scaling.factor", 1e-9, 1e9,
			 &m->rope_factor, cx);
	if (r < 0)
		return r;
	r = mjson_uint(rs, "original_max_position_embeddings",
		       "rope_scaling.original_max_position_embeddings", 1,
		       POS_MAX, &orig, cx);
	if (r < 0)
		return r;
	if (r == 0)
		m->rope_orig_max_positions = orig;
	txt = cJSON_PrintUnformatted(rs);
	if (!txt)
		return ss_error(cx->err, SS_ENOMEM, "%s: out of memory",
				cx->origin);
	if (strlen(txt) >= sizeof(m->rope_scaling)) {
		cJSON_free(txt);
		return mjson_bad(cx, "rope_scaling", "longer than %zu bytes",
				 sizeof(m->rope_scaling) - 1);
	}
	snprintf(m->rope_scaling, sizeof(m->rope_scaling), "%s", txt);
	cJSON_free(txt);
	return 0;
}

static int parse_fields(const cJSON *root, struct model *m,
			struct mjson_ctx *cx)
{
	char mtype[64];
	uint64_t pos;
	int r;

	if (!cJSON_IsObject(root))
		return ss_error(cx->err, SS_EINVAL,
				"%s: expected a JSON object at the top, got %s",
				cx->origin, mjson_type_name(root));
	r = mjson_string(root, "model_type", "model_type", mtype, sizeof(mtype),
			 cx);
	if (r < 0)
		return r;
	if (r == 0 && strcmp(mtype, "llama") && strcmp(mtype, "mistral"))
		return mjson_bad(cx, "model_type",
				 "'%s' is not a Llama-family decoder (llama, mistral)",
				 mtype);
	if ((r = get_dim(root, "num_hidden_layers", 1, &m->layers, cx)) < 0 ||
	    (r = get_dim(root, "num_attention_heads", 1, &m->heads, cx)) < 0 ||
	    (r = get_dim(root, "hidden_size", 1, &m->hidden, cx)) < 0 ||
	    (r = get_dim(root, "intermediate_size", 1, &m->intermediate, cx)) < 0 ||
	    (r = get_dim(root, "vocab_size", 1, &m->vocab, cx)) < 0)
		return r;
	r = mjson_uint(root, "max_position_embeddings",
		       "max_position_embeddings", 1, POS_MAX, &pos, cx);
	if (r < 0)
		return r;
	if (r == 1)
		return mjson_missing(cx, "max_position_embeddings");
	m->max_positions = pos;

	m->kv_heads = m->heads;
	if ((r = get_dim(root, "num_key_value_heads", 0, &m->kv_heads, cx)) < 0)
		return r;
	if (m->heads % m->kv_heads)
		return mjson_bad(cx, "num_key_value_heads",
				 "%u does not divide num_attention_heads %u",
				 m->kv_heads, m->heads);
	r = get_dim(root, "head_dim", 0, &m->head_dim, cx);
	if (r < 0)
		return r;
	if (r == 1) {
		if (m->hidden % m->heads)
			return mjson_bad(cx, "hidden_size",
					 "%u is not a multiple of num_attention_heads %u (and no head_dim given)",
					 m->hidden, m->heads);
		m->head_dim = m->hidden / m->heads;
	}
	if ((r = parse_dtype(root, m, cx)) < 0)
		return r;
	if ((r = parse_rope(root, m, cx)) < 0)
		return r;
	r = mjson_bool(root, "tie_word_embeddings", "tie_word_embeddings",
		       &m->tied_embeddings, cx);
	return r < 0 ? r : 0;
}

int model_parse(struct model *m, const char *json, const char *origin,
		struct ss_err *err)
{
	struct mjson_ctx cx = { origin, "field", err };
	cJSON *root;
	int r;

	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", origin);
	root = mjson_parse(json, &cx);
	if (!root)
		return SS_EINVAL;
	r = parse_fields(root, m, &cx);
	cJSON_Delete(root);
	if (r < 0)
		return r;
	model_derive(m);
	return 0;
}

void model_derive(struct model *m)
{
	uint64_t h = m->hidden, hd = m->head_dim, d = m->dtype_bytes;
	uint64_t q = h * m->heads * hd;           /* q_proj */
	uint64_t kv = 2 * h * m->kv_heads * hd;   /* k_proj + v_proj */
	uint64_t o = (uint64_t)m->heads * hd * h; /* o_proj */
	uint64_t mlp = 3 * h * m->intermediate;   /* gate, up, down */
	uint64_t linear = q + kv + o + mlp;
	uint64_t layer = linear + 2 * h;          /* + two RMSNorm weights */
	uint64_t embed = (uint64_t)m->vocab * h;

	m->params = embed + m->layers * layer + h + (m->tied_embeddings ? 0 : embed);
	m->weight_bytes = m->params * d;
	m->layer_weight_bytes = layer * d;
	m->embed_bytes = embed * d;
	m->kv_bytes_per_token_head = 2 * hd * d;
	m->kv_bytes_per_token_layer = m->kv_bytes_per_token_head * m->kv_heads;
	m->kv_bytes_per_token = m->kv_bytes_per_token_layer * m->layers;
	m->digest_bytes_per_block_head = 2 * hd * d;
	m->linear_flops_per_token_layer = 2.0 * (double)linear;
	m->lm_head_flops_per_token = 2.0 * (double)h * (double)m->vocab;
	m->attn_flops_per_pair = 4.0 * (double)m->heads * (double)hd;
}

double model_flops_per_token(const struct model *m, uint64_t context)
{
	return (double)m->layers * (m->linear_flops_per_token_layer +
				    m->attn_flops_per_pair * (double)context) +
	       m->lm_head_flops_per_token;
}

uint64_t model_block_bytes(const struct model *m, uint32_t block_tokens)
{
	return (uint64_t)block_tokens * m->kv_bytes_per_token_head;
}

int model_load(struct model *m, const char *name_or_path, struct ss_err *err)
{
	const char *text = ss_embedded_find(model_embedded, name_or_path);
	struct ss_err ferr;
	char *buf;
	int r;

	if (text)
		return model_parse(m, text, name_or_path, err);
	r = ss_read_file(name_or_path, &buf, NULL, &ferr);
	if (r < 0) {
		char names[256];
		size_t i, n = 0;

		names[0] = '\0';
		for (i = 0; model_names[i] && n < sizeof(names); i++)
			n += (size_t)snprintf(names + n, sizeof(names) - n,
					      "%s%s", i ? ", " : "",
					      model_names[i]);
		return ss_error(err, r,
				"model '%s': not a shipped model (%s) and not a readable file (%s)",
				name_or_path, names, ferr.msg);
	}
	r = model_parse(m, buf, name_or_path, err);
	free(buf);
	return r;
}
