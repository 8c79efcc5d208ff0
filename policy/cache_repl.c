/*
 * cache_repl.c - the registry of HBM cache replacement policies.
 */
#include "cache_repl.h"

#include <string.h>

#include "banned.h"

const struct repl_ops *const repl_policies[] = { &repl_lru, &repl_clock, NULL };

const struct repl_ops *repl_find(const char *name)
{
	size_t i;

	if (!name || !*name)
		return repl_policies[0];
	for (i = 0; repl_policies[i]; i++)
		if (!strcmp(repl_policies[i]->name, name))
			return repl_policies[i];
	return NULL;
}
