/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * runner [-w WARMUP] [-n RUNS] [-o FILE] NAME CMD [ARGS...]
 *     [:: NAME CMD [ARGS...]]...
 *
 * Times whole processes, as sshd runs them: each run is posix_spawn +
 * wait of CMD (no shell; stdin, stdout and stderr on /dev/null). The
 * commands are interleaved round-robin, the first one rotating every
 * round, so that a load change on a shared machine hits all of them alike
 * and ratios of their medians stay meaningful. WARMUP rounds are run first
 * and not counted. Any run that fails (non-zero exit) aborts: a benchmark
 * of a failing login measures nothing.
 *
 * Prints one line per command: NAME median_us mean_us min_us max_us runs.
 * With -o, FILE gets every counted run as "NAME ROUND us", so that two
 * commands can be compared round by round (runs of one round are
 * neighbours in time and share the machine's load).
 */

#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct cmd {
	const char *name;
	char **argv;
	double *t; /* microseconds per counted run */
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: runner [-w WARMUP] [-n RUNS] [-o FILE] NAME CMD "
	    "[ARGS...] [:: NAME CMD [ARGS...]]...\n");
	exit(2);
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static double
run1(const struct cmd *c, posix_spawn_file_actions_t *fa)
{
	double t0, t1;
	pid_t pid;
	int st, r;

	t0 = now_us();
	if ((r = posix_spawnp(&pid, c->argv[0], fa, NULL, c->argv, environ)) !=
	    0) {
		fprintf(stderr, "runner: %s: %s\n", c->argv[0], strerror(r));
		exit(1);
	}
	while (waitpid(pid, &st, 0) == -1) {
		if (errno != EINTR) {
			perror("runner: waitpid");
			exit(1);
		}
	}
	t1 = now_us();
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "runner: %s (%s) failed (status 0x%x)\n",
		    c->name, c->argv[0], (unsigned)st);
		exit(1);
	}
	return t1 - t0;
}

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	posix_spawn_file_actions_t fa;
	struct cmd *cmds;
	const char *raw = NULL;
	FILE *rf;
	long warm = 3, runs = 20, round, k;
	int ch, i, ncmd = 0, start;
	double sum, med;

	while ((ch = getopt(argc, argv, "+w:n:o:")) != -1) {
		switch (ch) {
		case 'w':
			warm = atol(optarg);
			break;
		case 'n':
			runs = atol(optarg);
			break;
		case 'o':
			raw = optarg;
			break;
		default:
			usage();
		}
	}
	if (warm < 0 || runs < 1 || optind + 2 > argc)
		usage();
	if ((cmds = calloc((size_t)argc, sizeof(*cmds))) == NULL)
		return 1;
	for (i = optind; i < argc;) {
		if (i + 1 >= argc || strcmp(argv[i + 1], "::") == 0)
			usage();
		cmds[ncmd].name = argv[i];
		cmds[ncmd].argv = &argv[i + 1];
		for (i += 2; i < argc && strcmp(argv[i], "::") != 0; i++)
			;
		if (i < argc) {
			argv[i] = NULL; /* ends this command's argv */
			i++;
		}
		if ((cmds[ncmd].t = calloc((size_t)runs, sizeof(double))) ==
		    NULL)
			return 1;
		ncmd++;
	}
	if (posix_spawn_file_actions_init(&fa) != 0 ||
	    posix_spawn_file_actions_addopen(
	        &fa, 0, "/dev/null", O_RDONLY, 0) != 0 ||
	    posix_spawn_file_actions_addopen(
	        &fa, 1, "/dev/null", O_WRONLY, 0) != 0 ||
	    posix_spawn_file_actions_addopen(
	        &fa, 2, "/dev/null", O_WRONLY, 0) != 0)
		return 1;
	for (round = 0; round < warm + runs; round++) {
		start = (int)(round % ncmd);
		for (k = 0; k < ncmd; k++) {
			struct cmd *c = &cmds[(start + k) % ncmd];
			double t = run1(c, &fa);

			if (round >= warm)
				c->t[round - warm] = t;
		}
	}
	if (raw != NULL) {
		if ((rf = fopen(raw, "w")) == NULL) {
			perror("runner: -o");
			return 1;
		}
		for (i = 0; i < ncmd; i++)
			for (k = 0; k < runs; k++)
				fprintf(rf, "%s %ld %.1f\n", cmds[i].name, k,
				    cmds[i].t[k]);
		if (fclose(rf) != 0) {
			perror("runner: -o");
			return 1;
		}
	}
	for (i = 0; i < ncmd; i++) {
		qsort(cmds[i].t, (size_t)runs, sizeof(double), dcmp);
		for (sum = 0, k = 0; k < runs; k++)
			sum += cmds[i].t[k];
		med = runs % 2
		    ? cmds[i].t[runs / 2]
		    : (cmds[i].t[runs / 2 - 1] + cmds[i].t[runs / 2]) / 2;
		printf("%s %.1f %.1f %.1f %.1f %ld\n", cmds[i].name, med,
		    sum / runs, cmds[i].t[0], cmds[i].t[runs - 1], runs);
	}
	return 0;
}
