/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * The fleet's pure parts (docs/fleet.md): keyauth.conf (every key, every
 * refusal with its line), the event=install record (format, parse, the
 * words of each event), a signed policy's validity rule, the serial
 * sanity rule, allowed_signers' line check, the index iterator and the
 * mass-removal count over a real compiled index.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyauth-policy.h"
#include "../test.h"

#define K_A \
	"ssh-ed25519 " \
	"AAAAC3NzaC1lZDI1NTE5AAAAIM4RNHQcXkxjR8m7EJO1prP9oFLnyZeiLKTkwFEPrPKF"
#define K_B \
	"ssh-ed25519 " \
	"AAAAC3NzaC1lZDI1NTE5AAAAIDFcKez+aeiTKlGiXeW3/3QN//+U//v7v5Blk8ZJ45bo"
#define K_C \
	"ssh-ed25519 " \
	"AAAAC3NzaC1lZDI1NTE5AAAAIFjWeIvz8Ng0KMhyzaQ35+6AoRKxD1ulX2s/6triKeSZ"

static char tmpdir[] = "/tmp/kp-test-fleet.XXXXXX";

static int
conf(const char *text, struct kp_conf *c, struct kp_diag *d)
{
	return kp_conf_parse("keyauth.conf", text, strlen(text), c, d);
}

static void
test_conf(void)
{
	struct kp_conf c;
	struct kp_diag d;
	size_t i;
	static const struct {
		const char *text;
		unsigned line;
		const char *msg;
	} bad[] = {
	    {"sources = http://x/p.yaml\n", 1, "unknown key 'sources'"},
	    {"# c\n\nsignatures = 2\nsignatures = 3\n", 4,
	        "signatures is given twice (first at line 3)"},
	    {"signatures = 0\n", 1, "from 1 to 32"},
	    {"signatures = two\n", 1, "from 1 to 32"},
	    {"signatures = 33\n", 1, "from 1 to 32"},
	    {"max_removal = 50\n", 1, "percentage"},
	    {"max_removal = 101%\n", 1, "percentage"},
	    {"max_validity = 30\n", 1, "duration"},
	    {"max_validity = 0d\n", 1, "duration"},
	    {"max_validity = 4000d\n", 1, "duration"},
	    {"allowed_signers = etc/as\n", 1, "absolute path"},
	    {"source = ftp://x/p.yaml\n", 1, "not an http:// or https://"},
	    {"source = http://x/\n", 1, "ends in '/'"},
	    {"source = http://x/p.yaml?x=1\n", 1, "query"},
	    {"source = http://x/p y\n", 1, "space"},
	    {"signatures =\n", 1, "has no value"},
	    {"just words\n", 1, "expected 'key = value'"},
	    {"signatures = 1\n", 1, "needs allowed_signers"},
	    {"allowed_signers = /etc/as\n", 1, "signatures is not"},
	    {"x\001 = 1\n", 1, "control"},
	};

	T_CASE("keyauth.conf");
	CHECK_INT(conf("", &c, &d), 0);
	CHECK_INT(c.signatures, 0);
	CHECK_INT(c.max_removal, 50);
	CHECK_INT(c.max_validity, 30 * 86400);
	kp_conf_clear(&c);
	CHECK_INT(
	    conf("# fleet\n  allowed_signers=/etc/keyauth/as\n"
	         "signatures = 2\t\nmax_validity = 12h\nmax_removal = 0%\n"
	         "revoked_signers = /etc/keyauth/revoked\n"
	         "source = https://policy.example.com/fleet/policy.yaml\n",
	        &c, &d),
	    0);
	CHECK_STR(c.allowed_signers, "/etc/keyauth/as");
	CHECK_STR(c.revoked_signers, "/etc/keyauth/revoked");
	CHECK_INT(c.signatures, 2);
	CHECK_INT(c.max_validity, 12 * 3600);
	CHECK_INT(c.max_removal, 0);
	CHECK_STR(c.source, "https://policy.example.com/fleet/policy.yaml");
	kp_conf_clear(&c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(conf(bad[i].text, &c, &d), KP_ERR_INVALID);
		CHECK_INT(d.line, bad[i].line);
		if (strstr(d.msg, bad[i].msg) == NULL)
			t_diag("case %zu: got \"%s\", want \"%s\"", i, d.msg,
			    bad[i].msg);
		CHECK(strstr(d.msg, bad[i].msg) != NULL);
		CHECK(c.allowed_signers == NULL && c.source == NULL);
	}
	/* The table the manual page is checked against. */
	CHECK_INT(kp_conf_nkeys(), 6);
	CHECK_STR(kp_conf_key_name(0), "allowed_signers");
	CHECK(kp_conf_key_name(6) == NULL);
	/* A missing file is the defaults. */
	CHECK_INT(
	    kp_conf_load("/nonexistent/keyauth.conf", geteuid(), &c, &d), 0);
	CHECK_INT(c.present, 0);
}

static void
test_record(void)
{
	struct kp_audit a;
	struct kp_audit_fields f;
	char line[1024];

	T_CASE("the event=install record");
	memset(&a, 0, sizeof(a));
	a.event = KP_EVENT_INSTALL;
	a.verdict = KP_VERDICT_REFUSED;
	a.install_reason = KP_IR_UNDER_SIGNED;
	a.host = "srv01";
	a.policy_serial = 2026120102;
	a.policy_sha256 =
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	a.error = "1 valid signature, 2 required";
	a.signers = "alice@example.com";
	a.previous_serial = 2026120101;
	CHECK_INT(kp_audit_format(&a, line, sizeof(line)), 0);
	CHECK_STR(line,
	    "event=install decision=refused reason=under_signed account=- "
	    "key_id=- owner=- fp=- client=- host=srv01 "
	    "policy_serial=2026120102 policy_sha256=0123456789abcdef "
	    "error=\"1 valid signature, 2 required\" signers=alice@example.com "
	    "previous_serial=2026120101");
	CHECK_INT(kp_audit_parse(line, &f), 0);
	CHECK_STR(f.value[1], "refused");
	CHECK_STR(f.value[2], "under_signed");
	CHECK_STR(f.signers, "alice@example.com");
	CHECK_STR(f.previous_serial, "2026120101");
	CHECK_STR(f.error, "1 valid signature, 2 required");
	kp_audit_fields_free(&f);
	CHECK_INT(kp_audit_priority(&a), 3 /* LOG_ERR */);

	a.verdict = KP_VERDICT_INSTALLED;
	a.install_reason = KP_IR_OK;
	a.error = NULL;
	a.signers = NULL;
	a.previous_serial = 0;
	CHECK_INT(kp_audit_format(&a, line, sizeof(line)), 0);
	CHECK(strstr(line, " signers=- previous_serial=-") != NULL);
	CHECK_INT(kp_audit_priority(&a), 5 /* LOG_NOTICE */);
	CHECK_INT(kp_audit_parse(line, &f), 0);
	kp_audit_fields_free(&f);

	/* Each event its own words. */
	a.verdict = KP_VERDICT_ALLOW;
	CHECK_INT(kp_audit_format(&a, line, sizeof(line)), KP_ERR_ARG);
	a.event = KP_EVENT_LOOKUP;
	a.verdict = KP_VERDICT_INSTALLED;
	CHECK_INT(kp_audit_format(&a, line, sizeof(line)), KP_ERR_ARG);
	CHECK_INT(kp_audit_parse("event=lookup decision=installed reason=ok "
	                         "account=- key_id=- owner=- fp=- client=- "
	                         "host=h policy_serial=- policy_sha256=-",
	              &f),
	    KP_ERR_INVALID);
	CHECK_INT(kp_audit_parse("event=install decision=allow reason=allowed "
	                         "account=- key_id=- owner=- fp=- client=- "
	                         "host=h policy_serial=- policy_sha256=- "
	                         "signers=- previous_serial=-",
	              &f),
	    KP_ERR_INVALID);
	/* An install record has both of its fields; others have neither. */
	CHECK_INT(kp_audit_parse("event=install decision=installed reason=ok "
	                         "account=- key_id=- owner=- fp=- client=- "
	                         "host=h policy_serial=1 policy_sha256=-",
	              &f),
	    KP_ERR_INVALID);
	CHECK_INT(kp_audit_parse("event=install decision=installed reason=ok "
	                         "account=- key_id=- owner=- fp=- client=- "
	                         "host=h policy_serial=1 policy_sha256=- "
	                         "signers=- previous_serial=x",
	              &f),
	    KP_ERR_INVALID);
	CHECK_INT(kp_audit_parse("event=lookup decision=allow reason=allowed "
	                         "account=- key_id=- owner=- fp=- client=- "
	                         "host=h policy_serial=- policy_sha256=- "
	                         "signers=- previous_serial=-",
	              &f),
	    KP_ERR_INVALID);
	/* A hostile signer name cannot forge a field. */
	a.event = KP_EVENT_INSTALL;
	a.verdict = KP_VERDICT_INSTALLED;
	a.signers = "x previous_serial=1";
	CHECK_INT(kp_audit_format(&a, line, sizeof(line)), 0);
	CHECK_INT(kp_audit_parse(line, &f), 0);
	CHECK_STR(f.signers, "x previous_serial=1");
	CHECK_STR(f.previous_serial, "-");
	kp_audit_fields_free(&f);
}

static struct kp_policy *
load(const char *text)
{
	struct kp_policy *p = NULL;
	struct kp_diag d;

	if (kp_policy_load_buf("t.yaml", text, strlen(text), &p, &d) != 0)
		t_diag("%s:%u:%u: %s", d.file, d.line, d.column, d.msg);
	return p;
}

static void
test_validity(void)
{
	struct kp_policy *p;
	char why[512];
	int64_t now;

	T_CASE("a signed policy's validity");
	kp_time_parse("2026-12-01T12:00:00Z", &now);
	p = load("version: 2\nserial: 1\nissued: 2026-12-01T00:00:00Z\n"
	         "expires: 2026-12-31T00:00:00Z\n");
	CHECK(p != NULL);
	CHECK_INT(
	    kp_policy_validity_check(p, 30 * 86400, now, why, sizeof(why)), 0);
	CHECK_INT(kp_policy_validity_check(p, 7 * 86400, now, why, sizeof(why)),
	    KP_ERR_INVALID);
	CHECK(strstr(why, "longer than max_validity 604800 s") != NULL);
	kp_policy_free(p);
	p = load("version: 2\nserial: 1\nissued: 2026-12-02T00:00:00Z\n"
	         "expires: 2026-12-03T00:00:00Z\n");
	CHECK_INT(
	    kp_policy_validity_check(p, 30 * 86400, now, why, sizeof(why)),
	    KP_ERR_INVALID);
	CHECK(strstr(why, "in the future") != NULL);
	kp_policy_free(p);
	p = load("version: 1\nserial: 1\nexpires: 2026-12-03T00:00:00Z\n");
	CHECK_INT(
	    kp_policy_validity_check(p, 30 * 86400, now, why, sizeof(why)),
	    KP_ERR_INVALID);
	CHECK(strstr(why, "must carry issued: and expires:") != NULL);
	kp_policy_free(p);
	p = load("version: 2\nserial: 1\nissued: 2026-12-01T00:00:00Z\n");
	CHECK_INT(
	    kp_policy_validity_check(p, 30 * 86400, now, why, sizeof(why)),
	    KP_ERR_INVALID);
	kp_policy_free(p);

	T_CASE("serial sanity");
	CHECK(kp_serial_sane(2026120101));
	CHECK(kp_serial_sane(UINT64_C(1) << 53));
	CHECK(!kp_serial_sane((UINT64_C(1) << 53) + 1));
	CHECK(!kp_serial_sane(UINT64_C(9223372036854775807)));
}

static int
write_file(const char *name, const char *text, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", tmpdir, name);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fputs(text, f);
	fclose(f);
	chmod(path, 0644);
	return 0;
}

static void
test_signers(void)
{
	char path[512], **pv = NULL;
	struct kp_diag d;
	size_t n = 0;

	T_CASE("allowed_signers");
	write_file("as",
	    "# signers\n"
	    "alice@example.com namespaces=\"keyauth-policy@keyauth\" " K_A "\n"
	    "bob@example.com,\"*@ops.example.com\" " K_B " bob\n"
	    "\n"
	    "carol@example.com cert-authority,valid-after=\"20260101\" " K_C
	    "\n",
	    path, sizeof(path));
	CHECK_INT(kp_signers_read(path, geteuid(), &pv, &n, &d), 0);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_STR(pv[0], "alice@example.com");
		CHECK_STR(pv[1], "bob@example.com");
		CHECK_STR(pv[2], "carol@example.com");
	}
	kp_strv_free(pv, n);
	write_file("as2",
	    "alice@example.com " K_A
	    "\ncarol@example.com ssh-ed25519 AAAAnotbase64\n",
	    path, sizeof(path));
	CHECK_INT(
	    kp_signers_read(path, geteuid(), NULL, NULL, &d), KP_ERR_INVALID);
	CHECK_INT(d.line, 2);
	CHECK(strstr(d.msg, "ssh-keygen would skip this line") != NULL);
	write_file("as3", "alice@example.com namespace=\"x\" " K_A "\n", path,
	    sizeof(path));
	CHECK_INT(
	    kp_signers_read(path, geteuid(), NULL, NULL, &d), KP_ERR_INVALID);
	CHECK_INT(d.line, 1);
	write_file("as4", "# nobody\n", path, sizeof(path));
	CHECK_INT(
	    kp_signers_read(path, geteuid(), NULL, NULL, &d), KP_ERR_INVALID);
	CHECK(strstr(d.msg, "no signer key") != NULL);
}

static int
count_grant(void *arg, const struct kp_index_grant *g)
{
	size_t *n = arg;

	if (g->id != NULL && !g->host_marker)
		n[0] += g->naccounts;
	if (g->revoked)
		n[1]++;
	if (g->host_marker)
		n[2]++;
	return 0;
}

/* A CA grant: the principals each account needs, from the index. */
static int
ca_grant(void *arg, const struct kp_index_grant *g)
{
	char *out = arg;
	size_t i, j;

	if (!g->authority || g->id == NULL || g->host_marker)
		return 0;
	for (i = 0; i < g->naccounts; i++) {
		snprintf(out + strlen(out), 256 - strlen(out), "%s %s:", g->id,
		    g->accounts[i]);
		for (j = 0; j < g->pcount[i]; j++)
			snprintf(out + strlen(out), 256 - strlen(out), " %s",
			    g->pnames[g->pfirst[i] + j]);
		snprintf(out + strlen(out), 256 - strlen(out), ";");
	}
	return 0;
}

static void
test_walk_authorities(void)
{
	struct kp_index_walk how;
	struct kp_policy *p;
	struct kp_index *ix = NULL;
	struct kp_diag d;
	char path[512], out[256] = "";
	size_t n[3] = {0, 0, 0};

	T_CASE("the index iterator with authorities");
	p = load("version: 2\nserial: 1\nkeys:\n"
	         "  - {id: a, owner: a@x, key: " K_A ", accounts: [alice]}\n"
	         "authorities:\n"
	         "  - {id: ca, owner: ca@x, key: " K_B ", accounts: [alice, "
	         "deploy], principals: {deploy: [release]}}\n");
	CHECK(p != NULL);
	if (p == NULL)
		return;
	snprintf(path, sizeof(path), "%s/ca.cdb", tmpdir);
	CHECK_INT(kp_index_compile(p, "web-01", 1000, path, &d), 0);
	CHECK_INT(kp_index_open(path, geteuid(), &ix, NULL), 0);
	if (ix != NULL) {
		/* without: keys only, as install's guard reads them */
		CHECK_INT(kp_index_foreach(ix, NULL, ca_grant, out), 0);
		CHECK_STR(out, "");
		memset(&how, 0, sizeof(how));
		how.authorities = 1;
		CHECK_INT(kp_index_foreach(ix, &how, ca_grant, out), 0);
		CHECK_STR(out, "ca alice:;ca deploy: release;");
		CHECK_INT(kp_index_foreach(ix, &how, count_grant, n), 0);
		CHECK_INT(n[0], 3); /* a's alice, the CA's alice and deploy */
		kp_index_close(ix);
	}
	kp_policy_free(p);
}

/* An authority row: id, the flags, from and hosts, the principals. */
static int
ca_row(void *arg, const struct kp_index_grant *g)
{
	struct kp_index_grant c = *g;
	char *out = arg;

	if (!g->authority || g->id == NULL || g->b64 != NULL ||
	    g->account != NULL || strlen(out) > 128)
		return KP_ERR_INTERNAL;
	snprintf(out + strlen(out), 256 - strlen(out), "%s r%d m%d %s|%s ",
	    g->id, g->revoked, g->host_marker, g->nfrom > 0 ? g->from[0] : "-",
	    g->nhosts > 0 ? g->hosts[0] : "-");
	c.host_marker = 0; /* ca_grant prints grants only */
	return ca_grant(arg, &c);
}

static void
test_authority_rows(void)
{
	struct kp_policy *p;
	struct kp_index *ix = NULL;
	struct kp_diag d;
	char path[512], out[256] = "", got[256];
	uint8_t *buf = NULL;
	size_t len = 0, off, bad = 0;
	FILE *f;

	T_CASE("the authorities' report rows, also revoked and other hosts'");
	p = load("version: 2\nserial: 1\nnetworks: {office: [192.0.2.0/24]}\n"
	         "authorities:\n"
	         "  - {id: ca, owner: ca@x, key: " K_B ", accounts: [alice, "
	         "deploy], principals: {deploy: [release]}, from: [office]}\n"
	         "  - {id: db, owner: db@x, key: " K_C ", accounts: [root], "
	         "hosts: [db-*]}\n"
	         "  - {id: old, owner: old@x, key: " K_A ", accounts: [bob]}\n"
	         "revoked:\n  - {owner: old@x, reason: left}\n");
	CHECK(p != NULL);
	if (p == NULL)
		return;
	snprintf(path, sizeof(path), "%s/carows.cdb", tmpdir);
	CHECK_INT(kp_index_compile(p, "web-01", 1000, path, &d), 0);
	CHECK_INT(kp_index_open(path, geteuid(), &ix, NULL), 0);
	if (ix != NULL) {
		CHECK_INT(kp_index_foreach_authority(ix, ca_row, out), 0);
		CHECK_STR(out,
		    "ca r0 m0 office|- ca alice:;ca deploy: release;"
		    "db r0 m1 -|db-* db root:;old r1 m0 -|- old bob:;");
		kp_index_close(ix);
	}
	kp_policy_free(p);
	/* Every flipped byte: refused, or the same rows given back. */
	if ((f = fopen(path, "rb")) != NULL) {
		if (fseek(f, 0, SEEK_END) == 0 &&
		    (len = (size_t)ftell(f)) > 0 &&
		    (buf = malloc(len)) != NULL) {
			rewind(f);
			if (fread(buf, 1, len, f) != len)
				len = 0;
		}
		fclose(f);
	}
	CHECK(buf != NULL && len > 0);
	snprintf(path, sizeof(path), "%s/carows-flipped.cdb", tmpdir);
	for (off = 0; buf != NULL && off < len; off++) {
		buf[off] ^= 0x01;
		if ((f = fopen(path, "wb")) != NULL) {
			(void)fwrite(buf, 1, len, f);
			fclose(f);
		}
		buf[off] ^= 0x01;
		if (kp_index_open(path, geteuid(), &ix, NULL) != 0)
			continue;
		got[0] = '\0';
		if (kp_index_foreach_authority(ix, ca_row, got) == 0 &&
		    strcmp(got, out) != 0) {
			fprintf(stderr, "offset %zu: %s\n", off, got);
			bad++;
		}
		kp_index_close(ix);
	}
	CHECK_INT(bad, 0);
	free(buf);
}

static void
test_removal(void)
{
	struct kp_index_walk how = {0, NULL, 0};
	struct kp_policy *old, *p;
	struct kp_index *ix = NULL;
	struct kp_removal rm;
	struct kp_diag d;
	char path[512];
	size_t n[3] = {0, 0, 0};
	int64_t now;

	T_CASE("the index iterator and the mass-removal count");
	kp_time_parse("2026-12-01T12:00:00Z", &now);
	old = load(
	    "version: 1\nserial: 1\nkeys:\n"
	    "  - {id: a, owner: a@x, key: " K_A ", accounts: [alice, deploy]}\n"
	    "  - {id: b, owner: b@x, key: " K_B ", accounts: [bob]}\n"
	    "  - {id: c, owner: c@x, key: " K_C
	    ", accounts: [carol], hosts: [db-*]}\n"
	    "  - {id: old, owner: c@x, key: " K_C
	    ", accounts: [x], expires: 2026-01-01}\n");
	CHECK(old != NULL);
	if (old == NULL)
		return;
	snprintf(path, sizeof(path), "%s/policy.cdb", tmpdir);
	CHECK_INT(kp_index_compile(old, "web-01", now, path, &d), 0);
	CHECK_INT(kp_index_open(path, geteuid(), &ix, NULL), 0);
	if (ix == NULL)
		return;
	CHECK_INT(kp_index_foreach(ix, NULL, count_grant, n), 0);
	CHECK_INT(n[0], 4); /* alice, deploy, bob and the expired x */
	CHECK_INT(n[2], 1); /* c for db-* */
	/* no authority: the same walk with authorities */
	memset(n, 0, sizeof(n));
	how.authorities = 1;
	CHECK_INT(kp_index_foreach(ix, &how, count_grant, n), 0);
	CHECK_INT(n[0], 4);

	/* Same grants: nothing removed. */
	CHECK_INT(kp_removal_count(ix, old, "web-01", now, &rm), 0);
	CHECK_INT(rm.before, 3); /* the expired grant is gone either way */
	CHECK_INT(rm.removed, 0);

	/* b removed, a's deploy removed: 2 of 3. */
	p = load("version: 1\nserial: 2\nkeys:\n"
	         "  - {id: a, owner: a@x, key: " K_A ", accounts: [alice]}\n");
	CHECK_INT(kp_removal_count(ix, p, "web-01", now, &rm), 0);
	CHECK_INT(rm.removed, 2);
	CHECK_INT(rm.revoked, 0);
	CHECK(kp_removal_excessive(&rm, 50));
	CHECK(!kp_removal_excessive(&rm, 67));
	CHECK(!kp_removal_excessive(&rm, 100));
	CHECK(kp_removal_excessive(&rm, 0));
	CHECK_INT(rm.nexamples, 2);
	kp_policy_free(p);

	/* The same loss through revocations never counts. */
	p = load("version: 1\nserial: 2\nkeys:\n"
	         "  - {id: a, owner: a@x, key: " K_A ", accounts: [alice]}\n"
	         "revoked:\n  - {owner: b@x, reason: left}\n"
	         "  - {key: " K_A ", reason: stolen}\n");
	CHECK_INT(kp_removal_count(ix, p, "web-01", now, &rm), 0);
	CHECK_INT(rm.removed, 0);
	CHECK_INT(rm.revoked, 3);
	CHECK(!kp_removal_excessive(&rm, 0));
	kp_policy_free(p);

	/* An emptied policy removes everything. */
	p = load("version: 1\nserial: 2\n");
	CHECK_INT(kp_removal_count(ix, p, "web-01", now, &rm), 0);
	CHECK_INT(rm.removed, 3);
	CHECK(kp_removal_excessive(&rm, 99));
	kp_policy_free(p);
	kp_index_close(ix);
	kp_policy_free(old);
	unlink(path);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	test_conf();
	test_record();
	test_validity();
	test_signers();
	test_removal();
	test_walk_authorities();
	test_authority_rows();
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			t_diag("could not remove %s", tmpdir);
	}
	return t_done();
}
