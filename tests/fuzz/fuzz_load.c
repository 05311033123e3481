/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * The YAML policy loader (kp_policy_load_buf), the only parser that sees
 * what a security team (or whoever can write the policy file) writes.
 *
 * Every input must load or be refused with a located message, within the
 * size, depth and node limits, and without a crash, leak or hang. For a
 * policy that loads, three properties:
 *  - every entry can be served: the emitter makes its authorized_keys
 *    line (what check accepts, the helper serves);
 *  - lint runs on it;
 *  - it is compiled for host web-01 and the index must decide exactly as
 *    the YAML policy does (reason and deciding entry) for every key,
 *    account, client and time boundary of the policy, and every
 *    authorized_keys line the index serves must be one the policy allows.
 * A difference between the two paths is a bug that can widen access.
 */

#include <sys/stat.h>
#include <sys/types.h>

#include <unistd.h>

#include "fuzz.h"
#include "keyauth-policy.h"

#define HOST "web-01"
#define NOW ((int64_t)1767225600) /* 2026-01-01T00:00:00Z */
#define MAX_ENTRIES 16
#define MAX_ACCOUNTS 4

static char ixpath[256];

/* The scratch directory goes when the fuzzer exits. */
static void
cleanup(void)
{
	char dir[256];

	snprintf(dir, sizeof(dir), "%s", ixpath);
	unlink(ixpath);
	if (strrchr(dir, '/') != NULL) {
		*strrchr(dir, '/') = '\0';
		rmdir(dir);
	}
}

static void
init_tmp(void)
{
	static char dir[128];
	const char *base;

	if (ixpath[0] != '\0')
		return;
	base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dir, sizeof(dir), "%s/keyauth-fuzz-load.XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(ixpath, sizeof(ixpath), "%s/policy.cdb", dir);
	atexit(cleanup);
}

static void
same_decision(const struct kp_policy *p, struct kp_index *ix,
    const struct kp_request *req)
{
	struct kp_decision dp, di;

	FZ_ASSERT(kp_policy_decide(p, req, &dp) == 0);
	FZ_ASSERT(kp_index_decide(ix, req, &di) == 0);
	if (dp.reason != di.reason || strcmp(dp.entry_id, di.entry_id) != 0) {
		fprintf(stderr,
		    "policy: %s (%s), index: %s (%s) for %s %s from %s at "
		    "%lld\n",
		    kp_reason_str(dp.reason), dp.entry_id,
		    kp_reason_str(di.reason), di.entry_id, req->account,
		    req->fp, req->client != NULL ? req->client : "-",
		    (long long)req->now);
		FZ_ASSERT(dp.reason == di.reason);
		FZ_ASSERT(strcmp(dp.entry_id, di.entry_id) == 0);
	}
	FZ_ASSERT(
	    dp.policy_serial == p->serial && di.policy_serial == p->serial);
}

struct served {
	const struct kp_policy *p;
	const char *account;
	size_t lines;
};

/* Every line served must be allowed by the policy from some client. */
static int
served_cb(void *arg, const char *line, const char *fp, const char *entry_id,
    const char *owner)
{
	struct served *s = arg;
	struct kp_request req;
	struct kp_decision d;
	char client[64] = "";
	size_t i;

	s->lines++;
	FZ_ASSERT(strchr(line, '\n') == NULL);
	FZ_ASSERT(kp_fingerprint_valid(fp) && kp_id_valid(entry_id));
	for (i = 0; i < s->p->nentries; i++) {
		const struct kp_entry *e = &s->p->entries[i];

		if (strcmp(e->id, entry_id) != 0)
			continue;
		FZ_ASSERT(strcmp(e->key->fp, fp) == 0);
		FZ_ASSERT(strcmp(e->owner, owner) == 0);
		if (e->nsources > 0)
			kp_cidr_format(&e->sources[0], client, sizeof(client));
		break;
	}
	FZ_ASSERT(i < s->p->nentries);
	/* a network's own address stands for "some client inside it" */
	if (strchr(client, '/') != NULL)
		*strchr(client, '/') = '\0';
	memset(&req, 0, sizeof(req));
	req.account = s->account;
	req.fp = fp;
	req.client = client[0] != '\0' ? client : NULL;
	req.host = HOST;
	req.now = NOW;
	FZ_ASSERT(kp_policy_decide(s->p, &req, &d) == 0);
	FZ_ASSERT(d.reason == KP_ALLOWED);
	return 0;
}

static void
differential(const struct kp_policy *p)
{
	struct kp_index *ix = NULL;
	struct kp_request req;
	struct kp_diag diag;
	struct served s;
	const char *why = NULL;
	char client[64];
	int64_t times[4];
	size_t i, j, t, c;

	init_tmp();
	if (kp_index_compile(p, HOST, NOW, ixpath, &diag) != 0)
		return; /* over a compiler limit: refused, fine */
	FZ_ASSERT(kp_index_open(ixpath, geteuid(), &ix, &why) == 0);
	FZ_ASSERT(kp_index_meta(ix)->serial == p->serial);
	FZ_ASSERT(strcmp(kp_index_meta(ix)->sha256, p->sha256) == 0);
	for (i = 0; i < p->nentries && i < MAX_ENTRIES; i++) {
		const struct kp_entry *e = &p->entries[i];

		times[0] = NOW;
		times[1] = e->not_before != KP_TIME_NONE_BEFORE
		    ? e->not_before - 1
		    : NOW;
		times[2] =
		    e->not_before != KP_TIME_NONE_BEFORE ? e->not_before : NOW;
		times[3] = e->expires != KP_TIME_NONE_AFTER ? e->expires : NOW;
		for (j = 0; j <= e->naccounts && j < MAX_ACCOUNTS; j++) {
			for (c = 0; c < 3; c++) {
				memset(&req, 0, sizeof(req));
				req.account = j < e->naccounts ? e->accounts[j]
				                               : "nobody";
				req.fp = e->key->fp;
				req.host = HOST;
				if (c == 1 && e->nsources > 0) {
					kp_cidr_format(&e->sources[0], client,
					    sizeof(client));
					if (strchr(client, '/') != NULL)
						*strchr(client, '/') = '\0';
					req.client = client;
				} else if (c == 2) {
					req.client = "203.0.113.77";
				}
				for (t = 0; t < 4; t++) {
					req.now = times[t];
					same_decision(p, ix, &req);
				}
			}
			memset(&s, 0, sizeof(s));
			s.p = p;
			s.account =
			    j < e->naccounts ? e->accounts[j] : "nobody";
			/* a stale policy serves nothing: an error, no line */
			FZ_ASSERT(kp_index_authorized_keys(ix, s.account, NULL,
			              HOST, NOW, served_cb, &s) ==
			    (NOW >= p->expires ? KP_ERR_INVALID : 0));
			FZ_ASSERT(NOW < p->expires || s.lines == 0);
		}
	}
	/* a key the policy does not know */
	memset(&req, 0, sizeof(req));
	req.account = "root";
	req.fp = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	req.host = HOST;
	req.now = NOW;
	same_decision(p, ix, &req);
	kp_index_close(ix);
}

static void
servable(const struct kp_policy *p)
{
	const struct kp_entry *e;
	char *line;
	size_t i;

	for (i = 0; i < p->nentries && i < MAX_ENTRIES; i++) {
		e = &p->entries[i];
		line = NULL;
		FZ_ASSERT(kp_authkeys_line(e->key->type, e->key->b64, e->id,
		              e->sources, e->nsources, e->expires,
		              (const char *const *)e->options, e->noptions,
		              e->command, &line) == 0);
		FZ_ASSERT(line != NULL && strchr(line, '\n') == NULL);
		free(line);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_policy *p = (struct kp_policy *)1;
	struct kp_diag diag;
	struct kp_lint l;
	int r;

	if (size > 256 * 1024)
		return 0;
	memset(&diag, 0, sizeof(diag));
	r = kp_policy_load_buf(
	    "fuzz.yaml", (const char *)data, size, &p, &diag);
	if (r != 0) {
		FZ_ASSERT(r < 0 && p == NULL);
		FZ_ASSERT(diag.msg[0] != '\0');
		FZ_ASSERT(memchr(diag.msg, '\0', sizeof(diag.msg)) != NULL);
		return 0;
	}
	FZ_ASSERT(p != NULL && p->serial > 0);
	servable(p);
	if (kp_policy_lint(p, NOW, 3, &l) == 0) {
		FZ_ASSERT(l.nw <= l.total);
		kp_lint_free(&l);
	}
	differential(p);
	kp_policy_free(p);
	return 0;
}
