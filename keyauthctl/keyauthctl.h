/* SPDX-License-Identifier: BSD-2-Clause */
/* keyauthctl: private interface between main and the subcommands. */
#ifndef KEYAUTHCTL_H
#define KEYAUTHCTL_H

#include <stdint.h>
#include <stdio.h>

#include "keyauth.h"

/* Exit codes (docs/keyauthctl.md). */
#define CTL_OK 0
#define CTL_REFUSED 1 /* policy refused, access denied, stale */
#define CTL_USAGE 2
#define CTL_SYSERR 3

#define CTL_MAX_ARGS 4 /* for the commands with a fixed list */

struct ctl {
	const char *cmd;
	/* Global options; the four paths are absolute. */
	const char *policy;
	int policy_given; /* --policy on the command line, not the default */
	const char *index;
	const char *krl;
	const char *state;
	const char *host; /* --host, or NULL */
	const char *helper_user; /* --helper-user, or the configured one */
	const char *config; /* --config: keyauth.conf, absolute */
	/* Subcommand options. */
	int strict; /* check --strict */
	int all; /* check --all */
	const char *from; /* explain --from */
	const char *at; /* explain/status --at */
	const char *policy_file; /* explain/report/audit --policy-file */
	const char *format; /* report/diff/audit --format */
	const char *account; /* report/import --account */
	const char *owner; /* report --owner */
	int owner_from_comment; /* import --owner-from-comment */
	const char *passwd; /* import --passwd */
	const char *by; /* report --by */
	const char *output; /* -o, --output: report, audit */
	const char *sshd_t_output; /* doctor --sshd-t-output */
	const char *pam_file; /* doctor/setup --pam-file */
	const char *root; /* doctor/setup --root */
	int apply; /* setup --apply */
	int revert; /* setup --revert */
	const char *sshd_config_dir; /* setup --sshd-config-dir */
	int have_console; /* setup --have-console */
	int journal; /* audit --journal */
	int allow_removal; /* install/fetch --allow-removal */
	const char *key; /* sign -k */
	const char *identity; /* sign -I */
	int hosts; /* audit --hosts */
	const char **args; /* argc entries: audit and import take many */
	int nargs;
	int64_t now;
};

int cmd_check(struct ctl *c);
int cmd_install(struct ctl *c);
int cmd_explain(struct ctl *c);
int cmd_status(struct ctl *c);
int cmd_report(struct ctl *c);
int cmd_diff(struct ctl *c);
int cmd_audit(struct ctl *c);
int cmd_import(struct ctl *c);
int cmd_convert(struct ctl *c);
int cmd_doctor(struct ctl *c);
int cmd_edit(struct ctl *c);
int cmd_setup(struct ctl *c);
int cmd_sign(struct ctl *c);
int cmd_fetch(struct ctl *c);

struct kp_install_result;
struct kp_conf;
/*
 * Load --config (keyauth.conf); on error print why, log nothing, and
 * return non-zero (the caller's exit code is CTL_SYSERR).
 */
int ctl_conf(struct ctl *c, struct kp_conf *conf, const char *cmd);
/* Log res's event=install record to syslog authpriv. */
void ctl_log_install(
    const struct kp_install_result *res, const char *host, const char *error);
/*
 * Install path with conf, print what happened, log the record; returns
 * the exit code (install and fetch share it).
 */
int ctl_install_file(struct ctl *c, const char *path,
    const struct kp_conf *conf, const char *cmd);

/* Helpers in keyauthctl.c. */
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ctl_usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An absolute copy of path (relative to the working directory). */
char *ctl_abspath(const char *path);
/* --host, else this machine's name (kp_host_self); NULL (after a message). */
const char *ctl_hostname(struct ctl *c, char *buf, size_t len);
/* "FILE:LINE:COL: LEVEL: msg" (LINE/COL left out when 0). */
struct kp_lint;
/*
 * The findings of l as check prints them (docs/keyauthctl-check.md): one
 * line each, security first; a kind with more findings than l kept (see
 * CTL_LINT_KEEP) as one line with its exact count and its first ids.
 */
#define CTL_LINT_KEEP 10
void ctl_print_lint(FILE *f, const struct kp_lint *l, const char *fallback,
    const char *level, const char *suffix);
/*
 * The exit code of a failed kp_policy_load: CTL_SYSERR when the policy
 * could not be read (missing, I/O, memory), CTL_REFUSED when it was read
 * and is not a valid policy.
 */
int ctl_load_rc(int r);
void ctl_print_diag(FILE *f, const struct kp_diag *d, const char *fallback,
    const char *level, const char *suffix);
/* "3d 4h", "12m 5s", ... */
void ctl_duration(int64_t secs, char *buf, size_t len);
/* Parse --at (kp_time_parse syntax or "now"); exits via CTL_USAGE codes. */
int ctl_time_arg(const char *s, int64_t now, int64_t *out);
const char *ctl_plural(uint64_t n, const char *one, const char *many);
/* out to standard output, or atomically to -o FILE; -1 when said why. */
int ctl_output(const struct ctl *c, const char *cmd, const char *out);

#endif /* KEYAUTHCTL_H */
