/*
 * fit.c - one op's measurements to one profile model (calibrate.h has the
 * method): means per grid point, a deterministic held-out split by x
 * column, a non-negative weighted least-squares fit mapped onto the
 * roofline form (GSL gsl_multifit_wlinear_tsvd), the interpolated table,
 * the kernel's rounds of CTAs for prefill attention (waves), and the
 * choice between them by held-out error.
 *
 * Non-negativity is kept by a small active-set loop: fit, drop the column
 * with the most negative coefficient (or one that makes the design rank
 * deficient), refit. Columns are scaled to unit maximum before the fit so
 * the SVD's tolerance means the same for ns and FLOPs.
 */
#include "calibrate/calibrate.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_multifit.h>
#include <gsl/gsl_statistics_double.h>

#include "banned.h"

#define NCOL 5
/* Share of each time the table keeps for work after the overheads. */
#define TABLE_MIN_WORK_SHARE 0.2
/* Held-out MAPE (percentage points) the table must beat least squares by. */
#define CHOICE_MARGIN_PCT 0.01

struct pt {
	double x, y, items;
	double work;  /* the op's work: FLOPs or bytes */
	double bytes; /* FLOP-counted ops: their bytes too (memory roof) */
	double callb; /* bytes of the call (every op) */
	double t;     /* mean ns of the repetitions (the simulator sums
			 costs: the mean is the expected one; medians flipped
			 between the modes of bimodal small copies) */
	double kv;    /* prefill: earlier keys (the benchmark's p1) */
	double kv_heads; /* KV heads of the shape measured (0: unknown) */
	double wv[NCOL]; /* prefill with a known grid: the waves basis
			    1, R + r, R, A + B, A (hw_waves_terms) */
	int held;
};

const char *cal_method_name(enum cal_method m)
{
	static const char *const names[CAL_NMETHOD] = { "lsq", "table",
							"table-rate",
							"table-2d", "columns",
							"waves" };

	return (unsigned)m < CAL_NMETHOD ? names[m] : "?";
}

/* ---- grid points -------------------------------------------------------- */

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Distinct values of v[0..n) into out (ascending); returns their count. */
static size_t distinct(const double *v, size_t n, double *out)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		out[i] = v[i];
	qsort(out, n, sizeof(double), cmp_dbl);
	for (i = 0; i < n; i++)
		if (!k || out[i] != out[k - 1])
			out[k++] = out[i];
	return k;
}

static size_t index_of(const double *a, size_t n, double v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] == v)
			break;
	return i;
}

/*
 * Means per grid point, in point-index order; marks the held-out x
 * columns. *out is malloc'd (n entries). 0 or SS_EINVAL naming the op.
 */
static int gather(enum hw_op_id id, const struct cal_op_data *d,
		  struct pt **out, size_t *n_out, struct ss_err *err)
{
	const char *name = hw_op_name(id);
	int flops = cal_op_counts_flops(id);
	uint32_t max_point = 0;
	size_t i, j, n = 0, nx;
	double *tv = NULL, *xs = NULL, *xd = NULL;
	struct pt *p = NULL;
	int rc = 0;

	*out = NULL;
	*n_out = 0;
	for (i = 0; i < d->n; i++) {
		if (!(d->s[i].t_ns > 0) || !isfinite(d->s[i].t_ns))
			return ss_error(err, SS_EINVAL,
					"calibrate: op '%s': sample %zu (point %u rep %u): time %g ns is not > 0",
					name, i, d->s[i].point, d->s[i].rep,
					d->s[i].t_ns);
		if (d->s[i].point > max_point)
			max_point = d->s[i].point;
	}
	if (!d->n)
		return ss_error(err, SS_EINVAL, "calibrate: op '%s': no samples",
				name);
	p = calloc((size_t)max_point + 1, sizeof(*p));
	tv = malloc(d->n * sizeof(double));
	xs = malloc(((size_t)max_point + 1) * sizeof(double));
	xd = malloc(((size_t)max_point + 1) * sizeof(double));
	if (!p || !tv || !xs || !xd) {
		rc = ss_error(err, SS_ENOMEM, "calibrate: out of memory");
		goto out_free;
	}
	for (j = 0; j <= max_point; j++) {
		const struct cal_sample *first = NULL;
		size_t k = 0;

		for (i = 0; i < d->n; i++) {
			const struct cal_sample *s = &d->s[i];

			if (s->point != j)
				continue;
			if (!first)
				first = s;
			else if (s->x != first->x || s->y != first->y ||
				 s->items != first->items ||
				 s->flops != first->flops ||
				 s->bytes != first->bytes) {
				rc = ss_error(err, SS_EINVAL,
					      "calibrate: op '%s': point %zu: repetitions disagree on x, y, items or work",
					      name, j);
				goto out_free;
			}
			tv[k++] = s->t_ns;
		}
		if (!k)
			continue; /* unused point index */
		p[n].x = first->x;
		p[n].y = first->y;
		p[n].items = first->items;
		p[n].work = flops ? first->flops : first->bytes;
		p[n].bytes = flops ? first->bytes : 0;
		p[n].callb = first->bytes;
		p[n].t = gsl_stats_mean(tv, 1, k);
		p[n].kv = first->p[1];
		p[n].kv_heads = d->grid.kv_heads;
		if (id == HW_OP_PREFILL_ATTN && d->grid.tile_q > 0) {
			struct hw_waves w;

			hw_waves_terms(d->grid.tile_q, d->grid.ctas_per_sm,
				       d->grid.sms, p[n].x, p[n].kv,
				       d->grid.heads, &w);
			p[n].wv[0] = 1;
			p[n].wv[1] = w.full + w.tail;
			p[n].wv[2] = w.full;
			p[n].wv[3] = w.full_keys + w.tail_keys;
			p[n].wv[4] = w.full_keys;
		}
		if (!(p[n].x > 0)) {
			rc = ss_error(err, SS_EINVAL,
				      "calibrate: op '%s': point %zu: x = %g is not > 0",
				      name, j, p[n].x);
			goto out_free;
		}
		xs[n] = p[n].x;
		n++;
	}
	if (n < 2) {
		rc = ss_error(err, SS_EINVAL,
			      "calibrate: op '%s': %zu grid point(s), need at least 2",
			      name, n);
		goto out_free;
	}
	nx = distinct(xs, n, xd);
	for (i = 0; i < n; i++) {
		size_t ix = index_of(xd, nx, p[i].x);

		p[i].held = ix > 0 && ix + 1 < nx &&
			    ix % CAL_HOLDOUT_K == 1;
	}
	*out = p;
	*n_out = n;
	p = NULL;
out_free:
	free(p);
	free(tv);
	free(xs);
	free(xd);
	return rc;
}

/* ---- least squares ---------------------------------------------------- */

/*
 * Column c of the design at point p: 1, items, W, W/x on the compute side
 * of `split` (x >= split), bytes on the memory side (x < split); with
 * `waves`, the waves basis.
 */
static double col_value(const struct pt *p, int c, double split, int waves)
{
	int mem = p->x < split;

	if (waves)
		return p->wv[c];
	switch (c) {
	case 0:
		return 1.0;
	case 1:
		return p->items;
	case 2:
		return mem ? 0 : p->work;
	case 3:
		return mem ? 0 : p->work / p->x;
	default:
		return mem ? p->bytes : 0;
	}
}

/*
 * Non-negative weighted least squares of t over the points with held == 0
 * (or every point when `all`): columns 1, items, W, and with `flops` W/x
 * and (below `split`) bytes; with `waves`, the five columns of the waves
 * basis instead. coef[] gets the coefficients of the columns kept (0 for
 * the others). 0 or SS_EINVAL.
 */
static int lsq(const struct pt *p, size_t n, int all, int flops,
	       double split, int waves, double coef[NCOL], struct ss_err *err)
{
	int use[NCOL] = { 1, 1, 1, flops || waves, (flops && split > 0) || waves };
	size_t i, m = 0, k;
	int c, rc = 0;

	memset(coef, 0, NCOL * sizeof(double));
	for (i = 0; i < n; i++)
		m += all || !p[i].held;
	/* a column constant over the points adds nothing to the intercept */
	for (c = 1; c < NCOL; c++) {
		double v0 = NAN, mx = 0;
		int varies = 0;

		for (i = 0; i < n; i++) {
			double v;

			if (!all && p[i].held)
				continue;
			v = col_value(&p[i], c, split, waves);
			if (isnan(v0))
				v0 = v;
			else if (v != v0)
				varies = 1;
			mx = fmax(mx, fabs(v));
		}
		if (!(mx > 0) || (!varies && use[0]))
			use[c] = 0;
	}
	for (;;) {
		int cols[NCOL], p_use = 0, worst = -1, dropped = 0;
		double scale[NCOL], worst_v = 0, chisq;
		gsl_multifit_linear_workspace *w;
		gsl_matrix *X, *cov;
		gsl_vector *y, *wt, *b;
		size_t rank;

		for (c = 0; c < NCOL; c++)
			if (use[c])
				cols[p_use++] = c;
		if (!p_use)
			return ss_error(err, SS_EINVAL,
					"no non-negative least-squares model fits");
		while ((size_t)p_use > m) {
			/* fewer points than columns: drop from the end */
			use[cols[--p_use]] = 0;
			dropped = 1;
		}
		if (dropped)
			continue;
		X = gsl_matrix_alloc(m, (size_t)p_use);
		cov = gsl_matrix_alloc((size_t)p_use, (size_t)p_use);
		y = gsl_vector_alloc(m);
		wt = gsl_vector_alloc(m);
		b = gsl_vector_alloc((size_t)p_use);
		w = gsl_multifit_linear_alloc(m, (size_t)p_use);
		if (!X || !cov || !y || !wt || !b || !w) {
			rc = ss_error(err, SS_ENOMEM, "out of memory");
			goto out_loop;
		}
		for (k = 0; k < (size_t)p_use; k++) {
			scale[k] = 0;
			for (i = 0; i < n; i++)
				if (all || !p[i].held)
					scale[k] = fmax(scale[k],
							fabs(col_value(&p[i], cols[k], split, waves)));
		}
		for (i = 0, m = 0; i < n; i++) {
			if (!all && p[i].held)
				continue;
			for (k = 0; k < (size_t)p_use; k++)
				gsl_matrix_set(X, m, k,
					       col_value(&p[i], cols[k], split, waves) /
						       scale[k]);
			gsl_vector_set(y, m, p[i].t);
			gsl_vector_set(wt, m, 1.0 / (p[i].t * p[i].t));
			m++;
		}
		gsl_multifit_wlinear_tsvd(X, wt, y, 1e-10, b, cov, &chisq,
					  &rank, w);
		if (rank < (size_t)p_use) {
			/* collinear: drop W/x, then items, then W (waves: the
			 * last column) */
			if (waves)
				use[cols[p_use - 1]] = 0;
			else if (use[3])
				use[3] = 0;
			else if (use[1])
				use[1] = 0;
			else
				use[cols[p_use - 1]] = 0;
			goto out_loop;
		}
		for (k = 0; k < (size_t)p_use; k++) {
			double v = gsl_vector_get(b, k) / scale[k];

			coef[cols[k]] = v;
			if (v < worst_v) {
				worst_v = v;
				worst = cols[k];
			}
		}
		if (worst >= 0) {
			use[worst] = 0;
			if (worst == 2 && !waves)
				use[3] = 0; /* W/x alone has no roofline form */
			memset(coef, 0, NCOL * sizeof(double));
		} else {
			rc = 1; /* done */
		}
out_loop:
		gsl_multifit_linear_free(w);
		gsl_vector_free(b);
		gsl_vector_free(wt);
		gsl_vector_free(y);
		gsl_matrix_free(cov);
		gsl_matrix_free(X);
		if (rc)
			return rc < 0 ? rc : 0;
	}
}

static void num(struct hw_num *n, double v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void num(struct hw_num *n, double v, const char *fmt, ...)
{
	va_list ap;

	n->v = v;
	va_start(ap, fmt);
	vsnprintf(n->src, sizeof(n->src), fmt, ap);
	va_end(ap);
}

/* The roofline form of lsq coefficients. */
static void lsq_to_op(const double c[NCOL], int flops, const char *how,
		      const char *label, struct hw_op *op)
{
	double peak = c[2] > 0 ? 1e9 / c[2] : 0;
	double bw = c[4] > 0 ? 1e9 / c[4] : 0;

	if (bw > 1e16)
		bw = 0;
	memset(op, 0, sizeof(*op));
	op->form = HW_FORM_ROOFLINE;
	num(&op->fixed_ns, c[0], "measured: %s, intercept (%s)", how, label);
	num(&op->per_item_ns, c[1], "measured: %s, per-item slope (%s)", how,
	    label);
	if (peak > (flops ? 1e18 : 1e16))
		peak = 0; /* a negligible slope: no roof */
	if (flops) {
		num(&op->flops_peak, peak, "measured: %s, 1e9 / FLOP slope (%s)",
		    how, label);
		num(&op->eff_max, 1, "%s: fitted rate is the peak (%s)",
		    "definition", label);
		num(&op->eff_half_x, peak > 0 ? fmin(c[3] / c[2], 1e12) : 0,
		    "measured: %s, (FLOP/x slope) / (FLOP slope) (%s)", how,
		    label);
		if (bw > 0) {
			num(&op->bytes_bw, bw,
			    "measured: %s, 1e9 / byte slope of the memory-bound points (%s)",
			    how, label);
			num(&op->bw_eff, 1, "definition: fitted rate is the bandwidth (%s)",
			    label);
		} else {
			num(&op->bytes_bw, 0, "none: %s (%s)",
			    "no memory-bound points, no memory roof", label);
			num(&op->bw_eff, 1, "unused: %s (%s)", "no memory roof",
			    label);
		}
	} else {
		num(&op->flops_peak, 0, "none: %s (%s)",
		    "the fit counts bytes, no compute roof", label);
		num(&op->eff_max, 1, "unused: %s (%s)", "no compute roof", label);
		num(&op->eff_half_x, 0, "unused: %s (%s)", "no compute roof",
		    label);
		num(&op->bytes_bw, peak, "measured: %s, 1e9 / byte slope (%s)",
		    how, label);
		num(&op->bw_eff, 1, "%s: fitted rate is the bandwidth (%s)",
		    "definition", label);
	}
}

/* The waves form of waves-basis coefficients (calibrate.h). */
static void waves_to_op(const double c[NCOL], const struct cal_grid *g,
			const char *how, const char *label, struct hw_op *op)
{
	memset(op, 0, sizeof(*op));
	op->form = HW_FORM_WAVES;
	num(&op->fixed_ns, c[0], "measured: %s, intercept (%s)", how, label);
	num(&op->per_item_ns, 0, "definition: one call is one item (%s)", label);
	num(&op->tile_q, g->tile_q,
	    "kernel: query rows per CTA of the prefill kernel measured (kernels/prefill_attn_sm90a.cu WG_BM, the automatic variant on sm_90a; calibrate.h CAL_PREFILL_TILE_Q)");
	num(&op->ctas_per_sm, g->ctas_per_sm,
	    "kernel: __launch_bounds__(256, 2) and 97 KiB of shared memory per CTA: %g CTAs per SM (calibrate.h CAL_PREFILL_CTAS_PER_SM)",
	    g->ctas_per_sm);
	num(&op->wave_sms, g->sms,
	    "measured: multiprocessors reported by the CUDA runtime (%s)", label);
	num(&op->fit_heads, g->heads,
	    "model shape measured: %s (provenance; the cost model counts CTAs with the simulated model's query heads)",
	    g->model);
	num(&op->round_ns, c[1] + c[2],
	    "measured: %s, per full round of CTAs (%s)", how, label);
	num(&op->tail_ns, c[1], "measured: %s, per partial round of CTAs (%s)",
	    how, label);
	num(&op->round_key_ns, c[3] + c[4],
	    "measured: %s, per key of a full round's longest tile (%s)", how,
	    label);
	num(&op->tail_key_ns, c[3],
	    "measured: %s, per key of the partial round's longest tile (%s)",
	    how, label);
}

/* ---- table -------------------------------------------------------------- */

/*
 * A point's value on a table's y axis: SMs, items, or the call's bytes
 * rounded to a power of two (the grids' call sizes, e.g. 1 MiB, are
 * whole numbers of fragments, so slightly less: one row per call size).
 */
static double yval(const struct pt *p, enum hw_yaxis yax)
{
	if (yax == HW_Y_ITEMS)
		return p->items;
	if (yax == HW_Y_BYTES)
		return exp2(round(log2(p->callb)));
	return p->y;
}

/* The second table axis an op's grid has besides SMs (none: HW_Y_SMS). */
static enum hw_yaxis op_axis2(enum hw_op_id id)
{
	if (id == HW_OP_DECODE_ATTN || id == HW_OP_DECODE_ATTN_SPARSE ||
	    id == HW_OP_SELECT)
		return HW_Y_ITEMS; /* batch */
	if (id == HW_OP_XFER0 + XFER_MEMCPY_H2D ||
	    id == HW_OP_XFER0 + XFER_MEMCPY_BATCH_H2D ||
	    id == HW_OP_XFER0 + XFER_MEMCPY_D2H)
		return HW_Y_BYTES; /* call size */
	return HW_Y_SMS;
}

/*
 * Keep a table's time non-decreasing in size (a dip between two grid
 * points is measurement noise, and the simulator's costs must not fall
 * when a size grows): from one grid cell to the next along x, and along a
 * y axis of items or bytes, the rate may grow at most as much as the work
 * does, lw[][] being the log of each cell's work (compute ops, whose work
 * grows with x at the grid's other parameters), or as much as the axis
 * does when lw is NULL (transfers: at a fixed count, the work grows with
 * the fragment; the grids' calls hold a fixed total instead). Along x the
 * violators are pooled (isotonic regression); along y, and for
 * fixed_ns_by_x (never falls), each cell is clamped against its clamped
 * neighbour below.
 */
static void monotone_clamp(struct hw_op *op,
			   double (*lw)[HW_GRID_MAX])
{
	uint32_t ix, iy;

	/* along x: isotonic regression (pool adjacent violators) of the
	 * log time u = log work - log rate, so a noisy cell is averaged with
	 * its neighbours instead of pulling every later cell down */
	for (iy = 0; iy < op->ny; iy++) {
		double u, val[HW_GRID_MAX];
		uint32_t cnt[HW_GRID_MAX], nb = 0, k, j;

		for (ix = 0; ix < op->nx; ix++) {
			u = (lw ? lw[iy][ix] : op->lx[ix]) - op->lrate[iy][ix];
			val[nb] = u;
			cnt[nb++] = 1;
			while (nb > 1 && val[nb - 2] > val[nb - 1]) {
				val[nb - 2] = (val[nb - 2] * cnt[nb - 2] +
					       val[nb - 1] * cnt[nb - 1]) /
					      (cnt[nb - 2] + cnt[nb - 1]);
				cnt[nb - 2] += cnt[nb - 1];
				nb--;
			}
		}
		for (k = 0, ix = 0; k < nb; k++)
			for (j = 0; j < cnt[k]; j++, ix++)
				op->lrate[iy][ix] = (lw ? lw[iy][ix] : op->lx[ix]) -
						    val[k];
	}
	if (op->ny > 1 && op->yaxis != HW_Y_SMS)
		for (iy = 1; iy < op->ny; iy++)
			for (ix = 0; ix < op->nx; ix++)
				op->lrate[iy][ix] = fmin(op->lrate[iy][ix],
							 op->lrate[iy - 1][ix] +
								 (lw ? lw[iy][ix] - lw[iy - 1][ix]
								     : op->ly[iy] - op->ly[iy - 1]));
	for (iy = 0; iy < op->ny; iy++)
		for (ix = 0; ix < op->nx; ix++)
			op->rate[iy][ix] = exp(op->lrate[iy][ix]) / op->unit_scale;
	for (ix = 1; op->has_fixed_x && ix < op->nx; ix++)
		op->fixed_x[ix] = fmax(op->fixed_x[ix], op->fixed_x[ix - 1]);
}

/*
 * The table form from the points with held == 0 (or all). SS_EINVAL with
 * a message when the op has no work or the grid is not rectangular.
 */
static int table_fit(enum hw_op_id id, const struct pt *p, size_t n, int all,
		     int overheads, enum hw_yaxis yax, const char *how,
		     const char *label, struct hw_op *op, struct ss_err *err)
{
	int flops = cal_op_counts_flops(id);
	int use_y = yax == HW_Y_SMS ? cal_op_uses_y(id) : 1;
	double c[NCOL], s = 1, xs[HW_GRID_MAX + 1], ys[HW_GRID_MAX + 1] = { 0 };
	double sum[HW_GRID_MAX][HW_GRID_MAX], lw[HW_GRID_MAX][HW_GRID_MAX];
	uint32_t cnt[HW_GRID_MAX][HW_GRID_MAX], nx = 0, ny = 1, ix, iy;
	double scale = flops ? 1e12 : 1e9;
	size_t i, k;
	int rc;

	for (i = 0; i < n; i++)
		if ((all || !p[i].held) && !(p[i].work > 0))
			return ss_error(err, SS_EINVAL,
					"no work to make a rate of at x = %g",
					p[i].x);
	if (!overheads)
		memset(c, 0, sizeof(c));
	else if ((rc = lsq(p, n, all, 0, 0, 0, c, err)) < 0)
		return rc;
	for (i = 0; i < n; i++) {
		double ovh = c[0] + c[1] * p[i].items;

		if (!all && p[i].held)
			continue;
		if (ovh > (1 - TABLE_MIN_WORK_SHARE) * p[i].t)
			s = fmin(s, (1 - TABLE_MIN_WORK_SHARE) * p[i].t / ovh);
	}
	c[0] *= s;
	c[1] *= s;
	/* axes */
	for (i = 0; i < n; i++) {
		if (!all && p[i].held)
			continue;
		for (k = 0; k < nx && xs[k] != p[i].x; k++)
			;
		if (k == nx) {
			if (nx == HW_GRID_MAX)
				return ss_error(err, SS_EINVAL,
						"more than %d distinct x values",
						HW_GRID_MAX);
			xs[nx++] = p[i].x;
		}
	}
	if (use_y) {
		double tmp[HW_GRID_MAX * HW_GRID_MAX];
		size_t m = 0, nd;

		for (i = 0; i < n; i++)
			if ((all || !p[i].held) && m < SS_ARRAY_SIZE(tmp))
				tmp[m++] = yval(&p[i], yax);
		nd = distinct(tmp, m, tmp);
		if (nd > HW_GRID_MAX)
			return ss_error(err, SS_EINVAL,
					"more than %d distinct y values",
					HW_GRID_MAX);
		for (k = 0; k < nd; k++)
			ys[k] = tmp[k];
		ny = (uint32_t)nd;
		if (!(ys[0] > 0))
			return ss_error(err, SS_EINVAL, "y = %g is not > 0",
					ys[0]);
	}
	qsort(xs, nx, sizeof(double), cmp_dbl);
	memset(sum, 0, sizeof(sum));
	memset(lw, 0, sizeof(lw));
	memset(cnt, 0, sizeof(cnt));
	for (i = 0; i < n; i++) {
		double r;

		if (!all && p[i].held)
			continue;
		ix = (uint32_t)index_of(xs, nx, p[i].x);
		iy = use_y ? (uint32_t)index_of(ys, ny, yval(&p[i], yax)) : 0;
		r = p[i].work / ((p[i].t - c[0] - c[1] * p[i].items) * 1e-9);
		sum[iy][ix] += log(r);
		lw[iy][ix] += log(p[i].work);
		cnt[iy][ix]++;
	}
	memset(op, 0, sizeof(*op));
	op->form = HW_FORM_TABLE;
	op->work = flops ? HW_WORK_FLOPS : HW_WORK_BYTES;
	snprintf(op->unit, sizeof(op->unit), "%s", flops ? "TFLOP/s" : "GB/s");
	op->unit_scale = scale;
	op->nx = nx;
	op->ny = ny;
	op->yaxis = ny > 1 ? yax : HW_Y_SMS;
	op->below_rate = id < HW_OP_XFER0;
	for (ix = 0; ix < nx; ix++) {
		op->x[ix] = xs[ix];
		op->lx[ix] = log(xs[ix]);
	}
	for (iy = 0; iy < ny && use_y; iy++) {
		op->y[iy] = ys[iy];
		op->ly[iy] = log(ys[iy]);
	}
	for (iy = 0; iy < ny; iy++)
		for (ix = 0; ix < nx; ix++) {
			if (!cnt[iy][ix])
				return ss_error(err, SS_EINVAL,
						"grid is not rectangular: nothing measured at x = %g, y = %g",
						xs[ix], use_y ? ys[iy] : 0.0);
			op->lrate[iy][ix] = sum[iy][ix] / cnt[iy][ix];
			op->rate[iy][ix] = exp(op->lrate[iy][ix]) / scale;
			lw[iy][ix] /= cnt[iy][ix];
		}
	monotone_clamp(op, id < HW_OP_XFER0 ? lw : NULL);
	num(&op->fixed_ns, c[0], "measured: %s, intercept (%s)", how, label);
	num(&op->per_item_ns, c[1], "measured: %s, per-item slope (%s)", how,
	    label);
	snprintf(op->table_src, sizeof(op->table_src),
		 "measured: %s; rate = work / (time - fixed - items x per_item), geometric mean per grid cell (%s)",
		 how, label);
	return 0;
}

/*
 * The columns form: at every x of the grid, weighted least squares
 * (weights 1/t^2) of t = a + b W over the points of that x column (the
 * other grid axis: earlier KV of prefill, batch, call size), a, b >= 0;
 * stored as a one-row table with fixed_ns_by_x = a and rate = 1 / b, so
 * the profile interpolates both along x. Needs two different works in
 * every column.
 */
static int columns_fit(enum hw_op_id id, const struct pt *p, size_t n,
		       int all, const char *how, const char *label,
		       struct hw_op *op, struct ss_err *err)
{
	int flops = cal_op_counts_flops(id);
	double xs[HW_GRID_MAX * HW_GRID_MAX], scale = flops ? 1e12 : 1e9;
	double lw[1][HW_GRID_MAX], wmin_prev = 1, wmax_prev = 1;
	size_t i, k, m = 0, nx;

	if (cal_op_uses_y(id))
		return ss_error(err, SS_EINVAL, "columns: the op has an SM axis");
	for (i = 0; i < n && m < SS_ARRAY_SIZE(xs); i++)
		if (all || !p[i].held) {
			if (!(p[i].work > 0))
				return ss_error(err, SS_EINVAL,
						"no work to make a rate of at x = %g",
						p[i].x);
			xs[m++] = p[i].x;
		}
	nx = distinct(xs, m, xs);
	if (nx > HW_GRID_MAX)
		return ss_error(err, SS_EINVAL, "more than %d distinct x values",
				HW_GRID_MAX);
	memset(op, 0, sizeof(*op));
	op->form = HW_FORM_TABLE;
	op->work = flops ? HW_WORK_FLOPS : HW_WORK_BYTES;
	snprintf(op->unit, sizeof(op->unit), "%s", flops ? "TFLOP/s" : "GB/s");
	op->unit_scale = scale;
	op->nx = (uint32_t)nx;
	op->ny = 1;
	op->has_fixed_x = 1;
	op->below_rate = id < HW_OP_XFER0;
	for (k = 0; k < nx; k++) {
		/* normal equations of sum w (a + b W - t)^2, w = 1/t^2, with
		 * W scaled to its column maximum */
		double s11 = 0, s1w = 0, sww = 0, r1 = 0, rw = 0, wmax = 0;
		double wmin = INFINITY, a, b, det;

		for (i = 0; i < n; i++)
			if ((all || !p[i].held) && p[i].x == xs[k]) {
				wmax = fmax(wmax, p[i].work);
				wmin = fmin(wmin, p[i].work);
			}
		if (!(wmax > wmin * (1 + 1e-9)))
			return ss_error(err, SS_EINVAL,
					"columns: one work value at x = %g",
					xs[k]);
		for (i = 0; i < n; i++) {
			double w, v;

			if ((!all && p[i].held) || p[i].x != xs[k])
				continue;
			w = 1.0 / (p[i].t * p[i].t);
			v = p[i].work / wmax;
			s11 += w;
			s1w += w * v;
			sww += w * v * v;
			r1 += w * p[i].t;
			rw += w * v * p[i].t;
		}
		det = s11 * sww - s1w * s1w;
		a = (r1 * sww - rw * s1w) / det;
		b = (s11 * rw - s1w * r1) / det;
		if (!(det > 0) || a < 0) {
			a = 0;
			b = rw / sww;
		} else if (b < 0) {
			b = 0;
			a = r1 / s11;
		}
		/* b: ns per (work / wmax); a vanishing slope keeps a tiny one
		 * (rate must be finite) */
		b = fmax(b / wmax, 1e-6 * a / wmax);
		if (!(b > 0))
			return ss_error(err, SS_EINVAL,
					"columns: no time at x = %g", xs[k]);
		/* the work grows from column to column by at least the
		 * smaller growth of its smallest and its largest work */
		lw[0][k] = k ? lw[0][k - 1] + fmin(log(wmin / wmin_prev),
						   log(wmax / wmax_prev))
			     : 0;
		wmin_prev = wmin;
		wmax_prev = wmax;
		op->x[k] = xs[k];
		op->lx[k] = log(xs[k]);
		op->fixed_x[k] = a;
		op->rate[0][k] = 1e9 / b / scale;
		op->lrate[0][k] = log(1e9 / b);
	}
	monotone_clamp(op, id < HW_OP_XFER0 ? lw : NULL);
	num(&op->fixed_ns, 0, "definition: the per-call time is fixed_ns_by_x (%s)",
	    label);
	num(&op->per_item_ns, 0, "definition: the per-call time is fixed_ns_by_x (%s)",
	    label);
	snprintf(op->table_src, sizeof(op->table_src),
		 "measured: %s; per x: weighted least squares t = fixed_ns_by_x + work / rate over the x's points, coefficients >= 0 (%s)",
		 how, label);
	return 0;
}

/* ---- scoring and choice ------------------------------------------------- */

static double predict(const struct hw_op *op, const struct pt *p, int flops)
{
	if (op->form == HW_FORM_WAVES) /* prefill: the points' heads */
		return hw_op_prefill_ns(op, p->x, p->kv, op->fit_heads.v,
					p->work, p->bytes);
	/* items as cost_decode_attn_ns scales them (the identity for the
	 * shape measured: fit_kv_heads is its KV heads) */
	return hw_op_ns(op, p->x, p->y, flops ? p->work : 0,
			flops ? p->bytes : p->work,
			hw_op_decode_batch(op, p->items, p->kv_heads));
}

/* Held-out (or, with none held out, in-sample) MAPE and worst, in %. */
static void score(const struct hw_op *op, const struct pt *p, size_t n,
		  int flops, int any_held, double *mape, double *worst)
{
	double sum = 0;
	size_t i, k = 0;

	*worst = 0;
	for (i = 0; i < n; i++) {
		double e;

		if (any_held && !p[i].held)
			continue;
		e = 100.0 * fabs(predict(op, &p[i], flops) - p[i].t) / p[i].t;
		sum += e;
		*worst = fmax(*worst, e);
		k++;
	}
	*mape = k ? sum / (double)k : NAN;
}

/*
 * Least squares of the roofline: for FLOP-counted ops, every split of the
 * sorted x values into a memory-bound part (x < split: bytes) and a
 * compute-bound part (W, W/x) is fitted, and the one whose roofline (the
 * max of both roofs, as the profile evaluates it) has the smallest
 * relative squared error on the fitted points is kept (the first on
 * ties). *split_out gets it (0: no memory part).
 */
static int lsq_split(const struct pt *p, size_t n, int all, int flops,
		     double coef[NCOL], double *split_out, struct ss_err *err)
{
	double xs[HW_GRID_MAX * HW_GRID_MAX], best = INFINITY, c[NCOL];
	struct hw_op op;
	size_t i, k, m = 0, nx;
	int rc;

	if (split_out)
		*split_out = 0;
	if (!flops)
		return lsq(p, n, all, 0, 0, 0, coef, err);
	for (i = 0; i < n && m < SS_ARRAY_SIZE(xs); i++)
		if (all || !p[i].held)
			xs[m++] = p[i].x;
	nx = distinct(xs, m, xs);
	for (k = 0; k <= nx; k++) {
		double split = k == 0 ? 0 : k == nx ? INFINITY : xs[k], sse = 0;

		if ((rc = lsq(p, n, all, 1, split, 0, c, err)) < 0) {
			if (k == 0)
				return rc;
			continue;
		}
		lsq_to_op(c, 1, "", "", &op);
		for (i = 0; i < n; i++) {
			double e;

			if (!all && p[i].held)
				continue;
			e = (predict(&op, &p[i], 1) - p[i].t) / p[i].t;
			sse += e * e;
		}
		if (sse < best) {
			best = sse;
			memcpy(coef, c, sizeof(c));
			if (split_out)
				*split_out = split;
		}
	}
	return 0;
}

/*
 * A decode attention table measured on the shape of `g` counts its batch
 * in requests of that shape (fit_kv_heads: the cost function scales a
 * model's batch by its KV heads / these). Tables only; nothing when the
 * shape is unknown.
 */
static void set_fit_kv_heads(enum hw_op_id id, const struct cal_grid *g,
			     struct hw_op *op)
{
	if ((id != HW_OP_DECODE_ATTN && id != HW_OP_DECODE_ATTN_SPARSE) ||
	    op->form != HW_FORM_TABLE || !(g->kv_heads > 0))
		return;
	num(&op->fit_kv_heads, g->kv_heads,
	    "model shape measured: %s, %g KV heads (the cost model scales the batch by the simulated model's KV heads / these: the kernel's efficiency follows the request x KV head rows)",
	    g->model, g->kv_heads);
}

/* Fit `method` on the training points (or all) into *op; `g` is the
 * kernel's grid (waves) and the shape measured (decode tables). */
static int fit_method(enum hw_op_id id, enum cal_method method,
		      const struct pt *p, size_t n, int all,
		      const struct cal_grid *g, const char *label,
		      struct hw_op *op, struct ss_err *err)
{
	int flops = cal_op_counts_flops(id), rc;
	char how[96];
	double c[NCOL];
	size_t i, m = 0;

	for (i = 0; i < n; i++)
		m += all || !p[i].held;
	if (method != CAL_LSQ) {
		snprintf(how, sizeof(how), "calibrate %s over %zu grid points",
			 cal_method_name(method), m);
		if (method == CAL_COLUMNS) {
			rc = columns_fit(id, p, n, all, how, label, op, err);
			if (!rc)
				set_fit_kv_heads(id, g, op);
			return rc;
		}
		if (method == CAL_WAVES) {
			if (id != HW_OP_PREFILL_ATTN || !(g->tile_q > 0))
				return ss_error(err, SS_EINVAL,
						"waves: no kernel grid (prefill_attn with a known model and SM count only)");
			snprintf(how, sizeof(how),
				 "calibrate waves least squares over %zu grid points",
				 m);
			if ((rc = lsq(p, n, all, 0, 0, 1, c, err)) < 0)
				return rc;
			waves_to_op(c, g, how, label, op);
			return 0;
		}
		if (method == CAL_TABLE_2D && op_axis2(id) == HW_Y_SMS)
			return ss_error(err, SS_EINVAL,
					"table-2d: no second axis");
		if (method == CAL_TABLE_2D)
			rc = table_fit(id, p, n, all, 0, op_axis2(id), how,
				       label, op, err);
		else
			rc = table_fit(id, p, n, all, method == CAL_TABLE,
				       HW_Y_SMS, how, label, op, err);
		if (!rc)
			set_fit_kv_heads(id, g, op);
		return rc;
	}
	snprintf(how, sizeof(how),
		 "calibrate least squares over %zu grid points", m);
	if ((rc = lsq_split(p, n, all, flops, c, NULL, err)) < 0)
		return rc;
	lsq_to_op(c, flops, how, label, op);
	return 0;
}

int cal_fit_op(enum hw_op_id id, struct cal_op_data *d, const char *label,
	       struct hw_op *out, struct ss_err *err)
{
	int flops = cal_op_counts_flops(id), any_held = 0, rc, table_ok;
	enum cal_method table = CAL_TABLE;
	struct cal_fit f;
	struct hw_op *op;
	struct pt *p;
	size_t n, i;

	if ((rc = gather(id, d, &p, &n, err)) < 0)
		return rc;
	op = malloc(sizeof(*op));
	if (!op) {
		free(p);
		return ss_error(err, SS_ENOMEM, "calibrate: out of memory");
	}
	memset(&f, 0, sizeof(f));
	f.n_points = (uint32_t)n;
	for (i = 0; i < n; i++) {
		f.n_test += (uint32_t)p[i].held;
		any_held |= p[i].held;
	}
	rc = fit_method(id, CAL_LSQ, p, n, !any_held, &d->grid, label, op,
			err);
	if (rc < 0)
		goto out_err;
	score(op, p, n, flops, any_held, &f.lsq_mape_pct, &f.lsq_max_pct);
	/* the best of the other candidates (grid variants, waves) */
	f.table_mape_pct = f.table_max_pct = NAN;
	for (int v = CAL_TABLE; v < CAL_NMETHOD; v++) {
		double mape, worst;

		if (fit_method(id, (enum cal_method)v, p, n, !any_held,
			       &d->grid, label, op, NULL))
			continue;
		score(op, p, n, flops, any_held, &mape, &worst);
		if (isnan(f.table_mape_pct) || mape < f.table_mape_pct) {
			f.table_mape_pct = mape;
			f.table_max_pct = worst;
			table = (enum cal_method)v;
		}
	}
	table_ok = !isnan(f.table_mape_pct);
	/* another candidate must win by a margin: on a tie lsq stays */
	f.method = table_ok && f.table_mape_pct + CHOICE_MARGIN_PCT < f.lsq_mape_pct
			   ? table : CAL_LSQ;
	f.mape_pct = f.method != CAL_LSQ ? f.table_mape_pct : f.lsq_mape_pct;
	f.max_pct = f.method != CAL_LSQ ? f.table_max_pct : f.lsq_max_pct;
	if ((rc = lsq_split(p, n, 1, flops, f.coef, &f.split_x, err)) < 0)
		goto out_err;
	rc = fit_method(id, f.method, p, n, 1, &d->grid, label, out, err);
	if (rc < 0)
		goto out_err;
	d->fit = f;
	free(op);
	free(p);
	return 0;
out_err:
	free(op);
	free(p);
	return ss_error_prefix(err, "calibrate: op '%s'", hw_op_name(id));
}

int cal_fit_predictions(enum hw_op_id id, const struct cal_op_data *d,
			double *meas, double *pred, int *held, double *x,
			size_t *n_pts, struct ss_err *err)
{
	int flops = cal_op_counts_flops(id), any_held = 0, rc;
	struct hw_op *train, *full;
	struct pt *p;
	size_t n, i;

	if ((rc = gather(id, d, &p, &n, err)) < 0)
		return rc;
	train = malloc(sizeof(*train));
	full = malloc(sizeof(*full));
	if (!train || !full) {
		rc = ss_error(err, SS_ENOMEM, "calibrate: out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		any_held |= p[i].held;
	rc = fit_method(id, d->fit.method, p, n, !any_held, &d->grid, "",
			train, err);
	if (!rc)
		rc = fit_method(id, d->fit.method, p, n, 1, &d->grid, "", full,
				err);
	if (rc)
		goto out;
	for (i = 0; i < n; i++) {
		meas[i] = p[i].t;
		held[i] = p[i].held;
		x[i] = p[i].x;
		pred[i] = predict(p[i].held ? train : full, &p[i], flops);
	}
	*n_pts = n;
out:
	free(train);
	free(full);
	free(p);
	return rc;
}
