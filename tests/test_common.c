/* test_common.c - error carrier, strict parsing, atomic files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "harness.h"
#include "ss.h"

static void t_parse_strict(void)
{
	int64_t i;
	uint64_t u;
	double d;

	CHECK_EQ_I64(ss_parse_i64("42", &i), 0);
	CHECK_EQ_I64(i, 42);
	CHECK(ss_parse_i64("42x", &i) == SS_EINVAL);
	CHECK(ss_parse_i64("", &i) == SS_EINVAL);
	CHECK(ss_parse_u64("-1", &u) == SS_EINVAL);
	CHECK_EQ_I64(ss_parse_double("0.25", &d), 0);
	CHECK_NEAR(d, 0.25, 0);
	CHECK(ss_parse_double("nan", &d) == SS_EINVAL);
	CHECK(ss_parse_double("1e999", &d) == SS_EINVAL);
}

static void t_error_prefix(void)
{
	struct ss_err e;

	CHECK_EQ_I64(ss_error(&e, SS_EINVAL, "field '%s': bad", "rate"),
		     SS_EINVAL);
	ss_error_prefix(&e, "%s:%d", "f.csv", 3);
	CHECK(strcmp(e.msg, "f.csv:3: field 'rate': bad") == 0);
}

static void t_atomic_file(void)
{
	char dir[] = "/tmp/ss_test_XXXXXX", path[256], *buf;
	struct ss_afile af;
	struct ss_err e;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/out.csv", dir);
	CHECK_EQ_I64(ss_afile_open(&af, path, &e), 0);
	fputs("a,b\n", af.f);
	CHECK(access(path, F_OK) != 0); /* not visible before commit */
	CHECK_EQ_I64(ss_afile_commit(&af, &e), 0);
	CHECK_EQ_I64(ss_read_file(path, &buf, NULL, &e), 0);
	CHECK(strcmp(buf, "a,b\n") == 0);
	free(buf);
	/* an aborted write leaves nothing */
	snprintf(path, sizeof path, "%s/gone.csv", dir);
	CHECK_EQ_I64(ss_afile_open(&af, path, &e), 0);
	fputs("half", af.f);
	ss_afile_abort(&af);
	CHECK(access(path, F_OK) != 0);
	CHECK(access(af.tmp, F_OK) != 0);
	CHECK(ss_read_file("/nonexistent/x", &buf, NULL, &e) == SS_EIO);
	CHECK_STR_CONTAINS(e.msg, "/nonexistent/x");
}

static void t_grow(void)
{
	int *a = NULL;
	size_t alloc = 0;
	struct ss_err e;

	CHECK_EQ_I64(ss_grow((void **)&a, &alloc, 1000, sizeof(int), &e), 0);
	CHECK(alloc >= 1000);
	a[999] = 1;
	CHECK(ss_grow((void **)&a, &alloc, SIZE_MAX / 2, 16, &e) == SS_ENOMEM);
	free(a);
}

/* tables from 2 MiB on are 2 MiB-aligned and whole huge pages; every byte
 * is usable either way */
static void t_alloc_table(void)
{
	size_t big = ((size_t)5 << 20) + 3;
	unsigned char *a = ss_alloc_table(big), *b = ss_alloc_table(100);

	const char *v = getenv("SS_HUGE_TABLES");

	CHECK(a != NULL && b != NULL);
	if (a) {
		if (!v || strcmp(v, "off"))
			CHECK(((uintptr_t)a & (((size_t)2 << 20) - 1)) == 0);
		memset(a, 0xab, big);
		CHECK(a[0] == 0xab && a[big - 1] == 0xab);
	}
	if (b) {
		memset(b, 1, 100);
		CHECK(b[99] == 1);
	}
	free(a);
	free(b);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* MemAvailable, lowered to what a cgroup limit leaves */
static void t_mem_available(void)
{
	char dir[] = "/tmp/ss_test_XXXXXX", mi[256], mx[256], cu[256], st[256];
	uint64_t v = 0;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(mi, sizeof mi, "%s/meminfo", dir);
	snprintf(mx, sizeof mx, "%s/memory.max", dir);
	snprintf(cu, sizeof cu, "%s/memory.current", dir);
	snprintf(st, sizeof st, "%s/memory.stat", dir);
	put(mi, "MemTotal:       131072000 kB\nMemFree:         1000 kB\n"
		"MemAvailable:   125000000 kB\nBuffers: 0 kB\n");
	CHECK_EQ_I64(ss_mem_available(mi, NULL, NULL, NULL, &v), 0);
	CHECK_EQ_I64((int64_t)v, 125000000LL * 1024);
	put(mx, "max\n");
	put(cu, "5000\n");
	CHECK_EQ_I64(ss_mem_available(mi, mx, cu, st, &v), 0);
	CHECK_EQ_I64((int64_t)v, 125000000LL * 1024); /* no limit */
	put(mx, "100000000000\n");
	put(cu, "40000000000\n");
	CHECK_EQ_I64(ss_mem_available(mi, mx, cu, st, &v), 0);
	CHECK_EQ_I64((int64_t)v, 60000000000LL); /* the cgroup's room */
	/* its page cache counts as room */
	put(st, "anon 30000000000\nfile 10000000000\nkernel 1\n");
	CHECK_EQ_I64(ss_mem_available(mi, mx, cu, st, &v), 0);
	CHECK_EQ_I64((int64_t)v, 70000000000LL);
	unlink(st);
	/* a limit without its usage: the limit caps */
	CHECK_EQ_I64(ss_mem_available(mi, mx, "/nonexistent/cur", st, &v), 0);
	CHECK_EQ_I64((int64_t)v, 100000000000LL);
	put(cu, "200000000000\n");
	CHECK_EQ_I64(ss_mem_available(mi, mx, cu, st, &v), 0);
	CHECK_EQ_I64((int64_t)v, 0);
	put(mi, "MemTotal: 1 kB\n"); /* no MemAvailable line */
	CHECK(ss_mem_available(mi, mx, cu, st, &v) == SS_EINVAL);
	CHECK(ss_mem_available("/nonexistent/meminfo", NULL, NULL, NULL,
			       &v) == SS_EINVAL);
	unlink(mi);
	unlink(mx);
	unlink(cu);
	rmdir(dir);
	/* this machine's own answer is there and plausible */
	CHECK_EQ_I64(ss_mem_available("/proc/meminfo",
				      "/sys/fs/cgroup/memory.max",
				      "/sys/fs/cgroup/memory.current",
				      "/sys/fs/cgroup/memory.stat", &v), 0);
	CHECK(v > 0);
}

static const struct th_case cases[] = {
	TH_CASE(t_mem_available),
	TH_CASE(t_parse_strict),
	TH_CASE(t_error_prefix),
	TH_CASE(t_atomic_file),
	TH_CASE(t_grow),
	TH_CASE(t_alloc_table),
	{ 0 },
};

int main(int argc, char **argv) { return th_main(argc, argv, cases); }
