/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * The YAML loader against the policy files under tests/data:
 *  - invalid/ and hostile/: every file's first line is
 *    "# expect: LINE:COL: substring" and loading it must fail with exactly
 *    that position and a message containing that text (add a case by
 *    adding a file);
 *  - valid/: every file loads, and the named ones hold what they say;
 *  - generated hostile input too big to commit (100 MB, 1 MB scalar,
 *    files over the size limit, wide mappings) must fail fast and cleanly.
 */

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "keyauth-policy.h"
#include "../test.h"

static const char *srcdir;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted *.yaml names of a tests/data subdirectory. */
static size_t
list_dir(const char *kind, char ***out)
{
	char path[4096], **v = NULL;
	struct dirent *de;
	size_t n = 0, len;
	DIR *d;

	snprintf(path, sizeof(path), "%s/tests/data/%s", srcdir, kind);
	if ((d = opendir(path)) == NULL) {
		fprintf(stderr, "opendir %s: %s\n", path, strerror(errno));
		exit(99);
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".yaml") != 0)
			continue;
		if ((v = realloc(v, (n + 1) * sizeof(*v))) == NULL ||
		    (v[n] = strdup(de->d_name)) == NULL)
			exit(99);
		n++;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), name_cmp);
	*out = v;
	return n;
}

static void
free_names(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/*
 * kp_policy_load streams a file into libyaml; kp_policy_load_buf parses
 * the bytes: the same bytes give the same result, error and place.
 */
static void
same_as_buf(const char *path, int r, const struct kp_diag *d)
{
	struct kp_policy *p = NULL;
	struct kp_diag b;
	const char *why = NULL;
	char *buf = NULL;
	size_t len = 0;
	int rb;

	if (kp_file_read(path, KP_POLICY_MAX_BYTES, 0, &buf, &len, &why) != 0)
		exit(99);
	rb = kp_policy_load_buf(path, buf, len, &p, &b);
	if (!t_ok(rb == r && b.line == d->line && b.column == d->column &&
	            strcmp(b.msg, d->msg) == 0,
	        __FILE__, __LINE__, "%s: streamed as from the buffer", path))
		t_diag("stream r=%d %u:%u: %s\n  buffer r=%d %u:%u: %s", r,
		    d->line, d->column, d->msg, rb, b.line, b.column, b.msg);
	kp_policy_free(p);
	free(buf);
}

/* Every file of kind must fail as its "# expect:" line says. */
static void
check_expect_dir(const char *kind)
{
	char **names, path[4096], line[1024], *p, *q;
	struct kp_policy *pol;
	struct kp_diag d;
	unsigned el, ec;
	size_t n, i;
	double t0, dt;
	FILE *f;
	int r;

	n = list_dir(kind, &names);
	CHECK(n > 0);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/tests/data/%s/%s", srcdir,
		    kind, names[i]);
		if ((f = fopen(path, "r")) == NULL ||
		    fgets(line, sizeof(line), f) == NULL) {
			t_ok(0, __FILE__, __LINE__, "%s/%s: readable", kind,
			    names[i]);
			t_diag("%s: cannot read", path);
			if (f != NULL)
				fclose(f);
			continue;
		}
		fclose(f);
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "# expect: %u:%u:", &el, &ec) != 2 ||
		    (p = strchr(line, ':')) == NULL ||
		    (p = strchr(p + 1, ':')) == NULL ||
		    (q = strchr(p + 1, ':')) == NULL) {
			t_ok(0, __FILE__, __LINE__, "%s/%s: has an expect line",
			    kind, names[i]);
			t_diag("%s: no '# expect: L:C: text' line", path);
			continue;
		}
		q++;
		while (*q == ' ')
			q++;
		pol = (struct kp_policy *)&d; /* must be reset to NULL */
		t0 = now_s();
		r = kp_policy_load(path, 0, &pol, &d);
		dt = now_s() - t0;
		if (!t_ok(r != 0 && pol == NULL && d.line == el &&
		            d.column == ec && strstr(d.msg, q) != NULL &&
		            strcmp(d.file, path) == 0,
		        __FILE__, __LINE__, "%s/%s: refused at %u:%u", kind,
		        names[i], el, ec))
			t_diag("%s/%s:\n  got      r=%d %u:%u: %s\n"
			       "  expected %u:%u: ...%s...",
			    kind, names[i], r, d.line, d.column, d.msg, el, ec,
			    q);
		if (dt > 1.0) /* reported, never a failure: see bench/ */
			t_diag("%s/%s: took %.2f s", kind, names[i], dt);
		kp_policy_free(r == 0 ? pol : NULL);
		same_as_buf(path, r, &d);
	}
	printf("%s: %zu files\n", kind, n);
	free_names(names, n);
}

static struct kp_policy *
load_valid(const char *name)
{
	char path[4096];
	struct kp_policy *p = NULL;
	struct kp_diag d;
	int r;

	snprintf(path, sizeof(path), "%s/tests/data/valid/%s", srcdir, name);
	r = kp_policy_load(path, 0, &p, &d);
	if (r != 0) {
		fprintf(
		    stderr, "%s: %u:%u: %s\n", name, d.line, d.column, d.msg);
	}
	CHECK_INT(r, 0);
	CHECK(p != NULL);
	return p;
}

/*
 * What the loader accepts the helper can serve: every entry of a policy
 * that loads makes an authorized_keys line (the emitter refuses nothing
 * the loader let through, so one entry cannot fail an account's listing).
 */
static void
check_servable(const char *name, const struct kp_policy *p)
{
	const struct kp_entry *e;
	char *line;
	size_t i;
	int r;

	for (i = 0; i < p->nentries; i++) {
		e = &p->entries[i];
		line = NULL;
		r = kp_authkeys_line(e->key->type, e->key->b64, e->id,
		    e->sources, e->nsources, e->expires,
		    (const char *const *)e->options, e->noptions, e->command,
		    &line);
		if (!t_ok(r == 0 && line != NULL, __FILE__, __LINE__,
		        "%s: entry '%s' can be served", name, e->id))
			t_diag(
			    "%s: kp_authkeys_line: %s", e->id, kp_strerror(r));
		free(line);
	}
}

static void
test_valid_all(void)
{
	char **names;
	size_t n, i;
	struct kp_policy *p;

	n = list_dir("valid", &names);
	CHECK(n >= 7);
	for (i = 0; i < n; i++) {
		p = load_valid(names[i]);
		if (p != NULL) {
			CHECK(p->serial >= 1);
			CHECK_INT(strlen(p->sha256), 64);
			CHECK(p->path != NULL &&
			    strstr(p->path, names[i]) != NULL);
			check_servable(names[i], p);
		}
		kp_policy_free(p);
	}
	free_names(names, n);
}

/*
 * hostile/accepted/: hostile policies that pass every loader rule (their
 * harm is in what installing them does, tests/ctl/serial-freeze.sh).
 * They must keep loading, exactly as written.
 */
static void
test_hostile_accepted(void)
{
	char **names;
	size_t n, i;
	struct kp_policy *p;
	struct kp_diag d;
	char path[4096];
	int r;

	n = list_dir("hostile/accepted", &names);
	CHECK(n >= 2);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path),
		    "%s/tests/data/hostile/accepted/%s", srcdir, names[i]);
		p = NULL;
		r = kp_policy_load(path, 0, &p, &d);
		if (!t_ok(r == 0 && p != NULL, __FILE__, __LINE__,
		        "hostile/accepted/%s: loads", names[i]))
			t_diag("%u:%u: %s", d.line, d.column, d.msg);
		if (p != NULL && strcmp(names[i], "serial-max.yaml") == 0)
			CHECK_INT(p->serial, (uint64_t)INT64_MAX);
		if (p != NULL &&
		    strcmp(names[i], "serial-max-minus-one.yaml") == 0)
			CHECK_INT(p->serial, (uint64_t)INT64_MAX - 1);
		kp_policy_free(p);
	}
	free_names(names, n);
}

static struct kp_request
req(const char *account, const char *fp, const char *client, const char *host,
    const char *when)
{
	struct kp_request q;
	int64_t t = 0;

	memset(&q, 0, sizeof(q));
	if (kp_time_parse(when, &t) != 0)
		abort();
	q.account = account;
	q.fp = fp;
	q.client = client;
	q.host = host;
	q.now = t;
	return q;
}

static enum kp_reason
decide(const struct kp_policy *p, struct kp_request q)
{
	struct kp_decision dec;
	int r;

	r = kp_policy_decide(p, &q, &dec);
	CHECK_INT(r, 0);
	CHECK_INT(dec.policy_serial, p->serial);
	CHECK_STR(dec.policy_sha256, p->sha256);
	return dec.reason;
}

static void
test_valid_support_vendor(void)
{
	struct kp_policy *p = load_valid("support-vendor-revoked.yaml");
	const struct kp_entry *e;
	const char *fp = "SHA256:7uSGiGswIl5vnvdZ1z4ujgfXIjntU26agJVICJcXwb0";

	if (p == NULL)
		return;
	CHECK_INT(p->serial, 2026112201ULL);
	CHECK_INT(p->nnetworks, 1);
	CHECK_STR(p->networks[0].name, "vendor-support");
	CHECK_INT(p->networks[0].naddrs, 3);
	CHECK_INT(p->nentries, 1);
	e = &p->entries[0];
	CHECK_STR(e->id, "vendor-support");
	CHECK_STR(e->key->type, "ssh-rsa");
	CHECK_INT(e->key->bits, 3072);
	CHECK_STR(e->key->fp, fp);
	CHECK_INT(e->naccounts, 1);
	CHECK_STR(e->accounts[0], "root");
	CHECK_INT(e->nfrom, 1);
	CHECK_STR(e->from[0], "vendor-support");
	CHECK_INT(e->nsources, 3); /* the network, expanded */
	CHECK_INT(e->noptions, 2);
	CHECK_STR(e->comment, "contract VND-2291, support only");
	CHECK_INT(e->line, 8);
	CHECK_INT(e->column, 5);
	CHECK_INT(p->nrevoked, 1);
	CHECK_INT(p->revoked[0].kind, KP_REVOKE_FINGERPRINT);
	CHECK_STR(p->revoked[0].value, fp);
	CHECK_STR(p->revoked[0].reason, "support contract ended (CHG-4711)");
	CHECK(p->revoked[0].date != KP_TIME_NONE_BEFORE);
	CHECK_INT(kp_policy_is_revoked(p, fp, NULL), 1);
	CHECK_INT(kp_policy_is_revoked(p, "SHA256:x", "other"), 0);
	/* Revoked wins over a grant that would otherwise allow. */
	CHECK_INT(
	    decide(p, req("root", fp, "203.0.113.10", "db-01", "2026-12-01")),
	    KP_REVOKED);
	kp_policy_free(p);
}

static void
test_valid_authorities(void)
{
	struct kp_policy *p = load_valid("authorities.yaml");
	const struct kp_authority *a;
	char *const *names;
	size_t n;
	int64_t t;

	if (p == NULL)
		return;
	CHECK_INT(p->nentries, 0);
	CHECK_INT(p->nauthorities, 2);
	if (p->nauthorities != 2)
		goto out;
	a = &p->authorities[0];
	CHECK_STR(a->e.id, "corp-ca");
	CHECK_STR(
	    a->e.key->fp, "SHA256:FzMQubrCI9wBMc/qEc4XyLf9tYYz258eIisWiut7tr8");
	CHECK_INT(a->e.naccounts, 2);
	CHECK_INT(a->e.nsources, 1);
	CHECK(kp_time_parse("2027-01-01", &t) == 0 && a->e.expires == t);
	kp_authority_principals(a, "deploy", &names, &n);
	CHECK(n == 2 && strcmp(names[0], "ops") == 0 &&
	    strcmp(names[1], "release") == 0);
	/* alice has no list: the account name, as sshd */
	kp_authority_principals(a, "alice", &names, &n);
	CHECK(n == 0 && names == NULL);
	a = &p->authorities[1];
	kp_authority_principals(a, "support", &names, &n);
	CHECK(n == 1 && strcmp(names[0], "vendor-support") == 0);
	CHECK_STR(a->e.command, "/usr/local/bin/support-shell");
	CHECK_INT(p->nrevoked, 2);
	CHECK_INT(p->revoked[0].kind, KP_REVOKE_SERIAL);
	CHECK(p->revoked[0].serial == 666);
	CHECK_STR(p->revoked[0].ca_fp,
	    "SHA256:FzMQubrCI9wBMc/qEc4XyLf9tYYz258eIisWiut7tr8");
	CHECK_INT(p->revoked[1].kind, KP_REVOKE_KEY_ID);
	CHECK_STR(p->revoked[1].key_id, "leaked@example.com");
	CHECK_STR(p->revoked[1].ca_fp,
	    "SHA256:FzMQubrCI9wBMc/qEc4XyLf9tYYz258eIisWiut7tr8");
	/* One certificate's revocation revokes no key, not even the CA's. */
	CHECK(!kp_policy_is_revoked(
	    p, "SHA256:FzMQubrCI9wBMc/qEc4XyLf9tYYz258eIisWiut7tr8", NULL));
out:
	kp_policy_free(p);
}

static void
test_valid_deploy(void)
{
	struct kp_policy *p = load_valid("deploy-forced-command.yaml");
	const struct kp_entry *e;
	const char *fp = "SHA256:Qh0q5VCXXBTH0MbNxrucIdutQpYjipKYSleZKqzEMq4";
	int64_t t;

	if (p == NULL)
		return;
	e = &p->entries[0];
	CHECK_STR(e->command, "/usr/local/bin/deploy --from-ci");
	CHECK_INT(e->noptions, 2);
	CHECK_STR(e->options[1], "permitopen=\"localhost:5432\"");
	CHECK_INT(e->nhosts, 2);
	CHECK_INT(e->nfrom, 2);
	CHECK_INT(e->nsources, 2);
	CHECK(kp_time_parse("2026-01-01", &t) == 0 && e->not_before == t);
	CHECK(
	    kp_time_parse("2027-01-01T00:00:00Z", &t) == 0 && e->expires == t);
	CHECK_INT(
	    decide(
	        p, req("deploy", fp, "198.51.100.3", "web-07", "2026-06-01")),
	    KP_ALLOWED);
	CHECK_INT(
	    decide(
	        p, req("deploy", fp, "198.51.100.30", "web-07", "2026-06-01")),
	    KP_SOURCE_NOT_ALLOWED);
	CHECK_INT(
	    decide(
	        p, req("deploy", fp, "2001:db8:c1::5", "web-07", "2026-06-01")),
	    KP_ALLOWED);
	CHECK_INT(
	    decide(p, req("deploy", fp, "198.51.100.3", "db-01", "2026-06-01")),
	    KP_HOST_NOT_ALLOWED);
	CHECK_INT(
	    decide(p, req("root", fp, "198.51.100.3", "web-07", "2026-06-01")),
	    KP_ACCOUNT_NOT_ALLOWED);
	CHECK_INT(
	    decide(
	        p, req("deploy", fp, "198.51.100.3", "web-07", "2027-01-01")),
	    KP_EXPIRED);
	CHECK_INT(
	    decide(
	        p, req("deploy", fp, "198.51.100.3", "web-07", "2025-12-31")),
	    KP_NOT_YET_VALID);
	kp_policy_free(p);
}

static void
test_valid_engineers(void)
{
	struct kp_policy *p = load_valid("engineers.yaml");
	const char *alice =
	    "SHA256:srZ9knhJn15IMszuF0QQNPm76S81/1rsNT5kpYd6aIo";
	const char *dave = "SHA256:N24Gmy2EUC+wL6eoyJXw+OQR5UZUEI4OgxC2guCmdzY";
	int64_t t;

	if (p == NULL)
		return;
	CHECK_INT(p->nentries, 4);
	CHECK(
	    kp_time_parse("2030-01-31T00:00:00Z", &t) == 0 && p->expires == t);
	CHECK_STR(p->entries[0].key->type, "ssh-ed25519");
	CHECK_INT(p->entries[0].nsources, 3); /* office (2) + vpn (1) */
	CHECK_STR(p->entries[2].key->type, "ssh-rsa");
	CHECK_INT(p->entries[2].key->bits, 4096);
	CHECK(kp_time_parse("2026-12-31T17:00:00Z", &t) == 0 &&
	    p->entries[2].expires == t);
	CHECK_STR(p->entries[3].key->type, "ecdsa-sha2-nistp256");
	CHECK_STR(p->entries[3].owner, "no"); /* quoted: the text */
	CHECK_STR(p->entries[3].accounts[1], "svc_backup$");
	CHECK_INT(p->entries[3].nfrom, 0);
	CHECK_INT(p->entries[3].nsources, 0);
	CHECK_INT(p->entries[3].expires, KP_TIME_NONE_AFTER);
	/* The same key in two entries: root only on db-01 from office. */
	CHECK_INT(
	    decide(p, req("root", alice, "192.0.2.9", "db-01", "2026-06-01")),
	    KP_ALLOWED);
	CHECK_INT(
	    decide(p, req("root", alice, "10.8.1.1", "db-01", "2026-06-01")),
	    KP_SOURCE_NOT_ALLOWED);
	CHECK_INT(
	    decide(p, req("alice", alice, "10.8.1.1", "web-01", "2026-06-01")),
	    KP_ALLOWED);
	CHECK_INT(decide(p, req("dave", dave, NULL, "web-01", "2026-06-01")),
	    KP_ALLOWED);
	CHECK_INT(decide(p,
	              req("dave",
	                  "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	                  NULL, "web-01", "2026-06-01")),
	    KP_UNKNOWN_KEY);
	/* The policy itself went stale. */
	CHECK_INT(decide(p, req("dave", dave, NULL, "web-01", "2030-02-01")),
	    KP_POLICY_STALE);
	kp_policy_free(p);
}

static void
test_valid_offboarded(void)
{
	struct kp_policy *p = load_valid("offboarded-owner.yaml");
	const char *bob = "SHA256:lN66LmLzVBN0haGQYEJdH2JliDMfs8t/jLv8KXukRFg";
	const char *erin = "SHA256:BKXnh06VEIaRtJ1/r5lwe0CDu5j68avoeZAcwRaMluo";

	if (p == NULL)
		return;
	CHECK_INT(p->nrevoked, 2);
	CHECK_INT(p->revoked[0].kind, KP_REVOKE_OWNER);
	CHECK_STR(p->revoked[0].value, "bob@example.com");
	CHECK_INT(p->revoked[1].kind, KP_REVOKE_KEY);
	CHECK_STR(p->revoked[1].value, erin);
	CHECK(p->revoked[1].key != NULL);
	CHECK_INT(p->revoked[1].date, KP_TIME_NONE_BEFORE);
	CHECK_INT(p->entries[2].key->bits, 2048);
	CHECK_INT(kp_policy_is_revoked(p, "SHA256:zzz", "bob@example.com"), 1);
	CHECK_INT(
	    decide(p, req("bob", bob, NULL, "h", "2026-06-01")), KP_REVOKED);
	CHECK_INT(
	    decide(p, req("erin", erin, NULL, "h", "2026-06-01")), KP_REVOKED);
	kp_policy_free(p);
}

static void
test_valid_misc(void)
{
	struct kp_policy *p;

	p = load_valid("networks-after-keys.yaml");
	if (p != NULL) {
		CHECK_INT(p->entries[0].nfrom, 2);
		CHECK_INT(p->entries[0].nsources, 2);
		CHECK_INT(p->entries[0].sources[0].prefix, 24);
		CHECK_INT(p->entries[0].sources[1].prefix, 32);
	}
	kp_policy_free(p);
	p = load_valid("minimal.yaml");
	if (p != NULL) {
		CHECK_INT(p->nentries, 0);
		CHECK_INT(p->nnetworks, 0);
		CHECK_INT(p->nrevoked, 0);
		CHECK_INT(p->expires, KP_TIME_NONE_AFTER);
	}
	kp_policy_free(p);
	p = load_valid("json-style.yaml");
	if (p != NULL) {
		CHECK_INT(p->serial, 9);
		CHECK_INT(p->nentries, 1);
	}
	kp_policy_free(p);
}

/*
 * Invisible and format characters: refused where the machine compares the
 * value (owners, commands: tests/data/invalid), kept in free text (a
 * comment, a reason), which nothing compares.
 */
static void
test_free_text(void)
{
	struct kp_policy *p = NULL;
	struct kp_diag d;
	const char *y =
	    "version: 1\nserial: 1\nkeys:\n  - id: a\n    owner: o\n"
	    "    key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFMhTO5GagqeN0CStJECw"
	    "eqD0xEf1GTaCvZ7q0DYBwX8\n    accounts: [a]\n"
	    "    comment: \"ACME\\u00a0GmbH \\U0001F468\\u200D\\U0001F4BB\"\n"
	    "revoked:\n  - owner: x\n    reason: \"left\\u2009today\"\n";

	CHECK_INT(kp_policy_load_buf("free.yaml", y, strlen(y), &p, &d), 0);
	if (p != NULL) {
		CHECK_STR(p->entries[0].comment,
		    "ACME\xc2\xa0GmbH "
		    "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x92\xbb");
		CHECK_STR(p->revoked[0].reason, "left\xe2\x80\x89today");
	} else
		t_diag("%u:%u: %s", d.line, d.column, d.msg);
	kp_policy_free(p);
}

static void
test_buf(void)
{
	struct kp_policy *p = NULL;
	struct kp_diag d;
	const char *s = "version: 1\nserial: 1\n";

	/* sha256sum of exactly these bytes */
	CHECK_INT(kp_policy_load_buf("mem", s, strlen(s), &p, &d), 0);
	if (p != NULL) {
		CHECK_STR(p->sha256,
		    "10542b7fb4bc4d1121cb1d974dea07f3e2f093bf"
		    "29aac8f475560d8a599a94be");
		CHECK_STR(p->path, "mem");
	}
	kp_policy_free(p);
	/* No diag, no name. */
	CHECK_INT(kp_policy_load_buf(NULL, s, strlen(s), &p, NULL), 0);
	CHECK(p != NULL && p->path == NULL);
	kp_policy_free(p);
	CHECK_INT(kp_policy_load_buf("x", "serial: 1\n", 10, &p, NULL),
	    KP_ERR_INVALID);
	CHECK(p == NULL);
	CHECK_INT(kp_policy_load_buf("x", s, strlen(s), NULL, &d), KP_ERR_ARG);
	CHECK_INT(kp_policy_load_buf("x", NULL, 5, &p, &d), KP_ERR_ARG);
	/* Zero bytes: an empty policy, not a crash. */
	CHECK_INT(kp_policy_load_buf("x", "", 0, &p, &d), KP_ERR_INVALID);
	CHECK_CONTAINS(d.msg, "empty policy");
	CHECK_STR(d.file, "x");
	/* Depth limit reports TOOBIG. */
	s = "keys: [[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]";
	CHECK_INT(kp_policy_load_buf("x", s, strlen(s), &p, &d), KP_ERR_TOOBIG);
	CHECK_CONTAINS(d.msg, "nested deeper than 16 levels");
}

static char *
make_buf(const char *head, size_t fill, char c, const char *tail, size_t *len)
{
	size_t hl = strlen(head), tl = strlen(tail);
	char *b;

	if ((b = malloc(hl + fill + tl)) == NULL)
		exit(99);
	memcpy(b, head, hl);
	memset(b + hl, c, fill);
	memcpy(b + hl + fill, tail, tl);
	*len = hl + fill + tl;
	return b;
}

static void
expect_fail(
    const char *what, const char *buf, size_t len, int code, const char *msg)
{
	struct kp_policy *p = NULL;
	struct kp_diag d;
	double t0, dt;
	int r;

	t0 = now_s();
	r = kp_policy_load_buf(what, buf, len, &p, &d);
	dt = now_s() - t0;
	CHECK_INT(r, code);
	CHECK(p == NULL);
	CHECK_CONTAINS(d.msg, msg);
	printf("%s: %.3f s: %u:%u: %s\n", what, dt, d.line, d.column, d.msg);
}

static void
test_generated_hostile(const char *tmpdir)
{
	char *b, path[4096], *q;
	struct kp_policy *p = NULL;
	struct kp_diag d;
	size_t len, i, n;
	double t0;
	int fd;

	/* A 100 MB quoted scalar: refused after about 1 MiB of it. */
	b = make_buf("version: 1\nserial: 1\nkeys:\n  - comment: \"",
	    100 * 1024 * 1024, 'a', "\"\n", &len);
	expect_fail(
	    "100MB-scalar", b, len, KP_ERR_TOOBIG, "longer than 1048576 bytes");
	/* ... and the same bytes as a file through kp_policy_load. */
	snprintf(path, sizeof(path), "%s/big.yaml", tmpdir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    write(fd, b, len) != (ssize_t)len || close(fd) != 0)
		exit(99);
	free(b);
	t0 = now_s();
	CHECK_INT(kp_policy_load(path, 0, &p, &d), KP_ERR_TOOBIG);
	CHECK(p == NULL);
	CHECK_CONTAINS(d.msg, "longer than 1048576 bytes");
	printf("100MB-file: %.3f s\n", now_s() - t0);
	unlink(path);

	/* 100 MB of comment lines. */
	b = make_buf(
	    "version: 1\nserial: 1\n", 100 * 1024 * 1024, '#', "\n", &len);
	for (i = 100; i < len; i += 80)
		b[i] = '\n';
	expect_fail("100MB-comments", b, len, KP_ERR_TOOBIG,
	    "longer than 1048576 bytes");
	free(b);

	/* A 1 MB single scalar (under the feed limit, over every value). */
	b = make_buf("version: 1\nserial: 1\nkeys:\n  - id: ", 1000 * 1000, 'x',
	    "\n", &len);
	expect_fail("1MB-scalar", b, len, KP_ERR_TOOBIG,
	    "value too long (1000000 bytes");
	free(b);

	/* A file over KP_POLICY_MAX_BYTES: refused by size, never read. */
	snprintf(path, sizeof(path), "%s/sparse.yaml", tmpdir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    ftruncate(fd, (off_t)KP_POLICY_MAX_BYTES + 1) != 0 ||
	    close(fd) != 0)
		exit(99);
	CHECK_INT(kp_policy_load(path, 0, &p, &d), KP_ERR_TOOBIG);
	CHECK_CONTAINS(d.msg, "policy too large");
	CHECK(p == NULL);
	unlink(path);
	/* ... and as a buffer (never touched: length check first). */
	expect_fail("over-limit-buf", "", KP_POLICY_MAX_BYTES + 1,
	    KP_ERR_TOOBIG, "policy too large");

	/* An entry mapping with 200,000 keys, the duplicate at the end. */
	n = 200000;
	if ((b = malloc(n * 16 + 128)) == NULL)
		exit(99);
	len = (size_t)sprintf(b, "version: 1\nserial: 1\nkeys:\n  - {");
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(b + len, "k%zu: 1, ", i);
	len += (size_t)sprintf(b + len, "k7: 2}\n");
	expect_fail("wide-mapping-dup", b, len, KP_ERR_INVALID,
	    "duplicate key 'k7' (first at line 4)");
	/* ... and without the duplicate: the unknown field. */
	q = strstr(b, "k7: 2}");
	memcpy(q, "kX: 2}", 6);
	expect_fail("wide-mapping", b, len, KP_ERR_INVALID,
	    "unknown field 'k0' in keys entry");
	free(b);

	/* 100,000 accounts, one repeated at the end. */
	if ((b = malloc(n * 16 + 256)) == NULL)
		exit(99);
	len = (size_t)sprintf(b,
	    "version: 1\nserial: 1\nkeys:\n  - id: a\n"
	    "    accounts: [");
	for (i = 0; i < 100000; i++)
		len += (size_t)sprintf(b + len, "u%zu, ", i);
	len += (size_t)sprintf(b + len, "u99]\n");
	expect_fail("long-list-dup", b, len, KP_ERR_INVALID,
	    "accounts: 'u99' is listed twice");
	free(b);
}

static void
write_file(const char *path, const char *s, size_t len)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0 ||
	    write(fd, s, len) != (ssize_t)len || close(fd) != 0)
		exit(99);
}

/*
 * The streamed loader reads the file in chunks: a NUL byte or a read
 * problem far past an earlier error still wins, as it does when the
 * whole file is checked before parsing; the hash covers every byte.
 */
static void
test_stream(const char *tmpdir)
{
	static const char head[] = "version: 1\nserial: 3\nbogus: [\n";
	struct kp_policy *p = (struct kp_policy *)&p, *q = NULL;
	struct kp_diag d;
	char path[4096];
	size_t pad = 300000, len, i;
	char *s;

	snprintf(path, sizeof(path), "%s/stream.yaml", tmpdir);
	len = sizeof(head) - 1 + pad + 1;
	if ((s = malloc(len)) == NULL)
		exit(99);
	memcpy(s, head, sizeof(head) - 1);
	for (i = sizeof(head) - 1; i < len; i++)
		s[i] = (i % 64) == 63 ? '\n' : '#';
	/* An unknown field, then a NUL on the last line. */
	s[len - 2] = '\0';
	write_file(path, s, len);
	CHECK_INT(kp_policy_load(path, 0, &p, &d), KP_ERR_INVALID);
	CHECK(p == NULL);
	CHECK_CONTAINS(d.msg, "NUL byte in the policy");
	same_as_buf(path, KP_ERR_INVALID, &d);
	CHECK(d.line > 4000);

	/* The same without the NUL: the first error, at its place. */
	s[len - 2] = '#';
	write_file(path, s, len);
	CHECK_INT(kp_policy_load(path, 0, &p, &d), KP_ERR_INVALID);
	CHECK_CONTAINS(d.msg, "unknown field 'bogus'");
	same_as_buf(path, KP_ERR_INVALID, &d);

	/* A valid policy longer than any chunk: the hash of all of it. */
	memset(s + 21, '#', sizeof(head) - 1 - 22); /* line 3: a comment */
	write_file(path, s, len);
	CHECK_INT(kp_policy_load(path, 0, &p, &d), 0);
	CHECK_INT(kp_policy_load_buf(path, s, len, &q, &d), 0);
	CHECK(p != NULL && q != NULL);
	if (p != NULL && q != NULL) {
		CHECK_STR(p->sha256, q->sha256);
		CHECK_INT((int)p->serial, 3);
	}
	kp_policy_free(p);
	kp_policy_free(q);
	unlink(path);
	free(s);
}

static void
test_files(const char *tmpdir)
{
	struct kp_policy *p = (struct kp_policy *)&p;
	struct kp_diag d;
	char path[4096];
	const char *s = "version: 1\nserial: 3\n";
	int fd;

	CHECK_INT(kp_policy_load("/nonexistent/keyauth.yaml", 0, &p, &d),
	    KP_ERR_NOTFOUND);
	CHECK(p == NULL);
	CHECK_STR(d.file, "/nonexistent/keyauth.yaml");
	CHECK_CONTAINS(d.msg, "No such file");
	/* A directory is a policy in several files: here, none. */
	snprintf(path, sizeof(path), "%s/empty.d", tmpdir);
	CHECK_INT(mkdir(path, 0700), 0);
	CHECK_INT(kp_policy_load(path, 0, &p, &d), KP_ERR_INVALID);
	CHECK_CONTAINS(d.msg, "no *.yaml file in it");
	rmdir(path);
	CHECK_INT(kp_policy_load(NULL, 0, &p, &d), KP_ERR_ARG);

	/* A FIFO must be refused, not block the loader. */
	snprintf(path, sizeof(path), "%s/fifo.yaml", tmpdir);
	if (mkfifo(path, 0600) == 0) {
		CHECK_INT(kp_policy_load(path, 0, &p, &d), KP_ERR_UNSAFE);
		unlink(path);
	}

	snprintf(path, sizeof(path), "%s/policy.yaml", tmpdir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0 ||
	    write(fd, s, strlen(s)) != (ssize_t)strlen(s) || close(fd) != 0)
		exit(99);
	CHECK_INT(kp_policy_load(path, 0, &p, &d), 0);
	CHECK(p != NULL && p->serial == 3 && strcmp(p->path, path) == 0);
	kp_policy_free(p);
	/* The safe opener: fine as 0644 root-owned (when root), not 0666. */
	if (geteuid() == 0) {
		CHECK_INT(kp_policy_load(path, KP_LOAD_SAFE, &p, &d), 0);
		CHECK(p != NULL && p->serial == 3);
		kp_policy_free(p);
	}
	chmod(path, 0666);
	CHECK(kp_policy_load(path, KP_LOAD_SAFE, &p, &d) != 0);
	CHECK(p == NULL);
	CHECK(d.msg[0] != '\0');
	unlink(path);
}

int
main(void)
{
	char tmpdir[] = "/tmp/keyauth-test-load.XXXXXX";

	if ((srcdir = getenv("top_srcdir")) == NULL)
		srcdir = "..";
	if (mkdtemp(tmpdir) == NULL)
		return 99;

	check_expect_dir("invalid");
	check_expect_dir("hostile");
	test_hostile_accepted();
	test_valid_all();
	test_valid_support_vendor();
	test_valid_deploy();
	test_valid_authorities();
	test_valid_engineers();
	test_valid_offboarded();
	test_valid_misc();
	test_buf();
	test_free_text();
	test_generated_hostile(tmpdir);
	test_files(tmpdir);
	test_stream(tmpdir);

	rmdir(tmpdir);
	return t_done();
}
