/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * Signed policies (docs/fleet.md): detached SSH signatures made and
 * checked by OpenSSH's own ssh-keygen -Y, in the namespace
 * keyauth-policy@keyauth, against an allowed_signers file. There is no
 * signature code here: this file finds the signature files, bounds them,
 * runs ssh-keygen (absolute path, no shell, an empty environment, output
 * bounded) on exactly the bytes that are then installed, and counts the
 * distinct signer keys.
 *
 * Decisions:
 *  - A signature that does not count (it does not verify, its key is
 *    unknown or revoked, or a second one by the same key) never refuses
 *    a policy on its own: K signatures that count are needed, and extra
 *    files that do not count are reported. A stale signature file left
 *    beside a re-signed policy must not lock a host out, and nobody gains
 *    anything by adding a bad one.
 *  - Distinct signers are distinct keys (fingerprints), not principals:
 *    one key listed under two names is one person.
 *  - allowed_signers is checked line by line before ssh-keygen sees it:
 *    ssh-keygen skips a line it cannot parse without a word, and a signer
 *    silently missing is a four-eyes rule silently weakened.
 */

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyauth-policy.h"
#include "kp-internal.h"
#include "kp-policy.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
/* What ssh-keygen may say about one signature; the rest is dropped. */
#define TOOL_OUT_MAX 4096
#define SIGNERS_LINE_MAX 16384

/* ------------------------------------------------------- signed bytes */

int
kp_policy_signed_bytes(const char *path, unsigned flags, char **out,
    size_t *len, struct kp_diag *diag)
{
	const char *why = NULL;
	int r;

	/*
	 * The signed unit is the policy file, byte for byte, or a policy
	 * directory's canonical form (policydir.c): sign, verify and install
	 * all take it from here.
	 */
	if (kp_policy_path_is_dir(path))
		return kp_policy_dir_bytes(path, flags, out, len, diag);
	if ((flags & KP_LOAD_SAFE) != 0)
		r = kp_file_read_safe(
		    path, KP_POLICY_MAX_BYTES, (uid_t)-1, out, len, &why);
	else
		r = kp_file_read(path, KP_POLICY_MAX_BYTES, 0, out, len, &why);
	if (r == 0)
		return 0;
	if (r == KP_ERR_TOOBIG)
		kp_diag_at(diag, 0, 0, "policy too large (at most %lu bytes)",
		    (unsigned long)KP_POLICY_MAX_BYTES);
	else if (r == KP_ERR_NOTFOUND || r == KP_ERR_IO)
		kp_diag_at(diag, 0, 0, "%s: %s",
		    why != NULL ? why : kp_strerror(r), strerror(errno));
	else
		kp_diag_at(
		    diag, 0, 0, "%s", why != NULL ? why : kp_strerror(r));
	return r;
}

/* ------------------------------------------------------ file names */

int
kp_sig_identity_valid(const char *id)
{
	/* One file-name component: no '/', no leading '.' or '-'. */
	return id != NULL && kp_id_valid(id) && id[0] != '.' && id[0] != '-';
}

int
kp_sig_path(const char *policy_path, const char *identity, char **out)
{
	*out = NULL;
	if (policy_path == NULL || policy_path[0] == '\0')
		return KP_ERR_ARG;
	if (identity != NULL && !kp_sig_identity_valid(identity))
		return KP_ERR_INVALID;
	if (identity == NULL)
		return kp_strconcat(
		    out, PATH_MAX, policy_path, ".sig", (char *)NULL);
	return kp_strconcat(
	    out, PATH_MAX, policy_path, ".", identity, ".sig", (char *)NULL);
}

/* NAME is BASE.sig or BASE.<identity>.sig. */
static int
sig_name_of(const char *base, const char *name)
{
	size_t bl = strlen(base), nl = strlen(name);
	char id[KP_ID_MAX + 1];

	if (nl < bl + 4 || strncmp(name, base, bl) != 0 ||
	    strcmp(name + nl - 4, ".sig") != 0)
		return 0;
	if (nl == bl + 4)
		return 1;
	if (name[bl] != '.' || nl - bl - 5 == 0 || nl - bl - 5 > KP_ID_MAX)
		return 0;
	memcpy(id, name + bl + 1, nl - bl - 5);
	id[nl - bl - 5] = '\0';
	return kp_sig_identity_valid(id);
}

/* ------------------------------------------------- allowed_signers */

static int
strv_add(char ***v, size_t *n, const char *s, size_t len)
{
	char **tmp, *c;
	size_t i;

	for (i = 0; i < *n; i++) {
		if (strlen((*v)[i]) == len && strncmp((*v)[i], s, len) == 0)
			return 0;
	}
	if ((c = strndup(s, len)) == NULL)
		return KP_ERR_NOMEM;
	if ((tmp = reallocarray(*v, *n + 1, sizeof(**v))) == NULL) {
		free(c);
		return KP_ERR_NOMEM;
	}
	*v = tmp;
	(*v)[(*n)++] = c;
	return 0;
}

/* The end of one field at p: whitespace outside double quotes. */
static const char *
field_end(const char *p)
{
	int q = 0;

	for (; *p != '\0'; p++) {
		if (*p == '"')
			q = !q;
		else if (!q && (*p == ' ' || *p == '\t'))
			break;
	}
	return q ? NULL : p;
}

static const char *
skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/*
 * The options field of an allowed_signers line: comma-separated, each one
 * that ssh-keygen knows (it drops a line with any other).
 */
static const char *
signer_options_why(const char *o, size_t len)
{
	static const char *const valued[] = {
	    "namespaces=\"", "valid-after=\"", "valid-before=\""};
	const char *p = o, *end = o + len, *q;
	size_t i, n;

	while (p < end) {
		if ((size_t)(end - p) >= 14 &&
		    strncmp(p, "cert-authority", 14) == 0 &&
		    (p + 14 == end || p[14] == ',')) {
			p += 14;
		} else {
			for (i = 0; i < NELEM(valued); i++) {
				n = strlen(valued[i]);
				if ((size_t)(end - p) > n &&
				    strncasecmp(p, valued[i], n) == 0)
					break;
			}
			if (i == NELEM(valued))
				return "an option other than cert-authority, "
				       "namespaces=\"...\", "
				       "valid-after=\"...\" "
				       "or valid-before=\"...\"";
			if ((q = memchr(p + n, '"', (size_t)(end - p - n))) ==
			        NULL ||
			    q == p + n)
				return "an option value that is empty or not "
				       "closed by '\"'";
			p = q + 1;
		}
		if (p < end && *p++ != ',')
			return "options not separated by ','";
		if (p == end && p[-1] == ',')
			return "a trailing ',' in the options";
	}
	return NULL;
}

/* 1 when the word at p (len bytes) starts a public key. */
static int
key_word(const char *p, size_t len)
{
	char t[64];

	if (len == 0 || len >= sizeof(t))
		return 0;
	memcpy(t, p, len);
	t[len] = '\0';
	return kp_key_type_supported(t) || strcmp(t, "ssh-dss") == 0 ||
	    strncmp(t, "ssh-", 4) == 0 || strncmp(t, "ecdsa-", 6) == 0 ||
	    strncmp(t, "sk-", 3) == 0;
}

/* One line; *why (static) when it is not one ssh-keygen would use. */
static int
signer_line(const char *line, char ***principals, size_t *np, const char **why)
{
	const char *p = line, *e, *pr, *type, *b64;
	char tbuf[64], *b = NULL;
	struct kp_pubkey *k = NULL;
	size_t plen, i, s;
	int r;

	*why = NULL;
	/* principals */
	if ((e = field_end(p)) == NULL || e == p) {
		*why = "no principals, or an unclosed '\"'";
		return KP_ERR_INVALID;
	}
	pr = p;
	plen = (size_t)(e - p);
	p = skip_space(e);
	if ((e = field_end(p)) == NULL || e == p) {
		*why = "no key after the principals";
		return KP_ERR_INVALID;
	}
	if (!key_word(p, (size_t)(e - p))) {
		if ((*why = signer_options_why(p, (size_t)(e - p))) != NULL)
			return KP_ERR_INVALID;
		p = skip_space(e);
		if ((e = field_end(p)) == NULL || e == p ||
		    !key_word(p, (size_t)(e - p))) {
			*why = "no key type after the options";
			return KP_ERR_INVALID;
		}
	}
	type = p;
	if ((size_t)(e - p) >= sizeof(tbuf)) {
		*why = "key type too long";
		return KP_ERR_INVALID;
	}
	memcpy(tbuf, type, (size_t)(e - p));
	tbuf[e - p] = '\0';
	p = skip_space(e);
	for (e = p; *e != '\0' && *e != ' ' && *e != '\t'; e++)
		;
	if (e == p) {
		*why = "no base64 key after the key type";
		return KP_ERR_INVALID;
	}
	b64 = p;
	if ((b = strndup(b64, (size_t)(e - b64))) == NULL)
		return KP_ERR_NOMEM;
	r = kp_pubkey_parse_parts(tbuf, b, &k, why);
	free(b);
	kp_pubkey_free(k);
	if (r != 0) {
		if (r == KP_ERR_NOMEM)
			return r;
		if (*why == NULL)
			*why = "not a usable public key";
		return KP_ERR_INVALID;
	}
	/* The literal principals name signature files for fetch. */
	for (i = 0; i < plen; i = s + 1) {
		for (s = i; s < plen && pr[s] != ','; s++)
			;
		if (s - i == 0 || s - i > KP_ID_MAX || pr[i] == '"')
			continue;
		{
			char id[KP_ID_MAX + 1];

			memcpy(id, pr + i, s - i);
			id[s - i] = '\0';
			if (!kp_sig_identity_valid(id))
				continue;
			if ((r = strv_add(principals, np, id, s - i)) != 0)
				return r;
		}
	}
	return 0;
}

int
kp_signers_read(const char *path, uid_t allow_uid, char ***principals,
    size_t *nprincipals, struct kp_diag *diag)
{
	const char *why = NULL, *p, *end, *nl, *s;
	char *buf = NULL, *line = NULL, **pv = NULL;
	size_t len = 0, n, np = 0, nkeys = 0;
	unsigned lineno = 0;
	int r;

	if (principals != NULL)
		*principals = NULL;
	if (nprincipals != NULL)
		*nprincipals = 0;
	if (path == NULL)
		return KP_ERR_ARG;
	if (diag != NULL) {
		memset(diag, 0, sizeof(*diag));
		snprintf(diag->file, sizeof(diag->file), "%s", path);
	}
	r = kp_file_read_safe(
	    path, KP_SIGNERS_MAX_BYTES, allow_uid, &buf, &len, &why);
	if (r != 0) {
		kp_diag_at(diag, 0, 0, "%s%s%s",
		    why != NULL ? why : kp_strerror(r),
		    r == KP_ERR_IO ? ": " : "",
		    r == KP_ERR_IO ? strerror(errno) : "");
		goto out;
	}
	if ((line = malloc(SIGNERS_LINE_MAX + 1)) == NULL) {
		r = KP_ERR_NOMEM;
		goto out;
	}
	r = KP_ERR_INVALID;
	for (p = buf, end = buf + len; p < end; p = nl + 1) {
		lineno++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (diag != NULL)
			diag->line = lineno;
		if (n > SIGNERS_LINE_MAX) {
			kp_diag_at(diag, lineno, 0, "line longer than %d bytes",
			    SIGNERS_LINE_MAX);
			goto out;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (memchr(line, '\0', n) != NULL ||
		    !kp_value_clean(line, SIGNERS_LINE_MAX, &why)) {
			kp_diag_at(diag, lineno, 0, "%s",
			    why != NULL ? why : "not text");
			goto out;
		}
		s = skip_space(line);
		if (*s == '\0' || *s == '#')
			continue;
		if ((r = signer_line(s, &pv, &np, &why)) != 0) {
			if (r != KP_ERR_NOMEM) {
				kp_diag_at(diag, lineno, 0,
				    "%s (ssh-keygen would skip this line "
				    "without a word)",
				    why);
			}
			goto out;
		}
		nkeys++;
		r = KP_ERR_INVALID;
	}
	if (nkeys == 0) {
		kp_diag_at(diag, 0, 0, "no signer key in the file");
		goto out;
	}
	if (principals != NULL) {
		*principals = pv;
		pv = NULL;
	}
	if (nprincipals != NULL)
		*nprincipals = np;
	if (diag != NULL)
		diag->line = 0;
	r = 0;
out:
	if (pv != NULL)
		kp_strv_free(pv, np);
	free(line);
	free(buf);
	return r;
}

/* ------------------------------------------------------- ssh-keygen */

struct tool {
	const char *keygen;
	char dir[PATH_MAX - 32]; /* private work directory */
	char sig[PATH_MAX]; /* the signature being checked, copied */
	int data_fd; /* the signed bytes */
	char out[TOOL_OUT_MAX + 1];
};

/*
 * Run ssh-keygen with argv (NULL-terminated, argv[0] first), standard
 * input the signed bytes; out gets what it said (stdout and stderr,
 * bounded, NUL-terminated). Returns its exit status, or -1 when it could
 * not be run or was killed.
 */
static int
tool_run(struct tool *t, const char *const *args)
{
	char *const envp[] = {NULL};
	char *argv[16];
	struct kp_buf b;
	int status = 0;
	size_t i;

	for (i = 0; args[i] != NULL && i + 1 < NELEM(argv); i++)
		argv[i] = (char *)(uintptr_t)args[i];
	argv[i] = NULL;
	t->out[0] = '\0';
	if (lseek(t->data_fd, 0, SEEK_SET) != 0)
		return -1;
	kp_buf_init_fixed(&b, t->out, sizeof(t->out));
	if (kp_run_fd(t->keygen, argv, envp, t->data_fd,
	        KP_RUN_OUT | KP_RUN_ERR, &b, NULL, &status) != 0)
		return -1;
	t->out[b.len < TOOL_OUT_MAX ? b.len : TOOL_OUT_MAX] = '\0';
	if (!WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* ssh-keygen's first line, cut, for a message. */
static void
tool_said(const struct tool *t, char *buf, size_t len)
{
	char tmp[TOOL_OUT_MAX + 1];
	char *line, *last = NULL, *save = NULL;

	snprintf(tmp, sizeof(tmp), "%s", t->out);
	/* The first line says why; the last only "Could not verify". */
	line = strtok_r(tmp, "\r\n", &save);
	last = line;
	snprintf(buf, len, "%.160s", last != NULL ? last : "(nothing)");
	/* Only printable text goes into our own messages. */
	for (; *buf != '\0'; buf++)
		if ((unsigned char)*buf < 0x20 || (unsigned char)*buf > 0x7e)
			*buf = '?';
}

/*
 * The key of a "Good ..." line: "Good "NS" signature [for P] with TYPE
 * key FP". 0 and fp, or -1.
 */
static int
good_fp(const char *out, char fp[KP_FP_LEN])
{
	const char *g, *k, *e;

	if ((g = strstr(out, "Good \"" KP_SIG_NAMESPACE "\" signature")) ==
	        NULL ||
	    (k = strstr(g, " key SHA256:")) == NULL)
		return -1;
	k += 5;
	for (e = k; *e != '\0' && *e != '\n' && *e != ' '; e++)
		;
	if ((size_t)(e - k) != KP_FP_LEN - 1)
		return -1;
	memcpy(fp, k, KP_FP_LEN - 1);
	fp[KP_FP_LEN - 1] = '\0';
	return kp_fingerprint_valid(fp) ? 0 : -1;
}

/* Write len bytes into a new file dir/name (0600). */
static int
write_private(const char *dir, const char *name, const void *buf, size_t len,
    char *path, size_t plen, int keep_fd)
{
	int fd, r;

	if (snprintf(path, plen, "%s/%s", dir, name) >= (int)plen)
		return KP_ERR_TOOBIG;
	fd = open(
	    path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return KP_ERR_IO;
	if ((r = kp_write_all(fd, buf, len)) != 0) {
		close(fd);
		return r;
	}
	if (keep_fd)
		return fd;
	return close(fd) == 0 ? 0 : KP_ERR_IO;
}

static int
tool_open(struct tool *t, const char *keygen, const char *parent,
    const char *buf, size_t len)
{
	char data[PATH_MAX];
	int fd;

	memset(t, 0, sizeof(*t));
	t->data_fd = -1;
	t->keygen = keygen;
	if (snprintf(t->dir, sizeof(t->dir), "%s/.keyauth-sig.XXXXXX",
	        parent) >= (int)sizeof(t->dir))
		return KP_ERR_TOOBIG;
	if (mkdtemp(t->dir) == NULL) {
		t->dir[0] = '\0';
		return KP_ERR_IO;
	}
	if ((fd = write_private(
	         t->dir, "policy", buf, len, data, sizeof(data), 1)) < 0)
		return fd;
	t->data_fd = fd;
	return 0;
}

static void
tool_close(struct tool *t)
{
	char path[PATH_MAX];

	if (t->data_fd >= 0)
		close(t->data_fd);
	t->data_fd = -1;
	if (t->dir[0] == '\0')
		return;
	snprintf(path, sizeof(path), "%s/policy", t->dir);
	unlink(path);
	if (t->sig[0] != '\0')
		unlink(t->sig);
	rmdir(t->dir);
	t->dir[0] = '\0';
}

/* ---------------------------------------------------------- verify */

static void sig_why(struct kp_sig_result *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sig_why(struct kp_sig_result *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

/* What ssh-keygen's refusal of a signature means, in words. */
static void
bad_signature_why(struct kp_sig_result *s, const struct tool *t)
{
	char said[200];

	tool_said(t, said, sizeof(said));
	if (strstr(t->out, "namespace does not match") != NULL)
		sig_why(s,
		    "signed in another namespace, not " KP_SIG_NAMESPACE
		    " (ssh-keygen: %s)",
		    said);
	else if (strstr(t->out, "incorrect signature") != NULL)
		sig_why(s,
		    "does not match the policy: the policy changed after it "
		    "was signed (ssh-keygen: %s)",
		    said);
	else if (strstr(t->out, "parse signature") != NULL ||
	    strstr(t->out, "invalid format") != NULL)
		sig_why(s,
		    "is not a readable SSH signature: truncated or damaged "
		    "(ssh-keygen: %s)",
		    said);
	else
		sig_why(s, "does not verify (ssh-keygen: %s)", said);
}

/* The principals find-principals printed, one per line or ','-separated. */
static size_t
split_principals(char *out, char **pv, size_t max)
{
	char *save = NULL, *p;
	size_t n = 0;

	for (p = strtok_r(out, "\r\n,", &save); p != NULL && n < max;
	     p = strtok_r(NULL, "\r\n,", &save)) {
		if (*p != '\0')
			pv[n++] = p;
	}
	return n;
}

static int
check_one(struct tool *t, const struct kp_sig_opts *o, struct kp_sig_result *s,
    const char *sigbuf, size_t siglen)
{
	char found[TOOL_OUT_MAX + 1], *pv[16], said[200];
	size_t np, i;
	int rc, r;

	if ((r = write_private(t->dir, "sig", sigbuf, siglen, t->sig,
	         sizeof(t->sig), 0)) != 0)
		return r;
	/* 1. Is it a good signature of these bytes in our namespace at all? */
	{
		const char *a[] = {"ssh-keygen", "-Y", "check-novalidate", "-n",
		    KP_SIG_NAMESPACE, "-s", t->sig, NULL};

		rc = tool_run(t, a);
	}
	if (rc < 0)
		return KP_ERR_IO;
	if (rc != 0 || good_fp(t->out, s->fp) != 0) {
		s->status = KP_SIG_BAD;
		bad_signature_why(s, t);
		goto done;
	}
	/* 2. Whose key is it? */
	{
		const char *a[] = {"ssh-keygen", "-Y", "find-principals", "-s",
		    t->sig, "-f", o->allowed_signers, NULL};

		rc = tool_run(t, a);
	}
	if (rc < 0)
		return KP_ERR_IO;
	if (rc != 0) {
		s->status = KP_SIG_UNKNOWN;
		sig_why(s,
		    "signed by key %s, which %s does not name (unknown "
		    "signer)",
		    s->fp, o->allowed_signers);
		goto done;
	}
	snprintf(found, sizeof(found), "%s", t->out);
	np = split_principals(found, pv, NELEM(pv));
	/* 3. Does allowed_signers let that principal sign this? */
	for (i = 0; i < np; i++) {
		const char *a[] = {"ssh-keygen", "-Y", "verify", "-f",
		    o->allowed_signers, "-I", pv[i], "-n", KP_SIG_NAMESPACE,
		    "-s", t->sig, o->revoked_signers != NULL ? "-r" : NULL,
		    o->revoked_signers, NULL};

		if ((rc = tool_run(t, a)) < 0)
			return KP_ERR_IO;
		if (rc == 0 && good_fp(t->out, s->fp) == 0) {
			snprintf(
			    s->principal, sizeof(s->principal), "%s", pv[i]);
			s->status = KP_SIG_COUNTED;
			goto done;
		}
	}
	snprintf(
	    s->principal, sizeof(s->principal), "%s", np > 0 ? pv[0] : "-");
	/* 4. Refused with the revocation list, accepted without: revoked. */
	if (o->revoked_signers != NULL && np > 0) {
		const char *a[] = {"ssh-keygen", "-Y", "verify", "-f",
		    o->allowed_signers, "-I", pv[0], "-n", KP_SIG_NAMESPACE,
		    "-s", t->sig, NULL};

		if ((rc = tool_run(t, a)) < 0)
			return KP_ERR_IO;
		if (rc == 0) {
			s->status = KP_SIG_REVOKED;
			sig_why(s, "signed by %s (%s), a revoked signer (%s)",
			    s->principal, s->fp, o->revoked_signers);
			goto done;
		}
	}
	tool_said(t, said, sizeof(said));
	s->status = KP_SIG_NOT_ALLOWED;
	sig_why(s,
	    "signed by %s (%s), but %s does not allow that key to sign in "
	    "namespace " KP_SIG_NAMESPACE
	    " now (its namespaces=, valid-after=, valid-before=; "
	    "ssh-keygen: %s)",
	    s->principal, s->fp, o->allowed_signers, said);
done:
	unlink(t->sig);
	t->sig[0] = '\0';
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The signature files beside the policy, sorted. */
static int
find_sig_files(const char *policy_path, char ***names, size_t *n, char *dir,
    size_t dlen, struct kp_diag *diag)
{
	char base[NAME_MAX + 1];
	const char *slash;
	struct dirent *de;
	DIR *d = NULL;
	int dfd = -1, r;

	*names = NULL;
	*n = 0;
	if ((r = kp_dir_open_parent(policy_path, &dfd, base)) != 0) {
		kp_diag_at(diag, 0, 0, "cannot open the directory of %s: %s",
		    policy_path,
		    r == KP_ERR_IO ? strerror(errno) : kp_strerror(r));
		return r == KP_ERR_NOTFOUND ? KP_ERR_IO : r;
	}
	slash = strrchr(policy_path, '/');
	if (slash == NULL)
		snprintf(dir, dlen, ".");
	else if (slash == policy_path)
		snprintf(dir, dlen, "/");
	else
		snprintf(
		    dir, dlen, "%.*s", (int)(slash - policy_path), policy_path);
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		kp_diag_at(diag, 0, 0, "%s: %s", dir, strerror(errno));
		return KP_ERR_IO;
	}
	while ((de = readdir(d)) != NULL) {
		if (!sig_name_of(base, de->d_name))
			continue;
		if (*n >= KP_SIG_MAX_FILES) {
			kp_diag_at(diag, 0, 0,
			    "more than %d signature files beside %s; refusing "
			    "to guess which count",
			    KP_SIG_MAX_FILES, policy_path);
			r = KP_ERR_TOOBIG;
			goto out;
		}
		if ((r = strv_add(names, n, de->d_name, strlen(de->d_name))) !=
		    0)
			goto out;
	}
	if (*n > 1) /* qsort(NULL, 0, ...) is undefined behaviour */
		qsort(*names, *n, sizeof(**names), cmp_names);
	r = 0;
out:
	closedir(d);
	if (r != 0) {
		kp_strv_free(*names, *n);
		*names = NULL;
		*n = 0;
	}
	return r;
}

/* The refusal when fewer than the required signatures count. */
static void
refusal(const struct kp_sig_opts *o, struct kp_sig_check *c)
{
	int bad = 0, unknown = 0, revoked = 0;
	size_t i, off;

	for (i = 0; i < c->nsig; i++) {
		switch (c->sig[i].status) {
		case KP_SIG_REVOKED:
			revoked = 1;
			break;
		case KP_SIG_BAD:
		case KP_SIG_TOOBIG:
		case KP_SIG_UNREADABLE:
			bad = 1;
			break;
		case KP_SIG_UNKNOWN:
		case KP_SIG_NOT_ALLOWED:
			unknown = 1;
			break;
		default:
			break;
		}
	}
	if (c->nsig == 0)
		c->reason = KP_IR_UNSIGNED;
	else if (revoked)
		c->reason = KP_IR_REVOKED_SIGNER;
	else if (bad)
		c->reason = KP_IR_BAD_SIGNATURE;
	else if (unknown)
		c->reason = KP_IR_UNKNOWN_SIGNER;
	else
		c->reason = KP_IR_UNDER_SIGNED;
	if (c->nsig == 0) {
		snprintf(c->msg, sizeof(c->msg),
		    "unsigned: no signature file beside %s (%u required by %s; "
		    "keyauthctl sign makes one)",
		    o->policy_path, o->required, o->conf_name);
		return;
	}
	off = (size_t)snprintf(c->msg, sizeof(c->msg),
	    "%zu valid %s from distinct signers, %u required (%s)%s%s",
	    c->ncounted, c->ncounted == 1 ? "signature" : "signatures",
	    o->required, o->conf_name, c->signers[0] != '\0' ? ", by " : "",
	    c->signers);
	for (i = 0; i < c->nsig && off < sizeof(c->msg); i++) {
		if (c->sig[i].status == KP_SIG_COUNTED)
			continue;
		off += (size_t)snprintf(c->msg + off, sizeof(c->msg) - off,
		    "; %s %s", c->sig[i].file, c->sig[i].why);
	}
}

void
kp_sig_check_free(struct kp_sig_check *c)
{
	if (c == NULL)
		return;
	free(c->sig);
	memset(c, 0, sizeof(*c));
}

int
kp_sig_verify(const struct kp_sig_opts *o, const char *buf, size_t len,
    struct kp_sig_check *c, struct kp_diag *diag)
{
	struct tool t;
	char dir[PATH_MAX - NAME_MAX - 2], path[PATH_MAX], **names = NULL;
	char *sigbuf = NULL;
	const char *why = NULL;
	struct kp_sig_result *s;
	struct stat st;
	size_t nnames = 0, i, j, siglen;
	int r;

	memset(&t, 0, sizeof(t));
	t.data_fd = -1;
	if (c != NULL)
		memset(c, 0, sizeof(*c));
	if (o == NULL || c == NULL || o->keygen == NULL ||
	    o->policy_path == NULL || o->allowed_signers == NULL ||
	    o->workdir == NULL || o->required == 0 || (buf == NULL && len > 0))
		return KP_ERR_ARG;
	c->reason = KP_IR_ERROR;
	if ((r = find_sig_files(o->policy_path, &names, &nnames, dir,
	         sizeof(dir), diag)) != 0) {
		if (r == KP_ERR_TOOBIG) {
			c->reason = KP_IR_BAD_SIGNATURE;
			snprintf(c->msg, sizeof(c->msg), "%s", diag->msg);
			r = 0; /* a refusal, not a failure */
		}
		goto out;
	}
	if (nnames > 0 && (c->sig = calloc(nnames, sizeof(*c->sig))) == NULL) {
		r = KP_ERR_NOMEM;
		goto out;
	}
	if ((r = tool_open(&t, o->keygen, o->workdir, buf, len)) != 0) {
		kp_diag_at(diag, 0, 0,
		    "cannot make a private directory in %s: %s", o->workdir,
		    strerror(errno));
		goto out;
	}
	for (i = 0; i < nnames; i++) {
		s = &c->sig[c->nsig++];
		snprintf(s->file, sizeof(s->file), "%s", names[i]);
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		free(sigbuf);
		sigbuf = NULL;
		r = kp_file_read_safe(path, KP_SIG_MAX_BYTES, o->allow_uid,
		    &sigbuf, &siglen, &why);
		if (r == KP_ERR_TOOBIG) {
			s->status = KP_SIG_TOOBIG;
			sig_why(s,
			    "is %lld bytes: more than a signature can be (at "
			    "most %d); not given to ssh-keygen",
			    lstat(path, &st) == 0 ? (long long)st.st_size
			                          : -1LL,
			    KP_SIG_MAX_BYTES);
			continue;
		}
		if (r != 0) {
			s->status = KP_SIG_UNREADABLE;
			sig_why(s, "cannot be used: %s",
			    why != NULL ? why : kp_strerror(r));
			continue;
		}
		if ((r = check_one(&t, o, s, sigbuf, siglen)) != 0) {
			kp_diag_at(diag, 0, 0, "running %s: %s", o->keygen,
			    r == KP_ERR_IO ? strerror(errno) : kp_strerror(r));
			goto out;
		}
		if (s->status != KP_SIG_COUNTED)
			continue;
		for (j = 0; j + 1 < c->nsig; j++) {
			if (c->sig[j].status == KP_SIG_COUNTED &&
			    strcmp(c->sig[j].fp, s->fp) == 0)
				break;
		}
		if (j + 1 < c->nsig) {
			s->status = KP_SIG_DUPLICATE;
			sig_why(s,
			    "is a second signature by the key %s of %s: one "
			    "key counts once",
			    s->fp, c->sig[j].principal);
			continue;
		}
		c->ncounted++;
		j = strlen(c->signers);
		snprintf(c->signers + j, sizeof(c->signers) - j, "%s%s",
		    j > 0 ? "," : "", s->principal);
	}
	if (c->ncounted >= o->required)
		c->reason = KP_IR_OK;
	else
		refusal(o, c);
	r = 0;
out:
	tool_close(&t);
	free(sigbuf);
	kp_strv_free(names, nnames);
	return r;
}

/* ------------------------------------------------------------- sign */

int
kp_policy_sign(const struct kp_sign_opts *o, struct kp_sign_result *res,
    struct kp_diag *diag)
{
	struct kp_policy *p = NULL;
	struct tool t;
	char *buf = NULL, *sig = NULL, signed_path[PATH_MAX], made[PATH_MAX];
	char *argv[10], a0[] = "ssh-keygen", a1[] = "-q", a2[] = "-Y",
	                a3[] = "sign", a4[] = "-f", a6[] = "-n",
	                a7[] = KP_SIG_NAMESPACE;
	const char *why = NULL;
	size_t len = 0, siglen = 0;
	int status = 0, rc, r;

	memset(&t, 0, sizeof(t));
	t.data_fd = -1;
	if (res != NULL)
		memset(res, 0, sizeof(*res));
	if (diag != NULL)
		memset(diag, 0, sizeof(*diag));
	if (o == NULL || res == NULL || o->keygen == NULL ||
	    o->policy_path == NULL || o->key == NULL || o->tmpdir == NULL)
		return KP_ERR_ARG;
	if (o->identity != NULL && !kp_sig_identity_valid(o->identity)) {
		kp_diag_at(diag, 0, 0,
		    "-I %.64s: an identity names the signature file: 1-64 of "
		    "[A-Za-z0-9._@+-], not starting with '.' or '-'",
		    o->identity);
		return KP_ERR_INVALID;
	}
	if ((r = kp_policy_signed_bytes(o->policy_path, 0, &buf, &len, diag)) !=
	    0)
		goto out;
	/* Never sign what an install would refuse to read. */
	if ((r = kp_policy_load_buf(o->policy_path, buf, len, &p, diag)) != 0)
		goto out;
	if (!p->has_issued || p->expires == KP_TIME_NONE_AFTER) {
		kp_diag_set(diag, NULL, 0, 0,
		    "a signed policy must say when it was issued and when it "
		    "expires (issued: and expires:, with version: 2): servers "
		    "that require signatures refuse it otherwise");
		r = KP_ERR_INVALID;
		goto out;
	}
	res->serial = p->serial;
	memcpy(res->sha256, p->sha256, sizeof(res->sha256));
	if ((r = kp_sig_path(o->policy_path, o->identity, &res->sig_path)) != 0)
		goto out;
	if ((r = tool_open(&t, o->keygen, o->tmpdir, buf, len)) != 0) {
		kp_diag_at(diag, 0, 0,
		    "cannot make a private directory in %s: %s", o->tmpdir,
		    strerror(errno));
		goto out;
	}
	/*
	 * ssh-keygen signs a file of exactly the signed bytes, in a private
	 * directory, and writes FILE.sig beside it; its standard input and
	 * error stay the user's, for a passphrase, a PIN or a touch.
	 */
	snprintf(signed_path, sizeof(signed_path), "%s/policy", t.dir);
	snprintf(made, sizeof(made), "%s/policy.sig", t.dir);
	argv[0] = a0;
	argv[1] = a1;
	argv[2] = a2;
	argv[3] = a3;
	argv[4] = a4;
	argv[5] = (char *)(uintptr_t)o->key;
	argv[6] = a6;
	argv[7] = a7;
	argv[8] = signed_path;
	argv[9] = NULL;
	if (kp_run(o->keygen, argv, o->envp, 0, NULL, NULL, &status) != 0) {
		kp_diag_at(
		    diag, 0, 0, "running %s: %s", o->keygen, strerror(errno));
		r = KP_ERR_IO;
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		unlink(made);
		kp_diag_at(diag, 0, 0,
		    "ssh-keygen -Y sign failed (%s %d); nothing "
		    "written",
		    WIFEXITED(status) ? "exit status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		r = KP_ERR_IO;
		goto out;
	}
	r = kp_file_read(
	    made, KP_SIG_MAX_BYTES, KP_FILE_NOFOLLOW, &sig, &siglen, &why);
	unlink(made);
	if (r != 0) {
		kp_diag_at(diag, 0, 0,
		    "reading the signature ssh-keygen made: %s",
		    why != NULL ? why : kp_strerror(r));
		goto out;
	}
	/* Check what was made, and name its key. */
	if ((r = write_private(
	         t.dir, "sig", sig, siglen, t.sig, sizeof(t.sig), 0)) != 0)
		goto out;
	{
		const char *a[] = {"ssh-keygen", "-Y", "check-novalidate", "-n",
		    KP_SIG_NAMESPACE, "-s", t.sig, NULL};

		rc = tool_run(&t, a);
	}
	if (rc != 0 || good_fp(t.out, res->fp) != 0) {
		char said[200];

		tool_said(&t, said, sizeof(said));
		kp_diag_at(diag, 0, 0,
		    "the new signature does not verify (%s); "
		    "nothing written",
		    said);
		r = KP_ERR_INTERNAL;
		goto out;
	}
	if ((r = kp_file_write_atomic(res->sig_path, sig, siglen, 0644)) != 0) {
		kp_diag_at(diag, 0, 0, "writing %s: %s", res->sig_path,
		    strerror(errno));
		goto out;
	}
	r = 0;
out:
	tool_close(&t);
	if (r != 0 && res != NULL) {
		free(res->sig_path);
		res->sig_path = NULL;
	}
	kp_policy_free(p);
	free(buf);
	free(sig);
	return r;
}
