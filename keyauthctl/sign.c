/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyauth-policy.h"
#include "keyauthctl.h"

/*
 * keyauthctl sign POLICY -k KEY [-I IDENTITY]: a detached signature of
 * the policy made by ssh-keygen -Y sign (kp_policy_sign), written to
 * POLICY.sig or POLICY.IDENTITY.sig. KEY is a private key file, or the
 * public key of one held by ssh-agent or a FIDO token; ssh-keygen gets
 * what it needs for them from this environment and nothing else.
 */

/* The variables ssh-keygen may need for an agent, askpass or a token. */
static const char *const passed[] = {"SSH_AUTH_SOCK", "SSH_ASKPASS",
    "SSH_ASKPASS_REQUIRE", "DISPLAY", "SSH_SK_PROVIDER", "HOME"};

int
cmd_sign(struct ctl *c)
{
	struct kp_sign_opts o;
	struct kp_sign_result res;
	struct kp_diag d;
	char *path = NULL, *key = NULL, *envp[16];
	char env_path[] = "PATH=/usr/bin:/bin";
	const char *v, *tmp;
	size_t i, n = 0;
	int r, rc = CTL_SYSERR;

	memset(&res, 0, sizeof(res));
	if (c->key == NULL) {
		ctl_usage_err("sign: -k KEY is required");
		return CTL_USAGE;
	}
	if ((path = ctl_abspath(c->args[0])) == NULL ||
	    (key = ctl_abspath(c->key)) == NULL) {
		ctl_err("sign: cannot make an absolute path");
		goto out;
	}
	envp[n++] = env_path;
	for (i = 0; i < sizeof(passed) / sizeof(passed[0]); i++) {
		if ((v = getenv(passed[i])) == NULL)
			continue;
		if (asprintf(&envp[n], "%s=%s", passed[i], v) < 0) {
			ctl_err("sign: out of memory");
			goto out;
		}
		n++;
	}
	envp[n] = NULL;
	tmp = getenv("TMPDIR");
	memset(&o, 0, sizeof(o));
	o.keygen = SSH_KEYGEN_PATH;
	o.envp = envp;
	o.policy_path = path;
	o.key = key;
	o.identity = c->identity;
	o.tmpdir = tmp != NULL && tmp[0] == '/' ? tmp : "/tmp";
	if ((r = kp_policy_sign(&o, &res, &d)) != 0) {
		if (d.line != 0)
			ctl_print_diag(stderr, &d, path, "error", NULL);
		else
			ctl_err("sign: %s",
			    d.msg[0] != '\0' ? d.msg : kp_strerror(r));
		ctl_err("sign: nothing signed");
		rc = r == KP_ERR_INVALID ? CTL_REFUSED : CTL_SYSERR;
		goto out;
	}
	printf("signed serial %llu (sha256 %.16s) with key %s in namespace "
	       "%s\n",
	    (unsigned long long)res.serial, res.sha256, res.fp,
	    KP_SIG_NAMESPACE);
	printf("signature: %s\n", res.sig_path);
	rc = CTL_OK;
out:
	for (i = 1; i < n; i++)
		free(envp[i]);
	free(res.sig_path);
	free(path);
	free(key);
	return rc;
}
