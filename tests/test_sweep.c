/*
 * test_sweep.c - parameter sweeps: spec parsing (and every bad-input path
 * with its message), run enumeration and seeds, run resolution, the
 * result record, the journal, and the `sparseserve sweep` command: local
 * runs with 2 workers equal the serial run, an mpirun -n 2 run equals
 * both (skipped visibly without mpirun or an MPI build), resume after a
 * killed worker and after a killed coordinator, failed points.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "harness.h"
#include "run_cli.h"
#include "sweep/results.h"
#include "sweep/run.h"
#include "sweep/spec.h"

static char tmpdir[] = "/tmp/ss_sweep_XXXXXX";
static char out[65536];

static void mk_tmp(void)
{
	CHECK(mkdtemp(tmpdir) != NULL);
}

static void write_file(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	CHECK(f != NULL);
	fputs(text, f);
	fclose(f);
}

/* Run "ENV sparseserve ARGS" (cwd = source root); output into out. */
static int ss_env(const char *env, const char *args)
{
	return th_sparseserve(env, args, out, sizeof out);
}

static int ss(const char *args)
{
	return ss_env("", args);
}

/* Parse `json`; expect failure with a message holding `want`. */
static void bad(const char *json, const char *want)
{
	struct sweep_spec s;
	struct ss_err err = { 0 };
	int rc = sweep_spec_parse(&s, json, "t.json", &err);

	CHECK_MSG(rc == SS_EINVAL, "spec %s: rc %d, expected SS_EINVAL", json,
		  rc);
	CHECK_MSG(strstr(err.msg, want) && strstr(err.msg, "t.json"),
		  "spec %s: message '%s' lacks '%s'", json, err.msg, want);
}

#define BASE "\"base\": {\"trace\": \"synthetic:poisson:rate=0.1:count=50:" \
	     "lengths=longbench-v1-32k\", \"model\": \"lwm-7b\"}"

static void t_spec_parses_axes_and_ranges(void)
{
	struct sweep_spec s;
	struct ss_err err = { 0 };
	const char *json =
		"{\"name\": \"x\", \"seed\": 3, \"repetitions\": 2,\n"
		" \"base\": {\"trace\": \"synthetic:poisson:rate={rate}:count=50:"
		"lengths=longbench-v1-32k\", \"model\": \"lwm-7b\",\n"
		"   \"set\": {\"dsa.token_budget\": 1024}, \"skip_bad\": true,"
		" \"window\": \"0:100\", \"limit\": 40},\n"
		" \"axes\": [ {\"name\": \"rate\", \"range\": [0.1, 0.5, 0.1]},\n"
		"   {\"name\": \"policy\", \"values\": [\"vllm\", \"vllm-s\"]},\n"
		"   {\"zip\": [ {\"name\": \"mem.hbm_budget_gb\", \"linspace\": [10, 30, 3]},\n"
		"              {\"name\": \"rate_scale\", \"values\": [1, 2, 4]} ]} ]}";

	CHECK_EQ_I64(sweep_spec_parse(&s, json, "t.json", &err), 0);
	CHECK_EQ_I64(s.naxes, 4);
	CHECK_EQ_I64(s.ngroups, 3);
	CHECK_EQ_I64(s.axes[0].n, 5); /* 0.1 .. 0.5 inclusive, no drift */
	CHECK(!strcmp(s.axes[0].v[2].text, "0.30000000000000004") ||
	      !strcmp(s.axes[0].v[2].text, "0.3"));
	CHECK(!strcmp(s.axes[0].v[4].text, "0.5"));
	CHECK_EQ_I64(s.axes[0].kind, SWEEP_K_VAR);
	CHECK_EQ_I64(s.axes[1].kind, SWEEP_K_FIELD);
	CHECK_EQ_I64(s.axes[1].field, SWEEP_POLICY);
	CHECK_EQ_I64(s.axes[2].kind, SWEEP_K_KEY);
	CHECK(!strcmp(s.axes[2].v[1].text, "20"));
	CHECK_EQ_I64(s.axes[2].group, s.axes[3].group);
	CHECK_EQ_I64(s.npoints, 5 * 2 * 3);
	CHECK_EQ_I64(s.nruns, 60);
	CHECK_EQ_I64(s.seed, 3);
	CHECK_EQ_I64(s.skip_bad, 1);
	CHECK_EQ_I64(s.nsets, 1);
	CHECK(!strcmp(s.sets[0], "dsa.token_budget=1024"));
	CHECK(!strcmp(s.name, "x"));
	CHECK(s.canon && s.hash);
	sweep_spec_release(&s);

	/* combine: zip zips every axis; no axes is one point */
	CHECK_EQ_I64(sweep_spec_parse(&s, "{" BASE ", \"combine\": \"zip\", "
				      "\"axes\": [{\"name\": \"policy\", \"values\":"
				      " [\"vllm\", \"vllm-s\"]}, {\"name\": "
				      "\"rate_scale\", \"values\": [1, 2]}]}",
				      "t.json", &err), 0);
	CHECK_EQ_I64(s.npoints, 2);
	CHECK_EQ_I64(s.ngroups, 1);
	sweep_spec_release(&s);
	CHECK_EQ_I64(sweep_spec_parse(&s, "{" BASE "}", "dir/t.json", &err), 0);
	CHECK_EQ_I64(s.npoints, 1);
	CHECK(!strcmp(s.name, "t")); /* the file stem */
	sweep_spec_release(&s);
}

static void t_spec_rejects_bad_input(void)
{
	char big[4096];
	size_t n;

	bad("{\"base\": {\"trace\": \"x\",\n \"model\" \"m\"}}", "t.json:2:");
	bad("{\"base\": {\"trace\": \"x\",\n \"model\" \"m\"}}", "JSON syntax");
	bad("[1, 2]", "not a JSON object");
	bad("{" BASE ", \"colour\": 1}", "unknown field 'colour'");
	bad("{" BASE ", \"name\": \"a b\"}", "name: not a name");
	bad("{" BASE ", \"description\": 3}", "description: not a string");
	bad("{" BASE ", \"out\": \"\"}", "out: not a file name");
	bad("{" BASE ", \"seed\": -1}", "seed: not an integer");
	bad("{" BASE ", \"seed\": 1.5}", "seed: not an integer");
	bad("{" BASE ", \"repetitions\": 0}", "repetitions: not an integer");
	bad("{" BASE ", \"combine\": \"cross\"}", "combine: expected");
	bad("{\"base\": 3}", "base: not an object");
	bad("{\"base\": {\"trace\": \"x\", \"model\": \"m\", \"speed\": 1}}",
	    "base.speed: unknown field");
	bad("{\"base\": {\"trace\": 3, \"model\": \"m\"}}",
	    "base.trace: not a string");
	bad("{\"base\": {\"trace\": \"x\", \"model\": \"m\", \"rate_scale\": \"2\"}}",
	    "base.rate_scale: not a number");
	bad("{\"base\": {\"trace\": \"x\", \"model\": \"m\", \"rate_scale\": -2}}",
	    "rate_scale '-2' is not a positive number");
	bad("{\"base\": {\"trace\": \"x\", \"model\": \"m\", \"max_prompt\": 0}}",
	    "max_prompt '0'");
	bad("{\"base\": {\"trace\": \"x\", \"model\": \"m\", \"limit\": 2.5}}",
	    "limit '2.5'");
	bad("{\"base\": {\"trace\": \"x\", \"model\": \"m\", \"window\": \"9:3\"}}",
	    "window '9:3'");
	bad("{\"base\": {\"trace\": \"x\", \"model\": \"m\", \"policy\": \"nope\"}}",
	    "unknown policy 'nope'");
	bad("{\"base\": {\"trace\": \"\", \"model\": \"m\"}}", "trace is empty");
	bad("{\"base\": {\"trace\": \"x\", \"model\": \"m\", \"skip_bad\": 1}}",
	    "base.skip_bad: not true or false");
	bad("{\"base\": {\"trace\": \"x\", \"model\": \"m\", \"set\": 4}}",
	    "base.set: not an object");
	bad("{\"base\": {\"trace\": \"x\", \"model\": \"m\", \"set\": "
	    "{\"dsa.token_budget\": \"big\"}}}", "base.set.dsa.token_budget: not a number");
	bad("{\"base\": {\"trace\": \"x\", \"model\": \"m\", \"set\": "
	    "{\"sched.nope\": 1}}}", "unknown config key 'sched.nope'");
	bad("{\"base\": {\"trace\": \"x\", \"model\": \"m\", \"set\": "
	    "{\"mem.gpu_util\": 7}}}", "mem.gpu_util");
	bad("{" BASE ", \"axes\": 3}", "axes: not an array");
	bad("{" BASE ", \"axes\": [3]}", "axes[0]: not an object");
	bad("{" BASE ", \"axes\": [{\"name\": \"policy\", \"values\": [\"vllm\"], "
	    "\"step\": 1}]}", "axes[0]: unknown field 'step'");
	bad("{" BASE ", \"axes\": [{\"values\": [1]}]}", "axes[0].name: missing");
	bad("{" BASE ", \"axes\": [{\"name\": \"a/b\", \"values\": [1]}]}",
	    "'a/b' is not a name");
	bad("{" BASE ", \"axes\": [{\"name\": \"skip_bad\", \"values\": [1]}]}",
	    "cannot be an axis");
	bad("{" BASE ", \"axes\": [{\"name\": \"limit\", \"values\": [1]}, "
	    "{\"name\": \"limit\", \"values\": [2]}]}", "given twice");
	bad("{" BASE ", \"axes\": [{\"name\": \"limit\"}]}", "give exactly one of");
	bad("{" BASE ", \"axes\": [{\"name\": \"limit\", \"values\": [1], "
	    "\"range\": [1, 2, 1]}]}", "give exactly one of");
	bad("{" BASE ", \"axes\": [{\"name\": \"limit\", \"values\": []}]}",
	    "values: not a non-empty array");
	bad("{" BASE ", \"axes\": [{\"name\": \"limit\", \"values\": [true]}]}",
	    "values[0]: not a number or a string");
	bad("{" BASE ", \"axes\": [{\"name\": \"limit\", \"range\": [1, 2]}]}",
	    "range: expected [FROM, TO, STEP]");
	bad("{" BASE ", \"axes\": [{\"name\": \"limit\", \"range\": [1, \"a\", 1]}]}",
	    "range[1]: not a number");
	bad("{" BASE ", \"axes\": [{\"name\": \"limit\", \"range\": [1, 5, 0]}]}",
	    "step 0 never goes");
	bad("{" BASE ", \"axes\": [{\"name\": \"limit\", \"range\": [5, 1, 1]}]}",
	    "step 1 never goes from 5 to 1");
	bad("{" BASE ", \"axes\": [{\"name\": \"limit\", \"range\": [1, 1e7, 1]}]}",
	    "at most 1e6");
	bad("{" BASE ", \"axes\": [{\"name\": \"rate_scale\", \"linspace\": "
	    "[1, 2, 2.5]}]}", "count 2.5 is not a positive integer");
	bad("{" BASE ", \"axes\": [{\"name\": \"policy\", \"values\": [1]}]}",
	    "policy takes strings");
	bad("{" BASE ", \"axes\": [{\"name\": \"limit\", \"values\": [\"10\"]}]}",
	    "limit takes numbers");
	bad("{" BASE ", \"axes\": [{\"name\": \"policy\", \"values\": [\"vllm\", "
	    "\"bogus\"]}]}", "axes[0].values[1]: unknown policy 'bogus'");
	bad("{" BASE ", \"axes\": [{\"name\": \"model\", \"values\": [\"{x}\"]}]}",
	    "only base strings take {variables}");
	bad("{" BASE ", \"axes\": [{\"name\": \"dsa.token_budget\", \"values\": "
	    "[\"many\"]}]}", "config key 'dsa.token_budget' takes numbers");
	bad("{" BASE ", \"axes\": [{\"name\": \"mem.gpu_util\", \"values\": "
	    "[0.5, 3]}]}", "axes[0].values[1]");
	bad("{" BASE ", \"axes\": [{\"name\": \"kv.block_tokens\", \"values\": "
	    "[1.5]}]}", "not an integer");
	bad("{" BASE ", \"axes\": [{\"zip\": [{\"name\": \"limit\", \"values\": "
	    "[1]}], \"name\": \"x\"}]}", "a zip group has only the field");
	bad("{" BASE ", \"axes\": [{\"zip\": 3}]}", "zip: not a non-empty array");
	bad("{" BASE ", \"axes\": [{\"zip\": [{\"name\": \"limit\", \"values\": "
	    "[1, 2]}, {\"name\": \"rate_scale\", \"values\": [1, 2, 3]}]}]}",
	    "zipped axes 'limit' (2 values) and 'rate_scale' (3 values)");
	bad("{" BASE ", \"combine\": \"zip\", \"axes\": [{\"name\": \"limit\", "
	    "\"values\": [1, 2]}, {\"name\": \"rate_scale\", \"values\": [1]}]}",
	    "differ in length");
	bad("{" BASE ", \"axes\": [{\"name\": \"speed\", \"values\": [1]}]}",
	    "axis 'speed' is not a run field");
	bad("{\"base\": {\"trace\": \"synthetic:poisson:rate={r}\", \"model\": "
	    "\"m\"}}", "{r} is not a variable axis");
	bad("{\"base\": {\"trace\": \"synthetic:poisson:rate={r\", \"model\": "
	    "\"m\"}}", "'{' does not open a {variable}");
	bad("{\"base\": {\"trace\": \"synthetic:poisson:rate={r r}\", \"model\": "
	    "\"m\"}}", "'{r r}' is not a variable name");
	bad("{\"base\": {\"model\": \"m\"}}", "no trace");
	bad("{\"base\": {\"trace\": \"x\"}}", "no model");
	bad("{" BASE ", \"seed_axes\": \"limit\"}", "seed_axes: not an array");
	bad("{" BASE ", \"seed_axes\": [3]}", "seed_axes[0]: not a string");
	bad("{" BASE ", \"seed_axes\": [\"limit\"]}", "seed_axes[0]: no axis 'limit'");
	bad("{" BASE ", \"axes\": [{\"name\": \"limit\", \"range\": [1, 1e6, 1]}, "
	    "{\"name\": \"rate_scale\", \"range\": [1, 100, 1]}]}", "more than 10000000 points");
	bad("{" BASE ", \"repetitions\": 1000, \"axes\": [{\"name\": \"limit\", "
	    "\"range\": [1, 1e5, 1]}]}", "repetitions is more than");
	n = (size_t)snprintf(big, sizeof big, "{" BASE ", \"axes\": [");
	for (int i = 0; i < 33; i++)
		n += (size_t)snprintf(big + n, sizeof big - n,
				      "%s{\"name\": \"sched.max_num_seqs%d\", "
				      "\"values\": [1]}", i ? "," : "", i);
	snprintf(big + n, sizeof big - n, "]}");
	bad(big, "too many axes");

	/* a file that is not there */
	{
		struct sweep_spec s;
		struct ss_err err = { 0 };

		CHECK_EQ_I64(sweep_spec_load(&s, "/nonexistent/sweep.json", &err),
			     SS_EIO);
		CHECK_STR_CONTAINS(err.msg, "/nonexistent/sweep.json");
	}
}

static void t_enumeration_order_and_seeds(void)
{
	struct sweep_spec s, s2;
	struct ss_err err = { 0 };
	struct sweep_point p, q;
	const char *json =
		"{" BASE ", \"repetitions\": 2, \"seed\": 11, \"axes\": ["
		"{\"name\": \"policy\", \"values\": [\"vllm\", \"vllm-s\"]},"
		"{\"zip\": [{\"name\": \"limit\", \"values\": [10, 20, 30]},"
		"           {\"name\": \"rate_scale\", \"values\": [1, 2, 3]}]},"
		"{\"name\": \"mem.hbm_budget_gb\", \"values\": [5, 50]}]}";

	CHECK_EQ_I64(sweep_spec_parse(&s, json, "t.json", &err), 0);
	CHECK_EQ_I64(s.npoints, 12);
	CHECK_EQ_I64(s.nruns, 24);
	/* row-major: first group slowest, last fastest; zipped move together */
	for (uint64_t r = 0; r < s.nruns; r++) {
		uint64_t pt = r % 12;

		sweep_point_get(&s, r, &p);
		CHECK_EQ_U64(p.run, r);
		CHECK_EQ_U64(p.point, pt);
		CHECK_EQ_I64(p.rep, r / 12);
		CHECK_EQ_I64(p.idx[0], pt / 6);
		CHECK_EQ_I64(p.idx[1], (pt / 2) % 3);
		CHECK_EQ_I64(p.idx[2], p.idx[1]);
		CHECK_EQ_I64(p.idx[3], pt % 2);
		CHECK(p.seed >= 1 && p.seed < (UINT64_C(1) << 53));
		/* every run its own seed (all axes seed by default) */
		for (uint64_t k = 0; k < r; k++) {
			sweep_point_get(&s, k, &q);
			CHECK_MSG(q.seed != p.seed, "runs %llu and %llu share seed",
				  (unsigned long long)k, (unsigned long long)r);
		}
	}
	/* seeds depend on the spec only: a second parse agrees */
	CHECK_EQ_I64(sweep_spec_parse(&s2, json, "other.json", &err), 0);
	for (uint64_t r = 0; r < s.nruns; r++) {
		sweep_point_get(&s, r, &p);
		sweep_point_get(&s2, r, &q);
		CHECK_EQ_U64(p.seed, q.seed);
	}
	sweep_spec_release(&s2);
	/* seed_axes: runs that differ only in other axes share the seed
	 * (common random numbers), reps still differ */
	{
		char j2[2048];

		snprintf(j2, sizeof j2, "%.*s, \"seed_axes\": [\"limit\"]}",
			 (int)strlen(json) - 1, json);
		CHECK_EQ_I64(sweep_spec_parse(&s2, j2, "t.json", &err), 0);
		for (uint64_t r = 0; r < s2.nruns; r++)
			for (uint64_t k = 0; k < s2.nruns; k++) {
				sweep_point_get(&s2, r, &p);
				sweep_point_get(&s2, k, &q);
				CHECK_EQ_I64(p.seed == q.seed,
					     p.rep == q.rep && p.idx[1] == q.idx[1]);
			}
		sweep_spec_release(&s2);
	}
	sweep_spec_release(&s);
}

static void t_run_resolution(void)
{
	struct sweep_spec s;
	struct sweep_run r;
	struct ss_err err = { 0 };
	char json[2048], cfg[600];

	mk_tmp();
	write_file("cfg.json", "{\"sched\": {\"max_num_seqs\": 64}}");
	snprintf(cfg, sizeof cfg, "%s/cfg.json", tmpdir);
	snprintf(json, sizeof json,
		 "{\"base\": {\"trace\": \"synthetic:poisson:rate={rate}:count={n}\","
		 " \"model\": \"lwm-7b\", \"config\": \"%s\", \"window\": \"1:9\","
		 " \"set\": {\"dsa.token_budget\": 512, \"mem.hbm_budget_gb\": 7}},"
		 " \"axes\": [{\"name\": \"rate\", \"values\": [0.25, 2]},"
		 "  {\"name\": \"n\", \"values\": [\"40\"]},"
		 "  {\"name\": \"mem.hbm_budget_gb\", \"values\": [12.5]},"
		 "  {\"name\": \"max_prompt\", \"values\": [4096]}]}", cfg);
	CHECK_EQ_I64(sweep_spec_parse(&s, json, "t.json", &err), 0);
	CHECK_EQ_I64(sweep_run_resolve(&s, 1, &r, &err), 0);
	CHECK(!strcmp(r.field[SWEEP_TRACE], "synthetic:poisson:rate=2:count=40"));
	CHECK(r.field[SWEEP_POLICY] == NULL);
	CHECK_EQ_I64(r.max_prompt, 4096);
	CHECK_NEAR(r.win_start, 1, 0);
	CHECK_NEAR(r.win_end, 9, 0);
	CHECK_EQ_I64(r.cfg.pol.max_num_seqs, 64);   /* config file */
	CHECK_EQ_I64(r.cfg.pol.token_budget, 512);  /* base.set */
	CHECK_NEAR(r.cfg.hbm_budget_gb, 12.5, 0);   /* the axis wins */
	sweep_run_release(&r);
	sweep_spec_release(&s);

	/* a config file that does not load is the run's error */
	snprintf(json, sizeof json, "{" BASE ", \"axes\": [{\"name\": "
		 "\"config\", \"values\": [\"%s/missing.json\"]}]}", tmpdir);
	CHECK_EQ_I64(sweep_spec_parse(&s, json, "t.json", &err), 0);
	CHECK(sweep_run_resolve(&s, 0, &r, &err) != 0);
	CHECK_STR_CONTAINS(err.msg, "missing.json");
	sweep_run_release(&r);
	/* and sweep_exec records it as a failed run */
	{
		struct sweep_result res;

		CHECK(sweep_exec(&s, 0, &res) != 0);
		CHECK(res.status != 0);
		CHECK_STR_CONTAINS(res.error, "missing.json");
		CHECK_EQ_I64(res.nm, 0);
	}
	sweep_spec_release(&s);
}

static void t_record_roundtrip_and_bad_records(void)
{
	struct sweep_result a, b;
	struct ss_err err = { 0 };
	char buf[SWEEP_RECORD_MAX];
	size_t n;

	memset(&a, 0, sizeof(a));
	a.run = 123456789012ULL;
	a.seed = 42;
	a.wall_s = 0.1;
	snprintf(a.host, sizeof a.host, "node-7");
	a.nm = 4;
	snprintf(a.name[0], SWEEP_METRIC_NAME, "ttft_p99_s");
	a.value[0] = 1.0 / 3.0;
	snprintf(a.name[1], SWEEP_METRIC_NAME, "x");
	a.value[1] = NAN;
	snprintf(a.name[2], SWEEP_METRIC_NAME, "y");
	a.value[2] = -INFINITY;
	snprintf(a.name[3], SWEEP_METRIC_NAME, "z");
	a.value[3] = -5e-300;
	n = sweep_result_format(&a, buf, sizeof buf);
	CHECK_EQ_I64(buf[n - 1], '\n');
	CHECK_EQ_I64(sweep_result_parse(buf, n, &b, &err), 0);
	CHECK_EQ_U64(b.run, a.run);
	CHECK_EQ_U64(b.seed, 42);
	CHECK(b.wall_s == a.wall_s);
	CHECK(!strcmp(b.host, "node-7"));
	CHECK_EQ_I64(b.nm, 4);
	CHECK(b.value[0] == a.value[0]); /* bit-exact */
	CHECK(isnan(b.value[1]));
	CHECK(b.value[2] == -INFINITY);
	CHECK(b.value[3] == a.value[3]);
	CHECK(!strcmp(b.name[0], "ttft_p99_s"));

	sweep_result_fail(&a, 9, SS_EINVAL, "model 'x' does not fit: 1 = 2\nreally");
	n = sweep_result_format(&a, buf, sizeof buf);
	CHECK_EQ_I64(sweep_result_parse(buf, n, &b, &err), 0);
	CHECK_EQ_I64(b.status, SS_EINVAL);
	CHECK_EQ_I64(b.nm, 0);
	CHECK(!strcmp(b.error, "model 'x' does not fit: 1 = 2_really"));

	/* malformed records */
	CHECK_EQ_I64(sweep_result_parse(buf, n - 1, &b, &err), SS_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "incomplete");
#define BADREC(text, want)                                                    \
	do {                                                                  \
		CHECK_EQ_I64(sweep_result_parse(text, strlen(text), &b, &err),  \
			     SS_EINVAL);                                      \
		CHECK_STR_CONTAINS(err.msg, want);                            \
	} while (0)
	BADREC("run=1 seed=2 status=0 wall=0x1p+0 host=h n=0\n", "'err'");
	BADREC("seed=2 run=1 status=0 wall=0x1p+0 host=h n=0 err=\n", "'run'");
	BADREC("run=x seed=2 status=0 wall=0x1p+0 host=h n=0 err=\n", "'run'");
	BADREC("run=1 seed=2 status=5 wall=0x1p+0 host=h n=0 err=\n", "'status'");
	BADREC("run=1 seed=2 status=0 wall=soon host=h n=0 err=\n", "'wall'");
	BADREC("run=1 seed=2 status=0 wall=0x1p+0 host=h n=99 err=\n", "'n'");
	BADREC("run=1 seed=2 status=0 wall=0x1p+0 host=h n=1 a=zz err=\n",
	       "'a': 'zz' is not a number");
	BADREC("run=1 seed=2 status=0 wall=0x1p+0 host=h n=2 a=1 err=\n",
	       "missing");
	BADREC("run=1 seed=2 status=0 wall=0x1p+0 host=h n=0 a=1 err=\n",
	       "more follow");
#undef BADREC
}

static const char *small_spec =
	"{\"name\": \"small\", \"seed\": 5, \"repetitions\": 2,\n"
	" \"base\": {\"trace\": \"synthetic:poisson:rate={rate}:count=60:"
	"lengths=longbench-v1-32k\", \"model\": \"lwm-7b\"},\n"
	" \"axes\": [{\"name\": \"rate\", \"values\": [0.1, 0.4]},\n"
	"   {\"name\": \"policy\", \"values\": [\"vllm\", \"vllm-s\"]},\n"
	"   {\"name\": \"mem.hbm_budget_gb\", \"values\": [12, 40]}],\n"
	" \"seed_axes\": [\"rate\"]}\n";

/* CSV text without the last two columns (wall_s, host) of every line. */
static char *csv_core(const char *path)
{
	char *text, *o, *line;
	size_t len, k = 0;
	struct ss_err err;

	CHECK_EQ_I64(ss_read_file(path, &text, &len, &err), 0);
	o = malloc(len + 1);
	CHECK(o != NULL);
	for (line = text; *line;) {
		char *nl = strchr(line, '\n'), *c1, *c2;

		CHECK(nl != NULL);
		*nl = '\0';
		c2 = strrchr(line, ',');
		CHECK(c2 != NULL);
		*c2 = '\0';
		c1 = strrchr(line, ',');
		CHECK(c1 != NULL);
		*c1 = '\0';
		k += (size_t)snprintf(o + k, len + 1 - k, "%s\n", line);
		line = nl + 1;
	}
	free(text);
	return o;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Run the small sweep into tmpdir/NAME.{h5,csv} with extra args. */
static int run_small(const char *env, const char *name, const char *extra)
{
	char args[2048];

	snprintf(args, sizeof args, "sweep %s/small.json -o %s/%s.h5 --csv "
		 "%s/%s.csv %s", tmpdir, tmpdir, name, tmpdir, name, extra);
	return ss_env(env, args);
}

/* Value after `prefix` at a line start of a policy,metric,value CSV. */
static double csv_value(const char *path, const char *prefix)
{
	char *text, *p;
	size_t len;
	struct ss_err err;
	double v;

	CHECK_EQ_I64(ss_read_file(path, &text, &len, &err), 0);
	p = strstr(text, prefix);
	CHECK_MSG(p != NULL, "%s lacks '%s'", path, prefix);
	v = strtod(p + strlen(prefix), NULL);
	free(text);
	return v;
}

/* Cell of column `col` in the line of run `run` of a sweep CSV. */
static double csv_cell(const char *path, int run, const char *col)
{
	char *text, *line, *save = NULL, *tok;
	size_t len;
	struct ss_err err;
	int idx = -1, k = 0;
	double v = NAN;

	CHECK_EQ_I64(ss_read_file(path, &text, &len, &err), 0);
	line = strtok_r(text, "\n", &save);
	for (char *q = line, *c; q; q = c ? c + 1 : NULL, k++) {
		c = strchr(q, ',');
		if ((c ? (size_t)(c - q) : strlen(q)) == strlen(col) &&
		    !strncmp(q, col, strlen(col)))
			idx = k;
	}
	CHECK_MSG(idx >= 0, "%s: no column %s", path, col);
	while ((line = strtok_r(NULL, "\n", &save))) {
		if (strtol(line, NULL, 10) != run)
			continue;
		tok = line;
		for (k = 0; k < idx; k++)
			tok = strchr(tok, ',') + 1;
		v = strtod(tok, NULL);
	}
	free(text);
	return v;
}

static void t_local_two_workers_equal_serial(void)
{
	char p1[600], p2[600], *a, *b;

	mk_tmp();
	write_file("small.json", small_spec);
	CHECK_EQ_I64(run_small("", "serial", "-j 0"), 0);
	CHECK_STR_CONTAINS(out, "16 ran");
	CHECK_STR_CONTAINS(out, "(inline)");
	CHECK_EQ_I64(run_small("", "two", "-j 2"), 0);
	CHECK_STR_CONTAINS(out, "2 workers (fork)");
	snprintf(p1, sizeof p1, "%s/serial.csv", tmpdir);
	snprintf(p2, sizeof p2, "%s/two.csv", tmpdir);
	a = csv_core(p1);
	b = csv_core(p2);
	CHECK_EQ_I64(count_lines(a), 17);
	CHECK_MSG(!strcmp(a, b), "serial and 2-worker results differ");
	CHECK_STR_CONTAINS(a, "run,point,rep,seed,rate,policy,mem.hbm_budget_gb,"
			      "status,requests");
	CHECK_STR_CONTAINS(a, "ttft_p99_s");
	free(a);
	free(b);
	/* the journal is gone after a complete sweep */
	snprintf(p1, sizeof p1, "%s/two.h5.journal", tmpdir);
	CHECK(access(p1, F_OK) != 0);
	/* a sweep point equals the matching `sparseserve sim` run */
	{
		char args[2048], *line, sum[600];
		unsigned long long seed = 0;
		double want, got;

		snprintf(args, sizeof args, "sweep %s/small.json --list", tmpdir);
		CHECK_EQ_I64(ss(args), 0);
		CHECK_STR_CONTAINS(out, "2 repetitions = 16 runs");
		line = strstr(out, "run=15 ");
		CHECK(line != NULL);
		line[strcspn(line, "\n")] = '\0';
		CHECK_STR_CONTAINS(line, "rate=0.4 policy=vllm-s mem.hbm_budget_gb=40");
		CHECK(sscanf(line, "run=15 point=7 rep=1 seed=%llu", &seed) == 1);
		snprintf(sum, sizeof sum, "%s/sim.csv", tmpdir);
		snprintf(args, sizeof args,
			 "sim --trace synthetic:poisson:rate=0.4:count=60:"
			 "lengths=longbench-v1-32k --model lwm-7b --policy vllm-s "
			 "--set mem.hbm_budget_gb=40 --seed %llu --quiet "
			 "--out %s/sim.h5 --summary-csv %s", seed, tmpdir, sum);
		CHECK_EQ_I64(ss(args), 0);
		want = csv_value(sum, "vllm-s,ttft_mean_s,");
		got = csv_cell(p2, 15, "ttft_mean_s");
		CHECK_REL(got, want, 1e-8);
		want = csv_value(sum, "vllm-s,tbt_p99_s,");
		got = csv_cell(p2, 15, "tbt_p99_s");
		CHECK_REL(got, want, 1e-8);
	}
}

/* An offload policy's point (selection source seeded from the run's seed)
 * equals `sparseserve sim` with that seed, metric by metric. */
static void t_offload_point_equals_sim(void)
{
	char args[2048], path[600], *sum, *line, *save = NULL;
	unsigned long long seed = 0;
	size_t len;
	struct ss_err err;
	int compared = 0;

	mk_tmp();
	/* few, short requests: the offload simulation is costly */
	write_file("o.json", "{\"seed\": 9, \"base\": {\"trace\": \"synthetic:"
		   "poisson:rate=0.3:count=3:lengths=longbench-v1-32k\", "
		   "\"max_prompt\": 2048, \"model\": \"lwm-7b\", \"policy\": "
		   "\"sparseserve\", \"set\": {\"mem.hbm_budget_gb\": 16}}}");
	snprintf(args, sizeof args, "sweep %s/o.json --list", tmpdir);
	if (ss(args) != 0 && strstr(out, "unknown policy 'sparseserve'"))
		TH_SKIP("no sparseserve policy in this build");
	CHECK(sscanf(strstr(out, "run=0 "), "run=0 point=0 rep=0 seed=%llu",
		     &seed) == 1);
	snprintf(args, sizeof args, "sweep %s/o.json -j 1 --quiet --csv %s/o.csv",
		 tmpdir, tmpdir);
	CHECK_EQ_I64(ss(args), 0);
	snprintf(args, sizeof args,
		 "sim --trace synthetic:poisson:rate=0.3:count=3:lengths="
		 "longbench-v1-32k --max-prompt 2048 --model lwm-7b --policy "
		 "sparseserve --set "
		 "mem.hbm_budget_gb=16 --seed %llu --quiet --out %s/s.h5 "
		 "--summary-csv %s/s.csv", seed, tmpdir, tmpdir);
	CHECK_EQ_I64(ss(args), 0);
	snprintf(path, sizeof path, "%s/s.csv", tmpdir);
	CHECK_EQ_I64(ss_read_file(path, &sum, &len, &err), 0);
	snprintf(path, sizeof path, "%s/o.csv", tmpdir);
	for (line = strtok_r(sum, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *name, *val;
		double want, got;

		if (strncmp(line, "sparseserve,", 12))
			continue;
		name = line + 12;
		val = strchr(name, ',');
		CHECK(val != NULL);
		*val++ = '\0';
		want = strtod(val, NULL);
		got = csv_cell(path, 0, name);
		if (isnan(want)) {
			CHECK_MSG(isnan(got), "%s: sim nan, sweep %g", name, got);
		} else {
			CHECK_MSG(fabs(got - want) <= 1e-8 * fabs(want) + 1e-12,
				  "%s: sweep %.12g, sim %.12g", name, got, want);
		}
		compared++;
	}
	free(sum);
	CHECK(compared >= 20);
}

static void t_mpi_two_ranks_equal_serial(void)
{
	char p1[600], p2[600], *a, *b;
	int rc;

	if (system("command -v mpirun >/dev/null 2>&1"))
		TH_SKIP("mpirun not found (apt-get install openmpi-bin)");
	CHECK_EQ_I64(ss("sweep --help"), 0);
	if (strstr(out, "MPI support in this build: no"))
		TH_SKIP("sparseserve built without MPI (libopenmpi-dev)");
	mk_tmp();
	write_file("small.json", small_spec);
	CHECK_EQ_I64(run_small("", "serial", "-j 0"), 0);
	{
		char args[2048];
		const char *bin = getenv("SPARSESERVE");

		/* Open MPI's own allocations are not ours: no leak check here */
		snprintf(args, sizeof args,
			 "mpirun --allow-run-as-root --oversubscribe -n 2 "
			 "-x ASAN_OPTIONS=detect_leaks=0 '%s' sweep %s/small.json "
			 "-o %s/mpi.h5 --csv %s/mpi.csv",
			 bin, tmpdir, tmpdir, tmpdir);
		snprintf(p1, sizeof p1, "cd '%s' && %s 2>&1",
			 getenv("SS_SOURCE_ROOT"), args);
		FILE *p = popen(p1, "r");
		size_t n;

		CHECK(p != NULL);
		n = fread(out, 1, sizeof out - 1, p);
		out[n] = '\0';
		rc = pclose(p);
	}
	CHECK_MSG(WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "mpirun failed: %s", out);
	CHECK_STR_CONTAINS(out, "1 worker (mpi)");
	CHECK_STR_CONTAINS(out, "16 ran");
	snprintf(p1, sizeof p1, "%s/serial.csv", tmpdir);
	snprintf(p2, sizeof p2, "%s/mpi.csv", tmpdir);
	a = csv_core(p1);
	b = csv_core(p2);
	CHECK_MSG(!strcmp(a, b), "serial and mpirun -n 2 results differ");
	free(a);
	free(b);
}

static void t_resume_after_killed_worker(void)
{
	char p1[600], p2[600], *a, *b;

	mk_tmp();
	write_file("small.json", small_spec);
	CHECK_EQ_I64(run_small("", "serial", "-j 0"), 0);
	/* the worker that picks run 5 dies: the run is lost, others go on */
	CHECK_EQ_I64(run_small("SS_SWEEP_CRASH_RUN=5", "k", "-j 2"), 1);
	CHECK_STR_CONTAINS(out, "killed by signal 9 while running run 5");
	CHECK_STR_CONTAINS(out, "15 ran");
	CHECK_STR_CONTAINS(out, "1 lost");
	snprintf(p2, sizeof p2, "%s/k.csv", tmpdir);
	b = csv_core(p2);
	CHECK_EQ_I64(count_lines(b), 16);
	free(b);
	/* without --resume an existing result is not overwritten */
	CHECK_EQ_I64(run_small("", "k", "-j 2"), 1);
	CHECK_STR_CONTAINS(out, "exists: --resume continues");
	CHECK_EQ_I64(run_small("", "k", "-j 2 --resume"), 0);
	CHECK_STR_CONTAINS(out, "1 ran, 15 skipped");
	snprintf(p1, sizeof p1, "%s/serial.csv", tmpdir);
	a = csv_core(p1);
	b = csv_core(p2);
	CHECK_MSG(!strcmp(a, b), "resumed results differ from the serial run");
	free(a);
	free(b);
	/* resuming a finished sweep runs nothing and rewrites the same */
	CHECK_EQ_I64(run_small("", "k", "-j 2 --resume"), 0);
	CHECK_STR_CONTAINS(out, "0 ran, 16 skipped");
}

static void t_resume_after_killed_coordinator(void)
{
	char p1[600], p2[600], *a, *b, *j;
	size_t len;
	struct ss_err err;
	int rc;

	mk_tmp();
	write_file("small.json", small_spec);
	CHECK_EQ_I64(run_small("", "serial", "-j 0"), 0);
	/* in-process runs: run 9 kills the sweep itself, mid-sweep */
	rc = run_small("SS_SWEEP_CRASH_RUN=9", "c", "-j 0 --checkpoint 1e9");
	CHECK_EQ_I64(rc, 128 + 9);
	/* the journal holds exactly the 9 runs done before */
	snprintf(p1, sizeof p1, "%s/c.h5.journal", tmpdir);
	CHECK_EQ_I64(ss_read_file(p1, &j, &len, &err), 0);
	CHECK_EQ_I64(count_lines(j), 1 + 9);
	free(j);
	/* a torn last record (death mid-write) is ignored on resume */
	{
		FILE *f = fopen(p1, "a");

		CHECK(f != NULL);
		fputs("run=15 seed=3 status=0 wa", f);
		fclose(f);
	}
	CHECK_EQ_I64(run_small("", "c", "-j 2 --resume"), 0);
	CHECK_STR_CONTAINS(out, "torn");
	CHECK_STR_CONTAINS(out, "7 ran, 9 skipped");
	snprintf(p1, sizeof p1, "%s/serial.csv", tmpdir);
	snprintf(p2, sizeof p2, "%s/c.csv", tmpdir);
	a = csv_core(p1);
	b = csv_core(p2);
	CHECK_MSG(!strcmp(a, b), "resumed results differ from the serial run");
	free(a);
	free(b);
}

static void t_journal_and_results_reject_other_specs(void)
{
	struct sweep_spec s;
	struct sweep_table t;
	struct ss_err err = { 0 };
	char path[600];
	uint64_t torn;

	mk_tmp();
	write_file("small.json", small_spec);
	CHECK_EQ_I64(run_small("", "r", "-j 2 --quiet"), 0);
	/* the spec changes: resume refuses the old results */
	write_file("small.json", "{\"base\": {\"trace\": \"synthetic:poisson:"
		   "rate=0.1:count=30:lengths=longbench-v1-32k\", \"model\": "
		   "\"lwm-7b\"}}");
	CHECK_EQ_I64(run_small("", "r", "--resume"), 1);
	CHECK_STR_CONTAINS(out, "different spec");
	/* the refused resume leaves no journal behind */
	snprintf(path, sizeof path, "%s/r.h5.journal", tmpdir);
	CHECK(access(path, F_OK) != 0);
	/* --force starts over */
	CHECK_EQ_I64(run_small("", "r", "--force"), 0);
	CHECK_STR_CONTAINS(out, "1 ran");

	/* journal replay: a bad line in the middle names file and line */
	CHECK_EQ_I64(sweep_spec_parse(&s, small_spec, "small.json", &err), 0);
	CHECK_EQ_I64(sweep_table_init(&t, &s, &err), 0);
	snprintf(path, sizeof path, "%s/j", tmpdir);
	{
		char hdr[128];

		snprintf(hdr, sizeof hdr, "sparseserve-sweep-journal/1 spec=%016llx\n"
			 "run=1 seed=2 status=0 wall=0x1p+0 host=h n=0 err=\n"
			 "garbage\n", (unsigned long long)s.hash);
		write_file("j", hdr);
	}
	CHECK_EQ_I64(sweep_journal_replay(&t, path, &torn, &err), SS_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "/j:3");
	write_file("j", "sparseserve-sweep-journal/1 spec=0000000000000001\n");
	CHECK_EQ_I64(sweep_journal_replay(&t, path, &torn, &err), SS_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "not a journal of spec");
	write_file("j", "sparseserve-sweep-journal/1 spec=x\n");
	{
		char hdr[160];

		snprintf(hdr, sizeof hdr, "sparseserve-sweep-journal/1 spec=%016llx\n"
			 "run=999 seed=2 status=0 wall=0x1p+0 host=h n=0 err=\n",
			 (unsigned long long)s.hash);
		write_file("j", hdr);
	}
	CHECK_EQ_I64(sweep_journal_replay(&t, path, &torn, &err), SS_EINVAL);
	CHECK_STR_CONTAINS(err.msg, "beyond the spec's 16 runs");
	/* not a sweep file */
	write_file("x.h5", "not hdf5");
	snprintf(path, sizeof path, "%s/x.h5", tmpdir);
	CHECK_EQ_I64(sweep_table_read_h5(&t, path, &err), SS_EIO);
	CHECK_STR_CONTAINS(err.msg, "x.h5");
	sweep_table_release(&t);
	sweep_spec_release(&s);
}

static void t_failed_points_are_recorded(void)
{
	char args[2048], p[600], *text;
	size_t len;
	struct ss_err err;

	mk_tmp();
	/* 0.001 GB cannot hold one KV block: that run fails, the other not */
	write_file("f.json", "{\"base\": {\"trace\": \"synthetic:poisson:rate=0.2:"
		   "count=30:lengths=longbench-v1-32k\", \"model\": \"lwm-7b\"},"
		   " \"axes\": [{\"name\": \"mem.hbm_budget_gb\", \"values\": "
		   "[40, 0.001]}]}");
	snprintf(args, sizeof args, "sweep %s/f.json --csv %s/f.csv -j 2",
		 tmpdir, tmpdir);
	CHECK_EQ_I64(ss(args), 1);
	CHECK_STR_CONTAINS(out, "1 failed");
	CHECK_STR_CONTAINS(out, "column 'error'");
	snprintf(p, sizeof p, "%s/f.h5", tmpdir); /* default: SPEC.h5 */
	CHECK(access(p, F_OK) == 0);
	snprintf(p, sizeof p, "%s/f.csv", tmpdir);
	CHECK_EQ_I64(ss_read_file(p, &text, &len, &err), 0);
	CHECK_EQ_I64(count_lines(text), 3);
	CHECK_STR_CONTAINS(text, ",nan,");
	free(text);
}

static void t_cli_usage_and_errors(void)
{
	char args[1024];

	CHECK_EQ_I64(ss("sweep --help"), 0);
	CHECK_STR_CONTAINS(out, "usage: sparseserve sweep");
	CHECK_STR_CONTAINS(out, "MPI support in this build");
	CHECK_EQ_I64(ss("sweep"), 2);
	CHECK_STR_CONTAINS(out, "no SPEC");
	CHECK_EQ_I64(ss("sweep --bogus x.json"), 2);
	CHECK_STR_CONTAINS(out, "--bogus");
	CHECK_EQ_I64(ss("sweep a.json b.json"), 2);
	CHECK_STR_CONTAINS(out, "unexpected argument 'b.json'");
	CHECK_EQ_I64(ss("sweep -j many a.json"), 2);
	CHECK_STR_CONTAINS(out, "--workers: 'many'");
	CHECK_EQ_I64(ss("sweep --checkpoint -3 a.json"), 2);
	CHECK_STR_CONTAINS(out, "--checkpoint");
	CHECK_EQ_I64(ss("sweep --resume --force a.json"), 2);
	CHECK_STR_CONTAINS(out, "exclude each other");
	CHECK_EQ_I64(ss("sweep /nonexistent/a.json"), 1);
	CHECK_STR_CONTAINS(out, "/nonexistent/a.json");
	mk_tmp();
	write_file("bad.json", "{\"base\": {\"trace\": \"x\", \"model\": \"m\","
		   " \"policy\": \"nope\"}}");
	snprintf(args, sizeof args, "sweep %s/bad.json", tmpdir);
	CHECK_EQ_I64(ss(args), 1);
	CHECK_STR_CONTAINS(out, "bad.json: base.policy: unknown policy 'nope'");
	/* an output directory that does not exist */
	write_file("small.json", small_spec);
	snprintf(args, sizeof args, "sweep %s/small.json -o %s/no/dir/r.h5",
		 tmpdir, tmpdir);
	CHECK_EQ_I64(ss(args), 1);
	CHECK_STR_CONTAINS(out, "r.h5.journal");
}

static const struct th_case cases[] = {
	TH_CASE(t_spec_parses_axes_and_ranges),
	TH_CASE(t_spec_rejects_bad_input),
	TH_CASE(t_enumeration_order_and_seeds),
	TH_CASE(t_run_resolution),
	TH_CASE(t_record_roundtrip_and_bad_records),
	TH_CASE(t_local_two_workers_equal_serial),
	TH_CASE(t_offload_point_equals_sim),
	TH_CASE(t_mpi_two_ranks_equal_serial),
	TH_CASE(t_resume_after_killed_worker),
	TH_CASE(t_resume_after_killed_coordinator),
	TH_CASE(t_journal_and_results_reject_other_specs),
	TH_CASE(t_failed_points_are_recorded),
	TH_CASE(t_cli_usage_and_errors),
	{ 0 },
};

int main(int argc, char **argv)
{
	return th_main(argc, argv, cases);
}
