/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * The systemd journal's native protocol, as described in "Native Journal
 * Protocol" (https://systemd.io/JOURNAL_NATIVE_PROTOCOL/, systemd's
 * docs/JOURNAL_NATIVE_PROTOCOL.md): one AF_UNIX datagram to
 * /run/systemd/journal/socket holding the fields of one entry, each
 * either "NAME=value\n" or, for a value holding a newline,
 * "NAME\n" + its length as 64-bit little endian + the value + "\n".
 *
 * keyauth writes this small part of it by hand rather than link
 * libsystemd into the helper and the PAM module (docs/audit-log.md says
 * why, with the measurement). What journald adds itself (_UID, _PID,
 * _COMM, _EXE, from the kernel's credentials of the socket) is what
 * `keyauthctl audit --journal` trusts; the fields here are only what a
 * program may say about itself.
 *
 * kp_journal_fields builds an entry (the front ends' audit record as
 * MESSAGE, and the record's values as KEYAUTH_* fields); kp_journal_send
 * sends one. Nothing here logs: the front ends fall back to syslog(3)
 * when the journal is not there.
 */

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "keyauth.h"

/* syslog(3)'s LOG_AUTHPRIV is facility 10. */
#define FACILITY_AUTHPRIV 10

/* One field, the value written as it is (binary-safe form when needed). */
static void
put_field(struct kp_buf *b, const char *name, const char *v, size_t n)
{
	uint8_t len[8];
	uint64_t x = n;
	int i;

	kp_buf_puts(b, name);
	if (memchr(v, '\n', n) == NULL) {
		kp_buf_putc(b, '=');
		kp_buf_put(b, v, n);
	} else {
		kp_buf_putc(b, '\n');
		for (i = 0; i < 8; i++)
			len[i] = (uint8_t)(x >> (8 * i));
		kp_buf_put(b, len, sizeof(len));
		kp_buf_put(b, v, n);
	}
	kp_buf_putc(b, '\n');
}

/* A record value: absent values are left out; long ones cut as in MESSAGE. */
static void
put_value(struct kp_buf *b, const char *name, const char *v)
{
	char cut[KP_AUDIT_VALUE_MAX + 4];
	size_t n;

	if (v == NULL)
		return;
	if ((n = strnlen(v, KP_AUDIT_VALUE_MAX + 1)) > KP_AUDIT_VALUE_MAX) {
		memcpy(cut, v, KP_AUDIT_VALUE_MAX);
		memcpy(cut + KP_AUDIT_VALUE_MAX, "...", 4);
		v = cut;
		n = KP_AUDIT_VALUE_MAX + 3;
	}
	put_field(b, name, v, n);
}

static void
put_str(struct kp_buf *b, const char *name, const char *v)
{
	put_field(b, name, v, strlen(v));
}

int
kp_journal_fields(const struct kp_audit *a, int priority,
    const char *identifier, const char *message, struct kp_buf *out)
{
	char num[24], sha[17];
	size_t n;

	if (a == NULL || identifier == NULL || message == NULL || out == NULL ||
	    priority < 0 || priority > 7 ||
	    (unsigned)a->event > KP_EVENT_SESSION ||
	    (unsigned)a->verdict > KP_VERDICT_WOULD_DENY ||
	    (unsigned)a->reason >= KP_REASON_COUNT)
		return KP_ERR_ARG;
	put_str(out, "MESSAGE", message);
	snprintf(num, sizeof(num), "%d", priority);
	put_str(out, "PRIORITY", num);
	snprintf(num, sizeof(num), "%d", FACILITY_AUTHPRIV);
	put_str(out, "SYSLOG_FACILITY", num);
	put_str(out, "SYSLOG_IDENTIFIER", identifier);
	put_str(out, "KEYAUTH_EVENT", kp_audit_event_str(a->event));
	put_str(out, "KEYAUTH_DECISION", kp_audit_verdict_str(a->verdict));
	put_str(out, "KEYAUTH_REASON", kp_reason_str(a->reason));
	put_value(out, "KEYAUTH_ACCOUNT", a->account);
	put_value(out, "KEYAUTH_KEY_ID", a->key_id);
	put_value(out, "KEYAUTH_OWNER", a->owner);
	put_value(out, "KEYAUTH_FP", a->fp);
	put_value(out, "KEYAUTH_CLIENT", a->client);
	put_value(out, "KEYAUTH_HOST", a->host);
	if (a->policy_serial != 0) {
		snprintf(num, sizeof(num), "%llu",
		    (unsigned long long)a->policy_serial);
		put_str(out, "KEYAUTH_POLICY_SERIAL", num);
	}
	/* As in the record: the first 16 hex digits. */
	if (a->policy_sha256 != NULL && a->policy_sha256[0] != '\0') {
		n = strnlen(a->policy_sha256, sizeof(sha) - 1);
		memcpy(sha, a->policy_sha256, n);
		sha[n] = '\0';
		put_str(out, "KEYAUTH_POLICY_SHA256", sha);
	}
	put_value(out, "KEYAUTH_ERROR", a->error);
	put_value(out, "KEYAUTH_GRANT", a->grant);
	return out->err;
}

int
kp_journal_send(const char *socket_path, const void *buf, size_t len)
{
	struct sockaddr_un sun;
	ssize_t n;
	int fd, r = KP_ERR_IO;

	if (socket_path == NULL)
		socket_path = KP_JOURNAL_SOCKET;
	if (buf == NULL || len == 0 ||
	    strlen(socket_path) >= sizeof(sun.sun_path))
		return KP_ERR_ARG;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, socket_path, strlen(socket_path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return KP_ERR_IO;
	n = sendto(
	    fd, buf, len, MSG_NOSIGNAL, (struct sockaddr *)&sun, sizeof(sun));
	if (n == (ssize_t)len)
		r = 0;
	else if (n == -1 &&
	    (errno == ENOENT || errno == ECONNREFUSED || errno == ENOTDIR))
		r = KP_ERR_NOTFOUND; /* no journald on this machine */
	close(fd);
	return r;
}
