/*
 * Installing a policy on one server: the install state file, the rollback
 * rule, the OpenSSH KRL of revoked keys, and the whole install sequence
 * (used by keyauthctl install; reusable by a future "edit").
 *
 * Part of libkeyauth-policy. Like the rest of the library it never prints:
 * errors are described in a struct kp_diag.
 */
#ifndef KP_INSTALL_H
#define KP_INSTALL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "keyauth.h"

#define KP_STATE_MAX_BYTES 4096
#define KP_STATE_MAGIC "keyauth-install-state 1"

/* What was last installed on this server. */
struct kp_install_state {
	uint64_t serial;
	char sha256[65]; /* hex SHA-256 of the policy file */
	char host[256]; /* the host it was compiled for */
	int64_t installed_at;
};

/*
 * The state file is five lines, nothing else:
 *   keyauth-install-state 1
 *   serial N
 *   sha256 HEX64
 *   host NAME
 *   installed_at YYYY-MM-DDTHH:MM:SSZ
 */
int kp_install_state_format(
    const struct kp_install_state *s, char *buf, size_t len);
/* Strict: any deviation is KP_ERR_CORRUPT with *why naming it. */
int kp_install_state_parse(const char *buf, size_t len,
    struct kp_install_state *out, const char **why);
/* KP_ERR_NOTFOUND when the file does not exist. */
int kp_install_state_read(const char *path, uid_t allow_uid,
    struct kp_install_state *out, const char **why);
/* Atomic (kp_file_write_atomic), mode 0644. */
int kp_install_state_write(const char *path, const struct kp_install_state *s);

/*
 * The rollback rule. installed NULL: nothing installed yet.
 * Returns KP_INSTALL_PROCEED, KP_INSTALL_SAME (same serial, same content),
 * KP_ERR_ROLLBACK (lower serial) or KP_ERR_CONFLICT (same serial,
 * different content).
 */
#define KP_INSTALL_PROCEED 0
#define KP_INSTALL_SAME 1
int kp_install_check(const struct kp_install_state *installed, uint64_t serial,
    const char *sha256);

/*
 * The ssh-keygen KRL specification for p: one "hash: SHA256:..." line per
 * distinct revoked fingerprint, including every key in the policy whose
 * owner is revoked. *out is NUL-terminated, caller frees.
 */
int kp_install_krl_spec(
    const struct kp_policy *p, char **out, size_t *len, size_t *nentries);

/*
 * Run "keygen -q -k -f TMP SPEC" (absolute path, no shell, empty
 * environment) and leave the result in a new temporary file next to path;
 * *tmp_out names it (caller renames or unlinks, and frees). On failure
 * errbuf holds what ssh-keygen said.
 */
int kp_install_krl_build(const char *keygen, const char *spec, size_t speclen,
    const char *path, char **tmp_out, char *errbuf, size_t errlen);

struct kp_install_opts {
	const char *index_path; /* absolute */
	const char *krl_path; /* absolute */
	const char *state_path; /* absolute */
	const char *host;
	const char *keygen; /* absolute path of ssh-keygen */
	uid_t allow_uid; /* besides root, may own the installed files */
	int64_t now;
};

#define KP_INSTALL_DONE 0 /* a new index and KRL are installed */
#define KP_INSTALL_UNCHANGED 1 /* the same policy was already installed */

struct kp_install_result {
	int outcome;
	int had_previous; /* previous is filled */
	struct kp_install_state previous;
	int repaired; /* same policy, but the index/KRL needed rewriting */
	uint64_t nentries; /* entries compiled for the host */
	uint64_t nkeys; /* distinct fingerprints in the index */
	size_t nkrl; /* KRL entries */
};

/*
 * The whole install: create the directories if missing (0755), lock,
 * read the state (missing: the installed index's meta is the baseline),
 * apply the rollback rule, refuse a stale policy, build the KRL, compile
 * the index, put the KRL in place, verify the index, write the state last.
 * Nothing is touched when the rule refuses. Returns 0, KP_ERR_ROLLBACK,
 * KP_ERR_CONFLICT, KP_ERR_INVALID (stale policy, bad host), KP_ERR_CORRUPT
 * (state file), or a system error; diag says what happened.
 */
int kp_install(const struct kp_policy *p, const struct kp_install_opts *o,
    struct kp_install_result *res, struct kp_diag *diag);

#endif /* KP_INSTALL_H */
