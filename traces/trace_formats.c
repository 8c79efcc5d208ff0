/*
 * trace_formats.c - the trace format registry and its loaders.
 *
 * Formats (found by name through `trace_formats`):
 *   azure     Azure LLM inference 2023/2024 CSV: TIMESTAMP,ContextTokens,
 *             GeneratedTokens; TIMESTAMP "YYYY-MM-DD HH:MM:SS[.f...]" with 0
 *             to 9 fraction digits and an optional zone (Z, +HH:MM, -HHMM).
 *   mooncake  Mooncake JSONL: timestamp (ms), input_length, output_length,
 *             hash_ids (optional array; checked, not stored).
 *   burstgpt  BurstGPT CSV: Timestamp (s),Model,Request tokens,Response
 *             tokens,Total tokens,Log Type.
 *   csv       plain CSV: arrival_s,prompt_tokens,output_tokens.
 * The CSV formats share one loader parameterised by a column layout:
 * columns are found by header name (case-insensitive, any order, extra
 * columns allowed), and every row must have as many fields as the header.
 *
 * Every malformed row is "FILE:LINE: field 'NAME': what is wrong"; with
 * opts->skip_bad it is counted in t->skipped instead (the first message is
 * kept in t->skipped_first). Header problems and empty files are never
 * skippable. Output length 0 is a bad row unless opts->clamp_zero_output.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "fileio.h"
#include "trace_internal.h"

#include "banned.h"

/* ---- lines and fields ------------------------------------------------ */

void trace_lines_init(struct trace_lines *L, char *buf, size_t len,
		      const char *path)
{
	L->p = buf;
	L->end = buf + len;
	L->lineno = 0;
	L->path = path;
}

char *trace_lines_next(struct trace_lines *L)
{
	char *s = L->p, *nl;

	if (s >= L->end)
		return NULL;
	nl = memchr(s, '\n', (size_t)(L->end - s));
	if (nl) {
		*nl = '\0';
		L->p = nl + 1;
	} else {
		nl = L->end; /* ss_read_file NUL-terminates the buffer */
		L->p = L->end;
	}
	if (nl > s && nl[-1] == '\r')
		nl[-1] = '\0';
	L->lineno++;
	return s;
}

int trace_line_blank(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return *s == '\0';
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

int trace_csv_split(char *line, char **fields, int max)
{
	int n = 0;
	char *s = line;

	for (;;) {
		char *c = strchr(s, ',');

		if (n == max)
			return -1;
		if (c)
			*c = '\0';
		fields[n++] = trim(s);
		if (!c)
			return n;
		s = c + 1;
	}
}

/* ---- numbers ----------------------------------------------------------- */

static int why_(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int why_(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return SS_EINVAL;
}

int trace_parse_tokens(const char *s, int zero_ok, uint32_t *out,
		       char *why, size_t len)
{
	uint64_t u;
	double d;

	if (!*s)
		return why_(why, len, "empty");
	if (ss_parse_u64(s, &u) == 0) {
		/* plain integer */
	} else if (ss_parse_double(s, &d) == 0) {
		if (d < 0)
			return why_(why, len, "negative (%.40s)", s);
		if (d != floor(d))
			return why_(why, len, "'%.40s' is not an integer", s);
		if (d > (double)UINT32_MAX)
			return why_(why, len, "too large (%.40s)", s);
		u = (uint64_t)d;
	} else {
		return why_(why, len, "'%.40s' is not a number", s);
	}
	if (u > UINT32_MAX)
		return why_(why, len, "too large (%.40s)", s);
	if (u == 0 && !zero_ok)
		return why_(why, len, "zero (must be >= 1)");
	*out = (uint32_t)u;
	return 0;
}

/* Seconds below this fit in int64 nanoseconds with room to spare. */
#define MAX_SECONDS 9.0e9

int trace_parse_seconds(const char *s, int64_t *ns, char *why, size_t len)
{
	const char *p = s;
	int64_t whole = 0, frac = 0;
	int nint = 0, nfrac = 0;
	double d;

	if (!*s)
		return why_(why, len, "empty");
	/* Plain decimals are converted exactly, so CSV round trips are
	 * bit-exact; anything else (exponents) goes through strtod. */
	while (isdigit((unsigned char)*p) && nint < 11)
		whole = whole * 10 + (*p++ - '0'), nint++;
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			if (nfrac < 9)
				frac = frac * 10 + (*p - '0');
			else if (nfrac == 9 && *p >= '5')
				frac++; /* round half up on the 10th digit */
			nfrac++, p++;
		}
	}
	if (!*p && (nint || nfrac) && nint <= 10) {
		for (int k = nfrac; k < 9; k++)
			frac *= 10;
		if ((double)whole >= MAX_SECONDS)
			return why_(why, len, "too large (%.40s)", s);
		*ns = whole * SS_NS_PER_S + frac;
		return 0;
	}
	if (ss_parse_double(s, &d))
		return why_(why, len, "'%.40s' is not a number", s);
	if (d < 0)
		return why_(why, len, "negative (%.40s)", s);
	if (d >= MAX_SECONDS)
		return why_(why, len, "too large (%.40s)", s);
	*ns = (int64_t)llround(d * 1e9);
	return 0;
}

/* Read exactly `n` digits. */
static int digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
	}
	*out = v;
	return 0;
}

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian, 1 <= y <= 9999). */
static int64_t days_since_epoch(int y, int m, int d)
{
	static const int before_month[12] = { 0,   31,  59,  90,  120, 151,
					      181, 212, 243, 273, 304, 334 };
	int64_t p = y - 1; /* whole years before y */
	int64_t days = p * 365 + p / 4 - p / 100 + p / 400;

	days += before_month[m - 1] + (m > 2 && is_leap(y)) + (d - 1);
	return days - 719162; /* days from 0001-01-01 to 1970-01-01 */
}

int trace_parse_stamp(const char *s, int64_t *ns, char *why, size_t len)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30,
				       31, 31, 30, 31, 30, 31 };
	const char *p = s;
	int y, mo, d, h, mi, se, zh = 0, zm = 0, zsign = 0;
	int64_t frac = 0;
	int nfrac = 0;

	if (!*s)
		return why_(why, len, "empty");
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
	    *p++ != '-' || digits(&p, 2, &d) || (*p != ' ' && *p != 'T'))
		goto bad;
	p++;
	if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) ||
	    *p++ != ':' || digits(&p, 2, &se))
		goto bad;
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			if (++nfrac > 9)
				return why_(why, len, "more than 9 fraction "
					    "digits in '%.40s'", s);
			frac = frac * 10 + (*p++ - '0');
		}
		if (!nfrac)
			goto bad;
	}
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		zsign = *p++ == '+' ? 1 : -1;
		if (digits(&p, 2, &zh))
			goto bad;
		if (*p == ':')
			p++;
		if (digits(&p, 2, &zm))
			goto bad;
	}
	if (*p)
		goto bad;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && is_leap(y)) || h > 23 ||
	    mi > 59 || se > 59 || zh > 23 || zm > 59)
		return why_(why, len, "'%.40s' is not a valid date/time", s);
	for (int k = nfrac; k < 9; k++)
		frac *= 10;
	*ns = ((days_since_epoch(y, mo, d) * 86400 + h * 3600 + mi * 60 + se -
		zsign * (zh * 3600 + zm * 60)) *
	       SS_NS_PER_S) +
	      frac;
	return 0;
bad:
	return why_(why, len,
		    "'%.40s' is not a time stamp (YYYY-MM-DD HH:MM:SS.fff)", s);
}

/* ---- row error handling --------------------------------------------- */

/*
 * A bad row: with skip_bad count it and return 0 (the caller skips the
 * row), else fill err and return SS_EINVAL.
 */
static int bad_row(struct trace *t, const struct trace_load_opts *opts,
		   struct ss_err *err, const char *path, size_t line,
		   const char *field, const char *why)
{
	if (opts->skip_bad) {
		if (!t->skipped)
			snprintf(t->skipped_first, sizeof(t->skipped_first),
				 "%s:%zu: field '%s': %s", path, line, field,
				 why);
		t->skipped++;
		return 0;
	}
	return ss_error(err, SS_EINVAL, "%s:%zu: field '%s': %s", path, line,
			field, why);
}

/* Output length: 0 is allowed only with clamp_zero_output (becomes 1). */
static int parse_output(const char *s, const struct trace_load_opts *opts,
			uint32_t *out, char *why, size_t len)
{
	int rc = trace_parse_tokens(s, 1, out, why, len);

	if (rc)
		return rc;
	if (*out == 0) {
		if (!opts->clamp_zero_output)
			return why_(why, len, "zero (must be >= 1; "
				    "--clamp-zero-output makes it 1)");
		*out = 1;
	}
	return 0;
}

/* ---- CSV formats --------------------------------------------------------- */

enum time_kind { TIME_NONE, TIME_SECONDS, TIME_STAMP };

struct csv_layout {
	enum time_kind time;
	const char *time_col;    /* NULL with TIME_NONE */
	const char *prompt_col;
	const char *output_col;
};

#define CSV_MAX_FIELDS 64

static int find_col(char **hdr, int nh, const char *name)
{
	for (int i = 0; i < nh; i++)
		if (!strcasecmp(hdr[i], name))
			return i;
	return -1;
}

static int layout_fits(const struct csv_layout *l, char **hdr, int nh)
{
	return (l->time == TIME_NONE || find_col(hdr, nh, l->time_col) >= 0) &&
	       find_col(hdr, nh, l->prompt_col) >= 0 &&
	       find_col(hdr, nh, l->output_col) >= 0;
}

/* Name of the first column of `l` missing from the header. */
static const char *layout_missing(const struct csv_layout *l, char **hdr,
				  int nh)
{
	if (l->time != TIME_NONE && find_col(hdr, nh, l->time_col) < 0)
		return l->time_col;
	if (find_col(hdr, nh, l->prompt_col) < 0)
		return l->prompt_col;
	return l->output_col;
}

/*
 * Load a CSV whose header matches one of the NULL-terminated `alts`
 * layouts (the first that fits is used).
 */
static int load_csv(struct trace *t, const char *path,
		    const struct trace_load_opts *opts,
		    const struct csv_layout *const *alts, struct ss_err *err)
{
	char *buf, *line, *hdr[CSV_MAX_FIELDS], *f[CSV_MAX_FIELDS], why[160];
	const struct csv_layout *l = NULL;
	struct trace_lines L;
	size_t len, hdr_line;
	int nh, ci_t = -1, ci_p, ci_o, rc;

	rc = ss_read_file(path, &buf, &len, err);
	if (rc)
		return rc;
	trace_lines_init(&L, buf, len, path);
	do {
		line = trace_lines_next(&L);
	} while (line && trace_line_blank(line));
	if (!line) {
		rc = ss_error(err, SS_EINVAL, "%s: empty file (no header)",
			      path);
		goto out;
	}
	if (!strncmp(line, "\xef\xbb\xbf", 3)) /* UTF-8 byte order mark */
		line += 3;
	hdr_line = L.lineno;
	nh = trace_csv_split(line, hdr, CSV_MAX_FIELDS);
	if (nh < 0) {
		rc = ss_error(err, SS_EINVAL, "%s:%zu: more than %d columns",
			      path, hdr_line, CSV_MAX_FIELDS);
		goto out;
	}
	for (int k = 0; alts[k] && !l; k++)
		if (layout_fits(alts[k], hdr, nh))
			l = alts[k];
	if (!l) {
		rc = ss_error(err, SS_EINVAL,
			      "%s:%zu: field '%s': missing from the header",
			      path, hdr_line, layout_missing(alts[0], hdr, nh));
		goto out;
	}
	if (l->time != TIME_NONE)
		ci_t = find_col(hdr, nh, l->time_col);
	ci_p = find_col(hdr, nh, l->prompt_col);
	ci_o = find_col(hdr, nh, l->output_col);
	while ((line = trace_lines_next(&L))) {
		struct trace_request r = { 0 };
		const char *col = NULL;
		int nf;

		if (trace_line_blank(line))
			continue;
		nf = trace_csv_split(line, f, CSV_MAX_FIELDS);
		if (nf < 0 || nf > nh) {
			snprintf(why, sizeof(why),
				 "extra field (header has %d columns)", nh);
			col = "#extra";
		} else if (nf < nh) {
			snprintf(why, sizeof(why), "missing");
			col = hdr[nf];
		} else if (ci_t >= 0 &&
			   (l->time == TIME_STAMP
				    ? trace_parse_stamp(f[ci_t], &r.arrival_ns,
							why, sizeof(why))
				    : trace_parse_seconds(f[ci_t],
							  &r.arrival_ns, why,
							  sizeof(why)))) {
			col = l->time_col;
		} else if (trace_parse_tokens(f[ci_p], 0, &r.prompt_tokens,
					      why, sizeof(why))) {
			col = l->prompt_col;
		} else if (parse_output(f[ci_o], opts, &r.output_tokens, why,
					sizeof(why))) {
			col = l->output_col;
		}
		if (col) {
			rc = bad_row(t, opts, err, path, L.lineno, col, why);
			if (rc)
				goto out;
			continue;
		}
		r.id = t->n;
		rc = trace_push(t, &r, err);
		if (rc)
			goto out;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

static const struct csv_layout azure_layout = {
	TIME_STAMP, "TIMESTAMP", "ContextTokens", "GeneratedTokens"
};
static const struct csv_layout burstgpt_layout = {
	TIME_SECONDS, "Timestamp", "Request tokens", "Response tokens"
};
static const struct csv_layout plain_layout = {
	TIME_SECONDS, "arrival_s", "prompt_tokens", "output_tokens"
};
static const struct csv_layout lengths_layout = {
	TIME_NONE, NULL, "num_prefill_tokens", "num_decode_tokens"
};
static const struct csv_layout lengths_plain_layout = {
	TIME_NONE, NULL, "prompt_tokens", "output_tokens"
};

static int load_azure(struct trace *t, const char *path,
		      const struct trace_load_opts *opts, struct ss_err *err)
{
	const struct csv_layout *const alts[] = { &azure_layout, NULL };

	return load_csv(t, path, opts, alts, err);
}

static int load_burstgpt(struct trace *t, const char *path,
			 const struct trace_load_opts *opts, struct ss_err *err)
{
	const struct csv_layout *const alts[] = { &burstgpt_layout, NULL };

	return load_csv(t, path, opts, alts, err);
}

static int load_plain(struct trace *t, const char *path,
		      const struct trace_load_opts *opts, struct ss_err *err)
{
	const struct csv_layout *const alts[] = { &plain_layout, NULL };

	return load_csv(t, path, opts, alts, err);
}

int trace_load_lengths_csv(struct trace *t, const char *path,
			   struct ss_err *err)
{
	static const struct trace_load_opts strict;
	const struct csv_layout *const alts[] = { &lengths_layout,
						  &lengths_plain_layout, NULL };
	size_t before = t->n;
	int rc = load_csv(t, path, &strict, alts, err);

	if (!rc && t->n == before)
		rc = ss_error(err, SS_EINVAL, "%s: no rows", path);
	return rc;
}

/* ---- Mooncake JSONL ---------------------------------------------------- */

/* A JSON member holding a token count. */
static int json_tokens(const cJSON *o, const char *name, uint32_t *out,
		       int zero_ok, char *why, size_t len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	double d;

	if (!v)
		return why_(why, len, "missing");
	if (!cJSON_IsNumber(v))
		return why_(why, len, "not a number");
	d = v->valuedouble;
	if (!isfinite(d))
		return why_(why, len, "not a finite number");
	if (d < 0)
		return why_(why, len, "negative (%.17g)", d);
	if (d != floor(d))
		return why_(why, len, "not an integer (%.17g)", d);
	if (d > (double)UINT32_MAX)
		return why_(why, len, "too large (%.17g)", d);
	if (d == 0 && !zero_ok)
		return why_(why, len, "zero (must be >= 1)");
	*out = (uint32_t)d;
	return 0;
}

/* Parse one JSONL row; on error set *field and why. */
static int mooncake_row(const char *line, const struct trace_load_opts *opts,
			struct trace_request *r, const char **field,
			char *why, size_t len)
{
	cJSON *o = cJSON_ParseWithLength(line, strlen(line));
	const cJSON *ts, *h, *e;
	int rc = SS_EINVAL, i = 0;

	if (!o || !cJSON_IsObject(o)) {
		*field = "json";
		why_(why, len, o ? "not a JSON object" : "not valid JSON");
		goto out;
	}
	*field = "timestamp";
	ts = cJSON_GetObjectItemCaseSensitive(o, "timestamp");
	if (!ts) {
		why_(why, len, "missing");
		goto out;
	}
	if (!cJSON_IsNumber(ts) || !isfinite(ts->valuedouble)) {
		why_(why, len, "not a number");
		goto out;
	}
	if (ts->valuedouble < 0) {
		why_(why, len, "negative (%.17g)", ts->valuedouble);
		goto out;
	}
	if (ts->valuedouble >= MAX_SECONDS * 1e3) {
		why_(why, len, "too large (%.17g)", ts->valuedouble);
		goto out;
	}
	r->arrival_ns = (int64_t)llround(ts->valuedouble * 1e6);
	*field = "input_length";
	if (json_tokens(o, "input_length", &r->prompt_tokens, 0, why, len))
		goto out;
	*field = "output_length";
	if (json_tokens(o, "output_length", &r->output_tokens, 1, why, len))
		goto out;
	if (r->output_tokens == 0) {
		if (!opts->clamp_zero_output) {
			why_(why, len, "zero (must be >= 1; "
			     "--clamp-zero-output makes it 1)");
			goto out;
		}
		r->output_tokens = 1;
	}
	*field = "hash_ids";
	h = cJSON_GetObjectItemCaseSensitive(o, "hash_ids");
	if (h && !cJSON_IsArray(h)) {
		why_(why, len, "not an array");
		goto out;
	}
	cJSON_ArrayForEach(e, h) {
		if (!cJSON_IsNumber(e)) {
			why_(why, len, "element %d is not a number", i);
			goto out;
		}
		i++;
	}
	rc = 0;
out:
	cJSON_Delete(o);
	return rc;
}

static int load_mooncake(struct trace *t, const char *path,
			 const struct trace_load_opts *opts, struct ss_err *err)
{
	struct trace_lines L;
	char *buf, *line, why[160];
	size_t len, rows = 0;
	int rc;

	rc = ss_read_file(path, &buf, &len, err);
	if (rc)
		return rc;
	trace_lines_init(&L, buf, len, path);
	while ((line = trace_lines_next(&L))) {
		struct trace_request r = { 0 };
		const char *field = "json";

		if (trace_line_blank(line))
			continue;
		rows++;
		if (mooncake_row(line, opts, &r, &field, why, sizeof(why))) {
			rc = bad_row(t, opts, err, path, L.lineno, field, why);
			if (rc)
				goto out;
			continue;
		}
		r.id = t->n;
		rc = trace_push(t, &r, err);
		if (rc)
			goto out;
	}
	rc = rows ? 0 : ss_error(err, SS_EINVAL, "%s: empty file", path);
out:
	free(buf);
	return rc;
}

/* ---- registry ---------------------------------------------------------- */

static const struct trace_format fmt_azure = {
	.name = "azure",
	.help = "Azure LLM inference CSV (TIMESTAMP,ContextTokens,"
		"GeneratedTokens)",
	.load = load_azure,
};
static const struct trace_format fmt_mooncake = {
	.name = "mooncake",
	.help = "Mooncake JSONL (timestamp ms, input_length, output_length, "
		"hash_ids)",
	.load = load_mooncake,
};
static const struct trace_format fmt_burstgpt = {
	.name = "burstgpt",
	.help = "BurstGPT CSV (Timestamp s, Model, Request tokens, Response "
		"tokens, ...)",
	.load = load_burstgpt,
};
static const struct trace_format fmt_csv = {
	.name = "csv",
	.help = "plain CSV (arrival_s,prompt_tokens,output_tokens)",
	.load = load_plain,
};

const struct trace_format *const trace_formats[] = {
	&fmt_azure, &fmt_mooncake, &fmt_burstgpt, &fmt_csv, NULL,
};

const struct trace_format *trace_format_find(const char *name)
{
	for (int i = 0; trace_formats[i]; i++)
		if (!strcmp(trace_formats[i]->name, name))
			return trace_formats[i];
	return NULL;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcasecmp(s + a - b, suffix);
}

const struct trace_format *trace_format_guess(const char *path)
{
	const struct trace_format *f = NULL;
	char line[4096];
	FILE *fp;

	if (ends_with(path, ".jsonl") || ends_with(path, ".json"))
		return &fmt_mooncake;
	fp = fopen(path, "r");
	if (!fp)
		return NULL;
	if (fgets(line, sizeof(line), fp)) {
		if (line[0] == '{')
			f = &fmt_mooncake;
		else if (strstr(line, "ContextTokens"))
			f = &fmt_azure;
		else if (strstr(line, "Request tokens"))
			f = &fmt_burstgpt;
		else if (strstr(line, "arrival_s"))
			f = &fmt_csv;
	}
	fclose(fp);
	return f;
}
