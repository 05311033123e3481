/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * Failure injection in the policy loader. The program is linked with
 * -Wl,--wrap= for malloc, calloc, realloc, reallocarray, strdup, strndup
 * and read, so every call the library's own code makes goes through the
 * wrappers below (libyaml's and OpenSSL's internal allocations are theirs
 * and are not counted). For a reference load of a real policy:
 *
 *  - allocation N fails, for every N from 1 to the number of allocations
 *    the load makes: the load must fail with an error and a message, hand
 *    out no policy, and free everything it allocated (a live-pointer set
 *    counts what is left);
 *  - read call N fails with EIO (kp_policy_load and the KP_LOAD_SAFE path):
 *    the load must fail;
 *  - reads are cut short (one byte at a time) or interrupted (EINTR): the
 *    load must give exactly the reference policy.
 *
 * A load that succeeds despite a failed allocation would also be accepted
 * only if it decides exactly as the reference (none does today: the test
 * reports it). Never an allow that the reference would deny.
 */

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyauth-policy.h"
#include "../unit/test.h"

void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
void *__real_reallocarray(void *, size_t, size_t);
char *__real_strdup(const char *);
char *__real_strndup(const char *, size_t);
void __real_free(void *);
ssize_t __real_read(int, void *, size_t);

void *__wrap_malloc(size_t);
void *__wrap_calloc(size_t, size_t);
void *__wrap_realloc(void *, size_t);
void *__wrap_reallocarray(void *, size_t, size_t);
char *__wrap_strdup(const char *);
char *__wrap_strndup(const char *, size_t);
void __wrap_free(void *);
ssize_t __wrap_read(int, void *, size_t);

/* ------------------------------------------------------------ the wrappers */

static int armed; /* count and inject only while loading */
static unsigned long nalloc; /* allocations seen while armed */
static unsigned long fail_at; /* fail this allocation (1-based); 0: none */
static unsigned long nread;
static unsigned long read_fail_at;
static int read_mode; /* 0 normal, 1 one byte at a time, 2 EINTR first */

/* Live pointers handed out while armed: open addressing, no removal holes. */
#define LIVE_CAP 65536
static void *live[LIVE_CAP];
static size_t nlive;

static size_t
slot_of(const void *p)
{
	uintptr_t h = (uintptr_t)p;

	h ^= h >> 17;
	h *= 0x9e3779b97f4a7c15ULL;
	return (size_t)(h >> 40) & (LIVE_CAP - 1);
}

static void
live_add(void *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = slot_of(p); live[i] != NULL; i = (i + 1) & (LIVE_CAP - 1))
		;
	live[i] = p;
	nlive++;
}

/* Backward-shift deletion keeps probe chains intact. */
static void
live_del(void *p)
{
	size_t i, j, k;

	if (p == NULL)
		return;
	for (i = slot_of(p); live[i] != NULL; i = (i + 1) & (LIVE_CAP - 1)) {
		if (live[i] != p)
			continue;
		live[i] = NULL;
		nlive--;
		for (j = (i + 1) & (LIVE_CAP - 1); live[j] != NULL;
		     j = (j + 1) & (LIVE_CAP - 1)) {
			k = slot_of(live[j]);
			if ((j > i && (k <= i || k > j)) ||
			    (j < i && (k <= i && k > j))) {
				live[i] = live[j];
				live[j] = NULL;
				i = j;
			}
		}
		return;
	}
}

static int
inject(void)
{
	if (!armed)
		return 0;
	nalloc++;
	return fail_at != 0 && nalloc == fail_at;
}

void *
__wrap_malloc(size_t n)
{
	void *p;

	if (inject()) {
		errno = ENOMEM;
		return NULL;
	}
	p = __real_malloc(n);
	if (armed)
		live_add(p);
	return p;
}

void *
__wrap_calloc(size_t a, size_t b)
{
	void *p;

	if (inject()) {
		errno = ENOMEM;
		return NULL;
	}
	p = __real_calloc(a, b);
	if (armed)
		live_add(p);
	return p;
}

void *
__wrap_realloc(void *old, size_t n)
{
	void *p;

	if (inject()) {
		errno = ENOMEM;
		return NULL;
	}
	p = __real_realloc(old, n);
	if (armed && p != NULL) {
		live_del(old);
		live_add(p);
	}
	return p;
}

void *
__wrap_reallocarray(void *old, size_t a, size_t b)
{
	void *p;

	if (inject()) {
		errno = ENOMEM;
		return NULL;
	}
	p = __real_reallocarray(old, a, b);
	if (armed && p != NULL) {
		live_del(old);
		live_add(p);
	}
	return p;
}

char *
__wrap_strdup(const char *s)
{
	char *p;

	if (inject()) {
		errno = ENOMEM;
		return NULL;
	}
	p = __real_strdup(s);
	if (armed)
		live_add(p);
	return p;
}

char *
__wrap_strndup(const char *s, size_t n)
{
	char *p;

	if (inject()) {
		errno = ENOMEM;
		return NULL;
	}
	p = __real_strndup(s, n);
	if (armed)
		live_add(p);
	return p;
}

void
__wrap_free(void *p)
{
	/* frees of memory libc or libyaml allocated are simply not tracked */
	live_del(p);
	__real_free(p);
}

ssize_t
__wrap_read(int fd, void *buf, size_t n)
{
	if (armed) {
		nread++;
		if (read_fail_at != 0 && nread == read_fail_at) {
			errno = EIO;
			return -1;
		}
		if (read_mode == 2 && nread % 2 == 1) {
			errno = EINTR;
			return -1;
		}
		if (read_mode == 1 && n > 1)
			n = 1;
	}
	return __real_read(fd, buf, n);
}

/* ------------------------------------------------------------- the test */

static char path[4096];
static const char *accounts[] = {"alice", "deploy", "root", "frank", "dave"};

/* Every decision of p for the reference's keys and a few accounts/clients. */
static void
decisions(const struct kp_policy *ref, const struct kp_policy *p, char *out,
    size_t len)
{
	static const char *clients[] = {NULL, "192.0.2.10", "10.8.1.1"};
	struct kp_request req;
	struct kp_decision d;
	size_t i, a, c, off = 0;

	out[0] = '\0';
	for (i = 0; i < ref->nentries; i++) {
		for (a = 0; a < sizeof(accounts) / sizeof(accounts[0]); a++) {
			for (c = 0; c < 3; c++) {
				memset(&req, 0, sizeof(req));
				req.account = accounts[a];
				req.fp = ref->entries[i].key->fp;
				req.client = clients[c];
				req.host = "web-01";
				req.now = 1767225600;
				if (kp_policy_decide(p, &req, &d) != 0)
					d.reason = KP_POLICY_UNAVAILABLE;
				off += (size_t)snprintf(out + off,
				    off < len ? len - off : 0, "%s:%s ",
				    kp_reason_str(d.reason), d.entry_id);
			}
		}
	}
}

static int
load(struct kp_policy **p, struct kp_diag *diag, unsigned flags)
{
	int r;

	memset(diag, 0, sizeof(*diag));
	nalloc = nread = 0;
	armed = 1;
	r = kp_policy_load(path, flags, p, diag);
	armed = 0;
	return r;
}

static void
run_file(const char *file, unsigned flags)
{
	static char want[1 << 16], got[1 << 16];
	struct kp_policy *ref = NULL, *p = NULL;
	struct kp_diag diag;
	unsigned long total, n, reads, errors = 0, leaks = 0, allowed = 0;
	unsigned long successes = 0;
	int r;

	T_CASE("%s (%s)", file, flags ? "safe" : "plain");
	snprintf(path, sizeof(path), "%s/tests/data/valid/%s",
	    getenv("top_srcdir") != NULL ? getenv("top_srcdir") : "..", file);
	fail_at = read_fail_at = 0;
	read_mode = 0;
	r = load(&ref, &diag, flags);
	CHECK_INT(r, 0);
	if (ref == NULL)
		return;
	total = nalloc;
	reads = nread;
	kp_policy_free(ref);
	ref = NULL;
	CHECK(nlive == 0);
	r = load(&ref, &diag, flags);
	CHECK_INT(r, 0);
	CHECK(nalloc == total); /* deterministic, or N does not mean the same */
	decisions(ref, ref, want, sizeof(want));
	CHECK(total >= 3);
	/* the reference stays allocated: only what each load leaves counts */
	memset(live, 0, sizeof(live));
	nlive = 0;

	for (n = 1; n <= total; n++) {
		fail_at = n;
		p = (struct kp_policy *)1;
		r = load(&p, &diag, flags);
		fail_at = 0;
		if (r == 0) {
			/* a swallowed failure must not change any decision */
			successes++;
			decisions(ref, p, got, sizeof(got));
			if (strcmp(want, got) != 0) {
				allowed++;
				fprintf(stderr,
				    "%s: allocation %lu failed, the "
				    "load succeeded and decides differently\n",
				    file, n);
			}
			kp_policy_free(p);
		} else {
			if (p != NULL || diag.msg[0] == '\0')
				errors++;
		}
		if (nlive != 0) {
			leaks++;
			fprintf(stderr,
			    "%s: allocation %lu failed: %zu blocks "
			    "left allocated\n",
			    file, n, nlive);
			memset(live, 0, sizeof(live));
			nlive = 0;
		}
	}
	printf("# %s (%s): %lu allocations failed one at a time; %lu loads "
	       "still succeeded\n",
	    file, flags ? "safe" : "plain", total, successes);
	CHECK_INT((int)allowed, 0);
	CHECK_INT((int)errors, 0);
	CHECK_INT((int)leaks, 0);

	/* read() failing at every call the load makes */
	for (n = 1; n <= reads; n++) {
		read_fail_at = n;
		p = (struct kp_policy *)1;
		r = load(&p, &diag, flags);
		read_fail_at = 0;
		CHECK(r == KP_ERR_IO && p == NULL);
		CHECK(strncmp(diag.msg, "read error: ", 12) == 0);
		CHECK(nlive == 0);
	}
	/* short and interrupted reads give the same policy */
	for (read_mode = 1; read_mode <= 2; read_mode++) {
		r = load(&p, &diag, flags);
		CHECK_INT(r, 0);
		if (r == 0) {
			CHECK_STR(p->sha256, ref->sha256);
			decisions(ref, p, got, sizeof(got));
			CHECK(strcmp(want, got) == 0);
			kp_policy_free(p);
		}
	}
	read_mode = 0;
	kp_policy_free(ref);
}

int
main(void)
{
	run_file("engineers.yaml", 0);
	run_file("support-vendor-revoked.yaml", 0);
	run_file("offboarded-owner.yaml", 0);
	/* the installed-policy path (kp_file_read_safe) needs a root-owned file */
	if (geteuid() == 0)
		run_file("minimal.yaml", KP_LOAD_SAFE);
	return t_done();
}
