/*
 * A minimal test harness for automake's driver: a test program exits 0 when
 * every check passed, 1 when any failed, 77 to skip, 99 on a hard error.
 * Each failed check prints file:line and what differed, and the program
 * goes on so one run shows every failure.
 */
#ifndef KP_TEST_H
#define KP_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_failures;
static int t_checks;

#define CHECK(cond) \
	do { \
		t_checks++; \
		if (!(cond)) { \
			t_failures++; \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
			    __LINE__, #cond); \
		} \
	} while (0)

#define CHECK_INT(got, want) \
	do { \
		long long t_g_ = (long long)(got), t_w_ = (long long)(want); \
		t_checks++; \
		if (t_g_ != t_w_) { \
			t_failures++; \
			fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", \
			    __FILE__, __LINE__, #got, t_g_, t_w_); \
		} \
	} while (0)

#define CHECK_STR(got, want) \
	do { \
		const char *t_g_ = (got), *t_w_ = (want); \
		t_checks++; \
		if (t_g_ == NULL || t_w_ == NULL || strcmp(t_g_, t_w_) != 0) { \
			t_failures++; \
			fprintf(stderr, \
			    "%s:%d: %s == \"%s\", expected \"%s\"\n", \
			    __FILE__, __LINE__, #got, t_g_ ? t_g_ : "(null)", \
			    t_w_ ? t_w_ : "(null)"); \
		} \
	} while (0)

/* got contains want as a substring */
#define CHECK_CONTAINS(got, want) \
	do { \
		const char *t_g_ = (got), *t_w_ = (want); \
		t_checks++; \
		if (t_g_ == NULL || strstr(t_g_, t_w_) == NULL) { \
			t_failures++; \
			fprintf(stderr, \
			    "%s:%d: %s == \"%s\", expected to contain " \
			    "\"%s\"\n", \
			    __FILE__, __LINE__, #got, t_g_ ? t_g_ : "(null)", \
			    t_w_); \
		} \
	} while (0)

static inline int
t_done(void)
{
	printf("%d checks, %d failed\n", t_checks, t_failures);
	return t_failures == 0 ? 0 : 1;
}

#endif /* KP_TEST_H */
