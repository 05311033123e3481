/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared by the libFuzzer targets in tests/fuzz/. Each target defines
 * LLVMFuzzerTestOneInput; with --enable-fuzzing it links libFuzzer's main,
 * otherwise tests/fuzz/standalone.c replays corpus files through it (the
 * committed corpus is a regression test of every build, sanitizers or not).
 *
 * A property that does not hold is a bug: FZ_ASSERT prints it and aborts,
 * which libFuzzer reports as a crash and saves the input.
 */
#ifndef KEYAUTH_FUZZ_H
#define KEYAUTH_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_ASSERT(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: property failed: %s\n", \
			    __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

/* A NUL-terminated copy of the input (cut at an embedded NUL by C APIs). */
static inline char *
fz_cstr(const uint8_t *data, size_t size)
{
	char *s;

	if ((s = malloc(size + 1)) == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif /* KEYAUTH_FUZZ_H */
