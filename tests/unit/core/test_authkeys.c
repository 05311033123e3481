/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests: authorized_keys lines (emitted and parsed, and the one
 * through the other) and the option allow-list.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "keyauth.h"
#include "kp-internal.h"
#include "../test.h"

#define ED "ssh-ed25519"
#define B64 \
	"AAAAC3NzaC1lZDI1NTE5AAAAIOdmxUZHvHgRIcg8c9da2wm1r5pat8yi8s2D3ZTZ0lMb"

static struct kp_cidr src[3];

static char *
line(const struct kp_cidr *s, size_t ns, int64_t exp, const char *const *o,
    size_t no, const char *cmd, int want_r)
{
	char *out = (char *)1;
	int r;

	r = kp_authkeys_line(
	    ED, B64, "alice-laptop", s, ns, exp, o, no, cmd, &out);
	CHECK_INT(r, want_r);
	if (r != 0)
		CHECK(out == NULL);
	return r == 0 ? out : NULL;
}

static void
expect(const struct kp_cidr *s, size_t ns, int64_t exp, const char *const *o,
    size_t no, const char *cmd, const char *want)
{
	char *l = line(s, ns, exp, o, no, cmd, 0);

	CHECK_STR(l, want);
	free(l);
}

static void
refuse_cmd(const char *cmd)
{
	free(line(NULL, 0, KP_TIME_NONE_AFTER, NULL, 0, cmd, KP_ERR_INVALID));
}

static void
refuse_opt(const char *opt, const char *want_why)
{
	const char *o[1] = {opt}, *why = NULL;

	CHECK(!kp_option_allowed(opt, &why));
	CHECK_CONTAINS(why, want_why);
	free(line(NULL, 0, KP_TIME_NONE_AFTER, o, 1, NULL, KP_ERR_INVALID));
}

/* kp_authkey_parse on lines as people write them. */
static void
test_parse(void)
{
	struct kp_authkey k;
	const char *why;
	const char *key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIByvMl2TLlaMJ8"
	                  "RShhxll+xkkN0ArGGyzG/9xHkzYjnt";
	char line[1024];

	snprintf(line, sizeof(line),
	    "from=\"10.0.0.0/8,192.0.2.7\",expiry-time=\"20300101Z\","
	    "command=\"/bin/echo a\\\\b\",no-pty,permitopen=\"h.example:22\" "
	    "%s  my laptop",
	    key);
	CHECK_INT(kp_authkey_parse(line, &k, &why), 0);
	CHECK_INT(k.nsources, 2);
	CHECK_INT(k.expires, 1893456000);
	CHECK_STR(k.command, "/bin/echo a\\\\b");
	CHECK_INT(k.noptions, 2);
	if (k.noptions == 2) {
		CHECK_STR(k.options[0], "no-pty");
		CHECK_STR(k.options[1], "permitopen=\"h.example:22\"");
	}
	CHECK_STR(k.key != NULL ? k.key->comment : NULL, "my laptop");
	kp_authkey_clear(&k);

	/* an escaped quote inside command= cannot be expressed */
	snprintf(line, sizeof(line), "command=\"echo \\\"x\\\"\" %s", key);
	CHECK_INT(kp_authkey_parse(line, &k, &why), KP_ERR_INVALID);
	/* the quote is dequoted, so a comma inside does not split options */
	snprintf(line, sizeof(line), "command=\"a,b\",restrict %s", key);
	CHECK_INT(kp_authkey_parse(line, &k, &why), 0);
	CHECK_STR(k.command, "a,b");
	kp_authkey_clear(&k);
	snprintf(line, sizeof(line), "from=\"!10.0.0.1,*\" %s", key);
	CHECK_INT(kp_authkey_parse(line, &k, &why), KP_ERR_INVALID);
	snprintf(line, sizeof(line), "from=\"10.0.0.1/8\" %s", key);
	CHECK_INT(kp_authkey_parse(line, &k, &why), KP_ERR_INVALID);
	snprintf(line, sizeof(line), "environment=\"A=B\",no-pty %s", key);
	CHECK_INT(kp_authkey_parse(line, &k, &why), 0);
	CHECK_INT(k.ndropped, 1);
	CHECK_INT(k.noptions, 1);
	kp_authkey_clear(&k);
	snprintf(line, sizeof(line), "no-pty,unknown-thing %s", key);
	CHECK_INT(kp_authkey_parse(line, &k, &why), KP_ERR_INVALID);
	snprintf(line, sizeof(line), "command=\"unterminated %s", key);
	CHECK_INT(kp_authkey_parse(line, &k, &why), KP_ERR_INVALID);
	snprintf(line, sizeof(line), "expiry-time=\"20301301\" %s", key);
	CHECK_INT(kp_authkey_parse(line, &k, &why), KP_ERR_INVALID);
	snprintf(line, sizeof(line),
	    "expiry-time=\"20300101\",expiry-time=\"20290101Z\" %s", key);
	CHECK_INT(kp_authkey_parse(line, &k, &why), 0);
	CHECK_INT(k.expires, 1861920000); /* the earlier one wins */
	kp_authkey_clear(&k);
	CHECK_INT(
	    kp_authkey_parse("ssh-dss AAAAB3NzaC1kc3M=", &k, &why) < 0, 1);
	CHECK_INT(kp_authkey_parse("no-pty", &k, &why), KP_ERR_INVALID);
}

/* Did kp_authkey_parse give back exactly what kp_authkeys_line was given? */
static void
check_round_trip(const char *type, const char *b64, const char *id,
    const struct kp_cidr *s, size_t ns, int64_t exp, const char *const *o,
    size_t no, const char *want_opts, const char *cmd)
{
	char got_opts[1024];
	struct kp_authkey k;
	const char *why = NULL;
	char *l = NULL, comment[KP_ID_MAX + 16];
	size_t i;
	int r;

	r = kp_authkeys_line(type, b64, id, s, ns, exp, o, no, cmd, &l);
	CHECK_INT(r, 0);
	if (r != 0)
		return;
	r = kp_authkey_parse(l, &k, &why);
	CHECK_INT(r, 0);
	if (r != 0) {
		fprintf(stderr, "  line: %s\n  why: %s\n", l, why);
		free(l);
		return;
	}
	snprintf(comment, sizeof(comment), "keyauth:%s", id);
	CHECK_STR(k.key->type, type);
	CHECK_STR(k.key->b64, b64);
	CHECK_STR(k.key->comment, comment);
	CHECK_INT(k.nsources, ns);
	for (i = 0; i < ns && i < k.nsources; i++)
		CHECK(memcmp(&k.sources[i], &s[i], sizeof(s[i])) == 0);
	CHECK_INT(k.expires, exp);
	/* the options come back as sshd reads them (test_optset) */
	got_opts[0] = '\0';
	for (i = 0; i < k.noptions; i++)
		snprintf(got_opts + strlen(got_opts),
		    sizeof(got_opts) - strlen(got_opts), "%s%s",
		    i > 0 ? "," : "", k.options[i]);
	CHECK_STR(got_opts, want_opts);
	if (cmd == NULL)
		CHECK(k.command == NULL);
	else
		CHECK_STR(k.command, cmd);
	CHECK_INT(k.ndropped, 0);
	kp_authkey_clear(&k);
	free(l);
}

/*
 * parse(emit(x)) == x over every combination of key, id, sources,
 * expiry, options and command below.
 */
static void
test_round_trip(void)
{
	static const char *const keys[][2] = {
	    {ED, B64},
	    {"ecdsa-sha2-nistp256",
	        "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBKoVsUWdgW"
	        "p23joUqlNCm4HKYPo0RbHQTd8z2s7LQrcDzGbwDf1Z5NfmJdVIMxhxZo/"
	        "hG0qw5fw7OrgL0935ZZE="},
	};
	static const char *const ids[] = {"alice-laptop", "a.b@c+d_e-1",
	    "0123456789012345678901234567890123456789012345678901234567890123"};
	static const char *const addrs[] = {"192.0.2.7", "10.0.0.0/8",
	    "2001:db8::7", "2001:db8:10::/48", "0.0.0.0/0", "::/0",
	    "::ffff:198.51.100.0/120"};
	static const size_t addr_sets[][2] = {
	    {0, 0}, {0, 1}, {1, 1}, {2, 1}, {3, 1}, {0, 4}, {4, 3}, {0, 7}};
	static const char *const times[] = {
	    NULL, "1970-01-01", "2027-01-31T12:34:56Z", "9999-12-31T23:59:59Z"};
	static const char *const opts[] = {"no-pty", "restrict", "pty",
	    "NO-Port-Forwarding", "permitopen=\"db.example.com:5432\"",
	    "permitlisten=\"[2001:db8::1]:8080\"", "permitopen=\"192.0.2.1:*\"",
	    "verify-required", "no-touch-required", "user-rc"};
	static const size_t opt_sets[][2] = {
	    {0, 0}, {0, 1}, {1, 2}, {3, 2}, {4, 3}, {0, 10}};
	/* each set as sshd reads it, in the emitter's one order */
	static const char *const opt_want[] = {"", "no-pty", "restrict,pty",
	    "no-port-forwarding,permitopen=\"db.example.com:5432\"",
	    "permitopen=\"db.example.com:5432\",permitopen=\"192.0.2.1:*\","
	    "permitlisten=\"[2001:db8::1]:8080\"",
	    "restrict,pty,user-rc,no-touch-required,verify-required,"
	    "permitopen=\"db.example.com:5432\",permitopen=\"192.0.2.1:*\","
	    "permitlisten=\"[2001:db8::1]:8080\""};
	static const char *const cmds[] = {NULL, "/usr/local/bin/backup-only",
	    "rsync --server -e.Lsf . /srv/backup", "a,b c", "echo 'x' \\n y",
	    "caf\xc3\xa9 $SSH_ORIGINAL_COMMAND", "\\\\server\\share x"};
#define N(a) (sizeof(a) / sizeof((a)[0]))
	const size_t total =
	    N(keys) * N(ids) * N(addr_sets) * N(times) * N(opt_sets) * N(cmds);
	struct kp_cidr net[N(addrs)];
	size_t i, n, q, ik, id, ia, it, io, ic;
	int64_t exp;

	for (i = 0; i < N(addrs); i++) {
		if (kp_cidr_parse(addrs[i], &net[i], NULL) != 0)
			exit(99);
	}
	/* n counts through every combination, one digit per list */
	for (n = 0; n < total; n++) {
		q = n;
		ic = q % N(cmds), q /= N(cmds);
		io = q % N(opt_sets), q /= N(opt_sets);
		it = q % N(times), q /= N(times);
		ia = q % N(addr_sets), q /= N(addr_sets);
		id = q % N(ids), q /= N(ids);
		ik = q;
		exp = KP_TIME_NONE_AFTER;
		if (times[it] != NULL && kp_time_parse(times[it], &exp) != 0)
			exit(99);
		check_round_trip(keys[ik][0], keys[ik][1], ids[id],
		    net + addr_sets[ia][0], addr_sets[ia][1], exp,
		    opts + opt_sets[io][0], opt_sets[io][1], opt_want[io],
		    cmds[ic]);
	}
#undef N
	printf("round trip: %zu lines\n", n);
}

/*
 * The parser's one limit the emitter does not share: a from list can come
 * back twice as long ("::a:a" is written "::0.10.0.10"), and a line over
 * KP_AUTHKEY_PARSE_MAX is refused as too long, not misread.
 */
static void
test_long_line(void)
{
	struct kp_authkey k, y;
	const char *why = NULL;
	char *in, *l = NULL, *p;
	size_t i, n = 6000;
	int r;

	if ((in = malloc(n * 6 + 64 + sizeof(B64))) == NULL)
		exit(99);
	p = in + sprintf(in, "from=\"");
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s::a:a", i > 0 ? "," : "");
	sprintf(p, "\" " ED " " B64);
	CHECK(strlen(in) < KP_AUTHKEY_PARSE_MAX);
	r = kp_authkey_parse(in, &k, &why);
	CHECK_INT(r, 0);
	free(in);
	if (r != 0)
		return;
	CHECK_INT(k.nsources, n);
	r = kp_authkeys_line(k.key->type, k.key->b64, "alice-laptop", k.sources,
	    k.nsources, k.expires, (const char *const *)k.options, k.noptions,
	    k.command, &l);
	CHECK_INT(r, 0);
	CHECK(l != NULL && strlen(l) > KP_AUTHKEY_PARSE_MAX);
	CHECK(l != NULL && strstr(l, "from=\"::0.10.0.10,") != NULL);
	why = NULL;
	CHECK_INT(kp_authkey_parse(l, &y, &why), KP_ERR_TOOBIG);
	CHECK_STR(why != NULL ? why : "(none)", "line too long");
	CHECK(y.key == NULL && y.nsources == 0);
	free(l);
	kp_authkey_clear(&k);
}

/* The options line sshd's reading of the n options o gives. */
static void
opts_line(const char *const *o, size_t n, const char *want)
{
	char full[512];

	snprintf(full, sizeof(full), "%s%s" ED " " B64 " keyauth:alice-laptop",
	    want, want[0] != '\0' ? " " : "");
	expect(NULL, 0, KP_TIME_NONE_AFTER, o, n, NULL, full);
}

#define OPTS(...) \
	((const char *const[]){__VA_ARGS__}), \
	    (sizeof((const char *const[]){__VA_ARGS__}) / \
	        sizeof(const char *))

/*
 * sshd applies options in order (auth-options.c): restrict turns every
 * restriction on, a re-enabling word after it turns one off again, no-*
 * turn one on. The emitter writes what that makes, in one order.
 */
static void
test_optset(void)
{
	struct kp_optset a, b;
	struct kp_optset_problem pb;

	/* the attack: the same words, forwarding off and then on */
	opts_line(OPTS("port-forwarding", "restrict"), "restrict");
	opts_line(
	    OPTS("restrict", "port-forwarding"), "restrict,port-forwarding");
	opts_line(
	    OPTS("no-pty", "no-port-forwarding"), "no-port-forwarding,no-pty");
	opts_line(OPTS("restrict", "no-pty"), "restrict");
	opts_line(OPTS("restrict", "PTY", "X11-Forwarding", "user-rc",
	              "agent-forwarding"),
	    "restrict,agent-forwarding,X11-forwarding,pty,user-rc");
	opts_line(OPTS("restrict", "pty", "no-pty"), "restrict");
	opts_line(OPTS("no-pty", "restrict", "pty"), "restrict,pty");
	opts_line(OPTS("verify-required", "no-touch-required", "restrict"),
	    "restrict,no-touch-required,verify-required");
	opts_line(OPTS("permitlisten=\"a.example:1\"", "no-pty",
	              "permitopen=\"b.example:2\""),
	    "no-pty,permitopen=\"b.example:2\",permitlisten=\"a.example:1\"");
	opts_line(OPTS("pty"), "");

	/*
	 * what the sets admit (named lists: a set borrows its list, and a
	 * compound literal inside CHECK_INT's block would end with it)
	 */
	{
		static const char *const before[] = {
		    "port-forwarding", "restrict"};
		static const char *const after[] = {
		    "restrict", "port-forwarding"};
		static const char *const open22[] = {
		    "permitopen=\"h.example:22\""};
		static const char *const openany[] = {
		    "permitopen=\"h.example:*\""};
		static const char *const noforward[] = {
		    "no-port-forwarding", "permitopen=\"h.example:*\""};
		static const char *const noforward2[] = {"no-port-forwarding"};

		CHECK_INT(kp_optset_read(before, 2, 0, &a, NULL), 0);
		CHECK_INT(kp_optset_read(after, 2, 0, &b, NULL), 0);
		CHECK((a.deny & KP_OPT_NO_PORT_FORWARDING) != 0);
		CHECK((b.deny & KP_OPT_NO_PORT_FORWARDING) == 0);
		CHECK((a.deny & KP_OPT_NO_TUNNEL) != 0 &&
		    (b.deny & KP_OPT_NO_TUNNEL) != 0);
		CHECK_INT(kp_optset_admits(&b, &a), 1);
		CHECK_INT(kp_optset_admits(&a, &b), 0);
		CHECK_INT(kp_optset_read(NULL, 0, 0, &a, NULL), 0);
		CHECK_INT(a.deny, KP_OPT_TOUCH_REQUIRED); /* sshd's default */
		CHECK_INT(kp_optset_admits(&a, &b), 1);
		/* permitopen narrows forwarding, only while it is allowed */
		CHECK_INT(kp_optset_read(open22, 1, 0, &b, NULL), 0);
		CHECK_INT(kp_optset_admits(&a, &b), 1);
		CHECK_INT(kp_optset_admits(&b, &a), 0);
		CHECK_INT(kp_optset_read(openany, 1, 0, &a, NULL), 0);
		CHECK_INT(kp_optset_admits(&a, &b), 1);
		CHECK_INT(kp_optset_admits(&b, &a), 0);
		CHECK_INT(kp_optset_read(noforward, 2, 0, &a, NULL), 0);
		CHECK_INT(kp_optset_read(noforward2, 1, 0, &b, NULL), 0);
		CHECK_INT(kp_optset_admits(&a, &b), 1);
		CHECK_INT(kp_optset_admits(&b, &a), 1);
	}

	/* the policy's rules (KP_OPTSET_STRICT) */
	CHECK_INT(kp_optset_read(OPTS("port-forwarding", "restrict"),
	              KP_OPTSET_STRICT, &a, &pb),
	    KP_ERR_INVALID);
	CHECK_INT(pb.what, KP_OPTSET_NEEDS_RESTRICT);
	CHECK_INT(pb.bad, 0);
	CHECK_INT(kp_optset_read(OPTS("restrict", "pty", "no-pty"),
	              KP_OPTSET_STRICT, &a, &pb),
	    KP_ERR_INVALID);
	CHECK_INT(pb.what, KP_OPTSET_CONTRADICTS);
	CHECK_INT(pb.bad, 2);
	CHECK_INT(pb.other, 1);
	CHECK_INT(kp_optset_read(OPTS("restrict", "no-pty", "PTY"),
	              KP_OPTSET_STRICT, &a, &pb),
	    KP_ERR_INVALID);
	CHECK_INT(pb.what, KP_OPTSET_CONTRADICTS);
	CHECK_INT(kp_optset_read(OPTS("restrict", "pty", "Restrict"),
	              KP_OPTSET_STRICT, &a, &pb),
	    KP_ERR_INVALID);
	CHECK_INT(pb.what, KP_OPTSET_TWICE);
	CHECK_INT(pb.bad, 2);
	CHECK_INT(pb.other, 0);
	CHECK_INT(kp_optset_read(OPTS("no-pty", "not-an-option"), 0, &a, &pb),
	    KP_ERR_INVALID);
	CHECK_INT(pb.what, KP_OPTSET_UNKNOWN);
	CHECK_INT(pb.bad, 1);
	CHECK_INT(kp_optset_read(OPTS("restrict", "pty", "no-user-rc",
	                             "permitopen=\"h.example:1\""),
	              KP_OPTSET_STRICT, &a, &pb),
	    0);
	CHECK_INT(kp_optset_read(OPTS("no-pty", "no-port-forwarding"),
	              KP_OPTSET_STRICT, &a, &pb),
	    0);
}

int
main(void)
{
	/* each allowed option and the line sshd's reading of it gives */
	static const char *const flags[][2] = {{"restrict", "restrict"},
	    {"no-port-forwarding", "no-port-forwarding"},
	    {"no-agent-forwarding", "no-agent-forwarding"},
	    {"no-X11-forwarding", "no-X11-forwarding"}, {"no-pty", "no-pty"},
	    {"no-user-rc", "no-user-rc"},
	    {"no-touch-required", "no-touch-required"},
	    {"verify-required", "verify-required"}, {"port-forwarding", ""},
	    {"agent-forwarding", ""}, {"X11-forwarding", ""}, {"pty", ""},
	    {"user-rc", ""},
	    {"permitopen=\"db.example.com:5432\"",
	        "permitopen=\"db.example.com:5432\""},
	    {"permitopen=\"192.0.2.1:*\"", "permitopen=\"192.0.2.1:*\""},
	    {"permitopen=\"[2001:db8::1]:22\"",
	        "permitopen=\"[2001:db8::1]:22\""},
	    {"permitlisten=\"localhost:8080\"",
	        "permitlisten=\"localhost:8080\""},
	    {"PermitOpen=\"h:1\"", "permitopen=\"h:1\""}, {"NO-PTY", "no-pty"}};
	const char *opts[] = {"no-port-forwarding", "no-agent-forwarding"};
	const char *o1[1];
	char *l;
	size_t i;
	int64_t exp;

	if (kp_cidr_parse("192.0.2.0/24", &src[0], NULL) != 0 ||
	    kp_cidr_parse("2001:db8:10::/48", &src[1], NULL) != 0 ||
	    kp_cidr_parse("198.51.100.7", &src[2], NULL) != 0 ||
	    kp_time_parse("2027-01-31T12:34:56Z", &exp) != 0)
		return 99;

	/* ---- exact lines */
	expect(NULL, 0, KP_TIME_NONE_AFTER, NULL, 0, NULL,
	    ED " " B64 " keyauth:alice-laptop");
	expect(src, 3, KP_TIME_NONE_AFTER, NULL, 0, NULL,
	    "from=\"192.0.2.0/24,2001:db8:10::/48,198.51.100.7\" " ED " " B64
	    " keyauth:alice-laptop");
	expect(src + 2, 1, KP_TIME_NONE_AFTER, NULL, 0, NULL,
	    "from=\"198.51.100.7\" " ED " " B64 " keyauth:alice-laptop");
	expect(NULL, 0, exp, NULL, 0, NULL,
	    "expiry-time=\"20270131123456Z\" " ED " " B64
	    " keyauth:alice-laptop");
	expect(NULL, 0, KP_TIME_NONE_AFTER, opts, 2,
	    "/usr/local/bin/backup-only",
	    "no-port-forwarding,no-agent-forwarding,"
	    "command=\"/usr/local/bin/backup-only\" " ED " " B64
	    " keyauth:alice-laptop");
	expect(src, 2, exp, opts, 2, "rsync --server -e.Lsf . /srv/backup",
	    "from=\"192.0.2.0/24,2001:db8:10::/48\","
	    "expiry-time=\"20270131123456Z\","
	    "no-port-forwarding,no-agent-forwarding,"
	    "command=\"rsync --server -e.Lsf . /srv/backup\" " ED " " B64
	    " keyauth:alice-laptop");
	expect(NULL, 0, KP_TIME_NONE_AFTER, NULL, 0, "echo 'single' \\n",
	    "command=\"echo 'single' \\n\" " ED " " B64
	    " keyauth:alice-laptop");
	expect(NULL, 0, 0, NULL, 0, NULL,
	    "expiry-time=\"19700101000000Z\" " ED " " B64
	    " keyauth:alice-laptop");

	/*
	 * ---- every allowed option, alone, as sshd reads it: a re-enabling
	 * word without restrict changes nothing, so nothing is written
	 */
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		const char *why = NULL;
		char want[256];

		o1[0] = flags[i][0];
		CHECK(kp_option_allowed(flags[i][0], &why));
		snprintf(want, sizeof(want),
		    "%s%s" ED " " B64 " keyauth:alice-laptop", flags[i][1],
		    flags[i][1][0] != '\0' ? " " : "");
		expect(NULL, 0, KP_TIME_NONE_AFTER, o1, 1, NULL, want);
	}
	test_optset();

	/* ---- smuggling attempts through the command */
	refuse_cmd("x\" ssh-ed25519 AAAA");
	refuse_cmd("ls\nssh-ed25519 " B64);
	refuse_cmd("ls\r");
	refuse_cmd("ls\t-l");
	refuse_cmd("ls\x1b]0;title\x07");
	refuse_cmd("ls \\"); /* would escape our closing quote */
	refuse_cmd("");
	refuse_cmd("caf\xe9"); /* not UTF-8 */
	refuse_cmd("\xe2\x80\xa8");

	/* ---- smuggling attempts through the options */
	refuse_opt("no-pty,command=\"x\"", "no commas");
	refuse_opt("no-pty,no-user-rc", "no commas");
	refuse_opt("no-pty,", "no commas");
	refuse_opt("no-pty ssh-ed25519", "spaces");
	refuse_opt("no-pty\n", "newline");
	refuse_opt("from=\"0.0.0.0/0\"", "from:");
	refuse_opt("FROM=\"0.0.0.0/0\"", "from:");
	refuse_opt("expiry-time=\"29991231\"", "expires:");
	refuse_opt("command=\"/bin/sh\"", "command:");
	refuse_opt("environment=\"LD_PRELOAD=/tmp/x.so\"", "not supported");
	refuse_opt("principals=\"root\"",
	    "principals= only means something for certificates, on a "
	    "cert-authority line: use an authority's principals: field");
	refuse_opt("cert-authority", "a CA goes under authorities:");
	refuse_opt("Cert-Authority", "a CA goes under authorities:");
	refuse_opt("tunnel=\"0\"", "not supported");
	refuse_opt("no-pty\"", "quotes");
	refuse_opt("permit-open", "unknown");
	refuse_opt("no-ptys", "unknown");
	refuse_opt("", "empty");
	refuse_opt("permitopen=\"host:22\",command=\"sh\"", "permitopen");
	refuse_opt("permitopen=\"host:22\" ssh-ed25519", "permitopen");
	refuse_opt("permitopen=host:22", "permitopen");
	refuse_opt("permitopen=\"host\"", "permitopen");
	refuse_opt("permitopen=\"host:0\"", "permitopen");
	refuse_opt("permitopen=\"host:65536\"", "permitopen");
	refuse_opt("permitopen=\"host:022\"", "permitopen");
	refuse_opt("permitopen=\"host:-1\"", "permitopen");
	refuse_opt("permitopen=\":22\"", "permitopen");
	refuse_opt("permitopen=\"*:22\"", "permitopen");
	refuse_opt("permitopen=\"ho st:22\"", "permitopen");
	refuse_opt("permitopen=\"-host:22\"", "permitopen");
	refuse_opt("permitopen=\"a..b:22\"", "permitopen");
	refuse_opt("permitopen=\"010.0.0.1:22\"", "permitopen");
	refuse_opt("permitopen=\"2001:db8::1:22\"", "permitopen");
	refuse_opt("permitopen=\"[2001:db8::1]22\"", "permitopen");
	refuse_opt("permitopen=\"[host]:22\"", "permitopen");
	refuse_opt("permitopen=\"host:22\\\"\"", "permitopen");
	refuse_opt("permitlisten=\"8080\"", "permitlisten");
	refuse_opt("permitopen=\"", "permitopen");
	CHECK(!kp_option_allowed(NULL, NULL));

	/* ---- bad arguments and corrupt inputs */
	{
		char *out = (char *)1;
		struct kp_cidr bad = src[0];

		CHECK_INT(kp_authkeys_line(ED, B64, "alice", NULL, 0,
		              KP_TIME_NONE_AFTER, NULL, 0, NULL, NULL),
		    KP_ERR_ARG);
		CHECK_INT(kp_authkeys_line(NULL, B64, "alice", NULL, 0,
		              KP_TIME_NONE_AFTER, NULL, 0, NULL, &out),
		    KP_ERR_ARG);
		CHECK(out == NULL);
		CHECK_INT(kp_authkeys_line(ED, B64, "alice", NULL, 1,
		              KP_TIME_NONE_AFTER, NULL, 0, NULL, &out),
		    KP_ERR_ARG);
		CHECK_INT(kp_authkeys_line(ED, B64, "alice", NULL, 0,
		              KP_TIME_NONE_AFTER, NULL, 2, NULL, &out),
		    KP_ERR_ARG);
		CHECK_INT(kp_authkeys_line("ssh-dss", B64, "alice", NULL, 0,
		              KP_TIME_NONE_AFTER, NULL, 0, NULL, &out),
		    KP_ERR_INVALID);
		CHECK_INT(kp_authkeys_line(ED " x", B64, "alice", NULL, 0,
		              KP_TIME_NONE_AFTER, NULL, 0, NULL, &out),
		    KP_ERR_INVALID);
		CHECK_INT(kp_authkeys_line(ED, B64 " x", "alice", NULL, 0,
		              KP_TIME_NONE_AFTER, NULL, 0, NULL, &out),
		    KP_ERR_INVALID);
		CHECK_INT(kp_authkeys_line(ED, B64 "\nssh-ed25519", "alice",
		              NULL, 0, KP_TIME_NONE_AFTER, NULL, 0, NULL, &out),
		    KP_ERR_INVALID);
		CHECK_INT(kp_authkeys_line(ED, "", "alice", NULL, 0,
		              KP_TIME_NONE_AFTER, NULL, 0, NULL, &out),
		    KP_ERR_INVALID);
		CHECK_INT(kp_authkeys_line(ED, B64, "alice\nx", NULL, 0,
		              KP_TIME_NONE_AFTER, NULL, 0, NULL, &out),
		    KP_ERR_INVALID);
		CHECK_INT(kp_authkeys_line(ED, B64, "a b", NULL, 0,
		              KP_TIME_NONE_AFTER, NULL, 0, NULL, &out),
		    KP_ERR_INVALID);
		CHECK_INT(kp_authkeys_line(ED, B64, "", NULL, 0,
		              KP_TIME_NONE_AFTER, NULL, 0, NULL, &out),
		    KP_ERR_INVALID);
		bad.family = 7;
		CHECK_INT(kp_authkeys_line(ED, B64, "alice", &bad, 1,
		              KP_TIME_NONE_AFTER, NULL, 0, NULL, &out),
		    KP_ERR_INVALID);
		bad.family = 4;
		bad.prefix = 33;
		CHECK_INT(kp_authkeys_line(ED, B64, "alice", &bad, 1,
		              KP_TIME_NONE_AFTER, NULL, 0, NULL, &out),
		    KP_ERR_INVALID);
		/* expiry outside what the 4-digit year can say */
		CHECK_INT(kp_authkeys_line(ED, B64, "alice", NULL, 0, -1, NULL,
		              0, NULL, &out),
		    KP_ERR_INVALID);
		CHECK_INT(kp_authkeys_line(ED, B64, "alice", NULL, 0,
		              253402300800LL, NULL, 0, NULL, &out),
		    KP_ERR_INVALID);
		CHECK(out == NULL);
	}
	l = line(NULL, 0, 253402300799LL, NULL, 0, NULL, 0);
	CHECK_CONTAINS(l, "expiry-time=\"99991231235959Z\" ");
	free(l);
	test_parse();
	test_round_trip();
	test_long_line();
	return t_done();
}
