/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * akc-cat FILE [IGNORED...]: copy FILE to stdout, exit 0. A trivial
 * AuthorizedKeysCommand for bench/ssh-breakdown.sh: sshd's cost of running
 * a command at all (fork, user switch, exec, pipe) without keyauth's work.
 */

#include <fcntl.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	char buf[4096];
	ssize_t n;
	int fd;

	if (argc < 2 || (fd = open(argv[1], O_RDONLY | O_CLOEXEC)) == -1)
		return 1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(STDOUT_FILENO, buf, (size_t)n) != n)
			return 1;
	close(fd);
	return n == 0 ? 0 : 1;
}
