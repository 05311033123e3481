/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * OpenSSH user certificates as sshd hands them to the helper (%t %k) and
 * writes them into SSH_AUTH_INFO_0 (docs/certificates.md). The layout is
 * OpenSSH's PROTOCOL.certkeys:
 *
 *   string type, string nonce, the key's own fields, uint64 serial,
 *   uint32 type, string key id, string principals, uint64 valid after,
 *   uint64 valid before, string critical options, string extensions,
 *   string reserved, string signature key, string signature
 *
 * Everything is framed through the one byte buffer and bounded; anything
 * keyauth would have to guess about is refused. The signature is sshd's
 * to verify: keyauth only decides whether the signer is trusted.
 */

#include <stdlib.h>
#include <string.h>

#include "keyauth.h"
#include "kp-internal.h"

#define CERT_SUFFIX "-cert-v01@openssh.com"
#define NONCE_MAX 256
#define OPTION_DATA_MAX KP_VALUE_MAX

/* Certificate type, its plain key type, the strings of the key's fields. */
static const struct certtype {
	const char *name;
	const char *plain;
	unsigned nfields;
} certtypes[] = {
    {"ssh-ed25519-cert-v01@openssh.com", "ssh-ed25519", 1},
    {"ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp256", 2},
    {"ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp384", 2},
    {"ecdsa-sha2-nistp521-cert-v01@openssh.com", "ecdsa-sha2-nistp521", 2},
    {"sk-ssh-ed25519-cert-v01@openssh.com", "sk-ssh-ed25519@openssh.com", 2},
    {"sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com", 3},
    {"ssh-rsa-cert-v01@openssh.com", "ssh-rsa", 2},
};

static const struct certtype *
certtype_lookup(const void *name, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(certtypes) / sizeof(certtypes[0]); i++) {
		if (strlen(certtypes[i].name) == n &&
		    memcmp(certtypes[i].name, name, n) == 0)
			return &certtypes[i];
	}
	return NULL;
}

int
kp_cert_type(const char *type)
{
	size_t n, m = strlen(CERT_SUFFIX);

	if (type == NULL)
		return 0;
	n = strnlen(type, 128);
	return n > m && memcmp(type + n - m, CERT_SUFFIX, m) == 0;
}

void
kp_cert_free(struct kp_cert *c)
{
	size_t i;

	if (c == NULL)
		return;
	kp_pubkey_free(c->key);
	kp_pubkey_free(c->ca);
	free(c->key_id);
	for (i = 0; i < c->nprincipals; i++)
		free(c->principals[i]);
	free(c->principals);
	free(c->force_command);
	free(c->sources);
	free(c);
}

/* A string of at most max bytes with no NUL, as a C string. */
static int
get_text(struct kp_buf *b, size_t max, int may_be_empty, char **out)
{
	const uint8_t *s;
	size_t n;

	*out = NULL;
	if (kp_buf_get_string(b, &s, &n) != 0)
		return KP_ERR_INVALID;
	if (n > max || (n == 0 && !may_be_empty) || memchr(s, '\0', n) != NULL)
		return KP_ERR_INVALID;
	if ((*out = strndup((const char *)s, n)) == NULL)
		return KP_ERR_NOMEM;
	return 0;
}

static int
get_principals(
    struct kp_cert *c, const uint8_t *p, size_t len, const char **why)
{
	struct kp_buf w, cnt;
	const uint8_t *s;
	size_t n, i = 0;
	int r;

	/* Count first: the allocation never exceeds what the field holds. */
	kp_buf_view(&cnt, p, len);
	while (kp_buf_len(&cnt) > 0) {
		if (kp_buf_get_string(&cnt, &s, &n) != 0)
			KP_FAIL(why, "certificate principals are truncated",
			    KP_ERR_INVALID);
		if (++i > KP_CERT_MAX_PRINCIPALS)
			KP_FAIL(why, "certificate has more than 256 principals",
			    KP_ERR_TOOBIG);
	}
	if (i == 0)
		return 0; /* sshd: valid for any principal; keyauth: none */
	if ((c->principals = calloc(i, sizeof(char *))) == NULL)
		return KP_ERR_NOMEM;
	kp_buf_view(&w, p, len);
	while (kp_buf_len(&w) > 0) {
		r = get_text(
		    &w, KP_CERT_NAME_MAX, 0, &c->principals[c->nprincipals]);
		if (r == KP_ERR_NOMEM)
			return r;
		if (r != 0)
			KP_FAIL(why,
			    "certificate principal is empty, too long or has "
			    "a NUL",
			    KP_ERR_INVALID);
		c->nprincipals++;
	}
	return 0;
}

/* source-address: comma-separated addresses and networks, all valid. */
static int
parse_sources(struct kp_cert *c, const char *list, const char **why)
{
	const char *p, *e;
	char item[64];
	size_t n = 1, len;

	for (p = list; *p != '\0'; p++)
		n += *p == ',';
	if (n > KP_CERT_MAX_SOURCES)
		KP_FAIL(why,
		    "certificate source-address lists too many networks",
		    KP_ERR_TOOBIG);
	if ((c->sources = calloc(n, sizeof(*c->sources))) == NULL)
		return KP_ERR_NOMEM;
	for (p = list;; p = e + 1) {
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		len = (size_t)(e - p);
		if (len == 0 || len >= sizeof(item))
			KP_FAIL(why, "certificate source-address is malformed",
			    KP_ERR_INVALID);
		memcpy(item, p, len);
		item[len] = '\0';
		if (kp_cidr_parse(item, &c->sources[c->nsources], NULL) != 0)
			KP_FAIL(why,
			    "certificate source-address holds something that "
			    "is not an address or network",
			    KP_ERR_INVALID);
		c->nsources++;
		if (*e == '\0')
			break;
	}
	return 0;
}

/*
 * Critical options (critical != 0) or extensions: (name, data) pairs,
 * names unique and in order, as sshd requires. Unknown critical options
 * refuse the certificate, as sshd does; extensions are counted only.
 */
static int
get_options(struct kp_cert *c, const uint8_t *p, size_t len, int critical,
    const char **why)
{
	const uint8_t *name, *data, *last = NULL;
	size_t nlen, dlen, lastlen = 0, count = 0, cmp;
	struct kp_buf w, d;
	char *val = NULL;
	int r;

	kp_buf_view(&w, p, len);
	while (kp_buf_len(&w) > 0) {
		if (kp_buf_get_string(&w, &name, &nlen) != 0 ||
		    kp_buf_get_string(&w, &data, &dlen) != 0)
			KP_FAIL(why, "certificate options are truncated",
			    KP_ERR_INVALID);
		if (++count > KP_CERT_MAX_OPTIONS)
			KP_FAIL(why, "certificate has too many options",
			    KP_ERR_TOOBIG);
		if (nlen == 0 || nlen > KP_CERT_NAME_MAX ||
		    memchr(name, '\0', nlen) != NULL || dlen > OPTION_DATA_MAX)
			KP_FAIL(why, "certificate option is malformed",
			    KP_ERR_INVALID);
		if (last != NULL) {
			cmp = nlen < lastlen ? nlen : lastlen;
			r = memcmp(last, name, cmp);
			if (r > 0 || (r == 0 && lastlen >= nlen))
				KP_FAIL(why,
				    "certificate options are repeated or out "
				    "of order",
				    KP_ERR_INVALID);
		}
		last = name;
		lastlen = nlen;
		if (!critical)
			continue;
		kp_buf_view(&d, data, dlen);
		if (nlen == 13 && memcmp(name, "force-command", 13) == 0) {
			if (get_text(&d, OPTION_DATA_MAX, 1, &val) != 0 ||
			    kp_buf_len(&d) != 0) {
				free(val);
				KP_FAIL(why,
				    "certificate force-command is malformed",
				    KP_ERR_INVALID);
			}
			c->force_command = val;
			val = NULL;
		} else if (nlen == 14 &&
		    memcmp(name, "source-address", 14) == 0) {
			if (get_text(&d, OPTION_DATA_MAX, 0, &val) != 0 ||
			    kp_buf_len(&d) != 0) {
				free(val);
				KP_FAIL(why,
				    "certificate source-address is malformed",
				    KP_ERR_INVALID);
			}
			r = parse_sources(c, val, why);
			free(val);
			val = NULL;
			if (r != 0)
				return r;
		} else if (nlen == 15 &&
		    memcmp(name, "verify-required", 15) == 0) {
			if (dlen != 0)
				KP_FAIL(why,
				    "certificate verify-required carries data",
				    KP_ERR_INVALID);
			c->verify_required = 1;
		} else {
			KP_FAIL(why,
			    "certificate has an unknown critical option (sshd "
			    "refuses it too)",
			    KP_ERR_INVALID);
		}
	}
	if (!critical)
		c->nextensions = count;
	return 0;
}

/* The certified key: the plain type, then the cert's key fields. */
static int
get_subject(struct kp_cert *c, const struct certtype *ct, struct kp_buf *w,
    const char **why)
{
	const uint8_t *start, *s;
	struct kp_buf plain;
	size_t n, before;
	unsigned i;
	int r;

	start = kp_buf_ptr(w);
	before = kp_buf_len(w);
	for (i = 0; i < ct->nfields; i++) {
		if (kp_buf_get_string(w, &s, &n) != 0)
			KP_FAIL(why, "certificate key is truncated",
			    KP_ERR_INVALID);
	}
	kp_buf_init(&plain, KP_KEYLINE_MAX);
	kp_buf_put_string(&plain, ct->plain, strlen(ct->plain));
	kp_buf_put(&plain, start, before - kp_buf_len(w));
	if ((r = plain.err) == 0)
		r = kp_pubkey_from_blob(
		    kp_buf_ptr(&plain), kp_buf_len(&plain), &c->key, why);
	kp_buf_free(&plain);
	if (r != 0 && r != KP_ERR_NOMEM)
		KP_WHY(why, "certificate key is not a valid public key");
	return r;
}

int
kp_cert_parse_blob(
    const uint8_t *blob, size_t len, struct kp_cert **out, const char **why)
{
	const struct certtype *ct;
	const uint8_t *s, *sig;
	struct kp_cert *c = NULL;
	struct kp_buf w, sb;
	size_t n, siglen;
	const char *w2 = NULL;
	int r = KP_ERR_INVALID;

	if (why == NULL)
		why = &w2;
	*why = NULL;
	if (out == NULL || blob == NULL)
		KP_FAIL(why, "missing certificate", KP_ERR_ARG);
	*out = NULL;
	if (len > KP_KEYLINE_MAX)
		KP_FAIL(
		    why, "certificate longer than 16384 bytes", KP_ERR_TOOBIG);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return KP_ERR_NOMEM;
	kp_buf_view(&w, blob, len);
	if (kp_buf_get_string(&w, &s, &n) != 0 ||
	    (ct = certtype_lookup(s, n)) == NULL) {
		*why = "not a certificate of a supported type";
		goto out;
	}
	if (kp_buf_get_string(&w, &s, &n) != 0 || n == 0 || n > NONCE_MAX) {
		*why = "certificate nonce is missing or malformed";
		goto out;
	}
	if ((r = get_subject(c, ct, &w, why)) != 0)
		goto out;
	r = KP_ERR_INVALID;
	if (kp_buf_get_u64(&w, &c->serial) != 0 ||
	    kp_buf_get_u32(&w, &c->type) != 0) {
		*why = "certificate is truncated";
		goto out;
	}
	if (c->type != KP_CERT_USER && c->type != KP_CERT_HOST) {
		*why = "certificate is neither a user nor a host certificate";
		goto out;
	}
	if ((r = get_text(&w, KP_CERT_KEY_ID_MAX, 1, &c->key_id)) != 0) {
		if (r != KP_ERR_NOMEM)
			*why = "certificate key id is missing, too long or "
			       "has a NUL";
		goto out;
	}
	if (kp_buf_get_string(&w, &s, &n) != 0) {
		*why = "certificate is truncated";
		r = KP_ERR_INVALID;
		goto out;
	}
	if ((r = get_principals(c, s, n, why)) != 0)
		goto out;
	r = KP_ERR_INVALID;
	if (kp_buf_get_u64(&w, &c->valid_after) != 0 ||
	    kp_buf_get_u64(&w, &c->valid_before) != 0 ||
	    kp_buf_get_string(&w, &s, &n) != 0) {
		*why = "certificate is truncated";
		goto out;
	}
	if ((r = get_options(c, s, n, 1, why)) != 0)
		goto out;
	r = KP_ERR_INVALID;
	if (kp_buf_get_string(&w, &s, &n) != 0) {
		*why = "certificate is truncated";
		goto out;
	}
	if ((r = get_options(c, s, n, 0, why)) != 0)
		goto out;
	r = KP_ERR_INVALID;
	if (kp_buf_get_string(&w, &s, &n) != 0 || n != 0) {
		*why = "certificate reserved field is not empty";
		goto out;
	}
	if (kp_buf_get_string(&w, &s, &n) != 0) {
		*why = "certificate is truncated";
		goto out;
	}
	if ((r = kp_pubkey_from_blob(s, n, &c->ca, why)) != 0) {
		if (r != KP_ERR_NOMEM)
			*why = "certificate signature key is not a supported "
			       "plain public key";
		if (r != KP_ERR_NOMEM)
			r = KP_ERR_INVALID;
		goto out;
	}
	r = KP_ERR_INVALID;
	/* The signature: a string holding (string algorithm, string blob). */
	if (kp_buf_get_string(&w, &sig, &siglen) != 0 || kp_buf_len(&w) != 0) {
		*why = "certificate signature is missing or followed by "
		       "trailing bytes";
		goto out;
	}
	kp_buf_view(&sb, sig, siglen);
	if (kp_buf_get_string(&sb, &s, &n) != 0 || n == 0 ||
	    kp_buf_get_string(&sb, &s, &n) != 0 || n == 0) {
		*why = "certificate signature is malformed";
		goto out;
	}
	*out = c;
	c = NULL;
	r = 0;
out:
	kp_cert_free(c);
	return r;
}

int
kp_cert_parse(
    const char *type, const char *b64, struct kp_cert **out, const char **why)
{
	uint8_t *blob = NULL;
	size_t tlen, blen, bloblen = 0, off = 0;
	const uint8_t *s;
	struct kp_buf w;
	size_t n;
	int r;

	if (out != NULL)
		*out = NULL;
	if (why != NULL)
		*why = NULL;
	if (type == NULL || b64 == NULL || out == NULL)
		KP_FAIL(why, "missing certificate type or data", KP_ERR_ARG);
	if ((tlen = strnlen(type, 128)) >= 128 ||
	    certtype_lookup(type, tlen) == NULL)
		KP_FAIL(why, "not a certificate type keyauth supports",
		    KP_ERR_INVALID);
	if ((blen = strnlen(b64, KP_KEYLINE_MAX * 2)) >= KP_KEYLINE_MAX * 2)
		KP_FAIL(
		    why, "certificate longer than 16384 bytes", KP_ERR_TOOBIG);
	if ((r = kp_b64_decode(b64, blen, &blob, &bloblen, why, &off)) != 0)
		return r;
	/* The blob must name the type sshd named. */
	kp_buf_view(&w, blob, bloblen);
	if (kp_buf_get_string(&w, &s, &n) != 0 || n != tlen ||
	    memcmp(s, type, tlen) != 0) {
		free(blob);
		KP_FAIL(why, "certificate data is of another type than given",
		    KP_ERR_INVALID);
	}
	r = kp_cert_parse_blob(blob, bloblen, out, why);
	free(blob);
	return r;
}
