/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * The SSH_AUTH_INFO_0 parser (kp_authinfo_parse), fed whatever an
 * environment variable can hold.
 *
 * Properties: every key handed to the callback is a non-empty type and a
 * non-empty base64 with no space or line break; both lie inside the input;
 * the callback's return value stops the walk and is returned unchanged;
 * then each key goes through kp_pubkey_parse_parts as the PAM module does.
 */

#include "fuzz.h"
#include "keyauth.h"

struct seen {
	const char *in;
	size_t calls;
	size_t stop_at; /* return 7 on this call (0: never) */
};

static int
cb(void *arg, const char *type, const char *b64)
{
	struct seen *s = arg;
	struct kp_pubkey *k = NULL;
	const char *why = NULL;

	s->calls++;
	FZ_ASSERT(type != NULL && b64 != NULL);
	FZ_ASSERT(*type != '\0' && *b64 != '\0');
	FZ_ASSERT(strpbrk(type, " \n\r\t") == NULL);
	FZ_ASSERT(strpbrk(b64, " \n\r\t") == NULL);
	FZ_ASSERT(strstr(s->in, type) != NULL && strstr(s->in, b64) != NULL);
	if (kp_pubkey_parse_parts(type, b64, &k, &why) == 0) {
		FZ_ASSERT(strcmp(k->type, type) == 0);
		kp_pubkey_free(k);
	} else {
		FZ_ASSERT(k == NULL);
	}
	return s->calls == s->stop_at ? 7 : 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen s;
	size_t all;
	char *in;
	int r;

	if (size > 80 * 1024)
		return 0;
	in = fz_cstr(data, size);
	memset(&s, 0, sizeof(s));
	s.in = in;
	r = kp_authinfo_parse(in, cb, &s);
	FZ_ASSERT(r == 0 || r == KP_ERR_INVALID || r == KP_ERR_TOOBIG ||
	    r == KP_ERR_NOMEM);
	all = s.calls;
	if (r == 0 && all > 0) {
		/* stopping at the last key returns the callback's value */
		memset(&s, 0, sizeof(s));
		s.in = in;
		s.stop_at = all;
		FZ_ASSERT(kp_authinfo_parse(in, cb, &s) == 7);
		FZ_ASSERT(s.calls == all);
	}
	free(in);
	return 0;
}
