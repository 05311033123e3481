/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyauth-policy.h"
#include "keyauth-admin.h"
#include "keyauthctl.h"

/*
 * keyauthctl setup [--apply | --revert] [--have-console]
 *     [--sshd-config-dir DIR] [--pam-file FILE] [--root DIR]
 *
 * Fills in the paths and hands everything to kp_setup(), which shows,
 * applies or reverts the changes and says why it refuses; this prints its
 * report and maps the outcome to an exit code (docs/keyauthctl-setup.md).
 */

#ifndef SSHD_PATH
#define SSHD_PATH "/usr/sbin/sshd"
#endif
#define CHROOT_PATH "/usr/sbin/chroot"
#define SSHD_CONFIG "/etc/ssh/sshd_config"
#define SSHD_CONFIG_DIR "/etc/ssh/sshd_config.d"
#define PAM_SSHD "/etc/pam.d/sshd"

/* path without --root in front, or NULL when it is not under root. */
static const char *
on_system(const char *root, const char *path)
{
	size_t n;

	if (root == NULL)
		return path;
	n = strlen(root);
	if (strncmp(path, root, n) == 0 && path[n] == '/')
		return path + n;
	return NULL;
}

int
cmd_setup(struct ctl *c)
{
	struct kp_setup_opts o;
	struct kp_setup_result res;
	char *root = NULL, hostbuf[256];
	const char *index, *krl;
	size_t n;
	int r, rc = CTL_SYSERR;

	memset(&o, 0, sizeof(o));
	memset(&res, 0, sizeof(res));
	if (c->apply && c->revert) {
		ctl_usage_err("setup: --apply and --revert exclude each other");
		return CTL_USAGE;
	}
	o.mode = c->revert ? KP_SETUP_REVERT
	    : c->apply     ? KP_SETUP_APPLY
	                   : KP_SETUP_SHOW;
	if (c->root != NULL) {
		if ((root = ctl_abspath(c->root)) == NULL) {
			ctl_err("%s: cannot make an absolute path", c->root);
			return CTL_SYSERR;
		}
		for (n = strlen(root); n > 1 && root[n - 1] == '/'; n--)
			root[n - 1] = '\0';
		if (strcmp(root, "/") == 0) {
			free(root);
			root = NULL;
		}
	}
	o.root = root;
	o.sshd_config = SSHD_CONFIG;
	o.snippet_dir =
	    c->sshd_config_dir != NULL ? c->sshd_config_dir : SSHD_CONFIG_DIR;
	o.pam_file = c->pam_file != NULL ? c->pam_file : PAM_SSHD;
	if (o.snippet_dir[0] != '/' || o.pam_file[0] != '/') {
		ctl_usage_err("setup: --sshd-config-dir and --pam-file are "
		              "absolute paths on the system (under --root)");
		rc = CTL_USAGE;
		goto out;
	}
	/*
	 * The lines setup writes name the default index and KRL, as the
	 * helper and the module read them: other paths need options there,
	 * which setup does not write.
	 */
	index = on_system(root, c->index);
	krl = on_system(root, c->krl);
	if (index == NULL || krl == NULL ||
	    strcmp(index, KP_DEFAULT_INDEX) != 0 ||
	    strcmp(krl, KP_DEFAULT_KRL) != 0) {
		ctl_usage_err("setup: the index and the KRL must be the "
		              "default ones, %s and %s (under --root)",
		    KP_DEFAULT_INDEX, KP_DEFAULT_KRL);
		rc = CTL_USAGE;
		goto out;
	}
	if (o.mode != KP_SETUP_SHOW && geteuid() != 0) {
		ctl_err("setup %s needs root: it writes %s/keyauth.conf and %s "
		        "and runs sshd -t",
		    c->revert ? "--revert" : "--apply", o.snippet_dir,
		    o.pam_file);
		goto out;
	}
	o.backup_dir = KP_DEFAULT_SETUP_BACKUP;
	o.pam_module = KP_DEFAULT_PAM_MODULE;
	o.spool = KP_DEFAULT_SPOOL;
	o.passwd = "/etc/passwd";
	o.shells = "/etc/shells";
	o.v.helper = KP_DEFAULT_HELPER;
	o.v.user = c->helper_user;
	o.v.krl = KP_DEFAULT_KRL;
	o.index = c->index;
	o.krl = c->krl;
	if ((o.host = ctl_hostname(c, hostbuf, sizeof(hostbuf))) == NULL)
		goto out;
	o.now = c->now;
	o.have_console = c->have_console;
	o.sshd = SSHD_PATH;
	o.chroot = CHROOT_PATH;
	/* sshd -t needs the host keys; as another user only the diff */
	o.run_sshd = geteuid() == 0;
	/* an image under --root has no sshd running for it */
	o.reload = root == NULL;

	r = kp_setup(&o, &res);
	if (res.out.s != NULL)
		fputs(res.out.s, stdout);
	if (r == 0) {
		rc = CTL_OK;
	} else if (r == KP_ERR_INVALID || r == KP_ERR_CONFLICT ||
	    r == KP_ERR_UNSAFE) {
		ctl_err("setup: %s%s", res.diag.msg,
		    res.nchanged > 0 ? "" : "; nothing changed");
		rc = CTL_REFUSED;
	} else {
		ctl_err("setup: %s",
		    res.diag.msg[0] != '\0' ? res.diag.msg : kp_strerror(r));
		rc = CTL_SYSERR;
	}
out:
	kp_setup_result_free(&res);
	free(root);
	return rc;
}
