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
 * command. Under sshd it never writes to stderr, which sshd discards or
 * forwards to the client.
 *
 * A person who runs it on a terminal (standard error is a tty, which it
 * never is under sshd) gets -h/--help and -V/--version, and the reason of
 * an error on standard error as well; everything else is the same.
 *
 * -H names this host (default: this machine's name, kp_host_self): the
 * index must have been compiled for it, or nothing is served (a copied
 * index or a cloned image must not grant another server's keys).
 *
 * It runs only as root or as the configured AuthorizedKeysCommandUser,
 * and takes -i and -s from root only: otherwise any local user could run
 * it with a spool of their own and a made-up client address, and log a
 * genuine-looking "decision=allow" record (docs/security.md).
 */

#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
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

#define IDENT "keyauth-authorized-keys"

/* Standard error is a terminal: a person, not sshd, runs this. */
static int tty;
/* The last record's error (or reason), for that person. */
static char last_error[1024];

/*
 * The record goes to the journal with its values as KEYAUTH_* fields
 * (journald then knows which program and uid wrote it, which is what
 * keyauthctl audit --journal trusts), or to syslog where there is no
 * journald: the same message either way (docs/audit-log.md).
 */
static void
audit(void *arg, int priority, const struct kp_audit *a)
{
	static char rec[RECORD_MAX];
	struct kp_buf j;

	(void)arg;
	/* A record too long is logged as far as it goes: never mid-escape. */
	(void)kp_audit_format(a, rec, sizeof(rec));
	kp_buf_init(&j, 4 * RECORD_MAX);
	if (kp_journal_fields(a, priority, IDENT, rec, &j) != 0 ||
	    kp_journal_send(NULL, j.s, j.len) != 0)
		syslog(priority, "%s", rec);
	kp_buf_free(&j);
	if (tty)
		snprintf(last_error, sizeof(last_error), "%s (%s)%s%s",
		    a->verdict == KP_VERDICT_ALLOW ? "allowed" : "denied",
		    kp_reason_str(a->reason), a->error != NULL ? ": " : "",
		    a->error != NULL ? a->error : "");
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

/*
 * Keep fds 0-2 open so no file we open becomes stdout; silence stderr
 * (unless a person at a terminal reads it).
 */
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
	if (!tty && dup2(fd, STDERR_FILENO) == -1)
		return -1;
	close(fd);
	return 0;
}

/*
 * NULL when uid may run the helper: root, or the AuthorizedKeysCommandUser
 * configured at build time. Else why not, in buf.
 */
static const char *
caller_refused(uid_t uid, char *buf, size_t len)
{
	const struct passwd *pw;

	if (uid == 0)
		return NULL;
	if ((pw = getpwnam(KP_KEYAUTH_USER)) != NULL && pw->pw_uid == uid)
		return NULL;
	snprintf(buf, len,
	    "run by uid %lu: only root and %s may run "
	    "keyauth-authorized-keys",
	    (unsigned long)uid, KP_KEYAUTH_USER);
	return buf;
}

/*
 * argv into q. The first problem stops it and lands in q->error, with the
 * fields read so far: the record names what was asked. Only root may
 * name other paths than the installed ones. -h and -V (on a terminal
 * only; elsewhere they are unknown options, as they always were) land in
 * *action.
 */
static void
parse_args(int argc, char **argv, struct kp_serve_req *q, char *client,
    size_t clientlen, int *action)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	int ch, nargs;
	int root = getuid() == 0;

	opterr = 0; /* getopt must not write to stderr */
	while (
	    (ch = getopt_long(argc, argv, "+i:s:H:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
		case 'V':
			if (!tty) {
				q->error = USAGE;
				return;
			}
			*action = ch;
			return;
		case 'i':
		case 's':
			if (!root) {
				q->error =
				    "-i and -s are for root only: the "
				    "AuthorizedKeysCommandUser reads the "
				    "installed index and spool";
				return;
			}
			if (ch == 'i')
				q->index = optarg;
			else
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

/* -h: the usage; -V: the version. 0, or 1 when stdout failed. */
static int
answer(int action)
{
	if (action == 'h')
		printf(
		    "%s\n\n"
		    "sshd's AuthorizedKeysCommand: prints the authorized_keys "
		    "lines the\n"
		    "installed keyauth policy grants the account (the offered "
		    "key's, or all)\n"
		    "and logs one audit record (authpriv). It runs as root or "
		    "as %s only.\n\n"
		    "  -i index      the index keyauthctl install wrote "
		    "(default %s; root only)\n"
		    "  -s spool      the handoff spool for pam_keyauth "
		    "(default %s; root only)\n"
		    "  -H host       this host's name (default: the "
		    "hostname)\n"
		    "  -h, --help    this text (on a terminal)\n"
		    "  -V, --version the version (on a terminal)\n\n"
		    "In sshd_config: AuthorizedKeysCommand %s %%u %%f %%t "
		    "%%k\n"
		    "keyauth-authorized-keys(8) says more.\n",
		    USAGE, KP_KEYAUTH_USER, KP_DEFAULT_INDEX, KP_DEFAULT_SPOOL,
		    KP_DEFAULT_HELPER);
	else
		printf("%s (%s) %s\n", IDENT, PACKAGE_NAME, PACKAGE_VERSION);
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}

/* The whole command line is -h, --help, -V or --version. */
static int
only_asks(int argc, char **argv)
{
	if (argc != 2)
		return 0;
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		return 'h';
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0)
		return 'V';
	return 0;
}

int
main(int argc, char **argv)
{
	struct kp_serve_req q;
	char client[64], host[256], why[128];
	int r, action = 0;

	tty = isatty(STDERR_FILENO);
	/* A person asking, whoever they are: nothing is looked up or logged. */
	if (tty && (action = only_asks(argc, argv)) != 0)
		return answer(action);
	signal(SIGPIPE, SIG_IGN);
	openlog(IDENT, LOG_PID, LOG_AUTHPRIV);
	memset(&q, 0, sizeof(q));
	q.index = KP_DEFAULT_INDEX;
	q.spool = KP_DEFAULT_SPOOL;
	if (kp_host_self(host, sizeof(host), NULL) == 0)
		q.host = host;
	if (sanitise_fds() == -1)
		q.error = "cannot open /dev/null";
	else if ((q.error = caller_refused(getuid(), why, sizeof(why))) != NULL)
		; /* nothing of argv goes into the record */
	else if (kp_now(&q.now) != 0)
		q.error = "cannot read the clock";
	else
		parse_args(argc, argv, &q, client, sizeof(client), &action);
	if (action != 0) {
		closelog();
		return answer(action);
	}
	q.sshd = getppid();
	r = kp_serve(&q, STDOUT_FILENO, audit, NULL);
	closelog();
	if (r != 0 && tty)
		fprintf(stderr, "keyauth-authorized-keys: %s\n",
		    last_error[0] != '\0' ? last_error : "failed");
	return r == 0 ? 0 : 1;
}
