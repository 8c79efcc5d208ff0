/*
 * run.c - a calibration run: its samples, the cost model's view of each
 * sample (cal_work) and the assembly of the fitted profile (cal_run_fit).
 *
 * cal_work asks the cost functions of model/cost.c themselves what work
 * they hand an op, through a scratch "probe" profile whose op returns its
 * FLOPs (or bytes, or items) as nanoseconds: one FLOP/ns roof and nothing
 * else. The x each function passes is the documented one
 * (docs/profiles.md, table "What x, y and items are"); the equality of a
 * calibrated profile's prediction and cost_*_ns() is tested
 * (tests/test_calibrate.c), so the two cannot drift apart silently.
 */
#include "calibrate/calibrate.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

struct cal_run *cal_run_alloc(void)
{
	return calloc(1, sizeof(struct cal_run));
}

void cal_run_free(struct cal_run *r)
{
	int i;

	if (!r)
		return;
	for (i = 0; i < HW_NOPS; i++)
		free(r->op[i].s);
	hw_profile_free(r->hw);
	free(r);
}

int cal_op_add(struct cal_op_data *d, const struct cal_sample *s,
	       struct ss_err *err)
{
	int rc = ss_grow((void **)&d->s, &d->alloc, d->n + 1, sizeof(*s), err);

	if (rc)
		return rc;
	d->s[d->n++] = *s;
	return 0;
}

void cal_extra_add(struct cal_run *r, const char *name, double value,
		   const char *unit, const char *src)
{
	struct cal_extra *e;

	BUG_ON(r->n_extra >= CAL_MAX_EXTRA);
	e = &r->extra[r->n_extra++];
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->value = value;
	snprintf(e->unit, sizeof(e->unit), "%s", unit);
	snprintf(e->src, sizeof(e->src), "%s", src);
}

int cal_op_counts_flops(enum hw_op_id id)
{
	return id == HW_OP_LINEAR || id == HW_OP_PREFILL_ATTN ||
	       id == HW_OP_LM_HEAD;
}

int cal_op_uses_y(enum hw_op_id id)
{
	return id == HW_OP_XFER0 + XFER_FLASH_H2D ||
	       id == HW_OP_XFER0 + XFER_GPU_SCATTER_D2H;
}

/* ---- cal_work: the cost model's view of one call -------------------- */

enum probe_what { PROBE_FLOPS, PROBE_BYTES, PROBE_ITEMS };

/* Make op `id` of `p` return its FLOPs, bytes or items as ns; zero the rest. */
static void probe_set(struct hw_profile *p, enum hw_op_id id,
		      enum probe_what what)
{
	int i;

	for (i = 0; i < HW_NOPS; i++) {
		struct hw_op *op = &p->op[i];

		memset(op, 0, sizeof(*op));
		op->form = HW_FORM_ROOFLINE;
		op->eff_max.v = 1;
		op->bw_eff.v = 1;
	}
	if (what == PROBE_FLOPS)
		p->op[id].flops_peak.v = 1e9;
	else if (what == PROBE_BYTES)
		p->op[id].bytes_bw.v = 1e9;
	else
		p->op[id].per_item_ns.v = 1;
}

/* One cost-function call for `id` at s->p[] under the probe profile. */
static double probe_call(const struct cost_model *c, enum hw_op_id id,
			 const struct cal_sample *s)
{
	uint64_t a = (uint64_t)s->p[0], b = (uint64_t)s->p[1];

	switch (id) {
	case HW_OP_LINEAR:
		return (double)cost_linear_ns(c, a);
	case HW_OP_LAYER_MISC:
		return (double)cost_layer_misc_ns(c, a);
	case HW_OP_PREFILL_ATTN:
		return (double)cost_prefill_attn_ns(c, a, b);
	case HW_OP_DECODE_ATTN:
		return (double)cost_decode_attn_ns(c, a, a * b, 0);
	case HW_OP_DECODE_ATTN_SPARSE:
		return (double)cost_decode_attn_ns(c, a, a * b, 1);
	case HW_OP_SELECT:
		return (double)cost_select_ns(c, a, a * b * c->m->kv_heads);
	case HW_OP_LM_HEAD:
	case HW_OP_SAMPLE:
	case HW_OP_HOST:
		return (double)cost_iter_fixed_ns(c, a, b ? b : a);
	default:
		return (double)cost_transfer_ns(c, (enum xfer_mech)(id - HW_OP_XFER0),
						a, b, (uint32_t)s->p[2]);
	}
}

int cal_work(const struct model *m, const struct hw_profile *base,
	     enum hw_op_id id, struct cal_sample *s, struct ss_err *err)
{
	struct hw_profile *p;
	struct cost_model c;
	double a = s->p[0], b = s->p[1];

	if ((unsigned)id >= HW_NOPS)
		return ss_error(err, SS_EINVAL, "calibrate: op %d out of range",
				(int)id);
	if (!(a >= 1) || a != floor(a) || b < 0 || b != floor(b) ||
	    s->p[2] < 0 || s->p[2] != floor(s->p[2]))
		return ss_error(err, SS_EINVAL,
				"calibrate: op '%s': parameters %g, %g, %g are not whole numbers with p0 >= 1",
				hw_op_name(id), a, b, s->p[2]);
	p = hw_profile_alloc();
	if (!p)
		return ss_error(err, SS_ENOMEM, "calibrate: out of memory");
	*p = *base;
	c.hw = p;
	c.m = m;
	probe_set(p, id, PROBE_FLOPS);
	s->flops = probe_call(&c, id, s);
	probe_set(p, id, PROBE_BYTES);
	s->bytes = probe_call(&c, id, s);
	probe_set(p, id, PROBE_ITEMS);
	s->items = probe_call(&c, id, s);
	hw_profile_free(p);
	s->y = 0;
	switch (id) {
	case HW_OP_DECODE_ATTN:
	case HW_OP_DECODE_ATTN_SPARSE:
		s->x = b;
		break;
	case HW_OP_SELECT:
		s->x = b * m->kv_heads;
		break;
	case HW_OP_LINEAR:
	case HW_OP_LAYER_MISC:
	case HW_OP_PREFILL_ATTN:
	case HW_OP_LM_HEAD:
	case HW_OP_SAMPLE:
	case HW_OP_HOST:
		s->x = a;
		break;
	default:
		s->x = a;
		s->y = s->p[2] > 0 ? s->p[2] : base->copy_sms.v;
		break;
	}
	return 0;
}

/* ---- cal_run_fit: the calibrated profile ----------------------------- */

static void slug(char *out, size_t cap, const char *in)
{
	size_t n = 0;
	int dash = 0;

	for (; *in && n + 1 < cap; in++) {
		if (isalnum((unsigned char)*in)) {
			out[n++] = (char)tolower((unsigned char)*in);
			dash = 0;
		} else if (!dash && n) {
			out[n++] = '-';
			dash = 1;
		}
	}
	while (n && out[n - 1] == '-')
		n--;
	out[n] = '\0';
}

static const struct cal_extra *extra_find(const struct cal_run *r,
					  const char *name)
{
	uint32_t i;

	for (i = 0; i < r->n_extra; i++)
		if (!strcmp(r->extra[i].name, name))
			return &r->extra[i];
	return NULL;
}

/* Replace `n` by extra `name` (converted by `scale`) when it was measured. */
static void from_extra(const struct cal_run *r, const char *name,
		       double scale, struct hw_num *n)
{
	const struct cal_extra *e = extra_find(r, name);

	if (!e || !(e->value > 0))
		return;
	n->v = e->value * scale;
	snprintf(n->src, sizeof(n->src), "%s", e->src);
}

void cal_run_grid(struct cal_run *r)
{
	static const enum hw_op_id decode[] = { HW_OP_DECODE_ATTN,
						HW_OP_DECODE_ATTN_SPARSE };
	struct cal_grid *g = &r->op[HW_OP_PREFILL_ATTN].grid;
	struct model m;
	size_t i;

	memset(g, 0, sizeof(*g));
	for (i = 0; i < SS_ARRAY_SIZE(decode); i++)
		memset(&r->op[decode[i]].grid, 0, sizeof(*g));
	if (!r->prov.model[0] || model_load(&m, r->prov.model, NULL))
		return;
	for (i = 0; i < SS_ARRAY_SIZE(decode); i++) {
		struct cal_grid *d = &r->op[decode[i]].grid;

		d->heads = m.heads;
		d->kv_heads = m.kv_heads;
		snprintf(d->model, sizeof(d->model), "%s", r->prov.model);
	}
	if (r->prov.sm_count <= 0)
		return;
	g->tile_q = CAL_PREFILL_TILE_Q;
	g->ctas_per_sm = CAL_PREFILL_CTAS_PER_SM;
	g->sms = r->prov.sm_count;
	g->heads = m.heads;
	g->kv_heads = m.kv_heads;
	snprintf(g->model, sizeof(g->model), "%s", r->prov.model);
}

int cal_run_fit(struct cal_run *r, const struct hw_profile *base,
		struct ss_err *err)
{
	struct hw_profile *hw = hw_profile_alloc();
	char label[HW_SRC_MAX / 2], s[64];
	int i, rc;

	if (!hw)
		return ss_error(err, SS_ENOMEM, "calibrate: out of memory");
	*hw = *base;
	slug(s, sizeof(s), r->prov.gpu[0] ? r->prov.gpu : "unknown-gpu");
	snprintf(hw->name, sizeof(hw->name), "%s", s);
	snprintf(hw->kind, sizeof(hw->kind), "calibrated");
	snprintf(hw->description, sizeof(hw->description),
		 "Calibrated by 'sparseserve calibrate' on %s (%d SMs, driver %d, CUDA runtime %d) on %s, commit %s, model shape %s; operations not measured keep profile '%s''s models (see the calibration file's /ops/<op> status).",
		 r->prov.gpu, r->prov.sm_count, r->prov.driver_version,
		 r->prov.runtime_version, r->prov.date, r->prov.commit,
		 r->prov.model, r->prov.base);
	snprintf(label, sizeof(label), "%.60s, %.24s", r->prov.gpu,
		 r->prov.date);
	if (r->prov.hbm_bytes) {
		hw->hbm_device_bytes.v = (double)r->prov.hbm_bytes;
		snprintf(hw->hbm_device_bytes.src, HW_SRC_MAX,
			 "measured: device memory reported by the CUDA runtime (%s)",
			 label);
	}
	if (r->prov.sm_count > 0) {
		hw->sm_count.v = r->prov.sm_count;
		snprintf(hw->sm_count.src, HW_SRC_MAX,
			 "measured: multiprocessors reported by the CUDA runtime (%s)",
			 label);
		if (hw->copy_sms.v > hw->sm_count.v)
			hw->copy_sms.v = hw->sm_count.v;
	}
	from_extra(r, "h2d_bw", 1e9, &hw->h2d_bw);
	from_extra(r, "d2h_bw", 1e9, &hw->d2h_bw);
	from_extra(r, "bidir_bw", 1e9, &hw->bidir_bw);
	from_extra(r, "latency_ns", 1, &hw->latency_ns);
	cal_run_grid(r);
	for (i = 0; i < HW_NOPS; i++) {
		struct cal_op_data *d = &r->op[i];

		if (!d->measured)
			continue;
		rc = cal_fit_op((enum hw_op_id)i, d, label, &hw->op[i], err);
		if (rc) {
			hw_profile_free(hw);
			return rc;
		}
	}
	rc = hw_profile_validate(hw, "calibration", err);
	if (rc) {
		hw_profile_free(hw);
		return rc;
	}
	hw_profile_free(r->hw);
	r->hw = hw;
	return 0;
}
