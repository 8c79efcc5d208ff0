/* test_wsest.c - the working-set estimator against a brute-force union of
 * the last w selections, on random selections with locality, for several
 * windows, with skipped steps; error paths. */
#include <gsl/gsl_rng.h>
#include <string.h>

#include "harness.h"
#include "policy/wsest.h"

#define L 2
#define H 3
#define NB 24
#define STEPS 300

static const struct kv_shape shape = { L, H, 8, 4, 2 };

/* sel[t][l][h][b] = 1 if selected at step t (carried over skipped steps) */
static unsigned char sel[STEPS + 1][L][H][NB];

static uint64_t brute_union(int64_t s, uint32_t w)
{
	uint64_t n = 0;
	int l, h, b;
	int64_t t;

	for (l = 0; l < L; l++)
		for (h = 0; h < H; h++)
			for (b = 0; b < NB; b++) {
				int in = 0;

				for (t = s; t > s - (int64_t)w && t >= 0; t--)
					in |= sel[t][l][h][b];
				n += in;
			}
	return n;
}

static void run(uint32_t w, unsigned long seed)
{
	struct ws_config c = { shape, w };
	struct ss_err e;
	struct ws_est *ws = ws_alloc(&c, &e);
	gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
	int64_t s, prev = -1;
	int l, h, b;

	CHECK_MSG(ws, "%s", e.msg);
	gsl_rng_set(g, seed);
	memset(sel, 0, sizeof(sel));
	CHECK_EQ_I64(ws_req_add(ws, 3, NB * 4, &e), 0);
	CHECK(!ws_has_history(ws, 3));
	for (s = 0; s <= STEPS; s++) {
		int skip = s > 0 && gsl_rng_uniform(g) < 0.1;
		uint64_t nsel = 0;

		/* carry the previous selection, then change a few blocks */
		if (s > 0)
			memcpy(sel[s], sel[s - 1], sizeof(sel[s]));
		if (skip)
			continue; /* no call at all for this step */
		for (l = 0; l < L; l++)
			for (h = 0; h < H; h++) {
				uint32_t add[NB], rem[NB], na = 0, nr = 0;

				for (b = 0; b < NB; b++) {
					double u = gsl_rng_uniform(g);
					unsigned char *x = &sel[s][l][h][b];

					/* b < 8 sticky, others churn */
					if (*x && u < (b < 8 ? 0.02 : 0.3)) {
						*x = 0;
						rem[nr++] = (uint32_t)b;
					} else if (!*x && u < (b < 8 ? 0.5 : 0.08)) {
						*x = 1;
						add[na++] = (uint32_t)b;
					}
				}
				CHECK_MSG(ws_update(ws, 3, (uint64_t)s, (uint32_t)l,
						    (uint32_t)h, add, na, rem,
						    nr, &e) == 0,
					  "%s", e.msg);
			}
		for (l = 0; l < L; l++)
			for (h = 0; h < H; h++)
				for (b = 0; b < NB; b++)
					nsel += sel[s][l][h][b];
		CHECK_EQ_U64(ws_selected(ws, 3), nsel);
		CHECK_MSG(ws_blocks(ws, 3) == brute_union(s, w),
			  "w %u step %lld (previous call at %lld): union %llu, brute force %llu",
			  w, (long long)s, (long long)prev,
			  (unsigned long long)ws_blocks(ws, 3),
			  (unsigned long long)brute_union(s, w));
		CHECK_EQ_U64(ws_bytes(ws, 3),
			     ws_blocks(ws, 3) * kv_block_bytes(&shape));
		prev = s;
	}
	CHECK(ws_has_history(ws, 3));
	gsl_rng_free(g);
	ws_free(ws);
}

static void t_union_w1(void) { run(1, 11); }
static void t_union_w2(void) { run(2, 12); }
static void t_union_w5(void) { run(5, 13); }
static void t_union_w12(void) { run(12, 14); }
static void t_union_w40(void) { run(40, 15); }

static void t_window_grows_the_set(void)
{
	/* one head, a block that rotates 0 -> 1 -> 2 ...: the union is
	 * min(steps seen, w) blocks */
	struct kv_shape s1 = { 1, 1, 8, 4, 2 };
	struct ws_config c = { s1, 12 };
	struct ws_est *ws = ws_alloc(&c, NULL);
	uint32_t b;
	struct ss_err e;

	CHECK_EQ_I64(ws_req_add(ws, 0, 4 * 100, &e), 0);
	for (b = 0; b < 50; b++) {
		uint32_t prevb = b - 1;

		CHECK_EQ_I64(ws_update(ws, 0, b, 0, 0, &b, 1, &prevb,
				       b ? 1 : 0, &e), 0);
		CHECK_EQ_U64(ws_blocks(ws, 0), b + 1 < 12 ? b + 1 : 12);
	}
	ws_free(ws);
}

static void t_errors(void)
{
	struct ws_config c = { shape, 0 };
	struct ss_err e;
	struct ws_est *ws;
	uint32_t b = 5, big = NB;

	CHECK(ws_alloc(&c, &e) == NULL);
	CHECK_STR_CONTAINS(e.msg, "'window' = 0");
	c.window = 12;
	c.shape.kv_heads = 0;
	CHECK(ws_alloc(&c, &e) == NULL);
	CHECK_STR_CONTAINS(e.msg, "kv_heads");
	c.shape = shape;
	ws = ws_alloc(&c, &e);
	CHECK(ws);
	CHECK_EQ_I64(ws_req_add(ws, -1, 10, &e), SS_EINVAL);
	CHECK_EQ_I64(ws_req_add(ws, 0, 0, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "max_tokens = 0");
	CHECK_EQ_I64(ws_req_add(ws, 0, NB * 4, &e), 0);
	CHECK_EQ_I64(ws_req_add(ws, 0, NB * 4, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "already tracked");
	CHECK_EQ_I64(ws_update(ws, 1, 0, 0, 0, &b, 1, NULL, 0, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "request 1 is not tracked");
	CHECK_EQ_I64(ws_update(ws, 0, 0, L, 0, &b, 1, NULL, 0, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "layer 2 head 0 outside");
	CHECK_EQ_I64(ws_update(ws, 0, 3, 0, 0, &b, 1, NULL, 0, &e), 0);
	CHECK_EQ_I64(ws_update(ws, 0, 4, 0, 0, &b, 1, NULL, 0, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "added block 5 was already selected");
	CHECK_EQ_I64(ws_update(ws, 0, 4, 0, 0, &big, 1, NULL, 0, &e),
		     SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "is out of range");
	CHECK_EQ_I64(ws_update(ws, 0, 4, 0, 1, NULL, 0, &b, 1, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "removed block 5 was not selected");
	CHECK_EQ_I64(ws_update(ws, 0, 2, 0, 0, NULL, 0, &b, 1, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "step 2 after step 3");
	/* failed calls changed nothing */
	CHECK_EQ_U64(ws_blocks(ws, 0), 1);
	CHECK_EQ_U64(ws_selected(ws, 0), 1);
	ws_req_free(ws, 0);
	ws_req_free(ws, 0); /* no-op */
	CHECK_EQ_I64(ws_update(ws, 0, 5, 0, 0, &b, 1, NULL, 0, &e), SS_EINVAL);
	ws_free(ws);
	ws_free(NULL);
}

static const struct th_case cases[] = {
	TH_CASE(t_union_w1),
	TH_CASE(t_union_w2),
	TH_CASE(t_union_w5),
	TH_CASE(t_union_w12),
	TH_CASE(t_union_w40),
	TH_CASE(t_window_grows_the_set),
	TH_CASE(t_errors),
	{ 0 },
};

int main(int argc, char **argv) { return th_main(argc, argv, cases); }
