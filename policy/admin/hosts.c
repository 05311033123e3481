/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * keyauthctl audit --hosts: the fleet seen through its event=install
 * records (docs/audit-log.md, docs/fleet.md), read from a central log (the
 * syslog files of many hosts, or the journal). Per host: the serial it
 * enforces and since when, its last install attempt; then the hosts that
 * lag behind the newest serial any host installed, and every refused or
 * failed install with its reason.
 *
 * Decisions:
 *  - A host is the record's host= (what keyauthctl installed for), not
 *    the syslog header's, which a relay may rewrite.
 *  - "Enforces" is the serial of the last install that left a policy in
 *    force (installed or unchanged); "since" is the first record of that
 *    serial being installed (or, when the log starts later, the first
 *    record that shows it, marked with ">=").
 *  - The newest serial is the highest any host installed, not the
 *    highest anyone tried: a refused serial (an attack, a bad signature)
 *    must not make the whole fleet look behind.
 *  - Records are ordered by their timestamps where the log has a year
 *    (RFC 3339), else by their order in the input; bounded like the login
 *    summary (MAX_HOSTS, MAX_REFUSALS).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyauth.h"
#include "kp-internal.h"
#include "kp-io.h"
#include "kp-policy.h"
#include "keyauth-admin.h"

#define MAX_HOSTS (1024 * 1024)
#define MAX_REFUSALS 10000

struct hwhen {
	char text[64];
	int64_t t;
	uint64_t seq;
};

struct refusal {
	char *host;
	struct hwhen w;
	uint64_t serial;
	char *decision;
	char *reason;
	char *error;
};

struct hoststat {
	char *name;
	uint64_t serial; /* enforced; 0: none seen */
	struct hwhen since;
	int since_exact; /* since is the record that installed it */
	struct hwhen last;
	char *last_decision;
	char *last_reason;
	uint64_t last_serial;
	uint64_t attempts, refused;
};

struct kp_hostlog {
	struct kp_hostlog_counts c;
	struct hoststat *hosts;
	size_t nhosts, cap;
	struct kp_strtab byname;
	struct refusal *ref;
	size_t nref, capref;
	uint64_t ref_dropped, hosts_dropped;
	uint64_t newest;
};

int
kp_hostlog_new(struct kp_hostlog **out)
{
	struct kp_hostlog *h;

	if (out == NULL)
		return KP_ERR_ARG;
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		*out = NULL;
		return KP_ERR_NOMEM;
	}
	kp_strtab_init(&h->byname);
	*out = h;
	return 0;
}

void
kp_hostlog_free(struct kp_hostlog *h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < h->nhosts; i++) {
		free(h->hosts[i].name);
		free(h->hosts[i].last_decision);
		free(h->hosts[i].last_reason);
	}
	for (i = 0; i < h->nref; i++) {
		free(h->ref[i].host);
		free(h->ref[i].decision);
		free(h->ref[i].reason);
		free(h->ref[i].error);
	}
	free(h->hosts);
	free(h->ref);
	kp_strtab_free(&h->byname);
	free(h);
}

static int
hlater(const struct hwhen *a, const struct hwhen *b)
{
	if (b->seq == 0)
		return 1;
	if (a->t != INT64_MIN && b->t != INT64_MIN)
		return a->t > b->t || (a->t == b->t && a->seq > b->seq);
	return a->seq > b->seq;
}

static struct hoststat *
host_get(struct kp_hostlog *h, const char *name, int *err)
{
	struct hoststat *s, *tmp;
	size_t i, cap;

	if (kp_strtab_get(&h->byname, name, &i))
		return &h->hosts[i];
	if (h->nhosts >= MAX_HOSTS) {
		h->hosts_dropped++;
		return NULL;
	}
	if (h->nhosts == h->cap) {
		cap = h->cap == 0 ? 64 : h->cap * 2;
		if ((tmp = reallocarray(h->hosts, cap, sizeof(*tmp))) == NULL) {
			*err = KP_ERR_NOMEM;
			return NULL;
		}
		h->hosts = tmp;
		h->cap = cap;
	}
	s = &h->hosts[h->nhosts];
	memset(s, 0, sizeof(*s));
	if ((s->name = strdup(name)) == NULL) {
		*err = KP_ERR_NOMEM;
		return NULL;
	}
	/* the table borrows s->name, which never moves */
	if (kp_strtab_put(&h->byname, s->name, h->nhosts, NULL) < 0) {
		free(s->name);
		*err = KP_ERR_NOMEM;
		return NULL;
	}
	h->nhosts++;
	return s;
}

static int
replace(char **dst, const char *s)
{
	char *c = NULL;

	if (s != NULL && (c = strdup(s)) == NULL)
		return KP_ERR_NOMEM;
	free(*dst);
	*dst = c;
	return 0;
}

static uint64_t
serial_of(const char *s)
{
	return s == NULL ? 0 : strtoull(s, NULL, 10);
}

#define FV(f, i) ((f)->absent[i] ? NULL : (f)->value[i])

static int
add_refusal(struct kp_hostlog *h, const char *host,
    const struct kp_audit_fields *f, const struct hwhen *w, uint64_t serial)
{
	struct refusal *r, *tmp;
	size_t cap;

	if (h->nref >= MAX_REFUSALS) {
		h->ref_dropped++;
		return 0;
	}
	if (h->nref == h->capref) {
		cap = h->capref == 0 ? 16 : h->capref * 2;
		if ((tmp = reallocarray(h->ref, cap, sizeof(*tmp))) == NULL)
			return KP_ERR_NOMEM;
		h->ref = tmp;
		h->capref = cap;
	}
	r = &h->ref[h->nref];
	memset(r, 0, sizeof(*r));
	r->w = *w;
	r->serial = serial;
	if ((r->host = strdup(host)) == NULL ||
	    (r->decision = strdup(f->value[1])) == NULL ||
	    (r->reason = strdup(f->value[2])) == NULL ||
	    (f->error != NULL && (r->error = strdup(f->error)) == NULL)) {
		free(r->host);
		free(r->decision);
		free(r->reason);
		return KP_ERR_NOMEM;
	}
	h->nref++;
	return 0;
}

/* One event=install record at w. */
static int
install_record(struct kp_hostlog *h, const struct kp_audit_fields *f,
    const struct hwhen *w)
{
	const char *decision = f->value[1], *host = FV(f, 8);
	uint64_t serial = serial_of(FV(f, 9));
	struct hoststat *s;
	int err = 0, r, in_force;

	if (host == NULL)
		host = "-";
	if ((s = host_get(h, host, &err)) == NULL)
		return err;
	s->attempts++;
	in_force = strcmp(decision, "installed") == 0 ||
	    strcmp(decision, "unchanged") == 0;
	if (!in_force) {
		s->refused++;
		h->c.refused++;
		if ((r = add_refusal(h, host, f, w, serial)) != 0)
			return r;
	}
	/* Only the latest attempt says what the host does now. */
	if (!hlater(w, &s->last))
		return 0;
	s->last = *w;
	s->last_serial = serial;
	if ((r = replace(&s->last_decision, decision)) != 0 ||
	    (r = replace(&s->last_reason, f->value[2])) != 0)
		return r;
	if (in_force && serial != 0) {
		if (serial != s->serial) {
			s->serial = serial;
			s->since = *w;
			s->since_exact = strcmp(decision, "installed") == 0;
		} else if (!s->since_exact &&
		    strcmp(decision, "installed") == 0) {
			s->since = *w;
			s->since_exact = 1;
		}
		if (serial > h->newest)
			h->newest = serial;
	}
	return 0;
}

int
kp_hostlog_add_line(struct kp_hostlog *h, const char *line, size_t len)
{
	struct kp_audit_fields f;
	struct hwhen w;
	char *copy;
	size_t off;
	int r;

	if (h == NULL || (line == NULL && len > 0))
		return KP_ERR_ARG;
	h->c.lines++;
	memset(&w, 0, sizeof(w));
	w.seq = h->c.lines;
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len == 0 || memmem(line, len, "event=install ", 14) == NULL) {
		h->c.other++;
		return 0;
	}
	if (len > KP_AUDITLOG_LINE_MAX || memchr(line, '\0', len) != NULL ||
	    !kp_auditlog_locate_install(
	        line, len, &off, w.text, sizeof(w.text), &w.t)) {
		h->c.malformed++;
		return 0;
	}
	if ((copy = malloc(len - off + 1)) == NULL)
		return KP_ERR_NOMEM;
	memcpy(copy, line + off, len - off);
	copy[len - off] = '\0';
	r = kp_audit_parse(copy, &f);
	free(copy);
	if (r == KP_ERR_NOMEM)
		return r;
	if (r != 0 || strcmp(f.value[0], "install") != 0) {
		if (r == 0)
			kp_audit_fields_free(&f);
		h->c.malformed++;
		return 0;
	}
	r = install_record(h, &f, &w);
	kp_audit_fields_free(&f);
	if (r != 0)
		return r;
	h->c.records++;
	return 0;
}

static int
host_line(void *arg, const char *line, size_t len)
{
	struct kp_hostlog *h = arg;

	if (line == NULL) {
		h->c.lines++;
		h->c.malformed++;
		return 0;
	}
	return kp_hostlog_add_line(h, line, len);
}

int
kp_hostlog_read(struct kp_hostlog *h, FILE *f)
{
	if (h == NULL || f == NULL)
		return KP_ERR_ARG;
	return kp_read_lines(f, KP_AUDITLOG_LINE_MAX, host_line, h);
}

void
kp_hostlog_counts(const struct kp_hostlog *h, struct kp_hostlog_counts *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	if (h == NULL)
		return;
	*out = h->c;
	out->hosts = h->nhosts;
	out->newest = h->newest;
	for (i = 0; i < h->nhosts; i++)
		if (h->hosts[i].serial < h->newest)
			out->lagging++;
}

/* ------------------------------------------------------------ output */

static int
cmp_host(const void *a, const void *b)
{
	return strcmp((*(const struct hoststat *const *)a)->name,
	    (*(const struct hoststat *const *)b)->name);
}

/* Hosts sorted by name, as pointers into h. */
static const struct hoststat **
sorted(const struct kp_hostlog *h)
{
	const struct hoststat **v;
	size_t i;

	if ((v = calloc(h->nhosts + 1, sizeof(*v))) == NULL)
		return NULL;
	for (i = 0; i < h->nhosts; i++)
		v[i] = &h->hosts[i];
	qsort(v, h->nhosts, sizeof(*v), cmp_host);
	return v;
}

static void
put_when(struct kp_buf *b, const struct hwhen *w, int exact)
{
	if (w->seq == 0) {
		kp_buf_puts(b, "-");
		return;
	}
	if (!exact)
		kp_buf_puts(b, ">= ");
	kp_text_safe(b, w->text[0] != '\0' ? w->text : "(no timestamp)");
}

static int
format_text(
    const struct kp_hostlog *h, const struct hoststat **v, struct kp_buf *b)
{
	static const char *const head[] = {
	    "HOST", "SERIAL", "SINCE", "LAST INSTALL", "AT"};
	struct kp_table t;
	const struct hoststat *s;
	size_t i, lag = 0;
	int r;

	kp_buf_printf(b,
	    "hosts: %zu; newest serial installed: %llu; %llu install "
	    "records, %llu refused or failed\n",
	    h->nhosts, (unsigned long long)h->newest,
	    (unsigned long long)h->c.records, (unsigned long long)h->c.refused);
	kp_table_init(&t, head, 5);
	for (i = 0; i < h->nhosts; i++) {
		s = v[i];
		kp_table_put_safe(&t, s->name);
		if (s->serial == 0)
			kp_table_put(&t, "-");
		else
			kp_buf_printf(kp_table_cell(&t), "%llu",
			    (unsigned long long)s->serial);
		put_when(kp_table_cell(&t), &s->since, s->since_exact);
		{
			struct kp_buf *c = kp_table_cell(&t);

			kp_text_safe(c, s->last_decision);
			kp_buf_printf(
			    c, " %llu", (unsigned long long)s->last_serial);
			if (strcmp(s->last_reason, "ok") != 0) {
				kp_buf_puts(c, " (");
				kp_text_safe(c, s->last_reason);
				kp_buf_puts(c, ")");
			}
		}
		put_when(kp_table_cell(&t), &s->last, 1);
		if (s->serial < h->newest)
			lag++;
	}
	if ((r = kp_table_write(b, &t, "  ")) != 0) {
		kp_table_free(&t);
		return r;
	}
	kp_table_free(&t);
	kp_buf_printf(b, "\nlagging behind serial %llu: %zu %s\n",
	    (unsigned long long)h->newest, lag, lag == 1 ? "host" : "hosts");
	for (i = 0; i < h->nhosts; i++) {
		s = v[i];
		if (s->serial >= h->newest)
			continue;
		kp_buf_puts(b, "  ");
		kp_text_safe(b, s->name);
		if (s->serial == 0)
			kp_buf_puts(b, ": enforces no policy");
		else
			kp_buf_printf(b, ": enforces %llu",
			    (unsigned long long)s->serial);
		if (s->last_decision != NULL &&
		    strcmp(s->last_decision, "installed") != 0 &&
		    strcmp(s->last_decision, "unchanged") != 0) {
			kp_buf_puts(b, "; last install ");
			kp_text_safe(b, s->last_decision);
			kp_buf_puts(b, ": ");
			kp_text_safe(b, s->last_reason);
		}
		kp_buf_puts(b, "\n");
	}
	kp_buf_printf(b, "\nrefused or failed installs: %zu%s\n", h->nref,
	    h->ref_dropped > 0 ? " (more not kept)" : "");
	for (i = 0; i < h->nref; i++) {
		const struct refusal *rf = &h->ref[i];

		kp_buf_puts(b, "  ");
		kp_text_safe(b, rf->host);
		kp_buf_puts(b, "  ");
		put_when(b, &rf->w, 1);
		kp_buf_printf(
		    b, "  serial %llu  ", (unsigned long long)rf->serial);
		kp_text_safe(b, rf->decision);
		kp_buf_puts(b, " ");
		kp_text_safe(b, rf->reason);
		if (rf->error != NULL) {
			kp_buf_puts(b, ": ");
			kp_text_safe(b, rf->error);
		}
		kp_buf_puts(b, "\n");
	}
	return 0;
}

static void
json_when(struct kp_buf *b, const struct hwhen *w)
{
	if (w->seq == 0 || w->text[0] == '\0')
		kp_buf_puts(b, "null");
	else
		kp_json_str(b, w->text);
}

static int
format_json(
    const struct kp_hostlog *h, const struct hoststat **v, struct kp_buf *b)
{
	const struct hoststat *s;
	size_t i, n = 0;

	kp_buf_printf(b,
	    "{\n  \"hosts_version\": 1,\n  \"newest_serial\": %llu,\n"
	    "  \"records\": %llu,\n  \"hosts\": [",
	    (unsigned long long)h->newest, (unsigned long long)h->c.records);
	for (i = 0; i < h->nhosts; i++) {
		s = v[i];
		kp_buf_puts(b, i > 0 ? ",\n    {" : "\n    {");
		kp_buf_puts(b, "\"host\": ");
		kp_json_str(b, s->name);
		if (s->serial == 0)
			kp_buf_puts(b, ", \"serial\": null");
		else
			kp_buf_printf(b, ", \"serial\": %llu",
			    (unsigned long long)s->serial);
		kp_buf_puts(b, ", \"since\": ");
		json_when(b, &s->since);
		kp_buf_printf(b, ", \"since_exact\": %s",
		    s->since_exact ? "true" : "false");
		kp_buf_printf(b, ", \"lagging\": %s",
		    s->serial < h->newest ? "true" : "false");
		kp_buf_puts(b, ", \"last\": {\"decision\": ");
		kp_json_str(b, s->last_decision);
		kp_buf_puts(b, ", \"reason\": ");
		kp_json_str(b, s->last_reason);
		kp_buf_printf(b, ", \"serial\": %llu, \"at\": ",
		    (unsigned long long)s->last_serial);
		json_when(b, &s->last);
		kp_buf_printf(b, "}, \"attempts\": %llu, \"refused\": %llu}",
		    (unsigned long long)s->attempts,
		    (unsigned long long)s->refused);
	}
	kp_buf_puts(b,
	    h->nhosts > 0 ? "\n  ],\n  \"lagging\": ["
	                  : "],\n  \"lagging\": [");
	for (i = 0; i < h->nhosts; i++) {
		if (v[i]->serial >= h->newest)
			continue;
		kp_buf_puts(b, n++ > 0 ? ", " : "");
		kp_json_str(b, v[i]->name);
	}
	kp_buf_puts(b, "],\n  \"refused\": [");
	for (i = 0; i < h->nref; i++) {
		const struct refusal *rf = &h->ref[i];

		kp_buf_puts(b, i > 0 ? ",\n    {" : "\n    {");
		kp_buf_puts(b, "\"host\": ");
		kp_json_str(b, rf->host);
		kp_buf_puts(b, ", \"at\": ");
		json_when(b, &rf->w);
		kp_buf_printf(b, ", \"serial\": %llu, \"decision\": ",
		    (unsigned long long)rf->serial);
		kp_json_str(b, rf->decision);
		kp_buf_puts(b, ", \"reason\": ");
		kp_json_str(b, rf->reason);
		kp_buf_puts(b, ", \"error\": ");
		kp_json_str(b, rf->error);
		kp_buf_puts(b, "}");
	}
	kp_buf_puts(b, h->nref > 0 ? "\n  ]\n}\n" : "]\n}\n");
	return 0;
}

int
kp_hostlog_format(const struct kp_hostlog *h, enum kp_format fmt, char **out)
{
	const struct hoststat **v = NULL;
	struct kp_buf b;
	int r;

	if (out != NULL)
		*out = NULL;
	if (h == NULL || out == NULL || fmt == KP_FORMAT_CSV)
		return KP_ERR_ARG;
	if ((v = sorted(h)) == NULL)
		return KP_ERR_NOMEM;
	kp_buf_init(&b, KP_ADMIN_OUT_MAX);
	r = fmt == KP_FORMAT_JSON ? format_json(h, v, &b)
	                          : format_text(h, v, &b);
	if (r == 0 && b.err != 0)
		r = b.err;
	if (r == 0)
		r = kp_buf_take(&b, out, NULL);
	kp_buf_free(&b);
	free(v);
	return r;
}
