/* cmd_sim.c - `sparseserve sim`: placeholder until traces/ lands. */
#include <stdio.h>

#include "cli.h"

static int run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "sparseserve sim: not built yet\n");
	return 1;
}

const struct cli_cmd cli_cmd_sim = { "sim", "simulate serving a trace", run };
