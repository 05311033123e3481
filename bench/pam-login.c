/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * pam-login SERVICE USER acct|both [NAME=VALUE...]: one PAM conversation
 * of SERVICE (/etc/pam.d) for USER, as sshd has it after a publickey
 * login: the NAME=VALUE pairs (SSH_CONNECTION, SSH_AUTH_INFO_0) put into
 * the handle's environment, then pam_acct_mgmt and, with "both",
 * pam_open_session and pam_close_session. Exits 0 when every call
 * succeeded, 1 otherwise, 2 on usage errors.
 *
 * The point is the process the modules are loaded into: sshd links
 * libcrypto and has initialised it before PAM runs, so the dynamic loader
 * resolves each module's symbols with libcrypto in the global scope, and
 * the process has paid libcrypto's start-up already. pamtester links
 * libpam and libc only. This driver is linked with -lcrypto and calls
 * OPENSSL_init_crypto first, so bench/run.sh can time pam_keyauth the way
 * sshd's process meets it, beside the pamtester figure
 * (docs/performance.md, "PAM module").
 */

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <security/pam_appl.h>

/* pam_keyauth never converses; neither does pam_permit. */
static int
no_conv(int n, const struct pam_message **msg, struct pam_response **resp,
    void *arg)
{
	(void)n;
	(void)msg;
	(void)arg;
	*resp = NULL;
	return PAM_CONV_ERR;
}

int
main(int argc, char **argv)
{
	struct pam_conv conv = {no_conv, NULL};
	pam_handle_t *pamh = NULL;
	int both, i, r;

	if (argc < 4 ||
	    (strcmp(argv[3], "acct") != 0 && strcmp(argv[3], "both") != 0)) {
		fprintf(stderr,
		    "usage: pam-login SERVICE USER acct|both "
		    "[NAME=VALUE...]\n");
		return 2;
	}
	both = strcmp(argv[3], "both") == 0;
	/* What sshd has done long before PAM: load and initialise libcrypto. */
	if (OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL) != 1) {
		fprintf(stderr, "pam-login: OPENSSL_init_crypto failed\n");
		return 1;
	}
	if ((r = pam_start(argv[1], argv[2], &conv, &pamh)) != PAM_SUCCESS) {
		fprintf(stderr, "pam-login: pam_start: %d\n", r);
		return 1;
	}
	for (i = 4; i < argc; i++) {
		if ((r = pam_putenv(pamh, argv[i])) != PAM_SUCCESS)
			goto out;
	}
	if ((r = pam_acct_mgmt(pamh, 0)) != PAM_SUCCESS)
		goto out;
	if (both && (r = pam_open_session(pamh, 0)) == PAM_SUCCESS)
		r = pam_close_session(pamh, 0);
out:
	if (r != PAM_SUCCESS)
		fprintf(stderr, "pam-login: %s\n", pam_strerror(pamh, r));
	pam_end(pamh, r);
	return r == PAM_SUCCESS ? 0 : 1;
}
