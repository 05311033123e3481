/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * authorized_keys lines (kp_authkey_parse) and the emitter they must agree
 * with (kp_authkeys_line).
 *
 * Properties:
 *  - a refusal comes with a message and leaves the output empty;
 *  - for every line x that parses, emitting x again (the key, its sources,
 *    expiry, options and command, under an entry id) gives a line that
 *    parses back to exactly x (whose options kp_authkey_parse already
 *    wrote in the emitter's order), with "keyauth:ID" as its comment and
 *    nothing dropped; emitting that gives the same line again. The only
 *    line the emitter may refuse is one whose expiry falls outside the
 *    years its expiry-time="YYYYMMDDHHMMSSZ" can write; the only emitted
 *    line the parser may refuse is one longer than KP_AUTHKEY_PARSE_MAX
 *    (from="::a:a" comes back as "::0.10.0.10": a from list can double),
 *    and then as too long.
 *  - a cert-authority line (an authority for import, not a key the
 *    emitter writes) has principals only as such a line, each one
 *    non-empty, without space, '"' or ','.
 */

#include "fuzz.h"
#include "keyauth.h"

#define ID "fuzz-id"
/* expiry-time= has four digits for the year: 1970 to 9999 */
#define EXPIRY_MAX 253402300799LL

static void
same_line(const struct kp_authkey *x, const struct kp_authkey *y)
{
	size_t i;

	FZ_ASSERT(strcmp(x->key->type, y->key->type) == 0);
	FZ_ASSERT(strcmp(x->key->b64, y->key->b64) == 0);
	FZ_ASSERT(strcmp(x->key->fp, y->key->fp) == 0);
	FZ_ASSERT(x->nsources == y->nsources);
	for (i = 0; i < x->nsources; i++)
		FZ_ASSERT(memcmp(&x->sources[i], &y->sources[i],
		              sizeof(x->sources[i])) == 0);
	FZ_ASSERT(x->expires == y->expires);
	FZ_ASSERT(x->noptions == y->noptions);
	for (i = 0; i < x->noptions; i++)
		FZ_ASSERT(strcmp(x->options[i], y->options[i]) == 0);
	FZ_ASSERT((x->command == NULL) == (y->command == NULL));
	FZ_ASSERT(x->command == NULL || strcmp(x->command, y->command) == 0);
}

static char *
emit(const struct kp_authkey *k)
{
	char *l = NULL;
	int r;

	r = kp_authkeys_line(k->key->type, k->key->b64, ID, k->sources,
	    k->nsources, k->expires, (const char *const *)k->options,
	    k->noptions, k->command, &l);
	if (r != 0) {
		FZ_ASSERT(l == NULL);
		FZ_ASSERT(k->expires != KP_TIME_NONE_AFTER &&
		    (k->expires < 0 || k->expires > EXPIRY_MAX));
	}
	return l;
}

static void
round_trip(const struct kp_authkey *x)
{
	struct kp_authkey y;
	const char *why = NULL;
	char *l, *again;

	if ((l = emit(x)) == NULL)
		return;
	FZ_ASSERT(strchr(l, '\n') == NULL);
	if (strlen(l) > KP_AUTHKEY_PARSE_MAX) {
		FZ_ASSERT(kp_authkey_parse(l, &y, &why) == KP_ERR_TOOBIG);
		free(l);
		return;
	}
	if (kp_authkey_parse(l, &y, &why) != 0) {
		/* CI shows only the log's tail: say what was refused, and why */
		fprintf(stderr,
		    "emitted line refused (%s), %zu bytes: %.300s\n",
		    why != NULL ? why : "no reason", strlen(l), l);
		FZ_ASSERT(!"the emitted line parses again");
	}
	same_line(x, &y);
	FZ_ASSERT(y.key->comment != NULL &&
	    strcmp(y.key->comment, "keyauth:" ID) == 0);
	FZ_ASSERT(y.ndropped == 0);
	again = emit(&y);
	FZ_ASSERT(again != NULL && strcmp(again, l) == 0);
	free(again);
	kp_authkey_clear(&y);
	free(l);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_authkey x;
	const char *why = NULL;
	char *line;
	int r;

	if (size > 70 * 1024)
		return 0;
	line = fz_cstr(data, size);
	memset(&x, 0xa5, sizeof(x));
	r = kp_authkey_parse(line, &x, &why);
	if (r == 0 && x.cert_authority) {
		size_t i;

		FZ_ASSERT(x.key != NULL);
		for (i = 0; i < x.nprincipals; i++)
			FZ_ASSERT(x.principals[i][0] != '\0' &&
			    strpbrk(x.principals[i], " \",") == NULL);
		kp_authkey_clear(&x);
	} else if (r == 0) {
		FZ_ASSERT(x.key != NULL && x.nprincipals == 0);
		round_trip(&x);
		kp_authkey_clear(&x);
	} else {
		FZ_ASSERT(r < 0 && x.key == NULL && x.noptions == 0);
		FZ_ASSERT(r == KP_ERR_NOMEM || (why != NULL && *why != '\0'));
	}
	free(line);
	return 0;
}
