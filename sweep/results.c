/*
 * results.c - sweep results table, journal, HDF5 file and CSV export.
 *
 * Rows live in one array indexed by run number, so the order of arrival
 * (which depends on workers and timing) never shows in the outputs:
 * everything is written in run order, and metric columns are ordered by
 * their first appearance when scanning rows in run order.
 */
#include "results.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "fileio.h"
#include "h5util.h"

#include "banned.h"

#define FORMAT_TAG "sparseserve-sweep/1"
#define JOURNAL_TAG "sparseserve-sweep-journal/1"

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

int sweep_table_init(struct sweep_table *t, const struct sweep_spec *s,
		     struct ss_err *err)
{
	memset(t, 0, sizeof(*t));
	t->spec = s;
	t->rows = calloc(s->nruns, sizeof(*t->rows));
	if (!t->rows)
		return ss_error(err, SS_ENOMEM, "out of memory (%llu runs)",
				(unsigned long long)s->nruns);
	return 0;
}

void sweep_table_release(struct sweep_table *t)
{
	if (t->rows)
		for (uint64_t i = 0; i < t->spec->nruns; i++) {
			free(t->rows[i].val);
			free(t->rows[i].error);
		}
	free(t->rows);
	for (size_t i = 0; i < t->nnames; i++)
		free(t->names[i]);
	free(t->names);
	for (size_t i = 0; i < t->nhosts; i++)
		free(t->hosts[i]);
	free(t->hosts);
	for (size_t i = 0; i < t->nschemas; i++)
		free(t->schemas[i].col);
	free(t->schemas);
	memset(t, 0, sizeof(*t));
}

/* Index of `s` in the string list, appended if new; -1 on ENOMEM. */
static long intern(char ***list, size_t *n, size_t *alloc, const char *s,
		   struct ss_err *err)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*list)[i], s))
			return (long)i;
	if (ss_grow((void **)list, alloc, *n + 1, sizeof(char *), err))
		return -1;
	(*list)[*n] = xstrdup(s);
	if (!(*list)[*n]) {
		ss_error(err, SS_ENOMEM, "out of memory");
		return -1;
	}
	return (long)(*n)++;
}

static long schema_find(struct sweep_table *t, const uint32_t *col, uint32_t n,
			struct ss_err *err)
{
	struct sweep_schema *sc;

	for (size_t i = 0; i < t->nschemas; i++)
		if (t->schemas[i].n == n &&
		    !memcmp(t->schemas[i].col, col, n * sizeof(*col)))
			return (long)i;
	if (ss_grow((void **)&t->schemas, &t->schemas_alloc, t->nschemas + 1,
		    sizeof(*t->schemas), err))
		return -1;
	sc = &t->schemas[t->nschemas];
	sc->n = n;
	sc->col = malloc((n ? n : 1) * sizeof(*col));
	if (!sc->col) {
		ss_error(err, SS_ENOMEM, "out of memory");
		return -1;
	}
	memcpy(sc->col, col, n * sizeof(*col));
	return (long)t->nschemas++;
}

int sweep_table_put(struct sweep_table *t, const struct sweep_result *r,
		    struct ss_err *err)
{
	uint32_t col[METRICS_MAX];
	struct sweep_row *row;
	long h, sc;

	if (r->run >= t->spec->nruns)
		return ss_error(err, SS_EINVAL, "run %llu is beyond the spec's "
				"%llu runs", (unsigned long long)r->run,
				(unsigned long long)t->spec->nruns);
	for (int i = 0; i < r->nm; i++) {
		long c = intern(&t->names, &t->nnames, &t->names_alloc,
				r->name[i], err);

		if (c < 0)
			return SS_ENOMEM;
		col[i] = (uint32_t)c;
	}
	sc = schema_find(t, col, (uint32_t)r->nm, err);
	h = intern(&t->hosts, &t->nhosts, &t->hosts_alloc, r->host, err);
	if (sc < 0 || h < 0)
		return SS_ENOMEM;
	row = &t->rows[r->run];
	if (row->done) {
		t->ndone--;
		t->nfailed -= row->status != 0;
	}
	free(row->val);
	free(row->error);
	memset(row, 0, sizeof(*row));
	row->val = malloc((r->nm ? (size_t)r->nm : 1) * sizeof(double));
	row->error = r->status ? xstrdup(r->error) : NULL;
	if (!row->val || (r->status && !row->error))
		return ss_error(err, SS_ENOMEM, "out of memory");
	memcpy(row->val, r->value, (size_t)r->nm * sizeof(double));
	row->done = 1;
	row->status = r->status;
	row->seed = r->seed;
	row->wall_s = r->wall_s;
	row->host = (uint32_t)h;
	row->schema = (uint32_t)sc;
	t->ndone++;
	t->nfailed += r->status != 0;
	return 0;
}

/* Metric columns in order of first appearance over rows in run order. */
static uint32_t *column_order(const struct sweep_table *t, size_t *n)
{
	uint32_t *order = malloc((t->nnames ? t->nnames : 1) * sizeof(uint32_t));
	unsigned char *seen = calloc(t->nnames + 1, 1);
	unsigned char *sc_seen = calloc(t->nschemas + 1, 1);

	*n = 0;
	if (!order || !seen || !sc_seen) {
		free(order);
		order = NULL;
		goto out;
	}
	for (uint64_t r = 0; r < t->spec->nruns; r++) {
		const struct sweep_row *row = &t->rows[r];
		const struct sweep_schema *sc;

		if (!row->done || sc_seen[row->schema])
			continue;
		sc_seen[row->schema] = 1;
		sc = &t->schemas[row->schema];
		for (uint32_t i = 0; i < sc->n; i++)
			if (!seen[sc->col[i]]) {
				seen[sc->col[i]] = 1;
				order[(*n)++] = sc->col[i];
			}
	}
out:
	free(seen);
	free(sc_seen);
	return order;
}

static double row_metric(const struct sweep_table *t,
			 const struct sweep_row *row, uint32_t col)
{
	const struct sweep_schema *sc = &t->schemas[row->schema];

	for (uint32_t i = 0; i < sc->n; i++)
		if (sc->col[i] == col)
			return row->val[i];
	return NAN;
}

/* ---- HDF5 ---- */

/* HDF5's error printing off while we handle errors ourselves, then back. */
struct h5quiet {
	H5E_auto2_t func;
	void *data;
};

static void quiet_on(struct h5quiet *q)
{
	H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data);
	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static void quiet_off(const struct h5quiet *q)
{
	H5Eset_auto2(H5E_DEFAULT, q->func, q->data);
}

/* Read a string attribute into a malloc'd buffer; NULL if absent. */
static char *attr_read_str(hid_t loc, const char *name)
{
	hid_t a, ty, mem;
	size_t size;
	char *buf = NULL;

	if (H5Aexists(loc, name) <= 0)
		return NULL;
	a = H5Aopen(loc, name, H5P_DEFAULT);
	if (a < 0)
		return NULL;
	ty = H5Aget_type(a);
	if (H5Tget_class(ty) == H5T_STRING && !H5Tis_variable_str(ty)) {
		size = H5Tget_size(ty);
		buf = calloc(size + 1, 1);
		mem = H5Tcopy(H5T_C_S1);
		H5Tset_size(mem, size);
		if (buf && H5Aread(a, mem, buf) < 0) {
			free(buf);
			buf = NULL;
		}
		H5Tclose(mem);
	}
	H5Tclose(ty);
	H5Aclose(a);
	return buf;
}

static int write_ds(hid_t loc, const char *name, hid_t type, size_t n,
		    const void *data, hid_t dcpl, hid_t *out)
{
	hsize_t dims[1] = { n };
	hid_t sp = H5Screate_simple(1, dims, NULL), ds;
	int rc = -1;

	ds = H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
	if (ds >= 0) {
		rc = (n == 0 || H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT,
					 data) >= 0) ? 0 : -1;
		if (out && !rc)
			*out = ds;
		else
			H5Dclose(ds);
	}
	H5Sclose(sp);
	return rc;
}

/* Fixed-length strings: n strings of the longest length + 1. */
static int write_strs(hid_t loc, const char *name, const char *const *s,
		      size_t n, hid_t dcpl, hid_t *out)
{
	size_t w = 1, i;
	char *buf;
	hid_t ty;
	int rc;

	for (i = 0; i < n; i++)
		w = SS_MAX(w, strlen(s[i]) + 1);
	buf = calloc(n ? n : 1, w);
	if (!buf)
		return -1;
	for (i = 0; i < n; i++)
		memcpy(buf + i * w, s[i], strlen(s[i]));
	ty = H5Tcopy(H5T_C_S1);
	H5Tset_size(ty, w);
	H5Tset_strpad(ty, H5T_STR_NULLTERM);
	rc = write_ds(loc, name, ty, n, buf, dcpl, out);
	H5Tclose(ty);
	free(buf);
	return rc;
}

static const char *kind_name(enum sweep_kind k)
{
	return k == SWEEP_K_FIELD ? "field" : k == SWEEP_K_KEY ? "config"
							       : "variable";
}

/* The body of the HDF5 writer; `file` is open. */
static int write_h5_body(const struct sweep_table *t, hid_t file,
			 const struct sweep_meta *meta, hid_t gcpl, hid_t dcpl)
{
	const struct sweep_spec *s = t->spec;
	size_t n = (size_t)t->ndone, k = 0, ncols = 0;
	uint64_t *u64 = malloc((n ? n : 1) * sizeof(uint64_t));
	uint32_t *u32 = malloc((n ? n : 1) * sizeof(uint32_t));
	int32_t *i32 = malloc((n ? n : 1) * sizeof(int32_t));
	double *f64 = malloc((n ? n : 1) * sizeof(double));
	const char **str = malloc((n ? n : 1) * sizeof(char *));
	uint64_t *runs = malloc((n ? n : 1) * sizeof(uint64_t));
	uint32_t *cols = NULL;
	hid_t grp = -1;
	int rc = -1;

	if (!u64 || !u32 || !i32 || !f64 || !str || !runs)
		goto out;
	for (uint64_t r = 0; r < s->nruns; r++)
		if (t->rows[r].done)
			runs[k++] = r;
	BUG_ON(k != n);
	if (ss_h5_attr_str(file, "format", FORMAT_TAG) ||
	    ss_h5_attr_str(file, "spec", s->canon) ||
	    ss_h5_attr_str(file, "spec_file", s->origin) ||
	    ss_h5_attr_str(file, "name", s->name) ||
	    ss_h5_attr_str(file, "command", meta && meta->command ? meta->command : "") ||
	    ss_h5_attr_str(file, "version", ss_version()) ||
	    ss_h5_attr_u64(file, "seed", s->seed) ||
	    ss_h5_attr_u64(file, "repetitions", s->reps) ||
	    ss_h5_attr_u64(file, "points", s->npoints) ||
	    ss_h5_attr_u64(file, "runs", s->nruns) ||
	    ss_h5_attr_u64(file, "done", t->ndone) ||
	    ss_h5_attr_u64(file, "failed", t->nfailed))
		goto out;
	if (write_ds(file, "run", H5T_NATIVE_UINT64, n, runs, dcpl, NULL))
		goto out;
	for (k = 0; k < n; k++)
		u64[k] = runs[k] % s->npoints;
	if (write_ds(file, "point", H5T_NATIVE_UINT64, n, u64, dcpl, NULL))
		goto out;
	for (k = 0; k < n; k++)
		u32[k] = (uint32_t)(runs[k] / s->npoints);
	if (write_ds(file, "rep", H5T_NATIVE_UINT32, n, u32, dcpl, NULL))
		goto out;
	for (k = 0; k < n; k++)
		u64[k] = t->rows[runs[k]].seed;
	if (write_ds(file, "seed", H5T_NATIVE_UINT64, n, u64, dcpl, NULL))
		goto out;
	for (k = 0; k < n; k++)
		i32[k] = t->rows[runs[k]].status;
	if (write_ds(file, "status", H5T_NATIVE_INT32, n, i32, dcpl, NULL))
		goto out;

	grp = H5Gcreate2(file, "param", H5P_DEFAULT, gcpl, H5P_DEFAULT);
	if (grp < 0)
		goto out;
	for (size_t a = 0; a < s->naxes; a++) {
		const struct sweep_axis *ax = &s->axes[a];
		int all_num = 1;
		hid_t ds = -1;

		for (size_t v = 0; v < ax->n; v++)
			all_num &= ax->v[v].is_num;
		for (k = 0; k < n; k++) {
			struct sweep_point p;

			sweep_point_get(s, runs[k], &p);
			f64[k] = ax->v[p.idx[a]].num;
			str[k] = ax->v[p.idx[a]].text;
		}
		if (all_num ? write_ds(grp, ax->name, H5T_NATIVE_DOUBLE, n, f64,
				       dcpl, &ds)
			    : write_strs(grp, ax->name, str, n, dcpl, &ds))
			goto out;
		rc = ss_h5_attr_str(ds, "kind", kind_name(ax->kind));
		H5Dclose(ds);
		if (rc)
			goto out;
		rc = -1;
	}
	H5Gclose(grp);

	grp = H5Gcreate2(file, "metric", H5P_DEFAULT, gcpl, H5P_DEFAULT);
	cols = column_order(t, &ncols);
	if (grp < 0 || !cols)
		goto out;
	for (size_t c = 0; c < ncols; c++) {
		for (k = 0; k < n; k++)
			f64[k] = row_metric(t, &t->rows[runs[k]], cols[c]);
		if (write_ds(grp, t->names[cols[c]], H5T_NATIVE_DOUBLE, n, f64,
			     dcpl, NULL))
			goto out;
	}

	for (k = 0; k < n; k++)
		str[k] = t->rows[runs[k]].error ? t->rows[runs[k]].error : "";
	if (write_strs(file, "error", str, n, dcpl, NULL))
		goto out;
	for (k = 0; k < n; k++)
		str[k] = t->hosts[t->rows[runs[k]].host];
	if (write_strs(file, "host", str, n, dcpl, NULL))
		goto out;
	for (k = 0; k < n; k++)
		f64[k] = t->rows[runs[k]].wall_s;
	if (write_ds(file, "wall_s", H5T_NATIVE_DOUBLE, n, f64, dcpl, NULL))
		goto out;
	rc = 0;
out:
	if (grp >= 0)
		H5Gclose(grp);
	free(cols);
	free(u64);
	free(u32);
	free(i32);
	free(f64);
	free(str);
	free(runs);
	return rc;
}

int sweep_table_write_h5(const struct sweep_table *t, const char *path,
			 const struct sweep_meta *meta, struct ss_err *err)
{
	char tmp[4200];
	struct h5quiet q;
	hid_t fcpl, gcpl, dcpl, file;
	int rc;

	ss_tmp_name(path, tmp, sizeof tmp);
	fcpl = H5Pcreate(H5P_FILE_CREATE);
	gcpl = H5Pcreate(H5P_GROUP_CREATE);
	dcpl = H5Pcreate(H5P_DATASET_CREATE);
	H5Pset_obj_track_times(fcpl, 0);
	H5Pset_obj_track_times(gcpl, 0);
	H5Pset_obj_track_times(dcpl, 0);
	/* keep metric columns in their written order for --resume */
	H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED |
						 H5P_CRT_ORDER_INDEXED);
	quiet_on(&q);
	file = H5Fcreate(tmp, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
	if (file < 0) {
		rc = ss_error(err, SS_EIO, "cannot create '%s'", tmp);
		goto out;
	}
	rc = write_h5_body(t, file, meta, gcpl, dcpl);
	if (H5Fclose(file) < 0 || rc) {
		unlink(tmp);
		rc = ss_error(err, SS_EIO, "cannot write results '%s'", tmp);
		goto out;
	}
	rc = ss_rename_into_place(tmp, path, err);
out:
	H5Pclose(fcpl);
	H5Pclose(gcpl);
	H5Pclose(dcpl);
	quiet_off(&q);
	return rc;
}

/* Read a 1-D dataset of n elements as `mem` type; -1 on mismatch. */
static int read_ds(hid_t loc, const char *name, hid_t mem, size_t n, void *buf)
{
	hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT), sp;
	hssize_t got;
	int rc = -1;

	if (ds < 0)
		return -1;
	sp = H5Dget_space(ds);
	got = H5Sget_simple_extent_npoints(sp);
	if (got == (hssize_t)n &&
	    (n == 0 || H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0))
		rc = 0;
	H5Sclose(sp);
	H5Dclose(ds);
	return rc;
}

/* Read n fixed-length strings; returns a malloc'd block, *w = width. */
static char *read_strs(hid_t loc, const char *name, size_t n, size_t *w)
{
	hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT), ty, mem;
	char *buf = NULL;

	if (ds < 0)
		return NULL;
	ty = H5Dget_type(ds);
	if (H5Tget_class(ty) == H5T_STRING && !H5Tis_variable_str(ty)) {
		*w = H5Tget_size(ty);
		buf = calloc((n ? n : 1) * *w + 1, 1);
		mem = H5Tcopy(H5T_C_S1);
		H5Tset_size(mem, *w);
		if (buf && n &&
		    H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
			free(buf);
			buf = NULL;
		}
		H5Tclose(mem);
	}
	H5Tclose(ty);
	H5Dclose(ds);
	return buf;
}

int sweep_table_read_h5(struct sweep_table *t, const char *path,
			struct ss_err *err)
{
	const struct sweep_spec *s = t->spec;
	hid_t file, grp = -1;
	char *fmt = NULL, *spec = NULL, *errs = NULL, *hosts = NULL;
	uint64_t *runs = NULL, *seeds = NULL, done = 0;
	int32_t *status = NULL;
	double *wall = NULL, **mv = NULL;
	char (*mnames)[SWEEP_METRIC_NAME] = NULL;
	size_t n, ew = 0, hw = 0, nm = 0;
	struct h5quiet q;
	hid_t a;
	int rc = SS_EIO;

	quiet_on(&q);
	file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
	if (file < 0) {
		quiet_off(&q);
		return ss_error(err, SS_EIO, "cannot open results '%s' as HDF5",
				path);
	}
	fmt = attr_read_str(file, "format");
	spec = attr_read_str(file, "spec");
	if (!fmt || strcmp(fmt, FORMAT_TAG) || !spec) {
		rc = ss_error(err, SS_EINVAL, "'%s' is not a sweep results file "
			      "(attribute 'format' is not '%s')", path,
			      FORMAT_TAG);
		goto out;
	}
	if (strcmp(spec, s->canon)) {
		rc = ss_error(err, SS_EINVAL, "'%s' holds results of a different "
			      "spec than '%s' (the spec changed since): use "
			      "another --out or --force to start over", path,
			      s->origin);
		goto out;
	}
	a = H5Aopen(file, "done", H5P_DEFAULT);
	if (a < 0 || H5Aread(a, H5T_NATIVE_UINT64, &done) < 0) {
		if (a >= 0)
			H5Aclose(a);
		rc = ss_error(err, SS_EINVAL, "'%s': attribute 'done' missing",
			      path);
		goto out;
	}
	H5Aclose(a);
	n = (size_t)done;
	runs = malloc((n ? n : 1) * sizeof(*runs));
	seeds = malloc((n ? n : 1) * sizeof(*seeds));
	status = malloc((n ? n : 1) * sizeof(*status));
	wall = malloc((n ? n : 1) * sizeof(*wall));
	if (!runs || !seeds || !status || !wall) {
		rc = ss_error(err, SS_ENOMEM, "out of memory");
		goto out;
	}
	if (read_ds(file, "run", H5T_NATIVE_UINT64, n, runs) ||
	    read_ds(file, "seed", H5T_NATIVE_UINT64, n, seeds) ||
	    read_ds(file, "status", H5T_NATIVE_INT32, n, status) ||
	    read_ds(file, "wall_s", H5T_NATIVE_DOUBLE, n, wall) ||
	    !(errs = read_strs(file, "error", n, &ew)) ||
	    !(hosts = read_strs(file, "host", n, &hw))) {
		rc = ss_error(err, SS_EINVAL, "'%s': datasets run, seed, status, "
			      "wall_s, error, host must hold %zu rows", path, n);
		goto out;
	}
	grp = H5Gopen2(file, "metric", H5P_DEFAULT);
	if (grp >= 0) {
		H5G_info_t gi;

		if (H5Gget_info(grp, &gi) < 0 || gi.nlinks > METRICS_MAX) {
			rc = ss_error(err, SS_EINVAL, "'%s': group 'metric' is "
				      "unreadable or has over %d members", path,
				      METRICS_MAX);
			goto out;
		}
		nm = (size_t)gi.nlinks;
		mnames = calloc(nm + 1, sizeof(*mnames));
		mv = calloc(nm + 1, sizeof(*mv));
		if (!mnames || !mv) {
			rc = ss_error(err, SS_ENOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < nm; i++) {
			if (H5Lget_name_by_idx(grp, ".", H5_INDEX_CRT_ORDER,
					       H5_ITER_INC, i, mnames[i],
					       SWEEP_METRIC_NAME,
					       H5P_DEFAULT) < 0 ||
			    !(mv[i] = malloc((n ? n : 1) * sizeof(double))) ||
			    read_ds(grp, mnames[i], H5T_NATIVE_DOUBLE, n, mv[i])) {
				rc = ss_error(err, SS_EINVAL, "'%s': metric column "
					      "%zu is unreadable", path, i);
				goto out;
			}
		}
	}
	for (size_t k = 0; k < n; k++) {
		struct sweep_result r;

		memset(&r, 0, sizeof(r));
		r.run = runs[k];
		r.seed = seeds[k];
		r.status = status[k];
		r.wall_s = wall[k];
		snprintf(r.host, sizeof r.host, "%.*s", (int)hw, hosts + k * hw);
		snprintf(r.error, sizeof r.error, "%.*s", (int)ew, errs + k * ew);
		if (!r.status)
			for (size_t i = 0; i < nm; i++) {
				snprintf(r.name[r.nm], SWEEP_METRIC_NAME, "%s",
					 mnames[i]);
				r.value[r.nm++] = mv[i][k];
			}
		rc = sweep_table_put(t, &r, err);
		if (rc) {
			ss_error_prefix(err, "'%s'", path);
			goto out;
		}
	}
	rc = 0;
out:
	if (mv)
		for (size_t i = 0; i < nm; i++)
			free(mv[i]);
	free(mv);
	free(mnames);
	if (grp >= 0)
		H5Gclose(grp);
	H5Fclose(file);
	quiet_off(&q);
	free(fmt);
	free(spec);
	free(errs);
	free(hosts);
	free(runs);
	free(seeds);
	free(status);
	free(wall);
	return rc;
}

/* ---- CSV ---- */

static void csv_str(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void csv_num(FILE *f, double x)
{
	char buf[64];

	if (isnan(x)) {
		fputs("nan", f);
		return;
	}
	sweep_fmt_double(x, buf, sizeof buf);
	fputs(buf, f);
}

int sweep_table_write_csv(const struct sweep_table *t, const char *path,
			  struct ss_err *err)
{
	const struct sweep_spec *s = t->spec;
	struct ss_afile af;
	uint32_t *cols;
	size_t ncols;
	int rc;

	cols = column_order(t, &ncols);
	if (!cols)
		return ss_error(err, SS_ENOMEM, "out of memory");
	rc = ss_afile_open(&af, path, err);
	if (rc) {
		free(cols);
		return rc;
	}
	fputs("run,point,rep,seed", af.f);
	for (size_t a = 0; a < s->naxes; a++)
		fprintf(af.f, ",%s", s->axes[a].name);
	fputs(",status", af.f);
	for (size_t c = 0; c < ncols; c++)
		fprintf(af.f, ",%s", t->names[cols[c]]);
	fputs(",error,wall_s,host\n", af.f);
	for (uint64_t r = 0; r < s->nruns; r++) {
		const struct sweep_row *row = &t->rows[r];
		struct sweep_point p;

		if (!row->done)
			continue;
		sweep_point_get(s, r, &p);
		fprintf(af.f, "%" PRIu64 ",%" PRIu64 ",%u,%" PRIu64, r, p.point,
			p.rep, row->seed);
		for (size_t a = 0; a < s->naxes; a++) {
			fputc(',', af.f);
			csv_str(af.f, s->axes[a].v[p.idx[a]].text);
		}
		fprintf(af.f, ",%d", row->status);
		for (size_t c = 0; c < ncols; c++) {
			fputc(',', af.f);
			csv_num(af.f, row_metric(t, row, cols[c]));
		}
		fputc(',', af.f);
		csv_str(af.f, row->error ? row->error : "");
		fputc(',', af.f);
		csv_num(af.f, row->wall_s);
		fputc(',', af.f);
		csv_str(af.f, t->hosts[row->host]);
		fputc('\n', af.f);
	}
	free(cols);
	return ss_afile_commit(&af, err);
}

/* ---- journal ---- */

static int journal_header(struct sweep_journal *j, struct ss_err *err)
{
	if (fprintf(j->f, "%s spec=%016" PRIx64 "\n", JOURNAL_TAG, j->hash) < 0 ||
	    fflush(j->f) || fdatasync(fileno(j->f)))
		return ss_error(err, SS_EIO, "cannot write journal '%s': %s",
				j->path, strerror(errno));
	return 0;
}

int sweep_journal_open(struct sweep_journal *j, const char *path,
		       const struct sweep_spec *s, int reset,
		       struct ss_err *err)
{
	int fd;

	memset(j, 0, sizeof(*j));
	snprintf(j->path, sizeof j->path, "%s", path);
	j->hash = s->hash;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return ss_error(err, SS_EIO, "cannot open journal '%s': %s",
				path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		close(fd);
		return ss_error(err, SS_EIO, "journal '%s' is being written by "
				"another sweep", path);
	}
	j->f = fdopen(fd, "a");
	if (!j->f) {
		close(fd);
		return ss_error(err, SS_EIO, "cannot open journal '%s'", path);
	}
	if (reset)
		return sweep_journal_reset(j, err);
	return 0;
}

int sweep_journal_append(struct sweep_journal *j, const struct sweep_result *r,
			 struct ss_err *err)
{
	char buf[SWEEP_RECORD_MAX];
	size_t n = sweep_result_format(r, buf, sizeof buf);

	if (fwrite(buf, 1, n, j->f) != n || fflush(j->f) ||
	    fdatasync(fileno(j->f)))
		return ss_error(err, SS_EIO, "cannot append to journal '%s': %s",
				j->path, strerror(errno));
	return 0;
}

int sweep_journal_reset(struct sweep_journal *j, struct ss_err *err)
{
	fflush(j->f);
	if (ftruncate(fileno(j->f), 0))
		return ss_error(err, SS_EIO, "cannot empty journal '%s': %s",
				j->path, strerror(errno));
	return journal_header(j, err);
}

void sweep_journal_close(struct sweep_journal *j, int remove_file)
{
	if (!j->f)
		return;
	if (remove_file)
		unlink(j->path);
	fclose(j->f); /* releases the lock */
	j->f = NULL;
}

int sweep_journal_replay(struct sweep_table *t, const char *path,
			 uint64_t *torn, struct ss_err *err)
{
	char *text, *p, *nl, want[96];
	size_t len, line = 1;
	int rc;

	*torn = 0;
	rc = ss_read_file(path, &text, &len, err);
	if (rc)
		return rc;
	snprintf(want, sizeof want, "%s spec=%016" PRIx64 "\n", JOURNAL_TAG,
		 t->spec->hash);
	if (len == 0) {
		/* created, header not yet written: nothing done */
		free(text);
		return 0;
	}
	if (strncmp(text, want, strlen(want))) {
		rc = ss_error(err, SS_EINVAL, "%s:1: not a journal of spec '%s' "
			      "(the spec changed since?): use another --out or "
			      "--force to start over", path, t->spec->origin);
		goto out;
	}
	for (p = text + strlen(want); *p; p = nl + 1) {
		struct sweep_result r;

		line++;
		nl = strchr(p, '\n');
		if (!nl) {
			*torn = 1; /* the writer died mid-line */
			break;
		}
		rc = sweep_result_parse(p, (size_t)(nl - p) + 1, &r, err);
		if (!rc)
			rc = sweep_table_put(t, &r, err);
		if (rc) {
			ss_error_prefix(err, "%s:%zu", path, line);
			goto out;
		}
	}
	rc = 0;
out:
	free(text);
	return rc;
}
