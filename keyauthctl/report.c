/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyauth-policy.h"
#include "keyauth-admin.h"
#include "keyauthctl.h"

/*
 * keyauthctl report [--format text|csv|json|html] [-o FILE] [--account NAME]
 *     [--owner OWNER] [--host NAME] [--at TIME] [--policy-file FILE]
 *     [--by grant|group|person]
 *
 * The access matrix of this server from the installed index (--index),
 * which holds the report's rows for its host: an auditor asks the server
 * itself, and --account reads that account's rows only. --policy-file
 * (or an explicit --policy, as before the index had rows) reads the YAML
 * instead: other hosts, grants and groups, certificate authorities.
 */
static int
report_index(struct ctl *c, const struct kp_report_filter *f, int64_t at,
    enum kp_format fmt, char **out)
{
	struct kp_index *ix = NULL;
	const char *why = NULL;
	int r, rc = CTL_SYSERR;

	if (fmt == KP_FORMAT_HTML) {
		ctl_usage_err("report: --format html needs --policy-file: the "
		              "page shows the policy's revocations and lint "
		              "findings, which the installed index does not "
		              "keep");
		return CTL_USAGE;
	}
	if ((r = kp_index_open(c->index, geteuid(), &ix, &why)) != 0) {
		ctl_err("report: %s: %s%s%s (--policy-file reads a policy "
		        "instead)",
		    c->index,
		    r == KP_ERR_NOTFOUND ? "no index installed"
		                         : kp_strerror(r),
		    why != NULL ? ": " : "", why != NULL ? why : "");
		return CTL_SYSERR;
	}
	if (f->host != NULL && kp_index_check_host(ix, f->host, &why) != 0) {
		ctl_usage_err(
		    "report: %s; --policy-file reports other hosts", why);
		rc = CTL_USAGE;
		goto out;
	}
	if ((r = kp_report_index(ix, c->index, f, at, fmt, out)) != 0) {
		ctl_err("report: %s: %s%s", c->index, kp_strerror(r),
		    r == KP_ERR_VERSION ? " (compiled by an older keyauth "
		                          "without report rows: install the "
		                          "policy again, or give --policy-file)"
		                        : "");
		goto out;
	}
	rc = CTL_OK;
out:
	kp_index_close(ix);
	return rc;
}

/* The report of the YAML at path (--policy-file, or an explicit --policy). */
static int
report_yaml(struct ctl *c, const char *path, const struct kp_report_filter *f,
    int64_t at, enum kp_format fmt, char **out)
{
	struct kp_report_row *rows = NULL;
	struct kp_policy *p = NULL;
	struct kp_diag d;
	size_t n = 0;
	int r;

	if ((r = kp_policy_load(path, 0, &p, &d)) != 0) {
		ctl_print_diag(stderr, &d, path, "error", NULL);
		return ctl_load_rc(r);
	}
	if ((r = kp_report_rows(p, f, at, &rows, &n)) != 0 ||
	    (r = fmt == KP_FORMAT_HTML
	            ? kp_report_html(p, f, at, c->now, rows, n, out)
	            : kp_report_format(p, f, at, rows, n, fmt, out)) != 0)
		ctl_err("report: %s", kp_strerror(r));
	free(rows);
	kp_policy_free(p);
	return r != 0 ? CTL_SYSERR : CTL_OK;
}

int
cmd_report(struct ctl *c)
{
	const char *path = c->policy_file != NULL ? c->policy_file : c->policy;
	int yaml = c->policy_file != NULL || c->policy_given;
	struct kp_report_filter f;
	enum kp_format fmt = KP_FORMAT_TEXT;
	char *out = NULL;
	int64_t at = c->now;
	int rc;

	if (c->format != NULL && kp_format_parse(c->format, &fmt) != 0) {
		ctl_usage_err(
		    "report: --format %s: expected text, csv, json or "
		    "html",
		    c->format);
		return CTL_USAGE;
	}
	if (c->account != NULL && !kp_account_valid(c->account)) {
		ctl_usage_err("report: --account \"%s\" is not a valid account "
		              "name",
		    c->account);
		return CTL_USAGE;
	}
	if (c->at != NULL && ctl_time_arg(c->at, c->now, &at) != 0) {
		ctl_usage_err("report: --at %s: expected YYYY-MM-DD or "
		              "YYYY-MM-DDTHH:MM:SSZ",
		    c->at);
		return CTL_USAGE;
	}
	memset(&f, 0, sizeof(f));
	f.account = c->account;
	f.owner = c->owner;
	f.host = c->host;
	if (kp_report_by_parse(c->by, &f.by) != 0) {
		ctl_usage_err("report: --by %s: expected grant, group or "
		              "person",
		    c->by);
		return CTL_USAGE;
	}
	rc = yaml ? report_yaml(c, path, &f, at, fmt, &out)
	          : report_index(c, &f, at, fmt, &out);
	if (rc == CTL_OK && ctl_output(c, "report", out) != 0)
		rc = CTL_SYSERR;
	free(out);
	return rc;
}
