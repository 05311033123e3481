/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * kp_policy_lint: every rule triggered on its own, with its code, line and
 * column, and a clean policy that produces no warning at all.
 */

#include <stdint.h>

#include "keyauth-policy.h"
#include "../test.h"

#define ALICE \
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFMhTO5GagqeN0CStJECweqD0xEf1GTa" \
	"CvZ7q0DYBwX8 alice@example"
#define BOB \
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHt0HvVSWlmR5M+5FCMbPiuXbLRadsgw" \
	"MSwAhMmooSYf bob@example"
/* A FIDO key (the public half of ALICE's, as sk-ssh-ed25519, app "ssh:"). */
#define FIDO \
	"sk-ssh-ed25519@openssh.com " \
	"AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAA" \
	"AAIFMhTO5GagqeN0CStJECweqD0xEf1GTaCvZ7q0DYBwX8AAAABHNzaDo= " \
	"fido@example"
#define ERIN_RSA2048 \
	"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDPn+LR5I4MbFuSpT20k4YdrI1qad" \
	"lJ/ROoVhqkSC+kz27llK7BJ2wCM0nyIQYWiCcJesmyd/hv6ZLXEeflf9hv7HIXsSU3" \
	"LrBq1foMabO7pOWKY7lB4lFL9wzz/miGlUxovQTPoMNcIgL9rN1rmgqspZowK9jhiP" \
	"AyHW4+4xiNvb82qXjkmgtcOOpAnX0PfWW7pyuEeTOX0RHMjVPe8oZJhncXZe5rNwZI" \
	"w2C5jWqRRB1exNdZVXy5zqoTbwY2NRvtOW39K3g2O+P+EPdOKQ8dNYzQn0I6Bunlv2" \
	"OshFB8TTl/wccerGk02iO4VNuTHYdOlNvbd1cXdfMDCH2MB4d1 erin@example"

static int64_t now;

static struct kp_policy *
load(const char *yaml)
{
	struct kp_policy *p = NULL;
	struct kp_diag d;
	int r;

	r = kp_policy_load_buf("lint.yaml", yaml, strlen(yaml), &p, &d);
	if (r != 0)
		fprintf(stderr, "load: %u:%u: %s\n", d.line, d.column, d.msg);
	CHECK_INT(r, 0);
	return p;
}

/* Lint yaml; return the number of warnings, keep them in *w. */
static size_t
lint(const char *yaml, struct kp_diag **w)
{
	struct kp_policy *p;
	struct kp_lint l;
	size_t n = 0, i;
	int r;

	*w = NULL;
	if ((p = load(yaml)) == NULL)
		return 0;
	r = kp_policy_lint(p, now, 0, &l);
	CHECK_INT(r, 0);
	/* keep 0: every finding kept, each counted once under its kind */
	CHECK_INT(l.nw, l.total);
	for (i = 0; i < l.nkinds; i++)
		n += l.kinds[i].count;
	CHECK_INT(n, l.total);
	n = l.nw;
	if (n > 0 && (*w = calloc(n, sizeof(**w))) == NULL)
		exit(99);
	for (i = 0; i < n; i++) {
		(*w)[i] = l.w[i].d;
		CHECK_INT(strncmp(l.w[i].d.msg, l.kinds[l.w[i].kind].code,
		              strlen(l.kinds[l.w[i].kind].code)),
		    0);
	}
	kp_lint_free(&l);
	for (i = 0; i < n; i++) {
		CHECK_STR((*w)[i].file, "lint.yaml");
		CHECK((*w)[i].msg[0] == '[');
	}
	kp_policy_free(p);
	return n;
}

/* Exactly one warning, with this code at line:col, message containing text. */
static void
expect_one(const char *yaml, const char *code, unsigned line, unsigned col,
    const char *text)
{
	struct kp_diag *w;
	size_t n, i;

	n = lint(yaml, &w);
	CHECK_INT(n, 1);
	for (i = 0; n != 1 && i < n; i++)
		fprintf(
		    stderr, "  %u:%u: %s\n", w[i].line, w[i].column, w[i].msg);
	if (n >= 1) {
		CHECK_INT(strncmp(w[0].msg, code, strlen(code)), 0);
		CHECK_INT(w[0].line, line);
		CHECK_INT(w[0].column, col);
		CHECK_CONTAINS(w[0].msg, text);
	}
	free(w);
}

#define HEAD "version: 1\nserial: 5\n"
#define KEYS "keys:\n"
/* An entry with nothing to warn about; fields can be appended. */
#define ENTRY(id, key, accounts) \
	"  - id: " id "\n" \
	"    owner: " id "@example.com\n" \
	"    key: " key "\n" \
	"    accounts: " accounts "\n"
#define FAR "    expires: 2027-06-01\n"

static void
test_clean(void)
{
	struct kp_diag *w;
	size_t n;

	n = lint(HEAD "expires: 2027-01-01\n"
	              "networks:\n  office: [192.0.2.0/24]\n" KEYS ENTRY(
	                  "alice", FIDO, "[alice, root]") FAR
	    "    from: [office, 198.51.100.7]\n"
	    "    options: [restrict, verify-required]\n"
	    "revoked:\n  - owner: mallory@example.com\n    reason: x\n",
	    &w);
	CHECK_INT(n, 0);
	free(w);
	/* No keys at all: nothing to say either. */
	n = lint(HEAD, &w);
	CHECK_INT(n, 0);
	free(w);
}

static void
test_rules(void)
{
	/* line 4 is "keys:", the entry starts at line 5 column 5 */
	expect_one(HEAD KEYS ENTRY("alice", ALICE, "[alice]"), "[no-expiry]", 4,
	    5, "key 'alice' has no expires");
	expect_one(HEAD KEYS ENTRY("alice", ALICE,
	               "[alice]") "    expires: 2026-05-31T23:59:59Z\n",
	    "[expired]", 4, 5, "key 'alice' expired at 2026-05-31T23:59:59Z");
	/* exactly now counts as expired (the grant ends at expires) */
	expect_one(HEAD KEYS ENTRY(
	               "alice", ALICE, "[alice]") "    expires: 2026-06-01\n",
	    "[expired]", 4, 5, "expired");
	expect_one(HEAD KEYS ENTRY("alice", ALICE,
	               "[alice]") "    expires: 2026-06-10T12:00:00Z\n",
	    "[expires-soon]", 4, 5,
	    "key 'alice' expires at 2026-06-10T12:00:00Z (in 10 days)");
	expect_one(HEAD KEYS ENTRY(
	               "alice", ALICE, "[alice]") "    expires: 2026-06-15\n",
	    "[expires-soon]", 4, 5, "(in 14 days)");
	expect_one(HEAD KEYS ENTRY("erin", ERIN_RSA2048, "[erin]") FAR,
	    "[weak-rsa]", 4, 5, "key 'erin' is RSA with 2048 bits");
	expect_one(HEAD KEYS ENTRY("alice", ALICE, "[alice, root]") FAR,
	    "[root-without-from]", 4, 5, "key 'alice' may log in as root");
	expect_one(HEAD KEYS ENTRY("alice", ALICE, "[alice]") FAR
	    "    from: [10.0.0.0/8, 0.0.0.0/0]\n",
	    "[any-address]", 4, 5,
	    "key 'alice' allows every address (0.0.0.0/0)");
	expect_one(HEAD "networks:\n  world: [\"::/0\"]\n" KEYS ENTRY(
	               "alice", ALICE, "[alice]") FAR "    from: [world]\n",
	    "[any-address]", 4, 3,
	    "network 'world' contains every address (::/0)");
	expect_one(HEAD KEYS ENTRY("alice", FIDO, "[alice]") FAR
	    "    options: [no-touch-required]\n",
	    "[no-touch-required]", 4, 5, "key 'alice'");
	/* sshd ignores both FIDO options on any other key */
	expect_one(HEAD KEYS ENTRY("alice", ALICE, "[alice]") FAR
	    "    options: [no-touch-required]\n",
	    "[fido-only-option]", 4, 5,
	    "key 'alice' is ssh-ed25519, no FIDO key: sshd ignores "
	    "no-touch-required for it");
	expect_one(HEAD KEYS ENTRY("alice", ALICE, "[alice]") FAR
	    "    options: [restrict, Verify-Required]\n",
	    "[fido-only-option]", 4, 5,
	    "sshd ignores Verify-Required for it (only sk- keys sign with "
	    "user presence and verification); no PIN or other verification "
	    "is asked");
	expect_one(HEAD KEYS ENTRY("bob", BOB, "[bob]") FAR
	    "    options: [verify-required, no-pty]\n",
	    "[fido-only-option]", 4, 5, "key 'bob' is ssh-ed25519");
	expect_one(HEAD "networks:\n  office: [192.0.2.0/24]\n"
	                "  lab: [198.51.100.0/24]\n" KEYS ENTRY("alice", ALICE,
	                    "[alice]") FAR "    from: [office]\n",
	    "[unused-network]", 5, 3, "network 'lab' is not used by any key");
	expect_one(HEAD KEYS ENTRY("bob", BOB, "[bob]") FAR
	    "revoked:\n  - owner: bob@example.com\n    reason: left\n",
	    "[owner-revoked]", 4, 5,
	    "key 'bob' belongs to 'bob@example.com', who is revoked (line 10)");
	expect_one(HEAD "expires: 2026-05-01\n", "[policy-expired]", 0, 0,
	    "the policy expired at 2026-05-01T00:00:00Z");
	expect_one(HEAD "expires: 2026-06-05\n", "[policy-expires-soon]", 0, 0,
	    "2026-06-05T00:00:00Z");
}

/* The codes of yaml's warnings, in order, as one string "[a] [b]". */
static void
expect_codes(const char *yaml, const char *want)
{
	struct kp_diag *w;
	char got[1024] = "";
	size_t n, i, len;

	n = lint(yaml, &w);
	for (i = 0; i < n; i++) {
		len = strcspn(w[i].msg, "]") + 1;
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%.*s",
		    i > 0 ? " " : "", (int)len, w[i].msg);
	}
	if (!t_ok(
	        strcmp(got, want) == 0, __FILE__, __LINE__, "codes: %s", want))
		for (i = 0; i < n; i++)
			t_diag("%u:%u: %s", w[i].line, w[i].column, w[i].msg);
	free(w);
}

#define FROM(list) FAR "    from: " list "\n"

/*
 * Lint on what from: admits, not on how it is written: every address of
 * a family in any spelling, or more than a /8 (IPv4) or /32 (IPv6).
 */
static void
test_coverage(void)
{
	/* all of IPv4 as two IPv4-mapped IPv6 halves, into root */
	expect_one(HEAD KEYS ENTRY("alice", ALICE, "[alice, root]")
	               FROM("[\"::ffff:0:0/97\", \"::ffff:8000:0/97\"]"),
	    "[any-address]", 4, 5,
	    "key 'alice' allows every address (0.0.0.0/0) in from:");
	expect_one(HEAD KEYS ENTRY("alice", ALICE, "[alice]")
	               FROM("[0.0.0.0/1, 128.0.0.0/2, 192.0.0.0/2]"),
	    "[any-address]", 4, 5, "together");
	expect_one(HEAD KEYS ENTRY("alice", ALICE, "[alice]")
	               FROM("[\"::/1\", \"8000::/1\", 192.0.2.0/24]"),
	    "[any-address]", 4, 5, "every address (::/0)");
	/* through networks: the entry's union, not one network's */
	expect_codes(HEAD "networks:\n  low: [0.0.0.0/1]\n"
	                  "  high: [128.0.0.0/1]\n" KEYS ENTRY(
	                      "alice", ALICE, "[alice]") FROM("[low, high]"),
	    "[any-address] [wide-source] [wide-source]"); /* security first */
	/* a network that is every address is reported there, once */
	expect_codes(HEAD
	    "networks:\n  world: [0.0.0.0/1, 128.0.0.0/1]\n" KEYS ENTRY(
	        "alice", ALICE, "[alice]") FROM("[world]"),
	    "[any-address]");
	/* more than a /8 */
	expect_one(HEAD KEYS ENTRY("alice", ALICE, "[alice]")
	               FROM("[10.0.0.0/7]"),
	    "[wide-source]", 4, 5,
	    "key 'alice' allows more IPv4 addresses than a /8 in from: "
	    "(33554432)");
	expect_one(HEAD KEYS ENTRY("alice", ALICE, "[alice]")
	               FROM("[10.0.0.0/8, 192.0.2.7]"),
	    "[wide-source]", 4, 5, "(16777217)");
	expect_one(HEAD KEYS ENTRY("alice", ALICE, "[alice]")
	               FROM("[\"2001:db8::/31\"]"),
	    "[wide-source]", 4, 5,
	    "key 'alice' allows more IPv6 addresses than a /32 in from:");
	expect_one(HEAD KEYS ENTRY("alice", ALICE, "[alice]")
	               FROM("[\"2001:db8::/32\", \"2001:db9::1\"]"),
	    "[wide-source]", 4, 5, "IPv6");
	expect_codes(HEAD "networks:\n  big: [10.0.0.0/7]\n" KEYS ENTRY(
	                 "alice", ALICE, "[alice]") FROM("[big]"),
	    "[wide-source]");
	/* exactly a /8 or a /32, however written, is not more */
	expect_codes(HEAD KEYS ENTRY("alice", ALICE, "[alice]")
	                 FROM("[10.0.0.0/8]"),
	    "");
	expect_codes(HEAD KEYS ENTRY("alice", ALICE, "[alice]") FROM(
	                 "[10.0.0.0/9, 10.128.0.0/9, 10.1.0.0/16, 10.2.3.4]"),
	    "");
	expect_codes(
	    HEAD KEYS ENTRY("alice", ALICE, "[alice]")
	        FROM("[\"2001:db8::/33\", \"2001:db8:8000::/33\", 10.0.0.0/8]"),
	    "");
	expect_codes(HEAD KEYS ENTRY("alice", ALICE, "[alice]")
	                 FROM("[\"::ffff:10.0.0.0/104\"]"),
	    "");
}

#define HEAD2 "version: 2\nserial: 5\n"
#define AUTH(id, key, accounts) \
	"  - id: " id "\n" \
	"    owner: " id "@example.com\n" \
	"    key: " key "\n" \
	"    accounts: " accounts "\n"

static void
test_authorities(void)
{
	struct kp_diag *w;
	size_t n;

	/* line 3 is "authorities:", the authority starts at line 4 column 5 */
	expect_one(HEAD2 "authorities:\n" AUTH("ca", ALICE, "[alice, root]"),
	    "[ca-root-without-from]", 4, 5, "authority 'ca' lets every");
	/* deploy is reached by bob's key too: principals needed */
	expect_one(HEAD2 KEYS ENTRY("bob", BOB, "[deploy]") FAR
	    "authorities:\n" AUTH("ca", ALICE, "[deploy]"),
	    "[ca-shared-account]", 10, 5,
	    "authority 'ca' needs no principals for account 'deploy'");
	/* with principals for it, or the same owner: nothing */
	n = lint(HEAD2 KEYS ENTRY("bob", BOB, "[deploy]") FAR
	    "authorities:\n" AUTH(
	        "ca", ALICE, "[deploy]") "    principals: [release]\n",
	    &w);
	CHECK_INT(n, 0);
	free(w);
	n = lint(HEAD2 "networks:\n  office: [192.0.2.0/24]\n"
	               "authorities:\n" AUTH("ca", ALICE,
	                   "[deploy, alice]") "    from: [office]\n",
	    &w);
	CHECK_INT(n, 0); /* the network counts as used */
	free(w);
	expect_one(HEAD2 "authorities:\n" AUTH("ca", ALICE,
	               "[alice]") "revoked:\n  - owner: ca@example.com\n    "
	                          "reason: left\n",
	    "[owner-revoked]", 4, 5, "authority 'ca' belongs to");
	/*
	 * The FIDO options of an authority are for the certified key (of a
	 * type the policy cannot know), never for the CA key.
	 */
	n = lint(HEAD2 "authorities:\n" AUTH(
	             "ca", ALICE, "[alice]") "    options: [verify-required]\n",
	    &w);
	CHECK_INT(n, 0);
	free(w);
	expect_one(HEAD2 "authorities:\n" AUTH("ca", ALICE,
	               "[alice]") "    options: [no-touch-required]\n",
	    "[no-touch-required]", 4, 5,
	    "authority 'ca' lets a certificate with the no-touch-required "
	    "extension sign without touching");
}

/* Policy text: HEAD KEYS, then n entries without expires (k0...). */
static char *
many_keys(size_t n, const char *tail)
{
	size_t i, len, cap = n * 200 + strlen(tail) + 64;
	char *y;

	if ((y = malloc(cap)) == NULL)
		exit(99);
	len = (size_t)snprintf(y, cap, HEAD KEYS);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(y + len, cap - len,
		    "  - {id: k%zu, owner: a@example.com, key: %s, "
		    "accounts: "
		    "[a]}\n",
		    i, ALICE);
	snprintf(y + len, cap - len, "%s", tail);
	return y;
}

static size_t
kind_count(const struct kp_lint *l, const char *code)
{
	size_t i;

	for (i = 0; i < l->nkinds; i++)
		if (strcmp(l->kinds[i].code, code) == 0)
			return l->kinds[i].count;
	return (size_t)-1;
}

static void
test_many(void)
{
	struct kp_lint l;
	struct kp_policy *p;
	char *y;
	int r;

	/* keep 0: every one of 10050 warnings, sorted by line, none cut. */
	y = many_keys(10050, "");
	p = load(y);
	free(y);
	if (p == NULL)
		return;
	r = kp_policy_lint(p, now, 0, &l);
	CHECK_INT(r, 0);
	CHECK_INT(l.nw, 10050);
	CHECK_INT(l.total, 10050);
	CHECK_INT(kind_count(&l, "[no-expiry]"), 10050);
	if (l.nw == 10050) {
		CHECK_STR(l.w[0].d.msg, "[no-expiry] key 'k0' has no expires");
		CHECK_STR(l.w[0].subject, "k0");
		CHECK_INT(l.w[0].d.line, 4);
		CHECK_INT(l.w[1].d.line, 5);
		CHECK_INT(l.w[10049].d.line, 4 + 10049);
	}
	kp_lint_free(&l);
	CHECK(l.w == NULL && l.nw == 0);
	/* keep 3: three kept, the count still exact */
	CHECK_INT(kp_policy_lint(p, now, 3, &l), 0);
	CHECK_INT(l.nw, 3);
	CHECK_INT(l.total, 10050);
	CHECK_INT(kind_count(&l, "[no-expiry]"), 10050);
	if (l.nw == 3)
		CHECK_STR(l.w[2].subject, "k2");
	kp_lint_free(&l);
	CHECK_INT(kp_policy_lint(p, now, 0, NULL), KP_ERR_ARG);
	CHECK_INT(kp_policy_lint(NULL, now, 0, &l), KP_ERR_ARG);
	CHECK(l.w == NULL && l.total == 0);
	kp_policy_free(p);
}

/*
 * 20000 keys without expires and a root entry from 0.0.0.0/0 appended:
 * the security finding comes first and is kept whatever the others, and
 * the total is exact (it used to be cut at 10000, the root one unseen).
 */
static void
test_security_first(void)
{
	struct kp_lint l;
	struct kp_policy *p;
	char *y;

	y = many_keys(20000,
	    "  - {id: intruder, owner: x@example.com, key: " BOB ", "
	    "accounts: [root], from: [0.0.0.0/0], "
	    "expires: 2099-01-01T00:00:00Z}\n");
	p = load(y);
	free(y);
	if (p == NULL)
		return;
	CHECK_INT(kp_policy_lint(p, now, 10, &l), 0);
	CHECK_INT(l.total, 20001);
	CHECK_INT(kind_count(&l, "[no-expiry]"), 20000);
	CHECK_INT(kind_count(&l, "[any-address]"), 1);
	CHECK_INT(l.nw, 11);
	if (l.nw == 11) {
		CHECK_STR(l.w[0].d.msg,
		    "[any-address] key 'intruder' allows every address "
		    "(0.0.0.0/0) in from:");
		CHECK_INT(l.w[0].d.line, 4 + 20000);
		CHECK_INT(l.kinds[l.w[0].kind].severity, KP_LINT_SECURITY);
		CHECK_STR(l.w[1].subject, "k0");
		CHECK_INT(l.kinds[l.w[1].kind].severity, KP_LINT_REVIEW);
	}
	kp_lint_free(&l);
	kp_policy_free(p);
}

/* Version 2: a person with a key that warns about nothing. */
#define V2 "version: 2\nserial: 5\n"
#define PERSON(who, key) \
	"  " who "@example.com:\n" \
	"    keys:\n" \
	"      - id: " who "-key\n" \
	"        key: " key "\n" \
	"        expires: 2027-06-01\n"
#define GRANT(id, to, accounts) \
	"  - id: " id "\n" \
	"    to: " to "\n" \
	"    accounts: " accounts "\n"

static void
test_teams(void)
{
	struct kp_diag *w;
	size_t n;

	T_CASE("v2 clean");
	n = lint(V2 "people:\n" PERSON("alice", ALICE) PERSON("bob",
	             BOB) "groups:\n  dba: [alice@example.com]\n"
	                  "grants:\n" GRANT("g1",
	                      "[group:dba, bob@example.com]", "[postgres]"),
	    &w);
	CHECK_INT(n, 0);
	free(w);
	T_CASE("empty-group");
	/* lines: 1 version, 2 serial, 3 people, 4-8 alice, 9 groups */
	n = lint(V2 "people:\n" PERSON("alice",
	             ALICE) "groups:\n  dba: [alice@example.com]\n  ops: []\n"
	                    "grants:\n" GRANT(
	                        "g1", "[group:dba, group:ops]", "[postgres]"),
	    &w);
	CHECK_INT(n, 1);
	if (n >= 1) {
		CHECK_INT(w[0].line, 11);
		CHECK_INT(w[0].column, 3);
		CHECK_CONTAINS(w[0].msg, "[empty-group] group 'ops' has no");
	}
	free(w);
	T_CASE("unused-group");
	expect_one(V2 "people:\n" PERSON(
	               "alice", ALICE) "groups:\n  dba: [alice@example.com]\n"
	                               "grants:\n" GRANT("g1",
	                                   "[alice@example.com]", "[postgres]"),
	    "[unused-group]", 10, 3, "group 'dba' is not used");
	T_CASE("person-without-grants");
	expect_one(V2 "people:\n" PERSON("alice", ALICE)
	               PERSON("bob", BOB) "grants:\n" GRANT(
	                   "g1", "[alice@example.com]", "[postgres]"),
	    "[person-without-grants]", 9, 3, "person 'bob@example.com'");
	T_CASE("grant-to-nobody");
	n = lint(V2 "people:\n" PERSON(
	             "alice", ALICE) "groups:\n  ops: []\n"
	                             "grants:\n" GRANT("g1",
	                                 "[alice@example.com]", "[postgres]")
	                                 GRANT("g2", "[group:ops]", "[root]"),
	    &w);
	/* ops is empty (10:3) and g2 reaches nobody (15:5) */
	CHECK_INT(n, 2);
	if (n >= 2) {
		CHECK_CONTAINS(w[0].msg, "[empty-group]");
		CHECK_INT(w[1].line, 15);
		CHECK_INT(w[1].column, 5);
		CHECK_CONTAINS(w[1].msg, "[grant-to-nobody] grant 'g2'");
	}
	free(w);
	T_CASE("direct-and-group");
	expect_one(V2
	    "people:\n" PERSON("alice",
	        ALICE) "groups:\n  dba: [alice@example.com]\n"
	               "grants:\n" GRANT("g1", "[alice@example.com]",
	                   "[postgres]") "    hosts: [db-1]\n" GRANT("g2",
	                   "[group:dba]", "[postgres, backup]"),
	    "[direct-and-group]", 16, 5,
	    "key 'alice-key' of alice@example.com may log in as postgres by "
	    "grant 'g1' (line 12, named directly) and by grant 'g2' via group "
	    "dba");
	T_CASE("direct-and-group, the same restrictions");
	n = lint(V2 "people:\n" PERSON("alice",
	             ALICE) "groups:\n  dba: [alice@example.com]\n"
	                    "grants:\n" GRANT(
	                        "g1", "[alice@example.com]", "[postgres]")
	                        GRANT("g2", "[group:dba]", "[postgres]"),
	    &w);
	CHECK_INT(n, 0);
	free(w);
	T_CASE(NULL);
}

int
main(void)
{
	if (kp_time_parse("2026-06-01T00:00:00Z", &now) != 0)
		return 99;
	test_clean();
	test_rules();
	test_coverage();
	test_authorities();
	test_many();
	test_security_first();
	test_teams();
	return t_done();
}
