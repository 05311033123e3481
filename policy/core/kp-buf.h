/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The one byte buffer of libkeyauth (buf.c), after OpenSSH's sshbuf. It
 * builds text (report lines, audit records, authorized_keys output) and
 * binary records (the index), and it parses binary data (SSH key blobs,
 * index values) without copying. keyauth.h includes this header, so the
 * front ends have it too.
 *
 * One type, three kinds:
 *  - growable (kp_buf_init): malloc'd, grows up to max bytes;
 *  - fixed (kp_buf_init_fixed): the caller's storage of size bytes, which
 *    holds at most size - 1 bytes and a NUL, and never grows;
 *  - view (kp_buf_view): read-only over len borrowed bytes, for parsing.
 *
 * The put functions append at the end. A growable or fixed buffer's bytes
 * are always followed by a NUL, so text in s is a C string. A put either
 * appends everything or nothing, and errors are sticky: after the first
 * failure every put returns it, so a sequence of puts can be checked once
 * (at kp_buf_take(), or by reading err).
 *
 * The get functions consume from the front. They are not sticky: a get
 * that fails (KP_ERR_CORRUPT: not enough bytes left) consumes nothing and
 * leaves err alone. Pointers a get hands out lead into the buffer.
 *
 * Integers are big-endian, as in the SSH wire format (RFC 4251) and the
 * compiled index (index-format.h); an SSH string is a u32 length and the
 * bytes.
 */
#ifndef KP_BUF_H
#define KP_BUF_H

#include <stddef.h>
#include <stdint.h>

struct kp_buf {
	char *s; /* growable, fixed: the bytes; NULL before the first put */
	const uint8_t *view; /* a view: the borrowed bytes */
	size_t len; /* bytes held, consumed ones included */
	size_t off; /* bytes consumed by the get functions */
	size_t cap; /* bytes of storage */
	size_t max; /* limit on len */
	unsigned kind; /* KP_BUF_GROWABLE, KP_BUF_FIXED or KP_BUF_VIEW */
	int err; /* first put error, 0 if none */
};

#define KP_BUF_GROWABLE 0
#define KP_BUF_FIXED 1
#define KP_BUF_VIEW 2

void kp_buf_init(struct kp_buf *b, size_t max);
/* size >= 1; storage[0] becomes NUL. */
void kp_buf_init_fixed(struct kp_buf *b, void *storage, size_t size);
void kp_buf_view(struct kp_buf *b, const void *p, size_t len);
/* Empty again (nothing held, nothing consumed, no error); storage is kept. */
void kp_buf_reset(struct kp_buf *b);
/* Record error r (r < 0) unless one is recorded; returns the recorded one. */
int kp_buf_set_error(struct kp_buf *b, int r);

/* The bytes not consumed yet, and how many. */
const uint8_t *kp_buf_ptr(const struct kp_buf *b);
size_t kp_buf_len(const struct kp_buf *b);

/* ------------------------------------------------------------ writing */

int kp_buf_put(struct kp_buf *b, const void *p, size_t n);
int kp_buf_puts(struct kp_buf *b, const char *s);
int kp_buf_putc(struct kp_buf *b, char c);
/* s and a '\n', both or neither. */
int kp_buf_putline(struct kp_buf *b, const char *s);
int kp_buf_printf(struct kp_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int kp_buf_put_u8(struct kp_buf *b, uint8_t v);
int kp_buf_put_u16(struct kp_buf *b, uint16_t v);
int kp_buf_put_u32(struct kp_buf *b, uint32_t v);
int kp_buf_put_u64(struct kp_buf *b, uint64_t v);
/* SSH string: u32 length, then the n bytes (KP_ERR_TOOBIG past 2^32-1). */
int kp_buf_put_string(struct kp_buf *b, const void *p, size_t n);

/*
 * A growable buffer's text to the caller (who frees it); b is empty again.
 * "" if nothing was put. KP_ERR_ARG for a fixed buffer or a view.
 */
int kp_buf_take(struct kp_buf *b, char **out, size_t *len);
/* Free a growable buffer's storage; b is empty again (any kind). */
void kp_buf_free(struct kp_buf *b);

/* ------------------------------------------------------------ reading */

/* Consume n bytes: *p (when p is not NULL) points at them. */
int kp_buf_get_ptr(struct kp_buf *b, size_t n, const uint8_t **p);
/* Consume n bytes into out. */
int kp_buf_get(struct kp_buf *b, void *out, size_t n);
int kp_buf_get_u8(struct kp_buf *b, uint8_t *v);
int kp_buf_get_u16(struct kp_buf *b, uint16_t *v);
int kp_buf_get_u32(struct kp_buf *b, uint32_t *v);
int kp_buf_get_u64(struct kp_buf *b, uint64_t *v);
/* SSH string: *p points at its *n bytes (not NUL-terminated). */
int kp_buf_get_string(struct kp_buf *b, const uint8_t **p, size_t *n);

/* ---------------------------------------- big-endian at a raw pointer */

static inline void
kp_poke_u16(void *p, uint16_t v)
{
	uint8_t *q = p;

	q[0] = (uint8_t)(v >> 8);
	q[1] = (uint8_t)v;
}

static inline void
kp_poke_u32(void *p, uint32_t v)
{
	uint8_t *q = p;

	q[0] = (uint8_t)(v >> 24);
	q[1] = (uint8_t)(v >> 16);
	q[2] = (uint8_t)(v >> 8);
	q[3] = (uint8_t)v;
}

static inline void
kp_poke_u64(void *p, uint64_t v)
{
	kp_poke_u32(p, (uint32_t)(v >> 32));
	kp_poke_u32((uint8_t *)p + 4, (uint32_t)v);
}

static inline uint16_t
kp_peek_u16(const void *p)
{
	const uint8_t *q = p;

	return (uint16_t)((q[0] << 8) | q[1]);
}

static inline uint32_t
kp_peek_u32(const void *p)
{
	const uint8_t *q = p;

	return ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) |
	    ((uint32_t)q[2] << 8) | (uint32_t)q[3];
}

static inline uint64_t
kp_peek_u64(const void *p)
{
	return ((uint64_t)kp_peek_u32(p) << 32) |
	    kp_peek_u32((const uint8_t *)p + 4);
}

#endif /* KP_BUF_H */
