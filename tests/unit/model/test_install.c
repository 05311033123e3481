/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * policy/install.c: the state file (format, strict parse, every corruption
 * refused), the rollback rule, and the KRL specification.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyauth-policy.h"
#include "../test.h"

#define SHA_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SHA_B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static const char good[] = "keyauth-install-state 1\n"
                           "serial 6\n"
                           "sha256 " SHA_A "\n"
                           "host web-01\n"
                           "installed_at 2026-11-22T10:00:00Z\n";

static int
parse(const char *s, struct kp_install_state *st, const char **why)
{
	return kp_install_state_parse(s, strlen(s), st, why);
}

static void
test_state(void)
{
	struct kp_install_state st, st2;
	const char *why = NULL;
	char buf[KP_STATE_MAX_BYTES];
	size_t i;
	static const char *const bad[] = {
	    "",
	    "keyauth-install-state 2\nserial 6\n",
	    "keyauth-install-state 1\nserial 0\nsha256 " SHA_A
	    "\nhost h\ninstalled_at 2026-01-01\n",
	    "keyauth-install-state 1\nserial 06\nsha256 " SHA_A
	    "\nhost h\ninstalled_at 2026-01-01\n",
	    "keyauth-install-state 1\nserial 9223372036854775808\nsha256 " SHA_A
	    "\nhost h\ninstalled_at 2026-01-01\n",
	    "keyauth-install-state 1\nserial "
	    "99999999999999999999\nsha256 " SHA_A
	    "\nhost h\ninstalled_at 2026-01-01\n",
	    "keyauth-install-state 1\nserial -1\nsha256 " SHA_A
	    "\nhost h\ninstalled_at 2026-01-01\n",
	    "keyauth-install-state 1\nserial 6x\nsha256 " SHA_A
	    "\nhost h\ninstalled_at 2026-01-01\n",
	    "keyauth-install-state 1\nserial 6\nsha256 0123\nhost h\n"
	    "installed_at 2026-01-01\n",
	    "keyauth-install-state 1\nserial 6\nsha256 " SHA_A
	    "\nhost bad host\ninstalled_at 2026-01-01\n",
	    "keyauth-install-state 1\nserial 6\nsha256 " SHA_A
	    "\nhost h\ninstalled_at yesterday\n",
	    /* no final newline */
	    "keyauth-install-state 1\nserial 6\nsha256 " SHA_A
	    "\nhost h\ninstalled_at 2026-01-01",
	    /* trailing data */
	    "keyauth-install-state 1\nserial 6\nsha256 " SHA_A
	    "\nhost h\ninstalled_at 2026-01-01\nextra 1\n",
	    /* reordered */
	    "keyauth-install-state 1\nsha256 " SHA_A
	    "\nserial 6\nhost h\ninstalled_at 2026-01-01\n",
	    /* upper-case hex */
	    "keyauth-install-state 1\nserial 6\nsha256 "
	    "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"
	    "\nhost h\ninstalled_at 2026-01-01\n",
	    "keyauth-install-state 1\nserial  6\nsha256 " SHA_A
	    "\nhost h\ninstalled_at 2026-01-01\n",
	};

	CHECK_INT(parse(good, &st, &why), 0);
	CHECK_INT(st.serial, 6);
	CHECK_STR(st.sha256, SHA_A);
	CHECK_STR(st.host, "web-01");
	CHECK_INT(kp_install_state_format(&st, buf, sizeof(buf)), 0);
	CHECK_STR(buf, good);
	CHECK_INT(parse(buf, &st2, NULL), 0);
	CHECK(memcmp(&st, &st2, sizeof(st)) == 0);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		CHECK_INT(parse(bad[i], &st, &why), KP_ERR_CORRUPT);
		CHECK(why != NULL);
		CHECK_INT(st.serial, 0);
	}
	/* a NUL byte inside */
	memcpy(buf, good, sizeof(good));
	buf[30] = '\0';
	CHECK_INT(kp_install_state_parse(buf, sizeof(good) - 1, &st, &why),
	    KP_ERR_CORRUPT);
	CHECK_STR(why, "contains a NUL byte");

	/* format refuses what parse would refuse */
	CHECK_INT(parse(good, &st, NULL), 0);
	st.serial = 0;
	CHECK_INT(kp_install_state_format(&st, buf, sizeof(buf)), KP_ERR_ARG);
	CHECK_INT(parse(good, &st, NULL), 0);
	snprintf(st.host, sizeof(st.host), "a b");
	CHECK_INT(kp_install_state_format(&st, buf, sizeof(buf)), KP_ERR_ARG);
	CHECK_INT(parse(good, &st, NULL), 0);
	CHECK_INT(kp_install_state_format(&st, buf, 20), KP_ERR_TOOBIG);

	CHECK_INT(kp_install_state_read(
	              "/nonexistent/keyauth/state", (uid_t)-1, &st, &why),
	    KP_ERR_NOTFOUND);
}

static void
test_rule(void)
{
	struct kp_install_state st;

	CHECK_INT(parse(good, &st, NULL), 0);
	CHECK_INT(kp_install_check(NULL, 1, SHA_A), KP_INSTALL_PROCEED);
	CHECK_INT(kp_install_check(&st, 7, SHA_B), KP_INSTALL_PROCEED);
	CHECK_INT(kp_install_check(&st, 5, SHA_A), KP_ERR_ROLLBACK);
	CHECK_INT(kp_install_check(&st, 1, SHA_B), KP_ERR_ROLLBACK);
	CHECK_INT(kp_install_check(&st, 6, SHA_B), KP_ERR_CONFLICT);
	CHECK_INT(kp_install_check(&st, 6, NULL), KP_ERR_CONFLICT);
	CHECK_INT(kp_install_check(&st, 6, SHA_A), KP_INSTALL_SAME);
}

static void
test_host(void)
{
	char longname[300];

	CHECK(kp_host_name_valid("web-01.example.com"));
	CHECK(kp_host_name_valid("db_2"));
	CHECK(!kp_host_name_valid(""));
	CHECK(!kp_host_name_valid("a b"));
	CHECK(!kp_host_name_valid("a/b"));
	CHECK(!kp_host_name_valid("a\nb"));
	memset(longname, 'a', sizeof(longname));
	longname[256] = '\0';
	CHECK(!kp_host_name_valid(longname));
	longname[255] = '\0';
	CHECK(kp_host_name_valid(longname));
}

static void
test_krl_spec(void)
{
	static const char policy[] =
	    "version: 1\n"
	    "serial: 3\n"
	    "keys:\n"
	    "  - id: a\n"
	    "    owner: a@example.com\n"
	    "    key: ssh-ed25519 "
	    "AAAAC3NzaC1lZDI1NTE5AAAAIDlMVnBprn2R4lkUtTA21CE70ZDwxpwgFdm4/"
	    "vE1Oq92\n"
	    "    accounts: [a]\n"
	    "  - id: b\n"
	    "    owner: b@example.com\n"
	    "    key: ssh-ed25519 "
	    "AAAAC3NzaC1lZDI1NTE5AAAAIJzLoqJd2DzxKbTrebRO6uhsUY2vAPR/"
	    "CUjFXlVHLkEM\n"
	    "    accounts: [b]\n"
	    "  - id: b2\n"
	    "    owner: b@example.com\n"
	    "    key: ssh-ed25519 "
	    "AAAAC3NzaC1lZDI1NTE5AAAAIJzLoqJd2DzxKbTrebRO6uhsUY2vAPR/"
	    "CUjFXlVHLkEM\n"
	    "    accounts: [root]\n"
	    "    from: [192.0.2.1]\n"
	    "revoked:\n"
	    "  - owner: b@example.com\n"
	    "    reason: left\n"
	    "  - fingerprint: "
	    "SHA256:N9+M2yNQyJYAEHa18o7LjfVSlMI47DPW+uzt56yWWuM\n"
	    "    reason: stolen\n"
	    "  - fingerprint: "
	    "SHA256:N9+M2yNQyJYAEHa18o7LjfVSlMI47DPW+uzt56yWWuM\n"
	    "    reason: listed twice\n";
	struct kp_policy *p = NULL;
	struct kp_diag d;
	char *spec = NULL;
	size_t len = 0, n = 0;
	int r;

	r = kp_policy_load_buf("t.yaml", policy, sizeof(policy) - 1, &p, &d);
	CHECK_INT(r, 0);
	if (r != 0) {
		fprintf(
		    stderr, "%s:%u:%u: %s\n", d.file, d.line, d.column, d.msg);
		return;
	}
	CHECK_INT(kp_install_krl_spec(p, &spec, &len, &n), 0);
	/* b's key (owner revoked, two entries) once, the stolen one once */
	CHECK_INT(n, 2);
	CHECK_STR(spec,
	    "hash: SHA256:5boyFPnT0TbCS1unBR48gcDXuIcMWBwUbs9KtQAwi74\n"
	    "hash: SHA256:N9+M2yNQyJYAEHa18o7LjfVSlMI47DPW+uzt56yWWuM\n");
	CHECK_INT(len, strlen(spec != NULL ? spec : ""));
	free(spec);
	CHECK_INT(kp_install_krl_spec(NULL, &spec, &len, &n), KP_ERR_ARG);
	CHECK(spec == NULL);
	kp_policy_free(p);
}

/*
 * Certificate revocations the KRL cannot carry: a serial or key id whose
 * CA is only a fingerprint the policy holds no key for.
 */
static void
test_krl_unnamed(void)
{
	static const char policy[] =
	    "version: 2\n"
	    "serial: 3\n"
	    "authorities:\n"
	    "  - id: ca\n"
	    "    owner: ca@example.com\n"
	    "    key: ssh-ed25519 "
	    "AAAAC3NzaC1lZDI1NTE5AAAAIJzLoqJd2DzxKbTrebRO6uhsUY2vAPR/"
	    "CUjFXlVHLkEM\n"
	    "    accounts: [a]\n"
	    "revoked:\n"
	    /* the authority's fingerprint: its key is known */
	    "  - ca: SHA256:5boyFPnT0TbCS1unBR48gcDXuIcMWBwUbs9KtQAwi74\n"
	    "    serial: 5\n"
	    "    reason: x\n"
	    /* a CA of no authority, by fingerprint: twice unnamed */
	    "  - ca: SHA256:N9+M2yNQyJYAEHa18o7LjfVSlMI47DPW+uzt56yWWuM\n"
	    "    serial: 7\n"
	    "    reason: x\n"
	    "  - ca: SHA256:N9+M2yNQyJYAEHa18o7LjfVSlMI47DPW+uzt56yWWuM\n"
	    "    key_id: gone@example.com\n"
	    "    reason: x\n"
	    /* a CA of no authority, as a key line: its key is known */
	    "  - ca: ssh-ed25519 "
	    "AAAAC3NzaC1lZDI1NTE5AAAAIDlMVnBprn2R4lkUtTA21CE70ZDwxpwgFdm4/"
	    "vE1Oq92\n"
	    "    serial: 9\n"
	    "    reason: x\n";
	struct kp_policy *p = NULL;
	struct kp_diag d;
	const char *first = "x";
	size_t n = 99;
	int r;

	T_CASE("KRL: revocations of a CA without a key");
	r = kp_policy_load_buf("t.yaml", policy, sizeof(policy) - 1, &p, &d);
	CHECK_INT(r, 0);
	if (r != 0) {
		fprintf(
		    stderr, "%s:%u:%u: %s\n", d.file, d.line, d.column, d.msg);
		T_CASE(NULL);
		return;
	}
	kp_install_krl_unnamed(p, &n, &first);
	CHECK_INT(n, 2);
	CHECK_STR(first, "SHA256:N9+M2yNQyJYAEHa18o7LjfVSlMI47DPW+uzt56yWWuM");
	kp_install_krl_unnamed(NULL, &n, &first);
	CHECK_INT(n, 0);
	CHECK(first == NULL);
	kp_policy_free(p);
	T_CASE(NULL);
}

int
main(void)
{
	test_state();
	test_rule();
	test_host();
	test_krl_spec();
	test_krl_unnamed();
	return t_done();
}
