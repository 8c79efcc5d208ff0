/*
 * spec.c - parsing and validating sweep specs (cJSON), enumerating runs,
 * deriving per-run seeds and resolving one run's options.
 *
 * The parser walks the JSON once and keeps only text: base fields and
 * axis values become canonical strings, so a run is resolved by plain
 * substitution and the same parse functions check values at parse time
 * and at run time. Config keys are discovered from sim_config_to_json(),
 * so keys added to sim/config.c work in sweeps without changes here.
 */
#include "spec.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "policy/policy.h"

#include "banned.h"

static const char *const field_names[SWEEP_NFIELDS] = {
	[SWEEP_TRACE] = "trace",
	[SWEEP_FORMAT] = "format",
	[SWEEP_MODEL] = "model",
	[SWEEP_PROFILE] = "profile",
	[SWEEP_POLICY] = "policy",
	[SWEEP_WINDOW] = "window",
	[SWEEP_CONFIG] = "config",
	[SWEEP_SELECTION] = "selection",
	[SWEEP_RATE_SCALE] = "rate_scale",
	[SWEEP_MAX_PROMPT] = "max_prompt",
	[SWEEP_LIMIT] = "limit",
};

const char *sweep_field_name(enum sweep_field f)
{
	BUG_ON((unsigned)f >= SWEEP_NFIELDS);
	return field_names[f];
}

static int field_is_num(enum sweep_field f)
{
	return f == SWEEP_RATE_SCALE || f == SWEEP_MAX_PROMPT ||
	       f == SWEEP_LIMIT;
}

static int find_field(const char *name)
{
	for (int i = 0; i < SWEEP_NFIELDS; i++)
		if (!strcmp(field_names[i], name))
			return i;
	return -1;
}

void sweep_fmt_double(double x, char *buf, size_t len)
{
	/* integers as integers: 20, not 2e+01 */
	if (x == floor(x) && fabs(x) < 1e15) {
		snprintf(buf, len, "%.0f", x);
		if (strtod(buf, NULL) == x)
			return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, x);
		if (strtod(buf, NULL) == x)
			return;
	}
}

static char *xstrdup(const char *s, struct ss_err *err)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (!d)
		ss_error(err, SS_ENOMEM, "out of memory");
	else
		memcpy(d, s, n);
	return d;
}

/* Parse context: where we are, for messages. */
struct pctx {
	struct sweep_spec *s;
	struct ss_err *err;
	cJSON *keys;          /* config keys with their defaults */
};

#define PERR(c, ...) ss_error((c)->err, SS_EINVAL, __VA_ARGS__)

/*
 * Check a field's value text (after substitution). `where` names the spot
 * in messages. Also yields the numbers of numeric fields.
 */
static int check_field(enum sweep_field f, const char *text, const char *where,
		       double *num, double *num2, struct ss_err *err)
{
	uint64_t u;
	double d;

	switch (f) {
	case SWEEP_RATE_SCALE:
		if (ss_parse_double(text, &d) || !(d > 0) || isinf(d))
			return ss_error(err, SS_EINVAL, "%s: rate_scale '%s' "
					"is not a positive number", where, text);
		*num = d;
		return 0;
	case SWEEP_MAX_PROMPT:
		if (ss_parse_u64(text, &u) || !u || u > UINT32_MAX)
			return ss_error(err, SS_EINVAL, "%s: max_prompt '%s' is "
					"not a positive token count", where, text);
		*num = (double)u;
		return 0;
	case SWEEP_LIMIT:
		if (ss_parse_u64(text, &u) || !u)
			return ss_error(err, SS_EINVAL, "%s: limit '%s' is not "
					"a positive count", where, text);
		*num = (double)u;
		return 0;
	case SWEEP_POLICY:
		if (!pol_preset_find(text)) {
			char known[256] = "";
			size_t k = 0;

			for (int i = 0; pol_presets[i] && k < sizeof known; i++)
				k += (size_t)snprintf(known + k, sizeof known - k,
						      " %s", pol_presets[i]->name);
			return ss_error(err, SS_EINVAL, "%s: unknown policy '%s' "
					"(known:%s)", where, text, known);
		}
		return 0;
	case SWEEP_WINDOW: {
		char buf[128], *colon;
		double a, b;

		snprintf(buf, sizeof buf, "%s", text);
		colon = strchr(buf, ':');
		if (colon)
			*colon = '\0';
		if (!colon || ss_parse_double(buf, &a) ||
		    ss_parse_double(colon + 1, &b) || !(a >= 0) || !(b > a))
			return ss_error(err, SS_EINVAL, "%s: window '%s' is not "
					"START:END seconds with 0 <= START < END",
					where, text);
		*num = a;
		*num2 = b;
		return 0;
	}
	default:
		if (!*text)
			return ss_error(err, SS_EINVAL, "%s: %s is empty", where,
					field_names[f]);
		return 0;
	}
}

static int valid_name(const char *n)
{
	size_t len = strlen(n);

	if (!len || len >= SWEEP_NAME_MAX)
		return 0;
	for (const char *p = n; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' ||
		      *p == '-'))
			return 0;
	return 1;
}

/*
 * Walk the {name} references of `text`: call back with each name; a '{'
 * that does not open a valid {name} is an error.
 */
static int scan_vars(const char *text, const char *where,
		     int (*cb)(void *, const char *, const char *), void *arg,
		     struct ss_err *err)
{
	for (const char *p = text; (p = strchr(p, '{')); p++) {
		const char *end = strchr(p, '}');
		char name[SWEEP_NAME_MAX];
		size_t n;
		int rc;

		if (!end || (n = (size_t)(end - p - 1)) == 0 || n >= sizeof name)
			return ss_error(err, SS_EINVAL, "%s: '%s': '{' does not "
					"open a {variable}", where, text);
		memcpy(name, p + 1, n);
		name[n] = '\0';
		if (!valid_name(name))
			return ss_error(err, SS_EINVAL, "%s: '%s': '{%s}' is not "
					"a variable name (letters, digits, _ . -)",
					where, text, name);
		rc = cb(arg, name, where);
		if (rc)
			return rc;
	}
	return 0;
}

static struct sweep_axis *find_axis(struct sweep_spec *s, const char *name)
{
	for (size_t i = 0; i < s->naxes; i++)
		if (!strcmp(s->axes[i].name, name))
			return &s->axes[i];
	return NULL;
}

struct var_use {
	struct sweep_spec *s;
	struct ss_err *err;
	int *used;  /* per axis */
};

static int var_seen(void *arg, const char *name, const char *where)
{
	struct var_use *u = arg;
	struct sweep_axis *a = find_axis(u->s, name);

	if (!a || a->kind != SWEEP_K_VAR)
		return ss_error(u->err, SS_EINVAL, "%s: {%s} is not a variable "
				"axis of this spec (a variable is an axis whose "
				"name is neither a run field nor a config key)",
				where, name);
	u->used[a - u->s->axes] = 1;
	return 0;
}

/* Append one value (number or string) to an axis. */
static int axis_push(struct pctx *c, struct sweep_axis *a, int is_num,
		     double num, const char *str, size_t cap)
{
	char buf[64];
	struct sweep_value *v;

	if (a->n == cap)
		BUG("axis value capacity");
	v = &a->v[a->n];
	v->is_num = is_num;
	v->num = num;
	if (is_num) {
		sweep_fmt_double(num, buf, sizeof buf);
		str = buf;
	}
	v->text = xstrdup(str, c->err);
	if (!v->text)
		return SS_ENOMEM;
	a->n++;
	return 0;
}

/* Check every value of axis `a` against its kind. */
static int axis_check(struct pctx *c, struct sweep_axis *a, const char *where)
{
	char w[640];

	for (size_t i = 0; i < a->n; i++) {
		const struct sweep_value *v = &a->v[i];
		double x, y;

		snprintf(w, sizeof w, "%s.values[%zu]", where, i);
		if (a->kind == SWEEP_K_FIELD) {
			if (field_is_num(a->field) != v->is_num)
				return PERR(c, "%s: %s takes %s", w,
					    field_names[a->field],
					    v->is_num ? "strings" : "numbers");
			if (check_field(a->field, v->text, w, &x, &y, c->err))
				return SS_EINVAL;
			if (strchr(v->text, '{'))
				return PERR(c, "%s: '{' in an axis value (only "
					    "base strings take {variables})", w);
		} else if (a->kind == SWEEP_K_KEY) {
			struct sim_config scratch;
			char kv[256];

			if (!v->is_num)
				return PERR(c, "%s: config key '%s' takes numbers",
					    w, a->name);
			sim_config_default(&scratch);
			snprintf(kv, sizeof kv, "%s=%s", a->name, v->text);
			if (sim_config_set(&scratch, kv, w, c->err))
				return SS_EINVAL;
		}
	}
	return 0;
}

static int parse_values(struct pctx *c, struct sweep_axis *a, const cJSON *ax,
			const char *where)
{
	const cJSON *vals = cJSON_GetObjectItemCaseSensitive(ax, "values");
	const cJSON *range = cJSON_GetObjectItemCaseSensitive(ax, "range");
	const cJSON *lin = cJSON_GetObjectItemCaseSensitive(ax, "linspace");
	int given = !!vals + !!range + !!lin;
	size_t cap;

	if (given != 1)
		return PERR(c, "%s: give exactly one of \"values\", \"range\", "
			    "\"linspace\"", where);
	if (vals) {
		const cJSON *it;
		size_t i = 0;

		if (!cJSON_IsArray(vals) || !cJSON_GetArraySize(vals))
			return PERR(c, "%s.values: not a non-empty array", where);
		cap = (size_t)cJSON_GetArraySize(vals);
		a->v = calloc(cap, sizeof(*a->v));
		if (!a->v)
			return ss_error(c->err, SS_ENOMEM, "out of memory");
		cJSON_ArrayForEach(it, vals) {
			int rc;

			if (cJSON_IsNumber(it) && isfinite(it->valuedouble))
				rc = axis_push(c, a, 1, it->valuedouble, NULL, cap);
			else if (cJSON_IsString(it))
				rc = axis_push(c, a, 0, 0, it->valuestring, cap);
			else
				return PERR(c, "%s.values[%zu]: not a number or "
					    "a string", where, i);
			if (rc)
				return rc;
			i++;
		}
		return 0;
	}
	{
		const cJSON *r = range ? range : lin;
		const char *what = range ? "range" : "linspace";
		double x[3];
		double count;

		if (!cJSON_IsArray(r) || cJSON_GetArraySize(r) != 3)
			return PERR(c, "%s.%s: expected [%s]", where, what,
				    range ? "FROM, TO, STEP" : "FROM, TO, COUNT");
		for (int i = 0; i < 3; i++) {
			const cJSON *e = cJSON_GetArrayItem(r, i);

			if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble))
				return PERR(c, "%s.%s[%d]: not a number", where,
					    what, i);
			x[i] = e->valuedouble;
		}
		if (range) {
			if (x[2] == 0 || (x[1] - x[0]) / x[2] < 0)
				return PERR(c, "%s.range: step %g never goes "
					    "from %g to %g", where, x[2], x[0],
					    x[1]);
			/* a relative slack keeps 0.1..0.5 step 0.1 at 5 values */
			count = floor((x[1] - x[0]) / x[2] + 1e-9) + 1;
		} else {
			count = x[2];
			if (count < 1 || count != floor(count))
				return PERR(c, "%s.linspace: count %g is not a "
					    "positive integer", where, count);
		}
		if (count > 1e6)
			return PERR(c, "%s.%s: %g values (at most 1e6)", where,
				    what, count);
		cap = (size_t)count;
		a->v = calloc(cap, sizeof(*a->v));
		if (!a->v)
			return ss_error(c->err, SS_ENOMEM, "out of memory");
		for (size_t i = 0; i < cap; i++) {
			double v;
			int rc;

			if (range)
				v = x[0] + (double)i * x[2];
			else
				v = cap == 1 ? x[0]
					     : x[0] + (x[1] - x[0]) * (double)i /
							      (double)(cap - 1);
			rc = axis_push(c, a, 1, v, NULL, cap);
			if (rc)
				return rc;
		}
		return 0;
	}
}

static int parse_axis(struct pctx *c, const cJSON *ax, uint32_t group,
		      const char *where)
{
	struct sweep_spec *s = c->s;
	const cJSON *name, *it;
	struct sweep_axis *a;
	int f, rc;

	if (!cJSON_IsObject(ax))
		return PERR(c, "%s: not an object", where);
	cJSON_ArrayForEach(it, ax) {
		if (strcmp(it->string, "name") && strcmp(it->string, "values") &&
		    strcmp(it->string, "range") && strcmp(it->string, "linspace"))
			return PERR(c, "%s: unknown field '%s' (known: name, "
				    "values, range, linspace)", where,
				    it->string);
	}
	name = cJSON_GetObjectItemCaseSensitive(ax, "name");
	if (!cJSON_IsString(name))
		return PERR(c, "%s.name: missing or not a string", where);
	if (!valid_name(name->valuestring))
		return PERR(c, "%s.name: '%s' is not a name (1-63 of letters, "
			    "digits, _ . -)", where, name->valuestring);
	if (!strcmp(name->valuestring, "skip_bad") ||
	    !strcmp(name->valuestring, "set"))
		return PERR(c, "%s.name: '%s' cannot be an axis", where,
			    name->valuestring);
	if (find_axis(s, name->valuestring))
		return PERR(c, "%s.name: axis '%s' given twice", where,
			    name->valuestring);
	if (s->naxes == SWEEP_MAX_AXES)
		return PERR(c, "%s: too many axes (at most %d)", where,
			    SWEEP_MAX_AXES);
	a = &s->axes[s->naxes++];
	snprintf(a->name, sizeof a->name, "%s", name->valuestring);
	a->group = group;
	a->seeds = 1;
	f = find_field(a->name);
	if (f >= 0) {
		a->kind = SWEEP_K_FIELD;
		a->field = (enum sweep_field)f;
	} else if (cJSON_GetObjectItemCaseSensitive(c->keys, a->name)) {
		a->kind = SWEEP_K_KEY;
	} else {
		a->kind = SWEEP_K_VAR;
	}
	rc = parse_values(c, a, ax, where);
	if (rc)
		return rc;
	return axis_check(c, a, where);
}

static int parse_axes(struct pctx *c, const cJSON *axes, int zip_all)
{
	struct sweep_spec *s = c->s;
	const cJSON *ax;
	char where[128];
	int i = 0;

	if (!cJSON_IsArray(axes))
		return PERR(c, "%s: axes: not an array", s->origin);
	cJSON_ArrayForEach(ax, axes) {
		const cJSON *zip = cJSON_GetObjectItemCaseSensitive(ax, "zip");
		uint32_t g = zip_all ? 0 : s->ngroups;
		int rc;

		snprintf(where, sizeof where, "%s: axes[%d]", s->origin, i);
		if (zip) {
			const cJSON *sub;
			int j = 0;

			if (cJSON_GetArraySize(ax) != 1)
				return PERR(c, "%s: a zip group has only the "
					    "field \"zip\"", where);
			if (!cJSON_IsArray(zip) || !cJSON_GetArraySize(zip))
				return PERR(c, "%s.zip: not a non-empty array of "
					    "axes", where);
			cJSON_ArrayForEach(sub, zip) {
				char w2[160];

				snprintf(w2, sizeof w2, "%s.zip[%d]", where, j++);
				rc = parse_axis(c, sub, g, w2);
				if (rc)
					return rc;
			}
		} else {
			rc = parse_axis(c, ax, g, where);
			if (rc)
				return rc;
		}
		if (!zip_all || !s->ngroups)
			s->ngroups++;
		i++;
	}
	/* group lengths; zipped axes must agree */
	for (size_t k = 0; k < s->naxes; k++) {
		struct sweep_axis *a = &s->axes[k];
		uint64_t *len = &s->group_len[a->group];

		if (!*len) {
			*len = a->n;
		} else if (*len != a->n) {
			const struct sweep_axis *first = a;

			for (size_t m = 0; m < k; m++)
				if (s->axes[m].group == a->group) {
					first = &s->axes[m];
					break;
				}
			return PERR(c, "%s: zipped axes '%s' (%zu values) and "
				    "'%s' (%zu values) differ in length",
				    s->origin, first->name, first->n, a->name,
				    a->n);
		}
	}
	s->npoints = 1;
	for (uint32_t g = 0; g < s->ngroups; g++) {
		if (s->npoints > SWEEP_MAX_RUNS / s->group_len[g])
			return PERR(c, "%s: more than %llu points", s->origin,
				    (unsigned long long)SWEEP_MAX_RUNS);
		s->npoints *= s->group_len[g];
	}
	return 0;
}

static int parse_base(struct pctx *c, const cJSON *base)
{
	struct sweep_spec *s = c->s;
	const cJSON *it;

	if (!base)
		return 0;
	if (!cJSON_IsObject(base))
		return PERR(c, "%s: base: not an object", s->origin);
	cJSON_ArrayForEach(it, base) {
		int f = find_field(it->string);
		char where[640];

		snprintf(where, sizeof where, "%s: base.%s", s->origin,
			 it->string);
		if (!strcmp(it->string, "skip_bad")) {
			if (!cJSON_IsBool(it))
				return PERR(c, "%s: not true or false", where);
			s->skip_bad = cJSON_IsTrue(it);
		} else if (!strcmp(it->string, "set")) {
			const cJSON *kv;
			size_t n = 0;

			if (!cJSON_IsObject(it))
				return PERR(c, "%s: not an object of config keys",
					    where);
			s->sets = calloc((size_t)cJSON_GetArraySize(it) + 1,
					 sizeof(char *));
			if (!s->sets)
				return ss_error(c->err, SS_ENOMEM, "out of memory");
			cJSON_ArrayForEach(kv, it) {
				struct sim_config scratch;
				char buf[256], num[64], w2[700];

				snprintf(w2, sizeof w2, "%s.%s", where, kv->string);
				if (!cJSON_IsNumber(kv))
					return PERR(c, "%s: not a number", w2);
				sweep_fmt_double(kv->valuedouble, num, sizeof num);
				snprintf(buf, sizeof buf, "%s=%s", kv->string, num);
				sim_config_default(&scratch);
				if (sim_config_set(&scratch, buf, w2, c->err))
					return SS_EINVAL;
				s->sets[n] = xstrdup(buf, c->err);
				if (!s->sets[n])
					return SS_ENOMEM;
				s->nsets = ++n;
			}
		} else if (f < 0) {
			return PERR(c, "%s: unknown field (known: trace, format, "
				    "model, profile, policy, window, config, "
				    "selection, rate_scale, max_prompt, limit, "
				    "skip_bad, set)", where);
		} else if (field_is_num((enum sweep_field)f)) {
			char num[64];
			double x, y;

			if (!cJSON_IsNumber(it))
				return PERR(c, "%s: not a number", where);
			sweep_fmt_double(it->valuedouble, num, sizeof num);
			if (check_field((enum sweep_field)f, num, where, &x, &y,
					c->err))
				return SS_EINVAL;
			s->base[f] = xstrdup(num, c->err);
			if (!s->base[f])
				return SS_ENOMEM;
		} else {
			if (!cJSON_IsString(it))
				return PERR(c, "%s: not a string", where);
			s->base[f] = xstrdup(it->valuestring, c->err);
			if (!s->base[f])
				return SS_ENOMEM;
		}
	}
	return 0;
}

/* After axes and base: variables, fields without variables, seed axes. */
static int cross_check(struct pctx *c, const cJSON *seed_axes)
{
	struct sweep_spec *s = c->s;
	int used[SWEEP_MAX_AXES] = { 0 };
	struct var_use u = { s, c->err, used };
	double x, y;

	for (int f = 0; f < SWEEP_NFIELDS; f++) {
		char where[640];

		if (!s->base[f])
			continue;
		snprintf(where, sizeof where, "%s: base.%s", s->origin,
			 field_names[f]);
		if (scan_vars(s->base[f], where, var_seen, &u, c->err))
			return SS_EINVAL;
		if (!strchr(s->base[f], '{') &&
		    check_field((enum sweep_field)f, s->base[f], where, &x, &y,
				c->err))
			return SS_EINVAL;
	}
	for (size_t i = 0; i < s->naxes; i++)
		if (s->axes[i].kind == SWEEP_K_VAR && !used[i])
			return PERR(c, "%s: axis '%s' is not a run field (%s, "
				    "...), not a config key (see 'sparseserve "
				    "sim --help-config') and not used as {%s} in "
				    "a base string", s->origin, s->axes[i].name,
				    "trace, model, policy, rate_scale",
				    s->axes[i].name);
	if (!s->base[SWEEP_TRACE] && !find_axis(s, "trace"))
		return PERR(c, "%s: no trace: set base.trace or an axis 'trace'",
			    s->origin);
	if (!s->base[SWEEP_MODEL] && !find_axis(s, "model"))
		return PERR(c, "%s: no model: set base.model or an axis 'model'",
			    s->origin);
	if (seed_axes) {
		const cJSON *it;
		int i = 0;

		if (!cJSON_IsArray(seed_axes))
			return PERR(c, "%s: seed_axes: not an array of axis "
				    "names", s->origin);
		for (size_t k = 0; k < s->naxes; k++)
			s->axes[k].seeds = 0;
		cJSON_ArrayForEach(it, seed_axes) {
			struct sweep_axis *a;

			if (!cJSON_IsString(it))
				return PERR(c, "%s: seed_axes[%d]: not a string",
					    s->origin, i);
			a = find_axis(s, it->valuestring);
			if (!a)
				return PERR(c, "%s: seed_axes[%d]: no axis '%s'",
					    s->origin, i, it->valuestring);
			a->seeds = 1;
			i++;
		}
	}
	return 0;
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = UINT64_C(1469598103934665603);

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= UINT64_C(1099511628211);
	}
	return h;
}

/* Line and column of byte `off` of text, 1-based. */
static void line_col(const char *text, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int parse_root(struct pctx *c, const char *text)
{
	static const char *const known[] = { "name", "description", "out",
		"seed", "repetitions", "base", "axes", "combine", "seed_axes",
		NULL };
	struct sweep_spec *s = c->s;
	const cJSON *it, *v;
	cJSON *root;
	int zip_all = 0, rc = SS_EINVAL;

	root = cJSON_ParseWithOpts(text, NULL, 1);
	if (!root) {
		const char *at = cJSON_GetErrorPtr();
		int line = 0, col = 0;
		char near[24];

		if (at && at >= text && at <= text + strlen(text)) {
			line_col(text, (size_t)(at - text), &line, &col);
			snprintf(near, sizeof near, "%s", at);
			near[strcspn(near, "\n")] = '\0';
		} else {
			near[0] = '\0';
		}
		return PERR(c, "%s:%d:%d: JSON syntax error near '%s'",
			    s->origin, line, col, near);
	}
	if (!cJSON_IsObject(root)) {
		PERR(c, "%s: not a JSON object", s->origin);
		goto out;
	}
	cJSON_ArrayForEach(it, root) {
		int ok = 0;

		for (int i = 0; known[i]; i++)
			ok |= !strcmp(known[i], it->string);
		if (!ok) {
			PERR(c, "%s: unknown field '%s' (known: name, description, "
			     "out, seed, repetitions, base, axes, combine, "
			     "seed_axes)", s->origin, it->string);
			goto out;
		}
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "name"))) {
		if (!cJSON_IsString(v) || !valid_name(v->valuestring)) {
			PERR(c, "%s: name: not a name (letters, digits, _ . -)",
			     s->origin);
			goto out;
		}
		snprintf(s->name, sizeof s->name, "%s", v->valuestring);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "description")) &&
	    !cJSON_IsString(v)) {
		PERR(c, "%s: description: not a string", s->origin);
		goto out;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "out"))) {
		if (!cJSON_IsString(v) || !*v->valuestring) {
			PERR(c, "%s: out: not a file name", s->origin);
			goto out;
		}
		s->out = xstrdup(v->valuestring, c->err);
		if (!s->out) {
			rc = SS_ENOMEM;
			goto out;
		}
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "seed"))) {
		if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
		    v->valuedouble > 9007199254740992.0 ||
		    v->valuedouble != floor(v->valuedouble)) {
			PERR(c, "%s: seed: not an integer in [0, 2^53]",
			     s->origin);
			goto out;
		}
		s->seed = (uint64_t)v->valuedouble;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "repetitions"))) {
		if (!cJSON_IsNumber(v) || v->valuedouble < 1 ||
		    v->valuedouble > 1e6 ||
		    v->valuedouble != floor(v->valuedouble)) {
			PERR(c, "%s: repetitions: not an integer in [1, 1e6]",
			     s->origin);
			goto out;
		}
		s->reps = (uint32_t)v->valuedouble;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "combine"))) {
		if (!cJSON_IsString(v) || (strcmp(v->valuestring, "product") &&
					   strcmp(v->valuestring, "zip"))) {
			PERR(c, "%s: combine: expected \"product\" or \"zip\"",
			     s->origin);
			goto out;
		}
		zip_all = !strcmp(v->valuestring, "zip");
	}
	rc = parse_base(c, cJSON_GetObjectItemCaseSensitive(root, "base"));
	if (rc)
		goto out;
	v = cJSON_GetObjectItemCaseSensitive(root, "axes");
	if (!v) {
		/* no axes: a single point */
		s->npoints = 1;
	} else {
		rc = parse_axes(c, v, zip_all);
		if (rc)
			goto out;
	}
	rc = cross_check(c, cJSON_GetObjectItemCaseSensitive(root, "seed_axes"));
	if (rc)
		goto out;
	if (s->npoints > SWEEP_MAX_RUNS / s->reps) {
		rc = PERR(c, "%s: %llu points x %u repetitions is more than "
			  "%llu runs", s->origin,
			  (unsigned long long)s->npoints, s->reps,
			  (unsigned long long)SWEEP_MAX_RUNS);
		goto out;
	}
	s->nruns = s->npoints * s->reps;
	s->canon = cJSON_PrintUnformatted(root);
	if (!s->canon) {
		rc = ss_error(c->err, SS_ENOMEM, "out of memory");
		goto out;
	}
	s->hash = fnv1a(s->canon);
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

int sweep_spec_parse(struct sweep_spec *s, const char *text,
		     const char *origin, struct ss_err *err)
{
	struct pctx c = { s, err, NULL };
	char *keys;
	const char *stem;
	int rc;

	memset(s, 0, sizeof(*s));
	snprintf(s->origin, sizeof s->origin, "%s", origin);
	stem = strrchr(origin, '/');
	stem = stem ? stem + 1 : origin;
	snprintf(s->name, sizeof s->name, "%s", stem);
	s->name[strcspn(s->name, ".")] = '\0';
	s->seed = 1;
	s->reps = 1;
	keys = NULL;
	{
		struct sim_config def;

		sim_config_default(&def);
		keys = sim_config_to_json(&def);
	}
	c.keys = keys ? cJSON_Parse(keys) : NULL;
	free(keys);
	if (!c.keys)
		return ss_error(err, SS_ENOMEM, "out of memory");
	rc = parse_root(&c, text);
	cJSON_Delete(c.keys);
	if (rc)
		sweep_spec_release(s);
	return rc;
}

int sweep_spec_load(struct sweep_spec *s, const char *path,
		    struct ss_err *err)
{
	char *text;
	int rc;

	memset(s, 0, sizeof(*s));
	rc = ss_read_file(path, &text, NULL, err);
	if (rc)
		return rc;
	rc = sweep_spec_parse(s, text, path, err);
	free(text);
	return rc;
}

void sweep_spec_release(struct sweep_spec *s)
{
	for (size_t i = 0; i < s->naxes; i++) {
		for (size_t j = 0; j < s->axes[i].n; j++)
			free(s->axes[i].v[j].text);
		free(s->axes[i].v);
	}
	for (int f = 0; f < SWEEP_NFIELDS; f++)
		free(s->base[f]);
	for (size_t i = 0; i < s->nsets; i++)
		free(s->sets[i]);
	free(s->sets);
	free(s->out);
	free(s->canon);
	memset(s, 0, sizeof(*s));
}

/* splitmix64 (Steele, Lea, Flood 2014): a bijective 64-bit mixer. */
static uint64_t mix64(uint64_t x)
{
	x += UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

void sweep_point_get(const struct sweep_spec *s, uint64_t run,
		     struct sweep_point *p)
{
	uint64_t gidx[SWEEP_MAX_AXES], rest, h;

	BUG_ON(run >= s->nruns);
	memset(p, 0, sizeof(*p));
	p->run = run;
	p->rep = (uint32_t)(run / s->npoints);
	p->point = run % s->npoints;
	rest = p->point;
	for (uint32_t g = s->ngroups; g-- > 0;) {
		gidx[g] = rest % s->group_len[g];
		rest /= s->group_len[g];
	}
	h = mix64(s->seed);
	h = mix64(h ^ p->rep);
	for (size_t i = 0; i < s->naxes; i++) {
		p->idx[i] = (uint32_t)gidx[s->axes[i].group];
		if (s->axes[i].seeds)
			h = mix64(h ^ (UINT64_C(0x100000000) * (i + 1) + p->idx[i]));
	}
	/* 53 bits: exact in doubles (CSV readers, gnuplot, JSON) */
	p->seed = h & ((UINT64_C(1) << 53) - 1);
	if (!p->seed)
		p->seed = 1;
}

/* Substitute {var} in `in` with the run's values; malloc'd result. */
static char *substitute(const struct sweep_spec *s, const struct sweep_point *p,
			const char *in, struct ss_err *err)
{
	size_t cap = strlen(in) + 1, n = 0;
	char *outs = malloc(cap);

	if (!outs) {
		ss_error(err, SS_ENOMEM, "out of memory");
		return NULL;
	}
	for (const char *q = in; *q;) {
		const char *val = NULL;
		size_t skip = 1, vl;

		if (*q == '{') {
			const char *end = strchr(q, '}');

			BUG_ON(!end); /* checked at parse time */
			for (size_t i = 0; i < s->naxes; i++) {
				size_t nl = strlen(s->axes[i].name);

				if (s->axes[i].kind == SWEEP_K_VAR &&
				    nl == (size_t)(end - q - 1) &&
				    !memcmp(q + 1, s->axes[i].name, nl))
					val = s->axes[i].v[p->idx[i]].text;
			}
			BUG_ON(!val);
			skip = (size_t)(end - q) + 1;
		}
		vl = val ? strlen(val) : 1;
		if (n + vl + 1 > cap) {
			char *t;

			cap = 2 * (n + vl + 1);
			t = realloc(outs, cap);
			if (!t) {
				free(outs);
				ss_error(err, SS_ENOMEM, "out of memory");
				return NULL;
			}
			outs = t;
		}
		memcpy(outs + n, val ? val : q, vl);
		n += vl;
		q += skip;
	}
	outs[n] = '\0';
	return outs;
}

int sweep_run_resolve(const struct sweep_spec *s, uint64_t run,
		      struct sweep_run *r, struct ss_err *err)
{
	char where[700];
	int rc;

	memset(r, 0, sizeof(*r));
	sweep_point_get(s, run, &r->pt);
	r->rate_scale = 1.0;
	r->win_end = -1;
	r->skip_bad = s->skip_bad;
	for (int f = 0; f < SWEEP_NFIELDS; f++) {
		const char *src = s->base[f];

		for (size_t i = 0; i < s->naxes; i++)
			if (s->axes[i].kind == SWEEP_K_FIELD &&
			    s->axes[i].field == (enum sweep_field)f)
				src = s->axes[i].v[r->pt.idx[i]].text;
		if (!src)
			continue;
		r->field[f] = substitute(s, &r->pt, src, err);
		if (!r->field[f])
			return SS_ENOMEM;
	}
	for (int f = 0; f < SWEEP_NFIELDS; f++) {
		double x = 0, y = 0;

		if (!r->field[f])
			continue;
		snprintf(where, sizeof where, "%s: run %llu: %s", s->origin,
			 (unsigned long long)run, field_names[f]);
		if (check_field((enum sweep_field)f, r->field[f], where, &x, &y,
				err))
			return SS_EINVAL;
		switch (f) {
		case SWEEP_RATE_SCALE: r->rate_scale = x; break;
		case SWEEP_MAX_PROMPT: r->max_prompt = (uint64_t)x; break;
		case SWEEP_LIMIT: r->limit = (uint64_t)x; break;
		case SWEEP_WINDOW: r->win_start = x; r->win_end = y; break;
		default: break;
		}
	}
	sim_config_default(&r->cfg);
	if (r->field[SWEEP_CONFIG]) {
		rc = sim_config_load(&r->cfg, r->field[SWEEP_CONFIG], err);
		if (rc)
			return rc;
	}
	snprintf(where, sizeof where, "%s: base.set", s->origin);
	for (size_t i = 0; i < s->nsets; i++)
		if (sim_config_set(&r->cfg, s->sets[i], where, err))
			return SS_EINVAL;
	for (size_t i = 0; i < s->naxes; i++) {
		char kv[256];

		if (s->axes[i].kind != SWEEP_K_KEY)
			continue;
		snprintf(kv, sizeof kv, "%s=%s", s->axes[i].name,
			 s->axes[i].v[r->pt.idx[i]].text);
		snprintf(where, sizeof where, "%s: axis '%s'", s->origin,
			 s->axes[i].name);
		if (sim_config_set(&r->cfg, kv, where, err))
			return SS_EINVAL;
	}
	return 0;
}

void sweep_run_release(struct sweep_run *r)
{
	for (int f = 0; f < SWEEP_NFIELDS; f++)
		free(r->field[f]);
	memset(r->field, 0, sizeof(r->field));
}
