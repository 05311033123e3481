/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "keyauth-policy.h"
#include "keyauth-admin.h"
#include "keyauthctl.h"

/*
 * keyauthctl diff OLD NEW [--format text|json]: what installing NEW in
 * place of OLD does to access. Exit 0 when access is unchanged, 1 when it
 * changed (so CI can require an approval), 3 when a file is unusable.
 */
static int
load(const char *path, struct kp_policy **p)
{
	struct kp_diag d;
	int r;

	if ((r = kp_policy_load(path, 0, p, &d)) != 0) {
		ctl_print_diag(stderr, &d, path, "error", NULL);
		ctl_err(
		    "diff: cannot compare: %s is not a usable policy", path);
		return CTL_SYSERR;
	}
	return CTL_OK;
}

/*
 * The serial sanity rule (kp_serial_sane): a warning on stderr, so the
 * report on stdout (text or JSON) stays what it is; check --strict is
 * what refuses such a policy.
 */
static void
warn_serial(const struct kp_policy *old, const struct kp_policy *new)
{
	if (kp_serial_sane(new->serial))
		return;
	ctl_err("warning: [serial-too-large] serial %llu -> %llu: above %llu, "
	        "a serial every host would be stuck behind (only higher "
	        "serials install after it, and none above "
	        "9223372036854775807 exists); see docs/fleet.md",
	    (unsigned long long)old->serial, (unsigned long long)new->serial,
	    (unsigned long long)KP_SERIAL_SANE_MAX);
}

int
cmd_diff(struct ctl *c)
{
	struct kp_policy *old = NULL, *new = NULL;
	struct kp_diff *d = NULL;
	enum kp_format fmt = KP_FORMAT_TEXT;
	char *out = NULL;
	int r, rc;

	if (c->format != NULL &&
	    (kp_format_parse(c->format, &fmt) != 0 || fmt == KP_FORMAT_CSV ||
	        fmt == KP_FORMAT_HTML)) {
		ctl_usage_err(
		    "diff: --format %s: expected text or json", c->format);
		return CTL_USAGE;
	}
	if ((rc = load(c->args[0], &old)) != CTL_OK ||
	    (rc = load(c->args[1], &new)) != CTL_OK)
		goto out;
	if ((r = kp_diff_policies(old, new, &d)) != 0 ||
	    (r = kp_diff_format(d, fmt, &out)) != 0) {
		ctl_err("diff: %s", kp_strerror(r));
		rc = CTL_SYSERR;
		goto out;
	}
	fputs(out, stdout);
	warn_serial(old, new);
	rc = kp_diff_access_changed(d) ? CTL_REFUSED : CTL_OK;
out:
	free(out);
	kp_diff_free(d);
	kp_policy_free(old);
	kp_policy_free(new);
	return rc;
}
