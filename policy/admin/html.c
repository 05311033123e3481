/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * The report and the audit summary as one self-contained HTML page
 * (docs/keyauthctl-report.md, "HTML"): evidence an auditor attaches to a
 * review. Nothing is fetched: the style and the one script are inline,
 * and the page's Content-Security-Policy allows exactly those two by
 * their SHA-256 (computed here, so an edit of either cannot be forgotten)
 * and nothing else: no request can leave the page. Every value of the
 * policy or the log goes through kp_html_escape, so an owner, comment or
 * account cannot add an element or an attribute; the tables are complete
 * without the script, which only sorts and filters.
 */

#include <stdlib.h>
#include <string.h>

#include <nettle/sha2.h>

#include "keyauth.h"
#include "kp-policy.h"
#include "kp-internal.h"
#include "keyauth-admin.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define DAY ((int64_t)86400)
#define SOON_DAYS 14 /* as lint's "expires within 14 days" */
#define TIMELINE_DAYS 90
#define LIST_MAX 500 /* rows of the "ending soon" list before "and N more" */
#define LINKS_MAX 20 /* entry links per revocation */

/* -------------------------------------------------------- escaping */

static void
put_cp(struct kp_buf *b, uint32_t cp, int attr)
{
	/*
	 * Shown as its code point, never as itself: a bidi override would
	 * reorder what the reader sees, a zero-width character hide a
	 * difference. In text it is marked so it cannot pass for the same
	 * characters written by hand.
	 */
	if (attr)
		kp_buf_printf(b, "[U+%04X]", (unsigned)cp);
	else
		kp_buf_printf(
		    b, "<span class=\"esc\">U+%04X</span>", (unsigned)cp);
}

void
kp_html_escape(struct kp_buf *b, const char *s, int attr)
{
	size_t len, i = 0;
	uint32_t cp;
	int n;

	if (s == NULL)
		return;
	len = strlen(s);
	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '&':
			kp_buf_puts(b, "&amp;");
			i++;
			continue;
		case '<':
			kp_buf_puts(b, "&lt;");
			i++;
			continue;
		case '>':
			kp_buf_puts(b, "&gt;");
			i++;
			continue;
		case '"':
			kp_buf_puts(b, "&quot;");
			i++;
			continue;
		case '\'':
			kp_buf_puts(b, "&#39;");
			i++;
			continue;
		default:
			break;
		}
		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				put_cp(b, c, attr);
			else
				kp_buf_putc(b, (char)c);
			i++;
			continue;
		}
		n = kp_utf8_next(s + i, len - i, &cp);
		if (n <= 0) {
			/* Not UTF-8: the byte, visibly, never a guess. */
			if (attr)
				kp_buf_printf(b, "[x%02X]", c);
			else
				kp_buf_printf(
				    b, "<span class=\"esc\">x%02X</span>", c);
			i++;
			continue;
		}
		if (cp < 0xa0 || kp_char_invisible(cp))
			put_cp(b, cp, attr);
		else
			kp_buf_put(b, s + i, (size_t)n);
		i += (size_t)n;
	}
}

static void
esc(struct kp_buf *b, const char *s)
{
	kp_html_escape(b, s, 0);
}

/* ------------------------------------------------------- the page */

static const char style_text[] =
    "body{font:14px/1.4 'DejaVu Sans',sans-serif;margin:1em 2em;"
    "color:#111;background:#fff}"
    "h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin-top:1.6em;"
    "border-bottom:1px solid #999}"
    "dl.state{display:grid;grid-template-columns:max-content auto;"
    "gap:.1em 1em;margin:.5em 0}dl.state dt{font-weight:bold}"
    "dl.state dd{margin:0;font-family:'DejaVu Sans Mono',monospace}"
    "dl.counts{display:flex;flex-wrap:wrap;gap:.3em}"
    "dl.counts div{border:1px solid #bbb;padding:.2em .6em;"
    "border-radius:4px}dl.counts dt{font-size:.8em;color:#444}"
    "dl.counts dd{margin:0;font-size:1.3em;font-weight:bold}"
    "table{border-collapse:collapse;margin:.5em 0}"
    "th,td{border:1px solid #ccc;padding:2px 5px;vertical-align:top;"
    "text-align:left}thead th{background:#eee;cursor:pointer}"
    "tbody th{font-weight:normal;white-space:nowrap}"
    "td a{display:block;text-decoration:none;color:inherit}"
    ".mono,table.matrix tbody td:nth-child(2){font-family:'DejaVu Sans "
    "Mono',monospace;font-size:.8em}"
    "table.matrix td{min-width:9em}"
    /*
     * The matrix is cut into blocks of MATRIX_BLOCK people, each its own
     * table of fixed column widths, which chromium lays out only when
     * the block comes near the screen (docs/performance.md).
     */
    ".mx table{table-layout:fixed;margin:0}.mx td,.mx th{"
    "overflow-wrap:anywhere}.mx td{white-space:pre-line}"
    ".mx col{width:11em}.mx col.cp{width:14em}"
    /*
     * A row has no cells after its last grant (matrix_people): the grid
     * goes on without them, the row's line drawn on to the table's edge
     * (its length in the page's width rule, kp_report_html) and clipped
     * there by the block's containment.
     */
    ".mx table{border-right:1px solid #ccc}"
    ".mx tbody tr>:last-child{position:relative}"
    ".mx tbody tr>:last-child::after{content:'';position:absolute;"
    "left:100%;bottom:-1px;border-bottom:1px solid #ccc}"
    ".mx col.ck{width:30em}div.mb{content-visibility:auto;"
    "contain-intrinsic-block-size:auto 20000px}"
    /* below the matrix, laid out only when scrolled to */
    "#revocations,#lint{content-visibility:auto;"
    "contain-intrinsic-block-size:auto 3000px}"
    ".ok{background:#d8f0d8}.nx{background:#fff6c8}.nf{background:#ffe3a8}"
    ".sn{background:#ffc48a}.rt{background:#ffb0b0}"
    ".rv{background:#d9a0e0}.off{background:#e4e4e4;color:#666}"
    ".esc{border:1px solid #c00;color:#c00;font-size:.8em;padding:0 1px}"
    ".legend span{display:inline-block;padding:0 .5em;margin-right:.3em;"
    "border:1px solid #bbb}"
    "svg{display:block;border:1px solid #ccc;background:#fafafa}"
    "svg .bar{fill:#d2691e}svg .bar2{fill:#b22222}svg .ax{stroke:#666}"
    "svg .lim{stroke:#b00;stroke-dasharray:4 3}"
    "svg text{font-size:10px;fill:#333}"
    "input.filter{margin:.3em 0;padding:2px 4px;width:20em}"
    "tr[hidden]{display:none}"
    "@media print{input.filter{display:none}}";

/* Sorting and filtering only: every table is complete without it. */
static const char script_text[] =
    "(function(){'use strict';"
    "function key(c){var t=c?c.textContent.trim():'';var n=Number(t);"
    "return t!==''&&!isNaN(n)?n:t.toLowerCase();}"
    "function at(r,i){var k=0,c=r.cells;for(var j=0;j<c.length;j++){"
    "k+=c[j].colSpan;if(k>i)return c[j].colSpan>1?null:c[j];}return null;}"
    /* a table, or the matrix: one head, its rows in several tbody */
    "var tabs=document.querySelectorAll('.sort');"
    "Array.prototype.forEach.call(tabs,function(tb){"
    "var head=tb.querySelector('thead'),"
    "bodies=Array.prototype.slice.call(tb.querySelectorAll('tbody'));"
    "if(!head||!bodies.length)return;"
    "function all(){var a=[];bodies.forEach(function(b){"
    "a.push.apply(a,b.rows);});return a;}"
    "var hr=head.rows[0];"
    "Array.prototype.forEach.call(hr.cells,function(th,i){"
    "th.tabIndex=0;th.setAttribute('aria-sort','none');"
    "function go(){var asc=th.getAttribute('aria-sort')!=='ascending';"
    "var rows=all();"
    "rows.sort(function(a,b){var x=key(at(a,i)),y=key(at(b,i));"
    "if(typeof x!==typeof y){x=String(x);y=String(y);}"
    "return(x<y?-1:x>y?1:0)*(asc?1:-1);});"
    "Array.prototype.forEach.call(hr.cells,function(o){"
    "o.setAttribute('aria-sort','none');});"
    "th.setAttribute('aria-sort',asc?'ascending':'descending');"
    /* each block keeps its number of rows */
    "var n=bodies.map(function(b){return b.rows.length;}),k=0;"
    "bodies.forEach(function(b,j){var f=document.createDocumentFragment();"
    "for(var e=k+n[j];k<e;k++)f.appendChild(rows[k]);b.appendChild(f);});}"
    "th.addEventListener('click',go);"
    "th.addEventListener('keydown',function(e){if(e.key==='Enter')go();});"
    "});"
    "var q=document.createElement('input');q.type='search';"
    "q.className='filter';q.placeholder='filter rows';"
    "q.setAttribute('aria-label','filter rows');"
    "tb.parentNode.insertBefore(q,tb);"
    "q.addEventListener('input',function(){var v=q.value.toLowerCase();"
    "all().forEach(function(r){"
    "r.hidden=v!==''&&r.textContent.toLowerCase().indexOf(v)<0;});});"
    "});})();";

/* 'sha256-BASE64' of s, as a CSP source. */
static int
csp_hash(const char *s, char *out, size_t len)
{
	struct sha256_ctx c;
	uint8_t md[SHA256_DIGEST_SIZE];
	int r;

	sha256_init(&c);
	sha256_update(&c, strlen(s), (const uint8_t *)s);
	sha256_digest(&c, sizeof(md), md);
	if (len < 9 + kp_b64_enclen(sizeof(md), 1) + 2)
		return KP_ERR_INTERNAL;
	memcpy(out, "'sha256-", 8);
	if ((r = kp_b64_encode(md, sizeof(md), 1, out + 8, len - 9)) != 0)
		return r;
	strcat(out, "'");
	return 0;
}

/*
 * The page's head; extra (may be NULL) is a rule of this page appended to
 * the one style, under the same hash.
 */
static int
page_begin(struct kp_buf *b, const char *title, const char *extra)
{
	char sh[80], ch[80], style[sizeof(style_text) + 128];
	int r, n;

	n = snprintf(style, sizeof(style), "%s%s", style_text,
	    extra != NULL ? extra : "");
	if (n < 0 || (size_t)n >= sizeof(style))
		return KP_ERR_INTERNAL;
	if ((r = csp_hash(style, sh, sizeof(sh))) != 0 ||
	    (r = csp_hash(script_text, ch, sizeof(ch))) != 0)
		return r;
	kp_buf_puts(b,
	    "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">\n");
	kp_buf_printf(b,
	    "<meta http-equiv=\"Content-Security-Policy\" content=\""
	    "default-src 'none'; style-src %s; script-src %s; "
	    "form-action 'none'; base-uri 'none'\">\n",
	    sh, ch);
	kp_buf_puts(b,
	    "<meta name=\"referrer\" content=\"no-referrer\">\n"
	    "<meta name=\"viewport\" "
	    "content=\"width=device-width\">\n<title>");
	esc(b, title);
	kp_buf_printf(b, "</title>\n<style>%s</style>\n</head><body>\n", style);
	return 0;
}

static void
page_end(struct kp_buf *b)
{
	kp_buf_printf(b, "<script>%s</script>\n</body></html>\n", script_text);
}

static void
put_time(struct kp_buf *b, int64_t t, const char *none)
{
	char ts[64];

	if (t == KP_TIME_NONE_BEFORE || t == KP_TIME_NONE_AFTER) {
		kp_buf_puts(b, none);
		return;
	}
	kp_time_format(t, ts, sizeof(ts));
	kp_buf_puts(b, ts);
}

static void
put_date(struct kp_buf *b, int64_t t)
{
	struct kp_civil c;

	kp_time_civil(t, &c);
	kp_buf_printf(b, "%04lld-%02d-%02d", (long long)c.year, c.mon, c.mday);
}

static void
esc_list(struct kp_buf *b, char *const *v, size_t n, const char *none)
{
	size_t i;

	if (n == 0) {
		kp_buf_puts(b, none);
		return;
	}
	for (i = 0; i < n; i++) {
		if (i > 0)
			kp_buf_puts(b, ", ");
		esc(b, v[i]);
	}
}

static void
state_row(struct kp_buf *b, const char *id, const char *dt)
{
	kp_buf_printf(b, "<dt>%s</dt><dd id=\"%s\">", dt, id);
}

static void
count(struct kp_buf *b, const char *id, const char *what, size_t n,
    const char *cls)
{
	kp_buf_printf(b, "<div%s%s%s><dt>%s</dt><dd id=\"%s\">%zu</dd></div>",
	    cls != NULL ? " class=\"" : "", cls != NULL ? cls : "",
	    cls != NULL ? "\"" : "", what, id, n);
}

/* --------------------------------------------------------- report */

/* Risks of one (account, entry) row, the colours of the matrix. */
#define R_REVOKED 0x01 /* revoked, still granted */
#define R_ROOT 0x02
#define R_SOON 0x04 /* expires within SOON_DAYS */
#define R_NOFROM 0x08
#define R_NOEXP 0x10
#define R_OFF 0x20 /* expired, not yet valid, policy stale: no login */

/* Worst first: a cell takes the colour of its worst risk. */
static const struct {
	unsigned flag;
	const char *cls, *what;
} risks[] = {
    {R_REVOKED, "rv", "revoked, still granted"},
    {R_ROOT, "rt", "root"},
    {R_SOON, "sn", "expires within 14 days"},
    {R_NOFROM, "nf", "no from: (any source)"},
    {R_NOEXP, "nx", "no expiry"},
    {R_OFF, "off", "no login now (expired, not yet valid, stale)"},
};

static unsigned
row_risk(const struct kp_report_row *r, int64_t at)
{
	const struct kp_entry *e = r->entry;
	unsigned f = 0;

	if (r->status == KP_RS_REVOKED)
		return R_REVOKED;
	if (r->status != KP_RS_ACTIVE)
		return R_OFF;
	if (strcmp(r->account, "root") == 0)
		f |= R_ROOT;
	if (e->expires != KP_TIME_NONE_AFTER &&
	    e->expires - at < SOON_DAYS * DAY)
		f |= R_SOON;
	if (e->nfrom == 0)
		f |= R_NOFROM;
	if (e->expires == KP_TIME_NONE_AFTER)
		f |= R_NOEXP;
	return f;
}

static const char *
risk_class(unsigned f)
{
	size_t i;

	for (i = 0; i < NELEM(risks); i++)
		if (f & risks[i].flag)
			return risks[i].cls;
	return "ok";
}

struct report_ctx {
	const struct kp_policy *p;
	const struct kp_report_filter *f;
	int64_t at, now;
	const struct kp_report_row *in; /* the caller's rows */
	const struct kp_report_row **rows; /* by owner, account, id */
	size_t nrows;
	const char **accounts; /* the columns, sorted; borrowed strings */
	size_t naccounts;
	struct kp_strtab col; /* account -> column */
	/* per entry of p (index in p->entries): shown, status, risks */
	unsigned char *shown;
	enum kp_report_status *status;
	unsigned *risk;
	size_t *anchor; /* the entry whose id="eN" shows this one's key */
	/*
	 * anchors a link points to: only those keys get an element of their
	 * own in the matrix (100,000 spans cost chromium a second)
	 */
	unsigned char *linked;
	size_t nentries, nowners;
	size_t nrisk[NELEM(risks)];
};

static int
by_owner(const void *x, const void *y)
{
	const struct kp_report_row *a = *(const struct kp_report_row *const *)x;
	const struct kp_report_row *b = *(const struct kp_report_row *const *)y;
	int c;

	if ((c = strcmp(a->entry->owner, b->entry->owner)) != 0)
		return c;
	if ((c = strcmp(a->account, b->account)) != 0)
		return c;
	if ((c = strcmp(a->entry->id, b->entry->id)) != 0)
		return c;
	return a->entry < b->entry ? -1 : a->entry > b->entry;
}

static int
str_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static int
add_account(struct report_ctx *x, const char *name, size_t *cap)
{
	const char **tmp;
	size_t old;
	int r;

	if (kp_strtab_get(&x->col, name, &old) == 1)
		return 0;
	if (x->naccounts == *cap) {
		*cap = *cap == 0 ? 16 : *cap * 2;
		if ((tmp = reallocarray(x->accounts, *cap, sizeof(*tmp))) ==
		    NULL)
			return KP_ERR_NOMEM;
		x->accounts = tmp;
	}
	x->accounts[x->naccounts] = name;
	if ((r = kp_strtab_put(&x->col, name, x->naccounts, NULL)) != 0)
		return r;
	x->naccounts++;
	return 0;
}

static int
authority_shown(const struct report_ctx *x, const struct kp_authority *a,
    const char *account)
{
	const struct kp_report_filter *f = x->f;

	if (f == NULL)
		return 1;
	if (f->account != NULL && strcmp(f->account, account) != 0)
		return 0;
	if (f->owner != NULL && strcmp(f->owner, a->e.owner) != 0)
		return 0;
	return f->host == NULL || kp_entry_applies(&a->e, f->host);
}

static size_t
entry_index(const struct report_ctx *x, const struct kp_entry *e)
{
	return (size_t)(e - x->p->entries);
}

/* The anchor of entry k's key, which a link of the page now points to. */
static size_t
link_to(const struct report_ctx *x, size_t k)
{
	x->linked[x->anchor[k]] = 1;
	return x->anchor[k];
}

static void
ctx_free(struct report_ctx *x)
{
	free(x->rows);
	free(x->accounts);
	kp_strtab_free(&x->col);
	free(x->shown);
	free(x->status);
	free(x->risk);
	free(x->anchor);
	free(x->linked);
}

/*
 * A person's key is shown once however many grants (version 2) or
 * entries hold it: every entry links to the first one with its
 * fingerprint among that person's rows.
 */
static int
anchors(struct report_ctx *x)
{
	struct kp_strtab seen;
	size_t i = 0, j, c, k, first;
	int r = 0;

	while (i < x->nrows && r == 0) {
		const char *owner = x->rows[i]->entry->owner;

		kp_strtab_init(&seen);
		for (j = i; j < x->nrows &&
		     strcmp(x->rows[j]->entry->owner, owner) == 0;
		     j++)
			;
		for (c = i; c < j; c++) {
			k = entry_index(x, x->rows[c]->entry);
			if (kp_strtab_get(
			        &seen, x->rows[c]->entry->key->fp, &first) == 1)
				x->anchor[k] = first;
			else if ((r = kp_strtab_put(&seen,
			              x->rows[c]->entry->key->fp, k, NULL)) < 0)
				break;
			else
				r = 0;
		}
		kp_strtab_free(&seen);
		i = j;
	}
	return r;
}

static int
ctx_build(struct report_ctx *x)
{
	const struct kp_policy *p = x->p;
	const struct kp_authority *a;
	const char *last = NULL;
	size_t i, j, k, cap = 0;
	unsigned f;
	int r;

	kp_strtab_init(&x->col);
	if (x->nrows > 0 &&
	    (x->rows = calloc(x->nrows, sizeof(*x->rows))) == NULL)
		return KP_ERR_NOMEM;
	if ((x->shown = calloc(p->nentries + 1, 1)) == NULL ||
	    (x->status = calloc(p->nentries + 1, sizeof(*x->status))) == NULL ||
	    (x->risk = calloc(p->nentries + 1, sizeof(*x->risk))) == NULL ||
	    (x->anchor = calloc(p->nentries + 1, sizeof(*x->anchor))) == NULL ||
	    (x->linked = calloc(p->nentries + 1, 1)) == NULL)
		return KP_ERR_NOMEM;
	for (i = 0; i < p->nentries; i++)
		x->anchor[i] = i;
	for (i = 0; i < x->nrows; i++)
		x->rows[i] = &x->in[i];
	if (x->nrows > 0)
		qsort(x->rows, x->nrows, sizeof(*x->rows), by_owner);
	for (i = 0; i < x->nrows; i++) {
		const struct kp_report_row *row = x->rows[i];

		k = entry_index(x, row->entry);
		if (k >= p->nentries)
			return KP_ERR_INTERNAL;
		f = row_risk(row, x->at);
		if (!x->shown[k]) {
			x->shown[k] = 1;
			x->status[k] = row->status;
			x->nentries++;
		}
		x->risk[k] |= f;
		for (j = 0; j < NELEM(risks); j++)
			if (f & risks[j].flag)
				x->nrisk[j]++;
		if (last == NULL || strcmp(last, row->entry->owner) != 0)
			x->nowners++;
		last = row->entry->owner;
		if ((r = add_account(x, row->account, &cap)) != 0)
			return r;
	}
	for (i = 0; i < p->nauthorities; i++) {
		a = &p->authorities[i];
		for (j = 0; j < a->e.naccounts; j++)
			if (authority_shown(x, a, a->e.accounts[j]) &&
			    (r = add_account(x, a->e.accounts[j], &cap)) != 0)
				return r;
	}
	if (x->naccounts > 0)
		qsort(x->accounts, x->naccounts, sizeof(*x->accounts), str_cmp);
	kp_strtab_free(&x->col);
	kp_strtab_init(&x->col);
	for (i = 0; i < x->naccounts; i++)
		if ((r = kp_strtab_put(&x->col, x->accounts[i], i, NULL)) != 0)
			return r;
	return anchors(x);
}

static void
report_header(struct kp_buf *b, const struct report_ctx *x)
{
	const struct kp_policy *p = x->p;
	const struct kp_report_filter *f = x->f;

	kp_buf_puts(b,
	    "<header><h1>keyauth access report</h1>\n"
	    "<dl class=\"state\" id=\"state\">");
	state_row(b, "h-path", "policy");
	esc(b, p->path != NULL ? p->path : "-");
	kp_buf_puts(b, "</dd>");
	state_row(b, "h-serial", "serial");
	kp_buf_printf(b, "%llu</dd>", (unsigned long long)p->serial);
	state_row(b, "h-sha256", "sha256");
	esc(b, p->sha256);
	kp_buf_puts(b, "</dd>");
	state_row(b, "h-host", "host scope");
	if (f != NULL && f->host != NULL)
		esc(b, f->host);
	else
		kp_buf_puts(b, "all hosts");
	kp_buf_puts(b, "</dd>");
	if (f != NULL && f->account != NULL) {
		state_row(b, "h-account", "account");
		esc(b, f->account);
		kp_buf_puts(b, "</dd>");
	}
	if (f != NULL && f->owner != NULL) {
		state_row(b, "h-owner", "owner");
		esc(b, f->owner);
		kp_buf_puts(b, "</dd>");
	}
	state_row(b, "h-expires", "policy expires");
	put_time(b, p->expires, "never");
	kp_buf_puts(b, "</dd>");
	state_row(b, "h-at", "access as of");
	put_time(b, x->at, "-");
	kp_buf_puts(b, "</dd>");
	state_row(b, "h-generated", "generated");
	put_time(b, x->now, "-");
	kp_buf_puts(b, "</dd></dl></header>\n");
}

static void
report_counts(struct kp_buf *b, const struct report_ctx *x, size_t nlint)
{
	size_t st[KP_RS_POLICY_STALE + 1] = {0}, i;

	for (i = 0; i < x->nrows; i++)
		st[x->rows[i]->status]++;
	kp_buf_puts(b,
	    "<section id=\"summary\"><h2>Summary</h2>"
	    "<dl class=\"counts\">");
	count(b, "n-rows", "account grants", x->nrows, NULL);
	count(b, "n-people", "people", x->nowners, NULL);
	count(b, "n-accounts", "accounts", x->naccounts, NULL);
	count(b, "n-entries", "keys granted", x->nentries, NULL);
	count(b, "n-authorities", "authorities", x->p->nauthorities, NULL);
	count(b, "n-active", "active", st[KP_RS_ACTIVE], "ok");
	count(b, "n-revoked", "revoked, still granted", x->nrisk[0], "rv");
	count(b, "n-root", "root", x->nrisk[1], "rt");
	count(b, "n-soon", "expiring within 14 days", x->nrisk[2], "sn");
	count(b, "n-nofrom", "no from:", x->nrisk[3], "nf");
	count(b, "n-noexp", "no expiry", x->nrisk[4], "nx");
	count(b, "n-off", "no login now", x->nrisk[5], "off");
	count(b, "n-revocations", "revocations", x->p->nrevoked, NULL);
	count(b, "n-lint", "lint findings", nlint, NULL);
	kp_buf_puts(b, "</dl>\n<p class=\"legend\">Colours: ");
	for (i = 0; i < NELEM(risks); i++)
		kp_buf_printf(b, "<span class=\"%s\">%s</span>", risks[i].cls,
		    risks[i].what);
	kp_buf_puts(b,
	    "<span class=\"ok\">active, none of these</span>"
	    "</p></section>\n");
}

/*
 * The page stays small at 100,000 keys (docs/performance.md): one row per
 * person, the keys in one cell of it, and the optional end tags of cells
 * and rows left out (HTML allows it; the parser closes them). Each element
 * costs the browser time to parse and to serialize, so the lines of a cell
 * are newlines, shown under white-space: pre-line (style_text), not <br>
 * elements, and a row ends at its last granted account: the cells after
 * it would be empty, and a table's row may have fewer cells than columns.
 * No value can add a line: kp_html_escape shows a newline as its code
 * point.
 */
#define CELL_LINE "\n"
static void
put_when(struct kp_buf *b, int64_t t)
{
	if (t % DAY == 0)
		put_date(b, t);
	else
		put_time(b, t, "-");
}

/* One key of a person: its anchor, id, fingerprint and what is unusual. */
static void
matrix_key(struct kp_buf *b, const struct report_ctx *x, size_t k)
{
	const struct kp_entry *e = &x->p->entries[k];

	if (x->linked[k])
		kp_buf_printf(b, "<span id=\"e%zu\">", k);
	esc(b, e->id);
	kp_buf_putc(b, ' ');
	esc(b, e->key->fp);
	if (e->not_before != KP_TIME_NONE_BEFORE) {
		kp_buf_puts(b, " valid from ");
		put_when(b, e->not_before);
	}
	if (x->status[k] != KP_RS_ACTIVE)
		kp_buf_printf(b, " (%s)", kp_report_status_str(x->status[k]));
	if (e->noptions > 0 || e->command != NULL) {
		kp_buf_puts(b, " [");
		esc_list(b, e->options, e->noptions, "");
		if (e->command != NULL) {
			kp_buf_puts(b, e->noptions ? ", command=" : "command=");
			esc(b, e->command);
		}
		kp_buf_putc(b, ']');
	}
	if (e->comment != NULL) {
		kp_buf_puts(b, " <i>");
		esc(b, e->comment);
		kp_buf_puts(b, "</i>");
	}
	if (x->linked[k])
		kp_buf_puts(b, "</span>");
}

/* One grant in a matrix cell: where, from where, until when, why. */
static void
matrix_grant(struct kp_buf *b, const struct kp_report_row *row)
{
	const struct kp_entry *e = row->entry;

	esc_list(b, e->hosts, e->nhosts, "all");
	kp_buf_puts(b, " from ");
	esc_list(b, e->from, e->nfrom, "any");
	if (e->expires != KP_TIME_NONE_AFTER) {
		kp_buf_puts(b, " until ");
		put_when(b, e->expires);
	}
	if (e->grant != NULL) {
		kp_buf_puts(b, " (");
		esc(b, e->grant);
		if (e->via != NULL) {
			kp_buf_puts(b, " via ");
			esc(b, e->via);
		}
		kp_buf_putc(b, ')');
	}
	if (row->status != KP_RS_ACTIVE)
		kp_buf_printf(b, " %s", kp_report_status_str(row->status));
}

static void
put_empty(struct kp_buf *b, size_t n)
{
	if (n == 1)
		kp_buf_puts(b, "<td>");
	else if (n > 1)
		kp_buf_printf(b, "<td colspan=\"%zu\">", n);
}

/*
 * People per block of the matrix: a block off screen costs chromium next
 * to nothing, one on screen the layout of its rows (docs/performance.md).
 */
#define MATRIX_BLOCK 500

static void
matrix_cols(struct kp_buf *b, const struct report_ctx *x)
{
	kp_buf_printf(b,
	    "<colgroup><col class=\"cp\"><col class=\"ck\">"
	    "<col span=\"%zu\"></colgroup>",
	    x->naccounts > 0 ? x->naccounts : 1);
}

/* Starts row *n of the matrix, a new block every MATRIX_BLOCK rows. */
static void
matrix_row(
    struct kp_buf *b, const struct report_ctx *x, size_t *n, const char *tr)
{
	if (*n > 0 && *n % MATRIX_BLOCK == 0) {
		kp_buf_puts(b,
		    "</tbody></table></div>\n<div class=\"mb\">"
		    "<table class=\"matrix\">");
		matrix_cols(b, x);
		kp_buf_puts(b, "<tbody>\n");
	}
	(*n)++;
	kp_buf_puts(b, tr);
}

static void
matrix_people(struct kp_buf *b, const struct report_ctx *x, size_t *n)
{
	size_t i = 0, j, col, c, s, nk, empty;
	unsigned worst;

	while (i < x->nrows) {
		const char *owner = x->rows[i]->entry->owner;

		/* rows [i, j) are this person's, by account */
		for (j = i; j < x->nrows &&
		     strcmp(x->rows[j]->entry->owner, owner) == 0;
		     j++)
			;
		matrix_row(b, x, n, "<tr><th>");
		esc(b, owner);
		kp_buf_puts(b, "<td>");
		for (c = i, nk = 0; c < j; c++) {
			size_t k = entry_index(x, x->rows[c]->entry), d;

			if (x->anchor[k] != k)
				continue;
			for (d = i; d < c; d++)
				if (x->rows[d]->entry == x->rows[c]->entry)
					break;
			if (d < c)
				continue;
			if (nk++ > 0)
				kp_buf_puts(b, CELL_LINE);
			matrix_key(b, x, k);
		}
		c = i;
		/*
		 * A run of empty cells is one cell spanning them: at 100,000
		 * keys most cells are empty, and each is an element to lay
		 * out (the script's sorting counts spans).
		 */
		empty = 0;
		for (col = 0; col < x->naccounts; col++) {
			const char *acct = x->accounts[col];

			s = c;
			worst = 0;
			while (c < j && strcmp(x->rows[c]->account, acct) == 0)
				worst |= row_risk(x->rows[c++], x->at);
			if (s == c) {
				empty++;
				continue;
			}
			put_empty(b, empty);
			empty = 0;
			kp_buf_printf(
			    b, "<td class=\"%s\">", risk_class(worst));
			for (; s < c; s++) {
				matrix_grant(b, x->rows[s]);
				if (s + 1 < c)
					kp_buf_puts(b, CELL_LINE);
			}
		}
		/* no cell for the empty columns at the end of the row */
		kp_buf_putc(b, '\n');
		i = j;
	}
}

static void
put_principals(
    struct kp_buf *b, const struct kp_authority *a, const char *account)
{
	char *const *names;
	size_t n;

	kp_authority_principals(a, account, &names, &n);
	if (n == 0) {
		esc(b, account);
		kp_buf_puts(b, " (the account)");
	} else
		esc_list(b, names, n, "-");
}

static void
matrix_authorities(struct kp_buf *b, const struct report_ctx *x, size_t *n)
{
	const struct kp_authority *a;
	struct kp_report_row row;
	size_t i, j, col, empty;

	for (i = 0; i < x->p->nauthorities; i++) {
		a = &x->p->authorities[i];
		for (j = 0; j < a->e.naccounts; j++)
			if (authority_shown(x, a, a->e.accounts[j]))
				break;
		if (j == a->e.naccounts)
			continue;
		row.entry = &a->e;
		row.status = kp_report_authority_status(x->p, &a->e, x->at);
		matrix_row(b, x, n, "<tr class=\"ca\"><th>CA ");
		esc(b, a->e.id);
		kp_buf_puts(b, " (");
		esc(b, a->e.owner);
		kp_buf_printf(
		    b, ")<td><span id=\"a%zu\">certificate authority ", i);
		esc(b, a->e.key->fp);
		if (row.status != KP_RS_ACTIVE)
			kp_buf_printf(
			    b, " (%s)", kp_report_status_str(row.status));
		kp_buf_puts(b, "</span>");
		empty = 0;
		for (col = 0; col < x->naccounts; col++) {
			for (j = 0; j < a->e.naccounts; j++)
				if (strcmp(a->e.accounts[j],
				        x->accounts[col]) == 0 &&
				    authority_shown(x, a, a->e.accounts[j]))
					break;
			if (j == a->e.naccounts) {
				empty++;
				continue;
			}
			put_empty(b, empty);
			empty = 0;
			row.account = a->e.accounts[j];
			kp_buf_printf(b, "<td class=\"%s\">principals ",
			    risk_class(row_risk(&row, x->at)));
			put_principals(b, a, row.account);
			kp_buf_puts(b, ": ");
			matrix_grant(b, &row);
		}
		kp_buf_putc(b, '\n');
	}
}

static void
report_matrix(struct kp_buf *b, const struct report_ctx *x)
{
	size_t i, n = 0;

	kp_buf_puts(b,
	    "<section id=\"matrix\"><h2>Access matrix</h2>\n"
	    "<p>One row per person (and certificate authority), "
	    "with the keys; one column per account: the hosts a "
	    "key may log in to there, from which sources, until "
	    "when.</p>\n"
	    "<div class=\"sort mx\" id=\"matrix-table\">"
	    "<table class=\"matrix\">");
	matrix_cols(b, x);
	kp_buf_puts(b, "<thead><tr><th>person</th><th>keys</th>");
	for (i = 0; i < x->naccounts; i++) {
		kp_buf_puts(b, "<th>");
		esc(b, x->accounts[i]);
		kp_buf_puts(b, "</th>");
	}
	kp_buf_puts(b,
	    "</tr></thead></table>\n<div class=\"mb\">"
	    "<table class=\"matrix\">");
	matrix_cols(b, x);
	kp_buf_puts(b, "<tbody>\n");
	matrix_people(b, x, &n);
	matrix_authorities(b, x, &n);
	kp_buf_puts(b, "</tbody></table></div></div></section>\n");
}

/* ------------------------------------------------------ bar charts */

/*
 * A bar chart of up to two series over ndays days from day0, as inline
 * SVG with its sizes computed here; each bar has a <title> with its
 * figures, and the chart's own title says what it shows.
 */
struct chart {
	const char *id, *title;
	int64_t day0;
	size_t ndays;
	const uint64_t *s1, *s2; /* s2 may be NULL */
	const char *n1, *n2;
	int64_t limit; /* a dashed line at this time; INT64_MIN: none */
};

static void
chart_svg(struct kp_buf *b, const struct chart *c)
{
	const unsigned left = 40, top = 10, h = 120, bottom = 30;
	unsigned bw, width;
	uint64_t max = 1;
	size_t i;

	bw = c->ndays <= 45 ? 16 : c->ndays <= 120 ? 8 : 3;
	width = left + (unsigned)c->ndays * bw + 10;
	for (i = 0; i < c->ndays; i++) {
		uint64_t v = c->s1[i] + (c->s2 != NULL ? c->s2[i] : 0);

		if (v > max)
			max = v;
	}
	kp_buf_printf(b,
	    "<svg id=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" "
	    "width=\"%u\" height=\"%u\" viewBox=\"0 0 %u %u\" role=\"img\">"
	    "<title>%s</title>",
	    c->id, width, top + h + bottom, width, top + h + bottom, c->title);
	kp_buf_printf(b,
	    "<line class=\"ax\" x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\"/>"
	    "<line class=\"ax\" x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\"/>",
	    left, top, left, top + h, left, top + h, width - 10, top + h);
	kp_buf_printf(b,
	    "<text x=\"%u\" y=\"%u\" text-anchor=\"end\">%llu</text>"
	    "<text x=\"%u\" y=\"%u\" text-anchor=\"end\">0</text>",
	    left - 4, top + 8, (unsigned long long)max, left - 4, top + h);
	for (i = 0; i < c->ndays; i++) {
		uint64_t v1 = c->s1[i], v2 = c->s2 != NULL ? c->s2[i] : 0;
		unsigned x = left + (unsigned)i * bw;
		unsigned h1 = (unsigned)(v1 * h / max),
		         h2 = (unsigned)(v2 * h / max);

		if (v1 + v2 > 0) {
			kp_buf_puts(b, "<g><title>");
			put_date(b, c->day0 + (int64_t)i * DAY);
			kp_buf_printf(
			    b, ": %llu %s", (unsigned long long)v1, c->n1);
			if (c->s2 != NULL)
				kp_buf_printf(b, ", %llu %s",
				    (unsigned long long)v2, c->n2);
			kp_buf_puts(b, "</title>");
			if (v1 > 0)
				kp_buf_printf(b,
				    "<rect class=\"bar\" x=\"%u\" y=\"%u\" "
				    "width=\"%u\" height=\"%u\"/>",
				    x + 1, top + h - h1, bw - 1,
				    h1 > 0 ? h1 : 1);
			if (v2 > 0)
				kp_buf_printf(b,
				    "<rect class=\"bar2\" x=\"%u\" y=\"%u\" "
				    "width=\"%u\" height=\"%u\"/>",
				    x + 1, top + h - h1 - (h2 > 0 ? h2 : 1),
				    bw - 1, h2 > 0 ? h2 : 1);
			kp_buf_puts(b, "</g>");
		}
		if (i % (c->ndays <= 45 ? 7 : 15) == 0) {
			kp_buf_printf(
			    b, "<text x=\"%u\" y=\"%u\">", x, top + h + 14);
			put_date(b, c->day0 + (int64_t)i * DAY);
			kp_buf_puts(b, "</text>");
		}
	}
	if (c->limit != INT64_MIN && c->limit >= c->day0 &&
	    c->limit < c->day0 + (int64_t)c->ndays * DAY) {
		unsigned x =
		    left + (unsigned)((c->limit - c->day0) * (int64_t)bw / DAY);

		kp_buf_printf(b,
		    "<line class=\"lim\" x1=\"%u\" y1=\"%u\" x2=\"%u\" "
		    "y2=\"%u\"><title>policy expires</title></line>",
		    x, top, x, top + h);
	}
	kp_buf_puts(b, "</svg>\n");
}

/* -------------------------------------------------------- timeline */

struct ending {
	int64_t t;
	size_t i; /* entry index, or authority index when ca */
	int ca;
};

static int
ending_cmp(const void *x, const void *y)
{
	const struct ending *a = x, *b = y;

	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	if (a->ca != b->ca)
		return a->ca - b->ca;
	return a->i < b->i ? -1 : a->i > b->i;
}

static int
report_timeline(struct kp_buf *b, const struct report_ctx *x)
{
	const struct kp_policy *p = x->p;
	uint64_t days[TIMELINE_DAYS] = {0};
	struct ending *v = NULL;
	int64_t day0 = x->at - ((x->at % DAY) + DAY) % DAY;
	int64_t end = x->at + TIMELINE_DAYS * DAY;
	size_t i, n = 0;
	struct chart c;

	if ((v = calloc(p->nentries + p->nauthorities + 1, sizeof(*v))) == NULL)
		return KP_ERR_NOMEM;
	for (i = 0; i < p->nentries; i++) {
		int64_t t = p->entries[i].expires;

		if (x->shown[i] && t != KP_TIME_NONE_AFTER && t >= x->at &&
		    t < end) {
			v[n].t = t;
			v[n++].i = i;
			days[(t - day0) / DAY]++;
		}
	}
	for (i = 0; i < p->nauthorities; i++) {
		int64_t t = p->authorities[i].e.expires;

		if (t != KP_TIME_NONE_AFTER && t >= x->at && t < end) {
			v[n].t = t;
			v[n].ca = 1;
			v[n++].i = i;
			days[(t - day0) / DAY]++;
		}
	}
	qsort(v, n, sizeof(*v), ending_cmp);
	kp_buf_printf(b,
	    "<section id=\"timeline\"><h2>Ending in the next %d days</h2>\n"
	    "<p><span id=\"n-ending\">%zu</span> grants, keys and "
	    "authorities end before ",
	    TIMELINE_DAYS, n);
	put_time(b, end, "-");
	kp_buf_puts(b, ".</p>\n");
	memset(&c, 0, sizeof(c));
	c.id = "timeline-chart";
	c.title = "grants and keys ending per day";
	c.day0 = day0;
	c.ndays = TIMELINE_DAYS;
	c.s1 = days;
	c.n1 = "ending";
	c.limit = p->expires != KP_TIME_NONE_AFTER ? p->expires : INT64_MIN;
	chart_svg(b, &c);
	if (n > 0) {
		kp_buf_puts(b,
		    "<table class=\"sort\" id=\"ending-table\">"
		    "<thead><tr><th>ends</th><th>key or authority"
		    "</th><th>owner</th><th>accounts</th></tr></thead>"
		    "\n<tbody>\n");
		for (i = 0; i < n && i < LIST_MAX; i++) {
			const struct kp_entry *e = v[i].ca
			    ? &p->authorities[v[i].i].e
			    : &p->entries[v[i].i];

			kp_buf_printf(b, "<tr class=\"%s\"><td>",
			    v[i].t - x->at < SOON_DAYS * DAY ? "sn" : "nx");
			put_time(b, v[i].t, "-");
			kp_buf_printf(b, "</td><td><a href=\"#%c%zu\">",
			    v[i].ca ? 'a' : 'e',
			    v[i].ca ? v[i].i : link_to(x, v[i].i));
			esc(b, e->id);
			kp_buf_puts(b, "</a></td><td>");
			esc(b, e->owner);
			kp_buf_puts(b, "</td><td>");
			esc_list(b, e->accounts, e->naccounts, "-");
			kp_buf_puts(b, "</td></tr>\n");
		}
		kp_buf_puts(b, "</tbody></table>\n");
		if (n > LIST_MAX)
			kp_buf_printf(b,
			    "<p>and %zu more: sort the keys by expiry.</p>\n",
			    n - LIST_MAX);
	}
	kp_buf_puts(b, "</section>\n");
	free(v);
	return 0;
}

/* ---------------------------------------------------- revocations */

static const char *
revoke_kind(enum kp_revoke_kind k)
{
	switch (k) {
	case KP_REVOKE_FINGERPRINT:
		return "fingerprint";
	case KP_REVOKE_KEY:
		return "key";
	case KP_REVOKE_OWNER:
		return "owner";
	case KP_REVOKE_CA:
		return "CA";
	case KP_REVOKE_SERIAL:
		return "certificate serial";
	case KP_REVOKE_KEY_ID:
		return "certificate key id";
	}
	return "?";
}

static int
report_revocations(struct kp_buf *b, const struct report_ctx *x)
{
	const struct kp_policy *p = x->p;
	size_t *links = NULL, *nlinks = NULL, i, k;
	const struct kp_revocation *rv;

	kp_buf_printf(b, "<section id=\"revocations\"><h2>Revocations</h2>\n");
	if (p->nrevoked == 0)
		kp_buf_puts(b, "<p>None.</p>\n");
	if ((links = calloc(p->nrevoked * LINKS_MAX + 1, sizeof(*links))) ==
	        NULL ||
	    (nlinks = calloc(p->nrevoked + 1, sizeof(*nlinks))) == NULL) {
		free(links);
		return KP_ERR_NOMEM;
	}
	/* Which revocation refuses each key still granted. */
	for (i = 0; i < p->nentries; i++) {
		if (!x->shown[i] || x->status[i] != KP_RS_REVOKED)
			continue;
		rv = kp_policy_revocation(
		    p, p->entries[i].key->fp, p->entries[i].owner);
		if (rv == NULL)
			continue;
		k = (size_t)(rv - p->revoked);
		if (k < p->nrevoked && nlinks[k]++ < LINKS_MAX)
			links[k * LINKS_MAX + nlinks[k] - 1] = i;
	}
	kp_buf_puts(b,
	    "<table class=\"sort\" id=\"revocations-table\">"
	    "<thead><tr><th>line</th><th>kind</th><th>value</th>"
	    "<th>reason</th><th>date</th><th>still granted</th>"
	    "</tr></thead>\n<tbody>\n");
	for (i = 0; i < p->nrevoked; i++) {
		rv = &p->revoked[i];
		kp_buf_printf(b,
		    "<tr id=\"r%zu\"%s><td>%u</td><td>%s</td>"
		    "<td class=\"mono\">",
		    i, nlinks[i] > 0 ? " class=\"rv\"" : "", rv->line,
		    revoke_kind(rv->kind));
		if (rv->kind == KP_REVOKE_SERIAL)
			kp_buf_printf(
			    b, "%llu of ", (unsigned long long)rv->serial);
		if (rv->kind == KP_REVOKE_KEY_ID) {
			esc(b, rv->key_id);
			kp_buf_puts(b, " of ");
		}
		esc(b, rv->ca_fp != NULL ? rv->ca_fp : rv->value);
		kp_buf_puts(b, "</td><td>");
		esc(b, rv->reason != NULL ? rv->reason : "-");
		kp_buf_puts(b, "</td><td>");
		put_time(b, rv->date, "-");
		kp_buf_printf(b, "</td><td data-n=\"%zu\">", nlinks[i]);
		for (k = 0; k < nlinks[i] && k < LINKS_MAX; k++) {
			size_t e = links[i * LINKS_MAX + k];

			kp_buf_printf(b, "%s<a href=\"#e%zu\">", k ? ", " : "",
			    link_to(x, e));
			esc(b, p->entries[e].id);
			kp_buf_puts(b, "</a>");
		}
		if (nlinks[i] > LINKS_MAX)
			kp_buf_printf(
			    b, " and %zu more", nlinks[i] - LINKS_MAX);
		if (nlinks[i] == 0)
			kp_buf_puts(b, "-");
		kp_buf_puts(b, "</td></tr>\n");
	}
	kp_buf_puts(b, "</tbody></table></section>\n");
	free(links);
	free(nlinks);
	return 0;
}

/* ------------------------------------------------------------ lint */

struct at_line {
	unsigned file, line;
	size_t i;
	int ca;
};

static int
at_line_cmp(const void *x, const void *y)
{
	const struct at_line *a = x, *b = y;

	if (a->file != b->file)
		return a->file < b->file ? -1 : 1;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return 0;
}

/* The file index of a diagnostic's file name in p (0 for one file). */
static unsigned
diag_file(const struct kp_policy *p, const struct kp_diag *d)
{
	size_t i;

	for (i = 0; i < p->nfiles; i++)
		if (strcmp(p->files[i], d->file) == 0)
			return (unsigned)i;
	return 0;
}

static int
names_id(const char *msg, const char *id)
{
	const char *q = msg;
	size_t n = strlen(id);

	while ((q = strchr(q, '\'')) != NULL) {
		if (strncmp(q + 1, id, n) == 0 && q[1 + n] == '\'')
			return 1;
		q++;
	}
	return 0;
}

static struct at_line *
named(const struct kp_policy *p, struct at_line *hit, struct at_line *end,
    const struct kp_diag *d)
{
	struct at_line *h;

	for (h = hit; h < end && at_line_cmp(h, hit) == 0; h++) {
		const struct kp_entry *e =
		    h->ca ? &p->authorities[h->i].e : &p->entries[h->i];

		if (names_id(d->msg, e->id))
			return h;
	}
	return hit;
}

/* w: nkept of the nw findings (security first, kp_policy_lint). */
static int
report_lint(struct kp_buf *b, const struct report_ctx *x,
    const struct kp_diag *w, size_t nkept, size_t nw)
{
	const struct kp_policy *p = x->p;
	struct at_line *v = NULL, key, *hit;
	size_t i, n = 0;

	kp_buf_printf(b, "<section id=\"lint\"><h2>Lint findings</h2>\n");
	if (nw == 0)
		kp_buf_puts(b, "<p>None.</p>\n");
	if ((v = calloc(p->nentries + p->nauthorities + 1, sizeof(*v))) == NULL)
		return KP_ERR_NOMEM;
	for (i = 0; i < p->nentries; i++) {
		v[n].file = p->entries[i].file;
		v[n].line = p->entries[i].line;
		v[n++].i = i;
	}
	for (i = 0; i < p->nauthorities; i++) {
		v[n].file = p->authorities[i].e.file;
		v[n].line = p->authorities[i].e.line;
		v[n].ca = 1;
		v[n++].i = i;
	}
	qsort(v, n, sizeof(*v), at_line_cmp);
	kp_buf_puts(b,
	    "<table class=\"sort\" id=\"lint-table\"><thead><tr>"
	    "<th>line</th><th>finding</th><th>entry</th></tr>"
	    "</thead>\n<tbody>\n");
	for (i = 0; i < nkept && i < LIST_MAX; i++) {
		memset(&key, 0, sizeof(key));
		key.file = diag_file(p, &w[i]);
		key.line = w[i].line;
		hit = w[i].line > 0
		    ? bsearch(&key, v, n, sizeof(*v), at_line_cmp)
		    : NULL;
		/*
		 * A version 2 grant makes many entries of one line: the one
		 * the finding names, else the first.
		 */
		while (
		    hit != NULL && hit > v && at_line_cmp(hit - 1, &key) == 0)
			hit--;
		if (hit != NULL)
			hit = named(p, hit, v + n, &w[i]);
		kp_buf_printf(b, "<tr><td>%u</td><td>", w[i].line);
		esc(b, w[i].msg);
		kp_buf_puts(b, "</td><td>");
		if (hit != NULL && (hit->ca || x->shown[hit->i])) {
			const struct kp_entry *e = hit->ca
			    ? &p->authorities[hit->i].e
			    : &p->entries[hit->i];

			kp_buf_printf(b, "<a href=\"#%c%zu\">",
			    hit->ca ? 'a' : 'e',
			    hit->ca ? hit->i : link_to(x, hit->i));
			esc(b, e->id);
			kp_buf_puts(b, "</a>");
		} else
			kp_buf_puts(b, "-");
		kp_buf_puts(b, "</td></tr>\n");
	}
	kp_buf_puts(b, "</tbody></table>\n");
	if (nw > i)
		kp_buf_printf(b,
		    "<p>and %zu more: keyauthctl check --all lists them "
		    "all.</p>\n",
		    nw - i);
	kp_buf_puts(b, "</section>\n");
	free(v);
	return 0;
}

int
kp_report_html(const struct kp_policy *p, const struct kp_report_filter *f,
    int64_t at, int64_t now, const struct kp_report_row *rows, size_t nrows,
    char **out)
{
	struct report_ctx x;
	struct kp_lint l;
	struct kp_diag *w = NULL;
	struct kp_buf b, tail;
	char title[128], wide[128];
	size_t i;
	int r;

	if (out != NULL)
		*out = NULL;
	if (p == NULL || out == NULL || (nrows > 0 && rows == NULL))
		return KP_ERR_ARG;
	memset(&x, 0, sizeof(x));
	x.p = p;
	x.f = f;
	x.at = at;
	x.now = now;
	x.in = rows;
	x.nrows = nrows;
	memset(&l, 0, sizeof(l));
	kp_buf_init(&b, KP_ADMIN_OUT_MAX);
	kp_buf_init(&tail, KP_ADMIN_OUT_MAX);
	/* a page lists LIST_MAX findings: as many of each kind is enough */
	if ((r = ctx_build(&x)) != 0 ||
	    (r = kp_policy_lint(p, at, LIST_MAX, &l)) != 0)
		goto out;
	if ((w = calloc(l.nw + 1, sizeof(*w))) == NULL) {
		r = KP_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < l.nw; i++)
		w[i] = l.w[i].d;
	snprintf(title, sizeof(title), "keyauth access report: serial %llu",
	    (unsigned long long)p->serial);
	/* the matrix's width: its columns' (.mx col in style_text) */
	snprintf(wide, sizeof(wide),
	    "div.mb,.mx table,.mx tbody tr>:last-child::after{width:%zuem}",
	    14 + 30 + 11 * x.naccounts + 1);
	if ((r = page_begin(&b, title, wide)) != 0)
		goto out;
	/* the sections after the matrix first: they say which keys they link */
	if ((r = report_timeline(&tail, &x)) != 0 ||
	    (r = report_revocations(&tail, &x)) != 0 ||
	    (r = report_lint(&tail, &x, w, l.nw, l.total)) != 0 ||
	    (r = tail.err) != 0)
		goto out;
	report_header(&b, &x);
	report_counts(&b, &x, l.total);
	report_matrix(&b, &x);
	kp_buf_put(&b, kp_buf_ptr(&tail), kp_buf_len(&tail));
	page_end(&b);
	if ((r = b.err) != 0)
		goto out;
	r = kp_buf_take(&b, out, NULL);
out:
	kp_buf_free(&b);
	kp_buf_free(&tail);
	free(w);
	kp_lint_free(&l);
	ctx_free(&x);
	return r;
}

/* ---------------------------------------------------------- audit */

#define CHART_DAYS_MAX 366 /* the chart shows the last year of records */
#define CHART_DAYS_MIN 14

static void
audit_header(struct kp_buf *b, const struct kp_auditlog_view *v, int64_t now)
{
	kp_buf_puts(b,
	    "<header><h1>keyauth audit summary</h1>\n"
	    "<dl class=\"state\" id=\"state\">");
	state_row(b, "h-input", "read from");
	kp_buf_puts(b,
	    v->inputs == KP_AUDITLOG_INPUT_JOURNAL
	        ? "the journal (records judged by journald's _UID and _EXE)"
	        : v->inputs == KP_AUDITLOG_INPUT_SYSLOG
	        ? "syslog text (cannot tell forged lines from real ones)"
	        : v->inputs == 0 ? "nothing"
	                         : "syslog text and the journal");
	kp_buf_puts(b, "</dd>");
	state_row(b, "h-period", "period");
	esc(b, v->first != NULL ? v->first : "-");
	kp_buf_puts(b, " .. ");
	esc(b, v->last != NULL ? v->last : "-");
	kp_buf_puts(b, "</dd>");
	if (v->policy != NULL) {
		state_row(b, "h-path", "policy");
		esc(b, v->policy->path != NULL ? v->policy->path : "-");
		kp_buf_puts(b, "</dd>");
		state_row(b, "h-serial", "serial");
		kp_buf_printf(
		    b, "%llu</dd>", (unsigned long long)v->policy->serial);
		state_row(b, "h-sha256", "sha256");
		esc(b, v->policy->sha256);
		kp_buf_puts(b, "</dd>");
	}
	state_row(b, "h-generated", "generated");
	put_time(b, now, "-");
	kp_buf_puts(b, "</dd></dl>");
	if (v->from_lookups && v->c.records > 0)
		kp_buf_puts(b,
		    "<p>No pam_keyauth account records: logins are "
		    "counted from sshd's key lookups (a lookup is not "
		    "proof of a login).</p>");
	if (v->keys_dropped > 0)
		kp_buf_printf(b,
		    "<p>%llu records of keys over the summary's limit were not "
		    "summarised.</p>",
		    (unsigned long long)v->keys_dropped);
	kp_buf_puts(b, "</header>\n");
}

static void
audit_chart(struct kp_buf *b, const struct kp_auditlog_view *v)
{
	uint64_t *s1 = NULL, *s2 = NULL;
	int64_t day0, span;
	struct chart c;
	size_t i, n;

	kp_buf_puts(b,
	    "<section id=\"per-day\"><h2>Logins and denials per "
	    "day</h2>\n");
	if (v->ndays == 0) {
		kp_buf_printf(b,
		    "<p>No record has a dated stamp (<span id=\"n-untimed\">"
		    "%llu</span> without a year).</p></section>\n",
		    (unsigned long long)v->untimed);
		return;
	}
	span = (v->days[v->ndays - 1].day - v->days[0].day) / DAY + 1;
	n = span > CHART_DAYS_MAX   ? CHART_DAYS_MAX
	    : span < CHART_DAYS_MIN ? CHART_DAYS_MIN
	                            : (size_t)span;
	day0 = v->days[v->ndays - 1].day - (int64_t)(n - 1) * DAY;
	if ((s1 = calloc(n, sizeof(*s1))) == NULL ||
	    (s2 = calloc(n, sizeof(*s2))) == NULL) {
		free(s1);
		b->err = KP_ERR_NOMEM;
		return;
	}
	for (i = 0; i < v->ndays; i++) {
		if (v->days[i].day < day0)
			continue;
		s1[(v->days[i].day - day0) / DAY] = v->days[i].logins;
		s2[(v->days[i].day - day0) / DAY] = v->days[i].denials;
	}
	if (span > CHART_DAYS_MAX)
		kp_buf_printf(b, "<p>The last %d days of the records.</p>\n",
		    CHART_DAYS_MAX);
	if (v->untimed > 0)
		kp_buf_printf(b,
		    "<p><span id=\"n-untimed\">%llu</span> records are not "
		    "in the chart: their lines' stamps have no year (BSD "
		    "syslog); the journal's always have one.</p>\n",
		    (unsigned long long)v->untimed);
	memset(&c, 0, sizeof(c));
	c.id = "per-day-chart";
	c.title = "logins (orange) and denials (red) per day";
	c.day0 = day0;
	c.ndays = n;
	c.s1 = s1;
	c.s2 = s2;
	c.n1 = "logins";
	c.n2 = "denials";
	c.limit = INT64_MIN;
	chart_svg(b, &c);
	kp_buf_puts(b,
	    "<table class=\"sort\" id=\"days-table\"><thead><tr>"
	    "<th>day</th><th>logins</th><th>denials</th></tr>"
	    "</thead>\n<tbody>\n");
	for (i = 0; i < v->ndays; i++) {
		kp_buf_puts(b, "<tr><td>");
		put_date(b, v->days[i].day);
		kp_buf_printf(b, "<td>%llu<td>%llu\n",
		    (unsigned long long)v->days[i].logins,
		    (unsigned long long)v->days[i].denials);
	}
	kp_buf_puts(b, "</tbody></table></section>\n");
	free(s1);
	free(s2);
}

static void
audit_reasons(struct kp_buf *b, const struct kp_auditlog_view *v)
{
	size_t i;

	kp_buf_puts(b,
	    "<section id=\"denials\"><h2>Denials by reason</h2>\n"
	    "<table class=\"sort\" id=\"denials-table\"><thead><tr>"
	    "<th>reason</th><th>denied</th><th>would deny "
	    "(report mode)</th></tr></thead>\n<tbody>\n");
	for (i = 0; i < KP_REASON_COUNT; i++) {
		if (v->deny[i] == 0 && v->would_deny[i] == 0)
			continue;
		kp_buf_printf(b, "<tr%s><td>%s<td>%llu<td>%llu\n",
		    i == KP_REVOKED ? " class=\"rv\"" : "",
		    kp_reason_str((enum kp_reason)i),
		    (unsigned long long)v->deny[i],
		    (unsigned long long)v->would_deny[i]);
	}
	kp_buf_puts(b, "</tbody></table></section>\n");
}

static void
audit_keys(struct kp_buf *b, const struct kp_auditlog_view *v, int revoked)
{
	const struct kp_auditlog_view_key *k;
	size_t i;

	if (revoked)
		kp_buf_puts(b,
		    "<section id=\"revoked\"><h2>Revoked keys "
		    "tried</h2>\n<table class=\"sort\" "
		    "id=\"revoked-table\"><thead><tr>");
	else
		kp_buf_printf(b,
		    "<section id=\"keys\"><h2>%s per key</h2>\n<table "
		    "class=\"sort\" id=\"keys-table\"><thead><tr>",
		    v->from_lookups ? "Lookups" : "Logins");
	kp_buf_printf(b,
	    "<th>fingerprint</th><th>owner</th><th>key ids</th>"
	    "<th>accounts</th><th>%s</th><th>last</th></tr></thead>\n"
	    "<tbody>\n",
	    revoked ? "tries" : "logins</th><th>denied");
	for (i = 0; i < v->nkeys; i++) {
		k = &v->keys[i];
		if (revoked && k->revoked == 0)
			continue;
		kp_buf_printf(b, "<tr%s><td class=\"mono\">",
		    k->revoked > 0 ? " class=\"rv\"" : "");
		esc(b, k->fp);
		kp_buf_puts(b, "<td>");
		esc(b, k->owner != NULL ? k->owner : "-");
		kp_buf_puts(b, "<td>");
		esc(b, k->ids[0] != '\0' ? k->ids : "-");
		kp_buf_puts(b, "<td>");
		esc(b, k->accounts[0] != '\0' ? k->accounts : "-");
		if (revoked) {
			kp_buf_printf(
			    b, "<td>%llu<td>", (unsigned long long)k->revoked);
			esc(b, k->last_revoked != NULL ? k->last_revoked : "-");
		} else {
			kp_buf_printf(b, "<td>%llu<td>%llu<td>",
			    (unsigned long long)k->uses,
			    (unsigned long long)k->denials);
			esc(b, k->last_use != NULL ? k->last_use : "-");
		}
		kp_buf_putc(b, '\n');
	}
	kp_buf_puts(b, "</tbody></table></section>\n");
}

static void
audit_unused(struct kp_buf *b, const struct kp_auditlog_view *v)
{
	size_t i;

	kp_buf_puts(b, "<section id=\"never-used\"><h2>Keys never used</h2>\n");
	if (!v->have_unused) {
		kp_buf_puts(b,
		    "<p>Give the policy (--policy-file) to list the "
		    "keys no record shows in use.</p></section>\n");
		return;
	}
	if (v->policy == NULL)
		kp_buf_printf(b,
		    "<p>The keys of the installed index (policy serial "
		    "%llu).</p>\n",
		    (unsigned long long)v->unused_serial);
	kp_buf_puts(b,
	    "<table class=\"sort\" id=\"never-used-table\"><thead>"
	    "<tr><th>fingerprint</th><th>owner</th><th>key ids</th>"
	    "</tr></thead>\n<tbody>\n");
	for (i = 0; i < v->nunused; i++) {
		kp_buf_puts(b, "<tr><td class=\"mono\">");
		esc(b, v->unused[i].fp);
		kp_buf_puts(b, "<td>");
		esc(b, v->unused[i].owner);
		kp_buf_puts(b, "<td>");
		esc(b, v->unused[i].ids);
		kp_buf_putc(b, '\n');
	}
	kp_buf_puts(b, "</tbody></table></section>\n");
}

/* Serials are compared as numbers when they are digits alone. */
static int
serial_num(const char *s, uint64_t *out)
{
	uint64_t n = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || n > (UINT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	*out = n;
	return 0;
}

static void
audit_hosts(struct kp_buf *b, const struct kp_auditlog_view *v)
{
	const struct kp_auditlog_view_host *h;
	uint64_t newest = 0, n;
	size_t i, behind = 0;

	for (i = 0; i < v->nhosts; i++)
		if (serial_num(v->hosts[i].serial, &n) == 0 && n > newest)
			newest = n;
	for (i = 0; i < v->nhosts; i++)
		if (serial_num(v->hosts[i].serial, &n) != 0 || n < newest)
			behind++;
	kp_buf_printf(b,
	    "<section id=\"hosts\"><h2>Serial enforced per host</h2>\n"
	    "<p>The policy each host's newest record names; newest serial "
	    "<span id=\"n-newest\">%llu</span>, <span id=\"n-behind\">%zu"
	    "</span> hosts behind it.</p>\n<table class=\"sort\" "
	    "id=\"hosts-table\"><thead><tr><th>host</th><th>serial</th>"
	    "<th>sha256</th><th>newest record</th><th>records</th></tr>"
	    "</thead>\n<tbody>\n",
	    (unsigned long long)newest, behind);
	for (i = 0; i < v->nhosts; i++) {
		h = &v->hosts[i];
		kp_buf_printf(b, "<tr class=\"%s\"><td>",
		    serial_num(h->serial, &n) == 0 && n == newest ? "ok"
		                                                  : "sn");
		esc(b, h->host);
		kp_buf_puts(b, "<td>");
		esc(b, h->serial != NULL ? h->serial : "-");
		kp_buf_puts(b, "<td class=\"mono\">");
		esc(b, h->sha256 != NULL ? h->sha256 : "-");
		kp_buf_puts(b, "<td>");
		esc(b, h->last != NULL ? h->last : "-");
		kp_buf_printf(b, "<td>%llu\n", (unsigned long long)h->records);
	}
	kp_buf_puts(b, "</tbody></table></section>\n");
}

int
kp_auditlog_html(const struct kp_auditlog *a, int64_t now, char **out)
{
	struct kp_auditlog_view *v = NULL;
	uint64_t logins = 0, denials = 0;
	struct kp_buf b;
	size_t i, nrev = 0;
	int r;

	if (out != NULL)
		*out = NULL;
	if (a == NULL || out == NULL)
		return KP_ERR_ARG;
	if ((r = kp_auditlog_view(a, &v)) != 0)
		return r;
	kp_buf_init(&b, KP_ADMIN_OUT_MAX);
	if ((r = page_begin(&b, "keyauth audit summary", NULL)) != 0)
		goto out;
	audit_header(&b, v, now);
	for (i = 0; i < v->ndays; i++)
		logins += v->days[i].logins;
	for (i = 0; i < KP_REASON_COUNT; i++)
		denials += v->deny[i];
	for (i = 0; i < v->nkeys; i++)
		nrev += v->keys[i].revoked > 0;
	kp_buf_puts(&b,
	    "<section id=\"summary\"><h2>Summary</h2>"
	    "<dl class=\"counts\">");
	count(&b, "n-records", "records", v->c.records, NULL);
	count(&b, "n-logins",
	    v->from_lookups ? "lookups (timed)" : "logins (timed)", logins,
	    "ok");
	count(&b, "n-denials", "denials", denials, "rt");
	count(&b, "n-revoked-tries", "revoked key tries", v->c.revoked_tries,
	    "rv");
	count(&b, "n-revoked-keys", "revoked keys tried", nrev, "rv");
	count(&b, "n-keys", "keys seen", v->nkeys, NULL);
	if (v->have_unused)
		count(&b, "n-never-used", "keys never used", v->nunused, "nx");
	count(&b, "n-hosts", "hosts", v->nhosts, NULL);
	count(&b, "n-malformed", "malformed lines", v->c.malformed, NULL);
	count(&b, "n-untrusted", "untrusted records", v->c.untrusted, NULL);
	kp_buf_puts(&b, "</dl></section>\n");
	audit_chart(&b, v);
	audit_reasons(&b, v);
	audit_keys(&b, v, 1);
	audit_unused(&b, v);
	audit_hosts(&b, v);
	audit_keys(&b, v, 0);
	page_end(&b);
	if ((r = b.err) == 0)
		r = kp_buf_take(&b, out, NULL);
out:
	kp_buf_free(&b);
	kp_auditlog_view_free(v);
	return r;
}
