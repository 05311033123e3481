/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyauth.h"
#include "keyauth-admin.h"
#include "keyauthctl.h"

/*
 * keyauthctl import [--owner-from-comment] [--account NAME]
 *     [--passwd FILE] FILE|DIR...
 *
 * The policy YAML on standard output, what was left out on standard
 * error as FILE:LINE: messages. A directory is searched (symbolic links
 * not followed) for files named authorized_keys and authorized_keys2;
 * in a home directory only its .ssh is read. The account of a file is the
 * one its path names, and only when that account owns the home directory
 * and the file (the accounts database, or --passwd FILE); otherwise the
 * file is skipped with a warning. Exit 0, 1 when a key or a file was not
 * imported, 2 when the account of a file cannot be told, 3 when a file
 * cannot be read.
 */

#define IMPORT_FILE_MAX (16UL * 1024 * 1024)
#define PASSWD_MAX (16UL * 1024 * 1024)
#define IMPORT_DEPTH 8

struct run {
	struct ctl *c;
	struct kp_import *im;
	size_t nfiles;
	char *passwd; /* --passwd FILE's text, NULL: this system's database */
	size_t passwdlen;
};

/* The account's uid: 1, 0 when there is none. */
static int
account_uid(const struct run *run, const char *account, uid_t *uid)
{
	struct passwd *pw;
	gid_t gid;

	if (run->passwd != NULL)
		return kp_doctor_passwd_lookup(run->passwd, run->passwdlen,
		           account, uid, &gid) == 0;
	if ((pw = getpwnam(account)) == NULL)
		return 0;
	*uid = pw->pw_uid;
	return 1;
}

/* A name for uid in a message (this system's database only), or NULL. */
static const char *
uid_name(const struct run *run, uid_t uid, char *buf, size_t len)
{
	struct passwd *pw;

	if (run->passwd != NULL || (pw = getpwuid(uid)) == NULL)
		return NULL;
	snprintf(buf, len, "%s", pw->pw_name);
	return buf;
}

/*
 * Whose path is (docs/keyauthctl-import.md): the account the path names,
 * if it owns the home directory and the file. 0, 1 when the file was
 * skipped (a warning says why), or a CTL_* code.
 */
static int
file_owner_ok(struct run *run, const char *path, const char *account)
{
	struct kp_import_owner o;
	struct stat hst, fst;
	char *home, *p, *q, why[KP_DIAG_MSG_MAX], hn[64], fn[64];
	int r;

	if ((home = strdup(path)) == NULL) {
		ctl_err("import: out of memory");
		return CTL_SYSERR;
	}
	/* path ends in NAME/.ssh/authorized_keys{,2}: the home is NAME */
	for (p = strstr(home, "/.ssh/");
	     p != NULL && (q = strstr(p + 1, "/.ssh/")) != NULL; p = q)
		;
	if (p != NULL)
		*p = '\0';
	memset(&o, 0, sizeof(o));
	o.account = account;
	o.known = account_uid(run, account, &o.uid);
	if (lstat(home, &hst) == 0 && S_ISDIR(hst.st_mode)) {
		o.home_is_dir = 1;
		o.home_uid = hst.st_uid;
		o.home_owner = uid_name(run, hst.st_uid, hn, sizeof(hn));
	}
	free(home);
	if (lstat(path, &fst) != 0) {
		ctl_err("import: %s: %s", path, strerror(errno));
		return CTL_SYSERR;
	}
	o.file_uid = fst.st_uid;
	o.file_owner = uid_name(run, fst.st_uid, fn, sizeof(fn));
	if (kp_import_owner_check(&o, why, sizeof(why)) == 0)
		return 0;
	if ((r = kp_import_skip_file(run->im, path, why)) != 0) {
		ctl_err("import: %s", kp_strerror(r));
		return CTL_SYSERR;
	}
	return 1;
}

static int
import_file(struct run *run, const char *path)
{
	char acct[KP_ACCOUNT_MAX + 1], *buf = NULL;
	const char *account = run->c->account, *why = NULL;
	size_t len;
	int r;

	if (account == NULL) {
		if (kp_import_account_from_path(path, acct, sizeof(acct)) !=
		    0) {
			ctl_usage_err("import: cannot tell the account of %s "
			              "from its path (expected "
			              ".../home/NAME/.ssh/authorized_keys or "
			              "/root/.ssh/...); give --account NAME",
			    path);
			return CTL_USAGE;
		}
		account = acct;
		/* The path only proposes: the owners must agree. */
		if ((r = file_owner_ok(run, path, account)) != 0)
			return r == 1 ? CTL_OK : r;
	}
	/* Users' files, read as root: never through a planted link. */
	if ((r = kp_file_read(path, IMPORT_FILE_MAX, KP_FILE_NOFOLLOW, &buf,
	         &len, &why)) != 0) {
		ctl_err(
		    "import: %s: %s", path, why != NULL ? why : kp_strerror(r));
		return CTL_SYSERR;
	}
	r = kp_import_buf(run->im, path, account, buf, len);
	free(buf);
	if (r != 0) {
		ctl_err("import: %s: %s", path, kp_strerror(r));
		return CTL_SYSERR;
	}
	run->nfiles++;
	return CTL_OK;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A home directory: it holds a .ssh directory, or it is the home of the
 * account that owns it. Nothing below a home is searched but its .ssh, so
 * that no directory a user made in her home passes for another home.
 */
static int
is_home(const char *dir)
{
	struct stat st, hst;
	struct passwd *pw;
	char *ssh;
	int r;

	if (asprintf(&ssh, "%s/.ssh", dir) < 0)
		return 0;
	r = lstat(ssh, &st) == 0 && S_ISDIR(st.st_mode);
	free(ssh);
	if (r || lstat(dir, &st) != 0)
		return r;
	return (pw = getpwuid(st.st_uid)) != NULL && pw->pw_dir != NULL &&
	    stat(pw->pw_dir, &hst) == 0 && hst.st_dev == st.st_dev &&
	    hst.st_ino == st.st_ino;
}

/* In a home: its .ssh/authorized_keys and .ssh/authorized_keys2 only. */
static int
import_home(struct run *run, const char *dir)
{
	static const char *const files[] = {
	    "authorized_keys", "authorized_keys2"};
	struct stat st;
	char *path;
	size_t i;
	int rc = CTL_OK;

	for (i = 0; i < 2 && rc == CTL_OK; i++) {
		if (asprintf(&path, "%s%s.ssh/%s", dir,
		        dir[strlen(dir) - 1] == '/' ? "" : "/", files[i]) < 0) {
			ctl_err("import: out of memory");
			return CTL_SYSERR;
		}
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
			rc = import_file(run, path);
		free(path);
	}
	return rc;
}

/* Files called authorized_keys{,2} under dir, in a stable order. */
static int
import_dir(struct run *run, const char *dir, int depth)
{
	struct dirent *de;
	struct stat st;
	char **names = NULL, **tmp, *path = NULL;
	size_t n = 0, i;
	DIR *d;
	int rc = CTL_OK;

	if (depth > IMPORT_DEPTH)
		return CTL_OK;
	if (is_home(dir))
		return import_home(run, dir);
	if ((d = opendir(dir)) == NULL) {
		ctl_err("import: %s: %s", dir, strerror(errno));
		return CTL_SYSERR;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if ((tmp = reallocarray(names, n + 1, sizeof(*tmp))) == NULL ||
		    (tmp[n] = strdup(de->d_name)) == NULL) {
			if (tmp != NULL)
				names = tmp;
			rc = CTL_SYSERR;
			ctl_err("import: out of memory");
			goto out;
		}
		names = tmp;
		n++;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n && rc == CTL_OK; i++) {
		free(path);
		if (asprintf(&path, "%s%s%s", dir,
		        dir[strlen(dir) - 1] == '/' ? "" : "/", names[i]) < 0) {
			path = NULL;
			rc = CTL_SYSERR;
			break;
		}
		if (lstat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			rc = import_dir(run, path, depth + 1);
		else if (S_ISREG(st.st_mode) &&
		    (strcmp(names[i], "authorized_keys") == 0 ||
		        strcmp(names[i], "authorized_keys2") == 0))
			rc = import_file(run, path);
	}
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(path);
	closedir(d);
	return rc;
}

/*
 * --format v2: the imported policy, loaded as keyauth loads it, then
 * converted (policy/admin/convert.c): one person per owner, one grant per
 * set of restrictions, the same access.
 */
static int
as_v2(char **yaml)
{
	struct kp_policy *p = NULL;
	struct kp_diag d;
	char *v2 = NULL;
	size_t nmerged = 0;
	int r;

	if ((r = kp_policy_load_buf("import", *yaml, strlen(*yaml), &p, &d)) !=
	    0) {
		ctl_print_diag(stderr, &d, "import", "error", NULL);
		return CTL_SYSERR;
	}
	r = kp_convert_v2(p, &v2, &nmerged);
	kp_policy_free(p);
	if (r != 0) {
		ctl_err("import: --format v2: %s", kp_strerror(r));
		return CTL_SYSERR;
	}
	free(*yaml);
	*yaml = v2;
	return CTL_OK;
}

int
cmd_import(struct ctl *c)
{
	const struct kp_import_msg *m;
	struct run run;
	struct stat st;
	const char *why = NULL;
	char *out = NULL, merged[64] = "", files[64] = "", cas[64] = "";
	size_t nm, i, skipped = 0, nfskipped = 0;
	int k, r, rc = CTL_OK, v2;

	memset(&run, 0, sizeof(run));
	run.c = c;
	if (c->format != NULL && strcmp(c->format, "v1") != 0 &&
	    strcmp(c->format, "v2") != 0) {
		ctl_usage_err(
		    "import: --format %s: expected v1 or v2", c->format);
		return CTL_USAGE;
	}
	v2 = c->format != NULL && strcmp(c->format, "v2") == 0;
	if (c->account != NULL && !kp_account_valid(c->account)) {
		ctl_usage_err("import: --account \"%s\" is not a valid account "
		              "name",
		    c->account);
		return CTL_USAGE;
	}
	if (c->passwd != NULL &&
	    (r = kp_file_read(c->passwd, PASSWD_MAX, 0, &run.passwd,
	         &run.passwdlen, &why)) != 0) {
		ctl_err("import: --passwd %s: %s", c->passwd,
		    why != NULL ? why : kp_strerror(r));
		return CTL_SYSERR;
	}
	if ((r = kp_import_new(c->owner_from_comment, &run.im)) != 0) {
		ctl_err("import: %s", kp_strerror(r));
		free(run.passwd);
		return CTL_SYSERR;
	}
	for (k = 0; k < c->nargs && rc == CTL_OK; k++) {
		if (stat(c->args[k], &st) != 0) {
			ctl_err("import: %s: %s", c->args[k], strerror(errno));
			rc = CTL_SYSERR;
		} else if (S_ISDIR(st.st_mode))
			rc = import_dir(&run, c->args[k], 0);
		else
			rc = import_file(&run, c->args[k]);
	}
	if (rc != CTL_OK)
		goto out;
	m = kp_import_msgs(run.im, &nm);
	for (i = 0; i < nm; i++) {
		ctl_print_diag(stderr, &m[i].d, "-",
		    m[i].skipped && !m[i].file ? "error" : "warning", NULL);
		skipped += m[i].skipped != 0 && !m[i].file;
		nfskipped += m[i].file != 0;
	}
	if ((r = kp_import_yaml(run.im, &out)) != 0) {
		ctl_err("import: %s", kp_strerror(r));
		rc = CTL_SYSERR;
		goto out;
	}
	if (v2 && (rc = as_v2(&out)) != CTL_OK)
		goto out;
	fputs(out, stdout);
	if (kp_import_nmerged(run.im) > 0)
		snprintf(merged, sizeof(merged), " (%zu for several accounts)",
		    kp_import_nmerged(run.im));
	if (nfskipped > 0)
		snprintf(files, sizeof(files), "; %zu %s skipped", nfskipped,
		    ctl_plural(nfskipped, "file", "files"));
	/* Said only when there are some: a keys-only summary is unchanged. */
	if (kp_import_nauthorities(run.im) > 0)
		snprintf(cas, sizeof(cas), " and %zu %s",
		    kp_import_nauthorities(run.im),
		    ctl_plural(kp_import_nauthorities(run.im), "authority",
		        "authorities"));
	ctl_err("import: %zu %s%s%s from %zu %s; %zu %s not imported%s",
	    kp_import_nkeys(run.im),
	    ctl_plural(kp_import_nkeys(run.im), "entry", "entries"), merged,
	    cas, run.nfiles, ctl_plural(run.nfiles, "file", "files"), skipped,
	    ctl_plural(skipped, "line", "lines"), files);
	rc = skipped > 0 || nfskipped > 0 ? CTL_REFUSED : CTL_OK;
out:
	free(out);
	free(run.passwd);
	kp_import_free(run.im);
	return rc;
}
