/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keyauth.h"
#include "kp-internal.h"
#include "invisible.h"

/* Strings: bounded copies and concatenation, UTF-8, clean values. */

int
kp_strdup_max(const char *s, size_t max, char **out)
{
	size_t n;

	if (out != NULL)
		*out = NULL;
	if (s == NULL || out == NULL)
		return KP_ERR_ARG;
	if ((n = strnlen(s, max + 1)) > max)
		return KP_ERR_TOOBIG;
	if ((*out = malloc(n + 1)) == NULL)
		return KP_ERR_NOMEM;
	memcpy(*out, s, n);
	(*out)[n] = '\0';
	return 0;
}

int
kp_strconcat(char **out, size_t max, ...)
{
	struct kp_buf b;
	const char *s;
	va_list ap;

	if (out == NULL)
		return KP_ERR_ARG;
	*out = NULL;
	kp_buf_init(&b, max);
	va_start(ap, max);
	while ((s = va_arg(ap, const char *)) != NULL)
		kp_buf_puts(&b, s);
	va_end(ap);
	return kp_buf_take(&b, out, NULL);
}

int
kp_strlcpy_checked(char *dst, size_t dstlen, const char *src)
{
	size_t n;

	if (dst == NULL || dstlen == 0)
		return KP_ERR_ARG;
	dst[0] = '\0';
	if (src == NULL)
		return KP_ERR_ARG;
	if ((n = strnlen(src, dstlen)) >= dstlen)
		return KP_ERR_TOOBIG;
	memcpy(dst, src, n + 1);
	return 0;
}

int
kp_utf8_next(const char *str, size_t len, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t need, k;
	uint32_t c, min;

	*cp = 0;
	if (len == 0)
		return KP_UTF8_TRUNCATED;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 1;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 2;
		c = s[0] & 0x0f;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 3;
		c = s[0] & 0x07;
		min = 0x10000;
	} else
		return KP_UTF8_INVALID;
	if (len - 1 < need)
		return KP_UTF8_TRUNCATED;
	for (k = 1; k <= need; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return KP_UTF8_INVALID;
		c = (c << 6) | (s[k] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return KP_UTF8_INVALID;
	*cp = c;
	return (int)need + 1;
}

/*
 * Besides C0/DEL/C1 controls this refuses the Unicode line and paragraph
 * separators and the bidirectional overrides: they would let a value look
 * different to a reviewer than to the machine.
 */
int
kp_value_clean(const char *s, size_t max, const char **why)
{
	size_t i, n;
	uint32_t cp;
	int k;

	if (s == NULL)
		KP_FAIL(why, "missing value", 0);
	if ((n = strnlen(s, max + 1)) > max)
		KP_FAIL(why, "value too long", 0);
	for (i = 0; i < n; i += (size_t)k) {
		/* Printable ASCII, most of every policy, is clean as it is. */
		if ((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f) {
			k = 1;
			continue;
		}
		k = kp_utf8_next(s + i, n - i, &cp);
		if (k == KP_UTF8_TRUNCATED)
			KP_FAIL(why, "truncated UTF-8 sequence in value", 0);
		if (k < 0)
			KP_FAIL(why, "invalid UTF-8 in value", 0);
		if (cp < 0x20 || cp == 0x7f)
			KP_FAIL(why,
			    cp == '\n' || cp == '\r'
			        ? "newline in value"
			        : "control character in value",
			    0);
		if (cp >= 0x80 && cp <= 0x9f)
			KP_FAIL(why, "control character in value", 0);
		if (cp == 0x2028 || cp == 0x2029)
			KP_FAIL(why, "line separator in value", 0);
		if (cp == 0x200e || cp == 0x200f ||
		    (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069))
			KP_FAIL(
			    why, "bidirectional control character in value", 0);
	}
	return 1;
}

int
kp_char_invisible(uint32_t cp)
{
	size_t lo = 0, hi = sizeof(kp_invisible) / sizeof(kp_invisible[0]), mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cp < kp_invisible[mid].lo)
			hi = mid;
		else if (cp > kp_invisible[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

/*
 * Beyond kp_value_clean: a character a reviewer does not see (or sees as
 * a plain space) lets two values look the same that the machine tells
 * apart: "alice@example.com" and the same with a U+200B would be two
 * owners, and a revocation of one would not touch the other.
 */
int
kp_value_visible(const char *s, size_t max, const char **why, uint32_t *cp)
{
	size_t i, n;
	uint32_t c;
	int k;

	if (cp != NULL)
		*cp = 0;
	if (!kp_value_clean(s, max, why))
		return 0;
	n = strlen(s);
	for (i = 0; i < n; i += (size_t)k) {
		/* No ASCII character is in the table (invisible.h). */
		if ((unsigned char)s[i] < 0x80) {
			k = 1;
			continue;
		}
		if ((k = kp_utf8_next(s + i, n - i, &c)) <= 0)
			KP_FAIL(why, "invalid UTF-8 in value", 0);
		if (kp_char_invisible(c)) {
			if (cp != NULL)
				*cp = c;
			KP_FAIL(why,
			    "invisible or format character in value (a "
			    "reviewer cannot see it)",
			    0);
		}
	}
	return 1;
}

int
kp_sha256_hex_valid(const char *s)
{
	return s != NULL && strlen(s) == 64 &&
	    strspn(s, "0123456789abcdef") == 64;
}

int
kp_strv_add(char ***v, size_t *n, const char *s, size_t len)
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

int
kp_word_lines(const char *text, size_t len, char **buf,
    int (*fn)(void *arg, char *word, char *rest), void *arg)
{
	char *p, *nl, *sp, *end;
	int r;

	if (buf == NULL || fn == NULL || (text == NULL && len > 0) ||
	    len == SIZE_MAX)
		return KP_ERR_ARG;
	if ((*buf = malloc(len + 1)) == NULL)
		return KP_ERR_NOMEM;
	if (len > 0)
		memcpy(*buf, text, len);
	(*buf)[len] = '\0';
	end = *buf + len;
	for (p = *buf; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		*nl = '\0';
		if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		if ((sp = strchr(p, ' ')) == NULL)
			continue;
		*sp++ = '\0';
		if ((r = fn(arg, p, sp)) != 0)
			return r;
	}
	return 0;
}
