/*
 * metrics.c - summary statistics of a run (GSL quantiles).
 */
#include "metrics.h"

#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "policy/offload.h"

#include "banned.h"

static void put(struct metrics_summary *ms, const char *name, double v)
{
	BUG_ON(ms->n >= METRICS_MAX);
	ms->name[ms->n] = name;
	ms->value[ms->n] = v;
	ms->n++;
}

double metrics_get(const struct metrics_summary *ms, const char *name)
{
	for (int i = 0; i < ms->n; i++)
		if (!strcmp(ms->name[i], name))
			return ms->value[i];
	return NAN;
}

/*
 * Quantile q of x[from..n) when every element of x[0..from) is <= every
 * element of x[from..n) (a previous select left it so): only the upper
 * part is searched.
 */
static double quantile_above(double *x, size_t n, size_t from, double q)
{
	double idx = q * (double)(n - 1);
	size_t lo = (size_t)idx;
	double delta = idx - (double)lo, a, b;

	BUG_ON(lo < from);
	a = gsl_stats_select(x + from, 1, n - from, lo - from);
	if (lo + 1 >= n || delta == 0)
		return a;
	b = x[lo + 1];
	for (size_t i = lo + 2; i < n; i++)
		if (x[i] < b)
			b = x[i];
	return (1 - delta) * a + delta * b;
}

/* mean, p50, p90, p99 of x[0..n) (reordered); NaN when empty. Each
 * select leaves the elements above its rank at the top, so the higher
 * quantiles search only what is above the lower ones. */
static void quantiles(double *x, size_t n, double out[4])
{
	if (!n) {
		out[0] = out[1] = out[2] = out[3] = NAN;
		return;
	}
	out[0] = gsl_stats_mean(x, 1, n);
	out[1] = quantile_above(x, n, 0, 0.50);
	out[2] = quantile_above(x, n, (size_t)(0.50 * (double)(n - 1)), 0.90);
	out[3] = quantile_above(x, n, (size_t)(0.90 * (double)(n - 1)), 0.99);
}

/*
 * Per-request P99 of its own gaps without grouping them: the interpolated
 * quantile at rank 0.99 (g - 1) needs only the k = g - floor(0.99 (g - 1))
 * largest gaps, kept in a small min-heap per request (k <= 2 + g / 100).
 */
struct topk {
	double *heap;   /* all requests' heaps, one allocation */
	size_t *off;    /* request r's heap starts at heap[off[r]] */
	uint32_t *cap;  /* its k */
	uint32_t *len;  /* its current size */
	uint32_t *g;    /* its number of gaps */
};

static void topk_push(double *h, uint32_t *len, uint32_t cap, double v)
{
	uint32_t i;

	if (*len < cap) {
		i = (*len)++;
		while (i > 0 && h[(i - 1) / 2] > v) {
			h[i] = h[(i - 1) / 2];
			i = (i - 1) / 2;
		}
		h[i] = v;
		return;
	}
	if (v <= h[0])
		return;
	i = 0; /* replace the minimum and sift down */
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		double best = v;

		if (l < cap && h[l] < best) {
			m = l;
			best = h[l];
		}
		if (r < cap && h[r] < best)
			m = r;
		if (m == i)
			break;
		h[i] = h[m];
		i = m;
	}
	h[i] = v;
}

/* P99 of request r's gaps from its heap of the k largest. */
static double topk_p99(const struct topk *t, size_t r)
{
	const double *h = t->heap + t->off[r];
	uint32_t g = t->g[r], k = t->cap[r];
	double idx = 0.99 * (double)(g - 1);
	double delta = idx - (double)(size_t)idx, b;

	if (k < 2 || delta == 0)
		return h[0];
	/* the next larger is the smaller child of the root */
	b = k > 2 && h[2] < h[1] ? h[2] : h[1];
	return (1 - delta) * h[0] + delta * b;
}

int64_t metrics_ref_decode_ns(const struct cost_model *c, uint32_t ctx)
{
	struct pol_item it = { .req = 0, .q_tokens = 1, .kv_prior = ctx,
			       .kv_read = ctx + 1, .decode = 1, .emits = 1 };
	struct pol_plan plan = { .items = &it, .n = 1, .decode_seqs = 1,
				 .decode_kv_read = ctx + 1 };
	struct sim_exec_result res;

	sim_exec_costmodel.run((void *)c, NULL, &plan, &res, NULL);
	return res.dur_ns;
}

int metrics_summarize(const struct sim *s, int64_t slo_tbt_ns,
		      struct metrics_summary *out, struct ss_err *err)
{
	const struct pol *p = &s->pol;
	size_t n = p->nreqs, nf = 0, k;
	double *ttft = NULL, *e2e = NULL, *queue = NULL, *tbt = NULL, *tmp = NULL;
	size_t *off = NULL;
	double q[4];
	int64_t first_arrival = INT64_MAX, last_finish = INT64_MIN;
	uint64_t out_tokens = 0, attained = 0;
	double queue_sum = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	ttft = malloc((n + 1) * sizeof(double));
	e2e = malloc((n + 1) * sizeof(double));
	queue = malloc((n + 1) * sizeof(double));
	tbt = malloc((p->ngaps + 1) * sizeof(double));
	tmp = malloc((p->ngaps + 1) * sizeof(double));
	off = calloc(n + 2, sizeof(size_t));
	if (!ttft || !e2e || !queue || !tbt || !tmp || !off) {
		rc = ss_error(err, SS_ENOMEM, "out of memory summarising");
		goto out_free;
	}
	for (k = 0; k < n; k++) {
		const struct pol_req *r = &p->reqs[k];

		if (r->arrival_ns < first_arrival)
			first_arrival = r->arrival_ns;
		if (r->state != POL_FINISHED)
			continue;
		ttft[nf] = ss_ns_to_s(r->first_token_ns - r->arrival_ns);
		e2e[nf] = ss_ns_to_s(r->finish_ns - r->arrival_ns);
		queue[nf] = ss_ns_to_s(r->first_sched_ns - r->arrival_ns);
		queue_sum += queue[nf];
		out_tokens += r->generated;
		if (r->finish_ns > last_finish)
			last_finish = r->finish_ns;
		nf++;
	}
	/* per-request P99 from the k largest gaps of each request */
	{
		struct topk t = { 0 };
		size_t tot = 0;

		t.off = off;
		t.cap = calloc(n + 1, sizeof(uint32_t));
		t.len = calloc(n + 1, sizeof(uint32_t));
		t.g = calloc(n + 1, sizeof(uint32_t));
		if (!t.cap || !t.len || !t.g) {
			free(t.cap);
			free(t.len);
			free(t.g);
			rc = ss_error(err, SS_ENOMEM, "out of memory");
			goto out_free;
		}
		for (k = 0; k < p->ngaps; k++)
			t.g[p->gaps[k].req]++;
		for (k = 0; k < n; k++) {
			uint32_t g = t.g[k];

			t.cap[k] = g ? g - (uint32_t)(0.99 * (double)(g - 1)) : 0;
			off[k] = tot;
			tot += t.cap[k];
		}
		t.heap = tot <= p->ngaps ? tmp : NULL; /* tot <= ngaps always */
		BUG_ON(!t.heap);
		for (k = 0; k < p->ngaps; k++) {
			uint32_t r = p->gaps[k].req;

			topk_push(t.heap + off[r], &t.len[r], t.cap[r],
				  ss_ns_to_s(p->gaps[k].gap_ns));
		}
		for (k = 0; k < n; k++) {
			const struct pol_req *r = &p->reqs[k];
			double rq = ss_ns_to_s(r->first_sched_ns - r->arrival_ns);
			double p99 = t.g[k] ? topk_p99(&t, k) : 0;

			if (r->state != POL_FINISHED)
				continue;
			if ((slo_tbt_ns <= 0 || p99 <= ss_ns_to_s(slo_tbt_ns)) &&
			    rq <= s->o.cfg->slo_queue_s)
				attained++;
		}
		free(t.cap);
		free(t.len);
		free(t.g);
	}
	for (k = 0; k < p->ngaps; k++)
		tbt[k] = ss_ns_to_s(p->gaps[k].gap_ns);

	double span = nf ? ss_ns_to_s(last_finish - first_arrival) : 0;

	put(out, "requests", (double)n);
	put(out, "finished", (double)nf);
	put(out, "rejected", (double)p->nrejected);
	put(out, "preemptions", (double)p->preemptions);
	put(out, "span_s", span);
	put(out, "output_tokens", (double)out_tokens);
	put(out, "throughput_tok_s", span > 0 ? out_tokens / span : 0);
	put(out, "throughput_req_s", span > 0 ? nf / span : 0);
	quantiles(ttft, nf, q);
	put(out, "ttft_mean_s", q[0]);
	put(out, "ttft_p50_s", q[1]);
	put(out, "ttft_p90_s", q[2]);
	put(out, "ttft_p99_s", q[3]);
	quantiles(tbt, p->ngaps, q);
	put(out, "tbt_mean_s", q[0]);
	put(out, "tbt_p50_s", q[1]);
	put(out, "tbt_p90_s", q[2]);
	put(out, "tbt_p99_s", q[3]);
	double tbt_p99 = q[3];
	quantiles(e2e, nf, q);
	put(out, "e2e_mean_s", q[0]);
	put(out, "e2e_p50_s", q[1]);
	put(out, "e2e_p90_s", q[2]);
	put(out, "e2e_p99_s", q[3]);
	quantiles(queue, nf, q);
	put(out, "queue_mean_s", q[0]);
	put(out, "queue_p99_s", q[3]);
	put(out, "slo_tbt_s", ss_ns_to_s(slo_tbt_ns));
	put(out, "slo_queue_s", s->o.cfg->slo_queue_s);
	put(out, "slo_attain_pct", nf ? 100.0 * attained / n : 0);
	put(out, "goodput_req_s", span > 0 ? attained / span : 0);
	put(out, "slo_met",
	    nf && (slo_tbt_ns <= 0 || !(tbt_p99 > ss_ns_to_s(slo_tbt_ns))) &&
			    queue_sum / nf <= s->o.cfg->slo_queue_s
		    ? 1
		    : 0);
	put(out, "iterations", (double)s->niters);
	{
		double b = 0;

		for (k = 0; k < s->niters; k++)
			b += s->iters[k].batch;
		put(out, "batch_mean", s->niters ? b / s->niters : 0);
	}
	put(out, "gpu_busy_s", ss_ns_to_s(s->totals.dur_ns));
	put(out, "kv_capacity_gb", s->kv_capacity / 1e9);
	put(out, "events", (double)s->events);
	/* offload presets: transfers, cache, batch control (0 otherwise) */
	{
		const struct sim_exec_result *t = &s->totals;
		double busy = (double)t->dur_ns, ws = 0, hb = 0, lp = 0;
		uint64_t looked = t->hits + t->blocks_loaded;

		for (k = 0; k < s->niters; k++) {
			const struct sim_iter_rec *r = &s->iters[k];

			if (r->ws_budget)
				ws += (double)r->ws_sum / (double)r->ws_budget;
			hb += r->held_back;
			lp += r->lp_layers;
		}
		put(out, "blocks_loaded", (double)t->blocks_loaded);
		put(out, "gb_loaded", t->bytes_loaded / 1e9);
		put(out, "blocks_saved", (double)t->blocks_saved);
		put(out, "gb_saved", t->bytes_saved / 1e9);
		put(out, "loads_per_iter",
		    s->niters ? (double)t->blocks_loaded / s->niters : 0);
		put(out, "hbm_hit_ratio", looked ? (double)t->hits / looked : 0);
		put(out, "ws_frac_mean", s->niters ? ws / s->niters : 0);
		put(out, "held_back", hb);
		put(out, "lp_layers", lp);
		put(out, "load_wait_s", ss_ns_to_s(t->load_ns));
		put(out, "stall_s", ss_ns_to_s(t->stall_ns));
		put(out, "pcie_h2d_busy",
		    busy > 0 ? (double)t->busy_ns[LINK_H2D] / busy : 0);
		put(out, "pcie_d2h_busy",
		    busy > 0 ? (double)t->busy_ns[LINK_D2H] / busy : 0);
	}
	/* offload.prefetch (only when on, so default outputs are unchanged):
	 * block-heads prefetched, and of them used and wasted */
	if (s->pol.off && s->pol.cfg.prefetch) {
		const struct pol_off *o = s->pol.off;

		put(out, "prefetch_blocks", (double)(o->pf_loaded * o->head_scale));
		put(out, "prefetch_used", (double)(o->pf_used * o->head_scale));
		put(out, "prefetch_wasted", (double)(o->pf_wasted * o->head_scale));
	}
	/* sampled mode (approximate; only when on): heads simulated */
	if (s->pol.off && s->pol.off->head_scale > 1)
		put(out, "sampled_kv_heads", (double)s->pol.off->shape.kv_heads);
out_free:
	free(ttft);
	free(e2e);
	free(queue);
	free(tbt);
	free(tmp);
	free(off);
	return rc;
}
