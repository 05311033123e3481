/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <ctype.h>
#include <fnmatch.h>
#include <string.h>

#include "keyauth.h"
#include "kp-internal.h"

/*
 * Names: Unix account names, entry ids, host names and host patterns,
 * each checked against one strict syntax, and the host pattern match.
 */

int
kp_account_valid(const char *name)
{
	size_t i, n;

	if (name == NULL || (n = strnlen(name, KP_ACCOUNT_MAX + 1)) == 0 ||
	    n > KP_ACCOUNT_MAX)
		return 0;
	if (!((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
		return 0;
	for (i = 1; i < n; i++) {
		if ((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '_' ||
		    name[i] == '.' || name[i] == '-')
			continue;
		if (name[i] == '$' && i == n - 1)
			continue;
		return 0;
	}
	return 1;
}

int
kp_id_valid(const char *id)
{
	size_t i, n;

	if (id == NULL || (n = strnlen(id, KP_ID_MAX + 1)) == 0 ||
	    n > KP_ID_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if (!isascii((unsigned char)id[i]) ||
		    (!isalnum((unsigned char)id[i]) && id[i] != '.' &&
		        id[i] != '_' && id[i] != '@' && id[i] != '+' &&
		        id[i] != '-'))
			return 0;
	}
	return 1;
}

static int
host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

int
kp_host_pattern_valid(const char *p, const char **why)
{
	size_t i, n, stars = 0;
	int inbr = 0, brlen = 0;

	if (p == NULL || (n = strnlen(p, KP_HOST_MAX + 1)) == 0)
		KP_FAIL(why, "empty host pattern", 0);
	if (n > KP_HOST_MAX)
		KP_FAIL(why, "host pattern longer than 255 characters", 0);
	for (i = 0; i < n; i++) {
		if (inbr) {
			if (p[i] == ']' && brlen > 0) {
				inbr = 0;
				continue;
			}
			if (p[i] == '!' && brlen == 0) {
				continue;
			}
			if (!host_char(p[i]))
				KP_FAIL(why,
				    "bad character in [...] of a "
				    "host pattern",
				    0);
			brlen++;
			continue;
		}
		if (p[i] == '*') {
			if (++stars > KP_HOST_PATTERN_MAX_STARS)
				KP_FAIL(why,
				    "more than 4 '*' in a host "
				    "pattern",
				    0);
		} else if (p[i] == '[') {
			inbr = 1;
			brlen = 0;
		} else if (p[i] != '?' && !host_char(p[i])) {
			KP_FAIL(why,
			    "host patterns may hold letters, digits, "
			    "'.', '-', '_' and the glob characters * ? [...]",
			    0);
		}
	}
	if (inbr)
		KP_FAIL(why, "unclosed '[' in host pattern", 0);
	return 1;
}

int
kp_host_match(const char *pattern, const char *host)
{
	char p[KP_HOST_MAX + 1], h[KP_HOST_MAX + 1];
	size_t i, n;

	/* Anything odd is "no match": the caller then denies. */
	if (!kp_host_pattern_valid(pattern, NULL) || host == NULL ||
	    (n = strnlen(host, KP_HOST_MAX + 1)) == 0 || n > KP_HOST_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if (!host_char(host[i]))
			return 0;
		h[i] = (char)tolower((unsigned char)host[i]);
	}
	h[n] = '\0';
	n = strlen(pattern);
	for (i = 0; i < n; i++)
		p[i] = (char)tolower((unsigned char)pattern[i]);
	p[n] = '\0';
	return fnmatch(p, h, FNM_NOESCAPE) == 0;
}

int
kp_host_name_valid(const char *name)
{
	size_t n;

	if (name == NULL)
		return 0;
	n = strlen(name);
	return n > 0 && n <= KP_HOST_MAX &&
	    strspn(name,
	        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	        "0123456789._-") == n;
}
