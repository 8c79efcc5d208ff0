/*
 * bench_speed.c - benchmark (not a test) of the simulator's speed.
 *
 *   build/sim-speed [--policy vllm] [--model llama-3.1-8b] [--profile h200]
 *                   [--reps 1,2,4,8] TRACE FORMAT [TRACE FORMAT ...]
 *
 * For each trace and replication factor r, the trace is concatenated r
 * times in time (copy k shifted by k x span, so the load stays the same and
 * the work grows r-fold) and simulated once; prints wall and CPU time of
 * the event loop and of the summary statistics, events per CPU second and
 * simulated seconds per CPU second (CPU time, so that a busy machine does
 * not distort the rate). Uses one core.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fileio.h"
#include "model/cost.h"
#include "model/model.h"
#include "sim/metrics.h"
#include "sim/sim.h"
#include "traces/trace.h"

#include "banned.h"

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int replicate(const struct trace *src, unsigned r, struct trace *out,
		     struct ss_err *err)
{
	int64_t span = src->req[src->n - 1].arrival_ns + SS_NS_PER_S;

	trace_init(out);
	for (unsigned k = 0; k < r; k++)
		for (size_t i = 0; i < src->n; i++) {
			struct trace_request q = src->req[i];

			q.id = k * src->n + i;
			q.arrival_ns += (int64_t)k * span;
			if (trace_push(out, &q, err))
				return SS_ENOMEM;
		}
	trace_finish(out, 1);
	return 0;
}

int main(int argc, char **argv)
{
	const char *policy = "vllm", *model = "llama-3.1-8b", *profile = "h200";
	char reps_s[64] = "1,2,4,8";
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'P' },
		{ "model", required_argument, NULL, 'm' },
		{ "profile", required_argument, NULL, 'p' },
		{ "reps", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct ss_err err;
	struct model m;
	struct hw_profile *hw;
	struct cost_model cost;
	struct sim_config cfg;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'P': policy = optarg; break;
		case 'm': model = optarg; break;
		case 'p': profile = optarg; break;
		case 'r': snprintf(reps_s, sizeof reps_s, "%s", optarg); break;
		default: return 2;
		}
	}
	if (optind >= argc || (argc - optind) % 2) {
		fprintf(stderr, "usage: sim-speed [--policy P] [--model M] "
				"[--profile H] [--reps 1,2,4,8] TRACE FORMAT ...\n");
		return 2;
	}
	if (model_load(&m, model, &err) || hw_profile_load(&hw, profile, &err)) {
		fprintf(stderr, "sim-speed: %s\n", err.msg);
		return 1;
	}
	cost.hw = hw;
	cost.m = &m;
	sim_config_default(&cfg);
	printf("%-40s %4s %8s %10s %9s %9s %9s %9s %12s %12s\n", "trace", "reps",
	       "requests", "events", "loop_s", "loop_cpu", "stats_s",
	       "stats_cpu", "events/cpu_s", "sim_s/cpu_s");
	for (int a = optind; a < argc; a += 2) {
		struct trace base;
		struct trace_load_opts lo = { 0 };
		char list[64], *save = NULL, *tok;

		trace_init(&base);
		if (trace_load(&base, argv[a], argv[a + 1], &lo, &err)) {
			fprintf(stderr, "sim-speed: %s\n", err.msg);
			return 1;
		}
		snprintf(list, sizeof list, "%s", reps_s);
		for (tok = strtok_r(list, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			uint64_t r;
			struct trace t;
			struct sim s;
			struct metrics_summary ms;
			struct sim_opts o = { .preset = pol_preset_find(policy),
					      .cfg = &cfg, .m = &m, .cost = &cost };
			double w0, c0, w1, c1, w2, c2;

			if (ss_parse_u64(tok, &r) || !r || !o.preset ||
			    replicate(&base, (unsigned)r, &t, &err))
				return 2;
			o.trace = &t;
			w0 = ss_wall_seconds();
			c0 = cpu_seconds();
			if (sim_init(&s, &o, &err) || sim_run(&s, &err)) {
				fprintf(stderr, "sim-speed: %s\n", err.msg);
				return 1;
			}
			w1 = ss_wall_seconds();
			c1 = cpu_seconds();
			if (metrics_summarize(&s, 0, &ms, &err))
				return 1;
			w2 = ss_wall_seconds();
			c2 = cpu_seconds();
			printf("%-40.40s %4llu %8zu %10llu %9.3f %9.3f %9.3f %9.3f "
			       "%12.0f %12.0f\n",
			       argv[a], (unsigned long long)r, t.n,
			       (unsigned long long)s.events, w1 - w0, c1 - c0,
			       w2 - w1, c2 - c1, s.events / (c1 - c0),
			       ss_ns_to_s(s.now) / (c1 - c0));
			fflush(stdout);
			sim_release(&s);
			trace_release(&t);
		}
		trace_release(&base);
	}
	hw_profile_free(hw);
	return 0;
}
