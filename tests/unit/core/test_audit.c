/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/* Audit records: escaping, strict parsing, round trips, truncation. */

#include <string.h>

#include "keyauth.h"
#include "../test.h"

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define FP "SHA256:RSYxWg3mwwuBA1Xl9WxHAZQAf3h1AewtjU1Obb/at4U"

static struct kp_audit
base(void)
{
	struct kp_audit a;

	memset(&a, 0, sizeof(a));
	a.event = KP_EVENT_LOOKUP;
	a.verdict = KP_VERDICT_ALLOW;
	a.reason = KP_ALLOWED;
	a.account = "alice";
	a.key_id = "alice-laptop";
	a.owner = "alice@example.com";
	a.fp = FP;
	a.host = "web-01";
	a.policy_serial = 7;
	a.policy_sha256 = SHA;
	return a;
}

/* The account field as formatted for value v. */
static void
check_escape(const char *v, const char *want, int line)
{
	struct kp_audit a = base();
	char buf[1024], exp[1024];

	a.account = v;
	snprintf(exp, sizeof(exp), " account=%s key_id=", want);
	if (!t_ok(kp_audit_format(&a, buf, sizeof(buf)) == 0 &&
	            strstr(buf, exp) != NULL,
	        __FILE__, line, "ESC: record has \"%s\"", exp))
		t_diag("record \"%s\" lacks \"%s\"", buf, exp);
}
#define ESC(v, want) check_escape(v, want, __LINE__)

static void
test_format(void)
{
	struct kp_audit a = base();
	char buf[1024];

	CHECK_INT(kp_audit_format(&a, buf, sizeof(buf)), 0);
	CHECK_STR(buf,
	    "event=lookup decision=allow reason=allowed account=alice "
	    "key_id=alice-laptop owner=alice@example.com fp=" FP " client=- "
	    "host=web-01 policy_serial=7 policy_sha256=0123456789abcdef");

	memset(&a, 0, sizeof(a));
	a.event = KP_EVENT_SESSION;
	a.verdict = KP_VERDICT_WOULD_DENY;
	a.reason = KP_POLICY_UNAVAILABLE;
	a.policy_sha256 = "";
	a.error = "index missing: /var/lib/keyauth/policy.cdb";
	CHECK_INT(kp_audit_format(&a, buf, sizeof(buf)), 0);
	CHECK_STR(buf,
	    "event=session decision=would_deny reason=policy_unavailable "
	    "account=- key_id=- owner=- fp=- client=- host=- policy_serial=- "
	    "policy_sha256=- error=\"index missing: "
	    "/var/lib/keyauth/policy.cdb\"");

	a = base();
	a.event = KP_EVENT_ACCOUNT;
	a.verdict = KP_VERDICT_DENY;
	a.reason = KP_SOURCE_NOT_ALLOWED;
	a.client = "2001:db8::1";
	a.policy_serial = UINT64_MAX;
	a.policy_sha256 = "abc"; /* shorter than 16: logged as is */
	CHECK_INT(kp_audit_format(&a, buf, sizeof(buf)), 0);
	CHECK_CONTAINS(buf,
	    "event=account decision=deny "
	    "reason=source_not_allowed ");
	CHECK_CONTAINS(buf, " client=2001:db8::1 ");
	CHECK_CONTAINS(
	    buf, " policy_serial=18446744073709551615 policy_sha256=abc");

	/* Every reason code has its documented name (docs/audit-log.md). */
	a = base();
	a.reason = KP_KEY_MISMATCH;
	CHECK_INT(kp_audit_format(&a, buf, sizeof(buf)), 0);
	CHECK_CONTAINS(buf, " reason=key_mismatch ");

	/* Bad enums and arguments. */
	a = base();
	a.event = (enum kp_event)3;
	CHECK_INT(kp_audit_format(&a, buf, sizeof(buf)), KP_ERR_ARG);
	CHECK_STR(buf, "");
	a = base();
	a.verdict = (enum kp_verdict) - 1;
	CHECK_INT(kp_audit_format(&a, buf, sizeof(buf)), KP_ERR_ARG);
	a = base();
	a.reason = KP_REASON_COUNT;
	CHECK_INT(kp_audit_format(&a, buf, sizeof(buf)), KP_ERR_ARG);
	CHECK_INT(kp_audit_format(NULL, buf, sizeof(buf)), KP_ERR_ARG);
	CHECK_INT(kp_audit_format(&a, NULL, 10), KP_ERR_ARG);
	CHECK_INT(kp_audit_format(&a, buf, 0), KP_ERR_ARG);
}

static void
test_escape_table(void)
{
	ESC("alice", "alice");
	ESC(NULL, "-");
	ESC("", "\"\"");
	ESC("-", "\"-\"");
	ESC("--", "--");
	ESC("a-b", "a-b");
	ESC("a b", "\"a b\"");
	ESC("a b=c", "\"a b=c\"");
	ESC("a=b", "\"a=b\"");
	ESC("a\"b", "\"a\\\"b\"");
	ESC("a\\b", "\"a\\\\b\"");
	ESC("\"", "\"\\\"\"");
	ESC("\\", "\"\\\\\"");
	ESC("a\nb", "\"a\\x0ab\"");
	ESC("a\rb", "\"a\\x0db\"");
	ESC("\t", "\"\\x09\"");
	ESC("\x01", "\"\\x01\"");
	ESC("\x1f", "\"\\x1f\"");
	ESC("\x7f", "\"\\x7f\"");
	ESC("\xc3\xa9t\xc3\xa9", "\"\\xc3\\xa9t\\xc3\\xa9\"");
	ESC("\xff", "\"\\xff\"");
	ESC(" ", "\" \"");
	ESC("!#$%&'()*+,./:;<>?@[]^_`{|}~", "!#$%&'()*+,./:;<>?@[]^_`{|}~");
	/* An attempt to smuggle a second field and a second line. */
	ESC("x decision=allow\nevent=lookup",
	    "\"x decision=allow\\x0aevent=lookup\"");
}

/* Safe cut points of a record: not inside an escape sequence. */
static int
safe_cut(const char *rec, size_t at)
{
	size_t i = 0, step;
	int quoted = 0;

	while (i < at) {
		step = 1;
		if (rec[i] == '"' && (quoted || (i > 0 && rec[i - 1] == '=')))
			quoted = !quoted;
		else if (quoted && rec[i] == '\\')
			step = rec[i + 1] == 'x' ? 4 : 2;
		if (i + step > at)
			return 0;
		i += step;
	}
	return 1;
}

static void
test_truncation(void)
{
	struct kp_audit a = base();
	char full[1024], buf[1024];
	size_t n, len, noerr_len;
	int r, bad = 0;

	a.account = "\xff\"\\a\nb c";
	a.owner = "o\\w\"n\x01r";
	a.error = "e\xee\\";
	a.error = NULL;
	CHECK_INT(kp_audit_format(&a, full, sizeof(full)), 0);
	noerr_len = strlen(full);
	a.error = "e\xee\\";
	CHECK_INT(kp_audit_format(&a, full, sizeof(full)), 0);
	n = strlen(full);
	for (len = 1; len <= n + 1; len++) {
		memset(buf, 'Z', sizeof(buf));
		r = kp_audit_format(&a, buf, len);
		if (len <= n && r != KP_ERR_TOOBIG)
			bad++;
		if (len == n + 1 && (r != 0 || strcmp(buf, full) != 0))
			bad++;
		/* NUL-terminated inside len, a prefix, cut at a boundary */
		if (memchr(buf, '\0', len) == NULL ||
		    strncmp(buf, full, strlen(buf)) != 0 ||
		    !safe_cut(full, strlen(buf)))
			bad++;
		/*
		 * A truncated record does not parse, except when the cut
		 * falls exactly before " error=" (documented).
		 */
		if (len <= n) {
			struct kp_audit_fields f;
			if (kp_audit_parse(buf, &f) == 0 &&
			    strlen(buf) != noerr_len)
				bad++;
			kp_audit_fields_free(&f);
		}
	}
	CHECK_INT(bad, 0);
	/* A whole escape that does not fit is left out, not split. */
	a = base();
	a.account = "\n";
	CHECK_INT(kp_audit_format(&a, buf,
	              strlen("event=lookup decision=allow reason=allowed "
	                     "account=\"\\x0") +
	                  1),
	    KP_ERR_TOOBIG);
	CHECK_STR(buf, "event=lookup decision=allow reason=allowed account=\"");
}

static const char *hostile[] = {
    "",
    "-",
    " ",
    "a b=c",
    "x\" decision=allow host=\"evil",
    "back\\slash\\",
    "\\x41",
    "new\nline\n",
    "\r\n",
    "tab\there",
    "\x01\x02\x1f\x7f\x80\xfe\xff",
    "caf\xc3\xa9",
    "\"\"\"",
    "===",
    "- -",
    "plain",
};

static void
test_roundtrip(void)
{
	struct kp_audit a, b;
	struct kp_audit_fields f;
	char rec[4096], rec2[4096];
	size_t i, k;
	const char **slots[] = {
	    &a.account, &a.key_id, &a.owner, &a.fp, &a.client, &a.host};
	int idx[] = {3, 4, 5, 6, 7, 8};

	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		a = base();
		for (k = 0; k < 6; k++)
			*slots[k] = hostile[(i + k) %
			    (sizeof(hostile) / sizeof(hostile[0]))];
		a.error = hostile[i];
		CHECK_INT(kp_audit_format(&a, rec, sizeof(rec)), 0);
		CHECK(strchr(rec, '\n') == NULL);
		CHECK_INT(kp_audit_parse(rec, &f), 0);
		for (k = 0; k < 6; k++) {
			CHECK_STR(f.value[idx[k]], *slots[k]);
			CHECK_INT(f.absent[idx[k]], 0);
		}
		CHECK_STR(f.error, hostile[i]);
		CHECK_STR(f.value[0], "lookup");
		CHECK_STR(f.value[1], "allow");
		CHECK_STR(f.value[2], "allowed");
		CHECK_STR(f.value[9], "7");
		CHECK_STR(f.value[10], "0123456789abcdef");

		/* format(parse(x)) == x, byte for byte */
		memset(&b, 0, sizeof(b));
		b.event = KP_EVENT_LOOKUP;
		b.verdict = KP_VERDICT_ALLOW;
		b.reason = KP_ALLOWED;
		b.account = f.absent[3] ? NULL : f.value[3];
		b.key_id = f.absent[4] ? NULL : f.value[4];
		b.owner = f.absent[5] ? NULL : f.value[5];
		b.fp = f.absent[6] ? NULL : f.value[6];
		b.client = f.absent[7] ? NULL : f.value[7];
		b.host = f.absent[8] ? NULL : f.value[8];
		b.policy_serial = 7;
		b.policy_sha256 = f.value[10];
		b.error = f.error;
		CHECK_INT(kp_audit_format(&b, rec2, sizeof(rec2)), 0);
		CHECK_STR(rec2, rec);
		kp_audit_fields_free(&f);
	}

	/* Absent values parse as "-" with the absent flag. */
	memset(&a, 0, sizeof(a));
	a.reason = KP_UNKNOWN_KEY;
	a.verdict = KP_VERDICT_DENY;
	CHECK_INT(kp_audit_format(&a, rec, sizeof(rec)), 0);
	CHECK_INT(kp_audit_parse(rec, &f), 0);
	for (k = 3; k < KP_AUDIT_NFIELDS; k++) {
		CHECK_STR(f.value[k], "-");
		CHECK_INT(f.absent[k], 1);
	}
	CHECK(f.error == NULL);
	kp_audit_fields_free(&f);
	CHECK(f.value[0] == NULL);
	kp_audit_fields_free(&f); /* twice is harmless */
	kp_audit_fields_free(NULL);
}

#define BASE_REC \
	"event=lookup decision=allow reason=allowed account=alice " \
	"key_id=k owner=o fp=f client=- host=h policy_serial=7 " \
	"policy_sha256=0123456789abcdef"

/*
 * A version 2 entry's grant= ends the record, escaped as every value,
 * after error= and a certificate's fields; absent, the record is a
 * version 1 record's, and an install record never has one.
 */
static void
test_grant(void)
{
	struct kp_audit_fields f;
	struct kp_audit a = base();
	char buf[1024], v1[1024];

	CHECK_INT(kp_audit_format(&a, v1, sizeof(v1)), 0);
	a.grant = "dba-postgres";
	CHECK_INT(kp_audit_format(&a, buf, sizeof(buf)), 0);
	CHECK(strncmp(buf, v1, strlen(v1)) == 0);
	CHECK_STR(buf + strlen(v1), " grant=dba-postgres");
	CHECK_INT(kp_audit_parse(buf, &f), 0);
	CHECK_STR(f.grant, "dba-postgres");
	kp_audit_fields_free(&f);
	CHECK_INT(kp_audit_parse(v1, &f), 0);
	CHECK(f.grant == NULL);
	kp_audit_fields_free(&f);

	a.grant = "a b\"c";
	a.error = "e";
	CHECK_INT(kp_audit_format(&a, buf, sizeof(buf)), 0);
	CHECK_CONTAINS(buf, " error=e grant=\"a b\\\"c\"");
	CHECK_INT(kp_audit_parse(buf, &f), 0);
	CHECK_STR(f.grant, "a b\"c");
	CHECK_STR(f.error, "e");
	kp_audit_fields_free(&f);

	a.error = NULL;
	a.grant = "g";
	a.cert_key_id = "k";
	a.cert_serial = 3;
	a.ca_fp = FP;
	CHECK_INT(kp_audit_format(&a, buf, sizeof(buf)), 0);
	CHECK_CONTAINS(buf, " ca_fp=" FP " grant=g");
	CHECK_INT(kp_audit_parse(buf, &f), 0);
	CHECK_STR(f.grant, "g");
	kp_audit_fields_free(&f);

	a = base();
	a.event = KP_EVENT_INSTALL;
	a.verdict = KP_VERDICT_INSTALLED;
	a.install_reason = KP_IR_OK;
	a.grant = "g";
	CHECK_INT(kp_audit_format(&a, buf, sizeof(buf)), 0);
	CHECK(strstr(buf, "grant=") == NULL);
}

static void
check_reject(const char *line, int want, int lineno)
{
	struct kp_audit_fields f;
	int r;

	memset(&f, 0xa5, sizeof(f));
	r = kp_audit_parse(line, &f);
	if (!t_ok(r == want, __FILE__, lineno, "REJECT: parse(\"%s\") fails",
	        line))
		t_diag("parse(\"%s\") == %d, expected %d", line, r, want);
	CHECK(f.value[0] == NULL && f.value[10] == NULL && f.error == NULL);
	kp_audit_fields_free(&f);
}
#define REJECT(s) check_reject(s, KP_ERR_INVALID, __LINE__)

static void
test_parse_strict(void)
{
	struct kp_audit_fields f;
	size_t i;

	CHECK_INT(kp_audit_parse(BASE_REC, &f), 0);
	CHECK_STR(f.value[3], "alice");
	kp_audit_fields_free(&f);
	CHECK_INT(kp_audit_parse(BASE_REC " error=x", &f), 0);
	CHECK_STR(f.error, "x");
	kp_audit_fields_free(&f);
	CHECK_INT(kp_audit_parse(NULL, &f), KP_ERR_ARG);
	CHECK_INT(kp_audit_parse(BASE_REC, NULL), KP_ERR_ARG);

	REJECT("");
	REJECT(" ");
	REJECT(BASE_REC " ");
	REJECT(BASE_REC "\n");
	REJECT(" " BASE_REC);
	REJECT(BASE_REC " error=-");
	REJECT(BASE_REC " error=");
	REJECT(BASE_REC " error=x error=y");
	REJECT(BASE_REC " extra=1");
	REJECT(BASE_REC " grant=-");
	REJECT(BASE_REC " grant=");
	REJECT(BASE_REC " grant=a grant=b");
	REJECT(BASE_REC " grant=a error=x");
	REJECT(BASE_REC " error=x extra=1");
	/* missing, reordered, renamed, doubled separators */
	REJECT("event=lookup decision=allow reason=allowed account=alice");
	REJECT("decision=allow event=lookup reason=allowed account=alice "
	       "key_id=k owner=o fp=f client=- host=h policy_serial=7 "
	       "policy_sha256=0123456789abcdef");
	REJECT("event=lookup decision=allow reason=allowed user=alice "
	       "key_id=k owner=o fp=f client=- host=h policy_serial=7 "
	       "policy_sha256=0123456789abcdef");
	REJECT("event=lookup  decision=allow reason=allowed account=alice "
	       "key_id=k owner=o fp=f client=- host=h policy_serial=7 "
	       "policy_sha256=0123456789abcdef");
	REJECT("event=lookup\tdecision=allow reason=allowed account=alice "
	       "key_id=k owner=o fp=f client=- host=h policy_serial=7 "
	       "policy_sha256=0123456789abcdef");
#define WITH_ACCOUNT(v) \
	"event=lookup decision=allow reason=allowed account=" v \
	" key_id=k owner=o fp=f client=- host=h policy_serial=7 " \
	"policy_sha256=0123456789abcdef"
	REJECT(WITH_ACCOUNT(""));
	REJECT(WITH_ACCOUNT("a=b"));
	REJECT(WITH_ACCOUNT("a\\b"));
	REJECT(WITH_ACCOUNT("a\"b"));
	REJECT(WITH_ACCOUNT("\"unterminated"));
	REJECT(WITH_ACCOUNT("\"abc\"")); /* needless quotes */
	REJECT(WITH_ACCOUNT("\"a\"b")); /* text after the quote */
	REJECT(WITH_ACCOUNT("\"a\\x41\"")); /* printable escaped */
	REJECT(WITH_ACCOUNT("\"a\\x0A\"")); /* upper-case hex */
	REJECT(WITH_ACCOUNT("\"a\\x00\"")); /* NUL */
	REJECT(WITH_ACCOUNT("\"a\\x0\"")); /* short escape */
	REJECT(WITH_ACCOUNT("\"a\\n\"")); /* C escapes are not ours */
	REJECT(WITH_ACCOUNT("\"a\\\"")); /* escape at the end */
	REJECT(WITH_ACCOUNT("\"a\tb\"")); /* raw control in quotes */
	REJECT(WITH_ACCOUNT("\"a\xc3\xa9\"")); /* raw high bytes */
	REJECT(WITH_ACCOUNT("\xc3\xa9"));
	REJECT("event=\"lookup\" decision=allow reason=allowed account=a "
	       "key_id=k owner=o fp=f client=- host=h policy_serial=7 "
	       "policy_sha256=0123456789abcdef");
	REJECT("event=- decision=allow reason=allowed account=a "
	       "key_id=k owner=o fp=f client=- host=h policy_serial=7 "
	       "policy_sha256=0123456789abcdef");
	REJECT("event=login decision=allow reason=allowed account=a "
	       "key_id=k owner=o fp=f client=- host=h policy_serial=7 "
	       "policy_sha256=0123456789abcdef");
	REJECT("event=lookup decision=maybe reason=allowed account=a "
	       "key_id=k owner=o fp=f client=- host=h policy_serial=7 "
	       "policy_sha256=0123456789abcdef");
	REJECT("event=lookup decision=allow reason=because account=a "
	       "key_id=k owner=o fp=f client=- host=h policy_serial=7 "
	       "policy_sha256=0123456789abcdef");
#define WITH_SERIAL(v) \
	"event=lookup decision=allow reason=allowed account=a key_id=k " \
	"owner=o fp=f client=- host=h policy_serial=" v \
	" policy_sha256=0123456789abcdef"
	CHECK_INT(kp_audit_parse(WITH_SERIAL("18446744073709551615"), &f), 0);
	kp_audit_fields_free(&f);
	CHECK_INT(kp_audit_parse(WITH_SERIAL("-"), &f), 0);
	CHECK_INT(f.absent[9], 1);
	kp_audit_fields_free(&f);
	REJECT(WITH_SERIAL("0"));
	REJECT(WITH_SERIAL("07"));
	REJECT(WITH_SERIAL("+7"));
	REJECT(WITH_SERIAL("7x"));
	REJECT(WITH_SERIAL("18446744073709551616"));
	REJECT(WITH_SERIAL("\"-\""));

	/* Field names are those of docs/audit-log.md. */
	CHECK_STR(kp_audit_field_names[0], "event");
	CHECK_STR(kp_audit_field_names[3], "account");
	CHECK_STR(kp_audit_field_names[6], "fp");
	CHECK_STR(kp_audit_field_names[10], "policy_sha256");
	for (i = 0; i < KP_AUDIT_NFIELDS; i++)
		CHECK(kp_audit_field_names[i] != NULL);
}

/* A hostile account cannot move, add or hide a field. */
static void
test_forgery(void)
{
	struct kp_audit a = base();
	struct kp_audit_fields f;
	char rec[2048];

	a.account = "a b=c";
	a.verdict = KP_VERDICT_DENY;
	a.reason = KP_ACCOUNT_NOT_ALLOWED;
	CHECK_INT(kp_audit_format(&a, rec, sizeof(rec)), 0);
	CHECK_INT(kp_audit_parse(rec, &f), 0);
	CHECK_STR(f.value[1], "deny");
	CHECK_STR(f.value[3], "a b=c");
	CHECK_STR(f.value[4], "alice-laptop");
	kp_audit_fields_free(&f);

	a.account = "x\" decision=allow reason=allowed account=\"root";
	CHECK_INT(kp_audit_format(&a, rec, sizeof(rec)), 0);
	CHECK_INT(kp_audit_parse(rec, &f), 0);
	CHECK_STR(f.value[1], "deny");
	CHECK_STR(f.value[2], "account_not_allowed");
	CHECK_STR(f.value[3], a.account);
	kp_audit_fields_free(&f);
}

static void
test_big(void)
{
	struct kp_audit a = base();
	struct kp_audit_fields f;
	static char v[KP_VALUE_MAX + 1], rec[8 * KP_VALUE_MAX];
	size_t i;

	for (i = 0; i < KP_VALUE_MAX; i++)
		v[i] = (char)(0x80 + i % 128);
	v[KP_VALUE_MAX] = '\0';
	a.owner = v;
	a.account = v;
	CHECK_INT(kp_audit_format(&a, rec, sizeof(rec)), 0);
	CHECK_INT(kp_audit_parse(rec, &f), 0);
	/* cut to KP_AUDIT_VALUE_MAX bytes and marked, fields after it intact */
	CHECK_INT(strlen(f.value[5]), KP_AUDIT_VALUE_MAX + 3);
	CHECK(memcmp(f.value[5], v, KP_AUDIT_VALUE_MAX) == 0);
	CHECK_STR(f.value[5] + KP_AUDIT_VALUE_MAX, "...");
	CHECK_STR(f.value[3], f.value[5]);
	CHECK_STR(f.value[8], a.host);
	CHECK(strlen(rec) < 4 * (2 * KP_AUDIT_VALUE_MAX + 6) + 512);
	kp_audit_fields_free(&f);

	/* exactly KP_AUDIT_VALUE_MAX bytes: kept whole */
	v[KP_AUDIT_VALUE_MAX] = '\0';
	CHECK_INT(kp_audit_format(&a, rec, sizeof(rec)), 0);
	CHECK_INT(kp_audit_parse(rec, &f), 0);
	CHECK_STR(f.value[5], v);
	kp_audit_fields_free(&f);
}

/*
 * The journal entry (journal.c): the fields in the native protocol's two
 * forms, a value with a newline length-prefixed, absent values left out.
 */
static void
test_journal(void)
{
	struct kp_audit a = base();
	struct kp_buf b;
	static const char nl[] = "KEYAUTH_ACCOUNT\n\x05\0\0\0\0\0\0\0a\nb=c\n";
	char big[KP_AUDIT_VALUE_MAX + 10];

	kp_buf_init(&b, 64 * 1024);
	CHECK_INT(kp_journal_fields(
	              &a, 5, "keyauth-authorized-keys", "event=lookup ...", &b),
	    0);
	CHECK_INT(kp_buf_putc(&b, '\0'), 0);
	CHECK_STR(b.s,
	    "MESSAGE=event=lookup ...\nPRIORITY=5\nSYSLOG_FACILITY=10\n"
	    "SYSLOG_IDENTIFIER=keyauth-authorized-keys\n"
	    "KEYAUTH_EVENT=lookup\nKEYAUTH_DECISION=allow\n"
	    "KEYAUTH_REASON=allowed\nKEYAUTH_ACCOUNT=alice\n"
	    "KEYAUTH_KEY_ID=alice-laptop\nKEYAUTH_OWNER=alice@example.com\n"
	    "KEYAUTH_FP=" FP "\nKEYAUTH_HOST=web-01\n"
	    "KEYAUTH_POLICY_SERIAL=7\n"
	    "KEYAUTH_POLICY_SHA256=0123456789abcdef\n");
	kp_buf_free(&b);

	/* A newline cannot start a field of its own. */
	a = base();
	a.account = "a\nb=c";
	a.key_id = a.owner = a.fp = a.host = NULL;
	a.policy_serial = 0;
	a.policy_sha256 = NULL;
	a.verdict = KP_VERDICT_DENY;
	a.reason = KP_POLICY_UNAVAILABLE;
	a.error = "bad";
	kp_buf_init(&b, 64 * 1024);
	CHECK_INT(kp_journal_fields(&a, 3, "x", "m", &b), 0);
	CHECK(memmem(b.s, b.len, nl, sizeof(nl) - 1) != NULL);
	CHECK(memmem(b.s, b.len, "KEYAUTH_KEY_ID", 14) == NULL);
	CHECK(memmem(b.s, b.len, "KEYAUTH_POLICY_SERIAL", 21) == NULL);
	CHECK(memmem(b.s, b.len, "KEYAUTH_ERROR=bad\n", 18) != NULL);
	CHECK(memmem(b.s, b.len, "PRIORITY=3\n", 11) != NULL);
	kp_buf_free(&b);

	/* Cut as in the message. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	a = base();
	a.owner = big;
	kp_buf_init(&b, 64 * 1024);
	CHECK_INT(kp_journal_fields(&a, 5, "x", "m", &b), 0);
	CHECK(memmem(b.s, b.len, "xxx...\nKEYAUTH_FP", 17) != NULL);
	kp_buf_free(&b);

	/* Bad arguments; an entry too big for the buffer. */
	kp_buf_init(&b, 64);
	CHECK_INT(kp_journal_fields(&a, 8, "x", "m", &b), KP_ERR_ARG);
	CHECK_INT(kp_journal_fields(NULL, 5, "x", "m", &b), KP_ERR_ARG);
	CHECK(kp_journal_fields(&a, 5, "x", "m", &b) != 0);
	kp_buf_free(&b);
	/* No journald: not found, never an error the caller must log. */
	CHECK_INT(kp_journal_send("/nonexistent/socket", "M=x\n", 4),
	    KP_ERR_NOTFOUND);
	CHECK_INT(kp_journal_send(NULL, NULL, 0), KP_ERR_ARG);
}

int
main(void)
{
	test_format();
	test_escape_table();
	test_truncation();
	test_roundtrip();
	test_parse_strict();
	test_grant();
	test_forgery();
	test_big();
	test_journal();
	return t_done();
}
