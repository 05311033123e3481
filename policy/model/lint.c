/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * Lint (docs/policy-format.md, "Lint warnings"): things that are valid but that a reviewer should
 * look at. Every warning starts with a stable code in brackets, which
 * scripts and `keyauthctl check` may rely on:
 *
 *   [no-expiry]            a keys entry without expires
 *   [expired]              a keys entry whose expires is at or before now
 *   [expires-soon]         a keys entry expiring within 14 days of now
 *   [weak-rsa]             an RSA key below 3072 bits
 *   [root-without-from]    an entry granting root with no from:
 *   [any-address]          from: or a network admits every IPv4 or every
 *                          IPv6 address, however written
 *   [wide-source]          from: or a network admits more than a /8 of
 *                          IPv4 or a /32 of IPv6 (its union, not one item)
 *   [no-touch-required]    a FIDO key, or an authority (for certificates
 *                          with that extension), with no-touch-required
 *   [fido-only-option]     no-touch-required or verify-required on a key
 *                          that is no FIDO (sk-) key: sshd ignores both
 *   [unused-network]       a network no entry refers to
 *   [owner-revoked]        an entry whose owner is revoked (it is dead)
 *   [policy-expired]       the policy's own expires is past (added to
 *   [policy-expires-soon]  the documented list: a stale policy denies every
 *                          login; with issued:, when less than a quarter of
 *                          its window is left, at most 14 days)
 *   [serial-too-large]     a serial above KP_SERIAL_SANE_MAX: every host
 *                          that installs it can only go higher, toward
 *                          the 2^63-1 after which nothing installs
 *                          (docs/fleet.md, recovering a frozen fleet)
 *   [ca-root-without-from] an authority granting root with no from:
 *   [ca-shared-account]    an authority without principals for an account
 *                          another owner's key or authority also reaches:
 *                          any certificate naming the account logs in
 *   [empty-group]          a group without members
 *   [unused-group]         a group no grant and no other group names
 *   [person-without-grants] a person no grant reaches
 *   [grant-to-nobody]      a grant that reaches no person
 *   [direct-and-group]     a key granted one account directly by one
 *                          grant and through a group by another, with
 *                          other restrictions: two lines, both in force
 *
 * Counts are exact. A policy of a million keys without expires would
 * produce a million warnings of 800 bytes, so the caller says how many of
 * each kind to keep (keyauthctl check keeps a few and prints a group line
 * with the exact count). Kept warnings come security first (the kinds
 * marked so in kinds[] below), then the rest, each sorted by line and
 * column.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "keyauth-policy.h"
#include "kp-internal.h"
#include "kp-policy.h"

#define LINT_SOON (14 * 86400)

#define SEC KP_LINT_SECURITY
#define REV KP_LINT_REVIEW

/* Every code lint emits; a message starting with another is a bug. */
static const struct kp_lint_kind kinds[] = {
    {"[root-without-from]", SEC, "keys may log in as root from any address", 0},
    {"[any-address]", SEC, "keys or networks admit every address", 0},
    {"[owner-revoked]", SEC,
        "entries belong to a revoked owner and are still listed", 0},
    {"[ca-root-without-from]", SEC,
        "authorities let certificates log in as root from any address", 0},
    {"[ca-shared-account]", SEC,
        "authorities need no principals for an account other owners "
        "reach",
        0},
    {"[fido-only-option]", SEC,
        "keys that are no FIDO keys carry options sshd ignores for them "
        "(verify-required asks no PIN)",
        0},
    {"[policy-expired]", REV, "policy expiry warnings", 0},
    {"[policy-expires-soon]", REV, "policy expiry warnings", 0},
    {"[serial-too-large]", REV, "serial warnings", 0},
    {"[no-expiry]", REV, "keys have no expires", 0},
    {"[expired]", REV, "keys have expired", 0},
    {"[expires-soon]", REV, "keys expire within 14 days", 0},
    {"[weak-rsa]", REV, "keys are RSA below 3072 bits", 0},
    {"[wide-source]", REV,
        "keys or networks admit more than a /8 of IPv4 or a /32 of IPv6", 0},
    {"[no-touch-required]", REV,
        "keys do not require touching their security key", 0},
    {"[unused-network]", REV, "networks are not used by any key", 0},
    {"[empty-group]", REV, "groups have no members", 0},
    {"[unused-group]", REV, "groups are not used by any grant or group", 0},
    {"[person-without-grants]", REV, "people are in no grant", 0},
    {"[grant-to-nobody]", REV, "grants reach no person", 0},
    {"[direct-and-group]", REV,
        "keys are granted an account directly and through a group, with "
        "other restrictions",
        0},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

struct lint {
	const struct kp_policy *p;
	struct kp_lint_warning *w;
	size_t n, cap;
	size_t keep; /* per kind; 0: all */
	size_t count[NKINDS];
	size_t total;
	int err;
	unsigned file; /* of the item warned about (a directory policy) */
};

static void warn(struct lint *l, const char *subject, unsigned line,
    unsigned col, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
warn(struct lint *l, const char *subject, unsigned line, unsigned col,
    const char *fmt, ...)
{
	struct kp_lint_warning *w, *tmp;
	struct kp_diag d;
	va_list ap;
	size_t ncap, k;

	if (l->err != 0)
		return;
	/*
	 * Every format starts with its kind's code, as the message does:
	 * a finding beyond keep is counted without being formatted (half a
	 * million of them in a large policy).
	 */
	for (k = 0; k < NKINDS; k++)
		if (strncmp(fmt, kinds[k].code, strlen(kinds[k].code)) == 0)
			break;
	if (k == NKINDS) {
		l->err = KP_ERR_INTERNAL;
		return;
	}
	l->total++;
	if (l->keep != 0 && l->count[k] >= l->keep) {
		l->count[k]++;
		return;
	}
	l->count[k]++;
	va_start(ap, fmt);
	kp_diag_vset(&d, l->p->path, line, col, fmt, ap);
	va_end(ap);
	if (l->n == l->cap) {
		ncap = l->cap == 0 ? 16 : l->cap * 2;
		if ((tmp = reallocarray(l->w, ncap, sizeof(*tmp))) == NULL) {
			l->err = KP_ERR_NOMEM;
			return;
		}
		l->w = tmp;
		l->cap = ncap;
	}
	w = &l->w[l->n++];
	w->d = d;
	w->kind = k;
	w->subject = subject;
	if (line != 0 && l->file < l->p->nfiles)
		snprintf(
		    w->d.file, sizeof(w->d.file), "%s", l->p->files[l->file]);
}

static int
warning_cmp(const void *a, const void *b)
{
	const struct kp_lint_warning *wa = a, *wb = b;
	const struct kp_diag *x = &wa->d, *y = &wb->d;
	int c;

	if (kinds[wa->kind].severity != kinds[wb->kind].severity)
		return kinds[wa->kind].severity < kinds[wb->kind].severity ? -1
		                                                           : 1;
	/* A directory policy: file by file (one file: the same for all). */
	if ((c = strcmp(x->file, y->file)) != 0)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	return strcmp(x->msg, y->msg);
}

/*
 * How much of one address family a set of networks admits, judged on
 * their union: lint reads coverage, not spelling, so "::ffff:0:0/97" and
 * "::ffff:8000:0/97" together are all of IPv4.
 */
enum reach { REACH_SOME, REACH_WIDE, REACH_ALL };

struct coverage {
	enum reach reach;
	int literal; /* a single network of the set is the whole family */
	uint64_t size[2]; /* addresses, kp_cidrs_size */
};

#define WIDE_V4 24 /* more addresses than a /8 */
#define WIDE_V6 96 /* more addresses than a /32 */

static int
coverage(
    const struct kp_cidr *c, size_t n, uint8_t family, struct coverage *out)
{
	struct kp_cidr all;
	size_t i;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = kp_cidrs_size(c, n, family, out->size)) != 0)
		return r;
	if (out->size[0] == 0 && out->size[1] == 0)
		return 0; /* none of this family */
	memset(&all, 0, sizeof(all));
	all.family = family;
	if (kp_cidrs_cover(c, n, &all, 1)) {
		out->reach = REACH_ALL;
		for (i = 0; i < n; i++)
			out->literal |=
			    c[i].family == family && c[i].prefix == 0;
		return 0;
	}
	if (family == 4 ? out->size[1] > ((uint64_t)1 << WIDE_V4)
	                : out->size[0] > ((uint64_t)1 << (WIDE_V6 - 64)) ||
	            (out->size[0] == ((uint64_t)1 << (WIDE_V6 - 64)) &&
	                out->size[1] > 0))
		out->reach = REACH_WIDE;
	return 0;
}

static const char *
any_text(uint8_t family)
{
	return family == 6 ? "::/0" : "0.0.0.0/0";
}

/* The warning for what (a "key 'ID'" or a "network 'NAME'"). */
static void
warn_coverage(struct lint *l, unsigned line, unsigned col, const char *what,
    const char *name, uint8_t family, const struct coverage *cv)
{
	int key = strcmp(what, "key") == 0;

	if (cv->reach == REACH_ALL) {
		warn(l, name, line, col,
		    "[any-address] %s '%s' %s every address (%s)%s%s", what,
		    name, key ? "allows" : "contains", any_text(family),
		    key ? " in from:" : "",
		    cv->literal ? ""
		        : family == 4
		        ? " (its addresses together cover all of IPv4)"
		        : " (its addresses together cover all of IPv6)");
	} else if (family == 4) {
		warn(l, name, line, col,
		    "[wide-source] %s '%s' %s more IPv4 addresses than a /8%s "
		    "(%llu)",
		    what, name, key ? "allows" : "holds",
		    key ? " in from:" : "", (unsigned long long)cv->size[1]);
	} else {
		warn(l, name, line, col,
		    "[wide-source] %s '%s' %s more IPv6 addresses than a /32%s",
		    what, name, key ? "allows" : "holds",
		    key ? " in from:" : "");
	}
}

/*
 * from: of e by its union, networks expanded. Reported at a network
 * instead when one network e names reaches as far on its own (nreach:
 * each network's reach per family, lint_networks).
 */
static void
lint_sources(struct lint *l, const struct kp_entry *e,
    const struct kp_strtab *nets, const unsigned char *nreach)
{
	static const uint8_t families[2] = {4, 6};
	struct coverage cv;
	size_t i, k, idx;
	int there;

	if (e->nsources == 0)
		return;
	/* one network alone reaches exactly as far: said at the network */
	if (e->nfrom == 1 && kp_strtab_get(nets, e->from[0], &idx))
		return;
	for (k = 0; k < 2; k++) {
		if ((l->err = coverage(
		         e->sources, e->nsources, families[k], &cv)) != 0)
			return;
		if (cv.reach == REACH_SOME)
			continue;
		for (i = 0, there = 0; i < e->nfrom && !there; i++)
			there = kp_strtab_get(nets, e->from[i], &idx) &&
			    nreach[2 * idx + k] >= cv.reach;
		if (!there)
			warn_coverage(l, e->line, e->column, "key", e->id,
			    families[k], &cv);
	}
}

/* Each network by its union; nreach[2 * i + k] its reach per family. */
static void
lint_networks(struct lint *l, unsigned char *nreach)
{
	static const uint8_t families[2] = {4, 6};
	const struct kp_network *net;
	struct coverage cv;
	size_t i, k;

	for (i = 0; i < l->p->nnetworks && l->err == 0; i++) {
		net = &l->p->networks[i];
		l->file = net->file;
		for (k = 0; k < 2; k++) {
			if ((l->err = coverage(net->addrs, net->naddrs,
			         families[k], &cv)) != 0)
				return;
			nreach[2 * i + k] = (unsigned char)cv.reach;
			if (cv.reach != REACH_SOME)
				warn_coverage(l, net->line, net->column,
				    "network", net->name, families[k], &cv);
		}
	}
}

/*
 * sshd checks user presence and verification only on signatures of FIDO
 * keys (sshd(8), AUTHORIZED_KEYS FILE FORMAT: these options "only make
 * sense" for ecdsa-sk and ed25519-sk): on any other key it ignores both,
 * so verify-required there demands no PIN. On an authority they apply to
 * the certified key, whose type the policy cannot know: not linted, but
 * no-touch-required there lets a certificate with the extension of that
 * name skip the touch.
 */
static int
is_fido_type(const char *type)
{
	return strncmp(type, "sk-", 3) == 0;
}

static void
lint_fido_options(struct lint *l, const struct kp_entry *e)
{
	size_t i;

	if (e->key == NULL)
		return;
	for (i = 0; i < e->noptions; i++) {
		if (strcasecmp(e->options[i], "no-touch-required") != 0 &&
		    strcasecmp(e->options[i], "verify-required") != 0)
			continue;
		if (!is_fido_type(e->key->type))
			warn(l, e->id, e->line, e->column,
			    "[fido-only-option] key '%s' is %s, no FIDO key: "
			    "sshd ignores %s for it (only sk- keys sign with "
			    "user presence and verification)%s",
			    e->id, e->key->type, e->options[i],
			    strcasecmp(e->options[i], "verify-required") == 0
			        ? "; no PIN or other verification is asked"
			        : "");
		else if (strcasecmp(e->options[i], "no-touch-required") == 0)
			warn(l, e->id, e->line, e->column,
			    "[no-touch-required] key '%s' does not require "
			    "touching its security key",
			    e->id);
	}
}

static void
lint_entry(struct lint *l, const struct kp_entry *e, int64_t now,
    const struct kp_strtab *nets, unsigned char *used,
    const unsigned char *nreach, const struct kp_strtab *rowners)
{
	char when[64];
	size_t i, idx;
	int64_t left;

	l->file = e->file;

	if (e->expires == KP_TIME_NONE_AFTER) {
		warn(l, e->id, e->line, e->column,
		    "[no-expiry] key '%s' has no expires", e->id);
	} else if (e->expires <= now) {
		kp_time_format(e->expires, when, sizeof(when));
		warn(l, e->id, e->line, e->column,
		    "[expired] key '%s' expired at %s", e->id, when);
	} else if ((left = e->expires - now) <= LINT_SOON) {
		kp_time_format(e->expires, when, sizeof(when));
		warn(l, e->id, e->line, e->column,
		    "[expires-soon] key '%s' expires at %s (in %lld day%s)",
		    e->id, when, (long long)((left + 86399) / 86400),
		    (left + 86399) / 86400 == 1 ? "" : "s");
	}
	if (e->key != NULL && e->key->bits > 0 && e->key->bits < 3072) {
		warn(l, e->id, e->line, e->column,
		    "[weak-rsa] key '%s' is RSA with %u bits; use at least "
		    "3072 (or ed25519)",
		    e->id, e->key->bits);
	}
	if (e->nfrom == 0) {
		for (i = 0; i < e->naccounts; i++) {
			if (strcmp(e->accounts[i], "root") == 0) {
				warn(l, e->id, e->line, e->column,
				    "[root-without-from] key '%s' may log in "
				    "as root from any address; add from:",
				    e->id);
				break;
			}
		}
	}
	for (i = 0; i < e->nfrom; i++) {
		if (kp_strtab_get(nets, e->from[i], &idx))
			used[idx] = 1;
	}
	lint_sources(l, e, nets, nreach);
	lint_fido_options(l, e);
	if (e->owner != NULL && kp_strtab_get(rowners, e->owner, &idx)) {
		warn(l, e->id, e->line, e->column,
		    "[owner-revoked] key '%s' belongs to '%s', who is "
		    "revoked (line %u); remove the entry",
		    e->id, e->owner, l->p->revoked[idx].line);
	}
}

int
kp_serial_sane(uint64_t serial)
{
	return serial <= KP_SERIAL_SANE_MAX;
}

/*
 * How close to its expires a policy is "expiring soon": 14 days, or for
 * a policy that says when it was issued (a signed one, re-signed on a
 * schedule) a quarter of its window when that is shorter.
 */
static int64_t
soon_window(const struct kp_policy *p)
{
	int64_t quarter;

	if (!p->has_issued || p->expires <= p->issued)
		return LINT_SOON;
	quarter = (p->expires - p->issued) / 4;
	return quarter < LINT_SOON ? quarter : LINT_SOON;
}

/*
 * Accounts more than one owner reaches (through keys or authorities):
 * shared holds them. Built only when the policy has authorities.
 */
static int
shared_accounts(const struct kp_policy *p, struct kp_strtab *shared)
{
	struct kp_strtab first;
	const struct kp_entry *e;
	const char *o;
	size_t i, j, idx, n = p->nentries + p->nauthorities;
	int r = 0;

	kp_strtab_init(&first);
	for (i = 0; i < n && r == 0; i++) {
		e = i < p->nentries ? &p->entries[i]
		                    : &p->authorities[i - p->nentries].e;
		for (j = 0; j < e->naccounts && r == 0; j++) {
			/* the value: the entry (index) that first named it */
			r = kp_strtab_put(&first, e->accounts[j], i, &idx);
			if (r < 0)
				break;
			if (r == 0)
				continue;
			r = 0;
			o = idx < p->nentries
			    ? p->entries[idx].owner
			    : p->authorities[idx - p->nentries].e.owner;
			if (strcmp(o, e->owner) != 0 &&
			    kp_strtab_put(shared, e->accounts[j], i, NULL) < 0)
				r = KP_ERR_NOMEM;
		}
	}
	kp_strtab_free(&first);
	return r < 0 ? KP_ERR_NOMEM : 0;
}

static void
lint_authority(struct lint *l, const struct kp_authority *a,
    const struct kp_strtab *nets, unsigned char *used,
    const unsigned char *nreach, const struct kp_strtab *rowners,
    const struct kp_strtab *shared)
{
	const struct kp_entry *e = &a->e;
	char *const *names;
	size_t i, idx, n;

	for (i = 0; i < e->naccounts; i++) {
		if (e->nfrom == 0 && strcmp(e->accounts[i], "root") == 0)
			warn(l, e->id, e->line, e->column,
			    "[ca-root-without-from] authority '%s' lets every "
			    "certificate of its CA log in as root from any "
			    "address; add from:",
			    e->id);
		kp_authority_principals(a, e->accounts[i], &names, &n);
		if (n == 0 && kp_strtab_get(shared, e->accounts[i], NULL))
			warn(l, e->id, e->line, e->column,
			    "[ca-shared-account] authority '%s' needs no "
			    "principals for account '%s', which other owners "
			    "also reach: any certificate naming '%s' logs in; "
			    "add principals:",
			    e->id, e->accounts[i], e->accounts[i]);
	}
	for (i = 0; i < e->nfrom; i++) {
		if (kp_strtab_get(nets, e->from[i], &idx))
			used[idx] = 1;
	}
	lint_sources(l, e, nets, nreach);
	for (i = 0; i < e->noptions; i++)
		if (strcasecmp(e->options[i], "no-touch-required") == 0)
			warn(l, e->id, e->line, e->column,
			    "[no-touch-required] authority '%s' lets a "
			    "certificate with the no-touch-required extension "
			    "sign without touching its security key",
			    e->id);
	if (kp_strtab_get(rowners, e->owner, &idx))
		warn(l, e->id, e->line, e->column,
		    "[owner-revoked] authority '%s' belongs to '%s', who is "
		    "revoked (line %u); remove the authority",
		    e->id, e->owner, l->p->revoked[idx].line);
}

/* ------------------------------------------- people, groups and grants */

static int
strv_same(char *const *a, size_t na, char *const *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}

/* 1 if two entries admit the same logins (accounts aside). */
static int
same_restrictions(const struct kp_entry *a, const struct kp_entry *b)
{
	return strv_same(a->hosts, a->nhosts, b->hosts, b->nhosts) &&
	    a->nsources == b->nsources &&
	    (a->nsources == 0 ||
	        memcmp(a->sources, b->sources,
	            a->nsources * sizeof(*a->sources)) == 0) &&
	    a->not_before == b->not_before && a->expires == b->expires &&
	    strv_same(a->options, a->noptions, b->options, b->noptions) &&
	    (a->command == NULL) == (b->command == NULL) &&
	    (a->command == NULL || strcmp(a->command, b->command) == 0);
}

/* Entries a grant names directly, by "fp account", for [direct-and-group]. */
static void
lint_direct_and_group(struct lint *l)
{
	const struct kp_policy *p = l->p;
	const struct kp_entry *e, *d;
	struct kp_strtab direct;
	char **names = NULL, key[KP_FP_LEN + KP_ACCOUNT_MAX + 2];
	size_t i, j, n = 0, nnames = 0, at;

	kp_strtab_init(&direct);
	for (i = 0; i < p->nentries; i++)
		if (p->entries[i].grant != NULL && p->entries[i].via == NULL)
			n += p->entries[i].naccounts;
	if (n == 0)
		return;
	if ((names = calloc(n, sizeof(*names))) == NULL) {
		l->err = KP_ERR_NOMEM;
		return;
	}
	for (i = 0; i < p->nentries && l->err == 0; i++) {
		e = &p->entries[i];
		if (e->grant == NULL || e->via != NULL)
			continue;
		for (j = 0; j < e->naccounts; j++) {
			snprintf(key, sizeof(key), "%s %s", e->key->fp,
			    e->accounts[j]);
			if ((names[nnames] = strdup(key)) == NULL ||
			    kp_strtab_put(&direct, names[nnames], i, NULL) <
			        0) {
				l->err = KP_ERR_NOMEM;
				break;
			}
			nnames++;
		}
	}
	for (i = 0; i < p->nentries && l->err == 0; i++) {
		e = &p->entries[i];
		if (e->grant == NULL || e->via == NULL)
			continue;
		for (j = 0; j < e->naccounts; j++) {
			snprintf(key, sizeof(key), "%s %s", e->key->fp,
			    e->accounts[j]);
			if (!kp_strtab_get(&direct, key, &at))
				continue;
			d = &p->entries[at];
			if (same_restrictions(d, e))
				continue;
			l->file = e->file;
			warn(l, e->id, e->line, e->column,
			    "[direct-and-group] key '%s' of %s may log in as "
			    "%s "
			    "by grant '%s' (line %u, named directly) and by "
			    "grant '%s' via group %s, with other restrictions: "
			    "both apply",
			    e->id, e->owner, e->accounts[j], d->grant, d->line,
			    e->grant, e->via);
			break;
		}
	}
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	kp_strtab_free(&direct);
}

static void
lint_teams(struct lint *l)
{
	const struct kp_teams *t = l->p->teams;
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->ngroups; i++) {
		l->file = t->groups[i].file;
		if (t->groups[i].nmembers == 0)
			warn(l, t->groups[i].name, t->groups[i].line,
			    t->groups[i].column,
			    "[empty-group] group '%s' has no members",
			    t->groups[i].name);
		if (!t->groups[i].used)
			warn(l, t->groups[i].name, t->groups[i].line,
			    t->groups[i].column,
			    "[unused-group] group '%s' is not used by any "
			    "grant or group",
			    t->groups[i].name);
	}
	for (i = 0; i < t->npeople; i++) {
		l->file = t->people[i].file;
		if (t->people[i].ngrants == 0)
			warn(l, t->people[i].owner, t->people[i].line,
			    t->people[i].column,
			    "[person-without-grants] person '%s' is in no "
			    "grant",
			    t->people[i].owner);
	}
	for (i = 0; i < t->ngrants; i++) {
		l->file = t->grants[i].e.file;
		if (t->grants[i].npeople == 0)
			warn(l, t->grants[i].e.id, t->grants[i].e.line,
			    t->grants[i].e.column,
			    "[grant-to-nobody] grant '%s' reaches no person",
			    t->grants[i].e.id);
	}
	lint_direct_and_group(l);
}

int
kp_policy_lint(
    const struct kp_policy *p, int64_t now, size_t keep, struct kp_lint *out)
{
	struct lint l;
	struct kp_strtab nets, rowners, shared;
	struct kp_lint_kind *kk = NULL;
	unsigned char *used = NULL, *nreach = NULL;
	char when[64];
	size_t i, j, k;
	int r;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (p == NULL || out == NULL)
		return KP_ERR_ARG;
	memset(&l, 0, sizeof(l));
	l.p = p;
	l.keep = keep;
	kp_strtab_init(&nets);
	kp_strtab_init(&rowners);
	kp_strtab_init(&shared);

	if (p->nauthorities > 0 && (r = shared_accounts(p, &shared)) != 0)
		goto out;
	/* one more than needed: never NULL, with or without networks */
	if ((used = calloc(p->nnetworks + 1, sizeof(*used))) == NULL ||
	    (nreach = calloc(p->nnetworks + 1, 2)) == NULL) {
		r = KP_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < p->nnetworks; i++) {
		if (kp_strtab_put(&nets, p->networks[i].name, i, NULL) < 0) {
			r = KP_ERR_NOMEM;
			goto out;
		}
	}
	for (i = 0; i < p->nrevoked; i++) {
		if (p->revoked[i].kind == KP_REVOKE_OWNER &&
		    p->revoked[i].value != NULL &&
		    kp_strtab_put(&rowners, p->revoked[i].value, i, NULL) < 0) {
			r = KP_ERR_NOMEM;
			goto out;
		}
	}

	if (p->expires != KP_TIME_NONE_AFTER) {
		kp_time_format(p->expires, when, sizeof(when));
		if (kp_policy_stale(p->expires, now))
			warn(&l, NULL, 0, 0,
			    "[policy-expired] the policy expired at %s: "
			    "every login is refused",
			    when);
		else if (p->expires - now <= soon_window(p))
			warn(&l, NULL, 0, 0,
			    "[policy-expires-soon] the policy expires at %s",
			    when);
	}
	if (!kp_serial_sane(p->serial))
		warn(&l, NULL, 0, 0,
		    "[serial-too-large] serial %llu is above %llu: every host "
		    "that installs it can only move to higher serials, and "
		    "none above 9223372036854775807 exists (docs/fleet.md)",
		    (unsigned long long)p->serial,
		    (unsigned long long)KP_SERIAL_SANE_MAX);
	lint_networks(&l, nreach);
	for (i = 0; i < p->nentries && l.err == 0; i++)
		lint_entry(
		    &l, &p->entries[i], now, &nets, used, nreach, &rowners);
	for (i = 0; i < p->nauthorities && l.err == 0; i++)
		lint_authority(&l, &p->authorities[i], &nets, used, nreach,
		    &rowners, &shared);
	/* A grant that reaches nobody still uses its networks. */
	for (i = 0; p->teams != NULL && i < p->teams->ngrants; i++)
		for (j = 0; j < p->teams->grants[i].e.nfrom; j++)
			if (kp_strtab_get(
			        &nets, p->teams->grants[i].e.from[j], &k))
				used[k] = 1;
	lint_teams(&l);
	for (i = 0; i < p->nnetworks; i++) {
		l.file = p->networks[i].file;
		if (!used[i]) {
			warn(&l, p->networks[i].name, p->networks[i].line,
			    p->networks[i].column,
			    "[unused-network] network '%s' is not used by any "
			    "key",
			    p->networks[i].name);
		}
	}
	if (l.err != 0) {
		r = l.err;
		goto out;
	}
	if ((kk = calloc(NKINDS, sizeof(*kk))) == NULL) {
		r = KP_ERR_NOMEM;
		goto out;
	}
	for (k = 0; k < NKINDS; k++) {
		kk[k] = kinds[k];
		kk[k].count = l.count[k];
	}
	/* qsort(NULL, 0, ...) is undefined behaviour (no warnings: l.w NULL). */
	if (l.n > 1)
		qsort(l.w, l.n, sizeof(*l.w), warning_cmp);
	out->w = l.w; /* ownership to the caller */
	out->nw = l.n;
	out->kinds = kk;
	out->nkinds = NKINDS;
	out->total = l.total;
	l.w = NULL;
	kk = NULL;
	r = 0;
out:
	free(l.w);
	free(kk);
	free(used);
	free(nreach);
	kp_strtab_free(&nets);
	kp_strtab_free(&rowners);
	kp_strtab_free(&shared);
	return r;
}

void
kp_lint_free(struct kp_lint *l)
{
	if (l == NULL)
		return;
	free(l->w);
	free(l->kinds);
	memset(l, 0, sizeof(*l));
}
