/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * The main of a fuzz target when it is not linked with libFuzzer: run
 * every file named on the command line (or every regular file in a named
 * directory) through LLVMFuzzerTestOneInput once. A property failure or a
 * sanitizer report aborts, so replaying the committed corpus in make check
 * keeps every input ever found interesting (or crashing) as a regression
 * test.
 */

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

/* Corpus files are small; anything bigger is not one of ours. */
#define REPLAY_MAX (16UL * 1024 * 1024)

static int
replay_file(const char *path)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t off = 0;
	ssize_t n;
	int fd, r = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0)
		goto out;
	if (!S_ISREG(st.st_mode) || (unsigned long long)st.st_size > REPLAY_MAX)
		goto out;
	/* One byte more than needed: malloc(0) may return NULL. */
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		goto out;
	while (off < (size_t)st.st_size) {
		n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		off += (size_t)n;
	}
	/* The exact input size: a copy so ASan sees reads past its end. */
	{
		uint8_t *exact = malloc(off > 0 ? off : 1);

		if (exact == NULL)
			goto out;
		memcpy(exact, buf, off);
		LLVMFuzzerTestOneInput(exact, off);
		free(exact);
	}
	r = 0;
out:
	if (r != 0)
		fprintf(stderr, "replay: %s: cannot read\n", path);
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}

static int
replay_dir(const char *dir, unsigned long *count)
{
	struct dirent *de;
	char path[4096];
	DIR *d;
	int r = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		        de->d_name) >= sizeof(path)) {
			r = -1;
			continue;
		}
		if (replay_file(path) != 0)
			r = -1;
		else
			(*count)++;
	}
	closedir(d);
	return r;
}

int
main(int argc, char **argv)
{
	unsigned long count = 0;
	struct stat st;
	int i, r = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if (replay_dir(argv[i], &count) != 0)
				r = 1;
		} else if (replay_file(argv[i]) != 0) {
			r = 1;
		} else {
			count++;
		}
	}
	printf("%s: %lu inputs replayed\n", argv[0], count);
	return r;
}
