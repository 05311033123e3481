/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kp_login_decide, the whole of pam_keyauth after reading PAM's items:
 * every outcome and reason the module used to map itself (bad arguments
 * and users, the handoff record and SSH_AUTH_INFO_0, each decision
 * reason, no key with nokey=deny|ignore, audit mode, an unusable or
 * foreign index, the session's key_mismatch, the client address), with
 * the exact records and their priorities.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "frontend.h"
#include "../test.h"

#define V4 "192.0.2.10 50000 192.0.2.1 22"

static char sha[65], stale_sha[65], self_sha[65], self[256];
static const char *ix, *foreign, *stale, *selfix, *spool;
static struct f_log lg;
static struct kp_login_keys kept;
static int nkept, keep_fails;

static int
keep(void *arg, const struct kp_login_keys *keys)
{
	(void)arg;
	nkept++;
	if (keep_fails)
		return -1;
	kept = *keys;
	return 0;
}

static void
req_init(struct kp_login_req *q, enum kp_login_stage stage, const char *user)
{
	memset(q, 0, sizeof(*q));
	q->stage = stage;
	q->index = ix;
	q->spool = spool;
	q->host = F_HOST;
	q->user = user;
	q->ssh_connection = V4;
	q->pid = getpid();
	q->keep = keep;
	q->record = f_record;
	q->note = f_note;
	q->arg = &lg;
}

static enum kp_login_outcome
login(const struct kp_login_req *q)
{
	memset(&lg, 0, sizeof(lg));
	memset(&kept, 0, sizeof(kept));
	nkept = 0;
	return kp_login_decide(q);
}

/* Leave the record keyauth-authorized-keys would leave for us. */
static void
handoff(const char *account, int key, int64_t age)
{
	struct kp_handoff h;

	memset(&h, 0, sizeof(h));
	h.pid = getpid();
	if (kp_proc_start_time(h.pid, &h.start) != 0)
		f_die("start time");
	snprintf(h.account, sizeof(h.account), "%s", account);
	snprintf(h.fp, sizeof(h.fp), "%s", f_fp[key]);
	snprintf(h.entry_id, sizeof(h.entry_id), "from-helper");
	if (kp_now(&h.time) != 0)
		f_die("clock");
	h.time -= age;
	if (kp_handoff_write(spool, &h) != 0)
		f_die("handoff write");
}

static const char *
info(int key)
{
	return f_fmt("publickey ssh-ed25519 %s", f_b64[key]);
}

static const char *
sha16(const char *s)
{
	static char b[17];

	memcpy(b, s, 16);
	b[16] = '\0';
	return b;
}

/* The tail of a record decided against the test index. */
static const char *
tail(const char *client)
{
	return f_fmt("client=%s host=web-01 policy_serial=42 policy_sha256=%s",
	    client, sha16(sha));
}

static void
test_account_handoff(void)
{
	struct kp_login_req q;

	handoff("alice", K_PLAIN, 0);
	req_init(&q, KP_LOGIN_ACCOUNT, "alice");
	CHECK_INT(login(&q), KP_LOGIN_ALLOW);
	CHECK_INT(lg.n, 1);
	CHECK_STR(lg.rec[0],
	    f_fmt("event=account decision=allow reason=allowed account=alice "
	          "key_id=plain owner=alice@example.com fp=%s %s",
	        f_fp[K_PLAIN], tail("192.0.2.10")));
	CHECK_INT(lg.prio[0], LOG_NOTICE);
	CHECK_INT(f_count(spool), 0); /* taken */
	CHECK_INT(nkept, 1);
	CHECK_INT(kept.n, 1);
	CHECK_STR(kept.fp[0], f_fp[K_PLAIN]);
	/* diagnostics for the debug argument, never key material */
	CHECK_CONTAINS(f_notes(&lg), "account: alice\n");
	CHECK_CONTAINS(f_notes(&lg), "client: 192.0.2.10\n");
	CHECK_CONTAINS(f_notes(&lg),
	    f_fmt("key from handoff record: %s\n", f_fp[K_PLAIN]));
	CHECK(strstr(f_notes(&lg), f_b64[K_PLAIN]) == NULL);
	CHECK_INT(lg.nprio[0], LOG_DEBUG);

	/* each decision reason, as its own record */
	handoff("alice", K_STOLEN, 0);
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_STR(lg.rec[0],
	    f_fmt("event=account decision=deny reason=revoked account=alice "
	          "key_id=- owner=mallory@example.com fp=%s %s",
	        f_fp[K_STOLEN], tail("192.0.2.10")));
	CHECK_INT(lg.prio[0], LOG_NOTICE);
	handoff("alice", K_UNKNOWN, 0);
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_STR(lg.rec[0],
	    f_fmt("event=account decision=deny reason=unknown_key "
	          "account=alice key_id=- owner=- fp=%s %s",
	        f_fp[K_UNKNOWN], tail("192.0.2.10")));
	handoff("alice", K_OLD, 0);
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_CONTAINS(lg.rec[0],
	    "decision=deny reason=expired account=alice "
	    "key_id=old owner=old@example.com");
	handoff("alice", K_FUTURE, 0);
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_CONTAINS(lg.rec[0],
	    "reason=not_yet_valid account=alice "
	    "key_id=future");
	handoff("alice", K_OTHERHOST, 0);
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_CONTAINS(lg.rec[0],
	    "reason=host_not_allowed account=alice "
	    "key_id=other-host");
	handoff("alice", K_DEPLOY, 0);
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_CONTAINS(lg.rec[0],
	    "reason=account_not_allowed account=alice "
	    "key_id=deploy-only");
	handoff("alice", K_NET, 0);
	q.ssh_connection = "203.0.113.9 50000 192.0.2.1 22";
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_STR(lg.rec[0],
	    f_fmt("event=account decision=deny reason=source_not_allowed "
	          "account=alice key_id=net owner=net@example.com fp=%s %s",
	        f_fp[K_NET], tail("203.0.113.9")));
	CHECK_INT(f_count(spool), 0);

	/* audit mode: would_deny, and the login passes */
	handoff("alice", K_STOLEN, 0);
	req_init(&q, KP_LOGIN_ACCOUNT, "alice");
	q.audit = 1;
	CHECK_INT(login(&q), KP_LOGIN_ALLOW);
	CHECK_CONTAINS(lg.rec[0],
	    "event=account decision=would_deny "
	    "reason=revoked account=alice");
	handoff("alice", K_PLAIN, 0);
	CHECK_INT(login(&q), KP_LOGIN_ALLOW);
	CHECK_CONTAINS(lg.rec[0], "decision=allow reason=allowed");
}

static void
test_account_handoff_refused(void)
{
	struct kp_login_req q;
	struct kp_handoff h;
	char p[256];

	/* someone else's, from the future: the login is refused */
	req_init(&q, KP_LOGIN_ACCOUNT, "alice");
	handoff("deploy", K_PLAIN, 0);
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_INT(lg.n, 1);
	CHECK_CONTAINS(lg.rec[0],
	    "event=account decision=deny reason=no_key "
	    "account=alice key_id=- owner=- fp=- "
	    "client=192.0.2.10 host=web-01 "
	    "policy_serial=- policy_sha256=- "
	    "error=\"handoff record refused: ");
	CHECK_INT(lg.prio[0], LOG_ERR);
	CHECK_INT(nkept, 0);
	CHECK_INT(f_count(spool), 0);
	handoff("alice", K_PLAIN, -300);
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_CONTAINS(lg.rec[0], "reason=no_key");
	/* ... even with nokey=ignore; allowed in audit mode */
	handoff("deploy", K_PLAIN, 0);
	q.nokey_ignore = 1;
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_CONTAINS(lg.rec[0], "decision=deny reason=no_key");
	handoff("deploy", K_PLAIN, 0);
	q.nokey_ignore = 0;
	q.audit = 1;
	CHECK_INT(login(&q), KP_LOGIN_ALLOW);
	CHECK_CONTAINS(lg.rec[0], "decision=would_deny reason=no_key");
	CHECK_INT(lg.prio[0], LOG_ERR);

	/* a record that is not a handoff record at all */
	snprintf(p, sizeof(p), "%s/%ld", spool, (long)getpid());
	f_write(p, "junk\n", 5, 0600);
	req_init(&q, KP_LOGIN_ACCOUNT, "alice");
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_CONTAINS(lg.rec[0], "reason=no_key");
	CHECK_CONTAINS(lg.rec[0], "error=\"handoff record refused: ");
	CHECK_INT(f_count(spool), 0);

	/* the record of another process is not ours, and stays */
	memset(&h, 0, sizeof(h));
	h.pid = 1;
	snprintf(h.account, sizeof(h.account), "alice");
	snprintf(h.fp, sizeof(h.fp), "%s", f_fp[K_PLAIN]);
	snprintf(h.entry_id, sizeof(h.entry_id), "plain");
	if (kp_proc_start_time(1, &h.start) != 0 || kp_now(&h.time) != 0 ||
	    kp_handoff_write(spool, &h) != 0)
		f_die("pid 1 record");
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_CONTAINS(lg.rec[0],
	    "decision=deny reason=no_key account=alice "
	    "key_id=- owner=- fp=- client=192.0.2.10");
	CHECK(strstr(lg.rec[0], "error=") == NULL);
	CHECK_CONTAINS(f_notes(&lg), "no handoff record in: ");
	CHECK_INT(f_count(spool), 1);
	CHECK_INT(kp_handoff_remove(spool, 1), 0);
}

/* The record of an earlier process with our pid, as a recycled pid finds it. */
static void
handoff_earlier(const char *account, int key)
{
	struct kp_handoff h;

	memset(&h, 0, sizeof(h));
	h.pid = getpid();
	if (kp_proc_start_time(h.pid, &h.start) != 0 || kp_now(&h.time) != 0)
		f_die("start time");
	h.start -= 7;
	snprintf(h.account, sizeof(h.account), "%s", account);
	snprintf(h.fp, sizeof(h.fp), "%s", f_fp[key]);
	snprintf(h.entry_id, sizeof(h.entry_id), "from-helper");
	if (kp_handoff_write(spool, &h) != 0)
		f_die("handoff write");
}

/*
 * Records no login can use (older than the grace time, an earlier process
 * with this pid) are removed and mean nothing: no key, not a refusal, so
 * nokey=ignore still lets the login through (docs/security.md).
 */
static void
test_account_handoff_left_behind(void)
{
	struct kp_login_req q;

	req_init(&q, KP_LOGIN_ACCOUNT, "alice");
	handoff("alice", K_PLAIN, KP_HANDOFF_GRACE + 180);
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_INT(lg.n, 1);
	CHECK_STR(lg.rec[0],
	    "event=account decision=deny reason=no_key account=alice "
	    "key_id=- owner=- fp=- client=192.0.2.10 host=web-01 "
	    "policy_serial=- policy_sha256=-");
	CHECK_INT(lg.prio[0], LOG_NOTICE);
	CHECK_CONTAINS(f_notes(&lg),
	    "handoff record ignored: handoff record is older than the login "
	    "grace time\n");
	CHECK_INT(f_count(spool), 0);
	handoff_earlier("deploy", K_STOLEN);
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_STR(lg.rec[0],
	    "event=account decision=deny reason=no_key account=alice "
	    "key_id=- owner=- fp=- client=192.0.2.10 host=web-01 "
	    "policy_serial=- policy_sha256=-");
	CHECK_CONTAINS(f_notes(&lg),
	    "handoff record ignored: handoff record is for an earlier "
	    "process with this pid\n");
	CHECK_INT(f_count(spool), 0);
	/* with nokey=ignore the module abstains, as for any keyless login */
	q.nokey_ignore = 1;
	handoff_earlier("alice", K_PLAIN);
	CHECK_INT(login(&q), KP_LOGIN_IGNORE);
	CHECK_CONTAINS(lg.rec[0], "decision=allow reason=no_key account=alice");
	handoff("alice", K_PLAIN, KP_HANDOFF_GRACE + 1);
	CHECK_INT(login(&q), KP_LOGIN_IGNORE);
	CHECK_INT(f_count(spool), 0);
	/* exactly the grace time is still the login's */
	q.nokey_ignore = 0;
	handoff("alice", K_PLAIN, KP_HANDOFF_GRACE - 1);
	CHECK_INT(login(&q), KP_LOGIN_ALLOW);
}

/*
 * sshd runs the account stage of a keyboard-interactive login in a child
 * of the process that ran the helper: with no record of its own, the
 * module takes its parent's, checked against the parent's start time.
 */
static void
test_account_handoff_parent(void)
{
	struct kp_login_req q;
	pid_t child;

	if ((child = fork()) == 0)
		_exit(0);
	if (child < 0 || waitpid(child, NULL, 0) != child)
		f_die("fork");
	req_init(&q, KP_LOGIN_ACCOUNT, "alice");
	q.pid = child; /* has no record */
	q.ppid = getpid();
	handoff("alice", K_PLAIN, 0);
	CHECK_INT(login(&q), KP_LOGIN_ALLOW);
	CHECK_INT(lg.n, 1);
	CHECK_CONTAINS(lg.rec[0],
	    f_fmt("event=account decision=allow reason=allowed account=alice "
	          "key_id=plain owner=alice@example.com fp=%s",
	        f_fp[K_PLAIN]));
	CHECK_INT(f_count(spool), 0); /* taken */
	CHECK_INT(kept.n, 1);
	/* the parent's record is checked like our own */
	handoff("deploy", K_PLAIN, 0);
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_CONTAINS(lg.rec[0], "reason=no_key");
	CHECK_CONTAINS(lg.rec[0],
	    "error=\"handoff record refused: handoff record is for another "
	    "account\"");
	CHECK_INT(f_count(spool), 0);
	handoff_earlier("alice", K_PLAIN);
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK(strstr(lg.rec[0], "error=") == NULL);
	CHECK_INT(f_count(spool), 0);
	/* with a record of our own, ours is the one taken */
	q.pid = getpid();
	q.ppid = getppid();
	handoff("alice", K_PLAIN, 0);
	CHECK_INT(login(&q), KP_LOGIN_ALLOW);
	CHECK_INT(f_count(spool), 0);
	/* the parent's pid is ignored when it is 1 or our own */
	q.pid = child;
	q.ppid = 1;
	handoff("alice", K_PLAIN, 0);
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_CONTAINS(lg.rec[0], "reason=no_key");
	CHECK_INT(f_count(spool), 1);
	CHECK_INT(kp_handoff_remove(spool, getpid()), 0);
}

/*
 * Each stage sweeps the spool; the session stage also removes what its
 * own process left and no account stage took.
 */
static void
test_stage_tidies(void)
{
	struct kp_login_req q;
	struct kp_handoff h;
	pid_t child;

	if ((child = fork()) == 0)
		_exit(0);
	if (child < 0)
		f_die("fork");
	memset(&h, 0, sizeof(h));
	h.pid = child;
	if (kp_proc_start_time(child, &h.start) != 0 || kp_now(&h.time) != 0)
		f_die("start time");
	snprintf(h.account, sizeof(h.account), "alice");
	snprintf(h.fp, sizeof(h.fp), "%s", f_fp[K_PLAIN]);
	snprintf(h.entry_id, sizeof(h.entry_id), "plain");
	if (kp_handoff_write(spool, &h) != 0 ||
	    waitpid(child, NULL, 0) != child)
		f_die("child record");
	CHECK_INT(f_count(spool), 1);
	req_init(&q, KP_LOGIN_ACCOUNT, "alice");
	q.auth_info = info(K_PLAIN);
	CHECK_INT(login(&q), KP_LOGIN_ALLOW);
	CHECK_INT(f_count(spool), 0);
	/* a record of ours that the account stage never took */
	handoff("alice", K_PLAIN, 0);
	req_init(&q, KP_LOGIN_SESSION, "alice");
	q.auth_info = info(K_PLAIN);
	CHECK_INT(login(&q), KP_LOGIN_ALLOW);
	CHECK_INT(f_count(spool), 0);
}

/*
 * A version 2 policy: the module's records end with the grant of the
 * entry that decided, read from the index (the handoff carries no grant);
 * the record of the same login under a version 1 policy has none.
 */
static void
test_grants(void)
{
	struct kp_login_req q;
	char yaml[2048], v2sha[65];
	char *v2;

	snprintf(yaml, sizeof(yaml),
	    "version: 2\nserial: 43\n"
	    "people:\n  alice@example.com:\n    keys:\n"
	    "      - id: plain\n        key: ssh-ed25519 %s\n"
	    "groups:\n  ops: [alice@example.com]\n"
	    "grants:\n"
	    "  - id: ops-office\n    to: [group:ops]\n"
	    "    accounts: [alice]\n    from: [198.51.100.0/24]\n"
	    "  - id: alice-any\n    to: [alice@example.com]\n"
	    "    accounts: [alice]\n",
	    f_b64[K_PLAIN]);
	f_compile_yaml("v2.cdb", F_HOST, yaml, v2sha);
	if ((v2 = strdup(f_path("v2.cdb"))) == NULL)
		f_die("strdup");

	/* From 192.0.2.10 the first grant's from: refuses, the second allows. */
	handoff("alice", K_PLAIN, 0);
	req_init(&q, KP_LOGIN_ACCOUNT, "alice");
	q.index = v2;
	CHECK_INT(login(&q), KP_LOGIN_ALLOW);
	CHECK_INT(lg.n, 1);
	CHECK_STR(lg.rec[0],
	    f_fmt(
	        "event=account decision=allow reason=allowed account=alice "
	        "key_id=plain owner=alice@example.com fp=%s client=192.0.2.10 "
	        "host=web-01 policy_serial=43 policy_sha256=%s "
	        "grant=alice-any",
	        f_fp[K_PLAIN], sha16(v2sha)));
	/* Refused: the grant of the entry that got furthest. */
	handoff("root", K_PLAIN, 0);
	req_init(&q, KP_LOGIN_ACCOUNT, "root");
	q.index = v2;
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_CONTAINS(lg.rec[0],
	    "decision=deny reason=account_not_allowed account=root "
	    "key_id=plain ");
	CHECK_CONTAINS(lg.rec[0], " grant=ops-office");
	/* The version 1 index: the same login's record has no grant=. */
	handoff("alice", K_PLAIN, 0);
	req_init(&q, KP_LOGIN_ACCOUNT, "alice");
	CHECK_INT(login(&q), KP_LOGIN_ALLOW);
	CHECK(lg.n == 1 && strstr(lg.rec[0], "grant=") == NULL);
	CHECK_INT(f_count(spool), 0);
	free(v2);
}

static void
test_account_authinfo(void)
{
	struct kp_login_req q;
	char many[8192];
	size_t i, o = 0;

	/* multi-method logins: both the listed key and the handoff key */
	req_init(&q, KP_LOGIN_ACCOUNT, "alice");
	q.auth_info = f_fmt("password\n%s\n", info(K_NET));
	handoff("alice", K_UNKNOWN, 0);
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_INT(lg.n, 2);
	CHECK_CONTAINS(lg.rec[0],
	    f_fmt("decision=deny reason=unknown_key "
	          "account=alice key_id=- owner=- fp=%s",
	        f_fp[K_UNKNOWN]));
	CHECK_CONTAINS(lg.rec[1],
	    f_fmt("decision=allow reason=allowed "
	          "account=alice key_id=net "
	          "owner=net@example.com fp=%s",
	        f_fp[K_NET]));
	CHECK_INT(kept.n, 2);

	/* a key keyauth cannot use does not make the login keyless */
	q.auth_info = "publickey ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1l";
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_INT(lg.n, 1);
	CHECK_CONTAINS(lg.rec[0],
	    "event=account decision=deny reason=no_key "
	    "account=alice key_id=- owner=- fp=- ");
	CHECK_CONTAINS(lg.rec[0],
	    "error=\"SSH_AUTH_INFO_0 names a certificate keyauth "
	    "cannot use (ssh-ed25519-cert-v01@openssh.com: ");
	CHECK_INT(nkept, 0);
	q.auth_info = "publickey ssh-ed25519";
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_CONTAINS(lg.rec[0], "reason=no_key");
	CHECK_CONTAINS(lg.rec[0], "error=\"SSH_AUTH_INFO_0 is malformed (");
	for (i = 0; i < KP_LOGIN_MAX_KEYS + 1; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, "%s\n",
		    info((int)(K_UNKNOWN + i % (F_NKEYS - K_UNKNOWN))));
	q.auth_info = many;
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_CONTAINS(lg.rec[0],
	    "error=\"SSH_AUTH_INFO_0 names more than 16 "
	    "keys\"");
	q.audit = 1;
	CHECK_INT(login(&q), KP_LOGIN_ALLOW);
	CHECK_CONTAINS(lg.rec[0], "decision=would_deny reason=no_key");
	CHECK_INT(f_count(spool), 0);
}

static void
test_no_key(void)
{
	struct kp_login_req q;

	req_init(&q, KP_LOGIN_ACCOUNT, "alice");
	q.auth_info = "password";
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_INT(lg.n, 1);
	CHECK_STR(lg.rec[0],
	    "event=account decision=deny reason=no_key "
	    "account=alice key_id=- owner=- fp=- "
	    "client=192.0.2.10 host=web-01 policy_serial=- "
	    "policy_sha256=-");
	CHECK_INT(lg.prio[0], LOG_NOTICE);
	CHECK_INT(nkept, 1); /* "no key" is what the session must see too */
	CHECK_INT(kept.n, 0);
	q.nokey_ignore = 1;
	CHECK_INT(login(&q), KP_LOGIN_IGNORE);
	CHECK_CONTAINS(lg.rec[0], "event=account decision=allow reason=no_key");
	q.nokey_ignore = 0;
	q.audit = 1;
	CHECK_INT(login(&q), KP_LOGIN_ALLOW);
	CHECK_CONTAINS(lg.rec[0], "decision=would_deny reason=no_key");
	q.nokey_ignore = 1;
	CHECK_INT(login(&q), KP_LOGIN_IGNORE);
	CHECK_CONTAINS(lg.rec[0], "decision=allow reason=no_key");

	/* the session stage alone, keyless */
	req_init(&q, KP_LOGIN_SESSION, "alice");
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_CONTAINS(lg.rec[0], "event=session decision=deny reason=no_key");
	CHECK_INT(nkept, 0); /* only the account stage keeps keys */
}

static void
test_session(void)
{
	struct kp_login_req q;
	struct kp_login_keys acct;

	memset(&acct, 0, sizeof(acct));
	acct.n = 1;
	snprintf(acct.fp[0], sizeof(acct.fp[0]), "%s", f_fp[K_PLAIN]);

	req_init(&q, KP_LOGIN_SESSION, "alice");
	q.account_keys = &acct;
	q.auth_info = info(K_PLAIN);
	CHECK_INT(login(&q), KP_LOGIN_ALLOW);
	CHECK_STR(lg.rec[0],
	    f_fmt("event=session decision=allow reason=allowed account=alice "
	          "key_id=plain owner=alice@example.com fp=%s %s",
	        f_fp[K_PLAIN], tail("192.0.2.10")));

	/* a key the account stage did not see, even one the policy allows */
	q.auth_info = info(K_NET);
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_STR(lg.rec[0],
	    f_fmt("event=session decision=deny reason=key_mismatch "
	          "account=alice key_id=net owner=net@example.com fp=%s %s",
	        f_fp[K_NET], tail("192.0.2.10")));
	q.audit = 1;
	CHECK_INT(login(&q), KP_LOGIN_ALLOW);
	CHECK_CONTAINS(lg.rec[0], "decision=would_deny reason=key_mismatch");
	q.audit = 0;
	/* a policy refusal is reported as itself */
	q.auth_info = info(K_STOLEN);
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_CONTAINS(lg.rec[0], "event=session decision=deny reason=revoked");
	/* no key at the session after a key at the account stage */
	q.auth_info = "password";
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_STR(lg.rec[0],
	    f_fmt("event=session decision=deny reason=key_mismatch "
	          "account=alice key_id=- owner=- fp=%s client=192.0.2.10 "
	          "host=web-01 policy_serial=- policy_sha256=-",
	        f_fp[K_PLAIN]));
	/* two keys, one refused: both records, the login refused */
	acct.n = 2;
	snprintf(acct.fp[1], sizeof(acct.fp[1]), "%s", f_fp[K_STOLEN]);
	q.auth_info = f_fmt("%s\n%s", info(K_PLAIN), info(K_STOLEN));
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_INT(lg.n, 2);
	CHECK_CONTAINS(lg.rec[0], "decision=allow reason=allowed");
	CHECK_CONTAINS(lg.rec[1], "decision=deny reason=revoked");
	/* the account stage kept no key (nokey=ignore): a key now differs */
	acct.n = 0;
	q.auth_info = info(K_PLAIN);
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_CONTAINS(lg.rec[0],
	    "reason=key_mismatch account=alice "
	    "key_id=plain");
	/* no account stage in this handle: the session decides alone */
	q.account_keys = NULL;
	CHECK_INT(login(&q), KP_LOGIN_ALLOW);
	CHECK_CONTAINS(lg.rec[0], "event=session decision=allow");
	q.auth_info = "publickey ssh-ed25519 !!!";
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_CONTAINS(lg.rec[0], "event=session decision=deny reason=no_key");
}

static void
test_bad_inputs(void)
{
	struct kp_login_req q;

	/* bad arguments refuse even in audit mode, and name the login */
	req_init(&q, KP_LOGIN_ACCOUNT, "alice");
	q.config_error = "unknown module argument";
	q.config_arg = "bogus=1";
	q.audit = 1;
	handoff("alice", K_PLAIN, 0);
	CHECK_INT(login(&q), KP_LOGIN_BAD_CONFIG);
	CHECK_INT(lg.n, 1);
	CHECK_STR(lg.rec[0],
	    "event=account decision=deny "
	    "reason=policy_unavailable account=alice key_id=- "
	    "owner=- fp=- client=192.0.2.10 host=web-01 "
	    "policy_serial=- policy_sha256=- error=\"unknown "
	    "module argument: bogus=1\"");
	CHECK_INT(lg.prio[0], LOG_ERR);
	CHECK_INT(f_count(spool), 1); /* no decision, nothing taken */
	CHECK_INT(kp_handoff_remove(spool, getpid()), 0);
	q.stage = KP_LOGIN_SESSION;
	CHECK_INT(login(&q), KP_LOGIN_BAD_CONFIG);
	CHECK_CONTAINS(lg.rec[0],
	    "event=session decision=deny "
	    "reason=policy_unavailable");
	/* the argument at fault, as printable text */
	q.config_arg = "host=a\nb c";
	CHECK_INT(login(&q), KP_LOGIN_BAD_CONFIG);
	CHECK_CONTAINS(
	    lg.rec[0], "error=\"unknown module argument: host=a?b?c\"");
	q.config_arg = NULL;
	q.config_error = "missing module argument";
	CHECK_INT(login(&q), KP_LOGIN_BAD_CONFIG);
	CHECK_CONTAINS(lg.rec[0], "error=\"missing module argument: (null)\"");

	/* users no policy can name */
	req_init(&q, KP_LOGIN_ACCOUNT, NULL);
	CHECK_INT(login(&q), KP_LOGIN_BAD_USER);
	CHECK_STR(lg.rec[0],
	    "event=account decision=deny "
	    "reason=account_not_allowed account=- key_id=- "
	    "owner=- fp=- client=192.0.2.10 host=web-01 "
	    "policy_serial=- policy_sha256=- error=\"no user "
	    "name\"");
	CHECK_INT(lg.prio[0], LOG_ERR);
	req_init(&q, KP_LOGIN_SESSION, "Bad User");
	CHECK_INT(login(&q), KP_LOGIN_BAD_USER);
	CHECK_CONTAINS(lg.rec[0],
	    "event=session decision=deny "
	    "reason=account_not_allowed account=\"Bad "
	    "User\" ");
	CHECK_CONTAINS(lg.rec[0], "error=\"invalid account name\"");
	req_init(&q, KP_LOGIN_ACCOUNT, "x\ny");
	q.audit = 1;
	CHECK_INT(login(&q), KP_LOGIN_ALLOW);
	CHECK_CONTAINS(lg.rec[0],
	    "decision=would_deny "
	    "reason=account_not_allowed "
	    "account=\"x\\x0ay\"");

	/* no request: refused */
	memset(&lg, 0, sizeof(lg));
	CHECK_INT(kp_login_decide(NULL), KP_LOGIN_BAD_CONFIG);
	CHECK_INT(lg.n, 0);
}

static void
test_client(void)
{
	struct kp_login_req q;

	req_init(&q, KP_LOGIN_SESSION, "alice");
	q.auth_info = info(K_NET);
	q.ssh_connection = "::ffff:192.0.2.10 50000 ::1 22";
	CHECK_INT(login(&q), KP_LOGIN_ALLOW);
	CHECK_CONTAINS(lg.rec[0], " client=192.0.2.10 ");
	/* a name is never resolved; a warning, then source_unknown */
	q.ssh_connection = "lab-host 1 2 3";
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_CONTAINS(lg.rec[0],
	    "reason=source_unknown account=alice "
	    "key_id=net owner=net@example.com");
	CHECK_CONTAINS(lg.rec[0], " client=- ");
	CHECK_INT(lg.nnotes >= 1, 1);
	CHECK_STR(lg.note[0],
	    "SSH_CONNECTION does not start with an IP "
	    "address (not an IP address (hostnames are not "
	    "allowed))");
	CHECK_INT(lg.nprio[0], LOG_WARNING);
	/* without SSH_CONNECTION, an IP literal PAM_RHOST */
	q.ssh_connection = NULL;
	q.rhost = "192.0.2.77";
	CHECK_INT(login(&q), KP_LOGIN_ALLOW);
	CHECK_CONTAINS(lg.rec[0], " client=192.0.2.77 ");
	q.rhost = "localhost";
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_CONTAINS(lg.rec[0], "reason=source_unknown");
	/* SSH_CONNECTION wins */
	q.ssh_connection = "203.0.113.9 50000 192.0.2.1 22";
	q.rhost = "192.0.2.77";
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_CONTAINS(lg.rec[0], "reason=source_not_allowed");
	CHECK_CONTAINS(lg.rec[0], " client=203.0.113.9 ");
	/* an unrestricted key needs no address */
	q.ssh_connection = NULL;
	q.rhost = NULL;
	q.auth_info = info(K_PLAIN);
	CHECK_INT(login(&q), KP_LOGIN_ALLOW);
	CHECK_CONTAINS(lg.rec[0], " client=- host=web-01 ");
}

static void
test_index_problems(void)
{
	struct kp_login_req q;

	/* missing: a system error, LOG_ERR, the index named */
	req_init(&q, KP_LOGIN_ACCOUNT, "alice");
	q.index = f_path("missing.cdb");
	q.auth_info = info(K_PLAIN);
	CHECK_INT(login(&q), KP_LOGIN_SYSTEM);
	CHECK_STR(lg.rec[0],
	    f_fmt("event=account decision=deny reason=policy_unavailable "
	          "account=alice key_id=- owner=- fp=%s client=192.0.2.10 "
	          "host=web-01 policy_serial=- policy_sha256=- "
	          "error=\"cannot use index %s: file does not exist\"",
	        f_fp[K_PLAIN], q.index));
	CHECK_INT(lg.prio[0], LOG_ERR);
	q.stage = KP_LOGIN_SESSION;
	CHECK_INT(login(&q), KP_LOGIN_SYSTEM);
	CHECK_CONTAINS(lg.rec[0],
	    "event=session decision=deny "
	    "reason=policy_unavailable");
	q.audit = 1;
	CHECK_INT(login(&q), KP_LOGIN_ALLOW);
	CHECK_CONTAINS(lg.rec[0],
	    "decision=would_deny "
	    "reason=policy_unavailable");

	/* another host's index */
	req_init(&q, KP_LOGIN_ACCOUNT, "alice");
	q.index = foreign;
	q.auth_info = f_fmt("%s\n%s", info(K_PLAIN), info(K_NET));
	CHECK_INT(login(&q), KP_LOGIN_SYSTEM);
	CHECK_INT(lg.n, 1);
	/* two keys: the failure names neither */
	CHECK_STR(lg.rec[0],
	    f_fmt("event=account decision=deny reason=policy_unavailable "
	          "account=alice key_id=- owner=- fp=- client=192.0.2.10 "
	          "host=web-01 policy_serial=- policy_sha256=- "
	          "error=\"cannot use index %s: index was compiled for host "
	          "db-01, this host is web-01: run keyauthctl install on this "
	          "host\"",
	        foreign));

	/* stale: every key refused as policy_stale, at LOG_ERR */
	req_init(&q, KP_LOGIN_ACCOUNT, "alice");
	q.index = stale;
	q.auth_info = info(K_PLAIN);
	CHECK_INT(login(&q), KP_LOGIN_DENY);
	CHECK_STR(lg.rec[0],
	    f_fmt("event=account decision=deny reason=policy_stale "
	          "account=alice key_id=- owner=alice@example.com fp=%s "
	          "client=192.0.2.10 host=web-01 policy_serial=42 "
	          "policy_sha256=%s",
	        f_fp[K_PLAIN], sha16(stale_sha)));
	CHECK_INT(lg.prio[0], LOG_ERR);

	/* a damaged record: the decision fails, the login is a system error */
	{
		char path[256], needle[1 + KP_FP_LEN];
		char *buf = NULL, *at;
		size_t len = 0;

		snprintf(path, sizeof(path), "%s", f_path("damaged.cdb"));
		buf = f_read(ix, &len);
		snprintf(needle, sizeof(needle), "F%s", f_fp[K_PLAIN]);
		if ((at = memmem(buf, len, needle, strlen(needle))) == NULL)
			f_die("record of the plain key");
		/* a byte of its value, after the 16-bit entry number */
		at[1 + 50 + 2 + 3] ^= 0xff;
		f_write(path, buf, len, 0644);
		free(buf);
		req_init(&q, KP_LOGIN_ACCOUNT, "alice");
		q.index = path;
		q.auth_info = f_fmt("%s\n%s", info(K_PLAIN), info(K_NET));
		CHECK_INT(login(&q), KP_LOGIN_SYSTEM);
		CHECK_INT(lg.n, 2);
		CHECK_CONTAINS(lg.rec[0],
		    f_fmt("decision=deny reason=policy_unavailable "
		          "account=alice key_id=- owner=- fp=%s ",
		        f_fp[K_PLAIN]));
		CHECK_CONTAINS(lg.rec[0], "error=\"decision failed: ");
		CHECK_CONTAINS(lg.rec[1], "decision=allow reason=allowed");
		/* a refusal next to it makes the login a denial */
		q.auth_info = f_fmt("%s\n%s", info(K_PLAIN), info(K_STOLEN));
		CHECK_INT(login(&q), KP_LOGIN_DENY);
		q.audit = 1;
		CHECK_INT(login(&q), KP_LOGIN_ALLOW);
		CHECK_CONTAINS(lg.rec[0],
		    "decision=would_deny "
		    "reason=policy_unavailable");
	}

	/* without host=, this machine's own name */
	req_init(&q, KP_LOGIN_SESSION, "alice");
	q.host = NULL;
	q.index = selfix;
	q.auth_info = info(K_PLAIN);
	CHECK_INT(login(&q), KP_LOGIN_ALLOW);
	CHECK_CONTAINS(lg.rec[0], f_fmt(" host=%s policy_serial=42 ", self));
	(void)self_sha;
}

static void
test_keep_fails(void)
{
	struct kp_login_req q;

	/* the session could not tell a swapped key: refuse */
	keep_fails = 1;
	req_init(&q, KP_LOGIN_ACCOUNT, "alice");
	q.auth_info = info(K_PLAIN);
	CHECK_INT(login(&q), KP_LOGIN_NOMEM);
	CHECK_INT(lg.n, 1);
	CHECK_STR(lg.rec[0],
	    "event=account decision=deny "
	    "reason=policy_unavailable account=alice key_id=- "
	    "owner=- fp=- client=192.0.2.10 host=web-01 "
	    "policy_serial=- policy_sha256=- error=\"out of "
	    "memory\"");
	q.audit = 1;
	CHECK_INT(login(&q), KP_LOGIN_ALLOW);
	CHECK_CONTAINS(lg.rec[0], "decision=would_deny");
	q.keep = NULL;
	q.audit = 0;
	CHECK_INT(login(&q), KP_LOGIN_NOMEM);
	keep_fails = 0;
}

int
main(void)
{
	if (f_setup() != 0)
		return t_skip("the index reader accepts only root-owned "
		              "files: run as root");
	if (kp_host_self(self, sizeof(self), NULL) != 0) {
		f_cleanup();
		return t_skip("this machine's name is not a valid host name");
	}
	f_compile("policy.cdb", F_HOST, NULL, sha);
	f_compile("foreign.cdb", "db-01", NULL, sha);
	f_compile("stale.cdb", F_HOST, "2001-01-01T00:00:00Z", stale_sha);
	f_compile("self.cdb", self, NULL, self_sha);
	ix = strdup(f_path("policy.cdb"));
	foreign = strdup(f_path("foreign.cdb"));
	stale = strdup(f_path("stale.cdb"));
	selfix = strdup(f_path("self.cdb"));
	spool = strdup(f_path("spool"));
	if (mkdir(spool, 0700) != 0)
		f_die("spool");

	T_CASE("account handoff");
	test_account_handoff();
	T_CASE("account handoff refused");
	test_account_handoff_refused();
	test_account_handoff_left_behind();
	test_account_handoff_parent();
	test_stage_tidies();
	T_CASE("grants");
	test_grants();
	T_CASE("account authinfo");
	test_account_authinfo();
	T_CASE("no key");
	test_no_key();
	T_CASE("session");
	test_session();
	T_CASE("bad inputs");
	test_bad_inputs();
	T_CASE("client");
	test_client();
	T_CASE("index problems");
	test_index_problems();
	T_CASE("keep fails");
	test_keep_fails();

	f_cleanup();
	return t_done();
}
