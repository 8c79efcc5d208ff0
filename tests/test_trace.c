/*
 * test_trace.c - traces/: loaders (good and bad input, table-driven),
 * time stamp parsing, synthetic arrivals and lengths (statistical checks
 * at fixed seeds), determinism, trace specs, transformations, CSV round
 * trips, the shipped traces' published statistics, and the CLI.
 *
 * Small input files are written to a fresh mkdtemp directory per case.
 * The shipped data are found through SS_SOURCE_ROOT, the program through
 * SPARSESERVE (both set by tests/meson.build).
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "fileio.h"
#include "harness.h"
#include "ss.h"
#include "traces/trace.h"
#include "traces/trace_internal.h"

/* ---- helpers -------------------------------------------------------- */

static char tdir[64];

static void mk_tdir(void)
{
	snprintf(tdir, sizeof tdir, "/tmp/ss_trace_XXXXXX");
	CHECK(mkdtemp(tdir) != NULL);
}

/* Write `text` to tdir/name; the path goes to out. */
static void write_file(const char *name, const char *text, char *out,
		       size_t len)
{
	FILE *f;

	if (!tdir[0])
		mk_tdir();
	snprintf(out, len, "%s/%s", tdir, name);
	f = fopen(out, "w");
	CHECK(f != NULL);
	fputs(text, f);
	CHECK(fclose(f) == 0);
}

static int rm_one(const char *p, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

static void rm_tdir(void)
{
	if (tdir[0])
		nftw(tdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	tdir[0] = '\0';
}

static void data_path(const char *name, char *out, size_t len)
{
	const char *root = getenv("SS_SOURCE_ROOT");

	if (!root)
		TH_SKIP("SS_SOURCE_ROOT not set");
	snprintf(out, len, "%s/traces/data/%s", root, name);
}

static gsl_rng *rng_seeded(unsigned long seed)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);

	CHECK(r != NULL);
	gsl_rng_set(r, seed);
	return r;
}

/* ---- loaders: good input -------------------------------------------- */

struct good_case {
	const char *format;  /* NULL: guess */
	const char *file;
	const char *text;
	size_t n;
	int64_t last_ns;     /* arrival of the last request (first is 0) */
	uint32_t p0, o0;     /* lengths of the first request after sorting */
	uint64_t id0;        /* its id */
};

static const struct good_case good_cases[] = {
	/* Month end and midnight: 23:59:59.9999999 -> 00:00:00.1 */
	{ "azure", "a.csv",
	  "TIMESTAMP,ContextTokens,GeneratedTokens\n"
	  "2023-11-30 23:59:59.9999999,374,44\n"
	  "2023-12-01 00:00:00.1000000,396,109\n",
	  2, 100000100, 374, 44, 0 },
	/* Year end, fewer fraction digits, no fraction, CRLF, blank line */
	{ "azure", "b.csv",
	  "TIMESTAMP,ContextTokens,GeneratedTokens\r\n"
	  "2023-12-31 23:59:59.5,10,1\r\n\r\n"
	  "2024-01-01 00:00:01,20,2\r\n",
	  2, 1500000000, 10, 1, 0 },
	/* Leap day, time zones (Azure 2024 style) */
	{ "azure", "c.csv",
	  "TIMESTAMP,ContextTokens,GeneratedTokens\n"
	  "2024-02-28 23:00:00.000000+00:00,5,6\n"
	  "2024-03-01 01:00:00+01:00,7,8\n",
	  2, INT64_C(90000) * SS_NS_PER_S, 5, 6, 0 }, /* 25 h: leap day */
	/* Columns in another order, extra column, out of order, ties */
	{ "csv", "d.csv",
	  "output_tokens,note,arrival_s,prompt_tokens\n"
	  "3,x,2.5,30\n"
	  "1,y,0.000000001,10\n"
	  "2,z,2.5,20\n",
	  3, 2499999999, 10, 1, 1 },
	{ "mooncake", "e.jsonl",
	  "{\"timestamp\": 3051, \"input_length\": 6758, "
	  "\"output_length\": 500, \"hash_ids\": [0, 1]}\n"
	  "{\"timestamp\": 0, \"input_length\": 7, \"output_length\": 1}\n",
	  2, 3051000000, 7, 1, 1 },
	{ "burstgpt", "f.csv",
	  "Timestamp,Model,Request tokens,Response tokens,Total tokens,"
	  "Log Type\n"
	  "5,ChatGPT,472,18,490,Conversation log\n"
	  "45,GPT-4,1087,251,1338,API log\n",
	  2, 40 * SS_NS_PER_S, 472, 18, 0 },
	/* format guessed from the header / extension, UTF-8 BOM */
	{ NULL, "g.csv",
	  "\xef\xbb\xbfTIMESTAMP,ContextTokens,GeneratedTokens\n"
	  "2023-11-16 18:15:46.6805900,374,44\n",
	  1, 0, 374, 44, 0 },
	{ NULL, "h.jsonl",
	  "{\"timestamp\": 1.5, \"input_length\": 9, \"output_length\": 2}",
	  1, 0, 9, 2, 0 },
	{ NULL, "i.csv", "arrival_s,prompt_tokens,output_tokens\n0,1,1\n",
	  1, 0, 1, 1, 0 },
	{ NULL, "j.csv",
	  "Timestamp,Model,Request tokens,Response tokens,Total tokens,"
	  "Log Type\n0,ChatGPT,3,4,7,API log\n",
	  1, 0, 3, 4, 0 },
};

static void t_load_good(void)
{
	for (size_t i = 0; i < SS_ARRAY_SIZE(good_cases); i++) {
		const struct good_case *c = &good_cases[i];
		struct ss_err e = { 0 };
		struct trace t;
		char path[256];
		int rc;

		write_file(c->file, c->text, path, sizeof path);
		trace_init(&t);
		rc = trace_load(&t, path, c->format, NULL, &e);
		CHECK_MSG(rc == 0, "case %zu: %s", i, e.msg);
		CHECK_EQ_U64(t.n, c->n);
		CHECK_EQ_I64(t.req[0].arrival_ns, 0);
		CHECK_EQ_I64(t.req[t.n - 1].arrival_ns, c->last_ns);
		CHECK_EQ_U64(t.req[0].prompt_tokens, c->p0);
		CHECK_EQ_U64(t.req[0].output_tokens, c->o0);
		CHECK_EQ_U64(t.req[0].id, c->id0);
		CHECK_EQ_U64(t.skipped, 0);
		for (size_t k = 1; k < t.n; k++)
			CHECK(t.req[k - 1].arrival_ns < t.req[k].arrival_ns ||
			      (t.req[k - 1].arrival_ns == t.req[k].arrival_ns &&
			       t.req[k - 1].id < t.req[k].id));
		trace_release(&t);
	}
	rm_tdir();
}

static void t_keep_offset(void)
{
	struct trace_load_opts o = { .keep_offset = 1 };
	struct ss_err e;
	struct trace t;
	char path[256];

	write_file("a.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n"
		   "2023-11-16 18:15:46.6805900,374,44\n", path, sizeof path);
	trace_init(&t);
	CHECK_EQ_I64(trace_load(&t, path, "azure", &o, &e), 0);
	CHECK_EQ_I64(t.req[0].arrival_ns,
		     INT64_C(1700158546) * SS_NS_PER_S + 680590000);
	trace_release(&t);
	rm_tdir();
}

static void t_stamps(void)
{
	static const struct {
		const char *s;
		int64_t ns;
	} ok[] = {
		{ "1970-01-01 00:00:00", 0 },
		{ "1970-01-01T00:00:00.000000001", 1 },
		{ "1999-12-31 23:59:59", INT64_C(946684799) * SS_NS_PER_S },
		{ "2024-03-01 00:00:00", INT64_C(1709251200) * SS_NS_PER_S },
		{ "2024-03-01 00:00:00Z", INT64_C(1709251200) * SS_NS_PER_S },
		{ "2024-03-01 02:30:00+02:30",
		  INT64_C(1709251200) * SS_NS_PER_S },
		{ "2024-02-29 19:00:00-0500",
		  INT64_C(1709251200) * SS_NS_PER_S },
		{ "2023-11-16 18:15:46.6805900",
		  INT64_C(1700158546) * SS_NS_PER_S + 680590000 },
		{ "2000-02-29 00:00:00", INT64_C(951782400) * SS_NS_PER_S },
	};
	static const struct {
		const char *s, *why;
	} bad[] = {
		{ "2023-13-01 00:00:00", "not a valid date/time" },
		{ "2023-02-29 00:00:00", "not a valid date/time" },
		{ "1900-02-29 00:00:00", "not a valid date/time" },
		{ "2023-11-16 24:00:00", "not a valid date/time" },
		{ "2023-11-16 18:60:00", "not a valid date/time" },
		{ "2023-11-16 18:15:46.0123456789", "more than 9 fraction" },
		{ "2023-11-16 18:15:46.", "not a time stamp" },
		{ "2023-11-16", "not a time stamp" },
		{ "2023/11/16 18:15:46", "not a time stamp" },
		{ "2023-11-16 18:15:46 junk", "not a time stamp" },
		{ "", "empty" },
	};
	char why[160];
	int64_t ns;

	for (size_t i = 0; i < SS_ARRAY_SIZE(ok); i++) {
		CHECK_MSG(trace_parse_stamp(ok[i].s, &ns, why, sizeof why) == 0,
			  "%s: %s", ok[i].s, why);
		CHECK_EQ_I64(ns, ok[i].ns);
	}
	for (size_t i = 0; i < SS_ARRAY_SIZE(bad); i++) {
		CHECK_MSG(trace_parse_stamp(bad[i].s, &ns, why, sizeof why) ==
				  SS_EINVAL, "%s accepted", bad[i].s);
		CHECK_STR_CONTAINS(why, bad[i].why);
	}
}

static void t_seconds_exact(void)
{
	static const struct {
		const char *s;
		int64_t ns;
	} ok[] = {
		{ "0", 0 },
		{ "1700158546.680590001", INT64_C(1700158546680590001) },
		{ "0.0000000015", 2 }, /* 10th digit rounds half up */
		{ "0.9999999999", SS_NS_PER_S },
		{ ".5", 500000000 },
		{ "5.", 5 * SS_NS_PER_S },
		{ "1e3", 1000 * SS_NS_PER_S },
	};
	static const struct {
		const char *s, *why;
	} bad[] = {
		{ "nan", "not a number" }, { "inf", "not a number" },
		{ "abc", "not a number" }, { "-1", "negative" },
		{ "-0.5", "negative" },    { "1e20", "too large" },
		{ "12345678901", "too large" }, { ".", "not a number" },
		{ "", "empty" },
	};
	char why[160];
	int64_t ns;

	for (size_t i = 0; i < SS_ARRAY_SIZE(ok); i++) {
		CHECK_MSG(trace_parse_seconds(ok[i].s, &ns, why, sizeof why) ==
				  0, "%s: %s", ok[i].s, why);
		CHECK_EQ_I64(ns, ok[i].ns);
	}
	for (size_t i = 0; i < SS_ARRAY_SIZE(bad); i++) {
		CHECK_MSG(trace_parse_seconds(bad[i].s, &ns, why,
					      sizeof why) == SS_EINVAL,
			  "%s accepted", bad[i].s);
		CHECK_STR_CONTAINS(why, bad[i].why);
	}
}

/* ---- loaders: bad input -------------------------------------------------- */

/*
 * Each text has good rows and exactly one bad row; the message must name
 * file:line:field, and with skip_bad that row alone is skipped.
 */
struct bad_case {
	const char *format;
	const char *text;
	const char *msg;  /* expected after "<path>:" */
	size_t good;      /* rows kept with skip_bad */
};

#define AZ "TIMESTAMP,ContextTokens,GeneratedTokens\n"
#define AZ1 "2023-11-16 18:15:46.6805900,374,44\n"
#define MC1 "{\"timestamp\": 0, \"input_length\": 9, \"output_length\": 2}\n"
#define BG "Timestamp,Model,Request tokens,Response tokens,Total tokens," \
	   "Log Type\n"
#define PL "arrival_s,prompt_tokens,output_tokens\n"

static const struct bad_case bad_cases[] = {
	{ "azure", AZ AZ1 "2023-11-16 18:15:47,abc,44\n" AZ1,
	  "3: field 'ContextTokens': 'abc' is not a number", 2 },
	{ "azure", AZ AZ1 "2023-11-16 18:15:47,-5,44\n",
	  "3: field 'ContextTokens': negative (-5)", 1 },
	{ "azure", AZ AZ1 "2023-11-16 18:15:47,0,44\n",
	  "3: field 'ContextTokens': zero (must be >= 1)", 1 },
	{ "azure", AZ AZ1 "2023-11-16 18:15:47,5000000000,44\n",
	  "3: field 'ContextTokens': too large", 1 },
	{ "azure", AZ AZ1 "2023-11-16 18:15:47,12,0\n",
	  "3: field 'GeneratedTokens': zero (must be >= 1; "
	  "--clamp-zero-output", 1 },
	{ "azure", AZ AZ1 "2023-11-16 18:15:47,12,1.5\n",
	  "3: field 'GeneratedTokens': '1.5' is not an integer", 1 },
	{ "azure", AZ AZ1 "2023-11-16 18:15:47,12,\n",
	  "3: field 'GeneratedTokens': empty", 1 },
	{ "azure", AZ AZ1 "yesterday,12,5\n" AZ1,
	  "3: field 'TIMESTAMP': 'yesterday' is not a time stamp", 2 },
	{ "azure", AZ AZ1 "2023-02-30 10:00:00,12,5\n",
	  "3: field 'TIMESTAMP': '2023-02-30 10:00:00' is not a valid "
	  "date/time", 1 },
	{ "azure", AZ AZ1 "2023-11-16 18:15:47,12\n",
	  "3: field 'GeneratedTokens': missing", 1 },
	{ "azure", AZ AZ1 "2023-11-16 18:15:47,12,5,7\n",
	  "3: field '#extra': extra field (header has 3 columns)", 1 },
	{ "csv", PL "0,1,1\nnan,1,1\n", "3: field 'arrival_s': 'nan' is not "
	  "a number", 1 },
	{ "csv", PL "0,1,1\n-1.5,1,1\n", "3: field 'arrival_s': negative", 1 },
	{ "csv", PL "0,1,1\n\n1,x1,1\n",
	  "4: field 'prompt_tokens': 'x1' is not a number", 1 },
	{ "burstgpt", BG "0,ChatGPT,10,0,10,Conversation log\n"
	  "1,ChatGPT,10,3,13,Conversation log\n",
	  "2: field 'Response tokens': zero", 1 },
	{ "mooncake", MC1 "{\"timestamp\": 1, \"input_length\": 9,\n" MC1,
	  "2: field 'json': not valid JSON", 2 },
	{ "mooncake", MC1 "[1, 2]\n", "2: field 'json': not a JSON object",
	  1 },
	{ "mooncake", MC1 "{\"timestamp\": 1, \"output_length\": 2}\n",
	  "2: field 'input_length': missing", 1 },
	{ "mooncake",
	  MC1 "{\"timestamp\": 1, \"input_length\": 0, \"output_length\": 2}\n",
	  "2: field 'input_length': zero (must be >= 1)", 1 },
	{ "mooncake",
	  MC1 "{\"timestamp\": 1, \"input_length\": 5, \"output_length\": "
	      "\"2\"}\n",
	  "2: field 'output_length': not a number", 1 },
	{ "mooncake",
	  MC1 "{\"timestamp\": 1, \"input_length\": 5.5, \"output_length\": "
	      "2}\n",
	  "2: field 'input_length': not an integer (5.5)", 1 },
	{ "mooncake",
	  MC1 "{\"timestamp\": -3, \"input_length\": 5, \"output_length\": "
	      "2}\n",
	  "2: field 'timestamp': negative (-3)", 1 },
	{ "mooncake",
	  MC1 "{\"input_length\": 5, \"output_length\": 2}\n",
	  "2: field 'timestamp': missing", 1 },
	{ "mooncake",
	  MC1 "{\"timestamp\": 1, \"input_length\": 5, \"output_length\": 2, "
	      "\"hash_ids\": 7}\n",
	  "2: field 'hash_ids': not an array", 1 },
	{ "mooncake",
	  MC1 "{\"timestamp\": 1, \"input_length\": 5, \"output_length\": 2, "
	      "\"hash_ids\": [1, \"x\"]}\n",
	  "2: field 'hash_ids': element 1 is not a number", 1 },
};

static void t_load_bad(void)
{
	for (size_t i = 0; i < SS_ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct trace_load_opts skip = { .skip_bad = 1 };
		struct ss_err e = { 0 };
		char path[256], want[512];
		struct trace t;

		write_file("bad.txt", c->text, path, sizeof path);
		snprintf(want, sizeof want, "%s:%s", path, c->msg);
		trace_init(&t);
		CHECK_MSG(trace_load(&t, path, c->format, NULL, &e) ==
				  SS_EINVAL, "case %zu accepted", i);
		CHECK_MSG(strstr(e.msg, want) == e.msg,
			  "case %zu: '%s' does not start with '%s'", i, e.msg,
			  want);
		trace_release(&t);

		trace_init(&t);
		CHECK_MSG(trace_load(&t, path, c->format, &skip, &e) == 0,
			  "case %zu with skip_bad: %s", i, e.msg);
		CHECK_EQ_U64(t.skipped, 1);
		CHECK_EQ_U64(t.n, c->good);
		CHECK_MSG(strstr(t.skipped_first, want) == t.skipped_first,
			  "case %zu: first skipped '%s'", i, t.skipped_first);
		trace_release(&t);
	}
	rm_tdir();
}

static void t_load_file_errors(void)
{
	static const struct {
		const char *format, *text, *msg;
	} cases[] = {
		{ "azure", "", "empty file (no header)" },
		{ "azure", "\n  \n", "empty file (no header)" },
		{ "csv", PL, "no requests" },
		{ "mooncake", "", "empty file" },
		{ "azure", "TIMESTAMP,ContextTokens\n2023-11-16 18:15:46,3\n",
		  ":1: field 'GeneratedTokens': missing from the header" },
		{ "csv", "time,prompt_tokens,output_tokens\n1,2,3\n",
		  ":1: field 'arrival_s': missing from the header" },
		{ "nosuch", PL "0,1,1\n", "unknown trace format 'nosuch'" },
		{ NULL, "what,is,this\n1,2,3\n", "cannot guess the trace "
		  "format" },
	};
	struct trace_load_opts skip = { .skip_bad = 1 };
	struct ss_err e;
	struct trace t;
	char path[256];

	for (size_t i = 0; i < SS_ARRAY_SIZE(cases); i++) {
		write_file("f.csv", cases[i].text, path, sizeof path);
		trace_init(&t);
		CHECK_MSG(trace_load(&t, path, cases[i].format, NULL, &e) ==
				  SS_EINVAL, "case %zu accepted", i);
		CHECK_STR_CONTAINS(e.msg, cases[i].msg);
		trace_release(&t);
	}
	/* a missing file is named, with the reason */
	trace_init(&t);
	snprintf(path, sizeof path, "%s/nope.csv", tdir);
	CHECK(trace_load(&t, path, "azure", NULL, &e) == SS_EIO);
	CHECK_STR_CONTAINS(e.msg, "cannot open");
	CHECK_STR_CONTAINS(e.msg, path);
	CHECK(trace_load(&t, path, NULL, NULL, &e) == SS_EIO);
	CHECK_STR_CONTAINS(e.msg, path);
	/* every line skipped is still an error */
	write_file("g.csv", PL "x,1,1\n1,0,1\n", path, sizeof path);
	CHECK(trace_load(&t, path, "csv", &skip, &e) == SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "no requests (every line was skipped)");
	CHECK_EQ_U64(t.skipped, 2);
	trace_release(&t);
	rm_tdir();
}

static void t_clamp_zero_output(void)
{
	struct trace_load_opts o = { .clamp_zero_output = 1 };
	struct ss_err e;
	struct trace t;
	char path[256];

	write_file("z.csv", PL "0,5,0\n1,5,3\n", path, sizeof path);
	trace_init(&t);
	CHECK_EQ_I64(trace_load(&t, path, "csv", &o, &e), 0);
	CHECK_EQ_U64(t.req[0].output_tokens, 1);
	CHECK_EQ_U64(t.req[1].output_tokens, 3);
	trace_release(&t);
	/* prompts of zero stay errors */
	write_file("y.csv", PL "0,0,5\n", path, sizeof path);
	trace_init(&t);
	CHECK(trace_load(&t, path, "csv", &o, &e) == SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "field 'prompt_tokens': zero");
	trace_release(&t);
	rm_tdir();
}

static void t_registry(void)
{
	static const char *const names[] = { "azure", "mooncake", "burstgpt",
					     "csv" };
	size_t n = 0;

	for (size_t i = 0; i < SS_ARRAY_SIZE(names); i++) {
		const struct trace_format *f = trace_format_find(names[i]);

		CHECK(f != NULL && !strcmp(f->name, names[i]) && f->help &&
		      f->load);
	}
	while (trace_formats[n])
		n++;
	CHECK_EQ_U64(n, 4);
	CHECK(trace_format_find("synthetic") == NULL);
	CHECK(trace_format_find("Azure") == NULL);
}

/* ---- synthesis ------------------------------------------------------------ */

static void synth(struct trace *t, const char *arrival, double rate,
		  double cv, uint64_t count, const char *lengths,
		  unsigned long seed)
{
	struct trace_synth_opts o = { .arrival = arrival, .rate = rate,
				      .cv = cv, .count = count,
				      .lengths = lengths };
	gsl_rng *r = rng_seeded(seed);
	struct ss_err e = { 0 };

	trace_init(t);
	CHECK_MSG(trace_synth(t, &o, r, &e) == 0, "%s", e.msg);
	gsl_rng_free(r);
}

/* Inter-arrival gaps in seconds; caller frees. */
static double *gaps(const struct trace *t)
{
	double *g = malloc((t->n - 1) * sizeof(*g));

	CHECK(g != NULL);
	for (size_t i = 1; i < t->n; i++)
		g[i - 1] = ss_ns_to_s(t->req[i].arrival_ns -
				      t->req[i - 1].arrival_ns);
	return g;
}

static void t_synth_poisson(void)
{
	struct trace t;
	double *g, mean, sd;

	synth(&t, "poisson", 2.0, 0, 20001, "fixed:100:10", 42);
	CHECK_EQ_U64(t.n, 20001);
	CHECK_EQ_I64(t.req[0].arrival_ns, 0);
	g = gaps(&t);
	mean = gsl_stats_mean(g, 1, t.n - 1);
	sd = gsl_stats_sd_m(g, 1, t.n - 1, mean);
	CHECK_REL(mean, 0.5, 0.03);    /* 1/rate; 3% is > 4 standard errors */
	CHECK_REL(sd / mean, 1.0, 0.03); /* exponential: cv = 1 */
	for (size_t i = 0; i < t.n; i++)
		CHECK(t.req[i].prompt_tokens == 100 &&
		      t.req[i].output_tokens == 10);
	free(g);
	trace_release(&t);
}

static void t_synth_gamma(void)
{
	static const double cvs[] = { 0.5, 2.0 };

	for (size_t k = 0; k < SS_ARRAY_SIZE(cvs); k++) {
		struct trace t;
		double *g, mean, sd;

		synth(&t, "gamma", 0.25, cvs[k], 100001, "fixed:1:1", 7);
		g = gaps(&t);
		mean = gsl_stats_mean(g, 1, t.n - 1);
		sd = gsl_stats_sd_m(g, 1, t.n - 1, mean);
		CHECK_REL(mean, 4.0, 0.03);
		CHECK_REL(sd / mean, cvs[k], 0.05);
		free(g);
		trace_release(&t);
	}
}

static void t_synth_duration(void)
{
	struct trace_synth_opts o = { .arrival = "poisson", .rate = 5,
				      .duration_s = 2000,
				      .lengths = "fixed:1:1" };
	gsl_rng *r = rng_seeded(3);
	struct ss_err e;
	struct trace t;

	trace_init(&t);
	CHECK_EQ_I64(trace_synth(&t, &o, r, &e), 0);
	CHECK(t.req[t.n - 1].arrival_ns < 2000 * SS_NS_PER_S);
	/* Poisson count: mean 10000, sd 100 */
	CHECK_NEAR((double)t.n, 10000, 500);
	trace_release(&t);
	gsl_rng_free(r);
}

static void t_synth_deterministic(void)
{
	static const char *const src[] = { "longbench-v1-32k",
					   "lognormal:1000:1:100:0.5",
					   "uniform:1:9:1:3" };

	for (size_t k = 0; k < SS_ARRAY_SIZE(src); k++) {
		struct trace a, b, c;

		synth(&a, "gamma", 0.2, 1.5, 3000, src[k], 11);
		synth(&b, "gamma", 0.2, 1.5, 3000, src[k], 11);
		synth(&c, "gamma", 0.2, 1.5, 3000, src[k], 12);
		CHECK_EQ_U64(a.n, b.n);
		CHECK(memcmp(a.req, b.req, a.n * sizeof(*a.req)) == 0);
		CHECK(memcmp(a.req, c.req, a.n * sizeof(*a.req)) != 0);
		trace_release(&a);
		trace_release(&b);
		trace_release(&c);
	}
}

static void t_synth_length_sources(void)
{
	struct trace t, pool;
	char path[256], src[300];
	double *v;
	int lo_seen = 0, hi_seen = 0;
	struct ss_err e;

	/* uniform: inclusive bounds, both ends reached */
	synth(&t, "poisson", 1, 0, 5000, "uniform:10:12:3:3", 1);
	for (size_t i = 0; i < t.n; i++) {
		CHECK(t.req[i].prompt_tokens >= 10 &&
		      t.req[i].prompt_tokens <= 12);
		CHECK_EQ_U64(t.req[i].output_tokens, 3);
		lo_seen |= t.req[i].prompt_tokens == 10;
		hi_seen |= t.req[i].prompt_tokens == 12;
	}
	CHECK(lo_seen && hi_seen);
	trace_release(&t);

	/* lognormal: sample median near the given median */
	synth(&t, "poisson", 1, 0, 20000, "lognormal:2000:0.8:200:0.3", 5);
	v = malloc(t.n * sizeof(*v));
	CHECK(v != NULL);
	for (size_t i = 0; i < t.n; i++)
		v[i] = t.req[i].prompt_tokens;
	gsl_sort(v, 1, t.n);
	CHECK_REL(gsl_stats_median_from_sorted_data(v, 1, t.n), 2000, 0.03);
	free(v);
	trace_release(&t);

	/* trace:PATH[:FORMAT]: every drawn pair is a pair of the pool */
	write_file("p.csv", PL "0,100,1\n1,200,2\n2,300,3\n", path,
		   sizeof path);
	snprintf(src, sizeof src, "trace:%s:csv", path);
	synth(&t, "poisson", 1, 0, 300, src, 9);
	for (size_t i = 0; i < t.n; i++)
		CHECK_EQ_U64(t.req[i].prompt_tokens,
			     100 * t.req[i].output_tokens);
	trace_release(&t);
	snprintf(src, sizeof src, "trace:%s", path); /* format guessed */
	synth(&t, "poisson", 1, 0, 10, src, 9);
	trace_release(&t);

	/* lengths:PATH with either header */
	write_file("l.csv", "num_prefill_tokens,num_decode_tokens,"
		   "num_total_tokens,pd_ratio\n3772,54,3826,69.8\n",
		   path, sizeof path);
	snprintf(src, sizeof src, "lengths:%s", path);
	synth(&t, "poisson", 1, 0, 5, src, 9);
	CHECK(t.req[4].prompt_tokens == 3772 && t.req[4].output_tokens == 54);
	trace_release(&t);
	write_file("m.csv", "prompt_tokens,output_tokens\n7,8\n", path,
		   sizeof path);
	snprintf(src, sizeof src, "lengths:%s", path);
	synth(&t, "poisson", 1, 0, 5, src, 9);
	CHECK(t.req[0].prompt_tokens == 7 && t.req[0].output_tokens == 8);
	trace_release(&t);

	/* a bad length file names file:line:field */
	write_file("n.csv", "prompt_tokens,output_tokens\n7,8\n7,-1\n", path,
		   sizeof path);
	snprintf(src, sizeof src, "lengths:%s", path);
	trace_init(&pool);
	{
		struct trace_synth_opts o = { .arrival = "poisson", .rate = 1,
					      .count = 5, .lengths = src };
		gsl_rng *r = rng_seeded(1);

		CHECK(trace_synth(&pool, &o, r, &e) == SS_EINVAL);
		CHECK_STR_CONTAINS(e.msg, ":3: field 'output_tokens': "
				   "negative");
		gsl_rng_free(r);
	}
	trace_release(&pool);
	rm_tdir();
}

static void t_synth_bad_opts(void)
{
	static const struct {
		struct trace_synth_opts o;
		const char *msg;
	} cases[] = {
		{ { "uniform", 1, 1, 10, 0, "fixed:1:1" },
		  "field 'arrival': 'uniform' is unknown" },
		{ { "poisson", 0, 1, 10, 0, "fixed:1:1" }, "field 'rate'" },
		{ { "poisson", -2, 1, 10, 0, "fixed:1:1" }, "field 'rate'" },
		{ { "poisson", NAN, 1, 10, 0, "fixed:1:1" }, "field 'rate'" },
		{ { "gamma", 1, 0, 10, 0, "fixed:1:1" }, "field 'cv'" },
		{ { "poisson", 1, 1, 0, 0, "fixed:1:1" }, "field 'count'" },
		{ { "poisson", 1, 1, 0, -1, "fixed:1:1" }, "field 'count'" },
		{ { "poisson", 1e6, 1, 0, 1e6, "fixed:1:1" },
		  "more than 100000000 requests" },
		{ { "poisson", 1e-9, 1, 100, 0, "fixed:1:1" },
		  "arrivals beyond 9e9 s" },
		{ { "poisson", 1, 1, 10, 0, NULL }, "field 'lengths'" },
		{ { "poisson", 1, 1, 10, 0, "zipf" },
		  "lengths 'zipf': unknown" },
		{ { "poisson", 1, 1, 10, 0, "fixed:0:1" },
		  "parameter 1: must be an integer >= 1" },
		{ { "poisson", 1, 1, 10, 0, "fixed:5" },
		  "expected 2 numbers, got 1" },
		{ { "poisson", 1, 1, 10, 0, "fixed:5:1:2" },
		  "expected 2 numbers" },
		{ { "poisson", 1, 1, 10, 0, "fixed:5:x" },
		  "parameter 2: 'x' is not a number" },
		{ { "poisson", 1, 1, 10, 0, "uniform:9:1:1:1" },
		  "minimum above maximum" },
		{ { "poisson", 1, 1, 10, 0, "lognormal:100:-1:10:1" },
		  "sigmas must be in [0, 10]" },
		{ { "poisson", 1, 1, 10, 0, "lognormal:0:1:10:1" },
		  "medians must be >= 1" },
		{ { "poisson", 1, 1, 10, 0, "trace:/nonexistent/t.csv:csv" },
		  "cannot open '/nonexistent/t.csv'" },
	};
	gsl_rng *r = rng_seeded(1);

	for (size_t i = 0; i < SS_ARRAY_SIZE(cases); i++) {
		struct ss_err e = { 0 };
		struct trace t;

		trace_init(&t);
		CHECK_MSG(trace_synth(&t, &cases[i].o, r, &e) < 0,
			  "case %zu accepted", i);
		CHECK_STR_CONTAINS(e.msg, cases[i].msg);
		trace_release(&t);
	}
	gsl_rng_free(r);
}

/* Mean of the uncapped LongBench mix, tokens: sum w_i m_i / sum w_i. */
static double longbench_mean(void)
{
	double num = 0, den = 0;

	for (size_t i = 0; trace_longbench_v1[i].name; i++) {
		const struct trace_lb_task *k = &trace_longbench_v1[i];

		num += k->samples * k->avg_len *
		       trace_lb_tokens_per_unit[k->unit];
		den += k->samples;
	}
	return num / den;
}

static void t_longbench(void)
{
	struct trace t;
	double sum = 0;
	size_t n512 = 0, at_cap = 0;
	uint32_t max = 0;

	synth(&t, "poisson", 0.2, 0, 50000, "longbench-v1", 21);
	for (size_t i = 0; i < t.n; i++) {
		uint32_t o = t.req[i].output_tokens;

		sum += t.req[i].prompt_tokens;
		CHECK(o == 64 || o == 128 || o == 512);
		n512 += o == 512;
	}
	CHECK_REL(sum / (double)t.n, longbench_mean(), 0.02);
	/* 4 summarisation sets x 200 of 2750 samples get 512 tokens */
	CHECK_REL((double)n512 / (double)t.n, 800.0 / 2750.0, 0.03);
	trace_release(&t);

	synth(&t, "poisson", 0.2, 0, 20000, "longbench-v1-32k", 21);
	for (size_t i = 0; i < t.n; i++) {
		max = SS_MAX(max, t.req[i].prompt_tokens);
		at_cap += t.req[i].prompt_tokens == 32768;
	}
	CHECK_EQ_U64(max, 32768);
	CHECK(at_cap > 0 && at_cap < t.n / 10);
	trace_release(&t);

	max = 0;
	synth(&t, "poisson", 0.2, 0, 20000, "longbench-v1-128k", 21);
	for (size_t i = 0; i < t.n; i++)
		max = SS_MAX(max, t.req[i].prompt_tokens);
	CHECK(max <= 131072 && max > 32768);
	trace_release(&t);

	for (size_t i = 0; trace_synth_dists[i].name; i++) {
		synth(&t, "poisson", 1, 0, 3, trace_synth_dists[i].name, 1);
		CHECK(trace_synth_dists[i].help != NULL);
		trace_release(&t);
	}
}

/* The embedded LongBench table equals the shipped CSV, row by row. */
static void t_longbench_table(void)
{
	char path[512], *buf, *line, *f[16];
	struct trace_lines L;
	struct ss_err e;
	size_t len, matched = 0;

	data_path("longbench_v1_task_stats.csv", path, sizeof path);
	CHECK_EQ_I64(ss_read_file(path, &buf, &len, &e), 0);
	trace_lines_init(&L, buf, len, path);
	CHECK((line = trace_lines_next(&L)) != NULL);
	CHECK_STR_CONTAINS(line, "avg_len,avg_len_unit,samples,"
			   "max_new_tokens");
	while ((line = trace_lines_next(&L))) {
		if (trace_line_blank(line))
			continue;
		CHECK_EQ_I64(trace_csv_split(line, f, 16), 8);
		for (size_t i = 0; trace_longbench_v1[i].name; i++) {
			const struct trace_lb_task *k = &trace_longbench_v1[i];

			if (strcasecmp(k->name, f[0]))
				continue;
			CHECK_NEAR(k->avg_len, strtod(f[4], NULL), 0);
			CHECK_EQ_U64(k->samples, strtoul(f[6], NULL, 10));
			CHECK_EQ_U64(k->max_new_tokens,
				     strtoul(f[7], NULL, 10));
			CHECK(!strcmp(f[5], k->unit == LB_CHARS_ZH ? "chars"
								   : "words"));
			CHECK((k->unit == LB_CODE_WORDS) ==
			      (strcmp(f[2], "Code") == 0));
			matched++;
		}
	}
	CHECK_EQ_U64(matched, 11); /* the paper's eleven data sets */
	free(buf);
}

/* ---- trace specs ------------------------------------------------------------ */

static void t_spec_good(void)
{
	struct trace a, b;
	struct ss_err e;
	gsl_rng *r = rng_seeded(5);

	trace_init(&a);
	CHECK_EQ_I64(trace_load_spec(&a, "synthetic:poisson:rate=0.2:"
				     "count=500:lengths=longbench-v1-32k",
				     NULL, NULL, r, &e), 0);
	CHECK_EQ_U64(a.n, 500);
	CHECK_STR_CONTAINS(a.source, "synthetic:poisson:rate=0.2");
	/* the same through trace_synth with the same seed */
	gsl_rng_set(r, 5);
	synth(&b, "poisson", 0.2, 0, 500, "longbench-v1-32k", 5);
	CHECK(memcmp(a.req, b.req, a.n * sizeof(*a.req)) == 0);
	trace_release(&a);
	trace_release(&b);

	/* --format synthetic without the prefix; keys in any order;
	 * lengths with colons in its value */
	trace_init(&a);
	CHECK_EQ_I64(trace_load_spec(&a, "count=10:arrival=gamma:cv=2:"
				     "rate=1:lengths=fixed:7:3", "synthetic",
				     NULL, r, &e), 0);
	CHECK(a.n == 10 && a.req[9].prompt_tokens == 7 &&
	      a.req[9].output_tokens == 3);
	trace_release(&a);
	trace_init(&a);
	CHECK_EQ_I64(trace_load_spec(&a, "synthetic:gamma:rate=1:cv=0.5:"
				     "duration=100:lengths=uniform:1:2:1:2",
				     NULL, NULL, r, &e), 0);
	CHECK(a.n > 50 && a.req[a.n - 1].arrival_ns < 100 * SS_NS_PER_S);
	trace_release(&a);
	gsl_rng_free(r);
}

static void t_spec_bad(void)
{
	static const struct {
		const char *spec, *format, *msg;
	} cases[] = {
		{ "synthetic:poisson:rate=1:count=5:speed=3:lengths=fixed:1:1",
		  NULL, "key 'speed': unknown" },
		{ "synthetic:poisson:count=5:lengths=fixed:1:1", NULL,
		  "key 'rate': missing" },
		{ "synthetic:poisson:rate=x:count=5:lengths=fixed:1:1", NULL,
		  "key 'rate': 'x' is not a number" },
		{ "synthetic:poisson:rate=1:rate=2:count=5:lengths=fixed:1:1",
		  NULL, "key 'rate': given twice" },
		{ "synthetic:poisson:rate=1:count=0:lengths=fixed:1:1", NULL,
		  "key 'count': '0' is not an integer >= 1" },
		{ "synthetic:poisson:rate=1:lengths=fixed:1:1", NULL,
		  "exactly one of count= and duration=" },
		{ "synthetic:poisson:rate=1:count=5:duration=9:lengths=fixed:"
		  "1:1", NULL, "exactly one of count= and duration=" },
		{ "synthetic:poisson:rate=1:cv=2:count=5:lengths=fixed:1:1",
		  NULL, "key 'cv': only for gamma arrivals" },
		{ "synthetic:poisson:rate=1:count=5", NULL,
		  "key 'lengths': missing" },
		{ "synthetic:weibull:rate=1:count=5:lengths=fixed:1:1", NULL,
		  "'weibull' is not KEY=VALUE" },
		{ "synthetic:arrival=weibull:rate=1:count=5:lengths=fixed:1:1",
		  NULL, "field 'arrival': 'weibull' is unknown" },
		{ "synthetic:poisson:rate=1:count=5:lengths=longbench-v3",
		  NULL, "lengths 'longbench-v3': unknown" },
		{ "synthetic:poisson:rate=1:count=5:lengths=fixed:1:1", "azure",
		  "synthetic, but --format is 'azure'" },
	};
	gsl_rng *r = rng_seeded(5);
	struct ss_err e;
	struct trace t;

	for (size_t i = 0; i < SS_ARRAY_SIZE(cases); i++) {
		trace_init(&t);
		CHECK_MSG(trace_load_spec(&t, cases[i].spec, cases[i].format,
					  NULL, r, &e) == SS_EINVAL,
			  "case %zu accepted", i);
		CHECK_STR_CONTAINS(e.msg, cases[i].msg);
		trace_release(&t);
	}
	trace_init(&t);
	CHECK(trace_load_spec(&t, "synthetic:poisson:rate=1:count=5:lengths="
			      "fixed:1:1", NULL, NULL, NULL, &e) == SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "need a seeded generator");
	/* a file path goes to the loaders, with or without rng */
	CHECK(trace_load_spec(&t, "/nonexistent/x.csv", "csv", NULL, NULL,
			      &e) == SS_EIO);
	CHECK_STR_CONTAINS(e.msg, "/nonexistent/x.csv");
	trace_release(&t);
	gsl_rng_free(r);
}

/* ---- transformations ----------------------------------------------------- */

static void make_small(struct trace *t)
{
	/* arrivals 0, 1, 2, ..., 9 s; prompt 1000*(i+1) */
	trace_init(t);
	for (int i = 0; i < 10; i++) {
		struct trace_request r = { .id = (uint64_t)i,
					   .arrival_ns = i * SS_NS_PER_S,
					   .prompt_tokens = 1000u * (i + 1),
					   .output_tokens = 5 };
		CHECK_EQ_I64(trace_push(t, &r, NULL), 0);
	}
	trace_finish(t, 0);
}

static void t_transforms(void)
{
	struct trace t;

	make_small(&t);
	trace_window(&t, 2.0, 5.0); /* keeps 2, 3, 4 */
	CHECK_EQ_U64(t.n, 3);
	CHECK_EQ_I64(t.req[0].arrival_ns, 0);
	CHECK_EQ_I64(t.req[2].arrival_ns, 2 * SS_NS_PER_S);
	CHECK_EQ_U64(t.req[0].id, 2);
	trace_release(&t);

	make_small(&t);
	trace_window(&t, 7.5, -1); /* open end: 8, 9 */
	CHECK_EQ_U64(t.n, 2);
	CHECK_EQ_I64(t.req[0].arrival_ns, 500000000);
	trace_window(&t, 0, INFINITY); /* saturates instead of overflowing */
	CHECK_EQ_U64(t.n, 2);
	trace_window(&t, 1e30, -1);
	CHECK_EQ_U64(t.n, 0);
	trace_release(&t);

	make_small(&t);
	trace_scale_rate(&t, 1e-12); /* 9 s -> 9e12 s saturates, in order */
	CHECK_EQ_I64(t.req[9].arrival_ns, INT64_MAX);
	for (size_t i = 1; i < t.n; i++)
		CHECK(t.req[i - 1].arrival_ns <= t.req[i].arrival_ns);
	trace_release(&t);

	make_small(&t);
	trace_scale_rate(&t, 4.0);
	CHECK_EQ_I64(t.req[9].arrival_ns, 2250000000);
	trace_scale_rate(&t, 0.5);
	CHECK_EQ_I64(t.req[9].arrival_ns, 4500000000);
	trace_scale_rate(&t, 3.0); /* rounding: 1/3 s -> 333333333 ns */
	CHECK_EQ_I64(t.req[1].arrival_ns, 166666667);
	for (size_t i = 1; i < t.n; i++)
		CHECK(t.req[i - 1].arrival_ns <= t.req[i].arrival_ns);
	trace_release(&t);

	make_small(&t);
	trace_cap_prompt(&t, 4500);
	CHECK_EQ_U64(t.req[3].prompt_tokens, 4000);
	CHECK_EQ_U64(t.req[4].prompt_tokens, 4500);
	CHECK_EQ_U64(t.req[9].prompt_tokens, 4500);
	trace_limit(&t, 4);
	CHECK_EQ_U64(t.n, 4);
	trace_limit(&t, 100);
	CHECK_EQ_U64(t.n, 4);
	trace_release(&t);
}

static void t_stats_small(void)
{
	struct trace_stats s;
	struct ss_err e;
	struct trace t;

	make_small(&t);
	CHECK_EQ_I64(trace_compute_stats(&t, &s, &e), 0);
	CHECK_EQ_U64(s.count, 10);
	CHECK_NEAR(s.span_s, 9.0, 1e-12);
	CHECK_NEAR(s.rate_mean, 10.0 / 9.0, 1e-12);
	CHECK_NEAR(s.rate_peak_min, 10.0 / 60.0, 1e-12);
	CHECK_NEAR(s.in_p[TRACE_P_MIN], 1000, 0);
	CHECK_NEAR(s.in_p[TRACE_P50], 5500, 1e-9); /* interpolated */
	CHECK_NEAR(s.in_p[TRACE_P90], 9100, 1e-9);
	CHECK_NEAR(s.in_p[TRACE_P_MAX], 10000, 0);
	CHECK_NEAR(s.in_p[TRACE_P_MEAN], 5500, 1e-9);
	CHECK_NEAR(s.out_p[TRACE_P99], 5, 0);
	trace_release(&t);
	trace_init(&t);
	CHECK(trace_compute_stats(&t, &s, &e) == SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "empty trace");
}

static void t_csv_roundtrip(void)
{
	struct trace a, b;
	struct ss_err e;
	char path[256];

	synth(&a, "gamma", 3, 2, 2000, "longbench-v1-128k", 99);
	trace_scale_rate(&a, 1.7); /* odd nanoseconds */
	if (!tdir[0])
		mk_tdir();
	snprintf(path, sizeof path, "%s/rt.csv", tdir);
	CHECK_EQ_I64(trace_save_csv(&a, path, &e), 0);
	trace_init(&b);
	CHECK_EQ_I64(trace_load(&b, path, NULL, NULL, &e), 0);
	CHECK_EQ_U64(a.n, b.n);
	for (size_t i = 0; i < a.n; i++) {
		CHECK_EQ_I64(a.req[i].arrival_ns, b.req[i].arrival_ns);
		CHECK_EQ_U64(a.req[i].prompt_tokens, b.req[i].prompt_tokens);
		CHECK_EQ_U64(a.req[i].output_tokens, b.req[i].output_tokens);
	}
	snprintf(path, sizeof path, "%s/no/such/dir.csv", tdir);
	CHECK(trace_save_csv(&a, path, &e) == SS_EIO);
	CHECK_STR_CONTAINS(e.msg, path);
	trace_release(&a);
	trace_release(&b);
	rm_tdir();
}

/* ---- shipped traces ----------------------------------------------------- */

static void load_shipped(const char *name, const char *format,
			 struct trace *t, struct trace_stats *s)
{
	char path[512];
	struct ss_err e = { 0 };

	data_path(name, path, sizeof path);
	trace_init(t);
	CHECK_MSG(trace_load(t, path, format, NULL, &e) == 0, "%s", e.msg);
	CHECK_EQ_I64(trace_compute_stats(t, s, &e), 0);
}

/* Numbers from shared/traces/README.md (traces/data/README.md). */
static void t_shipped_azure(void)
{
	struct trace_stats s;
	struct trace t;

	load_shipped("AzureLLMInferenceTrace_conv.csv", NULL, &t, &s);
	CHECK_EQ_U64(s.count, 19366);
	CHECK_NEAR(s.span_s, 3501.7, 0.05);
	CHECK_NEAR(s.rate_mean, 5.53, 0.005);
	CHECK_NEAR(s.rate_peak_min * 60, 507, 1e-9);
	CHECK_NEAR(s.in_p[TRACE_P_MIN], 2, 0);
	CHECK_NEAR(s.in_p[TRACE_P50], 1020, 0);
	CHECK_NEAR(s.in_p[TRACE_P99], 4142, 0);
	CHECK_NEAR(s.in_p[TRACE_P_MAX], 14050, 0);
	CHECK_NEAR(s.in_p[TRACE_P_MEAN], 1154.7, 0.05);
	CHECK_NEAR(s.out_p[TRACE_P_MIN], 7, 0);
	CHECK_NEAR(s.out_p[TRACE_P50], 129, 0);
	CHECK_NEAR(s.out_p[TRACE_P99], 601, 0);
	CHECK_NEAR(s.out_p[TRACE_P_MAX], 1000, 0);
	CHECK_NEAR(s.out_p[TRACE_P_MEAN], 211.1, 0.05);
	/* first row of the file: 2023-11-16 18:15:46.6805900,374,44 */
	CHECK(t.req[0].prompt_tokens == 374 && t.req[0].output_tokens == 44);
	/* last: 19:14:08.4025270 */
	CHECK_EQ_I64(t.req[t.n - 1].arrival_ns,
		     INT64_C(3501721937000));
	trace_release(&t);
}

static void t_shipped_mooncake(void)
{
	struct trace_stats s;
	struct trace t;

	load_shipped("conversation_trace.jsonl", "mooncake", &t, &s);
	CHECK_EQ_U64(s.count, 12031);
	CHECK_NEAR(s.span_s, 3536.999, 1e-9);
	CHECK_NEAR(s.rate_mean, 3.40, 0.005);
	CHECK_NEAR(s.rate_peak_min * 60, 247, 1e-9);
	CHECK_NEAR(s.in_p[TRACE_P_MIN], 891, 0);
	CHECK_NEAR(s.in_p[TRACE_P50], 6909, 0);
	/* README: nearest-rank 85401; GSL interpolates between ranks */
	CHECK_REL(s.in_p[TRACE_P99], 85401, 0.001);
	CHECK_NEAR(s.in_p[TRACE_P_MAX], 126195, 0);
	CHECK_NEAR(s.in_p[TRACE_P_MEAN], 12035.1, 0.05);
	CHECK_NEAR(s.out_p[TRACE_P_MIN], 1, 0);
	CHECK_NEAR(s.out_p[TRACE_P50], 350, 0);
	CHECK_REL(s.out_p[TRACE_P99], 1120, 0.005);
	CHECK_NEAR(s.out_p[TRACE_P_MAX], 2000, 0);
	CHECK_NEAR(s.out_p[TRACE_P_MEAN], 342.6, 0.05);
	trace_release(&t);

	load_shipped("synthetic_trace.jsonl", NULL, &t, &s);
	CHECK_EQ_U64(s.count, 3993);
	CHECK_NEAR(s.span_s, 1022.0, 0.05);
	CHECK_NEAR(s.in_p[TRACE_P_MIN], 13, 0);
	CHECK_NEAR(s.in_p[TRACE_P50], 11587, 0);
	CHECK_NEAR(s.in_p[TRACE_P_MAX], 191378, 0);
	CHECK_NEAR(s.in_p[TRACE_P_MEAN], 15325.5, 0.05);
	CHECK_NEAR(s.out_p[TRACE_P50], 69, 0);
	CHECK_NEAR(s.out_p[TRACE_P_MAX], 893, 0);
	CHECK_NEAR(s.out_p[TRACE_P_MEAN], 149.1, 0.05);
	CHECK_NEAR(s.rate_peak_min * 60, 273, 1e-9);
	trace_release(&t);
}

static void t_shipped_lengths(void)
{
	static const struct {
		const char *name;
		size_t rows;
		uint32_t pmax, omax;
	} files[] = {
		{ "arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv",
		  28257, 4054, 4056 },
		{ "bwb_stats_llama2_tokenizer_filtered_v2.csv", 33768, 3504,
		  2858 },
		{ "sharegpt_8k_filtered_stats_llama2_tokenizer.csv", 30731,
		  8141, 1024 },
	};

	for (size_t i = 0; i < SS_ARRAY_SIZE(files); i++) {
		char path[512];
		struct ss_err e = { 0 };
		struct trace t;
		uint32_t pmax = 0, omax = 0;

		data_path(files[i].name, path, sizeof path);
		trace_init(&t);
		CHECK_MSG(trace_load_lengths_csv(&t, path, &e) == 0, "%s",
			  e.msg);
		CHECK_EQ_U64(t.n, files[i].rows);
		for (size_t k = 0; k < t.n; k++) {
			pmax = SS_MAX(pmax, t.req[k].prompt_tokens);
			omax = SS_MAX(omax, t.req[k].output_tokens);
		}
		CHECK_EQ_U64(pmax, files[i].pmax);
		CHECK_EQ_U64(omax, files[i].omax);
		trace_release(&t);
	}
}

/* ---- the CLI ---------------------------------------------------------------- */

/* Run a shell command line; returns the exit status, output in out. */
static int run_cmd(const char *cmdline, char *out, size_t len)
{
	FILE *p = popen(cmdline, "r");
	size_t n = 0, got;
	int st;

	CHECK(p != NULL);
	while (n + 1 < len && (got = fread(out + n, 1, len - 1 - n, p)) > 0)
		n += got;
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void t_cli(void)
{
	const char *exe = getenv("SPARSESERVE");
	static char out[65536], out2[65536];
	char cmd[2048], azure[512], path[256], path2[256];
	char *a, *b;
	struct ss_err e;

	if (!exe)
		TH_SKIP("SPARSESERVE not set");
	data_path("AzureLLMInferenceTrace_conv.csv", azure, sizeof azure);
	snprintf(cmd, sizeof cmd, "'%s' trace stats --csv '%s' 2>&1", exe,
		 azure);
	CHECK_EQ_I64(run_cmd(cmd, out, sizeof out), 0);
	CHECK_STR_CONTAINS(out, "\n19366,0,3501.721937000,");
	snprintf(cmd, sizeof cmd, "'%s' trace stats '%s' 2>&1", exe, azure);
	CHECK_EQ_I64(run_cmd(cmd, out, sizeof out), 0);
	CHECK_STR_CONTAINS(out, "requests:  19366");
	CHECK_STR_CONTAINS(out, "(507 requests)");

	/* usage errors: 2; failures: 1; help: 0 */
	static const struct {
		const char *args;
		int rc;
		const char *msg;
	} cases[] = {
		{ "trace", 2, "usage: sparseserve trace" },
		{ "trace frob", 2, "unknown subcommand 'frob'" },
		{ "trace stats", 2, "missing TRACE" },
		{ "trace stats a b", 2, "more than one TRACE" },
		{ "trace stats --bogus x", 2, "usage:" },
		{ "trace stats --scale -1 x", 2, "--scale: bad value '-1'" },
		{ "trace stats --window 5 x", 2, "--window: bad value '5'" },
		{ "trace stats --out f x", 2, "--out is not valid here" },
		{ "trace gen --csv x", 2, "--csv is not valid here" },
		{ "trace stats --help", 0, "usage: sparseserve trace stats" },
		{ "trace gen -h", 0, "usage: sparseserve trace gen" },
		{ "trace --help", 0, "usage: sparseserve trace" },
		{ "trace list", 0, "longbench-v1-32k" },
		{ "trace stats /nonexistent/t.csv --format csv", 1,
		  "cannot open '/nonexistent/t.csv'" },
		{ "trace stats synthetic:poisson:rate=1:count=3", 1,
		  "key 'lengths': missing" },
	};
	for (size_t i = 0; i < SS_ARRAY_SIZE(cases); i++) {
		snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", exe, cases[i].args);
		CHECK_MSG(run_cmd(cmd, out, sizeof out) == cases[i].rc,
			  "'%s': exit status, output: %s", cases[i].args, out);
		CHECK_STR_CONTAINS(out, cases[i].msg);
	}

	/* skip-bad reports the first bad line */
	write_file("bad.csv", PL "0,1,1\n1,zz,1\n", path, sizeof path);
	snprintf(cmd, sizeof cmd, "'%s' trace stats --skip-bad '%s' 2>&1",
		 exe, path);
	CHECK_EQ_I64(run_cmd(cmd, out, sizeof out), 0);
	CHECK_STR_CONTAINS(out, "skipped 1 bad line; first: ");
	CHECK_STR_CONTAINS(out, ":3: field 'prompt_tokens'");

	/* gen: same seed => identical bytes; the file reloads */
	snprintf(path, sizeof path, "%s/g1.csv", tdir);
	snprintf(path2, sizeof path2, "%s/g2.csv", tdir);
	for (int k = 0; k < 2; k++) {
		snprintf(cmd, sizeof cmd, "'%s' trace gen 'synthetic:poisson:"
			 "rate=0.2:count=500:lengths=longbench-v1-32k' "
			 "--seed 7 --out '%s' 2>&1", exe, k ? path2 : path);
		CHECK_EQ_I64(run_cmd(cmd, out, sizeof out), 0);
	}
	CHECK_EQ_I64(ss_read_file(path, &a, NULL, &e), 0);
	CHECK_EQ_I64(ss_read_file(path2, &b, NULL, &e), 0);
	CHECK(strcmp(a, b) == 0);
	CHECK(strncmp(a, "arrival_s,prompt_tokens,output_tokens\n0.000000000,",
		      50) == 0);
	free(a);
	free(b);
	snprintf(cmd, sizeof cmd, "'%s' trace stats --csv '%s'", exe, path);
	CHECK_EQ_I64(run_cmd(cmd, out, sizeof out), 0);
	CHECK_STR_CONTAINS(out, "\n500,0,");
	/* transformations apply in the documented order */
	snprintf(cmd, sizeof cmd, "'%s' trace gen '%s' --window 60:120 "
		 "--scale 2 --cap-prompt 1000 --limit 5", exe, azure);
	CHECK_EQ_I64(run_cmd(cmd, out, sizeof out), 0);
	snprintf(cmd, sizeof cmd, "'%s' trace gen '%s' --window 60:120 "
		 "--scale 2 --cap-prompt 1000", exe, azure);
	CHECK_EQ_I64(run_cmd(cmd, out2, sizeof out2), 0);
	CHECK(strncmp(out, out2, strlen(out)) == 0);
	{
		size_t lines = 0;

		for (const char *s = out; *s; s++)
			lines += *s == '\n';
		CHECK_EQ_U64(lines, 6);
	}
	rm_tdir();
}

static const struct th_case cases[] = {
	TH_CASE(t_load_good),
	TH_CASE(t_keep_offset),
	TH_CASE(t_stamps),
	TH_CASE(t_seconds_exact),
	TH_CASE(t_load_bad),
	TH_CASE(t_load_file_errors),
	TH_CASE(t_clamp_zero_output),
	TH_CASE(t_registry),
	TH_CASE(t_synth_poisson),
	TH_CASE(t_synth_gamma),
	TH_CASE(t_synth_duration),
	TH_CASE(t_synth_deterministic),
	TH_CASE(t_synth_length_sources),
	TH_CASE(t_synth_bad_opts),
	TH_CASE(t_longbench),
	TH_CASE(t_longbench_table),
	TH_CASE(t_spec_good),
	TH_CASE(t_spec_bad),
	TH_CASE(t_transforms),
	TH_CASE(t_stats_small),
	TH_CASE(t_csv_roundtrip),
	TH_CASE(t_shipped_azure),
	TH_CASE(t_shipped_mooncake),
	TH_CASE(t_shipped_lengths),
	TH_CASE(t_cli),
	{ 0 },
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, cases);
}
