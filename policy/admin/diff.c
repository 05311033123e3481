/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * What a policy change does to access, for the reviewer who approves it.
 * Entries are matched by id. Restrictions are compared by what they admit,
 * not by how they are written: "from: [office]" and the network's
 * addresses written out are the same thing, and a from: list that lost an
 * address while gaining a wider network is a widening.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "keyauth.h"
#include "kp-internal.h"
#include "kp-policy.h"
#include "keyauth-admin.h"

#define DIFF_DETAIL_MAX (1024 * 1024)

/* ------------------------------------------------------------- items */

struct ctx {
	struct kp_diff *d;
	size_t cap;
	const struct kp_policy *old, *new;
	int err;
};

static char *
dup_or_null(struct ctx *c, const char *s)
{
	char *r;

	if (s == NULL)
		return NULL;
	if ((r = strdup(s)) == NULL)
		c->err = KP_ERR_NOMEM;
	return r;
}

static void
add_item(struct ctx *c, enum kp_diff_kind kind, const char *field,
    const struct kp_entry *e, const char *accounts, struct kp_buf *detail)
{
	struct kp_diff_item *it, *tmp;
	char *text = NULL;

	if (c->err != 0 || (c->err = detail->err) != 0) {
		kp_buf_free(detail);
		return;
	}
	if (c->d->nitems == c->cap) {
		size_t ncap = c->cap == 0 ? 16 : c->cap * 2;

		if ((tmp = reallocarray(c->d->items, ncap, sizeof(*tmp))) ==
		    NULL) {
			c->err = KP_ERR_NOMEM;
			kp_buf_free(detail);
			return;
		}
		c->d->items = tmp;
		c->cap = ncap;
	}
	if ((c->err = kp_buf_take(detail, &text, NULL)) != 0)
		return;
	it = &c->d->items[c->d->nitems];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->detail = text; /* owned by the item */
	it->field = dup_or_null(c, field);
	if (e != NULL) {
		it->key_id = dup_or_null(c, e->id);
		it->owner = dup_or_null(c, e->owner);
		it->fp = dup_or_null(c, e->key->fp);
	}
	it->accounts = dup_or_null(c, accounts);
	c->d->nitems++;
	c->d->count[kind]++;
}

static void
put_sources(struct kp_buf *b, const struct kp_entry *e)
{
	char addr[64];
	size_t i;

	if (e->nsources == 0) {
		kp_buf_puts(b, "any address");
		return;
	}
	for (i = 0; i < e->nsources; i++) {
		kp_cidr_format(&e->sources[i], addr, sizeof(addr));
		kp_buf_printf(b, "%s%s", i > 0 ? ", " : "", addr);
	}
}

static void
put_strv(struct kp_buf *b, char *const *v, size_t n, const char *none)
{
	size_t i;

	if (n == 0)
		kp_buf_puts(b, none);
	for (i = 0; i < n; i++)
		kp_buf_printf(b, "%s%s", i > 0 ? ", " : "", v[i]);
}

/* Everything a grant admits, in one line. */
static void
describe_grant(struct kp_buf *b, const struct kp_entry *e)
{
	kp_buf_puts(b, "from ");
	put_sources(b, e);
	kp_buf_puts(b, "; ");
	if (e->nhosts == 0)
		kp_buf_puts(b, "all hosts");
	else {
		kp_buf_puts(b, "hosts ");
		put_strv(b, e->hosts, e->nhosts, "");
	}
	if (e->not_before != KP_TIME_NONE_BEFORE) {
		kp_buf_puts(b, "; valid from ");
		kp_buf_put_time(b, e->not_before, "");
	}
	kp_buf_puts(b, "; expires ");
	kp_buf_put_time(b, e->expires, "never");
	if (e->noptions > 0) {
		kp_buf_puts(b, "; options ");
		put_strv(b, e->options, e->noptions, "");
	}
	if (e->command != NULL)
		kp_buf_printf(b, "; command \"%s\"", e->command);
}

/* 1 if v lists s; lists_ci ignores case (host names, sshd's options). */
static int
lists_by(char *const *v, size_t n, const char *s,
    int (*cmp)(const char *, const char *))
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cmp(v[i], s) == 0)
			return 1;
	return 0;
}

static int
lists(char *const *v, size_t n, const char *s)
{
	return lists_by(v, n, s, strcmp);
}

static int
lists_ci(char *const *v, size_t n, const char *s)
{
	return lists_by(v, n, s, strcasecmp);
}

/* "owner X: reason" or "fingerprint SHA256:...: reason". */
static void
put_revocation(struct kp_buf *b, const struct kp_revocation *rv)
{
	kp_buf_printf(b, "%s %s: ",
	    rv->kind == KP_REVOKE_OWNER     ? "owner"
	        : rv->kind == KP_REVOKE_KEY ? "key"
	                                    : "fingerprint",
	    rv->value);
	/* free text: what a terminal would hide is shown escaped */
	kp_text_safe(b, rv->reason);
}

/*
 * Why entry n of the new policy is allowed while its old version o was
 * refused by revocation rv: the revocation went, or (an owner revocation
 * that is still there) the owner is another one now.
 */
static void
put_revival(struct kp_buf *b, const struct kp_policy *new,
    const struct kp_revocation *rv, const struct kp_entry *o,
    const struct kp_entry *n)
{
	if (rv->kind == KP_REVOKE_OWNER &&
	    kp_policy_revocation(new, NULL, rv->value) != NULL)
		kp_buf_printf(
		    b, "owner renamed from %s to %s", o->owner, n->owner);
	else
		kp_buf_puts(b, "the revocation was removed");
}

/*
 * Access that comes or goes with a revocation: gained, was is the
 * revocation that refused the old entry old; lost, now is the one that
 * refuses it in the new policy.
 */
struct cause {
	const struct kp_revocation *was, *now;
	const struct kp_entry *old, *new; /* the two versions of the entry */
};

/* 1 if policy p (may be NULL) has a grant with this id. */
static int
has_grant(const struct kp_policy *p, const char *id)
{
	return p != NULL && p->teams != NULL &&
	    kp_strtab_get(&p->teams->grants_ix, id, NULL);
}

/*
 * Where a version 2 entry's access comes from: its grant and group path,
 * and, when the grant is in both policies, that the person joined (or
 * left) the group rather than the grant changing.
 */
static void
describe_membership(struct kp_buf *b, const struct ctx *c,
    enum kp_diff_kind kind, const struct kp_entry *e)
{
	const struct kp_policy *other =
	    kind == KP_DIFF_GAINED ? c->old : c->new;

	if (e->grant == NULL)
		return;
	kp_buf_printf(b, "; grant %s", e->grant);
	if (e->via == NULL)
		return;
	kp_buf_printf(b, " via group %s", e->via);
	if (has_grant(other, e->grant))
		kp_buf_puts(
		    b, kind == KP_DIFF_GAINED ? " (joined)" : " (left)");
}

/*
 * One item per account of e that other does not list (all when NULL),
 * saying why when a revocation caused it (why not NULL).
 */
static void
access_items(struct ctx *c, enum kp_diff_kind kind, const struct kp_entry *e,
    const struct kp_entry *other, const struct cause *why)
{
	struct kp_buf b;
	size_t i;

	for (i = 0; i < e->naccounts && c->err == 0; i++) {
		if (other != NULL &&
		    lists(other->accounts, other->naccounts, e->accounts[i]))
			continue;
		kp_buf_init(&b, DIFF_DETAIL_MAX);
		if (why != NULL && why->was != NULL) {
			kp_buf_puts(&b, "was revoked (");
			put_revocation(&b, why->was);
			kp_buf_puts(&b, "), now allowed (");
			put_revival(&b, c->new, why->was, why->old, e);
			kp_buf_puts(&b, "): ");
			describe_grant(&b, e);
		} else if (why != NULL && why->now != NULL) {
			kp_buf_puts(&b, "now revoked (");
			put_revocation(&b, why->now);
			if (why->now->kind == KP_REVOKE_OWNER &&
			    strcmp(e->owner, why->new->owner) != 0)
				kp_buf_printf(&b,
				    "; owner renamed from %s to %s", e->owner,
				    why->new->owner);
			kp_buf_puts(&b, "); it allowed ");
			describe_grant(&b, e);
		} else
			describe_grant(&b, e);
		describe_membership(&b, c, kind, e);
		add_item(c, kind, "access", e, e->accounts[i], &b);
	}
}

/* The accounts both entries list, "a, b", for the restriction items. */
static int
common_accounts(const struct kp_entry *o, const struct kp_entry *n, char **out)
{
	struct kp_buf b;
	size_t i;
	int first = 1;

	kp_buf_init(&b, DIFF_DETAIL_MAX);
	kp_buf_puts(&b, "");
	for (i = 0; i < n->naccounts; i++) {
		if (!lists(o->accounts, o->naccounts, n->accounts[i]))
			continue;
		kp_buf_printf(&b, "%s%s", first ? "" : ", ", n->accounts[i]);
		first = 0;
	}
	return kp_buf_take(&b, out, NULL);
}

/* WIDENED, NARROWED, CHANGED from "new admits all old did" and back. */
static enum kp_diff_kind
direction(int new_covers_old, int old_covers_new)
{
	if (new_covers_old && !old_covers_new)
		return KP_DIFF_WIDENED;
	if (old_covers_new && !new_covers_old)
		return KP_DIFF_NARROWED;
	return KP_DIFF_CHANGED;
}

/*
 * 1 if every server pattern a names is also named by b: the same pattern,
 * or a plain host name that one of b's globs matches. Globs are not
 * compared beyond that: "web-0?" against "web-*" counts as different.
 */
static int
hosts_subset(char *const *a, size_t na, char *const *b, size_t nb)
{
	size_t i, j;
	int ok;

	for (i = 0; i < na; i++) {
		ok = lists_ci(b, nb, a[i]);
		for (j = 0; !ok && j < nb && strpbrk(a[i], "*?[") == NULL; j++)
			ok = kp_host_match(b[j], a[i]);
		if (!ok)
			return 0;
	}
	return 1;
}

/*
 * Options by what sshd makes of them, in order (kp_optset_read): the same
 * words in another order can lift a restriction. *a: new admits all that
 * old did; *z: the reverse. A list that is not even allow-listed (a
 * hand-built model) admits nothing and is admitted by nothing.
 */
static void
options_cover(
    const struct kp_entry *o, const struct kp_entry *n, int *a, int *z)
{
	struct kp_optset so, sn;

	*a = *z = 0;
	if (kp_optset_read((const char *const *)o->options, o->noptions, 0, &so,
	        NULL) != 0 ||
	    kp_optset_read((const char *const *)n->options, n->noptions, 0, &sn,
	        NULL) != 0)
		return;
	*a = kp_optset_admits(&sn, &so);
	*z = kp_optset_admits(&so, &sn);
}

static void
restriction_items(
    struct ctx *c, const struct kp_entry *o, const struct kp_entry *n)
{
	struct kp_buf b;
	char *acc = NULL;
	int a, z;

	if ((c->err = common_accounts(o, n, &acc)) != 0)
		return;
	if (acc[0] == '\0')
		goto out; /* nothing in common: gained/lost say it all */

	if (strcmp(o->owner, n->owner) != 0) {
		kp_buf_init(&b, DIFF_DETAIL_MAX);
		kp_buf_printf(&b, "owner: %s -> %s", o->owner, n->owner);
		add_item(c, KP_DIFF_CHANGED, "owner", n, acc, &b);
	}
	a = kp_cidrs_cover(n->sources, n->nsources, o->sources, o->nsources);
	z = kp_cidrs_cover(o->sources, o->nsources, n->sources, n->nsources);
	if (!(a && z)) {
		kp_buf_init(&b, DIFF_DETAIL_MAX);
		kp_buf_puts(&b, "from: ");
		put_sources(&b, o);
		kp_buf_puts(&b, " -> ");
		put_sources(&b, n);
		add_item(c, direction(a, z), "from", n, acc, &b);
	}
	a = n->nhosts == 0 ||
	    (o->nhosts > 0 &&
	        hosts_subset(o->hosts, o->nhosts, n->hosts, n->nhosts));
	z = o->nhosts == 0 ||
	    (n->nhosts > 0 &&
	        hosts_subset(n->hosts, n->nhosts, o->hosts, o->nhosts));
	if (!(a && z)) {
		kp_buf_init(&b, DIFF_DETAIL_MAX);
		kp_buf_puts(&b, "hosts: ");
		put_strv(&b, o->hosts, o->nhosts, "all hosts");
		kp_buf_puts(&b, " -> ");
		put_strv(&b, n->hosts, n->nhosts, "all hosts");
		add_item(c, direction(a, z), "hosts", n, acc, &b);
	}
	if (o->not_before != n->not_before) {
		kp_buf_init(&b, DIFF_DETAIL_MAX);
		kp_buf_puts(&b, "valid from: ");
		kp_buf_put_time(&b, o->not_before, "always");
		kp_buf_puts(&b, " -> ");
		kp_buf_put_time(&b, n->not_before, "always");
		add_item(c,
		    n->not_before < o->not_before ? KP_DIFF_WIDENED
		                                  : KP_DIFF_NARROWED,
		    "not_before", n, acc, &b);
	}
	if (o->expires != n->expires) {
		kp_buf_init(&b, DIFF_DETAIL_MAX);
		kp_buf_puts(&b, "expires: ");
		kp_buf_put_time(&b, o->expires, "never");
		kp_buf_puts(&b, " -> ");
		kp_buf_put_time(&b, n->expires, "never");
		add_item(c,
		    n->expires > o->expires ? KP_DIFF_WIDENED
		                            : KP_DIFF_NARROWED,
		    "expires", n, acc, &b);
	}
	options_cover(o, n, &a, &z);
	if (!(a && z)) {
		kp_buf_init(&b, DIFF_DETAIL_MAX);
		kp_buf_puts(&b, "options: ");
		put_strv(&b, o->options, o->noptions, "none");
		kp_buf_puts(&b, " -> ");
		put_strv(&b, n->options, n->noptions, "none");
		add_item(c, direction(a, z), "options", n, acc, &b);
	}
	if ((o->command == NULL) != (n->command == NULL) ||
	    (o->command != NULL && strcmp(o->command, n->command) != 0)) {
		kp_buf_init(&b, DIFF_DETAIL_MAX);
		kp_buf_puts(&b, "command: ");
		if (o->command != NULL)
			kp_buf_printf(&b, "\"%s\"", o->command);
		else
			kp_buf_puts(&b, "none (any command)");
		kp_buf_puts(&b, " -> ");
		if (n->command != NULL)
			kp_buf_printf(&b, "\"%s\"", n->command);
		else
			kp_buf_puts(&b, "none (any command)");
		add_item(c,
		    o->command == NULL       ? KP_DIFF_NARROWED
		        : n->command == NULL ? KP_DIFF_WIDENED
		                             : KP_DIFF_CHANGED,
		    "command", n, acc, &b);
	}
out:
	free(acc);
}

/* --------------------------------------------------------- revocations */

/* Revocations are the same when they refuse the same thing. */
static int
rev_same(const struct kp_revocation *a, const struct kp_revocation *b)
{
	int afp = a->kind != KP_REVOKE_OWNER, bfp = b->kind != KP_REVOKE_OWNER;

	/* One certificate of a CA is not the CA, nor another certificate. */
	if ((a->kind == KP_REVOKE_SERIAL || a->kind == KP_REVOKE_KEY_ID ||
	        b->kind == KP_REVOKE_SERIAL || b->kind == KP_REVOKE_KEY_ID) &&
	    (a->kind != b->kind || a->serial != b->serial ||
	        (a->key_id != NULL) != (b->key_id != NULL) ||
	        (a->key_id != NULL && strcmp(a->key_id, b->key_id) != 0)))
		return 0;
	return afp == bfp && strcmp(a->value, b->value) == 0;
}

static void
revocation_items(struct ctx *c, enum kp_diff_kind kind,
    const struct kp_policy *p, const struct kp_policy *other,
    const struct kp_policy *affected)
{
	const struct kp_revocation *rv;
	const struct kp_entry *e;
	struct kp_buf b;
	size_t i, j, n;
	int hit;

	if (p == NULL)
		return;
	for (i = 0; i < p->nrevoked && c->err == 0; i++) {
		rv = &p->revoked[i];
		hit = 0;
		for (j = 0; other != NULL && j < other->nrevoked && !hit; j++)
			hit = rev_same(rv, &other->revoked[j]);
		if (hit)
			continue;
		kp_buf_init(&b, DIFF_DETAIL_MAX);
		if (rv->kind == KP_REVOKE_SERIAL)
			kp_buf_printf(&b, "serial %llu of CA %s (",
			    (unsigned long long)rv->serial, rv->value);
		else if (rv->kind == KP_REVOKE_KEY_ID) {
			kp_buf_puts(&b, "key id ");
			kp_text_safe(&b, rv->key_id);
			kp_buf_printf(&b, " of CA %s (", rv->value);
		} else
			kp_buf_printf(&b, "%s %s (",
			    rv->kind == KP_REVOKE_OWNER     ? "owner"
			        : rv->kind == KP_REVOKE_KEY ? "key"
			        : rv->kind == KP_REVOKE_CA  ? "ca"
			                                    : "fingerprint",
			    rv->value);
		kp_text_safe(&b, rv->reason);
		kp_buf_putc(&b, ')');
		/* Name the entries whose access this takes away or gives back. */
		for (j = 0, n = 0;
		     affected != NULL && rv->kind != KP_REVOKE_SERIAL &&
		     rv->kind != KP_REVOKE_KEY_ID && j < affected->nentries;
		     j++) {
			e = &affected->entries[j];
			if (rv->kind == KP_REVOKE_OWNER
			        ? strcmp(e->owner, rv->value) != 0
			        : strcmp(e->key->fp, rv->value) != 0)
				continue;
			kp_buf_printf(&b, "%s%s",
			    n++ == 0 ? (kind == KP_DIFF_REVOCATION_ADDED
			                       ? "; refuses "
			                       : "; gives back access to ")
			             : ", ",
			    e->id);
		}
		add_item(c, kind, rv->kind == KP_REVOKE_OWNER ? "owner" : "key",
		    NULL, NULL, &b);
		if (c->err == 0 && rv->kind != KP_REVOKE_OWNER) {
			struct kp_diff_item *it =
			    &c->d->items[c->d->nitems - 1];

			it->fp = dup_or_null(c, rv->value);
		}
	}
}

/* ---------------------------------------------------------------- diff */

/*
 * Entries are matched by id; a version 2 entry by its key's id and its
 * grant's (one key is in as many entries as grants reach it), written
 * "id\x1fgrant", which no id can contain.
 */
#define MATCH_MAX (2 * KP_ID_MAX + 2)

static const char *
match_name(const struct kp_entry *e, char *buf)
{
	if (e->grant == NULL)
		return e->id;
	snprintf(buf, MATCH_MAX, "%s\x1f%s", e->id, e->grant);
	return buf;
}

/* The index of the entry of p that matches e, or SIZE_MAX. */
static size_t
find_entry(const struct kp_policy *p, const struct kp_strtab *ids,
    const struct kp_entry *e)
{
	char buf[MATCH_MAX];
	size_t i;

	if (p == NULL)
		return SIZE_MAX;
	if (kp_strtab_get(ids, match_name(e, buf), &i))
		return i;
	/*
	 * A policy and its conversion to version 2 (or back): a keys:
	 * entry and a grant's entry of the same key id are the same access.
	 */
	if (kp_strtab_get(ids, e->id, &i) &&
	    (p->entries[i].grant == NULL) != (e->grant == NULL))
		return i;
	return SIZE_MAX;
}

/*
 * The effective access of p, computed once: for each entry the revocation
 * that refuses its key (fingerprint, key or owner), NULL when it grants.
 * Access gained and lost come from comparing this, not the entries as
 * written: a revoked key's entry grants nothing, whatever it says, and a
 * key that comes back to life gains access whatever brought it back.
 */
static int
effective_access(const struct kp_policy *p, const struct kp_revocation ***out)
{
	const struct kp_revocation **v;
	const struct kp_entry *e;
	size_t i;

	*out = NULL;
	/* one more than needed: never NULL, even for no policy at all */
	if ((v = calloc((p != NULL ? p->nentries : 0) + 1, sizeof(*v))) == NULL)
		return KP_ERR_NOMEM;
	for (i = 0; p != NULL && i < p->nentries; i++) {
		e = &p->entries[i];
		v[i] = kp_policy_revocation(p, e->key->fp, e->owner);
	}
	*out = v; /* the caller's */
	return 0;
}

/*
 * Entry i of p (found by e's id) when it holds e's key: the other version
 * of e. NULL when there is none, or another key has the id now.
 */
static const struct kp_entry *
same_key(const struct kp_policy *p, size_t i, const struct kp_entry *e)
{
	if (p == NULL || i == SIZE_MAX ||
	    strcmp(p->entries[i].key->fp, e->key->fp) != 0)
		return NULL; /* none, or another key under the same id */
	return &p->entries[i];
}

/*
 * New entry ni: its access gained (all of it when the old one was absent
 * or refused), lost (all of the old one's when it is refused now), and
 * restrictions changed when both grant.
 */
static void
entry_in_new(struct ctx *c, size_t ni, size_t oi,
    const struct kp_revocation *const *oacc,
    const struct kp_revocation *const *nacc)
{
	const struct kp_entry *n = &c->new->entries[ni], *o;
	struct cause why;

	o = same_key(c->old, oi, n);
	memset(&why, 0, sizeof(why));
	if (nacc[ni] != NULL) {
		/* refused now: the old grant, if it granted, is lost */
		if (o != NULL && oacc[oi] == NULL) {
			why.now = nacc[ni];
			why.new = n;
			access_items(c, KP_DIFF_LOST, o, NULL, &why);
		}
		return;
	}
	if (o != NULL && oacc[oi] != NULL) {
		why.was = oacc[oi];
		why.old = o;
		why.new = n;
		access_items(c, KP_DIFF_GAINED, n, NULL, &why);
		return;
	}
	access_items(c, KP_DIFF_GAINED, n, o, NULL);
	if (o != NULL)
		restriction_items(c, o, n);
}

/* Old entry oi: what it granted that no new entry of its id grants. */
static void
entry_in_old(struct ctx *c, size_t oi, size_t ni,
    const struct kp_revocation *const *oacc,
    const struct kp_revocation *const *nacc)
{
	const struct kp_entry *o = &c->old->entries[oi], *n;

	if (oacc[oi] != NULL)
		return; /* it granted nothing */
	n = same_key(c->new, ni, o);
	if (n != NULL && nacc[ni] != NULL)
		return; /* refused now: entry_in_new said so */
	access_items(c, KP_DIFF_LOST, o, n, NULL);
}

/* names: storage for the version 2 names the table borrows. */
static int
index_ids(const struct kp_policy *p, struct kp_strtab *t, char **names)
{
	size_t i, n = 0;
	char *s;
	int r;

	*names = NULL;
	for (i = 0; p != NULL && i < p->nentries; i++)
		n += p->entries[i].grant != NULL;
	if (n > 0 && (*names = calloc(n, MATCH_MAX)) == NULL)
		return KP_ERR_NOMEM;
	for (i = 0, s = *names; p != NULL && i < p->nentries; i++) {
		if (p->entries[i].grant != NULL) {
			match_name(&p->entries[i], s);
			r = kp_strtab_put(t, s, i, NULL);
			s += MATCH_MAX;
			/* By its id alone too, for find_entry's fallback. */
			if (r >= 0)
				r = kp_strtab_put(t, p->entries[i].id, i, NULL);
		} else {
			r = kp_strtab_put(t, p->entries[i].id, i, NULL);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int
item_cmp(const void *a, const void *b)
{
	const struct kp_diff_item *x = a, *y = b;
	int c;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if ((c = strcmp(x->accounts ? x->accounts : "",
	         y->accounts ? y->accounts : "")) != 0 &&
	    (x->kind == KP_DIFF_GAINED || x->kind == KP_DIFF_LOST))
		return c;
	if ((c = strcmp(
	         x->key_id ? x->key_id : "", y->key_id ? y->key_id : "")) != 0)
		return c;
	if ((c = strcmp(x->field, y->field)) != 0)
		return c;
	return strcmp(x->detail, y->detail);
}

/* ------------------------------------------------------- authorities */

static const struct kp_authority *
find_authority(const struct kp_policy *p, const char *id, const char *fp)
{
	size_t i;

	for (i = 0; p != NULL && i < p->nauthorities; i++) {
		if (strcmp(p->authorities[i].e.id, id) == 0)
			return strcmp(p->authorities[i].e.key->fp, fp) == 0
			    ? &p->authorities[i]
			    : NULL; /* another CA under the same id */
	}
	return NULL;
}

/* The principals a needs for account (its name when none are listed). */
static void
principals_of(const struct kp_authority *a, char *const *account,
    char *const **names, size_t *n)
{
	kp_authority_principals(a, *account, names, n);
	if (*n == 0) {
		*names = account;
		*n = 1;
	}
}

/*
 * One item per (account, principal) of authority a that other (the same
 * id and CA in the other policy, or NULL) does not grant: a certificate
 * with that principal gains or loses access to the account.
 */
static void
ca_access_items(struct ctx *c, enum kp_diff_kind kind,
    const struct kp_authority *a, const struct kp_authority *other)
{
	char *const *names, *const *onames = NULL, *const * acct;
	size_t i, j, n, on = 0;
	struct kp_buf b;

	for (i = 0; i < a->e.naccounts && c->err == 0; i++) {
		acct = &a->e.accounts[i];
		principals_of(a, acct, &names, &n);
		on = 0;
		if (other != NULL &&
		    lists(other->e.accounts, other->e.naccounts, *acct))
			principals_of(other, acct, &onames, &on);
		for (j = 0; j < n && c->err == 0; j++) {
			if (on > 0 && lists(onames, on, names[j]))
				continue;
			kp_buf_init(&b, DIFF_DETAIL_MAX);
			kp_buf_printf(&b,
			    "certificates of CA %s with principal %s "
			    "(authority "
			    "%s)",
			    a->e.key->fp, names[j], a->e.id);
			add_item(
			    c, kind, "certificate access", &a->e, *acct, &b);
		}
	}
}

static void
authority_items(struct ctx *c)
{
	const struct kp_authority *o, *n;
	size_t i;

	for (i = 0; i < c->new->nauthorities && c->err == 0; i++) {
		n = &c->new->authorities[i];
		o = find_authority(c->old, n->e.id, n->e.key->fp);
		ca_access_items(c, KP_DIFF_GAINED, n, o);
		if (o != NULL)
			restriction_items(c, &o->e, &n->e);
	}
	for (i = 0; c->old != NULL && i < c->old->nauthorities && c->err == 0;
	     i++) {
		o = &c->old->authorities[i];
		n = find_authority(c->new, o->e.id, o->e.key->fp);
		ca_access_items(c, KP_DIFF_LOST, o, n);
	}
}

int
kp_diff_policies(const struct kp_policy *old, const struct kp_policy *new,
    struct kp_diff **out)
{
	struct ctx c;
	struct kp_strtab oids, nids;
	char *onames = NULL, *nnames = NULL;
	const struct kp_revocation **oacc = NULL, **nacc = NULL;
	struct kp_buf b;
	size_t i;
	int r;

	if (out != NULL)
		*out = NULL;
	if (new == NULL || out == NULL)
		return KP_ERR_ARG;
	memset(&c, 0, sizeof(c));
	kp_strtab_init(&oids);
	kp_strtab_init(&nids);
	if ((c.d = calloc(1, sizeof(*c.d))) == NULL)
		return KP_ERR_NOMEM;
	c.old = old;
	c.new = new;
	c.d->old_serial = old != NULL ? old->serial : 0;
	c.d->new_serial = new->serial;
	c.d->old_expires = old != NULL ? old->expires : KP_TIME_NONE_AFTER;
	c.d->new_expires = new->expires;
	if ((r = index_ids(old, &oids, &onames)) != 0 ||
	    (r = index_ids(new, &nids, &nnames)) != 0)
		goto out;

	if (old != NULL && old->expires != new->expires) {
		kp_buf_init(&b, DIFF_DETAIL_MAX);
		kp_buf_puts(&b, "policy expires: ");
		kp_buf_put_time(&b, old->expires, "never");
		kp_buf_puts(&b, " -> ");
		kp_buf_put_time(&b, new->expires, "never");
		add_item(&c,
		    new->expires > old->expires ? KP_DIFF_WIDENED
		                                : KP_DIFF_NARROWED,
		    "policy expires", NULL, NULL, &b);
	}
	if ((r = effective_access(old, &oacc)) != 0 ||
	    (r = effective_access(new, &nacc)) != 0)
		goto out;
	for (i = 0; i < new->nentries &&c.err == 0; i++)
		entry_in_new(&c, i, find_entry(old, &oids, &new->entries[i]),
		    oacc, nacc);
	for (i = 0; old != NULL && i < old->nentries && c.err == 0; i++)
		entry_in_old(&c, i, find_entry(new, &nids, &old->entries[i]),
		    oacc, nacc);
	authority_items(&c);
	revocation_items(&c, KP_DIFF_REVOCATION_ADDED, new, old, new);
	revocation_items(&c, KP_DIFF_REVOCATION_REMOVED, old, new, new);
	if ((r = c.err) != 0)
		goto out;
	if (c.d->nitems > 0)
		qsort(c.d->items, c.d->nitems, sizeof(*c.d->items), item_cmp);
	*out = c.d; /* the caller's */
	c.d = NULL;
	r = 0;
out:
	free(oacc);
	free(nacc);
	kp_strtab_free(&oids);
	kp_strtab_free(&nids);
	free(onames);
	free(nnames);
	kp_diff_free(c.d);
	return r;
}

int
kp_diff_access_changed(const struct kp_diff *d)
{
	return d != NULL && d->nitems > 0;
}

void
kp_diff_free(struct kp_diff *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nitems; i++) {
		free(d->items[i].field);
		free(d->items[i].key_id);
		free(d->items[i].owner);
		free(d->items[i].fp);
		free(d->items[i].accounts);
		free(d->items[i].detail);
	}
	free(d->items);
	free(d);
}

/* -------------------------------------------------------------- output */

/* Each kind of change: section title, word in the summary, JSON name. */
static const struct {
	const char *title, *word, *json;
} kinds[KP_DIFF_KIND_COUNT] = {
    [KP_DIFF_GAINED] = {"access gained", "gained", "gained"},
    [KP_DIFF_LOST] = {"access lost", "lost", "lost"},
    [KP_DIFF_WIDENED] = {"restrictions widened", "widened", "widened"},
    [KP_DIFF_NARROWED] = {"restrictions narrowed", "narrowed", "narrowed"},
    [KP_DIFF_CHANGED] = {"other changes", "other", "changed"},
    [KP_DIFF_REVOCATION_ADDED] = {"revocations added", "revocations added",
        "revocation_added"},
    [KP_DIFF_REVOCATION_REMOVED] = {"revocations removed",
        "revocations removed", "revocation_removed"},
};

static void
text_item(struct kp_buf *b, const struct kp_diff_item *it)
{
	switch (it->kind) {
	case KP_DIFF_GAINED:
	case KP_DIFF_LOST:
		kp_buf_printf(b, "  %c %s: %s (%s, %s): %s\n",
		    it->kind == KP_DIFF_GAINED ? '+' : '-', it->accounts,
		    it->key_id, it->owner, it->fp, it->detail);
		break;
	case KP_DIFF_REVOCATION_ADDED:
	case KP_DIFF_REVOCATION_REMOVED:
		kp_buf_printf(b, "  %c %s\n",
		    it->kind == KP_DIFF_REVOCATION_ADDED ? '+' : '-',
		    it->detail);
		break;
	default:
		if (it->key_id == NULL)
			kp_buf_printf(b, "  * %s\n", it->detail);
		else
			kp_buf_printf(b, "  * %s (%s) [%s]: %s\n", it->key_id,
			    it->owner, it->accounts, it->detail);
		break;
	}
}

static int
format_text(const struct kp_diff *d, struct kp_buf *b)
{
	size_t i, k;
	const char *sep = "";

	if (d->old_serial == 0)
		kp_buf_printf(b, "serial: none -> %llu\n",
		    (unsigned long long)d->new_serial);
	else
		kp_buf_printf(b, "serial: %llu -> %llu%s\n",
		    (unsigned long long)d->old_serial,
		    (unsigned long long)d->new_serial,
		    d->new_serial < d->old_serial
		        ? " (lower: install refuses a rollback)"
		        : d->new_serial == d->old_serial
		        ? " (unchanged: install refuses a changed file "
		          "with the same serial)"
		        : "");
	for (k = 0; k < KP_DIFF_KIND_COUNT; k++) {
		if (d->count[k] == 0)
			continue;
		kp_buf_printf(b, "\n%s (%zu):\n", kinds[k].title, d->count[k]);
		for (i = 0; i < d->nitems; i++)
			if (d->items[i].kind == k)
				text_item(b, &d->items[i]);
	}
	if (!kp_diff_access_changed(d)) {
		kp_buf_puts(b, "\naccess unchanged\n");
		return b->err;
	}
	kp_buf_puts(b, "\naccess changed:");
	for (k = 0; k < KP_DIFF_KIND_COUNT; k++) {
		if (d->count[k] == 0)
			continue;
		kp_buf_printf(b, "%s %zu %s", sep, d->count[k], kinds[k].word);
		sep = ",";
	}
	kp_buf_putc(b, '\n');
	return b->err;
}

static int
format_json(const struct kp_diff *d, struct kp_buf *b)
{
	const struct kp_diff_item *it;
	size_t i, k;

	kp_buf_puts(b, "{\n  \"diff_version\": 1,\n  \"old_serial\": ");
	if (d->old_serial == 0)
		kp_buf_puts(b, "null");
	else
		kp_buf_printf(b, "%llu", (unsigned long long)d->old_serial);
	kp_buf_printf(b, ",\n  \"new_serial\": %llu,\n",
	    (unsigned long long)d->new_serial);
	kp_buf_printf(b, "  \"access_changed\": %s,\n  \"counts\": {",
	    kp_diff_access_changed(d) ? "true" : "false");
	for (k = 0; k < KP_DIFF_KIND_COUNT; k++)
		kp_buf_printf(b, "%s\"%s\": %zu", k > 0 ? ", " : "",
		    kinds[k].json, d->count[k]);
	kp_buf_puts(b, "},\n  \"changes\": [");
	for (i = 0; i < d->nitems; i++) {
		it = &d->items[i];
		kp_buf_puts(
		    b, i > 0 ? ",\n    {\"kind\": " : "\n    {\"kind\": ");
		kp_json_str(b, kinds[it->kind].json);
		kp_buf_puts(b, ", \"field\": ");
		kp_json_str(b, it->field);
		kp_buf_puts(b, ", \"key_id\": ");
		kp_json_str(b, it->key_id);
		kp_buf_puts(b, ", \"owner\": ");
		kp_json_str(b, it->owner);
		kp_buf_puts(b, ", \"fingerprint\": ");
		kp_json_str(b, it->fp);
		kp_buf_puts(b, ", \"accounts\": ");
		kp_json_str(b, it->accounts);
		kp_buf_puts(b, ", \"detail\": ");
		kp_json_str(b, it->detail);
		kp_buf_putc(b, '}');
	}
	kp_buf_puts(b, d->nitems > 0 ? "\n  ]\n}\n" : "]\n}\n");
	return b->err;
}

int
kp_diff_format(const struct kp_diff *d, enum kp_format fmt, char **out)
{
	struct kp_buf b;
	int r;

	if (out != NULL)
		*out = NULL;
	if (d == NULL || out == NULL)
		return KP_ERR_ARG;
	kp_buf_init(&b, KP_ADMIN_OUT_MAX);
	if (fmt == KP_FORMAT_TEXT)
		r = format_text(d, &b);
	else if (fmt == KP_FORMAT_JSON)
		r = format_json(d, &b);
	else
		r = KP_ERR_ARG;
	if (r != 0) {
		kp_buf_free(&b);
		return r;
	}
	return kp_buf_take(&b, out, NULL); /* the caller's */
}
