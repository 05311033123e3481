/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * keyauth-authorized-keys: sshd's AuthorizedKeysCommand (docs/sshd-setup.md).
 *
 *   keyauth-authorized-keys [-i INDEX] [-s SPOOL] [-H HOST] ACCOUNT
 *       [FINGERPRINT TYPE BASE64 [CONNECTION...]]
 *
 * A thin front end: it parses argv and hands the request to kp_serve,
 * which prints the authorized_keys lines the policy grants to ACCOUNT
 * (only those of the offered key when one is given), leaves the PAM
 * handoff record, and gives back the one audit record this program logs
 * to syslog. Any error prints nothing and exits 1: sshd then ignores the
 * command. It never writes to stderr, which sshd discards or forwards to
 * the client.
 *
 * -H names this host (default: this machine's name, kp_host_self): the
 * index must have been compiled for it, or nothing is served (a copied
 * index or a cloned image must not grant another server's keys).
 */

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "keyauth.h"

/* Escaping grows a value at most 4 times; every value here is bounded. */
#define RECORD_MAX (64 * 1024)
#define USAGE \
	"usage: keyauth-authorized-keys [-i index] [-s spool] [-H host] " \
	"account [fingerprint type key]"

static void
audit(void *arg, int priority, const struct kp_audit *a)
{
	static char rec[RECORD_MAX];

	(void)arg;
	/* A record too long is logged as far as it goes: never mid-escape. */
	(void)kp_audit_format(a, rec, sizeof(rec));
	syslog(priority, "%s", rec);
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

/*
 * argv into q. The first problem stops it and lands in q->error, with the
 * fields read so far: the record names what was asked.
 */
static void
parse_args(int argc, char **argv, struct kp_serve_req *q, char *client,
    size_t clientlen)
{
	int ch, nargs;

	opterr = 0; /* getopt must not write to stderr */
	while ((ch = getopt(argc, argv, "+i:s:H:")) != -1) {
		switch (ch) {
		case 'i':
			q->index = optarg;
			break;
		case 's':
			q->spool = optarg;
			break;
		case 'H':
			q->host = optarg;
			if (!kp_host_name_valid(optarg)) {
				q->error = "-H: not a valid host name";
				return;
			}
			break;
		default:
			q->error = USAGE;
			return;
		}
	}
	if (q->host == NULL) {
		q->error =
		    "cannot read this host's name (gethostname); give -H";
		return;
	}
	nargs = argc - optind;
	argv += optind;
	if (nargs >= 1)
		q->account = argv[0];
	if (nargs >= 2)
		q->fp = argv[1];
	if (nargs > 4)
		q->client = client_of(nargs - 4, argv + 4, client, clientlen);
	if (nargs != 1 && nargs < 4) {
		q->error = USAGE;
		return;
	}
	if (nargs >= 4) {
		q->type = argv[2];
		q->b64 = argv[3];
	}
}

int
main(int argc, char **argv)
{
	struct kp_serve_req q;
	char client[64], host[256];
	int r;

	signal(SIGPIPE, SIG_IGN);
	openlog("keyauth-authorized-keys", LOG_PID, LOG_AUTHPRIV);
	memset(&q, 0, sizeof(q));
	q.index = KP_DEFAULT_INDEX;
	q.spool = KP_DEFAULT_SPOOL;
	if (kp_host_self(host, sizeof(host), NULL) == 0)
		q.host = host;
	if (sanitise_fds() == -1)
		q.error = "cannot open /dev/null";
	else if (kp_now(&q.now) != 0)
		q.error = "cannot read the clock";
	else
		parse_args(argc, argv, &q, client, sizeof(client));
	q.sshd = getppid();
	r = kp_serve(&q, STDOUT_FILENO, audit, NULL);
	closelog();
	return r == 0 ? 0 : 1;
}
