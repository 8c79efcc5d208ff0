/*
 * ss.h - project-wide basics: error codes, the error message carrier,
 * invariant checks and small helpers.
 *
 * Error tiers (STYLE.md habit 8):
 *  - library functions return 0 or a negative SS_E* code and, on error,
 *    fill a caller-owned `struct ss_err` with one line that names the
 *    file, line and field where the input was wrong;
 *  - broken invariants call BUG(), which aborts loudly in every build;
 *  - only main() drivers and benchmark harnesses exit on the spot.
 */
#ifndef SS_H
#define SS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

enum {
	SS_OK = 0,
	SS_EINVAL = -1, /* bad input: malformed file, unknown key, bad value */
	SS_EIO = -2,    /* cannot open, read or write a file */
	SS_ENOMEM = -3, /* host allocation failed */
	SS_ERANGE = -4, /* impossible combination (model does not fit, ...) */
	SS_ECUDA = -5,  /* CUDA runtime or driver error, device OOM */
	SS_ENODEV = -6, /* no GPU / built without CUDA */
	SS_EINTR = -7,  /* interrupted by the user */
};

/* One line of error text; the caller owns it (no hidden globals). */
struct ss_err {
	int code;
	char msg[512];
};

/*
 * Record an error and return its code, so callers can write
 *   return ss_error(err, SS_EINVAL, "%s:%zu: field 'x': not a number", ...);
 * `err` may be NULL (the message is then dropped).
 */
int ss_error(struct ss_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix an existing message: "prefix: old message". Returns err->code. */
int ss_error_prefix(struct ss_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Abort with file:line and a message; for broken invariants only. */
_Noreturn void ss_bug(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define BUG(...) ss_bug(__FILE__, __LINE__, __VA_ARGS__)
#define BUG_ON(cond)                                                          \
	do {                                                                  \
		if (cond)                                                     \
			ss_bug(__FILE__, __LINE__, "invariant: %s", #cond);   \
	} while (0)

/* Time and size units used everywhere (DESIGN.md conventions). */
#define SS_NS_PER_S INT64_C(1000000000)
#define SS_NS_PER_MS INT64_C(1000000)
#define SS_NS_PER_US INT64_C(1000)

static inline double ss_ns_to_s(int64_t ns) { return (double)ns / 1e9; }
static inline int64_t ss_s_to_ns(double s)
{
	return (int64_t)(s * 1e9 + (s >= 0 ? 0.5 : -0.5));
}

#define SS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SS_MIN(a, b) ((a) < (b) ? (a) : (b))
#define SS_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Overflow-checked growth of a dynamic array: ensures *alloc >= need. */
int ss_grow(void **ptr, size_t *alloc, size_t need, size_t elem,
	    struct ss_err *err);

/*
 * A large table read at random (the KV directory's slot tables and each
 * request's block table): from 2 MiB on, 2 MiB-aligned, rounded up to whole
 * 2 MiB and advised MADV_HUGEPAGE, so that where transparent huge pages are
 * `madvise` (the H200 machine) the policy's look-ups miss the TLB far less
 * often; smaller tables, or SS_HUGE_TABLES=off in the environment (to
 * measure what huge pages change), take plain malloc. Freed with free().
 * NULL when out of memory. Contents undefined, as malloc's.
 */
void *ss_alloc_table(size_t bytes);

/* Strict number parsing: the whole string must be consumed. 0 or SS_EINVAL. */
int ss_parse_i64(const char *s, int64_t *out);
int ss_parse_u64(const char *s, uint64_t *out);
int ss_parse_double(const char *s, double *out);

/*
 * Host memory this process may still take, in bytes: MemAvailable of
 * `meminfo` (/proc/meminfo), lowered to the room left under a cgroup v2
 * limit: `cg_max` - (`cg_cur` - the page cache the cgroup could drop, the
 * `file` line of `cg_stat`), e.g. /sys/fs/cgroup/memory.max,
 * memory.current and memory.stat; "max" or a missing limit: no limit; a
 * missing usage: the limit itself; a missing stat: no cache counted); any
 * path may be NULL. 0, or SS_EINVAL
 * when meminfo cannot be read or has no MemAvailable line.
 */
int ss_mem_available(const char *meminfo, const char *cg_max,
		     const char *cg_cur, const char *cg_stat, uint64_t *out);

/* Version string of this build (from meson). */
const char *ss_version(void);

#endif
