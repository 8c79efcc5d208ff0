/*
 * report.c - `sparseserve calibrate --report FILE`: the held-out error of
 * every op, recomputed from the raw samples in the file (the fit is
 * deterministic, so it reproduces the stored choice), as a table or CSV,
 * and one gnuplot figure per measured op of measured versus predicted time.
 */
#include "calibrate/calibrate.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"

#include "banned.h"

/* Refit op `id` of `r` from its samples into *f. */
static int refit(const struct cal_run *r, enum hw_op_id id,
		 struct cal_fit *f, struct ss_err *err)
{
	struct cal_op_data d = r->op[id];
	struct hw_op *op = malloc(sizeof(*op));
	int rc;

	if (!op)
		return ss_error(err, SS_ENOMEM, "calibrate: out of memory");
	rc = cal_fit_op(id, &d, "report", op, err);
	free(op);
	if (!rc)
		*f = d.fit;
	return rc;
}

static int run_gnuplot(const char *script, struct ss_err *err)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return ss_error(err, SS_EIO, "calibrate: cannot start gnuplot: %s",
				strerror(errno));
	if (pid == 0) {
		execlp("gnuplot", "gnuplot", script, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return ss_error(err, SS_EIO,
				"calibrate: gnuplot failed on '%s' (exit %d; is gnuplot installed?)",
				script, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}

/* DIR/<op>.dat, DIR/<op>.gp and DIR/<op>.png for one measured op. */
static int plot_op(const struct cal_run *r, enum hw_op_id id,
		   const struct cal_fit *f, const char *dir, struct ss_err *err)
{
	const struct cal_op_data *d = &r->op[id];
	const char *name = hw_op_name(id);
	double *meas, *pred, *x;
	char path[4096], gp[4096];
	struct ss_afile af;
	size_t n = 0, i;
	int *held, rc;

	meas = calloc(d->n, sizeof(double));
	pred = calloc(d->n, sizeof(double));
	x = calloc(d->n, sizeof(double));
	held = calloc(d->n, sizeof(int));
	if (!meas || !pred || !x || !held) {
		rc = ss_error(err, SS_ENOMEM, "calibrate: out of memory");
		goto out;
	}
	rc = cal_fit_predictions(id, d, meas, pred, held, x, &n, err);
	if (rc)
		goto out;
	snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
	if ((rc = ss_afile_open(&af, path, err)))
		goto out;
	fprintf(af.f, "# %s: x measured_ns predicted_ns held_out (%s)\n", name,
		d->shape);
	for (i = 0; i < n; i++)
		fprintf(af.f, "%.9g %.9g %.9g %d\n", x[i], meas[i], pred[i],
			held[i]);
	if ((rc = ss_afile_commit(&af, err)))
		goto out;
	snprintf(gp, sizeof(gp), "%s/%s.gp", dir, name);
	if ((rc = ss_afile_open(&af, gp, err)))
		goto out;
	fprintf(af.f,
		"# measured vs predicted time of '%s' (sparseserve calibrate --report)\n"
		"set terminal pngcairo size 800,600 noenhanced\n"
		"set output '%s/%s.png'\n"
		"set title '%s on %s: %s, held-out MAPE %.2f%%, worst %.2f%% (%u points)'\n"
		"set logscale xy\n"
		"set xlabel 'measured time (ns)'\n"
		"set ylabel 'predicted time (ns)'\n"
		"set key top left\n"
		"set grid\n"
		"plot '%s/%s.dat' using 2:($4==0?$3:1/0) with points pt 7 title 'fitted points', \\\n"
		"     '%s/%s.dat' using 2:($4==1?$3:1/0) with points pt 5 ps 1.5 title 'held-out points', \\\n"
		"     x with lines lw 1 dt 2 title 'predicted = measured'\n",
		name, dir, name, name, r->prov.gpu,
		f->method == CAL_LSQ ? "least squares" : cal_method_name(f->method),
		f->mape_pct, f->max_pct, f->n_test, dir, name, dir, name);
	if ((rc = ss_afile_commit(&af, err)))
		goto out;
	rc = run_gnuplot(gp, err);
out:
	free(meas);
	free(pred);
	free(x);
	free(held);
	return rc;
}

int cal_report(const struct cal_run *r, FILE *f, int csv,
	       const char *plot_dir, struct ss_err *err)
{
	struct cal_fit fit[HW_NOPS];
	int i, rc;

	for (i = 0; i < HW_NOPS; i++)
		if (r->op[i].measured &&
		    (rc = refit(r, (enum hw_op_id)i, &fit[i], err)))
			return rc;
	if (plot_dir) {
		if (mkdir(plot_dir, 0777) && errno != EEXIST)
			return ss_error(err, SS_EIO,
					"calibrate: cannot create '%s': %s",
					plot_dir, strerror(errno));
		for (i = 0; i < HW_NOPS; i++)
			if (r->op[i].measured &&
			    (rc = plot_op(r, (enum hw_op_id)i, &fit[i],
					  plot_dir, err)))
				return rc;
	}
	if (csv) {
		fprintf(f, "op,points,mape_pct,max_err_pct\n");
		for (i = 0; i < HW_NOPS; i++)
			if (r->op[i].measured)
				fprintf(f, "%s,%u,%.3f,%.3f\n",
					hw_op_name((enum hw_op_id)i),
					fit[i].n_test, fit[i].mape_pct,
					fit[i].max_pct);
		return ferror(f) ? ss_error(err, SS_EIO, "calibrate: write failed")
				 : 0;
	}
	fprintf(f, "calibration of %s (%d SMs, driver %d, CUDA %d), %s, commit %s\n",
		r->prov.gpu, r->prov.sm_count, r->prov.driver_version,
		r->prov.runtime_version, r->prov.date, r->prov.commit);
	fprintf(f, "held-out points: interior x columns i %% %d == 1; errors in %% of the measured mean; other = the best of table, table-rate, table-2d, columns, waves\n\n",
		CAL_HOLDOUT_K);
	fprintf(f, "%-20s %-10s %6s %5s %8s %8s %9s %10s\n", "op", "model",
		"points", "held", "MAPE%", "worst%", "lsq MAPE", "other MAPE");
	for (i = 0; i < HW_NOPS; i++) {
		const struct cal_fit *x = &fit[i];

		if (!r->op[i].measured) {
			fprintf(f, "%-20s %s\n", hw_op_name((enum hw_op_id)i),
				r->op[i].status);
			continue;
		}
		fprintf(f, "%-20s %-10s %6u %5u %8.2f %8.2f %9.2f %10.2f\n",
			hw_op_name((enum hw_op_id)i),
			cal_method_name(x->method), x->n_points,
			x->n_test, x->mape_pct, x->max_pct, x->lsq_mape_pct,
			x->table_mape_pct);
	}
	for (i = 0; i < (int)r->n_extra; i++)
		fprintf(f, "%s%-20s %.6g %s (%s)\n", i ? "" : "\nmeasured beside the ops:\n",
			r->extra[i].name, r->extra[i].value, r->extra[i].unit,
			r->extra[i].src);
	/* the live executor's own costs (calibrate --fit-exec), if fitted */
	for (i = 0; r->hw && r->hw->exec.present && i < HW_EXEC_NUMS; i++) {
		const struct hw_num *n = hw_exec_cnum(&r->hw->exec, i);

		fprintf(f, "%s%-20s %.6g ns (%s)\n",
			i ? "" : "\nthe live executor's own costs (profile section 'executor'):\n",
			hw_exec_key(i), n->v, n->src);
	}
	return ferror(f) ? ss_error(err, SS_EIO, "calibrate: write failed") : 0;
}
