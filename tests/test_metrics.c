/*
 * test_metrics.c - summary statistics of a run against an independent
 * computation: GSL quantiles of the sorted per-request and per-gap
 * samples, throughput over the span, SLO attainment counted by hand.
 */
#include <gsl/gsl_sort.h>
#include <hdf5.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "model/cost.h"
#include "sim/metrics.h"
#include "sim/output.h"
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

/* Fields of the per-request table read back by name (a subset). */
struct rowsub {
	uint64_t request_id;
	double arrival_s, ttft_s, queue_s, e2e_s, max_tbt_s;
	uint32_t preemptions;
	int32_t status;
};

/*
 * The per-request rows of the HDF5 file and of the CSV are the policy's
 * request states: every field checked for every request, on a tight HBM
 * so that preemptions and queueing are non-zero.
 */
static void t_result_files_match_state(void)
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
	char path[1024], dir[] = "/tmp/ss_rows_XXXXXX", h5[256], csv[256];

	snprintf(path, sizeof path, "%s/traces/data/conversation_trace.jsonl",
		 getenv("SS_SOURCE_ROOT") ? getenv("SS_SOURCE_ROOT") : ".");
	CHECK(mkdtemp(dir) != NULL);
	CHECK_EQ_I64(model_load(&m, "llama-3-8b-262k", &err), 0);
	CHECK_EQ_I64(hw_profile_load(&hw, "h200", &err), 0);
	cost.hw = hw;
	cost.m = &m;
	sim_config_default(&cfg);
	cfg.pol.gpu_mem_util = 0.3;
	trace_init(&t);
	CHECK_MSG(trace_load(&t, path, "mooncake", &lo, &err) == 0, "%s", err.msg);
	trace_limit(&t, 300);
	struct sim_opts o = { .preset = pol_preset_find("vllm"), .cfg = &cfg,
			      .m = &m, .cost = &cost, .trace = &t };
	CHECK_EQ_I64(sim_init(&s, &o, &err), 0);
	CHECK_EQ_I64(sim_run(&s, &err), 0);
	CHECK(s.pol.preemptions > 0);
	CHECK_EQ_I64(metrics_summarize(&s, 0, &ms, &err), 0);
	struct out_run run = { "vllm", &s, &ms };
	struct out_meta meta = { .command = "test", .config = "{}", .model = m.name,
				 .profile = "h200", .profile_kind = "analytic",
				 .trace = t.source, .seed = 1 };
	snprintf(h5, sizeof h5, "%s/r.h5", dir);
	snprintf(csv, sizeof csv, "%s/r.csv", dir);
	CHECK_EQ_I64(out_write_h5(h5, &meta, &run, 1, &err), 0);
	CHECK_EQ_I64(out_write_requests_csv(csv, &run, 1, &err), 0);

	/* HDF5: read a subset of the compound fields by name */
	hid_t f = H5Fopen(h5, H5F_ACC_RDONLY, H5P_DEFAULT);
	hid_t ds = H5Dopen2(f, "/vllm/requests", H5P_DEFAULT);
	hid_t ty = H5Tcreate(H5T_COMPOUND, sizeof(struct rowsub));
	H5Tinsert(ty, "request_id", HOFFSET(struct rowsub, request_id), H5T_NATIVE_UINT64);
	H5Tinsert(ty, "arrival_s", HOFFSET(struct rowsub, arrival_s), H5T_NATIVE_DOUBLE);
	H5Tinsert(ty, "ttft_s", HOFFSET(struct rowsub, ttft_s), H5T_NATIVE_DOUBLE);
	H5Tinsert(ty, "queue_s", HOFFSET(struct rowsub, queue_s), H5T_NATIVE_DOUBLE);
	H5Tinsert(ty, "e2e_s", HOFFSET(struct rowsub, e2e_s), H5T_NATIVE_DOUBLE);
	H5Tinsert(ty, "max_tbt_s", HOFFSET(struct rowsub, max_tbt_s), H5T_NATIVE_DOUBLE);
	H5Tinsert(ty, "preemptions", HOFFSET(struct rowsub, preemptions), H5T_NATIVE_UINT32);
	H5Tinsert(ty, "status", HOFFSET(struct rowsub, status), H5T_NATIVE_INT32);
	struct rowsub *rows = calloc(t.n, sizeof(*rows));
	CHECK(f >= 0 && ds >= 0 && rows);
	CHECK(H5Dread(ds, ty, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) >= 0);
	H5Tclose(ty);
	H5Dclose(ds);
	H5Fclose(f);

	FILE *fc = fopen(csv, "r");
	char line[1024];
	CHECK(fc && fgets(line, sizeof line, fc));
	for (size_t i = 0; i < t.n; i++) {
		const struct pol_req *r = &s.pol.reqs[i];
		double ttft = ss_ns_to_s(r->first_token_ns - r->arrival_ns);
		double queue = ss_ns_to_s(r->first_sched_ns - r->arrival_ns);
		double e2e = ss_ns_to_s(r->finish_ns - r->arrival_ns);

		CHECK_EQ_I64(r->state, POL_FINISHED);
		CHECK_EQ_U64(rows[i].request_id, r->id);
		CHECK_NEAR(rows[i].arrival_s, ss_ns_to_s(r->arrival_ns), 0);
		CHECK_NEAR(rows[i].ttft_s, ttft, 0);
		CHECK_NEAR(rows[i].queue_s, queue, 0);
		CHECK_NEAR(rows[i].e2e_s, e2e, 0);
		CHECK_EQ_U64(rows[i].preemptions, r->preemptions);
		CHECK_EQ_I64(rows[i].status, r->state);
		/* CSV: policy,request_id,arrival_s,prompt,output,first_token_s,
		 * finish_s,ttft_s,mean_tbt_s,max_tbt_s,e2e_s,queue_s,preemptions */
		char *fld[16], *save = NULL, *tok;
		int nf = 0;

		CHECK(fgets(line, sizeof line, fc) != NULL);
		/* split keeping empty fields (NaN is written as nothing) */
		for (tok = line; nf < 16; nf++) {
			fld[nf] = tok;
			tok = strchr(tok, ',');
			if (!tok)
				break;
			*tok++ = '\0';
		}
		(void)save;
		CHECK_MSG(nf >= 12, "short CSV row");
#define NUM(k) (*fld[k] ? strtod(fld[k], NULL) : NAN)
		CHECK(strcmp(fld[0], "vllm") == 0);
		CHECK_EQ_U64(strtoull(fld[1], NULL, 10), r->id);
		CHECK_EQ_U64(strtoul(fld[3], NULL, 10), r->prompt_tokens);
		CHECK_EQ_U64(strtoul(fld[4], NULL, 10), r->output_tokens);
		CHECK_NEAR(NUM(7), ttft, 1e-9);
		CHECK_NEAR(NUM(10), e2e, 1e-9);
		CHECK_NEAR(NUM(11), queue, 1e-9);
		if (r->generated > 1) {
			CHECK_NEAR(NUM(8), ss_ns_to_s(r->sum_tbt_ns) /
						   (r->generated - 1), 1e-9);
			CHECK_NEAR(NUM(9), ss_ns_to_s(r->max_tbt_ns), 1e-9);
			CHECK_NEAR(rows[i].max_tbt_s, ss_ns_to_s(r->max_tbt_ns), 0);
		} else {
			CHECK(isnan(NUM(8)) && isnan(NUM(9)));
			CHECK(isnan(rows[i].max_tbt_s));
		}
		CHECK_EQ_U64(strtoul(fld[12], NULL, 10), r->preemptions);
#undef NUM
	}
	fclose(fc);
	free(rows);
	sim_release(&s);
	trace_release(&t);
	hw_profile_free(hw);
}

static const struct th_case cases[] = {
	TH_CASE(t_summary_matches_sorted_quantiles),
	TH_CASE(t_result_files_match_state),
	{ 0 },
};

int main(int argc, char **argv) { return th_main(argc, argv, cases); }
