/*
 * select_sources.c - the registry of DSA selection sources.
 */
#include "policy/select.h"

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
