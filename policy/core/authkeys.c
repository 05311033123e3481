#include "config.h"

#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
