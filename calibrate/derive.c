/*
 * derive.c - what-if profiles from a calibrated H200 profile: every term
 * scaled by a datasheet ratio (target / H200), every number relabelled
 * with the ratio and both datasheet figures (docs/calibration.md).
 *
 *   compute (FLOP roofs and FLOP tables)  x  target BF16 dense peak / H200's
 *   HBM (byte roofs and byte tables of on-device ops) x  target HBM / H200's
 *   host link (bulk rates, link fields)    x  target link / H200's PCIe Gen5 x16
 *   fragmented transfers: series model 1/r = 1/r_other + 1/r_link, with
 *     r_link the source's measured bulk rate in that direction, r_other
 *     (per-call, per-SM and CPU costs) kept and r_link scaled;
 *   per-call and per-item overheads (fixed_ns, per_item_ns) kept: launch
 *     and driver costs do not follow datasheet bandwidths;
 *   prefill's waves form: the per-round and per-key times / the compute
 *     ratio, the H200 kernel's grid (tile, CTAs per SM, SMs) kept, so the
 *     derived time is the H200's work scaled as a whole;
 *   capacities: the target's datasheet memory and SMs; SM grids of copy
 *     kernels cut at the target's SM count.
 * Targets are a table (name, figures, their sources), found by name.
 */
#include "calibrate/calibrate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

/* H200 datasheet figures the ratios are taken against. */
#define H200_BF16_FLOPS 989.4e12
#define H200_HBM_BW 4.8e12
#define H200_LINK_BW 64e9
#define H200_SMS 132
#define H200_SRC "H200 datasheet: 989.4 TFLOP/s dense BF16, 4.8 TB/s HBM3e, PCIe Gen5 x16 64 GB/s"

struct target {
	const char *name;
	const char *desc;
	double flops;            /* dense BF16 FLOP/s */
	double hbm_bw;           /* B/s */
	double link_bw;          /* B/s per direction */
	double hbm_bytes;        /* device memory, bytes */
	double sms;              /* SMs */
	double dram_bytes;       /* pinned host pool, bytes */
	const char *src_flops, *src_hbm, *src_link, *src_mem, *src_sms,
		*src_dram;
};

static const struct target targets[] = {
	{
		.name = "a100-40g",
		.desc = "NVIDIA A100-40GB on PCIe Gen4 x16 (the paper's testbed)",
		.flops = 312e12, .hbm_bw = 1555e9, .link_bw = 32e9,
		.hbm_bytes = 40.0 * 1073741824.0, .sms = 108,
		.dram_bytes = 200.0 * 1073741824.0,
		.src_flops = "A100 datasheet: 312 TFLOP/s dense BF16",
		.src_hbm = "A100-40GB datasheet: 1,555 GB/s HBM2",
		.src_link = "PCIe Gen4 x16 32 GB/s per direction (the paper's testbed)",
		.src_mem = "A100-40GB datasheet: 40 GB HBM2, taken as 40 GiB",
		.src_sms = "A100 datasheet: 108 SMs",
		.src_dram = "estimate: 200 GiB pinned of the paper's 256 GB host",
	},
	{
		.name = "gh200",
		.desc = "GH200 Grace Hopper: H200-class GPU behind NVLink-C2C",
		.flops = 989.4e12, .hbm_bw = 4.9e12, .link_bw = 450e9,
		.hbm_bytes = 144e9, .sms = 132, .dram_bytes = 400e9,
		.src_flops = "GH200 datasheet: 989.4 TFLOP/s dense BF16 (H100/H200-class die)",
		.src_hbm = "GH200 datasheet: 4.9 TB/s HBM3e",
		.src_link = "GH200 datasheet: NVLink-C2C 450 GB/s per direction",
		.src_mem = "GH200 datasheet: 144 GB HBM3e",
		.src_sms = "GH200 datasheet: 132 SMs",
		.src_dram = "estimate: 400 GB of Grace's 480 GB LPDDR5X (datasheet)",
	},
};

const char *const cal_derive_targets[] = { "a100-40g", "gh200", NULL };

/* n->v *= ratio; the source says how. */
static void scale(struct hw_num *n, double ratio, const char *what,
		  const char *tsrc)
{
	char old[HW_SRC_MAX];

	if (n->v == 0)
		return;
	snprintf(old, sizeof(old), "%s", n->src);
	n->v *= ratio;
	snprintf(n->src, sizeof(n->src),
		 "derived: x %.4g (%s: %.90s / H200 datasheet) of [%.150s]",
		 ratio, what, tsrc, old);
}

static void keep(struct hw_num *n, const char *why)
{
	char old[HW_SRC_MAX];

	snprintf(old, sizeof(old), "%s", n->src);
	snprintf(n->src, sizeof(n->src), "derived: kept (%s) [%.200s]", why,
		 old);
}

static void set(struct hw_num *n, double v, const char *src)
{
	n->v = v;
	snprintf(n->src, sizeof(n->src), "%s", src);
}

static int is_xfer(int id)
{
	return id >= HW_OP_XFER0;
}

static int is_bulk(int id)
{
	return id == HW_OP_XFER0 + XFER_BULK_H2D ||
	       id == HW_OP_XFER0 + XFER_BULK_D2H;
}

static int is_d2h(int id)
{
	return id == HW_OP_XFER0 + XFER_MEMCPY_D2H ||
	       id == HW_OP_XFER0 + XFER_FLASH_D2H ||
	       id == HW_OP_XFER0 + XFER_GPU_SCATTER_D2H ||
	       id == HW_OP_XFER0 + XFER_BULK_D2H;
}

/* Cut a table's SM rows above `sms` (the rate above the largest y stays);
 * tables over batch or call size keep their rows. */
static void cut_rows(struct hw_op *op, double sms)
{
	if (op->yaxis != HW_Y_SMS)
		return;
	while (op->ny > 1 && op->y[op->ny - 1] > sms)
		op->ny--;
	if (op->ny == 1)
		op->y[0] = 0;
}

static void derive_xfer(struct hw_op *op, int id, double r_link_src,
			double link_ratio, const struct target *t)
{
	double r_link_t = r_link_src * link_ratio;
	uint32_t ix, iy;
	char old[2 * HW_SRC_MAX];

	keep(&op->fixed_ns, "per-call overhead does not follow link bandwidth");
	keep(&op->per_item_ns, "per-call overhead does not follow link bandwidth");
	if (op->form == HW_FORM_ROOFLINE) {
		scale(&op->bytes_bw, link_ratio, "link", t->src_link);
		return;
	}
	cut_rows(op, t->sms);
	for (iy = 0; iy < op->ny; iy++)
		for (ix = 0; ix < op->nx; ix++) {
			double r = op->rate[iy][ix] * op->unit_scale;
			double inv_other = 1 / r - 1 / r_link_src;

			if (inv_other < 0)
				inv_other = 0; /* measured at the link: all link */
			op->rate[iy][ix] =
				1 / (inv_other + 1 / r_link_t) / op->unit_scale;
		}
	/* the series model can make a rate grow faster than the fragment
	 * (the time of a call fall as it grows): keep the source's rule */
	for (iy = 0; iy < op->ny; iy++)
		for (ix = 1; ix < op->nx; ix++)
			op->rate[iy][ix] = fmin(op->rate[iy][ix],
						op->rate[iy][ix - 1] * op->x[ix] /
							op->x[ix - 1]);
	if (op->yaxis != HW_Y_SMS)
		for (iy = 1; iy < op->ny; iy++)
			for (ix = 0; ix < op->nx; ix++)
				op->rate[iy][ix] = fmin(op->rate[iy][ix],
							op->rate[iy - 1][ix] * op->y[iy] /
								op->y[iy - 1]);
	snprintf(old, sizeof(old), "%s", op->table_src);
	snprintf(op->table_src, sizeof(op->table_src),
		 "derived: series model 1/r = 1/r_other + 1/r_link; r_link = source's measured %s bulk rate %.4g GB/s x %.4g (%s / H200 PCIe Gen5 x16 64 GB/s), r_other kept; rates clamped to grow at most with x (calls never get faster as they grow); SM rows above %g cut; fixed_ns_by_x (per-call time) kept; from [%.300s]",
		 is_d2h(id) ? "D2H" : "H2D", r_link_src / 1e9, link_ratio,
		 t->src_link, t->sms, old);
}

int cal_derive(struct hw_profile **out, const struct hw_profile *from,
	       const char *target, struct ss_err *err)
{
	const struct target *t = NULL;
	double rf, rh, rl;
	struct hw_profile *p;
	size_t i;

	*out = NULL;
	for (i = 0; i < SS_ARRAY_SIZE(targets); i++)
		if (!strcmp(targets[i].name, target))
			t = &targets[i];
	if (!t)
		return ss_error(err, SS_EINVAL,
				"calibrate: --derive '%s': unknown target (a100-40g, gh200)",
				target);
	if (from->sm_count.v != H200_SMS)
		return ss_error(err, SS_EINVAL,
				"calibrate: --derive: ratios are relative to an H200 (%d SMs); profile '%s' has %g SMs",
				H200_SMS, from->name, from->sm_count.v);
	p = hw_profile_alloc();
	if (!p)
		return ss_error(err, SS_ENOMEM, "calibrate: out of memory");
	*p = *from;
	/* the live executor's own costs (section "executor") are this
	 * machine's host and executor: no datasheet ratio carries them */
	memset(&p->exec, 0, sizeof(p->exec));
	rf = t->flops / H200_BF16_FLOPS;
	rh = t->hbm_bw / H200_HBM_BW;
	rl = t->link_bw / H200_LINK_BW;
	snprintf(p->name, sizeof(p->name), "%s", t->name);
	snprintf(p->kind, sizeof(p->kind), "what-if");
	snprintf(p->description, sizeof(p->description),
		 "%s: derived by 'sparseserve calibrate --derive' from profile '%s' (%s) by datasheet ratios: compute x %.4g, HBM x %.4g, link x %.4g (%s)",
		 t->desc, from->name, from->kind, rf, rh, rl, H200_SRC);
	set(&p->hbm_device_bytes, t->hbm_bytes, t->src_mem);
	set(&p->sm_count, t->sms, t->src_sms);
	set(&p->dram_pinned_bytes, t->dram_bytes, t->src_dram);
	if (p->copy_sms.v > t->sms)
		p->copy_sms.v = t->sms;
	keep(&p->hbm_usable_fraction, "a serving-engine setting");
	keep(&p->workspace_bytes, "the same kernels' workspace");
	keep(&p->latency_ns, "link latency not in the datasheets");
	scale(&p->h2d_bw, rl, "link", t->src_link);
	scale(&p->d2h_bw, rl, "link", t->src_link);
	scale(&p->bidir_bw, rl, "link", t->src_link);
	for (i = 0; i < HW_NOPS; i++) {
		struct hw_op *op = &p->op[i];
		int id = (int)i;

		if (is_xfer(id) && !is_bulk(id)) {
			derive_xfer(op, id, is_d2h(id) ? from->d2h_bw.v
						       : from->h2d_bw.v,
				    rl, t);
			continue;
		}
		if (is_bulk(id)) {
			/* a roofline scales its bandwidth; a table (chosen when
			 * it predicts held-out sizes better) takes the series
			 * model against the direction's measured bulk rate */
			derive_xfer(op, id, is_d2h(id) ? from->d2h_bw.v
						       : from->h2d_bw.v,
				    rl, t);
			continue;
		}
		keep(&op->fixed_ns, "launch overheads do not follow datasheet peaks");
		keep(&op->per_item_ns, "launch overheads do not follow datasheet peaks");
		if (op->form == HW_FORM_ROOFLINE) {
			scale(&op->flops_peak, rf, "compute", t->src_flops);
			scale(&op->bytes_bw, rh, "HBM", t->src_hbm);
			continue;
		}
		if (op->form == HW_FORM_WAVES) {
			/* the rounds are the H200 kernel's (its grid kept);
			 * their times are the tensor cores' work */
			struct hw_num *w[] = { &op->round_ns, &op->tail_ns,
					       &op->round_key_ns,
					       &op->tail_key_ns };

			for (size_t k = 0; k < SS_ARRAY_SIZE(w); k++)
				if (w[k]->v == 0)
					keep(w[k], "0: nothing to scale");
				else
					scale(w[k], 1 / rf, "compute, time",
					      t->src_flops);
			keep(&op->tile_q, "the H200 kernel's grid; times scaled as a whole");
			keep(&op->ctas_per_sm, "the H200 kernel's grid; times scaled as a whole");
			keep(&op->wave_sms, "the H200 kernel's grid; times scaled as a whole");
			keep(&op->fit_heads, "provenance");
			continue;
		}
		{
			double r = op->work == HW_WORK_FLOPS ? rf : rh;
			char old[2 * HW_SRC_MAX];
			uint32_t ix, iy;

			/* the batch scaling by KV heads is the kernel's:
			 * kept with the rates it goes with */
			if (op->fit_kv_heads.v > 0)
				keep(&op->fit_kv_heads,
				     "the shape the rates were measured on");

			for (iy = 0; iy < op->ny; iy++)
				for (ix = 0; ix < op->nx; ix++)
					op->rate[iy][ix] *= r;
			/* fixed_ns_by_x is the op's own work that does not
			 * grow with the fitted work (e.g. the causal part of
			 * prefill): it scales like the rates */
			for (ix = 0; op->has_fixed_x && ix < op->nx; ix++)
				op->fixed_x[ix] /= r;
			snprintf(old, sizeof(old), "%s", op->table_src);
			snprintf(op->table_src, sizeof(op->table_src),
				 "derived: rates x %.4g, fixed_ns_by_x / %.4g (%s: %s / H200 datasheet) of [%.300s]",
				 r,
				 r, op->work == HW_WORK_FLOPS ? "compute" : "HBM",
				 op->work == HW_WORK_FLOPS ? t->src_flops
							   : t->src_hbm,
				 old);
		}
	}
	if (hw_profile_validate(p, t->name, err)) {
		hw_profile_free(p);
		return err ? err->code : SS_EINVAL;
	}
	*out = p;
	return 0;
}
