/*
 * run_cli.h - the tests that drive the `sparseserve` program run it the
 * same way: from the source root (so shipped paths resolve), with the
 * binary meson built (SPARSESERVE), stdout and stderr together.
 * Include after harness.h.
 */
#ifndef SS_TEST_RUN_CLI_H
#define SS_TEST_RUN_CLI_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "harness.h"

/*
 * Run "ENV sparseserve ARGS" (env may be ""); its output goes to buf (cap
 * bytes, NUL-terminated). Returns the exit status, or 128 + the signal
 * that killed it. Skips the case when not run through meson test.
 */
static inline int th_sparseserve(const char *env, const char *args, char *buf,
				 size_t cap)
{
	char cmd[8192];
	const char *bin = getenv("SPARSESERVE"), *root = getenv("SS_SOURCE_ROOT");
	FILE *p;
	size_t n;
	int st;

	if (!bin || !root)
		TH_SKIP("SPARSESERVE / SS_SOURCE_ROOT not set (run via meson test)");
	snprintf(cmd, sizeof cmd, "cd '%s' && %s '%s' %s 2>&1", root, env, bin,
		 args);
	p = popen(cmd, "r");
	CHECK(p != NULL);
	n = fread(buf, 1, cap - 1, p);
	buf[n] = '\0';
	st = pclose(p);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#endif
