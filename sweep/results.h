/*
 * results.h - the results of a sweep: an in-memory table with one row per
 * run, the append-only journal that makes them crash-safe, the HDF5 file
 * and the CSV export.
 *
 * Crash safety. HDF5 gives no guarantee for a file whose writer dies in
 * the middle of a write, so the results file is never left open: each
 * checkpoint writes a complete file under a temporary name and renames
 * it into place (common/fileio.h). Between checkpoints every finished run
 * is appended to OUT.journal as one record line (sweep/run.h), flushed
 * and fdatasync'ed before the next run is handed out. A crash therefore
 * loses only the runs in flight: --resume reads OUT (if any), replays the
 * journal (a torn last line is ignored), writes a new checkpoint and
 * empties the journal. The journal is removed when the sweep completes.
 *
 * HDF5 layout (one row per finished run, rows in run order):
 *   /            attributes format="sparseserve-sweep/1", spec (the spec
 *                as compact JSON, its identity for --resume), spec_file,
 *                name, command, version, seed, repetitions, points, runs,
 *                done, failed
 *   /run /point /seed (uint64)   /rep (uint32)   /status (int32, 0 = ok)
 *   /param/AXIS  one per axis: float64, or fixed strings for text axes;
 *                attribute kind = "field" | "config" | "variable"
 *   /metric/NAME float64 per summary metric (NaN for failed runs), in
 *                the order metrics_summarize() gives them
 *   /error /host (fixed strings)   /wall_s (float64, seconds)
 * Same spec => same rows and values whatever the workers, ranks or
 * interruptions; only wall_s, host and the command attribute differ.
 */
#ifndef SS_SWEEP_RESULTS_H
#define SS_SWEEP_RESULTS_H

#include <stdint.h>
#include <stdio.h>

#include "ss.h"
#include "sweep/run.h"
#include "sweep/spec.h"

/* A list of metric columns shared by the rows that report it. */
struct sweep_schema {
	uint32_t n;
	uint32_t *col;  /* indices into sweep_table.names */
};

struct sweep_row {
	uint8_t done;
	int32_t status;   /* 0 ok, else SS_E* */
	uint64_t seed;
	double wall_s;    /* seconds */
	uint32_t host;    /* index into sweep_table.hosts */
	uint32_t schema;  /* index into sweep_table.schemas */
	double *val;      /* schema's n values */
	char *error;      /* message when status != 0 */
};

struct sweep_table {
	const struct sweep_spec *spec;
	struct sweep_row *rows;   /* spec->nruns rows, indexed by run */
	uint64_t ndone, nfailed;
	char **names;             /* metric names, interned */
	size_t nnames, names_alloc;
	char **hosts;
	size_t nhosts, hosts_alloc;
	struct sweep_schema *schemas;
	size_t nschemas, schemas_alloc;
};

/* Run-level facts written as attributes. */
struct sweep_meta {
	const char *command;  /* the command line */
};

/* An empty table for spec `s` (which must outlive it). */
int sweep_table_init(struct sweep_table *t, const struct sweep_spec *s,
		     struct ss_err *err);
void sweep_table_release(struct sweep_table *t);
/* Store result *r (a later result for the same run replaces it). */
int sweep_table_put(struct sweep_table *t, const struct sweep_result *r,
		    struct ss_err *err);

/* Write the whole table to `path` atomically (tmp + rename). */
int sweep_table_write_h5(const struct sweep_table *t, const char *path,
			 const struct sweep_meta *meta, struct ss_err *err);
/*
 * Add the rows of results file `path` to the table. SS_EINVAL if the file
 * is not a sweep file or was written for another spec (the message says
 * which); SS_EIO if it cannot be read.
 */
int sweep_table_read_h5(struct sweep_table *t, const char *path,
			struct ss_err *err);
/*
 * CSV, one line per finished run in run order:
 *   run,point,rep,seed,AXIS...,status,METRIC...,error,wall_s,host
 * (wall_s and host last: everything before them is deterministic).
 */
int sweep_table_write_csv(const struct sweep_table *t, const char *path,
			  struct ss_err *err);

struct sweep_journal {
	FILE *f;
	char path[4096];
	uint64_t hash;  /* spec hash written in the header */
};
/*
 * Open (create) the journal `path` for appending, locked against a second
 * sweep writing it (SS_EIO "... is being written by another sweep").
 * With `reset`, empty it first. Only the header line is written.
 */
int sweep_journal_open(struct sweep_journal *j, const char *path,
		       const struct sweep_spec *s, int reset,
		       struct ss_err *err);
/* Append one record, flushed and fdatasync'ed. */
int sweep_journal_append(struct sweep_journal *j, const struct sweep_result *r,
			 struct ss_err *err);
/* Empty the journal (after a checkpoint holds its rows). */
int sweep_journal_reset(struct sweep_journal *j, struct ss_err *err);
/* Close; with `remove_file`, delete it too. */
void sweep_journal_close(struct sweep_journal *j, int remove_file);
/*
 * Add the records of journal `path` to the table. A torn last line is
 * skipped (counted in *torn); any other bad line is SS_EINVAL naming
 * "JOURNAL:LINE: field ...". A journal of another spec is SS_EINVAL.
 */
int sweep_journal_replay(struct sweep_table *t, const char *path,
			 uint64_t *torn, struct ss_err *err);

#endif
