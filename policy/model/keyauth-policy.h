/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libkeyauth-model: the policy as the security team writes it (YAML),
 * validated into a model, linted, compiled into the index the login path
 * reads, and installed on one server with its KRL (policy/README.md).
 *
 * Used by keyauthctl, the admin layer and the tests; never by the helper
 * or the PAM module, which are compiled without this header's folder on
 * their include path. Like the rest of libkeyauth it never prints: errors
 * are described in a struct kp_diag.
 */
#ifndef KEYAUTH_POLICY_H
#define KEYAUTH_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "keyauth.h"

/* ------------------------------------------------------------- limits */

#define KP_POLICY_MAX_BYTES (256UL * 1024 * 1024) /* policy YAML */
#define KP_POLICY_MAX_DEPTH 16 /* YAML nesting */
#define KP_POLICY_MAX_NODES (64UL * 1024 * 1024) /* YAML scalars+collections */

/* ----------------------------------------------------------------- keys */

/*
 * What a key is worth beyond its framing, judged by libcrypto (keycheck.c):
 * an RSA exponent odd and > 1 and a modulus odd and above it, an ECDSA
 * point on its curve. KP_ERR_INVALID with *why.
 */
int kp_pubkey_check(const struct kp_pubkey *k, const char **why);
/*
 * kp_pubkey_parse_line, then kp_pubkey_check: how keyauthctl reads every
 * key line (the loader, import, explain). *col_off as kp_pubkey_parse_line.
 */
int kp_pubkey_parse_line_checked(const char *line, struct kp_pubkey **out,
    const char **why, size_t *col_off);

/* --------------------------------------------------------------- policy */

struct kp_network {
	char *name;
	struct kp_cidr *addrs;
	size_t naddrs;
	unsigned line, column;
};

struct kp_entry {
	char *id;
	char *owner;
	struct kp_pubkey *key;
	char **accounts;
	size_t naccounts;
	char **hosts; /* nhosts == 0: every host */
	size_t nhosts;
	char **from; /* as written: names and addresses; nfrom == 0: anywhere */
	size_t nfrom;
	struct kp_cidr *sources; /* from, named networks expanded */
	size_t nsources;
	int64_t not_before; /* KP_TIME_NONE_BEFORE when absent */
	int64_t expires; /* KP_TIME_NONE_AFTER when absent */
	char **options;
	size_t noptions;
	char *command; /* NULL when absent */
	char *comment; /* NULL when absent */
	unsigned line, column; /* of the entry's mapping */
};

enum kp_revoke_kind {
	KP_REVOKE_FINGERPRINT,
	KP_REVOKE_KEY,
	KP_REVOKE_OWNER,
};

struct kp_revocation {
	enum kp_revoke_kind kind;
	char *value; /* fingerprint (also for KEY: the key's fp) or owner */
	struct kp_pubkey *key; /* KP_REVOKE_KEY only */
	char *reason;
	int64_t date; /* KP_TIME_NONE_BEFORE when absent */
	unsigned line, column;
};

struct kp_policy {
	uint64_t serial;
	int64_t expires; /* KP_TIME_NONE_AFTER when absent */
	struct kp_network *networks;
	size_t nnetworks;
	struct kp_entry *entries;
	size_t nentries;
	struct kp_revocation *revoked;
	size_t nrevoked;
	char sha256[65]; /* hex SHA-256 of the file's bytes */
	char *path;
	struct kp_revset *revset; /* private: revocation sets, built on load */
};

/* Open policy files with kp_file_read_safe (for installed paths). */
#define KP_LOAD_SAFE 0x01

/*
 * Load and fully validate a policy. On failure *out is NULL, diag names the
 * first error (file:line:column: what was expected).
 */
int kp_policy_load(const char *path, unsigned flags, struct kp_policy **out,
    struct kp_diag *diag);
int kp_policy_load_buf(const char *name, const char *buf, size_t len,
    struct kp_policy **out, struct kp_diag *diag);
void kp_policy_free(struct kp_policy *p);

/* 1 if the key (by fingerprint) or its owner is revoked by the policy. */
int kp_policy_is_revoked(
    const struct kp_policy *p, const char *fp, const char *owner);

/*
 * Lint (docs/policy-format.md, "Lint warnings"). Warnings are returned as an array the caller frees
 * with free(). now is the reference time for "expires within 14 days".
 */
int kp_policy_lint(const struct kp_policy *p, int64_t now,
    struct kp_diag **warnings, size_t *nwarnings);

/*
 * 1 if entry e applies to the server named host: it has no hosts: list,
 * or one of its patterns matches host. A NULL or empty host names no
 * server, so only entries without hosts: apply to it (never "every
 * host": a caller that wants no host filter does not ask). The compiler,
 * the decision on the YAML policy and the report all go through this.
 */
int kp_entry_applies(const struct kp_entry *e, const char *host);

/*
 * The decision's view of entry e on host (kp_entry_applies decides
 * host_ok); pointers are borrowed from e.
 */
void kp_entry_grant(
    const struct kp_entry *e, const char *host, struct kp_grant *g);

/* The decision against a loaded YAML policy (used by keyauthctl explain). */
int kp_policy_decide(const struct kp_policy *p, const struct kp_request *req,
    struct kp_decision *out);

/*
 * Compile p for host into path, atomically (temp file in the same
 * directory, fsync, rename, fsync directory), mode 0640 in the group it
 * is created with (root's, for root): the index says who may log in as
 * whom from where, which is nobody else's business (docs/security.md).
 */
int kp_index_compile(const struct kp_policy *p, const char *host, int64_t now,
    const char *path, struct kp_diag *diag);
/*
 * The same, the file in group gid ((gid_t)-1: as kp_index_compile), so
 * that the AuthorizedKeysCommandUser reads it through its group; the
 * group is set before the file takes path.
 */
int kp_index_compile_group(const struct kp_policy *p, const char *host,
    int64_t now, const char *path, gid_t gid, struct kp_diag *diag);
/* The mode of an installed index (and what doctor expects). */
#define KP_INDEX_MODE 0640
/* The KRL: sshd reads it as root (in its privileged monitor). */
#define KP_KRL_MODE 0600

/* ------------------------------------------------------------ install */

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
 * Run "keygen -q -k -f TMP SPEC" (absolute path, no shell, a fixed
 * environment) and leave the result in krl: a pending atomic replacement
 * of path (kp-io.h) that the caller commits (puts the KRL in place) or
 * aborts. On failure nothing is left behind and errbuf holds what
 * ssh-keygen said.
 */
int kp_install_krl_build(const char *keygen, const char *spec, size_t speclen,
    const char *path, struct kp_atomic *krl, char *errbuf, size_t errlen);

struct kp_install_opts {
	const char *index_path; /* absolute */
	const char *krl_path; /* absolute */
	const char *state_path; /* absolute */
	const char *host;
	const char *keygen; /* absolute path of ssh-keygen */
	uid_t allow_uid; /* besides root, may own the installed files */
	/*
	 * The group of the index (KP_INDEX_MODE): the
	 * AuthorizedKeysCommandUser's, so that the helper reads it and
	 * nobody else does; 0 (root's) when there is no such user.
	 */
	gid_t index_gid;
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

#endif /* KEYAUTH_POLICY_H */
