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
	unsigned file; /* index in kp_policy.files (a directory policy) */
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
	unsigned file; /* index in kp_policy.files (a directory policy) */
	/*
	 * Its strings, lists and key belong to the policy (its arena, or its
	 * teams), not the entry: what the loader makes is so. (Beside file:
	 * a million entries are 8 MB smaller without the padding.)
	 */
	int borrowed;
	/*
	 * Version 2 (people:, groups:, grants:): the loader makes one entry
	 * per (grant, key of a person it names), its restrictions the
	 * grant's, its times the narrower of the key's and the grant's
	 * (docs/policy-format.md, "People, groups and grants"). Such an
	 * entry borrows every string from the policy; for keys: entries
	 * grant and via are NULL.
	 */
	const char *grant; /* the grant's id */
	const char
	    *via; /* the group path ("dba", "staff > dba"); NULL: named */
};

/*
 * A trusted user certificate authority (docs/certificates.md). The
 * fields it shares with a key entry live in e, first, so that every rule
 * of an entry (hosts, from, times, options, command) is the same code;
 * e.key is the CA's public key.
 */
struct kp_principal_list {
	char *account; /* NULL: the list for every account */
	char **names;
	size_t nnames;
};

struct kp_authority {
	struct kp_entry e; /* first: the loader fills both through one table */
	/*
	 * principals: one list for every account (account NULL), or one list
	 * per account; nprincipals == 0: the account's own name, as sshd
	 * requires without principals=.
	 */
	struct kp_principal_list *principals;
	size_t nprincipals;
};

/*
 * The principals a certificate needs to log in as account through
 * authority a: the account's list, the list for all accounts, or (none
 * given) the account name alone. *names is borrowed; when the account's
 * own name is meant, *names is NULL and *n is 0.
 */
void kp_authority_principals(const struct kp_authority *a, const char *account,
    char *const **names, size_t *n);

enum kp_revoke_kind {
	KP_REVOKE_FINGERPRINT,
	KP_REVOKE_KEY,
	KP_REVOKE_OWNER,
	KP_REVOKE_CA, /* every certificate the CA signed (and the CA) */
	KP_REVOKE_SERIAL, /* one serial of one CA */
	KP_REVOKE_KEY_ID, /* one key id of one CA */
};

struct kp_revocation {
	enum kp_revoke_kind kind;
	char *value; /* fingerprint (also for KEY: the key's fp) or owner */
	struct kp_pubkey *key; /* KP_REVOKE_KEY; CA/SERIAL/KEY_ID: the CA
				  when given as a key line, else NULL */
	char *ca_fp; /* CA, SERIAL, KEY_ID: the CA's fingerprint */
	uint64_t serial; /* KP_REVOKE_SERIAL */
	char *key_id; /* KP_REVOKE_KEY_ID */
	char *reason;
	int64_t date; /* KP_TIME_NONE_BEFORE when absent */
	unsigned line, column;
	unsigned file;
};

/* The newest format this keyauth reads (docs/policy-format.md). */
#define KP_POLICY_VERSION_MAX 2

struct kp_policy {
	unsigned version; /* 1 or 2 */
	uint64_t serial;
	int64_t expires; /* KP_TIME_NONE_AFTER when absent */
	int64_t issued; /* version 2; KP_TIME_NONE_BEFORE when absent */
	int has_issued;
	struct kp_network *networks;
	size_t nnetworks;
	struct kp_entry *entries;
	size_t nentries;
	struct kp_revocation *revoked;
	size_t nrevoked;
	struct kp_authority *authorities; /* version 2 */
	size_t nauthorities;
	/* hex SHA-256 of the file's bytes (a directory's: of its canonical form) */
	char sha256[65];
	char *path;
	/*
	 * A directory policy: its files ("DIR/people/a.yaml"), in the order
	 * merged; line numbers of items are in files[item.file]. NULL, 0 for
	 * a single file.
	 */
	char **files;
	size_t nfiles;
	struct kp_revset *revset; /* private: revocation sets, built on load */
	struct kp_teams
	    *teams; /* private: people, groups, grants; NULL if none */
	/* private: what the loaded entries hold (kp-policy.h); NULL if none */
	struct kp_arena *arena;
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

/*
 * Progress of the long phases, for a front end to show (the library never
 * prints): the loader ("loading", entries read) and the compiler
 * ("compiling", entries written) call fn every KP_PROGRESS_STEP items and
 * once more at the end of the phase with done = 1. One hook per process,
 * NULL (the default) for none; the hook must not call back into the
 * library.
 */
#define KP_PROGRESS_STEP 8192
typedef void (*kp_progress_fn)(
    const char *phase, uint64_t count, int done, void *arg);
void kp_progress_set(kp_progress_fn fn, void *arg);

/*
 * The revocation of p that refuses the key fp of owner: one of its
 * fingerprint (or key) first, else one of its owner; NULL when the key is
 * live. What diff reports as the cause of access lost or gained.
 */
const struct kp_revocation *kp_policy_revocation(
    const struct kp_policy *p, const char *fp, const char *owner);

/* 1 if the key (by fingerprint) or its owner is revoked by the policy. */
int kp_policy_is_revoked(
    const struct kp_policy *p, const char *fp, const char *owner);

/*
 * The serial sanity rule (docs/fleet.md): at most 2^53, which leaves
 * every usual scheme (YYYYMMDDnn, Unix time, in milliseconds too) room
 * for centuries, stays exact in JSON, and keeps a fleet far from the
 * 2^63-1 after which no install, no revocation included, is possible.
 * check lints it (--strict refuses), diff warns.
 */
#define KP_SERIAL_SANE_MAX (UINT64_C(1) << 53)
int kp_serial_sane(uint64_t serial);

/*
 * Lint (docs/policy-format.md, "Lint warnings"): findings that are valid
 * but that a reviewer should look at. Each has a kind (its code in
 * brackets, the first word of its message) and a severity: security
 * findings (a door open wider than the policy's author likely meant) come
 * before the rest.
 */
enum kp_lint_severity {
	KP_LINT_SECURITY, /* root without from, whole-internet sources, ... */
	KP_LINT_REVIEW, /* hygiene: expiry, unused items, weak keys */
};

struct kp_lint_kind {
	const char *code; /* "[no-expiry]" */
	enum kp_lint_severity severity;
	const char *many; /* a group of them: "keys have no expires" */
	size_t count; /* exact, kept or not */
};

struct kp_lint_warning {
	struct kp_diag d; /* d.msg starts with the kind's code */
	size_t kind; /* index in kp_lint.kinds */
	const char *subject; /* borrowed from the policy: the id or name the
				finding is about; NULL for the policy itself */
};

struct kp_lint {
	/*
	 * The findings kept: security first, then the rest, each by file,
	 * line and column. At most keep of each kind (kp_policy_lint),
	 * the first ones in policy order.
	 */
	struct kp_lint_warning *w;
	size_t nw;
	struct kp_lint_kind *kinds; /* every kind, counts exact */
	size_t nkinds;
	size_t total; /* every finding, kept or not */
};

/*
 * Lint p at now (the reference for "expires within 14 days") into *out
 * (kp_lint_free). keep: how many findings of each kind to keep; 0 keeps
 * every one. Counts are exact whatever keep is, so that a caller can say
 * "20000 keys have no expires" while holding a few of them (a policy of a
 * million keys without expires would otherwise need a million
 * diagnostics in memory). out->w borrows subjects from p.
 */
int kp_policy_lint(
    const struct kp_policy *p, int64_t now, size_t keep, struct kp_lint *out);
void kp_lint_free(struct kp_lint *l);

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

/*
 * The distinct keys (fingerprints) of p: its keys: entries' and its
 * people's, each once however many entries its grants made.
 */
int kp_policy_nkeys(const struct kp_policy *p, size_t *out);

/* The decision against a loaded YAML policy (used by keyauthctl explain). */
int kp_policy_decide(const struct kp_policy *p, const struct kp_request *req,
    struct kp_decision *out);
/*
 * The same, and *by the entry that decided (NULL when none did): for a
 * version 2 policy it names the grant and the group path (explain).
 */
int kp_policy_decide_by(const struct kp_policy *p, const struct kp_request *req,
    struct kp_decision *out, const struct kp_entry **by);
/*
 * The decision for certificate cert against p on req->host: p compiled
 * for that host into a temporary index of its own (a private directory
 * under tmpdir, NULL: $TMPDIR or /tmp, removed before return) and decided
 * there by the login path's kp_index_decide_cert, so the YAML and the
 * installed index give the same answer (authority, principal, rule).
 * why (whylen bytes) gets the rule that decided, or what failed.
 */
int kp_policy_decide_cert(const struct kp_policy *p, const char *tmpdir,
    const struct kp_cert *cert, const struct kp_request *req,
    struct kp_decision *out, char *why, size_t whylen);

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

/* -------------------------------------------------------- keyauth.conf */

#define KP_CONF_MAX_BYTES (64 * 1024)
#define KP_CONF_SIGNATURES_MAX 32
#define KP_CONF_DEFAULT_MAX_VALIDITY ((int64_t)30 * 86400)
#define KP_CONF_MAX_VALIDITY_MAX ((int64_t)3650 * 86400)
#define KP_CONF_DEFAULT_MAX_REMOVAL 50 /* percent */

/* The server's settings (docs/man/keyauth.conf.5); see kp_conf_init. */
struct kp_conf {
	int present; /* read from a file; 0: no file, the defaults */
	char *path; /* the file read; NULL when none */
	char *allowed_signers; /* absolute path; NULL: none */
	char *revoked_signers; /* absolute path; NULL: none */
	unsigned signatures; /* required distinct signers; 0: none */
	int64_t max_validity; /* longest expires - issued, seconds */
	unsigned max_removal; /* percent of this host's grants */
	char *source; /* URL of the policy for fetch; NULL */
};

/* The defaults: no signatures, max_validity 30d, max_removal 50%. */
void kp_conf_init(struct kp_conf *c);
void kp_conf_clear(struct kp_conf *c);
/*
 * "key = value" lines; diag names the line of the first error (an
 * unknown key, a key twice, a bad value, a rule between keys).
 */
int kp_conf_parse(const char *name, const char *buf, size_t len,
    struct kp_conf *out, struct kp_diag *diag);
/*
 * Read path with kp_file_read_safe (root's, or allow_uid's, and writable
 * by nobody else). A missing file is no error: *out holds the defaults
 * and out->present is 0.
 */
int kp_conf_load(const char *path, uid_t allow_uid, struct kp_conf *out,
    struct kp_diag *diag);
/* The keys the file may hold, in table order (the manual page check). */
size_t kp_conf_nkeys(void);
const char *kp_conf_key_name(size_t i);
/* 1 if url is a source fetch accepts; else 0 and *why says why. */
int kp_fetch_url_valid(const char *url, const char **why);

/* ------------------------------------------------------ signatures */

/* ssh-keygen -Y's namespace: a signature made for another use never counts. */
#define KP_SIG_NAMESPACE "keyauth-policy@keyauth"
#define KP_SIG_MAX_BYTES (64 * 1024) /* one signature file */
#define KP_SIG_MAX_FILES 64 /* signature files beside one policy */
#define KP_SIGNERS_MAX_BYTES (1024 * 1024) /* allowed_signers */

/*
 * The bytes a signature covers, read from path (KP_LOAD_SAFE: with
 * kp_file_read_safe): sign, verify and install all take them from here,
 * and install loads the policy from these same bytes. Today the policy
 * file itself.
 */
int kp_policy_signed_bytes(const char *path, unsigned flags, char **out,
    size_t *len, struct kp_diag *diag);
/* An identity of sign -I: one file-name component (kp_id_valid, no '.' or '-' first). */
int kp_sig_identity_valid(const char *id);
/* POLICY.sig, or POLICY.<identity>.sig. *out is malloc'd. */
int kp_sig_path(const char *policy_path, const char *identity, char **out);
void kp_strv_free(char **v, size_t n);

/*
 * Check an allowed_signers file line by line (OpenSSH's format:
 * principals, optional cert-authority / namespaces= / valid-after= /
 * valid-before=, a supported public key); diag names the first bad line.
 * *principals (when not NULL): the literal principals that can name a
 * signature file (no pattern characters), each once.
 */
int kp_signers_read(const char *path, uid_t allow_uid, char ***principals,
    size_t *nprincipals, struct kp_diag *diag);

enum kp_sig_status {
	KP_SIG_COUNTED, /* a valid signature by an allowed, distinct key */
	KP_SIG_DUPLICATE, /* valid, but by a key already counted */
	KP_SIG_BAD, /* does not verify: changed policy, damage, namespace */
	KP_SIG_UNKNOWN, /* by a key allowed_signers does not name */
	KP_SIG_REVOKED, /* by a key of revoked_signers */
	KP_SIG_NOT_ALLOWED, /* allowed_signers' options refuse it */
	KP_SIG_TOOBIG, /* larger than KP_SIG_MAX_BYTES: never read */
	KP_SIG_UNREADABLE, /* unsafe owner or mode, unreadable */
};

struct kp_sig_result {
	char file[256]; /* its name, beside the policy */
	enum kp_sig_status status;
	char principal[256]; /* "" when unknown */
	char fp[KP_FP_LEN]; /* the signing key; "" when unknown */
	char why[320]; /* for anything but KP_SIG_COUNTED */
};

struct kp_sig_check {
	struct kp_sig_result *sig;
	size_t nsig;
	size_t ncounted; /* distinct keys with a counted signature */
	char signers[512]; /* their principals, "a,b" */
	enum kp_install_reason reason; /* KP_IR_OK when enough counted */
	char msg[KP_DIAG_MSG_MAX]; /* the refusal, one line */
};

struct kp_sig_opts {
	const char *keygen; /* absolute path of ssh-keygen */
	const char *policy_path; /* signatures are looked for beside it */
	const char *allowed_signers;
	const char *revoked_signers; /* NULL: none */
	unsigned required; /* >= 1 */
	const char *conf_name; /* in messages: where required came from */
	const char *workdir; /* a root-owned directory for a private one */
	uid_t allow_uid; /* besides root, may own the signature files */
};

/*
 * Check every POLICY.sig and POLICY.*.sig beside o->policy_path over the
 * signed bytes buf: each with ssh-keygen -Y check-novalidate,
 * find-principals and verify (-r revoked_signers). Returns 0 when the
 * check ran (c->reason says whether enough signatures count), else a
 * system error with diag. Free c with kp_sig_check_free.
 */
int kp_sig_verify(const struct kp_sig_opts *o, const char *buf, size_t len,
    struct kp_sig_check *c, struct kp_diag *diag);
void kp_sig_check_free(struct kp_sig_check *c);

struct kp_sign_opts {
	const char *keygen;
	char *const *envp; /* ssh-keygen's environment (agent, askpass) */
	const char *policy_path;
	const char *key; /* private key, or public key of one in the agent */
	const char *identity; /* NULL: POLICY.sig */
	const char *tmpdir; /* for a private working directory */
};

struct kp_sign_result {
	char *sig_path; /* written; caller frees */
	char fp[KP_FP_LEN]; /* the key that signed */
	uint64_t serial;
	char sha256[65];
};

/*
 * Validate the policy (it must load and carry issued: and expires:),
 * sign its signed bytes with ssh-keygen -Y sign, check the signature and
 * write it atomically to POLICY.sig or POLICY.<identity>.sig.
 */
int kp_policy_sign(const struct kp_sign_opts *o, struct kp_sign_result *res,
    struct kp_diag *diag);

/* ------------------------------------------------- mass-removal guard */

#define KP_REMOVAL_EXAMPLES 3

/* What a new policy takes from this host's granted (account, key) pairs. */
struct kp_removal {
	uint64_t before; /* pairs the installed index grants from now on */
	uint64_t removed; /* of those, no longer granted */
	uint64_t revoked; /* no longer granted because newly revoked */
	size_t nexamples;
	char examples[KP_REMOVAL_EXAMPLES][128]; /* "account <- id (fp...)" */
};

/*
 * Compare the installed index ix with policy p for host at now (a pair
 * counts while its grant has not expired; a pair lost to a revocation in
 * p counts in revoked, not removed).
 */
int kp_removal_count(struct kp_index *ix, const struct kp_policy *p,
    const char *host, int64_t now, struct kp_removal *out);
/* 1 when removed is more than max_percent of before. */
int kp_removal_excessive(const struct kp_removal *rm, unsigned max_percent);

/* -------------------------------------------------------------- fetch */

#define KP_FETCH_POLICY_NAME "policy.yaml" /* the staged policy */
#define KP_FETCH_ATTEMPT_NAME ".attempted" /* what install last took */
#define KP_FETCH_ROUNDS 3
#define KP_FETCH_CONNECT_TIMEOUT 10L /* seconds */
#define KP_FETCH_TIMEOUT 300L /* seconds, one whole transfer */

struct kp_fetch_opts {
	const char *url; /* the policy; signatures at URL.sig, URL.<p>.sig */
	const char *dir; /* the staging directory (created 0700) */
	const char *const *principals; /* allowed_signers' literal ones */
	size_t nprincipals;
	uid_t allow_uid; /* besides root, may own dir */
};

struct kp_fetch_result {
	int changed; /* a staged file was replaced or removed */
	unsigned rounds;
	unsigned nrequests, n200, n304, n404;
	char policy_path[4096]; /* dir/policy.yaml, for install */
};

/*
 * Conditional GETs of the policy and its signatures into o->dir, all or
 * nothing per round, rounds until one sees no change (docs/fleet.md).
 * Fails with diag on a network error, an HTTP status other than 200 and
 * 304 (and 404 for a signature), a body over its limit; nothing staged
 * changes then.
 */
int kp_fetch(const struct kp_fetch_opts *o, struct kp_fetch_result *res,
    struct kp_diag *diag);
/*
 * Whether what is staged in dir is what install last took (*same):
 * kp_fetch_record_attempt(dir, 1) after an install that ended (installed,
 * unchanged, refused), (dir, 0) after one that failed and must be
 * retried.
 */
int kp_fetch_attempted(const char *dir, int *same);
int kp_fetch_record_attempt(const char *dir, int done);

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
/*
 * The same, then p's revoked certificate serials and key ids added one CA
 * at a time ("keygen -q -k -u -f TMP -s CA SPEC"), for every CA whose key
 * the policy holds (an authority's key, or the ca: of a revocation given
 * as a key line). p may be NULL: the hash lines only.
 */
int kp_install_krl_build_policy(const char *keygen, const char *spec,
    size_t speclen, const struct kp_policy *p, const char *path,
    struct kp_atomic *krl, char *errbuf, size_t errlen);
/*
 * The revoked serials and key ids of p that the KRL cannot carry: their
 * CA is given only by fingerprint and the policy holds no key for it
 * (ssh-keygen -k -s needs the key). *n counts them, *first_ca is the
 * fingerprint of the first one's CA (NULL when none); keyauth alone
 * refuses those certificates.
 */
void kp_install_krl_unnamed(
    const struct kp_policy *p, size_t *n, const char **first_ca);

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
	/* docs/fleet.md: signatures, validity, the mass-removal guard */
	const struct kp_conf *conf; /* NULL: the defaults (kp_conf_init) */
	int allow_removal; /* install --allow-removal: the guard is off */
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
	/* certificate revocations not in the KRL (kp_install_krl_unnamed) */
	size_t nkrl_unnamed;
	char krl_unnamed_ca[KP_FP_LEN]; /* the first one's CA */
	/*
	 * The event=install record's fields (kp_install_audit), filled
	 * whatever the outcome.
	 */
	enum kp_verdict verdict; /* installed, unchanged, refused, failed */
	enum kp_install_reason reason;
	uint64_t serial; /* of the policy attempted; 0 if it did not load */
	char sha256[65]; /* "" if it could not be read */
	int signed_checked; /* signatures were required and checked */
	struct kp_sig_check sigs; /* each signature file's verdict */
	int removal_checked; /* the guard compared with an index */
	struct kp_removal removal;
	/*
	 * Advice on what was installed, never a refusal (kp_install_warn):
	 * one message each, for the caller to show; freed by
	 * kp_install_result_free.
	 */
	char **warnings;
	size_t nwarnings;
	size_t nlint; /* lint findings of the installed policy (advice) */
};

/*
 * Above this many revoked keys in the KRL, install warns: OpenSSH loads
 * the whole KRL for every key it checks, twice per login, at a cost that
 * grows with the square of its size (docs/performance.md, "KRL size and
 * login cost": +8 to +12 ms per login at 5,000, +33 at 10,000).
 */
#define KP_KRL_WARN 5000

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

/*
 * How keyauthctl installs: the signed bytes of path (read once, safely),
 * the policy loaded from them; when o->conf requires signatures, the
 * signatures beside path verified over those same bytes and the policy's
 * issued/expires checked against max_validity; then kp_install's stages
 * with the mass-removal guard after the rollback rule. Whatever happens,
 * res says it for the record (verdict, reason, serial, sha256, signers,
 * previous). Free res with kp_install_result_free.
 */
int kp_install_file(const char *path, const struct kp_install_opts *o,
    struct kp_install_result *res, struct kp_diag *diag);
void kp_install_result_free(struct kp_install_result *res);

/*
 * The event=install record of res for host; error (a diag message) is
 * logged as error= when the install did not succeed. Pointers in a are
 * borrowed from res, host and error.
 */
void kp_install_audit(const struct kp_install_result *res, const char *host,
    const char *error, struct kp_audit *a);

/*
 * The rule of a signed policy (docs/fleet.md): issued and expires
 * present, issued not in the future (beyond KP_CLOCK_SKEW), expires -
 * issued at most max_validity. 0, or KP_ERR_INVALID with why.
 */
#define KP_CLOCK_SKEW 300
int kp_policy_validity_check(const struct kp_policy *p, int64_t max_validity,
    int64_t now, char *why, size_t whylen);

#endif /* KEYAUTH_POLICY_H */
