/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "keyauth.h"
#include "kp-internal.h"

/*
 * sshd parses an authorized_keys line as: options (comma-separated, values
 * in double quotes, \" escaping a quote), a space, the key. Whatever the
 * policy holds, the line we emit must parse back into exactly the options
 * we meant, so every piece is re-checked here, even if the loader already
 * validated it: this is the last gate before sshd.
 */

#define AUTHKEYS_LINE_MAX (4UL * 1024 * 1024)

/* Options that only restrict (or re-enable after "restrict"). */
static const char *const flag_options[] = {
    "restrict",
    "no-port-forwarding",
    "no-agent-forwarding",
    "no-X11-forwarding",
    "no-pty",
    "no-user-rc",
    "no-touch-required",
    "verify-required",
    "port-forwarding",
    "agent-forwarding",
    "X11-forwarding",
    "pty",
    "user-rc",
};

/* Refused with a reason: structured fields or unsupported. */
static const struct {
	const char *prefix;
	const char *why;
} refused_options[] = {
    {"from=",
        "from= is not allowed in options: use the entry's from: "
        "field"},
    {"expiry-time=",
        "expiry-time= is not allowed in options: use the "
        "entry's expires: field"},
    {"command=",
        "command= is not allowed in options: use the entry's "
        "command: field"},
    {"environment=", "environment= is not supported"},
    {"principals=",
        "principals= is for certificates, which are not "
        "supported"},
    {"tunnel=", "tunnel= is not supported"},
    {"cert-authority", "cert-authority is not supported"},
};

static int
port_valid(const char *p, size_t n)
{
	size_t i;
	unsigned long v = 0;

	if (n == 1 && p[0] == '*')
		return 1;
	if (n == 0 || n > 5 || p[0] == '0')
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/* A DNS name or an IPv4 literal (a name of digits and dots must be one). */
static int
host_valid(const char *h, size_t n)
{
	char tmp[256];
	struct kp_cidr c;
	size_t i, label = 0;
	int alldigits = 1;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		if (h[i] == '.') {
			if (label == 0 || h[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!((h[i] >= 'a' && h[i] <= 'z') ||
		        (h[i] >= 'A' && h[i] <= 'Z') ||
		        (h[i] >= '0' && h[i] <= '9') || h[i] == '-'))
			return 0;
		if (h[i] < '0' || h[i] > '9')
			alldigits = 0;
		if ((label == 0 && h[i] == '-') || ++label > 63)
			return 0;
	}
	if (label == 0 || h[n - 1] == '-')
		return 0;
	if (alldigits) {
		memcpy(tmp, h, n);
		tmp[n] = '\0';
		return kp_addr_parse(tmp, &c, NULL) == 0 && c.family == 4;
	}
	return 1;
}

/* "host:port" or "[v6]:port", nothing else. */
static int
hostport_valid(const char *s, size_t n)
{
	char tmp[64];
	struct kp_cidr c;
	const char *colon;
	size_t hl;

	if (n > 0 && s[0] == '[') {
		const char *rb = memchr(s, ']', n);

		if (rb == NULL || rb + 1 >= s + n || rb[1] != ':')
			return 0;
		hl = (size_t)(rb - s - 1);
		if (hl == 0 || hl >= sizeof(tmp) ||
		    memchr(s + 1, ':', hl) == NULL)
			return 0;
		memcpy(tmp, s + 1, hl);
		tmp[hl] = '\0';
		if (kp_addr_parse(tmp, &c, NULL) != 0)
			return 0;
		return port_valid(rb + 2, n - hl - 3);
	}
	if ((colon = memchr(s, ':', n)) == NULL)
		return 0;
	hl = (size_t)(colon - s);
	return host_valid(s, hl) && port_valid(colon + 1, n - hl - 1);
}

int
kp_option_allowed(const char *opt, const char **why)
{
	size_t i, n, pl;

	if (opt == NULL || opt[0] == '\0')
		KP_FAIL(why, "empty option", 0);
	if (!kp_value_clean(opt, KP_VALUE_MAX, why))
		return 0;
	n = strlen(opt);
	/* sshd matches option names without regard to case. */
	for (i = 0; i < sizeof(flag_options) / sizeof(flag_options[0]); i++) {
		if (strcasecmp(opt, flag_options[i]) == 0)
			return 1;
	}
	for (i = 0; i < 2; i++) {
		const char *name = i == 0 ? "permitopen=" : "permitlisten=";

		pl = strlen(name);
		if (strncasecmp(opt, name, pl) != 0)
			continue;
		if (n < pl + 2 || opt[pl] != '"' || opt[n - 1] != '"' ||
		    !hostport_valid(opt + pl + 1, n - pl - 2))
			KP_FAIL(why,
			    i == 0 ? "permitopen wants \"host:port\" (port "
			             "1-65535 or "
			             "*, IPv6 in [brackets])"
			           : "permitlisten wants \"host:port\" (port "
			             "1-65535 "
			             "or *, IPv6 in [brackets])",
			    0);
		return 1;
	}
	for (i = 0; i < sizeof(refused_options) / sizeof(refused_options[0]);
	     i++) {
		pl = strlen(refused_options[i].prefix);
		if (strncasecmp(opt, refused_options[i].prefix, pl) == 0)
			KP_FAIL(why, refused_options[i].why, 0);
	}
	if (strchr(opt, ',') != NULL)
		KP_FAIL(why, "one option per list item (no commas)", 0);
	if (strchr(opt, '"') != NULL)
		KP_FAIL(why,
		    "quotes are only allowed in permitopen=\"...\" "
		    "and permitlisten=\"...\"",
		    0);
	if (strchr(opt, ' ') != NULL)
		KP_FAIL(why, "spaces are not allowed in an option", 0);
	KP_FAIL(why, "unknown or not allow-listed option", 0);
}

static int
b64_text_valid(const char *b64)
{
	uint8_t *blob = NULL;
	size_t len, n;
	int r;

	if ((n = strnlen(b64, KP_KEYLINE_MAX + 1)) == 0 || n > KP_KEYLINE_MAX)
		return KP_ERR_INVALID;
	r = kp_b64_decode(b64, n, &blob, &len, NULL, NULL);
	free(blob);
	return r;
}

static int
command_valid(const char *cmd)
{
	size_t n;

	if (!kp_value_clean(cmd, KP_VALUE_MAX, NULL))
		return 0;
	if ((n = strlen(cmd)) == 0 || strchr(cmd, '"') != NULL)
		return 0;
	/* sshd reads \" as a quote: a trailing '\' would eat our closing one */
	if (cmd[n - 1] == '\\')
		return 0;
	return 1;
}

int
kp_authkeys_line(const char *type, const char *b64, const char *id,
    const struct kp_cidr *sources, size_t nsources, int64_t expires,
    const char *const *options, size_t noptions, const char *command,
    char **out)
{
	struct kp_buf b;
	struct kp_civil c;
	char addr[INET6_ADDRSTRLEN + 8];
	size_t i;
	int r, nopt = 0;

	if (out == NULL)
		return KP_ERR_ARG;
	*out = NULL;
	if (type == NULL || b64 == NULL || id == NULL ||
	    (nsources > 0 && sources == NULL) ||
	    (noptions > 0 && options == NULL))
		return KP_ERR_ARG;
	if (!kp_key_type_supported(type) || b64_text_valid(b64) != 0 ||
	    !kp_id_valid(id))
		return KP_ERR_INVALID;
	for (i = 0; i < nsources; i++) {
		if (!((sources[i].family == 4 && sources[i].prefix <= 32) ||
		        (sources[i].family == 6 && sources[i].prefix <= 128)))
			return KP_ERR_INVALID;
	}
	for (i = 0; i < noptions; i++) {
		if (!kp_option_allowed(options[i], NULL))
			return KP_ERR_INVALID;
	}
	if (command != NULL && !command_valid(command))
		return KP_ERR_INVALID;

	kp_buf_init(&b, AUTHKEYS_LINE_MAX);
	if (nsources > 0) {
		kp_buf_puts(&b, "from=\"");
		for (i = 0; i < nsources; i++) {
			kp_cidr_format(&sources[i], addr, sizeof(addr));
			if (i > 0)
				kp_buf_putc(&b, ',');
			kp_buf_puts(&b, addr);
		}
		kp_buf_putc(&b, '"');
		nopt++;
	}
	if (expires != KP_TIME_NONE_AFTER) {
		kp_time_civil(expires, &c);
		if (c.year < KP_TIME_YEAR_MIN || c.year > KP_TIME_YEAR_MAX) {
			kp_buf_free(&b);
			return KP_ERR_INVALID;
		}
		kp_buf_printf(&b, "%sexpiry-time=\"%04d%02d%02d%02d%02d%02dZ\"",
		    nopt++ ? "," : "", (int)c.year, c.mon, c.mday, c.hour,
		    c.min, c.sec);
	}
	for (i = 0; i < noptions; i++) {
		if (nopt++)
			kp_buf_putc(&b, ',');
		kp_buf_puts(&b, options[i]);
	}
	if (command != NULL)
		kp_buf_printf(
		    &b, "%scommand=\"%s\"", nopt++ ? "," : "", command);
	if (nopt)
		kp_buf_putc(&b, ' ');
	kp_buf_printf(&b, "%s %s keyauth:%s", type, b64, id);
	/* the line is the caller's */
	if ((r = kp_buf_take(&b, out, NULL)) != 0)
		return r;
	return 0;
}

/* ------------------------------------------------------------- parsing */

/*
 * kp_authkey_parse reads a line as sshd does, and keeps only what keyauth
 * can express without widening access: a restriction it cannot carry over
 * refuses the line (the caller, keyauthctl import, reports it), and an
 * option whose loss only takes something away (environment=) is dropped
 * and named in k->dropped.
 */

/* Lines longer than this are refused (sshd's own limit is lower still). */
#define AUTHKEY_PARSE_MAX (64 * 1024)

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

/* The number of the n digits at s. */
static int
digits(const char *s, size_t n)
{
	int v = 0;

	while (n-- > 0)
		v = v * 10 + (*s++ - '0');
	return v;
}

/*
 * sshd's expiry-time: YYYYMMDD[Z] or YYYYMMDDHHMM[SS][Z]; without Z it
 * is the system's local time.
 */
static int
parse_expiry(const char *v, int64_t *out)
{
	char iso[64];
	size_t n = strlen(v), i;
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
	Y = digits(v, 4);
	M = digits(v + 4, 2);
	D = digits(v + 6, 2);
	if (n >= 12) {
		h = digits(v + 8, 2);
		m = digits(v + 10, 2);
	}
	if (n == 14)
		s = digits(v + 12, 2);
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

/* The options of one line as they are read. */
struct optstate {
	struct kp_authkey *k;
	int have_command, have_from;
};

/* A flag (an option without a value): kept as written if allow-listed. */
static int
opt_flag(struct optstate *o, const char *name, size_t nl, const char **why)
{
	char opt[KP_VALUE_MAX + 32];

	if (nl == strlen("cert-authority") &&
	    strncasecmp(name, "cert-authority", nl) == 0)
		KP_FAIL(why,
		    "cert-authority: a certificate authority, not a user key; "
		    "not imported",
		    KP_ERR_INVALID);
	if (nl >= sizeof(opt))
		KP_FAIL(why, "option too long", KP_ERR_INVALID);
	memcpy(opt, name, nl);
	opt[nl] = '\0';
	if (!kp_option_allowed(opt, NULL))
		KP_FAIL(why,
		    "unknown option (sshd refuses the whole line); not "
		    "imported",
		    KP_ERR_INVALID);
	return strv_add(&o->k->options, &o->k->noptions, name, nl);
}

static int
opt_from(struct optstate *o, const char *name, size_t nl, const char *val,
    const char **why)
{
	if (o->have_from)
		KP_FAIL(why, "from= given twice; not imported", KP_ERR_INVALID);
	o->have_from = 1;
	return parse_from(o->k, val, why);
}

static int
opt_expiry(struct optstate *o, const char *name, size_t nl, const char *val,
    const char **why)
{
	int64_t t;

	if (parse_expiry(val, &t) != 0)
		KP_FAIL(why,
		    "expiry-time= is not YYYYMMDD[Z] or YYYYMMDDHHMM[SS][Z]; "
		    "not imported",
		    KP_ERR_INVALID);
	if (t < o->k->expires)
		o->k->expires = t; /* sshd honours the earliest */
	return 0;
}

/* The same rule as the emitter's: command_valid() above. */
static int
opt_command(struct optstate *o, const char *name, size_t nl, const char *val,
    const char **why)
{
	if (o->have_command)
		KP_FAIL(
		    why, "command= given twice; not imported", KP_ERR_INVALID);
	o->have_command = 1;
	if (!command_valid(val))
		KP_FAIL(why,
		    "command= is empty or holds a quote, a trailing "
		    "backslash or a control character, which keyauth "
		    "cannot express; not imported",
		    KP_ERR_INVALID);
	if ((o->k->command = strdup(val)) == NULL)
		return KP_ERR_NOMEM;
	return 0;
}

/* permitopen="h:p", permitlisten="h:p": kept, written as sshd reads it. */
static int
opt_permit(struct optstate *o, const char *name, size_t nl, const char *val,
    const char **why)
{
	char opt[KP_VALUE_MAX + 32];

	snprintf(opt, sizeof(opt), "%.*s=\"%s\"", (int)nl, name, val);
	if (strlen(val) > KP_VALUE_MAX || !kp_option_allowed(opt, NULL))
		KP_FAIL(why,
		    "permitopen/permitlisten value keyauth cannot "
		    "express (host:port); not imported",
		    KP_ERR_INVALID);
	return strv_add(&o->k->options, &o->k->noptions, opt, strlen(opt));
}

/* Leaving environment= out takes something away; it grants nothing. */
static int
opt_environment(struct optstate *o, const char *name, size_t nl,
    const char *val, const char **why)
{
	char opt[KP_VALUE_MAX + 32];

	snprintf(opt, sizeof(opt), "%.*s=\"...\"", (int)nl, name);
	return strv_add(&o->k->dropped, &o->k->ndropped, opt, strlen(opt));
}

/* The options that take a value; apply NULL: the line is refused. */
static const struct {
	const char *name;
	int (*apply)(struct optstate *o, const char *name, size_t nl,
	    const char *val, const char **why);
	const char *refusal;
} value_options[] = {
    {"from", opt_from, NULL},
    {"expiry-time", opt_expiry, NULL},
    {"command", opt_command, NULL},
    {"permitopen", opt_permit, NULL},
    {"permitlisten", opt_permit, NULL},
    {"environment", opt_environment, NULL},
    {"tunnel", NULL,
        "tunnel= restricts the key and is not supported; not imported"},
    {"principals", NULL,
        "principals= is for certificates, which are not supported; not "
        "imported"},
};

/* One option with its dequoted value; val NULL for a flag. */
static int
apply_option(struct optstate *o, const char *name, size_t nl, const char *val,
    const char **why)
{
	size_t i;

	if (val == NULL)
		return opt_flag(o, name, nl, why);
	for (i = 0; i < sizeof(value_options) / sizeof(value_options[0]); i++) {
		if (nl != strlen(value_options[i].name) ||
		    strncasecmp(name, value_options[i].name, nl) != 0)
			continue;
		if (value_options[i].apply == NULL)
			KP_FAIL(why, value_options[i].refusal, KP_ERR_INVALID);
		return value_options[i].apply(o, name, nl, val, why);
	}
	KP_FAIL(why,
	    "unknown option (sshd refuses the whole line); not imported",
	    KP_ERR_INVALID);
}

/* The quoted value at *sp (just after '='), \" unescaped; *sp past it. */
static int
option_value(const char **sp, char **out, const char **why)
{
	const char *s = *sp;
	char *val;
	size_t vl;

	*out = NULL;
	if (*s != '"')
		KP_FAIL(why, "option value without quotes", KP_ERR_INVALID);
	s++;
	if ((val = malloc(strlen(s) + 1)) == NULL)
		return KP_ERR_NOMEM;
	for (vl = 0; *s != '"'; s++) {
		if (*s == '\0') {
			free(val);
			KP_FAIL(why, "unterminated quote", KP_ERR_INVALID);
		}
		if (s[0] == '\\' && s[1] == '"')
			s++;
		val[vl++] = *s;
	}
	val[vl] = '\0';
	*sp = s + 1;
	*out = val;
	return 0;
}

/* Options as sshd reads them: name[="value"], comma-separated. */
static int
parse_options(struct kp_authkey *k, const char **sp, const char **why)
{
	struct optstate o;
	const char *s = *sp, *name;
	char *val = NULL;
	size_t nl;
	int r;

	memset(&o, 0, sizeof(o));
	o.k = k;
	for (;;) {
		name = s;
		while (*s != '\0' && *s != '=' && *s != ',' && *s != ' ' &&
		    *s != '\t')
			s++;
		if ((nl = (size_t)(s - name)) == 0)
			KP_FAIL(why, "empty option", KP_ERR_INVALID);
		if (*s == '=') {
			s++;
			if ((r = option_value(&s, &val, why)) != 0)
				return r;
		}
		r = apply_option(&o, name, nl, val, why);
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

/* Length of the word at s (up to a blank or the end). */
static size_t
word(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0' && s[n] != ' ' && s[n] != '\t')
		n++;
	return n;
}

static const char *
skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* "TYPE BASE64 [COMMENT]" at s into k->key; the comment is the rest. */
static int
parse_key_words(struct kp_authkey *k, const char *s, const char **why)
{
	const char *b;
	char *kl;
	size_t tl, bl;
	int r;

	tl = word(s);
	b = skip_blanks(s + tl);
	bl = word(b);
	if (tl == 0 || bl == 0)
		KP_FAIL(
		    why, "no key type and base64 on the line", KP_ERR_INVALID);
	if ((kl = malloc(tl + bl + 2)) == NULL)
		return KP_ERR_NOMEM;
	memcpy(kl, s, tl);
	kl[tl] = ' ';
	memcpy(kl + tl + 1, b, bl);
	kl[tl + 1 + bl] = '\0';
	r = kp_pubkey_parse_line(kl, &k->key, why, NULL);
	free(kl);
	if (r != 0)
		return r;
	/* The comment, as the rest of the line: kept for the reviewer. */
	b = skip_blanks(b + bl);
	free(k->key->comment);
	k->key->comment = NULL;
	if (*b != '\0' && (k->key->comment = strdup(b)) == NULL)
		return KP_ERR_NOMEM;
	return 0;
}

int
kp_authkey_parse(const char *line, struct kp_authkey *out, const char **why)
{
	struct kp_authkey k;
	const char *s;
	int r;

	if (why != NULL)
		*why = NULL;
	if (out == NULL || line == NULL)
		return KP_ERR_ARG;
	memset(out, 0, sizeof(*out));
	out->expires = KP_TIME_NONE_AFTER;
	memset(&k, 0, sizeof(k));
	k.expires = KP_TIME_NONE_AFTER;
	if (strlen(line) > AUTHKEY_PARSE_MAX)
		KP_FAIL(why, "line too long", KP_ERR_TOOBIG);
	s = skip_blanks(line);
	if (!key_type_word(s, word(s)) && (r = parse_options(&k, &s, why)) != 0)
		goto out;
	if ((r = parse_key_words(&k, skip_blanks(s), why)) != 0)
		goto out;
	*out = k; /* ownership to the caller */
	memset(&k, 0, sizeof(k));
out:
	kp_authkey_clear(&k);
	return r;
}
