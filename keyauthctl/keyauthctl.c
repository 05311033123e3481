/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "keyauth.h"
#include "keyauth-policy.h"
#include "kp-io.h"
#include "keyauthctl.h"

/* Which subcommand takes which option. */
#define OPT_GLOBAL 0x01
#define OPT_CHECK 0x02
#define OPT_EXPLAIN 0x04
#define OPT_STATUS 0x08
#define OPT_REPORT 0x10
#define OPT_DIFF 0x20
#define OPT_AUDIT 0x40
#define OPT_IMPORT 0x80
#define OPT_DOCTOR 0x100
#define OPT_EDIT 0x200
#define OPT_INSTALL 0x400
#define OPT_SIGN 0x800
#define OPT_FETCH 0x1000
#define OPT_SETUP 0x2000
#define OPT_CONVERT 0x4000
#define MANY_ARGS 0x7fffffff

struct cmd {
	const char *name;
	int (*fn)(struct ctl *);
	unsigned optmask;
	int minargs, maxargs;
};

static const struct cmd cmds[] = {
    {"check", cmd_check, OPT_CHECK, 0, 1},
    {"install", cmd_install, OPT_INSTALL, 0, 1},
    {"explain", cmd_explain, OPT_EXPLAIN, 2, 2},
    {"status", cmd_status, OPT_STATUS, 0, 0},
    {"report", cmd_report, OPT_REPORT, 0, 0},
    {"diff", cmd_diff, OPT_DIFF, 2, 2},
    {"audit", cmd_audit, OPT_AUDIT, 0, MANY_ARGS},
    {"import", cmd_import, OPT_IMPORT, 1, MANY_ARGS},
    {"doctor", cmd_doctor, OPT_DOCTOR, 0, 0},
    {"edit", cmd_edit, OPT_EDIT, 0, 0},
    {"sign", cmd_sign, OPT_SIGN, 1, 1},
    {"fetch", cmd_fetch, OPT_FETCH, 0, 1},
    {"setup", cmd_setup, OPT_SETUP, 0, 0},
    {"convert", cmd_convert, OPT_CONVERT, 1, 1},
};

enum optid {
	O_POLICY,
	O_INDEX,
	O_KRL,
	O_STATE,
	O_HOST,
	O_STRICT,
	O_FROM,
	O_AT,
	O_POLICY_FILE,
	O_FORMAT,
	O_ACCOUNT,
	O_OWNER,
	O_OWNER_FROM_COMMENT,
	O_SSHD_T_OUTPUT,
	O_PAM_FILE,
	O_ROOT,
	O_APPLY,
	O_REVERT,
	O_SSHD_CONFIG_DIR,
	O_HAVE_CONSOLE,
	O_HELPER_USER,
	O_JOURNAL,
	O_CONFIG,
	O_ALLOW_REMOVAL,
	O_KEY,
	O_IDENTITY,
	O_HOSTS,
	O_PASSWD,
	O_BY,
	O_ALL,
	O_OUTPUT,
	O_COUNT
};

struct opt {
	const char *name;
	enum optid id;
	int has_arg;
	unsigned mask;
};

static const struct opt opts[] = {
    {"--policy", O_POLICY, 1, OPT_GLOBAL},
    {"--index", O_INDEX, 1, OPT_GLOBAL},
    {"--krl", O_KRL, 1, OPT_GLOBAL},
    {"--state", O_STATE, 1, OPT_GLOBAL},
    {"--host", O_HOST, 1, OPT_GLOBAL},
    {"--strict", O_STRICT, 0, OPT_CHECK},
    {"--from", O_FROM, 1, OPT_EXPLAIN},
    {"--at", O_AT, 1, OPT_EXPLAIN | OPT_STATUS | OPT_REPORT | OPT_DOCTOR},
    {"--policy-file", O_POLICY_FILE, 1, OPT_EXPLAIN | OPT_REPORT | OPT_AUDIT},
    {"--format", O_FORMAT, 1, OPT_REPORT | OPT_DIFF | OPT_AUDIT | OPT_IMPORT},
    {"--account", O_ACCOUNT, 1, OPT_REPORT | OPT_IMPORT},
    {"--owner-from-comment", O_OWNER_FROM_COMMENT, 0, OPT_IMPORT},
    {"--owner", O_OWNER, 1, OPT_REPORT},
    {"--sshd-t-output", O_SSHD_T_OUTPUT, 1, OPT_DOCTOR},
    {"--pam-file", O_PAM_FILE, 1, OPT_DOCTOR | OPT_SETUP},
    {"--root", O_ROOT, 1, OPT_DOCTOR | OPT_SETUP},
    {"--apply", O_APPLY, 0, OPT_SETUP},
    {"--revert", O_REVERT, 0, OPT_SETUP},
    {"--sshd-config-dir", O_SSHD_CONFIG_DIR, 1, OPT_SETUP},
    {"--have-console", O_HAVE_CONSOLE, 0, OPT_SETUP},
    {"--helper-user", O_HELPER_USER, 1, OPT_GLOBAL},
    {"--journal", O_JOURNAL, 0, OPT_AUDIT},
    {"--config", O_CONFIG, 1, OPT_GLOBAL},
    {"--allow-removal", O_ALLOW_REMOVAL, 0, OPT_INSTALL | OPT_FETCH},
    {"--key", O_KEY, 1, OPT_SIGN},
    {"-k", O_KEY, 1, OPT_SIGN},
    {"--identity", O_IDENTITY, 1, OPT_SIGN},
    {"-I", O_IDENTITY, 1, OPT_SIGN},
    {"--hosts", O_HOSTS, 0, OPT_AUDIT},
    {"--passwd", O_PASSWD, 1, OPT_IMPORT},
    {"--by", O_BY, 1, OPT_REPORT},
    {"--all", O_ALL, 0, OPT_CHECK},
    {"--output", O_OUTPUT, 1, OPT_REPORT | OPT_AUDIT},
    {"-o", O_OUTPUT, 1, OPT_REPORT | OPT_AUDIT},
};

/*
 * What `keyauthctl COMMAND --help` prints, and keyauthctl --help's list:
 * the arguments after the command's name, what it does, and a line per
 * option of its own ("  --opt ARG  text"; tests/ctl/help.sh checks that
 * every command has an entry naming each of its options).
 */
struct cmd_help {
	const char *name;
	const char *args;
	const char *what;
	const char *opts;
};

static const struct cmd_help helps[] = {
    {"check", "[--strict] [--all] [POLICY]", "validate and lint a policy file",
        "  --strict              warnings are errors too (for CI)\n"
        "  --all                 list every warning, none grouped\n"},
    {"install", "[--allow-removal] [POLICY]",
        "verify, compile and install a policy (as root)",
        "  --allow-removal       install although access is removed that "
        "keyauth.conf\n"
        "                        says must not go without it\n"},
    {"sign", "POLICY -k KEY [-I IDENTITY]",
        "sign a policy (POLICY.sig, POLICY.IDENTITY.sig)",
        "  --key, -k KEY         the private key to sign with\n"
        "  --identity, -I ID     the signer's identity (names the .sig "
        "file)\n"},
    {"fetch", "[--allow-removal] [URL]",
        "download the policy and its signatures, then install it "
        "(keyauth.conf source)",
        "  --allow-removal       as for install\n"},
    {"explain",
        "ACCOUNT KEYFILE|FINGERPRINT [--from IP] [--at TIME] "
        "[--policy-file FILE]",
        "say whether a login is allowed, and why",
        "  --from IP             the client's address\n"
        "  --at TIME             decide at another time (YYYY-MM-DD, RFC "
        "3339, now)\n"
        "  --policy-file FILE    decide against a YAML file, not the "
        "index\n"},
    {"status", "[--at TIME]", "show the installed policy",
        "  --at TIME             is it stale by then?\n"},
    {"report",
        "[--format text|csv|json|html] [-o FILE] [--account NAME] [--owner "
        "OWNER] [--at TIME] [--policy-file FILE] [--by grant|group|person]",
        "who can log in where, from where, until when",
        "  --format FMT          text (default), csv, json or html (one "
        "page)\n"
        "  --output, -o FILE     write FILE atomically (mode 0644)\n"
        "  --account NAME        only this account\n"
        "  --owner OWNER         only this owner's keys\n"
        "  --at TIME             as it will be then\n"
        "  --policy-file FILE    a YAML file instead of --policy\n"
        "  --by WHAT             group the rows by grant, group or "
        "person\n"},
    {"diff", "OLD NEW [--format text|json]",
        "what a policy change does to access (exit 1 when it changes)",
        "  --format FMT          text (default) or json\n"},
    {"audit",
        "[--journal] [FILE...] [--format text|json|html] [-o FILE] "
        "[--policy-file FILE] [--hosts]",
        "summarise audit records (stdin without FILE)",
        "  --journal             the input is journalctl -o json: only "
        "keyauth's own\n"
        "                        records are trusted\n"
        "  --format FMT          text (default), json or html (one page)\n"
        "  --output, -o FILE     write FILE atomically (mode 0644)\n"
        "  --policy-file FILE    name the keys never used\n"
        "  --hosts               the serial each host enforces\n"},
    {"import",
        "[--owner-from-comment] [--account NAME] [--passwd FILE] [--format "
        "v1|v2] FILE|DIR...",
        "authorized_keys files to policy YAML",
        "  --owner-from-comment  take each key's owner from its comment\n"
        "  --account NAME        the account, when the path does not say\n"
        "  --passwd FILE         the accounts of this passwd(5) file, not "
        "this system's\n"
        "  --format v1|v2        keys: entries (default), or people and "
        "grants\n"},
    {"convert", "POLICY",
        "a version 1 policy as version 2 (people, groups, grants; the same "
        "index)",
        ""},
    {"doctor",
        "[--sshd-t-output FILE] [--pam-file FILE] [--root DIR] [--at TIME]",
        "check sshd, PAM and the installed files",
        "  --sshd-t-output FILE  sshd -T's output instead of running it\n"
        "  --pam-file FILE       the PAM file (default /etc/pam.d/sshd)\n"
        "  --root DIR            look the system's files up under DIR\n"
        "  --at TIME             judge expiry at another time\n"},
    {"edit", "", "edit, validate and install the policy", ""},
    {"setup",
        "[--apply | --revert] [--have-console] [--sshd-config-dir DIR] "
        "[--pam-file FILE] [--root DIR]",
        "enable keyauth in sshd and PAM (shows the changes; --apply makes "
        "them)",
        "  --apply               make the changes shown (backup first)\n"
        "  --revert              put back what --apply changed\n"
        "  --have-console        go ahead although no key login would be "
        "left\n"
        "  --sshd-config-dir DIR where keyauth.conf goes (default "
        "/etc/ssh/sshd_config.d)\n"
        "  --pam-file FILE       sshd's PAM file (default "
        "/etc/pam.d/sshd)\n"
        "  --root DIR            change the system under DIR (an "
        "image)\n"},
};

static const struct cmd_help *
help_of(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(helps) / sizeof(helps[0]); i++)
		if (strcmp(helps[i].name, name) == 0)
			return &helps[i];
	return NULL;
}

static void
usage_globals(FILE *f)
{
	fprintf(f,
	    "options (before or after the command):\n"
	    "  --policy PATH   policy file (default %s)\n"
	    "  --index PATH    compiled index (default %s)\n"
	    "  --krl PATH      OpenSSH KRL of revoked keys (default %s)\n"
	    "  --state PATH    install state (default %s)\n"
	    "  --host NAME     this server's name (default: the hostname)\n"
	    "  --helper-user NAME  the AuthorizedKeysCommandUser: its group "
	    "reads the\n"
	    "                  index, its records are trusted (default %s)\n"
	    "  --config PATH   keyauth.conf (default %s)\n"
	    "  -h, --help      this text (after a command: that command's)\n"
	    "  -V, --version   the version\n",
	    KP_DEFAULT_POLICY, KP_DEFAULT_INDEX, KP_DEFAULT_KRL,
	    KP_DEFAULT_STATE, KP_KEYAUTH_USER, KP_DEFAULT_CONF);
}

/*
 * "PREFIX words..." wrapped before column 79, later lines indented; a
 * bracketed group ("[--at TIME]") is one word.
 */
static void
put_wrapped(FILE *f, const char *prefix, const char *words, int indent)
{
	const char *p = words, *w;
	int col, n, depth;

	col = fprintf(f, "%s", prefix);
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		for (w = p, depth = 0; *p != '\0' && (*p != ' ' || depth > 0);
		     p++)
			depth += *p == '[' ? 1 : *p == ']' ? -1 : 0;
		if ((n = (int)(p - w)) == 0)
			break;
		if (col + 1 + n > 78 && col > indent) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else if (col > 0) {
			fputc(' ', f);
			col++;
		}
		col += fprintf(f, "%.*s", n, w);
	}
	fputc('\n', f);
}

static void
usage(FILE *f)
{
	char prefix[64];
	size_t i;

	fputs("usage: keyauthctl [OPTIONS] COMMAND [ARGS]\n\ncommands:\n", f);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		const struct cmd_help *h = help_of(cmds[i].name);

		snprintf(prefix, sizeof(prefix), "  %s", cmds[i].name);
		put_wrapped(f, prefix, h != NULL ? h->args : "", 8);
		if (h != NULL)
			fprintf(f, "      %s\n", h->what);
	}
	fputc('\n', f);
	usage_globals(f);
	fputs("\nkeyauthctl COMMAND --help: that command's options.\n"
	      "exit codes: 0 ok/allowed, 1 refused/denied, 2 usage, 3 system "
	      "error\n",
	    f);
}

static void
usage_cmd(FILE *f, const struct cmd *cmd)
{
	const struct cmd_help *h = help_of(cmd->name);
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "usage: keyauthctl [OPTIONS] %s",
	    cmd->name);
	put_wrapped(f, prefix, h != NULL ? h->args : "", 8);
	if (h != NULL) {
		fprintf(f, "\n%s\n", h->what);
		if (h->opts[0] != '\0')
			fprintf(f, "\n%s", h->opts);
	}
	fputc('\n', f);
	usage_globals(f);
	fputs("\nkeyauthctl(8) says more.\n", f);
}

/*
 * The edit distance of a and b (insertions, deletions, substitutions and
 * swaps of two neighbours count one each), or more than max when it is.
 */
static size_t
distance(const char *a, const char *b, size_t max)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d[3][33];
	size_t *pp = d[0], *p = d[1], *c = d[2], *t;

	if (la > 32 || lb > 32)
		return max + 1;
	for (j = 0; j <= lb; j++)
		p[j] = j;
	for (i = 1; i <= la; i++) {
		c[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t v = p[j - 1] + (a[i - 1] != b[j - 1]);

			if (p[j] + 1 < v)
				v = p[j] + 1;
			if (c[j - 1] + 1 < v)
				v = c[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			c[j] = v;
		}
		t = pp;
		pp = p;
		p = c;
		c = t;
	}
	return p[lb];
}

/*
 * The command an unknown word was probably meant to be: the closest one
 * within two edits (one for short words), or the only one it begins.
 */
static const char *
did_you_mean(const char *word)
{
	const char *best = NULL, *prefix = NULL;
	size_t i, d, bestd = SIZE_MAX, max = strlen(word) <= 3 ? 1 : 2;
	int nprefix = 0;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if ((d = distance(word, cmds[i].name, max)) <= max &&
		    d < bestd) {
			bestd = d;
			best = cmds[i].name;
		}
		if (word[0] != '\0' &&
		    strncmp(cmds[i].name, word, strlen(word)) == 0) {
			prefix = cmds[i].name;
			nprefix++;
		}
	}
	if (best != NULL)
		return best;
	return nprefix == 1 ? prefix : NULL;
}

void
ctl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("keyauthctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
ctl_usage_err(const char *fmt, ...)
{
	va_list ap;

	fputs("keyauthctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(keyauthctl --help lists the commands and options)\n", stderr);
}

char *
ctl_abspath(const char *path)
{
	char cwd[4096];
	size_t n;
	char *s;

	if (path == NULL || path[0] == '\0')
		return NULL;
	if (path[0] == '/')
		return strdup(path);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	n = strlen(cwd) + 1 + strlen(path) + 1;
	if ((s = malloc(n)) == NULL)
		return NULL;
	/* Plain concatenation: resolving links here would defeat O_NOFOLLOW. */
	snprintf(s, n, "%s%s%s", cwd, strcmp(cwd, "/") == 0 ? "" : "/", path);
	return s;
}

const char *
ctl_hostname(struct ctl *c, char *buf, size_t len)
{
	int r;

	if (c->host != NULL)
		return c->host; /* validated while parsing */
	if ((r = kp_host_self(buf, len, NULL)) == KP_ERR_INVALID) {
		ctl_err("this machine's hostname \"%s\" is not usable; "
		        "give --host NAME",
		    buf);
		return NULL;
	}
	if (r != 0) {
		ctl_err("gethostname: %s", strerror(errno));
		return NULL;
	}
	return buf;
}

/* How many ids a group line names before "...". */
#define CTL_LINT_IDS 5

void
ctl_print_lint(FILE *f, const struct kp_lint *l, const char *fallback,
    const char *level, const char *suffix)
{
	const struct kp_lint_warning *first;
	const struct kp_lint_kind *k;
	struct kp_diag d;
	size_t *kept, i, j, shown;
	int sev;

	if ((kept = calloc(l->nkinds + 1, sizeof(*kept))) == NULL) {
		/* no room to group: every kept finding, then the count */
		for (i = 0; i < l->nw; i++)
			ctl_print_diag(f, &l->w[i].d, fallback, level, suffix);
		return;
	}
	for (i = 0; i < l->nw; i++)
		kept[l->w[i].kind]++;
	for (sev = KP_LINT_SECURITY; sev <= KP_LINT_REVIEW; sev++) {
		for (i = 0; i < l->nw; i++) {
			k = &l->kinds[l->w[i].kind];
			if ((int)k->severity == sev &&
			    k->count == kept[l->w[i].kind])
				ctl_print_diag(
				    f, &l->w[i].d, fallback, level, suffix);
		}
		for (j = 0; j < l->nkinds; j++) {
			k = &l->kinds[j];
			if ((int)k->severity != sev || k->count == kept[j])
				continue;
			/* The group at its first finding kept, by position. */
			for (i = 0, first = NULL; i < l->nw && first == NULL;
			     i++)
				if (l->w[i].kind == j)
					first = &l->w[i];
			if (first == NULL)
				continue; /* nothing kept: cannot happen */
			d = first->d;
			snprintf(d.msg, sizeof(d.msg), "%s %zu %s:", k->code,
			    k->count, k->many);
			for (i = 0, shown = 0;
			     i < l->nw && shown < CTL_LINT_IDS; i++) {
				if (l->w[i].kind != j ||
				    l->w[i].subject == NULL)
					continue;
				snprintf(d.msg + strlen(d.msg),
				    sizeof(d.msg) - strlen(d.msg), "%s %s",
				    shown > 0 ? "," : "", l->w[i].subject);
				shown++;
			}
			snprintf(d.msg + strlen(d.msg),
			    sizeof(d.msg) - strlen(d.msg),
			    ", ... (--all lists them)");
			ctl_print_diag(f, &d, fallback, level, suffix);
		}
	}
	free(kept);
}

int
ctl_load_rc(int r)
{
	return r == KP_ERR_IO || r == KP_ERR_NOTFOUND || r == KP_ERR_NOMEM ||
	        r == KP_ERR_INTERNAL || r == KP_ERR_ARG
	    ? CTL_SYSERR
	    : CTL_REFUSED;
}

void
ctl_print_diag(FILE *f, const struct kp_diag *d, const char *fallback,
    const char *level, const char *suffix)
{
	const char *file = d->file[0] != '\0' ? d->file : fallback;

	if (d->line != 0 && d->column != 0)
		fprintf(f, "%s:%u:%u: ", file, d->line, d->column);
	else if (d->line != 0)
		fprintf(f, "%s:%u: ", file, d->line);
	else
		fprintf(f, "%s: ", file);
	fprintf(f, "%s: %s%s\n", level, d->msg[0] != '\0' ? d->msg : "error",
	    suffix != NULL ? suffix : "");
}

void
ctl_duration(int64_t secs, char *buf, size_t len)
{
	int64_t d, h, m;

	if (secs < 0)
		secs = -secs;
	d = secs / 86400;
	h = secs % 86400 / 3600;
	m = secs % 3600 / 60;
	if (d > 0)
		snprintf(buf, len, "%lldd %lldh", (long long)d, (long long)h);
	else if (h > 0)
		snprintf(buf, len, "%lldh %lldm", (long long)h, (long long)m);
	else if (m > 0)
		snprintf(buf, len, "%lldm %llds", (long long)m,
		    (long long)(secs % 60));
	else
		snprintf(buf, len, "%llds", (long long)secs);
}

int
ctl_time_arg(const char *s, int64_t now, int64_t *out)
{
	if (strcmp(s, "now") == 0) {
		*out = now;
		return 0;
	}
	return kp_time_parse(s, out);
}

const char *
ctl_plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

int
ctl_output(const struct ctl *c, const char *cmd, const char *out)
{
	struct kp_atomic a;
	int r;

	if (c->output == NULL || strcmp(c->output, "-") == 0) {
		fputs(out, stdout);
		return 0;
	}
	/*
	 * 0644: the page shows what the policy (public keys and names,
	 * reviewed in git) already says, and is made to be handed on.
	 */
	if ((r = kp_atomic_open(&a, c->output, 0644, KP_ATOMIC_SYNC_DIR)) ==
	    0) {
		if ((r = kp_write_all(a.fd, out, strlen(out))) == 0)
			r = kp_atomic_commit(&a);
		kp_atomic_abort(&a); /* a no-op after the commit */
	}
	if (r != 0) {
		ctl_err("%s: %s: %s", cmd, c->output,
		    r == KP_ERR_IO ? strerror(errno) : kp_strerror(r));
		return -1;
	}
	return 0;
}

static const struct opt *
find_opt(const char *arg, const char **inline_val)
{
	size_t i, n;

	*inline_val = NULL;
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		n = strlen(opts[i].name);
		if (strncmp(arg, opts[i].name, n) != 0)
			continue;
		if (arg[n] == '\0')
			return &opts[i];
		if (arg[n] == '=' && opts[i].has_arg) {
			*inline_val = arg + n + 1;
			return &opts[i];
		}
	}
	return NULL;
}

/*
 * Global options may come before or after the command; a subcommand's own
 * options only after it. Returns CTL_OK, or CTL_USAGE after a message.
 */
static int
parse_args(int argc, char **argv, struct ctl *c, const struct cmd **cmdp,
    const char *vals[O_COUNT], int *help, int *version)
{
	const struct cmd *cmd = NULL;
	const struct opt *o;
	const char *val;
	int i, dashdash = 0;
	size_t k;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!dashdash && strcmp(a, "--") == 0) {
			dashdash = 1;
			continue;
		}
		if (!dashdash &&
		    (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
			*help = 1;
			continue;
		}
		if (!dashdash &&
		    (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0)) {
			*version = 1;
			continue;
		}
		if (!dashdash && a[0] == '-' && a[1] != '\0') {
			if ((o = find_opt(a, &val)) == NULL) {
				ctl_usage_err("unknown option %s", a);
				return CTL_USAGE;
			}
			if (!(o->mask & OPT_GLOBAL) &&
			    (cmd == NULL || !(o->mask & cmd->optmask))) {
				ctl_usage_err("option %s does not apply to %s",
				    o->name,
				    cmd != NULL ? cmd->name
				                : "keyauthctl "
				                  "without a "
				                  "command");
				return CTL_USAGE;
			}
			if (vals[o->id] != NULL) {
				ctl_usage_err("option %s given twice", o->name);
				return CTL_USAGE;
			}
			if (o->has_arg && val == NULL) {
				if (i + 1 >= argc) {
					ctl_usage_err(
					    "option %s needs a value", o->name);
					return CTL_USAGE;
				}
				val = argv[++i];
			}
			if (o->has_arg && val[0] == '\0') {
				ctl_usage_err("option %s needs a non-empty "
				              "value",
				    o->name);
				return CTL_USAGE;
			}
			vals[o->id] = o->has_arg ? val : "1";
			continue;
		}
		if (cmd == NULL) {
			for (k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++) {
				if (strcmp(a, cmds[k].name) == 0)
					cmd = &cmds[k];
			}
			if (cmd == NULL && strcmp(a, "help") == 0) {
				*help = 1;
				continue;
			}
			if (cmd == NULL && did_you_mean(a) != NULL) {
				ctl_usage_err(
				    "unknown command \"%s\"; did you mean "
				    "\"%s\"?",
				    a, did_you_mean(a));
				return CTL_USAGE;
			}
			if (cmd == NULL) {
				ctl_usage_err("unknown command \"%s\"", a);
				return CTL_USAGE;
			}
			continue;
		}
		if (c->nargs >= cmd->maxargs) {
			ctl_usage_err(
			    "%s: unexpected argument \"%s\"", cmd->name, a);
			return CTL_USAGE;
		}
		c->args[c->nargs++] = a;
	}
	*cmdp = cmd;
	if (*help || *version)
		return CTL_OK;
	if (cmd == NULL) {
		ctl_usage_err("no command given");
		return CTL_USAGE;
	}
	if (c->nargs < cmd->minargs) {
		ctl_usage_err("%s: missing argument", cmd->name);
		return CTL_USAGE;
	}
	return CTL_OK;
}

/*
 * Progress of a long load or compile, for a person watching: one line on
 * the terminal, rewritten at most every 0.2 s, with the phase, the count
 * and the rate; finished with a newline at the end of the phase. Nothing
 * for a phase that ended before its first report (a small policy), and
 * nothing at all when stderr is not a terminal (set up in main).
 */
struct progress {
	const char *phase; /* the phase on the line, NULL: none */
	double start, last; /* when the phase started, last shown */
	double ended; /* when the previous phase ended (or the command began) */
};

static double
progress_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
progress_show(const char *phase, uint64_t count, int done, void *arg)
{
	struct progress *pr = arg;
	double t = progress_now(), rate;

	if (pr->phase == NULL || strcmp(pr->phase, phase) != 0) {
		if (done) { /* ended before its first report: shown never */
			pr->ended = t;
			return;
		}
		pr->phase = phase;
		pr->start = pr->ended;
	} else if (!done && t - pr->last < 0.2) {
		return;
	}
	pr->last = t;
	rate = t > pr->start ? (double)count / (t - pr->start) : 0;
	fprintf(stderr, "\rkeyauthctl: %s: %llu entries, %.0f/s%s", phase,
	    (unsigned long long)count, rate, done ? "\n" : "  ");
	if (done) {
		pr->phase = NULL;
		pr->ended = t;
	}
}

/* The commands that load or compile a whole policy. */
static int
progress_cmd(const char *name)
{
	return strcmp(name, "install") == 0 || strcmp(name, "check") == 0 ||
	    strcmp(name, "convert") == 0 || strcmp(name, "report") == 0;
}

int
main(int argc, char **argv)
{
	static struct progress pr;
	const char *vals[O_COUNT] = {NULL};
	const struct cmd *cmd = NULL;
	char *paths[4] = {NULL, NULL, NULL, NULL}, *config = NULL;
	const char *defaults[4] = {KP_DEFAULT_POLICY, KP_DEFAULT_INDEX,
	    KP_DEFAULT_KRL, KP_DEFAULT_STATE};
	struct ctl c;
	int help = 0, version = 0, rc, i;

	memset(&c, 0, sizeof(c));
	if ((c.args = calloc((size_t)argc + 1, sizeof(*c.args))) == NULL) {
		ctl_err("out of memory");
		return CTL_SYSERR;
	}
	/* Half-written output must never look like a complete answer. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = parse_args(argc, argv, &c, &cmd, vals, &help, &version);
	if (rc != CTL_OK)
		goto out;
	if (help) {
		if (cmd != NULL)
			usage_cmd(stdout, cmd);
		else
			usage(stdout);
		goto out;
	}
	if (version) {
		printf("keyauthctl (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		goto out;
	}
	c.cmd = cmd->name;
	for (i = 0; i < 4; i++) {
		const char *v = vals[O_POLICY + i] != NULL ? vals[O_POLICY + i]
		                                           : defaults[i];

		if ((paths[i] = ctl_abspath(v)) == NULL) {
			ctl_err("%s: cannot make an absolute path: %s", v,
			    strerror(errno));
			rc = CTL_SYSERR;
			goto out;
		}
	}
	if ((config = ctl_abspath(
	         vals[O_CONFIG] != NULL ? vals[O_CONFIG] : KP_DEFAULT_CONF)) ==
	    NULL) {
		ctl_err("cannot make an absolute path of the configuration: %s",
		    strerror(errno));
		rc = CTL_SYSERR;
		goto out;
	}
	c.config = config;
	c.policy = paths[0];
	c.policy_given = vals[O_POLICY] != NULL;
	c.index = paths[1];
	c.krl = paths[2];
	c.state = paths[3];
	if ((c.host = vals[O_HOST]) != NULL && !kp_host_name_valid(c.host)) {
		ctl_usage_err("invalid --host \"%s\" (expected 1-255 letters, "
		              "digits, '.', '-', '_')",
		    c.host);
		rc = CTL_USAGE;
		goto out;
	}
	c.helper_user =
	    vals[O_HELPER_USER] != NULL ? vals[O_HELPER_USER] : KP_KEYAUTH_USER;
	if (!kp_account_valid(c.helper_user)) {
		ctl_usage_err(
		    "invalid --helper-user \"%s\" (expected an account "
		    "name)",
		    c.helper_user);
		rc = CTL_USAGE;
		goto out;
	}
	c.journal = vals[O_JOURNAL] != NULL;
	c.strict = vals[O_STRICT] != NULL;
	c.all = vals[O_ALL] != NULL;
	c.from = vals[O_FROM];
	c.at = vals[O_AT];
	c.policy_file = vals[O_POLICY_FILE];
	c.format = vals[O_FORMAT];
	c.account = vals[O_ACCOUNT];
	c.owner = vals[O_OWNER];
	c.owner_from_comment = vals[O_OWNER_FROM_COMMENT] != NULL;
	c.sshd_t_output = vals[O_SSHD_T_OUTPUT];
	c.pam_file = vals[O_PAM_FILE];
	c.root = vals[O_ROOT];
	c.apply = vals[O_APPLY] != NULL;
	c.revert = vals[O_REVERT] != NULL;
	c.sshd_config_dir = vals[O_SSHD_CONFIG_DIR];
	c.have_console = vals[O_HAVE_CONSOLE] != NULL;
	c.allow_removal = vals[O_ALLOW_REMOVAL] != NULL;
	c.key = vals[O_KEY];
	c.identity = vals[O_IDENTITY];
	c.hosts = vals[O_HOSTS] != NULL;
	c.passwd = vals[O_PASSWD];
	c.by = vals[O_BY];
	c.output = vals[O_OUTPUT];
	/* The login path's clock: never decide with a bogus "now". */
	if (kp_now(&c.now) != 0) {
		ctl_err("cannot read the clock");
		rc = CTL_SYSERR;
		goto out;
	}
	if (progress_cmd(cmd->name) && isatty(STDERR_FILENO)) {
		pr.ended = progress_now();
		kp_progress_set(progress_show, &pr);
	}
	rc = cmd->fn(&c);
	if (pr.phase != NULL) /* a phase cut short: end its line */
		fputc('\n', stderr);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		ctl_err("writing the output failed: %s", strerror(errno));
		rc = CTL_SYSERR;
	}
out:
	for (i = 0; i < 4; i++)
		free(paths[i]);
	free(config);
	free(c.args);
	return rc;
}
