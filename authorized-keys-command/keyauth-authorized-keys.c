#include "config.h"

/*
 * keyauth-authorized-keys: sshd's AuthorizedKeysCommand (SPEC section 5).
 *
 *   keyauth-authorized-keys [-i INDEX] [-s SPOOL] [-H HOST] ACCOUNT
 *       [FINGERPRINT TYPE BASE64 [CONNECTION...]]
 *
 * A thin front end over the compiled index: it prints the authorized_keys
 * lines the policy grants to ACCOUNT (only those of the offered key when
 * one is given), leaves the PAM handoff record when it printed a key for an
 * offered fingerprint, and logs one audit record to syslog. Any error
 * prints nothing and exits 1: sshd then ignores the command. It never
 * writes to stderr, which sshd discards or forwards to the client.
 *
 * -H names this host (default gethostname()): the index must have been
 * compiled for it, or nothing is served (a copied index or a cloned image
 * must not grant another server's keys).
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "keyauth.h"

/* Above what sshd would ever want; bounds memory whatever the index holds. */
#define OUTPUT_MAX (16UL * 1024 * 1024)
/* Refused arguments are logged cut to this many bytes. */
#define LOGGED_ARG_MAX 256
/* Escaping grows a value at most 4 times; every value here is bounded. */
#define RECORD_MAX (64 * 1024)
#define USAGE \
	"usage: keyauth-authorized-keys [-i index] [-s spool] [-H host] " \
	"account [fingerprint type key]"

struct out {
	char *buf;
	size_t len;
	size_t size;
	const char *fp; /* the offered key's fingerprint, or NULL */
	size_t nlines;
	char entry_id[KP_ID_MAX + 1]; /* of the first line printed */
	char owner[KP_VALUE_MAX + 1];
	const char *why;
};

/* Accumulate one line; stdout is written only when everything succeeded. */
static int
add_line(void *arg, const char *line, const char *fp, const char *entry_id,
    const char *owner)
{
	struct out *o = arg;
	size_t n = strlen(line), want;
	char *nb;

	if (memchr(line, '\n', n) != NULL || memchr(line, '\r', n) != NULL) {
		o->why = "index produced a line with a line break";
		return KP_ERR_CORRUPT;
	}
	/* The index must only hand back the offered key. */
	if (o->fp != NULL && (fp == NULL || strcmp(fp, o->fp) != 0)) {
		o->why = "index returned another key than the offered one";
		return KP_ERR_CORRUPT;
	}
	if (n + 1 > OUTPUT_MAX - o->len) {
		o->why = "too many authorized keys for this account";
		return KP_ERR_TOOBIG;
	}
	if (o->len + n + 1 > o->size) {
		want = o->size == 0 ? 4096 : o->size;
		while (want < o->len + n + 1)
			want *= 2;
		if ((nb = realloc(o->buf, want)) == NULL) {
			o->why = "out of memory";
			return KP_ERR_NOMEM;
		}
		o->buf = nb;
		o->size = want;
	}
	memcpy(o->buf + o->len, line, n);
	o->buf[o->len + n] = '\n';
	o->len += n + 1;
	if (o->nlines++ == 0) {
		snprintf(o->entry_id, sizeof(o->entry_id), "%s",
		    entry_id == NULL ? "" : entry_id);
		snprintf(o->owner, sizeof(o->owner), "%s",
		    owner == NULL ? "" : owner);
	}
	return 0;
}

static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A hostile argument is logged, but cut so the record stays one datagram. */
static const char *
cut(const char *s, char *buf, size_t len)
{
	if (s == NULL || strlen(s) < len)
		return s;
	memcpy(buf, s, len - 1);
	buf[len - 1] = '\0';
	return buf;
}

static void
audit(const struct kp_audit *a)
{
	static char rec[RECORD_MAX];

	/* A record too long is logged as far as it goes: never mid-escape. */
	(void)kp_audit_format(a, rec, sizeof(rec));
	syslog(a->error != NULL ? LOG_ERR : LOG_NOTICE, "%s", rec);
}

/*
 * sshd >= 9.4 may append %C: "server_ip server_port client_ip client_port"
 * (in that order in sshd's code). The client is logged when it parses.
 */
static const char *
client_of(int nextra, char **extra, char *buf, size_t len)
{
	struct kp_cidr c;
	const char *why;

	if (nextra != 4 || kp_addr_parse(extra[2], &c, &why) != 0)
		return NULL;
	kp_cidr_format(&c, buf, len);
	return buf;
}

/* Keep fds 0-2 open so no file we open becomes stdout; silence stderr. */
static int
sanitise_fds(void)
{
	int fd;

	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		return -1;
	while (fd <= STDERR_FILENO) {
		if ((fd = dup(fd)) == -1)
			return -1;
	}
	if (dup2(fd, STDERR_FILENO) == -1)
		return -1;
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *index_path = KP_DEFAULT_INDEX, *spool = KP_DEFAULT_SPOOL;
	const char *account = NULL, *fp = NULL, *type = NULL, *b64 = NULL;
	const char *why = NULL, *this_host = NULL;
	const struct kp_index_meta *meta;
	struct kp_pubkey *key = NULL;
	struct kp_index *ix = NULL;
	struct kp_request req;
	struct kp_decision dec;
	struct kp_handoff h;
	struct kp_audit a;
	struct out o;
	char acct_buf[LOGGED_ARG_MAX], fp_buf[LOGGED_ARG_MAX];
	char client_buf[64], host[256], host_arg_buf[LOGGED_ARG_MAX];
	int64_t now = 0;
	int ch, nargs, r, ret = 1;

	signal(SIGPIPE, SIG_IGN);
	openlog("keyauth-authorized-keys", LOG_PID, LOG_AUTHPRIV);
	memset(&a, 0, sizeof(a));
	memset(&o, 0, sizeof(o));
	memset(&h, 0, sizeof(h));
	a.event = KP_EVENT_LOOKUP;
	a.verdict = KP_VERDICT_DENY;
	a.reason = KP_POLICY_UNAVAILABLE;
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		a.host = this_host = host;
	}
	if (sanitise_fds() == -1) {
		a.error = "cannot open /dev/null";
		goto out;
	}
	if (kp_now(&now) != 0) {
		a.error = "cannot read the clock";
		goto out;
	}

	opterr = 0; /* getopt must not write to stderr */
	while ((ch = getopt(argc, argv, "+i:s:H:")) != -1) {
		switch (ch) {
		case 'i':
			index_path = optarg;
			break;
		case 's':
			spool = optarg;
			break;
		case 'H':
			a.host =
			    cut(optarg, host_arg_buf, sizeof(host_arg_buf));
			if (!kp_host_name_valid(optarg)) {
				a.error = "-H: not a valid host name";
				goto out;
			}
			this_host = optarg;
			break;
		default:
			a.error = USAGE;
			goto out;
		}
	}
	if (this_host == NULL) {
		a.error = "cannot read this host's name (gethostname); give -H";
		goto out;
	}
	argc -= optind;
	argv += optind;
	nargs = argc;
	if (nargs >= 1)
		a.account = account = cut(argv[0], acct_buf, sizeof(acct_buf));
	if (nargs >= 2)
		a.fp = cut(argv[1], fp_buf, sizeof(fp_buf));
	if (nargs > 4)
		a.client = client_of(
		    nargs - 4, argv + 4, client_buf, sizeof(client_buf));
	if (nargs != 1 && nargs < 4) {
		a.error = USAGE;
		goto out;
	}
	account = argv[0];
	if (!kp_account_valid(account)) {
		a.reason = KP_ACCOUNT_NOT_ALLOWED;
		a.error = "not a valid account name";
		goto out;
	}
	if (nargs >= 4) {
		fp = argv[1];
		type = argv[2];
		b64 = argv[3];
		if (!kp_fingerprint_valid(fp)) {
			a.reason = KP_UNKNOWN_KEY;
			a.error = "not a SHA256 fingerprint (FingerprintHash "
			          "must be sha256)";
			goto out;
		}
		if ((r = kp_pubkey_parse_parts(type, b64, &key, &why)) != 0) {
			a.reason = KP_UNKNOWN_KEY;
			a.error = why != NULL ? why : kp_strerror(r);
			goto out;
		}
		if (strcmp(key->fp, fp) != 0) {
			a.reason = KP_KEY_MISMATCH;
			a.error = "fingerprint does not match the key";
			goto out;
		}
		a.fp = fp;
	}

	if ((r = kp_index_open(index_path, (uid_t)-1, &ix, &why)) != 0) {
		a.error = why != NULL ? why : kp_strerror(r);
		goto out;
	}
	meta = kp_index_meta(ix);
	a.policy_serial = meta->serial;
	a.policy_sha256 = meta->sha256;
	/* why points into ix, which lives until after the record is logged. */
	if ((r = kp_index_check_host(ix, this_host, &why)) != 0) {
		a.error = why != NULL ? why : kp_strerror(r);
		goto out;
	}
	if (now >= meta->policy_expires) {
		a.reason = KP_POLICY_STALE;
		a.error = "the installed policy has expired";
		goto out;
	}

	o.fp = fp;
	if ((r = kp_index_authorized_keys(
	         ix, account, fp, this_host, now, add_line, &o)) != 0) {
		a.error = o.why != NULL ? o.why : kp_strerror(r);
		goto out;
	}

	if (o.nlines > 0) {
		a.verdict = KP_VERDICT_ALLOW;
		a.reason = KP_ALLOWED;
		if (fp != NULL) {
			a.key_id = o.entry_id;
			a.owner = o.owner;
		}
	} else if (fp == NULL) {
		a.reason = KP_ACCOUNT_NOT_ALLOWED;
	} else {
		/* Nothing printed for the key: ask the decision why. */
		memset(&req, 0, sizeof(req));
		req.account = account;
		req.fp = fp;
		req.client = a.client;
		req.host = this_host;
		req.now = now;
		if ((r = kp_index_decide(ix, &req, &dec)) != 0) {
			a.error = kp_strerror(r);
			goto out;
		}
		a.reason = dec.reason;
		if (dec.reason == KP_ALLOWED)
			a.reason =
			    KP_UNKNOWN_KEY; /* not printed: not granted */
		if (dec.entry_id[0] != '\0')
			a.key_id = dec.entry_id;
		if (dec.owner[0] != '\0')
			a.owner = dec.owner;
	}

	/* Tell pam_keyauth which key sshd is about to accept. */
	if (fp != NULL && o.nlines > 0) {
		h.pid = getppid();
		snprintf(h.account, sizeof(h.account), "%s", account);
		snprintf(h.fp, sizeof(h.fp), "%s", fp);
		snprintf(h.entry_id, sizeof(h.entry_id), "%s", o.entry_id);
		h.time = now;
		if ((r = kp_proc_start_time(h.pid, &h.start)) != 0) {
			a.error = "cannot read the start time of sshd";
			goto deny;
		}
		if ((r = kp_handoff_write(spool, &h)) != 0) {
			a.error = r == KP_ERR_UNSAFE
			    ? "cannot write handoff record: spool must be a "
			      "directory owned by this user, not group or "
			      "world writable"
			    : "cannot write handoff record into the spool";
			goto deny;
		}
	}

	if (o.len > 0 && write_all(STDOUT_FILENO, o.buf, o.len) == -1) {
		/* sshd got no key: no record may vouch for one. */
		if (h.pid > 0)
			(void)kp_handoff_remove(spool, h.pid);
		a.error = "cannot write to standard output";
		goto deny;
	}
	ret = 0;
	goto out;
deny:
	a.verdict = KP_VERDICT_DENY;
	a.reason = KP_POLICY_UNAVAILABLE;
out:
	audit(&a);
	closelog();
	kp_index_close(ix);
	kp_pubkey_free(key);
	free(o.buf);
	return ret;
}
