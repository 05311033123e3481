/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyauth-policy.h"
#include "keyauthctl.h"

/*
 * keyauthctl check [--strict] [--all] [POLICY]
 *
 * No ownership requirement: the security team checks the file in its git
 * checkout. Findings go to stdout (they are the answer); only a file that
 * cannot be read at all is reported on stderr, with exit code 3. Counts
 * are exact; a kind with more than CTL_LINT_KEEP findings is one line
 * unless --all.
 */
int
cmd_check(struct ctl *c)
{
	const char *path = c->nargs > 0 ? c->args[0] : c->policy;
	struct kp_policy *p = NULL;
	struct kp_diag d;
	struct kp_lint l;
	size_t nw, nkeys = 0;
	int r, rc;

	memset(&l, 0, sizeof(l));

	r = kp_policy_load(path, 0, &p, &d);
	if (r != 0) {
		if (ctl_load_rc(r) == CTL_SYSERR) {
			ctl_print_diag(stderr, &d, path, "error", NULL);
			return CTL_SYSERR;
		}
		ctl_print_diag(stdout, &d, path, "error", NULL);
		printf("%s: invalid\n", path);
		return CTL_REFUSED;
	}
	if ((r = kp_policy_lint(p, c->now, c->all ? 0 : CTL_LINT_KEEP, &l)) !=
	    0) {
		ctl_err("%s: lint failed: %s", path, kp_strerror(r));
		rc = CTL_SYSERR;
		goto out;
	}
	nw = l.total;
	ctl_print_lint(stdout, &l, path, c->strict ? "error" : "warning",
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
	kp_lint_free(&l);
	kp_policy_free(p);
	return rc;
}
