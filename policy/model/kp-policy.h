/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers shared inside libkeyauth-model (policy/model/) and the admin
 * layer; not part of any interface.
 */
#ifndef KP_POLICY_H
#define KP_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "keyauth-policy.h"
#include "kp-internal.h"

/*
 * A set of borrowed strings mapping to a size_t, open addressing with
 * linear probing. Used wherever a policy of a million entries would make a
 * pairwise comparison quadratic (ids, fingerprints, names).
 */
struct kp_strtab_slot {
	uint64_t hash;
	const char *key; /* borrowed; NULL = empty slot */
	size_t val;
};

struct kp_strtab {
	struct kp_strtab_slot *slots;
	size_t cap; /* a power of two, or 0 */
	size_t n;
};

void kp_strtab_init(struct kp_strtab *t);
void kp_strtab_free(struct kp_strtab *t);
/* 1 and *val when key is present, else 0. */
int kp_strtab_get(const struct kp_strtab *t, const char *key, size_t *val);
/*
 * Insert key -> val unless present. Returns 0 when inserted, 1 when the
 * key was already there (*old, when not NULL, gets its value), or
 * KP_ERR_NOMEM.
 */
int kp_strtab_put(
    struct kp_strtab *t, const char *key, size_t val, size_t *old);

/* The stored key equal to key (to share one copy), or NULL. */
const char *kp_strtab_key(const struct kp_strtab *t, const char *key);

/*
 * An index of items by a string each of them holds (ids, fingerprints of
 * a million entries): the table keeps only item numbers, key_of(arg, idx)
 * gives item idx's string back. Items are numbered below UINT32_MAX.
 * kp_idxtab_put returns 0 (inserted), 1 (present: *old) or an error.
 */
typedef const char *(*kp_idxtab_key_fn)(const void *arg, size_t idx);
struct kp_idxtab {
	uint64_t *slots;
	size_t cap, n;
};
void kp_idxtab_init(struct kp_idxtab *t);
void kp_idxtab_free(struct kp_idxtab *t);
int kp_idxtab_get(const struct kp_idxtab *t, const char *key,
    kp_idxtab_key_fn key_of, const void *arg, size_t *idx);
int kp_idxtab_put(struct kp_idxtab *t, const char *key, size_t idx,
    kp_idxtab_key_fn key_of, const void *arg, size_t *old);
/*
 * Start loading key's slot into the cache: in a table larger than the
 * cache each lookup is a miss, which the work until the lookup can hide.
 */
void kp_idxtab_prefetch(const struct kp_idxtab *t, const char *key);

/*
 * A bump allocator in chunks (arena.c): pieces are never freed one by
 * one, only all at once. kp_arena_init(a, 0) takes KP_ARENA_CHUNK;
 * a zeroed struct works too.
 */
#define KP_ARENA_CHUNK (64 * 1024)
struct kp_arena_chunk;
struct kp_arena {
	struct kp_arena_chunk *head;
	size_t chunk; /* bytes per chunk, header included */
	size_t max; /* > chunk: chunks double up to max (kp_arena_grow) */
	size_t bytes; /* malloc'd for it so far */
};
#define KP_ARENA_CHUNK_MAX (8UL * 1024 * 1024)
void kp_arena_init(struct kp_arena *a, size_t chunk);
/*
 * Each new chunk twice the last, up to max: for an arena that only grows
 * (a policy's), few chunks however large it gets.
 */
void kp_arena_grow(struct kp_arena *a, size_t max);
/* max_align_t aligned; NULL when out of memory. */
void *kp_arena_alloc(struct kp_arena *a, size_t n);
void *kp_arena_calloc(struct kp_arena *a, size_t n, size_t size);
/* Unaligned copies, NUL-terminated. */
char *kp_arena_strndup(struct kp_arena *a, const char *s, size_t n);
char *kp_arena_strdup(struct kp_arena *a, const char *s);
/* Free every chunk; keep: all but one of the standard size, emptied. */
void kp_arena_reset(struct kp_arena *a, int keep);

/*
 * kp_pubkey_parse_line_checked with the key and its strings in one piece
 * of arena a (what the loader does for keys: entries, which the policy's
 * arena holds): never kp_pubkey_free it. Its blob is NULL: checked, then
 * not kept (kp_pubkey_parse_line_in).
 */
int kp_pubkey_parse_line_checked_in(const char *line, struct kp_arena *a,
    struct kp_pubkey **out, const char **why, size_t *col_off);

/*
 * The revocations of a policy as two hash sets (fingerprints, owners), so
 * kp_policy_is_revoked costs the same with ten revocations and ten
 * thousand: install, lint and report ask it once per entry.
 */
struct kp_revset {
	struct kp_strtab fps;
	struct kp_strtab owners;
};
/* Build p->revset from p->revoked (replacing any). */
int kp_policy_index_revocations(struct kp_policy *p);
void kp_revset_free(struct kp_revset *rs);

/*
 * The progress hook (kp_progress_set): count items of phase so far, the
 * hook told every KP_PROGRESS_STEP; kp_progress_end once at the end.
 */
void kp_progress_tick(const char *phase, uint64_t count);
void kp_progress_end(const char *phase, uint64_t count);

/* The hex SHA-256 of a policy's signed bytes, its identity (policydir.c). */
void kp_policy_sha256(const char *buf, size_t len, char out[65]);
/* The same of a policy file (not a directory), streamed from a safe open. */
int kp_policy_file_sha256(const char *path, char out[65], const char **why);
/* The hex digest of a hash fed as it was read (the streamed loader). */
struct sha256_ctx;
void kp_policy_sha256_hex(struct sha256_ctx *c, char out[65]);

/*
 * Version 2's people, groups and grants as written (load.c reads them,
 * teams.c resolves them into entries, lint.c and the tools read them).
 * The entries made from them borrow these strings (kp_entry.borrowed).
 */
#define KP_GROUP_DEPTH_MAX 8 /* groups inside groups, at most */
#define KP_GROUP_PREFIX "group:"
#define KP_KEY_PREFIX "key:" /* a grant's to: one key of a person, by id */

struct kp_team_key {
	char *id;
	struct kp_pubkey *key;
	int64_t not_before; /* KP_TIME_NONE_BEFORE when absent */
	int64_t expires; /* KP_TIME_NONE_AFTER when absent */
	char *comment;
	size_t person; /* index in teams->people */
	unsigned line, column, file;
};

struct kp_person {
	char *owner;
	char *comment;
	size_t first_key, nkeys; /* in teams->keys */
	size_t ngrants; /* resolved: grants that reach them (0: lint) */
	unsigned line, column, file;
};

/* A member of a group or a recipient of a grant, as written. */
struct kp_member {
	char *name; /* a person's owner, or a group's name (is_group) */
	int is_group; /* written "group:NAME" */
	int is_key; /* written "key:ID" (a grant's to: only) */
	size_t idx; /* resolved: index in people, groups or keys */
	unsigned line, column, file;
};

struct kp_group {
	char *name;
	struct kp_member *members;
	size_t nmembers; /* 0: an empty group (lint) */
	int used; /* resolved: named by a grant or another group */
	int state; /* resolve's walk: 0 new, 1 on the path, 2 done */
	unsigned line, column, file;
};

struct kp_team_grant {
	/*
	 * The restrictions, parsed by the keys entry's rules: id, accounts,
	 * hosts, from (sources), not_before, expires, options, command,
	 * comment; no owner, no key.
	 */
	struct kp_entry e;
	struct kp_member *to;
	size_t nto;
	size_t npeople; /* resolved: people reached (0: lint) */
	unsigned from_line, from_column;
};

struct kp_teams {
	struct kp_person *people;
	size_t npeople, people_cap;
	struct kp_team_key *keys;
	size_t nkeys, keys_cap;
	struct kp_group *groups;
	size_t ngroups, groups_cap;
	struct kp_team_grant *grants;
	size_t ngrants, grants_cap;
	char **paths; /* the group paths entries point at */
	size_t npaths, paths_cap;
	struct kp_strtab people_ix, groups_ix, grants_ix, key_ids, key_fps;
	char *const *files; /* borrowed: kp_policy.files, for messages */
	size_t nfiles;
};

void kp_teams_free(struct kp_teams *t);
/*
 * After the whole document (or every file) is read: resolve members,
 * refuse unknown ones, cycles and depth beyond KP_GROUP_DEPTH_MAX, and
 * append to p->entries one entry per (grant, person, key). diag gets
 * line:column of the offending member.
 */
int kp_teams_resolve(struct kp_policy *p, struct kp_diag *diag);
/* The combination rule of a key's and a grant's times: the narrower. */
int64_t kp_teams_combine_not_before(int64_t key, int64_t grant);
int64_t kp_teams_combine_expires(int64_t key, int64_t grant);

/*
 * A policy directory (policydir.c): its canonical form, the signed unit,
 * starts with KP_POLICY_DIR_MAGIC; kp_policy_dir_split cuts it back into
 * its files (pointers into buf).
 */
#define KP_POLICY_DIR_MAGIC "keyauth-policy-dir 1\n"
struct kp_policy_part {
	char *name; /* relative path */
	const char *buf;
	size_t len;
};
int kp_policy_path_is_dir(const char *path);
int kp_policy_dir_bytes(const char *dir, unsigned flags, char **out,
    size_t *len, struct kp_diag *diag);
int kp_policy_dir_form(const char *buf, size_t len);
int kp_policy_dir_split(const char *buf, size_t len,
    struct kp_policy_part **out, size_t *nout, struct kp_diag *diag);
void kp_policy_parts_free(struct kp_policy_part *v, size_t n);

/*
 * Where an item is, for "first at ...": "line N" in the file being read
 * (cur), "FILE:N" in another file of a directory policy. buf: at least
 * KP_WHERE_MAX bytes.
 */
#define KP_WHERE_MAX 4200
const char *kp_policy_where(const struct kp_policy *p, unsigned cur,
    unsigned file, unsigned line, char *buf);

/* Free what one element owns (not the element itself). */
void kp_entry_clear(struct kp_entry *e);
void kp_network_clear(struct kp_network *n);
void kp_revocation_clear(struct kp_revocation *r);
void kp_authority_clear(struct kp_authority *a);

#endif /* KP_POLICY_H */
