#include "config.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keyauth.h"
#include "kp-internal.h"

/* ---------------------------------------------------------------- time */

/* Days since 1970-01-01 of a proleptic Gregorian date (any year). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
kp_time_civil(int64_t t, struct kp_civil *c)
{
	int64_t days, secs, z, era, doe, yoe, doy, mp;

	/* Floor division, so times before 1970 land on the right day. */
	days = t / 86400;
	secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	c->mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	c->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	c->year = yoe + era * 400 + (c->mon <= 2);
	c->hour = (int)(secs / 3600);
	c->min = (int)(secs / 60 % 60);
	c->sec = (int)(secs % 60);
}

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int64_t y, int m)
{
	static const int dm[12] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && is_leap(y))
		return 29;
	return dm[m - 1];
}

/* n ASCII digits at s as a number; -1 if any is not a digit. */
static int
digits(const char *s, int n)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * Strict RFC 3339 subset: upper-case 'T' and 'Z' only, no space separator,
 * no leap second (sshd and time_t cannot express it), years
 * KP_TIME_YEAR_MIN..KP_TIME_YEAR_MAX. A fraction is accepted and dropped
 * (truncated toward the earlier second).
 */
int
kp_time_parse(const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0, n;
	const char *p;

	if (out != NULL)
		*out = 0;
	if (s == NULL || out == NULL)
		return KP_ERR_ARG;
	if (strnlen(s, 64) >= 64)
		return KP_ERR_INVALID;
	if ((y = digits(s, 4)) < 0 || s[4] != '-' ||
	    (mo = digits(s + 5, 2)) < 0 || s[7] != '-' ||
	    (d = digits(s + 8, 2)) < 0)
		return KP_ERR_INVALID;
	if (y < KP_TIME_YEAR_MIN || y > KP_TIME_YEAR_MAX || mo < 1 || mo > 12 ||
	    d < 1 || d > days_in_month(y, mo))
		return KP_ERR_INVALID;
	p = s + 10;
	if (*p == 'T') {
		if ((h = digits(p + 1, 2)) < 0 || p[3] != ':' ||
		    (mi = digits(p + 4, 2)) < 0 || p[6] != ':' ||
		    (sec = digits(p + 7, 2)) < 0)
			return KP_ERR_INVALID;
		if (h > 23 || mi > 59 || sec > 59)
			return KP_ERR_INVALID;
		p += 9;
		if (*p == '.') {
			for (n = 0, p++; *p >= '0' && *p <= '9'; p++)
				n++;
			if (n < 1 || n > 9)
				return KP_ERR_INVALID;
		}
		if (*p == 'Z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p == '+' ? 1 : -1;
			if ((oh = digits(p + 1, 2)) < 0 || p[3] != ':' ||
			    (om = digits(p + 4, 2)) < 0 || oh > 23 || om > 59)
				return KP_ERR_INVALID;
			p += 6;
		}
	}
	if (*p != '\0')
		return KP_ERR_INVALID;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	    sign * (oh * 3600 + om * 60);
	return 0;
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

int
kp_sha256_hex_valid(const char *s)
{
	return s != NULL && strlen(s) == 64 &&
	    strspn(s, "0123456789abcdef") == 64;
}

int
kp_now(int64_t *out)
{
	struct timespec ts;

	*out = 0;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec <= 0)
		return KP_ERR_IO;
	*out = (int64_t)ts.tv_sec;
	return KP_OK;
}

void
kp_time_format(int64_t t, char *buf, size_t len)
{
	struct kp_civil c;

	if (buf == NULL || len == 0)
		return;
	kp_time_civil(t, &c);
	snprintf(buf, len, "%04lld-%02d-%02dT%02d:%02d:%02dZ",
	    (long long)c.year, c.mon, c.mday, c.hour, c.min, c.sec);
}

/* ------------------------------------------------------------- strings */

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

/*
 * Besides C0/DEL/C1 controls this refuses the Unicode line and paragraph
 * separators and the bidirectional overrides: they would let a value look
 * different to a reviewer than to the machine.
 */
int
kp_value_clean(const char *s, size_t max, const char **why)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, n, k, need;
	uint32_t cp, min;

	if (s == NULL)
		KP_FAIL(why, "missing value", 0);
	if ((n = strnlen(s, max + 1)) > max)
		KP_FAIL(why, "value too long", 0);
	for (i = 0; i < n; i += need + 1) {
		if (p[i] < 0x80) {
			need = 0;
			if (p[i] < 0x20 || p[i] == 0x7f)
				KP_FAIL(why,
				    p[i] == '\n' || p[i] == '\r'
				        ? "newline in value"
				        : "control character in value",
				    0);
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf) {
			need = 1;
			cp = p[i] & 0x1f;
			min = 0x80;
		} else if (p[i] >= 0xe0 && p[i] <= 0xef) {
			need = 2;
			cp = p[i] & 0x0f;
			min = 0x800;
		} else if (p[i] >= 0xf0 && p[i] <= 0xf4) {
			need = 3;
			cp = p[i] & 0x07;
			min = 0x10000;
		} else
			KP_FAIL(why, "invalid UTF-8 in value", 0);
		if (n - i - 1 < need)
			KP_FAIL(why, "truncated UTF-8 sequence in value", 0);
		for (k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				KP_FAIL(why, "invalid UTF-8 in value", 0);
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			KP_FAIL(why, "invalid UTF-8 in value", 0);
		if (cp <= 0x9f)
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

/* ---------------------------------------------------------------- base64 */

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
kp_b64_enclen(size_t n, int pad)
{
	if (pad)
		return (n + 2) / 3 * 4;
	return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

int
kp_b64_encode(const uint8_t *src, size_t n, int pad, char *dst, size_t dstlen)
{
	size_t i, o = 0;
	uint32_t v;

	if (dst == NULL || (src == NULL && n != 0))
		return KP_ERR_ARG;
	if (n > (SIZE_MAX - 4) / 4 * 3 || kp_b64_enclen(n, pad) >= dstlen) {
		if (dstlen > 0)
			dst[0] = '\0';
		return KP_ERR_TOOBIG;
	}
	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 |
		    src[i + 2];
		dst[o++] = b64chars[v >> 18];
		dst[o++] = b64chars[(v >> 12) & 0x3f];
		dst[o++] = b64chars[(v >> 6) & 0x3f];
		dst[o++] = b64chars[v & 0x3f];
	}
	if (n - i == 1) {
		v = (uint32_t)src[i] << 16;
		dst[o++] = b64chars[v >> 18];
		dst[o++] = b64chars[(v >> 12) & 0x3f];
		if (pad) {
			dst[o++] = '=';
			dst[o++] = '=';
		}
	} else if (n - i == 2) {
		v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8;
		dst[o++] = b64chars[v >> 18];
		dst[o++] = b64chars[(v >> 12) & 0x3f];
		dst[o++] = b64chars[(v >> 6) & 0x3f];
		if (pad)
			dst[o++] = '=';
	}
	dst[o] = '\0';
	return 0;
}

static int
b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
kp_b64_decode(const char *src, size_t len, uint8_t **out, size_t *outlen,
    const char **why, size_t *bad_off)
{
	uint8_t *buf = NULL;
	size_t i, k, o = 0, npad;
	int v[4];
	int r = KP_ERR_INVALID;

	if (out != NULL)
		*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if (bad_off != NULL)
		*bad_off = 0;
	if (src == NULL || out == NULL || outlen == NULL)
		return KP_ERR_ARG;
	if ((buf = malloc(len / 4 * 3 + 1)) == NULL)
		return KP_ERR_NOMEM;
	for (i = 0; i < len; i += 4) {
		npad = 0;
		for (k = 0; k < 4; k++) {
			if (i + k >= len) {
				KP_WHY(why,
				    "truncated base64 (length is not a "
				    "multiple of 4)");
				if (bad_off != NULL)
					*bad_off = len;
				goto out;
			}
			if (src[i + k] == '=' && i + 4 >= len && k >= 2) {
				npad++;
				v[k] = 0;
				continue;
			}
			if (npad > 0 || (v[k] = b64val(src[i + k])) < 0) {
				KP_WHY(why,
				    src[i + k] == '='
				        ? "misplaced base64 padding"
				        : (src[i + k] == ' ' ||
				              src[i + k] == '\t' ||
				              src[i + k] == '\n' ||
				              src[i + k] == '\r')
				        ? "whitespace inside base64"
				        : "invalid base64 character");
				if (bad_off != NULL)
					*bad_off = i + k;
				goto out;
			}
		}
		/* Unused low bits must be zero: one spelling per blob. */
		if ((npad == 2 && (v[1] & 0x0f) != 0) ||
		    (npad == 1 && (v[2] & 0x03) != 0)) {
			KP_WHY(why, "non-canonical base64 (unused bits set)");
			if (bad_off != NULL)
				*bad_off = i + 3 - npad;
			goto out;
		}
		buf[o++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
		if (npad < 2)
			buf[o++] = (uint8_t)((v[1] & 0x0f) << 4 | v[2] >> 2);
		if (npad < 1)
			buf[o++] = (uint8_t)((v[2] & 0x03) << 6 | v[3]);
	}
	/* success: the buffer is the caller's */
	*out = buf;
	*outlen = o;
	buf = NULL;
	r = 0;
out:
	free(buf);
	return r;
}

/* ------------------------------------------------- bounded string buffer */

void
kp_buf_init(struct kp_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

static int
buf_reserve(struct kp_buf *b, size_t n)
{
	size_t want, ncap;
	char *p;

	if (b->err != 0)
		return b->err;
	if (n > b->max || b->len > b->max - n)
		return (b->err = KP_ERR_TOOBIG);
	want = b->len + n + 1;
	if (want <= b->cap)
		return 0;
	ncap = b->cap < 64 ? 64 : b->cap;
	while (ncap < want)
		ncap = ncap > SIZE_MAX / 2 ? want : ncap * 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	if ((p = realloc(b->s, ncap)) == NULL)
		return (b->err = KP_ERR_NOMEM);
	b->s = p;
	b->cap = ncap;
	return 0;
}

int
kp_buf_put(struct kp_buf *b, const void *p, size_t n)
{
	int r;

	if ((r = buf_reserve(b, n)) != 0)
		return r;
	if (n > 0)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

int
kp_buf_puts(struct kp_buf *b, const char *s)
{
	if (s == NULL) {
		if (b->err == 0)
			b->err = KP_ERR_ARG;
		return b->err;
	}
	return kp_buf_put(b, s, strlen(s));
}

int
kp_buf_putc(struct kp_buf *b, char c)
{
	return kp_buf_put(b, &c, 1);
}

int
kp_buf_printf(struct kp_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, r;

	if (b->err != 0)
		return b->err;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return (b->err = KP_ERR_INTERNAL);
	if ((r = buf_reserve(b, (size_t)n)) != 0)
		return r;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int
kp_buf_take(struct kp_buf *b, char **out, size_t *len)
{
	int r;

	if (out != NULL)
		*out = NULL;
	if (len != NULL)
		*len = 0;
	if (out == NULL) {
		kp_buf_free(b);
		return KP_ERR_ARG;
	}
	if ((r = b->err) != 0 || (r = buf_reserve(b, 0)) != 0) {
		kp_buf_free(b);
		return r;
	}
	b->s[b->len] = '\0';
	/* ownership of the string moves to the caller */
	*out = b->s;
	if (len != NULL)
		*len = b->len;
	kp_buf_init(b, b->max);
	return 0;
}

void
kp_buf_free(struct kp_buf *b)
{
	if (b == NULL)
		return;
	free(b->s);
	kp_buf_init(b, b->max);
}
