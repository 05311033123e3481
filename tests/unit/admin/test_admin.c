/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * The pure functions behind report/diff/audit/import/doctor: locating and
 * escaping, paths to accounts, and the doctor's judgements over crafted
 * text and stat data.
 */

#include <sys/stat.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keyauth.h"
#include "kp-internal.h"
#include "keyauth-policy.h"
#include "keyauth-admin.h"
#include "../test.h"

static void
test_locate(void)
{
	char ts[64];
	size_t off;
	int64_t t;
	const char *l;

	l = "event=lookup x";
	CHECK_INT(
	    kp_auditlog_locate(l, strlen(l), &off, ts, sizeof(ts), &t), 1);
	CHECK_INT(off, 0);
	CHECK_STR(ts, "");
	l = "Nov  2 10:00:00 web-01 keyauth-authorized-keys[12]: event=lookup";
	CHECK_INT(
	    kp_auditlog_locate(l, strlen(l), &off, ts, sizeof(ts), &t), 1);
	CHECK_STR(l + off, "event=lookup");
	CHECK_STR(ts, "Nov  2 10:00:00");
	l = "2026-11-22T10:00:00.5+01:00 web-01 sshd[1]: "
	    "pam_keyauth(sshd:account): event=account";
	CHECK_INT(
	    kp_auditlog_locate(l, strlen(l), &off, ts, sizeof(ts), &t), 1);
	CHECK_STR(l + off, "event=account");
	CHECK_STR(ts, "2026-11-22T09:00:00Z");
	l = "pam_keyauth(sshd:session): event=session";
	CHECK_INT(
	    kp_auditlog_locate(l, strlen(l), &off, ts, sizeof(ts), &t), 1);
	CHECK_STR(l + off, "event=session");
	/* another program, or a tag that only looks like ours */
	l = "Nov 22 10:00:00 web-01 cron[1]: event=lookup";
	CHECK_INT(
	    kp_auditlog_locate(l, strlen(l), &off, ts, sizeof(ts), &t), 0);
	l = "Nov 22 10:00:00 web-01 keyauth-authorized-keys[1x]: event=lookup";
	CHECK_INT(
	    kp_auditlog_locate(l, strlen(l), &off, ts, sizeof(ts), &t), 0);
	l = "Nov 22 10:00:00 web-01 app[1]: said pam_keyauth(a:b): "
	    "event=lookup";
	CHECK_INT(
	    kp_auditlog_locate(l, strlen(l), &off, ts, sizeof(ts), &t), 0);
	/*
	 * A PAM record counts only under the tag of the service it names
	 * (sshd's PAM service is its syslog tag): under any other tag it is
	 * a forgery, told apart from other programs' lines (2).
	 */
	l = "Nov 22 10:00:00 web-01 evil[7]: pam_keyauth(sshd:account): "
	    "event=account";
	CHECK_INT(
	    kp_auditlog_locate(l, strlen(l), &off, ts, sizeof(ts), &t), 2);
	l = "Nov 22 10:00:00 web-01 sshd: pam_keyauth(sshd:account): "
	    "event=account";
	CHECK_INT(
	    kp_auditlog_locate(l, strlen(l), &off, ts, sizeof(ts), &t), 2);
	l = "Nov 22 10:00:00 web-01 sshd[3]: pam_keyauth(sshd:auth): "
	    "event=account";
	CHECK_INT(
	    kp_auditlog_locate(l, strlen(l), &off, ts, sizeof(ts), &t), 2);
	l = "Nov 22 10:00:00 web-01 keyauth-e2e-1[3]: "
	    "pam_keyauth(keyauth-e2e-1:session): event=session";
	CHECK_INT(
	    kp_auditlog_locate(l, strlen(l), &off, ts, sizeof(ts), &t), 1);
	CHECK_STR(l + off, "event=session");
	l = "Xyz 22 10:00:00 web-01 keyauth-authorized-keys: event=lookup";
	CHECK_INT(
	    kp_auditlog_locate(l, strlen(l), &off, ts, sizeof(ts), &t), 0);
}

static void
test_escape(void)
{
	struct kp_buf b;
	char *s = NULL;

	kp_buf_init(&b, 4096);
	kp_json_str(&b, "a\"b\\c\n\x01\xc3\xa9\xff\x7f");
	kp_buf_putc(&b, ' ');
	kp_json_str(&b, NULL);
	kp_buf_putc(&b, ' ');
	kp_csv_field(&b, "x,\"y\"");
	kp_buf_putc(&b, ' ');
	kp_text_safe(&b, "ok\x1b[1m\\\xc3\xa9");
	CHECK_INT(kp_buf_take(&b, &s, NULL), 0);
	CHECK_STR(s,
	    "\"a\\\"b\\\\c\\u000a\\u0001\xc3\xa9\\ufffd\\u007f\" null "
	    "\"x,\"\"y\"\"\" ok\\x1b[1m\\x5c\xc3\xa9");
	free(s);
	/* every byte that is not UTF-8 is one U+FFFD; ÿ itself stays ÿ */
	kp_buf_init(&b, 4096);
	kp_json_str(&b, "\xff\xc3\xbf\xc3\xe2\x80x\xed\xa0\x80");
	CHECK_INT(kp_buf_take(&b, &s, NULL), 0);
	CHECK_STR(s,
	    "\"\\ufffd\xc3\xbf\\ufffd\\ufffd\\ufffdx\\ufffd\\ufffd\\ufffd\"");
	free(s);
}

/*
 * HTML: the five characters of markup as entities (as Python's
 * html.escape(s, quote=True) does, &#39; for its &#x27;), and every
 * character a reader would not see as itself by its code point: in text
 * marked by a span, in an attribute value between brackets, so a value
 * can never end the attribute or open an element.
 */
static void
test_html_escape(void)
{
	static const struct {
		const char *in, *text, *attr;
	} t[] = {
	    {"plain", "plain", "plain"},
	    {"<script>&'\"", "&lt;script&gt;&amp;&#39;&quot;",
	        "&lt;script&gt;&amp;&#39;&quot;"},
	    {"\"><img src=x onerror=alert(1)>",
	        "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;",
	        "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"},
	    {"a\xe2\x80\xae"
	     "b",
	        "a<span class=\"esc\">U+202E</span>b", "a[U+202E]b"},
	    {"\xe2\x80\x8b\xc2\xa0\xef\xbb\xbf",
	        "<span class=\"esc\">U+200B</span><span class=\"esc\">U+00A0"
	        "</span><span class=\"esc\">U+FEFF</span>",
	        "[U+200B][U+00A0][U+FEFF]"},
	    {"\x01\n\x7f\xc2\x85",
	        "<span class=\"esc\">U+0001</span><span "
	        "class=\"esc\">U+000A</span><span class=\"esc\">U+007F</span>"
	        "<span class=\"esc\">U+0085</span>",
	        "[U+0001][U+000A][U+007F][U+0085]"},
	    {"\xff\xc3\xa9\xed\xa0\x80",
	        "<span class=\"esc\">xFF</span>\xc3\xa9<span class=\"esc\">xED"
	        "</span><span class=\"esc\">xA0</span><span "
	        "class=\"esc\">x80</span>",
	        "[xFF]\xc3\xa9[xED][xA0][x80]"},
	    {"\xf0\x9f\x94\x91 \xe4\xb8\xad", "\xf0\x9f\x94\x91 \xe4\xb8\xad",
	        "\xf0\x9f\x94\x91 \xe4\xb8\xad"},
	};
	struct kp_buf b;
	char *s = NULL, in[2];
	size_t i;
	int c, attr;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		for (attr = 0; attr <= 1; attr++) {
			T_CASE("html escape %zu attr %d", i, attr);
			kp_buf_init(&b, 4096);
			kp_html_escape(&b, t[i].in, attr);
			kp_buf_putc(&b, '\0');
			CHECK_INT(kp_buf_take(&b, &s, NULL), 0);
			CHECK_STR(s, attr ? t[i].attr : t[i].text);
			free(s);
		}
	}
	/* Every single byte: nothing that can end an attribute or open a tag. */
	T_CASE("html escape: every byte");
	for (c = 1; c < 256; c++) {
		in[0] = (char)c;
		in[1] = '\0';
		kp_buf_init(&b, 4096);
		kp_html_escape(&b, in, 1);
		kp_buf_putc(&b, '\0');
		CHECK_INT(kp_buf_take(&b, &s, NULL), 0);
		CHECK(strpbrk(s, "<>\"'") == NULL);
		CHECK(strchr(s, '&') == NULL || s[0] == '&');
		free(s);
	}
	T_CASE(NULL);
	kp_buf_init(&b, 16);
	kp_html_escape(&b, NULL, 0);
	CHECK_INT((int)kp_buf_len(&b), 0);
	kp_buf_free(&b);
}

/*
 * Free text may hold invisible characters (a comment, a reason, a logged
 * value): text and JSON output show them escaped, never as nothing.
 */
static void
test_escape_invisible(void)
{
	struct kp_buf b;
	char *s = NULL;

	kp_buf_init(&b, 4096);
	kp_text_safe(&b,
	    "a\xe2\x80\x8b"
	    "b\xc2\xa0"
	    "c \xf3\xa0\x80\x81");
	kp_buf_putc(&b, ' ');
	kp_json_str(&b,
	    "a\xe2\x80\x8b"
	    "b\xc2\xa0"
	    "c \xf3\xa0\x80\x81\xc3\xa9");
	CHECK_INT(kp_buf_take(&b, &s, NULL), 0);
	CHECK_STR(s,
	    "a\\xe2\\x80\\x8bb\\xc2\\xa0c \\xf3\\xa0\\x80\\x81 "
	    "\"a\\u200bb\\u00a0c \\udb40\\udc01\xc3\xa9\"");
	free(s);
}

/* One CSV cell (kp_csv_field) as text. */
static void
csv_is(const char *in, const char *want)
{
	struct kp_buf b;
	char *s = NULL;

	kp_buf_init(&b, 4096);
	kp_csv_field(&b, in);
	CHECK_INT(kp_buf_take(&b, &s, NULL), 0);
	CHECK_STR(s, want);
	free(s);
}

/* Cells a spreadsheet would run as formulas are shown as text. */
static void
test_csv_formulas(void)
{
	csv_is("=HYPERLINK(\"http://x/\",\"y\")",
	    "\"'=HYPERLINK(\"\"http://x/\"\",\"\"y\"\")\"");
	csv_is("+1+cmd", "\"'+1+cmd\"");
	csv_is("-2+3", "\"'-2+3\"");
	csv_is("@SUM(A1)", "\"'@SUM(A1)\"");
	csv_is("\tx", "\"'\tx\"");
	csv_is("\rx", "\"'\rx\"");
	csv_is("-", "-"); /* no formula: a lone minus is text */
	csv_is("", "");
	csv_is(NULL, "");
	csv_is("alice", "alice");
	csv_is("a=b", "a=b"); /* only the first character counts */
	csv_is("SHA256:+x/y", "SHA256:+x/y");
	csv_is("'quoted", "'quoted");
}

static void
test_paths(void)
{
	char a[KP_ACCOUNT_MAX + 1];

	CHECK_INT(kp_import_account_from_path(
	              "/home/alice/.ssh/authorized_keys", a, sizeof(a)),
	    0);
	CHECK_STR(a, "alice");
	CHECK_INT(kp_import_account_from_path(
	              "/srv/copy/home/bob/.ssh/authorized_keys2", a, sizeof(a)),
	    0);
	CHECK_STR(a, "bob");
	CHECK_INT(kp_import_account_from_path(
	              "/root/.ssh/authorized_keys", a, sizeof(a)),
	    0);
	CHECK_STR(a, "root");
	CHECK_INT(kp_import_account_from_path(
	              "home/carol/.ssh/authorized_keys", a, sizeof(a)),
	    0);
	CHECK_STR(a, "carol");
	CHECK_INT(kp_import_account_from_path(
	              "/var/lib/pg/.ssh/authorized_keys", a, sizeof(a)),
	    KP_ERR_NOTFOUND);
	CHECK_INT(kp_import_account_from_path(
	              "/myhome/x/.ssh/authorized_keys", a, sizeof(a)),
	    KP_ERR_NOTFOUND);
	CHECK_INT(kp_import_account_from_path(
	              "/home/Bad User/.ssh/authorized_keys", a, sizeof(a)),
	    KP_ERR_NOTFOUND);
	CHECK_INT(kp_import_account_from_path(
	              "/home/alice/authorized_keys", a, sizeof(a)),
	    KP_ERR_NOTFOUND);
}

/* Whose a file is: the path's account must own the home and the file. */
static void
test_owner(void)
{
	struct kp_import_owner o;
	char why[KP_DIAG_MSG_MAX];

	memset(&o, 0, sizeof(o));
	o.account = "root";
	o.known = 1;
	o.uid = 0;
	o.home_is_dir = 1;
	CHECK_INT(kp_import_owner_check(&o, why, sizeof(why)), 0);
	CHECK_STR(why, "");
	/* ~mallory/root/.ssh/authorized_keys */
	o.home_uid = 1003;
	o.home_owner = "mallory";
	o.file_uid = 1003;
	o.file_owner = "mallory";
	CHECK_INT(kp_import_owner_check(&o, why, sizeof(why)), KP_ERR_UNSAFE);
	CHECK_STR(why,
	    "the directory the path calls root's home is owned by uid 1003 "
	    "(mallory), not by root: not root's file");
	/* a root-owned file moved into her directory */
	o.file_uid = 0;
	o.file_owner = "root";
	CHECK_INT(kp_import_owner_check(&o, why, sizeof(why)), KP_ERR_UNSAFE);
	/* root's home, and a file in it that she owns */
	o.home_uid = 0;
	o.file_uid = 1003;
	o.file_owner = NULL;
	CHECK_INT(kp_import_owner_check(&o, why, sizeof(why)), KP_ERR_UNSAFE);
	CHECK_STR(why, "owned by uid 1003, not by root: not root's file");
	o.file_uid = 0;
	o.home_is_dir = 0;
	CHECK_INT(kp_import_owner_check(&o, why, sizeof(why)), KP_ERR_UNSAFE);
	CHECK_CONTAINS(why, "not a directory");
	o.home_is_dir = 1;
	o.known = 0;
	CHECK_INT(kp_import_owner_check(&o, why, sizeof(why)), KP_ERR_UNSAFE);
	CHECK_CONTAINS(why, "there is no account root");
	CHECK_INT(kp_import_owner_check(NULL, why, sizeof(why)), KP_ERR_ARG);
}

static int
find(const struct kp_doctor *d, const char *code, enum kp_doctor_level lv)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->f[i].code, code) == 0 && d->f[i].level == lv)
			return 1;
	return 0;
}

static int
inc(void *arg, const char *name, char **text, size_t *len)
{
	(void)arg;
	if (strcmp(name, "common-account") != 0)
		return -1;
	*text = strdup("account required pam_keyauth.so\n");
	*len = strlen(*text);
	return 0;
}

static void
test_doctor(void)
{
	struct kp_doctor d;
	struct kp_sshd_conf c;
	struct kp_path_stat ch[2];
	struct stat st;
	const char *t;
	uid_t uid;
	gid_t gid;
	gid_t groups[1] = {50};

	kp_doctor_init(&d);
	t = "authorizedkeysfile none\nauthorizedkeyscommand /k %u %f %t %k\n"
	    "authorizedkeyscommanduser keyauth\nrevokedkeys /r.krl\n"
	    "usedns no\nusepam yes\n";
	CHECK_INT(kp_doctor_sshd(&d, t, strlen(t), "/r.krl", &c), 0);
	CHECK_STR(c.command_path, "/k");
	CHECK_INT(d.nerrors, 0);
	CHECK_INT(find(&d, "helper-name", KP_DOCTOR_WARN), 1);
	kp_sshd_conf_free(&c);
	kp_doctor_free(&d);

	kp_doctor_init(&d);
	t = "authorizedkeysfile .ssh/authorized_keys\nusepam yes\n";
	CHECK_INT(kp_doctor_sshd(&d, t, strlen(t), NULL, &c), 0);
	CHECK_INT(find(&d, "authorized-keys-file", KP_DOCTOR_ERROR), 1);
	CHECK_INT(find(&d, "authorized-keys-command", KP_DOCTOR_ERROR), 1);
	CHECK_INT(find(&d, "revoked-keys", KP_DOCTOR_ERROR), 1);
	kp_sshd_conf_free(&c);
	kp_doctor_free(&d);

	/* PAM: via @include, and the problems */
	kp_doctor_init(&d);
	t = "@include common-account\nsession requisite pam_keyauth.so\n";
	CHECK_INT(kp_doctor_pam(&d, "sshd", t, strlen(t), inc, NULL), 0);
	CHECK_INT(d.n, 0);
	kp_doctor_free(&d);
	kp_doctor_init(&d);
	t = "account sufficient pam_permit.so\n"
	    "account [default=ignore] /lib/security/pam_keyauth.so mode=audit\n"
	    "# session required pam_keyauth.so\n"
	    "session required pam_not_keyauth.so\n";
	CHECK_INT(kp_doctor_pam(&d, "sshd", t, strlen(t), NULL, NULL), 0);
	CHECK_INT(find(&d, "pam-control", KP_DOCTOR_ERROR), 1);
	CHECK_INT(find(&d, "pam-audit-mode", KP_DOCTOR_ERROR), 1);
	CHECK_INT(find(&d, "pam-order", KP_DOCTOR_WARN), 1);
	CHECK_INT(find(&d, "pam-session", KP_DOCTOR_ERROR), 1);
	kp_doctor_free(&d);
	/* paths and writers */
	kp_doctor_init(&d);
	memset(ch, 0, sizeof(ch));
	ch[0].path = "/usr";
	ch[0].st.st_mode = S_IFDIR | 0775;
	ch[1].path = "/usr/k";
	ch[1].st.st_mode = S_IFREG | 0644;
	ch[1].st.st_uid = 7;
	kp_doctor_trusted_path(&d, "helper", "x", ch, 2, 1);
	CHECK_INT(d.nerrors, 3); /* group-writable dir, owner, not executable */
	kp_doctor_free(&d);
	memset(&st, 0, sizeof(st));
	st.st_uid = 0;
	st.st_gid = 50;
	st.st_mode = S_IFREG | 0664;
	CHECK_INT(kp_doctor_may_write(&st, 998, 998, NULL, 0), 0);
	CHECK_INT(kp_doctor_may_write(&st, 998, 998, groups, 1), 1);
	st.st_mode = S_IFREG | 0644;
	st.st_uid = 998;
	CHECK_INT(kp_doctor_may_write(&st, 998, 998, NULL, 0), 1);
	t = "root:x:0:0::/root:/bin/sh\nkeyauth:x:998:997::/:/bin/false\n";
	CHECK_INT(
	    kp_doctor_passwd_lookup(t, strlen(t), "keyauth", &uid, &gid), 0);
	CHECK_INT(uid, 998);
	CHECK_INT(gid, 997);
	CHECK_INT(kp_doctor_passwd_lookup(t, strlen(t), "key", &uid, &gid),
	    KP_ERR_NOTFOUND);
	t = "keyauth:x:abc:1::/:/bin/false\n";
	CHECK_INT(kp_doctor_passwd_lookup(t, strlen(t), "keyauth", &uid, &gid),
	    KP_ERR_INVALID);
}

static int
self_include(void *arg, const char *name, char **text, size_t *len)
{
	(void)arg;
	(void)name;
	*text = strdup("@include again\n");
	*len = strlen(*text);
	return 0;
}

static void
test_pam_loop(void)
{
	struct kp_doctor d;
	const char *t = "@include again\n";

	kp_doctor_init(&d);
	CHECK_INT(kp_doctor_pam(&d, "sshd", t, strlen(t), self_include, NULL),
	    KP_ERR_TOOBIG);
	kp_doctor_free(&d);
}

/*
 * Replace the options of e by the n given ones (copies). A loaded
 * entry's lists are its policy's (kp_entry.borrowed): it gets opts
 * itself, which outlive the policy and are never freed through it.
 */
static void
set_options(struct kp_entry *e, size_t n, const char *const *opts)
{
	size_t i;

	if (e->borrowed) {
		e->options = (char **)(uintptr_t)opts;
		e->noptions = n;
		return;
	}
	for (i = 0; i < e->noptions; i++)
		free(e->options[i]);
	free(e->options);
	if ((e->options = calloc(n, sizeof(*e->options))) == NULL)
		exit(99);
	for (i = 0; i < n; i++)
		if ((e->options[i] = strdup(opts[i])) == NULL)
			exit(99);
	e->noptions = n;
}

static struct kp_policy *
load_yaml(const char *yaml)
{
	struct kp_policy *p = NULL;
	struct kp_diag d;

	if (kp_policy_load_buf("t.yaml", yaml, strlen(yaml), &p, &d) != 0) {
		fprintf(stderr, "%u:%u: %s\n", d.line, d.column, d.msg);
		exit(99);
	}
	return p;
}

/*
 * diff compares what sshd makes of the options, in order: the same words
 * in another order can re-enable forwarding. The loader refuses such a
 * list, so the models are edited here as an older keyauth (or a hand-built
 * model) could hold them.
 */
static void
test_diff_option_order(void)
{
	static const char *const before[] = {"port-forwarding", "restrict"};
	static const char *const after[] = {"restrict", "port-forwarding"};
	static const char *const noes[] = {
	    "no-agent-forwarding", "no-port-forwarding"};
	static const char *const noes2[] = {
	    "NO-PORT-FORWARDING", "no-agent-forwarding"};
	const char *y = "version: 1\nserial: 1\nkeys:\n"
	                "  - id: k\n    owner: o@example.com\n"
	                "    key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIByvMl2"
	                "TLlaMJ8RShhxll+xkkN0ArGGyzG/9xHkzYjnt\n"
	                "    accounts: [root]\n    options: [restrict]\n";
	struct kp_policy *o = load_yaml(y), *n = load_yaml(y);
	struct kp_diff *d = NULL;

	set_options(&o->entries[0], 2, before);
	set_options(&n->entries[0], 2, after);
	CHECK_INT(kp_diff_policies(o, n, &d), 0);
	if (d != NULL) {
		CHECK_INT(d->count[KP_DIFF_WIDENED], 1);
		CHECK_INT(d->nitems, 1);
		if (d->nitems == 1)
			CHECK_STR(d->items[0].field, "options");
	}
	kp_diff_free(d);
	d = NULL;
	CHECK_INT(kp_diff_policies(n, o, &d), 0);
	if (d != NULL)
		CHECK_INT(d->count[KP_DIFF_NARROWED], 1);
	kp_diff_free(d);
	d = NULL;
	/* the same restrictions in another order and case: no change */
	set_options(&o->entries[0], 2, noes);
	set_options(&n->entries[0], 2, noes2);
	CHECK_INT(kp_diff_policies(o, n, &d), 0);
	if (d != NULL)
		CHECK_INT(d->nitems, 0);
	kp_diff_free(d);
	kp_policy_free(o);
	kp_policy_free(n);
}

int
main(void)
{
	test_locate();
	test_escape();
	test_csv_formulas();
	test_escape_invisible();
	test_html_escape();
	test_diff_option_order();
	test_paths();
	test_owner();
	test_doctor();
	test_pam_loop();
	return t_done();
}
