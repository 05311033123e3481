/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * authorized_keys files into a policy. The rule: an imported entry may
 * never grant more than the line it came from. A restriction keyauth can
 * express is kept (from= addresses and CIDRs, expiry-time=, command=, the
 * allow-listed options); a key whose restriction cannot be expressed
 * (from= with a host name, wildcard or negation, tunnel=, a command with
 * a quote, ...) is not imported at all and reported; only options whose
 * loss narrows what the key can do (environment=) are left out with a
 * message. One line is read by kp_authkey_parse (core/authkeys.c), next
 * to the emitter of the lines keyauth serves.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyauth.h"
#include "kp-internal.h"
#include "kp-policy.h"
#include "keyauth-admin.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define IMPORT_MAX_MSGS 100000
#define IMPORT_MAX_ENTRIES (1024 * 1024)

/* ------------------------------------------------------------ paths */

int
kp_import_account_from_path(const char *path, char *out, size_t len)
{
	static const char *const tails[] = {
	    "/.ssh/authorized_keys", "/.ssh/authorized_keys2"};
	const char *home_end = NULL, *name, *p;
	size_t i, n, tl;
	char acct[KP_ACCOUNT_MAX + 1];

	if (out != NULL && len > 0)
		out[0] = '\0';
	if (path == NULL || out == NULL)
		return KP_ERR_ARG;
	n = strlen(path);
	for (i = 0; i < NELEM(tails); i++) {
		tl = strlen(tails[i]);
		if (n > tl && strcmp(path + n - tl, tails[i]) == 0)
			home_end = path + n - tl;
	}
	if (home_end == NULL)
		return KP_ERR_NOTFOUND;
	for (name = home_end; name > path && name[-1] != '/'; name--)
		;
	if (name == home_end || (size_t)(home_end - name) > KP_ACCOUNT_MAX)
		return KP_ERR_NOTFOUND;
	memcpy(acct, name, (size_t)(home_end - name));
	acct[home_end - name] = '\0';
	if (strcmp(acct, "root") != 0) {
		/* NAME must sit in a directory called home */
		p = name - 1;
		if (name == path || p - path < 4 ||
		    memcmp(p - 4, "home", 4) != 0 ||
		    (p - 4 > path && p[-5] != '/'))
			return KP_ERR_NOTFOUND;
	}
	if (!kp_account_valid(acct))
		return KP_ERR_NOTFOUND;
	return kp_strlcpy_checked(out, len, acct);
}

/* "uid N (name)" or "uid N" for a message. */
static void
whose(char *buf, size_t len, uid_t uid, const char *name)
{
	if (name != NULL)
		snprintf(buf, len, "uid %lu (%s)", (unsigned long)uid, name);
	else
		snprintf(buf, len, "uid %lu", (unsigned long)uid);
}

int
kp_import_owner_check(const struct kp_import_owner *o, char *why, size_t len)
{
	char who[128];

	if (why != NULL && len > 0)
		why[0] = '\0';
	if (o == NULL || o->account == NULL || why == NULL)
		return KP_ERR_ARG;
	if (!o->known) {
		snprintf(why, len,
		    "there is no account %s: the path names it, nobody owns "
		    "the file as %s",
		    o->account, o->account);
		return KP_ERR_UNSAFE;
	}
	if (!o->home_is_dir) {
		snprintf(why, len,
		    "the home directory of the path is not a directory (a "
		    "link?): not %s's file",
		    o->account);
		return KP_ERR_UNSAFE;
	}
	if (o->home_uid != o->uid) {
		whose(who, sizeof(who), o->home_uid, o->home_owner);
		snprintf(why, len,
		    "the directory the path calls %s's home is owned by %s, "
		    "not by %s: not %s's file",
		    o->account, who, o->account, o->account);
		return KP_ERR_UNSAFE;
	}
	if (o->file_uid != o->uid) {
		whose(who, sizeof(who), o->file_uid, o->file_owner);
		snprintf(why, len, "owned by %s, not by %s: not %s's file", who,
		    o->account, o->account);
		return KP_ERR_UNSAFE;
	}
	return 0;
}

/* ------------------------------------------------------------ import */

struct ientry {
	struct kp_authkey k; /* restrictions; k.key->comment the first */
	char **accounts;
	char **acct_origins; /* "FILE:LINE" where each account's came from */
	size_t naccounts;
	char *origin; /* "FILE:LINE" of the first line */
	size_t norigins;
};

/* A cert-authority line: an authority of the policy (docs/certificates.md). */
struct ica {
	struct kp_authkey k;
	char *account;
	char *origin; /* "FILE:LINE" */
};

struct kp_import {
	int owner_from_comment;
	struct ientry *e;
	size_t n, cap;
	struct ica *ca;
	size_t nca, capca;
	struct kp_import_msg *msgs;
	size_t nmsgs, capmsgs;
	uint64_t msgs_dropped;
};

int
kp_import_new(int owner_from_comment, struct kp_import **out)
{
	if (out == NULL)
		return KP_ERR_ARG;
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return KP_ERR_NOMEM;
	(*out)->owner_from_comment = owner_from_comment;
	return 0;
}

void
kp_import_free(struct kp_import *im)
{
	size_t i, j;

	if (im == NULL)
		return;
	for (i = 0; i < im->n; i++) {
		kp_authkey_clear(&im->e[i].k);
		for (j = 0; j < im->e[i].naccounts; j++) {
			free(im->e[i].accounts[j]);
			free(im->e[i].acct_origins[j]);
		}
		free(im->e[i].accounts);
		free(im->e[i].acct_origins);
		free(im->e[i].origin);
	}
	free(im->e);
	for (i = 0; i < im->nca; i++) {
		kp_authkey_clear(&im->ca[i].k);
		free(im->ca[i].account);
		free(im->ca[i].origin);
	}
	free(im->ca);
	free(im->msgs);
	free(im);
}

/* msg, for a line or (file) the whole file. */
static int
msg_file(struct kp_import *im, const char *name, unsigned line, int skipped,
    int file, const char *a, const char *b)
{
	struct kp_import_msg *m, *tmp;

	if (im->nmsgs >= IMPORT_MAX_MSGS) {
		im->msgs_dropped++;
		return 0;
	}
	if (im->nmsgs == im->capmsgs) {
		size_t cap = im->capmsgs == 0 ? 16 : im->capmsgs * 2;

		if ((tmp = reallocarray(im->msgs, cap, sizeof(*tmp))) == NULL)
			return KP_ERR_NOMEM;
		im->msgs = tmp;
		im->capmsgs = cap;
	}
	m = &im->msgs[im->nmsgs++];
	memset(m, 0, sizeof(*m));
	snprintf(m->d.file, sizeof(m->d.file), "%s", name);
	m->d.line = line;
	m->skipped = skipped;
	m->file = file;
	snprintf(m->d.msg, sizeof(m->d.msg), "%s%s", a, b);
	return 0;
}

/* The message is a followed by b. */
static int
msg(struct kp_import *im, const char *name, unsigned line, int skipped,
    const char *a, const char *b)
{
	return msg_file(im, name, line, skipped, 0, a, b);
}

int
kp_import_skip_file(struct kp_import *im, const char *file, const char *why)
{
	if (im == NULL || file == NULL || why == NULL)
		return KP_ERR_ARG;
	return msg_file(im, file, 0, 1, 1, why, "; file not imported");
}

static int
same_restrictions(const struct kp_authkey *a, const struct kp_authkey *b)
{
	size_t i;

	if (strcmp(a->key->fp, b->key->fp) != 0 || a->expires != b->expires ||
	    a->nsources != b->nsources || a->noptions != b->noptions ||
	    (a->command == NULL) != (b->command == NULL) ||
	    (a->command != NULL && strcmp(a->command, b->command) != 0))
		return 0;
	for (i = 0; i < a->nsources; i++)
		if (memcmp(&a->sources[i], &b->sources[i],
		        sizeof(a->sources[i])) != 0)
			return 0;
	for (i = 0; i < a->noptions; i++)
		if (strcmp(a->options[i], b->options[i]) != 0)
			return 0;
	return 1;
}

/* Add account (from origin) to e; a and o stay in step. */
static int
add_account(struct ientry *e, const char *account, const char *origin)
{
	size_t n = e->naccounts;
	int r;

	if ((r = kp_strv_add(&e->acct_origins, &n, origin, strlen(origin))) !=
	    0)
		return r;
	n = e->naccounts;
	if ((r = kp_strv_add(&e->accounts, &n, account, strlen(account))) !=
	    0) {
		free(e->acct_origins[n]);
		return r;
	}
	e->naccounts = n;
	return 0;
}

/*
 * One key with the same restrictions in another account's file becomes
 * one entry for both: say so where it happens, so that a key planted in
 * several files cannot slip into accounts unnoticed.
 */
static int
merge_msg(struct kp_import *im, const struct ientry *e, const char *name,
    unsigned line)
{
	struct kp_buf b;
	char *text = NULL;
	size_t j;
	int r;

	kp_buf_init(&b, KP_DIAG_MSG_MAX);
	kp_buf_printf(&b,
	    "the same key with the same restrictions is also in %s (%s): "
	    "one entry now grants accounts [",
	    e->acct_origins[0], e->accounts[0]);
	for (j = 0; j < e->naccounts; j++)
		kp_buf_printf(&b, "%s%s", j > 0 ? ", " : "", e->accounts[j]);
	kp_buf_puts(&b, "]; check that each should have it");
	if (b.err == KP_ERR_TOOBIG) {
		kp_buf_free(&b);
		return msg(im, name, line, 0,
		    "the same key is in several accounts' files: one entry "
		    "grants them all; check that each should have it",
		    "");
	}
	if ((r = kp_buf_take(&b, &text, NULL)) != 0)
		return r;
	r = msg(im, name, line, 0, text, "");
	free(text);
	return r;
}

static int
add_key(struct kp_import *im, struct kp_authkey *k, const char *account,
    const char *origin, const char *name, unsigned line)
{
	struct ientry *e, *tmp;
	size_t i, j;
	int r;

	for (i = 0; i < im->n; i++) {
		e = &im->e[i];
		if (!same_restrictions(&e->k, k))
			continue;
		e->norigins++;
		for (j = 0; j < e->naccounts; j++)
			if (strcmp(e->accounts[j], account) == 0)
				return 0; /* the same grant twice */
		if ((r = add_account(e, account, origin)) != 0)
			return r;
		return merge_msg(im, e, name, line);
	}
	if (im->n >= IMPORT_MAX_ENTRIES)
		return KP_ERR_TOOBIG;
	if (im->n == im->cap) {
		size_t cap = im->cap == 0 ? 16 : im->cap * 2;

		if ((tmp = reallocarray(im->e, cap, sizeof(*tmp))) == NULL)
			return KP_ERR_NOMEM;
		im->e = tmp;
		im->cap = cap;
	}
	e = &im->e[im->n];
	memset(e, 0, sizeof(*e));
	if ((e->origin = strdup(origin)) == NULL)
		return KP_ERR_NOMEM;
	if ((r = add_account(e, account, origin)) != 0) {
		free(e->origin);
		return r;
	}
	e->norigins = 1;
	e->k = *k; /* the entry owns the parsed line now */
	memset(k, 0, sizeof(*k));
	im->n++;
	return 0;
}

/* A cert-authority line becomes an authority for account; k is taken. */
static int
add_ca(struct kp_import *im, struct kp_authkey *k, const char *account,
    const char *origin)
{
	struct ica *c;
	size_t ncap;

	if (im->nca == im->capca) {
		ncap = im->capca == 0 ? 4 : im->capca * 2;
		if ((c = reallocarray(im->ca, ncap, sizeof(*c))) == NULL)
			return KP_ERR_NOMEM;
		im->ca = c;
		im->capca = ncap;
	}
	c = &im->ca[im->nca];
	memset(c, 0, sizeof(*c));
	if ((c->account = strdup(account)) == NULL ||
	    (c->origin = strdup(origin)) == NULL) {
		free(c->account);
		free(c->origin);
		return KP_ERR_NOMEM;
	}
	c->k = *k; /* ownership to the import */
	memset(k, 0, sizeof(*k));
	k->expires = KP_TIME_NONE_AFTER;
	im->nca++;
	return 0;
}

int
kp_import_buf(struct kp_import *im, const char *name, const char *account,
    const char *buf, size_t len)
{
	struct kp_authkey k;
	const char *p, *end, *nl, *why;
	char *line = NULL, origin[300], lno[16];
	unsigned ln = 0;
	size_t n, i;
	int r = 0;

	if (im == NULL || name == NULL || account == NULL ||
	    (buf == NULL && len > 0))
		return KP_ERR_ARG;
	if (!kp_account_valid(account))
		return KP_ERR_INVALID;
	if (len == 0)
		return 0; /* nothing to import; buf may be NULL */
	p = buf;
	end = buf + len;
	for (; p < end; p = nl + 1) {
		ln++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		free(line);
		if ((line = strndup(p, n)) == NULL)
			return KP_ERR_NOMEM;
		for (i = 0; line[i] == ' ' || line[i] == '\t'; i++)
			;
		if (line[i] == '\0' || line[i] == '#')
			continue;
		if (memchr(p, '\0', n) != NULL) {
			r = msg(im, name, ln, 1,
			    "NUL byte in the line; not imported", "");
			if (r != 0)
				break;
			continue;
		}
		why = NULL;
		if ((r = kp_authkey_parse(line, &k, &why)) != 0) {
			if (r == KP_ERR_NOMEM)
				break;
			if ((r = msg(im, name, ln, 1,
			         why != NULL ? why : "invalid line", "")) != 0)
				break;
			continue;
		}
		/* The core parser checks framing; the model checks the key. */
		if (kp_pubkey_check(k.key, &why) != 0) {
			kp_authkey_clear(&k);
			if ((r = msg(im, name, ln, 1,
			         why != NULL ? why : "invalid key", "")) != 0)
				break;
			continue;
		}
		for (i = 0; i < k.ndropped && r == 0; i++)
			r = msg(im, name, ln, 0, k.dropped[i],
			    " is not supported; left out (the key is imported "
			    "without it)");
		snprintf(lno, sizeof(lno), "%u", ln);
		snprintf(origin, sizeof(origin), "%s:%s", name, lno);
		if (r == 0 && k.cert_authority)
			r = add_ca(im, &k, account, origin);
		else if (r == 0)
			r = add_key(im, &k, account, origin, name, ln);
		kp_authkey_clear(&k);
		if (r != 0)
			break;
	}
	free(line);
	return r;
}

const struct kp_import_msg *
kp_import_msgs(const struct kp_import *im, size_t *n)
{
	*n = im != NULL ? im->nmsgs : 0;
	return im != NULL ? im->msgs : NULL;
}

size_t
kp_import_nkeys(const struct kp_import *im)
{
	return im != NULL ? im->n : 0;
}

size_t
kp_import_nauthorities(const struct kp_import *im)
{
	return im != NULL ? im->nca : 0;
}

size_t
kp_import_nmerged(const struct kp_import *im)
{
	size_t i, n = 0;

	for (i = 0; im != NULL && i < im->n; i++)
		n += im->e[i].naccounts > 1;
	return n;
}

/* ------------------------------------------------------------ output */

/* A YAML double-quoted scalar; values here are clean text already. */
static void
yq(struct kp_buf *b, const char *s)
{
	kp_buf_putc(b, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			kp_buf_printf(b, "\\%c", *s);
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			kp_buf_printf(b, "\\x%02x", (unsigned char)*s);
		else
			kp_buf_putc(b, *s);
	}
	kp_buf_putc(b, '"');
}

/*
 * Text from a file that goes into the policy: the loader refuses control
 * characters and invalid UTF-8, so anything doubtful becomes '?'.
 */
static char *
clean_copy(const char *s, size_t max)
{
	char *c;
	size_t i, n = strlen(s);

	if (n > max)
		n = max;
	if ((c = strndup(s, n)) == NULL)
		return NULL;
	if (kp_value_clean(c, max, NULL))
		return c;
	for (i = 0; c[i] != '\0'; i++)
		if ((unsigned char)c[i] < 0x20 || (unsigned char)c[i] >= 0x7f)
			c[i] = '?';
	return c;
}

/* An id from the key's comment, else its fingerprint. */
static void
base_id(const struct ientry *e, char *out, size_t len)
{
	const char *s = e->k.key->comment;
	size_t i = 0;

	if (s != NULL) {
		for (; *s != '\0' && i + 1 < len && i < 40; s++) {
			char c = *s;

			if (!((c >= 'a' && c <= 'z') ||
			        (c >= 'A' && c <= 'Z') ||
			        (c >= '0' && c <= '9') ||
			        strchr("._@+-", c) != NULL))
				c = '-';
			if (c == '-' && (i == 0 || out[i - 1] == '-'))
				continue;
			out[i++] = c;
		}
		while (i > 0 && out[i - 1] == '-')
			i--;
	}
	out[i] = '\0';
	if (i == 0) {
		snprintf(out, len, "key-%.10s", e->k.key->fp + 7);
		for (i = 0; out[i] != '\0'; i++)
			if (out[i] == '/')
				out[i] = '_';
	}
}

/* An id for entry i that none before it has; ids keeps *out. */
static int
unique_id(struct kp_strtab *ids, const struct ientry *e, size_t i, char **out)
{
	char base[64], id[KP_ID_MAX + 1];
	size_t k;

	base_id(e, base, sizeof(base));
	snprintf(id, sizeof(id), "%s", base);
	for (k = 2; kp_strtab_get(ids, id, NULL); k++) {
		if (k == 2)
			snprintf(id, sizeof(id), "%s-%s", base, e->accounts[0]);
		else
			snprintf(id, sizeof(id), "%s-%zu", base, k);
		if (!kp_id_valid(id))
			snprintf(id, sizeof(id), "key-%zu-%zu", i, k);
	}
	if ((*out = strdup(id)) == NULL)
		return KP_ERR_NOMEM;
	return kp_strtab_put(ids, *out, i, NULL) < 0 ? KP_ERR_NOMEM : 0;
}

/*
 * The owner of entry i: all entries of one key must name the same owner,
 * so it is the first entry's (by the key's comment, or "unknown").
 */
static int
entry_owner(
    const struct kp_import *im, struct kp_strtab *owners, size_t i, char **out)
{
	const struct ientry *first;
	size_t j;

	*out = NULL;
	if (!kp_strtab_get(owners, im->e[i].k.key->fp, &j)) {
		if (kp_strtab_put(owners, im->e[i].k.key->fp, i, NULL) < 0)
			return KP_ERR_NOMEM;
		j = i;
	}
	first = &im->e[j];
	*out =
	    clean_copy(im->owner_from_comment && first->k.key->comment != NULL
	            ? first->k.key->comment
	            : "unknown",
	        256);
	return *out != NULL ? 0 : KP_ERR_NOMEM;
}

/* The entry's comment: the key's own, then where it was imported from. */
static int
entry_comment(const struct ientry *e, char **out)
{
	struct kp_buf cb;
	char *c = NULL;
	int r;

	*out = NULL;
	kp_buf_init(&cb, KP_VALUE_MAX);
	if (e->k.key->comment != NULL)
		kp_buf_printf(&cb, "%s; ", e->k.key->comment);
	kp_buf_printf(&cb, "imported from %s", e->origin);
	if (e->norigins > 1)
		kp_buf_printf(&cb, " and %zu more", e->norigins - 1);
	if (cb.err == KP_ERR_TOOBIG) {
		kp_buf_free(&cb);
		kp_buf_init(&cb, KP_VALUE_MAX);
		kp_buf_puts(&cb, "imported");
	}
	if ((r = kp_buf_take(&cb, &c, NULL)) != 0)
		return r;
	*out = clean_copy(c, KP_VALUE_MAX);
	free(c);
	return *out != NULL ? 0 : KP_ERR_NOMEM;
}

/* "    NAME: [a, b]", every item quoted. */
static void
yq_list(struct kp_buf *b, const char *name, char *const *v, size_t n)
{
	size_t i;

	kp_buf_printf(b, "    %s: [", name);
	for (i = 0; i < n; i++) {
		if (i > 0)
			kp_buf_puts(b, ", ");
		yq(b, v[i]);
	}
	kp_buf_puts(b, "]\n");
}

/*
 * Above an entry for several accounts, a comment a reviewer cannot miss:
 * which file gave which account. Clean text: a file name cannot end the
 * comment line.
 */
static int
put_merge_note(struct kp_buf *b, const struct ientry *e)
{
	struct kp_buf nb;
	char *text = NULL, *clean;
	size_t j;
	int r;

	if (e->naccounts < 2)
		return 0;
	kp_buf_init(&nb, KP_VALUE_MAX);
	kp_buf_printf(&nb, "one key for %zu accounts:", e->naccounts);
	for (j = 0; j < e->naccounts; j++)
		kp_buf_printf(&nb, "%s %s from %s", j > 0 ? "," : "",
		    e->accounts[j], e->acct_origins[j]);
	kp_buf_puts(&nb, "; check that each should have it");
	if (nb.err == KP_ERR_TOOBIG) {
		kp_buf_free(&nb);
		kp_buf_init(&nb, KP_VALUE_MAX);
		kp_buf_printf(&nb,
		    "one key for %zu accounts; check that each should have it",
		    e->naccounts);
	}
	if ((r = kp_buf_take(&nb, &text, NULL)) != 0)
		return r;
	clean = clean_copy(text, KP_VALUE_MAX);
	free(text);
	if (clean == NULL)
		return KP_ERR_NOMEM;
	kp_buf_printf(b, "  # %s\n", clean);
	free(clean);
	return 0;
}

/* One keys entry of the policy. */
static void
put_entry(struct kp_buf *b, const struct ientry *e, const char *id,
    const char *owner, const char *comment)
{
	char addr[64], ts[64];
	size_t i;

	kp_buf_puts(b, "  - id: ");
	yq(b, id);
	kp_buf_puts(b, "\n    owner: ");
	yq(b, owner);
	kp_buf_printf(
	    b, "\n    key: \"%s %s\"\n", e->k.key->type, e->k.key->b64);
	yq_list(b, "accounts", e->accounts, e->naccounts);
	if (e->k.nsources > 0) {
		kp_buf_puts(b, "    from: [");
		for (i = 0; i < e->k.nsources; i++) {
			kp_cidr_format(&e->k.sources[i], addr, sizeof(addr));
			if (i > 0)
				kp_buf_puts(b, ", ");
			yq(b, addr);
		}
		kp_buf_puts(b, "]\n");
	}
	if (e->k.expires != KP_TIME_NONE_AFTER) {
		kp_time_format(e->k.expires, ts, sizeof(ts));
		kp_buf_printf(b, "    expires: %s\n", ts);
	}
	if (e->k.noptions > 0)
		yq_list(b, "options", e->k.options, e->k.noptions);
	if (e->k.command != NULL) {
		kp_buf_puts(b, "    command: ");
		yq(b, e->k.command);
		kp_buf_putc(b, '\n');
	}
	kp_buf_puts(b, "    comment: ");
	yq(b, comment);
	kp_buf_putc(b, '\n');
}

/*
 * The authorities: one per cert-authority line, ids ca-ACCOUNT-N made
 * unique against the keys' ids; the owner named as for keys (the line's
 * comment with owner_from_comment, else "unknown", to be set). The
 * line's principals= become principals: for its account.
 */
static int
put_authorities(
    struct kp_buf *b, const struct kp_import *im, const struct kp_strtab *ids)
{
	const struct ica *c;
	char id[KP_ID_MAX + 1], addr[64], ts[64], *cm, *owner;
	size_t i, j, n;

	if (im->nca == 0)
		return 0;
	kp_buf_puts(b, "authorities:\n");
	for (i = 0; i < im->nca; i++) {
		c = &im->ca[i];
		/* n > i: no two authorities share one; no key entry's either */
		for (n = i + 1;; n += im->nca) {
			snprintf(id, sizeof(id), "ca-%.40s-%zu", c->account, n);
			if (!kp_strtab_get(ids, id, NULL))
				break;
		}
		kp_buf_puts(b, "  - id: ");
		yq(b, id);
		if ((owner = clean_copy(
		         im->owner_from_comment && c->k.key->comment != NULL
		             ? c->k.key->comment
		             : "unknown",
		         256)) == NULL)
			return KP_ERR_NOMEM;
		kp_buf_puts(b, "\n    owner: ");
		yq(b, owner);
		kp_buf_putc(b, '\n');
		free(owner);
		kp_buf_printf(
		    b, "    key: \"%s %s\"\n", c->k.key->type, c->k.key->b64);
		yq_list(b, "accounts", (char *const *)&c->account, 1);
		if (c->k.nprincipals > 0) {
			kp_buf_puts(b, "    principals:\n      ");
			yq(b, c->account);
			kp_buf_puts(b, ": [");
			for (j = 0; j < c->k.nprincipals; j++) {
				if (j > 0)
					kp_buf_puts(b, ", ");
				yq(b, c->k.principals[j]);
			}
			kp_buf_puts(b, "]\n");
		}
		if (c->k.nsources > 0) {
			kp_buf_puts(b, "    from: [");
			for (j = 0; j < c->k.nsources; j++) {
				kp_cidr_format(
				    &c->k.sources[j], addr, sizeof(addr));
				if (j > 0)
					kp_buf_puts(b, ", ");
				yq(b, addr);
			}
			kp_buf_puts(b, "]\n");
		}
		if (c->k.expires != KP_TIME_NONE_AFTER) {
			kp_time_format(c->k.expires, ts, sizeof(ts));
			kp_buf_printf(b, "    expires: %s\n", ts);
		}
		if (c->k.noptions > 0)
			yq_list(b, "options", c->k.options, c->k.noptions);
		if (c->k.command != NULL) {
			kp_buf_puts(b, "    command: ");
			yq(b, c->k.command);
			kp_buf_putc(b, '\n');
		}
		if ((cm = clean_copy(c->origin, KP_VALUE_MAX)) == NULL)
			return KP_ERR_NOMEM;
		kp_buf_puts(b, "    comment: ");
		kp_buf_puts(b, "\"imported from ");
		kp_buf_puts(b, cm);
		kp_buf_puts(b, "\"\n");
		free(cm);
	}
	return b->err;
}

int
kp_import_yaml(const struct kp_import *im, char **out)
{
	struct kp_strtab ids, owners;
	struct kp_buf b;
	char **idv = NULL, *owner = NULL, *comment = NULL;
	size_t i;
	int r = 0;

	if (out != NULL)
		*out = NULL;
	if (im == NULL || out == NULL)
		return KP_ERR_ARG;
	kp_strtab_init(&ids);
	kp_strtab_init(&owners);
	kp_buf_init(&b, KP_ADMIN_OUT_MAX);
	if ((idv = calloc(im->n + 1, sizeof(*idv))) == NULL) {
		r = KP_ERR_NOMEM;
		goto out;
	}
	kp_buf_puts(&b,
	    "# Imported by keyauthctl import. Review every entry "
	    "before installing:\n# set the owners, add expires, "
	    "check from, bump the serial.\n");
	/* authorities are of the version 2 format */
	kp_buf_printf(&b, "version: %d\nserial: 1\n", im->nca > 0 ? 2 : 1);
	if (im->n > 0)
		kp_buf_puts(&b, "keys:\n");
	for (i = 0; i < im->n && b.err == 0; i++) {
		if ((r = unique_id(&ids, &im->e[i], i, &idv[i])) != 0 ||
		    (r = entry_owner(im, &owners, i, &owner)) != 0 ||
		    (r = entry_comment(&im->e[i], &comment)) != 0 ||
		    (r = put_merge_note(&b, &im->e[i])) != 0)
			goto out;
		put_entry(&b, &im->e[i], idv[i], owner, comment);
		free(owner);
		free(comment);
		owner = comment = NULL;
	}
	if ((r = b.err) != 0 || (r = put_authorities(&b, im, &ids)) != 0)
		goto out;
	r = kp_buf_take(&b, out, NULL); /* the caller's */
out:
	kp_buf_free(&b);
	for (i = 0; idv != NULL && i < im->n; i++)
		free(idv[i]);
	free(idv);
	free(owner);
	free(comment);
	kp_strtab_free(&ids);
	kp_strtab_free(&owners);
	return r;
}
