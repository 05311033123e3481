/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * keyauthctl convert: a version 1 policy rewritten as version 2
 * (docs/keyauthctl-convert.md). One person per owner, their keys in the
 * order first met; one grant per distinct set of restrictions (accounts,
 * hosts, from, not_before, expires, options, command, each as written
 * and in its order), in the order first met. A grant names a person
 * when it covers all of that person's keys, else each key (key:ID). The
 * loader turns that back into one entry per (grant, key) with the same
 * id, owner, key and restrictions, so the compiled index is the
 * original's (tests/unit/admin/test_convert.c compares the files).
 *
 * One thing version 2 cannot say: a key under several ids. A key in
 * several keys: entries keeps its first id in all of them; *nmerged
 * counts the entries whose id changes that way (their access does not).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyauth.h"
#include "kp-internal.h"
#include "kp-policy.h"
#include "keyauth-admin.h"

struct cset {
	const struct kp_entry *first; /* its restrictions */
	size_t *entries; /* indexes in p->entries */
	size_t n, cap;
	int same_comment;
};

struct conv {
	const struct kp_policy *p;
	struct kp_strtab owners; /* owner -> index in owner_v */
	const char **owner_v;
	size_t nowners;
	size_t *owner_nkeys; /* distinct keys of each owner */
	struct kp_strtab fps; /* fp -> first entry */
	struct kp_strtab sigs; /* signature -> index in sets */
	char **sig_v;
	struct cset *sets;
	size_t nsets;
	size_t *oidx; /* per entry: its owner */
	size_t *first; /* per entry: the first entry of its key */
	size_t *count, *ostamp, *kstamp; /* put_to's scratch */
};

/* YAML double-quoted; policy values are clean text already. */
static void
yq(struct kp_buf *b, const char *s)
{
	kp_buf_putc(b, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			kp_buf_printf(b, "\\%c", *s);
		else
			kp_buf_putc(b, *s);
	}
	kp_buf_putc(b, '"');
}

static void
yq_list(struct kp_buf *b, const char *indent, const char *name, char *const *v,
    size_t n)
{
	size_t i;

	if (n == 0)
		return;
	kp_buf_printf(b, "%s%s: [", indent, name);
	for (i = 0; i < n; i++) {
		if (i > 0)
			kp_buf_puts(b, ", ");
		yq(b, v[i]);
	}
	kp_buf_puts(b, "]\n");
}

static void
y_time(struct kp_buf *b, const char *indent, const char *name, int64_t t)
{
	char ts[64];

	if (t == KP_TIME_NONE_BEFORE || t == KP_TIME_NONE_AFTER)
		return;
	kp_time_format(t, ts, sizeof(ts));
	kp_buf_printf(b, "%s%s: %s\n", indent, name, ts);
}

static void
sig_list(struct kp_buf *b, char *const *v, size_t n)
{
	size_t i;

	kp_buf_printf(b, "%zu", n);
	for (i = 0; i < n; i++)
		kp_buf_printf(b, "\x1f%s", v[i]);
	kp_buf_putc(b, '\x1e');
}

/* The restrictions of e as one string: equal strings, equal grants. */
static int
signature(const struct kp_entry *e, char **out)
{
	struct kp_buf b;

	kp_buf_init(&b, KP_ADMIN_OUT_MAX);
	sig_list(&b, e->accounts, e->naccounts);
	sig_list(&b, e->hosts, e->nhosts);
	sig_list(&b, e->from, e->nfrom);
	sig_list(&b, e->options, e->noptions);
	kp_buf_printf(&b, "%lld\x1e%lld\x1e%d%s", (long long)e->not_before,
	    (long long)e->expires, e->command != NULL,
	    e->command != NULL ? e->command : "");
	return kp_buf_take(&b, out, NULL);
}

static int
collect(struct conv *c)
{
	const struct kp_policy *p = c->p;
	const struct kp_entry *e;
	struct cset *s, *tmp;
	size_t i, idx, n = p->nentries;
	char *sig = NULL;
	int r;

	if (n > 0 &&
	    ((c->owner_v = calloc(n, sizeof(*c->owner_v))) == NULL ||
	        (c->owner_nkeys = calloc(n, sizeof(size_t))) == NULL ||
	        (c->sig_v = calloc(n, sizeof(*c->sig_v))) == NULL ||
	        (c->oidx = calloc(n, sizeof(size_t))) == NULL ||
	        (c->first = calloc(n, sizeof(size_t))) == NULL ||
	        (c->count = calloc(n, sizeof(size_t))) == NULL ||
	        (c->ostamp = calloc(n, sizeof(size_t))) == NULL ||
	        (c->kstamp = calloc(n, sizeof(size_t))) == NULL))
		return KP_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		e = &p->entries[i];
		if ((r = kp_strtab_put(
		         &c->owners, e->owner, c->nowners, &idx)) < 0)
			return r;
		if (r == 0)
			c->owner_v[idx = c->nowners++] = e->owner;
		c->oidx[i] = idx;
		if ((r = kp_strtab_put(&c->fps, e->key->fp, i, &c->first[i])) <
		    0)
			return r;
		if (r == 0) {
			c->first[i] = i;
			c->owner_nkeys[idx]++;
		}
		if ((r = signature(e, &sig)) != 0)
			return r;
		if ((r = kp_strtab_put(&c->sigs, sig, c->nsets, &idx)) < 0) {
			free(sig);
			return r;
		}
		if (r == 1) {
			free(sig);
		} else {
			c->sig_v[c->nsets] = sig; /* the table borrows it */
			tmp = reallocarray(c->sets, c->nsets + 1, sizeof(*tmp));
			if (tmp == NULL)
				return KP_ERR_NOMEM;
			c->sets = tmp;
			memset(&c->sets[c->nsets], 0, sizeof(*c->sets));
			c->sets[c->nsets].first = e;
			c->sets[c->nsets].same_comment = 1;
			idx = c->nsets++;
		}
		sig = NULL;
		s = &c->sets[idx];
		if (s->n == s->cap) {
			size_t ncap = s->cap == 0 ? 8 : s->cap * 2, *v;

			if ((v = reallocarray(s->entries, ncap, sizeof(*v))) ==
			    NULL)
				return KP_ERR_NOMEM;
			s->entries = v;
			s->cap = ncap;
		}
		s->entries[s->n++] = i;
		if ((s->first->comment == NULL) != (e->comment == NULL) ||
		    (e->comment != NULL &&
		        strcmp(s->first->comment, e->comment) != 0))
			s->same_comment = 0;
	}
	return 0;
}

static void
put_networks(struct kp_buf *b, const struct kp_policy *p)
{
	char addr[64];
	size_t i, j;

	if (p->nnetworks == 0)
		return;
	kp_buf_puts(b, "\nnetworks:\n");
	for (i = 0; i < p->nnetworks; i++) {
		kp_buf_printf(b, "  %s: [", p->networks[i].name);
		for (j = 0; j < p->networks[i].naddrs; j++) {
			kp_cidr_format(
			    &p->networks[i].addrs[j], addr, sizeof(addr));
			kp_buf_printf(b, "%s\"%s\"", j > 0 ? ", " : "", addr);
		}
		kp_buf_puts(b, "]\n");
	}
}

static void
put_key_line(struct kp_buf *b, const struct kp_pubkey *k)
{
	struct kp_buf line;

	kp_buf_init(&line, KP_ADMIN_OUT_MAX);
	kp_buf_printf(&line, "%s %s%s%s", k->type, k->b64,
	    k->comment != NULL ? " " : "",
	    k->comment != NULL ? k->comment : "");
	if (line.err == 0)
		yq(b, line.s);
	kp_buf_free(&line);
}

/* people: every owner, their distinct keys with the first id met. */
static void
put_people(struct kp_buf *b, struct conv *c, size_t *nmerged)
{
	const struct kp_policy *p = c->p;
	const struct kp_entry *e;
	size_t o, i, k, *start = NULL, *order = NULL, *fill = NULL;

	if (p->nentries == 0)
		return;
	/* The first entries of each key, grouped by owner (counting sort). */
	if ((start = calloc(c->nowners + 1, sizeof(*start))) == NULL ||
	    (fill = calloc(c->nowners, sizeof(*fill))) == NULL ||
	    (order = calloc(p->nentries, sizeof(*order))) == NULL) {
		b->err = KP_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < p->nentries; i++)
		if (c->first[i] == i)
			start[c->oidx[i] + 1]++;
	for (o = 0; o < c->nowners; o++)
		start[o + 1] += start[o];
	for (i = 0; i < p->nentries; i++)
		if (c->first[i] == i)
			order[start[c->oidx[i]] + fill[c->oidx[i]]++] = i;
	kp_buf_puts(b, "\npeople:\n");
	for (o = 0; o < c->nowners; o++) {
		kp_buf_puts(b, "  ");
		yq(b, c->owner_v[o]);
		kp_buf_puts(b, ":\n    keys:\n");
		for (k = start[o]; k < start[o + 1]; k++) {
			e = &p->entries[order[k]];
			kp_buf_puts(b, "      - id: ");
			yq(b, e->id);
			kp_buf_puts(b, "\n        key: ");
			put_key_line(b, e->key);
			kp_buf_putc(b, '\n');
		}
	}
	for (i = 0; i < p->nentries; i++)
		if (strcmp(p->entries[c->first[i]].id, p->entries[i].id) != 0)
			(*nmerged)++;
out:
	free(start);
	free(fill);
	free(order);
}

/*
 * to: a person whose every key is in the set, else key:ID for each of
 * theirs that is. c->count, c->ostamp and c->kstamp are scratch, stamped
 * with the set's number.
 */
static void
put_to(struct kp_buf *b, struct conv *c, const struct cset *s, size_t sn)
{
	const struct kp_policy *p = c->p;
	const struct kp_entry *e;
	size_t i, o, f, stamp = sn + 1;
	int comma = 0;
	char name[KP_ID_MAX + 8];

	for (i = 0; i < s->n; i++) {
		o = c->oidx[s->entries[i]];
		f = c->first[s->entries[i]];
		if (c->ostamp[o] != stamp) {
			c->ostamp[o] = stamp;
			c->count[o] = 0;
		}
		if (c->kstamp[f] != stamp) {
			c->kstamp[f] = stamp;
			c->count[o]++;
		}
	}
	kp_buf_puts(b, "    to: [");
	for (i = 0; i < s->n; i++) {
		e = &p->entries[s->entries[i]];
		o = c->oidx[s->entries[i]];
		f = c->first[s->entries[i]];
		if (c->count[o] == c->owner_nkeys[o]) {
			if (c->ostamp[o] == 0)
				continue; /* named already */
			c->ostamp[o] = 0;
			kp_buf_puts(b, comma ? ", " : "");
			yq(b, e->owner);
			comma = 1;
			continue;
		}
		if (c->kstamp[f] == 0)
			continue;
		c->kstamp[f] = 0;
		snprintf(name, sizeof(name), "key:%s", p->entries[f].id);
		kp_buf_puts(b, comma ? ", " : "");
		yq(b, name);
		comma = 1;
	}
	kp_buf_puts(b, "]\n");
}

static void
put_grants(struct kp_buf *b, struct conv *c)
{
	const struct cset *s;
	const struct kp_entry *e;
	size_t i;

	if (c->nsets == 0)
		return;
	kp_buf_puts(b, "\ngrants:\n");
	for (i = 0; i < c->nsets; i++) {
		s = &c->sets[i];
		e = s->first;
		kp_buf_printf(b, "  - id: g%zu-%s\n", i + 1, e->accounts[0]);
		put_to(b, c, s, i);
		yq_list(b, "    ", "accounts", e->accounts, e->naccounts);
		yq_list(b, "    ", "hosts", e->hosts, e->nhosts);
		yq_list(b, "    ", "from", e->from, e->nfrom);
		y_time(b, "    ", "not_before", e->not_before);
		y_time(b, "    ", "expires", e->expires);
		yq_list(b, "    ", "options", e->options, e->noptions);
		if (e->command != NULL) {
			kp_buf_puts(b, "    command: ");
			yq(b, e->command);
			kp_buf_putc(b, '\n');
		}
		if (e->comment != NULL && s->same_comment) {
			kp_buf_puts(b, "    comment: ");
			yq(b, e->comment);
			kp_buf_putc(b, '\n');
		}
	}
}

/*
 * authorities: as they are (they are of version 2 already); the fields
 * of an entry in the order of keys: entries.
 */
static void
put_authorities(struct kp_buf *b, const struct kp_policy *p)
{
	const struct kp_authority *a;
	const struct kp_entry *e;
	size_t i, j;

	if (p->nauthorities == 0)
		return;
	kp_buf_puts(b, "\nauthorities:\n");
	for (i = 0; i < p->nauthorities; i++) {
		a = &p->authorities[i];
		e = &a->e;
		kp_buf_puts(b, "  - id: ");
		yq(b, e->id);
		kp_buf_puts(b, "\n    owner: ");
		yq(b, e->owner);
		kp_buf_puts(b, "\n    key: ");
		put_key_line(b, e->key);
		kp_buf_putc(b, '\n');
		yq_list(b, "    ", "accounts", e->accounts, e->naccounts);
		if (a->nprincipals == 1 && a->principals[0].account == NULL)
			yq_list(b, "    ", "principals", a->principals[0].names,
			    a->principals[0].nnames);
		else if (a->nprincipals > 0) {
			kp_buf_puts(b, "    principals:\n");
			for (j = 0; j < a->nprincipals; j++)
				yq_list(b, "      ", a->principals[j].account,
				    a->principals[j].names,
				    a->principals[j].nnames);
		}
		yq_list(b, "    ", "hosts", e->hosts, e->nhosts);
		yq_list(b, "    ", "from", e->from, e->nfrom);
		y_time(b, "    ", "not_before", e->not_before);
		y_time(b, "    ", "expires", e->expires);
		yq_list(b, "    ", "options", e->options, e->noptions);
		if (e->command != NULL) {
			kp_buf_puts(b, "    command: ");
			yq(b, e->command);
			kp_buf_putc(b, '\n');
		}
		if (e->comment != NULL) {
			kp_buf_puts(b, "    comment: ");
			yq(b, e->comment);
			kp_buf_putc(b, '\n');
		}
	}
}

static void
put_revoked(struct kp_buf *b, const struct kp_policy *p)
{
	const struct kp_revocation *rv;
	size_t i;

	if (p->nrevoked == 0)
		return;
	kp_buf_puts(b, "\nrevoked:\n");
	for (i = 0; i < p->nrevoked; i++) {
		rv = &p->revoked[i];
		switch (rv->kind) {
		case KP_REVOKE_FINGERPRINT:
			kp_buf_puts(b, "  - fingerprint: ");
			yq(b, rv->value);
			break;
		case KP_REVOKE_KEY:
			kp_buf_puts(b, "  - key: ");
			put_key_line(b, rv->key);
			break;
		case KP_REVOKE_OWNER:
			kp_buf_puts(b, "  - owner: ");
			yq(b, rv->value);
			break;
		case KP_REVOKE_CA:
		case KP_REVOKE_SERIAL:
		case KP_REVOKE_KEY_ID:
			kp_buf_puts(b, "  - ca: ");
			if (rv->key != NULL)
				put_key_line(b, rv->key);
			else
				yq(b, rv->ca_fp);
			if (rv->kind == KP_REVOKE_SERIAL)
				kp_buf_printf(b, "\n    serial: %llu",
				    (unsigned long long)rv->serial);
			else if (rv->kind == KP_REVOKE_KEY_ID) {
				kp_buf_puts(b, "\n    key_id: ");
				yq(b, rv->key_id);
			}
			break;
		}
		kp_buf_puts(b, "\n    reason: ");
		yq(b, rv->reason);
		kp_buf_putc(b, '\n');
		y_time(b, "    ", "date", rv->date);
	}
}

int
kp_convert_v2(const struct kp_policy *p, char **out, size_t *nmerged)
{
	struct conv c;
	struct kp_buf b;
	size_t i;
	int r;

	if (out != NULL)
		*out = NULL;
	if (nmerged != NULL)
		*nmerged = 0;
	if (p == NULL || out == NULL || nmerged == NULL)
		return KP_ERR_ARG;
	if (p->teams != NULL)
		return KP_ERR_INVALID; /* people or grants already */
	memset(&c, 0, sizeof(c));
	c.p = p;
	kp_strtab_init(&c.owners);
	kp_strtab_init(&c.fps);
	kp_strtab_init(&c.sigs);
	kp_buf_init(&b, KP_ADMIN_OUT_MAX);
	if ((r = collect(&c)) != 0)
		goto out;
	kp_buf_printf(&b,
	    "# Converted by keyauthctl convert from %s (version %u): one "
	    "person\n# per owner, one grant per distinct set of "
	    "restrictions.\nversion: 2\nserial: %llu\n",
	    p->path != NULL ? p->path : "-", p->version,
	    (unsigned long long)p->serial);
	if (p->has_issued)
		y_time(&b, "", "issued", p->issued);
	y_time(&b, "", "expires", p->expires);
	put_networks(&b, p);
	put_people(&b, &c, nmerged);
	put_grants(&b, &c);
	put_authorities(&b, p);
	put_revoked(&b, p);
	r = kp_buf_take(&b, out, NULL);
out:
	kp_buf_free(&b);
	for (i = 0; i < c.nsets; i++) {
		free(c.sig_v[i]);
		free(c.sets[i].entries);
	}
	free(c.sig_v);
	free(c.sets);
	free(c.owner_v);
	free(c.owner_nkeys);
	free(c.oidx);
	free(c.first);
	free(c.count);
	free(c.ostamp);
	free(c.kstamp);
	kp_strtab_free(&c.owners);
	kp_strtab_free(&c.fps);
	kp_strtab_free(&c.sigs);
	return r;
}
