#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "keyauth-policy.h"
#include "kp-internal.h"
#include "kp-policy.h"

/* ------------------------------------------------------------- strtab */

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
int
kp_strtab_get(const struct kp_strtab *t, const char *key, size_t *val)
{
	const struct kp_strtab_slot *s;
	uint64_t h;
	size_t i, mask;

	if (t->cap == 0)
		return 0;
	h = strtab_hash(key);
	mask = t->cap - 1;
	for (i = h & mask; (s = &t->slots[i])->key != NULL;
	     i = (i + 1) & mask) {
		if (s->hash == h && strcmp(s->key, key) == 0) {
			if (val != NULL)
				*val = s->val;
			return 1;
		}
	}
	return 0;
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

/* ------------------------------------------------------------- freeing */

static void
free_strv(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
kp_entry_clear(struct kp_entry *e)
{
	if (e == NULL)
		return;
	free(e->id);
	free(e->owner);
	kp_pubkey_free(e->key);
	free_strv(e->accounts, e->naccounts);
	free_strv(e->hosts, e->nhosts);
	free_strv(e->from, e->nfrom);
	free(e->sources);
	free_strv(e->options, e->noptions);
	free(e->command);
	free(e->comment);
	memset(e, 0, sizeof(*e));
}

void
kp_network_clear(struct kp_network *n)
{
	if (n == NULL)
		return;
	free(n->name);
	free(n->addrs);
	memset(n, 0, sizeof(*n));
}

void
kp_revocation_clear(struct kp_revocation *r)
{
	if (r == NULL)
		return;
	free(r->value);
	kp_pubkey_free(r->key);
	free(r->reason);
	memset(r, 0, sizeof(*r));
}

static void
revset_free(struct kp_revset *rs)
{
	if (rs == NULL)
		return;
	kp_strtab_free(&rs->fps);
	kp_strtab_free(&rs->owners);
	free(rs);
}

void
kp_policy_free(struct kp_policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nentries; i++)
		kp_entry_clear(&p->entries[i]);
	free(p->entries);
	for (i = 0; i < p->nnetworks; i++)
		kp_network_clear(&p->networks[i]);
	free(p->networks);
	for (i = 0; i < p->nrevoked; i++)
		kp_revocation_clear(&p->revoked[i]);
	free(p->revoked);
	revset_free(p->revset);
	free(p->path);
	free(p);
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
			revset_free(rs);
			return KP_ERR_NOMEM;
		}
	}
	revset_free(p->revset);
	p->revset = rs; /* keys borrowed from p->revoked */
	return KP_OK;
}

/* ----------------------------------------------------------- decisions */

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

int
kp_policy_decide(const struct kp_policy *p, const struct kp_request *req,
    struct kp_decision *out)
{
	struct kp_grant *grants = NULL;
	const struct kp_entry *e;
	const char *owner = NULL;
	size_t i, n = 0, cap = 0;
	int r = KP_ERR_INTERNAL, revoked;

	if (out != NULL) {
		memset(out, 0, sizeof(*out));
		out->reason = KP_POLICY_UNAVAILABLE;
	}
	if (p == NULL || req == NULL || out == NULL)
		return KP_ERR_ARG;

	if (req->fp != NULL) {
		for (i = 0; i < p->nentries; i++) {
			e = &p->entries[i];
			if (e->key == NULL || strcmp(e->key->fp, req->fp) != 0)
				continue;
			if (n == cap) {
				struct kp_grant *tmp;
				size_t ncap = cap == 0 ? 4 : cap * 2;

				tmp = reallocarray(grants, ncap, sizeof(*tmp));
				if (tmp == NULL) {
					r = KP_ERR_NOMEM;
					goto out;
				}
				grants = tmp;
				cap = ncap;
			}
			/* The loader guarantees one owner per key. */
			if (owner == NULL)
				owner = e->owner;
			grants[n].id = e->id;
			grants[n].owner = e->owner;
			grants[n].accounts = (const char *const *)e->accounts;
			grants[n].naccounts = e->naccounts;
			grants[n].host_ok = 1;
			if (e->nhosts > 0) {
				size_t j;

				grants[n].host_ok = 0;
				for (j = 0; j < e->nhosts; j++) {
					if (req->host != NULL &&
					    kp_host_match(
					        e->hosts[j], req->host)) {
						grants[n].host_ok = 1;
						break;
					}
				}
			}
			grants[n].sources = e->sources;
			grants[n].nsources = e->nsources;
			grants[n].not_before = e->not_before;
			grants[n].expires = e->expires;
			n++;
		}
	}
	revoked = kp_policy_is_revoked(p, req->fp, owner);
	kp_decide(p->expires, revoked, grants, n, req, out);
	out->policy_serial = p->serial;
	memcpy(out->policy_sha256, p->sha256, sizeof(out->policy_sha256));
	out->policy_sha256[sizeof(out->policy_sha256) - 1] = '\0';
	r = 0;
out:
	free(grants);
	return r;
}
