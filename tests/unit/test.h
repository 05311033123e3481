/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A minimal TAP producer for automake's tap-driver.sh (Makefile.am). Every
 * check prints one result on stdout,
 *	ok 14 - ecdsa256: test_key.c:207: k->bits == bits
 *	not ok 15 - ecdsa256: test_key.c:210: k->fp == fp
 *	# test_key.c:210: k->fp == "SHA256:...", expected "SHA256:..."
 * named by the case set with T_CASE() (optional), file:line and the
 * expression; what differed follows as "# " lines, and the program goes on
 * so one run shows every failure. t_done() prints the plan "1..N" last.
 *   T_CASE(fmt, ...)   names the checks that follow (T_CASE(NULL) clears)
 *   T_TODO(fmt, ...)   marks the checks that follow as known failures
 *                      ("# TODO": a failure is XFAIL, a pass XPASS, which
 *                      fails the suite); T_TODO(NULL) ends it
 *   t_ok(ok, file, line, fmt, ...)  one named check of a condition computed
 *                      by the caller; returns ok, so diagnostics can follow
 *   t_diag(fmt, ...)   a "# " diagnostic (every line prefixed)
 *   return t_skip(fmt, ...)  skip the whole program: "1..0 # SKIP reason"
 *   t_bail(fmt, ...)   a hard error: "Bail out! reason", exit 99
 * The verdict is in the stream, and in the exit status too: t_done()
 * returns 1 when a check failed, so a test run by hand says so (the
 * driver then adds an ERROR line to the FAIL lines). A program that ends
 * before t_done() without a plan (exit(99), return 99, an abort) prints "Bail out!".
 * t_checks and t_failures count every check; code that bumps them by hand
 * still counts (t_done() reports such checks as one result), but should
 * call t_ok() so that each is named.
 */
#ifndef KP_TEST_H
#define KP_TEST_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int t_failures; /* every failed check, also those counted by hand */
static int t_checks; /* every check, also those counted by hand */
static int t_results; /* results printed: the plan */
static int t_printed_checks, t_printed_failures;
static int t_planned;
static pid_t t_pid;
static char t_case_name[256];
static char t_todo_reason[256];
/* diagnostics are formatted here: no malloc, which some tests intercept */
static char t_diag_buf[65536];

/* s on stdout as one line (newlines flattened); when it has a '#', every
 * '#' and '\' is escaped, so that a "# TODO" or "# SKIP" in a name is no
 * directive. */
static inline void
t_put_name(const char *s)
{
	int esc = strchr(s, '#') != NULL;

	for (; *s != '\0'; s++) {
		if (esc && (*s == '#' || *s == '\\')) {
			putchar('\\');
			putchar(*s);
		} else if (*s == '\n' || *s == '\r')
			putchar(' ');
		else
			putchar(*s);
	}
}

/* s as "# " lines */
static inline void
t_put_diag(const char *s)
{
	int bol = 1;

	for (; *s != '\0'; s++) {
		if (bol)
			fputs("# ", stdout);
		putchar(*s);
		bol = *s == '\n';
	}
	if (!bol)
		putchar('\n');
	fflush(stdout);
}

static inline void t_vformat(char *buf, size_t size, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));
static inline void
t_vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, size, fmt, ap);

	if (n < 0)
		snprintf(buf, size, "(unformattable: %s)", fmt);
	else if ((size_t)n >= size && size > 16)
		memcpy(buf + size - 16, " ...(truncated)", 16);
}

static inline void t_diag(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static inline void
t_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	t_vformat(t_diag_buf, sizeof(t_diag_buf), fmt, ap);
	va_end(ap);
	t_put_diag(t_diag_buf);
}

static inline const char *
t_base(const char *path)
{
	const char *p = strrchr(path, '/');

	return p != NULL ? p + 1 : path;
}

/* One result line; counts it in the plan. */
static inline void
t_result(int ok, const char *name)
{
	t_results++;
	printf("%sok %d - ", ok ? "" : "not ", t_results);
	if (t_case_name[0] != '\0') {
		t_put_name(t_case_name);
		fputs(": ", stdout);
	}
	t_put_name(name);
	if (t_todo_reason[0] != '\0') {
		fputs(" # TODO ", stdout);
		t_put_name(t_todo_reason);
	}
	putchar('\n');
	fflush(stdout);
}

static inline int t_ok(int ok, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static inline int
t_ok(int ok, const char *file, int line, const char *fmt, ...)
{
	char name[1024];
	int n;
	va_list ap;

	n = snprintf(name, sizeof(name), "%s:%d: ", t_base(file), line);
	if (n < 0 || (size_t)n >= sizeof(name))
		n = 0;
	va_start(ap, fmt);
	t_vformat(name + n, sizeof(name) - n, fmt, ap);
	va_end(ap);
	t_checks++;
	t_printed_checks++;
	/* under T_TODO a failure is expected (XFAIL): not counted as one */
	if (!ok && t_todo_reason[0] == '\0') {
		t_failures++;
		t_printed_failures++;
	}
	t_result(ok, name);
	return ok;
}

static inline void t_case(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static inline void
t_case(const char *fmt, ...)
{
	va_list ap;

	t_case_name[0] = '\0';
	if (fmt == NULL)
		return;
	va_start(ap, fmt);
	t_vformat(t_case_name, sizeof(t_case_name), fmt, ap);
	va_end(ap);
}
#define T_CASE(...) t_case(__VA_ARGS__)

static inline void t_todo(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static inline void
t_todo(const char *fmt, ...)
{
	va_list ap;

	t_todo_reason[0] = '\0';
	if (fmt == NULL)
		return;
	va_start(ap, fmt);
	t_vformat(t_todo_reason, sizeof(t_todo_reason), fmt, ap);
	va_end(ap);
}
#define T_TODO(...) t_todo(__VA_ARGS__)

#define CHECK(cond) \
	do { \
		if (!t_ok(!!(cond), __FILE__, __LINE__, "%s", #cond)) \
			t_diag("%s:%d: CHECK failed: %s", t_base(__FILE__), \
			    __LINE__, #cond); \
	} while (0)

#define CHECK_INT(got, want) \
	do { \
		long long t_g_ = (long long)(got), t_w_ = (long long)(want); \
		if (!t_ok(t_g_ == t_w_, __FILE__, __LINE__, "%s == %s", #got, \
		        #want)) \
			t_diag("%s:%d: %s == %lld, expected %lld", \
			    t_base(__FILE__), __LINE__, #got, t_g_, t_w_); \
	} while (0)

#define CHECK_STR(got, want) \
	do { \
		const char *t_g_ = (got), *t_w_ = (want); \
		if (!t_ok(t_g_ != NULL && t_w_ != NULL && \
		            strcmp(t_g_, t_w_) == 0, \
		        __FILE__, __LINE__, "%s == %s", #got, #want)) \
			t_diag("%s:%d: %s == \"%s\", expected \"%s\"", \
			    t_base(__FILE__), __LINE__, #got, \
			    t_g_ ? t_g_ : "(null)", t_w_ ? t_w_ : "(null)"); \
	} while (0)

/* got contains want as a substring */
#define CHECK_CONTAINS(got, want) \
	do { \
		const char *t_g_ = (got), *t_w_ = (want); \
		if (!t_ok(t_g_ != NULL && strstr(t_g_, t_w_) != NULL, \
		        __FILE__, __LINE__, "%s contains %s", #got, #want)) \
			t_diag("%s:%d: %s == \"%s\", expected to contain " \
			       "\"%s\"", \
			    t_base(__FILE__), __LINE__, #got, \
			    t_g_ ? t_g_ : "(null)", t_w_); \
	} while (0)

/* Checks counted by hand in t_checks/t_failures become one result, so a
 * failure counted that way still fails the program. */
static inline void
t_flush_hand_counts(void)
{
	int n = t_checks - t_printed_checks;
	int failed = t_failures - t_printed_failures;
	char name[128];

	if (n <= 0 && failed <= 0)
		return;
	snprintf(name, sizeof(name),
	    "%d checks counted by hand (t_checks), %d failed", n, failed);
	t_case_name[0] = '\0';
	t_result(failed <= 0, name);
	t_printed_checks = t_checks;
	t_printed_failures = t_failures;
}

static inline int
t_done(void)
{
	t_flush_hand_counts();
	printf("1..%d\n", t_results);
	printf("# %d checks, %d failed\n", t_checks, t_failures);
	fflush(stdout);
	t_planned = 1;
	return t_failures == 0 ? 0 : 1;
}

/* return t_skip("why"): the program is skipped; results printed before
 * (there should be none) stand, and a skipped result ends them. */
static inline int t_skip(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static inline int
t_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	t_vformat(t_diag_buf, sizeof(t_diag_buf), fmt, ap);
	va_end(ap);
	t_flush_hand_counts();
	if (t_results == 0) {
		fputs("1..0 # SKIP ", stdout);
		t_put_name(t_diag_buf);
		putchar('\n');
	} else {
		printf("ok %d - # SKIP ", ++t_results);
		t_put_name(t_diag_buf);
		printf("\n1..%d\n", t_results);
	}
	fflush(stdout);
	t_planned = 1;
	return t_failures == 0 ? 0 : 1;
}

static inline void t_bail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
static inline void
t_bail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	t_vformat(t_diag_buf, sizeof(t_diag_buf), fmt, ap);
	va_end(ap);
	fputs("Bail out! ", stdout);
	t_put_name(t_diag_buf);
	putchar('\n');
	fflush(stdout);
	t_planned = 1;
	exit(99);
}

/* A program that leaves without a plan had a hard error (exit(99) after
 * printing why on stderr): say so in TAP. Forked children leave alone. */
static inline void
t_atexit(void)
{
	if (t_planned || getpid() != t_pid)
		return;
	printf("Bail out! ended after %d results without t_done() (a hard "
	       "error: see above)\n",
	    t_results);
	fflush(stdout);
}

/* Before main: stdout line-buffered, so results and whatever the program
 * writes to stderr (merged by the driver) stay in order. */
__attribute__((constructor)) static inline void
t_init(void)
{
	t_pid = getpid();
	setvbuf(stdout, NULL, _IOLBF, 0);
	atexit(t_atexit);
}

#endif /* KP_TEST_H */
