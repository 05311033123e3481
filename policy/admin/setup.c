/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * keyauthctl setup: enabling keyauth in sshd and PAM, showing every change
 * first, applying it only when asked, with a backup that --revert puts
 * back byte for byte (docs/keyauthctl-setup.md has the rules and why).
 *
 * The text functions (the sshd snippet, the PAM stack, the diff, what
 * sshd reads before the snippet, what `sshd -T` says, who can still log
 * in) are pure, so each rule is tested with crafted input
 * (tests/unit/admin/test_setup.c). kp_setup() at the end reads the files,
 * runs sshd -t and -T through kp_run, writes, backs up, restores and
 * reloads sshd; it never prints: the report is text in the result.
 */

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "keyauth.h"
#include "kp-internal.h"
#include "keyauth-admin.h"

#define SETUP_TEXT_MAX (1024 * 1024) /* any file setup reads */
#define SETUP_INCLUDE_DEPTH 16 /* sshd's own limit */
#define SETUP_DIFF_CELLS (4u * 1024 * 1024) /* LCS table beyond: a block */
#define SETUP_DIFF_CONTEXT 3
#define SETUP_WAYS_SHOWN 8
#define SETUP_OUT_MAX (16 * 1024 * 1024)

/* ------------------------------------------------------------ lines */

/* The lines of a text: each with its '\n' when it has one. */
struct lines {
	const char **s;
	size_t *len; /* with the '\n' */
	size_t n;
};

static void
lines_free(struct lines *l)
{
	free(l->s);
	free(l->len);
	memset(l, 0, sizeof(*l));
}

static int
lines_split(const char *text, size_t len, struct lines *out)
{
	size_t i, n = 0, start = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < len; i++)
		if (text[i] == '\n')
			n++;
	if (len > 0 && text[len - 1] != '\n')
		n++;
	if (n == 0)
		return 0;
	out->s = calloc(n, sizeof(*out->s));
	out->len = calloc(n, sizeof(*out->len));
	if (out->s == NULL || out->len == NULL) {
		lines_free(out);
		return KP_ERR_NOMEM;
	}
	for (i = 0; i < len; i++) {
		if (text[i] == '\n' || i + 1 == len) {
			out->s[out->n] = text + start;
			out->len[out->n] = i + 1 - start;
			out->n++;
			start = i + 1;
		}
	}
	return 0;
}

/* ------------------------------------------------------- sshd_config */

static const char *const setup_kw[KP_SETUP_NKW] = {
    "AuthorizedKeysFile",
    "AuthorizedKeysCommand",
    "AuthorizedKeysCommandUser",
    "RevokedKeys",
    "UsePAM",
    "UseDNS",
};

const char *
kp_setup_keyword(size_t k)
{
	return k < KP_SETUP_NKW ? setup_kw[k] : NULL;
}

void
kp_setup_value(const struct kp_setup_values *v, size_t k, char *buf, size_t len)
{
	switch (k) {
	case 0:
		snprintf(buf, len, "none");
		break;
	case 1:
		snprintf(buf, len, "%s %%u %%f %%t %%k", v->helper);
		break;
	case 2:
		snprintf(buf, len, "%s", v->user);
		break;
	case 3:
		snprintf(buf, len, "%s", v->krl);
		break;
	case 4:
		snprintf(buf, len, "yes");
		break;
	default:
		snprintf(buf, len, "no");
		break;
	}
}

static int
keyword_index(const char *kw, size_t n)
{
	size_t k;

	for (k = 0; k < KP_SETUP_NKW; k++)
		if (strlen(setup_kw[k]) == n &&
		    strncasecmp(kw, setup_kw[k], n) == 0)
			return (int)k;
	return -1;
}

/*
 * One line of an sshd configuration file as sshd reads it: the keyword
 * (up to a blank or '='), then the value with the blanks and one '='
 * around it taken away. A blank line or a comment has no keyword.
 */
struct sshd_line {
	const char *kw;
	size_t kwlen;
	const char *val;
	size_t vallen;
};

static void
sshd_line_parse(const char *s, size_t len, struct sshd_line *l)
{
	const char *end = s + len;

	memset(l, 0, sizeof(*l));
	while (end > s &&
	    (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' ||
	        end[-1] == '\t'))
		end--;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s == end || *s == '#')
		return;
	l->kw = s;
	while (s < end && *s != ' ' && *s != '\t' && *s != '=')
		s++;
	l->kwlen = (size_t)(s - l->kw);
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s < end && *s == '=')
		s++;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	l->val = s;
	l->vallen = (size_t)(end - s);
}

/*
 * The value a file gives keyword k against ours: the same when equal with
 * runs of blanks as one (and yes/no in any case, as sshd reads them).
 */
static int
same_value(size_t k, const char *val, size_t vallen, const char *want)
{
	size_t i = 0, j = 0, wl = strlen(want);

	if (k >= 4)
		return vallen == wl && strncasecmp(val, want, wl) == 0;
	while (i < vallen && j < wl) {
		int bi = val[i] == ' ' || val[i] == '\t';
		int bj = want[j] == ' ';

		if (bi && bj) {
			while (i < vallen && (val[i] == ' ' || val[i] == '\t'))
				i++;
			j++;
			continue;
		}
		if (val[i] != want[j])
			return 0;
		i++;
		j++;
	}
	return i == vallen && j == wl;
}

static int
is_keyword(const struct sshd_line *l, const char *kw)
{
	return l->kw != NULL && l->kwlen == strlen(kw) &&
	    strncasecmp(l->kw, kw, l->kwlen) == 0;
}

int
kp_setup_sshd_text(const char *name, const char *old, size_t len, int exists,
    const struct kp_setup_values *v, char **out, size_t *outlen,
    struct kp_diag *d)
{
	struct lines ls;
	struct kp_buf b;
	struct sshd_line l;
	char want[KP_SETUP_NKW][512];
	int placed[KP_SETUP_NKW] = {0}, nmissing = 0, r;
	size_t i, k;

	*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if (v == NULL || v->helper == NULL || v->user == NULL ||
	    v->krl == NULL || (old == NULL && len > 0))
		return KP_ERR_ARG;
	for (k = 0; k < KP_SETUP_NKW; k++)
		kp_setup_value(v, k, want[k], sizeof(want[k]));
	if ((r = lines_split(old, len, &ls)) != 0)
		return r;
	kp_buf_init(&b, SETUP_TEXT_MAX);
	if (!exists)
		kp_buf_puts(&b,
		    "# keyauth for sshd, written by keyauthctl setup: keys "
		    "come from the\n"
		    "# keyauth policy only (keyauth-authorized-keys(8)). "
		    "keyauthctl setup\n"
		    "# --revert removes this file again.\n");
	for (i = 0; i < ls.n; i++) {
		const char *s = ls.s[i], *t = s;
		size_t n = ls.len[i];
		int kk;

		while (t < s + n && (*t == ' ' || *t == '\t'))
			t++;
		/* "#Keyword value": a setting the shipped file leaves off */
		if (t < s + n && *t == '#') {
			sshd_line_parse(t + 1, n - (size_t)(t + 1 - s), &l);
			if (l.kw != NULL && t[1] != ' ' && t[1] != '\t' &&
			    (kk = keyword_index(l.kw, l.kwlen)) >= 0 &&
			    !placed[kk]) {
				placed[kk] = 1;
				kp_buf_printf(
				    &b, "%s %s\n", setup_kw[kk], want[kk]);
				continue;
			}
			kp_buf_put(&b, s, n);
			continue;
		}
		sshd_line_parse(s, n, &l);
		if (is_keyword(&l, "Match")) {
			kp_diag_set(d, name, (unsigned)(i + 1), 0,
			    "a Match block: the settings after it apply to "
			    "some connections only, and keyauth's must apply "
			    "to all; move the block to another file");
			kp_buf_free(&b);
			lines_free(&ls);
			return KP_ERR_INVALID;
		}
		if (l.kw != NULL && (kk = keyword_index(l.kw, l.kwlen)) >= 0 &&
		    !placed[kk]) {
			placed[kk] = 1;
			if (same_value((size_t)kk, l.val, l.vallen, want[kk]))
				kp_buf_put(&b, s, n);
			else
				kp_buf_printf(
				    &b, "%s %s\n", setup_kw[kk], want[kk]);
			continue;
		}
		kp_buf_put(&b, s, n);
	}
	for (k = 0; k < KP_SETUP_NKW; k++)
		nmissing += !placed[k];
	if (nmissing > 0) {
		if (b.len > 0 && b.s[b.len - 1] != '\n')
			kp_buf_putc(&b, '\n');
		if (exists)
			kp_buf_puts(&b, "\n# added by keyauthctl setup\n");
		for (k = 0; k < KP_SETUP_NKW; k++)
			if (!placed[k])
				kp_buf_printf(
				    &b, "%s %s\n", setup_kw[k], want[k]);
	}
	lines_free(&ls);
	if ((r = kp_buf_take(&b, out, outlen)) != 0)
		kp_buf_free(&b);
	return r;
}

/*
 * The files sshd reads, in its order, up to the snippet: the main file,
 * and at each Include (outside Match) every file its patterns name,
 * sorted as glob(3) sorts them, the snippet among them even before it
 * exists. sshd keeps the first value it reads for each of keyauth's
 * keywords, so a different value read before the snippet wins over it.
 */
struct scan {
	const char *snippet;
	const struct kp_setup_values *v;
	kp_setup_glob_cb glob;
	kp_setup_read_cb read;
	void *arg;
	struct kp_setup_scan *out;
	int seen[KP_SETUP_NKW];
	char want[KP_SETUP_NKW][512];
	int done;
};

static int
path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int scan_text(
    struct scan *sc, const char *name, const char *text, size_t len, int depth);

static int
scan_include(struct scan *sc, const char *where, const char *pattern,
    int in_match, int depth)
{
	char **paths = NULL, **all = NULL, *text;
	size_t n = 0, i, na = 0, tlen;
	int r = 0, has = 0;

	if (sc->glob(sc->arg, pattern, &paths, &n) != 0)
		return KP_ERR_IO;
	for (i = 0; i < n; i++)
		has |= strcmp(paths[i], sc->snippet) == 0;
	if ((all = calloc(n + 1, sizeof(*all))) == NULL) {
		r = KP_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		all[na++] = paths[i];
	if (!has && fnmatch(pattern, sc->snippet, FNM_PATHNAME) == 0)
		all[na++] = (char *)(uintptr_t)sc->snippet;
	qsort(all, na, sizeof(*all), path_cmp);
	for (i = 0; i < na && r == 0 && !sc->done; i++) {
		if (strcmp(all[i], sc->snippet) == 0) {
			if (in_match) {
				snprintf(sc->out->match_include,
				    sizeof(sc->out->match_include), "%s",
				    where);
				continue;
			}
			sc->out->included = 1;
			snprintf(sc->out->include_where,
			    sizeof(sc->out->include_where), "%s", where);
			sc->done = 1;
			break;
		}
		if (in_match)
			continue;
		if (depth + 1 > SETUP_INCLUDE_DEPTH) {
			r = KP_ERR_TOOBIG;
			break;
		}
		if (sc->read(sc->arg, all[i], &text, &tlen) != 0)
			continue; /* vanished since glob: sshd skips it too */
		r = scan_text(sc, all[i], text, tlen, depth + 1);
		free(text);
	}
out:
	free(all);
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	return r;
}

static int
scan_text(
    struct scan *sc, const char *name, const char *text, size_t len, int depth)
{
	struct lines ls;
	struct sshd_line l;
	char where[300], *val, *pat, *save, pattern[PATH_MAX];
	size_t i;
	int r, kk, in_match = 0;

	if ((r = lines_split(text, len, &ls)) != 0)
		return r;
	for (i = 0; i < ls.n && r == 0 && !sc->done; i++) {
		sshd_line_parse(ls.s[i], ls.len[i], &l);
		if (l.kw == NULL)
			continue;
		snprintf(where, sizeof(where), "%s:%zu", name, i + 1);
		if (is_keyword(&l, "Match")) {
			in_match = 1; /* to the end of this file */
			continue;
		}
		if (is_keyword(&l, "Include")) {
			if ((val = strndup(l.val, l.vallen)) == NULL) {
				r = KP_ERR_NOMEM;
				break;
			}
			for (pat = strtok_r(val, " \t", &save);
			     pat != NULL && r == 0 && !sc->done;
			     pat = strtok_r(NULL, " \t", &save)) {
				/* sshd reads relative names in /etc/ssh */
				snprintf(pattern, sizeof(pattern), "%s%s",
				    pat[0] == '/' ? "" : "/etc/ssh/", pat);
				r = scan_include(
				    sc, where, pattern, in_match, depth);
			}
			free(val);
			continue;
		}
		if (in_match || (kk = keyword_index(l.kw, l.kwlen)) < 0 ||
		    sc->seen[kk])
			continue;
		sc->seen[kk] = 1;
		if (!same_value((size_t)kk, l.val, l.vallen, sc->want[kk])) {
			struct kp_setup_conflict *c =
			    &sc->out->conflict[sc->out->nconflicts++];

			snprintf(c->where, sizeof(c->where), "%s", where);
			snprintf(
			    c->keyword, sizeof(c->keyword), "%s", setup_kw[kk]);
			snprintf(c->value, sizeof(c->value), "%.*s",
			    (int)(l.vallen < 255 ? l.vallen : 255), l.val);
		}
	}
	lines_free(&ls);
	return r;
}

int
kp_setup_sshd_scan(const char *main_path, const char *text, size_t len,
    const char *snippet, const struct kp_setup_values *v, kp_setup_glob_cb glob,
    kp_setup_read_cb read, void *arg, struct kp_setup_scan *out)
{
	struct scan sc;
	size_t k;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (main_path == NULL || (text == NULL && len > 0) || snippet == NULL ||
	    v == NULL || glob == NULL || read == NULL || out == NULL)
		return KP_ERR_ARG;
	memset(&sc, 0, sizeof(sc));
	sc.snippet = snippet;
	sc.v = v;
	sc.glob = glob;
	sc.read = read;
	sc.arg = arg;
	sc.out = out;
	for (k = 0; k < KP_SETUP_NKW; k++)
		kp_setup_value(v, k, sc.want[k], sizeof(sc.want[k]));
	return scan_text(&sc, main_path, text, len, 0);
}

/* ---------------------------------------------------------- sshd -T */

void
kp_setup_sshd_t_free(struct kp_setup_sshd_t *t)
{
	if (t == NULL)
		return;
	free(t->buf);
	free(t->allowusers);
	free(t->denyusers);
	memset(t, 0, sizeof(*t));
}

static int
push(const char ***v, size_t *n, const char *s)
{
	const char **tmp;

	if ((tmp = reallocarray(*v, *n + 1, sizeof(**v))) == NULL)
		return KP_ERR_NOMEM;
	*v = tmp;
	(*v)[(*n)++] = s;
	return 0;
}

static int
sshd_t_line(void *arg, char *p, char *sp)
{
	struct kp_setup_sshd_t *t = arg;
	int kk;

	t->nlines++;
	if ((kk = keyword_index(p, strlen(p))) >= 0)
		t->kw[kk] = sp;
	else if (strcmp(p, "pidfile") == 0)
		t->pidfile = sp;
	else if (strcmp(p, "permitrootlogin") == 0)
		t->permitrootlogin = sp;
	else if (strcmp(p, "allowusers") == 0)
		return push(&t->allowusers, &t->nallowusers, sp);
	else if (strcmp(p, "denyusers") == 0)
		return push(&t->denyusers, &t->ndenyusers, sp);
	else if (strcmp(p, "allowgroups") == 0 || strcmp(p, "denygroups") == 0)
		t->groups_limited = 1;
	return 0;
}

int
kp_setup_sshd_t_parse(const char *text, size_t len, struct kp_setup_sshd_t *t)
{
	int r;

	if (t != NULL)
		memset(t, 0, sizeof(*t));
	if (t == NULL || (text == NULL && len > 0))
		return KP_ERR_ARG;
	if ((r = kp_word_lines(text, len, &t->buf, sshd_t_line, t)) != 0) {
		kp_setup_sshd_t_free(t);
		return r;
	}
	return 0;
}

int
kp_setup_sshd_t_check(const struct kp_setup_sshd_t *t,
    const struct kp_setup_values *v, struct kp_diag *d)
{
	char want[512];
	size_t k;

	if (t == NULL || v == NULL)
		return KP_ERR_ARG;
	if (t->nlines == 0) {
		kp_diag_set(d, NULL, 0, 0, "sshd -T printed no configuration");
		return KP_ERR_INVALID;
	}
	for (k = 0; k < KP_SETUP_NKW; k++) {
		kp_setup_value(v, k, want, sizeof(want));
		if (t->kw[k] == NULL ||
		    !same_value(k, t->kw[k], strlen(t->kw[k]), want)) {
			kp_diag_set(d, NULL, 0, 0,
			    "sshd -T says \"%s %s\", not \"%s\": another "
			    "setting wins over keyauth's",
			    setup_kw[k],
			    t->kw[k] != NULL ? t->kw[k] : "(unset)", want);
			return KP_ERR_INVALID;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- PAM */

/* The words of a PAM line: type, control (brackets kept whole), module. */
struct pam_line {
	char type[32];
	char control[256];
	char module[PATH_MAX];
	const char *args;
	size_t argslen;
};

static int
pam_line_parse(const char *s, size_t len, struct pam_line *pl)
{
	const char *end = s + len, *w;
	size_t n;
	int i;

	memset(pl, 0, sizeof(*pl));
	while (end > s && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	for (i = 0; i < 3; i++) {
		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		if (s == end || *s == '#')
			return i;
		w = s;
		if (i == 1 && *s == '[') {
			while (s < end && *s != ']')
				s++;
			if (s < end)
				s++;
		} else {
			while (s < end && *s != ' ' && *s != '\t' && *s != '#')
				s++;
		}
		n = (size_t)(s - w);
		if (i == 0)
			snprintf(pl->type, sizeof(pl->type), "%.*s", (int)n, w);
		else if (i == 1)
			snprintf(pl->control, sizeof(pl->control), "%.*s",
			    (int)n, w);
		else
			snprintf(
			    pl->module, sizeof(pl->module), "%.*s", (int)n, w);
	}
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	pl->args = s;
	pl->argslen = (size_t)(end - s);
	return 3;
}

static int
pam_is_keyauth(const struct pam_line *pl)
{
	const char *b = strrchr(pl->module, '/');

	return strcmp(b != NULL ? b + 1 : pl->module, "pam_keyauth.so") == 0;
}

/* 0 account, 1 session, -1 other (a '-' in front counts as the type) */
static int
pam_stage(const char *type)
{
	if (type[0] == '-')
		type++;
	return strcmp(type, "account") == 0 ? 0
	    : strcmp(type, "session") == 0  ? 1
	                                    : -1;
}

/* What doctor wants of a pam_keyauth line (docs/keyauthctl-doctor.md). */
static int
pam_line_good(const struct pam_line *pl)
{
	const char *a = pl->args, *end = pl->args + pl->argslen;

	if (pl->type[0] == '-' ||
	    (strcmp(pl->control, "required") != 0 &&
	        strcmp(pl->control, "requisite") != 0))
		return 0;
	while (a < end) {
		const char *w = a;

		while (a < end && *a != ' ' && *a != '\t')
			a++;
		if ((size_t)(a - w) == 10 && memcmp(w, "mode=audit", 10) == 0)
			return 0;
		while (a < end && (*a == ' ' || *a == '\t'))
			a++;
	}
	return 1;
}

int
kp_setup_pam_text(const char *name, const char *old, size_t len,
    const char *module, char **out, size_t *outlen, struct kp_diag *d)
{
	static const char *const stage[2] = {"account", "session"};
	struct lines ls;
	struct pam_line pl;
	struct kp_buf b;
	/* per stage: a good line, the first other pam_keyauth line */
	size_t good[2] = {0, 0}, bad[2] = {0, 0}, anchor = 0, first_session = 0;
	size_t i;
	int s, r, nw, need_acct, need_sess;

	*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if (module == NULL || (old == NULL && len > 0))
		return KP_ERR_ARG;
	if ((r = lines_split(old, len, &ls)) != 0)
		return r;
	for (i = 0; i < ls.n; i++) {
		nw = pam_line_parse(ls.s[i], ls.len[i], &pl);
		if (nw >= 2 && anchor == 0 &&
		    strcmp(pl.type, "@include") == 0 &&
		    strcmp(pl.control, "common-account") == 0)
			anchor = i + 1;
		if (nw >= 2 && first_session == 0 &&
		    (pam_stage(pl.type) == 1 ||
		        (strcmp(pl.type, "@include") == 0 &&
		            strcmp(pl.control, "common-session") == 0)))
			first_session = i + 1;
		if (nw < 3 || (s = pam_stage(pl.type)) < 0 ||
		    !pam_is_keyauth(&pl))
			continue;
		if (pam_line_good(&pl)) {
			if (good[s] == 0)
				good[s] = i + 1;
		} else if (bad[s] == 0) {
			bad[s] = i + 1;
		}
	}
	/* a line to add needs the anchor; one to replace stays where it is */
	if (anchor == 0 &&
	    ((good[0] == 0 && bad[0] == 0) || (good[1] == 0 && bad[1] == 0))) {
		kp_diag_set(d, name, 0, 0,
		    "no \"@include common-account\" line: this is not "
		    "Debian's layout, so setup does not know where "
		    "pam_keyauth goes; add its lines by hand as "
		    "pam_keyauth(8) says");
		lines_free(&ls);
		return KP_ERR_INVALID;
	}
	kp_buf_init(&b, SETUP_TEXT_MAX);
	for (i = 0; i < ls.n; i++) {
		/* a session line above the anchor: ours goes before it */
		if (good[1] == 0 && bad[1] == 0 && first_session == i + 1 &&
		    first_session < anchor)
			kp_buf_printf(
			    &b, "%s    required     %s\n", stage[1], module);
		for (s = 0; s < 2; s++)
			if (good[s] == 0 && bad[s] == i + 1)
				break;
		if (s < 2) {
			/* replaced by the line doctor accepts */
			kp_buf_printf(
			    &b, "%s    required     %s\n", stage[s], module);
			continue;
		}
		kp_buf_put(&b, ls.s[i], ls.len[i]);
		need_acct = good[0] == 0 && bad[0] == 0;
		need_sess = good[1] == 0 && bad[1] == 0 &&
		    (first_session == 0 || first_session > anchor);
		if (i + 1 != anchor || (!need_acct && !need_sess))
			continue;
		if (ls.len[i] == 0 || ls.s[i][ls.len[i] - 1] != '\n')
			kp_buf_putc(&b, '\n');
		kp_buf_puts(&b,
		    "# keyauth (keyauthctl setup): the policy decides again, "
		    "then confirms\n"
		    "# the key sshd accepted before any session is set up "
		    "(pam_keyauth(8)).\n");
		if (need_acct)
			kp_buf_printf(
			    &b, "%s    required     %s\n", stage[0], module);
		if (need_sess)
			kp_buf_printf(
			    &b, "%s    required     %s\n", stage[1], module);
	}
	lines_free(&ls);
	if ((r = kp_buf_take(&b, out, outlen)) != 0)
		kp_buf_free(&b);
	return r;
}

/* --------------------------------------------------------------- diff */

enum { OP_SAME, OP_DEL, OP_ADD };

static int
line_eq(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	return a->len[i] == b->len[j] &&
	    memcmp(a->s[i], b->s[j], a->len[i]) == 0;
}

/*
 * The edit script from a to b: a common prefix and suffix, and between
 * them a longest common subsequence (a table of n*m cells, or, when that
 * is too big, the middle as one deleted and one added block).
 */
static int
edit_script(const struct lines *a, const struct lines *b, unsigned char **ops,
    size_t *nops)
{
	size_t pre = 0, suf = 0, n, m, i, j, k = 0;
	uint32_t *t = NULL;
	unsigned char *o;

	while (pre < a->n && pre < b->n && line_eq(a, pre, b, pre))
		pre++;
	while (suf < a->n - pre && suf < b->n - pre &&
	    line_eq(a, a->n - 1 - suf, b, b->n - 1 - suf))
		suf++;
	n = a->n - pre - suf;
	m = b->n - pre - suf;
	if ((o = malloc(a->n + b->n + 1)) == NULL)
		return KP_ERR_NOMEM;
	for (i = 0; i < pre; i++)
		o[k++] = OP_SAME;
	if (n > 0 && m > 0 && (n + 1) * (m + 1) <= SETUP_DIFF_CELLS &&
	    (t = calloc((n + 1) * (m + 1), sizeof(*t))) != NULL) {
		/* t[i][j]: LCS length of a[pre+i..] and b[pre+j..] */
		for (i = n; i-- > 0;)
			for (j = m; j-- > 0;)
				t[i * (m + 1) + j] =
				    line_eq(a, pre + i, b, pre + j)
				    ? t[(i + 1) * (m + 1) + j + 1] + 1
				    : t[(i + 1) * (m + 1) + j] >
				        t[i * (m + 1) + j + 1]
				    ? t[(i + 1) * (m + 1) + j]
				    : t[i * (m + 1) + j + 1];
		for (i = 0, j = 0; i < n || j < m;) {
			if (i < n && j < m && line_eq(a, pre + i, b, pre + j)) {
				o[k++] = OP_SAME;
				i++;
				j++;
			} else if (i < n &&
			    (j == m ||
			        t[(i + 1) * (m + 1) + j] >=
			            t[i * (m + 1) + j + 1])) {
				o[k++] =
				    OP_DEL; /* deletions first, as diff -u */
				i++;
			} else {
				o[k++] = OP_ADD;
				j++;
			}
		}
		free(t);
	} else {
		for (i = 0; i < n; i++)
			o[k++] = OP_DEL;
		for (j = 0; j < m; j++)
			o[k++] = OP_ADD;
	}
	for (i = 0; i < suf; i++)
		o[k++] = OP_SAME;
	*ops = o;
	*nops = k;
	return 0;
}

static void
put_line(struct kp_buf *b, char mark, const struct lines *l, size_t i)
{
	kp_buf_putc(b, mark);
	kp_buf_put(b, l->s[i], l->len[i]);
	if (l->len[i] == 0 || l->s[i][l->len[i] - 1] != '\n')
		kp_buf_puts(b, "\n\\ No newline at end of file\n");
}

/* "-5,3", "-5" (one line) or "-4,0" (none: the line before) */
static void
put_range(struct kp_buf *b, char sign, size_t start, size_t count)
{
	if (count == 1)
		kp_buf_printf(b, "%c%zu", sign, start + 1);
	else
		kp_buf_printf(b, "%c%zu,%zu", sign,
		    count == 0 ? start : start + 1, count);
}

int
kp_setup_diff(struct kp_buf *b, const char *label, const char *old,
    size_t oldlen, int old_exists, const char *new, size_t newlen,
    int new_exists)
{
	struct lines la, lb;
	unsigned char *ops = NULL;
	size_t nops = 0, k, h, e, i, j, ai, bj, an, bn, last;
	int r;

	if (b == NULL || label == NULL || (old == NULL && oldlen > 0) ||
	    (new == NULL &&newlen > 0))
		return KP_ERR_ARG;
	if (old_exists == new_exists && oldlen == newlen &&
	    (oldlen == 0 || memcmp(old, new, oldlen) == 0))
		return 0;
	if ((r = lines_split(old, oldlen, &la)) != 0)
		return r;
	if ((r = lines_split(new, newlen, &lb)) != 0) {
		lines_free(&la);
		return r;
	}
	if ((r = edit_script(&la, &lb, &ops, &nops)) != 0)
		goto out;
	kp_buf_printf(b, "--- %s\n+++ %s\n", old_exists ? label : "/dev/null",
	    new_exists ? label : "/dev/null");
	/* i, j: lines of a and b before ops[k] */
	for (k = 0, i = 0, j = 0; k < nops;) {
		if (ops[k] == OP_SAME) {
			k++;
			i++;
			j++;
			continue;
		}
		/* a hunk: from context before k to context after the last
		 * change that is at most 2 * context lines from the next */
		h = k;
		last = k;
		for (e = k; e < nops; e++) {
			if (ops[e] != OP_SAME)
				last = e;
			else if (e - last > 2 * SETUP_DIFF_CONTEXT)
				break;
		}
		e = last + 1 + SETUP_DIFF_CONTEXT;
		if (e > nops)
			e = nops;
		ai = i;
		bj = j;
		for (k = h; k > 0 && h - k < SETUP_DIFF_CONTEXT &&
		     ops[k - 1] == OP_SAME;
		     k--) {
			ai--;
			bj--;
		}
		an = bn = 0;
		for (h = k; h < e; h++) {
			an += ops[h] != OP_ADD;
			bn += ops[h] != OP_DEL;
		}
		kp_buf_puts(b, "@@ ");
		put_range(b, '-', ai, an);
		kp_buf_putc(b, ' ');
		put_range(b, '+', bj, bn);
		kp_buf_puts(b, " @@\n");
		for (; k < e; k++) {
			if (ops[k] == OP_SAME) {
				put_line(b, ' ', &la, ai++);
				bj++;
			} else if (ops[k] == OP_DEL) {
				put_line(b, '-', &la, ai++);
			} else {
				put_line(b, '+', &lb, bj++);
			}
		}
		i = ai;
		j = bj;
	}
	r = b->err;
out:
	free(ops);
	lines_free(&la);
	lines_free(&lb);
	return r;
}

/* ------------------------------------------------------- who gets in */

int
kp_setup_line_gives_shell(const char *line)
{
	const char *p = line, *tok;
	int quoted = 0;
	size_t n;

	/* the first word is the key type, unless the line has options */
	for (tok = p; *p != '\0' && (quoted || (*p != ' ' && *p != '\t')); p++)
		if (*p == '"')
			quoted = !quoted;
	n = (size_t)(p - tok);
	{
		char type[64];

		if (n < sizeof(type)) {
			memcpy(type, tok, n);
			type[n] = '\0';
			if (kp_key_type_supported(type))
				return 1;
		}
	}
	/* options: comma-separated, values quoted */
	for (p = tok; p < tok + n;) {
		if (strncasecmp(p, "command=", 8) == 0)
			return 0;
		for (quoted = 0; p < tok + n && (quoted || *p != ','); p++)
			if (*p == '"')
				quoted = !quoted;
		if (p < tok + n)
			p++;
	}
	return 1;
}

/* name as a user name pattern of AllowUsers/DenyUsers ("user@host": user) */
static int
user_pattern_match(const char *pat, const char *name, int *has_host)
{
	char user[256];
	const char *at = strchr(pat, '@');
	size_t n = at != NULL ? (size_t)(at - pat) : strlen(pat);

	*has_host = at != NULL;
	if (n >= sizeof(user))
		return 0;
	memcpy(user, pat, n);
	user[n] = '\0';
	return fnmatch(user, name, 0) == 0;
}

/*
 * A login shell: listed in shells (/etc/shells, when there is one), else
 * any but nologin and false; an empty field is /bin/sh.
 */
static int
login_shell(const char *shell, size_t n, const char *shells, size_t slen)
{
	const char *p, *nl, *end, *base;
	size_t i;

	if (n == 0) {
		shell = "/bin/sh";
		n = 7;
	}
	if (shells != NULL) {
		end = shells + slen;
		for (p = shells; p < end; p = nl + 1) {
			if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
				nl = end;
			i = (size_t)(nl - p);
			while (i > 0 &&
			    (p[i - 1] == ' ' || p[i - 1] == '\t' ||
			        p[i - 1] == '\r'))
				i--;
			if (i == n && memcmp(p, shell, n) == 0)
				return 1;
		}
		return 0;
	}
	for (base = shell + n; base > shell && base[-1] != '/'; base--)
		;
	i = (size_t)(shell + n - base);
	return !((i == 7 && memcmp(base, "nologin", 7) == 0) ||
	    (i == 5 && memcmp(base, "false", 5) == 0));
}

void
kp_setup_ways_free(struct kp_setup_ways *w)
{
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; i < w->n; i++)
		free(w->way[i].account);
	free(w->way);
	memset(w, 0, sizeof(*w));
}

int
kp_setup_ways_in(const char *passwd, size_t len, const char *shells,
    size_t slen, const struct kp_setup_sshd_t *t, kp_setup_keys_cb keys,
    void *arg, struct kp_setup_ways *out)
{
	const char *p, *nl, *end, *f[7];
	struct kp_setup_way *tmp;
	char name[KP_ACCOUNT_MAX + 1];
	size_t i, nkeys, nf;
	int r, allowed, host;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (out == NULL || t == NULL || keys == NULL ||
	    (passwd == NULL && len > 0))
		return KP_ERR_ARG;
	end = passwd + len;
	for (p = passwd; p != NULL && p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		/* name:pw:uid:gid:gecos:home:shell */
		for (nf = 0, f[0] = p; nf < 6; nf++) {
			const char *c =
			    memchr(f[nf], ':', (size_t)(nl - f[nf]));

			if (c == NULL)
				break;
			f[nf + 1] = c + 1;
		}
		if (nf < 6 || (size_t)(f[1] - 1 - p) > KP_ACCOUNT_MAX)
			continue;
		memcpy(name, p, (size_t)(f[1] - 1 - p));
		name[f[1] - 1 - p] = '\0';
		if (!kp_account_valid(name))
			continue;
		if (!login_shell(f[6],
		        (size_t)(nl - f[6]) - (nl > f[6] && nl[-1] == '\r'),
		        shells, slen)) {
			out->nologin++;
			continue;
		}
		if (strcmp(name, "root") == 0 &&
		    (t->permitrootlogin == NULL ||
		        (strcmp(t->permitrootlogin, "yes") != 0 &&
		            strcmp(t->permitrootlogin, "prohibit-password") !=
		                0 &&
		            strcmp(t->permitrootlogin, "without-password") !=
		                0))) {
			/* "no", or "forced-commands-only": no shell for root */
			if ((r = keys(arg, name, &nkeys)) != 0)
				return r;
			out->root_refused = nkeys > 0;
			continue;
		}
		for (i = 0, allowed = 1; i < t->ndenyusers && allowed; i++)
			if (user_pattern_match(t->denyusers[i], name, &host) &&
			    !host)
				allowed = 0;
		if (allowed && t->nallowusers > 0) {
			for (i = 0, allowed = 0; i < t->nallowusers && !allowed;
			     i++)
				allowed = user_pattern_match(
				    t->allowusers[i], name, &host);
		}
		if (!allowed) {
			out->denied++;
			continue;
		}
		if ((r = keys(arg, name, &nkeys)) != 0)
			return r;
		if (nkeys == 0)
			continue;
		if ((tmp = reallocarray(out->way, out->n + 1, sizeof(*tmp))) ==
		    NULL)
			return KP_ERR_NOMEM;
		out->way = tmp;
		if ((out->way[out->n].account = strdup(name)) == NULL)
			return KP_ERR_NOMEM;
		out->way[out->n++].nkeys = nkeys;
	}
	return 0;
}

/* ------------------------------------------------------------ backup */

int
kp_setup_meta_parse(const char *text, size_t len, struct kp_setup_meta *m)
{
	char buf[PATH_MAX + 512], *p, *nl, *e;
	unsigned long v[4];
	static const char *const key[4] = {"existed ", "mode ", "uid ", "gid "};
	int i;

	memset(m, 0, sizeof(*m));
	if (text == NULL || len >= sizeof(buf))
		return KP_ERR_INVALID;
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (strncmp(buf, "keyauth-setup-backup 1\npath /", 29) != 0)
		return KP_ERR_INVALID;
	p = buf + 28;
	if ((nl = strchr(p, '\n')) == NULL || (size_t)(nl - p) >= PATH_MAX)
		return KP_ERR_INVALID;
	memcpy(m->path, p, (size_t)(nl - p));
	p = nl + 1;
	for (i = 0; i < 4; i++) {
		if (strncmp(p, key[i], strlen(key[i])) != 0)
			return KP_ERR_INVALID;
		p += strlen(key[i]);
		if (*p < '0' || *p > '9')
			return KP_ERR_INVALID;
		errno = 0;
		v[i] = strtoul(p, &e, i == 1 ? 8 : 10);
		if (errno != 0 || *e != '\n')
			return KP_ERR_INVALID;
		p = e + 1;
	}
	if (*p != '\0' || v[0] > 1 || v[1] > 07777)
		return KP_ERR_INVALID;
	m->existed = (int)v[0];
	m->mode = (mode_t)v[1];
	m->uid = (uid_t)v[2];
	m->gid = (gid_t)v[3];
	return 0;
}

int
kp_setup_meta_format(const struct kp_setup_meta *m, char **out)
{
	if (asprintf(out,
	        "keyauth-setup-backup 1\npath %s\nexisted %d\nmode %04o\n"
	        "uid %lu\ngid %lu\n",
	        m->path, m->existed, (unsigned)m->mode, (unsigned long)m->uid,
	        (unsigned long)m->gid) < 0) {
		*out = NULL;
		return KP_ERR_NOMEM;
	}
	return 0;
}

/* ---------------------------------------------------------- kp_setup */

/* One file setup changes. */
struct target {
	const char *what; /* its name in the backup directory */
	char *path; /* on the system */
	char *real; /* under root */
	int exists;
	struct stat st;
	char *old;
	size_t oldlen;
	char *new;
	size_t newlen;
	int changes;
	int backed_up; /* this run made the backup */
	int written; /* this run replaced the file */
};

struct ctx {
	const struct kp_setup_opts *o;
	struct kp_buf *out;
	struct kp_diag *d;
	char *backup; /* the backup directory, under root */
	size_t nerrors;
	size_t nchanged;
};

static char *
under(const char *root, const char *path)
{
	char *s;

	if (root == NULL)
		return strdup(path);
	if (asprintf(&s, "%s%s", root, path) < 0)
		return NULL;
	return s;
}

static void
target_free(struct target *t)
{
	free(t->path);
	free(t->real);
	free(t->old);
	free(t->new);
	t->path = t->real = t->old = t->new = NULL;
}

/* A problem that stops setup: in the report, counted. */
static void problem(struct ctx *c, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
problem(struct ctx *c, const char *fix, const char *fmt, ...)
{
	va_list ap;
	char msg[2048];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kp_buf_printf(c->out, "error: %s\n", msg);
	if (fix != NULL)
		kp_buf_printf(c->out, "  fix: %s\n", fix);
	if (c->nerrors++ == 0)
		kp_diag_set(c->d, NULL, 0, 0, "%s", msg);
}

/*
 * A way in that would be lost: an error, or with --have-console a note
 * (the administrator said there is another way in).
 */
static void lockout(struct ctx *c, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
lockout(struct ctx *c, const char *fix, const char *fmt, ...)
{
	va_list ap;
	char msg[2048];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->o->have_console) {
		kp_buf_printf(c->out,
		    "note: %s (going ahead: --have-console; keep the console "
		    "open until a key login works)\n",
		    msg);
		return;
	}
	problem(c, fix, "%s", msg);
}

static int
read_real(const char *real, char **text, size_t *len)
{
	return kp_file_read(real, SETUP_TEXT_MAX, 0, text, len, NULL);
}

/* The file at t->path as it is now. */
static int
target_read(struct ctx *c, struct target *t)
{
	struct stat st;
	char *old = NULL;
	size_t oldlen = 0;
	int r;

	if ((t->real = under(c->o->root, t->path)) == NULL)
		return KP_ERR_NOMEM;
	/* locals: scan-build takes a call given &t->x to change all of *t */
	if (lstat(t->real, &st) != 0) {
		if (errno != ENOENT) {
			kp_diag_set(c->d, NULL, 0, 0, "%s: %s", t->path,
			    strerror(errno));
			return KP_ERR_IO;
		}
		t->exists = 0;
		return 0;
	}
	t->st = st;
	if (S_ISLNK(t->st.st_mode) || !S_ISREG(t->st.st_mode)) {
		kp_diag_set(c->d, NULL, 0, 0,
		    "%s is %s: setup replaces files whole and would "
		    "replace it; change it by hand",
		    t->path,
		    S_ISLNK(t->st.st_mode) ? "a symbolic link"
		                           : "not a regular file");
		return KP_ERR_UNSAFE;
	}
	t->exists = 1;
	if ((r = kp_file_read(t->real, SETUP_TEXT_MAX, KP_FILE_NOFOLLOW, &old,
	         &oldlen, NULL)) != 0) {
		kp_diag_set(c->d, NULL, 0, 0, "%s: %s", t->path,
		    r == KP_ERR_IO ? strerror(errno) : kp_strerror(r));
		return r;
	}
	t->old = old;
	t->oldlen = oldlen;
	return 0;
}

/* len bytes into real, atomically, with this mode and owner. */
static int
write_real(const char *real, const char *buf, size_t len, mode_t mode,
    uid_t uid, gid_t gid)
{
	struct kp_atomic a;
	int r;

	if ((r = kp_atomic_open(&a, real, mode, KP_ATOMIC_SYNC_DIR)) != 0)
		return r;
	if ((r = kp_write_all(a.fd, buf, len)) != 0 ||
	    (fchown(a.fd, uid, gid) != 0 && (r = KP_ERR_IO) != 0)) {
		kp_atomic_abort(&a);
		return r;
	}
	return kp_atomic_commit(&a);
}

/* -------------------------------------------- the files sshd reads */

static int
glob_cb(void *arg, const char *pattern, char ***paths, size_t *n)
{
	struct ctx *c = arg;
	size_t rl = c->o->root != NULL ? strlen(c->o->root) : 0, i;
	char *pat;
	glob_t g;
	int r;

	*paths = NULL;
	*n = 0;
	if ((pat = under(c->o->root, pattern)) == NULL)
		return KP_ERR_NOMEM;
	r = glob(pat, 0, NULL, &g);
	free(pat);
	if (r == GLOB_NOMATCH)
		return 0;
	if (r != 0)
		return KP_ERR_IO;
	if ((*paths = calloc(g.gl_pathc + 1, sizeof(**paths))) == NULL) {
		globfree(&g);
		return KP_ERR_NOMEM;
	}
	for (i = 0; i < g.gl_pathc; i++) {
		if (((*paths)[i] = strdup(g.gl_pathv[i] + rl)) == NULL) {
			while (i-- > 0)
				free((*paths)[i]);
			free(*paths);
			*paths = NULL;
			globfree(&g);
			return KP_ERR_NOMEM;
		}
	}
	*n = g.gl_pathc;
	globfree(&g);
	return 0;
}

static int
read_cb(void *arg, const char *path, char **text, size_t *len)
{
	struct ctx *c = arg;
	char *real;
	int r;

	if ((real = under(c->o->root, path)) == NULL)
		return KP_ERR_NOMEM;
	r = read_real(real, text, len);
	free(real);
	return r;
}

/*
 * sshd -t or -T (arg) on the system's configuration: sshd itself, or
 * under root "chroot ROOT SSHD" so that it reads the image's files. -t's
 * messages land in out; -T's configuration does, its stderr stays ours.
 * *ok: it exited 0.
 */
static int
run_sshd(struct ctx *c, const char *arg, struct kp_buf *out, int *ok)
{
	char *argv[8], *envp[3];
	char a_path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
	     a_lc[] = "LC_ALL=C";
	int status = 0, truncated = 0, i = 0, r;
	const char *prog = c->o->root != NULL ? c->o->chroot : c->o->sshd;

	*ok = 0;
	envp[0] = a_path;
	envp[1] = a_lc;
	envp[2] = NULL;
	if (c->o->root != NULL) {
		argv[i++] = (char *)(uintptr_t)c->o->chroot;
		argv[i++] = (char *)(uintptr_t)c->o->root;
	}
	argv[i++] = (char *)(uintptr_t)c->o->sshd;
	argv[i++] = (char *)(uintptr_t)arg;
	argv[i++] = (char *)(uintptr_t) "-f";
	argv[i++] = (char *)(uintptr_t)c->o->sshd_config;
	argv[i] = NULL;
	r = kp_run(prog, argv, envp,
	    KP_RUN_STDIN_NULL | KP_RUN_OUT | (arg[1] == 't' ? KP_RUN_ERR : 0),
	    out, &truncated, &status);
	if (r != 0) {
		kp_diag_set(c->d, NULL, 0, 0, "cannot run %s: %s", prog,
		    strerror(errno));
		return KP_ERR_IO;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		kp_diag_set(c->d, NULL, 0, 0, "cannot run %s%s%s", prog,
		    c->o->root != NULL ? " " : "",
		    c->o->root != NULL ? c->o->sshd : "");
		return KP_ERR_IO;
	}
	if (truncated)
		return KP_ERR_TOOBIG;
	*ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	return out->err;
}

/* sshd -t's messages as indented report lines. */
static void
put_indented(struct kp_buf *b, const struct kp_buf *msg)
{
	const char *p = msg->s != NULL ? msg->s : "", *nl;

	while (*p != '\0') {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		kp_buf_printf(b, "  sshd: %.*s\n", (int)(nl - p), p);
		p = *nl == '\n' ? nl + 1 : nl;
	}
}

/* sshd -t; 0 and *ok, messages in the report when it fails. */
static int
sshd_test(struct ctx *c, int *ok)
{
	struct kp_buf msg;
	int r;

	kp_buf_init(&msg, 64 * 1024);
	if ((r = run_sshd(c, "-t", &msg, ok)) == 0 && !*ok)
		put_indented(c->out, &msg);
	kp_buf_free(&msg);
	return r;
}

/* sshd -T into t (parsed). */
static int
sshd_dump(struct ctx *c, struct kp_setup_sshd_t *t, int *ok)
{
	struct kp_buf cfg;
	int r;

	memset(t, 0, sizeof(*t));
	kp_buf_init(&cfg, SETUP_TEXT_MAX);
	if ((r = run_sshd(c, "-T", &cfg, ok)) == 0 && *ok)
		r = kp_setup_sshd_t_parse(cfg.s, cfg.len, t);
	kp_buf_free(&cfg);
	return r;
}

/* ----------------------------------------------- the running sshd */

enum reload_state { SSHD_NOT_RUNNING, SSHD_RELOADED, SSHD_UNKNOWN };

/*
 * Signal the running sshd to read its configuration again (SIGHUP: what
 * "systemctl reload ssh" does): the process in sshd's PidFile, if it is
 * running the sshd binary setup validated with. A missing pid file or a
 * dead pid: sshd is not running, it reads the files when it starts.
 */
static enum reload_state
reload_sshd(struct ctx *c, const struct kp_setup_sshd_t *t, long *pidp,
    char *why, size_t whylen)
{
	struct stat exe, bin;
	char *text = NULL, *e, proc[64];
	size_t len;
	long pid;
	int r;

	*pidp = 0;
	if (t->pidfile == NULL || strcmp(t->pidfile, "none") == 0) {
		snprintf(why, whylen,
		    "sshd -T names no PidFile, so setup cannot find sshd");
		return SSHD_UNKNOWN;
	}
	if ((r = read_real(t->pidfile, &text, &len)) == KP_ERR_NOTFOUND)
		return SSHD_NOT_RUNNING;
	if (r != 0) {
		snprintf(why, whylen, "cannot read %s", t->pidfile);
		return SSHD_UNKNOWN;
	}
	errno = 0;
	pid = strtol(text, &e, 10);
	if (errno != 0 || e == text || (*e != '\n' && *e != '\0') || pid < 2) {
		free(text);
		snprintf(why, whylen, "%s does not hold a pid", t->pidfile);
		return SSHD_UNKNOWN;
	}
	free(text);
	*pidp = pid;
	if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
		return SSHD_NOT_RUNNING;
	snprintf(proc, sizeof(proc), "/proc/%ld/exe", pid);
	if (stat(proc, &exe) != 0 || stat(c->o->sshd, &bin) != 0 ||
	    exe.st_dev != bin.st_dev || exe.st_ino != bin.st_ino) {
		snprintf(why, whylen,
		    "process %ld of %s is not running %s (sshd was "
		    "upgraded, or it is another program)",
		    pid, t->pidfile, c->o->sshd);
		return SSHD_UNKNOWN;
	}
	if (kill((pid_t)pid, SIGHUP) != 0) {
		snprintf(why, whylen, "cannot signal sshd (pid %ld): %s", pid,
		    strerror(errno));
		return SSHD_UNKNOWN;
	}
	return SSHD_RELOADED;
}

/*
 * reload_sshd with what came of it in the report, for apply and revert
 * alike; what: what sshd reads when it starts. SSHD_UNKNOWN is left to
 * the caller, with why: only it knows whether that stops setup.
 */
static enum reload_state
reload_report(struct ctx *c, const struct kp_setup_sshd_t *t, const char *what,
    char *why, size_t whylen)
{
	enum reload_state s;
	long pid;

	s = reload_sshd(c, t, &pid, why, whylen);
	if (s == SSHD_RELOADED)
		kp_buf_printf(c->out, "sshd (pid %ld) reloaded\n", pid);
	else if (s == SSHD_NOT_RUNNING)
		kp_buf_printf(c->out,
		    "sshd is not running: it reads %s when it starts\n", what);
	return s;
}

/* ------------------------------------------------------------ backups */

static char *
backup_path(struct ctx *c, const char *what, const char *ext)
{
	char *s;

	if (asprintf(&s, "%s/%s.%s", c->backup, what, ext) < 0)
		return NULL;
	return s;
}

/* The directory exists (0700, and its parent): created when missing. */
static int
backup_dir_make(struct ctx *c)
{
	char *parent, *slash;
	struct stat st;
	int r = 0;

	if ((parent = strdup(c->backup)) == NULL)
		return KP_ERR_NOMEM;
	if ((slash = strrchr(parent, '/')) != NULL && slash != parent) {
		*slash = '\0';
		if (mkdir(parent, 0755) != 0 && errno != EEXIST)
			r = KP_ERR_IO;
	}
	free(parent);
	if (r == 0 && mkdir(c->backup, 0700) != 0 && errno != EEXIST)
		r = KP_ERR_IO;
	if (r == 0 &&
	    (lstat(c->backup, &st) != 0 || !S_ISDIR(st.st_mode) ||
	        st.st_uid != geteuid() || (st.st_mode & 077) != 0)) {
		kp_diag_set(c->d, NULL, 0, 0,
		    "the backup directory %s must be a directory of mode "
		    "0700 owned by root",
		    c->o->backup_dir);
		return KP_ERR_UNSAFE;
	}
	if (r != 0)
		kp_diag_set(c->d, NULL, 0, 0, "%s: %s", c->o->backup_dir,
		    strerror(errno));
	return r;
}

static int
meta_read(struct ctx *c, const char *what, struct kp_setup_meta *m)
{
	char *path, *text = NULL;
	size_t len;
	int r;

	if ((path = backup_path(c, what, "meta")) == NULL)
		return KP_ERR_NOMEM;
	if ((r = kp_file_read_safe(path, 8192, geteuid(), &text, &len, NULL)) ==
	        0 &&
	    (r = kp_setup_meta_parse(text, len, m)) != 0)
		kp_diag_set(
		    c->d, NULL, 0, 0, "%s: not a setup backup record", path);
	free(text);
	free(path);
	return r;
}

/*
 * Before t changes: its bytes, mode and owner into the backup (the first
 * time only: later runs keep what was there before setup came).
 */
static int
backup_save(struct ctx *c, struct target *t)
{
	struct kp_setup_meta m;
	char *path = NULL, *text = NULL;
	int r;

	if ((r = meta_read(c, t->what, &m)) == 0) {
		if (strcmp(m.path, t->path) != 0) {
			kp_diag_set(c->d, NULL, 0, 0,
			    "the backup in %s is of %s, not %s: run "
			    "keyauthctl setup --revert first",
			    c->o->backup_dir, m.path, t->path);
			return KP_ERR_CONFLICT;
		}
		return 0;
	}
	if (r != KP_ERR_NOTFOUND)
		return r;
	memset(&m, 0, sizeof(m));
	snprintf(m.path, sizeof(m.path), "%s", t->path);
	m.existed = t->exists;
	m.mode = t->exists ? t->st.st_mode & 07777 : 0644;
	m.uid = t->exists ? t->st.st_uid : 0;
	m.gid = t->exists ? t->st.st_gid : 0;
	if ((path = backup_path(c, t->what, "before")) == NULL ||
	    (r = kp_setup_meta_format(&m, &text)) != 0) {
		r = KP_ERR_NOMEM;
		goto out;
	}
	if ((r = kp_file_write_atomic(path, t->old, t->oldlen, 0600)) != 0)
		goto out;
	free(path);
	if ((path = backup_path(c, t->what, "meta")) == NULL) {
		r = KP_ERR_NOMEM;
		goto out;
	}
	if ((r = kp_file_write_atomic(path, text, strlen(text), 0600)) != 0)
		goto out;
	t->backed_up = 1;
out:
	if (r != 0 && r != KP_ERR_NOMEM)
		kp_diag_set(c->d, NULL, 0, 0,
		    "cannot write the backup in %s: %s", c->o->backup_dir,
		    strerror(errno));
	free(path);
	free(text);
	return r;
}

static void
backup_drop(struct ctx *c, const char *what)
{
	static const char *const ext[3] = {"meta", "before", "after"};
	char *path;
	int i;

	/* the record first: without it the rest is not a backup */
	for (i = 0; i < 3; i++) {
		if ((path = backup_path(c, what, ext[i])) != NULL)
			unlink(path);
		free(path);
	}
}

/* t's new bytes into place, its mode and owner kept; then NAME.after. */
static int
target_write(struct ctx *c, struct target *t)
{
	char *after;
	int r;

	r = write_real(t->real, t->new, t->newlen,
	    t->exists ? t->st.st_mode & 07777 : 0644,
	    t->exists ? t->st.st_uid : 0, t->exists ? t->st.st_gid : 0);
	if (r != 0) {
		kp_diag_set(c->d, NULL, 0, 0, "cannot write %s: %s", t->path,
		    strerror(errno));
		return r;
	}
	t->written = 1;
	if ((after = backup_path(c, t->what, "after")) == NULL)
		return KP_ERR_NOMEM;
	if ((r = kp_file_write_atomic(after, t->new, t->newlen, 0600)) != 0)
		kp_diag_set(c->d, NULL, 0, 0, "cannot write %s: %s", after,
		    strerror(errno));
	free(after);
	return r;
}

/*
 * Undo this run's target_write and backup_save: the old bytes (or no file)
 * again, and no backup the run made.
 */
static void
target_undo(struct ctx *c, struct target *t)
{
	if (!t->written) {
		if (t->backed_up)
			backup_drop(c, t->what);
		return;
	}
	if (t->exists)
		(void)write_real(t->real, t->old, t->oldlen,
		    t->st.st_mode & 07777, t->st.st_uid, t->st.st_gid);
	else
		(void)unlink(t->real);
	if (t->backed_up)
		backup_drop(c, t->what);
	kp_buf_printf(c->out, "restored: %s\n", t->path);
}

/* ------------------------------------------------------------ checks */

struct count_arg {
	size_t n;
};

static int
count_line(void *arg, const char *line, const char *fp, const char *id,
    const char *owner, unsigned rec)
{
	struct count_arg *ca = arg;

	(void)rec;
	(void)fp;
	(void)id;
	(void)owner;
	if (kp_setup_line_gives_shell(line))
		ca->n++;
	return 0;
}

struct keys_arg {
	struct kp_index *ix;
	const char *host;
	int64_t now;
};

static int
keys_cb(void *arg, const char *account, size_t *n)
{
	struct keys_arg *ka = arg;
	struct count_arg ca = {0};
	int r;

	*n = 0;
	r = kp_index_authorized_keys(
	    ka->ix, account, NULL, ka->host, ka->now, count_line, &ca);
	*n = ca.n;
	return r;
}

/*
 * The index sshd and PAM would use, or NULL: with a lock-out reported
 * when there is none, it is for another host or its policy expired (every
 * key login would be refused); with a note only when this user may not
 * read it (the index is root's and its group's, docs/security.md).
 */
static struct kp_index *
lockout_index(struct ctx *c)
{
	const struct kp_setup_opts *o = c->o;
	const struct kp_index_meta *m;
	struct kp_index *ix = NULL;
	const char *why = NULL;
	int r;

	if (geteuid() != 0 && access(o->index, R_OK) != 0 && errno == EACCES) {
		kp_buf_printf(c->out,
		    "note: this user cannot read the index %s: who keeps a "
		    "way in is checked as root only\n",
		    o->index);
		return NULL;
	}
	if ((r = kp_index_open(o->index, 0, &ix, &why)) != 0) {
		lockout(c, "install a policy first: keyauthctl install",
		    "no usable index at %s (%s%s%s): with keyauth every key "
		    "login would be refused",
		    o->index, kp_strerror(r), why != NULL ? ": " : "",
		    why != NULL ? why : "");
		return NULL;
	}
	if ((r = kp_index_check_host(ix, o->host, &why)) != 0) {
		lockout(c, "keyauthctl install --host for this host",
		    "the index cannot be used here (%s): with keyauth every "
		    "key login would be refused",
		    why != NULL ? why : kp_strerror(r));
		kp_index_close(ix);
		return NULL;
	}
	if ((m = kp_index_meta(ix)) != NULL &&
	    kp_policy_stale(m->policy_expires, o->now)) {
		lockout(c, "install a policy that has not expired",
		    "the installed policy (serial %llu) has expired: with "
		    "keyauth every key login would be refused",
		    (unsigned long long)m->serial);
		kp_index_close(ix);
		return NULL;
	}
	return ix; /* the caller closes it */
}

/* What the helper and sshd need beside the index: the KRL and the spool. */
static void
lockout_files(struct ctx *c)
{
	const struct kp_setup_opts *o = c->o;
	struct stat st;

	if (lstat(o->krl, &st) != 0 || !S_ISREG(st.st_mode))
		lockout(c, "keyauthctl install writes it",
		    "no KRL at %s: sshd refuses every key while its "
		    "RevokedKeys file is missing",
		    o->krl);
	if (o->root == NULL && o->spool != NULL &&
	    (lstat(o->spool, &st) != 0 || !S_ISDIR(st.st_mode)))
		lockout(c,
		    "systemd-tmpfiles --create keyauth.conf (the package's "
		    "tmpfiles.d entry)",
		    "the handoff spool %s does not exist: the helper would "
		    "fail and every key login would be refused",
		    o->spool);
}

/*
 * Who could still log in with a key from ix, as sshd (t) lets them: none
 * is a lock-out; otherwise the accounts are in the report, so that the
 * administrator sees which way in keyauth keeps.
 */
static int
lockout_ways(
    struct ctx *c, struct kp_index *ix, const struct kp_setup_sshd_t *t)
{
	const struct kp_setup_opts *o = c->o;
	struct kp_setup_ways w;
	struct keys_arg ka;
	char *passwd = NULL, *shells = NULL, *p = NULL;
	size_t plen = 0, slen = 0, i;
	int r;

	memset(&w, 0, sizeof(w));
	r = KP_ERR_NOMEM;
	if ((p = under(o->root, o->passwd)) == NULL)
		goto out;
	if ((r = read_real(p, &passwd, &plen)) != 0) {
		kp_diag_set(
		    c->d, NULL, 0, 0, "%s: %s", o->passwd, kp_strerror(r));
		goto out;
	}
	free(p);
	if ((p = under(o->root, o->shells)) == NULL) {
		r = KP_ERR_NOMEM;
		goto out;
	}
	if (read_real(p, &shells, &slen) != 0)
		shells = NULL; /* no /etc/shells: any shell but nologin */
	ka.ix = ix;
	ka.host = o->host;
	ka.now = o->now;
	if ((r = kp_setup_ways_in(
	         passwd, plen, shells, slen, t, keys_cb, &ka, &w)) != 0)
		goto out;
	if (w.n == 0) {
		lockout(c,
		    "grant an administrator's key with a shell in the "
		    "policy and keyauthctl install it",
		    "with keyauth nobody could log in over ssh: the "
		    "installed policy (serial %llu) grants no key to an "
		    "account with a login shell%s%s that sshd lets in",
		    (unsigned long long)kp_index_meta(ix)->serial,
		    w.root_refused ? " (root's keys: PermitRootLogin gives "
		                     "root no shell)"
		                   : "",
		    w.denied > 0 ? " (AllowUsers/DenyUsers refuse some)" : "");
	} else {
		kp_buf_puts(c->out,
		    "check: with keyauth these accounts can "
		    "log in with a key from the policy:");
		for (i = 0; i < w.n && i < SETUP_WAYS_SHOWN; i++)
			kp_buf_printf(c->out, "%s %s (%zu %s)",
			    i > 0 ? "," : "", w.way[i].account, w.way[i].nkeys,
			    w.way[i].nkeys == 1 ? "key" : "keys");
		if (w.n > SETUP_WAYS_SHOWN)
			kp_buf_printf(
			    c->out, " and %zu more", w.n - SETUP_WAYS_SHOWN);
		kp_buf_putc(c->out, '\n');
	}
	if (t->groups_limited)
		kp_buf_puts(c->out,
		    "note: AllowGroups/DenyGroups are set; "
		    "setup did not check them against these "
		    "accounts\n");
	r = 0;
out:
	free(passwd);
	free(shells);
	free(p);
	kp_setup_ways_free(&w);
	return r;
}

/*
 * The lock-out rule (docs/keyauthctl-setup.md): with keyauth enabled the
 * only key logins left are the index's grants, so there must be an index
 * sshd and PAM can use, the KRL sshd needs, the spool, and at least one
 * account with a login shell that sshd lets in and the index grants a
 * key with a shell. The stages above check those parts in the order the
 * report gives them.
 */
static int
check_lockout(struct ctx *c, const struct kp_setup_sshd_t *t)
{
	struct kp_index *ix;
	int r;

	ix = lockout_index(c);
	lockout_files(c);
	if (ix == NULL)
		return 0;
	r = lockout_ways(c, ix, t);
	kp_index_close(ix);
	return r;
}

/* The programs and the user keyauth's lines name must be there. */
static int
check_installed(struct ctx *c, char *module, size_t modlen)
{
	const struct kp_setup_opts *o = c->o;
	struct stat st;
	char *p = NULL, *text = NULL, *dir = NULL, *slash;
	size_t len;
	uid_t uid;
	gid_t gid;
	int r = KP_ERR_NOMEM;

	if ((p = under(o->root, o->v.helper)) == NULL)
		goto out;
	if (stat(p, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & 0111) == 0)
		problem(c, "install the keyauth package",
		    "the helper %s is not installed (or not executable): "
		    "sshd could not ask keyauth for keys",
		    o->v.helper);
	free(p);
	p = NULL;
	if ((p = under(o->root, o->pam_module)) == NULL)
		goto out;
	if (stat(p, &st) != 0 || !S_ISREG(st.st_mode))
		problem(c, "install the libpam-keyauth package",
		    "the PAM module %s is not installed: a PAM stack that "
		    "requires a missing module refuses every login",
		    o->pam_module);
	free(p);
	p = NULL;
	/* the plain name where Linux-PAM looks (beside pam_unix.so) */
	if ((dir = strdup(o->pam_module)) == NULL)
		goto out;
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (asprintf(&p, "%s%s/pam_unix.so", o->root != NULL ? o->root : "",
	        dir) < 0) {
		p = NULL;
		goto out;
	}
	snprintf(module, modlen, "%s",
	    stat(p, &st) == 0 ? "pam_keyauth.so" : o->pam_module);
	free(p);
	p = NULL;
	if ((p = under(o->root, o->passwd)) == NULL)
		goto out;
	if (read_real(p, &text, &len) != 0 ||
	    kp_doctor_passwd_lookup(text, len, o->v.user, &uid, &gid) != 0)
		problem(c, "install the keyauth package (it creates the user)",
		    "the user %s (AuthorizedKeysCommandUser) does not exist: "
		    "sshd would not run the helper",
		    o->v.user);
	r = 0;
out:
	free(p);
	free(text);
	free(dir);
	return r;
}

/* What sshd reads before the snippet: it must be read, and win. */
static int
check_include(struct ctx *c, const struct target *sshd)
{
	const struct kp_setup_opts *o = c->o;
	struct kp_setup_scan sc;
	char *p, *text = NULL, fix[PATH_MAX + 128];
	size_t len, i;
	int r;

	if ((p = under(o->root, o->sshd_config)) == NULL)
		return KP_ERR_NOMEM;
	r = read_real(p, &text, &len);
	free(p);
	if (r != 0) {
		kp_diag_set(c->d, NULL, 0, 0, "%s: %s", o->sshd_config,
		    r == KP_ERR_IO ? strerror(errno) : kp_strerror(r));
		return r;
	}
	r = kp_setup_sshd_scan(o->sshd_config, text, len, sshd->path, &o->v,
	    glob_cb, read_cb, c, &sc);
	free(text);
	if (r != 0) {
		kp_diag_set(c->d, NULL, 0, 0,
		    "reading %s and its Include files: %s", o->sshd_config,
		    kp_strerror(r));
		return r;
	}
	if (!sc.included) {
		snprintf(fix, sizeof(fix),
		    "put \"Include %s/*.conf\" at the top of %s",
		    o->snippet_dir, o->sshd_config);
		problem(c, fix,
		    "%s does not read %s%s%s: setup does not edit %s itself",
		    o->sshd_config, sshd->path,
		    sc.match_include[0] != '\0' ? " outside a Match block; "
		                                  "the Include at "
		                                : "",
		    sc.match_include, o->sshd_config);
		return 0;
	}
	kp_buf_printf(c->out, "check: sshd reads %s (Include at %s)\n",
	    sshd->path, sc.include_where);
	for (i = 0; i < sc.nconflicts; i++) {
		snprintf(fix, sizeof(fix),
		    "remove it there, or set it to keyauth's value");
		problem(c, fix,
		    "%s: \"%s %s\" is read before %s and sshd keeps the "
		    "first value: keyauth's would not be in effect",
		    sc.conflict[i].where, sc.conflict[i].keyword,
		    sc.conflict[i].value, sshd->path);
	}
	return 0;
}

/* ------------------------------------------------------------ revert */

struct restore {
	struct target t;
	struct kp_setup_meta m;
	char *before;
	size_t beforelen;
	int done; /* the file already holds .before */
};

/*
 * One file's backup, read and judged before anything is put back: done
 * when the file already holds what was there before setup; otherwise it
 * must still hold what setup wrote (NAME.after), or reverting would lose
 * a change made by hand. The diff of what --revert does is shown; *todo
 * counts the files it changes. x->m is read already.
 */
static int
restore_read(struct ctx *c, const char *what, struct restore *x, int *todo)
{
	char *path = NULL, *after = NULL;
	size_t alen = 0;
	int r;

	x->t.what = what;
	if ((x->t.path = strdup(x->m.path)) == NULL)
		return KP_ERR_NOMEM;
	if ((r = target_read(c, &x->t)) != 0)
		return r;
	if ((path = backup_path(c, x->t.what, "before")) == NULL)
		return KP_ERR_NOMEM;
	if ((r = kp_file_read_safe(path, SETUP_TEXT_MAX, geteuid(), &x->before,
	         &x->beforelen, NULL)) != 0) {
		kp_diag_set(c->d, NULL, 0, 0, "%s: %s", path, kp_strerror(r));
		goto out;
	}
	if (x->t.exists == x->m.existed &&
	    (!x->m.existed ||
	        (x->t.oldlen == x->beforelen &&
	            memcmp(x->t.old, x->before, x->beforelen) == 0))) {
		x->done = 1;
		goto out;
	}
	free(path);
	if ((path = backup_path(c, x->t.what, "after")) == NULL) {
		r = KP_ERR_NOMEM;
		goto out;
	}
	if ((r = kp_file_read_safe(
	         path, SETUP_TEXT_MAX, geteuid(), &after, &alen, NULL)) != 0 &&
	    r != KP_ERR_NOTFOUND) {
		kp_diag_set(c->d, NULL, 0, 0, "%s: %s", path, kp_strerror(r));
		goto out;
	}
	if (r != 0 || !x->t.exists || x->t.oldlen != alen ||
	    memcmp(x->t.old, after, alen) != 0) {
		kp_diag_set(c->d, NULL, 0, 0,
		    "%s changed since keyauthctl setup wrote it: "
		    "restoring the backup would lose those changes; "
		    "compare it with %s/%s.before and put that back by "
		    "hand",
		    x->t.path, c->o->backup_dir, x->t.what);
		r = KP_ERR_CONFLICT;
		goto out;
	}
	(*todo)++;
	r = kp_setup_diff(c->out, x->t.path, x->t.old, x->t.oldlen, 1,
	    x->before, x->beforelen, x->m.existed);
out:
	free(path);
	free(after);
	return r;
}

/*
 * The files as they were before setup, and their backups gone: PAM first,
 * since it takes effect at once and sshd only when reloaded.
 */
static int
restore_write(struct ctx *c, struct restore *rs, size_t n)
{
	size_t i;
	int r = 0;

	for (i = n; i-- > 0;) {
		struct restore *x = &rs[i];

		if (!x->done) {
			if (x->m.existed)
				r = write_real(x->t.real, x->before,
				    x->beforelen, x->m.mode, x->m.uid,
				    x->m.gid);
			else if (unlink(x->t.real) != 0)
				r = KP_ERR_IO;
			if (r != 0) {
				kp_diag_set(c->d, NULL, 0, 0,
				    "cannot restore %s: %s", x->t.path,
				    strerror(errno));
				return r;
			}
			kp_buf_printf(c->out, "restored: %s%s\n", x->t.path,
			    x->m.existed ? "" : " (removed: it did not exist)");
		}
		backup_drop(c, x->t.what);
		if (!x->done)
			c->nchanged++;
	}
	(void)rmdir(c->backup);
	return 0;
}

/*
 * sshd told to read the restored files, but only once sshd -t passes
 * with them: a reload into a broken configuration is never made. A
 * failing sshd -T only loses the reload (a note), not the revert.
 */
static int
revert_reload(struct ctx *c, int todo)
{
	struct kp_setup_sshd_t t;
	char why[512];
	int r, ok;

	memset(&t, 0, sizeof(t));
	if ((r = sshd_test(c, &ok)) != 0)
		goto out;
	if (!ok) {
		problem(c, "fix the configuration, then reload sshd",
		    "sshd -t fails with the restored files: sshd was not "
		    "reloaded");
		r = KP_ERR_INVALID;
		goto out;
	}
	kp_buf_puts(c->out, "check: sshd -t: the configuration is valid\n");
	if (!c->o->reload || todo == 0)
		goto out;
	if ((r = sshd_dump(c, &t, &ok)) != 0 || !ok) {
		kp_buf_puts(c->out,
		    "note: sshd -T failed: reload sshd yourself "
		    "(systemctl reload ssh)\n");
		r = 0;
		goto out;
	}
	if (reload_report(c, &t, "the files", why, sizeof(why)) == SSHD_UNKNOWN)
		kp_buf_printf(c->out,
		    "note: %s: reload sshd yourself (systemctl reload "
		    "ssh)\n",
		    why);
out:
	kp_setup_sshd_t_free(&t);
	return r;
}

/*
 * --revert: every backup judged first (restore_read), so that a file
 * changed by hand stops the revert before anything is put back; then the
 * files restored and sshd reloaded.
 */
static int
revert(struct ctx *c, struct target *tg, size_t ntg)
{
	struct restore rs[2];
	size_t i, n = 0;
	int r = 0, todo = 0;

	memset(rs, 0, sizeof(rs));
	for (i = 0; i < ntg && i < 2; i++) {
		struct restore *x = &rs[n];

		if ((r = meta_read(c, tg[i].what, &x->m)) == KP_ERR_NOTFOUND) {
			r = 0;
			continue;
		}
		if (r != 0 || (r = restore_read(c, tg[i].what, x, &todo)) != 0)
			goto out;
		n++;
	}
	if (n == 0) {
		kp_buf_printf(c->out,
		    "setup: nothing to revert: no backup of keyauthctl setup "
		    "in %s (files changed by hand are not touched)\n",
		    c->o->backup_dir);
		goto out;
	}
	if ((r = restore_write(c, rs, n)) != 0)
		goto out;
	if (c->o->run_sshd)
		r = revert_reload(c, todo);
out:
	for (i = 0; i < 2; i++) {
		target_free(&rs[i].t);
		free(rs[i].before);
	}
	return r;
}

/* -------------------------------------------------------------- main */

void
kp_setup_result_free(struct kp_setup_result *res)
{
	if (res == NULL)
		return;
	kp_buf_free(&res->out);
	memset(res, 0, sizeof(*res));
}

static int
opts_valid(const struct kp_setup_opts *o)
{
	const char *const *p,
	    *abs[] = {o->sshd_config, o->snippet_dir, o->pam_file,
	        o->backup_dir, o->pam_module, o->passwd, o->shells, o->v.helper,
	        o->index, o->krl, o->sshd, NULL};

	for (p = abs; *p != NULL; p++)
		if ((*p)[0] != '/')
			return 0;
	/* the list ends at the first NULL: every entry must be there */
	return p - abs == (ptrdiff_t)(sizeof(abs) / sizeof(abs[0]) - 1) &&
	    o->v.user != NULL && o->v.krl != NULL && o->host != NULL &&
	    (o->root == NULL || (o->root[0] == '/' && o->chroot != NULL));
}

/*
 * Plan: both files as they are and as keyauth needs them, the diff shown
 * and the files that would change counted, before anything is checked or
 * written. A file setup cannot edit is a problem in the report (and
 * KP_ERR_INVALID), not a failure of setup itself.
 */
static int
setup_plan(struct ctx *c, struct target *tg, size_t *nwould)
{
	const struct kp_setup_opts *o = c->o;
	struct kp_diag d;
	char module[PATH_MAX];
	size_t i;
	int r;

	for (i = 0; i < 2; i++)
		if ((r = target_read(c, &tg[i])) != 0)
			return r;
	if (!tg[1].exists) {
		kp_diag_set(c->d, NULL, 0, 0,
		    "%s does not exist: no PAM configuration for sshd to add "
		    "pam_keyauth to",
		    tg[1].path);
		return KP_ERR_INVALID;
	}
	if ((r = check_installed(c, module, sizeof(module))) != 0)
		return r;
	memset(&d, 0, sizeof(d));
	if ((r = kp_setup_sshd_text(tg[0].path, tg[0].old, tg[0].oldlen,
	         tg[0].exists, &o->v, &tg[0].new, &tg[0].newlen, &d)) != 0 ||
	    (r = kp_setup_pam_text(tg[1].path, tg[1].old, tg[1].oldlen, module,
	         &tg[1].new, &tg[1].newlen, &d)) != 0) {
		if (r != KP_ERR_INVALID)
			return r;
		if (d.line != 0)
			problem(c, NULL, "%s:%u: %s", d.file, d.line, d.msg);
		else
			problem(c, NULL, "%s: %s", d.file, d.msg);
		return r;
	}
	for (i = 0; i < 2; i++) {
		tg[i].changes = !tg[i].exists || tg[i].oldlen != tg[i].newlen ||
		    memcmp(tg[i].old, tg[i].new, tg[i].oldlen) != 0;
		if (tg[i].changes)
			(*nwould)++;
		if ((r = kp_setup_diff(c->out, tg[i].path, tg[i].old,
		         tg[i].oldlen, tg[i].exists, tg[i].new, tg[i].newlen,
		         1)) != 0)
			return r;
	}
	if (*nwould > 0)
		kp_buf_putc(c->out, '\n');
	return 0;
}

/*
 * Check, before anything is written: sshd reads the snippet and nothing
 * read earlier overrides it, the current configuration passes sshd -t,
 * and someone can still log in with keyauth (check_lockout). What is
 * wrong is counted in c->nerrors; the return is for setup's own failures.
 * t: what sshd -T says now, for the reload after apply.
 */
static int
setup_check(struct ctx *c, const struct target *sshd, struct kp_setup_sshd_t *t)
{
	int r, ok;

	if ((r = check_include(c, sshd)) != 0)
		return r;
	if (c->o->run_sshd) {
		if ((r = sshd_test(c, &ok)) != 0)
			return r;
		if (!ok)
			problem(c, "fix it first: sshd -t says what is wrong",
			    "sshd -t fails with the current configuration: "
			    "setup changes nothing while it is broken");
		else
			kp_buf_puts(c->out,
			    "check: sshd -t: the current "
			    "configuration is valid\n");
		if (ok && ((r = sshd_dump(c, t, &ok)) != 0 || !ok)) {
			if (r == 0)
				problem(c, NULL, "sshd -T failed");
			else
				return r;
		}
	} else {
		kp_buf_puts(c->out,
		    "note: sshd -t not run (it needs root); "
		    "PermitRootLogin taken as Debian's default\n");
		t->permitrootlogin = "prohibit-password";
	}
	return check_lockout(c, t);
}

/*
 * sshd's snippet into place, then proved: sshd -t passes and sshd -T
 * shows keyauth's values in effect. On failure the caller puts it back
 * (setup_undo). t: sshd -T with the new snippet, for the reload.
 */
static int
apply_sshd(struct ctx *c, struct target *sshd, struct kp_setup_sshd_t *t)
{
	struct kp_diag d;
	int r, ok;

	if ((r = backup_save(c, sshd)) != 0 || (r = target_write(c, sshd)) != 0)
		return r;
	c->nchanged++;
	kp_buf_printf(c->out, "wrote: %s\n", sshd->path);
	if (!c->o->run_sshd)
		return 0;
	kp_setup_sshd_t_free(t);
	if ((r = sshd_test(c, &ok)) != 0)
		return r;
	if (!ok) {
		problem(c, NULL,
		    "sshd -t fails with the new %s: put back as it was",
		    sshd->path);
		return KP_ERR_INVALID;
	}
	if ((r = sshd_dump(c, t, &ok)) != 0)
		return r;
	memset(&d, 0, sizeof(d));
	if (!ok || kp_setup_sshd_t_check(t, &c->o->v, &d) != 0) {
		problem(c, NULL, "%s: put back as it was",
		    ok ? d.msg : "sshd -T failed");
		return KP_ERR_INVALID;
	}
	kp_buf_puts(c->out,
	    "check: sshd -t and sshd -T: "
	    "keyauth's settings are in effect\n");
	return 0;
}

/*
 * sshd told to read its new settings before the PAM lines go in: PAM
 * reads its files at every login, so pam_keyauth there while sshd still
 * runs its old settings would refuse every login. When sshd cannot be
 * reloaded and PAM would change, that is a problem and PAM stays as it is.
 */
static int
apply_reload(
    struct ctx *c, const struct kp_setup_sshd_t *t, const struct target *pam)
{
	char why[512];

	if (!c->o->reload || !c->o->run_sshd)
		return 0;
	if (reload_report(c, t, "the new settings", why, sizeof(why)) !=
	        SSHD_UNKNOWN ||
	    !pam->changes)
		return 0;
	problem(c,
	    "reload sshd (systemctl reload ssh), then run "
	    "keyauthctl setup --apply again for the PAM lines",
	    "%s: cannot reload sshd, so %s was left as it is", why, pam->path);
	return KP_ERR_INVALID;
}

/*
 * Undo a failed apply: sshd's file as it was (and no backup this run
 * made), and sshd reloaded again when it had read the new one, so that
 * no half-enabled keyauth stays behind.
 */
static void
setup_undo(struct ctx *c, struct target *sshd, struct kp_setup_sshd_t *t)
{
	char why[512];
	long pid;
	int ok;

	target_undo(c, sshd);
	if (sshd->written) {
		c->nchanged = 0;
		if (c->o->reload && c->o->run_sshd) {
			kp_setup_sshd_t_free(t);
			if (sshd_dump(c, t, &ok) == 0 && ok)
				(void)reload_sshd(c, t, &pid, why, sizeof(why));
		}
	}
	(void)rmdir(c->backup);
}

/*
 * Apply, in the order that keeps a way in: sshd's file, checked; sshd
 * reloaded; then PAM. Any failure after sshd's file changed undoes it.
 */
static int
setup_apply(struct ctx *c, struct target *tg, struct kp_setup_sshd_t *t)
{
	int r;

	if ((r = backup_dir_make(c)) != 0)
		return r;
	if (tg[0].changes && (r = apply_sshd(c, &tg[0], t)) != 0)
		goto undo;
	if ((r = apply_reload(c, t, &tg[1])) != 0)
		return r;
	if (tg[1].changes) {
		if ((r = backup_save(c, &tg[1])) != 0 ||
		    (r = target_write(c, &tg[1])) != 0) {
			target_undo(c, &tg[1]);
			goto undo;
		}
		c->nchanged++;
		kp_buf_printf(c->out, "wrote: %s\n", tg[1].path);
	}
	kp_buf_printf(c->out,
	    "setup: keyauth is enabled; backup in %s (keyauthctl setup "
	    "--revert puts it back). Keep this session open until a new "
	    "login works, and run keyauthctl doctor\n",
	    c->o->backup_dir);
	return 0;
undo:
	setup_undo(c, &tg[0], t);
	return r;
}

int
kp_setup(const struct kp_setup_opts *o, struct kp_setup_result *res)
{
	struct ctx c;
	struct target tg[2];
	struct kp_setup_sshd_t t;
	size_t i;
	int r;

	if (res == NULL)
		return KP_ERR_ARG;
	memset(res, 0, sizeof(*res));
	kp_buf_init(&res->out, SETUP_OUT_MAX);
	if (o == NULL || !opts_valid(o)) {
		kp_diag_set(&res->diag, NULL, 0, 0, "setup: bad options");
		return KP_ERR_ARG;
	}
	memset(&c, 0, sizeof(c));
	memset(tg, 0, sizeof(tg));
	memset(&t, 0, sizeof(t));
	c.o = o;
	c.out = &res->out;
	c.d = &res->diag;
	tg[0].what = "sshd";
	tg[1].what = "pam";
	r = KP_ERR_NOMEM;
	if ((c.backup = under(o->root, o->backup_dir)) == NULL)
		goto out;
	if (asprintf(&tg[0].path, "%s/keyauth.conf", o->snippet_dir) < 0) {
		tg[0].path = NULL;
		goto out;
	}
	if ((tg[1].path = strdup(o->pam_file)) == NULL)
		goto out;
	if (o->mode == KP_SETUP_REVERT) {
		r = revert(&c, tg, 2);
		goto out;
	}
	if ((r = setup_plan(&c, tg, &res->nwould)) != 0 ||
	    (r = setup_check(&c, &tg[0], &t)) != 0)
		goto out;
	if (c.nerrors > 0) {
		if (c.nerrors > 1)
			snprintf(res->diag.msg, sizeof(res->diag.msg),
			    "%zu problems (above): nothing changed", c.nerrors);
		r = KP_ERR_INVALID;
		goto out;
	}
	if (res->nwould == 0) {
		kp_buf_puts(c.out,
		    "setup: nothing to change: keyauth is "
		    "enabled in sshd and PAM\n");
		goto out;
	}
	if (o->mode == KP_SETUP_SHOW) {
		kp_buf_printf(c.out,
		    "setup: %zu %s would change; keyauthctl setup --apply "
		    "changes %s (backup in %s)\n",
		    res->nwould, res->nwould == 1 ? "file" : "files",
		    res->nwould == 1 ? "it" : "them", o->backup_dir);
		goto out;
	}
	r = setup_apply(&c, tg, &t);
out:
	res->nchanged = c.nchanged;
	for (i = 0; i < 2; i++)
		target_free(&tg[i]);
	if (t.buf != NULL)
		kp_setup_sshd_t_free(&t);
	free(c.backup);
	if (res->out.err != 0 && r == 0)
		r = res->out.err;
	return r;
}
