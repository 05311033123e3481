/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * floor FILE: open FILE, read it, exit 0. The cheapest useful process a
 * login-path helper could be: the "floor" the helper's whole-process cost
 * is compared with. Built with the same compiler and linker flags as the
 * helper (dynamic libc, PIE, relro/now), so the difference is keyauth's.
 */

#include <fcntl.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	char buf[4096];
	ssize_t n;
	int fd;

	if (argc != 2 || (fd = open(argv[1], O_RDONLY | O_CLOEXEC)) == -1)
		return 1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	return n == 0 ? 0 : 1;
}
