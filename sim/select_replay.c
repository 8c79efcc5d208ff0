/*
 * select_replay.c - DSA selections replayed from a recorded selection
 * trace (HDF5; the format is in select_src.h and docs/kv-hierarchy.md),
 * and the writer of such files.
 *
 * The reader keeps the file open and, per request, two steps of records
 * in memory (the current step and the one before, for the change lists):
 * a step is read with two hyperslab reads when its first (layer, head) is
 * asked for, and validated then (offsets monotone and in range, ids
 * ascending, unique and below the recorded nfull, no record larger than
 * the selection budget). Every (layer, head) of a request must advance
 * together: all of step s before any of step s + 1.
 *
 * HDF5's automatic error printing is switched off around our calls: every
 * failure becomes one message naming the file, the request, the step and
 * the field.
 */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "select_src.h"

#include "banned.h"

#define FORMAT_NAME "sparseserve-selections"
#define FORMAT_VERSION 1

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

/* The u32 attributes of the root, in sel_params order. */
static const char *const param_attrs[] = {
	"layers", "kv_heads", "block_tokens", "budget_tokens",
	"sink_blocks", "window_blocks", "budget_counts_fixed",
};

static void param_values(const struct sel_params *p, uint64_t *v)
{
	v[0] = p->layers;
	v[1] = p->kv_heads;
	v[2] = p->block_tokens;
	v[3] = p->budget_tokens;
	v[4] = p->sink_blocks;
	v[5] = p->window_blocks;
	v[6] = (uint64_t)p->budget_counts_fixed;
}

/* ---------------------------------------------------------------- reader */

struct rp_step {
	int64_t step;      /* -1 = nothing loaded */
	uint32_t nfull;    /* recorded full blocks */
	uint64_t *off;     /* [nrec + 1], rebased to 0 */
	uint32_t *blk;     /* the step's ids */
	size_t blk_alloc;
};

struct rp_req {
	int live;
	uint64_t key;
	hid_t g, d_off, d_blk, d_nfull;
	uint64_t nsteps;   /* steps recorded */
	uint64_t nblocks;  /* length of `blocks` */
	struct rp_step cur, prev;
	int64_t *lh_step;  /* [layers * heads] last step served */
};

struct rp {
	struct sel_params p;
	char path[4096];
	hid_t f;
	uint32_t nrec;     /* records per step: layers * heads */
	uint32_t maxsel;
	struct rp_req *reqs;
	size_t nreqs;
};

static int read_attr_u64(hid_t loc, const char *name, uint64_t *v)
{
	hid_t a;
	herr_t e;

	if (H5Aexists(loc, name) <= 0)
		return -1;
	a = H5Aopen(loc, name, H5P_DEFAULT);
	if (a < 0)
		return -1;
	e = H5Aread(a, H5T_NATIVE_UINT64, v);
	H5Aclose(a);
	return e < 0 ? -1 : 0;
}

static int read_attr_str(hid_t loc, const char *name, char *buf, size_t len)
{
	hid_t a, t, mt;
	size_t sz;
	herr_t e;

	if (H5Aexists(loc, name) <= 0)
		return -1;
	a = H5Aopen(loc, name, H5P_DEFAULT);
	if (a < 0)
		return -1;
	t = H5Aget_type(a);
	if (t < 0 || H5Tget_class(t) != H5T_STRING || H5Tis_variable_str(t) ||
	    (sz = H5Tget_size(t)) >= len) {
		if (t >= 0)
			H5Tclose(t);
		H5Aclose(a);
		return -1;
	}
	mt = H5Tcopy(H5T_C_S1);
	H5Tset_size(mt, sz);
	e = H5Aread(a, mt, buf);
	buf[sz] = '\0';
	H5Tclose(mt);
	H5Tclose(t);
	H5Aclose(a);
	return e < 0 ? -1 : 0;
}

static int64_t ds_length(hid_t ds)
{
	hid_t sp = H5Dget_space(ds);
	hsize_t d[2];
	int nd;

	if (sp < 0)
		return -1;
	nd = H5Sget_simple_extent_ndims(sp);
	if (nd != 1 || H5Sget_simple_extent_dims(sp, d, NULL) != 1) {
		H5Sclose(sp);
		return -1;
	}
	H5Sclose(sp);
	return (int64_t)d[0];
}

static int read_slice(hid_t ds, hid_t mtype, uint64_t start, uint64_t count,
		      void *buf)
{
	hsize_t st = start, cn = count;
	hid_t fs, ms;
	herr_t e;

	if (!count)
		return 0;
	fs = H5Dget_space(ds);
	if (fs < 0)
		return -1;
	if (H5Sselect_hyperslab(fs, H5S_SELECT_SET, &st, NULL, &cn, NULL) < 0) {
		H5Sclose(fs);
		return -1;
	}
	ms = H5Screate_simple(1, &cn, NULL);
	e = H5Dread(ds, mtype, ms, fs, H5P_DEFAULT, buf);
	H5Sclose(ms);
	H5Sclose(fs);
	return e < 0 ? -1 : 0;
}

static void rp_req_close(struct rp_req *r)
{
	if (!r->live)
		return;
	if (r->d_off >= 0)
		H5Dclose(r->d_off);
	if (r->d_blk >= 0)
		H5Dclose(r->d_blk);
	if (r->d_nfull >= 0)
		H5Dclose(r->d_nfull);
	if (r->g >= 0)
		H5Gclose(r->g);
	free(r->cur.off);
	free(r->cur.blk);
	free(r->prev.off);
	free(r->prev.blk);
	free(r->lh_step);
	memset(r, 0, sizeof(*r));
}

static void rp_release(void *priv)
{
	struct rp *m = priv;
	struct h5quiet q;
	size_t i;

	quiet_on(&q);
	for (i = 0; i < m->nreqs; i++)
		rp_req_close(&m->reqs[i]);
	free(m->reqs);
	if (m->f > 0)
		H5Fclose(m->f);
	quiet_off(&q);
}

static int rp_init(void *priv, const struct sel_params *p, const char *arg,
		   void *rng, struct ss_err *err)
{
	struct rp *m = priv;
	struct h5quiet q;
	uint64_t want[SS_ARRAY_SIZE(param_attrs)], v;
	char fmt[64];
	size_t i;
	int rc = 0;

	if (!arg || !*arg)
		return ss_error(err, SS_EINVAL,
				"selection 'replay': needs the path of a selection trace");
	m->p = *p;
	m->nrec = p->layers * p->kv_heads;
	m->maxsel = sel_max_blocks(p);
	snprintf(m->path, sizeof(m->path), "%s", arg);
	quiet_on(&q);
	m->f = H5Fopen(arg, H5F_ACC_RDONLY, H5P_DEFAULT);
	if (m->f < 0) {
		m->f = 0;
		rc = ss_error(err, SS_EIO,
			      "cannot open selection trace '%s' (missing or not HDF5)",
			      arg);
		goto out;
	}
	if (read_attr_str(m->f, "format", fmt, sizeof(fmt)) ||
	    strcmp(fmt, FORMAT_NAME)) {
		rc = ss_error(err, SS_EINVAL,
			      "%s: attribute 'format': not \"" FORMAT_NAME "\" (not a selection trace)",
			      arg);
		goto out;
	}
	if (read_attr_u64(m->f, "version", &v) || v != FORMAT_VERSION) {
		rc = ss_error(err, SS_EINVAL,
			      "%s: attribute 'version': missing or not %d",
			      arg, FORMAT_VERSION);
		goto out;
	}
	param_values(p, want);
	for (i = 0; i < SS_ARRAY_SIZE(param_attrs); i++) {
		if (read_attr_u64(m->f, param_attrs[i], &v)) {
			rc = ss_error(err, SS_EINVAL,
				      "%s: attribute '%s': missing or not an integer",
				      arg, param_attrs[i]);
			goto out;
		}
		if (v != want[i]) {
			rc = ss_error(err, SS_EINVAL,
				      "%s: attribute '%s' = %llu, but the simulation uses %llu",
				      arg, param_attrs[i],
				      (unsigned long long)v,
				      (unsigned long long)want[i]);
			goto out;
		}
	}
out:
	quiet_off(&q);
	if (rc && m->f > 0) {
		H5Fclose(m->f);
		m->f = 0;
	}
	return rc;
}

static int rp_req_add(void *priv, int32_t req, uint64_t key,
		      uint64_t max_tokens, struct ss_err *err)
{
	struct rp *m = priv;
	struct rp_req *r;
	struct h5quiet q;
	char name[64];
	int64_t n;
	size_t old = m->nreqs, i;
	int rc = 0;

	if (req < 0)
		return ss_error(err, SS_EINVAL,
				"selection 'replay': request id %d", req);
	if ((size_t)req >= m->nreqs) {
		rc = ss_grow((void **)&m->reqs, &m->nreqs, (size_t)req + 1,
			     sizeof(*m->reqs), err);
		if (rc)
			return rc;
		memset(m->reqs + old, 0, (m->nreqs - old) * sizeof(*m->reqs));
	}
	r = &m->reqs[req];
	if (r->live)
		return ss_error(err, SS_EINVAL,
				"selection 'replay': request %d added twice", req);
	r->live = 1;
	r->key = key;
	r->g = r->d_off = r->d_blk = r->d_nfull = -1;
	r->cur.step = r->prev.step = -1;
	quiet_on(&q);
	snprintf(name, sizeof(name), "/requests/%llu", (unsigned long long)key);
	if (H5Lexists(m->f, "/requests", H5P_DEFAULT) <= 0 ||
	    H5Lexists(m->f, name, H5P_DEFAULT) <= 0 ||
	    (r->g = H5Gopen2(m->f, name, H5P_DEFAULT)) < 0) {
		rc = ss_error(err, SS_EINVAL,
			      "%s: no selections for request %llu (group '%s' missing)",
			      m->path, (unsigned long long)key, name);
		goto out;
	}
	r->d_nfull = H5Dopen2(r->g, "nfull", H5P_DEFAULT);
	r->d_off = H5Dopen2(r->g, "offsets", H5P_DEFAULT);
	r->d_blk = H5Dopen2(r->g, "blocks", H5P_DEFAULT);
	if (r->d_nfull < 0 || r->d_off < 0 || r->d_blk < 0) {
		rc = ss_error(err, SS_EINVAL,
			      "%s: %s: dataset '%s' missing", m->path, name,
			      r->d_nfull < 0 ? "nfull" : r->d_off < 0 ? "offsets" : "blocks");
		goto out;
	}
	n = ds_length(r->d_nfull);
	r->nsteps = n > 0 ? (uint64_t)n : 0;
	n = ds_length(r->d_off);
	if (n < 0 || (uint64_t)n != r->nsteps * m->nrec + 1) {
		rc = ss_error(err, SS_EINVAL,
			      "%s: %s/offsets: %lld entries, expected steps x layers x heads + 1 = %llu",
			      m->path, name, (long long)n,
			      (unsigned long long)(r->nsteps * m->nrec + 1));
		goto out;
	}
	n = ds_length(r->d_blk);
	if (n < 0) {
		rc = ss_error(err, SS_EINVAL, "%s: %s/blocks: not 1-D",
			      m->path, name);
		goto out;
	}
	r->nblocks = (uint64_t)n;
	r->cur.off = malloc(((size_t)m->nrec + 1) * sizeof(uint64_t));
	r->prev.off = malloc(((size_t)m->nrec + 1) * sizeof(uint64_t));
	r->lh_step = malloc((size_t)m->nrec * sizeof(int64_t));
	if (!r->cur.off || !r->prev.off || !r->lh_step) {
		rc = ss_error(err, SS_ENOMEM, "selection 'replay': out of memory");
		goto out;
	}
	for (i = 0; i < m->nrec; i++)
		r->lh_step[i] = -1;
out:
	if (rc)
		rp_req_close(r);
	quiet_off(&q);
	(void)max_tokens;
	return rc;
}

static void rp_req_free(void *priv, int32_t req)
{
	struct rp *m = priv;
	struct h5quiet q;

	if (req < 0 || (size_t)req >= m->nreqs)
		return;
	quiet_on(&q);
	rp_req_close(&m->reqs[req]);
	quiet_off(&q);
}

/* Read and validate step `s` of r into st. */
static int load_step(struct rp *m, struct rp_req *r, uint64_t s,
		     struct rp_step *st, struct ss_err *err)
{
	uint64_t base, nb, k, rec;
	struct h5quiet q;
	int rc = 0;

	quiet_on(&q);
	if (read_slice(r->d_nfull, H5T_NATIVE_UINT32, s, 1, &st->nfull) ||
	    read_slice(r->d_off, H5T_NATIVE_UINT64, s * m->nrec, m->nrec + 1,
		       st->off)) {
		rc = ss_error(err, SS_EINVAL,
			      "%s: request %llu step %llu: cannot read 'nfull'/'offsets'",
			      m->path, (unsigned long long)r->key,
			      (unsigned long long)s);
		goto out;
	}
	base = st->off[0];
	for (rec = 0; rec < m->nrec; rec++)
		if (st->off[rec + 1] < st->off[rec] ||
		    st->off[rec + 1] > r->nblocks ||
		    st->off[rec + 1] - st->off[rec] > m->maxsel) {
			rc = ss_error(err, SS_EINVAL,
				      "%s: request %llu step %llu layer %u head %u: offsets [%llu, %llu) bad (blocks has %llu, at most %u per selection)",
				      m->path, (unsigned long long)r->key,
				      (unsigned long long)s,
				      (uint32_t)(rec / m->p.kv_heads),
				      (uint32_t)(rec % m->p.kv_heads),
				      (unsigned long long)st->off[rec],
				      (unsigned long long)st->off[rec + 1],
				      (unsigned long long)r->nblocks,
				      m->maxsel);
			goto out;
		}
	nb = st->off[m->nrec] - base;
	if (ss_grow((void **)&st->blk, &st->blk_alloc, nb ? nb : 1,
		    sizeof(*st->blk), err)) {
		rc = SS_ENOMEM;
		goto out;
	}
	if (read_slice(r->d_blk, H5T_NATIVE_UINT32, base, nb, st->blk)) {
		rc = ss_error(err, SS_EINVAL,
			      "%s: request %llu step %llu: cannot read 'blocks'",
			      m->path, (unsigned long long)r->key,
			      (unsigned long long)s);
		goto out;
	}
	for (rec = 0; rec <= m->nrec; rec++)
		st->off[rec] -= base;
	for (rec = 0; rec < m->nrec; rec++)
		for (k = st->off[rec]; k < st->off[rec + 1]; k++)
			if (st->blk[k] >= st->nfull ||
			    (k > st->off[rec] && st->blk[k] <= st->blk[k - 1])) {
				rc = ss_error(err, SS_EINVAL,
					      "%s: request %llu step %llu layer %u head %u: block %u %s",
					      m->path,
					      (unsigned long long)r->key,
					      (unsigned long long)s,
					      (uint32_t)(rec / m->p.kv_heads),
					      (uint32_t)(rec % m->p.kv_heads),
					      st->blk[k],
					      st->blk[k] >= st->nfull
						      ? "is not below the recorded nfull"
						      : "breaks ascending order (unsorted or duplicate)");
				goto out;
			}
	st->step = (int64_t)s;
out:
	quiet_off(&q);
	if (rc)
		st->step = -1;
	return rc;
}

static int rp_select(void *priv, int32_t req, uint32_t layer, uint32_t head,
		     uint64_t step, uint32_t nfull, struct sel_out *out,
		     struct ss_err *err)
{
	struct rp *m = priv;
	struct rp_req *r;
	uint32_t rec, i, j, na, nb;
	const uint32_t *a, *b;
	int rc;

	if (req < 0 || (size_t)req >= m->nreqs || !m->reqs[req].live)
		return ss_error(err, SS_EINVAL,
				"selection 'replay': no request %d", req);
	r = &m->reqs[req];
	if (layer >= m->p.layers || head >= m->p.kv_heads)
		return ss_error(err, SS_EINVAL,
				"selection 'replay': request %llu: layer %u head %u outside %u x %u",
				(unsigned long long)r->key, layer, head,
				m->p.layers, m->p.kv_heads);
	if (out->cap < m->maxsel)
		return ss_error(err, SS_EINVAL,
				"selection 'replay': output capacity %u < %u",
				out->cap, m->maxsel);
	rec = layer * m->p.kv_heads + head;
	if (r->lh_step[rec] >= 0 && (int64_t)step != r->lh_step[rec] + 1)
		return ss_error(err, SS_EINVAL,
				"selection 'replay': request %llu layer %u head %u: step %llu after step %lld",
				(unsigned long long)r->key, layer, head,
				(unsigned long long)step,
				(long long)r->lh_step[rec]);
	if (step >= r->nsteps)
		return ss_error(err, SS_EINVAL,
				"%s: request %llu has %llu recorded steps, step %llu asked",
				m->path, (unsigned long long)r->key,
				(unsigned long long)r->nsteps,
				(unsigned long long)step);
	if (r->cur.step != (int64_t)step) {
		struct rp_step t;

		if (r->cur.step >= 0 && (int64_t)step != r->cur.step + 1)
			return ss_error(err, SS_EINVAL,
					"selection 'replay': request %llu: step %llu asked while step %lld is current (all layers and heads advance together)",
					(unsigned long long)r->key,
					(unsigned long long)step,
					(long long)r->cur.step);
		t = r->prev;
		r->prev = r->cur;
		r->cur = t;
		rc = load_step(m, r, step, &r->cur, err);
		if (rc)
			return rc;
	}
	if (nfull != r->cur.nfull)
		return ss_error(err, SS_EINVAL,
				"%s: request %llu step %llu: recorded with %u full blocks, the simulation has %u",
				m->path, (unsigned long long)r->key,
				(unsigned long long)step, r->cur.nfull, nfull);
	a = r->cur.blk + r->cur.off[rec];
	na = (uint32_t)(r->cur.off[rec + 1] - r->cur.off[rec]);
	memcpy(out->blocks, a, na * sizeof(*a));
	out->n = na;
	out->nadded = out->nremoved = 0;
	if (r->lh_step[rec] < 0) {
		memcpy(out->added, a, na * sizeof(*a));
		out->nadded = na;
	} else {
		if (r->prev.step != (int64_t)step - 1)
			return ss_error(err, SS_EINVAL,
					"selection 'replay': request %llu: step %llu without step %llu loaded",
					(unsigned long long)r->key,
					(unsigned long long)step,
					(unsigned long long)step - 1);
		b = r->prev.blk + r->prev.off[rec];
		nb = (uint32_t)(r->prev.off[rec + 1] - r->prev.off[rec]);
		/* merge two ascending lists */
		for (i = j = 0; i < na || j < nb;) {
			if (j == nb || (i < na && a[i] < b[j]))
				out->added[out->nadded++] = a[i++];
			else if (i == na || b[j] < a[i])
				out->removed[out->nremoved++] = b[j++];
			else
				i++, j++;
		}
	}
	r->lh_step[rec] = (int64_t)step;
	return 0;
}

const struct sel_source_ops sel_replay = {
	.name = "replay",
	.help = "replay a recorded selection trace; arg: path of the HDF5 file",
	.priv_size = sizeof(struct rp),
	.init = rp_init,
	.release = rp_release,
	.req_add = rp_req_add,
	.req_free = rp_req_free,
	.select = rp_select,
};

/* ---------------------------------------------------------------- writer */

struct sel_replay_writer {
	struct sel_params p;
	char path[4096], tmp[4200];
	hid_t f, greqs;
	uint32_t nrec;      /* records per step */
	int have_req;
	uint64_t key;
	uint64_t next_rec;  /* index of the next record expected */
	uint64_t *off;      /* [records + 1] */
	size_t off_alloc;
	uint32_t *blk;
	size_t nblk, blk_alloc;
	uint32_t *nfull;    /* [steps] */
	size_t nf_alloc;
	uint32_t *sorted;
	size_t sorted_alloc;
};

static int write_attr(hid_t loc, const char *name, hid_t ftype, hid_t mtype,
		      const void *v)
{
	hid_t sp = H5Screate(H5S_SCALAR), a;
	herr_t e = -1;

	a = H5Acreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
	if (a >= 0) {
		e = H5Awrite(a, mtype, v);
		H5Aclose(a);
	}
	H5Sclose(sp);
	return e < 0 ? -1 : 0;
}

static int write_attr_str(hid_t loc, const char *name, const char *s)
{
	hid_t t = H5Tcopy(H5T_C_S1);
	int rc;

	H5Tset_size(t, strlen(s) + 1);
	rc = write_attr(loc, name, t, t, s);
	H5Tclose(t);
	return rc;
}

static int write_ds(hid_t g, const char *name, hid_t ftype, hid_t mtype,
		    const void *buf, uint64_t n)
{
	hsize_t d = n;
	hid_t sp = H5Screate_simple(1, &d, NULL), ds;
	herr_t e = -1;

	ds = H5Dcreate2(g, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT,
			H5P_DEFAULT);
	if (ds >= 0) {
		e = n ? H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf)
		      : 0;
		H5Dclose(ds);
	}
	H5Sclose(sp);
	return e < 0 ? -1 : 0;
}

void sel_replay_writer_abort(struct sel_replay_writer *w)
{
	struct h5quiet q;

	if (!w)
		return;
	quiet_on(&q);
	if (w->greqs > 0)
		H5Gclose(w->greqs);
	if (w->f > 0)
		H5Fclose(w->f);
	quiet_off(&q);
	if (w->tmp[0])
		remove(w->tmp);
	free(w->off);
	free(w->blk);
	free(w->nfull);
	free(w->sorted);
	free(w);
}

int sel_replay_writer_open(struct sel_replay_writer **wp, const char *path,
			   const struct sel_params *p, struct ss_err *err)
{
	struct sel_replay_writer *w;
	uint64_t v[SS_ARRAY_SIZE(param_attrs)];
	uint32_t u;
	struct h5quiet q;
	size_t i;
	int rc;

	*wp = NULL;
	rc = sel_params_check(p, err);
	if (rc)
		return rc;
	w = calloc(1, sizeof(*w));
	if (!w)
		return ss_error(err, SS_ENOMEM, "selection writer: out of memory");
	w->p = *p;
	w->nrec = p->layers * p->kv_heads;
	snprintf(w->path, sizeof(w->path), "%s", path);
	ss_tmp_name(path, w->tmp, sizeof(w->tmp));
	quiet_on(&q);
	w->f = H5Fcreate(w->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
	if (w->f < 0) {
		w->f = 0;
		w->tmp[0] = '\0';
		quiet_off(&q);
		sel_replay_writer_abort(w);
		return ss_error(err, SS_EIO,
				"cannot create selection trace '%s'", path);
	}
	u = FORMAT_VERSION;
	rc = write_attr_str(w->f, "format", FORMAT_NAME) ||
	     write_attr(w->f, "version", H5T_STD_U32LE, H5T_NATIVE_UINT32, &u);
	param_values(p, v);
	for (i = 0; !rc && i < SS_ARRAY_SIZE(param_attrs); i++) {
		u = (uint32_t)v[i];
		rc = write_attr(w->f, param_attrs[i], H5T_STD_U32LE,
				H5T_NATIVE_UINT32, &u);
	}
	if (!rc) {
		w->greqs = H5Gcreate2(w->f, "requests", H5P_DEFAULT,
				      H5P_DEFAULT, H5P_DEFAULT);
		rc = w->greqs < 0;
	}
	quiet_off(&q);
	if (rc) {
		sel_replay_writer_abort(w);
		return ss_error(err, SS_EIO,
				"selection trace '%s': cannot write the header",
				path);
	}
	*wp = w;
	return 0;
}

static int flush_req(struct sel_replay_writer *w, struct ss_err *err)
{
	char name[32];
	uint64_t steps = w->next_rec / w->nrec;
	struct h5quiet q;
	hid_t g;
	int rc;

	if (!w->have_req)
		return 0;
	if (w->next_rec % w->nrec)
		return ss_error(err, SS_EINVAL,
				"selection trace '%s': request %llu: step %llu stops at layer %u head %u (every layer and head needed)",
				w->path, (unsigned long long)w->key,
				(unsigned long long)steps,
				(uint32_t)(w->next_rec % w->nrec / w->p.kv_heads),
				(uint32_t)(w->next_rec % w->p.kv_heads));
	snprintf(name, sizeof(name), "%llu", (unsigned long long)w->key);
	quiet_on(&q);
	g = H5Gcreate2(w->greqs, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	rc = g < 0 ||
	     write_attr(g, "key", H5T_STD_U64LE, H5T_NATIVE_UINT64, &w->key) ||
	     write_attr(g, "steps", H5T_STD_U64LE, H5T_NATIVE_UINT64, &steps) ||
	     write_ds(g, "nfull", H5T_STD_U32LE, H5T_NATIVE_UINT32, w->nfull,
		      steps) ||
	     write_ds(g, "offsets", H5T_STD_U64LE, H5T_NATIVE_UINT64, w->off,
		      w->next_rec + 1) ||
	     write_ds(g, "blocks", H5T_STD_U32LE, H5T_NATIVE_UINT32, w->blk,
		      w->nblk);
	if (g >= 0)
		H5Gclose(g);
	quiet_off(&q);
	w->have_req = 0;
	if (rc)
		return ss_error(err, SS_EIO,
				"selection trace '%s': cannot write request %llu",
				w->path, (unsigned long long)w->key);
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

int sel_replay_writer_put(struct sel_replay_writer *w, uint64_t key,
			  uint64_t step, uint32_t layer, uint32_t head,
			  uint32_t nfull, const uint32_t *blocks, uint32_t n,
			  struct ss_err *err)
{
	uint64_t rec;
	uint32_t i;
	int rc;

	if (!w->have_req || key != w->key) {
		char name[32];
		struct h5quiet q;
		htri_t ex;

		rc = flush_req(w, err);
		if (rc)
			return rc;
		snprintf(name, sizeof(name), "%llu", (unsigned long long)key);
		quiet_on(&q);
		ex = H5Lexists(w->greqs, name, H5P_DEFAULT);
		quiet_off(&q);
		if (ex > 0)
			return ss_error(err, SS_EINVAL,
					"selection trace '%s': request %llu written twice",
					w->path, (unsigned long long)key);
		w->have_req = 1;
		w->key = key;
		w->next_rec = 0;
		w->nblk = 0;
		if (ss_grow((void **)&w->off, &w->off_alloc, 1, sizeof(*w->off),
			    err))
			return SS_ENOMEM;
		w->off[0] = 0;
	}
	rec = (step * w->p.layers + layer) * w->p.kv_heads + head;
	if (layer >= w->p.layers || head >= w->p.kv_heads ||
	    rec != w->next_rec)
		return ss_error(err, SS_EINVAL,
				"selection trace '%s': request %llu: record step %llu layer %u head %u out of order (expected step %llu layer %u head %u)",
				w->path, (unsigned long long)key,
				(unsigned long long)step, layer, head,
				(unsigned long long)(w->next_rec / w->nrec),
				(uint32_t)(w->next_rec % w->nrec / w->p.kv_heads),
				(uint32_t)(w->next_rec % w->p.kv_heads));
	if (!layer && !head) {
		if (ss_grow((void **)&w->nfull, &w->nf_alloc, step + 1,
			    sizeof(*w->nfull), err))
			return SS_ENOMEM;
		w->nfull[step] = nfull;
	} else if (w->nfull[step] != nfull) {
		return ss_error(err, SS_EINVAL,
				"selection trace '%s': request %llu step %llu layer %u head %u: nfull %u differs from %u of layer 0 head 0",
				w->path, (unsigned long long)key,
				(unsigned long long)step, layer, head, nfull,
				w->nfull[step]);
	}
	if (ss_grow((void **)&w->sorted, &w->sorted_alloc, n ? n : 1,
		    sizeof(*w->sorted), err))
		return SS_ENOMEM;
	memcpy(w->sorted, blocks, n * sizeof(*blocks));
	qsort(w->sorted, n, sizeof(*w->sorted), cmp_u32);
	for (i = 0; i < n; i++)
		if (w->sorted[i] >= nfull || (i && w->sorted[i] == w->sorted[i - 1]))
			return ss_error(err, SS_EINVAL,
					"selection trace '%s': request %llu step %llu layer %u head %u: block %u %s",
					w->path, (unsigned long long)key,
					(unsigned long long)step, layer, head,
					w->sorted[i],
					w->sorted[i] >= nfull ? "is not below nfull" : "repeats");
	if (ss_grow((void **)&w->blk, &w->blk_alloc, w->nblk + n + 1,
		    sizeof(*w->blk), err) ||
	    ss_grow((void **)&w->off, &w->off_alloc, w->next_rec + 2,
		    sizeof(*w->off), err))
		return SS_ENOMEM;
	memcpy(w->blk + w->nblk, w->sorted, n * sizeof(*blocks));
	w->nblk += n;
	w->off[++w->next_rec] = w->nblk;
	return 0;
}

int sel_replay_writer_close(struct sel_replay_writer *w, struct ss_err *err)
{
	struct h5quiet q;
	int rc = flush_req(w, err);
	herr_t e1, e2;

	if (rc) {
		sel_replay_writer_abort(w);
		return rc;
	}
	quiet_on(&q);
	e1 = H5Gclose(w->greqs);
	e2 = H5Fclose(w->f);
	quiet_off(&q);
	w->greqs = w->f = 0;
	if (e1 < 0 || e2 < 0) {
		sel_replay_writer_abort(w);
		return ss_error(err, SS_EIO,
				"selection trace '%s': cannot close the file",
				w->path);
	}
	rc = ss_rename_into_place(w->tmp, w->path, err);
	w->tmp[0] = '\0';
	sel_replay_writer_abort(w);
	return rc;
}
