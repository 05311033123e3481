/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "keyauth.h"
#include "kp-io.h"

/* The I/O module (kp-io.h). */

extern char **environ;

int
kp_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	if (buf == NULL && len != 0)
		return KP_ERR_ARG;
	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return KP_ERR_IO;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ------------------------------------------------------- directories */

int
kp_dir_open(const char *dir, int *dfd)
{
	*dfd = -1;
	if (dir == NULL)
		return KP_ERR_ARG;
	*dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*dfd == -1)
		return errno == ENOENT ? KP_ERR_NOTFOUND : KP_ERR_IO;
	return 0;
}

int
kp_dir_open_parent(const char *path, int *dfd, char name[NAME_MAX + 1])
{
	char dir[PATH_MAX];
	const char *slash, *base;
	size_t n;

	*dfd = -1;
	name[0] = '\0';
	if (path == NULL || *path == '\0')
		return KP_ERR_ARG;
	if ((slash = strrchr(path, '/')) == NULL) {
		base = path;
		snprintf(dir, sizeof(dir), ".");
	} else {
		base = slash + 1;
		n = slash == path ? 1 : (size_t)(slash - path);
		if (n >= sizeof(dir))
			return KP_ERR_ARG;
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	if (*base == '\0' || strlen(base) > NAME_MAX)
		return KP_ERR_ARG;
	memcpy(name, base, strlen(base) + 1);
	return kp_dir_open(dir, dfd);
}

int
kp_dir_sync(int dfd)
{
	return fsync(dfd) == 0 ? 0 : KP_ERR_IO;
}

/* ------------------------------------------------- atomic replacement */

/* Close fd keeping errno. */
static void
close_keep_errno(int fd)
{
	int saved = errno;

	close(fd);
	errno = saved;
}

int
kp_atomic_openat(
    struct kp_atomic *a, int dfd, const char *name, mode_t mode, unsigned flags)
{
	struct timespec ts;
	uint64_t rnd;
	int i, n;

	memset(a, 0, sizeof(*a));
	a->dfd = a->fd = -1;
	if (dfd < 0 || name == NULL || *name == '\0' || strchr(name, '/') ||
	    strlen(name) > NAME_MAX)
		return KP_ERR_ARG;
	memcpy(a->name, name, strlen(name) + 1);
	a->mode = mode & 07777;
	a->gid = (gid_t)-1;
	a->flags = flags;
	if ((a->dfd = fcntl(dfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return KP_ERR_IO;
	for (i = 0; i < 16; i++) {
		/*
		 * Unpredictable where getrandom works; else unique enough
		 * (O_EXCL and the retries settle a clash) without a counter:
		 * the PAM module that links this keeps no mutable globals.
		 */
		if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) !=
		    (ssize_t)sizeof(rnd)) {
			if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
				ts.tv_sec = ts.tv_nsec = 0;
			rnd = ((uint64_t)getpid() << 32) ^
			    ((uint64_t)ts.tv_sec << 30) ^ (uint64_t)ts.tv_nsec ^
			    (uint64_t)i;
		}
		n = snprintf(a->tmp, sizeof(a->tmp), ".tmp-%s.%016llx", name,
		    (unsigned long long)rnd);
		if (n < 0 || (size_t)n >= sizeof(a->tmp)) {
			errno = ENAMETOOLONG;
			break;
		}
		a->fd = openat(a->dfd, a->tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (a->fd != -1 || errno != EEXIST)
			break;
	}
	if (a->fd == -1) {
		close_keep_errno(a->dfd);
		a->dfd = -1;
		return KP_ERR_IO;
	}
	a->pending = 1;
	return 0;
}

int
kp_atomic_open(
    struct kp_atomic *a, const char *path, mode_t mode, unsigned flags)
{
	char name[NAME_MAX + 1];
	int dfd, r;

	memset(a, 0, sizeof(*a));
	a->dfd = a->fd = -1;
	if ((r = kp_dir_open_parent(path, &dfd, name)) != 0)
		return r == KP_ERR_NOTFOUND ? KP_ERR_IO : r;
	r = kp_atomic_openat(a, dfd, name, mode, flags);
	close_keep_errno(dfd);
	return r;
}

int
kp_atomic_reopen(struct kp_atomic *a)
{
	int fd;

	if (!a->pending)
		return KP_ERR_ARG;
	fd = openat(a->dfd, a->tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return KP_ERR_IO;
	if (a->fd != -1)
		close(a->fd);
	a->fd = fd;
	return 0;
}

int
kp_atomic_commit(struct kp_atomic *a)
{
	int r = KP_ERR_IO;

	if (!a->pending || a->fd == -1)
		return KP_ERR_ARG;
	/*
	 * A umask may have taken bits away: the mode is the caller's. The
	 * group comes first: a readable mode never meets the wrong group.
	 */
	if ((a->gid != (gid_t)-1 && fchown(a->fd, (uid_t)-1, a->gid) != 0) ||
	    fchmod(a->fd, a->mode) != 0 || fsync(a->fd) != 0)
		goto fail;
	r = close(a->fd);
	a->fd = -1;
	if (r != 0) {
		r = KP_ERR_IO;
		goto fail;
	}
	/* rename replaces whatever NAME was, a link included. */
	if (renameat(a->dfd, a->tmp, a->dfd, a->name) != 0) {
		r = KP_ERR_IO;
		goto fail;
	}
	a->pending = 0;
	a->replaced = 1;
	if ((a->flags & KP_ATOMIC_SYNC_DIR) != 0 && fsync(a->dfd) != 0) {
		r = KP_ERR_IO;
		goto fail;
	}
	close(a->dfd);
	a->dfd = -1;
	return 0;
fail:
	kp_atomic_abort(a);
	return r;
}

void
kp_atomic_abort(struct kp_atomic *a)
{
	int saved = errno;

	if (a == NULL)
		return;
	if (a->fd != -1)
		close(a->fd);
	a->fd = -1;
	if (a->pending && a->dfd != -1)
		(void)unlinkat(a->dfd, a->tmp, 0);
	a->pending = 0;
	if (a->dfd != -1)
		close(a->dfd);
	a->dfd = -1;
	errno = saved;
}

/* --------------------------------------------------- running programs */

int
kp_run(const char *path, char *const argv[], char *const envp[], unsigned flags,
    struct kp_buf *out, int *truncated, int *status)
{
	return kp_run_fd(path, argv, envp, -1, flags, out, truncated, status);
}

int
kp_run_fd(const char *path, char *const argv[], char *const envp[], int in_fd,
    unsigned flags, struct kp_buf *out, int *truncated, int *status)
{
	int pfd[2] = {-1, -1}, devnull = -1, r = KP_ERR_IO, capture;
	char chunk[4096];
	size_t room;
	ssize_t n;
	pid_t pid;

	if (truncated != NULL)
		*truncated = 0;
	if (status != NULL)
		*status = 0;
	capture = (flags & (KP_RUN_OUT | KP_RUN_ERR)) != 0;
	if (path == NULL || path[0] != '/' || argv == NULL || status == NULL ||
	    (capture && out == NULL))
		return KP_ERR_ARG;
	if (capture && pipe2(pfd, O_CLOEXEC) != 0)
		return KP_ERR_IO;
	if ((flags & KP_RUN_STDIN_NULL) != 0 &&
	    (devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
		goto out;
	if ((pid = fork()) == -1)
		goto out;
	if (pid == 0) {
		/* dup2 clears close-on-exec on the copies only. */
		if ((in_fd >= 0 && dup2(in_fd, 0) == -1) ||
		    (in_fd < 0 && devnull != -1 && dup2(devnull, 0) == -1) ||
		    ((flags & KP_RUN_OUT) != 0 && dup2(pfd[1], 1) == -1) ||
		    ((flags & KP_RUN_ERR) != 0 && dup2(pfd[1], 2) == -1))
			_exit(127);
		execve(path, argv, envp != NULL ? envp : environ);
		_exit(127);
	}
	if (capture) {
		close(pfd[1]);
		pfd[1] = -1;
		for (;;) {
			n = read(pfd[0], chunk, sizeof(chunk));
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			/* Keep what fits; read the rest so the child can finish. */
			room = out->max - out->len;
			if ((size_t)n > room) {
				if (truncated != NULL)
					*truncated = 1;
				n = (ssize_t)room;
			}
			if (n > 0 && kp_buf_put(out, chunk, (size_t)n) != 0 &&
			    truncated != NULL)
				*truncated = 1;
		}
	}
	while (waitpid(pid, status, 0) == -1) {
		if (errno != EINTR)
			goto out;
	}
	r = 0;
out:
	if (pfd[0] != -1)
		close_keep_errno(pfd[0]);
	if (pfd[1] != -1)
		close_keep_errno(pfd[1]);
	if (devnull != -1)
		close_keep_errno(devnull);
	return r;
}

int
kp_read_lines(FILE *f, size_t max,
    int (*fn)(void *arg, const char *line, size_t len), void *arg)
{
	char *buf;
	size_t n = 0;
	int ch, over = 0, r = 0;

	if (f == NULL || fn == NULL || max == 0 || max == SIZE_MAX)
		return KP_ERR_ARG;
	if ((buf = malloc(max + 1)) == NULL)
		return KP_ERR_NOMEM;
	for (;;) {
		ch = getc(f);
		if (ch != EOF && ch != '\n') {
			if (n < max)
				buf[n++] = (char)ch;
			else
				over = 1;
			continue;
		}
		if (n > 0 || ch == '\n') {
			buf[n] = '\0';
			if ((r = over ? fn(arg, NULL, 0) : fn(arg, buf, n)) !=
			    0)
				break;
		}
		n = 0;
		over = 0;
		if (ch == EOF)
			break;
	}
	if (r == 0 && ferror(f))
		r = KP_ERR_IO;
	free(buf);
	return r;
}
