/* cmd_bench.c - `sparseserve bench`: the kernel benchmarks (bench/bench.h). */
#include "bench/bench.h"
#include "cli.h"

#include "banned.h"

static int run(int argc, char **argv) { return bench_main(argc, argv); }

const struct cli_cmd cli_cmd_bench = {
	"bench", "benchmark the CUDA kernels (needs a GPU)", run
};
