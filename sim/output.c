/*
 * output.c - HDF5 and CSV results, stdout comparison table.
 */
#include "output.h"

#include <hdf5.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "h5util.h"

#include "banned.h"

/* Row of the HDF5 per-request table. */
struct h5_req {
	uint64_t request_id;
	double arrival_s;
	uint32_t prompt_tokens, output_tokens, generated;
	double first_token_s, finish_s, ttft_s, mean_tbt_s, max_tbt_s, e2e_s,
		queue_s;
	uint32_t preemptions;
	int32_t status; /* enum pol_state */
};

struct h5_iter {
	double start_s, dur_s;
	uint32_t batch, prefill_tokens, decode_seqs, preempted, waiting;
	uint64_t hbm_kv_bytes;
	uint64_t blocks_loaded, bytes_loaded, blocks_saved, bytes_saved, hits;
	uint64_t evictions;
	uint64_t ws_sum, ws_budget;
	uint32_t held_back, lp_layers;
	double load_s, stall_s, h2d_busy, d2h_busy;
	/* live runs only (0 in simulated ones) */
	double gpu_s, host_s, model_s;
	uint64_t gather_tokens;
	uint32_t sparse_layers;
	double issue_s, wait_s, gap_s;
	uint64_t prefill_layer_tokens, gather_layer_tokens;
	uint32_t load_layers, prefill_layers;
	double decode_ctx;
};

struct h5_metric {
	char name[48];
	double value;
};

static double nan_if_neg(int64_t ns)
{
	return ns < 0 ? NAN : ss_ns_to_s(ns);
}

static void req_row(const struct pol_req *r, struct h5_req *o)
{
	memset(o, 0, sizeof(*o));
	o->request_id = r->id;
	o->arrival_s = ss_ns_to_s(r->arrival_ns);
	o->prompt_tokens = r->prompt_tokens;
	o->output_tokens = r->output_tokens;
	o->generated = r->generated;
	o->first_token_s = nan_if_neg(r->first_token_ns);
	o->finish_s = nan_if_neg(r->finish_ns);
	o->ttft_s = r->first_token_ns < 0
			    ? NAN
			    : ss_ns_to_s(r->first_token_ns - r->arrival_ns);
	o->mean_tbt_s = r->generated > 1
				? ss_ns_to_s(r->sum_tbt_ns) / (r->generated - 1)
				: NAN;
	o->max_tbt_s = r->generated > 1 ? ss_ns_to_s(r->max_tbt_ns) : NAN;
	o->e2e_s = r->finish_ns < 0 ? NAN
				    : ss_ns_to_s(r->finish_ns - r->arrival_ns);
	o->queue_s = r->first_sched_ns < 0
			     ? NAN
			     : ss_ns_to_s(r->first_sched_ns - r->arrival_ns);
	o->preemptions = r->preemptions;
	o->status = (int32_t)r->state;
}

static const char *status_name(enum pol_state s)
{
	switch (s) {
	case POL_FINISHED: return "finished";
	case POL_REJECTED: return "rejected";
	case POL_WAITING: return "waiting";
	case POL_RUNNING: return "running";
	default: return "pending";
	}
}

static int write_table(hid_t grp, const char *name, hid_t type, size_t n,
		       const void *rows, hid_t dcpl)
{
	hsize_t dims[1] = { n };
	hid_t sp = H5Screate_simple(1, dims, NULL), ds;
	int rc = -1;

	ds = H5Dcreate2(grp, name, type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
	if (ds >= 0) {
		rc = (n == 0 || H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT,
					 rows) >= 0)
			     ? 0
			     : -1;
		H5Dclose(ds);
	}
	H5Sclose(sp);
	return rc;
}

static hid_t req_type(void)
{
	hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(struct h5_req));

#define F(n, ty) H5Tinsert(t, #n, HOFFSET(struct h5_req, n), ty)
	F(request_id, H5T_NATIVE_UINT64);
	F(arrival_s, H5T_NATIVE_DOUBLE);
	F(prompt_tokens, H5T_NATIVE_UINT32);
	F(output_tokens, H5T_NATIVE_UINT32);
	F(generated, H5T_NATIVE_UINT32);
	F(first_token_s, H5T_NATIVE_DOUBLE);
	F(finish_s, H5T_NATIVE_DOUBLE);
	F(ttft_s, H5T_NATIVE_DOUBLE);
	F(mean_tbt_s, H5T_NATIVE_DOUBLE);
	F(max_tbt_s, H5T_NATIVE_DOUBLE);
	F(e2e_s, H5T_NATIVE_DOUBLE);
	F(queue_s, H5T_NATIVE_DOUBLE);
	F(preemptions, H5T_NATIVE_UINT32);
	F(status, H5T_NATIVE_INT32);
#undef F
	return t;
}

static hid_t iter_type(void)
{
	hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(struct h5_iter));

#define F(n, ty) H5Tinsert(t, #n, HOFFSET(struct h5_iter, n), ty)
	F(start_s, H5T_NATIVE_DOUBLE);
	F(dur_s, H5T_NATIVE_DOUBLE);
	F(batch, H5T_NATIVE_UINT32);
	F(prefill_tokens, H5T_NATIVE_UINT32);
	F(decode_seqs, H5T_NATIVE_UINT32);
	F(preempted, H5T_NATIVE_UINT32);
	F(waiting, H5T_NATIVE_UINT32);
	F(hbm_kv_bytes, H5T_NATIVE_UINT64);
	F(blocks_loaded, H5T_NATIVE_UINT64);
	F(bytes_loaded, H5T_NATIVE_UINT64);
	F(blocks_saved, H5T_NATIVE_UINT64);
	F(bytes_saved, H5T_NATIVE_UINT64);
	F(hits, H5T_NATIVE_UINT64);
	F(evictions, H5T_NATIVE_UINT64);
	F(ws_sum, H5T_NATIVE_UINT64);
	F(ws_budget, H5T_NATIVE_UINT64);
	F(held_back, H5T_NATIVE_UINT32);
	F(lp_layers, H5T_NATIVE_UINT32);
	F(load_s, H5T_NATIVE_DOUBLE);
	F(stall_s, H5T_NATIVE_DOUBLE);
	F(h2d_busy, H5T_NATIVE_DOUBLE);
	F(d2h_busy, H5T_NATIVE_DOUBLE);
	F(gpu_s, H5T_NATIVE_DOUBLE);
	F(host_s, H5T_NATIVE_DOUBLE);
	F(model_s, H5T_NATIVE_DOUBLE);
	F(gather_tokens, H5T_NATIVE_UINT64);
	F(sparse_layers, H5T_NATIVE_UINT32);
	F(issue_s, H5T_NATIVE_DOUBLE);
	F(wait_s, H5T_NATIVE_DOUBLE);
	F(gap_s, H5T_NATIVE_DOUBLE);
	F(prefill_layer_tokens, H5T_NATIVE_UINT64);
	F(gather_layer_tokens, H5T_NATIVE_UINT64);
	F(load_layers, H5T_NATIVE_UINT32);
	F(prefill_layers, H5T_NATIVE_UINT32);
	F(decode_ctx, H5T_NATIVE_DOUBLE);
#undef F
	return t;
}

static hid_t metric_type(void)
{
	hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(struct h5_metric));
	hid_t s = H5Tcopy(H5T_C_S1);

	H5Tset_size(s, 48);
	H5Tinsert(t, "name", HOFFSET(struct h5_metric, name), s);
	H5Tinsert(t, "value", HOFFSET(struct h5_metric, value),
		  H5T_NATIVE_DOUBLE);
	H5Tclose(s);
	return t;
}

static int write_run(hid_t file, const struct out_run *run, hid_t gcpl,
		     hid_t dcpl)
{
	const struct sim *s = run->sim;
	const struct pol *p = &s->pol;
	struct h5_req *reqs = calloc(p->nreqs + 1, sizeof(*reqs));
	struct h5_iter *its = calloc(s->niters + 1, sizeof(*its));
	struct h5_metric *ms = calloc((size_t)run->summary->n + 1, sizeof(*ms));
	hid_t g = -1, rt = req_type(), it = iter_type(), mt = metric_type();
	int rc = -1;

	if (!reqs || !its || !ms)
		goto out;
	for (size_t k = 0; k < p->nreqs; k++)
		req_row(&p->reqs[k], &reqs[k]);
	for (size_t k = 0; k < s->niters; k++) {
		const struct sim_iter_rec *r = &s->iters[k];

		its[k].start_s = ss_ns_to_s(r->start_ns);
		its[k].dur_s = ss_ns_to_s(r->dur_ns);
		its[k].batch = r->batch;
		its[k].prefill_tokens = r->prefill_tokens;
		its[k].decode_seqs = r->decode_seqs;
		its[k].preempted = r->preempted;
		its[k].waiting = r->waiting;
		its[k].hbm_kv_bytes = r->hbm_kv_bytes;
		its[k].blocks_loaded = r->blocks_loaded;
		its[k].bytes_loaded = r->bytes_loaded;
		its[k].blocks_saved = r->blocks_saved;
		its[k].bytes_saved = r->bytes_saved;
		its[k].hits = r->hits;
		its[k].evictions = r->evictions;
		its[k].ws_sum = r->ws_sum;
		its[k].ws_budget = r->ws_budget;
		its[k].held_back = r->held_back;
		its[k].lp_layers = r->lp_layers;
		its[k].load_s = ss_ns_to_s(r->load_ns);
		its[k].stall_s = ss_ns_to_s(r->stall_ns);
		/* busy fraction of the iteration, per direction */
		its[k].h2d_busy = r->dur_ns ? (double)r->busy_ns[LINK_H2D] /
						      (double)r->dur_ns
					    : 0;
		its[k].d2h_busy = r->dur_ns ? (double)r->busy_ns[LINK_D2H] /
						      (double)r->dur_ns
					    : 0;
		its[k].gpu_s = ss_ns_to_s(r->gpu_ns);
		its[k].host_s = ss_ns_to_s(r->host_ns);
		its[k].model_s = ss_ns_to_s(r->model_ns);
		its[k].gather_tokens = r->gather_tokens;
		its[k].sparse_layers = r->sparse_layers;
		its[k].issue_s = ss_ns_to_s(r->issue_ns);
		its[k].wait_s = ss_ns_to_s(r->wait_ns);
		its[k].gap_s = ss_ns_to_s(r->gap_ns);
		its[k].prefill_layer_tokens = r->prefill_layer_tokens;
		its[k].gather_layer_tokens = r->gather_layer_tokens;
		its[k].load_layers = r->load_layers;
		its[k].prefill_layers = r->prefill_layers;
		its[k].decode_ctx = r->decode_ctx;
	}
	for (int k = 0; k < run->summary->n; k++) {
		snprintf(ms[k].name, sizeof ms[k].name, "%s",
			 run->summary->name[k]);
		ms[k].value = run->summary->value[k];
	}
	g = H5Gcreate2(file, run->policy, H5P_DEFAULT, gcpl, H5P_DEFAULT);
	if (g < 0)
		goto out;
	if (write_table(g, "requests", rt, p->nreqs, reqs, dcpl) ||
	    write_table(g, "iterations", it, s->niters, its, dcpl) ||
	    write_table(g, "summary", mt, (size_t)run->summary->n, ms, dcpl) ||
	    ss_h5_attr_str(g, "policy", run->policy) ||
	    ss_h5_attr_str(g, "status_codes",
		     "0 pending, 1 waiting, 2 running, 3 finished, 4 rejected"))
		goto out;
	rc = 0;
out:
	if (g >= 0)
		H5Gclose(g);
	H5Tclose(rt);
	H5Tclose(it);
	H5Tclose(mt);
	free(reqs);
	free(its);
	free(ms);
	return rc;
}

int out_write_h5(const char *path, const struct out_meta *meta,
		 const struct out_run *runs, int nruns, struct ss_err *err)
{
	char tmp[4200];
	hid_t fcpl, gcpl, dcpl, file, root;
	int rc = -1;

	ss_tmp_name(path, tmp, sizeof tmp);
	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
	fcpl = H5Pcreate(H5P_FILE_CREATE);
	gcpl = H5Pcreate(H5P_GROUP_CREATE);
	dcpl = H5Pcreate(H5P_DATASET_CREATE);
	/* no object timestamps: byte-identical files for identical runs */
	H5Pset_obj_track_times(fcpl, 0);
	H5Pset_obj_track_times(gcpl, 0);
	H5Pset_obj_track_times(dcpl, 0);
	file = H5Fcreate(tmp, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
	if (file < 0) {
		H5Pclose(fcpl);
		H5Pclose(gcpl);
		H5Pclose(dcpl);
		return ss_error(err, SS_EIO, "cannot write '%s'", path);
	}
	root = H5Gopen2(file, "/", H5P_DEFAULT);
	if (ss_h5_attr_str(root, "command", meta->command) ||
	    ss_h5_attr_str(root, "version", ss_version()) ||
	    ss_h5_attr_str(root, "config", meta->config) ||
	    ss_h5_attr_str(root, "model", meta->model) ||
	    ss_h5_attr_str(root, "profile", meta->profile) ||
	    ss_h5_attr_str(root, "profile_kind", meta->profile_kind) ||
	    ss_h5_attr_str(root, "trace", meta->trace) ||
	    ss_h5_attr_u64(root, "seed", meta->seed) ||
	    (meta->executor &&
	     ss_h5_attr_str(root, "executor", meta->executor)) ||
	    (meta->partial && ss_h5_attr_str(root, "partial", meta->partial)))
		goto out;
	for (int i = 0; i < nruns; i++)
		if (write_run(file, &runs[i], gcpl, dcpl))
			goto out;
	rc = 0;
out:
	H5Gclose(root);
	if (H5Fclose(file) < 0)
		rc = -1;
	H5Pclose(fcpl);
	H5Pclose(gcpl);
	H5Pclose(dcpl);
	if (rc) {
		remove(tmp);
		return ss_error(err, SS_EIO, "cannot write '%s' (HDF5 error)",
				path);
	}
	return ss_rename_into_place(tmp, path, err);
}

static void csv_num(FILE *f, double v)
{
	if (isnan(v))
		fputs(",", f);
	else
		fprintf(f, ",%.9f", v); /* seconds to the nanosecond */
}

int out_write_requests_csv(const char *path, const struct out_run *runs,
			   int nruns, struct ss_err *err)
{
	struct ss_afile af;
	int rc = ss_afile_open(&af, path, err);

	if (rc)
		return rc;
	fputs("policy,request_id,arrival_s,prompt_tokens,output_tokens,"
	      "first_token_s,finish_s,ttft_s,mean_tbt_s,max_tbt_s,e2e_s,"
	      "queue_s,preemptions,generated,status\n",
	      af.f);
	for (int i = 0; i < nruns; i++) {
		const struct pol *p = &runs[i].sim->pol;

		for (size_t k = 0; k < p->nreqs; k++) {
			struct h5_req r;

			req_row(&p->reqs[k], &r);
			fprintf(af.f, "%s,%" PRIu64, runs[i].policy,
				r.request_id);
			csv_num(af.f, r.arrival_s);
			fprintf(af.f, ",%u,%u", r.prompt_tokens,
				r.output_tokens);
			csv_num(af.f, r.first_token_s);
			csv_num(af.f, r.finish_s);
			csv_num(af.f, r.ttft_s);
			csv_num(af.f, r.mean_tbt_s);
			csv_num(af.f, r.max_tbt_s);
			csv_num(af.f, r.e2e_s);
			csv_num(af.f, r.queue_s);
			fprintf(af.f, ",%u,%u,%s\n", r.preemptions, r.generated,
				status_name(p->reqs[k].state));
		}
	}
	return ss_afile_commit(&af, err);
}

int out_write_summary_csv(const char *path, const struct out_run *runs,
			  int nruns, struct ss_err *err)
{
	struct ss_afile af;
	int rc = ss_afile_open(&af, path, err);

	if (rc)
		return rc;
	fputs("policy,metric,value\n", af.f);
	for (int i = 0; i < nruns; i++)
		for (int k = 0; k < runs[i].summary->n; k++)
			fprintf(af.f, "%s,%s,%.9g\n", runs[i].policy,
				runs[i].summary->name[k],
				runs[i].summary->value[k]);
	return ss_afile_commit(&af, err);
}

void out_print_compare(FILE *f, const struct out_run *runs, int nruns)
{
	static const struct {
		const char *metric, *label;
		double scale;
		int prec;
	} rows[] = {
		{ "finished", "requests finished", 1, 0 },
		{ "rejected", "requests rejected", 1, 0 },
		{ "ttft_mean_s", "TTFT mean (s)", 1, 3 },
		{ "ttft_p50_s", "TTFT p50 (s)", 1, 3 },
		{ "ttft_p99_s", "TTFT p99 (s)", 1, 3 },
		{ "tbt_mean_s", "TBT mean (ms)", 1e3, 2 },
		{ "tbt_p99_s", "TBT p99 (ms)", 1e3, 2 },
		{ "e2e_mean_s", "E2E mean (s)", 1, 2 },
		{ "queue_mean_s", "queueing mean (s)", 1, 3 },
		{ "throughput_tok_s", "throughput (tok/s)", 1, 1 },
		{ "throughput_req_s", "throughput (req/s)", 1, 3 },
		{ "goodput_req_s", "goodput (req/s)", 1, 3 },
		{ "slo_attain_pct", "SLO attained (%)", 1, 1 },
		{ "preemptions", "preemptions", 1, 0 },
		{ "batch_mean", "mean batch", 1, 1 },
		{ "kv_capacity_gb", "KV capacity (GB)", 1, 1 },
		{ "loads_per_iter", "block loads / iter", 1, 0 },
		{ "hbm_hit_ratio", "HBM hit ratio", 1, 3 },
		{ "held_back", "held back (req-iters)", 1, 0 },
		{ "pcie_h2d_busy", "PCIe H2D busy", 1, 3 },
		{ "pcie_d2h_busy", "PCIe D2H busy", 1, 3 },
	};

	fprintf(f, "%-22s", "metric");
	for (int i = 0; i < nruns; i++)
		fprintf(f, "%12s", runs[i].policy);
	fputc('\n', f);
	for (size_t r = 0; r < SS_ARRAY_SIZE(rows); r++) {
		fprintf(f, "%-22s", rows[r].label);
		for (int i = 0; i < nruns; i++) {
			double v = metrics_get(runs[i].summary, rows[r].metric);

			if (isnan(v))
				fprintf(f, "%12s", "-");
			else
				fprintf(f, "%12.*f", rows[r].prec,
					v * rows[r].scale);
		}
		fputc('\n', f);
	}
}
