/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "keyauth-policy.h"
#include "keyauthctl.h"

/*
 * keyauthctl fetch [--allow-removal] [URL]: the policy at URL (else
 * keyauth.conf's source) and its signatures into the staging directory
 * fetch/ beside the state file (kp_fetch), then the same install as
 * keyauthctl install. keyauth-fetch.service runs it from a timer.
 *
 * Exit codes: 0 installed, unchanged, or nothing new (every request
 * answered 304: quiet, no record); 1 the policy was refused; 3 a network,
 * HTTP or configuration error, after which nothing changed (logged).
 */

/* A failure before any install: one line on stderr and in syslog. */
static void
fetch_failed(const char *url, const char *msg)
{
	ctl_err("fetch: %s; nothing changed", msg);
	openlog("keyauthctl", LOG_PID, LOG_AUTHPRIV);
	syslog(LOG_ERR, "fetch %.200s failed: %.400s; nothing changed",
	    url != NULL ? url : "-", msg);
	closelog();
}

/* dirname(state)/fetch */
static char *
staging_dir(const char *state)
{
	const char *slash = strrchr(state, '/');
	char *s = NULL;

	if (slash == NULL || slash == state)
		return strdup("/fetch");
	if (asprintf(&s, "%.*s/fetch", (int)(slash - state), state) < 0)
		return NULL;
	return s;
}

int
cmd_fetch(struct ctl *c)
{
	struct kp_fetch_opts o;
	struct kp_fetch_result res;
	struct kp_conf conf;
	struct kp_diag d;
	char **principals = NULL, *dir = NULL;
	size_t np = 0;
	const char *url;
	int r, same = 0, rc = CTL_SYSERR;

	if (ctl_conf(c, &conf, "fetch") != 0) {
		fetch_failed(c->nargs > 0 ? c->args[0] : NULL,
		    "keyauth.conf is not usable");
		return CTL_SYSERR;
	}
	url = c->nargs > 0 ? c->args[0] : conf.source;
	if (url == NULL) {
		fetch_failed(NULL,
		    "no URL: give one, or set source in "
		    "keyauth.conf");
		goto out;
	}
	/*
	 * What arrives over the network is trusted for who signed it, never
	 * for where it came from: without signatures, fetch does nothing.
	 */
	if (conf.signatures == 0) {
		fetch_failed(url,
		    "fetch installs signed policies only: set "
		    "allowed_signers and signatures in "
		    "keyauth.conf");
		goto out;
	}
	if ((r = kp_signers_read(
	         conf.allowed_signers, geteuid(), &principals, &np, &d)) != 0) {
		char msg[KP_DIAG_MSG_MAX + 300];

		if (d.line)
			snprintf(msg, sizeof(msg), "allowed_signers %s:%u: %s",
			    conf.allowed_signers, d.line, d.msg);
		else
			snprintf(msg, sizeof(msg), "allowed_signers %s: %s",
			    conf.allowed_signers, d.msg);
		fetch_failed(url, msg);
		goto out;
	}
	if ((dir = staging_dir(c->state)) == NULL) {
		fetch_failed(url, "out of memory");
		goto out;
	}
	memset(&o, 0, sizeof(o));
	o.url = url;
	o.dir = dir;
	o.principals = (const char *const *)principals;
	o.nprincipals = np;
	o.allow_uid = geteuid();
	if ((r = kp_fetch(&o, &res, &d)) != 0) {
		fetch_failed(url, d.msg[0] != '\0' ? d.msg : kp_strerror(r));
		goto out;
	}
	/* Nothing new, and install already took what is staged: done. */
	if (!res.changed && kp_fetch_attempted(dir, &same) == 0 && same) {
		rc = CTL_OK;
		goto out;
	}
	printf("fetched %s: %u %s (%u new, %u unchanged, %u absent)\n", url,
	    res.nrequests, ctl_plural(res.nrequests, "request", "requests"),
	    res.n200, res.n304, res.n404);
	rc = ctl_install_file(c, res.policy_path, &conf, "fetch");
	/* A system error is retried next time; a verdict is not repeated. */
	kp_fetch_record_attempt(dir, rc != CTL_SYSERR);
out:
	kp_strv_free(principals, np);
	free(dir);
	kp_conf_clear(&conf);
	return rc;
}
