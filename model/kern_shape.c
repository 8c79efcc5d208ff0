/*
 * kern_shape.c - a model as the kernels see it (kern_shape.h).
 */
#include "kern_shape.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "banned.h"

/* llama3 rope_scaling's low/high_freq_factor (struct model keeps the
 * block as JSON text only). */
static int rope_factor(const char *json, const char *key, double *out,
		       const char *model, struct ss_err *err)
{
	cJSON *root = cJSON_Parse(json);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
	int ok = cJSON_IsNumber(v);

	if (ok)
		*out = v->valuedouble;
	cJSON_Delete(root);
	return ok ? 0 : ss_error(err, SS_EINVAL, "model '%s': field "
					"'rope_scaling.%s': missing or not a "
					"number", model, key);
}

int kern_shape_of(const struct model *m, uint32_t tp, struct kern_shape *ks,
		  struct ss_err *err)
{
	int rc;

	memset(ks, 0, sizeof *ks);
	if (!tp)
		tp = 1;
	if (m->heads % tp || m->kv_heads % tp || m->intermediate % tp ||
	    (m->intermediate / tp) % 8)
		return ss_error(err, SS_EINVAL, "--tp %u does not divide "
				"model '%s' (%u query heads, %u KV heads, FFN "
				"%u; the FFN share must stay a multiple of 8)",
				tp, m->name, m->heads, m->kv_heads,
				m->intermediate);
	ks->s.n_layers = m->layers;
	ks->s.hidden = m->hidden;
	ks->s.n_q_heads = m->heads / tp;
	ks->s.n_kv_heads = m->kv_heads / tp;
	ks->s.head_dim = m->head_dim;
	ks->s.intermediate = m->intermediate / tp;
	/* struct model does not keep rms_norm_eps: all four shipped
	 * configs say 1e-5 */
	ks->s.rms_eps = 1e-5f;
	ks->theta = m->rope_theta > 1 ? m->rope_theta : 10000.0;
	if (m->rope_type[0] && strcmp(m->rope_type, "default")) {
		snprintf(ks->sc.type, sizeof ks->sc.type, "%s", m->rope_type);
		ks->sc.factor = m->rope_factor;
		ks->sc.orig_max_positions = (double)m->rope_orig_max_positions;
		if (!strcmp(m->rope_type, "llama3") &&
		    ((rc = rope_factor(m->rope_scaling, "low_freq_factor",
				       &ks->sc.low_freq_factor, m->name, err)) ||
		     (rc = rope_factor(m->rope_scaling, "high_freq_factor",
				       &ks->sc.high_freq_factor, m->name,
				       err))))
			return rc;
		ks->scp = &ks->sc;
	}
	return 0;
}
