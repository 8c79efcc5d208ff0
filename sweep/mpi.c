/*
 * mpi.c - distributed sweeps over MPI (built when meson finds MPI; see
 * mpi_stub.c otherwise).
 *
 * Rank 0 runs the coordinator (sweep_drive) with the backend below; ranks
 * 1..K-1 run sweep_mpi_worker(). Dynamic load balancing by request:
 *
 *   worker -> 0   TAG_RESULT  bytes: empty = "ready", else a result record
 *   0 -> worker   TAG_TASK    int64: the run to do next, -1 = stop
 *
 * Every worker sends exactly one TAG_RESULT message before each TAG_TASK
 * it receives, so rank 0 always knows which workers wait for work. Rank 0
 * polls with MPI_Iprobe and sleeps 1 ms between polls instead of blocking
 * in MPI_Recv: Open MPI busy-waits in blocking calls, which would steal a
 * core from the workers when ranks share a machine (oversubscription).
 *
 * A rank that dies makes mpirun end the job (Open MPI's default); rank 0
 * has journaled every result it received, so --resume loses only the
 * runs that were in flight.
 */
#include "sweep.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "banned.h"

enum { TAG_RESULT = 11, TAG_TASK = 12 };
enum { W_BUSY = 0, W_WAITING = 1, W_STOPPED = 2 };

int sweep_mpi_available(void)
{
	return 1;
}

int sweep_mpi_init(int *argc, char ***argv, int *rank, int *size,
		   struct ss_err *err)
{
	if (MPI_Init(argc, argv) != MPI_SUCCESS)
		return ss_error(err, SS_ENODEV, "MPI_Init failed");
	MPI_Comm_rank(MPI_COMM_WORLD, rank);
	MPI_Comm_size(MPI_COMM_WORLD, size);
	return 0;
}

void sweep_mpi_finalize(void)
{
	int init = 0, fin = 0;

	MPI_Initialized(&init);
	MPI_Finalized(&fin);
	if (init && !fin)
		MPI_Finalize();
}

struct mpi_be {
	volatile sig_atomic_t *stop;
	int size;
	int *state;      /* per rank (rank 0 unused): W_* */
	char *rec;       /* SWEEP_RECORD_MAX bytes */
};

static int mpi_start(void *priv, const struct sweep_spec *s,
		     const struct sweep_backend_opts *o, int *slots,
		     struct ss_err *err)
{
	struct mpi_be *b = priv;

	b->stop = o->stop;
	MPI_Comm_size(MPI_COMM_WORLD, &b->size);
	b->state = calloc((size_t)b->size, sizeof(int));
	b->rec = malloc(SWEEP_RECORD_MAX);
	if (!b->state || !b->rec)
		return ss_error(err, SS_ENOMEM, "out of memory");
	*slots = b->size - 1;
	return 0;
}

static int mpi_idle(void *priv)
{
	struct mpi_be *b = priv;

	for (int r = 1; r < b->size; r++)
		if (b->state[r] == W_WAITING)
			return r;
	return -1;
}

static int mpi_submit(void *priv, int w, uint64_t run, struct ss_err *err)
{
	struct mpi_be *b = priv;
	int64_t task = (int64_t)run;

	BUG_ON(w < 1 || w >= b->size || b->state[w] != W_WAITING);
	if (MPI_Send(&task, 1, MPI_INT64_T, w, TAG_TASK, MPI_COMM_WORLD) !=
	    MPI_SUCCESS)
		return ss_error(err, SS_EIO, "MPI_Send to rank %d failed", w);
	b->state[w] = W_BUSY;
	return 0;
}

/* Receive one pending TAG_RESULT message described by *st. */
static int recv_msg(struct mpi_be *b, MPI_Status *st, int *len,
		    struct ss_err *err)
{
	MPI_Get_count(st, MPI_CHAR, len);
	if (*len < 0 || *len > SWEEP_RECORD_MAX)
		return ss_error(err, SS_EIO, "rank %d sent %d bytes",
				st->MPI_SOURCE, *len);
	if (MPI_Recv(b->rec, *len, MPI_CHAR, st->MPI_SOURCE, TAG_RESULT,
		     MPI_COMM_WORLD, MPI_STATUS_IGNORE) != MPI_SUCCESS)
		return ss_error(err, SS_EIO, "MPI_Recv from rank %d failed",
				st->MPI_SOURCE);
	return 0;
}

static int mpi_wait(void *priv, struct sweep_result *res, uint64_t *lost,
		    struct ss_err *err)
{
	struct mpi_be *b = priv;
	const struct timespec ms = { 0, 1000000 };

	for (;;) {
		MPI_Status st;
		int flag = 0, len;

		if (b->stop && *b->stop)
			return SWEEP_EV_INTR;
		MPI_Iprobe(MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &flag, &st);
		if (!flag) {
			nanosleep(&ms, NULL);
			continue;
		}
		if (recv_msg(b, &st, &len, err))
			return SS_EIO;
		b->state[st.MPI_SOURCE] = W_WAITING;
		if (!len)
			return SWEEP_EV_READY;
		if (sweep_result_parse(b->rec, (size_t)len, res, err)) {
			ss_error_prefix(err, "rank %d", st.MPI_SOURCE);
			return SS_EIO;
		}
		return SWEEP_EV_RESULT;
	}
}

static void mpi_stop(void *priv)
{
	struct mpi_be *b = priv;
	const int64_t stop = -1;

	if (!b->state)
		return;
	for (int r = 1; r < b->size; r++) {
		if (b->state[r] == W_STOPPED)
			continue;
		if (b->state[r] == W_BUSY) {
			MPI_Status st;
			int len;

			/* its next message (ready or a result we drop) */
			MPI_Probe(r, TAG_RESULT, MPI_COMM_WORLD, &st);
			if (recv_msg(b, &st, &len, NULL))
				continue;
		}
		MPI_Send(&stop, 1, MPI_INT64_T, r, TAG_TASK, MPI_COMM_WORLD);
		b->state[r] = W_STOPPED;
	}
	free(b->state);
	free(b->rec);
	b->state = NULL;
	b->rec = NULL;
}

const struct sweep_backend_ops sweep_backend_mpi = {
	.name = "mpi",
	.priv_size = sizeof(struct mpi_be),
	.start = mpi_start,
	.idle = mpi_idle,
	.submit = mpi_submit,
	.wait = mpi_wait,
	.stop = mpi_stop,
};

int sweep_mpi_worker(const struct sweep_spec *s, const char *why,
		     int64_t crash_run, struct ss_err *err)
{
	struct sweep_result *res = malloc(sizeof(*res));
	char *rec = malloc(SWEEP_RECORD_MAX);
	int rc = 0;

	if (!res || !rec) {
		free(res);
		free(rec);
		return ss_error(err, SS_ENOMEM, "out of memory");
	}
	/* "ready" */
	rec[0] = '\0';
	MPI_Send(rec, 0, MPI_CHAR, 0, TAG_RESULT, MPI_COMM_WORLD);
	for (;;) {
		int64_t run;
		size_t len;

		if (MPI_Recv(&run, 1, MPI_INT64_T, 0, TAG_TASK, MPI_COMM_WORLD,
			     MPI_STATUS_IGNORE) != MPI_SUCCESS) {
			rc = ss_error(err, SS_EIO, "MPI_Recv from rank 0 failed");
			break;
		}
		if (run < 0)
			break;
		if (run == crash_run)
			raise(SIGKILL);
		if (s) {
			sweep_exec(s, (uint64_t)run, res);
		} else {
			memset(res, 0, sizeof(*res));
			sweep_result_fail(res, (uint64_t)run, SS_EIO, why);
			snprintf(res->host, sizeof res->host, "unknown");
		}
		len = sweep_result_format(res, rec, SWEEP_RECORD_MAX);
		MPI_Send(rec, (int)len, MPI_CHAR, 0, TAG_RESULT, MPI_COMM_WORLD);
	}
	free(res);
	free(rec);
	return rc;
}
