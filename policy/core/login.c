/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * kp_login_decide: everything pam_keyauth does once it has read PAM's
 * items (docs/pam-setup.md). It finds the keys of the login, decides each
 * against the index, turns every failure into a refusal with its reason,
 * and says which outcome the module answers. The module maps the outcome
 * to a PAM return and logs what it is handed.
 *
 * pam_keyauth lives inside sshd for many logins: everything here is on
 * the stack of one call, and the index is opened and closed within it.
 */

#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "keyauth.h"

/* Why a stage did not get as far as a policy decision. */
enum fail {
	FAIL_NONE = 0,
	FAIL_CONFIG, /* module arguments */
	FAIL_SYSTEM, /* the login path is broken */
	FAIL_NOMEM,
	FAIL_USER, /* no or invalid user name */
	FAIL_INPUT, /* sshd handed us something malformed or forged */
};

/* One call's inputs. */
struct login {
	const struct kp_login_req *req;
	enum kp_event event;
	const char *account; /* NULL until known; valid once gathered */
	char client[64]; /* canonical IP literal, "" when unknown */
	char host[256];
	int64_t now;
};

/* ------------------------------------------------------------ logging */

static void
note(const struct login *l, int priority, const char *msg)
{
	if (l->req->note != NULL)
		l->req->note(l->req->arg, priority, msg);
}

/* A diagnostic "what: val"; val may be the raw PAM user name. */
static void
debug(const struct login *l, const char *what, const char *val)
{
	static const char hex[] = "0123456789abcdef";
	char esc[4 * 64 + 1], msg[sizeof(esc) + 64];
	size_t i, o = 0;

	if (l->req->note == NULL)
		return;
	if (val == NULL)
		val = "-";
	/* never a raw line break in the log */
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
	snprintf(msg, sizeof(msg), "%s: %s", what, esc);
	note(l, LOG_DEBUG, msg);
}

/* Hand over the one audit record of a decision (of a certificate). */
static void
record_cert(const struct login *l, enum kp_verdict verdict,
    enum kp_reason reason, const char *fp, const struct kp_decision *d,
    const char *error, const struct kp_cert *cert)
{
	struct kp_audit a = {
	    .event = l->event,
	    .verdict = verdict,
	    .reason = reason,
	    .account = l->account,
	    .fp = fp,
	    .client = l->client[0] != '\0' ? l->client : NULL,
	    .host = l->host[0] != '\0' ? l->host : NULL,
	    .error = error,
	};

	if (d != NULL) {
		a.key_id = d->entry_id[0] != '\0' ? d->entry_id : NULL;
		a.owner = d->owner[0] != '\0' ? d->owner : NULL;
		a.policy_serial = d->policy_serial;
		a.policy_sha256 =
		    d->policy_sha256[0] != '\0' ? d->policy_sha256 : NULL;
		a.grant = d->grant[0] != '\0' ? d->grant : NULL;
	}
	if (cert != NULL) {
		a.cert_key_id = cert->key_id;
		a.cert_serial = cert->serial;
		a.ca_fp = cert->ca->fp;
	}
	if (l->req->record != NULL)
		l->req->record(l->req->arg, kp_audit_priority(&a), &a);
}

static void
record(const struct login *l, enum kp_verdict verdict, enum kp_reason reason,
    const char *fp, const struct kp_decision *d, const char *error)
{
	record_cert(l, verdict, reason, fp, d, error, NULL);
}

/* The verdict of a refusal: audit mode only says it would deny. */
static enum kp_verdict
refused(const struct login *l)
{
	return l->req->audit ? KP_VERDICT_WOULD_DENY : KP_VERDICT_DENY;
}

/* ------------------------------------------------------------ inputs */

/* The client address: SSH_CONNECTION's first field, else an IP PAM_RHOST. */
static void
client_of(struct login *l)
{
	const char *conn = l->req->ssh_connection, *why = NULL;
	char first[64], msg[128];
	struct kp_cidr addr;
	size_t n;

	l->client[0] = '\0';
	if (conn != NULL && conn[0] != '\0') {
		n = strcspn(conn, " ");
		if (n > 0 && n < sizeof(first)) {
			memcpy(first, conn, n);
			first[n] = '\0';
			if (kp_addr_parse(first, &addr, &why) == 0) {
				kp_cidr_format(
				    &addr, l->client, sizeof(l->client));
				return;
			}
		}
		/* Not fatal: restricted keys then deny as source_unknown. */
		snprintf(msg, sizeof(msg),
		    "SSH_CONNECTION does not start with an IP address (%s)",
		    why != NULL ? why : "bad length");
		note(l, LOG_WARNING, msg);
	}
	/* With UseDNS yes PAM_RHOST is a name: never resolve it. */
	if (l->req->rhost != NULL &&
	    kp_addr_parse(l->req->rhost, &addr, &why) == 0)
		kp_cidr_format(&addr, l->client, sizeof(l->client));
}

/* The common inputs; on failure *err names it. */
static enum fail
gather(struct login *l, const char **err)
{
	const char *user = l->req->user;

	*err = NULL;
	if (kp_now(&l->now) != 0) {
		*err = "cannot read the clock";
		return FAIL_SYSTEM;
	}
	if (l->req->host != NULL) {
		snprintf(l->host, sizeof(l->host), "%s", l->req->host);
	} else if (kp_host_self(l->host, sizeof(l->host), err) != 0) {
		l->host[0] = '\0';
		return FAIL_SYSTEM;
	}
	client_of(l);
	if (user == NULL) {
		*err = "no user name";
		return FAIL_USER;
	}
	/* Logged quoted by the audit formatter: cannot forge fields. */
	l->account = user;
	if (!kp_account_valid(user)) {
		*err = "invalid account name";
		return FAIL_USER;
	}
	return FAIL_NONE;
}

/*
 * A key of the login, once: a plain key by its fingerprint, a certificate
 * by its key's fingerprint and its CA's. certs[i] (the stage's own, not
 * kept) holds the parsed certificate of key i; cert passes to it, or is
 * freed when the key is there already.
 */
static int
keys_add(struct kp_login_keys *k, struct kp_cert **certs, const char *fp,
    struct kp_cert *cert)
{
	const char *ca = cert != NULL ? cert->ca->fp : "";
	size_t i;

	for (i = 0; i < k->n; i++) {
		if (strcmp(k->fp[i], fp) == 0 && strcmp(k->ca_fp[i], ca) == 0) {
			kp_cert_free(cert);
			return 0;
		}
	}
	if (k->n >= KP_LOGIN_MAX_KEYS) {
		kp_cert_free(cert);
		return KP_ERR_TOOBIG;
	}
	snprintf(k->ca_fp[k->n], KP_FP_LEN, "%s", ca);
	certs[k->n] = cert;
	snprintf(k->fp[k->n++], KP_FP_LEN, "%s", fp);
	return 0;
}

static int
keys_has(const struct kp_login_keys *k, const char *fp, const char *ca)
{
	size_t i;

	for (i = 0; i < k->n; i++) {
		if (strcmp(k->fp[i], fp) == 0 && strcmp(k->ca_fp[i], ca) == 0)
			return 1;
	}
	return 0;
}

static void
certs_free(struct kp_cert **certs)
{
	size_t i;

	for (i = 0; i < KP_LOGIN_MAX_KEYS; i++) {
		kp_cert_free(certs[i]);
		certs[i] = NULL;
	}
}

/*
 * s as text fit for a log line: at most 64 printable ASCII characters,
 * anything else as '?'. The audit formatter quotes the rest.
 */
static void
sanitize(const char *s, char *out, size_t len)
{
	size_t i;

	for (i = 0; s != NULL && s[i] != '\0' && i + 1 < len && i < 64; i++)
		out[i] = (s[i] > 0x20 && s[i] < 0x7f) ? s[i] : '?';
	out[i] = '\0';
}

struct authinfo_arg {
	struct kp_login_keys *keys;
	struct kp_cert **certs;
	char why[160];
};

static int
authinfo_cb(void *arg, const char *type, const char *b64)
{
	struct authinfo_arg *a = arg;
	struct kp_pubkey *k = NULL;
	const char *why = NULL;
	char t[80];
	int r;

	if (kp_cert_type(type)) {
		struct kp_cert *c = NULL;

		if ((r = kp_cert_parse(type, b64, &c, &why)) != 0) {
			sanitize(type, t, sizeof(t));
			snprintf(a->why, sizeof(a->why),
			    "SSH_AUTH_INFO_0 names a certificate keyauth "
			    "cannot use (%s: %s)",
			    t, why != NULL ? why : kp_strerror(r));
			return r == KP_ERR_NOMEM ? r : KP_ERR_INVALID;
		}
		if ((r = keys_add(a->keys, a->certs, c->key->fp, c)) != 0)
			snprintf(a->why, sizeof(a->why),
			    "SSH_AUTH_INFO_0 names more than %d keys",
			    KP_LOGIN_MAX_KEYS);
		return r;
	}
	if ((r = kp_pubkey_parse_parts(type, b64, &k, &why)) != 0) {
		/* e.g. an unsupported type: the policy cannot grant it. */
		sanitize(type, t, sizeof(t));
		snprintf(a->why, sizeof(a->why),
		    "SSH_AUTH_INFO_0 names a key keyauth cannot use (%s: %s)",
		    t, why != NULL ? why : kp_strerror(r));
		return r == KP_ERR_NOMEM ? r : KP_ERR_INVALID;
	}
	r = keys_add(a->keys, a->certs, k->fp, NULL);
	if (r != 0)
		snprintf(a->why, sizeof(a->why),
		    "SSH_AUTH_INFO_0 names more than %d keys",
		    KP_LOGIN_MAX_KEYS);
	kp_pubkey_free(k);
	return r;
}

/*
 * The publickey lines of SSH_AUTH_INFO_0, as fingerprints. A key keyauth
 * cannot parse (an unsupported type, a certificate) is an error: it cannot
 * be granted, and the login must not pass as keyless.
 */
static enum fail
keys_from_authinfo(const struct login *l, struct kp_login_keys *keys,
    struct kp_cert **certs, char *err, size_t errlen)
{
	struct authinfo_arg a = {.keys = keys, .certs = certs};
	const char *info = l->req->auth_info;
	int r;

	if (info == NULL || info[0] == '\0')
		return FAIL_NONE;
	if ((r = kp_authinfo_parse(info, authinfo_cb, &a)) == 0)
		return FAIL_NONE;
	if (r == KP_ERR_NOMEM)
		return FAIL_NOMEM;
	if (a.why[0] != '\0')
		snprintf(err, errlen, "%s", a.why);
	else
		snprintf(err, errlen, "SSH_AUTH_INFO_0 is malformed (%s)",
		    kp_strerror(r));
	return FAIL_INPUT;
}

/*
 * Take (read and delete) the record the helper left for process pid and
 * check it. *found is 0 when there is none, or when it can serve no login
 * (an earlier process with this pid, older than the grace time): such a
 * record is gone now and means nothing. A record failing any other check
 * refuses the login (forged or broken).
 */
static enum fail
take_record(const struct login *l, pid_t pid, struct kp_handoff *h, int *found,
    char *err, size_t errlen)
{
	const struct kp_login_req *q = l->req;
	unsigned long long start = 0;
	const char *why = NULL;
	int r;

	*found = 0;
	r = kp_handoff_take(q->spool, pid, h, &why);
	if (r == KP_ERR_NOTFOUND)
		return FAIL_NONE;
	if (r == KP_ERR_NOMEM)
		return FAIL_NOMEM;
	if (r != 0) {
		snprintf(err, errlen, "handoff record refused: %s",
		    why != NULL ? why : kp_strerror(r));
		return FAIL_INPUT;
	}
	if ((r = kp_proc_start_time(pid, &start)) != 0) {
		snprintf(err, errlen, "cannot read the start time of %s: %s",
		    pid == q->pid ? "this process" : "its parent",
		    kp_strerror(r));
		return FAIL_SYSTEM;
	}
	r = kp_handoff_check(
	    h, pid, start, l->account, l->now, KP_HANDOFF_GRACE, &why);
	if (r == KP_ERR_NOTFOUND) {
		debug(l, "handoff record ignored", why);
		return FAIL_NONE;
	}
	if (r != 0) {
		snprintf(err, errlen, "handoff record refused: %s",
		    why != NULL ? why : kp_strerror(r));
		return FAIL_INPUT;
	}
	if (!kp_fingerprint_valid(h->fp)) {
		snprintf(
		    err, errlen, "handoff record refused: bad fingerprint");
		return FAIL_INPUT;
	}
	*found = 1;
	return FAIL_NONE;
}

/*
 * The handoff record keyauth-authorized-keys left for the sshd process
 * that ran it: this process, or (when sshd runs the account stage in a
 * child it forked, as it does for keyboard-interactive) its parent, with
 * the parent's start time. Missing: no key. Present but refused: the login
 * is refused (forged, or someone else's).
 */
static enum fail
keys_from_handoff(const struct login *l, struct kp_login_keys *keys,
    struct kp_cert **certs, char *err, size_t errlen)
{
	const struct kp_login_req *q = l->req;
	struct kp_cert *cert = NULL;
	const char *why = NULL;
	struct kp_handoff h;
	int r;
	enum fail f;
	int found = 0;

	if ((f = take_record(l, q->pid, &h, &found, err, errlen)) != FAIL_NONE)
		return f;
	if (!found && q->ppid > 1 && q->ppid != q->pid &&
	    (f = take_record(l, q->ppid, &h, &found, err, errlen)) != FAIL_NONE)
		return f;
	if (!found) {
		debug(l, "no handoff record in", q->spool);
		return FAIL_NONE;
	}
	debug(l, "key from handoff record", h.fp);
	if (h.cert_type[0] != '\0') {
		/* The helper parsed it; a record it did not write fails here. */
		if ((r = kp_cert_parse(h.cert_type, h.cert_b64, &cert, &why)) !=
		    0) {
			if (r == KP_ERR_NOMEM)
				return FAIL_NOMEM;
			snprintf(err, errlen,
			    "handoff record refused: bad certificate (%s)",
			    why != NULL ? why : kp_strerror(r));
			return FAIL_INPUT;
		}
		if (strcmp(cert->key->fp, h.fp) != 0) {
			kp_cert_free(cert);
			snprintf(err, errlen,
			    "handoff record refused: the certificate is for "
			    "another key");
			return FAIL_INPUT;
		}
	}
	if (keys_add(keys, certs, h.fp, cert) != 0) {
		snprintf(err, errlen, "too many keys");
		return FAIL_INPUT;
	}
	return FAIL_NONE;
}

/*
 * Records no login will take go now (kp_handoff_sweep); at the session
 * stage also this process's own, which only a login that never reached
 * the account stage here can have left. A failure denies nothing: the
 * next writer sweeps again.
 */
static void
tidy_spool(const struct login *l)
{
	const struct kp_login_req *q = l->req;
	int r;

	if (l->event == KP_EVENT_SESSION && q->pid > 0 &&
	    (r = kp_handoff_remove(q->spool, q->pid)) != 0)
		debug(l, "cannot remove own handoff record", kp_strerror(r));
	if ((r = kp_handoff_sweep(q->spool, l->now, NULL)) != 0)
		debug(l, "cannot sweep the handoff spool", kp_strerror(r));
}

/* ---------------------------------------------------------- results */

/* What a failure before any decision answers, in enforce mode. */
static enum kp_login_outcome
fail_outcome(enum fail f)
{
	switch (f) {
	case FAIL_CONFIG:
		return KP_LOGIN_BAD_CONFIG;
	case FAIL_NOMEM:
		return KP_LOGIN_NOMEM;
	case FAIL_USER:
		return KP_LOGIN_BAD_USER;
	case FAIL_INPUT:
		return KP_LOGIN_DENY;
	case FAIL_SYSTEM:
	case FAIL_NONE:
	default:
		return KP_LOGIN_SYSTEM;
	}
}

/* The reason code the audit record gives a failure before a decision. */
static enum kp_reason
fail_reason(enum fail f)
{
	switch (f) {
	case FAIL_USER:
		return KP_ACCOUNT_NOT_ALLOWED;
	case FAIL_INPUT:
		return KP_NO_KEY;
	default:
		return KP_POLICY_UNAVAILABLE;
	}
}

/*
 * Record a failure that happened before a decision. In audit mode it is
 * logged as would_deny and allowed, except for a configuration error:
 * the arguments that would say "audit" are themselves in doubt.
 */
static enum kp_login_outcome
failed(const struct login *l, enum fail f, const char *fp, const char *err)
{
	int audit = l->req->audit && f != FAIL_CONFIG;

	record(l, audit ? KP_VERDICT_WOULD_DENY : KP_VERDICT_DENY,
	    fail_reason(f), fp, NULL, err != NULL ? err : "error");
	return audit ? KP_LOGIN_ALLOW : fail_outcome(f);
}

/* A refusal after a decision: audit mode allows it. */
static enum kp_login_outcome
denied(const struct login *l)
{
	return l->req->audit ? KP_LOGIN_ALLOW : KP_LOGIN_DENY;
}

/* A login that used no key: nokey=deny or nokey=ignore decides. */
static enum kp_login_outcome
nokey(const struct login *l)
{
	if (l->req->nokey_ignore) {
		/* The module abstains; the record says it let this pass. */
		record(l, KP_VERDICT_ALLOW, KP_NO_KEY, NULL, NULL, NULL);
		return KP_LOGIN_IGNORE;
	}
	record(l, refused(l), KP_NO_KEY, NULL, NULL, NULL);
	return denied(l);
}

/*
 * Decide every key, one audit record each. All must be allowed. A key the
 * account stage did not see (acct != NULL) is a key_mismatch even when the
 * policy would allow it: the two stages disagree about the login.
 */
static enum kp_login_outcome
decide_all(const struct login *l, const struct kp_login_keys *keys,
    struct kp_cert *const *certs, const struct kp_login_keys *acct)
{
	const struct kp_login_req *q = l->req;
	struct kp_index *ix = NULL;
	struct kp_decision d;
	struct kp_request req;
	const char *why = NULL;
	char err[1024]; /* a path and two host names */
	enum kp_reason reason;
	size_t i;
	int r, refusal = 0, sysfail = 0;

	if ((r = kp_index_open(q->index, (uid_t)-1, &ix, &why)) != 0) {
		snprintf(err, sizeof(err), "cannot use index %s: %s", q->index,
		    why != NULL ? why : kp_strerror(r));
		return failed(l, r == KP_ERR_NOMEM ? FAIL_NOMEM : FAIL_SYSTEM,
		    keys->n == 1 ? keys->fp[0] : NULL, err);
	}
	/* kp_index_decide refuses it too; this gets the admin the why. */
	if ((r = kp_index_check_host(ix, l->host, &why)) != 0) {
		snprintf(err, sizeof(err), "cannot use index %s: %s", q->index,
		    why != NULL ? why : kp_strerror(r));
		kp_index_close(ix);
		return failed(
		    l, FAIL_SYSTEM, keys->n == 1 ? keys->fp[0] : NULL, err);
	}
	for (i = 0; i < keys->n; i++) {
		memset(&d, 0, sizeof(d));
		memset(&req, 0, sizeof(req));
		req.account = l->account;
		req.fp = keys->fp[i];
		req.client = l->client[0] != '\0' ? l->client : NULL;
		req.host = l->host;
		req.now = l->now;
		/* The same rules as the helper's, the source included. */
		r = certs[i] != NULL ? kp_index_decide_cert(ix, certs[i], &req,
		                           0, &d, NULL, &why)
		                     : kp_index_decide(ix, &req, &d);
		if (r != 0) {
			snprintf(err, sizeof(err), "decision failed: %s",
			    kp_strerror(r));
			record_cert(l, refused(l), KP_POLICY_UNAVAILABLE,
			    keys->fp[i], NULL, err, certs[i]);
			sysfail = r == KP_ERR_NOMEM ? 2 : 1;
			continue;
		}
		reason = d.reason;
		if (reason == KP_ALLOWED && acct != NULL &&
		    !keys_has(acct, keys->fp[i], keys->ca_fp[i]))
			reason = KP_KEY_MISMATCH;
		if (reason == KP_ALLOWED) {
			record_cert(l, KP_VERDICT_ALLOW, reason, keys->fp[i],
			    &d, NULL, certs[i]);
			continue;
		}
		refusal = 1;
		record_cert(
		    l, refused(l), reason, keys->fp[i], &d, NULL, certs[i]);
	}
	kp_index_close(ix);

	if (q->audit || (!refusal && !sysfail))
		return KP_LOGIN_ALLOW;
	if (sysfail == 2)
		return KP_LOGIN_NOMEM;
	if (refusal)
		return KP_LOGIN_DENY;
	return KP_LOGIN_SYSTEM;
}

/* ---------------------------------------------------------- stages */

static enum kp_login_outcome
account_stage(const struct login *l)
{
	struct kp_cert *certs[KP_LOGIN_MAX_KEYS] = {NULL};
	struct kp_login_keys keys;
	enum kp_login_outcome o;
	char err[256];
	enum fail f;

	memset(&keys, 0, sizeof(keys));
	err[0] = '\0';
	/*
	 * Multi-method logins list the methods completed before the last one
	 * in SSH_AUTH_INFO_0; the last key (and a single publickey login's
	 * only key) comes from the handoff record. Both are decided. The
	 * record is taken first so that none outlives its login.
	 */
	f = keys_from_handoff(l, &keys, certs, err, sizeof(err));
	tidy_spool(l);
	if (f == FAIL_NONE)
		f = keys_from_authinfo(l, &keys, certs, err, sizeof(err));
	if (f != FAIL_NONE)
		o = failed(l, f, NULL, err);
	/* Without them the session could not tell a swapped key. */
	else if (l->req->keep == NULL || l->req->keep(l->req->arg, &keys) != 0)
		o = failed(l, FAIL_NOMEM, NULL, "out of memory");
	else if (keys.n == 0)
		o = nokey(l);
	else
		o = decide_all(l, &keys, certs, NULL);
	certs_free(certs);
	return o;
}

static enum kp_login_outcome
session_stage(const struct login *l)
{
	const struct kp_login_keys *acct = l->req->account_keys;
	struct kp_cert *certs[KP_LOGIN_MAX_KEYS] = {NULL};
	struct kp_login_keys keys;
	enum kp_login_outcome o;
	char err[256];
	enum fail f;

	memset(&keys, 0, sizeof(keys));
	err[0] = '\0';
	tidy_spool(l);
	/* At the session stage SSH_AUTH_INFO_0 lists every method. */
	if ((f = keys_from_authinfo(l, &keys, certs, err, sizeof(err))) !=
	    FAIL_NONE)
		o = failed(l, f, NULL, err);
	else if (keys.n == 0 && acct != NULL && acct->n > 0) {
		/* The account stage saw a key the session does not. */
		record(l, refused(l), KP_KEY_MISMATCH, acct->fp[0], NULL, NULL);
		o = denied(l);
	} else if (keys.n == 0)
		o = nokey(l);
	else
		o = decide_all(l, &keys, certs, acct);
	certs_free(certs);
	return o;
}

enum kp_login_outcome
kp_login_decide(const struct kp_login_req *req)
{
	static const struct kp_login_req none;
	struct login l;
	char msg[256], arg[80];
	const char *err = NULL;
	enum fail f;

	memset(&l, 0, sizeof(l));
	/* No request: refuse (with no callback, nothing is logged). */
	l.req = req != NULL ? req : &none;
	l.event = l.req->stage == KP_LOGIN_SESSION ? KP_EVENT_SESSION
	                                           : KP_EVENT_ACCOUNT;
	if (req == NULL)
		return failed(&l, FAIL_CONFIG, NULL, "no request");
	/* Gathered even for bad arguments: the record names the login. */
	f = gather(&l, &err);
	if (req->config_error != NULL) {
		/* Name the offending argument: the admin must find it. */
		sanitize(req->config_arg, arg, sizeof(arg));
		snprintf(msg, sizeof(msg), "%s: %s", req->config_error,
		    arg[0] != '\0' ? arg : "(null)");
		return failed(&l, FAIL_CONFIG, NULL, msg);
	}
	if (f != FAIL_NONE)
		return failed(&l, f, NULL, err);
	debug(&l, "account", l.account);
	debug(&l, "client", l.client[0] != '\0' ? l.client : NULL);
	if (req->index == NULL || req->spool == NULL)
		return failed(&l, FAIL_CONFIG, NULL, "no index or spool");
	if (req->stage == KP_LOGIN_SESSION)
		return session_stage(&l);
	return account_stage(&l);
}
