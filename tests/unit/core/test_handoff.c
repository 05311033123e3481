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
	char buf[512], big[20000];

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
		char big[20000];
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
	/* not forged, only left behind: the caller ignores it */
	CHECK_INT(
	    kp_handoff_check(&h, 4242, 987654320ULL, "alice", t, 120, &why),
	    KP_ERR_NOTFOUND);
	CHECK_CONTAINS(why, "earlier process");
	CHECK_INT(kp_handoff_check(&h, 4242, 987654321ULL, "bob", t, 120, &why),
	    KP_ERR_INVALID);
	CHECK_CONTAINS(why, "another account");
	CHECK_INT(
	    kp_handoff_check(&h, 4242, 987654321ULL, "alic", t, 120, &why),
	    KP_ERR_INVALID);
	CHECK_INT(kp_handoff_check(
	              &h, 4242, 987654321ULL, "alice", t + 121, 120, &why),
	    KP_ERR_NOTFOUND);
	CHECK_CONTAINS(why, "older");
	/* expired first: an old record of another account means nothing */
	CHECK_INT(
	    kp_handoff_check(&h, 4242, 987654321ULL, "bob", t + 121, 120, &why),
	    KP_ERR_NOTFOUND);
	CHECK_INT(
	    kp_handoff_check(&h, 4242, 987654321ULL, "alice", t - 6, 120, &why),
	    KP_ERR_INVALID);
	CHECK_CONTAINS(why, "future");
	CHECK_INT(kp_handoff_check(
	              &h, 4242, 987654321ULL, "alice", INT64_MAX, 120, &why),
	    KP_ERR_NOTFOUND);
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

/* n children that wait until *go is closed, their pids in pids. */
static int
waiters(pid_t *pids, size_t n, int *go)
{
	size_t i;
	char ch;
	int p[2];

	if (pipe(p) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if ((pids[i] = fork()) == 0) {
			close(p[1]);
			_exit(read(p[0], &ch, 1) < 0);
		}
		if (pids[i] < 0)
			return -1;
	}
	close(p[0]);
	*go = p[1];
	return 0;
}

static void
reap(pid_t *pids, size_t n, int go)
{
	size_t i;

	close(go);
	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			waitpid(pids[i], NULL, 0);
}

/* A record for pid with its real start time (or start + delta), at t. */
static struct kp_handoff
live_rec(pid_t pid, long long delta, int64_t t)
{
	struct kp_handoff h = rec();

	h.pid = pid;
	CHECK_INT(kp_proc_start_time(pid, &h.start), 0);
	h.start += (unsigned long long)delta;
	h.time = t;
	return h;
}

static void
put(struct kp_handoff h)
{
	char line[512];

	CHECK_INT(kp_handoff_format(&h, line, sizeof(line)), 0);
	plant(h.pid, line, 0600);
}

static void
age(const char *name, int64_t secs)
{
	struct timespec ts[2];
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", spool, name);
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - secs;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	CHECK(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW) == 0);
}

static int
exists(const char *name)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", spool, name);
	return lstat(p, &st) == 0;
}

/*
 * The sweep (docs/security.md, "The handoff spool is bounded"): what no
 * login can use goes, what a login in progress may still take stays.
 */
static void
test_sweep(void)
{
	struct kp_handoff h;
	pid_t kids[4], dead;
	char name[512];
	int64_t now = (int64_t)time(NULL);
	size_t kept = 99;
	int go, fd;

	CHECK_INT(waiters(kids, 4, &go), 0);
	/* a process that is gone */
	if ((dead = fork()) == 0)
		_exit(0);
	CHECK(dead > 0);
	h = live_rec(dead, 0, now);
	waitpid(dead, NULL, 0);
	put(h);
	/*
	 * Written as they are, not by kp_handoff_write: that would sweep
	 * with each record's time as now.
	 */
	/* live, fresh: stays; at exactly the grace time: stays */
	put(live_rec(kids[0], 0, now));
	put(live_rec(kids[1], 0, now - KP_HANDOFF_GRACE));
	/* an earlier process with this pid; older than the grace time */
	put(live_rec(kids[2], -3, now));
	put(live_rec(kids[3], 0, now - KP_HANDOFF_GRACE - 1));
	/* junk named by a pid: judged by its mtime */
	plant(kids[0] + 100000, "junk\n", 0600);
	plant(kids[0] + 100001, "junk\n", 0600);
	snprintf(name, sizeof(name), "%ld", (long)kids[0] + 100001);
	age(name, KP_HANDOFF_GRACE + 10);
	/* temporary files of interrupted writes; other names */
	snprintf(name, sizeof(name), "%s/.tmp-1.00", spool);
	CHECK((fd = open(name, O_WRONLY | O_CREAT, 0600)) != -1);
	close(fd);
	snprintf(name, sizeof(name), "%s/.tmp-2.00", spool);
	CHECK((fd = open(name, O_WRONLY | O_CREAT, 0600)) != -1);
	close(fd);
	age(".tmp-2.00", KP_HANDOFF_GRACE + 10);
	snprintf(name, sizeof(name), "%s/notes", spool);
	CHECK((fd = open(name, O_WRONLY | O_CREAT, 0600)) != -1);
	close(fd);
	age("notes", KP_HANDOFF_GRACE + 10);

	CHECK_INT(kp_handoff_sweep(spool, now, &kept), 0);
	CHECK_INT(kept, 3);
	CHECK(gone(dead));
	CHECK(!gone(kids[0]));
	CHECK(!gone(kids[1]));
	CHECK(gone(kids[2]));
	CHECK(gone(kids[3]));
	CHECK(!gone(kids[0] + 100000));
	CHECK(gone(kids[0] + 100001));
	CHECK(exists(".tmp-1.00"));
	CHECK(!exists(".tmp-2.00"));
	CHECK(exists("notes"));
	/* a second later kids[1]'s record is past the grace time too */
	CHECK_INT(kp_handoff_sweep(spool, now + 1, &kept), 0);
	CHECK_INT(kept, 2);
	CHECK(gone(kids[1]));
	/* a record dated in the future serves no login either */
	put(live_rec(kids[1], 0, now + 60));
	CHECK_INT(kp_handoff_sweep(spool, now, &kept), 0);
	CHECK(gone(kids[1]));
	CHECK_INT(kp_handoff_sweep("/nonexistent/keyauth-spool", now, &kept),
	    KP_ERR_NOTFOUND);
	CHECK_INT(kept, 0);
	CHECK_INT(kp_handoff_sweep(NULL, now, NULL), KP_ERR_ARG);

	reap(kids, 4, go);
	/* they are gone now: the next writer sweeps them away */
	h = live_rec(getpid(), 0, now);
	CHECK_INT(kp_handoff_write(spool, &h), 0);
	CHECK(gone(kids[0]));
	CHECK_INT(kp_handoff_sweep(spool, now, &kept), 0);
	CHECK_INT(kept, 2); /* ours and the fresh junk */
	snprintf(name, sizeof(name), "%ld", (long)kids[0] + 100000);
	age(name, KP_HANDOFF_GRACE + 10);
	CHECK_INT(kp_handoff_remove(spool, getpid()), 0);
	CHECK_INT(kp_handoff_sweep(spool, now, &kept), 0);
	CHECK_INT(kept, 0);
	unlink(name);
}

/*
 * The cap: KP_HANDOFF_RECORDS_MAX records of logins in progress, and the
 * next one is refused; one of them gone, and it is written.
 */
static void
test_cap(void)
{
	static pid_t kids[KP_HANDOFF_RECORDS_MAX];
	struct kp_handoff h;
	pid_t ended;
	int64_t now = (int64_t)time(NULL);
	size_t i, kept = 0;
	int go, fails = 0;

	CHECK_INT(waiters(kids, KP_HANDOFF_RECORDS_MAX, &go), 0);
	for (i = 0; i < KP_HANDOFF_RECORDS_MAX; i++) {
		h = live_rec(kids[i], 0, now);
		fails += kp_handoff_write(spool, &h) != 0;
	}
	CHECK_INT(fails, 0);
	CHECK_INT(kp_handoff_sweep(spool, now, &kept), 0);
	CHECK_INT(kept, KP_HANDOFF_RECORDS_MAX);
	h = live_rec(getpid(), 0, now);
	CHECK_INT(kp_handoff_write(spool, &h), KP_ERR_TOOBIG);
	CHECK(gone(getpid()));
	/* a process that already has a record replaces it */
	h = live_rec(kids[7], 0, now);
	CHECK_INT(kp_handoff_write(spool, &h), 0);
	/* one login ends: room for the next */
	ended = kids[0];
	kill(ended, SIGKILL);
	waitpid(ended, NULL, 0);
	kids[0] = 0;
	h = live_rec(getpid(), 0, now);
	CHECK_INT(kp_handoff_write(spool, &h), 0);
	CHECK(gone(ended));
	CHECK_INT(kp_handoff_sweep(spool, now, &kept), 0);
	CHECK_INT(kept, KP_HANDOFF_RECORDS_MAX);
	/* they all end: the sweep takes every record but ours */
	reap(kids, KP_HANDOFF_RECORDS_MAX, go);
	CHECK_INT(kp_handoff_sweep(spool, now, &kept), 0);
	CHECK_INT(kept, 1);
	CHECK_INT(kp_handoff_remove(spool, getpid()), 0);
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
	test_sweep();
	test_cap();
	test_start_time();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", spool);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", spool);
	return t_done();
}
