/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests: public key parsing and fingerprints, against real keys made
 * by ssh-keygen (path from $SSH_KEYGEN) and hand-built security-key lines,
 * with ssh-keygen -l as the reference for every fingerprint. The framing is
 * the core's (kp_pubkey_parse_line); what the numbers are worth is checked
 * where keyauthctl reads keys (kp_pubkey_parse_line_checked).
 */
#include "config.h"

#include <sys/wait.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "keyauth-policy.h"
#include "kp-policy.h"
#include "../test.h"

static const char *keygen;
static char dir[] = "/tmp/kp-test-key.XXXXXX";

struct wbuf {
	uint8_t b[8192];
	size_t n;
};

static void
put_string(struct wbuf *w, const void *p, size_t len)
{
	if (w->n + 4 + len > sizeof(w->b)) {
		fprintf(stderr, "test wbuf overflow\n");
		exit(99);
	}
	w->b[w->n++] = (uint8_t)(len >> 24);
	w->b[w->n++] = (uint8_t)(len >> 16);
	w->b[w->n++] = (uint8_t)(len >> 8);
	w->b[w->n++] = (uint8_t)len;
	memcpy(w->b + w->n, p, len);
	w->n += len;
}

static void
put_cstr(struct wbuf *w, const char *s)
{
	put_string(w, s, strlen(s));
}

/* The i-th wire string of a blob (0-based); exits on malformed input. */
static const uint8_t *
nth_string(const uint8_t *blob, size_t len, int i, size_t *n)
{
	size_t off = 0;
	uint32_t v;

	for (;;) {
		if (len - off < 4)
			exit(99);
		v = (uint32_t)blob[off] << 24 | (uint32_t)blob[off + 1] << 16 |
		    (uint32_t)blob[off + 2] << 8 | blob[off + 3];
		if (len - off - 4 < v)
			exit(99);
		if (i-- == 0) {
			*n = v;
			return blob + off + 4;
		}
		off += 4 + v;
	}
}

/* Standard padded base64 via OpenSSL, independent of the library's. */
static char *
b64(const uint8_t *p, size_t n)
{
	char *s = malloc(n / 3 * 4 + 8);

	if (s == NULL)
		exit(99);
	EVP_EncodeBlock((unsigned char *)s, p, (int)n);
	return s;
}

static int
run(const char *cmd)
{
	int st = system(cmd);

	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void
slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(99);
	}
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
}

static void
write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fprintf(f, "%s\n", s) < 0 || fclose(f) != 0) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(99);
	}
}

/* ssh-keygen -lf path: the fingerprint field, or "" */
static void
keygen_fp(const char *path, char *out, size_t len)
{
	char cmd[1024], line[1024];
	FILE *p;

	out[0] = '\0';
	snprintf(
	    cmd, sizeof(cmd), "'%s' -E sha256 -lf '%s' 2>&1", keygen, path);
	if ((p = popen(cmd, "r")) == NULL)
		return;
	if (fgets(line, sizeof(line), p) != NULL)
		sscanf(line, "%*s %127s", out);
	pclose(p);
	(void)len;
}

/* Generate a key; returns 0 or the ssh-keygen exit code. */
static int
gen(const char *name, const char *type, int bits, char *publine, size_t len)
{
	char cmd[1024], path[512];
	int r;

	snprintf(cmd, sizeof(cmd),
	    "'%s' -q -t %s %s%.0d -N '' -C 'test key %s' -f '%s/%s' "
	    "</dev/null >/dev/null 2>&1",
	    keygen, type, bits ? "-b " : "", bits, name, dir, name);
	if ((r = run(cmd)) != 0)
		return r;
	snprintf(path, sizeof(path), "%s/%s.pub", dir, name);
	slurp(path, publine, len);
	return 0;
}

static struct kp_pubkey *
parse_ok(const char *line)
{
	struct kp_pubkey *k = NULL;
	const char *why = NULL;
	size_t col = 99;
	int r;

	r = kp_pubkey_parse_line(line, &k, &why, &col);
	CHECK_INT(r, 0);
	if (r != 0)
		fprintf(
		    stderr, "  ... %s (col %zu) for %.60s\n", why, col, line);
	return k;
}

/* Must be refused with a why containing want_why at col_off want_col. */
static void
refuse(const char *line, int want_r, const char *want_why, long want_col)
{
	struct kp_pubkey *k = (struct kp_pubkey *)1;
	const char *why = NULL;
	size_t col = 0;
	int r;

	r = kp_pubkey_parse_line(line, &k, &why, &col);
	CHECK_INT(r, want_r);
	CHECK(k == NULL);
	CHECK_CONTAINS(why, want_why);
	if (want_col >= 0)
		CHECK_INT(col, want_col);
	if (r == 0) {
		fprintf(stderr, "  ... accepted: %.70s\n", line);
		kp_pubkey_free(k);
	}
}

/*
 * The loader's way (a key in its arena, checked while the blob is
 * decoded, the blob not kept) refuses line as kp_pubkey_parse_line_checked
 * does: same why, same column.
 */
static void
arena_refuses(const char *line, const char *want_why, long want_col)
{
	struct kp_arena a;
	struct kp_pubkey *k = (struct kp_pubkey *)1;
	const char *why = NULL;
	size_t col = 0;

	kp_arena_init(&a, 0);
	CHECK_INT(kp_pubkey_parse_line_checked_in(line, &a, &k, &why, &col),
	    KP_ERR_INVALID);
	CHECK(k == NULL);
	CHECK_CONTAINS(why, want_why);
	CHECK_INT(col, want_col);
	kp_arena_reset(&a, 0);
}

/* The same key as k, in the loader's arena: blob dropped, the rest kept. */
static void
arena_same(const char *line, const struct kp_pubkey *k)
{
	struct kp_arena a;
	struct kp_pubkey *k2 = NULL;
	const char *why = NULL;
	size_t col = 0;

	kp_arena_init(&a, 0);
	CHECK_INT(
	    kp_pubkey_parse_line_checked_in(line, &a, &k2, &why, &col), 0);
	if (k2 != NULL) {
		CHECK_STR(k2->type, k->type);
		CHECK_STR(k2->b64, k->b64);
		CHECK_STR(k2->fp, k->fp);
		CHECK_INT(k2->bits, k->bits);
		CHECK(k2->blob == NULL && k2->bloblen == 0);
		CHECK((k2->comment == NULL) == (k->comment == NULL));
		if (k2->comment != NULL && k->comment != NULL)
			CHECK_STR(k2->comment, k->comment);
	}
	kp_arena_reset(&a, 0);
}

/*
 * The core takes a line whose framing is sound; keyauthctl's reading
 * refuses it with a why containing want_why at col_off want_col.
 */
static void
refuse_checked(const char *line, const char *want_why, long want_col)
{
	struct kp_pubkey *k = NULL;
	const char *why = NULL;
	size_t col = 0;

	CHECK_INT(kp_pubkey_parse_line(line, &k, &why, &col), 0);
	kp_pubkey_free(k);
	k = (struct kp_pubkey *)1;
	CHECK_INT(
	    kp_pubkey_parse_line_checked(line, &k, &why, &col), KP_ERR_INVALID);
	CHECK(k == NULL);
	CHECK_CONTAINS(why, want_why);
	CHECK_INT(col, want_col);
	if (k != NULL && k != (struct kp_pubkey *)1)
		kp_pubkey_free(k);
	arena_refuses(line, want_why, want_col);
}

/* A real key: parse, compare with ssh-keygen -l, and parse_parts. */
static struct kp_pubkey *
check_real(const char *name, const char *line, const char *type, unsigned bits)
{
	char path[512], fp[128], *b;
	struct kp_pubkey *k, *k2 = NULL;
	const char *why;

	T_CASE("%s", name);
	if ((k = parse_ok(line)) == NULL)
		return NULL;
	CHECK_INT(kp_pubkey_check(k, &why), 0);
	arena_same(line, k);
	CHECK_STR(k->type, type);
	CHECK_INT(k->bits, bits);
	snprintf(path, sizeof(path), "%s/%s.pub", dir, name);
	keygen_fp(path, fp, sizeof(fp));
	CHECK_STR(k->fp, fp);
	CHECK(kp_fingerprint_valid(k->fp));
	CHECK_INT(strlen(k->fp), KP_FP_LEN - 1);
	/* the base64 field is kept exactly as written */
	b = strchr(line, ' ') + 1;
	CHECK(strncmp(k->b64, b, strlen(k->b64)) == 0 &&
	    b[strlen(k->b64)] == ' ');
	CHECK_INT(kp_pubkey_parse_parts(type, k->b64, &k2, &why), 0);
	if (k2 != NULL) {
		CHECK_STR(k2->fp, k->fp);
		CHECK(k2->comment == NULL);
		CHECK_INT(k2->bloblen, k->bloblen);
	}
	kp_pubkey_free(k2);
	return k;
}

/* Hand-made line: check our fingerprint against ssh-keygen's. */
static void
check_handmade(const char *name, const char *line, const char *type)
{
	char path[512], fp[128];
	struct kp_pubkey *k;

	snprintf(path, sizeof(path), "%s/%s.pub", dir, name);
	write_file(path, line);
	if ((k = parse_ok(line)) == NULL)
		return;
	CHECK_INT(kp_pubkey_check(k, NULL), 0);
	CHECK_STR(k->type, type);
	keygen_fp(path, fp, sizeof(fp));
	CHECK(strncmp(fp, "SHA256:", 7) == 0);
	CHECK_STR(k->fp, fp);
	kp_pubkey_free(k);
}

static char *
line_of(const char *type, const struct wbuf *w, const char *comment)
{
	char *enc = b64(w->b, w->n), *s;
	size_t n = strlen(type) + strlen(enc) + strlen(comment) + 3;

	if ((s = malloc(n)) == NULL)
		exit(99);
	snprintf(s, n, "%s %s%s%s", type, enc, comment[0] ? " " : "", comment);
	free(enc);
	return s;
}

static void
cleanup(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	run(cmd);
}

int
main(void)
{
	char ed[4096], e256[4096], e384[4096], e521[4096], r2048[4096];
	char r3072[4096], r4096[4096], r1024[4096], dsa[4096], buf[20000];
	struct kp_pubkey *ked, *ke256, *kr, *k;
	const uint8_t *s;
	struct wbuf w;
	size_t n, col;
	char *l;
	const char *why;
	int r;

	if ((keygen = getenv("SSH_KEYGEN")) == NULL || keygen[0] == '\0')
		keygen = "ssh-keygen";
	if (mkdtemp(dir) == NULL)
		return 99;
	atexit(cleanup);
	if ((r = gen("ed25519", "ed25519", 0, ed, sizeof(ed))) != 0) {
		if (r == 127)
			return t_skip("ssh-keygen (%s) not found", keygen);
		fprintf(stderr, "ssh-keygen failed (%d)\n", r);
		return 99;
	}
	if (gen("ecdsa256", "ecdsa", 256, e256, sizeof(e256)) != 0 ||
	    gen("ecdsa384", "ecdsa", 384, e384, sizeof(e384)) != 0 ||
	    gen("ecdsa521", "ecdsa", 521, e521, sizeof(e521)) != 0 ||
	    gen("rsa2048", "rsa", 2048, r2048, sizeof(r2048)) != 0 ||
	    gen("rsa3072", "rsa", 3072, r3072, sizeof(r3072)) != 0 ||
	    gen("rsa4096", "rsa", 4096, r4096, sizeof(r4096)) != 0 ||
	    gen("rsa1024", "rsa", 1024, r1024, sizeof(r1024)) != 0) {
		fprintf(stderr, "ssh-keygen failed\n");
		return 99;
	}

	/* ---- every supported type, fingerprints as ssh-keygen -l */
	ked = check_real("ed25519", ed, "ssh-ed25519", 0);
	ke256 = check_real("ecdsa256", e256, "ecdsa-sha2-nistp256", 0);
	kp_pubkey_free(check_real("ecdsa384", e384, "ecdsa-sha2-nistp384", 0));
	kp_pubkey_free(check_real("ecdsa521", e521, "ecdsa-sha2-nistp521", 0));
	kr = check_real("rsa2048", r2048, "ssh-rsa", 2048);
	kp_pubkey_free(check_real("rsa3072", r3072, "ssh-rsa", 3072));
	kp_pubkey_free(check_real("rsa4096", r4096, "ssh-rsa", 4096));
	T_CASE(NULL);
	if (ked == NULL || ke256 == NULL || kr == NULL)
		return t_done();
	CHECK_STR(ked->comment, "test key ed25519");

	/* ---- security keys, built by hand: type, public key, "ssh:" */
	s = nth_string(ked->blob, ked->bloblen, 1, &n);
	memset(&w, 0, sizeof(w));
	put_cstr(&w, "sk-ssh-ed25519@openssh.com");
	put_string(&w, s, n);
	put_cstr(&w, "ssh:");
	l = line_of("sk-ssh-ed25519@openssh.com", &w, "alice@yubikey");
	check_handmade("sk-ed25519", l, "sk-ssh-ed25519@openssh.com");
	free(l);
	s = nth_string(ke256->blob, ke256->bloblen, 2, &n);
	memset(&w, 0, sizeof(w));
	put_cstr(&w, "sk-ecdsa-sha2-nistp256@openssh.com");
	put_cstr(&w, "nistp256");
	put_string(&w, s, n);
	put_cstr(&w, "ssh:");
	l = line_of("sk-ecdsa-sha2-nistp256@openssh.com", &w, "");
	check_handmade("sk-ecdsa", l, "sk-ecdsa-sha2-nistp256@openssh.com");
	free(l);
	/* an sk key without its application is truncated */
	w.n -= 8;
	l = line_of("sk-ecdsa-sha2-nistp256@openssh.com", &w, "");
	refuse(l, KP_ERR_INVALID, "application", 35);
	free(l);

	/* ---- refused types */
	if (gen("dsa", "dsa", 0, dsa, sizeof(dsa)) != 0)
		snprintf(dsa, sizeof(dsa), "ssh-dss AAAAB3NzaC1kc3MAAAA= x");
	refuse(dsa, KP_ERR_INVALID, "ssh-dss", 0);
	refuse(r1024, KP_ERR_INVALID, "shorter than 2048", 8);
	snprintf(
	    buf, sizeof(buf), "ssh-ed25519-cert-v01@openssh.com %s", ked->b64);
	refuse(buf, KP_ERR_INVALID, "certificates", 0);
	snprintf(buf, sizeof(buf), "no-pty %s", ed);
	refuse(buf, KP_ERR_INVALID, "options are not allowed", 0);
	snprintf(buf, sizeof(buf), "command=\"x\" %s", ed);
	refuse(buf, KP_ERR_INVALID, "options are not allowed", 0);
	snprintf(buf, sizeof(buf), "rsa-sha2-512 %s", kr->b64);
	refuse(buf, KP_ERR_INVALID, "signature algorithm", 0);
	snprintf(buf, sizeof(buf), "ecdsa-sha2-nistp224 %s", ke256->b64);
	refuse(buf, KP_ERR_INVALID, "unsupported key type", 0);
	snprintf(buf, sizeof(buf), "SSH-ED25519 %s", ked->b64);
	refuse(buf, KP_ERR_INVALID, "unsupported key type", 0);

	/* ---- malformed blobs */
	memset(&w, 0, sizeof(w));
	memcpy(w.b, ked->blob, ked->bloblen);
	w.n = ked->bloblen - 1;
	l = line_of("ssh-ed25519", &w, "c");
	refuse(l, KP_ERR_INVALID, "truncated", 12);
	free(l);
	w.n = ked->bloblen + 1;
	w.b[ked->bloblen] = 0;
	l = line_of("ssh-ed25519", &w, "c");
	refuse(l, KP_ERR_INVALID, "trailing bytes", 12);
	free(l);
	w.n = 2;
	l = line_of("ssh-ed25519", &w, "");
	refuse(l, KP_ERR_INVALID, "truncated", 12);
	free(l);
	/* 31-byte Ed25519 key */
	memset(&w, 0, sizeof(w));
	put_cstr(&w, "ssh-ed25519");
	put_string(&w, ked->blob + 19, 31);
	l = line_of("ssh-ed25519", &w, "");
	refuse(l, KP_ERR_INVALID, "32 bytes", 12);
	free(l);
	/* inner type differs from the outer one */
	snprintf(buf, sizeof(buf), "ecdsa-sha2-nistp256 %s", ked->b64);
	refuse(buf, KP_ERR_INVALID, "another type", 20);
	snprintf(buf, sizeof(buf), "ssh-rsa %s", ked->b64);
	refuse(buf, KP_ERR_INVALID, "another type", 8);
	CHECK_INT(kp_pubkey_parse_parts("ssh-ed25519", kr->b64, &k, &why),
	    KP_ERR_INVALID);
	CHECK_CONTAINS(why, "another type");
	/* curve name differs from the type */
	s = nth_string(ke256->blob, ke256->bloblen, 2, &n);
	memset(&w, 0, sizeof(w));
	put_cstr(&w, "ecdsa-sha2-nistp256");
	put_cstr(&w, "nistp384");
	put_string(&w, s, n);
	l = line_of("ecdsa-sha2-nistp256", &w, "");
	refuse(l, KP_ERR_INVALID, "curve does not match", 20);
	free(l);
	/* a point off the curve */
	memset(&w, 0, sizeof(w));
	put_cstr(&w, "ecdsa-sha2-nistp256");
	put_cstr(&w, "nistp256");
	put_string(&w, s, n);
	w.b[w.n - 1] ^= 1;
	l = line_of("ecdsa-sha2-nistp256", &w, "");
	refuse_checked(l, "not on the curve", 20);
	free(l);
	/* compressed form and wrong length */
	w.b[w.n - n] = 0x02;
	l = line_of("ecdsa-sha2-nistp256", &w, "");
	refuse(l, KP_ERR_INVALID, "wrong length or form", 20);
	free(l);
	/* RSA: non-minimal, negative, even exponent */
	{
		const uint8_t *e, *m;
		size_t el, ml;
		uint8_t tmp[1100];

		e = nth_string(kr->blob, kr->bloblen, 1, &el);
		m = nth_string(kr->blob, kr->bloblen, 2, &ml);
		memset(&w, 0, sizeof(w));
		put_cstr(&w, "ssh-rsa");
		tmp[0] = 0;
		memcpy(tmp + 1, e, el);
		put_string(&w, tmp, el + 1);
		put_string(&w, m, ml);
		l = line_of("ssh-rsa", &w, "");
		refuse(l, KP_ERR_INVALID, "not minimally encoded", 8);
		free(l);
		memset(&w, 0, sizeof(w));
		put_cstr(&w, "ssh-rsa");
		put_string(&w, e, el);
		put_string(&w, m + 1, ml - 1); /* drop the 0x00: negative */
		l = line_of("ssh-rsa", &w, "");
		refuse(l, KP_ERR_INVALID, "negative", 8);
		free(l);
		memset(&w, 0, sizeof(w));
		put_cstr(&w, "ssh-rsa");
		tmp[0] = 4;
		put_string(&w, tmp, 1);
		put_string(&w, m, ml);
		l = line_of("ssh-rsa", &w, "");
		refuse_checked(l, "exponent", 8);
		free(l);
		memset(&w, 0, sizeof(w));
		put_cstr(&w, "ssh-rsa");
		put_string(&w, e, el);
		put_string(&w, "", 0);
		l = line_of("ssh-rsa", &w, "");
		refuse(l, KP_ERR_INVALID, "zero", 8);
		free(l);
		/*
		 * An 8192-bit modulus: a blob over the 1 KiB the arena
		 * parse decodes on the stack (key.c), so it takes the heap.
		 */
		memset(tmp, 0xa5, sizeof(tmp));
		tmp[0] = 0;
		tmp[1] = 0xc5;
		tmp[1024] |= 1;
		memset(&w, 0, sizeof(w));
		put_cstr(&w, "ssh-rsa");
		put_string(&w, e, el);
		put_string(&w, tmp, 1025);
		l = line_of("ssh-rsa", &w, "");
		if ((k = parse_ok(l)) != NULL) {
			CHECK_INT(k->bits, 8192);
			CHECK_INT(kp_pubkey_check(k, NULL), 0);
			arena_same(l, k);
			kp_pubkey_free(k);
		}
		free(l);
		memset(&w, 0, sizeof(w));
		put_cstr(&w, "ssh-rsa");
		tmp[1100 - 1] = 4;
		put_string(&w, tmp + 1100 - 1, 1);
		put_string(&w, tmp, 1025);
		l = line_of("ssh-rsa", &w, "");
		refuse_checked(l, "exponent", 8);
		free(l);
	}

	/* ---- base64 */
	snprintf(buf, sizeof(buf), "%s", ed);
	buf[20] = '*';
	refuse(buf, KP_ERR_INVALID, "invalid base64 character", 20);
	/* a space inside the base64 splits it: the rest is a "comment" */
	snprintf(
	    buf, sizeof(buf), "ssh-ed25519 %.40s %s", ked->b64, ked->b64 + 40);
	refuse(buf, KP_ERR_INVALID, "truncated", 12);
	/* nistp256 blobs are 104 bytes: base64 ends in "X=" */
	n = strlen(ke256->b64);
	CHECK(n == 140 && ke256->b64[n - 1] == '=');
	snprintf(buf, sizeof(buf), "ecdsa-sha2-nistp256 %.*s", (int)(n - 1),
	    ke256->b64);
	refuse(buf, KP_ERR_INVALID, "multiple of 4", 20 + 139);
	snprintf(buf, sizeof(buf), "ecdsa-sha2-nistp256 %s", ke256->b64);
	{
		static const char al[] =
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789+/";
		char *c = buf + 20 + n - 2;

		/* set an unused low bit of the last data character */
		*c = al[(strchr(al, *c) - al) | 1];
	}
	refuse(buf, KP_ERR_INVALID, "non-canonical", 20 + 138);
	snprintf(buf, sizeof(buf), "ecdsa-sha2-nistp256 %.*s==", (int)(n - 1),
	    ke256->b64);
	refuse(buf, KP_ERR_INVALID, "base64", -1);
	refuse("ssh-ed25519", KP_ERR_INVALID, "missing base64", 11);
	refuse("ssh-ed25519 ", KP_ERR_INVALID, "missing base64", 12);
	refuse("", KP_ERR_INVALID, "empty", 0);
	refuse("   ", KP_ERR_INVALID, "empty", 3);

	/* ---- one line, no control characters */
	snprintf(buf, sizeof(buf), "%s\n%s", ed, ed);
	refuse(buf, KP_ERR_INVALID, "newline", (long)strlen(ed));
	snprintf(buf, sizeof(buf), "%s\n", ed);
	refuse(buf, KP_ERR_INVALID, "newline", (long)strlen(ed));
	snprintf(buf, sizeof(buf), "ssh-ed25519\t%s", ked->b64);
	refuse(buf, KP_ERR_INVALID, "control character", 11);
	snprintf(
	    buf, sizeof(buf), "ssh-ed25519 %s evil\x1b[2Jcomment", ked->b64);
	refuse(buf, KP_ERR_INVALID, "control character", 85);
	snprintf(buf, sizeof(buf), "ssh-ed25519 %s bad\xff utf8", ked->b64);
	refuse(buf, KP_ERR_INVALID, "UTF-8", 81);
	memset(buf, 'A', sizeof(buf));
	memcpy(buf, "ssh-rsa ", 8);
	buf[KP_KEYLINE_MAX + 1] = '\0';
	refuse(buf, KP_ERR_TOOBIG, "longer than", KP_KEYLINE_MAX);

	/* ---- comments and spacing */
	snprintf(buf, sizeof(buf), "ssh-ed25519 %s", ked->b64);
	k = parse_ok(buf);
	CHECK(k != NULL && k->comment == NULL);
	if (k != NULL)
		CHECK_STR(k->fp, ked->fp);
	kp_pubkey_free(k);
	snprintf(buf, sizeof(buf), "  ssh-ed25519   %s   two  words \xc3\xa9  ",
	    ked->b64);
	k = parse_ok(buf);
	if (k != NULL) {
		CHECK_STR(k->comment, "two  words \xc3\xa9");
		CHECK_STR(k->b64, ked->b64);
	}
	kp_pubkey_free(k);

	/* ---- parse_parts */
	CHECK_INT(kp_pubkey_parse_parts("ssh-dss", ked->b64, &k, &why),
	    KP_ERR_INVALID);
	CHECK(k == NULL);
	CHECK_CONTAINS(why, "ssh-dss");
	CHECK_INT(kp_pubkey_parse_parts("ssh-ed25519 ", ked->b64, &k, &why),
	    KP_ERR_INVALID);
	snprintf(buf, sizeof(buf), "%s\n", ked->b64);
	CHECK_INT(kp_pubkey_parse_parts("ssh-ed25519", buf, &k, &why),
	    KP_ERR_INVALID);
	CHECK_INT(
	    kp_pubkey_parse_parts("ssh-ed25519", "", &k, &why), KP_ERR_INVALID);
	CHECK_INT(kp_pubkey_parse_parts(NULL, ked->b64, &k, &why), KP_ERR_ARG);
	CHECK_INT(kp_pubkey_parse_line(NULL, &k, &why, &col), KP_ERR_ARG);

	/* ---- fingerprints */
	CHECK(kp_fingerprint_valid(ked->fp));
	CHECK(kp_fingerprint_valid(
	    "SHA256:RSYxWg3mwwuBA1Xl9WxHAZQAf3h1AewtjU1Obb/at4U"));
	CHECK(!kp_fingerprint_valid(
	    "SHA256:RSYxWg3mwwuBA1Xl9WxHAZQAf3h1AewtjU1Obb/at4V"));
	CHECK(!kp_fingerprint_valid(
	    "SHA256:RSYxWg3mwwuBA1Xl9WxHAZQAf3h1AewtjU1Obb/at4U="));
	CHECK(!kp_fingerprint_valid(
	    "SHA256:RSYxWg3mwwuBA1Xl9WxHAZQAf3h1AewtjU1Obb/at4"));
	CHECK(!kp_fingerprint_valid(
	    "SHA256:RSYxWg3mwwuBA1Xl9WxHAZQAf3h1Aewtj-1Obb/at4U"));
	CHECK(!kp_fingerprint_valid(
	    "sha256:RSYxWg3mwwuBA1Xl9WxHAZQAf3h1AewtjU1Obb/at4U"));
	CHECK(!kp_fingerprint_valid("MD5:00:11:22"));
	CHECK(!kp_fingerprint_valid(""));
	CHECK(!kp_fingerprint_valid(NULL));
	{
		char fp[KP_FP_LEN];

		/* SHA-256("") is e3b0c442...: known answer */
		CHECK_INT(kp_fingerprint((const uint8_t *)"", 0, fp), 0);
		CHECK_STR(
		    fp, "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU");
		CHECK_INT(kp_fingerprint(NULL, 0, fp), KP_ERR_ARG);
	}

	kp_pubkey_free(ked);
	kp_pubkey_free(ke256);
	kp_pubkey_free(kr);
	kp_pubkey_free(NULL);
	return t_done();
}
