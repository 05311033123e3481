/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "keyauth-policy.h"
#include "keyauthctl.h"

/*
 * keyauthctl status [--at TIME]: what is installed, and whether the login
 * path can use it. Exit 0 usable, 1 stale, 3 missing or corrupt.
 */
int
cmd_status(struct ctl *c)
{
	struct kp_index *ix = NULL;
	const struct kp_index_meta *m;
	struct kp_install_state st;
	struct stat sb;
	const char *why = NULL, *h;
	char when[64], dur[64], hostbuf[256];
	int64_t now = c->now;
	int r, rc;

	if (c->at != NULL && ctl_time_arg(c->at, c->now, &now) != 0) {
		ctl_usage_err("status: --at %s: expected YYYY-MM-DD or "
		              "YYYY-MM-DDTHH:MM:SSZ",
		    c->at);
		return CTL_USAGE;
	}
	printf("index: %s\n", c->index);
	r = kp_index_open(c->index, geteuid(), &ix, &why);
	if (r != 0) {
		printf("status: policy_unavailable (%s%s%s)\n",
		    r == KP_ERR_NOTFOUND ? "no index installed"
		                         : kp_strerror(r),
		    why != NULL ? ": " : "", why != NULL ? why : "");
		ctl_err("status: %s: %s; every login is denied", c->index,
		    r == KP_ERR_NOTFOUND ? "no index installed"
		                         : kp_strerror(r));
		return CTL_SYSERR;
	}
	m = kp_index_meta(ix);
	printf("serial: %llu\n", (unsigned long long)m->serial);
	printf("sha256: %s\n", m->sha256);
	printf("host: %s\n", m->host);
	kp_time_format(m->compiled_at, when, sizeof(when));
	ctl_duration(now - m->compiled_at, dur, sizeof(dur));
	printf("compiled: %s (%s %s)\n", when, dur,
	    now >= m->compiled_at ? "ago" : "from now");
	printf("entries: %llu\n", (unsigned long long)m->nentries);
	printf("keys: %llu\n", (unsigned long long)m->nkeys);
	if (m->policy_expires == KP_TIME_NONE_AFTER) {
		printf("policy expires: never\n");
	} else {
		kp_time_format(m->policy_expires, when, sizeof(when));
		ctl_duration(m->policy_expires - now, dur, sizeof(dur));
		if (!kp_policy_stale(m->policy_expires, now))
			printf("policy expires: %s (in %s)\n", when, dur);
		else
			printf("policy expires: %s (%s ago)\n", when, dur);
	}

	if (lstat(c->krl, &sb) == 0 && S_ISREG(sb.st_mode))
		printf("krl: %s (%lld bytes)\n", c->krl, (long long)sb.st_size);
	else
		printf("krl: %s missing (sshd RevokedKeys has no list to "
		       "check)\n",
		    c->krl);

	r = kp_install_state_read(c->state, geteuid(), &st, &why);
	if (r == 0) {
		kp_time_format(st.installed_at, when, sizeof(when));
		printf("state: serial %llu installed %s\n",
		    (unsigned long long)st.serial, when);
		if (st.serial != m->serial || strcmp(st.sha256, m->sha256) != 0)
			printf("warning: the state file records serial %llu "
			       "but the index holds serial %llu\n",
			    (unsigned long long)st.serial,
			    (unsigned long long)m->serial);
	} else if (r == KP_ERR_NOTFOUND) {
		printf("state: %s missing\n", c->state);
	} else {
		printf("state: %s unreadable: %s%s%s\n", c->state,
		    kp_strerror(r), why != NULL ? ": " : "",
		    why != NULL ? why : "");
	}
	/* The login path refuses another host's index outright. */
	if ((h = ctl_hostname(c, hostbuf, sizeof(hostbuf))) == NULL) {
		printf("status: policy_unavailable (this host's name is "
		       "unknown)\n");
		kp_index_close(ix);
		return CTL_SYSERR;
	}
	if ((r = kp_index_check_host(ix, h, &why)) != 0) {
		printf("status: policy_unavailable (%s)\n",
		    why != NULL ? why : kp_strerror(r));
		ctl_err("status: %s: %s; every login is denied", c->index,
		    why != NULL ? why : kp_strerror(r));
		kp_index_close(ix);
		return CTL_SYSERR;
	}

	if (kp_policy_stale(m->policy_expires, now)) {
		kp_time_format(m->policy_expires, when, sizeof(when));
		printf("status: stale (the policy expired at %s; every login "
		       "is denied with policy_stale)\n",
		    when);
		rc = CTL_REFUSED;
	} else {
		printf("status: ok\n");
		rc = CTL_OK;
	}
	kp_index_close(ix);
	return rc;
}
