/*
 * ss.c - error carrier, invariant aborts, checked growth, strict parsing.
 */
#include "ss.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "version.h"

int ss_error(struct ss_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int ss_error_prefix(struct ss_err *err, const char *fmt, ...)
{
	char prefix[256], old[sizeof(err->msg)];
	va_list ap;

	if (!err)
		return SS_EINVAL;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
	return err->code;
}

void ss_bug(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "BUG: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

int ss_grow(void **ptr, size_t *alloc, size_t need, size_t elem,
	    struct ss_err *err)
{
	size_t n = *alloc ? *alloc : 16;
	void *p;

	if (need <= *alloc)
		return 0;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return ss_error(err, SS_ENOMEM, "array size overflow");
		n *= 2;
	}
	if (n > SIZE_MAX / elem)
		return ss_error(err, SS_ENOMEM, "array size overflow");
	p = realloc(*ptr, n * elem);
	if (!p)
		return ss_error(err, SS_ENOMEM, "out of host memory (%zu bytes)",
				n * elem);
	*ptr = p;
	*alloc = n;
	return 0;
}

#define SS_HUGE_PAGE ((size_t)2 << 20)

void *ss_alloc_table(size_t bytes)
{
	static int plain = -1; /* SS_HUGE_TABLES=off, asked once */
	size_t n;
	void *p;

	if (plain < 0) {
		const char *v = getenv("SS_HUGE_TABLES");

		plain = v && !strcmp(v, "off");
	}
	if (plain || bytes < SS_HUGE_PAGE || bytes > SIZE_MAX - SS_HUGE_PAGE)
		return malloc(bytes ? bytes : 1);
	n = (bytes + SS_HUGE_PAGE - 1) & ~(SS_HUGE_PAGE - 1);
	if (posix_memalign(&p, SS_HUGE_PAGE, n))
		return NULL;
#ifdef MADV_HUGEPAGE
	/* advice only: where it is refused the pages are plain ones */
	(void)madvise(p, n, MADV_HUGEPAGE);
#endif
	return p;
}

int ss_parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s)
		return SS_EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return SS_EINVAL;
	*out = v;
	return 0;
}

int ss_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return SS_EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return SS_EINVAL;
	*out = v;
	return 0;
}

/* The first line of `path` as an unsigned number; "max" gives UINT64_MAX. */
static int read_u64_line(const char *path, uint64_t *out)
{
	char line[64];
	FILE *f;
	int rc = SS_EINVAL;

	if (!path || !(f = fopen(path, "r")))
		return SS_EINVAL;
	if (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		if (!strcmp(line, "max")) {
			*out = UINT64_MAX;
			rc = 0;
		} else {
			rc = ss_parse_u64(line, out);
		}
	}
	fclose(f);
	return rc;
}

int ss_mem_available(const char *meminfo, const char *cg_max,
		     const char *cg_cur, const char *cg_stat, uint64_t *out)
{
	char line[256];
	unsigned long long kb = 0, file = 0;
	uint64_t lim, cur;
	int found = 0;
	FILE *f = meminfo ? fopen(meminfo, "r") : NULL;

	if (!f)
		return SS_EINVAL;
	while (!found && fgets(line, sizeof line, f))
		found = sscanf(line, "MemAvailable: %llu kB", &kb) == 1;
	fclose(f);
	if (!found)
		return SS_EINVAL;
	*out = (uint64_t)kb * 1024;
	if (read_u64_line(cg_max, &lim) || lim == UINT64_MAX)
		return 0;
	if (read_u64_line(cg_cur, &cur)) { /* no usage known: the limit */
		*out = SS_MIN(*out, lim);
		return 0;
	}
	/* the cgroup's page cache is reclaimable, as in MemAvailable */
	if (cg_stat && (f = fopen(cg_stat, "r"))) {
		found = 0;
		while (!found && fgets(line, sizeof line, f))
			found = sscanf(line, "file %llu", &file) == 1;
		fclose(f);
		cur -= SS_MIN(cur, (uint64_t)file);
	}
	*out = SS_MIN(*out, lim > cur ? lim - cur : 0);
	return 0;
}

int ss_parse_double(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return SS_EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v))
		return SS_EINVAL;
	*out = v;
	return 0;
}

const char *ss_version(void) { return SS_VERSION; }
