/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * Audit records from the systemd journal, as `journalctl -o json` writes
 * them (one JSON object per entry and line; a field is a string, an
 * array of byte values when it is not valid UTF-8 or holds control
 * characters, or an array of those when the entry has the field more
 * than once). Parsed with jansson, here in the admin layer only: nothing
 * on the login path reads JSON.
 *
 * Syslog text cannot say who wrote a line: any local user can log under
 * any tag. journald can: _UID, _PID, _COMM and _EXE are fields no client
 * can set, journald fills them from the kernel's credentials of the
 * socket (_EXE read from /proc). So an entry counts only when those say
 * a keyauth program wrote it (docs/keyauthctl-audit.md); the KEYAUTH_*
 * fields and SYSLOG_IDENTIFIER the programs send are never what decides.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "keyauth.h"
#include "kp-internal.h"
#include "kp-io.h"
#include "kp-policy.h"
#include "keyauth-admin.h"

/* The most bytes of one field kept (a record is far shorter). */
#define FIELD_MAX (64 * 1024)

/*
 * A field's value into buf (NUL-terminated, len at least 2): a string, or
 * an array of byte values. 0, or -1 when it is absent, repeated, not one
 * of those forms, longer than len - 1 or holds a NUL byte.
 */
static int
field(const json_t *o, const char *name, char *buf, size_t len, size_t *n)
{
	const json_t *v = json_object_get(o, name), *x;
	const char *s;
	size_t i, m;
	json_int_t b;

	*n = 0;
	buf[0] = '\0';
	if (v == NULL)
		return -1;
	if (json_is_string(v)) {
		s = json_string_value(v);
		m = json_string_length(v);
		if (m >= len || memchr(s, '\0', m) != NULL)
			return -1;
		memcpy(buf, s, m);
		buf[m] = '\0';
		*n = m;
		return 0;
	}
	if (!json_is_array(v) || (m = json_array_size(v)) >= len)
		return -1;
	for (i = 0; i < m; i++) {
		x = json_array_get(v, i);
		if (!json_is_integer(x) || (b = json_integer_value(x)) < 1 ||
		    b > 255)
			return -1; /* a repeated field, or a NUL byte */
		buf[i] = (char)b;
	}
	buf[m] = '\0';
	*n = m;
	return 0;
}

/* A decimal field (_UID, __REALTIME_TIMESTAMP) as a number. */
static int
number(const json_t *o, const char *name, unsigned long long *out)
{
	char buf[32], *end;
	size_t n;

	if (field(o, name, buf, sizeof(buf), &n) != 0 || n == 0 ||
	    buf[0] < '0' || buf[0] > '9')
		return -1;
	errno = 0;
	*out = strtoull(buf, &end, 10);
	return errno == 0 && *end == '\0' ? 0 : -1;
}

/* "pam_keyauth(SERVICE:STAGE): " at the start of s (n bytes): its length, or 0. */
static size_t
pam_prefix(const char *s, size_t n)
{
	size_t i, colon = 0;

	if (n < 12 || memcmp(s, "pam_keyauth(", 12) != 0)
		return 0;
	for (i = 12; i < n && s[i] != ')'; i++) {
		if (s[i] == ' ' || s[i] == '(')
			return 0;
		if (s[i] == ':' && colon == 0)
			colon = i;
	}
	if (colon <= 12 || i + 2 >= n || s[i + 1] != ':' || s[i + 2] != ' ')
		return 0;
	if (i - colon - 1 != 7 ||
	    (memcmp(s + colon + 1, "account", 7) != 0 &&
	        memcmp(s + colon + 1, "session", 7) != 0))
		return 0;
	return i + 3;
}

/*
 * Whether journald's own fields say keyauth's program, the module (pam)
 * or the helper, wrote o. _UID comes with the datagram (SCM_CREDENTIALS:
 * the kernel's word) and decides; _EXE journald reads from /proc after
 * the datagram arrived, so a helper that has exited by then has none
 * (tests/admin/journald.sh sees it), and a process can exec another
 * program in between: when present it must be the expected program,
 * but its absence proves nothing either way.
 */
static int
trusted(const json_t *o, int pam, const struct kp_journal_trust *t)
{
	unsigned long long uid;
	const char *want;
	char exe[4096];
	size_t n;

	if (number(o, "_UID", &uid) != 0)
		return 0;
	if (pam) {
		if (uid != 0)
			return 0;
		want = t->sshd_exe;
	} else {
		if (uid != 0 &&
		    (t->helper_uid == (uid_t)-1 || uid != t->helper_uid))
			return 0;
		want = t->helper_exe;
	}
	if (json_object_get(o, "_EXE") == NULL)
		return 1;
	return want != NULL && field(o, "_EXE", exe, sizeof(exe), &n) == 0 &&
	    strcmp(exe, want) == 0;
}

int
kp_auditlog_add_journal(struct kp_auditlog *a, const char *json, size_t len,
    const struct kp_journal_trust *t)
{
	json_error_t err;
	json_t *o = NULL;
	char *msg = NULL, ts[64];
	unsigned long long us;
	int64_t when = INT64_MIN;
	size_t n, off = 0;
	int r;

	if (a == NULL || t == NULL || (json == NULL && len > 0))
		return KP_ERR_ARG;
	kp_auditlog_input(a, KP_AUDITLOG_INPUT_JOURNAL);
	if ((r = kp_auditlog_skip(a, KP_AUDITLOG_LINE)) != 0)
		return r;
	while (len > 0 && (json[len - 1] == '\n' || json[len - 1] == '\r'))
		len--;
	if (len == 0)
		return kp_auditlog_skip(a, KP_AUDITLOG_OTHER);
	if ((msg = malloc(FIELD_MAX)) == NULL)
		return KP_ERR_NOMEM;
	o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
	if (o == NULL || !json_is_object(o)) {
		r = kp_auditlog_skip(a, KP_AUDITLOG_MALFORMED);
		goto out;
	}
	if (field(o, "MESSAGE", msg, FIELD_MAX, &n) != 0 ||
	    strstr(msg, "event=") == NULL) {
		r = kp_auditlog_skip(a, KP_AUDITLOG_OTHER);
		goto out;
	}
	if (strncmp(msg, "event=", 6) != 0 && (off = pam_prefix(msg, n)) == 0) {
		/* Another program's message that mentions the text. */
		r = kp_auditlog_skip(a, KP_AUDITLOG_MALFORMED);
		goto out;
	}
	if (!trusted(o, off != 0, t)) {
		r = kp_auditlog_skip(a, KP_AUDITLOG_UNTRUSTED);
		goto out;
	}
	ts[0] = '\0';
	if (number(o, "__REALTIME_TIMESTAMP", &us) == 0 &&
	    us / 1000000 < (unsigned long long)INT64_MAX) {
		when = (int64_t)(us / 1000000);
		kp_time_format(when, ts, sizeof(ts));
	}
	r = kp_auditlog_add_record(a, msg + off, n - off, ts, when);
out:
	json_decref(o);
	free(msg);
	return r;
}

struct journal_read {
	struct kp_auditlog *a;
	const struct kp_journal_trust *t;
};

static int
journal_line(void *arg, const char *line, size_t len)
{
	struct journal_read *j = arg;
	int r;

	if (line != NULL)
		return kp_auditlog_add_journal(j->a, line, len, j->t);
	/* too long to be ours: never parse a prefix */
	if ((r = kp_auditlog_skip(j->a, KP_AUDITLOG_LINE)) != 0)
		return r;
	return kp_auditlog_skip(j->a, KP_AUDITLOG_MALFORMED);
}

int
kp_auditlog_read_journal(
    struct kp_auditlog *a, FILE *f, const struct kp_journal_trust *t)
{
	struct journal_read j = {a, t};

	if (a == NULL || f == NULL || t == NULL)
		return KP_ERR_ARG;
	kp_auditlog_input(a, KP_AUDITLOG_INPUT_JOURNAL);
	/* An entry holds a record (at most 64 KiB) and journald's fields. */
	return kp_read_lines(f, 4 * KP_AUDITLOG_LINE_MAX, journal_line, &j);
}
