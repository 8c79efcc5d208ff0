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
