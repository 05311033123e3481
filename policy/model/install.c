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
#include "keyauth-policy.h"

static void diag_set(struct kp_diag *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
diag_set(struct kp_diag *d, const char *fmt, ...)
{
	va_list ap;

	if (d == NULL)
		return;
	memset(d, 0, sizeof(*d));
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
}

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
	if (p->nrevoked + p->nentries < p->nentries) /* overflow */
		return KP_ERR_TOOBIG;
	if ((fps = calloc(p->nrevoked + p->nentries + 1, sizeof(*fps))) == NULL)
		return KP_ERR_NOMEM;
	for (i = 0; i < p->nrevoked; i++) {
		if (p->revoked[i].kind != KP_REVOKE_OWNER &&
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

static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t w;

	while (len > 0) {
		w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
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
	int pfd[2] = {-1, -1}, devnull = -1, status = 0, r = KP_ERR_IO;
	size_t got = 0;
	char sink[256];
	ssize_t n;
	pid_t pid;

	errbuf[0] = '\0';
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		snprintf(errbuf, errlen, "pipe: %s", strerror(errno));
		return KP_ERR_IO;
	}
	if ((devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(errbuf, errlen, "/dev/null: %s", strerror(errno));
		goto out;
	}
	if ((pid = fork()) < 0) {
		snprintf(errbuf, errlen, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		/* dup2 clears close-on-exec on the copies only. */
		if (dup2(devnull, 0) < 0 || dup2(pfd[1], 1) < 0 ||
		    dup2(pfd[1], 2) < 0)
			_exit(127);
		execve(keygen, argv, envp);
		_exit(127);
	}
	close(pfd[1]);
	pfd[1] = -1;
	for (;;) {
		char *dst = got + 1 < errlen ? errbuf + got : sink;
		size_t room =
		    got + 1 < errlen ? errlen - 1 - got : sizeof(sink);

		n = read(pfd[0], dst, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (dst != sink)
			got += (size_t)n;
	}
	errbuf[got] = '\0';
	/* One line for the caller's message. */
	for (size_t i = 0; i < got; i++) {
		if (errbuf[i] == '\n' || errbuf[i] == '\r')
			errbuf[i] = i + 1 == got ? '\0' : ' ';
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			snprintf(
			    errbuf, errlen, "waitpid: %s", strerror(errno));
			goto out;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		r = 0;
	} else {
		char said[256];

		snprintf(said, sizeof(said), "%s", errbuf);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127 &&
		    said[0] == '\0')
			snprintf(errbuf, errlen, "%s could not be run", keygen);
		else if (WIFEXITED(status))
			snprintf(errbuf, errlen, "%s exited with status %d%s%s",
			    keygen, WEXITSTATUS(status),
			    said[0] != '\0' ? ": " : "", said);
		else
			snprintf(errbuf, errlen, "%s killed by signal %d",
			    keygen, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	}
out:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	if (devnull >= 0)
		close(devnull);
	return r;
}

int
kp_install_krl_build(const char *keygen, const char *spec, size_t speclen,
    const char *path, char **tmp_out, char *errbuf, size_t errlen)
{
	char *spec_path = NULL, *krl_tmp = NULL;
	int fd = -1, r = KP_ERR_IO;
	char a0[] = "ssh-keygen", a1[] = "-q", a2[] = "-k", a3[] = "-f";
	char *argv[7];

	if (tmp_out != NULL)
		*tmp_out = NULL;
	if (errbuf == NULL || errlen == 0)
		return KP_ERR_ARG;
	errbuf[0] = '\0';
	if (keygen == NULL || spec == NULL || path == NULL || tmp_out == NULL ||
	    keygen[0] != '/' || path[0] != '/')
		return KP_ERR_ARG;
	if (access(keygen, X_OK) != 0) {
		snprintf(errbuf, errlen, "%s: %s", keygen, strerror(errno));
		return KP_ERR_IO;
	}
	if ((spec_path = path_with_suffix(path, ".spec.XXXXXX")) == NULL ||
	    (krl_tmp = path_with_suffix(path, ".new.XXXXXX")) == NULL) {
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
	if (write_all(fd, spec, speclen) != 0 || close(fd) != 0) {
		fd = -1;
		snprintf(errbuf, errlen, "%s: %s", spec_path, strerror(errno));
		goto out;
	}
	if ((fd = mkstemp(krl_tmp)) < 0) {
		snprintf(errbuf, errlen, "%s: %s", krl_tmp, strerror(errno));
		free(krl_tmp);
		krl_tmp = NULL;
		goto out;
	}
	close(fd);
	fd = -1;

	argv[0] = a0;
	argv[1] = a1;
	argv[2] = a2;
	argv[3] = a3;
	argv[4] = krl_tmp;
	argv[5] = spec_path;
	argv[6] = NULL;
	if ((r = run_keygen(keygen, argv, errbuf, errlen)) != 0)
		goto out;

	/* ssh-keygen wrote it in place; make it durable and readable. */
	r = KP_ERR_IO;
	if ((fd = open(krl_tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
		snprintf(errbuf, errlen, "%s: %s", krl_tmp, strerror(errno));
		goto out;
	}
	*tmp_out = krl_tmp; /* ownership to the caller */
	krl_tmp = NULL;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (spec_path != NULL) {
		unlink(spec_path);
		free(spec_path);
	}
	if (krl_tmp != NULL) {
		unlink(krl_tmp);
		free(krl_tmp);
	}
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
		diag_set(diag, "%s: not an absolute file path", path);
		return KP_ERR_ARG;
	}
	if (stat(dir, &st) != 0) {
		if (errno != ENOENT || mkdir(dir, 0755) != 0 ||
		    stat(dir, &st) != 0) {
			diag_set(diag, "cannot create directory %s: %s", dir,
			    strerror(errno));
			return KP_ERR_IO;
		}
	}
	if (!S_ISDIR(st.st_mode)) {
		diag_set(diag, "%s is not a directory", dir);
		return KP_ERR_UNSAFE;
	}
	if (st.st_uid != 0 && st.st_uid != allow_uid) {
		diag_set(diag, "directory %s is owned by uid %lu, not root",
		    dir, (unsigned long)st.st_uid);
		return KP_ERR_UNSAFE;
	}
	if ((st.st_mode & 022) != 0) {
		diag_set(diag, "directory %s is group or world writable", dir);
		return KP_ERR_UNSAFE;
	}
	return 0;
}

static int
fsync_dir_of(const char *path)
{
	char dir[4096];
	int fd, r = 0;

	if (parent_dir(path, dir, sizeof(dir)) != 0)
		return -1;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if (fsync(fd) != 0)
		r = -1;
	close(fd);
	return r;
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
		diag_set(diag, "%s: %s", dir, strerror(errno));
		return KP_ERR_IO;
	}
	/* Two installs at once would race the rollback check. */
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		diag_set(diag,
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
	if (ok && (lstat(o->krl_path, &st) != 0 || !S_ISREG(st.st_mode)))
		ok = 0;
	return ok;
}

int
kp_install(const struct kp_policy *p, const struct kp_install_opts *o,
    struct kp_install_result *res, struct kp_diag *diag)
{
	struct kp_install_state cur, next;
	struct kp_index *ix = NULL;
	const struct kp_index_meta *m;
	char *spec = NULL, *krl_tmp = NULL, errbuf[512], when[64];
	const char *why = NULL;
	size_t speclen = 0;
	int r, lockfd = -1, have = 0;

	if (res != NULL)
		memset(res, 0, sizeof(*res));
	if (diag != NULL)
		memset(diag, 0, sizeof(*diag));
	if (p == NULL || o == NULL || res == NULL || o->index_path == NULL ||
	    o->krl_path == NULL || o->state_path == NULL || o->keygen == NULL ||
	    o->host == NULL) {
		diag_set(diag, "kp_install: bad arguments");
		return KP_ERR_ARG;
	}
	if (!kp_host_name_valid(o->host)) {
		diag_set(diag,
		    "invalid host name \"%.255s\" (expected letters, digits, "
		    "'.', '-', '_')",
		    o->host);
		return KP_ERR_INVALID;
	}
	if ((r = prepare_dir(o->index_path, o->allow_uid, diag)) != 0 ||
	    (r = prepare_dir(o->krl_path, o->allow_uid, diag)) != 0 ||
	    (r = prepare_dir(o->state_path, o->allow_uid, diag)) != 0)
		return r;
	if ((r = lock_state_dir(o->state_path, &lockfd, diag)) != 0)
		return r;

	r = kp_install_state_read(o->state_path, o->allow_uid, &cur, &why);
	if (r == 0) {
		have = 1;
	} else if (r != KP_ERR_NOTFOUND) {
		/* Never guess: a damaged state must not become "first install". */
		diag_set(diag,
		    "state file %s is unreadable or corrupt (%s: %s); "
		    "inspect it, or remove it to install anew",
		    o->state_path, kp_strerror(r), why != NULL ? why : "-");
		goto out;
	}
	/*
	 * The baseline is the higher of the state's serial and the intact
	 * index's: the index goes live before the state is written, so a
	 * crash (or a restored state file) can leave the state behind, and
	 * a deleted state file must not open the door to a rollback either.
	 */
	if (kp_index_open(o->index_path, o->allow_uid, &ix, NULL) == 0 &&
	    (m = kp_index_meta(ix)) != NULL &&
	    (!have || m->serial > cur.serial)) {
		memset(&cur, 0, sizeof(cur));
		cur.serial = m->serial;
		memcpy(cur.sha256, m->sha256, sizeof(cur.sha256));
		snprintf(cur.host, sizeof(cur.host), "%s", m->host);
		cur.installed_at = m->compiled_at;
		have = 1;
	}
	if (ix != NULL)
		kp_index_close(ix);
	ix = NULL;
	r = 0;
	if (have) {
		res->had_previous = 1;
		res->previous = cur;
	}

	r = kp_install_check(have ? &cur : NULL, p->serial, p->sha256);
	if (r == KP_ERR_ROLLBACK) {
		diag_set(diag,
		    "refusing serial %llu: installed serial is %llu (rollback)",
		    (unsigned long long)p->serial,
		    (unsigned long long)cur.serial);
		goto out;
	} else if (r == KP_ERR_CONFLICT) {
		diag_set(diag,
		    "serial %llu is already installed with different content; "
		    "bump serial",
		    (unsigned long long)p->serial);
		goto out;
	} else if (r == KP_INSTALL_SAME) {
		if (strcmp(cur.host, o->host) == 0 &&
		    index_current(o, p->serial, p->sha256)) {
			res->outcome = KP_INSTALL_UNCHANGED;
			r = 0;
			goto out;
		}
		/* Same policy, but the files are missing, damaged or for
		 * another host: write them again. */
		res->repaired = 1;
	} else if (r != KP_INSTALL_PROCEED) {
		diag_set(diag, "rollback check: %s", kp_strerror(r));
		goto out;
	}

	if (kp_policy_stale(p->expires, o->now)) {
		kp_time_format(p->expires, when, sizeof(when));
		diag_set(diag,
		    "policy expired at %s; refusing to install a stale policy "
		    "(every login would be denied)",
		    when);
		r = KP_ERR_INVALID;
		goto out;
	}

	if ((r = kp_install_krl_spec(p, &spec, &speclen, &res->nkrl)) != 0) {
		diag_set(diag, "KRL: %s", kp_strerror(r));
		goto out;
	}
	if ((r = kp_install_krl_build(o->keygen, spec, speclen, o->krl_path,
	         &krl_tmp, errbuf, sizeof(errbuf))) != 0) {
		diag_set(diag, "KRL: %s", errbuf[0] ? errbuf : kp_strerror(r));
		goto out;
	}
	if ((r = kp_index_compile(p, o->host, o->now, o->index_path, diag)) !=
	    0) {
		if (diag != NULL && diag->msg[0] == '\0')
			diag_set(diag, "compiling %s: %s", o->index_path,
			    kp_strerror(r));
		goto out;
	}
	if (rename(krl_tmp, o->krl_path) != 0) {
		diag_set(diag,
		    "%s: %s (the index is installed, the KRL is not)",
		    o->krl_path, strerror(errno));
		r = KP_ERR_IO;
		goto out;
	}
	free(krl_tmp);
	krl_tmp = NULL;
	if (fsync_dir_of(o->krl_path) != 0) {
		diag_set(diag, "fsync directory of %s: %s", o->krl_path,
		    strerror(errno));
		r = KP_ERR_IO;
		goto out;
	}

	/* Read back what was written before recording it as installed. */
	if ((r = kp_index_open(o->index_path, o->allow_uid, &ix, &why)) != 0) {
		diag_set(diag, "the new index %s does not verify: %s: %s",
		    o->index_path, kp_strerror(r), why != NULL ? why : "-");
		goto out;
	}
	m = kp_index_meta(ix);
	if (m == NULL || m->serial != p->serial ||
	    strcmp(m->sha256, p->sha256) != 0 ||
	    strcmp(m->host, o->host) != 0) {
		diag_set(diag, "the new index %s does not record serial %llu",
		    o->index_path, (unsigned long long)p->serial);
		r = KP_ERR_INTERNAL;
		goto out;
	}
	res->nentries = m->nentries;
	res->nkeys = m->nkeys;

	memset(&next, 0, sizeof(next));
	next.serial = p->serial;
	memcpy(next.sha256, p->sha256, sizeof(next.sha256));
	snprintf(next.host, sizeof(next.host), "%s", o->host);
	next.installed_at = o->now;
	if ((r = kp_install_state_write(o->state_path, &next)) != 0) {
		diag_set(diag, "writing state file %s: %s", o->state_path,
		    r == KP_ERR_IO ? strerror(errno) : kp_strerror(r));
		goto out;
	}
	res->outcome = KP_INSTALL_DONE;
	r = 0;
out:
	if (ix != NULL)
		kp_index_close(ix);
	if (krl_tmp != NULL) {
		unlink(krl_tmp);
		free(krl_tmp);
	}
	free(spec);
	if (lockfd >= 0)
		close(lockfd);
	return r;
}
