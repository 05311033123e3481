/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests: safe file reading, atomic writing and the rest of the I/O
 * module (directories, kp_write_all, running a program).
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyauth.h"
#include "../test.h"

static char dir[] = "/tmp/kp-test-file.XXXXXX";
static char path[2][600];

/* dir/name; two rotating buffers so p(a) and p(b) can be passed together */
static const char *
p(const char *name)
{
	static int i;

	i = !i;
	snprintf(path[i], sizeof(path[i]), "%s/%s", dir, name);
	return path[i];
}

static void
mkfile(const char *name, const char *content, mode_t mode)
{
	FILE *f = fopen(p(name), "w");

	if (f == NULL || fputs(content, f) < 0 || fclose(f) != 0 ||
	    chmod(p(name), mode) != 0) {
		fprintf(stderr, "cannot create %s\n", name);
		exit(99);
	}
}

/* Expect kp_file_read_safe to fail with want_r and a why containing w. */
static void
read_fails(const char *name, size_t max, uid_t allow, int want_r, const char *w)
{
	char *buf = (char *)1;
	size_t len = 7;
	const char *why = NULL;
	/* "=" prefix: use the rest as the path, verbatim */
	const char *full = name[0] == '=' ? name + 1 : p(name);

	CHECK_INT(
	    kp_file_read_safe(full, max, allow, &buf, &len, &why), want_r);
	CHECK(buf == NULL);
	CHECK_INT(len, 0);
	CHECK_CONTAINS(why, w);
}

static int
count_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

static void
cleanup(void)
{
	char cmd[700];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup failed\n");
}

/* The atomic replacement, the directory openers and kp_run. */
static void
test_io(void)
{
	char a0[] = "sh", a1[] = "-c", script[600], name[NAME_MAX + 1];
	char *argv[] = {a0, a1, script, NULL}, *buf, out[64];
	static char env0[] = "KP_TEST=from-envp";
	char *envp[] = {env0, NULL};
	struct kp_atomic a;
	struct kp_buf b;
	const char *why;
	struct stat st;
	size_t len;
	int dfd = -1, status, trunc, n, pfd[2];

	/* a write that is aborted leaves nothing, the old file in force */
	mkfile("io", "old", 0644);
	n = count_entries();
	CHECK_INT(kp_atomic_open(&a, p("io"), 0640, 0), 0);
	CHECK(a.fd >= 0 && strncmp(a.tmp, ".tmp-io.", 8) == 0);
	CHECK_INT(count_entries(), n + 1);
	CHECK(fstat(a.fd, &st) == 0 && (st.st_mode & 077) == 0);
	CHECK_INT(kp_write_all(a.fd, "new", 3), 0);
	kp_atomic_abort(&a);
	kp_atomic_abort(&a); /* twice is harmless */
	CHECK_INT(count_entries(), n);
	CHECK_INT(kp_file_read(p("io"), 100, 0, &buf, &len, &why), 0);
	CHECK_STR(buf, "old");
	free(buf);
	/* committed: the new content, the caller's mode, nothing else left */
	CHECK_INT(kp_atomic_open(&a, p("io"), 0640, KP_ATOMIC_SYNC_DIR), 0);
	CHECK_INT(kp_write_all(a.fd, "new", 3), 0);
	CHECK_INT(kp_atomic_commit(&a), 0);
	CHECK(a.replaced && a.fd == -1 && a.dfd == -1);
	kp_atomic_abort(&a); /* a no-op after commit */
	CHECK_INT(count_entries(), n);
	CHECK_INT(kp_file_read(p("io"), 100, 0, &buf, &len, &why), 0);
	CHECK_STR(buf, "new");
	free(buf);
	CHECK(stat(p("io"), &st) == 0 && (st.st_mode & 07777) == 0640);
	/* in a directory the caller opened; the file rewritten by name */
	CHECK_INT(kp_dir_open(dir, &dfd), 0);
	CHECK_INT(kp_atomic_openat(&a, dfd, "io", 0600, 0), 0);
	close(dfd);
	snprintf(script, sizeof(script), "printf other > '%s/%s'", dir, a.tmp);
	CHECK_INT(kp_run("/bin/sh", argv, NULL, 0, NULL, NULL, &status), 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_INT(kp_atomic_reopen(&a), 0);
	CHECK_INT(kp_atomic_commit(&a), 0);
	CHECK_INT(kp_file_read(p("io"), 100, 0, &buf, &len, &why), 0);
	CHECK_STR(buf, "other");
	free(buf);
	CHECK_INT(kp_atomic_openat(&a, -1, "io", 0600, 0), KP_ERR_ARG);
	CHECK_INT(kp_atomic_openat(&a, 0, "a/b", 0600, 0), KP_ERR_ARG);
	CHECK_INT(kp_atomic_commit(&a), KP_ERR_ARG);

	/* directories: a link in place of one is refused */
	CHECK(mkdir(p("realdir"), 0755) == 0);
	CHECK(symlink(p("realdir"), p("dirlink")) == 0);
	CHECK_INT(kp_dir_open(p("dirlink"), &dfd), KP_ERR_IO);
	CHECK(dfd == -1 && (errno == ELOOP || errno == ENOTDIR));
	CHECK_INT(kp_dir_open(p("nothere"), &dfd), KP_ERR_NOTFOUND);
	CHECK_INT(kp_dir_open(p("good"), &dfd), KP_ERR_IO);
	CHECK_INT(kp_dir_open_parent(p("realdir/x"), &dfd, name), 0);
	CHECK_STR(name, "x");
	CHECK(dfd >= 0 && fstat(dfd, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK_INT(kp_dir_sync(dfd), 0);
	close(dfd);
	CHECK_INT(kp_dir_open_parent(p("dirlink/x"), &dfd, name), KP_ERR_IO);
	CHECK_INT(kp_dir_open_parent(p("realdir/"), &dfd, name), KP_ERR_ARG);
	CHECK_INT(kp_dir_open_parent("", &dfd, name), KP_ERR_ARG);
	CHECK_INT(kp_atomic_open(&a, p("dirlink/x"), 0644, 0), KP_ERR_IO);
	rmdir(p("realdir"));
	unlink(p("dirlink"));

	/* kp_write_all: everything, through short writes of a pipe */
	CHECK(pipe(pfd) == 0);
	CHECK_INT(kp_write_all(pfd[1], "0123456789", 10), 0);
	close(pfd[1]);
	CHECK_INT(read(pfd[0], out, sizeof(out)), 10);
	close(pfd[0]);
	CHECK_INT(kp_write_all(-1, "x", 1), KP_ERR_IO);
	CHECK_INT(errno, EBADF);
	CHECK_INT(kp_write_all(1, NULL, 1), KP_ERR_ARG);

	/* kp_run: output and errors captured, what does not fit dropped */
	snprintf(script, sizeof(script),
	    "read x; echo \"in=$x env=$KP_TEST\"; echo err >&2; exit 3");
	kp_buf_init(&b, 1000);
	CHECK_INT(kp_run("/bin/sh", argv, envp,
	              KP_RUN_STDIN_NULL | KP_RUN_OUT | KP_RUN_ERR, &b, &trunc,
	              &status),
	    0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 3);
	CHECK_INT(trunc, 0);
	CHECK_STR(b.s, "in= env=from-envp\nerr\n");
	kp_buf_free(&b);
	snprintf(script, sizeof(script), "seq 1 10000; echo err >&2");
	kp_buf_init_fixed(&b, out, 8);
	CHECK_INT(
	    kp_run("/bin/sh", argv, NULL, KP_RUN_OUT, &b, &trunc, &status), 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_INT(trunc, 1);
	CHECK_STR(out, "1\n2\n3\n4");
	/* a program that cannot be executed exits 127 */
	kp_buf_init_fixed(&b, out, sizeof(out));
	CHECK_INT(
	    kp_run(p("nothere"), argv, NULL, KP_RUN_OUT, &b, &trunc, &status),
	    0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 127);
	CHECK_STR(out, "");
	CHECK_INT(kp_run("sh", argv, NULL, 0, NULL, NULL, &status), KP_ERR_ARG);
	CHECK_INT(
	    kp_run("/bin/sh", argv, NULL, KP_RUN_OUT, NULL, NULL, &status),
	    KP_ERR_ARG);
}

/* kp_read_lines: each line whole, or NULL when it is longer than max */
struct lines {
	char got[256];
	int stop_at, calls;
};

static int
line_cb(void *arg, const char *line, size_t len)
{
	struct lines *l = arg;
	size_t o = strlen(l->got);

	l->calls++;
	if (line == NULL)
		snprintf(l->got + o, sizeof(l->got) - o, "[long]");
	else
		snprintf(
		    l->got + o, sizeof(l->got) - o, "[%.*s]", (int)len, line);
	return l->calls == l->stop_at ? -42 : 0;
}

static void
read_lines(
    const char *text, size_t max, int stop_at, int want_r, const char *want)
{
	char copy[64];
	struct lines l;
	FILE *f;

	memset(&l, 0, sizeof(l));
	l.stop_at = stop_at;
	snprintf(copy, sizeof(copy), "%s", text);
	if ((f = fmemopen(copy, strlen(copy), "r")) == NULL)
		exit(99);
	CHECK_INT(kp_read_lines(f, max, line_cb, &l), want_r);
	CHECK_STR(l.got, want);
	fclose(f);
}

static void
test_read_lines(void)
{
	T_CASE("kp_read_lines");
	read_lines("a\nbb\n", 4, 0, 0, "[a][bb]");
	read_lines("a\n\nlast", 4, 0, 0, "[a][][last]");
	read_lines("", 4, 0, 0, "");
	/* at max whole, one byte over never cut short */
	read_lines("abcd\nabcde\nx\n", 4, 0, 0, "[abcd][long][x]");
	read_lines("abcdefghij", 4, 0, 0, "[long]");
	/* the callback's error stops the reading */
	read_lines("1\n2\n3\n", 4, 2, -42, "[1][2]");
	CHECK_INT(kp_read_lines(stdin, 0, line_cb, NULL), KP_ERR_ARG);
	CHECK_INT(kp_read_lines(NULL, 4, line_cb, NULL), KP_ERR_ARG);
	CHECK_INT(kp_read_lines(stdin, 4, NULL, NULL), KP_ERR_ARG);
}

int
main(void)
{
	uid_t me = getuid(), own = getuid() == 0 ? (uid_t)-1 : getuid();
	char *buf, rd[64];
	size_t len, size;
	const char *why;
	struct stat st;
	int fd, n;

	if (mkdtemp(dir) == NULL || chmod(dir, 0755) != 0)
		return 99;
	atexit(cleanup);

	/* ---- a good file */
	mkfile("good", "hello\nworld\n", 0644);
	CHECK_INT(kp_file_read_safe(p("good"), 100, own, &buf, &len, &why), 0);
	CHECK_INT(len, 12);
	CHECK_STR(buf, "hello\nworld\n");
	free(buf);
	/* exactly at the limit is fine, one byte over is not */
	CHECK_INT(kp_file_read_safe(p("good"), 12, own, &buf, &len, &why), 0);
	free(buf);
	read_fails("good", 11, own, KP_ERR_TOOBIG, "larger than the limit");
	mkfile("empty", "", 0600);
	CHECK_INT(kp_file_read_safe(p("empty"), 100, own, &buf, &len, &why), 0);
	CHECK_INT(len, 0);
	CHECK_STR(buf, "");
	free(buf);
	/* read-only modes are fine */
	mkfile("ro", "x", 0400);
	CHECK_INT(kp_file_read_safe(p("ro"), 100, own, &buf, &len, &why), 0);
	free(buf);

	/* ---- open_safe hands back the descriptor and the size */
	CHECK_INT(kp_file_open_safe(p("good"), 100, own, &fd, &size, &why), 0);
	CHECK_INT(size, 12);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK_INT(read(fd, rd, sizeof(rd)), 12);
		CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		CHECK((fcntl(fd, F_GETFL) & O_NONBLOCK) == 0);
		close(fd);
	}
	CHECK_INT(kp_file_open_safe(p("good"), 5, own, &fd, &size, &why),
	    KP_ERR_TOOBIG);
	CHECK_INT(fd, -1);

	/* ---- refusals */
	read_fails("=relative/path", 100, own, KP_ERR_ARG, "absolute");
	read_fails("=./good", 100, own, KP_ERR_ARG, "absolute");
	read_fails("missing", 100, own, KP_ERR_NOTFOUND, "does not exist");
	if (symlink(p("good"), p("link")) != 0)
		return 99;
	read_fails("link", 100, own, KP_ERR_UNSAFE, "symbolic link");
	if (mkdir(p("subdir"), 0755) != 0)
		return 99;
	read_fails("subdir", 100, own, KP_ERR_UNSAFE, "not a regular file");
	if (mkfifo(p("fifo"), 0644) != 0)
		return 99;
	read_fails("fifo", 100, own, KP_ERR_UNSAFE, "not a regular file");
	read_fails("=/dev/null", 100, own, KP_ERR_UNSAFE, "");
	mkfile("ww", "x", 0646);
	read_fails("ww", 100, own, KP_ERR_UNSAFE, "world-writable");
	mkfile("gw", "x", 0664);
	read_fails("gw", 100, own, KP_ERR_UNSAFE, "group- or world-writable");

	/* ---- ownership */
	if (me == 0) {
		mkfile("owned", "data", 0644);
		if (chown(p("owned"), 4242, 4242) != 0)
			return 99;
		read_fails("owned", 100, (uid_t)-1, KP_ERR_UNSAFE,
		    "not owned by root");
		read_fails("owned", 100, 4243, KP_ERR_UNSAFE,
		    "not owned by root or the allowed user");
		CHECK_INT(
		    kp_file_read_safe(p("owned"), 100, 4242, &buf, &len, &why),
		    0);
		CHECK_STR(buf, "data");
		free(buf);
		/* root-owned is always fine, whatever allow_uid says */
		CHECK_INT(
		    kp_file_read_safe(p("good"), 100, 4242, &buf, &len, &why),
		    0);
		free(buf);
	} else {
		/* as a user: our own file is refused unless allowed */
		read_fails(
		    "good", 100, (uid_t)-1, KP_ERR_UNSAFE, "not owned by root");
		fprintf(stderr, "note: not root, chown tests skipped\n");
	}

	/* ---- kp_file_read: no owner or mode rules, still a regular file */
	CHECK_INT(kp_file_read(p("ww"), 100, 0, &buf, &len, &why), 0);
	CHECK_STR(buf, "x");
	free(buf);
	CHECK_INT(kp_file_read(p("link"), 100, 0, &buf, &len, &why), 0);
	CHECK_STR(buf, "hello\nworld\n");
	free(buf);
	CHECK_INT(
	    kp_file_read(p("link"), 100, KP_FILE_NOFOLLOW, &buf, &len, &why),
	    KP_ERR_UNSAFE);
	CHECK(buf == NULL);
	CHECK_INT(
	    kp_file_read(p("fifo"), 100, 0, &buf, &len, &why), KP_ERR_UNSAFE);
	CHECK_INT(
	    kp_file_read(p("subdir"), 100, 0, &buf, &len, &why), KP_ERR_UNSAFE);
	CHECK_INT(
	    kp_file_read(p("good"), 11, 0, &buf, &len, &why), KP_ERR_TOOBIG);
	CHECK_INT(kp_file_read(p("missing"), 100, 0, &buf, &len, &why),
	    KP_ERR_NOTFOUND);
	if (chdir(dir) == 0) {
		CHECK_INT(kp_file_read("good", 100, 0, &buf, &len, &why), 0);
		CHECK_INT(len, 12);
		free(buf);
	}

	/* ---- atomic write */
	n = count_entries();
	CHECK_INT(kp_file_write_atomic(p("new"), "first", 5, 0640), 0);
	CHECK_INT(count_entries(), n + 1);
	CHECK_INT(kp_file_read_safe(p("new"), 100, own, &buf, &len, &why), 0);
	CHECK_STR(buf, "first");
	free(buf);
	CHECK(stat(p("new"), &st) == 0 && (st.st_mode & 07777) == 0640);
	CHECK_INT(
	    kp_file_write_atomic(p("new"), "second, longer", 14, 0600), 0);
	CHECK_INT(kp_file_read_safe(p("new"), 100, own, &buf, &len, &why), 0);
	CHECK_STR(buf, "second, longer");
	free(buf);
	CHECK(stat(p("new"), &st) == 0 && (st.st_mode & 07777) == 0600);
	CHECK_INT(count_entries(), n + 1); /* no temp file left */
	CHECK_INT(kp_file_write_atomic(p("new"), "", 0, 0644), 0);
	CHECK(stat(p("new"), &st) == 0 && st.st_size == 0);
	/* a link at the target is replaced, its target untouched */
	CHECK_INT(kp_file_write_atomic(p("link"), "via link", 8, 0644), 0);
	CHECK(lstat(p("link"), &st) == 0 && S_ISREG(st.st_mode));
	CHECK_INT(kp_file_read_safe(p("good"), 100, own, &buf, &len, &why), 0);
	CHECK_STR(buf, "hello\nworld\n");
	free(buf);
	/* failures leave nothing behind */
	n = count_entries();
	CHECK_INT(kp_file_write_atomic(p("nodir/x"), "x", 1, 0644), KP_ERR_IO);
	CHECK_INT(kp_file_write_atomic(p("subdir"), "x", 1, 0644), KP_ERR_IO);
	CHECK_INT(count_entries(), n);
	CHECK_INT(kp_file_write_atomic("relative", "x", 1, 0644), KP_ERR_ARG);
	CHECK_INT(kp_file_write_atomic(p("dir/"), "x", 1, 0644), KP_ERR_ARG);
	CHECK_INT(kp_file_write_atomic(p("x"), NULL, 1, 0644), KP_ERR_ARG);
	CHECK_INT(count_entries(), n);
	test_io();
	test_read_lines();
	return t_done();
}
