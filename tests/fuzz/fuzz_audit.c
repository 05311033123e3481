/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * The audit-record escaper (kp_audit_format) against its parser
 * (kp_audit_parse): whatever bytes an attacker gets into an account name,
 * a client string, an owner or an error text, the record must split into
 * exactly the intended fields.
 *
 * Input layout: event, verdict, reason, a mask of absent strings, 8 bytes
 * of serial, a short buffer length, then up to eight NUL-separated strings
 * (account, key_id, owner, fp, client, host, policy_sha256, error).
 *
 * Properties: the record is one line that parses back to exactly those
 * values (absent ones as a bare "-", a literal "-" or "" told apart), and
 * a record cut short by a small buffer is a NUL-terminated prefix of the
 * whole record.
 */

#include "fuzz.h"
#include "keyauth.h"

#define NSTR 8

static const char *const events[] = {"lookup", "account", "session"};
static const char *const verdicts[] = {"allow", "deny", "would_deny"};

/* A value as it is logged: over KP_AUDIT_VALUE_MAX bytes, cut and marked. */
static int
same_logged(const char *got, const char *want)
{
	size_t n = strlen(want);

	if (n <= KP_AUDIT_VALUE_MAX)
		return strcmp(got, want) == 0;
	return strlen(got) == KP_AUDIT_VALUE_MAX + 3 &&
	    memcmp(got, want, KP_AUDIT_VALUE_MAX) == 0 &&
	    strcmp(got + KP_AUDIT_VALUE_MAX, "...") == 0;
}

static void
expect_value(const struct kp_audit_fields *f, int i, const char *want)
{
	if (want == NULL) {
		FZ_ASSERT(f->absent[i] == 1);
		FZ_ASSERT(strcmp(f->value[i], "-") == 0);
	} else {
		FZ_ASSERT(f->absent[i] == 0);
		FZ_ASSERT(same_logged(f->value[i], want));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_audit a;
	struct kp_audit_fields f;
	const char *str[NSTR] = {NULL};
	char *copy, *p, *end, *rec, *small, serial[24], sha[17];
	size_t reclen, smalllen, i;
	uint64_t ser = 0;
	int r;

	if (size < 13 || size > 16 * 1024)
		return 0;
	memset(&a, 0, sizeof(a));
	a.event = (enum kp_event)(data[0] % 3);
	a.verdict = (enum kp_verdict)(data[1] % 3);
	a.reason = (enum kp_reason)(data[2] % KP_REASON_COUNT);
	for (i = 0; i < 8; i++)
		ser = ser << 8 | data[4 + i];
	a.policy_serial = ser;
	smalllen = 1 + data[12];

	/* the strings, NUL-separated; a set bit in data[3] makes one NULL */
	copy = fz_cstr(data + 13, size - 13);
	end = copy + (size - 13);
	for (i = 0, p = copy; i < NSTR && p <= end; i++) {
		if (!(data[3] & (1u << i)))
			str[i] = p;
		p += strlen(p) + 1;
	}
	a.account = str[0];
	a.key_id = str[1];
	a.owner = str[2];
	a.fp = str[3];
	a.client = str[4];
	a.host = str[5];
	a.policy_sha256 = str[6];
	a.error = str[7];

	reclen = 4 * size + 1024;
	if ((rec = malloc(reclen)) == NULL ||
	    (small = malloc(smalllen)) == NULL)
		abort();
	FZ_ASSERT(kp_audit_format(&a, rec, reclen) == 0);
	FZ_ASSERT(strchr(rec, '\n') == NULL && strchr(rec, '\r') == NULL);
	for (p = rec; *p != '\0'; p++)
		FZ_ASSERT(*p >= 0x20 && *p < 0x7f);

	memset(&f, 0, sizeof(f));
	r = kp_audit_parse(rec, &f);
	if (r != 0)
		fprintf(stderr, "record: %s\n", rec);
	FZ_ASSERT(r == 0);
	expect_value(&f, 0, events[a.event]);
	expect_value(&f, 1, verdicts[a.verdict]);
	expect_value(&f, 2, kp_reason_str(a.reason));
	expect_value(&f, 3, a.account);
	expect_value(&f, 4, a.key_id);
	expect_value(&f, 5, a.owner);
	expect_value(&f, 6, a.fp);
	expect_value(&f, 7, a.client);
	expect_value(&f, 8, a.host);
	snprintf(serial, sizeof(serial), "%llu", (unsigned long long)ser);
	expect_value(&f, 9, ser == 0 ? NULL : serial);
	if (a.policy_sha256 == NULL || *a.policy_sha256 == '\0') {
		expect_value(&f, 10, NULL);
	} else {
		snprintf(sha, sizeof(sha), "%s", a.policy_sha256);
		expect_value(&f, 10, sha);
	}
	if (a.error == NULL)
		FZ_ASSERT(f.error == NULL);
	else
		FZ_ASSERT(f.error != NULL && same_logged(f.error, a.error));
	kp_audit_fields_free(&f);

	/* cut short: a terminated prefix, and an error unless it all fit */
	memset(small, 'x', smalllen);
	r = kp_audit_format(&a, small, smalllen);
	FZ_ASSERT(memchr(small, '\0', smalllen) != NULL);
	FZ_ASSERT(strncmp(small, rec, strlen(small)) == 0);
	if (strlen(rec) < smalllen)
		FZ_ASSERT(r == 0 && strcmp(small, rec) == 0);
	else
		FZ_ASSERT(r == KP_ERR_TOOBIG);

	/* and the parser on the raw input, as a log reader meets it */
	memset(&f, 0, sizeof(f));
	if (kp_audit_parse(copy, &f) == 0)
		kp_audit_fields_free(&f);

	free(small);
	free(rec);
	free(copy);
	return 0;
}
