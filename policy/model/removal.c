/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * The mass-removal guard (docs/fleet.md): what a new policy takes away
 * from this host, compared with what the installed index grants.
 *
 * A grant here is an (account, key) pair: the key may log into the
 * account on this host at some time from now on (a grant that has
 * already expired is gone either way and never counts). A pair the new
 * policy no longer grants is removed, unless the new policy revokes its
 * key or its owner: a revocation is never slowed by the guard. An
 * emptied, truncated or mis-generated policy that drops more than
 * max_removal of the pairs is what the guard is for.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyauth-policy.h"
#include "kp-policy.h"

/* "account fp": accounts have no space, fingerprints neither. */
static char *
pair_key(const char *account, const char *fp)
{
	char *s = NULL;

	if (kp_strconcat(&s, KP_ACCOUNT_MAX + KP_FP_LEN + 2, account, " ", fp,
	        (char *)NULL) != 0)
		return NULL;
	return s;
}

struct pairs {
	struct kp_strtab t;
	char **keys; /* owned; the table borrows them */
	size_t n, cap;
};

static void
pairs_free(struct pairs *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		free(ps->keys[i]);
	free(ps->keys);
	kp_strtab_free(&ps->t);
	memset(ps, 0, sizeof(*ps));
}

/* Add (account, fp); 1 when it was new, 0 when known, or an error. */
static int
pairs_add(struct pairs *ps, const char *account, const char *fp)
{
	char *k, **tmp;
	size_t cap;
	int r;

	if ((k = pair_key(account, fp)) == NULL)
		return KP_ERR_NOMEM;
	if (kp_strtab_get(&ps->t, k, NULL)) {
		free(k);
		return 0;
	}
	if (ps->n == ps->cap) {
		cap = ps->cap == 0 ? 64 : ps->cap * 2;
		if ((tmp = reallocarray(ps->keys, cap, sizeof(*tmp))) == NULL) {
			free(k);
			return KP_ERR_NOMEM;
		}
		ps->keys = tmp;
		ps->cap = cap;
	}
	ps->keys[ps->n] = k;
	if ((r = kp_strtab_put(&ps->t, k, ps->n, NULL)) < 0) {
		free(k);
		return r;
	}
	ps->n++;
	return 1;
}

struct walk {
	const struct kp_policy *p;
	int64_t now;
	struct pairs now_granted; /* the new policy's pairs */
	struct pairs before; /* the index's, each counted once */
	struct kp_removal *out;
};

static int
walk_grant(void *arg, const struct kp_index_grant *g)
{
	struct walk *w = arg;
	struct kp_removal *out = w->out;
	char *k;
	size_t i, n;
	int r;

	if (g->id == NULL || g->host_marker || g->revoked ||
	    g->expires <= w->now)
		return 0;
	for (i = 0; i < g->naccounts; i++) {
		if ((r = pairs_add(&w->before, g->accounts[i], g->fp)) < 0)
			return r;
		if (r == 0)
			continue;
		out->before++;
		if ((k = pair_key(g->accounts[i], g->fp)) == NULL)
			return KP_ERR_NOMEM;
		r = kp_strtab_get(&w->now_granted.t, k, NULL);
		free(k);
		if (r)
			continue;
		if (kp_policy_is_revoked(w->p, g->fp, g->owner) == 1) {
			out->revoked++;
			continue;
		}
		out->removed++;
		/* A few examples, for the message. */
		if (out->nexamples < KP_REMOVAL_EXAMPLES) {
			n = out->nexamples++;
			snprintf(out->examples[n], sizeof(out->examples[n]),
			    "%s <- %s (%.12s...)", g->accounts[i], g->id,
			    g->fp + 7);
		}
	}
	return 0;
}

int
kp_removal_count(struct kp_index *ix, const struct kp_policy *p,
    const char *host, int64_t now, struct kp_removal *out)
{
	const struct kp_entry *e;
	struct walk w;
	size_t i, j;
	int r;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (ix == NULL || p == NULL || host == NULL || out == NULL)
		return KP_ERR_ARG;
	memset(&w, 0, sizeof(w));
	w.p = p;
	w.now = now;
	w.out = out;
	kp_strtab_init(&w.now_granted.t);
	kp_strtab_init(&w.before.t);
	for (i = 0; i < p->nentries; i++) {
		e = &p->entries[i];
		if (!kp_entry_applies(e, host) || e->expires <= now ||
		    kp_policy_is_revoked(p, e->key->fp, e->owner) == 1)
			continue;
		for (j = 0; j < e->naccounts; j++) {
			if ((r = pairs_add(&w.now_granted, e->accounts[j],
			         e->key->fp)) < 0)
				goto out;
		}
	}
	r = kp_index_foreach(ix, NULL, walk_grant, &w);
out:
	pairs_free(&w.now_granted);
	pairs_free(&w.before);
	return r;
}

int
kp_removal_excessive(const struct kp_removal *rm, unsigned max_percent)
{
	/* "More than max_percent of the grants": integers, no rounding. */
	return rm->removed > 0 &&
	    rm->removed * 100 > (uint64_t)max_percent * rm->before;
}
