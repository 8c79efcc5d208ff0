/*
 * main.c - the `sparseserve` program: dispatches to subcommands.
 * Exit codes: 0 ok, 1 failed, 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ss.h"

#include "banned.h"

static const struct cli_cmd *const cmds[] = {
	&cli_cmd_sim,
	&cli_cmd_trace,
	&cli_cmd_calibrate,
	&cli_cmd_bench,
	&cli_cmd_sweep,
	&cli_cmd_live,
	NULL,
};

char *cli_command_line(int argc, char **argv)
{
	size_t len = 32;
	char *s, *p;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = malloc(len);
	if (!s)
		return NULL;
	p = s + snprintf(s, len, "sparseserve");
	for (int i = 0; i < argc; i++)
		p += snprintf(p, len - (size_t)(p - s), " %s", argv[i]);
	return s;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: sparseserve <command> [options]\n\ncommands:\n");
	for (int i = 0; cmds[i]; i++)
		fprintf(f, "  %-10s %s\n", cmds[i]->name, cmds[i]->help);
	fprintf(f, "\n'sparseserve <command> --help' describes each command.\n"
		   "version %s\n", ss_version());
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("sparseserve %s\n", ss_version());
		return 0;
	}
	for (int i = 0; cmds[i]; i++)
		if (!strcmp(argv[1], cmds[i]->name))
			return cmds[i]->run(argc - 1, argv + 1);
	fprintf(stderr, "sparseserve: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
