/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyauth-policy.h"
#include "keyauth-admin.h"
#include "keyauthctl.h"

/*
 * keyauthctl doctor [--sshd-t-output FILE] [--pam-file FILE] [--root DIR]
 *     [--at TIME]
 *
 * Collects the inputs (sshd -T, the PAM stack, stat of the installed
 * files, the index, the policy file) and lets libkeyauth judge them.
 * --root DIR: paths named by sshd -T, the PAM file, passwd and the spool
 * are looked up under DIR (for tests and for checking a mounted image);
 * --index, --krl, --state and --policy are used as given.
 * Exit 0 clean (warnings allowed), 1 when a problem weakens or breaks
 * enforcement, 3 when the configuration cannot be read.
 */

#ifndef SSHD_PATH
#define SSHD_PATH "/usr/sbin/sshd"
#endif
#define DOCTOR_TEXT_MAX (1024 * 1024)
#define CHAIN_MAX 64

static int
slurp_fd(int fd, char **buf, size_t *len)
{
	size_t n = 0, cap = 8192;
	ssize_t got;
	char *b, *tmp;

	*buf = NULL;
	*len = 0;
	if ((b = malloc(cap + 1)) == NULL)
		return -1;
	for (;;) {
		if (n == cap) {
			if (cap >= DOCTOR_TEXT_MAX) {
				free(b);
				errno = EFBIG;
				return -1;
			}
			cap *= 2;
			if ((tmp = realloc(b, cap + 1)) == NULL) {
				free(b);
				return -1;
			}
			b = tmp;
		}
		got = read(fd, b + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			free(b);
			return -1;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

static int
slurp(const char *path, char **buf, size_t *len)
{
	int fd, r, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	r = slurp_fd(fd, buf, len);
	e = errno;
	close(fd);
	errno = e;
	return r;
}

/* sshd -T, run without a shell; its errors go to our standard error. */
static int
run_sshd_t(char **buf, size_t *len)
{
	char a0[] = SSHD_PATH, a1[] = "-T";
	char *argv[] = {a0, a1, NULL};
	struct kp_buf out;
	int status = 0, truncated = 0;

	*buf = NULL;
	*len = 0;
	kp_buf_init(&out, DOCTOR_TEXT_MAX);
	if (kp_run(SSHD_PATH, argv, NULL, KP_RUN_OUT, &out, &truncated,
	        &status) != 0) {
		kp_buf_free(&out);
		return -1;
	}
	if (truncated) {
		kp_buf_free(&out);
		errno = EFBIG;
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		kp_buf_free(&out);
		errno = EINVAL;
		return -1;
	}
	if (kp_buf_take(&out, buf, len) != 0) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* root + logical, or logical when root is NULL. */
static char *
under(const char *root, const char *logical)
{
	char *s;

	if (root == NULL)
		return strdup(logical);
	if (asprintf(&s, "%s%s", root, logical) < 0)
		return NULL;
	return s;
}

/*
 * Check a trusted file: every component of logical (an absolute path)
 * from the top down, looked up under root. The top ("/" or root itself)
 * is checked only without root.
 */
static int
check_trusted(struct kp_doctor *d, const char *root, const char *logical,
    const char *what, const char *code, int exec)
{
	struct kp_path_stat chain[CHAIN_MAX];
	char *copy, *real, *slash;
	size_t n = 0, i;

	if (logical[0] != '/')
		return 0;
	if ((copy = strdup(logical)) == NULL)
		return -1;
	memset(chain, 0, sizeof(chain));
	if (root == NULL) {
		chain[n].path = "/";
		if (lstat("/", &chain[n].st) != 0)
			chain[n].err = errno;
		n++;
	}
	for (slash = copy + 1;; slash++) {
		slash = strchr(slash, '/');
		if (n >= CHAIN_MAX)
			break;
		if (slash != NULL)
			*slash = '\0';
		if ((chain[n].path = strdup(copy)) == NULL ||
		    (real = under(root, copy)) == NULL) {
			for (i = 0; i <= n; i++)
				if (root != NULL || i > 0)
					free((void *)(uintptr_t)chain[i].path);
			free(copy);
			return -1;
		}
		if (lstat(real, &chain[n].st) != 0)
			chain[n].err = errno;
		free(real);
		n++;
		if (slash == NULL)
			break;
		*slash = '/';
	}
	kp_doctor_trusted_path(d, what, code, chain, n, exec);
	for (i = root == NULL ? 1 : 0; i < n; i++)
		free((void *)(uintptr_t)chain[i].path);
	free(copy);
	return 0;
}

struct incarg {
	const char *dir;
	const char *root;
};

static int
pam_include(void *arg, const char *name, char **text, size_t *len)
{
	struct incarg *ia = arg;
	char *path;
	int r;

	if (strstr(name, "..") != NULL)
		return -1;
	if (name[0] == '/')
		path = under(ia->root, name);
	else if (asprintf(&path, "%s/%s", ia->dir, name) < 0)
		path = NULL;
	if (path == NULL)
		return -1;
	r = slurp(path, text, len);
	free(path);
	return r;
}

/* The option paths (--index, ...) under --root are checked from there. */
static int
check_option_path(struct kp_doctor *d, const char *root, const char *path,
    const char *what, const char *code)
{
	size_t rl = root != NULL ? strlen(root) : 0;

	if (root != NULL && strncmp(path, root, rl) == 0 && path[rl] == '/')
		return check_trusted(d, root, path + rl, what, code, 0);
	return check_trusted(d, NULL, path, what, code, 0);
}

static void
check_writer(struct kp_doctor *d, const char *user, uid_t uid, gid_t gid,
    const gid_t *groups, size_t ngroups, const char *path, const char *what)
{
	struct stat st;
	char dir[4096], *slash;

	if (lstat(path, &st) == 0 &&
	    kp_doctor_may_write(&st, uid, gid, groups, ngroups))
		kp_doctor_add(d, KP_DOCTOR_ERROR, "helper-writes",
		    "chown root and chmod go-w it",
		    "AuthorizedKeysCommandUser %s can write the %s %s: "
		    "whoever runs as that user chooses who logs in",
		    user, what, path);
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (lstat(dir, &st) == 0 &&
		    kp_doctor_may_write(&st, uid, gid, groups, ngroups))
			kp_doctor_add(d, KP_DOCTOR_ERROR, "helper-writes",
			    "chown root and chmod go-w it",
			    "AuthorizedKeysCommandUser %s can write the "
			    "directory %s of the %s: it can replace the file",
			    user, dir, what);
	}
}

static void
check_readers(
    struct kp_doctor *d, struct ctl *c, const char *user, uid_t uid, gid_t gid)
{
	struct stat ix, krl;
	int have_ix, have_krl;

	have_ix = lstat(c->index, &ix) == 0;
	have_krl = lstat(c->krl, &krl) == 0;
	kp_doctor_readers(d, c->index, have_ix ? &ix : NULL, c->krl,
	    have_krl ? &krl : NULL, user, uid, gid);
}

static void
check_user(struct kp_doctor *d, struct ctl *c, const char *user)
{
	struct passwd *pw;
	char *pwpath = NULL, *text = NULL, *spool = NULL;
	gid_t groups[64];
	int ngroups = 64;
	size_t len, ng = 0;
	uid_t uid;
	gid_t gid;
	struct stat st;

	if (c->root != NULL) {
		if ((pwpath = under(c->root, "/etc/passwd")) == NULL ||
		    slurp(pwpath, &text, &len) != 0 ||
		    kp_doctor_passwd_lookup(text, len, user, &uid, &gid) != 0)
			goto missing;
	} else {
		if ((pw = getpwnam(user)) == NULL)
			goto missing;
		uid = pw->pw_uid;
		gid = pw->pw_gid;
		if (getgrouplist(user, gid, groups, &ngroups) >= 0)
			ng = (size_t)ngroups;
	}
	check_readers(d, c, user, uid, gid);
	check_writer(d, user, uid, gid, groups, ng, c->index, "index");
	check_writer(d, user, uid, gid, groups, ng, c->krl, "KRL");
	check_writer(d, user, uid, gid, groups, ng, c->state, "install state");
	if ((spool = under(c->root, KP_DEFAULT_SPOOL)) == NULL)
		goto out;
	if (lstat(spool, &st) != 0)
		kp_doctor_add(d, KP_DOCTOR_ERROR, "spool",
		    "systemd-tmpfiles --create keyauth.conf (the package's "
		    "tmpfiles.d entry)",
		    "the handoff spool %s does not exist: the helper cannot "
		    "hand the key to pam_keyauth, logins are denied",
		    KP_DEFAULT_SPOOL);
	else if (!S_ISDIR(st.st_mode) || st.st_uid != uid ||
	    (st.st_mode & 077) != 0)
		kp_doctor_add(d, KP_DOCTOR_ERROR, "spool",
		    "make it a directory of mode 0700 owned by the helper's "
		    "user",
		    "the handoff spool %s must be a directory of mode 0700 "
		    "owned by %s (it is owned by uid %lu, mode %04o): "
		    "pam_keyauth refuses its records, or someone else can "
		    "forge them",
		    KP_DEFAULT_SPOOL, user, (unsigned long)st.st_uid,
		    (unsigned)(st.st_mode & 07777));
	goto out;
missing:
	kp_doctor_add(d, KP_DOCTOR_ERROR, "helper-user",
	    "create it: adduser --system --group --no-create-home keyauth",
	    "AuthorizedKeysCommandUser %s does not exist: sshd cannot run "
	    "the helper",
	    user);
out:
	free(pwpath);
	free(text);
	free(spool);
}

int
cmd_doctor(struct ctl *c)
{
	struct kp_doctor d;
	struct kp_sshd_conf conf;
	struct kp_index *ix = NULL;
	struct kp_policy *disk = NULL;
	struct kp_diag diag;
	struct incarg ia;
	const char *why = NULL, *host = NULL, *krl;
	char *text = NULL, *pampath = NULL, *pamdir = NULL, *slash;
	char *out = NULL, hostbuf[256];
	size_t len;
	int64_t now = c->now;
	int r, ix_err, disk_err, rc = CTL_SYSERR;

	if (c->at != NULL && ctl_time_arg(c->at, c->now, &now) != 0) {
		ctl_usage_err("doctor: --at %s: expected YYYY-MM-DD or "
		              "YYYY-MM-DDTHH:MM:SSZ",
		    c->at);
		return CTL_USAGE;
	}
	kp_doctor_init(&d);
	memset(&conf, 0, sizeof(conf));
	if (c->sshd_t_output != NULL)
		r = slurp(c->sshd_t_output, &text, &len);
	else
		r = run_sshd_t(&text, &len);
	if (r != 0) {
		ctl_err("doctor: %s: %s",
		    c->sshd_t_output != NULL ? c->sshd_t_output
		                             : SSHD_PATH " -T",
		    c->sshd_t_output != NULL || errno != EINVAL
		        ? strerror(errno)
		        : "failed (run doctor as root, or give "
		          "--sshd-t-output FILE)");
		goto out;
	}
	/* sshd -T names paths as the server sees them: without --root */
	krl = c->krl;
	if (c->root != NULL && strncmp(krl, c->root, strlen(c->root)) == 0 &&
	    krl[strlen(c->root)] == '/')
		krl += strlen(c->root);
	if ((r = kp_doctor_sshd(&d, text, len, krl, &conf)) != 0)
		goto fail;
	if (conf.command_path != NULL && conf.command_path[0] == '/' &&
	    check_trusted(&d, c->root, conf.command_path,
	        "AuthorizedKeysCommand", "helper-path", 1) != 0)
		goto nomem;
	if (conf.command_path != NULL && conf.command_user != NULL &&
	    strcmp(conf.command_user, "none") != 0)
		check_user(&d, c, conf.command_user);
	/* The KRL sshd reads, else the one install writes. */
	if (conf.revokedkeys != NULL && strcmp(conf.revokedkeys, "none") != 0 &&
	    conf.revokedkeys[0] == '/') {
		if (check_trusted(&d, c->root, conf.revokedkeys, "RevokedKeys",
		        "krl", 0) != 0)
			goto nomem;
	} else if (check_option_path(&d, c->root, c->krl, "KRL", "krl") != 0)
		goto nomem;

	/* PAM */
	if (c->pam_file != NULL)
		pampath = strdup(c->pam_file);
	else
		pampath = under(c->root, "/etc/pam.d/sshd");
	if (pampath == NULL || (pamdir = strdup(pampath)) == NULL)
		goto nomem;
	if ((slash = strrchr(pamdir, '/')) != NULL)
		*slash = '\0';
	else
		strcpy(pamdir, ".");
	free(text);
	text = NULL;
	if (slurp(pampath, &text, &len) != 0) {
		kp_doctor_add(&d, KP_DOCTOR_ERROR, "pam-file",
		    "install sshd's PAM configuration with pam_keyauth",
		    "cannot read the PAM configuration %s (%s)", pampath,
		    strerror(errno));
	} else {
		ia.dir = pamdir;
		ia.root = c->root;
		if ((r = kp_doctor_pam(
		         &d, pampath, text, len, pam_include, &ia)) != 0)
			goto fail;
	}

	/* The installed files, the index and the policy on disk. */
	if (check_option_path(&d, c->root, c->index, "index", "index-path") !=
	        0 ||
	    check_option_path(
	        &d, c->root, c->state, "install state", "state-path") != 0)
		goto nomem;
	ix_err = kp_index_open(c->index, geteuid(), &ix, &why);
	disk_err = kp_policy_load(c->policy, 0, &disk, &diag);
	if (disk_err == 0 &&
	    check_option_path(
	        &d, c->root, c->policy, "policy file", "policy-path") != 0)
		goto nomem;
	/* Unknown: ctl_hostname said why, and the host check is skipped. */
	host = ctl_hostname(c, hostbuf, sizeof(hostbuf));
	kp_doctor_index(&d, c->index, ix != NULL ? kp_index_meta(ix) : NULL,
	    ix_err, why, c->policy, disk, disk_err, host, now);

	if ((r = kp_doctor_format(&d, &out)) != 0)
		goto fail;
	fputs(out, stdout);
	rc = d.nerrors > 0 ? CTL_REFUSED : CTL_OK;
	goto out;
nomem:
	r = KP_ERR_NOMEM;
fail:
	ctl_err("doctor: %s", kp_strerror(r));
out:
	if (ix != NULL)
		kp_index_close(ix);
	kp_policy_free(disk);
	kp_sshd_conf_free(&conf);
	kp_doctor_free(&d);
	free(text);
	free(pampath);
	free(pamdir);
	free(out);
	return rc;
}
