/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pam_keyauth: enforce the keyauth policy at the PAM account stage and
 * confirm it at the session stage (docs/pam-setup.md).
 *
 * The module is a thin front end: it parses its arguments, reads what PAM
 * knows of the login (the user, SSH_AUTH_INFO_0, SSH_CONNECTION,
 * PAM_RHOST), asks libkeyauth's kp_login_decide, logs the records it is
 * handed and maps the outcome to a PAM return. It holds no policy logic.
 *
 * sshd loads the module once and calls it for many logins, so everything
 * lives on the stack of one call or in the PAM handle (pam_set_data); the
 * index is opened and closed within each call.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define PAM_SM_ACCOUNT
#define PAM_SM_SESSION
#include <security/pam_modules.h>
#include <security/pam_ext.h>

#include "keyauth.h"

#define KA_DATA_KEYS "pam_keyauth:account_keys"
#define KA_RECORD_MAX 8192

struct ka_args {
	const char *index;
	const char *spool;
	const char *host; /* host=, or NULL for this machine's name */
	int nokey_ignore;
	int audit;
	int debug;
};

/* What the callbacks of one call need. */
struct ka_call {
	pam_handle_t *pamh;
	int debug;
	const char *stage; /* "account", "session": as pam_syslog names it */
};

/* --------------------------------------------------------- arguments */

/* 1 if s is the option name followed by '=', then *val is the value. */
static int
ka_opt(const char *arg, const char *name, const char **val)
{
	size_t n = strlen(name);

	if (strncmp(arg, name, n) != 0 || arg[n] != '=')
		return 0;
	*val = arg + n + 1;
	return 1;
}

/*
 * Linux-PAM style arguments. Anything unknown, empty, relative or given
 * twice is a configuration error: a typo must never silently change what
 * the module enforces. On error *bad is the argument's index and *why a
 * static message.
 */
static int
ka_parse_args(
    int argc, const char **argv, struct ka_args *a, int *bad, const char **why)
{
	int seen_index = 0, seen_spool = 0, seen_nokey = 0, seen_mode = 0;
	int seen_debug = 0, seen_host = 0, i, *seen;
	const char *v;

	a->index = KP_DEFAULT_INDEX;
	a->spool = KP_DEFAULT_SPOOL;
	a->host = NULL;
	a->nokey_ignore = 0;
	a->audit = 0;
	a->debug = 0;
	*why = NULL;
	for (i = 0; i < argc; i++) {
		const char *arg = argv[i];

		*bad = i;
		v = NULL;
		if (arg == NULL) {
			*why = "missing module argument";
			return -1;
		}
		if (strcmp(arg, "debug") == 0) {
			seen = &seen_debug;
			a->debug = 1;
		} else if (ka_opt(arg, "index", &v)) {
			seen = &seen_index;
			if (v[0] != '/')
				goto bad_path;
			a->index = v;
		} else if (ka_opt(arg, "spool", &v)) {
			seen = &seen_spool;
			if (v[0] != '/')
				goto bad_path;
			a->spool = v;
		} else if (ka_opt(arg, "host", &v)) {
			seen = &seen_host;
			if (!kp_host_name_valid(v)) {
				*why = "module argument host= needs a host "
				       "name (1-255 of A-Za-z0-9._-)";
				return -1;
			}
			a->host = v;
		} else if (ka_opt(arg, "nokey", &v)) {
			seen = &seen_nokey;
			if (strcmp(v, "deny") == 0)
				a->nokey_ignore = 0;
			else if (strcmp(v, "ignore") == 0)
				a->nokey_ignore = 1;
			else
				goto bad_value;
		} else if (ka_opt(arg, "mode", &v)) {
			seen = &seen_mode;
			if (strcmp(v, "enforce") == 0)
				a->audit = 0;
			else if (strcmp(v, "audit") == 0)
				a->audit = 1;
			else
				goto bad_value;
		} else {
			*why = "unknown module argument";
			return -1;
		}
		if ((*seen)++ != 0) {
			*why = "module argument given twice";
			return -1;
		}
	}
	return 0;
bad_path:
	*why = "module argument needs an absolute path";
	return -1;
bad_value:
	*why = "bad module argument value (nokey=deny|ignore, "
	       "mode=enforce|audit)";
	return -1;
}

/* ------------------------------------------------------------ logging */

static void
ka_note(void *arg, int priority, const char *msg)
{
	const struct ka_call *k = arg;

	if (priority == LOG_DEBUG && !k->debug)
		return;
	pam_syslog(k->pamh, priority, "%s", msg);
}

/*
 * The record to the journal, with its values as KEYAUTH_* fields and
 * exactly the message pam_syslog would write under sshd's tag (its PAM
 * service name is its syslog identifier); to pam_syslog where there is
 * no journald (docs/audit-log.md).
 */
static int
ka_journal(const struct ka_call *k, int priority, const struct kp_audit *a,
    const char *rec)
{
	const void *item = NULL;
	const char *service;
	char msg[KA_RECORD_MAX + 128];
	struct kp_buf j;
	int r;

	if (pam_get_item(k->pamh, PAM_SERVICE, &item) != PAM_SUCCESS ||
	    item == NULL)
		return -1;
	service = item;
	if ((size_t)snprintf(msg, sizeof(msg), "pam_keyauth(%s:%s): %s",
	        service, k->stage, rec) >= sizeof(msg))
		return -1;
	kp_buf_init(&j, 4 * sizeof(msg));
	r = kp_journal_fields(a, priority, service, msg, &j);
	if (r == 0)
		r = kp_journal_send(NULL, j.s, j.len);
	kp_buf_free(&j);
	return r;
}

static void
ka_record(void *arg, int priority, const struct kp_audit *a)
{
	const struct ka_call *k = arg;
	char buf[KA_RECORD_MAX];

	if (kp_audit_format(a, buf, sizeof(buf)) != 0) {
		/* Never silent: the decision stands, the record says so. */
		pam_syslog(k->pamh, LOG_ERR,
		    "cannot format audit record (decision %s, reason %s)",
		    a->verdict == KP_VERDICT_ALLOW ? "allow" : "deny",
		    kp_reason_str(a->reason));
		return;
	}
	if (ka_journal(k, priority, a, buf) != 0)
		pam_syslog(k->pamh, priority, "%s", buf);
}

/* --------------------------------------------------- handle state */

static void
ka_keys_cleanup(pam_handle_t *pamh, void *data, int error_status)
{
	(void)pamh;
	(void)error_status;
	free(data);
}

/* Keep the account stage's keys for the session stage of this handle. */
static int
ka_keep(void *arg, const struct kp_login_keys *keys)
{
	const struct ka_call *k = arg;
	struct kp_login_keys *copy;

	if ((copy = malloc(sizeof(*copy))) == NULL)
		return -1;
	memcpy(copy, keys, sizeof(*copy));
	if (pam_set_data(k->pamh, KA_DATA_KEYS, copy, ka_keys_cleanup) !=
	    PAM_SUCCESS) {
		free(copy);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------- stages */

/* The one mapping from what libkeyauth decided to a PAM return. */
static int
ka_pam_code(enum kp_login_outcome o, enum kp_login_stage stage)
{
	int session = stage == KP_LOGIN_SESSION;

	switch (o) {
	case KP_LOGIN_ALLOW:
		return PAM_SUCCESS;
	case KP_LOGIN_IGNORE:
		return PAM_IGNORE;
	case KP_LOGIN_DENY:
		return session ? PAM_SESSION_ERR : PAM_PERM_DENIED;
	case KP_LOGIN_BAD_USER:
		return session ? PAM_SESSION_ERR : PAM_USER_UNKNOWN;
	case KP_LOGIN_NOMEM:
		return PAM_BUF_ERR;
	case KP_LOGIN_BAD_CONFIG:
		return PAM_SERVICE_ERR;
	case KP_LOGIN_SYSTEM:
	default:
		return session ? PAM_SESSION_ERR : PAM_SYSTEM_ERR;
	}
}

static int
ka_stage(
    pam_handle_t *pamh, enum kp_login_stage stage, int argc, const char **argv)
{
	struct kp_login_req req;
	struct ka_args args;
	struct ka_call k;
	const char *why = NULL, *user = NULL;
	const void *item = NULL, *data = NULL;
	int badi = 0;

	memset(&req, 0, sizeof(req));
	if (ka_parse_args(argc, argv, &args, &badi, &why) != 0) {
		req.config_error = why;
		req.config_arg = badi < argc ? argv[badi] : NULL;
	}
	k.pamh = pamh;
	k.debug = args.debug;
	k.stage = stage == KP_LOGIN_SESSION ? "session" : "account";
	req.stage = stage;
	req.audit = args.audit;
	req.nokey_ignore = args.nokey_ignore;
	req.index = args.index;
	req.spool = args.spool;
	req.host = args.host;
	if (pam_get_user(pamh, &user, NULL) == PAM_SUCCESS)
		req.user = user;
	req.ssh_connection = pam_getenv(pamh, "SSH_CONNECTION");
	req.auth_info = pam_getenv(pamh, "SSH_AUTH_INFO_0");
	if (pam_get_item(pamh, PAM_RHOST, &item) == PAM_SUCCESS)
		req.rhost = item;
	req.pid = getpid();
	req.ppid = getppid();
	if (stage == KP_LOGIN_SESSION &&
	    pam_get_data(pamh, KA_DATA_KEYS, &data) == PAM_SUCCESS)
		req.account_keys = data;
	req.keep = ka_keep;
	req.record = ka_record;
	req.note = ka_note;
	req.arg = &k;
	return ka_pam_code(kp_login_decide(&req), stage);
}

int
pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)flags;
	return ka_stage(pamh, KP_LOGIN_ACCOUNT, argc, argv);
}

int
pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)flags;
	return ka_stage(pamh, KP_LOGIN_SESSION, argc, argv);
}

int
pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}
