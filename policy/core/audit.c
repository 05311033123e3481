/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * Audit records (docs/audit-log.md): one line of key=value fields in a fixed
 * order. Every value is either a bare token of printable ASCII without
 * space, '"', '=' and '\\', or a double-quoted string with \" \\ and \xHH
 * escapes; a record therefore always splits into the same fields whatever
 * an attacker put into an account name, and a parser can tell a literal
 * "-" from an absent value. kp_audit_parse() accepts exactly what
 * kp_audit_format() produces and nothing else.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyauth.h"

/* A record longer than this is not one of ours. */
#define AUDIT_LINE_MAX (256 * 1024)

enum {
	F_EVENT,
	F_DECISION,
	F_REASON,
	F_ACCOUNT,
	F_KEY_ID,
	F_OWNER,
	F_FP,
	F_CLIENT,
	F_HOST,
	F_SERIAL,
	F_SHA256,
};

const char *const kp_audit_field_names[KP_AUDIT_NFIELDS] = {
    "event",
    "decision",
    "reason",
    "account",
    "key_id",
    "owner",
    "fp",
    "client",
    "host",
    "policy_serial",
    "policy_sha256",
};

static const char *const event_names[] = {
    "lookup", "account", "session", "install"};
static const char *const verdict_names[] = {"allow", "deny", "would_deny",
    "installed", "unchanged", "refused", "failed"};
/* The decisions of a login record, then those of an install record. */
#define VERDICT_LOGIN_N 3

static const char *const install_reason_names[KP_IR_COUNT] = {
    [KP_IR_OK] = "ok",
    [KP_IR_INVALID] = "invalid_policy",
    [KP_IR_UNSAFE] = "unsafe_file",
    [KP_IR_CONFIG] = "bad_config",
    [KP_IR_UNSIGNED] = "unsigned",
    [KP_IR_BAD_SIGNATURE] = "bad_signature",
    [KP_IR_UNKNOWN_SIGNER] = "unknown_signer",
    [KP_IR_REVOKED_SIGNER] = "revoked_signer",
    [KP_IR_UNDER_SIGNED] = "under_signed",
    [KP_IR_VALIDITY] = "validity",
    [KP_IR_STALE] = "stale",
    [KP_IR_ROLLBACK] = "rollback",
    [KP_IR_CONFLICT] = "conflict",
    [KP_IR_MASS_REMOVAL] = "mass_removal",
    [KP_IR_ERROR] = "error",
};

const char *
kp_install_reason_str(enum kp_install_reason r)
{
	if ((unsigned)r >= KP_IR_COUNT)
		return NULL;
	return install_reason_names[r];
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *
kp_audit_event_str(enum kp_event e)
{
	return (unsigned)e < NELEM(event_names) ? event_names[e] : NULL;
}

const char *
kp_audit_verdict_str(enum kp_verdict v)
{
	return (unsigned)v < NELEM(verdict_names) ? verdict_names[v] : NULL;
}

/* Bytes that may stand unquoted in a bare token. */
static int
bare_ok(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != '"' && c != '=' && c != '\\';
}

/* Quote when the value is empty, is "-" (which means absent) or holds any byte a bare token may not. */
static int
needs_quote(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || (n == 1 && s[0] == '-'))
		return 1;
	for (i = 0; i < n; i++)
		if (!bare_ok((unsigned char)s[i]))
			return 1;
	return 0;
}

/*
 * The record is written into the caller's buffer (a fixed kp_buf): every
 * piece goes in whole or not at all, so a record cut short never ends in
 * half an escape.
 */
static void
put_value(struct kp_buf *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char esc[4];
	unsigned char c;
	size_t i;

	if (s == NULL) {
		kp_buf_put(w, "-", 1);
		return;
	}
	if (!needs_quote(s, n)) {
		kp_buf_put(w, s, n);
		return;
	}
	kp_buf_put(w, "\"", 1);
	for (i = 0; i < n && w->err == 0; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			kp_buf_put(w, esc, 2);
		} else if (c >= 0x20 && c <= 0x7e) {
			kp_buf_put(w, (const char *)&s[i], 1);
		} else {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[c >> 4];
			esc[3] = hex[c & 0xf];
			kp_buf_put(w, esc, 4);
		}
	}
	kp_buf_put(w, "\"", 1);
}

/*
 * A hostile value (a 10 kB user name of control bytes) must not push the
 * fields after it out of the record: a value is cut at KP_AUDIT_VALUE_MAX
 * bytes and the cut is marked by a trailing "...".
 */
static void
put_field(struct kp_buf *w, int first, const char *name, const char *value)
{
	char cut[KP_AUDIT_VALUE_MAX + 4];
	size_t n = 0;

	if (!first)
		kp_buf_put(w, " ", 1);
	kp_buf_puts(w, name);
	kp_buf_put(w, "=", 1);
	if (value != NULL &&
	    (n = strnlen(value, KP_AUDIT_VALUE_MAX + 1)) > KP_AUDIT_VALUE_MAX) {
		memcpy(cut, value, KP_AUDIT_VALUE_MAX);
		memcpy(cut + KP_AUDIT_VALUE_MAX, "...", 4);
		value = cut;
		n = KP_AUDIT_VALUE_MAX + 3;
	}
	put_value(w, value, n);
}

/*
 * The reason= word: a decision's for a login record, an install's for an
 * install record, and each decision word only with its own event.
 */
static const char *
record_reason(const struct kp_audit *a)
{
	int install = a->event == KP_EVENT_INSTALL;

	if (install != ((unsigned)a->verdict >= VERDICT_LOGIN_N))
		return NULL;
	if (install)
		return kp_install_reason_str(a->install_reason);
	if ((unsigned)a->reason >= KP_REASON_COUNT)
		return NULL;
	return kp_reason_str(a->reason);
}

/* An install record's own fields, after the common ones. */
static void
put_install_fields(struct kp_buf *w, const struct kp_audit *a)
{
	char serial[24];

	put_field(w, 0, "signers",
	    a->signers != NULL && a->signers[0] != '\0' ? a->signers : NULL);
	if (a->previous_serial == 0)
		put_field(w, 0, "previous_serial", NULL);
	else {
		snprintf(serial, sizeof(serial), "%llu",
		    (unsigned long long)a->previous_serial);
		put_field(w, 0, "previous_serial", serial);
	}
}

/*
 * A certificate's fields, after the common ones (and error=): only on the
 * records of a certificate, so a plain key's record is what it always was.
 */
static void
put_cert_fields(struct kp_buf *w, const struct kp_audit *a)
{
	char serial[24];

	put_field(w, 0, "cert_key_id", a->cert_key_id);
	snprintf(
	    serial, sizeof(serial), "%llu", (unsigned long long)a->cert_serial);
	put_field(w, 0, "cert_serial", serial);
	put_field(w, 0, "ca_fp", a->ca_fp);
}

int
kp_audit_format(const struct kp_audit *a, char *buf, size_t len)
{
	struct kp_buf w;
	const char *reason;
	char serial[24], sha[17];
	size_t n;

	if (buf == NULL || len == 0)
		return KP_ERR_ARG;
	kp_buf_init_fixed(&w, buf, len);
	if (a == NULL || (unsigned)a->event >= NELEM(event_names) ||
	    (unsigned)a->verdict >= NELEM(verdict_names) ||
	    (reason = record_reason(a)) == NULL)
		return KP_ERR_ARG;

	put_field(&w, 1, "event", event_names[a->event]);
	put_field(&w, 0, "decision", verdict_names[a->verdict]);
	put_field(&w, 0, "reason", reason);
	put_field(&w, 0, "account", a->account);
	put_field(&w, 0, "key_id", a->key_id);
	put_field(&w, 0, "owner", a->owner);
	put_field(&w, 0, "fp", a->fp);
	put_field(&w, 0, "client", a->client);
	put_field(&w, 0, "host", a->host);
	if (a->policy_serial == 0)
		put_field(&w, 0, "policy_serial", NULL);
	else {
		snprintf(serial, sizeof(serial), "%llu",
		    (unsigned long long)a->policy_serial);
		put_field(&w, 0, "policy_serial", serial);
	}
	/* An empty hash is "no policy", like a zero serial. */
	if (a->policy_sha256 == NULL || a->policy_sha256[0] == '\0')
		put_field(&w, 0, "policy_sha256", NULL);
	else {
		n = strnlen(a->policy_sha256, sizeof(sha) - 1);
		memcpy(sha, a->policy_sha256, n);
		sha[n] = '\0';
		put_field(&w, 0, "policy_sha256", sha);
	}
	if (a->error != NULL)
		put_field(&w, 0, "error", a->error);
	if (a->ca_fp != NULL && a->event != KP_EVENT_INSTALL)
		put_cert_fields(&w, a);
	if (a->event == KP_EVENT_INSTALL)
		put_install_fields(&w, a);
	/* Last, and only for a version 2 entry: other records keep their bytes. */
	if (a->grant != NULL && a->event != KP_EVENT_INSTALL)
		put_field(&w, 0, "grant", a->grant);
	return w.err != 0 ? KP_ERR_TOOBIG : 0;
}

void
kp_audit_fields_free(struct kp_audit_fields *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < KP_AUDIT_NFIELDS; i++)
		free(f->value[i]);
	free(f->error);
	free(f->cert_key_id);
	free(f->cert_serial);
	free(f->ca_fp);
	free(f->signers);
	free(f->previous_serial);
	free(f->grant);
	memset(f, 0, sizeof(*f));
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1; /* upper case is never produced, so never accepted */
}

/*
 * Parse one value at *sp. On success *out is an allocated string (caller
 * frees), *absent is 1 for a bare "-", and *sp points past the value.
 */
static int
parse_value(const char **sp, char **out, uint8_t *absent)
{
	const char *s = *sp, *e;
	char *v = NULL;
	size_t n = 0;
	int hi, lo, r = KP_ERR_INVALID;

	*out = NULL;
	*absent = 0;
	if (*s != '"') {
		for (e = s; *e != '\0' && *e != ' '; e++)
			if (!bare_ok((unsigned char)*e))
				return KP_ERR_INVALID;
		if (e == s)
			return KP_ERR_INVALID;
		if ((v = strndup(s, (size_t)(e - s))) == NULL)
			return KP_ERR_NOMEM;
		*absent = (e - s == 1 && *s == '-');
		*out = v;
		*sp = e;
		return 0;
	}
	/* Unescaping never grows a value, so the rest of the line bounds it. */
	if ((v = malloc(strlen(s))) == NULL)
		return KP_ERR_NOMEM;
	for (s++;; s++) {
		if (*s == '\0')
			goto out; /* unterminated: a truncated record */
		if (*s == '"')
			break;
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			goto out;
		if (*s != '\\') {
			v[n++] = *s;
			continue;
		}
		s++;
		if (*s == '"' || *s == '\\') {
			v[n++] = *s;
			continue;
		}
		if (*s != 'x' || (hi = hexval(s[1])) < 0 ||
		    (lo = hexval(s[2])) < 0)
			goto out;
		/* Only bytes that must be escaped may be; never NUL. */
		if ((hi << 4 | lo) == 0 ||
		    ((hi << 4 | lo) >= 0x20 && (hi << 4 | lo) <= 0x7e))
			goto out;
		v[n++] = (char)(hi << 4 | lo);
		s += 2;
	}
	s++;
	if (*s != '\0' && *s != ' ')
		goto out;
	/* A quoted value that did not need quotes is not ours. */
	if (!needs_quote(v, n))
		goto out;
	v[n] = '\0';
	*out = v; /* handed to the caller */
	v = NULL;
	*sp = s;
	r = 0;
out:
	free(v);
	return r;
}

static int
one_of(const char *v, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0)
			return 1;
	return 0;
}

static int
reason_known(const char *v)
{
	int i;
	const char *s;

	for (i = 0; i < KP_REASON_COUNT; i++)
		if ((s = kp_reason_str((enum kp_reason)i)) != NULL &&
		    strcmp(v, s) == 0)
			return 1;
	return 0;
}

/* "1".."18446744073709551615", no sign, no leading zero. */
static int
serial_valid(const char *v)
{
	unsigned long long x;
	char *end;

	if (v[0] < '1' || v[0] > '9' || strlen(v) > 20)
		return 0;
	errno = 0;
	x = strtoull(v, &end, 10);
	(void)x;
	return errno == 0 && *end == '\0';
}

static int
install_reason_known(const char *v)
{
	return one_of(v, install_reason_names, NELEM(install_reason_names));
}

/*
 * The fields whose values are words, not free text: bare and present.
 * install: the record is an install record (decided by its event, which
 * comes first), whose decision and reason words are install's own.
 */
static int
field_valid(int i, const char *v, int absent, int install)
{
	switch (i) {
	case F_EVENT:
		return !absent && one_of(v, event_names, NELEM(event_names));
	case F_DECISION:
		if (install)
			return !absent &&
			    one_of(v, verdict_names + VERDICT_LOGIN_N,
			        NELEM(verdict_names) - VERDICT_LOGIN_N);
		return !absent && one_of(v, verdict_names, VERDICT_LOGIN_N);
	case F_REASON:
		if (install)
			return !absent && install_reason_known(v);
		return !absent && reason_known(v);
	case F_SERIAL:
		return absent || serial_valid(v);
	default:
		return 1;
	}
}

static int
parse_name(const char **sp, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(*sp, name, n) != 0 || (*sp)[n] != '=')
		return KP_ERR_INVALID;
	*sp += n + 1;
	return 0;
}

/* " cert_key_id=... cert_serial=... ca_fp=..." at *sp: all, in order. */
static int
parse_cert_fields(const char **sp, struct kp_audit_fields *f)
{
	uint8_t absent;
	int r;

	if ((r = parse_name(sp, "cert_key_id")) != 0 ||
	    (r = parse_value(sp, &f->cert_key_id, &absent)) != 0)
		return r;
	if (**sp != ' ')
		return KP_ERR_INVALID;
	(*sp)++;
	if ((r = parse_name(sp, "cert_serial")) != 0 ||
	    (r = parse_value(sp, &f->cert_serial, &absent)) != 0)
		return r;
	if (absent ||
	    (strcmp(f->cert_serial, "0") != 0 && !serial_valid(f->cert_serial)))
		return KP_ERR_INVALID;
	if (**sp != ' ')
		return KP_ERR_INVALID;
	(*sp)++;
	if ((r = parse_name(sp, "ca_fp")) != 0 ||
	    (r = parse_value(sp, &f->ca_fp, &absent)) != 0)
		return r;
	if (absent || !kp_fingerprint_valid(f->ca_fp))
		return KP_ERR_INVALID;
	return 0;
}

/* " signers=... previous_serial=..." at *sp: both, in this order. */
static int
parse_install_fields(const char **sp, struct kp_audit_fields *f)
{
	uint8_t absent;
	int r;

	if (**sp != ' ')
		return KP_ERR_INVALID;
	(*sp)++;
	if ((r = parse_name(sp, "signers")) != 0 ||
	    (r = parse_value(sp, &f->signers, &absent)) != 0)
		return r;
	if (**sp != ' ')
		return KP_ERR_INVALID;
	(*sp)++;
	if ((r = parse_name(sp, "previous_serial")) != 0 ||
	    (r = parse_value(sp, &f->previous_serial, &absent)) != 0)
		return r;
	if (!absent && !serial_valid(f->previous_serial))
		return KP_ERR_INVALID;
	return 0;
}

int
kp_audit_parse(const char *line, struct kp_audit_fields *out)
{
	struct kp_audit_fields f;
	const char *s = line;
	uint8_t absent;
	int i, r;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (line == NULL || out == NULL)
		return KP_ERR_ARG;
	memset(&f, 0, sizeof(f));
	if (strnlen(line, AUDIT_LINE_MAX + 1) > AUDIT_LINE_MAX)
		return KP_ERR_TOOBIG;
	for (i = 0; i < KP_AUDIT_NFIELDS; i++) {
		if (i > 0 && *s++ != ' ') {
			r = KP_ERR_INVALID;
			goto out;
		}
		if ((r = parse_name(&s, kp_audit_field_names[i])) != 0 ||
		    (r = parse_value(&s, &f.value[i], &f.absent[i])) != 0)
			goto out;
		if (!field_valid(i, f.value[i], f.absent[i],
		        i > F_EVENT &&
		            strcmp(f.value[F_EVENT], "install") == 0)) {
			r = KP_ERR_INVALID;
			goto out;
		}
	}
	if (strncmp(s, " error=", 7) == 0) {
		s++;
		if ((r = parse_name(&s, "error")) != 0 ||
		    (r = parse_value(&s, &f.error, &absent)) != 0)
			goto out;
		if (absent) {
			/* an absent error is written by omitting the field */
			r = KP_ERR_INVALID;
			goto out;
		}
	}
	if (strcmp(f.value[F_EVENT], "install") != 0 &&
	    strncmp(s, " cert_key_id=", 13) == 0) {
		s++;
		if ((r = parse_cert_fields(&s, &f)) != 0)
			goto out;
	}
	if (strcmp(f.value[F_EVENT], "install") == 0 &&
	    (r = parse_install_fields(&s, &f)) != 0)
		goto out;
	if (strcmp(f.value[F_EVENT], "install") != 0 &&
	    strncmp(s, " grant=", 7) == 0) {
		s++;
		if ((r = parse_name(&s, "grant")) != 0 ||
		    (r = parse_value(&s, &f.grant, &absent)) != 0)
			goto out;
		if (absent) {
			/* no grant is written by omitting the field */
			r = KP_ERR_INVALID;
			goto out;
		}
	}
	if (*s != '\0') {
		r = KP_ERR_INVALID;
		goto out;
	}
	*out = f; /* ownership of the strings passes to the caller */
	memset(&f, 0, sizeof(f));
	r = 0;
out:
	kp_audit_fields_free(&f);
	return r;
}
