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
