/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyauth.h"
#include "kp-buf.h"

/* The byte buffer (kp-buf.h). */

void
kp_buf_init(struct kp_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
	b->kind = KP_BUF_GROWABLE;
}

void
kp_buf_init_fixed(struct kp_buf *b, void *storage, size_t size)
{
	memset(b, 0, sizeof(*b));
	b->kind = KP_BUF_FIXED;
	if (storage == NULL || size == 0) {
		/* Nothing fits: every put fails. */
		b->err = KP_ERR_ARG;
		return;
	}
	b->s = storage;
	b->s[0] = '\0';
	b->cap = size;
	b->max = size - 1;
}

void
kp_buf_view(struct kp_buf *b, const void *p, size_t len)
{
	memset(b, 0, sizeof(*b));
	b->kind = KP_BUF_VIEW;
	b->view = p;
	b->len = p != NULL ? len : 0;
	b->max = b->len;
	/* A view is read-only. */
	b->err = KP_ERR_ARG;
}

void
kp_buf_reset(struct kp_buf *b)
{
	b->off = 0;
	if (b->kind == KP_BUF_VIEW) {
		b->len = 0;
		b->view = NULL;
		return;
	}
	b->len = 0;
	b->err = b->kind == KP_BUF_FIXED && b->s == NULL ? KP_ERR_ARG : 0;
	if (b->s != NULL)
		b->s[0] = '\0';
}

int
kp_buf_set_error(struct kp_buf *b, int r)
{
	if (b->err == 0 && r < 0)
		b->err = r;
	return b->err;
}

const uint8_t *
kp_buf_ptr(const struct kp_buf *b)
{
	if (b->kind == KP_BUF_VIEW)
		return b->view != NULL ? b->view + b->off : NULL;
	return b->s != NULL ? (const uint8_t *)b->s + b->off : NULL;
}

size_t
kp_buf_len(const struct kp_buf *b)
{
	return b->len - b->off;
}

/* ------------------------------------------------------------ writing */

/* Room for n more bytes and the NUL, or the sticky error. */
static int
reserve(struct kp_buf *b, size_t n)
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
	if (b->kind != KP_BUF_GROWABLE)
		return (b->err = KP_ERR_INTERNAL); /* cap is max + 1 */
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

	if (p == NULL && n != 0)
		return kp_buf_set_error(b, KP_ERR_ARG);
	if ((r = reserve(b, n)) != 0)
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
	if (s == NULL)
		return kp_buf_set_error(b, KP_ERR_ARG);
	return kp_buf_put(b, s, strlen(s));
}

int
kp_buf_putc(struct kp_buf *b, char c)
{
	return kp_buf_put(b, &c, 1);
}

int
kp_buf_putline(struct kp_buf *b, const char *s)
{
	size_t n;
	int r;

	if (s == NULL)
		return kp_buf_set_error(b, KP_ERR_ARG);
	n = strlen(s);
	if (n == SIZE_MAX)
		return kp_buf_set_error(b, KP_ERR_TOOBIG);
	if ((r = reserve(b, n + 1)) != 0)
		return r;
	memcpy(b->s + b->len, s, n);
	b->s[b->len + n] = '\n';
	b->len += n + 1;
	b->s[b->len] = '\0';
	return 0;
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
	if ((r = reserve(b, (size_t)n)) != 0)
		return r;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int
kp_buf_put_u8(struct kp_buf *b, uint8_t v)
{
	return kp_buf_put(b, &v, 1);
}

int
kp_buf_put_u16(struct kp_buf *b, uint16_t v)
{
	uint8_t x[2];

	kp_poke_u16(x, v);
	return kp_buf_put(b, x, sizeof(x));
}

int
kp_buf_put_u32(struct kp_buf *b, uint32_t v)
{
	uint8_t x[4];

	kp_poke_u32(x, v);
	return kp_buf_put(b, x, sizeof(x));
}

int
kp_buf_put_u64(struct kp_buf *b, uint64_t v)
{
	uint8_t x[8];

	kp_poke_u64(x, v);
	return kp_buf_put(b, x, sizeof(x));
}

int
kp_buf_put_string(struct kp_buf *b, const void *p, size_t n)
{
	int r;

	if (n > UINT32_MAX)
		return kp_buf_set_error(b, KP_ERR_TOOBIG);
	/* Length and bytes together, or neither. */
	if ((r = reserve(b, 4 + n)) != 0)
		return r;
	if ((r = kp_buf_put_u32(b, (uint32_t)n)) != 0)
		return r;
	return kp_buf_put(b, p, n);
}

int
kp_buf_take(struct kp_buf *b, char **out, size_t *len)
{
	int r;

	if (out != NULL)
		*out = NULL;
	if (len != NULL)
		*len = 0;
	if (out == NULL || b->kind != KP_BUF_GROWABLE) {
		kp_buf_free(b);
		return KP_ERR_ARG;
	}
	if ((r = b->err) != 0 || (r = reserve(b, 0)) != 0) {
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
	if (b->kind == KP_BUF_GROWABLE) {
		free(b->s);
		kp_buf_init(b, b->max);
		return;
	}
	kp_buf_reset(b);
}

/* ------------------------------------------------------------ reading */

int
kp_buf_get_ptr(struct kp_buf *b, size_t n, const uint8_t **p)
{
	if (p != NULL)
		*p = NULL;
	if (b->len - b->off < n)
		return KP_ERR_CORRUPT;
	if (p != NULL)
		*p = kp_buf_ptr(b);
	b->off += n;
	return 0;
}

int
kp_buf_get(struct kp_buf *b, void *out, size_t n)
{
	const uint8_t *p;
	int r;

	if ((r = kp_buf_get_ptr(b, n, &p)) != 0)
		return r;
	if (n > 0)
		memcpy(out, p, n);
	return 0;
}

int
kp_buf_get_u8(struct kp_buf *b, uint8_t *v)
{
	return kp_buf_get(b, v, 1);
}

int
kp_buf_get_u16(struct kp_buf *b, uint16_t *v)
{
	const uint8_t *p;
	int r;

	if ((r = kp_buf_get_ptr(b, 2, &p)) != 0)
		return r;
	*v = kp_peek_u16(p);
	return 0;
}

int
kp_buf_get_u32(struct kp_buf *b, uint32_t *v)
{
	const uint8_t *p;
	int r;

	if ((r = kp_buf_get_ptr(b, 4, &p)) != 0)
		return r;
	*v = kp_peek_u32(p);
	return 0;
}

int
kp_buf_get_u64(struct kp_buf *b, uint64_t *v)
{
	const uint8_t *p;
	int r;

	if ((r = kp_buf_get_ptr(b, 8, &p)) != 0)
		return r;
	*v = kp_peek_u64(p);
	return 0;
}

int
kp_buf_get_string(struct kp_buf *b, const uint8_t **p, size_t *n)
{
	uint32_t v;

	*p = NULL;
	*n = 0;
	if (b->len - b->off < 4)
		return KP_ERR_CORRUPT;
	v = kp_peek_u32(kp_buf_ptr(b));
	/* Length and bytes together, or neither. */
	if (b->len - b->off - 4 < v)
		return KP_ERR_CORRUPT;
	b->off += 4;
	*n = v;
	return kp_buf_get_ptr(b, v, p);
}
