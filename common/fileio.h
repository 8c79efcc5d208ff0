/*
 * fileio.h - atomic output files and terminal progress.
 *
 * Every result file is written to "<path>.tmp.<pid>" and renamed into place
 * on commit, so an interrupted run never leaves a half-written file under
 * the final name.
 */
#ifndef SS_FILEIO_H
#define SS_FILEIO_H

#include <stdio.h>

#include "ss.h"

struct ss_afile {
	FILE *f;          /* write here */
	char path[4096];  /* final name */
	char tmp[4096];   /* temporary name, renamed on commit */
};

/* Open a temporary file beside `path`. 0 or SS_EIO with a message. */
int ss_afile_open(struct ss_afile *af, const char *path, struct ss_err *err);
/* Flush, close and rename into place. On failure the temp file is removed. */
int ss_afile_commit(struct ss_afile *af, struct ss_err *err);
/* Close and remove the temporary file (error paths). Safe to call twice. */
void ss_afile_abort(struct ss_afile *af);

/* Build the temporary name used for non-stdio writers (HDF5). */
void ss_tmp_name(const char *path, char *out, size_t outlen);
/* Rename tmp to path, or remove tmp and report. */
int ss_rename_into_place(const char *tmp, const char *path, struct ss_err *err);

/* Read a whole file into a NUL-terminated malloc'd buffer. */
int ss_read_file(const char *path, char **out, size_t *len, struct ss_err *err);

/*
 * Progress on stderr, only when stderr is a terminal; at most ~5 updates a
 * second; ss_progress_done() clears the line.
 */
struct ss_progress {
	int tty;
	int shown;
	double start;  /* wall seconds */
	double last;   /* wall seconds of the last update */
};
void ss_progress_init(struct ss_progress *p);
void ss_progress_update(struct ss_progress *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ss_progress_done(struct ss_progress *p);
double ss_wall_seconds(void);

#endif
