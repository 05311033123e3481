/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include "keyauth-policy.h"
#include "kp-internal.h"
#include "kp-policy.h"

/*
 * What a public key is worth, beyond its framing: libcrypto's judgement,
 * once, when a policy is loaded. kp_pubkey_parse_line (policy/core/key.c)
 * checked every length, encoding and inner type and the RSA modulus size;
 * here the numbers themselves are checked, as strictly as sshd's own key
 * parser: an RSA exponent odd and above 1, a modulus odd and above the
 * exponent, an ECDSA point that is a point of its curve (coordinates below
 * the field prime, on the curve, not at infinity). Ed25519 keys have no
 * such property to check: any 32 bytes are a key.
 *
 * The login path does not come here: sshd validates every key before it
 * hands it over, and the index holds only keys checked at install.
 */

static int
str_eq(const uint8_t *s, size_t n, const char *want)
{
	return strlen(want) == n && memcmp(s, want, n) == 0;
}

static int
check_rsa(struct kp_buf *w, const char **why)
{
	const uint8_t *ep, *np;
	size_t elen, nlen;
	BIGNUM *e = NULL, *n = NULL;
	int r = KP_ERR_NOMEM;

	if (kp_buf_get_string(w, &ep, &elen) != 0 ||
	    kp_buf_get_string(w, &np, &nlen) != 0 || elen > INT32_MAX ||
	    nlen > INT32_MAX)
		KP_FAIL(why, "truncated key data", KP_ERR_INVALID);
	if ((e = BN_bin2bn(ep, (int)elen, NULL)) == NULL ||
	    (n = BN_bin2bn(np, (int)nlen, NULL)) == NULL) {
		KP_WHY(why, "out of memory");
		goto out;
	}
	r = KP_ERR_INVALID;
	if (!BN_is_odd(e) || BN_is_one(e)) {
		KP_WHY(why, "RSA public exponent is not an odd number > 1");
		goto out;
	}
	if (!BN_is_odd(n) || BN_cmp(e, n) >= 0) {
		KP_WHY(why, "RSA modulus is not valid");
		goto out;
	}
	r = 0;
out:
	BN_free(e);
	BN_free(n);
	return r;
}

static int
check_ecdsa(struct kp_buf *w, const char **why)
{
	static const struct {
		const char *name;
		int nid;
	} curves[] = {
	    {"nistp256", NID_X9_62_prime256v1},
	    {"nistp384", NID_secp384r1},
	    {"nistp521", NID_secp521r1},
	};
	const uint8_t *cv, *q;
	size_t cvlen, qlen, i;
	EC_GROUP *g = NULL;
	EC_POINT *pt = NULL;
	int nid = NID_undef, r = KP_ERR_NOMEM;

	if (kp_buf_get_string(w, &cv, &cvlen) != 0 ||
	    kp_buf_get_string(w, &q, &qlen) != 0)
		KP_FAIL(why, "truncated key data", KP_ERR_INVALID);
	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		if (str_eq(cv, cvlen, curves[i].name))
			nid = curves[i].nid;
	}
	if (nid == NID_undef)
		KP_FAIL(why, "ECDSA curve does not match the key type",
		    KP_ERR_INVALID);
	if ((g = EC_GROUP_new_by_curve_name(nid)) == NULL ||
	    (pt = EC_POINT_new(g)) == NULL) {
		KP_WHY(why, "out of memory");
		goto out;
	}
	r = KP_ERR_INVALID;
	if (EC_POINT_oct2point(g, pt, q, qlen, NULL) != 1 ||
	    EC_POINT_is_at_infinity(g, pt) ||
	    EC_POINT_is_on_curve(g, pt, NULL) != 1) {
		KP_WHY(why, "ECDSA public point is not on the curve");
		goto out;
	}
	r = 0;
out:
	EC_POINT_free(pt);
	EC_GROUP_free(g);
	return r;
}

int
kp_pubkey_check(const struct kp_pubkey *k, const char **why)
{
	struct kp_buf w;
	const uint8_t *t;
	size_t tlen;

	if (k == NULL || k->type == NULL || k->blob == NULL)
		KP_FAIL(why, "missing key", KP_ERR_ARG);
	kp_buf_view(&w, k->blob, k->bloblen);
	if (kp_buf_get_string(&w, &t, &tlen) != 0 || !str_eq(t, tlen, k->type))
		KP_FAIL(why, "key data is of another type than the line says",
		    KP_ERR_INVALID);
	if (strcmp(k->type, "ssh-rsa") == 0)
		return check_rsa(&w, why);
	if (strncmp(k->type, "ecdsa-sha2-", 11) == 0 ||
	    strcmp(k->type, "sk-ecdsa-sha2-nistp256@openssh.com") == 0)
		return check_ecdsa(&w, why);
	return 0;
}

int
kp_pubkey_parse_line_checked(
    const char *line, struct kp_pubkey **out, const char **why, size_t *col_off)
{
	/* The parser places a refusal of check (kp-internal.h). */
	return kp_pubkey_parse_line_in(
	    line, NULL, NULL, kp_pubkey_check, out, why, col_off);
}

static void *
arena_piece(void *arg, size_t n)
{
	return kp_arena_alloc(arg, n);
}

int
kp_pubkey_parse_line_checked_in(const char *line, struct kp_arena *a,
    struct kp_pubkey **out, const char **why, size_t *col_off)
{
	/* The blob is checked while the parser holds it (kp-internal.h). */
	return kp_pubkey_parse_line_in(
	    line, arena_piece, a, kp_pubkey_check, out, why, col_off);
}
