/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests: time, names, host globs, base64, the string helpers, UTF-8
 * and the byte buffer.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/base64.h>

#include "keyauth.h"
#include "kp-internal.h"
#include "../test.h"

static void
check_time(const char *s, int want_r, int64_t want)
{
	int64_t t = -1;
	int r = kp_time_parse(s, &t);

	CHECK_INT(r, want_r);
	if (r == 0)
		CHECK_INT(t, want);
	else
		CHECK_INT(t, 0);
	if (r != want_r || (r == 0 && t != want))
		fprintf(stderr, "  ... for \"%s\"\n", s);
}

static void
test_time(void)
{
	char buf[64];
	int64_t t;

	check_time("1970-01-01", 0, 0);
	check_time("2026-01-01", 0, 1767225600);
	check_time("2026-11-22T13:45:07Z", 0, 1795355107);
	check_time("2026-11-22T13:45:07", 0, 1795355107); /* no zone: UTC */
	check_time("2026-11-22T13:45:07.999Z", 0, 1795355107);
	check_time("2026-11-22T13:45:07.123456789Z", 0, 1795355107);
	check_time("2026-11-22T14:45:07+01:00", 0, 1795355107);
	check_time("2026-11-22T08:15:07-05:30", 0, 1795355107);
	check_time("2026-11-22T13:45:07-00:00", 0, 1795355107);
	check_time("2026-11-23T00:45:07+11:00", 0, 1795355107);
	/* leap years */
	check_time("2024-02-29", 0, 1709164800);
	check_time("2000-02-29", 0, 951782400);
	check_time("2026-02-29", KP_ERR_INVALID, 0);
	check_time("1900-02-29", KP_ERR_INVALID, 0);
	check_time("2100-02-29", KP_ERR_INVALID, 0);
	check_time("2026-02-30", KP_ERR_INVALID, 0);
	check_time("2026-04-31", KP_ERR_INVALID, 0);
	check_time("2026-12-31", 0, 1798675200);
	check_time("9999-12-31T23:59:59Z", 0, 253402300799);
	/* out of range and malformed */
	check_time("1969-12-31", KP_ERR_INVALID, 0);
	check_time("10000-01-01", KP_ERR_INVALID, 0);
	check_time("2026-00-10", KP_ERR_INVALID, 0);
	check_time("2026-13-01", KP_ERR_INVALID, 0);
	check_time("2026-01-00", KP_ERR_INVALID, 0);
	check_time("2026-01-01T24:00:00Z", KP_ERR_INVALID, 0);
	check_time("2026-01-01T23:60:00Z", KP_ERR_INVALID, 0);
	check_time("2026-01-01T23:59:60Z", KP_ERR_INVALID, 0);
	check_time("2026-01-01T00:00:00+24:00", KP_ERR_INVALID, 0);
	check_time("2026-01-01T00:00:00+01:60", KP_ERR_INVALID, 0);
	check_time("2026-01-01T00:00:00+0100", KP_ERR_INVALID, 0);
	check_time("2026-01-01T00:00:00.Z", KP_ERR_INVALID, 0);
	check_time("2026-01-01T00:00:00.1234567890Z", KP_ERR_INVALID, 0);
	check_time("2026-01-01t00:00:00z", KP_ERR_INVALID, 0);
	check_time("2026-01-01 00:00:00Z", KP_ERR_INVALID, 0);
	check_time("2026-01-01T00:00Z", KP_ERR_INVALID, 0);
	check_time("2026-01-01Z", KP_ERR_INVALID, 0);
	check_time("2026-1-01", KP_ERR_INVALID, 0);
	check_time("2026-01-1", KP_ERR_INVALID, 0);
	check_time(" 2026-01-01", KP_ERR_INVALID, 0);
	check_time("2026-01-01 ", KP_ERR_INVALID, 0);
	check_time("2026-01-01T00:00:00ZZ", KP_ERR_INVALID, 0);
	check_time("+2026-01-01", KP_ERR_INVALID, 0);
	check_time("", KP_ERR_INVALID, 0);
	check_time("2026", KP_ERR_INVALID, 0);
	check_time("2026-01-01T", KP_ERR_INVALID, 0);
	CHECK_INT(kp_time_parse(NULL, &t), KP_ERR_ARG);
	CHECK_INT(kp_time_parse("2026-01-01", NULL), KP_ERR_ARG);

	kp_time_format(0, buf, sizeof(buf));
	CHECK_STR(buf, "1970-01-01T00:00:00Z");
	kp_time_format(1795355107, buf, sizeof(buf));
	CHECK_STR(buf, "2026-11-22T13:45:07Z");
	kp_time_format(1709164800 + 86399, buf, sizeof(buf));
	CHECK_STR(buf, "2024-02-29T23:59:59Z");
	kp_time_format(253402300799, buf, sizeof(buf));
	CHECK_STR(buf, "9999-12-31T23:59:59Z");
	kp_time_format(-1, buf, sizeof(buf));
	CHECK_STR(buf, "1969-12-31T23:59:59Z");
	/* extreme values neither crash nor overflow the buffer */
	kp_time_format(INT64_MAX, buf, sizeof(buf));
	CHECK(strlen(buf) > 0);
	kp_time_format(INT64_MIN, buf, sizeof(buf));
	CHECK(strlen(buf) > 0);
	memset(buf, 'x', sizeof(buf));
	kp_time_format(0, buf, 5);
	CHECK_STR(buf, "1970");

	/* round trip over many days, leap days included */
	for (t = 0; t < 253402300799; t += 86400 * 97 + 3607) {
		int64_t back = -1;

		kp_time_format(t, buf, sizeof(buf));
		if (kp_time_parse(buf, &back) != 0 || back != t) {
			CHECK_INT(back, t);
			break;
		}
	}
	CHECK(t >= 253402300799);
}

static void
test_names(void)
{
	CHECK(kp_account_valid("alice"));
	CHECK(kp_account_valid("_apt"));
	CHECK(kp_account_valid("a"));
	CHECK(kp_account_valid("www-data"));
	CHECK(kp_account_valid("first.last"));
	CHECK(kp_account_valid("user_9"));
	CHECK(kp_account_valid("host$"));
	CHECK(kp_account_valid("abcdefghijklmnopqrstuvwxyz012345")); /* 32 */
	CHECK(kp_account_valid("abcdefghijklmnopqrstuvwxyz01234$")); /* 32 */
	CHECK(!kp_account_valid("abcdefghijklmnopqrstuvwxyz0123456")); /* 33 */
	CHECK(!kp_account_valid(""));
	CHECK(!kp_account_valid(NULL));
	CHECK(!kp_account_valid("Alice"));
	CHECK(!kp_account_valid("1alice"));
	CHECK(!kp_account_valid("-alice"));
	CHECK(!kp_account_valid(".alice"));
	CHECK(!kp_account_valid("$"));
	CHECK(!kp_account_valid("al$ce"));
	CHECK(!kp_account_valid("alice$$"));
	CHECK(!kp_account_valid("ali ce"));
	CHECK(!kp_account_valid("alice\n"));
	CHECK(!kp_account_valid("al*"));
	CHECK(!kp_account_valid("r\xc3\xa9my"));

	CHECK(kp_id_valid("alice-laptop"));
	CHECK(kp_id_valid("a"));
	CHECK(kp_id_valid("A.b_c@d+e-f9"));
	CHECK(kp_id_valid("0123456789012345678901234567890123456789012345678901"
	                  "234567890123"));
	CHECK(!kp_id_valid("012345678901234567890123456789012345678901234567890"
	                   "12345678901234"));
	CHECK(!kp_id_valid(""));
	CHECK(!kp_id_valid(NULL));
	CHECK(!kp_id_valid("a b"));
	CHECK(!kp_id_valid("a/b"));
	CHECK(!kp_id_valid("a\"b"));
	CHECK(!kp_id_valid("a,b"));
	CHECK(!kp_id_valid("a=b"));
	CHECK(!kp_id_valid("a:b"));
	CHECK(!kp_id_valid("\xc3\xa9"));
}

static void
test_hosts(void)
{
	char longh[300];
	const char *why;

	CHECK(kp_host_match("web-*", "web-01"));
	CHECK(kp_host_match("web-*", "WEB-01"));
	CHECK(kp_host_match("WEB-*", "web-01"));
	CHECK(kp_host_match("db-01", "db-01"));
	CHECK(kp_host_match("db-0?", "db-07"));
	CHECK(kp_host_match("db-0[1-3]", "db-02"));
	CHECK(!kp_host_match("db-0[1-3]", "db-04"));
	CHECK(kp_host_match("db-0[!1-3]", "db-04"));
	CHECK(kp_host_match("*.example.com", "a.example.com"));
	CHECK(kp_host_match("*", "anything"));
	CHECK(!kp_host_match("web-*", "db-01"));
	CHECK(!kp_host_match("web-*", "xweb-01"));
	CHECK(!kp_host_match("db-01", "db-011"));
	CHECK(!kp_host_match("db-0?", "db-0"));
	CHECK(!kp_host_match("", "web"));
	CHECK(!kp_host_match("web", ""));
	CHECK(!kp_host_match(NULL, "web"));
	CHECK(!kp_host_match("*", NULL));
	CHECK(!kp_host_match("*", "bad host"));
	CHECK(!kp_host_match("*", "bad/host"));
	CHECK(!kp_host_match("web\\-1", "web-1"));
	CHECK(!kp_host_match("*a*a*a*a*a", "aaaaaaaa")); /* 5 stars */
	CHECK(kp_host_match("*a*a*a*a", "aaaaaaaa"));
	memset(longh, 'a', sizeof(longh) - 1);
	longh[sizeof(longh) - 1] = '\0';
	CHECK(!kp_host_match("*", longh));
	CHECK(!kp_host_match(longh, longh));
	longh[255] = '\0';
	CHECK(kp_host_match("*", longh));
	CHECK(kp_host_match(longh, longh));

	CHECK(kp_host_pattern_valid("web-*", &why));
	CHECK(kp_host_pattern_valid("db-0[1-3].example.com", &why));
	why = NULL;
	CHECK(!kp_host_pattern_valid("web-[", &why));
	CHECK_CONTAINS(why, "unclosed");
	CHECK(!kp_host_pattern_valid("web 1", &why));
	CHECK(!kp_host_pattern_valid("web,db", &why));
	CHECK(!kp_host_pattern_valid("", &why));
	CHECK_CONTAINS(why, "empty");
	CHECK(!kp_host_pattern_valid("[]", &why));
	CHECK(!kp_host_pattern_valid("*a*b*c*d*e", &why));
	CHECK_CONTAINS(why, "'*'");
}

static void
test_b64(void)
{
	static const struct {
		const char *plain, *enc;
	} v[] = {
	    {"", ""},
	    {"f", "Zg=="},
	    {"fo", "Zm8="},
	    {"foo", "Zm9v"},
	    {"foob", "Zm9vYg=="},
	    {"fooba", "Zm9vYmE="},
	    {"foobar", "Zm9vYmFy"},
	};
	static const char *const bad[] = {"Zg=", "Zg",
	    "Zh==", "Zm9=", "Z===", "====", "Zm9v Zm9v", "Zm9v\n",
	    "Zg==Zg==", "Zm-v", "Zm_v", "Zm9v=", "Z=g="};
	char enc[64];
	uint8_t *out;
	size_t i, outlen, off;
	const char *why;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		CHECK_INT(kp_b64_encode((const uint8_t *)v[i].plain,
		              strlen(v[i].plain), 1, enc, sizeof(enc)),
		    0);
		CHECK_STR(enc, v[i].enc);
		CHECK_INT(
		    kp_b64_enclen(strlen(v[i].plain), 1), strlen(v[i].enc));
		CHECK_INT(kp_b64_decode(v[i].enc, strlen(v[i].enc), &out,
		              &outlen, &why, &off),
		    0);
		CHECK_INT(outlen, strlen(v[i].plain));
		CHECK(out != NULL && memcmp(out, v[i].plain, outlen) == 0);
		free(out);
	}
	CHECK_INT(
	    kp_b64_encode((const uint8_t *)"fo", 2, 0, enc, sizeof(enc)), 0);
	CHECK_STR(enc, "Zm8");
	CHECK_INT(kp_b64_enclen(2, 0), 3);
	CHECK_INT(
	    kp_b64_encode((const uint8_t *)"foo", 3, 1, enc, 4), KP_ERR_TOOBIG);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		out = (uint8_t *)1;
		CHECK_INT(kp_b64_decode(bad[i], strlen(bad[i]), &out, &outlen,
		              &why, &off),
		    KP_ERR_INVALID);
		CHECK(out == NULL);
		CHECK(why != NULL);
	}
	CHECK_INT(kp_b64_decode("Zm9v Zm9v", 9, &out, &outlen, &why, &off),
	    KP_ERR_INVALID);
	CHECK_CONTAINS(why, "whitespace");
	CHECK_INT(off, 4);
	CHECK_INT(kp_b64_decode("Zh==", 4, &out, &outlen, &why, &off),
	    KP_ERR_INVALID);
	CHECK_CONTAINS(why, "non-canonical");
	CHECK_INT(off, 1);
}

/*
 * The decoder's byte table against the references: every byte value
 * against RFC 4648's alphabet, and random blobs of every length up to
 * 200 bytes encoded by nettle's base64 encoder, decoded by ours.
 */
static void
test_b64_reference(void)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                               "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char grp[4], enc[BASE64_ENCODE_RAW_LENGTH(200) + 4];
	uint8_t raw[200], *out;
	const char *hit, *why;
	size_t i, n, outlen, off, bad = 0, wrong = 0;
	unsigned seed = 12345;
	int r;

	for (i = 0; i < 256; i++) {
		/* c 'A' 'A' 'A': the first byte is c's value << 2 */
		grp[0] = (char)i;
		grp[1] = grp[2] = grp[3] = 'A';
		r = kp_b64_decode(grp, 4, &out, &outlen, &why, &off);
		hit = i != 0 ? strchr(alphabet, (int)i) : NULL;
		if (hit == NULL)
			bad += r != KP_ERR_INVALID || out != NULL || off != 0;
		else
			bad += r != 0 || outlen != 3 ||
			    out[0] != (uint8_t)((hit - alphabet) << 2) ||
			    out[1] != 0 || out[2] != 0;
		free(out);
	}
	CHECK_INT(bad, 0);
	for (n = 0; n <= sizeof(raw); n++) {
		for (i = 0; i < n; i++) {
			seed = seed * 1103515245U + 12345U;
			raw[i] = (uint8_t)(seed >> 16);
		}
		nettle_base64_encode_raw(enc, n, raw);
		r = kp_b64_decode(enc, BASE64_ENCODE_RAW_LENGTH(n), &out,
		    &outlen, &why, &off);
		wrong += r != 0 || outlen != n ||
		    (n > 0 && memcmp(out, raw, n) != 0);
		free(out);
	}
	CHECK_INT(wrong, 0);
}

static void
test_strings(void)
{
	struct kp_buf b;
	char *s, small[4];
	size_t len;
	const char *why;

	kp_buf_init(&b, 10);
	CHECK_INT(kp_buf_puts(&b, "abc"), 0);
	CHECK_INT(kp_buf_printf(&b, "%d-%s", 42, "x"), 0);
	CHECK_INT(kp_buf_putc(&b, '!'), 0);
	CHECK_INT(kp_buf_take(&b, &s, &len), 0);
	CHECK_STR(s, "abc42-x!");
	CHECK_INT(len, 8);
	free(s);
	kp_buf_init(&b, 4);
	CHECK_INT(kp_buf_puts(&b, "abcd"), 0);
	CHECK_INT(kp_buf_putc(&b, 'e'), KP_ERR_TOOBIG);
	CHECK_INT(kp_buf_puts(&b, ""), KP_ERR_TOOBIG); /* sticky */
	s = (char *)1;
	CHECK_INT(kp_buf_take(&b, &s, NULL), KP_ERR_TOOBIG);
	CHECK(s == NULL);
	kp_buf_init(&b, 100);
	CHECK_INT(kp_buf_take(&b, &s, &len), 0);
	CHECK_STR(s, "");
	free(s);

	CHECK_INT(kp_strconcat(&s, 100, "a", "bc", "", "d", (char *)NULL), 0);
	CHECK_STR(s, "abcd");
	free(s);
	CHECK_INT(
	    kp_strconcat(&s, 3, "a", "bc", "d", (char *)NULL), KP_ERR_TOOBIG);
	CHECK(s == NULL);
	CHECK_INT(kp_strdup_max("hello", 5, &s), 0);
	CHECK_STR(s, "hello");
	free(s);
	CHECK_INT(kp_strdup_max("hello", 4, &s), KP_ERR_TOOBIG);
	CHECK(s == NULL);
	CHECK_INT(kp_strlcpy_checked(small, sizeof(small), "abc"), 0);
	CHECK_STR(small, "abc");
	CHECK_INT(
	    kp_strlcpy_checked(small, sizeof(small), "abcd"), KP_ERR_TOOBIG);
	CHECK_STR(small, "");

	CHECK(kp_value_clean("plain text", 100, &why));
	CHECK(kp_value_clean("", 100, &why));
	CHECK(kp_value_clean(
	    "r\xc3\xa9my \xe2\x82\xac \xf0\x9f\x94\x91", 100, &why));
	CHECK(kp_value_clean("12345", 5, &why));
	CHECK(!kp_value_clean("123456", 5, &why));
	CHECK_CONTAINS(why, "too long");
	CHECK(!kp_value_clean("a\nb", 100, &why));
	CHECK_CONTAINS(why, "newline");
	CHECK(!kp_value_clean("a\rb", 100, &why));
	CHECK(!kp_value_clean("a\tb", 100, &why));
	CHECK_CONTAINS(why, "control");
	CHECK(!kp_value_clean("a\x7f", 100, &why));
	CHECK(!kp_value_clean("a\x1b[31m", 100, &why));
	CHECK(!kp_value_clean("\xc2\x85", 100, &why)); /* NEL (C1) */
	CHECK_CONTAINS(why, "control");
	CHECK(!kp_value_clean("\xe2\x80\xa8", 100, &why)); /* U+2028 */
	CHECK(!kp_value_clean("\xe2\x80\xae", 100, &why)); /* RLO */
	CHECK_CONTAINS(why, "bidirectional");
	CHECK(!kp_value_clean("\xc0\xaf", 100, &why)); /* overlong */
	CHECK(!kp_value_clean("\xe0\x80\xaf", 100, &why));
	CHECK(!kp_value_clean("\xed\xa0\x80", 100, &why)); /* surrogate */
	CHECK(!kp_value_clean("\xf4\x90\x80\x80", 100, &why));
	CHECK(!kp_value_clean("\xc3", 100, &why));
	CHECK_CONTAINS(why, "truncated");
	CHECK(!kp_value_clean("\xc3x", 100, &why));
	CHECK(!kp_value_clean("\xff", 100, &why));
	CHECK(!kp_value_clean(NULL, 100, &why));
}

/*
 * Invisible, format and space-like characters (kp_value_visible): what a
 * reviewer cannot see must not tell two owners apart.
 */
static void
test_visible(void)
{
	static const uint32_t hidden[] = {0xa0, 0xad, 0x34f, 0x61c, 0x115f,
	    0x1680, 0x180e, 0x2000, 0x200a, 0x200b, 0x200d, 0x2028, 0x202f,
	    0x205f, 0x2060, 0x2064, 0x3000, 0x3164, 0xfe0f, 0xfeff, 0xffa0,
	    0x1bca0, 0xe0001, 0xe007f};
	static const uint32_t shown[] = {' ', 'a', '@', 0xe9, 0x2010, 0x2011,
	    0x2027, 0x2030, 0x20ac, 0x3001, 0xfe10, 0xfffd, 0x1f511, 0x10ffff};
	const char *why = NULL;
	uint32_t cp = 0;
	size_t i;

	for (i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
		if (!t_ok(kp_char_invisible(hidden[i]), __FILE__, __LINE__,
		        "U+%04X is invisible", (unsigned)hidden[i]))
			t_diag("kp_char_invisible(0x%x) == 0",
			    (unsigned)hidden[i]);
	for (i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		if (!t_ok(!kp_char_invisible(shown[i]), __FILE__, __LINE__,
		        "U+%04X is visible", (unsigned)shown[i]))
			t_diag(
			    "kp_char_invisible(0x%x) == 1", (unsigned)shown[i]);
	/* kp_value_visible passes ASCII without the table: none is in it. */
	for (i = 0, cp = 0; i < 0x80; i++)
		cp += (uint32_t)kp_char_invisible((uint32_t)i);
	CHECK_INT(cp, 0);
	CHECK(kp_value_visible("alice@example.com", 100, &why, &cp));
	CHECK(kp_value_visible("r\xc3\xa9my \xf0\x9f\x94\x91", 100, &why, &cp));
	CHECK(!kp_value_visible(
	    "alice@example.com\xe2\x80\x8b", 100, &why, &cp)); /* U+200B */
	CHECK_INT(cp, 0x200b);
	CHECK_CONTAINS(why, "invisible or format character");
	CHECK(!kp_value_visible("Alice\xc2\xa0Smith", 100, &why, &cp));
	CHECK_INT(cp, 0xa0);
	CHECK(!kp_value_visible("x\xf3\xa0\x80\x81", 100, &why, &cp)); /* tag */
	CHECK_INT(cp, 0xe0001);
	/* what kp_value_clean refuses comes first, with its own reason */
	CHECK(!kp_value_visible("a\nb", 100, &why, &cp));
	CHECK_CONTAINS(why, "newline");
	CHECK_INT(cp, 0);
	CHECK(!kp_value_visible("\xe2\x80\xae", 100, &why, NULL));
	CHECK_CONTAINS(why, "bidirectional");
	CHECK(!kp_value_visible(NULL, 100, &why, &cp));
}

static void
test_utf8(void)
{
	uint32_t cp;

	CHECK_INT(kp_utf8_next("a", 1, &cp), 1);
	CHECK_INT(cp, 'a');
	CHECK_INT(kp_utf8_next("\xc3\xa9", 2, &cp), 2);
	CHECK_INT(cp, 0xe9);
	CHECK_INT(kp_utf8_next("\xe2\x80\xa8", 3, &cp), 3);
	CHECK_INT(cp, 0x2028);
	CHECK_INT(kp_utf8_next("\xf0\x9f\x94\x91", 4, &cp), 4);
	CHECK_INT(cp, 0x1f511);
	/* only as many bytes as len: the rest of a sequence is missing */
	CHECK_INT(kp_utf8_next("\xf0\x9f\x94\x91", 3, &cp), KP_UTF8_TRUNCATED);
	CHECK_INT(kp_utf8_next("", 0, &cp), KP_UTF8_TRUNCATED);
	CHECK_INT(
	    kp_utf8_next("\xc0\x80", 2, &cp), KP_UTF8_INVALID); /* overlong */
	CHECK_INT(kp_utf8_next("\xe0\x80\x80", 3, &cp), KP_UTF8_INVALID);
	CHECK_INT(kp_utf8_next("\xed\xa0\x80", 3, &cp),
	    KP_UTF8_INVALID); /* surrogate */
	CHECK_INT(kp_utf8_next("\xf4\x90\x80\x80", 4, &cp), KP_UTF8_INVALID);
	CHECK_INT(kp_utf8_next("\x80", 1, &cp), KP_UTF8_INVALID);
	CHECK_INT(kp_utf8_next("\xc3x", 2, &cp), KP_UTF8_INVALID);
	CHECK_INT(cp, 0);
}

static void
test_buf(void)
{
	static const uint8_t wire[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0, 0, 0, 3, 'a',
	    'b', 'c'};
	const uint8_t *p;
	struct kp_buf b, v;
	char store[8], *s;
	uint64_t u64;
	uint32_t u32;
	uint16_t u16;
	uint8_t u8;
	size_t n;

	/* big-endian integers and an SSH string, read back from a view */
	kp_buf_init(&b, 100);
	CHECK_INT(kp_buf_put_u8(&b, 0x01), 0);
	CHECK_INT(kp_buf_put_u16(&b, 0x0203), 0);
	CHECK_INT(kp_buf_put_u32(&b, 0x04050607), 0);
	CHECK_INT(kp_buf_put_u64(&b, 0x08090a0b0c0d0e0fULL), 0);
	CHECK_INT(kp_buf_put_string(&b, "abc", 3), 0);
	CHECK_INT(kp_buf_len(&b), sizeof(wire));
	CHECK(memcmp(kp_buf_ptr(&b), wire, sizeof(wire)) == 0);
	kp_buf_free(&b);
	kp_buf_view(&v, wire, sizeof(wire));
	CHECK_INT(kp_buf_get_u8(&v, &u8), 0);
	CHECK_INT(u8, 1);
	CHECK_INT(kp_buf_get_u16(&v, &u16), 0);
	CHECK_INT(u16, 0x0203);
	CHECK_INT(kp_buf_get_u32(&v, &u32), 0);
	CHECK_INT(u32, 0x04050607);
	CHECK_INT(kp_buf_get_u64(&v, &u64), 0);
	CHECK(u64 == 0x08090a0b0c0d0e0fULL);
	CHECK_INT(kp_buf_get_string(&v, &p, &n), 0);
	CHECK_INT(n, 3);
	CHECK(p == wire + 19 && memcmp(p, "abc", 3) == 0);
	CHECK_INT(kp_buf_len(&v), 0);
	CHECK_INT(kp_buf_get_u8(&v, &u8), KP_ERR_CORRUPT);
	/* a view is read-only */
	CHECK_INT(kp_buf_put_u8(&v, 1), KP_ERR_ARG);
	/* a short read consumes nothing, a string's length is checked first */
	kp_buf_view(&v, wire + 15, 6); /* 00 00 00 03 'a' 'b' */
	CHECK_INT(kp_buf_get_string(&v, &p, &n), KP_ERR_CORRUPT);
	CHECK(p == NULL && n == 0);
	CHECK_INT(kp_buf_len(&v), 6);
	CHECK_INT(kp_buf_get_u64(&v, &u64), KP_ERR_CORRUPT);
	CHECK_INT(kp_buf_get_ptr(&v, 7, &p), KP_ERR_CORRUPT);
	CHECK_INT(kp_buf_get_ptr(&v, 6, &p), 0);
	CHECK(p == wire + 15);
	CHECK_INT(kp_buf_get_ptr(&v, 0, NULL), 0);
	CHECK(kp_peek_u32(wire + 3) == 0x04050607);
	CHECK(kp_peek_u64(wire + 7) == 0x08090a0b0c0d0e0fULL);
	CHECK(kp_peek_u16(wire + 1) == 0x0203);

	/* fixed storage: NUL-terminated, whole pieces only, never grows */
	memset(store, 'x', sizeof(store));
	kp_buf_init_fixed(&b, store, sizeof(store));
	CHECK_STR(store, "");
	CHECK_INT(kp_buf_puts(&b, "abcd"), 0);
	CHECK_INT(kp_buf_printf(&b, "%d", 123), 0);
	CHECK_STR(store, "abcd123");
	CHECK_INT(kp_buf_putc(&b, 'z'), KP_ERR_TOOBIG);
	CHECK_STR(store, "abcd123");
	CHECK_INT(kp_buf_puts(&b, ""), KP_ERR_TOOBIG); /* sticky */
	s = (char *)1;
	CHECK_INT(
	    kp_buf_take(&b, &s, NULL), KP_ERR_ARG); /* not ours to hand out */
	CHECK(s == NULL);
	kp_buf_init_fixed(&b, store, sizeof(store));
	CHECK_INT(kp_buf_puts(&b, "abc"), 0);
	CHECK_INT(kp_buf_printf(&b, "%s", "defgh"), KP_ERR_TOOBIG);
	CHECK_STR(store, "abc");
	kp_buf_reset(&b);
	CHECK_STR(store, "");
	CHECK_INT(kp_buf_put_string(&b, "abcd", 4), KP_ERR_TOOBIG); /* 8 > 7 */
	CHECK_INT(b.len, 0);
	kp_buf_reset(&b);
	CHECK_INT(kp_buf_put_string(&b, "abc", 3), 0);
	CHECK_INT(b.len, 7);

	/* lines: the text and its newline, or nothing */
	kp_buf_init(&b, 8);
	CHECK_INT(kp_buf_putline(&b, "abc"), 0);
	CHECK_INT(kp_buf_putline(&b, "defg"), KP_ERR_TOOBIG);
	CHECK_INT(kp_buf_take(&b, &s, &n), KP_ERR_TOOBIG);
	kp_buf_init(&b, 8);
	CHECK_INT(kp_buf_putline(&b, "abc"), 0);
	CHECK_INT(kp_buf_putline(&b, "def"), 0);
	CHECK_INT(kp_buf_take(&b, &s, &n), 0);
	CHECK_STR(s, "abc\ndef\n");
	CHECK_INT(n, 8);
	free(s);
	/* reading what was written, from the front */
	kp_buf_init(&b, 100);
	kp_buf_puts(&b, "hello");
	CHECK_INT(kp_buf_get_ptr(&b, 2, &p), 0);
	CHECK_INT(kp_buf_len(&b), 3);
	CHECK(memcmp(kp_buf_ptr(&b), "llo", 3) == 0);
	CHECK_INT(kp_buf_set_error(&b, KP_ERR_NOMEM), KP_ERR_NOMEM);
	CHECK_INT(kp_buf_set_error(&b, KP_ERR_IO), KP_ERR_NOMEM);
	CHECK_INT(kp_buf_putc(&b, 'x'), KP_ERR_NOMEM);
	kp_buf_free(&b);
}

static void
test_errors(void)
{
	struct kp_diag d;
	char buf[600];
	int r;

	for (r = 0; r >= KP_ERR_INTERNAL; r--)
		CHECK(strcmp(kp_strerror(r), "unknown error") != 0);
	CHECK_STR(kp_strerror(-999), "unknown error");
	CHECK_STR(kp_strerror(KP_ERR_ROLLBACK),
	    "serial lower than the installed one (rollback)");

	memset(&d, 0, sizeof(d));
	snprintf(d.file, sizeof(d.file), "policy.yaml");
	snprintf(d.msg, sizeof(d.msg), "expected a list");
	d.line = 12;
	d.column = 5;
	kp_diag_format(&d, buf, sizeof(buf));
	CHECK_STR(buf, "policy.yaml:12:5: expected a list");
	d.column = 0;
	kp_diag_format(&d, buf, sizeof(buf));
	CHECK_STR(buf, "policy.yaml:12: expected a list");
	d.line = 0;
	kp_diag_format(&d, buf, sizeof(buf));
	CHECK_STR(buf, "policy.yaml: expected a list");
	d.file[0] = '\0';
	kp_diag_format(&d, buf, sizeof(buf));
	CHECK_STR(buf, "expected a list");
	d.line = 3;
	d.column = 4;
	kp_diag_format(&d, buf, sizeof(buf));
	CHECK_STR(buf, "line 3, column 4: expected a list");
	/* truncation stays NUL-terminated */
	kp_diag_format(&d, buf, 8);
	CHECK_STR(buf, "line 3,");
	/* unterminated fields do not run off the struct */
	memset(&d, 'A', sizeof(d));
	d.line = 1;
	d.column = 1;
	kp_diag_format(&d, buf, sizeof(buf));
	CHECK(strlen(buf) < sizeof(buf));
	CHECK_CONTAINS(buf, "(unterminated message)");
}

/* kp_word_lines: "WORD REST" lines split in place, the rest skipped */
static int
word_cb(void *arg, char *word, char *rest)
{
	char *got = arg;
	size_t o = strlen(got);

	snprintf(got + o, 256 - o, "[%s|%s]", word, rest);
	return strcmp(word, "stop") == 0 ? -7 : 0;
}

static void
test_word_lines(void)
{
	static const char text[] = "usepam yes\r\nnospace\n\n"
	                           "authorizedkeysfile  .ssh/a b\nlast x";
	char got[256], *buf = NULL;

	T_CASE("kp_word_lines");
	got[0] = '\0';
	CHECK_INT(kp_word_lines(text, strlen(text), &buf, word_cb, got), 0);
	CHECK_STR(got, "[usepam|yes][authorizedkeysfile| .ssh/a b][last|x]");
	free(buf);
	got[0] = '\0';
	CHECK_INT(kp_word_lines(NULL, 0, &buf, word_cb, got), 0);
	CHECK_STR(got, "");
	free(buf);
	got[0] = '\0';
	CHECK_INT(
	    kp_word_lines("a 1\nstop 2\nb 3\n", 15, &buf, word_cb, got), -7);
	CHECK_STR(got, "[a|1][stop|2]");
	free(buf);
	CHECK_INT(kp_word_lines(NULL, 3, &buf, word_cb, got), KP_ERR_ARG);
	CHECK_INT(kp_word_lines("x y", 3, NULL, word_cb, got), KP_ERR_ARG);
}

int
main(void)
{
	test_time();
	test_names();
	test_hosts();
	test_b64();
	test_b64_reference();
	test_strings();
	test_utf8();
	test_visible();
	test_buf();
	test_errors();
	test_word_lines();
	return t_done();
}
