/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "keyauth-policy.h"
#include "keyauthctl.h"

/*
 * keyauthctl install [--allow-removal] [POLICY]: everything happens in
 * kp_install_file(); this loads keyauth.conf, reports, logs the one
 * event=install record and maps the outcome to an exit code (0 installed
 * or unchanged, 1 refused, 3 a system or configuration error).
 */

int
ctl_conf(struct ctl *c, struct kp_conf *conf, const char *cmd)
{
	struct kp_diag d;
	int r;

	if ((r = kp_conf_load(c->config, geteuid(), conf, &d)) == 0)
		return 0;
	ctl_print_diag(stderr, &d, c->config, "error", NULL);
	ctl_err("%s: %s is not usable; nothing changed", cmd, c->config);
	return r;
}

void
ctl_log_install(
    const struct kp_install_result *res, const char *host, const char *error)
{
	struct kp_audit a;
	char line[2048];

	kp_install_audit(res, host, error, &a);
	if (kp_audit_format(&a, line, sizeof(line)) != 0)
		return;
	/* The library never logs; the front end does, as the helper does. */
	openlog("keyauthctl", LOG_PID, LOG_AUTHPRIV);
	syslog(kp_audit_priority(&a), "%s", line);
	closelog();
}

static const char *
sig_status_word(enum kp_sig_status s)
{
	switch (s) {
	case KP_SIG_COUNTED:
		return "counted";
	case KP_SIG_DUPLICATE:
		return "not counted (same key)";
	default:
		return "not counted";
	}
}

/* Each signature file: which key, whose, counted or why not. */
static void
print_signatures(const struct kp_install_result *res, FILE *f)
{
	const struct kp_sig_result *s;
	size_t i;

	for (i = 0; i < res->sigs.nsig; i++) {
		s = &res->sigs.sig[i];
		if (s->status == KP_SIG_COUNTED)
			fprintf(f, "signature: %s: %s (%s) %s\n", s->file,
			    s->principal, s->fp, sig_status_word(s->status));
		else
			fprintf(f, "signature: %s: %s: %s\n", s->file,
			    sig_status_word(s->status), s->why);
	}
}

/* The message of a failed install, as one line with the reason code. */
static void
print_failure(const struct kp_install_result *res, const struct kp_diag *d,
    const char *path, const char *cmd)
{
	if (d->line != 0) {
		/* A located error (the loader): FILE:LINE:COL: as check does. */
		ctl_print_diag(stderr, d, path, "error", NULL);
		ctl_err("%s: policy refused (%s); nothing changed", cmd,
		    kp_install_reason_str(res->reason));
		return;
	}
	ctl_err("%s: %s (%s)", cmd, d->msg[0] != '\0' ? d->msg : "failed",
	    kp_install_reason_str(res->reason));
	ctl_err("%s: nothing changed", cmd);
}

int
ctl_install_file(struct ctl *c, const char *path, const struct kp_conf *conf,
    const char *cmd)
{
	struct kp_install_opts o;
	struct kp_install_result res;
	struct passwd *pw;
	struct kp_diag d;
	char hostbuf[256], when[64], err[KP_DIAG_MSG_MAX + 300];
	size_t i;
	int r, rc = CTL_SYSERR;

	memset(&res, 0, sizeof(res));
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
	o.conf = conf;
	o.allow_removal = c->allow_removal;
	if ((o.host = ctl_hostname(c, hostbuf, sizeof(hostbuf))) == NULL)
		return CTL_SYSERR;

	r = kp_install_file(path, &o, &res, &d);
	if (d.line != 0)
		snprintf(err, sizeof(err), "%s:%u:%u: %s", path, d.line,
		    d.column, d.msg);
	else
		snprintf(err, sizeof(err), "%s", d.msg);
	ctl_log_install(&res, o.host, err);
	if (r != 0) {
		if (c->allow_removal || res.reason != KP_IR_MASS_REMOVAL)
			print_signatures(&res, stderr);
		print_failure(&res, &d, path, cmd);
		rc = res.verdict == KP_VERDICT_REFUSED ? CTL_REFUSED
		                                       : CTL_SYSERR;
		goto out;
	}
	if (res.outcome == KP_INSTALL_UNCHANGED) {
		printf("serial %llu (sha256 %.16s) is already installed for "
		       "host %s; nothing to do\n",
		    (unsigned long long)res.serial, res.sha256, o.host);
		rc = CTL_OK;
		goto out;
	}
	printf("installed serial %llu (sha256 %.16s) for host %s%s\n",
	    (unsigned long long)res.serial, res.sha256, o.host,
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
	if (res.signed_checked) {
		printf("signatures: %zu of %u required, by %s\n",
		    res.sigs.ncounted, conf->signatures, res.sigs.signers);
		print_signatures(&res, stdout);
	}
	if (res.removal_checked && res.removal.removed > 0)
		printf("removed: %llu of %llu (account, key) grants of this "
		       "host%s\n",
		    (unsigned long long)res.removal.removed,
		    (unsigned long long)res.removal.before,
		    c->allow_removal ? " (--allow-removal)" : "");
	printf("index: %s: %llu %s, %llu %s for this host\n", o.index_path,
	    (unsigned long long)res.nentries,
	    ctl_plural(res.nentries, "entry", "entries"),
	    (unsigned long long)res.nkeys,
	    ctl_plural(res.nkeys, "key", "keys"));
	printf("krl: %s: %zu revoked %s\n", o.krl_path, res.nkrl,
	    ctl_plural(res.nkrl, "key", "keys"));
	if (res.nkrl_unnamed > 0)
		ctl_err(
		    "warning: %zu certificate %s (serial:/key_id:) not in "
		    "the KRL, the first of CA %s: the policy has no key for "
		    "that CA (ssh-keygen -k -s needs it), so sshd cannot "
		    "refuse those certificates; keyauth refuses them itself. "
		    "Give ca: as the CA's key line, or list the CA under "
		    "authorities:",
		    res.nkrl_unnamed,
		    ctl_plural(res.nkrl_unnamed, "revocation", "revocations"),
		    res.krl_unnamed_ca);
	printf("state: %s\n", o.state_path);
	for (i = 0; i < res.nwarnings; i++)
		ctl_err("warning: %s", res.warnings[i]);
	/* Installed anyway; lint is advice, shown so it is not forgotten. */
	if (res.nlint > 0)
		printf("note: %zu lint %s (keyauthctl check shows them)\n",
		    res.nlint, ctl_plural(res.nlint, "warning", "warnings"));
	rc = CTL_OK;
out:
	kp_install_result_free(&res);
	return rc;
}

int
cmd_install(struct ctl *c)
{
	struct kp_install_result res;
	struct kp_conf conf;
	char *path = NULL, hostbuf[256];
	const char *host;
	int rc;

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
	if (ctl_conf(c, &conf, "install") != 0) {
		/* Still an install attempt: the record says it failed. */
		memset(&res, 0, sizeof(res));
		res.verdict = KP_VERDICT_FAILED;
		res.reason = KP_IR_CONFIG;
		if ((host = ctl_hostname(c, hostbuf, sizeof(hostbuf))) != NULL)
			ctl_log_install(
			    &res, host, "keyauth.conf is not usable");
		free(path);
		return CTL_SYSERR;
	}
	/*
	 * The file root installs must be root's: otherwise whoever can
	 * write it between review and install chooses who logs in.
	 */
	rc = ctl_install_file(
	    c, path != NULL ? path : c->policy, &conf, "install");
	kp_conf_clear(&conf);
	free(path);
	return rc;
}
