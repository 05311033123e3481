/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * libkeyauth's hashes (nettle's SHA-256: key fingerprints, the index
 * record checks, the policy file's digest) and its key checks (libcrypto,
 * policy/model/keycheck.c, on top of the framing of policy/core/key.c),
 * each compared with OpenSSL itself on many inputs: every length around
 * the block boundaries, generated keys of every curve and damaged copies
 * of them, coordinates at and beyond the field prime, RSA parameters at
 * every edge.
 */

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "keyauth-policy.h"
#include "index-format.h"
#include "../test.h"

/* "SHA256:" + unpadded base64 of OpenSSL's SHA-256, as ssh-keygen -l. */
static void
ossl_fingerprint(const uint8_t *p, size_t n, char out[KP_FP_LEN])
{
	uint8_t md[32];
	char b64[64];
	size_t len;

	SHA256(p, n, md);
	EVP_EncodeBlock((unsigned char *)b64, md, sizeof(md));
	len = strlen(b64);
	while (len > 0 && b64[len - 1] == '=')
		b64[--len] = '\0';
	snprintf(out, KP_FP_LEN, "SHA256:%s", b64);
}

static void
test_fingerprint(void)
{
	static uint8_t buf[1 << 20];
	char a[KP_FP_LEN], b[KP_FP_LEN];
	size_t len;
	int bad = 0, i;

	CHECK(RAND_bytes(buf, sizeof(buf)) == 1);
	for (len = 0; len <= 1000; len++) {
		CHECK_INT(kp_fingerprint(buf + len, len, a), 0);
		ossl_fingerprint(buf + len, len, b);
		bad += strcmp(a, b) != 0;
		bad += !kp_fingerprint_valid(a);
	}
	CHECK_INT(bad, 0);
	for (i = 0; i < 4; i++) {
		len = sizeof(buf) - (size_t)i * 12345;
		CHECK_INT(kp_fingerprint(buf, len, a), 0);
		ossl_fingerprint(buf, len, b);
		CHECK_STR(a, b);
	}
	/* SHA-256("abc"), FIPS 180-4's example, in ssh-keygen's spelling */
	CHECK_INT(kp_fingerprint((const uint8_t *)"abc", 3, a), 0);
	CHECK_STR(a, "SHA256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0");
}

/* The index record check, computed with OpenSSL from its definition. */
static void
ossl_ix_check(const uint8_t *key, size_t klen, const uint8_t *body, size_t blen,
    uint8_t out[KPI_CHECK_LEN])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint8_t md[32], kl[4];
	unsigned int len = 0;

	if (c == NULL)
		abort();
	kl[0] = (uint8_t)(klen >> 24);
	kl[1] = (uint8_t)(klen >> 16);
	kl[2] = (uint8_t)(klen >> 8);
	kl[3] = (uint8_t)klen;
	if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(c, "kpindex-check", 13) != 1 ||
	    EVP_DigestUpdate(c, kl, 4) != 1 ||
	    EVP_DigestUpdate(c, key, klen) != 1 ||
	    EVP_DigestUpdate(c, body, blen) != 1 ||
	    EVP_DigestFinal_ex(c, md, &len) != 1 || len != 32)
		abort();
	EVP_MD_CTX_free(c);
	memcpy(out, md, KPI_CHECK_LEN);
}

static void
test_ix_check(void)
{
	static uint8_t buf[70000];
	uint8_t ca[KPI_CHECK_LEN], cb[KPI_CHECK_LEN];
	size_t i, klen, blen;
	int bad = 0;

	CHECK(RAND_bytes(buf, sizeof(buf)) == 1);
	for (i = 0; i < 2000; i++) {
		klen = buf[i] % 80;
		blen = (size_t)buf[i + 1] * (i % 7 == 0 ? 250 : 1);
		CHECK_INT(kp_ix_check(buf + i, klen, buf + 3 * i, blen, ca), 0);
		ossl_ix_check(buf + i, klen, buf + 3 * i, blen, cb);
		bad += memcmp(ca, cb, sizeof(ca)) != 0;
	}
	CHECK_INT(bad, 0);
	CHECK_INT(kp_ix_check(NULL, 1, "v", 1, ca), KP_ERR_ARG);
}

/* A loaded policy's sha256 is OpenSSL's SHA-256 of the file's bytes. */
static void
test_policy_digest(void)
{
	static const char yaml[] = "version: 1\nserial: 7\n";
	struct kp_policy *p = NULL;
	struct kp_diag d;
	uint8_t md[32];
	char hex[65];
	int i;

	SHA256((const uint8_t *)yaml, sizeof(yaml) - 1, md);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	CHECK_INT(
	    kp_policy_load_buf("t.yaml", yaml, sizeof(yaml) - 1, &p, &d), 0);
	if (p != NULL)
		CHECK_STR(p->sha256, hex);
	kp_policy_free(p);
}

/* An SSH string into w at *o. */
static void
put_string(uint8_t *w, size_t *o, const void *p, size_t n)
{
	w[(*o)++] = (uint8_t)(n >> 24);
	w[(*o)++] = (uint8_t)(n >> 16);
	w[(*o)++] = (uint8_t)(n >> 8);
	w[(*o)++] = (uint8_t)n;
	memcpy(w + *o, p, n);
	*o += n;
}

/*
 * A key blob read as keyauthctl reads it: the framing (core), then the
 * numbers (kp_pubkey_check). 0 or the first refusal; *why names it.
 */
static int
read_key(const char *type, const uint8_t *blob, size_t len, const char **why,
    unsigned *bits)
{
	static char b64[8000];
	struct kp_pubkey *k = NULL;
	int r;

	if (bits != NULL)
		*bits = 0;
	EVP_EncodeBlock((unsigned char *)b64, blob, (int)len);
	if ((r = kp_pubkey_parse_parts(type, b64, &k, why)) == 0) {
		if (bits != NULL)
			*bits = k->bits;
		r = kp_pubkey_check(k, why);
	}
	kp_pubkey_free(k);
	return r;
}

/* OpenSSL's own verdict: oct2point, not at infinity, on the curve. */
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

/* The point q (1 + 2 * fl bytes) as an ecdsa-sha2-nistpNNN key. */
static int
mine_point_ok(size_t fl, const uint8_t *q)
{
	static const char *const names[] = {"nistp256", "nistp384", "nistp521"};
	uint8_t blob[300];
	char type[32];
	const char *curve, *why = NULL;
	size_t o = 0;

	curve = names[fl == 32 ? 0 : fl == 48 ? 1 : 2];
	snprintf(type, sizeof(type), "ecdsa-sha2-%s", curve);
	put_string(blob, &o, type, strlen(type));
	put_string(blob, &o, curve, strlen(curve));
	put_string(blob, &o, q, 1 + 2 * fl);
	if (read_key(type, blob, o, &why, NULL) == 0)
		return 1;
	if (strstr(why, "not on the curve") == NULL)
		fprintf(stderr, "  ... refused for another reason: %s\n", why);
	return 0;
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
	static uint8_t blob[4200], mp[1100];
	size_t o = 0;

	put_string(blob, &o, "ssh-rsa", 7);
	/* positive mpints: a 0x00 before a magnitude whose top bit is set */
	mp[0] = 0;
	memcpy(mp + 1, e, el);
	put_string(blob, &o, e[0] & 0x80 ? mp : mp + 1, el + (e[0] >> 7));
	memcpy(mp + 1, n, nl);
	put_string(blob, &o, n[0] & 0x80 ? mp : mp + 1, nl + (n[0] >> 7));
	return read_key("ssh-rsa", blob, o, why, bits);
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
	test_fingerprint();
	test_ix_check();
	test_policy_digest();
	test_curve("P-256", NID_X9_62_prime256v1, 32);
	test_curve("P-384", NID_secp384r1, 48);
	test_curve("P-521", NID_secp521r1, 66);
	test_rsa();
	return t_done();
}
