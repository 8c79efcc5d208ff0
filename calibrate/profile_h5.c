/*
 * profile_h5.c - the calibration file (HDF5), written atomically and
 * without object timestamps so equal runs give byte-identical files.
 *
 *   /                     attrs format = "sparseserve-calibration", version = 1
 *   /provenance           attrs gpu, sm_count, hbm_bytes, driver_version,
 *                         runtime_version, sm_clock_khz, mem_clock_khz,
 *                         clocks_seen, date, commit, command, model, base, wall_s
 *   /profile              the fitted profile as profile JSON text (the same
 *                         strict format as the JSON files in profiles/; hw_profile_parse)
 *   /extras               compound {name, value, unit, source}: measured
 *                         numbers that are not ops (link rates, launch cost)
 *   /ops/<op>             one group per operation, every op present; attrs
 *                         measured (0/1), status, params, shape and, when
 *                         measured, method, n_points, n_test, mape_pct,
 *                         max_err_pct, lsq_*, table_*, coef[5], split_x
 *   /ops/<op>/samples     compound, every repetition (struct cal_sample)
 *
 * The reader is strict: each missing piece is one line naming the file and
 * the object, e.g. "x.h5: operation 'select' missing (no group /ops/select)".
 */
#define _GNU_SOURCE
#include "calibrate/calibrate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "fileio.h"
#include "h5util.h"

#include "banned.h"

#define FORMAT_TAG "sparseserve-calibration"

/* ---- small writers ---------------------------------------------------- */

static hid_t sample_type(void)
{
	hsize_t three = 3;
	hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(struct cal_sample));
	hid_t arr = H5Tarray_create2(H5T_NATIVE_DOUBLE, 1, &three);

	H5Tinsert(t, "point", HOFFSET(struct cal_sample, point), H5T_NATIVE_UINT32);
	H5Tinsert(t, "rep", HOFFSET(struct cal_sample, rep), H5T_NATIVE_UINT32);
	H5Tinsert(t, "p", HOFFSET(struct cal_sample, p), arr);
	H5Tinsert(t, "x", HOFFSET(struct cal_sample, x), H5T_NATIVE_DOUBLE);
	H5Tinsert(t, "y", HOFFSET(struct cal_sample, y), H5T_NATIVE_DOUBLE);
	H5Tinsert(t, "items", HOFFSET(struct cal_sample, items), H5T_NATIVE_DOUBLE);
	H5Tinsert(t, "flops", HOFFSET(struct cal_sample, flops), H5T_NATIVE_DOUBLE);
	H5Tinsert(t, "bytes", HOFFSET(struct cal_sample, bytes), H5T_NATIVE_DOUBLE);
	H5Tinsert(t, "t_ns", HOFFSET(struct cal_sample, t_ns), H5T_NATIVE_DOUBLE);
	H5Tclose(arr);
	return t;
}

static hid_t str_type(size_t n)
{
	hid_t t = H5Tcopy(H5T_C_S1);

	H5Tset_size(t, n);
	H5Tset_strpad(t, H5T_STR_NULLTERM);
	return t;
}

static hid_t extra_type(void)
{
	hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(struct cal_extra));
	hid_t s1 = str_type(sizeof(((struct cal_extra *)0)->name));
	hid_t s2 = str_type(sizeof(((struct cal_extra *)0)->unit));
	hid_t s3 = str_type(sizeof(((struct cal_extra *)0)->src));

	H5Tinsert(t, "name", HOFFSET(struct cal_extra, name), s1);
	H5Tinsert(t, "value", HOFFSET(struct cal_extra, value), H5T_NATIVE_DOUBLE);
	H5Tinsert(t, "unit", HOFFSET(struct cal_extra, unit), s2);
	H5Tinsert(t, "source", HOFFSET(struct cal_extra, src), s3);
	H5Tclose(s1);
	H5Tclose(s2);
	H5Tclose(s3);
	return t;
}

/*
 * A table of n rows, deflated in chunks of up to 4,096 rows: its rows are
 * fixed-size records with mostly empty name and source strings, which
 * compress about 20x (the session-13 h200-live.h5 went from 3.4 MB to
 * under 0.3). Deflate is deterministic, so a file still reproduces byte
 * for byte; an empty table stays contiguous (a chunk cannot exceed a
 * fixed extent of 0).
 */
static int write_table(hid_t loc, const char *name, hid_t type,
		       const void *rows, hsize_t n, hid_t dcpl)
{
	hid_t s = H5Screate_simple(1, &n, NULL), d, zp = H5Pcopy(dcpl);
	hsize_t chunk = n < 4096 ? n : 4096;
	int rc = -1;

	if (zp < 0) {
		H5Sclose(s);
		return -1;
	}
	if (n && (H5Pset_chunk(zp, 1, &chunk) < 0 || H5Pset_shuffle(zp) < 0 ||
		  H5Pset_deflate(zp, 6) < 0)) {
		H5Pclose(zp);
		H5Sclose(s);
		return -1;
	}
	d = H5Dcreate2(loc, name, type, s, H5P_DEFAULT, zp, H5P_DEFAULT);
	H5Pclose(zp);
	if (d >= 0) {
		rc = n && H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT,
				   rows) < 0 ? -1 : 0;
		H5Dclose(d);
	}
	H5Sclose(s);
	return rc;
}

static int write_prov(hid_t g, const struct cal_prov *p)
{
	return ss_h5_attr_str(g, "gpu", p->gpu) ||
	       ss_h5_attr_i64(g, "sm_count", p->sm_count) ||
	       ss_h5_attr_i64(g, "hbm_bytes", (int64_t)p->hbm_bytes) ||
	       ss_h5_attr_i64(g, "driver_version", p->driver_version) ||
	       ss_h5_attr_i64(g, "runtime_version", p->runtime_version) ||
	       ss_h5_attr_i64(g, "sm_clock_khz", p->sm_clock_khz) ||
	       ss_h5_attr_i64(g, "mem_clock_khz", p->mem_clock_khz) ||
	       ss_h5_attr_str(g, "clocks_seen", p->clocks_seen) ||
	       ss_h5_attr_str(g, "date", p->date) ||
	       ss_h5_attr_str(g, "commit", p->commit) ||
	       ss_h5_attr_str(g, "command", p->command) ||
	       ss_h5_attr_str(g, "model", p->model) ||
	       ss_h5_attr_str(g, "base", p->base) ||
	       ss_h5_attr_f64(g, "wall_s", p->wall_s) ? -1 : 0;
}

static int write_op(hid_t ops, enum hw_op_id id, const struct cal_op_data *d,
		    hid_t gcpl, hid_t dcpl)
{
	hid_t g = H5Gcreate2(ops, hw_op_name(id), H5P_DEFAULT, gcpl,
			     H5P_DEFAULT);
	const struct cal_fit *f = &d->fit;
	char params[80];
	int rc;

	if (g < 0)
		return -1;
	snprintf(params, sizeof(params), "%s,%s,%s", d->params[0],
		 d->params[1], d->params[2]);
	rc = ss_h5_attr_i64(g, "measured", d->measured) ||
	     ss_h5_attr_str(g, "status", d->status) ||
	     ss_h5_attr_str(g, "params", params) ||
	     ss_h5_attr_str(g, "shape", d->shape);
	if (!rc && d->measured) {
		hid_t t = sample_type();

		rc = ss_h5_attr_str(g, "method", cal_method_name(f->method)) ||
		     ss_h5_attr_i64(g, "n_points", f->n_points) ||
		     ss_h5_attr_i64(g, "n_test", f->n_test) ||
		     ss_h5_attr_f64(g, "mape_pct", f->mape_pct) ||
		     ss_h5_attr_f64(g, "max_err_pct", f->max_pct) ||
		     ss_h5_attr_f64(g, "lsq_mape_pct", f->lsq_mape_pct) ||
		     ss_h5_attr_f64(g, "lsq_max_err_pct", f->lsq_max_pct) ||
		     ss_h5_attr_f64(g, "table_mape_pct", f->table_mape_pct) ||
		     ss_h5_attr_f64(g, "table_max_err_pct", f->table_max_pct) ||
		     ss_h5_attr_num(g, "coef", H5T_NATIVE_DOUBLE, f->coef, 5) ||
		     ss_h5_attr_f64(g, "split_x", f->split_x) ||
		     write_table(g, "samples", t, d->s, d->n, dcpl);
		H5Tclose(t);
	}
	H5Gclose(g);
	return rc ? -1 : 0;
}

/* The profile as JSON text (malloc'd). */
static int profile_text(const struct hw_profile *p, char **out,
			struct ss_err *err)
{
	size_t len = 0;
	FILE *f = open_memstream(out, &len);
	int rc;

	if (!f)
		return ss_error(err, SS_ENOMEM, "calibrate: out of memory");
	rc = hw_profile_write(p, f, err);
	if (fclose(f) && !rc)
		rc = ss_error(err, SS_ENOMEM, "calibrate: out of memory");
	if (rc) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

int cal_file_write(const struct cal_run *r, const char *path,
		   struct ss_err *err)
{
	hid_t fcpl, gcpl, dcpl, file, root, g = -1, t;
	char tmp[4200], *json = NULL;
	int rc = -1, i;

	if (!r->hw)
		return ss_error(err, SS_EINVAL,
				"calibrate: '%s': the run has no fitted profile",
				path);
	if ((rc = profile_text(r->hw, &json, err)) < 0)
		return rc;
	rc = -1;
	ss_tmp_name(path, tmp, sizeof(tmp));
	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
	fcpl = H5Pcreate(H5P_FILE_CREATE);
	gcpl = H5Pcreate(H5P_GROUP_CREATE);
	dcpl = H5Pcreate(H5P_DATASET_CREATE);
	H5Pset_obj_track_times(fcpl, 0);
	H5Pset_obj_track_times(gcpl, 0);
	H5Pset_obj_track_times(dcpl, 0);
	file = H5Fcreate(tmp, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
	if (file < 0) {
		free(json);
		H5Pclose(fcpl);
		H5Pclose(gcpl);
		H5Pclose(dcpl);
		return ss_error(err, SS_EIO, "calibrate: cannot write '%s'",
				path);
	}
	root = H5Gopen2(file, "/", H5P_DEFAULT);
	if (ss_h5_attr_str(root, "format", FORMAT_TAG) ||
	    ss_h5_attr_i64(root, "version", CAL_FILE_VERSION))
		goto out;
	g = H5Gcreate2(file, "provenance", H5P_DEFAULT, gcpl, H5P_DEFAULT);
	if (g < 0 || write_prov(g, &r->prov))
		goto out;
	H5Gclose(g);
	t = str_type(strlen(json) + 1);
	{
		hid_t s = H5Screate(H5S_SCALAR);
		hid_t d = H5Dcreate2(file, "profile", t, s, H5P_DEFAULT, dcpl,
				     H5P_DEFAULT);
		int bad = d < 0 || H5Dwrite(d, t, H5S_ALL, H5S_ALL,
					    H5P_DEFAULT, json) < 0;

		if (d >= 0)
			H5Dclose(d);
		H5Sclose(s);
		H5Tclose(t);
		if (bad) {
			g = -1;
			goto out;
		}
	}
	t = extra_type();
	i = write_table(file, "extras", t, r->extra, r->n_extra, dcpl);
	H5Tclose(t);
	if (i) {
		g = -1;
		goto out;
	}
	g = H5Gcreate2(file, "ops", H5P_DEFAULT, gcpl, H5P_DEFAULT);
	if (g < 0)
		goto out;
	for (i = 0; i < HW_NOPS; i++)
		if (write_op(g, (enum hw_op_id)i, &r->op[i], gcpl, dcpl))
			goto out;
	rc = 0;
out:
	if (g >= 0)
		H5Gclose(g);
	H5Gclose(root);
	if (H5Fclose(file) < 0)
		rc = -1;
	H5Pclose(fcpl);
	H5Pclose(gcpl);
	H5Pclose(dcpl);
	free(json);
	if (rc) {
		remove(tmp);
		return ss_error(err, SS_EIO,
				"calibrate: cannot write '%s' (HDF5 error)", path);
	}
	return ss_rename_into_place(tmp, path, err);
}

/* ---- reading ---------------------------------------------------------- */

struct rd {
	const char *path;
	struct ss_err *err;
};

static int missing(struct rd *c, const char *what)
{
	return ss_error(c->err, SS_EINVAL, "%s: %s missing", c->path, what);
}

/* String attribute `name` of `loc` into out[cap]; `where` names loc. */
static int rd_str(struct rd *c, hid_t loc, const char *where,
		  const char *name, char *out, size_t cap)
{
	char what[160];
	hid_t a, t, mt;
	size_t n;
	char *buf;
	int rc = 0;

	snprintf(what, sizeof(what), "attribute '%s' of %s", name, where);
	if (H5Aexists(loc, name) <= 0)
		return missing(c, what);
	a = H5Aopen(loc, name, H5P_DEFAULT);
	t = H5Aget_type(a);
	if (H5Tget_class(t) != H5T_STRING) {
		H5Tclose(t);
		H5Aclose(a);
		return ss_error(c->err, SS_EINVAL, "%s: %s: not a string",
				c->path, what);
	}
	n = H5Tget_size(t);
	mt = str_type(n + 1);
	buf = calloc(1, n + 1);
	if (!buf || H5Aread(a, mt, buf) < 0)
		rc = ss_error(c->err, SS_EINVAL, "%s: %s: cannot be read",
			      c->path, what);
	else
		snprintf(out, cap, "%s", buf);
	free(buf);
	H5Tclose(mt);
	H5Tclose(t);
	H5Aclose(a);
	return rc;
}

static int rd_num(struct rd *c, hid_t loc, const char *where,
		  const char *name, hid_t type, void *out, hsize_t n)
{
	char what[160];
	hid_t a, s;
	int rc = 0;

	snprintf(what, sizeof(what), "attribute '%s' of %s", name, where);
	if (H5Aexists(loc, name) <= 0)
		return missing(c, what);
	a = H5Aopen(loc, name, H5P_DEFAULT);
	s = H5Aget_space(a);
	if ((hsize_t)H5Sget_simple_extent_npoints(s) != n ||
	    H5Aread(a, type, out) < 0)
		rc = ss_error(c->err, SS_EINVAL,
			      "%s: %s: expected %llu number(s)", c->path, what,
			      (unsigned long long)n);
	H5Sclose(s);
	H5Aclose(a);
	return rc;
}

static int rd_f64(struct rd *c, hid_t loc, const char *where,
		  const char *name, double *v)
{
	return rd_num(c, loc, where, name, H5T_NATIVE_DOUBLE, v, 1);
}

static int rd_int(struct rd *c, hid_t loc, const char *where,
		  const char *name, int64_t *v)
{
	return rd_num(c, loc, where, name, H5T_NATIVE_INT64, v, 1);
}

/* 1-D dataset `name` of compound `type` into a malloc'd array. */
static int rd_table(struct rd *c, hid_t loc, const char *name,
		    const char *what, hid_t type, size_t elem, void **rows,
		    size_t *n)
{
	hid_t d, s;
	hssize_t np;
	int rc = 0;

	*rows = NULL;
	*n = 0;
	if (H5Lexists(loc, name, H5P_DEFAULT) <= 0)
		return missing(c, what);
	d = H5Dopen2(loc, name, H5P_DEFAULT);
	if (d < 0)
		return ss_error(c->err, SS_EINVAL, "%s: %s: cannot be opened",
				c->path, what);
	s = H5Dget_space(d);
	np = H5Sget_simple_extent_npoints(s);
	if (np < 0) {
		rc = ss_error(c->err, SS_EINVAL, "%s: %s: bad dataspace",
			      c->path, what);
	} else if (np > 0) {
		*rows = calloc((size_t)np, elem);
		if (!*rows)
			rc = ss_error(c->err, SS_ENOMEM, "%s: out of memory",
				      c->path);
		else if (H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT,
				 *rows) < 0)
			rc = ss_error(c->err, SS_EINVAL,
				      "%s: %s: cannot be read (truncated?)",
				      c->path, what);
		*n = (size_t)np;
	}
	if (rc) {
		free(*rows);
		*rows = NULL;
		*n = 0;
	}
	H5Sclose(s);
	H5Dclose(d);
	return rc;
}

static int read_prov(struct rd *c, hid_t file, struct cal_prov *p)
{
	const char *w = "/provenance";
	int64_t v[6];
	hid_t g;
	int rc;

	if (H5Lexists(file, "provenance", H5P_DEFAULT) <= 0)
		return missing(c, "group /provenance");
	g = H5Gopen2(file, "provenance", H5P_DEFAULT);
	rc = rd_str(c, g, w, "gpu", p->gpu, sizeof(p->gpu)) ||
	     rd_int(c, g, w, "sm_count", &v[0]) ||
	     rd_int(c, g, w, "hbm_bytes", &v[1]) ||
	     rd_int(c, g, w, "driver_version", &v[2]) ||
	     rd_int(c, g, w, "runtime_version", &v[3]) ||
	     rd_int(c, g, w, "sm_clock_khz", &v[4]) ||
	     rd_int(c, g, w, "mem_clock_khz", &v[5]) ||
	     rd_str(c, g, w, "clocks_seen", p->clocks_seen, sizeof(p->clocks_seen)) ||
	     rd_str(c, g, w, "date", p->date, sizeof(p->date)) ||
	     rd_str(c, g, w, "commit", p->commit, sizeof(p->commit)) ||
	     rd_str(c, g, w, "command", p->command, sizeof(p->command)) ||
	     rd_str(c, g, w, "model", p->model, sizeof(p->model)) ||
	     rd_str(c, g, w, "base", p->base, sizeof(p->base)) ||
	     rd_f64(c, g, w, "wall_s", &p->wall_s);
	H5Gclose(g);
	if (rc)
		return c->err ? c->err->code : SS_EINVAL;
	p->sm_count = (int)v[0];
	p->hbm_bytes = (uint64_t)v[1];
	p->driver_version = (int)v[2];
	p->runtime_version = (int)v[3];
	p->sm_clock_khz = (int)v[4];
	p->mem_clock_khz = (int)v[5];
	return 0;
}

static int read_op(struct rd *c, hid_t ops, enum hw_op_id id,
		   struct cal_op_data *d)
{
	const char *name = hw_op_name(id);
	char where[64], what[96], params[80], method[16];
	struct cal_fit *f = &d->fit;
	int64_t measured, np, nt;
	hid_t g, t;
	size_t n;
	void *rows;
	char *tok, *save;
	int rc, k;

	snprintf(where, sizeof(where), "/ops/%s", name);
	if (H5Lexists(ops, name, H5P_DEFAULT) <= 0) {
		snprintf(what, sizeof(what), "operation '%s' (no group %s)",
			 name, where);
		return missing(c, what);
	}
	g = H5Gopen2(ops, name, H5P_DEFAULT);
	rc = rd_int(c, g, where, "measured", &measured) ||
	     rd_str(c, g, where, "status", d->status, sizeof(d->status)) ||
	     rd_str(c, g, where, "params", params, sizeof(params)) ||
	     rd_str(c, g, where, "shape", d->shape, sizeof(d->shape));
	if (rc)
		goto out;
	d->measured = measured != 0;
	for (k = 0, tok = params; k < 3; k++) {
		save = strchr(tok, ',');
		if (save)
			*save = '\0';
		snprintf(d->params[k], sizeof(d->params[k]), "%s", tok);
		tok = save ? save + 1 : tok + strlen(tok);
	}
	if (!d->measured)
		goto out;
	rc = rd_str(c, g, where, "method", method, sizeof(method)) ||
	     rd_int(c, g, where, "n_points", &np) ||
	     rd_int(c, g, where, "n_test", &nt) ||
	     rd_f64(c, g, where, "mape_pct", &f->mape_pct) ||
	     rd_f64(c, g, where, "max_err_pct", &f->max_pct) ||
	     rd_f64(c, g, where, "lsq_mape_pct", &f->lsq_mape_pct) ||
	     rd_f64(c, g, where, "lsq_max_err_pct", &f->lsq_max_pct) ||
	     rd_f64(c, g, where, "table_mape_pct", &f->table_mape_pct) ||
	     rd_f64(c, g, where, "table_max_err_pct", &f->table_max_pct) ||
	     rd_num(c, g, where, "coef", H5T_NATIVE_DOUBLE, f->coef, 5) ||
	     rd_f64(c, g, where, "split_x", &f->split_x);
	if (rc)
		goto out;
	for (k = 0; k < CAL_NMETHOD; k++)
		if (!strcmp(method, cal_method_name((enum cal_method)k)))
			break;
	if (k == CAL_NMETHOD) {
		rc = ss_error(c->err, SS_EINVAL,
			      "%s: attribute 'method' of %s: '%s' is not lsq, table, table-rate, table-2d, columns or waves",
			      c->path, where, method);
		goto out;
	}
	f->method = (enum cal_method)k;
	f->n_points = (uint32_t)np;
	f->n_test = (uint32_t)nt;
	snprintf(what, sizeof(what), "samples of operation '%s' (%s/samples)",
		 name, where);
	t = sample_type();
	rc = rd_table(c, g, "samples", what, t, sizeof(struct cal_sample),
		      &rows, &n);
	H5Tclose(t);
	if (!rc && !n)
		rc = ss_error(c->err, SS_EINVAL, "%s: %s: empty", c->path, what);
	if (rc)
		goto out;
	free(d->s);
	d->s = rows;
	d->n = d->alloc = n;
out:
	H5Gclose(g);
	return rc ? (c->err ? c->err->code : SS_EINVAL) : 0;
}

/* Open `path` read-only after checking it is a readable HDF5 file. */
static hid_t open_file(struct rd *c)
{
	FILE *f = fopen(c->path, "rb");
	hid_t file;

	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
	if (!f) {
		ss_error(c->err, SS_EIO, "%s: cannot open", c->path);
		return -1;
	}
	fclose(f);
	if (H5Fis_hdf5(c->path) <= 0) {
		ss_error(c->err, SS_EINVAL,
			 "%s: not an HDF5 file (or truncated before its superblock)",
			 c->path);
		return -1;
	}
	file = H5Fopen(c->path, H5F_ACC_RDONLY, H5P_DEFAULT);
	if (file < 0)
		ss_error(c->err, SS_EINVAL,
			 "%s: HDF5 file cannot be opened (truncated or damaged)",
			 c->path);
	return file;
}

static int check_header(struct rd *c, hid_t file)
{
	char format[64];
	int64_t version;
	hid_t root = H5Gopen2(file, "/", H5P_DEFAULT);
	int rc;

	rc = rd_str(c, root, "/", "format", format, sizeof(format));
	if (!rc && strcmp(format, FORMAT_TAG))
		rc = ss_error(c->err, SS_EINVAL,
			      "%s: attribute 'format' of /: '%s' is not '%s'",
			      c->path, format, FORMAT_TAG);
	if (!rc)
		rc = rd_int(c, root, "/", "version", &version);
	if (!rc && version != CAL_FILE_VERSION)
		rc = ss_error(c->err, SS_EINVAL,
			      "%s: version %lld is not supported (expected %d)",
			      c->path, (long long)version, CAL_FILE_VERSION);
	H5Gclose(root);
	return rc;
}

static int read_profile(struct rd *c, hid_t file, struct hw_profile **out)
{
	hid_t d, t, mt;
	size_t n;
	char *buf;
	int rc;

	*out = NULL;
	if (H5Lexists(file, "profile", H5P_DEFAULT) <= 0)
		return missing(c, "dataset /profile (the fitted profile)");
	d = H5Dopen2(file, "profile", H5P_DEFAULT);
	t = H5Dget_type(d);
	n = H5Tget_size(t);
	mt = str_type(n + 1);
	buf = calloc(1, n + 1);
	if (H5Tget_class(t) != H5T_STRING || !buf ||
	    H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
		rc = ss_error(c->err, SS_EINVAL,
			      "%s: dataset /profile cannot be read as text (truncated?)",
			      c->path);
	else
		rc = hw_profile_parse(out, buf, c->path, c->err);
	free(buf);
	H5Tclose(mt);
	H5Tclose(t);
	H5Dclose(d);
	return rc;
}

int cal_file_read(struct cal_run **out, const char *path, struct ss_err *err)
{
	struct rd c = { path, err };
	struct cal_run *r;
	hid_t file, ops, t;
	size_t n;
	void *rows;
	int rc, i;

	*out = NULL;
	file = open_file(&c);
	if (file < 0)
		return err ? err->code : SS_EINVAL;
	r = cal_run_alloc();
	if (!r) {
		H5Fclose(file);
		return ss_error(err, SS_ENOMEM, "%s: out of memory", path);
	}
	if ((rc = check_header(&c, file)) || (rc = read_prov(&c, file, &r->prov)))
		goto out_free;
	if (H5Lexists(file, "ops", H5P_DEFAULT) <= 0) {
		rc = missing(&c, "group /ops");
		goto out_free;
	}
	ops = H5Gopen2(file, "ops", H5P_DEFAULT);
	for (i = 0, rc = 0; !rc && i < HW_NOPS; i++)
		rc = read_op(&c, ops, (enum hw_op_id)i, &r->op[i]);
	H5Gclose(ops);
	if (rc)
		goto out_free;
	t = extra_type();
	rc = rd_table(&c, file, "extras", "dataset /extras", t,
		      sizeof(struct cal_extra), &rows, &n);
	H5Tclose(t);
	if (rc)
		goto out_free;
	if (n > CAL_MAX_EXTRA) {
		free(rows);
		rc = ss_error(err, SS_EINVAL, "%s: /extras: %zu rows (at most %d)",
			      path, n, CAL_MAX_EXTRA);
		goto out_free;
	}
	if (n)
		memcpy(r->extra, rows, n * sizeof(struct cal_extra));
	free(rows);
	r->n_extra = (uint32_t)n;
	if ((rc = read_profile(&c, file, &r->hw)))
		goto out_free;
	H5Fclose(file);
	cal_run_grid(r); /* the prefill kernel's grid for refits */
	*out = r;
	return 0;
out_free:
	H5Fclose(file);
	cal_run_free(r);
	return rc < 0 ? rc : SS_EINVAL;
}

int cal_profile_h5_load(struct hw_profile **out, const char *path,
			struct ss_err *err)
{
	struct cal_run *r;
	int rc;

	/* the whole file is checked: a profile with a missing op is bad */
	*out = NULL;
	rc = cal_file_read(&r, path, err);
	if (rc)
		return rc;
	*out = r->hw;
	r->hw = NULL;
	cal_run_free(r);
	return 0;
}
