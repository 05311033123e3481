#include "config.h"

/*
 * libkeyauth's own SHA-256, ECDSA on-curve check and RSA parameter checks
 * (policy/key.c), which replaced OpenSSL on the login path, compared with
 * OpenSSL itself on many inputs: every length around the block boundaries,
 * random split points, generated keys of every curve and damaged copies of
 * them, coordinates at and beyond the field prime.
 */

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "keyauth.h"
#include "index-format.h"
#include "kp-sha256.h"
#include "test.h"

static void
test_sha256(void)
{
	static uint8_t buf[1 << 20];
	uint8_t a[32], b[32];
	struct kp_sha256 c;
	size_t len, off, step;
	int bad = 0, i;

	kp_sha256("abc", 3, a);
	CHECK(memcmp(a,
	          "\xba\x78\x16\xbf\x8f\x01\xcf\xea\x41\x41\x40\xde\x5d\xae"
	          "\x22\x23\xb0\x03\x61\xa3\x96\x17\x7a\x9c\xb4\x10\xff\x61"
	          "\xf2\x00\x15\xad",
	          32) == 0);
	CHECK(RAND_bytes(buf, sizeof(buf)) == 1);
	for (len = 0; len <= 1000; len++) {
		kp_sha256(buf + len, len, a);
		SHA256(buf + len, len, b);
		bad += memcmp(a, b, 32) != 0;
		/* the same input fed in random pieces */
		kp_sha256_init(&c);
		for (off = 0; off < len; off += step) {
			step = (size_t)(buf[off] % 70) + 1;
			if (step > len - off)
				step = len - off;
			kp_sha256_update(&c, buf + len + off, step);
		}
		kp_sha256_final(&c, a);
		bad += memcmp(a, b, 32) != 0;
	}
	CHECK_INT(bad, 0);
	for (i = 0; i < 4; i++) {
		len = sizeof(buf) - (size_t)i * 12345;
		kp_sha256(buf, len, a);
		SHA256(buf, len, b);
		CHECK(memcmp(a, b, 32) == 0);
	}
}

/* The index record check with OpenSSL plugged in, as compile.c does. */
static int
plug(void *ctx, const void *const *parts, const size_t *lens, size_t n,
    uint8_t md[32])
{
	EVP_MD_CTX *c = ctx;
	unsigned int len = 0;
	size_t i;

	if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
		return -1;
	for (i = 0; i < n; i++)
		EVP_DigestUpdate(c, parts[i], lens[i]);
	return EVP_DigestFinal_ex(c, md, &len) == 1 && len == 32 ? 0 : -1;
}

static void
test_ix_check(void)
{
	static uint8_t buf[70000];
	struct kp_ix_hasher a, b, none;
	uint8_t ca[KPI_CHECK_LEN], cb[KPI_CHECK_LEN];
	size_t i, klen, blen;
	int bad = 0;

	CHECK(RAND_bytes(buf, sizeof(buf)) == 1);
	CHECK_INT(kp_ix_hasher_init(&a), 0);
	CHECK_INT(kp_ix_hasher_init(&b), 0);
	b.sha256v = plug;
	CHECK((b.ctx = EVP_MD_CTX_new()) != NULL);
	for (i = 0; i < 2000; i++) {
		klen = buf[i] % 80;
		blen = (size_t)buf[i + 1] * (i % 7 == 0 ? 250 : 1);
		CHECK_INT(
		    kp_ix_check(&a, buf + i, klen, buf + 3 * i, blen, ca), 0);
		CHECK_INT(
		    kp_ix_check(&b, buf + i, klen, buf + 3 * i, blen, cb), 0);
		bad += memcmp(ca, cb, sizeof(ca)) != 0;
	}
	CHECK_INT(bad, 0);
	/* a hasher used before init (or after free) is refused */
	memset(&none, 0, sizeof(none));
	CHECK_INT(kp_ix_check(&none, "k", 1, "v", 1, ca), KP_ERR_ARG);
	EVP_MD_CTX_free(b.ctx);
	kp_ix_hasher_free(&a);
	CHECK_INT(kp_ix_check(&a, "k", 1, "v", 1, ca), KP_ERR_ARG);
}

/* OpenSSL's verdict, as key.c decided before: oct2point and on-curve. */
static int
ossl_point_ok(int nid, const uint8_t *q, size_t qlen)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(nid);
	EC_POINT *pt = g != NULL ? EC_POINT_new(g) : NULL;
	int ok;

	if (pt == NULL)
		abort();
	ok = EC_POINT_oct2point(g, pt, q, qlen, NULL) == 1 &&
	    !EC_POINT_is_at_infinity(g, pt) &&
	    EC_POINT_is_on_curve(g, pt, NULL) == 1;
	EC_POINT_free(pt);
	EC_GROUP_free(g);
	return ok;
}

static int
mine_point_ok(size_t fl, const uint8_t *q)
{
	return kp_ec_point_valid(fl, q + 1, q + 1 + fl);
}

/* q = 04 || x || y with x, y given as BIGNUMs (must fit). */
static void
set_xy(uint8_t *q, size_t fl, const BIGNUM *x, const BIGNUM *y)
{
	q[0] = 4;
	if (BN_bn2binpad(x, q + 1, (int)fl) < 0 ||
	    BN_bn2binpad(y, q + 1 + fl, (int)fl) < 0)
		abort();
}

static void
test_curve(const char *name, int nid, size_t fl)
{
	uint8_t q[1 + 2 * 66], q2[sizeof(q)];
	size_t qlen = 1 + 2 * fl, got;
	BIGNUM *p = BN_new(), *x = BN_new(), *y = BN_new(), *t = BN_new();
	EC_GROUP *g = EC_GROUP_new_by_curve_name(nid);
	int i, j, agree = 0, valid = 0, total = 0;
	EVP_PKEY *k;

	if (p == NULL || x == NULL || y == NULL || t == NULL || g == NULL ||
	    EC_GROUP_get_curve(g, p, NULL, NULL, NULL) != 1)
		abort();
	for (i = 0; i < 60; i++) {
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", name);
		CHECK(k != NULL);
		if (k == NULL)
			continue;
		got = 0;
		CHECK(EVP_PKEY_get_octet_string_param(
		          k, OSSL_PKEY_PARAM_PUB_KEY, q, sizeof(q), &got) == 1);
		EVP_PKEY_free(k);
		CHECK_INT(got, qlen);
		if (got != qlen)
			continue;
		CHECK(mine_point_ok(fl, q));
		valid += mine_point_ok(fl, q);
		/* single bit flips, mostly off the curve */
		for (j = 0; j < 20; j++) {
			memcpy(q2, q, qlen);
			q2[1 + (size_t)(j * 7 + i) % (2 * fl)] ^=
			    (uint8_t)(1u << (j % 8));
			total++;
			agree += mine_point_ok(fl, q2) ==
			    ossl_point_ok(nid, q2, qlen);
		}
		/* the negated point (x, p - y) is on the curve too */
		BN_bin2bn(q + 1, (int)fl, x);
		BN_bin2bn(q + 1 + fl, (int)fl, y);
		BN_sub(t, p, y);
		set_xy(q2, fl, x, t);
		CHECK(mine_point_ok(fl, q2));
		CHECK(ossl_point_ok(nid, q2, qlen));
		/* y + p, when it still fits: same residue, not a field element */
		BN_add(t, y, p);
		if (BN_num_bytes(t) <= (int)fl) {
			set_xy(q2, fl, x, t);
			total++;
			agree += mine_point_ok(fl, q2) ==
			    ossl_point_ok(nid, q2, qlen);
			CHECK(!mine_point_ok(fl, q2));
		}
	}
	CHECK_INT(valid, 60);
	CHECK_INT(agree, total);
	/* random coordinates */
	for (i = 0, agree = 0; i < 300; i++) {
		q[0] = 4;
		CHECK(RAND_bytes(q + 1, (int)(2 * fl)) == 1);
		if (fl == 66) /* P-521: keep most below 2^521 */
			q[1] &= i % 4 ? 0x01 : 0x03, q[1 + fl] &= 0x01;
		agree += mine_point_ok(fl, q) == ossl_point_ok(nid, q, qlen);
	}
	CHECK_INT(agree, 300);
	/* edges: x or y equal to p, p - 1, zero */
	BN_sub(t, p, BN_value_one());
	set_xy(q, fl, p, t);
	CHECK(!mine_point_ok(fl, q));
	set_xy(q, fl, t, p);
	CHECK(!mine_point_ok(fl, q));
	CHECK_INT(mine_point_ok(fl, q), ossl_point_ok(nid, q, qlen));
	BN_zero(x);
	set_xy(q, fl, x, x);
	CHECK(!mine_point_ok(fl, q));
	CHECK(!ossl_point_ok(nid, q, qlen));
	CHECK(!kp_ec_point_valid(33, q + 1, q + 1));
	CHECK(!kp_ec_point_valid(fl, NULL, q + 1));
	BN_free(p);
	BN_free(x);
	BN_free(y);
	BN_free(t);
	EC_GROUP_free(g);
}

/* An ssh-rsa blob with the given exponent and modulus magnitudes. */
static int
rsa_parse(const uint8_t *e, size_t el, const uint8_t *n, size_t nl,
    const char **why, unsigned *bits)
{
	static uint8_t blob[4200];
	static char b64[6000];
	struct kp_pubkey *k = NULL;
	size_t o = 0;
	int r;

#define PUT32(v) \
	do { \
		blob[o++] = (uint8_t)((v) >> 24); \
		blob[o++] = (uint8_t)((v) >> 16); \
		blob[o++] = (uint8_t)((v) >> 8); \
		blob[o++] = (uint8_t)(v); \
	} while (0)
	PUT32(7);
	memcpy(blob + o, "ssh-rsa", 7);
	o += 7;
	PUT32(el + (e[0] & 0x80 ? 1 : 0));
	if (e[0] & 0x80)
		blob[o++] = 0;
	memcpy(blob + o, e, el);
	o += el;
	PUT32(nl + (n[0] & 0x80 ? 1 : 0));
	if (n[0] & 0x80)
		blob[o++] = 0;
	memcpy(blob + o, n, nl);
	o += nl;
	EVP_EncodeBlock((unsigned char *)b64, blob, (int)o);
	r = kp_pubkey_parse_parts("ssh-rsa", b64, &k, why);
	*bits = k != NULL ? k->bits : 0;
	kp_pubkey_free(k);
	return r;
#undef PUT32
}

static void
test_rsa(void)
{
	uint8_t n[512], e[512];
	const char *why = NULL;
	unsigned bits = 0;

	memset(n, 0xa5, sizeof(n));
	n[255] |= 1;
	e[0] = 1, e[1] = 0, e[2] = 1; /* 65537 */
	CHECK_INT(rsa_parse(e, 3, n, 256, &why, &bits), 0);
	CHECK_INT(bits, 2048);
	n[0] = 0x7f; /* 2047 bits */
	CHECK_INT(rsa_parse(e, 3, n, 256, &why, &bits), KP_ERR_INVALID);
	CHECK_CONTAINS(why, "shorter than 2048");
	n[0] = 0x01; /* 2049 bits */
	n[256] = 0x0b;
	CHECK_INT(rsa_parse(e, 3, n, 257, &why, &bits), 0);
	CHECK_INT(bits, 2049);
	memset(n, 0xff, sizeof(n)); /* 4096 bits, all ones */
	CHECK_INT(rsa_parse(e, 3, n, 512, &why, &bits), 0);
	CHECK_INT(bits, 4096);
	n[511] = 0xfe; /* even modulus */
	CHECK_INT(rsa_parse(e, 3, n, 512, &why, &bits), KP_ERR_INVALID);
	CHECK_CONTAINS(why, "modulus is not valid");
	n[511] = 0xff;
	memcpy(e, n, 512); /* e == n */
	CHECK_INT(rsa_parse(e, 512, n, 512, &why, &bits), KP_ERR_INVALID);
	CHECK_CONTAINS(why, "modulus is not valid");
	e[0] = 0x7f; /* e < n, same length */
	CHECK_INT(rsa_parse(e, 512, n, 512, &why, &bits), 0);
	e[0] = 1; /* e = 1 */
	CHECK_INT(rsa_parse(e, 1, n, 512, &why, &bits), KP_ERR_INVALID);
	CHECK_CONTAINS(why, "odd number > 1");
	e[0] = 3;
	CHECK_INT(rsa_parse(e, 1, n, 512, &why, &bits), 0);
	e[0] = 6;
	CHECK_INT(rsa_parse(e, 1, n, 512, &why, &bits), KP_ERR_INVALID);
	CHECK_CONTAINS(why, "odd number > 1");
}

int
main(void)
{
	test_sha256();
	test_ix_check();
	test_curve("P-256", NID_X9_62_prime256v1, 32);
	test_curve("P-384", NID_secp384r1, 48);
	test_curve("P-521", NID_secp521r1, 66);
	test_rsa();
	return t_done();
}
