/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * The decision against a loaded YAML policy (keyauthctl explain, the
 * tests): each entry of the offered key becomes the grant the login path
 * would see, and core's kp_decide decides.
 */

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyauth-policy.h"
#include "kp-policy.h"

int
kp_entry_applies(const struct kp_entry *e, const char *host)
{
	size_t i;

	if (e == NULL)
		return 0;
	if (e->nhosts == 0)
		return 1;
	/* kp_host_match refuses a NULL or empty host: it names no server. */
	for (i = 0; i < e->nhosts; i++) {
		if (e->hosts[i] != NULL && kp_host_match(e->hosts[i], host))
			return 1;
	}
	return 0;
}

void
kp_entry_grant(const struct kp_entry *e, const char *host, struct kp_grant *g)
{
	memset(g, 0, sizeof(*g));
	g->id = e->id;
	g->owner = e->owner;
	g->accounts = (const char *const *)e->accounts;
	g->naccounts = e->naccounts;
	g->host_ok = kp_entry_applies(e, host);
	g->sources = e->sources;
	g->nsources = e->nsources;
	g->not_before = e->not_before;
	g->expires = e->expires;
	g->grant = e->grant;
	g->via = e->via;
}

int
kp_policy_decide(const struct kp_policy *p, const struct kp_request *req,
    struct kp_decision *out)
{
	struct kp_grant *grants = NULL;
	const struct kp_entry *e;
	const char *owner = NULL;
	size_t i, n = 0, cap = 0;
	int r = KP_ERR_INTERNAL, revoked;

	if (out != NULL) {
		memset(out, 0, sizeof(*out));
		out->reason = KP_POLICY_UNAVAILABLE;
	}
	if (p == NULL || req == NULL || out == NULL)
		return KP_ERR_ARG;

	if (req->fp != NULL) {
		for (i = 0; i < p->nentries; i++) {
			e = &p->entries[i];
			if (e->key == NULL || strcmp(e->key->fp, req->fp) != 0)
				continue;
			if (n == cap) {
				struct kp_grant *tmp;
				size_t ncap = cap == 0 ? 4 : cap * 2;

				tmp = reallocarray(grants, ncap, sizeof(*tmp));
				if (tmp == NULL) {
					r = KP_ERR_NOMEM;
					goto out;
				}
				grants = tmp;
				cap = ncap;
			}
			/* The loader guarantees one owner per key. */
			if (owner == NULL)
				owner = e->owner;
			kp_entry_grant(e, req->host, &grants[n]);
			n++;
		}
	}
	revoked = kp_policy_is_revoked(p, req->fp, owner);
	kp_decide(p->expires, revoked, grants, n, req, out);
	out->policy_serial = p->serial;
	memcpy(out->policy_sha256, p->sha256, sizeof(out->policy_sha256));
	out->policy_sha256[sizeof(out->policy_sha256) - 1] = '\0';
	r = 0;
out:
	free(grants);
	return r;
}

int
kp_policy_decide_by(const struct kp_policy *p, const struct kp_request *req,
    struct kp_decision *out, const struct kp_entry **by)
{
	struct kp_decision one;
	struct kp_grant g;
	const struct kp_entry *e, *first = NULL;
	size_t i;
	int r, revoked;

	if (by != NULL)
		*by = NULL;
	if ((r = kp_policy_decide(p, req, out)) != 0 || by == NULL ||
	    out->entry_id[0] == '\0' || req->fp == NULL)
		return r;
	revoked = kp_policy_is_revoked(p, req->fp, out->owner);
	/*
	 * Entries of one key share its id when grants made them: the one
	 * that decided is the first that, alone, decides the same.
	 */
	for (i = 0; i < p->nentries; i++) {
		e = &p->entries[i];
		if (e->key == NULL || strcmp(e->key->fp, req->fp) != 0 ||
		    strcmp(e->id, out->entry_id) != 0)
			continue;
		if (first == NULL)
			first = e;
		kp_entry_grant(e, req->host, &g);
		kp_decide(p->expires, revoked, &g, 1, req, &one);
		if (one.reason == out->reason) {
			*by = e;
			return 0;
		}
	}
	*by = first;
	return 0;
}

/*
 * Certificates are decided on the compiled index only (its CA records,
 * revoked serials and key ids per CA): compiling p and asking the index
 * keeps one implementation of the rules, the one sshd's helper runs.
 */
int
kp_policy_decide_cert(const struct kp_policy *p, const char *tmpdir,
    const struct kp_cert *cert, const struct kp_request *req,
    struct kp_decision *out, char *why, size_t whylen)
{
	struct kp_index *ix = NULL;
	struct kp_diag d;
	char dir[PATH_MAX], path[PATH_MAX + 16];
	const char *w = NULL;
	int r, made = 0;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (out != NULL) {
		memset(out, 0, sizeof(*out));
		out->reason = KP_POLICY_UNAVAILABLE;
	}
	if (p == NULL || cert == NULL || req == NULL || req->host == NULL ||
	    out == NULL || why == NULL || whylen == 0)
		return KP_ERR_ARG;
	if (tmpdir == NULL && (tmpdir = getenv("TMPDIR")) == NULL)
		tmpdir = "/tmp";
	if (tmpdir[0] != '/' ||
	    (size_t)snprintf(dir, sizeof(dir), "%s/keyauth-explain.XXXXXX",
	        tmpdir) >= sizeof(dir))
		return KP_ERR_ARG;
	if (mkdtemp(dir) == NULL) {
		snprintf(
		    why, whylen, "%s: cannot make a private directory", tmpdir);
		return KP_ERR_IO;
	}
	made = 1;
	snprintf(path, sizeof(path), "%s/policy.cdb", dir);
	if ((r = kp_index_compile(p, req->host, req->now, path, &d)) != 0) {
		snprintf(why, whylen, "compiling the policy: %s",
		    d.msg[0] != '\0' ? d.msg : kp_strerror(r));
		goto out;
	}
	if ((r = kp_index_open(path, geteuid(), &ix, &w)) != 0) {
		snprintf(why, whylen, "%s: %s", path, w != NULL ? w : "");
		goto out;
	}
	r = kp_index_decide_cert(ix, cert, req, 0, out, NULL, &w);
	/* w may point into ix: copied before it closes */
	if (w != NULL)
		snprintf(why, whylen, "%s", w);
out:
	if (ix != NULL)
		kp_index_close(ix);
	if (made) {
		(void)unlink(path);
		(void)rmdir(dir);
	}
	return r;
}
