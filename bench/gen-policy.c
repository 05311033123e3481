/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * gen-policy: a synthetic keyauth policy (or authorized_keys file) of N
 * distinct ed25519 keys for the benchmarks and the install measurements.
 *
 *   gen-policy [-a] [-F] [-n N] [-m ACCOUNTS] [-S SERIAL] [-s SEED]
 *       [-f FROM%] [-e EXPIRES%] [-r REVOKED%] [-H HOSTS%]
 *       [-k "TYPE BASE64"] [-u ACCOUNT]
 *
 * Keys are real ed25519 public keys: key i is derived with OpenSSL from the
 * private seed SHA-256(seed || i), so a run is reproducible and every blob
 * is a valid curve point (about 40,000 keys a second). -F fabricates the
 * 32 bytes instead (SHA-256 output, not always a curve point; keyauth and
 * sshd accept them, as neither checks ed25519 points): ten times faster.
 *
 * Policy mode (default): key i goes to account u<i mod M> (every tenth
 * also to "deploy"); FROM% of the entries carry from: (a named network and
 * an address), EXPIRES% an expiry (a twentieth of those also not_before),
 * HOSTS% a hosts: glob ("web-*"), and REVOKED% of the keys are revoked by
 * fingerprint (plus one owner revocation). keys: is the last section, so
 * more entries can be appended to the file; -k appends one itself,
 * granting that key to the account given with -u.
 *
 * -a: an authorized_keys file instead, FROM% of the lines with a from=
 * option and EXPIRES% with expiry-time=; -k's key is the last line.
 *
 * -T 1|2 [-P PEOPLE] [-G GROUPS] [-g GRANTS]: the teams policy of
 * docs/performance.md ("version 2"), N keys held by PEOPLE people (N /
 * PEOPLE each), GROUPS groups, GRANTS grants: the last GROUPS grants go
 * to one group each, the others to people named directly, and every
 * person is in exactly one grant, so both forms make N entries. -T 2
 * writes it with people, groups and grants; -T 1 the same entries as
 * keys: (same ids, owners, keys, restrictions, in the loader's order):
 * the two compile to the same index.
 */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#define ED_TYPE "ssh-ed25519"
#define BLOB_LEN (4 + 11 + 4 + 32)

static void
usage(void)
{
	fprintf(stderr,
	    "usage: gen-policy [-a] [-F] [-n N] [-m ACCOUNTS] [-S SERIAL] "
	    "[-s SEED]\n"
	    "    [-f FROM%%] [-e EXPIRES%%] [-r REVOKED%%] [-H HOSTS%%] "
	    "[-k \"TYPE BASE64\"] [-u ACCOUNT]\n"
	    "       gen-policy -T 1|2 [-F] [-n N] [-P PEOPLE] [-G GROUPS] "
	    "[-g GRANTS]\n");
	exit(2);
}

static unsigned long
num(const char *s, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > max) {
		fprintf(stderr, "gen-policy: bad number: %s\n", s);
		exit(2);
	}
	return v;
}

static void
b64(const unsigned char *in, size_t n, char *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                          "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;
	unsigned v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 |
		    in[i + 2];
		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		out[o++] = tab[v & 63];
	}
	if (n - i == 1) {
		v = (unsigned)in[i] << 16;
		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
}

/* The wire blob of key i (base64 in b64out) and its SHA256 fingerprint. */
static void
make_key(unsigned long seed, unsigned long i, int fabricate, char *b64out,
    char *fpout)
{
	unsigned char in[16], priv[32], blob[BLOB_LEN], md[32];
	char fpb[48];
	EVP_PKEY *pk;
	size_t publen = 32;
	int k;

	for (k = 0; k < 8; k++) {
		in[k] = (unsigned char)(seed >> (8 * k));
		in[8 + k] = (unsigned char)((unsigned long long)i >> (8 * k));
	}
	SHA256(in, sizeof(in), priv);
	memcpy(blob, "\0\0\0\x0b" ED_TYPE "\0\0\0\x20", 4 + 11 + 4);
	if (fabricate)
		memcpy(blob + 19, priv, 32);
	else {
		pk = EVP_PKEY_new_raw_private_key(
		    EVP_PKEY_ED25519, NULL, priv, sizeof(priv));
		if (pk == NULL ||
		    EVP_PKEY_get_raw_public_key(pk, blob + 19, &publen) != 1 ||
		    publen != 32) {
			fprintf(
			    stderr, "gen-policy: ed25519 derivation failed\n");
			exit(1);
		}
		EVP_PKEY_free(pk);
	}
	b64(blob, sizeof(blob), b64out);
	if (fpout != NULL) {
		SHA256(blob, sizeof(blob), md);
		b64(md, 32, fpb);
		/* OpenSSH drops the padding: 43 characters. */
		memcpy(fpout, "SHA256:", 7);
		memcpy(fpout + 7, fpb, 43);
		fpout[50] = '\0';
	}
}

/* The teams policy (-T): grant j's restrictions. */
static void
grant_fields(unsigned long j, const char *indent)
{
	printf("%saccounts: [u%04lu]\n", indent, j % 1000);
	if (j % 5 == 0)
		printf("%shosts: [\"web-*\"]\n", indent);
	if (j % 3 == 0)
		printf("%sfrom: [office]\n", indent);
	if (j % 2 == 0)
		printf("%sexpires: 2098-01-01T00:00:00Z\n", indent);
}

/*
 * Grant j's people: direct grants (j < ndirect) have per_direct people
 * from 0 up, group grants per_group people after them.
 */
static void
grant_people(unsigned long j, unsigned long ndirect, unsigned long per_direct,
    unsigned long per_group, unsigned long *first, unsigned long *count)
{
	if (j < ndirect) {
		*first = j * per_direct;
		*count = per_direct;
	} else {
		*first = ndirect * per_direct + (j - ndirect) * per_group;
		*count = per_group;
	}
}

static int
teams(int version, unsigned long n, unsigned long people, unsigned long groups,
    unsigned long grants, unsigned long seed, int fabricate)
{
	unsigned long per_key, ndirect, per_direct, per_group, j, q, k, f, c;
	char b[80];

	if (people == 0 || grants <= groups || n % people != 0) {
		fprintf(stderr,
		    "gen-policy: -T needs PEOPLE dividing N and "
		    "more GRANTS than GROUPS\n");
		return 2;
	}
	per_key = n / people;
	ndirect = grants - groups;
	/* people split between direct and group grants like the grants */
	per_direct = people / grants;
	per_group = groups > 0 ? (people - ndirect * per_direct) / groups : 0;
	if (per_direct == 0 || (groups > 0 && per_group == 0) ||
	    ndirect * per_direct + groups * per_group != people) {
		fprintf(stderr,
		    "gen-policy: -T: PEOPLE must split evenly "
		    "over the grants and groups\n");
		return 2;
	}
	printf("# generated by bench/gen-policy -T %d: %lu keys, %lu people, "
	       "%lu groups, %lu grants\nversion: %d\nserial: 1\n"
	       "expires: 2099-01-01T00:00:00Z\n"
	       "networks:\n  office: [192.0.2.0/24, \"2001:db8:10::/48\"]\n",
	    version, n, people, groups, grants, version);
	if (version == 1) {
		printf("keys:\n");
		for (j = 0; j < grants; j++) {
			grant_people(j, ndirect, per_direct, per_group, &f, &c);
			for (q = f; q < f + c; q++) {
				for (k = q * per_key; k < (q + 1) * per_key;
				     k++) {
					make_key(seed, k, fabricate, b, NULL);
					printf("  - id: key-%07lu\n    owner: "
					       "p%06lu@example.com\n    "
					       "key: " ED_TYPE " %s gen-%lu\n",
					    k, q, b, k);
					grant_fields(j, "    ");
				}
			}
		}
		return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
	}
	printf("people:\n");
	for (q = 0; q < people; q++) {
		printf("  p%06lu@example.com:\n    keys:\n", q);
		for (k = q * per_key; k < (q + 1) * per_key; k++) {
			make_key(seed, k, fabricate, b, NULL);
			printf("      - id: key-%07lu\n        key: " ED_TYPE
			       " %s gen-%lu\n",
			    k, b, k);
		}
	}
	if (groups > 0)
		printf("groups:\n");
	for (j = ndirect; j < grants; j++) {
		grant_people(j, ndirect, per_direct, per_group, &f, &c);
		printf("  team%04lu: [", j - ndirect);
		for (q = f; q < f + c; q++)
			printf("%sp%06lu@example.com", q > f ? ", " : "", q);
		printf("]\n");
	}
	printf("grants:\n");
	for (j = 0; j < grants; j++) {
		printf("  - id: grant-%05lu\n", j);
		if (j >= ndirect) {
			printf("    to: [group:team%04lu]\n", j - ndirect);
		} else {
			grant_people(j, ndirect, per_direct, per_group, &f, &c);
			printf("    to: [");
			for (q = f; q < f + c; q++)
				printf("%sp%06lu@example.com",
				    q > f ? ", " : "", q);
			printf("]\n");
		}
		grant_fields(j, "    ");
	}
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}

/* Key i is picked for a feature of share pct% (spread, deterministic). */
static int
pick(unsigned long i, unsigned long pct, unsigned salt)
{
	unsigned long h = (i + 1) * 2654435761UL + salt * 40503UL;

	return ((h >> 7) % 100) < pct;
}

int
main(int argc, char **argv)
{
	unsigned long n = 1000, m = 0, serial = 1, seed = 1;
	unsigned long from = 30, exp = 50, rev = 1, hosts = 10, i;
	const char *extra = NULL, *extra_user = "bench";
	int ak = 0, fabricate = 0, ch, tversion = 0;
	unsigned long tpeople = 100000, tgroups = 1000, tgrants = 5000;
	char b[80], fp[64];
	static char obuf[1 << 20];

	while (
	    (ch = getopt(argc, argv, "aFn:m:S:s:f:e:r:H:k:u:T:P:G:g:")) != -1) {
		switch (ch) {
		case 'T':
			tversion = (int)num(optarg, 2);
			break;
		case 'P':
			tpeople = num(optarg, 100000000UL);
			break;
		case 'G':
			tgroups = num(optarg, 100000000UL);
			break;
		case 'g':
			tgrants = num(optarg, 100000000UL);
			break;
		case 'a':
			ak = 1;
			break;
		case 'F':
			fabricate = 1;
			break;
		case 'n':
			n = num(optarg, 100000000UL);
			break;
		case 'm':
			m = num(optarg, 100000000UL);
			break;
		case 'S':
			serial = num(optarg, LONG_MAX);
			break;
		case 's':
			seed = num(optarg, ULONG_MAX);
			break;
		case 'f':
			from = num(optarg, 100);
			break;
		case 'e':
			exp = num(optarg, 100);
			break;
		case 'r':
			rev = num(optarg, 100);
			break;
		case 'H':
			hosts = num(optarg, 100);
			break;
		case 'k':
			extra = optarg;
			break;
		case 'u':
			extra_user = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || serial == 0)
		usage();
	if (tversion != 0) {
		setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
		return teams(
		    tversion, n, tpeople, tgroups, tgrants, seed, fabricate);
	}
	if (m == 0)
		m = n / 100 > 0 ? n / 100 : 1;
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));

	if (ak) {
		for (i = 0; i < n; i++) {
			make_key(seed, i, fabricate, b, NULL);
			if (pick(i, from, 1))
				printf("from=\"192.0.2.0/24,198.51.100.7\"");
			if (pick(i, exp, 2))
				printf("%sexpiry-time=\"20980101000000Z\"",
				    pick(i, from, 1) ? "," : "");
			printf("%s" ED_TYPE " %s gen-%lu\n",
			    pick(i, from, 1) || pick(i, exp, 2) ? " " : "", b,
			    i);
		}
		if (extra != NULL)
			printf("%s bench-login\n", extra);
		return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
	}

	/* revoked: first, so that keys: ends the file and run.sh can
	 * append its login key to a cached policy. */
	printf("# generated by bench/gen-policy: %lu keys over %lu accounts\n"
	       "version: 1\nserial: %lu\nexpires: 2099-01-01T00:00:00Z\n"
	       "networks:\n  office: [192.0.2.0/24, \"2001:db8:10::/48\"]\n"
	       "revoked:\n  - owner: user49999@example.com\n"
	       "    reason: offboarded\n",
	    n, m, serial);
	for (i = 0; i < n; i++) {
		if (!pick(i, rev, 4))
			continue;
		make_key(seed, i, fabricate, b, fp);
		printf(
		    "  - fingerprint: %s\n    reason: rotated (bench)\n", fp);
	}
	printf("keys:\n");
	for (i = 0; i < n; i++) {
		make_key(seed, i, fabricate, b, NULL);
		printf("  - id: key-%07lu\n    owner: user%05lu@example.com\n"
		       "    key: " ED_TYPE " %s gen-%lu\n",
		    i, i % 50000, b, i);
		if (i % 10 == 0)
			printf("    accounts: [u%05lu, deploy]\n", i % m);
		else
			printf("    accounts: [u%05lu]\n", i % m);
		if (pick(i, hosts, 3))
			printf("    hosts: [\"web-*\"]\n");
		if (pick(i, from, 1))
			printf("    from: [office, 198.51.100.7]\n");
		if (pick(i, exp, 2)) {
			if (i % 20 == 0)
				printf("    not_before: 2020-01-01\n");
			printf("    expires: 2098-01-01T00:00:00Z\n");
		}
	}
	if (extra != NULL)
		printf("  - id: bench-login\n    owner: bench@example.com\n"
		       "    key: %s bench-login\n    accounts: [%s]\n",
		    extra, extra_user);
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
