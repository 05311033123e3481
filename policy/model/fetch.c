/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * keyauthctl fetch (docs/fleet.md): the policy and its signature files
 * from any static HTTP server, by conditional GET (ETag, Last-Modified),
 * into a root-only staging directory; install then takes them from there
 * through the same verification as any other install.
 *
 * What is fetched: URL, URL.sig and URL.<principal>.sig for every literal
 * principal of allowed_signers (the server knows who may sign, so it
 * needs no listing from the web server; a 404 means "not signed by
 * that one"). Staged as policy.yaml, policy.yaml.sig and
 * policy.yaml.<principal>.sig, each with NAME.http holding its validators.
 *
 * Decisions:
 *  - All or nothing: every resource of a round is downloaded to a
 *    temporary file first; only when every request of the round answered
 *    (200, 304, or 404 for a signature) are they put in place. A network
 *    error or a 500 changes nothing.
 *  - A publisher replaces the policy and its signatures one file at a
 *    time, so a round may see a mix; when a round changed anything,
 *    another round follows (up to KP_FETCH_ROUNDS) until one sees nothing
 *    new. A mix that persists is refused by the signature check.
 *  - Bounded: the policy at KP_POLICY_MAX_BYTES, a signature at
 *    KP_SIG_MAX_BYTES, refused from the Content-Length when the server
 *    sends one and cut off while downloading otherwise; timeouts on
 *    connecting, on the whole transfer and on a stalled one; redirects
 *    (at most 5) only within the URL's own scheme.
 */

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "keyauth-policy.h"
#include "kp-internal.h"

#define VALIDATOR_MAX 256 /* an ETag or Last-Modified value kept */
#define URL_LIMIT 4096
#define META_MAX (URL_LIMIT + 2 * VALIDATOR_MAX + 64)

/* One resource: its URL, its staged name, what the last round did. */
struct res {
	char *url;
	char name[NAME_MAX + 1]; /* staged file name */
	int optional; /* a signature: 404 means absent */
	size_t max;
	char etag[VALIDATOR_MAX + 1]; /* stored validators */
	char lastmod[VALIDATOR_MAX + 1];
	int same_url; /* they were stored for this URL */
	/* this round */
	long status; /* 200, 304, 404 */
	struct kp_atomic a; /* the 200's body, until committed */
	char new_etag[VALIDATOR_MAX + 1];
	char new_lastmod[VALIDATOR_MAX + 1];
	char new_date[VALIDATOR_MAX + 1]; /* the response's Date */
};

struct xfer {
	int fd;
	size_t got, max;
	int over;
	int werr;
	char *etag, *lastmod, *date; /* the response's, into struct res */
};

/* A validator kept only when it is printable and fits. */
static void
keep_header(const char *p, size_t n, const char *name, char *out)
{
	size_t nl = strlen(name), i;

	if (n < nl + 1 || strncasecmp(p, name, nl) != 0 || p[nl] != ':')
		return;
	p += nl + 1;
	n -= nl + 1;
	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n > 0 &&
	    (p[n - 1] == '\r' || p[n - 1] == '\n' || p[n - 1] == ' ' ||
	        p[n - 1] == '\t'))
		n--;
	if (n == 0 || n > VALIDATOR_MAX)
		return;
	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7e)
			return;
	memcpy(out, p, n);
	out[n] = '\0';
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;

	n *= size;
	/* A new response (after a redirect): forget the previous one's. */
	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		x->etag[0] = '\0';
		x->lastmod[0] = '\0';
		x->date[0] = '\0';
	}
	keep_header(p, n, "ETag", x->etag);
	keep_header(p, n, "Last-Modified", x->lastmod);
	keep_header(p, n, "Date", x->date);
	return n;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;

	n *= size;
	if (n > x->max - x->got) {
		x->over = 1;
		return 0; /* libcurl ends the transfer with CURLE_WRITE_ERROR */
	}
	if (kp_write_all(x->fd, p, n) != 0) {
		x->werr = errno;
		return 0;
	}
	x->got += n;
	return n;
}

/* NAME.http: "etag V" and "last-modified V" lines. */
static void
meta_read(int dfd, struct res *r)
{
	char path[NAME_MAX + 8], buf[META_MAX + 1], *line, *save = NULL;
	ssize_t n;
	int fd;

	r->etag[0] = r->lastmod[0] = '\0';
	r->same_url = 0;
	snprintf(path, sizeof(path), "%s.http", r->name);
	if ((fd = openat(dfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return;
	n = read(fd, buf, META_MAX);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "url: ", 5) == 0)
			r->same_url = strcmp(line + 5, r->url) == 0;
		keep_header(line, strlen(line), "etag", r->etag);
		keep_header(line, strlen(line), "last-modified", r->lastmod);
	}
	/* Validators of another URL say nothing about this one. */
	if (!r->same_url)
		r->etag[0] = r->lastmod[0] = '\0';
}

static int
meta_write(int dfd, const struct res *r)
{
	char path[NAME_MAX + 8], buf[META_MAX];
	struct kp_atomic a;
	int n, rc;

	snprintf(path, sizeof(path), "%s.http", r->name);
	n = snprintf(buf, sizeof(buf), "url: %s\netag: %s\nlast-modified: %s\n",
	    r->url, r->new_etag[0] != '\0' ? r->new_etag : "-",
	    r->new_lastmod[0] != '\0' ? r->new_lastmod : "-");
	if (n < 0 || (size_t)n >= sizeof(buf))
		return KP_ERR_TOOBIG;
	if ((rc = kp_atomic_openat(&a, dfd, path, 0600, 0)) != 0)
		return rc;
	if ((rc = kp_write_all(a.fd, buf, (size_t)n)) != 0) {
		kp_atomic_abort(&a);
		return rc;
	}
	return kp_atomic_commit(&a);
}

struct fetch {
	const struct kp_fetch_opts *o;
	struct kp_fetch_result *res;
	struct kp_diag *diag;
	int dfd;
	CURL *curl;
	struct res *rs;
	size_t nrs;
};

/*
 * A file changed twice within one second keeps its Last-Modified, and
 * nginx's ETag (mtime and size) with it: a validator given less than two
 * seconds after the modification it names may stand for the next
 * version too (RFC 9110, 8.8.2.2, weak validators). Such a response is
 * kept without validators, so the next request is unconditional and
 * cannot be answered 304 for a change (a revocation) made in the same
 * second.
 */
static void
trust_validators(struct res *r)
{
	time_t lm, date;

	if (r->new_lastmod[0] == '\0' || r->new_date[0] == '\0')
		return;
	lm = curl_getdate(r->new_lastmod, NULL);
	date = curl_getdate(r->new_date, NULL);
	if (lm == -1 || date == -1 || date - lm < 2)
		r->new_etag[0] = r->new_lastmod[0] = '\0';
}

/* 1 when the staged file name holds exactly the bytes of fd. */
static int
same_content(int dfd, const char *name, int fd)
{
	char a[65536], b[65536];
	struct stat sa, sb;
	ssize_t na, nb;
	int sfd, same = 0;

	if ((sfd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return 0;
	if (fstat(sfd, &sa) != 0 || fstat(fd, &sb) != 0 ||
	    sa.st_size != sb.st_size || lseek(fd, 0, SEEK_SET) != 0)
		goto out;
	for (;;) {
		na = read(sfd, a, sizeof(a));
		nb = read(fd, b, sizeof(b));
		if (na < 0 || nb < 0 || na != nb)
			goto out;
		if (na == 0)
			break;
		if (memcmp(a, b, (size_t)na) != 0)
			goto out;
	}
	same = 1;
out:
	close(sfd);
	return same;
}

/* One conditional GET of r into a temporary file; 0 or an error (diag). */
static int
get_one(struct fetch *f, struct res *r)
{
	const struct kp_fetch_opts *o = f->o;
	struct curl_slist *hdrs = NULL, *tmp;
	char h[VALIDATOR_MAX + 32], errbuf[CURL_ERROR_SIZE];
	const char *scheme;
	struct xfer x;
	CURLcode cr;
	long code = 0;
	int rc = KP_ERR_IO;

	memset(&x, 0, sizeof(x));
	r->status = 0;
	r->new_etag[0] = r->new_lastmod[0] = r->new_date[0] = '\0';
	/* The staged copy is the base of the condition: no copy, no condition. */
	if (faccessat(f->dfd, r->name, F_OK, AT_SYMLINK_NOFOLLOW) != 0)
		r->etag[0] = r->lastmod[0] = '\0';
	if (kp_atomic_openat(&r->a, f->dfd, r->name, 0600, 0) != 0) {
		kp_diag_set(f->diag, NULL, 0, 0, "%s: cannot create a file: %s",
		    o->dir, strerror(errno));
		return KP_ERR_IO;
	}
	x.fd = r->a.fd;
	x.max = r->max;
	x.etag = r->new_etag;
	x.lastmod = r->new_lastmod;
	x.date = r->new_date;
	if (r->etag[0] != '\0' && strcmp(r->etag, "-") != 0) {
		snprintf(h, sizeof(h), "If-None-Match: %s", r->etag);
		if ((tmp = curl_slist_append(hdrs, h)) == NULL)
			goto nomem;
		hdrs = tmp;
	}
	if (r->lastmod[0] != '\0' && strcmp(r->lastmod, "-") != 0) {
		snprintf(h, sizeof(h), "If-Modified-Since: %s", r->lastmod);
		if ((tmp = curl_slist_append(hdrs, h)) == NULL)
			goto nomem;
		hdrs = tmp;
	}
	scheme = strncmp(r->url, "https://", 8) == 0 ? "https" : "http";
	errbuf[0] = '\0';
	curl_easy_reset(f->curl);
	curl_easy_setopt(f->curl, CURLOPT_URL, r->url);
	curl_easy_setopt(f->curl, CURLOPT_PROTOCOLS_STR, scheme);
	curl_easy_setopt(f->curl, CURLOPT_REDIR_PROTOCOLS_STR, scheme);
	curl_easy_setopt(f->curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(f->curl, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(f->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(
	    f->curl, CURLOPT_CONNECTTIMEOUT, KP_FETCH_CONNECT_TIMEOUT);
	curl_easy_setopt(f->curl, CURLOPT_TIMEOUT, KP_FETCH_TIMEOUT);
	curl_easy_setopt(f->curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(f->curl, CURLOPT_LOW_SPEED_TIME, 30L);
	curl_easy_setopt(
	    f->curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->max);
	curl_easy_setopt(
	    f->curl, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(f->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(f->curl, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(f->curl, CURLOPT_ERRORBUFFER, errbuf);
	/* The body of an error page is not ours to keep. */
	curl_easy_setopt(f->curl, CURLOPT_FAILONERROR, 0L);
	cr = curl_easy_perform(f->curl);
	curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &code);
	f->res->nrequests++;
	if (cr == CURLE_FILESIZE_EXCEEDED || x.over) {
		kp_diag_set(f->diag, NULL, 0, 0,
		    "%s: larger than %zu bytes: refused (a %s is never that "
		    "large)",
		    r->url, r->max, r->optional ? "signature" : "policy");
		rc = KP_ERR_TOOBIG;
		goto out;
	}
	if (x.werr != 0) {
		kp_diag_set(f->diag, NULL, 0, 0, "%s: writing into %s: %s",
		    r->url, o->dir, strerror(x.werr));
		goto out;
	}
	if (cr != CURLE_OK) {
		kp_diag_set(f->diag, NULL, 0, 0, "%s: %s", r->url,
		    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cr));
		goto out;
	}
	if (code == 200)
		trust_validators(r);
	if (code == 200 || code == 304 || (code == 404 && r->optional) ||
	    (code == 410 && r->optional)) {
		r->status = code == 410 ? 404 : code;
		if (code == 200)
			f->res->n200++;
		else if (code == 304)
			f->res->n304++;
		else
			f->res->n404++;
		rc = 0;
		goto out;
	}
	kp_diag_set(f->diag, NULL, 0, 0, "%s: HTTP status %ld%s", r->url, code,
	    code == 404 ? " (no policy there)" : "");
out:
	/* Only a 200's body waits for the commit. */
	if (rc != 0 || r->status != 200)
		kp_atomic_abort(&r->a);
	curl_slist_free_all(hdrs);
	return rc;
nomem:
	kp_diag_set(f->diag, NULL, 0, 0, "out of memory");
	rc = KP_ERR_NOMEM;
	goto out;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The validators of a 200 answer, on disk and for the next round. */
static int
validators_commit(struct fetch *f, struct res *r)
{
	int rc;

	if ((rc = meta_write(f->dfd, r)) != 0) {
		kp_diag_set(f->diag, NULL, 0, 0, "%s/%s.http: %s", f->o->dir,
		    r->name, strerror(errno));
		return rc;
	}
	snprintf(r->etag, sizeof(r->etag), "%s",
	    r->new_etag[0] != '\0' ? r->new_etag : "-");
	snprintf(r->lastmod, sizeof(r->lastmod), "%s",
	    r->new_lastmod[0] != '\0' ? r->new_lastmod : "-");
	return 0;
}

/* Put one round in place; *changed when anything changed. */
static int
commit(struct fetch *f, int *changed)
{
	char meta[NAME_MAX + 8];
	struct res *r;
	size_t i;
	int rc;

	*changed = 0;
	for (i = 0; i < f->nrs; i++) {
		r = &f->rs[i];
		if (r->status == 200 && kp_atomic_reopen(&r->a) == 0 &&
		    same_content(f->dfd, r->name, r->a.fd)) {
			/* A 200 of the same bytes: only the validators are new. */
			kp_atomic_abort(&r->a);
			if ((rc = validators_commit(f, r)) != 0)
				return rc;
		} else if (r->status == 200) {
			/* fsync, then rename over the staged copy. */
			if (kp_atomic_commit(&r->a) != 0) {
				kp_diag_set(f->diag, NULL, 0, 0, "%s/%s: %s",
				    f->o->dir, r->name, strerror(errno));
				return KP_ERR_IO;
			}
			if ((rc = validators_commit(f, r)) != 0)
				return rc;
			*changed = 1;
		} else if (r->status == 404) {
			snprintf(meta, sizeof(meta), "%s.http", r->name);
			unlinkat(f->dfd, meta, 0);
			if (unlinkat(f->dfd, r->name, 0) == 0)
				*changed = 1;
			r->etag[0] = r->lastmod[0] = '\0';
		}
	}
	if (*changed && kp_dir_sync(f->dfd) != 0) {
		kp_diag_set(f->diag, NULL, 0, 0, "%s: fsync: %s", f->o->dir,
		    strerror(errno));
		return KP_ERR_IO;
	}
	return 0;
}

/* Staged files nobody asked for any more (a principal was removed). */
static void
drop_strays(struct fetch *f, const char *base)
{
	size_t bl = strlen(base), nl, i;
	struct dirent *de;
	DIR *d;
	int fd, keep;

	if ((fd = dup(f->dfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		nl = strlen(de->d_name);
		if (nl <= bl || strncmp(de->d_name, base, bl) != 0 ||
		    de->d_name[bl] != '.')
			continue;
		keep = 0;
		for (i = 0; i < f->nrs && !keep; i++) {
			size_t rl = strlen(f->rs[i].name);

			keep = strcmp(de->d_name, f->rs[i].name) == 0 ||
			    (nl == rl + 5 &&
			        strncmp(de->d_name, f->rs[i].name, rl) == 0 &&
			        strcmp(de->d_name + rl, ".http") == 0);
		}
		if (!keep)
			unlinkat(f->dfd, de->d_name, 0);
	}
	closedir(d);
}

/* The staging directory: created 0700, root's (or allow_uid's), private. */
static int
open_dir(struct fetch *f)
{
	const struct kp_fetch_opts *o = f->o;
	struct stat st;
	int r;

	if (mkdir(o->dir, 0700) != 0 && errno != EEXIST) {
		kp_diag_set(f->diag, NULL, 0, 0, "cannot create %s: %s", o->dir,
		    strerror(errno));
		return KP_ERR_IO;
	}
	if ((r = kp_dir_open(o->dir, &f->dfd)) != 0) {
		kp_diag_set(f->diag, NULL, 0, 0, "%s: %s", o->dir,
		    r == KP_ERR_IO ? strerror(errno) : kp_strerror(r));
		return r;
	}
	if (fstat(f->dfd, &st) != 0) {
		kp_diag_set(
		    f->diag, NULL, 0, 0, "%s: %s", o->dir, strerror(errno));
		return KP_ERR_IO;
	}
	if ((st.st_uid != 0 && st.st_uid != o->allow_uid) ||
	    (st.st_mode & 077) != 0) {
		kp_diag_set(f->diag, NULL, 0, 0,
		    "%s must be a directory of root's with mode 0700 (it is "
		    "uid %lu, mode %03o)",
		    o->dir, (unsigned long)st.st_uid,
		    (unsigned)(st.st_mode & 0777));
		return KP_ERR_UNSAFE;
	}
	/* One fetch at a time stages here. */
	if (flock(f->dfd, LOCK_EX | LOCK_NB) != 0) {
		kp_diag_set(f->diag, NULL, 0, 0,
		    "another keyauthctl fetch holds the lock on %s", o->dir);
		return KP_ERR_IO;
	}
	return 0;
}

static int
add_res(struct fetch *f, const char *url, const char *name, int optional,
    size_t max)
{
	struct res *r = &f->rs[f->nrs];

	memset(r, 0, sizeof(*r));
	r->a.fd = r->a.dfd = -1;
	if ((r->url = strdup(url)) == NULL)
		return KP_ERR_NOMEM;
	f->nrs++; /* freed by kp_fetch from here on */
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->optional = optional;
	r->max = max;
	meta_read(f->dfd, r);
	return 0;
}

static int
build_list(struct fetch *f)
{
	const struct kp_fetch_opts *o = f->o;
	char *u = NULL, name[NAME_MAX + 1];
	size_t i;
	int r;

	if ((f->rs = calloc(o->nprincipals + 2, sizeof(*f->rs))) == NULL)
		return KP_ERR_NOMEM;
	if ((r = add_res(
	         f, o->url, KP_FETCH_POLICY_NAME, 0, KP_POLICY_MAX_BYTES)) != 0)
		return r;
	if ((r = kp_strconcat(&u, URL_LIMIT, o->url, ".sig", (char *)NULL)) !=
	    0)
		return r;
	r = add_res(f, u, KP_FETCH_POLICY_NAME ".sig", 1, KP_SIG_MAX_BYTES);
	free(u);
	if (r != 0)
		return r;
	for (i = 0; i < o->nprincipals; i++) {
		if (!kp_sig_identity_valid(o->principals[i]))
			continue;
		u = NULL;
		if ((r = kp_strconcat(&u, URL_LIMIT, o->url, ".",
		         o->principals[i], ".sig", (char *)NULL)) != 0)
			return r;
		snprintf(name, sizeof(name), "%s.%s.sig", KP_FETCH_POLICY_NAME,
		    o->principals[i]);
		r = add_res(f, u, name, 1, KP_SIG_MAX_BYTES);
		free(u);
		if (r != 0)
			return r;
	}
	return 0;
}

int
kp_fetch(const struct kp_fetch_opts *o, struct kp_fetch_result *res,
    struct kp_diag *diag)
{
	struct fetch f;
	const char *why = NULL;
	size_t i;
	int r, round, changed;

	if (res != NULL)
		memset(res, 0, sizeof(*res));
	if (diag != NULL)
		memset(diag, 0, sizeof(*diag));
	if (o == NULL || res == NULL || o->url == NULL || o->dir == NULL ||
	    (o->nprincipals > 0 && o->principals == NULL))
		return KP_ERR_ARG;
	if (!kp_fetch_url_valid(o->url, &why)) {
		kp_diag_set(diag, NULL, 0, 0, "%.200s %s", o->url, why);
		return KP_ERR_INVALID;
	}
	if (o->nprincipals > KP_SIG_MAX_FILES) {
		kp_diag_set(diag, NULL, 0, 0,
		    "more than %d signers to fetch signatures of",
		    KP_SIG_MAX_FILES);
		return KP_ERR_TOOBIG;
	}
	memset(&f, 0, sizeof(f));
	f.o = o;
	f.res = res;
	f.diag = diag;
	f.dfd = -1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		kp_diag_set(diag, NULL, 0, 0, "libcurl cannot be initialised");
		return KP_ERR_INTERNAL;
	}
	if ((r = open_dir(&f)) != 0)
		goto out;
	if ((f.curl = curl_easy_init()) == NULL) {
		kp_diag_set(diag, NULL, 0, 0, "libcurl cannot be initialised");
		r = KP_ERR_NOMEM;
		goto out;
	}
	if ((r = build_list(&f)) != 0) {
		if (diag != NULL && diag->msg[0] == '\0')
			kp_diag_set(diag, NULL, 0, 0, "%s", kp_strerror(r));
		goto out;
	}
	snprintf(res->policy_path, sizeof(res->policy_path), "%s/%s", o->dir,
	    KP_FETCH_POLICY_NAME);
	for (round = 0; round < KP_FETCH_ROUNDS; round++) {
		for (i = 0; i < f.nrs; i++) {
			/* out: aborts whatever this round had downloaded */
			if ((r = get_one(&f, &f.rs[i])) != 0)
				goto out;
		}
		if ((r = commit(&f, &changed)) != 0)
			goto out;
		res->rounds = round + 1;
		if (!changed)
			break;
		res->changed = 1;
	}
	drop_strays(&f, KP_FETCH_POLICY_NAME);
	r = 0;
out:
	for (i = 0; i < f.nrs; i++) {
		kp_atomic_abort(&f.rs[i].a);
		free(f.rs[i].url);
	}
	free(f.rs);
	if (f.curl != NULL)
		curl_easy_cleanup(f.curl);
	if (f.dfd >= 0)
		close(f.dfd);
	curl_global_cleanup();
	return r;
}

/* ------------------------------------------------ what was attempted */

/*
 * What is staged now, as (name, size, mtime, inode) of each file: cheap
 * to compute every interval, and any download changes it.
 */
static int
staged_id(const char *dir, char *out, size_t len)
{
	char **names = NULL, *tmp;
	struct dirent *de;
	struct stat st;
	size_t n = 0, i, off = 0;
	DIR *d;

	out[0] = '\0';
	if ((d = opendir(dir)) == NULL)
		return KP_ERR_IO;
	while ((de = readdir(d)) != NULL) {
		/* The files install reads; not their validators. */
		if (strncmp(de->d_name, KP_FETCH_POLICY_NAME,
		        strlen(KP_FETCH_POLICY_NAME)) != 0 ||
		    (strlen(de->d_name) > 5 &&
		        strcmp(de->d_name + strlen(de->d_name) - 5, ".http") ==
		            0))
			continue;
		if ((tmp = strdup(de->d_name)) == NULL)
			break;
		char **nv = reallocarray(names, n + 1, sizeof(*names));
		if (nv == NULL) {
			free(tmp);
			break;
		}
		names = nv;
		names[n++] = tmp;
	}
	closedir(d);
	if (n > 1) /* qsort(NULL, 0, ...) is undefined behaviour */
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		char p[PATH_MAX];

		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		if (lstat(p, &st) != 0)
			continue;
		off += (size_t)snprintf(out + off, off < len ? len - off : 0,
		    "%s %lld %lld.%09ld %llu\n", names[i],
		    (long long)st.st_size, (long long)st.st_mtim.tv_sec,
		    st.st_mtim.tv_nsec, (unsigned long long)st.st_ino);
		if (off >= len) {
			off = len - 1;
			break;
		}
	}
	kp_strv_free(names, n);
	return 0;
}

int
kp_fetch_attempted(const char *dir, int *same)
{
	char now[8192], was[8192 + 64], p[PATH_MAX];
	ssize_t n;
	int fd;

	*same = 0;
	if (staged_id(dir, now, sizeof(now)) != 0)
		return KP_ERR_IO;
	snprintf(p, sizeof(p), "%s/%s", dir, KP_FETCH_ATTEMPT_NAME);
	if ((fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, was, sizeof(was) - 1);
	close(fd);
	if (n < 0)
		return 0;
	was[n] = '\0';
	*same = strcmp(was, now) == 0;
	return 0;
}

int
kp_fetch_record_attempt(const char *dir, int done)
{
	char now[8192], p[PATH_MAX];
	int r;

	snprintf(p, sizeof(p), "%s/%s", dir, KP_FETCH_ATTEMPT_NAME);
	if (!done) {
		/* A failure to retry: forget any earlier attempt. */
		unlink(p);
		return 0;
	}
	if ((r = staged_id(dir, now, sizeof(now))) != 0)
		return r;
	return kp_file_write_atomic(p, now, strlen(now), 0600);
}
