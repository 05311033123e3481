/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "keyauth-policy.h"
#include "keyauthctl.h"

/*
 * keyauthctl check [--strict] [POLICY]
 *
 * No ownership requirement: the security team checks the file in its git
 * checkout. Findings go to stdout (they are the answer); only a file that
 * cannot be read at all is reported on stderr, with exit code 3.
 */
int
cmd_check(struct ctl *c)
{
	const char *path = c->nargs > 0 ? c->args[0] : c->policy;
	struct kp_policy *p = NULL;
	struct kp_diag d, *w = NULL;
	size_t nw = 0, i, nkeys = 0;
	int r, rc;

	r = kp_policy_load(path, 0, &p, &d);
	if (r != 0) {
		if (r == KP_ERR_IO || r == KP_ERR_NOTFOUND ||
		    r == KP_ERR_NOMEM || r == KP_ERR_INTERNAL ||
		    r == KP_ERR_ARG) {
			ctl_print_diag(stderr, &d, path, "error", NULL);
			return CTL_SYSERR;
		}
		ctl_print_diag(stdout, &d, path, "error", NULL);
		printf("%s: invalid\n", path);
		return CTL_REFUSED;
	}
	if ((r = kp_policy_lint(p, c->now, &w, &nw)) != 0) {
		ctl_err("%s: lint failed: %s", path, kp_strerror(r));
		rc = CTL_SYSERR;
		goto out;
	}
	for (i = 0; i < nw; i++)
		ctl_print_diag(stdout, &w[i], path,
		    c->strict ? "error" : "warning",
		    c->strict ? " [--strict]" : NULL);
	if (c->strict && nw > 0) {
		printf("%s: invalid, %zu %s (--strict)\n", path, nw,
		    ctl_plural(nw, "warning", "warnings"));
		rc = CTL_REFUSED;
		goto out;
	}
	if (p->teams == NULL)
		printf("%s: valid, serial %llu, %zu %s, %zu revoked, %zu %s\n",
		    path, (unsigned long long)p->serial, p->nentries,
		    ctl_plural(p->nentries, "key", "keys"), p->nrevoked, nw,
		    ctl_plural(nw, "warning", "warnings"));
	else {
		/* Grants make one entry per (grant, key): count both. */
		if ((r = kp_policy_nkeys(p, &nkeys)) != 0) {
			ctl_err("%s: %s", path, kp_strerror(r));
			rc = CTL_SYSERR;
			goto out;
		}
		printf("%s: valid, serial %llu, %zu %s of %zu %s, %zu revoked, "
		       "%zu %s\n",
		    path, (unsigned long long)p->serial, p->nentries,
		    ctl_plural(p->nentries, "entry", "entries"), nkeys,
		    ctl_plural(nkeys, "key", "keys"), p->nrevoked, nw,
		    ctl_plural(nw, "warning", "warnings"));
	}
	rc = CTL_OK;
out:
	free(w);
	kp_policy_free(p);
	return rc;
}
