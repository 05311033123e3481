/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "keyauth.h"
#include "kp-internal.h"

const char *
kp_strerror(int r)
{
	switch (r) {
	case KP_OK:
		return "success";
	case KP_ERR_NOMEM:
		return "out of memory";
	case KP_ERR_IO:
		return "input/output error";
	case KP_ERR_INVALID:
		return "invalid input";
	case KP_ERR_UNSAFE:
		return "unsafe file ownership, mode, type or link";
	case KP_ERR_TOOBIG:
		return "over a size, depth or count limit";
	case KP_ERR_CORRUPT:
		return "index truncated or corrupt";
	case KP_ERR_VERSION:
		return "index of another format version";
	case KP_ERR_NOTFOUND:
		return "not found";
	case KP_ERR_ARG:
		return "invalid argument";
	case KP_ERR_ROLLBACK:
		return "serial lower than the installed one (rollback)";
	case KP_ERR_CONFLICT:
		return "same serial as the installed policy, different content";
	case KP_ERR_INTERNAL:
		return "internal error";
	default:
		return "unknown error";
	}
}

void
kp_diag_format(const struct kp_diag *d, char *buf, size_t len)
{
	char file[sizeof(d->file) + 1];
	const char *msg;

	if (buf == NULL || len == 0)
		return;
	buf[0] = '\0';
	if (d == NULL)
		return;
	/* The struct may come from anywhere: never trust its NUL. */
	snprintf(file, sizeof(file), "%.*s", (int)sizeof(d->file), d->file);
	msg = d->msg;
	if (memchr(d->msg, '\0', sizeof(d->msg)) == NULL)
		msg = "(unterminated message)";

	if (file[0] != '\0' && d->line != 0 && d->column != 0)
		snprintf(
		    buf, len, "%s:%u:%u: %s", file, d->line, d->column, msg);
	else if (file[0] != '\0' && d->line != 0)
		snprintf(buf, len, "%s:%u: %s", file, d->line, msg);
	else if (file[0] != '\0')
		snprintf(buf, len, "%s: %s", file, msg);
	else if (d->line != 0 && d->column != 0)
		snprintf(buf, len, "line %u, column %u: %s", d->line, d->column,
		    msg);
	else if (d->line != 0)
		snprintf(buf, len, "line %u: %s", d->line, msg);
	else
		snprintf(buf, len, "%s", msg);
}

void
kp_diag_vset(struct kp_diag *d, const char *file, unsigned line,
    unsigned column, const char *fmt, va_list ap)
{
	if (d == NULL)
		return;
	memset(d, 0, sizeof(*d));
	if (file != NULL)
		snprintf(d->file, sizeof(d->file), "%s", file);
	d->line = line;
	d->column = column;
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
}

void
kp_diag_set(struct kp_diag *d, const char *file, unsigned line, unsigned column,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kp_diag_vset(d, file, line, column, fmt, ap);
	va_end(ap);
}

void
kp_diag_at(
    struct kp_diag *d, unsigned line, unsigned column, const char *fmt, ...)
{
	va_list ap;

	if (d == NULL)
		return;
	d->line = line;
	d->column = column;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
}
