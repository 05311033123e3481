/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * The PAM handoff record (docs/pam-setup.md). At the account stage sshd does
 * not tell PAM which key it accepted, so keyauth-authorized-keys leaves a
 * note for the sshd process that ran it: SPOOL/<pid> holds that process's
 * start time (a recycled pid cannot inherit it), the account, the key's
 * fingerprint, the entry id and the time. pam_keyauth takes (reads and
 * deletes) the note of its own process and checks it.
 *
 * One record is one line:
 *   v1 pid=123 start=456 account=alice fp=SHA256:... id=alice-laptop time=1763780000\n
 * every field present, in this order, single spaces, decimal numbers
 * without sign or leading zeros, nothing else; for a certificate one more
 * field at the end, cert=TYPE:BASE64, the certificate sshd offered, so
 * the account stage decides it as the helper did (docs/certificates.md).
 *
 * The spool is bounded (docs/security.md, "The handoff spool is
 * bounded"): a record serves one login for at most KP_HANDOFF_GRACE
 * seconds, and whoever writes or takes one first sweeps away the records
 * no login can use any more, so a client that only offers keys cannot
 * fill it.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyauth.h"

/* Far above the longest valid record: about 200 bytes and a certificate. */
#define HANDOFF_MAX (1024 + KP_KEYLINE_MAX)
/* /proc/PID/stat is about 300 bytes; the command name is at most 16. */
#define PROC_STAT_MAX 4096
/* Clock skew tolerated for a record written "in the future". */
#define HANDOFF_FUTURE 5
/* How kp_atomic names a temporary file (policy/core/kp-io.h). */
#define TMP_PREFIX ".tmp-"

int
kp_proc_start_time(pid_t pid, unsigned long long *out)
{
	char path[64], buf[PROC_STAT_MAX + 1], *p, *end;
	size_t n = 0;
	ssize_t got;
	unsigned long long v;
	int fd, field, r = KP_ERR_IO;

	if (out != NULL)
		*out = 0;
	if (out == NULL || pid <= 0)
		return KP_ERR_ARG;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT || errno == ESRCH ? KP_ERR_NOTFOUND
		                                         : KP_ERR_IO;
	while (n < sizeof(buf) - 1) {
		got = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1)
			goto out;
		if (got == 0)
			break;
		n += (size_t)got;
	}
	r = KP_ERR_INVALID;
	if (n == 0 || n >= sizeof(buf) - 1 || memchr(buf, '\0', n) != NULL)
		goto out;
	buf[n] = '\0';
	/*
	 * Field 2 is "(comm)" and comm may hold spaces and ')': the fields
	 * that follow start after the last ')'.
	 */
	if ((p = strrchr(buf, ')')) == NULL)
		goto out;
	p++;
	for (field = 3; field < 22; field++) {
		if (*p != ' ')
			goto out;
		p++;
		while (*p != ' ' && *p != '\0')
			p++;
	}
	if (*p++ != ' ' || *p < '0' || *p > '9')
		goto out;
	errno = 0;
	v = strtoull(p, &end, 10);
	if (errno != 0 || (*end != ' ' && *end != '\n' && *end != '\0'))
		goto out;
	*out = v;
	r = 0;
out:
	close(fd);
	return r;
}

int
kp_handoff_format(const struct kp_handoff *h, char *buf, size_t len)
{
	int n;

	if (buf != NULL && len > 0)
		buf[0] = '\0';
	if (h == NULL || buf == NULL || len == 0)
		return KP_ERR_ARG;
	if (h->pid <= 0 || h->time < 0 ||
	    memchr(h->account, '\0', sizeof(h->account)) == NULL ||
	    memchr(h->fp, '\0', sizeof(h->fp)) == NULL ||
	    memchr(h->entry_id, '\0', sizeof(h->entry_id)) == NULL ||
	    !kp_account_valid(h->account) || !kp_fingerprint_valid(h->fp) ||
	    !kp_id_valid(h->entry_id) ||
	    memchr(h->cert_type, '\0', sizeof(h->cert_type)) == NULL ||
	    memchr(h->cert_b64, '\0', sizeof(h->cert_b64)) == NULL ||
	    (h->cert_type[0] != '\0' &&
	        (!kp_cert_type(h->cert_type) || h->cert_b64[0] == '\0' ||
	            strpbrk(h->cert_type, " :\n") != NULL ||
	            strpbrk(h->cert_b64, " :\n") != NULL)))
		return KP_ERR_INVALID;
	n = snprintf(buf, len,
	    "v1 pid=%ld start=%llu account=%s fp=%s id=%s time=%lld%s%s%s%s\n",
	    (long)h->pid, h->start, h->account, h->fp, h->entry_id,
	    (long long)h->time, h->cert_type[0] != '\0' ? " cert=" : "",
	    h->cert_type, h->cert_type[0] != '\0' ? ":" : "", h->cert_b64);
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		return KP_ERR_TOOBIG;
	}
	return 0;
}

/* Decimal without sign or leading zero, at most max. */
static int
parse_num(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;
	const char *p;

	if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
		return KP_ERR_INVALID;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return KP_ERR_INVALID;
		if (v > (max - (unsigned)(*p - '0')) / 10)
			return KP_ERR_INVALID;
		v = v * 10 + (unsigned)(*p - '0');
	}
	*out = v;
	return 0;
}

/* The next space-separated token, which must be "name=value". */
static char *
next_field(char **sp, const char *name)
{
	char *s = *sp, *sp_at;
	size_t n = strlen(name);

	if (s == NULL || strncmp(s, name, n) != 0 || s[n] != '=')
		return NULL;
	s += n + 1;
	if ((sp_at = strchr(s, ' ')) != NULL) {
		*sp_at = '\0';
		*sp = sp_at + 1;
	} else
		*sp = NULL;
	return s;
}

int
kp_handoff_parse(const char *buf, size_t len, struct kp_handoff *out)
{
	char tmp[HANDOFF_MAX + 1], *s, *v;
	unsigned long long num;
	struct kp_handoff h;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (buf == NULL || out == NULL)
		return KP_ERR_ARG;
	memset(&h, 0, sizeof(h));
	if (len > HANDOFF_MAX)
		return KP_ERR_TOOBIG;
	/* Exactly one line: a newline at the end and nowhere else, no NUL. */
	if (len < 2 || buf[len - 1] != '\n' ||
	    memchr(buf, '\n', len - 1) != NULL ||
	    memchr(buf, '\0', len) != NULL)
		return KP_ERR_INVALID;
	memcpy(tmp, buf, len - 1);
	tmp[len - 1] = '\0';
	if (strncmp(tmp, "v1 ", 3) != 0)
		return KP_ERR_INVALID;
	s = tmp + 3;

	if ((v = next_field(&s, "pid")) == NULL ||
	    parse_num(v, INT_MAX, &num) != 0 || num == 0)
		return KP_ERR_INVALID;
	h.pid = (pid_t)num;
	if ((v = next_field(&s, "start")) == NULL ||
	    parse_num(v, ULLONG_MAX, &num) != 0)
		return KP_ERR_INVALID;
	h.start = num;
	if ((v = next_field(&s, "account")) == NULL ||
	    strlen(v) >= sizeof(h.account) || !kp_account_valid(v))
		return KP_ERR_INVALID;
	memcpy(h.account, v, strlen(v) + 1);
	if ((v = next_field(&s, "fp")) == NULL || strlen(v) >= sizeof(h.fp) ||
	    !kp_fingerprint_valid(v))
		return KP_ERR_INVALID;
	memcpy(h.fp, v, strlen(v) + 1);
	if ((v = next_field(&s, "id")) == NULL ||
	    strlen(v) >= sizeof(h.entry_id) || !kp_id_valid(v))
		return KP_ERR_INVALID;
	memcpy(h.entry_id, v, strlen(v) + 1);
	if ((v = next_field(&s, "time")) == NULL ||
	    parse_num(v, INT64_MAX, &num) != 0)
		return KP_ERR_INVALID;
	h.time = (int64_t)num;
	if (s != NULL) {
		char *colon;

		if ((v = next_field(&s, "cert")) == NULL || s != NULL ||
		    (colon = strchr(v, ':')) == NULL)
			return KP_ERR_INVALID;
		*colon = '\0';
		if (!kp_cert_type(v) || strlen(v) >= sizeof(h.cert_type) ||
		    colon[1] == '\0' ||
		    strlen(colon + 1) >= sizeof(h.cert_b64) ||
		    strchr(colon + 1, ':') != NULL)
			return KP_ERR_INVALID;
		memcpy(h.cert_type, v, strlen(v) + 1);
		memcpy(h.cert_b64, colon + 1, strlen(colon + 1) + 1);
	}
	*out = h;
	return 0;
}

/* The spool: a real directory (not a link), writable by its owner only. */
static int
open_spool(const char *spool, struct stat *st, const char **why)
{
	int dfd;

	if (kp_dir_open(spool, &dfd) != 0) {
		if (errno == ELOOP || errno == ENOTDIR) {
			*why = "spool is a symbolic link or not a directory";
			return KP_ERR_UNSAFE;
		}
		*why = "cannot open spool directory";
		return errno == ENOENT ? KP_ERR_NOTFOUND : KP_ERR_IO;
	}
	if (fstat(dfd, st) == -1) {
		close(dfd);
		*why = "cannot stat spool directory";
		return KP_ERR_IO;
	}
	if (!S_ISDIR(st->st_mode) || (st->st_mode & (S_IWGRP | S_IWOTH))) {
		close(dfd);
		*why = "spool directory is group or world writable";
		return KP_ERR_UNSAFE;
	}
	return dfd;
}

/* ------------------------------------------------------------ sweeping */

/* 1 when t is more than the grace time before now, or too far after it. */
static int
expired(int64_t t, int64_t now)
{
	/* Unsigned differences: no overflow whatever the values. */
	if (t < now)
		return (uint64_t)now - (uint64_t)t > KP_HANDOFF_GRACE;
	return (uint64_t)t - (uint64_t)now > HANDOFF_FUTURE;
}

/*
 * 1 when the record name (for process pid) can serve no login any more:
 * written (by its time field; by its mtime when it cannot be read) longer
 * than the grace time ago or dated in the future, or for a process that
 * no longer runs or that has another start time (an earlier process with
 * this pid). *st is what was judged.
 */
static int
record_stale(int dfd, const char *name, pid_t pid, int64_t now, struct stat *st)
{
	char buf[HANDOFF_MAX + 1];
	struct kp_handoff h;
	struct stat fst;
	unsigned long long start;
	size_t len = 0;
	ssize_t n;
	int fd, r;

	if (fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW) != 0)
		return 0;
	if (!S_ISREG(st->st_mode) || st->st_size > HANDOFF_MAX)
		return expired((int64_t)st->st_mtime, now);
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return expired((int64_t)st->st_mtime, now);
	if (fstat(fd, &fst) != 0 || fst.st_ino != st->st_ino ||
	    fst.st_dev != st->st_dev) {
		close(fd);
		return 0; /* replaced meanwhile: the next sweep judges it */
	}
	while (len < sizeof(buf)) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (kp_handoff_parse(buf, len, &h) != 0 || h.pid != pid)
		return expired((int64_t)st->st_mtime, now);
	if (expired(h.time, now))
		return 1;
	r = kp_proc_start_time(pid, &start);
	return r == KP_ERR_NOTFOUND || (r == 0 && start != h.start);
}

/*
 * Remove name when it is still the file st describes: a record written
 * meanwhile under the same name (by a new process with that pid) stays.
 */
static void
remove_judged(int dfd, const char *name, const struct stat *st)
{
	struct stat now;

	if (fstatat(dfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
	    now.st_ino == st->st_ino && now.st_dev == st->st_dev)
		(void)unlinkat(dfd, name, 0);
}

/*
 * Sweep the spool dfd: remove every record record_stale condemns and the
 * temporary files of writes that never completed (older than the grace
 * time). *kept: the records left, not counting the one of process except.
 */
static int
sweep(int dfd, int64_t now, pid_t except, size_t *kept)
{
	unsigned long long v;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd;

	*kept = 0;
	if ((fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return KP_ERR_IO;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return KP_ERR_IO;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0) {
			if (fstatat(dfd, de->d_name, &st,
			        AT_SYMLINK_NOFOLLOW) == 0 &&
			    expired((int64_t)st.st_mtime, now))
				remove_judged(dfd, de->d_name, &st);
			continue;
		}
		/* Not named by a pid: not a record, not ours to judge. */
		if (parse_num(de->d_name, INT_MAX, &v) != 0 || v == 0)
			continue;
		if (record_stale(dfd, de->d_name, (pid_t)v, now, &st)) {
			remove_judged(dfd, de->d_name, &st);
			continue;
		}
		if ((pid_t)v != except)
			(*kept)++;
	}
	closedir(d);
	return 0;
}

int
kp_handoff_sweep(const char *spool, int64_t now, size_t *kept)
{
	const char *why = NULL;
	struct stat st;
	size_t n = 0;
	int dfd, r;

	if (kept != NULL)
		*kept = 0;
	if (spool == NULL)
		return KP_ERR_ARG;
	if ((dfd = open_spool(spool, &st, &why)) < 0)
		return dfd;
	r = sweep(dfd, now, 0, &n);
	close(dfd);
	if (kept != NULL)
		*kept = n;
	return r;
}

int
kp_handoff_write(const char *spool, const struct kp_handoff *h)
{
	char buf[HANDOFF_MAX], name[24];
	const char *why = NULL;
	struct kp_atomic a;
	struct stat st;
	size_t kept = 0;
	int dfd = -1, r;

	if (spool == NULL || h == NULL)
		return KP_ERR_ARG;
	if ((r = kp_handoff_format(h, buf, sizeof(buf))) != 0)
		return r;
	if ((dfd = open_spool(spool, &st, &why)) < 0)
		return dfd;
	/* The reader trusts only files of the spool's owner: be that owner. */
	if (st.st_uid != geteuid()) {
		r = KP_ERR_UNSAFE;
		goto out;
	}
	/*
	 * Room first: the records no login can use go, and only then does
	 * the cap refuse. The record of this pid is replaced, so it does not
	 * count.
	 */
	if ((r = sweep(dfd, h->time, h->pid, &kept)) != 0)
		goto out;
	if (kept >= KP_HANDOFF_RECORDS_MAX) {
		r = KP_ERR_TOOBIG;
		goto out;
	}
	snprintf(name, sizeof(name), "%ld", (long)h->pid);
	/*
	 * 0600, an O_EXCL temporary file, no link followed: rename replaces
	 * whatever SPOOL/<pid> was, links included. A record serves one
	 * login, which a crash ends anyway: no directory fsync.
	 */
	if ((r = kp_atomic_openat(&a, dfd, name, 0600, 0)) != 0)
		goto out;
	if ((r = kp_write_all(a.fd, buf, strlen(buf))) != 0) {
		kp_atomic_abort(&a);
		goto out;
	}
	r = kp_atomic_commit(&a);
out:
	close(dfd);
	return r;
}

int
kp_handoff_remove(const char *spool, pid_t pid)
{
	const char *w = NULL;
	struct stat dst;
	char name[24];
	int dfd, r = 0;

	if (spool == NULL || pid <= 0)
		return KP_ERR_ARG;
	if ((dfd = open_spool(spool, &dst, &w)) < 0)
		return dfd;
	snprintf(name, sizeof(name), "%ld", (long)pid);
	if (unlinkat(dfd, name, 0) == -1 && errno != ENOENT)
		r = KP_ERR_IO;
	close(dfd);
	return r;
}

int
kp_handoff_take(
    const char *spool, pid_t pid, struct kp_handoff *out, const char **why)
{
	char buf[HANDOFF_MAX + 1], name[24];
	const char *w = NULL;
	struct stat dst, st;
	size_t len = 0;
	ssize_t n;
	int dfd = -1, fd = -1, r;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (why != NULL)
		*why = NULL;
	if (spool == NULL || out == NULL || pid <= 0) {
		w = "bad argument";
		r = KP_ERR_ARG;
		goto out;
	}
	if ((dfd = open_spool(spool, &dst, &w)) < 0) {
		r = dfd;
		goto out;
	}
	snprintf(name, sizeof(name), "%ld", (long)pid);
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT) {
		w = "no handoff record";
		r = KP_ERR_NOTFOUND;
		goto out;
	}
	/*
	 * Whatever it turns out to be, a record is used at most once. Look
	 * at it first: unlinking changes its link count.
	 */
	r = fd == -1 ? errno : (fstat(fd, &st) == -1 ? -1 : 0);
	(void)unlinkat(dfd, name, 0);
	if (fd == -1) {
		w = r == ELOOP ? "handoff record is a symbolic link"
		               : "cannot open handoff record";
		r = r == ELOOP ? KP_ERR_UNSAFE : KP_ERR_IO;
		goto out;
	}
	if (r == -1) {
		w = "cannot stat handoff record";
		r = KP_ERR_IO;
		goto out;
	}
	r = KP_ERR_UNSAFE;
	if (!S_ISREG(st.st_mode)) {
		w = "handoff record is not a regular file";
		goto out;
	}
	if (st.st_nlink > 1) {
		w = "handoff record has other hard links";
		goto out;
	}
	if (st.st_uid != dst.st_uid) {
		w = "handoff record is not owned by the spool's owner";
		goto out;
	}
	if ((st.st_mode & 07777) != 0600) {
		w = "handoff record mode is not 0600";
		goto out;
	}
	if (st.st_size > HANDOFF_MAX) {
		w = "handoff record is too large";
		r = KP_ERR_TOOBIG;
		goto out;
	}
	while (len < sizeof(buf)) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			w = "cannot read handoff record";
			r = KP_ERR_IO;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > HANDOFF_MAX) {
		w = "handoff record is too large";
		r = KP_ERR_TOOBIG;
		goto out;
	}
	if ((r = kp_handoff_parse(buf, len, out)) != 0)
		w = "handoff record is malformed";
out:
	if (fd != -1)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (why != NULL)
		*why = w;
	return r;
}

int
kp_handoff_check(const struct kp_handoff *h, pid_t pid,
    unsigned long long start, const char *account, int64_t now, int64_t grace,
    const char **why)
{
	const char *w = NULL;
	int r = KP_ERR_INVALID;

	if (h == NULL || account == NULL || grace < 0) {
		w = "bad argument";
		r = KP_ERR_ARG;
	} else if (h->pid <= 0 || h->pid != pid)
		w = "handoff record is for another process";
	else if (h->start != start) {
		/* Left by a login long gone: not this one's, not forged. */
		w = "handoff record is for an earlier process with this pid";
		r = KP_ERR_NOTFOUND;
	}
	/* Unsigned differences: no overflow whatever the values. */
	else if (h->time < now &&
	    (uint64_t)now - (uint64_t)h->time > (uint64_t)grace) {
		w = "handoff record is older than the login grace time";
		r = KP_ERR_NOTFOUND;
	} else if (memchr(h->account, '\0', sizeof(h->account)) == NULL ||
	    strcmp(h->account, account) != 0)
		w = "handoff record is for another account";
	else if (h->time > now &&
	    (uint64_t)h->time - (uint64_t)now > HANDOFF_FUTURE)
		w = "handoff record is dated in the future";
	else
		r = 0;
	if (why != NULL)
		*why = w;
	return r;
}
