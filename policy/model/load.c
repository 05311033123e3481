#include "config.h"

/*
 * The policy loader: YAML (libyaml's event parser) to struct kp_policy,
 * with every rule of SPEC section 2 checked on the way.
 *
 * Why events and not libyaml's document loader: released libyaml has no
 * limits, and its loader would build (and expand aliases into) a whole
 * document before we could look at it. Here every event is checked as it
 * arrives (aliases, anchors, tags, depth, node count), and only one list
 * item of `keys:` or `revoked:` is held as a tree at a time, in an arena
 * that is reused for the next item.
 *
 * Decisions (SPEC leaves them open):
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <yaml.h>

#include "keyauth-policy.h"
#include "kp-internal.h"
#include "kp-policy.h"

/* Input libyaml may read while producing one event (see above). */
#define LOAD_FEED_MAX (1024UL * 1024)
/* A list or mapping this long switches duplicate checks to a hash table. */
#define SMALL_COLLECTION 16

/* ---------------------------------------------------------------- arena */

/*
 * Nodes and scalar text of one list item live here; reset between items so
 * a million-entry policy costs no per-scalar malloc.
 */
struct chunk {
	struct chunk *next;
	size_t used, size;
	/* data follows, max_align_t aligned */
};

#define CHUNK_HDR ((sizeof(struct chunk) + 15) & ~(size_t)15)
#define CHUNK_SIZE (64 * 1024)

struct arena {
	struct chunk *head;
};

static void *
arena_alloc(struct arena *a, size_t n)
{
	struct chunk *c;
	size_t size;

	n = (n + 15) & ~(size_t)15;
	if (a->head != NULL && a->head->size - a->head->used >= n) {
		c = a->head;
	} else {
		size = n > CHUNK_SIZE - CHUNK_HDR ? n + CHUNK_HDR : CHUNK_SIZE;
		if ((c = malloc(size)) == NULL)
			return NULL;
		c->size = size - CHUNK_HDR;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	c->used += n;
	return (char *)c + CHUNK_HDR + c->used - n;
}

/* Drop everything but one standard chunk, which is kept for reuse. */
static void
arena_reset(struct arena *a, int keep)
{
	struct chunk *c, *next, *kept = NULL;

	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		if (keep && kept == NULL && c->size == CHUNK_SIZE - CHUNK_HDR) {
			kept = c;
			kept->used = 0;
			kept->next = NULL;
			continue;
		}
		free(c);
	}
	a->head = kept;
}

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
	size_t entry; /* index in p->entries */
	unsigned line, col; /* first from: name not resolved yet */
};

struct loader {
	const char *name;
	const char *buf;
	size_t len;
	size_t off; /* handed to libyaml so far */
	size_t fed; /* handed to libyaml since the last event */
	int overlong;

	yaml_parser_t parser;
	int parser_ok;
	unsigned depth;
	unsigned long nodes;
	unsigned last_line, last_col; /* end of the last event */

	struct kp_diag *diag;
	struct arena arena;
	struct kp_policy *p;
	size_t entries_cap, revoked_cap;
	struct kp_strtab ids; /* id -> entry index */
	struct kp_strtab fps; /* fingerprint -> first entry index */
	struct kp_strtab nets; /* network name -> index */
	int networks_done; /* networks: seen and validated */
	struct pending *pending;
	size_t npending, pending_cap;
};

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

/*
 * Build the node that starts with ev (consumed) and everything under it.
 * Recursion is bounded by KP_POLICY_MAX_DEPTH (next_event enforces it).
 */
static int
read_node(struct loader *L, yaml_event_t *ev, struct node **out)
{
	struct node *n, *k, *v, *c;
	struct kp_strtab keys;
	yaml_event_t sub;
	size_t first;
	int r;

	*out = NULL;
	kp_strtab_init(&keys);
	if ((n = arena_alloc(&L->arena, sizeof(*n))) == NULL) {
		r = ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
		goto out;
	}
	memset(n, 0, sizeof(*n));
	n->line = (unsigned)ev->start_mark.line + 1;
	n->col = (unsigned)ev->start_mark.column + 1;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n->type = N_SCALAR;
		n->len = ev->data.scalar.length;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		n->quoted =
		    ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
		    ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
		if (n->len > KP_KEYLINE_MAX) {
			r = ferr(L, KP_ERR_TOOBIG, n->line, n->col,
			    "value too long (%zu bytes; no value may exceed "
			    "%d)",
			    n->len, KP_KEYLINE_MAX);
			goto out;
		}
		if (memchr(ev->data.scalar.value, '\0', n->len) != NULL) {
			/* Only reachable through a "\0" escape. */
			r = nerr(L, n, "value contains a NUL character");
			goto out;
		}
		if ((n->s = arena_alloc(&L->arena, n->len + 1)) == NULL) {
			r = ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
			goto out;
		}
		memcpy(n->s, ev->data.scalar.value, n->len);
		n->s[n->len] = '\0';
		*out = n;
		r = 0;
		goto out;
	case YAML_SEQUENCE_START_EVENT:
		n->type = N_SEQ;
		break;
	case YAML_MAPPING_START_EVENT:
		n->type = N_MAP;
		break;
	default:
		r = ferr(L, KP_ERR_INTERNAL, n->line, n->col,
		    "unexpected YAML event %d", (int)ev->type);
		goto out;
	}
	yaml_event_delete(ev);

	for (;;) {
		if ((r = next_event(L, &sub)) != 0)
			goto out;
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
			goto out;
		}
		if ((r = read_node(L, &sub, &k)) != 0)
			goto out;
		if (n->type == N_SEQ) {
			if (n->last == NULL)
				n->kid = k;
			else
				n->last->next = k;
			n->last = k;
			n->n++;
			continue;
		}
		/* Duplicate keys, at every level. */
		if (n->n / 2 < SMALL_COLLECTION) {
			for (c = n->kid; c != NULL; c = c->next->next) {
				if (strcmp(c->s, k->s) == 0) {
					r = dup_key_error(L, k, c->line);
					goto out;
				}
			}
		} else {
			if (keys.n == 0) {
				for (c = n->kid; c != NULL; c = c->next->next) {
					if (kp_strtab_put(
					        &keys, c->s, c->line, NULL) < 0)
						goto nomem;
				}
			}
			if ((r = kp_strtab_put(&keys, k->s, k->line, &first)) <
			    0)
				goto nomem;
			if (r == 1) {
				r = dup_key_error(L, k, (unsigned)first);
				goto out;
			}
		}
		if ((r = next_event(L, &sub)) != 0)
			goto out;
		if ((r = read_node(L, &sub, &v)) != 0)
			goto out;
		k->next = v;
		if (n->last == NULL)
			n->kid = k;
		else
			n->last->next = k;
		n->last = v;
		n->n += 2;
	}
	*out = n;
	r = 0;
	goto out;
nomem:
	r = ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
out:
	/* Deleting a deleted (zeroed) event is a no-op. */
	yaml_event_delete(ev);
	kp_strtab_free(&keys);
	return r;
}

/* ------------------------------------------------------------- scalars */

static int
is_null_plain(const char *s)
{
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
	return 0;
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
				if (strcmp(c->s, d->s) == 0) {
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

/* Copy a list of scalars into a malloc'd string vector. */
static int
dup_strv(struct loader *L, const struct node *n, char ***out, size_t *nout)
{
	const struct node *c;
	char **v;
	size_t i = 0;

	*out = NULL;
	*nout = 0;
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
dup_str(struct loader *L, const struct node *n, char **out)
{
	if ((*out = strdup(n->s)) == NULL)
		return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
	return 0;
}

/* ------------------------------------------------------- field names */

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

/* Index of name in fields (NULL-terminated), or -1 with an error set. */
static int
field_index(struct loader *L, const struct node *k, const char *const *fields,
    const char *where)
{
	size_t i, d, best = SIZE_MAX, bi = 0, lim;

	for (i = 0; fields[i] != NULL; i++) {
		if (strcmp(fields[i], k->s) == 0)
			return (int)i;
	}
	lim = strlen(k->s) <= 3 ? 1 : 2;
	for (i = 0; fields[i] != NULL; i++) {
		if ((d = edit_distance(k->s, fields[i])) < best) {
			best = d;
			bi = i;
		}
	}
	if (best <= lim) {
		nerr(L, k, "unknown field '%s' in %s; did you mean '%s'?", k->s,
		    where, fields[bi]);
	} else {
		char list[256] = "";

		for (i = 0; fields[i] != NULL; i++) {
			if (i > 0)
				strncat(list, ", ",
				    sizeof(list) - strlen(list) - 1);
			strncat(
			    list, fields[i], sizeof(list) - strlen(list) - 1);
		}
		nerr(L, k, "unknown field '%s' in %s (expected one of: %s)",
		    k->s, where, list);
	}
	return -1;
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

static int
parse_networks(struct loader *L, const struct node *map)
{
	struct kp_policy *p = L->p;
	struct kp_network *net;
	const struct node *k, *v, *c;
	const char *why;
	char what[KP_ID_MAX + 16];
	size_t i;
	int r;

	if (map->type != N_MAP) {
		return nerr(L, map,
		    "networks: expected a mapping of names to address lists, "
		    "got %s",
		    node_kind(map));
	}
	if (map->n == 0) {
		return nerr(
		    L, map, "networks: empty mapping; omit the field instead");
	}
	if ((p->networks = calloc(map->n / 2, sizeof(*p->networks))) == NULL)
		return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
	for (k = map->kid; k != NULL; k = v->next) {
		v = k->next;
		if (!network_name_valid(k->s)) {
			return nerr(L, k,
			    "network name '%s': expected a letter, then "
			    "letters, digits, '_' or '-' (at most %d)",
			    k->s, KP_ID_MAX);
		}
		snprintf(what, sizeof(what), "network '%s'", k->s);
		if ((r = want_string_list(L, v, what)) != 0)
			return r;
		net = &p->networks[p->nnetworks];
		net->line = k->line;
		net->column = k->col;
		if ((net->name = strdup(k->s)) == NULL)
			return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
		p->nnetworks++; /* from here p owns it */
		net->addrs = calloc(v->n, sizeof(*net->addrs));
		if (net->addrs == NULL)
			return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
		for (c = v->kid, i = 0; c != NULL; c = c->next, i++) {
			why = NULL;
			if (kp_cidr_parse(c->s, &net->addrs[i], &why) == 0)
				continue;
			if (address_refusal(c->s, why) == NULL) {
				return nerr(L, c,
				    "network '%s': '%s' is not an address "
				    "or CIDR (a network may not refer to "
				    "another network)",
				    k->s, c->s);
			}
			return nerr(L, c, "network '%s': '%s': %s", k->s, c->s,
			    address_refusal(c->s, why));
		}
		net->naddrs = v->n;
		r = kp_strtab_put(&L->nets, net->name, p->nnetworks - 1, NULL);
		if (r < 0)
			return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
		/* r == 1 cannot happen: read_node refused duplicate keys. */
	}
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
	if ((src = calloc(n, sizeof(*src))) == NULL)
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
	e->sources = src; /* ownership to the entry */
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

/* ------------------------------------------------------------ entries */

enum {
	F_ID,
	F_OWNER,
	F_KEY,
	F_ACCOUNTS,
	F_HOSTS,
	F_FROM,
	F_NOT_BEFORE,
	F_EXPIRES,
	F_OPTIONS,
	F_COMMAND,
	F_COMMENT,
	F_NFIELDS
};

static const char *const entry_fields[] = {"id", "owner", "key", "accounts",
    "hosts", "from", "not_before", "expires", "options", "command", "comment",
    NULL};

/*
 * 1 if the first off bytes of scalar n appear verbatim in the source on
 * its first line, so that column + off points at the same character (not
 * so after escapes, folding or block scalars). Error path only.
 */
static int
source_matches(const struct loader *L, const struct node *n, size_t off)
{
	size_t i = 0, line = 1, col = 1;

	if (!n->plain && !n->quoted)
		return 0;
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
	if (kp_pubkey_parse_line(n->s, out, &why, &off) != 0) {
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
parse_entry(struct loader *L, const struct node *map, struct kp_entry *e)
{
	const struct node *k, *v, *f[F_NFIELDS] = {NULL}, *c;
	const char *why;
	int i, r, deferred;
	size_t first;

	memset(e, 0, sizeof(*e));
	e->not_before = KP_TIME_NONE_BEFORE;
	e->expires = KP_TIME_NONE_AFTER;
	if (map->type != N_MAP) {
		return nerr(L, map,
		    "keys: each item must be a mapping (id, owner, key, "
		    "accounts, ...), got %s",
		    node_kind(map));
	}
	e->line = map->line;
	e->column = map->col;

	for (k = map->kid; k != NULL; k = v->next) {
		v = k->next;
		if ((i = field_index(L, k, entry_fields, "keys entry")) < 0)
			return KP_ERR_INVALID;
		f[i] = v;
		switch (i) {
		case F_ID:
			if ((r = want_string(L, v, "id")) != 0)
				return r;
			if (!kp_id_valid(v->s)) {
				return nerr(L, v,
				    "id '%s': expected 1 to %d of A-Z a-z 0-9 "
				    ". _ @ + -",
				    v->s, KP_ID_MAX);
			}
			if ((r = kp_strtab_get(&L->ids, v->s, &first)) != 0) {
				return nerr(L, v,
				    "duplicate id '%s' (first at line %u)",
				    v->s, L->p->entries[first].line);
			}
			if ((r = dup_str(L, v, &e->id)) != 0)
				return r;
			break;
		case F_OWNER:
			if ((r = want_clean(L, v, "owner", KP_VALUE_MAX)) != 0)
				return r;
			if (v->s[0] == '\0')
				return nerr(L, v, "owner: must not be empty");
			if ((r = dup_str(L, v, &e->owner)) != 0)
				return r;
			break;
		case F_KEY:
			if ((r = parse_key(L, v, &e->key)) != 0)
				return r;
			break;
		case F_ACCOUNTS:
			if ((r = want_string_list(L, v, "accounts")) != 0)
				return r;
			for (c = v->kid; c != NULL; c = c->next) {
				if (!kp_account_valid(c->s)) {
					return nerr(L, c,
					    "accounts: '%s' is not a valid "
					    "account name ([a-z_][a-z0-9_.-]*, "
					    "optional trailing $, at most %d; "
					    "no wildcards)",
					    c->s, KP_ACCOUNT_MAX);
				}
			}
			if ((r = dup_strv(L, v, &e->accounts, &e->naccounts)) !=
			    0)
				return r;
			break;
		case F_HOSTS:
			if ((r = want_string_list(L, v, "hosts")) != 0)
				return r;
			for (c = v->kid; c != NULL; c = c->next) {
				why = NULL;
				if (!kp_host_pattern_valid(c->s, &why)) {
					return nerr(L, c, "hosts: '%s': %s",
					    c->s,
					    why != NULL ? why
					                : "not a host name "
					                  "pattern");
				}
			}
			if ((r = dup_strv(L, v, &e->hosts, &e->nhosts)) != 0)
				return r;
			break;
		case F_FROM:
			if ((r = want_string_list(L, v, "from")) != 0)
				return r;
			for (c = v->kid; c != NULL; c = c->next) {
				struct kp_cidr tmp;
				const char *refusal;

				why = NULL;
				if (kp_cidr_parse(c->s, &tmp, &why) == 0)
					continue;
				if ((refusal = address_refusal(c->s, why)) !=
				    NULL)
					return nerr(L, c, "from: '%s': %s",
					    c->s, refusal);
				if (L->networks_done &&
				    !kp_strtab_get(&L->nets, c->s, NULL)) {
					return nerr(L, c,
					    "from: unknown network '%s' "
					    "(define it under networks:, or "
					    "write an address or CIDR)",
					    c->s);
				}
			}
			if ((r = dup_strv(L, v, &e->from, &e->nfrom)) != 0)
				return r;
			break;
		case F_NOT_BEFORE:
			if ((r = want_time(
			         L, v, "not_before", &e->not_before)) != 0)
				return r;
			break;
		case F_EXPIRES:
			if ((r = want_time(L, v, "expires", &e->expires)) != 0)
				return r;
			break;
		case F_OPTIONS:
			if ((r = want_string_list(L, v, "options")) != 0)
				return r;
			for (c = v->kid; c != NULL; c = c->next) {
				why = NULL;
				if (!kp_value_clean(c->s, KP_VALUE_MAX, &why))
					return nerr(L, c, "options: %s",
					    why != NULL ? why : "unclean");
				if (!kp_option_allowed(c->s, &why)) {
					return nerr(L, c, "options: '%s': %s",
					    c->s,
					    why != NULL ? why
					                : "not an allowed "
					                  "option");
				}
			}
			if ((r = dup_strv(L, v, &e->options, &e->noptions)) !=
			    0)
				return r;
			break;
		case F_COMMAND:
			if ((r = want_clean(L, v, "command", KP_VALUE_MAX)) !=
			    0)
				return r;
			if (v->s[0] == '\0')
				return nerr(L, v,
				    "command: must not be empty; "
				    "omit the field");
			if (strchr(v->s, '"') != NULL) {
				return nerr(L, v,
				    "command: must not contain '\"' (it "
				    "would end the command=\"...\" option)");
			}
			if ((r = dup_str(L, v, &e->command)) != 0)
				return r;
			break;
		case F_COMMENT:
			if ((r = want_clean(L, v, "comment", KP_VALUE_MAX)) !=
			    0)
				return r;
			if ((r = dup_str(L, v, &e->comment)) != 0)
				return r;
			break;
		}
	}

	for (i = 0; i <= F_ACCOUNTS; i++) {
		if (f[i] == NULL) {
			return nerr(L, map,
			    "keys entry%s%s%s is missing the required field "
			    "'%s'",
			    e->id != NULL ? " '" : "",
			    e->id != NULL ? e->id : "",
			    e->id != NULL ? "'" : "", entry_fields[i]);
		}
	}
	if (e->not_before != KP_TIME_NONE_BEFORE &&
	    e->expires != KP_TIME_NONE_AFTER &&
	    !kp_time_window_valid(e->not_before, e->expires)) {
		return nerr(L, f[F_EXPIRES],
		    "expires (%s) must be later than not_before (%s, line %u)",
		    f[F_EXPIRES]->s, f[F_NOT_BEFORE]->s, f[F_NOT_BEFORE]->line);
	}

	/* All entries of one key name the same owner. */
	if (kp_strtab_get(&L->fps, e->key->fp, &first)) {
		const struct kp_entry *o = &L->p->entries[first];

		if (strcmp(o->owner, e->owner) != 0) {
			return nerr(L, f[F_OWNER],
			    "owner '%s' differs from owner '%s' of the same "
			    "key in entry '%s' (line %u); all entries of one "
			    "key must name the same owner",
			    e->owner, o->owner, o->id, o->line);
		}
	}

	if (e->nfrom > 0) {
		r = build_sources(L, e, &deferred);
		if (r == KP_ERR_NOMEM)
			return ferr(L, r, 0, 0, "out of memory");
		if (r != 0)
			return unknown_network(
			    L, e, f[F_FROM]->line, f[F_FROM]->col);
		if (deferred) {
			struct pending *pd;

			if (L->npending == L->pending_cap) {
				size_t ncap = L->pending_cap == 0
				    ? 16
				    : L->pending_cap * 2;

				pd =
				    reallocarray(L->pending, ncap, sizeof(*pd));
				if (pd == NULL)
					return ferr(L, KP_ERR_NOMEM, 0, 0,
					    "out of memory");
				L->pending = pd;
				L->pending_cap = ncap;
			}
			pd = &L->pending[L->npending++];
			pd->entry = L->p->nentries; /* where e will go */
			pd->line = f[F_FROM]->line;
			pd->col = f[F_FROM]->col;
		}
	}
	return 0;
}

static int
add_entry(struct loader *L, const struct node *item)
{
	struct kp_policy *p = L->p;
	struct kp_entry e, *tmp;
	size_t ncap;
	int r;

	if ((r = parse_entry(L, item, &e)) != 0)
		goto fail;
	if (p->nentries == L->entries_cap) {
		ncap = L->entries_cap == 0 ? 64 : L->entries_cap * 2;
		tmp = reallocarray(p->entries, ncap, sizeof(*tmp));
		if (tmp == NULL) {
			r = ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
			goto fail;
		}
		p->entries = tmp;
		L->entries_cap = ncap;
	}
	/* Strings in the tables are owned by the entry, which p now owns. */
	p->entries[p->nentries] = e;
	p->nentries++;
	if (kp_strtab_put(&L->ids, e.id, p->nentries - 1, NULL) < 0 ||
	    kp_strtab_put(&L->fps, e.key->fp, p->nentries - 1, NULL) < 0)
		return ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
	return 0;
fail:
	kp_entry_clear(&e);
	return r;
}

/* --------------------------------------------------------- revocations */

enum { R_FINGERPRINT, R_KEY, R_OWNER, R_REASON, R_DATE, R_NFIELDS };

static const char *const revoke_fields[] = {
    "fingerprint", "key", "owner", "reason", "date", NULL};

static int
parse_revocation(
    struct loader *L, const struct node *map, struct kp_revocation *rv)
{
	const struct node *k, *v, *f[R_NFIELDS] = {NULL}, *which = NULL;
	int i, r;

	memset(rv, 0, sizeof(*rv));
	rv->date = KP_TIME_NONE_BEFORE;
	if (map->type != N_MAP) {
		return nerr(L, map,
		    "revoked: each item must be a mapping (fingerprint, key "
		    "or owner, and reason), got %s",
		    node_kind(map));
	}
	rv->line = map->line;
	rv->column = map->col;

	for (k = map->kid; k != NULL; k = v->next) {
		v = k->next;
		if ((i = field_index(L, k, revoke_fields, "revoked entry")) < 0)
			return KP_ERR_INVALID;
		f[i] = v;
		if (i <= R_OWNER) {
			if (which != NULL) {
				return nerr(L, k,
				    "revoked entry has both '%s' (line %u) "
				    "and '%s'; give exactly one of "
				    "fingerprint, key, owner",
				    revoke_fields[rv->kind], which->line,
				    revoke_fields[i]);
			}
			which = k;
		}
		switch (i) {
		case R_FINGERPRINT:
			rv->kind = KP_REVOKE_FINGERPRINT;
			if ((r = want_string(L, v, "fingerprint")) != 0)
				return r;
			if (!kp_fingerprint_valid(v->s)) {
				return nerr(L, v,
				    "fingerprint: expected SHA256: and 43 "
				    "base64 characters (as ssh-keygen -l "
				    "prints it)");
			}
			if ((r = dup_str(L, v, &rv->value)) != 0)
				return r;
			break;
		case R_KEY:
			rv->kind = KP_REVOKE_KEY;
			if ((r = parse_key(L, v, &rv->key)) != 0)
				return r;
			if ((rv->value = strdup(rv->key->fp)) == NULL)
				return ferr(
				    L, KP_ERR_NOMEM, 0, 0, "out of memory");
			break;
		case R_OWNER:
			rv->kind = KP_REVOKE_OWNER;
			if ((r = want_clean(L, v, "owner", KP_VALUE_MAX)) != 0)
				return r;
			if (v->s[0] == '\0')
				return nerr(L, v, "owner: must not be empty");
			if ((r = dup_str(L, v, &rv->value)) != 0)
				return r;
			break;
		case R_REASON:
			if ((r = want_clean(L, v, "reason", KP_VALUE_MAX)) != 0)
				return r;
			if (v->s[0] == '\0')
				return nerr(L, v, "reason: must not be empty");
			if ((r = dup_str(L, v, &rv->reason)) != 0)
				return r;
			break;
		case R_DATE:
			if ((r = want_time(L, v, "date", &rv->date)) != 0)
				return r;
			break;
		}
	}
	if (which == NULL) {
		return nerr(L, map,
		    "revoked entry needs one of fingerprint, key or owner");
	}
	if (f[R_REASON] == NULL) {
		return nerr(L, map,
		    "revoked entry is missing the required field 'reason'");
	}
	return 0;
}

static int
add_revocation(struct loader *L, const struct node *item)
{
	struct kp_policy *p = L->p;
	struct kp_revocation rv, *tmp;
	size_t ncap;
	int r;

	if ((r = parse_revocation(L, item, &rv)) != 0)
		goto fail;
	if (p->nrevoked == L->revoked_cap) {
		ncap = L->revoked_cap == 0 ? 16 : L->revoked_cap * 2;
		tmp = reallocarray(p->revoked, ncap, sizeof(*tmp));
		if (tmp == NULL) {
			r = ferr(L, KP_ERR_NOMEM, 0, 0, "out of memory");
			goto fail;
		}
		p->revoked = tmp;
		L->revoked_cap = ncap;
	}
	p->revoked[p->nrevoked++] = rv; /* p owns it now */
	return 0;
fail:
	kp_revocation_clear(&rv);
	return r;
}

/* ------------------------------------------------------------ document */

enum {
	T_VERSION,
	T_SERIAL,
	T_EXPIRES,
	T_NETWORKS,
	T_KEYS,
	T_REVOKED,
	T_NFIELDS
};

static const char *const top_fields[] = {
    "version", "serial", "expires", "networks", "keys", "revoked", NULL};

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

/* keys: or revoked:, one item at a time so only one item is in memory. */
static int
stream_list(struct loader *L, int which)
{
	yaml_event_t ev;
	struct node *item;
	unsigned line, col;
	size_t n = 0;
	int r;
	const char *what = which == T_KEYS ? "keys" : "revoked";

	if ((r = next_event(L, &ev)) != 0)
		return r;
	line = (unsigned)ev.start_mark.line + 1;
	col = (unsigned)ev.start_mark.column + 1;
	if (ev.type != YAML_SEQUENCE_START_EVENT) {
		r = ferr(L, KP_ERR_INVALID, line, col,
		    "%s: expected a list of entries (each starting with '- '), "
		    "got %s",
		    what,
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
		r = which == T_KEYS ? add_entry(L, item)
		                    : add_revocation(L, item);
		arena_reset(&L->arena, 1);
		if (r != 0)
			return r;
	}
	if (n == 0) {
		return ferr(L, KP_ERR_INVALID, line, col,
		    "%s: empty list; an empty list means nothing, not 'no "
		    "restriction': omit the field",
		    what);
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
		e = &L->p->entries[L->pending[i].entry];
		L->networks_done = 1; /* an absent networks: is empty */
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

static int
parse_document(struct loader *L)
{
	struct kp_policy *p = L->p;
	yaml_event_t ev;
	struct node *k, *v;
	unsigned seen[T_NFIELDS] = {0}, top_line, top_col, line, col;
	uint64_t version = 0;
	int i, r;

	if ((r = next_event(L, &ev)) != 0)
		return r;
	yaml_event_delete(&ev); /* STREAM-START */
	if ((r = next_event(L, &ev)) != 0)
		return r;
	if (ev.type == YAML_STREAM_END_EVENT) {
		line = (unsigned)ev.start_mark.line + 1;
		col = (unsigned)ev.start_mark.column + 1;
		yaml_event_delete(&ev);
		return ferr(L, KP_ERR_INVALID, line, col,
		    "empty policy: expected a mapping with at least version "
		    "and serial");
	}
	yaml_event_delete(&ev); /* DOCUMENT-START */
	if ((r = next_event(L, &ev)) != 0)
		return r;
	top_line = (unsigned)ev.start_mark.line + 1;
	top_col = (unsigned)ev.start_mark.column + 1;
	if (ev.type != YAML_MAPPING_START_EVENT) {
		r = ferr(L, KP_ERR_INVALID, top_line, top_col,
		    "the policy must be a mapping (version, serial, networks, "
		    "keys, revoked), got %s",
		    event_kind(&ev));
		yaml_event_delete(&ev);
		return r;
	}
	yaml_event_delete(&ev);

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
		if ((i = field_index(L, k, top_fields, "the policy")) < 0)
			return KP_ERR_INVALID;
		if (seen[i] != 0)
			return dup_key_error(L, k, seen[i]);
		seen[i] = k->line;
		switch (i) {
		case T_KEYS:
		case T_REVOKED:
			if ((r = stream_list(L, i)) != 0)
				return r;
			break;
		default:
			if ((r = next_node(L, &v)) != 0)
				return r;
			if (i == T_VERSION) {
				if ((r = want_uint(
				         L, v, "version", &version)) != 0)
					return r;
				if (version != 1) {
					return nerr(L, v,
					    "version: unsupported policy "
					    "version %s (this keyauth reads "
					    "version 1)",
					    v->s);
				}
			} else if (i == T_SERIAL) {
				if ((r = want_uint(
				         L, v, "serial", &p->serial)) != 0)
					return r;
				if (p->serial == 0)
					return nerr(
					    L, v, "serial: must be at least 1");
			} else if (i == T_EXPIRES) {
				if ((r = want_time(
				         L, v, "expires", &p->expires)) != 0)
					return r;
			} else if ((r = parse_networks(L, v)) != 0) {
				return r;
			}
			break;
		}
		arena_reset(&L->arena, 1);
	}

	if ((r = next_event(L, &ev)) != 0)
		return r;
	yaml_event_delete(&ev); /* DOCUMENT-END */
	if ((r = next_event(L, &ev)) != 0)
		return r;
	line = (unsigned)ev.start_mark.line + 1;
	col = (unsigned)ev.start_mark.column + 1;
	i = ev.type;
	yaml_event_delete(&ev);
	if (i != YAML_STREAM_END_EVENT) {
		return ferr(L, KP_ERR_INVALID, line, col,
		    "more than one YAML document: a policy is exactly one");
	}

	for (i = 0; i < T_EXPIRES; i++) {
		if (seen[i] == 0) {
			return ferr(L, KP_ERR_INVALID, top_line, top_col,
			    "the policy is missing the required field '%s'",
			    top_fields[i]);
		}
	}
	return resolve_pending(L);
}

static int
sha256_hex(const char *buf, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	out[0] = '\0';
	if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		return KP_ERR_INTERNAL;
	for (i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[64] = '\0';
	return 0;
}

static void
diag_init(struct kp_diag *d, const char *name)
{
	memset(d, 0, sizeof(*d));
	if (name != NULL)
		snprintf(d->file, sizeof(d->file), "%s", name);
}

int
kp_policy_load_buf(const char *name, const char *buf, size_t len,
    struct kp_policy **out, struct kp_diag *diag)
{
	struct kp_diag dummy;
	struct loader L;
	const char *nul;
	unsigned line, col;
	int r;

	if (diag == NULL)
		diag = &dummy;
	diag_init(diag, name);
	if (out != NULL)
		*out = NULL;
	memset(&L, 0, sizeof(L));
	L.diag = diag;
	kp_strtab_init(&L.ids);
	kp_strtab_init(&L.fps);
	kp_strtab_init(&L.nets);
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
	/* libyaml would silently stop at a NUL; refuse it up front. */
	if (len > 0 && (nul = memchr(buf, '\0', len)) != NULL) {
		offset_pos(buf, len, (size_t)(nul - buf), &line, &col);
		r = ferr(&L, KP_ERR_INVALID, line, col,
		    "NUL byte in the policy (it must be UTF-8 text)");
		goto out;
	}
	L.name = name;
	L.buf = buf;
	L.len = len;
	if ((L.p = calloc(1, sizeof(*L.p))) == NULL) {
		r = ferr(&L, KP_ERR_NOMEM, 0, 0, "out of memory");
		goto out;
	}
	L.p->expires = KP_TIME_NONE_AFTER;
	if (name != NULL && (L.p->path = strdup(name)) == NULL) {
		r = ferr(&L, KP_ERR_NOMEM, 0, 0, "out of memory");
		goto out;
	}
	if (!yaml_parser_initialize(&L.parser)) {
		r = ferr(&L, KP_ERR_NOMEM, 0, 0, "out of memory");
		goto out;
	}
	L.parser_ok = 1;
	yaml_parser_set_encoding(&L.parser, YAML_UTF8_ENCODING);
	yaml_parser_set_input(&L.parser, feed, &L);

	if ((r = parse_document(&L)) != 0)
		goto out;
	if (sha256_hex(buf, len, L.p->sha256) != 0) {
		r = ferr(&L, KP_ERR_INTERNAL, 0, 0, "SHA-256 failed");
		goto out;
	}
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
	arena_reset(&L.arena, 0);
	kp_strtab_free(&L.ids);
	kp_strtab_free(&L.fps);
	kp_strtab_free(&L.nets);
	free(L.pending);
	kp_policy_free(L.p);
	return r;
}

int
kp_policy_load(const char *path, unsigned flags, struct kp_policy **out,
    struct kp_diag *diag)
{
	struct kp_diag dummy;
	char *buf = NULL;
	size_t len = 0;
	const char *why = NULL;
	int r;

	if (diag == NULL)
		diag = &dummy;
	diag_init(diag, path);
	if (out != NULL)
		*out = NULL;
	if (path == NULL || out == NULL) {
		snprintf(diag->msg, sizeof(diag->msg), "bad arguments");
		return KP_ERR_ARG;
	}
	/*
	 * Installed paths get the safe opener; a file a person checks (a
	 * policy in a git checkout) only has to be a regular file.
	 */
	if ((flags & KP_LOAD_SAFE) != 0)
		r = kp_file_read_safe(
		    path, KP_POLICY_MAX_BYTES, (uid_t)-1, &buf, &len, &why);
	else
		r = kp_file_read(
		    path, KP_POLICY_MAX_BYTES, 0, &buf, &len, &why);
	if (r == KP_ERR_TOOBIG)
		snprintf(diag->msg, sizeof(diag->msg),
		    "policy too large (at most %lu bytes)",
		    (unsigned long)KP_POLICY_MAX_BYTES);
	else if (r == KP_ERR_NOTFOUND || r == KP_ERR_IO)
		snprintf(diag->msg, sizeof(diag->msg), "%s: %s",
		    why != NULL ? why : kp_strerror(r), strerror(errno));
	else if (r != 0)
		snprintf(diag->msg, sizeof(diag->msg), "%s",
		    why != NULL ? why : kp_strerror(r));
	if (r != 0)
		goto out;
	r = kp_policy_load_buf(path, buf, len, out, diag);
out:
	free(buf);
	return r;
}
