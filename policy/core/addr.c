/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyauth.h"
#include "kp-internal.h"

/*
 * Address syntax, decided for predictability:
 *  - IPv4 is exactly four decimal octets; an octet with a leading zero
 *    ("010.1.1.1") is refused, because other tools read it as octal;
 *  - IPv6 is whatever inet_pton() accepts (RFC 4291 text forms);
 *  - IPv4-mapped IPv6 (::ffff:a.b.c.d) is stored as the IPv4 address, so a
 *    rule written for 192.0.2.0/24 matches a client that sshd reports as
 *    ::ffff:192.0.2.1; a mapped network ::ffff:a.b.c.d/96+n becomes the
 *    IPv4 network a.b.c.d/n;
 *  - no zone ids ("%eth0"), no whitespace, no hostnames;
 *  - a prefix is decimal, without sign or leading zeros, and the host bits
 *    of a network must be zero (10.1.0.0/8 is refused with a hint).
 */

#define ADDR_TEXT_MAX 64 /* longest text we even look at */

/*
 * The one refusal whose text depends on the input ("did you mean
 * 10.0.0.0/8?") is written by kp_cidr_parse_why into the caller's buffer:
 * the library keeps no state between calls (pam_keyauth.so must have no
 * mutable globals).
 */
static const char host_bits_why[] = "host bits set";

static int
is_mapped(const uint8_t a[16])
{
	static const uint8_t pfx[12] = {
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	return memcmp(a, pfx, sizeof(pfx)) == 0;
}

/* Check the characters and the IPv4 octets before inet_pton sees them. */
static int
addr_text_ok(const char *s, size_t n, const char **why)
{
	size_t i, start;

	for (i = 0; i < n; i++) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
		    s[i] == '\r' || s[i] == '\v' || s[i] == '\f')
			KP_FAIL(why, "whitespace in address", 0);
		if (s[i] == '%')
			KP_FAIL(why,
			    "zone ids (%...) are not allowed in "
			    "addresses",
			    0);
		if (!((s[i] >= '0' && s[i] <= '9') ||
		        (s[i] >= 'a' && s[i] <= 'f') ||
		        (s[i] >= 'A' && s[i] <= 'F') || s[i] == ':' ||
		        s[i] == '.'))
			KP_FAIL(why,
			    "not an IP address (hostnames are not "
			    "allowed)",
			    0);
	}
	/* Leading zeros in any dotted-quad part, IPv4 or embedded in IPv6. */
	for (i = 0, start = 0; i <= n; i++) {
		if (i < n && s[i] != '.' && s[i] != ':')
			continue;
		if (i - start > 1 && s[start] == '0' &&
		    ((i < n && s[i] == '.') ||
		        (start > 0 && s[start - 1] == '.')))
			KP_FAIL(why,
			    "leading zero in an IPv4 octet (octal "
			    "ambiguity)",
			    0);
		start = i + 1;
	}
	return 1;
}

static int
parse_addr(const char *s, size_t n, struct kp_cidr *out, const char **why)
{
	char tmp[ADDR_TEXT_MAX];
	int v6;

	if (n == 0)
		KP_FAIL(why, "empty address", KP_ERR_INVALID);
	if (n >= sizeof(tmp))
		KP_FAIL(why, "address too long", KP_ERR_INVALID);
	if (!addr_text_ok(s, n, why))
		return KP_ERR_INVALID;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	v6 = memchr(tmp, ':', n) != NULL;
	if (v6) {
		if (inet_pton(AF_INET6, tmp, out->addr) != 1)
			KP_FAIL(
			    why, "not a valid IPv6 address", KP_ERR_INVALID);
		out->family = 6;
		out->prefix = 128;
	} else {
		if (inet_pton(AF_INET, tmp, out->addr) != 1)
			KP_FAIL(
			    why, "not a valid IPv4 address", KP_ERR_INVALID);
		out->family = 4;
		out->prefix = 32;
	}
	return 0;
}

/* Turn ::ffff:a.b.c.d/96+n into a.b.c.d/n. */
static void
unmap(struct kp_cidr *c)
{
	if (c->family != 6 || c->prefix < 96 || !is_mapped(c->addr))
		return;
	memmove(c->addr, c->addr + 12, 4);
	memset(c->addr + 4, 0, 12);
	c->family = 4;
	c->prefix -= 96;
}

/* What both parsers check first; out is zeroed. */
static int
parse_start(const char *s, struct kp_cidr *out, const char **why)
{
	if (why != NULL)
		*why = NULL;
	if (out == NULL)
		return KP_ERR_ARG;
	memset(out, 0, sizeof(*out));
	if (s == NULL)
		KP_FAIL(why, "missing address", KP_ERR_ARG);
	return 0;
}

int
kp_addr_parse(const char *s, struct kp_cidr *out, const char **why)
{
	int r;

	if ((r = parse_start(s, out, why)) != 0)
		return r;
	if (strchr(s, '/') != NULL)
		KP_FAIL(why, "a single address was expected, not a network",
		    KP_ERR_INVALID);
	if ((r = parse_addr(s, strnlen(s, ADDR_TEXT_MAX), out, why)) != 0) {
		memset(out, 0, sizeof(*out));
		return r;
	}
	unmap(out);
	return 0;
}

static int
host_bits_zero(const struct kp_cidr *c)
{
	unsigned i, nbytes = c->family == 4 ? 4 : 16;

	for (i = 0; i < nbytes; i++) {
		unsigned lo = i * 8;
		uint8_t mask;

		if (lo + 8 <= c->prefix)
			continue;
		mask = lo >= c->prefix ? 0xff
		                       : (uint8_t)(0xff >> (c->prefix - lo));
		if (c->addr[i] & mask)
			return 0;
	}
	return 1;
}

static void
mask_host_bits(struct kp_cidr *c)
{
	unsigned i, nbytes = c->family == 4 ? 4 : 16;

	for (i = 0; i < nbytes; i++) {
		unsigned lo = i * 8;

		if (lo + 8 <= c->prefix)
			continue;
		c->addr[i] &= lo >= c->prefix
		    ? 0
		    : (uint8_t)(0xff << (8 - (c->prefix - lo)));
	}
}

/* kp_cidr_parse; for a network with host bits set, *hint is the one meant. */
static int
cidr_parse(
    const char *s, struct kp_cidr *out, const char **why, struct kp_cidr *hint)
{
	const char *slash;
	size_t n, plen, i;
	unsigned prefix = 0, max;
	int r;

	if ((r = parse_start(s, out, why)) != 0)
		return r;
	if ((n = strnlen(s, ADDR_TEXT_MAX)) >= ADDR_TEXT_MAX)
		KP_FAIL(why, "address too long", KP_ERR_INVALID);
	if ((slash = memchr(s, '/', n)) == NULL)
		return kp_addr_parse(s, out, why);
	if ((r = parse_addr(s, (size_t)(slash - s), out, why)) != 0)
		goto fail;
	plen = n - (size_t)(slash - s) - 1;
	max = out->family == 4 ? 32 : 128;
	r = KP_ERR_INVALID;
	if (plen == 0 || plen > 3) {
		KP_WHY(why,
		    plen == 0 ? "missing prefix length after '/'"
		              : "prefix length too long");
		goto fail;
	}
	for (i = 0; i < plen; i++) {
		if (slash[1 + i] < '0' || slash[1 + i] > '9') {
			KP_WHY(why, "prefix length must be decimal digits");
			goto fail;
		}
		prefix = prefix * 10 + (unsigned)(slash[1 + i] - '0');
	}
	if (plen > 1 && slash[1] == '0') {
		KP_WHY(why, "leading zero in prefix length");
		goto fail;
	}
	if (prefix > max) {
		KP_WHY(why,
		    out->family == 4 ? "IPv4 prefix length over 32"
		                     : "IPv6 prefix length over 128");
		goto fail;
	}
	out->prefix = (uint8_t)prefix;
	if (!host_bits_zero(out)) {
		if (hint != NULL) {
			*hint = *out;
			mask_host_bits(hint);
			unmap(hint);
		}
		KP_WHY(why, host_bits_why);
		goto fail;
	}
	if (out->family == 6 && is_mapped(out->addr) && out->prefix < 96) {
		KP_WHY(why,
		    "an IPv4-mapped network needs a prefix of at "
		    "least /96");
		goto fail;
	}
	unmap(out);
	return 0;
fail:
	memset(out, 0, sizeof(*out));
	return r;
}

int
kp_cidr_parse(const char *s, struct kp_cidr *out, const char **why)
{
	return cidr_parse(s, out, why, NULL);
}

int
kp_cidr_parse_why(const char *s, struct kp_cidr *out, char *why, size_t len)
{
	struct kp_cidr hint;
	char net[INET6_ADDRSTRLEN + 8];
	const char *w = NULL;
	int r;

	if (why != NULL && len > 0)
		why[0] = '\0';
	if ((r = cidr_parse(s, out, &w, &hint)) == 0 || why == NULL || len == 0)
		return r;
	if (w == host_bits_why) {
		kp_cidr_format(&hint, net, sizeof(net));
		snprintf(why, len, "%s: did you mean %s?", w, net);
	} else
		snprintf(why, len, "%s", w != NULL ? w : "not a valid CIDR");
	return r;
}

/* 1 if c is of a known family with a prefix that fits it. */
static int
cidr_valid(const struct kp_cidr *c)
{
	return (c->family == 4 && c->prefix <= 32) ||
	    (c->family == 6 && c->prefix <= 128);
}

/* 1 if network net holds every address of network x (or of address x). */
static int
cidr_contains(const struct kp_cidr *net, const struct kp_cidr *x)
{
	unsigned full, rest;

	if (!cidr_valid(net) || !cidr_valid(x) || net->family != x->family ||
	    net->prefix > x->prefix)
		return 0;
	full = net->prefix / 8;
	rest = net->prefix % 8;
	if (memcmp(net->addr, x->addr, full) != 0)
		return 0;
	return rest == 0 ||
	    ((net->addr[full] ^ x->addr[full]) & (0xff << (8 - rest))) == 0;
}

int
kp_cidr_match(const struct kp_cidr *net, const struct kp_cidr *addr)
{
	if (net == NULL || addr == NULL ||
	    addr->prefix != (addr->family == 4 ? 32 : 128))
		return 0;
	return cidr_contains(net, addr);
}

/*
 * 1 if the union of s covers x. Only a network strictly inside x can
 * help cover it piecewise, so x is halved only then; the depth is bounded
 * by the address length (at most 129 levels).
 */
static int
covered(const struct kp_cidr *x, const struct kp_cidr *s, size_t ns)
{
	struct kp_cidr h;
	size_t i;
	int inside = 0, max = x->family == 4 ? 32 : 128;

	for (i = 0; i < ns; i++) {
		if (cidr_contains(&s[i], x))
			return 1;
		if (!inside && cidr_contains(x, &s[i]))
			inside = 1;
	}
	if (!inside || x->prefix >= max)
		return 0;
	h = *x;
	h.prefix++;
	h.addr[x->prefix / 8] &= (uint8_t) ~(0x80 >> (x->prefix % 8));
	if (!covered(&h, s, ns))
		return 0;
	h.addr[x->prefix / 8] |= (uint8_t)(0x80 >> (x->prefix % 8));
	return covered(&h, s, ns);
}

int
kp_cidrs_cover(
    const struct kp_cidr *a, size_t na, const struct kp_cidr *b, size_t nb)
{
	struct kp_cidr all[2];
	size_t i;

	if (na == 0)
		return 1; /* any address covers everything */
	if (nb == 0) {
		memset(all, 0, sizeof(all));
		all[0].family = 4;
		all[1].family = 6;
		b = all;
		nb = 2;
	}
	for (i = 0; i < nb; i++)
		if (!covered(&b[i], a, na))
			return 0;
	return 1;
}

static int
cidr_order(const void *a, const void *b)
{
	const struct kp_cidr *x = *(const struct kp_cidr *const *)a;
	const struct kp_cidr *y = *(const struct kp_cidr *const *)b;
	int d;

	if ((d = memcmp(x->addr, y->addr, sizeof(x->addr))) != 0)
		return d;
	return x->prefix < y->prefix ? -1 : x->prefix > y->prefix;
}

/* size += 2^bits, 128 bits wide, saturating at 2^128 - 1. */
static void
size_add(uint64_t size[2], unsigned bits)
{
	uint64_t lo;

	if (bits >= 128) {
		size[0] = size[1] = UINT64_MAX;
		return;
	}
	if (bits >= 64) {
		if (size[0] > UINT64_MAX - ((uint64_t)1 << (bits - 64)))
			size[0] = size[1] = UINT64_MAX;
		else
			size[0] += (uint64_t)1 << (bits - 64);
		return;
	}
	lo = size[1] + ((uint64_t)1 << bits);
	if (lo < size[1]) { /* carry */
		if (size[0] == UINT64_MAX) {
			size[0] = size[1] = UINT64_MAX;
			return;
		}
		size[0]++;
	}
	size[1] = lo;
}

int
kp_cidrs_size(
    const struct kp_cidr *c, size_t n, uint8_t family, uint64_t size[2])
{
	const struct kp_cidr **v, *last = NULL;
	size_t i, m = 0;
	unsigned width = family == 4 ? 32 : 128;

	if (size != NULL)
		size[0] = size[1] = 0;
	if ((c == NULL && n > 0) || size == NULL ||
	    (family != 4 && family != 6))
		return KP_ERR_ARG;
	if (n == 0)
		return 0;
	if ((v = calloc(n, sizeof(*v))) == NULL)
		return KP_ERR_NOMEM;
	for (i = 0; i < n; i++)
		if (c[i].family == family && cidr_valid(&c[i]))
			v[m++] = &c[i];
	if (m > 1)
		qsort(v, m, sizeof(*v), cidr_order);
	/*
	 * Two CIDRs are nested or apart. In address order a network inside
	 * another comes after it, and after no other network that is not
	 * inside it: only the last one counted can hold it.
	 */
	for (i = 0; i < m; i++) {
		if (last != NULL && cidr_contains(last, v[i]))
			continue;
		size_add(size, width - v[i]->prefix);
		last = v[i];
	}
	free(v);
	return 0;
}

void
kp_cidr_format(const struct kp_cidr *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	unsigned max;

	if (buf == NULL || len == 0)
		return;
	buf[0] = '\0';
	if (c == NULL || (c->family != 4 && c->family != 6))
		goto bad;
	max = c->family == 4 ? 32 : 128;
	if (c->prefix > max)
		goto bad;
	if (inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, a,
	        sizeof(a)) == NULL)
		goto bad;
	if (c->prefix == max)
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s/%u", a, c->prefix);
	return;
bad:
	snprintf(buf, len, "%s", "invalid");
}
