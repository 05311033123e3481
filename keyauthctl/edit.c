/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyauth-policy.h"
#include "keyauth-admin.h"
#include "keyauthctl.h"

/*
 * keyauthctl edit, like visudo: copy --policy into a private temporary
 * directory, run $VISUAL / $EDITOR / vi on the copy, validate it (an
 * invalid file offers to edit again and never goes further), show what it
 * does to access against the current file, and only on "y" write it to
 * --policy and install it (keyauthctl install). The answers are read from
 * standard input, one line each.
 */

#define EDIT_MAX (KP_POLICY_MAX_BYTES)

static int
write_file(const char *path, const char *buf, size_t len)
{
	int fd, r, saved;

	if ((fd = open(path,
	         O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600)) <
	    0)
		return -1;
	r = kp_write_all(fd, buf, len);
	saved = errno;
	if (close(fd) != 0)
		return -1;
	errno = saved;
	return r == 0 ? 0 : -1;
}

/* $VISUAL, $EDITOR or vi on path, through sh as visudo and git do. */
static int
run_editor(char *path)
{
	const char *ed = getenv("VISUAL");
	char a0[] = "sh", a1[] = "-c", *cmd = NULL;
	char *argv[6];
	int status = 0, r;

	if (ed == NULL || *ed == '\0')
		ed = getenv("EDITOR");
	if (ed == NULL || *ed == '\0')
		ed = "vi";
	if (asprintf(&cmd, "%s \"$1\"", ed) < 0)
		return -1;
	argv[0] = a0;
	argv[1] = a1;
	argv[2] = cmd;
	argv[3] = a0;
	argv[4] = path;
	argv[5] = NULL;
	fflush(stdout);
	r = kp_run("/bin/sh", argv, NULL, 0, NULL, NULL, &status);
	free(cmd);
	if (r != 0)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

/* 1 for y/yes, 0 for anything else or end of input. */
static int
ask(const char *question)
{
	char line[64];

	printf("%s [y/n] ", question);
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL) {
		putchar('\n');
		return 0;
	}
	if (strchr(line, '\n') == NULL) {
		int ch;

		while ((ch = getchar()) != EOF && ch != '\n')
			;
	}
	return strcmp(line, "y\n") == 0 || strcmp(line, "yes\n") == 0 ||
	    strcmp(line, "y") == 0 || strcmp(line, "Y\n") == 0;
}

int
cmd_edit(struct ctl *c)
{
	struct kp_policy *old = NULL, *new = NULL;
	struct kp_diff *df = NULL;
	struct kp_diag d, *w = NULL;
	char dir[] = "/tmp/keyauthctl-edit.XXXXXX";
	char *path = NULL, *orig = NULL, *edited = NULL, *out = NULL;
	const char *tmpdir;
	size_t olen = 0, elen = 0, nw = 0, i;
	const char *why = NULL;
	int r, rc = CTL_SYSERR, have_dir = 0, keep = 0;
	char tmpl[4096];

	if ((r = kp_file_read(c->policy, EDIT_MAX, 0, &orig, &olen, &why)) !=
	    0) {
		if (r != KP_ERR_NOTFOUND) {
			ctl_err("edit: %s: %s", c->policy,
			    why != NULL ? why : kp_strerror(r));
			return CTL_SYSERR;
		}
		/* Nothing yet: start from the smallest valid policy. */
		if ((orig = strdup("version: 1\nserial: 1\n")) == NULL)
			return CTL_SYSERR;
		olen = strlen(orig);
		printf("%s does not exist; starting a new policy\n", c->policy);
	} else if (kp_policy_load(c->policy, 0, &old, &d) != 0) {
		ctl_print_diag(stdout, &d, c->policy, "warning",
		    " (the current file is invalid; access is compared with "
		    "nothing)");
	}
	tmpdir = getenv("TMPDIR");
	if (tmpdir != NULL && tmpdir[0] == '/' &&
	    (size_t)snprintf(tmpl, sizeof(tmpl), "%s/keyauthctl-edit.XXXXXX",
	        tmpdir) < sizeof(tmpl)) {
		/* honour TMPDIR */
	} else
		snprintf(tmpl, sizeof(tmpl), "%s", dir);
	if (mkdtemp(tmpl) == NULL) {
		ctl_err("edit: cannot create a temporary directory: %s",
		    strerror(errno));
		goto out;
	}
	have_dir = 1;
	if (asprintf(&path, "%s/policy.yaml", tmpl) < 0) {
		path = NULL;
		goto out;
	}
	if (write_file(path, orig, olen) != 0) {
		ctl_err("edit: %s: %s", path, strerror(errno));
		goto out;
	}
	for (;;) {
		if ((r = run_editor(path)) != 0) {
			ctl_err("edit: the editor %s; nothing installed",
			    r < 0 ? "could not be started" : "failed");
			keep = 1;
			rc = CTL_REFUSED;
			goto out;
		}
		free(edited);
		if ((r = kp_file_read(path, EDIT_MAX, KP_FILE_NOFOLLOW, &edited,
		         &elen, &why)) != 0) {
			ctl_err("edit: %s: %s", path,
			    why != NULL ? why : kp_strerror(r));
			goto out;
		}
		if (elen == olen && memcmp(edited, orig, olen) == 0 &&
		    old != NULL) {
			printf("no changes; nothing to install\n");
			rc = CTL_OK;
			goto out;
		}
		kp_policy_free(new);
		new = NULL;
		if (kp_policy_load(path, 0, &new, &d) != 0) {
			ctl_print_diag(stdout, &d, path, "error", NULL);
		} else if (old != NULL && new->serial <= old->serial) {
			printf("%s: error: serial %llu must be greater than "
			       "the current serial %llu\n",
			    path, (unsigned long long)new->serial,
			    (unsigned long long)old->serial);
			kp_policy_free(new);
			new = NULL;
		} else
			break;
		if (!ask("The policy is not valid. Edit it again?")) {
			printf("nothing installed; your edit is kept in %s\n",
			    path);
			keep = 1;
			rc = CTL_REFUSED;
			goto out;
		}
	}
	if (kp_policy_lint(new, c->now, &w, &nw) == 0)
		for (i = 0; i < nw; i++)
			ctl_print_diag(stdout, &w[i], path, "warning", NULL);
	if ((r = kp_diff_policies(old, new, &df)) != 0 ||
	    (r = kp_diff_format(df, KP_FORMAT_TEXT, &out)) != 0) {
		ctl_err("edit: %s", kp_strerror(r));
		goto out;
	}
	printf("changes against %s:\n", c->policy);
	fputs(out, stdout);
	if (!ask("Install this policy?")) {
		printf("nothing installed; your edit is kept in %s\n", path);
		keep = 1;
		rc = CTL_REFUSED;
		goto out;
	}
	/* Into place, then the ordinary install; undo if install refuses. */
	if (kp_file_write_atomic(c->policy, edited, elen, 0644) != 0) {
		ctl_err(
		    "edit: cannot write %s: %s", c->policy, strerror(errno));
		keep = 1;
		goto out;
	}
	c->nargs = 0;
	rc = cmd_install(c);
	if (rc != CTL_OK) {
		if (old != NULL &&
		    kp_file_write_atomic(c->policy, orig, olen, 0644) == 0)
			ctl_err("edit: %s restored to its previous content",
			    c->policy);
		else if (old == NULL && unlink(c->policy) == 0)
			ctl_err("edit: %s removed again", c->policy);
		else
			ctl_err("edit: could not restore %s", c->policy);
		printf("nothing installed; your edit is kept in %s\n", path);
		keep = 1;
	}
out:
	if (have_dir && !keep) {
		if (path != NULL)
			unlink(path);
		rmdir(tmpl);
	}
	free(w);
	free(out);
	kp_diff_free(df);
	kp_policy_free(old);
	kp_policy_free(new);
	free(path);
	free(orig);
	free(edited);
	return rc;
}
