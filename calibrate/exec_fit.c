/*
 * exec_fit.c - the live executor's own costs, fitted from live runs
 * (`sparseserve calibrate --fit-exec`, docs/calibration.md).
 *
 * Each live iteration records its measured GPU window (first to last
 * kernel), the host time spent issuing its work and the cost model's
 * estimate of its plan on the profile the run used (iterations table:
 * gpu_s, host_s, model_s). Two least-squares fits (GSL) give the profile's
 * "executor" section:
 *
 *   GPU, from iterations whose GPU window is not host-bound (host_s < 0.8
 *   gpu_s; with the issue thread, each thread's time), of policies without
 *   offload and of offload policies run with the issue thread (less their
 *   loads' measured time, load_s: the simulator's link times the loads),
 *   per iteration:
 *     gpu - (model - host op) = (W - S) (a + H a_h) + S (a_s + H a_sh)
 *                               + (W - S) n_dec b_dense + S n_dec b_sparse
 *                               + T_prefill c + T_gather H d + P p
 *                               + [offload] (W (e + H e_h) + S n_dec
 *                                            (e_s + H e_sh) + L_load g)
 *   in two stages (fit_gpu: the decode-only iterations weighted by their
 *   relative error first, then the prefill terms c, d, p)
 *   (L_load the layers that loaded blocks, column load_layers, where the
 *   fitted offload rows record it: g is the GPU's work per loading layer
 *   outside the loads' wait, and offload rows without the column then stay
 *   out);
 *   (W the layers with work: all L with a decode request, else the P
 *   layers that ran prefill tokens, as the simulator charges them; S of
 *   them sparse, H KV heads, n_dec decode requests; T_prefill, T_gather the
 *   prefill and earlier KV tokens gathered for chunked prefill, each times
 *   the layers its item ran (columns prefill_layer_tokens,
 *   gather_layer_tokens, prefill_layers since session 12; older files get
 *   them from the totals and lp_layers, exact with one prefill item); the
 *   gather copies each KV head's K and V, so its term goes with H; a term
 *   per token alone, the first form, fitted LWM-7B's 32 heads and
 *   Llama-3-8B's 8 with one number and overstated Llama's long-context
 *   chunks by ~7% an iteration, experiments/results/validation-h200.md);
 *
 *   host, from every iteration, per layer:
 *     host / L = h0 + n_items h1 + n_prefill h2
 *                 + [offload] (h3 + hits / L (h4 + log2(X / 1024) h7)
 *                              + misses / L h5)
 *   (a miss does more host work than a hit: a slot, an eviction, the load
 *   list; measured 5-10x a hit's; X is the mean context in tokens of the
 *   iteration's decode requests, from its decode_ctx column (files since
 *   session 19), else of the requests live at its start, from the run's
 *   requests table (ctx_of, which also counts the requests the
 *   working-set control held back), at least 1,024 (log2 0 below), and h7
 *   is fitted only where the fitted rows cover two contexts or more, every
 *   offload row having one: a hit's cost grows with the context, the
 *   directory a request's look-ups walk. Until session 18 the term went
 *   with log2 of the run's KV capacity, fitted where capacity came with
 *   prompt length (the 6 GB runs had prompts of at most 8k, the 24.6 and
 *   100 GB ones 32k); one workload at 12, 24.6 and 100 GB on one lease
 *   (session 18) cost 65.6, 68.7 and 58.6 ns a hit, not more in the larger
 *   cache; the one-stage form has the same term);
 *
 *   or, where runs used the executor's issue thread (offload iterations
 *   with issue_s > 0), two host stages (hw_exec.host_stages 2), each from
 *   its own thread's time:
 *     issue / L  = h0 + n_items h1 + n_prefill h2 + [offload] h6
 *       (the issue thread's time; without offload, the host time)
 *     policy / L = h3 + hits / L (h4 + log2(X / 1024) h7) + misses / L h5
 *       (the policy's thread, host_s less its waits for the issue thread)
 *   over the runs of the offload policies with the issue thread and the
 *   runs without offload; offload runs on one host thread are left out.
 *
 *   the loads' wait (load_s) of decode iterations under offload, per
 *   loading layer (column load_layers) and block-head: the intercept less
 *   the link's latency is the executor's own (load_layer_ns).
 *
 * Every fourth iteration is held out of the fits; the held-out error of
 * the iteration's predicted GPU window, host time(s) and load wait is
 * reported, and the GPU window's mean signed error by kind of iteration.
 * The profile's `host` op (per-iteration host overhead outside the GPU
 * window) becomes the median of wall - GPU window over the iterations
 * without prefill under offload; those close after their saves land, and
 * the median of theirs, less the host op, is prefill_tail_ns.
 */
#include "calibrate/calibrate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_multifit.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <hdf5.h>

#include "model/cost.h"
#include "model/model.h"
#include "model/profile.h"
#include "policy/policy.h"
#include "sim/sim.h"

#include "banned.h"

/* The columns of a result file's iterations table the fit reads. */
struct xrow {
	double start_s, dur_s, gpu_s, host_s, model_s;
	uint32_t batch, prefill_tokens, decode_seqs, lp_layers, sparse_layers;
	uint64_t hits, blocks_loaded, blocks_saved, gather_tokens;
	double issue_s, wait_s; /* optional: 0 in files written before */
	double load_s;          /* optional: 0 where absent */
	double stall_s;         /* optional: 0 where absent */
	/* optional (builds since session 12): prefill and gathered tokens
	 * times the layers they run; where absent, taken from prefill_tokens,
	 * gather_tokens and lp_layers (exact with one prefill item) */
	uint64_t prefill_layer_tokens, gather_layer_tokens;
	uint32_t prefill_layers;  /* likewise: layers running prefill */
	uint8_t has_layer_tokens; /* not a column: the file had them */
	uint32_t load_layers;   /* optional: layers that loaded (session 12) */
	uint8_t has_load_layers; /* not a column: the file had it */
	uint8_t lp_priced;      /* not a column: the run's model_s prices
				   layer-segmented prefill by layer range
				   (its executor attribute says so) */
	double ctx;             /* not a column: the mean context (tokens)
				   of the iteration's decode requests, from
				   its decode_ctx column, else from the run's
				   requests table (ctx_of); -1 if the file has
				   neither */
	double decode_ctx;      /* optional (builds since session 19) */
	uint8_t flash_loads;    /* not a column: the run's policy loads with
				   FlashH2D (its preset's flash switch), not
				   one copy per block */
};

struct xset {
	struct xrow *row;
	uint32_t *layers; /* model layers of each row */
	uint32_t *heads;  /* model KV heads of each row */
	size_t n, alloc;
	/* runs under a name that is no policy preset: how they load is not
	 * known, so the loads' fit leaves them out (the first one's name) */
	size_t nopreset;
	char nopreset_name[64];
	/* iterations left out of runs without the GEMM warm-up (their
	 * executor attribute lacks SIM_GEMMS_WARMED): those whose row count
	 * the run met first (gemm_first) */
	size_t gemm_first;
	size_t gemm_runs; /* such runs */
};

/* The memory type of the columns read; start_s only where the file has
 * it (`start`: every sim and live file does), issue_s and wait_s likewise
 * (`issue`), load_s and stall_s too. */
static hid_t xrow_type(int start, int issue, int load, int stall,
		       int layer_tokens, int load_layers, int dctx)
{
	hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(struct xrow));

#define F(n, ty) H5Tinsert(t, #n, HOFFSET(struct xrow, n), ty)
	if (start)
		F(start_s, H5T_NATIVE_DOUBLE);
	F(dur_s, H5T_NATIVE_DOUBLE);
	F(gpu_s, H5T_NATIVE_DOUBLE);
	F(host_s, H5T_NATIVE_DOUBLE);
	F(model_s, H5T_NATIVE_DOUBLE);
	F(batch, H5T_NATIVE_UINT32);
	F(prefill_tokens, H5T_NATIVE_UINT32);
	F(decode_seqs, H5T_NATIVE_UINT32);
	F(lp_layers, H5T_NATIVE_UINT32);
	F(sparse_layers, H5T_NATIVE_UINT32);
	F(hits, H5T_NATIVE_UINT64);
	F(blocks_loaded, H5T_NATIVE_UINT64);
	F(blocks_saved, H5T_NATIVE_UINT64);
	F(gather_tokens, H5T_NATIVE_UINT64);
	if (issue) {
		F(issue_s, H5T_NATIVE_DOUBLE);
		F(wait_s, H5T_NATIVE_DOUBLE);
	}
	if (load)
		F(load_s, H5T_NATIVE_DOUBLE);
	if (stall)
		F(stall_s, H5T_NATIVE_DOUBLE);
	if (layer_tokens) {
		F(prefill_layer_tokens, H5T_NATIVE_UINT64);
		F(gather_layer_tokens, H5T_NATIVE_UINT64);
		F(prefill_layers, H5T_NATIVE_UINT32);
	}
	if (load_layers)
		F(load_layers, H5T_NATIVE_UINT32);
	if (dctx)
		F(decode_ctx, H5T_NATIVE_DOUBLE);
#undef F
	return t;
}

/* A string attribute of the file's root; 0 or -1. */
static int root_attr(hid_t f, const char *name, char *out, size_t cap)
{
	hid_t a, t, mt;
	int rc = -1;

	if (H5Aexists(f, name) <= 0)
		return -1;
	a = H5Aopen(f, name, H5P_DEFAULT);
	t = H5Aget_type(a);
	mt = H5Tcopy(H5T_C_S1);
	if (a >= 0 && t >= 0 && !H5Tis_variable_str(t) && H5Tget_size(t) < cap) {
		H5Tset_size(mt, H5Tget_size(t));
		memset(out, 0, cap);
		rc = H5Aread(a, mt, out) < 0 ? -1 : 0;
	}
	H5Tclose(mt);
	H5Tclose(t);
	H5Aclose(a);
	return rc;
}

/* What the fit reads of a request: its prompt, the tokens it generated,
 * and when its first token came and it finished (NaN: never). */
struct xreq {
	uint32_t prompt_tokens, generated;
	double first_token_s, finish_s;
};

/* The requests table of group `name` into *out (malloc'ed; NULL where the
 * file has none): how many rows, or -1 where the table lacks one of the
 * four columns or cannot be read (HDF5 would leave a missing column 0). */
static ssize_t read_reqs(hid_t f, const char *name, struct xreq **out)
{
	static const char *const need[] = { "prompt_tokens", "generated",
					     "first_token_s", "finish_s" };
	char path[300];
	hid_t ds, t, sp, ft;
	hssize_t n;
	struct xreq *q = NULL;
	int ok = 1;

	*out = NULL;
	snprintf(path, sizeof path, "/%s/requests", name);
	if (H5Lexists(f, path, H5P_DEFAULT) <= 0)
		return 0;
	ds = H5Dopen2(f, path, H5P_DEFAULT);
	if (ds < 0)
		return -1;
	ft = H5Dget_type(ds);
	for (size_t k = 0; k < SS_ARRAY_SIZE(need); k++)
		ok = ok && ft >= 0 && H5Tget_member_index(ft, need[k]) >= 0;
	if (ft >= 0)
		H5Tclose(ft);
	if (!ok) {
		H5Dclose(ds);
		return -1;
	}
	sp = H5Dget_space(ds);
	n = H5Sget_simple_extent_npoints(sp);
	H5Sclose(sp);
	t = H5Tcreate(H5T_COMPOUND, sizeof(*q));
#define F(m, ty) H5Tinsert(t, #m, HOFFSET(struct xreq, m), ty)
	F(prompt_tokens, H5T_NATIVE_UINT32);
	F(generated, H5T_NATIVE_UINT32);
	F(first_token_s, H5T_NATIVE_DOUBLE);
	F(finish_s, H5T_NATIVE_DOUBLE);
#undef F
	if (n > 0 && (!(q = calloc((size_t)n, sizeof(*q))) ||
		      H5Dread(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, q) < 0)) {
		free(q);
		q = NULL;
		n = -1;
	}
	H5Tclose(t);
	H5Dclose(ds);
	*out = q;
	return n < 0 ? -1 : (ssize_t)n;
}

/*
 * The mean context of the requests live at time t (from their first token
 * to their finish, or to `end`, the run's last iteration's end, if they
 * did not finish): the prompt plus the tokens generated by then, taken as
 * linear in time (the table keeps the count at the end only). What the
 * simulator charges with is the mean context of the iteration's decode
 * requests (sim/exec_offload.c). 0 where none is live.
 */
static double ctx_of(const struct xreq *q, size_t nq, double t, double end)
{
	double sum = 0;
	size_t live = 0;

	for (size_t k = 0; k < nq; k++) {
		double a = q[k].first_token_s, b = q[k].finish_s;

		if (!(a >= 0))
			continue; /* no first token: not decoding */
		if (isnan(b))
			b = end;
		if (!(t >= a && t < b))
			continue;
		sum += q[k].prompt_tokens +
		       (double)q[k].generated * (t - a) / (b - a);
		live++;
	}
	return live ? sum / (double)live : 0;
}

struct walk {
	hid_t f;
	struct xset *x;
	uint32_t layers, heads;
	int lp_priced;
	int gemms_warmed; /* the executor called every GEMM shape first */
	int layer_tokens; /* the table has prefill/gather_layer_tokens */
	int load_layers;  /* and load_layers */
	int start;        /* and start_s (a context needs it: ctx_of) */
	int dctx;         /* and decode_ctx (then ctx_of is not needed) */
	int bad;
};

/*
 * Runs without the executor's GEMM warm-up (before session 19): cuBLAS
 * loads the kernel of a shape on its first call and the load waits for
 * the GPU, which cost an iteration with a row count its run had not met
 * about 10 ms (up to 17) of host time and of GPU window (session 19: in
 * the validation's vllm run at 3 req/s, 18 of the 23 prefill iterations
 * of a new row count took 11-23 ms of host time, the other 49 at most
 * 7.9 ms, 6.5 their median). Those iterations are left out: the first
 * of each bucket of GEMM_BUCKET_ROWS rows of prefill tokens and decode
 * requests (the rows of the iteration's widest layer call, up to the
 * workspace's rows, past which the layer runs in slices; under
 * layer-segmented prefill the narrower calls of its other layers are not
 * seen: the cut is approximate). Iterations cuBLAS would have served from
 * a kernel already loaded go too.
 */
#define GEMM_BUCKET_ROWS 8
#define GEMM_BUCKETS 65536

static size_t gemm_bucket(const struct xrow *r)
{
	uint64_t rows = (uint64_t)r->prefill_tokens + r->decode_seqs;

	return (size_t)SS_MIN(rows / GEMM_BUCKET_ROWS,
			      (uint64_t)GEMM_BUCKETS - 1);
}

static herr_t add_group(hid_t g, const char *name, const H5L_info_t *info,
			void *op)
{
	struct walk *w = op;
	char path[300];
	hid_t ds, mt, sp;
	hssize_t n;

	(void)g;
	(void)info;
	snprintf(path, sizeof path, "/%s/iterations", name);
	if (H5Lexists(w->f, name, H5P_DEFAULT) <= 0 ||
	    H5Lexists(w->f, path, H5P_DEFAULT) <= 0)
		return 0;
	ds = H5Dopen2(w->f, path, H5P_DEFAULT);
	if (ds < 0)
		return 0;
	sp = H5Dget_space(ds);
	n = H5Sget_simple_extent_npoints(sp);
	H5Sclose(sp);
	if (n > 0) {
		size_t need = w->x->n + (size_t)n;

		if (need > w->x->alloc) {
			struct xrow *r = realloc(w->x->row, need * sizeof(*r));
			uint32_t *l = r ? realloc(w->x->layers, need * sizeof(*l))
					: NULL;
			uint32_t *h = l ? realloc(w->x->heads, need * sizeof(*h))
					: NULL;

			if (r)
				w->x->row = r;
			if (l)
				w->x->layers = l;
			if (!r || !l || !h) {
				w->bad = 1;
				H5Dclose(ds);
				return -1;
			}
			w->x->heads = h;
			w->x->alloc = need;
		}
		{
			hid_t ft = H5Dget_type(ds);
			int issue = ft >= 0 &&
				    H5Tget_member_index(ft, "issue_s") >= 0 &&
				    H5Tget_member_index(ft, "wait_s") >= 0;
			int load = ft >= 0 &&
				   H5Tget_member_index(ft, "load_s") >= 0;
			int start = ft >= 0 &&
				    H5Tget_member_index(ft, "start_s") >= 0;
			int stall = ft >= 0 &&
				    H5Tget_member_index(ft, "stall_s") >= 0;

			w->start = start;

			w->layer_tokens =
				ft >= 0 &&
				H5Tget_member_index(ft, "prefill_layer_tokens") >= 0 &&
				H5Tget_member_index(ft, "gather_layer_tokens") >= 0 &&
				H5Tget_member_index(ft, "prefill_layers") >= 0;
			w->load_layers =
				ft >= 0 &&
				H5Tget_member_index(ft, "load_layers") >= 0;
			w->dctx = ft >= 0 &&
				  H5Tget_member_index(ft, "decode_ctx") >= 0;

			if (ft >= 0)
				H5Tclose(ft);
			memset(w->x->row + w->x->n, 0,
			       (size_t)n * sizeof(*w->x->row));
			mt = xrow_type(start, issue, load, stall,
				       w->layer_tokens,
				       w->load_layers, w->dctx);
		}
		if (H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT,
			    w->x->row + w->x->n) < 0)
			w->bad = 2;
		H5Tclose(mt);
		/* the first iteration of a run pays the cold start; in runs
		 * without the GEMM warm-up, so may any that met a row count
		 * first */
		size_t n0 = w->x->n;
		uint8_t *seen = NULL;
		struct xreq *q = NULL;
		ssize_t nq = read_reqs(w->f, name, &q);
		double end = 0;
		const struct pol_preset *pre = pol_preset_find(name);

		if (nq < 0)
			w->bad = 3;

		for (hssize_t i = 0; i < n; i++)
			end = fmax(end, w->x->row[n0 + (size_t)i].start_s +
					       w->x->row[n0 + (size_t)i].dur_s);

		if (!pre && !w->x->nopreset++)
			snprintf(w->x->nopreset_name,
				 sizeof w->x->nopreset_name, "%s", name);

		if (!w->gemms_warmed && !w->bad) {
			if (!(seen = calloc(GEMM_BUCKETS, 1)))
				w->bad = 1;
			w->x->gemm_runs++;
		}
		for (hssize_t i = 0; !w->bad && i < n; i++) {
			const struct xrow *src = &w->x->row[n0 + (size_t)i];

			if (seen) {
				size_t b = gemm_bucket(src);
				int first = !seen[b];

				seen[b] = 1;
				if (first) {
					w->x->gemm_first += i > 0;
					continue;
				}
			}
			if (!i)
				continue;
			w->x->row[w->x->n] = *src;
			w->x->row[w->x->n].lp_priced = (uint8_t)w->lp_priced;
			w->x->row[w->x->n].has_layer_tokens =
				(uint8_t)w->layer_tokens;
			w->x->row[w->x->n].has_load_layers =
				(uint8_t)w->load_layers;
			/* the decode requests' own context where the file
			 * records it: the requests table also counts those
			 * the working-set control held back */
			w->x->row[w->x->n].ctx =
				w->dctx ? w->x->row[w->x->n].decode_ctx
				: q && w->start
					? ctx_of(q, (size_t)nq,
						 w->x->row[w->x->n].start_s,
						 end)
					: -1;
			w->x->row[w->x->n].flash_loads =
				(uint8_t)(pre && pre->flash);
			w->x->heads[w->x->n] = w->heads;
			w->x->layers[w->x->n++] = w->layers;
		}
		free(q);
		free(seen);
	}
	H5Dclose(ds);
	return w->bad ? -1 : 0;
}

/* Append every run of result file `path` (written by `sparseserve live`). */
static int read_file(struct xset *x, const char *path, struct ss_err *err)
{
	char model_name[256], exec[256];
	struct model m;
	struct walk w = { .x = x };
	hid_t f;

	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
	f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
	if (f < 0)
		return ss_error(err, SS_EIO, "%s: cannot open as HDF5", path);
	if (root_attr(f, "executor", exec, sizeof exec) || strncmp(exec, "live", 4)) {
		H5Fclose(f);
		return ss_error(err, SS_EINVAL,
				"%s: not a live run (root attribute 'executor' missing or not 'live ...')",
				path);
	}
	if (root_attr(f, "model", model_name, sizeof model_name) ||
	    model_load(&m, model_name, err)) {
		H5Fclose(f);
		return ss_error_prefix(err, "%s: attribute 'model'", path);
	}
	w.f = f;
	w.layers = m.layers;
	w.lp_priced = strstr(exec, SIM_MODEL_S_BY_LAYER) != NULL;
	w.gemms_warmed = strstr(exec, SIM_GEMMS_WARMED) != NULL;
	w.heads = m.kv_heads;
	H5Literate(f, H5_INDEX_NAME, H5_ITER_INC, NULL, add_group, &w);
	H5Fclose(f);
	if (w.bad == 1)
		return ss_error(err, SS_ENOMEM, "out of memory");
	if (w.bad == 3)
		return ss_error(err, SS_EIO,
				"%s: a requests table lacks prompt_tokens, generated, first_token_s or finish_s, or cannot be read",
				path);
	if (w.bad)
		return ss_error(err, SS_EIO,
				"%s: an iterations table lacks the live columns (gpu_s, host_s, model_s, gather_tokens, sparse_layers): written by an older build?",
				path);
	return 0;
}

static int is_offload(const struct xrow *r)
{
	return r->hits || r->blocks_loaded || r->blocks_saved || r->lp_layers;
}

/* the profile's per-iteration host op, as the cost model charged it */
static double host_op_ns(const struct hw_profile *p, const struct xrow *r)
{
	const struct hw_op *o = &p->op[HW_OP_HOST];

	return o->form == HW_FORM_ROOFLINE
		       ? o->fixed_ns.v + o->per_item_ns.v * (r->batch ? r->batch : 1)
		       : 0;
}

#define NG 15 /* GPU terms; the last five are offload's */
#define NG_OFF 5
#define NH 7 /* host terms, one stage */
#define NI 4 /* issue thread: host_x's columns 0-3 */
#define NP 4 /* policy thread: host_x's columns 3-6 */

/* an offload iteration of a run with the issue thread */
static int piped(const struct xrow *r)
{
	return is_offload(r) && r->issue_s > 0;
}

/*
 * An iteration the GPU fit uses: its host work (each thread's, with the
 * issue thread) below 0.8 of its GPU window. Offload iterations only from
 * runs with the issue thread (on one host thread they are host-bound too
 * often, and earlier fits left them out), and with layer-segmented prefill
 * only where the run's model_s priced it by layer range (builds since
 * session 11; before, model_s priced a plan's prefill over every layer,
 * where such an iteration runs some of them: 142 ms of model against a
 * 50 ms GPU window, sparseserve at 2 req/s).
 */
static int gpu_row(const struct xrow *r)
{
	if (r->model_s <= 0)
		return 0;
	if (!is_offload(r))
		return r->host_s < 0.8 * r->gpu_s;
	return piped(r) && (!r->lp_layers || r->lp_priced) &&
	       r->issue_s < 0.8 * r->gpu_s &&
	       r->host_s - r->wait_s < 0.8 * r->gpu_s;
}

/* An offload row left out of the GPU fit and its held-out error: `gload`,
 * other offload rows record their loading layers, and this one's file
 * does not (cal_fit_exec) */
static int loads_unrecorded(const struct xrow *r, int gload)
{
	return gload && is_offload(r) && !r->has_load_layers;
}

/*
 * The issue thread's time measures its work where it did not wait: on the
 * GPU or for saves (staging full, a stall), which the simulator times
 * itself. Iterations carrying prefill fill the save staging (measured: 12-21
 * ms of issue a prefill iteration against 4 for the others, sparseserve at 6
 * req/s), and a stall waits for saves: both stay out, as do iterations whose
 * issue came near their GPU window.
 */
static int issue_row(const struct xrow *r)
{
	if (!is_offload(r))
		return r->host_s > 0;
	return piped(r) && !r->prefill_tokens && !r->lp_layers &&
	       r->stall_s <= 0 && r->issue_s < 0.8 * r->gpu_s;
}

/* The policy thread's time, likewise without stalls (its waits for the
 * issue thread are taken off: wait_s). */
static int policy_row(const struct xrow *r)
{
	return piped(r) && r->stall_s <= 0;
}

/*
 * The loads' wait (load_s: the compute stream waiting for each loading
 * layer's block-list upload and load kernel), per layer that loaded and per
 * block-head: decode iterations under offload with the issue thread, no
 * stall, and the load_layers column (builds since session 12), of the
 * policies that load with FlashH2D (vllm-so's one copy per block waits
 * about ten times as long per block-head, which the link's mechanism
 * prices: with its thrashing run of session 16 in the fit the intercept
 * came out 0 and the held-out error 182%). The
 * intercept per layer less the link's per-transfer latency is the
 * executor's own (load_layer_ns); the simulator's link times the rest.
 */
static int load_row(const struct xrow *r)
{
	return piped(r) && r->flash_loads && r->has_load_layers &&
	       r->load_layers &&
	       r->blocks_loaded && r->load_s > 0 && !r->prefill_tokens &&
	       !r->lp_layers && r->stall_s <= 0;
}

/*
 * The weight of a decode iteration in the GPU fit's first stage (fit_gpu):
 * 1 / w^2, w its window less the loads (the held-out errors' denominator),
 * so that the stage minimises the squared relative error of the windows,
 * as they are reported and as the validation compares them (issue #7's
 * targets are relative); unweighted, the long decode iterations of large
 * batches set the per-layer terms that the short ones of small batches
 * then missed.
 */
static double gpu_w(const struct xrow *r)
{
	double w = (r->gpu_s - r->load_s) * 1e9;

	return w > 0 ? 1.0 / (w * w) : 0;
}

/* The GPU window the executor's terms explain: less the kernels the cost
 * model charged and the loads (the simulator's link times those). */
static double gpu_y(const struct hw_profile *hw, const struct xrow *r)
{
	return (r->gpu_s - r->model_s - r->load_s) * 1e9 + host_op_ns(hw, r);
}

/*
 * The prefill and gathered tokens times the layers they run: the per-token
 * terms are charged per layer on the items active there (sim/exec_offload.c,
 * sim/sim.c). Under layer-segmented prefill an item runs lp_layers of them
 * (a chunk with earlier KV, one); files without the columns get the product
 * from the totals, exact with one prefill item an iteration.
 */
static double pf_layer_tokens(const struct xrow *r, uint32_t L)
{
	if (r->has_layer_tokens)
		return (double)r->prefill_layer_tokens;
	return (double)r->prefill_tokens * (r->lp_layers ? r->lp_layers : L);
}

static double gather_layer_tokens(const struct xrow *r, uint32_t L)
{
	if (r->has_layer_tokens)
		return (double)r->gather_layer_tokens;
	return (double)r->gather_tokens * (r->lp_layers ? 1 : L);
}

/* The layers that ran prefill tokens (one prefill item: lp_layers or all) */
static double pf_layers(const struct xrow *r, uint32_t L)
{
	if (r->has_layer_tokens)
		return r->prefill_layers;
	if (!r->prefill_tokens)
		return 0;
	return r->lp_layers ? SS_MIN(r->lp_layers, L) : L;
}

/* The layers that ran a chunk over earlier KV (gathered tokens): with one
 * such item, its gathered tokens times layers over its gathered tokens */
static double chunk_layers(const struct xrow *r, uint32_t L)
{
	if (!r->gather_tokens)
		return 0;
	return gather_layer_tokens(r, L) / (double)r->gather_tokens;
}

/* How a fitted term's source begins: fit() drops a column whose
 * coefficient came out negative and fits again, leaving it exactly 0 */
static const char *fitted_as(double v)
{
	return v == 0 ? "0, its least-squares coefficient negative" : "measured";
}

static void gpu_x(const struct xrow *r, uint32_t L, uint32_t H, double *x)
{
	double S = r->sparse_layers, d = r->decode_seqs;
	/* the layers with work: a layer-segmented prefill alone runs only
	 * its layers (cost_exec_layer_ns charges no layer without work) */
	double W = d ? L : pf_layers(r, L);

	x[0] = W - S;
	x[1] = S;
	x[2] = (W - S) * H;
	x[3] = S * H;
	x[4] = (W - S) * d;
	x[5] = S * d;
	x[6] = pf_layer_tokens(r, L);
	x[7] = gather_layer_tokens(r, L) * H;
	x[8] = pf_layers(r, L);
	x[9] = chunk_layers(r, L);
	/* the offload terms last: fitted only with offload iterations */
	x[10] = is_offload(r) ? W : 0;
	x[11] = is_offload(r) ? S * d : 0;
	x[12] = is_offload(r) ? W * H : 0;
	x[13] = is_offload(r) ? S * d * H : 0;
	x[14] = is_offload(r) ? r->load_layers : 0;
}

static void host_x(const struct xrow *r, uint32_t L, double *x)
{
	int off = is_offload(r);

	x[0] = 1;
	x[1] = r->batch;
	x[2] = pf_layer_tokens(r, L) / L; /* a layer's mean */
	x[3] = off;
	x[4] = off ? (double)r->hits / L : 0;
	x[5] = off ? (double)r->blocks_loaded / L : 0;
	x[6] = x[4] * cost_ctx_doublings(r->ctx);
}

/* Least squares y ~ X c over rows with use[i], weighted by w[i] (NULL:
 * 1), X's rows of k columns of which those with on[j] are fitted (on
 * NULL: all; the others' c 0); c[j] >= 0 by dropping negative terms and
 * fitting again. 0 or -1 (too few rows). */
static int fit(const double *X, const double *y, const double *w,
	       const int *use, size_t n, size_t k, const int *on, double *c)
{
	int keep[NG > NH ? NG : NH];

	for (size_t j = 0; j < k; j++)
		keep[j] = !on || on[j];

	for (int round = 0; round < (int)k; round++) {
		size_t m = 0, kk = 0, j, i, col[NG > NH ? NG : NH];
		gsl_matrix *A;
		gsl_vector *b, *cv, *wv;
		gsl_matrix *cov;
		gsl_multifit_linear_workspace *ws;
		double chi2;
		int neg = 0;

		for (j = 0; j < k; j++)
			if (keep[j])
				col[kk++] = j;
		for (i = 0; i < n; i++)
			m += use[i] != 0;
		if (m <= kk || !kk)
			return -1;
		A = gsl_matrix_alloc(m, kk);
		b = gsl_vector_alloc(m);
		wv = gsl_vector_alloc(m);
		cv = gsl_vector_alloc(kk);
		cov = gsl_matrix_alloc(kk, kk);
		ws = gsl_multifit_linear_alloc(m, kk);
		for (i = 0, m = 0; i < n; i++) {
			if (!use[i])
				continue;
			for (j = 0; j < kk; j++)
				gsl_matrix_set(A, m, j, X[i * k + col[j]]);
			gsl_vector_set(wv, m, w ? w[i] : 1.0);
			gsl_vector_set(b, m++, y[i]);
		}
		gsl_multifit_wlinear(A, wv, b, cv, cov, &chi2, ws);
		for (j = 0; j < k; j++)
			c[j] = 0;
		for (j = 0; j < kk; j++) {
			c[col[j]] = gsl_vector_get(cv, j);
			if (c[col[j]] < 0) {
				keep[col[j]] = 0;
				neg = 1;
			}
		}
		gsl_multifit_linear_free(ws);
		gsl_matrix_free(cov);
		gsl_vector_free(cv);
		gsl_vector_free(b);
		gsl_vector_free(wv);
		gsl_matrix_free(A);
		if (!neg)
			return 0;
	}
	return -1;
}

static double dot(const double *x, const double *c, size_t k)
{
	double s = 0;

	for (size_t j = 0; j < k; j++)
		s += x[j] * c[j];
	return s;
}

/* the GPU terms of prefill: per prefill token and layer, per gathered
 * token and KV head, per layer running prefill, per layer running a
 * chunk over earlier KV */
static int prefill_col(int j)
{
	return j >= 6 && j <= 9;
}

/*
 * The GPU fit in two stages. First every term but the prefill ones, from
 * the decode-only iterations, weighted by gpu_w; then, with those fixed,
 * the prefill terms from the iterations with prefill, unweighted (their
 * windows are all long, and weighted the short chunks would set the
 * per-token term: 0, the long prefills under offload 5.6% short, held
 * out). The offload terms (the last NG_OFF) only with `goff`.
 * Held out on the shipped fit's runs (calibrate/results/h200/
 * fit-exec.txt): one unweighted fit of every term (session 14's code)
 * MAPE 3.39%, offload decode windows +1.92% over (LWM-7B's +7.14%); as
 * here 2.84%, -0.38% (-0.35%). Without session 16's call 2 runs: the two
 * stages unweighted 2.98%, +0.56%; weighted 2.82%, -0.43%. In one fit a
 * misfit of the few long prefill iterations leaked into the terms that
 * the many decode iterations carry.
 */
/* what fit_gpu did: the rows of each stage, and how the prefill terms
 * came out */
struct gpu_stages {
	size_t n_dec, n_pf; /* rows of the first and second stage */
	int one;            /* one unweighted stage over every row: there was
			       no decode-only iteration, or too few */
	int pf;             /* prefill terms: 0 fitted, 1 no iteration with
			       prefill, 2 too few or all negative (then 0) */
};

static int fit_gpu(const double *X, const double *y, const double *w,
		   const int *use, size_t n, int goff, double *c,
		   struct gpu_stages *st)
{
	int on[NG], *u = calloc(n + 1, sizeof(int));
	double *y2 = calloc(n + 1, sizeof(double)), c2[NG];
	int rc = -1;

	memset(st, 0, sizeof(*st));
	if (!u || !y2)
		goto out;
	for (int j = 0; j < NG; j++)
		on[j] = !prefill_col(j) && (goff || j < NG - NG_OFF);
	for (size_t i = 0; i < n; i++) {
		u[i] = use[i] && X[i * NG + 8] == 0; /* no prefill layer */
		st->n_dec += (size_t)u[i];
		st->n_pf += use[i] && !u[i];
	}
	if (fit(X, y, w, u, n, NG, on, c)) {
		/* the one-stage fit of session 14 and before */
		for (int j = 0; j < NG; j++)
			on[j] = goff || j < NG - NG_OFF;
		st->one = 1;
		st->n_dec = st->n_pf = 0;
		for (size_t i = 0; i < n; i++)
			st->n_dec += (size_t)(use[i] != 0);
		rc = fit(X, y, NULL, use, n, NG, on, c);
		goto out;
	}
	for (int j = 0; j < NG; j++)
		on[j] = prefill_col(j) && (goff || j < NG - NG_OFF);
	for (size_t i = 0; i < n; i++) {
		u[i] = use[i] && X[i * NG + 8] > 0;
		y2[i] = y[i] - dot(X + i * NG, c, NG);
	}
	if (!st->n_pf)
		st->pf = 1;
	else if (fit(X, y2, NULL, u, n, NG, on, c2))
		st->pf = 2;
	for (int j = 0; j < NG; j++)
		if (prefill_col(j))
			c[j] = st->pf ? 0 : c2[j];
	rc = 0;
out:
	free(u);
	free(y2);
	return rc;
}

/* The executor's per-layer host time on one or two stages (the file
 * comment): an exec number's key, value and where it came from. */
struct hterm {
	int key;
	double v;
	size_t n;
	double mape;
	const char *what;
	const char *where; /* what the held-out MAPE is of */
};

int cal_fit_exec(struct hw_profile *hw, const char *const *files,
		 size_t nfiles, FILE *log, struct ss_err *err)
{
	struct xset x = { 0 };
	double *Xg = NULL, *yg = NULL, *wgt = NULL, *Xh = NULL, *yh = NULL;
	double *gap = NULL;
	double *Xi = NULL, *yi = NULL, *Xp = NULL, *yp = NULL;
	double *Xl = NULL, *yl = NULL, cl[2] = { 0, 0 }, el = 0;
	double *ptail = NULL; /* wall - GPU of offload prefill iterations */
	size_t nptail = 0;
	int *ul = NULL, lfit = 0;
	size_t nl = 0, tl = 0;
	/* held-out GPU window: signed error by kind of iteration */
	double bias[4] = { 0 };
	size_t nbias[4] = { 0 };
	/* and by the model's KV-head count (the first HB counts seen) */
	enum { HB = 4 };
	unsigned hb_heads[HB] = { 0 };
	double hb_bias[HB][4] = { { 0 } };
	size_t hb_n[HB][4] = { { 0 } }, nhb = 0;
	/* and by run: each file's rows end at fend[file] */
	size_t *fend = calloc(nfiles + 1, sizeof(size_t)), *fn_off = NULL;
	double *fb_off = NULL;
	double cg[NG], ch[NH], ci[NI], cp[NP], eg = 0, eh = 0, wg = 0, ei = 0,
	       ep = 0;
	int *ug = NULL, *uh = NULL, *ui = NULL, *up = NULL, rc = 0, two = 0;
	int goff = 0, gnon = 0, gheads = 0, gctx = 0, noctx = 0, gload = 0;
	size_t noload = 0, noload_held = 0; /* offload rows left out (fitted,
						 held out): no load_layers */
	struct gpu_stages gs;
	unsigned hfirst[4]; /* the head count of each per-head column's rows */
	double ctx_lo = INFINITY, ctx_hi = -INFINITY; /* doublings */
	size_t ng = 0, nh = 0, ni = 0, np = 0, ngap = 0, tg = 0, th = 0,
	       ti = 0, tp = 0;
	/* the runs' names for the sources, whole names only: what does not
	 * fit in the 150 characters a source keeps is counted */
	char src[HW_SRC_MAX], names[160] = "";
	size_t listed = 0;

	for (size_t i = 0; i < nfiles && !rc; i++) {
		const char *b = strrchr(files[i], '/');
		const char *nm = b ? b + 1 : files[i];
		size_t used = strlen(names);

		rc = read_file(&x, files[i], err);
		if (fend)
			fend[i] = x.n;
		if (listed == i && used + strlen(nm) + 2 < 136) {
			snprintf(names + used, sizeof names - used, "%s%s",
				 i ? ", " : "", nm);
			listed++;
		}
	}
	if (listed < nfiles) {
		size_t used = strlen(names);

		snprintf(names + used, sizeof names - used, " and %zu more",
			 nfiles - listed);
	}
	if (rc)
		goto out;
	fb_off = calloc(nfiles + 1, sizeof(double));
	fn_off = calloc(nfiles + 1, sizeof(size_t));
	Xg = calloc(x.n * NG + 1, sizeof(double));
	yg = calloc(x.n + 1, sizeof(double));
	wgt = calloc(x.n + 1, sizeof(double));
	Xh = calloc(x.n * NH + 1, sizeof(double));
	yh = calloc(x.n + 1, sizeof(double));
	Xi = calloc(x.n * NI + 1, sizeof(double));
	yi = calloc(x.n + 1, sizeof(double));
	Xp = calloc(x.n * NP + 1, sizeof(double));
	yp = calloc(x.n + 1, sizeof(double));
	gap = calloc(x.n + 1, sizeof(double));
	Xl = calloc(x.n * 2 + 1, sizeof(double));
	yl = calloc(x.n + 1, sizeof(double));
	ul = calloc(x.n + 1, sizeof(int));
	ptail = calloc(x.n + 1, sizeof(double));
	ug = calloc(x.n + 1, sizeof(int));
	uh = calloc(x.n + 1, sizeof(int));
	ui = calloc(x.n + 1, sizeof(int));
	up = calloc(x.n + 1, sizeof(int));
	if (!Xg || !yg || !wgt || !Xh || !yh || !Xi || !yi || !Xp || !yp ||
	    !gap ||
	    !ug || !uh || !ui || !up || !Xl || !yl || !ul || !ptail || !fend ||
	    !fb_off || !fn_off) {
		rc = ss_error(err, SS_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < x.n; i++)
		two |= piped(&x.row[i]);
	for (size_t i = 0; i < x.n; i++) {
		const struct xrow *r = &x.row[i];
		uint32_t L = x.layers[i];
		int held = i % 4 == 3;
		double *hx = Xh + i * NH;

		gpu_x(r, L, x.heads[i], Xg + i * NG);
		yg[i] = gpu_y(hw, r);
		wgt[i] = gpu_w(r);
		ug[i] = gpu_row(r);
		host_x(r, L, hx);
		yh[i] = r->host_s * 1e9 / L;
		uh[i] = r->host_s > 0;
		/* two stages: host_x's columns 0-3 and 3-6 */
		memcpy(Xi + i * NI, hx, NI * sizeof(double));
		yi[i] = (piped(r) ? r->issue_s : r->host_s) * 1e9 / L;
		ui[i] = issue_row(r);
		memcpy(Xp + i * NP, hx + 3, NP * sizeof(double));
		yp[i] = (r->host_s - r->wait_s) * 1e9 / L;
		up[i] = policy_row(r);
		Xl[i * 2] = r->load_layers;
		Xl[i * 2 + 1] = (double)r->blocks_loaded;
		yl[i] = r->load_s * 1e9;
		ul[i] = load_row(r);
		/* under offload with the issue thread, an iteration with
		 * prefill closes after its saves land: apart from the host
		 * op's median */
		if (piped(r) && r->prefill_tokens && r->dur_s > r->gpu_s)
			ptail[nptail++] = (r->dur_s - r->gpu_s) * 1e9;
		else if (r->dur_s > r->gpu_s)
			gap[ngap++] = (r->dur_s - r->gpu_s) * 1e9;
		if (held) { /* 2: held out */
			ug[i] *= 2;
			uh[i] *= 2;
			ui[i] *= 2;
			up[i] *= 2;
			ul[i] *= 2;
		}
	}
	for (size_t i = 0; i < x.n; i++) { /* the rows fitted */
		ug[i] = ug[i] == 1;
		goff |= ug[i] && is_offload(&x.row[i]);
		gnon |= ug[i] && !is_offload(&x.row[i]);
		uh[i] = uh[i] == 1;
		ui[i] = ui[i] == 1;
		up[i] = up[i] == 1;
		ul[i] = ul[i] == 1;
		nl += (size_t)ul[i];
		ng += (size_t)ug[i];
		nh += (size_t)uh[i];
		ni += (size_t)ui[i];
		np += (size_t)up[i];
	}
	/* the offload terms only where offload iterations were fitted, and
	 * iterations without offload tell them from the per-layer terms */
	goff = goff && gnon;
	/* the GPU term per loading layer (column 14) where fitted offload
	 * rows record their loading layers (builds since session 12): the
	 * offload rows of files without the column then stay out of the GPU
	 * fit and its held-out error (their loading layers' work would fall
	 * on the other offload terms); where no row records them, the column
	 * is 0 throughout and the term is not fitted */
	for (size_t i = 0; i < x.n; i++)
		gload |= goff && ug[i] && is_offload(&x.row[i]) &&
			 x.row[i].has_load_layers;
	for (size_t i = 0; i < x.n; i++)
		if (ug[i] && loads_unrecorded(&x.row[i], gload)) {
			ug[i] = 0;
			ng--;
			noload++;
		}
	/* each per-KV-head column (2 dense, 3 sparse, 12 offload, 13 offload
	 * per decode request) only where
	 * the fitted rows in which it is not 0 have two head counts or more:
	 * with one it is the per-layer column times a constant and the split
	 * is arbitrary (session 13's first fit put it all on the heads and
	 * priced LWM-7B's 32 at 4x Llama's 8). The sparse one counts the rows
	 * without offload: under offload it and the offload one move together
	 * (a decode layer is sparse and offloaded at once). */
	for (int k = 0; k < 4; k++) {
		static const int col[4] = { 2, 3, 12, 13 };
		size_t first = x.n;

		hfirst[k] = 0;
		for (size_t i = 0; i < x.n; i++) {
			if (!ug[i] || Xg[i * NG + col[k]] == 0 ||
			    (col[k] == 3 && is_offload(&x.row[i])))
				continue;
			if (first == x.n)
				first = i;
			else if (x.heads[i] != x.heads[first])
				gheads |= 1 << k;
		}
		if (first < x.n)
			hfirst[k] = x.heads[first];
		if (!(gheads >> k & 1))
			for (size_t i = 0; i < x.n; i++)
				Xg[i * NG + col[k]] = 0;
	}
	/* likewise the per-hit term by context: fitted where the rows of
	 * the host fit in use (the policy thread's with two stages) span a
	 * doubling of context or more (closer, it and the per-hit term are
	 * nearly one column), and no offload row lacks its run's requests
	 * table (from which its context comes) */
	for (size_t i = 0; i < x.n; i++) {
		double c;

		if (!(two ? up[i] : uh[i]) || !is_offload(&x.row[i]))
			continue;
		if (x.row[i].ctx < 0) {
			noctx++;
			continue;
		}
		c = cost_ctx_doublings(x.row[i].ctx);
		ctx_lo = fmin(ctx_lo, c);
		ctx_hi = fmax(ctx_hi, c);
	}
	gctx = ctx_hi - ctx_lo >= 1 && !noctx;
	if (!gctx)
		for (size_t i = 0; i < x.n; i++) {
			Xh[i * NH + 6] = 0;
			Xp[i * NP + 3] = 0;
		}
	if (fit_gpu(Xg, yg, wgt, ug, x.n, goff, cg, &gs) ||
	    (!two && fit(Xh, yh, NULL, uh, x.n, NH, NULL, ch)) ||
	    (two && (fit(Xi, yi, NULL, ui, x.n, NI, NULL, ci) ||
		     fit(Xp, yp, NULL, up, x.n, NP, NULL, cp)))) {
		rc = ss_error(err, SS_EINVAL,
			      "calibrate --fit-exec: too few usable iterations (%zu with a GPU window not host-bound, %zu with host times, %zu with the issue thread) in %s",
			      ng, nh, np, names);
		goto out;
	}
	/* the loads' wait, where the runs recorded their loading layers */
	lfit = nl > 2 && !fit(Xl, yl, NULL, ul, x.n, 2, NULL, cl);
	/* held-out error of the iteration's GPU window and host time(s) */
	for (size_t i = 0, fi = 0; i < x.n; i++) {
		const struct xrow *r = &x.row[i];
		uint32_t L = x.layers[i];

		while (fi + 1 < nfiles && i >= fend[fi])
			fi++;
		if (i % 4 != 3)
			continue;
		if (gpu_row(r) && loads_unrecorded(r, gload))
			noload_held++;
		if (gpu_row(r) && !loads_unrecorded(r, gload)) {
			/* the window less the loads, as fitted */
			double w = (r->gpu_s - r->load_s) * 1e9;
			double pred = r->model_s * 1e9 - host_op_ns(hw, r) +
				      dot(Xg + i * NG, cg, NG);

			int kind = (is_offload(r) ? 2 : 0) +
				   (r->prefill_tokens > 0);

			eg += fabs(pred - w) / w;
			wg += fabs(r->model_s * 1e9 - host_op_ns(hw, r) - w) / w;
			tg++;
			bias[kind] += (pred - w) / w;
			nbias[kind]++;
			if (kind == 2) {
				fb_off[fi] += (pred - w) / w;
				fn_off[fi]++;
			}
			{
				size_t b = 0;

				while (b < nhb && hb_heads[b] != x.heads[i])
					b++;
				if (b == nhb && nhb < HB)
					hb_heads[nhb++] = x.heads[i];
				if (b < nhb) {
					hb_bias[b][kind] += (pred - w) / w;
					hb_n[b][kind]++;
				}
			}
		}
		if (lfit && load_row(r)) {
			el += fabs(dot(Xl + i * 2, cl, 2) - yl[i]) / yl[i];
			tl++;
		}
		if (!two && r->host_s > 0) {
			eh += fabs(dot(Xh + i * NH, ch, NH) * L - r->host_s * 1e9) /
			      fmax(r->host_s * 1e9, 1e3);
			th++;
		}
		if (two && issue_row(r)) {
			ei += fabs(dot(Xi + i * NI, ci, NI) - yi[i]) /
			      fmax(yi[i], 1e3 / L);
			ti++;
		}
		if (two && policy_row(r)) {
			ep += fabs(dot(Xp + i * NP, cp, NP) - yp[i]) /
			      fmax(yp[i], 1e3 / L);
			tp++;
		}
	}
	{
		static const int gi[NG] = { 0, 1, 2, 3, 4, 5, 6, 14, 20, 26, 17, 18, 23, 24, 25 };
		static const char *const what[NG] = {
			"GPU per dense layer", "GPU per sparse layer",
			"GPU per KV head per dense layer",
			"GPU per KV head per sparse layer",
			"GPU per decode request per dense layer",
			"GPU per decode request per sparse layer",
			"GPU per prefill token per layer",
			"GPU per earlier KV token and KV head gathered per layer",
			"GPU per layer running prefill tokens",
			"GPU per layer running a chunk over earlier KV",
			"GPU per layer under offload (less the loads)",
			"GPU per decode request per sparse layer under offload",
			"GPU per KV head per layer under offload",
			"GPU per decode request and KV head per sparse layer under offload",
			"GPU per layer loading blocks under offload, beyond the loads' wait"
		};
		double mh = th ? 100 * eh / (double)th : 0;
		double mi = ti ? 100 * ei / (double)ti : 0;
		double mp = tp ? 100 * ep / (double)tp : 0;
		/* one stage: host issue; two: the issue and policy threads */
		const struct hterm h1[] = {
			{ 8, ch[0], nh, mh, "host issue per layer", "host issue" },
			{ 9, ch[1], nh, mh, "host issue per request per layer", "host issue" },
			{ 10, ch[2], nh, mh, "host issue per prefill token per layer", "host issue" },
			{ 11, ch[3], nh, mh, "host issue per layer, extra under offload", "host issue" },
			{ 12, ch[4], nh, mh, "host issue per block-head found in HBM (offload)", "host issue" },
			{ 13, ch[5], nh, mh, "host issue per block-head missed (offload)", "host issue" },
			{ 22, ch[6], nh, mh, "host issue per block-head found in HBM and doubling of the mean context over 1,024 tokens (offload)", "host issue" },
			{ 15, 0, 0, 0, "not fitted: one host stage", NULL },
			{ 16, 1, 0, 0, "one host stage: the issue and the look-ups add", NULL },
		};
		const struct hterm h2[] = {
			{ 8, ci[0], ni, mi, "issue thread per layer", "issue thread" },
			{ 9, ci[1], ni, mi, "issue thread per request per layer", "issue thread" },
			{ 10, ci[2], ni, mi, "issue thread per prefill token per layer", "issue thread" },
			{ 15, ci[3], ni, mi, "issue thread per layer, extra under offload", "issue thread" },
			{ 11, cp[0], np, mp, "policy thread per layer (offload)", "policy thread" },
			{ 12, cp[1], np, mp, "policy thread per block-head found in HBM (offload)", "policy thread" },
			{ 13, cp[2], np, mp, "policy thread per block-head missed (offload)", "policy thread" },
			{ 22, cp[3], np, mp, "policy thread per block-head found in HBM and doubling of the mean context over 1,024 tokens (offload)", "policy thread" },
			{ 16, 2, 0, 0, "two host stages: the issue thread issues layer l while the policy works on layer l + 1", NULL },
		};
		const struct hterm *h = two ? h2 : h1;

		for (int j = 0; j < NG; j++) {
			struct hw_num *num = hw_exec_num(&hw->exec, gi[j]);

			num->v = cg[j];
			if (j >= NG - NG_OFF && !goff) {
				snprintf(num->src, sizeof num->src,
					 "not fitted: no offload iteration with the issue thread (calibrate --fit-exec)");
				continue;
			}
			if (j == 14 && !gload) {
				snprintf(num->src, sizeof num->src,
					 "not fitted: no offload iteration recorded its loading layers (column load_layers; calibrate --fit-exec: %.150s)",
					 names);
				continue;
			}
			if (j == 2 || j == 3 || j == 12 || j == 13) {
				int k = j == 2 ? 0 : j == 3 ? 1 : j == 12 ? 2 : 3;

				if (!(gheads >> k & 1)) {
					num->v = 0;
					snprintf(num->src, sizeof num->src,
						 "not fitted: its runs had one KV-head count (%u), so the per-layer terms carry it (calibrate --fit-exec: %.150s)",
						 hfirst[k], names);
					continue;
				}
			}
			if (prefill_col(j) && gs.pf) {
				snprintf(num->src, sizeof num->src,
					 "not fitted: %s (calibrate --fit-exec: %.150s)",
					 gs.pf == 1 ? "no iteration with prefill"
						    : "too few iterations with prefill, or their least-squares coefficients negative",
					 names);
				continue;
			}
			snprintf(num->src, sizeof num->src,
				 "%s: %s, least squares over %zu live %s (calibrate --fit-exec: %.150s); held-out MAPE %.1f%% (GPU window)",
				 fitted_as(cg[j]), what[j],
				 prefill_col(j) && !gs.one ? gs.n_pf : gs.n_dec,
				 gs.one		    ? "iterations, one stage"
				 : prefill_col(j) ? "iterations with prefill"
						  : "decode-only iterations, weighted by relative error",
				 names, tg ? 100 * eg / (double)tg : 0);
		}
		_Static_assert(SS_ARRAY_SIZE(h1) == SS_ARRAY_SIZE(h2),
			       "one term list a host stage form");
		for (size_t j = 0; j < SS_ARRAY_SIZE(h1); j++) {
			struct hw_num *num = hw_exec_num(&hw->exec, h[j].key);

			num->v = h[j].v;
			if (h[j].key == 22 && !gctx) {
				num->v = 0;
				if (noctx)
					snprintf(num->src, sizeof num->src,
						 "not fitted: %d offload iterations from runs without their requests table or iteration start times (calibrate --fit-exec: %.150s)",
						 noctx, names);
				else
					snprintf(num->src, sizeof num->src,
						 "not fitted: the runs' contexts span less than a doubling, so the per-hit term carries it (calibrate --fit-exec: %.150s)",
						 names);
				continue;
			}
			if (h[j].n)
				snprintf(num->src, sizeof num->src,
					 "%s: %s, least squares over %zu live iterations (calibrate --fit-exec: %.150s); held-out MAPE %.1f%% (%s)",
					 fitted_as(h[j].v),
					 h[j].what, h[j].n, names, h[j].mape,
					 h[j].where);
			else
				snprintf(num->src, sizeof num->src,
					 "calibrate --fit-exec: %s", h[j].what);
		}
		/* the loads' wait per loading layer beyond the link's
		 * latency */
		{
			struct hw_num *num = &hw->exec.load_layer_ns;
			double lat = (double)hw_link_latency_ns(hw);

			num->v = lfit ? fmax(cl[0] - lat, 0) : 0;
			if (lfit)
				snprintf(num->src, sizeof num->src,
					 "measured: loads' wait per loading layer (%.2f us) less the link latency (%.2f us), %zu live decode iterations (calibrate --fit-exec: %.150s); held-out MAPE %.1f%%",
					 cl[0] / 1e3, lat / 1e3, nl, names,
					 tl ? 100 * el / (double)tl : 0);
			else
				snprintf(num->src, sizeof num->src,
					 "not fitted: no decode iteration under offload with its loading layers recorded (calibrate --fit-exec)");
		}
		/* the per-token gather term of earlier fits: not fitted */
		hw->exec.gather_ns.v = 0;
		snprintf(hw->exec.gather_ns.src, sizeof hw->exec.gather_ns.src,
			 "not fitted: the gather is fitted per KV head (gather_head_ns)");
		hw->exec.present = 1;
	}
	if (ngap) {
		struct hw_op *o = &hw->op[HW_OP_HOST];

		gsl_sort(gap, 1, ngap);
		memset(o, 0, sizeof(*o));
		o->form = HW_FORM_ROOFLINE;
		o->fixed_ns.v = gsl_stats_median_from_sorted_data(gap, 1, ngap);
		snprintf(src, sizeof src,
			 "measured: median of the live iterations' wall time outside their GPU window (planning, final synchronisation), %zu iterations (calibrate --fit-exec: %.150s)",
			 ngap, names);
		snprintf(o->fixed_ns.src, sizeof o->fixed_ns.src, "%s", src);
		snprintf(o->per_item_ns.src, sizeof o->per_item_ns.src,
			 "measured: no per-request term in the live executor's planning (%s)",
			 "calibrate --fit-exec");
		snprintf(o->flops_peak.src, sizeof o->flops_peak.src, "no compute roof");
		snprintf(o->eff_max.src, sizeof o->eff_max.src, "unused");
		snprintf(o->eff_half_x.src, sizeof o->eff_half_x.src, "unused");
		snprintf(o->bytes_bw.src, sizeof o->bytes_bw.src, "no memory roof");
		snprintf(o->bw_eff.src, sizeof o->bw_eff.src, "unused");
		o->eff_max.v = 1;
		o->bw_eff.v = 1;
	}
	{
		struct hw_num *num = &hw->exec.prefill_tail_ns;
		double host = hw->op[HW_OP_HOST].fixed_ns.v;

		if (nptail) {
			gsl_sort(ptail, 1, nptail);
			num->v = fmax(gsl_stats_median_from_sorted_data(
					      ptail, 1, nptail) - host,
				      0);
			snprintf(num->src, sizeof num->src,
				 "measured: median wall - GPU window of %zu live prefill iterations under offload (saves landing), less the host op's %.1f us (calibrate --fit-exec: %.150s)",
				 nptail, host / 1e3, names);
		} else {
			num->v = 0;
			snprintf(num->src, sizeof num->src,
				 "not fitted: no iteration with prefill under offload with the issue thread (calibrate --fit-exec)");
		}
	}
	if (log) {
		fprintf(log,
			"executor fit over %zu iterations (%s):\n"
			"  GPU (%zu iterations): %.1f us per dense layer + %.2f per KV head, %.1f per sparse layer + %.2f per KV head; %.2f us per decode request per dense layer + %.2f per sparse layer + %.4f us per prefill token per layer + %.5f us per gathered KV token and KV head per layer + %.1f us per layer running prefill + %.1f per layer running a chunk over earlier KV\n"
			"  GPU under offload: %.1f us per layer + %.2f per KV head + %.2f us per decode request per sparse layer + %.3f per decode request and KV head + %.2f per loading layer%s\n"
			"  held-out GPU window MAPE: %.2f%% with the executor terms, %.2f%% kernels only (%zu iterations)\n",
			x.n, names, ng, cg[0] / 1e3, cg[2] / 1e3, cg[1] / 1e3,
			cg[3] / 1e3, cg[4] / 1e3, cg[5] / 1e3, cg[6] / 1e3,
			cg[7] / 1e3, cg[8] / 1e3, cg[9] / 1e3, cg[10] / 1e3,
			cg[12] / 1e3, cg[11] / 1e3, cg[13] / 1e3, cg[14] / 1e3,
			goff ? "" : " (not fitted: no offload iteration with the issue thread)",
			tg ? 100 * eg / (double)tg : 0,
			tg ? 100 * wg / (double)tg : 0, tg);
		if (gs.one)
			fprintf(log,
				"  GPU fit in one stage, unweighted: too few decode-only iterations for the first of two\n");
		else
			fprintf(log,
				"  GPU fit in two stages: %zu decode-only iterations weighted by relative error, then %zu with prefill%s\n",
				gs.n_dec, gs.n_pf,
				gs.pf == 1 ? " (none: the prefill terms not fitted)"
				: gs.pf == 2 ? " (too few or negative: the prefill terms not fitted)"
					     : "");
		if (noload)
			fprintf(log,
				"  GPU fit: %zu offload iterations left out (and %zu held out), from runs that did not record their loading layers\n",
				noload, noload_held);
		if (x.gemm_runs)
			fprintf(log,
				"  %zu iterations left out of every fit: the first of their row count (within %d) in %zu runs without the GEMM warm-up\n",
				x.gemm_first, GEMM_BUCKET_ROWS, x.gemm_runs);
		if (!two)
			fprintf(log,
				"  host (%zu iterations): %.1f us/layer + %.2f us per request per layer + %.4f us per prefill token per layer; offload +%.1f us/layer + %.4f us per hit (+ %.4f per doubling of the mean context over 1,024 tokens) + %.4f us per miss\n"
				"  held-out host issue MAPE: %.2f%% (%zu iterations)\n",
				nh, ch[0] / 1e3, ch[1] / 1e3, ch[2] / 1e3,
				ch[3] / 1e3, ch[4] / 1e3, ch[6] / 1e3, ch[5] / 1e3,
				th ? 100 * eh / (double)th : 0, th);
		else
			fprintf(log,
				"  host, two stages (a layer takes the larger):\n"
				"    issue thread (%zu iterations): %.1f us/layer + %.2f us per request per layer + %.4f us per prefill token per layer; offload +%.1f us/layer; held-out MAPE %.2f%% (%zu)\n"
				"    policy thread (%zu iterations, offload): %.1f us/layer + %.4f us per hit (+ %.4f per doubling of the mean context over 1,024 tokens) + %.4f us per miss; held-out MAPE %.2f%% (%zu)\n",
				ni, ci[0] / 1e3, ci[1] / 1e3, ci[2] / 1e3,
				ci[3] / 1e3, ti ? 100 * ei / (double)ti : 0, ti,
				np, cp[0] / 1e3, cp[1] / 1e3, cp[3] / 1e3, cp[2] / 1e3,
				tp ? 100 * ep / (double)tp : 0, tp);
		if ((gheads & 15) != 15)
			fprintf(log, "  per-KV-head GPU terms not fitted (one KV-head count):%s%s%s%s\n",
				gheads & 1 ? "" : " dense",
				gheads & 2 ? "" : " sparse (without offload)",
				gheads & 4 ? "" : " offload",
				gheads & 8 ? "" : " offload per decode request");
		if (!gctx)
			fprintf(log, "  per-hit term by context: not fitted (%s)\n",
				noctx ? "offload runs without their requests table"
				      : "contexts within a doubling");
		fprintf(log,
			"  held-out GPU window, mean signed error: dense decode %+.2f%% (%zu), dense with prefill %+.2f%% (%zu), offload decode %+.2f%% (%zu), offload with prefill %+.2f%% (%zu)\n",
			nbias[0] ? 100 * bias[0] / (double)nbias[0] : 0, nbias[0],
			nbias[1] ? 100 * bias[1] / (double)nbias[1] : 0, nbias[1],
			nbias[2] ? 100 * bias[2] / (double)nbias[2] : 0, nbias[2],
			nbias[3] ? 100 * bias[3] / (double)nbias[3] : 0, nbias[3]);
		for (size_t b = 0; nhb > 1 && b < nhb; b++) {
			const char *sep = "";

			fprintf(log, "    %u KV heads:", hb_heads[b]);
			for (int k = 0; k < 4; k++) {
				static const char *const kn[4] = {
					"dense decode", "dense with prefill",
					"offload decode", "offload with prefill"
				};

				if (!hb_n[b][k])
					continue;
				fprintf(log, "%s %s %+.2f%% (%zu)", sep, kn[k],
					100 * hb_bias[b][k] / (double)hb_n[b][k],
					hb_n[b][k]);
				sep = ",";
			}
			fprintf(log, "\n");
		}
		/* offload decode by run: which runs a shared term misses */
		for (size_t k = 0; k < nfiles; k++) {
			const char *b = strrchr(files[k], '/');

			if (fn_off[k])
				fprintf(log,
					"    offload decode, run %zu (%s): %+.2f%% (%zu)\n",
					k + 1, b ? b + 1 : files[k],
					100 * fb_off[k] / (double)fn_off[k],
					fn_off[k]);
		}
		if (lfit)
			fprintf(log,
				"  loads (%zu iterations): %.2f us per loading layer (link latency %.2f: executor +%.2f) + %.4f us per block-head; held-out MAPE %.2f%% (%zu)\n",
				nl, cl[0] / 1e3,
				(double)hw_link_latency_ns(hw) / 1e3,
				hw->exec.load_layer_ns.v / 1e3, cl[1] / 1e3,
				tl ? 100 * el / (double)tl : 0, tl);
		else
			fprintf(log,
				"  loads: not fitted (no decode iteration under offload with its loading layers recorded)\n");
		if (x.nopreset)
			fprintf(log,
				"  loads: %zu runs of no policy preset (the first: '%s') left out, their way of loading unknown\n",
				x.nopreset, x.nopreset_name);
		fprintf(log,
			"  host op: %.1f us per iteration outside the GPU window (median of %zu)\n",
			hw->op[HW_OP_HOST].fixed_ns.v / 1e3, ngap);
		fprintf(log,
			"  prefill under offload: +%.1f us after the GPU window (median of %zu, less the host op)\n",
			hw->exec.prefill_tail_ns.v / 1e3, nptail);
	}
out:
	free(fend);
	free(fb_off);
	free(fn_off);
	free(Xl);
	free(yl);
	free(ul);
	free(ptail);
	free(Xi);
	free(yi);
	free(Xp);
	free(yp);
	free(ui);
	free(up);
	free(Xg);
	free(yg);
	free(wgt);
	free(Xh);
	free(yh);
	free(gap);
	free(ug);
	free(uh);
	free(x.row);
	free(x.layers);
	free(x.heads);
	return rc;
}
