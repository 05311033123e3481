/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * keyauth.conf: the server's own settings for signed policies, the
 * mass-removal guard and fetch (docs/man/keyauth.conf.5, docs/fleet.md).
 *
 * Strict, like the policy: "key = value" lines, '#' comment lines and
 * blank lines, nothing else. An unknown key, a key given twice, an empty
 * or bad value is an error naming the line, never a default, because the
 * file decides who may change root's access on this host. It must be
 * owned by root and writable by nobody else, as sshd_config.
 *
 * The keys are a table (conf_keys below): a row names a key and the
 * function that parses its value; tests/man/coverage.sh reads the table
 * and checks every key against the manual page.
 */

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyauth-policy.h"
#include "kp-internal.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
/* A line longer than this is not a setting. */
#define CONF_LINE_MAX 4096
#define CONF_URL_MAX 2048

struct conf_key;
typedef int (*conf_set_fn)(const struct conf_key *k, const char *v,
    struct kp_conf *c, char *why, size_t whylen);

struct conf_key {
	const char *name;
	conf_set_fn set;
	size_t off;
};

static void whyf(char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
whyf(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

static void *
member(struct kp_conf *c, size_t off)
{
	return (char *)c + off;
}

/* An absolute path of printable characters without spaces. */
static int
set_path(const struct conf_key *k, const char *v, struct kp_conf *c, char *why,
    size_t whylen)
{
	char **dst = member(c, k->off);
	const char *s;

	if (v[0] != '/') {
		whyf(why, whylen, "%s must be an absolute path, not '%s'",
		    k->name, v);
		return KP_ERR_INVALID;
	}
	for (s = v; *s != '\0'; s++) {
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f) {
			whyf(why, whylen,
			    "%s: a path of printable characters without "
			    "spaces is expected",
			    k->name);
			return KP_ERR_INVALID;
		}
	}
	if (strlen(v) >= 4096) {
		whyf(why, whylen, "%s: path too long", k->name);
		return KP_ERR_INVALID;
	}
	if ((*dst = strdup(v)) == NULL)
		return KP_ERR_NOMEM;
	return 0;
}

/* A decimal integer lo..hi without sign or leading zero. */
static int
parse_uint(const char *v, unsigned long long hi, unsigned long long *out)
{
	unsigned long long x = 0;
	const char *s;

	if (v[0] < '0' || v[0] > '9' ||
	    (v[0] == '0' && v[1] >= '0' && v[1] <= '9'))
		return -1;
	for (s = v; *s >= '0' && *s <= '9'; s++) {
		if (x > (hi - (unsigned)(*s - '0')) / 10)
			return -1;
		x = x * 10 + (unsigned)(*s - '0');
	}
	*out = x;
	return s - v;
}

static int
set_signatures(const struct conf_key *k, const char *v, struct kp_conf *c,
    char *why, size_t whylen)
{
	unsigned long long x;
	int n;

	n = parse_uint(v, KP_CONF_SIGNATURES_MAX, &x);
	if (n <= 0 || v[n] != '\0' || x < 1) {
		whyf(why, whylen,
		    "%s must be a number of signatures from 1 to %d, not '%s' "
		    "(leave the key out to install unsigned policies)",
		    k->name, KP_CONF_SIGNATURES_MAX, v);
		return KP_ERR_INVALID;
	}
	c->signatures = (unsigned)x;
	return 0;
}

/* N followed by one unit: s, m, h, d or w ("30d", "12h"). */
static int
set_duration(const struct conf_key *k, const char *v, struct kp_conf *c,
    char *why, size_t whylen)
{
	static const struct {
		char unit;
		int64_t secs;
	} units[] = {
	    {'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}};
	int64_t *dst = member(c, k->off);
	unsigned long long x;
	size_t i;
	int n;

	n = parse_uint(v, (unsigned long long)KP_CONF_MAX_VALIDITY_MAX, &x);
	if (n > 0 && v[n] != '\0' && v[n + 1] == '\0') {
		for (i = 0; i < NELEM(units); i++) {
			if (v[n] != units[i].unit)
				continue;
			if (x >= 1 &&
			    x <= (unsigned long long)(KP_CONF_MAX_VALIDITY_MAX /
			             units[i].secs)) {
				*dst = (int64_t)x * units[i].secs;
				return 0;
			}
		}
	}
	whyf(why, whylen,
	    "%s must be a duration such as 30d, 12h, 90m or 3600s (at most "
	    "%lldd), not '%s'",
	    k->name, (long long)(KP_CONF_MAX_VALIDITY_MAX / 86400), v);
	return KP_ERR_INVALID;
}

/* A percentage 0..100, with its sign: "50%". */
static int
set_percent(const struct conf_key *k, const char *v, struct kp_conf *c,
    char *why, size_t whylen)
{
	unsigned *dst = member(c, k->off);
	unsigned long long x;
	int n;

	n = parse_uint(v, 100, &x);
	if (n <= 0 || strcmp(v + n, "%") != 0) {
		whyf(why, whylen,
		    "%s must be a percentage from 0%% to 100%%, such as 50%%, "
		    "not '%s'",
		    k->name, v);
		return KP_ERR_INVALID;
	}
	*dst = (unsigned)x;
	return 0;
}

/*
 * An http:// or https:// URL of the policy file: printable, no spaces,
 * a host, and a path that names a file (the signatures are fetched
 * beside it).
 */
static int
set_url(const struct conf_key *k, const char *v, struct kp_conf *c, char *why,
    size_t whylen)
{
	char **dst = member(c, k->off);
	const char *why_url = NULL;

	if (!kp_fetch_url_valid(v, &why_url)) {
		whyf(why, whylen, "%s: '%.200s' %s", k->name, v,
		    why_url != NULL ? why_url : "is not a usable URL");
		return KP_ERR_INVALID;
	}
	if ((*dst = strdup(v)) == NULL)
		return KP_ERR_NOMEM;
	return 0;
}

#define CONF(m) offsetof(struct kp_conf, m)

/* One row per key (docs/man/keyauth.conf.5). */
static const struct conf_key conf_keys[] = {
    {"allowed_signers", set_path, CONF(allowed_signers)},
    {"revoked_signers", set_path, CONF(revoked_signers)},
    {"signatures", set_signatures, CONF(signatures)},
    {"max_validity", set_duration, CONF(max_validity)},
    {"max_removal", set_percent, CONF(max_removal)},
    {"source", set_url, CONF(source)},
};

int
kp_fetch_url_valid(const char *url, const char **why)
{
	const char *host = NULL, *path, *s;
	size_t n;

	KP_WHY(why, NULL);
	if (url == NULL)
		KP_FAIL(why, "is missing", 0);
	n = strlen(url);
	if (n > CONF_URL_MAX)
		KP_FAIL(why, "is too long", 0);
	for (s = url; *s != '\0'; s++) {
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			KP_FAIL(why,
			    "holds a space or a character that is not "
			    "printable ASCII",
			    0);
	}
	if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else
		KP_FAIL(why, "is not an http:// or https:// URL", 0);
	if ((path = strchr(host, '/')) == NULL || path == host)
		KP_FAIL(why, "has no host or no path to the policy file", 0);
	if (strpbrk(url, "?#") != NULL)
		KP_FAIL(why,
		    "has a query or fragment (the signatures are fetched "
		    "beside the policy's own path)",
		    0);
	if (url[n - 1] == '/')
		KP_FAIL(why, "ends in '/': it must name the policy file", 0);
	return 1;
}

void
kp_conf_init(struct kp_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->max_validity = KP_CONF_DEFAULT_MAX_VALIDITY;
	c->max_removal = KP_CONF_DEFAULT_MAX_REMOVAL;
}

void
kp_conf_clear(struct kp_conf *c)
{
	if (c == NULL)
		return;
	free(c->allowed_signers);
	free(c->revoked_signers);
	free(c->source);
	free(c->path);
	kp_conf_init(c);
}

size_t
kp_conf_nkeys(void)
{
	return NELEM(conf_keys);
}

const char *
kp_conf_key_name(size_t i)
{
	return i < NELEM(conf_keys) ? conf_keys[i].name : NULL;
}

static int conf_err(struct kp_diag *d, unsigned line, int r, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static int
conf_err(struct kp_diag *d, unsigned line, int r, const char *fmt, ...)
{
	va_list ap;

	d->line = line;
	d->column = 0;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	return r;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* The rules between keys, once the file is read. */
static int
conf_rules(const struct kp_conf *c, const unsigned *seen, struct kp_diag *d)
{
	/* seen[] holds the line of each key in conf_keys order, 0: absent. */
	if (c->signatures > 0 && c->allowed_signers == NULL)
		return conf_err(d, seen[2], KP_ERR_INVALID,
		    "signatures = %u needs allowed_signers: the keys whose "
		    "signatures count",
		    c->signatures);
	if (c->allowed_signers != NULL && c->signatures == 0)
		return conf_err(d, seen[0], KP_ERR_INVALID,
		    "allowed_signers is set but signatures is not: set "
		    "signatures = 1 (or more) to require signed policies");
	if (c->revoked_signers != NULL && c->allowed_signers == NULL)
		return conf_err(d, seen[1], KP_ERR_INVALID,
		    "revoked_signers needs allowed_signers and signatures");
	return 0;
}

int
kp_conf_parse(const char *name, const char *buf, size_t len,
    struct kp_conf *out, struct kp_diag *diag)
{
	struct kp_diag dummy;
	unsigned seen[NELEM(conf_keys)] = {0}, lineno = 0;
	char line[CONF_LINE_MAX + 1], why[KP_DIAG_MSG_MAX - 64], list[256];
	const char *p, *end, *nl, *key, *val, *clean_why = NULL;
	size_t n, i, klen;
	char *eq, *e;
	int r;

	if (diag == NULL)
		diag = &dummy;
	memset(diag, 0, sizeof(*diag));
	if (name != NULL)
		snprintf(diag->file, sizeof(diag->file), "%s", name);
	if (out == NULL || (buf == NULL && len != 0))
		return KP_ERR_ARG;
	kp_conf_init(out);
	if (len > KP_CONF_MAX_BYTES)
		return conf_err(diag, 0, KP_ERR_TOOBIG,
		    "too large (%zu bytes, at most %d)", len,
		    KP_CONF_MAX_BYTES);
	if (len > 0 && memchr(buf, '\0', len) != NULL)
		return conf_err(diag, 0, KP_ERR_INVALID,
		    "holds a NUL byte: not a text file");
	for (p = buf, end = buf + len; p < end; p = nl + 1) {
		lineno++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n > CONF_LINE_MAX) {
			r = conf_err(diag, lineno, KP_ERR_INVALID,
			    "line longer than %d bytes", CONF_LINE_MAX);
			goto fail;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		/* A tab is blank space here, every other control a mistake. */
		for (e = line; *e != '\0'; e++)
			if (*e == '\t')
				*e = ' ';
		if (!kp_value_clean(line, CONF_LINE_MAX, &clean_why)) {
			r = conf_err(diag, lineno, KP_ERR_INVALID, "%s",
			    clean_why != NULL ? clean_why : "not clean text");
			goto fail;
		}
		for (key = line; is_space(*key); key++)
			;
		if (*key == '\0' || *key == '#')
			continue;
		if ((eq = strchr(key, '=')) == NULL) {
			r = conf_err(diag, lineno, KP_ERR_INVALID,
			    "expected 'key = value', got '%.200s'", key);
			goto fail;
		}
		for (e = eq; e > key && is_space(e[-1]); e--)
			;
		klen = (size_t)(e - key);
		for (val = eq + 1; is_space(*val); val++)
			;
		for (e = line + n; e > val && is_space(e[-1]); e--)
			;
		*e = '\0';
		for (i = 0; i < NELEM(conf_keys); i++) {
			if (strlen(conf_keys[i].name) == klen &&
			    strncmp(conf_keys[i].name, key, klen) == 0)
				break;
		}
		if (i == NELEM(conf_keys)) {
			list[0] = '\0';
			for (size_t j = 0; j < NELEM(conf_keys); j++) {
				strncat(list, j > 0 ? ", " : "",
				    sizeof(list) - strlen(list) - 1);
				strncat(list, conf_keys[j].name,
				    sizeof(list) - strlen(list) - 1);
			}
			r = conf_err(diag, lineno, KP_ERR_INVALID,
			    "unknown key '%.*s' (expected one of: %s)",
			    (int)(klen > 64 ? 64 : klen), key, list);
			goto fail;
		}
		if (seen[i] != 0) {
			r = conf_err(diag, lineno, KP_ERR_INVALID,
			    "%s is given twice (first at line %u)",
			    conf_keys[i].name, seen[i]);
			goto fail;
		}
		seen[i] = lineno;
		if (*val == '\0') {
			r = conf_err(diag, lineno, KP_ERR_INVALID,
			    "%s has no value; leave the key out for its "
			    "default",
			    conf_keys[i].name);
			goto fail;
		}
		why[0] = '\0';
		if ((r = conf_keys[i].set(
		         &conf_keys[i], val, out, why, sizeof(why))) != 0) {
			if (r == KP_ERR_NOMEM)
				conf_err(diag, lineno, r, "out of memory");
			else
				conf_err(diag, lineno, r, "%s", why);
			goto fail;
		}
	}
	if ((r = conf_rules(out, seen, diag)) != 0)
		goto fail;
	return 0;
fail:
	kp_conf_clear(out);
	return r;
}

int
kp_conf_load(const char *path, uid_t allow_uid, struct kp_conf *out,
    struct kp_diag *diag)
{
	struct kp_diag dummy;
	const char *why = NULL;
	char *buf = NULL;
	size_t len = 0;
	int r;

	if (diag == NULL)
		diag = &dummy;
	memset(diag, 0, sizeof(*diag));
	if (out != NULL)
		kp_conf_init(out);
	if (path == NULL || out == NULL)
		return KP_ERR_ARG;
	snprintf(diag->file, sizeof(diag->file), "%s", path);
	r = kp_file_read_safe(
	    path, KP_CONF_MAX_BYTES, allow_uid, &buf, &len, &why);
	if (r == KP_ERR_NOTFOUND)
		return 0; /* no file: the defaults, unsigned installs */
	if (r != 0) {
		if (r == KP_ERR_TOOBIG)
			conf_err(diag, 0, r, "too large (at most %d bytes)",
			    KP_CONF_MAX_BYTES);
		else if (r == KP_ERR_IO)
			conf_err(diag, 0, r, "%s: %s",
			    why != NULL ? why : "cannot read", strerror(errno));
		else
			conf_err(diag, 0, r, "%s; refusing it",
			    why != NULL ? why : kp_strerror(r));
		return r;
	}
	r = kp_conf_parse(path, buf, len, out, diag);
	free(buf);
	if (r == 0) {
		out->present = 1;
		if ((out->path = strdup(path)) == NULL) {
			kp_conf_clear(out);
			return KP_ERR_NOMEM;
		}
	}
	return r;
}
