/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * The compiled-index reader (kp_index_open, kp_index_decide,
 * kp_index_authorized_keys): whatever bytes sit in the index file, the
 * reader refuses or decides, never crashes, and never allows on an error.
 *
 * Two input modes, chosen by the first byte:
 *  - even: the rest is the index file, byte for byte (damage to the cdb
 *    structure, the table of contents, truncation);
 *  - odd: the rest is a list of records, each u8 key length, be16 value
 *    length, key, value without its check. The target appends each
 *    record's correct SHA-256 check, puts the meta record ("M") last with
 *    its record count and data size patched in, and writes a real cdb
 *    with tinycdb. Mutations then reach the record decoders behind the
 *    checks, which random bytes almost never pass.
 *
 * Properties: kp_index_decide never returns an error with an allow, and
 * every line kp_index_authorized_keys serves is one line naming a valid
 * fingerprint and entry id. The report's walks (kp_index_foreach by key
 * and by account, every account and each named one; the authority rows)
 * end in 0, an error or the callback's stop, and every row they hand out
 * is one the reader checked: a valid fingerprint, an entry id, the one
 * account asked for.
 */

#include <sys/stat.h>
#include <sys/types.h>

#include <fcntl.h>
#include <unistd.h>

#include <cdb.h>

#include "fuzz.h"
#include "index-format.h"
#include "keyauth.h"

#define NOW ((int64_t)1767225600)
#define MAX_NAMES 4
#define META_NRECORDS_OFF (KPI_MAGIC_LEN + 4 + 5 * 8)
#define META_DATABYTES_OFF (META_NRECORDS_OFF + 8)

static char path[256];

/* The scratch directory goes when the fuzzer exits. */
static void
cleanup(void)
{
	char dir[256];

	snprintf(dir, sizeof(dir), "%s", path);
	unlink(path);
	if (strrchr(dir, '/') != NULL) {
		*strrchr(dir, '/') = '\0';
		rmdir(dir);
	}
}

static void
init(void)
{
	static char dir[128];
	const char *base;

	if (path[0] != '\0')
		return;
	base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dir, sizeof(dir), "%s/keyauth-fuzz-index.XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/policy.cdb", dir);
	atexit(cleanup);
}

struct names {
	char acct[MAX_NAMES][KP_ACCOUNT_MAX + 1];
	size_t nacct;
	char fp[MAX_NAMES][KP_FP_LEN];
	size_t nfp;
};

static void
note_key(struct names *nm, const uint8_t *k, size_t klen)
{
	size_t n;

	if (klen == 1 + KPI_FP_STRLEN + 2 && k[0] == KPI_NS_FP &&
	    nm->nfp < MAX_NAMES) {
		memcpy(nm->fp[nm->nfp], k + 1, KPI_FP_STRLEN);
		nm->fp[nm->nfp++][KPI_FP_STRLEN] = '\0';
	} else if (klen > 1 &&
	    (k[0] == KPI_NS_ACCOUNT || k[0] == KPI_NS_REVOKED_ROWS) &&
	    nm->nacct < MAX_NAMES) {
		n = strnlen((const char *)k + 1, klen - 1);
		if (n <= KP_ACCOUNT_MAX && n > 0) {
			memcpy(nm->acct[nm->nacct], k + 1, n);
			nm->acct[nm->nacct++][n] = '\0';
		}
	}
}

/* The records mode: returns 0 when the file was written. */
static int
write_records(int fd, const uint8_t *d, size_t n, struct names *nm)
{
	struct cdb_make cm;
	const uint8_t *meta = NULL;
	uint8_t *val;
	size_t metalen = 0, klen, blen, off = 0;
	uint64_t nrecords = 0, databytes = 0;

	if (cdb_make_start(&cm, fd) != 0)
		return -1;
	if ((val = malloc(0x10000 + KPI_CHECK_LEN)) == NULL)
		abort();
	while (n - off >= 3) {
		klen = d[off];
		blen = (size_t)d[off + 1] << 8 | d[off + 2];
		off += 3;
		if (klen > n - off)
			klen = n - off;
		if (blen > n - off - klen)
			blen = n - off - klen;
		if (klen == 1 && d[off] == KPI_NS_META && meta == NULL) {
			meta = d + off + 1;
			metalen = blen;
		} else {
			note_key(nm, d + off, klen);
			memcpy(val, d + off + klen, blen);
			if (kp_ix_check(d + off, klen, val, blen, val + blen) !=
			    0)
				abort();
			if (cdb_make_add(&cm, d + off, (unsigned)klen, val,
			        (unsigned)(blen + KPI_CHECK_LEN)) != 0)
				abort();
			nrecords++;
			databytes += 8 + klen + blen + KPI_CHECK_LEN;
		}
		off += klen + blen;
	}
	if (meta != NULL) {
		static const uint8_t mkey[1] = {KPI_NS_META};

		memcpy(val, meta, metalen);
		if (metalen >= META_DATABYTES_OFF + 8) {
			kp_poke_u64(val + META_NRECORDS_OFF, nrecords + 1);
			kp_poke_u64(val + META_DATABYTES_OFF, databytes);
		}
		if (kp_ix_check(mkey, 1, val, metalen, val + metalen) != 0)
			abort();
		if (cdb_make_add(&cm, mkey, 1, val,
		        (unsigned)(metalen + KPI_CHECK_LEN)) != 0)
			abort();
	}
	free(val);
	return cdb_make_finish(&cm);
}

static int
line_cb(void *arg, const char *line, const char *fp, const char *entry_id,
    const char *owner, unsigned rec)
{
	size_t *count = arg;

	FZ_ASSERT(rec >= 1);
	(*count)++;
	FZ_ASSERT(line != NULL && strchr(line, '\n') == NULL);
	FZ_ASSERT(fp != NULL && kp_fingerprint_valid(fp));
	FZ_ASSERT(entry_id != NULL && kp_id_valid(entry_id));
	FZ_ASSERT(owner != NULL);
	return 0;
}

static void
query(struct kp_index *ix, const char *account, const char *fp)
{
	static const char *const clients[] = {
	    NULL, "192.0.2.10", "2001:db8::1"};
	struct kp_request req;
	struct kp_decision d;
	size_t i, lines = 0;
	int r;

	for (i = 0; i < sizeof(clients) / sizeof(clients[0]); i++) {
		memset(&req, 0, sizeof(req));
		req.account = account;
		req.fp = fp;
		req.client = clients[i];
		req.host = "web-01";
		req.now = NOW;
		memset(&d, 0x5a, sizeof(d));
		r = kp_index_decide(ix, &req, &d);
		FZ_ASSERT(d.reason < KP_REASON_COUNT);
		if (r != 0)
			FZ_ASSERT(d.reason != KP_ALLOWED);
		FZ_ASSERT(memchr(d.entry_id, '\0', sizeof(d.entry_id)) != NULL);
	}
	r = kp_index_authorized_keys(
	    ix, account, fp, "web-01", NOW, line_cb, &lines);
	(void)r;
}

/*
 * A walk's calls: at most ROW_STOP, then the callback stops the walk,
 * which must return what it returned (a damaged index can hold many
 * rows; the bound keeps one input fast).
 */
#define ROW_STOP 4096
#define ROW_STOPPED 7

struct rows {
	const char *account; /* by account: the one asked for, or NULL */
	int by_account;
	size_t n;
};

static void
check_strings(const char *const *v, size_t n)
{
	size_t i;

	FZ_ASSERT(n == 0 || v != NULL);
	for (i = 0; i < n; i++)
		FZ_ASSERT(v[i] != NULL);
}

static int
row_cb(void *arg, const struct kp_index_grant *g)
{
	struct rows *w = arg;

	FZ_ASSERT(g->fp != NULL && kp_fingerprint_valid(g->fp));
	FZ_ASSERT(g->owner != NULL);
	if (w->by_account) {
		/* A report row: one entry of one key, for one account. */
		FZ_ASSERT(!g->authority && !g->host_marker && g->b64 == NULL);
		FZ_ASSERT(
		    g->id != NULL && kp_id_valid(g->id) && g->type != NULL);
		FZ_ASSERT(g->account != NULL && kp_account_valid(g->account));
		FZ_ASSERT(
		    w->account == NULL || strcmp(g->account, w->account) == 0);
		FZ_ASSERT(g->naccounts == 1 && g->accounts != NULL &&
		    strcmp(g->accounts[0], g->account) == 0);
		check_strings(g->from, g->nfrom);
		check_strings(g->hosts, g->nhosts);
		FZ_ASSERT(g->grant == NULL || kp_id_valid(g->grant));
	} else {
		FZ_ASSERT(
		    g->account == NULL && g->from == NULL && g->hosts == NULL);
		FZ_ASSERT(g->id == NULL || kp_id_valid(g->id));
	}
	check_strings(g->accounts, g->naccounts);
	FZ_ASSERT(g->nsources == 0 || g->sources != NULL);
	check_strings(g->options, g->noptions);
	return ++w->n >= ROW_STOP ? ROW_STOPPED : 0;
}

static void
walk(struct kp_index *ix, int by_account, const char *account)
{
	struct kp_index_walk how;
	struct rows w;
	int r;

	memset(&how, 0, sizeof(how));
	how.by_account = by_account;
	how.account = account;
	how.authorities = !by_account;
	memset(&w, 0, sizeof(w));
	w.by_account = by_account;
	w.account = account;
	r = kp_index_foreach(ix, &how, row_cb, &w);
	FZ_ASSERT(r == 0 || r < 0 || (r == ROW_STOPPED && w.n == ROW_STOP));
}

/* An authority row (the report's): what the reader promises of it. */
static int
ca_row_cb(void *arg, const struct kp_index_grant *g)
{
	size_t i, j;

	(void)arg;
	FZ_ASSERT(g->authority && g->b64 == NULL && g->account == NULL);
	FZ_ASSERT(g->fp != NULL && kp_fingerprint_valid(g->fp));
	FZ_ASSERT(g->id != NULL && g->owner != NULL && g->naccounts > 0);
	for (i = 0; i < g->naccounts; i++) {
		FZ_ASSERT(g->accounts[i] != NULL);
		for (j = 0; j < g->pcount[i]; j++)
			FZ_ASSERT(g->pnames[g->pfirst[i] + j] != NULL);
	}
	for (i = 0; i < g->nfrom; i++)
		FZ_ASSERT(g->from[i] != NULL);
	for (i = 0; i < g->nhosts; i++)
		FZ_ASSERT(g->hosts[i] != NULL);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct names nm;
	struct kp_index *ix = NULL;
	const char *why = NULL;
	ssize_t w;
	size_t a, f;
	int fd, r, teams;

	if (size < 1 || size > 1024 * 1024)
		return 0;
	init();
	memset(&nm, 0, sizeof(nm));
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) <
	    0)
		abort();
	if (data[0] & 1) {
		if (write_records(fd, data + 1, size - 1, &nm) != 0)
			abort();
	} else if (size > 1) {
		w = write(fd, data + 1, size - 1);
		if (w < 0 || (size_t)w != size - 1)
			abort();
	}
	close(fd);

	if (kp_index_open(path, geteuid(), &ix, &why) != 0) {
		FZ_ASSERT(ix == NULL && why != NULL);
		return 0;
	}
	FZ_ASSERT(kp_index_meta(ix) != NULL);
	snprintf(nm.acct[nm.nacct < MAX_NAMES ? nm.nacct++ : 0],
	    sizeof(nm.acct[0]), "%s", "alice");
	for (a = 0; a < nm.nacct; a++) {
		query(ix, nm.acct[a], NULL);
		for (f = 0; f < nm.nfp; f++)
			query(ix, nm.acct[a], nm.fp[f]);
	}
	(void)kp_index_foreach_authority(ix, ca_row_cb, NULL);
	teams = -1;
	r = kp_index_rows_teams(ix, &teams);
	FZ_ASSERT(r == 0 ? teams == 0 || teams == 1 : teams == 0);
	walk(ix, 0, NULL);
	walk(ix, 1, NULL);
	for (a = 0; a < nm.nacct; a++)
		walk(ix, 1, nm.acct[a]);
	kp_index_close(ix);
	return 0;
}
