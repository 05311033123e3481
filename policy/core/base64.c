/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "keyauth.h"
#include "kp-internal.h"

/*
 * Base64 (RFC 4648, alphabet "+/"), strict on input: one accepted
 * spelling per blob, so a key is written one way only.
 */

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

/*
 * One more than the value of each base64 character, by byte; 0: not
 * one (b64chars above, inverted).
 */
static const unsigned char b64vals[256] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 63, 0, 0, 0, 64, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62,
    0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 0, 0, 0, 0, 0, 0, 27, 28, 29, 30,
    31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49,
    50, 51, 52, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

static int
b64val(char c)
{
	return (int)b64vals[(unsigned char)c] - 1;
}

/* Why character c of a base64 group is refused. */
static const char *
b64_refusal(char c)
{
	if (c == '=')
		return "misplaced base64 padding";
	if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
		return "whitespace inside base64";
	return "invalid base64 character";
}

int
kp_b64_decode_to(const char *src, size_t len, uint8_t *buf, size_t *outlen,
    const char **why, size_t *bad_off)
{
	size_t i, k, o = 0, npad;
	int v[4];

	*outlen = 0;
	if (bad_off != NULL)
		*bad_off = 0;
	for (i = 0; i < len; i += 4) {
		npad = 0;
		for (k = 0; k < 4; k++) {
			if (i + k >= len) {
				KP_WHY(why,
				    "truncated base64 (length is not a "
				    "multiple of 4)");
				if (bad_off != NULL)
					*bad_off = len;
				return KP_ERR_INVALID;
			}
			if (src[i + k] == '=' && i + 4 >= len && k >= 2) {
				npad++;
				v[k] = 0;
				continue;
			}
			if (npad > 0 || (v[k] = b64val(src[i + k])) < 0) {
				KP_WHY(why, b64_refusal(src[i + k]));
				if (bad_off != NULL)
					*bad_off = i + k;
				return KP_ERR_INVALID;
			}
		}
		/* Unused low bits must be zero: one spelling per blob. */
		if ((npad == 2 && (v[1] & 0x0f) != 0) ||
		    (npad == 1 && (v[2] & 0x03) != 0)) {
			KP_WHY(why, "non-canonical base64 (unused bits set)");
			if (bad_off != NULL)
				*bad_off = i + 3 - npad;
			return KP_ERR_INVALID;
		}
		buf[o++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
		if (npad < 2)
			buf[o++] = (uint8_t)((v[1] & 0x0f) << 4 | v[2] >> 2);
		if (npad < 1)
			buf[o++] = (uint8_t)((v[2] & 0x03) << 6 | v[3]);
	}
	*outlen = o;
	return 0;
}

int
kp_b64_decode(const char *src, size_t len, uint8_t **out, size_t *outlen,
    const char **why, size_t *bad_off)
{
	uint8_t *buf;
	int r;

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
	if ((r = kp_b64_decode_to(src, len, buf, outlen, why, bad_off)) != 0) {
		free(buf);
		return r;
	}
	*out = buf; /* the caller's */
	return 0;
}
