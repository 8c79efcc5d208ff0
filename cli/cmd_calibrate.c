/*
 * cmd_calibrate.c - `sparseserve calibrate`: measure this GPU and write
 * its profile, report a profile's fit quality, derive what-if profiles,
 * export a profile as JSON (calibrate/calibrate.h; docs/calibration.md).
 *
 *   sparseserve calibrate --out FILE.h5 [--quick] [--only LIST] [--model M] [--base P] [-v]
 *   sparseserve calibrate --report FILE.h5 [--csv] [--plots DIR]
 *   sparseserve calibrate --derive a100-40g|gh200 --from PROFILE --out FILE.json
 *   sparseserve calibrate --export FILE.h5 --out FILE.json [--name N]
 *   sparseserve calibrate --refit FILE.h5 --out FILE.h5
 *
 * Exit codes: 0 ok, 1 failed (no GPU, bad file), 2 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calibrate/calibrate.h"
#include "cli.h"
#include "fileio.h"
#include "ss.h"

#include "banned.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sparseserve calibrate --out FILE.h5 [--quick] [--only LIST] [--model M] [--base P] [-v]\n"
		"       sparseserve calibrate --report FILE.h5 [--csv] [--plots DIR]\n"
		"       sparseserve calibrate --derive a100-40g|gh200 --from PROFILE --out FILE.json\n"
		"       sparseserve calibrate --export FILE.h5 --out FILE.json [--name N]\n"
		"       sparseserve calibrate --refit FILE.h5 --out FILE.h5\n"
		"       sparseserve calibrate --fit-exec RUN.h5[,RUN.h5...] --from FILE.h5 --out FILE.h5\n"
		"\n"
		"Measure our kernels on this machine's GPU over the simulator's grids,\n"
		"fit each operation (least squares or interpolated table, whichever\n"
		"predicts held-out grid points better) and write the profile, with every\n"
		"raw sample and the provenance, to FILE.h5 (use it as --hw FILE.h5).\n"
		"\n"
		"  -o, --out FILE       output: calibration file (.h5) or profile JSON\n"
		"  -q, --quick          smoke grid (~2 minutes instead of ~10)\n"
		"  -m, --model M        model shape the work is counted for (default lwm-7b)\n"
		"  -b, --base P         profile of the ops not measured (default h200-analytic)\n"
		"  -v, --verbose        one line per benchmark on stderr\n"
		"      --only LIST      only these benchmarks (op names, concurrent,\n"
		"                       overheads, flash_d2h_threads); others keep --base\n"
		"  -r, --report FILE    held-out error per op (MAPE, worst) of a calibration\n"
		"      --csv            with --report: rows op,points,mape_pct,max_err_pct\n"
		"      --plots DIR      with --report: DIR/<op>.png measured vs predicted\n"
		"  -d, --derive T       what-if profile T (a100-40g, gh200) from --from\n"
		"  -f, --from PROFILE   calibration file, profile JSON or shipped name\n"
		"  -e, --export FILE    write the fitted profile of a calibration as JSON\n"
		"      --name N         with --export: the profile's name (default: the GPU's)\n"
		"      --refit FILE     fit a calibration's stored samples again with this\n"
		"                       build's fitting code; write the file to --out\n"
		"      --fit-exec LIST  fit the live executor's own costs (profile section\n"
		"                       'executor', op 'host') from live result files\n"
		"                       run on --from (a calibration file); write it to --out\n"
		"  -h, --help           this text\n"
		"\n"
		"Exit status: 0 ok, 1 failed, 2 usage.\n");
}

static int fail(const struct ss_err *err)
{
	const char *m = err->msg;

	if (!strncmp(m, "calibrate: ", 11))
		m += 11;
	fprintf(stderr, "sparseserve calibrate: %s\n", m);
	return 1;
}

static int write_json(const struct hw_profile *p, const char *path)
{
	struct ss_afile af;
	struct ss_err err;

	if (ss_afile_open(&af, path, &err) ||
	    (hw_profile_write(p, af.f, &err) ? (ss_afile_abort(&af), 1) : 0) ||
	    ss_afile_commit(&af, &err))
		return fail(&err);
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

static int do_measure(const char *out, const struct cal_measure_opts *o)
{
	struct hw_profile *base = NULL;
	struct cal_run *r = NULL;
	struct ss_err err;
	int rc;

	if ((rc = cal_measure(&r, o, &err)))
		return fail(&err);
	if ((rc = hw_profile_load(&base, o->base, &err)) ||
	    (rc = cal_run_fit(r, base, &err)) ||
	    (rc = cal_file_write(r, out, &err))) {
		hw_profile_free(base);
		cal_run_free(r);
		return fail(&err);
	}
	fprintf(stderr, "calibrate: wrote %s (%.0f s of measurements)\n", out,
		r->prov.wall_s);
	rc = cal_report(r, stdout, 0, NULL, &err) ? fail(&err) : 0;
	if (!rc && r->n_failed) {
		fprintf(stderr,
			"sparseserve calibrate: %u benchmark(s) failed; their ops keep the base profile's models (statuses in the report)\n",
			r->n_failed);
		rc = 1;
	}
	hw_profile_free(base);
	cal_run_free(r);
	return rc;
}

static int do_report(const char *path, int csv, const char *plots)
{
	struct cal_run *r;
	struct ss_err err;
	int rc;

	if (cal_file_read(&r, path, &err))
		return fail(&err);
	rc = cal_report(r, stdout, csv, plots, &err);
	cal_run_free(r);
	return rc ? fail(&err) : 0;
}

static int do_derive(const char *target, const char *from, const char *out)
{
	struct hw_profile *src = NULL, *p = NULL;
	struct ss_err err;
	int rc;

	if (hw_profile_load(&src, from, &err) ||
	    cal_derive(&p, src, target, &err)) {
		hw_profile_free(src);
		return fail(&err);
	}
	rc = write_json(p, out);
	hw_profile_free(src);
	hw_profile_free(p);
	return rc;
}

static int do_export(const char *path, const char *out, const char *name)
{
	struct hw_profile *p;
	struct ss_err err;
	int rc;

	if (cal_profile_h5_load(&p, path, &err))
		return fail(&err);
	if (name)
		snprintf(p->name, sizeof(p->name), "%s", name);
	rc = write_json(p, out);
	hw_profile_free(p);
	return rc;
}

/*
 * Fit the stored samples again (the fitting code may have changed since
 * the measurement); the ops that were not measured keep the file's models.
 */
static int do_refit(const char *path, const char *out)
{
	struct hw_profile *base;
	struct cal_run *r;
	struct ss_err err;
	int rc;

	if (cal_file_read(&r, path, &err))
		return fail(&err);
	base = r->hw;
	r->hw = NULL;
	rc = cal_run_fit(r, base, &err) || cal_file_write(r, out, &err);
	if (!rc)
		rc = cal_report(r, stdout, 0, NULL, &err);
	hw_profile_free(base);
	cal_run_free(r);
	return rc ? fail(&err) : 0;
}

/* The executor's costs from live runs (calibrate/exec_fit.c). */
static int do_fit_exec(const char *list, const char *from, const char *out)
{
	const char *files[64];
	char *buf = strdup(list), *save = NULL, *tok;
	struct cal_run *r = NULL;
	struct ss_err err;
	size_t n = 0;
	int rc;

	if (!buf)
		return 1;
	for (tok = strtok_r(buf, ",", &save); tok && n < SS_ARRAY_SIZE(files);
	     tok = strtok_r(NULL, ",", &save))
		files[n++] = tok;
	rc = cal_file_read(&r, from, &err) ||
	     cal_fit_exec(r->hw, files, n, stdout, &err) ||
	     cal_file_write(r, out, &err);
	cal_run_free(r);
	free(buf);
	return rc ? fail(&err) : 0;
}

static int run(int argc, char **argv)
{
	enum { OPT_CSV = 256, OPT_PLOTS, OPT_ONLY, OPT_NAME, OPT_REFIT,
	       OPT_FIT_EXEC };
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "quick", no_argument, NULL, 'q' },
		{ "model", required_argument, NULL, 'm' },
		{ "base", required_argument, NULL, 'b' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "report", required_argument, NULL, 'r' },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "plots", required_argument, NULL, OPT_PLOTS },
		{ "only", required_argument, NULL, OPT_ONLY },
		{ "derive", required_argument, NULL, 'd' },
		{ "from", required_argument, NULL, 'f' },
		{ "export", required_argument, NULL, 'e' },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "refit", required_argument, NULL, OPT_REFIT },
		{ "fit-exec", required_argument, NULL, OPT_FIT_EXEC },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cal_measure_opts mo = { .model = "lwm-7b", .base = "h200-analytic" };
	const char *out = NULL, *report = NULL, *plots = NULL, *derive = NULL;
	const char *from = NULL, *export = NULL, *name = NULL, *refit = NULL;
	const char *fit_exec = NULL;
	char cmdline[1024];
	int c, csv = 0, modes;

	{
		char *line = cli_command_line(argc, argv);

		snprintf(cmdline, sizeof cmdline, "%s", line ? line : "sparseserve calibrate");
		free(line);
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:qm:b:vr:d:f:e:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'q': mo.quick = 1; break;
		case 'm': mo.model = optarg; break;
		case 'b': mo.base = optarg; break;
		case 'v': mo.verbose = 1; break;
		case 'r': report = optarg; break;
		case OPT_CSV: csv = 1; break;
		case OPT_PLOTS: plots = optarg; break;
		case OPT_ONLY: mo.only = optarg; break;
		case 'd': derive = optarg; break;
		case 'f': from = optarg; break;
		case 'e': export = optarg; break;
		case OPT_NAME: name = optarg; break;
		case OPT_REFIT: refit = optarg; break;
		case OPT_FIT_EXEC: fit_exec = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sparseserve calibrate: unexpected argument '%s'\n",
			argv[optind]);
		return 2;
	}
	modes = !!report + !!derive + !!export + !!refit + !!fit_exec;
	if (modes > 1) {
		fprintf(stderr, "sparseserve calibrate: --report, --derive, --export, --refit and --fit-exec exclude each other\n");
		return 2;
	}
	if (name && !export) {
		fprintf(stderr, "sparseserve calibrate: --name goes with --export\n");
		return 2;
	}
	if ((csv || plots) && !report) {
		fprintf(stderr, "sparseserve calibrate: --csv and --plots go with --report\n");
		return 2;
	}
	if (report)
		return do_report(report, csv, plots);
	if (!out) {
		fprintf(stderr, "sparseserve calibrate: --out FILE is required\n");
		usage(stderr);
		return 2;
	}
	if (derive) {
		if (!from) {
			fprintf(stderr, "sparseserve calibrate: --derive needs --from PROFILE\n");
			return 2;
		}
		return do_derive(derive, from, out);
	}
	if (export)
		return do_export(export, out, name);
	if (fit_exec) {
		if (!from || !ends_with(out, ".h5")) {
			fprintf(stderr, "sparseserve calibrate: --fit-exec needs --from FILE.h5 (the calibration the live runs used) and --out FILE.h5\n");
			return 2;
		}
		return do_fit_exec(fit_exec, from, out);
	}
	if (refit) {
		if (!ends_with(out, ".h5")) {
			fprintf(stderr, "sparseserve calibrate: --out '%s': a calibration is written as an HDF5 file ending in .h5\n",
				out);
			return 2;
		}
		return do_refit(refit, out);
	}
	if (!ends_with(out, ".h5")) {
		fprintf(stderr, "sparseserve calibrate: --out '%s': a calibration is written as an HDF5 file ending in .h5\n",
			out);
		return 2;
	}
	mo.command = cmdline;
	return do_measure(out, &mo);
}

const struct cli_cmd cli_cmd_calibrate = {
	"calibrate", "measure this GPU and write its hardware profile (HDF5)", run
};
