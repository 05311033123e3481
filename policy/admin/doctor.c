/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * keyauthctl doctor's checks, as pure functions over text (sshd -T output,
 * a PAM stack, passwd) and stat data, so each problem can be tested with a
 * crafted input. The caller collects the inputs; these say what is wrong
 * and how to fix it. An ERROR weakens enforcement or breaks logins; a
 * WARN is advice.
 */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "keyauth.h"
#include "kp-internal.h"
#include "keyauth-admin.h"

#define PAM_INCLUDE_DEPTH 8
#define PAM_TEXT_MAX (1024 * 1024)

void
kp_doctor_init(struct kp_doctor *d)
{
	memset(d, 0, sizeof(*d));
}

void
kp_doctor_free(struct kp_doctor *d)
{
	if (d == NULL)
		return;
	free(d->f);
	memset(d, 0, sizeof(*d));
}

void
kp_doctor_add(struct kp_doctor *d, enum kp_doctor_level level, const char *code,
    const char *fix, const char *fmt, ...)
{
	struct kp_doctor_finding *f, *tmp;
	va_list ap;

	if (d->err != 0)
		return;
	if (d->n == d->cap) {
		size_t cap = d->cap == 0 ? 16 : d->cap * 2;

		if ((tmp = reallocarray(d->f, cap, sizeof(*tmp))) == NULL) {
			d->err = KP_ERR_NOMEM;
			return;
		}
		d->f = tmp;
		d->cap = cap;
	}
	f = &d->f[d->n++];
	memset(f, 0, sizeof(*f));
	f->level = level;
	snprintf(f->code, sizeof(f->code), "%s", code);
	snprintf(f->fix, sizeof(f->fix), "%s", fix);
	va_start(ap, fmt);
	vsnprintf(f->problem, sizeof(f->problem), fmt, ap);
	va_end(ap);
	if (level == KP_DOCTOR_ERROR)
		d->nerrors++;
}

/* --------------------------------------------------------------- sshd */

void
kp_sshd_conf_free(struct kp_sshd_conf *c)
{
	if (c == NULL)
		return;
	free(c->buf);
	free(c->command_path);
	memset(c, 0, sizeof(*c));
}

/* 1 when method (of an AuthenticationMethods list) is name[:submethod]. */
static int
is_method(const char *method, size_t n, const char *name)
{
	size_t k = strlen(name);

	return n >= k && memcmp(method, name, k) == 0 &&
	    (n == k || method[k] == ':');
}

/*
 * AuthenticationMethods lists (space between lists, commas within one):
 * sshd runs the PAM account stage when keyboard-interactive completes,
 * wherever it stands in the list, so a publickey after it comes too late
 * for pam_keyauth (docs/pam-setup.md, "A second factor").
 */
static void
check_authmethods(struct kp_doctor *d, const char *value)
{
	const char *list = value, *m, *end;
	size_t len, n;
	int kbdint;

	while (*list != '\0') {
		len = strcspn(list, " ");
		kbdint = 0;
		for (m = list; m < list + len; m = end + 1) {
			end = memchr(m, ',', (size_t)(list + len - m));
			if (end == NULL)
				end = list + len;
			n = (size_t)(end - m);
			if (is_method(m, n, "keyboard-interactive"))
				kbdint = 1;
			else if (kbdint && is_method(m, n, "publickey")) {
				kp_doctor_add(d, KP_DOCTOR_ERROR,
				    "authentication-methods",
				    "list publickey before "
				    "keyboard-interactive "
				    "(\"AuthenticationMethods "
				    "publickey,keyboard-interactive\") and "
				    "reload "
				    "sshd",
				    "AuthenticationMethods \"%.*s\": sshd runs "
				    "the PAM account stage when "
				    "keyboard-interactive completes, before "
				    "the "
				    "key is offered, so pam_keyauth finds no "
				    "key: "
				    "it refuses every such login (with "
				    "nokey=ignore it lets the first factor "
				    "pass and "
				    "only the session stage checks the key)",
				    (int)len, list);
				break;
			}
			if (end == list + len)
				break;
		}
		list += len;
		while (*list == ' ')
			list++;
	}
}

/*
 * The lines of sshd -T that doctor judges, pointing into c->buf (a copy
 * of text, split in place): "keyword value..." per line, keywords in
 * lower case. AuthenticationMethods is not kept in the conf the caller
 * gets, only checked.
 */
struct conf_read {
	struct kp_sshd_conf *c;
	char **authmethods;
};

static int
conf_line(void *arg, char *p, char *sp)
{
	struct conf_read *cr = arg;
	struct kp_sshd_conf *c = cr->c;

	if (strcmp(p, "authorizedkeysfile") == 0)
		c->authorizedkeysfile = sp;
	else if (strcmp(p, "authorizedkeyscommand") == 0)
		c->command = sp;
	else if (strcmp(p, "authorizedkeyscommanduser") == 0)
		c->command_user = sp;
	else if (strcmp(p, "revokedkeys") == 0)
		c->revokedkeys = sp;
	else if (strcmp(p, "usedns") == 0)
		c->usedns = sp;
	else if (strcmp(p, "usepam") == 0)
		c->usepam = sp;
	else if (strcmp(p, "authenticationmethods") == 0)
		*cr->authmethods = sp;
	return 0;
}

static int
sshd_conf_read(
    struct kp_sshd_conf *c, const char *text, size_t len, char **authmethods)
{
	struct conf_read cr = {c, authmethods};

	return kp_word_lines(text, len, &c->buf, conf_line, &cr);
}

/*
 * AuthorizedKeysCommand and its user: the helper is how sshd asks keyauth
 * for keys at all, and its user can write the handoff spool that
 * pam_keyauth trusts. c->command_path is set here: keyauthctl/doctor.c
 * checks that file itself.
 */
static int
check_helper(struct kp_doctor *d, struct kp_sshd_conf *c)
{
	size_t n;

	if (c->command == NULL) {
		kp_doctor_add(d, KP_DOCTOR_ERROR, "authorized-keys-command",
		    "set \"AuthorizedKeysCommand " KP_DEFAULT_HELPER
		    " %u %f %t %k\" and \"AuthorizedKeysCommandUser "
		    "keyauth\", then reload sshd",
		    "AuthorizedKeysCommand is not set: sshd does not ask "
		    "keyauth for keys");
		return 0;
	}
	n = strcspn(c->command, " ");
	if ((c->command_path = strndup(c->command, n)) == NULL)
		return KP_ERR_NOMEM;
	if (c->command_path[0] != '/')
		kp_doctor_add(d, KP_DOCTOR_ERROR, "helper-path",
		    "give the absolute path of "
		    "keyauth-authorized-keys",
		    "AuthorizedKeysCommand \"%s\" is not an absolute "
		    "path: sshd refuses to run it",
		    c->command_path);
	else if (strcmp(strrchr(c->command_path, '/') + 1,
	             "keyauth-authorized-keys") != 0)
		kp_doctor_add(d, KP_DOCTOR_WARN, "helper-name",
		    "point AuthorizedKeysCommand at "
		    "keyauth-authorized-keys",
		    "AuthorizedKeysCommand runs \"%s\", not "
		    "keyauth-authorized-keys",
		    c->command_path);
	if (strstr(c->command, "%f") == NULL ||
	    strstr(c->command, "%t") == NULL ||
	    strstr(c->command, "%k") == NULL)
		kp_doctor_add(d, KP_DOCTOR_WARN, "helper-args",
		    "pass \"%u %f %t %k\" to the helper",
		    "AuthorizedKeysCommand \"%s\" does not pass the "
		    "offered key (%%f %%t %%k): the helper cannot "
		    "leave the handoff record, so pam_keyauth's "
		    "account stage finds no key and denies",
		    c->command);
	if (c->command_user == NULL || strcmp(c->command_user, "none") == 0)
		kp_doctor_add(d, KP_DOCTOR_ERROR, "helper-user",
		    "set \"AuthorizedKeysCommandUser keyauth\" (a "
		    "dedicated system user)",
		    "AuthorizedKeysCommandUser is not set: sshd "
		    "refuses to run the AuthorizedKeysCommand");
	else if (strcmp(c->command_user, "nobody") == 0)
		kp_doctor_add(d, KP_DOCTOR_ERROR, "helper-user",
		    "create a dedicated user (adduser --system "
		    "keyauth) and set \"AuthorizedKeysCommandUser "
		    "keyauth\"",
		    "AuthorizedKeysCommandUser is nobody: every "
		    "service running as nobody could write the "
		    "handoff spool and forge what pam_keyauth reads");
	else if (strcmp(c->command_user, "root") == 0)
		kp_doctor_add(d, KP_DOCTOR_WARN, "helper-user",
		    "set \"AuthorizedKeysCommandUser keyauth\" (a "
		    "dedicated system user)",
		    "AuthorizedKeysCommandUser is root: the helper "
		    "needs no privilege");
	return 0;
}

/*
 * RevokedKeys: sshd's own layer of the revocation, which must name the
 * KRL keyauthctl install writes (krl_path, when the caller knows it).
 */
static void
check_revoked(
    struct kp_doctor *d, const struct kp_sshd_conf *c, const char *krl_path)
{
	char krl_fix[4096 + 64]; /* a path and the words around it */

	snprintf(krl_fix, sizeof(krl_fix),
	    "set \"RevokedKeys %s\" and reload sshd",
	    krl_path != NULL ? krl_path : KP_DEFAULT_KRL);
	if (c->revokedkeys == NULL || strcmp(c->revokedkeys, "none") == 0)
		kp_doctor_add(d, KP_DOCTOR_ERROR, "revoked-keys", krl_fix,
		    "RevokedKeys is not set: sshd does not refuse revoked "
		    "keys by itself (one layer of the revocation is "
		    "missing)");
	else if (krl_path != NULL && strcmp(c->revokedkeys, krl_path) != 0)
		kp_doctor_add(d, KP_DOCTOR_WARN, "revoked-keys",
		    "point RevokedKeys at the KRL keyauthctl install "
		    "writes",
		    "RevokedKeys is %s, but keyauthctl install writes %s",
		    c->revokedkeys, krl_path);
}

int
kp_doctor_sshd(struct kp_doctor *d, const char *text, size_t len,
    const char *krl_path, struct kp_sshd_conf *out)
{
	struct kp_sshd_conf c;
	char *authmethods = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	if (d == NULL || (text == NULL && len > 0))
		return KP_ERR_ARG;
	if ((r = sshd_conf_read(&c, text, len, &authmethods)) != 0)
		return r;
	if (c.authorizedkeysfile == NULL && c.command == NULL &&
	    c.usepam == NULL) {
		kp_sshd_conf_free(&c);
		kp_doctor_add(d, KP_DOCTOR_ERROR, "sshd-config",
		    "run doctor as root on the server (sshd -T needs the "
		    "host keys), or give --sshd-t-output FILE",
		    "the sshd -T output holds no configuration (no "
		    "authorizedkeysfile, authorizedkeyscommand or usepam "
		    "line)");
		return d->err;
	}
	if (c.command != NULL && strcmp(c.command, "none") == 0)
		c.command = NULL;

	if (c.authorizedkeysfile == NULL ||
	    strcmp(c.authorizedkeysfile, "none") != 0)
		kp_doctor_add(d, KP_DOCTOR_ERROR, "authorized-keys-file",
		    "set \"AuthorizedKeysFile none\" in "
		    "/etc/ssh/sshd_config and reload sshd",
		    "AuthorizedKeysFile is \"%s\": sshd also accepts keys "
		    "from the users' own files, which the policy does not "
		    "control (a removed or revoked key keeps working there)",
		    c.authorizedkeysfile != NULL ? c.authorizedkeysfile
		                                 : "(default)");
	if ((r = check_helper(d, &c)) != 0) {
		kp_sshd_conf_free(&c);
		return r;
	}
	check_revoked(d, &c, krl_path);
	if (c.usedns != NULL && strcmp(c.usedns, "yes") == 0)
		kp_doctor_add(d, KP_DOCTOR_ERROR, "use-dns",
		    "set \"UseDNS no\" in /etc/ssh/sshd_config",
		    "UseDNS is yes: sshd matches from= restrictions against "
		    "host names from reverse DNS, which whoever controls "
		    "the client's DNS chooses");
	if (c.usepam == NULL || strcmp(c.usepam, "yes") != 0)
		kp_doctor_add(d, KP_DOCTOR_ERROR, "use-pam",
		    "set \"UsePAM yes\" in /etc/ssh/sshd_config",
		    "UsePAM is not yes: pam_keyauth never runs, so the "
		    "second check (source address, revocation, the key "
		    "actually used) is skipped");
	if (authmethods != NULL)
		check_authmethods(d, authmethods);
	*out = c; /* the caller frees it */
	return d->err;
}

/* ---------------------------------------------------------------- PAM */

struct pamstage {
	int found;
	char control[128];
	char args[512];
	char where[300];
	int dash; /* "-account": silently skipped when the module is missing */
	int early_exit; /* a sufficient/done before it */
	char early[300];
};

struct pamscan {
	struct pamstage st[2]; /* account, session */
	int err;
};

static int
pam_scan(struct pamscan *ps, const char *name, const char *text, size_t len,
    kp_pam_include_cb include, void *arg, int depth)
{
	char *buf, *p, *nl, *end, *w[4], *save, empty[1] = "";
	char *inc;
	size_t inclen, i, ln = 0;
	int r = 0, s, nw;

	if (text == NULL && len > 0)
		return KP_ERR_ARG;
	if (depth > PAM_INCLUDE_DEPTH || len > PAM_TEXT_MAX)
		return KP_ERR_TOOBIG;
	if ((buf = malloc(len + 1)) == NULL)
		return KP_ERR_NOMEM;
	if (len > 0) /* text may be NULL when empty */
		memcpy(buf, text, len);
	buf[len] = '\0';
	end = buf + len;
	for (p = buf; p < end && r == 0; p = nl + 1) {
		ln++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		*nl = '\0';
		if ((save = strchr(p, '#')) != NULL)
			*save = '\0';
		for (nw = 0, save = NULL; nw < 3; nw++) {
			w[nw] = strtok_r(nw == 0 ? p : NULL, " \t\r", &save);
			if (w[nw] == NULL)
				break;
		}
		if (nw == 0)
			continue;
		w[3] = save != NULL ? save : empty;
		while (*w[3] == ' ' || *w[3] == '\t')
			w[3]++;
		if (strcmp(w[0], "@include") == 0 && nw >= 2) {
			if (include == NULL ||
			    include(arg, w[1], &inc, &inclen) != 0)
				continue; /* reported by the caller's reader */
			r = pam_scan(
			    ps, w[1], inc, inclen, include, arg, depth + 1);
			free(inc);
			continue;
		}
		if (nw < 3)
			continue;
		s = strcmp(w[0], "account") == 0 ||
		        strcmp(w[0], "-account") == 0
		    ? 0
		    : strcmp(w[0], "session") == 0 ||
		        strcmp(w[0], "-session") == 0
		    ? 1
		    : -1;
		if (s < 0)
			continue;
		/* a bracketed control may hold spaces: rejoin it */
		if (w[1][0] == '[' && strchr(w[1], ']') == NULL) {
			/* rare; leave it for a human and go on */
			continue;
		}
		if (strcmp(w[1], "include") == 0 ||
		    strcmp(w[1], "substack") == 0) {
			if (include != NULL &&
			    include(arg, w[2], &inc, &inclen) == 0) {
				r = pam_scan(ps, w[2], inc, inclen, include,
				    arg, depth + 1);
				free(inc);
			}
			continue;
		}
		i = strlen(w[2]);
		if ((i >= 14 && strcmp(w[2] + i - 14, "pam_keyauth.so") == 0 &&
		        (i == 14 || w[2][i - 15] == '/'))) {
			if (ps->st[s].found)
				continue;
			ps->st[s].found = 1;
			ps->st[s].dash = w[0][0] == '-';
			snprintf(ps->st[s].control, sizeof(ps->st[s].control),
			    "%s", w[1]);
			snprintf(
			    ps->st[s].args, sizeof(ps->st[s].args), "%s", w[3]);
			snprintf(ps->st[s].where, sizeof(ps->st[s].where),
			    "%s:%zu", name, ln);
			continue;
		}
		if (!ps->st[s].found && !ps->st[s].early_exit &&
		    (strcmp(w[1], "sufficient") == 0 ||
		        strstr(w[1], "=done") != NULL)) {
			ps->st[s].early_exit = 1;
			snprintf(ps->st[s].early, sizeof(ps->st[s].early),
			    "%s:%zu (%s %s)", name, ln, w[1], w[2]);
		}
	}
	free(buf);
	return r;
}

static int
has_arg(const char *args, const char *a)
{
	size_t n = strlen(a);
	const char *p = args;

	while ((p = strstr(p, a)) != NULL) {
		if ((p == args || p[-1] == ' ' || p[-1] == '\t') &&
		    (p[n] == '\0' || p[n] == ' ' || p[n] == '\t'))
			return 1;
		p += n;
	}
	return 0;
}

int
kp_doctor_pam(struct kp_doctor *d, const char *name, const char *text,
    size_t len, kp_pam_include_cb include, void *arg)
{
	static const char *const stage[2] = {"account", "session"};
	struct pamscan ps;
	char fix[256];
	int s, r;

	if (d == NULL || name == NULL || (text == NULL && len > 0))
		return KP_ERR_ARG;
	memset(&ps, 0, sizeof(ps));
	if ((r = pam_scan(&ps, name, text, len, include, arg, 0)) != 0)
		return r;
	for (s = 0; s < 2; s++) {
		struct pamstage *st = &ps.st[s];

		snprintf(fix, sizeof(fix),
		    "add \"%s required pam_keyauth.so\" to %s", stage[s], name);
		if (!st->found) {
			kp_doctor_add(d, KP_DOCTOR_ERROR,
			    s == 0 ? "pam-account" : "pam-session", fix,
			    "pam_keyauth is not in the %s stack of %s: %s",
			    stage[s], name,
			    s == 0 ? "a key from a stray file, a revoked key "
			             "or the wrong source address is not "
			             "refused at login"
			           : "the key actually used is not confirmed "
			             "when the session opens");
			continue;
		}
		if (strcmp(st->control, "required") != 0 &&
		    strcmp(st->control, "requisite") != 0)
			kp_doctor_add(d, KP_DOCTOR_ERROR, "pam-control", fix,
			    "%s: pam_keyauth's %s control is \"%s\": its "
			    "denial does not stop the login",
			    st->where, stage[s], st->control);
		if (st->dash)
			kp_doctor_add(d, KP_DOCTOR_ERROR, "pam-dash", fix,
			    "%s: \"-%s\" makes PAM skip pam_keyauth silently "
			    "when the module is missing",
			    st->where, stage[s]);
		if (has_arg(st->args, "mode=audit"))
			kp_doctor_add(d, KP_DOCTOR_ERROR, "pam-audit-mode",
			    "remove mode=audit once the audit log shows no "
			    "unexpected would_deny",
			    "%s: pam_keyauth runs with mode=audit: it logs "
			    "what it would deny and allows it",
			    st->where);
		if (has_arg(st->args, "nokey=ignore"))
			kp_doctor_add(d, KP_DOCTOR_WARN, "pam-nokey",
			    "remove nokey=ignore unless other login methods "
			    "are wanted",
			    "%s: pam_keyauth runs with nokey=ignore: logins "
			    "without a key (passwords, keyboard-interactive) "
			    "pass it",
			    st->where);
		if (st->early_exit)
			kp_doctor_add(d, KP_DOCTOR_WARN, "pam-order",
			    "move pam_keyauth before it, or make sure that "
			    "module cannot succeed for ssh logins",
			    "%s: a module before pam_keyauth in the %s stack "
			    "can end the stack with success before "
			    "pam_keyauth runs",
			    st->early, stage[s]);
	}
	return d->err;
}

/* ------------------------------------------------------------- files */

/*
 * Where keyauth installs each trusted file (configure's paths), and what
 * names its path: the fix for a path that runs through a directory that
 * is not keyauth's.
 */
static const struct {
	const char *code;
	const char *installed;
	const char *setting;
} trusted_homes[] = {
    {"helper-path", KP_DEFAULT_HELPER, "AuthorizedKeysCommand in sshd_config"},
    {"krl", KP_DEFAULT_KRL, "RevokedKeys in sshd_config"},
    {"index-path", KP_DEFAULT_INDEX,
        "--index, the helper's -i and the module's index="},
    {"state-path", KP_DEFAULT_STATE, "--state"},
    {"policy-path", KP_DEFAULT_POLICY, "--policy"},
};

/*
 * 1 for a directory keyauth owns (the package's /usr/libexec/keyauth,
 * /var/lib/keyauth, /etc/keyauth): its owner and mode are keyauth's to
 * fix. Any other directory (/, /tmp, /usr, a home) is shared with the
 * rest of the system and never to be changed for keyauth.
 */
static int
own_dir(const char *path)
{
	const char *b = strrchr(path, '/');

	return strcmp(b != NULL ? b + 1 : path, "keyauth") == 0;
}

/*
 * The fix for a path through dir, a directory that is not keyauth's:
 * never change it (other software relies on it), move the file instead.
 */
static void
move_fix(char *fix, size_t len, const char *code, const char *what,
    const char *dir, int exists)
{
	const char *home = NULL, *setting = NULL, *slash;
	char leave[300] = "";
	int homelen = 0;
	size_t i;

	for (i = 0; i < sizeof(trusted_homes) / sizeof(trusted_homes[0]); i++) {
		if (strcmp(trusted_homes[i].code, code) == 0 &&
		    (slash = strrchr(trusted_homes[i].installed, '/')) !=
		        NULL) {
			home = trusted_homes[i].installed;
			homelen = (int)(slash - home);
			setting = trusted_homes[i].setting;
		}
	}
	if (exists)
		snprintf(leave, sizeof(leave),
		    "leave %s as it is (it is not keyauth's): ", dir);
	if (home != NULL)
		snprintf(fix, len,
		    "%sput the %s in %.*s, where keyauth installs it, and "
		    "point %s at it",
		    leave, what, homelen, home, setting);
	else
		snprintf(fix, len,
		    "%sput the %s in a directory only root can write", leave,
		    what);
}

void
kp_doctor_trusted_path(struct kp_doctor *d, const char *what, const char *code,
    const struct kp_path_stat *chain, size_t n, int exec)
{
	const struct kp_path_stat *c;
	char fix[512];
	size_t i;
	int shared;

	for (i = 0; i < n; i++) {
		c = &chain[i];
		/* A directory on the way that is not keyauth's own. */
		shared = i + 1 < n && !own_dir(c->path);
		if (c->err != 0) {
			if (i + 1 == n)
				snprintf(fix, sizeof(fix),
				    "install it (or fix the path)");
			else if (!shared)
				snprintf(fix, sizeof(fix),
				    "install keyauth (its package creates %s) "
				    "or fix the path",
				    c->path);
			else
				move_fix(
				    fix, sizeof(fix), code, what, c->path, 0);
			kp_doctor_add(d, KP_DOCTOR_ERROR, code, fix,
			    "%s: %s does not exist or cannot be read (%s)",
			    what, c->path, strerror(c->err));
			return;
		}
		if (S_ISLNK(c->st.st_mode)) {
			kp_doctor_add(d, KP_DOCTOR_WARN, code,
			    "replace the link by the file or directory",
			    "%s: %s is a symbolic link; only its target "
			    "is checked by sshd",
			    what, c->path);
			continue;
		}
		if (c->st.st_uid != 0) {
			if (shared)
				move_fix(
				    fix, sizeof(fix), code, what, c->path, 1);
			else
				snprintf(
				    fix, sizeof(fix), "chown root %s", c->path);
			kp_doctor_add(d, KP_DOCTOR_ERROR, code, fix,
			    "%s: %s is owned by uid %lu, not root: its owner "
			    "can change what keyauth trusts",
			    what, c->path, (unsigned long)c->st.st_uid);
		}
		if (c->st.st_mode & 022) {
			if (shared)
				move_fix(
				    fix, sizeof(fix), code, what, c->path, 1);
			else
				snprintf(
				    fix, sizeof(fix), "chmod go-w %s", c->path);
			kp_doctor_add(d, KP_DOCTOR_ERROR, code, fix,
			    "%s: %s is writable by group or others (mode "
			    "%04o)",
			    what, c->path, (unsigned)(c->st.st_mode & 07777));
		}
		if (i + 1 < n && !S_ISDIR(c->st.st_mode))
			kp_doctor_add(d, KP_DOCTOR_ERROR, code, "fix the path",
			    "%s: %s is not a directory", what, c->path);
		if (i + 1 == n && !S_ISREG(c->st.st_mode))
			kp_doctor_add(d, KP_DOCTOR_ERROR, code, "fix the path",
			    "%s: %s is not a regular file", what, c->path);
		if (i + 1 == n && exec && S_ISREG(c->st.st_mode) &&
		    !(c->st.st_mode & 0111))
			kp_doctor_add(d, KP_DOCTOR_ERROR, code, "chmod 0755 it",
			    "%s: %s is not executable", what, c->path);
	}
}

int
kp_doctor_may_write(const struct stat *st, uid_t uid, gid_t gid,
    const gid_t *groups, size_t ngroups)
{
	size_t i;
	int member = st->st_gid == gid;

	if (uid == 0)
		return 1;
	if (st->st_uid == uid)
		return (st->st_mode & 0200) != 0;
	for (i = 0; i < ngroups && !member; i++)
		member = groups[i] == st->st_gid;
	if (member)
		return (st->st_mode & 0020) != 0;
	return (st->st_mode & 0002) != 0;
}

void
kp_doctor_readers(struct kp_doctor *d, const char *index_path,
    const struct stat *ix, const char *krl_path, const struct stat *krl,
    const char *user, uid_t uid, gid_t gid)
{
	char fix[512];
	int readable;

	snprintf(fix, sizeof(fix),
	    "chown root:%lu %s && chmod %04o %s (keyauthctl install does it "
	    "too)",
	    (unsigned long)gid, index_path, KP_INDEX_MODE, index_path);
	if (ix != NULL && S_ISREG(ix->st_mode)) {
		readable = (ix->st_uid == uid && (ix->st_mode & 0400)) ||
		    (ix->st_gid == gid && (ix->st_mode & 0040)) ||
		    (ix->st_mode & 0004);
		if (!readable)
			kp_doctor_add(d, KP_DOCTOR_ERROR, "index-readers", fix,
			    "AuthorizedKeysCommandUser %s cannot read the "
			    "index %s (mode %04o, group %lu): every key "
			    "lookup fails",
			    user, index_path, (unsigned)(ix->st_mode & 07777),
			    (unsigned long)ix->st_gid);
		else if ((ix->st_mode & 0004) ||
		    ((ix->st_mode & 0040) && ix->st_gid != gid))
			kp_doctor_add(d, KP_DOCTOR_WARN, "index-readers", fix,
			    "the index %s is readable by %s (mode %04o, "
			    "group %lu): they can read who may log in as whom "
			    "from where",
			    index_path,
			    (ix->st_mode & 0004) ? "every local user"
			                         : "another group",
			    (unsigned)(ix->st_mode & 07777),
			    (unsigned long)ix->st_gid);
	}
	if (krl != NULL && S_ISREG(krl->st_mode) && (krl->st_mode & 0077)) {
		snprintf(fix, sizeof(fix),
		    "chmod %04o %s (keyauthctl install does it too)",
		    KP_KRL_MODE, krl_path);
		kp_doctor_add(d, KP_DOCTOR_WARN, "krl-readers", fix,
		    "the KRL %s is readable by others than root (mode %04o): "
		    "sshd reads it as root, nobody else needs to",
		    krl_path, (unsigned)(krl->st_mode & 07777));
	}
}

int
kp_doctor_passwd_lookup(
    const char *text, size_t len, const char *name, uid_t *uid, gid_t *gid)
{
	const char *p = text, *end = text + len, *nl, *f[4];
	size_t nlen = strlen(name);
	unsigned long v[2];
	char *e;
	int i;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if ((size_t)(nl - p) <= nlen || memcmp(p, name, nlen) != 0 ||
		    p[nlen] != ':')
			continue;
		/* name:pw:uid:gid:... */
		f[0] = p + nlen + 1;
		for (i = 1; i < 4; i++) {
			f[i] = memchr(f[i - 1], ':', (size_t)(nl - f[i - 1]));
			if (f[i] == NULL)
				return KP_ERR_INVALID;
			f[i]++;
		}
		for (i = 0; i < 2; i++) {
			if (f[i + 1][0] < '0' || f[i + 1][0] > '9')
				return KP_ERR_INVALID;
			v[i] = strtoul(f[i + 1], &e, 10);
			if (*e != ':')
				return KP_ERR_INVALID;
		}
		*uid = (uid_t)v[0];
		*gid = (gid_t)v[1];
		return 0;
	}
	return KP_ERR_NOTFOUND;
}

void
kp_doctor_index(struct kp_doctor *d, const char *index_path,
    const struct kp_index_meta *m, int ix_err, const char *why,
    const char *policy_path, const struct kp_policy *disk, int disk_err,
    const char *host, int64_t now)
{
	char ts[64];

	if (ix_err == KP_ERR_NOTFOUND || (ix_err == 0 && m == NULL)) {
		kp_doctor_add(d, KP_DOCTOR_ERROR, "index-missing",
		    "keyauthctl install (as root)",
		    "no index at %s: every login is denied", index_path);
	} else if (ix_err != 0) {
		kp_doctor_add(d, KP_DOCTOR_ERROR, "index-unusable",
		    "keyauthctl install (as root) rewrites it",
		    "the index %s is unusable (%s%s%s): every login is "
		    "denied",
		    index_path, kp_strerror(ix_err), why != NULL ? ": " : "",
		    why != NULL ? why : "");
	} else {
		if (kp_policy_stale(m->policy_expires, now)) {
			kp_time_format(m->policy_expires, ts, sizeof(ts));
			kp_doctor_add(d, KP_DOCTOR_ERROR, "index-stale",
			    "install a newer policy (keyauthctl install)",
			    "the installed policy (serial %llu) expired at "
			    "%s: every login is denied",
			    (unsigned long long)m->serial, ts);
		} else if (m->policy_expires != KP_TIME_NONE_AFTER &&
		    m->policy_expires - now < 14 * 86400) {
			kp_time_format(m->policy_expires, ts, sizeof(ts));
			kp_doctor_add(d, KP_DOCTOR_WARN, "index-expires-soon",
			    "publish and install a newer policy",
			    "the installed policy (serial %llu) expires at "
			    "%s",
			    (unsigned long long)m->serial, ts);
		}
		if (host != NULL && strcmp(host, m->host) != 0)
			kp_doctor_add(d, KP_DOCTOR_WARN, "index-host",
			    "keyauthctl install --host THIS-HOST",
			    "the index was compiled for host %s, this is %s: "
			    "hosts: patterns were resolved for another name",
			    m->host, host);
	}
	if (disk == NULL) {
		if (disk_err == KP_ERR_NOTFOUND)
			kp_doctor_add(d, KP_DOCTOR_WARN, "policy-missing",
			    "keep the installed policy file in place",
			    "no policy file at %s", policy_path);
		else if (disk_err != 0)
			kp_doctor_add(d, KP_DOCTOR_WARN, "policy-invalid",
			    "keyauthctl check shows why",
			    "the policy file %s cannot be loaded (%s): it "
			    "cannot be installed",
			    policy_path, kp_strerror(disk_err));
		return;
	}
	if (ix_err != 0 || m == NULL)
		return;
	if (disk->serial > m->serial)
		kp_doctor_add(d, KP_DOCTOR_ERROR, "policy-not-installed",
		    "keyauthctl install (as root)",
		    "the policy file %s (serial %llu) is newer than the "
		    "installed one (serial %llu): its changes, revocations "
		    "included, are not in effect",
		    policy_path, (unsigned long long)disk->serial,
		    (unsigned long long)m->serial);
	else if (disk->serial == m->serial &&
	    strcmp(disk->sha256, m->sha256) != 0)
		kp_doctor_add(d, KP_DOCTOR_ERROR, "policy-not-installed",
		    "bump the serial and keyauthctl install",
		    "the policy file %s was changed without a new serial "
		    "(%llu): the changes are not in effect and install "
		    "refuses it",
		    policy_path, (unsigned long long)disk->serial);
	else if (disk->serial < m->serial)
		kp_doctor_add(d, KP_DOCTOR_WARN, "policy-older",
		    "put the installed policy back into the file",
		    "the policy file %s (serial %llu) is older than the "
		    "installed one (serial %llu)",
		    policy_path, (unsigned long long)disk->serial,
		    (unsigned long long)m->serial);
}

int
kp_doctor_format(const struct kp_doctor *d, char **out)
{
	struct kp_buf b;
	size_t i, nw = 0;

	if (out != NULL)
		*out = NULL;
	if (d == NULL || out == NULL)
		return KP_ERR_ARG;
	if (d->err != 0)
		return d->err;
	kp_buf_init(&b, KP_ADMIN_OUT_MAX);
	kp_buf_puts(&b, "");
	for (i = 0; i < d->n; i++) {
		const struct kp_doctor_finding *f = &d->f[i];

		if (f->level == KP_DOCTOR_WARN)
			nw++;
		kp_buf_printf(&b, "%s [%s]: %s\n  fix: %s\n",
		    f->level == KP_DOCTOR_ERROR ? "error" : "warning", f->code,
		    f->problem, f->fix);
	}
	if (d->n > 0)
		kp_buf_putc(&b, '\n');
	if (d->nerrors > 0)
		kp_buf_printf(&b,
		    "doctor: %zu %s, %zu %s: enforcement is weakened or "
		    "broken\n",
		    d->nerrors, d->nerrors == 1 ? "error" : "errors", nw,
		    nw == 1 ? "warning" : "warnings");
	else if (nw > 0)
		kp_buf_printf(&b, "doctor: no errors, %zu %s\n", nw,
		    nw == 1 ? "warning" : "warnings");
	else
		kp_buf_puts(&b, "doctor: no problems found\n");
	return kp_buf_take(&b, out, NULL); /* the caller's */
}
