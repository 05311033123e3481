/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * kp_serve: everything keyauth-authorized-keys does once its argv is
 * parsed (docs/sshd-setup.md). It validates the request, asks the index
 * for the lines the policy grants, leaves the PAM handoff record when a
 * line goes out for an offered key, writes the lines, and hands back the
 * one audit record of the call. The front end only parses and logs.
 *
 * Any error writes nothing and returns non-zero: sshd then ignores the
 * command and the login falls back to no key at all.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyauth.h"

/* Above what sshd would ever want; bounds memory whatever the index holds. */
#define OUTPUT_MAX (16UL * 1024 * 1024)
/* Refused arguments are logged cut to this many bytes. */
#define LOGGED_ARG_MAX 256

struct out {
	struct kp_buf lines; /* at most OUTPUT_MAX bytes */
	const char *fp; /* the offered key's fingerprint, or NULL */
	size_t nlines;
	char entry_id[KP_ID_MAX + 1]; /* of the first line printed */
	char owner[KP_VALUE_MAX + 1];
	unsigned rec; /* its record, for kp_index_grant_of; 0: none */
	char grant[KP_ID_MAX + 1]; /* its grant (version 2); "" if none */
	char via[KP_VALUE_MAX + 1];
	const char *why;
};

/* Accumulate one line; fd is written only when everything succeeded. */
static int
add_line(void *arg, const char *line, const char *fp, const char *entry_id,
    const char *owner, unsigned rec)
{
	struct out *o = arg;
	size_t n = strlen(line);
	int r;

	if (memchr(line, '\n', n) != NULL || memchr(line, '\r', n) != NULL) {
		o->why = "index produced a line with a line break";
		return KP_ERR_CORRUPT;
	}
	/* The index must only hand back the offered key. */
	if (o->fp != NULL && (fp == NULL || strcmp(fp, o->fp) != 0)) {
		o->why = "index returned another key than the offered one";
		return KP_ERR_CORRUPT;
	}
	if ((r = kp_buf_putline(&o->lines, line)) != 0) {
		o->why = r == KP_ERR_TOOBIG
		    ? "too many authorized keys for this account"
		    : "out of memory";
		return r;
	}
	if (o->nlines++ == 0) {
		snprintf(o->entry_id, sizeof(o->entry_id), "%s",
		    entry_id == NULL ? "" : entry_id);
		snprintf(o->owner, sizeof(o->owner), "%s",
		    owner == NULL ? "" : owner);
		o->rec = rec;
	}
	return 0;
}

/* A hostile argument is logged, but cut so the record stays one datagram. */
static const char *
cut(const char *s, char *buf, size_t len)
{
	if (s == NULL || strlen(s) < len)
		return s;
	memcpy(buf, s, len - 1);
	buf[len - 1] = '\0';
	return buf;
}

/*
 * Nothing printed for the offered key: the decision says why. A key the
 * decision would allow but the index did not print is not granted.
 */
static int
why_not(struct kp_index *ix, const struct kp_serve_req *q, struct kp_audit *a,
    struct kp_decision *dec)
{
	struct kp_request req;
	int r;

	memset(&req, 0, sizeof(req));
	req.account = q->account;
	req.fp = q->fp;
	req.client = q->client;
	req.host = q->host;
	req.now = q->now;
	if ((r = kp_index_decide(ix, &req, dec)) != 0)
		return r;
	a->reason = dec->reason == KP_ALLOWED ? KP_UNKNOWN_KEY : dec->reason;
	if (dec->entry_id[0] != '\0')
		a->key_id = dec->entry_id;
	if (dec->owner[0] != '\0')
		a->owner = dec->owner;
	if (dec->grant[0] != '\0')
		a->grant = dec->grant;
	return 0;
}

/*
 * A key sshd offers that no policy can hold (an RSA key under 2048 bits,
 * a type keyauth does not support, a certificate) is no error: sshd did
 * its job, the answer is no line (docs/sshd-setup.md). The record says
 * unknown_key and carries sshd's fingerprint of it.
 */
static int
offered_unsupported(const struct kp_serve_req *q, struct kp_audit *a)
{
	if (!kp_pubkey_unsupported(q->type, q->b64))
		return 0;
	a->reason = KP_UNKNOWN_KEY;
	a->fp = q->fp;
	return 1;
}

/* Tell pam_keyauth which key sshd is about to accept. */
static int
leave_handoff(const struct kp_serve_req *q, const struct out *o,
    struct kp_handoff *h, const char **err)
{
	int r;

	memset(h, 0, sizeof(*h));
	h->pid = q->sshd;
	snprintf(h->account, sizeof(h->account), "%s", q->account);
	snprintf(h->fp, sizeof(h->fp), "%s", q->fp);
	snprintf(h->entry_id, sizeof(h->entry_id), "%s", o->entry_id);
	h->time = q->now;
	if (kp_cert_type(q->type)) {
		/* Parsed already: both fit, or the certificate was refused. */
		snprintf(h->cert_type, sizeof(h->cert_type), "%s", q->type);
		snprintf(h->cert_b64, sizeof(h->cert_b64), "%s", q->b64);
	}
	if (h->pid <= 0 || kp_proc_start_time(h->pid, &h->start) != 0) {
		h->pid = 0; /* nothing written, nothing to remove */
		*err = "cannot read the start time of sshd";
		return KP_ERR_IO;
	}
	if ((r = kp_handoff_write(q->spool, h)) != 0) {
		h->pid = 0;
		if (r == KP_ERR_UNSAFE)
			*err = "cannot write handoff record: spool must be a "
			       "directory owned by this user, not group or "
			       "world writable";
		else if (r == KP_ERR_TOOBIG)
			*err = "cannot write handoff record: the spool is "
			       "full of records of logins in progress";
		else
			*err = "cannot write handoff record into the spool";
		return r;
	}
	return 0;
}

/*
 * A certificate sshd offers (docs/certificates.md): the decision for it
 * and, when it is allowed, its one cert-authority line.
 */
static int
serve_cert(struct kp_index *ix, const struct kp_serve_req *q,
    const struct kp_cert *cert, struct out *o, struct kp_audit *a)
{
	struct kp_decision dec;
	struct kp_request req;
	const char *why = NULL;
	char *line = NULL;
	int r;

	memset(&req, 0, sizeof(req));
	req.account = q->account;
	req.fp = q->fp;
	req.client = q->client;
	req.host = q->host;
	req.now = q->now;
	if ((r = kp_index_decide_cert(ix, cert, &req, 1, &dec, &line, &why)) !=
	    0) {
		a->error = kp_strerror(r);
		return r;
	}
	if (dec.reason == KP_ALLOWED) {
		r = add_line(o, line, q->fp, dec.entry_id, dec.owner, 0);
		free(line);
		if (r != 0)
			a->error = o->why != NULL ? o->why : kp_strerror(r);
		return r;
	}
	free(line);
	a->reason = dec.reason;
	/* The record keeps pointers: the decision lives in the caller. */
	snprintf(o->entry_id, sizeof(o->entry_id), "%s", dec.entry_id);
	snprintf(o->owner, sizeof(o->owner), "%s", dec.owner);
	if (o->entry_id[0] != '\0')
		a->key_id = o->entry_id;
	if (o->owner[0] != '\0')
		a->owner = o->owner;
	return 0;
}

int
kp_serve(const struct kp_serve_req *q, int fd, kp_record_cb record, void *arg)
{
	const struct kp_index_meta *meta;
	struct kp_pubkey *key = NULL;
	struct kp_cert *cert = NULL;
	struct kp_index *ix = NULL;
	struct kp_decision dec;
	struct kp_handoff h;
	struct kp_audit a;
	struct out o;
	const char *why = NULL;
	char acct_buf[LOGGED_ARG_MAX], fp_buf[LOGGED_ARG_MAX];
	char host_buf[LOGGED_ARG_MAX];
	int r = KP_ERR_INVALID;

	memset(&a, 0, sizeof(a));
	memset(&o, 0, sizeof(o));
	kp_buf_init(&o.lines, OUTPUT_MAX);
	memset(&h, 0, sizeof(h));
	a.event = KP_EVENT_LOOKUP;
	a.verdict = KP_VERDICT_DENY;
	a.reason = KP_POLICY_UNAVAILABLE;
	if (q == NULL) {
		a.error = "no request";
		r = KP_ERR_ARG;
		goto out;
	}
	a.account = cut(q->account, acct_buf, sizeof(acct_buf));
	a.fp = cut(q->fp, fp_buf, sizeof(fp_buf));
	a.client = q->client;
	a.host = cut(q->host, host_buf, sizeof(host_buf));
	if (q->error != NULL) {
		a.error = q->error;
		r = KP_ERR_ARG;
		goto out;
	}
	if (q->host == NULL || q->index == NULL || q->spool == NULL) {
		a.error = "no host, index or spool";
		r = KP_ERR_ARG;
		goto out;
	}
	if (!kp_account_valid(q->account)) {
		a.reason = KP_ACCOUNT_NOT_ALLOWED;
		a.error = "not a valid account name";
		goto out;
	}
	if (q->fp != NULL) {
		if (!kp_fingerprint_valid(q->fp)) {
			a.reason = KP_UNKNOWN_KEY;
			a.error = "not a SHA256 fingerprint (FingerprintHash "
			          "must be sha256)";
			goto out;
		}
		if (kp_cert_type(q->type)) {
			if ((r = kp_cert_parse(q->type, q->b64, &cert, &why)) !=
			    0) {
				a.reason = KP_CERT_INVALID;
				a.error = why != NULL ? why : kp_strerror(r);
				goto out;
			}
			a.cert_key_id = cert->key_id;
			a.cert_serial = cert->serial;
			a.ca_fp = cert->ca->fp;
			if (strcmp(cert->key->fp, q->fp) != 0) {
				a.reason = KP_KEY_MISMATCH;
				a.error = "fingerprint does not match the "
				          "certified key";
				r = KP_ERR_INVALID;
				goto out;
			}
		} else if ((r = kp_pubkey_parse_parts(
		                q->type, q->b64, &key, &why)) != 0) {
			a.reason = KP_UNKNOWN_KEY;
			if (offered_unsupported(q, &a)) {
				r = 0;
				goto out;
			}
			a.error = why != NULL ? why : kp_strerror(r);
			goto out;
		}
		if (key != NULL && strcmp(key->fp, q->fp) != 0) {
			a.reason = KP_KEY_MISMATCH;
			a.error = "fingerprint does not match the key";
			r = KP_ERR_INVALID;
			goto out;
		}
		a.fp = q->fp;
	}

	if ((r = kp_index_open(q->index, (uid_t)-1, &ix, &why)) != 0) {
		a.error = why != NULL ? why : kp_strerror(r);
		goto out;
	}
	meta = kp_index_meta(ix);
	a.policy_serial = meta->serial;
	a.policy_sha256 = meta->sha256;
	/* why points into ix, which lives until after the record is out. */
	if ((r = kp_index_check_host(ix, q->host, &why)) != 0) {
		a.error = why != NULL ? why : kp_strerror(r);
		goto out;
	}
	if (kp_policy_stale(meta->policy_expires, q->now)) {
		a.reason = KP_POLICY_STALE;
		a.error = "the installed policy has expired";
		r = KP_ERR_INVALID;
		goto out;
	}

	o.fp = q->fp;
	if (cert != NULL) {
		if ((r = serve_cert(ix, q, cert, &o, &a)) != 0)
			goto out;
	} else if ((r = kp_index_authorized_keys(ix, q->account, q->fp, q->host,
	                q->now, add_line, &o)) != 0) {
		a.error = o.why != NULL ? o.why : kp_strerror(r);
		goto out;
	}
	if (o.nlines > 0) {
		a.verdict = KP_VERDICT_ALLOW;
		a.reason = KP_ALLOWED;
		if (q->fp != NULL) {
			a.key_id = o.entry_id;
			a.owner = o.owner;
		}
		/* The first line's grant: one lookup, as the decision's. */
		if (q->fp != NULL && o.rec != 0) {
			if ((r = kp_index_grant_of(
			         ix, q->fp, o.rec, o.grant, o.via)) != 0) {
				a.error = kp_strerror(r);
				goto deny;
			}
			if (o.grant[0] != '\0')
				a.grant = o.grant;
		}
	} else if (q->fp == NULL) {
		a.reason = KP_ACCOUNT_NOT_ALLOWED;
	} else if (cert != NULL) {
		/* serve_cert filled in the reason */
	} else if ((r = why_not(ix, q, &a, &dec)) != 0) {
		a.error = kp_strerror(r);
		goto out;
	}

	if (q->fp != NULL && o.nlines > 0 &&
	    (r = leave_handoff(q, &o, &h, &a.error)) != 0)
		goto deny;
	if (o.lines.len > 0 && kp_write_all(fd, o.lines.s, o.lines.len) != 0) {
		/* sshd got no key: no record may vouch for one. */
		if (h.pid > 0)
			(void)kp_handoff_remove(q->spool, h.pid);
		a.error = "cannot write to standard output";
		r = KP_ERR_IO;
		goto deny;
	}
	r = 0;
	goto out;
deny:
	a.verdict = KP_VERDICT_DENY;
	a.reason = KP_POLICY_UNAVAILABLE;
out:
	if (record != NULL)
		record(arg, kp_audit_priority(&a), &a);
	kp_index_close(ix);
	kp_pubkey_free(key);
	kp_cert_free(cert);
	kp_buf_free(&o.lines);
	return r;
}
