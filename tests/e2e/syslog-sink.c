/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * syslog-sink SOCKET OUTFILE: a minimal syslog receiver for the end-to-end
 * tests. It binds a unix datagram socket (the tests bind it as /dev/log
 * inside a private mount namespace, so the machine's /dev/log is never
 * touched), and appends every record it receives as one line to OUTFILE,
 * written with one write(2) so a reader never sees half a record.
 *
 * The record is kept as the sender formatted it ("<PRI>timestamp tag:
 * message"); bytes that could break the one-record-per-line promise
 * (newlines, other control characters) are written as \xHH. Runs until
 * SIGTERM/SIGINT, then removes the socket.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SINK_MAX_RECORD 8192

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Escape one datagram into out (at least 4 * n + 2 bytes); returns the length. */
static size_t
escape_record(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	/* syslog(3) may end a record with a newline or NUL: not part of it. */
	while (n > 0 && (in[n - 1] == '\n' || in[n - 1] == '\0'))
		n--;
	for (i = 0; i < n; i++) {
		if (in[i] >= 0x20 && in[i] < 0x7f && in[i] != '\\') {
			out[o++] = (char)in[i];
			continue;
		}
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[in[i] >> 4];
		out[o++] = hex[in[i] & 0x0f];
	}
	out[o++] = '\n';
	return o;
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sun;
	struct sigaction sa;
	unsigned char buf[SINK_MAX_RECORD];
	char line[SINK_MAX_RECORD * 4 + 2];
	int s = -1, out = -1, ret = 1;
	ssize_t n;
	size_t len;

	if (argc != 3) {
		fprintf(stderr, "usage: syslog-sink SOCKET OUTFILE\n");
		return 2;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "syslog-sink: socket path too long\n");
		return 2;
	}
	memcpy(sun.sun_path, argv[1], strlen(argv[1]) + 1);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: recv must return */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) != 0 ||
	    sigaction(SIGINT, &sa, NULL) != 0) {
		perror("syslog-sink: sigaction");
		return 1;
	}

	out = open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (out == -1) {
		fprintf(
		    stderr, "syslog-sink: %s: %s\n", argv[2], strerror(errno));
		goto done;
	}
	if ((s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		perror("syslog-sink: socket");
		goto done;
	}
	(void)unlink(argv[1]);
	if (bind(s, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(stderr, "syslog-sink: bind %s: %s\n", argv[1],
		    strerror(errno));
		goto done;
	}
	/* Senders run as unprivileged users too (the helper's own user). */
	if (chmod(argv[1], 0666) != 0) {
		fprintf(stderr, "syslog-sink: chmod %s: %s\n", argv[1],
		    strerror(errno));
		goto done;
	}

	while (!stop) {
		n = recv(s, buf, sizeof(buf), 0);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			perror("syslog-sink: recv");
			goto done;
		}
		len = escape_record(buf, (size_t)n, line);
		if (write(out, line, len) != (ssize_t)len) {
			perror("syslog-sink: write");
			goto done;
		}
	}
	ret = 0;
done:
	if (s != -1) {
		close(s);
		(void)unlink(argv[1]);
	}
	if (out != -1)
		close(out);
	return ret;
}
