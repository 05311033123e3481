/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * The loader's memory structures: the policy's bump allocator
 * (policy/model/arena.c: alignment, pieces larger than a chunk, copies,
 * a reset that keeps one chunk for reuse; ASan and valgrind see every
 * chunk freed) and the index table of policy/model/strtab.c.
 */

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp-policy.h"
#include "../test.h"

static int
aligned(const void *p)
{
	return (uintptr_t)p % alignof(max_align_t) == 0;
}

static void
test_pieces(void)
{
	struct kp_arena a;
	char *s, *t, *big;
	uint64_t *v;
	size_t i, bytes, bad;

	T_CASE("aligned pieces, unaligned strings");
	kp_arena_init(&a, 0);
	s = kp_arena_strdup(&a, "abc");
	CHECK(s != NULL);
	CHECK_STR(s, "abc");
	v = kp_arena_calloc(&a, 4, sizeof(*v));
	CHECK(v != NULL && aligned(v));
	for (i = 0; v != NULL && i < 4; i++)
		CHECK(v[i] == 0);
	t = kp_arena_strndup(&a, "defgh", 2);
	CHECK(t != NULL && t == (char *)(v + 4)); /* right after v, unaligned */
	CHECK_STR(t, "de");
	CHECK_STR(s, "abc");
	CHECK(kp_arena_alloc(&a, 0) != NULL);
	CHECK(kp_arena_calloc(&a, SIZE_MAX / 2, 4) == NULL);

	T_CASE("a piece larger than a chunk");
	bytes = a.bytes;
	big = kp_arena_alloc(&a, 3 * KP_ARENA_CHUNK);
	CHECK(big != NULL && aligned(big));
	if (big != NULL)
		memset(big, 'x', 3 * KP_ARENA_CHUNK);
	CHECK(a.bytes > bytes + 3 * KP_ARENA_CHUNK);
	/* The current chunk keeps serving small pieces after it. */
	s = kp_arena_strdup(&a, "after");
	CHECK(s != NULL && s > t && s < t + KP_ARENA_CHUNK);
	CHECK_STR(s, "after");

	T_CASE("many chunks");
	for (i = 0; i < 100000; i++) {
		if ((s = kp_arena_strdup(&a, "0123456789")) == NULL)
			break;
	}
	CHECK(i == 100000);
	CHECK(a.bytes >= 100000 * 11);

	T_CASE("reset keeps one chunk, emptied");
	kp_arena_reset(&a, 1);
	CHECK(a.head != NULL);
	CHECK(a.bytes == KP_ARENA_CHUNK);
	s = kp_arena_strdup(&a, "again");
	CHECK(s != NULL);
	CHECK_STR(s, "again");
	CHECK(a.bytes == KP_ARENA_CHUNK);
	kp_arena_reset(&a, 0);
	CHECK(a.head == NULL && a.bytes == 0);
	kp_arena_reset(&a, 0); /* twice is harmless */

	T_CASE("growing chunks, up to the maximum");
	kp_arena_init(&a, 0);
	kp_arena_grow(&a, KP_ARENA_CHUNK_MAX);
	t = NULL;
	for (i = 0, bad = 0; i < 2000000; i++) {
		if ((s = kp_arena_strdup(&a, "0123456789")) == NULL) {
			bad++;
			break;
		}
		if (i == 12345)
			t = s;
	}
	CHECK(bad == 0);
	CHECK(t != NULL && strcmp(t, "0123456789") == 0);
	/* 22 MB of strings: chunks of 64 KiB doubling to 8 MiB, few wasted */
	CHECK(a.bytes >= 2000000 * 11);
	CHECK(a.bytes <= 2000000 * 11 + 2 * KP_ARENA_CHUNK_MAX);
	kp_arena_reset(&a, 0);
	CHECK(a.head == NULL && a.bytes == 0);

	T_CASE("a zeroed arena works");
	memset(&a, 0, sizeof(a));
	s = kp_arena_strdup(&a, "zero");
	CHECK(s != NULL);
	CHECK_STR(s, "zero");
	kp_arena_reset(&a, 0);
	T_CASE(NULL);
}

static const char *
name_of(const void *arg, size_t i)
{
	return ((char *const *)arg)[i];
}

static void
test_idxtab(void)
{
	enum { N = 5000 };
	static char buf[N][16];
	static char *names[N];
	struct kp_idxtab t;
	size_t i, at, bad = 0;
	char other[16];

	T_CASE("the index table: items by a string they hold");
	for (i = 0; i < N; i++) {
		snprintf(buf[i], sizeof(buf[i]), "id-%zu", i);
		names[i] = buf[i];
	}
	kp_idxtab_init(&t);
	CHECK(!kp_idxtab_get(&t, "id-0", name_of, names, &at));
	for (i = 0; i < N; i++)
		bad +=
		    kp_idxtab_put(&t, names[i], i, name_of, names, NULL) != 0;
	CHECK(bad == 0);
	CHECK(t.n == N);
	CHECK(t.cap >= 2 * N);
	for (i = 0, bad = 0; i < N; i++) {
		snprintf(other, sizeof(other), "id-%zu", i);
		if (!kp_idxtab_get(&t, other, name_of, names, &at) || at != i)
			bad++;
	}
	CHECK(bad == 0);
	CHECK(!kp_idxtab_get(&t, "id-5000", name_of, names, NULL));
	CHECK(!kp_idxtab_get(&t, "", name_of, names, NULL));
	at = 0;
	CHECK_INT(kp_idxtab_put(&t, "id-42", 7, name_of, names, &at), 1);
	CHECK(at == 42);
	CHECK(t.n == N);
	CHECK(kp_idxtab_put(&t, "x", UINT32_MAX, name_of, names, NULL) < 0);
	kp_idxtab_free(&t);
	CHECK(t.slots == NULL && t.cap == 0 && t.n == 0);
	T_CASE(NULL);
}

int
main(void)
{
	test_pieces();
	test_idxtab();
	return t_done();
}
