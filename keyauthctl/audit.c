/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyauth-policy.h"
#include "keyauth-admin.h"
#include "keyauthctl.h"

/*
 * keyauthctl audit [FILE...] [--format text|json] [--policy-file FILE]
 *
 * Summarises the audit records in the files (standard input without any,
 * or for "-"). Exit 0, or 1 when a revoked key was tried (the alert), 3
 * when a file cannot be read.
 */
int
cmd_audit(struct ctl *c)
{
	struct kp_auditlog *a = NULL;
	struct kp_auditlog_counts cnt;
	struct kp_policy *p = NULL;
	struct kp_diag d;
	enum kp_format fmt = KP_FORMAT_TEXT;
	char *out = NULL;
	FILE *f;
	int i, r, rc = CTL_SYSERR;

	if (c->format != NULL &&
	    (kp_format_parse(c->format, &fmt) != 0 || fmt == KP_FORMAT_CSV)) {
		ctl_usage_err(
		    "audit: --format %s: expected text or json", c->format);
		return CTL_USAGE;
	}
	if (c->policy_file != NULL &&
	    kp_policy_load(c->policy_file, 0, &p, &d) != 0) {
		ctl_print_diag(stderr, &d, c->policy_file, "error", NULL);
		return CTL_SYSERR;
	}
	if ((r = kp_auditlog_new(&a)) != 0 ||
	    (p != NULL && (r = kp_auditlog_set_policy(a, p)) != 0)) {
		ctl_err("audit: %s", kp_strerror(r));
		goto out;
	}
	for (i = 0; i < (c->nargs > 0 ? c->nargs : 1); i++) {
		const char *name = c->nargs > 0 ? c->args[i] : "-";

		if (strcmp(name, "-") == 0)
			f = stdin;
		else if ((f = fopen(name, "re")) == NULL) {
			ctl_err("audit: %s: %s", name, strerror(errno));
			goto out;
		}
		r = kp_auditlog_read(a, f);
		if (f != stdin)
			fclose(f);
		if (r != 0) {
			ctl_err("audit: %s: %s", name,
			    r == KP_ERR_IO ? strerror(errno) : kp_strerror(r));
			goto out;
		}
	}
	if ((r = kp_auditlog_format(a, fmt, &out)) != 0) {
		ctl_err("audit: %s", kp_strerror(r));
		goto out;
	}
	fputs(out, stdout);
	kp_auditlog_counts(a, &cnt);
	if (cnt.malformed > 0)
		ctl_err("audit: %llu malformed %s skipped",
		    (unsigned long long)cnt.malformed,
		    ctl_plural(cnt.malformed, "line", "lines"));
	rc = cnt.revoked_tries > 0 ? CTL_REFUSED : CTL_OK;
out:
	free(out);
	kp_auditlog_free(a);
	kp_policy_free(p);
	return rc;
}
