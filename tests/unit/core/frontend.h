/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared by the unit tests of the front ends' core calls (test_serve.c,
 * test_login.c): synthetic keys, a policy compiled into a private
 * directory, and the records and notes a call hands back.
 */
#ifndef KP_TEST_FRONTEND_H
#define KP_TEST_FRONTEND_H

#include <sys/types.h>

#include <stddef.h>

#include "keyauth.h"

#define F_HOST "web-01"
#define F_NKEYS 24

/* Synthetic ed25519 keys (made by f_setup): base64 and fingerprint. */
extern char f_b64[F_NKEYS][128];
extern char f_fp[F_NKEYS][KP_FP_LEN];

/* The test policy; keys 7 and up are in no entry. */
enum {
	K_PLAIN,
	K_NET,
	K_DEPLOY,
	K_OTHERHOST,
	K_OLD,
	K_FUTURE,
	K_STOLEN,
	K_UNKNOWN
};

/*
 * A private directory and the keys; -1 unless root (the index reader
 * accepts only root-owned files). f_cleanup removes the directory.
 */
int f_setup(void);
void f_cleanup(void);
/* A setup failure: exit 99 (test.h reports it as "Bail out!"). */
void f_die(const char *what) __attribute__((noreturn));
/* NAME in the private directory (a rotating static buffer). */
const char *f_path(const char *name);
/*
 * Compile the test policy for host into NAME; policy_expires is its own
 * expires (NULL: none); its sha256 in sha.
 */
void f_compile(const char *name, const char *host, const char *policy_expires,
    char sha[65]);
/* Compile the policy text yaml for host into NAME; its sha256 in sha. */
void f_compile_yaml(
    const char *name, const char *host, const char *yaml, char sha[65]);
void f_write(const char *path, const void *buf, size_t len, mode_t mode);
/* A whole file, malloc'd. */
char *f_read(const char *path, size_t *len);
/* The number of entries in a directory. */
int f_count(const char *dir);
/* Formatted, in a rotating static buffer. */
const char *f_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* What a call handed back: records and notes with their priorities. */
#define F_MAXLOG 32

struct f_log {
	size_t n;
	char rec[F_MAXLOG][8192];
	int prio[F_MAXLOG];
	size_t nnotes;
	char note[F_MAXLOG][512];
	int nprio[F_MAXLOG];
};

/* kp_record_cb and kp_note_cb for a struct f_log. */
void f_record(void *arg, int priority, const struct kp_audit *a);
void f_note(void *arg, int priority, const char *msg);
/* The notes, one per line. */
const char *f_notes(const struct f_log *l);

#endif /* KP_TEST_FRONTEND_H */
