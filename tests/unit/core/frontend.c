/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/* The helpers of tests/unit/frontend.h. */

#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyauth-policy.h"
#include "frontend.h"

static char f_dir[64];
/* Synthetic ed25519 keys: base64 and fingerprint. */
char f_b64[F_NKEYS][128];
char f_fp[F_NKEYS][KP_FP_LEN];

void
f_die(const char *what)
{
	fprintf(stderr, "setup: %s\n", what);
	exit(99);
}

static void
f_b64enc(const uint8_t *src, size_t n, char *dst)
{
	static const char al[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/";
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 |
		    src[i + 2];
		dst[o++] = al[v >> 18 & 63];
		dst[o++] = al[v >> 12 & 63];
		dst[o++] = al[v >> 6 & 63];
		dst[o++] = al[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)src[i] << 16;
		dst[o++] = al[v >> 18 & 63];
		dst[o++] = al[v >> 12 & 63];
		dst[o++] = '=';
		dst[o++] = '=';
	} else if (n - i == 2) {
		v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8;
		dst[o++] = al[v >> 18 & 63];
		dst[o++] = al[v >> 12 & 63];
		dst[o++] = al[v >> 6 & 63];
		dst[o++] = '=';
	}
	dst[o] = '\0';
}

/* Key i: "ssh-ed25519" and 32 bytes derived from i. */
static void
f_keys(void)
{
	static const char type[] = "ssh-ed25519";
	struct kp_pubkey *k = NULL;
	uint8_t blob[4 + 11 + 4 + 32];
	const char *why = NULL;
	size_t i, j;

	for (i = 0; i < F_NKEYS; i++) {
		memset(blob, 0, sizeof(blob));
		blob[3] = 11;
		memcpy(blob + 4, type, 11);
		blob[18] = 32;
		for (j = 0; j < 32; j++)
			blob[19 + j] = (uint8_t)(i * 31 + j * 7 + 1);
		f_b64enc(blob, sizeof(blob), f_b64[i]);
		if (kp_pubkey_parse_parts(type, f_b64[i], &k, &why) != 0)
			f_die(why != NULL ? why : "key");
		snprintf(f_fp[i], sizeof(f_fp[i]), "%s", k->fp);
		kp_pubkey_free(k);
		k = NULL;
	}
}

const char *
f_path(const char *name)
{
	static char buf[8][128];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", f_dir, name);
	return buf[i];
}

/* Write the policy, compile it for host into NAME; its sha256 in sha. */
void
f_compile(const char *name, const char *host, const char *policy_expires,
    char sha[65])
{
	char yaml[8192];
	int n;

	n = snprintf(yaml, sizeof(yaml),
	    "version: 1\n"
	    "serial: 42\n"
	    "%s%s%s"
	    "keys:\n"
	    "  - id: plain\n"
	    "    owner: alice@example.com\n"
	    "    key: ssh-ed25519 %s\n"
	    "    accounts: [alice]\n"
	    "  - id: net\n"
	    "    owner: net@example.com\n"
	    "    key: ssh-ed25519 %s\n"
	    "    accounts: [alice]\n"
	    "    from: [192.0.2.0/24]\n"
	    "  - id: deploy-only\n"
	    "    owner: ci@example.com\n"
	    "    key: ssh-ed25519 %s\n"
	    "    accounts: [deploy]\n"
	    "  - id: other-host\n"
	    "    owner: alice@example.com\n"
	    "    key: ssh-ed25519 %s\n"
	    "    accounts: [alice]\n"
	    "    hosts: [db-*]\n"
	    "  - id: old\n"
	    "    owner: old@example.com\n"
	    "    key: ssh-ed25519 %s\n"
	    "    accounts: [alice]\n"
	    "    not_before: 2000-01-01\n"
	    "    expires: 2001-01-01T00:00:00Z\n"
	    "  - id: future\n"
	    "    owner: new@example.com\n"
	    "    key: ssh-ed25519 %s\n"
	    "    accounts: [alice]\n"
	    "    not_before: 2099-01-01\n"
	    "  - id: stolen\n"
	    "    owner: mallory@example.com\n"
	    "    key: ssh-ed25519 %s\n"
	    "    accounts: [alice]\n"
	    "revoked:\n"
	    "  - fingerprint: %s\n"
	    "    reason: laptop stolen\n",
	    policy_expires != NULL ? "expires: " : "",
	    policy_expires != NULL ? policy_expires : "",
	    policy_expires != NULL ? "\n" : "", f_b64[K_PLAIN], f_b64[K_NET],
	    f_b64[K_DEPLOY], f_b64[K_OTHERHOST], f_b64[K_OLD], f_b64[K_FUTURE],
	    f_b64[K_STOLEN], f_fp[K_STOLEN]);
	if (n < 0 || (size_t)n >= sizeof(yaml))
		f_die("policy too long");
	f_compile_yaml(name, host, yaml, sha);
}

void
f_compile_yaml(
    const char *name, const char *host, const char *yaml, char sha[65])
{
	struct kp_policy *p = NULL;
	struct kp_diag diag;
	int64_t now;

	if (kp_policy_load_buf("test.yaml", yaml, strlen(yaml), &p, &diag) !=
	    0) {
		fprintf(stderr, "%s\n", diag.msg);
		f_die("policy");
	}
	/* Compiled long ago, so a policy that has expired by now compiles. */
	now = 946684800;
	if (kp_index_compile(p, host, now, f_path(name), &diag) != 0) {
		fprintf(stderr, "%s\n", diag.msg);
		f_die("compile");
	}
	snprintf(sha, 65, "%s", p->sha256);
	kp_policy_free(p);
}

/* A private directory; the index reader wants files root owns. */
int
f_setup(void)
{
	if (geteuid() != 0)
		return -1;
	snprintf(f_dir, sizeof(f_dir), "/tmp/keyauth-unit.XXXXXX");
	if (mkdtemp(f_dir) == NULL || chmod(f_dir, 0755) != 0)
		f_die("mkdtemp");
	f_keys();
	return 0;
}

void
f_cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f_dir);
}

/* ------------------------------------------------------------ the log */

void
f_record(void *arg, int priority, const struct kp_audit *a)
{
	struct f_log *l = arg;

	if (l->n >= F_MAXLOG)
		f_die("too many records");
	if (kp_audit_format(a, l->rec[l->n], sizeof(l->rec[l->n])) != 0)
		snprintf(l->rec[l->n], sizeof(l->rec[l->n]), "(unformatted)");
	l->prio[l->n++] = priority;
}

void
f_note(void *arg, int priority, const char *msg)
{
	struct f_log *l = arg;

	if (l->nnotes >= F_MAXLOG)
		f_die("too many notes");
	snprintf(l->note[l->nnotes], sizeof(l->note[l->nnotes]), "%s", msg);
	l->nprio[l->nnotes++] = priority;
}

/* The notes, one per line, for CHECK_CONTAINS. */
const char *
f_notes(const struct f_log *l)
{
	static char all[F_MAXLOG * 512];
	size_t i, o = 0;

	all[0] = '\0';
	for (i = 0; i < l->nnotes; i++)
		o += (size_t)snprintf(
		    all + o, sizeof(all) - o, "%s\n", l->note[i]);
	return all;
}

/* The number of entries in a directory. */
int
f_count(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

void
f_write(const char *path, const void *buf, size_t len, mode_t mode)
{
	int fd;

	(void)unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)) == -1 ||
	    fchmod(fd, mode) != 0 || write(fd, buf, len) != (ssize_t)len ||
	    close(fd) != 0)
		f_die(path);
}

/* A whole file, malloc'd. */
char *
f_read(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, &st) != 0 ||
	    (buf = malloc((size_t)st.st_size + 1)) == NULL ||
	    read(fd, buf, (size_t)st.st_size) != st.st_size)
		f_die(path);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* s formatted, in a rotating static buffer. */
const char *
f_fmt(const char *fmt, ...)
{
	static char buf[8][4096];
	static int i;
	va_list ap;

	i = (i + 1) % 8;
	va_start(ap, fmt);
	vsnprintf(buf[i], sizeof(buf[i]), fmt, ap);
	va_end(ap);
	return buf[i];
}
