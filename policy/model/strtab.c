/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * The string table of kp-policy.h: open addressing, linear probing, FNV-1a.
 * The loader, lint and the revocation sets use it wherever a policy of a
 * million entries would make a pairwise comparison quadratic.
 */

#include <stdlib.h>
#include <string.h>

#include "kp-policy.h"

static uint64_t
strtab_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	/* FNV's low bits mix poorly; fold the high half in. */
	return h ^ (h >> 29);
}

void
kp_strtab_init(struct kp_strtab *t)
{
	memset(t, 0, sizeof(*t));
}

void
kp_strtab_free(struct kp_strtab *t)
{
	if (t == NULL)
		return;
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

/*
 * The full hash is kept in the slot so a probe only touches a key's string
 * (a cache miss in a table of a million entries) when the hashes match.
 */
static const struct kp_strtab_slot *
strtab_find(const struct kp_strtab *t, const char *key)
{
	const struct kp_strtab_slot *s;
	uint64_t h;
	size_t i, mask;

	if (t->cap == 0)
		return NULL;
	h = strtab_hash(key);
	mask = t->cap - 1;
	for (i = h & mask; (s = &t->slots[i])->key != NULL;
	     i = (i + 1) & mask) {
		if (s->hash == h && strcmp(s->key, key) == 0)
			return s;
	}
	return NULL;
}

int
kp_strtab_get(const struct kp_strtab *t, const char *key, size_t *val)
{
	const struct kp_strtab_slot *s;

	if ((s = strtab_find(t, key)) == NULL)
		return 0;
	if (val != NULL)
		*val = s->val;
	return 1;
}

const char *
kp_strtab_key(const struct kp_strtab *t, const char *key)
{
	const struct kp_strtab_slot *s = strtab_find(t, key);

	return s != NULL ? s->key : NULL;
}

static int
strtab_grow(struct kp_strtab *t)
{
	struct kp_strtab_slot *slots;
	size_t cap, i, j, mask;

	cap = t->cap == 0 ? 64 : t->cap * 2;
	if ((slots = calloc(cap, sizeof(*slots))) == NULL)
		return KP_ERR_NOMEM;
	mask = cap - 1;
	for (i = 0; i < t->cap; i++) {
		if (t->slots[i].key == NULL)
			continue;
		for (j = t->slots[i].hash & mask; slots[j].key != NULL;
		     j = (j + 1) & mask)
			;
		slots[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return 0;
}

int
kp_strtab_put(struct kp_strtab *t, const char *key, size_t val, size_t *old)
{
	struct kp_strtab_slot *s;
	uint64_t h;
	size_t i, mask;
	int r;

	/* Keep the load factor at or below one half. */
	if ((t->n + 1) * 2 > t->cap && (r = strtab_grow(t)) != 0)
		return r;
	h = strtab_hash(key);
	mask = t->cap - 1;
	for (i = h & mask; (s = &t->slots[i])->key != NULL;
	     i = (i + 1) & mask) {
		if (s->hash == h && strcmp(s->key, key) == 0) {
			if (old != NULL)
				*old = s->val;
			return 1;
		}
	}
	s->hash = h;
	s->key = key;
	s->val = val;
	t->n++;
	return 0;
}

/*
 * The index table: a slot is the item's index + 1 (low half) and the
 * high half of its key's hash, 8 bytes where a kp_strtab slot takes 24,
 * so a table over a million entries is a third of the memory and of the
 * cache misses. The key is read back through key_of only on a hash match.
 */
#define IX_IDX(s) ((size_t)((s)&0xffffffffU) - 1)
#define IX_HASH(s) ((uint32_t)((s) >> 32))

void
kp_idxtab_init(struct kp_idxtab *t)
{
	memset(t, 0, sizeof(*t));
}

void
kp_idxtab_free(struct kp_idxtab *t)
{
	if (t == NULL)
		return;
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

static uint32_t
idx_hash(const char *key)
{
	return (uint32_t)(strtab_hash(key) >> 32);
}

/* The slot of key, or of the empty slot where it would go. */
static size_t
idx_find(const struct kp_idxtab *t, const char *key, uint32_t h,
    kp_idxtab_key_fn key_of, const void *arg)
{
	size_t i, mask = t->cap - 1;
	uint64_t s;

	for (i = h & mask; (s = t->slots[i]) != 0; i = (i + 1) & mask) {
		if (IX_HASH(s) == h && strcmp(key_of(arg, IX_IDX(s)), key) == 0)
			break;
	}
	return i;
}

int
kp_idxtab_get(const struct kp_idxtab *t, const char *key,
    kp_idxtab_key_fn key_of, const void *arg, size_t *idx)
{
	uint64_t s;

	if (t->cap == 0)
		return 0;
	s = t->slots[idx_find(t, key, idx_hash(key), key_of, arg)];
	if (s == 0)
		return 0;
	if (idx != NULL)
		*idx = IX_IDX(s);
	return 1;
}

void
kp_idxtab_prefetch(const struct kp_idxtab *t, const char *key)
{
	if (t->cap != 0)
		__builtin_prefetch(&t->slots[idx_hash(key) & (t->cap - 1)]);
}

static int
idx_grow(struct kp_idxtab *t)
{
	uint64_t *slots;
	size_t cap, i, j, mask;

	cap = t->cap == 0 ? 64 : t->cap * 2;
	if (cap > (size_t)UINT32_MAX + 1 ||
	    (slots = calloc(cap, sizeof(*slots))) == NULL)
		return KP_ERR_NOMEM;
	mask = cap - 1;
	for (i = 0; i < t->cap; i++) {
		if (t->slots[i] == 0)
			continue;
		for (j = IX_HASH(t->slots[i]) & mask; slots[j] != 0;
		     j = (j + 1) & mask)
			;
		slots[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return 0;
}

int
kp_idxtab_put(struct kp_idxtab *t, const char *key, size_t idx,
    kp_idxtab_key_fn key_of, const void *arg, size_t *old)
{
	uint32_t h = idx_hash(key);
	size_t i;
	int r;

	if (idx >= UINT32_MAX)
		return KP_ERR_TOOBIG;
	if ((t->n + 1) * 2 > t->cap && (r = idx_grow(t)) != 0)
		return r;
	i = idx_find(t, key, h, key_of, arg);
	if (t->slots[i] != 0) {
		if (old != NULL)
			*old = IX_IDX(t->slots[i]);
		return 1;
	}
	t->slots[i] = (uint64_t)h << 32 | (uint64_t)(idx + 1);
	t->n++;
	return 0;
}
