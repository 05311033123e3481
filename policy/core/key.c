#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "keyauth.h"
#include "kp-internal.h"
#include "kp-sha256.h"

/*
 * Public keys as OpenSSH writes them: "type base64 [comment]", the base64
 * holding an SSH wire-format blob (RFC 4253 section 6.6, RFC 5656,
 * RFC 8709, OpenSSH PROTOCOL.u2f). Parsing is strict: every length exact,
 * nothing after the last field, canonical base64, the inner type equal to
 * the outer one. Separators are one or more spaces; tabs and every other
 * control character are refused.
 *
 * No OpenSSL here: this file is on the login path of every ssh login, and
 * libcrypto's start-up alone cost more than the whole lookup (see
 * docs/performance.md). SHA-256, the RSA parameter checks and the ECDSA
 * on-curve check are done below, the last two exactly as strictly as
 * OpenSSL's BN and EC_POINT_oct2point/EC_POINT_is_on_curve did.
 */

#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 16384 /* OpenSSH's own limit */
#define SK_APP_MAX 1024 /* FIDO application strings are short */

enum ktype { KT_ED25519, KT_ECDSA, KT_SK_ED25519, KT_SK_ECDSA, KT_RSA };

static const struct keytype {
	const char *name;
	enum ktype kt;
	const char *curve; /* ECDSA: the curve name inside the blob */
	size_t fieldlen; /* ECDSA: bytes of one coordinate */
} keytypes[] = {
    {"ssh-ed25519", KT_ED25519, NULL, 0},
    {"ecdsa-sha2-nistp256", KT_ECDSA, "nistp256", 32},
    {"ecdsa-sha2-nistp384", KT_ECDSA, "nistp384", 48},
    {"ecdsa-sha2-nistp521", KT_ECDSA, "nistp521", 66},
    {"sk-ssh-ed25519@openssh.com", KT_SK_ED25519, NULL, 0},
    {"sk-ecdsa-sha2-nistp256@openssh.com", KT_SK_ECDSA, "nistp256", 32},
    {"ssh-rsa", KT_RSA, NULL, 0},
};

static const struct keytype *
keytype_lookup(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(keytypes) / sizeof(keytypes[0]); i++) {
		if (strlen(keytypes[i].name) == n &&
		    memcmp(keytypes[i].name, name, n) == 0)
			return &keytypes[i];
	}
	return NULL;
}

int
kp_key_type_supported(const char *type)
{
	if (type == NULL)
		return 0;
	return keytype_lookup(type, strnlen(type, 64)) != NULL;
}

static int
has_suffix(const char *s, size_t n, const char *suf)
{
	size_t m = strlen(suf);

	return n >= m && memcmp(s + n - m, suf, m) == 0;
}

/* Why a type token is refused, as helpful as we can be. */
static const char *
type_refusal(const char *t, size_t n)
{
	static const char *const optwords[] = {"restrict", "cert-authority",
	    "no-pty", "no-port-forwarding", "no-agent-forwarding",
	    "no-X11-forwarding", "no-user-rc", "no-touch-required",
	    "verify-required", "pty", "user-rc", "port-forwarding",
	    "agent-forwarding", "X11-forwarding"};
	size_t i;

	if (n == 7 && memcmp(t, "ssh-dss", 7) == 0)
		return "ssh-dss (DSA) keys are refused: DSA is obsolete and "
		       "insecure";
	if (has_suffix(t, n, "-cert-v01@openssh.com"))
		return "certificates are not supported: give the plain public "
		       "key";
	if ((n == 12 && memcmp(t, "rsa-sha2-256", 12) == 0) ||
	    (n == 12 && memcmp(t, "rsa-sha2-512", 12) == 0))
		return "rsa-sha2-* is a signature algorithm: the key type is "
		       "ssh-rsa";
	if (memchr(t, '=', n) != NULL || memchr(t, ',', n) != NULL ||
	    memchr(t, '"', n) != NULL)
		return "authorized_keys options are not allowed in a key "
		       "line: use the entry's fields";
	for (i = 0; i < sizeof(optwords) / sizeof(optwords[0]); i++) {
		if (strlen(optwords[i]) == n && memcmp(optwords[i], t, n) == 0)
			return "authorized_keys options are not allowed in a "
			       "key line: use the entry's fields";
	}
	return "unsupported key type (supported: ssh-ed25519, "
	       "ecdsa-sha2-nistp256/384/521, sk-ssh-ed25519@openssh.com, "
	       "sk-ecdsa-sha2-nistp256@openssh.com, ssh-rsa)";
}

/* ------------------------------------------------------ SSH wire format */

struct wire {
	const uint8_t *p;
	size_t len;
	size_t off;
};

static int
get_string(struct wire *w, const uint8_t **s, size_t *n)
{
	uint32_t v;

	if (w->len - w->off < 4)
		return -1;
	v = (uint32_t)w->p[w->off] << 24 | (uint32_t)w->p[w->off + 1] << 16 |
	    (uint32_t)w->p[w->off + 2] << 8 | w->p[w->off + 3];
	if (w->len - w->off - 4 < v)
		return -1;
	*s = w->p + w->off + 4;
	*n = v;
	w->off += 4 + (size_t)v;
	return 0;
}

static int
str_eq(const uint8_t *s, size_t n, const char *want)
{
	return strlen(want) == n && memcmp(s, want, n) == 0;
}

/*
 * A positive mpint, minimally encoded (RFC 4251 section 5). *mag and
 * *maglen are its magnitude: the bytes without the sign byte, so the first
 * one is non-zero.
 */
static int
get_mpint(struct wire *w, const uint8_t **mag, size_t *maglen, const char **why)
{
	const uint8_t *s;
	size_t n;

	*mag = NULL;
	*maglen = 0;
	if (get_string(w, &s, &n) != 0)
		KP_FAIL(why, "truncated key data", KP_ERR_INVALID);
	if (n == 0)
		KP_FAIL(why, "RSA parameter is zero", KP_ERR_INVALID);
	if (s[0] & 0x80)
		KP_FAIL(why, "RSA parameter is negative", KP_ERR_INVALID);
	if (s[0] == 0 && (n == 1 || (s[1] & 0x80) == 0))
		KP_FAIL(why, "RSA parameter is not minimally encoded",
		    KP_ERR_INVALID);
	if (n > RSA_MAX_BITS / 8 + 1)
		KP_FAIL(why, "RSA parameter too large", KP_ERR_INVALID);
	if (s[0] == 0) {
		s++;
		n--;
	}
	*mag = s;
	*maglen = n;
	return 0;
}

/* Compare two magnitudes (no leading zero bytes) like memcmp. */
static int
mag_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return memcmp(a, b, alen);
}

static unsigned
mag_bits(const uint8_t *m, size_t len)
{
	unsigned bits = (unsigned)(len - 1) * 8;
	uint8_t top = m[0];

	while (top != 0) {
		bits++;
		top >>= 1;
	}
	return bits;
}

static int
check_rsa(struct wire *w, unsigned *bits, const char **why)
{
	const uint8_t *e, *n;
	size_t elen, nlen;
	unsigned nbits;
	int r;

	if ((r = get_mpint(w, &e, &elen, why)) != 0 ||
	    (r = get_mpint(w, &n, &nlen, why)) != 0)
		return r;
	if ((e[elen - 1] & 1) == 0 || (elen == 1 && e[0] == 1))
		KP_FAIL(why, "RSA public exponent is not an odd number > 1",
		    KP_ERR_INVALID);
	if ((n[nlen - 1] & 1) == 0 || mag_cmp(e, elen, n, nlen) >= 0)
		KP_FAIL(why, "RSA modulus is not valid", KP_ERR_INVALID);
	nbits = mag_bits(n, nlen);
	if (nbits < RSA_MIN_BITS)
		KP_FAIL(why, "RSA key shorter than 2048 bits", KP_ERR_INVALID);
	if (nbits > RSA_MAX_BITS)
		KP_FAIL(why, "RSA key longer than 16384 bits", KP_ERR_INVALID);
	*bits = nbits;
	return 0;
}

/* ------------------------------------------------- NIST curve points */

/*
 * Arithmetic modulo the field primes of P-256, P-384 and P-521, just
 * enough to test y^2 = x^3 - 3x + b once per key: numbers are arrays of
 * 32-bit limbs, least significant first, always reduced below p, and a
 * product is formed by shift-and-add, which needs nothing but modular
 * addition. A few tens of microseconds per key, simple enough to check by
 * reading (and tests/unit/test_sha256 compares it with OpenSSL).
 */
#define EC_LIMBS 17 /* 521 bits */

struct ec_curve {
	size_t fieldlen;
	uint8_t p[66]; /* big-endian, fieldlen bytes */
	uint8_t b[66];
};

static const struct ec_curve ec_curves[] = {
    {32,
        {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
        {0x5a, 0xc6, 0x35, 0xd8, 0xaa, 0x3a, 0x93, 0xe7, 0xb3, 0xeb, 0xbd, 0x55,
            0x76, 0x98, 0x86, 0xbc, 0x65, 0x1d, 0x06, 0xb0, 0xcc, 0x53, 0xb0,
            0xf6, 0x3b, 0xce, 0x3c, 0x3e, 0x27, 0xd2, 0x60, 0x4b}},
    {48,
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff,
            0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff,
            0xff, 0xff, 0xff},
        {0xb3, 0x31, 0x2f, 0xa7, 0xe2, 0x3e, 0xe7, 0xe4, 0x98, 0x8e, 0x05, 0x6b,
            0xe3, 0xf8, 0x2d, 0x19, 0x18, 0x1d, 0x9c, 0x6e, 0xfe, 0x81, 0x41,
            0x12, 0x03, 0x14, 0x08, 0x8f, 0x50, 0x13, 0x87, 0x5a, 0xc6, 0x56,
            0x39, 0x8d, 0x8a, 0x2e, 0xd1, 0x9d, 0x2a, 0x85, 0xc8, 0xed, 0xd3,
            0xec, 0x2a, 0xef}},
    {66,
        {0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
        {0x00, 0x51, 0x95, 0x3e, 0xb9, 0x61, 0x8e, 0x1c, 0x9a, 0x1f, 0x92, 0x9a,
            0x21, 0xa0, 0xb6, 0x85, 0x40, 0xee, 0xa2, 0xda, 0x72, 0x5b, 0x99,
            0xb3, 0x15, 0xf3, 0xb8, 0xb4, 0x89, 0x91, 0x8e, 0xf1, 0x09, 0xe1,
            0x56, 0x19, 0x39, 0x51, 0xec, 0x7e, 0x93, 0x7b, 0x16, 0x52, 0xc0,
            0xbd, 0x3b, 0xb1, 0xbf, 0x07, 0x35, 0x73, 0xdf, 0x88, 0x3d, 0x2c,
            0x34, 0xf1, 0xef, 0x45, 0x1f, 0xd4, 0x6b, 0x50, 0x3f, 0x00}},
};

static void
ec_from_be(const uint8_t *be, size_t len, uint32_t v[EC_LIMBS])
{
	size_t i;

	memset(v, 0, EC_LIMBS * sizeof(v[0]));
	for (i = 0; i < len; i++)
		v[i / 4] |= (uint32_t)be[len - 1 - i] << (8 * (i % 4));
}

static int
ec_cmp(const uint32_t *a, const uint32_t *b, size_t nl)
{
	while (nl-- > 0) {
		if (a[nl] != b[nl])
			return a[nl] < b[nl] ? -1 : 1;
	}
	return 0;
}

/* r = a + b mod p, for a, b < p (r may alias a or b). */
static void
ec_add(uint32_t *r, const uint32_t *a, const uint32_t *b, const uint32_t *p,
    size_t nl)
{
	uint32_t t[EC_LIMBS];
	uint64_t c = 0, d, borrow = 0;
	size_t i;

	for (i = 0; i < nl; i++) {
		c += (uint64_t)a[i] + b[i];
		t[i] = (uint32_t)c;
		c >>= 32;
	}
	if (c != 0 || ec_cmp(t, p, nl) >= 0) {
		for (i = 0; i < nl; i++) {
			d = (uint64_t)t[i] - p[i] - borrow;
			t[i] = (uint32_t)d;
			borrow = d >> 63;
		}
	}
	memcpy(r, t, nl * sizeof(t[0]));
}

/* r = a - b mod p, for a, b < p. */
static void
ec_sub(uint32_t *r, const uint32_t *a, const uint32_t *b, const uint32_t *p,
    size_t nl)
{
	uint32_t t[EC_LIMBS];
	uint64_t d, borrow = 0, c = 0;
	size_t i;

	for (i = 0; i < nl; i++) {
		d = (uint64_t)a[i] - b[i] - borrow;
		t[i] = (uint32_t)d;
		borrow = d >> 63;
	}
	if (borrow) {
		for (i = 0; i < nl; i++) {
			c += (uint64_t)t[i] + p[i];
			t[i] = (uint32_t)c;
			c >>= 32;
		}
	}
	memcpy(r, t, nl * sizeof(t[0]));
}

/* r = a * b mod p, for a, b < p: r = 2r (+ a) over b's bits, top first. */
static void
ec_mul(uint32_t *r, const uint32_t *a, const uint32_t *b, const uint32_t *p,
    size_t nl)
{
	uint32_t t[EC_LIMBS] = {0};
	size_t i;

	for (i = nl * 32; i-- > 0;) {
		ec_add(t, t, t, p, nl);
		if ((b[i / 32] >> (i % 32)) & 1)
			ec_add(t, t, a, p, nl);
	}
	memcpy(r, t, nl * sizeof(t[0]));
}

int
kp_ec_point_valid(size_t fieldlen, const uint8_t *xb, const uint8_t *yb)
{
	const struct ec_curve *cv = NULL;
	uint32_t p[EC_LIMBS], b[EC_LIMBS], x[EC_LIMBS], y[EC_LIMBS];
	uint32_t lhs[EC_LIMBS], rhs[EC_LIMBS], t[EC_LIMBS];
	size_t i, nl;

	for (i = 0; i < sizeof(ec_curves) / sizeof(ec_curves[0]); i++) {
		if (ec_curves[i].fieldlen == fieldlen)
			cv = &ec_curves[i];
	}
	if (cv == NULL || xb == NULL || yb == NULL)
		return 0;
	nl = (fieldlen + 3) / 4;
	ec_from_be(cv->p, fieldlen, p);
	ec_from_be(cv->b, fieldlen, b);
	ec_from_be(xb, fieldlen, x);
	ec_from_be(yb, fieldlen, y);
	/* Coordinates must be field elements (oct2point refuses the rest). */
	if (ec_cmp(x, p, nl) >= 0 || ec_cmp(y, p, nl) >= 0)
		return 0;
	ec_mul(lhs, y, y, p, nl);
	ec_mul(rhs, x, x, p, nl);
	ec_mul(rhs, rhs, x, p, nl);
	ec_add(t, x, x, p, nl);
	ec_add(t, t, x, p, nl);
	ec_sub(rhs, rhs, t, p, nl);
	ec_add(rhs, rhs, b, p, nl);
	return ec_cmp(lhs, rhs, nl) == 0;
}

static int
check_ec_point(
    const struct keytype *kt, const uint8_t *q, size_t qlen, const char **why)
{
	/* Only the uncompressed form, which is what OpenSSH writes. */
	if (qlen != 1 + 2 * kt->fieldlen || q[0] != 0x04) {
		KP_WHY(why, "ECDSA public point has the wrong length or form");
		return KP_ERR_INVALID;
	}
	if (!kp_ec_point_valid(kt->fieldlen, q + 1, q + 1 + kt->fieldlen)) {
		KP_WHY(why, "ECDSA public point is not on the curve");
		return KP_ERR_INVALID;
	}
	return 0;
}

/* ------------------------------------------------------------ SHA-256 */

static const uint32_t sha_k[64] = {0x428a2f98, 0x71374491, 0xb5c0fbcf,
    0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
    0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7,
    0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
    0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
    0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e,
    0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
    0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c,
    0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee,
    0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

#define ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void
sha_block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, hh, t1, t2, s0, s1;
	size_t i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 64; i++) {
		s0 = ROR32(w[i - 15], 7) ^ ROR32(w[i - 15], 18) ^
		    (w[i - 15] >> 3);
		s1 = ROR32(w[i - 2], 17) ^ ROR32(w[i - 2], 19) ^
		    (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = h[0];
	b = h[1];
	c = h[2];
	d = h[3];
	e = h[4];
	f = h[5];
	g = h[6];
	hh = h[7];
	for (i = 0; i < 64; i++) {
		t1 = hh + (ROR32(e, 6) ^ ROR32(e, 11) ^ ROR32(e, 25)) +
		    ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
		t2 = (ROR32(a, 2) ^ ROR32(a, 13) ^ ROR32(a, 22)) +
		    ((a & b) ^ (a & c) ^ (b & c));
		hh = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += hh;
}

void
kp_sha256_init(struct kp_sha256 *c)
{
	static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372,
	    0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

	memset(c, 0, sizeof(*c));
	memcpy(c->h, iv, sizeof(iv));
}

void
kp_sha256_update(struct kp_sha256 *c, const void *data, size_t n)
{
	const uint8_t *p = data;
	size_t take;

	c->total += n;
	if (c->n > 0) {
		take = 64 - c->n < n ? 64 - c->n : n;
		memcpy(c->buf + c->n, p, take);
		c->n += take;
		p += take;
		n -= take;
		if (c->n < 64)
			return;
		sha_block(c->h, c->buf);
		c->n = 0;
	}
	for (; n >= 64; p += 64, n -= 64)
		sha_block(c->h, p);
	if (n > 0) {
		memcpy(c->buf, p, n);
		c->n = n;
	}
}

void
kp_sha256_final(struct kp_sha256 *c, uint8_t md[KP_SHA256_LEN])
{
	uint64_t bits = c->total * 8;
	size_t i;

	c->buf[c->n++] = 0x80;
	if (c->n > 56) {
		memset(c->buf + c->n, 0, 64 - c->n);
		sha_block(c->h, c->buf);
		c->n = 0;
	}
	memset(c->buf + c->n, 0, 56 - c->n);
	for (i = 0; i < 8; i++)
		c->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha_block(c->h, c->buf);
	for (i = 0; i < 8; i++) {
		md[4 * i] = (uint8_t)(c->h[i] >> 24);
		md[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
		md[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
		md[4 * i + 3] = (uint8_t)c->h[i];
	}
	memset(c, 0, sizeof(*c));
}

void
kp_sha256(const void *p, size_t n, uint8_t md[KP_SHA256_LEN])
{
	struct kp_sha256 c;

	kp_sha256_init(&c);
	kp_sha256_update(&c, p, n);
	kp_sha256_final(&c, md);
}

/* The blob's fields after the type string, per key type. */
static int
check_blob(const struct keytype *kt, const uint8_t *blob, size_t len,
    unsigned *bits, const char **why)
{
	struct wire w = {blob, len, 0};
	const uint8_t *s;
	size_t n;
	int r;

	*bits = 0;
	if (get_string(&w, &s, &n) != 0)
		KP_FAIL(why, "truncated key data", KP_ERR_INVALID);
	if (!str_eq(s, n, kt->name))
		KP_FAIL(why, "key data is of another type than the line says",
		    KP_ERR_INVALID);
	switch (kt->kt) {
	case KT_ED25519:
	case KT_SK_ED25519:
		if (get_string(&w, &s, &n) != 0)
			KP_FAIL(why, "truncated key data", KP_ERR_INVALID);
		if (n != 32)
			KP_FAIL(why, "Ed25519 public key is not 32 bytes",
			    KP_ERR_INVALID);
		break;
	case KT_ECDSA:
	case KT_SK_ECDSA:
		if (get_string(&w, &s, &n) != 0)
			KP_FAIL(why, "truncated key data", KP_ERR_INVALID);
		if (!str_eq(s, n, kt->curve))
			KP_FAIL(why, "ECDSA curve does not match the key type",
			    KP_ERR_INVALID);
		if (get_string(&w, &s, &n) != 0)
			KP_FAIL(why, "truncated key data", KP_ERR_INVALID);
		if ((r = check_ec_point(kt, s, n, why)) != 0)
			return r;
		break;
	case KT_RSA:
		if ((r = check_rsa(&w, bits, why)) != 0)
			return r;
		break;
	}
	if (kt->kt == KT_SK_ED25519 || kt->kt == KT_SK_ECDSA) {
		if (get_string(&w, &s, &n) != 0)
			KP_FAIL(why, "truncated key data (no FIDO application)",
			    KP_ERR_INVALID);
		if (n == 0 || n > SK_APP_MAX || memchr(s, '\0', n) != NULL)
			KP_FAIL(
			    why, "bad FIDO application string", KP_ERR_INVALID);
	}
	if (w.off != w.len)
		KP_FAIL(
		    why, "trailing bytes after the key data", KP_ERR_INVALID);
	return 0;
}

int
kp_fingerprint(const uint8_t *blob, size_t len, char out[KP_FP_LEN])
{
	uint8_t md[KP_SHA256_LEN];

	if (out == NULL)
		return KP_ERR_ARG;
	out[0] = '\0';
	if (blob == NULL)
		return KP_ERR_ARG;
	kp_sha256(blob, len, md);
	memcpy(out, "SHA256:", 7);
	return kp_b64_encode(md, sizeof(md), 0, out + 7, KP_FP_LEN - 7);
}

int
kp_fingerprint_valid(const char *s)
{
	static const char last[] = "AEIMQUYcgkosw048";
	size_t i;

	if (s == NULL || strncmp(s, "SHA256:", 7) != 0 ||
	    strnlen(s, KP_FP_LEN) != KP_FP_LEN - 1)
		return 0;
	for (i = 7; i < KP_FP_LEN - 1; i++) {
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		        (s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= '0' && s[i] <= '9') || s[i] == '+' ||
		        s[i] == '/'))
			return 0;
	}
	/* 43 characters carry 258 bits: the last two must be zero. */
	return strchr(last, s[KP_FP_LEN - 2]) != NULL;
}

void
kp_pubkey_free(struct kp_pubkey *k)
{
	if (k == NULL)
		return;
	free(k->type);
	free(k->b64);
	free(k->blob);
	free(k->comment);
	free(k);
}

/*
 * Type and base64 given as (pointer, length); comment NUL-terminated or
 * NULL. *off is relative to b64 for base64 problems, else 0.
 */
static int
pubkey_build(const char *type, size_t tlen, const char *b64, size_t blen,
    const char *comment, struct kp_pubkey **out, const char **why, size_t *off,
    int *in_b64)
{
	const struct keytype *kt;
	struct kp_pubkey *k = NULL;
	int r;

	*off = 0;
	*in_b64 = 0;
	if ((kt = keytype_lookup(type, tlen)) == NULL)
		KP_FAIL(why, type_refusal(type, tlen), KP_ERR_INVALID);
	*in_b64 = 1;
	if (blen == 0)
		KP_FAIL(why, "missing base64 key data", KP_ERR_INVALID);
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return KP_ERR_NOMEM;
	if ((r = kp_b64_decode(b64, blen, &k->blob, &k->bloblen, why, off)) !=
	    0)
		goto out;
	if ((r = check_blob(kt, k->blob, k->bloblen, &k->bits, why)) != 0)
		goto out;
	r = KP_ERR_NOMEM;
	if ((k->type = strdup(kt->name)) == NULL ||
	    (k->b64 = strndup(b64, blen)) == NULL ||
	    (comment != NULL && (k->comment = strdup(comment)) == NULL))
		goto out;
	if ((r = kp_fingerprint(k->blob, k->bloblen, k->fp)) != 0)
		goto out;
	/* success: the key is the caller's */
	*out = k;
	k = NULL;
	r = 0;
out:
	kp_pubkey_free(k);
	return r;
}

int
kp_pubkey_parse_line(
    const char *line, struct kp_pubkey **out, const char **why, size_t *col_off)
{
	size_t n, i, ts, te, bs, be, cs, ce, off = 0;
	char *comment = NULL;
	int r, in_b64;

	if (out != NULL)
		*out = NULL;
	if (why != NULL)
		*why = NULL;
	if (col_off != NULL)
		*col_off = 0;
	if (line == NULL || out == NULL)
		KP_FAIL(why, "missing key line", KP_ERR_ARG);
	if ((n = strnlen(line, KP_KEYLINE_MAX + 1)) > KP_KEYLINE_MAX) {
		if (col_off != NULL)
			*col_off = KP_KEYLINE_MAX;
		KP_FAIL(why, "key line longer than 16384 bytes", KP_ERR_TOOBIG);
	}
	for (i = 0; i < n; i++) {
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f) {
			if (col_off != NULL)
				*col_off = i;
			KP_FAIL(why,
			    line[i] == '\n' || line[i] == '\r'
			        ? "newline in key line (one line only)"
			        : "control character in key line",
			    KP_ERR_INVALID);
		}
	}
	for (ts = 0; ts < n && line[ts] == ' '; ts++)
		;
	for (te = ts; te < n && line[te] != ' '; te++)
		;
	for (bs = te; bs < n && line[bs] == ' '; bs++)
		;
	for (be = bs; be < n && line[be] != ' '; be++)
		;
	for (cs = be; cs < n && line[cs] == ' '; cs++)
		;
	for (ce = n; ce > cs && line[ce - 1] == ' '; ce--)
		;
	if (te == ts) {
		if (col_off != NULL)
			*col_off = ts;
		KP_FAIL(why, "empty key line", KP_ERR_INVALID);
	}
	if (ce > cs) {
		if ((comment = strndup(line + cs, ce - cs)) == NULL)
			return KP_ERR_NOMEM;
		if (!kp_value_clean(comment, KP_KEYLINE_MAX, why)) {
			if (col_off != NULL)
				*col_off = cs;
			r = KP_ERR_INVALID;
			goto out;
		}
	}
	r = pubkey_build(line + ts, te - ts, line + bs, be - bs, comment, out,
	    why, &off, &in_b64);
	if (r != 0 && col_off != NULL)
		*col_off = in_b64 ? bs + off : ts;
out:
	free(comment);
	return r;
}

int
kp_pubkey_parse_parts(
    const char *type, const char *b64, struct kp_pubkey **out, const char **why)
{
	size_t tlen, blen, i, off;
	int in_b64;

	if (out != NULL)
		*out = NULL;
	if (why != NULL)
		*why = NULL;
	if (type == NULL || b64 == NULL || out == NULL)
		KP_FAIL(why, "missing key type or data", KP_ERR_ARG);
	if ((tlen = strnlen(type, KP_KEYLINE_MAX + 1)) > KP_KEYLINE_MAX ||
	    (blen = strnlen(b64, KP_KEYLINE_MAX + 1)) > KP_KEYLINE_MAX)
		KP_FAIL(why, "key longer than 16384 bytes", KP_ERR_TOOBIG);
	for (i = 0; i < tlen; i++) {
		if ((unsigned char)type[i] <= 0x20 || type[i] == 0x7f)
			KP_FAIL(why, "space or control character in key type",
			    KP_ERR_INVALID);
	}
	return pubkey_build(
	    type, tlen, b64, blen, NULL, out, why, &off, &in_b64);
}
