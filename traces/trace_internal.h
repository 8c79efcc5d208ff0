/*
 * trace_internal.h - helpers shared by the files of traces/ (not public).
 *
 * Loaders read a whole file into memory (ss_read_file) and walk it line by
 * line in place: each line is NUL-terminated where its '\n' was, a trailing
 * '\r' is dropped, and the 1-based line number is kept for messages.
 */
#ifndef SS_TRACE_INTERNAL_H
#define SS_TRACE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "trace.h"

struct trace_lines {
	char *p, *end;       /* unread part of the buffer */
	size_t lineno;       /* 1-based number of the line last returned */
	const char *path;    /* for messages */
};

void trace_lines_init(struct trace_lines *L, char *buf, size_t len,
		      const char *path);
/* Next line (NUL-terminated, without "\r\n"), or NULL at the end. */
char *trace_lines_next(struct trace_lines *L);
/* 1 when the line holds only blanks. */
int trace_line_blank(const char *s);

/*
 * Split a CSV line in place at ',' (no quoting: none of our formats
 * quotes), trimming blanks around each field. Returns the number of
 * fields, or -1 if there are more than `max`.
 */
int trace_csv_split(char *line, char **fields, int max);

/*
 * Strict field parsers. On failure they return SS_EINVAL and write the
 * reason ("'x' is not a number", "negative (-3)", ...) into why[0..len).
 */
int trace_parse_tokens(const char *s, int zero_ok, uint32_t *out,
		       char *why, size_t len);
int trace_parse_seconds(const char *s, int64_t *ns, char *why, size_t len);
int trace_parse_stamp(const char *s, int64_t *ns, char *why, size_t len);

/*
 * Load a per-request length table (no arrival times): a CSV whose header
 * has num_prefill_tokens,num_decode_tokens or prompt_tokens,output_tokens.
 * Requests get arrival 0. Malformed lines are errors (file:line:field).
 */
int trace_load_lengths_csv(struct trace *t, const char *path,
			   struct ss_err *err);

/*
 * The LongBench v1 tasks behind the longbench-v1* named distributions
 * (NULL-terminated; checked against traces/data by the tests).
 */
enum lb_unit { LB_WORDS, LB_CHARS_ZH, LB_CODE_WORDS };
struct trace_lb_task {
	const char *name;        /* as in longbench_v1_task_stats.csv */
	enum lb_unit unit;       /* what avg_len counts */
	double avg_len;          /* words (EN, code) or characters (ZH) */
	unsigned samples;        /* data set size: the mixing weight */
	uint32_t max_new_tokens; /* output tokens */
};
extern const struct trace_lb_task trace_longbench_v1[];
extern const double trace_lb_tokens_per_unit[]; /* tokens per unit */
#define TRACE_LB_SIGMA 0.5 /* lognormal sigma of prompts within a task */

#endif
