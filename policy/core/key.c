/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <nettle/sha2.h>

#include "keyauth.h"
#include "kp-internal.h"

/*
 * Public keys as OpenSSH writes them: "type base64 [comment]", the base64
 * holding an SSH wire-format blob (RFC 4253 section 6.6, RFC 5656,
 * RFC 8709, OpenSSH PROTOCOL.u2f). Parsing is strict: every length exact,
 * nothing after the last field, canonical base64, the inner type equal to
 * the outer one. Separators are one or more spaces; tabs and every other
 * control character are refused.
 *
 * This is the framing only: lengths, encodings, inner types, the RSA
 * modulus size. The mathematics of a key (an RSA exponent and modulus that
 * make sense, an ECDSA point on its curve) is libcrypto's, checked when a
 * policy is loaded (policy/model/keycheck.c): on the login path sshd has
 * already parsed and validated every key it hands over, and the index
 * holds only keys that were validated at install. No libcrypto here: its
 * start-up alone cost more than the whole lookup (docs/performance.md).
 * SHA-256 is nettle's.
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
get_mpint(
    struct kp_buf *w, const uint8_t **mag, size_t *maglen, const char **why)
{
	const uint8_t *s;
	size_t n;

	*mag = NULL;
	*maglen = 0;
	if (kp_buf_get_string(w, &s, &n) != 0)
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

/*
 * e and n, framed as positive minimal mpints; the modulus size is counted
 * here (the bits of its magnitude), what the numbers are worth is not.
 */
static int
check_rsa(struct kp_buf *w, unsigned *bits, const char **why)
{
	const uint8_t *e, *n;
	size_t elen, nlen;
	unsigned nbits;
	int r;

	if ((r = get_mpint(w, &e, &elen, why)) != 0 ||
	    (r = get_mpint(w, &n, &nlen, why)) != 0)
		return r;
	nbits = mag_bits(n, nlen);
	if (nbits < RSA_MIN_BITS)
		KP_FAIL(why, "RSA key shorter than 2048 bits", KP_ERR_INVALID);
	if (nbits > RSA_MAX_BITS)
		KP_FAIL(why, "RSA key longer than 16384 bits", KP_ERR_INVALID);
	*bits = nbits;
	return 0;
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
	return 0;
}

/* The blob's fields after the type string, per key type. */
static int
check_blob(const struct keytype *kt, const uint8_t *blob, size_t len,
    unsigned *bits, const char **why)
{
	struct kp_buf w;
	const uint8_t *s;
	size_t n;
	int r;

	*bits = 0;
	kp_buf_view(&w, blob, len);
	if (kp_buf_get_string(&w, &s, &n) != 0)
		KP_FAIL(why, "truncated key data", KP_ERR_INVALID);
	if (!str_eq(s, n, kt->name))
		KP_FAIL(why, "key data is of another type than the line says",
		    KP_ERR_INVALID);
	switch (kt->kt) {
	case KT_ED25519:
	case KT_SK_ED25519:
		if (kp_buf_get_string(&w, &s, &n) != 0)
			KP_FAIL(why, "truncated key data", KP_ERR_INVALID);
		if (n != 32)
			KP_FAIL(why, "Ed25519 public key is not 32 bytes",
			    KP_ERR_INVALID);
		break;
	case KT_ECDSA:
	case KT_SK_ECDSA:
		if (kp_buf_get_string(&w, &s, &n) != 0)
			KP_FAIL(why, "truncated key data", KP_ERR_INVALID);
		if (!str_eq(s, n, kt->curve))
			KP_FAIL(why, "ECDSA curve does not match the key type",
			    KP_ERR_INVALID);
		if (kp_buf_get_string(&w, &s, &n) != 0)
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
		if (kp_buf_get_string(&w, &s, &n) != 0)
			KP_FAIL(why, "truncated key data (no FIDO application)",
			    KP_ERR_INVALID);
		if (n == 0 || n > SK_APP_MAX || memchr(s, '\0', n) != NULL)
			KP_FAIL(
			    why, "bad FIDO application string", KP_ERR_INVALID);
	}
	if (kp_buf_len(&w) != 0)
		KP_FAIL(
		    why, "trailing bytes after the key data", KP_ERR_INVALID);
	return 0;
}

int
kp_fingerprint(const uint8_t *blob, size_t len, char out[KP_FP_LEN])
{
	uint8_t md[SHA256_DIGEST_SIZE];
	struct sha256_ctx c;

	if (out == NULL)
		return KP_ERR_ARG;
	out[0] = '\0';
	if (blob == NULL)
		return KP_ERR_ARG;
	sha256_init(&c);
	sha256_update(&c, len, blob);
	sha256_digest(&c, sizeof(md), md);
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

/*
 * The key of (type, b64) and comment (clen bytes, none when 0) in one
 * piece from alloc: the struct, then the base64 and the comment; type
 * points at the table's name. The blob is decoded into scratch (room
 * bytes), shown to check (when not NULL) and not kept: a loaded policy
 * never reads it again, and a million keys are 52 MB smaller without it.
 * *off and *in_b64 as pubkey_build, *in_b64 2 when the comment is refused
 * (checked first, as parse_line does for the malloc'd key), 3 when check
 * refused the key data.
 */
static int
pubkey_build_in(const char *type, size_t tlen, const char *b64, size_t blen,
    const char *comment, size_t clen, kp_alloc_fn alloc, void *arg,
    kp_keycheck_fn check, uint8_t *scratch, size_t room, struct kp_pubkey **out,
    const char **why, size_t *off, int *in_b64)
{
	const struct keytype *kt;
	struct kp_pubkey *k;
	char *p;
	int r;

	*off = 0;
	*in_b64 = 0;
	if (blen > KP_KEYLINE_MAX || clen > KP_KEYLINE_MAX)
		KP_FAIL(why, "key line longer than 16384 bytes", KP_ERR_TOOBIG);
	if (room < blen / 4 * 3 + 1)
		return KP_ERR_INTERNAL;
	if ((k = alloc(arg, sizeof(*k) + blen + 1 + clen + 1)) == NULL)
		return KP_ERR_NOMEM;
	memset(k, 0, sizeof(*k));
	p = (char *)(k + 1);
	k->b64 = p;
	if (clen > 0) {
		k->comment = k->b64 + blen + 1;
		memcpy(k->comment, comment, clen);
		k->comment[clen] = '\0';
		if (!kp_value_clean(k->comment, KP_KEYLINE_MAX, why)) {
			*in_b64 = 2; /* the comment's problem */
			return KP_ERR_INVALID;
		}
	}
	if ((kt = keytype_lookup(type, tlen)) == NULL)
		KP_FAIL(why, type_refusal(type, tlen), KP_ERR_INVALID);
	*in_b64 = 1;
	if (blen == 0)
		KP_FAIL(why, "missing base64 key data", KP_ERR_INVALID);
	k->blob = scratch;
	if (kp_b64_decode_to(b64, blen, k->blob, &k->bloblen, why, off) != 0 ||
	    check_blob(kt, k->blob, k->bloblen, &k->bits, why) != 0)
		return KP_ERR_INVALID;
	k->type = (char *)(uintptr_t)kt->name; /* never freed: see above */
	memcpy(k->b64, b64, blen);
	k->b64[blen] = '\0';
	if (kp_fingerprint(k->blob, k->bloblen, k->fp) != 0)
		return KP_ERR_INTERNAL;
	if (check != NULL && (r = check(k, why)) != 0) {
		*in_b64 = 3;
		return r;
	}
	/* scratch is the caller's: the key keeps no pointer to it */
	k->blob = NULL;
	k->bloblen = 0;
	*out = k;
	return 0;
}

/*
 * "type base64 [comment]" (kp_pubkey_parse_line); with alloc, the key in
 * one piece of it (pubkey_build_in), else malloc'd field by field.
 */
static int
parse_line(const char *line, kp_alloc_fn alloc, void *arg, kp_keycheck_fn check,
    struct kp_pubkey **out, const char **why, size_t *col_off)
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
	if (alloc != NULL) {
		/*
		 * On the stack for the usual key (an RSA 4096 blob is 535
		 * bytes), not 12 KiB: -ftrivial-auto-var-init zeroes it on
		 * every call, a million times in a load.
		 */
		uint8_t small[1024], *big = NULL;
		size_t room = (be - bs) / 4 * 3 + 1;

		if (room > sizeof(small) && (big = malloc(room)) == NULL)
			return KP_ERR_NOMEM;
		r = pubkey_build_in(line + ts, te - ts, line + bs, be - bs,
		    line + cs, ce - cs, alloc, arg, check,
		    big != NULL ? big : small,
		    big != NULL ? room : sizeof(small), out, why, &off,
		    &in_b64);
		free(big);
		if (r != 0 && col_off != NULL)
			*col_off = in_b64 == 2 ? cs
			    : in_b64 == 3      ? bs
			    : in_b64           ? bs + off
			                       : ts;
		return r;
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
	if (r == 0 && check != NULL && (r = check(*out, why)) != 0) {
		kp_pubkey_free(*out);
		*out = NULL;
		in_b64 = 3; /* as pubkey_build_in: the key data's problem */
	}
	if (r != 0 && col_off != NULL)
		*col_off = in_b64 == 3 ? bs : in_b64 ? bs + off : ts;
out:
	free(comment);
	return r;
}

int
kp_pubkey_parse_line(
    const char *line, struct kp_pubkey **out, const char **why, size_t *col_off)
{
	return parse_line(line, NULL, NULL, NULL, out, why, col_off);
}

int
kp_pubkey_parse_line_in(const char *line, kp_alloc_fn alloc, void *arg,
    kp_keycheck_fn check, struct kp_pubkey **out, const char **why,
    size_t *col_off)
{
	return parse_line(line, alloc, arg, check, out, why, col_off);
}

int
kp_pubkey_unsupported(const char *type, const char *b64)
{
	const struct keytype *kt;
	const uint8_t *s, *e, *n;
	const char *why = NULL;
	uint8_t *blob = NULL;
	size_t tlen, blen, bloblen = 0, slen, elen, nlen, off = 0, i;
	struct kp_buf w;
	unsigned bits;
	int r = 0;

	if (type == NULL || b64 == NULL ||
	    (tlen = strnlen(type, KP_KEYLINE_MAX + 1)) == 0 ||
	    tlen > KP_KEYLINE_MAX ||
	    (blen = strnlen(b64, KP_KEYLINE_MAX + 1)) == 0 ||
	    blen > KP_KEYLINE_MAX)
		return 0;
	for (i = 0; i < tlen; i++) {
		if ((unsigned char)type[i] <= 0x20 || type[i] >= 0x7f)
			return 0;
	}
	kt = keytype_lookup(type, tlen);
	if (kt != NULL && kt->kt != KT_RSA)
		return 0;
	if (kp_b64_decode(b64, blen, &blob, &bloblen, &why, &off) != 0)
		return 0;
	kp_buf_view(&w, blob, bloblen);
	/* The type inside must be the one given, whatever it is. */
	if (kp_buf_get_string(&w, &s, &slen) != 0 || slen != tlen ||
	    memcmp(s, type, tlen) != 0)
		goto out;
	if (kt != NULL) {
		/* ssh-rsa, well framed, and of a size no policy accepts */
		if (get_mpint(&w, &e, &elen, &why) != 0 ||
		    get_mpint(&w, &n, &nlen, &why) != 0 || kp_buf_len(&w) != 0)
			goto out;
		bits = mag_bits(n, nlen);
		if (bits >= RSA_MIN_BITS && bits <= RSA_MAX_BITS)
			goto out;
	}
	r = 1;
out:
	free(blob);
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

int
kp_pubkey_from_blob(
    const uint8_t *blob, size_t len, struct kp_pubkey **out, const char **why)
{
	const struct keytype *kt;
	struct kp_pubkey *k = NULL;
	const uint8_t *s;
	struct kp_buf w;
	size_t n, elen;
	int r;

	if (out != NULL)
		*out = NULL;
	if (why != NULL)
		*why = NULL;
	if (blob == NULL || out == NULL)
		KP_FAIL(why, "missing key data", KP_ERR_ARG);
	if (len > KP_KEYLINE_MAX)
		KP_FAIL(why, "key longer than 16384 bytes", KP_ERR_TOOBIG);
	kp_buf_view(&w, blob, len);
	if (kp_buf_get_string(&w, &s, &n) != 0)
		KP_FAIL(why, "truncated key data", KP_ERR_INVALID);
	/* A certificate's type is no plain type: never a CA or a subject. */
	if ((kt = keytype_lookup((const char *)s, n)) == NULL)
		KP_FAIL(why, type_refusal((const char *)s, n), KP_ERR_INVALID);
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return KP_ERR_NOMEM;
	if ((r = check_blob(kt, blob, len, &k->bits, why)) != 0)
		goto out;
	r = KP_ERR_NOMEM;
	elen = kp_b64_enclen(len, 1);
	if ((k->type = strdup(kt->name)) == NULL ||
	    (k->blob = malloc(len == 0 ? 1 : len)) == NULL ||
	    (k->b64 = malloc(elen + 1)) == NULL)
		goto out;
	memcpy(k->blob, blob, len);
	k->bloblen = len;
	if ((r = kp_b64_encode(blob, len, 1, k->b64, elen + 1)) != 0 ||
	    (r = kp_fingerprint(k->blob, k->bloblen, k->fp)) != 0)
		goto out;
	*out = k;
	k = NULL;
	r = 0;
out:
	kp_pubkey_free(k);
	return r;
}
