/*
 * mjson.h - typed reads from cJSON trees whose errors name the input
 * and the key (internal to model/: config.json and profile readers).
 *
 * A `struct mjson_ctx` carries the origin (file path or shipped name),
 * the word used for keys in messages ("field" for Hugging Face configs,
 * "key" for profiles) and the caller's error carrier. Messages read
 *   "ORIGIN: field 'num_hidden_layers': missing"
 *   "ORIGIN: key 'ops.linear.fixed_ns.value': expected a number, got string"
 * Getters return 0 when the key is present and valid, 1 when it is absent
 * (no message: the caller decides whether that is an error) and a negative
 * SS_E* code with the message filled when present but wrong.
 */
#ifndef SS_MODEL_MJSON_H
#define SS_MODEL_MJSON_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "ss.h"

struct mjson_ctx {
	const char *origin; /* file path or shipped name */
	const char *word;   /* "field" or "key" */
	struct ss_err *err;
};

/* Parse `text`; on failure SS_EINVAL "ORIGIN:LINE: malformed JSON near '...'". */
cJSON *mjson_parse(const char *text, struct mjson_ctx *cx);

/* "ORIGIN: WORD 'path': missing"; returns SS_EINVAL. */
int mjson_missing(struct mjson_ctx *cx, const char *path);
/* "ORIGIN: WORD 'path': <formatted>"; returns SS_EINVAL. */
int mjson_bad(struct mjson_ctx *cx, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Name of a cJSON node's type for messages ("string", "object", ...). */
const char *mjson_type_name(const cJSON *item);

/* A finite number (in [lo, hi]). `path` names the key in messages. */
int mjson_number(const cJSON *obj, const char *key, const char *path,
		 double lo, double hi, double *out, struct mjson_ctx *cx);
/* A whole number in [lo, hi] (hi <= 2^53). */
int mjson_uint(const cJSON *obj, const char *key, const char *path,
	       uint64_t lo, uint64_t hi, uint64_t *out, struct mjson_ctx *cx);
/* true/false. */
int mjson_bool(const cJSON *obj, const char *key, const char *path, int *out,
	       struct mjson_ctx *cx);
/* A string of fewer than `cap` bytes, copied into `out`. */
int mjson_string(const cJSON *obj, const char *key, const char *path,
		 char *out, size_t cap, struct mjson_ctx *cx);

#endif
