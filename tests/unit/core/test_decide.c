/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kp_decide: every reason code it can produce, the stage precedence
 * between grants, the time boundaries and address families.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "keyauth.h"
#include "../test.h"

#define NONE_B KP_TIME_NONE_BEFORE
#define NONE_A KP_TIME_NONE_AFTER

static const char *const acc_alice[] = {"alice"};
static const char *const acc_bob[] = {"bob"};
static const char *const acc_two[] = {"deploy", "alice"};

/* Filled by setup() through the real address parser. */
static struct kp_cidr src4[2]; /* 192.0.2.0/24, 198.51.100.7 */
static struct kp_cidr src6[1]; /* 2001:db8:10::/48 */

#define G(id, acc, n, host, src, nsrc, nb, exp) \
	{ \
		id, "owner@example.com", acc, n, host, src, nsrc, nb, exp, \
		    NULL, NULL \
	}

/* Grant sets, each a small policy for one key. */
enum {
	S_OPEN, /* alice, anywhere, forever */
	S_SRC4,
	S_SRC6,
	S_TIME, /* valid [1000, 2000) */
	S_HOST, /* alice, other host */
	S_TWOACC,
	S_ACC_HOST, /* bob; alice on another host */
	S_HOST_SRC, /* alice on another host; alice from src4 */
	S_SRC_TIME, /* alice from src4; alice in [1000,2000) */
	S_TIE, /* two grants failing at the host stage */
	S_FIRST_OK, /* bob; alice ok (a); alice ok (b) */
	S_TIME_SRC6, /* alice expired; alice v6 only */
	S_NSETS
};

static struct kp_grant sets[S_NSETS][3];
static size_t nsets[S_NSETS];

static void
setup(void)
{
	const char *why = NULL;

	CHECK_INT(kp_cidr_parse("192.0.2.0/24", &src4[0], &why), 0);
	CHECK_INT(kp_cidr_parse("198.51.100.7", &src4[1], &why), 0);
	CHECK_INT(kp_cidr_parse("2001:db8:10::/48", &src6[0], &why), 0);

	struct kp_grant open =
	    G("g-open", acc_alice, 1, 1, NULL, 0, NONE_B, NONE_A);
	struct kp_grant s4 =
	    G("g-src4", acc_alice, 1, 1, src4, 2, NONE_B, NONE_A);
	struct kp_grant s6 =
	    G("g-src6", acc_alice, 1, 1, src6, 1, NONE_B, NONE_A);
	struct kp_grant tm = G("g-time", acc_alice, 1, 1, NULL, 0, 1000, 2000);
	struct kp_grant host =
	    G("g-host", acc_alice, 1, 0, NULL, 0, NONE_B, NONE_A);
	struct kp_grant two =
	    G("g-two", acc_two, 2, 1, NULL, 0, NONE_B, NONE_A);
	struct kp_grant bob =
	    G("g-bob", acc_bob, 1, 1, NULL, 0, NONE_B, NONE_A);
	struct kp_grant host2 =
	    G("g-host2", acc_alice, 1, 0, NULL, 0, NONE_B, NONE_A);
	struct kp_grant ok_a =
	    G("g-ok-a", acc_alice, 1, 1, NULL, 0, NONE_B, NONE_A);
	struct kp_grant ok_b =
	    G("g-ok-b", acc_alice, 1, 1, NULL, 0, NONE_B, NONE_A);
	struct kp_grant old = G("g-old", acc_alice, 1, 1, NULL, 0, NONE_B, 50);

	sets[S_OPEN][0] = open;
	nsets[S_OPEN] = 1;
	sets[S_SRC4][0] = s4;
	nsets[S_SRC4] = 1;
	sets[S_SRC6][0] = s6;
	nsets[S_SRC6] = 1;
	sets[S_TIME][0] = tm;
	nsets[S_TIME] = 1;
	sets[S_HOST][0] = host;
	nsets[S_HOST] = 1;
	sets[S_TWOACC][0] = two;
	nsets[S_TWOACC] = 1;
	sets[S_ACC_HOST][0] = bob;
	sets[S_ACC_HOST][1] = host;
	nsets[S_ACC_HOST] = 2;
	sets[S_HOST_SRC][0] = host;
	sets[S_HOST_SRC][1] = s4;
	nsets[S_HOST_SRC] = 2;
	sets[S_SRC_TIME][0] = s4;
	sets[S_SRC_TIME][1] = tm;
	nsets[S_SRC_TIME] = 2;
	sets[S_TIE][0] = host;
	sets[S_TIE][1] = host2;
	nsets[S_TIE] = 2;
	sets[S_FIRST_OK][0] = bob;
	sets[S_FIRST_OK][1] = ok_a;
	sets[S_FIRST_OK][2] = ok_b;
	nsets[S_FIRST_OK] = 3;
	sets[S_TIME_SRC6][0] = old;
	sets[S_TIME_SRC6][1] = s6;
	nsets[S_TIME_SRC6] = 2;
}

struct tcase {
	const char *name;
	int set; /* -1: no grants */
	int revoked;
	int64_t policy_expires;
	const char *account;
	const char *client;
	int64_t now;
	enum kp_reason want;
	const char *want_id;
};

static const struct tcase cases[] = {
    {"allowed", S_OPEN, 0, NONE_A, "alice", "10.1.2.3", 100, KP_ALLOWED,
        "g-open"},
    {"allowed without client", S_OPEN, 0, NONE_A, "alice", NULL, 100,
        KP_ALLOWED, "g-open"},
    {"unknown key", -1, 0, NONE_A, "alice", "10.1.2.3", 100, KP_UNKNOWN_KEY,
        ""},
    {"revoked", S_OPEN, 1, NONE_A, "alice", "10.1.2.3", 100, KP_REVOKED, ""},
    {"revoked without grants", -1, 1, NONE_A, "alice", NULL, 100, KP_REVOKED,
        ""},
    {"account not allowed", S_OPEN, 0, NONE_A, "bob", "10.1.2.3", 100,
        KP_ACCOUNT_NOT_ALLOWED, "g-open"},
    {"account NULL", S_OPEN, 0, NONE_A, NULL, "10.1.2.3", 100,
        KP_ACCOUNT_NOT_ALLOWED, "g-open"},
    {"account prefix is not a match", S_OPEN, 0, NONE_A, "alic", "10.1.2.3",
        100, KP_ACCOUNT_NOT_ALLOWED, "g-open"},
    {"second account of a grant", S_TWOACC, 0, NONE_A, "alice", NULL, 100,
        KP_ALLOWED, "g-two"},
    {"host not allowed", S_HOST, 0, NONE_A, "alice", "10.1.2.3", 100,
        KP_HOST_NOT_ALLOWED, "g-host"},
    {"source allowed (net)", S_SRC4, 0, NONE_A, "alice", "192.0.2.77", 100,
        KP_ALLOWED, "g-src4"},
    {"source allowed (address)", S_SRC4, 0, NONE_A, "alice", "198.51.100.7",
        100, KP_ALLOWED, "g-src4"},
    {"source not allowed", S_SRC4, 0, NONE_A, "alice", "198.51.100.8", 100,
        KP_SOURCE_NOT_ALLOWED, "g-src4"},
    {"source unknown (NULL)", S_SRC4, 0, NONE_A, "alice", NULL, 100,
        KP_SOURCE_UNKNOWN, "g-src4"},
    {"source unknown (empty)", S_SRC4, 0, NONE_A, "alice", "", 100,
        KP_SOURCE_UNKNOWN, "g-src4"},
    {"source unknown (garbage)", S_SRC4, 0, NONE_A, "alice", "not-an-address",
        100, KP_SOURCE_UNKNOWN, "g-src4"},
    {"source unknown (hostname)", S_SRC4, 0, NONE_A, "alice",
        "client.example.com", 100, KP_SOURCE_UNKNOWN, "g-src4"},
    {"source unknown (CIDR as client)", S_SRC4, 0, NONE_A, "alice",
        "192.0.2.0/24", 100, KP_SOURCE_UNKNOWN, "g-src4"},
    {"IPv4-mapped IPv6 client", S_SRC4, 0, NONE_A, "alice", "::ffff:192.0.2.5",
        100, KP_ALLOWED, "g-src4"},
    {"IPv4-mapped IPv6 client outside", S_SRC4, 0, NONE_A, "alice",
        "::ffff:192.0.3.5", 100, KP_SOURCE_NOT_ALLOWED, "g-src4"},
    {"IPv6 source", S_SRC6, 0, NONE_A, "alice", "2001:db8:10:ffff::1", 100,
        KP_ALLOWED, "g-src6"},
    {"IPv6 source outside", S_SRC6, 0, NONE_A, "alice", "2001:db8:11::1", 100,
        KP_SOURCE_NOT_ALLOWED, "g-src6"},
    {"IPv4 client, IPv6 source", S_SRC6, 0, NONE_A, "alice", "192.0.2.5", 100,
        KP_SOURCE_NOT_ALLOWED, "g-src6"},
    {"not yet valid", S_TIME, 0, NONE_A, "alice", NULL, 999, KP_NOT_YET_VALID,
        "g-time"},
    {"now == not_before", S_TIME, 0, NONE_A, "alice", NULL, 1000, KP_ALLOWED,
        "g-time"},
    {"last second", S_TIME, 0, NONE_A, "alice", NULL, 1999, KP_ALLOWED,
        "g-time"},
    {"now == expires", S_TIME, 0, NONE_A, "alice", NULL, 2000, KP_EXPIRED,
        "g-time"},
    {"expired", S_TIME, 0, NONE_A, "alice", NULL, 5000, KP_EXPIRED, "g-time"},
    {"policy stale (now == expires)", S_OPEN, 0, 500, "alice", NULL, 500,
        KP_POLICY_STALE, ""},
    {"policy fresh (now < expires)", S_OPEN, 0, 500, "alice", NULL, 499,
        KP_ALLOWED, "g-open"},
    {"stale wins over revoked", S_OPEN, 1, 500, "alice", NULL, 600,
        KP_POLICY_STALE, ""},
    {"stale wins over unknown key", -1, 0, 500, "alice", NULL, 600,
        KP_POLICY_STALE, ""},
    {"revoked wins over allowed", S_FIRST_OK, 1, NONE_A, "alice", NULL, 100,
        KP_REVOKED, ""},
    /* precedence: the grant that got furthest decides */
    {"account vs host", S_ACC_HOST, 0, NONE_A, "alice", NULL, 100,
        KP_HOST_NOT_ALLOWED, "g-host"},
    {"account vs host, account nowhere", S_ACC_HOST, 0, NONE_A, "carol", NULL,
        100, KP_ACCOUNT_NOT_ALLOWED, "g-bob"},
    {"host vs source", S_HOST_SRC, 0, NONE_A, "alice", "10.0.0.1", 100,
        KP_SOURCE_NOT_ALLOWED, "g-src4"},
    {"host vs source, unknown client", S_HOST_SRC, 0, NONE_A, "alice", NULL,
        100, KP_SOURCE_UNKNOWN, "g-src4"},
    {"host vs allowed source", S_HOST_SRC, 0, NONE_A, "alice", "192.0.2.1", 100,
        KP_ALLOWED, "g-src4"},
    {"source vs time", S_SRC_TIME, 0, NONE_A, "alice", "10.0.0.1", 5000,
        KP_EXPIRED, "g-time"},
    {"source vs time, source ok", S_SRC_TIME, 0, NONE_A, "alice", "192.0.2.1",
        5000, KP_ALLOWED, "g-src4"},
    {"source vs time, time ok", S_SRC_TIME, 0, NONE_A, "alice", "10.0.0.1",
        1500, KP_ALLOWED, "g-time"},
    {"tie goes to the first", S_TIE, 0, NONE_A, "alice", NULL, 100,
        KP_HOST_NOT_ALLOWED, "g-host"},
    {"first allowing grant", S_FIRST_OK, 0, NONE_A, "alice", NULL, 100,
        KP_ALLOWED, "g-ok-a"},
    {"time stage beats source stage", S_TIME_SRC6, 0, NONE_A, "alice",
        "192.0.2.1", 100, KP_EXPIRED, "g-old"},
    {"later grant allows", S_TIME_SRC6, 0, NONE_A, "alice", "2001:db8:10::5",
        100, KP_ALLOWED, "g-src6"},
};

static void
run_cases(void)
{
	struct kp_decision d;
	struct kp_request req;
	const struct tcase *c;
	size_t i;
	int seen[KP_REASON_COUNT] = {0};

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = &cases[i];
		memset(&req, 0, sizeof(req));
		req.account = c->account;
		req.fp = "SHA256:e2+9z/ZD72j76avt4diRXcfo+nNzqMfj93zvvCaBJ/4";
		req.client = c->client;
		req.host = "web-01";
		req.now = c->now;
		memset(&d, 0x5a, sizeof(d));
		kp_decide(c->policy_expires, c->revoked,
		    c->set < 0 ? NULL : sets[c->set],
		    c->set < 0 ? 0 : nsets[c->set], &req, &d);
		if (d.reason != c->want || strcmp(d.entry_id, c->want_id) != 0)
			fprintf(stderr, "case \"%s\": got %s/%s, want %s/%s\n",
			    c->name, kp_reason_str(d.reason), d.entry_id,
			    kp_reason_str(c->want), c->want_id);
		CHECK_INT(d.reason, c->want);
		CHECK_STR(d.entry_id, c->want_id);
		/* the owner is known whenever there is a grant */
		CHECK_STR(d.owner, c->set < 0 ? "" : "owner@example.com");
		/* left to the caller, but never garbage */
		CHECK_INT(d.policy_serial, 0);
		CHECK_STR(d.policy_sha256, "");
		seen[d.reason] = 1;
	}
	/* Every reason kp_decide can produce was produced. */
	CHECK(seen[KP_ALLOWED]);
	CHECK(seen[KP_UNKNOWN_KEY]);
	CHECK(seen[KP_REVOKED]);
	CHECK(seen[KP_ACCOUNT_NOT_ALLOWED]);
	CHECK(seen[KP_HOST_NOT_ALLOWED]);
	CHECK(seen[KP_SOURCE_NOT_ALLOWED]);
	CHECK(seen[KP_SOURCE_UNKNOWN]);
	CHECK(seen[KP_NOT_YET_VALID]);
	CHECK(seen[KP_EXPIRED]);
	CHECK(seen[KP_POLICY_STALE]);
}

static void
test_reason_names(void)
{
	static const char *const want[KP_REASON_COUNT] = {"allowed",
	    "unknown_key", "revoked", "account_not_allowed", "host_not_allowed",
	    "source_not_allowed", "source_unknown", "not_yet_valid", "expired",
	    "no_key", "key_mismatch", "policy_unavailable", "policy_stale",
	    "principal_not_allowed", "cert_invalid"};
	int i;

	for (i = 0; i < KP_REASON_COUNT; i++)
		CHECK_STR(kp_reason_str((enum kp_reason)i), want[i]);
	CHECK_STR(kp_reason_str(KP_REASON_COUNT), "policy_unavailable");
	CHECK_STR(kp_reason_str((enum kp_reason) - 1), "policy_unavailable");
}

static void
test_odd_inputs(void)
{
	struct kp_decision d;
	struct kp_request req = {"alice", "SHA256:x", NULL, "web-01", 100};
	struct kp_grant g = sets[S_OPEN][0];
	char longid[200];

	/* no request: refused */
	memset(&d, 0, sizeof(d));
	kp_decide(NONE_A, 0, &g, 1, NULL, &d);
	CHECK_INT(d.reason, KP_POLICY_UNAVAILABLE);
	/* NULL grants with a count: treated as none */
	kp_decide(NONE_A, 0, NULL, 5, &req, &d);
	CHECK_INT(d.reason, KP_UNKNOWN_KEY);
	/* NULL out: must not crash */
	kp_decide(NONE_A, 0, &g, 1, &req, NULL);
	/* sources claimed but missing: refused */
	g.nsources = 2;
	g.sources = NULL;
	req.client = "192.0.2.1";
	kp_decide(NONE_A, 0, &g, 1, &req, &d);
	CHECK(d.reason != KP_ALLOWED);
	/* over-long id and owner are cut, always terminated */
	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	g = sets[S_OPEN][0];
	g.id = longid;
	kp_decide(NONE_A, 0, &g, 1, &req, &d);
	CHECK_INT(d.reason, KP_ALLOWED);
	CHECK_INT(strlen(d.entry_id), KP_ID_MAX);
	/* NULL account list and NULL id do not crash */
	g.accounts = NULL;
	g.id = NULL;
	kp_decide(NONE_A, 0, &g, 1, &req, &d);
	CHECK_INT(d.reason, KP_ACCOUNT_NOT_ALLOWED);
	CHECK_STR(d.entry_id, "");
	/* extreme times */
	g = sets[S_OPEN][0];
	req.now = INT64_MAX;
	kp_decide(NONE_A, 0, &g, 1, &req, &d);
	CHECK_INT(d.reason, KP_POLICY_STALE);
	req.now = INT64_MIN;
	kp_decide(NONE_A, 0, &g, 1, &req, &d);
	CHECK_INT(d.reason, KP_ALLOWED);
}

/* The rule the index's served lines share with the decision. */
static void
test_grant_serves(void)
{
	struct kp_grant g = sets[S_TIME][0]; /* alice, [1000, 2000) */

	CHECK_INT(g.not_before, 1000);
	CHECK_INT(g.expires, 2000);
	CHECK_INT(kp_grant_serves(&g, "alice", 1000), 1);
	CHECK_INT(kp_grant_serves(&g, "alice", 1999), 1);
	CHECK_INT(kp_grant_serves(&g, "alice", 999), 0);
	CHECK_INT(kp_grant_serves(&g, "alice", 2000), 0);
	CHECK_INT(kp_grant_serves(&g, "bob", 1500), 0);
	CHECK_INT(kp_grant_serves(&g, NULL, 1500), 0);
	CHECK_INT(kp_grant_serves(NULL, "alice", 1500), 0);
	/* the source is not part of it: sshd enforces from= on the line */
	g = sets[S_SRC4][0];
	CHECK(g.nsources > 0);
	CHECK_INT(kp_grant_serves(&g, "alice", 1500), 1);
	/* another host's grant (an index host marker) serves nothing */
	g = sets[S_HOST][0];
	CHECK_INT(g.host_ok, 0);
	CHECK_INT(kp_grant_serves(&g, "alice", 1500), 0);
	g.host_ok = 1;
	CHECK_INT(kp_grant_serves(&g, "alice", 1500), 1);
	g.accounts = NULL;
	CHECK_INT(kp_grant_serves(&g, "alice", 1500), 0);
}

int
main(void)
{
	setup();
	test_reason_names();
	run_cases();
	test_odd_inputs();
	test_grant_serves();
	return t_done();
}
