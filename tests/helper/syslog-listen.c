/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * syslog-listen SOCKET COUNT TIMEOUT: bind a unix datagram socket at
 * SOCKET (as syslogd binds /dev/log), print each datagram received on its
 * own line, and exit after COUNT datagrams (0) or TIMEOUT seconds (1).
 * The helper tests bind-mount SOCKET over /dev/log inside a private mount
 * namespace, so the real syslog() of the helper lands here.
 */

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_un sun;
	static char buf[256 * 1024];
	struct pollfd pfd;
	time_t end;
	long count, got = 0, timeout;
	ssize_t n;
	int fd;

	if (argc != 4 || strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: syslog-listen SOCKET COUNT TIMEOUT\n");
		return 2;
	}
	count = atol(argv[2]);
	timeout = atol(argv[3]);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, argv[1], strlen(argv[1]) + 1);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1) {
		perror("socket");
		return 2;
	}
	unlink(argv[1]);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		perror("bind");
		return 2;
	}
	chmod(argv[1], 0666);
	end = time(NULL) + timeout;
	while (got < count) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (time(NULL) >= end)
			return 1;
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		if ((n = recv(fd, buf, sizeof(buf) - 1, 0)) < 0) {
			if (errno == EINTR)
				continue;
			perror("recv");
			return 2;
		}
		/* syslog() sends one record per datagram, without newline */
		fwrite(buf, 1, (size_t)n, stdout);
		fputc('\n', stdout);
		fflush(stdout);
		got++;
	}
	return 0;
}
