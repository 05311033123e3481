/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyauth-policy.h"
#include "kp-internal.h"
#include "kp-policy.h"

/* ------------------------------------------------------- the state file */

int
kp_install_state_format(const struct kp_install_state *s, char *buf, size_t len)
{
	char when[64];
	int n;

	if (s == NULL || buf == NULL || len == 0)
		return KP_ERR_ARG;
	buf[0] = '\0';
	if (s->serial == 0 || s->serial > (uint64_t)INT64_MAX ||
	    !kp_sha256_hex_valid(s->sha256) || !kp_host_name_valid(s->host))
		return KP_ERR_ARG;
	kp_time_format(s->installed_at, when, sizeof(when));
	n = snprintf(buf, len,
	    "%s\nserial %llu\nsha256 %s\nhost %s\ninstalled_at %s\n",
	    KP_STATE_MAGIC, (unsigned long long)s->serial, s->sha256, s->host,
	    when);
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		return KP_ERR_TOOBIG;
	}
	return 0;
}

/*
 * Take the next line of buf, which must start with "key ". The value is
 * copied into val (NUL-terminated); a line without '\n' is corrupt.
 */
static int
state_field(
    const char **pos, const char *end, const char *key, char *val, size_t vlen)
{
	const char *p = *pos, *nl;
	size_t klen = strlen(key), n;

	nl = memchr(p, '\n', end - p);
	if (nl == NULL)
		return -1;
	if ((size_t)(nl - p) < klen + 1 || memcmp(p, key, klen) != 0 ||
	    p[klen] != ' ')
		return -1;
	p += klen + 1;
	n = nl - p;
	if (n == 0 || n >= vlen)
		return -1;
	memcpy(val, p, n);
	val[n] = '\0';
	*pos = nl + 1;
	return 0;
}

int
kp_install_state_parse(
    const char *buf, size_t len, struct kp_install_state *out, const char **why)
{
	const char *pos = buf, *end, *nl;
	char val[300];
	unsigned long long serial = 0;
	size_t i, mlen = strlen(KP_STATE_MAGIC);

	if (why != NULL)
		*why = NULL;
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (buf == NULL || out == NULL)
		return KP_ERR_ARG;
	end = buf + len; /* only now: NULL + len is undefined */
#define BAD(msg) \
	do { \
		if (why != NULL) \
			*why = (msg); \
		memset(out, 0, sizeof(*out)); \
		return KP_ERR_CORRUPT; \
	} while (0)
	if (memchr(buf, '\0', len) != NULL)
		BAD("contains a NUL byte");
	nl = memchr(pos, '\n', len);
	if (nl == NULL || (size_t)(nl - pos) != mlen ||
	    memcmp(pos, KP_STATE_MAGIC, mlen) != 0)
		BAD("first line is not \"" KP_STATE_MAGIC "\"");
	pos = nl + 1;

	if (state_field(&pos, end, "serial", val, sizeof(val)) != 0)
		BAD("line 2 is not \"serial N\"");
	if (strlen(val) > 19 || val[0] == '0')
		BAD("serial is not an integer 1..2^63-1");
	for (i = 0; val[i] != '\0'; i++) {
		if (val[i] < '0' || val[i] > '9')
			BAD("serial is not an integer 1..2^63-1");
		serial = serial * 10 + (unsigned)(val[i] - '0');
	}
	/* 19 digits cannot overflow 2^64; check the policy range. */
	if (serial == 0 || serial > (unsigned long long)INT64_MAX)
		BAD("serial is not an integer 1..2^63-1");
	out->serial = serial;

	if (state_field(&pos, end, "sha256", val, sizeof(val)) != 0 ||
	    strlen(val) != 64 || !kp_sha256_hex_valid(val))
		BAD("line 3 is not \"sha256 <64 lowercase hex digits>\"");
	memcpy(out->sha256, val, 65);

	if (state_field(&pos, end, "host", val, sizeof(val)) != 0 ||
	    !kp_host_name_valid(val))
		BAD("line 4 is not \"host NAME\"");
	snprintf(out->host, sizeof(out->host), "%s", val);

	if (state_field(&pos, end, "installed_at", val, sizeof(val)) != 0 ||
	    kp_time_parse(val, &out->installed_at) != 0)
		BAD("line 5 is not \"installed_at YYYY-MM-DDTHH:MM:SSZ\"");
	if (pos != end)
		BAD("unexpected data after line 5");
#undef BAD
	return 0;
}

int
kp_install_state_read(const char *path, uid_t allow_uid,
    struct kp_install_state *out, const char **why)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int r;

	if (why != NULL)
		*why = NULL;
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (path == NULL || out == NULL)
		return KP_ERR_ARG;
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return KP_ERR_NOTFOUND;
		if (why != NULL)
			*why = strerror(errno);
		return KP_ERR_IO;
	}
	if ((r = kp_file_read_safe(
	         path, KP_STATE_MAX_BYTES, allow_uid, &buf, &len, why)) != 0)
		goto out;
	r = kp_install_state_parse(buf, len, out, why);
out:
	free(buf);
	return r;
}

int
kp_install_state_write(const char *path, const struct kp_install_state *s)
{
	char buf[KP_STATE_MAX_BYTES];
	int r;

	if ((r = kp_install_state_format(s, buf, sizeof(buf))) != 0)
		return r;
	return kp_file_write_atomic(path, buf, strlen(buf), 0644);
}

/* ------------------------------------------------------- rollback rule */

int
kp_install_check(const struct kp_install_state *installed, uint64_t serial,
    const char *sha256)
{
	if (installed == NULL)
		return KP_INSTALL_PROCEED;
	if (serial < installed->serial)
		return KP_ERR_ROLLBACK;
	if (serial > installed->serial)
		return KP_INSTALL_PROCEED;
	if (sha256 == NULL || strcmp(sha256, installed->sha256) != 0)
		return KP_ERR_CONFLICT;
	return KP_INSTALL_SAME;
}

/* ----------------------------------------------------------------- KRL */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
kp_install_krl_spec(
    const struct kp_policy *p, char **out, size_t *len, size_t *nentries)
{
	const char **fps = NULL;
	size_t n = 0, i, j, uniq, need;
	char *buf = NULL;
	int r = KP_ERR_INTERNAL;

	if (out != NULL)
		*out = NULL;
	if (len != NULL)
		*len = 0;
	if (nentries != NULL)
		*nentries = 0;
	if (p == NULL || out == NULL || len == NULL || nentries == NULL)
		return KP_ERR_ARG;
	if (p->nrevoked + p->nentries < p->nentries ||
	    p->nrevoked + p->nentries + p->nauthorities < p->nauthorities)
		return KP_ERR_TOOBIG; /* overflow */
	if ((fps = calloc(p->nrevoked + p->nentries + p->nauthorities + 1,
	         sizeof(*fps))) == NULL)
		return KP_ERR_NOMEM;
	for (i = 0; i < p->nrevoked; i++) {
		if ((p->revoked[i].kind == KP_REVOKE_FINGERPRINT ||
		        p->revoked[i].kind == KP_REVOKE_KEY ||
		        p->revoked[i].kind == KP_REVOKE_CA) &&
		    p->revoked[i].value != NULL)
			fps[n++] = p->revoked[i].value;
	}
	/*
	 * A KRL cannot name an owner, but at install time the owner's keys
	 * are known: revoke each of them by hash too, so sshd refuses them
	 * before it even asks keyauth.
	 */
	for (i = 0; i < p->nentries; i++) {
		const struct kp_entry *e = &p->entries[i];

		if (e->key != NULL &&
		    kp_policy_is_revoked(p, e->key->fp, e->owner) == 1)
			fps[n++] = e->key->fp;
	}
	/* A revoked CA key in the KRL revokes every certificate it signed. */
	for (i = 0; i < p->nauthorities; i++) {
		const struct kp_entry *e = &p->authorities[i].e;

		if (e->key != NULL &&
		    kp_policy_is_revoked(p, e->key->fp, e->owner) == 1)
			fps[n++] = e->key->fp;
	}
	qsort(fps, n, sizeof(*fps), cmp_str);
	for (i = 0, uniq = 0; i < n; i++) {
		if (!kp_fingerprint_valid(fps[i])) {
			r = KP_ERR_INVALID;
			goto out;
		}
		if (uniq == 0 || strcmp(fps[uniq - 1], fps[i]) != 0)
			fps[uniq++] = fps[i];
	}
	/* "hash: " + fingerprint + "\n" per entry */
	need = uniq * (6 + KP_FP_LEN) + 1;
	if ((buf = malloc(need)) == NULL) {
		r = KP_ERR_NOMEM;
		goto out;
	}
	for (i = 0, j = 0; i < uniq; i++)
		j += (size_t)snprintf(buf + j, need - j, "hash: %s\n", fps[i]);
	buf[j] = '\0';
	*out = buf; /* ownership to the caller */
	buf = NULL;
	*len = j;
	*nentries = uniq;
	r = 0;
out:
	free(buf);
	free(fps);
	return r;
}

static char *
path_with_suffix(const char *path, const char *suffix)
{
	size_t n = strlen(path) + strlen(suffix) + 1;
	char *s;

	if ((s = malloc(n)) == NULL)
		return NULL;
	snprintf(s, n, "%s%s", path, suffix);
	return s;
}

/* Run keygen with argv; its output (stdout and stderr) goes to errbuf. */
static int
run_keygen(const char *keygen, char *const argv[], char *errbuf, size_t errlen)
{
	static char env_path[] = "PATH=/usr/bin:/bin", env_lc[] = "LC_ALL=C";
	char *const envp[] = {env_path, env_lc, NULL};
	char said[256];
	struct kp_buf out;
	int status = 0;
	size_t i, got;

	kp_buf_init_fixed(&out, errbuf, errlen);
	if (kp_run(keygen, argv, envp,
	        KP_RUN_STDIN_NULL | KP_RUN_OUT | KP_RUN_ERR, &out, NULL,
	        &status) != 0) {
		snprintf(
		    errbuf, errlen, "running %s: %s", keygen, strerror(errno));
		return KP_ERR_IO;
	}
	/* One line for the caller's message. */
	got = out.len;
	for (i = 0; i < got; i++) {
		if (errbuf[i] == '\n' || errbuf[i] == '\r')
			errbuf[i] = i + 1 == got ? '\0' : ' ';
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	snprintf(said, sizeof(said), "%s", errbuf);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && said[0] == '\0')
		snprintf(errbuf, errlen, "%s could not be run", keygen);
	else if (WIFEXITED(status))
		snprintf(errbuf, errlen, "%s exited with status %d%s%s", keygen,
		    WEXITSTATUS(status), said[0] != '\0' ? ": " : "", said);
	else
		snprintf(errbuf, errlen, "%s killed by signal %d", keygen,
		    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return KP_ERR_IO;
}

/* The CA key of fingerprint fp as the policy gives it, or NULL. */
static const struct kp_pubkey *
ca_key_of(const struct kp_policy *p, const char *fp)
{
	size_t i;

	for (i = 0; i < p->nrevoked; i++) {
		if (p->revoked[i].key != NULL && p->revoked[i].ca_fp != NULL &&
		    strcmp(p->revoked[i].key->fp, fp) == 0)
			return p->revoked[i].key;
	}
	for (i = 0; i < p->nauthorities; i++) {
		if (strcmp(p->authorities[i].e.key->fp, fp) == 0)
			return p->authorities[i].e.key;
	}
	return NULL;
}

void
kp_install_krl_unnamed(
    const struct kp_policy *p, size_t *n, const char **first_ca)
{
	const struct kp_revocation *rv;
	size_t i;

	if (n != NULL)
		*n = 0;
	if (first_ca != NULL)
		*first_ca = NULL;
	if (p == NULL || n == NULL || first_ca == NULL)
		return;
	for (i = 0; i < p->nrevoked; i++) {
		rv = &p->revoked[i];
		if ((rv->kind != KP_REVOKE_SERIAL &&
		        rv->kind != KP_REVOKE_KEY_ID) ||
		    rv->ca_fp == NULL || ca_key_of(p, rv->ca_fp) != NULL)
			continue;
		if ((*n)++ == 0)
			*first_ca = rv->ca_fp;
	}
}

/* Write buf into a new file path.XXXXXX; *out names it. */
static int
temp_file(const char *path, const char *buf, size_t len, char **out,
    char *errbuf, size_t errlen)
{
	int fd, r;

	if ((*out = path_with_suffix(path, ".tmp.XXXXXX")) == NULL)
		return KP_ERR_NOMEM;
	if ((fd = mkstemp(*out)) < 0) {
		snprintf(errbuf, errlen, "%s: %s", *out, strerror(errno));
		free(*out);
		*out = NULL;
		return KP_ERR_IO;
	}
	r = kp_write_all(fd, buf, len);
	if (close(fd) != 0)
		r = KP_ERR_IO;
	if (r != 0)
		snprintf(errbuf, errlen, "%s: %s", *out, strerror(errno));
	return r;
}

/*
 * The revoked serials and key ids, added to the KRL at krl_tmp one CA at
 * a time ("keygen -q -k -u -f TMP -s CA SPEC" with serial: and id: lines):
 * sshd then refuses those certificates before it asks keyauth. A CA the
 * policy gives only by fingerprint cannot be named to ssh-keygen: its
 * revocations are keyauth's alone (docs/certificates.md).
 */
static int
krl_add_certs(const char *keygen, const struct kp_policy *p, char *krl_tmp,
    char *errbuf, size_t errlen)
{
	const struct kp_revocation *rv, *o;
	const struct kp_pubkey *ca;
	char *ca_path = NULL, *spec_path = NULL;
	char a0[] = "ssh-keygen", a1[] = "-q", a2[] = "-k", a3[] = "-u",
	     a4[] = "-f", a6[] = "-s";
	char *argv[10];
	struct kp_buf spec, pub;
	size_t i, j;
	int r = 0, done;

	for (i = 0; i < p->nrevoked && r == 0; i++) {
		rv = &p->revoked[i];
		if ((rv->kind != KP_REVOKE_SERIAL &&
		        rv->kind != KP_REVOKE_KEY_ID) ||
		    rv->ca_fp == NULL)
			continue;
		/* Once per CA: at its first revocation. */
		for (j = 0, done = 0; j < i && !done; j++) {
			o = &p->revoked[j];
			done = (o->kind == KP_REVOKE_SERIAL ||
			           o->kind == KP_REVOKE_KEY_ID) &&
			    o->ca_fp != NULL &&
			    strcmp(o->ca_fp, rv->ca_fp) == 0;
		}
		if (done || (ca = ca_key_of(p, rv->ca_fp)) == NULL)
			continue;
		kp_buf_init(&spec, KP_POLICY_MAX_BYTES);
		kp_buf_init(&pub, KP_KEYLINE_MAX * 2);
		for (j = i; j < p->nrevoked; j++) {
			o = &p->revoked[j];
			if (o->ca_fp == NULL ||
			    strcmp(o->ca_fp, rv->ca_fp) != 0)
				continue;
			if (o->kind == KP_REVOKE_SERIAL)
				kp_buf_printf(&spec, "serial: %llu\n",
				    (unsigned long long)o->serial);
			else if (o->kind == KP_REVOKE_KEY_ID)
				kp_buf_printf(&spec, "id: %s\n", o->key_id);
		}
		kp_buf_printf(&pub, "%s %s\n", ca->type, ca->b64);
		if ((r = spec.err) == 0 && (r = pub.err) == 0 &&
		    (r = temp_file(krl_tmp, (const char *)kp_buf_ptr(&spec),
		         kp_buf_len(&spec), &spec_path, errbuf, errlen)) == 0 &&
		    (r = temp_file(krl_tmp, (const char *)kp_buf_ptr(&pub),
		         kp_buf_len(&pub), &ca_path, errbuf, errlen)) == 0) {
			argv[0] = a0;
			argv[1] = a1;
			argv[2] = a2;
			argv[3] = a3;
			argv[4] = a4;
			argv[5] = krl_tmp;
			argv[6] = a6;
			argv[7] = ca_path;
			argv[8] = spec_path;
			argv[9] = NULL;
			r = run_keygen(keygen, argv, errbuf, errlen);
		}
		kp_buf_free(&spec);
		kp_buf_free(&pub);
		if (spec_path != NULL)
			unlink(spec_path);
		if (ca_path != NULL)
			unlink(ca_path);
		free(spec_path);
		free(ca_path);
		spec_path = ca_path = NULL;
	}
	return r;
}

int
kp_install_krl_build(const char *keygen, const char *spec, size_t speclen,
    const char *path, struct kp_atomic *krl, char *errbuf, size_t errlen)
{
	return kp_install_krl_build_policy(
	    keygen, spec, speclen, NULL, path, krl, errbuf, errlen);
}

int
kp_install_krl_build_policy(const char *keygen, const char *spec,
    size_t speclen, const struct kp_policy *p, const char *path,
    struct kp_atomic *krl, char *errbuf, size_t errlen)
{
	char *spec_path = NULL, *krl_tmp = NULL, *slash;
	int fd = -1, r = KP_ERR_IO, pending = 0;
	char a0[] = "ssh-keygen", a1[] = "-q", a2[] = "-k", a3[] = "-f";
	char *argv[7];

	if (krl != NULL) {
		memset(krl, 0, sizeof(*krl));
		krl->fd = krl->dfd = -1;
	}
	if (errbuf == NULL || errlen == 0)
		return KP_ERR_ARG;
	errbuf[0] = '\0';
	if (keygen == NULL || spec == NULL || path == NULL || krl == NULL ||
	    keygen[0] != '/' || path[0] != '/')
		return KP_ERR_ARG;
	if (access(keygen, X_OK) != 0) {
		snprintf(errbuf, errlen, "%s: %s", keygen, strerror(errno));
		return KP_ERR_IO;
	}
	if ((spec_path = path_with_suffix(path, ".spec.XXXXXX")) == NULL) {
		r = KP_ERR_NOMEM;
		goto out;
	}
	/* mkstemp: O_EXCL and mode 0600, so nobody can slip a link in. */
	if ((fd = mkstemp(spec_path)) < 0) {
		snprintf(errbuf, errlen, "%s: %s", spec_path, strerror(errno));
		free(spec_path);
		spec_path = NULL;
		goto out;
	}
	r = kp_write_all(fd, spec, speclen);
	if (close(fd) != 0)
		r = KP_ERR_IO;
	fd = -1;
	if (r != 0) {
		snprintf(errbuf, errlen, "%s: %s", spec_path, strerror(errno));
		r = KP_ERR_IO;
		goto out;
	}
	/* The new KRL: a temporary file beside path, put in place later. */
	if (kp_atomic_open(krl, path, KP_KRL_MODE, KP_ATOMIC_SYNC_DIR) != 0) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		r = KP_ERR_IO;
		goto out;
	}
	pending = 1;
	slash = strrchr(path, '/');
	if ((krl_tmp = malloc((size_t)(slash - path) + 2 + strlen(krl->tmp))) ==
	    NULL) {
		r = KP_ERR_NOMEM;
		goto out;
	}
	memcpy(krl_tmp, path, (size_t)(slash - path) + 1);
	memcpy(krl_tmp + (slash - path) + 1, krl->tmp, strlen(krl->tmp) + 1);

	argv[0] = a0;
	argv[1] = a1;
	argv[2] = a2;
	argv[3] = a3;
	argv[4] = krl_tmp;
	argv[5] = spec_path;
	argv[6] = NULL;
	if ((r = run_keygen(keygen, argv, errbuf, errlen)) != 0)
		goto out;
	if (p != NULL &&
	    (r = krl_add_certs(keygen, p, krl_tmp, errbuf, errlen)) != 0)
		goto out;

	/* ssh-keygen wrote it by name; make what is there durable, root's. */
	r = KP_ERR_IO;
	if (kp_atomic_reopen(krl) != 0 || fchmod(krl->fd, KP_KRL_MODE) != 0 ||
	    fsync(krl->fd) != 0) {
		snprintf(errbuf, errlen, "%s: %s", krl_tmp, strerror(errno));
		goto out;
	}
	pending = 0; /* the caller commits or aborts krl */
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (spec_path != NULL) {
		unlink(spec_path);
		free(spec_path);
	}
	if (pending)
		kp_atomic_abort(krl);
	free(krl_tmp);
	return r;
}

/* ------------------------------------------------------------- install */

/* dirname of an absolute path into buf. */
static int
parent_dir(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (path[0] != '/' || slash == NULL || slash[1] == '\0')
		return -1;
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= len)
		return -1;
	memcpy(buf, path, n);
	buf[n] = '\0';
	return 0;
}

/*
 * The directory of an installed file must exist (the last component is
 * created 0755 when missing, as a package would) and must not let anyone
 * but its owner (root, or allow_uid) swap the files inside.
 */
static int
prepare_dir(const char *path, uid_t allow_uid, struct kp_diag *diag)
{
	char dir[4096];
	struct stat st;

	if (parent_dir(path, dir, sizeof(dir)) != 0) {
		kp_diag_set(
		    diag, NULL, 0, 0, "%s: not an absolute file path", path);
		return KP_ERR_ARG;
	}
	if (stat(dir, &st) != 0) {
		if (errno != ENOENT || mkdir(dir, 0755) != 0 ||
		    stat(dir, &st) != 0) {
			kp_diag_set(diag, NULL, 0, 0,
			    "cannot create directory %s: %s", dir,
			    strerror(errno));
			return KP_ERR_IO;
		}
	}
	if (!S_ISDIR(st.st_mode)) {
		kp_diag_set(diag, NULL, 0, 0, "%s is not a directory", dir);
		return KP_ERR_UNSAFE;
	}
	if (st.st_uid != 0 && st.st_uid != allow_uid) {
		kp_diag_set(diag, NULL, 0, 0,
		    "directory %s is owned by uid %lu, not root", dir,
		    (unsigned long)st.st_uid);
		return KP_ERR_UNSAFE;
	}
	if ((st.st_mode & 022) != 0) {
		kp_diag_set(diag, NULL, 0, 0,
		    "directory %s is group or world writable", dir);
		return KP_ERR_UNSAFE;
	}
	return 0;
}

static int
lock_state_dir(const char *state_path, int *fd_out, struct kp_diag *diag)
{
	char dir[4096];
	int fd;

	*fd_out = -1;
	if (parent_dir(state_path, dir, sizeof(dir)) != 0)
		return KP_ERR_ARG;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		kp_diag_set(diag, NULL, 0, 0, "%s: %s", dir, strerror(errno));
		return KP_ERR_IO;
	}
	/* Two installs at once would race the rollback check. */
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		kp_diag_set(diag, NULL, 0, 0,
		    "another keyauthctl install holds the lock on %s", dir);
		close(fd);
		return KP_ERR_IO;
	}
	*fd_out = fd;
	return 0;
}

/* The installed index is current for (serial, sha256, host). */
static int
index_current(
    const struct kp_install_opts *o, uint64_t serial, const char *sha256)
{
	struct kp_index *ix = NULL;
	const struct kp_index_meta *m;
	struct stat st;
	int ok = 0;

	if (kp_index_open(o->index_path, o->allow_uid, &ix, NULL) != 0)
		return 0;
	if ((m = kp_index_meta(ix)) != NULL && m->serial == serial &&
	    strcmp(m->sha256, sha256) == 0 && strcmp(m->host, o->host) == 0)
		ok = 1;
	if (ix != NULL)
		kp_index_close(ix);
	if (ok &&
	    (lstat(o->krl_path, &st) != 0 || !S_ISREG(st.st_mode) ||
	        (st.st_mode & 07777) != KP_KRL_MODE))
		ok = 0;
	/* An index of an older install, readable by everyone, is redone. */
	if (ok &&
	    (lstat(o->index_path, &st) != 0 ||
	        (st.st_mode & 07777) != KP_INDEX_MODE ||
	        st.st_gid != o->index_gid))
		ok = 0;
	return ok;
}

/*
 * One install, stage by stage (kp_install). Each stage fills diag when it
 * fails; a stage that finds nothing left to do returns KP_INSTALL_SAME.
 */
struct install {
	const struct kp_policy *p;
	const struct kp_install_opts *o;
	struct kp_install_result *res;
	struct kp_diag *diag;
	const char *path; /* kp_install_file: the policy and its signatures */
	const char *buf; /* the signed bytes p was loaded from; NULL */
	size_t len;
	int lockfd;
	int begun; /* stage_prepare and stage_baseline are done */
	int have; /* cur is the baseline */
	struct kp_install_state cur;
	struct kp_atomic krl; /* the new KRL until it is in place */
};

/* The three directories exist and are safe; the state directory is locked. */
static int
stage_prepare(struct install *in)
{
	const struct kp_install_opts *o = in->o;
	int r;

	if ((r = prepare_dir(o->index_path, o->allow_uid, in->diag)) != 0 ||
	    (r = prepare_dir(o->krl_path, o->allow_uid, in->diag)) != 0 ||
	    (r = prepare_dir(o->state_path, o->allow_uid, in->diag)) != 0)
		return r;
	return lock_state_dir(o->state_path, &in->lockfd, in->diag);
}

/*
 * The baseline is the higher of the state's serial and the intact
 * index's: the index goes live before the state is written, so a crash
 * (or a restored state file) can leave the state behind, and a deleted
 * state file must not open the door to a rollback either.
 */
static int
stage_baseline(struct install *in)
{
	const struct kp_install_opts *o = in->o;
	struct kp_index *ix = NULL;
	const struct kp_index_meta *m;
	const char *why = NULL;
	int r;

	r = kp_install_state_read(o->state_path, o->allow_uid, &in->cur, &why);
	if (r == 0) {
		in->have = 1;
	} else if (r != KP_ERR_NOTFOUND) {
		/* Never guess: a damaged state must not become "first install". */
		kp_diag_set(in->diag, NULL, 0, 0,
		    "state file %s is unreadable or corrupt (%s: %s); "
		    "inspect it, or remove it to install anew",
		    o->state_path, kp_strerror(r), why != NULL ? why : "-");
		return r;
	}
	if (kp_index_open(o->index_path, o->allow_uid, &ix, NULL) == 0 &&
	    (m = kp_index_meta(ix)) != NULL &&
	    (!in->have || m->serial > in->cur.serial)) {
		memset(&in->cur, 0, sizeof(in->cur));
		in->cur.serial = m->serial;
		memcpy(in->cur.sha256, m->sha256, sizeof(in->cur.sha256));
		snprintf(in->cur.host, sizeof(in->cur.host), "%s", m->host);
		in->cur.installed_at = m->compiled_at;
		in->have = 1;
	}
	if (ix != NULL)
		kp_index_close(ix);
	if (in->have) {
		in->res->had_previous = 1;
		in->res->previous = in->cur;
	}
	return 0;
}

/*
 * The rollback rule, then the policy's own expiry: nothing is written
 * when either refuses. KP_INSTALL_SAME: this policy is already installed
 * and its files are intact.
 */
static int
stage_rule(struct install *in)
{
	const struct kp_policy *p = in->p;
	const struct kp_install_opts *o = in->o;
	char when[64];
	int r;

	r = kp_install_check(in->have ? &in->cur : NULL, p->serial, p->sha256);
	if (r == KP_ERR_ROLLBACK) {
		in->res->reason = KP_IR_ROLLBACK;
		kp_diag_set(in->diag, NULL, 0, 0,
		    "refusing serial %llu: installed serial is %llu (rollback)",
		    (unsigned long long)p->serial,
		    (unsigned long long)in->cur.serial);
		return r;
	} else if (r == KP_ERR_CONFLICT) {
		in->res->reason = KP_IR_CONFLICT;
		kp_diag_set(in->diag, NULL, 0, 0,
		    "serial %llu is already installed with different content; "
		    "bump serial",
		    (unsigned long long)p->serial);
		return r;
	} else if (r == KP_INSTALL_SAME) {
		if (strcmp(in->cur.host, o->host) == 0 &&
		    index_current(o, p->serial, p->sha256)) {
			in->res->outcome = KP_INSTALL_UNCHANGED;
			return KP_INSTALL_SAME;
		}
		/* Same policy, but the files are missing, damaged or for
		 * another host: write them again. */
		in->res->repaired = 1;
	} else if (r != KP_INSTALL_PROCEED) {
		kp_diag_set(
		    in->diag, NULL, 0, 0, "rollback check: %s", kp_strerror(r));
		return r;
	}
	if (kp_policy_stale(p->expires, o->now)) {
		in->res->reason = KP_IR_STALE;
		kp_time_format(p->expires, when, sizeof(when));
		kp_diag_set(in->diag, NULL, 0, 0,
		    "policy expired at %s; refusing to install a stale policy "
		    "(every login would be denied)",
		    when);
		return KP_ERR_INVALID;
	}
	return 0;
}

/* The new KRL, beside the installed one (in->krl), not in force yet. */
static int
stage_build_krl(struct install *in)
{
	char *spec = NULL, errbuf[512];
	const char *ca;
	size_t speclen = 0;
	int r;

	kp_install_krl_unnamed(in->p, &in->res->nkrl_unnamed, &ca);
	if (ca != NULL)
		snprintf(in->res->krl_unnamed_ca,
		    sizeof(in->res->krl_unnamed_ca), "%s", ca);
	if ((r = kp_install_krl_spec(in->p, &spec, &speclen, &in->res->nkrl)) !=
	    0) {
		kp_diag_set(in->diag, NULL, 0, 0, "KRL: %s", kp_strerror(r));
		return r;
	}
	if ((r = kp_install_krl_build_policy(in->o->keygen, spec, speclen,
	         in->p, in->o->krl_path, &in->krl, errbuf, sizeof(errbuf))) !=
	    0)
		kp_diag_set(in->diag, NULL, 0, 0, "KRL: %s",
		    errbuf[0] ? errbuf : kp_strerror(r));
	free(spec);
	return r;
}

/* The new index, in force from here on (kp_index_compile renames it). */
static int
stage_compile(struct install *in)
{
	const struct kp_install_opts *o = in->o;
	int r;

	if ((r = kp_index_compile_group(in->p, o->host, o->now, o->index_path,
	         o->index_gid, in->diag)) != 0) {
		if (in->diag != NULL && in->diag->msg[0] == '\0')
			kp_diag_set(in->diag, NULL, 0, 0, "compiling %s: %s",
			    o->index_path, kp_strerror(r));
	}
	return r;
}

/* The new KRL in force: renamed over the old one, the directory synced. */
static int
stage_put_krl(struct install *in)
{
	const char *krl_path = in->o->krl_path;

	if (kp_atomic_commit(&in->krl) == 0)
		return 0;
	if (!in->krl.replaced)
		kp_diag_set(in->diag, NULL, 0, 0,
		    "%s: %s (the index is installed, the KRL is not)", krl_path,
		    strerror(errno));
	else
		kp_diag_set(in->diag, NULL, 0, 0, "fsync directory of %s: %s",
		    krl_path, strerror(errno));
	return KP_ERR_IO;
}

/* Read back what was written before recording it as installed. */
static int
stage_verify(struct install *in)
{
	const struct kp_install_opts *o = in->o;
	const struct kp_policy *p = in->p;
	struct kp_index *ix = NULL;
	const struct kp_index_meta *m;
	const char *why = NULL;
	int r;

	if ((r = kp_index_open(o->index_path, o->allow_uid, &ix, &why)) != 0) {
		kp_diag_set(in->diag, NULL, 0, 0,
		    "the new index %s does not verify: %s: %s", o->index_path,
		    kp_strerror(r), why != NULL ? why : "-");
		return r;
	}
	m = kp_index_meta(ix);
	if (m == NULL || m->serial != p->serial ||
	    strcmp(m->sha256, p->sha256) != 0 ||
	    strcmp(m->host, o->host) != 0) {
		kp_diag_set(in->diag, NULL, 0, 0,
		    "the new index %s does not record serial %llu",
		    o->index_path, (unsigned long long)p->serial);
		r = KP_ERR_INTERNAL;
	} else {
		in->res->nentries = m->nentries;
		in->res->nkeys = m->nkeys;
	}
	kp_index_close(ix);
	return r;
}

/* Last: the state records what is now installed. */
static int
stage_write_state(struct install *in)
{
	struct kp_install_state next;
	int r;

	memset(&next, 0, sizeof(next));
	next.serial = in->p->serial;
	memcpy(next.sha256, in->p->sha256, sizeof(next.sha256));
	snprintf(next.host, sizeof(next.host), "%s", in->o->host);
	next.installed_at = in->o->now;
	if ((r = kp_install_state_write(in->o->state_path, &next)) != 0)
		kp_diag_set(in->diag, NULL, 0, 0, "writing state file %s: %s",
		    in->o->state_path,
		    r == KP_ERR_IO ? strerror(errno) : kp_strerror(r));
	return r;
}

/*
 * What an administrator should hear about an install that succeeded:
 * nothing on this host is granted (a wrong --host, a hosts: pattern that
 * misses: every login through keyauth is refused, and
 * "0 entries, 0 keys" alone is easy to miss), or the KRL is big enough to
 * slow every login. Runs after the state is written: a warning that
 * cannot be recorded for want of memory does not undo the install.
 */
static void
install_warn(struct install *in)
{
	const struct kp_policy *p = in->p;
	struct kp_install_result *res = in->res;
	struct kp_lint l = {0};
	char msg[512];
	size_t i, ncas = 0;

	/*
	 * Counted here, from the policy just loaded: a second load of a big
	 * policy only for this count cost the caller as much as the install.
	 */
	if (kp_policy_lint(p, in->o->now, 1, &l) == 0)
		res->nlint = l.total;
	kp_lint_free(&l);

	for (i = 0; i < p->nauthorities; i++)
		ncas += kp_entry_applies(&p->authorities[i].e, in->o->host);
	if (res->nentries == 0 && ncas == 0) {
		snprintf(msg, sizeof(msg),
		    "no entry of the policy grants access on host %s: every "
		    "login through keyauth is refused here (check --host and "
		    "the entries' hosts: patterns; keyauthctl report --host %s "
		    "--policy-file POLICY lists what applies)",
		    in->o->host, in->o->host);
		(void)kp_strv_add(
		    &res->warnings, &res->nwarnings, msg, strlen(msg));
	}
	if (res->nkrl > KP_KRL_WARN) {
		snprintf(msg, sizeof(msg),
		    "the KRL revokes %zu keys (more than %d): OpenSSH reads it "
		    "whole for every key it checks, twice per login, and the "
		    "cost grows with the square of its size (+33 ms per login "
		    "at 10,000 measured); retire revocations of keys no longer "
		    "in the policy "
		    "(docs/performance.md#krl-size-and-login-cost)",
		    res->nkrl, KP_KRL_WARN);
		(void)kp_strv_add(
		    &res->warnings, &res->nwarnings, msg, strlen(msg));
	}
}

/* ------------------------------------------ signatures and validity */

static const struct kp_conf *
install_conf(const struct install *in)
{
	static struct kp_conf defaults;
	static int ready;

	if (in->o->conf != NULL)
		return in->o->conf;
	if (!ready) {
		kp_conf_init(&defaults);
		ready = 1;
	}
	return &defaults;
}

static const char *
conf_name(const struct kp_conf *c)
{
	return c->path != NULL ? c->path : "keyauth.conf";
}

/*
 * With signatures = K: K signatures by distinct allowed keys over the
 * very bytes p was loaded from. The state directory (root's, checked by
 * stage_prepare) holds ssh-keygen's private working directory.
 */
static int
stage_signatures(struct install *in)
{
	const struct kp_conf *c = install_conf(in);
	const struct kp_install_opts *o = in->o;
	struct kp_sig_opts so;
	struct kp_diag d;
	char dir[4096];
	const char *why = NULL;
	size_t size;
	int r, fd;

	if (c->signatures == 0)
		return 0;
	in->res->signed_checked = 1;
	if (in->buf == NULL || in->path == NULL) {
		in->res->reason = KP_IR_UNSIGNED;
		kp_diag_set(in->diag, NULL, 0, 0,
		    "%s requires signatures: only a policy file with its "
		    "signature files can be installed",
		    conf_name(c));
		return KP_ERR_INVALID;
	}
	if ((r = kp_signers_read(
	         c->allowed_signers, o->allow_uid, NULL, NULL, &d)) != 0) {
		in->res->reason =
		    r == KP_ERR_NOMEM ? KP_IR_ERROR : KP_IR_CONFIG;
		if (d.line > 0)
			kp_diag_set(in->diag, NULL, 0, 0,
			    "allowed_signers %s:%u: %s", c->allowed_signers,
			    d.line, d.msg);
		else
			kp_diag_set(in->diag, NULL, 0, 0,
			    "allowed_signers %s: %s", c->allowed_signers,
			    d.msg);
		return r;
	}
	if (c->revoked_signers != NULL) {
		if ((r = kp_file_open_safe(c->revoked_signers,
		         KP_SIGNERS_MAX_BYTES * 16, o->allow_uid, &fd, &size,
		         &why)) != 0) {
			in->res->reason = KP_IR_CONFIG;
			kp_diag_set(in->diag, NULL, 0, 0,
			    "revoked_signers %s: %s", c->revoked_signers,
			    why != NULL ? why : kp_strerror(r));
			return r;
		}
		close(fd);
	}
	if (parent_dir(o->state_path, dir, sizeof(dir)) != 0)
		return KP_ERR_ARG;
	memset(&so, 0, sizeof(so));
	so.keygen = o->keygen;
	so.policy_path = in->path;
	so.allowed_signers = c->allowed_signers;
	so.revoked_signers = c->revoked_signers;
	so.required = c->signatures;
	so.conf_name = conf_name(c);
	so.workdir = dir;
	so.allow_uid = o->allow_uid;
	if ((r = kp_sig_verify(&so, in->buf, in->len, &in->res->sigs, &d)) !=
	    0) {
		in->res->reason = KP_IR_ERROR;
		kp_diag_set(
		    in->diag, NULL, 0, 0, "checking signatures: %s", d.msg);
		return r;
	}
	if (in->res->sigs.reason != KP_IR_OK) {
		in->res->reason = in->res->sigs.reason;
		kp_diag_set(in->diag, NULL, 0, 0, "%s", in->res->sigs.msg);
		return KP_ERR_INVALID;
	}
	return 0;
}

int
kp_policy_validity_check(const struct kp_policy *p, int64_t max_validity,
    int64_t now, char *why, size_t whylen)
{
	char a[64], b[64];
	int64_t span;

	if (!p->has_issued || p->expires == KP_TIME_NONE_AFTER) {
		snprintf(why, whylen,
		    "a signed policy must carry issued: and expires: (it has "
		    "%s); they bound how long a withheld update can go "
		    "unnoticed",
		    p->has_issued ? "issued: but no expires:"
		        : p->expires != KP_TIME_NONE_AFTER
		        ? "expires: but no issued:"
		        : "neither");
		return KP_ERR_INVALID;
	}
	kp_time_format(p->issued, a, sizeof(a));
	kp_time_format(p->expires, b, sizeof(b));
	if (p->expires <= p->issued) {
		snprintf(
		    why, whylen, "expires %s is not after issued %s", b, a);
		return KP_ERR_INVALID;
	}
	if (p->issued > now + KP_CLOCK_SKEW) {
		snprintf(why, whylen,
		    "issued %s is in the future (more than %d s ahead of this "
		    "host's clock)",
		    a, KP_CLOCK_SKEW);
		return KP_ERR_INVALID;
	}
	span = p->expires - p->issued;
	if (span > max_validity) {
		snprintf(why, whylen,
		    "valid for %lld s (issued %s, expires %s), longer than "
		    "max_validity %lld s",
		    (long long)span, a, b, (long long)max_validity);
		return KP_ERR_INVALID;
	}
	return 0;
}

/* A signed policy's own window: issued and expires, at most max_validity. */
static int
stage_validity(struct install *in)
{
	const struct kp_conf *c = install_conf(in);
	char why[KP_DIAG_MSG_MAX - 64];

	if (c->signatures == 0)
		return 0;
	if (kp_policy_validity_check(
	        in->p, c->max_validity, in->o->now, why, sizeof(why)) != 0) {
		in->res->reason = KP_IR_VALIDITY;
		kp_diag_set(in->diag, NULL, 0, 0, "%s (%s)", why, conf_name(c));
		return KP_ERR_INVALID;
	}
	return 0;
}

/*
 * The mass-removal guard, against the installed index when it is intact
 * and for this host (an index for another host says nothing of what this
 * one grants).
 */
static int
stage_removal(struct install *in)
{
	const struct kp_conf *c = install_conf(in);
	const struct kp_install_opts *o = in->o;
	struct kp_removal *rm = &in->res->removal;
	struct kp_index *ix = NULL;
	char ex[3 * 128 + 8];
	size_t i;
	int r;

	if (kp_index_open(o->index_path, o->allow_uid, &ix, NULL) != 0)
		return 0;
	if (kp_index_check_host(ix, o->host, NULL) != 0) {
		kp_index_close(ix);
		return 0;
	}
	r = kp_removal_count(ix, in->p, o->host, o->now, rm);
	kp_index_close(ix);
	if (r != 0) {
		in->res->reason = KP_IR_ERROR;
		kp_diag_set(in->diag, NULL, 0, 0,
		    "comparing with the installed index %s: %s", o->index_path,
		    kp_strerror(r));
		return r;
	}
	in->res->removal_checked = 1;
	if (o->allow_removal || !kp_removal_excessive(rm, c->max_removal))
		return 0;
	ex[0] = '\0';
	for (i = 0; i < rm->nexamples; i++) {
		strncat(ex, i > 0 ? ", " : "", sizeof(ex) - strlen(ex) - 1);
		strncat(ex, rm->examples[i], sizeof(ex) - strlen(ex) - 1);
	}
	in->res->reason = KP_IR_MASS_REMOVAL;
	kp_diag_set(in->diag, NULL, 0, 0,
	    "refusing a mass removal: the policy removes %llu of the %llu "
	    "(account, key) grants of host %s (%llu%%, more than max_removal "
	    "%u%%), e.g. %s%s; install --allow-removal if this is intended",
	    (unsigned long long)rm->removed, (unsigned long long)rm->before,
	    o->host,
	    (unsigned long long)(rm->removed * 100 /
	        (rm->before ? rm->before : 1)),
	    c->max_removal, ex,
	    rm->revoked > 0 ? " (grants lost to new revocations do not count)"
	                    : "");
	return KP_ERR_INVALID;
}

/* The directories, the lock and the baseline: what every stage needs. */
static int
install_begin(struct install *in)
{
	int r;

	if (in->begun)
		return 0;
	/* The baseline only reads: every record names the previous serial. */
	if ((r = stage_prepare(in)) != 0 || (r = stage_baseline(in)) != 0)
		return r;
	in->begun = 1;
	return 0;
}

/* The installed index records these bytes (sha256) for this host. */
static int
index_records(const struct kp_install_opts *o, const char *sha256)
{
	struct kp_index *ix = NULL;
	const struct kp_index_meta *m;
	int ok;

	if (kp_index_open(o->index_path, o->allow_uid, &ix, NULL) != 0)
		return 0;
	ok = (m = kp_index_meta(ix)) != NULL &&
	    strcmp(m->sha256, sha256) == 0 && strcmp(m->host, o->host) == 0;
	kp_index_close(ix);
	return ok;
}

/*
 * kp_install_file, before loading: the very bytes of the installed policy
 * (the same SHA-256, hence the same serial) whose index and KRL are
 * intact (index_current, as stage_rule checks them) need no loading:
 * stage_rule would find KP_INSTALL_SAME, and so this does. Other bytes, a
 * damaged or missing file or another host go the whole way, so rollback,
 * conflict and repair are decided as ever, and nothing is touched before
 * the policy is loaded (a glance at the index first: only a likely no-op
 * takes the lock early). Not with signatures required: stage_validity
 * reads issued and expires from the loaded policy (docs/performance.md).
 */
static int
stage_same_bytes(struct install *in)
{
	char sha[65];
	int r;

	if (install_conf(in)->signatures != 0)
		return 0;
	if (in->buf != NULL)
		kp_policy_sha256(in->buf, in->len, sha);
	else if (kp_policy_file_sha256(in->path, sha, NULL) != 0)
		return 0; /* reading it the whole way says why */
	if (!index_records(in->o, sha))
		return 0;
	/* Decided again under the lock, against the baseline. */
	if ((r = install_begin(in)) != 0)
		return r;
	if (!in->have || strcmp(in->cur.sha256, sha) != 0 ||
	    strcmp(in->cur.host, in->o->host) != 0 ||
	    !index_current(in->o, in->cur.serial, sha))
		return 0;
	in->res->serial = in->cur.serial;
	memcpy(in->res->sha256, sha, sizeof(in->res->sha256));
	in->res->outcome = KP_INSTALL_UNCHANGED;
	return KP_INSTALL_SAME;
}

/* Every stage, in order, for in (kp_install, kp_install_file). */
static int
install_run(struct install *in)
{
	int r;

	if ((r = install_begin(in)) != 0 || (r = stage_signatures(in)) != 0 ||
	    (r = stage_validity(in)) != 0)
		return r;
	if ((r = stage_rule(in)) != 0)
		return r == KP_INSTALL_SAME ? 0 : r; /* same: nothing to do */
	if ((r = stage_removal(in)) != 0 || (r = stage_build_krl(in)) != 0 ||
	    (r = stage_compile(in)) != 0 || (r = stage_put_krl(in)) != 0 ||
	    (r = stage_verify(in)) != 0 || (r = stage_write_state(in)) != 0)
		return r;
	in->res->outcome = KP_INSTALL_DONE;
	install_warn(in);
	return 0;
}

static int
install_start(struct install *in, const struct kp_policy *p,
    const struct kp_install_opts *o, struct kp_install_result *res,
    struct kp_diag *diag)
{
	memset(in, 0, sizeof(*in));
	in->lockfd = in->krl.fd = in->krl.dfd = -1;
	if (o == NULL || res == NULL || o->index_path == NULL ||
	    o->krl_path == NULL || o->state_path == NULL || o->keygen == NULL ||
	    o->host == NULL) {
		kp_diag_set(diag, NULL, 0, 0, "kp_install: bad arguments");
		return KP_ERR_ARG;
	}
	if (!kp_host_name_valid(o->host)) {
		kp_diag_set(diag, NULL, 0, 0,
		    "invalid host name \"%.255s\" (expected letters, digits, "
		    "'.', '-', '_')",
		    o->host);
		return KP_ERR_INVALID;
	}
	in->p = p;
	in->o = o;
	in->res = res;
	in->diag = diag;
	return 0;
}

static void
install_end(struct install *in)
{
	kp_atomic_abort(&in->krl);
	if (in->lockfd >= 0)
		close(in->lockfd);
	in->lockfd = -1;
}

/* The record's verdict from the outcome and the reason stages gave. */
static void
install_verdict(struct kp_install_result *res, int r)
{
	if (r == 0) {
		res->reason = KP_IR_OK;
		res->verdict = res->outcome == KP_INSTALL_UNCHANGED
		    ? KP_VERDICT_UNCHANGED
		    : KP_VERDICT_INSTALLED;
		return;
	}
	if (res->reason == KP_IR_OK)
		res->reason = r == KP_ERR_INVALID ? KP_IR_INVALID : KP_IR_ERROR;
	res->verdict = res->reason == KP_IR_ERROR || res->reason == KP_IR_CONFIG
	    ? KP_VERDICT_FAILED
	    : KP_VERDICT_REFUSED;
}

int
kp_install(const struct kp_policy *p, const struct kp_install_opts *o,
    struct kp_install_result *res, struct kp_diag *diag)
{
	struct install in;
	int r;

	if (res != NULL)
		memset(res, 0, sizeof(*res));
	if (diag != NULL)
		memset(diag, 0, sizeof(*diag));
	if (p == NULL) {
		kp_diag_set(diag, NULL, 0, 0, "kp_install: bad arguments");
		return KP_ERR_ARG;
	}
	if ((r = install_start(&in, p, o, res, diag)) != 0)
		return r;
	res->serial = p->serial;
	memcpy(res->sha256, p->sha256, sizeof(res->sha256));
	r = install_run(&in);
	install_end(&in);
	install_verdict(res, r);
	return r;
}

int
kp_install_file(const char *path, const struct kp_install_opts *o,
    struct kp_install_result *res, struct kp_diag *diag)
{
	struct kp_policy *p = NULL;
	struct install in;
	char *buf = NULL;
	size_t len = 0;
	int r, is_dir;

	if (res != NULL)
		memset(res, 0, sizeof(*res));
	if (diag != NULL)
		memset(diag, 0, sizeof(*diag));
	if (path == NULL || res == NULL)
		return KP_ERR_ARG;
	if ((r = install_start(&in, NULL, o, res, diag)) != 0)
		goto out;
	in.path = path;
	/* A file is hashed as it is read, without holding it (no-op check). */
	if (!(is_dir = kp_policy_path_is_dir(path)) &&
	    (r = stage_same_bytes(&in)) != 0)
		goto same;
	/*
	 * Without signatures a file is streamed into the loader, never held
	 * whole (a 200 MB file of 1M keys); errors read as they would below.
	 */
	if (!is_dir && install_conf(&in)->signatures == 0) {
		if ((r = kp_policy_load(path, KP_LOAD_SAFE, &p, diag)) != 0) {
			res->reason = r == KP_ERR_UNSAFE ? KP_IR_UNSAFE
			    : r == KP_ERR_NOMEM || r == KP_ERR_IO ||
			        r == KP_ERR_NOTFOUND || r == KP_ERR_ARG
			    ? KP_IR_ERROR
			    : KP_IR_INVALID;
			goto end;
		}
		goto loaded;
	}
	/* One read: what is verified is what is loaded and installed. */
	if ((r = kp_policy_signed_bytes(
	         path, KP_LOAD_SAFE, &buf, &len, diag)) != 0) {
		if (diag != NULL)
			snprintf(diag->file, sizeof(diag->file), "%s", path);
		res->reason = r == KP_ERR_UNSAFE ? KP_IR_UNSAFE
		    : r == KP_ERR_TOOBIG         ? KP_IR_INVALID
		                                 : KP_IR_ERROR;
		goto end;
	}
	in.buf = buf;
	in.len = len;
	if (is_dir && (r = stage_same_bytes(&in)) != 0)
		goto same;
	if ((r = kp_policy_load_buf(path, buf, len, &p, diag)) != 0) {
		res->reason = r == KP_ERR_NOMEM ? KP_IR_ERROR : KP_IR_INVALID;
		goto end;
	}
loaded:
	in.p = p;
	res->serial = p->serial;
	memcpy(res->sha256, p->sha256, sizeof(res->sha256));
	/*
	 * Only stage_signatures reads the bytes again: without signatures
	 * they go now, before the compiler needs its memory (a 200 MB file
	 * of 1M keys).
	 */
	if (install_conf(&in)->signatures == 0) {
		free(buf);
		buf = NULL;
		in.buf = NULL;
		in.len = 0;
	}
	r = install_run(&in);
	goto end;
same:
	if (r == KP_INSTALL_SAME)
		r = 0; /* the installed policy, intact: nothing to do */
end:
	install_end(&in);
out:
	install_verdict(res, r);
	kp_policy_free(p);
	free(buf);
	return r;
}

void
kp_install_result_free(struct kp_install_result *res)
{
	size_t i;

	if (res == NULL)
		return;
	kp_sig_check_free(&res->sigs);
	for (i = 0; i < res->nwarnings; i++)
		free(res->warnings[i]);
	free(res->warnings);
	res->warnings = NULL;
	res->nwarnings = 0;
}

void
kp_install_audit(const struct kp_install_result *res, const char *host,
    const char *error, struct kp_audit *a)
{
	memset(a, 0, sizeof(*a));
	a->event = KP_EVENT_INSTALL;
	a->verdict = res->verdict;
	a->install_reason = res->reason;
	a->host = host;
	a->policy_serial = res->serial;
	a->policy_sha256 = res->sha256[0] != '\0' ? res->sha256 : NULL;
	a->signers = res->sigs.signers[0] != '\0' ? res->sigs.signers : NULL;
	a->previous_serial = res->had_previous ? res->previous.serial : 0;
	if (res->verdict == KP_VERDICT_REFUSED ||
	    res->verdict == KP_VERDICT_FAILED)
		a->error = error != NULL && error[0] != '\0' ? error : NULL;
}
