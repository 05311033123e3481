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
