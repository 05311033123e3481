/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * The PAM handoff record: format/parse strictness, the spool writer and
 * reader against hostile files, the checks, /proc start times.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "keyauth.h"
#include "../test.h"

#define FP "SHA256:RSYxWg3mwwuBA1Xl9WxHAZQAf3h1AewtjU1Obb/at4U"

static char spool[256];

static struct kp_handoff
rec(void)
{
	struct kp_handoff h;

	memset(&h, 0, sizeof(h));
	h.pid = 4242;
	h.start = 987654321ULL;
	snprintf(h.account, sizeof(h.account), "alice");
	snprintf(h.fp, sizeof(h.fp), "%s", FP);
	snprintf(h.entry_id, sizeof(h.entry_id), "alice-laptop");
	h.time = 1763780000;
	return h;
}

static int
same(const struct kp_handoff *a, const struct kp_handoff *b)
{
	return a->pid == b->pid && a->start == b->start &&
	    strcmp(a->account, b->account) == 0 && strcmp(a->fp, b->fp) == 0 &&
	    strcmp(a->entry_id, b->entry_id) == 0 && a->time == b->time;
}

#define LINE \
	"v1 pid=4242 start=987654321 account=alice fp=" FP \
	" id=alice-laptop time=1763780000\n"

static void
check_parse_fails(const char *s, size_t len, int lineno)
{
	struct kp_handoff h;
	int r;

	memset(&h, 0x5a, sizeof(h));
	r = kp_handoff_parse(s, len, &h);
	if (!t_ok(r != 0, __FILE__, lineno, "BAD: parse(\"%.*s\") fails",
	        (int)len, s))
		t_diag("parse accepted \"%.*s\"", (int)len, s);
	CHECK(h.pid == 0 && h.account[0] == '\0');
}
#define BAD(s) check_parse_fails(s, strlen(s), __LINE__)

static void
test_format_parse(void)
{
	struct kp_handoff h = rec(), g;
	char buf[512], big[1024];

	CHECK_INT(kp_handoff_format(&h, buf, sizeof(buf)), 0);
	CHECK_STR(buf, LINE);
	CHECK_INT(kp_handoff_parse(buf, strlen(buf), &g), 0);
	CHECK(same(&h, &g));
	CHECK_INT(kp_handoff_format(&h, buf, 20), KP_ERR_TOOBIG);
	CHECK_STR(buf, "");

	/* extremes */
	h.pid = 2147483647;
	h.start = 18446744073709551615ULL;
	h.time = 0;
	snprintf(h.account, sizeof(h.account), "%s",
	    "a2345678901234567890123456789012");
	memset(h.entry_id, 'x', KP_ID_MAX);
	h.entry_id[KP_ID_MAX] = '\0';
	CHECK_INT(kp_handoff_format(&h, buf, sizeof(buf)), 0);
	CHECK_INT(kp_handoff_parse(buf, strlen(buf), &g), 0);
	CHECK(same(&h, &g));

	/* format refuses what parse would refuse */
	h = rec();
	snprintf(h.account, sizeof(h.account), "a b");
	CHECK_INT(kp_handoff_format(&h, buf, sizeof(buf)), KP_ERR_INVALID);
	h = rec();
	snprintf(h.entry_id, sizeof(h.entry_id), "x y");
	CHECK_INT(kp_handoff_format(&h, buf, sizeof(buf)), KP_ERR_INVALID);
	h = rec();
	h.fp[10] = '\0';
	CHECK_INT(kp_handoff_format(&h, buf, sizeof(buf)), KP_ERR_INVALID);
	h = rec();
	h.pid = 0;
	CHECK_INT(kp_handoff_format(&h, buf, sizeof(buf)), KP_ERR_INVALID);
	h = rec();
	h.time = -1;
	CHECK_INT(kp_handoff_format(&h, buf, sizeof(buf)), KP_ERR_INVALID);
	CHECK_INT(kp_handoff_format(NULL, buf, sizeof(buf)), KP_ERR_ARG);

	/* strict parsing */
	check_parse_fails(LINE, strlen(LINE) - 1, __LINE__); /* no newline */
	BAD("");
	BAD("\n");
	BAD(LINE "\n");
	BAD(LINE LINE);
	BAD("v2 pid=4242 start=987654321 account=alice fp=" FP
	    " id=alice-laptop time=1763780000\n");
	BAD("v1  pid=4242 start=987654321 account=alice fp=" FP
	    " id=alice-laptop time=1763780000\n");
	BAD("v1 pid=4242 start=987654321 account=alice fp=" FP
	    " id=alice-laptop time=1763780000 \n");
	BAD("v1 pid=4242 start=987654321 account=alice fp=" FP
	    " id=alice-laptop time=1763780000\r\n");
	BAD("v1 pid=4242 start=987654321 account=alice fp=" FP
	    " id=alice-laptop\n");
	BAD("v1 pid=4242 start=987654321 account=alice fp=" FP
	    " id=alice-laptop time=1763780000 x=1\n");
	BAD("v1 start=987654321 pid=4242 account=alice fp=" FP
	    " id=alice-laptop time=1763780000\n");
	BAD("v1 pid=04242 start=987654321 account=alice fp=" FP
	    " id=alice-laptop time=1763780000\n");
	BAD("v1 pid=0 start=987654321 account=alice fp=" FP
	    " id=alice-laptop time=1763780000\n");
	BAD("v1 pid=-1 start=987654321 account=alice fp=" FP
	    " id=alice-laptop time=1763780000\n");
	BAD("v1 pid=2147483648 start=987654321 account=alice fp=" FP
	    " id=alice-laptop time=1763780000\n");
	BAD("v1 pid=+4242 start=987654321 account=alice fp=" FP
	    " id=alice-laptop time=1763780000\n");
	BAD("v1 pid=4242 start=18446744073709551616 account=alice fp=" FP
	    " id=alice-laptop time=1763780000\n");
	BAD("v1 pid=4242 start= account=alice fp=" FP
	    " id=alice-laptop time=1763780000\n");
	BAD("v1 pid=4242 start=987654321 account=Alice fp=" FP
	    " id=alice-laptop time=1763780000\n");
	BAD("v1 pid=4242 start=987654321 account= fp=" FP
	    " id=alice-laptop time=1763780000\n");
	BAD("v1 pid=4242 start=987654321 account=alice fp=SHA256:short"
	    " id=alice-laptop time=1763780000\n");
	BAD("v1 pid=4242 start=987654321 account=alice fp=" FP
	    " id=alice/laptop time=1763780000\n");
	BAD("v1 pid=4242 start=987654321 account=alice fp=" FP
	    " id= time=1763780000\n");
	BAD("v1 pid=4242 start=987654321 account=alice fp=" FP
	    " id=alice-laptop time=-5\n");
	BAD("v1 pid=4242 start=987654321 account=alice fp=" FP
	    " id=alice-laptop time=9223372036854775808\n");
	check_parse_fails("v1 pid=4242\0 start=987654321 account=alice fp=" FP
	                  " id=alice-laptop time=1763780000\n",
	    strlen(LINE) + 1, __LINE__);
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	CHECK_INT(kp_handoff_parse(big, sizeof(big), &g), KP_ERR_TOOBIG);
	CHECK_INT(kp_handoff_parse(NULL, 5, &g), KP_ERR_ARG);
}

static void
path_of(char *buf, size_t len, pid_t pid)
{
	snprintf(buf, len, "%s/%ld", spool, (long)pid);
}

/* Put raw bytes at SPOOL/<pid> with the given mode. */
static void
plant(pid_t pid, const char *content, mode_t mode)
{
	char p[512];
	int fd;

	path_of(p, sizeof(p), pid);
	unlink(p);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd != -1);
	if (fd == -1)
		return;
	CHECK(write(fd, content, strlen(content)) == (ssize_t)strlen(content));
	CHECK(fchmod(fd, mode) == 0);
	close(fd);
}

static int
gone(pid_t pid)
{
	char p[512];
	struct stat st;

	path_of(p, sizeof(p), pid);
	return lstat(p, &st) == -1 && errno == ENOENT;
}

static void
test_write_take(void)
{
	struct kp_handoff h = rec(), g;
	char p[512], q[512];
	struct stat st;
	const char *why;
	int fd;

	CHECK_INT(kp_handoff_write(spool, &h), 0);
	path_of(p, sizeof(p), h.pid);
	CHECK(lstat(p, &st) == 0 && S_ISREG(st.st_mode));
	CHECK_INT(st.st_mode & 07777, 0600);
	CHECK_INT(st.st_uid, geteuid());
	/* a second write replaces the first */
	h.time++;
	CHECK_INT(kp_handoff_write(spool, &h), 0);
	CHECK_INT(kp_handoff_take(spool, h.pid, &g, &why), 0);
	CHECK(why == NULL);
	CHECK(same(&h, &g));
	CHECK(gone(h.pid));
	CHECK_INT(kp_handoff_take(spool, h.pid, &g, &why), KP_ERR_NOTFOUND);
	CHECK(why != NULL);

	/* the writer replaces a planted link instead of following it */
	snprintf(q, sizeof(q), "%s/target", spool);
	fd = open(q, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd != -1);
	close(fd);
	CHECK(symlink(q, p) == 0);
	CHECK_INT(kp_handoff_write(spool, &h), 0);
	CHECK(lstat(p, &st) == 0 && S_ISREG(st.st_mode));
	CHECK(stat(q, &st) == 0 && st.st_size == 0);
	CHECK_INT(kp_handoff_take(spool, h.pid, &g, &why), 0);

	/* no temp files left behind */
	{
		char cmd[600];
		snprintf(cmd, sizeof(cmd),
		    "test $(ls -A '%s' | grep -c '^\\.tmp') = 0", spool);
		CHECK(system(cmd) == 0);
	}

	/* write refuses an unsafe spool, and a record it could not parse */
	CHECK_INT(kp_handoff_write("/nonexistent/keyauth-spool", &h),
	    KP_ERR_NOTFOUND);
	snprintf(q, sizeof(q), "%s-link", spool);
	CHECK(symlink(spool, q) == 0);
	CHECK_INT(kp_handoff_write(q, &h), KP_ERR_UNSAFE);
	CHECK_INT(kp_handoff_take(q, h.pid, &g, &why), KP_ERR_UNSAFE);
	unlink(q);
	CHECK(chmod(spool, 0770) == 0);
	CHECK_INT(kp_handoff_write(spool, &h), KP_ERR_UNSAFE);
	CHECK_INT(kp_handoff_take(spool, h.pid, &g, &why), KP_ERR_UNSAFE);
	CHECK(chmod(spool, 0703) == 0);
	CHECK_INT(kp_handoff_write(spool, &h), KP_ERR_UNSAFE);
	CHECK(chmod(spool, 0700) == 0);
	snprintf(h.account, sizeof(h.account), "bad account");
	CHECK_INT(kp_handoff_write(spool, &h), KP_ERR_INVALID);
	CHECK(gone(h.pid));
	CHECK_INT(kp_handoff_take(spool, 0, &g, &why), KP_ERR_ARG);
}

static void
test_take_hostile(void)
{
	struct kp_handoff h = rec(), g;
	char p[512], q[512], line[512];
	const char *why;
	struct stat st;
	int fd;

	CHECK_INT(kp_handoff_format(&h, line, sizeof(line)), 0);
	path_of(p, sizeof(p), h.pid);

	/* a symlink to a valid record: refused, and the link is removed */
	snprintf(q, sizeof(q), "%s/elsewhere", spool);
	fd = open(q, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd != -1 && write(fd, line, strlen(line)) > 0);
	close(fd);
	CHECK(symlink(q, p) == 0);
	why = NULL;
	CHECK_INT(kp_handoff_take(spool, h.pid, &g, &why), KP_ERR_UNSAFE);
	CHECK_CONTAINS(why, "symbolic link");
	CHECK(g.pid == 0);
	CHECK(gone(h.pid));
	CHECK(stat(q, &st) == 0); /* the target is left alone */

	/* a hard link to it */
	CHECK(link(q, p) == 0);
	CHECK_INT(kp_handoff_take(spool, h.pid, &g, &why), KP_ERR_UNSAFE);
	CHECK_CONTAINS(why, "hard link");
	CHECK(gone(h.pid));
	unlink(q);

	/* wrong modes */
	plant(h.pid, line, 0644);
	CHECK_INT(kp_handoff_take(spool, h.pid, &g, &why), KP_ERR_UNSAFE);
	CHECK_CONTAINS(why, "0600");
	CHECK(gone(h.pid));
	plant(h.pid, line, 0400);
	CHECK_INT(kp_handoff_take(spool, h.pid, &g, &why), KP_ERR_UNSAFE);
	CHECK(gone(h.pid));
	plant(h.pid, line, 04600);
	CHECK_INT(kp_handoff_take(spool, h.pid, &g, &why), KP_ERR_UNSAFE);
	CHECK(gone(h.pid));

	/* wrong owner (needs root to create) */
	if (geteuid() == 0) {
		plant(h.pid, line, 0600);
		CHECK(chown(p, 12345, 12345) == 0);
		CHECK_INT(
		    kp_handoff_take(spool, h.pid, &g, &why), KP_ERR_UNSAFE);
		CHECK_CONTAINS(why, "owned");
		CHECK(gone(h.pid));
	}

	/* not a regular file: a FIFO must not block, a directory */
	CHECK(mkfifo(p, 0600) == 0);
	CHECK_INT(kp_handoff_take(spool, h.pid, &g, &why), KP_ERR_UNSAFE);
	CHECK(gone(h.pid));
	CHECK(mkdir(p, 0700) == 0);
	CHECK_INT(kp_handoff_take(spool, h.pid, &g, &why), KP_ERR_UNSAFE);
	rmdir(p);

	/* malformed, oversized: refused and deleted */
	plant(h.pid, "v1 pid=4242\n", 0600);
	CHECK_INT(kp_handoff_take(spool, h.pid, &g, &why), KP_ERR_INVALID);
	CHECK(gone(h.pid));
	{
		char big[2048];
		memset(big, 'a', sizeof(big) - 2);
		big[sizeof(big) - 2] = '\n';
		big[sizeof(big) - 1] = '\0';
		plant(h.pid, big, 0600);
	}
	CHECK_INT(kp_handoff_take(spool, h.pid, &g, &why), KP_ERR_TOOBIG);
	CHECK(gone(h.pid));

	/* a record for another pid is read only by that pid's taker */
	plant(h.pid + 1, line, 0600);
	CHECK_INT(kp_handoff_take(spool, h.pid + 1, &g, &why), 0);
	CHECK_INT(g.pid, h.pid); /* kp_handoff_check catches this */
	CHECK(kp_handoff_check(
	          &g, h.pid + 1, g.start, "alice", g.time, 120, &why) != 0);
}

static void
test_check(void)
{
	struct kp_handoff h = rec();
	const char *why;
	int64_t t = h.time;

	why = "x";
	CHECK_INT(
	    kp_handoff_check(&h, 4242, 987654321ULL, "alice", t, 120, &why), 0);
	CHECK(why == NULL);
	CHECK_INT(kp_handoff_check(
	              &h, 4242, 987654321ULL, "alice", t + 120, 120, &why),
	    0);
	CHECK_INT(
	    kp_handoff_check(&h, 4242, 987654321ULL, "alice", t - 5, 120, &why),
	    0);
	CHECK_INT(
	    kp_handoff_check(&h, 4243, 987654321ULL, "alice", t, 120, &why),
	    KP_ERR_INVALID);
	CHECK_CONTAINS(why, "another process");
	CHECK_INT(
	    kp_handoff_check(&h, 4242, 987654320ULL, "alice", t, 120, &why),
	    KP_ERR_INVALID);
	CHECK_CONTAINS(why, "earlier process");
	CHECK_INT(kp_handoff_check(&h, 4242, 987654321ULL, "bob", t, 120, &why),
	    KP_ERR_INVALID);
	CHECK_CONTAINS(why, "another account");
	CHECK_INT(
	    kp_handoff_check(&h, 4242, 987654321ULL, "alic", t, 120, &why),
	    KP_ERR_INVALID);
	CHECK_INT(kp_handoff_check(
	              &h, 4242, 987654321ULL, "alice", t + 121, 120, &why),
	    KP_ERR_INVALID);
	CHECK_CONTAINS(why, "older");
	CHECK_INT(
	    kp_handoff_check(&h, 4242, 987654321ULL, "alice", t - 6, 120, &why),
	    KP_ERR_INVALID);
	CHECK_CONTAINS(why, "future");
	CHECK_INT(kp_handoff_check(
	              &h, 4242, 987654321ULL, "alice", INT64_MAX, 120, &why),
	    KP_ERR_INVALID);
	CHECK_INT(kp_handoff_check(
	              &h, 4242, 987654321ULL, "alice", INT64_MIN, 120, &why),
	    KP_ERR_INVALID);
	CHECK_INT(
	    kp_handoff_check(&h, 4242, 987654321ULL, "alice", t, -1, &why),
	    KP_ERR_ARG);
	CHECK_INT(
	    kp_handoff_check(NULL, 4242, 987654321ULL, "alice", t, 120, &why),
	    KP_ERR_ARG);
	CHECK_INT(kp_handoff_check(&h, 4242, 987654321ULL, NULL, t, 120, &why),
	    KP_ERR_ARG);
}

static void
test_start_time(void)
{
	unsigned long long a = 0, b = 0, c = 0;
	int ready[2], go[2];
	pid_t pid;
	char ch;

	CHECK_INT(kp_proc_start_time(getpid(), &a), 0);
	CHECK(a > 0);
	CHECK_INT(kp_proc_start_time(0, &a), KP_ERR_ARG);
	CHECK_INT(kp_proc_start_time(-1, &a), KP_ERR_ARG);
	CHECK_INT(kp_proc_start_time(getpid(), NULL), KP_ERR_ARG);

	/* A command name with spaces and ')' must not shift the fields. */
	CHECK(pipe(ready) == 0 && pipe(go) == 0);
	if ((pid = fork()) == 0) {
		close(ready[0]);
		close(go[1]);
		if (read(go[0], &ch, 1) != 1)
			_exit(1);
		prctl(PR_SET_NAME, "x) 1 2 3) (", 0, 0, 0);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &ch, 1) < 0)
			_exit(1);
		_exit(0);
	}
	CHECK(pid > 0);
	close(ready[1]);
	close(go[0]);
	CHECK_INT(kp_proc_start_time(pid, &b), 0);
	CHECK(write(go[1], "g", 1) == 1);
	CHECK(read(ready[0], &ch, 1) == 1);
	CHECK_INT(kp_proc_start_time(pid, &c), 0);
	CHECK(b > 0);
	CHECK(b == c);
	CHECK(b >= a);
	close(go[1]);
	waitpid(pid, NULL, 0);
	close(ready[0]);
	/* a reaped child has no /proc entry any more */
	CHECK_INT(kp_proc_start_time(pid, &c), KP_ERR_NOTFOUND);
	CHECK(c == 0);
}

int
main(void)
{
	char cmd[600];

	snprintf(spool, sizeof(spool), "%s/keyauth-test-handoff.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(spool) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	test_format_parse();
	test_write_take();
	test_take_hostile();
	test_check();
	test_start_time();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", spool);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", spool);
	return t_done();
}
