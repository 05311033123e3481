/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyauth.h"
#include "kp-internal.h"

/*
 * Only the last path component is protected against links (O_NOFOLLOW);
 * the directories above are the installer's responsibility (root-owned
 * /etc/keyauth and /var/lib/keyauth), as for sshd's own files.
 */

/*
 * The one opener. safe: absolute path, no link, owner and mode checks (the
 * installed files); otherwise a regular file of at most max bytes, not
 * followed through a final symbolic link when nofollow.
 */
static int
open_checked(const char *path, size_t max, int safe, int nofollow,
    uid_t allow_uid, int *fd, size_t *size, const char **why)
{
	struct stat st;
	int f = -1, r, saved;

	if (fd != NULL)
		*fd = -1;
	if (size != NULL)
		*size = 0;
	if (why != NULL)
		*why = NULL;
	if (path == NULL || fd == NULL)
		KP_FAIL(why, "missing path", KP_ERR_ARG);
	if (safe && path[0] != '/')
		KP_FAIL(why, "path is not absolute", KP_ERR_ARG);
	if (strnlen(path, PATH_MAX) >= PATH_MAX)
		KP_FAIL(why, "path too long", KP_ERR_ARG);
	/* O_NONBLOCK: a FIFO planted here must not hang us before fstat. */
	f = open(path,
	    O_RDONLY | (safe || nofollow ? O_NOFOLLOW : 0) | O_CLOEXEC |
	        O_NONBLOCK | O_NOCTTY);
	if (f == -1) {
		if (errno == ENOENT)
			KP_FAIL(why, "file does not exist", KP_ERR_NOTFOUND);
		if (errno == ELOOP)
			KP_FAIL(why, "file is a symbolic link", KP_ERR_UNSAFE);
		KP_FAIL(why, "cannot open file", KP_ERR_IO);
	}
	r = KP_ERR_UNSAFE;
	if (fstat(f, &st) == -1) {
		KP_WHY(why, "cannot stat file");
		r = KP_ERR_IO;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		KP_WHY(why, "not a regular file");
		goto fail;
	}
	if (safe && st.st_uid != 0 &&
	    (allow_uid == (uid_t)-1 || st.st_uid != allow_uid)) {
		KP_WHY(why,
		    allow_uid == (uid_t)-1 || allow_uid == 0
		        ? "file is not owned by root"
		        : "file is not owned by root or the allowed user");
		goto fail;
	}
	if (safe && (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		KP_WHY(why, "file is group- or world-writable");
		goto fail;
	}
	if (st.st_size < 0 || (uintmax_t)st.st_size > max) {
		KP_WHY(why, "file is larger than the limit");
		r = KP_ERR_TOOBIG;
		goto fail;
	}
	/* Back to ordinary blocking reads for the caller. */
	if (fcntl(f, F_SETFL, fcntl(f, F_GETFL) & ~O_NONBLOCK) == -1) {
		KP_WHY(why, "cannot set file flags");
		r = KP_ERR_IO;
		goto fail;
	}
	/* success: the descriptor is the caller's */
	*fd = f;
	if (size != NULL)
		*size = (size_t)st.st_size;
	return 0;
fail:
	saved = errno;
	close(f);
	errno = saved;
	return r;
}

int
kp_file_open_safe(const char *path, size_t max, uid_t allow_uid, int *fd,
    size_t *size, const char **why)
{
	return open_checked(path, max, 1, 1, allow_uid, fd, size, why);
}

int
kp_file_open(const char *path, size_t max, unsigned flags, int *fd,
    size_t *size, const char **why)
{
	return open_checked(path, max, 0, (flags & KP_FILE_NOFOLLOW) != 0,
	    (uid_t)-1, fd, size, why);
}

static int
read_checked(const char *path, size_t max, int safe, int nofollow,
    uid_t allow_uid, char **buf, size_t *len, const char **why)
{
	char *b = NULL, *nb;
	size_t size, cap, off = 0;
	ssize_t n;
	int fd = -1, r, saved;

	if (buf != NULL)
		*buf = NULL;
	if (len != NULL)
		*len = 0;
	if (buf == NULL || len == NULL)
		KP_FAIL(why, "missing output", KP_ERR_ARG);
	if ((r = open_checked(
	         path, max, safe, nofollow, allow_uid, &fd, &size, why)) != 0)
		return r;
	cap = size + 1;
	if ((b = malloc(cap)) == NULL) {
		r = KP_ERR_NOMEM;
		goto out;
	}
	for (;;) {
		if (off == cap - 1) {
			/* The file grew since fstat: still bounded by max. */
			if (off >= max) {
				char c;

				while ((n = read(fd, &c, 1)) == -1 &&
				    errno == EINTR)
					;
				if (n == 0)
					break;
				KP_WHY(why,
				    n == -1 ? "read error"
				            : "file is larger than the limit");
				r = n == -1 ? KP_ERR_IO : KP_ERR_TOOBIG;
				goto out;
			}
			cap = off < 2048 ? 4096 : off > max / 2 ? max : off * 2;
			if (cap > max)
				cap = max;
			cap++;
			if ((nb = realloc(b, cap)) == NULL) {
				r = KP_ERR_NOMEM;
				goto out;
			}
			b = nb;
		}
		n = read(fd, b + off, cap - 1 - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			KP_WHY(why, "read error");
			r = KP_ERR_IO;
			goto out;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	b[off] = '\0';
	/* success: the buffer is the caller's */
	*buf = b;
	*len = off;
	b = NULL;
	r = 0;
out:
	saved = errno;
	free(b);
	close(fd);
	errno = saved;
	return r;
}

int
kp_file_read_safe(const char *path, size_t max, uid_t allow_uid, char **buf,
    size_t *len, const char **why)
{
	return read_checked(path, max, 1, 1, allow_uid, buf, len, why);
}

int
kp_file_read(const char *path, size_t max, unsigned flags, char **buf,
    size_t *len, const char **why)
{
	return read_checked(path, max, 0, (flags & KP_FILE_NOFOLLOW) != 0,
	    (uid_t)-1, buf, len, why);
}

int
kp_file_write_atomic(const char *path, const void *buf, size_t len, mode_t mode)
{
	struct kp_atomic a;
	int r;

	if (path == NULL || path[0] != '/' || (buf == NULL && len != 0))
		return KP_ERR_ARG;
	if (strnlen(path, PATH_MAX) >= PATH_MAX - 16)
		return KP_ERR_ARG;
	if ((r = kp_atomic_open(&a, path, mode, KP_ATOMIC_SYNC_DIR)) != 0)
		return r;
	if ((r = kp_write_all(a.fd, buf, len)) != 0) {
		kp_atomic_abort(&a);
		return r;
	}
	return kp_atomic_commit(&a);
}
