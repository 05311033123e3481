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
    /*
     * sshd reads principals= only on a cert-authority line, and keyauth
     * writes that line itself, from an authority (docs/certificates.md).
     */
    {"principals=",
        "principals= only means something for certificates, on a "
        "cert-authority line: use an authority's principals: field"},
    {"tunnel=", "tunnel= is not supported"},
    {"cert-authority",
        "cert-authority is not supported in options: a CA goes under "
        "authorities:, whose lines say cert-authority"},
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

/* ------------------------------------------- what sshd makes of options */

/*
 * sshd reads a key's options left to right (auth-options.c): "restrict"
 * turns every restriction on (and forbids tunnels, which nothing turns
 * back on), a later re-enabling word turns one thing on again, a no- word
 * turns it off. Order matters: [port-forwarding, restrict] forbids
 * forwarding, [restrict, port-forwarding] allows it. kp_optset_read
 * computes the outcome once; the emitter writes lines from it, diff
 * compares it, and the loader refuses lists whose words a reader would
 * take for something else (KP_OPTSET_STRICT).
 */

/* The things one pair of words switches, in sshd's order. */
static const struct {
	const char *on; /* re-enables it after restrict */
	const char *off;
	unsigned bit; /* in kp_optset.deny when off */
} switches[] = {
    {"port-forwarding", "no-port-forwarding", KP_OPT_NO_PORT_FORWARDING},
    {"agent-forwarding", "no-agent-forwarding", KP_OPT_NO_AGENT_FORWARDING},
    {"X11-forwarding", "no-X11-forwarding", KP_OPT_NO_X11_FORWARDING},
    {"pty", "no-pty", KP_OPT_NO_PTY},
    {"user-rc", "no-user-rc", KP_OPT_NO_USER_RC},
};

#define NSWITCHES (sizeof(switches) / sizeof(switches[0]))
#define RESTRICT_ALL \
	(KP_OPT_NO_PORT_FORWARDING | KP_OPT_NO_AGENT_FORWARDING | \
	    KP_OPT_NO_X11_FORWARDING | KP_OPT_NO_PTY | KP_OPT_NO_USER_RC | \
	    KP_OPT_NO_TUNNEL)

/* "permitopen" (1), "permitlisten" (2) for such an option, else 0. */
static int
permit_kind(const char *opt)
{
	if (strncasecmp(opt, "permitopen=", 11) == 0)
		return 1;
	if (strncasecmp(opt, "permitlisten=", 13) == 0)
		return 2;
	return 0;
}

/* The quoted value of a permit option: "host:port" with its quotes. */
static const char *
permit_value(const char *opt)
{
	return strchr(opt, '=') + 1;
}

static int
problem(struct kp_optset_problem *pb, int what, size_t bad, size_t other)
{
	if (pb != NULL) {
		pb->what = what;
		pb->bad = bad;
		pb->other = other;
	}
	return KP_ERR_INVALID;
}

/* Index of the first of o[0..n) equal to word (ignoring case), or n. */
static size_t
find_word(const char *const *o, size_t n, const char *word)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(o[i], word) == 0)
			return i;
	return n;
}

int
kp_optset_read(const char *const *options, size_t n, unsigned flags,
    struct kp_optset *out, struct kp_optset_problem *pb)
{
	int strict = (flags & KP_OPTSET_STRICT) != 0, restricted = 0;
	size_t i, j, k;
	const char *o;

	if (pb != NULL)
		memset(pb, 0, sizeof(*pb));
	if (out == NULL || (n > 0 && options == NULL))
		return KP_ERR_ARG;
	memset(out, 0, sizeof(*out));
	out->deny = KP_OPT_TOUCH_REQUIRED; /* sshd's default */
	out->options = options;
	out->noptions = n;
	for (i = 0; i < n; i++) {
		o = options[i];
		if (o == NULL || !kp_option_allowed(o, NULL))
			return problem(pb, KP_OPTSET_UNKNOWN, i, i);
		if (permit_kind(o) != 0)
			continue; /* a set: order does not matter */
		if (strict && (j = find_word(options, i, o)) < i)
			return problem(pb, KP_OPTSET_TWICE, i, j);
		if (strcasecmp(o, "restrict") == 0) {
			out->deny |= RESTRICT_ALL;
			restricted = 1;
			continue;
		}
		if (strcasecmp(o, "no-touch-required") == 0) {
			out->deny &= ~(unsigned)KP_OPT_TOUCH_REQUIRED;
			continue;
		}
		if (strcasecmp(o, "verify-required") == 0) {
			out->deny |= KP_OPT_VERIFY_REQUIRED;
			continue;
		}
		for (k = 0; k < NSWITCHES; k++) {
			if (strcasecmp(o, switches[k].on) == 0) {
				if (strict && !restricted)
					return problem(
					    pb, KP_OPTSET_NEEDS_RESTRICT, i, i);
				j = find_word(options, i, switches[k].off);
				if (strict && j < i)
					return problem(
					    pb, KP_OPTSET_CONTRADICTS, i, j);
				out->deny &= ~switches[k].bit;
				break;
			}
			if (strcasecmp(o, switches[k].off) == 0) {
				j = find_word(options, i, switches[k].on);
				if (strict && j < i)
					return problem(
					    pb, KP_OPTSET_CONTRADICTS, i, j);
				out->deny |= switches[k].bit;
				break;
			}
		}
		if (k == NSWITCHES)
			return problem(pb, KP_OPTSET_UNKNOWN, i, i);
	}
	return 0;
}

/* 1 if permit p ("host:port" in quotes) admits every forwarding q does. */
static int
permit_covers(const char *p, const char *q)
{
	const char *pc = strrchr(p, ':'), *qc = strrchr(q, ':');
	size_t hl;

	if (pc == NULL || qc == NULL)
		return 0;
	hl = (size_t)(pc - p);
	if (hl != (size_t)(qc - q) || strncasecmp(p, q, hl) != 0)
		return 0;
	return strcmp(pc, ":*\"") == 0 || strcmp(pc, qc) == 0;
}

/* 1 if the permits of kind in a admit every destination b's do. */
static int
permits_admit(const struct kp_optset *a, const struct kp_optset *b, int kind)
{
	size_t i, j;
	int any_a = 0, any_b = 0, ok;

	for (i = 0; i < a->noptions; i++)
		any_a |= permit_kind(a->options[i]) == kind;
	if (!any_a)
		return 1; /* a forwards anywhere */
	for (j = 0; j < b->noptions; j++) {
		if (permit_kind(b->options[j]) != kind)
			continue;
		any_b = 1;
		for (i = 0, ok = 0; i < a->noptions && !ok; i++)
			ok = permit_kind(a->options[i]) == kind &&
			    permit_covers(permit_value(a->options[i]),
			        permit_value(b->options[j]));
		if (!ok)
			return 0;
	}
	return any_b;
}

int
kp_optset_admits(const struct kp_optset *a, const struct kp_optset *b)
{
	if (a == NULL || b == NULL)
		return 0;
	/* a restriction in force in a that b does not have */
	if ((a->deny & ~b->deny) != 0)
		return 0;
	/* permitopen/permitlisten narrow forwarding only where it is on */
	if ((b->deny & KP_OPT_NO_PORT_FORWARDING) != 0)
		return 1;
	return permits_admit(a, b, 1) && permits_admit(a, b, 2);
}

/*
 * Call put with each word of s (name, and for a permit its quoted value)
 * in the one order the emitter writes: restrict and what is re-enabled
 * after it (or the no- words without it), touch and verify, permitopen,
 * permitlisten in the order written.
 */
static int
optset_words(const struct kp_optset *s,
    int (*put)(void *arg, const char *name, const char *value), void *arg)
{
	size_t k, i;
	int r, kind;

	if ((s->deny & KP_OPT_NO_TUNNEL) != 0) {
		if ((r = put(arg, "restrict", NULL)) != 0)
			return r;
		for (k = 0; k < NSWITCHES; k++)
			if ((s->deny & switches[k].bit) == 0 &&
			    (r = put(arg, switches[k].on, NULL)) != 0)
				return r;
	} else {
		for (k = 0; k < NSWITCHES; k++)
			if ((s->deny & switches[k].bit) != 0 &&
			    (r = put(arg, switches[k].off, NULL)) != 0)
				return r;
	}
	if ((s->deny & KP_OPT_TOUCH_REQUIRED) == 0 &&
	    (r = put(arg, "no-touch-required", NULL)) != 0)
		return r;
	if ((s->deny & KP_OPT_VERIFY_REQUIRED) != 0 &&
	    (r = put(arg, "verify-required", NULL)) != 0)
		return r;
	for (kind = 1; kind <= 2; kind++) {
		for (i = 0; i < s->noptions; i++) {
			if (permit_kind(s->options[i]) != kind)
				continue;
			if ((r = put(arg,
			         kind == 1 ? "permitopen" : "permitlisten",
			         permit_value(s->options[i]))) != 0)
				return r;
		}
	}
	return 0;
}

/* For kp_authkeys_line: each word after a comma (none before the first). */
struct line_words {
	struct kp_buf *b;
	int n;
};

static int
put_line_word(void *arg, const char *name, const char *value)
{
	struct line_words *w = arg;

	if (w->n++ > 0)
		kp_buf_putc(w->b, ',');
	kp_buf_puts(w->b, name);
	if (value != NULL)
		kp_buf_printf(w->b, "=%s", value);
	return w->b->err;
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

int
kp_command_valid(const char *cmd, const char **why)
{
	size_t n;

	if (cmd == NULL || cmd[0] == '\0')
		KP_FAIL(why, "must not be empty; omit the field", 0);
	if (!kp_value_clean(cmd, KP_VALUE_MAX, why))
		return 0;
	if (strchr(cmd, '"') != NULL)
		KP_FAIL(why,
		    "must not contain '\"' (it would end the command=\"...\" "
		    "option)",
		    0);
	/* sshd reads \" as a quote: a trailing '\' would eat our closing one */
	n = strlen(cmd);
	if (cmd[n - 1] == '\\')
		KP_FAIL(why,
		    "must not end with '\\' (sshd would read it with the "
		    "closing quote of command=\"...\" as an escaped quote)",
		    0);
	return 1;
}

int
kp_expiry_time_format(int64_t t, char *buf, size_t len)
{
	struct kp_civil c;
	int n;

	if (buf == NULL || len == 0)
		return KP_ERR_ARG;
	buf[0] = '\0';
	if (!kp_time_in_range(t))
		return KP_ERR_INVALID;
	kp_time_civil(t, &c);
	n = snprintf(buf, len, "%04d%02d%02d%02d%02d%02dZ", (int)c.year, c.mon,
	    c.mday, c.hour, c.min, c.sec);
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		return KP_ERR_TOOBIG;
	}
	return 0;
}

int
kp_authkeys_check(const char *id, const struct kp_cidr *sources,
    size_t nsources, int64_t expires, const char *const *options,
    size_t noptions, const char *command, const char **why)
{
	size_t i;

	if (id == NULL || (nsources > 0 && sources == NULL) ||
	    (noptions > 0 && options == NULL))
		KP_FAIL(why, "incomplete entry", KP_ERR_ARG);
	if (!kp_id_valid(id))
		KP_FAIL(why, "id: not a valid id", KP_ERR_INVALID);
	for (i = 0; i < nsources; i++) {
		if (!((sources[i].family == 4 && sources[i].prefix <= 32) ||
		        (sources[i].family == 6 && sources[i].prefix <= 128)))
			KP_FAIL(why, "from: not an address or CIDR",
			    KP_ERR_INVALID);
	}
	for (i = 0; i < noptions; i++) {
		if (!kp_option_allowed(options[i], why))
			return KP_ERR_INVALID;
	}
	if (command != NULL && !kp_command_valid(command, why))
		return KP_ERR_INVALID;
	/*
	 * What kp_expiry_time_format refuses, without formatting: the loader
	 * asks this of every entry (snprintf was 2 % of a million-key check).
	 */
	if (expires != KP_TIME_NONE_AFTER && !kp_time_in_range(expires))
		KP_FAIL(why,
		    "expires: outside the years 1970 to 9999 that sshd's "
		    "expiry-time=\"YYYYMMDDHHMMSSZ\" can say",
		    KP_ERR_INVALID);
	return 0;
}

int
kp_authkeys_line(const char *type, const char *b64, const char *id,
    const struct kp_cidr *sources, size_t nsources, int64_t expires,
    const char *const *options, size_t noptions, const char *command,
    char **out)
{
	struct kp_buf b;
	struct kp_optset set;
	struct line_words w;
	char addr[INET6_ADDRSTRLEN + 8], exp[KP_EXPIRY_TIME_LEN];
	size_t i;
	int r, nopt = 0;

	if (out == NULL)
		return KP_ERR_ARG;
	*out = NULL;
	if (type == NULL || b64 == NULL)
		return KP_ERR_ARG;
	/* The checks the loader runs too: what check accepts, this serves. */
	if ((r = kp_authkeys_check(id, sources, nsources, expires, options,
	         noptions, command, NULL)) != 0)
		return r;
	if (!kp_key_type_supported(type) || b64_text_valid(b64) != 0)
		return KP_ERR_INVALID;
	/* What sshd would make of the options, written in one order. */
	if (kp_optset_read(options, noptions, 0, &set, NULL) != 0)
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
		if (kp_expiry_time_format(expires, exp, sizeof(exp)) != 0) {
			kp_buf_free(&b);
			return KP_ERR_INVALID;
		}
		kp_buf_printf(
		    &b, "%sexpiry-time=\"%s\"", nopt++ ? "," : "", exp);
	}
	w.b = &b;
	w.n = nopt;
	(void)optset_words(&set, put_line_word, &w); /* errors stay in b */
	nopt = w.n;
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

void
kp_authkey_clear(struct kp_authkey *k)
{
	size_t i;

	if (k == NULL)
		return;
	kp_pubkey_free(k->key);
	free(k->sources);
	for (i = 0; i < k->nprincipals; i++)
		free(k->principals[i]);
	free(k->principals);
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
	size_t n, items = 1;

	/* One allocation: growing by one item was quadratic under ASan. */
	for (e = v; (e = strchr(e, ',')) != NULL; e++)
		items++;
	if ((tmp = reallocarray(
	         k->sources, k->nsources + items, sizeof(*tmp))) == NULL)
		return KP_ERR_NOMEM;
	k->sources = tmp;
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

	/* A CA (docs/certificates.md): the caller makes it an authority. */
	if (nl == strlen("cert-authority") &&
	    strncasecmp(name, "cert-authority", nl) == 0) {
		o->k->cert_authority = 1;
		return 0;
	}
	if (nl >= sizeof(opt))
		KP_FAIL(why, "option too long", KP_ERR_INVALID);
	memcpy(opt, name, nl);
	opt[nl] = '\0';
	if (!kp_option_allowed(opt, NULL))
		KP_FAIL(why,
		    "unknown option (sshd refuses the whole line); not "
		    "imported",
		    KP_ERR_INVALID);
	return kp_strv_add(&o->k->options, &o->k->noptions, name, nl);
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

/* The same rule as the emitter's: kp_command_valid() above. */
static int
opt_command(struct optstate *o, const char *name, size_t nl, const char *val,
    const char **why)
{
	if (o->have_command)
		KP_FAIL(
		    why, "command= given twice; not imported", KP_ERR_INVALID);
	o->have_command = 1;
	if (!kp_command_valid(val, NULL))
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
	return kp_strv_add(&o->k->options, &o->k->noptions, opt, strlen(opt));
}

/*
 * principals="a,b" of a cert-authority line: each a principal an
 * authority's principals: can hold (no space, '"' or '\\').
 */
static int
opt_principals(struct optstate *o, const char *name, size_t nl, const char *val,
    const char **why)
{
	const char *p, *e;
	size_t i;
	int r;

	if (o->k->nprincipals > 0)
		KP_FAIL(why, "principals= given twice; not imported",
		    KP_ERR_INVALID);
	for (p = val;; p = e + 1) {
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		if (e == p || (size_t)(e - p) > KP_CERT_NAME_MAX)
			KP_FAIL(why,
			    "principals= holds an empty or overlong name; not "
			    "imported",
			    KP_ERR_INVALID);
		for (i = 0; p + i < e; i++) {
			if (p[i] <= ' ' || p[i] >= 0x7f || p[i] == '"' ||
			    p[i] == '\\')
				KP_FAIL(why,
				    "principals= holds a name keyauth cannot "
				    "express; not imported",
				    KP_ERR_INVALID);
		}
		if ((r = kp_strv_add(&o->k->principals, &o->k->nprincipals, p,
		         (size_t)(e - p))) != 0)
			return r;
		if (*e == '\0')
			break;
	}
	return 0;
}

/* Leaving environment= out takes something away; it grants nothing. */
static int
opt_environment(struct optstate *o, const char *name, size_t nl,
    const char *val, const char **why)
{
	char opt[KP_VALUE_MAX + 32];

	snprintf(opt, sizeof(opt), "%.*s=\"...\"", (int)nl, name);
	return kp_strv_add(&o->k->dropped, &o->k->ndropped, opt, strlen(opt));
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
    {"principals", opt_principals, NULL},
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

static int
put_strv_word(void *arg, const char *name, const char *value)
{
	struct kp_authkey *k = arg;
	char opt[KP_VALUE_MAX + 32];

	snprintf(opt, sizeof(opt), "%s%s%s", name, value != NULL ? "=" : "",
	    value != NULL ? value : "");
	return kp_strv_add(&k->options, &k->noptions, opt, strlen(opt));
}

/*
 * k's options as sshd reads them, written as the emitter writes them:
 * whatever order the file had, the policy gets a list the loader accepts
 * and that means to sshd what the line meant.
 */
static int
canonical_options(struct kp_authkey *k, const char **why)
{
	struct kp_optset set;
	char **old = k->options;
	size_t i, nold = k->noptions;
	int r;

	if ((r = kp_optset_read(
	         (const char *const *)old, nold, 0, &set, NULL)) != 0)
		KP_FAIL(why,
		    "unknown option (sshd refuses the whole line); not "
		    "imported",
		    r);
	k->options = NULL;
	k->noptions = 0;
	r = optset_words(&set, put_strv_word, k);
	for (i = 0; i < nold; i++)
		free(old[i]);
	free(old);
	return r;
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
	if (strnlen(line, KP_AUTHKEY_PARSE_MAX + 1) > KP_AUTHKEY_PARSE_MAX)
		KP_FAIL(why, "line too long", KP_ERR_TOOBIG);
	s = skip_blanks(line);
	if (!key_type_word(s, word(s)) &&
	    ((r = parse_options(&k, &s, why)) != 0 ||
	        (r = canonical_options(&k, why)) != 0))
		goto out;
	if ((r = parse_key_words(&k, skip_blanks(s), why)) != 0)
		goto out;
	/* sshd refuses principals= on a key that is no CA */
	if (k.nprincipals > 0 && !k.cert_authority) {
		KP_WHY(why,
		    "principals= without cert-authority (sshd refuses "
		    "the line); not imported");
		r = KP_ERR_INVALID;
		goto out;
	}
	*out = k; /* ownership to the caller */
	memset(&k, 0, sizeof(k));
out:
	kp_authkey_clear(&k);
	return r;
}
