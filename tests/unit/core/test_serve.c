/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kp_serve, the whole of keyauth-authorized-keys after argv: every reason
 * and outcome the helper used to work out itself (bad arguments, an
 * invalid account or key, a fingerprint that is not the key's, an
 * unusable, foreign or stale index, each decision reason, the handoff
 * record and a failing stdout), with the exact record and priority.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "frontend.h"
#include "../test.h"

static char sha[65], stale_sha[65];
static const char *ix, *foreign, *stale, *spool, *outpath;
static struct f_log lg;
static char out[65536];
static size_t outlen;

/* A request as the helper builds it for -H web-01 and the test paths. */
static void
req_init(struct kp_serve_req *q, const char *account, int key)
{
	memset(q, 0, sizeof(*q));
	q->account = account;
	if (key >= 0) {
		q->fp = f_fp[key];
		q->type = "ssh-ed25519";
		q->b64 = f_b64[key];
	}
	q->host = F_HOST;
	q->index = ix;
	q->spool = spool;
	q->sshd = getpid();
	(void)kp_now(&q->now);
}

/* Serve q into a fresh file; its contents in out. */
static int
serve(const struct kp_serve_req *q)
{
	ssize_t n = 0;
	int fd, r;

	memset(&lg, 0, sizeof(lg));
	if ((fd = open(outpath, O_RDWR | O_CREAT | O_TRUNC, 0600)) == -1)
		f_die("open output");
	r = kp_serve(q, fd, f_record, &lg);
	if (lseek(fd, 0, SEEK_SET) != 0 ||
	    (n = read(fd, out, sizeof(out) - 1)) < 0)
		f_die("read output");
	out[n] = '\0';
	outlen = (size_t)n;
	close(fd);
	return r;
}

static void
clear_spool(void)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%ld", spool, (long)getpid());
	(void)unlink(p);
}

/* The one record of a call, and its priority. */
#define CHECK_RECORD(want, pri) \
	do { \
		CHECK_INT(lg.n, 1); \
		CHECK_STR(lg.rec[0], want); \
		CHECK_INT(lg.prio[0], pri); \
	} while (0)

static const char *
sha16(const char *s)
{
	static char b[17];

	memcpy(b, s, 16);
	b[16] = '\0';
	return b;
}

static void
test_refused_inputs(void)
{
	struct kp_serve_req q;
	char longacct[1024];

	/* The front end could not read its arguments: it says so. */
	req_init(&q, NULL, -1);
	q.error = "usage: ...";
	CHECK(serve(&q) != 0);
	CHECK_INT(outlen, 0);
	CHECK_RECORD("event=lookup decision=deny reason=policy_unavailable "
	             "account=- key_id=- owner=- fp=- client=- host=web-01 "
	             "policy_serial=- policy_sha256=- error=\"usage: ...\"",
	    LOG_ERR);

	/* A bad -H is logged as given, cut. */
	req_init(&q, NULL, -1);
	q.host = "db/01";
	q.error = "-H: not a valid host name";
	CHECK(serve(&q) != 0);
	CHECK_CONTAINS(lg.rec[0], " host=db/01 ");

	req_init(&q, "alice", -1);
	q.host = NULL;
	CHECK(serve(&q) != 0);
	CHECK_CONTAINS(lg.rec[0], "reason=policy_unavailable");
	CHECK_CONTAINS(lg.rec[0], " host=- ");

	/* Accounts no policy can name. */
	req_init(&q, "a b=c", K_PLAIN);
	CHECK(serve(&q) != 0);
	CHECK_INT(outlen, 0);
	CHECK_RECORD(f_fmt("event=lookup decision=deny "
	                   "reason=account_not_allowed account=\"a b=c\" "
	                   "key_id=- owner=- fp=%s client=- host=web-01 "
	                   "policy_serial=- policy_sha256=- error=\"not a "
	                   "valid account name\"",
	                 f_fp[K_PLAIN]),
	    LOG_ERR);
	memset(longacct, 'a', sizeof(longacct) - 1);
	longacct[sizeof(longacct) - 1] = '\0';
	req_init(&q, longacct, -1);
	CHECK(serve(&q) != 0);
	/* cut to 255 bytes before the formatter sees it: no "..." mark */
	CHECK_CONTAINS(lg.rec[0], f_fmt(" account=%.255s key_id=- ", longacct));
	req_init(&q, "Alice", -1);
	CHECK(serve(&q) != 0);
	CHECK_CONTAINS(lg.rec[0], "reason=account_not_allowed");

	/* Keys keyauth cannot hold are unknown_key; a lie is key_mismatch. */
	req_init(&q, "alice", K_PLAIN);
	q.fp = "MD5:00:11";
	CHECK(serve(&q) != 0);
	CHECK_RECORD("event=lookup decision=deny reason=unknown_key "
	             "account=alice key_id=- owner=- fp=MD5:00:11 client=- "
	             "host=web-01 policy_serial=- policy_sha256=- "
	             "error=\"not a SHA256 fingerprint (FingerprintHash must "
	             "be sha256)\"",
	    LOG_ERR);
	req_init(&q, "alice", K_PLAIN);
	q.type = "ssh-dss";
	CHECK(serve(&q) != 0);
	CHECK_CONTAINS(lg.rec[0], "reason=unknown_key");
	CHECK_CONTAINS(lg.rec[0], "error=");
	req_init(&q, "alice", K_PLAIN);
	q.b64 = "AAAA!!!!";
	CHECK(serve(&q) != 0);
	CHECK_CONTAINS(lg.rec[0], "reason=unknown_key");
	req_init(&q, "alice", K_PLAIN);
	q.fp = f_fp[K_NET];
	CHECK(serve(&q) != 0);
	CHECK_RECORD(f_fmt("event=lookup decision=deny reason=key_mismatch "
	                   "account=alice key_id=- owner=- fp=%s client=- "
	                   "host=web-01 policy_serial=- policy_sha256=- "
	                   "error=\"fingerprint does not match the key\"",
	                 f_fp[K_NET]),
	    LOG_ERR);
	CHECK_INT(f_count(spool), 0);

	/* No request at all is still one record. */
	memset(&lg, 0, sizeof(lg));
	CHECK(kp_serve(NULL, -1, f_record, &lg) != 0);
	CHECK_INT(lg.n, 1);
	CHECK_CONTAINS(lg.rec[0], "decision=deny reason=policy_unavailable");
}

static void
test_index_problems(void)
{
	struct kp_serve_req q;

	req_init(&q, "alice", K_PLAIN);
	q.index = f_path("missing.cdb");
	CHECK(serve(&q) != 0);
	CHECK_INT(outlen, 0);
	CHECK_RECORD(f_fmt("event=lookup decision=deny "
	                   "reason=policy_unavailable account=alice key_id=- "
	                   "owner=- fp=%s client=- host=web-01 "
	                   "policy_serial=- policy_sha256=- error=\"file does "
	                   "not exist\"",
	                 f_fp[K_PLAIN]),
	    LOG_ERR);

	/* Another host's index: its serial, and both names. */
	req_init(&q, "alice", -1);
	q.index = foreign;
	CHECK(serve(&q) != 0);
	CHECK_INT(outlen, 0);
	CHECK_RECORD(f_fmt("event=lookup decision=deny "
	                   "reason=policy_unavailable account=alice key_id=- "
	                   "owner=- fp=- client=- host=web-01 "
	                   "policy_serial=42 policy_sha256=%s error=\"index "
	                   "was compiled for host db-01, this host is web-01: "
	                   "run keyauthctl install on this host\"",
	                 sha16(sha)),
	    LOG_ERR);

	/* Past the policy's expires: stale, nothing served. */
	req_init(&q, "alice", K_PLAIN);
	q.index = stale;
	CHECK(serve(&q) != 0);
	CHECK_INT(outlen, 0);
	CHECK_RECORD(f_fmt("event=lookup decision=deny reason=policy_stale "
	                   "account=alice key_id=- owner=- fp=%s client=- "
	                   "host=web-01 policy_serial=42 policy_sha256=%s "
	                   "error=\"the installed policy has expired\"",
	                 f_fp[K_PLAIN], sha16(stale_sha)),
	    LOG_ERR);
	/* ... from its expires second on, and not before */
	req_init(&q, "alice", -1);
	q.index = stale;
	CHECK_INT(kp_time_parse("2001-01-01T00:00:00Z", &q.now), 0);
	CHECK(serve(&q) != 0);
	CHECK_CONTAINS(lg.rec[0], "reason=policy_stale");
	q.now--;
	CHECK_INT(serve(&q), 0);
	CHECK_CONTAINS(lg.rec[0], "reason=allowed");
	CHECK_INT(f_count(spool), 0);
}

static void
test_granted(void)
{
	struct kp_serve_req q;
	struct kp_handoff h;
	const char *why = NULL;

	req_init(&q, "alice", K_PLAIN);
	q.client = "192.0.2.5";
	CHECK_INT(serve(&q), 0);
	CHECK_STR(out, f_fmt("ssh-ed25519 %s keyauth:plain\n", f_b64[K_PLAIN]));
	CHECK_RECORD(f_fmt("event=lookup decision=allow reason=allowed "
	                   "account=alice key_id=plain "
	                   "owner=alice@example.com fp=%s client=192.0.2.5 "
	                   "host=web-01 policy_serial=42 policy_sha256=%s",
	                 f_fp[K_PLAIN], sha16(sha)),
	    LOG_NOTICE);
	/* The handoff record tells pam_keyauth which key sshd accepts. */
	CHECK_INT(f_count(spool), 1);
	CHECK_INT(kp_handoff_take(spool, getpid(), &h, &why), 0);
	CHECK_STR(h.account, "alice");
	CHECK_STR(h.fp, f_fp[K_PLAIN]);
	CHECK_STR(h.entry_id, "plain");
	CHECK_INT(h.time, q.now);
	CHECK_INT(f_count(spool), 0);

	/* A restricted key is served with its restriction, not refused. */
	req_init(&q, "alice", K_NET);
	CHECK_INT(serve(&q), 0);
	CHECK_STR(out,
	    f_fmt("from=\"192.0.2.0/24\" ssh-ed25519 %s keyauth:net\n",
	        f_b64[K_NET]));
	CHECK_CONTAINS(lg.rec[0], "reason=allowed account=alice key_id=net ");
	clear_spool();

	/* Account only: every line, no handoff record, no key in the record. */
	req_init(&q, "alice", -1);
	CHECK_INT(serve(&q), 0);
	CHECK_CONTAINS(out, "keyauth:plain\n");
	CHECK_CONTAINS(out, "keyauth:net\n");
	CHECK(strstr(out, "keyauth:stolen") == NULL);
	CHECK(strstr(out, "keyauth:old") == NULL);
	CHECK(strstr(out, "keyauth:other-host") == NULL);
	CHECK_RECORD(f_fmt("event=lookup decision=allow reason=allowed "
	                   "account=alice key_id=- owner=- fp=- client=- "
	                   "host=web-01 policy_serial=42 policy_sha256=%s",
	                 sha16(sha)),
	    LOG_NOTICE);
	CHECK_INT(f_count(spool), 0);
	req_init(&q, "nobody", -1);
	CHECK_INT(serve(&q), 0);
	CHECK_INT(outlen, 0);
	CHECK_RECORD(f_fmt("event=lookup decision=deny "
	                   "reason=account_not_allowed account=nobody "
	                   "key_id=- owner=- fp=- client=- host=web-01 "
	                   "policy_serial=42 policy_sha256=%s",
	                 sha16(sha)),
	    LOG_NOTICE);
}

/*
 * A version 2 policy: the record of the key's first line ends with the
 * grant behind it (from the index's annotation), and so does a refusal's
 * record, for the entry that decided.
 */
static void
test_grants(void)
{
	struct kp_serve_req q;
	char yaml[2048], v2sha[65];
	char *v2;

	snprintf(yaml, sizeof(yaml),
	    "version: 2\nserial: 43\n"
	    "people:\n  alice@example.com:\n    keys:\n"
	    "      - id: plain\n        key: ssh-ed25519 %s\n"
	    "groups:\n  ops: [alice@example.com]\n  staff: [group:ops]\n"
	    "grants:\n"
	    "  - id: staff-alice\n    to: [group:staff]\n"
	    "    accounts: [alice]\n"
	    "  - id: deploy@office\n    to: [alice@example.com]\n"
	    "    accounts: [deploy]\n    from: [192.0.2.0/24]\n",
	    f_b64[K_PLAIN]);
	f_compile_yaml("v2.cdb", F_HOST, yaml, v2sha);
	if ((v2 = strdup(f_path("v2.cdb"))) == NULL)
		f_die("strdup");

	req_init(&q, "alice", K_PLAIN);
	q.index = v2;
	CHECK_INT(serve(&q), 0);
	CHECK_STR(out, f_fmt("ssh-ed25519 %s keyauth:plain\n", f_b64[K_PLAIN]));
	CHECK_RECORD(f_fmt("event=lookup decision=allow reason=allowed "
	                   "account=alice key_id=plain "
	                   "owner=alice@example.com fp=%s client=- "
	                   "host=web-01 policy_serial=43 policy_sha256=%s "
	                   "grant=staff-alice",
	                 f_fp[K_PLAIN], sha16(v2sha)),
	    LOG_NOTICE);
	clear_spool();

	/* The second grant's line, with its grant's from=. */
	req_init(&q, "deploy", K_PLAIN);
	q.index = v2;
	CHECK_INT(serve(&q), 0);
	CHECK_CONTAINS(out, "from=\"192.0.2.0/24\" ssh-ed25519 ");
	CHECK_CONTAINS(
	    lg.rec[0], "decision=allow reason=allowed account=deploy");
	CHECK_INT(lg.n, 1);
	CHECK(strlen(lg.rec[0]) > 20 &&
	    strcmp(lg.rec[0] + strlen(lg.rec[0]) - 20,
	        " grant=deploy@office") == 0);
	clear_spool();

	/* Refused: the record names the grant of the entry that decided. */
	req_init(&q, "root", K_PLAIN);
	q.index = v2;
	CHECK_INT(serve(&q), 0);
	CHECK_INT(outlen, 0);
	CHECK_RECORD(f_fmt("event=lookup decision=deny "
	                   "reason=account_not_allowed account=root "
	                   "key_id=plain owner=alice@example.com fp=%s "
	                   "client=- host=web-01 policy_serial=43 "
	                   "policy_sha256=%s grant=staff-alice",
	                 f_fp[K_PLAIN], sha16(v2sha)),
	    LOG_NOTICE);
	CHECK_INT(f_count(spool), 0);
	free(v2);
}

/* An offered key the index does not serve: exit 0, no line, the reason. */
static void
not_served(int key, const char *account, const char *want)
{
	struct kp_serve_req q;

	req_init(&q, account, key);
	CHECK_INT(serve(&q), 0);
	CHECK_INT(outlen, 0);
	CHECK_RECORD(want, LOG_NOTICE);
	CHECK_INT(f_count(spool), 0);
}

/*
 * Keys sshd offers that no policy can hold, made by ssh-keygen: a 1024-bit
 * RSA key, a DSA key, an Ed25519 user certificate. Public halves only.
 */
#define RSA1024_FP "SHA256:PEKmm1KWiwIVyNnvz4IZfSTPxUi8yk0WrGaawdHBUIw"
static const char rsa1024[] =
    "AAAAB3NzaC1yc2EAAAADAQABAAAAgQC4G9oJyL2nEaSQ2kF3o7Kg14QR8vDl"
    "Bt2eeB0MB2nAnndchknDrOc36EKhUdNPjU4wV3cXAaoj5xnoKtFr9qIU5Z0c"
    "SvXVsjvMFJSIkOmECkwVhgFK6EHcn94uOk2rjMv6VBaLgig6gzKrBfYIPqIM"
    "V1nmtlznyd1NHN0aYn2bqQ==";
#define DSA_FP "SHA256:X/7KQH2CDkSHube/0NaskrJ21HDAeSspQMBoN44UUrg"
static const char dsa[] =
    "AAAAB3NzaC1kc3MAAACBAMS6V95Fxka8N4SHbCTLlGc0gZO1Hk1heaYp3Vq8"
    "ubSwvx1EnGQkCephfEwBjtuTJXUQx8t9YRz0u+dzLbgnCJ/uBRAxwi+2hrTx"
    "SEaRFaKHi8bx/g1wvs1Xi+u3SuI9MMlZF54hOOfeKID0hpfUP5NfstHnuMWa"
    "dREQ6sAXDIDzAAAAFQD2e/tdTNZe5V7nDucnLSvtS0yDnwAAAIA9YhpuBu9g"
    "MIBs4PZw6YIx3ltViv2ljjH/tbXaYwjqt9hqSyrp+PpSbPdE4Kfv8IknpVJd"
    "YNk6IMU+AESZgeXuGgB2ANKWs2x/aRVEqVcC68jEd6iQHDawlY0y1A+Av1Uu"
    "ODOID13lkuIkNsvRGNj8sZRALmncd8t5z/D3OZuDYAAAAIBHIF7xZasEDO+q"
    "xPxbhNmUWgrWgx8H01UnKd+tN4D3nRij0kvkjFRdk8LYnxjyWvokMjxrZtYd"
    "xinX+YLR76JMdhvKrL6E+KadomPPmeBMxyk3gyOrutfXYCf3C9WNyJhZq5Nb"
    "g2Kh+ir43s3ZNM+bYbHdsG6hXCXb7w9uOIkceQ==";
#define CERT_FP "SHA256:/7K5kLyRmExnOtgufknPloRhRsa4hg2Cko9/uNPX3U8"
static const char cert[] =
    "AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAIP+VjzW4"
    "vRDVyS8bOonofkekmJKMbwpd/n4L1pF34aygAAAAIBoCsftuiylHJGQ+EQou"
    "2Avsy0VhLZcAH2oCrf94M0UgAAAAAAAAAAAAAAABAAAABHRlc3QAAAAJAAAA"
    "BWFsaWNlAAAAAAAAAAD//////////wAAAAAAAACCAAAAFXBlcm1pdC1YMTEt"
    "Zm9yd2FyZGluZwAAAAAAAAAXcGVybWl0LWFnZW50LWZvcndhcmRpbmcAAAAA"
    "AAAAFnBlcm1pdC1wb3J0LWZvcndhcmRpbmcAAAAAAAAACnBlcm1pdC1wdHkA"
    "AAAAAAAADnBlcm1pdC11c2VyLXJjAAAAAAAAAAAAAAAzAAAAC3NzaC1lZDI1"
    "NTE5AAAAIEy+8ZbXL0YF0GfIZUxXkihR87JcD9/yI+KA3s+3k+f/AAAAUwAA"
    "AAtzc2gtZWQyNTUxOQAAAEDAT50LcoCeqEjx1X4ot4JzCtLTkKlquqHs6atj"
    "3KJHhoSgEg/pctAIurEABnlwe3cnMLUtk8K6dIRI6LYtQuwB";

/*
 * No policy can hold them: no line, exit 0, unknown_key at notice, no
 * error (sshd did nothing wrong). A blob that does not say its own type,
 * or a broken one, is still an error.
 */
static void
unsupported(const char *type, const char *b64, const char *fp)
{
	struct kp_serve_req q;

	req_init(&q, "alice", -1);
	q.type = type;
	q.b64 = b64;
	q.fp = fp;
	CHECK_INT(serve(&q), 0);
	CHECK_INT(outlen, 0);
	CHECK_RECORD(f_fmt("event=lookup decision=deny reason=unknown_key "
	                   "account=alice key_id=- owner=- fp=%s client=- "
	                   "host=web-01 policy_serial=- policy_sha256=-",
	                 fp),
	    LOG_NOTICE);
	CHECK_INT(f_count(spool), 0);
}

static void
test_unsupported_keys(void)
{
	struct kp_serve_req q;
	char cut[sizeof(rsa1024)];

	unsupported("ssh-rsa", rsa1024, RSA1024_FP);
	unsupported("ssh-dss", dsa, DSA_FP);
	/*
	 * A certificate is decided (docs/certificates.md): its CA is not one
	 * the policy trusts, so unknown_key, with the certificate's fields.
	 */
	req_init(&q, "alice", -1);
	q.type = "ssh-ed25519-cert-v01@openssh.com";
	q.b64 = cert;
	q.fp = CERT_FP;
	CHECK_INT(serve(&q), 0);
	CHECK_INT(outlen, 0);
	CHECK_RECORD(
	    f_fmt("event=lookup decision=deny reason=unknown_key "
	          "account=alice key_id=- owner=- fp=%s client=- "
	          "host=web-01 policy_serial=42 "
	          "policy_sha256=170a4f03e81275cc cert_key_id=test "
	          "cert_serial=0 "
	          "ca_fp=SHA256:LSOX9OsvY++nubjpHgMmeH97Io3ja7Sy93KNxZCnj3w",
	        CERT_FP),
	    LOG_NOTICE);
	CHECK_INT(f_count(spool), 0);
	/* a type that is not the blob's own */
	req_init(&q, "alice", -1);
	q.type = "ssh-dss";
	q.b64 = rsa1024;
	q.fp = RSA1024_FP;
	CHECK(serve(&q) != 0);
	CHECK_CONTAINS(lg.rec[0], "reason=unknown_key");
	CHECK_INT(lg.prio[0], LOG_ERR);
	q.type = "ssh-ed25519-cert-v01@openssh.com";
	q.b64 = dsa;
	CHECK(serve(&q) != 0);
	/* a 1024-bit RSA blob cut short, and junk */
	memcpy(cut, rsa1024, sizeof(rsa1024));
	cut[100] = '\0';
	q.type = "ssh-rsa";
	q.b64 = cut;
	CHECK(serve(&q) != 0);
	CHECK_INT(outlen, 0);
	q.b64 = "AAAA!!!!";
	CHECK(serve(&q) != 0);
	CHECK_INT(f_count(spool), 0);
}

static void
test_not_served(void)
{
	const char *tail = f_fmt("client=- host=web-01 policy_serial=42 "
	                         "policy_sha256=%s",
	    sha16(sha));

	not_served(K_UNKNOWN, "alice",
	    f_fmt("event=lookup decision=deny reason=unknown_key "
	          "account=alice key_id=- owner=- fp=%s %s",
	        f_fp[K_UNKNOWN], tail));
	not_served(K_STOLEN, "alice",
	    f_fmt("event=lookup decision=deny reason=revoked account=alice "
	          "key_id=- owner=mallory@example.com fp=%s %s",
	        f_fp[K_STOLEN], tail));
	not_served(K_OLD, "alice",
	    f_fmt("event=lookup decision=deny reason=expired account=alice "
	          "key_id=old owner=old@example.com fp=%s %s",
	        f_fp[K_OLD], tail));
	not_served(K_FUTURE, "alice",
	    f_fmt("event=lookup decision=deny reason=not_yet_valid "
	          "account=alice key_id=future owner=new@example.com fp=%s %s",
	        f_fp[K_FUTURE], tail));
	not_served(K_OTHERHOST, "alice",
	    f_fmt("event=lookup decision=deny reason=host_not_allowed "
	          "account=alice key_id=other-host owner=alice@example.com "
	          "fp=%s %s",
	        f_fp[K_OTHERHOST], tail));
	not_served(K_DEPLOY, "alice",
	    f_fmt("event=lookup decision=deny reason=account_not_allowed "
	          "account=alice key_id=deploy-only owner=ci@example.com "
	          "fp=%s %s",
	        f_fp[K_DEPLOY], tail));
}

static void
test_output_failures(void)
{
	struct kp_serve_req q;
	const char *unsafe = f_path("unsafe-spool");
	int fd;

	/* stdout fails: no record may vouch for the key sshd never got. */
	req_init(&q, "alice", K_PLAIN);
	memset(&lg, 0, sizeof(lg));
	if ((fd = open("/dev/full", O_WRONLY)) == -1)
		f_die("/dev/full");
	CHECK(kp_serve(&q, fd, f_record, &lg) != 0);
	close(fd);
	CHECK_RECORD(f_fmt("event=lookup decision=deny "
	                   "reason=policy_unavailable account=alice "
	                   "key_id=plain owner=alice@example.com fp=%s "
	                   "client=- host=web-01 policy_serial=42 "
	                   "policy_sha256=%s error=\"cannot write to standard "
	                   "output\"",
	                 f_fp[K_PLAIN], sha16(sha)),
	    LOG_ERR);
	CHECK_INT(f_count(spool), 0);
	/* a closed descriptor, for the account-only call */
	req_init(&q, "alice", -1);
	memset(&lg, 0, sizeof(lg));
	CHECK(kp_serve(&q, 1000, f_record, &lg) != 0);
	CHECK_CONTAINS(lg.rec[0], "reason=policy_unavailable");
	CHECK_CONTAINS(lg.rec[0], "error=\"cannot write to standard output\"");
	/* nothing to write is no write: an unknown key over a closed fd */
	req_init(&q, "alice", K_UNKNOWN);
	memset(&lg, 0, sizeof(lg));
	CHECK_INT(kp_serve(&q, 1000, f_record, &lg), 0);
	CHECK_CONTAINS(lg.rec[0], "reason=unknown_key");

	/* No handoff record, no line: the login would lose its key. */
	req_init(&q, "alice", K_PLAIN);
	q.spool = f_path("no-such-spool");
	CHECK(serve(&q) != 0);
	CHECK_INT(outlen, 0);
	CHECK_RECORD(f_fmt("event=lookup decision=deny "
	                   "reason=policy_unavailable account=alice "
	                   "key_id=plain owner=alice@example.com fp=%s "
	                   "client=- host=web-01 policy_serial=42 "
	                   "policy_sha256=%s error=\"cannot write handoff "
	                   "record into the spool\"",
	                 f_fp[K_PLAIN], sha16(sha)),
	    LOG_ERR);
	if (mkdir(unsafe, 0700) != 0 || chmod(unsafe, 0777) != 0)
		f_die("unsafe spool");
	q.spool = unsafe;
	CHECK(serve(&q) != 0);
	CHECK_INT(outlen, 0);
	CHECK_CONTAINS(lg.rec[0],
	    "error=\"cannot write handoff record: spool "
	    "must be a directory owned by this user");
	CHECK_INT(f_count(unsafe), 0);
	/* the account-only call writes no record, so needs no spool */
	req_init(&q, "alice", -1);
	q.spool = f_path("no-such-spool");
	CHECK_INT(serve(&q), 0);
	CHECK(outlen > 0);

	/* A parent whose start time cannot be read cannot be vouched for. */
	req_init(&q, "alice", K_PLAIN);
	q.sshd = 0;
	CHECK(serve(&q) != 0);
	CHECK_INT(outlen, 0);
	CHECK_CONTAINS(lg.rec[0], "reason=policy_unavailable");
	CHECK_CONTAINS(
	    lg.rec[0], "error=\"cannot read the start time of sshd\"");
	CHECK_INT(f_count(spool), 0);
}

int
main(void)
{
	if (f_setup() != 0)
		return t_skip("the index reader accepts only root-owned "
		              "files: run as root");
	f_compile("policy.cdb", F_HOST, NULL, sha);
	f_compile("foreign.cdb", "db-01", NULL, sha);
	f_compile("stale.cdb", F_HOST, "2001-01-01T00:00:00Z", stale_sha);
	ix = f_path("policy.cdb");
	foreign = f_path("foreign.cdb");
	stale = f_path("stale.cdb");
	spool = f_path("spool");
	outpath = f_path("out");
	ix = strdup(ix);
	foreign = strdup(foreign);
	stale = strdup(stale);
	spool = strdup(spool);
	outpath = strdup(outpath);
	if (mkdir(spool, 0700) != 0)
		f_die("spool");

	T_CASE("refused inputs");
	test_refused_inputs();
	T_CASE("index problems");
	test_index_problems();
	T_CASE("granted");
	test_granted();
	T_CASE("granted by a version 2 grant");
	test_grants();
	T_CASE("not served");
	test_not_served();
	test_unsupported_keys();
	T_CASE("output failures");
	test_output_failures();

	f_cleanup();
	return t_done();
}
