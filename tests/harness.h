/*
 * harness.h - the unit-test harness (header only).
 *
 * Each test program lists its cases in a table and calls th_main(). Every
 * case runs in its own child process with a timeout (libuv style), so a
 * crash or a hang fails that case only. Output is TAP:
 *     ok 3 - kvdir_evicts_lru
 *     not ok 4 - trace_rejects_bad_line
 *     ok 5 - flash_h2d_bitexact # SKIP no GPU
 * tests/run.py sums the TAP lines of every program into the final
 * "N passed, N failed, N skipped" line.
 *
 *   static void t_something(void) { CHECK_EQ_I64(1 + 1, 2); }
 *   static const struct th_case cases[] = { TH_CASE(t_something), {0} };
 *   int main(int argc, char **argv) { return th_main(argc, argv, cases); }
 *
 * A case skips itself with TH_SKIP("why"). CHECK_* macros print both
 * operands and fail the case on the spot.
 */
#ifndef SS_TEST_HARNESS_H
#define SS_TEST_HARNESS_H

#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct th_case {
	const char *name;
	void (*fn)(void);
};
#define TH_CASE(f) { #f, f }

#define TH_EXIT_SKIP 77

static inline void th_fail_(const char *file, int line, const char *msg)
{
	fprintf(stderr, "# %s:%d: %s\n", file, line, msg);
	fflush(stderr);
	_exit(1);
}

#define TH_SKIP(why)                                                          \
	do {                                                                  \
		fprintf(stdout, "%s\n", (why));                               \
		fflush(stdout);                                               \
		_exit(TH_EXIT_SKIP);                                          \
	} while (0)

#define CHECK(cond)                                                           \
	do {                                                                  \
		if (!(cond))                                                  \
			th_fail_(__FILE__, __LINE__, "CHECK(" #cond ")");     \
	} while (0)

#define CHECK_MSG(cond, ...)                                                  \
	do {                                                                  \
		if (!(cond)) {                                                \
			char th_m_[1024];                                     \
			snprintf(th_m_, sizeof th_m_, __VA_ARGS__);           \
			th_fail_(__FILE__, __LINE__, th_m_);                  \
		}                                                             \
	} while (0)

#define CHECK_EQ_I64(a, b)                                                    \
	do {                                                                  \
		int64_t th_a_ = (int64_t)(a), th_b_ = (int64_t)(b);           \
		CHECK_MSG(th_a_ == th_b_, "%s == %s: %" PRId64 " != %" PRId64, \
			  #a, #b, th_a_, th_b_);                              \
	} while (0)

#define CHECK_EQ_U64(a, b)                                                    \
	do {                                                                  \
		uint64_t th_a_ = (uint64_t)(a), th_b_ = (uint64_t)(b);        \
		CHECK_MSG(th_a_ == th_b_, "%s == %s: %" PRIu64 " != %" PRIu64, \
			  #a, #b, th_a_, th_b_);                              \
	} while (0)

#define CHECK_NEAR(a, b, tol)                                                 \
	do {                                                                  \
		double th_a_ = (double)(a), th_b_ = (double)(b);              \
		CHECK_MSG(fabs(th_a_ - th_b_) <= (double)(tol),               \
			  "%s ~ %s: %.9g vs %.9g (tol %g)", #a, #b, th_a_,    \
			  th_b_, (double)(tol));                              \
	} while (0)

#define CHECK_REL(a, b, rel)                                                  \
	do {                                                                  \
		double th_a_ = (double)(a), th_b_ = (double)(b);              \
		double th_d_ = fabs(th_a_ - th_b_);                           \
		CHECK_MSG(th_d_ <= (double)(rel) * fabs(th_b_),               \
			  "%s ~ %s: %.9g vs %.9g (rel %g)", #a, #b, th_a_,    \
			  th_b_, (double)(rel));                              \
	} while (0)

#define CHECK_STR_CONTAINS(hay, needle)                                       \
	do {                                                                  \
		const char *th_h_ = (hay), *th_n_ = (needle);                 \
		CHECK_MSG(th_h_ && strstr(th_h_, th_n_), "'%s' lacks '%s'",   \
			  th_h_ ? th_h_ : "(null)", th_n_);                   \
	} while (0)

/* Run one case in a child; returns 0 pass, 1 fail, 2 skip. */
static inline int th_run_one_(const struct th_case *c, unsigned timeout_s,
			      char *skip_why, size_t skip_len)
{
	int pfd[2], status = 0;
	pid_t pid;
	ssize_t got;

	skip_why[0] = '\0';
	fflush(stdout);
	fflush(stderr);
	if (pipe(pfd))
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		close(pfd[0]);
		dup2(pfd[1], STDOUT_FILENO);
		alarm(timeout_s);
		c->fn();
		fflush(stdout);
		/* exit(), not _exit(): LeakSanitizer checks at exit, so a
		 * leak in a passing case fails it under the sanitizer build */
		exit(0);
	}
	close(pfd[1]);
	got = read(pfd[0], skip_why, skip_len - 1);
	skip_why[got > 0 ? got : 0] = '\0';
	{
		char sink[512];
		while (read(pfd[0], sink, sizeof sink) > 0)
			;
	}
	close(pfd[0]);
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == TH_EXIT_SKIP)
		return 2;
	if (WIFSIGNALED(status))
		fprintf(stderr, "# %s: killed by signal %d%s\n", c->name,
			WTERMSIG(status),
			WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
	return 1;
}

/*
 * Run every case (or only those named on the command line). Timeout per
 * case from TH_TIMEOUT (seconds, default 300). Exit status 1 if any failed.
 */
static inline int th_main(int argc, char **argv, const struct th_case *cases)
{
	unsigned timeout_s = 300, n = 0, i;
	int failed = 0;
	const char *t = getenv("TH_TIMEOUT");
	char why[512];

	if (t && strtoul(t, NULL, 10) > 0)
		timeout_s = (unsigned)strtoul(t, NULL, 10);
	for (i = 0; cases[i].name; i++)
		n++;
	printf("TAP version 13\n1..%u\n", n);
	for (i = 0; cases[i].name; i++) {
		int r, k, selected = argc <= 1;

		for (k = 1; k < argc; k++)
			if (!strcmp(argv[k], cases[i].name))
				selected = 1;
		if (!selected) {
			printf("ok %u - %s # SKIP not selected\n", i + 1,
			       cases[i].name);
			continue;
		}
		r = th_run_one_(&cases[i], timeout_s, why, sizeof why);
		if (r == 0) {
			printf("ok %u - %s\n", i + 1, cases[i].name);
		} else if (r == 2) {
			why[strcspn(why, "\n")] = '\0';
			printf("ok %u - %s # SKIP %s\n", i + 1, cases[i].name,
			       why);
		} else {
			printf("not ok %u - %s\n", i + 1, cases[i].name);
			failed = 1;
		}
		fflush(stdout);
	}
	return failed;
}

#endif
