/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers shared inside libkeyauth-model (policy/model/) and the admin
 * layer; not part of any interface.
 */
#ifndef KP_POLICY_H
#define KP_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "keyauth-policy.h"
#include "kp-internal.h"

/*
 * A set of borrowed strings mapping to a size_t, open addressing with
 * linear probing. Used wherever a policy of a million entries would make a
 * pairwise comparison quadratic (ids, fingerprints, names).
 */
struct kp_strtab_slot {
	uint64_t hash;
	const char *key; /* borrowed; NULL = empty slot */
	size_t val;
};

struct kp_strtab {
	struct kp_strtab_slot *slots;
	size_t cap; /* a power of two, or 0 */
	size_t n;
};

void kp_strtab_init(struct kp_strtab *t);
void kp_strtab_free(struct kp_strtab *t);
/* 1 and *val when key is present, else 0. */
int kp_strtab_get(const struct kp_strtab *t, const char *key, size_t *val);
/*
 * Insert key -> val unless present. Returns 0 when inserted, 1 when the
 * key was already there (*old, when not NULL, gets its value), or
 * KP_ERR_NOMEM.
 */
int kp_strtab_put(
    struct kp_strtab *t, const char *key, size_t val, size_t *old);

/*
 * The revocations of a policy as two hash sets (fingerprints, owners), so
 * kp_policy_is_revoked costs the same with ten revocations and ten
 * thousand: install, lint and report ask it once per entry.
 */
struct kp_revset {
	struct kp_strtab fps;
	struct kp_strtab owners;
};
/* Build p->revset from p->revoked (replacing any). */
int kp_policy_index_revocations(struct kp_policy *p);
void kp_revset_free(struct kp_revset *rs);

/* Free what one element owns (not the element itself). */
void kp_entry_clear(struct kp_entry *e);
void kp_network_clear(struct kp_network *n);
void kp_revocation_clear(struct kp_revocation *r);
void kp_authority_clear(struct kp_authority *a);

#endif /* KP_POLICY_H */
