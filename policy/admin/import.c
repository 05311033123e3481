#include "config.h"

/*
 * authorized_keys files into a policy. The rule: an imported entry may
 * never grant more than the line it came from. A restriction keyauth can
 * express is kept (from= addresses and CIDRs, expiry-time=, command=, the
 * allow-listed options); a key whose restriction cannot be expressed
 * (from= with a host name, wildcard or negation, tunnel=, a command with
 * a quote, ...) is not imported at all and reported; only options whose
 * loss narrows what the key can do (environment=) are left out with a
 * message.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "keyauth.h"
#include "kp-internal.h"
#include "kp-policy.h"
#include "keyauth-admin.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define IMPORT_LINE_MAX (64 * 1024)
#define IMPORT_MAX_MSGS 100000
#define IMPORT_MAX_ENTRIES (1024 * 1024)

/* --------------------------------------------------------- one line */

void
kp_authkey_clear(struct kp_authkey *k)
{
	size_t i;

	if (k == NULL)
		return;
	kp_pubkey_free(k->key);
	free(k->sources);
	for (i = 0; i < k->noptions; i++)
		free(k->options[i]);
	free(k->options);
	free(k->command);
	for (i = 0; i < k->ndropped; i++)
		free(k->dropped[i]);
	free(k->dropped);
	memset(k, 0, sizeof(*k));
	k->expires = KP_TIME_NONE_AFTER;
}

static int
strv_add(char ***v, size_t *n, const char *s, size_t len)
{
	char **tmp, *c;

	if ((c = strndup(s, len)) == NULL)
		return KP_ERR_NOMEM;
	if ((tmp = reallocarray(*v, *n + 1, sizeof(*tmp))) == NULL) {
		free(c);
		return KP_ERR_NOMEM;
	}
	*v = tmp;
	(*v)[(*n)++] = c;
	return 0;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * sshd's expiry-time: YYYYMMDD[Z] or YYYYMMDDHHMM[SS][Z]; without Z it
 * is the system's local time.
 */
static int
parse_expiry(const char *v, int64_t *out)
{
	char iso[64];
	size_t n = strlen(v), i, nd;
	int utc = 0, Y, M, D, h = 0, m = 0, s = 0;
	int64_t t;
	struct tm tm;
	time_t lt;

	if (n > 0 && v[n - 1] == 'Z') {
		utc = 1;
		n--;
	}
	if (n != 8 && n != 12 && n != 14)
		return KP_ERR_INVALID;
	for (i = 0; i < n; i++)
		if (!is_digit(v[i]))
			return KP_ERR_INVALID;
	nd = n;
	Y = (v[0] - '0') * 1000 + (v[1] - '0') * 100 + (v[2] - '0') * 10 +
	    (v[3] - '0');
	M = (v[4] - '0') * 10 + (v[5] - '0');
	D = (v[6] - '0') * 10 + (v[7] - '0');
	if (nd >= 12) {
		h = (v[8] - '0') * 10 + (v[9] - '0');
		m = (v[10] - '0') * 10 + (v[11] - '0');
	}
	if (nd == 14)
		s = (v[12] - '0') * 10 + (v[13] - '0');
	snprintf(iso, sizeof(iso), "%04d-%02d-%02dT%02d:%02d:%02dZ", Y, M, D, h,
	    m, s);
	/* kp_time_parse validates the calendar */
	if (kp_time_parse(iso, &t) != 0)
		return KP_ERR_INVALID;
	if (!utc) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = Y - 1900;
		tm.tm_mon = M - 1;
		tm.tm_mday = D;
		tm.tm_hour = h;
		tm.tm_min = m;
		tm.tm_sec = s;
		tm.tm_isdst = -1;
		if ((lt = mktime(&tm)) == (time_t)-1)
			return KP_ERR_INVALID;
		t = (int64_t)lt;
	}
	*out = t;
	return 0;
}

/* from="a,b": every item an address or CIDR, nothing sshd reads otherwise. */
static int
parse_from(struct kp_authkey *k, const char *v, const char **why)
{
	struct kp_cidr c, *tmp;
	const char *p = v, *e;
	char item[128];
	size_t n;

	for (;;) {
		e = strchr(p, ',');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n == 0 || n >= sizeof(item))
			KP_FAIL(why, "from= has an empty or overlong item",
			    KP_ERR_INVALID);
		memcpy(item, p, n);
		item[n] = '\0';
		if (kp_cidr_parse(item, &c, NULL) != 0)
			KP_FAIL(why,
			    "from= holds a host name, wildcard, negation or "
			    "bad CIDR, which keyauth cannot express (only "
			    "addresses and CIDRs); key not imported",
			    KP_ERR_INVALID);
		if ((tmp = reallocarray(
		         k->sources, k->nsources + 1, sizeof(*tmp))) == NULL)
			return KP_ERR_NOMEM;
		k->sources = tmp;
		k->sources[k->nsources++] = c;
		if (e == NULL)
			return 0;
		p = e + 1;
	}
}

static int
key_type_word(const char *s, size_t n)
{
	char t[64];

	if (n == 0 || n >= sizeof(t))
		return 0;
	memcpy(t, s, n);
	t[n] = '\0';
	return kp_key_type_supported(t) || strcmp(t, "ssh-dss") == 0 ||
	    strstr(t, "-cert-v01@openssh.com") != NULL;
}

/* One option with its dequoted value; val NULL for a flag. */
static int
apply_option(struct kp_authkey *k, const char *name, size_t nl, const char *val,
    int *have_command, int *have_from, const char **why)
{
	char opt[KP_VALUE_MAX + 32];
	int64_t t;
	int r;

#define IS(s) (nl == strlen(s) && strncasecmp(name, s, nl) == 0)
	if (val == NULL) {
		if (IS("cert-authority"))
			KP_FAIL(why,
			    "cert-authority: a certificate authority, not a "
			    "user key; not imported",
			    KP_ERR_INVALID);
		if (nl >= sizeof(opt))
			KP_FAIL(why, "option too long", KP_ERR_INVALID);
		memcpy(opt, name, nl);
		opt[nl] = '\0';
		if (!kp_option_allowed(opt, NULL))
			KP_FAIL(why,
			    "unknown option (sshd refuses the whole line); "
			    "not imported",
			    KP_ERR_INVALID);
		return strv_add(&k->options, &k->noptions, name, nl);
	}
	if (IS("from")) {
		if (*have_from)
			KP_FAIL(why, "from= given twice; not imported",
			    KP_ERR_INVALID);
		*have_from = 1;
		return parse_from(k, val, why);
	}
	if (IS("expiry-time")) {
		if (parse_expiry(val, &t) != 0)
			KP_FAIL(why,
			    "expiry-time= is not YYYYMMDD[Z] or "
			    "YYYYMMDDHHMM[SS][Z]; not imported",
			    KP_ERR_INVALID);
		if (t < k->expires)
			k->expires = t; /* sshd honours the earliest */
		return 0;
	}
	if (IS("command")) {
		size_t n = strlen(val);

		if (*have_command)
			KP_FAIL(why, "command= given twice; not imported",
			    KP_ERR_INVALID);
		*have_command = 1;
		if (n == 0 || strchr(val, '"') != NULL || val[n - 1] == '\\' ||
		    !kp_value_clean(val, KP_VALUE_MAX, NULL))
			KP_FAIL(why,
			    "command= is empty or holds a quote, a trailing "
			    "backslash or a control character, which keyauth "
			    "cannot express; not imported",
			    KP_ERR_INVALID);
		if ((k->command = strdup(val)) == NULL)
			return KP_ERR_NOMEM;
		return 0;
	}
	if (IS("permitopen") || IS("permitlisten")) {
		snprintf(opt, sizeof(opt), "%.*s=\"%s\"", (int)nl, name, val);
		if (strlen(val) > KP_VALUE_MAX || !kp_option_allowed(opt, NULL))
			KP_FAIL(why,
			    "permitopen/permitlisten value keyauth cannot "
			    "express (host:port); not imported",
			    KP_ERR_INVALID);
		return strv_add(&k->options, &k->noptions, opt, strlen(opt));
	}
	if (IS("environment")) {
		/* Leaving it out takes something away; it grants nothing. */
		snprintf(opt, sizeof(opt), "%.*s=\"...\"", (int)nl, name);
		if ((r = strv_add(
		         &k->dropped, &k->ndropped, opt, strlen(opt))) != 0)
			return r;
		return 0;
	}
	if (IS("tunnel"))
		KP_FAIL(why,
		    "tunnel= restricts the key and is not supported; not "
		    "imported",
		    KP_ERR_INVALID);
	if (IS("principals"))
		KP_FAIL(why,
		    "principals= is for certificates, which are not "
		    "supported; not imported",
		    KP_ERR_INVALID);
	KP_FAIL(why,
	    "unknown option (sshd refuses the whole line); not imported",
	    KP_ERR_INVALID);
#undef IS
}

/* Options as sshd reads them: name[="value"], values with \" escapes. */
static int
parse_options(struct kp_authkey *k, const char **sp, const char **why)
{
	const char *s = *sp, *name;
	char *val = NULL;
	size_t nl, vl;
	int r, have_command = 0, have_from = 0;

	for (;;) {
		name = s;
		while (*s != '\0' && *s != '=' && *s != ',' && *s != ' ' &&
		    *s != '\t')
			s++;
		if ((nl = (size_t)(s - name)) == 0)
			KP_FAIL(why, "empty option", KP_ERR_INVALID);
		if (*s == '=') {
			if (*++s != '"')
				KP_FAIL(why, "option value without quotes",
				    KP_ERR_INVALID);
			s++;
			if ((val = malloc(strlen(s) + 1)) == NULL)
				return KP_ERR_NOMEM;
			for (vl = 0; *s != '"'; s++) {
				if (*s == '\0') {
					free(val);
					KP_FAIL(why, "unterminated quote",
					    KP_ERR_INVALID);
				}
				if (s[0] == '\\' && s[1] == '"')
					s++;
				val[vl++] = *s;
			}
			val[vl] = '\0';
			s++;
		}
		r = apply_option(
		    k, name, nl, val, &have_command, &have_from, why);
		free(val);
		val = NULL;
		if (r != 0)
			return r;
		if (*s == ',') {
			s++;
			continue;
		}
		if (*s != ' ' && *s != '\t')
			KP_FAIL(
			    why, "no key after the options", KP_ERR_INVALID);
		*sp = s;
		return 0;
	}
}

int
kp_authkey_parse(const char *line, struct kp_authkey *out, const char **why)
{
	struct kp_authkey k;
	const char *s = line, *t, *b;
	char *kl = NULL;
	size_t tl, bl;
	int r;

	if (why != NULL)
		*why = NULL;
	if (out == NULL || line == NULL)
		return KP_ERR_ARG;
	memset(out, 0, sizeof(*out));
	out->expires = KP_TIME_NONE_AFTER;
	memset(&k, 0, sizeof(k));
	k.expires = KP_TIME_NONE_AFTER;
	if (strlen(line) > IMPORT_LINE_MAX)
		KP_FAIL(why, "line too long", KP_ERR_TOOBIG);
	while (*s == ' ' || *s == '\t')
		s++;
	for (t = s; *t != '\0' && *t != ' ' && *t != '\t'; t++)
		;
	if (!key_type_word(s, (size_t)(t - s)) &&
	    (r = parse_options(&k, &s, why)) != 0)
		goto out;
	while (*s == ' ' || *s == '\t')
		s++;
	t = s;
	for (tl = 0; t[tl] != '\0' && t[tl] != ' ' && t[tl] != '\t'; tl++)
		;
	for (b = t + tl; *b == ' ' || *b == '\t'; b++)
		;
	for (bl = 0; b[bl] != '\0' && b[bl] != ' ' && b[bl] != '\t'; bl++)
		;
	if (tl == 0 || bl == 0) {
		KP_WHY(why, "no key type and base64 on the line");
		r = KP_ERR_INVALID;
		goto out;
	}
	if ((kl = malloc(tl + bl + 2)) == NULL) {
		r = KP_ERR_NOMEM;
		goto out;
	}
	memcpy(kl, t, tl);
	kl[tl] = ' ';
	memcpy(kl + tl + 1, b, bl);
	kl[tl + 1 + bl] = '\0';
	if ((r = kp_pubkey_parse_line_checked(kl, &k.key, why, NULL)) != 0)
		goto out;
	/* The comment, as the rest of the line: kept for the reviewer. */
	for (b += bl; *b == ' ' || *b == '\t'; b++)
		;
	free(k.key->comment);
	k.key->comment = NULL;
	if (*b != '\0' && (k.key->comment = strdup(b)) == NULL) {
		r = KP_ERR_NOMEM;
		goto out;
	}
	*out = k; /* ownership to the caller */
	memset(&k, 0, sizeof(k));
	r = 0;
out:
	free(kl);
	kp_authkey_clear(&k);
	return r;
}

/* ------------------------------------------------------------ paths */

int
kp_import_account_from_path(const char *path, char *out, size_t len)
{
	static const char *const tails[] = {
	    "/.ssh/authorized_keys", "/.ssh/authorized_keys2"};
	const char *home_end = NULL, *name, *p;
	size_t i, n, tl;
	char acct[KP_ACCOUNT_MAX + 1];

	if (out != NULL && len > 0)
		out[0] = '\0';
	if (path == NULL || out == NULL)
		return KP_ERR_ARG;
	n = strlen(path);
	for (i = 0; i < NELEM(tails); i++) {
		tl = strlen(tails[i]);
		if (n > tl && strcmp(path + n - tl, tails[i]) == 0)
			home_end = path + n - tl;
	}
	if (home_end == NULL)
		return KP_ERR_NOTFOUND;
	for (name = home_end; name > path && name[-1] != '/'; name--)
		;
	if (name == home_end || (size_t)(home_end - name) > KP_ACCOUNT_MAX)
		return KP_ERR_NOTFOUND;
	memcpy(acct, name, (size_t)(home_end - name));
	acct[home_end - name] = '\0';
	if (strcmp(acct, "root") != 0) {
		/* NAME must sit in a directory called home */
		p = name - 1;
		if (name == path || p - path < 4 ||
		    memcmp(p - 4, "home", 4) != 0 ||
		    (p - 4 > path && p[-5] != '/'))
			return KP_ERR_NOTFOUND;
	}
	if (!kp_account_valid(acct))
		return KP_ERR_NOTFOUND;
	return kp_strlcpy_checked(out, len, acct);
}

/* ------------------------------------------------------------ import */

struct ientry {
	struct kp_authkey k; /* restrictions; k.key->comment the first */
	char **accounts;
	size_t naccounts;
	char *origin; /* "FILE:LINE" of the first line */
	size_t norigins;
};

struct kp_import {
	int owner_from_comment;
	struct ientry *e;
	size_t n, cap;
	struct kp_import_msg *msgs;
	size_t nmsgs, capmsgs;
	uint64_t msgs_dropped;
};

int
kp_import_new(int owner_from_comment, struct kp_import **out)
{
	if (out == NULL)
		return KP_ERR_ARG;
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return KP_ERR_NOMEM;
	(*out)->owner_from_comment = owner_from_comment;
	return 0;
}

void
kp_import_free(struct kp_import *im)
{
	size_t i, j;

	if (im == NULL)
		return;
	for (i = 0; i < im->n; i++) {
		kp_authkey_clear(&im->e[i].k);
		for (j = 0; j < im->e[i].naccounts; j++)
			free(im->e[i].accounts[j]);
		free(im->e[i].accounts);
		free(im->e[i].origin);
	}
	free(im->e);
	free(im->msgs);
	free(im);
}

/* The message is a followed by b. */
static int
msg(struct kp_import *im, const char *name, unsigned line, int skipped,
    const char *a, const char *b)
{
	struct kp_import_msg *m, *tmp;

	if (im->nmsgs >= IMPORT_MAX_MSGS) {
		im->msgs_dropped++;
		return 0;
	}
	if (im->nmsgs == im->capmsgs) {
		size_t cap = im->capmsgs == 0 ? 16 : im->capmsgs * 2;

		if ((tmp = reallocarray(im->msgs, cap, sizeof(*tmp))) == NULL)
			return KP_ERR_NOMEM;
		im->msgs = tmp;
		im->capmsgs = cap;
	}
	m = &im->msgs[im->nmsgs++];
	memset(m, 0, sizeof(*m));
	snprintf(m->d.file, sizeof(m->d.file), "%s", name);
	m->d.line = line;
	m->skipped = skipped;
	snprintf(m->d.msg, sizeof(m->d.msg), "%s%s", a, b);
	return 0;
}

static int
same_restrictions(const struct kp_authkey *a, const struct kp_authkey *b)
{
	size_t i;

	if (strcmp(a->key->fp, b->key->fp) != 0 || a->expires != b->expires ||
	    a->nsources != b->nsources || a->noptions != b->noptions ||
	    (a->command == NULL) != (b->command == NULL) ||
	    (a->command != NULL && strcmp(a->command, b->command) != 0))
		return 0;
	for (i = 0; i < a->nsources; i++)
		if (memcmp(&a->sources[i], &b->sources[i],
		        sizeof(a->sources[i])) != 0)
			return 0;
	for (i = 0; i < a->noptions; i++)
		if (strcmp(a->options[i], b->options[i]) != 0)
			return 0;
	return 1;
}

static int
add_key(struct kp_import *im, struct kp_authkey *k, const char *account,
    const char *origin)
{
	struct ientry *e, *tmp;
	size_t i, j;
	int r;

	for (i = 0; i < im->n; i++) {
		e = &im->e[i];
		if (!same_restrictions(&e->k, k))
			continue;
		e->norigins++;
		for (j = 0; j < e->naccounts; j++)
			if (strcmp(e->accounts[j], account) == 0)
				return 0; /* the same grant twice */
		return strv_add(
		    &e->accounts, &e->naccounts, account, strlen(account));
	}
	if (im->n >= IMPORT_MAX_ENTRIES)
		return KP_ERR_TOOBIG;
	if (im->n == im->cap) {
		size_t cap = im->cap == 0 ? 16 : im->cap * 2;

		if ((tmp = reallocarray(im->e, cap, sizeof(*tmp))) == NULL)
			return KP_ERR_NOMEM;
		im->e = tmp;
		im->cap = cap;
	}
	e = &im->e[im->n];
	memset(e, 0, sizeof(*e));
	if ((e->origin = strdup(origin)) == NULL)
		return KP_ERR_NOMEM;
	if ((r = strv_add(
	         &e->accounts, &e->naccounts, account, strlen(account))) != 0) {
		free(e->origin);
		return r;
	}
	e->norigins = 1;
	e->k = *k; /* the entry owns the parsed line now */
	memset(k, 0, sizeof(*k));
	im->n++;
	return 0;
}

int
kp_import_buf(struct kp_import *im, const char *name, const char *account,
    const char *buf, size_t len)
{
	struct kp_authkey k;
	const char *p, *end, *nl, *why;
	char *line = NULL, origin[300], lno[16];
	unsigned ln = 0;
	size_t n, i;
	int r = 0;

	if (im == NULL || name == NULL || account == NULL ||
	    (buf == NULL && len > 0))
		return KP_ERR_ARG;
	if (!kp_account_valid(account))
		return KP_ERR_INVALID;
	if (len == 0)
		return 0; /* nothing to import; buf may be NULL */
	p = buf;
	end = buf + len;
	for (; p < end; p = nl + 1) {
		ln++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		free(line);
		if ((line = strndup(p, n)) == NULL)
			return KP_ERR_NOMEM;
		for (i = 0; line[i] == ' ' || line[i] == '\t'; i++)
			;
		if (line[i] == '\0' || line[i] == '#')
			continue;
		if (memchr(p, '\0', n) != NULL) {
			r = msg(im, name, ln, 1,
			    "NUL byte in the line; not imported", "");
			if (r != 0)
				break;
			continue;
		}
		why = NULL;
		if ((r = kp_authkey_parse(line, &k, &why)) != 0) {
			if (r == KP_ERR_NOMEM)
				break;
			if ((r = msg(im, name, ln, 1,
			         why != NULL ? why : "invalid line", "")) != 0)
				break;
			continue;
		}
		for (i = 0; i < k.ndropped && r == 0; i++)
			r = msg(im, name, ln, 0, k.dropped[i],
			    " is not supported; left out (the key is imported "
			    "without it)");
		snprintf(lno, sizeof(lno), "%u", ln);
		snprintf(origin, sizeof(origin), "%s:%s", name, lno);
		if (r == 0)
			r = add_key(im, &k, account, origin);
		kp_authkey_clear(&k);
		if (r != 0)
			break;
	}
	free(line);
	return r;
}

const struct kp_import_msg *
kp_import_msgs(const struct kp_import *im, size_t *n)
{
	*n = im != NULL ? im->nmsgs : 0;
	return im != NULL ? im->msgs : NULL;
}

size_t
kp_import_nkeys(const struct kp_import *im)
{
	return im != NULL ? im->n : 0;
}

/* ------------------------------------------------------------ output */

/* A YAML double-quoted scalar; values here are clean text already. */
static void
yq(struct kp_buf *b, const char *s)
{
	kp_buf_putc(b, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			kp_buf_printf(b, "\\%c", *s);
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			kp_buf_printf(b, "\\x%02x", (unsigned char)*s);
		else
			kp_buf_putc(b, *s);
	}
	kp_buf_putc(b, '"');
}

/*
 * Text from a file that goes into the policy: the loader refuses control
 * characters and invalid UTF-8, so anything doubtful becomes '?'.
 */
static char *
clean_copy(const char *s, size_t max)
{
	char *c;
	size_t i, n = strlen(s);

	if (n > max)
		n = max;
	if ((c = strndup(s, n)) == NULL)
		return NULL;
	if (kp_value_clean(c, max, NULL))
		return c;
	for (i = 0; c[i] != '\0'; i++)
		if ((unsigned char)c[i] < 0x20 || (unsigned char)c[i] >= 0x7f)
			c[i] = '?';
	return c;
}

/* An id from the key's comment, else its fingerprint. */
static void
base_id(const struct ientry *e, char *out, size_t len)
{
	const char *s = e->k.key->comment;
	size_t i = 0;

	if (s != NULL) {
		for (; *s != '\0' && i + 1 < len && i < 40; s++) {
			char c = *s;

			if (!((c >= 'a' && c <= 'z') ||
			        (c >= 'A' && c <= 'Z') || is_digit(c) ||
			        strchr("._@+-", c) != NULL))
				c = '-';
			if (c == '-' && (i == 0 || out[i - 1] == '-'))
				continue;
			out[i++] = c;
		}
		while (i > 0 && out[i - 1] == '-')
			i--;
	}
	out[i] = '\0';
	if (i == 0) {
		snprintf(out, len, "key-%.10s", e->k.key->fp + 7);
		for (i = 0; out[i] != '\0'; i++)
			if (out[i] == '/')
				out[i] = '_';
	}
}

int
kp_import_yaml(const struct kp_import *im, char **out)
{
	struct kp_strtab ids, owners;
	struct kp_buf b;
	const struct ientry *e;
	char base[64], id[KP_ID_MAX + 1], addr[64], ts[64];
	char **idv = NULL, *owner = NULL, *comment = NULL;
	size_t i, j, k;
	int r = 0;

	if (out != NULL)
		*out = NULL;
	if (im == NULL || out == NULL)
		return KP_ERR_ARG;
	kp_strtab_init(&ids);
	kp_strtab_init(&owners);
	kp_buf_init(&b, KP_ADMIN_OUT_MAX);
	if ((idv = calloc(im->n + 1, sizeof(*idv))) == NULL) {
		r = KP_ERR_NOMEM;
		goto out;
	}
	kp_buf_puts(&b,
	    "# Imported by keyauthctl import. Review every entry "
	    "before installing:\n# set the owners, add expires, "
	    "check from, bump the serial.\nversion: 1\nserial: "
	    "1\n");
	if (im->n > 0)
		kp_buf_puts(&b, "keys:\n");
	for (i = 0; i < im->n && b.err == 0; i++) {
		e = &im->e[i];
		base_id(e, base, sizeof(base));
		snprintf(id, sizeof(id), "%s", base);
		for (k = 2; kp_strtab_get(&ids, id, NULL); k++) {
			if (k == 2)
				snprintf(id, sizeof(id), "%s-%s", base,
				    e->accounts[0]);
			else
				snprintf(id, sizeof(id), "%s-%zu", base, k);
			if (!kp_id_valid(id))
				snprintf(id, sizeof(id), "key-%zu-%zu", i, k);
		}
		if ((idv[i] = strdup(id)) == NULL) {
			r = KP_ERR_NOMEM;
			goto out;
		}
		if ((r = kp_strtab_put(&ids, idv[i], i, NULL)) < 0)
			goto out;
		/* All entries of one key must name the same owner. */
		if (kp_strtab_get(&owners, e->k.key->fp, &j))
			owner = clean_copy(im->owner_from_comment &&
			            im->e[j].k.key->comment != NULL
			        ? im->e[j].k.key->comment
			        : "unknown",
			    256);
		else {
			if ((r = kp_strtab_put(
			         &owners, e->k.key->fp, i, NULL)) < 0)
				goto out;
			owner = clean_copy(
			    im->owner_from_comment && e->k.key->comment != NULL
			        ? e->k.key->comment
			        : "unknown",
			    256);
		}
		if (owner == NULL) {
			r = KP_ERR_NOMEM;
			goto out;
		}
		kp_buf_puts(&b, "  - id: ");
		yq(&b, id);
		kp_buf_puts(&b, "\n    owner: ");
		yq(&b, owner);
		kp_buf_printf(&b, "\n    key: \"%s %s\"\n    accounts: [",
		    e->k.key->type, e->k.key->b64);
		for (j = 0; j < e->naccounts; j++) {
			if (j > 0)
				kp_buf_puts(&b, ", ");
			yq(&b, e->accounts[j]);
		}
		kp_buf_puts(&b, "]\n");
		if (e->k.nsources > 0) {
			kp_buf_puts(&b, "    from: [");
			for (j = 0; j < e->k.nsources; j++) {
				kp_cidr_format(
				    &e->k.sources[j], addr, sizeof(addr));
				if (j > 0)
					kp_buf_puts(&b, ", ");
				yq(&b, addr);
			}
			kp_buf_puts(&b, "]\n");
		}
		if (e->k.expires != KP_TIME_NONE_AFTER) {
			kp_time_format(e->k.expires, ts, sizeof(ts));
			kp_buf_printf(&b, "    expires: %s\n", ts);
		}
		if (e->k.noptions > 0) {
			kp_buf_puts(&b, "    options: [");
			for (j = 0; j < e->k.noptions; j++) {
				if (j > 0)
					kp_buf_puts(&b, ", ");
				yq(&b, e->k.options[j]);
			}
			kp_buf_puts(&b, "]\n");
		}
		if (e->k.command != NULL) {
			kp_buf_puts(&b, "    command: ");
			yq(&b, e->k.command);
			kp_buf_putc(&b, '\n');
		}
		free(comment);
		comment = NULL;
		{
			struct kp_buf cb;

			kp_buf_init(&cb, KP_VALUE_MAX);
			if (e->k.key->comment != NULL)
				kp_buf_printf(&cb, "%s; ", e->k.key->comment);
			kp_buf_printf(&cb, "imported from %s", e->origin);
			if (e->norigins > 1)
				kp_buf_printf(
				    &cb, " and %zu more", e->norigins - 1);
			if (cb.err == KP_ERR_TOOBIG) {
				kp_buf_free(&cb);
				kp_buf_init(&cb, KP_VALUE_MAX);
				kp_buf_puts(&cb, "imported");
			}
			if ((r = kp_buf_take(&cb, &comment, NULL)) != 0)
				goto out;
		}
		free(owner);
		if ((owner = clean_copy(comment, KP_VALUE_MAX)) == NULL) {
			r = KP_ERR_NOMEM;
			goto out;
		}
		kp_buf_puts(&b, "    comment: ");
		yq(&b, owner);
		kp_buf_putc(&b, '\n');
		free(owner);
		owner = NULL;
	}
	if ((r = b.err) != 0)
		goto out;
	r = kp_buf_take(&b, out, NULL); /* the caller's */
out:
	kp_buf_free(&b);
	for (i = 0; idv != NULL && i < im->n; i++)
		free(idv[i]);
	free(idv);
	free(owner);
	free(comment);
	kp_strtab_free(&ids);
	kp_strtab_free(&owners);
	return r;
}
