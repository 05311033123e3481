/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * kp_convert_v2: every version 1 example of policy/examples, and a
 * generated policy of 100,000 keys, converted to version 2, loaded
 * again and compiled for a few hosts. The access records (every record
 * but the meta and the grant annotations 'V') are the original's, byte
 * for byte and in the same order; the original has no annotation, the
 * conversion one for each grant or host marker; the meta records are
 * equal but for the record and byte counts, which differ by exactly the
 * annotations, and the policy's own SHA-256, which the test sets equal
 * (it is the hash of another text). docs/policy-format.md, "Migration".
 */

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "keyauth-policy.h"
#include "keyauth-admin.h"
#include "kp-internal.h"
#include "../test.h"
#include "../index-access.h"

#define OK(cond) t_ok(!!(cond), __FILE__, __LINE__, "%s", #cond)

static const char *srcdir;
static char tmp[] = "/tmp/test_convert.XXXXXX";

/* v1 and its conversion compile to the same access records for every host. */
static void
same_index(struct kp_policy *v1, const char *what)
{
	static const char *const hosts[] = {"web-01", "db-01", "app-1.prod"};
	struct kp_policy *v2 = NULL;
	struct kp_diag d;
	char *yaml = NULL, p1[4096], p2[4096];
	size_t merged = 0, i;

	T_CASE("%s", what);
	if (!OK(kp_convert_v2(v1, &yaml, &merged) == 0))
		return;
	CHECK_INT(merged, 0);
	if (!OK(kp_policy_load_buf(
	            "converted.yaml", yaml, strlen(yaml), &v2, &d) == 0)) {
		t_diag("%u:%u: %s", d.line, d.column, d.msg);
		goto out;
	}
	CHECK_INT(v2->version, 2);
	CHECK(v2->teams != NULL || v1->nentries == 0);
	CHECK_INT(v2->nentries, v1->nentries);
	memcpy(v2->sha256, v1->sha256, sizeof(v2->sha256));
	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		snprintf(p1, sizeof(p1), "%s/v1.cdb", tmp);
		snprintf(p2, sizeof(p2), "%s/v2.cdb", tmp);
		CHECK_INT(kp_index_compile(v1, hosts[i], 1000, p1, &d), 0);
		CHECK_INT(kp_index_compile(v2, hosts[i], 1000, p2, &d), 0);
		ix_same_access(p1, p2, -1);
		unlink(p1);
		unlink(p2);
	}
out:
	free(yaml);
	kp_policy_free(v2);
	T_CASE(NULL);
}

static void
test_examples(void)
{
	struct kp_policy *p;
	struct kp_diag d;
	struct dirent *de;
	char dir[4096], path[8192];
	size_t n = 0, len;
	DIR *dh;

	snprintf(dir, sizeof(dir), "%s/policy/examples", srcdir);
	if ((dh = opendir(dir)) == NULL)
		t_bail("%s: cannot open", dir);
	while ((de = readdir(dh)) != NULL) {
		len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".yaml") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (kp_policy_load(path, 0, &p, &d) != 0)
			t_bail("%s: %s", path, d.msg);
		if (p->teams == NULL) {
			same_index(p, de->d_name);
			n++;
		} else {
			char *y = NULL;
			size_t m;

			T_CASE("%s", de->d_name);
			CHECK_INT(kp_convert_v2(p, &y, &m), KP_ERR_INVALID);
			T_CASE(NULL);
		}
		kp_policy_free(p);
	}
	closedir(dh);
	CHECK(n >= 7);
}

/*
 * 100,000 keys held by 10,000 owners, with every kind of restriction
 * (named networks and addresses, hosts, times, options, a command) so
 * that conversion has many sets to find.
 */
static void
test_generated(void)
{
	struct kp_buf b;
	struct kp_policy *p = NULL;
	struct kp_diag d;
	uint8_t blob[51];
	char b64[128];
	size_t i, len;
	uint32_t x = 12345;

	kp_buf_init(&b, 256UL * 1024 * 1024);
	kp_buf_puts(&b,
	    "version: 1\nserial: 9\nnetworks:\n"
	    "  office: [192.0.2.0/24]\n  vpn: [198.51.100.0/24]\n"
	    "keys:\n");
	memcpy(blob, "\0\0\0\x0bssh-ed25519\0\0\0\x20", 19);
	for (i = 0; i < 100000; i++) {
		size_t k;

		for (k = 19; k < sizeof(blob); k++) {
			x = x * 1103515245u + 12345u;
			blob[k] = (uint8_t)(x >> 16);
		}
		if (kp_b64_encode(blob, sizeof(blob), 1, b64, sizeof(b64)) != 0)
			t_bail("base64");
		kp_buf_printf(&b,
		    "  - id: k%zu\n    owner: p%zu@example.com\n"
		    "    key: ssh-ed25519 %s\n    accounts: [u%zu%s]\n",
		    i, i % 10000, b64, i % 7, i % 10 == 0 ? ", deploy" : "");
		if (i % 3 == 0)
			kp_buf_printf(&b, "    from: [%s]\n",
			    i % 2 ? "office" : "vpn, 203.0.113.9");
		if (i % 5 == 0)
			kp_buf_puts(&b, "    hosts: [\"web-*\"]\n");
		if (i % 4 == 0)
			kp_buf_printf(
			    &b, "    expires: 2027-0%zu-01\n", 1 + i % 9);
		if (i % 50 == 0)
			kp_buf_puts(&b,
			    "    options: [restrict]\n"
			    "    command: /usr/bin/backup\n");
	}
	kp_buf_puts(&b,
	    "revoked:\n  - owner: p3@example.com\n"
	    "    reason: left\n");
	if (!OK(b.err == 0))
		goto out;
	len = kp_buf_len(&b);
	if (!OK(kp_policy_load_buf("gen.yaml", b.s, len, &p, &d) == 0)) {
		t_diag("%u:%u: %s", d.line, d.column, d.msg);
		goto out;
	}
	CHECK_INT(p->nentries, 100000);
	same_index(p, "a generated policy of 100,000 keys");
out:
	kp_policy_free(p);
	kp_buf_free(&b);
}

int
main(void)
{
	char cmd[256];

	if ((srcdir = getenv("top_srcdir")) == NULL)
		srcdir = "..";
	if (mkdtemp(tmp) == NULL)
		t_bail("mkdtemp");
	test_examples();
	test_generated();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		t_diag("could not remove %s", tmp);
	return t_done();
}
