/*
 * cli.h - subcommands of the `sparseserve` program. Each is a const struct
 * found by name; run() gets argv with argv[0] = the command name and
 * returns the exit code (0 ok, 1 failed, 2 usage).
 */
#ifndef SS_CLI_H
#define SS_CLI_H

struct cli_cmd {
	const char *name;
	const char *help;
	int (*run)(int argc, char **argv);
};

extern const struct cli_cmd cli_cmd_sim;
extern const struct cli_cmd cli_cmd_trace;
extern const struct cli_cmd cli_cmd_calibrate;
extern const struct cli_cmd cli_cmd_bench;
extern const struct cli_cmd cli_cmd_sweep;
extern const struct cli_cmd cli_cmd_live;

/* sim and live share one driver (cmd_sim.c). */
int cli_sim_main(int argc, char **argv, int live);

/* "sparseserve ARGV..." as typed, for the results' metadata (malloc'd;
 * NULL when out of memory). argv[0] is the subcommand. */
char *cli_command_line(int argc, char **argv);

#endif
