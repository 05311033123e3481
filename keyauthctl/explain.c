/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyauth-policy.h"
#include "keyauthctl.h"

/*
 * keyauthctl explain ACCOUNT KEYFILE|FINGERPRINT [--from IP] [--at TIME]
 *     [--host NAME] [--policy-file FILE]
 *
 * Decides like the login path does (kp_index_decide on the installed
 * index), or against a YAML file with --policy-file, and says why; a
 * certificate with --policy-file on that file compiled into a temporary
 * index (kp_policy_decide_cert), so both answer alike.
 */

/*
 * A certificate line "TYPE BASE64 [comment]" (ssh-keygen -s writes
 * NAME-cert.pub so): *cert, or NULL when the line is no certificate.
 */
static int
cert_line(const char *arg, const char *line, struct kp_cert **cert)
{
	char type[128], *b64 = NULL;
	const char *sp, *why = NULL, *end;
	size_t n;
	int rc = CTL_OK;

	*cert = NULL;
	if ((sp = strchr(line, ' ')) == NULL ||
	    (n = (size_t)(sp - line)) >= sizeof(type))
		return CTL_OK;
	memcpy(type, line, n);
	type[n] = '\0';
	if (!kp_cert_type(type))
		return CTL_OK;
	for (sp++; *sp == ' '; sp++)
		;
	if ((end = strchr(sp, ' ')) == NULL)
		end = sp + strlen(sp);
	if ((b64 = strndup(sp, (size_t)(end - sp))) == NULL) {
		ctl_err("explain: out of memory");
		return CTL_SYSERR;
	}
	if (kp_cert_parse(type, b64, cert, &why) != 0) {
		ctl_usage_err("explain: %s: not a usable certificate: %s", arg,
		    why != NULL ? why : "invalid");
		rc = CTL_USAGE;
	}
	free(b64);
	return rc;
}

/*
 * The fingerprint of the first key line of file (for a certificate, of
 * its key, and *cert); CTL_* on failure.
 */
static int
key_arg_fp(const char *arg, char fp[KP_FP_LEN], struct kp_cert **cert)
{
	struct kp_pubkey *k = NULL;
	const char *why = NULL;
	char *line = NULL;
	size_t cap = 0, off = 0;
	ssize_t n;
	FILE *f;
	int rc = CTL_USAGE;

	if (kp_fingerprint_valid(arg)) {
		snprintf(fp, KP_FP_LEN, "%s", arg);
		return CTL_OK;
	}
	if ((f = fopen(arg, "re")) == NULL) {
		ctl_usage_err("explain: %s is neither a SHA256 fingerprint nor "
		              "a readable public key file (%s)",
		    arg, strerror(errno));
		return CTL_USAGE;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		if ((size_t)n > KP_KEYLINE_MAX) {
			ctl_usage_err("explain: %s: line too long for a public "
			              "key",
			    arg);
			goto out;
		}
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if (strncmp(line, "-----BEGIN", 10) == 0) {
			/* Never echo it: it may be a private key. */
			ctl_usage_err("explain: %s is not a public key (give "
			              "the .pub file)",
			    arg);
			goto out;
		}
		if ((rc = cert_line(arg, line, cert)) != CTL_OK)
			goto out;
		rc = CTL_USAGE;
		if (*cert != NULL) {
			snprintf(fp, KP_FP_LEN, "%s", (*cert)->key->fp);
			rc = CTL_OK;
			goto out;
		}
		if (kp_pubkey_parse_line_checked(line, &k, &why, &off) != 0) {
			ctl_usage_err(
			    "explain: %s: not a usable public key: %s", arg,
			    why != NULL ? why : "invalid");
			goto out;
		}
		snprintf(fp, KP_FP_LEN, "%s", k->fp);
		rc = CTL_OK;
		goto out;
	}
	if (ferror(f))
		ctl_err("explain: %s: %s", arg, strerror(errno));
	else
		ctl_usage_err("explain: %s holds no public key line", arg);
	rc = ferror(f) ? CTL_SYSERR : CTL_USAGE;
out:
	kp_pubkey_free(k);
	free(line);
	fclose(f);
	return rc;
}

static void
sentence(const struct kp_decision *dec, const struct kp_request *req)
{
	const char *e = dec->entry_id[0] != '\0' ? dec->entry_id : NULL;

	switch (dec->reason) {
	case KP_ALLOWED:
		printf("Entry %s lets this key log into %s on %s%s%s.\n", e,
		    req->account, req->host,
		    req->client != NULL ? " from " : "",
		    req->client != NULL ? req->client : "");
		break;
	case KP_UNKNOWN_KEY:
		printf("No entry that applies to host %s grants this key.\n",
		    req->host);
		break;
	case KP_REVOKED:
		printf("The key is revoked (by fingerprint, key or owner); a "
		       "revocation wins over every grant.\n");
		break;
	case KP_ACCOUNT_NOT_ALLOWED:
		printf("The key is granted, but no entry lists account %s.\n",
		    req->account);
		break;
	case KP_HOST_NOT_ALLOWED:
		printf("The key may log into %s, but not on host %s (its "
		       "hosts: do not match).\n",
		    req->account, req->host);
		break;
	case KP_SOURCE_NOT_ALLOWED:
		printf("Entry %s allows this key only from its from: sources; "
		       "%s is not among them.\n",
		    e != NULL ? e : "-", req->client);
		break;
	case KP_SOURCE_UNKNOWN:
		printf("Entry %s restricts the source address and none was "
		       "given (use --from IP).\n",
		    e != NULL ? e : "-");
		break;
	case KP_NOT_YET_VALID:
		/* No entry named: the certificate's own validity decided. */
		if (e == NULL)
			printf("The certificate is not valid yet.\n");
		else
			printf("Entry %s is not valid yet (not_before is later "
			       "than the time asked about).\n",
			    e);
		break;
	case KP_EXPIRED:
		if (e == NULL)
			printf("The certificate has expired.\n");
		else
			printf("Entry %s has expired.\n", e);
		break;
	case KP_POLICY_STALE:
		printf("The policy itself has expired (its top-level "
		       "expires:); every login is denied until a newer policy "
		       "is installed.\n");
		break;
	case KP_POLICY_UNAVAILABLE:
		printf("No usable policy: every login is denied.\n");
		break;
	case KP_PRINCIPAL_NOT_ALLOWED:
		printf("Authority %s trusts this CA for %s, but the "
		       "certificate names none of the principals it requires "
		       "(principals:; without it, the account name).\n",
		    e != NULL ? e : "-", req->account);
		break;
	case KP_CERT_INVALID:
		printf("The certificate cannot log in: a host certificate, or "
		       "a force-command that differs from the authority's "
		       "command.\n");
		break;
	default:
		printf("Denied.\n");
		break;
	}
}

/*
 * A version 2 policy: the grant and the group path behind the entry, as
 * the decision found them (in the YAML, or in the index's annotations).
 */
static void
print_grant(const struct kp_decision *dec)
{
	int via = dec->via[0] != '\0';

	if (dec->grant[0] == '\0')
		return;
	printf(
	    "grant: %s%s%s\n", dec->grant, via ? " via group " : "", dec->via);
	printf("%s grant %s%s%s.\n",
	    dec->reason == KP_ALLOWED ? "Allowed by" : "Refused under",
	    dec->grant, via ? " via group " : "", dec->via);
}

static void
print_cert(
    const struct kp_cert *cert, const struct kp_decision *dec, const char *why)
{
	char a[32], b[32];
	size_t i;

	kp_time_format(
	    (int64_t)(cert->valid_after > INT64_MAX ? INT64_MAX
	                                            : cert->valid_after),
	    a, sizeof(a));
	kp_time_format(
	    (int64_t)(cert->valid_before > INT64_MAX ? INT64_MAX
	                                             : cert->valid_before),
	    b, sizeof(b));
	printf("certificate: %s key id \"%s\" serial %llu, CA %s, valid %s "
	       "to %s\n",
	    cert->type == KP_CERT_USER ? "user" : "host", cert->key_id,
	    (unsigned long long)cert->serial, cert->ca->fp, a, b);
	printf("principals:");
	for (i = 0; i < cert->nprincipals; i++)
		printf(" %s", cert->principals[i]);
	printf("%s\n", cert->nprincipals == 0 ? " (none)" : "");
	if (dec->principal[0] != '\0')
		printf("principal: %s (the one the authority required)\n",
		    dec->principal);
	if (why != NULL)
		printf("rule: %s\n", why);
}

static void
print_decision(const struct kp_decision *dec, const struct kp_request *req,
    const char *at_text)
{
	printf("decision: %s\n", dec->reason == KP_ALLOWED ? "allow" : "deny");
	printf("reason: %s\n", kp_reason_str(dec->reason));
	if (dec->entry_id[0] != '\0')
		printf("entry: %s (owner %s)\n", dec->entry_id,
		    dec->owner[0] != '\0' ? dec->owner : "-");
	else if (dec->owner[0] != '\0')
		printf("entry: - (owner %s)\n", dec->owner);
	else
		printf("entry: -\n");
	if (dec->policy_serial != 0)
		printf("policy: serial %llu (sha256 %.16s)\n",
		    (unsigned long long)dec->policy_serial, dec->policy_sha256);
	else
		printf("policy: -\n");
	printf("request: account=%s key=%s from=%s host=%s at=%s\n",
	    req->account, req->fp, req->client != NULL ? req->client : "-",
	    req->host, at_text);
	sentence(dec, req);
	print_grant(dec);
}

int
cmd_explain(struct ctl *c)
{
	struct kp_request req;
	struct kp_decision dec;
	struct kp_policy *p = NULL;
	struct kp_cert *cert = NULL;
	const char *cwhy = NULL;
	struct kp_index *ix = NULL;
	const struct kp_index_meta *m;
	struct kp_cidr addr;
	struct kp_diag d;
	const char *why = NULL;
	char fp[KP_FP_LEN], hostbuf[256], at_text[64], cwhybuf[256];
	int r, rc;

	memset(&req, 0, sizeof(req));
	memset(&dec, 0, sizeof(dec));
	req.account = c->args[0];
	if (!kp_account_valid(req.account)) {
		ctl_usage_err(
		    "explain: \"%s\" is not a valid account name", req.account);
		return CTL_USAGE;
	}
	if ((rc = key_arg_fp(c->args[1], fp, &cert)) != CTL_OK)
		return rc;
	req.fp = fp;
	if (c->from != NULL) {
		if (kp_addr_parse(c->from, &addr, &why) != 0) {
			ctl_usage_err("explain: --from %s: %s", c->from,
			    why != NULL ? why : "not an IP address");
			return CTL_USAGE;
		}
		req.client = c->from;
	}
	req.now = c->now;
	if (c->at != NULL && ctl_time_arg(c->at, c->now, &req.now) != 0) {
		ctl_usage_err("explain: --at %s: expected YYYY-MM-DD or "
		              "YYYY-MM-DDTHH:MM:SSZ",
		    c->at);
		return CTL_USAGE;
	}
	kp_time_format(req.now, at_text, sizeof(at_text));

	if (c->policy_file != NULL) {
		if ((req.host = ctl_hostname(c, hostbuf, sizeof(hostbuf))) ==
		    NULL)
			return CTL_SYSERR;
		r = kp_policy_load(c->policy_file, 0, &p, &d);
		if (r != 0) {
			ctl_print_diag(
			    stderr, &d, c->policy_file, "error", NULL);
			goto unavailable;
		}
		if (cert == NULL) {
			r = kp_policy_decide(p, &req, &dec);
		} else {
			r = kp_policy_decide_cert(p, NULL, cert, &req, &dec,
			    cwhybuf, sizeof(cwhybuf));
			if (r != 0 && cwhybuf[0] != '\0') {
				ctl_err("explain: %s", cwhybuf);
				goto unavailable;
			}
			cwhy = cwhybuf[0] != '\0' ? cwhybuf : NULL;
		}
	} else {
		r = kp_index_open(c->index, geteuid(), &ix, &why);
		if (r != 0) {
			ctl_err("explain: %s: %s%s%s", c->index, kp_strerror(r),
			    why != NULL ? ": " : "", why != NULL ? why : "");
			req.host = c->host != NULL ? c->host : "-";
			goto unavailable;
		}
		m = kp_index_meta(ix);
		/*
		 * Host patterns are resolved when the index is compiled: an
		 * index answers for its own host only. Asking about another
		 * host is a usage error; without --host the question is about
		 * this machine, where the login path refuses such an index.
		 */
		if (c->host != NULL &&
		    kp_index_check_host(ix, c->host, NULL) != 0) {
			ctl_usage_err("explain: the index %s was compiled for "
			              "host %s; use --policy-file to ask "
			              "about host %s",
			    c->index, m->host, c->host);
			rc = CTL_USAGE;
			goto out;
		}
		if ((req.host = ctl_hostname(c, hostbuf, sizeof(hostbuf))) ==
		    NULL) {
			rc = CTL_SYSERR;
			goto out;
		}
		if ((r = kp_index_check_host(ix, req.host, &why)) != 0) {
			ctl_err("explain: %s: %s", c->index,
			    why != NULL ? why : kp_strerror(r));
			goto unavailable;
		}
		r = cert != NULL
		    ? kp_index_decide_cert(ix, cert, &req, 0, &dec, NULL, &cwhy)
		    : kp_index_decide(ix, &req, &dec);
	}
	if (r != 0) {
		ctl_err("explain: %s", kp_strerror(r));
		goto unavailable;
	}
	if (cert != NULL)
		print_cert(cert, &dec, cwhy);
	print_decision(&dec, &req, at_text);
	rc = dec.reason == KP_ALLOWED ? CTL_OK : CTL_REFUSED;
	goto out;

unavailable:
	/* Say what the login path would do: deny. */
	memset(&dec, 0, sizeof(dec));
	dec.reason = KP_POLICY_UNAVAILABLE;
	print_decision(&dec, &req, at_text);
	rc = CTL_SYSERR;
out:
	if (ix != NULL)
		kp_index_close(ix);
	kp_policy_free(p);
	kp_cert_free(cert);
	return rc;
}
