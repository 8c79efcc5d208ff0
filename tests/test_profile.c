/* test_profile.c - hardware profiles: each shipped profile loads with its
 * documented numbers, a written profile reads back identical, and every
 * bad-profile path gives one line naming the file and the key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "fileio.h"
#include "harness.h"
#include "model/cost.h"
#include "model/embedded.h"
#include "model/profile.h"

static struct hw_profile *load(const char *name)
{
	struct hw_profile *p = NULL;
	struct ss_err e = { 0 };
	int r = hw_profile_load(&p, name, &e);

	CHECK_MSG(r == 0 && p, "hw_profile_load(%s): %s", name, e.msg);
	return p;
}

static void t_shipped(void)
{
	static const char *const want[] = { "a100-40g", "a100-40g-paper",
					    "gh200", "h200", "h200-analytic",
					    "h200-live" };
	static const char *const kinds[] = { "what-if", "what-if", "what-if",
					     "calibrated", "analytic",
					     "calibrated" };
	size_t i;

	for (i = 0; hw_profile_names[i]; i++) {
		struct hw_profile *p;

		CHECK(i < SS_ARRAY_SIZE(want));
		CHECK(!strcmp(hw_profile_names[i], want[i]));
		p = load(want[i]);
		CHECK(!strcmp(hw_profile_name(p), want[i]));
		CHECK(!strcmp(hw_profile_kind(p), kinds[i]));
		hw_profile_free(p);
	}
	CHECK_EQ_U64(i, SS_ARRAY_SIZE(want));
}

static void t_h200_facts(void)
{
	struct hw_profile *p = load("h200-analytic");
	int i;

	CHECK_EQ_U64(hw_hbm_device_bytes(p), 143771ull << 20);
	CHECK_EQ_U64(hw_hbm_bytes(p), (uint64_t)((143771ull << 20) * 0.9));
	CHECK_EQ_U64(hw_sm_count(p), 132);
	CHECK_NEAR(hw_link_bw(p, LINK_H2D), 55.3e9, 0);
	CHECK_NEAR(hw_link_bw(p, LINK_D2H), 55.4e9, 0);
	CHECK_NEAR(hw_link_bidir_bw(p), 99.0e9, 0);
	CHECK_EQ_I64(hw_link_latency_ns(p), 2000);
	CHECK(hw_dram_bytes(p) > 0);
	/* every number says where it comes from */
	CHECK_STR_CONTAINS(p->h2d_bw.src, "measured");
	CHECK_STR_CONTAINS(p->sm_count.src, "measured");
	CHECK_STR_CONTAINS(p->hbm_usable_fraction.src, "estimate");
	for (i = 0; i < HW_NOPS; i++) {
		const struct hw_op *op = &p->op[i];

		CHECK_MSG(op->fixed_ns.src[0] && op->per_item_ns.src[0],
			  "op %s lacks a source", hw_op_name((enum hw_op_id)i));
		if (op->form == HW_FORM_TABLE)
			CHECK(op->table_src[0]);
		else
			CHECK(op->flops_peak.src[0] && op->bytes_bw.src[0]);
	}
	CHECK_EQ_I64(p->op[HW_OP_XFER0 + XFER_FLASH_H2D].ny, 8);
	CHECK_NEAR(p->op[HW_OP_LINEAR].flops_peak.v, 788e12, 0);
	hw_profile_free(p);
}

/* The default h200 is the calibration shipped in calibrate/results/h200/. */
static void t_h200_calibrated_facts(void)
{
	struct hw_profile *p = load("h200");
	int i;

	CHECK(!strcmp(hw_profile_kind(p), "calibrated"));
	CHECK_EQ_U64(hw_sm_count(p), 132);
	/* what the CUDA runtime reports: 139.8 GiB */
	CHECK_EQ_U64(hw_hbm_device_bytes(p), 150109880320ull);
	CHECK_NEAR(hw_link_bw(p, LINK_H2D), 54.81e9, 0.01e9);
	CHECK_STR_CONTAINS(p->h2d_bw.src, "measured");
	CHECK_STR_CONTAINS(p->sm_count.src, "measured");
	for (i = 0; i < HW_NOPS; i++) {
		const struct hw_op *op = &p->op[i];

		/* measured ops name the fit; sample and host keep the analytic
		 * estimates */
		if (i == HW_OP_SAMPLE || i == HW_OP_HOST)
			CHECK_STR_CONTAINS(op->fixed_ns.src, "estimate");
		else if (op->form == HW_FORM_TABLE)
			CHECK_STR_CONTAINS(op->table_src, "measured: calibrate");
		else
			CHECK_STR_CONTAINS(op->fixed_ns.src, "measured: calibrate");
	}
	/* the decode kernels' table runs over (context per request, batch) */
	CHECK_EQ_I64(p->op[HW_OP_DECODE_ATTN].form, HW_FORM_TABLE);
	CHECK_EQ_I64(p->op[HW_OP_DECODE_ATTN].yaxis, HW_Y_ITEMS);
	CHECK_EQ_I64(p->op[HW_OP_XFER0 + XFER_FLASH_H2D].ny, 10);
	hw_profile_free(p);
}

static void t_what_if_facts(void)
{
	struct hw_profile *a = load("a100-40g-paper"), *g, *h;

	CHECK_EQ_U64(hw_sm_count(a), 108);
	CHECK_EQ_U64(hw_hbm_device_bytes(a), 40ull << 30);
	CHECK_NEAR(a->op[HW_OP_PREFILL_ATTN].flops_peak.v, 312e12, 0);
	CHECK_STR_CONTAINS(a->op[HW_OP_XFER0 + XFER_FLASH_H2D].table_src,
			   "paper Fig 4a");
	CHECK_STR_CONTAINS(a->op[HW_OP_XFER0 + XFER_FLASH_D2H].table_src,
			   "paper Fig 4b");
	CHECK_STR_CONTAINS(a->h2d_bw.src, "32 GB/s");
	hw_profile_free(a);
	/* the shipped a100-40g and gh200 are derived from the calibrated h200
	 * by datasheet ratios (calibrate --derive) */
	a = load("a100-40g");
	g = load("gh200");
	h = load("h200");
	CHECK_EQ_U64(hw_sm_count(a), 108);
	CHECK_EQ_U64(hw_hbm_device_bytes(a), 40ull << 30);
	CHECK_NEAR(hw_link_bw(a, LINK_H2D), hw_link_bw(h, LINK_H2D) * 0.5, 1);
	CHECK_STR_CONTAINS(a->h2d_bw.src, "derived");
	CHECK_STR_CONTAINS(a->op[HW_OP_DECODE_ATTN].table_src, "derived: rates x");
	CHECK_NEAR(hw_link_bw(g, LINK_H2D), hw_link_bw(h, LINK_H2D) * 450 / 64, 1);
	CHECK_STR_CONTAINS(g->h2d_bw.src, "datasheet");
	CHECK_EQ_U64(hw_sm_count(g), 132);
	hw_profile_free(a);
	hw_profile_free(g);
	hw_profile_free(h);
}

static char *write_text(const struct hw_profile *p)
{
	char *buf = NULL;
	size_t len = 0;
	struct ss_err e;
	FILE *f = open_memstream(&buf, &len);

	CHECK(f != NULL);
	CHECK_EQ_I64(hw_profile_write(p, f, &e), 0);
	fclose(f);
	return buf;
}

static void t_round_trip(void)
{
	size_t i;

	for (i = 0; hw_profile_names[i]; i++) {
		struct hw_profile *p = load(hw_profile_names[i]), *q = NULL;
		char dir[] = "/tmp/ss_prof_XXXXXX", path[256];
		char *t1 = write_text(p), *t2;
		struct ss_err e;
		FILE *f;
		int k;

		CHECK(mkdtemp(dir) != NULL);
		snprintf(path, sizeof path, "%s/p.json", dir);
		f = fopen(path, "w");
		CHECK(f != NULL);
		fputs(t1, f);
		fclose(f);
		CHECK_MSG(hw_profile_load(&q, path, &e) == 0, "%s", e.msg);
		t2 = write_text(q);
		CHECK(!strcmp(t1, t2));
		CHECK(!strcmp(p->name, q->name));
		CHECK_NEAR(p->h2d_bw.v, q->h2d_bw.v, 0);
		CHECK(!strcmp(p->h2d_bw.src, q->h2d_bw.src));
		for (k = 0; k < HW_NOPS; k++) {
			const struct hw_op *a = &p->op[k], *b = &q->op[k];

			CHECK_EQ_I64(a->form, b->form);
			CHECK(!memcmp(a->rate, b->rate, sizeof(a->rate)));
			CHECK(!memcmp(a->lrate, b->lrate, sizeof(a->lrate)));
			CHECK(!memcmp(a->x, b->x, sizeof(a->x)));
			CHECK_NEAR(a->fixed_ns.v, b->fixed_ns.v, 0);
			CHECK_NEAR(a->eff_max.v, b->eff_max.v, 0);
		}
		free(t1);
		free(t2);
		hw_profile_free(p);
		hw_profile_free(q);
		unlink(path);
		rmdir(dir);
	}
}

/* {"value": v, "source": "..."} as ops.<op>.fit_kv_heads of `root`. */
static void add_fit_kv_heads(cJSON *root, const char *op, double v)
{
	cJSON *n = cJSON_CreateObject();
	cJSON *o = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "ops"), op);

	cJSON_AddNumberToObject(n, "value", v);
	cJSON_AddStringToObject(n, "source", "model shape measured: lwm-7b");
	/* replaces the key of a calibrated profile (one key, not two) */
	cJSON_DeleteItemFromObject(o, "fit_kv_heads");
	cJSON_AddItemToObject(o, "fit_kv_heads", n);
}

/*
 * fit_kv_heads (the decode tables' measured shape) is optional: the
 * analytic profiles have none and write none; the calibrated h200 (and the
 * profiles derived from it) carry Llama-3-8B-262k's 8 KV heads; one given
 * reads back and writes back the same.
 */
static void t_fit_kv_heads_round_trip(void)
{
	cJSON *root = cJSON_Parse(ss_embedded_find(hw_profile_embedded, "h200"));
	struct hw_profile *p = NULL, *q = NULL;
	char *txt, *t1, *t2;
	struct ss_err e;
	size_t i;

	for (i = 0; hw_profile_names[i]; i++) {
		double want;

		/* the calibration of session 7 and what derives from it */
		static const char *const keyed[] = { "h200", "h200-live",
						     "a100-40g", "gh200", NULL };

		p = load(hw_profile_names[i]);
		want = 0;
		for (size_t k = 0; keyed[k]; k++)
			if (!strcmp(hw_profile_names[i], keyed[k]))
				want = 8;
		CHECK_NEAR(p->op[HW_OP_DECODE_ATTN].fit_kv_heads.v, want, 0);
		CHECK_NEAR(p->op[HW_OP_DECODE_ATTN_SPARSE].fit_kv_heads.v, want, 0);
		CHECK_NEAR(p->op[HW_OP_SELECT].fit_kv_heads.v, 0, 0);
		t1 = write_text(p);
		CHECK(!strstr(t1, "fit_kv_heads") == !want);
		free(t1);
		hw_profile_free(p);
	}
	CHECK(root != NULL);
	add_fit_kv_heads(root, "decode_attn", 32);
	add_fit_kv_heads(root, "decode_attn_sparse", 8);
	txt = cJSON_Print(root);
	cJSON_Delete(root);
	CHECK_MSG(hw_profile_parse(&p, txt, "mem", &e) == 0, "%s", e.msg);
	free(txt);
	CHECK_NEAR(p->op[HW_OP_DECODE_ATTN].fit_kv_heads.v, 32, 0);
	CHECK_NEAR(p->op[HW_OP_DECODE_ATTN_SPARSE].fit_kv_heads.v, 8, 0);
	CHECK_STR_CONTAINS(p->op[HW_OP_DECODE_ATTN].fit_kv_heads.src, "lwm-7b");
	CHECK_NEAR(p->op[HW_OP_SELECT].fit_kv_heads.v, 0, 0);
	t1 = write_text(p);
	CHECK_STR_CONTAINS(t1, "\"fit_kv_heads\":");
	CHECK_MSG(hw_profile_parse(&q, t1, "mem2", &e) == 0, "%s", e.msg);
	t2 = write_text(q);
	CHECK(!strcmp(t1, t2));
	CHECK_NEAR(q->op[HW_OP_DECODE_ATTN].fit_kv_heads.v, 32, 0);
	CHECK_NEAR(q->op[HW_OP_DECODE_ATTN_SPARSE].fit_kv_heads.v, 8, 0);
	CHECK(!strcmp(q->op[HW_OP_DECODE_ATTN].fit_kv_heads.src,
		      p->op[HW_OP_DECODE_ATTN].fit_kv_heads.src));
	free(t1);
	free(t2);
	hw_profile_free(p);
	hw_profile_free(q);
}

/* Apply `edit` to the h200 profile's JSON, load the result from a file
 * and check the error names the file and `want`. */
static int edit_calibrated; /* expect_bad edits the calibrated h200 */

static void expect_bad(void (*edit)(cJSON *root), const char *raw,
		       const char *want)
{
	char dir[] = "/tmp/ss_prof_XXXXXX", path[256];
	struct hw_profile *p = (struct hw_profile *)1;
	struct ss_err e = { 0 };
	char *txt;
	FILE *f;
	int r;

	if (raw) {
		txt = strdup(raw);
	} else {
		/* the analytic profile: the edits below know its layout;
		 * e_calibrated_* edit the calibrated default */
		cJSON *root = cJSON_Parse(ss_embedded_find(hw_profile_embedded,
							   edit_calibrated ? "h200" : "h200-analytic"));
		CHECK(root != NULL);
		edit(root);
		txt = cJSON_Print(root);
		cJSON_Delete(root);
	}
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/bad.json", dir);
	f = fopen(path, "w");
	CHECK(f != NULL);
	fputs(txt, f);
	fclose(f);
	free(txt);
	r = hw_profile_load(&p, path, &e);
	CHECK_MSG(r == SS_EINVAL, "r = %d for '%s'", r, want);
	CHECK(p == NULL);
	CHECK_STR_CONTAINS(e.msg, path);
	CHECK_STR_CONTAINS(e.msg, want);
	CHECK_MSG(!strchr(e.msg, '\n'), "not one line: %s", e.msg);
	unlink(path);
	rmdir(dir);
}

static cJSON *obj(cJSON *root, const char *a, const char *b)
{
	cJSON *o = cJSON_GetObjectItem(root, a);

	return b ? cJSON_GetObjectItem(o, b) : o;
}

static void e_unknown_top(cJSON *r) { cJSON_AddNumberToObject(r, "colour", 1); }
static void e_comment_ok(cJSON *r) { cJSON_AddNumberToObject(r, "_note", 1); }
static void e_unknown_op_key(cJSON *r)
{
	cJSON_AddNumberToObject(obj(r, "ops", "linear"), "speed", 1);
}
static void e_unknown_op(cJSON *r)
{
	cJSON_AddObjectToObject(obj(r, "ops", NULL), "fft");
}
static void e_missing_op(cJSON *r)
{
	cJSON_DeleteItemFromObject(obj(r, "ops", NULL), "select");
}
static void e_version(cJSON *r)
{
	cJSON_ReplaceItemInObject(r, "version", cJSON_CreateNumber(2));
}
static void e_format(cJSON *r)
{
	cJSON_ReplaceItemInObject(r, "format", cJSON_CreateString("vidur"));
}
static void e_kind(cJSON *r)
{
	cJSON_ReplaceItemInObject(r, "kind", cJSON_CreateString("guess"));
}
static void e_no_source(cJSON *r)
{
	cJSON_DeleteItemFromObject(obj(r, "link", "h2d_bw"), "source");
}
static void e_empty_source(cJSON *r)
{
	cJSON_ReplaceItemInObject(obj(r, "link", "h2d_bw"), "source",
				  cJSON_CreateString(""));
}
static void e_bare_number(cJSON *r)
{
	cJSON_ReplaceItemInObject(obj(r, "link", NULL), "h2d_bw",
				  cJSON_CreateNumber(55.3e9));
}
static void e_negative_bw(cJSON *r)
{
	cJSON_ReplaceItemInObject(obj(r, "link", "d2h_bw"), "value",
				  cJSON_CreateNumber(-1));
}
static void e_copy_sms(cJSON *r)
{
	cJSON_ReplaceItemInObject(obj(r, "capacity", "copy_sms"), "value",
				  cJSON_CreateNumber(200));
}
static void e_eff(cJSON *r)
{
	cJSON_ReplaceItemInObject(obj(obj(r, "ops", "linear"), "eff_max", NULL),
				  "value", cJSON_CreateNumber(1.5));
}
static void e_form(cJSON *r)
{
	cJSON_ReplaceItemInObject(obj(r, "ops", "sample"), "form",
				  cJSON_CreateString("spline"));
}
static void e_rows(cJSON *r)
{
	cJSON_DeleteItemFromArray(cJSON_GetObjectItem(obj(r, "ops", "flash_h2d"),
						      "rate"), 0);
}
static void e_row_len(cJSON *r)
{
	cJSON *rate = cJSON_GetObjectItem(obj(r, "ops", "memcpy_h2d"), "rate");

	cJSON_DeleteItemFromArray(cJSON_GetArrayItem(rate, 0), 3);
}
static void e_order(cJSON *r)
{
	cJSON *x = cJSON_GetObjectItem(obj(r, "ops", "memcpy_d2h"), "x");

	cJSON_ReplaceItemInArray(x, 2, cJSON_CreateNumber(1000));
}
static void e_y_axis(cJSON *r)
{
	cJSON_ReplaceItemInObject(obj(r, "ops", "decode_attn"), "y_axis",
				  cJSON_CreateString("heads"));
}
/* fixed_ns_by_x on the calibrated layer_misc table (14 values of x) */
static void add_fixed_by_x(cJSON *r, int n, double second)
{
	cJSON *a = cJSON_CreateArray();

	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber(i == 1 ? second : 100));
	cJSON_AddItemToObject(obj(r, "ops", "layer_misc"), "fixed_ns_by_x", a);
}
static void e_fixed_by_x(cJSON *r) { add_fixed_by_x(r, 13, 100); }
static void e_fixed_by_x_neg(cJSON *r) { add_fixed_by_x(r, 14, -5); }
/* the calibrated prefill_attn is in the waves form */
static void e_waves_tail(cJSON *r)
{
	cJSON_ReplaceItemInObject(obj(obj(r, "ops", "prefill_attn"), "tail_key_ns", NULL),
				  "value", cJSON_CreateNumber(1e3));
}
static void e_waves_tile(cJSON *r)
{
	cJSON_ReplaceItemInObject(obj(obj(r, "ops", "prefill_attn"), "tile_q", NULL),
				  "value", cJSON_CreateNumber(0.5));
}
static void e_waves_missing(cJSON *r)
{
	cJSON_DeleteItemFromObject(obj(r, "ops", "prefill_attn"), "ctas_per_sm");
}
static void e_waves_other_op(cJSON *r)
{
	cJSON_ReplaceItemInObject(obj(r, "ops", NULL), "linear",
				  cJSON_Duplicate(obj(r, "ops", "prefill_attn"), 1));
}
static void e_waves_table_key(cJSON *r)
{
	cJSON_AddNumberToObject(obj(r, "ops", "prefill_attn"), "x", 1);
}
static void e_x_below(cJSON *r)
{
	cJSON_ReplaceItemInObject(obj(r, "ops", "select"), "x_below",
				  cJSON_CreateString("zero"));
}
static void e_calibrated_missing_op(cJSON *r)
{
	cJSON_DeleteItemFromObject(cJSON_GetObjectItem(r, "ops"), "decode_attn");
}
static void e_rate_zero(cJSON *r)
{
	cJSON *rate = cJSON_GetObjectItem(obj(r, "ops", "flash_d2h"), "rate");

	cJSON_ReplaceItemInArray(cJSON_GetArrayItem(rate, 0), 1,
				 cJSON_CreateNumber(0));
}
static void e_unit(cJSON *r)
{
	cJSON_ReplaceItemInObject(obj(r, "ops", "memcpy_h2d"), "unit",
				  cJSON_CreateString("TFLOP/s"));
}
static void e_y_too_big(cJSON *r)
{
	cJSON *y = cJSON_GetObjectItem(obj(r, "ops", "flash_h2d"), "y");

	cJSON_ReplaceItemInArray(y, 7, cJSON_CreateNumber(500));
}
static void e_no_x(cJSON *r)
{
	cJSON_DeleteItemFromObject(obj(r, "ops", "memcpy_h2d"), "x");
}
static void e_no_capacity(cJSON *r) { cJSON_DeleteItemFromObject(r, "capacity"); }
/* fit_kv_heads: decode attention tables only, a whole number >= 1 */
static void e_kv_half(cJSON *r) { add_fit_kv_heads(r, "decode_attn", 0.5); }
static void e_kv_neg(cJSON *r) { add_fit_kv_heads(r, "decode_attn_sparse", -1); }
static void e_kv_zero(cJSON *r) { add_fit_kv_heads(r, "decode_attn", 0); }
static void e_kv_frac(cJSON *r) { add_fit_kv_heads(r, "decode_attn", 8.5); }
static void e_kv_select(cJSON *r) { add_fit_kv_heads(r, "select", 8); }
static void e_kv_xfer(cJSON *r) { add_fit_kv_heads(r, "flash_h2d", 8); }
static void e_kv_roofline(cJSON *r) { add_fit_kv_heads(r, "decode_attn", 8); }
static void e_kv_bare(cJSON *r)
{
	cJSON_DeleteItemFromObject(obj(r, "ops", "decode_attn"), "fit_kv_heads");
	cJSON_AddNumberToObject(obj(r, "ops", "decode_attn"), "fit_kv_heads", 8);
}

static void t_bad_profiles(void)
{
	expect_bad(e_unknown_top, NULL, "key 'colour': unknown key");
	expect_bad(e_unknown_op_key, NULL, "key 'ops.linear.speed': unknown key");
	expect_bad(e_unknown_op, NULL, "key 'ops.fft': unknown key");
	expect_bad(e_missing_op, NULL, "key 'ops.select': missing");
	expect_bad(e_version, NULL, "key 'version': 2 is not supported (expected 1)");
	expect_bad(e_format, NULL, "key 'format': 'vidur' is not 'sparseserve-hw-profile'");
	expect_bad(e_kind, NULL, "key 'kind': 'guess' is not analytic, calibrated or what-if");
	expect_bad(e_no_source, NULL, "key 'link.h2d_bw.source': missing");
	expect_bad(e_empty_source, NULL, "key 'link.h2d_bw.source': empty");
	expect_bad(e_bare_number, NULL, "key 'link.h2d_bw': expected an object, got a number");
	expect_bad(e_negative_bw, NULL, "key 'link.d2h_bw.value': -1 is out of range");
	expect_bad(e_copy_sms, NULL, "key 'capacity.copy_sms.value': 200 is out of range");
	expect_bad(e_eff, NULL, "key 'ops.linear.eff_max.value': 1.5 is out of range");
	expect_bad(e_form, NULL, "key 'ops.sample.form': 'spline' is not roofline, table or waves");
	expect_bad(e_rows, NULL, "key 'ops.flash_h2d.rate': 7 rows for 8 values of y");
	expect_bad(e_row_len, NULL, "key 'ops.memcpy_h2d.rate': row 0: expected an array of 8 numbers");
	expect_bad(e_order, NULL, "key 'ops.memcpy_d2h.x': element 2: 1000 does not ascend");
	expect_bad(e_rate_zero, NULL, "key 'ops.flash_d2h.rate': row 0 element 1: 0 is not > 0");
	expect_bad(e_unit, NULL, "key 'ops.memcpy_h2d.unit': 'TFLOP/s' does not count bytes");
	expect_bad(e_y_too_big, NULL, "key 'ops.flash_h2d.y': 500 SMs is more than capacity.sm_count");
	expect_bad(e_no_x, NULL, "key 'ops.memcpy_h2d.x': missing");
	expect_bad(e_no_capacity, NULL, "key 'capacity': missing");
	/* the analytic decode_attn is a roofline: no table keys */
	expect_bad(e_kv_roofline, NULL, "key 'ops.decode_attn.fit_kv_heads': unknown key");
	/* the calibrated default's table keys */
	edit_calibrated = 1;
	expect_bad(e_kv_half, NULL, "key 'ops.decode_attn.fit_kv_heads.value': 0.5 is out of range [1, 1e+06]");
	expect_bad(e_kv_neg, NULL, "key 'ops.decode_attn_sparse.fit_kv_heads.value': -1 is out of range [1, 1e+06]");
	expect_bad(e_kv_zero, NULL, "key 'ops.decode_attn.fit_kv_heads.value': 0 is out of range [1, 1e+06]");
	expect_bad(e_kv_frac, NULL, "key 'ops.decode_attn.fit_kv_heads.value': 8.5 is not a whole number");
	expect_bad(e_kv_select, NULL, "key 'ops.select.fit_kv_heads': only for decode_attn and decode_attn_sparse");
	expect_bad(e_kv_xfer, NULL, "key 'ops.flash_h2d.fit_kv_heads': only for decode_attn and decode_attn_sparse");
	expect_bad(e_kv_bare, NULL, "key 'ops.decode_attn.fit_kv_heads': expected an object, got a number");
	expect_bad(e_y_axis, NULL, "key 'ops.decode_attn.y_axis': 'heads' is not sms, items or bytes");
	expect_bad(e_fixed_by_x, NULL, "key 'ops.layer_misc.fixed_ns_by_x': 13 values for 14 values of x");
	expect_bad(e_fixed_by_x_neg, NULL, "key 'ops.layer_misc.fixed_ns_by_x': element 1: -5 is out of range");
	expect_bad(e_waves_tail, NULL, "key 'ops.prefill_attn.tail_ns': tail_ns 0 and tail_key_ns 1000 must not exceed round_ns 0 and round_key_ns ");
	expect_bad(e_waves_tile, NULL, "key 'ops.prefill_attn.tile_q.value': 0.5 is out of range [1, 1e+06]");
	expect_bad(e_waves_missing, NULL, "key 'ops.prefill_attn.ctas_per_sm': missing");
	expect_bad(e_waves_other_op, NULL, "key 'ops.linear.form': 'waves' is only for prefill_attn");
	expect_bad(e_waves_table_key, NULL, "key 'ops.prefill_attn.x': unknown key");
	expect_bad(e_x_below, NULL, "key 'ops.select.x_below': 'zero' is not time or rate");
	expect_bad(e_calibrated_missing_op, NULL, "key 'ops.decode_attn': missing");
	edit_calibrated = 0;
	expect_bad(NULL, "{\n\"format\": \"sparseserve-hw-profile\",\n\"version\": 1,,\n}",
		   ":3: malformed JSON near '\"version\": 1,,'");
	expect_bad(NULL, "[]", "expected a JSON object at the top, got an array");
}

/* A profile filled by hand is validated the same way. */
static void t_fit_kv_heads_validate(void)
{
	struct hw_profile *p = load("h200-analytic"), *q = load("h200");
	struct ss_err e = { 0 };

	/* the analytic decode_attn is a roofline */
	p->op[HW_OP_DECODE_ATTN].fit_kv_heads.v = 8;
	CHECK_EQ_I64(hw_profile_validate(p, "hand", &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "hand: key 'ops.decode_attn.fit_kv_heads': only for the table form");
	q->op[HW_OP_SELECT].fit_kv_heads.v = 8;
	CHECK_EQ_I64(hw_profile_validate(q, "hand", &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "hand: key 'ops.select.fit_kv_heads': only for decode_attn and decode_attn_sparse");
	q->op[HW_OP_SELECT].fit_kv_heads.v = 0;
	q->op[HW_OP_DECODE_ATTN_SPARSE].fit_kv_heads.v = 2.5;
	CHECK_EQ_I64(hw_profile_validate(q, "hand", &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "hand: key 'ops.decode_attn_sparse.fit_kv_heads.value': 2.5 is not a whole number");
	q->op[HW_OP_DECODE_ATTN_SPARSE].fit_kv_heads.v = 32;
	CHECK_MSG(hw_profile_validate(q, "hand", &e) == 0, "%s", e.msg);
	hw_profile_free(p);
	hw_profile_free(q);
}

static void t_comment_keys_ok(void)
{
	cJSON *root = cJSON_Parse(ss_embedded_find(hw_profile_embedded, "h200"));
	struct hw_profile *p = NULL;
	struct ss_err e;
	char *txt;

	e_comment_ok(root);
	txt = cJSON_Print(root);
	CHECK_EQ_I64(hw_profile_parse(&p, txt, "mem", &e), 0);
	hw_profile_free(p);
	free(txt);
	cJSON_Delete(root);
}

static void t_unknown_name(void)
{
	struct hw_profile *p = NULL;
	struct ss_err e;

	CHECK_EQ_I64(hw_profile_load(&p, "tpu-v9", &e), SS_EIO);
	CHECK(p == NULL);
	CHECK_STR_CONTAINS(e.msg, "profile 'tpu-v9': not a shipped profile (a100-40g, a100-40g-paper, gh200, h200, h200-analytic, h200-live)");
}

static void t_names(void)
{
	CHECK(!strcmp(xfer_mech_name(XFER_FLASH_H2D), "flash_h2d"));
	CHECK(!strcmp(xfer_mech_name(XFER_BULK_D2H), "bulk_d2h"));
	CHECK(!strcmp(hw_op_name(HW_OP_SELECT), "select"));
	CHECK(!strcmp(xfer_mech_name(XFER_NMECH), "?"));
}

static const struct th_case cases[] = {
	TH_CASE(t_shipped),
	TH_CASE(t_h200_facts),
	TH_CASE(t_h200_calibrated_facts),
	TH_CASE(t_what_if_facts),
	TH_CASE(t_round_trip),
	TH_CASE(t_fit_kv_heads_round_trip),
	TH_CASE(t_fit_kv_heads_validate),
	TH_CASE(t_bad_profiles),
	TH_CASE(t_comment_keys_ok),
	TH_CASE(t_unknown_name),
	TH_CASE(t_names),
	{ 0 },
};

int main(int argc, char **argv) { return th_main(argc, argv, cases); }
