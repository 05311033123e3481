/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The login path's records (namespaces M F A O C R V of
 * policy/core/index-format.h) of the example and valid policies, and of
 * their version 2 conversions, for four hosts: their SHA-256 against
 * tests/data/index-login.sha256. The report's records (E X T Q) may
 * change with the report; a change of these is a change of what decides
 * logins and must be meant: then the file is written again (the
 * diagnostics give its lines). The meta record counts every record, so
 * its nrecords and databytes (and its check) are left out of the hash.
 */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cdb.h>
#include <nettle/sha2.h>

#include "keyauth-admin.h"
#include "keyauth-policy.h"
#include "index-format.h"
#include "../test.h"
#include "../cdb-walk.h"

#define NOW ((int64_t)1767225600)
/* Meta: magic, format, 5 be64 fields, then nrecords and databytes. */
#define META_NRECORDS (KPI_MAGIC_LEN + 4 + 5 * 8)
#define META_COUNTS_LEN 16

static const char *const policies[] = {
    "policy/examples/ci-deploy.yaml",
    "policy/examples/engineers.yaml",
    "policy/examples/key-deleted.yaml",
    "policy/examples/offboarding.yaml",
    "policy/examples/policy.yaml",
    "policy/examples/support-company-revoked.yaml",
    "policy/examples/support-company.yaml",
    "policy/examples/teams.yaml",
    "policy/examples/teams.d",
    "tests/data/valid/authorities.yaml",
    "tests/data/valid/deploy-forced-command.yaml",
    "tests/data/valid/engineers.yaml",
    "tests/data/valid/json-style.yaml",
    "tests/data/valid/minimal.yaml",
    "tests/data/valid/networks-after-keys.yaml",
    "tests/data/valid/offboarded-owner.yaml",
    "tests/data/valid/support-vendor-revoked.yaml",
    "tests/data/valid/teams-v1.yaml",
    "tests/data/valid/version-2-issued.yaml",
};
static const char *const hosts[] = {"web-01", "db-01", "app-1.prod", "bastion"};

static const char *srcdir;
static char tmpdir[64];
static char *golden;

static void
put_be32(struct sha256_ctx *c, size_t n)
{
	uint8_t b[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16),
	    (uint8_t)(n >> 8), (uint8_t)n};

	sha256_update(c, sizeof(b), b);
}

struct login_hash {
	struct sha256_ctx c;
	size_t nmeta;
};

static int
hash_one(
    const uint8_t *k, unsigned klen, const uint8_t *v, unsigned vlen, void *arg)
{
	struct login_hash *h = arg;
	uint8_t *meta;

	if (strchr("MFAOCRV", k[0]) == NULL)
		return 0;
	put_be32(&h->c, klen);
	sha256_update(&h->c, klen, k);
	if (k[0] != KPI_NS_META) {
		put_be32(&h->c, vlen);
		sha256_update(&h->c, vlen, v);
		return 0;
	}
	if (vlen < META_NRECORDS + META_COUNTS_LEN + KPI_CHECK_LEN ||
	    (meta = malloc(vlen)) == NULL)
		return -1;
	memcpy(meta, v, vlen);
	memset(meta + META_NRECORDS, 0, META_COUNTS_LEN);
	put_be32(&h->c, vlen - KPI_CHECK_LEN);
	sha256_update(&h->c, vlen - KPI_CHECK_LEN, meta);
	free(meta);
	h->nmeta++;
	return 0;
}

/* The hash of the login path's records of index path, in file order. */
static int
login_hash(const char *path, char hex[2 * SHA256_DIGEST_SIZE + 1])
{
	struct login_hash h;
	uint8_t d[SHA256_DIGEST_SIZE];
	size_t i;

	memset(&h, 0, sizeof(h));
	sha256_init(&h.c);
	if (t_cdb_walk(path, hash_one, &h) != 0 || h.nmeta != 1)
		return -1;
	sha256_digest(&h.c, sizeof(d), d);
	for (i = 0; i < sizeof(d); i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	return 0;
}

/* name: the policy's path, ":v2" for its conversion. */
static void
check_one(const struct kp_policy *p, const char *name)
{
	struct kp_diag diag;
	char path[128], hex[2 * SHA256_DIGEST_SIZE + 1], line[512];
	size_t h;

	for (h = 0; h < sizeof(hosts) / sizeof(hosts[0]); h++) {
		snprintf(path, sizeof(path), "%s/ix.cdb", tmpdir);
		T_CASE("%s for %s", name, hosts[h]);
		CHECK_INT(kp_index_compile(p, hosts[h], NOW, path, &diag), 0);
		CHECK_INT(login_hash(path, hex), 0);
		snprintf(line, sizeof(line), "%s %s %s\n", name, hosts[h], hex);
		if (!t_ok(strstr(golden, line) != NULL, __FILE__, __LINE__,
		        "the login records' hash is the file's"))
			t_diag("%s", line);
		unlink(path);
	}
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (f == NULL || (buf = calloc(1, 1 << 20)) == NULL)
		t_bail("cannot read %s", path);
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

int
main(void)
{
	struct kp_policy *p, *p2;
	struct kp_diag diag;
	char name[512], *v2;
	size_t i, merged;

	if ((srcdir = getenv("top_srcdir")) == NULL)
		srcdir = "..";
	/*
	 * The policies by their paths in the tree: a conversion names its
	 * source, and the meta record has the hash of the converted text.
	 */
	if (chdir(srcdir) != 0)
		t_bail("cannot enter %s", srcdir);
	golden = slurp("tests/data/index-login.sha256");
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kp-login-records.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		t_bail("mkdtemp");
	for (i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
		p = NULL;
		T_CASE("%s", policies[i]);
		CHECK_INT(kp_policy_load(policies[i], 0, &p, &diag), 0);
		if (p == NULL)
			continue;
		check_one(p, policies[i]);
		v2 = NULL;
		if (kp_convert_v2(p, &v2, &merged) == 0) {
			snprintf(name, sizeof(name), "%s:v2", policies[i]);
			p2 = NULL;
			CHECK_INT(kp_policy_load_buf(
			              name, v2, strlen(v2), &p2, &diag),
			    0);
			if (p2 != NULL)
				check_one(p2, name);
			kp_policy_free(p2);
		}
		free(v2);
		kp_policy_free(p);
	}
	rmdir(tmpdir);
	free(golden);
	return t_done();
}
