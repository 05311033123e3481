/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * Summaries of audit records (docs/audit-log.md) read from syslog files or
 * the journal. A line is a record only when a keyauth program wrote it:
 * bare (journalctl -o cat), or behind a syslog header whose tag is
 * keyauth-authorized-keys, or whose message starts with
 * pam_keyauth(SERVICE:STAGE): under the tag SERVICE[PID] (sshd logs under
 * its PAM service's name). A PAM record under any other tag is a forgery
 * and counted as untrusted; anything else that mentions "event=" is
 * counted as malformed: another program's message may carry
 * attacker-chosen text. Syslog text cannot be trusted whole (any local
 * user can write under any tag), which the summary says; the journal's
 * entries are judged by who wrote them (auditjournal.c). The record
 * itself is parsed by kp_audit_parse(), strictly.
 */

#include <stdlib.h>
#include <string.h>

#include "keyauth.h"
#include "kp-internal.h"
#include "kp-io.h"
#include "kp-policy.h"
#include "keyauth-admin.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Bounds on what one summary keeps, whatever the input holds. */
#define MAX_KEYS (1024 * 1024)
#define MAX_SET 256 /* distinct accounts, ids, clients kept per key */
#define MAX_DAYS 36600 /* days with records kept (a century) */
#define MAX_HOSTS 65536 /* hosts whose serial is kept */
#define DAY_SECONDS ((int64_t)86400)

struct when {
	char text[64]; /* "" when the line had no timestamp */
	int64_t t; /* INT64_MIN when unknown or without a year */
	uint64_t seq; /* line number over all input */
};

struct counted {
	char *s;
	uint64_t n;
};

struct set {
	struct counted *v;
	size_t n;
	uint64_t more; /* values not kept (over MAX_SET) */
};

struct keystat {
	char *fp;
	char *owner; /* the last one logged; NULL if none */
	struct set ids, accounts, clients;
	uint64_t logins; /* account stage: allow or would_deny */
	struct when last_login;
	uint64_t lookups; /* lookup: allow */
	struct when last_lookup;
	uint64_t denials;
	uint64_t revoked; /* records with reason=revoked */
	struct when last_revoked;
};

struct cand {
	char *fp;
	char *owner;
	struct set ids;
};

/* Records of one UTC day (by the line's timestamp), for the HTML chart. */
struct daystat {
	int64_t day; /* days since the epoch */
	uint64_t logins, lookups, denials;
};

/* The policy a host's newest record says it enforced. */
struct hoststat {
	char *host;
	char *serial; /* NULL when the record had none */
	char *sha256;
	struct when last;
	uint64_t records;
};

struct kp_auditlog {
	struct kp_auditlog_counts c;
	struct daystat *days; /* sorted by day */
	size_t ndays, capdays;
	uint64_t untimed; /* records without a dated stamp */
	struct hoststat *hosts;
	size_t nhosts, caphosts;
	struct kp_strtab byhost;
	uint64_t account_records;
	struct when first, last;
	uint64_t deny[KP_REASON_COUNT], would_deny[KP_REASON_COUNT];
	struct keystat *keys;
	size_t nkeys, capkeys;
	uint64_t keys_dropped;
	struct kp_strtab byfp;
	/*
	 * "Never used": the keys of the policy or the installed index that
	 * could be used (not revoked), with their entry ids; have_cands says
	 * one was given.
	 */
	int have_cands;
	uint64_t cands_serial;
	const struct kp_policy *policy; /* borrowed, for the HTML view; NULL */
	struct cand *cands;
	size_t ncands;
	unsigned inputs; /* KP_AUDITLOG_INPUT_* read so far */
};

int
kp_auditlog_new(struct kp_auditlog **out)
{
	struct kp_auditlog *a;

	if (out == NULL)
		return KP_ERR_ARG;
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		*out = NULL;
		return KP_ERR_NOMEM;
	}
	kp_strtab_init(&a->byfp);
	kp_strtab_init(&a->byhost);
	*out = a;
	return 0;
}

static void
set_free(struct set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i].s);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

void
kp_auditlog_free(struct kp_auditlog *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->nkeys; i++) {
		free(a->keys[i].fp);
		free(a->keys[i].owner);
		set_free(&a->keys[i].ids);
		set_free(&a->keys[i].accounts);
		set_free(&a->keys[i].clients);
	}
	free(a->keys);
	for (i = 0; i < a->ncands; i++) {
		free(a->cands[i].fp);
		free(a->cands[i].owner);
		set_free(&a->cands[i].ids);
	}
	free(a->cands);
	kp_strtab_free(&a->byfp);
	for (i = 0; i < a->nhosts; i++) {
		free(a->hosts[i].host);
		free(a->hosts[i].serial);
		free(a->hosts[i].sha256);
	}
	free(a->hosts);
	kp_strtab_free(&a->byhost);
	free(a->days);
	free(a);
}

static int
set_add(struct set *s, const char *v)
{
	struct counted *tmp;
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (strcmp(s->v[i].s, v) == 0) {
			s->v[i].n++;
			return 0;
		}
	}
	if (s->n >= MAX_SET) {
		s->more++;
		return 0;
	}
	if ((tmp = reallocarray(s->v, s->n + 1, sizeof(*tmp))) == NULL)
		return KP_ERR_NOMEM;
	s->v = tmp;
	if ((s->v[s->n].s = strdup(v)) == NULL)
		return KP_ERR_NOMEM;
	s->v[s->n++].n = 1;
	return 0;
}

/* 1 if a happened after b (unknown times: input order). */
static int
later(const struct when *a, const struct when *b)
{
	if (b->seq == 0)
		return 1;
	if (a->t != INT64_MIN && b->t != INT64_MIN)
		return a->t > b->t || (a->t == b->t && a->seq > b->seq);
	return a->seq > b->seq;
}

/* ------------------------------------------------------------ locating */

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "Nov 22 10:00:00" / "Nov  2 10:00:00": 15 bytes. */
static int
bsd_stamp(const char *s, size_t len)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	size_t i;

	if (len < 16 || s[3] != ' ' || s[6] != ' ' || s[9] != ':' ||
	    s[12] != ':' || s[15] != ' ')
		return 0;
	for (i = 0; i + 3 <= sizeof(months) - 1; i += 3)
		if (memcmp(s, months + i, 3) == 0)
			break;
	if (i + 3 > sizeof(months) - 1)
		return 0;
	if (!(s[4] == ' ' || is_digit(s[4])) || !is_digit(s[5]) ||
	    !is_digit(s[7]) || !is_digit(s[8]) || !is_digit(s[10]) ||
	    !is_digit(s[11]) || !is_digit(s[13]) || !is_digit(s[14]))
		return 0;
	return 1;
}

/* An RFC 3339 stamp as rsyslog or journalctl -o short-iso write it. */
static int
iso_stamp(const char *s, size_t n, int64_t *t)
{
	char tmp[64];

	if (n < 19 || n >= sizeof(tmp) - 1 || !is_digit(s[0]) || s[4] != '-')
		return 0;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (kp_time_parse(tmp, t) == 0)
		return 1;
	/* journalctl writes the zone as +0000; kp_time_parse wants +00:00 */
	if (n >= 24 && (tmp[n - 5] == '+' || tmp[n - 5] == '-') &&
	    is_digit(tmp[n - 4]) && is_digit(tmp[n - 1])) {
		memmove(tmp + n - 1, tmp + n - 2, 3);
		tmp[n - 2] = ':';
		return kp_time_parse(tmp, t) == 0;
	}
	return 0;
}

/* "pam_keyauth(SERVICE:STAGE): " at s: its length, or 0. */
static size_t
pam_marker(const char *s, size_t len)
{
	size_t i = 12;

	if (len < 12 || memcmp(s, "pam_keyauth(", 12) != 0)
		return 0;
	while (i < len && s[i] != ')' && s[i] != ' ' && s[i] != '(')
		i++;
	if (i + 3 > len || s[i] != ')' || s[i + 1] != ':' || s[i + 2] != ' ')
		return 0;
	return i + 3;
}

/*
 * 1 when the tag (without its ':', tl bytes) is "SERVICE[PID]" for the
 * SERVICE of the marker at m, whose STAGE is account or session: the tag
 * sshd logs the module's records under, its PAM service being its
 * program name.
 */
static int
pam_tag_ok(const char *tag, size_t tl, const char *m)
{
	const char *svc = m + 12, *colon, *close;
	size_t n, i;

	close = strchr(svc, ')');
	if ((colon = memchr(svc, ':', (size_t)(close - svc))) == NULL)
		return 0;
	n = (size_t)(colon - svc);
	if (!((close - colon - 1 == 7 &&
	          memcmp(colon + 1, "account", 7) == 0) ||
	        (close - colon - 1 == 7 &&
	            memcmp(colon + 1, "session", 7) == 0)))
		return 0;
	if (n == 0 || tl < n + 3 || memcmp(tag, svc, n) != 0 || tag[n] != '[' ||
	    tag[tl - 1] != ']')
		return 0;
	for (i = n + 1; i < tl - 1; i++)
		if (!is_digit(tag[i]))
			return 0;
	return 1;
}

/*
 * The syslog header "TIMESTAMP HOST TAG: " of a line: its time into ts
 * and *t, and *tag, *tl bytes long without its ':', followed by the space
 * before the message. 0 when the line has no such header.
 */
static int
syslog_header(const char *line, size_t len, char *ts, size_t tslen, int64_t *t,
    const char **tag, size_t *tl)
{
	const char *p, *sp, *end = line + len;
	size_t n;

	if (bsd_stamp(line, len)) {
		if (ts != NULL && tslen > 15) {
			memcpy(ts, line, 15);
			ts[15] = '\0';
		}
		p = line + 16;
	} else {
		/*
		 * A bounded scan rather than memchr(): the analyzer then knows
		 * the stamp lies inside the line that iso_stamp() reads.
		 */
		for (n = 0; n < len && line[n] != ' '; n++)
			;
		if (n == len || !iso_stamp(line, n, t))
			return 0;
		if (ts != NULL)
			kp_time_format(*t, ts, tslen);
		p = line + n + 1;
	}
	/* the host */
	if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL || sp == p)
		return 0;
	p = sp + 1;
	if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL || sp - p < 2 ||
	    sp[-1] != ':')
		return 0;
	*tag = p;
	*tl = (size_t)(sp - p) - 1;
	return 1;
}

int
kp_auditlog_locate(const char *line, size_t len, size_t *off, char *ts,
    size_t tslen, int64_t *t)
{
	const char *tag, *sp, *end = line + len;
	size_t n, tl;

	*off = 0;
	*t = INT64_MIN;
	if (ts != NULL && tslen > 0)
		ts[0] = '\0';
	if (len >= 6 && memcmp(line, "event=", 6) == 0)
		return 1;
	if ((n = pam_marker(line, len)) != 0) {
		*off = n;
		return 1;
	}
	if (!syslog_header(line, len, ts, tslen, t, &tag, &tl))
		return 0;
	sp = tag + tl + 1;
	if (tl >= 23 && memcmp(tag, "keyauth-authorized-keys", 23) == 0) {
		if (tl == 23)
			goto helper;
		if (tag[23] == '[' && tag[tl - 1] == ']' && tl > 25) {
			for (n = 24; n < tl - 1; n++)
				if (!is_digit(tag[n]))
					return 0;
			goto helper;
		}
	}
	/* PAM logs under the service's name (sshd[PID]:) */
	if ((n = pam_marker(sp + 1, (size_t)(end - sp - 1))) == 0)
		return 0;
	if (!pam_tag_ok(tag, tl, sp + 1))
		return 2;
	*off = (size_t)(sp + 1 - line) + n;
	return 1;
helper:
	*off = (size_t)(sp + 1 - line);
	return 1;
}

/*
 * keyauthctl's own records (event=install): bare, or behind a syslog
 * header whose tag is keyauthctl or keyauthctl[PID]. The login summary
 * skips them; keyauthctl audit --hosts (hosts.c) reads them.
 */
int
kp_auditlog_locate_install(const char *line, size_t len, size_t *off, char *ts,
    size_t tslen, int64_t *t)
{
	const char *tag, *sp, *end = line + len;
	size_t n, tl;

	*off = 0;
	*t = INT64_MIN;
	if (ts != NULL && tslen > 0)
		ts[0] = '\0';
	if (len >= 14 && memcmp(line, "event=install ", 14) == 0)
		return 1;
	if (!syslog_header(line, len, ts, tslen, t, &tag, &tl))
		return 0;
	sp = tag + tl + 1;
	if (tl < 10 || memcmp(tag, "keyauthctl", 10) != 0)
		return 0;
	if (tl > 10) {
		if (tag[10] != '[' || tag[tl - 1] != ']' || tl < 13)
			return 0;
		for (n = 11; n < tl - 1; n++)
			if (!is_digit(tag[n]))
				return 0;
	}
	*off = (size_t)(sp + 1 - line);
	return (size_t)(end - line) - *off >= 14 &&
	    memcmp(line + *off, "event=install ", 14) == 0;
}

/* ------------------------------------------------------------ counting */

static struct keystat *
key_get(struct kp_auditlog *a, const char *fp, int *err)
{
	struct keystat *k, *tmp;
	size_t i;

	if (kp_strtab_get(&a->byfp, fp, &i))
		return &a->keys[i];
	if (a->nkeys >= MAX_KEYS) {
		a->keys_dropped++;
		return NULL;
	}
	if (a->nkeys == a->capkeys) {
		size_t cap = a->capkeys == 0 ? 64 : a->capkeys * 2;

		if ((tmp = reallocarray(a->keys, cap, sizeof(*tmp))) == NULL) {
			*err = KP_ERR_NOMEM;
			return NULL;
		}
		a->keys = tmp;
		a->capkeys = cap;
	}
	k = &a->keys[a->nkeys];
	memset(k, 0, sizeof(*k));
	if ((k->fp = strdup(fp)) == NULL) {
		*err = KP_ERR_NOMEM;
		return NULL;
	}
	/* the table borrows k->fp, which never moves */
	if (kp_strtab_put(&a->byfp, k->fp, a->nkeys, NULL) < 0) {
		free(k->fp);
		*err = KP_ERR_NOMEM;
		return NULL;
	}
	a->nkeys++;
	return k;
}

static int
reason_parse(const char *s, enum kp_reason *out)
{
	int i;

	for (i = 0; i < KP_REASON_COUNT; i++) {
		if (strcmp(s, kp_reason_str((enum kp_reason)i)) == 0) {
			*out = (enum kp_reason)i;
			return 0;
		}
	}
	return KP_ERR_INVALID;
}

#define V(f, i) ((f)->absent[i] ? NULL : (f)->value[i])

/* The day of t (INT64_MIN: none), kept sorted; NULL when over the bound. */
static struct daystat *
day_get(struct kp_auditlog *a, int64_t t, int *err)
{
	int64_t d = t / DAY_SECONDS - (t % DAY_SECONDS < 0);
	struct daystat *tmp;
	size_t lo = 0, hi = a->ndays, mid;

	/* logs come in order: the last day is the usual answer */
	if (a->ndays > 0 && a->days[a->ndays - 1].day == d)
		return &a->days[a->ndays - 1];
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (a->days[mid].day < d)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < a->ndays && a->days[lo].day == d)
		return &a->days[lo];
	if (a->ndays >= MAX_DAYS)
		return NULL;
	if (a->ndays == a->capdays) {
		size_t cap = a->capdays == 0 ? 32 : a->capdays * 2;

		if ((tmp = reallocarray(a->days, cap, sizeof(*tmp))) == NULL) {
			*err = KP_ERR_NOMEM;
			return NULL;
		}
		a->days = tmp;
		a->capdays = cap;
	}
	memmove(
	    &a->days[lo + 1], &a->days[lo], (a->ndays - lo) * sizeof(*a->days));
	memset(&a->days[lo], 0, sizeof(*a->days));
	a->days[lo].day = d;
	a->ndays++;
	return &a->days[lo];
}

static int
strdup_null(const char *s, char **out)
{
	*out = NULL;
	if (s != NULL && (*out = strdup(s)) == NULL)
		return KP_ERR_NOMEM;
	return 0;
}

/* A host's newest record names the policy it enforced then. */
static int
host_seen(struct kp_auditlog *a, const char *host, const char *serial,
    const char *sha256, const struct when *w)
{
	struct hoststat *h, *tmp;
	char *s1 = NULL, *s2 = NULL;
	size_t i;

	if (kp_strtab_get(&a->byhost, host, &i))
		h = &a->hosts[i];
	else {
		if (a->nhosts >= MAX_HOSTS)
			return 0;
		if (a->nhosts == a->caphosts) {
			size_t cap = a->caphosts == 0 ? 16 : a->caphosts * 2;

			if ((tmp = reallocarray(a->hosts, cap, sizeof(*tmp))) ==
			    NULL)
				return KP_ERR_NOMEM;
			a->hosts = tmp;
			a->caphosts = cap;
		}
		h = &a->hosts[a->nhosts];
		memset(h, 0, sizeof(*h));
		if ((h->host = strdup(host)) == NULL)
			return KP_ERR_NOMEM;
		if (kp_strtab_put(&a->byhost, h->host, a->nhosts, NULL) < 0) {
			free(h->host);
			return KP_ERR_NOMEM;
		}
		a->nhosts++;
	}
	h->records++;
	if (h->last.seq != 0 && !later(w, &h->last))
		return 0;
	if (strdup_null(serial, &s1) != 0 || strdup_null(sha256, &s2) != 0) {
		free(s1);
		return KP_ERR_NOMEM;
	}
	free(h->serial);
	free(h->sha256);
	h->serial = s1;
	h->sha256 = s2;
	h->last = *w;
	return 0;
}

static int
account(struct kp_auditlog *a, const struct kp_audit_fields *f,
    const struct when *w)
{
	const char *event = f->value[0], *decision = f->value[1];
	const char *acct = V(f, 3), *id = V(f, 4), *owner = V(f, 5);
	const char *fp = V(f, 6), *client = V(f, 7), *host = V(f, 8);
	struct keystat *k = NULL;
	struct daystat *day;
	enum kp_reason reason;
	int allow = strcmp(decision, "allow") == 0;
	int would = strcmp(decision, "would_deny") == 0;
	int err = 0, r;

	if (reason_parse(f->value[2], &reason) != 0)
		return KP_ERR_INVALID; /* kp_audit_parse checks it already */
	if (strcmp(event, "account") == 0)
		a->account_records++;
	if (!allow) {
		if (would)
			a->would_deny[reason]++;
		else
			a->deny[reason]++;
	}
	if (w->text[0] != '\0') {
		if (later(w, &a->last))
			a->last = *w;
		if (a->first.seq == 0 || later(&a->first, w))
			a->first = *w;
	}
	if (w->t == INT64_MIN)
		a->untimed++;
	else if ((day = day_get(a, w->t, &err)) != NULL) {
		if (strcmp(event, "account") == 0 && (allow || would))
			day->logins++;
		if (strcmp(event, "lookup") == 0 && allow)
			day->lookups++;
		if (!allow)
			day->denials++;
	}
	if (err != 0)
		return err;
	if (host != NULL && (r = host_seen(a, host, V(f, 9), V(f, 10), w)) != 0)
		return r;
	if (fp == NULL)
		return 0;
	if ((k = key_get(a, fp, &err)) == NULL)
		return err;
	if (owner != NULL) {
		char *o = strdup(owner);

		if (o == NULL)
			return KP_ERR_NOMEM;
		free(k->owner);
		k->owner = o;
	}
	if ((id != NULL && (r = set_add(&k->ids, id)) != 0) ||
	    (acct != NULL && (r = set_add(&k->accounts, acct)) != 0) ||
	    (client != NULL && (r = set_add(&k->clients, client)) != 0))
		return r;
	if (strcmp(event, "account") == 0 && (allow || would)) {
		k->logins++;
		if (later(w, &k->last_login))
			k->last_login = *w;
	}
	if (strcmp(event, "lookup") == 0 && allow) {
		k->lookups++;
		if (later(w, &k->last_lookup))
			k->last_lookup = *w;
	}
	if (!allow)
		k->denials++;
	if (reason == KP_REVOKED) {
		k->revoked++;
		a->c.revoked_tries++;
		if (later(w, &k->last_revoked))
			k->last_revoked = *w;
	}
	return 0;
}

int
kp_auditlog_add_record(struct kp_auditlog *a, const char *rec, size_t len,
    const char *ts, int64_t t)
{
	struct kp_audit_fields f;
	struct when w;
	char *copy = NULL;
	int r;

	if (a == NULL || rec == NULL)
		return KP_ERR_ARG;
	memset(&w, 0, sizeof(w));
	w.seq = a->c.lines;
	w.t = t;
	if (ts != NULL)
		snprintf(w.text, sizeof(w.text), "%s", ts);
	if ((copy = malloc(len + 1)) == NULL)
		return KP_ERR_NOMEM;
	memcpy(copy, rec, len);
	copy[len] = '\0';
	r = kp_audit_parse(copy, &f);
	free(copy);
	if (r == KP_ERR_NOMEM)
		return r;
	if (r != 0) {
		a->c.malformed++;
		return 0;
	}
	r = account(a, &f, &w);
	kp_audit_fields_free(&f);
	if (r == KP_ERR_INVALID) {
		a->c.malformed++;
		return 0;
	}
	if (r != 0)
		return r;
	a->c.records++;
	return 0;
}

int
kp_auditlog_skip(struct kp_auditlog *a, enum kp_auditlog_skip why)
{
	if (a == NULL)
		return KP_ERR_ARG;
	if (why == KP_AUDITLOG_LINE) {
		a->c.lines++;
		return 0;
	}
	if (why == KP_AUDITLOG_OTHER)
		a->c.other++;
	else if (why == KP_AUDITLOG_MALFORMED)
		a->c.malformed++;
	else
		a->c.untrusted++;
	return 0;
}

void
kp_auditlog_input(struct kp_auditlog *a, unsigned input)
{
	if (a != NULL)
		a->inputs |= input;
}

int
kp_auditlog_add_line(struct kp_auditlog *a, const char *line, size_t len)
{
	struct when w;
	size_t off;
	int loc;

	if (a == NULL || (line == NULL && len > 0))
		return KP_ERR_ARG;
	a->c.lines++;
	a->inputs |= KP_AUDITLOG_INPUT_SYSLOG;
	memset(&w, 0, sizeof(w));
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len == 0 || memmem(line, len, "event=", 6) == NULL) {
		a->c.other++;
		return 0;
	}
	if (len <= KP_AUDITLOG_LINE_MAX && memchr(line, '\0', len) == NULL &&
	    kp_auditlog_locate_install(
	        line, len, &off, w.text, sizeof(w.text), &w.t)) {
		a->c.other++; /* an install, for audit --hosts */
		return 0;
	}
	if (len > KP_AUDITLOG_LINE_MAX || memchr(line, '\0', len) != NULL ||
	    (loc = kp_auditlog_locate(
	         line, len, &off, w.text, sizeof(w.text), &w.t)) == 0) {
		a->c.malformed++;
		return 0;
	}
	if (loc == 2) {
		a->c.untrusted++;
		return 0;
	}
	return kp_auditlog_add_record(a, line + off, len - off, w.text, w.t);
}

static int
syslog_line(void *arg, const char *line, size_t len)
{
	struct kp_auditlog *a = arg;

	if (line == NULL) {
		/* too long to be ours: never parse a prefix */
		a->c.lines++;
		a->c.malformed++;
		return 0;
	}
	return kp_auditlog_add_line(a, line, len);
}

int
kp_auditlog_read(struct kp_auditlog *a, FILE *f)
{
	if (a == NULL || f == NULL)
		return KP_ERR_ARG;
	a->inputs |= KP_AUDITLOG_INPUT_SYSLOG;
	return kp_read_lines(f, KP_AUDITLOG_LINE_MAX, syslog_line, a);
}

/*
 * Entry id of key fp (owner) as a never-used candidate; the entries of one
 * key come one after the other (policy order, then the index's).
 */
static int
cand_add(struct kp_auditlog *a, struct kp_strtab *seen, const char *fp,
    const char *owner, const char *id)
{
	struct cand *tmp;
	size_t j;
	int r;

	if (kp_strtab_get(seen, fp, &j))
		return set_add(&a->cands[j].ids, id);
	if ((tmp = reallocarray(a->cands, a->ncands + 1, sizeof(*tmp))) == NULL)
		return KP_ERR_NOMEM;
	a->cands = tmp;
	memset(&a->cands[a->ncands], 0, sizeof(*a->cands));
	if ((a->cands[a->ncands].fp = strdup(fp)) == NULL ||
	    (a->cands[a->ncands].owner = strdup(owner)) == NULL) {
		free(a->cands[a->ncands].fp);
		return KP_ERR_NOMEM;
	}
	a->ncands++;
	/* the table borrows the candidate's fp, which never moves */
	if ((r = kp_strtab_put(
	         seen, a->cands[a->ncands - 1].fp, a->ncands - 1, NULL)) < 0)
		return r;
	return set_add(&a->cands[a->ncands - 1].ids, id);
}

int
kp_auditlog_set_policy(struct kp_auditlog *a, const struct kp_policy *p)
{
	struct kp_strtab seen;
	const struct kp_entry *e;
	size_t i;
	int r = 0;

	if (a == NULL || p == NULL || a->have_cands)
		return KP_ERR_ARG;
	kp_strtab_init(&seen);
	for (i = 0; i < p->nentries && r == 0; i++) {
		e = &p->entries[i];
		if (kp_policy_is_revoked(p, e->key->fp, e->owner))
			continue; /* cannot be used: not a candidate */
		r = cand_add(a, &seen, e->key->fp, e->owner, e->id);
	}
	kp_strtab_free(&seen);
	a->have_cands = 1;
	a->cands_serial = p->serial;
	a->policy = p;
	return r;
}

struct ixwalk {
	struct kp_auditlog *a;
	struct kp_strtab seen;
};

static int
cand_record(void *arg, const struct kp_index_grant *g)
{
	struct ixwalk *w = arg;

	/* every entry of a live key: its grants and its other hosts' markers */
	if (g->id == NULL || g->revoked)
		return 0;
	return cand_add(w->a, &w->seen, g->fp, g->owner, g->id);
}

int
kp_auditlog_set_index(struct kp_auditlog *a, struct kp_index *ix)
{
	struct ixwalk w;
	int r;

	if (a == NULL || ix == NULL || a->have_cands ||
	    kp_index_meta(ix) == NULL)
		return KP_ERR_ARG;
	w.a = a;
	kp_strtab_init(&w.seen);
	r = kp_index_foreach(ix, NULL, cand_record, &w);
	kp_strtab_free(&w.seen);
	a->have_cands = 1;
	a->cands_serial = kp_index_meta(ix)->serial;
	return r;
}

void
kp_auditlog_counts(const struct kp_auditlog *a, struct kp_auditlog_counts *out)
{
	memset(out, 0, sizeof(*out));
	if (a != NULL)
		*out = a->c;
}

/* -------------------------------------------------------------- output */

/* Logins come from PAM records; without any, from sshd's lookups. */
static int
use_lookups(const struct kp_auditlog *a)
{
	return a->account_records == 0;
}

static uint64_t
uses(const struct kp_auditlog *a, const struct keystat *k)
{
	return use_lookups(a) ? k->lookups : k->logins;
}

static const struct when *
last_use(const struct kp_auditlog *a, const struct keystat *k)
{
	return use_lookups(a) ? &k->last_lookup : &k->last_login;
}

static const char *
when_text(const struct when *w)
{
	return w->seq == 0 || w->text[0] == '\0' ? NULL : w->text;
}

static int
str_cmp_null(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "");
}

static int
key_cmp(const void *x, const void *y)
{
	const struct keystat *a = *(const struct keystat *const *)x;
	const struct keystat *b = *(const struct keystat *const *)y;
	int c;

	if ((c = str_cmp_null(a->owner, b->owner)) != 0)
		return c;
	return strcmp(a->fp, b->fp);
}

static int
counted_cmp(const void *x, const void *y)
{
	const struct counted *a = x, *b = y;

	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	return strcmp(a->s, b->s);
}

static int
plain_cmp(const void *x, const void *y)
{
	const struct counted *a = x, *b = y;

	return strcmp(a->s, b->s);
}

/* A sorted copy of a set's values (the set itself stays untouched). */
static struct counted *
sorted(const struct set *s, int by_count)
{
	struct counted *v;

	if ((v = calloc(s->n + 1, sizeof(*v))) == NULL)
		return NULL;
	if (s->n > 0) {
		memcpy(v, s->v, s->n * sizeof(*v));
		qsort(v, s->n, sizeof(*v), by_count ? counted_cmp : plain_cmp);
	}
	return v;
}

static int
text_set(struct kp_buf *b, const struct set *s, int counts)
{
	struct counted *v;
	size_t i;

	if (s->n == 0) {
		kp_buf_puts(b, "-");
		return 0;
	}
	if ((v = sorted(s, counts)) == NULL)
		return KP_ERR_NOMEM;
	for (i = 0; i < s->n; i++) {
		if (i > 0)
			kp_buf_puts(b, ", ");
		kp_text_safe(b, v[i].s);
		if (counts)
			kp_buf_printf(b, " (%llu)", (unsigned long long)v[i].n);
	}
	if (s->more > 0)
		kp_buf_printf(
		    b, ", and %llu more", (unsigned long long)s->more);
	free(v);
	return 0;
}

static int
json_set(struct kp_buf *b, const struct set *s, int counts)
{
	struct counted *v;
	size_t i;

	if ((v = sorted(s, counts)) == NULL)
		return KP_ERR_NOMEM;
	kp_buf_putc(b, '[');
	for (i = 0; i < s->n; i++) {
		if (i > 0)
			kp_buf_puts(b, ", ");
		if (counts) {
			kp_buf_puts(b, "{\"client\": ");
			kp_json_str(b, v[i].s);
			kp_buf_printf(b, ", \"count\": %llu}",
			    (unsigned long long)v[i].n);
		} else
			kp_json_str(b, v[i].s);
	}
	kp_buf_putc(b, ']');
	free(v);
	return 0;
}

/* The keys, sorted by owner then fingerprint (pointers into a->keys). */
static struct keystat **
sorted_keys(const struct kp_auditlog *a)
{
	struct keystat **v;
	size_t i;

	if ((v = calloc(a->nkeys + 1, sizeof(*v))) == NULL)
		return NULL;
	for (i = 0; i < a->nkeys; i++)
		v[i] = &a->keys[i];
	if (a->nkeys > 0)
		qsort(v, a->nkeys, sizeof(*v), key_cmp);
	return v;
}

struct ownerstat {
	const char *owner;
	size_t keys;
	uint64_t logins;
	const struct when *last;
};

/* Owners over the sorted keys (same owners are adjacent). */
static struct ownerstat *
owner_stats(const struct kp_auditlog *a, struct keystat **v, size_t *n)
{
	struct ownerstat *o;
	size_t i, m = 0;

	*n = 0;
	if ((o = calloc(a->nkeys + 1, sizeof(*o))) == NULL)
		return NULL;
	for (i = 0; i < a->nkeys; i++) {
		if (v[i]->owner == NULL)
			continue;
		if (m == 0 || strcmp(o[m - 1].owner, v[i]->owner) != 0)
			o[m++].owner = v[i]->owner;
		o[m - 1].keys++;
		o[m - 1].logins += uses(a, v[i]);
		if (uses(a, v[i]) > 0 &&
		    (o[m - 1].last == NULL ||
		        later(last_use(a, v[i]), o[m - 1].last)))
			o[m - 1].last = last_use(a, v[i]);
	}
	*n = m;
	return o;
}

/* Candidate keys (by fingerprint) that no record shows in use. */
static int
unused_cmp(const void *x, const void *y)
{
	const struct cand *a = *(const struct cand *const *)x;
	const struct cand *b = *(const struct cand *const *)y;
	int c;

	if ((c = strcmp(a->owner, b->owner)) != 0)
		return c;
	return strcmp(a->fp, b->fp);
}

static int
never_used(const struct kp_auditlog *a, const struct cand ***out, size_t *nout)
{
	const struct cand **v;
	size_t i, j, n = 0;

	*out = NULL;
	*nout = 0;
	if ((v = calloc(a->ncands + 1, sizeof(*v))) == NULL)
		return KP_ERR_NOMEM;
	for (i = 0; i < a->ncands; i++) {
		if (kp_strtab_get(&a->byfp, a->cands[i].fp, &j) &&
		    uses(a, &a->keys[j]) > 0)
			continue;
		v[n++] = &a->cands[i];
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), unused_cmp);
	*out = v;
	*nout = n;
	return 0;
}

static void
unused_free(const struct cand **v, size_t n)
{
	(void)n;
	free(v);
}

/* A count cell. */
static void
num_cell(struct kp_table *t, uint64_t n)
{
	kp_buf_printf(kp_table_cell(t), "%llu", (unsigned long long)n);
}

/* A time cell: "-" when there is none. */
static void
when_cell(struct kp_table *t, const struct when *w)
{
	const char *s = w != NULL ? when_text(w) : NULL;

	kp_table_put(t, s != NULL ? s : "-");
}

static int
set_cell(struct kp_table *t, const struct set *s)
{
	return text_set(kp_table_cell(t), s, 0);
}

/* A section's table; without rows, "  none" (when none) or nothing. */
static int
table_end(struct kp_buf *b, struct kp_table *t, int none)
{
	int r = t->text.err;

	if (r == 0 && kp_table_rows(t) > 0)
		r = kp_table_write(b, t, "  ");
	else if (r == 0 && none)
		kp_buf_puts(b, "  none\n");
	kp_table_free(t);
	return r;
}

static void
text_counts(const struct kp_auditlog *a, struct kp_buf *b)
{
	kp_buf_printf(b,
	    "records: %llu (%llu malformed %s skipped, %llu other %s "
	    "ignored)\n",
	    (unsigned long long)a->c.records,
	    (unsigned long long)a->c.malformed,
	    a->c.malformed == 1 ? "line" : "lines",
	    (unsigned long long)a->c.other, a->c.other == 1 ? "line" : "lines");
	if (a->inputs & KP_AUDITLOG_INPUT_SYSLOG)
		kp_buf_printf(b,
		    "note: read from syslog text, which any local user can "
		    "write under any tag: keyauthctl cannot tell forged lines "
		    "from real ones (%llu %s under another program's tag "
		    "ignored); keyauthctl audit --journal can\n",
		    (unsigned long long)a->c.untrusted,
		    a->c.untrusted == 1 ? "record" : "records");
	if (a->inputs & KP_AUDITLOG_INPUT_JOURNAL)
		kp_buf_printf(b,
		    "journal: %llu %s not from keyauth's programs ignored "
		    "(judged by journald's _UID and _EXE)\n",
		    (unsigned long long)a->c.untrusted,
		    a->c.untrusted == 1 ? "record" : "records");
	kp_buf_printf(b, "period: %s .. %s\n",
	    when_text(&a->first) ? when_text(&a->first) : "-",
	    when_text(&a->last) ? when_text(&a->last) : "-");
	if (use_lookups(a) && a->c.records > 0)
		kp_buf_puts(b,
		    "note: no pam_keyauth account records; logins "
		    "are counted from sshd's key lookups (a lookup "
		    "is not proof of a login)\n");
	if (a->keys_dropped > 0)
		kp_buf_printf(b,
		    "note: %llu records of keys over the limit of "
		    "%d keys were not summarised\n",
		    (unsigned long long)a->keys_dropped, MAX_KEYS);
}

static int
text_keys(const struct kp_auditlog *a, struct keystat **keys, struct kp_buf *b)
{
	static const char *const head[] = {"FINGERPRINT", "OWNER", "KEY IDS",
	    "ACCOUNTS", "LOGINS", "LAST LOGIN", "DENIED"};
	const struct keystat *k;
	struct kp_table t;
	size_t i;
	int r = 0;

	kp_buf_printf(
	    b, "\n%s per key:\n", use_lookups(a) ? "lookups" : "logins");
	kp_table_init(&t, head, NELEM(head));
	for (i = 0; i < a->nkeys && r == 0; i++) {
		k = keys[i];
		kp_table_put(&t, k->fp);
		kp_table_put_safe(&t, k->owner);
		if ((r = set_cell(&t, &k->ids)) != 0 ||
		    (r = set_cell(&t, &k->accounts)) != 0)
			break;
		num_cell(&t, uses(a, k));
		when_cell(&t, uses(a, k) > 0 ? last_use(a, k) : NULL);
		num_cell(&t, k->denials);
	}
	if (r != 0) {
		kp_table_free(&t);
		return r;
	}
	return table_end(b, &t, 1);
}

static int
text_owners(const struct kp_auditlog *a, const struct ownerstat *own,
    size_t nown, struct kp_buf *b)
{
	static const char *const head[] = {
	    "OWNER", "KEYS", "LOGINS", "LAST LOGIN"};
	struct kp_table t;
	size_t i;

	kp_buf_printf(
	    b, "\n%s per owner:\n", use_lookups(a) ? "lookups" : "logins");
	kp_table_init(&t, head, NELEM(head));
	for (i = 0; i < nown; i++) {
		kp_table_put_safe(&t, own[i].owner);
		num_cell(&t, own[i].keys);
		num_cell(&t, own[i].logins);
		when_cell(&t, own[i].last);
	}
	return table_end(b, &t, 1);
}

static int
text_denials(const struct kp_auditlog *a, struct kp_buf *b)
{
	static const char *const head[] = {"REASON", "DENIED", "WOULD DENY"};
	struct kp_table t;
	size_t i;

	kp_buf_puts(b, "\ndenials by reason:\n");
	kp_table_init(&t, head, NELEM(head));
	for (i = 0; i < KP_REASON_COUNT; i++) {
		if (a->deny[i] == 0 && a->would_deny[i] == 0)
			continue;
		kp_table_put(&t, kp_reason_str((enum kp_reason)i));
		num_cell(&t, a->deny[i]);
		num_cell(&t, a->would_deny[i]);
	}
	return table_end(b, &t, 1);
}

static int
text_revoked(
    const struct kp_auditlog *a, struct keystat **keys, struct kp_buf *b)
{
	static const char *const head[] = {
	    "FINGERPRINT", "OWNER", "TRIES", "LAST", "ACCOUNTS", "CLIENTS"};
	const struct keystat *k;
	struct kp_table t;
	size_t i;
	int r = 0;

	kp_buf_printf(b, "\n%srevoked keys tried (%llu %s):\n",
	    a->c.revoked_tries > 0 ? "ALERT: " : "",
	    (unsigned long long)a->c.revoked_tries,
	    a->c.revoked_tries == 1 ? "attempt" : "attempts");
	kp_table_init(&t, head, NELEM(head));
	for (i = 0; i < a->nkeys && r == 0; i++) {
		if ((k = keys[i])->revoked == 0)
			continue;
		kp_table_put(&t, k->fp);
		kp_table_put_safe(&t, k->owner);
		num_cell(&t, k->revoked);
		when_cell(&t, &k->last_revoked);
		if ((r = set_cell(&t, &k->accounts)) == 0)
			r = set_cell(&t, &k->clients);
	}
	if (r != 0) {
		kp_table_free(&t);
		return r;
	}
	return table_end(b, &t, 1);
}

static int
text_never_used(const struct kp_auditlog *a, struct kp_buf *b)
{
	static const char *const head[] = {"FINGERPRINT", "OWNER", "KEY IDS"};
	struct kp_table t;
	const struct cand **un = NULL;
	size_t i, nun = 0;
	int r;

	if (!a->have_cands) {
		kp_buf_puts(b,
		    "\nkeys never used: (give --policy-file to "
		    "list the policy's keys that were never used)\n");
		return 0;
	}
	if ((r = never_used(a, &un, &nun)) != 0)
		return r;
	kp_buf_printf(b, "\nkeys never used (policy serial %llu): %zu\n",
	    (unsigned long long)a->cands_serial, nun);
	kp_table_init(&t, head, NELEM(head));
	for (i = 0; i < nun && r == 0; i++) {
		kp_table_put(&t, un[i]->fp);
		kp_table_put_safe(&t, un[i]->owner);
		r = set_cell(&t, &un[i]->ids);
	}
	unused_free(un, nun);
	if (r != 0) {
		kp_table_free(&t);
		return r;
	}
	return table_end(b, &t, 0);
}

static int
text_sources(
    const struct kp_auditlog *a, struct keystat **keys, struct kp_buf *b)
{
	size_t i;
	int r, any = 0;

	kp_buf_puts(b, "\nsources seen per key:\n");
	for (i = 0; i < a->nkeys; i++) {
		if (keys[i]->clients.n == 0)
			continue;
		kp_buf_printf(b, "  %s (", keys[i]->fp);
		kp_text_safe(b, keys[i]->owner);
		kp_buf_puts(b, "): ");
		if ((r = text_set(b, &keys[i]->clients, 1)) != 0)
			return r;
		kp_buf_putc(b, '\n');
		any = 1;
	}
	if (!any)
		kp_buf_puts(b, "  none\n");
	return 0;
}

/* The text summary, section by section (docs/keyauthctl-audit.md). */
static int
format_text(const struct kp_auditlog *a, struct keystat **keys,
    struct ownerstat *own, size_t nown, struct kp_buf *b)
{
	int r;

	text_counts(a, b);
	if ((r = text_keys(a, keys, b)) != 0 ||
	    (r = text_owners(a, own, nown, b)) != 0 ||
	    (r = text_denials(a, b)) != 0 ||
	    (r = text_revoked(a, keys, b)) != 0 ||
	    (r = text_never_used(a, b)) != 0 ||
	    (r = text_sources(a, keys, b)) != 0)
		return r;
	return b->err;
}

static void
json_when(struct kp_buf *b, const struct when *w)
{
	kp_json_str(b, w != NULL ? when_text(w) : NULL);
}

/* Item i of a JSON list of objects (one level in), and the list's end. */
static void
json_item(struct kp_buf *b, size_t i)
{
	kp_buf_puts(b, i > 0 ? ",\n    {" : "\n    {");
}

static void
json_end(struct kp_buf *b, size_t n)
{
	kp_buf_puts(b, n > 0 ? "\n  ]" : "]");
}

static int
json_keys(const struct kp_auditlog *a, struct keystat **keys, struct kp_buf *b)
{
	const struct keystat *k;
	size_t i;
	int r;

	for (i = 0; i < a->nkeys; i++) {
		k = keys[i];
		json_item(b, i);
		kp_buf_puts(b, "\"fingerprint\": ");
		kp_json_str(b, k->fp);
		kp_buf_puts(b, ", \"owner\": ");
		kp_json_str(b, k->owner);
		kp_buf_puts(b, ", \"key_ids\": ");
		if ((r = json_set(b, &k->ids, 0)) != 0)
			return r;
		kp_buf_puts(b, ", \"accounts\": ");
		if ((r = json_set(b, &k->accounts, 0)) != 0)
			return r;
		kp_buf_printf(b, ", \"logins\": %llu, \"last_login\": ",
		    (unsigned long long)uses(a, k));
		json_when(b, uses(a, k) > 0 ? last_use(a, k) : NULL);
		kp_buf_printf(b,
		    ", \"lookups\": %llu, \"denials\": %llu, "
		    "\"revoked_tries\": %llu, \"sources\": ",
		    (unsigned long long)k->lookups,
		    (unsigned long long)k->denials,
		    (unsigned long long)k->revoked);
		if ((r = json_set(b, &k->clients, 1)) != 0)
			return r;
		kp_buf_printf(b, ", \"sources_not_kept\": %llu}",
		    (unsigned long long)k->clients.more);
	}
	json_end(b, a->nkeys);
	return 0;
}

static void
json_owners(const struct ownerstat *own, size_t nown, struct kp_buf *b)
{
	size_t i;

	for (i = 0; i < nown; i++) {
		json_item(b, i);
		kp_buf_puts(b, "\"owner\": ");
		kp_json_str(b, own[i].owner);
		kp_buf_printf(b,
		    ", \"keys\": %zu, \"logins\": %llu, \"last_login\": ",
		    own[i].keys, (unsigned long long)own[i].logins);
		json_when(b, own[i].last);
		kp_buf_putc(b, '}');
	}
	json_end(b, nown);
}

static void
json_denials(const struct kp_auditlog *a, struct kp_buf *b)
{
	size_t i, n = 0;

	for (i = 0; i < KP_REASON_COUNT; i++) {
		if (a->deny[i] == 0 && a->would_deny[i] == 0)
			continue;
		json_item(b, n++);
		kp_buf_printf(b,
		    "\"reason\": \"%s\", \"deny\": %llu, \"would_deny\": %llu}",
		    kp_reason_str((enum kp_reason)i),
		    (unsigned long long)a->deny[i],
		    (unsigned long long)a->would_deny[i]);
	}
	json_end(b, n);
}

static int
json_revoked(
    const struct kp_auditlog *a, struct keystat **keys, struct kp_buf *b)
{
	const struct keystat *k;
	size_t i, n = 0;
	int r;

	for (i = 0; i < a->nkeys; i++) {
		if ((k = keys[i])->revoked == 0)
			continue;
		json_item(b, n++);
		kp_buf_puts(b, "\"fingerprint\": ");
		kp_json_str(b, k->fp);
		kp_buf_puts(b, ", \"owner\": ");
		kp_json_str(b, k->owner);
		kp_buf_printf(b, ", \"tries\": %llu, \"last\": ",
		    (unsigned long long)k->revoked);
		json_when(b, &k->last_revoked);
		kp_buf_puts(b, ", \"accounts\": ");
		if ((r = json_set(b, &k->accounts, 0)) != 0)
			return r;
		kp_buf_puts(b, ", \"clients\": ");
		if ((r = json_set(b, &k->clients, 0)) != 0)
			return r;
		kp_buf_putc(b, '}');
	}
	json_end(b, n);
	return 0;
}

/* null without a policy (nothing to compare the records with). */
static int
json_never_used(const struct kp_auditlog *a, struct kp_buf *b)
{
	const struct cand **un = NULL;
	size_t i, nun = 0;
	int r;

	if (!a->have_cands) {
		kp_buf_puts(b, "null");
		return 0;
	}
	if ((r = never_used(a, &un, &nun)) != 0)
		return r;
	kp_buf_putc(b, '[');
	for (i = 0; i < nun && r == 0; i++) {
		json_item(b, i);
		kp_buf_puts(b, "\"fingerprint\": ");
		kp_json_str(b, un[i]->fp);
		kp_buf_puts(b, ", \"owner\": ");
		kp_json_str(b, un[i]->owner);
		kp_buf_puts(b, ", \"key_ids\": ");
		if ((r = json_set(b, &un[i]->ids, 0)) == 0)
			kp_buf_putc(b, '}');
	}
	json_end(b, nun);
	unused_free(un, nun);
	return r;
}

/* ---------------------------------------------------- the HTML view */

static int
host_cmp(const void *x, const void *y)
{
	const struct kp_auditlog_view_host *a = x, *b = y;

	return strcmp(a->host, b->host);
}

/* A set's values, sorted, joined by ", " (owned by the caller). */
static int
set_join(const struct set *s, char **out)
{
	struct counted *v;
	struct kp_buf b;
	size_t i;

	*out = NULL;
	if ((v = sorted(s, 0)) == NULL)
		return KP_ERR_NOMEM;
	kp_buf_init(&b, KP_ADMIN_OUT_MAX);
	kp_buf_puts(&b, "");
	for (i = 0; i < s->n; i++) {
		if (i > 0)
			kp_buf_puts(&b, ", ");
		kp_buf_puts(&b, v[i].s);
	}
	if (s->more > 0)
		kp_buf_printf(
		    &b, ", and %llu more", (unsigned long long)s->more);
	free(v);
	return kp_buf_take(&b, out, NULL);
}

void
kp_auditlog_view_free(struct kp_auditlog_view *v)
{
	size_t i;

	if (v == NULL)
		return;
	/* A view that failed half-way has its counts, perhaps not its lists. */
	for (i = 0; v->keys != NULL && i < v->nkeys; i++) {
		free(v->keys[i].ids);
		free(v->keys[i].accounts);
	}
	for (i = 0; v->unused != NULL && i < v->nunused; i++)
		free(v->unused[i].ids);
	free(v->keys);
	free(v->unused);
	free(v->days);
	free(v->hosts);
	free(v);
}

int
kp_auditlog_view(const struct kp_auditlog *a, struct kp_auditlog_view **out)
{
	struct kp_auditlog_view *v = NULL;
	struct keystat **keys = NULL;
	const struct cand **un = NULL;
	size_t i, nun = 0;
	int r = KP_ERR_NOMEM;

	if (out != NULL)
		*out = NULL;
	if (a == NULL || out == NULL)
		return KP_ERR_ARG;
	if ((v = calloc(1, sizeof(*v))) == NULL ||
	    (keys = sorted_keys(a)) == NULL ||
	    (v->days = calloc(a->ndays + 1, sizeof(*v->days))) == NULL ||
	    (v->keys = calloc(a->nkeys + 1, sizeof(*v->keys))) == NULL ||
	    (v->hosts = calloc(a->nhosts + 1, sizeof(*v->hosts))) == NULL)
		goto out;
	v->c = a->c;
	v->inputs = a->inputs;
	v->from_lookups = use_lookups(a);
	v->keys_dropped = a->keys_dropped;
	v->untimed = a->untimed;
	v->first = when_text(&a->first);
	v->last = when_text(&a->last);
	memcpy(v->deny, a->deny, sizeof(v->deny));
	memcpy(v->would_deny, a->would_deny, sizeof(v->would_deny));
	for (i = 0; i < a->ndays; i++) {
		v->days[i].day = a->days[i].day * DAY_SECONDS;
		v->days[i].logins =
		    v->from_lookups ? a->days[i].lookups : a->days[i].logins;
		v->days[i].denials = a->days[i].denials;
	}
	v->ndays = a->ndays;
	for (i = 0; i < a->nkeys; i++) {
		const struct keystat *k = keys[i];
		struct kp_auditlog_view_key *vk = &v->keys[i];

		vk->fp = k->fp;
		vk->owner = k->owner;
		vk->uses = uses(a, k);
		vk->denials = k->denials;
		vk->revoked = k->revoked;
		vk->last_use = vk->uses > 0 ? when_text(last_use(a, k)) : NULL;
		vk->last_revoked = when_text(&k->last_revoked);
		v->nkeys = i + 1;
		if ((r = set_join(&k->ids, &vk->ids)) != 0 ||
		    (r = set_join(&k->accounts, &vk->accounts)) != 0)
			goto out;
	}
	for (i = 0; i < a->nhosts; i++) {
		v->hosts[i].host = a->hosts[i].host;
		v->hosts[i].serial = a->hosts[i].serial;
		v->hosts[i].sha256 = a->hosts[i].sha256;
		v->hosts[i].last = when_text(&a->hosts[i].last);
		v->hosts[i].records = a->hosts[i].records;
	}
	v->nhosts = a->nhosts;
	if (v->nhosts > 0)
		qsort(v->hosts, v->nhosts, sizeof(*v->hosts), host_cmp);
	v->policy = a->policy;
	v->have_unused = a->have_cands;
	v->unused_serial = a->cands_serial;
	if (a->have_cands) {
		if ((r = never_used(a, &un, &nun)) != 0)
			goto out;
		if ((v->unused = calloc(nun + 1, sizeof(*v->unused))) == NULL) {
			r = KP_ERR_NOMEM;
			goto out;
		}
		for (i = 0; i < nun; i++) {
			v->unused[i].owner = un[i]->owner;
			v->unused[i].fp = un[i]->fp;
			v->nunused = i + 1;
			if ((r = set_join(&un[i]->ids, &v->unused[i].ids)) != 0)
				goto out;
		}
	}
	*out = v;
	v = NULL;
	r = 0;
out:
	unused_free(un, nun);
	free(keys);
	kp_auditlog_view_free(v);
	return r;
}

/* The JSON summary (docs/keyauthctl-audit.md), list by list. */
static int
format_json(const struct kp_auditlog *a, struct keystat **keys,
    struct ownerstat *own, size_t nown, struct kp_buf *b)
{
	int r;

	kp_buf_printf(b,
	    "{\n  \"audit_version\": 1,\n  \"lines\": %llu,\n"
	    "  \"records\": %llu,\n  \"malformed\": %llu,\n"
	    "  \"other\": %llu,\n",
	    (unsigned long long)a->c.lines, (unsigned long long)a->c.records,
	    (unsigned long long)a->c.malformed, (unsigned long long)a->c.other);
	kp_buf_printf(b, "  \"input\": \"%s\",\n  \"untrusted\": %llu,\n",
	    a->inputs == KP_AUDITLOG_INPUT_JOURNAL      ? "journal"
	        : a->inputs == KP_AUDITLOG_INPUT_SYSLOG ? "syslog"
	        : a->inputs == 0                        ? "none"
	                                                : "syslog+journal",
	    (unsigned long long)a->c.untrusted);
	kp_buf_puts(b, "  \"period\": {\"first\": ");
	json_when(b, &a->first);
	kp_buf_puts(b, ", \"last\": ");
	json_when(b, &a->last);
	kp_buf_printf(b, "},\n  \"logins_from\": \"%s\",\n  \"keys\": [",
	    use_lookups(a) ? "lookup" : "account");
	if ((r = json_keys(a, keys, b)) != 0)
		return r;
	kp_buf_puts(b, ",\n  \"owners\": [");
	json_owners(own, nown, b);
	kp_buf_puts(b, ",\n  \"denials\": [");
	json_denials(a, b);
	kp_buf_puts(b, ",\n  \"revoked_tries\": [");
	if ((r = json_revoked(a, keys, b)) != 0)
		return r;
	kp_buf_puts(b, ",\n  \"never_used\": ");
	if ((r = json_never_used(a, b)) != 0)
		return r;
	kp_buf_puts(b, "\n}\n");
	return b->err;
}

int
kp_auditlog_format(const struct kp_auditlog *a, enum kp_format fmt, char **out)
{
	struct keystat **keys = NULL;
	struct ownerstat *own = NULL;
	struct kp_buf b;
	size_t nown = 0;
	int r;

	if (out != NULL)
		*out = NULL;
	if (a == NULL || out == NULL)
		return KP_ERR_ARG;
	kp_buf_init(&b, KP_ADMIN_OUT_MAX);
	if ((keys = sorted_keys(a)) == NULL ||
	    (own = owner_stats(a, keys, &nown)) == NULL) {
		r = KP_ERR_NOMEM;
		goto out;
	}
	if (fmt == KP_FORMAT_TEXT)
		r = format_text(a, keys, own, nown, &b);
	else if (fmt == KP_FORMAT_JSON)
		r = format_json(a, keys, own, nown, &b);
	else
		r = KP_ERR_ARG;
	if (r == 0)
		r = kp_buf_take(&b, out, NULL); /* the caller's */
out:
	kp_buf_free(&b);
	free(keys);
	free(own);
	return r;
}
