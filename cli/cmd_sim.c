/*
 * cmd_sim.c - `sparseserve sim`: replay a trace through one or more
 * serving policies on a hardware profile and write the results; and
 * `sparseserve live`, the same run with the live executor (live/live.h)
 * carrying out each iteration on the GPU instead of the cost model.
 */
#include <getopt.h>
#include <signal.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fileio.h"
#include "live/live.h"
#include "model/cost.h"
#include "model/model.h"
#include "sim/config.h"
#include "sim/metrics.h"
#include "sim/output.h"
#include "sim/sim.h"
#include "traces/trace.h"

#include "banned.h"

#define MAX_POLICIES 16
#define MAX_SETS 64

struct sim_args {
	const char *trace, *format, *model, *profile, *policies, *out;
	const char *csv, *summary_csv, *config, *selection;
	const char *sets[MAX_SETS];
	int nsets;
	double rate_scale, win_start, win_end;
	uint64_t max_prompt, limit, seed;
	int skip_bad, compare, quiet;
	double dram_gb;          /* host DRAM for KV (0: the profile's) */
	/* live */
	int live, realtime, verbose, serial_host, no_warmup;
	double hbm_budget_gb, digest_gb;
	uint64_t d2h_threads, h2d_ctas;
};

/* "sparseserve sim" or "sparseserve live", for messages */
static const char *prog = "sparseserve sim";

/* Raised by SIGINT/SIGTERM; the engine stops at the next event and the
 * results so far are written (a signal handler reaches only a file-scope
 * flag). A second signal ends the program at once. */
static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	stop_flag = 1;
	signal(sig, SIG_DFL);
}

static void usage(FILE *f, int live)
{
	if (live) {
		fprintf(f,
			"usage: sparseserve live --trace FILE|SPEC --model NAME|config.json\n"
			"                        --policy NAME[,NAME...] --out RUN.h5\n"
			"                        [--hbm-budget GB] [options of sim]\n"
			"\n"
			"Serves the trace on this machine's GPU: the simulator's engine\n"
			"and policy code, with every iteration carried out by the real\n"
			"kernels (model shapes of the chosen model, synthetic weights,\n"
			"HBM block cache, pinned DRAM pool for offload policies) and timed\n"
			"on the wall clock. Writes the same result files as sim.\n"
			"\n"
			"  --hbm-budget GB        cap the KV space in HBM (mem.hbm_budget_gb),\n"
			"                         e.g. the paper's 40 GB card on the H200\n"
			"  --dram-gb GB           pinned DRAM pool for offload policies\n"
			"                         (default 48; give sim the same to compare)\n"
			"  --digest-gb GB         cap on the DSA digest arena (default 16)\n"
			"  --d2h-threads N        FlashD2H scatter threads (default 8)\n"
			"  --h2d-ctas N           FlashH2D CTAs (default 16)\n"
			"  --realtime             wait through idle gaps on the wall clock\n"
			"                         (default: skip them; same result, faster)\n"
			"  --serial-host          offload policies: one host thread runs the\n"
			"                         policy and issues the GPU work (default: an\n"
			"                         issue thread issues layer l while the policy\n"
			"                         works on layer l + 1)\n"
			"  --no-warmup            no warm-up before each policy's run (default:\n"
			"                         a throwaway executor first serves two short\n"
			"                         requests, so that the run's first iteration\n"
			"                         does not load kernels and libraries, then\n"
			"                         calls every GEMM shape the run can reach)\n"
			"  -v                     sizes of the GPU allocations on stderr\n"
			"\n"
			"Every option of `sparseserve sim` applies (see sim --help); the\n"
			"profile sets the SLO reference and the HBM size the capacity is\n"
			"computed from.\n");
		return;
	}
	fprintf(f,
		"usage: sparseserve sim --trace FILE|SPEC --model NAME|config.json\n"
		"                       --profile NAME|FILE --policy NAME[,NAME...]\n"
		"                       --out RUN.h5 [options]\n"
		"\n"
		"Replays a request trace through simulated serving policies on a\n"
		"hardware profile and reports TTFT, TBT, E2E, throughput, goodput.\n"
		"\n"
		"  --trace FILE|SPEC      trace file, or a synthetic spec such as\n"
		"                         synthetic:poisson:rate=0.2:count=500:lengths=longbench-v1-32k\n"
		"  --format F             azure|mooncake|burstgpt|csv|synthetic (default: guess)\n"
		"  --model M              lwm-7b, llama-3-8b-262k, llama-3.1-8b,\n"
		"                         llama-3.1-70b, or a path to config.json\n"
		"  --profile P            h200 (default), a100-40g, gh200, or a file\n"
		"  --policy LIST          comma-separated: vllm, vllm-s, vllm-so, so-ft,\n"
		"                         so-ft-wc, sparseserve (default: vllm)\n"
		"  --selection SRC[:ARG]  DSA selections of offload policies: locality\n"
		"                         (default; ARG key=value,...) or replay:FILE.h5\n"
		"  --compare              run every policy side by side (with no --policy)\n"
		"  --rate-scale X         multiply the arrival rate by X\n"
		"  --window START:END     keep arrivals in [START, END) seconds\n"
		"  --max-prompt N         cap prompts at N tokens\n"
		"  --limit N              keep the first N requests\n"
		"  --skip-bad             skip malformed trace lines (and count them)\n"
		"  --seed N               seed of the run's one generator (default 1)\n"
		"  --config FILE          JSON file of config keys\n"
		"  --set KEY=VALUE        override a config key (repeatable)\n"
		"  --help-config          list config keys with defaults\n"
		"  --out RUN.h5           results (HDF5)\n"
		"  --csv FILE             per-request CSV\n"
		"  --summary-csv FILE     policy,metric,value CSV\n"
		"  --quiet                no table on stdout\n"
		"  --dram-gb GB           host DRAM for offloaded KV (default: the\n"
		"                         profile's)\n"
		"\n"
		"Exit status: 0 ok, 1 failed, 2 usage.\n");
}

static int parse_positive(const char *opt, const char *arg, double *out)
{
	if (ss_parse_double(arg, out) || !(*out > 0)) {
		fprintf(stderr, "%s: %s: '%s' is not a positive number\n", prog,
			opt, arg);
		return 2;
	}
	return 0;
}

static int parse_count(const char *opt, const char *arg, uint64_t max,
		       uint64_t *out)
{
	if (ss_parse_u64(arg, out) || !*out || *out > max) {
		fprintf(stderr, "%s: %s: '%s' is not a count in 1..%llu\n", prog,
			opt, arg, (unsigned long long)max);
		return 2;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct sim_args *a, int live)
{
	enum { O_RATE = 256, O_MAXP, O_LIMIT, O_SEED, O_SET, O_CSV, O_SCSV,
	       O_SKIP, O_CMP, O_CFG, O_HCFG, O_WIN, O_QUIET, O_SEL, O_DRAM,
	       O_HBM, O_DIG, O_D2H, O_H2D, O_RT, O_SER, O_NOWARM };
	static const struct option opts[] = {
		{ "trace", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'f' },
		{ "model", required_argument, NULL, 'm' },
		{ "profile", required_argument, NULL, 'p' },
		{ "policy", required_argument, NULL, 'P' },
		{ "out", required_argument, NULL, 'o' },
		{ "rate-scale", required_argument, NULL, O_RATE },
		{ "max-prompt", required_argument, NULL, O_MAXP },
		{ "limit", required_argument, NULL, O_LIMIT },
		{ "window", required_argument, NULL, O_WIN },
		{ "seed", required_argument, NULL, O_SEED },
		{ "set", required_argument, NULL, O_SET },
		{ "config", required_argument, NULL, O_CFG },
		{ "help-config", no_argument, NULL, O_HCFG },
		{ "csv", required_argument, NULL, O_CSV },
		{ "summary-csv", required_argument, NULL, O_SCSV },
		{ "skip-bad", no_argument, NULL, O_SKIP },
		{ "compare", no_argument, NULL, O_CMP },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "selection", required_argument, NULL, O_SEL },
		{ "dram-gb", required_argument, NULL, O_DRAM },
		{ "help", no_argument, NULL, 'h' },
		/* live only (below the end marker for sim) */
		{ NULL, 0, NULL, 0 },
		{ "hbm-budget", required_argument, NULL, O_HBM },
		{ "digest-gb", required_argument, NULL, O_DIG },
		{ "d2h-threads", required_argument, NULL, O_D2H },
		{ "h2d-ctas", required_argument, NULL, O_H2D },
		{ "realtime", no_argument, NULL, O_RT },
		{ "serial-host", no_argument, NULL, O_SER },
		{ "no-warmup", no_argument, NULL, O_NOWARM },
		{ NULL, 0, NULL, 0 },
	};
	static struct option live_opts[SS_ARRAY_SIZE(opts)];
	const struct option *use = opts;
	int c;

	if (live) {
		/* sim's options and live's, one table */
		size_t n = 0;

		for (size_t i = 0; i < SS_ARRAY_SIZE(opts); i++)
			if (opts[i].name)
				live_opts[n++] = opts[i];
		memset(&live_opts[n], 0, sizeof live_opts[n]);
		use = live_opts;
	}
	memset(a, 0, sizeof(*a));
	a->live = live;
	if (live)
		a->dram_gb = 48;
	a->profile = "h200";
	a->rate_scale = 1.0;
	a->seed = 1;
	a->win_end = -1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, live ? "t:f:m:p:P:o:hv" : "t:f:m:p:P:o:h",
				use, NULL)) != -1) {
		switch (c) {
		case 't': a->trace = optarg; break;
		case 'f': a->format = optarg; break;
		case 'm': a->model = optarg; break;
		case 'p': a->profile = optarg; break;
		case 'P': a->policies = optarg; break;
		case 'o': a->out = optarg; break;
		case O_CSV: a->csv = optarg; break;
		case O_SCSV: a->summary_csv = optarg; break;
		case O_CFG: a->config = optarg; break;
		case O_SKIP: a->skip_bad = 1; break;
		case O_CMP: a->compare = 1; break;
		case O_QUIET: a->quiet = 1; break;
		case O_SEL: a->selection = optarg; break;
		case O_RT: a->realtime = 1; break;
		case O_SER: a->serial_host = 1; break;
		case O_NOWARM: a->no_warmup = 1; break;
		case 'v': a->verbose = 1; break;
		case O_DRAM:
			if (parse_positive("--dram-gb", optarg, &a->dram_gb))
				return 2;
			break;
		case O_HBM:
			if (parse_positive("--hbm-budget", optarg,
					   &a->hbm_budget_gb))
				return 2;
			break;
		case O_DIG:
			if (parse_positive("--digest-gb", optarg, &a->digest_gb))
				return 2;
			break;
		case O_D2H:
			if (parse_count("--d2h-threads", optarg, 64,
					&a->d2h_threads))
				return 2;
			break;
		case O_H2D:
			if (parse_count("--h2d-ctas", optarg, 1024, &a->h2d_ctas))
				return 2;
			break;
		case O_RATE:
			if (ss_parse_double(optarg, &a->rate_scale) ||
			    a->rate_scale <= 0) {
				fprintf(stderr, "%s: --rate-scale: "
						"'%s' is not a positive number\n", prog,
					optarg);
				return 2;
			}
			break;
		case O_MAXP:
			if (ss_parse_u64(optarg, &a->max_prompt) ||
			    !a->max_prompt || a->max_prompt > UINT32_MAX) {
				fprintf(stderr, "%s: --max-prompt: "
						"'%s' is not a positive token count\n", prog,
					optarg);
				return 2;
			}
			break;
		case O_LIMIT:
			if (ss_parse_u64(optarg, &a->limit) || !a->limit) {
				fprintf(stderr, "%s: --limit: '%s' "
						"is not a positive count\n", prog,
					optarg);
				return 2;
			}
			break;
		case O_SEED:
			if (ss_parse_u64(optarg, &a->seed)) {
				fprintf(stderr, "%s: --seed: '%s' is "
						"not a non-negative integer\n", prog,
					optarg);
				return 2;
			}
			break;
		case O_WIN: {
			char buf[128], *colon;

			snprintf(buf, sizeof buf, "%s", optarg);
			colon = strchr(buf, ':');
			if (colon)
				*colon = '\0';
			if (!colon || ss_parse_double(buf, &a->win_start) ||
			    ss_parse_double(colon + 1, &a->win_end) ||
			    a->win_end <= a->win_start || a->win_start < 0) {
				fprintf(stderr, "%s: --window: '%s' "
						"is not START:END seconds with "
						"0 <= START < END\n", prog,
					optarg);
				return 2;
			}
			break;
		}
		case O_SET:
			if (a->nsets == MAX_SETS) {
				fprintf(stderr, "%s: too many --set\n", prog);
				return 2;
			}
			a->sets[a->nsets++] = optarg;
			break;
		case O_HCFG: {
			struct sim_config cfg;

			sim_config_default(&cfg);
			printf("config keys (--set KEY=VALUE or --config FILE):\n");
			sim_config_describe(&cfg, stdout);
			return 0;
		}
		case 'h':
			usage(stdout, live);
			return 0;
		default:
			fprintf(stderr, "%s: unknown or incomplete "
					"option '%s'\n", prog,
				argv[optind - 1]);
			usage(stderr, live);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog,
			argv[optind]);
		return 2;
	}
	if (!a->trace || !a->model || !a->out) {
		fprintf(stderr, "%s: --trace, --model and --out are "
				"required (see --help)\n", prog);
		return 2;
	}
	return -1; /* go on */
}


/* Errors about a temporary file name the file the user asked for. */
static void name_final(struct ss_err *err, const char *tmp, const char *final)
{
	char *at = *tmp ? strstr(err->msg, tmp) : NULL;
	char rest[sizeof(err->msg)];

	if (!at)
		return;
	snprintf(rest, sizeof rest, "%s", at + strlen(tmp));
	snprintf(at, sizeof(err->msg) - (size_t)(at - err->msg), "%s%s", final,
		 rest);
}


/*
 * The live executor's warm-up, before each policy's run (unless
 * --no-warmup): a throwaway executor with the run's model, policy and
 * config serves two requests of the trace's longest prompt (at most 4,096
 * tokens) and 8 output tokens each, arriving together, as fast as it can,
 * with a pinned pool just large enough and the default selection source.
 * The run's first iteration then finds the kernels loaded and the
 * libraries initialised: without it, it took 129-145 ms against 47 ms
 * for the same plan later (session 12), a cost a serving system pays
 * before it takes requests, not in the first one's TTFT. Then, on the
 * same executor, every GEMM shape the run can reach (live_warm_gemms):
 * cuBLAS loads a shape's kernel on its first call and the load waits for
 * the GPU. The loaded kernels outlive the throwaway executor's cuBLAS
 * handle (they are the process's: session 19's call 3, where the run's
 * new row counts no longer stalled). What it cannot warm: kernels only
 * the run reaches (loads from DRAM where two requests fit in HBM), and
 * row counts between the every-8th steps above LIVE_WARM_DENSE.
 */
static int live_warmup(const struct sim_opts *run, const struct live_opts *lo_run,
		       const struct model *m, struct ss_err *err)
{
	uint32_t P = SS_MAX(1u, SS_MIN(lo_run->max_prompt, 4096u));
	uint64_t need = 2ull * (P + 8) * m->layers * m->kv_bytes_per_token_layer;
	struct trace w;
	struct sim_opts so = *run;
	struct live_opts lo = *lo_run;
	struct live *lv = NULL;
	struct sim s;
	double t0 = ss_wall_seconds();
	int rc;

	trace_init(&w);
	for (uint64_t k = 0; k < 2; k++) {
		struct trace_request r = { .id = k, .arrival_ns = 0,
					   .prompt_tokens = P,
					   .output_tokens = 8 };

		if ((rc = trace_push(&w, &r, err)))
			goto out;
	}
	trace_finish(&w, 0);
	snprintf(w.source, sizeof w.source, "warm-up");
	/* a pool for two requests (and slack), no larger than the run's */
	so.dram_bytes = lo.pool_bytes =
		SS_MIN(run->dram_bytes ? run->dram_bytes : UINT64_MAX,
		       SS_MAX(need * 3 / 2, 256ull << 20));
	so.trace = &w;
	so.selection = lo.selection = NULL;
	lo.realtime = 0;
	lo.verbose = 0;
	lo.n_requests = 2;
	lo.max_prompt = P;
	lo.max_tokens = P + 8;
	if ((rc = live_create(&lv, m, &lo, err)))
		goto out;
	so.exec = &live_exec;
	so.exec_priv = lv;
	if (!(rc = sim_init(&s, &so, err))) {
		size_t iters;
		double gemm_s = 0;

		rc = sim_run(&s, err);
		iters = s.niters;
		/* every GEMM shape the run can reach, while the executor is
		 * attached (live_warm_gemms) */
		if (!rc)
			rc = live_warm_gemms(lv, &gemm_s, err);
		/* the executor goes before the engine, as after a run */
		live_free(lv);
		lv = NULL;
		sim_release(&s);
		if (!rc)
			fprintf(stderr,
				"%s: %s: warm-up, 2 requests of %u tokens: %zu "
				"iterations, and every GEMM shape (%.2f s): "
				"%.2f s\n",
				prog, run->preset->name, P, iters, gemm_s,
				ss_wall_seconds() - t0);
	}
out:
	live_free(lv);
	trace_release(&w);
	if (rc && err)
		ss_error_prefix(err, strstr(err->msg, run->preset->name)
					     ? "warm-up"
					     : "policy '%s': warm-up",
				run->preset->name);
	return rc;
}

int cli_sim_main(int argc, char **argv, int live)
{
	struct sim_args a;
	struct live **lvs = NULL;
	char executor[512] = "";
	struct ss_err err = { 0 };
	struct model m;
	struct hw_profile *hw = NULL;
	struct cost_model cost;
	struct trace t;
	struct trace_load_opts lopts = { 0 };
	struct sim_config cfg;
	const struct pol_preset *presets[MAX_POLICIES];
	struct sim *sims = NULL;
	struct metrics_summary *sums = NULL;
	struct out_run runs[MAX_POLICIES];
	int npol = 0, nruns = 0, rc, status = 1;
	char partial[sizeof(err.msg)] = "";
	gsl_rng *rng = NULL;
	char *cmdline = NULL, *cfg_json = NULL;
	char tmp_h5[4200] = "", tmp_csv[4200] = "", tmp_sum[4200] = "";
	double wall0 = ss_wall_seconds();

	prog = live ? "sparseserve live" : "sparseserve sim";
	rc = parse_args(argc, argv, &a, live);
	if (rc >= 0)
		return rc;
	stop_flag = 0;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	trace_init(&t);

	/* policies */
	if (!a.policies && a.compare) {
		for (int i = 0; pol_presets[i] && npol < MAX_POLICIES; i++)
			presets[npol++] = pol_presets[i];
	} else {
		char list[512], *save = NULL, *tok;

		snprintf(list, sizeof list, "%s", a.policies ? a.policies : "vllm");
		for (tok = strtok_r(list, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			const struct pol_preset *pp = pol_preset_find(tok);

			if (!pp) {
				fprintf(stderr, "%s: --policy: "
						"unknown policy '%s' (known:", prog,
					tok);
				for (int i = 0; pol_presets[i]; i++)
					fprintf(stderr, " %s", pol_presets[i]->name);
				fprintf(stderr, ")\n");
				return 2;
			}
			if (npol == MAX_POLICIES) {
				fprintf(stderr, "%s: too many policies\n", prog);
				return 2;
			}
			for (int k = 0; k < npol; k++)
				if (presets[k] == pp) {
					fprintf(stderr, "%s: --policy: "
							"'%s' given twice\n", prog,
						tok);
					return 2;
				}
			presets[npol++] = pp;
		}
		if (!npol) {
			fprintf(stderr, "%s: --policy: no policy "
					"named\n", prog);
			return 2;
		}
	}

	/* config: defaults, file, --set */
	sim_config_default(&cfg);
	if (a.config && sim_config_load(&cfg, a.config, &err))
		goto fail;
	for (int i = 0; i < a.nsets; i++)
		if (sim_config_set(&cfg, a.sets[i], "--set", &err))
			goto fail;
	if (a.hbm_budget_gb > 0)
		cfg.hbm_budget_gb = a.hbm_budget_gb;

	rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (!rng) {
		ss_error(&err, SS_ENOMEM, "out of memory");
		goto fail;
	}
	gsl_rng_set(rng, a.seed);

	if (model_load(&m, a.model, &err) ||
	    hw_profile_load(&hw, a.profile, &err) ||
	    sim_config_apply_hw(&cfg, hw, &err))
		goto fail;
	cost.hw = hw;
	cost.m = &m;
	if (cost_check_fit(&cost, &err))
		goto fail;

	lopts.skip_bad = a.skip_bad;
	if (trace_load_spec(&t, a.trace, a.format, &lopts, rng, &err))
		goto fail;
	if (t.skipped)
		fprintf(stderr, "%s: skipped %llu malformed lines "
				"of '%s'\n", prog,
			(unsigned long long)t.skipped, a.trace);
	if (a.win_end > 0)
		trace_window(&t, a.win_start, a.win_end);
	if (a.rate_scale != 1.0)
		trace_scale_rate(&t, a.rate_scale);
	if (a.max_prompt)
		trace_cap_prompt(&t, (uint32_t)a.max_prompt);
	if (a.limit)
		trace_limit(&t, (size_t)a.limit);
	/* virtual time is int64 ns: leave room for the run after the last
	 * arrival (292 years of headroom at INT64_MAX / 4) */
	if (t.n && t.req[t.n - 1].arrival_ns > INT64_MAX / 4) {
		ss_error(&err, SS_ERANGE,
			 "trace '%s': last arrival at %.3g s after the "
			 "transformations is beyond the simulator's time range",
			 a.trace, ss_ns_to_s(t.req[t.n - 1].arrival_ns));
		goto fail;
	}
	if (!t.n) {
		ss_error(&err, SS_EINVAL, "trace '%s': no requests left after "
					  "the transformations",
			 a.trace);
		goto fail;
	}

	uint32_t ref_ctx = cfg.slo_ref_context ? cfg.slo_ref_context
					       : trace_median_prompt(&t);
	int64_t slo_tbt = (int64_t)(cfg.slo_tbt_factor *
				    (double)metrics_ref_decode_ns(&cost, ref_ctx));

	sims = calloc((size_t)npol, sizeof(*sims));
	sums = calloc((size_t)npol, sizeof(*sums));
	lvs = calloc((size_t)npol, sizeof(*lvs));
	if (!sims || !sums || !lvs) {
		ss_error(&err, SS_ENOMEM, "out of memory");
		goto fail;
	}
	for (int i = 0; i < npol; i++) {
		struct sim_opts so = {
			.preset = presets[i],
			.cfg = &cfg,
			.m = &m,
			.cost = &cost,
			.trace = &t,
			.selection = a.selection,
			.seed = a.seed,
			.dram_bytes = (uint64_t)(a.dram_gb * 1e9),
		};

		if (live) {
			struct live_opts lo = {
				.seed = a.seed,
				.selection = a.selection,
				.realtime = a.realtime,
				.serial_host = a.serial_host,
				.d2h_threads = (uint32_t)a.d2h_threads,
				.h2d_ctas = (uint32_t)a.h2d_ctas,
				.digest_gb = a.digest_gb,
				.pool_bytes = so.dram_bytes,
				.n_requests = (uint32_t)SS_MIN(t.n, UINT32_MAX),
				.verbose = a.verbose,
				.cost = so.cost,
			};

			for (size_t r = 0; r < t.n; r++) {
				uint32_t len = t.req[r].prompt_tokens +
					       t.req[r].output_tokens;

				lo.max_tokens = SS_MAX(lo.max_tokens, len);
				lo.max_prompt = SS_MAX(lo.max_prompt,
						       t.req[r].prompt_tokens);
			}
			so.stop = &stop_flag;
			if (!a.no_warmup &&
			    (rc = live_warmup(&so, &lo, &m, &err))) {
				/* the policies before this one are results
				 * (partial), as when a run stops midway */
				if (!i && rc != SS_EINTR)
					goto fail;
				if (!i) {
					fprintf(stderr, "%s: %s\n", prog, err.msg);
					status = 130;
					goto out;
				}
				snprintf(partial, sizeof partial, "%s", err.msg);
				status = rc == SS_EINTR ? 130 : 1;
				npol = i;
				break;
			}
			if (live_create(&lvs[i], &m, &lo, &err))
				goto fail;
			so.exec = &live_exec;
			so.exec_priv = lvs[i];
		}
		so.stop = &stop_flag;
		rc = sim_init(&sims[i], &so, &err);
		if (!rc)
			rc = sim_run(&sims[i], &err);
		/* interrupted, or a live run failed midway: the requests served
		 * so far are results too; write them, marked partial */
		if (rc == SS_EINTR || (rc && live && sims[i].niters)) {
			if (!strstr(err.msg, presets[i]->name))
				ss_error_prefix(&err, "policy '%s'", presets[i]->name);
			snprintf(partial, sizeof partial, "%s", err.msg);
			status = rc == SS_EINTR ? 130 : 1;
			rc = 0;
			npol = i + 1; /* the later policies never ran */
		}
		if (rc || metrics_summarize(&sims[i], slo_tbt, &sums[i], &err)) {
			if (!strstr(err.msg, presets[i]->name))
				ss_error_prefix(&err, "policy '%s'", presets[i]->name);
			goto fail;
		}
		runs[i].policy = presets[i]->name;
		runs[i].sim = &sims[i];
		runs[i].summary = &sums[i];
		nruns = i + 1;
		if (live) {
			struct live_totals lt;

			live_get_totals(lvs[i], &lt);
			snprintf(executor, sizeof executor,
				 "live: %s, driver %d, runtime %d; "
				 SIM_MODEL_S_BY_LAYER "%s",
				 lt.device, lt.driver_version,
				 lt.runtime_version,
				 a.no_warmup ? "" : "; " SIM_GEMMS_WARMED);
			fprintf(stderr,
				"%s: %s on %s: %llu iterations, %.2f s of "
				"iterations (%.3f s planning, %.2f s issuing "
				"work, %.2f s GPU first-to-last kernel, %.2f s "
				"loads, %.2f s queueing saves, %.2f s saves "
				"landing after; issue thread %.2f s busy, %.2f s "
				"waited for), %.2f s idle skipped, %.2f GB "
				"loaded, %.2f GB saved, %.1f GB allocated on the "
				"GPU\n",
				prog, presets[i]->name, lt.device,
				(unsigned long long)lt.iterations, lt.wall_s,
				lt.host_plan_s, lt.host_s, lt.gpu_s, lt.load_s,
				lt.d2h_issue_s, lt.save_tail_s, lt.issue_s,
				lt.host_wait_s, lt.idle_skipped_s,
				lt.h2d_bytes / 1e9, lt.d2h_bytes / 1e9,
				lt.hbm_used / 1e9);
			/* the GPU and the pinned pool go back before the next
			 * policy's executor takes them */
			live_free(lvs[i]);
			lvs[i] = NULL;
		}
	}

	ss_tmp_name(a.out, tmp_h5, sizeof tmp_h5);
	if (a.csv)
		ss_tmp_name(a.csv, tmp_csv, sizeof tmp_csv);
	if (a.summary_csv)
		ss_tmp_name(a.summary_csv, tmp_sum, sizeof tmp_sum);
	cmdline = cli_command_line(argc, argv);
	cfg_json = sim_config_to_json(&cfg);
	{
		struct out_meta meta = {
			.command = cmdline,
			.config = cfg_json,
			.model = m.name,
			.profile = hw_profile_name(hw),
			.profile_kind = hw_profile_kind(hw),
			.trace = t.source,
			.seed = a.seed,
			.executor = live ? executor : NULL,
			.partial = *partial ? partial : NULL,
		};

		/* every output is written under a temporary name first and
		 * renamed only when all of them succeeded: a failed run leaves
		 * no new file and no earlier result overwritten */
		if (out_write_h5(tmp_h5, &meta, runs, nruns, &err))
			goto fail;
	}
	if (a.csv && out_write_requests_csv(tmp_csv, runs, nruns, &err))
		goto fail;
	if (a.summary_csv && out_write_summary_csv(tmp_sum, runs, nruns, &err))
		goto fail;
	if (ss_rename_into_place(tmp_h5, a.out, &err) ||
	    (a.csv && ss_rename_into_place(tmp_csv, a.csv, &err)) ||
	    (a.summary_csv && ss_rename_into_place(tmp_sum, a.summary_csv, &err)))
		goto fail;
	if (!a.quiet) {
		printf("trace %s: %zu requests; model %s; profile %s (%s)\n",
		       t.source, t.n, m.name, hw_profile_name(hw),
		       hw_profile_kind(hw));
		printf("SLO: P99 TBT <= %.1f ms (%.0f x %.2f ms decode at %u "
		       "tokens), mean queueing <= %.1f s\n\n",
		       ss_ns_to_s(slo_tbt) * 1e3, cfg.slo_tbt_factor,
		       ss_ns_to_s(slo_tbt) * 1e3 / cfg.slo_tbt_factor, ref_ctx,
		       cfg.slo_queue_s);
		out_print_compare(stdout, runs, nruns);
		fflush(stdout);
	}
	{
		uint64_t ev = 0;

		for (int i = 0; i < npol; i++)
			ev += sims[i].events;
		fprintf(stderr, "%s: %d polic%s, %zu requests, %llu "
				"events in %.2f s wall\n", prog,
			npol, npol == 1 ? "y" : "ies", t.n,
			(unsigned long long)ev, ss_wall_seconds() - wall0);
	}
	if (*partial) {
		fprintf(stderr, "%s: %s; the results so far are in '%s' "
				"(marked partial)\n",
			prog, partial, a.out);
		goto out; /* status set where the run stopped */
	}
	status = 0;
	goto out;
fail:
	name_final(&err, tmp_h5, a.out);
	if (a.csv)
		name_final(&err, tmp_csv, a.csv);
	if (a.summary_csv)
		name_final(&err, tmp_sum, a.summary_csv);
	fprintf(stderr, "%s: %s\n", prog, err.msg);
	status = 1;
	/* unlink the temporaries; final names are untouched until success */
	if (*tmp_h5)
		unlink(tmp_h5);
	if (*tmp_csv)
		unlink(tmp_csv);
	if (*tmp_sum)
		unlink(tmp_sum);
out:
	if (sims)
		for (int i = 0; i < npol; i++)
			sim_release(&sims[i]);
	if (lvs)
		for (int i = 0; i < npol; i++)
			live_free(lvs[i]);
	free(lvs);
	free(sims);
	free(sums);
	free(cmdline);
	free(cfg_json);
	trace_release(&t);
	hw_profile_free(hw);
	if (rng)
		gsl_rng_free(rng);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	return status;
}

static int run_sim(int argc, char **argv)
{
	return cli_sim_main(argc, argv, 0);
}

static int run_live(int argc, char **argv)
{
	return cli_sim_main(argc, argv, 1);
}

const struct cli_cmd cli_cmd_sim = {
	"sim", "simulate serving a trace under one or more policies", run_sim
};

const struct cli_cmd cli_cmd_live = {
	"live", "serve a trace on this GPU with the real kernels (same policies)",
	run_live
};
