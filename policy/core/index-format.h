/* SPDX-License-Identifier: BSD-2-Clause */
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
 *   'C' cafp[50] be16(0)                CA header: flags, owner, n
 *   'C' cafp[50] be16(1..n)             CA grant or host marker
 *   'R' cafp[50] 's' serial (decimal)   a revoked certificate serial
 *   'R' cafp[50] 'i' key id             a revoked certificate key id
 *   'V' fp[50] be16(1..n)               the grant and group path of record i
 *                                       (only for entries a grant made)
 *   'E' fp[50] be16(i)                  report: entry i as written (from:,
 *                                       hosts:; a revoked key's grant)
 *   'X' account '\0' be32(c)            report: chunk c of the account's
 *                                       revoked keys' entries (fp, i)
 *   "T"                                 report: the index has the above
 *   'Q'                                 the number n of authority rows
 *   'Q' be32(0..n-1)                    the report's row of an authority
 *
 * Integers are big-endian. A string is be16 length, the bytes, a NUL (so
 * the reader can hand out pointers into the mapped file after checking
 * that the NUL is there and no other NUL is inside).
 */
#ifndef KP_INDEX_FORMAT_H
#define KP_INDEX_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "keyauth.h"

/* Key namespaces. */
#define KPI_NS_META 'M'
#define KPI_NS_FP 'F'
#define KPI_NS_ACCOUNT 'A'
#define KPI_NS_OWNER 'O'
#define KPI_NS_CA 'C'
#define KPI_NS_CERT_REVOKED 'R'
/* The report's records: never on the login path (docs/index-format.md). */
#define KPI_NS_ENTRY 'E' /* an entry as written, beside its grant */
#define KPI_NS_REVOKED_ROWS 'X' /* by account: the revoked keys' entries */
#define KPI_NS_ROWS 'T' /* alone: the index has the report's records */
#define KPI_NS_VIA 'V' /* annotations: no login is decided by them */
#define KPI_NS_CA_ROW \
	'Q' /* the report's authorities, policy order; never on the login path */

/* Record types (the first byte of each value; meta starts with the magic). */
#define KPI_REC_KEY 'K'
#define KPI_REC_GRANT 'G'
#define KPI_REC_MARKER 'H'
#define KPI_REC_ACCOUNT 'L'
#define KPI_REC_OWNER 'O'
#define KPI_REC_CA 'C' /* CA header, as a key header */
#define KPI_REC_CA_GRANT 'P' /* a grant, then the principals per account */
#define KPI_REC_CERT_REVOKED 'R'
#define KPI_REC_ENTRY 'E' /* from, hosts, u8 revoked [grant, no base64] */
#define KPI_REC_REVOKED_ROWS 'X' /* be32 c, be32 nchunks, be16 n, refs */
#define KPI_REC_ROWS 'T' /* u8 flags (KPI_ROWS_*) */
#define KPI_REC_VIA 'V' /* str grant, str group path ("" when named) */
#define KPI_REC_CA_ROW 'U' /* one authority of the policy */
#define KPI_REC_CA_ROWS 'Q' /* under the key 'Q' alone: be32 rows */

/* Meta value: magic[8] be32(format) ... (see docs/index-format.md). */
#define KPI_MAGIC "kpindex" /* 7 characters and its NUL */
#define KPI_MAGIC_LEN 8

/* Key header flags. */
#define KPI_KEY_REVOKED_FP 0x01 /* fingerprint (or key) revoked */
#define KPI_KEY_REVOKED_OWNER 0x02 /* owner revoked */
#define KPI_CA_ROW_OTHER_HOST 0x04 /* authority row: not for this host */

/* Flags of the report's record "T". */
#define KPI_ROWS_TEAMS 0x01 /* a policy of grants: rows name them */

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
#define KPI_ROW_REF_LEN (KPI_FP_STRLEN + 2) /* 'X' chunk: fp, be16(i) */
#define KPI_HOST_MAX 255 /* meta host */

#define KPI_FP_KEY_LEN (1 + KPI_FP_STRLEN + 2) /* 'F' fp be16(i) */
#define KPI_ACCOUNT_KEY_MAX (1 + KP_ACCOUNT_MAX + 1 + 4)
#define KPI_OWNER_KEY_MAX (1 + KP_VALUE_MAX)
#define KPI_CERT_REVOKED_KEY_MAX (1 + KPI_FP_STRLEN + 1 + KP_CERT_KEY_ID_MAX)

/*
 * The keys, written by the compiler and looked up by the reader through
 * these builders only. Each fills a fixed kp_buf over the caller's
 * storage (one byte more than the key, for the buffer's NUL) and returns
 * the key's length, or 0 when the input cannot make a key of the format.
 */
/* NS fp be16(i): the layout of the key, CA and annotation namespaces. */
static inline size_t
kpi_ns_fp_key(
    uint8_t buf[KPI_FP_KEY_LEN + 1], uint8_t ns, const char *fp, uint16_t i)
{
	struct kp_buf b;

	kp_buf_init_fixed(&b, buf, KPI_FP_KEY_LEN + 1);
	kp_buf_put_u8(&b, ns);
	kp_buf_put(&b, fp, KPI_FP_STRLEN);
	kp_buf_put_u16(&b, i);
	return b.err == 0 ? b.len : 0;
}

static inline size_t
kpi_fp_key(uint8_t buf[KPI_FP_KEY_LEN + 1], const char *fp, uint16_t i)
{
	return kpi_ns_fp_key(buf, KPI_NS_FP, fp, i);
}

/* 'C' cafp be16(i): the CA namespace, laid out as the key one. */
static inline size_t
kpi_ca_key(uint8_t buf[KPI_FP_KEY_LEN + 1], const char *fp, uint16_t i)
{
	return kpi_ns_fp_key(buf, KPI_NS_CA, fp, i);
}

/*
 * 'V' fp be16(i): the grant behind record i of the key, laid out as the
 * key namespace so a decision finds it with one lookup.
 */
static inline size_t
kpi_via_key(uint8_t buf[KPI_FP_KEY_LEN + 1], const char *fp, uint16_t i)
{
	return kpi_ns_fp_key(buf, KPI_NS_VIA, fp, i);
}

/*
 * 'R' cafp 's' serial or 'R' cafp 'i' key id: one revoked certificate.
 * The serial is written in decimal, so both kinds are text.
 */
static inline size_t
kpi_cert_revoked_key(uint8_t buf[KPI_CERT_REVOKED_KEY_MAX + 1],
    const char *cafp, char kind, const char *what)
{
	struct kp_buf b;

	kp_buf_init_fixed(&b, buf, KPI_CERT_REVOKED_KEY_MAX + 1);
	kp_buf_put_u8(&b, KPI_NS_CERT_REVOKED);
	kp_buf_put(&b, cafp, KPI_FP_STRLEN);
	kp_buf_put_u8(&b, (uint8_t)kind);
	kp_buf_puts(&b, what);
	return b.err == 0 ? b.len : 0;
}

/*
 * 'A' or 'X' account NUL be32(c): chunk c of the account's fingerprints
 * (login path) or of its revoked keys' entries (report).
 */
static inline size_t
kpi_chunk_key(uint8_t buf[KPI_ACCOUNT_KEY_MAX + 1], uint8_t ns,
    const char *account, uint32_t chunk)
{
	struct kp_buf b;

	kp_buf_init_fixed(&b, buf, KPI_ACCOUNT_KEY_MAX + 1);
	kp_buf_put_u8(&b, ns);
	kp_buf_puts(&b, account);
	kp_buf_put_u8(&b, 0);
	kp_buf_put_u32(&b, chunk);
	return b.err == 0 ? b.len : 0;
}

static inline size_t
kpi_account_key(
    uint8_t buf[KPI_ACCOUNT_KEY_MAX + 1], const char *account, uint32_t chunk)
{
	return kpi_chunk_key(buf, KPI_NS_ACCOUNT, account, chunk);
}

/*
 * 'E' fp be16(i): what the report shows of the key's entry i beyond its
 * grant record (from: and hosts: as written; for a revoked key, whose
 * grants are never compiled, the grant itself).
 */
static inline size_t
kpi_entry_key(uint8_t buf[KPI_FP_KEY_LEN + 1], const char *fp, uint16_t i)
{
	return kpi_ns_fp_key(buf, KPI_NS_ENTRY, fp, i);
}

/* 'Q' be32(j): the report's row j of the authorities. */
#define KPI_CA_ROW_KEY_LEN (1 + 4)
static inline size_t
kpi_ca_row_key(uint8_t buf[KPI_CA_ROW_KEY_LEN + 1], uint32_t j)
{
	struct kp_buf b;

	kp_buf_init_fixed(&b, buf, KPI_CA_ROW_KEY_LEN + 1);
	kp_buf_put_u8(&b, KPI_NS_CA_ROW);
	kp_buf_put_u32(&b, j);
	return b.err == 0 ? b.len : 0;
}

static inline size_t
kpi_owner_key(uint8_t buf[KPI_OWNER_KEY_MAX + 1], const char *owner)
{
	struct kp_buf b;

	kp_buf_init_fixed(&b, buf, KPI_OWNER_KEY_MAX + 1);
	kp_buf_put_u8(&b, KPI_NS_OWNER);
	kp_buf_puts(&b, owner);
	return b.err == 0 ? b.len : 0;
}

/*
 * A string of a value: be16 length, the bytes, a NUL. The reader hands
 * out pointers into the mapped file: the NUL must be there and no other
 * NUL inside; an empty string only where may_be_empty.
 */
static inline int
kpi_put_str(struct kp_buf *b, const char *s)
{
	size_t len = strlen(s);

	if (len > KPI_MAX_STR)
		return kp_buf_set_error(b, KP_ERR_TOOBIG);
	kp_buf_put_u16(b, (uint16_t)len);
	return kp_buf_put(b, s, len + 1);
}

static inline int
kpi_get_str(struct kp_buf *b, int may_be_empty, const char **out)
{
	const uint8_t *p;
	uint16_t len;

	*out = NULL;
	if (kp_buf_get_u16(b, &len) != 0 ||
	    kp_buf_get_ptr(b, (size_t)len + 1, &p) != 0)
		return KP_ERR_CORRUPT;
	if (p[len] != '\0' || memchr(p, '\0', len) != NULL ||
	    (len == 0 && !may_be_empty))
		return KP_ERR_CORRUPT;
	*out = (const char *)p;
	return 0;
}

/* An address or network: family, prefix, addr[16]. */
static inline int
kpi_put_cidr(struct kp_buf *b, const struct kp_cidr *c)
{
	kp_buf_put_u8(b, c->family);
	kp_buf_put_u8(b, c->prefix);
	return kp_buf_put(b, c->addr, sizeof(c->addr));
}

static inline int
kpi_get_cidr(struct kp_buf *b, struct kp_cidr *c)
{
	memset(c, 0, sizeof(*c));
	if (kp_buf_len(b) < KPI_CIDR_LEN)
		return KP_ERR_CORRUPT;
	kp_buf_get_u8(b, &c->family);
	kp_buf_get_u8(b, &c->prefix);
	return kp_buf_get(b, c->addr, sizeof(c->addr));
}

/*
 * The check of one record: the first KPI_CHECK_LEN bytes of
 * SHA-256("kpindex-check" || be32(klen) || key || body), where body is the
 * value without its check. Lives in index.c; the writer uses the same
 * function, so both sides cannot drift apart.
 */
int kp_ix_check(const void *key, size_t klen, const void *body, size_t blen,
    uint8_t out[KPI_CHECK_LEN]);

#endif /* KP_INDEX_FORMAT_H */
