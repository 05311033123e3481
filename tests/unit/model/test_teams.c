/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * Version 2 (people, groups, grants): the combination rules of a key's
 * and a grant's times as a table; a person in two grants gets the union
 * of the two, never a mix (the decision matrix of
 * policy/examples/teams.yaml against its v1 equivalent,
 * tests/data/valid/teams-v1.yaml); the entries carry their grant and
 * group path, in the policy's decision and in the index's; and a v2
 * policy compiles to the access records of its v1 equivalent, plus the
 * annotations that name the grants.
 */

#include <sys/stat.h>
#include <sys/types.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "keyauth-policy.h"
#include "../test.h"
#include "../index-access.h"

#define ALICE \
	"ssh-ed25519 " \
	"AAAAC3NzaC1lZDI1NTE5AAAAIBDmsp7CQGDR1t1/Ld1beKWTrlmj0XPwVpD8F+GzzpvF"
#define ALICE2 \
	"ssh-ed25519 " \
	"AAAAC3NzaC1lZDI1NTE5AAAAIAE/k3jmRtf/b3inV5izPEQPbr+K0xlMcYlZy2W5Xj0T"
#define BOB \
	"ssh-ed25519 " \
	"AAAAC3NzaC1lZDI1NTE5AAAAIKMdeM/50KJabM9mAxsoPLwaXjeqqw+ELgmxyHNiyRkX"
#define ERIN \
	"ssh-ed25519 " \
	"AAAAC3NzaC1lZDI1NTE5AAAAIM5K0AnZjrq9XyU+t2h+fHrbOOqCuVplDLPcyWLF7ENB"
#define FRANK \
	"ssh-ed25519 " \
	"AAAAC3NzaC1lZDI1NTE5AAAAIDUQUAe5YV7HSS67D/Na7Q21L9/N/oWK/xIZZODO6Cdb"

static const char *srcdir;

/* A check whose outcome the test goes on with. */
#define OK(cond) t_ok(!!(cond), __FILE__, __LINE__, "%s", #cond)

static struct kp_policy *
load(const char *name, const char *yaml)
{
	struct kp_policy *p = NULL;
	struct kp_diag d;
	int r;

	r = kp_policy_load_buf(name, yaml, strlen(yaml), &p, &d);
	if (r != 0)
		t_diag("%s: %u:%u: %s", name, d.line, d.column, d.msg);
	CHECK_INT(r, 0);
	return p;
}

static struct kp_policy *
load_file(const char *rel)
{
	struct kp_policy *p = NULL;
	struct kp_diag d;
	char path[4096];
	int r;

	snprintf(path, sizeof(path), "%s/%s", srcdir, rel);
	r = kp_policy_load(path, 0, &p, &d);
	if (r != 0)
		t_diag("%s: %u:%u: %s", rel, d.line, d.column, d.msg);
	CHECK_INT(r, 0);
	return p;
}

static int64_t
t(const char *s)
{
	int64_t v = 0;

	if (s == NULL)
		return 0;
	CHECK_INT(kp_time_parse(s, &v), 0);
	return v;
}

/* ------------------------------------------------ the combination rule */

struct combo {
	const char *key_nb, *key_exp, *grant_nb, *grant_exp;
	int entry; /* 0: the windows do not overlap, no entry */
	const char *nb, *exp; /* the entry's; NULL: unbounded */
};

static const struct combo combos[] = {
    {NULL, NULL, NULL, NULL, 1, NULL, NULL},
    {NULL, "2027-01-01", NULL, NULL, 1, NULL, "2027-01-01"},
    {NULL, NULL, NULL, "2027-01-01", 1, NULL, "2027-01-01"},
    {NULL, "2027-01-01", NULL, "2026-06-01", 1, NULL, "2026-06-01"},
    {NULL, "2026-06-01", NULL, "2027-01-01", 1, NULL, "2026-06-01"},
    {"2026-02-01", NULL, NULL, NULL, 1, "2026-02-01", NULL},
    {NULL, NULL, "2026-02-01", NULL, 1, "2026-02-01", NULL},
    {"2026-02-01", NULL, "2026-03-01", NULL, 1, "2026-03-01", NULL},
    {"2026-03-01", NULL, "2026-02-01", NULL, 1, "2026-03-01", NULL},
    {"2026-01-01", "2026-12-01", "2026-03-01", "2027-01-01", 1, "2026-03-01",
        "2026-12-01"},
    /* The key expires before the grant starts: never together. */
    {NULL, "2026-01-01", "2026-02-01", NULL, 0, NULL, NULL},
    {"2026-05-01", NULL, NULL, "2026-05-01", 0, NULL, NULL},
};

static void
add_time(
    char *buf, size_t len, const char *indent, const char *field, const char *v)
{
	if (v != NULL)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s: %s\n",
		    indent, field, v);
}

static void
test_combination(void)
{
	const struct combo *c;
	struct kp_policy *p;
	char y[4096];
	size_t i;

	for (i = 0; i < sizeof(combos) / sizeof(combos[0]); i++) {
		c = &combos[i];
		T_CASE("combination %zu", i);
		snprintf(y, sizeof(y),
		    "version: 2\nserial: 1\npeople:\n  a@example.com:\n"
		    "    keys:\n      - id: a-key\n        key: %s\n",
		    ALICE);
		add_time(y, sizeof(y), "        ", "not_before", c->key_nb);
		add_time(y, sizeof(y), "        ", "expires", c->key_exp);
		snprintf(y + strlen(y), sizeof(y) - strlen(y),
		    "grants:\n  - id: g\n    to: [a@example.com]\n"
		    "    accounts: [root]\n");
		add_time(y, sizeof(y), "    ", "not_before", c->grant_nb);
		add_time(y, sizeof(y), "    ", "expires", c->grant_exp);
		if ((p = load("combo.yaml", y)) == NULL)
			continue;
		CHECK_INT(p->nentries, c->entry ? 1 : 0);
		if (p->nentries == 1) {
			CHECK_INT(p->entries[0].not_before,
			    c->nb != NULL ? t(c->nb) : KP_TIME_NONE_BEFORE);
			CHECK_INT(p->entries[0].expires,
			    c->exp != NULL ? t(c->exp) : KP_TIME_NONE_AFTER);
			CHECK_STR(p->entries[0].grant, "g");
			CHECK(p->entries[0].via == NULL);
			CHECK_STR(p->entries[0].id, "a-key");
			CHECK_STR(p->entries[0].owner, "a@example.com");
		}
		kp_policy_free(p);
	}
	T_CASE(NULL);
}

/* to: key:ID reaches that key alone; with its person too, once. */
static void
test_key_recipient(void)
{
	struct kp_policy *p;
	static const char head[] =
	    "version: 2\nserial: 1\npeople:\n  a@example.com:\n    keys:\n"
	    "      - id: a-laptop\n        key: " ALICE "\n"
	    "      - id: a-yubikey\n        key: " ALICE2 "\n"
	    "grants:\n  - id: g\n    accounts: [root]\n";
	char y[4096];

	T_CASE("to: key:ID");
	snprintf(y, sizeof(y), "%s    to: [key:a-yubikey]\n", head);
	if ((p = load("key.yaml", y)) != NULL) {
		CHECK_INT(p->nentries, 1);
		if (p->nentries == 1)
			CHECK_STR(p->entries[0].id, "a-yubikey");
		kp_policy_free(p);
	}
	T_CASE("to: key:ID and its person");
	snprintf(
	    y, sizeof(y), "%s    to: [key:a-yubikey, a@example.com]\n", head);
	if ((p = load("key.yaml", y)) != NULL) {
		CHECK_INT(p->nentries, 2);
		if (p->nentries == 2) {
			CHECK_STR(p->entries[0].id, "a-yubikey");
			CHECK_STR(p->entries[1].id, "a-laptop");
		}
		kp_policy_free(p);
	}
	T_CASE(NULL);
}

/* ------------------------------------------------- the decision matrix */

struct ask {
	const char *account, *key, *from, *host, *at;
	enum kp_reason reason;
	const char *grant, *via; /* of the v2 entry that decided */
};

static const char *
key_fp(const struct kp_policy *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->nentries; i++)
		if (strcmp(p->entries[i].id, id) == 0)
			return p->entries[i].key->fp;
	return "SHA256:none";
}

static const struct ask asks[] = {
    {"postgres", "alice-laptop", "192.0.2.9", "db-01", "2026-12-01", KP_ALLOWED,
        "dba-postgres", "dba"},
    {"postgres", "alice-yubikey", "198.51.100.9", "db-01", "2026-12-01",
        KP_SOURCE_NOT_ALLOWED, "dba-postgres", "dba"},
    {"postgres", "alice-laptop", "192.0.2.9", "web-01", "2026-12-01",
        KP_HOST_NOT_ALLOWED, NULL, NULL},
    {"postgres", "bob-laptop", "192.0.2.9", "db-01", "2027-03-01", KP_ALLOWED,
        "dba-postgres", "dba"},
    /* bob's key expires before the grant does: the key's date wins. */
    {"postgres", "bob-laptop", "192.0.2.9", "db-01", "2027-04-01", KP_EXPIRED,
        "dba-postgres", "dba"},
    {"postgres", "alice-laptop", "192.0.2.9", "db-01", "2027-07-01", KP_EXPIRED,
        "dba-postgres", "dba"},
    /* carol: deploy from the office, root from the VPN; never root from
     * the office (web-deploy's sources with sre-root's account). */
    {"deploy", "carol-laptop", "192.0.2.9", "web-01", "2026-12-01", KP_ALLOWED,
        "web-deploy", "web"},
    {"deploy", "carol-laptop", "198.51.100.9", "web-01", "2026-12-01",
        KP_ALLOWED, "web-deploy", "web"},
    {"root", "carol-laptop", "198.51.100.9", "web-01", "2026-12-01", KP_ALLOWED,
        "sre-root", "sre > web"},
    {"root", "carol-laptop", "192.0.2.9", "web-01", "2026-12-01",
        KP_SOURCE_NOT_ALLOWED, "sre-root", "sre > web"},
    {"root", "carol-laptop", "198.51.100.9", "db-01", "2026-12-01",
        KP_HOST_NOT_ALLOWED, NULL, NULL},
    {"root", "carol-laptop", "198.51.100.9", "web-01", "2025-12-01",
        KP_NOT_YET_VALID, "sre-root", "sre > web"},
    {"postgres", "carol-laptop", "192.0.2.9", "db-01", "2026-12-01",
        KP_ACCOUNT_NOT_ALLOWED, NULL, NULL},
    {"root", "erin-laptop", "198.51.100.9", "web-02", "2026-12-01", KP_ALLOWED,
        "sre-root", "sre"},
    {"deploy", "erin-laptop", "198.51.100.9", "web-02", "2026-12-01",
        KP_ACCOUNT_NOT_ALLOWED, NULL, NULL},
    {"root", "frank-laptop", "192.0.2.9", "db-01", "2026-12-01", KP_ALLOWED,
        "security-root", NULL},
    {"root", "frank-laptop", "198.51.100.9", "db-01", "2026-12-01",
        KP_SOURCE_NOT_ALLOWED, "security-root", NULL},
};

static void
ask(const struct kp_policy *p, const struct ask *a, int v2,
    struct kp_decision *dec)
{
	const struct kp_entry *by = NULL;
	struct kp_request req;

	memset(&req, 0, sizeof(req));
	req.account = a->account;
	req.fp = key_fp(p, a->key);
	req.client = a->from;
	req.host = a->host;
	req.now = t(a->at);
	CHECK_INT(kp_policy_decide_by(p, &req, dec, &by), 0);
	CHECK_INT(dec->reason, a->reason);
	if (!v2) {
		/* A version 1 entry comes from no grant. */
		CHECK_STR(dec->grant, "");
		CHECK_STR(dec->via, "");
		return;
	}
	if (a->grant == NULL)
		return;
	if (!OK(by != NULL))
		return;
	CHECK_STR(by->grant, a->grant);
	if (a->via == NULL)
		CHECK(by->via == NULL);
	else if (OK(by->via != NULL))
		CHECK_STR(by->via, a->via);
	/* The decision itself names them, as the index's does. */
	CHECK_STR(dec->grant, a->grant);
	CHECK_STR(dec->via, a->via != NULL ? a->via : "");
}

/*
 * The index compiled for the ask's host decides as the policy does and
 * names the same grant and group path, from its annotations; the
 * version 1 index names none.
 */
static void
ask_index(const struct kp_policy *p, const struct ask *a,
    const struct kp_decision *want, const char *dir)
{
	struct kp_index *ix = NULL;
	struct kp_decision dec;
	struct kp_request req;
	struct kp_diag d;
	char path[4096];

	snprintf(path, sizeof(path), "%s/ask.cdb", dir);
	if (!OK(kp_index_compile(p, a->host, 1000, path, &d) == 0) ||
	    !OK(kp_index_open(path, geteuid(), &ix, NULL) == 0))
		goto out;
	memset(&req, 0, sizeof(req));
	req.account = a->account;
	req.fp = key_fp(p, a->key);
	req.client = a->from;
	req.host = a->host;
	req.now = t(a->at);
	CHECK_INT(kp_index_decide(ix, &req, &dec), 0);
	CHECK_INT(dec.reason, want->reason);
	CHECK_STR(dec.entry_id, want->entry_id);
	CHECK_STR(dec.grant, want->grant);
	CHECK_STR(dec.via, want->via);
out:
	kp_index_close(ix);
	unlink(path);
}

static void
test_matrix(void)
{
	struct kp_policy *v1, *v2;
	struct kp_decision d1, d2;
	char dir[] = "/tmp/test_teams_ask.XXXXXX";
	size_t i;

	v2 = load_file("policy/examples/teams.yaml");
	v1 = load_file("tests/data/valid/teams-v1.yaml");
	if (v1 == NULL || v2 == NULL || !OK(mkdtemp(dir) != NULL))
		goto out;
	CHECK_INT(v2->nentries, v1->nentries);
	for (i = 0; i < sizeof(asks) / sizeof(asks[0]); i++) {
		T_CASE("%s %s from %s on %s at %s", asks[i].account,
		    asks[i].key, asks[i].from, asks[i].host, asks[i].at);
		ask(v2, &asks[i], 1, &d2);
		ask(v1, &asks[i], 0, &d1);
		CHECK_STR(d2.owner, d1.owner);
		ask_index(v2, &asks[i], &d2, dir);
		ask_index(v1, &asks[i], &d1, dir);
	}
	T_CASE(NULL);
	rmdir(dir);
out:
	kp_policy_free(v1);
	kp_policy_free(v2);
}

/* ---------------------------------------------------- the same index */

static const char v2_yaml[] = "version: 2\n"
                              "serial: 7\n"
                              "networks:\n"
                              "  office: [192.0.2.0/24]\n"
                              "keys:\n"
                              "  - id: erin-laptop\n"
                              "    owner: erin@example.com\n"
                              "    key: " ERIN "\n"
                              "    accounts: [erin]\n"
                              "people:\n"
                              "  alice@example.com:\n"
                              "    keys:\n"
                              "      - id: alice-laptop\n"
                              "        key: " ALICE "\n"
                              "        expires: 2027-01-01\n"
                              "      - id: alice-yubikey\n"
                              "        key: " ALICE2 "\n"
                              "  bob@example.com:\n"
                              "    keys:\n"
                              "      - id: bob-laptop\n"
                              "        key: " BOB "\n"
                              "  frank@example.com:\n"
                              "    keys:\n"
                              "      - id: frank-laptop\n"
                              "        key: " FRANK "\n"
                              "groups:\n"
                              "  dba: [alice@example.com, bob@example.com]\n"
                              "grants:\n"
                              "  - id: dba-postgres\n"
                              "    to: [group:dba]\n"
                              "    accounts: [postgres, backup]\n"
                              "    hosts: [\"db-*\"]\n"
                              "    from: [office]\n"
                              "    expires: 2027-06-30\n"
                              "  - id: security-root\n"
                              "    to: [frank@example.com]\n"
                              "    accounts: [root]\n"
                              "    options: [restrict, pty]\n"
                              "    command: /usr/bin/true\n"
                              "revoked:\n"
                              "  - owner: bob@example.com\n"
                              "    reason: left\n";

static const char v1_yaml[] = "version: 1\n"
                              "serial: 7\n"
                              "networks:\n"
                              "  office: [192.0.2.0/24]\n"
                              "keys:\n"
                              "  - id: erin-laptop\n"
                              "    owner: erin@example.com\n"
                              "    key: " ERIN "\n"
                              "    accounts: [erin]\n"
                              "  - id: alice-laptop\n"
                              "    owner: alice@example.com\n"
                              "    key: " ALICE "\n"
                              "    accounts: [postgres, backup]\n"
                              "    hosts: [\"db-*\"]\n"
                              "    from: [office]\n"
                              "    expires: 2027-01-01\n"
                              "  - id: alice-yubikey\n"
                              "    owner: alice@example.com\n"
                              "    key: " ALICE2 "\n"
                              "    accounts: [postgres, backup]\n"
                              "    hosts: [\"db-*\"]\n"
                              "    from: [office]\n"
                              "    expires: 2027-06-30\n"
                              "  - id: bob-laptop\n"
                              "    owner: bob@example.com\n"
                              "    key: " BOB "\n"
                              "    accounts: [postgres, backup]\n"
                              "    hosts: [\"db-*\"]\n"
                              "    from: [office]\n"
                              "    expires: 2027-06-30\n"
                              "  - id: frank-laptop\n"
                              "    owner: frank@example.com\n"
                              "    key: " FRANK "\n"
                              "    accounts: [root]\n"
                              "    options: [restrict, pty]\n"
                              "    command: /usr/bin/true\n"
                              "revoked:\n"
                              "  - owner: bob@example.com\n"
                              "    reason: left\n";

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	*len = 0;
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	if (n < 0 || (buf = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	*len = fread(buf, 1, (size_t)n, f);
	fclose(f);
	return buf;
}

static void
test_same_index(void)
{
	struct kp_policy *v1, *v2;
	struct kp_diag d;
	char dir[] = "/tmp/test_teams.XXXXXX", p1[4096], p2[4096];
	const char *hosts[] = {"db-01", "web-01"};
	size_t i;

	v1 = load("v1.yaml", v1_yaml);
	v2 = load("v2.yaml", v2_yaml);
	if (v1 == NULL || v2 == NULL || !OK(mkdtemp(dir) != NULL))
		goto out;
	/* The meta record holds the policy's own SHA-256: the one byte
	 * string that must differ between two files. */
	memcpy(v2->sha256, v1->sha256, sizeof(v2->sha256));
	for (i = 0; i < 2; i++) {
		T_CASE("compiled for %s", hosts[i]);
		snprintf(p1, sizeof(p1), "%s/v1.cdb", dir);
		snprintf(p2, sizeof(p2), "%s/v2.cdb", dir);
		CHECK_INT(kp_index_compile(v1, hosts[i], 1000, p1, &d), 0);
		CHECK_INT(kp_index_compile(v2, hosts[i], 1000, p2, &d), 0);
		/*
		 * alice's two keys and frank's came from grants: three
		 * annotations; bob's revoked key has no records, but on
		 * db-01, where its grant applies, the report lists its
		 * entry, with the grant: a fourth.
		 */
		ix_same_access(p1, p2, i == 0 ? 4 : 3);
		unlink(p1);
		unlink(p2);
	}
	T_CASE(NULL);
	rmdir(dir);
out:
	kp_policy_free(v1);
	kp_policy_free(v2);
}

/*
 * A damaged annotation is damage like any record: the decision that
 * reads it is policy_unavailable, never an allow without its grant.
 */
static void
test_damaged_annotation(void)
{
	struct kp_policy *p;
	struct kp_index *ix = NULL;
	struct kp_decision dec;
	struct kp_request req;
	struct kp_diag d;
	struct cdb cdb;
	char dir[] = "/tmp/test_teams_dmg.XXXXXX", path[4096] = "";
	const uint8_t *k;
	unsigned pos, vpos[8];
	size_t nv = 0, i;
	uint8_t c;
	int fd;

	p = load_file("policy/examples/teams.yaml");
	if (p == NULL || !OK(mkdtemp(dir) != NULL))
		goto out;
	snprintf(path, sizeof(path), "%s/ix.cdb", dir);
	if (!OK(kp_index_compile(p, "web-01", 1000, path, &d) == 0) ||
	    !OK((fd = open(path, O_RDWR)) >= 0))
		goto out;
	/* every annotation of carol's key: flip a byte of its grant id */
	if (cdb_init(&cdb, fd) == 0) {
		cdb_seqinit(&pos, &cdb);
		while (nv < 8 && cdb_seqnext(&pos, &cdb) > 0) {
			k = cdb_get(&cdb, cdb_keylen(&cdb), cdb_keypos(&cdb));
			if (k != NULL && k[0] == KPI_NS_VIA &&
			    memcmp(k + 1, key_fp(p, "carol-laptop"),
			        KPI_FP_STRLEN) == 0)
				vpos[nv++] = cdb_datapos(&cdb) + 3;
		}
		cdb_free(&cdb);
	}
	CHECK(nv >= 2);
	for (i = 0; i < nv; i++) {
		if (OK(pread(fd, &c, 1, vpos[i]) == 1)) {
			c ^= 0x20;
			OK(pwrite(fd, &c, 1, vpos[i]) == 1);
		}
	}
	close(fd);
	if (!OK(kp_index_open(path, geteuid(), &ix, NULL) == 0))
		goto out;
	memset(&req, 0, sizeof(req));
	req.account = "root";
	req.fp = key_fp(p, "carol-laptop");
	req.client = "198.51.100.9";
	req.host = "web-01";
	req.now = t("2026-12-01");
	CHECK(kp_index_decide(ix, &req, &dec) == KP_ERR_CORRUPT);
	CHECK_INT(dec.reason, KP_POLICY_UNAVAILABLE);
	CHECK_STR(dec.grant, "");
out:
	kp_index_close(ix);
	if (path[0] != '\0') {
		unlink(path);
		rmdir(dir);
	}
	kp_policy_free(p);
}

/* ------------------------------------------------ a policy directory */

static void
put(const char *dir, const char *rel, const char *text)
{
	char path[4096], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if ((slash = strrchr(path, '/')) != NULL &&
	    slash > path + strlen(dir)) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	if ((f = fopen(path, "w")) == NULL)
		t_bail("%s: cannot write", path);
	fputs(text, f);
	fclose(f);
}

/* Load dir; expect failure r, in file rel, at line:col, with text. */
static void
dir_refused(const char *dir, int r, const char *rel, unsigned line,
    unsigned col, const char *text)
{
	struct kp_policy *p = NULL;
	struct kp_diag d;
	char want[4096];

	CHECK_INT(kp_policy_load(dir, 0, &p, &d), r);
	CHECK(p == NULL);
	if (rel != NULL) {
		snprintf(want, sizeof(want), "%s/%s", dir, rel);
		CHECK_STR(d.file, want);
	}
	CHECK_INT(d.line, line);
	CHECK_INT(d.column, col);
	CHECK_CONTAINS(d.msg, text);
	kp_policy_free(p);
}

static void
rm_rf(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		t_diag("could not remove %s", dir);
}

#define PERSON_A \
	"people:\n  alice@example.com:\n    keys:\n      - id: alice-laptop\n" \
	"        key: " ALICE "\n"

static void
test_dir(void)
{
	struct kp_policy *one = NULL, *dir = NULL, *p = NULL;
	struct kp_diag d;
	char tmp[] = "/tmp/test_teams_dir.XXXXXX", path[256], want[8192];
	char p1[4096], p2[4096], *b1 = NULL, *b2 = NULL, *bytes = NULL;
	size_t l1, l2, n;

	T_CASE("policy/examples/teams.d");
	one = load_file("policy/examples/teams.yaml");
	dir = load_file("policy/examples/teams.d");
	if (one == NULL || dir == NULL || !OK(mkdtemp(tmp) != NULL))
		goto out;
	CHECK_INT(dir->nfiles, 8);
	CHECK_INT(dir->nentries, one->nentries);
	memcpy(dir->sha256, one->sha256, sizeof(dir->sha256));
	snprintf(p1, sizeof(p1), "%s/one.cdb", tmp);
	snprintf(p2, sizeof(p2), "%s/dir.cdb", tmp);
	CHECK_INT(kp_index_compile(one, "web-01", 1000, p1, &d), 0);
	CHECK_INT(kp_index_compile(dir, "web-01", 1000, p2, &d), 0);
	b1 = slurp(p1, &l1);
	b2 = slurp(p2, &l2);
	if (OK(b1 != NULL && b2 != NULL))
		CHECK(l1 == l2 && memcmp(b1, b2, l1) == 0);
	free(b1);
	free(b2);
	unlink(p1);
	unlink(p2);

	T_CASE("signed bytes of a directory");
	snprintf(path, sizeof(path), "%s/d", tmp);
	CHECK_INT(mkdir(path, 0755), 0);
	put(path, "policy.yaml", "version: 2\nserial: 3\n");
	put(path, "people/a.yaml", "version: 2\n" PERSON_A);
	put(path, "people/.a.yaml.swp", "not yaml: [");
	put(path, "people/.hidden.yaml", "not yaml: [");
	put(path, "README", "not a policy file");
	put(path, "grants/g.yaml",
	    "version: 2\ngrants:\n  - id: g\n    to: [alice@example.com]\n"
	    "    accounts: [root]\n    from: [office]\n");
	put(path, "zz-networks.yaml", "networks:\n  office: [192.0.2.0/24]\n");
	CHECK_INT(kp_policy_signed_bytes(path, 0, &bytes, &n, &d), 0);
	if (bytes != NULL) {
		CHECK(
		    n > 20 && memcmp(bytes, "keyauth-policy-dir 1\n", 21) == 0);
		CHECK(memmem(bytes, n, "file 21 policy.yaml\n", 20) != NULL);
		CHECK(memmem(bytes, n, ".swp", 4) == NULL);
		CHECK(memmem(bytes, n, "README", 6) == NULL);
		/* path order: grants/ < people/ < policy.yaml < zz-... */
		CHECK(strstr(bytes, "grants/g.yaml") <
		    strstr(bytes, "people/a.yaml"));
		CHECK(strstr(bytes, "people/a.yaml") <
		    strstr(bytes, "policy.yaml"));
		if (OK(kp_policy_load_buf(path, bytes, n, &p, &d) == 0)) {
			CHECK_INT(p->nentries, 1);
			CHECK_INT(p->entries[0].nsources, 1);
			kp_policy_free(p);
			p = NULL;
		}
	}
	if (OK(kp_policy_load(path, 0, &p, &d) == 0)) {
		/* a network of a later file serves a grant of an earlier one */
		CHECK_INT(p->nfiles, 4);
		CHECK_INT(p->entries[0].nsources, 1);
		kp_policy_free(p);
		p = NULL;
	}
	free(bytes);
	bytes = NULL;

	T_CASE("a person in two files");
	put(path, "people/b.yaml", "version: 2\n" PERSON_A);
	snprintf(want, sizeof(want),
	    "person 'alice@example.com' is defined twice (first at %s/people/"
	    "a.yaml:3)",
	    path);
	dir_refused(path, KP_ERR_INVALID, "people/b.yaml", 3, 3, want);
	put(path, "people/b.yaml", "version: 2\n");

	T_CASE("a serial in two files");
	put(path, "people/b.yaml", "version: 2\nserial: 4\n");
	snprintf(want, sizeof(want),
	    "'serial' is set in two files (first at %s/policy.yaml:2)", path);
	/* people/b.yaml is read before policy.yaml */
	dir_refused(path, KP_ERR_INVALID, "policy.yaml", 2, 1,
	    "'serial' is set in two files (first at ");
	put(path, "people/b.yaml", "version: 2\n");

	T_CASE("two versions");
	put(path, "people/b.yaml", "version: 1\n");
	dir_refused(path, KP_ERR_INVALID, "people/b.yaml", 1, 10,
	    "version: 1 here, but 2 in another file");
	put(path, "people/b.yaml", "version: 2\n");

	T_CASE("an unknown person, in the grant's file");
	put(path, "grants/h.yaml",
	    "grants:\n  - id: h\n    to: [bob@example.com]\n"
	    "    accounts: [root]\n");
	dir_refused(path, KP_ERR_INVALID, "grants/h.yaml", 3, 10,
	    "grant 'h': unknown person 'bob@example.com'");
	snprintf(want, sizeof(want), "%s/grants/h.yaml", path);
	unlink(want);

	T_CASE("a network in two files");
	put(path, "grants/n.yaml", "networks:\n  office: [198.51.100.0/24]\n");
	dir_refused(path, KP_ERR_INVALID, "zz-networks.yaml", 2, 3,
	    "network 'office' is defined twice (first at ");
	snprintf(want, sizeof(want), "%s/grants/n.yaml", path);
	unlink(want);

	T_CASE("a symbolic link");
	snprintf(want, sizeof(want), "%s/people/link.yaml", path);
	snprintf(p1, sizeof(p1), "%s/people/a.yaml", path);
	if (OK(symlink(p1, want) == 0))
		dir_refused(path, KP_ERR_UNSAFE, NULL, 0, 0, "symbolic link");
	unlink(want);

	T_CASE("still loads");
	if (OK(kp_policy_load(path, 0, &p, &d) == 0))
		kp_policy_free(p);
	p = NULL;
	T_CASE(NULL);
	rm_rf(tmp);
out:
	kp_policy_free(one);
	kp_policy_free(dir);
}

/* The rows of one account from an installed index, as "id grant via r". */
struct rowlist {
	size_t n;
	char v[8][96];
};

static int
row_seen(void *arg, const struct kp_index_grant *g)
{
	struct rowlist *l = arg;

	if (l->n >= 8)
		return KP_ERR_INTERNAL;
	snprintf(l->v[l->n++], sizeof(l->v[0]), "%s %s %s %d", g->id,
	    g->grant != NULL ? g->grant : "-", g->via != NULL ? g->via : "-",
	    g->revoked);
	return 0;
}

static void
rows_are(struct kp_index *ix, const char *account, const char *const *want,
    size_t nwant)
{
	struct kp_index_walk how;
	struct rowlist l;
	size_t i;

	memset(&how, 0, sizeof(how));
	memset(&l, 0, sizeof(l));
	how.by_account = 1;
	how.account = account;
	T_CASE("rows of %s", account);
	CHECK_INT(kp_index_foreach(ix, &how, row_seen, &l), 0);
	CHECK_INT(l.n, nwant);
	for (i = 0; i < l.n && i < nwant; i++)
		CHECK_STR(l.v[i], want[i]);
	T_CASE(NULL);
}

/*
 * The report's rows from the index name the grant and the group path
 * behind each entry, a revoked key's too (its grants are never compiled,
 * its report entry is); a keys: entry names none. The index says whether
 * the policy was one of grants.
 */
static void
test_index_rows(void)
{
	/* by fingerprint, the revoked keys' after the others */
	static const char *const postgres[] = {
	    "alice-yubikey dba-postgres dba 0",
	    "alice-laptop dba-postgres dba 0",
	    "bob-laptop dba-postgres dba 1",
	};
	static const char *const root[] = {"frank-laptop security-root - 0"};
	static const char *const erin[] = {"erin-laptop - - 0"};
	struct kp_policy *v1, *v2;
	struct kp_index *ix = NULL;
	struct kp_diag d;
	char dir[] = "/tmp/test_teams.XXXXXX", path[4096];
	int teams = -1;

	v1 = load("v1.yaml", v1_yaml);
	v2 = load("v2.yaml", v2_yaml);
	if (v1 == NULL || v2 == NULL || !OK(mkdtemp(dir) != NULL))
		goto out;
	snprintf(path, sizeof(path), "%s/v2.cdb", dir);
	CHECK_INT(kp_index_compile(v2, "db-01", 1000, path, &d), 0);
	if (!OK(kp_index_open(path, geteuid(), &ix, NULL) == 0))
		goto rm;
	CHECK_INT(kp_index_rows_teams(ix, &teams), 0);
	CHECK_INT(teams, 1);
	rows_are(ix, "postgres", postgres, 3);
	rows_are(ix, "root", root, 1);
	rows_are(ix, "erin", erin, 1);
	kp_index_close(ix);
	CHECK_INT(kp_index_compile(v1, "db-01", 1000, path, &d), 0);
	if (OK(kp_index_open(path, geteuid(), &ix, NULL) == 0)) {
		CHECK_INT(kp_index_rows_teams(ix, &teams), 0);
		CHECK_INT(teams, 0);
		kp_index_close(ix);
	}
rm:
	unlink(path);
	rmdir(dir);
out:
	kp_policy_free(v1);
	kp_policy_free(v2);
}

int
main(void)
{
	if ((srcdir = getenv("top_srcdir")) == NULL)
		srcdir = "..";
	test_combination();
	test_key_recipient();
	test_matrix();
	test_same_index();
	test_index_rows();
	test_damaged_annotation();
	test_dir();
	return t_done();
}
