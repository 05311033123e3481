/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests: the certificate parser (policy/core/cert.c). A certificate
 * made by ssh-keygen -s is read field by field; hand-built ones (the
 * builder below lays out PROTOCOL.certkeys) are refused for every way they
 * can be wrong: truncated anywhere, too many principals, unknown or
 * repeated critical options, options with nested data, a signature key
 * that is itself a certificate, trailing bytes.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyauth.h"
#include "../test.h"

/*
 * ssh-keygen -s ca -I fixture -n alice,ops -z 42 -V 20260101:20360101
 *     -O force-command="echo hi" -O source-address=10.0.0.0/8,192.0.2.1
 */
static const char fixture[] =
    "AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAIBlMVwF0"
    "ywTqDqTAhhYmIDBBTCcsFwEjamVRYu+wefiGAAAAICW5od6+rV/8UWVTjaeU"
    "xrFx7pAMqdzhvjNhtNAARBFIAAAAAAAAACoAAAABAAAAB2ZpeHR1cmUAAAAQ"
    "AAAABWFsaWNlAAAAA29wcwAAAABpVbkAAAAAAHwkXwAAAABOAAAADWZvcmNl"
    "LWNvbW1hbmQAAAALAAAAB2VjaG8gaGkAAAAOc291cmNlLWFkZHJlc3MAAAAY"
    "AAAAFDEwLjAuMC4wLzgsMTkyLjAuMi4xAAAAggAAABVwZXJtaXQtWDExLWZv"
    "cndhcmRpbmcAAAAAAAAAF3Blcm1pdC1hZ2VudC1mb3J3YXJkaW5nAAAAAAAA"
    "ABZwZXJtaXQtcG9ydC1mb3J3YXJkaW5nAAAAAAAAAApwZXJtaXQtcHR5AAAA"
    "AAAAAA5wZXJtaXQtdXNlci1yYwAAAAAAAAAAAAAAMwAAAAtzc2gtZWQyNTUx"
    "OQAAACBcGhZZY+hc99SkCIVABi89X1ZKbJG01lkEDnDX1+kB6AAAAFMAAAAL"
    "c3NoLWVkMjU1MTkAAABAu/Kb/W1ITSGCQhHAldDlEEHvNLXQ7gUkvC/B2SWP"
    "xfJ/otLuB61kyIgOSluqc/nS0PziijGnqGC2dC1+biJrAA==";
#define FIX_KEY_FP "SHA256:lLn6VtAsJ4+52SSTPtqMTKcGCebkuxAkcf4fvotxww8"
#define FIX_CA_FP "SHA256:FzMQubrCI9wBMc/qEc4XyLf9tYYz258eIisWiut7tr8"
#define CERT_TYPE "ssh-ed25519-cert-v01@openssh.com"

static void
test_fixture(void)
{
	struct kp_cert *c = NULL;
	const char *why = NULL;
	struct kp_cidr net;

	T_CASE("ssh-keygen certificate");
	CHECK_INT(kp_cert_parse(CERT_TYPE, fixture, &c, &why), 0);
	if (c == NULL)
		return;
	CHECK_STR(c->key->fp, FIX_KEY_FP);
	CHECK_STR(c->key->type, "ssh-ed25519");
	CHECK_STR(c->ca->fp, FIX_CA_FP);
	CHECK(c->serial == 42);
	CHECK_INT(c->type, KP_CERT_USER);
	CHECK_STR(c->key_id, "fixture");
	CHECK_INT(c->nprincipals, 2);
	CHECK_STR(c->principals[0], "alice");
	CHECK_STR(c->principals[1], "ops");
	CHECK(c->valid_before > c->valid_after);
	CHECK_STR(c->force_command, "echo hi");
	CHECK_INT(c->nsources, 2);
	CHECK_INT(kp_cidr_parse("10.0.0.0/8", &net, NULL), 0);
	CHECK(
	    c->nsources == 2 && memcmp(&c->sources[0], &net, sizeof(net)) == 0);
	CHECK_INT(c->nextensions, 5);
	kp_cert_free(c);
	/* The type sshd names must be the blob's own. */
	CHECK_INT(kp_cert_parse("ecdsa-sha2-nistp256-cert-v01@openssh.com",
	              fixture, &c, &why),
	    KP_ERR_INVALID);
	CHECK(c == NULL);
	CHECK_INT(
	    kp_cert_parse("ssh-ed25519", fixture, &c, &why), KP_ERR_INVALID);
	CHECK(kp_cert_type(CERT_TYPE));
	CHECK(!kp_cert_type("ssh-ed25519"));
}

/* ------------------------------------------------------------ builder */

struct spec {
	const char *type;
	uint64_t serial;
	uint32_t certtype;
	const char *key_id;
	size_t nprincipals;
	const char *principal; /* every principal, numbered when many */
	struct kp_buf crit, ext, reserved, sigkey;
	int no_signature;
	int trailing;
};

static void
put_str(struct kp_buf *b, const void *p, size_t n)
{
	kp_buf_put_string(b, p, n);
}

static void
put_buf(struct kp_buf *b, const struct kp_buf *v)
{
	put_str(b, kp_buf_ptr(v), kp_buf_len(v));
}

static void
ed25519_blob(struct kp_buf *b, uint8_t fill)
{
	uint8_t pk[32];

	memset(pk, fill, sizeof(pk));
	kp_buf_puts(b, "");
	put_str(b, "ssh-ed25519", 11);
	put_str(b, pk, sizeof(pk));
}

static void
spec_init(struct spec *s)
{
	memset(s, 0, sizeof(*s));
	s->type = CERT_TYPE;
	s->serial = 7;
	s->certtype = KP_CERT_USER;
	s->key_id = "built";
	s->nprincipals = 1;
	s->principal = "alice";
	kp_buf_init(&s->crit, 1 << 24);
	kp_buf_init(&s->ext, 1 << 24);
	kp_buf_init(&s->reserved, 1 << 24);
	kp_buf_init(&s->sigkey, 1 << 24);
	ed25519_blob(&s->sigkey, 0x22);
}

static void
spec_free(struct spec *s)
{
	kp_buf_free(&s->crit);
	kp_buf_free(&s->ext);
	kp_buf_free(&s->reserved);
	kp_buf_free(&s->sigkey);
}

static void
option(struct kp_buf *b, const char *name, const char *value)
{
	struct kp_buf d;

	kp_buf_init(&d, 1 << 20);
	kp_buf_puts(&d, "");
	if (value != NULL)
		put_str(&d, value, strlen(value));
	put_str(b, name, strlen(name));
	put_buf(b, &d);
	kp_buf_free(&d);
}

static void
build(const struct spec *s, struct kp_buf *out)
{
	struct kp_buf pr, sig;
	uint8_t nonce[32], pk[32];
	char name[300];
	size_t i;

	kp_buf_init(out, 1 << 26);
	kp_buf_init(&pr, 1 << 26);
	kp_buf_init(&sig, 4096);
	memset(nonce, 0x11, sizeof(nonce));
	memset(pk, 0x33, sizeof(pk));
	put_str(out, s->type, strlen(s->type));
	put_str(out, nonce, sizeof(nonce));
	put_str(out, pk, sizeof(pk));
	kp_buf_put_u64(out, s->serial);
	kp_buf_put_u32(out, s->certtype);
	put_str(out, s->key_id, strlen(s->key_id));
	for (i = 0; i < s->nprincipals; i++) {
		if (s->nprincipals == 1)
			snprintf(name, sizeof(name), "%s", s->principal);
		else
			snprintf(name, sizeof(name), "%s%zu", s->principal, i);
		put_str(&pr, name, strlen(name));
	}
	put_buf(out, &pr);
	kp_buf_put_u64(out, 1000);
	kp_buf_put_u64(out, UINT64_MAX);
	put_buf(out, &s->crit);
	put_buf(out, &s->ext);
	put_buf(out, &s->reserved);
	put_buf(out, &s->sigkey);
	if (!s->no_signature) {
		put_str(&sig, "ssh-ed25519", 11);
		put_str(&sig, nonce, sizeof(nonce));
		put_buf(out, &sig);
	}
	if (s->trailing)
		kp_buf_put_u8(out, 0);
	kp_buf_free(&pr);
	kp_buf_free(&sig);
}

/* Parse what s builds; the result code, the certificate freed. */
static int
parse_spec(const struct spec *s)
{
	struct kp_cert *c = NULL;
	const char *why = NULL;
	struct kp_buf b;
	int r;

	build(s, &b);
	r = kp_cert_parse_blob(kp_buf_ptr(&b), kp_buf_len(&b), &c, &why);
	CHECK(r == 0 ? c != NULL : c == NULL && why != NULL);
	kp_cert_free(c);
	kp_buf_free(&b);
	return r;
}

static void
test_built(void)
{
	struct kp_cert *c = NULL;
	const char *why = NULL;
	struct kp_buf b;
	struct spec s;
	size_t i;

	T_CASE("a built certificate");
	spec_init(&s);
	option(&s.ext, "permit-pty", NULL);
	build(&s, &b);
	CHECK_INT(
	    kp_cert_parse_blob(kp_buf_ptr(&b), kp_buf_len(&b), &c, &why), 0);
	if (c != NULL) {
		CHECK_STR(c->principals[0], "alice");
		CHECK_INT(c->nextensions, 1);
		CHECK(c->force_command == NULL && c->nsources == 0);
	}
	kp_cert_free(c);
	c = NULL;

	T_CASE("truncated at every byte");
	for (i = 0; i + 1 < kp_buf_len(&b); i++) {
		if (kp_cert_parse_blob(kp_buf_ptr(&b), i, &c, &why) == 0) {
			CHECK(!"a truncated certificate parsed");
			kp_cert_free(c);
			c = NULL;
			break;
		}
	}
	CHECK(c == NULL);
	kp_buf_free(&b);
	spec_free(&s);

	T_CASE("host certificate parses as one (the decision refuses it)");
	spec_init(&s);
	s.certtype = KP_CERT_HOST;
	CHECK_INT(parse_spec(&s), 0);
	s.certtype = 3;
	CHECK_INT(parse_spec(&s), KP_ERR_INVALID);
	spec_free(&s);

	T_CASE("principals: 256 parse, 257 and 10,000 do not");
	spec_init(&s);
	s.nprincipals = KP_CERT_MAX_PRINCIPALS;
	s.principal = "p";
	CHECK_INT(parse_spec(&s), 0);
	s.nprincipals = KP_CERT_MAX_PRINCIPALS + 1;
	CHECK_INT(parse_spec(&s), KP_ERR_TOOBIG);
	s.nprincipals = 10000;
	CHECK_INT(parse_spec(&s), KP_ERR_TOOBIG);
	spec_free(&s);

	T_CASE("a principal that is empty or overlong");
	spec_init(&s);
	s.principal = "";
	CHECK_INT(parse_spec(&s), KP_ERR_INVALID);
	{
		static char longname[KP_CERT_NAME_MAX + 2];

		memset(longname, 'a', sizeof(longname) - 1);
		s.principal = longname;
		CHECK_INT(parse_spec(&s), KP_ERR_INVALID);
	}
	spec_free(&s);

	T_CASE("critical options");
	spec_init(&s);
	option(&s.crit, "force-command", "ls");
	option(&s.crit, "source-address", "192.0.2.0/24");
	CHECK_INT(parse_spec(&s), 0);
	kp_buf_reset(&s.crit);
	option(&s.crit, "no-such-option", "");
	CHECK_INT(parse_spec(&s), KP_ERR_INVALID);
	kp_buf_reset(&s.crit);
	option(&s.crit, "source-address", "192.0.2.0/24");
	option(&s.crit, "force-command", "ls"); /* out of order */
	CHECK_INT(parse_spec(&s), KP_ERR_INVALID);
	kp_buf_reset(&s.crit);
	option(&s.crit, "force-command", "ls");
	option(&s.crit, "force-command", "ls"); /* twice */
	CHECK_INT(parse_spec(&s), KP_ERR_INVALID);
	kp_buf_reset(&s.crit);
	option(&s.crit, "source-address", "example.com");
	CHECK_INT(parse_spec(&s), KP_ERR_INVALID);
	kp_buf_reset(&s.crit);
	{
		/* force-command whose data holds a string and more */
		struct kp_buf d;

		kp_buf_init(&d, 4096);
		kp_buf_puts(&d, "");
		put_str(&d, "ls", 2);
		put_str(&d, "nested", 6);
		put_str(&s.crit, "force-command", 13);
		put_buf(&s.crit, &d);
		kp_buf_free(&d);
	}
	CHECK_INT(parse_spec(&s), KP_ERR_INVALID);
	kp_buf_reset(&s.crit);
	option(&s.crit, "verify-required", NULL);
	CHECK_INT(parse_spec(&s), 0);
	kp_buf_reset(&s.crit);
	for (i = 0; i < 100; i++) {
		char name[32];

		snprintf(name, sizeof(name), "ext%03zu", i);
		option(&s.ext, name, NULL);
	}
	CHECK_INT(parse_spec(&s), KP_ERR_TOOBIG);
	spec_free(&s);

	T_CASE("reserved, signature key, signature, trailing bytes");
	spec_init(&s);
	kp_buf_puts(&s.reserved, "x");
	CHECK_INT(parse_spec(&s), KP_ERR_INVALID);
	kp_buf_reset(&s.reserved);
	/* a signature key that is itself a certificate */
	{
		struct kp_buf inner;
		struct spec t;

		spec_init(&t);
		build(&t, &inner);
		kp_buf_reset(&s.sigkey);
		kp_buf_puts(&s.sigkey, "");
		kp_buf_put(&s.sigkey, kp_buf_ptr(&inner), kp_buf_len(&inner));
		kp_buf_free(&inner);
		spec_free(&t);
	}
	CHECK_INT(parse_spec(&s), KP_ERR_INVALID);
	kp_buf_reset(&s.sigkey);
	ed25519_blob(&s.sigkey, 0x22);
	s.no_signature = 1;
	CHECK_INT(parse_spec(&s), KP_ERR_INVALID);
	s.no_signature = 0;
	s.trailing = 1;
	CHECK_INT(parse_spec(&s), KP_ERR_INVALID);
	spec_free(&s);

	T_CASE("key fields of another type than the certificate's");
	spec_init(&s);
	s.type = "ssh-rsa-cert-v01@openssh.com"; /* key fields then misread */
	CHECK_INT(parse_spec(&s), KP_ERR_INVALID);
	spec_free(&s);
}

int
main(void)
{
	test_fixture();
	test_built();
	T_CASE(NULL);
	return t_done();
}
