/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/* SSH_AUTH_INFO_0 parsing, with the lines sshd actually writes. */

#include <string.h>

#include "keyauth.h"
#include "../test.h"

#define K1 \
	"AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
#define K2 \
	"AAAAC3NzaC1lZDI1NTE5AAAAIBmF7ke0VTpKPs2lRbBEV9z7ZKWHVYHVkeJ4hIGCgdW7"

struct seen {
	int n;
	char got[8][512];
	int stop_at; /* return 42 on this call (1-based); 0: never */
};

static int
cb(void *arg, const char *type, const char *b64)
{
	struct seen *s = arg;

	if (s->n < 8)
		snprintf(s->got[s->n], sizeof(s->got[0]), "%s|%s", type, b64);
	s->n++;
	return s->stop_at == s->n ? 42 : 0;
}

static int
run(const char *info, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	return kp_authinfo_parse(info, cb, s);
}

static void
check_bad(const char *info, int lineno)
{
	struct seen s;
	int r = run(info, &s);

	if (!t_ok(r == KP_ERR_INVALID, __FILE__, lineno,
	        "BAD: parse(\"%s\") fails", info))
		t_diag("parse(\"%s\") == %d, expected %d", info, r,
		    KP_ERR_INVALID);
}
#define BAD(s) check_bad(s, __LINE__)

int
main(void)
{
	struct seen s;
	static char big[70 * 1024];
	size_t i;

	/* the account stage of a single publickey login */
	CHECK_INT(run("", &s), 0);
	CHECK_INT(s.n, 0);

	CHECK_INT(run("publickey ssh-ed25519 " K1 "\n", &s), 0);
	CHECK_INT(s.n, 1);
	CHECK_STR(s.got[0], "ssh-ed25519|" K1);
	CHECK_INT(run("publickey ssh-ed25519 " K1, &s), 0);
	CHECK_INT(s.n, 1);

	/* AuthenticationMethods publickey,publickey */
	CHECK_INT(
	    run("publickey ssh-ed25519 " K1 "\npublickey ssh-ed25519 " K2 "\n",
	        &s),
	    0);
	CHECK_INT(s.n, 2);
	CHECK_STR(s.got[0], "ssh-ed25519|" K1);
	CHECK_STR(s.got[1], "ssh-ed25519|" K2);

	/* other methods are skipped, hostbased keys included */
	CHECK_INT(run("password\nkeyboard-interactive/pam\n"
	              "hostbased ssh-ed25519 " K2 "\n"
	              "gssapi-with-mic alice@EXAMPLE.COM\n"
	              "publickey ecdsa-sha2-nistp256 " K1 "\n",
	              &s),
	    0);
	CHECK_INT(s.n, 1);
	CHECK_STR(s.got[0], "ecdsa-sha2-nistp256|" K1);
	CHECK_INT(run("password\n", &s), 0);
	CHECK_INT(s.n, 0);

	/* method info after the key (FIDO keys), certificates */
	CHECK_INT(run("publickey sk-ssh-ed25519@openssh.com " K1
	              " signature count = 7\n",
	              &s),
	    0);
	CHECK_INT(s.n, 1);
	CHECK_STR(s.got[0], "sk-ssh-ed25519@openssh.com|" K1);
	CHECK_INT(
	    run("publickey ssh-ed25519-cert-v01@openssh.com " K1 "\n", &s), 0);
	CHECK_STR(s.got[0], "ssh-ed25519-cert-v01@openssh.com|" K1);
	CHECK_INT(run("publickey ssh-rsa AAAA+/9=\n", &s), 0);
	CHECK_STR(s.got[0], "ssh-rsa|AAAA+/9=");

	/* the callback's verdict stops the walk */
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	CHECK_INT(kp_authinfo_parse("publickey ssh-ed25519 " K1
	                            "\npublickey ssh-ed25519 " K2 "\n",
	              cb, &s),
	    42);
	CHECK_INT(s.n, 1);

	/* malformed */
	BAD("publickey\n");
	BAD("publickey");
	BAD("publickey \n");
	BAD("publickey ssh-ed25519\n");
	BAD("publickey ssh-ed25519 \n");
	BAD("publickey  ssh-ed25519 " K1 "\n");
	BAD("publickey ssh-ed25519  " K1 "\n");
	BAD("publickey ssh-ed25519 " K1 " \n");
	BAD("publickey ssh-ed25519 AAA!A\n");
	BAD("publickey ssh-ed25519 " K1 "\r\n");
	BAD("publickey ssh-ed25519 " K1 "\tx\n");
	BAD("publickey ssh-ed25519 " K1 " info\x01\n");
	BAD("publickey ssh/ed25519 " K1 "\n");
	BAD("publickey/x ssh-ed25519 " K1 "\n");
	BAD("publickeyx ssh-ed25519 " K1 "\n");
	BAD("\n");
	BAD("password\n\npublickey ssh-ed25519 " K1 "\n");
	BAD(" publickey ssh-ed25519 " K1 "\n");
	BAD("publickey ssh-ed25519 " K1 "\npublickey\n");
	/* a bad line after a good one: the result is still an error */
	CHECK_INT(run("publickey ssh-ed25519 " K1 "\npublickey x\n", &s),
	    KP_ERR_INVALID);

	/* bounds */
	memset(big, 'A', sizeof(big) - 1);
	memcpy(big, "publickey ssh-ed25519 ", 22);
	big[sizeof(big) - 1] = '\0';
	CHECK_INT(run(big, &s), KP_ERR_TOOBIG);
	CHECK_INT(s.n, 0);
	big[0] = '\0';
	for (i = 0; i < 65; i++)
		strcat(big, "password\n");
	CHECK_INT(run(big, &s), KP_ERR_TOOBIG);
	big[0] = '\0';
	for (i = 0; i < 64; i++)
		strcat(big, "password\n");
	CHECK_INT(run(big, &s), 0);
	CHECK_INT(kp_authinfo_parse(NULL, cb, &s), KP_ERR_ARG);
	CHECK_INT(kp_authinfo_parse("", NULL, &s), KP_ERR_ARG);
	return t_done();
}
