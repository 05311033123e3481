/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyauth.h"
#include "keyauth-admin.h"
#include "keyauthctl.h"

/*
 * keyauthctl import [--owner-from-comment] [--account NAME] FILE|DIR...
 *
 * The policy YAML on standard output, what was left out on standard
 * error as FILE:LINE: messages. A directory is searched (symbolic links
 * not followed) for files named authorized_keys and authorized_keys2.
 * Exit 0, 1 when a key was not imported, 2 when the account of a file
 * cannot be told, 3 when a file cannot be read.
 */

#define IMPORT_FILE_MAX (16UL * 1024 * 1024)
#define IMPORT_DEPTH 8

struct run {
	struct ctl *c;
	struct kp_import *im;
	size_t nfiles;
};

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

int
cmd_import(struct ctl *c)
{
	const struct kp_import_msg *m;
	struct run run;
	struct stat st;
	char *out = NULL;
	size_t nm, i, skipped = 0;
	int k, r, rc = CTL_OK;

	memset(&run, 0, sizeof(run));
	run.c = c;
	if (c->account != NULL && !kp_account_valid(c->account)) {
		ctl_usage_err("import: --account \"%s\" is not a valid account "
		              "name",
		    c->account);
		return CTL_USAGE;
	}
	if ((r = kp_import_new(c->owner_from_comment, &run.im)) != 0) {
		ctl_err("import: %s", kp_strerror(r));
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
		    m[i].skipped ? "error" : "warning", NULL);
		skipped += m[i].skipped != 0;
	}
	if ((r = kp_import_yaml(run.im, &out)) != 0) {
		ctl_err("import: %s", kp_strerror(r));
		rc = CTL_SYSERR;
		goto out;
	}
	fputs(out, stdout);
	ctl_err("import: %zu %s from %zu %s; %zu %s not imported",
	    kp_import_nkeys(run.im),
	    ctl_plural(kp_import_nkeys(run.im), "entry", "entries"), run.nfiles,
	    ctl_plural(run.nfiles, "file", "files"), skipped,
	    ctl_plural(skipped, "line", "lines"));
	rc = skipped > 0 ? CTL_REFUSED : CTL_OK;
out:
	free(out);
	kp_import_free(run.im);
	return rc;
}
