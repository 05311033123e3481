/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * The access matrix of a policy: one row per (account, entry), with the
 * status a login would get at a given time. The status comes from
 * kp_decide() over that one grant, so the report can never disagree with
 * the login path about what "expired" or "revoked" means.
 */

#include <stdlib.h>
#include <string.h>

#include "keyauth.h"
#include "kp-policy.h"
#include "kp-internal.h"
#include "keyauth-admin.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- rows */

static const char *const status_text[] = {
    [KP_RS_ACTIVE] = "active",
    [KP_RS_EXPIRED] = "expired",
    [KP_RS_NOT_YET_VALID] = "not yet valid",
    [KP_RS_REVOKED] = "revoked",
    [KP_RS_POLICY_STALE] = "policy stale",
};

static const char *const status_json[] = {
    [KP_RS_ACTIVE] = "active",
    [KP_RS_EXPIRED] = "expired",
    [KP_RS_NOT_YET_VALID] = "not_yet_valid",
    [KP_RS_REVOKED] = "revoked",
    [KP_RS_POLICY_STALE] = "policy_stale",
};

const char *
kp_report_status_str(enum kp_report_status s)
{
	if ((unsigned)s >= NELEM(status_text))
		return "?";
	return status_text[s];
}

/*
 * The decision for this account and entry alone, with the source check
 * left out (the report lists the sources instead).
 */
static int
row_status_of(int64_t policy_expires, int revoked, const struct kp_entry *e,
    const char *account, int64_t at, enum kp_report_status *st)
{
	struct kp_grant g;
	struct kp_request req;
	struct kp_decision dec;

	/* Hosts and sources are the report's columns, not its status. */
	kp_entry_grant(e, NULL, &g);
	g.host_ok = 1;
	g.sources = NULL;
	g.nsources = 0;
	memset(&req, 0, sizeof(req));
	req.account = account;
	req.fp = e->key->fp;
	req.host = "-";
	req.now = at;
	kp_decide(policy_expires, revoked, &g, 1, &req, &dec);
	switch (dec.reason) {
	case KP_ALLOWED:
		*st = KP_RS_ACTIVE;
		return 0;
	case KP_EXPIRED:
		*st = KP_RS_EXPIRED;
		return 0;
	case KP_NOT_YET_VALID:
		*st = KP_RS_NOT_YET_VALID;
		return 0;
	case KP_REVOKED:
		*st = KP_RS_REVOKED;
		return 0;
	case KP_POLICY_STALE:
		*st = KP_RS_POLICY_STALE;
		return 0;
	default:
		return KP_ERR_INTERNAL;
	}
}

static int
row_status(const struct kp_policy *p, const struct kp_entry *e,
    const char *account, int64_t at, enum kp_report_status *st)
{
	return row_status_of(p->expires,
	    kp_policy_is_revoked(p, e->key->fp, e->owner), e, account, at, st);
}

int
kp_report_by_parse(const char *s, enum kp_report_by *by)
{
	if (s == NULL || strcmp(s, "account") == 0)
		*by = KP_REPORT_BY_ACCOUNT;
	else if (strcmp(s, "grant") == 0)
		*by = KP_REPORT_BY_GRANT;
	else if (strcmp(s, "group") == 0)
		*by = KP_REPORT_BY_GROUP;
	else if (strcmp(s, "person") == 0)
		*by = KP_REPORT_BY_PERSON;
	else
		return -1;
	return 0;
}

/* The value of the grouping column of row (never NULL). */
static const char *
by_value(const struct kp_report_row *row, enum kp_report_by by)
{
	const struct kp_entry *e = row->entry;

	switch (by) {
	case KP_REPORT_BY_GRANT:
		return e->grant != NULL ? e->grant : "-";
	case KP_REPORT_BY_GROUP:
		return e->via != NULL ? e->via : "-";
	case KP_REPORT_BY_PERSON:
		return e->owner;
	default:
		return row->account;
	}
}

static int
row_cmp(const void *a, const void *b, void *arg)
{
	const struct kp_report_row *x = a, *y = b;
	enum kp_report_by by = *(const enum kp_report_by *)arg;
	int c;

	if (by != KP_REPORT_BY_ACCOUNT &&
	    (c = strcmp(by_value(x, by), by_value(y, by))) != 0)
		return c;
	if ((c = strcmp(x->account, y->account)) != 0)
		return c;
	if ((c = strcmp(x->entry->id, y->entry->id)) != 0)
		return c;
	return x->entry < y->entry ? -1 : x->entry > y->entry;
}

int
kp_report_rows(const struct kp_policy *p, const struct kp_report_filter *f,
    int64_t at, struct kp_report_row **rows, size_t *nrows)
{
	struct kp_report_row *v = NULL, *tmp;
	const struct kp_entry *e;
	enum kp_report_by by = f != NULL ? f->by : KP_REPORT_BY_ACCOUNT;
	size_t i, j, n = 0, cap = 0;
	int r;

	if (rows != NULL)
		*rows = NULL;
	if (nrows != NULL)
		*nrows = 0;
	if (p == NULL || rows == NULL || nrows == NULL)
		return KP_ERR_ARG;
	for (i = 0; i < p->nentries; i++) {
		e = &p->entries[i];
		if (e->key == NULL)
			continue;
		if (f != NULL && f->owner != NULL &&
		    strcmp(f->owner, e->owner) != 0)
			continue;
		if (f != NULL && f->host != NULL &&
		    !kp_entry_applies(e, f->host))
			continue;
		for (j = 0; j < e->naccounts; j++) {
			if (f != NULL && f->account != NULL &&
			    strcmp(f->account, e->accounts[j]) != 0)
				continue;
			if (n == cap) {
				cap = cap == 0 ? 64 : cap * 2;
				if ((tmp = reallocarray(v, cap, sizeof(*v))) ==
				    NULL) {
					r = KP_ERR_NOMEM;
					goto out;
				}
				v = tmp;
			}
			v[n].account = e->accounts[j];
			v[n].entry = e;
			if ((r = row_status(
			         p, e, e->accounts[j], at, &v[n].status)) != 0)
				goto out;
			n++;
		}
	}
	if (n > 0)
		qsort_r(v, n, sizeof(*v), row_cmp, &by);
	*rows = v; /* the caller's; borrows from p */
	*nrows = n;
	v = NULL;
	r = 0;
out:
	free(v);
	return r;
}

/* ------------------------------------------------------------- output */

enum col {
	C_BY, /* report --by: the grouping column, first */
	C_ACCOUNT,
	C_ID,
	C_OWNER,
	C_GRANT,
	C_VIA,
	C_FP,
	C_FROM,
	C_HOSTS,
	C_NOT_BEFORE,
	C_EXPIRES,
	C_STATUS,
	C_RESTRICT,
	C_COUNT
};

static const char *const col_names[C_COUNT] = {"", "ACCOUNT", "KEY ID", "OWNER",
    "GRANT", "VIA", "FINGERPRINT", "FROM", "HOSTS", "VALID FROM", "EXPIRES",
    "STATUS", "OPTIONS/COMMAND"};

static const char *const by_names[] = {
    [KP_REPORT_BY_ACCOUNT] = "ACCOUNT",
    [KP_REPORT_BY_GRANT] = "GRANT",
    [KP_REPORT_BY_GROUP] = "GROUP",
    [KP_REPORT_BY_PERSON] = "PERSON",
};

static void
put_list(struct kp_buf *b, char *const *v, size_t n, const char *sep,
    const char *none)
{
	size_t i;

	if (n == 0) {
		kp_buf_puts(b, none);
		return;
	}
	for (i = 0; i < n; i++) {
		if (i > 0)
			kp_buf_puts(b, sep);
		kp_buf_puts(b, v[i]);
	}
}

static void
put_sources(struct kp_buf *b, const struct kp_entry *e, const char *sep,
    const char *none)
{
	char addr[64];
	size_t i;

	if (e->nsources == 0) {
		kp_buf_puts(b, none);
		return;
	}
	for (i = 0; i < e->nsources; i++) {
		kp_cidr_format(&e->sources[i], addr, sizeof(addr));
		if (i > 0)
			kp_buf_puts(b, sep);
		kp_buf_puts(b, addr);
	}
}

static void
put_restrictions(struct kp_buf *b, const struct kp_entry *e, const char *none)
{
	put_list(b, e->options, e->noptions, ",", e->command ? "" : none);
	if (e->command != NULL)
		kp_buf_printf(
		    b, "%scommand=\"%s\"", e->noptions ? "," : "", e->command);
}

/* One cell of the text table, appended to b. */
static void
cell(const struct kp_report_row *row, enum col c, enum kp_report_by by,
    struct kp_buf *b)
{
	const struct kp_entry *e = row->entry;

	switch (c) {
	case C_BY:
		kp_buf_puts(b, by_value(row, by));
		break;
	case C_GRANT:
		kp_buf_puts(b, e->grant != NULL ? e->grant : "-");
		break;
	case C_VIA:
		kp_buf_puts(b, e->via != NULL ? "group " : "");
		kp_buf_puts(b, e->via != NULL ? e->via : "-");
		break;
	case C_ACCOUNT:
		kp_buf_puts(b, row->account);
		break;
	case C_ID:
		kp_buf_puts(b, e->id);
		break;
	case C_OWNER:
		kp_buf_puts(b, e->owner);
		break;
	case C_FP:
		kp_buf_puts(b, e->key->fp);
		break;
	case C_FROM:
		put_list(b, e->from, e->nfrom, ",", "any");
		break;
	case C_HOSTS:
		put_list(b, e->hosts, e->nhosts, ",", "all");
		break;
	case C_NOT_BEFORE:
		kp_buf_put_time(b, e->not_before, "-");
		break;
	case C_EXPIRES:
		kp_buf_put_time(b, e->expires, "never");
		break;
	case C_STATUS:
		kp_buf_puts(b, kp_report_status_str(row->status));
		break;
	case C_RESTRICT:
		put_restrictions(b, e, "-");
		break;
	case C_COUNT:
		break;
	}
}

static void
header(struct kp_buf *b, const struct kp_policy *p,
    const struct kp_report_filter *f, int64_t at)
{
	char ts[64];

	kp_time_format(at, ts, sizeof(ts));
	kp_buf_printf(b, "policy: %s serial %llu sha256 %.16s\n",
	    p->path != NULL ? p->path : "-", (unsigned long long)p->serial,
	    p->sha256);
	kp_buf_printf(b, "at: %s\n", ts);
	kp_buf_printf(b, "host: %s\n",
	    f != NULL && f->host != NULL ? f->host : "all hosts");
	if (f != NULL && f->installed)
		kp_buf_puts(b,
		    "source: the installed index (this host's grants only; "
		    "--policy-file for other hosts)\n");
	if (f != NULL && f->account != NULL)
		kp_buf_printf(b, "account: %s\n", f->account);
	if (f != NULL && f->owner != NULL)
		kp_buf_printf(b, "owner: %s\n", f->owner);
}

static void
summary(struct kp_buf *b, const struct kp_report_row *rows, size_t n)
{
	size_t cnt[NELEM(status_text)] = {0}, i;
	int first = 1;

	for (i = 0; i < n; i++)
		cnt[rows[i].status]++;
	kp_buf_printf(b, "%zu %s", n, n == 1 ? "row" : "rows");
	for (i = 0; i < NELEM(status_text); i++) {
		if (cnt[i] == 0)
			continue;
		kp_buf_printf(
		    b, "%s %zu %s", first ? ":" : ",", cnt[i], status_text[i]);
		first = 0;
	}
	kp_buf_putc(b, '\n');
}

/* ------------------------------------------------------- authorities */

static void json_strv(struct kp_buf *b, char *const *v, size_t n);
static void json_time(struct kp_buf *b, int64_t t);

/*
 * The authorities of p (docs/certificates.md), one row per account that
 * passes f: the CA, the principals a certificate needs for that account,
 * and the status at at. Written only when the policy has authorities, so
 * a report of keys alone is what it was.
 */
enum kp_report_status
kp_report_authority_status(
    const struct kp_policy *p, const struct kp_entry *e, int64_t at)
{
	if (kp_policy_is_revoked(p, e->key->fp, e->owner))
		return KP_RS_REVOKED;
	if (kp_policy_stale(p->expires, at))
		return KP_RS_POLICY_STALE;
	if (at < e->not_before)
		return KP_RS_NOT_YET_VALID;
	if (at >= e->expires)
		return KP_RS_EXPIRED;
	return KP_RS_ACTIVE;
}

static int
authority_passes(const struct kp_entry *e, const char *account,
    const struct kp_report_filter *f)
{
	if (f == NULL)
		return 1;
	if (f->account != NULL && strcmp(f->account, account) != 0)
		return 0;
	if (f->owner != NULL && strcmp(f->owner, e->owner) != 0)
		return 0;
	return f->host == NULL || kp_entry_applies(e, f->host);
}

static void
put_principals(struct kp_buf *b, const struct kp_authority *a,
    const char *account, const char *sep)
{
	char *const *names;
	size_t n;

	kp_authority_principals(a, account, &names, &n);
	if (n == 0)
		kp_buf_printf(b, "%s (the account)", account);
	else
		put_list(b, names, n, sep, "-");
}

static const char *const auth_cols[] = {"ACCOUNT", "AUTHORITY", "OWNER", "CA",
    "PRINCIPALS", "FROM", "HOSTS", "EXPIRES", "STATUS"};

static int
authorities_text(const struct kp_policy *p, const struct kp_report_filter *f,
    int64_t at, struct kp_buf *b)
{
	const struct kp_authority *a;
	struct kp_table t;
	size_t i, j, rows = 0;
	int r;

	if (p->nauthorities == 0)
		return 0;
	kp_table_init(&t, auth_cols, NELEM(auth_cols));
	for (i = 0; i < p->nauthorities; i++) {
		a = &p->authorities[i];
		for (j = 0; j < a->e.naccounts; j++) {
			if (!authority_passes(&a->e, a->e.accounts[j], f))
				continue;
			rows++;
			kp_buf_puts(kp_table_cell(&t), a->e.accounts[j]);
			kp_buf_puts(kp_table_cell(&t), a->e.id);
			kp_buf_puts(kp_table_cell(&t), a->e.owner);
			kp_buf_puts(kp_table_cell(&t), a->e.key->fp);
			put_principals(
			    kp_table_cell(&t), a, a->e.accounts[j], ",");
			put_list(kp_table_cell(&t), a->e.from, a->e.nfrom, ",",
			    "any");
			put_list(kp_table_cell(&t), a->e.hosts, a->e.nhosts,
			    ",", "all");
			kp_buf_put_time(
			    kp_table_cell(&t), a->e.expires, "never");
			kp_buf_puts(kp_table_cell(&t),
			    kp_report_status_str(
			        kp_report_authority_status(p, &a->e, at)));
		}
	}
	kp_buf_puts(b, "\ncertificate authorities:\n");
	if (rows == 0)
		kp_buf_puts(b, "none matches\n");
	r = rows > 0 ? kp_table_write(b, &t, "") : 0;
	kp_table_free(&t);
	return r != 0 ? r : b->err;
}

static void
authorities_json(const struct kp_policy *p, const struct kp_report_filter *f,
    int64_t at, struct kp_buf *b)
{
	const struct kp_authority *a;
	char *const *names;
	size_t i, j, n, rows = 0;

	kp_buf_puts(b, "  \"authorities\": [");
	for (i = 0; i < p->nauthorities; i++) {
		a = &p->authorities[i];
		for (j = 0; j < a->e.naccounts; j++) {
			if (!authority_passes(&a->e, a->e.accounts[j], f))
				continue;
			kp_buf_puts(b, rows++ > 0 ? ",\n    {" : "\n    {");
			kp_buf_puts(b, "\"account\": ");
			kp_json_str(b, a->e.accounts[j]);
			kp_buf_puts(b, ", \"authority\": ");
			kp_json_str(b, a->e.id);
			kp_buf_puts(b, ", \"owner\": ");
			kp_json_str(b, a->e.owner);
			kp_buf_puts(b, ", \"ca_fingerprint\": ");
			kp_json_str(b, a->e.key->fp);
			kp_buf_puts(b, ", \"principals\": ");
			kp_authority_principals(
			    a, a->e.accounts[j], &names, &n);
			if (n == 0)
				json_strv(b, &a->e.accounts[j], 1);
			else
				json_strv(b, names, n);
			kp_buf_puts(b, ", \"from\": ");
			json_strv(b, a->e.from, a->e.nfrom);
			kp_buf_puts(b, ", \"hosts\": ");
			json_strv(b, a->e.hosts, a->e.nhosts);
			kp_buf_puts(b, ", \"expires\": ");
			json_time(b, a->e.expires);
			kp_buf_puts(b, ", \"status\": ");
			kp_json_str(b,
			    status_json[kp_report_authority_status(
			        p, &a->e, at)]);
			kp_buf_putc(b, '}');
		}
	}
	kp_buf_puts(b, rows > 0 ? "\n  ],\n" : "],\n");
}

/*
 * A version 2 policy's report names the grant and the group of each row;
 * so does one from an index compiled from such a policy.
 */
static int
grants_shown(const struct kp_policy *p, const struct kp_report_filter *f)
{
	return p->teams != NULL || (f != NULL && f->installed && f->teams);
}

static int
format_text(const struct kp_policy *p, const struct kp_report_filter *f,
    int64_t at, const struct kp_report_row *rows, size_t n, struct kp_buf *b)
{
	enum kp_report_by by = f != NULL ? f->by : KP_REPORT_BY_ACCOUNT;
	const char *names[C_COUNT];
	enum col cols[C_COUNT];
	struct kp_table t;
	size_t i, k, ncols = 0;
	int r;

	header(b, p, f, at);
	kp_buf_putc(b, '\n');
	if (n == 0) {
		kp_buf_puts(b, "no access: no entry matches\n");
		if ((r = authorities_text(p, f, at, b)) != 0)
			return r;
		return b->err;
	}
	/*
	 * A version 1 policy's table is what it always was; a version 2
	 * one says, on every row, the grant and the group behind it.
	 */
	for (k = 0; k < C_COUNT; k++) {
		if ((k == C_BY && by == KP_REPORT_BY_ACCOUNT) ||
		    ((k == C_GRANT || k == C_VIA) && !grants_shown(p, f)) ||
		    (k == C_GRANT && by == KP_REPORT_BY_GRANT) ||
		    (k == C_VIA && by == KP_REPORT_BY_GROUP) ||
		    (k == C_OWNER && by == KP_REPORT_BY_PERSON))
			continue;
		names[ncols] = k == C_BY ? by_names[by] : col_names[k];
		cols[ncols++] = (enum col)k;
	}
	kp_table_init(&t, names, ncols);
	for (i = 0; i < n; i++) {
		for (k = 0; k < ncols; k++)
			cell(&rows[i], cols[k], by, kp_table_cell(&t));
	}
	r = kp_table_write(b, &t, "");
	kp_table_free(&t);
	if (r != 0)
		return r;
	kp_buf_putc(b, '\n');
	summary(b, rows, n);
	if ((r = authorities_text(p, f, at, b)) != 0)
		return r;
	return b->err;
}

/*
 * One CSV row: the columns every row has (for an authority, its id, the
 * CA's fingerprint and type), then grant and via for a policy of teams.
 */
static void
csv_entry(struct kp_buf *b, struct kp_buf *c, int grants, const char *account,
    const struct kp_entry *e, const char *status)
{
	kp_csv_field(b, account);
	kp_buf_putc(b, ',');
	kp_csv_field(b, e->id);
	kp_buf_putc(b, ',');
	kp_csv_field(b, e->owner);
	kp_buf_putc(b, ',');
	kp_csv_field(b, e->key->fp);
	kp_buf_putc(b, ',');
	kp_csv_field(b, e->key->type);
	kp_buf_putc(b, ',');
#define CSV_CELL(stmt) \
	do { \
		kp_buf_free(c); \
		kp_buf_init(c, KP_ADMIN_OUT_MAX); \
		kp_buf_puts(c, ""); \
		stmt; \
		kp_csv_field(b, c->s); \
	} while (0)
	CSV_CELL(put_list(c, e->from, e->nfrom, " ", ""));
	kp_buf_putc(b, ',');
	CSV_CELL(put_sources(c, e, " ", ""));
	kp_buf_putc(b, ',');
	CSV_CELL(put_list(c, e->hosts, e->nhosts, " ", ""));
	kp_buf_putc(b, ',');
	CSV_CELL(kp_buf_put_time(c, e->not_before, ""));
	kp_buf_putc(b, ',');
	CSV_CELL(kp_buf_put_time(c, e->expires, ""));
	kp_buf_putc(b, ',');
	CSV_CELL(put_list(c, e->options, e->noptions, " ", ""));
#undef CSV_CELL
	kp_buf_putc(b, ',');
	kp_csv_field(b, e->command);
	kp_buf_putc(b, ',');
	kp_csv_field(b, status);
	if (grants) {
		kp_buf_putc(b, ',');
		kp_csv_field(b, e->grant);
		kp_buf_putc(b, ',');
		kp_csv_field(b, e->via);
	}
	if (c->err != 0)
		b->err = c->err;
}

/*
 * Keys, then (a policy with authorities only, so a report of keys alone
 * is what it was) one row per authority and account that pass f, kind
 * "authority", with the principals a certificate needs for the account:
 * its list, or the account's own name (docs/certificates.md).
 */
static int
format_csv(const struct kp_policy *p, const struct kp_report_filter *f,
    int64_t at, const struct kp_report_row *rows, size_t n, struct kp_buf *b)
{
	const struct kp_authority *a;
	char *const *names;
	struct kp_buf c;
	size_t i, j, k, np;
	int cas = p->nauthorities > 0;

	kp_buf_puts(b,
	    "account,key_id,owner,fingerprint,key_type,from,"
	    "sources,hosts,not_before,expires,options,command,"
	    "status");
	kp_buf_puts(b, grants_shown(p, f) ? ",grant,via" : "");
	kp_buf_puts(b, cas ? ",kind,principals\n" : "\n");
	kp_buf_init(&c, KP_ADMIN_OUT_MAX);
	for (i = 0; i < n && b->err == 0; i++) {
		csv_entry(b, &c, grants_shown(p, f), rows[i].account,
		    rows[i].entry, status_json[rows[i].status]);
		kp_buf_puts(b, cas ? ",key,\n" : "\n");
	}
	for (i = 0; i < p->nauthorities && b->err == 0; i++) {
		a = &p->authorities[i];
		for (j = 0; j < a->e.naccounts && b->err == 0; j++) {
			if (!authority_passes(&a->e, a->e.accounts[j], f))
				continue;
			csv_entry(b, &c, grants_shown(p, f), a->e.accounts[j],
			    &a->e,
			    status_json[kp_report_authority_status(
			        p, &a->e, at)]);
			kp_buf_puts(b, ",authority,");
			kp_authority_principals(
			    a, a->e.accounts[j], &names, &np);
			kp_buf_free(&c);
			kp_buf_init(&c, KP_ADMIN_OUT_MAX);
			kp_buf_puts(&c, "");
			if (np == 0)
				kp_buf_puts(&c, a->e.accounts[j]);
			for (k = 0; k < np; k++)
				kp_buf_printf(
				    &c, "%s%s", k > 0 ? " " : "", names[k]);
			kp_csv_field(b, c.s);
			kp_buf_putc(b, '\n');
			if (c.err != 0)
				b->err = c.err;
		}
	}
	kp_buf_free(&c);
	return b->err;
}

static void
json_strv(struct kp_buf *b, char *const *v, size_t n)
{
	size_t i;

	if (n == 0) {
		kp_buf_puts(b, "null");
		return;
	}
	kp_buf_putc(b, '[');
	for (i = 0; i < n; i++) {
		if (i > 0)
			kp_buf_puts(b, ", ");
		kp_json_str(b, v[i]);
	}
	kp_buf_putc(b, ']');
}

static void
json_time(struct kp_buf *b, int64_t t)
{
	char ts[64];

	if (t == KP_TIME_NONE_BEFORE || t == KP_TIME_NONE_AFTER) {
		kp_buf_puts(b, "null");
		return;
	}
	kp_time_format(t, ts, sizeof(ts));
	kp_json_str(b, ts);
}

static int
format_json(const struct kp_policy *p, const struct kp_report_filter *f,
    int64_t at, const struct kp_report_row *rows, size_t n, struct kp_buf *b)
{
	const struct kp_entry *e;
	size_t cnt[NELEM(status_json)] = {0}, i, k;
	char ts[64], addr[64];

	kp_time_format(at, ts, sizeof(ts));
	kp_buf_puts(
	    b, "{\n  \"report_version\": 1,\n  \"policy\": {\"path\": ");
	kp_json_str(b, p->path);
	kp_buf_printf(b,
	    ", \"serial\": %llu, \"sha256\": ", (unsigned long long)p->serial);
	kp_json_str(b, p->sha256);
	kp_buf_puts(b, ", \"expires\": ");
	json_time(b, p->expires);
	kp_buf_puts(b, "},\n  \"at\": ");
	kp_json_str(b, ts);
	kp_buf_puts(b, ",\n  \"filter\": {\"account\": ");
	kp_json_str(b, f != NULL ? f->account : NULL);
	kp_buf_puts(b, ", \"owner\": ");
	kp_json_str(b, f != NULL ? f->owner : NULL);
	kp_buf_puts(b, ", \"host\": ");
	kp_json_str(b, f != NULL ? f->host : NULL);
	kp_buf_puts(b, "},\n  \"rows\": [");
	for (i = 0; i < n; i++) {
		e = rows[i].entry;
		cnt[rows[i].status]++;
		kp_buf_puts(b, i > 0 ? ",\n    {" : "\n    {");
		kp_buf_puts(b, "\"account\": ");
		kp_json_str(b, rows[i].account);
		kp_buf_puts(b, ", \"key_id\": ");
		kp_json_str(b, e->id);
		kp_buf_puts(b, ", \"owner\": ");
		kp_json_str(b, e->owner);
		kp_buf_puts(b, ", \"fingerprint\": ");
		kp_json_str(b, e->key->fp);
		kp_buf_puts(b, ", \"key_type\": ");
		kp_json_str(b, e->key->type);
		kp_buf_puts(b, ", \"from\": ");
		json_strv(b, e->from, e->nfrom);
		kp_buf_puts(b, ", \"sources\": ");
		if (e->nsources == 0)
			kp_buf_puts(b, "null");
		for (k = 0; k < e->nsources; k++) {
			kp_cidr_format(&e->sources[k], addr, sizeof(addr));
			kp_buf_puts(b, k == 0 ? "[" : ", ");
			kp_json_str(b, addr);
			if (k + 1 == e->nsources)
				kp_buf_putc(b, ']');
		}
		kp_buf_puts(b, ", \"hosts\": ");
		json_strv(b, e->hosts, e->nhosts);
		kp_buf_puts(b, ", \"not_before\": ");
		json_time(b, e->not_before);
		kp_buf_puts(b, ", \"expires\": ");
		json_time(b, e->expires);
		kp_buf_puts(b, ", \"options\": ");
		if (e->noptions == 0)
			kp_buf_puts(b, "[]");
		else
			json_strv(b, e->options, e->noptions);
		kp_buf_puts(b, ", \"command\": ");
		kp_json_str(b, e->command);
		kp_buf_puts(b, ", \"status\": ");
		kp_json_str(b, status_json[rows[i].status]);
		if (grants_shown(p, f)) {
			kp_buf_puts(b, ", \"grant\": ");
			kp_json_str(b, e->grant);
			kp_buf_puts(b, ", \"via\": ");
			kp_json_str(b, e->via);
		}
		kp_buf_putc(b, '}');
	}
	kp_buf_puts(b, n > 0 ? "\n  ],\n" : "],\n");
	if (p->nauthorities > 0)
		authorities_json(p, f, at, b);
	kp_buf_printf(b, "  \"counts\": {\"rows\": %zu", n);
	for (i = 0; i < NELEM(status_json); i++)
		kp_buf_printf(b, ", \"%s\": %zu", status_json[i], cnt[i]);
	kp_buf_puts(b, "}\n}\n");
	return b->err;
}

int
kp_report_format(const struct kp_policy *p, const struct kp_report_filter *f,
    int64_t at, const struct kp_report_row *rows, size_t nrows,
    enum kp_format fmt, char **out)
{
	struct kp_buf b;
	int r;

	if (out != NULL)
		*out = NULL;
	if (p == NULL || out == NULL || (nrows > 0 && rows == NULL))
		return KP_ERR_ARG;
	kp_buf_init(&b, KP_ADMIN_OUT_MAX);
	switch (fmt) {
	case KP_FORMAT_TEXT:
		r = format_text(p, f, at, rows, nrows, &b);
		break;
	case KP_FORMAT_CSV:
		r = format_csv(p, f, at, rows, nrows, &b);
		break;
	case KP_FORMAT_JSON:
		r = format_json(p, f, at, rows, nrows, &b);
		break;
	default:
		r = KP_ERR_ARG;
		break;
	}
	if (r != 0) {
		kp_buf_free(&b);
		return r;
	}
	return kp_buf_take(&b, out, NULL); /* the text is the caller's */
}

/* ------------------------------------------------ the installed index */

/*
 * The rows of an installed index as entries of their own (one account
 * each), so that the formatter above prints them as it prints a policy's.
 */
struct ixreport {
	const struct kp_report_filter *f;
	int64_t at, policy_expires;
	struct kp_entry *ents;
	int *revoked;
	size_t n, cap;
	int err;
	/* the authorities, and the revocations of the revoked CAs */
	struct kp_authority *cas;
	struct kp_revocation *carev;
	size_t ncas, nrev;
};

static void
ixentry_free(struct kp_entry *e)
{
	size_t i;

	free(e->id);
	free(e->owner);
	kp_pubkey_free(e->key);
	for (i = 0; i < e->naccounts; i++)
		free(e->accounts[i]);
	free(e->accounts);
	for (i = 0; i < e->nhosts; i++)
		free(e->hosts[i]);
	free(e->hosts);
	for (i = 0; i < e->nfrom; i++)
		free(e->from[i]);
	free(e->from);
	free(e->sources);
	for (i = 0; i < e->noptions; i++)
		free(e->options[i]);
	free(e->options);
	free(e->command);
	/* The index report's own copies (a policy's entries borrow them). */
	free((char *)(uintptr_t)e->grant);
	free((char *)(uintptr_t)e->via);
}

static int
strv_copy(char ***out, size_t *nout, const char *const *v, size_t n)
{
	size_t i;

	*out = NULL;
	*nout = 0;
	for (i = 0; i < n; i++)
		if (kp_strv_add(out, nout, v[i], strlen(v[i])) != 0)
			return KP_ERR_NOMEM;
	return 0;
}

/* e (zeroed) as the entry of g, with accounts[0..naccounts) as its own. */
static int
ixentry_fill(struct kp_entry *e, const struct kp_index_grant *g,
    const char *const *accounts, size_t naccounts)
{
	e->not_before = g->not_before;
	e->expires = g->expires;
	if ((e->id = strdup(g->id)) == NULL ||
	    (e->owner = strdup(g->owner)) == NULL ||
	    (e->key = calloc(1, sizeof(*e->key))) == NULL ||
	    (e->key->type = strdup(g->type)) == NULL ||
	    (g->command != NULL && (e->command = strdup(g->command)) == NULL) ||
	    strv_copy(&e->accounts, &e->naccounts, accounts, naccounts) != 0 ||
	    strv_copy(&e->from, &e->nfrom, g->from, g->nfrom) != 0 ||
	    strv_copy(&e->hosts, &e->nhosts, g->hosts, g->nhosts) != 0 ||
	    strv_copy(&e->options, &e->noptions, g->options, g->noptions) !=
	        0 ||
	    (g->grant != NULL && (e->grant = strdup(g->grant)) == NULL) ||
	    (g->via != NULL && (e->via = strdup(g->via)) == NULL))
		return KP_ERR_NOMEM;
	snprintf(e->key->fp, sizeof(e->key->fp), "%s", g->fp);
	if (g->nsources > 0) {
		if ((e->sources = calloc(g->nsources, sizeof(*e->sources))) ==
		    NULL)
			return KP_ERR_NOMEM;
		memcpy(
		    e->sources, g->sources, g->nsources * sizeof(*e->sources));
		e->nsources = g->nsources;
	}
	return 0;
}

static int
ixreport_row(void *arg, const struct kp_index_grant *g)
{
	struct ixreport *x = arg;
	struct kp_entry *e, *tmp;
	int *rtmp;
	size_t ncap;

	if (x->f->owner != NULL && strcmp(x->f->owner, g->owner) != 0)
		return 0;
	if (x->n == x->cap) {
		ncap = x->cap == 0 ? 64 : x->cap * 2;
		if ((tmp = reallocarray(x->ents, ncap, sizeof(*tmp))) == NULL)
			return KP_ERR_NOMEM;
		x->ents = tmp;
		if ((rtmp = reallocarray(x->revoked, ncap, sizeof(*rtmp))) ==
		    NULL)
			return KP_ERR_NOMEM;
		x->revoked = rtmp;
		x->cap = ncap;
	}
	e = &x->ents[x->n++];
	memset(e, 0, sizeof(*e));
	x->revoked[x->n - 1] = g->revoked;
	return ixentry_fill(e, g, &g->account, 1);
}

/*
 * An authority of the index as the policy's authority it was compiled
 * from: its entry, a principal list for each account that has one, and
 * for a revoked CA a revocation of its fingerprint, so that the
 * formatters above, and kp_report_authority_status(), treat it exactly
 * as they treat the YAML's. The authorities are few: one at a time.
 */
static int
ixreport_authority(void *arg, const struct kp_index_grant *g)
{
	struct ixreport *x = arg;
	struct kp_authority *a, *tmp;
	struct kp_revocation *rv;
	size_t i, k;
	int r;

	if ((tmp = reallocarray(x->cas, x->ncas + 1, sizeof(*tmp))) == NULL)
		return KP_ERR_NOMEM;
	x->cas = tmp;
	a = &x->cas[x->ncas++];
	memset(a, 0, sizeof(*a));
	if ((r = ixentry_fill(&a->e, g, g->accounts, g->naccounts)) != 0)
		return r;
	if (g->naccounts > 0 &&
	    (a->principals = calloc(g->naccounts, sizeof(*a->principals))) ==
	        NULL)
		return KP_ERR_NOMEM;
	for (i = 0; i < g->naccounts; i++) {
		if (g->pcount[i] == 0)
			continue; /* the account's own name */
		if ((a->principals[a->nprincipals].account =
		            strdup(g->accounts[i])) == NULL)
			return KP_ERR_NOMEM;
		for (k = 0; k < g->pcount[i]; k++)
			if (kp_strv_add(&a->principals[a->nprincipals].names,
			        &a->principals[a->nprincipals].nnames,
			        g->pnames[g->pfirst[i] + k],
			        strlen(g->pnames[g->pfirst[i] + k])) != 0)
				return KP_ERR_NOMEM;
		a->nprincipals++;
	}
	if (!g->revoked)
		return 0;
	if ((rv = reallocarray(x->carev, x->nrev + 1, sizeof(*rv))) == NULL)
		return KP_ERR_NOMEM;
	x->carev = rv;
	rv = &x->carev[x->nrev];
	memset(rv, 0, sizeof(*rv));
	rv->kind = KP_REVOKE_FINGERPRINT;
	if ((rv->value = strdup(g->fp)) == NULL)
		return KP_ERR_NOMEM;
	x->nrev++;
	return 0;
}

static void
ixauthority_free(struct kp_authority *a)
{
	size_t i, k;

	ixentry_free(&a->e);
	for (i = 0; i < a->nprincipals; i++) {
		free(a->principals[i].account);
		for (k = 0; k < a->principals[i].nnames; k++)
			free(a->principals[i].names[k]);
		free(a->principals[i].names);
	}
	free(a->principals);
}

int
kp_report_index(struct kp_index *ix, const char *path,
    const struct kp_report_filter *f, int64_t at, enum kp_format fmt,
    char **out)
{
	const struct kp_index_meta *m;
	struct kp_index_walk how;
	struct kp_report_filter ff;
	struct kp_report_row *rows = NULL;
	struct kp_policy pol;
	struct ixreport x;
	size_t i;
	int r;

	if (out != NULL)
		*out = NULL;
	if (ix == NULL || f == NULL || out == NULL ||
	    (m = kp_index_meta(ix)) == NULL)
		return KP_ERR_ARG;
	/* The index knows no other hosts. */
	if (f->host != NULL && kp_index_check_host(ix, f->host, NULL) != 0)
		return KP_ERR_ARG;
	memset(&x, 0, sizeof(x));
	ff = *f;
	ff.host = m->host;
	ff.installed = 1;
	if ((r = kp_index_rows_teams(ix, &ff.teams)) != 0)
		return r;
	x.f = &ff;
	x.at = at;
	memset(&how, 0, sizeof(how));
	how.by_account = 1;
	how.account = f->account;
	if ((r = kp_index_foreach(ix, &how, ixreport_row, &x)) != 0 ||
	    (r = kp_index_foreach_authority(ix, ixreport_authority, &x)) != 0)
		goto out;
	if (x.n > 0 && (rows = calloc(x.n, sizeof(*rows))) == NULL) {
		r = KP_ERR_NOMEM;
		goto out;
	}
	/* Rows point into x.ents only now that it no longer moves. */
	for (i = 0; i < x.n; i++) {
		rows[i].account = x.ents[i].accounts[0];
		rows[i].entry = &x.ents[i];
		if ((r = row_status_of(m->policy_expires, x.revoked[i],
		         &x.ents[i], rows[i].account, at, &rows[i].status)) !=
		    0)
			goto out;
	}
	if (x.n > 1)
		qsort_r(rows, x.n, sizeof(*rows), row_cmp, &ff.by);
	memset(&pol, 0, sizeof(pol));
	pol.version = 1;
	pol.serial = m->serial;
	pol.expires = m->policy_expires;
	memcpy(pol.sha256, m->sha256, sizeof(pol.sha256));
	pol.path = (char *)(uintptr_t)path;
	pol.authorities = x.cas;
	pol.nauthorities = x.ncas;
	pol.revoked = x.carev;
	pol.nrevoked = x.nrev;
	r = kp_report_format(&pol, &ff, at, rows, x.n, fmt, out);
out:
	for (i = 0; i < x.n; i++)
		ixentry_free(&x.ents[i]);
	free(x.ents);
	free(x.revoked);
	for (i = 0; i < x.ncas; i++)
		ixauthority_free(&x.cas[i]);
	free(x.cas);
	for (i = 0; i < x.nrev; i++)
		free(x.carev[i].value);
	free(x.carev);
	free(rows);
	return r;
}
