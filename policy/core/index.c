/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cdb.h>
#include <nettle/sha2.h>

#include "keyauth.h"
#include "index-format.h"

/*
 * The reader of the compiled index (docs/index-format.md). Every lookup is
 * a fixed number of cdb finds on unique keys; every value read is checked
 * against its own digest; anything malformed is KP_ERR_CORRUPT and the
 * decision that comes with it is policy_unavailable, never an allow.
 */

struct kp_index {
	int fd;
	int cdb_ok;
	struct cdb cdb;
	struct kp_index_meta meta;
	/*
	 * kp_index_check_host's message names both hosts, so it cannot be
	 * static. whybuf points at hostwhy: the text is written through it
	 * while the index itself is const to the caller.
	 */
	char hostwhy[2 * (KPI_HOST_MAX + 1) + 96];
	char *whybuf;
};

/* One grant or host marker as read; pointers lead into the mapped file. */
struct ixrec {
	int marker;
	const char *id;
	const char *type;
	const char *b64;
	const char *command; /* NULL: none */
	int64_t not_before;
	int64_t expires;
	const char **accounts;
	size_t naccounts;
	struct kp_cidr *sources;
	size_t nsources;
	const char **options;
	size_t noptions;
	void *mem; /* the one allocation behind the arrays */
	/* CA grants: the principals of accounts[i] (count 0: its name) */
	const char **pnames;
	size_t *pfirst; /* per account: index of its first name in pnames */
	size_t *pcount;
	void *pmem;
};

/* All records of one fingerprint. */
struct ixkey {
	int found;
	uint8_t flags;
	int owner_revoked; /* an 'O' record exists for owner */
	const char *owner;
	struct ixrec *recs;
	size_t nrecs;
};

/* ------------------------------------------------------------ the check */

int
kp_ix_check(const void *key, size_t klen, const void *body, size_t blen,
    uint8_t out[KPI_CHECK_LEN])
{
	static const char domain[] = "kpindex-check";
	uint8_t md[SHA256_DIGEST_SIZE], kl[4];
	struct sha256_ctx c;

	memset(out, 0, KPI_CHECK_LEN);
	if (klen > UINT32_MAX || (key == NULL && klen != 0) ||
	    (body == NULL && blen != 0))
		return KP_ERR_ARG;
	kp_poke_u32(kl, (uint32_t)klen);
	sha256_init(&c);
	sha256_update(&c, sizeof(domain) - 1, (const uint8_t *)domain);
	sha256_update(&c, sizeof(kl), kl);
	sha256_update(&c, klen, key);
	sha256_update(&c, blen, body);
	sha256_digest(&c, sizeof(md), md);
	memcpy(out, md, KPI_CHECK_LEN);
	return 0;
}

/* ------------------------------------------------------- value decoding */

static int
get_i64(struct kp_buf *r, int64_t *v)
{
	uint64_t u;

	if (kp_buf_get_u64(r, &u) != 0)
		return KP_ERR_CORRUPT;
	*v = (int64_t)u;
	return 0;
}

static int
cidr_ok(const struct kp_cidr *c)
{
	size_t i;

	if (c->family == 4) {
		if (c->prefix > 32)
			return 0;
		for (i = 4; i < sizeof(c->addr); i++) {
			if (c->addr[i] != 0)
				return 0;
		}
		return 1;
	}
	return c->family == 6 && c->prefix <= 128;
}

/* ------------------------------------------------------------- lookups */

/*
 * Find the value of a unique key and verify its check. *body is the value
 * without the check. KP_ERR_NOTFOUND when the key is absent.
 */
static int
get_value(struct kp_index *ix, const void *key, size_t klen,
    const uint8_t **body, size_t *blen)
{
	uint8_t want[KPI_CHECK_LEN];
	const uint8_t *v;
	unsigned vlen;
	int r;

	*body = NULL;
	*blen = 0;
	if (klen > UINT32_MAX)
		return KP_ERR_ARG;
	errno = 0;
	r = cdb_find(&ix->cdb, key, (unsigned)klen);
	if (r < 0)
		return KP_ERR_CORRUPT;
	if (r == 0)
		return KP_ERR_NOTFOUND;
	vlen = cdb_datalen(&ix->cdb);
	if (vlen < 1 + KPI_CHECK_LEN || vlen > KPI_MAX_VALUE)
		return KP_ERR_CORRUPT;
	if ((v = cdb_get(&ix->cdb, vlen, cdb_datapos(&ix->cdb))) == NULL)
		return KP_ERR_CORRUPT;
	if ((r = kp_ix_check(key, klen, v, vlen - KPI_CHECK_LEN, want)) != 0)
		return r;
	if (memcmp(want, v + vlen - KPI_CHECK_LEN, KPI_CHECK_LEN) != 0)
		return KP_ERR_CORRUPT;
	*body = v;
	*blen = vlen - KPI_CHECK_LEN;
	return 0;
}

static void
ixrec_free(struct ixrec *rec)
{
	if (rec == NULL)
		return;
	free(rec->mem);
	free(rec->pmem);
	memset(rec, 0, sizeof(*rec));
}

static void
ixkey_free(struct ixkey *k)
{
	size_t i;

	if (k == NULL)
		return;
	for (i = 0; i < k->nrecs; i++)
		ixrec_free(&k->recs[i]);
	free(k->recs);
	memset(k, 0, sizeof(*k));
}

/* Allocate the arrays of one record in one block; counts are bounded. */
static int
ixrec_alloc(struct ixrec *rec, size_t nacc, size_t nsrc, size_t nopt)
{
	size_t sz;
	uint8_t *m;

	sz = (nacc + nopt) * sizeof(char *) + nsrc * sizeof(struct kp_cidr);
	if ((m = calloc(1, sz == 0 ? 1 : sz)) == NULL)
		return KP_ERR_NOMEM;
	rec->mem = m;
	rec->accounts = (const char **)(void *)m;
	rec->options = rec->accounts + nacc;
	rec->sources = (struct kp_cidr *)(void *)(rec->options + nopt);
	return 0;
}

static int
decode_accounts(struct kp_buf *r, const char **acc, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (kpi_get_str(r, 0, &acc[i]) != 0 ||
		    strlen(acc[i]) > KP_ACCOUNT_MAX)
			return KP_ERR_CORRUPT;
	}
	return 0;
}

/*
 * Decode a grant or marker. Counts are checked against the bytes left
 * before anything is allocated, so a damaged count cannot make a reader
 * allocate more than the value could hold.
 */
/*
 * The principals after a CA grant: for each account be16 n and n names.
 * Counted first, so the allocation is bounded by the bytes of the value.
 */
static int
decode_principals(struct kp_buf *r, struct ixrec *rec)
{
	struct kp_buf save = *r;
	const char *s;
	size_t i, j, total = 0;
	uint16_t n;
	uint8_t *m;

	for (i = 0; i < rec->naccounts; i++) {
		if (kp_buf_get_u16(r, &n) != 0)
			return KP_ERR_CORRUPT;
		for (j = 0; j < n; j++) {
			if (kpi_get_str(r, 0, &s) != 0)
				return KP_ERR_CORRUPT;
		}
		total += n;
	}
	*r = save;
	m = calloc(1,
	    rec->naccounts * 2 * sizeof(size_t) + (total + 1) * sizeof(char *));
	if (m == NULL)
		return KP_ERR_NOMEM;
	rec->pmem = m;
	rec->pfirst = (size_t *)(void *)m;
	rec->pcount = rec->pfirst + rec->naccounts;
	rec->pnames = (const char **)(void *)(rec->pcount + rec->naccounts);
	total = 0;
	for (i = 0; i < rec->naccounts; i++) {
		if (kp_buf_get_u16(r, &n) != 0)
			return KP_ERR_CORRUPT;
		rec->pfirst[i] = total;
		rec->pcount[i] = n;
		for (j = 0; j < n; j++) {
			if (kpi_get_str(r, 0, &rec->pnames[total++]) != 0)
				return KP_ERR_CORRUPT;
		}
	}
	return 0;
}

/*
 * What decode_rec reads: a CA grant; a report row's grant (no base64).
 * An id that is not one (kp_id_valid) is damage the check did not see:
 * it would reach the log line of an allow and the report's rows.
 */
#define DEC_CA 0x01
#define DEC_ROW 0x02

static int
decode_rec(const uint8_t *body, size_t blen, unsigned how, struct ixrec *rec)
{
	int ca = (how & DEC_CA) != 0;
	struct kp_buf r, save;
	uint16_t nacc = 0, nsrc = 0;
	uint8_t type, hascmd = 0, nopt = 0;
	size_t i;
	int ret = KP_ERR_CORRUPT;

	memset(rec, 0, sizeof(*rec));
	kp_buf_view(&r, body, blen);
	if (kp_buf_get_u8(&r, &type) != 0)
		goto out;
	if (type == KPI_REC_MARKER) {
		rec->marker = 1;
		rec->not_before = KP_TIME_NONE_BEFORE;
		rec->expires = KP_TIME_NONE_AFTER;
		if (kpi_get_str(&r, 0, &rec->id) != 0 ||
		    !kp_id_valid(rec->id) || kp_buf_get_u16(&r, &nacc) != 0 ||
		    (size_t)nacc * 3 > kp_buf_len(&r))
			goto out;
		if ((ret = ixrec_alloc(rec, nacc, 0, 0)) != 0)
			goto out;
		ret = KP_ERR_CORRUPT;
		rec->naccounts = nacc;
		if (decode_accounts(&r, rec->accounts, nacc) != 0)
			goto out;
	} else if (type == (ca ? KPI_REC_CA_GRANT : KPI_REC_GRANT)) {
		if (get_i64(&r, &rec->not_before) != 0 ||
		    get_i64(&r, &rec->expires) != 0 ||
		    kpi_get_str(&r, 0, &rec->id) != 0 ||
		    !kp_id_valid(rec->id) ||
		    kpi_get_str(&r, 0, &rec->type) != 0 ||
		    kpi_get_str(&r, (how & DEC_ROW) != 0, &rec->b64) != 0 ||
		    ((how & DEC_ROW) != 0) != (*rec->b64 == '\0') ||
		    kp_buf_get_u8(&r, &hascmd) != 0 || hascmd > 1 ||
		    (hascmd && kpi_get_str(&r, 1, &rec->command) != 0) ||
		    kp_buf_get_u16(&r, &nacc) != 0 ||
		    (size_t)nacc * 3 > kp_buf_len(&r))
			goto out;
		/* Peek ahead for the other counts, then allocate once. */
		save = r;
		for (i = 0; i < nacc; i++) {
			const char *s;

			if (kpi_get_str(&r, 0, &s) != 0)
				goto out;
		}
		if (kp_buf_get_u16(&r, &nsrc) != 0 ||
		    kp_buf_get_ptr(&r, (size_t)nsrc * KPI_CIDR_LEN, NULL) !=
		        0 ||
		    kp_buf_get_u8(&r, &nopt) != 0 ||
		    (size_t)nopt * 3 > kp_buf_len(&r))
			goto out;
		if ((ret = ixrec_alloc(rec, nacc, nsrc, nopt)) != 0)
			goto out;
		ret = KP_ERR_CORRUPT;
		r = save;
		rec->naccounts = nacc;
		if (decode_accounts(&r, rec->accounts, nacc) != 0 ||
		    kp_buf_get_u16(&r, &nsrc) != 0)
			goto out;
		rec->nsources = nsrc;
		for (i = 0; i < nsrc; i++) {
			if (kpi_get_cidr(&r, &rec->sources[i]) != 0 ||
			    !cidr_ok(&rec->sources[i]))
				goto out;
		}
		if (kp_buf_get_u8(&r, &nopt) != 0)
			goto out;
		rec->noptions = nopt;
		for (i = 0; i < nopt; i++) {
			if (kpi_get_str(&r, 0, &rec->options[i]) != 0)
				goto out;
		}
		if (!kp_time_window_valid(rec->not_before, rec->expires))
			goto out;
		if (ca && (ret = decode_principals(&r, rec)) != 0)
			goto out;
		ret = KP_ERR_CORRUPT;
	} else
		goto out;
	if (rec->naccounts == 0 || kp_buf_len(&r) != 0)
		goto out;
	ret = 0;
out:
	if (ret != 0)
		ixrec_free(rec);
	return ret;
}

static int
lookup_owner_revoked(struct kp_index *ix, const char *owner, int *revoked)
{
	uint8_t key[KPI_OWNER_KEY_MAX + 1], type;
	const uint8_t *body;
	size_t len, blen, klen;
	int r;

	*revoked = 0;
	len = strlen(owner);
	if (len == 0)
		return 0;
	if (len > KP_VALUE_MAX || (klen = kpi_owner_key(key, owner)) == 0)
		return KP_ERR_CORRUPT;
	r = get_value(ix, key, klen, &body, &blen);
	if (r == KP_ERR_NOTFOUND)
		return 0;
	if (r != 0)
		return r;
	type = body[0];
	if (type != KPI_REC_OWNER || blen != 1)
		return KP_ERR_CORRUPT;
	*revoked = 1;
	return 0;
}

/*
 * Read every record of fingerprint fp (which must be well formed). A key
 * that is not in the index gives k->found == 0 and success.
 */
static int
load_recs(struct kp_index *ix, int ca, const char *fp, struct ixkey *k)
{
	uint8_t key[KPI_FP_KEY_LEN + 1];
	const uint8_t *body;
	size_t klen, blen, total = 0, i;
	struct kp_buf r;
	uint8_t type;
	uint16_t n;
	int ret;

	memset(k, 0, sizeof(*k));
	klen = ca ? kpi_ca_key(key, fp, 0) : kpi_fp_key(key, fp, 0);
	ret = get_value(ix, key, klen, &body, &blen);
	if (ret == KP_ERR_NOTFOUND)
		return 0;
	if (ret != 0)
		return ret;
	kp_buf_view(&r, body, blen);
	if (kp_buf_get_u8(&r, &type) != 0 ||
	    type != (ca ? KPI_REC_CA : KPI_REC_KEY) ||
	    kp_buf_get_u8(&r, &k->flags) != 0 ||
	    (k->flags & ~(KPI_KEY_REVOKED_FP | KPI_KEY_REVOKED_OWNER)) != 0 ||
	    kp_buf_get_u16(&r, &n) != 0 || n > KPI_MAX_RECORDS_PER_KEY ||
	    kpi_get_str(&r, 1, &k->owner) != 0 || kp_buf_len(&r) != 0)
		return KP_ERR_CORRUPT;
	k->found = 1;
	if ((ret = lookup_owner_revoked(ix, k->owner, &k->owner_revoked)) != 0)
		goto out;
	if (n == 0)
		return 0;
	if ((k->recs = calloc(n, sizeof(*k->recs))) == NULL) {
		ret = KP_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		klen = ca ? kpi_ca_key(key, fp, (uint16_t)(i + 1))
		          : kpi_fp_key(key, fp, (uint16_t)(i + 1));
		ret = get_value(ix, key, klen, &body, &blen);
		/* The header promised it: a missing record is damage. */
		if (ret == KP_ERR_NOTFOUND)
			ret = KP_ERR_CORRUPT;
		if (ret != 0)
			goto out;
		total += blen;
		if (total > KPI_MAX_KEY_BYTES) {
			ret = KP_ERR_CORRUPT;
			goto out;
		}
		if ((ret = decode_rec(
		         body, blen, ca ? DEC_CA : 0, &k->recs[i])) != 0)
			goto out;
		k->nrecs = i + 1;
	}
	ret = 0;
out:
	if (ret != 0)
		ixkey_free(k);
	return ret;
}

static int
load_key(struct kp_index *ix, const char *fp, struct ixkey *k)
{
	return load_recs(ix, 0, fp, k);
}

static int
key_revoked(const struct ixkey *k)
{
	return k->flags != 0 || k->owner_revoked;
}

/* ------------------------------------------------------ open and close */

static int
check_structure(
    struct kp_index *ix, size_t size, uint64_t *nrecords, uint32_t *dend)
{
	const uint8_t *toc;
	uint64_t expect, slots = 0;
	uint32_t pos, len;
	unsigned t;

	if ((toc = cdb_get(&ix->cdb, KPI_TOC_LEN, 0)) == NULL)
		return KP_ERR_CORRUPT;
	/*
	 * tinycdb writes the 256 hash tables back to back right after the
	 * data, the last one ending at the end of the file, each holding
	 * twice as many slots as its records. Any truncation or extension
	 * breaks this chain.
	 */
	expect = cdb_unpack(toc);
	if (expect < KPI_TOC_LEN)
		return KP_ERR_CORRUPT;
	*dend = (uint32_t)expect;
	for (t = 0; t < 256; t++) {
		pos = cdb_unpack(toc + t * 8);
		len = cdb_unpack(toc + t * 8 + 4);
		if (pos != expect || (len & 1) != 0)
			return KP_ERR_CORRUPT;
		expect += (uint64_t)len * 8;
		slots += len;
		if (expect > size)
			return KP_ERR_CORRUPT;
	}
	if (expect != size)
		return KP_ERR_CORRUPT;
	*nrecords = slots / 2;
	return 0;
}

static int
read_meta(
    struct kp_index *ix, uint64_t nrecords, uint32_t dend, const char **why)
{
	static const uint8_t mkey[1] = {KPI_NS_META};
	struct kp_index_meta *m = &ix->meta;
	uint64_t databytes, recs;
	const uint8_t *body, *p;
	const char *host;
	unsigned vpos, vlen;
	struct kp_buf r;
	uint32_t format;
	size_t blen, i;
	int ret;

	/* The version comes first: a future format may change everything else. */
	errno = 0;
	ret = cdb_find(&ix->cdb, mkey, sizeof(mkey));
	if (ret <= 0) {
		*why = "index has no meta record";
		return KP_ERR_CORRUPT;
	}
	vpos = cdb_datapos(&ix->cdb);
	vlen = cdb_datalen(&ix->cdb);
	if (vlen < KPI_MAGIC_LEN + 4 + KPI_CHECK_LEN || vlen > KPI_MAX_VALUE ||
	    (p = cdb_get(&ix->cdb, vlen, vpos)) == NULL) {
		*why = "index meta record is malformed";
		return KP_ERR_CORRUPT;
	}
	if (memcmp(p, KPI_MAGIC, KPI_MAGIC_LEN) != 0) {
		*why = "not a keyauth index";
		return KP_ERR_CORRUPT;
	}
	format = kp_peek_u32(p + KPI_MAGIC_LEN);
	if (format != KP_INDEX_FORMAT) {
		*why = "index is of another format version";
		return KP_ERR_VERSION;
	}
	if ((ret = get_value(ix, mkey, sizeof(mkey), &body, &blen)) != 0) {
		*why = "index meta record fails its check";
		return ret == KP_ERR_NOTFOUND ? KP_ERR_CORRUPT : ret;
	}
	*why = "index meta record is malformed";
	kp_buf_view(&r, body + KPI_MAGIC_LEN + 4, blen - KPI_MAGIC_LEN - 4);
	m->format = format;
	if (kp_buf_get_u64(&r, &m->serial) != 0 ||
	    get_i64(&r, &m->policy_expires) != 0 ||
	    get_i64(&r, &m->compiled_at) != 0 ||
	    kp_buf_get_u64(&r, &m->nentries) != 0 ||
	    kp_buf_get_u64(&r, &m->nkeys) != 0 ||
	    kp_buf_get_u64(&r, &recs) != 0 ||
	    kp_buf_get_u64(&r, &databytes) != 0 ||
	    kp_buf_get_ptr(&r, 64, &p) != 0 || kpi_get_str(&r, 1, &host) != 0 ||
	    kp_buf_len(&r) != 0)
		return KP_ERR_CORRUPT;
	for (i = 0; i < 64; i++) {
		if (!((p[i] >= '0' && p[i] <= '9') ||
		        (p[i] >= 'a' && p[i] <= 'f')))
			return KP_ERR_CORRUPT;
	}
	memcpy(m->sha256, p, 64);
	m->sha256[64] = '\0';
	if (strlen(host) >= sizeof(m->host))
		return KP_ERR_CORRUPT;
	memcpy(m->host, host, strlen(host) + 1);
	/*
	 * The meta record is written last and counts what came before it:
	 * the data section must hold exactly those bytes and the hash
	 * tables exactly that many records.
	 */
	*why = "index structure does not match its meta record";
	if (recs != nrecords || databytes > UINT32_MAX ||
	    (uint64_t)vpos != KPI_TOC_LEN + databytes + 8 + sizeof(mkey) ||
	    (uint64_t)vpos + vlen != dend)
		return KP_ERR_CORRUPT;
	*why = NULL;
	return 0;
}

int
kp_index_open(
    const char *path, uid_t allow_uid, struct kp_index **out, const char **why)
{
	struct kp_index *ix = NULL;
	const char *w = NULL;
	uint64_t nrecords = 0;
	uint32_t dend = 0;
	size_t size = 0;
	int fd = -1, r;

	if (why == NULL)
		why = &w;
	*why = NULL;
	if (out == NULL)
		return KP_ERR_ARG;
	*out = NULL;
	if (path == NULL) {
		*why = "no index path";
		return KP_ERR_ARG;
	}
	if ((r = kp_file_open_safe(
	         path, KP_INDEX_MAX_BYTES, allow_uid, &fd, &size, why)) != 0)
		return r;
	if ((ix = calloc(1, sizeof(*ix))) == NULL) {
		close(fd);
		*why = "out of memory";
		return KP_ERR_NOMEM;
	}
	ix->fd = fd;
	ix->whybuf = ix->hostwhy;
	r = KP_ERR_CORRUPT;
	/* cdb offsets are 32-bit: a bigger file cannot be one we wrote. */
	if (size < KPI_TOC_LEN || size > UINT32_MAX) {
		*why = "index is truncated or not a cdb file";
		goto out;
	}
	if (cdb_init(&ix->cdb, fd) != 0) {
		*why = "index cannot be mapped";
		r = errno == EPROTO ? KP_ERR_CORRUPT : KP_ERR_IO;
		goto out;
	}
	ix->cdb_ok = 1;
	if (ix->cdb.cdb_fsize != size) {
		*why = "index changed size while being opened";
		goto out;
	}
	if ((r = check_structure(ix, size, &nrecords, &dend)) != 0) {
		*why = "index is truncated or its table of contents is damaged";
		goto out;
	}
	if ((r = read_meta(ix, nrecords, dend, why)) != 0)
		goto out;
	*out = ix; /* handed to the caller */
	ix = NULL;
	r = 0;
out:
	kp_index_close(ix);
	return r;
}

void
kp_index_close(struct kp_index *ix)
{
	if (ix == NULL)
		return;
	if (ix->cdb_ok)
		cdb_free(&ix->cdb);
	if (ix->fd >= 0)
		close(ix->fd);
	free(ix);
}

const struct kp_index_meta *
kp_index_meta(const struct kp_index *ix)
{
	return ix == NULL ? NULL : &ix->meta;
}

int
kp_index_check_host(
    const struct kp_index *ix, const char *host, const char **why)
{
	const char *w = NULL;

	if (why == NULL)
		why = &w;
	*why = NULL;
	if (ix == NULL || host == NULL || *host == '\0') {
		*why = "no host name to check the index against";
		return KP_ERR_ARG;
	}
	if (strcasecmp(ix->meta.host, host) == 0)
		return 0;
	/* Cut to the buffer if need be: both names are at most 255 bytes. */
	snprintf(ix->whybuf, sizeof(ix->hostwhy),
	    "index was compiled for host %s, this host is %s: run keyauthctl "
	    "install on this host",
	    ix->meta.host[0] != '\0' ? ix->meta.host : "-", host);
	*why = ix->whybuf;
	return KP_ERR_INVALID;
}

/* ------------------------------------------------------------ decisions */

/* The decision's view of one record; host markers apply to no request. */
static void
rec_grant(const struct ixkey *k, const struct ixrec *rec, struct kp_grant *g)
{
	memset(g, 0, sizeof(*g));
	g->id = rec->id;
	g->owner = k->owner;
	g->accounts = rec->accounts;
	g->naccounts = rec->naccounts;
	g->host_ok = !rec->marker;
	g->sources = rec->sources;
	g->nsources = rec->nsources;
	g->not_before = rec->not_before;
	g->expires = rec->expires;
}

/*
 * The annotation of record rec of fp, pointing into the file; both NULL
 * for a version 1 entry (no annotation). The grant's name goes to the
 * decision's log line: one that is not a grant id is damage.
 */
static int
via_of(struct kp_index *ix, const char *fp, unsigned rec, const char **grant,
    const char **via)
{
	uint8_t key[KPI_FP_KEY_LEN + 1];
	const uint8_t *body;
	const char *g, *v;
	struct kp_buf b;
	size_t klen, blen;
	uint8_t type;
	int r;

	*grant = *via = NULL;
	if ((klen = kpi_via_key(key, fp, (uint16_t)rec)) == 0)
		return KP_ERR_ARG;
	r = get_value(ix, key, klen, &body, &blen);
	if (r == KP_ERR_NOTFOUND)
		return 0; /* a version 1 entry */
	if (r != 0)
		return r;
	kp_buf_view(&b, body, blen);
	if (kp_buf_get_u8(&b, &type) != 0 || type != KPI_REC_VIA ||
	    kpi_get_str(&b, 0, &g) != 0 || kpi_get_str(&b, 1, &v) != 0 ||
	    kp_buf_len(&b) != 0 || !kp_id_valid(g) || strlen(v) > KP_VALUE_MAX)
		return KP_ERR_CORRUPT;
	*grant = g;
	*via = v;
	return 0;
}

int
kp_index_grant_of(
    struct kp_index *ix, const char *fp, unsigned rec, char *grant, char *via)
{
	const char *g, *v;
	int r;

	if (grant != NULL)
		grant[0] = '\0';
	if (via != NULL)
		via[0] = '\0';
	if (ix == NULL || fp == NULL || grant == NULL || via == NULL ||
	    !kp_fingerprint_valid(fp) || rec == 0 ||
	    rec > KPI_MAX_RECORDS_PER_KEY)
		return KP_ERR_ARG;
	if ((r = via_of(ix, fp, rec, &g, &v)) != 0 || g == NULL)
		return r;
	memcpy(grant, g, strlen(g) + 1);
	memcpy(via, v, strlen(v) + 1);
	return 0;
}

int
kp_index_decide(
    struct kp_index *ix, const struct kp_request *req, struct kp_decision *out)
{
	struct kp_grant *grants = NULL;
	struct ixkey k;
	size_t i;
	int r;

	memset(&k, 0, sizeof(k));
	if (out == NULL)
		return KP_ERR_ARG;
	memset(out, 0, sizeof(*out));
	out->reason = KP_POLICY_UNAVAILABLE; /* until decided */
	if (ix == NULL || req == NULL || req->fp == NULL ||
	    !kp_fingerprint_valid(req->fp))
		return KP_ERR_ARG;
	/* Its grants were chosen for the compiled host, not for req->host. */
	if (req->host != NULL &&
	    (r = kp_index_check_host(ix, req->host, NULL)) != 0)
		return r;
	if ((r = load_key(ix, req->fp, &k)) != 0)
		goto out;
	if (k.nrecs > 0 &&
	    (grants = calloc(k.nrecs, sizeof(*grants))) == NULL) {
		r = KP_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < k.nrecs; i++)
		rec_grant(&k, &k.recs[i], &grants[i]);
	kp_decide(ix->meta.policy_expires, k.found && key_revoked(&k), grants,
	    k.nrecs, req, out);
	/* One more lookup, for the record that decided only. */
	if (out->entry_id[0] != '\0' && out->entry < k.nrecs &&
	    (r = kp_index_grant_of(ix, req->fp, (unsigned)out->entry + 1,
	         out->grant, out->via)) != 0)
		goto out;
	/* A revoked key has no grants in the index; still name its owner. */
	if (out->owner[0] == '\0' && k.owner != NULL)
		snprintf(out->owner, sizeof(out->owner), "%s", k.owner);
	out->policy_serial = ix->meta.serial;
	memcpy(out->policy_sha256, ix->meta.sha256, sizeof(out->policy_sha256));
	r = 0;
out:
	if (r != 0) {
		memset(out, 0, sizeof(*out));
		out->reason = KP_POLICY_UNAVAILABLE;
	}
	free(grants);
	ixkey_free(&k);
	return r;
}

/* ------------------------------------------------------ authorized_keys */

/*
 * Emit the lines of one key for account. The whole key is read and
 * checked before the first line goes out. must_exist: the key comes from
 * an account list, so a missing header is damage.
 */
static int
emit_key(struct kp_index *ix, const char *account, const char *fp, int64_t now,
    int must_exist, kp_line_cb cb, void *arg)
{
	const struct ixrec *rec;
	struct kp_grant g;
	struct ixkey k;
	char *line = NULL;
	size_t i;
	int r;

	if ((r = load_key(ix, fp, &k)) != 0)
		return r;
	if (!k.found) {
		r = must_exist ? KP_ERR_CORRUPT : 0;
		goto out;
	}
	if (key_revoked(&k))
		goto out;
	for (i = 0; i < k.nrecs; i++) {
		rec = &k.recs[i];
		/* The decision's rule, so the helper and PAM agree. */
		rec_grant(&k, rec, &g);
		if (!kp_grant_serves(&g, account, now))
			continue;
		r = kp_authkeys_line(rec->type, rec->b64, rec->id, rec->sources,
		    rec->nsources, rec->expires,
		    (const char *const *)rec->options, rec->noptions,
		    rec->command, &line);
		if (r != 0)
			goto out;
		if (line == NULL) {
			r = KP_ERR_INTERNAL;
			goto out;
		}
		r = cb(arg, line, fp, rec->id, k.owner, (unsigned)i + 1);
		free(line);
		line = NULL;
		if (r != 0)
			goto out;
	}
	r = 0;
out:
	ixkey_free(&k);
	return r;
}

int
kp_index_authorized_keys(struct kp_index *ix, const char *account,
    const char *fp, const char *host, int64_t now, kp_line_cb cb, void *arg)
{
	uint8_t key[KPI_ACCOUNT_KEY_MAX + 1];
	char fpbuf[KP_FP_LEN];
	const uint8_t *body, *fps;
	uint32_t c = 0, nchunks = 1, idx, nc;
	size_t klen, blen, i;
	uint16_t n;
	uint8_t type;
	struct kp_buf r;
	int ret;

	if (ix == NULL || account == NULL || cb == NULL)
		return KP_ERR_ARG;
	if (fp != NULL && !kp_fingerprint_valid(fp))
		return KP_ERR_ARG;
	/* Another host's index must not serve its keys here. */
	if ((ret = kp_index_check_host(ix, host, NULL)) != 0)
		return ret;
	/* A stale policy serves nothing (the caller reports policy_stale). */
	if (kp_policy_stale(ix->meta.policy_expires, now))
		return KP_ERR_INVALID;
	/* No account outside the policy's syntax can hold a grant. */
	if (!kp_account_valid(account))
		return 0;
	if (fp != NULL)
		return emit_key(ix, account, fp, now, 0, cb, arg);

	for (c = 0; c < nchunks; c++) {
		if ((klen = kpi_account_key(key, account, c)) == 0)
			return KP_ERR_ARG;
		ret = get_value(ix, key, klen, &body, &blen);
		if (ret == KP_ERR_NOTFOUND && c == 0)
			return 0; /* no key for this account */
		if (ret == KP_ERR_NOTFOUND)
			return KP_ERR_CORRUPT;
		if (ret != 0)
			return ret;
		kp_buf_view(&r, body, blen);
		if (kp_buf_get_u8(&r, &type) != 0 || type != KPI_REC_ACCOUNT ||
		    kp_buf_get_u32(&r, &idx) != 0 ||
		    kp_buf_get_u32(&r, &nc) != 0 ||
		    kp_buf_get_u16(&r, &n) != 0 || idx != c || nc == 0 ||
		    (c == 0 ? 0 : nc != nchunks) || n == 0 ||
		    n > KPI_ACCOUNT_CHUNK ||
		    kp_buf_get_ptr(&r, (size_t)n * KPI_FP_STRLEN, &fps) != 0 ||
		    kp_buf_len(&r) != 0)
			return KP_ERR_CORRUPT;
		nchunks = nc;
		for (i = 0; i < n; i++) {
			memcpy(fpbuf, fps + i * KPI_FP_STRLEN, KPI_FP_STRLEN);
			fpbuf[KPI_FP_STRLEN] = '\0';
			if (!kp_fingerprint_valid(fpbuf))
				return KP_ERR_CORRUPT;
			if ((ret = emit_key(
			         ix, account, fpbuf, now, 1, cb, arg)) != 0)
				return ret;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ iteration */

/* One key's (or, ca, one CA's) records through cb (kp_index_foreach). */
static int
foreach_key(struct kp_index *ix, int ca, const char *fp, kp_index_grant_cb cb,
    void *arg, uint64_t *granted)
{
	struct kp_index_grant g;
	const struct ixrec *rec;
	struct ixkey k;
	size_t i;
	int r, any = 0;

	if ((r = load_recs(ix, ca, fp, &k)) != 0)
		return r;
	if (!k.found) {
		r = KP_ERR_CORRUPT; /* the walk found its header */
		goto out;
	}
	memset(&g, 0, sizeof(g));
	g.fp = fp;
	g.owner = k.owner;
	g.revoked = key_revoked(&k);
	g.authority = ca;
	g.not_before = KP_TIME_NONE_BEFORE;
	g.expires = KP_TIME_NONE_AFTER;
	if (k.nrecs == 0) {
		r = cb(arg, &g);
		goto out;
	}
	for (i = 0; i < k.nrecs; i++) {
		rec = &k.recs[i];
		g.id = rec->id;
		g.host_marker = rec->marker;
		g.type = rec->type;
		g.b64 = rec->b64;
		g.accounts = rec->accounts;
		g.naccounts = rec->naccounts;
		g.sources = rec->sources;
		g.nsources = rec->nsources;
		g.options = rec->options;
		g.noptions = rec->noptions;
		g.command = rec->command;
		g.not_before = rec->not_before;
		g.expires = rec->expires;
		g.pnames = rec->pnames;
		g.pfirst = rec->pfirst;
		g.pcount = rec->pcount;
		if (!rec->marker)
			any = 1;
		if ((r = cb(arg, &g)) != 0)
			goto out;
	}
	*granted += any;
	r = 0;
out:
	ixkey_free(&k);
	return r;
}

/*
 * n strings (as written in the policy) of a row into *v, allocated
 * (each string takes at least 3 bytes, so n is checked against the bytes
 * left first).
 */
static int
row_strings(struct kp_buf *r, const char ***v, size_t *n)
{
	uint16_t cnt;
	size_t i;

	*v = NULL;
	*n = 0;
	if (kp_buf_get_u16(r, &cnt) != 0 || (size_t)cnt * 3 > kp_buf_len(r))
		return KP_ERR_CORRUPT;
	if (cnt == 0)
		return 0;
	if ((*v = calloc(cnt, sizeof(**v))) == NULL)
		return KP_ERR_NOMEM;
	*n = cnt;
	for (i = 0; i < cnt; i++)
		if (kpi_get_str(r, 0, &(*v)[i]) != 0)
			return KP_ERR_CORRUPT;
	return 0;
}

/* What the report keeps of one entry beside its grant (write_entry). */
struct ixentry {
	const char **from, **hosts; /* as written */
	size_t nfrom, nhosts;
	int revoked; /* then grant is the entry's grant, without base64 */
	struct ixrec grant;
};

static void
ixentry_free(struct ixentry *x)
{
	free(x->from);
	free(x->hosts);
	ixrec_free(&x->grant);
	memset(x, 0, sizeof(*x));
}

/*
 * The report's record of entry rec of fp: there is one for every entry
 * that applies to the host, so a missing one is damage.
 */
static int
load_entry(struct kp_index *ix, const char *fp, uint16_t rec, int revoked,
    struct ixentry *x)
{
	uint8_t key[KPI_FP_KEY_LEN + 1], type, rv;
	const uint8_t *body;
	struct kp_buf r;
	size_t blen;
	int ret;

	memset(x, 0, sizeof(*x));
	ret = get_value(ix, key, kpi_entry_key(key, fp, rec), &body, &blen);
	if (ret != 0)
		return ret == KP_ERR_NOTFOUND ? KP_ERR_CORRUPT : ret;
	kp_buf_view(&r, body, blen);
	if (kp_buf_get_u8(&r, &type) != 0 || type != KPI_REC_ENTRY)
		return KP_ERR_CORRUPT;
	if ((ret = row_strings(&r, &x->from, &x->nfrom)) != 0 ||
	    (ret = row_strings(&r, &x->hosts, &x->nhosts)) != 0)
		goto fail;
	ret = KP_ERR_CORRUPT;
	if (kp_buf_get_u8(&r, &rv) != 0 || rv != (revoked != 0))
		goto fail;
	x->revoked = rv;
	if (rv) {
		if ((ret = decode_rec(kp_buf_ptr(&r), kp_buf_len(&r), DEC_ROW,
		         &x->grant)) != 0)
			goto fail;
		ret = KP_ERR_CORRUPT;
		if (x->grant.marker)
			goto fail;
	} else if (kp_buf_len(&r) != 0)
		goto fail;
	return 0;
fail:
	ixentry_free(x);
	return ret;
}

/*
 * The calls of grant g (entry rec of the key k, fp) for account: one per
 * time g lists it, each with that account alone; *n counts them.
 */
static int
entry_rows(struct kp_index *ix, const char *account, const char *fp,
    const struct ixkey *k, const struct ixrec *g, uint16_t rec,
    const struct ixentry *x, kp_index_grant_cb cb, void *arg, size_t *n)
{
	struct kp_index_grant out;
	const char *grant, *via;
	size_t i;
	int r;

	if ((r = via_of(ix, fp, rec, &grant, &via)) != 0)
		return r;
	memset(&out, 0, sizeof(out));
	out.fp = fp;
	out.owner = k->owner;
	out.revoked = key_revoked(k);
	out.id = g->id;
	out.type = g->type;
	out.b64 = NULL; /* the report does not print keys */
	out.naccounts = 1;
	out.sources = g->sources;
	out.nsources = g->nsources;
	out.options = g->options;
	out.noptions = g->noptions;
	out.command = g->command;
	out.not_before = g->not_before;
	out.expires = g->expires;
	out.account = account;
	out.from = x->from;
	out.nfrom = x->nfrom;
	out.hosts = x->hosts;
	out.nhosts = x->nhosts;
	out.grant = grant;
	out.via = via != NULL && *via != '\0' ? via : NULL;
	for (i = 0; i < g->naccounts; i++) {
		if (strcmp(g->accounts[i], account) != 0)
			continue;
		out.accounts = &g->accounts[i];
		(*n)++;
		if ((r = cb(arg, &out)) != 0)
			return r;
	}
	return 0;
}

/* The rows of a key that has grants: its grant records for account. */
static int
key_rows(struct kp_index *ix, const char *account, const char *fp,
    kp_index_grant_cb cb, void *arg)
{
	struct ixentry x;
	struct ixkey k;
	size_t i, j, n = 0;
	int r;

	if ((r = load_key(ix, fp, &k)) != 0)
		return r;
	r = KP_ERR_CORRUPT; /* the account's chunk named the key */
	if (!k.found || k.flags != 0)
		goto out;
	for (i = 0; i < k.nrecs; i++) {
		if (k.recs[i].marker)
			continue;
		for (j = 0; j < k.recs[i].naccounts; j++)
			if (strcmp(k.recs[i].accounts[j], account) == 0)
				break;
		if (j == k.recs[i].naccounts)
			continue;
		if ((r = load_entry(ix, fp, (uint16_t)(i + 1), 0, &x)) != 0)
			goto out;
		r = entry_rows(ix, account, fp, &k, &k.recs[i],
		    (uint16_t)(i + 1), &x, cb, arg, &n);
		ixentry_free(&x);
		if (r != 0)
			goto out;
	}
	r = n > 0 ? 0 : KP_ERR_CORRUPT;
out:
	ixkey_free(&k);
	return r;
}

/* The row of entry rec of a revoked key, which has no grant record. */
static int
revoked_row(struct kp_index *ix, const char *account, const char *fp,
    uint16_t rec, kp_index_grant_cb cb, void *arg)
{
	struct ixentry x;
	struct ixkey k;
	size_t n = 0;
	int r;

	memset(&x, 0, sizeof(x));
	if ((r = load_key(ix, fp, &k)) != 0)
		return r;
	r = KP_ERR_CORRUPT;
	if (!k.found || k.flags == 0 || k.nrecs != 0 || rec == 0 ||
	    rec > KPI_MAX_RECORDS_PER_KEY)
		goto out;
	if ((r = load_entry(ix, fp, rec, 1, &x)) != 0 ||
	    (r = entry_rows(
	         ix, account, fp, &k, &x.grant, rec, &x, cb, arg, &n)) != 0)
		goto out;
	r = n > 0 ? 0 : KP_ERR_CORRUPT;
out:
	ixentry_free(&x);
	ixkey_free(&k);
	return r;
}

/*
 * Chunk c of the account's 'A' (fingerprints) or 'X' (fp, entry)
 * records: its *n items. *nchunks comes from chunk 0 and every later one
 * must agree. KP_ERR_NOTFOUND: the account has no chunk 0.
 */
static int
get_chunk(struct kp_index *ix, uint8_t ns, const char *account, uint32_t c,
    uint32_t *nchunks, const uint8_t **items, uint16_t *n)
{
	uint8_t key[KPI_ACCOUNT_KEY_MAX + 1], type;
	size_t klen, blen,
	    width = ns == KPI_NS_ACCOUNT ? KPI_FP_STRLEN : KPI_ROW_REF_LEN;
	const uint8_t *body;
	uint32_t idx, nc;
	struct kp_buf r;
	int ret;

	if ((klen = kpi_chunk_key(key, ns, account, c)) == 0)
		return KP_ERR_ARG;
	ret = get_value(ix, key, klen, &body, &blen);
	if (ret != 0)
		return ret == KP_ERR_NOTFOUND && c > 0 ? KP_ERR_CORRUPT : ret;
	kp_buf_view(&r, body, blen);
	if (kp_buf_get_u8(&r, &type) != 0 ||
	    type !=
	        (ns == KPI_NS_ACCOUNT ? KPI_REC_ACCOUNT
	                              : KPI_REC_REVOKED_ROWS) ||
	    kp_buf_get_u32(&r, &idx) != 0 || kp_buf_get_u32(&r, &nc) != 0 ||
	    kp_buf_get_u16(&r, n) != 0 || idx != c || c >= nc ||
	    (c > 0 && nc != *nchunks) || *n == 0 || *n > KPI_ACCOUNT_CHUNK ||
	    kp_buf_get_ptr(&r, (size_t)*n * width, items) != 0 ||
	    kp_buf_len(&r) != 0)
		return KP_ERR_CORRUPT;
	*nchunks = nc;
	return 0;
}

/*
 * One account's rows: the keys of its account chunks (by fingerprint,
 * each key's grants in policy order), then its revoked keys' entries.
 */
static int
foreach_account(
    struct kp_index *ix, const char *account, kp_index_grant_cb cb, void *arg)
{
	static const uint8_t ns[2] = {KPI_NS_ACCOUNT, KPI_NS_REVOKED_ROWS};
	char fp[KP_FP_LEN];
	const uint8_t *items, *it;
	uint32_t c, nchunks;
	uint16_t i, n;
	size_t s;
	int r;

	for (s = 0; s < sizeof(ns); s++) {
		for (c = 0, nchunks = 1; c < nchunks; c++) {
			r = get_chunk(
			    ix, ns[s], account, c, &nchunks, &items, &n);
			if (r == KP_ERR_NOTFOUND)
				break; /* c == 0: none */
			if (r != 0)
				return r;
			for (i = 0; i < n; i++) {
				it = items +
				    (size_t)i *
				        (s == 0 ? KPI_FP_STRLEN
				                : KPI_ROW_REF_LEN);
				memcpy(fp, it, KPI_FP_STRLEN);
				fp[KPI_FP_STRLEN] = '\0';
				if (!kp_fingerprint_valid(fp))
					return KP_ERR_CORRUPT;
				r = s == 0
				    ? key_rows(ix, account, fp, cb, arg)
				    : revoked_row(ix, account, fp,
				          kp_peek_u16(it + KPI_FP_STRLEN), cb,
				          arg);
				if (r != 0)
					return r;
			}
		}
	}
	return 0;
}

/* The record "T": KP_ERR_VERSION when the compiler wrote no rows. */
static int
rows_flags(struct kp_index *ix, uint8_t *flags)
{
	static const uint8_t tkey[1] = {KPI_NS_ROWS};
	const uint8_t *body;
	size_t blen;
	int r;

	*flags = 0;
	if ((r = get_value(ix, tkey, sizeof(tkey), &body, &blen)) != 0)
		return r == KP_ERR_NOTFOUND ? KP_ERR_VERSION : r;
	if (blen != 2 || body[0] != KPI_REC_ROWS ||
	    (body[1] & ~KPI_ROWS_TEAMS) != 0)
		return KP_ERR_CORRUPT;
	*flags = body[1];
	return 0;
}

int
kp_index_rows_teams(struct kp_index *ix, int *teams)
{
	uint8_t flags;
	int r;

	if (teams != NULL)
		*teams = 0;
	if (ix == NULL || teams == NULL)
		return KP_ERR_ARG;
	if ((r = rows_flags(ix, &flags)) != 0)
		return r;
	*teams = (flags & KPI_ROWS_TEAMS) != 0;
	return 0;
}

/*
 * Every account's rows: each account where the walk meets its chunk 0,
 * of fingerprints, or of revoked entries when it has none of the first.
 */
static int
foreach_rows(struct kp_index *ix, const struct kp_index_walk *how,
    kp_index_grant_cb cb, void *arg)
{
	char account[KP_ACCOUNT_MAX + 1];
	uint8_t akey[KPI_ACCOUNT_KEY_MAX + 1], flags;
	const uint8_t *key, *body;
	unsigned pos, klen;
	size_t blen;
	int r;

	if ((r = rows_flags(ix, &flags)) != 0)
		return r;
	if (how->account != NULL)
		return kp_account_valid(how->account)
		    ? foreach_account(ix, how->account, cb, arg)
		    : 0;
	cdb_seqinit(&pos, &ix->cdb);
	while ((r = cdb_seqnext(&pos, &ix->cdb)) > 0) {
		klen = cdb_keylen(&ix->cdb);
		if (klen == 0 || klen > KPI_MAX_VALUE ||
		    (key = cdb_get(&ix->cdb, klen, cdb_keypos(&ix->cdb))) ==
		        NULL)
			return KP_ERR_CORRUPT;
		if (key[0] != KPI_NS_ACCOUNT && key[0] != KPI_NS_REVOKED_ROWS)
			continue;
		/* NS account NUL be32(c) */
		if (klen < 1 + 1 + 1 + 4 || klen > KPI_ACCOUNT_KEY_MAX ||
		    key[klen - 5] != '\0')
			return KP_ERR_CORRUPT;
		if (kp_peek_u32(key + klen - 4) != 0)
			continue;
		memcpy(account, key + 1, klen - 6);
		account[klen - 6] = '\0';
		if (!kp_account_valid(account))
			return KP_ERR_CORRUPT;
		if (key[0] == KPI_NS_REVOKED_ROWS) {
			r = get_value(ix, akey,
			    kpi_account_key(akey, account, 0), &body, &blen);
			if (r == 0)
				continue; /* met, or to be met, at its 'A' */
			if (r != KP_ERR_NOTFOUND)
				return r;
		}
		if ((r = foreach_account(ix, account, cb, arg)) != 0)
			return r;
	}
	return r < 0 ? KP_ERR_CORRUPT : 0;
}

int
kp_index_foreach(struct kp_index *ix, const struct kp_index_walk *how,
    kp_index_grant_cb cb, void *arg)
{
	const uint8_t *key;
	char fp[KP_FP_LEN];
	unsigned pos, klen;
	uint64_t nkeys = 0, ncas = 0;
	int r;

	if (ix == NULL || cb == NULL)
		return KP_ERR_ARG;
	if (how != NULL && how->by_account)
		return foreach_rows(ix, how, cb, arg);
	cdb_seqinit(&pos, &ix->cdb);
	/* Every key header is 'F' fp be16(0); grants follow as be16(1..n). */
	while ((r = cdb_seqnext(&pos, &ix->cdb)) > 0) {
		klen = cdb_keylen(&ix->cdb);
		if (klen == 0 || klen > KPI_MAX_VALUE ||
		    (key = cdb_get(&ix->cdb, klen, cdb_keypos(&ix->cdb))) ==
		        NULL)
			return KP_ERR_CORRUPT;
		if (key[0] != KPI_NS_FP &&
		    (key[0] != KPI_NS_CA || how == NULL || !how->authorities))
			continue;
		if (klen != KPI_FP_KEY_LEN)
			return KP_ERR_CORRUPT;
		if (kp_peek_u16(key + 1 + KPI_FP_STRLEN) != 0)
			continue;
		memcpy(fp, key + 1, KPI_FP_STRLEN);
		fp[KPI_FP_STRLEN] = '\0';
		if (!kp_fingerprint_valid(fp))
			return KP_ERR_CORRUPT;
		/* CAs are not counted in the meta record's keys */
		if ((r = foreach_key(ix, key[0] == KPI_NS_CA, fp, cb, arg,
		         key[0] == KPI_NS_CA ? &ncas : &nkeys)) != 0)
			return r;
	}
	if (r < 0)
		return KP_ERR_CORRUPT;
	/*
	 * The meta record counts the keys with a grant here: a walk that saw
	 * another number is damage.
	 */
	return nkeys == ix->meta.nkeys ? 0 : KP_ERR_CORRUPT;
}

/* ------------------------------------------------------------ certificates */

/* An 'R' record for (cafp, kind, what) exists. */
static int
cert_revoked(struct kp_index *ix, const char *cafp, char kind, const char *what,
    int *revoked)
{
	uint8_t key[KPI_CERT_REVOKED_KEY_MAX + 1];
	const uint8_t *body;
	size_t klen, blen;
	int r;

	*revoked = 0;
	if ((klen = kpi_cert_revoked_key(key, cafp, kind, what)) == 0)
		return 0; /* longer than any revocation the index can hold */
	r = get_value(ix, key, klen, &body, &blen);
	if (r == KP_ERR_NOTFOUND)
		return 0;
	if (r != 0)
		return r;
	if (blen != 1 || body[0] != KPI_REC_CERT_REVOKED)
		return KP_ERR_CORRUPT;
	*revoked = 1;
	return 0;
}

/* Why the certificate itself is refused before any grant is looked at. */
static int
cert_revocation(struct kp_index *ix, const struct kp_cert *cert,
    const struct ixkey *ca, const char **why)
{
	struct ixkey subj;
	char serial[24];
	int r, rev = 0;

	if (key_revoked(ca)) {
		*why = (ca->flags & KPI_KEY_REVOKED_FP) != 0
		    ? "the CA is revoked"
		    : "the CA's owner is revoked";
		return 1;
	}
	/* A revoked key stays revoked inside a certificate. */
	if ((r = load_key(ix, cert->key->fp, &subj)) != 0)
		return r;
	rev = subj.found && key_revoked(&subj);
	ixkey_free(&subj);
	if (rev) {
		*why = "the certified key is revoked";
		return 1;
	}
	snprintf(
	    serial, sizeof(serial), "%llu", (unsigned long long)cert->serial);
	if ((r = cert_revoked(ix, cert->ca->fp, 's', serial, &rev)) != 0)
		return r;
	if (rev) {
		*why = "the certificate's serial is revoked";
		return 1;
	}
	if ((r = cert_revoked(ix, cert->ca->fp, 'i', cert->key_id, &rev)) != 0)
		return r;
	if (rev) {
		*why = "the certificate's key id is revoked";
		return 1;
	}
	return 0;
}

/* The index in the certificate's principals of name, or -1. */
static long
cert_principal_index(const struct kp_cert *cert, const char *name)
{
	size_t j;

	for (j = 0; j < cert->nprincipals; j++)
		if (strcmp(name, cert->principals[j]) == 0)
			return (long)j;
	return -1;
}

/*
 * 1 when the certificate names a principal rec asks for account: one of
 * the account's list, or without a list the account's own name (as sshd).
 */
static int
cert_has_principal(const struct kp_cert *cert, const struct ixrec *rec,
    const char *account, size_t *matched)
{
	size_t i, k;
	long j;

	for (i = 0; i < rec->naccounts; i++) {
		if (strcmp(rec->accounts[i], account) != 0)
			continue;
		if (rec->pcount == NULL || rec->pcount[i] == 0)
			break;
		for (k = 0; k < rec->pcount[i]; k++) {
			j = cert_principal_index(
			    cert, rec->pnames[rec->pfirst[i] + k]);
			if (j >= 0) {
				*matched = (size_t)j;
				return 1;
			}
		}
		return 0;
	}
	if ((j = cert_principal_index(cert, account)) < 0)
		return 0;
	*matched = (size_t)j;
	return 1;
}

/* principals="a,b" for account, then the grant's own line. */
static int
cert_line(const struct ixrec *rec, const char *account, char **out)
{
	const char *const *want = &account;
	size_t i, nwant = 1, tl;
	struct kp_buf b;
	char *line = NULL;
	int r;

	*out = NULL;
	for (i = 0; i < rec->naccounts; i++) {
		if (strcmp(rec->accounts[i], account) == 0 &&
		    rec->pcount != NULL && rec->pcount[i] > 0) {
			want = rec->pnames + rec->pfirst[i];
			nwant = rec->pcount[i];
			break;
		}
	}
	if ((r = kp_authkeys_line(rec->type, rec->b64, rec->id, rec->sources,
	         rec->nsources, rec->expires, (const char *const *)rec->options,
	         rec->noptions, rec->command, &line)) != 0)
		return r;
	kp_buf_init(&b, KP_KEYLINE_MAX * 4);
	kp_buf_puts(&b, "cert-authority,principals=\"");
	for (i = 0; i < nwant; i++) {
		/* The loader allows no ',' '"' or space in a principal. */
		if (strpbrk(want[i], ",\" \\") != NULL) {
			r = KP_ERR_CORRUPT;
			goto out;
		}
		if (i > 0)
			kp_buf_putc(&b, ',');
		kp_buf_puts(&b, want[i]);
	}
	kp_buf_putc(&b, '"');
	/* The grant's line starts with its options, or with the key type. */
	tl = strlen(rec->type);
	kp_buf_puts(&b,
	    strncmp(line, rec->type, tl) == 0 && line[tl] == ' ' ? " " : ",");
	kp_buf_puts(&b, line);
	if ((r = kp_buf_take(&b, out, NULL)) != 0)
		goto out;
	r = 0;
out:
	free(line);
	kp_buf_free(&b);
	return r;
}

/* The client lies in one of the certificate's source-address networks. */
static int
cert_source_ok(const struct kp_cert *cert, const char *client, int *known)
{
	struct kp_cidr c;
	const char *why = NULL;
	size_t i;

	*known = 1;
	if (cert->nsources == 0)
		return 1;
	if (client == NULL || *client == '\0' ||
	    kp_addr_parse(client, &c, &why) != 0) {
		*known = 0;
		return 0;
	}
	for (i = 0; i < cert->nsources; i++) {
		if (kp_cidr_match(&cert->sources[i], &c) == 1)
			return 1;
	}
	return 0;
}

int
kp_index_decide_cert(struct kp_index *ix, const struct kp_cert *cert,
    const struct kp_request *req, int serve, struct kp_decision *out,
    char **line, const char **why)
{
	struct kp_grant *grants = NULL, one;
	struct kp_decision d1;
	struct kp_request rq;
	const struct ixrec *rec, *hit = NULL, *near = NULL;
	const char *w = NULL;
	struct ixkey k;
	size_t i, m;
	int r, known;

	memset(&k, 0, sizeof(k));
	if (why == NULL)
		why = &w;
	*why = NULL;
	if (line != NULL)
		*line = NULL;
	if (out == NULL)
		return KP_ERR_ARG;
	memset(out, 0, sizeof(*out));
	out->reason = KP_POLICY_UNAVAILABLE;
	if (ix == NULL || cert == NULL || req == NULL || req->account == NULL ||
	    cert->key == NULL || cert->ca == NULL || cert->key_id == NULL)
		return KP_ERR_ARG;
	if (req->host != NULL &&
	    (r = kp_index_check_host(ix, req->host, NULL)) != 0)
		return r;
	out->policy_serial = ix->meta.serial;
	memcpy(out->policy_sha256, ix->meta.sha256, sizeof(out->policy_sha256));
	if (kp_policy_stale(ix->meta.policy_expires, req->now)) {
		out->reason = KP_POLICY_STALE;
		return 0;
	}
	if (cert->type != KP_CERT_USER) {
		out->reason = KP_CERT_INVALID;
		*why = "a host certificate cannot log in";
		return 0;
	}
	if ((r = load_recs(ix, 1, cert->ca->fp, &k)) != 0)
		goto fail;
	if (!k.found) {
		out->reason = KP_UNKNOWN_KEY;
		*why = "the certificate's CA is not one the policy trusts";
		r = 0;
		goto done;
	}
	snprintf(out->owner, sizeof(out->owner), "%s", k.owner);
	if ((r = cert_revocation(ix, cert, &k, why)) < 0)
		goto fail;
	if (r == 1) {
		out->reason = KP_REVOKED;
		r = 0;
		goto done;
	}
	if ((int64_t)cert->valid_after > req->now ||
	    cert->valid_after > (uint64_t)INT64_MAX) {
		out->reason = KP_NOT_YET_VALID;
		*why = "the certificate is not valid yet";
		goto done;
	}
	if (cert->valid_before <= (uint64_t)INT64_MAX &&
	    req->now >= (int64_t)cert->valid_before) {
		out->reason = KP_EXPIRED;
		*why = "the certificate has expired";
		goto done;
	}
	/*
	 * The entry's own rules, grant by grant; the helper leaves the source
	 * to sshd (the line carries from=, the certificate source-address).
	 */
	rq = *req;
	for (i = 0; i < k.nrecs && hit == NULL; i++) {
		rec = &k.recs[i];
		rec_grant(&k, rec, &one);
		if (serve)
			one.nsources = 0;
		kp_decide(ix->meta.policy_expires, 0, &one, 1, &rq, &d1);
		if (d1.reason != KP_ALLOWED)
			continue;
		if (cert_has_principal(cert, rec, req->account, &m))
			hit = rec;
		else if (near == NULL)
			near = rec;
	}
	if (hit == NULL && near != NULL) {
		out->reason = KP_PRINCIPAL_NOT_ALLOWED;
		snprintf(out->entry_id, sizeof(out->entry_id), "%s", near->id);
		*why = "the certificate names none of the principals the "
		       "authority requires for this account";
		goto done;
	}
	if (hit == NULL) {
		if (k.nrecs > 0 &&
		    (grants = calloc(k.nrecs, sizeof(*grants))) == NULL) {
			r = KP_ERR_NOMEM;
			goto fail;
		}
		for (i = 0; i < k.nrecs; i++) {
			rec_grant(&k, &k.recs[i], &grants[i]);
			if (serve)
				grants[i].nsources = 0;
		}
		kp_decide(
		    ix->meta.policy_expires, 0, grants, k.nrecs, &rq, &d1);
		out->reason = d1.reason == KP_ALLOWED ? KP_ACCOUNT_NOT_ALLOWED
		                                      : d1.reason;
		memcpy(out->entry_id, d1.entry_id, sizeof(out->entry_id));
		goto done;
	}
	snprintf(out->entry_id, sizeof(out->entry_id), "%s", hit->id);
	(void)cert_has_principal(cert, hit, req->account, &m);
	snprintf(
	    out->principal, sizeof(out->principal), "%s", cert->principals[m]);
	if (!serve && !cert_source_ok(cert, req->client, &known)) {
		out->reason = known ? KP_SOURCE_NOT_ALLOWED : KP_SOURCE_UNKNOWN;
		*why = "the client is outside the certificate's source-address";
		goto done;
	}
	/* sshd refuses a login whose two forced commands differ. */
	if (cert->force_command != NULL && hit->command != NULL &&
	    strcmp(cert->force_command, hit->command) != 0) {
		out->reason = KP_CERT_INVALID;
		*why = "the certificate's force-command differs from the "
		       "authority's command";
		goto done;
	}
	out->reason = KP_ALLOWED;
	if (line != NULL && (r = cert_line(hit, req->account, line)) != 0)
		goto fail;
done:
	r = 0;
	goto out;
fail:
	memset(out, 0, sizeof(*out));
	out->reason = KP_POLICY_UNAVAILABLE;
out:
	free(grants);
	ixkey_free(&k);
	return r;
}

/* ------------------------------------------------------ authority rows */

/* Row j of the authorities (docs/index-format.md, "Authority rows"). */
static int
foreach_ca_row(struct kp_index *ix, uint32_t j, kp_index_grant_cb cb, void *arg)
{
	uint8_t key[KPI_CA_ROW_KEY_LEN + 1], type, flags;
	const uint8_t *body;
	const char **from = NULL, **hosts = NULL, *fp, *owner;
	struct kp_index_grant g;
	struct ixrec rec;
	struct kp_buf r;
	size_t klen, blen, nfrom = 0, nhosts = 0;
	int ret;

	memset(&rec, 0, sizeof(rec));
	if ((klen = kpi_ca_row_key(key, j)) == 0)
		return KP_ERR_ARG;
	if ((ret = get_value(ix, key, klen, &body, &blen)) != 0)
		return ret == KP_ERR_NOTFOUND ? KP_ERR_CORRUPT : ret;
	kp_buf_view(&r, body, blen);
	ret = KP_ERR_CORRUPT;
	if (kp_buf_get_u8(&r, &type) != 0 || type != KPI_REC_CA_ROW ||
	    kp_buf_get_u8(&r, &flags) != 0 ||
	    (flags &
	        ~(KPI_KEY_REVOKED_FP | KPI_KEY_REVOKED_OWNER |
	            KPI_CA_ROW_OTHER_HOST)) != 0 ||
	    kpi_get_str(&r, 0, &fp) != 0 || !kp_fingerprint_valid(fp) ||
	    kpi_get_str(&r, 1, &owner) != 0)
		goto out;
	if ((ret = row_strings(&r, &from, &nfrom)) != 0 ||
	    (ret = row_strings(&r, &hosts, &nhosts)) != 0)
		goto out;
	if ((ret = decode_rec(
	         kp_buf_ptr(&r), kp_buf_len(&r), DEC_CA | DEC_ROW, &rec)) != 0)
		goto out;
	ret = KP_ERR_CORRUPT;
	if (rec.marker)
		goto out;
	memset(&g, 0, sizeof(g));
	g.fp = fp;
	g.owner = owner;
	g.revoked = (flags & ~KPI_CA_ROW_OTHER_HOST) != 0;
	g.host_marker = (flags & KPI_CA_ROW_OTHER_HOST) != 0;
	g.id = rec.id;
	g.type = rec.type;
	g.accounts = rec.accounts;
	g.naccounts = rec.naccounts;
	g.sources = rec.sources;
	g.nsources = rec.nsources;
	g.options = rec.options;
	g.noptions = rec.noptions;
	g.command = rec.command;
	g.not_before = rec.not_before;
	g.expires = rec.expires;
	g.authority = 1;
	g.pnames = rec.pnames;
	g.pfirst = rec.pfirst;
	g.pcount = rec.pcount;
	g.from = from;
	g.nfrom = nfrom;
	g.hosts = hosts;
	g.nhosts = nhosts;
	ret = cb(arg, &g);
out:
	ixrec_free(&rec);
	free(from);
	free(hosts);
	return ret;
}

int
kp_index_foreach_authority(struct kp_index *ix, kp_index_grant_cb cb, void *arg)
{
	static const uint8_t nkey[1] = {KPI_NS_CA_ROW};
	const uint8_t *body;
	struct kp_buf r;
	uint32_t j, n;
	uint8_t type;
	size_t blen;
	int ret;

	if (ix == NULL || cb == NULL)
		return KP_ERR_ARG;
	if ((ret = get_value(ix, nkey, sizeof(nkey), &body, &blen)) != 0)
		return ret == KP_ERR_NOTFOUND ? KP_ERR_VERSION : ret;
	kp_buf_view(&r, body, blen);
	if (kp_buf_get_u8(&r, &type) != 0 || type != KPI_REC_CA_ROWS ||
	    kp_buf_get_u32(&r, &n) != 0 || kp_buf_len(&r) != 0)
		return KP_ERR_CORRUPT;
	/* A damaged n ends at the first row that is not there: corrupt. */
	for (j = 0; j < n; j++)
		if ((ret = foreach_ca_row(ix, j, cb, arg)) != 0)
			return ret;
	return 0;
}
