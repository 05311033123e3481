/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * OpenSSH certificates (kp_cert_parse_blob, kp_cert_parse): the input is
 * a certificate's wire blob, as %k carries it base64-encoded.
 *
 * Properties, for every blob that parses:
 *  - the certified key and the CA are plain keys with valid fingerprints,
 *    and the CA is no certificate;
 *  - principals, key id and options stay within their bounds, without
 *    NUL, and the source-address networks are valid;
 *  - the base64 of the blob, with the type it names, parses to the same
 *    certificate (the path sshd's %t %k take).
 * A refusal comes with a message and leaves no certificate.
 */

#include "fuzz.h"
#include "keyauth.h"
#include "kp-internal.h"

static void
check_cert(const uint8_t *data, size_t size, const struct kp_cert *c)
{
	struct kp_cert *again = NULL;
	const char *why = NULL;
	char *b64, type[128];
	size_t i, n;

	FZ_ASSERT(c->key != NULL && c->ca != NULL && c->key_id != NULL);
	FZ_ASSERT(kp_fingerprint_valid(c->key->fp));
	FZ_ASSERT(kp_fingerprint_valid(c->ca->fp));
	FZ_ASSERT(!kp_cert_type(c->ca->type) && !kp_cert_type(c->key->type));
	FZ_ASSERT(c->type == KP_CERT_USER || c->type == KP_CERT_HOST);
	FZ_ASSERT(strlen(c->key_id) <= KP_CERT_KEY_ID_MAX);
	FZ_ASSERT(c->nprincipals <= KP_CERT_MAX_PRINCIPALS);
	for (i = 0; i < c->nprincipals; i++) {
		n = strlen(c->principals[i]);
		FZ_ASSERT(n > 0 && n <= KP_CERT_NAME_MAX);
	}
	FZ_ASSERT(c->nsources <= KP_CERT_MAX_SOURCES);
	for (i = 0; i < c->nsources; i++)
		FZ_ASSERT(
		    c->sources[i].family == 4 || c->sources[i].family == 6);
	FZ_ASSERT(c->nextensions <= KP_CERT_MAX_OPTIONS);

	/* The type string leads the blob. */
	n = (size_t)data[0] << 24 | (size_t)data[1] << 16 |
	    (size_t)data[2] << 8 | data[3];
	FZ_ASSERT(n < sizeof(type) && 4 + n <= size);
	memcpy(type, data + 4, n);
	type[n] = '\0';
	FZ_ASSERT(kp_cert_type(type));
	n = kp_b64_enclen(size, 1) + 1;
	if ((b64 = malloc(n)) == NULL)
		abort();
	FZ_ASSERT(kp_b64_encode(data, size, 1, b64, n) == 0);
	FZ_ASSERT(kp_cert_parse(type, b64, &again, &why) == 0);
	FZ_ASSERT(again->serial == c->serial && again->type == c->type);
	FZ_ASSERT(strcmp(again->key->fp, c->key->fp) == 0);
	FZ_ASSERT(strcmp(again->ca->fp, c->ca->fp) == 0);
	FZ_ASSERT(strcmp(again->key_id, c->key_id) == 0);
	FZ_ASSERT(again->nprincipals == c->nprincipals);
	kp_cert_free(again);
	free(b64);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_cert *c = (struct kp_cert *)1;
	const char *why = NULL;
	int r;

	if (size > KP_KEYLINE_MAX + 16)
		return 0;
	r = kp_cert_parse_blob(data, size, &c, &why);
	if (r == 0) {
		check_cert(data, size, c);
		kp_cert_free(c);
	} else {
		FZ_ASSERT(r < 0 && c == NULL);
		FZ_ASSERT(r == KP_ERR_NOMEM || (why != NULL && *why != '\0'));
	}
	return 0;
}
