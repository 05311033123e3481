/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cdb.h>

#include "keyauth-policy.h"
#include "kp-internal.h"
#include "kp-policy.h"
#include "index-format.h"

/*
 * The index compiler (docs/index-format.md). It streams: entries are
 * sorted by fingerprint (an array of references, O(n log n)), each key's records are written as
 * its group is met, and only the (account, fingerprint) pairs are kept
 * until the end, to be written as per-account chunks.
 */

/*
 * Sorting keys carry the first bytes after "SHA256:" and an interned
 * account number, so that comparisons at a million keys rarely chase a
 * pointer into the policy (the cache misses dominated the compile time).
 */
struct fpref {
	uint64_t k; /* fp bytes 7..14, big-endian */
	const char *fp;
	size_t idx; /* entry index; ties keep policy order */
};

struct pair {
	uint32_t acct; /* index into compiler.accts */
	uint64_t k;
	const char *fp;
};

/*
 * One report row of a revoked key: its entry rec (1-based, among the
 * key's entries) for account acct. The rows of the other keys are not
 * kept: the reader finds them through the account chunks.
 */
struct rowref {
	uint32_t acct; /* index into compiler.accts */
	uint16_t rec;
	size_t seq; /* written in key order, each key's in policy order */
	const char *fp;
};

struct compiler {
	const struct kp_policy *p;
	const char *host;
	struct kp_diag *diag;
	/*
	 * Not embedded: handing tinycdb a pointer into this struct makes the
	 * analyzer assume it may rewrite any member (val.p is then "leaked").
	 */
	struct cdb_make *cm;
	struct kp_buf val; /* the value being built, up to KPI_MAX_VALUE */
	uint64_t databytes; /* bytes of all records written so far */
	uint64_t nrecords;
	uint64_t nentries;
	uint64_t nkeys;
	const char **rev_fps; /* sorted, unique */
	size_t nrev_fps;
	const char **rev_owners; /* sorted, unique */
	size_t nrev_owners;
	struct pair *pairs;
	size_t npairs;
	struct rowref *rows; /* revoked keys' rows; sized as pairs */
	size_t nrows;
	const char **accts; /* distinct accounts, first seen first */
	size_t naccts;
	uint32_t *atab; /* open addressing: 1 + index into accts */
	size_t atab_mask;
};

/* ------------------------------------------------------ value building */

/* Append the check to the value in c->val and add the record. */
static int
add_record(struct compiler *c, const void *key, size_t klen)
{
	uint8_t check[KPI_CHECK_LEN];
	size_t vlen;
	int r;

	if (klen == 0)
		return KP_ERR_INTERNAL; /* a key builder refused its input */
	if (c->val.err != 0)
		return c->val.err;
	if ((r = kp_ix_check(key, klen, kp_buf_ptr(&c->val),
	         kp_buf_len(&c->val), check)) != 0)
		return r;
	if ((r = kp_buf_put(&c->val, check, sizeof(check))) != 0)
		return r;
	vlen = kp_buf_len(&c->val);
	if (c->databytes + 8 + klen + vlen > UINT32_MAX)
		return KP_ERR_TOOBIG;
	if (cdb_make_add(c->cm, key, (unsigned)klen, kp_buf_ptr(&c->val),
	        (unsigned)vlen) != 0)
		return errno == ENOMEM ? KP_ERR_TOOBIG : KP_ERR_IO;
	c->databytes += 8 + klen + vlen;
	c->nrecords++;
	kp_buf_reset(&c->val);
	return 0;
}

/* ---------------------------------------------------------- sorting */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Orders like strcmp: every valid fingerprint starts with "SHA256:". */
static uint64_t
fp_sortkey(const char *fp)
{
	return kp_peek_u64(fp + 7);
}

static int
cmp_fpref(const void *a, const void *b)
{
	const struct fpref *x = a, *y = b;
	int d;

	if (x->k != y->k)
		return x->k < y->k ? -1 : 1;
	if ((d = strcmp(x->fp, y->fp)) != 0)
		return d;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int
cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;

	if (x->acct != y->acct)
		return x->acct < y->acct ? -1 : 1;
	if (x->k != y->k)
		return x->k < y->k ? -1 : 1;
	return x->fp == y->fp ? 0 : strcmp(x->fp, y->fp);
}

static uint64_t
account_hash(const char *a)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	const unsigned char *s;

	for (s = (const unsigned char *)a; *s != '\0'; s++)
		h = (h ^ *s) * 0x100000001b3ULL;
	return h;
}

/*
 * Twice the slots: the table stays at most half full, and small (a few
 * thousand accounts, not one slot per grant), so its probes hit the cache.
 */
static int
grow_accounts(struct compiler *c)
{
	size_t n = 2 * (c->atab_mask + 1), i, j;
	uint32_t *t;

	if ((t = calloc(n, sizeof(*t))) == NULL)
		return KP_ERR_NOMEM;
	for (i = 0; i < c->naccts; i++) {
		for (j = (size_t)account_hash(c->accts[i]) & (n - 1); t[j] != 0;
		     j = (j + 1) & (n - 1))
			;
		t[j] = (uint32_t)(i + 1);
	}
	free(c->atab);
	c->atab = t;
	c->atab_mask = n - 1;
	return 0;
}

/* In *out the number of account name a, added on first sight. */
static int
intern_account(struct compiler *c, const char *a, uint32_t *out)
{
	uint64_t h = account_hash(a);
	const char *s;
	size_t i;
	int r;

	for (i = (size_t)h & c->atab_mask; c->atab[i] != 0;
	     i = (i + 1) & c->atab_mask) {
		s = c->accts[c->atab[i] - 1];
		if (s == a || strcmp(s, a) == 0) {
			*out = c->atab[i] - 1;
			return 0;
		}
	}
	if (2 * (c->naccts + 1) > c->atab_mask + 1) {
		if ((r = grow_accounts(c)) != 0)
			return r;
		for (i = (size_t)h & c->atab_mask; c->atab[i] != 0;
		     i = (i + 1) & c->atab_mask)
			;
	}
	/* accts has room for every account of every entry. */
	c->accts[c->naccts] = a;
	c->atab[i] = (uint32_t)++c->naccts;
	*out = c->naccts - 1;
	return 0;
}

static size_t
uniq_str(const char **v, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (o == 0 || strcmp(v[o - 1], v[i]) != 0)
			v[o++] = v[i];
	}
	return o;
}

static int
in_sorted(const char **v, size_t n, const char *s)
{
	return n > 0 && bsearch(&s, v, n, sizeof(*v), cmp_str) != NULL;
}

/* ------------------------------------------------------------ records */

/* Refuse what the reader would call corrupt, naming the entry. */
static int
check_entry(struct compiler *c, const struct kp_entry *e)
{
	const char *file = c->p->path;
	size_t i;

	if (e->id == NULL || e->owner == NULL || e->key == NULL ||
	    e->key->type == NULL || e->key->b64 == NULL ||
	    !kp_fingerprint_valid(e->key->fp) || e->naccounts == 0 ||
	    e->accounts == NULL || (e->nsources > 0 && e->sources == NULL) ||
	    (e->noptions > 0 && e->options == NULL) ||
	    (e->nhosts > 0 && e->hosts == NULL) || *e->id == '\0' ||
	    *e->key->type == '\0' || *e->key->b64 == '\0') {
		kp_diag_set(
		    c->diag, file, e->line, e->column, "entry is incomplete");
		return KP_ERR_INVALID;
	}
	for (i = 0; i < e->naccounts; i++) {
		if (e->accounts[i] == NULL ||
		    !kp_account_valid(e->accounts[i])) {
			kp_diag_set(c->diag, file, e->line, e->column,
			    "entry %s: invalid account", e->id);
			return KP_ERR_INVALID;
		}
	}
	for (i = 0; i < e->noptions; i++) {
		if (e->options[i] == NULL || *e->options[i] == '\0') {
			kp_diag_set(c->diag, file, e->line, e->column,
			    "entry %s: empty option", e->id);
			return KP_ERR_INVALID;
		}
	}
	if (!kp_time_window_valid(e->not_before, e->expires)) {
		kp_diag_set(c->diag, file, e->line, e->column,
		    "entry %s: not_before is not earlier than expires", e->id);
		return KP_ERR_INVALID;
	}
	if (e->naccounts > KPI_MAX_LIST || e->nsources > KPI_MAX_LIST ||
	    e->noptions > KPI_MAX_OPTIONS || strlen(e->owner) > KP_VALUE_MAX) {
		kp_diag_set(c->diag, file, e->line, e->column,
		    "entry %s: too many accounts, sources or options for the "
		    "index",
		    e->id);
		return KP_ERR_TOOBIG;
	}
	return 0;
}

/*
 * The body of a grant (type: KPI_REC_GRANT or KPI_REC_CA_GRANT) with the
 * accounts acc[0..nacc); a report row's (row set) has its one account and
 * an empty base64, which the report never prints.
 */
static void
put_grant_accounts(struct compiler *c, const struct kp_entry *e, uint8_t type,
    char *const *acc, size_t nacc, int row)
{
	struct kp_buf *b = &c->val;
	size_t i;

	kp_buf_put_u8(b, type);
	kp_buf_put_u64(b, (uint64_t)e->not_before);
	kp_buf_put_u64(b, (uint64_t)e->expires);
	kpi_put_str(b, e->id);
	kpi_put_str(b, e->key->type);
	kpi_put_str(b, row ? "" : e->key->b64);
	kp_buf_put_u8(b, e->command != NULL);
	if (e->command != NULL)
		kpi_put_str(b, e->command);
	kp_buf_put_u16(b, (uint16_t)nacc);
	for (i = 0; i < nacc; i++)
		kpi_put_str(b, acc[i]);
	kp_buf_put_u16(b, (uint16_t)e->nsources);
	for (i = 0; i < e->nsources; i++)
		kpi_put_cidr(b, &e->sources[i]);
	kp_buf_put_u8(b, (uint8_t)e->noptions);
	for (i = 0; i < e->noptions; i++)
		kpi_put_str(b, e->options[i]);
}

static void
put_grant(struct compiler *c, const struct kp_entry *e, uint8_t type)
{
	put_grant_accounts(c, e, type, e->accounts, e->naccounts, 0);
}

static int
write_grant(struct compiler *c, const struct kp_entry *e, const uint8_t *key,
    size_t klen)
{
	put_grant(c, e, KPI_REC_GRANT);
	return add_record(c, key, klen);
}

static int
write_marker(struct compiler *c, const struct kp_entry *e, const uint8_t *key,
    size_t klen)
{
	size_t i;

	kp_buf_put_u8(&c->val, KPI_REC_MARKER);
	kpi_put_str(&c->val, e->id);
	kp_buf_put_u16(&c->val, (uint16_t)e->naccounts);
	for (i = 0; i < e->naccounts; i++)
		kpi_put_str(&c->val, e->accounts[i]);
	return add_record(c, key, klen);
}

/*
 * The annotation of record i of fp when a grant made its entry: the
 * grant's id and the group path, for the audit records and explain. A
 * version 1 entry gets none, so its index is what it always was; no
 * decision reads one (docs/index-format.md).
 */
static int
write_via(
    struct compiler *c, const struct kp_entry *e, const char *fp, uint16_t i)
{
	uint8_t key[KPI_FP_KEY_LEN + 1];

	if (e->grant == NULL)
		return 0;
	kp_buf_put_u8(&c->val, KPI_REC_VIA);
	kpi_put_str(&c->val, e->grant);
	kpi_put_str(&c->val, e->via != NULL ? e->via : "");
	return add_record(c, key, kpi_via_key(key, fp, i));
}

/*
 * What the report shows of entry rec of fp beyond its grant record: from:
 * and hosts: as written and, for a revoked key (whose grants are never
 * compiled), the grant without its base64. One per entry that applies to
 * the host, so a missing one is damage (docs/index-format.md).
 */
static int
write_entry(struct compiler *c, const struct kp_entry *e, const char *fp,
    uint16_t rec, int revoked)
{
	uint8_t key[KPI_FP_KEY_LEN + 1];
	size_t f;

	if (e->nfrom > KPI_MAX_LIST || e->nhosts > KPI_MAX_LIST)
		return KP_ERR_TOOBIG;
	kp_buf_put_u8(&c->val, KPI_REC_ENTRY);
	kp_buf_put_u16(&c->val, (uint16_t)e->nfrom);
	for (f = 0; f < e->nfrom; f++)
		kpi_put_str(&c->val, e->from[f]);
	kp_buf_put_u16(&c->val, (uint16_t)e->nhosts);
	for (f = 0; f < e->nhosts; f++)
		kpi_put_str(&c->val, e->hosts[f]);
	kp_buf_put_u8(&c->val, revoked != 0);
	if (revoked)
		put_grant_accounts(
		    c, e, KPI_REC_GRANT, e->accounts, e->naccounts, 1);
	return add_record(c, key, kpi_entry_key(key, fp, rec));
}

/*
 * One fingerprint: the entries refs[0..n) (n may be 0 for a revoked key
 * that no entry names). A revoked key gets its header only: the grants of
 * a revoked key are never compiled, so no damage to a revocation record
 * can bring them back; the report's records of its entries are kept
 * apart (write_entry, write_report).
 */
static int
write_key(struct compiler *c, const char *fp, const struct fpref *refs,
    size_t n, int fp_revoked)
{
	const struct kp_entry *e = NULL, *first = NULL;
	uint8_t key[KPI_FP_KEY_LEN + 1];
	const char *owner = "";
	size_t i, j, klen, ngrants = 0;
	uint16_t rec;
	uint8_t flags = 0;
	int r;

	if (n > 0) {
		first = &c->p->entries[refs[0].idx];
		owner = first->owner;
	}
	for (i = 1; i < n; i++) {
		e = &c->p->entries[refs[i].idx];
		if (strcmp(e->owner, owner) != 0) {
			kp_diag_set(c->diag, c->p->path, e->line, e->column,
			    "entry %s: key %s has another owner in entry %s",
			    e->id, fp, first->id);
			return KP_ERR_INVALID;
		}
	}
	if (fp_revoked)
		flags |= KPI_KEY_REVOKED_FP;
	if (*owner != '\0' && in_sorted(c->rev_owners, c->nrev_owners, owner))
		flags |= KPI_KEY_REVOKED_OWNER;
	/* A revoked key's entries are numbered too, for the report. */
	if (n > KPI_MAX_RECORDS_PER_KEY) {
		kp_diag_set(c->diag, c->p->path, first->line, first->column,
		    "key %s has %zu entries; the index holds at most %d", fp, n,
		    KPI_MAX_RECORDS_PER_KEY);
		return KP_ERR_TOOBIG;
	}
	for (i = 0; i < n; i++) {
		e = &c->p->entries[refs[i].idx];
		rec = (uint16_t)(i + 1);
		klen = kpi_fp_key(key, fp, rec);
		if (!kp_entry_applies(e, c->host)) {
			if (flags != 0)
				continue;
			if ((r = write_marker(c, e, key, klen)) != 0 ||
			    (r = write_via(c, e, fp, rec)) != 0)
				goto fail;
			continue;
		}
		if (flags != 0) {
			/* The report lists a revoked key's entries, as revoked. */
			for (j = 0; j < e->naccounts; j++) {
				if ((r = intern_account(c, e->accounts[j],
				         &c->rows[c->nrows].acct)) != 0)
					return r;
				c->rows[c->nrows].rec = rec;
				c->rows[c->nrows].fp = e->key->fp;
				c->rows[c->nrows].seq = c->nrows;
				c->nrows++;
			}
			if ((r = write_entry(c, e, fp, rec, 1)) != 0 ||
			    (r = write_via(c, e, fp, rec)) != 0)
				goto fail;
			continue;
		}
		if ((r = write_grant(c, e, key, klen)) != 0 ||
		    (r = write_via(c, e, fp, rec)) != 0 ||
		    (r = write_entry(c, e, fp, rec, 0)) != 0)
			goto fail;
		ngrants++;
		for (j = 0; j < e->naccounts; j++) {
			/* Sized for every account of every entry up front. */
			if ((r = intern_account(c, e->accounts[j],
			         &c->pairs[c->npairs].acct)) != 0)
				return r;
			c->pairs[c->npairs].k = refs[i].k;
			c->pairs[c->npairs].fp = e->key->fp;
			c->npairs++;
		}
	}
	c->nentries += ngrants;
	if (ngrants > 0)
		c->nkeys++;
	kp_buf_put_u8(&c->val, KPI_REC_KEY);
	kp_buf_put_u8(&c->val, flags);
	kp_buf_put_u16(&c->val, (uint16_t)(flags != 0 ? 0 : n));
	kpi_put_str(&c->val, owner);
	klen = kpi_fp_key(key, fp, 0);
	return add_record(c, key, klen);
fail:
	if (r == KP_ERR_TOOBIG)
		kp_diag_set(c->diag, c->p->path, e->line, e->column,
		    "entry %s does not fit in one index record", e->id);
	return r;
}

/*
 * The entries are met in fingerprint order, that is at random places in
 * the policy, and at a million keys nearly every first touch of an entry,
 * its owner and its key missed the cache (most of write_key's own time).
 * Fetch ahead, in stages, each reading pointers an earlier one fetched.
 */
#define PREFETCH_AHEAD 12

/*
 * A statement, not a function: gcc takes a function that only prefetches
 * for one without effect and drops the call.
 */
#define PREFETCH_ENTRY(c, refs, n, i) \
	do { \
		const struct kp_entry *pe_; \
		if ((i) + PREFETCH_AHEAD < (n)) { \
			pe_ = \
			    &(c)->p \
			         ->entries[(refs)[(i) + PREFETCH_AHEAD].idx]; \
			__builtin_prefetch(pe_); \
			__builtin_prefetch((const char *)pe_ + 64); \
			__builtin_prefetch((const char *)pe_ + 128); \
		} \
		if ((i) + PREFETCH_AHEAD / 2 < (n)) { \
			pe_ = \
			    &(c)->p->entries[(refs)[(i) + PREFETCH_AHEAD / 2] \
			                         .idx]; \
			__builtin_prefetch(pe_->owner); \
			__builtin_prefetch(pe_->id); \
			__builtin_prefetch(pe_->accounts); \
			__builtin_prefetch(pe_->key); \
		} \
		if ((i) + PREFETCH_AHEAD / 4 < (n)) { \
			pe_ = \
			    &(c)->p->entries[(refs)[(i) + PREFETCH_AHEAD / 4] \
			                         .idx]; \
			__builtin_prefetch(pe_->key->type); \
			__builtin_prefetch(pe_->key->b64); \
			__builtin_prefetch(pe_->accounts[0]); \
		} \
	} while (0)

static int
write_keys(struct compiler *c)
{
	const struct kp_policy *p = c->p;
	struct fpref *refs = NULL;
	size_t i, j, k = 0;
	int r = KP_ERR_NOMEM, d;

	if (p->nentries > 0 &&
	    (refs = calloc(p->nentries, sizeof(*refs))) == NULL)
		goto out;
	for (i = 0; i < p->nentries; i++) {
		if ((r = check_entry(c, &p->entries[i])) != 0)
			goto out;
		refs[i].fp = p->entries[i].key->fp;
		refs[i].k = fp_sortkey(refs[i].fp);
		refs[i].idx = i;
	}
	if (p->nentries > 1)
		qsort(refs, p->nentries, sizeof(*refs), cmp_fpref);
	/*
	 * Merge the entry groups with the revoked fingerprints, both sorted:
	 * the merge says which keys are revoked. The sort keys decide most
	 * comparisons without reading the policy's strings.
	 */
	i = 0;
	while (i < p->nentries || k < c->nrev_fps) {
		if (i < p->nentries && k < c->nrev_fps)
			d = refs[i].k != fp_sortkey(c->rev_fps[k])
			    ? (refs[i].k < fp_sortkey(c->rev_fps[k]) ? -1 : 1)
			    : strcmp(refs[i].fp, c->rev_fps[k]);
		else
			d = i < p->nentries ? -1 : 1;
		if (d > 0) {
			if ((r = write_key(c, c->rev_fps[k], NULL, 0, 1)) != 0)
				goto out;
			k++;
			continue;
		}
		PREFETCH_ENTRY(c, refs, p->nentries, i);
		for (j = i + 1; j < p->nentries && refs[j].k == refs[i].k &&
		     strcmp(refs[j].fp, refs[i].fp) == 0;
		     j++)
			;
		if ((r = write_key(c, refs[i].fp, refs + i, j - i, d == 0)) !=
		    0)
			goto out;
		if (d == 0)
			k++;
		for (; i < j; i++)
			kp_progress_tick("compiling", i + 1);
	}
	kp_progress_end("compiling", p->nentries);
	r = 0;
out:
	free(refs);
	return r;
}

/* ------------------------------------------------------- authorities */

static int
cmp_authority(const void *a, const void *b)
{
	const struct kp_authority *const *x = a, *const *y = b;
	int d;

	if ((d = strcmp((*x)->e.key->fp, (*y)->e.key->fp)) != 0)
		return d;
	return *x < *y ? -1 : *x > *y; /* policy order */
}

/*
 * A CA grant: the grant, then for each of its accounts the principals a
 * certificate needs (be16 n, the names; n == 0: the account's name).
 */
static int
put_principals(struct compiler *c, const struct kp_authority *a)
{
	char *const *names;
	size_t i, j, n;

	for (i = 0; i < a->e.naccounts; i++) {
		kp_authority_principals(a, a->e.accounts[i], &names, &n);
		if (n > KPI_MAX_LIST)
			return KP_ERR_TOOBIG;
		kp_buf_put_u16(&c->val, (uint16_t)n);
		for (j = 0; j < n; j++)
			kpi_put_str(&c->val, names[j]);
	}
	return 0;
}

static int
write_ca_grant(struct compiler *c, const struct kp_authority *a,
    const uint8_t *key, size_t klen)
{
	int r;

	put_grant(c, &a->e, KPI_REC_CA_GRANT);
	if ((r = put_principals(c, a)) != 0)
		return r;
	return add_record(c, key, klen);
}

/* One CA: its authorities v[0..n), all of one fingerprint. */
static int
write_ca(struct compiler *c, const struct kp_authority *const *v, size_t n)
{
	const struct kp_authority *a = v[0];
	uint8_t key[KPI_FP_KEY_LEN + 1];
	const char *fp = a->e.key->fp, *owner = a->e.owner;
	uint8_t flags = 0;
	size_t i, klen;
	int r;

	for (i = 0; i < n; i++) {
		if ((r = check_entry(c, &v[i]->e)) != 0)
			return r;
		if (strcmp(v[i]->e.owner, owner) != 0) {
			kp_diag_set(c->diag, c->p->path, v[i]->e.line,
			    v[i]->e.column,
			    "authority %s: CA %s has another owner in "
			    "authority "
			    "%s",
			    v[i]->e.id, fp, a->e.id);
			return KP_ERR_INVALID;
		}
	}
	/* A revoked CA keeps its header only, as a revoked key does. */
	if (in_sorted(c->rev_fps, c->nrev_fps, fp))
		flags |= KPI_KEY_REVOKED_FP;
	if (in_sorted(c->rev_owners, c->nrev_owners, owner))
		flags |= KPI_KEY_REVOKED_OWNER;
	if (flags != 0)
		n = 0;
	if (n > KPI_MAX_RECORDS_PER_KEY) {
		kp_diag_set(c->diag, c->p->path, a->e.line, a->e.column,
		    "CA %s has %zu authorities; the index holds at most %d", fp,
		    n, KPI_MAX_RECORDS_PER_KEY);
		return KP_ERR_TOOBIG;
	}
	for (i = 0; i < n; i++) {
		klen = kpi_ca_key(key, fp, (uint16_t)(i + 1));
		if (!kp_entry_applies(&v[i]->e, c->host))
			r = write_marker(c, &v[i]->e, key, klen);
		else
			r = write_ca_grant(c, v[i], key, klen);
		if (r != 0) {
			if (r == KP_ERR_TOOBIG)
				kp_diag_set(c->diag, c->p->path, v[i]->e.line,
				    v[i]->e.column,
				    "authority %s does not fit in one index "
				    "record",
				    v[i]->e.id);
			return r;
		}
	}
	kp_buf_put_u8(&c->val, KPI_REC_CA);
	kp_buf_put_u8(&c->val, flags);
	kp_buf_put_u16(&c->val, (uint16_t)n);
	kpi_put_str(&c->val, owner);
	return add_record(c, key, kpi_ca_key(key, fp, 0));
}

/*
 * What keyauthctl report shows of the authorities, so that the server
 * answers it without the YAML (docs/index-format.md, "Authority rows"):
 * every authority in policy order, revoked ones and those of other hosts
 * included (flagged: the report shows an empty section as the YAML's
 * does), with from: and hosts: as written and the CA grant without the
 * key; then the number of rows under 'Q' alone, written also when there
 * is none, so that "no authority" differs from an index without rows.
 */
static int
write_ca_rows(struct compiler *c)
{
	static const uint8_t nkey[1] = {KPI_NS_CA_ROW};
	uint8_t key[KPI_CA_ROW_KEY_LEN + 1];
	const struct kp_authority *a;
	uint32_t j = 0;
	uint8_t flags;
	size_t i, f;
	int r;

	for (i = 0; i < c->p->nauthorities; i++) {
		a = &c->p->authorities[i];
		if (a->e.nfrom > KPI_MAX_LIST || a->e.nhosts > KPI_MAX_LIST ||
		    j == UINT32_MAX)
			return KP_ERR_TOOBIG;
		flags = 0;
		if (in_sorted(c->rev_fps, c->nrev_fps, a->e.key->fp))
			flags |= KPI_KEY_REVOKED_FP;
		if (in_sorted(c->rev_owners, c->nrev_owners, a->e.owner))
			flags |= KPI_KEY_REVOKED_OWNER;
		if (!kp_entry_applies(&a->e, c->host))
			flags |= KPI_CA_ROW_OTHER_HOST;
		kp_buf_put_u8(&c->val, KPI_REC_CA_ROW);
		kp_buf_put_u8(&c->val, flags);
		kpi_put_str(&c->val, a->e.key->fp);
		kpi_put_str(&c->val, a->e.owner);
		kp_buf_put_u16(&c->val, (uint16_t)a->e.nfrom);
		for (f = 0; f < a->e.nfrom; f++)
			kpi_put_str(&c->val, a->e.from[f]);
		kp_buf_put_u16(&c->val, (uint16_t)a->e.nhosts);
		for (f = 0; f < a->e.nhosts; f++)
			kpi_put_str(&c->val, a->e.hosts[f]);
		put_grant_accounts(c, &a->e, KPI_REC_CA_GRANT, a->e.accounts,
		    a->e.naccounts, 1);
		if ((r = put_principals(c, a)) != 0 ||
		    (r = add_record(c, key, kpi_ca_row_key(key, j))) != 0)
			return r;
		j++;
	}
	kp_buf_put_u8(&c->val, KPI_REC_CA_ROWS);
	kp_buf_put_u32(&c->val, j);
	return add_record(c, nkey, sizeof(nkey));
}

static int
write_authorities(struct compiler *c)
{
	const struct kp_policy *p = c->p;
	const struct kp_authority **v = NULL;
	size_t i, j;
	int r = 0;

	if (p->nauthorities == 0)
		return write_ca_rows(c);
	if (p->authorities == NULL)
		return KP_ERR_INVALID;
	if ((v = calloc(p->nauthorities, sizeof(*v))) == NULL)
		return KP_ERR_NOMEM;
	for (i = 0; i < p->nauthorities; i++) {
		v[i] = &p->authorities[i];
		if (v[i]->e.key == NULL ||
		    !kp_fingerprint_valid(v[i]->e.key->fp)) {
			kp_diag_set(c->diag, p->path, v[i]->e.line,
			    v[i]->e.column, "authority is incomplete");
			r = KP_ERR_INVALID;
			goto out;
		}
	}
	qsort(v, p->nauthorities, sizeof(*v), cmp_authority);
	for (i = 0; i < p->nauthorities; i = j) {
		for (j = i + 1; j < p->nauthorities &&
		     strcmp(v[j]->e.key->fp, v[i]->e.key->fp) == 0;
		     j++)
			;
		if ((r = write_ca(c, v + i, j - i)) != 0)
			goto out;
	}
	r = write_ca_rows(c);
out:
	free(v);
	return r;
}

static int
cmp_bytes(const void *a, const void *b)
{
	const struct kp_buf *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int d;

	if ((d = memcmp(x->s, y->s, n)) != 0)
		return d;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* The revoked serials and key ids, one record each (duplicates once). */
static int
write_cert_revocations(struct compiler *c)
{
	const struct kp_policy *p = c->p;
	const struct kp_revocation *rv;
	struct kp_buf *keys = NULL;
	char serial[24];
	size_t i, n = 0;
	int r = 0;

	if ((keys = calloc(p->nrevoked + 1, sizeof(*keys))) == NULL)
		return KP_ERR_NOMEM;
	for (i = 0; i < p->nrevoked; i++) {
		rv = &p->revoked[i];
		if (rv->kind != KP_REVOKE_SERIAL &&
		    rv->kind != KP_REVOKE_KEY_ID)
			continue;
		if (rv->ca_fp == NULL || !kp_fingerprint_valid(rv->ca_fp) ||
		    (rv->kind == KP_REVOKE_KEY_ID &&
		        (rv->key_id == NULL ||
		            strlen(rv->key_id) > KP_CERT_KEY_ID_MAX))) {
			kp_diag_set(c->diag, p->path, rv->line, rv->column,
			    "revocation is malformed");
			r = KP_ERR_INVALID;
			goto out;
		}
		snprintf(serial, sizeof(serial), "%llu",
		    (unsigned long long)rv->serial);
		kp_buf_init(&keys[n], KPI_CERT_REVOKED_KEY_MAX);
		kp_buf_put_u8(&keys[n], KPI_NS_CERT_REVOKED);
		kp_buf_put(&keys[n], rv->ca_fp, KPI_FP_STRLEN);
		kp_buf_put_u8(
		    &keys[n], rv->kind == KP_REVOKE_SERIAL ? 's' : 'i');
		kp_buf_puts(&keys[n],
		    rv->kind == KP_REVOKE_SERIAL ? serial : rv->key_id);
		if ((r = keys[n].err) != 0) {
			kp_buf_free(&keys[n]);
			goto out;
		}
		n++;
	}
	if (n > 1)
		qsort(keys, n, sizeof(*keys), cmp_bytes);
	for (i = 0; i < n; i++) {
		if (i > 0 && cmp_bytes(&keys[i - 1], &keys[i]) == 0)
			continue;
		kp_buf_put_u8(&c->val, KPI_REC_CERT_REVOKED);
		if ((r = add_record(
		         c, kp_buf_ptr(&keys[i]), kp_buf_len(&keys[i]))) != 0)
			goto out;
	}
out:
	for (i = 0; i < n; i++)
		kp_buf_free(&keys[i]);
	free(keys);
	return r;
}

static int
write_owners(struct compiler *c)
{
	uint8_t key[KPI_OWNER_KEY_MAX + 1];
	size_t i;
	int r;

	for (i = 0; i < c->nrev_owners; i++) {
		kp_buf_put_u8(&c->val, KPI_REC_OWNER);
		if ((r = add_record(
		         c, key, kpi_owner_key(key, c->rev_owners[i]))) != 0)
			return r;
	}
	return 0;
}

/* One record per KPI_ACCOUNT_CHUNK fingerprints keeps every key unique. */
static int
write_accounts(struct compiler *c)
{
	uint8_t key[KPI_ACCOUNT_KEY_MAX + 1];
	size_t i, j, o, n, nchunks, ch, k;
	const char *acct;
	int r;

	if (c->npairs > 1)
		qsort(c->pairs, c->npairs, sizeof(*c->pairs), cmp_pair);
	/* A key granted to an account by two entries is listed once. */
	for (i = 0, o = 0; i < c->npairs; i++) {
		if (o == 0 || cmp_pair(&c->pairs[o - 1], &c->pairs[i]) != 0)
			c->pairs[o++] = c->pairs[i];
	}
	c->npairs = o;
	for (i = 0; i < c->npairs; i = j) {
		for (j = i + 1;
		     j < c->npairs && c->pairs[j].acct == c->pairs[i].acct; j++)
			;
		n = j - i;
		nchunks = (n + KPI_ACCOUNT_CHUNK - 1) / KPI_ACCOUNT_CHUNK;
		if (nchunks > UINT32_MAX)
			return KP_ERR_TOOBIG;
		acct = c->accts[c->pairs[i].acct];
		for (ch = 0; ch < nchunks; ch++) {
			size_t from = i + ch * KPI_ACCOUNT_CHUNK;
			size_t cnt = j - from < KPI_ACCOUNT_CHUNK
			    ? j - from
			    : KPI_ACCOUNT_CHUNK;

			kp_buf_put_u8(&c->val, KPI_REC_ACCOUNT);
			kp_buf_put_u32(&c->val, (uint32_t)ch);
			kp_buf_put_u32(&c->val, (uint32_t)nchunks);
			kp_buf_put_u16(&c->val, (uint16_t)cnt);
			for (k = 0; k < cnt; k++)
				kp_buf_put(&c->val, c->pairs[from + k].fp,
				    KPI_FP_STRLEN);
			if ((r = add_record(c, key,
			         kpi_account_key(key, acct, (uint32_t)ch))) !=
			    0)
				return r;
		}
	}
	return 0;
}

static int
cmp_rowref(const void *a, const void *b)
{
	const struct rowref *x = a, *y = b;

	/*
	 * By account, then as met: by key, each key's entries in policy
	 * order, so that policies granting the same (a version 1 one and its
	 * conversion, docs/policy-format.md) compile to the same records.
	 */
	if (x->acct != y->acct)
		return x->acct < y->acct ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * The rest of the report's records (docs/index-format.md, "Report
 * rows"): the rows of the other keys are their grant records, found
 * through the account chunks; a revoked key has no grant, so its rows
 * are listed per account here, as (fp, entry) references, chunked as the
 * account chunks are. Then the record that says the index has them.
 */
static int
write_report(struct compiler *c)
{
	static const uint8_t tkey[1] = {KPI_NS_ROWS};
	uint8_t key[KPI_ACCOUNT_KEY_MAX + 1];
	size_t i, j, k, n, nchunks, ch, from, cnt;
	int r;

	if (c->nrows > 1)
		qsort(c->rows, c->nrows, sizeof(*c->rows), cmp_rowref);
	for (i = 0; i < c->nrows; i = j) {
		for (j = i + 1;
		     j < c->nrows && c->rows[j].acct == c->rows[i].acct; j++)
			;
		n = j - i;
		nchunks = (n + KPI_ACCOUNT_CHUNK - 1) / KPI_ACCOUNT_CHUNK;
		if (nchunks > UINT32_MAX)
			return KP_ERR_TOOBIG;
		for (ch = 0; ch < nchunks; ch++) {
			from = i + ch * KPI_ACCOUNT_CHUNK;
			cnt = j - from < KPI_ACCOUNT_CHUNK ? j - from
			                                   : KPI_ACCOUNT_CHUNK;
			kp_buf_put_u8(&c->val, KPI_REC_REVOKED_ROWS);
			kp_buf_put_u32(&c->val, (uint32_t)ch);
			kp_buf_put_u32(&c->val, (uint32_t)nchunks);
			kp_buf_put_u16(&c->val, (uint16_t)cnt);
			for (k = 0; k < cnt; k++) {
				kp_buf_put(&c->val, c->rows[from + k].fp,
				    KPI_FP_STRLEN);
				kp_buf_put_u16(&c->val, c->rows[from + k].rec);
			}
			if ((r = add_record(c, key,
			         kpi_chunk_key(key, KPI_NS_REVOKED_ROWS,
			             c->accts[c->rows[i].acct],
			             (uint32_t)ch))) != 0)
				return r;
		}
	}
	kp_buf_put_u8(&c->val, KPI_REC_ROWS);
	kp_buf_put_u8(&c->val, c->p->teams != NULL ? KPI_ROWS_TEAMS : 0);
	return add_record(c, tkey, sizeof(tkey));
}

static int
write_meta(struct compiler *c, int64_t now)
{
	static const uint8_t mkey[1] = {KPI_NS_META};
	uint64_t databytes = c->databytes;

	kp_buf_put(&c->val, KPI_MAGIC, KPI_MAGIC_LEN);
	kp_buf_put_u32(&c->val, KP_INDEX_FORMAT);
	kp_buf_put_u64(&c->val, c->p->serial);
	kp_buf_put_u64(&c->val, (uint64_t)c->p->expires);
	kp_buf_put_u64(&c->val, (uint64_t)now);
	kp_buf_put_u64(&c->val, c->nentries);
	kp_buf_put_u64(&c->val, c->nkeys);
	kp_buf_put_u64(&c->val, c->nrecords + 1); /* this one included */
	kp_buf_put_u64(&c->val, databytes);
	kp_buf_put(&c->val, c->p->sha256, 64);
	kpi_put_str(&c->val, c->host);
	return add_record(c, mkey, sizeof(mkey));
}

/* Revocations as sorted unique lists (KEY revocations carry their fp). */
static int
collect_revocations(struct compiler *c)
{
	const struct kp_policy *p = c->p;
	const struct kp_revocation *rv;
	size_t i;

	if (p->nrevoked == 0)
		return 0;
	if ((c->rev_fps = calloc(p->nrevoked, sizeof(char *))) == NULL ||
	    (c->rev_owners = calloc(p->nrevoked, sizeof(char *))) == NULL)
		return KP_ERR_NOMEM;
	for (i = 0; i < p->nrevoked; i++) {
		rv = &p->revoked[i];
		if (rv->value == NULL)
			goto bad;
		switch (rv->kind) {
		case KP_REVOKE_SERIAL:
		case KP_REVOKE_KEY_ID:
			continue; /* write_cert_revocations */
		case KP_REVOKE_FINGERPRINT:
		case KP_REVOKE_KEY:
		case KP_REVOKE_CA:
			if (!kp_fingerprint_valid(rv->value))
				goto bad;
			c->rev_fps[c->nrev_fps++] = rv->value;
			break;
		case KP_REVOKE_OWNER:
			if (*rv->value == '\0' ||
			    strlen(rv->value) > KP_VALUE_MAX)
				goto bad;
			c->rev_owners[c->nrev_owners++] = rv->value;
			break;
		default:
			goto bad;
		}
	}
	qsort(c->rev_fps, c->nrev_fps, sizeof(char *), cmp_str);
	c->nrev_fps = uniq_str(c->rev_fps, c->nrev_fps);
	qsort(c->rev_owners, c->nrev_owners, sizeof(char *), cmp_str);
	c->nrev_owners = uniq_str(c->rev_owners, c->nrev_owners);
	return 0;
bad:
	kp_diag_set(
	    c->diag, p->path, rv->line, rv->column, "revocation is malformed");
	return KP_ERR_INVALID;
}

int
kp_index_compile(const struct kp_policy *p, const char *host, int64_t now,
    const char *path, struct kp_diag *diag)
{
	return kp_index_compile_group(p, host, now, path, (gid_t)-1, diag);
}

int
kp_index_compile_group(const struct kp_policy *p, const char *host, int64_t now,
    const char *path, gid_t gid, struct kp_diag *diag)
{
	struct compiler c;
	struct cdb_make cm;
	struct kp_atomic out;
	size_t i, npairs_max = 0;
	int r, making = 0;

	memset(&c, 0, sizeof(c));
	memset(&out, 0, sizeof(out));
	out.fd = out.dfd = -1;
	if (diag != NULL)
		memset(diag, 0, sizeof(*diag));
	if (p == NULL || host == NULL || path == NULL || *path == '\0') {
		kp_diag_set(diag, path, 0, 0, "missing policy, host or path");
		return KP_ERR_ARG;
	}
	if (*host == '\0' || strlen(host) > KPI_HOST_MAX) {
		kp_diag_set(diag, path, 0, 0, "invalid host name");
		return KP_ERR_ARG;
	}
	if (!kp_sha256_hex_valid(p->sha256) ||
	    (p->nentries > 0 && p->entries == NULL) ||
	    (p->nrevoked > 0 && p->revoked == NULL)) {
		kp_diag_set(diag, p->path, 0, 0, "policy is incomplete");
		return KP_ERR_INVALID;
	}
	c.p = p;
	c.host = host;
	c.diag = diag;
	c.cm = &cm;
	kp_buf_init(&c.val, KPI_MAX_VALUE);
	if ((r = collect_revocations(&c)) != 0)
		goto out;
	for (i = 0; i < p->nentries; i++) {
		if (p->entries[i].naccounts > SIZE_MAX / 2 - npairs_max) {
			r = KP_ERR_TOOBIG;
			goto out;
		}
		npairs_max += p->entries[i].naccounts;
	}
	c.atab_mask = 63; /* grow_accounts doubles it */
	if (npairs_max > UINT32_MAX - 1) {
		r = KP_ERR_TOOBIG;
		goto out;
	}
	if (npairs_max > 0 &&
	    ((c.pairs = calloc(npairs_max, sizeof(*c.pairs))) == NULL ||
	        (c.rows = calloc(npairs_max, sizeof(*c.rows))) == NULL ||
	        (c.accts = calloc(npairs_max, sizeof(*c.accts))) == NULL ||
	        (c.atab = calloc(c.atab_mask + 1, sizeof(*c.atab))) == NULL)) {
		r = KP_ERR_NOMEM;
		goto out;
	}
	/*
	 * Written beside path and renamed over it: the old index stays in
	 * force, untouched, until the new one is complete and durable.
	 */
	if ((r = kp_atomic_open(
	         &out, path, KP_INDEX_MODE, KP_ATOMIC_SYNC_DIR)) != 0) {
		kp_diag_set(diag, path, 0, 0,
		    "cannot create a temporary file: %s",
		    r == KP_ERR_IO ? strerror(errno) : kp_strerror(r));
		goto out;
	}
	out.gid = gid;
	if (cdb_make_start(c.cm, out.fd) != 0) {
		r = KP_ERR_IO;
		goto out;
	}
	making = 1;
	if ((r = write_keys(&c)) != 0 || (r = write_authorities(&c)) != 0 ||
	    (r = write_cert_revocations(&c)) != 0 ||
	    (r = write_owners(&c)) != 0 || (r = write_accounts(&c)) != 0 ||
	    (r = write_report(&c)) != 0 || (r = write_meta(&c, now)) != 0)
		goto out;
	making = 0; /* cdb_make_finish() frees the records even when it fails */
	if (cdb_make_finish(c.cm) != 0) {
		r = errno == ENOMEM ? KP_ERR_TOOBIG : KP_ERR_IO;
		goto out;
	}
	if ((r = kp_atomic_commit(&out)) != 0)
		goto out;
	r = 0;
out:
	if (r != 0 && diag != NULL && diag->msg[0] == '\0')
		kp_diag_set(diag, path, 0, 0,
		    "cannot compile the index: %s%s%s", kp_strerror(r),
		    r == KP_ERR_IO ? ": " : "",
		    r == KP_ERR_IO ? strerror(errno) : "");
	if (making) {
		/*
		 * tinycdb frees its record lists only in cdb_make_finish();
		 * without a descriptor it writes nothing into the file that is
		 * about to be removed, and it frees them all the same.
		 */
		c.cm->cdb_fd = -1;
		(void)cdb_make_finish(c.cm);
	}
	kp_atomic_abort(&out);
	kp_buf_free(&c.val);
	free(c.pairs);
	free(c.rows);
	free(c.accts);
	free(c.atab);
	free(c.rev_fps);
	free(c.rev_owners);
	return r;
}
