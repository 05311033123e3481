/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * Public key lines (kp_pubkey_parse_line, kp_pubkey_parse_parts, and
 * kp_pubkey_parse_line_in, the one-piece key the policy loader keeps).
 *
 * Properties, for every line that parses:
 *  - the fingerprint is SHA-256 of the decoded blob, in ssh-keygen's form;
 *  - the canonical "type base64" parses again (whole line and parts) to
 *    the same type, blob and fingerprint, and the base64 is the only
 *    spelling of the blob (re-encoding gives the same text);
 *  - the authorized_keys line built from it is one line that starts with
 *    the type and the base64 and ends with the entry id.
 * What keyauthctl then checks of the numbers (kp_pubkey_check) accepts or
 * refuses with a message, never anything else.
 * A refusal comes with a message and an offset inside the line.
 * The one-piece key is the same key, or the same refusal (message and
 * offset), as the malloc'd one: the loader takes its keys that way.
 */

#include "fuzz.h"
#include "keyauth-policy.h"
#include "kp-internal.h"

/* b is a one-piece key (blob NULL) when in_piece. */
static void
same_key_in(const struct kp_pubkey *a, const struct kp_pubkey *b, int in_piece)
{
	FZ_ASSERT(strcmp(a->type, b->type) == 0);
	FZ_ASSERT(strcmp(a->b64, b->b64) == 0);
	if (in_piece) {
		FZ_ASSERT(b->blob == NULL && b->bloblen == 0);
	} else {
		FZ_ASSERT(a->bloblen == b->bloblen);
		FZ_ASSERT(memcmp(a->blob, b->blob, a->bloblen) == 0);
	}
	FZ_ASSERT(strcmp(a->fp, b->fp) == 0);
	FZ_ASSERT(a->bits == b->bits);
}

static void
same_key(const struct kp_pubkey *a, const struct kp_pubkey *b)
{
	same_key_in(a, b, 0);
}

/* The one piece kp_pubkey_parse_line_in asks for, freed by the caller. */
static void *
one_piece(void *arg, size_t n)
{
	void **piece = arg;

	FZ_ASSERT(*piece == NULL);
	return *piece = malloc(n);
}

/*
 * kp_pubkey_parse_line_in with check says what the malloc'd parse (with
 * kp_pubkey_check when check is set) said (r, k, why, col).
 */
static void
same_in_piece(const char *line, kp_keycheck_fn check, int r,
    const struct kp_pubkey *k, const char *why, size_t col)
{
	struct kp_pubkey *k2 = (struct kp_pubkey *)1;
	const char *why2 = NULL;
	size_t col2 = (size_t)-1;
	void *piece = NULL;
	int r2;

	r2 = kp_pubkey_parse_line_in(
	    line, one_piece, &piece, check, &k2, &why2, &col2);
	if (r2 == KP_ERR_NOMEM || r == KP_ERR_NOMEM) {
		free(piece);
		return;
	}
	FZ_ASSERT(r2 == r);
	if (r == 0 && k != NULL) {
		FZ_ASSERT(k2 == piece);
		same_key_in(k, k2, 1);
		FZ_ASSERT((k->comment == NULL) == (k2->comment == NULL));
		FZ_ASSERT(
		    k->comment == NULL || strcmp(k->comment, k2->comment) == 0);
	} else {
		FZ_ASSERT(k2 == NULL);
		FZ_ASSERT(why2 != NULL && strcmp(why, why2) == 0);
		FZ_ASSERT(col2 == col);
	}
	free(piece);
}

static void
check_key(const char *line, const struct kp_pubkey *k)
{
	struct kp_pubkey *again = NULL;
	char fp[KP_FP_LEN], *canon, *ak = NULL;
	const char *why = NULL;
	size_t col = 0, n;
	int r;

	FZ_ASSERT(k->type != NULL && k->b64 != NULL && k->blob != NULL);
	FZ_ASSERT(kp_fingerprint(k->blob, k->bloblen, fp) == 0);
	FZ_ASSERT(strcmp(fp, k->fp) == 0);
	FZ_ASSERT(kp_fingerprint_valid(k->fp));
	why = NULL;
	r = kp_pubkey_check(k, &why);
	FZ_ASSERT(r == 0 || r == KP_ERR_NOMEM ||
	    (r == KP_ERR_INVALID && why != NULL && *why != '\0'));
	FZ_ASSERT(strstr(line, k->type) != NULL);
	FZ_ASSERT(strstr(line, k->b64) != NULL);
	if (k->comment != NULL) {
		FZ_ASSERT(strchr(k->comment, '\n') == NULL);
		FZ_ASSERT(strstr(line, k->comment) != NULL);
	}

	n = strlen(k->type) + strlen(k->b64) + 2;
	if ((canon = malloc(n)) == NULL)
		abort();
	snprintf(canon, n, "%s %s", k->type, k->b64);
	FZ_ASSERT(kp_pubkey_parse_line(canon, &again, &why, &col) == 0);
	same_key(k, again);
	FZ_ASSERT(again->comment == NULL);
	kp_pubkey_free(again);
	again = NULL;
	FZ_ASSERT(kp_pubkey_parse_parts(k->type, k->b64, &again, &why) == 0);
	same_key(k, again);
	kp_pubkey_free(again);

	FZ_ASSERT(kp_authkeys_line(k->type, k->b64, "fuzz-id", NULL, 0,
	              KP_TIME_NONE_AFTER, NULL, 0, NULL, &ak) == 0);
	FZ_ASSERT(strchr(ak, '\n') == NULL);
	FZ_ASSERT(strncmp(ak, canon, strlen(canon)) == 0);
	FZ_ASSERT(strcmp(ak + strlen(canon), " keyauth:fuzz-id") == 0);
	free(ak);
	free(canon);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_pubkey *k = (struct kp_pubkey *)1;
	const char *why = NULL;
	size_t col = (size_t)-1;
	char *line, *sp;
	int r;

	if (size > KP_KEYLINE_MAX + 16)
		return 0;
	line = fz_cstr(data, size);
	r = kp_pubkey_parse_line(line, &k, &why, &col);
	/* kp_pubkey_parse_line set k to NULL unless r == 0 */
	FZ_ASSERT((r == 0) == (k != NULL));
	same_in_piece(line, NULL, r, k, why, col);
	if (r == 0) {
		check_key(line, k);
		kp_pubkey_free(k);
		/* The loader's way: checked while the blob is there. */
		k = NULL;
		why = NULL;
		col = (size_t)-1;
		r = kp_pubkey_parse_line_checked(line, &k, &why, &col);
		same_in_piece(line, kp_pubkey_check, r, k, why, col);
		kp_pubkey_free(k);
	} else {
		FZ_ASSERT(r < 0 && k == NULL);
		FZ_ASSERT(why != NULL && *why != '\0');
		FZ_ASSERT(col <= strlen(line));
	}
	/* the parts path as sshd's %t %k reach the helper */
	if ((sp = strchr(line, ' ')) != NULL) {
		*sp = '\0';
		k = NULL;
		why = NULL;
		r = kp_pubkey_parse_parts(line, sp + 1, &k, &why);
		if (r == 0) {
			FZ_ASSERT(strcmp(k->type, line) == 0);
			kp_pubkey_free(k);
		} else {
			FZ_ASSERT(k == NULL && why != NULL);
		}
	}
	free(line);
	return 0;
}
