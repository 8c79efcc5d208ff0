/*
 * mpi_stub.c - sweeps in a build without MPI: the MPI entry points exist
 * and report SS_ENODEV, so the same sparseserve runs local sweeps and
 * refuses (with a message) to run as one of several mpirun ranks.
 */
#include "sweep.h"

#include "banned.h"

#define NO_MPI "this sparseserve was built without MPI (install " \
	       "libopenmpi-dev and rebuild; meson option -Dmpi=enabled)"

int sweep_mpi_available(void)
{
	return 0;
}

int sweep_mpi_init(int *argc, char ***argv, int *rank, int *size,
		   struct ss_err *err)
{
	*rank = 0;
	*size = 1;
	return ss_error(err, SS_ENODEV, NO_MPI);
}

void sweep_mpi_finalize(void)
{
}

int sweep_mpi_worker(const struct sweep_spec *s, const char *why,
		     int64_t crash_run, struct ss_err *err)
{
	return ss_error(err, SS_ENODEV, NO_MPI);
}

static int stub_start(void *priv, const struct sweep_spec *s,
		      const struct sweep_backend_opts *o, int *slots,
		      struct ss_err *err)
{
	return ss_error(err, SS_ENODEV, NO_MPI);
}

static int stub_idle(void *priv)
{
	return -1;
}

static int stub_submit(void *priv, int w, uint64_t run, struct ss_err *err)
{
	return ss_error(err, SS_ENODEV, NO_MPI);
}

static int stub_wait(void *priv, struct sweep_result *res, uint64_t *lost,
		     struct ss_err *err)
{
	return ss_error(err, SS_ENODEV, NO_MPI);
}

static void stub_stop(void *priv)
{
}

const struct sweep_backend_ops sweep_backend_mpi = {
	.name = "mpi (not built)",
	.priv_size = 1,
	.start = stub_start,
	.idle = stub_idle,
	.submit = stub_submit,
	.wait = stub_wait,
	.stop = stub_stop,
};
