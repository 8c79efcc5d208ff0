/*
 * test_metrics.c - summary statistics of a run against an independent
 * computation: GSL quantiles of the sorted per-request and per-gap
 * samples, throughput over the span, SLO attainment counted by hand.
 */
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "model/cost.h"
#include "sim/metrics.h"
#include "sim/sim.h"
#include "traces/trace.h"

static void t_summary_matches_sorted_quantiles(void)
{
	struct model m;
	struct hw_profile *hw;
	struct cost_model cost;
	struct sim_config cfg;
	struct trace t;
	struct sim s;
	struct metrics_summary ms;
	struct ss_err err;
	struct trace_load_opts lo = { 0 };
	char path[1024];

	snprintf(path, sizeof path, "%s/traces/data/AzureLLMInferenceTrace_conv.csv",
		 getenv("SS_SOURCE_ROOT") ? getenv("SS_SOURCE_ROOT") : ".");
	CHECK_EQ_I64(model_load(&m, "llama-3.1-8b", &err), 0);
	CHECK_EQ_I64(hw_profile_load(&hw, "h200", &err), 0);
	cost.hw = hw;
	cost.m = &m;
	sim_config_default(&cfg);
	trace_init(&t);
	CHECK_MSG(trace_load(&t, path, "azure", &lo, &err) == 0, "%s", err.msg);
	trace_limit(&t, 1500);
	struct sim_opts o = { .preset = pol_preset_find("vllm"), .cfg = &cfg,
			      .m = &m, .cost = &cost, .trace = &t };
	CHECK_EQ_I64(sim_init(&s, &o, &err), 0);
	CHECK_EQ_I64(sim_run(&s, &err), 0);
	int64_t slo = 3 * metrics_ref_decode_ns(&cost, 1000);
	CHECK_EQ_I64(metrics_summarize(&s, slo, &ms, &err), 0);

	size_t n = s.pol.nreqs, g = s.pol.ngaps;
	double *ttft = malloc(n * sizeof(double)), *tbt = malloc(g * sizeof(double));
	double first = INFINITY, last = -INFINITY, tokens = 0;
	size_t nf = 0, attained = 0;

	for (size_t i = 0; i < n; i++) {
		const struct pol_req *r = &s.pol.reqs[i];

		if (r->state != POL_FINISHED)
			continue;
		ttft[nf++] = ss_ns_to_s(r->first_token_ns - r->arrival_ns);
		first = fmin(first, ss_ns_to_s(r->arrival_ns));
		last = fmax(last, ss_ns_to_s(r->finish_ns));
		tokens += r->generated;
		/* this request's own gaps, sorted: P99 by GSL */
		double *mine = malloc((r->generated + 1) * sizeof(double));
		size_t k = 0;
		for (size_t j = 0; j < g; j++)
			if (s.pol.gaps[j].req == i)
				mine[k++] = ss_ns_to_s(s.pol.gaps[j].gap_ns);
		gsl_sort(mine, 1, k);
		double p99 = k ? gsl_stats_quantile_from_sorted_data(mine, 1, k, 0.99) : 0;
		if (p99 <= ss_ns_to_s(slo) &&
		    ss_ns_to_s(r->first_sched_ns - r->arrival_ns) <= cfg.slo_queue_s)
			attained++;
		free(mine);
	}
	for (size_t j = 0; j < g; j++)
		tbt[j] = ss_ns_to_s(s.pol.gaps[j].gap_ns);
	gsl_sort(ttft, 1, nf);
	gsl_sort(tbt, 1, g);
	CHECK_EQ_U64(nf, 1500);
	CHECK_REL(metrics_get(&ms, "ttft_p50_s"),
		  gsl_stats_quantile_from_sorted_data(ttft, 1, nf, 0.5), 1e-12);
	CHECK_REL(metrics_get(&ms, "ttft_p99_s"),
		  gsl_stats_quantile_from_sorted_data(ttft, 1, nf, 0.99), 1e-12);
	CHECK_REL(metrics_get(&ms, "tbt_p90_s"),
		  gsl_stats_quantile_from_sorted_data(tbt, 1, g, 0.9), 1e-12);
	CHECK_REL(metrics_get(&ms, "tbt_p99_s"),
		  gsl_stats_quantile_from_sorted_data(tbt, 1, g, 0.99), 1e-12);
	CHECK_REL(metrics_get(&ms, "tbt_mean_s"), gsl_stats_mean(tbt, 1, g), 1e-9);
	CHECK_REL(metrics_get(&ms, "throughput_tok_s"), tokens / (last - first), 1e-9);
	CHECK_REL(metrics_get(&ms, "goodput_req_s"), attained / (last - first), 1e-9);
	CHECK(attained > 0 && attained < nf); /* the bound is tight on purpose */
	CHECK(isnan(metrics_get(&ms, "no_such_metric")));
	free(ttft);
	free(tbt);
	sim_release(&s);
	trace_release(&t);
	hw_profile_free(hw);
}

static const struct th_case cases[] = {
	TH_CASE(t_summary_matches_sorted_quantiles),
	{ 0 },
};

int main(int argc, char **argv) { return th_main(argc, argv, cases); }
