/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * A policy written as a directory (docs/policy-format.md, "A policy in
 * several files"): every *.yaml file under it, in subdirectories too,
 * merged in the byte order of their paths relative to it. Names that
 * start with '.' are skipped (.git, an editor's swap files); a symbolic
 * link anywhere is refused, so that what is reviewed in the directory is
 * what is signed and installed, and a link cannot pull in a file from
 * elsewhere.
 *
 * The signed unit of a directory is its canonical form, one byte string
 * (docs/fleet.md):
 *
 *   keyauth-policy-dir 1\n
 *   file LEN RELPATH\n  LEN bytes  \n       (for every file, in order)
 *
 * sign, verify and install read it through kp_policy_signed_bytes, and
 * the loader reads the policy from these same bytes (kp_policy_load_buf
 * recognises the first line), so the SHA-256 of a directory policy is
 * that of its canonical form.
 */

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "keyauth-policy.h"
#include "kp-internal.h"
#include "kp-policy.h"

/*
 * The policy's identity: the hex SHA-256 of its signed bytes (the file, or
 * a directory's canonical form). The loader records it, the index and the
 * state file carry it, and install compares it to skip an unchanged
 * policy without loading it (policy/model/install.c).
 */
void
kp_policy_sha256_hex(struct sha256_ctx *c, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t md[SHA256_DIGEST_SIZE];
	size_t i;

	sha256_digest(c, sizeof(md), md);
	for (i = 0; i < sizeof(md); i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[64] = '\0';
}

void
kp_policy_sha256(const char *buf, size_t len, char out[65])
{
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, len, (const uint8_t *)buf);
	kp_policy_sha256_hex(&c, out);
}

/*
 * The same for the policy file at path, read as kp_policy_signed_bytes
 * reads it with KP_LOAD_SAFE but streamed: no copy of the file in memory
 * (install's no-op check). Not for a directory, whose canonical form is
 * built in memory. 0, or the safe opener's error (*why may say more).
 */
int
kp_policy_file_sha256(const char *path, char out[65], const char **why)
{
	uint8_t chunk[65536];
	struct sha256_ctx c;
	size_t size = 0, total = 0;
	ssize_t n;
	int fd = -1, r;

	out[0] = '\0';
	if ((r = kp_file_open_safe(
	         path, KP_POLICY_MAX_BYTES, (uid_t)-1, &fd, &size, why)) != 0)
		return r;
	sha256_init(&c);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = KP_ERR_IO;
			goto out;
		}
		if (n == 0)
			break;
		/* The file may grow after the opener's check. */
		if ((total += (size_t)n) > KP_POLICY_MAX_BYTES) {
			r = KP_ERR_TOOBIG;
			goto out;
		}
		sha256_update(&c, (size_t)n, chunk);
	}
	kp_policy_sha256_hex(&c, out);
	r = 0;
out:
	close(fd);
	return r;
}

#define DIR_FILES_MAX 10000
#define DIR_DEPTH_MAX 8

struct walk {
	char **paths; /* relative */
	size_t n, cap;
	unsigned flags;
	struct kp_diag *diag;
};

static int dset(struct kp_diag *d, int r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
dset(struct kp_diag *d, int r, const char *fmt, ...)
{
	va_list ap;

	if (d == NULL || d->msg[0] != '\0')
		return r;
	d->line = d->column = 0;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	return r;
}

int
kp_policy_path_is_dir(const char *path)
{
	struct stat st;

	return path != NULL && lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
has_yaml_suffix(const char *s)
{
	size_t n = strlen(s);

	return n > 5 && strcmp(s + n - 5, ".yaml") == 0;
}

/* A directory of an installed policy: root's (or allow's), nobody else's. */
static int
dir_safe(const char *path, const struct stat *st, struct kp_diag *d)
{
	if (st->st_uid != 0)
		return dset(d, KP_ERR_UNSAFE, "%s: not owned by root", path);
	if ((st->st_mode & 022) != 0)
		return dset(
		    d, KP_ERR_UNSAFE, "%s: writable by group or others", path);
	return 0;
}

static int
walk_dir(struct walk *w, const char *root, const char *rel, unsigned depth)
{
	char full[4096], sub[4096], **tmp;
	struct dirent *de;
	struct stat st;
	DIR *dh;
	int r = 0;

	if (snprintf(full, sizeof(full), "%s%s%s", root, *rel ? "/" : "",
	        rel) >= (int)sizeof(full))
		return dset(w->diag, KP_ERR_TOOBIG, "%s: path too long", rel);
	if (lstat(full, &st) != 0)
		return dset(
		    w->diag, KP_ERR_IO, "%s: %s", full, strerror(errno));
	if ((w->flags & KP_LOAD_SAFE) != 0 &&
	    (r = dir_safe(full, &st, w->diag)) != 0)
		return r;
	if (depth > DIR_DEPTH_MAX)
		return dset(w->diag, KP_ERR_TOOBIG,
		    "%s: directories nested deeper than %d", full,
		    DIR_DEPTH_MAX);
	if ((dh = opendir(full)) == NULL)
		return dset(
		    w->diag, KP_ERR_IO, "%s: %s", full, strerror(errno));
	while (r == 0 && (de = readdir(dh)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "",
		        de->d_name) >= (int)sizeof(sub)) {
			r = dset(w->diag, KP_ERR_TOOBIG, "%s/%s: path too long",
			    full, de->d_name);
			break;
		}
		if (snprintf(full, sizeof(full), "%s/%s", root, sub) >=
		    (int)sizeof(full)) {
			r = dset(
			    w->diag, KP_ERR_TOOBIG, "%s: path too long", sub);
			break;
		}
		if (lstat(full, &st) != 0) {
			r = dset(w->diag, KP_ERR_IO, "%s: %s", full,
			    strerror(errno));
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			r = dset(w->diag, KP_ERR_UNSAFE,
			    "%s: a symbolic link in a policy directory is "
			    "refused (copy the file in)",
			    full);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			r = walk_dir(w, root, sub, depth + 1);
			continue;
		}
		if (!S_ISREG(st.st_mode) || !has_yaml_suffix(de->d_name))
			continue;
		if (strpbrk(sub, "\n\r") != NULL) {
			r = dset(w->diag, KP_ERR_INVALID,
			    "%s: a line break in a file name", full);
			break;
		}
		if (w->n >= DIR_FILES_MAX) {
			r = dset(w->diag, KP_ERR_TOOBIG,
			    "%s: more than %d policy files", root,
			    DIR_FILES_MAX);
			break;
		}
		if (w->n == w->cap) {
			size_t ncap = w->cap == 0 ? 16 : w->cap * 2;

			if ((tmp = reallocarray(
			         w->paths, ncap, sizeof(*tmp))) == NULL) {
				r = KP_ERR_NOMEM;
				break;
			}
			w->paths = tmp;
			w->cap = ncap;
		}
		if ((w->paths[w->n] = strdup(sub)) == NULL) {
			r = KP_ERR_NOMEM;
			break;
		}
		w->n++;
	}
	closedir(dh);
	return r;
}

static int
cmp_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
kp_policy_dir_bytes(const char *dir, unsigned flags, char **out, size_t *len,
    struct kp_diag *diag)
{
	struct walk w;
	struct kp_buf b;
	char full[4096], *data = NULL;
	const char *why = NULL;
	size_t i, n = 0, total = 0;
	int r;

	*out = NULL;
	*len = 0;
	memset(&w, 0, sizeof(w));
	w.flags = flags;
	w.diag = diag;
	kp_buf_init(&b, KP_POLICY_MAX_BYTES);
	if ((r = walk_dir(&w, dir, "", 0)) != 0)
		goto out;
	if (w.n == 0) {
		r = dset(diag, KP_ERR_INVALID, "%s: no *.yaml file in it", dir);
		goto out;
	}
	qsort(w.paths, w.n, sizeof(*w.paths), cmp_path);
	kp_buf_puts(&b, KP_POLICY_DIR_MAGIC);
	for (i = 0; i < w.n; i++) {
		if (snprintf(full, sizeof(full), "%s/%s", dir, w.paths[i]) >=
		    (int)sizeof(full)) {
			r = dset(diag, KP_ERR_TOOBIG, "%s: path too long",
			    w.paths[i]);
			goto out;
		}
		if ((flags & KP_LOAD_SAFE) != 0)
			r = kp_file_read_safe(full, KP_POLICY_MAX_BYTES,
			    (uid_t)-1, &data, &n, &why);
		else
			r = kp_file_read(full, KP_POLICY_MAX_BYTES,
			    KP_FILE_NOFOLLOW, &data, &n, &why);
		if (r != 0) {
			r = dset(diag, r, "%s: %s", full,
			    why != NULL ? why : kp_strerror(r));
			goto out;
		}
		total += n;
		if (total > KP_POLICY_MAX_BYTES) {
			free(data);
			r = dset(diag, KP_ERR_TOOBIG,
			    "policy too large (at most %lu bytes)",
			    (unsigned long)KP_POLICY_MAX_BYTES);
			goto out;
		}
		kp_buf_printf(&b, "file %zu %s\n", n, w.paths[i]);
		kp_buf_put(&b, data, n);
		kp_buf_puts(&b, "\n");
		free(data);
		data = NULL;
	}
	if ((r = b.err) != 0) {
		r = dset(diag, r, "policy too large (at most %lu bytes)",
		    (unsigned long)KP_POLICY_MAX_BYTES);
		goto out;
	}
	r = kp_buf_take(&b, out, len);
out:
	kp_buf_free(&b);
	for (i = 0; i < w.n; i++)
		free(w.paths[i]);
	free(w.paths);
	return r;
}

int
kp_policy_dir_form(const char *buf, size_t len)
{
	size_t m = strlen(KP_POLICY_DIR_MAGIC);

	return buf != NULL && len >= m &&
	    memcmp(buf, KP_POLICY_DIR_MAGIC, m) == 0;
}

void
kp_policy_parts_free(struct kp_policy_part *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i].name);
	free(v);
}

int
kp_policy_dir_split(const char *buf, size_t len, struct kp_policy_part **out,
    size_t *nout, struct kp_diag *diag)
{
	struct kp_policy_part *v = NULL, *tmp;
	size_t off = strlen(KP_POLICY_DIR_MAGIC), n = 0, flen, nl;
	const char *p, *end, *name;
	char *stop;
	int r = KP_ERR_INVALID;

	*out = NULL;
	*nout = 0;
	while (off < len) {
		p = buf + off;
		end = memchr(p, '\n', len - off);
		if (end == NULL || len - off < 7 || memcmp(p, "file ", 5) != 0)
			goto bad;
		errno = 0;
		flen = strtoul(p + 5, &stop, 10);
		if (errno != 0 || stop == p + 5 || *stop != ' ' || stop >= end)
			goto bad;
		name = stop + 1;
		nl = (size_t)(end - name);
		off = (size_t)(end - buf) + 1;
		if (nl == 0 || flen > len - off || len - off - flen < 1 ||
		    buf[off + flen] != '\n')
			goto bad;
		if ((tmp = reallocarray(v, n + 1, sizeof(*tmp))) == NULL) {
			r = KP_ERR_NOMEM;
			goto fail;
		}
		v = tmp;
		if ((v[n].name = strndup(name, nl)) == NULL) {
			r = KP_ERR_NOMEM;
			goto fail;
		}
		v[n].buf = buf + off;
		v[n].len = flen;
		n++;
		off += flen + 1;
	}
	if (n == 0)
		goto bad;
	*out = v;
	*nout = n;
	return 0;
bad:
	dset(diag, KP_ERR_INVALID,
	    "a damaged policy directory form (at byte %zu)", off);
fail:
	kp_policy_parts_free(v, n);
	return r;
}
