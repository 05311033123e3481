/*
 * The compiled index format, shared by index.c (reader) and compile.c
 * (writer). docs/index-format.md describes it for humans; this header is
 * the authority for the constants.
 *
 * A tinycdb file whose every key is unique. The first byte of a key names
 * its namespace, the first byte of a value its record type, and every
 * value ends with KPI_CHECK_LEN bytes of SHA-256 over the key and the rest
 * of the value, so a damaged record is refused when it is read.
 *
 *   key                                 value
 *   "M"                                 meta (written last)
 *   'F' fp[50] be16(0)                  key header: flags, owner, n
 *   'F' fp[50] be16(1..n)               grant or host marker, policy order
 *   'A' account '\0' be32(c)            chunk c of the account's fingerprints
 *   'O' owner                           the owner is revoked
 *
 * Integers are big-endian. A string is be16 length, the bytes, a NUL (so
 * the reader can hand out pointers into the mapped file after checking
 * that the NUL is there and no other NUL is inside).
 */
#ifndef KP_INDEX_FORMAT_H
#define KP_INDEX_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/* Key namespaces. */
#define KPI_NS_META 'M'
#define KPI_NS_FP 'F'
#define KPI_NS_ACCOUNT 'A'
#define KPI_NS_OWNER 'O'

/* Record types (the first byte of each value; meta starts with the magic). */
#define KPI_REC_KEY 'K'
#define KPI_REC_GRANT 'G'
#define KPI_REC_MARKER 'H'
#define KPI_REC_ACCOUNT 'L'
#define KPI_REC_OWNER 'O'

/* Meta value: magic[8] be32(format) ... (see docs/index-format.md). */
#define KPI_MAGIC "kpindex" /* 7 characters and its NUL */
#define KPI_MAGIC_LEN 8

/* Key header flags. */
#define KPI_KEY_REVOKED_FP 0x01 /* fingerprint (or key) revoked */
#define KPI_KEY_REVOKED_OWNER 0x02 /* owner revoked */

#define KPI_CHECK_LEN 8 /* truncated SHA-256 at the end of a value */
#define KPI_FP_STRLEN 50 /* "SHA256:" + 43 characters, no NUL */
#define KPI_CIDR_LEN 18 /* family, prefix, addr[16] */
#define KPI_TOC_LEN 2048 /* tinycdb's table of contents */

/*
 * Bounds that keep a reader's memory independent of the index size. The
 * compiler refuses a policy beyond them (KP_ERR_TOOBIG); a reader that
 * meets an index beyond them calls it corrupt.
 */
#define KPI_MAX_RECORDS_PER_KEY 1024 /* grants + markers of one fingerprint */
#define KPI_MAX_VALUE (1024UL * 1024) /* one value */
#define KPI_MAX_KEY_BYTES (8UL * 1024 * 1024) /* all values of one key */
#define KPI_MAX_LIST 65535 /* accounts or sources of one grant */
#define KPI_MAX_OPTIONS 255 /* options of one grant */
#define KPI_MAX_STR 65535 /* one string */
#define KPI_ACCOUNT_CHUNK 256 /* fingerprints per account chunk */
#define KPI_HOST_MAX 255 /* meta host */

static inline void
kpi_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
kpi_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void
kpi_put64(uint8_t *p, uint64_t v)
{
	kpi_put32(p, (uint32_t)(v >> 32));
	kpi_put32(p + 4, (uint32_t)v);
}

static inline uint16_t
kpi_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t
kpi_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline uint64_t
kpi_get64(const uint8_t *p)
{
	return ((uint64_t)kpi_get32(p) << 32) | kpi_get32(p + 4);
}

/*
 * The check of one record: the first KPI_CHECK_LEN bytes of
 * SHA-256("kpindex-check" || be32(klen) || key || body), where body is the
 * value without its check. Lives in index.c (libkeyauth-core); the writer
 * uses the same function so both sides cannot drift apart. SHA-256 is
 * libkeyauth's own (kp-sha256.h): the reader is on the login path, where
 * loading libcrypto cost more than the lookup. The writer hashes millions
 * of records and may plug in a faster SHA-256 (compile.c uses OpenSSL's,
 * which uses the CPU's SHA instructions); it must compute the same digest
 * (tests/unit/test_sha256 compares the two). A hasher is not shared
 * between threads.
 */
struct kp_ix_hasher {
	int ready;
	/* NULL: kp_sha256. Else SHA-256 of the n parts concatenated. */
	int (*sha256v)(void *ctx, const void *const *parts, const size_t *lens,
	    size_t n, uint8_t md[32]);
	void *ctx;
};

int kp_ix_hasher_init(struct kp_ix_hasher *h);
void kp_ix_hasher_free(struct kp_ix_hasher *h);
int kp_ix_check(struct kp_ix_hasher *h, const void *key, size_t klen,
    const void *body, size_t blen, uint8_t out[KPI_CHECK_LEN]);

#endif /* KP_INDEX_FORMAT_H */
