/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "keyauth-policy.h"
#include "keyauth-admin.h"
#include "keyauthctl.h"

/*
 * keyauthctl convert POLICY
 *
 * A version 1 policy (file or directory) rewritten as version 2 on
 * stdout: people from owners, one grant per distinct set of
 * restrictions (docs/keyauthctl-convert.md). The index compiled from the
 * output is the original's.
 */
int
cmd_convert(struct ctl *c)
{
	const char *path = c->args[0];
	struct kp_policy *p = NULL;
	struct kp_diag d;
	char *out = NULL;
	size_t nmerged = 0;
	int r, rc = CTL_SYSERR;

	if ((r = kp_policy_load(path, 0, &p, &d)) != 0) {
		ctl_print_diag(stderr, &d, path, "error", NULL);
		return ctl_load_rc(r);
	}
	if ((r = kp_convert_v2(p, &out, &nmerged)) == KP_ERR_INVALID) {
		ctl_err("convert: %s already has people, grants or authorities "
		        "(version 2); nothing to convert",
		    path);
		rc = CTL_REFUSED;
		goto out;
	}
	if (r != 0) {
		ctl_err("convert: %s", kp_strerror(r));
		goto out;
	}
	fputs(out, stdout);
	if (nmerged > 0)
		fprintf(stderr,
		    "keyauthctl: convert: note: %zu entries name a key that "
		    "another entry names under another id; version 2 gives a "
		    "key one id, the first (their access is unchanged)\n",
		    nmerged);
	rc = CTL_OK;
out:
	free(out);
	kp_policy_free(p);
	return rc;
}
