/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libkeyauth-core: the login path of keyauth (policy/README.md).
 *
 * This is the only header keyauth-authorized-keys and pam_keyauth.so see:
 * keys and fingerprints, addresses, the decision, the compiled index
 * reader, authorized_keys lines, audit records, the PAM handoff record,
 * SSH_AUTH_INFO_0 and safe file access; through it the byte buffer
 * (kp-buf.h), the I/O module (kp-io.h) and the default paths (kp-paths.h,
 * made from configure's directories). It knows nothing of YAML; the
 * policy model is in keyauth-policy.h, the security team's views in
 * keyauth-admin.h.
 *
 * Conventions (after OpenSSH's sshbuf/sshkey):
 *  - functions return 0 (KP_OK) or a negative KP_ERR_* code; kp_strerror()
 *    names it;
 *  - output pointers are set to NULL / zeroed on entry, so a caller's
 *    "goto out; free(x)" is always safe;
 *  - the library never logs, prints or exits: problems the user must see go
 *    into a struct kp_diag (file, line, column, message) and the caller
 *    decides what to do with them.
 */
#ifndef KEYAUTH_H
#define KEYAUTH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kp-buf.h"
#include "kp-io.h"
#include "kp-paths.h"

/* ---------------------------------------------------------------- errors */

#define KP_OK 0
#define KP_ERR_NOMEM -1 /* allocation failed */
#define KP_ERR_IO -2 /* read/write/open failed (errno kept) */
#define KP_ERR_INVALID -3 /* policy or input fails validation */
#define KP_ERR_UNSAFE -4 /* file owner, mode, type or link unsafe */
#define KP_ERR_TOOBIG -5 /* over a size, depth or count limit */
#define KP_ERR_CORRUPT -6 /* data (index, key blob) truncated or damaged */
#define KP_ERR_VERSION -7 /* index of another format version */
#define KP_ERR_NOTFOUND -8 /* file or record does not exist */
#define KP_ERR_ARG -9 /* bad argument from the caller */
#define KP_ERR_ROLLBACK -10 /* serial lower than the installed one */
#define KP_ERR_CONFLICT -11 /* same serial, different content */
#define KP_ERR_INTERNAL -12 /* a bug: should not happen */

const char *kp_strerror(int r);

/* ----------------------------------------------------------- diagnostics */

#define KP_DIAG_MSG_MAX 512

/* One located message: an error, or a lint warning. line/column 1-based, 0 = n/a. */
struct kp_diag {
	char file[256];
	unsigned line;
	unsigned column;
	char msg[KP_DIAG_MSG_MAX];
};

/* "file:line:column: msg" (line/column omitted when 0). */
void kp_diag_format(const struct kp_diag *d, char *buf, size_t len);

/* ------------------------------------------------------------- limits */

#define KP_INDEX_MAX_BYTES (4UL * 1024 * 1024 * 1024) /* compiled index */
#define KP_ID_MAX 64
#define KP_ACCOUNT_MAX 32
#define KP_FP_LEN 51 /* "SHA256:" + 43 base64 chars + NUL */
#define KP_VALUE_MAX 4096 /* any scalar other than a key line */
#define KP_KEYLINE_MAX 16384 /* a public key line */

/* ---------------------------------------------------------------- time */

/* Seconds since the epoch, UTC. */
#define KP_TIME_NONE_BEFORE INT64_MIN /* no not_before */
#define KP_TIME_NONE_AFTER INT64_MAX /* no expires */

/*
 * Parse "YYYY-MM-DD" (midnight UTC) or RFC 3339 "YYYY-MM-DDTHH:MM:SS"
 * with optional fraction and "Z" or "+HH:MM"/"-HH:MM" (UTC when no zone).
 */
int kp_time_parse(const char *s, int64_t *out);
/*
 * The current time. Fails (KP_ERR_IO) when the clock cannot be read, so a
 * login path never decides with a bogus "now" (time() returning -1 would
 * make every expired grant valid again).
 */
int kp_now(int64_t *out);
/* "YYYY-MM-DDTHH:MM:SSZ" */
void kp_time_format(int64_t t, char *buf, size_t len);

/* ------------------------------------------------------------- strings */

/* [a-z_][a-z0-9_.-]*, optional trailing '$', 1..32 characters. */
int kp_account_valid(const char *name);
/* [A-Za-z0-9._@+-]{1,64} */
int kp_id_valid(const char *id);
/*
 * A server's own name as the index records it and the front ends accept
 * it (install --host, the helper's -H, the module's host=): 1..255 of
 * [A-Za-z0-9._-].
 */
int kp_host_name_valid(const char *name);
/* Case-insensitive glob (fnmatch) of a host pattern against a hostname. */
int kp_host_match(const char *pattern, const char *host);
/*
 * This machine's name (gethostname) when kp_host_name_valid accepts it:
 * the host the helper, the module and keyauthctl stand for unless told
 * otherwise. len must be at least 256. KP_ERR_IO (errno kept) when the
 * name cannot be read, then buf is ""; KP_ERR_INVALID when it is not a
 * valid host name, then buf holds it for the message only. *why says
 * which.
 */
int kp_host_self(char *buf, size_t len, const char **why);

/* ------------------------------------------------------------ addresses */

/* An address (prefix 32 or 128) or a network. IPv4-mapped IPv6 is stored as IPv4. */
struct kp_cidr {
	uint8_t family; /* 4 or 6 */
	uint8_t prefix; /* 0..32 or 0..128 */
	uint8_t addr[16]; /* IPv4 in addr[0..3] */
};

/* A single IP literal (no prefix). *why is a static message on failure. */
int kp_addr_parse(const char *s, struct kp_cidr *out, const char **why);
/*
 * An address or CIDR; host bits must be zero. *why is a static message on
 * failure ("host bits set" for 10.1.2.3/8).
 */
int kp_cidr_parse(const char *s, struct kp_cidr *out, const char **why);
/*
 * kp_cidr_parse, the reason written into the caller's why (len bytes;
 * KP_CIDR_WHY_MAX is enough), naming the network meant when host bits are
 * set: "host bits set: did you mean 10.0.0.0/8?".
 */
#define KP_CIDR_WHY_MAX 160
int kp_cidr_parse_why(
    const char *s, struct kp_cidr *out, char *why, size_t len);
/* 1 if addr (a single address) lies in net, else 0. */
int kp_cidr_match(const struct kp_cidr *net, const struct kp_cidr *addr);
/*
 * 1 if the union of the networks in a covers every address of the union
 * of b (nb == 0 means "any address"; na == 0 covers everything): whether
 * a from: list admits all that another one did (keyauthctl diff).
 */
int kp_cidrs_cover(
    const struct kp_cidr *a, size_t na, const struct kp_cidr *b, size_t nb);
/*
 * The number of addresses of the given family (4 or 6) in the union of the
 * n networks of c, as a 128-bit number: size[0] the high 64 bits, size[1]
 * the low (all of IPv6 saturates at 2^128 - 1). Networks of the other
 * family are not counted. What lint measures a from: list by (more than a
 * /8, a /32), whatever its spelling.
 */
int kp_cidrs_size(
    const struct kp_cidr *c, size_t n, uint8_t family, uint64_t size[2]);
/* Canonical text: "192.0.2.0/24", "2001:db8::/32", "198.51.100.7" (no /32, /128). */
void kp_cidr_format(const struct kp_cidr *c, char *buf, size_t len);

/* ----------------------------------------------------------------- keys */

struct kp_pubkey {
	char *type; /* "ssh-ed25519", ... */
	char *b64; /* canonical base64 of blob */
	uint8_t *blob; /* NULL in a loaded policy's keys: kp-internal.h */
	size_t bloblen;
	char *comment; /* NULL when the line has none */
	unsigned bits; /* RSA modulus bits; 0 for other types */
	char fp[KP_FP_LEN]; /* SHA256:... as ssh-keygen -l prints it */
};

/*
 * "type base64 [comment]": supported type, base64 decoding to a well-formed
 * blob whose inner type matches, RSA >= 2048 bits. *why names the problem;
 * *col_off is the byte offset in line where it was found.
 */
int kp_pubkey_parse_line(const char *line, struct kp_pubkey **out,
    const char **why, size_t *col_off);
/* The same from separate type and base64 (as sshd passes %t %k). */
int kp_pubkey_parse_parts(const char *type, const char *b64,
    struct kp_pubkey **out, const char **why);
void kp_pubkey_free(struct kp_pubkey *k);
/*
 * 1 when (type, base64), as sshd passes %t %k, is a key sshd may offer but
 * no policy can hold: a type keyauth does not support (a certificate,
 * ssh-dss, a newer type) or an RSA key under 2048 bits. The blob must
 * still decode and name type as its own; anything else (a key
 * kp_pubkey_parse_parts accepts, a malformed one) is 0.
 */
int kp_pubkey_unsupported(const char *type, const char *b64);
/*
 * A plain public key from its wire blob (the type string first): the
 * checks of kp_pubkey_parse_line, the base64 made from the blob. A
 * certificate blob is refused: its type is no plain type.
 */
int kp_pubkey_from_blob(
    const uint8_t *blob, size_t len, struct kp_pubkey **out, const char **why);
/* SHA256:<unpadded base64 of SHA-256(blob)> */
int kp_fingerprint(const uint8_t *blob, size_t len, char out[KP_FP_LEN]);
/* 1 if s looks like "SHA256:" + 43 base64 chars. */
int kp_fingerprint_valid(const char *s);

/* --------------------------------------------------------- certificates */

/* Bounds of a certificate keyauth reads (docs/certificates.md). */
#define KP_CERT_MAX_PRINCIPALS 256 /* as sshd's SSHKEY_CERT_MAX_PRINCIPALS */
#define KP_CERT_NAME_MAX 255 /* one principal */
#define KP_CERT_KEY_ID_MAX 1024
#define KP_CERT_MAX_OPTIONS 64 /* critical options, and extensions */
#define KP_CERT_MAX_SOURCES 64 /* networks of source-address */

#define KP_CERT_USER 1
#define KP_CERT_HOST 2

/* An OpenSSH certificate (PROTOCOL.certkeys), parsed, not verified. */
struct kp_cert {
	struct kp_pubkey *key; /* the certified plain key (fp = sshd's %f) */
	struct kp_pubkey *ca; /* the signature key, a plain key */
	uint64_t serial;
	uint32_t type; /* KP_CERT_USER or KP_CERT_HOST */
	char *key_id;
	char **principals;
	size_t nprincipals;
	uint64_t valid_after;
	uint64_t valid_before;
	char *force_command; /* critical option; NULL when absent */
	struct kp_cidr *sources; /* critical option source-address */
	size_t nsources; /* 0: no source-address */
	int verify_required; /* critical option verify-required */
	size_t nextensions;
};

/*
 * Parse the certificate sshd passes as %t %k, strictly: a certificate
 * type keyauth supports whose blob names it, every field framed and
 * bounded, principals and key id without NUL, valid_after < valid_before
 * not required (sshd judges the window), critical options known ones only
 * (force-command, source-address, verify-required), each once, in order,
 * extensions well framed, reserved empty, the signature key a supported
 * plain key, the signature framed and the last field. The signature is
 * not checked: sshd does that before or after asking. *why names the
 * problem.
 */
int kp_cert_parse(
    const char *type, const char *b64, struct kp_cert **out, const char **why);
/* The same from the certificate's wire blob. */
int kp_cert_parse_blob(
    const uint8_t *blob, size_t len, struct kp_cert **out, const char **why);
void kp_cert_free(struct kp_cert *c);
/* 1 when type names a certificate type ("...-cert-v01@openssh.com"). */
int kp_cert_type(const char *type);

/* ------------------------------------------------------------- decision */

enum kp_reason {
	KP_ALLOWED = 0,
	KP_UNKNOWN_KEY,
	KP_REVOKED,
	KP_ACCOUNT_NOT_ALLOWED,
	KP_HOST_NOT_ALLOWED,
	KP_SOURCE_NOT_ALLOWED,
	KP_SOURCE_UNKNOWN,
	KP_NOT_YET_VALID,
	KP_EXPIRED,
	KP_NO_KEY,
	KP_KEY_MISMATCH,
	KP_POLICY_UNAVAILABLE,
	KP_POLICY_STALE,
	KP_PRINCIPAL_NOT_ALLOWED, /* certificate: no principal the entry needs */
	KP_CERT_INVALID, /* certificate malformed, of the wrong type, ... */
	KP_REASON_COUNT
};

/* "allowed", "unknown_key", ... (docs/audit-log.md). */
const char *kp_reason_str(enum kp_reason r);

struct kp_request {
	const char *account;
	const char *fp; /* fingerprint of the key used */
	const char *client; /* IP literal; NULL or "" when unknown */
	const char *host; /* this server's name */
	int64_t now;
};

/*
 * One grant as the decision sees it, whatever it was read from (the YAML
 * policy or the compiled index). Pointers are borrowed.
 */
struct kp_grant {
	const char *id;
	const char *owner;
	const char *const *accounts;
	size_t naccounts;
	int host_ok; /* the entry applies to the request's host */
	const struct kp_cidr *sources;
	size_t nsources; /* 0: any source */
	int64_t not_before;
	int64_t expires;
	/* a version 2 entry: the grant that made it and the group path */
	const char *grant; /* NULL: a version 1 entry */
	const char *via; /* NULL or "": the grant names the person or key */
};

struct kp_decision {
	enum kp_reason reason;
	char entry_id[KP_ID_MAX + 1]; /* the entry that decided; "" if none */
	size_t entry; /* its place in the grants decided over */
	char owner[KP_VALUE_MAX + 1]; /* owner of the key; "" if unknown */
	/* a certificate allowed: the principal of it that matched */
	char principal[KP_CERT_NAME_MAX + 1];
	uint64_t policy_serial;
	char policy_sha256[65];
	/* the deciding entry's grant and group path; "" for version 1 */
	char grant[KP_ID_MAX + 1];
	char via[KP_VALUE_MAX + 1];
};

/*
 * The decision (docs/policy-format.md, "The decision"), over the grants of the key that was used.
 * policy_expires: the policy's own expiry; revoked: the key (fingerprint or
 * owner) is revoked. When no grant allows, the entry that got furthest
 * (account, then host, then source, then time) decides the reason; ties go
 * to the first entry. Never fails: out is always filled.
 */
void kp_decide(int64_t policy_expires, int revoked,
    const struct kp_grant *grants, size_t ngrants, const struct kp_request *req,
    struct kp_decision *out);

/*
 * 1 if grant g serves account at now: it lists the account, applies to
 * this host (host_ok) and now lies in [not_before, expires). The source is
 * not part of it: a served line carries from= and sshd enforces it. Both
 * kp_decide and kp_index_authorized_keys go through this one rule.
 */
int kp_grant_serves(const struct kp_grant *g, const char *account, int64_t now);

/*
 * 1 when a policy whose own expires is policy_expires is stale at now:
 * from that second on (now >= expires), as a grant ends at its expires.
 * The decision, the helper, install, lint, status and doctor all ask this.
 * KP_TIME_NONE_AFTER (no expires) is later than any time keyauth reads.
 */
int kp_policy_stale(int64_t policy_expires, int64_t now);

/*
 * 1 when the validity window [not_before, expires) of an entry holds a
 * time at all (not_before < expires; KP_TIME_NONE_* for absent bounds).
 * The loader, the compiler and the index reader refuse anything else.
 */
int kp_time_window_valid(int64_t not_before, int64_t expires);

/* ----------------------------------------------------- authorized_keys */

/*
 * The authorized_keys line for one grant, without newline:
 *   [from="a,b",][expiry-time="YYYYMMDDHHMMSSZ",][options,][command="..."] type b64 keyauth:ID
 * The options are written as sshd reads the list given (in order), in one
 * order: restrict and the words re-enabled after it or the no- words,
 * no-touch-required, verify-required, permitopen, permitlisten
 * (docs/policy-format.md). Fails with KP_ERR_INVALID if any part would
 * smuggle a character (control, newline, '"' in command) into the line.
 */
int kp_authkeys_line(const char *type, const char *b64, const char *id,
    const struct kp_cidr *sources, size_t nsources, int64_t expires,
    const char *const *options, size_t noptions, const char *command,
    char **out);

/*
 * The other direction: one authorized_keys line parsed, as keyauthctl
 * import reads a file. Whatever kp_authkeys_line emits parses back to
 * what it was given (the key's comment is then "keyauth:ID"; the options
 * to what sshd makes of them, in the emitter's order).
 */
struct kp_authkey {
	struct kp_pubkey *key;
	struct kp_cidr *sources; /* from="..." */
	size_t nsources;
	int64_t expires; /* expiry-time="..."; KP_TIME_NONE_AFTER */
	char **options; /* the options kept, as kp_authkeys_line writes them */
	size_t noptions;
	char *command; /* command="..."; NULL */
	char **dropped; /* options left out (they do not widen access) */
	size_t ndropped;
	int cert_authority; /* a cert-authority line: a CA, not a key */
	char **principals; /* its principals="..." */
	size_t nprincipals;
};
void kp_authkey_clear(struct kp_authkey *k);

/*
 * Parse one authorized_keys line (not empty, not a comment). Fails
 * (KP_ERR_INVALID, *why) when the line cannot be represented without
 * widening access: a from= with a host name, wildcard or negation, a
 * command with a quote, an option that is unknown (sshd ignores such a
 * line), not allow-listed and restricting (tunnel=), principals= without
 * cert-authority (a cert-authority line sets cert_authority: a CA),
 * an unsupported key. environment= is dropped (reported in dropped).
 * expiry-time without Z is local time, as sshd reads it.
 */
int kp_authkey_parse(
    const char *line, struct kp_authkey *out, const char **why);
/*
 * kp_authkey_parse refuses longer lines (KP_ERR_TOOBIG): a file to import
 * is input from anywhere. kp_authkeys_line may write longer ones (a long
 * from: list), which sshd reads: it has no line limit.
 */
#define KP_AUTHKEY_PARSE_MAX (64 * 1024)

/* ------------------------------------------------------------- files */

/*
 * Read a whole file safely: absolute path, O_NOFOLLOW, regular file, owned
 * by root (or by uid allow_uid when allow_uid != (uid_t)-1), not group- or
 * world-writable, at most max bytes. *why names an unsafe property.
 */
int kp_file_read_safe(const char *path, size_t max, uid_t allow_uid, char **buf,
    size_t *len, const char **why);
/* The same checks on an open descriptor; returns the fd in *fd. */
int kp_file_open_safe(const char *path, size_t max, uid_t allow_uid, int *fd,
    size_t *size, const char **why);
/*
 * Read a whole regular file of at most max bytes, with no owner or mode
 * requirement (files a person hands keyauthctl: a policy in a checkout, an
 * authorized_keys file). KP_FILE_NOFOLLOW: refuse a final symbolic link.
 */
#define KP_FILE_NOFOLLOW 0x01
int kp_file_read(const char *path, size_t max, unsigned flags, char **buf,
    size_t *len, const char **why);
/* The same checks on an open descriptor; returns the fd in *fd. */
int kp_file_open(const char *path, size_t max, unsigned flags, int *fd,
    size_t *size, const char **why);
/* Write a file atomically: temp file in the same directory, fsync, rename, fsync dir. */
int kp_file_write_atomic(
    const char *path, const void *buf, size_t len, mode_t mode);

/* ---------------------------------------------------------- the index */

#define KP_INDEX_FORMAT 1

struct kp_index;

struct kp_index_meta {
	unsigned format;
	uint64_t serial;
	char sha256[65]; /* of the policy YAML */
	char host[256]; /* compiled for */
	int64_t policy_expires;
	int64_t compiled_at;
	uint64_t nentries; /* entries that apply to host */
	uint64_t nkeys; /* distinct fingerprints */
};

/* Open and verify (safe opener, format version, structure, meta record). */
int kp_index_open(
    const char *path, uid_t allow_uid, struct kp_index **out, const char **why);
void kp_index_close(struct kp_index *ix);
const struct kp_index_meta *kp_index_meta(const struct kp_index *ix);

/*
 * 0 if the index was compiled for host (compared case-insensitively, as
 * host names are). An index answers for its own host only: host patterns
 * were resolved when it was compiled. KP_ERR_INVALID when it was compiled
 * for another host, with *why naming both (the text lives in ix until the
 * next call or kp_index_close); KP_ERR_ARG for a NULL or empty host.
 */
int kp_index_check_host(
    const struct kp_index *ix, const char *host, const char **why);

/*
 * The decision (docs/policy-format.md) for req against the index. When req->host
 * is not NULL it must pass kp_index_check_host, else KP_ERR_INVALID with
 * out->reason KP_POLICY_UNAVAILABLE.
 */
int kp_index_decide(
    struct kp_index *ix, const struct kp_request *req, struct kp_decision *out);

/*
 * Call cb with the authorized_keys line of every grant that may log into
 * account on host now: revoked, expired and not-yet-valid grants are
 * skipped. When fp is not NULL only that key's grants. host must pass
 * kp_index_check_host, else KP_ERR_INVALID (KP_ERR_ARG when NULL) and cb is
 * never called. Stops on the first non-zero return of cb and returns it.
 * Memory use does not depend on the index size.
 */
/*
 * The decision for certificate cert offered to log in as req->account
 * (req->fp is not used: the certificate names its key) on req->host at
 * req->now (docs/certificates.md): the CA must be trusted (unknown_key),
 * neither it, its owner, the certified key, the serial nor the key id
 * revoked (revoked), the certificate a user certificate (cert_invalid)
 * within its validity (not_yet_valid, expired), an authority of the CA
 * must grant the account here now (account_not_allowed, ...), and the
 * certificate name a principal it requires (principal_not_allowed).
 * serve (the helper): the source is left to sshd, which enforces the
 * line's from= and the certificate's source-address; else (the module)
 * req->client is checked against both. A certificate force-command that
 * differs from the authority's command is cert_invalid: sshd would refuse
 * the login. When allowed and line is not NULL, *line is the
 * cert-authority line for sshd (the caller frees it). *why names a
 * certificate refusal (static text).
 */
int kp_index_decide_cert(struct kp_index *ix, const struct kp_cert *cert,
    const struct kp_request *req, int serve, struct kp_decision *out,
    char **line, const char **why);

/*
 * rec: the line's record among its key's (1..n), for kp_index_grant_of;
 * 0 for a line no record of a key made.
 */
typedef int (*kp_line_cb)(void *arg, const char *line, const char *fp,
    const char *entry_id, const char *owner, unsigned rec);
int kp_index_authorized_keys(struct kp_index *ix, const char *account,
    const char *fp, const char *host, int64_t now, kp_line_cb cb, void *arg);

/*
 * The grant and group path behind record rec of key fp (version 2: the
 * index's annotation records, docs/index-format.md), copied into
 * grant[KP_ID_MAX + 1] and via[KP_VALUE_MAX + 1]; both "" when the entry
 * came from no grant. One lookup. KP_ERR_CORRUPT for a damaged record.
 */
int kp_index_grant_of(
    struct kp_index *ix, const char *fp, unsigned rec, char *grant, char *via);

/*
 * What the installed index grants on its host, read without the YAML:
 * the iteration API over the index, in two views (struct kp_index_walk),
 * and the report's authorities (kp_index_foreach_authority, below). Pointers are valid during the call only; every record
 * is verified as a lookup verifies it (a damaged one ends the walk with
 * KP_ERR_CORRUPT); the walk stops on the first non-zero return of cb and
 * returns it. Memory use does not depend on the index size.
 *
 * By key (how NULL or by_account 0), in the index's own order, on any
 * index: install's mass-removal guard compares it with a new policy.
 * Each key gives one call per grant; a key with no grant on this host (it
 * is revoked, or its entries name other hosts only) gives host markers
 * (host_marker = 1, accounts only) or, when it has no record at all, one
 * call with id NULL. from, hosts and account are NULL. With authorities
 * set, the certificate authorities' records follow the same way
 * (authority = 1, fp the CA's; a grant's pnames, pfirst and pcount give,
 * for accounts[i], the pcount[i] principals a certificate needs from
 * pnames[pfirst[i]] on, none: the account's own name).
 *
 * By account (by_account 1): the report's rows, one call per (account,
 * entry that applies to the host), revoked keys' entries included
 * (revoked = 1), accounts holding the row's account alone, b64 NULL (a
 * row does not keep it), account, from and hosts (as the policy wrote
 * them) set, and grant and via (a version 2 entry: the grant that made
 * it and the group path through which it reached the key, NULL when
 * named directly; both NULL for an entry no grant made); account NULL
 * walks every account, accounts in the index's order, else that account
 * only, in a number of lookups proportional to its keys' records. Each
 * account's rows come by fingerprint, each key's entries in policy
 * order, the revoked keys' after the others. An index compiled by a
 * keyauth without rows, or with the older per-account row records:
 * KP_ERR_VERSION.
 */
struct kp_index_grant {
	const char *fp;
	const char *owner; /* "" when the policy had none */
	int revoked; /* by fingerprint, key or owner */
	const char *id; /* NULL: the key has no record */
	int host_marker; /* an entry of the key for other hosts */
	const char *type; /* NULL for a marker */
	const char *b64;
	const char *const *accounts;
	size_t naccounts;
	const struct kp_cidr *sources;
	size_t nsources; /* 0: any source */
	const char *const *options;
	size_t noptions;
	const char *command; /* NULL: none */
	int64_t not_before;
	int64_t expires;
	/* by key, with authorities */
	int authority; /* a CA's record (docs/certificates.md) */
	const char *const *pnames;
	const size_t *pfirst;
	const size_t *pcount;
	/* by account only */
	const char *account;
	const char *const *from; /* as written: names and addresses */
	size_t nfrom; /* 0: anywhere */
	const char *const *hosts; /* as written */
	size_t nhosts; /* 0: every host */
	const char *grant; /* NULL: no grant made the entry */
	const char *via; /* NULL: none, or the grant named the person/key */
};
typedef int (*kp_index_grant_cb)(void *arg, const struct kp_index_grant *g);
struct kp_index_walk {
	int by_account;
	const char *account; /* by_account: NULL for every account */
	int authorities; /* by key: the CAs' records too */
};
int kp_index_foreach(struct kp_index *ix, const struct kp_index_walk *how,
    kp_index_grant_cb cb, void *arg);
/*
 * *teams = 1 when the index's rows come from a policy of people, groups
 * and grants (its report shows the grant and group columns). One lookup;
 * KP_ERR_VERSION for an index without rows.
 */
int kp_index_rows_teams(struct kp_index *ix, int *teams);

/*
 * The report's certificate authorities, without the YAML: one call per
 * authority of the policy, in policy order, revoked ones included
 * (revoked = 1; a revoked CA has no grant for logins, but its row stays
 * for the report), those for other hosts too (host_marker = 1, so that a
 * report can tell "none here" from "none at all"; its grant is complete
 * but serves no login). authority = 1, fp the CA's, b64 NULL,
 * from and hosts as written, accounts with their principals (pnames,
 * pfirst, pcount as above), account NULL. A fixed number of lookups per
 * authority, whatever the number of keys. An index compiled by a keyauth
 * without authority rows: KP_ERR_VERSION.
 */
int kp_index_foreach_authority(
    struct kp_index *ix, kp_index_grant_cb cb, void *arg);

/* -------------------------------------------------------- audit records */

enum kp_event {
	KP_EVENT_LOOKUP,
	KP_EVENT_ACCOUNT,
	KP_EVENT_SESSION,
	KP_EVENT_INSTALL /* keyauthctl install or fetch: one per attempt */
};
enum kp_verdict {
	KP_VERDICT_ALLOW,
	KP_VERDICT_DENY,
	KP_VERDICT_WOULD_DENY,
	/* event=install only */
	KP_VERDICT_INSTALLED, /* a new index and KRL are in force */
	KP_VERDICT_UNCHANGED, /* the same policy was already installed */
	KP_VERDICT_REFUSED, /* the policy was refused; nothing changed */
	KP_VERDICT_FAILED /* a system error; nothing changed */
};

/*
 * Why an install ended as it did (docs/audit-log.md): the reason= of an
 * event=install record. ok for installed and unchanged.
 */
enum kp_install_reason {
	KP_IR_OK = 0,
	KP_IR_INVALID, /* the policy fails validation */
	KP_IR_UNSAFE, /* a file's owner, mode or type */
	KP_IR_CONFIG, /* keyauth.conf or allowed_signers is wrong */
	KP_IR_UNSIGNED, /* signatures required, none found */
	KP_IR_BAD_SIGNATURE, /* a signature that does not verify */
	KP_IR_UNKNOWN_SIGNER, /* signed by a key allowed_signers lacks */
	KP_IR_REVOKED_SIGNER, /* signed by a key in revoked_signers */
	KP_IR_UNDER_SIGNED, /* fewer valid distinct signers than required */
	KP_IR_VALIDITY, /* issued/expires missing, too far apart, future */
	KP_IR_STALE, /* the policy's expires has passed */
	KP_IR_ROLLBACK, /* serial lower than the installed one */
	KP_IR_CONFLICT, /* same serial, different content */
	KP_IR_MASS_REMOVAL, /* removes more grants than max_removal */
	KP_IR_ERROR, /* a system error */
	KP_IR_COUNT
};
const char *kp_install_reason_str(enum kp_install_reason r);

struct kp_audit {
	enum kp_event event;
	enum kp_verdict verdict;
	enum kp_reason reason;
	const char *account; /* NULL: "-" */
	const char *key_id;
	const char *owner;
	const char *fp;
	const char *client;
	const char *host;
	uint64_t policy_serial; /* 0: "-" */
	const char *policy_sha256; /* first 16 hex chars are logged */
	const char *error; /* NULL, or why it failed: appended as error=... */
	/* event=install only (reason= comes from install_reason) */
	enum kp_install_reason install_reason;
	const char
	    *signers; /* principals of the counted signatures, ","; NULL */
	uint64_t previous_serial; /* 0: none installed before */
	/*
	 * A certificate's, appended as cert_key_id= cert_serial= ca_fp=
	 * after the others (and after error=) when ca_fp is not NULL: a
	 * plain key's record is unchanged.
	 */
	const char *cert_key_id;
	uint64_t cert_serial;
	const char *ca_fp;
	/*
	 * A version 2 entry's grant, appended as grant= last: absent for a
	 * version 1 entry, whose record is unchanged.
	 */
	const char *grant;
};

/*
 * The record of docs/audit-log.md on one line; an event=install record
 * carries two more fields after the others (and after error=):
 * signers=A,B previous_serial=N. Values with a space, '"', '=',
 * '\\' or bytes outside printable ASCII are quoted, with \" \\ and \xHH
 * escapes; a value over KP_AUDIT_VALUE_MAX bytes is cut and marked "...".
 * Truncates safely (always NUL-terminated, never mid-escape).
 */
int kp_audit_format(const struct kp_audit *a, char *buf, size_t len);
/*
 * The syslog(3) priority a record goes out at: LOG_ERR when it carries an
 * error or the policy is unusable (someone must fix something), else
 * LOG_NOTICE.
 */
int kp_audit_priority(const struct kp_audit *a);
/* "lookup", "account", "session"; "allow", "deny", "would_deny"; NULL if out of range. */
const char *kp_audit_event_str(enum kp_event e);
const char *kp_audit_verdict_str(enum kp_verdict v);
/* How core calls hand their caller the records to log, with a priority. */
typedef void (*kp_record_cb)(void *arg, int priority, const struct kp_audit *a);

/* Longer values are logged cut to this many bytes followed by "...". */
#define KP_AUDIT_VALUE_MAX 256
/* Parsed record: each field's unescaped value ("-" for absent). */
#define KP_AUDIT_NFIELDS 11
struct kp_audit_fields {
	char *value
	    [KP_AUDIT_NFIELDS]; /* in record order: event .. policy_sha256 */
	uint8_t absent[KP_AUDIT_NFIELDS]; /* 1: logged as bare - (not "-") */
	char *error; /* the optional trailing error= field; NULL if none */
	/* a certificate's three fields after error=; NULL otherwise */
	char *cert_key_id;
	char *cert_serial;
	char *ca_fp;
	/* event=install: the two fields after error=; NULL otherwise */
	char *signers;
	char *previous_serial;
	char *grant; /* the optional grant= field, last; NULL if none */
};
extern const char *const kp_audit_field_names[KP_AUDIT_NFIELDS];
/* Parse one record (whole line, fields in order); KP_ERR_INVALID if malformed. */
int kp_audit_parse(const char *line, struct kp_audit_fields *out);
void kp_audit_fields_free(struct kp_audit_fields *f);

/* ----------------------------------------------------- the journal */

/*
 * The record for the systemd journal (journal.c, docs/audit-log.md):
 * appended to out in the journal's native protocol, MESSAGE the front
 * end's syslog message (the record, for the module behind its
 * "pam_keyauth(SERVICE:STAGE): " prefix), PRIORITY priority,
 * SYSLOG_FACILITY authpriv, SYSLOG_IDENTIFIER identifier (the syslog tag),
 * and the record's values as KEYAUTH_EVENT, KEYAUTH_DECISION,
 * KEYAUTH_REASON, KEYAUTH_ACCOUNT, KEYAUTH_KEY_ID, KEYAUTH_OWNER,
 * KEYAUTH_FP, KEYAUTH_CLIENT, KEYAUTH_HOST, KEYAUTH_POLICY_SERIAL,
 * KEYAUTH_POLICY_SHA256, KEYAUTH_ERROR and KEYAUTH_GRANT (absent values
 * left out).
 */
int kp_journal_fields(const struct kp_audit *a, int priority,
    const char *identifier, const char *message, struct kp_buf *out);
#define KP_JOURNAL_SOCKET "/run/systemd/journal/socket"
/*
 * Send one entry (socket_path NULL: KP_JOURNAL_SOCKET), never waiting
 * on a full queue. 0 when journald took it; KP_ERR_NOTFOUND when there is no journald; KP_ERR_IO
 * otherwise. The caller then logs through syslog(3) instead.
 */
int kp_journal_send(const char *socket_path, const void *buf, size_t len);

/* ------------------------------------------------- PAM handoff record */

/*
 * How long a handoff record serves a login: sshd's default LoginGraceTime.
 * sshd cuts off a connection that has not authenticated by then, so an
 * older record can serve no login; the helper, the module and the
 * tmpfiles.d age (authorized-keys-command/keyauth.tmpfiles) remove it.
 */
#define KP_HANDOFF_GRACE 120
/*
 * The most records the spool holds. A live record belongs to a connection
 * that has not authenticated yet, and sshd allows 100 of those by default
 * (MaxStartups): four times that leaves room for a raised limit or a
 * second sshd. At the cap, after the sweep, a new record is refused.
 */
#define KP_HANDOFF_RECORDS_MAX 400

struct kp_handoff {
	pid_t pid; /* the sshd process that ran the helper */
	unsigned long long start; /* its start time, /proc/PID/stat field 22 */
	char account[KP_ACCOUNT_MAX + 1];
	char fp[KP_FP_LEN];
	char entry_id[KP_ID_MAX + 1];
	int64_t time; /* when written */
	/* A certificate: its type and base64 as sshd passed them; "" if none. */
	char cert_type[64];
	char cert_b64[KP_KEYLINE_MAX + 1];
};

/* Start time (clock ticks since boot) of pid from /proc/PID/stat. */
int kp_proc_start_time(pid_t pid, unsigned long long *out);
/* Serialize / parse one record (strict: every field, nothing else). */
int kp_handoff_format(const struct kp_handoff *h, char *buf, size_t len);
int kp_handoff_parse(const char *buf, size_t len, struct kp_handoff *out);
/*
 * Write spool/PID atomically (0600, O_EXCL temp, no links followed),
 * after sweeping the spool (kp_handoff_sweep, with h->time as now).
 * KP_ERR_TOOBIG when KP_HANDOFF_RECORDS_MAX records of other processes
 * are left after the sweep.
 */
int kp_handoff_write(const char *spool, const struct kp_handoff *h);
/*
 * Remove every record of the spool that can serve no login any more:
 * written more than KP_HANDOFF_GRACE seconds before now or dated in the
 * future, or for a process that is gone or has another start time than
 * the record names; and temporary files of writes that never completed.
 * *kept (may be NULL): the records left.
 */
int kp_handoff_sweep(const char *spool, int64_t now, size_t *kept);
/*
 * Read and delete spool/PID for pid: regular file, not a link, owned by the
 * spool directory's owner, mode 0600. Checks are the caller's (see
 * kp_handoff_check).
 */
int kp_handoff_take(
    const char *spool, pid_t pid, struct kp_handoff *out, const char **why);
/* Delete spool/PID if it exists (a record that must not be used). */
int kp_handoff_remove(const char *spool, pid_t pid);
/*
 * Verify a record for (pid, start, account) at now within grace seconds.
 * KP_ERR_NOTFOUND when it can serve no login (an earlier process with this
 * pid, older than grace): the caller treats it as no record at all;
 * KP_ERR_INVALID when it is for another process or account, or dated in
 * the future: forged or broken. *why says which.
 */
int kp_handoff_check(const struct kp_handoff *h, pid_t pid,
    unsigned long long start, const char *account, int64_t now, int64_t grace,
    const char **why);

/* ------------------------------------------------- SSH_AUTH_INFO_0 */

/*
 * Call cb for every "publickey TYPE BASE64" line of an SSH_AUTH_INFO_0
 * value (other methods are skipped). KP_ERR_INVALID on a malformed
 * publickey line. Returns cb's first non-zero value.
 */
typedef int (*kp_authinfo_cb)(void *arg, const char *type, const char *b64);
int kp_authinfo_parse(const char *s, kp_authinfo_cb cb, void *arg);

/* ------------------------------------------- keyauth-authorized-keys */

/*
 * One AuthorizedKeysCommand call as its front end parsed it. Strings are
 * borrowed; they may be hostile (the record carries them cut and quoted).
 */
struct kp_serve_req {
	const char *account; /* %u; NULL when not given */
	const char *fp; /* %f %t %k: the offered key; all NULL when none */
	const char *type;
	const char *b64;
	const char *client; /* canonical client address, or NULL */
	const char *host; /* this host: -H, else kp_host_self() */
	int64_t now;
	const char *index; /* the compiled index */
	const char *spool; /* the handoff spool */
	pid_t sshd; /* the sshd process that ran the command (getppid()) */
	const char *error; /* the front end could not read its inputs: why */
};

/*
 * The whole lookup: write to fd the authorized_keys lines the index
 * grants q->account (only the offered key's when one is given), leave the
 * handoff record when a line goes out for an offered key, and pass record
 * the call's one audit record. Returns 0 when the lines (possibly none)
 * were written. Otherwise the call denies: whatever reached fd must be
 * ignored (the front end exits non-zero, and sshd then discards it), a
 * handoff record already written is removed again, and the record says
 * why.
 */
int kp_serve(
    const struct kp_serve_req *q, int fd, kp_record_cb record, void *arg);

/* ------------------------------------------------------ pam_keyauth */

/* More publickey methods than this in one login is not something sshd does. */
#define KP_LOGIN_MAX_KEYS 16

/* The keys of one login, as fingerprints, each once. */
struct kp_login_keys {
	size_t n;
	char fp[KP_LOGIN_MAX_KEYS][KP_FP_LEN];
	/* a certificate's CA fingerprint; "" for a plain key */
	char ca_fp[KP_LOGIN_MAX_KEYS][KP_FP_LEN];
};

enum kp_login_stage { KP_LOGIN_ACCOUNT, KP_LOGIN_SESSION };

/* What the module must answer; it maps each to one PAM return. */
enum kp_login_outcome {
	KP_LOGIN_ALLOW = 0, /* allowed, or audit mode */
	KP_LOGIN_DENY, /* the policy refuses, or sshd's inputs are forged */
	KP_LOGIN_IGNORE, /* no key and nokey=ignore: the module abstains */
	KP_LOGIN_SYSTEM, /* the login path is broken (index, clock, host) */
	KP_LOGIN_NOMEM,
	KP_LOGIN_BAD_USER, /* no user name, or not a valid account name */
	KP_LOGIN_BAD_CONFIG, /* the module's arguments */
};

/* Notes besides the records (debug, warnings), with a syslog priority. */
typedef void (*kp_note_cb)(void *arg, int priority, const char *msg);

/*
 * One stage of one login, as the module gathered it from PAM. Strings are
 * borrowed; everything sshd or the user controls may be hostile.
 */
struct kp_login_req {
	enum kp_login_stage stage;
	int audit; /* mode=audit: log would_deny, allow */
	int nokey_ignore; /* nokey=ignore */
	/*
	 * The module's arguments are wrong: why, and the argument at fault
	 * (logged cut to printable ASCII; NULL when it is missing). The
	 * login is refused even in audit mode (the argument that says
	 * "audit" is in doubt too); the other fields hold what was read.
	 */
	const char *config_error;
	const char *config_arg;
	const char *index;
	const char *spool;
	const char *host; /* host=, or NULL for kp_host_self() */
	const char *user; /* PAM_USER; NULL when PAM has none */
	const char *ssh_connection; /* PAM environment; NULL when unset */
	const char *auth_info; /* SSH_AUTH_INFO_0; NULL when unset */
	const char *rhost; /* PAM_RHOST; NULL when unset */
	pid_t pid; /* this process (getpid()): its handoff record is ours */
	/*
	 * its parent (getppid()): sshd runs the account stage of a
	 * keyboard-interactive login in a child of the process that ran the
	 * helper, so that one's record is ours too when we have none
	 */
	pid_t ppid;
	/* session: the account stage's keys in this handle; NULL if none */
	const struct kp_login_keys *account_keys;
	/*
	 * account: keep keys for the session stage of this handle; non-zero
	 * when it cannot (out of memory), which refuses the login.
	 */
	int (*keep)(void *arg, const struct kp_login_keys *keys);
	kp_record_cb record; /* each audit record: one per key decided */
	kp_note_cb note; /* may be NULL; LOG_DEBUG notes are diagnostics */
	void *arg; /* for keep, record and note */
};

/*
 * The decision of one PAM stage (docs/pam-setup.md). Account: the keys
 * from the handoff record the helper left for req->pid (else for
 * req->ppid) and from SSH_AUTH_INFO_0; session: the keys of SSH_AUTH_INFO_0, each of which the
 * account stage must have seen. Every key is decided against the index,
 * opened for this call only, with the client address of SSH_CONNECTION
 * (else an IP literal PAM_RHOST); all must be allowed. Hands record one
 * audit record per key decided, or one for the failure or the missing
 * key, and returns what the module answers.
 */
enum kp_login_outcome kp_login_decide(const struct kp_login_req *req);

#endif /* KEYAUTH_H */
