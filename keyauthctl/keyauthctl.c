/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyauth.h"
#include "keyauth-policy.h"
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
#define OPT_CONVERT 0x2000
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
	O_HELPER_USER,
	O_JOURNAL,
	O_CONFIG,
	O_ALLOW_REMOVAL,
	O_KEY,
	O_IDENTITY,
	O_HOSTS,
	O_PASSWD,
	O_BY,
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
    {"--pam-file", O_PAM_FILE, 1, OPT_DOCTOR},
    {"--root", O_ROOT, 1, OPT_DOCTOR},
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
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: keyauthctl [OPTIONS] COMMAND [ARGS]\n"
	    "\n"
	    "commands:\n"
	    "  check [--strict] [POLICY]      validate and lint a policy "
	    "file\n"
	    "  install [--allow-removal] [POLICY]\n"
	    "                                 verify, compile and install "
	    "a policy\n"
	    "  sign POLICY -k KEY [-I IDENTITY]\n"
	    "                                 sign a policy "
	    "(POLICY.sig, POLICY.IDENTITY.sig)\n"
	    "  fetch [--allow-removal] [URL]  download the policy and its "
	    "signatures,\n"
	    "                                 then install it (keyauth.conf "
	    "source)\n"
	    "  explain ACCOUNT KEYFILE|FINGERPRINT [--from IP] [--at TIME]\n"
	    "          [--policy-file FILE]   say whether a login is allowed, "
	    "and why\n"
	    "  status [--at TIME]             show the installed policy\n"
	    "  report [--format text|csv|json] [--account NAME] [--owner "
	    "OWNER]\n"
	    "         [--at TIME] [--policy-file FILE] [--by "
	    "grant|group|person]\n"
	    "                                 who can log in where, from "
	    "where, until when\n"
	    "  diff OLD NEW [--format text|json]\n"
	    "                                 what a policy change does to "
	    "access\n"
	    "  audit [--journal] [FILE...] [--format text|json]\n"
	    "        [--policy-file FILE] [--hosts]\n"
	    "                                 summarise audit records "
	    "(stdin without FILE;\n"
	    "                                 --journal: journalctl -o json, "
	    "only keyauth's own;\n"
	    "                                 --hosts: the serial each "
	    "host enforces)\n"
	    "  import [--owner-from-comment] [--account NAME] [--passwd "
	    "FILE]\n"
	    "         [--format v1|v2] FILE|DIR...\n"
	    "                                 authorized_keys files to "
	    "policy YAML\n"
	    "  convert POLICY                 a version 1 policy as version 2 "
	    "(people, grants)\n"
	    "  doctor [--sshd-t-output FILE] [--pam-file FILE] [--root "
	    "DIR]\n"
	    "                                 check sshd, PAM and the "
	    "installed files\n"
	    "  edit                           edit, validate and install "
	    "the policy\n"
	    "\n"
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
	    "  -h, --help      this text\n"
	    "  -V, --version   the version\n"
	    "\n"
	    "exit codes: 0 ok/allowed, 1 refused/denied, 2 usage, 3 system "
	    "error\n",
	    KP_DEFAULT_POLICY, KP_DEFAULT_INDEX, KP_DEFAULT_KRL,
	    KP_DEFAULT_STATE, KP_KEYAUTH_USER, KP_DEFAULT_CONF);
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

int
main(int argc, char **argv)
{
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
	c.allow_removal = vals[O_ALLOW_REMOVAL] != NULL;
	c.key = vals[O_KEY];
	c.identity = vals[O_IDENTITY];
	c.hosts = vals[O_HOSTS] != NULL;
	c.passwd = vals[O_PASSWD];
	c.by = vals[O_BY];
	/* The login path's clock: never decide with a bogus "now". */
	if (kp_now(&c.now) != 0) {
		ctl_err("cannot read the clock");
		rc = CTL_SYSERR;
		goto out;
	}
	rc = cmd->fn(&c);
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
