/* test_select.c - DSA selection sources: budget arithmetic, sink/window/
 * top-k counts, the locality model's overlap curve (within 1 point at
 * w = 1, 4, 8, 12, 16), determinism and independence from interleaving,
 * change lists (checked against the working-set estimator), the HDF5
 * replay round trip and every error path. */
#include <gsl/gsl_rng.h>
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "harness.h"
#include "policy/kvdir.h"
#include "policy/select.h"
#include "policy/wsest.h"
#include "sim/select_src.h"

struct outbuf {
	uint32_t b[512], a[512], r[512];
	struct sel_out o;
};

static void ob_init(struct outbuf *x)
{
	x->o.cap = 512;
	x->o.blocks = x->b;
	x->o.added = x->a;
	x->o.removed = x->r;
}

static void check_ok_dir(const struct kv_dir *d)
{
	struct ss_err e;

	CHECK_MSG(kv_dir_check(d, &e) == 0, "kv_dir_check: %s", e.msg);
}

static gsl_rng *rng_new(unsigned long seed)
{
	gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);

	gsl_rng_set(g, seed);
	return g;
}

static void open_loc(struct sel_source *s, uint32_t L, uint32_t H,
		     const char *arg, gsl_rng *g)
{
	struct sel_params p;
	struct ss_err e;

	sel_params_default(&p, L, H);
	CHECK_MSG(sel_open(s, "locality", &p, arg, g, &e) == 0, "%s", e.msg);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Selection well formed: unique, < nfull, sink and window present, and
 * the change lists equal the set difference with `prev`. */
static void check_sel(const struct sel_out *o, uint32_t nfull,
		      const unsigned char *prev, unsigned char *cur,
		      uint32_t want_n)
{
	uint32_t i, b, na = 0, nr = 0;

	memset(cur, 0, nfull);
	CHECK_EQ_U64(o->n, want_n);
	for (i = 0; i < o->n; i++) {
		CHECK(o->blocks[i] < nfull);
		CHECK_MSG(!cur[o->blocks[i]], "duplicate block %u", o->blocks[i]);
		cur[o->blocks[i]] = 1;
	}
	for (b = 0; b < 2 && b < nfull; b++)
		CHECK_MSG(cur[b], "sink block %u missing", b);
	for (b = nfull > 2 ? nfull - 2 : 0; b < nfull; b++)
		CHECK_MSG(cur[b], "window block %u missing", b);
	for (b = 0; b < nfull; b++) {
		na += cur[b] && !prev[b];
		nr += !cur[b] && prev[b];
	}
	CHECK_EQ_U64(o->nadded, na);
	CHECK_EQ_U64(o->nremoved, nr);
	for (i = 0; i < o->nadded; i++)
		CHECK(cur[o->added[i]] && !prev[o->added[i]]);
	for (i = 0; i < o->nremoved; i++)
		CHECK(!cur[o->removed[i]] && prev[o->removed[i]]);
}

static void t_params_and_counts(void)
{
	struct sel_params p;
	struct ss_err e;

	sel_params_default(&p, 32, 8);
	CHECK_EQ_I64(sel_params_check(&p, &e), 0);
	CHECK_EQ_U64(sel_topk_blocks(&p), 64);
	CHECK_EQ_U64(sel_max_blocks(&p), 68);
	CHECK_EQ_U64(sel_count(&p, 10), 10);
	CHECK_EQ_U64(sel_count(&p, 5000), 68);
	p.budget_counts_fixed = 1; /* ArkVale's accounting */
	CHECK_EQ_U64(sel_topk_blocks(&p), 60);
	CHECK_EQ_U64(sel_max_blocks(&p), 64);
	p.budget_tokens = 4 * 32;
	CHECK_EQ_I64(sel_params_check(&p, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "leaves no top-k blocks");
	p.budget_tokens = 16;
	CHECK_EQ_I64(sel_params_check(&p, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "less than one block");
	p.budget_tokens = 2048;
	p.layers = 0;
	CHECK_EQ_I64(sel_params_check(&p, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'layers'");
}

static void t_registry(void)
{
	struct sel_source s;
	struct sel_params p;
	struct ss_err e;

	CHECK(sel_find(NULL) == &sel_locality);
	CHECK(sel_find("replay") == &sel_replay);
	CHECK(sel_find("oracle") == NULL);
	sel_params_default(&p, 2, 2);
	CHECK_EQ_I64(sel_open(&s, "oracle", &p, NULL, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "unknown source 'oracle' (known: locality, replay)");
}

/* Growing context: everything selected up to 68 full blocks, then
 * 2 + 64 + 2; sinks and window always present; change lists exact. */
static void t_locality_counts_growing(void)
{
	struct sel_source s;
	struct outbuf x;
	gsl_rng *g = rng_new(1);
	static unsigned char prev[4096], cur[4096];
	uint32_t nfull = 1, step;
	struct ss_err e;

	open_loc(&s, 1, 1, NULL, g);
	ob_init(&x);
	CHECK_EQ_I64(sel_req_add(&s, 0, 42, 4096 * 32, &e), 0);
	memset(prev, 0, sizeof(prev));
	for (step = 0; step < 600; step++) {
		if (step % 3 == 0 && nfull < 300)
			nfull++;
		if (step == 400)
			nfull = 2000; /* a jump (e.g. a long chunk) */
		CHECK_MSG(sel_select(&s, 0, 0, 0, step, nfull, &x.o, &e) == 0,
			  "%s", e.msg);
		check_sel(&x.o, nfull, prev, cur, sel_count(&s.p, nfull));
		memcpy(prev, cur, sizeof(prev));
	}
	sel_close(&s);
	gsl_rng_free(g);
}

/* No sinks, no window, a small budget counting them: the selection is
 * the top-k alone, still unique, with exact change lists. */
static void t_locality_other_shapes(void)
{
	static const struct {
		uint32_t sink, window, budget;
		int counts_fixed;
	} tab[] = {
		{ 0, 0, 256, 0 },
		{ 0, 3, 256, 1 },
		{ 5, 0, 320, 1 },
		{ 1, 1, 32, 0 },
	};
	static unsigned char prev[1024], cur[1024];
	uint32_t t;

	for (t = 0; t < SS_ARRAY_SIZE(tab); t++) {
		struct sel_source s;
		struct sel_params p;
		struct outbuf x;
		gsl_rng *g = rng_new(t + 1);
		uint32_t step, nfull = 0, i, b, na, nr;
		struct ss_err e;

		sel_params_default(&p, 1, 1);
		p.sink_blocks = tab[t].sink;
		p.window_blocks = tab[t].window;
		p.budget_tokens = tab[t].budget;
		p.budget_counts_fixed = tab[t].counts_fixed;
		CHECK_MSG(sel_open(&s, "locality", &p, NULL, g, &e) == 0, "%s", e.msg);
		ob_init(&x);
		CHECK_EQ_I64(sel_req_add(&s, 0, 5, 1024 * 32, &e), 0);
		memset(prev, 0, sizeof(prev));
		for (step = 0; step < 300; step++) {
			nfull = step < 40 ? step / 2 : nfull + (step % 7 == 0);
			CHECK_EQ_I64(sel_select(&s, 0, 0, 0, step, nfull, &x.o, &e), 0);
			CHECK_EQ_U64(x.o.n, sel_count(&p, nfull));
			memset(cur, 0, sizeof(cur));
			for (i = 0; i < x.o.n; i++) {
				CHECK(x.b[i] < nfull && !cur[x.b[i]]);
				cur[x.b[i]] = 1;
			}
			for (b = 0; b < tab[t].sink && b < nfull; b++)
				CHECK(cur[b]);
			for (b = nfull > tab[t].window ? nfull - tab[t].window : 0;
			     b < nfull; b++)
				CHECK(cur[b]);
			for (b = na = nr = 0; b < 1024; b++) {
				na += cur[b] && !prev[b];
				nr += !cur[b] && prev[b];
			}
			CHECK_EQ_U64(x.o.nadded, na);
			CHECK_EQ_U64(x.o.nremoved, nr);
			for (i = 0; i < x.o.nadded; i++)
				CHECK(cur[x.a[i]] && !prev[x.a[i]]);
			for (i = 0; i < x.o.nremoved; i++)
				CHECK(!cur[x.r[i]] && prev[x.r[i]]);
			memcpy(prev, cur, sizeof(prev));
		}
		sel_close(&s);
		gsl_rng_free(g);
	}
}

/* Measured overlap(w) of the top-k part (sink and window excluded). */
static void measure_curve(const char *arg, double *ov, const uint32_t *ws,
			  int nw)
{
	enum { L = 4, H = 8, NF = 1024, STEPS = 420, WARM = 40, HIST = 17 };
	static unsigned char hist[L * H][HIST][NF];
	struct sel_source s;
	struct outbuf x;
	gsl_rng *g = rng_new(7);
	double hit[8] = { 0 }, tot = 0;
	uint32_t step, lh, i;
	int k;
	struct ss_err e;

	open_loc(&s, L, H, arg, g);
	ob_init(&x);
	memset(hist, 0, sizeof(hist));
	CHECK_EQ_I64(sel_req_add(&s, 3, 99, NF * 32, &e), 0);
	for (step = 0; step < STEPS; step++)
		for (lh = 0; lh < L * H; lh++) {
			unsigned char *now = hist[lh][step % HIST];

			CHECK_EQ_I64(sel_select(&s, 3, lh / H, lh % H, step, NF,
						&x.o, &e), 0);
			memset(now, 0, NF);
			for (i = 0; i < x.o.n; i++)
				if (x.b[i] >= 2 && x.b[i] < NF - 2)
					now[x.b[i]] = 1;
			if (step < WARM)
				continue;
			for (i = 0; i < x.o.n; i++) {
				uint32_t b = x.b[i];

				if (b < 2 || b >= NF - 2)
					continue;
				tot++;
				for (k = 0; k < nw; k++) {
					uint32_t w, in = 0;

					for (w = 1; w <= ws[k] && !in; w++)
						in = hist[lh][(step - w) % HIST][b];
					hit[k] += in;
				}
			}
		}
	for (k = 0; k < nw; k++)
		ov[k] = hit[k] / tot;
	sel_close(&s);
	gsl_rng_free(g);
}

static void check_curve(const char *arg)
{
	static const uint32_t ws[] = { 1, 4, 8, 12, 16 };
	struct sel_locality_params lp;
	double got[5], want;
	struct ss_err e;
	int k;

	CHECK_EQ_I64(sel_locality_parse(arg, &lp, &e), 0);
	measure_curve(arg, got, ws, 5);
	for (k = 0; k < 5; k++) {
		CHECK_EQ_I64(sel_locality_curve(&lp, ws[k], &want, &e), 0);
		fprintf(stderr, "# %s w=%u overlap %.4f model %.4f\n", arg ? arg : "defaults", ws[k], got[k], want);
	}
	for (k = 0; k < 5; k++) {
		CHECK_EQ_I64(sel_locality_curve(&lp, ws[k], &want, &e), 0);
		CHECK_NEAR(got[k], want, 0.01);
	}
	/* the paper's gains, from the configured values */
	CHECK_NEAR(got[3] - got[0], lp.gain12, 0.01);
	CHECK_NEAR(got[4] - got[3], lp.gain16, 0.01);
}

static void t_locality_overlap_curve_default(void)
{
	struct sel_locality_params lp;
	double ov1, ov12, ov16;

	CHECK_EQ_I64(sel_locality_parse(NULL, &lp, NULL), 0);
	CHECK_EQ_I64(sel_locality_curve(&lp, 1, &ov1, NULL), 0);
	CHECK_EQ_I64(sel_locality_curve(&lp, 12, &ov12, NULL), 0);
	CHECK_EQ_I64(sel_locality_curve(&lp, 16, &ov16, NULL), 0);
	/* the analytic curve is the paper's: +10.68 and +0.31 points */
	CHECK_NEAR(ov1, 0.87, 1e-12);
	CHECK_NEAR(ov12 - ov1, 0.1068, 1e-9);
	CHECK_NEAR(ov16 - ov12, 0.0031, 1e-9);
	check_curve(NULL);
}

static void t_locality_overlap_curve_other(void)
{
	check_curve("step_overlap=0.7,gain12=0.2,gain16=0.02,max_age=40");
}

/* Request A's selections do not depend on B running beside it. */
static void t_locality_deterministic_and_independent(void)
{
	static uint32_t alone[50][68], mixed[50][68], again[50][68];
	uint32_t (*dst[3])[68] = { alone, mixed, again };
	int run;

	for (run = 0; run < 3; run++) {
		struct sel_source s;
		struct outbuf x;
		gsl_rng *g = rng_new(5);
		uint32_t step;
		struct ss_err e;

		open_loc(&s, 2, 2, NULL, g);
		ob_init(&x);
		CHECK_EQ_I64(sel_req_add(&s, 0, 1000, 32 * 600, &e), 0);
		if (run == 1)
			CHECK_EQ_I64(sel_req_add(&s, 1, 2000, 32 * 600, &e), 0);
		for (step = 0; step < 50; step++) {
			if (run == 1) /* B first, on every layer and head */
				for (uint32_t lh = 0; lh < 4; lh++)
					CHECK_EQ_I64(sel_select(&s, 1, lh / 2, lh % 2,
								step, 500, &x.o, &e), 0);
			CHECK_EQ_I64(sel_select(&s, 0, 1, 1, step, 500, &x.o,
						&e), 0);
			CHECK_EQ_U64(x.o.n, 68);
			qsort(x.b, x.o.n, sizeof(x.b[0]), cmp_u32);
			memcpy(dst[run][step], x.b, sizeof(dst[run][step]));
		}
		sel_close(&s);
		gsl_rng_free(g);
	}
	CHECK(!memcmp(alone, mixed, sizeof(alone)));
	CHECK(!memcmp(alone, again, sizeof(alone)));
	/* and a different seed changes them */
	{
		struct sel_source s;
		struct outbuf x;
		gsl_rng *g = rng_new(6);

		open_loc(&s, 2, 2, NULL, g);
		ob_init(&x);
		CHECK_EQ_I64(sel_req_add(&s, 0, 1000, 32 * 600, NULL), 0);
		CHECK_EQ_I64(sel_select(&s, 0, 1, 1, 0, 500, &x.o, NULL), 0);
		qsort(x.b, x.o.n, sizeof(x.b[0]), cmp_u32);
		CHECK(memcmp(alone[0], x.b, sizeof(alone[0])) != 0);
		sel_close(&s);
		gsl_rng_free(g);
	}
}

/* The change lists drive the working-set estimator; its union must
 * match a brute-force union kept from the full selections. */
static void t_locality_feeds_wsest(void)
{
	enum { L = 2, H = 2, NF = 400, W = 12 };
	static int32_t last[L * H][NF];
	struct kv_shape shape = { L, H, 128, 32, 2 };
	struct ws_config wc = { shape, W };
	struct ws_est *ws = ws_alloc(&wc, NULL);
	struct sel_source s;
	struct outbuf x;
	gsl_rng *g = rng_new(9);
	uint32_t step, lh, i, b;
	struct ss_err e;

	open_loc(&s, L, H, NULL, g);
	ob_init(&x);
	CHECK_EQ_I64(sel_req_add(&s, 0, 7, NF * 32, &e), 0);
	CHECK_EQ_I64(ws_req_add(ws, 0, NF * 32, &e), 0);
	for (lh = 0; lh < L * H; lh++)
		for (b = 0; b < NF; b++)
			last[lh][b] = -1000;
	for (step = 0; step < 200; step++) {
		uint64_t brute = 0;

		for (lh = 0; lh < L * H; lh++) {
			CHECK_EQ_I64(sel_select(&s, 0, lh / H, lh % H, step,
						NF - 100 + step / 2, &x.o, &e), 0);
			CHECK_MSG(ws_update(ws, 0, step, lh / H, lh % H, x.a,
					    x.o.nadded, x.r, x.o.nremoved, &e) == 0,
				  "%s", e.msg);
			for (i = 0; i < x.o.n; i++)
				last[lh][x.b[i]] = (int32_t)step;
			for (b = 0; b < NF; b++)
				brute += last[lh][b] > (int32_t)step - W;
		}
		CHECK_EQ_U64(ws_selected(ws, 0), L * H * 68);
		CHECK_EQ_U64(ws_blocks(ws, 0), brute);
	}
	/* steady state: the union is a little above one selection */
	CHECK(ws_blocks(ws, 0) > L * H * 68 && ws_blocks(ws, 0) < L * H * 68 * 3);
	ws_free(ws);
	sel_close(&s);
	gsl_rng_free(g);
}

static void t_locality_errors(void)
{
	struct sel_source s;
	struct sel_params p;
	struct outbuf x;
	gsl_rng *g = rng_new(1);
	struct ss_err e;

	sel_params_default(&p, 2, 2);
	CHECK_EQ_I64(sel_open(&s, "locality", &p, "speed=3", g, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "unknown parameter 'speed'");
	CHECK_EQ_I64(sel_open(&s, "locality", &p, "gain12=abc", g, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'gain12': 'abc' is not a number");
	CHECK_EQ_I64(sel_open(&s, "locality", &p, "step_overlap", g, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "expected key=value");
	CHECK_EQ_I64(sel_open(&s, "locality", &p, "step_overlap=1.5", g, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "must be in (0, 1]");
	CHECK_EQ_I64(sel_open(&s, "locality", &p, "step_overlap=0.95", g, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "exceed 1");
	CHECK_EQ_I64(sel_open(&s, "locality", &p, "gain16=0.1", g, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "gain16 < 4/11");
	CHECK_EQ_I64(sel_open(&s, "locality", &p, "max_age=8", g, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'max_age' = 8");
	CHECK_EQ_I64(sel_open(&s, "locality", &p, NULL, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "random generator");
	p.budget_tokens = 3;
	CHECK_EQ_I64(sel_open(&s, "locality", &p, NULL, g, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "budget_tokens");
	p.budget_tokens = 2048;
	CHECK_EQ_I64(sel_open(&s, "locality", &p, NULL, g, &e), 0);
	ob_init(&x);
	CHECK_EQ_I64(sel_select(&s, 0, 0, 0, 0, 10, &x.o, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "no request 0");
	CHECK_EQ_I64(sel_req_add(&s, 0, 1, 3200, &e), 0);
	CHECK_EQ_I64(sel_req_add(&s, 0, 1, 3200, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "added twice");
	CHECK_EQ_I64(sel_select(&s, 0, 0, 0, 0, 101, &x.o, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "101 full blocks");
	CHECK_EQ_I64(sel_select(&s, 0, 0, 0, 0, 90, &x.o, &e), 0);
	CHECK_EQ_I64(sel_select(&s, 0, 0, 0, 2, 90, &x.o, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "step 2 after step 0");
	CHECK_EQ_I64(sel_select(&s, 0, 0, 0, 1, 80, &x.o, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "80 full blocks (before 90");
	CHECK_EQ_I64(sel_select(&s, 0, 5, 0, 1, 90, &x.o, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "layer 5 head 0 outside");
	x.o.cap = 10;
	CHECK_EQ_I64(sel_select(&s, 0, 0, 0, 1, 90, &x.o, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "output capacity 10 < 68");
	sel_req_free(&s, 0);
	sel_close(&s);
	gsl_rng_free(g);
}

/* ------------------------------------------------------------- replay */

static void tmp_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "/tmp/ss_test_select_%d_%s.h5", (int)getpid(), name);
}

/* Record locality selections for two requests (keys 10, 20), 2 layers x
 * 2 heads, `steps` steps with a growing nfull; keep them for comparing. */
enum { RL = 2, RH = 2, RSTEPS = 30 };
static uint32_t rec_sel[2][RSTEPS][RL * RH][68], rec_n[2][RSTEPS][RL * RH];
static uint32_t rec_nfull[RSTEPS];

static void write_trace(const char *path)
{
	struct sel_source s;
	struct sel_replay_writer *w;
	struct outbuf x;
	gsl_rng *g = rng_new(3);
	uint32_t step, lh, q;
	struct ss_err e;

	open_loc(&s, RL, RH, NULL, g);
	ob_init(&x);
	CHECK_EQ_I64(sel_replay_writer_open(&w, path, &s.p, &e), 0);
	for (q = 0; q < 2; q++) {
		CHECK_EQ_I64(sel_req_add(&s, (int32_t)q, 10 * (q + 1), 200 * 32, &e), 0);
		for (step = 0; step < RSTEPS; step++) {
			rec_nfull[step] = 60 + step;
			for (lh = 0; lh < RL * RH; lh++) {
				CHECK_EQ_I64(sel_select(&s, (int32_t)q, lh / RH, lh % RH,
							step, rec_nfull[step], &x.o, &e), 0);
				rec_n[q][step][lh] = x.o.n;
				memcpy(rec_sel[q][step][lh], x.b, x.o.n * sizeof(x.b[0]));
				qsort(rec_sel[q][step][lh], x.o.n, sizeof(uint32_t), cmp_u32);
				CHECK_MSG(sel_replay_writer_put(w, 10 * (q + 1), step,
								lh / RH, lh % RH,
								rec_nfull[step], x.b,
								x.o.n, &e) == 0,
					  "%s", e.msg);
			}
		}
	}
	CHECK(access(path, F_OK) != 0); /* not visible before close */
	CHECK_MSG(sel_replay_writer_close(w, &e) == 0, "%s", e.msg);
	sel_close(&s);
	gsl_rng_free(g);
}

static void t_replay_round_trip(void)
{
	char path[256];
	struct sel_source s;
	struct sel_params p;
	struct outbuf x;
	static unsigned char prev[4][256], cur[256];
	uint32_t step, lh, i;
	struct ss_err e;

	tmp_path(path, sizeof(path), "rt");
	write_trace(path);
	sel_params_default(&p, RL, RH);
	CHECK_MSG(sel_open(&s, "replay", &p, path, NULL, &e) == 0, "%s", e.msg);
	ob_init(&x);
	/* request key 20 under dense id 5, then key 10 under id 0 */
	CHECK_EQ_I64(sel_req_add(&s, 5, 20, 200 * 32, &e), 0);
	CHECK_EQ_I64(sel_req_add(&s, 0, 10, 200 * 32, &e), 0);
	memset(prev, 0, sizeof(prev));
	for (step = 0; step < RSTEPS; step++)
		for (lh = 0; lh < RL * RH; lh++) {
			CHECK_MSG(sel_select(&s, 5, lh / RH, lh % RH, step,
					     rec_nfull[step], &x.o, &e) == 0,
				  "%s", e.msg);
			CHECK_EQ_U64(x.o.n, rec_n[1][step][lh]);
			for (i = 0; i < x.o.n; i++) /* replay gives them sorted */
				CHECK_EQ_U64(x.b[i], rec_sel[1][step][lh][i]);
			check_sel(&x.o, rec_nfull[step], prev[lh], cur, x.o.n);
			memcpy(prev[lh], cur, sizeof(cur));
			CHECK_EQ_I64(sel_select(&s, 0, lh / RH, lh % RH, step,
						rec_nfull[step], &x.o, &e), 0);
			CHECK_EQ_U64(x.b[0], rec_sel[0][step][lh][0]);
		}
	/* past the recording */
	CHECK_EQ_I64(sel_select(&s, 0, 0, 0, RSTEPS, 90, &x.o, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "has 30 recorded steps, step 30 asked");
	sel_close(&s);
	unlink(path);
}

static void t_replay_errors(void)
{
	char path[256], txt[256];
	struct sel_source s;
	struct sel_params p;
	struct outbuf x;
	FILE *f;
	struct ss_err e;

	sel_params_default(&p, RL, RH);
	ob_init(&x);
	CHECK_EQ_I64(sel_open(&s, "replay", &p, NULL, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "needs the path");
	CHECK_EQ_I64(sel_open(&s, "replay", &p, "/nonexistent/x.h5", NULL, &e),
		     SS_EIO);
	CHECK_STR_CONTAINS(e.msg, "cannot open selection trace '/nonexistent/x.h5'");
	tmp_path(txt, sizeof(txt), "txt");
	f = fopen(txt, "w");
	fputs("not hdf5\n", f);
	fclose(f);
	CHECK_EQ_I64(sel_open(&s, "replay", &p, txt, NULL, &e), SS_EIO);
	CHECK_STR_CONTAINS(e.msg, "not HDF5");
	unlink(txt);
	/* an HDF5 file that is not a selection trace */
	{
		hid_t h = H5Fcreate(txt, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);

		H5Fclose(h);
		CHECK_EQ_I64(sel_open(&s, "replay", &p, txt, NULL, &e), SS_EINVAL);
		CHECK_STR_CONTAINS(e.msg, "attribute 'format'");
		unlink(txt);
	}
	tmp_path(path, sizeof(path), "err");
	write_trace(path);
	/* model shape differs */
	p.kv_heads = 8;
	CHECK_EQ_I64(sel_open(&s, "replay", &p, path, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "attribute 'kv_heads' = 2, but the simulation uses 8");
	p.kv_heads = RH;
	p.budget_tokens = 1024;
	CHECK_EQ_I64(sel_open(&s, "replay", &p, path, NULL, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "'budget_tokens' = 2048");
	p.budget_tokens = 2048;
	CHECK_EQ_I64(sel_open(&s, "replay", &p, path, NULL, &e), 0);
	CHECK_EQ_I64(sel_req_add(&s, 0, 77, 6400, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "no selections for request 77");
	CHECK_EQ_I64(sel_req_add(&s, 0, 10, 6400, &e), 0);
	CHECK_EQ_I64(sel_select(&s, 0, 0, 0, 0, 61, &x.o, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "recorded with 60 full blocks, the simulation has 61");
	CHECK_EQ_I64(sel_select(&s, 0, 0, 0, 0, 60, &x.o, &e), 0);
	CHECK_EQ_I64(sel_select(&s, 0, 0, 0, 2, 62, &x.o, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "step 2 after step 0");
	/* another head may start late, but the request cannot go back */
	CHECK_EQ_I64(sel_select(&s, 0, 0, 1, 1, 61, &x.o, &e), 0);
	CHECK_EQ_I64(sel_select(&s, 0, 1, 0, 0, 60, &x.o, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "step 0 asked while step 1 is current");
	sel_close(&s);
	/* corrupt the file: offsets going backwards, then unsorted ids */
	{
		hid_t h = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
		hid_t d = H5Dopen2(h, "/requests/10/offsets", H5P_DEFAULT);
		hid_t b;
		uint64_t off[RSTEPS * RL * RH + 1];
		static uint32_t blk[RSTEPS * RL * RH * 68];
		uint64_t save;
		uint32_t t;

		CHECK(H5Dread(d, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, off) >= 0);
		save = off[2];
		off[2] = off[1] - 1; /* step 0, layer 1, head 0 */
		CHECK(H5Dwrite(d, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, off) >= 0);
		H5Dclose(d);
		H5Fclose(h);
		CHECK_EQ_I64(sel_open(&s, "replay", &p, path, NULL, &e), 0);
		CHECK_EQ_I64(sel_req_add(&s, 0, 10, 6400, &e), 0);
		CHECK_EQ_I64(sel_select(&s, 0, 0, 0, 0, 60, &x.o, &e), SS_EINVAL);
		CHECK_STR_CONTAINS(e.msg, "request 10 step 0 layer 0 head 1: offsets");
		sel_close(&s);
		h = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
		d = H5Dopen2(h, "/requests/10/offsets", H5P_DEFAULT);
		off[2] = save;
		CHECK(H5Dwrite(d, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, off) >= 0);
		H5Dclose(d);
		b = H5Dopen2(h, "/requests/10/blocks", H5P_DEFAULT);
		CHECK(H5Dread(b, H5T_NATIVE_UINT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, blk) >= 0);
		t = blk[off[4]];
		blk[off[4]] = blk[off[4] + 1]; /* step 1, layer 0, head 0 */
		blk[off[4] + 1] = t;
		CHECK(H5Dwrite(b, H5T_NATIVE_UINT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, blk) >= 0);
		H5Dclose(b);
		H5Fclose(h);
		CHECK_EQ_I64(sel_open(&s, "replay", &p, path, NULL, &e), 0);
		CHECK_EQ_I64(sel_req_add(&s, 0, 10, 6400, &e), 0);
		for (t = 0; t < RL * RH; t++)
			CHECK_EQ_I64(sel_select(&s, 0, t / RH, t % RH, 0, 60, &x.o, &e), 0);
		CHECK_EQ_I64(sel_select(&s, 0, 0, 0, 1, 61, &x.o, &e), SS_EINVAL);
		CHECK_STR_CONTAINS(e.msg, "request 10 step 1 layer 0 head 0");
		CHECK_STR_CONTAINS(e.msg, "breaks ascending order");
		sel_close(&s);
	}
	unlink(path);
}

static void t_replay_writer_errors(void)
{
	char path[256];
	struct sel_replay_writer *w;
	struct sel_params p;
	uint32_t ok[3] = { 5, 1, 3 }, dup[2] = { 4, 4 }, big[1] = { 60 };
	struct ss_err e;

	sel_params_default(&p, RL, RH);
	tmp_path(path, sizeof(path), "w");
	CHECK_EQ_I64(sel_replay_writer_open(&w, "/nonexistent/dir/x.h5", &p, &e),
		     SS_EIO);
	CHECK_STR_CONTAINS(e.msg, "cannot create selection trace");
	CHECK_EQ_I64(sel_replay_writer_open(&w, path, &p, &e), 0);
	CHECK_EQ_I64(sel_replay_writer_put(w, 1, 0, 0, 1, 60, ok, 3, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "out of order (expected step 0 layer 0 head 0)");
	CHECK_EQ_I64(sel_replay_writer_put(w, 1, 0, 0, 0, 60, dup, 2, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "block 4 repeats");
	CHECK_EQ_I64(sel_replay_writer_put(w, 1, 0, 0, 0, 60, big, 1, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "block 60 is not below nfull");
	CHECK_EQ_I64(sel_replay_writer_put(w, 1, 0, 0, 0, 60, ok, 3, &e), 0);
	CHECK_EQ_I64(sel_replay_writer_put(w, 1, 0, 0, 1, 61, ok, 3, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "nfull 61 differs from 60");
	CHECK_EQ_I64(sel_replay_writer_put(w, 1, 0, 0, 1, 60, ok, 3, &e), 0);
	/* a new key with step 0 of key 1 incomplete */
	CHECK_EQ_I64(sel_replay_writer_put(w, 2, 0, 0, 0, 60, ok, 3, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "step 0 stops at layer 1 head 0");
	sel_replay_writer_abort(w);
	CHECK(access(path, F_OK) != 0);
	/* a repeated key */
	CHECK_EQ_I64(sel_replay_writer_open(&w, path, &p, &e), 0);
	for (uint32_t lh = 0; lh < RL * RH; lh++)
		CHECK_EQ_I64(sel_replay_writer_put(w, 1, 0, lh / RH, lh % RH, 60, ok, 3, &e), 0);
	for (uint32_t lh = 0; lh < RL * RH; lh++)
		CHECK_EQ_I64(sel_replay_writer_put(w, 2, 0, lh / RH, lh % RH, 60, ok, 3, &e), 0);
	CHECK_EQ_I64(sel_replay_writer_put(w, 1, 0, 0, 0, 60, ok, 3, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "request 1 written twice");
	sel_replay_writer_abort(w);
	sel_replay_writer_abort(NULL);
	CHECK(access(path, F_OK) != 0);
}


/*
 * Decode of one 32k-token LWM-7B request at full block fidelity (32
 * layers x 32 heads, every block-head): per step and layer, select ->
 * working set -> fetch (load misses) -> attend -> unpin, appending one
 * token per layer and saving blocks as they fill. The HBM cache holds
 * `cache_ws` times the w = 12 working set. Checks the bookkeeping agrees
 * across modules; prints the hit ratio and the cost per block-head (a
 * TAP comment, never an assertion).
 */
static void decode_run(double cache_ws, uint32_t steps, double *hit_ratio,
		       double *ns_per_bh)
{
	const struct kv_shape lwm = { 32, 32, 128, 32, 2 };
	const uint32_t prompt = 32768, L = 32, H = 32;
	/* KVDIR_REPL=clock compares the replacement policies */
	struct kv_dir_config dc = { lwm, 0, getenv("KVDIR_REPL") };
	struct ws_config wc = { lwm, 12 };
	struct sel_source s;
	struct outbuf x;
	gsl_rng *g = rng_new(21);
	struct kv_dir *d;
	struct ws_est *ws;
	static int32_t miss[512], pend[1 << 16];
	uint32_t l, h, step, first, count, npend;
	uint64_t h0, m0;
	int32_t r;
	double t0;
	struct ss_err e;

	/* working set ~ (68 + churn over 12 steps) blocks per head */
	dc.cache_bytes = (uint64_t)(cache_ws * 80 * L * H) * kv_block_bytes(&lwm);
	d = kv_dir_alloc(&dc, &e);
	CHECK_MSG(d, "%s", e.msg);
	ws = ws_alloc(&wc, &e);
	open_loc(&s, L, H, NULL, g);
	ob_init(&x);
	CHECK_EQ_I64(kv_req_add(d, prompt + steps, &r, &e), 0);
	CHECK_EQ_I64(ws_req_add(ws, r, prompt + steps, &e), 0);
	CHECK_EQ_I64(sel_req_add(&s, r, 1, prompt + steps, &e), 0);
	/* layer-segmented prefill: each layer written, saved, dropped */
	for (l = 0; l < L; l++) {
		CHECK_MSG(kv_append(d, r, l, prompt, &e) == 0, "%s", e.msg);
		kv_save_begin(d, r, l, &first, &count);
		kv_save_end(d, r, l, first, count);
		kv_drop_clean(d, r, (int32_t)l);
	}
	h0 = m0 = 0;
	t0 = ss_wall_seconds();
	for (step = 0; step < steps; step++) {
		if (step == steps / 2) { /* measure the second half */
			h0 = kv_dir_stats(d)->hits;
			m0 = kv_dir_stats(d)->misses;
		}
		for (l = 0; l < L; l++) {
			uint32_t nfull = kv_req_nfull(d, r, l);

			npend = 0;
			for (h = 0; h < H; h++) {
				struct kv_fetch_result res;

				CHECK(sel_select(&s, r, l, h, step, nfull, &x.o, &e) == 0);
				CHECK(ws_update(ws, r, step, l, h, x.a, x.o.nadded,
						x.r, x.o.nremoved, &e) == 0);
				CHECK_MSG(kv_fetch(d, r, l, h, x.b, x.o.n, miss,
						   &res, &e) == 0, "%s", e.msg);
				memcpy(pend + npend, miss, res.nmiss * sizeof(*miss));
				npend += res.nmiss;
			}
			kv_load_end(d, pend, npend); /* one FlashH2D per layer */
			kv_unpin_all(d);              /* attention done */
			CHECK(kv_append(d, r, l, 1, &e) == 0);
			kv_save_begin(d, r, l, &first, &count);
			if (count)
				kv_save_end(d, r, l, first, count);
		}
		CHECK_EQ_U64(ws_selected(ws, r), (uint64_t)L * H * 68);
	}
	*ns_per_bh = (ss_wall_seconds() - t0) * 1e9 /
		     ((double)steps * L * H * 68);
	*hit_ratio = (double)(kv_dir_stats(d)->hits - h0) /
		     (double)(kv_dir_stats(d)->hits - h0 +
			      kv_dir_stats(d)->misses - m0);
	check_ok_dir(d);
	fprintf(stderr,
		"# LWM-7B 32k decode, cache %.1fx working set (%u slots): working set %llu block-heads, hit ratio %.4f, %.1f ns per selected block-head (%.2f ms per request-step)\n",
		cache_ws, kv_nslots(d), (unsigned long long)ws_blocks(ws, r),
		*hit_ratio, *ns_per_bh, *ns_per_bh * L * H * 68 / 1e6);
	sel_close(&s);
	ws_free(ws);
	kv_dir_free(d);
	gsl_rng_free(g);
}

static void t_decode_full_fidelity(void)
{
	double hr_big, hr_small, ns;

	/* KVDIR_DECODE_STEPS=256 for a longer timing run */
	const char *env = getenv("KVDIR_DECODE_STEPS");
	uint32_t steps = env ? (uint32_t)strtoul(env, NULL, 10) : 64;

	if (steps < 16 || steps > 100000)
		steps = 64;
	decode_run(1.5, steps, &hr_big, &ns);
	decode_run(0.5, steps, &hr_small, &ns);
	/* a cache that holds the working set hits nearly everything that
	 * is not fresh; one a third that size thrashes */
	CHECK(hr_big > 0.95);
	CHECK(hr_small < hr_big - 0.1);
}

static const struct th_case cases[] = {
	TH_CASE(t_params_and_counts),
	TH_CASE(t_registry),
	TH_CASE(t_locality_counts_growing),
	TH_CASE(t_locality_other_shapes),
	TH_CASE(t_locality_overlap_curve_default),
	TH_CASE(t_locality_overlap_curve_other),
	TH_CASE(t_locality_deterministic_and_independent),
	TH_CASE(t_locality_feeds_wsest),
	TH_CASE(t_locality_errors),
	TH_CASE(t_replay_round_trip),
	TH_CASE(t_replay_errors),
	TH_CASE(t_replay_writer_errors),
	TH_CASE(t_decode_full_fidelity),
	{ 0 },
};

int main(int argc, char **argv) { return th_main(argc, argv, cases); }
