/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * The policy loader: YAML (libyaml's event parser) to struct kp_policy,
 * with every rule of docs/policy-format.md checked on the way.
 *
 * The format itself is data: under "the format" below, each mapping (the
 * top level, a keys entry, a revocation) is a table of fields, after
 * libcyaml's schemas. A row names a field, says whether it is required or
 * one of a set, and gives the function that parses its value and where
 * that goes; a field's own rule (an id's syntax, an option's allow-list)
 * is one small function, and the rules between fields of one mapping
 * (not_before before expires, one owner per key) run once it is read. One
 * walker (parse_mapping) applies a table, so every mapping reports
 * unknown fields, missing ones and type errors the same way. A new field
 * is a row and, when it has a rule of its own, a rule function; a new
 * section is a row of the top level whose function parses it.
 *
 * Why events and not libyaml's document loader: released libyaml has no
 * limits, and its loader would build (and expand aliases into) a whole
 * document before we could look at it. Here every event is checked as it
 * arrives (aliases, anchors, tags, depth, node count), and only one list
 * item of `keys:` or `revoked:` is held as a tree at a time, in an arena
 * that is reused for the next item.
 *
 * Decisions (the format leaves them open):
 *  - Tags are refused outright, even `!!str`: a tag can change what a
 *    scalar means to other YAML tools reviewing the same file.
 *  - `%YAML`/`%TAG` directives are refused (the grammar is fixed; the
 *    only directive that matters, %TAG, exists to define tags).
 *  - Integers (`version`, `serial`) must be plain (unquoted) decimal
 *    scalars without sign or leading zeros.
 *  - A plain scalar that YAML 1.1 or 1.2 resolves to null or a boolean
 *    (``, `~`, `null`, `yes`, `no`, `on`, `off`, `y`, `n`, `true`,
 *    `false` in their usual spellings) is a type error wherever a string
 *    is expected: `owner: no` must not mean something else to another
 *    tool (the "Norway problem"). Quote it to mean the text. Plain
 *    scalars that look like numbers are taken as their text (`id: 2024`).
 *  - JSON is YAML: quoted mapping keys and flow style are accepted.
 *  - An empty list anywhere is an error; omit the field instead.
 *  - Duplicate items in a list (accounts, hosts, from, options, a
 *    network's addresses) are errors: they are always a copy-paste slip.
 *  - Besides the file size limit, libyaml may consume at most
 *    LOAD_FEED_MAX bytes of input for one event, so a single gigantic
 *    scalar or comment is refused before libyaml has buffered it whole.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nettle/sha2.h>
#include <yaml.h>

#include "keyauth-policy.h"
#include "kp-internal.h"
#include "kp-policy.h"

/* Fields of the top level, at most (FIELDS_MAX, below). */
#define FIELDS_MAX_TOP 16
/* Input libyaml may read while producing one event (see above). */
#define LOAD_FEED_MAX (1024UL * 1024)
/* A list or mapping this long switches duplicate checks to a hash table. */
#define SMALL_COLLECTION 16

/* ---------------------------------------------------------------- nodes */

enum ntype { N_SCALAR, N_SEQ, N_MAP };

struct node {
	enum ntype type;
	unsigned line, col; /* 1-based, of the node's first character */
	int plain; /* plain (unquoted) scalar */
	int quoted; /* single- or double-quoted scalar */
	char *s; /* scalar text, NUL-terminated */
	size_t len;
	size_t n; /* items (sequence) or keys+values (mapping) */
	struct node *kid, *last, *next;
};

/* ---------------------------------------------------------------- loader */

struct pending {
	size_t entry; /* index in p->entries (p->authorities when authority) */
	int authority;
	unsigned line, col; /* first from: name not resolved yet */
	unsigned file;
};

struct loader {
	const char *name;
	const char *buf;
	size_t len;
	size_t off; /* handed to libyaml so far */
	size_t fed; /* handed to libyaml since the last event */
	int overlong;
	/*
	 * Streaming (kp_policy_load of a file): libyaml reads fd through
	 * feed_fd, which hashes and checks each chunk as the whole-file path
	 * checks the buffer; buf is then NULL, or on an error path only the
	 * bytes read so far, read again (src) to place the error.
	 */
	int fd;
	struct sha256_ctx sha;
	size_t total; /* bytes read from fd */
	int stream_r; /* a read error, growth past the limit or a NUL */
	int stream_errno;
	size_t nul_off;
	char *src;

	yaml_parser_t parser;
	int parser_ok;
	unsigned depth;
	unsigned long nodes;
	unsigned last_line, last_col; /* end of the last event */

	struct kp_diag *diag;
	/*
	 * Nodes and scalar text of one list item live in arena, reset
	 * between items, so a million-entry policy costs no per-scalar
	 * malloc. While a keys: entry is read, keep is the policy's own
	 * arena, which takes the entry's strings, lists and key (the entry
	 * is borrowed); the strings that repeat across many entries
	 * (accounts, hosts, from, options, commands) are kept once, through
	 * interned. Owners are not: most have one key or two, and at 100,000
	 * keys of 50,000 owners interning them cost more memory (the table)
	 * and 6 % more time than the copies (docs/performance.md).
	 */
	struct kp_arena arena;
	struct kp_arena *keep;
	struct kp_strtab interned;
	struct kp_policy *p;
	size_t entries_cap, revoked_cap, authorities_cap;
	int in_authority; /* the mapping being read is an authorities item */
	struct kp_idxtab ids; /* entry ids (entry_id_of) */
	struct kp_strtab auth_ids; /* authority id -> authority index */
	struct kp_strtab ca_fps; /* CA fingerprint -> first authority */
	struct kp_idxtab fps; /* fingerprint -> first entry (entry_fp_of) */
	struct kp_strtab nets; /* network name -> index */
	int networks_done; /* networks: seen and validated */
	struct pending *pending;
	size_t npending, pending_cap;
	unsigned file; /* the file being read (a directory policy) */
	/* The top level across files: where each field was first written. */
	struct node top_at[FIELDS_MAX_TOP];
	const struct node *top_key[FIELDS_MAX_TOP];
	unsigned top_file[FIELDS_MAX_TOP];
	unsigned top_line, top_col;
};

/* The loader's entry tables (kp_idxtab) read keys back from the entries. */
static const char *
entry_id_of(const void *arg, size_t i)
{
	return ((const struct kp_policy *)arg)->entries[i].id;
}

static const char *
entry_fp_of(const void *arg, size_t i)
{
	return ((const struct kp_policy *)arg)->entries[i].key->fp;
}

static int ferr(struct loader *L, int r, unsigned line, unsigned col,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Record the (first) error; returns r so callers can `return ferr(...)`. */
static int
ferr(struct loader *L, int r, unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;

	if (L->diag->msg[0] != '\0')
		return r; /* the first error wins */
	L->diag->line = line;
	L->diag->column = col;
	va_start(ap, fmt);
	vsnprintf(L->diag->msg, sizeof(L->diag->msg), fmt, ap);
	va_end(ap);
	return r;
}

#define nerr(L, n, ...) \
	ferr((L), KP_ERR_INVALID, (n)->line, (n)->col, __VA_ARGS__)

/* "line N", or "FILE:N" when the item is in another file. */
#define WHERE(L, at_file, at_line) \
	kp_policy_where( \
	    (L)->p, (L)->file, (at_file), (at_line), (char[KP_WHERE_MAX]){0})

/* Errors at the end name the file of the item they point at. */
static void
in_file(struct loader *L, unsigned file)
{
	if (L->p->nfiles > 0 && file < L->p->nfiles && L->diag->msg[0] == '\0')
		snprintf(L->diag->file, sizeof(L->diag->file), "%s",
		    L->p->files[file]);
	L->file = file;
}

/* Line and column (characters, like libyaml) of a byte offset in buf. */
static void
offset_pos(
    const char *buf, size_t len, size_t off, unsigned *line, unsigned *col)
{
	size_t i;
	unsigned l = 1, c = 1;

	for (i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			l++;
			c = 1;
		} else if (((unsigned char)buf[i] & 0xc0) != 0x80) {
			c++; /* continuation bytes do not start a character */
		}
	}
	*line = l;
	*col = c;
}

static int
feed(void *arg, unsigned char *out, size_t size, size_t *nread)
{
	struct loader *L = arg;
	size_t n = L->len - L->off;

	if (L->fed > LOAD_FEED_MAX) {
		L->overlong = 1;
		return 0;
	}
	if (n > size)
		n = size;
	memcpy(out, L->buf + L->off, n);
	L->off += n;
	L->fed += n;
	*nread = n;
	return 1;
}

/*
 * One chunk of the file: what kp_file_read and parse_file check on the
 * whole buffer (size, NUL bytes), and the hash. 1, or 0 with stream_r set.
 */
static int
read_chunk(struct loader *L, unsigned char *out, size_t size, size_t *nread)
{
	const unsigned char *nul;
	ssize_t n;

	*nread = 0;
	if (L->stream_r != 0)
		return 0;
	while ((n = read(L->fd, out, size)) == -1 && errno == EINTR)
		;
	if (n == -1) {
		L->stream_errno = errno;
		L->stream_r = KP_ERR_IO;
		return 0;
	}
	/* The file may grow after the opener's size check. */
	if ((size_t)n > KP_POLICY_MAX_BYTES - L->total) {
		L->stream_r = KP_ERR_TOOBIG;
		return 0;
	}
	if (n > 0 && (nul = memchr(out, '\0', (size_t)n)) != NULL) {
		L->nul_off = L->total + (size_t)(nul - out);
		L->stream_r = KP_ERR_INVALID;
		return 0;
	}
	sha256_update(&L->sha, (size_t)n, out);
	L->total += (size_t)n;
	*nread = (size_t)n;
	return 1;
}

static int
feed_fd(void *arg, unsigned char *out, size_t size, size_t *nread)
{
	struct loader *L = arg;

	if (L->fed > LOAD_FEED_MAX) {
		L->overlong = 1;
		return 0;
	}
	if (!read_chunk(L, out, size, nread))
		return 0;
	L->fed += *nread;
	return 1;
}

/*
 * Error path of a streamed load: the bytes read so far, read again, so
 * that an error can be placed (a line and column from an offset, a
 * column inside a scalar). Up to upto bytes; best effort.
 */
static void
want_source(struct loader *L, size_t upto)
{
	size_t got = 0;
	ssize_t n;

	if (L->fd < 0 || L->src != NULL || (L->src = malloc(upto + 1)) == NULL)
		return;
	while (got < upto) {
		n = pread(L->fd, L->src + got, upto - got, (off_t)got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	L->buf = L->src;
	L->len = got;
}

static int
parser_error(struct loader *L)
{
	yaml_parser_t *y = &L->parser;
	unsigned line, col;

	if (L->overlong) {
		return ferr(L, KP_ERR_TOOBIG, L->last_line, L->last_col,
		    "a single value or comment longer than %lu bytes follows "
		    "here; refusing to read it",
		    (unsigned long)LOAD_FEED_MAX);
	}
	switch (y->error) {
	case YAML_MEMORY_ERROR:
		return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
	case YAML_READER_ERROR:
		want_source(L, L->total);
		offset_pos(L->buf, L->len, y->problem_offset, &line, &col);
		return ferr(L, KP_ERR_INVALID, line, col, "%s%s",
		    y->problem != NULL ? y->problem : "unreadable input",
		    " (the policy must be UTF-8 text)");
	default:
		if (y->context != NULL) {
			return ferr(L, KP_ERR_INVALID,
			    (unsigned)y->problem_mark.line + 1,
			    (unsigned)y->problem_mark.column + 1,
			    "YAML syntax error: %s (%s at line %u)",
			    y->problem != NULL ? y->problem : "?", y->context,
			    (unsigned)y->context_mark.line + 1);
		}
		return ferr(L, KP_ERR_INVALID,
		    (unsigned)y->problem_mark.line + 1,
		    (unsigned)y->problem_mark.column + 1,
		    "YAML syntax error: %s",
		    y->problem != NULL ? y->problem : "?");
	}
}

/*
 * The next event, checked against the rules that apply to every event.
 * On success the caller owns ev (yaml_event_delete); on failure ev is
 * already released.
 */
static int
next_event(struct loader *L, yaml_event_t *ev)
{
	unsigned line, col;
	const yaml_char_t *anchor = NULL, *tag = NULL;
	int r;

	memset(ev, 0, sizeof(*ev));
	if (!yaml_parser_parse(&L->parser, ev))
		return parser_error(L);
	L->fed = 0;
	line = (unsigned)ev->start_mark.line + 1;
	col = (unsigned)ev->start_mark.column + 1;
	L->last_line = (unsigned)ev->end_mark.line + 1;
	L->last_col = (unsigned)ev->end_mark.column + 1;

	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		r = ferr(L, KP_ERR_INVALID, line, col,
		    "YAML aliases (*%s) are not allowed: write the value out",
		    (const char *)ev->data.alias.anchor);
		goto fail;
	case YAML_DOCUMENT_START_EVENT:
		if (ev->data.document_start.version_directive != NULL ||
		    ev->data.document_start.tag_directives.start !=
		        ev->data.document_start.tag_directives.end) {
			r = ferr(L, KP_ERR_INVALID, line, col,
			    "YAML directives (%%YAML, %%TAG) are not allowed");
			goto fail;
		}
		return 0;
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		L->depth--;
		return 0;
	default:
		return 0;
	}
	if (anchor != NULL) {
		r = ferr(L, KP_ERR_INVALID, line, col,
		    "YAML anchors (&%s) are not allowed: write every value out",
		    (const char *)anchor);
		goto fail;
	}
	if (tag != NULL) {
		r = ferr(L, KP_ERR_INVALID, line, col,
		    "YAML tags (%s) are not allowed: write plain values",
		    (const char *)tag);
		goto fail;
	}
	if (++L->nodes > KP_POLICY_MAX_NODES) {
		r = ferr(L, KP_ERR_TOOBIG, line, col,
		    "more than %lu YAML nodes",
		    (unsigned long)KP_POLICY_MAX_NODES);
		goto fail;
	}
	if (ev->type != YAML_SCALAR_EVENT && ++L->depth > KP_POLICY_MAX_DEPTH) {
		r = ferr(L, KP_ERR_TOOBIG, line, col,
		    "nested deeper than %d levels", KP_POLICY_MAX_DEPTH);
		goto fail;
	}
	return 0;
fail:
	yaml_event_delete(ev);
	return r;
}

static const char *
node_kind(const struct node *n)
{
	switch (n->type) {
	case N_SEQ:
		return "a list";
	case N_MAP:
		return "a mapping";
	default:
		return "a scalar";
	}
}

static const char *
event_kind(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SEQUENCE_START_EVENT:
		return "a list";
	case YAML_MAPPING_START_EVENT:
		return "a mapping";
	case YAML_SCALAR_EVENT:
		return "a scalar";
	default:
		return "nothing";
	}
}

static int
dup_key_error(struct loader *L, const struct node *k, unsigned first)
{
	return nerr(L, k, "duplicate key '%s' (first at line %u)", k->s, first);
}

static int read_node(struct loader *L, yaml_event_t *ev, struct node **out);

/* A zeroed node in the arena, at ev's first character. */
static struct node *
new_node(struct loader *L, const yaml_event_t *ev)
{
	struct node *n;

	if ((n = kp_arena_alloc(&L->arena, sizeof(*n))) == NULL) {
		ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
		return NULL;
	}
	memset(n, 0, sizeof(*n));
	n->line = (unsigned)ev->start_mark.line + 1;
	n->col = (unsigned)ev->start_mark.column + 1;
	return n;
}

/* The scalar of ev into n, its text copied into the arena. */
static int
read_scalar(struct loader *L, const yaml_event_t *ev, struct node *n)
{
	n->type = N_SCALAR;
	n->len = ev->data.scalar.length;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	n->quoted = ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	    ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	if (n->len > KP_KEYLINE_MAX) {
		return ferr(L, KP_ERR_TOOBIG, n->line, n->col,
		    "value too long (%zu bytes; no value may exceed %d)",
		    n->len, KP_KEYLINE_MAX);
	}
	if (memchr(ev->data.scalar.value, '\0', n->len) != NULL) {
		/* Only reachable through a "\0" escape. */
		return nerr(L, n, "value contains a NUL character");
	}
	n->s = kp_arena_strndup(
	    &L->arena, (const char *)ev->data.scalar.value, n->len);
	if (n->s == NULL)
		return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
	return 0;
}

/* Append first..last (an item, or a key and its value) to collection n. */
static void
append(struct node *n, struct node *first, struct node *last, size_t count)
{
	if (n->last == NULL)
		n->kid = first;
	else
		n->last->next = first;
	n->last = last;
	n->n += count;
}

/*
 * Refuse key k when mapping n has it already, at every level. Past
 * SMALL_COLLECTION keys the check goes through keys, built on first use.
 */
static int
key_unique(struct loader *L, const struct node *n, const struct node *k,
    struct kp_strtab *keys)
{
	const struct node *c;
	size_t first;
	int r;

	if (n->n / 2 < SMALL_COLLECTION) {
		for (c = n->kid; c != NULL; c = c->next->next) {
			if (c->len == k->len && memcmp(c->s, k->s, k->len) == 0)
				return dup_key_error(L, k, c->line);
		}
		return 0;
	}
	for (c = keys->n == 0 ? n->kid : NULL; c != NULL; c = c->next->next) {
		if (kp_strtab_put(keys, c->s, c->line, NULL) < 0)
			return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
	}
	if ((r = kp_strtab_put(keys, k->s, k->line, &first)) < 0)
		return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
	if (r == 1)
		return dup_key_error(L, k, (unsigned)first);
	return 0;
}

/* The items (or keys and values) of collection n, up to its end event. */
static int
read_items(struct loader *L, struct node *n)
{
	struct kp_strtab keys;
	struct node *k, *v;
	yaml_event_t sub;
	int r;

	kp_strtab_init(&keys);
	for (;;) {
		if ((r = next_event(L, &sub)) != 0)
			break;
		if (sub.type == YAML_SEQUENCE_END_EVENT ||
		    sub.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&sub);
			break;
		}
		if (n->type == N_MAP && sub.type != YAML_SCALAR_EVENT) {
			r = ferr(L, KP_ERR_INVALID,
			    (unsigned)sub.start_mark.line + 1,
			    (unsigned)sub.start_mark.column + 1,
			    "mapping keys must be plain words, not %s",
			    event_kind(&sub));
			yaml_event_delete(&sub);
			break;
		}
		if ((r = read_node(L, &sub, &k)) != 0)
			break;
		if (n->type == N_SEQ) {
			append(n, k, k, 1);
			continue;
		}
		if ((r = key_unique(L, n, k, &keys)) != 0 ||
		    (r = next_event(L, &sub)) != 0 ||
		    (r = read_node(L, &sub, &v)) != 0)
			break;
		k->next = v;
		append(n, k, v, 2);
	}
	kp_strtab_free(&keys);
	return r;
}

/*
 * Build the node that starts with ev (consumed) and everything under it.
 * Recursion is bounded by KP_POLICY_MAX_DEPTH (next_event enforces it).
 */
static int
read_node(struct loader *L, yaml_event_t *ev, struct node **out)
{
	struct node *n;
	int r;

	*out = NULL;
	if ((n = new_node(L, ev)) == NULL) {
		r = KP_ERR_NOMEM;
	} else if (ev->type == YAML_SCALAR_EVENT) {
		r = read_scalar(L, ev, n);
	} else if (ev->type == YAML_SEQUENCE_START_EVENT ||
	    ev->type == YAML_MAPPING_START_EVENT) {
		n->type = ev->type == YAML_SEQUENCE_START_EVENT ? N_SEQ : N_MAP;
		yaml_event_delete(ev);
		r = read_items(L, n);
	} else {
		r = ferr(L, KP_ERR_INTERNAL, n->line, n->col,
		    "unexpected YAML event %d", (int)ev->type);
	}
	/* Deleting a deleted (zeroed) event is a no-op. */
	yaml_event_delete(ev);
	if (r == 0)
		*out = n;
	return r;
}

/* ------------------------------------------------------------- scalars */

static int
is_null_plain(const char *s)
{
	/* Called for every string scalar: look at the first byte first. */
	if (*s != '\0' && *s != '~' && *s != 'n' && *s != 'N')
		return 0;
	return *s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

static int
is_bool_plain(const char *s)
{
	static const char *const words[] = {"y", "Y", "yes", "Yes", "YES", "n",
	    "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False",
	    "FALSE", "on", "On", "ON", "off", "Off", "OFF"};
	size_t i;

	/* Called for every string scalar: most are longer than any word. */
	if (strnlen(s, 6) > 5)
		return 0;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strcmp(s, words[i]) == 0)
			return 1;
	}
	return 0;
}

/* n must be a string scalar (see the decisions at the top). */
static int
want_string(struct loader *L, const struct node *n, const char *what)
{
	if (n->type != N_SCALAR) {
		return nerr(
		    L, n, "%s: expected a string, got %s", what, node_kind(n));
	}
	if (n->plain && is_null_plain(n->s)) {
		return nerr(
		    L, n, "%s: expected a string, got an empty value", what);
	}
	if (n->plain && is_bool_plain(n->s)) {
		return nerr(L, n,
		    "%s: '%s' is a YAML boolean, not a string; quote it "
		    "(\"%s\") if you mean the text",
		    what, n->s, n->s);
	}
	return 0;
}

/* A string that passes kp_value_clean (no control characters, UTF-8). */
static int
want_clean(struct loader *L, const struct node *n, const char *what, size_t max)
{
	const char *why = NULL;
	int r;

	if ((r = want_string(L, n, what)) != 0)
		return r;
	if (!kp_value_clean(n->s, max, &why)) {
		return nerr(L, n, "%s: %s", what,
		    why != NULL ? why : "not a clean value");
	}
	return 0;
}

static int
want_uint(
    struct loader *L, const struct node *n, const char *what, uint64_t *out)
{
	const char *s;
	uint64_t v = 0;

	*out = 0;
	if (n->type != N_SCALAR || !n->plain || n->s[0] == '\0') {
		return nerr(L, n, "%s: expected an unquoted integer, got %s",
		    what,
		    n->type != N_SCALAR ? node_kind(n)
		        : n->plain      ? "an empty value"
		                        : "a quoted string");
	}
	for (s = n->s; *s != '\0'; s++) {
		if (*s < '0' || *s > '9') {
			return nerr(L, n,
			    "%s: expected a decimal integer (digits only), "
			    "got '%s'",
			    what, n->s);
		}
	}
	if (n->s[0] == '0' && n->s[1] != '\0') {
		return nerr(L, n, "%s: leading zeros are not allowed ('%s')",
		    what, n->s);
	}
	for (s = n->s; *s != '\0'; s++) {
		if (v > ((uint64_t)INT64_MAX - (uint64_t)(*s - '0')) / 10) {
			return nerr(L, n,
			    "%s: too large (at most 9223372036854775807)",
			    what);
		}
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

/*
 * A time must still fall in the years 1970..9999 once its zone offset is
 * applied (9999-12-31T23:30:00-01:00 does not): sshd's expiry-time= (and
 * every time keyauth prints) has four digits for the year.
 */
static int
time_range_rule(
    struct loader *L, const struct node *n, const char *what, int64_t t)
{
	char utc[64];

	if (kp_time_in_range(t))
		return 0;
	kp_time_format(t, utc, sizeof(utc));
	return nerr(L, n,
	    "%s: '%s' is %s in UTC, outside the years %d to %d (sshd's "
	    "expiry-time= has four digits for the year)",
	    what, n->s, utc, KP_TIME_YEAR_MIN, KP_TIME_YEAR_MAX);
}

static int
want_time(
    struct loader *L, const struct node *n, const char *what, int64_t *out)
{
	int r;

	if ((r = want_string(L, n, what)) != 0)
		return r;
	if (kp_time_parse(n->s, out) != 0) {
		return nerr(L, n,
		    "%s: '%s' is not a date (YYYY-MM-DD) or RFC 3339 time "
		    "(YYYY-MM-DDTHH:MM:SSZ)",
		    what, n->s);
	}
	return time_range_rule(L, n, what, *out);
}

static int
want_list(struct loader *L, const struct node *n, const char *what)
{
	if (n->type != N_SEQ) {
		return nerr(L, n, "%s: expected a list (e.g. [a, b]), got %s",
		    what, node_kind(n));
	}
	if (n->n == 0) {
		return nerr(L, n,
		    "%s: empty list; an empty list means nothing, not "
		    "'no restriction': omit the field",
		    what);
	}
	return 0;
}

/* Every item a string scalar, no two equal. */
static int
want_string_list(struct loader *L, const struct node *n, const char *what)
{
	struct kp_strtab seen;
	const struct node *c, *d;
	size_t first;
	int r;

	if ((r = want_list(L, n, what)) != 0)
		return r;
	for (c = n->kid; c != NULL; c = c->next) {
		if ((r = want_string(L, c, what)) != 0)
			return r;
	}
	if (n->n <= SMALL_COLLECTION) {
		for (c = n->kid; c != NULL; c = c->next) {
			for (d = n->kid; d != c; d = d->next) {
				if (c->len == d->len &&
				    memcmp(c->s, d->s, c->len) == 0) {
					return nerr(L, c,
					    "%s: '%s' is listed twice (first "
					    "at line %u)",
					    what, c->s, d->line);
				}
			}
		}
		return 0;
	}
	kp_strtab_init(&seen);
	for (c = n->kid; c != NULL; c = c->next) {
		r = kp_strtab_put(&seen, c->s, c->line, &first);
		if (r < 0) {
			r = ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
			break;
		}
		if (r == 1) {
			r = nerr(L, c,
			    "%s: '%s' is listed twice (first at line "
			    "%u)",
			    what, c->s, (unsigned)first);
			break;
		}
	}
	kp_strtab_free(&seen);
	return r;
}

/*
 * s kept for the entry being read: in the policy's arena, once for every
 * entry that writes the same text when intern is set. NULL when out of
 * memory.
 */
static char *
keep_str(struct loader *L, const char *s, size_t len, int intern)
{
	const char *have;
	char *c;

	if (intern && (have = kp_strtab_key(&L->interned, s)) != NULL)
		return (char *)(uintptr_t)have; /* the arena's: never freed */
	if ((c = kp_arena_strndup(L->keep, s, len)) == NULL)
		return NULL;
	if (intern && kp_strtab_put(&L->interned, c, 0, NULL) < 0)
		return NULL;
	return c;
}

/*
 * Copy a list of scalars into a string vector: malloc'd, or kept (the
 * strings interned) while an entry is read into the policy's arena.
 */
static int
dup_strv(struct loader *L, const struct node *n, char ***out, size_t *nout)
{
	const struct node *c;
	char **v;
	size_t i = 0;

	*out = NULL;
	*nout = 0;
	if (L->keep != NULL) {
		if ((v = kp_arena_calloc(L->keep, n->n, sizeof(*v))) == NULL)
			return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
		for (c = n->kid; c != NULL; c = c->next, i++) {
			if ((v[i] = keep_str(L, c->s, c->len, 1)) == NULL)
				return ferr(
				    L, KP_ERR_NOMEM, 0, 0, "out of memory");
		}
		*out = v;
		*nout = n->n;
		return 0;
	}
	if ((v = calloc(n->n, sizeof(*v))) == NULL)
		return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
	for (c = n->kid; c != NULL; c = c->next, i++) {
		if ((v[i] = strdup(c->s)) == NULL) {
			while (i > 0)
				free(v[--i]);
			free(v);
			return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
		}
	}
	*out = v; /* ownership to the caller */
	*nout = n->n;
	return 0;
}

static int
dup_str(struct loader *L, const struct node *n, char **out, int intern)
{
	if (L->keep != NULL)
		*out = keep_str(L, n->s, n->len, intern);
	else
		*out = strdup(n->s);
	if (*out == NULL)
		return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
	return 0;
}

/*
 * v with room for one more element of size bytes when n are used of *cap
 * (which doubles, from first); NULL, with the error set, when out of
 * memory (v is then unchanged).
 */
static void *
grow(
    struct loader *L, void *v, size_t n, size_t *cap, size_t size, size_t first)
{
	size_t ncap;

	if (n < *cap)
		return v;
	ncap = *cap == 0 ? first : *cap * 2;
	if ((v = reallocarray(v, ncap, size)) == NULL) {
		ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
		return NULL;
	}
	*cap = ncap;
	return v;
}

/* ---------------------------------------------------------- field tables */

/*
 * A mapping of the format as data (see the top of this file). The walker
 * parse_mapping looks each key up in the table and hands the value to the
 * row's set function; set functions that store a value find its member at
 * off (and a list's item count at count_off) in the object being filled.
 */
struct field;
struct mapping;

/* Parse v, the value of field f, into obj. */
typedef int (*field_set_fn)(
    struct loader *L, const struct field *f, const struct node *v, void *obj);
/* The field's own rule, on its value or on each item of a list. */
typedef int (*field_rule_fn)(
    struct loader *L, const struct field *f, const struct node *v);
/*
 * The rules between the fields of one mapping, once all are parsed; key[i]
 * is the key node of field i, NULL when it is absent.
 */
typedef int (*mapping_done_fn)(struct loader *L, const struct mapping *m,
    const struct node *map, void *obj, const struct node *const *key);

#define FIELD_REQUIRED 0x01 /* absent is an error */
#define FIELD_ONE_OF 0x02 /* exactly one of the fields so marked */
#define FIELD_STREAM 0x04 /* top level: a list, set called once per item */
#define FIELD_RAW 0x08 /* text the rule checks itself (no kp_value_clean) */
#define FIELD_V2 0x10 /* top level: a policy using it says version: 2 */
#define FIELD_STREAM_MAP 0x20 /* top level: a mapping, set once per key */
#define FIELD_EMPTY_OK 0x40 /* an empty list is a value (groups:) */
#define FIELD_MERGE 0x80 /* top level: each file of a directory adds to it */
#define FIELD_INTERN 0x100 /* text many entries repeat: kept once (keep_str) */

struct field {
	const char *name;
	unsigned flags;
	field_set_fn set;
	field_rule_fn rule; /* NULL: none beyond the type */
	size_t off;
	size_t count_off;
};

/* Fields in one mapping, at most. */
#define FIELDS_MAX 16

struct mapping {
	const char *what; /* in messages: "keys entry", "the policy" */
	const char *shape; /* what a value that is not a mapping is told */
	const struct field *fields;
	size_t nfields; /* <= FIELDS_MAX */
	/* The item's name in messages (its id), NULL while unknown. */
	const char *(*label)(const void *obj);
	mapping_done_fn done;
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void *
member(void *obj, size_t off)
{
	return (char *)obj + off;
}

/*
 * The names of m's fields that have flag (all when 0), "a, b, c", or with
 * last as the final separator ("a, b or c"); cut to fit len.
 */
static void
field_names(const struct mapping *m, unsigned flag, const char *last, char *buf,
    size_t len)
{
	size_t i, n = 0, total = 0;

	for (i = 0; i < m->nfields; i++)
		total += flag == 0 || (m->fields[i].flags & flag) != 0;
	buf[0] = '\0';
	for (i = 0; i < m->nfields; i++) {
		if (flag != 0 && (m->fields[i].flags & flag) == 0)
			continue;
		if (n > 0) {
			strncat(buf,
			    last != NULL && n + 1 == total ? last : ", ",
			    len - strlen(buf) - 1);
		}
		strncat(buf, m->fields[i].name, len - strlen(buf) - 1);
		n++;
	}
}

/* Optimal string alignment distance, for "did you mean". */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d[24][24], v;

	if (la >= 24 || lb >= 24)
		return SIZE_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

/* Index of key k in m, or -1 with an error set (an unknown field). */
static int
field_index(struct loader *L, const struct node *k, const struct mapping *m)
{
	size_t i, d, best = SIZE_MAX, bi = 0, lim;
	char list[256];

	for (i = 0; i < m->nfields; i++) {
		if (m->fields[i].name[0] == k->s[0] &&
		    strcmp(m->fields[i].name, k->s) == 0)
			return (int)i;
	}
	lim = strlen(k->s) <= 3 ? 1 : 2;
	for (i = 0; i < m->nfields; i++) {
		if ((d = edit_distance(k->s, m->fields[i].name)) < best) {
			best = d;
			bi = i;
		}
	}
	if (best <= lim) {
		nerr(L, k, "unknown field '%s' in %s; did you mean '%s'?", k->s,
		    m->what, m->fields[bi].name);
	} else {
		field_names(m, 0, NULL, list, sizeof(list));
		nerr(L, k, "unknown field '%s' in %s (expected one of: %s)",
		    k->s, m->what, list);
	}
	return -1;
}

/* The value of the field named name, NULL when it is absent. */
static const struct node *
field_value(
    const struct mapping *m, const struct node *const *key, const char *name)
{
	size_t i;

	/* The first byte first: entry_done asks five times per entry. */
	for (i = 0; i < m->nfields; i++) {
		if (m->fields[i].name[0] == name[0] &&
		    strcmp(m->fields[i].name, name) == 0)
			return key[i] != NULL ? key[i]->next : NULL;
	}
	return NULL;
}

/* A second field of the one-of set (k) after first. */
static int
one_of_twice(struct loader *L, const struct mapping *m,
    const struct node *first, const struct node *k)
{
	char list[256];

	field_names(m, FIELD_ONE_OF, NULL, list, sizeof(list));
	return nerr(L, k,
	    "%s has both '%s' (line %u) and '%s'; give exactly one of %s",
	    m->what, first->s, first->line, k->s, list);
}

/*
 * One of the one-of set, then every required field, in table order; a
 * missing one is reported at line:col, where the mapping starts.
 */
static int
fields_present(struct loader *L, const struct mapping *m,
    const struct node *const *key, const void *obj, unsigned line, unsigned col)
{
	const char *label = m->label != NULL ? m->label(obj) : NULL;
	char list[256];
	size_t i, any = 0, one = 0;

	for (i = 0; i < m->nfields; i++) {
		if ((m->fields[i].flags & FIELD_ONE_OF) == 0)
			continue;
		one = 1;
		any += key[i] != NULL;
	}
	if (one && !any) {
		field_names(m, FIELD_ONE_OF, " or ", list, sizeof(list));
		return ferr(L, KP_ERR_INVALID, line, col, "%s needs one of %s",
		    m->what, list);
	}
	for (i = 0; i < m->nfields; i++) {
		if ((m->fields[i].flags & FIELD_REQUIRED) == 0 ||
		    key[i] != NULL)
			continue;
		return ferr(L, KP_ERR_INVALID, line, col,
		    "%s%s%s%s is missing the required field '%s'", m->what,
		    label != NULL ? " '" : "", label != NULL ? label : "",
		    label != NULL ? "'" : "", m->fields[i].name);
	}
	return 0;
}

/*
 * The mapping map, field by field in the order written, into obj by m's
 * table; then the checks of presence and the rules between fields.
 */
static int
parse_mapping(struct loader *L, const struct mapping *m, const struct node *map,
    void *obj)
{
	const struct node *key[FIELDS_MAX] = {NULL}, *k, *v, *one = NULL;
	const struct field *f;
	int i, r;

	if (map->type != N_MAP)
		return nerr(L, map, "%s, got %s", m->shape, node_kind(map));
	for (k = map->kid; k != NULL; k = v->next) {
		v = k->next;
		if ((i = field_index(L, k, m)) < 0)
			return KP_ERR_INVALID;
		f = &m->fields[i];
		key[i] = k;
		if ((f->flags & FIELD_ONE_OF) != 0) {
			if (one != NULL)
				return one_of_twice(L, m, one, k);
			one = k;
		}
		if ((r = f->set(L, f, v, obj)) != 0)
			return r;
	}
	if ((r = fields_present(L, m, key, obj, map->line, map->col)) != 0)
		return r;
	return m->done != NULL ? m->done(L, m, map, obj, key) : 0;
}

/* ------------------------------------------------------- value setters */

/* A string; clean unless the field is FIELD_RAW; then the field's rule. */
static int
set_text(
    struct loader *L, const struct field *f, const struct node *v, void *obj)
{
	int r;

	if ((f->flags & FIELD_RAW) != 0)
		r = want_string(L, v, f->name);
	else
		r = want_clean(L, v, f->name, KP_VALUE_MAX);
	if (r != 0 || (f->rule != NULL && (r = f->rule(L, f, v)) != 0))
		return r;
	return dup_str(
	    L, v, member(obj, f->off), (f->flags & FIELD_INTERN) != 0);
}

static int
set_time(
    struct loader *L, const struct field *f, const struct node *v, void *obj)
{
	return want_time(L, v, f->name, member(obj, f->off));
}

/* A non-empty list of distinct strings, each passing the field's rule. */
static int
set_list(
    struct loader *L, const struct field *f, const struct node *v, void *obj)
{
	const struct node *c;
	int r;

	if ((r = want_string_list(L, v, f->name)) != 0)
		return r;
	for (c = v->kid; c != NULL && f->rule != NULL; c = c->next) {
		if ((r = f->rule(L, f, c)) != 0)
			return r;
	}
	return dup_strv(L, v, member(obj, f->off), member(obj, f->count_off));
}

/* ----------------------------------------------------------- networks */
/* A letter, then letters, digits, '_' or '-'; at most KP_ID_MAX. */
static int
network_name_valid(const char *s)
{
	size_t i;

	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	for (i = 1; s[i] != '\0'; i++) {
		if (i >= KP_ID_MAX)
			return 0;
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= 'A' && s[i] <= 'Z') ||
		        (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		        s[i] == '-'))
			return 0;
	}
	return 1;
}

/*
 * Why s (which kp_cidr_parse refused) cannot be a from:/networks item.
 * Returns NULL when s has the form of a network name.
 */
static const char *
address_refusal(const char *s, const char *cidr_why)
{
	if (strchr(s, '!') != NULL)
		return "negation ('!') is not supported: list only what is "
		       "allowed";
	if (strchr(s, ',') != NULL)
		return "commas are not allowed: write one address per list "
		       "item";
	if (strpbrk(s, " \t") != NULL)
		return "spaces are not allowed: write one address per list "
		       "item";
	if (strpbrk(s, "*?") != NULL)
		return "wildcards are not allowed: use a CIDR such as "
		       "10.0.0.0/8";
	if (strchr(s, ':') != NULL || strchr(s, '/') != NULL ||
	    (s[0] >= '0' && s[0] <= '9'))
		return cidr_why != NULL ? cidr_why
		                        : "not a valid address or CIDR";
	if (strchr(s, '.') != NULL)
		return "host names are not allowed (sshd would need DNS to "
		       "check them): use addresses, CIDRs or a name from "
		       "networks:";
	if (!network_name_valid(s))
		return "not an address, a CIDR or a network name (a letter, "
		       "then letters, digits, '_' or '-')";
	return NULL;
}

/* One address of network name: an address or CIDR, never another name. */
static int
network_address(struct loader *L, const char *name, const struct node *c,
    struct kp_cidr *out)
{
	char why[KP_CIDR_WHY_MAX];
	const char *refusal;

	if (kp_cidr_parse_why(c->s, out, why, sizeof(why)) == 0)
		return 0;
	if ((refusal = address_refusal(c->s, why)) == NULL) {
		return nerr(L, c,
		    "network '%s': '%s' is not an address or CIDR (a network "
		    "may not refer to another network)",
		    name, c->s);
	}
	return nerr(L, c, "network '%s': '%s': %s", name, c->s, refusal);
}

/* Network k: v into the next p->networks slot (p owns it from here). */
static int
parse_network(struct loader *L, const struct node *k, const struct node *v)
{
	struct kp_policy *p = L->p;
	struct kp_network *net;
	const struct node *c;
	char what[KP_ID_MAX + 16];
	size_t i;
	int r;

	if (!network_name_valid(k->s)) {
		return nerr(L, k,
		    "network name '%s': expected a letter, then letters, "
		    "digits, '_' or '-' (at most %d)",
		    k->s, KP_ID_MAX);
	}
	snprintf(what, sizeof(what), "network '%s'", k->s);
	if ((r = want_string_list(L, v, what)) != 0)
		return r;
	if (kp_strtab_get(&L->nets, k->s, &i)) {
		return nerr(L, k, "network '%s' is defined twice (first at %s)",
		    k->s, WHERE(L, p->networks[i].file, p->networks[i].line));
	}
	net = &p->networks[p->nnetworks];
	net->line = k->line;
	net->column = k->col;
	net->file = L->file;
	if ((net->name = strdup(k->s)) == NULL)
		return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
	p->nnetworks++;
	if ((net->addrs = calloc(v->n, sizeof(*net->addrs))) == NULL)
		return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
	for (c = v->kid, i = 0; c != NULL; c = c->next, i++) {
		if ((r = network_address(L, k->s, c, &net->addrs[i])) != 0)
			return r;
	}
	net->naddrs = v->n;
	/* Already present cannot be: read_node refused duplicate keys. */
	if (kp_strtab_put(&L->nets, net->name, p->nnetworks - 1, NULL) < 0)
		return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
	return 0;
}

/* networks: a non-empty mapping of names to address lists. */
static int
set_networks(
    struct loader *L, const struct field *f, const struct node *v, void *obj)
{
	struct kp_policy *p = obj;
	struct kp_network *nets;
	const struct node *k;
	int r;

	if (v->type != N_MAP) {
		return nerr(L, v,
		    "%s: expected a mapping of names to address lists, got %s",
		    f->name, node_kind(v));
	}
	if (v->n == 0) {
		return nerr(
		    L, v, "%s: empty mapping; omit the field instead", f->name);
	}
	/* Another file of a directory policy may have added some. */
	nets = reallocarray(
	    p->networks, p->nnetworks + v->n / 2, sizeof(*p->networks));
	if (nets == NULL)
		return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
	p->networks = nets;
	memset(nets + p->nnetworks, 0, v->n / 2 * sizeof(*nets));
	for (k = v->kid; k != NULL; k = k->next->next) {
		if ((r = parse_network(L, k, k->next)) != 0)
			return r;
	}
	/* In a directory, a later file may still define networks. */
	if (p->nfiles == 0)
		L->networks_done = 1;
	return 0;
}

/*
 * Fill e->sources from e->from. With networks not yet read, names are left
 * for the end of the document (*deferred = 1).
 */
static int
build_sources(struct loader *L, struct kp_entry *e, int *deferred)
{
	struct kp_cidr c, *src = NULL;
	const struct kp_network *net;
	size_t i, n = 0, idx;

	*deferred = 0;
	/* Pass 1: count (and check names when networks are known). */
	for (i = 0; i < e->nfrom; i++) {
		if (kp_cidr_parse(e->from[i], &c, NULL) == 0) {
			n++;
		} else if (!L->networks_done) {
			*deferred = 1;
			return 0;
		} else if (kp_strtab_get(&L->nets, e->from[i], &idx)) {
			n += L->p->networks[idx].naddrs;
		} else {
			return KP_ERR_NOTFOUND; /* caller reports it */
		}
	}
	if (n == 0)
		return 0;
	if (e->borrowed)
		src = kp_arena_calloc(L->p->arena, n, sizeof(*src));
	else
		src = calloc(n, sizeof(*src));
	if (src == NULL)
		return KP_ERR_NOMEM;
	n = 0;
	for (i = 0; i < e->nfrom; i++) {
		if (kp_cidr_parse(e->from[i], &src[n], NULL) == 0) {
			n++;
			continue;
		}
		(void)kp_strtab_get(&L->nets, e->from[i], &idx);
		net = &L->p->networks[idx];
		memcpy(&src[n], net->addrs, net->naddrs * sizeof(*src));
		n += net->naddrs;
	}
	e->sources = src; /* ownership to the entry (borrowed: the policy) */
	e->nsources = n;
	return 0;
}

/* Report the first from: item of e that names no known network. */
static int
unknown_network(
    struct loader *L, const struct kp_entry *e, unsigned line, unsigned col)
{
	struct kp_cidr c;
	size_t i;

	for (i = 0; i < e->nfrom; i++) {
		if (kp_cidr_parse(e->from[i], &c, NULL) != 0 &&
		    !kp_strtab_get(&L->nets, e->from[i], NULL))
			break;
	}
	return ferr(L, KP_ERR_INVALID, line, col,
	    "from: unknown network '%s' (define it under networks:, or "
	    "write an address or CIDR)",
	    i < e->nfrom ? e->from[i] : "?");
}

/* ------------------------------------------------------------- keys */

/* id: 1 to KP_ID_MAX of [A-Za-z0-9._@+-], unique in the file. */
static int
id_rule(struct loader *L, const struct field *f, const struct node *v)
{
	size_t first;

	if (!kp_id_valid(v->s)) {
		return nerr(L, v,
		    "id '%s': expected 1 to %d of A-Z a-z 0-9 . _ @ + -", v->s,
		    KP_ID_MAX);
	}
	if (kp_idxtab_get(&L->ids, v->s, entry_id_of, L->p, &first)) {
		return nerr(L, v, "duplicate id '%s' (first at %s)", v->s,
		    WHERE(L, L->p->entries[first].file,
		        L->p->entries[first].line));
	}
	/* One namespace: an audit record's key_id names one thing. */
	if (kp_strtab_get(&L->auth_ids, v->s, &first)) {
		return nerr(L, v, "duplicate id '%s' (first at %s)", v->s,
		    WHERE(L, L->p->authorities[first].e.file,
		        L->p->authorities[first].e.line));
	}
	return 0;
}

/* owner, reason: an empty string names nobody and explains nothing. */
static int
not_empty_rule(struct loader *L, const struct field *f, const struct node *v)
{
	if (v->s[0] == '\0')
		return nerr(L, v, "%s: must not be empty", f->name);
	return 0;
}

/*
 * A value the machine compares (an owner, a command) must look to the
 * reviewer like what it is: no invisible, format or space-like character
 * (kp_value_visible). Free text (comment, reason) may hold them: nothing
 * compares it, and the outputs escape what a terminal would hide.
 */
static int
visible_rule(struct loader *L, const struct field *f, const struct node *v)
{
	const char *why = NULL;
	uint32_t cp = 0;

	if (kp_value_visible(v->s, KP_VALUE_MAX, &why, &cp))
		return 0;
	if (cp != 0)
		return nerr(L, v,
		    "%s: invisible or format character U+%04X in value (a "
		    "reviewer cannot see it, the machine tells it apart): "
		    "write the value without it",
		    f->name, (unsigned)cp);
	return nerr(L, v, "%s: %s", f->name, why != NULL ? why : "unclean");
}

/* owner: someone, written so that a reviewer sees who. */
static int
owner_rule(struct loader *L, const struct field *f, const struct node *v)
{
	int r;

	if ((r = not_empty_rule(L, f, v)) != 0)
		return r;
	return visible_rule(L, f, v);
}

/* accounts: Unix account names, written out (no wildcards). */
static int
account_rule(struct loader *L, const struct field *f, const struct node *c)
{
	if (kp_account_valid(c->s))
		return 0;
	return nerr(L, c,
	    "%s: '%s' is not a valid account name ([a-z_][a-z0-9_.-]*, "
	    "optional trailing $, at most %d; no wildcards)",
	    f->name, c->s, KP_ACCOUNT_MAX);
}

/* hosts: host name globs (kp_host_pattern_valid). */
static int
host_rule(struct loader *L, const struct field *f, const struct node *c)
{
	const char *why = NULL;

	if (kp_host_pattern_valid(c->s, &why))
		return 0;
	return nerr(L, c, "%s: '%s': %s", f->name, c->s,
	    why != NULL ? why : "not a host name pattern");
}

/*
 * from: an address, a CIDR or a network name. A name is checked here when
 * networks: came first, else when the document ends (resolve_pending).
 */
static int
from_rule(struct loader *L, const struct field *f, const struct node *c)
{
	struct kp_cidr tmp;
	char why[KP_CIDR_WHY_MAX];
	const char *refusal;

	if (kp_cidr_parse_why(c->s, &tmp, why, sizeof(why)) == 0)
		return 0;
	if ((refusal = address_refusal(c->s, why)) != NULL)
		return nerr(L, c, "%s: '%s': %s", f->name, c->s, refusal);
	if (L->networks_done && !kp_strtab_get(&L->nets, c->s, NULL)) {
		return nerr(L, c,
		    "%s: unknown network '%s' (define it under networks:, or "
		    "write an address or CIDR)",
		    f->name, c->s);
	}
	return 0;
}

/* options: clean text, and on the allow-list (kp_option_allowed). */
static int
option_rule(struct loader *L, const struct field *f, const struct node *c)
{
	const char *why = NULL;

	if (!kp_value_clean(c->s, KP_VALUE_MAX, &why))
		return nerr(
		    L, c, "%s: %s", f->name, why != NULL ? why : "unclean");
	why = NULL;
	if (!kp_option_allowed(c->s, &why)) {
		return nerr(L, c, "%s: '%s': %s", f->name, c->s,
		    why != NULL ? why : "not an allowed option");
	}
	return 0;
}

/* command: the emitter's own rule (kp_command_valid). */
static int
command_rule(struct loader *L, const struct field *f, const struct node *v)
{
	const char *why = NULL;

	if (!kp_command_valid(v->s, &why))
		return nerr(L, v, "%s: %s", f->name,
		    why != NULL ? why : "not a valid forced command");
	return visible_rule(L, f, v);
}

/*
 * 1 if the first off bytes of scalar n appear verbatim in the source on
 * its first line, so that column + off points at the same character (not
 * so after escapes, folding or block scalars). Error path only.
 */
static int
source_matches(struct loader *L, const struct node *n, size_t off)
{
	size_t i = 0, line = 1, col = 1;

	if (!n->plain && !n->quoted)
		return 0;
	want_source(L, L->total);
	while (i < L->len && line < n->line) {
		if (L->buf[i++] == '\n')
			line++;
	}
	while (i < L->len && col < n->col && L->buf[i] != '\n') {
		i++;
		while (i < L->len && ((unsigned char)L->buf[i] & 0xc0) == 0x80)
			i++;
		col++;
	}
	/*
	 * The walk above counts '\n' only; libyaml also breaks lines at a
	 * lone '\r', so the walk can end at the buffer's end: never step
	 * past it (found by fuzz_load, a 1-byte over-read).
	 */
	if (n->quoted && i < L->len)
		i++;
	if (i >= L->len || off > L->len - i ||
	    memchr(L->buf + i, '\n', off) != NULL)
		return 0;
	if (memchr(L->buf + i, n->quoted ? '\\' : '\n', off) != NULL ||
	    (n->quoted && memchr(L->buf + i, '\'', off) != NULL))
		return 0;
	return memcmp(L->buf + i, n->s, off) == 0;
}

static int
parse_key(struct loader *L, const struct node *n, struct kp_pubkey **out)
{
	const char *why = NULL;
	size_t off = 0;
	unsigned col;
	int r;

	*out = NULL;
	/* kp_pubkey_parse_line checks characters itself, with an offset. */
	if ((r = want_string(L, n, "key")) != 0)
		return r;
	if (L->keep != NULL)
		r = kp_pubkey_parse_line_checked_in(
		    n->s, L->keep, out, &why, &off);
	else
		r = kp_pubkey_parse_line_checked(n->s, out, &why, &off);
	if (r != 0) {
		*out = NULL;
		col = n->col;
		if (off > 0 && source_matches(L, n, off))
			col += (unsigned)off + (n->quoted ? 1 : 0);
		return ferr(L, KP_ERR_INVALID, n->line, col, "key: %s",
		    why != NULL ? why : "not a valid public key line");
	}
	return 0;
}

static int
set_key(
    struct loader *L, const struct field *f, const struct node *v, void *obj)
{
	struct kp_pubkey **k = member(obj, f->off);
	int r;

	if ((r = parse_key(L, v, k)) == 0 && L->keep != NULL)
		kp_idxtab_prefetch(&L->fps, (*k)->fp); /* key_owner_rule */
	return r;
}

/* not_before must be earlier than expires. */
static int
window_rule(struct loader *L, int64_t nb, int64_t exp,
    const struct node *not_before, const struct node *expires)
{
	if (nb == KP_TIME_NONE_BEFORE || exp == KP_TIME_NONE_AFTER ||
	    kp_time_window_valid(nb, exp))
		return 0;
	return nerr(L, expires,
	    "expires (%s) must be later than not_before (%s, line %u)",
	    expires->s, not_before->s, not_before->line);
}

/* All entries of one key name the same owner. */
static int
key_owner_rule(
    struct loader *L, const struct kp_entry *e, const struct node *owner)
{
	const struct kp_entry *o;
	size_t first;

	if (!kp_idxtab_get(&L->fps, e->key->fp, entry_fp_of, L->p, &first))
		return 0;
	o = &L->p->entries[first];
	if (strcmp(o->owner, e->owner) == 0)
		return 0;
	return nerr(L, owner,
	    "owner '%s' differs from owner '%s' of the same key in entry "
	    "'%s' (%s); all entries of one key must name the same owner",
	    e->owner, o->owner, o->id, WHERE(L, o->file, o->line));
}

/* Leave e's from: names for the end of the document (networks: after). */
static int
defer_sources(struct loader *L, const struct node *from)
{
	struct pending *pd;

	pd = grow(L, L->pending, L->npending, &L->pending_cap, sizeof(*pd), 16);
	if (pd == NULL)
		return KP_ERR_NOMEM;
	L->pending = pd;
	pd = &L->pending[L->npending++];
	pd->authority = L->in_authority;
	/* where e will go */
	pd->entry = L->in_authority ? L->p->nauthorities : L->p->nentries;
	pd->line = from->line;
	pd->col = from->col;
	pd->file = L->file;
	return 0;
}

/* e->sources from e->from, now or (networks: not read yet) at the end. */
static int
entry_sources(struct loader *L, struct kp_entry *e, const struct node *from)
{
	int r, deferred;

	if (e->nfrom == 0)
		return 0;
	r = build_sources(L, e, &deferred);
	if (r == KP_ERR_NOMEM)
		return ferr(L, r, 0, 0, "out of memory");
	if (r != 0)
		return unknown_network(L, e, from->line, from->col);
	return deferred ? defer_sources(L, from) : 0;
}

/* Item i of list n (0-based); n itself when there is no such item. */
static const struct node *
list_item(const struct node *n, size_t i)
{
	const struct node *c;

	for (c = n->kid; c != NULL && i > 0; c = c->next)
		i--;
	return c != NULL ? c : n;
}

/*
 * options as a list: sshd applies them in order (kp_optset_read), so a
 * re-enabling word must follow restrict, and no word may come with its
 * no- word or twice: the list must read as what sshd makes of it.
 */
static int
options_rule(struct loader *L, const struct kp_entry *e, const struct node *v)
{
	struct kp_optset set;
	struct kp_optset_problem pb;
	const struct node *bad;
	const char *o;

	if (v == NULL ||
	    kp_optset_read((const char *const *)e->options, e->noptions,
	        KP_OPTSET_STRICT, &set, &pb) == 0)
		return 0;
	bad = list_item(v, pb.bad);
	o = pb.bad < e->noptions ? e->options[pb.bad] : "?";
	switch (pb.what) {
	case KP_OPTSET_NEEDS_RESTRICT:
		return nerr(L, bad,
		    "options: '%s' re-enables what 'restrict' turns off: it "
		    "means something only after restrict (sshd applies "
		    "options in order)",
		    o);
	case KP_OPTSET_CONTRADICTS:
		return nerr(L, bad, "options: '%s' contradicts '%s' (item %zu)",
		    o, e->options[pb.other], pb.other + 1);
	case KP_OPTSET_TWICE:
		return nerr(L, bad,
		    "options: '%s' is listed twice (item %zu; sshd ignores "
		    "case)",
		    o, pb.other + 1);
	default:
		return nerr(L, bad, "options: '%s': not an allowed option", o);
	}
}

/*
 * The emitter's own checks (kp_authkeys_check) on the whole entry, so that
 * what check accepts the helper can serve: the field rules above say the
 * same things at the field, this is the gate should they ever differ.
 * Sources still waiting for networks: are checked when the emitter sees
 * them; they hold only parsed CIDRs.
 */
static int
servable_rule(
    struct loader *L, const struct kp_entry *e, const struct node *map)
{
	const char *why = NULL;

	if (kp_authkeys_check(e->id, e->sources, e->nsources, e->expires,
	        (const char *const *)e->options, e->noptions, e->command,
	        &why) == 0)
		return 0;
	return nerr(L, map, "keys entry '%s' cannot be served to sshd: %s",
	    e->id, why != NULL ? why : "refused by the emitter");
}

static int
entry_done(struct loader *L, const struct mapping *m, const struct node *map,
    void *obj, const struct node *const *key)
{
	struct kp_entry *e = obj;
	int r;

	if ((r = window_rule(L, e->not_before, e->expires,
	         field_value(m, key, "not_before"),
	         field_value(m, key, "expires"))) != 0 ||
	    (r = key_owner_rule(L, e, field_value(m, key, "owner"))) != 0 ||
	    (r = options_rule(L, e, field_value(m, key, "options"))) != 0 ||
	    (r = entry_sources(L, e, field_value(m, key, "from"))) != 0)
		return r;
	return servable_rule(L, e, map);
}

static const char *
entry_label(const void *obj)
{
	return ((const struct kp_entry *)obj)->id;
}

/* --------------------------------------------------------- revocations */

/* fingerprint: as ssh-keygen -l prints it. */
static int
fingerprint_rule(struct loader *L, const struct field *f, const struct node *v)
{
	if (kp_fingerprint_valid(v->s))
		return 0;
	return nerr(L, v,
	    "%s: expected SHA256: and 43 base64 characters (as ssh-keygen "
	    "-l prints it)",
	    f->name);
}

static int
revoke_fingerprint(
    struct loader *L, const struct field *f, const struct node *v, void *obj)
{
	((struct kp_revocation *)obj)->kind = KP_REVOKE_FINGERPRINT;
	return set_text(L, f, v, obj);
}

static int
revoke_owner(
    struct loader *L, const struct field *f, const struct node *v, void *obj)
{
	((struct kp_revocation *)obj)->kind = KP_REVOKE_OWNER;
	return set_text(L, f, v, obj);
}

/* A key line: revoked by its fingerprint, which is the value. */
static int
revoke_key(
    struct loader *L, const struct field *f, const struct node *v, void *obj)
{
	struct kp_revocation *rv = obj;
	int r;

	rv->kind = KP_REVOKE_KEY;
	if ((r = parse_key(L, v, &rv->key)) != 0)
		return r;
	if ((rv->value = strdup(rv->key->fp)) == NULL)
		return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
	return 0;
}

/* -------------------------------------------------- revoked certificates */

/* ca: the CA's key line or fingerprint; every certificate it signed. */
static int
revoke_ca(
    struct loader *L, const struct field *f, const struct node *v, void *obj)
{
	struct kp_revocation *rv = obj;
	int r;

	rv->kind = KP_REVOKE_CA;
	if ((r = want_string(L, v, f->name)) != 0)
		return r;
	if (strncmp(v->s, "SHA256:", 7) == 0) {
		if ((r = fingerprint_rule(L, f, v)) != 0)
			return r;
		if ((rv->ca_fp = strdup(v->s)) == NULL)
			return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
	} else {
		if ((r = parse_key(L, v, &rv->key)) != 0)
			return r;
		if (rv->key == NULL)
			return ferr(L, KP_ERR_INTERNAL, 0, 0, "no key parsed");
		if ((rv->ca_fp = strdup(rv->key->fp)) == NULL)
			return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
	}
	if ((rv->value = strdup(rv->ca_fp)) == NULL)
		return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
	return 0;
}

/* serial: of a certificate; 0 is what a certificate without one carries. */
static int
set_revoke_serial(
    struct loader *L, const struct field *f, const struct node *v, void *obj)
{
	struct kp_revocation *rv = obj;
	int r;

	if ((r = want_uint(L, v, f->name, &rv->serial)) != 0)
		return r;
	if (rv->serial == 0)
		return nerr(L, v,
		    "%s: 0 is the serial of every certificate issued without "
		    "one; revoke by key_id or the whole ca instead",
		    f->name);
	return 0;
}

/* serial and key_id narrow a ca: revocation to one certificate. */
static int
revoke_done(struct loader *L, const struct mapping *m, const struct node *map,
    void *obj, const struct node *const *key)
{
	struct kp_revocation *rv = obj;
	const struct node *serial = NULL, *key_id = NULL;
	size_t i;

	for (i = 0; i < m->nfields; i++) {
		if (key[i] == NULL)
			continue;
		if (strcmp(m->fields[i].name, "serial") == 0)
			serial = key[i];
		else if (strcmp(m->fields[i].name, "key_id") == 0)
			key_id = key[i];
	}
	if (serial != NULL && key_id != NULL)
		return nerr(L, key_id,
		    "revoked entry has both 'serial' (line %u) and 'key_id'; "
		    "give one per entry",
		    serial->line);
	if ((serial != NULL || key_id != NULL) && rv->kind != KP_REVOKE_CA)
		return nerr(L, serial != NULL ? serial : key_id,
		    "%s: needs 'ca' (the CA that signed the certificate), not "
		    "fingerprint, key or owner",
		    serial != NULL ? "serial" : "key_id");
	if (serial != NULL)
		rv->kind = KP_REVOKE_SERIAL;
	else if (key_id != NULL)
		rv->kind = KP_REVOKE_KEY_ID;
	return 0;
}

/* ---------------------------------------------------------- authorities */

/*
 * A principal goes into principals="a,b" on the line sshd reads: printable
 * ASCII without space, ',', '"' or '\\'.
 */
static int
principal_rule(struct loader *L, const struct field *f, const struct node *c)
{
	const char *p;

	if (c->len == 0 || c->len > KP_CERT_NAME_MAX)
		return nerr(L, c, "%s: a principal has 1 to %d characters",
		    f->name, KP_CERT_NAME_MAX);
	for (p = c->s; *p != '\0'; p++) {
		if (*p <= ' ' || *p >= 0x7f || *p == ',' || *p == '"' ||
		    *p == '\\')
			return nerr(L, c,
			    "%s: '%s': a principal is printable ASCII without "
			    "space, ',', '\"' or '\\\\'",
			    f->name, c->s);
	}
	return 0;
}

static int
principal_list(struct loader *L, const struct field *f, const struct node *v,
    struct kp_principal_list *pl)
{
	const struct node *c;
	int r;

	if ((r = want_string_list(L, v, f->name)) != 0)
		return r;
	for (c = v->kid; c != NULL; c = c->next) {
		if ((r = principal_rule(L, f, c)) != 0)
			return r;
	}
	return dup_strv(L, v, &pl->names, &pl->nnames);
}

/* principals: a list for every account, or account -> list. */
static int
set_principals(
    struct loader *L, const struct field *f, const struct node *v, void *obj)
{
	struct kp_authority *a = obj;
	const struct node *k;
	size_t n;
	int r;

	if (v->type == N_SEQ) {
		if ((a->principals = calloc(1, sizeof(*a->principals))) == NULL)
			return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
		a->nprincipals = 1;
		return principal_list(L, f, v, &a->principals[0]);
	}
	if (v->type != N_MAP)
		return nerr(L, v,
		    "%s: expected a list of principals, or a mapping of "
		    "account to such a list, got %s",
		    f->name, node_kind(v));
	if (v->n == 0)
		return nerr(
		    L, v, "%s: empty mapping; omit the field instead", f->name);
	n = v->n / 2;
	if ((a->principals = calloc(n, sizeof(*a->principals))) == NULL)
		return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
	for (k = v->kid; k != NULL; k = k->next->next) {
		if ((r = account_rule(L, f, k)) != 0)
			return r;
		if ((r = dup_str(
		         L, k, &a->principals[a->nprincipals].account, 0)) != 0)
			return r;
		a->nprincipals++;
		if ((r = principal_list(L, f, k->next,
		         &a->principals[a->nprincipals - 1])) != 0)
			return r;
	}
	return 0;
}

/* Every account principals: names is one the authority grants. */
static int
principals_accounts_rule(
    struct loader *L, const struct kp_authority *a, const struct node *v)
{
	const struct node *k;
	size_t i;

	if (v == NULL || v->type != N_MAP)
		return 0;
	for (k = v->kid; k != NULL; k = k->next->next) {
		for (i = 0; i < a->e.naccounts; i++) {
			if (strcmp(a->e.accounts[i], k->s) == 0)
				break;
		}
		if (i == a->e.naccounts)
			return nerr(L, k,
			    "principals: account '%s' is not in this "
			    "authority's accounts",
			    k->s);
	}
	return 0;
}

/* All authorities of one CA key name the same owner. */
static int
ca_owner_rule(
    struct loader *L, const struct kp_authority *a, const struct node *owner)
{
	const struct kp_authority *o;
	size_t first;

	if (!kp_strtab_get(&L->ca_fps, a->e.key->fp, &first))
		return 0;
	o = &L->p->authorities[first];
	if (strcmp(o->e.owner, a->e.owner) == 0)
		return 0;
	return nerr(L, owner,
	    "owner '%s' differs from owner '%s' of the same CA in authority "
	    "'%s' (line %u); all authorities of one CA must name the same "
	    "owner",
	    a->e.owner, o->e.owner, o->e.id, o->e.line);
}

static int
authority_done(struct loader *L, const struct mapping *m,
    const struct node *map, void *obj, const struct node *const *key)
{
	struct kp_authority *a = obj;
	int r;

	if ((r = window_rule(L, a->e.not_before, a->e.expires,
	         field_value(m, key, "not_before"),
	         field_value(m, key, "expires"))) != 0 ||
	    (r = principals_accounts_rule(
	         L, a, field_value(m, key, "principals"))) != 0 ||
	    (r = ca_owner_rule(L, a, field_value(m, key, "owner"))) != 0)
		return r;
	return entry_sources(L, &a->e, field_value(m, key, "from"));
}

static const char *
authority_label(const void *obj)
{
	return ((const struct kp_authority *)obj)->e.id;
}

/* id: as a key entry's, unique among keys and authorities together. */
static int
authority_id_rule(struct loader *L, const struct field *f, const struct node *v)
{
	return id_rule(L, f, v);
}

/* ----------------------------------------------------------- top level */

/* version: 1 or 2 (what each needs is version_rule's). */
static int
set_version(
    struct loader *L, const struct field *f, const struct node *v, void *obj)
{
	struct kp_policy *p = obj;
	uint64_t version = 0;
	int r;

	if ((r = want_uint(L, v, f->name, &version)) != 0)
		return r;
	if (version < 1 || version > KP_POLICY_VERSION_MAX) {
		return nerr(L, v,
		    "%s: unsupported policy version %s (this keyauth reads "
		    "versions 1 and %d)",
		    f->name, v->s, KP_POLICY_VERSION_MAX);
	}
	/* Every file of a directory may say its version: the same one. */
	if (p->version != 0 && p->version != version) {
		return nerr(L, v,
		    "%s: %s here, but %u in another file of the policy; one "
		    "policy has one version",
		    f->name, v->s, p->version);
	}
	p->version = (unsigned)version;
	return 0;
}

/* issued: when the policy was made (signed policies need it). */
static int
set_issued(
    struct loader *L, const struct field *f, const struct node *v, void *obj)
{
	struct kp_policy *p = obj;
	int r;

	if ((r = want_time(L, v, f->name, &p->issued)) != 0)
		return r;
	p->has_issued = 1;
	return 0;
}

/* serial: 1 .. INT64_MAX (install compares it with the installed one). */
static int
set_serial(
    struct loader *L, const struct field *f, const struct node *v, void *obj)
{
	struct kp_policy *p = obj;
	int r;

	if ((r = want_uint(L, v, f->name, &p->serial)) != 0)
		return r;
	if (p->serial == 0)
		return nerr(L, v, "%s: must be at least 1", f->name);
	return 0;
}

/* ------------------------------------------- people, groups and grants */

/*
 * Version 2 (docs/policy-format.md, "People, groups and grants"): read
 * here into p->teams as written; teams.c resolves them into entries once
 * the whole policy is read, since a grant may name a person or a group
 * written after it.
 */

static struct kp_teams *
teams_of(struct loader *L)
{
	struct kp_teams *t = L->p->teams;

	if (t != NULL)
		return t;
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
		return NULL;
	}
	kp_strtab_init(&t->people_ix);
	kp_strtab_init(&t->groups_ix);
	kp_strtab_init(&t->grants_ix);
	kp_strtab_init(&t->key_ids);
	kp_strtab_init(&t->key_fps);
	L->p->teams = t;
	return t;
}

/* A key id: the syntax of entry ids, unique among the people's keys. */
static int
team_key_id_rule(struct loader *L, const struct field *f, const struct node *v)
{
	struct kp_teams *t = L->p->teams;
	size_t first;

	if (!kp_id_valid(v->s)) {
		return nerr(L, v,
		    "id '%s': expected 1 to %d of A-Z a-z 0-9 . _ @ + -", v->s,
		    KP_ID_MAX);
	}
	if (kp_strtab_get(&t->key_ids, v->s, &first)) {
		return nerr(L, v, "duplicate key id '%s' (first at %s)", v->s,
		    WHERE(L, t->keys[first].file, t->keys[first].line));
	}
	return 0;
}

/* A grant id: the syntax of entry ids, unique among the grants. */
static int
grant_id_rule(struct loader *L, const struct field *f, const struct node *v)
{
	struct kp_teams *t = L->p->teams;
	size_t first;

	if (!kp_id_valid(v->s)) {
		return nerr(L, v,
		    "id '%s': expected 1 to %d of A-Z a-z 0-9 . _ @ + -", v->s,
		    KP_ID_MAX);
	}
	if (kp_strtab_get(&t->grants_ix, v->s, &first)) {
		return nerr(L, v, "duplicate grant id '%s' (first at %s)", v->s,
		    WHERE(L, t->grants[first].e.file, t->grants[first].e.line));
	}
	return 0;
}

/* A person (people: key, group member, grant recipient) or group:NAME. */
static int
member_parse(struct loader *L, const char *what, const struct node *c,
    struct kp_member *m, int allow_key)
{
	const char *name = c->s;
	const char *why = NULL;
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = want_clean(L, c, what, KP_VALUE_MAX)) != 0)
		return r;
	if (strncmp(name, KP_GROUP_PREFIX, strlen(KP_GROUP_PREFIX)) == 0) {
		name += strlen(KP_GROUP_PREFIX);
		if (!kp_id_valid(name)) {
			return nerr(L, c,
			    "%s: '%s': a group name is 1 to %d of A-Z a-z 0-9 "
			    ". _ @ + -",
			    what, c->s, KP_ID_MAX);
		}
		m->is_group = 1;
	} else if (strncmp(name, KP_KEY_PREFIX, strlen(KP_KEY_PREFIX)) == 0) {
		name += strlen(KP_KEY_PREFIX);
		if (!allow_key) {
			return nerr(L, c,
			    "%s: '%s': a group holds people and groups; name "
			    "one key in a grant's to:",
			    what, c->s);
		}
		if (!kp_id_valid(name)) {
			return nerr(L, c,
			    "%s: '%s': a key id is 1 to %d of A-Z a-z 0-9 . _ "
			    "@ + -",
			    what, c->s, KP_ID_MAX);
		}
		m->is_key = 1;
	} else if (*name == '\0') {
		return nerr(L, c, "%s: must not be empty", what);
	}
	(void)why;
	m->line = c->line;
	m->column = c->col;
	m->file = L->file;
	if ((m->name = strdup(name)) == NULL)
		return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
	return 0;
}

static void
members_free(struct kp_member *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i].name);
	free(v);
}

/* A list of members, distinct; empty only where f allows it. */
static int
member_list(struct loader *L, const char *what, unsigned flags,
    const struct node *v, struct kp_member **out, size_t *nout)
{
	const struct node *c;
	struct kp_member *m;
	size_t i = 0;
	int r;

	*out = NULL;
	*nout = 0;
	if ((flags & FIELD_EMPTY_OK) != 0 && v->type == N_SEQ && v->n == 0)
		return 0;
	if ((r = want_string_list(L, v, what)) != 0)
		return r;
	if ((m = calloc(v->n, sizeof(*m))) == NULL)
		return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
	for (c = v->kid; c != NULL; c = c->next, i++) {
		if ((r = member_parse(L, what, c, &m[i],
		         (flags & FIELD_EMPTY_OK) == 0)) != 0) {
			members_free(m, i);
			return r;
		}
	}
	*out = m;
	*nout = v->n;
	return 0;
}

#define TKEY(member) offsetof(struct kp_team_key, member)
#define PERSON(member) offsetof(struct kp_person, member)
#define GRANT(member) offsetof(struct kp_team_grant, member)

static int add_person_key(
    struct loader *L, const struct field *f, const struct node *v, void *obj);

static int
set_person_keys(
    struct loader *L, const struct field *f, const struct node *v, void *obj)
{
	const struct node *c;
	int r;

	if ((r = want_list(L, v, f->name)) != 0)
		return r;
	for (c = v->kid; c != NULL; c = c->next) {
		if ((r = add_person_key(L, f, c, obj)) != 0)
			return r;
	}
	return 0;
}

static int
set_to(struct loader *L, const struct field *f, const struct node *v, void *obj)
{
	struct kp_team_grant *g = obj;

	return member_list(L, f->name, 0, v, &g->to, &g->nto);
}

static int
team_key_done(struct loader *L, const struct mapping *m, const struct node *map,
    void *obj, const struct node *const *key)
{
	struct kp_team_key *k = obj;
	struct kp_teams *t = L->p->teams;
	const struct kp_team_key *o;
	const struct node *at;
	size_t first;
	int r;

	if ((r = window_rule(L, k->not_before, k->expires,
	         field_value(m, key, "not_before"),
	         field_value(m, key, "expires"))) != 0)
		return r;
	if (kp_strtab_get(&t->key_fps, k->key->fp, &first)) {
		o = &t->keys[first];
		if ((at = field_value(m, key, "key")) == NULL)
			at = map;
		return nerr(L, at,
		    "key: the same key as '%s' of %s (%s); a key belongs "
		    "to one person, once",
		    o->id, t->people[o->person].owner,
		    WHERE(L, o->file, o->line));
	}
	return 0;
}

static const char *
team_key_label(const void *obj)
{
	return ((const struct kp_team_key *)obj)->id;
}

static int
grant_done(struct loader *L, const struct mapping *m, const struct node *map,
    void *obj, const struct node *const *key)
{
	struct kp_team_grant *g = obj;
	const struct node *from = field_value(m, key, "from");

	if (from != NULL) {
		g->from_line = from->line;
		g->from_column = from->col;
	}
	return window_rule(L, g->e.not_before, g->e.expires,
	    field_value(m, key, "not_before"), field_value(m, key, "expires"));
}

static const char *
grant_label(const void *obj)
{
	return ((const struct kp_team_grant *)obj)->e.id;
}

/* docs/policy-format.md, "people:" */
static const struct field person_fields[] = {
    {"keys", FIELD_REQUIRED, set_person_keys, NULL, 0, 0},
    {"comment", 0, set_text, NULL, PERSON(comment), 0},
};

static const struct field team_key_fields[] = {
    {"id", FIELD_REQUIRED | FIELD_RAW, set_text, team_key_id_rule, TKEY(id), 0},
    {"key", FIELD_REQUIRED, set_key, NULL, TKEY(key), 0},
    {"not_before", 0, set_time, NULL, TKEY(not_before), 0},
    {"expires", 0, set_time, NULL, TKEY(expires), 0},
    {"comment", 0, set_text, NULL, TKEY(comment), 0},
};

/* docs/policy-format.md, "grants:" */
static const struct field grant_fields[] = {
    {"id", FIELD_REQUIRED | FIELD_RAW, set_text, grant_id_rule, GRANT(e.id), 0},
    {"to", FIELD_REQUIRED, set_to, NULL, 0, 0},
    {"accounts", FIELD_REQUIRED, set_list, account_rule, GRANT(e.accounts),
        GRANT(e.naccounts)},
    {"hosts", 0, set_list, host_rule, GRANT(e.hosts), GRANT(e.nhosts)},
    {"from", 0, set_list, from_rule, GRANT(e.from), GRANT(e.nfrom)},
    {"not_before", 0, set_time, NULL, GRANT(e.not_before), 0},
    {"expires", 0, set_time, NULL, GRANT(e.expires), 0},
    {"options", 0, set_list, option_rule, GRANT(e.options), GRANT(e.noptions)},
    {"command", 0, set_text, command_rule, GRANT(e.command), 0},
    {"comment", 0, set_text, NULL, GRANT(e.comment), 0},
};

static const char *
person_label(const void *obj)
{
	return ((const struct kp_person *)obj)->owner;
}

static const struct mapping person_map = {"person",
    "people: each person must be a mapping (keys, comment)", person_fields,
    NELEM(person_fields), person_label, NULL};

static const struct mapping team_key_map = {"key",
    "keys: each key must be a mapping (id, key, not_before, expires, "
    "comment)",
    team_key_fields, NELEM(team_key_fields), team_key_label, team_key_done};

static const struct mapping grant_map = {"grant",
    "grants: each item must be a mapping (id, to, accounts, ...)", grant_fields,
    NELEM(grant_fields), grant_label, grant_done};

_Static_assert(NELEM(person_fields) <= FIELDS_MAX &&
        NELEM(team_key_fields) <= FIELDS_MAX &&
        NELEM(grant_fields) <= FIELDS_MAX,
    "a mapping has more fields than FIELDS_MAX");

static void
team_key_clear(struct kp_team_key *k)
{
	free(k->id);
	kp_pubkey_free(k->key);
	free(k->comment);
	memset(k, 0, sizeof(*k));
}

/* One item of a person's keys: into teams->keys (obj: the person). */
static int
add_person_key(
    struct loader *L, const struct field *f, const struct node *item, void *obj)
{
	struct kp_teams *t = L->p->teams;
	struct kp_person *pe = obj;
	struct kp_team_key k, *tmp;
	int r;

	memset(&k, 0, sizeof(k));
	k.not_before = KP_TIME_NONE_BEFORE;
	k.expires = KP_TIME_NONE_AFTER;
	k.line = item->line;
	k.column = item->col;
	k.file = L->file;
	k.person = t->npeople; /* where pe goes */
	if ((r = parse_mapping(L, &team_key_map, item, &k)) != 0)
		goto fail;
	tmp = grow(L, t->keys, t->nkeys, &t->keys_cap, sizeof(*tmp), 64);
	if (tmp == NULL) {
		r = KP_ERR_NOMEM;
		goto fail;
	}
	t->keys = tmp;
	t->keys[t->nkeys++] = k;
	pe->nkeys++;
	if (kp_strtab_put(&t->key_ids, k.id, t->nkeys - 1, NULL) < 0 ||
	    kp_strtab_put(&t->key_fps, k.key->fp, t->nkeys - 1, NULL) < 0)
		return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
	return 0;
fail:
	team_key_clear(&k);
	return r;
}

/* One person of people: (k, its value k->next) into teams->people. */
static int
add_person(
    struct loader *L, const struct field *f, const struct node *k, void *obj)
{
	struct kp_teams *t;
	struct kp_person pe, *tmp;
	size_t first;
	int r;

	if ((t = teams_of(L)) == NULL)
		return KP_ERR_NOMEM;
	if ((r = want_clean(L, k, "person", KP_VALUE_MAX)) != 0)
		return r;
	if (k->s[0] == '\0')
		return nerr(L, k, "person: must not be empty");
	if (kp_strtab_get(&t->people_ix, k->s, &first)) {
		return nerr(L, k, "person '%s' is defined twice (first at %s)",
		    k->s,
		    WHERE(L, t->people[first].file, t->people[first].line));
	}
	memset(&pe, 0, sizeof(pe));
	pe.line = k->line;
	pe.column = k->col;
	pe.file = L->file;
	pe.first_key = t->nkeys;
	tmp = grow(L, t->people, t->npeople, &t->people_cap, sizeof(*tmp), 64);
	if (tmp == NULL)
		return KP_ERR_NOMEM;
	t->people = tmp;
	if ((pe.owner = strdup(k->s)) == NULL)
		return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
	/* Keys are appended to teams->keys as they are read. */
	if ((r = parse_mapping(L, &person_map, k->next, &pe)) != 0) {
		free(pe.owner);
		free(pe.comment);
		return r;
	}
	t->people[t->npeople++] = pe;
	if (kp_strtab_put(&t->people_ix, pe.owner, t->npeople - 1, NULL) < 0)
		return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
	return 0;
}

/* One group of groups: (k, its member list k->next). */
static int
add_group(
    struct loader *L, const struct field *f, const struct node *k, void *obj)
{
	struct kp_teams *t;
	struct kp_group g, *tmp;
	char what[KP_ID_MAX + 16];
	size_t first;
	int r;

	if ((t = teams_of(L)) == NULL)
		return KP_ERR_NOMEM;
	if (!kp_id_valid(k->s)) {
		return nerr(L, k,
		    "group name '%s': expected 1 to %d of A-Z a-z 0-9 . _ @ + "
		    "-",
		    k->s, KP_ID_MAX);
	}
	if (kp_strtab_get(&t->groups_ix, k->s, &first)) {
		return nerr(L, k, "group '%s' is defined twice (first at %s)",
		    k->s,
		    WHERE(L, t->groups[first].file, t->groups[first].line));
	}
	memset(&g, 0, sizeof(g));
	g.line = k->line;
	g.column = k->col;
	g.file = L->file;
	snprintf(what, sizeof(what), "group '%s'", k->s);
	if ((r = member_list(L, what, FIELD_EMPTY_OK, k->next, &g.members,
	         &g.nmembers)) != 0)
		return r;
	tmp = grow(L, t->groups, t->ngroups, &t->groups_cap, sizeof(*tmp), 16);
	if (tmp == NULL || (g.name = strdup(k->s)) == NULL) {
		members_free(g.members, g.nmembers);
		return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
	}
	t->groups = tmp;
	t->groups[t->ngroups++] = g;
	if (kp_strtab_put(&t->groups_ix, g.name, t->ngroups - 1, NULL) < 0)
		return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
	return 0;
}

/* One item of grants: into teams->grants. */
static int
add_grant(
    struct loader *L, const struct field *f, const struct node *item, void *obj)
{
	struct kp_teams *t;
	struct kp_team_grant g, *tmp;
	int r;

	if ((t = teams_of(L)) == NULL)
		return KP_ERR_NOMEM;
	memset(&g, 0, sizeof(g));
	g.e.not_before = KP_TIME_NONE_BEFORE;
	g.e.expires = KP_TIME_NONE_AFTER;
	g.e.line = item->line;
	g.e.column = item->col;
	g.e.file = L->file;
	if ((r = parse_mapping(L, &grant_map, item, &g)) != 0)
		goto fail;
	tmp = grow(L, t->grants, t->ngrants, &t->grants_cap, sizeof(*tmp), 16);
	if (tmp == NULL) {
		r = KP_ERR_NOMEM;
		goto fail;
	}
	t->grants = tmp;
	t->grants[t->ngrants++] = g;
	if (kp_strtab_put(&t->grants_ix, g.e.id, t->ngrants - 1, NULL) < 0)
		return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
	return 0;
fail:
	kp_entry_clear(&g.e);
	members_free(g.to, g.nto);
	return r;
}

/* --------------------------------------------------------- the format */

static int add_entry(
    struct loader *L, const struct field *f, const struct node *v, void *obj);
static int add_revocation(
    struct loader *L, const struct field *f, const struct node *v, void *obj);
static int add_authority(
    struct loader *L, const struct field *f, const struct node *v, void *obj);

/* Where a row's value goes: off (and count_off) in the object filled. */
#define POLICY(member) offsetof(struct kp_policy, member)
#define ENTRY(member) offsetof(struct kp_entry, member)
#define REVOKED(member) offsetof(struct kp_revocation, member)
#define AUTHORITY(member) offsetof(struct kp_authority, member)

/* docs/policy-format.md, "The file" */
static const struct field top_fields[] = {
    {"version", FIELD_REQUIRED | FIELD_MERGE, set_version, NULL, 0, 0},
    {"serial", FIELD_REQUIRED, set_serial, NULL, 0, 0},
    {"issued", FIELD_V2, set_issued, NULL, 0, 0},
    {"expires", 0, set_time, NULL, POLICY(expires), 0},
    {"networks", FIELD_MERGE, set_networks, NULL, 0, 0},
    {"keys", FIELD_STREAM | FIELD_MERGE, add_entry, NULL, 0, 0},
    {"revoked", FIELD_STREAM | FIELD_MERGE, add_revocation, NULL, 0, 0},
    {"authorities", FIELD_STREAM | FIELD_V2 | FIELD_MERGE, add_authority, NULL,
        0, 0},
    {"people", FIELD_V2 | FIELD_STREAM_MAP | FIELD_MERGE, add_person, NULL, 0,
        0},
    {"groups", FIELD_V2 | FIELD_STREAM_MAP | FIELD_MERGE, add_group, NULL, 0,
        0},
    {"grants", FIELD_V2 | FIELD_STREAM | FIELD_MERGE, add_grant, NULL, 0, 0},
};

/* docs/policy-format.md, "keys: the grants" */
static const struct field entry_fields[] = {
    {"id", FIELD_REQUIRED | FIELD_RAW, set_text, id_rule, ENTRY(id), 0},
    {"owner", FIELD_REQUIRED, set_text, owner_rule, ENTRY(owner), 0},
    {"key", FIELD_REQUIRED, set_key, NULL, ENTRY(key), 0},
    {"accounts", FIELD_REQUIRED, set_list, account_rule, ENTRY(accounts),
        ENTRY(naccounts)},
    {"hosts", 0, set_list, host_rule, ENTRY(hosts), ENTRY(nhosts)},
    {"from", 0, set_list, from_rule, ENTRY(from), ENTRY(nfrom)},
    {"not_before", 0, set_time, NULL, ENTRY(not_before), 0},
    {"expires", 0, set_time, NULL, ENTRY(expires), 0},
    {"options", 0, set_list, option_rule, ENTRY(options), ENTRY(noptions)},
    {"command", FIELD_INTERN, set_text, command_rule, ENTRY(command), 0},
    {"comment", 0, set_text, NULL, ENTRY(comment), 0},
};

/* docs/policy-format.md, "revoked" */
static const struct field revoke_fields[] = {
    {"fingerprint", FIELD_ONE_OF | FIELD_RAW, revoke_fingerprint,
        fingerprint_rule, REVOKED(value), 0},
    {"key", FIELD_ONE_OF, revoke_key, NULL, 0, 0},
    {"owner", FIELD_ONE_OF, revoke_owner, owner_rule, REVOKED(value), 0},
    {"ca", FIELD_ONE_OF, revoke_ca, NULL, 0, 0},
    {"serial", 0, set_revoke_serial, NULL, 0, 0},
    {"key_id", 0, set_text, not_empty_rule, REVOKED(key_id), 0},
    {"reason", FIELD_REQUIRED, set_text, not_empty_rule, REVOKED(reason), 0},
    {"date", 0, set_time, NULL, REVOKED(date), 0},
};

/*
 * docs/certificates.md: an authority has a key entry's fields (at the
 * same offsets: the entry is the authority's first member), the CA's key
 * as key, and principals.
 */
_Static_assert(AUTHORITY(e) == 0, "an authority starts with its entry");
static const struct field authority_fields[] = {
    {"id", FIELD_REQUIRED | FIELD_RAW, set_text, authority_id_rule, ENTRY(id),
        0},
    {"owner", FIELD_REQUIRED, set_text, not_empty_rule, ENTRY(owner), 0},
    {"key", FIELD_REQUIRED, set_key, NULL, ENTRY(key), 0},
    {"accounts", FIELD_REQUIRED, set_list, account_rule, ENTRY(accounts),
        ENTRY(naccounts)},
    {"principals", 0, set_principals, NULL, 0, 0},
    {"hosts", 0, set_list, host_rule, ENTRY(hosts), ENTRY(nhosts)},
    {"from", 0, set_list, from_rule, ENTRY(from), ENTRY(nfrom)},
    {"not_before", 0, set_time, NULL, ENTRY(not_before), 0},
    {"expires", 0, set_time, NULL, ENTRY(expires), 0},
    {"options", 0, set_list, option_rule, ENTRY(options), ENTRY(noptions)},
    {"command", 0, set_text, command_rule, ENTRY(command), 0},
    {"comment", 0, set_text, NULL, ENTRY(comment), 0},
};

static const struct mapping top_map = {"the policy",
    "the policy must be a mapping (version, serial, networks, keys, "
    "revoked, authorities, people, groups, grants)",
    top_fields, NELEM(top_fields), NULL, NULL};

static const struct mapping entry_map = {"keys entry",
    "keys: each item must be a mapping (id, owner, key, accounts, ...)",
    entry_fields, NELEM(entry_fields), entry_label, entry_done};

static const struct mapping revoke_map = {"revoked entry",
    "revoked: each item must be a mapping (fingerprint, key, owner or ca, "
    "and reason)",
    revoke_fields, NELEM(revoke_fields), NULL, revoke_done};

static const struct mapping authority_map = {"authorities entry",
    "authorities: each item must be a mapping (id, owner, key, accounts, "
    "...)",
    authority_fields, NELEM(authority_fields), authority_label, authority_done};

_Static_assert(NELEM(top_fields) <= FIELDS_MAX &&
        NELEM(entry_fields) <= FIELDS_MAX &&
        NELEM(revoke_fields) <= FIELDS_MAX &&
        NELEM(authority_fields) <= FIELDS_MAX,
    "a mapping has more fields than FIELDS_MAX");

/* ------------------------------------------------------------ document */

/* One item of keys: into p->entries. */
static int
add_entry(
    struct loader *L, const struct field *f, const struct node *item, void *obj)
{
	struct kp_policy *p = obj;
	struct kp_entry e, *tmp;
	const struct node *k;
	int r;

	memset(&e, 0, sizeof(e));
	e.not_before = KP_TIME_NONE_BEFORE;
	e.expires = KP_TIME_NONE_AFTER;
	e.line = item->line;
	e.column = item->col;
	e.file = L->file;
	e.borrowed = 1; /* everything in p->arena */
	/* For id_rule, usually the first field. */
	for (k = item->type == N_MAP ? item->kid : NULL; k != NULL;
	     k = k->next->next) {
		if (strcmp(k->s, "id") == 0 && k->next->type == N_SCALAR) {
			kp_idxtab_prefetch(&L->ids, k->next->s);
			break;
		}
	}
	L->keep = p->arena;
	r = parse_mapping(L, &entry_map, item, &e);
	L->keep = NULL;
	if (r != 0)
		goto fail;
	tmp =
	    grow(L, p->entries, p->nentries, &L->entries_cap, sizeof(*tmp), 64);
	if (tmp == NULL) {
		r = KP_ERR_NOMEM;
		goto fail;
	}
	p->entries = tmp;
	/* Strings in the tables are owned by the entry, which p now owns. */
	p->entries[p->nentries] = e;
	p->nentries++;
	kp_progress_tick("loading", p->nentries);
	if (kp_idxtab_put(
	        &L->ids, e.id, p->nentries - 1, entry_id_of, p, NULL) < 0 ||
	    kp_idxtab_put(
	        &L->fps, e.key->fp, p->nentries - 1, entry_fp_of, p, NULL) < 0)
		return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
	return 0;
fail:
	kp_entry_clear(&e);
	return r;
}

/* One item of revoked: into p->revoked. */
static int
add_revocation(
    struct loader *L, const struct field *f, const struct node *item, void *obj)
{
	struct kp_policy *p = obj;
	struct kp_revocation rv, *tmp;
	int r;

	memset(&rv, 0, sizeof(rv));
	rv.date = KP_TIME_NONE_BEFORE;
	rv.line = item->line;
	rv.column = item->col;
	rv.file = L->file;
	if ((r = parse_mapping(L, &revoke_map, item, &rv)) != 0)
		goto fail;
	tmp =
	    grow(L, p->revoked, p->nrevoked, &L->revoked_cap, sizeof(*tmp), 16);
	if (tmp == NULL) {
		r = KP_ERR_NOMEM;
		goto fail;
	}
	p->revoked = tmp;
	p->revoked[p->nrevoked++] = rv; /* p owns it now */
	return 0;
fail:
	kp_revocation_clear(&rv);
	return r;
}

/* One item of authorities: into p->authorities. */
static int
add_authority(
    struct loader *L, const struct field *f, const struct node *item, void *obj)
{
	struct kp_policy *p = obj;
	struct kp_authority a, *tmp;
	int r;

	memset(&a, 0, sizeof(a));
	a.e.not_before = KP_TIME_NONE_BEFORE;
	a.e.expires = KP_TIME_NONE_AFTER;
	a.e.line = item->line;
	a.e.column = item->col;
	a.e.file = L->file;
	L->in_authority = 1;
	r = parse_mapping(L, &authority_map, item, &a);
	L->in_authority = 0;
	if (r != 0)
		goto fail;
	tmp = grow(L, p->authorities, p->nauthorities, &L->authorities_cap,
	    sizeof(*tmp), 16);
	if (tmp == NULL) {
		r = KP_ERR_NOMEM;
		goto fail;
	}
	p->authorities = tmp;
	p->authorities[p->nauthorities++] = a; /* p owns it now */
	if (kp_strtab_put(&L->auth_ids, a.e.id, p->nauthorities - 1, NULL) <
	        0 ||
	    kp_strtab_put(&L->ca_fps, a.e.key->fp, p->nauthorities - 1, NULL) <
	        0)
		return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
	return 0;
fail:
	kp_authority_clear(&a);
	return r;
}

/* The next event as a whole node (in the arena). */
static int
next_node(struct loader *L, struct node **out)
{
	yaml_event_t ev;
	int r;

	*out = NULL;
	if ((r = next_event(L, &ev)) != 0)
		return r;
	return read_node(L, &ev, out);
}

/* A FIELD_STREAM list, one item at a time so only one is in memory. */
static int
stream_list(struct loader *L, const struct field *f)
{
	yaml_event_t ev;
	struct node *item;
	unsigned line, col;
	size_t n = 0;
	int r;

	if ((r = next_event(L, &ev)) != 0)
		return r;
	line = (unsigned)ev.start_mark.line + 1;
	col = (unsigned)ev.start_mark.column + 1;
	if (ev.type != YAML_SEQUENCE_START_EVENT) {
		r = ferr(L, KP_ERR_INVALID, line, col,
		    "%s: expected a list of entries (each starting with '- '), "
		    "got %s",
		    f->name,
		    ev.type == YAML_SCALAR_EVENT &&
		            ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		            ev.data.scalar.length == 0
		        ? "an empty value"
		        : event_kind(&ev));
		yaml_event_delete(&ev);
		return r;
	}
	yaml_event_delete(&ev);
	for (;; n++) {
		if ((r = next_event(L, &ev)) != 0)
			return r;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if ((r = read_node(L, &ev, &item)) != 0)
			return r;
		r = f->set(L, f, item, L->p);
		kp_arena_reset(&L->arena, 1);
		if (r != 0)
			return r;
	}
	if (n == 0) {
		return ferr(L, KP_ERR_INVALID, line, col,
		    "%s: empty list; an empty list means nothing, not 'no "
		    "restriction': omit the field",
		    f->name);
	}
	return 0;
}

static int
resolve_pending(struct loader *L)
{
	struct kp_entry *e;
	size_t i;
	int r, deferred;

	for (i = 0; i < L->npending; i++) {
		e = L->pending[i].authority
		    ? &L->p->authorities[L->pending[i].entry].e
		    : &L->p->entries[L->pending[i].entry];
		L->networks_done = 1; /* an absent networks: is empty */
		in_file(L, L->pending[i].file);
		r = build_sources(L, e, &deferred);
		if (r == KP_ERR_NOMEM)
			return ferr(L, r, 0, 0, "out of memory");
		if (r != 0) {
			return unknown_network(
			    L, e, L->pending[i].line, L->pending[i].col);
		}
	}
	return 0;
}

/* Each grant's from: with its networks expanded, once all are read. */
static int
grant_sources(struct loader *L)
{
	struct kp_team_grant *g;
	size_t i;
	int r, deferred;

	L->networks_done = 1; /* an absent networks: is empty */
	for (i = 0; i < L->p->teams->ngrants; i++) {
		g = &L->p->teams->grants[i];
		in_file(L, g->e.file);
		r = build_sources(L, &g->e, &deferred);
		if (r == KP_ERR_NOMEM)
			return ferr(L, r, 0, 0, "out of memory");
		if (r != 0)
			return unknown_network(
			    L, &g->e, g->from_line, g->from_column);
	}
	return 0;
}

/*
 * Up to the first key of the top-level mapping; *line, *col where that
 * mapping starts.
 */
static int
document_start(struct loader *L, unsigned *line, unsigned *col)
{
	yaml_event_t ev;
	int r;

	if ((r = next_event(L, &ev)) != 0)
		return r;
	yaml_event_delete(&ev); /* STREAM-START */
	if ((r = next_event(L, &ev)) != 0)
		return r;
	if (ev.type == YAML_STREAM_END_EVENT) {
		*line = (unsigned)ev.start_mark.line + 1;
		*col = (unsigned)ev.start_mark.column + 1;
		yaml_event_delete(&ev);
		return ferr(L, KP_ERR_INVALID, *line, *col,
		    "empty policy: expected a mapping with at least version "
		    "and serial");
	}
	yaml_event_delete(&ev); /* DOCUMENT-START */
	if ((r = next_event(L, &ev)) != 0)
		return r;
	*line = (unsigned)ev.start_mark.line + 1;
	*col = (unsigned)ev.start_mark.column + 1;
	if (ev.type != YAML_MAPPING_START_EVENT) {
		r = ferr(L, KP_ERR_INVALID, *line, *col, "%s, got %s",
		    top_map.shape, event_kind(&ev));
		yaml_event_delete(&ev);
		return r;
	}
	yaml_event_delete(&ev);
	return 0;
}

/*
 * A FIELD_STREAM_MAP mapping, one key and its value at a time (people:
 * may hold a hundred thousand people); f->set gets the key node, its
 * value linked as k->next, and finds duplicates itself.
 */
static int
stream_map(struct loader *L, const struct field *f)
{
	yaml_event_t ev;
	struct node *k, *v;
	unsigned line, col;
	size_t n = 0;
	int r;

	if ((r = next_event(L, &ev)) != 0)
		return r;
	line = (unsigned)ev.start_mark.line + 1;
	col = (unsigned)ev.start_mark.column + 1;
	if (ev.type != YAML_MAPPING_START_EVENT) {
		r = ferr(L, KP_ERR_INVALID, line, col,
		    "%s: expected a mapping of names to their values, got %s",
		    f->name,
		    ev.type == YAML_SCALAR_EVENT &&
		            ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		            ev.data.scalar.length == 0
		        ? "an empty value"
		        : event_kind(&ev));
		yaml_event_delete(&ev);
		return r;
	}
	yaml_event_delete(&ev);
	for (;; n++) {
		if ((r = next_event(L, &ev)) != 0)
			return r;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type != YAML_SCALAR_EVENT) {
			r = ferr(L, KP_ERR_INVALID,
			    (unsigned)ev.start_mark.line + 1,
			    (unsigned)ev.start_mark.column + 1,
			    "mapping keys must be plain words, not %s",
			    event_kind(&ev));
			yaml_event_delete(&ev);
			return r;
		}
		if ((r = read_node(L, &ev, &k)) != 0 ||
		    (r = next_node(L, &v)) != 0)
			return r;
		k->next = v;
		r = f->set(L, f, k, L->p);
		kp_arena_reset(&L->arena, 1);
		if (r != 0)
			return r;
	}
	if (n == 0) {
		return ferr(L, KP_ERR_INVALID, line, col,
		    "%s: empty mapping; omit the field instead", f->name);
	}
	return 0;
}

/* One field of the top level, after its key: a streamed list or a value. */
static int
top_field(struct loader *L, const struct field *f)
{
	struct node *v;
	int r;

	if ((f->flags & FIELD_STREAM) != 0)
		return stream_list(L, f);
	if ((f->flags & FIELD_STREAM_MAP) != 0)
		return stream_map(L, f);
	if ((r = next_node(L, &v)) != 0)
		return r;
	return f->set(L, f, v, L->p);
}

/*
 * The one version rule: a field of the version 2 format (FIELD_V2) needs
 * version: 2, so a reader of version 1 files never meets one it would
 * not understand. at[i] is where field i was written, NULL when absent.
 */
static int
version_rule(struct loader *L, const struct node *const *at)
{
	size_t i;

	for (i = 0; i < NELEM(top_fields); i++) {
		if ((top_fields[i].flags & FIELD_V2) == 0 || at[i] == NULL ||
		    L->p->version >= 2)
			continue;
		return ferr(L, KP_ERR_INVALID, at[i]->line, at[i]->col,
		    "%s: needs 'version: 2' (this policy says version %u)",
		    top_fields[i].name, L->p->version);
	}
	return 0;
}

/* DOCUMENT-END, then the end of the stream: exactly one document. */
static int
document_end(struct loader *L)
{
	yaml_event_t ev;
	unsigned line, col;
	int r, type;

	if ((r = next_event(L, &ev)) != 0)
		return r;
	yaml_event_delete(&ev); /* DOCUMENT-END */
	if ((r = next_event(L, &ev)) != 0)
		return r;
	line = (unsigned)ev.start_mark.line + 1;
	col = (unsigned)ev.start_mark.column + 1;
	type = ev.type;
	yaml_event_delete(&ev);
	if (type != YAML_STREAM_END_EVENT) {
		return ferr(L, KP_ERR_INVALID, line, col,
		    "more than one YAML document: a policy is exactly one");
	}
	return 0;
}

/*
 * A top-level field written again: in the same file always an error; in
 * another file of a directory policy an error for a value (serial,
 * expires, ...), a merge for the sections and version (FIELD_MERGE).
 */
static int
top_again(struct loader *L, int i, const struct node *k)
{
	if (L->top_file[i] == L->file)
		return dup_key_error(L, k, L->top_key[i]->line);
	if ((top_fields[i].flags & FIELD_MERGE) != 0)
		return 0;
	return nerr(L, k,
	    "'%s' is set in two files (first at %s); set it in one of them",
	    k->s, WHERE(L, L->top_file[i], L->top_key[i]->line));
}

/*
 * The top level of one file by top_map, streamed rather than read as one
 * node (it may hold a million keys entries); the arena is reset after
 * each field, so what parse_mapping's key[] would hold is kept in the
 * loader as bare positions, across the files of a directory policy.
 */
static int
parse_document(struct loader *L)
{
	struct node *k;
	yaml_event_t ev;
	unsigned top_line, top_col;
	int i, r;

	if ((r = document_start(L, &top_line, &top_col)) != 0)
		return r;
	if (L->file == 0) {
		L->top_line = top_line;
		L->top_col = top_col;
	}
	for (;;) {
		if ((r = next_event(L, &ev)) != 0)
			return r;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type != YAML_SCALAR_EVENT) {
			r = ferr(L, KP_ERR_INVALID,
			    (unsigned)ev.start_mark.line + 1,
			    (unsigned)ev.start_mark.column + 1,
			    "mapping keys must be plain words, not %s",
			    event_kind(&ev));
			yaml_event_delete(&ev);
			return r;
		}
		if ((r = read_node(L, &ev, &k)) != 0)
			return r;
		if ((i = field_index(L, k, &top_map)) < 0)
			return KP_ERR_INVALID;
		if (L->top_key[i] != NULL) {
			if ((r = top_again(L, i, k)) != 0)
				return r;
		} else {
			memset(&L->top_at[i], 0, sizeof(L->top_at[i]));
			L->top_at[i].line = k->line;
			L->top_at[i].col = k->col;
			L->top_key[i] = &L->top_at[i];
			L->top_file[i] = L->file;
		}
		if ((r = top_field(L, &top_fields[i])) != 0)
			return r;
		kp_arena_reset(&L->arena, 1);
	}
	return document_end(L);
}

/*
 * Once every file is read: the required fields, the version rule, the
 * from: names left for the end, people, groups and grants.
 */
static int
finish_document(struct loader *L)
{
	int r;

	in_file(L, 0);
	if ((r = fields_present(
	         L, &top_map, L->top_key, L->p, L->top_line, L->top_col)) != 0)
		return r;
	for (r = 0; r < (int)NELEM(top_fields); r++) {
		if ((top_fields[r].flags & FIELD_V2) != 0 &&
		    L->top_key[r] != NULL && L->p->version < 2) {
			in_file(L, L->top_file[r]);
			break;
		}
	}
	if ((r = version_rule(L, L->top_key)) != 0 ||
	    (r = resolve_pending(L)) != 0)
		return r;
	if (L->p->teams != NULL &&
	    ((r = grant_sources(L)) != 0 ||
	        (r = kp_teams_resolve(L->p, L->diag)) != 0))
		return r;
	return 0;
}

/*
 * After libyaml is done with a streamed file, successfully or not: the
 * rest of the file is read and checked, so that what the whole-file path
 * refuses before parsing (a read error, a file grown past the limit, a
 * NUL byte) is the error here too, in place of whatever the parse said.
 */
static int
stream_end(struct loader *L, int r)
{
	unsigned char chunk[65536];
	struct kp_diag *d = L->diag;
	unsigned line, col;
	size_t n;

	while (read_chunk(L, chunk, sizeof(chunk), &n) && n > 0)
		;
	if (L->stream_r == 0)
		return r;
	d->msg[0] = '\0';
	switch (L->stream_r) {
	case KP_ERR_IO:
		return ferr(L, KP_ERR_IO, 0, 0, "read error: %s",
		    strerror(L->stream_errno));
	case KP_ERR_TOOBIG:
		return ferr(L, KP_ERR_TOOBIG, 0, 0,
		    "policy too large (at most %lu bytes)",
		    (unsigned long)KP_POLICY_MAX_BYTES);
	default:
		/* Placed in the bytes before it (best effort, as above). */
		free(L->src);
		L->src = NULL;
		L->buf = NULL;
		L->len = 0;
		want_source(L, L->nul_off);
		offset_pos(L->buf, L->len, L->nul_off, &line, &col);
		return ferr(L, KP_ERR_INVALID, line, col,
		    "NUL byte in the policy (it must be UTF-8 text)");
	}
}

/* One YAML document (a file, or one file of a directory policy). */
static int
parse_file(struct loader *L, const char *buf, size_t len)
{
	const char *nul;
	unsigned line, col;
	int r;

	/* libyaml would silently stop at a NUL; refuse it up front. */
	if (len > 0 && (nul = memchr(buf, '\0', len)) != NULL) {
		offset_pos(buf, len, (size_t)(nul - buf), &line, &col);
		return ferr(L, KP_ERR_INVALID, line, col,
		    "NUL byte in the policy (it must be UTF-8 text)");
	}
	L->buf = buf;
	L->len = len;
	L->off = L->fed = 0;
	L->overlong = 0;
	L->depth = 0;
	if (!yaml_parser_initialize(&L->parser))
		return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
	L->parser_ok = 1;
	yaml_parser_set_encoding(&L->parser, YAML_UTF8_ENCODING);
	yaml_parser_set_input(&L->parser, L->fd >= 0 ? feed_fd : feed, L);
	r = parse_document(L);
	yaml_parser_delete(&L->parser);
	L->parser_ok = 0;
	return L->fd >= 0 ? stream_end(L, r) : r;
}

/* The files of a directory policy's canonical form, merged in order. */
static int
parse_dir_form(struct loader *L, const char *name, const char *buf, size_t len)
{
	struct kp_policy_part *parts = NULL;
	size_t i, n = 0, sz;
	int r;

	if ((r = kp_policy_dir_split(buf, len, &parts, &n, L->diag)) != 0)
		return r;
	if ((L->p->files = calloc(n, sizeof(*L->p->files))) == NULL) {
		r = ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (name == NULL)
			name = ".";
		sz = strlen(name) + strlen(parts[i].name) + 2;
		if ((L->p->files[i] = malloc(sz)) == NULL) {
			r = ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
			goto out;
		}
		snprintf(L->p->files[i], sz, "%s/%s", name, parts[i].name);
		L->p->nfiles++;
	}
	for (i = 0; i < n; i++) {
		in_file(L, (unsigned)i);
		if ((r = parse_file(L, parts[i].buf, parts[i].len)) != 0)
			goto out;
	}
	r = 0;
out:
	kp_policy_parts_free(parts, n);
	return r;
}

static void
diag_init(struct kp_diag *d, const char *name)
{
	memset(d, 0, sizeof(*d));
	if (name != NULL)
		snprintf(d->file, sizeof(d->file), "%s", name);
}

/* The policy in buf, or streamed from fd when fd >= 0 (buf NULL). */
static int
load(const char *name, const char *buf, size_t len, int fd,
    struct kp_policy **out, struct kp_diag *diag)
{
	struct kp_diag dummy;
	struct loader L;
	int r;

	if (diag == NULL)
		diag = &dummy;
	diag_init(diag, name);
	if (out != NULL)
		*out = NULL;
	memset(&L, 0, sizeof(L));
	L.diag = diag;
	L.fd = fd;
	sha256_init(&L.sha);
	kp_idxtab_init(&L.ids);
	kp_idxtab_init(&L.fps);
	kp_strtab_init(&L.nets);
	kp_strtab_init(&L.auth_ids);
	kp_strtab_init(&L.ca_fps);
	kp_strtab_init(&L.interned);
	kp_arena_init(&L.arena, 0);
	if (out == NULL || (buf == NULL && len != 0)) {
		r = ferr(&L, KP_ERR_ARG, 0, 0, "bad arguments");
		goto out;
	}
	if (len > KP_POLICY_MAX_BYTES) {
		r = ferr(&L, KP_ERR_TOOBIG, 0, 0,
		    "policy too large (%zu bytes, at most %lu)", len,
		    (unsigned long)KP_POLICY_MAX_BYTES);
		goto out;
	}
	L.name = name;
	L.buf = buf;
	L.len = len;
	if ((L.p = calloc(1, sizeof(*L.p))) == NULL) {
		r = ferr(&L, KP_ERR_NOMEM, 0, 0, "out of memory");
		goto out;
	}
	if ((L.p->arena = calloc(1, sizeof(*L.p->arena))) == NULL) {
		r = ferr(&L, KP_ERR_NOMEM, 0, 0, "out of memory");
		goto out;
	}
	kp_arena_init(L.p->arena, 0);
	kp_arena_grow(L.p->arena, KP_ARENA_CHUNK_MAX);
	L.p->expires = KP_TIME_NONE_AFTER;
	L.p->issued = KP_TIME_NONE_BEFORE;
	if (name != NULL && (L.p->path = strdup(name)) == NULL) {
		r = ferr(&L, KP_ERR_NOMEM, 0, 0, "out of memory");
		goto out;
	}
	if (fd < 0 && kp_policy_dir_form(buf, len))
		r = parse_dir_form(&L, name, buf, len);
	else
		r = parse_file(&L, buf, len);
	if (r != 0 || (r = finish_document(&L)) != 0)
		goto out;
	kp_progress_end("loading", L.p->nentries);
	if (fd >= 0)
		kp_policy_sha256_hex(&L.sha, L.p->sha256);
	else
		kp_policy_sha256(buf, len, L.p->sha256);
	if ((r = kp_policy_index_revocations(L.p)) != 0) {
		r = ferr(&L, r, 0, 0, "out of memory");
		goto out;
	}
	*out = L.p; /* ownership to the caller */
	L.p = NULL;
	r = 0;
out:
	if (r != 0 && diag->msg[0] == '\0')
		ferr(&L, r, 0, 0, "%s", kp_strerror(r));
	if (L.parser_ok)
		yaml_parser_delete(&L.parser);
	kp_arena_reset(&L.arena, 0);
	kp_idxtab_free(&L.ids);
	kp_idxtab_free(&L.fps);
	kp_strtab_free(&L.nets);
	kp_strtab_free(&L.auth_ids);
	kp_strtab_free(&L.ca_fps);
	kp_strtab_free(&L.interned);
	free(L.pending);
	free(L.src);
	kp_policy_free(L.p);
	return r;
}

int
kp_policy_load_buf(const char *name, const char *buf, size_t len,
    struct kp_policy **out, struct kp_diag *diag)
{
	return load(name, buf, len, -1, out, diag);
}

/* A file or directory read whole (a directory's canonical form). */
static int
load_whole(const char *path, unsigned flags, struct kp_policy **out,
    struct kp_diag *diag)
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	if ((r = kp_policy_signed_bytes(path, flags, &buf, &len, diag)) == 0)
		r = kp_policy_load_buf(path, buf, len, out, diag);
	free(buf);
	return r;
}

int
kp_policy_load(const char *path, unsigned flags, struct kp_policy **out,
    struct kp_diag *diag)
{
	struct kp_diag dummy;
	char magic[sizeof(KP_POLICY_DIR_MAGIC) - 1];
	const char *why = NULL;
	int fd = -1, r;

	if (diag == NULL)
		diag = &dummy;
	diag_init(diag, path);
	if (out != NULL)
		*out = NULL;
	if (path == NULL || out == NULL) {
		snprintf(diag->msg, sizeof(diag->msg), "bad arguments");
		return KP_ERR_ARG;
	}
	if (kp_policy_path_is_dir(path))
		return load_whole(path, flags, out, diag);
	/*
	 * Installed paths get the safe opener; a file a person checks (a
	 * policy in a git checkout) only has to be a regular file.
	 */
	if ((flags & KP_LOAD_SAFE) != 0)
		r = kp_file_open_safe(
		    path, KP_POLICY_MAX_BYTES, (uid_t)-1, &fd, NULL, &why);
	else
		r = kp_file_open(path, KP_POLICY_MAX_BYTES, 0, &fd, NULL, &why);
	if (r != 0) {
		/* The opener's refusals, worded as the whole-file path words them. */
		return load_whole(path, flags, out, diag);
	}
	/* A directory's canonical form, saved as a file, is split in memory. */
	if (pread(fd, magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) &&
	    memcmp(magic, KP_POLICY_DIR_MAGIC, sizeof(magic)) == 0) {
		close(fd);
		return load_whole(path, flags, out, diag);
	}
	r = load(path, NULL, 0, fd, out, diag);
	close(fd);
	return r;
}
