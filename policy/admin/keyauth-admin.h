/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The security team's and the auditor's views of a policy: the access
 * report, the access diff between two policies, summaries of audit records,
 * the import of authorized_keys files and the configuration doctor.
 *
 * Part of libkeyauth-admin (keyauthctl report/diff/audit/import/doctor/
 * edit are thin front ends over it). Like the rest of the library it never
 * prints: results are structures, or text the caller writes out.
 */
#ifndef KEYAUTH_ADMIN_H
#define KEYAUTH_ADMIN_H

#include <sys/types.h>
#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "keyauth-policy.h"
#include "kp-internal.h"

/* ------------------------------------------------------------ output */

enum kp_format {
	KP_FORMAT_TEXT,
	KP_FORMAT_CSV,
	KP_FORMAT_JSON,
	KP_FORMAT_HTML
};

/*
 * "text", "csv", "json", "html" -> *out; KP_ERR_ARG for anything
 * else. HTML is written by kp_report_html and kp_auditlog_html only.
 */
int kp_format_parse(const char *s, enum kp_format *out);

/*
 * s as a JSON string with its quotes. Valid UTF-8 passes through; '"',
 * '\\' and control characters are escaped; each byte that is not part of
 * valid UTF-8 is written as \ufffd (the replacement character: never as a
 * character the value did not hold), so any input gives valid JSON. NULL
 * is written as null.
 */
void kp_json_str(struct kp_buf *b, const char *s);
/*
 * s as one RFC 4180 CSV field (quoted when it holds , " CR LF or space).
 * A value a spreadsheet would run as a formula (first character = + - @
 * TAB CR, but not a lone "-") is quoted with a leading ' so it is shown
 * as text (docs/keyauthctl-report.md).
 */
void kp_csv_field(struct kp_buf *b, const char *s);
/*
 * s for a terminal: valid UTF-8 without control characters passes, every
 * other byte (and '\\') is written \xHH. For values read from logs.
 */
void kp_text_safe(struct kp_buf *b, const char *s);
/* Display width of a UTF-8 string (code points; a good enough measure). */
size_t kp_text_width(const char *s);
/* A time as report and diff print it; none when it is absent. */
void kp_buf_put_time(struct kp_buf *b, int64_t t, const char *none);
/* Output limit of the formatters. */
#define KP_ADMIN_OUT_MAX ((size_t)1 << 31)

/*
 * A text table: cells are added left to right, row by row, then written
 * under their headings, every column as wide as its widest cell and two
 * spaces between columns (the last column is not padded). Errors are
 * sticky and come out of kp_table_write.
 */
struct kp_table {
	const char *const *head; /* ncols headings, borrowed */
	size_t ncols;
	struct kp_buf text; /* every cell's text, each NUL-terminated */
	size_t *cell; /* where each cell starts in text */
	size_t ncells, cap;
};

void kp_table_init(struct kp_table *t, const char *const *head, size_t ncols);
void kp_table_free(struct kp_table *t);
/* Start the next cell: its text is what is appended to the buffer returned. */
struct kp_buf *kp_table_cell(struct kp_table *t);
/* The next cell is s ("" for NULL), or s made safe by kp_text_safe. */
void kp_table_put(struct kp_table *t, const char *s);
void kp_table_put_safe(struct kp_table *t, const char *s);
/* Complete rows so far. */
size_t kp_table_rows(const struct kp_table *t);
/* The headings and the rows into b, each line starting with indent. */
int kp_table_write(
    struct kp_buf *b, const struct kp_table *t, const char *indent);

/* ------------------------------------------------------------ report */

enum kp_report_status {
	KP_RS_ACTIVE,
	KP_RS_EXPIRED,
	KP_RS_NOT_YET_VALID,
	KP_RS_REVOKED,
	KP_RS_POLICY_STALE,
};

/* "active", "expired", "not yet valid", "revoked", "policy stale" */
const char *kp_report_status_str(enum kp_report_status s);

/* One (account, entry) pair of the access matrix. Borrowed pointers. */
struct kp_report_row {
	const char *account;
	const struct kp_entry *entry;
	enum kp_report_status status;
};

/* What the rows are grouped by (report --by): the first column. */
enum kp_report_by {
	KP_REPORT_BY_ACCOUNT, /* the default */
	KP_REPORT_BY_GRANT, /* a version 2 grant; "-" for keys: entries */
	KP_REPORT_BY_GROUP, /* the group path; "-" when named directly */
	KP_REPORT_BY_PERSON, /* the owner */
};
/* "grant", "group", "person" into *by; -1 for anything else. */
int kp_report_by_parse(const char *s, enum kp_report_by *by);

struct kp_report_filter {
	const char *account; /* NULL: every account */
	const char *owner; /* NULL: every owner */
	const char *host; /* NULL: every entry; else entries that apply there */
	enum kp_report_by by;
	int installed; /* the rows come from the installed index (header) */
	int teams; /* installed: from a policy of grants (GRANT, VIA) */
};

/* An authority's status at time at: revoked, stale policy, its window. */
enum kp_report_status kp_report_authority_status(
    const struct kp_policy *p, const struct kp_entry *e, int64_t at);

/*
 * The rows of p that pass f, sorted by f->by's column (account by
 * default), then account, then entry id. A version 2 policy's report
 * has GRANT and VIA columns (fields grant and via in CSV and JSON). The
 * status is the decision (kp_decide) at time at for that account and
 * entry, ignoring the client address. *rows (caller frees) borrows from p.
 */
int kp_report_rows(const struct kp_policy *p, const struct kp_report_filter *f,
    int64_t at, struct kp_report_row **rows, size_t *nrows);

/* The whole report as text, CSV or JSON (docs/keyauthctl-report.md). */
int kp_report_format(const struct kp_policy *p,
    const struct kp_report_filter *f, int64_t at,
    const struct kp_report_row *rows, size_t nrows, enum kp_format fmt,
    char **out);

/*
 * The same report from the installed index ix (path names it in the
 * header) instead of the YAML, for the index's host: what
 * kp_report_rows + kp_report_format print for that host, rows for rows,
 * with the header saying where they come from. f->host, if set, must be
 * the index's host (else KP_ERR_ARG); the grant and group columns and
 * f->by grant or group come from the index's grant annotations. An index
 * without report rows (compiled by an older keyauth): KP_ERR_VERSION. Certificate authorities are not listed.
 * --account reads that account's rows only.
 */
struct kp_index;
int kp_report_index(struct kp_index *ix, const char *path,
    const struct kp_report_filter *f, int64_t at, enum kp_format fmt,
    char **out);

/* -------------------------------------------------------------- html */

/*
 * s HTML-escaped into b (policy/admin/html.c): & < > " ' as entities,
 * control characters, kp_char_invisible characters (bidi overrides,
 * zero-width, odd spaces) and bytes that are not UTF-8 shown as their
 * code point (U+202E) or byte (xFF), never as themselves: in text
 * (attr 0) marked by a <span class="esc">, in an attribute value
 * (attr 1) between brackets. NULL writes nothing.
 */
void kp_html_escape(struct kp_buf *b, const char *s, int attr);

/*
 * The report as one self-contained HTML page (docs/keyauthctl-report.md,
 * "HTML"): the state it shows (serial, sha256, host scope, at, now: the
 * time it was made), the access matrix of people by accounts coloured by
 * risk, what ends within 90 days (SVG), revocations, lint findings, and
 * one table of the keys. rows as kp_report_rows made them.
 */
int kp_report_html(const struct kp_policy *p, const struct kp_report_filter *f,
    int64_t at, int64_t now, const struct kp_report_row *rows, size_t nrows,
    char **out);

/* ----------------------------------------------------------- convert */

/*
 * p (version 1: keys: entries only) as version 2 YAML in *out: one
 * person per owner, one grant per distinct set of restrictions; the
 * index compiled from it is p's. *nmerged: entries whose key had another
 * id first (version 2 gives a key one id). KP_ERR_INVALID when p already
 * has people or grants.
 */
int kp_convert_v2(const struct kp_policy *p, char **out, size_t *nmerged);

/* -------------------------------------------------------------- diff */

enum kp_diff_kind {
	KP_DIFF_GAINED, /* a (key, account) pair that could not log in before */
	KP_DIFF_LOST,
	KP_DIFF_WIDENED, /* a restriction of an entry was relaxed */
	KP_DIFF_NARROWED,
	KP_DIFF_CHANGED, /* changed, neither clearly wider nor narrower */
	KP_DIFF_REVOCATION_ADDED,
	KP_DIFF_REVOCATION_REMOVED,
	KP_DIFF_KIND_COUNT
};

/* One change. Strings are owned by the diff. */
struct kp_diff_item {
	enum kp_diff_kind kind;
	char *field; /* "access", "from", "hosts", "expires", "not_before",
	                "options", "command", "owner", "policy expires",
	                "fingerprint", "key", "owner" (revocations) */
	char *key_id; /* NULL for revocations and the policy */
	char *owner;
	char *fp;
	char *accounts; /* "alice, deploy"; NULL if n/a */
	char *detail; /* what changed, in words */
};

struct kp_diff {
	uint64_t old_serial, new_serial;
	int64_t old_expires, new_expires;
	struct kp_diff_item *items;
	size_t nitems;
	size_t count[KP_DIFF_KIND_COUNT];
};

/*
 * What going from old to new does to access. Entries are matched by id;
 * an entry whose key changed counts as the old key's access lost and the
 * new key's access gained. old may be NULL (nothing installed yet).
 */
int kp_diff_policies(const struct kp_policy *old, const struct kp_policy *new,
    struct kp_diff **out);
/* 1 when anything but the serial changed (access, restrictions, revocations). */
int kp_diff_access_changed(const struct kp_diff *d);
int kp_diff_format(const struct kp_diff *d, enum kp_format fmt, char **out);
void kp_diff_free(struct kp_diff *d);

/* ---------------------------------------------------------- audit log */

/* Longest line kept; longer lines are counted as malformed. */
#define KP_AUDITLOG_LINE_MAX (64 * 1024)

struct kp_auditlog;

int kp_auditlog_new(struct kp_auditlog **out);
void kp_auditlog_free(struct kp_auditlog *a);

/*
 * Where the record in line starts: at 0 (a bare record, journalctl -o cat),
 * or right after "keyauth-authorized-keys[PID]: " or, under the tag
 * "SERVICE[PID]:", "pam_keyauth(SERVICE:STAGE): " with STAGE account or
 * session (syslog, journalctl's short formats). Returns 1 and *off; 2
 * for a PAM record under another tag (a forgery: any local user can log
 * under any tag); else 0 (not a keyauth line). When a syslog
 * timestamp leads the line, ts (at least 64 bytes) gets it and *t its
 * time (RFC 3339 stamps; INT64_MIN for "Nov 22 10:00:00" ones, which have
 * no year); else ts is "" and *t INT64_MIN.
 */
int kp_auditlog_locate(const char *line, size_t len, size_t *off, char *ts,
    size_t tslen, int64_t *t);

/*
 * Account for one record (len bytes, the fields from "event=" on) at
 * time t (INT64_MIN: unknown) shown as ts ("" or NULL: none). Counted
 * as a record, or as malformed when it does not parse. For readers of
 * other inputs than syslog text (auditjournal.c), after
 * kp_auditlog_skip(a, KP_AUDITLOG_LINE).
 */
int kp_auditlog_add_record(struct kp_auditlog *a, const char *rec, size_t len,
    const char *ts, int64_t t);
enum kp_auditlog_skip {
	KP_AUDITLOG_LINE, /* one more input line (or journal entry) */
	KP_AUDITLOG_OTHER, /* not a keyauth line */
	KP_AUDITLOG_MALFORMED,
	KP_AUDITLOG_UNTRUSTED, /* a record not written by keyauth's programs */
};
int kp_auditlog_skip(struct kp_auditlog *a, enum kp_auditlog_skip why);
/* What was read: the summary says what can be trusted of it. */
#define KP_AUDITLOG_INPUT_SYSLOG 0x01 /* cannot tell forged lines */
#define KP_AUDITLOG_INPUT_JOURNAL 0x02 /* judged by journald's fields */
void kp_auditlog_input(struct kp_auditlog *a, unsigned input);

/*
 * As kp_auditlog_locate, for keyauthctl's event=install records: bare, or behind a
 * syslog header with the tag keyauthctl[PID]. 1 and *off, else 0.
 */
int kp_auditlog_locate_install(const char *line, size_t len, size_t *off,
    char *ts, size_t tslen, int64_t *t);

/* Account for one line (without its newline); len bytes, may hold NUL. */
int kp_auditlog_add_line(struct kp_auditlog *a, const char *line, size_t len);
/* Every line of f (read with a bounded line length). */
int kp_auditlog_read(struct kp_auditlog *a, FILE *f);
/*
 * The keys for the "never used" section (optional; one of the two, once):
 * those of p, or those of the installed index ix (the same keys and entry
 * ids for the policy it was compiled from: its grants and its other
 * hosts' markers, read through kp_index_foreach). p stays borrowed for
 * the HTML view (its path and serial); the HTML page lists the never-used
 * keys of a policy only.
 */
int kp_auditlog_set_policy(struct kp_auditlog *a, const struct kp_policy *p);
int kp_auditlog_set_index(struct kp_auditlog *a, struct kp_index *ix);
int kp_auditlog_format(
    const struct kp_auditlog *a, enum kp_format fmt, char **out);

/* Counters, for the caller's exit code and for tests. */
struct kp_auditlog_counts {
	uint64_t lines;
	uint64_t records;
	uint64_t malformed; /* looked like a keyauth record, did not parse */
	uint64_t other; /* not keyauth lines: ignored */
	uint64_t untrusted; /* records not written by keyauth's programs */
	uint64_t revoked_tries;
};
void kp_auditlog_counts(
    const struct kp_auditlog *a, struct kp_auditlog_counts *out);

/*
 * The summary as data, for the HTML page (kp_auditlog_html). Strings
 * are borrowed from the summary (and its policy) unless said otherwise;
 * times are the lines' timestamps as written, NULL when none.
 */
struct kp_auditlog_view_day {
	int64_t day; /* its first second (UTC) */
	uint64_t logins; /* from lookups when from_lookups */
	uint64_t denials;
};
struct kp_auditlog_view_key {
	const char *fp, *owner; /* owner: NULL when no record named one */
	char *ids, *accounts; /* ", "-joined, owned */
	uint64_t uses, denials, revoked;
	const char *last_use, *last_revoked;
};
struct kp_auditlog_view_unused {
	char *ids; /* owned */
	const char *owner, *fp;
};
struct kp_auditlog_view_host {
	const char *host;
	const char *serial, *sha256; /* of its newest record; NULL: none */
	const char *last;
	uint64_t records;
};
struct kp_auditlog_view {
	struct kp_auditlog_counts c;
	unsigned inputs; /* KP_AUDITLOG_INPUT_* */
	int from_lookups; /* no PAM records: logins are sshd's lookups */
	uint64_t keys_dropped;
	uint64_t untimed; /* records whose stamp has no year: in no day */
	const char *first, *last;
	uint64_t deny[KP_REASON_COUNT], would_deny[KP_REASON_COUNT];
	struct kp_auditlog_view_day *days; /* by day, only days with records */
	size_t ndays;
	struct kp_auditlog_view_key *keys; /* by owner, fingerprint */
	size_t nkeys;
	struct kp_auditlog_view_unused *unused; /* with keys only */
	size_t nunused;
	struct kp_auditlog_view_host *hosts; /* by name */
	size_t nhosts;
	const struct kp_policy *policy; /* NULL: none given */
	/* unused is known: a policy or the installed index gave the keys */
	int have_unused;
	uint64_t unused_serial; /* the serial of the policy or index */
};
int kp_auditlog_view(
    const struct kp_auditlog *a, struct kp_auditlog_view **out);
void kp_auditlog_view_free(struct kp_auditlog_view *v);
/*
 * The summary as one self-contained HTML page (policy/admin/html.c,
 * docs/keyauthctl-audit.md): logins and denials per day (SVG), denials
 * by reason, revoked keys tried, keys never used, per host the serial
 * its newest record names; now is when it was made.
 */
int kp_auditlog_html(const struct kp_auditlog *a, int64_t now, char **out);

/*
 * The journal (auditjournal.c): entries as `journalctl -o json` writes
 * them, one JSON object per line. An entry counts only when journald
 * says a keyauth program wrote it: a bare record from _UID 0 or
 * helper_uid with _EXE helper_exe, a "pam_keyauth(SERVICE:STAGE): "
 * record from _UID 0 with _EXE sshd_exe. Other entries holding a record
 * are counted as untrusted, whatever their fields say.
 */
struct kp_journal_trust {
	uid_t helper_uid; /* the AuthorizedKeysCommandUser; (uid_t)-1: none */
	const char *helper_exe; /* the installed keyauth-authorized-keys */
	const char *sshd_exe; /* sshd, which loads pam_keyauth.so */
};
/* One entry (len bytes of JSON, without its newline). */
int kp_auditlog_add_journal(struct kp_auditlog *a, const char *json, size_t len,
    const struct kp_journal_trust *t);
/* Every entry of f, one per line (bounded line length). */
int kp_auditlog_read_journal(
    struct kp_auditlog *a, FILE *f, const struct kp_journal_trust *t);

/* ---------------------------------------------- fleet: audit --hosts */

/*
 * The event=install records of many hosts (keyauthctl audit --hosts,
 * docs/fleet.md): per host the serial it enforces, since when, its last
 * install; the hosts behind the newest serial installed anywhere; every
 * refused or failed install and why.
 */
struct kp_hostlog;

int kp_hostlog_new(struct kp_hostlog **out);
void kp_hostlog_free(struct kp_hostlog *h);
int kp_hostlog_add_line(struct kp_hostlog *h, const char *line, size_t len);
int kp_hostlog_read(struct kp_hostlog *h, FILE *f);
/* Text or JSON (KP_ERR_ARG for CSV). */
int kp_hostlog_format(
    const struct kp_hostlog *h, enum kp_format fmt, char **out);

struct kp_hostlog_counts {
	uint64_t lines;
	uint64_t records; /* event=install records */
	uint64_t malformed;
	uint64_t other;
	uint64_t refused; /* refused or failed attempts */
	uint64_t hosts;
	uint64_t lagging; /* hosts behind newest */
	uint64_t newest; /* highest serial any host installed */
};
void kp_hostlog_counts(
    const struct kp_hostlog *h, struct kp_hostlog_counts *out);

/* ------------------------------------------------------------- import */

/*
 * The account an authorized_keys path belongs to: .../home/NAME/.ssh/
 * authorized_keys{,2} gives NAME, .../root/.ssh/... gives root. 0, or
 * KP_ERR_NOTFOUND when the path does not say.
 */
int kp_import_account_from_path(const char *path, char *out, size_t len);

/*
 * Whose an authorized_keys file is, as keyauthctl import found it: the
 * account its path names (.../NAME/.ssh/authorized_keys), that account's
 * uid in the accounts database, and the owners of the home directory
 * (.../NAME) and of the file. Names are for messages (NULL: unknown).
 */
struct kp_import_owner {
	const char *account; /* from the path */
	int known; /* the account exists; uid is its uid */
	uid_t uid;
	int home_is_dir; /* .../NAME is a directory (not a link) */
	uid_t home_uid;
	const char *home_owner;
	uid_t file_uid;
	const char *file_owner;
};
/*
 * 0 when the file may be imported for o->account: the account exists, and
 * it owns both its home directory and the file. Otherwise KP_ERR_UNSAFE
 * and why says whose it is (docs/keyauthctl-import.md): a user can create
 * .../root/.ssh/authorized_keys in a directory of her own, never in
 * root's home and never owned by root.
 */
int kp_import_owner_check(
    const struct kp_import_owner *o, char *why, size_t len);

struct kp_import;

struct kp_import_msg {
	struct kp_diag d; /* file, line (0: the whole file), message */
	int skipped; /* 1: the key (or the file) was not imported; 0: advice */
	int file; /* 1: the whole file was skipped (a warning) */
};

int kp_import_new(int owner_from_comment, struct kp_import **out);
void kp_import_free(struct kp_import *im);
/* Import the contents of one file for account; name is used in messages. */
int kp_import_buf(struct kp_import *im, const char *name, const char *account,
    const char *buf, size_t len);
/* Note that file was not imported at all, and why. */
int kp_import_skip_file(
    struct kp_import *im, const char *file, const char *why);
const struct kp_import_msg *kp_import_msgs(
    const struct kp_import *im, size_t *n);
size_t kp_import_nkeys(const struct kp_import *im);
/* The authorities imported (one per cert-authority line). */
size_t kp_import_nauthorities(const struct kp_import *im);
/* The entries that hold one key for several accounts. */
size_t kp_import_nmerged(const struct kp_import *im);
/* The policy YAML (version 1, serial 1) of everything imported. */
int kp_import_yaml(const struct kp_import *im, char **out);

/* ------------------------------------------------------------- doctor */

enum kp_doctor_level { KP_DOCTOR_WARN, KP_DOCTOR_ERROR };

struct kp_doctor_finding {
	enum kp_doctor_level level; /* ERROR: enforcement is weakened */
	char code[48];
	char problem[512];
	char fix[512];
};

struct kp_doctor {
	struct kp_doctor_finding *f;
	size_t n, cap;
	int err; /* sticky allocation failure */
	size_t nerrors;
};

void kp_doctor_init(struct kp_doctor *d);
void kp_doctor_free(struct kp_doctor *d);
void kp_doctor_add(struct kp_doctor *d, enum kp_doctor_level level,
    const char *code, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* What doctor needs from `sshd -T` (pointers into a private copy). */
struct kp_sshd_conf {
	char *authorizedkeysfile;
	char *command; /* the AuthorizedKeysCommand line, NULL if none */
	char *command_path; /* its first word */
	char *command_user;
	char *revokedkeys;
	char *usedns;
	char *usepam;
	char *buf; /* owns the strings above */
};
void kp_sshd_conf_free(struct kp_sshd_conf *c);
/* Parse the text and add findings about the sshd configuration. */
int kp_doctor_sshd(struct kp_doctor *d, const char *text, size_t len,
    const char *krl_path, struct kp_sshd_conf *out);

/* Read an included PAM file by name ("common-account"): 0 and *text, or <0. */
typedef int (*kp_pam_include_cb)(
    void *arg, const char *name, char **text, size_t *len);
/* Check the PAM stack text of a service (e.g. /etc/pam.d/sshd). */
int kp_doctor_pam(struct kp_doctor *d, const char *name, const char *text,
    size_t len, kp_pam_include_cb include, void *arg);

/* One path component and what lstat said about it (err: its errno, 0 ok). */
struct kp_path_stat {
	const char *path;
	struct stat st;
	int err;
};
/*
 * A file sshd (or the login path) trusts: it and every directory above it
 * (chain[0] the top, chain[n-1] the file) must be owned by root and not
 * writable by group or others; the file must be a regular file (and
 * executable when exec). Adds one finding per problem.
 */
void kp_doctor_trusted_path(struct kp_doctor *d, const char *what,
    const char *code, const struct kp_path_stat *chain, size_t n, int exec);
/* 1 if a process of uid/gid (and groups) may write a file with st. */
int kp_doctor_may_write(const struct stat *st, uid_t uid, gid_t gid,
    const gid_t *groups, size_t ngroups);
/*
 * Who can read the installed files (docs/security.md): the index (ix,
 * NULL when it could not be stat'ed) must be root's, read by the
 * AuthorizedKeysCommandUser user (uid, gid) and by nobody else
 * (KP_INDEX_MODE, its group); the KRL (krl, may be NULL) by root alone
 * (KP_KRL_MODE, sshd reads it in its privileged monitor).
 */
void kp_doctor_readers(struct kp_doctor *d, const char *index_path,
    const struct stat *ix, const char *krl_path, const struct stat *krl,
    const char *user, uid_t uid, gid_t gid);
/* Find name in passwd(5) text: 0 and uid/gid, else KP_ERR_NOTFOUND. */
int kp_doctor_passwd_lookup(
    const char *text, size_t len, const char *name, uid_t *uid, gid_t *gid);
/*
 * The installed index against the policy file on disk. ix_err: the error
 * of kp_index_open (0 when m is valid), why its detail. disk may be NULL
 * (no policy file, or unreadable: disk_err).
 */
void kp_doctor_index(struct kp_doctor *d, const char *index_path,
    const struct kp_index_meta *m, int ix_err, const char *why,
    const char *policy_path, const struct kp_policy *disk, int disk_err,
    const char *host, int64_t now);
/* Text report of the findings (one block per finding, then a summary). */
int kp_doctor_format(const struct kp_doctor *d, char **out);

/* -------------------------------------------------------------- setup */

/*
 * keyauthctl setup (docs/keyauthctl-setup.md): the sshd settings and the
 * PAM lines that enable keyauth, every change shown as a diff before it is
 * made, a backup that --revert restores, and the checks that refuse a
 * change that would not work or would lock everyone out.
 */

/* The sshd keywords setup sets, in file order, and their values. */
#define KP_SETUP_NKW 6
struct kp_setup_values {
	const char *helper; /* AuthorizedKeysCommand's program */
	const char *user; /* AuthorizedKeysCommandUser */
	const char *krl; /* RevokedKeys */
};
/* Keyword k (0..KP_SETUP_NKW-1) as sshd_config spells it; NULL past the end. */
const char *kp_setup_keyword(size_t k);
/* The value setup gives keyword k ("none", "HELPER %u %f %t %k", ...). */
void kp_setup_value(
    const struct kp_setup_values *v, size_t k, char *buf, size_t len);

/*
 * The snippet (sshd_config.d/keyauth.conf) with keyauth enabled: each
 * "#Keyword ..." line the package ships commented out, and each active
 * line of one of the keywords, becomes "Keyword value"; keywords the file
 * lacks are appended; everything else stays byte for byte. exists == 0:
 * a new file. KP_ERR_INVALID (d says where) when the file holds a Match
 * block. *out (caller frees) is NUL-terminated.
 */
int kp_setup_sshd_text(const char *name, const char *old, size_t len,
    int exists, const struct kp_setup_values *v, char **out, size_t *outlen,
    struct kp_diag *d);

/*
 * /etc/pam.d/sshd with pam_keyauth (module: the name or path to write):
 * an account and a session line that doctor accepts are kept; a
 * pam_keyauth line it does not accept (optional, "-account", mode=audit)
 * is replaced in place; a missing one is added right after "@include
 * common-account" (the session line before every other session line).
 * KP_ERR_INVALID when a line must be added and there is no such anchor.
 */
int kp_setup_pam_text(const char *name, const char *old, size_t len,
    const char *module, char **out, size_t *outlen, struct kp_diag *d);

/*
 * What sshd reads before the snippet. The files are named by their paths
 * on the system (under --root the callbacks add the prefix): glob gives
 * the existing files matching an Include pattern (any order, caller's
 * strings freed here), read a file's text.
 */
typedef int (*kp_setup_glob_cb)(
    void *arg, const char *pattern, char ***paths, size_t *n);
typedef int (*kp_setup_read_cb)(
    void *arg, const char *path, char **text, size_t *len);
struct kp_setup_conflict {
	char where[300]; /* FILE:LINE */
	char keyword[32];
	char value[256];
};
struct kp_setup_scan {
	int included; /* an Include outside Match reads the snippet */
	char include_where[300];
	char match_include[300]; /* an Include inside Match names it */
	/* keyauth's keywords set to another value before the snippet */
	size_t nconflicts;
	struct kp_setup_conflict conflict[KP_SETUP_NKW];
};
int kp_setup_sshd_scan(const char *main_path, const char *text, size_t len,
    const char *snippet, const struct kp_setup_values *v, kp_setup_glob_cb glob,
    kp_setup_read_cb read, void *arg, struct kp_setup_scan *out);

/* What `sshd -T` says (pointers into buf). */
struct kp_setup_sshd_t {
	const char *kw[KP_SETUP_NKW]; /* keyauth's keywords; NULL: not shown */
	const char *pidfile;
	const char *permitrootlogin;
	const char **allowusers, **denyusers;
	size_t nallowusers, ndenyusers;
	int groups_limited; /* AllowGroups or DenyGroups (not evaluated) */
	size_t nlines;
	char *buf;
};
int kp_setup_sshd_t_parse(
    const char *text, size_t len, struct kp_setup_sshd_t *out);
void kp_setup_sshd_t_free(struct kp_setup_sshd_t *t);
/* 0 when every keyauth setting is in effect, else KP_ERR_INVALID (d: which). */
int kp_setup_sshd_t_check(const struct kp_setup_sshd_t *t,
    const struct kp_setup_values *v, struct kp_diag *d);

/*
 * Who could still log in over ssh with keyauth enabled: the accounts of
 * passwd(5) text with a login shell (listed in shells, /etc/shells, when
 * given; else any but nologin and false), that PermitRootLogin (root),
 * DenyUsers and AllowUsers let in, for which keys() counts at least one
 * key granting a shell. Match blocks, AllowGroups and DenyGroups are not
 * evaluated (groups_limited says they are set).
 */
typedef int (*kp_setup_keys_cb)(void *arg, const char *account, size_t *n);
struct kp_setup_way {
	char *account;
	size_t nkeys;
};
struct kp_setup_ways {
	struct kp_setup_way *way;
	size_t n;
	size_t nologin; /* accounts without a login shell */
	size_t denied; /* refused by DenyUsers or AllowUsers */
	int root_refused; /* root has keys, PermitRootLogin gives it no shell */
};
int kp_setup_ways_in(const char *passwd, size_t len, const char *shells,
    size_t slen, const struct kp_setup_sshd_t *t, kp_setup_keys_cb keys,
    void *arg, struct kp_setup_ways *out);
void kp_setup_ways_free(struct kp_setup_ways *w);
/* 1 if an authorized_keys line gives a shell: it has no command= option. */
int kp_setup_line_gives_shell(const char *line);

/*
 * A unified diff (diff -u, three lines of context) from old to new under
 * label into b; nothing when they are equal. A side that does not exist
 * is /dev/null.
 */
int kp_setup_diff(struct kp_buf *b, const char *label, const char *old,
    size_t oldlen, int old_exists, const char *new, size_t newlen,
    int new_exists);

/* One file's backup record (NAME.meta in the backup directory). */
struct kp_setup_meta {
	char path[4096];
	int existed;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};
int kp_setup_meta_parse(const char *text, size_t len, struct kp_setup_meta *m);
int kp_setup_meta_format(const struct kp_setup_meta *m, char **out);

enum kp_setup_mode { KP_SETUP_SHOW, KP_SETUP_APPLY, KP_SETUP_REVERT };

/*
 * Paths named "on the system" are looked up under root (NULL: this
 * system); index and krl are used as given. sshd and chroot are absolute
 * programs: with root, sshd runs as "chroot ROOT SSHD", so that it reads
 * the image's files.
 */
struct kp_setup_opts {
	enum kp_setup_mode mode;
	const char *root;
	const char *sshd_config; /* on the system */
	const char *snippet_dir; /* on the system: where keyauth.conf goes */
	const char *pam_file; /* on the system */
	const char *backup_dir; /* on the system */
	const char *pam_module; /* on the system */
	const char *spool; /* on the system */
	const char *passwd, *shells; /* on the system */
	struct kp_setup_values v; /* helper: on the system */
	const char *index, *krl; /* as given */
	const char *host;
	int64_t now;
	int have_console; /* the lock-out checks only note, not refuse */
	const char *sshd, *chroot;
	int run_sshd; /* 0: sshd -t and -T are not run (show only) */
	int reload; /* 1: signal a running sshd to reload */
};

struct kp_setup_result {
	struct kp_buf out; /* the report: diffs, checks, notes */
	size_t nchanged; /* files written (apply, revert) */
	size_t nwould; /* files that would change (show) */
	struct kp_diag diag; /* why it refused or failed */
};

/*
 * The whole command. 0: shown, applied or reverted (or nothing to do).
 * KP_ERR_INVALID: refused, nothing changed (a check failed; the report
 * says which); KP_ERR_CONFLICT: --revert refused, a file changed since
 * setup wrote it; others: a system error (the files are as before, or
 * restored). res->out always holds the report; res is the caller's to
 * free with kp_setup_result_free.
 */
int kp_setup(const struct kp_setup_opts *o, struct kp_setup_result *res);
void kp_setup_result_free(struct kp_setup_result *res);

#endif /* KEYAUTH_ADMIN_H */
