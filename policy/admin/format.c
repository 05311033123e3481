/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * The output formatters every admin view shares: the --format names, JSON
 * strings, CSV fields, text made safe for a terminal, times, and the one
 * aligned text table of report and audit. Report, diff and audit build
 * their output from these, so a value is escaped the same way in each.
 */

#include <stdlib.h>
#include <string.h>

#include "keyauth.h"
#include "kp-internal.h"
#include "keyauth-admin.h"

int
kp_format_parse(const char *s, enum kp_format *out)
{
	if (s == NULL || out == NULL)
		return KP_ERR_ARG;
	if (strcmp(s, "text") == 0)
		*out = KP_FORMAT_TEXT;
	else if (strcmp(s, "csv") == 0)
		*out = KP_FORMAT_CSV;
	else if (strcmp(s, "json") == 0)
		*out = KP_FORMAT_JSON;
	else if (strcmp(s, "html") == 0)
		*out = KP_FORMAT_HTML;
	else
		return KP_ERR_ARG;
	return 0;
}

/*
 * Length of the valid UTF-8 sequence at s (1..4), or 0 when the bytes there
 * are not one (shortest form, no surrogates, at most U+10FFFF).
 */
static size_t
utf8_seq(const unsigned char *s, uint32_t *cp)
{
	int n = kp_utf8_next((const char *)s, strnlen((const char *)s, 4), cp);

	return n > 0 ? (size_t)n : 0;
}

void
kp_json_str(struct kp_buf *b, const char *s)
{
	const unsigned char *p;
	uint32_t cp;
	size_t n;

	if (s == NULL) {
		kp_buf_puts(b, "null");
		return;
	}
	kp_buf_putc(b, '"');
	for (p = (const unsigned char *)s; *p != '\0'; p += n) {
		if ((n = utf8_seq(p, &cp)) == 0) {
			/*
			 * A byte that is not UTF-8 has no character: U+FFFD
			 * says so (one per byte), where \u00XX would be a
			 * valid character the record never held. The text
			 * format shows the byte itself (kp_text_safe).
			 */
			kp_buf_puts(b, "\\ufffd");
			n = 1;
			continue;
		}
		if (cp == '"' || cp == '\\')
			kp_buf_printf(b, "\\%c", (char)cp);
		else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			kp_buf_printf(b, "\\u%04x", (unsigned)cp);
		else if (kp_char_invisible(cp) && cp > 0xffff)
			kp_buf_printf(b, "\\u%04x\\u%04x",
			    0xd800 + ((unsigned)(cp - 0x10000) >> 10),
			    0xdc00 + ((unsigned)(cp - 0x10000) & 0x3ff));
		else if (kp_char_invisible(cp))
			/* the same string, but one a person reading it sees */
			kp_buf_printf(b, "\\u%04x", (unsigned)cp);
		else
			kp_buf_put(b, p, n);
	}
	kp_buf_putc(b, '"');
}

/*
 * 1 if a spreadsheet would read cell s as a formula (OWASP's CSV injection
 * list: = + - @ TAB CR first). A lone "-" is text to every spreadsheet.
 */
static int
csv_formula(const char *s)
{
	if (s[0] == '-' && s[1] == '\0')
		return 0;
	return s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
}

void
kp_csv_field(struct kp_buf *b, const char *s)
{
	const char *p;
	int formula;

	if (s == NULL)
		s = "";
	formula = csv_formula(s);
	if (!formula && strpbrk(s, ",\"\r\n ") == NULL) {
		kp_buf_puts(b, s);
		return;
	}
	kp_buf_putc(b, '"');
	/* A leading quote makes the spreadsheet show the text as it is. */
	if (formula)
		kp_buf_putc(b, '\'');
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			kp_buf_putc(b, '"');
		kp_buf_putc(b, *p);
	}
	kp_buf_putc(b, '"');
}

void
kp_text_safe(struct kp_buf *b, const char *s)
{
	const unsigned char *p;
	uint32_t cp;
	size_t n, k;

	if (s == NULL)
		s = "-";
	for (p = (const unsigned char *)s; *p != '\0'; p += n) {
		n = utf8_seq(p, &cp);
		if (n == 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
		    cp == '\\') {
			kp_buf_printf(b, "\\x%02x", *p);
			n = 1;
			continue;
		}
		/* shown, not hidden: a zero-width or odd space as its bytes */
		if (kp_char_invisible(cp)) {
			for (k = 0; k < n; k++)
				kp_buf_printf(b, "\\x%02x", p[k]);
			continue;
		}
		kp_buf_put(b, p, n);
	}
}

size_t
kp_text_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void
kp_buf_put_time(struct kp_buf *b, int64_t t, const char *none)
{
	char ts[64];

	if (t == KP_TIME_NONE_BEFORE || t == KP_TIME_NONE_AFTER) {
		kp_buf_puts(b, none);
		return;
	}
	kp_time_format(t, ts, sizeof(ts));
	kp_buf_puts(b, ts);
}

/* -------------------------------------------------------------- tables */

void
kp_table_init(struct kp_table *t, const char *const *head, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->head = head;
	t->ncols = ncols;
	kp_buf_init(&t->text, KP_ADMIN_OUT_MAX);
}

void
kp_table_free(struct kp_table *t)
{
	if (t == NULL)
		return;
	kp_buf_free(&t->text);
	free(t->cell);
	kp_table_init(t, t->head, t->ncols);
}

/*
 * The cells are one string of NUL-terminated texts and their offsets:
 * two allocations for a table of any size.
 */
struct kp_buf *
kp_table_cell(struct kp_table *t)
{
	size_t *tmp, cap;

	if (t->ncells > 0)
		kp_buf_putc(&t->text, '\0'); /* ends the cell before */
	if (t->text.err != 0)
		return &t->text;
	if (t->ncells == t->cap) {
		cap = t->cap == 0 ? 64 : t->cap * 2;
		if ((tmp = reallocarray(t->cell, cap, sizeof(*tmp))) == NULL) {
			t->text.err =
			    KP_ERR_NOMEM; /* sticky, like the text's */
			return &t->text;
		}
		t->cell = tmp;
		t->cap = cap;
	}
	t->cell[t->ncells++] = t->text.len;
	return &t->text;
}

void
kp_table_put(struct kp_table *t, const char *s)
{
	kp_buf_puts(kp_table_cell(t), s != NULL ? s : "");
}

void
kp_table_put_safe(struct kp_table *t, const char *s)
{
	struct kp_buf *b = kp_table_cell(t);

	if (s != NULL)
		kp_text_safe(b, s);
}

size_t
kp_table_rows(const struct kp_table *t)
{
	return t->ncols > 0 ? t->ncells / t->ncols : 0;
}

/* Cell k of line i, where line 0 is the headings. */
static const char *
table_text(const struct kp_table *t, size_t i, size_t k)
{
	if (i == 0)
		return t->head[k];
	if (t->text.s == NULL)
		return ""; /* no cell has any text yet */
	return t->text.s + t->cell[(i - 1) * t->ncols + k];
}

int
kp_table_write(struct kp_buf *b, const struct kp_table *t, const char *indent)
{
	size_t *w, i, k, cw, nrows = kp_table_rows(t);
	const char *s;

	if (t->text.err != 0)
		return t->text.err;
	if ((w = calloc(t->ncols + 1, sizeof(*w))) == NULL)
		return KP_ERR_NOMEM;
	for (i = 0; i <= nrows; i++) {
		for (k = 0; k < t->ncols; k++) {
			if ((cw = kp_text_width(table_text(t, i, k))) > w[k])
				w[k] = cw;
		}
	}
	for (i = 0; i <= nrows; i++) {
		kp_buf_puts(b, indent);
		for (k = 0; k < t->ncols; k++) {
			kp_buf_puts(b, s = table_text(t, i, k));
			if (k + 1 == t->ncols)
				break;
			for (cw = kp_text_width(s); cw < w[k] + 2; cw++)
				kp_buf_putc(b, ' ');
		}
		kp_buf_putc(b, '\n');
	}
	free(w);
	return b->err;
}
