/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The one I/O module of libkeyauth (io.c): writing a whole buffer,
 * directories, replacing a file atomically, running a program. keyauth.h
 * includes this header, so the front ends have it too.
 *
 * Every function returns 0 or a negative KP_ERR_* code, and leaves errno
 * as the failing system call set it (KP_ERR_IO).
 */
#ifndef KP_IO_H
#define KP_IO_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "kp-buf.h"

/* write(2) until all len bytes are written, EINTR retried. */
int kp_write_all(int fd, const void *buf, size_t len);

/*
 * Open directory dir for the *at() calls: O_DIRECTORY | O_NOFOLLOW, so a
 * symbolic link in place of the directory itself is refused (ELOOP or
 * ENOTDIR). *dfd is -1 on failure.
 */
int kp_dir_open(const char *dir, int *dfd);
/*
 * The directory that holds path ("." for a bare name), opened as
 * kp_dir_open does, and the last component of path in name. KP_ERR_ARG
 * when path is empty or ends in '/'.
 */
int kp_dir_open_parent(const char *path, int *dfd, char name[NAME_MAX + 1]);
/* fsync(2) a directory, so that a rename or an unlink in it is durable. */
int kp_dir_sync(int dfd);

/*
 * Replacing one file atomically: a temporary file ".tmp-NAME.<random>" is
 * created beside it (O_CREAT | O_EXCL | O_NOFOLLOW, mode 0600: never
 * through a planted link, never readable before it is complete), written
 * through fd, then kp_atomic_commit() gives it its mode (and, when gid
 * is not (gid_t)-1, that group: set it after kp_atomic_open), fsyncs it and
 * renames it over NAME (a link at NAME is replaced, never followed); with
 * KP_ATOMIC_SYNC_DIR the directory is fsynced too. kp_atomic_abort()
 * removes the temporary file; it is a no-op after a commit, so a caller's
 * out: block may always call it.
 */
#define KP_ATOMIC_SYNC_DIR 0x01

struct kp_atomic {
	int dfd; /* the directory */
	int fd; /* the temporary file, open for writing; -1 when closed */
	mode_t mode;
	gid_t gid; /* (gid_t)-1: the group the file was created with */
	unsigned flags;
	int pending; /* tmp exists and is ours to remove */
	int replaced; /* commit renamed tmp over name (even if it then failed) */
	char name[NAME_MAX + 1];
	char tmp[NAME_MAX + 1];
};

/* In the directory of path (opened by kp_dir_open_parent). */
int kp_atomic_open(
    struct kp_atomic *a, const char *path, mode_t mode, unsigned flags);
/* In the directory dfd (the caller's; kp_atomic keeps its own copy). */
int kp_atomic_openat(struct kp_atomic *a, int dfd, const char *name,
    mode_t mode, unsigned flags);
/*
 * A program given the temporary file's path may have rewritten or
 * replaced it: reopen what is there now (O_NOFOLLOW, read-only) as fd.
 */
int kp_atomic_reopen(struct kp_atomic *a);
int kp_atomic_commit(struct kp_atomic *a);
void kp_atomic_abort(struct kp_atomic *a);

/*
 * Run the program path (absolute) with argv, and envp (NULL: this
 * process's environment); wait for it. KP_RUN_STDIN_NULL: its standard
 * input is /dev/null. KP_RUN_OUT, KP_RUN_ERR: its standard output, error
 * go into out (a kp_buf the caller initialised); what does not fit is read
 * and dropped, and *truncated is set. Otherwise they are this process's.
 * *status is waitpid's. Fails only when the program could not be started
 * or waited for; a program that cannot be executed exits with 127.
 */
#define KP_RUN_STDIN_NULL 0x01
#define KP_RUN_OUT 0x02
#define KP_RUN_ERR 0x04

int kp_run(const char *path, char *const argv[], char *const envp[],
    unsigned flags, struct kp_buf *out, int *truncated, int *status);
/*
 * kp_run with the program's standard input read from in_fd (a file the
 * caller opened; -1: as kp_run). A file rather than a pipe, so a program
 * that writes before it has read all its input cannot deadlock with us.
 */
int kp_run_fd(const char *path, char *const argv[], char *const envp[],
    int in_fd, unsigned flags, struct kp_buf *out, int *truncated, int *status);

/*
 * Call fn(arg, line, len) for each line of f, its newline removed; a line
 * longer than max bytes is never cut short: fn gets (arg, NULL, 0). A
 * non-zero return of fn stops the reading and is returned; KP_ERR_IO on a
 * read error, KP_ERR_NOMEM.
 */
int kp_read_lines(FILE *f, size_t max,
    int (*fn)(void *arg, const char *line, size_t len), void *arg);

#endif /* KP_IO_H */
