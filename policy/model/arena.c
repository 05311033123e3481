/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * A bump allocator in chunks (kp-policy.h). The loader holds each list
 * item's YAML nodes in one, reset between items, and keeps a loaded
 * policy's entries (their strings, lists, keys) in another that the policy
 * owns: a million entries would otherwise be some ten million malloc'd
 * pieces, each with malloc's own overhead, freed one by one.
 */

#include <sys/mman.h>

#include <stdalign.h>
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "kp-policy.h"

struct kp_arena_chunk {
	struct kp_arena_chunk *next;
	size_t used, size;
	/* data follows, KP_ARENA_ALIGN aligned */
};

#define KP_ARENA_ALIGN alignof(max_align_t)
#define CHUNK_HDR \
	((sizeof(struct kp_arena_chunk) + KP_ARENA_ALIGN - 1) & \
	    ~(size_t)(KP_ARENA_ALIGN - 1))

void
kp_arena_init(struct kp_arena *a, size_t chunk)
{
	memset(a, 0, sizeof(*a));
	a->chunk = chunk < 2 * CHUNK_HDR ? KP_ARENA_CHUNK : chunk;
}

void
kp_arena_grow(struct kp_arena *a, size_t max)
{
	if (a->chunk == 0)
		a->chunk = KP_ARENA_CHUNK;
	a->max = max;
}

/*
 * Chunks of 2 MiB and more are asked to be backed by huge pages where
 * they span whole ones: a policy's arena of hundreds of megabytes is
 * otherwise one page fault per 4 KiB (a tenth of a 1M-key load's time
 * was the kernel's). Advice only; nothing depends on it.
 */
static void
huge_pages(void *p, size_t size)
{
#ifdef MADV_HUGEPAGE
	const uintptr_t huge = 2UL * 1024 * 1024;
	uintptr_t lo = ((uintptr_t)p + huge - 1) & ~(huge - 1);
	uintptr_t hi = ((uintptr_t)p + size) & ~(huge - 1);

	if (hi > lo)
		(void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
	(void)p;
	(void)size;
#endif
}

/* n bytes at alignment align (a power of two), or NULL. */
static void *
arena_get(struct kp_arena *a, size_t n, size_t align)
{
	struct kp_arena_chunk *c = a->head;
	size_t at = 0, size, std;

	if (a->chunk == 0)
		a->chunk = KP_ARENA_CHUNK;
	if (c != NULL) {
		at = (c->used + align - 1) & ~(align - 1);
		if (at <= c->size && c->size - at >= n) {
			c->used = at + n;
			return (char *)c + CHUNK_HDR + at;
		}
	}
	/* The next standard chunk: a->chunk, or doubling up to a->max. */
	std = a->chunk;
	if (a->max > a->chunk && c != NULL) {
		std = c->size + CHUNK_HDR < a->max / 2
		    ? 2 * (c->size + CHUNK_HDR)
		    : a->max;
		if (std < a->chunk)
			std = a->chunk;
	}
	/* A piece larger than a quarter chunk gets a chunk of its own. */
	if (n > (std - CHUNK_HDR) / 4) {
		if (n > SIZE_MAX - CHUNK_HDR)
			return NULL;
		size = n + CHUNK_HDR;
	} else {
		size = std;
	}
	if ((c = malloc(size)) == NULL)
		return NULL;
	if (size >= 2UL * 1024 * 1024)
		huge_pages(c, size);
	c->size = size - CHUNK_HDR;
	c->used = n;
	if (size == std || a->head == NULL) {
		c->next = a->head;
		a->head = c;
	} else {
		/* Behind the current chunk, whose free room stays usable. */
		c->next = a->head->next;
		a->head->next = c;
	}
	a->bytes += size;
	return (char *)c + CHUNK_HDR;
}

void *
kp_arena_alloc(struct kp_arena *a, size_t n)
{
	return arena_get(a, n == 0 ? 1 : n, KP_ARENA_ALIGN);
}

void *
kp_arena_calloc(struct kp_arena *a, size_t n, size_t size)
{
	void *p;

	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	if ((p = kp_arena_alloc(a, n * size)) != NULL)
		memset(p, 0, n * size);
	return p;
}

char *
kp_arena_strndup(struct kp_arena *a, const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX || (p = arena_get(a, n + 1, 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
kp_arena_strdup(struct kp_arena *a, const char *s)
{
	return kp_arena_strndup(a, s, strlen(s));
}

void
kp_arena_reset(struct kp_arena *a, int keep)
{
	struct kp_arena_chunk *c, *next, *kept = NULL;

	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		if (keep && kept == NULL && c->size == a->chunk - CHUNK_HDR) {
			kept = c;
			kept->used = 0;
			kept->next = NULL;
			continue;
		}
		free(c);
	}
	a->head = kept;
	a->bytes = kept != NULL ? a->chunk : 0;
}
