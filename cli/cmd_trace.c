/* cmd_trace.c - `sparseserve trace`: placeholder until traces/ lands. */
#include <stdio.h>

#include "cli.h"

static int run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "sparseserve trace: not built yet\n");
	return 1;
}

const struct cli_cmd cli_cmd_trace = { "trace", "inspect request traces", run };
