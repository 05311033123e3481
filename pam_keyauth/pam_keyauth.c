/*
 * pam_keyauth: enforce the keyauth policy at the PAM account stage and
 * confirm it at the session stage (SPEC section 6).
 *
 * The module is a thin front end: it gathers the inputs of a decision (the
 * account, the key that authenticated, the client address, this host, the
 * time), asks libkeyauth, maps the answer to a PAM return and logs one
 * audit record per decision. It holds no policy logic.
 *
 * sshd loads the module once and calls it for many logins, so everything
 * lives on the stack of one call or in the PAM handle (pam_set_data); the
 * index is opened and closed within each call.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define PAM_SM_ACCOUNT
#define PAM_SM_SESSION
#include <security/pam_modules.h>
#include <security/pam_ext.h>

#include "keyauth.h"

/* sshd's default LoginGraceTime; a record older than this is not ours. */
#define KA_HANDOFF_GRACE 120
/* More publickey methods than this in one login is not something sshd does. */
#define KA_MAX_KEYS 16
#define KA_DATA_KEYS "pam_keyauth:account_keys"
#define KA_RECORD_MAX 8192

struct ka_args {
	const char *index;
	const char *spool;
	const char *host; /* host=, or NULL for gethostname() */
	int nokey_ignore;
	int audit;
	int debug;
};

/* The keys one stage decides. */
struct ka_keys {
	size_t n;
	char fp[KA_MAX_KEYS][KP_FP_LEN];
};

/* One call's inputs; lives on the stack. */
struct ka_ctx {
	pam_handle_t *pamh;
	struct ka_args args;
	enum kp_event event;
	const char *account; /* NULL until known and valid */
	char client[64]; /* canonical IP literal, "" when unknown */
	char host[256];
	int64_t now;
};

/* Why a stage did not get as far as a policy decision. */
enum ka_fail {
	KA_FAIL_NONE = 0,
	KA_FAIL_CONFIG, /* module arguments */
	KA_FAIL_SYSTEM, /* the login path is broken */
	KA_FAIL_NOMEM,
	KA_FAIL_USER, /* no or invalid user name */
	KA_FAIL_INPUT, /* sshd handed us something malformed or forged */
};

/* ------------------------------------------------------------ logging */

static void
ka_debug(const struct ka_ctx *c, const char *what, const char *val)
{
	static const char hex[] = "0123456789abcdef";
	char esc[4 * 64 + 1];
	size_t i, o = 0;

	if (!c->args.debug)
		return;
	if (val == NULL)
		val = "-";
	/* val may be the raw PAM user name: never a raw line break in the log */
	for (i = 0; val[i] != '\0' && o + 4 < sizeof(esc); i++) {
		unsigned char ch = (unsigned char)val[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
			esc[o++] = (char)ch;
		} else {
			esc[o++] = '\\';
			esc[o++] = 'x';
			esc[o++] = hex[ch >> 4];
			esc[o++] = hex[ch & 0xf];
		}
	}
	esc[o] = '\0';
	pam_syslog(c->pamh, LOG_DEBUG, "%s: %s", what, esc);
}

/*
 * Emit the one audit record of a decision. Denials for system reasons and
 * every record that carries an error go out at LOG_ERR: someone must fix
 * something.
 */
static void
ka_record(const struct ka_ctx *c, enum kp_verdict verdict,
    enum kp_reason reason, const char *fp, const struct kp_decision *d,
    const char *error)
{
	char buf[KA_RECORD_MAX];
	struct kp_audit a = {
	    .event = c->event,
	    .verdict = verdict,
	    .reason = reason,
	    .account = c->account,
	    .fp = fp,
	    .client = c->client[0] != '\0' ? c->client : NULL,
	    .host = c->host[0] != '\0' ? c->host : NULL,
	    .error = error,
	};
	int prio = LOG_NOTICE;

	if (d != NULL) {
		a.key_id = d->entry_id[0] != '\0' ? d->entry_id : NULL;
		a.owner = d->owner[0] != '\0' ? d->owner : NULL;
		a.policy_serial = d->policy_serial;
		a.policy_sha256 =
		    d->policy_sha256[0] != '\0' ? d->policy_sha256 : NULL;
	}
	if (error != NULL || reason == KP_POLICY_UNAVAILABLE ||
	    reason == KP_POLICY_STALE)
		prio = LOG_ERR;
	if (kp_audit_format(&a, buf, sizeof(buf)) != 0) {
		/* Never silent: the decision stands, the record says so. */
		pam_syslog(c->pamh, LOG_ERR,
		    "cannot format audit record (decision %s, reason %s)",
		    verdict == KP_VERDICT_ALLOW ? "allow" : "deny",
		    kp_reason_str(reason));
		return;
	}
	pam_syslog(c->pamh, prio, "%s", buf);
}

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

/*
 * The argument as text fit for a log line: at most 64 printable ASCII
 * characters, anything else as '?'. The audit formatter quotes the rest.
 */
static void
ka_sanitize(const char *s, char *out, size_t len)
{
	size_t i;

	for (i = 0; s != NULL && s[i] != '\0' && i + 1 < len && i < 64; i++)
		out[i] = (s[i] > 0x20 && s[i] < 0x7f) ? s[i] : '?';
	out[i] = '\0';
}

/* ------------------------------------------------------------ inputs */

/* The client address: SSH_CONNECTION's first field, else an IP PAM_RHOST. */
static void
ka_client(struct ka_ctx *c)
{
	const char *conn, *why = NULL;
	const void *item = NULL;
	char first[64];
	struct kp_cidr addr;
	size_t n;

	c->client[0] = '\0';
	conn = pam_getenv(c->pamh, "SSH_CONNECTION");
	if (conn != NULL && conn[0] != '\0') {
		n = strcspn(conn, " ");
		if (n > 0 && n < sizeof(first)) {
			memcpy(first, conn, n);
			first[n] = '\0';
			if (kp_addr_parse(first, &addr, &why) == 0) {
				kp_cidr_format(
				    &addr, c->client, sizeof(c->client));
				return;
			}
		}
		/* Not fatal: restricted keys then deny as source_unknown. */
		pam_syslog(c->pamh, LOG_WARNING,
		    "SSH_CONNECTION does not start with an IP address (%s)",
		    why != NULL ? why : "bad length");
	}
	if (pam_get_item(c->pamh, PAM_RHOST, &item) != PAM_SUCCESS ||
	    item == NULL)
		return;
	/* With UseDNS yes PAM_RHOST is a name: never resolve it. */
	if (kp_addr_parse(item, &addr, &why) == 0)
		kp_cidr_format(&addr, c->client, sizeof(c->client));
}

/*
 * Fill the common inputs. Returns KA_FAIL_NONE, or the failure with *err
 * naming it.
 */
static enum ka_fail
ka_ctx_init(struct ka_ctx *c, const char **err)
{
	const char *user = NULL;

	*err = NULL;
	if (kp_now(&c->now) != 0) {
		*err = "cannot read the clock";
		return KA_FAIL_SYSTEM;
	}
	if (c->args.host != NULL) {
		snprintf(c->host, sizeof(c->host), "%s", c->args.host);
	} else if (gethostname(c->host, sizeof(c->host)) != 0) {
		c->host[0] = '\0';
		*err = "gethostname failed";
		return KA_FAIL_SYSTEM;
	}
	c->host[sizeof(c->host) - 1] = '\0';
	ka_client(c);
	if (pam_get_user(c->pamh, &user, NULL) != PAM_SUCCESS || user == NULL) {
		*err = "no user name";
		return KA_FAIL_USER;
	}
	if (!kp_account_valid(user)) {
		/* Logged quoted by the audit formatter: cannot forge fields. */
		c->account = user;
		*err = "invalid account name";
		return KA_FAIL_USER;
	}
	c->account = user;
	return KA_FAIL_NONE;
}

static int
ka_keys_add(struct ka_keys *k, const char *fp)
{
	size_t i;

	for (i = 0; i < k->n; i++) {
		if (strcmp(k->fp[i], fp) == 0)
			return 0;
	}
	if (k->n >= KA_MAX_KEYS)
		return KP_ERR_TOOBIG;
	snprintf(k->fp[k->n++], KP_FP_LEN, "%s", fp);
	return 0;
}

static int
ka_keys_has(const struct ka_keys *k, const char *fp)
{
	size_t i;

	for (i = 0; i < k->n; i++) {
		if (strcmp(k->fp[i], fp) == 0)
			return 1;
	}
	return 0;
}

struct ka_authinfo_arg {
	struct ka_keys *keys;
	char why[160];
};

static int
ka_authinfo_cb(void *arg, const char *type, const char *b64)
{
	struct ka_authinfo_arg *a = arg;
	struct kp_pubkey *k = NULL;
	const char *why = NULL;
	char t[80];
	int r;

	if ((r = kp_pubkey_parse_parts(type, b64, &k, &why)) != 0) {
		/* e.g. a certificate: the policy cannot grant it. */
		ka_sanitize(type, t, sizeof(t));
		snprintf(a->why, sizeof(a->why),
		    "SSH_AUTH_INFO_0 names a key keyauth cannot use (%s: %s)",
		    t, why != NULL ? why : kp_strerror(r));
		return r == KP_ERR_NOMEM ? r : KP_ERR_INVALID;
	}
	r = ka_keys_add(a->keys, k->fp);
	if (r != 0)
		snprintf(a->why, sizeof(a->why),
		    "SSH_AUTH_INFO_0 names more than %d keys", KA_MAX_KEYS);
	kp_pubkey_free(k);
	return r;
}

/*
 * The publickey lines of SSH_AUTH_INFO_0, as fingerprints. A key keyauth
 * cannot parse (an unsupported type, a certificate) is an error: it cannot
 * be granted, and the login must not pass as keyless.
 */
static enum ka_fail
ka_keys_from_authinfo(
    struct ka_ctx *c, struct ka_keys *keys, char *err, size_t errlen)
{
	struct ka_authinfo_arg a = {.keys = keys};
	const char *info;
	int r;

	info = pam_getenv(c->pamh, "SSH_AUTH_INFO_0");
	if (info == NULL || info[0] == '\0')
		return KA_FAIL_NONE;
	if ((r = kp_authinfo_parse(info, ka_authinfo_cb, &a)) == 0)
		return KA_FAIL_NONE;
	if (r == KP_ERR_NOMEM)
		return KA_FAIL_NOMEM;
	if (a.why[0] != '\0')
		snprintf(err, errlen, "%s", a.why);
	else
		snprintf(err, errlen, "SSH_AUTH_INFO_0 is malformed (%s)",
		    kp_strerror(r));
	return KA_FAIL_INPUT;
}

/*
 * The handoff record keyauth-authorized-keys left for this process.
 * Missing: no key. Present but failing any check: refused, and the login
 * with it (it is forged, stale or someone else's).
 */
static enum ka_fail
ka_keys_from_handoff(
    struct ka_ctx *c, struct ka_keys *keys, char *err, size_t errlen)
{
	struct kp_handoff h;
	unsigned long long start = 0;
	const char *why = NULL;
	pid_t pid = getpid();
	int r;

	r = kp_handoff_take(c->args.spool, pid, &h, &why);
	if (r == KP_ERR_NOTFOUND) {
		ka_debug(c, "no handoff record in", c->args.spool);
		return KA_FAIL_NONE;
	}
	if (r == KP_ERR_NOMEM)
		return KA_FAIL_NOMEM;
	if (r != 0) {
		snprintf(err, errlen, "handoff record refused: %s",
		    why != NULL ? why : kp_strerror(r));
		return KA_FAIL_INPUT;
	}
	if ((r = kp_proc_start_time(pid, &start)) != 0) {
		snprintf(err, errlen, "cannot read own start time: %s",
		    kp_strerror(r));
		return KA_FAIL_SYSTEM;
	}
	if ((r = kp_handoff_check(&h, pid, start, c->account, c->now,
	         KA_HANDOFF_GRACE, &why)) != 0) {
		snprintf(err, errlen, "handoff record refused: %s",
		    why != NULL ? why : kp_strerror(r));
		return KA_FAIL_INPUT;
	}
	if (!kp_fingerprint_valid(h.fp)) {
		snprintf(
		    err, errlen, "handoff record refused: bad fingerprint");
		return KA_FAIL_INPUT;
	}
	ka_debug(c, "key from handoff record", h.fp);
	if (ka_keys_add(keys, h.fp) != 0) {
		snprintf(err, errlen, "too many keys");
		return KA_FAIL_INPUT;
	}
	return KA_FAIL_NONE;
}

/* ---------------------------------------------------------- results */

/* The PAM return of a failure before any decision, in enforce mode. */
static int
ka_fail_code(const struct ka_ctx *c, enum ka_fail f)
{
	switch (f) {
	case KA_FAIL_CONFIG:
		return PAM_SERVICE_ERR;
	case KA_FAIL_NOMEM:
		return PAM_BUF_ERR;
	case KA_FAIL_USER:
		return c->event == KP_EVENT_SESSION ? PAM_SESSION_ERR
		                                    : PAM_USER_UNKNOWN;
	case KA_FAIL_INPUT:
		return c->event == KP_EVENT_SESSION ? PAM_SESSION_ERR
		                                    : PAM_PERM_DENIED;
	case KA_FAIL_SYSTEM:
	case KA_FAIL_NONE:
	default:
		return c->event == KP_EVENT_SESSION ? PAM_SESSION_ERR
		                                    : PAM_SYSTEM_ERR;
	}
}

/* The reason code the audit record gives a failure before a decision. */
static enum kp_reason
ka_fail_reason(enum ka_fail f)
{
	switch (f) {
	case KA_FAIL_USER:
		return KP_ACCOUNT_NOT_ALLOWED;
	case KA_FAIL_INPUT:
		return KP_NO_KEY;
	default:
		return KP_POLICY_UNAVAILABLE;
	}
}

/*
 * Log and return a failure that happened before a decision. In audit mode
 * it is logged as would_deny and allowed, except for a configuration
 * error: the arguments that would say "audit" are themselves in doubt.
 */
static int
ka_fail(const struct ka_ctx *c, enum ka_fail f, const char *fp, const char *err)
{
	int audit = c->args.audit && f != KA_FAIL_CONFIG;

	ka_record(c, audit ? KP_VERDICT_WOULD_DENY : KP_VERDICT_DENY,
	    ka_fail_reason(f), fp, NULL, err != NULL ? err : "error");
	return audit ? PAM_SUCCESS : ka_fail_code(c, f);
}

static int
ka_deny_code(const struct ka_ctx *c)
{
	return c->event == KP_EVENT_SESSION ? PAM_SESSION_ERR : PAM_PERM_DENIED;
}

/* A login that used no key: nokey=deny or nokey=ignore decides. */
static int
ka_nokey(const struct ka_ctx *c)
{
	if (c->args.nokey_ignore) {
		/* The module abstains; the record says it let this pass. */
		ka_record(c, KP_VERDICT_ALLOW, KP_NO_KEY, NULL, NULL, NULL);
		return PAM_IGNORE;
	}
	ka_record(c, c->args.audit ? KP_VERDICT_WOULD_DENY : KP_VERDICT_DENY,
	    KP_NO_KEY, NULL, NULL, NULL);
	return c->args.audit ? PAM_SUCCESS : ka_deny_code(c);
}

/*
 * Decide every key, one audit record each. All must be allowed. A key the
 * account stage did not see (acct != NULL) is a key_mismatch even when the
 * policy would allow it: the two stages disagree about the login.
 */
static int
ka_decide_all(const struct ka_ctx *c, const struct ka_keys *keys,
    const struct ka_keys *acct)
{
	struct kp_index *ix = NULL;
	struct kp_decision d;
	struct kp_request req;
	const char *why = NULL;
	char err[1024]; /* a path and two host names */
	enum kp_reason reason;
	size_t i;
	int r, denied = 0, sysfail = 0, ret;

	if ((r = kp_index_open(c->args.index, (uid_t)-1, &ix, &why)) != 0) {
		snprintf(err, sizeof(err), "cannot use index %s: %s",
		    c->args.index, why != NULL ? why : kp_strerror(r));
		return ka_fail(c,
		    r == KP_ERR_NOMEM ? KA_FAIL_NOMEM : KA_FAIL_SYSTEM,
		    keys->n == 1 ? keys->fp[0] : NULL, err);
	}
	/* kp_index_decide refuses it too; this gets the admin the why. */
	if ((r = kp_index_check_host(ix, c->host, &why)) != 0) {
		snprintf(err, sizeof(err), "cannot use index %s: %s",
		    c->args.index, why != NULL ? why : kp_strerror(r));
		kp_index_close(ix);
		return ka_fail(
		    c, KA_FAIL_SYSTEM, keys->n == 1 ? keys->fp[0] : NULL, err);
	}
	for (i = 0; i < keys->n; i++) {
		memset(&d, 0, sizeof(d));
		memset(&req, 0, sizeof(req));
		req.account = c->account;
		req.fp = keys->fp[i];
		req.client = c->client[0] != '\0' ? c->client : NULL;
		req.host = c->host;
		req.now = c->now;
		if ((r = kp_index_decide(ix, &req, &d)) != 0) {
			snprintf(err, sizeof(err), "decision failed: %s",
			    kp_strerror(r));
			ka_record(c,
			    c->args.audit ? KP_VERDICT_WOULD_DENY
			                  : KP_VERDICT_DENY,
			    KP_POLICY_UNAVAILABLE, keys->fp[i], NULL, err);
			sysfail = r == KP_ERR_NOMEM ? 2 : 1;
			continue;
		}
		reason = d.reason;
		if (reason == KP_ALLOWED && acct != NULL &&
		    !ka_keys_has(acct, keys->fp[i]))
			reason = KP_KEY_MISMATCH;
		if (reason == KP_ALLOWED) {
			ka_record(
			    c, KP_VERDICT_ALLOW, reason, keys->fp[i], &d, NULL);
			continue;
		}
		denied = 1;
		ka_record(c,
		    c->args.audit ? KP_VERDICT_WOULD_DENY : KP_VERDICT_DENY,
		    reason, keys->fp[i], &d, NULL);
	}
	kp_index_close(ix);

	if (c->args.audit || (!denied && !sysfail))
		return PAM_SUCCESS;
	if (sysfail == 2)
		ret = PAM_BUF_ERR;
	else if (denied)
		ret = ka_deny_code(c);
	else
		ret = ka_fail_code(c, KA_FAIL_SYSTEM);
	return ret;
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
ka_keys_store(const struct ka_ctx *c, const struct ka_keys *keys)
{
	struct ka_keys *copy;

	if ((copy = malloc(sizeof(*copy))) == NULL)
		return PAM_BUF_ERR;
	memcpy(copy, keys, sizeof(*copy));
	if (pam_set_data(c->pamh, KA_DATA_KEYS, copy, ka_keys_cleanup) !=
	    PAM_SUCCESS) {
		free(copy);
		return PAM_BUF_ERR;
	}
	return PAM_SUCCESS;
}

/* ---------------------------------------------------------- stages */

static int
ka_start(pam_handle_t *pamh, enum kp_event event, int argc, const char **argv,
    struct ka_ctx *c, int *ret)
{
	char msg[256], arg[80];
	const char *err = NULL, *why = NULL;
	enum ka_fail f;
	int bad, badi = 0;

	memset(c, 0, sizeof(*c));
	c->pamh = pamh;
	c->event = event;
	bad = ka_parse_args(argc, argv, &c->args, &badi, &why);
	/* Gathered even for bad arguments: the record names the login. */
	f = ka_ctx_init(c, &err);
	if (bad != 0) {
		/* Name the offending argument: the admin must find it. */
		ka_sanitize(badi < argc ? argv[badi] : NULL, arg, sizeof(arg));
		snprintf(msg, sizeof(msg), "%s: %s", why,
		    arg[0] != '\0' ? arg : "(null)");
		*ret = ka_fail(c, KA_FAIL_CONFIG, NULL, msg);
		return -1;
	}
	if (f != KA_FAIL_NONE) {
		*ret = ka_fail(c, f, NULL, err);
		return -1;
	}
	ka_debug(c, "account", c->account);
	ka_debug(c, "client", c->client[0] != '\0' ? c->client : NULL);
	return 0;
}

int
pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct ka_ctx c;
	struct ka_keys keys;
	char err[256];
	enum ka_fail f;
	int ret;

	(void)flags;
	if (ka_start(pamh, KP_EVENT_ACCOUNT, argc, argv, &c, &ret) != 0)
		return ret;
	memset(&keys, 0, sizeof(keys));
	err[0] = '\0';
	/*
	 * Multi-method logins list the methods completed before the last one
	 * in SSH_AUTH_INFO_0; the last key (and a single publickey login's
	 * only key) comes from the handoff record. Both are decided. The
	 * record is taken first so that none outlives its login.
	 */
	if ((f = ka_keys_from_handoff(&c, &keys, err, sizeof(err))) !=
	    KA_FAIL_NONE)
		return ka_fail(&c, f, NULL, err);
	if ((f = ka_keys_from_authinfo(&c, &keys, err, sizeof(err))) !=
	    KA_FAIL_NONE)
		return ka_fail(&c, f, NULL, err);
	if ((ret = ka_keys_store(&c, &keys)) != PAM_SUCCESS)
		return ka_fail(&c, KA_FAIL_NOMEM, NULL, "out of memory");
	if (keys.n == 0)
		return ka_nokey(&c);
	return ka_decide_all(&c, &keys, NULL);
}

int
pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct ka_ctx c;
	struct ka_keys keys;
	const struct ka_keys *acct = NULL;
	const void *data = NULL;
	char err[256];
	enum ka_fail f;
	int ret;

	(void)flags;
	if (ka_start(pamh, KP_EVENT_SESSION, argc, argv, &c, &ret) != 0)
		return ret;
	memset(&keys, 0, sizeof(keys));
	err[0] = '\0';
	/* At the session stage SSH_AUTH_INFO_0 lists every method. */
	if ((f = ka_keys_from_authinfo(&c, &keys, err, sizeof(err))) !=
	    KA_FAIL_NONE)
		return ka_fail(&c, f, NULL, err);
	if (pam_get_data(pamh, KA_DATA_KEYS, &data) == PAM_SUCCESS &&
	    data != NULL)
		acct = data;

	if (keys.n == 0) {
		if (acct != NULL && acct->n > 0) {
			/* The account stage saw a key the session does not. */
			ka_record(&c,
			    c.args.audit ? KP_VERDICT_WOULD_DENY
			                 : KP_VERDICT_DENY,
			    KP_KEY_MISMATCH, acct->fp[0], NULL, NULL);
			return c.args.audit ? PAM_SUCCESS : ka_deny_code(&c);
		}
		return ka_nokey(&c);
	}
	return ka_decide_all(&c, &keys, acct);
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
