/*
 * select_sources.c - the registry of DSA selection sources.
 */
#include "policy/select.h"

#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <string.h>

#include "select_src.h"

#include "banned.h"

const struct sel_source_ops *const sel_sources[] = {
	&sel_locality,
	&sel_replay,
	NULL,
};

const struct sel_source_ops *sel_find(const char *name)
{
	size_t i;

	if (!name || !*name)
		return sel_sources[0];
	for (i = 0; sel_sources[i]; i++)
		if (!strcmp(sel_sources[i]->name, name))
			return sel_sources[i];
	return NULL;
}

int sel_open(struct sel_source *s, const char *name,
	     const struct sel_params *p, const char *arg, void *rng,
	     struct ss_err *err)
{
	const struct sel_source_ops *ops = sel_find(name);
	char known[256] = "";
	size_t i, len = 0;

	if (ops)
		return sel_open_ops(s, ops, p, arg, rng, err);
	for (i = 0; sel_sources[i] && len < sizeof(known); i++)
		len += (size_t)snprintf(known + len, sizeof(known) - len,
					"%s%s", i ? ", " : "",
					sel_sources[i]->name);
	return ss_error(err, SS_EINVAL,
			"selection: unknown source '%s' (known: %s)", name,
			known);
}

int sel_open_spec(struct sel_source *s, const char *spec,
		  const struct sel_params *p, uint64_t seed,
		  struct ss_err *err)
{
	char name[64] = "";
	const char *arg = NULL;
	gsl_rng *rng;
	int rc;

	if (spec) {
		const char *colon = strchr(spec, ':');
		size_t len = colon ? (size_t)(colon - spec) : strlen(spec);

		if (len >= sizeof name)
			return ss_error(err, SS_EINVAL,
					"selection '%s': name too long", spec);
		memcpy(name, spec, len);
		name[len] = '\0';
		arg = colon ? colon + 1 : NULL;
	}
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (!rng)
		return ss_error(err, SS_ENOMEM, "out of memory");
	gsl_rng_set(rng, (unsigned long)seed);
	rc = sel_open(s, name[0] ? name : NULL, p, arg, rng, err);
	gsl_rng_free(rng);
	return rc;
}
