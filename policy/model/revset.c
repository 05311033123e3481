/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * A policy's revocations as hash sets (fingerprints, owners), built once
 * at load, and the question every layer asks of them: is this key
 * revoked?
 */

#include <stdlib.h>
#include <string.h>

#include "keyauth-policy.h"
#include "kp-policy.h"

void
kp_revset_free(struct kp_revset *rs)
{
	if (rs == NULL)
		return;
	kp_strtab_free(&rs->fps);
	kp_strtab_free(&rs->owners);
	free(rs);
}

int
kp_policy_index_revocations(struct kp_policy *p)
{
	struct kp_revset *rs;
	const struct kp_revocation *rv;
	size_t i;

	if (p == NULL)
		return KP_ERR_ARG;
	if ((rs = calloc(1, sizeof(*rs))) == NULL)
		return KP_ERR_NOMEM;
	kp_strtab_init(&rs->fps);
	kp_strtab_init(&rs->owners);
	for (i = 0; i < p->nrevoked; i++) {
		rv = &p->revoked[i];
		if (rv->value == NULL)
			continue;
		if (kp_strtab_put(
		        rv->kind == KP_REVOKE_OWNER ? &rs->owners : &rs->fps,
		        rv->value, i, NULL) < 0) {
			kp_revset_free(rs);
			return KP_ERR_NOMEM;
		}
	}
	kp_revset_free(p->revset);
	p->revset = rs; /* keys borrowed from p->revoked */
	return KP_OK;
}

const struct kp_revocation *
kp_policy_revocation(
    const struct kp_policy *p, const char *fp, const char *owner)
{
	const struct kp_revocation *rv;
	size_t i, k;

	if (p == NULL)
		return NULL;
	if (p->revset != NULL) {
		if (fp != NULL && kp_strtab_get(&p->revset->fps, fp, &i))
			return &p->revoked[i];
		if (owner != NULL &&
		    kp_strtab_get(&p->revset->owners, owner, &i))
			return &p->revoked[i];
		return NULL;
	}
	/* A policy built by hand (tests) has no sets: the key first. */
	for (k = 0; fp != NULL && k < p->nrevoked; k++) {
		rv = &p->revoked[k];
		if (rv->kind != KP_REVOKE_OWNER && rv->value != NULL &&
		    strcmp(rv->value, fp) == 0)
			return rv;
	}
	for (k = 0; owner != NULL && k < p->nrevoked; k++) {
		rv = &p->revoked[k];
		if (rv->kind == KP_REVOKE_OWNER && rv->value != NULL &&
		    strcmp(rv->value, owner) == 0)
			return rv;
	}
	return NULL;
}

int
kp_policy_is_revoked(
    const struct kp_policy *p, const char *fp, const char *owner)
{
	const struct kp_revocation *rv;
	size_t i;

	if (p == NULL)
		return 1; /* no policy: treat everything as refused */
	if (p->revset != NULL)
		return (fp != NULL &&
		           kp_strtab_get(&p->revset->fps, fp, NULL)) ||
		    (owner != NULL &&
		        kp_strtab_get(&p->revset->owners, owner, NULL));
	/* A policy built by hand (tests) has no sets: scan the list. */
	for (i = 0; i < p->nrevoked; i++) {
		rv = &p->revoked[i];
		if (rv->value == NULL)
			continue;
		switch (rv->kind) {
		case KP_REVOKE_FINGERPRINT:
		case KP_REVOKE_KEY:
			if (fp != NULL && strcmp(rv->value, fp) == 0)
				return 1;
			break;
		case KP_REVOKE_OWNER:
			if (owner != NULL && strcmp(rv->value, owner) == 0)
				return 1;
			break;
		}
	}
	return 0;
}
