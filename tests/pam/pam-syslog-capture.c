/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pam-syslog-capture OUTFILE COMMAND [ARGS...]: run COMMAND with a private
 * /dev/log and append every syslog record it sends to OUTFILE, one line
 * each ("<PRI>... message", control bytes as \xHH). Exits with COMMAND's
 * exit status, 99 on a setup error.
 *
 * Hermetic: in a private mount namespace a small directory replaces /dev
 * (the usual character devices bind-mounted in, plus our socket as "log"),
 * so the machine's /dev/log, whether or not a syslog daemon serves it, is
 * never touched and parallel tests do not see each other's records. Needs
 * root (CAP_SYS_ADMIN).
 */
#include "config.h"

#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REC_MAX 8192

static const char *const devices[] = {
    "null", "zero", "full", "random", "urandom", "tty"};

static int
die(const char *what, const char *path)
{
	fprintf(stderr, "pam-syslog-capture: %s %s: %s\n", what,
	    path != NULL ? path : "", strerror(errno));
	return 99;
}

/* Append one datagram as one line. */
static int
save(int out, const unsigned char *in, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char line[REC_MAX * 4 + 2];
	size_t i, o = 0;

	while (n > 0 && (in[n - 1] == '\n' || in[n - 1] == '\0'))
		n--;
	for (i = 0; i < n; i++) {
		if (in[i] >= 0x20 && in[i] < 0x7f) {
			line[o++] = (char)in[i];
			continue;
		}
		line[o++] = '\\';
		line[o++] = 'x';
		line[o++] = hex[in[i] >> 4];
		line[o++] = hex[in[i] & 0x0f];
	}
	line[o++] = '\n';
	return write(out, line, o) == (ssize_t)o ? 0 : -1;
}

static int
drain(int s, int out, int flags)
{
	unsigned char buf[REC_MAX];
	ssize_t n;

	for (;;) {
		n = recv(s, buf, sizeof(buf), flags);
		if (n == -1)
			return (errno == EAGAIN || errno == EWOULDBLOCK ||
			           errno == EINTR)
			    ? 0
			    : -1;
		if (save(out, buf, (size_t)n) != 0)
			return -1;
		flags |= MSG_DONTWAIT;
	}
}

/* A private /dev: DIR with the usual devices and our socket as DIR/log. */
static int
private_dev(const char *dir, int *sock)
{
	struct sockaddr_un sun;
	char path[PATH_MAX + 16];
	size_t i;
	int fd, s;

	if (unshare(CLONE_NEWNS) != 0)
		return die("unshare", NULL);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return die("make private", "/");
	/*
	 * On a machine with journald the module sends its records there
	 * (docs/audit-log.md): hide the journal's socket, so they come to
	 * our /dev/log as where there is none.
	 */
	if (access("/run/systemd/journal", F_OK) == 0 &&
	    mount("keyauth-test-nojournal", "/run/systemd/journal", "tmpfs", 0,
	        "size=16k") != 0)
		return die("hide the journal", "/run/systemd/journal");
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return die("mkdir", dir);
	for (i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		char src[64];

		snprintf(src, sizeof(src), "/dev/%s", devices[i]);
		snprintf(path, sizeof(path), "%s/%s", dir, devices[i]);
		if (access(src, F_OK) != 0)
			continue;
		if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) ==
		    -1)
			return die("create", path);
		close(fd);
		if (mount(src, path, NULL, MS_BIND, NULL) != 0)
			return die("bind", path);
	}
	snprintf(path, sizeof(path), "%s/fd", dir);
	if (symlink("/proc/self/fd", path) != 0 && errno != EEXIST)
		return die("symlink", path);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(dir) + 5 > sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return die("socket path", dir);
	}
	memcpy(sun.sun_path, dir, strlen(dir));
	memcpy(sun.sun_path + strlen(dir), "/log", 5);
	if ((s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return die("socket", NULL);
	/* Left by an earlier run with the same OUTFILE. */
	(void)unlink(sun.sun_path);
	if (bind(s, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		return die("bind", sun.sun_path);
	/* The module may run as any user; so may a test's helper. */
	if (chmod(sun.sun_path, 0666) != 0)
		return die("chmod", sun.sun_path);
	if (mount(dir, "/dev", NULL, MS_BIND | MS_REC, NULL) != 0)
		return die("bind over", "/dev");
	*sock = s;
	return 0;
}

int
main(int argc, char **argv)
{
	char dir[PATH_MAX - 16];
	struct pollfd pfd;
	pid_t pid;
	int s = -1, out, status = 0, r;

	if (argc < 3) {
		fprintf(stderr,
		    "usage: pam-syslog-capture OUTFILE COMMAND [ARGS...]\n");
		return 2;
	}
	if ((out = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	         0600)) == -1)
		return die("open", argv[1]);
	if (strlen(argv[1]) + 5 > sizeof(dir))
		return 99;
	snprintf(dir, sizeof(dir), "%s.dev", argv[1]);
	if ((r = private_dev(dir, &s)) != 0)
		return r;

	fflush(NULL);
	if ((pid = fork()) == -1)
		return die("fork", NULL);
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "pam-syslog-capture: exec %s: %s\n", argv[2],
		    strerror(errno));
		_exit(127);
	}
	for (;;) {
		pfd.fd = s;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 50) > 0 && drain(s, out, MSG_DONTWAIT) != 0)
			return die("receive", NULL);
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r == -1 && errno != EINTR)
			return die("waitpid", NULL);
	}
	/* Records sent before the exit are queued: take them all. */
	if (drain(s, out, MSG_DONTWAIT) != 0)
		return die("receive", NULL);
	close(s);
	close(out);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
