/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pam-driver: drive a real PAM stack (libpam, pam_start_confdir) the way
 * sshd does, for the pam_keyauth tests.
 *
 *   pam-driver [options] CONFDIR SERVICE USER acct|session|both
 *
 *   -e NAME=VALUE  pam_putenv before the account stage (repeatable)
 *   -E NAME=VALUE  pam_putenv before the session stage (repeatable)
 *   -r RHOST       set PAM_RHOST
 *   -n COUNT       run the whole conversation COUNT times (fresh handles)
 *   -f             run the account stage in a child forked for it, as
 *                  sshd does for keyboard-interactive (the record is
 *                  still written for this process, the child's parent)
 *   -w SPOOL       first write a handoff record for this process into SPOOL,
 *                  as keyauth-authorized-keys would for its parent sshd:
 *     -k FP        the record's fingerprint (required with -w)
 *     -i ID        its entry id (default "pam-test")
 *     -c TYPE:B64  the certificate the helper was asked about (the
 *                  record's cert= field; -k is then its key's fingerprint)
 *     -a ACCOUNT   its account (default USER)
 *     -p PID       a record for another (running) process: its pid and
 *                  start time, written as SPOOL/PID
 *     -S DELTA     add DELTA to the recorded process start time
 *     -t AGE       date the record AGE seconds in the past
 *     -m HOW       plant it: normal (default), symlink (SPOOL/<pid> links
 *                  to the record), garbage (SPOOL/<pid> holds junk),
 *                  mode644 (group/world readable), misnamed (the record
 *                  of -p PID stored under this process's own pid)
 *
 * Prints one line per PAM call ("acct_mgmt: PAM_PERM_DENIED") and exits 0
 * when every call succeeded, otherwise with the PAM code of the first
 * failure (all PAM codes are below 77); 2 on usage errors, 77 without
 * pam_start_confdir, 99 on a setup error.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "keyauth.h"

#define MAX_ENV 16

/*
 * pam_start_confdir came with Linux-PAM 1.4. A weak reference lets the
 * driver build everywhere and skip (77) where libpam lacks it, whatever a
 * configure check concluded.
 */
#pragma weak pam_start_confdir

struct opts {
	const char *env_acct[MAX_ENV];
	size_t nenv_acct;
	const char *env_sess[MAX_ENV];
	size_t nenv_sess;
	const char *rhost;
	long count;
	int fork_acct;
	const char *spool;
	const char *fp;
	const char *entry_id;
	const char *cert; /* TYPE:B64 */
	const char *account;
	pid_t pid;
	long long start_delta;
	long long age;
	const char *how;
};

static const struct {
	int code;
	const char *name;
} pam_names[] = {
    {PAM_SUCCESS, "PAM_SUCCESS"},
    {PAM_OPEN_ERR, "PAM_OPEN_ERR"},
    {PAM_SYMBOL_ERR, "PAM_SYMBOL_ERR"},
    {PAM_SERVICE_ERR, "PAM_SERVICE_ERR"},
    {PAM_SYSTEM_ERR, "PAM_SYSTEM_ERR"},
    {PAM_BUF_ERR, "PAM_BUF_ERR"},
    {PAM_PERM_DENIED, "PAM_PERM_DENIED"},
    {PAM_AUTH_ERR, "PAM_AUTH_ERR"},
    {PAM_USER_UNKNOWN, "PAM_USER_UNKNOWN"},
    {PAM_SESSION_ERR, "PAM_SESSION_ERR"},
    {PAM_ACCT_EXPIRED, "PAM_ACCT_EXPIRED"},
    {PAM_ABORT, "PAM_ABORT"},
    {PAM_IGNORE, "PAM_IGNORE"},
    {PAM_MODULE_UNKNOWN, "PAM_MODULE_UNKNOWN"},
};

static const char *
pam_name(int code)
{
	size_t i;

	for (i = 0; i < sizeof(pam_names) / sizeof(pam_names[0]); i++) {
		if (pam_names[i].code == code)
			return pam_names[i].name;
	}
	return "PAM_OTHER";
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: pam-driver [-e N=V] [-E N=V] [-r RHOST] [-n COUNT] [-f]\n"
	    "    [-w SPOOL -k FP [-i ID] [-c TYPE:B64] [-a ACCOUNT] [-p PID]\n"
	    "    [-S DELTA]\n"
	    "    [-t AGE] [-m normal|symlink|garbage|mode644|misnamed]]\n"
	    "    CONFDIR SERVICE USER acct|session|both\n");
	exit(2);
}

/* The module never converses; a conversation attempt is an error. */
static int
no_conv(int n, const struct pam_message **msg, struct pam_response **resp,
    void *arg)
{
	(void)n;
	(void)msg;
	(void)arg;
	*resp = NULL;
	return PAM_CONV_ERR;
}

static int
write_file(const char *path, const char *buf, size_t len, mode_t mode)
{
	int fd;

	(void)unlink(path);
	fd = open(
	    path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd == -1)
		return -1;
	/* The umask must not soften what the test asked for. */
	if (fchmod(fd, mode) != 0 || write(fd, buf, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* Plant the handoff record the options describe. */
static int
plant_record(const struct opts *o, const char *user)
{
	struct kp_handoff h;
	char buf[1024], path[PATH_MAX], target[PATH_MAX];
	unsigned long long start;
	pid_t self = getpid();
	int r;

	memset(&h, 0, sizeof(h));
	if ((r = kp_proc_start_time(o->pid != 0 ? o->pid : self, &start)) !=
	    0) {
		fprintf(stderr, "pam-driver: start time: %s\n", kp_strerror(r));
		return -1;
	}
	h.pid = o->pid != 0 ? o->pid : self;
	h.start = start + (unsigned long long)o->start_delta;
	snprintf(h.account, sizeof(h.account), "%s",
	    o->account != NULL ? o->account : user);
	snprintf(h.fp, sizeof(h.fp), "%s", o->fp);
	snprintf(h.entry_id, sizeof(h.entry_id), "%s", o->entry_id);
	h.time = (int64_t)time(NULL) - o->age;
	if (o->cert != NULL) {
		const char *colon = strchr(o->cert, ':');

		if (colon == NULL ||
		    (size_t)(colon - o->cert) >= sizeof(h.cert_type) ||
		    strlen(colon + 1) >= sizeof(h.cert_b64)) {
			fprintf(stderr, "pam-driver: -c wants TYPE:BASE64\n");
			return -1;
		}
		memcpy(h.cert_type, o->cert, (size_t)(colon - o->cert));
		h.cert_type[colon - o->cert] = '\0';
		snprintf(h.cert_b64, sizeof(h.cert_b64), "%s", colon + 1);
	}

	if (strcmp(o->how, "normal") == 0) {
		if ((r = kp_handoff_write(o->spool, &h)) != 0) {
			fprintf(stderr, "pam-driver: handoff write: %s\n",
			    kp_strerror(r));
			return -1;
		}
		return 0;
	}
	if ((r = kp_handoff_format(&h, buf, sizeof(buf))) != 0) {
		fprintf(
		    stderr, "pam-driver: handoff format: %s\n", kp_strerror(r));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%ld", o->spool, (long)self);
	if (strcmp(o->how, "symlink") == 0) {
		snprintf(target, sizeof(target), "%s/planted.%ld", o->spool,
		    (long)self);
		(void)unlink(path);
		if (write_file(target, buf, strlen(buf), 0600) != 0 ||
		    symlink(target, path) != 0)
			goto fail;
		return 0;
	}
	if (strcmp(o->how, "garbage") == 0) {
		static const char junk[] = "not a record\n\x01\x02=";

		if (write_file(path, junk, sizeof(junk) - 1, 0600) != 0)
			goto fail;
		return 0;
	}
	if (strcmp(o->how, "mode644") == 0) {
		if (write_file(path, buf, strlen(buf), 0644) != 0)
			goto fail;
		return 0;
	}
	if (strcmp(o->how, "misnamed") == 0) {
		if (write_file(path, buf, strlen(buf), 0600) != 0)
			goto fail;
		return 0;
	}
	fprintf(stderr, "pam-driver: unknown -m %s\n", o->how);
	return -1;
fail:
	fprintf(stderr, "pam-driver: planting %s: %s\n", path, strerror(errno));
	return -1;
}

static int
putenvs(pam_handle_t *pamh, const char *const *env, size_t n)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		if ((r = pam_putenv(pamh, env[i])) != PAM_SUCCESS) {
			fprintf(stderr, "pam-driver: pam_putenv: %s\n",
			    pam_strerror(pamh, r));
			return -1;
		}
	}
	return 0;
}

/* pam_acct_mgmt in a child of this process; its result. */
static int
forked_acct_mgmt(pam_handle_t *pamh)
{
	pid_t pid;
	int st;

	fflush(stdout);
	if ((pid = fork()) == -1)
		return PAM_SYSTEM_ERR;
	if (pid == 0) {
		/* The result goes back as the exit status (PAM codes < 64). */
		_exit(pam_acct_mgmt(pamh, 0));
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return PAM_SYSTEM_ERR;
	return WEXITSTATUS(st);
}

/* One login: returns the first failing PAM code, 0, or -1 on setup error. */
static int
conversation(const struct opts *o, const char *confdir, const char *service,
    const char *user, const char *op)
{
	struct pam_conv conv = {no_conv, NULL};
	pam_handle_t *pamh = NULL;
	int r, ret = 0;

	if (o->spool != NULL && plant_record(o, user) != 0)
		return -1;
	r = pam_start_confdir(service, user, &conv, confdir, &pamh);
	if (r != PAM_SUCCESS) {
		fprintf(stderr, "pam-driver: pam_start: %d\n", r);
		return -1;
	}
	if (o->rhost != NULL &&
	    pam_set_item(pamh, PAM_RHOST, o->rhost) != PAM_SUCCESS) {
		ret = -1;
		goto out;
	}
	if (putenvs(pamh, o->env_acct, o->nenv_acct) != 0) {
		ret = -1;
		goto out;
	}
	if (strcmp(op, "acct") == 0 || strcmp(op, "both") == 0) {
		r = o->fork_acct ? forked_acct_mgmt(pamh)
		                 : pam_acct_mgmt(pamh, 0);
		printf("acct_mgmt: %s\n", pam_name(r));
		if (r != PAM_SUCCESS) {
			ret = r;
			goto out;
		}
	}
	if (strcmp(op, "session") == 0 || strcmp(op, "both") == 0) {
		if (putenvs(pamh, o->env_sess, o->nenv_sess) != 0) {
			ret = -1;
			goto out;
		}
		r = pam_open_session(pamh, 0);
		printf("open_session: %s\n", pam_name(r));
		if (r != PAM_SUCCESS) {
			ret = r;
			goto out;
		}
		r = pam_close_session(pamh, 0);
		printf("close_session: %s\n", pam_name(r));
		if (r != PAM_SUCCESS)
			ret = r;
	}
out:
	pam_end(pamh, ret > 0 ? ret : PAM_SUCCESS);
	return ret;
}

static long long
num(const char *s, long long min, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		usage();
	return v;
}

int
main(int argc, char **argv)
{
	struct opts o;
	const char *op;
	long i;
	int c, r = 0;

	memset(&o, 0, sizeof(o));
	o.count = 1;
	o.entry_id = "pam-test";
	o.how = "normal";
	while ((c = getopt(argc, argv, "e:E:r:n:fw:k:i:c:a:p:S:t:m:")) != -1) {
		switch (c) {
		case 'e':
			if (o.nenv_acct >= MAX_ENV)
				usage();
			o.env_acct[o.nenv_acct++] = optarg;
			break;
		case 'E':
			if (o.nenv_sess >= MAX_ENV)
				usage();
			o.env_sess[o.nenv_sess++] = optarg;
			break;
		case 'r':
			o.rhost = optarg;
			break;
		case 'n':
			o.count = (long)num(optarg, 1, 1000000);
			break;
		case 'f':
			o.fork_acct = 1;
			break;
		case 'w':
			o.spool = optarg;
			break;
		case 'k':
			o.fp = optarg;
			break;
		case 'i':
			o.entry_id = optarg;
			break;
		case 'c':
			o.cert = optarg;
			break;
		case 'a':
			o.account = optarg;
			break;
		case 'p':
			o.pid = (pid_t)num(optarg, 1, INT_MAX);
			break;
		case 'S':
			o.start_delta = num(optarg, -1000000, 1000000);
			break;
		case 't':
			o.age = num(optarg, -1000000, 1000000);
			break;
		case 'm':
			o.how = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 4 || (o.spool != NULL && o.fp == NULL))
		usage();
	op = argv[3];
	if (strcmp(op, "acct") != 0 && strcmp(op, "session") != 0 &&
	    strcmp(op, "both") != 0)
		usage();
	if (pam_start_confdir == NULL) {
		printf("skip: libpam has no pam_start_confdir\n");
		return 77;
	}
	for (i = 0; i < o.count; i++) {
		if ((r = conversation(&o, argv[0], argv[1], argv[2], op)) < 0)
			return 99;
	}
	fflush(stdout);
	return r;
}
