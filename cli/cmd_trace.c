/*
 * cmd_trace.c - `sparseserve trace`: inspect, convert and generate request
 * traces (traces/trace.h; docs/traces.md).
 *
 *   sparseserve trace stats TRACE [options] [--csv]
 *   sparseserve trace gen TRACE [options] [--out FILE.csv]
 *   sparseserve trace list
 *
 * TRACE is a file path or a synthetic spec such as
 * "synthetic:poisson:rate=0.2:count=500:lengths=longbench-v1-32k". The
 * transformations run in a fixed order: window, scale, cap, limit.
 * Exit codes: 0 ok, 1 failed, 2 usage.
 */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "cli.h"
#include "ss.h"
#include "traces/trace.h"

#include "banned.h"

struct trace_cli {
	const char *spec;        /* positional TRACE */
	const char *format;      /* --format, NULL: guess */
	const char *out;         /* gen --out, NULL: stdout */
	struct trace_load_opts lo;
	uint64_t seed;           /* --seed, default 1 */
	double win_start_s, win_end_s; /* --window, end < 0: open */
	int have_window;
	double scale;            /* --scale, 0: none */
	uint64_t cap, limit;     /* --cap-prompt, --limit (0: none) */
	int csv;                 /* stats --csv */
};

static const char common_help[] =
	"  TRACE                    a file, or synthetic:ARRIVAL:KEY=VALUE:..."
	":lengths=SOURCE\n"
	"  -f, --format F           azure, mooncake, burstgpt, csv, synthetic "
	"(default: guess)\n"
	"      --skip-bad           skip malformed lines and count them\n"
	"      --clamp-zero-output  read output length 0 as 1 (default: a bad "
	"line)\n"
	"      --keep-offset        keep absolute times (no shift to 0)\n"
	"  -s, --seed N             seed of the generator for synthetic traces "
	"(default 1)\n"
	"      --window A:B         keep arrivals in [A, B) seconds (B empty: "
	"to the end)\n"
	"      --scale X            multiply the request rate by X\n"
	"      --cap-prompt N       truncate prompts to N tokens\n"
	"      --limit N            keep the first N requests\n"
	"  -h, --help               this text\n";

static void usage_stats(FILE *f)
{
	fprintf(f, "usage: sparseserve trace stats TRACE [options] [--csv]\n"
		   "Print count, span, mean and peak-minute rate, and length "
		   "quantiles\n(min, p50, p90, p99, max, mean; GSL, "
		   "interpolated).\n\n%s"
		   "      --csv                one header line and one row\n",
		common_help);
}

static void usage_gen(FILE *f)
{
	fprintf(f, "usage: sparseserve trace gen TRACE [options] "
		   "[--out FILE.csv]\n"
		   "Write TRACE (after the transformations) as a plain CSV "
		   "trace\n(arrival_s,prompt_tokens,output_tokens), "
		   "atomically.\n\n%s"
		   "  -o, --out FILE           output file (default: "
		   "stdout)\n", common_help);
}

static void usage_top(FILE *f)
{
	fprintf(f, "usage: sparseserve trace <stats|gen|list> ...\n"
		   "  stats TRACE   statistics of a trace file or synthetic "
		   "spec\n"
		   "  gen TRACE     write a trace as plain CSV\n"
		   "  list          formats and named length distributions\n"
		   "'sparseserve trace <sub> --help' describes each; "
		   "docs/traces.md has the details.\n");
}

enum { OPT_SKIP = 256, OPT_CLAMP, OPT_KEEP, OPT_WINDOW, OPT_SCALE, OPT_CAP,
       OPT_LIMIT, OPT_CSV };

/* Parse options; 0 ok, 2 usage error (message printed), 3 help shown. */
static int parse_args(int argc, char **argv, int is_gen, struct trace_cli *c)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "skip-bad", no_argument, NULL, OPT_SKIP },
		{ "clamp-zero-output", no_argument, NULL, OPT_CLAMP },
		{ "keep-offset", no_argument, NULL, OPT_KEEP },
		{ "seed", required_argument, NULL, 's' },
		{ "window", required_argument, NULL, OPT_WINDOW },
		{ "scale", required_argument, NULL, OPT_SCALE },
		{ "cap-prompt", required_argument, NULL, OPT_CAP },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = is_gen ? "gen" : "stats";
	int o;

	memset(c, 0, sizeof(*c));
	c->seed = 1;
	optind = 0; /* glibc: full re-initialisation */
	while ((o = getopt_long(argc, argv, "f:s:o:h", opts, NULL)) != -1) {
		switch (o) {
		case 'f':
			c->format = optarg;
			break;
		case OPT_SKIP:
			c->lo.skip_bad = 1;
			break;
		case OPT_CLAMP:
			c->lo.clamp_zero_output = 1;
			break;
		case OPT_KEEP:
			c->lo.keep_offset = 1;
			break;
		case 's':
			if (ss_parse_u64(optarg, &c->seed))
				goto bad_value;
			break;
		case OPT_WINDOW: {
			char buf[128], *colon;

			snprintf(buf, sizeof(buf), "%s", optarg);
			colon = strchr(buf, ':');
			if (!colon)
				goto bad_value;
			*colon = '\0';
			c->win_end_s = -1;
			if (ss_parse_double(buf, &c->win_start_s) ||
			    c->win_start_s < 0 ||
			    (colon[1] &&
			     (ss_parse_double(colon + 1, &c->win_end_s) ||
			      c->win_end_s < c->win_start_s)))
				goto bad_value;
			c->have_window = 1;
			break;
		}
		case OPT_SCALE:
			if (ss_parse_double(optarg, &c->scale) ||
			    !(c->scale > 0))
				goto bad_value;
			break;
		case OPT_CAP:
			if (ss_parse_u64(optarg, &c->cap) || !c->cap ||
			    c->cap > UINT32_MAX)
				goto bad_value;
			break;
		case OPT_LIMIT:
			if (ss_parse_u64(optarg, &c->limit) || !c->limit)
				goto bad_value;
			break;
		case OPT_CSV:
			if (is_gen)
				goto not_here;
			c->csv = 1;
			break;
		case 'o':
			if (!is_gen)
				goto not_here;
			c->out = optarg;
			break;
		case 'h':
			(is_gen ? usage_gen : usage_stats)(stdout);
			return 3;
		default:
			(is_gen ? usage_gen : usage_stats)(stderr);
			return 2;
		}
		continue;
bad_value:
		for (int k = 0; opts[k].name; k++)
			if (opts[k].val == o)
				fprintf(stderr, "sparseserve trace %s: --%s: "
					"bad value '%s'\n", cmd, opts[k].name,
					optarg);
		return 2;
not_here:
		for (int k = 0; opts[k].name; k++)
			if (opts[k].val == o)
				fprintf(stderr, "sparseserve trace %s: option "
					"--%s is not valid here\n", cmd,
					opts[k].name);
		return 2;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "sparseserve trace %s: %s\n", cmd,
			optind >= argc ? "missing TRACE"
				       : "more than one TRACE given");
		(is_gen ? usage_gen : usage_stats)(stderr);
		return 2;
	}
	c->spec = argv[optind];
	return 0;
}

/* Load and transform; 0 or 1 (message printed). */
static int load(const struct trace_cli *c, const char *cmd, struct trace *t)
{
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	struct ss_err err = { 0 };
	int rc;

	if (!rng) {
		fprintf(stderr, "sparseserve trace %s: out of memory\n", cmd);
		return 1;
	}
	gsl_rng_set(rng, (unsigned long)c->seed);
	rc = trace_load_spec(t, c->spec, c->format, &c->lo, rng, &err);
	gsl_rng_free(rng);
	if (rc) {
		fprintf(stderr, "sparseserve trace %s: %s\n", cmd, err.msg);
		return 1;
	}
	if (t->skipped)
		fprintf(stderr, "sparseserve trace %s: skipped %" PRIu64
			" bad line%s; first: %s\n", cmd, t->skipped,
			t->skipped == 1 ? "" : "s", t->skipped_first);
	if (c->have_window)
		trace_window(t, c->win_start_s, c->win_end_s);
	if (c->scale > 0)
		trace_scale_rate(t, c->scale);
	if (c->cap)
		trace_cap_prompt(t, (uint32_t)c->cap);
	if (c->limit)
		trace_limit(t, (size_t)c->limit);
	return 0;
}

static void print_row(const char *name, const double *p)
{
	printf("%-8s", name);
	for (int i = 0; i < TRACE_P_MEAN; i++)
		printf(" %10.1f", p[i]);
	printf(" %10.1f\n", p[TRACE_P_MEAN]);
}

static int cmd_stats(int argc, char **argv)
{
	struct trace_stats s;
	struct ss_err err = { 0 };
	struct trace_cli c;
	struct trace t;
	int rc = parse_args(argc, argv, 0, &c);

	if (rc)
		return rc == 3 ? 0 : rc;
	trace_init(&t);
	if (load(&c, "stats", &t)) {
		trace_release(&t);
		return 1;
	}
	if (trace_compute_stats(&t, &s, &err)) {
		fprintf(stderr, "sparseserve trace stats: %s\n", err.msg);
		trace_release(&t);
		return 1;
	}
	if (c.csv) {
		printf("count,skipped,span_s,rate_mean,rate_peak_min,"
		       "in_min,in_p50,in_p90,in_p99,in_max,in_mean,"
		       "out_min,out_p50,out_p90,out_p99,out_max,out_mean\n");
		printf("%zu,%" PRIu64 ",%.9f,%.6f,%.6f", s.count, t.skipped,
		       s.span_s, s.rate_mean, s.rate_peak_min);
		for (int i = 0; i < TRACE_NP; i++)
			printf(",%.4f", s.in_p[i]);
		for (int i = 0; i < TRACE_NP; i++)
			printf(",%.4f", s.out_p[i]);
		printf("\n");
	} else {
		printf("trace:     %s\n", t.source);
		printf("requests:  %zu (skipped %" PRIu64 ")\n", s.count,
		       t.skipped);
		printf("span:      %.3f s\n", s.span_s);
		printf("rate:      mean %.3f req/s, peak minute %.3f req/s "
		       "(%.0f requests)\n", s.rate_mean, s.rate_peak_min,
		       s.rate_peak_min * 60);
		printf("tokens   %10s %10s %10s %10s %10s %10s\n", "min", "p50",
		       "p90", "p99", "max", "mean");
		print_row("input", s.in_p);
		print_row("output", s.out_p);
	}
	trace_release(&t);
	return 0;
}

static int cmd_gen(int argc, char **argv)
{
	struct ss_err err = { 0 };
	struct trace_cli c;
	struct trace t;
	int rc = parse_args(argc, argv, 1, &c);

	if (rc)
		return rc == 3 ? 0 : rc;
	trace_init(&t);
	if (load(&c, "gen", &t)) {
		trace_release(&t);
		return 1;
	}
	if (c.out && strcmp(c.out, "-"))
		rc = trace_save_csv(&t, c.out, &err);
	else
		rc = trace_write_csv(&t, stdout, &err);
	if (!rc && fflush(stdout))
		rc = ss_error(&err, SS_EIO, "cannot write to stdout");
	if (rc) {
		fprintf(stderr, "sparseserve trace gen: %s\n", err.msg);
		trace_release(&t);
		return 1;
	}
	if (c.out && strcmp(c.out, "-"))
		fprintf(stderr, "sparseserve trace gen: wrote %zu requests to "
			"%s\n", t.n, c.out);
	trace_release(&t);
	return 0;
}

static int cmd_list(void)
{
	printf("formats (--format):\n");
	for (int i = 0; trace_formats[i]; i++)
		printf("  %-10s %s\n", trace_formats[i]->name,
		       trace_formats[i]->help);
	printf("  %-10s synthetic:ARRIVAL:KEY=VALUE:...:lengths=SOURCE\n",
	       "synthetic");
	printf("named length distributions (lengths=NAME):\n");
	for (int i = 0; trace_synth_dists[i].name; i++)
		printf("  %-18s %s\n", trace_synth_dists[i].name,
		       trace_synth_dists[i].help);
	printf("other length sources: trace:PATH[:FORMAT], lengths:PATH, "
	       "fixed:P:O,\n  uniform:PMIN:PMAX:OMIN:OMAX, "
	       "lognormal:PMEDIAN:PSIGMA:OMEDIAN:OSIGMA\n");
	return 0;
}

static int run(int argc, char **argv)
{
	if (argc < 2) {
		usage_top(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage_top(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "stats"))
		return cmd_stats(argc - 1, argv + 1);
	if (!strcmp(argv[1], "gen"))
		return cmd_gen(argc - 1, argv + 1);
	if (!strcmp(argv[1], "list")) {
		if (argc > 2 && strcmp(argv[2], "--help") &&
		    strcmp(argv[2], "-h")) {
			fprintf(stderr, "sparseserve trace list: takes no "
				"arguments\n");
			return 2;
		}
		return cmd_list();
	}
	fprintf(stderr, "sparseserve trace: unknown subcommand '%s'\n",
		argv[1]);
	usage_top(stderr);
	return 2;
}

const struct cli_cmd cli_cmd_trace = { "trace", "inspect, convert and "
				       "generate request traces", run };
