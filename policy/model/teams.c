/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * Version 2's people, groups and grants resolved into the entries every
 * other part of keyauth already knows (docs/policy-format.md, "People,
 * groups and grants"): one entry per (grant, person it reaches, key of
 * that person), in grant order, then the order of to:, then key order.
 * The entry's restrictions are the grant's; its not_before and expires
 * the narrower of the key's and the grant's. A person in two grants for
 * one account gets two entries, so the index holds two grants and sshd
 * two authorized_keys lines, each with its own from= and hosts: the
 * union of what each grant allows, never one grant's sources with the
 * other's hosts. The compiler, the index and the login path do not know
 * that a policy had people at all.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyauth-policy.h"
#include "kp-policy.h"

static int terr(struct kp_diag *d, int r, unsigned line, unsigned col,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
terr(
    struct kp_diag *d, int r, unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;

	if (d == NULL || d->msg[0] != '\0')
		return r;
	d->line = line;
	d->column = col;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	return r;
}

/*
 * The file of a directory policy an error points into (before terr; the
 * first error wins, so a later one cannot rename its file).
 */
static void
at_file(const struct kp_teams *t, struct kp_diag *d, unsigned file)
{
	if (d != NULL && d->msg[0] == '\0' && t->files != NULL &&
	    file < t->nfiles)
		snprintf(d->file, sizeof(d->file), "%s", t->files[file]);
}

static void
members_free(struct kp_member *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i].name);
	free(v);
}

void
kp_teams_free(struct kp_teams *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->npeople; i++) {
		free(t->people[i].owner);
		free(t->people[i].comment);
	}
	free(t->people);
	for (i = 0; i < t->nkeys; i++) {
		free(t->keys[i].id);
		kp_pubkey_free(t->keys[i].key);
		free(t->keys[i].comment);
	}
	free(t->keys);
	for (i = 0; i < t->ngroups; i++) {
		free(t->groups[i].name);
		members_free(t->groups[i].members, t->groups[i].nmembers);
	}
	free(t->groups);
	for (i = 0; i < t->ngrants; i++) {
		kp_entry_clear(&t->grants[i].e);
		members_free(t->grants[i].to, t->grants[i].nto);
	}
	free(t->grants);
	for (i = 0; i < t->npaths; i++)
		free(t->paths[i]);
	free(t->paths);
	kp_strtab_free(&t->people_ix);
	kp_strtab_free(&t->groups_ix);
	kp_strtab_free(&t->grants_ix);
	kp_strtab_free(&t->key_ids);
	kp_strtab_free(&t->key_fps);
	free(t);
}

/* Every member names a person of people: or a group of groups:. */
static int
resolve_members(struct kp_teams *t, const char *what, const char *name,
    struct kp_member *m, size_t n, struct kp_diag *d)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (m[i].is_group) {
			if (kp_strtab_get(
			        &t->groups_ix, m[i].name, &m[i].idx)) {
				t->groups[m[i].idx].used = 1;
				continue;
			}
			at_file(t, d, m[i].file);
			return terr(d, KP_ERR_INVALID, m[i].line, m[i].column,
			    "%s '%s': unknown group '%s' (define it under "
			    "groups:)",
			    what, name, m[i].name);
		}
		if (m[i].is_key) {
			if (kp_strtab_get(&t->key_ids, m[i].name, &m[i].idx))
				continue;
			at_file(t, d, m[i].file);
			return terr(d, KP_ERR_INVALID, m[i].line, m[i].column,
			    "%s '%s': unknown key '%s' (no person has a key "
			    "with this id)",
			    what, name, m[i].name);
		}
		if (kp_strtab_get(&t->people_ix, m[i].name, &m[i].idx))
			continue;
		at_file(t, d, m[i].file);
		return terr(d, KP_ERR_INVALID, m[i].line, m[i].column,
		    "%s '%s': unknown person '%s' (define them under "
		    "people:%s)",
		    what, name, m[i].name,
		    kp_strtab_get(&t->groups_ix, m[i].name, NULL)
		        ? ", or write group:NAME for the group"
		        : "");
	}
	return 0;
}

/*
 * Group g and the groups inside it: no cycle, at most KP_GROUP_DEPTH_MAX
 * deep. chain[0..depth) are the groups on the way here.
 */
static int
walk_group(struct kp_teams *t, size_t g, size_t *chain, size_t depth,
    struct kp_diag *d)
{
	struct kp_group *gr = &t->groups[g];
	const struct kp_member *m;
	char path[512];
	size_t i, j;
	int r;

	gr->state = 1;
	chain[depth] = g;
	for (i = 0; i < gr->nmembers; i++) {
		m = &gr->members[i];
		if (!m->is_group)
			continue;
		if (t->groups[m->idx].state == 1) {
			path[0] = '\0';
			for (j = 0; j <= depth; j++) {
				if (t->groups[chain[j]].state != 1)
					continue;
				strncat(path, t->groups[chain[j]].name,
				    sizeof(path) - strlen(path) - 1);
				strncat(path, " > ",
				    sizeof(path) - strlen(path) - 1);
			}
			strncat(path, m->name, sizeof(path) - strlen(path) - 1);
			at_file(t, d, m->file);
			return terr(d, KP_ERR_INVALID, m->line, m->column,
			    "group '%s': member group:%s makes a cycle (%s)",
			    gr->name, m->name, path);
		}
		if (t->groups[m->idx].state == 2)
			continue;
		if (depth + 1 >= KP_GROUP_DEPTH_MAX) {
			at_file(t, d, m->file);
			return terr(d, KP_ERR_INVALID, m->line, m->column,
			    "group '%s': group:%s nests groups deeper than %d "
			    "levels",
			    gr->name, m->name, KP_GROUP_DEPTH_MAX);
		}
		if ((r = walk_group(t, m->idx, chain, depth + 1, d)) != 0)
			return r;
	}
	gr->state = 2;
	return 0;
}

/*
 * Depth is checked again on every walk from the top (a group reached
 * first as a leaf may sit deeper under another).
 */
static size_t
group_height(struct kp_teams *t, size_t g, size_t *memo)
{
	const struct kp_group *gr = &t->groups[g];
	size_t i, h, best = 1;

	if (memo[g] != 0)
		return memo[g];
	for (i = 0; i < gr->nmembers; i++) {
		if (!gr->members[i].is_group)
			continue;
		h = 1 + group_height(t, gr->members[i].idx, memo);
		if (h > best)
			best = h;
	}
	memo[g] = best;
	return best;
}

static int
check_groups(struct kp_teams *t, struct kp_diag *d)
{
	size_t chain[KP_GROUP_DEPTH_MAX], *memo = NULL, i, j;
	const struct kp_member *m;
	int r = 0;

	for (i = 0; i < t->ngroups; i++) {
		if (t->groups[i].state == 0 &&
		    (r = walk_group(t, i, chain, 0, d)) != 0)
			return r;
	}
	if (t->ngroups == 0)
		return 0;
	if ((memo = calloc(t->ngroups, sizeof(*memo))) == NULL)
		return terr(d, KP_ERR_NOMEM, 0, 0, "out of memory");
	for (i = 0; i < t->ngroups && r == 0; i++) {
		for (j = 0; j < t->groups[i].nmembers; j++) {
			m = &t->groups[i].members[j];
			if (!m->is_group ||
			    group_height(t, m->idx, memo) + 1 <=
			        KP_GROUP_DEPTH_MAX)
				continue;
			at_file(t, d, m->file);
			r = terr(d, KP_ERR_INVALID, m->line, m->column,
			    "group '%s': group:%s nests groups deeper than %d "
			    "levels",
			    t->groups[i].name, m->name, KP_GROUP_DEPTH_MAX);
			break;
		}
	}
	free(memo);
	return r;
}

/* The keys: entries and the people's keys name each key once, by id. */
static int
check_against_entries(
    const struct kp_policy *p, struct kp_teams *t, struct kp_diag *d)
{
	const struct kp_team_key *k;
	const struct kp_entry *e;
	char buf[KP_WHERE_MAX];
	size_t i, j;

	if (p->nentries == 0)
		return 0;
	for (i = 0; i < p->nentries; i++) {
		e = &p->entries[i];
		if (kp_strtab_get(&t->key_ids, e->id, &j)) {
			k = &t->keys[j];
			at_file(t, d, k->file);
			return terr(d, KP_ERR_INVALID, k->line, k->column,
			    "key id '%s' of %s is also the id of the keys "
			    "entry at %s",
			    k->id, t->people[k->person].owner,
			    kp_policy_where(p, k->file, e->file, e->line, buf));
		}
		if (kp_strtab_get(&t->key_fps, e->key->fp, &j) &&
		    strcmp(t->people[t->keys[j].person].owner, e->owner) != 0) {
			k = &t->keys[j];
			at_file(t, d, k->file);
			return terr(d, KP_ERR_INVALID, k->line, k->column,
			    "key '%s' of %s is the key of keys entry '%s' "
			    "(%s), owned by '%s'; one key has one owner",
			    k->id, t->people[k->person].owner, e->id,
			    kp_policy_where(p, k->file, e->file, e->line, buf),
			    e->owner);
		}
	}
	return 0;
}

/* ---------------------------------------------------------- expansion */

/* One key a grant reaches, and how. */
struct reach {
	size_t person;
	size_t key; /* index in teams->keys */
	const char *via; /* NULL: named by the grant */
};

struct expand {
	struct kp_teams *t;
	struct reach *v;
	size_t n, cap;
	size_t *stamp; /* per key: 1 + the grant that last reached it */
	size_t grant;
	struct kp_diag *d;
};

static int
keep_path(struct expand *x, const char *s, const char **out)
{
	struct kp_teams *t = x->t;
	char **tmp;

	if (t->npaths == t->paths_cap) {
		size_t ncap = t->paths_cap == 0 ? 16 : t->paths_cap * 2;

		if ((tmp = reallocarray(t->paths, ncap, sizeof(*tmp))) == NULL)
			return KP_ERR_NOMEM;
		t->paths = tmp;
		t->paths_cap = ncap;
	}
	if ((t->paths[t->npaths] = strdup(s)) == NULL)
		return KP_ERR_NOMEM;
	*out = t->paths[t->npaths++];
	return 0;
}

static int
reach_key(struct expand *x, size_t key, const char *via)
{
	struct reach *tmp;

	if (x->stamp[key] == x->grant + 1)
		return 0; /* one grant, one set of restrictions: once */
	x->stamp[key] = x->grant + 1;
	if (x->n == x->cap) {
		size_t ncap = x->cap == 0 ? 64 : x->cap * 2;

		if ((tmp = reallocarray(x->v, ncap, sizeof(*tmp))) == NULL)
			return KP_ERR_NOMEM;
		x->v = tmp;
		x->cap = ncap;
	}
	x->v[x->n].person = x->t->keys[key].person;
	x->v[x->n].key = key;
	x->v[x->n].via = via;
	x->n++;
	return 0;
}

static int
reach_person(struct expand *x, size_t person, const char *via)
{
	const struct kp_person *pe = &x->t->people[person];
	size_t m;
	int r;

	for (m = 0; m < pe->nkeys; m++)
		if ((r = reach_key(x, pe->first_key + m, via)) != 0)
			return r;
	return 0;
}

/* The people of group g; prefix: the path of the groups above it. */
static int
reach_group(struct expand *x, size_t g, const char *prefix)
{
	const struct kp_group *gr = &x->t->groups[g];
	const char *via = NULL;
	char buf[KP_VALUE_MAX];
	size_t i;
	int r;

	if (prefix != NULL)
		snprintf(buf, sizeof(buf), "%s > %s", prefix, gr->name);
	else
		snprintf(buf, sizeof(buf), "%s", gr->name);
	for (i = 0; i < gr->nmembers; i++) {
		if (gr->members[i].is_group)
			continue;
		if (via == NULL && (r = keep_path(x, buf, &via)) != 0)
			return r;
		if ((r = reach_person(x, gr->members[i].idx, via)) != 0)
			return r;
	}
	for (i = 0; i < gr->nmembers; i++) {
		if (gr->members[i].is_group &&
		    (r = reach_group(x, gr->members[i].idx, buf)) != 0)
			return r;
	}
	return 0;
}

/* The entry of key k of a person reached by grant g. */
static void
make_entry(struct kp_entry *e, const struct kp_team_grant *g,
    const struct kp_team_key *k, const struct kp_person *pe, const char *via)
{
	const struct kp_entry *t = &g->e;

	memset(e, 0, sizeof(*e));
	e->borrowed = 1;
	e->id = k->id;
	e->owner = pe->owner;
	e->key = k->key;
	e->accounts = t->accounts;
	e->naccounts = t->naccounts;
	e->hosts = t->hosts;
	e->nhosts = t->nhosts;
	e->from = t->from;
	e->nfrom = t->nfrom;
	e->sources = t->sources;
	e->nsources = t->nsources;
	e->not_before =
	    kp_teams_combine_not_before(k->not_before, t->not_before);
	e->expires = kp_teams_combine_expires(k->expires, t->expires);
	e->options = t->options;
	e->noptions = t->noptions;
	e->command = t->command;
	e->comment = k->comment != NULL ? k->comment : t->comment;
	e->line = t->line;
	e->column = t->column;
	e->file = t->file;
	e->grant = t->id;
	e->via = via;
}

int64_t
kp_teams_combine_not_before(int64_t key, int64_t grant)
{
	return key > grant ? key : grant;
}

int64_t
kp_teams_combine_expires(int64_t key, int64_t grant)
{
	return key < grant ? key : grant;
}

static int
expand_grants(struct kp_policy *p, struct kp_teams *t, struct kp_diag *d)
{
	struct expand x;
	struct kp_team_grant *g;
	struct kp_entry *entries;
	const struct kp_person *pe;
	const struct kp_team_key *k;
	size_t i, j, total = 0, base;
	size_t *cut = NULL; /* x.v index where each grant's keys start */
	size_t *pstamp = NULL; /* per person: 1 + the grant last counted */
	int r = KP_ERR_NOMEM;

	memset(&x, 0, sizeof(x));
	x.t = t;
	x.d = d;
	if (t->ngrants == 0)
		return 0;
	if ((t->nkeys > 0 &&
	        (x.stamp = calloc(t->nkeys, sizeof(*x.stamp))) == NULL) ||
	    (t->npeople > 0 &&
	        (pstamp = calloc(t->npeople, sizeof(*pstamp))) == NULL) ||
	    (cut = calloc(t->ngrants + 1, sizeof(*cut))) == NULL)
		goto out;
	for (i = 0; i < t->ngrants; i++) {
		g = &t->grants[i];
		x.grant = i;
		cut[i] = x.n;
		for (j = 0; j < g->nto; j++) {
			if (g->to[j].is_group)
				r = reach_group(&x, g->to[j].idx, NULL);
			else if (g->to[j].is_key)
				r = reach_key(&x, g->to[j].idx, NULL);
			else
				r = reach_person(&x, g->to[j].idx, NULL);
			if (r != 0)
				goto out;
		}
		for (j = cut[i]; j < x.n; j++) {
			if (pstamp[x.v[j].person] == i + 1)
				continue;
			pstamp[x.v[j].person] = i + 1;
			t->people[x.v[j].person].ngrants++;
			g->npeople++;
		}
		for (j = cut[i]; j < x.n; j++) {
			k = &t->keys[x.v[j].key];
			if (kp_time_window_valid(
			        kp_teams_combine_not_before(
			            k->not_before, g->e.not_before),
			        kp_teams_combine_expires(
			            k->expires, g->e.expires)))
				total++;
		}
	}
	cut[t->ngrants] = x.n;
	if (total == 0) {
		r = 0;
		goto out;
	}
	if (total > SIZE_MAX / sizeof(*entries) - p->nentries) {
		r = terr(d, KP_ERR_TOOBIG, 0, 0, "too many grants");
		goto out;
	}
	entries =
	    reallocarray(p->entries, p->nentries + total, sizeof(*entries));
	if (entries == NULL)
		goto out;
	p->entries = entries;
	base = p->nentries;
	for (i = 0; i < t->ngrants; i++) {
		g = &t->grants[i];
		for (j = cut[i]; j < cut[i + 1]; j++) {
			pe = &t->people[x.v[j].person];
			k = &t->keys[x.v[j].key];
			/*
			 * A key whose own window and the grant's do not
			 * overlap never logs in through it: no entry.
			 */
			if (!kp_time_window_valid(
			        kp_teams_combine_not_before(
			            k->not_before, g->e.not_before),
			        kp_teams_combine_expires(
			            k->expires, g->e.expires)))
				continue;
			make_entry(&p->entries[base++], g, k, pe, x.v[j].via);
		}
	}
	p->nentries = base;
	r = 0;
out:
	if (r == KP_ERR_NOMEM)
		terr(d, r, 0, 0, "out of memory");
	free(x.v);
	free(x.stamp);
	free(pstamp);
	free(cut);
	return r;
}

int
kp_teams_resolve(struct kp_policy *p, struct kp_diag *d)
{
	struct kp_teams *t;
	size_t i;
	int r;

	if (p == NULL || (t = p->teams) == NULL)
		return 0;
	t->files = p->files;
	t->nfiles = p->nfiles;
	for (i = 0; i < t->ngroups; i++) {
		if ((r = resolve_members(t, "group", t->groups[i].name,
		         t->groups[i].members, t->groups[i].nmembers, d)) != 0)
			return r;
	}
	for (i = 0; i < t->ngrants; i++) {
		if ((r = resolve_members(t, "grant", t->grants[i].e.id,
		         t->grants[i].to, t->grants[i].nto, d)) != 0)
			return r;
	}
	if ((r = check_groups(t, d)) != 0 ||
	    (r = check_against_entries(p, t, d)) != 0)
		return r;
	return expand_grants(p, t, d);
}

static int
cmp_fp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
kp_policy_nkeys(const struct kp_policy *p, size_t *out)
{
	const struct kp_teams *t;
	const char **fps;
	size_t i, n = 0, total;

	if (out == NULL)
		return KP_ERR_ARG;
	*out = 0;
	if (p == NULL)
		return KP_ERR_ARG;
	t = p->teams;
	total = p->nentries + (t != NULL ? t->nkeys : 0);
	if (total == 0)
		return 0;
	if ((fps = calloc(total, sizeof(*fps))) == NULL)
		return KP_ERR_NOMEM;
	for (i = 0; i < p->nentries; i++)
		fps[n++] = p->entries[i].key->fp;
	for (i = 0; t != NULL && i < t->nkeys; i++)
		fps[n++] = t->keys[i].key->fp;
	qsort(fps, n, sizeof(*fps), cmp_fp);
	/* One key, however many grants and entries name it. */
	*out = 1;
	for (i = 1; i < n; i++)
		if (strcmp(fps[i], fps[i - 1]) != 0)
			(*out)++;
	free(fps);
	return 0;
}
