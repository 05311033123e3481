/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * The pure functions behind keyauthctl setup (policy/admin/setup.c): the
 * snippet and PAM texts, the unified diff (checked by applying it back),
 * what sshd reads before the snippet, what sshd -T must say, who could
 * still log in, and the backup record. The whole command runs against a
 * small root in tests/admin/setup.sh.
 */

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "keyauth.h"
#include "kp-internal.h"
#include "keyauth-admin.h"
#include "../test.h"

static const struct kp_setup_values V = {
    "/usr/libexec/keyauth/keyauth-authorized-keys",
    "keyauth",
    "/var/lib/keyauth/revoked.krl",
};

#define ENABLED \
	"AuthorizedKeysFile none\n" \
	"AuthorizedKeysCommand /usr/libexec/keyauth/keyauth-authorized-keys " \
	"%u %f %t %k\n" \
	"AuthorizedKeysCommandUser keyauth\n" \
	"RevokedKeys /var/lib/keyauth/revoked.krl\n" \
	"UsePAM yes\n" \
	"UseDNS no\n"

static char *
sshd_text(const char *old, int exists, int want_r)
{
	struct kp_diag d;
	char *out = NULL;
	size_t len = 0;
	int r;

	r = kp_setup_sshd_text(
	    "keyauth.conf", old, strlen(old), exists, &V, &out, &len, &d);
	CHECK_INT(r, want_r);
	if (r == 0)
		CHECK_INT(len, strlen(out));
	return out;
}

static void
test_sshd_text(void)
{
	char *s;

	T_CASE("snippet: the shipped file, every setting uncommented");
	s = sshd_text("# keyauth\n"
	              "#AuthorizedKeysFile none\n"
	              "#AuthorizedKeysCommand /usr/libexec/keyauth/"
	              "keyauth-authorized-keys %u %f %t %k\n"
	              "#AuthorizedKeysCommandUser keyauth\n"
	              "\n"
	              "# Revoked keys are refused.\n"
	              "#RevokedKeys /var/lib/keyauth/revoked.krl\n"
	              "#UsePAM yes\n"
	              "#UseDNS no\n",
	    1, 0);
	CHECK_STR(s,
	    "# keyauth\n"
	    "AuthorizedKeysFile none\n"
	    "AuthorizedKeysCommand /usr/libexec/keyauth/"
	    "keyauth-authorized-keys %u %f %t %k\n"
	    "AuthorizedKeysCommandUser keyauth\n"
	    "\n"
	    "# Revoked keys are refused.\n"
	    "RevokedKeys /var/lib/keyauth/revoked.krl\n"
	    "UsePAM yes\n"
	    "UseDNS no\n");
	free(s);

	T_CASE("snippet: enabled already: byte for byte the same");
	s = sshd_text(ENABLED, 1, 0);
	CHECK_STR(s, ENABLED);
	free(s);
	s = sshd_text("usepam  YES\nAuthorizedKeysFile=none\n", 1, 0);
	CHECK_CONTAINS(s, "usepam  YES\nAuthorizedKeysFile=none\n");
	free(s);

	T_CASE("snippet: a wrong value is replaced, missing ones appended");
	s = sshd_text("AuthorizedKeysFile .ssh/authorized_keys\n"
	              "PasswordAuthentication no\n"
	              "# a comment: AuthorizedKeysCommand\n"
	              "# UsePAM yes (a space: prose, not a setting)",
	    1, 0);
	CHECK_STR(s,
	    "AuthorizedKeysFile none\n"
	    "PasswordAuthentication no\n"
	    "# a comment: AuthorizedKeysCommand\n"
	    "# UsePAM yes (a space: prose, not a setting)\n"
	    "\n# added by keyauthctl setup\n"
	    "AuthorizedKeysCommand /usr/libexec/keyauth/"
	    "keyauth-authorized-keys %u %f %t %k\n"
	    "AuthorizedKeysCommandUser keyauth\n"
	    "RevokedKeys /var/lib/keyauth/revoked.krl\n"
	    "UsePAM yes\n"
	    "UseDNS no\n");
	free(s);

	T_CASE("snippet: a new file");
	s = sshd_text("", 0, 0);
	CHECK(s != NULL && strncmp(s, "# keyauth for sshd", 18) == 0);
	CHECK_CONTAINS(
	    s, "setup\n# --revert removes this file again.\n" ENABLED);
	free(s);

	T_CASE("snippet: a Match block is refused");
	s = sshd_text("UsePAM yes\nMatch User alice\n  PasswordAuthentication "
	              "yes\n",
	    1, KP_ERR_INVALID);
	CHECK(s == NULL);
}

static char *
pam_text(const char *old, int want_r)
{
	struct kp_diag d;
	char *out = NULL;
	int r;

	r = kp_setup_pam_text(
	    "sshd", old, strlen(old), "pam_keyauth.so", &out, NULL, &d);
	CHECK_INT(r, want_r);
	if (r != 0 && r == want_r)
		CHECK_CONTAINS(d.msg, "@include common-account");
	return out;
}

#define NOTE \
	"# keyauth (keyauthctl setup): the policy decides again, then " \
	"confirms\n# the key sshd accepted before any session is set up " \
	"(pam_keyauth(8)).\n"

static void
test_pam_text(void)
{
	char *s;

	T_CASE("pam: Debian's layout: both lines after common-account");
	s = pam_text("@include common-auth\n"
	             "account    required     pam_nologin.so\n"
	             "@include common-account\n"
	             "\n"
	             "session [success=ok default=bad] pam_selinux.so close\n"
	             "@include common-session\n",
	    0);
	CHECK_STR(s,
	    "@include common-auth\n"
	    "account    required     pam_nologin.so\n"
	    "@include common-account\n" NOTE
	    "account    required     pam_keyauth.so\n"
	    "session    required     pam_keyauth.so\n"
	    "\n"
	    "session [success=ok default=bad] pam_selinux.so close\n"
	    "@include common-session\n");
	free(s);

	T_CASE("pam: there already: unchanged");
	s = pam_text("@include common-account\n"
	             "account requisite /lib/security/pam_keyauth.so debug\n"
	             "session required pam_keyauth.so nokey=ignore\n",
	    0);
	CHECK_STR(s,
	    "@include common-account\n"
	    "account requisite /lib/security/pam_keyauth.so debug\n"
	    "session required pam_keyauth.so nokey=ignore\n");
	free(s);

	T_CASE("pam: a line doctor refuses is replaced where it is");
	s = pam_text("@include common-account\n"
	             "account optional pam_keyauth.so\n"
	             "session required pam_selinux.so\n"
	             "-session required pam_keyauth.so mode=audit\n",
	    0);
	CHECK_STR(s,
	    "@include common-account\n"
	    "account    required     pam_keyauth.so\n"
	    "session required pam_selinux.so\n"
	    "session    required     pam_keyauth.so\n");
	free(s);
	s = pam_text("@include common-account\n"
	             "account required pam_keyauth.so mode=audit\n"
	             "session required pam_keyauth.so\n",
	    0);
	CHECK_STR(s,
	    "@include common-account\n"
	    "account    required     pam_keyauth.so\n"
	    "session required pam_keyauth.so\n");
	free(s);

	T_CASE("pam: a session line above the anchor: ours before it");
	s = pam_text("session required pam_env.so\n"
	             "@include common-account\n",
	    0);
	CHECK_STR(s,
	    "session    required     pam_keyauth.so\n"
	    "session required pam_env.so\n"
	    "@include common-account\n" NOTE
	    "account    required     pam_keyauth.so\n");
	free(s);

	T_CASE("pam: no anchor: refused; the last line keeps its newline");
	s = pam_text("account required pam_unix.so\n", KP_ERR_INVALID);
	CHECK(s == NULL);
	s = pam_text("account include password-auth\n"
	             "account required pam_keyauth.so\n",
	    KP_ERR_INVALID);
	CHECK(s == NULL);
	/* nothing to add: a line to replace needs no anchor */
	s = pam_text("account include password-auth\n"
	             "account required pam_keyauth.so\n"
	             "session optional pam_keyauth.so\n",
	    0);
	CHECK_STR(s,
	    "account include password-auth\n"
	    "account required pam_keyauth.so\n"
	    "session    required     pam_keyauth.so\n");
	free(s);
	s = pam_text("@include common-account", 0);
	CHECK_STR(s,
	    "@include common-account\n" NOTE
	    "account    required     pam_keyauth.so\n"
	    "session    required     pam_keyauth.so\n");
	free(s);
	T_CASE(NULL);
}

/* Apply a unified diff to old, as patch(1) would; NULL when it does not fit. */
static char *
patch(const char *old, const char *diff)
{
	struct kp_buf out;
	const char *o = old, *d = diff, *nl;
	char *s = NULL;
	unsigned long os, ol, ns, nl_;
	unsigned long line = 1;
	char last;

	kp_buf_init(&out, 1 << 20);
	/* the two header lines */
	for (int i = 0; i < 2; i++) {
		if ((d = strchr(d, '\n')) == NULL)
			goto fail;
		d++;
	}
	while (*d != '\0') {
		ol = nl_ = 1;
		if (sscanf(d, "@@ -%lu,%lu +%lu,%lu @@", &os, &ol, &ns, &nl_) !=
		        4 &&
		    sscanf(d, "@@ -%lu +%lu,%lu @@", &os, &ns, &nl_) != 3 &&
		    sscanf(d, "@@ -%lu,%lu +%lu @@", &os, &ol, &ns) != 3 &&
		    sscanf(d, "@@ -%lu +%lu @@", &os, &ns) != 2)
			goto fail;
		if (ol == 0)
			os++;
		/* copy the unchanged lines before the hunk */
		for (; line < os; line++) {
			if ((nl = strchr(o, '\n')) == NULL)
				goto fail;
			kp_buf_put(&out, o, (size_t)(nl + 1 - o));
			o = nl + 1;
		}
		d = strchr(d, '\n') + 1;
		last = 0;
		while (*d == ' ' || *d == '-' || *d == '+' || *d == '\\') {
			nl = strchr(d, '\n');
			if (*d == '\\') {
				/* the line before has no newline */
				if ((last == ' ' || last == '+') && out.len > 0)
					out.s[--out.len] = '\0';
				d = nl + 1;
				continue;
			}
			if (*d == ' ' || *d == '-') {
				size_t n = (size_t)(nl - d - 1);

				if (strncmp(o, d + 1, n) != 0)
					goto fail;
				o += n;
				if (*o == '\n')
					o++;
				line++;
			}
			if (*d == ' ' || *d == '+')
				kp_buf_put(&out, d + 1, (size_t)(nl - d));
			last = *d;
			d = nl + 1;
		}
	}
	kp_buf_puts(&out, o);
	kp_buf_take(&out, &s, NULL);
	return s;
fail:
	kp_buf_free(&out);
	return NULL;
}

static void
diff_roundtrip(const char *name, const char *a, const char *b)
{
	struct kp_buf d;
	char *back;

	T_CASE("diff: %s", name);
	kp_buf_init(&d, 1 << 20);
	CHECK_INT(kp_setup_diff(&d, "f", a, strlen(a), 1, b, strlen(b), 1), 0);
	back = patch(a, d.s != NULL ? d.s : "");
	CHECK_STR(back, b);
	if (back == NULL || strcmp(back, b) != 0)
		t_diag("%s", d.s != NULL ? d.s : "(no diff)");
	free(back);
	kp_buf_free(&d);
}

static void
test_diff(void)
{
	struct kp_buf d;
	char big_a[8192], big_b[8192];
	size_t i, n;

	T_CASE("diff: equal files: nothing");
	kp_buf_init(&d, 1 << 20);
	CHECK_INT(kp_setup_diff(&d, "f", "a\n", 2, 1, "a\n", 2, 1), 0);
	CHECK_INT(d.len, 0);

	T_CASE("diff: one line changed, exact text");
	CHECK_INT(kp_setup_diff(&d, "/etc/x", "1\n2\n3\n4\n5\n6\n7\n8\n", 16, 1,
	              "1\n2\n3\n4\nfive\n6\n7\n8\n", 19, 1),
	    0);
	CHECK_STR(d.s,
	    "--- /etc/x\n+++ /etc/x\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n"
	    " 6\n 7\n 8\n");
	kp_buf_reset(&d);

	T_CASE("diff: a new file and a removed one");
	CHECK_INT(kp_setup_diff(&d, "/etc/x", "", 0, 0, "a\nb\n", 4, 1), 0);
	CHECK_STR(d.s, "--- /dev/null\n+++ /etc/x\n@@ -0,0 +1,2 @@\n+a\n+b\n");
	kp_buf_reset(&d);
	CHECK_INT(kp_setup_diff(&d, "/etc/x", "a\n", 2, 1, "", 0, 0), 0);
	CHECK_STR(d.s, "--- /etc/x\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n");
	kp_buf_reset(&d);

	T_CASE("diff: no newline at the end");
	CHECK_INT(kp_setup_diff(&d, "f", "a\nb", 3, 1, "a\nb\nc\n", 6, 1), 0);
	CHECK_STR(d.s,
	    "--- f\n+++ f\n@@ -1,2 +1,3 @@\n a\n-b\n\\ No newline at end of "
	    "file\n+b\n+c\n");
	kp_buf_free(&d);

	diff_roundtrip("insertion at the top", "a\nb\nc\n", "x\na\nb\nc\n");
	diff_roundtrip("insertion at the end", "a\nb\nc\n", "a\nb\nc\nd\n");
	diff_roundtrip("two hunks far apart",
	    "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n",
	    "1\nX\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\nY\n16\n");
	diff_roundtrip("two changes that share context",
	    "1\n2\n3\n4\n5\n6\n7\n8\n", "1\nX\n3\n4\n5\n6\nY\n8\n");
	diff_roundtrip("everything replaced", "a\nb\n", "c\nd\ne\n");
	diff_roundtrip("to no newline", "a\nb\n", "a\nb");
	/* beyond the table's size: still a correct diff */
	for (i = 0, n = 0; i < 2100; i++)
		n += (size_t)snprintf(
		    big_a + n, sizeof(big_a) - n, "%c\n", 'a' + (int)(i % 3));
	memcpy(big_b, big_a, n + 1);
	big_b[0] = 'z';
	big_b[n - 2] = 'z';
	diff_roundtrip("a large file", big_a, big_b);
	T_CASE(NULL);
}

/* An in-memory file tree for the include scan. */
static const char *const *tree;

static int
tree_glob(void *arg, const char *pattern, char ***paths, size_t *n)
{
	const char *const *f;
	size_t k = 0;

	(void)arg;
	*paths = calloc(16, sizeof(**paths));
	*n = 0;
	for (f = tree; f[0] != NULL; f += 2)
		if (fnmatch(pattern, f[0], FNM_PATHNAME) == 0 && k < 16)
			(*paths)[k++] = strdup(f[0]);
	/* in reverse: the scan must sort them itself */
	for (size_t i = 0; i < k / 2; i++) {
		char *t = (*paths)[i];

		(*paths)[i] = (*paths)[k - 1 - i];
		(*paths)[k - 1 - i] = t;
	}
	*n = k;
	return 0;
}

static int
tree_read(void *arg, const char *path, char **text, size_t *len)
{
	const char *const *f;

	(void)arg;
	for (f = tree; f[0] != NULL; f += 2)
		if (strcmp(f[0], path) == 0) {
			*text = strdup(f[1]);
			*len = strlen(f[1]);
			return 0;
		}
	return KP_ERR_NOTFOUND;
}

static void
scan(const char *main, struct kp_setup_scan *sc)
{
	CHECK_INT(kp_setup_sshd_scan("/etc/ssh/sshd_config", main, strlen(main),
	              "/etc/ssh/sshd_config.d/keyauth.conf", &V, tree_glob,
	              tree_read, NULL, sc),
	    0);
}

static void
test_scan(void)
{
	static const char *const t1[] = {
	    "/etc/ssh/sshd_config.d/50-cloud-init.conf",
	    "PasswordAuthentication yes\n",
	    "/etc/ssh/sshd_config.d/00-early.conf",
	    "# early\nusedns yes\nMatch User x\n  AuthorizedKeysFile /x\n",
	    "/etc/ssh/sshd_config.d/zz-late.conf",
	    "UsePAM no\n",
	    NULL,
	};
	static const char *const t2[] = {
	    "/etc/ssh/other.conf",
	    "Include sshd_config.d/*.conf\n",
	    NULL,
	};
	static const char *const empty[] = {NULL};
	struct kp_setup_scan sc;

	T_CASE("scan: Debian's Include, a file before ours sets UseDNS");
	tree = t1;
	scan("# top\nInclude /etc/ssh/sshd_config.d/*.conf\nUsePAM yes\n"
	     "AuthorizedKeysFile .ssh/authorized_keys\n",
	    &sc);
	CHECK_INT(sc.included, 1);
	CHECK_STR(sc.include_where, "/etc/ssh/sshd_config:2");
	CHECK_INT(sc.nconflicts, 1);
	CHECK_STR(
	    sc.conflict[0].where, "/etc/ssh/sshd_config.d/00-early.conf:2");
	CHECK_STR(sc.conflict[0].keyword, "UseDNS");
	CHECK_STR(sc.conflict[0].value, "yes");

	T_CASE("scan: settings above the Include win; equal ones do not "
	       "matter");
	tree = empty;
	scan("UsePAM yes\nAuthorizedKeysFile=.ssh/x\n"
	     "Include /etc/ssh/sshd_config.d/*.conf\n",
	    &sc);
	CHECK_INT(sc.included, 1);
	CHECK_INT(sc.nconflicts, 1);
	CHECK_STR(sc.conflict[0].keyword, "AuthorizedKeysFile");
	CHECK_STR(sc.conflict[0].value, ".ssh/x");
	CHECK_STR(sc.conflict[0].where, "/etc/ssh/sshd_config:2");

	T_CASE("scan: no Include, or one inside Match");
	scan("UsePAM yes\n", &sc);
	CHECK_INT(sc.included, 0);
	scan("Match User alice\nInclude /etc/ssh/sshd_config.d/*.conf\n", &sc);
	CHECK_INT(sc.included, 0);
	CHECK_STR(sc.match_include, "/etc/ssh/sshd_config:2");
	scan("Include /etc/ssh/sshd_config.d/*.cfg\n", &sc);
	CHECK_INT(sc.included, 0);

	T_CASE("scan: a relative Include, nested");
	tree = t2;
	scan("Include other.conf\n", &sc);
	CHECK_INT(sc.included, 1);
	CHECK_STR(sc.include_where, "/etc/ssh/other.conf:1");
	T_CASE(NULL);
}

static void
test_sshd_t(void)
{
	struct kp_setup_sshd_t t;
	struct kp_diag d;
	const char *txt;

	T_CASE("sshd -T: keyauth's values in effect");
	txt = "port 22\nauthorizedkeysfile none\nauthorizedkeyscommand "
	      "/usr/libexec/keyauth/keyauth-authorized-keys %u %f %t %k\n"
	      "authorizedkeyscommanduser keyauth\nrevokedkeys "
	      "/var/lib/keyauth/revoked.krl\nusepam yes\nusedns no\n"
	      "pidfile /run/sshd.pid\npermitrootlogin without-password\n"
	      "allowusers alice\nallowusers ops@10.0.0.0/8\ndenyusers bob\n";
	CHECK_INT(kp_setup_sshd_t_parse(txt, strlen(txt), &t), 0);
	CHECK_INT(kp_setup_sshd_t_check(&t, &V, &d), 0);
	CHECK_STR(t.pidfile, "/run/sshd.pid");
	CHECK_STR(t.permitrootlogin, "without-password");
	CHECK_INT(t.nallowusers, 2);
	CHECK_STR(t.allowusers[1], "ops@10.0.0.0/8");
	CHECK_INT(t.ndenyusers, 1);
	CHECK_INT(t.groups_limited, 0);
	kp_setup_sshd_t_free(&t);

	T_CASE("sshd -T: another value wins");
	txt = "authorizedkeysfile .ssh/authorized_keys\nusepam yes\n";
	CHECK_INT(kp_setup_sshd_t_parse(txt, strlen(txt), &t), 0);
	CHECK_INT(kp_setup_sshd_t_check(&t, &V, &d), KP_ERR_INVALID);
	CHECK_CONTAINS(d.msg,
	    "\"AuthorizedKeysFile .ssh/authorized_keys\", "
	    "not \"none\"");
	kp_setup_sshd_t_free(&t);
	CHECK_INT(kp_setup_sshd_t_parse("", 0, &t), 0);
	CHECK_INT(kp_setup_sshd_t_check(&t, &V, &d), KP_ERR_INVALID);
	CHECK_CONTAINS(d.msg, "no configuration");
	kp_setup_sshd_t_free(&t);
	T_CASE(NULL);
}

/* keys(): "root" 2, "alice" 1, "ops" 1, "svc" 0 */
static int
fake_keys(void *arg, const char *account, size_t *n)
{
	(void)arg;
	*n = strcmp(account, "root") == 0 ? 2
	    : strcmp(account, "alice") == 0 || strcmp(account, "ops") == 0 ||
	        strcmp(account, "nosh") == 0
	    ? 1
	    : 0;
	return 0;
}

static size_t
ways(const char *prl, const char *allow, const char *deny, const char *shells,
    char *list, size_t len)
{
	static const char pw[] = "root:x:0:0:root:/root:/bin/bash\n"
	                         "daemon:x:1:1::/:/usr/sbin/nologin\n"
	                         "alice:x:1000:1000::/home/alice:/bin/sh\n"
	                         "nosh:x:1001:1001::/:/bin/false\n"
	                         "svc:x:1002:1002::/:\n"
	                         "ops:x:1003:1003::/:/bin/bash";
	struct kp_setup_sshd_t t;
	struct kp_setup_ways w;
	const char *a[1] = {allow}, *dn[1] = {deny};
	size_t i, n = 0, nw;

	memset(&t, 0, sizeof(t));
	t.permitrootlogin = prl;
	t.allowusers = allow != NULL ? a : NULL;
	t.nallowusers = allow != NULL;
	t.denyusers = deny != NULL ? dn : NULL;
	t.ndenyusers = deny != NULL;
	CHECK_INT(
	    kp_setup_ways_in(pw, strlen(pw), shells,
	        shells != NULL ? strlen(shells) : 0, &t, fake_keys, NULL, &w),
	    0);
	list[0] = '\0';
	for (i = 0; i < w.n; i++)
		n += (size_t)snprintf(list + n, len - n, "%s%s:%zu",
		    i > 0 ? " " : "", w.way[i].account, w.way[i].nkeys);
	nw = w.n;
	if (prl != NULL && strcmp(prl, "no") == 0)
		CHECK_INT(w.root_refused, 1);
	kp_setup_ways_free(&w);
	return nw;
}

static void
test_ways(void)
{
	char l[256];

	T_CASE("ways in: root, and accounts with a login shell");
	CHECK_INT(ways("prohibit-password", NULL, NULL, NULL, l, sizeof(l)), 3);
	CHECK_STR(l, "root:2 alice:1 ops:1");
	T_CASE("ways in: PermitRootLogin no or forced-commands-only");
	CHECK_INT(ways("no", NULL, NULL, NULL, l, sizeof(l)), 2);
	CHECK_STR(l, "alice:1 ops:1");
	CHECK_INT(
	    ways("forced-commands-only", NULL, NULL, NULL, l, sizeof(l)), 2);
	T_CASE("ways in: /etc/shells decides what a login shell is");
	CHECK_INT(
	    ways("yes", NULL, NULL, "# shells\n/bin/bash\n", l, sizeof(l)), 2);
	CHECK_STR(l, "root:2 ops:1");
	T_CASE("ways in: AllowUsers and DenyUsers");
	CHECK_INT(ways("no", "al*", NULL, NULL, l, sizeof(l)), 1);
	CHECK_STR(l, "alice:1");
	CHECK_INT(ways("no", "ops@10.0.0.0/8", NULL, NULL, l, sizeof(l)), 1);
	CHECK_STR(l, "ops:1");
	CHECK_INT(ways("no", NULL, "alice", NULL, l, sizeof(l)), 1);
	CHECK_STR(l, "ops:1");
	/* a DenyUsers entry for some hosts only does not close the door */
	CHECK_INT(ways("no", NULL, "alice@192.0.2.1", NULL, l, sizeof(l)), 2);

	T_CASE("ways in: a forced command is no shell");
	CHECK_INT(kp_setup_line_gives_shell("ssh-ed25519 AAAA keyauth:a"), 1);
	CHECK_INT(kp_setup_line_gives_shell(
	              "from=\"10.0.0.1\",expiry-time=\"20990101\" ssh-ed25519 "
	              "AAAA keyauth:a"),
	    1);
	CHECK_INT(kp_setup_line_gives_shell(
	              "restrict,command=\"/usr/bin/backup --x, y\" ssh-ed25519 "
	              "AAAA keyauth:a"),
	    0);
	CHECK_INT(kp_setup_line_gives_shell(
	              "from=\"a,command=x\",no-pty ssh-ed25519 AAAA keyauth:a"),
	    1);
	T_CASE(NULL);
}

static void
test_meta(void)
{
	struct kp_setup_meta m, back;
	char *s = NULL;
	const char *bad;

	T_CASE("backup record: round trip");
	memset(&m, 0, sizeof(m));
	strcpy(m.path, "/etc/pam.d/sshd");
	m.existed = 1;
	m.mode = 0640;
	m.uid = 0;
	m.gid = 42;
	CHECK_INT(kp_setup_meta_format(&m, &s), 0);
	CHECK_STR(s,
	    "keyauth-setup-backup 1\npath /etc/pam.d/sshd\nexisted "
	    "1\nmode 0640\nuid 0\ngid 42\n");
	CHECK_INT(kp_setup_meta_parse(s, strlen(s), &back), 0);
	CHECK_STR(back.path, "/etc/pam.d/sshd");
	CHECK_INT(back.mode, 0640);
	CHECK_INT(back.gid, 42);
	CHECK_INT(back.existed, 1);
	free(s);
	T_CASE("backup record: anything else is refused");
	bad = "keyauth-setup-backup 1\npath /x\nexisted 2\nmode 0644\nuid "
	      "0\ngid 0\n";
	CHECK_INT(kp_setup_meta_parse(bad, strlen(bad), &back), KP_ERR_INVALID);
	bad = "keyauth-setup-backup 1\npath /x\nexisted 1\nmode 0644\nuid "
	      "0\n";
	CHECK_INT(kp_setup_meta_parse(bad, strlen(bad), &back), KP_ERR_INVALID);
	bad = "keyauth-setup-backup 1\npath x\nexisted 1\nmode 0644\nuid "
	      "0\ngid 0\n";
	CHECK_INT(kp_setup_meta_parse(bad, strlen(bad), &back), KP_ERR_INVALID);
	bad = "keyauth-setup-backup 1\npath /x\nexisted 1\nmode 0644\nuid "
	      "0\ngid 0\nmore\n";
	CHECK_INT(kp_setup_meta_parse(bad, strlen(bad), &back), KP_ERR_INVALID);
	T_CASE(NULL);
}

int
main(void)
{
	test_sshd_text();
	test_pam_text();
	test_diff();
	test_scan();
	test_sshd_t();
	test_ways();
	test_meta();
	return t_done();
}
