/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Two compiled indexes that must give the same access: the records that
 * decide logins and the report's rows (all but the meta record, the
 * grant annotations 'V' and the report's flags "T") equal byte for byte
 * and in file order, the meta records equal but for the record and byte
 * counts, which differ by exactly the annotations, and "T" saying the
 * second policy is one of grants (docs/index-format.md, "Grant
 * annotations"). Include after test.h.
 */
#ifndef TEST_INDEX_ACCESS_H
#define TEST_INDEX_ACCESS_H

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cdb-walk.h"
#include "index-format.h"

struct ix_split {
	struct kp_buf access; /* be32 klen, key, be32 vlen, value; in order */
	uint8_t *meta;
	size_t metalen;
	uint64_t nvia, viabytes; /* annotations, and their bytes in the file */
	uint64_t nrecs; /* 'F' fp be16(i), i > 0: grants and host markers */
	uint64_t nrevoked; /* 'E' records of revoked keys' entries */
	int rows_flags; /* of "T"; -1: none */
};

/* An 'E' record of a revoked key's entry: its revoked byte is 1. */
static int
ix_entry_revoked(const uint8_t *v, size_t vlen)
{
	struct kp_buf b;
	const char *s;
	uint16_t n, i, k;
	uint8_t type, rv;

	kp_buf_view(&b, v, vlen);
	if (kp_buf_get_u8(&b, &type) != 0 || type != KPI_REC_ENTRY)
		return 0;
	for (k = 0; k < 2; k++) {
		if (kp_buf_get_u16(&b, &n) != 0)
			return 0;
		for (i = 0; i < n; i++)
			if (kpi_get_str(&b, 0, &s) != 0)
				return 0;
	}
	return kp_buf_get_u8(&b, &rv) == 0 && rv == 1;
}

/*
 * Offsets in the meta value: magic, format, serial, policy_expires,
 * compiled_at, nentries, nkeys, then nrecords and databytes.
 */
#define IX_META_NRECORDS (KPI_MAGIC_LEN + 4 + 5 * 8)
#define IX_META_DATABYTES (IX_META_NRECORDS + 8)

static int
ix_split_one(
    const uint8_t *k, unsigned klen, const uint8_t *v, unsigned vlen, void *arg)
{
	struct ix_split *sp = arg;

	if (k[0] == KPI_NS_META) {
		if (sp->meta != NULL || (sp->meta = malloc(vlen)) == NULL)
			return -1;
		memcpy(sp->meta, v, vlen);
		sp->metalen = vlen;
		return 0;
	}
	if (k[0] == KPI_NS_VIA) {
		sp->nvia++;
		sp->viabytes += 8 + (uint64_t)klen + vlen;
		return 0;
	}
	if (k[0] == KPI_NS_ROWS && klen == 1) {
		if (sp->rows_flags != -1 || vlen != 2 + KPI_CHECK_LEN)
			return -1;
		sp->rows_flags = v[1];
		return 0;
	}
	if (k[0] == KPI_NS_FP && klen == KPI_FP_KEY_LEN &&
	    kp_peek_u16(k + 1 + KPI_FP_STRLEN) != 0)
		sp->nrecs++;
	if (k[0] == KPI_NS_ENTRY && ix_entry_revoked(v, vlen))
		sp->nrevoked++;
	kp_buf_put_u32(&sp->access, klen);
	kp_buf_put(&sp->access, k, klen);
	kp_buf_put_u32(&sp->access, vlen);
	kp_buf_put(&sp->access, v, vlen);
	return 0;
}

static int
ix_split(const char *path, struct ix_split *sp)
{
	memset(sp, 0, sizeof(*sp));
	sp->rows_flags = -1;
	kp_buf_init(&sp->access, 1UL << 31);
	return t_cdb_walk(path, ix_split_one, sp) == 0 && sp->access.err == 0 &&
	    sp->meta != NULL &&
	    sp->metalen > IX_META_DATABYTES + 8 + KPI_CHECK_LEN;
}

static void
ix_split_free(struct ix_split *sp)
{
	kp_buf_free(&sp->access);
	free(sp->meta);
}

/*
 * p2 gives the access of p1. p1 has no annotation, p2 want_via of them;
 * -1: one for each grant and host marker and each revoked key's entry
 * that applies (a policy whose every entry a grant made).
 */
static void
ix_same_access(const char *p1, const char *p2, long want_via)
{
	struct ix_split a, b;
	size_t m;

	if (!t_ok(ix_split(p1, &a), __FILE__, __LINE__, "%s: readable", p1) ||
	    !t_ok(ix_split(p2, &b), __FILE__, __LINE__, "%s: readable", p2))
		goto out;
	CHECK_INT(a.nvia, 0);
	CHECK_INT(
	    b.nvia, want_via < 0 ? b.nrecs + b.nrevoked : (uint64_t)want_via);
	CHECK_INT(b.nrecs, a.nrecs);
	CHECK_INT(b.nrevoked, a.nrevoked);
	CHECK_INT(a.rows_flags, 0);
	CHECK_INT(b.rows_flags, KPI_ROWS_TEAMS);
	t_ok(kp_buf_len(&a.access) == kp_buf_len(&b.access) &&
	        memcmp(kp_buf_ptr(&a.access), kp_buf_ptr(&b.access),
	            kp_buf_len(&a.access)) == 0,
	    __FILE__, __LINE__, "access records equal byte for byte");
	if (!t_ok(a.metalen == b.metalen, __FILE__, __LINE__,
	        "meta records of one length"))
		goto out;
	m = a.metalen - KPI_CHECK_LEN;
	t_ok(memcmp(a.meta, b.meta, IX_META_NRECORDS) == 0, __FILE__, __LINE__,
	    "meta equal up to the counts");
	t_ok(
	    memcmp(a.meta + IX_META_DATABYTES + 8,
	        b.meta + IX_META_DATABYTES + 8, m - IX_META_DATABYTES - 8) == 0,
	    __FILE__, __LINE__, "meta equal after the counts");
	CHECK_INT(kp_peek_u64(b.meta + IX_META_NRECORDS),
	    kp_peek_u64(a.meta + IX_META_NRECORDS) + b.nvia);
	CHECK_INT(kp_peek_u64(b.meta + IX_META_DATABYTES),
	    kp_peek_u64(a.meta + IX_META_DATABYTES) + b.viabytes);
out:
	ix_split_free(&a);
	ix_split_free(&b);
}

#endif /* TEST_INDEX_ACCESS_H */
