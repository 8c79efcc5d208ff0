/*
 * mjson.c - typed cJSON reads with messages naming the origin and key.
 * See mjson.h. cJSON gives the failing offset of a parse; we turn it into
 * a line number and a short excerpt.
 */
#include "model/mjson.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "banned.h"

cJSON *mjson_parse(const char *text, struct mjson_ctx *cx)
{
	const char *end = NULL, *p, *from;
	char near[48];
	size_t line = 1, i;
	cJSON *root;

	root = cJSON_ParseWithOpts(text, &end, 1);
	if (root)
		return root;
	if (!end || end < text)
		end = text;
	from = text;
	for (p = text; p < end; p++)
		if (*p == '\n') {
			line++;
			from = p + 1;
		}
	/* the excerpt: up to 24 bytes of the line before the failure, then on */
	if (end - from > 24)
		from = end - 24;
	for (i = 0; i + 1 < sizeof(near) && from[i] && from[i] != '\n'; i++)
		near[i] = from[i];
	near[i] = '\0';
	ss_error(cx->err, SS_EINVAL, "%s:%zu: malformed JSON near '%s'",
		 cx->origin, line, near);
	return NULL;
}

int mjson_missing(struct mjson_ctx *cx, const char *path)
{
	return ss_error(cx->err, SS_EINVAL, "%s: %s '%s': missing", cx->origin,
			cx->word, path);
}

int mjson_bad(struct mjson_ctx *cx, const char *path, const char *fmt, ...)
{
	char what[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return ss_error(cx->err, SS_EINVAL, "%s: %s '%s': %s", cx->origin,
			cx->word, path, what);
}

const char *mjson_type_name(const cJSON *item)
{
	if (!item)
		return "nothing";
	if (cJSON_IsNull(item))
		return "null";
	if (cJSON_IsBool(item))
		return "a boolean";
	if (cJSON_IsNumber(item))
		return "a number";
	if (cJSON_IsString(item))
		return "a string";
	if (cJSON_IsArray(item))
		return "an array";
	if (cJSON_IsObject(item))
		return "an object";
	return "something else";
}

int mjson_number(const cJSON *obj, const char *key, const char *path,
		 double lo, double hi, double *out, struct mjson_ctx *cx)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	double v;

	if (!it)
		return 1;
	if (!cJSON_IsNumber(it))
		return mjson_bad(cx, path, "expected a number, got %s",
				 mjson_type_name(it));
	v = it->valuedouble;
	if (!isfinite(v) || v < lo || v > hi)
		return mjson_bad(cx, path, "%.17g is out of range [%g, %g]", v,
				 lo, hi);
	*out = v;
	return 0;
}

int mjson_uint(const cJSON *obj, const char *key, const char *path,
	       uint64_t lo, uint64_t hi, uint64_t *out, struct mjson_ctx *cx)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	double v;

	if (!it)
		return 1;
	if (!cJSON_IsNumber(it))
		return mjson_bad(cx, path, "expected a whole number, got %s",
				 mjson_type_name(it));
	v = it->valuedouble;
	if (!isfinite(v) || v != floor(v))
		return mjson_bad(cx, path, "%.17g is not a whole number", v);
	if (v < (double)lo || v > (double)hi)
		return mjson_bad(cx, path,
				 "%.17g is out of range [%llu, %llu]", v,
				 (unsigned long long)lo,
				 (unsigned long long)hi);
	*out = (uint64_t)v;
	return 0;
}

int mjson_bool(const cJSON *obj, const char *key, const char *path, int *out,
	       struct mjson_ctx *cx)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!it)
		return 1;
	if (!cJSON_IsBool(it))
		return mjson_bad(cx, path, "expected true or false, got %s",
				 mjson_type_name(it));
	*out = cJSON_IsTrue(it) ? 1 : 0;
	return 0;
}

int mjson_string(const cJSON *obj, const char *key, const char *path,
		 char *out, size_t cap, struct mjson_ctx *cx)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	size_t n;

	if (!it)
		return 1;
	if (!cJSON_IsString(it))
		return mjson_bad(cx, path, "expected a string, got %s",
				 mjson_type_name(it));
	n = strlen(it->valuestring);
	if (n >= cap)
		return mjson_bad(cx, path, "longer than %zu bytes", cap - 1);
	memcpy(out, it->valuestring, n + 1);
	return 0;
}
