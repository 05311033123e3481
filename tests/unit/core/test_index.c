/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The compiled index: compile real and synthetic policies into a temporary
 * directory, read them back, compare with the decision on the policy
 * itself, and attack the file (truncation, flipped bytes, junk, another
 * format version, unsafe modes and links, failed compiles).
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cdb.h>

#include "keyauth-policy.h"
#include "kp-internal.h"
#include "index-format.h"
#include "../test.h"
#include "../cdb-walk.h"

#define NONE_B KP_TIME_NONE_BEFORE
#define NONE_A KP_TIME_NONE_AFTER
#define HOST "web-01"
#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Real keys made with ssh-keygen. */
#define ALICE_B64 \
	"AAAAC3NzaC1lZDI1NTE5AAAAIEmDh1dKwkIZLYrNSVsalHLbIIV0f/KtsbHpmu809bJ6"
#define ALICE_FP "SHA256:e2+9z/ZD72j76avt4diRXcfo+nNzqMfj93zvvCaBJ/4"
#define BOB_B64 \
	"AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBN3EoBpiKqsJlemY" \
	"PgheLnwMa29Nd/fWcDnKx07oPiD+5sl2JVkTJkLdxb43ayZghEI51g3K0x/ThUkfaViA" \
	"DzQ="
#define BOB_FP "SHA256:OodlQj30lXnAuQCkx4rGl4qHGfg/FVbgOuBbo1rK53g"

static char tmpdir[128];
static uid_t allow;

/* ------------------------------------------------------ policy builder */

struct tpol {
	struct kp_policy p;
	size_t cap_e;
	size_t cap_r;
	struct kp_pubkey **keys; /* owned */
	size_t nkeys;
	size_t cap_k;
};

static void *
xrealloc(void *p, size_t n, size_t sz)
{
	void *q = reallocarray(p, n, sz);

	if (q == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(99);
	}
	return q;
}

static char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		exit(99);
	return d;
}

static void
tp_init(struct tpol *t, uint64_t serial)
{
	memset(t, 0, sizeof(*t));
	t->p.serial = serial;
	t->p.expires = NONE_A;
	snprintf(t->p.sha256, sizeof(t->p.sha256), "%s", SHA);
	t->p.path = xstrdup("test-policy.yaml");
}

static struct kp_pubkey *
tp_track(struct tpol *t, struct kp_pubkey *k)
{
	if (t->nkeys == t->cap_k) {
		t->cap_k = t->cap_k ? t->cap_k * 2 : 16;
		t->keys = xrealloc(t->keys, t->cap_k, sizeof(*t->keys));
	}
	t->keys[t->nkeys++] = k;
	return k;
}

static struct kp_pubkey *
tp_key(struct tpol *t, const char *type, const char *b64)
{
	struct kp_pubkey *k = NULL;
	const char *why = NULL;

	if (kp_pubkey_parse_parts(type, b64, &k, &why) != 0 || k == NULL) {
		fprintf(stderr, "key %s: %s\n", b64, why ? why : "?");
		exit(99);
	}
	return tp_track(t, k);
}

/* A well-formed synthetic ed25519 key: "ssh-ed25519" and 32 bytes. */
static struct kp_pubkey *
tp_synth(struct tpol *t, uint64_t seed)
{
	uint8_t blob[4 + 11 + 4 + 32];
	char b64[128];
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
	size_t i;

	memcpy(blob, "\0\0\0\x0bssh-ed25519\0\0\0\x20", 19);
	for (i = 0; i < 32; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		blob[19 + i] = (uint8_t)(x >> 24);
	}
	if (kp_b64_encode(blob, sizeof(blob), 1, b64, sizeof(b64)) != 0)
		exit(99);
	return tp_key(t, "ssh-ed25519", b64);
}

/* Split a space-separated list into a NULL-free array. */
static char **
split(const char *s, size_t *n)
{
	char **v = NULL, *copy, *tok, *save = NULL;

	*n = 0;
	if (s == NULL)
		return NULL;
	copy = xstrdup(s);
	for (tok = strtok_r(copy, " ", &save); tok != NULL;
	     tok = strtok_r(NULL, " ", &save)) {
		v = xrealloc(v, *n + 1, sizeof(*v));
		v[(*n)++] = xstrdup(tok);
	}
	free(copy);
	return v;
}

static struct kp_entry *
tp_entry(struct tpol *t, const char *id, const char *owner, struct kp_pubkey *k,
    const char *accounts, const char *hosts, const char *from, int64_t nb,
    int64_t exp, const char *options, const char *command)
{
	struct kp_entry *e;
	const char *why = NULL;
	size_t i;

	if (t->p.nentries == t->cap_e) {
		t->cap_e = t->cap_e ? t->cap_e * 2 : 16;
		t->p.entries =
		    xrealloc(t->p.entries, t->cap_e, sizeof(*t->p.entries));
	}
	e = &t->p.entries[t->p.nentries++];
	memset(e, 0, sizeof(*e));
	e->id = xstrdup(id);
	e->owner = xstrdup(owner);
	e->key = k;
	e->accounts = split(accounts, &e->naccounts);
	e->hosts = split(hosts, &e->nhosts);
	e->from = split(from, &e->nfrom);
	if (e->nfrom > 0) {
		e->sources = xrealloc(NULL, e->nfrom, sizeof(*e->sources));
		for (i = 0; i < e->nfrom; i++) {
			if (kp_cidr_parse(e->from[i], &e->sources[i], &why) !=
			    0)
				exit(99);
		}
		e->nsources = e->nfrom;
	}
	e->not_before = nb;
	e->expires = exp;
	e->options = split(options, &e->noptions);
	e->command = command ? xstrdup(command) : NULL;
	e->line = (unsigned)t->p.nentries;
	e->column = 3;
	return e;
}

static void
tp_revoke(struct tpol *t, enum kp_revoke_kind kind, const char *value,
    struct kp_pubkey *key)
{
	struct kp_revocation *rv;

	if (t->p.nrevoked == t->cap_r) {
		t->cap_r = t->cap_r ? t->cap_r * 2 : 8;
		t->p.revoked =
		    xrealloc(t->p.revoked, t->cap_r, sizeof(*t->p.revoked));
	}
	rv = &t->p.revoked[t->p.nrevoked++];
	memset(rv, 0, sizeof(*rv));
	rv->kind = kind;
	rv->value = xstrdup(value);
	rv->key = key;
	rv->reason = xstrdup("test");
	rv->date = NONE_B;
}

static void
free_list(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
tp_free(struct tpol *t)
{
	struct kp_entry *e;
	size_t i;

	for (i = 0; i < t->p.nentries; i++) {
		e = &t->p.entries[i];
		free(e->id);
		free(e->owner);
		free_list(e->accounts, e->naccounts);
		free_list(e->hosts, e->nhosts);
		free_list(e->from, e->nfrom);
		free(e->sources);
		free_list(e->options, e->noptions);
		free(e->command);
	}
	for (i = 0; i < t->p.nrevoked; i++) {
		free(t->p.revoked[i].value);
		free(t->p.revoked[i].reason);
	}
	for (i = 0; i < t->nkeys; i++)
		kp_pubkey_free(t->keys[i]);
	free(t->keys);
	free(t->p.entries);
	free(t->p.revoked);
	free(t->p.path);
	memset(t, 0, sizeof(*t));
}

/* ------------------------------------------------------------- helpers */

static char *
tpath(const char *name)
{
	static char buf[4][PATH_MAX];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
	return buf[i];
}

static size_t
count_dir(const char *dir)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return (size_t)-1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

static size_t
count_temps(const char *dir)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return (size_t)-1;
	while ((de = readdir(d)) != NULL) {
		if (strstr(de->d_name, ".tmp-") != NULL)
			n++;
	}
	closedir(d);
	return n;
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *b;
	int fd;

	*len = 0;
	if ((fd = open(path, O_RDONLY)) < 0 || fstat(fd, &st) != 0)
		return NULL;
	if ((b = malloc((size_t)st.st_size + 1)) == NULL ||
	    read(fd, b, (size_t)st.st_size) != st.st_size) {
		close(fd);
		free(b);
		return NULL;
	}
	close(fd);
	*len = (size_t)st.st_size;
	return b;
}

static int
spew(const char *path, const void *buf, size_t len, mode_t mode)
{
	int fd;

	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)) < 0)
		return -1;
	if (write(fd, buf, len) != (ssize_t)len || fchmod(fd, mode) != 0) {
		close(fd);
		return -1;
	}
	return close(fd);
}

struct lines {
	char **v;
	char **ids;
	size_t n;
	int stop_after; /* return 42 after this many lines; 0: never */
	char owner[128];
	char fp[KP_FP_LEN];
};

static int
collect(void *arg, const char *line, const char *fp, const char *id,
    const char *owner, unsigned rec)
{
	struct lines *l = arg;

	CHECK(rec >= 1);
	l->v = xrealloc(l->v, l->n + 1, sizeof(*l->v));
	l->ids = xrealloc(l->ids, l->n + 1, sizeof(*l->ids));
	l->v[l->n] = xstrdup(line);
	l->ids[l->n] = xstrdup(id);
	l->n++;
	snprintf(l->owner, sizeof(l->owner), "%s", owner);
	snprintf(l->fp, sizeof(l->fp), "%s", fp);
	if (l->stop_after > 0 && l->n == (size_t)l->stop_after)
		return 42;
	return 0;
}

static void
lines_free(struct lines *l)
{
	free_list(l->v, l->n);
	free_list(l->ids, l->n);
	memset(l, 0, sizeof(*l));
}

static int
ak(struct kp_index *ix, const char *account, const char *fp, int64_t now,
    struct lines *l)
{
	lines_free(l);
	return kp_index_authorized_keys(ix, account, fp, HOST, now, collect, l);
}

static int
decide(struct kp_index *ix, const char *account, const char *fp,
    const char *client, int64_t now, struct kp_decision *d)
{
	struct kp_request req = {account, fp, client, HOST, now};

	return kp_index_decide(ix, &req, d);
}

/* The index must decide exactly as the policy it was compiled from. */
static void
same_as_policy(const struct kp_policy *p, struct kp_index *ix,
    const char *account, const char *fp, const char *client, int64_t now)
{
	struct kp_request req = {account, fp, client, HOST, now};
	struct kp_decision a, b;

	CHECK_INT(kp_policy_decide(p, &req, &a), 0);
	CHECK_INT(kp_index_decide(ix, &req, &b), 0);
	if (a.reason != b.reason || strcmp(a.entry_id, b.entry_id) != 0 ||
	    strcmp(a.owner, b.owner) != 0)
		fprintf(stderr,
		    "%s %s %s %lld: policy %s/%s/%s index %s/%s/%s\n", account,
		    fp, client ? client : "-", (long long)now,
		    kp_reason_str(a.reason), a.entry_id, a.owner,
		    kp_reason_str(b.reason), b.entry_id, b.owner);
	CHECK_INT(b.reason, a.reason);
	CHECK_STR(b.entry_id, a.entry_id);
	CHECK_STR(b.owner, a.owner);
	CHECK_INT(b.policy_serial, a.policy_serial);
	CHECK_STR(b.policy_sha256, a.policy_sha256);
}

static struct kp_index *
compile_open(struct tpol *t, const char *name, int64_t now)
{
	struct kp_diag diag;
	struct kp_index *ix = NULL;
	const char *why = NULL;
	int r;

	r = kp_index_compile(&t->p, HOST, now, tpath(name), &diag);
	if (r != 0)
		fprintf(stderr, "compile: %s: %s\n", kp_strerror(r), diag.msg);
	CHECK_INT(r, 0);
	r = kp_index_open(tpath(name), allow, &ix, &why);
	if (r != 0)
		fprintf(stderr, "open: %s: %s\n", kp_strerror(r), why);
	CHECK_INT(r, 0);
	return ix;
}

/* ---------------------------------------------------------------- tests */

static void
test_empty(void)
{
	struct tpol t;
	struct kp_index *ix;
	const struct kp_index_meta *m;
	struct kp_decision d;
	struct lines l = {0};
	struct stat st;

	tp_init(&t, 7);
	ix = compile_open(&t, "empty.cdb", 1234);
	if (ix == NULL)
		return;
	m = kp_index_meta(ix);
	CHECK_INT(m->format, KP_INDEX_FORMAT);
	CHECK_INT(m->serial, 7);
	CHECK_STR(m->sha256, SHA);
	CHECK_STR(m->host, HOST);
	CHECK(m->policy_expires == NONE_A);
	CHECK_INT(m->compiled_at, 1234);
	CHECK_INT(m->nentries, 0);
	CHECK_INT(m->nkeys, 0);
	CHECK_INT(decide(ix, "alice", ALICE_FP, NULL, 100, &d), 0);
	CHECK_INT(d.reason, KP_UNKNOWN_KEY);
	CHECK_INT(d.policy_serial, 7);
	CHECK_STR(d.policy_sha256, SHA);
	CHECK_INT(ak(ix, "alice", NULL, 100, &l), 0);
	CHECK_INT(l.n, 0);
	CHECK_INT(ak(ix, "alice", ALICE_FP, 100, &l), 0);
	CHECK_INT(l.n, 0);
	/* installed 0640 (docs/security.md), no temp file left behind */
	CHECK_INT(stat(tpath("empty.cdb"), &st), 0);
	CHECK_INT(st.st_mode & 07777, 0640);
	CHECK_INT(count_temps(tmpdir), 0);
	/* bad arguments */
	CHECK_INT(
	    decide(ix, "alice", "SHA256:short", NULL, 100, &d), KP_ERR_ARG);
	CHECK_INT(d.reason, KP_POLICY_UNAVAILABLE);
	CHECK_INT(decide(ix, "alice", NULL, NULL, 100, &d), KP_ERR_ARG);
	CHECK_INT(kp_index_decide(NULL, NULL, &d), KP_ERR_ARG);
	CHECK_INT(kp_index_decide(ix, NULL, NULL), KP_ERR_ARG);
	CHECK_INT(ak(ix, "alice", "nonsense", 100, &l), KP_ERR_ARG);
	CHECK_INT(
	    kp_index_authorized_keys(ix, NULL, NULL, HOST, 100, collect, &l),
	    KP_ERR_ARG);
	CHECK_INT(
	    kp_index_authorized_keys(ix, "alice", NULL, HOST, 100, NULL, &l),
	    KP_ERR_ARG);
	CHECK(kp_index_meta(NULL) == NULL);
	kp_index_close(NULL);
	kp_index_close(ix);
	lines_free(&l);
	tp_free(&t);
}

static void
test_one_key(void)
{
	struct tpol t;
	struct kp_index *ix;
	struct kp_decision d;
	struct lines l = {0};
	struct kp_pubkey *alice, *bob;
	int64_t exp = 0;
	/* the options as sshd reads them, in the emitter's order */
	const char *want_alice =
	    "from=\"192.0.2.0/24,2001:db8::/32\","
	    "expiry-time=\"20270101000000Z\",no-agent-forwarding,no-pty,"
	    "command=\"/usr/bin/backup\" ssh-ed25519 " ALICE_B64
	    " keyauth:alice-laptop";
	const char *want_bob =
	    "ecdsa-sha2-nistp256 " BOB_B64 " keyauth:bob-key";

	CHECK_INT(kp_time_parse("2027-01-01T00:00:00Z", &exp), 0);
	tp_init(&t, 2026112201);
	alice = tp_key(&t, "ssh-ed25519", ALICE_B64);
	bob = tp_key(&t, "ecdsa-sha2-nistp256", BOB_B64);
	CHECK_STR(alice->fp, ALICE_FP);
	CHECK_STR(bob->fp, BOB_FP);
	tp_entry(&t, "alice-laptop", "alice@example.com", alice, "alice", NULL,
	    "192.0.2.0/24 2001:db8::/32", NONE_B, exp,
	    "no-pty no-agent-forwarding", "/usr/bin/backup");
	tp_entry(&t, "bob-key", "bob@example.com", bob, "bob", NULL, NULL,
	    NONE_B, NONE_A, NULL, NULL);
	ix = compile_open(&t, "one.cdb", 1000);
	if (ix == NULL)
		return;
	CHECK_INT(kp_index_meta(ix)->nentries, 2);
	CHECK_INT(kp_index_meta(ix)->nkeys, 2);

	CHECK_INT(decide(ix, "alice", ALICE_FP, "192.0.2.9", 1000, &d), 0);
	CHECK_INT(d.reason, KP_ALLOWED);
	CHECK_STR(d.entry_id, "alice-laptop");
	CHECK_STR(d.owner, "alice@example.com");
	CHECK_INT(d.policy_serial, 2026112201);
	CHECK_INT(decide(ix, "alice", ALICE_FP, "2001:db8:1::1", 1000, &d), 0);
	CHECK_INT(d.reason, KP_ALLOWED);
	CHECK_INT(decide(ix, "alice", ALICE_FP, "10.0.0.1", 1000, &d), 0);
	CHECK_INT(d.reason, KP_SOURCE_NOT_ALLOWED);
	CHECK_INT(decide(ix, "alice", ALICE_FP, NULL, 1000, &d), 0);
	CHECK_INT(d.reason, KP_SOURCE_UNKNOWN);
	CHECK_INT(decide(ix, "bob", ALICE_FP, "192.0.2.9", 1000, &d), 0);
	CHECK_INT(d.reason, KP_ACCOUNT_NOT_ALLOWED);
	CHECK_STR(d.entry_id, "alice-laptop");
	CHECK_INT(decide(ix, "alice", ALICE_FP, "192.0.2.9", exp, &d), 0);
	CHECK_INT(d.reason, KP_EXPIRED);
	CHECK_INT(decide(ix, "bob", BOB_FP, NULL, 1000, &d), 0);
	CHECK_INT(d.reason, KP_ALLOWED);
	CHECK_STR(d.entry_id, "bob-key");
	CHECK_STR(d.owner, "bob@example.com");

	/* byte for byte, by account and by fingerprint */
	CHECK_INT(ak(ix, "alice", NULL, 1000, &l), 0);
	CHECK_INT(l.n, 1);
	if (l.n == 1) {
		CHECK_STR(l.v[0], want_alice);
		CHECK_STR(l.ids[0], "alice-laptop");
		CHECK_STR(l.owner, "alice@example.com");
		CHECK_STR(l.fp, ALICE_FP);
	}
	CHECK_INT(ak(ix, "alice", ALICE_FP, 1000, &l), 0);
	CHECK_INT(l.n, 1);
	if (l.n == 1)
		CHECK_STR(l.v[0], want_alice);
	CHECK_INT(ak(ix, "bob", NULL, 1000, &l), 0);
	CHECK_INT(l.n, 1);
	if (l.n == 1)
		CHECK_STR(l.v[0], want_bob);
	/* another account's key, an unknown account, a hostile name */
	CHECK_INT(ak(ix, "alice", BOB_FP, 1000, &l), 0);
	CHECK_INT(l.n, 0);
	CHECK_INT(ak(ix, "carol", NULL, 1000, &l), 0);
	CHECK_INT(l.n, 0);
	CHECK_INT(ak(ix, "alice\n", NULL, 1000, &l), 0);
	CHECK_INT(l.n, 0);
	CHECK_INT(ak(ix, "", NULL, 1000, &l), 0);
	CHECK_INT(l.n, 0);
	/* expired: no line at the expiry second and after */
	CHECK_INT(ak(ix, "alice", NULL, exp - 1, &l), 0);
	CHECK_INT(l.n, 1);
	CHECK_INT(ak(ix, "alice", NULL, exp, &l), 0);
	CHECK_INT(l.n, 0);
	/* the callback's non-zero return stops and is returned */
	lines_free(&l);
	l.stop_after = 1;
	CHECK_INT(
	    kp_index_authorized_keys(ix, "bob", NULL, HOST, 1000, collect, &l),
	    42);
	kp_index_close(ix);
	lines_free(&l);
	tp_free(&t);
}

/*
 * An index answers for the host it was compiled for only: a copied index
 * or a cloned image must not grant another server's keys.
 */
static void
test_other_host(void)
{
	struct tpol t;
	struct kp_index *ix;
	struct kp_decision d;
	struct kp_request req;
	struct lines l = {0};
	struct kp_pubkey *alice;
	const char *why = NULL;
	char longhost[300];

	tp_init(&t, 7);
	alice = tp_key(&t, "ssh-ed25519", ALICE_B64);
	tp_entry(&t, "alice-laptop", "alice@example.com", alice, "alice", NULL,
	    NULL, NONE_B, NONE_A, NULL, NULL);
	ix = compile_open(&t, "host.cdb", 1000);
	if (ix == NULL)
		return;

	CHECK_INT(kp_index_check_host(ix, HOST, &why), 0);
	CHECK(why == NULL);
	CHECK_INT(kp_index_check_host(ix, "WEB-01", &why), 0);
	CHECK_INT(kp_index_check_host(ix, "db-01", &why), KP_ERR_INVALID);
	CHECK(why != NULL);
	if (why != NULL)
		CHECK_STR(why,
		    "index was compiled for host web-01, this host is db-01: "
		    "run keyauthctl install on this host");
	CHECK_INT(kp_index_check_host(ix, "web-01.example.com", NULL),
	    KP_ERR_INVALID);
	CHECK_INT(kp_index_check_host(ix, "web-0", NULL), KP_ERR_INVALID);
	CHECK_INT(kp_index_check_host(ix, NULL, &why), KP_ERR_ARG);
	CHECK(why != NULL);
	CHECK_INT(kp_index_check_host(ix, "", &why), KP_ERR_ARG);
	CHECK_INT(kp_index_check_host(NULL, HOST, &why), KP_ERR_ARG);
	/* an over-long name is cut in the message, never overflows */
	memset(longhost, 'h', sizeof(longhost) - 1);
	longhost[sizeof(longhost) - 1] = '\0';
	CHECK_INT(kp_index_check_host(ix, longhost, &why), KP_ERR_INVALID);
	CHECK(why != NULL && strlen(why) < 2 * 256 + 96);

	/* the decision: allowed here, policy_unavailable elsewhere */
	CHECK_INT(decide(ix, "alice", ALICE_FP, NULL, 1000, &d), 0);
	CHECK_INT(d.reason, KP_ALLOWED);
	memset(&req, 0, sizeof(req));
	req.account = "alice";
	req.fp = ALICE_FP;
	req.host = "db-01";
	req.now = 1000;
	memset(&d, 0, sizeof(d)); /* d.reason == KP_ALLOWED */
	CHECK_INT(kp_index_decide(ix, &req, &d), KP_ERR_INVALID);
	CHECK_INT(d.reason, KP_POLICY_UNAVAILABLE);
	CHECK_STR(d.entry_id, "");
	req.host = "";
	CHECK_INT(kp_index_decide(ix, &req, &d), KP_ERR_ARG);
	CHECK_INT(d.reason, KP_POLICY_UNAVAILABLE);
	req.host = "Web-01";
	CHECK_INT(kp_index_decide(ix, &req, &d), 0);
	CHECK_INT(d.reason, KP_ALLOWED);
	/* no host in the request: the index's own (keyauth.h) */
	req.host = NULL;
	CHECK_INT(kp_index_decide(ix, &req, &d), 0);
	CHECK_INT(d.reason, KP_ALLOWED);

	/* authorized_keys: refused, and the callback never runs */
	CHECK_INT(kp_index_authorized_keys(
	              ix, "alice", NULL, "db-01", 1000, collect, &l),
	    KP_ERR_INVALID);
	CHECK_INT(l.n, 0);
	CHECK_INT(kp_index_authorized_keys(
	              ix, "alice", ALICE_FP, "db-01", 1000, collect, &l),
	    KP_ERR_INVALID);
	CHECK_INT(l.n, 0);
	CHECK_INT(kp_index_authorized_keys(
	              ix, "alice", NULL, NULL, 1000, collect, &l),
	    KP_ERR_ARG);
	CHECK_INT(l.n, 0);
	CHECK_INT(
	    kp_index_authorized_keys(ix, "alice", NULL, "", 1000, collect, &l),
	    KP_ERR_ARG);
	CHECK_INT(l.n, 0);
	CHECK_INT(kp_index_authorized_keys(
	              ix, "alice", NULL, "WEB-01", 1000, collect, &l),
	    0);
	CHECK_INT(l.n, 1);
	kp_index_close(ix);
	lines_free(&l);
	tp_free(&t);
}

static void
test_accounts_and_entries(void)
{
	struct tpol t;
	struct kp_index *ix;
	struct kp_decision d;
	struct lines l = {0};
	struct kp_pubkey *k;
	const char *accs[] = {"alice", "deploy", "root", "carol"};
	const char *clients[] = {NULL, "192.0.2.1", "10.0.0.1"};
	int64_t times[] = {0, 1500, 2999, 3000};
	size_t a, c, i;

	tp_init(&t, 3);
	k = tp_synth(&t, 42);
	/* one key, two entries for alice, one of them also for deploy */
	tp_entry(&t, "e1", "ops@example.com", k, "alice deploy", NULL,
	    "192.0.2.0/24", NONE_B, NONE_A, "restrict", NULL);
	tp_entry(&t, "e2", "ops@example.com", k, "alice", NULL, NULL, 1000,
	    3000, NULL, "/bin/true");
	ix = compile_open(&t, "multi.cdb", 1000);
	if (ix == NULL)
		return;
	CHECK_INT(kp_index_meta(ix)->nentries, 2);
	CHECK_INT(kp_index_meta(ix)->nkeys, 1);
	CHECK_INT(ak(ix, "alice", NULL, 1500, &l), 0);
	CHECK_INT(l.n, 2); /* one line per entry, not per account pair */
	if (l.n == 2) {
		CHECK_STR(l.ids[0], "e1");
		CHECK_CONTAINS(l.v[0], "from=\"192.0.2.0/24\",restrict ");
		CHECK_STR(l.ids[1], "e2");
		CHECK_CONTAINS(l.v[1], "expiry-time=\"19700101005000Z\",");
		CHECK_CONTAINS(l.v[1], "command=\"/bin/true\" ssh-ed25519 ");
	}
	CHECK_INT(ak(ix, "alice", k->fp, 1500, &l), 0);
	CHECK_INT(l.n, 2);
	CHECK_INT(ak(ix, "deploy", NULL, 1500, &l), 0);
	CHECK_INT(l.n, 1);
	if (l.n == 1)
		CHECK_STR(l.ids[0], "e1");
	/* e2 not yet valid at 999: only e1 */
	CHECK_INT(ak(ix, "alice", NULL, 999, &l), 0);
	CHECK_INT(l.n, 1);
	CHECK_INT(ak(ix, "alice", NULL, 1000, &l), 0);
	CHECK_INT(l.n, 2);
	CHECK_INT(decide(ix, "alice", k->fp, "10.0.0.1", 1500, &d), 0);
	CHECK_INT(d.reason, KP_ALLOWED);
	CHECK_STR(d.entry_id, "e2");
	CHECK_INT(decide(ix, "deploy", k->fp, "10.0.0.1", 1500, &d), 0);
	CHECK_INT(d.reason, KP_SOURCE_NOT_ALLOWED);
	CHECK_STR(d.entry_id, "e1");
	for (a = 0; a < 4; a++)
		for (c = 0; c < 3; c++)
			for (i = 0; i < 4; i++)
				same_as_policy(&t.p, ix, accs[a], k->fp,
				    clients[c], times[i]);
	kp_index_close(ix);
	lines_free(&l);
	tp_free(&t);
}

static void
test_hosts_and_revocations(void)
{
	struct tpol t;
	struct kp_index *ix;
	struct kp_decision d;
	struct lines l = {0};
	struct kp_pubkey *k[8];
	const char *accs[] = {"alice", "deploy", "carol"};
	size_t a, i;

	tp_init(&t, 4);
	for (i = 0; i < 8; i++)
		k[i] = tp_synth(&t, 100 + i);
	/* k0: alice only on db hosts, deploy on web hosts */
	tp_entry(&t, "m1", "o0@x", k[0], "alice", "db-*", NULL, NONE_B, NONE_A,
	    NULL, NULL);
	tp_entry(&t, "g1", "o0@x", k[0], "deploy", "web-* other", NULL, NONE_B,
	    NONE_A, NULL, NULL);
	/* k1: only for another host */
	tp_entry(&t, "m2", "o1@x", k[1], "alice", "db-01", NULL, NONE_B, NONE_A,
	    NULL, NULL);
	/* k2 revoked by fingerprint, k3 by key, k4 and k5 by owner */
	tp_entry(&t, "r2", "o2@x", k[2], "alice", NULL, NULL, NONE_B, NONE_A,
	    NULL, NULL);
	tp_entry(&t, "r3", "o3@x", k[3], "alice", NULL, NULL, NONE_B, NONE_A,
	    NULL, NULL);
	tp_entry(&t, "r4", "gone@x", k[4], "alice", NULL, NULL, NONE_B, NONE_A,
	    NULL, NULL);
	tp_entry(&t, "r5", "gone@x", k[5], "alice deploy", "WEB-01", NULL,
	    NONE_B, NONE_A, NULL, NULL);
	/* k6: plain grant, still served */
	tp_entry(&t, "ok6", "o6@x", k[6], "alice", NULL, NULL, NONE_B, NONE_A,
	    NULL, NULL);
	tp_revoke(&t, KP_REVOKE_FINGERPRINT, k[2]->fp, NULL);
	tp_revoke(&t, KP_REVOKE_KEY, k[3]->fp, k[3]);
	tp_revoke(&t, KP_REVOKE_OWNER, "gone@x", NULL);
	/* k7: revoked, in no entry */
	tp_revoke(&t, KP_REVOKE_FINGERPRINT, k[7]->fp, NULL);
	/* duplicates are harmless */
	tp_revoke(&t, KP_REVOKE_FINGERPRINT, k[2]->fp, NULL);
	ix = compile_open(&t, "hosts.cdb", 1000);
	if (ix == NULL)
		return;
	/* g1 and ok6; markers and revoked keys are not counted */
	CHECK_INT(kp_index_meta(ix)->nentries, 2);
	CHECK_INT(kp_index_meta(ix)->nkeys, 2);

	CHECK_INT(decide(ix, "alice", k[0]->fp, NULL, 100, &d), 0);
	CHECK_INT(d.reason, KP_HOST_NOT_ALLOWED);
	CHECK_STR(d.entry_id, "m1");
	CHECK_INT(decide(ix, "deploy", k[0]->fp, NULL, 100, &d), 0);
	CHECK_INT(d.reason, KP_ALLOWED);
	CHECK_STR(d.entry_id, "g1");
	CHECK_INT(decide(ix, "carol", k[0]->fp, NULL, 100, &d), 0);
	CHECK_INT(d.reason, KP_ACCOUNT_NOT_ALLOWED);
	CHECK_INT(decide(ix, "alice", k[1]->fp, NULL, 100, &d), 0);
	CHECK_INT(d.reason, KP_HOST_NOT_ALLOWED);
	CHECK_STR(d.entry_id, "m2");
	CHECK_STR(d.owner, "o1@x");
	for (i = 2; i <= 5; i++) {
		CHECK_INT(decide(ix, "alice", k[i]->fp, NULL, 100, &d), 0);
		CHECK_INT(d.reason, KP_REVOKED);
		CHECK(d.owner[0] != '\0');
		CHECK_INT(ak(ix, "alice", k[i]->fp, 100, &l), 0);
		CHECK_INT(l.n, 0);
	}
	CHECK_INT(decide(ix, "alice", k[7]->fp, NULL, 100, &d), 0);
	CHECK_INT(d.reason, KP_REVOKED);
	CHECK_INT(decide(ix, "alice", k[6]->fp, NULL, 100, &d), 0);
	CHECK_INT(d.reason, KP_ALLOWED);
	/* alice sees only ok6; deploy only g1 */
	CHECK_INT(ak(ix, "alice", NULL, 100, &l), 0);
	CHECK_INT(l.n, 1);
	if (l.n == 1)
		CHECK_STR(l.ids[0], "ok6");
	CHECK_INT(ak(ix, "deploy", NULL, 100, &l), 0);
	CHECK_INT(l.n, 1);
	if (l.n == 1)
		CHECK_STR(l.ids[0], "g1");
	CHECK_INT(ak(ix, "alice", k[1]->fp, 100, &l), 0);
	CHECK_INT(l.n, 0);
	for (a = 0; a < 3; a++)
		for (i = 0; i < 8; i++)
			same_as_policy(
			    &t.p, ix, accs[a], k[i]->fp, "192.0.2.1", 100);
	kp_index_close(ix);
	lines_free(&l);
	tp_free(&t);
}

static void
test_stale(void)
{
	struct tpol t;
	struct kp_index *ix;
	struct kp_decision d;
	struct lines l = {0};
	struct kp_pubkey *k;

	tp_init(&t, 5);
	t.p.expires = 2000;
	k = tp_synth(&t, 7);
	tp_entry(
	    &t, "s", "o@x", k, "alice", NULL, NULL, NONE_B, NONE_A, NULL, NULL);
	ix = compile_open(&t, "stale.cdb", 1000);
	if (ix == NULL)
		return;
	CHECK(kp_index_meta(ix)->policy_expires == 2000);
	CHECK_INT(decide(ix, "alice", k->fp, NULL, 1999, &d), 0);
	CHECK_INT(d.reason, KP_ALLOWED);
	CHECK_INT(decide(ix, "alice", k->fp, NULL, 2000, &d), 0);
	CHECK_INT(d.reason, KP_POLICY_STALE);
	CHECK_INT(ak(ix, "alice", NULL, 1999, &l), 0);
	CHECK_INT(l.n, 1);
	/* stale: an error and not a single line, with or without a key */
	CHECK(ak(ix, "alice", NULL, 2000, &l) != 0);
	CHECK_INT(l.n, 0);
	CHECK(ak(ix, "alice", k->fp, 2000, &l) != 0);
	CHECK_INT(l.n, 0);
	kp_index_close(ix);
	lines_free(&l);
	tp_free(&t);
}

#define NMANY 5000

static void
test_many(void)
{
	struct tpol t;
	struct kp_index *ix;
	struct kp_decision d;
	struct lines l = {0};
	struct kp_pubkey **k;
	char id[32], owner[32];
	unsigned char *seen;
	size_t i, want_alice = 0, want_deploy = 0, nent = 0, bad = 0;
	int alice, applies, n;
	struct timespec t0, t1;

	k = xrealloc(NULL, NMANY, sizeof(*k));
	seen = calloc(NMANY, 1);
	tp_init(&t, 9);
	for (i = 0; i < NMANY; i++) {
		k[i] = tp_synth(&t, 1000 + i);
		snprintf(id, sizeof(id), "k%zu", i);
		snprintf(owner, sizeof(owner), "o%zu@x", i % 100);
		tp_entry(&t, id, owner, k[i],
		    i % 3 == 0       ? "alice"
		        : i % 3 == 1 ? "deploy"
		                     : "alice deploy",
		    i % 10 == 9 ? "db-*" : NULL, NULL, NONE_B, NONE_A, NULL,
		    NULL);
		if (i % 10 != 9) {
			nent++;
			want_alice += i % 3 != 1;
			want_deploy += i % 3 != 0;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ix = compile_open(&t, "many.cdb", 1000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("compiled %d keys in %.3f s\n", NMANY,
	    (double)(t1.tv_sec - t0.tv_sec) +
	        (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (ix == NULL)
		goto out;
	CHECK_INT(kp_index_meta(ix)->nentries, nent);
	CHECK_INT(kp_index_meta(ix)->nkeys, nent);
	for (i = 0; i < NMANY; i++) {
		alice = i % 3 != 1;
		applies = i % 10 != 9;
		if (decide(ix, "alice", k[i]->fp, NULL, 100, &d) != 0 ||
		    d.reason !=
		        (!alice           ? KP_ACCOUNT_NOT_ALLOWED
		                : applies ? KP_ALLOWED
		                          : KP_HOST_NOT_ALLOWED))
			bad++;
		snprintf(id, sizeof(id), "k%zu", i);
		if (strcmp(d.entry_id, id) != 0)
			bad++;
	}
	CHECK_INT(bad, 0);
	CHECK_INT(ak(ix, "alice", NULL, 100, &l), 0);
	CHECK_INT(l.n, want_alice);
	for (i = 0; i < l.n; i++) {
		if (sscanf(l.ids[i], "k%d", &n) != 1 || n < 0 || n >= NMANY ||
		    seen[n]++ != 0 || n % 3 == 1 || n % 10 == 9)
			bad++;
	}
	CHECK_INT(bad, 0);
	CHECK_INT(ak(ix, "deploy", NULL, 100, &l), 0);
	CHECK_INT(l.n, want_deploy);
	CHECK_INT(decide(ix, "alice", ALICE_FP, NULL, 100, &d), 0);
	CHECK_INT(d.reason, KP_UNKNOWN_KEY);
	kp_index_close(ix);
out:
	lines_free(&l);
	free(seen);
	free(k);
	tp_free(&t);
}

/* ------------------------------------------------------- damaged files */

static int
open_code(const char *path)
{
	struct kp_index *ix = NULL;
	const char *why = NULL;
	int r;

	r = kp_index_open(path, allow, &ix, &why);
	if (r == 0) {
		kp_index_close(ix);
		return 0;
	}
	CHECK(ix == NULL);
	CHECK(why != NULL);
	return r;
}

static void
test_unsafe_and_junk(void)
{
	struct tpol t;
	struct kp_index *ix;
	uint8_t *good, *junk;
	size_t len, i, cut[] = {0, 1, 100, 2047, 2048, 2049, 0, 0, 0, 0, 0};
	struct cdb_make cm;
	uint8_t *m;
	int fd;

	tp_init(&t, 11);
	tp_entry(&t, "a", "o@x", tp_synth(&t, 1), "alice", NULL, NULL, NONE_B,
	    NONE_A, NULL, NULL);
	ix = compile_open(&t, "good.cdb", 1000);
	kp_index_close(ix);
	good = slurp(tpath("good.cdb"), &len);
	CHECK(good != NULL && len > 2100);
	if (good == NULL)
		goto out;

	CHECK_INT(open_code(tpath("missing.cdb")), KP_ERR_NOTFOUND);
	CHECK_INT(kp_index_open("relative.cdb", allow, &ix, NULL), KP_ERR_ARG);
	CHECK_INT(
	    kp_index_open(tpath("good.cdb"), allow, NULL, NULL), KP_ERR_ARG);

	/* truncated anywhere */
	cut[6] = len / 2;
	cut[7] = len - 17;
	cut[8] = len - 16;
	cut[9] = len - 8;
	cut[10] = len - 1;
	for (i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		CHECK_INT(spew(tpath("cut.cdb"), good, cut[i], 0644), 0);
		CHECK_INT(open_code(tpath("cut.cdb")), KP_ERR_CORRUPT);
	}
	/* extended by one byte */
	junk = malloc(len + 100000);
	memcpy(junk, good, len);
	junk[len] = 0;
	CHECK_INT(spew(tpath("long.cdb"), junk, len + 1, 0644), 0);
	CHECK_INT(open_code(tpath("long.cdb")), KP_ERR_CORRUPT);
	/* random junk and zeros */
	srandom(1);
	for (i = 0; i < len + 100000; i++)
		junk[i] = (uint8_t)random();
	CHECK_INT(spew(tpath("junk.cdb"), junk, 4096, 0644), 0);
	CHECK_INT(open_code(tpath("junk.cdb")), KP_ERR_CORRUPT);
	CHECK_INT(spew(tpath("junk.cdb"), junk, len + 100000, 0644), 0);
	CHECK_INT(open_code(tpath("junk.cdb")), KP_ERR_CORRUPT);
	memset(junk, 0, 8192);
	CHECK_INT(spew(tpath("junk.cdb"), junk, 8192, 0644), 0);
	CHECK_INT(open_code(tpath("junk.cdb")), KP_ERR_CORRUPT);
	free(junk);

	/* a well-formed cdb that is not an index */
	unlink(tpath("other.cdb"));
	fd = open(tpath("other.cdb"), O_RDWR | O_CREAT | O_EXCL, 0644);
	CHECK(fd >= 0);
	if (fd >= 0) {
		cdb_make_start(&cm, fd);
		cdb_make_add(&cm, "x", 1, "y", 1);
		cdb_make_add(&cm, "M", 1, "kpindex\0\0\0\0\1zzzzzzzz", 20);
		cdb_make_finish(&cm);
		close(fd);
		CHECK_INT(open_code(tpath("other.cdb")), KP_ERR_CORRUPT);
	}

	/* another format version; a damaged magic; a damaged meta field */
	m = memmem(good, len, "kpindex", 8);
	CHECK(m != NULL);
	if (m != NULL) {
		m[11] = 2;
		CHECK_INT(spew(tpath("v2.cdb"), good, len, 0644), 0);
		CHECK_INT(open_code(tpath("v2.cdb")), KP_ERR_VERSION);
		m[11] = 1;
		m[0] = 'K';
		CHECK_INT(spew(tpath("magic.cdb"), good, len, 0644), 0);
		CHECK_INT(open_code(tpath("magic.cdb")), KP_ERR_CORRUPT);
		m[0] = 'k';
		m[12 + 7] ^= 1; /* serial */
		CHECK_INT(spew(tpath("serial.cdb"), good, len, 0644), 0);
		CHECK_INT(open_code(tpath("serial.cdb")), KP_ERR_CORRUPT);
		m[12 + 7] ^= 1;
		CHECK_INT(spew(tpath("again.cdb"), good, len, 0644), 0);
		CHECK_INT(open_code(tpath("again.cdb")), 0);
	}

	/* unsafe files */
	CHECK_INT(spew(tpath("ww.cdb"), good, len, 0666), 0);
	CHECK_INT(open_code(tpath("ww.cdb")), KP_ERR_UNSAFE);
	CHECK_INT(spew(tpath("gw.cdb"), good, len, 0664), 0);
	CHECK_INT(open_code(tpath("gw.cdb")), KP_ERR_UNSAFE);
	unlink(tpath("link.cdb"));
	CHECK_INT(symlink(tpath("good.cdb"), tpath("link.cdb")), 0);
	CHECK_INT(open_code(tpath("link.cdb")), KP_ERR_UNSAFE);
	CHECK_INT(open_code(tmpdir), KP_ERR_UNSAFE);
	if (geteuid() == 0) {
		struct kp_index *ix2 = NULL;

		CHECK_INT(spew(tpath("owned.cdb"), good, len, 0644), 0);
		CHECK_INT(chown(tpath("owned.cdb"), 12345, 12345), 0);
		CHECK_INT(open_code(tpath("owned.cdb")), KP_ERR_UNSAFE);
		CHECK_INT(
		    kp_index_open(tpath("owned.cdb"), 12345, &ix2, NULL), 0);
		kp_index_close(ix2);
	}
out:
	free(good);
	tp_free(&t);
}

struct probe {
	const char *account;
	const char *fp;
	const char *client;
	int64_t now;
	struct kp_decision want;
};

/*
 * Flip every byte of a small index, one at a time, two ways: the reader
 * must refuse the file, refuse the decision, or decide exactly as before;
 * never allow what was refused, never print a line that was not there.
 */
static void
test_flips(void)
{
	struct tpol t;
	struct kp_index *ix;
	struct kp_pubkey *k[4];
	struct lines base[3] = {{0}}, l = {0};
	const char *accs[3] = {"alice", "deploy", "carol"};
	struct probe pr[24];
	struct kp_decision d;
	uint8_t *good;
	size_t len, off, np = 0, i, j, a, opened = 0, refused = 0, bad = 0;
	const char *path;
	uint8_t x;
	int fl, r;

	tp_init(&t, 12);
	for (i = 0; i < 4; i++)
		k[i] = tp_synth(&t, 500 + i);
	tp_entry(&t, "a1", "o1@x", k[0], "alice", NULL, "192.0.2.0/24", NONE_B,
	    5000, "no-pty", "/bin/x");
	tp_entry(&t, "a2", "o1@x", k[0], "deploy", "db-*", NULL, NONE_B, NONE_A,
	    NULL, NULL);
	tp_entry(&t, "b1", "o2@x", k[1], "alice deploy", NULL, NULL, 50, 9000,
	    NULL, NULL);
	tp_entry(&t, "c1", "o3@x", k[2], "carol", NULL, NULL, NONE_B, NONE_A,
	    NULL, NULL);
	tp_entry(&t, "d1", "o4@x", k[3], "alice", NULL, NULL, NONE_B, NONE_A,
	    NULL, NULL);
	tp_revoke(&t, KP_REVOKE_FINGERPRINT, k[2]->fp, NULL);
	tp_revoke(&t, KP_REVOKE_OWNER, "o4@x", NULL);
	ix = compile_open(&t, "flip.cdb", 1000);
	if (ix == NULL)
		goto out;
	for (a = 0; a < 3; a++) {
		for (i = 0; i < 4; i++) {
			pr[np].account = accs[a];
			pr[np].fp = k[i]->fp;
			pr[np].client = i == 0 ? "192.0.2.1" : "10.0.0.1";
			pr[np].now = 100;
			CHECK_INT(decide(ix, pr[np].account, pr[np].fp,
			              pr[np].client, pr[np].now, &pr[np].want),
			    0);
			np++;
		}
		CHECK_INT(ak(ix, accs[a], NULL, 100, &base[a]), 0);
	}
	CHECK(base[0].n == 2 && base[1].n == 1 && base[2].n == 0);
	kp_index_close(ix);
	good = slurp(tpath("flip.cdb"), &len);
	if (good == NULL)
		goto out;
	path = tpath("flipped.cdb");
	for (off = 0; off < len; off++) {
		for (fl = 0; fl < 2; fl++) {
			x = fl == 0 ? 0x01 : 0xff;
			good[off] ^= x;
			if (spew(path, good, len, 0644) != 0)
				bad++;
			good[off] ^= x;
			ix = NULL;
			if (kp_index_open(path, allow, &ix, NULL) != 0) {
				refused++;
				continue;
			}
			opened++;
			for (i = 0; i < np; i++) {
				r = decide(ix, pr[i].account, pr[i].fp,
				    pr[i].client, pr[i].now, &d);
				if (r != 0) {
					if (d.reason != KP_POLICY_UNAVAILABLE)
						bad++;
					continue;
				}
				if (d.reason == KP_ALLOWED &&
				    (pr[i].want.reason != KP_ALLOWED ||
				        strcmp(d.entry_id,
				            pr[i].want.entry_id) != 0)) {
					fprintf(stderr,
					    "offset %zu: %s allowed\n", off,
					    pr[i].fp);
					bad++;
				}
			}
			for (a = 0; a < 3; a++) {
				r = ak(ix, accs[a], NULL, 100, &l);
				for (i = 0; i < l.n; i++) {
					for (j = 0; j < base[a].n; j++) {
						if (strcmp(l.v[i],
						        base[a].v[j]) == 0)
							break;
					}
					if (j == base[a].n) {
						fprintf(stderr,
						    "offset %zu: new line %s\n",
						    off, l.v[i]);
						bad++;
					}
				}
				if (l.n > base[a].n)
					bad++;
			}
			kp_index_close(ix);
		}
	}
	printf("flips: %zu bytes, %zu refused at open, %zu opened\n", len,
	    refused, opened);
	CHECK_INT(bad, 0);
	CHECK(refused > 0);
	free(good);
out:
	for (a = 0; a < 3; a++)
		lines_free(&base[a]);
	lines_free(&l);
	tp_free(&t);
}

/* ------------------------------------------------------ report rows */

struct rowseen {
	size_t n;
	char ids[8][16];
	char text[8][160]; /* "account id fp-prefix revoked from|hosts|cmd" */
};

static int
row_cb(void *arg, const struct kp_index_grant *g)
{
	struct rowseen *s = arg;

	if (s->n >= 8 || g->account == NULL || g->naccounts != 1 ||
	    strcmp(g->accounts[0], g->account) != 0 || g->b64 != NULL ||
	    g->type == NULL || strcmp(g->type, "ssh-ed25519") != 0)
		return KP_ERR_INTERNAL;
	snprintf(s->ids[s->n], sizeof(s->ids[s->n]), "%s", g->id);
	snprintf(s->text[s->n], sizeof(s->text[s->n]),
	    "%s %s %.12s %d %s|%s|%s", g->account, g->id, g->fp, g->revoked,
	    g->nfrom > 0 ? g->from[0] : "-", g->nhosts > 0 ? g->hosts[0] : "-",
	    g->command != NULL ? g->command : "-");
	s->n++;
	return 0;
}

static int
rows_of(struct kp_index *ix, const char *account, struct rowseen *s)
{
	struct kp_index_walk how;

	memset(&how, 0, sizeof(how));
	how.by_account = 1;
	how.account = account;
	memset(s, 0, sizeof(*s));
	return kp_index_foreach(ix, &how, row_cb, s);
}

/*
 * The report's rows: one per account and entry that applies here, a
 * revoked key's too, with from: and hosts: as written; then every flipped
 * byte of the file either fails the walk or gives back only rows that
 * were there.
 */
static void
test_rows(void)
{
	struct tpol t;
	struct kp_index *ix;
	struct kp_pubkey *k[3];
	struct rowseen s, want;
	uint8_t *good;
	size_t len, off, i, j, bad = 0;
	const char *path;
	int r;

	tp_init(&t, 13);
	for (i = 0; i < 3; i++)
		k[i] = tp_synth(&t, 700 + i);
	tp_entry(&t, "a1", "o1@x", k[0], "alice", NULL, "192.0.2.0/24", NONE_B,
	    5000, "no-pty", "/bin/x");
	tp_entry(&t, "a2", "o1@x", k[0], "deploy", "db-*", NULL, NONE_B, NONE_A,
	    NULL, NULL);
	tp_entry(&t, "b1", "o2@x", k[1], "alice deploy", HOST, NULL, NONE_B,
	    NONE_A, NULL, NULL);
	tp_entry(&t, "c1", "o3@x", k[2], "carol", NULL, NULL, NONE_B, NONE_A,
	    NULL, NULL);
	tp_revoke(&t, KP_REVOKE_FINGERPRINT, k[2]->fp, NULL);
	ix = compile_open(&t, "rows.cdb", 1000);
	if (ix == NULL)
		goto out;
	CHECK_INT(rows_of(ix, "alice", &s), 0);
	CHECK_INT(s.n, 2);
	for (i = 0; i < s.n; i++)
		CHECK(strstr(s.text[i],
		          strcmp(s.ids[i], "a1") == 0
		              ? " 0 192.0.2.0/24|-|/bin/x"
		              : " 0 -|" HOST "|-") != NULL);
	CHECK_INT(rows_of(ix, "deploy", &s), 0);
	CHECK_INT(s.n, 1); /* a2 is for db-* only */
	if (s.n == 1)
		CHECK_STR(s.ids[0], "b1");
	CHECK_INT(rows_of(ix, "carol", &s), 0);
	CHECK_INT(s.n, 1);
	if (s.n == 1)
		CHECK(strstr(s.text[0], "carol c1 ") != NULL &&
		    strstr(s.text[0], " 1 -|-|-") != NULL); /* revoked */
	CHECK_INT(rows_of(ix, "nobody", &s), 0);
	CHECK_INT(s.n, 0);
	CHECK_INT(rows_of(ix, NULL, &want), 0);
	CHECK_INT(want.n, 4);
	kp_index_close(ix);
	good = slurp(tpath("rows.cdb"), &len);
	if (good == NULL)
		goto out;
	path = tpath("rows-flipped.cdb");
	for (off = 0; off < len; off++) {
		good[off] ^= 0x01;
		r = spew(path, good, len, 0644);
		good[off] ^= 0x01;
		if (r != 0 || kp_index_open(path, allow, &ix, NULL) != 0)
			continue;
		if (rows_of(ix, NULL, &s) == 0) {
			/* what is given back was there, unchanged */
			for (i = 0; i < s.n; i++) {
				for (j = 0; j < want.n; j++)
					if (strcmp(s.text[i], want.text[j]) ==
					    0)
						break;
				if (j == want.n) {
					fprintf(stderr,
					    "offset %zu: new row %s\n", off,
					    s.text[i]);
					bad++;
				}
			}
		}
		kp_index_close(ix);
	}
	CHECK_INT(bad, 0);
	free(good);
out:
	tp_free(&t);
}

/*
 * A copy of index src in dst with every occurrence of from (in the values
 * of namespace ns) replaced by to, of the same length, and the records'
 * checks made again: damage the checks cannot see, as a writer with a
 * bug would leave it. Returns the number of values changed, -1 on error.
 */
struct rewrite {
	struct cdb_make cm;
	uint8_t ns;
	const char *from, *to;
	size_t flen;
	int changed;
};

static int
rewrite_one(
    const uint8_t *k, unsigned klen, const uint8_t *v, unsigned vlen, void *arg)
{
	struct rewrite *w = arg;
	uint8_t *val;
	size_t i;
	int r = 0;

	if (vlen < KPI_CHECK_LEN || (val = malloc(vlen)) == NULL)
		return -1;
	memcpy(val, v, vlen);
	if (k[0] == w->ns && vlen - KPI_CHECK_LEN >= w->flen) {
		for (i = 0; i + w->flen <= vlen - KPI_CHECK_LEN; i++)
			if (memcmp(val + i, w->from, w->flen) == 0) {
				memcpy(val + i, w->to, w->flen);
				w->changed++;
			}
		if (kp_ix_check(k, klen, val, vlen - KPI_CHECK_LEN,
		        val + vlen - KPI_CHECK_LEN) != 0)
			r = -1;
	}
	if (cdb_make_add(&w->cm, k, klen, val, vlen) != 0)
		r = -1;
	free(val);
	return r;
}

static int
rewrite_values(const char *src, const char *dst, uint8_t ns, const char *from,
    const char *to)
{
	struct rewrite w;
	int out, r;

	memset(&w, 0, sizeof(w));
	w.ns = ns;
	w.from = from;
	w.to = to;
	w.flen = strlen(from);
	if (strlen(to) != w.flen ||
	    (out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
		return -1;
	if (cdb_make_start(&w.cm, out) != 0) {
		close(out);
		return -1;
	}
	r = t_cdb_walk(src, rewrite_one, &w);
	if (cdb_make_finish(&w.cm) != 0)
		r = -1;
	close(out);
	return r != 0 ? -1 : w.changed;
}

static int
count_cb(void *arg, const struct kp_index_grant *g)
{
	(void)g;
	(*(size_t *)arg)++;
	return 0;
}

/*
 * A grant record whose entry id is no entry id (here a space, then a
 * newline, in "a1"), with a check that holds: it is damage, refused by
 * every reader, never an allow or a row or a walk's call naming it.
 */
static void
test_bad_id(void)
{
	static const char *const bad[] = {"a ", "a\n", "a\"", "\xc3\xa9"};
	struct tpol t;
	struct kp_index *ix;
	struct kp_pubkey *k;
	struct kp_index_walk how;
	struct kp_decision d;
	struct lines l = {0};
	struct rowseen s;
	size_t i, n;
	char name[32];

	tp_init(&t, 14);
	k = tp_synth(&t, 800);
	tp_entry(&t, "a1", "o1@x", k, "alice", NULL, NULL, NONE_B, NONE_A, NULL,
	    NULL);
	ix = compile_open(&t, "badid.cdb", 1000);
	if (ix == NULL)
		goto out;
	CHECK_INT(decide(ix, "alice", k->fp, "10.0.0.1", 100, &d), 0);
	CHECK_INT(d.reason, KP_ALLOWED);
	kp_index_close(ix);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(name, sizeof(name), "badid-%zu.cdb", i);
		CHECK_INT(rewrite_values(tpath("badid.cdb"), tpath(name),
		              KPI_NS_FP, "a1", bad[i]),
		    1);
		ix = NULL;
		CHECK_INT(kp_index_open(tpath(name), allow, &ix, NULL), 0);
		if (ix == NULL)
			continue;
		memset(&d, 0, sizeof(d));
		CHECK_INT(decide(ix, "alice", k->fp, "10.0.0.1", 100, &d),
		    KP_ERR_CORRUPT);
		CHECK(d.reason != KP_ALLOWED);
		CHECK(ak(ix, "alice", NULL, 100, &l) != 0);
		CHECK_INT(l.n, 0);
		lines_free(&l);
		CHECK_INT(rows_of(ix, "alice", &s), KP_ERR_CORRUPT);
		CHECK_INT(s.n, 0);
		memset(&how, 0, sizeof(how));
		n = 0;
		CHECK_INT(
		    kp_index_foreach(ix, &how, count_cb, &n), KP_ERR_CORRUPT);
		CHECK_INT(n, 0);
		kp_index_close(ix);
	}
out:
	tp_free(&t);
}

/*
 * The same for a grant annotation whose grant name is no grant id: the
 * decision that would name it, and the report's row, are refused.
 */
static void
test_bad_grant_name(void)
{
	static const char v2[] =
	    "version: 2\nserial: 1\npeople:\n"
	    "  a@x:\n    keys:\n      - {id: a1, key: \"ssh-ed25519 " ALICE_B64
	    "\"}\n"
	    "grants:\n  - {id: g1, to: [a@x], accounts: [alice]}\n";
	struct kp_policy *p = NULL;
	struct kp_index *ix = NULL;
	struct kp_diag diag;
	struct kp_decision d;
	struct rowseen s;

	CHECK_INT(kp_policy_load_buf("v2", v2, strlen(v2), &p, &diag), 0);
	if (p == NULL)
		return;
	CHECK_INT(
	    kp_index_compile(p, HOST, 1000, tpath("grant.cdb"), &diag), 0);
	CHECK_INT(kp_index_open(tpath("grant.cdb"), allow, &ix, NULL), 0);
	if (ix != NULL) {
		CHECK_INT(decide(ix, "alice", ALICE_FP, NULL, 100, &d), 0);
		CHECK_INT(d.reason, KP_ALLOWED);
		CHECK_STR(d.grant, "g1");
		kp_index_close(ix);
	}
	CHECK_INT(rewrite_values(tpath("grant.cdb"), tpath("grant-bad.cdb"),
	              KPI_NS_VIA, "g1", "g\n"),
	    1);
	ix = NULL;
	CHECK_INT(kp_index_open(tpath("grant-bad.cdb"), allow, &ix, NULL), 0);
	if (ix != NULL) {
		memset(&d, 0, sizeof(d));
		CHECK_INT(decide(ix, "alice", ALICE_FP, NULL, 100, &d),
		    KP_ERR_CORRUPT);
		CHECK(d.reason != KP_ALLOWED);
		CHECK_INT(rows_of(ix, "alice", &s), KP_ERR_CORRUPT);
		CHECK_INT(s.n, 0);
		kp_index_close(ix);
	}
	kp_policy_free(p);
}

/* ------------------------------------------------------ failed compiles */

static int
same_file(const char *path, const uint8_t *want, size_t wlen)
{
	uint8_t *b;
	size_t len;
	int same;

	b = slurp(path, &len);
	same = b != NULL && len == wlen && memcmp(b, want, len) == 0;
	free(b);
	return same;
}

static void
test_failed_compile(void)
{
	struct tpol t, bad1, bad2;
	struct kp_diag diag;
	struct kp_pubkey *k;
	uint8_t *orig;
	size_t len, i, before;
	char sub[PATH_MAX], id[16];
	struct kp_index *ix;
	pid_t pid;
	int st;

	mkdir(tpath("fail"), 0755);
	snprintf(sub, sizeof(sub), "%s/fail/policy.cdb", tmpdir);
	tp_init(&t, 20);
	tp_entry(&t, "a", "o@x", tp_synth(&t, 1), "alice", NULL, NULL, NONE_B,
	    NONE_A, NULL, NULL);
	CHECK_INT(kp_index_compile(&t.p, HOST, 1000, sub, &diag), 0);
	orig = slurp(sub, &len);
	CHECK(orig != NULL);
	if (orig == NULL)
		goto out;
	before = count_dir(tpath("fail"));

	/* one key, two owners: refused half way through writing */
	tp_init(&bad1, 21);
	k = tp_synth(&bad1, 2);
	tp_entry(&bad1, "x1", "one@x", k, "alice", NULL, NULL, NONE_B, NONE_A,
	    NULL, NULL);
	tp_entry(&bad1, "x2", "two@x", k, "alice", NULL, NULL, NONE_B, NONE_A,
	    NULL, NULL);
	CHECK_INT(
	    kp_index_compile(&bad1.p, HOST, 1000, sub, &diag), KP_ERR_INVALID);
	CHECK_CONTAINS(diag.msg, "owner");
	CHECK_STR(diag.file, "test-policy.yaml");
	CHECK_INT(diag.line, 2);
	CHECK(same_file(sub, orig, len));
	CHECK_INT(count_dir(tpath("fail")), before);

	/* more entries for one key than a reader will take */
	tp_init(&bad2, 22);
	k = tp_synth(&bad2, 3);
	for (i = 0; i < KPI_MAX_RECORDS_PER_KEY + 1; i++) {
		snprintf(id, sizeof(id), "e%zu", i);
		tp_entry(&bad2, id, "o@x", k, "alice", NULL, NULL, NONE_B,
		    NONE_A, NULL, NULL);
	}
	CHECK_INT(
	    kp_index_compile(&bad2.p, HOST, 1000, sub, &diag), KP_ERR_TOOBIG);
	CHECK(diag.msg[0] != '\0');
	CHECK(same_file(sub, orig, len));
	CHECK_INT(count_dir(tpath("fail")), before);
	/* exactly the limit is fine */
	bad2.p.nentries = KPI_MAX_RECORDS_PER_KEY;
	CHECK_INT(
	    kp_index_compile(&bad2.p, HOST, 1000, tpath("limit.cdb"), &diag),
	    0);
	bad2.p.nentries = KPI_MAX_RECORDS_PER_KEY + 1;

	/* an invalid host, a directory in the way, a missing directory */
	CHECK_INT(kp_index_compile(&t.p, "", 1000, sub, &diag), KP_ERR_ARG);
	CHECK_INT(kp_index_compile(&t.p, HOST, 1000, tpath("fail"), &diag),
	    KP_ERR_IO);
	CHECK_INT(count_dir(tpath("fail")), before);
	CHECK_INT(
	    kp_index_compile(&t.p, HOST, 1000, tpath("nodir/x.cdb"), &diag),
	    KP_ERR_IO);
	CHECK(diag.msg[0] != '\0');

	/* a directory we may not write to */
	if (geteuid() == 0) {
		fflush(NULL);
		pid = fork();
		if (pid == 0) {
			if (setgid(65534) != 0 || setuid(65534) != 0)
				_exit(99);
			_exit(kp_index_compile(&t.p, HOST, 1000, sub, &diag) ==
			            KP_ERR_IO
			        ? 0
			        : 1);
		}
		CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	} else {
		CHECK_INT(chmod(tpath("fail"), 0555), 0);
		CHECK_INT(
		    kp_index_compile(&t.p, HOST, 1000, sub, &diag), KP_ERR_IO);
		chmod(tpath("fail"), 0755);
	}
	CHECK(same_file(sub, orig, len));
	CHECK_INT(count_dir(tpath("fail")), before);
	/* and the old index still works */
	ix = NULL;
	CHECK_INT(kp_index_open(sub, allow, &ix, NULL), 0);
	CHECK_INT(kp_index_meta(ix) ? kp_index_meta(ix)->serial : 0, 20);
	kp_index_close(ix);
	free(orig);
	tp_free(&bad1);
	tp_free(&bad2);
out:
	tp_free(&t);
}

/* ----------------------------------------------------- through the YAML */

static const char yaml[] =
    "version: 1\n"
    "serial: 42\n"
    "expires: 2030-01-01T00:00:00Z\n"
    "networks:\n"
    "  office: [192.0.2.0/24, \"2001:db8:10::/48\"]\n"
    "keys:\n"
    "  - id: alice-laptop\n"
    "    owner: alice@example.com\n"
    "    key: ssh-ed25519 " ALICE_B64 " alice@laptop\n"
    "    accounts: [alice, deploy]\n"
    "    hosts: [\"web-*\"]\n"
    "    from: [office, 198.51.100.7]\n"
    "    not_before: 2026-01-01\n"
    "    expires: 2027-01-01T00:00:00Z\n"
    "    options: [no-port-forwarding, no-agent-forwarding]\n"
    "  - id: alice-db\n"
    "    owner: alice@example.com\n"
    "    key: ssh-ed25519 " ALICE_B64 "\n"
    "    accounts: [alice, root]\n"
    "    hosts: [\"db-*\"]\n"
    "  - id: bob-backup\n"
    "    owner: bob@example.com\n"
    "    key: ecdsa-sha2-nistp256 " BOB_B64 "\n"
    "    accounts: [backup]\n"
    "    command: /usr/local/bin/backup-only\n"
    "revoked:\n"
    "  - owner: mallory@example.com\n"
    "    reason: offboarded\n";

static void
test_yaml(void)
{
	struct kp_policy *p = NULL;
	struct kp_index *ix = NULL;
	struct kp_diag diag;
	struct lines l = {0};
	const char *why = NULL;
	const char *accs[] = {"alice", "deploy", "root", "backup", "carol"};
	const char *fps[] = {ALICE_FP, BOB_FP,
	    "SHA256:N9+M2yNQyJYAEHa18o7LjfVSlMI47DPW+uzt56yWWuM"};
	const char *clients[] = {NULL, "192.0.2.7", "::ffff:198.51.100.7",
	    "2001:db8:10::9", "203.0.113.1", "junk"};
	int64_t times[4] = {0};
	size_t a, f, c, i;
	int r;

	r = kp_policy_load_buf("yaml-test", yaml, strlen(yaml), &p, &diag);
	if (r != 0) {
		char msg[1024];

		kp_diag_format(&diag, msg, sizeof(msg));
		fprintf(stderr, "load: %s\n", msg);
	}
	CHECK_INT(r, 0);
	if (p == NULL)
		return;
	CHECK_INT(kp_index_compile(p, HOST, 1000, tpath("yaml.cdb"), &diag), 0);
	CHECK_INT(kp_index_open(tpath("yaml.cdb"), allow, &ix, &why), 0);
	if (ix == NULL)
		goto out;
	CHECK_INT(kp_index_meta(ix)->serial, 42);
	CHECK_STR(kp_index_meta(ix)->sha256, p->sha256);
	CHECK_INT(kp_index_meta(ix)->nentries, 2);
	CHECK_INT(kp_index_meta(ix)->nkeys, 2);
	CHECK_INT(kp_time_parse("2025-06-01", &times[0]), 0);
	CHECK_INT(kp_time_parse("2026-01-01", &times[1]), 0);
	CHECK_INT(kp_time_parse("2026-12-31T23:59:59Z", &times[2]), 0);
	CHECK_INT(kp_time_parse("2027-01-01", &times[3]), 0);
	for (a = 0; a < 5; a++)
		for (f = 0; f < 3; f++)
			for (c = 0; c < 6; c++)
				for (i = 0; i < 4; i++)
					same_as_policy(p, ix, accs[a], fps[f],
					    clients[c], times[i]);
	CHECK_INT(ak(ix, "deploy", NULL, times[1], &l), 0);
	CHECK_INT(l.n, 1);
	if (l.n == 1)
		CHECK_STR(l.v[0],
		    "from=\"192.0.2.0/24,2001:db8:10::/48,198.51.100.7\","
		    "expiry-time=\"20270101000000Z\",no-port-forwarding,"
		    "no-agent-forwarding ssh-ed25519 " ALICE_B64
		    " keyauth:alice-laptop");
	CHECK_INT(ak(ix, "root", NULL, times[1], &l), 0);
	CHECK_INT(l.n, 0);
	CHECK_INT(ak(ix, "backup", BOB_FP, times[1], &l), 0);
	CHECK_INT(l.n, 1);
	if (l.n == 1)
		CHECK_STR(l.v[0],
		    "command=\"/usr/local/bin/backup-only\" "
		    "ecdsa-sha2-nistp256 " BOB_B64 " keyauth:bob-backup");
out:
	kp_index_close(ix);
	lines_free(&l);
	kp_policy_free(p);
}

int
main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kp-index-test.XXXXXX");
	if (mkdtemp(tmpdir) == NULL || chmod(tmpdir, 0755) != 0) {
		perror("mkdtemp");
		return 99;
	}
	allow = geteuid() == 0 ? (uid_t)-1 : geteuid();
	test_empty();
	test_one_key();
	test_other_host();
	test_accounts_and_entries();
	test_hosts_and_revocations();
	test_stale();
	test_many();
	test_unsafe_and_junk();
	test_flips();
	test_rows();
	test_bad_id();
	test_bad_grant_name();
	test_failed_compile();
	test_yaml();
	{
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", tmpdir);
	}
	return t_done();
}
