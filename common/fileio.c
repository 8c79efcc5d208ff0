/*
 * fileio.c - atomic output files, whole-file reads, terminal progress.
 */
#include "fileio.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

void ss_tmp_name(const char *path, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s.tmp.%ld", path, (long)getpid());
}

int ss_afile_open(struct ss_afile *af, const char *path, struct ss_err *err)
{
	memset(af, 0, sizeof(*af));
	if (strlen(path) + 32 >= sizeof(af->path))
		return ss_error(err, SS_EINVAL, "%s: path too long", path);
	snprintf(af->path, sizeof(af->path), "%s", path);
	ss_tmp_name(path, af->tmp, sizeof(af->tmp));
	af->f = fopen(af->tmp, "w");
	if (!af->f)
		return ss_error(err, SS_EIO, "cannot write '%s': %s", path,
				strerror(errno));
	return 0;
}

int ss_rename_into_place(const char *tmp, const char *path, struct ss_err *err)
{
	if (rename(tmp, path)) {
		int e = errno;
		unlink(tmp);
		return ss_error(err, SS_EIO, "cannot write '%s': %s", path,
				strerror(e));
	}
	return 0;
}

int ss_afile_commit(struct ss_afile *af, struct ss_err *err)
{
	int bad;

	if (!af->f)
		return ss_error(err, SS_EIO, "'%s': not open", af->path);
	bad = fflush(af->f) != 0 || ferror(af->f);
	if (fclose(af->f))
		bad = 1;
	af->f = NULL;
	if (bad) {
		unlink(af->tmp);
		return ss_error(err, SS_EIO, "cannot write '%s': %s", af->path,
				strerror(errno));
	}
	return ss_rename_into_place(af->tmp, af->path, err);
}

void ss_afile_abort(struct ss_afile *af)
{
	if (af->f) {
		fclose(af->f);
		af->f = NULL;
		unlink(af->tmp);
	}
}

int ss_read_file(const char *path, char **out, size_t *len, struct ss_err *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, alloc = 0, got;

	if (!f)
		return ss_error(err, SS_EIO, "cannot open '%s': %s", path,
				strerror(errno));
	for (;;) {
		if (ss_grow((void **)&buf, &alloc, n + 65536 + 1, 1, err)) {
			fclose(f);
			free(buf);
			return err ? err->code : SS_ENOMEM;
		}
		got = fread(buf + n, 1, alloc - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return ss_error(err, SS_EIO, "cannot read '%s'", path);
	}
	fclose(f);
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

double ss_wall_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void ss_progress_init(struct ss_progress *p)
{
	memset(p, 0, sizeof(*p));
	p->tty = isatty(STDERR_FILENO);
	p->start = p->last = ss_wall_seconds();
}

void ss_progress_update(struct ss_progress *p, const char *fmt, ...)
{
	va_list ap;
	double now;

	if (!p->tty)
		return;
	now = ss_wall_seconds();
	if (now - p->last < 0.2 || now - p->start < 1.0)
		return;
	p->last = now;
	fputc('\r', stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\033[K", stderr);
	fflush(stderr);
	p->shown = 1;
}

void ss_progress_done(struct ss_progress *p)
{
	if (p->tty && p->shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	p->shown = 0;
}
