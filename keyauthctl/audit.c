/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <sys/wait.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyauth-policy.h"
#include "keyauth-admin.h"
#include "keyauthctl.h"

/* journalctl's output is read whole; beyond this, filter it first. */
#define JOURNAL_MAX (512UL * 1024 * 1024)

/*
 * The journal's authpriv entries (the facility of every keyauth record),
 * through journalctl -o json, into a.
 */
static int
read_journalctl(struct kp_auditlog *a, const struct kp_journal_trust *t)
{
	char a0[] = "journalctl", a1[] = "-o", a2[] = "json", a3[] = "-q",
	     a4[] = "--no-pager", a5[] = "SYSLOG_FACILITY=10";
	char *argv[] = {a0, a1, a2, a3, a4, a5, NULL};
	struct kp_buf out;
	FILE *f = NULL;
	int truncated = 0, status = 0, r;

	kp_buf_init(&out, JOURNAL_MAX);
	r = kp_run(KP_JOURNALCTL_PATH, argv, NULL,
	    KP_RUN_STDIN_NULL | KP_RUN_OUT, &out, &truncated, &status);
	if (r != 0) {
		ctl_err("audit: cannot run %s: %s", KP_JOURNALCTL_PATH,
		    strerror(errno));
		r = -1;
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		ctl_err("audit: %s failed (exit %d)", KP_JOURNALCTL_PATH,
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		r = -1;
	} else if (truncated) {
		ctl_err("audit: the journal holds over %lu MiB of authpriv "
		        "entries: select some (journalctl -o json --since ...) "
		        "and pipe them into keyauthctl audit --journal -",
		    JOURNAL_MAX >> 20);
		r = -1;
	} else if (out.len > 0 && (f = fmemopen(out.s, out.len, "r")) == NULL) {
		ctl_err("audit: %s", strerror(errno));
		r = -1;
	} else if (f != NULL && (r = kp_auditlog_read_journal(a, f, t)) != 0) {
		ctl_err("audit: journal: %s", kp_strerror(r));
		r = -1;
	}
	if (f != NULL)
		fclose(f);
	kp_buf_free(&out);
	return r;
}

/*
 * Read the first n files named on the command line ("-" or none: standard
 * input) with rd; 0, or -1 when one cannot be read (said on stderr).
 */
static int
read_inputs(struct ctl *c, int n, int (*rd)(void *arg, FILE *f), void *arg)
{
	FILE *f;
	int i, r, e;

	for (i = 0; i < n; i++) {
		const char *name = c->nargs > 0 ? c->args[i] : "-";

		if (strcmp(name, "-") == 0)
			f = stdin;
		else if ((f = fopen(name, "re")) == NULL) {
			ctl_err("audit: %s: %s", name, strerror(errno));
			return -1;
		}
		r = rd(arg, f);
		e = errno;
		if (f != stdin)
			fclose(f);
		if (r != 0) {
			ctl_err("audit: %s: %s", name,
			    r == KP_ERR_IO ? strerror(e) : kp_strerror(r));
			return -1;
		}
	}
	return 0;
}

static int
read_hosts(void *arg, FILE *f)
{
	return kp_hostlog_read(arg, f);
}

struct audit_read {
	struct kp_auditlog *a;
	const struct kp_journal_trust *trust;
};

static int
read_syslog(void *arg, FILE *f)
{
	return kp_auditlog_read(((struct audit_read *)arg)->a, f);
}

static int
read_journal(void *arg, FILE *f)
{
	struct audit_read *rd = arg;

	return kp_auditlog_read_journal(rd->a, f, rd->trust);
}

/*
 * keyauthctl audit [--journal] [FILE...] [--format text|json|html] [-o FILE]
 *     [--policy-file FILE]
 *
 * Summarises the audit records in the files (standard input without any,
 * or for "-"): syslog text, or with --journal `journalctl -o json`
 * output (journalctl itself without any file), of which only the entries
 * journald says keyauth's programs wrote count. Exit 0, or 1 when a
 * revoked key was tried (the alert), 3 when a file cannot be read. The
 * keys never used are those of --policy-file, else of the installed
 * index (--index) when there is one: on a log server without an index
 * the section says to give --policy-file.
 */
/*
 * audit --hosts: the install records of many hosts (kp_hostlog). Exit 0,
 * or 1 when a host lags behind the newest serial (the alert), 3 when a
 * file cannot be read.
 */
static int
audit_hosts(struct ctl *c, enum kp_format fmt)
{
	struct kp_hostlog *h = NULL;
	struct kp_hostlog_counts cnt;
	char *out = NULL;
	int r, rc = CTL_SYSERR;

	if (c->policy_file != NULL) {
		ctl_usage_err("audit: --hosts reads install records only; "
		              "--policy-file does not apply");
		return CTL_USAGE;
	}
	if ((r = kp_hostlog_new(&h)) != 0) {
		ctl_err("audit: %s", kp_strerror(r));
		return CTL_SYSERR;
	}
	if (read_inputs(c, c->nargs > 0 ? c->nargs : 1, read_hosts, h) != 0)
		goto out;
	if ((r = kp_hostlog_format(h, fmt, &out)) != 0) {
		ctl_err("audit: %s", kp_strerror(r));
		goto out;
	}
	if (ctl_output(c, "audit", out) != 0)
		goto out;
	kp_hostlog_counts(h, &cnt);
	if (cnt.malformed > 0)
		ctl_err("audit: %llu malformed install %s skipped",
		    (unsigned long long)cnt.malformed,
		    ctl_plural(cnt.malformed, "record", "records"));
	rc = cnt.lagging > 0 ? CTL_REFUSED : CTL_OK;
out:
	free(out);
	kp_hostlog_free(h);
	return rc;
}

int
cmd_audit(struct ctl *c)
{
	struct kp_journal_trust trust;
	struct audit_read rd;
	struct passwd *pw;
	struct kp_auditlog *a = NULL;
	struct kp_auditlog_counts cnt;
	struct kp_policy *p = NULL;
	struct kp_index *ix = NULL;
	struct kp_diag d;
	enum kp_format fmt = KP_FORMAT_TEXT;
	const char *why = NULL;
	char *out = NULL;
	int r, rc = CTL_SYSERR;

	if (c->format != NULL &&
	    (kp_format_parse(c->format, &fmt) != 0 || fmt == KP_FORMAT_CSV ||
	        (fmt == KP_FORMAT_HTML && c->hosts))) {
		ctl_usage_err("audit: --format %s: expected text, json or html "
		              "(html: not with --hosts)",
		    c->format);
		return CTL_USAGE;
	}
	if (c->hosts)
		return audit_hosts(c, fmt);
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
	if (p == NULL) {
		r = kp_index_open(c->index, geteuid(), &ix, &why);
		if (r == 0 && (r = kp_auditlog_set_index(a, ix)) != 0) {
			ctl_err("audit: %s: %s", c->index, kp_strerror(r));
			goto out;
		}
		if (r != 0 && r != KP_ERR_NOTFOUND)
			ctl_err("audit: %s: %s%s%s: keys never used not listed "
			        "(give --policy-file)",
			    c->index, kp_strerror(r), why != NULL ? ": " : "",
			    why != NULL ? why : "");
	}
	/* The trust of journal entries: journald's _UID and _EXE. */
	memset(&trust, 0, sizeof(trust));
	trust.helper_uid =
	    (pw = getpwnam(c->helper_user)) != NULL ? pw->pw_uid : (uid_t)-1;
	trust.helper_exe = KP_DEFAULT_HELPER;
	trust.sshd_exe = KP_SSHD_PATH;
	if (c->journal && c->nargs == 0) {
		if (read_journalctl(a, &trust) != 0)
			goto out;
	}
	rd.a = a;
	rd.trust = &trust;
	if (read_inputs(c,
	        c->nargs > 0     ? c->nargs
	            : c->journal ? 0
	                         : 1,
	        c->journal ? read_journal : read_syslog, &rd) != 0)
		goto out;
	if ((r = fmt == KP_FORMAT_HTML
	            ? kp_auditlog_html(a, c->now, &out)
	            : kp_auditlog_format(a, fmt, &out)) != 0) {
		ctl_err("audit: %s", kp_strerror(r));
		goto out;
	}
	if (ctl_output(c, "audit", out) != 0)
		goto out;
	kp_auditlog_counts(a, &cnt);
	if (cnt.malformed > 0)
		ctl_err("audit: %llu malformed %s skipped",
		    (unsigned long long)cnt.malformed,
		    ctl_plural(cnt.malformed, "line", "lines"));
	if (cnt.untrusted > 0)
		ctl_err("audit: %llu %s not from keyauth's programs ignored",
		    (unsigned long long)cnt.untrusted,
		    ctl_plural(cnt.untrusted, "record", "records"));
	rc = cnt.revoked_tries > 0 ? CTL_REFUSED : CTL_OK;
out:
	free(out);
	kp_auditlog_free(a);
	kp_policy_free(p);
	kp_index_close(ix);
	return rc;
}
