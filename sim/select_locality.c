/*
 * select_locality.c - a seeded model of DSA selections with temporal
 * locality, for simulation without a real model.
 *
 * Per (request, layer, KV head) the model keeps the top-k part of the
 * selection as a set of k block ids; sink and window blocks are added
 * around it. Each decode step it changes only a few blocks:
 *   1. r = (1 - step_overlap) * k members leave (uniformly chosen; r is
 *      dithered between floor and ceil so the mean is exact);
 *   2. r blocks join; each is, with the probabilities below, either a
 *      recall of age a (a block whose last selection was exactly a steps
 *      ago, a = 2 .. max_age), or fresh (not selected in the last max_age
 *      steps, uniform over the candidates).
 * So overlap(w) = step_overlap + sum_{a=2..w} f_a exactly in expectation,
 * where f_a, the share of recalls of age a, decays geometrically:
 * f_a = C rho^(a-2), with rho and C solved so that the gains from w = 1 to
 * 12 and from 12 to 16 are the configured ones (the paper's Figure 8).
 * The rest, 1 - step_overlap - sum f_a, is fresh.
 *
 * Cost per call: O(k) to write the selection and its change, plus a few
 * random draws per changed block; no scan of all blocks. Memory per
 * request: one i32 "last selected" stamp per block-head, plus per
 * (layer, head) the set, the previous selection and a ring of the blocks
 * dropped at each of the last max_age steps (recall candidates).
 *
 * Randomness: one generator per request (GSL taus2), seeded from the
 * run's generator (one draw at init) mixed with the request's trace key,
 * so a request's selections do not depend on which other requests run
 * beside it or in which order: policies compared on one trace see the
 * same selections. Calls per (request, layer, head) must come in step
 * order (select.h); the order of heads and layers is free within a step
 * only if it is the same every run (draws are sequential per request).
 */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "select_src.h"

#include "banned.h"

#define FRESH_TRIES 16
#define OWE_CAP 15 /* recalls owed per (layer, head), see pay_debt */
#define MEMBER 0x80000000u /* mark: in the top-k set now */
#define DROPPED(x) ((x) & 0x7fffffffu) /* mark: 1 + step dropped, 0 never */

struct loc_lh {
	int64_t step;   /* last step served, -1 = none */
	uint32_t nfull; /* full blocks at that step */
	uint32_t nset;  /* top-k members */
};

struct loc_req {
	uint32_t nblk;     /* blocks per (layer, head) */
	gsl_rng *rng;
	struct loc_lh *lh; /* [layers * heads] */
	uint32_t *mark;    /* [layers * heads * nblk] MEMBER | 1 + drop step */
	uint32_t *set;     /* [layers * heads * k] top-k members */
	uint32_t *bk;      /* [layers * heads * (max_age + 1) * bcap] drops */
	uint32_t *bn;      /* [layers * heads * (max_age + 1)] entries used */
	uint32_t *owe;     /* [layers * heads * (OWE_CAP + 1)] count, ages */
	void *mem;
};

struct loc {
	struct sel_params p;
	struct sel_locality_params lp;
	uint32_t k, maxsel;     /* top-k blocks, most blocks selected */
	uint32_t bcap;          /* drop-bucket capacity */
	double churn;           /* (1 - step_overlap) * k, blocks per step */
	gsl_ran_discrete_t *mix; /* 0 = fresh, j >= 1 = recall of age j + 1 */
	double *fa;             /* [max_age + 1] f_a */
	unsigned long seed;     /* base seed drawn from the run's rng */
	struct loc_req *reqs;
	size_t nreqs;
};

int sel_locality_parse(const char *arg, struct sel_locality_params *lp,
		       struct ss_err *err)
{
	const char *s = arg;

	lp->step_overlap = 0.87;
	lp->gain12 = 0.1068;
	lp->gain16 = 0.0031;
	lp->max_age = 32;
	while (s && *s) {
		const char *comma = strchr(s, ','), *eq = strchr(s, '=');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		char key[64], val[64];
		double v;

		if (!eq || eq >= s + len || (size_t)(eq - s) >= sizeof(key) ||
		    len - (size_t)(eq - s) - 1 >= sizeof(val))
			return ss_error(err, SS_EINVAL,
					"selection 'locality': parameter '%.*s': expected key=value",
					(int)len, s);
		memcpy(key, s, (size_t)(eq - s));
		key[eq - s] = '\0';
		memcpy(val, eq + 1, len - (size_t)(eq - s) - 1);
		val[len - (size_t)(eq - s) - 1] = '\0';
		if (ss_parse_double(val, &v))
			return ss_error(err, SS_EINVAL,
					"selection 'locality': parameter '%s': '%s' is not a number",
					key, val);
		if (!strcmp(key, "step_overlap"))
			lp->step_overlap = v;
		else if (!strcmp(key, "gain12"))
			lp->gain12 = v;
		else if (!strcmp(key, "gain16"))
			lp->gain16 = v;
		else if (!strcmp(key, "max_age")) {
			if (v != floor(v) || v < 16 || v > 1024)
				return ss_error(err, SS_EINVAL,
						"selection 'locality': parameter 'max_age' = %s: must be an integer 16..1024",
						val);
			lp->max_age = (uint32_t)v;
		} else
			return ss_error(err, SS_EINVAL,
					"selection 'locality': unknown parameter '%s' (known: step_overlap, gain12, gain16, max_age)",
					key);
		s = comma ? comma + 1 : NULL;
	}
	if (!(lp->step_overlap > 0 && lp->step_overlap <= 1))
		return ss_error(err, SS_EINVAL,
				"selection 'locality': parameter 'step_overlap' = %g: must be in (0, 1]",
				lp->step_overlap);
	if (!(lp->gain12 >= 0) || !(lp->gain16 >= 0))
		return ss_error(err, SS_EINVAL,
				"selection 'locality': parameters 'gain12' = %g, 'gain16' = %g: must be >= 0",
				lp->gain12, lp->gain16);
	if (lp->gain16 > 0 && !(lp->gain16 < lp->gain12 * 4.0 / 11.0))
		return ss_error(err, SS_EINVAL,
				"selection 'locality': parameter 'gain16' = %g: a decaying recall needs gain16 < 4/11 x gain12 = %g",
				lp->gain16, lp->gain12 * 4.0 / 11.0);
	return 0;
}

/* Sum of rho^j for j = a .. b. */
static double geo_sum(double rho, int a, int b)
{
	double s = 0, t = pow(rho, a);
	int j;

	for (j = a; j <= b; j++, t *= rho)
		s += t;
	return s;
}

/* f_a for a = 0 .. max_age (0 and 1 are 0). */
static int recall_shares(const struct sel_locality_params *lp, double *fa,
			 struct ss_err *err)
{
	double rho = 0, c, total = 0;
	uint32_t a;

	if (lp->gain16 > 0) {
		double lo = 0, hi = 1, target = lp->gain16 / lp->gain12;
		int it;

		/* ratio (ages 13..16) / (ages 2..12) grows with rho */
		for (it = 0; it < 200; it++) {
			double mid = (lo + hi) / 2;

			if (geo_sum(mid, 11, 14) / geo_sum(mid, 0, 10) < target)
				lo = mid;
			else
				hi = mid;
		}
		rho = (lo + hi) / 2;
	}
	c = lp->gain12 > 0 ? lp->gain12 / geo_sum(rho, 0, 10) : 0;
	for (a = 0; a <= lp->max_age; a++) {
		fa[a] = a < 2 ? 0 : c * pow(rho, (double)(a - 2));
		total += fa[a];
	}
	if (lp->step_overlap + total > 1 + 1e-12)
		return ss_error(err, SS_EINVAL,
				"selection 'locality': step_overlap %g + recalls %g exceed 1",
				lp->step_overlap, total);
	return 0;
}

int sel_locality_curve(const struct sel_locality_params *lp, uint32_t w,
		       double *overlap, struct ss_err *err)
{
	double fa[1025], ov = lp->step_overlap;
	uint32_t a;
	int rc;

	rc = recall_shares(lp, fa, err);
	if (rc)
		return rc;
	for (a = 2; a <= w && a <= lp->max_age; a++)
		ov += fa[a];
	*overlap = ov;
	return 0;
}

static void loc_release(void *priv)
{
	struct loc *m = priv;
	size_t i;

	for (i = 0; i < m->nreqs; i++) {
		if (m->reqs[i].rng)
			gsl_rng_free(m->reqs[i].rng);
		free(m->reqs[i].mem);
	}
	free(m->reqs);
	free(m->fa);
	if (m->mix)
		gsl_ran_discrete_free(m->mix);
}

static int loc_init(void *priv, const struct sel_params *p, const char *arg,
		    void *rng, struct ss_err *err)
{
	struct loc *m = priv;
	double *w, rest;
	uint32_t a;
	int rc;

	if (!rng)
		return ss_error(err, SS_EINVAL,
				"selection 'locality': needs the run's random generator");
	rc = sel_locality_parse(arg, &m->lp, err);
	if (rc)
		return rc;
	m->p = *p;
	m->k = sel_topk_blocks(p);
	m->maxsel = sel_max_blocks(p);
	m->churn = (1 - m->lp.step_overlap) * m->k;
	m->bcap = (uint32_t)ceil(m->churn) + 4;
	m->fa = calloc(m->lp.max_age + 1, sizeof(*m->fa));
	w = calloc(m->lp.max_age, sizeof(*w));
	if (!m->fa || !w) {
		free(w);
		return ss_error(err, SS_ENOMEM, "selection 'locality': out of memory");
	}
	rc = recall_shares(&m->lp, m->fa, err);
	if (rc) {
		free(w);
		return rc;
	}
	/* mixture of a replacement: fresh, or recall of age 2 .. max_age */
	rest = 1 - m->lp.step_overlap;
	for (a = 2; a <= m->lp.max_age; a++) {
		w[a - 1] = m->fa[a];
		rest -= m->fa[a];
	}
	w[0] = rest > 0 ? rest : 0;
	if (m->lp.step_overlap < 1)
		m->mix = gsl_ran_discrete_preproc(m->lp.max_age, w);
	free(w);
	if (m->lp.step_overlap < 1 && !m->mix)
		return ss_error(err, SS_EINVAL,
				"selection 'locality': cannot build the recall distribution");
	m->seed = gsl_rng_get((gsl_rng *)rng);
	return 0;
}

static uint64_t mix64(uint64_t x)
{
	/* splitmix64 finaliser: spreads the trace key over the seed */
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static int loc_req_add(void *priv, int32_t req, uint64_t key,
		       uint64_t max_tokens, struct ss_err *err)
{
	struct loc *m = priv;
	struct loc_req *r;
	size_t nlh = (size_t)m->p.layers * m->p.kv_heads, nb, bytes, i;
	size_t old = m->nreqs;
	uint32_t A1 = m->lp.max_age + 1;
	char *p;

	if (req < 0 || !max_tokens || max_tokens > INT32_MAX)
		return ss_error(err, SS_EINVAL,
				"selection 'locality': request %d with %llu tokens",
				req, (unsigned long long)max_tokens);
	if ((size_t)req >= m->nreqs) {
		int rc = ss_grow((void **)&m->reqs, &m->nreqs, (size_t)req + 1,
				 sizeof(*m->reqs), err);
		if (rc)
			return rc;
		memset(m->reqs + old, 0, (m->nreqs - old) * sizeof(*m->reqs));
	}
	r = &m->reqs[req];
	if (r->mem)
		return ss_error(err, SS_EINVAL,
				"selection 'locality': request %d added twice", req);
	r->nblk = (uint32_t)((max_tokens + m->p.block_tokens - 1) /
			     m->p.block_tokens);
	nb = nlh * r->nblk;
	bytes = nlh * sizeof(struct loc_lh) + nb * sizeof(uint32_t) +
		nlh * ((size_t)m->k + (size_t)A1 * m->bcap + A1 + OWE_CAP + 1) *
			sizeof(uint32_t);
	r->mem = malloc(bytes);
	r->rng = gsl_rng_alloc(gsl_rng_taus2);
	if (!r->mem || !r->rng) {
		free(r->mem);
		if (r->rng)
			gsl_rng_free(r->rng);
		memset(r, 0, sizeof(*r));
		return ss_error(err, SS_ENOMEM,
				"selection 'locality': request %d: out of memory (%zu bytes)",
				req, bytes);
	}
	gsl_rng_set(r->rng, (unsigned long)(mix64(m->seed ^ mix64(key)) &
					    0xffffffffull));
	p = r->mem;
	r->lh = (struct loc_lh *)p;
	p += nlh * sizeof(struct loc_lh);
	r->mark = (uint32_t *)p;
	p += nb * sizeof(uint32_t);
	r->set = (uint32_t *)p;
	r->bk = r->set + nlh * m->k;
	r->bn = r->bk + nlh * A1 * m->bcap;
	r->owe = r->bn + nlh * A1;
	for (i = 0; i < nlh; i++) {
		r->lh[i].step = -1;
		r->lh[i].nfull = r->lh[i].nset = 0;
	}
	memset(r->mark, 0, nb * sizeof(uint32_t));
	memset(r->bn, 0, nlh * (A1 + OWE_CAP + 1) * sizeof(uint32_t));
	return 0;
}

static void loc_req_free(void *priv, int32_t req)
{
	struct loc *m = priv;
	struct loc_req *r;

	if (req < 0 || (size_t)req >= m->nreqs)
		return;
	r = &m->reqs[req];
	if (r->rng)
		gsl_rng_free(r->rng);
	free(r->mem);
	memset(r, 0, sizeof(*r));
}

/* Per-call view of one (layer, head). */
struct lhv {
	struct loc_lh *lh;
	uint32_t *mark; /* [nblk] */
	uint32_t *set;  /* [k] */
	uint32_t *bk;   /* [(max_age + 1) * bcap] */
	uint32_t *bn;   /* [max_age + 1] */
	uint32_t *owe;  /* [0] = count, [1..] ages of failed recalls */
};

/* b leaves the selection at step s (its last selection was s - 1): it
 * becomes a recall candidate and is reported removed (unless it rejoins
 * in the same step; loc_select filters those out). */
static void drop(const struct loc *m, struct lhv *v, int64_t s, uint32_t b,
		 struct sel_out *out)
{
	uint32_t q = (uint32_t)(s % (m->lp.max_age + 1));

	/* overflow (a jump of many new blocks at once) only loses a recall
	 * candidate */
	if (v->bn[q] < m->bcap)
		v->bk[(size_t)q * m->bcap + v->bn[q]++] = b;
	v->mark[b] = (uint32_t)(s + 1);
	out->removed[out->nremoved++] = b;
}

/* b joins the top-k set at step s; it is new to the selection unless it
 * was selected at s - 1 (`was_selected`: a block leaving the window) or
 * was dropped earlier in this very step. */
static void join(struct lhv *v, int64_t s, uint32_t b, int was_selected,
		 struct sel_out *out)
{
	uint32_t x = v->mark[b];

	if (!was_selected && DROPPED(x) != (uint32_t)(s + 1))
		out->added[out->nadded++] = b;
	v->mark[b] = MEMBER | DROPPED(x);
	v->set[v->lh->nset++] = b;
}

/* A block not selected in the last max_age steps; failing that, one not
 * selected now and not dropped this step; failing that, one dropped this
 * step (out->removed holds this step's drops). */
static uint32_t pick_fresh(const struct loc *m, struct lhv *v, gsl_rng *g,
			   int64_t s, uint32_t c0, uint32_t ncand,
			   const struct sel_out *out)
{
	int64_t old = s - (int64_t)m->lp.max_age;
	uint32_t t, b, x, start;

	for (t = 0; t < FRESH_TRIES; t++) {
		b = c0 + (uint32_t)gsl_rng_uniform_int(g, ncand);
		x = v->mark[b];
		if (!(x & MEMBER) && (int64_t)DROPPED(x) - 1 <= old)
			return b;
	}
	/* every candidate once, from a random start (two runs, no modulo:
	 * the same order as (start + t) % ncand) */
	start = (uint32_t)gsl_rng_uniform_int(g, ncand);
	for (t = start; t < start + ncand; t++) {
		b = c0 + (t < ncand ? t : t - ncand);
		x = v->mark[b];
		if (!(x & MEMBER) && DROPPED(x) != (uint32_t)(s + 1))
			return b;
	}
	for (t = 0; t < out->nremoved; t++)
		if (!(v->mark[out->removed[t]] & MEMBER))
			return out->removed[t];
	BUG("locality: no candidate outside the set");
}

/* A block whose last selection was exactly `age` steps ago (dropped at
 * step s - age + 1), or UINT32_MAX. */
static uint32_t pick_recall(const struct loc *m, struct lhv *v, gsl_rng *g,
			    int64_t s, uint32_t age)
{
	uint32_t q, n, t, start, want;

	if (s - age + 1 < 0)
		return UINT32_MAX;
	q = (uint32_t)((s - age + 1) % (m->lp.max_age + 1));
	n = v->bn[q];
	if (!n)
		return UINT32_MAX;
	want = (uint32_t)(s - age + 2);
	/* scan the whole bucket from a random start: most of an old bucket
	 * may have been recalled already (stale entries) */
	start = (uint32_t)gsl_rng_uniform_int(g, n);
	{
		const uint32_t *bk = v->bk + (size_t)q * m->bcap;

		for (t = start; t < n; t++)
			if (v->mark[bk[t]] == want) /* not a member, dropped then */
				return bk[t];
		for (t = 0; t < start; t++)
			if (v->mark[bk[t]] == want)
				return bk[t];
	}
	return UINT32_MAX;
}

/*
 * A recall of age a fails when every block dropped a steps ago has been
 * recalled since (old buckets run dry: most drops are recalled sooner or
 * later). The failed age is owed and paid by a later fresh draw that
 * finds a candidate of that age, so the long-run age mix, and with it the
 * overlap curve, stays the configured one. At most two owed ages are
 * tried per draw, to bound the cost.
 */
static uint32_t pay_debt(const struct loc *m, struct lhv *v, gsl_rng *g,
			 int64_t s)
{
	uint32_t j, b;

	for (j = 0; j < v->owe[0] && j < 2; j++) {
		b = pick_recall(m, v, g, s, v->owe[1 + j]);
		if (b == UINT32_MAX)
			continue;
		v->owe[1 + j] = v->owe[v->owe[0]--];
		return b;
	}
	return UINT32_MAX;
}

/* First candidate block (after the sinks) and end of the candidates
 * (before the window) for a layer with `nfull` full blocks. */
static uint32_t cand_end(const struct loc *m, uint32_t nfull)
{
	uint32_t S = m->p.sink_blocks, W = m->p.window_blocks;

	return nfull > S + W ? nfull - W : S;
}

static int loc_select(void *priv, int32_t req, uint32_t layer, uint32_t head,
		      uint64_t step, uint32_t nfull, struct sel_out *out,
		      struct ss_err *err)
{
	struct loc *m = priv;
	struct loc_req *r;
	struct lhv v;
	gsl_rng *g;
	size_t lhi;
	int64_t s = (int64_t)step;
	uint32_t S = m->p.sink_blocks, K = m->k, A1 = m->lp.max_age + 1;
	uint32_t c0 = S, cend, old_cend, old_nf, ncand, b, i, k, room, nchg;

	if (req < 0 || (size_t)req >= m->nreqs || !m->reqs[req].mem)
		return ss_error(err, SS_EINVAL,
				"selection 'locality': no request %d", req);
	r = &m->reqs[req];
	if (layer >= m->p.layers || head >= m->p.kv_heads)
		return ss_error(err, SS_EINVAL,
				"selection 'locality': request %d: layer %u head %u outside %u x %u",
				req, layer, head, m->p.layers, m->p.kv_heads);
	lhi = (size_t)layer * m->p.kv_heads + head;
	v.lh = &r->lh[lhi];
	if ((v.lh->step >= 0 && s != v.lh->step + 1) || s >= INT32_MAX - 2)
		return ss_error(err, SS_EINVAL,
				"selection 'locality': request %d layer %u head %u: step %llu after step %lld",
				req, layer, head, (unsigned long long)step,
				(long long)v.lh->step);
	if (nfull > r->nblk || nfull < v.lh->nfull)
		return ss_error(err, SS_EINVAL,
				"selection 'locality': request %d layer %u: %u full blocks (before %u, at most %u)",
				req, layer, nfull, v.lh->nfull, r->nblk);
	if (out->cap < m->maxsel)
		return ss_error(err, SS_EINVAL,
				"selection 'locality': output capacity %u < %u",
				out->cap, m->maxsel);
	v.mark = r->mark + lhi * r->nblk;
	v.set = r->set + lhi * K;
	v.bk = r->bk + lhi * A1 * m->bcap;
	v.bn = r->bn + lhi * A1;
	v.owe = r->owe + lhi * (OWE_CAP + 1);
	g = r->rng;
	out->n = out->nadded = out->nremoved = 0;
	v.bn[s % A1] = 0; /* drops of step s - A1: aged out */

	cend = cand_end(m, nfull);
	ncand = cend - c0;
	if (v.lh->step < 0) {
		/* first step: k candidates at random (all if there are few) */
		old_nf = 0;
		if (ncand <= K)
			for (b = c0; b < cend; b++)
				join(&v, s, b, 0, out);
		else
			while (v.lh->nset < K)
				join(&v, s, pick_fresh(m, &v, g, s, c0, ncand, out),
				     0, out);
		nchg = 0;
	} else {
		old_nf = v.lh->nfull;
		old_cend = cand_end(m, old_nf);
		room = K - v.lh->nset;
		/* churn: drop r old members (mean (1 - step_overlap) k) */
		nchg = 0;
		if (ncand > K && m->mix) {
			nchg = (uint32_t)floor(m->churn + gsl_rng_uniform(g));
			nchg = SS_MIN(nchg, v.lh->nset);
		}
		for (i = 0; i < nchg; i++) {
			uint32_t j = (uint32_t)gsl_rng_uniform_int(g, v.lh->nset);

			b = v.set[j];
			v.set[j] = v.set[--v.lh->nset];
			drop(m, &v, s, b, out);
		}
		/* blocks leaving the window join while the set has room (it
		 * has while every candidate is selected), else drop out */
		for (b = old_cend; b < SS_MIN(old_nf, cend); b++) {
			if (room) {
				join(&v, s, b, 1, out);
				room--;
			} else {
				drop(m, &v, s, b, out);
			}
		}
		/* blocks that became full straight into the candidates (a
		 * jump of nfull) join only while there is room */
		for (b = SS_MAX(old_cend, old_nf); b < cend && room; b++, room--)
			join(&v, s, b, 0, out);
		/* the replacements: recall of age a, or fresh */
		for (i = 0; i < nchg; i++) {
			size_t c = gsl_ran_discrete(g, m->mix);

			if (c) {
				b = pick_recall(m, &v, g, s, (uint32_t)c + 1);
				if (b == UINT32_MAX && v.owe[0] < OWE_CAP)
					v.owe[1 + v.owe[0]++] = (uint32_t)c + 1;
			} else {
				b = pay_debt(m, &v, g, s);
			}
			if (b == UINT32_MAX)
				b = pick_fresh(m, &v, g, s, c0, ncand, out);
			join(&v, s, b, 0, out);
		}
	}
	/* new sink and window blocks (newly full) are additions */
	for (b = SS_MIN(S, old_nf); b < SS_MIN(S, nfull); b++)
		out->added[out->nadded++] = b;
	for (b = SS_MAX(cend, old_nf); b < nfull; b++)
		out->added[out->nadded++] = b;
	/* drops that rejoined in the same step are no change */
	for (i = k = 0; i < out->nremoved; i++)
		if (!(v.mark[out->removed[i]] & MEMBER))
			out->removed[k++] = out->removed[i];
	out->nremoved = k;
	/* the selection: sinks, the top-k set, the window */
	for (b = 0; b < SS_MIN(S, nfull); b++)
		out->blocks[out->n++] = b;
	memcpy(out->blocks + out->n, v.set, v.lh->nset * sizeof(*v.set));
	out->n += v.lh->nset;
	for (b = cend; b < nfull; b++)
		out->blocks[out->n++] = b;
	v.lh->step = s;
	v.lh->nfull = nfull;
	return 0;
}

const struct sel_source_ops sel_locality = {
	.name = "locality",
	.help = "seeded locality model; arg: step_overlap=0.87,gain12=0.1068,gain16=0.0031,max_age=32",
	.priv_size = sizeof(struct loc),
	.init = loc_init,
	.release = loc_release,
	.req_add = loc_req_add,
	.req_free = loc_req_free,
	.select = loc_select,
};
