/*
 * profile.c - hardware profiles: JSON reader and writer, validation, the
 * per-operation evaluator (roofline or interpolated table) and the plain
 * accessors declared in cost.h.
 *
 * A profile is read once (hw_profile_load) into one allocation; the cost
 * functions then only read it. Shipped profiles (the JSON files in profiles/) are
 * compiled in as hw_profile_embedded[] by scripts/embed.py. The reader is
 * strict: every key it does not know is an error (keys starting with '_'
 * are comments), every op must be present, and each message names the
 * file and the key path, e.g. "x.json: key 'ops.select': missing".
 */
#include "model/profile.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "calibrate/calibrate.h"
#include "fileio.h"
#include "model/embedded.h"
#include "model/mjson.h"

#include "banned.h"

#define FORMAT_TAG "sparseserve-hw-profile"

static const char *const op_names[HW_NOPS] = {
	[HW_OP_LINEAR] = "linear",
	[HW_OP_LAYER_MISC] = "layer_misc",
	[HW_OP_PREFILL_ATTN] = "prefill_attn",
	[HW_OP_DECODE_ATTN] = "decode_attn",
	[HW_OP_DECODE_ATTN_SPARSE] = "decode_attn_sparse",
	[HW_OP_SELECT] = "select",
	[HW_OP_LM_HEAD] = "lm_head",
	[HW_OP_SAMPLE] = "sample",
	[HW_OP_HOST] = "host",
	[HW_OP_XFER0 + XFER_MEMCPY_H2D] = "memcpy_h2d",
	[HW_OP_XFER0 + XFER_MEMCPY_BATCH_H2D] = "memcpy_batch_h2d",
	[HW_OP_XFER0 + XFER_FLASH_H2D] = "flash_h2d",
	[HW_OP_XFER0 + XFER_MEMCPY_D2H] = "memcpy_d2h",
	[HW_OP_XFER0 + XFER_FLASH_D2H] = "flash_d2h",
	[HW_OP_XFER0 + XFER_GPU_SCATTER_D2H] = "gpu_scatter_d2h",
	[HW_OP_XFER0 + XFER_BULK_H2D] = "bulk_h2d",
	[HW_OP_XFER0 + XFER_BULK_D2H] = "bulk_d2h",
};

static const struct {
	const char *name;
	double scale;
	enum hw_work work;
} units[] = {
	{ "GB/s", 1e9, HW_WORK_BYTES },
	{ "B/s", 1.0, HW_WORK_BYTES },
	{ "TFLOP/s", 1e12, HW_WORK_FLOPS },
	{ "FLOP/s", 1.0, HW_WORK_FLOPS },
};

const char *hw_op_name(enum hw_op_id id)
{
	return (unsigned)id < HW_NOPS ? op_names[id] : "?";
}

const char *xfer_mech_name(enum xfer_mech m)
{
	return (unsigned)m < XFER_NMECH ? op_names[HW_OP_XFER0 + m] : "?";
}

static const char *const exec_keys[HW_EXEC_NUMS + 1] = {
	"layer_ns", "sparse_layer_ns", "layer_head_ns", "sparse_layer_head_ns",
	"dec_dense_ns", "dec_sparse_ns", "token_ns", "gather_ns",
	"host_layer_ns", "host_item_ns", "host_token_ns", "host_off_layer_ns",
	"host_hit_ns", "host_miss_ns", "gather_head_ns",
	"host_issue_off_layer_ns", "host_stages", "off_layer_ns",
	"off_dec_sparse_ns", "load_layer_ns", "prefill_layer_ns",
	"prefill_tail_ns", "host_hit_ctx_ns", "off_layer_head_ns",
	"off_dec_head_ns", "off_load_layer_ns", "chunk_layer_ns", NULL
};

/* Executor keys a file may lack (added after profiles were shipped, from
 * gather_head_ns on; new keys go at the end): 0. */
#define EXEC_FIRST_OPTIONAL 14
static int exec_key_optional(int i)
{
	return i >= EXEC_FIRST_OPTIONAL;
}

const char *hw_exec_key(int i)
{
	return i >= 0 && i < HW_EXEC_NUMS ? exec_keys[i] : "?";
}

static const size_t exec_off[HW_EXEC_NUMS] = {
	offsetof(struct hw_exec, layer_ns),
	offsetof(struct hw_exec, sparse_layer_ns),
	offsetof(struct hw_exec, layer_head_ns),
	offsetof(struct hw_exec, sparse_layer_head_ns),
	offsetof(struct hw_exec, dec_dense_ns),
	offsetof(struct hw_exec, dec_sparse_ns),
	offsetof(struct hw_exec, token_ns),
	offsetof(struct hw_exec, gather_ns),
	offsetof(struct hw_exec, host_layer_ns),
	offsetof(struct hw_exec, host_item_ns),
	offsetof(struct hw_exec, host_token_ns),
	offsetof(struct hw_exec, host_off_layer_ns),
	offsetof(struct hw_exec, host_hit_ns),
	offsetof(struct hw_exec, host_miss_ns),
	offsetof(struct hw_exec, gather_head_ns),
	offsetof(struct hw_exec, host_issue_off_layer_ns),
	offsetof(struct hw_exec, host_stages),
	offsetof(struct hw_exec, off_layer_ns),
	offsetof(struct hw_exec, off_dec_sparse_ns),
	offsetof(struct hw_exec, load_layer_ns),
	offsetof(struct hw_exec, prefill_layer_ns),
	offsetof(struct hw_exec, prefill_tail_ns),
	offsetof(struct hw_exec, host_hit_ctx_ns),
	offsetof(struct hw_exec, off_layer_head_ns),
	offsetof(struct hw_exec, off_dec_head_ns),
	offsetof(struct hw_exec, off_load_layer_ns),
	offsetof(struct hw_exec, chunk_layer_ns),
};

int hw_exec_stages(const struct hw_exec *e)
{
	return e->host_stages.v == 2 ? 2 : 1;
}

struct hw_num *hw_exec_num(struct hw_exec *e, int i)
{
	BUG_ON(i < 0 || i >= HW_EXEC_NUMS);
	return (struct hw_num *)((char *)e + exec_off[i]);
}

const struct hw_num *hw_exec_cnum(const struct hw_exec *e, int i)
{
	BUG_ON(i < 0 || i >= HW_EXEC_NUMS);
	return (const struct hw_num *)((const char *)e + exec_off[i]);
}

struct hw_profile *hw_profile_alloc(void)
{
	return calloc(1, sizeof(struct hw_profile));
}

void hw_profile_free(struct hw_profile *p)
{
	free(p);
}

/* ---- reading ---------------------------------------------------------- */

/* Every child of `obj` must be in `keys` (NULL-terminated) or start with '_'. */
/* Keys that profiles once had and no longer do, with what replaced them:
 * an old file names the change instead of "unknown key". */
static const struct {
	const char *key, *why;
} retired_keys[] = {
	{ "host_hit_log_ns",
	  "retired in session 18: a hit's policy cost grows with the context (host_hit_ctx_ns), not the KV capacity; refit with calibrate --fit-exec" },
};

static int check_keys(const cJSON *obj, const char *prefix,
		      const char *const *keys, struct mjson_ctx *cx)
{
	const cJSON *it;
	size_t i;

	cJSON_ArrayForEach(it, obj) {
		if (!it->string || it->string[0] == '_')
			continue;
		for (i = 0; keys[i]; i++)
			if (!strcmp(keys[i], it->string))
				break;
		if (!keys[i]) {
			char path[160];

			snprintf(path, sizeof(path), "%s%s%s", prefix,
				 *prefix ? "." : "", it->string);
			for (i = 0; i < SS_ARRAY_SIZE(retired_keys); i++)
				if (!strcmp(retired_keys[i].key, it->string))
					return mjson_bad(cx, path, "%s",
							 retired_keys[i].why);
			return mjson_bad(cx, path, "unknown key");
		}
	}
	return 0;
}

static const cJSON *get_object(const cJSON *obj, const char *key,
			       const char *path, struct mjson_ctx *cx, int *r)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	*r = 0;
	if (!it)
		*r = mjson_missing(cx, path);
	else if (!cJSON_IsObject(it))
		*r = mjson_bad(cx, path, "expected an object, got %s",
			       mjson_type_name(it));
	return *r ? NULL : it;
}

/* {"value": N, "source": "S"} at obj.key. */
static int get_num(const cJSON *obj, const char *prefix, const char *key,
		   struct hw_num *out, struct mjson_ctx *cx)
{
	static const char *const keys[] = { "value", "source", NULL };
	char path[160], sub[176];
	const cJSON *n;
	int r;

	snprintf(path, sizeof(path), "%s.%s", prefix, key);
	n = get_object(obj, key, path, cx, &r);
	if (!n)
		return r;
	if ((r = check_keys(n, path, keys, cx)) < 0)
		return r;
	snprintf(sub, sizeof(sub), "%s.value", path);
	r = mjson_number(n, "value", sub, -1e300, 1e300, &out->v, cx);
	if (r == 1)
		return mjson_missing(cx, sub);
	if (r < 0)
		return r;
	snprintf(sub, sizeof(sub), "%s.source", path);
	r = mjson_string(n, "source", sub, out->src, sizeof(out->src), cx);
	if (r == 1)
		return mjson_missing(cx, sub);
	if (r == 0 && !out->src[0])
		return mjson_bad(cx, sub, "empty: say where the number comes from");
	return r;
}

static int get_str(const cJSON *obj, const char *prefix, const char *key,
		   char *out, size_t cap, struct mjson_ctx *cx)
{
	char path[160];
	int r;

	snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", key);
	r = mjson_string(obj, key, path, out, cap, cx);
	return r == 1 ? mjson_missing(cx, path) : r;
}

static int get_axis(const cJSON *obj, const char *prefix, const char *key,
		    double *out, uint32_t *n, struct mjson_ctx *cx)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, key), *it;
	char path[160];
	uint32_t i = 0;

	snprintf(path, sizeof(path), "%s.%s", prefix, key);
	if (!arr)
		return 1;
	if (!cJSON_IsArray(arr))
		return mjson_bad(cx, path, "expected an array, got %s",
				 mjson_type_name(arr));
	cJSON_ArrayForEach(it, arr) {
		if (i == HW_GRID_MAX)
			return mjson_bad(cx, path, "more than %d points",
					 HW_GRID_MAX);
		if (!cJSON_IsNumber(it))
			return mjson_bad(cx, path,
					 "element %u: expected a number, got %s",
					 i, mjson_type_name(it));
		out[i++] = it->valuedouble;
	}
	*n = i;
	return 0;
}

static int check_num(const struct hw_num *n, const char *path, double lo,
		     int lo_open, double hi, int whole, struct mjson_ctx *cx);

static int get_table(const cJSON *o, const char *path, struct hw_op *op,
		     struct mjson_ctx *cx)
{
	const cJSON *rows, *row, *it;
	char sub[176], work[16];
	uint32_t iy = 0, ix, nrow, ny = 1;
	size_t u;
	int r;

	if ((r = get_str(o, path, "work", work, sizeof(work), cx)) < 0)
		return r;
	if (!strcmp(work, "bytes"))
		op->work = HW_WORK_BYTES;
	else if (!strcmp(work, "flops"))
		op->work = HW_WORK_FLOPS;
	else {
		snprintf(sub, sizeof(sub), "%s.work", path);
		return mjson_bad(cx, sub, "'%s' is not bytes or flops", work);
	}
	if ((r = get_str(o, path, "unit", op->unit, sizeof(op->unit), cx)) < 0)
		return r;
	for (u = 0; u < SS_ARRAY_SIZE(units); u++)
		if (!strcmp(units[u].name, op->unit))
			break;
	snprintf(sub, sizeof(sub), "%s.unit", path);
	if (u == SS_ARRAY_SIZE(units))
		return mjson_bad(cx, sub, "'%s' is not GB/s, B/s, TFLOP/s or FLOP/s",
				 op->unit);
	if (units[u].work != op->work)
		return mjson_bad(cx, sub, "'%s' does not count %s", op->unit,
				 work);
	if ((r = get_str(o, path, "source", op->table_src,
			 sizeof(op->table_src), cx)) < 0)
		return r;
	r = get_axis(o, path, "x", op->x, &op->nx, cx);
	if (r == 1) {
		snprintf(sub, sizeof(sub), "%s.x", path);
		return mjson_missing(cx, sub);
	}
	if (r < 0)
		return r;
	r = get_axis(o, path, "y", op->y, &ny, cx);
	if (r < 0)
		return r;
	op->ny = r == 1 ? 1 : ny;
	op->yaxis = HW_Y_SMS;
	snprintf(sub, sizeof(sub), "%s.y_axis", path);
	r = mjson_string(o, "y_axis", sub, work, sizeof(work), cx);
	if (r < 0)
		return r;
	if (r == 0) {
		if (!strcmp(work, "items"))
			op->yaxis = HW_Y_ITEMS;
		else if (!strcmp(work, "bytes"))
			op->yaxis = HW_Y_BYTES;
		else if (strcmp(work, "sms"))
			return mjson_bad(cx, sub, "'%s' is not sms, items or bytes",
					 work);
	}
	snprintf(sub, sizeof(sub), "%s.x_below", path);
	r = mjson_string(o, "x_below", sub, work, sizeof(work), cx);
	if (r < 0)
		return r;
	op->below_rate = r == 0 && !strcmp(work, "rate");
	if (r == 0 && !op->below_rate && strcmp(work, "time"))
		return mjson_bad(cx, sub, "'%s' is not time or rate", work);
	r = get_axis(o, path, "fixed_ns_by_x", op->fixed_x, &ny, cx);
	if (r < 0)
		return r;
	op->has_fixed_x = r == 0;
	if (op->has_fixed_x && ny != op->nx) {
		snprintf(sub, sizeof(sub), "%s.fixed_ns_by_x", path);
		return mjson_bad(cx, sub, "%u values for %u values of x", ny,
				 op->nx);
	}
	snprintf(sub, sizeof(sub), "%s.rate", path);
	rows = cJSON_GetObjectItemCaseSensitive(o, "rate");
	if (!rows)
		return mjson_missing(cx, sub);
	if (!cJSON_IsArray(rows))
		return mjson_bad(cx, sub, "expected an array of rows, got %s",
				 mjson_type_name(rows));
	nrow = (uint32_t)cJSON_GetArraySize(rows);
	if (nrow != op->ny)
		return mjson_bad(cx, sub, "%u rows for %u values of y", nrow,
				 op->ny);
	cJSON_ArrayForEach(row, rows) {
		if (!cJSON_IsArray(row) ||
		    (uint32_t)cJSON_GetArraySize(row) != op->nx)
			return mjson_bad(cx, sub,
					 "row %u: expected an array of %u numbers (one per x)",
					 iy, op->nx);
		ix = 0;
		cJSON_ArrayForEach(it, row) {
			if (!cJSON_IsNumber(it))
				return mjson_bad(cx, sub,
						 "row %u element %u: expected a number, got %s",
						 iy, ix, mjson_type_name(it));
			op->rate[iy][ix++] = it->valuedouble;
		}
		iy++;
	}
	/* optional: absent is 0 (no scaling), so a value given must be one;
	 * which ops may have it is validate_op's */
	if (!cJSON_GetObjectItemCaseSensitive(o, "fit_kv_heads"))
		return 0;
	if ((r = get_num(o, path, "fit_kv_heads", &op->fit_kv_heads, cx)) < 0)
		return r;
	snprintf(sub, sizeof(sub), "%s.fit_kv_heads", path);
	return check_num(&op->fit_kv_heads, sub, 1, 0, 1e6, 1, cx);
}

static int get_op(const cJSON *ops, enum hw_op_id id, struct hw_op *op,
		  struct mjson_ctx *cx)
{
	static const char *const roof_keys[] = { "form", "fixed_ns",
		"per_item_ns", "flops_peak", "eff_max", "eff_half_x",
		"bytes_bw", "bw_eff", NULL };
	static const char *const table_keys[] = { "form", "fixed_ns",
		"per_item_ns", "work", "unit", "source", "x", "y", "y_axis",
		"x_below", "fixed_ns_by_x", "rate", "fit_kv_heads", NULL };
	static const char *const waves_keys[] = { "form", "fixed_ns",
		"per_item_ns", "tile_q", "ctas_per_sm", "sm_count", "fit_heads",
		"round_ns", "round_key_ns", "tail_ns", "tail_key_ns", NULL };
	char path[96], form[16];
	const cJSON *o;
	int r;

	snprintf(path, sizeof(path), "ops.%s", op_names[id]);
	o = get_object(ops, op_names[id], path, cx, &r);
	if (!o)
		return r;
	if ((r = get_str(o, path, "form", form, sizeof(form), cx)) < 0)
		return r;
	if ((r = get_num(o, path, "fixed_ns", &op->fixed_ns, cx)) < 0 ||
	    (r = get_num(o, path, "per_item_ns", &op->per_item_ns, cx)) < 0)
		return r;
	if (!strcmp(form, "roofline")) {
		op->form = HW_FORM_ROOFLINE;
		if ((r = check_keys(o, path, roof_keys, cx)) < 0 ||
		    (r = get_num(o, path, "flops_peak", &op->flops_peak, cx)) < 0 ||
		    (r = get_num(o, path, "eff_max", &op->eff_max, cx)) < 0 ||
		    (r = get_num(o, path, "eff_half_x", &op->eff_half_x, cx)) < 0 ||
		    (r = get_num(o, path, "bytes_bw", &op->bytes_bw, cx)) < 0 ||
		    (r = get_num(o, path, "bw_eff", &op->bw_eff, cx)) < 0)
			return r;
		return 0;
	}
	if (!strcmp(form, "table")) {
		op->form = HW_FORM_TABLE;
		if ((r = check_keys(o, path, table_keys, cx)) < 0)
			return r;
		return get_table(o, path, op, cx);
	}
	if (!strcmp(form, "waves")) {
		op->form = HW_FORM_WAVES;
		if ((r = check_keys(o, path, waves_keys, cx)) < 0 ||
		    (r = get_num(o, path, "tile_q", &op->tile_q, cx)) < 0 ||
		    (r = get_num(o, path, "ctas_per_sm", &op->ctas_per_sm, cx)) < 0 ||
		    (r = get_num(o, path, "sm_count", &op->wave_sms, cx)) < 0 ||
		    (r = get_num(o, path, "fit_heads", &op->fit_heads, cx)) < 0 ||
		    (r = get_num(o, path, "round_ns", &op->round_ns, cx)) < 0 ||
		    (r = get_num(o, path, "round_key_ns", &op->round_key_ns, cx)) < 0 ||
		    (r = get_num(o, path, "tail_ns", &op->tail_ns, cx)) < 0 ||
		    (r = get_num(o, path, "tail_key_ns", &op->tail_key_ns, cx)) < 0)
			return r;
		return 0;
	}
	snprintf(path + strlen(path), sizeof(path) - strlen(path), ".form");
	return mjson_bad(cx, path, "'%s' is not roofline, table or waves", form);
}

static int parse_root(const cJSON *root, struct hw_profile *p,
		      struct mjson_ctx *cx)
{
	static const char *const top_keys[] = { "format", "version", "name",
		"kind", "description", "capacity", "link", "ops", "executor",
		NULL };
	static const char *const cap_keys[] = { "hbm_device_bytes",
		"hbm_usable_fraction", "workspace_bytes", "dram_pinned_bytes",
		"sm_count", "copy_sms", NULL };
	static const char *const link_keys[] = { "h2d_bw", "d2h_bw",
		"bidir_bw", "latency_ns", NULL };
	const char *op_keys[HW_NOPS + 1];
	const cJSON *cap, *link, *ops;
	char format[64];
	uint64_t version;
	int r, i;

	if (!cJSON_IsObject(root))
		return ss_error(cx->err, SS_EINVAL,
				"%s: expected a JSON object at the top, got %s",
				cx->origin, mjson_type_name(root));
	if ((r = check_keys(root, "", top_keys, cx)) < 0)
		return r;
	if ((r = get_str(root, "", "format", format, sizeof(format), cx)) < 0)
		return r;
	if (strcmp(format, FORMAT_TAG))
		return mjson_bad(cx, "format", "'%s' is not '%s'", format,
				 FORMAT_TAG);
	r = mjson_uint(root, "version", "version", 0, 1u << 30, &version, cx);
	if (r == 1)
		return mjson_missing(cx, "version");
	if (r < 0)
		return r;
	if (version != HW_PROFILE_VERSION)
		return mjson_bad(cx, "version",
				 "%llu is not supported (expected %d)",
				 (unsigned long long)version, HW_PROFILE_VERSION);
	if ((r = get_str(root, "", "name", p->name, sizeof(p->name), cx)) < 0 ||
	    (r = get_str(root, "", "kind", p->kind, sizeof(p->kind), cx)) < 0 ||
	    (r = get_str(root, "", "description", p->description,
			 sizeof(p->description), cx)) < 0)
		return r;

	if (!(cap = get_object(root, "capacity", "capacity", cx, &r)))
		return r;
	if ((r = check_keys(cap, "capacity", cap_keys, cx)) < 0 ||
	    (r = get_num(cap, "capacity", "hbm_device_bytes", &p->hbm_device_bytes, cx)) < 0 ||
	    (r = get_num(cap, "capacity", "hbm_usable_fraction", &p->hbm_usable_fraction, cx)) < 0 ||
	    (r = get_num(cap, "capacity", "workspace_bytes", &p->workspace_bytes, cx)) < 0 ||
	    (r = get_num(cap, "capacity", "dram_pinned_bytes", &p->dram_pinned_bytes, cx)) < 0 ||
	    (r = get_num(cap, "capacity", "sm_count", &p->sm_count, cx)) < 0 ||
	    (r = get_num(cap, "capacity", "copy_sms", &p->copy_sms, cx)) < 0)
		return r;

	if (!(link = get_object(root, "link", "link", cx, &r)))
		return r;
	if ((r = check_keys(link, "link", link_keys, cx)) < 0 ||
	    (r = get_num(link, "link", "h2d_bw", &p->h2d_bw, cx)) < 0 ||
	    (r = get_num(link, "link", "d2h_bw", &p->d2h_bw, cx)) < 0 ||
	    (r = get_num(link, "link", "bidir_bw", &p->bidir_bw, cx)) < 0 ||
	    (r = get_num(link, "link", "latency_ns", &p->latency_ns, cx)) < 0)
		return r;

	if (!(ops = get_object(root, "ops", "ops", cx, &r)))
		return r;
	for (i = 0; i < HW_NOPS; i++)
		op_keys[i] = op_names[i];
	op_keys[HW_NOPS] = NULL;
	if ((r = check_keys(ops, "ops", op_keys, cx)) < 0)
		return r;
	for (i = 0; i < HW_NOPS; i++)
		if ((r = get_op(ops, (enum hw_op_id)i, &p->op[i], cx)) < 0)
			return r;
	if (cJSON_GetObjectItemCaseSensitive(root, "executor")) {
		const cJSON *ex = get_object(root, "executor", "executor", cx, &r);

		if (!ex || (r = check_keys(ex, "executor", exec_keys, cx)) < 0)
			return r;
		for (i = 0; i < HW_EXEC_NUMS; i++) {
			struct hw_num *n = hw_exec_num(&p->exec, i);

			if (exec_key_optional(i) &&
			    !cJSON_GetObjectItemCaseSensitive(ex, exec_keys[i])) {
				n->v = 0;
				snprintf(n->src, sizeof n->src,
					 "absent from the file: 0");
				continue;
			}
			if ((r = get_num(ex, "executor", exec_keys[i], n,
					 cx)) < 0)
				return r;
		}
		p->exec.present = 1;
	}
	return 0;
}

int hw_profile_parse(struct hw_profile **out, const char *json,
		     const char *origin, struct ss_err *err)
{
	struct mjson_ctx cx = { origin, "key", err };
	struct hw_profile *p;
	cJSON *root;
	int r;

	*out = NULL;
	root = mjson_parse(json, &cx);
	if (!root)
		return SS_EINVAL;
	p = hw_profile_alloc();
	if (!p) {
		cJSON_Delete(root);
		return ss_error(err, SS_ENOMEM, "%s: out of memory", origin);
	}
	r = parse_root(root, p, &cx);
	cJSON_Delete(root);
	if (r == 0)
		r = hw_profile_validate(p, origin, err);
	if (r < 0) {
		hw_profile_free(p);
		return r;
	}
	*out = p;
	return 0;
}

/* ---- validation --------------------------------------------------------- */

/* v in [lo, hi] (lo_open: v > lo); "ORIGIN: key 'PATH.value': ..." otherwise. */
static int check_num(const struct hw_num *n, const char *path, double lo,
		     int lo_open, double hi, int whole, struct mjson_ctx *cx)
{
	char sub[176];

	snprintf(sub, sizeof(sub), "%s.value", path);
	if (!isfinite(n->v) || n->v < lo || (lo_open && n->v == lo) ||
	    n->v > hi)
		return mjson_bad(cx, sub, "%.17g is out of range %s%g, %g]",
				 n->v, lo_open ? "(" : "[", lo, hi);
	if (whole && n->v != floor(n->v))
		return mjson_bad(cx, sub, "%.17g is not a whole number", n->v);
	return 0;
}

static int validate_axis(const double *a, uint32_t n, double *la,
			 const char *path, struct mjson_ctx *cx)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (!isfinite(a[i]) || a[i] <= 0)
			return mjson_bad(cx, path, "element %u: %g is not > 0",
					 i, a[i]);
		if (i && a[i] <= a[i - 1])
			return mjson_bad(cx, path,
					 "element %u: %g does not ascend", i,
					 a[i]);
		la[i] = log(a[i]);
	}
	return 0;
}

static int validate_waves(const struct hw_op *op, const char *name,
			  struct mjson_ctx *cx)
{
	static const struct {
		const char *key;
		size_t off;
		double lo, hi;
		int whole;
	} f[] = {
		{ "tile_q", offsetof(struct hw_op, tile_q), 1, 1e6, 1 },
		{ "ctas_per_sm", offsetof(struct hw_op, ctas_per_sm), 1, 1024, 1 },
		{ "sm_count", offsetof(struct hw_op, wave_sms), 1, 1e6, 1 },
		{ "fit_heads", offsetof(struct hw_op, fit_heads), 1, 1e6, 1 },
		{ "round_ns", offsetof(struct hw_op, round_ns), 0, 1e12, 0 },
		{ "round_key_ns", offsetof(struct hw_op, round_key_ns), 0, 1e9, 0 },
		{ "tail_ns", offsetof(struct hw_op, tail_ns), 0, 1e12, 0 },
		{ "tail_key_ns", offsetof(struct hw_op, tail_key_ns), 0, 1e9, 0 },
	};
	char path[112];
	size_t i;
	int r;

	if (strcmp(name, "prefill_attn")) {
		snprintf(path, sizeof(path), "ops.%s.form", name);
		return mjson_bad(cx, path,
				 "'waves' is only for prefill_attn (the cost function that passes the call's shape)");
	}
	for (i = 0; i < SS_ARRAY_SIZE(f); i++) {
		snprintf(path, sizeof(path), "ops.%s.%s", name, f[i].key);
		r = check_num((const struct hw_num *)((const char *)op + f[i].off),
			      path, f[i].lo, 0, f[i].hi, f[i].whole, cx);
		if (r < 0)
			return r;
	}
	if (op->tail_ns.v > op->round_ns.v ||
	    op->tail_key_ns.v > op->round_key_ns.v) {
		snprintf(path, sizeof(path), "ops.%s.tail_ns", name);
		return mjson_bad(cx, path,
				 "tail_ns %g and tail_key_ns %g must not exceed round_ns %g and round_key_ns %g (a round that fills would cost less)",
				 op->tail_ns.v, op->tail_key_ns.v, op->round_ns.v,
				 op->round_key_ns.v);
	}
	return 0;
}

/* fit_kv_heads, when set: a whole number >= 1 on a decode attention table. */
static int validate_kv_scale(const struct hw_op *op, const char *name,
			     struct mjson_ctx *cx)
{
	char path[112];

	if (op->fit_kv_heads.v == 0)
		return 0;
	snprintf(path, sizeof(path), "ops.%s.fit_kv_heads", name);
	if (strcmp(name, "decode_attn") && strcmp(name, "decode_attn_sparse"))
		return mjson_bad(cx, path,
				 "only for decode_attn and decode_attn_sparse (the cost functions that scale their batch by KV heads)");
	if (op->form != HW_FORM_TABLE)
		return mjson_bad(cx, path, "only for the table form");
	return check_num(&op->fit_kv_heads, path, 1, 0, 1e6, 1, cx);
}

static int validate_op(struct hw_op *op, const char *name, double max_y,
		       struct mjson_ctx *cx)
{
	char path[96], sub[112];
	uint32_t ix, iy;
	size_t u;
	int r;

	snprintf(path, sizeof(path), "ops.%s", name);
	snprintf(sub, sizeof(sub), "%s.fixed_ns", path);
	if ((r = check_num(&op->fixed_ns, sub, 0, 0, 1e12, 0, cx)) < 0)
		return r;
	snprintf(sub, sizeof(sub), "%s.per_item_ns", path);
	if ((r = check_num(&op->per_item_ns, sub, 0, 0, 1e12, 0, cx)) < 0)
		return r;
	if ((r = validate_kv_scale(op, name, cx)) < 0)
		return r;
	if (op->form == HW_FORM_ROOFLINE) {
		snprintf(sub, sizeof(sub), "%s.flops_peak", path);
		if ((r = check_num(&op->flops_peak, sub, 0, 0, 1e18, 0, cx)) < 0)
			return r;
		snprintf(sub, sizeof(sub), "%s.eff_max", path);
		if ((r = check_num(&op->eff_max, sub, 0, 1, 1, 0, cx)) < 0)
			return r;
		snprintf(sub, sizeof(sub), "%s.eff_half_x", path);
		if ((r = check_num(&op->eff_half_x, sub, 0, 0, 1e12, 0, cx)) < 0)
			return r;
		snprintf(sub, sizeof(sub), "%s.bytes_bw", path);
		if ((r = check_num(&op->bytes_bw, sub, 0, 0, 1e16, 0, cx)) < 0)
			return r;
		snprintf(sub, sizeof(sub), "%s.bw_eff", path);
		/* both roofs 0 is allowed: an op of overheads only (host) */
		return check_num(&op->bw_eff, sub, 0, 1, 1, 0, cx);
	}
	if (op->form == HW_FORM_WAVES)
		return validate_waves(op, name, cx);
	if (op->form != HW_FORM_TABLE)
		return mjson_bad(cx, path, "unknown form %d", (int)op->form);
	for (u = 0; u < SS_ARRAY_SIZE(units); u++)
		if (!strcmp(units[u].name, op->unit) &&
		    units[u].work == op->work)
			break;
	snprintf(sub, sizeof(sub), "%s.unit", path);
	if (u == SS_ARRAY_SIZE(units))
		return mjson_bad(cx, sub, "'%s' does not fit work %s", op->unit,
				 op->work == HW_WORK_FLOPS ? "flops" : "bytes");
	op->unit_scale = units[u].scale;
	snprintf(sub, sizeof(sub), "%s.x", path);
	if (op->nx < 1 || op->nx > HW_GRID_MAX)
		return mjson_bad(cx, sub, "%u points (1 to %d)", op->nx,
				 HW_GRID_MAX);
	if ((r = validate_axis(op->x, op->nx, op->lx, sub, cx)) < 0)
		return r;
	snprintf(sub, sizeof(sub), "%s.y", path);
	if (op->ny < 1 || op->ny > HW_GRID_MAX)
		return mjson_bad(cx, sub, "%u points (1 to %d)", op->ny,
				 HW_GRID_MAX);
	if (op->ny > 1) {
		if ((r = validate_axis(op->y, op->ny, op->ly, sub, cx)) < 0)
			return r;
		if (op->yaxis == HW_Y_SMS && op->y[op->ny - 1] > max_y)
			return mjson_bad(cx, sub,
					 "%g SMs is more than capacity.sm_count %g",
					 op->y[op->ny - 1], max_y);
	}
	snprintf(sub, sizeof(sub), "%s.y_axis", path);
	if ((unsigned)op->yaxis > HW_Y_BYTES)
		return mjson_bad(cx, sub, "unknown axis %d", (int)op->yaxis);
	snprintf(sub, sizeof(sub), "%s.fixed_ns_by_x", path);
	for (ix = 0; op->has_fixed_x && ix < op->nx; ix++)
		if (!isfinite(op->fixed_x[ix]) || op->fixed_x[ix] < 0 ||
		    op->fixed_x[ix] > 1e12)
			return mjson_bad(cx, sub, "element %u: %g is out of range [0, 1e12]",
					 ix, op->fixed_x[ix]);
	snprintf(sub, sizeof(sub), "%s.rate", path);
	for (iy = 0; iy < op->ny; iy++)
		for (ix = 0; ix < op->nx; ix++) {
			double v = op->rate[iy][ix];

			if (!isfinite(v) || v <= 0)
				return mjson_bad(cx, sub,
						 "row %u element %u: %g is not > 0",
						 iy, ix, v);
			op->lrate[iy][ix] = log(v * op->unit_scale);
		}
	if (!op->table_src[0]) {
		snprintf(sub, sizeof(sub), "%s.source", path);
		return mjson_bad(cx, sub, "empty: say where the grid comes from");
	}
	return 0;
}

int hw_profile_validate(struct hw_profile *p, const char *origin,
			struct ss_err *err)
{
	struct mjson_ctx cx = { origin, "key", err };
	int r, i;

	if (strcmp(p->kind, "analytic") && strcmp(p->kind, "calibrated") &&
	    strcmp(p->kind, "what-if"))
		return mjson_bad(&cx, "kind",
				 "'%s' is not analytic, calibrated or what-if",
				 p->kind);
	if ((r = check_num(&p->hbm_device_bytes, "capacity.hbm_device_bytes", 0, 1, 1e15, 1, &cx)) < 0 ||
	    (r = check_num(&p->hbm_usable_fraction, "capacity.hbm_usable_fraction", 0, 1, 1, 0, &cx)) < 0 ||
	    (r = check_num(&p->workspace_bytes, "capacity.workspace_bytes", 0, 0, 1e15, 1, &cx)) < 0 ||
	    (r = check_num(&p->dram_pinned_bytes, "capacity.dram_pinned_bytes", 0, 1, 1e16, 1, &cx)) < 0 ||
	    (r = check_num(&p->sm_count, "capacity.sm_count", 1, 0, 1e6, 1, &cx)) < 0 ||
	    (r = check_num(&p->copy_sms, "capacity.copy_sms", 1, 0, p->sm_count.v, 1, &cx)) < 0 ||
	    (r = check_num(&p->h2d_bw, "link.h2d_bw", 0, 1, 1e15, 0, &cx)) < 0 ||
	    (r = check_num(&p->d2h_bw, "link.d2h_bw", 0, 1, 1e15, 0, &cx)) < 0 ||
	    (r = check_num(&p->bidir_bw, "link.bidir_bw", 0, 1, 1e15, 0, &cx)) < 0 ||
	    (r = check_num(&p->latency_ns, "link.latency_ns", 0, 0, 1e12, 0, &cx)) < 0)
		return r;
	for (i = 0; i < HW_NOPS; i++)
		if ((r = validate_op(&p->op[i], op_names[i], p->sm_count.v,
				     &cx)) < 0)
			return r;
	for (i = 0; p->exec.present && i < HW_EXEC_NUMS; i++) {
		char path[64];
		const struct hw_num *n = hw_exec_num(&p->exec, i);
		int stages = n == &p->exec.host_stages; /* 0 (absent), 1, 2 */

		snprintf(path, sizeof path, "executor.%s", exec_keys[i]);
		if ((r = check_num(n, path, 0, 0, stages ? 2 : 1e9, stages,
				   &cx)) < 0)
			return r;
	}
	return 0;
}

/* ---- writing ------------------------------------------------------------ */

static cJSON *num_json(const struct hw_num *n)
{
	cJSON *o = cJSON_CreateObject();

	if (o && (!cJSON_AddNumberToObject(o, "value", n->v) ||
		  !cJSON_AddStringToObject(o, "source", n->src))) {
		cJSON_Delete(o);
		o = NULL;
	}
	return o;
}

/* Add a {value, source} object; 0 or -1 when out of memory. */
static int add_num(cJSON *to, const char *key, const struct hw_num *n)
{
	cJSON *o = num_json(n);

	if (!o)
		return -1;
	if (!cJSON_AddItemToObject(to, key, o)) {
		cJSON_Delete(o);
		return -1;
	}
	return 0;
}

static cJSON *array_json(const double *a, uint32_t n)
{
	cJSON *arr = cJSON_CreateArray(), *v;
	uint32_t i;

	for (i = 0; arr && i < n; i++) {
		v = cJSON_CreateNumber(a[i]);
		if (!v || !cJSON_AddItemToArray(arr, v)) {
			cJSON_Delete(v);
			cJSON_Delete(arr);
			return NULL;
		}
	}
	return arr;
}

static int add_item(cJSON *to, const char *key, cJSON *item)
{
	if (!item)
		return -1;
	if (!cJSON_AddItemToObject(to, key, item)) {
		cJSON_Delete(item);
		return -1;
	}
	return 0;
}

static int op_json(cJSON *ops, const struct hw_op *op, const char *name)
{
	cJSON *o = cJSON_CreateObject(), *rows;
	uint32_t iy;

	if (add_item(ops, name, o) < 0)
		return -1;
	if (op->form == HW_FORM_ROOFLINE)
		return (!cJSON_AddStringToObject(o, "form", "roofline") ||
			add_num(o, "fixed_ns", &op->fixed_ns) ||
			add_num(o, "per_item_ns", &op->per_item_ns) ||
			add_num(o, "flops_peak", &op->flops_peak) ||
			add_num(o, "eff_max", &op->eff_max) ||
			add_num(o, "eff_half_x", &op->eff_half_x) ||
			add_num(o, "bytes_bw", &op->bytes_bw) ||
			add_num(o, "bw_eff", &op->bw_eff)) ? -1 : 0;
	if (op->form == HW_FORM_WAVES)
		return (!cJSON_AddStringToObject(o, "form", "waves") ||
			add_num(o, "fixed_ns", &op->fixed_ns) ||
			add_num(o, "per_item_ns", &op->per_item_ns) ||
			add_num(o, "tile_q", &op->tile_q) ||
			add_num(o, "ctas_per_sm", &op->ctas_per_sm) ||
			add_num(o, "sm_count", &op->wave_sms) ||
			add_num(o, "fit_heads", &op->fit_heads) ||
			add_num(o, "round_ns", &op->round_ns) ||
			add_num(o, "round_key_ns", &op->round_key_ns) ||
			add_num(o, "tail_ns", &op->tail_ns) ||
			add_num(o, "tail_key_ns", &op->tail_key_ns)) ? -1 : 0;
	if (!cJSON_AddStringToObject(o, "form", "table") ||
	    add_num(o, "fixed_ns", &op->fixed_ns) ||
	    add_num(o, "per_item_ns", &op->per_item_ns) ||
	    !cJSON_AddStringToObject(o, "work",
				     op->work == HW_WORK_FLOPS ? "flops" : "bytes") ||
	    !cJSON_AddStringToObject(o, "unit", op->unit) ||
	    !cJSON_AddStringToObject(o, "source", op->table_src) ||
	    add_item(o, "x", array_json(op->x, op->nx)))
		return -1;
	if (op->ny > 1 && add_item(o, "y", array_json(op->y, op->ny)))
		return -1;
	if (op->ny > 1 && op->yaxis != HW_Y_SMS &&
	    !cJSON_AddStringToObject(o, "y_axis",
				     op->yaxis == HW_Y_ITEMS ? "items" : "bytes"))
		return -1;
	if (op->fit_kv_heads.v > 0 &&
	    add_num(o, "fit_kv_heads", &op->fit_kv_heads))
		return -1;
	if (op->below_rate && !cJSON_AddStringToObject(o, "x_below", "rate"))
		return -1;
	if (op->has_fixed_x &&
	    add_item(o, "fixed_ns_by_x", array_json(op->fixed_x, op->nx)))
		return -1;
	rows = cJSON_CreateArray();
	if (add_item(o, "rate", rows) < 0)
		return -1;
	for (iy = 0; iy < op->ny; iy++) {
		cJSON *row = array_json(op->rate[iy], op->nx);

		if (!row || !cJSON_AddItemToArray(rows, row)) {
			cJSON_Delete(row);
			return -1;
		}
	}
	return 0;
}

int hw_profile_write(const struct hw_profile *p, FILE *f, struct ss_err *err)
{
	cJSON *root = cJSON_CreateObject(), *cap, *link, *ops;
	char *txt = NULL;
	int i, bad = !root;

	bad = bad || !cJSON_AddStringToObject(root, "format", FORMAT_TAG) ||
	      !cJSON_AddNumberToObject(root, "version", HW_PROFILE_VERSION) ||
	      !cJSON_AddStringToObject(root, "name", p->name) ||
	      !cJSON_AddStringToObject(root, "kind", p->kind) ||
	      !cJSON_AddStringToObject(root, "description", p->description);
	bad = bad || !(cap = cJSON_AddObjectToObject(root, "capacity")) ||
	      add_num(cap, "hbm_device_bytes", &p->hbm_device_bytes) ||
	      add_num(cap, "hbm_usable_fraction", &p->hbm_usable_fraction) ||
	      add_num(cap, "workspace_bytes", &p->workspace_bytes) ||
	      add_num(cap, "dram_pinned_bytes", &p->dram_pinned_bytes) ||
	      add_num(cap, "sm_count", &p->sm_count) ||
	      add_num(cap, "copy_sms", &p->copy_sms);
	bad = bad || !(link = cJSON_AddObjectToObject(root, "link")) ||
	      add_num(link, "h2d_bw", &p->h2d_bw) ||
	      add_num(link, "d2h_bw", &p->d2h_bw) ||
	      add_num(link, "bidir_bw", &p->bidir_bw) ||
	      add_num(link, "latency_ns", &p->latency_ns);
	bad = bad || !(ops = cJSON_AddObjectToObject(root, "ops"));
	for (i = 0; !bad && i < HW_NOPS; i++)
		bad = op_json(ops, &p->op[i], op_names[i]) < 0;
	if (!bad && p->exec.present) {
		cJSON *ex = cJSON_AddObjectToObject(root, "executor");

		bad = !ex;
		for (i = 0; !bad && i < HW_EXEC_NUMS; i++)
			bad = add_num(ex, exec_keys[i],
				      hw_exec_cnum(&p->exec, i));
	}
	if (!bad)
		txt = cJSON_Print(root);
	cJSON_Delete(root);
	if (!txt)
		return ss_error(err, SS_ENOMEM,
				"profile '%s': out of memory writing JSON",
				p->name);
	bad = fputs(txt, f) == EOF || fputc('\n', f) == EOF;
	cJSON_free(txt);
	if (bad)
		return ss_error(err, SS_EIO, "profile '%s': write failed",
				p->name);
	return 0;
}

/* ---- loading and plain facts ------------------------------------------- */

static int is_h5_path(const char *path)
{
	size_t n = strlen(path);

	return n > 3 && !strcmp(path + n - 3, ".h5");
}

int hw_profile_load(struct hw_profile **out, const char *name_or_path,
		    struct ss_err *err)
{
	const char *text = ss_embedded_find(hw_profile_embedded, name_or_path);
	struct ss_err ferr;
	char *buf;
	int r;

	*out = NULL;
	if (text)
		return hw_profile_parse(out, text, name_or_path, err);
	/* calibration files (calibrate/profile_h5.c) carry the profile inside */
	if (is_h5_path(name_or_path))
		return cal_profile_h5_load(out, name_or_path, err);
	r = ss_read_file(name_or_path, &buf, NULL, &ferr);
	if (r < 0) {
		char names[256];
		size_t i, n = 0;

		names[0] = '\0';
		for (i = 0; hw_profile_names[i] && n < sizeof(names); i++)
			n += (size_t)snprintf(names + n, sizeof(names) - n,
					      "%s%s", i ? ", " : "",
					      hw_profile_names[i]);
		return ss_error(err, r,
				"profile '%s': not a shipped profile (%s) and not a readable file (%s)",
				name_or_path, names, ferr.msg);
	}
	r = hw_profile_parse(out, buf, name_or_path, err);
	free(buf);
	return r;
}

const char *hw_profile_name(const struct hw_profile *p) { return p->name; }
const char *hw_profile_kind(const struct hw_profile *p) { return p->kind; }

uint64_t hw_hbm_bytes(const struct hw_profile *p)
{
	return (uint64_t)floor(p->hbm_device_bytes.v * p->hbm_usable_fraction.v);
}

uint64_t hw_hbm_device_bytes(const struct hw_profile *p)
{
	return (uint64_t)p->hbm_device_bytes.v;
}

uint64_t hw_dram_bytes(const struct hw_profile *p)
{
	return (uint64_t)p->dram_pinned_bytes.v;
}

uint32_t hw_sm_count(const struct hw_profile *p)
{
	return (uint32_t)p->sm_count.v;
}

double hw_link_bw(const struct hw_profile *p, enum link_dir d)
{
	return d == LINK_H2D ? p->h2d_bw.v : p->d2h_bw.v;
}

double hw_link_bidir_bw(const struct hw_profile *p) { return p->bidir_bw.v; }

int64_t hw_link_latency_ns(const struct hw_profile *p)
{
	return (int64_t)llround(p->latency_ns.v);
}

/* ---- link override (sim config keys link.*_gbps) ------------------------ */

/* Series model: a mechanism's rate r on a link of bw splits as
 * 1/r = 1/r_other + 1/bw; on a link of bw' it is 1/(1/r_other + 1/bw').
 * r_other (per-call driver time, SM or CPU limits) stays; a rate already
 * at or above the link keeps only the new link's term. */
static double series_rate(double r, double bw, double bw_new)
{
	double other;

	if (!(r > 0))
		return r;
	other = 1.0 / r - 1.0 / bw;
	if (other < 0)
		other = 0;
	return 1.0 / (other + 1.0 / bw_new);
}

static void append_src(struct hw_num *n, const char *what)
{
	size_t len = strlen(n->src);

	if (len + 2 < sizeof(n->src))
		snprintf(n->src + len, sizeof(n->src) - len, "; %s", what);
}

static enum link_dir xfer_dir(enum xfer_mech m)
{
	return m == XFER_MEMCPY_H2D || m == XFER_MEMCPY_BATCH_H2D ||
			       m == XFER_FLASH_H2D || m == XFER_BULK_H2D
		       ? LINK_H2D
		       : LINK_D2H;
}

int hw_profile_set_link(struct hw_profile *p, double h2d_bw, double d2h_bw,
			double bidir_bw, struct ss_err *err)
{
	double old[LINK_NDIR] = { p->h2d_bw.v, p->d2h_bw.v };
	double bw[LINK_NDIR], k_sum;
	const char *tag = "overridden by config key link.*_gbps; transfer "
			  "rates by the series model 1/r = 1/r_other + 1/r_link "
			  "(sim/config.c)";

	bw[LINK_H2D] = h2d_bw > 0 ? h2d_bw : old[LINK_H2D];
	bw[LINK_D2H] = d2h_bw > 0 ? d2h_bw : old[LINK_D2H];
	if (!isfinite(bw[LINK_H2D]) || !isfinite(bw[LINK_D2H]) ||
	    !(bidir_bw >= 0) || !isfinite(bidir_bw))
		return ss_error(err, SS_EINVAL,
				"link override: bandwidths must be finite and > 0 (h2d %g, d2h %g, bidir %g B/s)",
				h2d_bw, d2h_bw, bidir_bw);
	if (h2d_bw <= 0 && d2h_bw <= 0 && bidir_bw <= 0)
		return 0;
	/* unset bidir: the profile's cap moves with the sum of the directions */
	k_sum = (bw[LINK_H2D] + bw[LINK_D2H]) / (old[LINK_H2D] + old[LINK_D2H]);
	for (int m = 0; m < XFER_NMECH; m++) {
		struct hw_op *op = &p->op[HW_OP_XFER0 + m];
		enum link_dir d = xfer_dir((enum xfer_mech)m);
		double b = old[d], bn = bw[d];

		if (b == bn)
			continue;
		if (op->form == HW_FORM_TABLE && op->work == HW_WORK_BYTES) {
			for (uint32_t iy = 0; iy < op->ny; iy++)
				for (uint32_t ix = 0; ix < op->nx; ix++)
					op->rate[iy][ix] =
						series_rate(op->rate[iy][ix] *
								    op->unit_scale,
							    b, bn) /
						op->unit_scale;
			if (strlen(op->table_src) + 2 < sizeof(op->table_src))
				snprintf(op->table_src + strlen(op->table_src),
					 sizeof(op->table_src) -
						 strlen(op->table_src),
					 "; %s", tag);
		} else if (op->form == HW_FORM_ROOFLINE && op->bytes_bw.v > 0 &&
			   op->bw_eff.v > 0) {
			double eff = op->bytes_bw.v * op->bw_eff.v;

			op->bytes_bw.v = series_rate(eff, b, bn) / op->bw_eff.v;
			append_src(&op->bytes_bw, tag);
		}
		/* per-call and per-item costs are not the link's: kept */
	}
	p->h2d_bw.v = bw[LINK_H2D];
	p->d2h_bw.v = bw[LINK_D2H];
	if (bidir_bw > 0)
		p->bidir_bw.v = bidir_bw;
	else
		p->bidir_bw.v *= k_sum;
	append_src(&p->h2d_bw, tag);
	append_src(&p->d2h_bw, tag);
	append_src(&p->bidir_bw, tag);
	return hw_profile_validate(p, "link override", err);
}

/* ---- evaluation (hot path: no allocation, no I/O) ----------------------- */

/* log(rate) along row iy at log(x) = l. */
static double row_lrate(const struct hw_op *op, uint32_t iy, double l)
{
	const double *lx = op->lx, *lr = op->lrate[iy];
	uint32_t n = op->nx, i;
	double t;

	if (l <= lx[0]) /* time per item stays constant, or the rate */
		return op->below_rate ? lr[0] : lr[0] + (l - lx[0]);
	if (l >= lx[n - 1])
		return lr[n - 1];
	for (i = 0; l > lx[i + 1]; i++)
		;
	t = (l - lx[i]) / (lx[i + 1] - lx[i]);
	return lr[i] + t * (lr[i + 1] - lr[i]);
}

double hw_op_rate(const struct hw_op *op, double x, double y)
{
	double lxv = log(x > 1e-9 ? x : 1e-9), lyv, t;
	uint32_t n = op->ny, i;

	if (n == 1)
		return exp(row_lrate(op, 0, lxv));
	lyv = log(y > 1e-9 ? y : 1e-9);
	if (lyv <= op->ly[0])
		return exp(row_lrate(op, 0, lxv) +
			   (op->yaxis == HW_Y_SMS ? lyv - op->ly[0] : 0));
	if (lyv >= op->ly[n - 1])
		return exp(row_lrate(op, n - 1, lxv));
	for (i = 0; lyv > op->ly[i + 1]; i++)
		;
	t = (lyv - op->ly[i]) / (op->ly[i + 1] - op->ly[i]);
	return exp(row_lrate(op, i, lxv) +
		   t * (row_lrate(op, i + 1, lxv) - row_lrate(op, i, lxv)));
}

/* fixed_ns_by_x at x: piecewise linear in log x (geometric between two
 * positive values), constant outside the grid. */
static double fixed_at(const struct hw_op *op, double x)
{
	const double *f = op->fixed_x, *lx = op->lx;
	uint32_t n = op->nx, i;
	double l, t;

	if (x <= op->x[0])
		return f[0];
	if (x >= op->x[n - 1])
		return f[n - 1];
	l = log(x);
	for (i = 0; l > lx[i + 1]; i++)
		;
	t = (l - lx[i]) / (lx[i + 1] - lx[i]);
	if (f[i] > 0 && f[i + 1] > 0)
		return f[i] * pow(f[i + 1] / f[i], t);
	return f[i] + t * (f[i + 1] - f[i]);
}

double hw_op_decode_batch(const struct hw_op *op, double batch,
			  double kv_heads)
{
	if (!(op->fit_kv_heads.v > 0))
		return batch;
	/* batch x kv_heads is a whole number, exact: the division gives
	 * batch back exactly when kv_heads == fit_kv_heads */
	return batch * kv_heads / op->fit_kv_heads.v;
}

void hw_waves_terms(double tile_q, double ctas_per_sm, double sms, double q,
		    double kv, double heads, struct hw_waves *w)
{
	double n = ceil(q / tile_q) * heads, L = ceil(n / sms);
	double R = floor(L / ctas_per_sm), g = tile_q * sms * ctas_per_sm / heads;
	double k0 = kv + q, kmin = kv + fmin(q, tile_q), i_last;

	w->full = R;
	w->tail = L - R * ctas_per_sm > 0 ? 1 : 0;
	/* K(i) = k0 - i g down to kmin: rounds 0 .. i_last before the floor */
	i_last = fmin(R - 1, floor((k0 - kmin) / g));
	w->full_keys = (i_last + 1) * k0 - g * i_last * (i_last + 1) / 2 +
		       (R - 1 - i_last) * kmin;
	if (R <= 0)
		w->full_keys = 0;
	w->tail_keys = w->tail * fmax(kmin, k0 - R * g);
}

double hw_op_prefill_ns(const struct hw_op *op, double q, double kv,
			double heads, double flops, double bytes)
{
	struct hw_waves w;

	if (op->form != HW_FORM_WAVES)
		return hw_op_ns(op, q, 0, flops, bytes, 1);
	if (!(q > 0))
		return op->fixed_ns.v + op->per_item_ns.v;
	hw_waves_terms(op->tile_q.v, op->ctas_per_sm.v, op->wave_sms.v, q, kv,
		       heads, &w);
	return op->fixed_ns.v + op->per_item_ns.v + w.full * op->round_ns.v +
	       w.tail * op->tail_ns.v + w.full_keys * op->round_key_ns.v +
	       w.tail_keys * op->tail_key_ns.v;
}

double hw_op_ns(const struct hw_op *op, double x, double y, double flops,
		double bytes, double items)
{
	double t = op->fixed_ns.v + items * op->per_item_ns.v, tc = 0, tm = 0;

	BUG_ON(op->form == HW_FORM_WAVES); /* needs the shape: hw_op_prefill_ns */

	if (op->form == HW_FORM_TABLE) {
		double w = op->work == HW_WORK_FLOPS ? flops : bytes;
		double yv = op->yaxis == HW_Y_ITEMS ? items
			    : op->yaxis == HW_Y_BYTES ? bytes : y;

		if (op->has_fixed_x)
			t += fixed_at(op, x);
		if (op->yaxis == HW_Y_ITEMS && op->ny > 1 && x > op->x[op->nx - 1]) {
			/* a request longer than the grid's longest counts as
			 * that many requests of the longest (the kernels split
			 * long contexts: split-KV) */
			yv *= x / op->x[op->nx - 1];
			x = op->x[op->nx - 1];
		}
		if (op->yaxis == HW_Y_BYTES && op->ny > 1 && !op->below_rate &&
		    x < op->x[0])
			yv *= op->x[0] / x; /* the call of the same count at x[0],
					       whose item time stays */
		return w > 0 ? t + 1e9 * w / hw_op_rate(op, x, yv) : t;
	}
	if (flops > 0 && op->flops_peak.v > 0) {
		double eff = op->eff_max.v;

		if (op->eff_half_x.v > 0) {
			double xx = x > 1e-9 ? x : 1e-9;

			eff *= xx / (xx + op->eff_half_x.v);
		}
		tc = flops / (op->flops_peak.v * eff);
	}
	if (bytes > 0 && op->bytes_bw.v > 0)
		tm = bytes / (op->bytes_bw.v * op->bw_eff.v);
	return t + 1e9 * (tc > tm ? tc : tm);
}
