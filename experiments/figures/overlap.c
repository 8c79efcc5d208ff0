/*
 * overlap.c - Figure 8 of the SparseServe paper from the simulator's
 * locality model: the overlap ratio between a decode step's selection and
 * the union of the previous w steps' selections, w = 1 .. 16.
 *
 *   overlap [SEED [ARG]]    (ARG: the locality model's key=value,... list)
 *
 * Prints CSV on stdout: w,measured,model. `measured` drives the model
 * (sim/select_locality.c, the simulator's default selection source) as the
 * simulator does: one request of 1,024 full blocks (a 32k-token LWM-7B
 * context), 4 layers x 8 KV heads, 420 steps of which the first 40 warm
 * up; overlap(w) = |S_t n (S_{t-1} u ... u S_{t-w})| / |S_t| over the top-k
 * part (sink and window blocks excluded, as in the paper's quantity).
 * `model` is the analytic curve, sel_locality_curve(). Deterministic for a
 * given seed.
 *
 * Built by scripts/figures.sh against the build directory's static
 * libraries (no meson target: the top-level meson.build is not ours).
 */
#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/select.h"
#include "sim/select_src.h"

enum { L = 4, H = 8, NF = 1024, STEPS = 420, WARM = 40, WMAX = 16,
       HIST = WMAX + 1 };

static unsigned char hist[L * H][HIST][NF];

int main(int argc, char **argv)
{
	unsigned long seed = argc > 1 ? strtoul(argv[1], NULL, 10) : 7;
	const char *arg = argc > 2 ? argv[2] : NULL;
	struct sel_locality_params lp;
	struct sel_params p;
	struct sel_source s;
	struct sel_out o;
	struct ss_err e;
	double hit[WMAX + 1] = { 0 }, tot = 0, want;
	uint32_t step, lh, i, w, cap;
	gsl_rng *g;

	if (sel_locality_parse(arg, &lp, &e)) {
		fprintf(stderr, "overlap: %s\n", e.msg);
		return 1;
	}
	g = gsl_rng_alloc(gsl_rng_mt19937);
	if (!g)
		return 1;
	gsl_rng_set(g, seed);
	sel_params_default(&p, L, H);
	if (sel_open(&s, "locality", &p, arg, g, &e) ||
	    sel_req_add(&s, 3, 99, (uint64_t)NF * 32, &e)) {
		fprintf(stderr, "overlap: %s\n", e.msg);
		return 1;
	}
	cap = sel_max_blocks(&p);
	o.cap = cap;
	o.blocks = calloc(cap, sizeof(uint32_t));
	o.added = calloc(cap, sizeof(uint32_t));
	o.removed = calloc(cap, sizeof(uint32_t));
	if (!o.blocks || !o.added || !o.removed)
		return 1;
	for (step = 0; step < STEPS; step++)
		for (lh = 0; lh < L * H; lh++) {
			unsigned char *now = hist[lh][step % HIST];

			if (sel_select(&s, 3, lh / H, lh % H, step, NF, &o, &e)) {
				fprintf(stderr, "overlap: %s\n", e.msg);
				return 1;
			}
			memset(now, 0, NF);
			for (i = 0; i < o.n; i++)
				if (o.blocks[i] >= 2 && o.blocks[i] < NF - 2)
					now[o.blocks[i]] = 1;
			if (step < WARM)
				continue;
			for (i = 0; i < o.n; i++) {
				uint32_t b = o.blocks[i], in = 0;

				if (b < 2 || b >= NF - 2)
					continue;
				tot++;
				/* hit[w] counts blocks first seen at age w */
				for (w = 1; w <= WMAX && !in; w++)
					if (hist[lh][(step - w) % HIST][b]) {
						in = 1;
						hit[w]++;
					}
			}
		}
	printf("w,measured,model\n");
	for (w = 1; w <= WMAX; w++) {
		hit[w] += hit[w - 1];
		if (sel_locality_curve(&lp, w, &want, &e)) {
			fprintf(stderr, "overlap: %s\n", e.msg);
			return 1;
		}
		printf("%u,%.5f,%.5f\n", w, hit[w] / tot, want);
	}
	sel_close(&s);
	gsl_rng_free(g);
	free(o.blocks);
	free(o.added);
	free(o.removed);
	return 0;
}
