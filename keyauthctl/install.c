/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyauth-policy.h"
#include "keyauthctl.h"

/*
 * keyauthctl install [POLICY]: everything happens in kp_install(); this
 * only loads the file, reports and maps the outcome to an exit code.
 */
int
cmd_install(struct ctl *c)
{
	struct kp_install_opts o;
	struct kp_install_result res;
	struct passwd *pw;
	struct kp_policy *p = NULL;
	struct kp_diag d, *w = NULL;
	char *path = NULL, hostbuf[256], when[64];
	size_t nw = 0;
	int r, rc = CTL_SYSERR;

	/*
	 * It writes root's files and gives the index the helper's group:
	 * say so, rather than fail on a temporary file after the checks.
	 */
	if (geteuid() != 0) {
		ctl_err("install: needs root: it writes %s, %s and %s; nothing "
		        "changed",
		    c->index, c->krl, c->state);
		return CTL_SYSERR;
	}
	if (c->nargs > 0) {
		if ((path = ctl_abspath(c->args[0])) == NULL) {
			ctl_err("%s: cannot make an absolute path", c->args[0]);
			return CTL_SYSERR;
		}
	}
	/*
	 * The file root installs must be root's: otherwise whoever can
	 * write it between review and install chooses who logs in.
	 */
	r = kp_policy_load(
	    path != NULL ? path : c->policy, KP_LOAD_SAFE, &p, &d);
	if (r != 0) {
		ctl_print_diag(
		    stderr, &d, path != NULL ? path : c->policy, "error", NULL);
		if (r == KP_ERR_IO || r == KP_ERR_NOTFOUND ||
		    r == KP_ERR_NOMEM || r == KP_ERR_INTERNAL) {
			ctl_err("install: cannot read the policy; nothing "
			        "changed");
			rc = CTL_SYSERR;
		} else {
			ctl_err("install: policy refused; nothing changed");
			rc = CTL_REFUSED;
		}
		goto out;
	}

	memset(&o, 0, sizeof(o));
	o.index_path = c->index;
	o.krl_path = c->krl;
	o.state_path = c->state;
	o.keygen = SSH_KEYGEN_PATH;
	o.allow_uid = geteuid();
	o.now = c->now;
	/*
	 * The helper reads the index through its user's group. Without the
	 * user, only root reads it: sshd cannot run the helper as a user
	 * that does not exist anyway.
	 */
	if ((pw = getpwnam(c->helper_user)) != NULL)
		o.index_gid = pw->pw_gid;
	else
		ctl_err("warning: user %s does not exist: the index is "
		        "readable by root only (create the user, or give "
		        "--helper-user)",
		    c->helper_user);
	if ((o.host = ctl_hostname(c, hostbuf, sizeof(hostbuf))) == NULL)
		goto out;

	r = kp_install(p, &o, &res, &d);
	if (r != 0) {
		ctl_err(
		    "install: %s", d.msg[0] != '\0' ? d.msg : kp_strerror(r));
		if (r == KP_ERR_ROLLBACK || r == KP_ERR_CONFLICT ||
		    r == KP_ERR_INVALID) {
			ctl_err("install: nothing changed");
			rc = CTL_REFUSED;
		} else {
			rc = CTL_SYSERR;
		}
		goto out;
	}
	if (res.outcome == KP_INSTALL_UNCHANGED) {
		printf("serial %llu (sha256 %.16s) is already installed for "
		       "host %s; nothing to do\n",
		    (unsigned long long)p->serial, p->sha256, o.host);
		rc = CTL_OK;
		goto out;
	}
	printf("installed serial %llu (sha256 %.16s) for host %s%s\n",
	    (unsigned long long)p->serial, p->sha256, o.host,
	    res.repaired ? " (same policy; index rewritten)" : "");
	if (res.had_previous) {
		kp_time_format(res.previous.installed_at, when, sizeof(when));
		printf("previous: serial %llu (sha256 %.16s) for host %s, "
		       "installed %s\n",
		    (unsigned long long)res.previous.serial,
		    res.previous.sha256, res.previous.host, when);
	} else {
		printf("previous: none (first install)\n");
	}
	printf("index: %s: %llu %s, %llu %s for this host\n", o.index_path,
	    (unsigned long long)res.nentries,
	    ctl_plural(res.nentries, "entry", "entries"),
	    (unsigned long long)res.nkeys,
	    ctl_plural(res.nkeys, "key", "keys"));
	printf("krl: %s: %zu revoked %s\n", o.krl_path, res.nkrl,
	    ctl_plural(res.nkrl, "key", "keys"));
	printf("state: %s\n", o.state_path);
	/* Installed anyway; lint is advice, shown so it is not forgotten. */
	if (kp_policy_lint(p, c->now, &w, &nw) == 0 && nw > 0)
		printf("note: %zu lint %s (keyauthctl check shows them)\n", nw,
		    ctl_plural(nw, "warning", "warnings"));
	rc = CTL_OK;
out:
	free(w);
	kp_policy_free(p);
	free(path);
	return rc;
}
