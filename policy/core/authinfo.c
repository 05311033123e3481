/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * SSH_AUTH_INFO_0, as sshd (auth2.c, auth2_update_session_info) writes it:
 * one line per completed authentication method,
 *
 *   METHOD[/SUBMETHOD][ KEYTYPE BASE64][ INFO]\n
 *
 * e.g. "publickey ssh-ed25519 AAAA...", "keyboard-interactive/pam",
 * "password", "hostbased ssh-ed25519 AAAA...". INFO is free text that sshd
 * appends for some methods: "signature count = 7" for FIDO (sk-) keys.
 * For certificates KEYTYPE is the certificate type and BASE64 the whole
 * certificate; no certificate details follow.
 *
 * So a publickey line is "publickey", a space, a key type, a space, the
 * base64, and optionally a space and free text without control
 * characters, which is ignored. Lines of other methods are skipped unread.
 */

#include <stdlib.h>
#include <string.h>

#include "keyauth.h"

#define AUTHINFO_MAX (64 * 1024)
#define AUTHINFO_MAX_LINES 64
#define KEYTYPE_MAX 64

static int
type_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '@' ||
	    c == '_';
}

static int
b64_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

/* line (NUL-terminated copy) starts with "publickey ". */
static int
publickey_line(char *line, kp_authinfo_cb cb, void *arg)
{
	char *type = line + strlen("publickey "), *b64, *p;

	for (p = type; type_char(*p); p++)
		;
	if (p == type || p - type > KEYTYPE_MAX || *p != ' ')
		return KP_ERR_INVALID;
	*p++ = '\0';
	b64 = p;
	for (; b64_char(*p); p++)
		;
	if (p == b64 || p - b64 > KP_KEYLINE_MAX)
		return KP_ERR_INVALID;
	if (*p == ' ') {
		/* trailing method info: printable text only */
		*p++ = '\0';
		if (*p == '\0')
			return KP_ERR_INVALID;
		for (; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				return KP_ERR_INVALID;
	} else if (*p != '\0')
		return KP_ERR_INVALID;
	return cb(arg, type, b64);
}

int
kp_authinfo_parse(const char *s, kp_authinfo_cb cb, void *arg)
{
	const char *p, *nl;
	char *line = NULL;
	size_t total, n, nlines = 0;
	int r = 0;

	if (s == NULL || cb == NULL)
		return KP_ERR_ARG;
	if ((total = strnlen(s, AUTHINFO_MAX + 1)) > AUTHINFO_MAX)
		return KP_ERR_TOOBIG;
	for (p = s; *p != '\0'; p = nl + 1) {
		if (++nlines > AUTHINFO_MAX_LINES) {
			r = KP_ERR_TOOBIG;
			goto out;
		}
		if ((nl = strchr(p, '\n')) == NULL)
			nl = s +
			    total; /* sshd ends each line; tolerate a missing last one */
		n = (size_t)(nl - p);
		/* sshd never writes an empty line or a method without a name */
		if (n == 0 || *p == ' ') {
			r = KP_ERR_INVALID;
			goto out;
		}
		if (n >= strlen("publickey") &&
		    strncmp(p, "publickey", strlen("publickey")) == 0) {
			/* "publickey" alone, "publickey/x": not what sshd writes */
			if (n == strlen("publickey") ||
			    p[strlen("publickey")] != ' ') {
				r = KP_ERR_INVALID;
				goto out;
			}
			free(line);
			if ((line = strndup(p, n)) == NULL) {
				r = KP_ERR_NOMEM;
				goto out;
			}
			if ((r = publickey_line(line, cb, arg)) != 0)
				goto out;
		}
		if (*nl == '\0')
			break;
	}
out:
	free(line);
	return r;
}
