/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests: address and CIDR parsing, matching and formatting, and
 * whether one address set covers another.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "keyauth.h"
#include "../test.h"

/* Parse s as a CIDR and check the canonical text (NULL: must fail). */
static void
cidr(const char *s, const char *want)
{
	struct kp_cidr c;
	char buf[64];
	const char *why = NULL;
	int r;

	r = kp_cidr_parse(s, &c, &why);
	if (want == NULL) {
		CHECK_INT(r, KP_ERR_INVALID);
		CHECK(why != NULL);
		CHECK_INT(c.family, 0);
		if (r == 0)
			fprintf(stderr, "  ... \"%s\" was accepted\n", s);
		return;
	}
	CHECK_INT(r, 0);
	if (r != 0) {
		fprintf(stderr, "  ... \"%s\": %s\n", s, why ? why : "?");
		return;
	}
	kp_cidr_format(&c, buf, sizeof(buf));
	CHECK_STR(buf, want);
}

static void
addr(const char *s, const char *want)
{
	struct kp_cidr c;
	char buf[64];
	const char *why = NULL;
	int r;

	r = kp_addr_parse(s, &c, &why);
	if (want == NULL) {
		CHECK(r != 0);
		CHECK(why != NULL);
		if (r == 0)
			fprintf(stderr, "  ... \"%s\" was accepted\n", s);
		return;
	}
	CHECK_INT(r, 0);
	kp_cidr_format(&c, buf, sizeof(buf));
	CHECK_STR(buf, want);
}

/* The reason for a person (kp_cidr_parse_why); kp_cidr_parse agrees. */
static const char *
why_of(const char *s)
{
	static char buf[KP_CIDR_WHY_MAX];
	struct kp_cidr c;
	const char *why = NULL;
	int r;

	r = kp_cidr_parse(s, &c, &why);
	if (kp_cidr_parse_why(s, &c, buf, sizeof(buf)) != r) {
		CHECK(!"kp_cidr_parse and kp_cidr_parse_why disagree");
		return "(disagree)";
	}
	if (r == 0)
		return buf[0] == '\0' ? "(accepted)" : "(accepted, with a why)";
	/* The same reason; only the host bits one gets its hint. */
	if (strncmp(buf, why, strlen(why)) != 0)
		CHECK_STR(buf, why);
	return buf;
}

static int
match(const char *net, const char *a)
{
	struct kp_cidr n, x;

	if (kp_cidr_parse(net, &n, NULL) != 0 ||
	    kp_addr_parse(a, &x, NULL) != 0) {
		fprintf(stderr, "bad test input %s %s\n", net, a);
		return -1;
	}
	return kp_cidr_match(&n, &x);
}

static struct kp_cidr
C(const char *s) {
	struct kp_cidr c;

	memset(&c, 0, sizeof(c));
	if (kp_cidr_parse(s, &c, NULL) != 0) {
		fprintf(stderr, "bad test cidr %s\n", s);
		exit(99);
	}
	return c;
}

/* Address sets: does one from: list admit all that another does? */
static void
test_cover(void)
{
	struct kp_cidr a[3], b[2];

	a[0] = C("10.0.0.0/25");
	a[1] = C("10.0.0.128/25");
	b[0] = C("10.0.0.0/24");
	/* two halves cover the whole, and the whole covers them */
	CHECK_INT(kp_cidrs_cover(a, 2, b, 1), 1);
	CHECK_INT(kp_cidrs_cover(b, 1, a, 2), 1);
	/* one half does not */
	CHECK_INT(kp_cidrs_cover(a, 1, b, 1), 0);
	/* any address (n == 0) covers everything, and is covered only by both families' /0 */
	CHECK_INT(kp_cidrs_cover(NULL, 0, b, 1), 1);
	CHECK_INT(kp_cidrs_cover(b, 1, NULL, 0), 0);
	a[0] = C("0.0.0.0/0");
	a[1] = C("::/0");
	CHECK_INT(kp_cidrs_cover(a, 2, NULL, 0), 1);
	CHECK_INT(kp_cidrs_cover(a, 1, NULL, 0), 0);
	/* families never cover each other */
	b[0] = C("2001:db8::/32");
	a[0] = C("10.0.0.0/8");
	CHECK_INT(kp_cidrs_cover(a, 1, b, 1), 0);
	/* a single address inside */
	b[0] = C("10.1.2.3");
	CHECK_INT(kp_cidrs_cover(a, 1, b, 1), 1);
	/* deep split: 2^7 pieces are not needed, two /128 are not a /127's complement */
	a[0] = C("2001:db8::");
	a[1] = C("2001:db8::1");
	b[0] = C("2001:db8::/127");
	CHECK_INT(kp_cidrs_cover(a, 2, b, 1), 1);
	a[1] = C("2001:db8::2");
	CHECK_INT(kp_cidrs_cover(a, 2, b, 1), 0);
	/* uneven pieces, in any order, with overlaps */
	a[0] = C("192.0.2.128/25");
	a[1] = C("192.0.2.0/26");
	a[2] = C("192.0.2.64/26");
	b[0] = C("192.0.2.0/24");
	b[1] = C("192.0.2.77");
	CHECK_INT(kp_cidrs_cover(a, 3, b, 2), 1);
	CHECK_INT(kp_cidrs_cover(a, 2, b, 2), 0);
	a[2] = C("192.0.2.0/25");
	CHECK_INT(kp_cidrs_cover(a, 3, b, 2), 1);
	/* a mapped client address is the IPv4 address it maps */
	a[0] = C("198.51.100.0/24");
	b[0] = C("::ffff:198.51.100.9");
	CHECK_INT(kp_cidrs_cover(a, 1, b, 1), 1);
}

/* The size of a union, counted once per address, per family. */
static void
test_size(void)
{
	struct kp_cidr a[4];
	uint64_t n[2] = {7, 7};

	CHECK_INT(kp_cidrs_size(NULL, 0, 4, n), 0);
	CHECK(n[0] == 0 && n[1] == 0);
	a[0] = C("10.0.0.0/8");
	a[1] = C("10.1.0.0/16"); /* inside: not counted again */
	a[2] = C("192.0.2.7");
	a[3] = C("2001:db8::/32"); /* the other family */
	CHECK_INT(kp_cidrs_size(a, 4, 4, n), 0);
	CHECK(n[0] == 0 && n[1] == 16777217);
	CHECK_INT(kp_cidrs_size(a, 4, 6, n), 0);
	CHECK(n[0] == ((uint64_t)1 << 32) && n[1] == 0);
	/* the disguise: IPv4-mapped halves are IPv4 */
	a[0] = C("::ffff:0:0/97");
	a[1] = C("::ffff:8000:0/97");
	CHECK_INT(kp_cidrs_size(a, 2, 4, n), 0);
	CHECK(n[0] == 0 && n[1] == ((uint64_t)1 << 32));
	/* a carry into the high word, in either order */
	a[0] = C("2001:db8:0:0:8000::/65");
	a[1] = C("2001:db8::/65");
	a[2] = C("2001:db8::1");
	CHECK_INT(kp_cidrs_size(a, 3, 6, n), 0);
	CHECK(n[0] == 1 && n[1] == 0);
	a[2] = C("2001:db9::1");
	CHECK_INT(kp_cidrs_size(a, 3, 6, n), 0);
	CHECK(n[0] == 1 && n[1] == 1);
	/* all of IPv6 saturates */
	a[0] = C("::/1");
	a[1] = C("8000::/1");
	CHECK_INT(kp_cidrs_size(a, 2, 6, n), 0);
	CHECK(n[0] == UINT64_MAX && n[1] == UINT64_MAX);
	CHECK_INT(kp_cidrs_size(a, 2, 5, n), KP_ERR_ARG);
	CHECK_INT(kp_cidrs_size(NULL, 1, 4, n), KP_ERR_ARG);
}

int
main(void)
{
	struct kp_cidr c;
	char buf[64];
	const char *why;

	/* addresses */
	addr("192.0.2.1", "192.0.2.1");
	addr("0.0.0.0", "0.0.0.0");
	addr("255.255.255.255", "255.255.255.255");
	addr("2001:db8::1", "2001:db8::1");
	addr("2001:DB8:0:0:0:0:0:1", "2001:db8::1");
	addr("2001:0db8::0001", "2001:db8::1");
	addr("::1", "::1");
	addr("::", "::");
	addr("::ffff:192.0.2.1", "192.0.2.1");
	addr("::FFFF:c000:0201", "192.0.2.1");
	addr("64:ff9b::192.0.2.1", "64:ff9b::c000:201");
	addr("192.0.2.1/32", NULL);
	addr("10.0.0.0/8", NULL);
	addr("010.1.1.1", NULL);
	addr("10.01.1.1", NULL);
	addr("10.1.1.00", NULL);
	addr("::ffff:010.1.1.1", NULL);
	addr("256.1.1.1", NULL);
	addr("1.2.3", NULL);
	addr("1.2.3.4.5", NULL);
	addr("0x7f.0.0.1", NULL);
	addr("127.1", NULL);
	addr(" 192.0.2.1", NULL);
	addr("192.0.2.1 ", NULL);
	addr("192.0.2.1\n", NULL);
	addr("fe80::1%eth0", NULL);
	addr("2001:db8:::1", NULL);
	addr("2001:db8::1::2", NULL);
	addr("1:2:3:4:5:6:7:8:9", NULL);
	addr("localhost", NULL);
	addr("example.com", NULL);
	addr("", NULL);
	addr("-1.2.3.4", NULL);
	addr("+1.2.3.4", NULL);
	addr("1.2.3.4,5.6.7.8", NULL);
	addr("!1.2.3.4", NULL);
	addr("[::1]", NULL);
	addr("1111111111111111111111111111111111111111111111111111111111111111"
	     "1111",
	    NULL);
	CHECK_INT(kp_addr_parse(NULL, &c, &why), KP_ERR_ARG);
	CHECK_INT(kp_addr_parse("1.2.3.4", NULL, &why), KP_ERR_ARG);
	CHECK_INT(kp_addr_parse("1.2.3.4", &c, NULL), 0);

	/* networks */
	cidr("10.0.0.0/8", "10.0.0.0/8");
	cidr("192.0.2.0/24", "192.0.2.0/24");
	cidr("192.0.2.7/32", "192.0.2.7");
	cidr("192.0.2.7", "192.0.2.7");
	cidr("0.0.0.0/0", "0.0.0.0/0");
	cidr("2001:db8::/32", "2001:db8::/32");
	cidr("2001:DB8:10::/48", "2001:db8:10::/48");
	cidr("2001:db8::1/128", "2001:db8::1");
	cidr("::/0", "::/0");
	cidr("2001:db8::8000/113", "2001:db8::8000/113");
	cidr("::ffff:10.0.0.0/104", "10.0.0.0/8");
	cidr("::ffff:192.0.2.1/128", "192.0.2.1");
	cidr("::ffff:0.0.0.0/96", "0.0.0.0/0");
	cidr("10.0.0.1/8", NULL);
	cidr("192.0.2.1/24", NULL);
	cidr("2001:db8::1/32", NULL);
	cidr("10.0.0.0/33", NULL);
	cidr("2001:db8::/129", NULL);
	cidr("10.0.0.0/08", NULL);
	cidr("10.0.0.0/+8", NULL);
	cidr("10.0.0.0/-8", NULL);
	cidr("10.0.0.0/", NULL);
	cidr("10.0.0.0/8/8", NULL);
	cidr("10.0.0.0/ 8", NULL);
	cidr("10.0.0.0 /8", NULL);
	cidr("10.0.0.0/1000", NULL);
	cidr("10.0.0.0/8 ", NULL);
	cidr("10.0.0.0/0x8", NULL);
	cidr("/8", NULL);
	cidr("fe80::%eth0/64", NULL);
	cidr("fe80::/64%eth0", NULL);
	cidr("::/95", "::/95");
	cidr("::ffff:0:0/95", NULL);
	cidr("::ffff:0.0.0.0/80", NULL);
	cidr("010.0.0.0/8", NULL);
	cidr("office", NULL);
	cidr("", NULL);

	CHECK_STR(
	    why_of("10.1.2.3/8"), "host bits set: did you mean 10.0.0.0/8?");
	{
		char small[24];

		why = NULL;
		CHECK_INT(
		    kp_cidr_parse("10.1.2.3/8", &c, &why), KP_ERR_INVALID);
		CHECK_STR(why, "host bits set");
		/* a short buffer is cut, never overrun */
		CHECK_INT(
		    kp_cidr_parse_why("10.1.2.3/8", &c, small, sizeof(small)),
		    KP_ERR_INVALID);
		CHECK_STR(small, "host bits set: did you ");
		CHECK_INT(
		    kp_cidr_parse_why("10.0.0.0/8", &c, small, sizeof(small)),
		    0);
		CHECK_STR(small, "");
		CHECK_INT(kp_cidr_parse_why("10.1.2.3/8", &c, NULL, 0),
		    KP_ERR_INVALID);
	}
	CHECK_STR(why_of("2001:db8::1/32"),
	    "host bits set: did you mean 2001:db8::/32?");
	CHECK_STR(why_of("::ffff:10.1.0.0/104"),
	    "host bits set: did you mean 10.0.0.0/8?");
	CHECK_STR(why_of("10.0.0.0/08"), "leading zero in prefix length");
	CHECK_STR(why_of("fe80::1%eth0"),
	    "zone ids (%...) are not allowed in addresses");
	CHECK_STR(why_of("10.0.0.0 /8"), "whitespace in address");
	CHECK_STR(why_of("010.0.0.1"),
	    "leading zero in an IPv4 octet (octal ambiguity)");
	CHECK_CONTAINS(why_of("web-01"), "hostnames are not allowed");
	CHECK_STR(why_of("10.0.0.0/33"), "IPv4 prefix length over 32");

	/* matching */
	CHECK_INT(match("10.0.0.0/8", "10.255.1.2"), 1);
	CHECK_INT(match("10.0.0.0/8", "11.0.0.0"), 0);
	CHECK_INT(match("10.0.0.0/8", "9.255.255.255"), 0);
	CHECK_INT(match("192.0.2.128/25", "192.0.2.128"), 1);
	CHECK_INT(match("192.0.2.128/25", "192.0.2.255"), 1);
	CHECK_INT(match("192.0.2.128/25", "192.0.2.127"), 0);
	CHECK_INT(match("198.51.100.7", "198.51.100.7"), 1);
	CHECK_INT(match("198.51.100.7", "198.51.100.8"), 0);
	CHECK_INT(match("0.0.0.0/0", "203.0.113.9"), 1);
	CHECK_INT(match("0.0.0.0/0", "2001:db8::1"), 0);
	CHECK_INT(match("::/0", "2001:db8::1"), 1);
	CHECK_INT(match("::/0", "192.0.2.1"), 0);
	CHECK_INT(match("::/0", "::ffff:192.0.2.1"), 0);
	CHECK_INT(match("192.0.2.0/24", "::ffff:192.0.2.1"), 1);
	CHECK_INT(match("::ffff:192.0.2.0/120", "192.0.2.200"), 1);
	CHECK_INT(match("2001:db8:10::/48", "2001:db8:10:ffff::1"), 1);
	CHECK_INT(match("2001:db8:10::/48", "2001:db8:11::1"), 0);
	CHECK_INT(match("2001:db8::8000/113", "2001:db8::ffff"), 1);
	CHECK_INT(match("2001:db8::8000/113", "2001:db8::7fff"), 0);
	CHECK_INT(match("2001:db8::1", "2001:db8::1"), 1);
	CHECK_INT(match("2001:db8::1", "2001:db8::2"), 0);
	CHECK_INT(match("10.0.0.0/7", "11.1.1.1"), 1);
	CHECK_INT(match("10.0.0.0/7", "12.1.1.1"), 0);
	/* a network is not an address; corrupt structs never match */
	kp_cidr_parse("10.0.0.0/8", &c, NULL);
	CHECK_INT(kp_cidr_match(&c, &c), 0);
	c.prefix = 40;
	{
		struct kp_cidr a;

		kp_addr_parse("10.0.0.1", &a, NULL);
		CHECK_INT(kp_cidr_match(&c, &a), 0);
		c.prefix = 8;
		c.family = 5;
		CHECK_INT(kp_cidr_match(&c, &a), 0);
		CHECK_INT(kp_cidr_match(NULL, &a), 0);
		CHECK_INT(kp_cidr_match(&c, NULL), 0);
	}
	kp_cidr_format(&c, buf, sizeof(buf));
	CHECK_STR(buf, "invalid");
	kp_cidr_parse("2001:db8::/32", &c, NULL);
	kp_cidr_format(&c, buf, 5);
	CHECK_STR(buf, "2001");
	test_cover();
	test_size();
	return t_done();
}
