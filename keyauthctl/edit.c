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

/* One edit session: what cmd_edit's stages share, freed in one place. */
struct edit {
	char tmpl[4096]; /* the private directory */
	int have_dir; /* tmpl was made */
	char *path; /* the copy in it */
	char *orig; /* --policy as it was */
	size_t olen;
	char *edited; /* the copy as the editor left it */
	size_t elen;
	struct kp_policy *old; /* NULL: new or invalid, compared with nothing */
	struct kp_policy *new;
	int keep; /* the copy stays for the user */
};

/*
 * The policy as it is now: its bytes, to compare the edit with and to put
 * back if install refuses, and the loaded policy for the access diff. A
 * missing file starts from the smallest valid policy.
 */
static int
edit_current(struct ctl *c, struct edit *e)
{
	struct kp_diag d;
	const char *why = NULL;
	int r;

	if ((r = kp_file_read(
	         c->policy, EDIT_MAX, 0, &e->orig, &e->olen, &why)) != 0) {
		if (r != KP_ERR_NOTFOUND) {
			ctl_err("edit: %s: %s", c->policy,
			    why != NULL ? why : kp_strerror(r));
			return -1;
		}
		if ((e->orig = strdup("version: 1\nserial: 1\n")) == NULL)
			return -1;
		e->olen = strlen(e->orig);
		printf("%s does not exist; starting a new policy\n", c->policy);
	} else if (kp_policy_load(c->policy, 0, &e->old, &d) != 0) {
		ctl_print_diag(stdout, &d, c->policy, "warning",
		    " (the current file is invalid; access is compared with "
		    "nothing)");
	}
	return 0;
}

/*
 * The copy the editor works on, in a directory of its own (mkdtemp: only
 * we can enter it), under $TMPDIR when that is an absolute path.
 */
static int
edit_copy(struct edit *e)
{
	const char *tmpdir = getenv("TMPDIR");

	if (tmpdir != NULL && tmpdir[0] == '/' &&
	    (size_t)snprintf(e->tmpl, sizeof(e->tmpl),
	        "%s/keyauthctl-edit.XXXXXX", tmpdir) < sizeof(e->tmpl)) {
		/* honour TMPDIR */
	} else
		snprintf(e->tmpl, sizeof(e->tmpl), "%s",
		    "/tmp/keyauthctl-edit.XXXXXX");
	if (mkdtemp(e->tmpl) == NULL) {
		ctl_err("edit: cannot create a temporary directory: %s",
		    strerror(errno));
		return -1;
	}
	e->have_dir = 1;
	if (asprintf(&e->path, "%s/policy.yaml", e->tmpl) < 0) {
		e->path = NULL;
		return -1;
	}
	if (write_file(e->path, e->orig, e->olen) != 0) {
		ctl_err("edit: %s: %s", e->path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The editor, again and again until the copy is a valid policy with a
 * greater serial than the current one: an invalid file never goes
 * further. 0: e->new and e->edited hold it; -1: stop, with the exit code
 * in *rc where it is not CTL_SYSERR.
 */
static int
edit_until_valid(struct edit *e, int *rc)
{
	struct kp_diag d;
	const char *why = NULL;
	int r;

	for (;;) {
		if ((r = run_editor(e->path)) != 0) {
			ctl_err("edit: the editor %s; nothing installed",
			    r < 0 ? "could not be started" : "failed");
			e->keep = 1;
			*rc = CTL_REFUSED;
			return -1;
		}
		free(e->edited);
		e->edited = NULL;
		if ((r = kp_file_read(e->path, EDIT_MAX, KP_FILE_NOFOLLOW,
		         &e->edited, &e->elen, &why)) != 0) {
			ctl_err("edit: %s: %s", e->path,
			    why != NULL ? why : kp_strerror(r));
			return -1;
		}
		if (e->elen == e->olen &&
		    memcmp(e->edited, e->orig, e->olen) == 0 &&
		    e->old != NULL) {
			printf("no changes; nothing to install\n");
			*rc = CTL_OK;
			return -1;
		}
		kp_policy_free(e->new);
		e->new = NULL;
		if (kp_policy_load(e->path, 0, &e->new, &d) != 0) {
			ctl_print_diag(stdout, &d, e->path, "error", NULL);
		} else if (e->old != NULL && e->new->serial <= e->old->serial) {
			printf("%s: error: serial %llu must be greater than "
			       "the current serial %llu\n",
			    e->path, (unsigned long long)e->new->serial,
			    (unsigned long long)e->old->serial);
			kp_policy_free(e->new);
			e->new = NULL;
		} else
			return 0;
		if (!ask("The policy is not valid. Edit it again?")) {
			printf("nothing installed; your edit is kept in %s\n",
			    e->path);
			e->keep = 1;
			*rc = CTL_REFUSED;
			return -1;
		}
	}
}

/*
 * What the edit would do, before the user is asked: the linter's
 * warnings, then the change in access against the current file.
 */
static int
edit_show(struct ctl *c, const struct edit *e)
{
	struct kp_diff *df = NULL;
	struct kp_lint l = {0};
	char *text = NULL;
	int r;

	if (kp_policy_lint(e->new, c->now, CTL_LINT_KEEP, &l) == 0)
		ctl_print_lint(stdout, &l, e->path, "warning", NULL);
	kp_lint_free(&l);
	if ((r = kp_diff_policies(e->old, e->new, &df)) == 0 &&
	    (r = kp_diff_format(df, KP_FORMAT_TEXT, &text)) == 0) {
		printf("changes against %s:\n", c->policy);
		fputs(text, stdout);
	} else
		ctl_err("edit: %s", kp_strerror(r));
	free(text);
	kp_diff_free(df);
	return r == 0 ? 0 : -1;
}

/*
 * The edit into --policy, then the ordinary install (cmd_install). When
 * install refuses, --policy gets its previous content back, so that it
 * still holds what is installed; the edit stays for the user.
 */
static int
edit_install(struct ctl *c, struct edit *e)
{
	int rc;

	if (kp_file_write_atomic(c->policy, e->edited, e->elen, 0644) != 0) {
		ctl_err(
		    "edit: cannot write %s: %s", c->policy, strerror(errno));
		e->keep = 1;
		return CTL_SYSERR;
	}
	c->nargs = 0;
	if ((rc = cmd_install(c)) == CTL_OK)
		return rc;
	if (e->old != NULL &&
	    kp_file_write_atomic(c->policy, e->orig, e->olen, 0644) == 0)
		ctl_err("edit: %s restored to its previous content", c->policy);
	else if (e->old == NULL && unlink(c->policy) == 0)
		ctl_err("edit: %s removed again", c->policy);
	else
		ctl_err("edit: could not restore %s", c->policy);
	printf("nothing installed; your edit is kept in %s\n", e->path);
	e->keep = 1;
	return rc;
}

int
cmd_edit(struct ctl *c)
{
	struct edit e;
	int rc = CTL_SYSERR;

	memset(&e, 0, sizeof(e));
	if (edit_current(c, &e) != 0 || edit_copy(&e) != 0 ||
	    edit_until_valid(&e, &rc) != 0 || edit_show(c, &e) != 0)
		goto out;
	if (!ask("Install this policy?")) {
		printf("nothing installed; your edit is kept in %s\n", e.path);
		e.keep = 1;
		rc = CTL_REFUSED;
		goto out;
	}
	rc = edit_install(c, &e);
out:
	if (e.have_dir && !e.keep) {
		if (e.path != NULL)
			unlink(e.path);
		rmdir(e.tmpl);
	}
	kp_policy_free(e.old);
	kp_policy_free(e.new);
	free(e.path);
	free(e.orig);
	free(e.edited);
	return rc;
}
