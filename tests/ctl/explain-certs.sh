#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# keyauthctl explain ACCOUNT NAME-cert.pub (docs/certificates.md): against
# the installed index and against the YAML with --policy-file, the same
# answer (decision, reason, authority, principal, rule) for every case:
# the right principal, none of the principals, a revoked serial and key
# id, a CA granted for another account or another host, a CA nobody
# trusts, an expired certificate, a source outside from:, and a
# force-command that differs from the authority's command.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/ctl/common.sh"
require_root
cd "$T" || exit 99
for k in ca ca-deploy ca-db ca-cmd ca-stranger user; do gen_key "$k" ed25519; done
pub() { cut -d' ' -f1,2 "keys/$1.pub"; }

# cert NAME CA SERIAL PRINCIPALS [ssh-keygen options]
cert() {
	n=$1 ca=$2 serial=$3 princ=$4
	shift 4
	cp keys/user.pub "keys/$n.pub"
	"$SSH_KEYGEN" -q -s "keys/$ca" -I "id-$n" -n "$princ" -z "$serial" \
	    "$@" "keys/$n.pub" || exit 99
}
cert good ca 10 web,ops -V -1d:+30d
cert noprinc ca 11 someone -V -1d:+30d
cert stolen ca 666 ops -V -1d:+30d
cert left ca 12 ops -V -1d:+30d
cert deploy ca-deploy 13 alice -V -1d:+30d
cert db ca-db 14 alice -V -1d:+30d
cert stranger ca-stranger 15 alice -V -1d:+30d
cert old ca 16 ops -V 20200101:20200201
cert cmd ca-cmd 17 alice -V -1d:+30d -O force-command=/bin/other
sed -i 's/ id-left$/ id-left/' keys/left-cert.pub

cat >p.yaml <<P
version: 2
serial: 41
networks:
  office: [192.0.2.0/24]
authorities:
  - id: corp-ca
    owner: security@example.com
    key: $(pub ca) corp-ca
    accounts: [alice]
    principals:
      alice: [ops]
    from: [office]
  - id: deploy-ca
    owner: release@example.com
    key: $(pub ca-deploy) deploy-ca
    accounts: [deploy]
  - id: db-ca
    owner: dba@example.com
    key: $(pub ca-db) db-ca
    accounts: [alice]
    hosts: [db-*]
  - id: cmd-ca
    owner: ops@example.com
    key: $(pub ca-cmd) cmd-ca
    accounts: [alice]
    command: /bin/backup
revoked:
  - ca: $(fp_of keys/ca.pub)
    serial: 666
    reason: stolen laptop
  - ca: $(pub ca)
    key_id: id-left
    reason: left
P
out=$(ctl --host web-01 install p.yaml 2>&1); rc=$?
expect_rc "install" $rc 0 || t_diag "$out"

# explain's temporary indexes go here, so the test sees only its own.
mkdir -m 0700 "$T/tmp" || exit 99
TMPDIR=$T/tmp; export TMPDIR
# One moment for both answers (the request line says it).
AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# both NAME WANT-RC WANT-REASON CERT [explain options]: the installed
# index and --policy-file give the same output, with that reason.
both() {
	name=$1 want_rc=$2 reason=$3 c=$4
	shift 4
	ix=$(ctl --host web-01 explain alice "keys/$c-cert.pub" --at "$AT" "$@" 2>&1); rc=$?
	expect_rc "$name (index)" $rc "$want_rc"
	expect_contains "$name (index): reason" "$ix" "reason: $reason
"
	yml=$(ctl --host web-01 explain alice "keys/$c-cert.pub" --at "$AT" --policy-file p.yaml "$@" 2>&1); rc=$?
	expect_rc "$name (--policy-file)" $rc "$want_rc"
	expect_eq "$name: --policy-file says what the index says" "$yml" "$ix"
	LAST=$yml
}
both "the right principal" 0 allowed good --from 192.0.2.7
expect_contains "allowed: the authority" "$LAST" "entry: corp-ca (owner security@example.com)"
expect_contains "allowed: the principal" "$LAST" "principal: ops (the one the authority required)"
expect_contains "allowed: the certificate" "$LAST" "certificate: user key id \"id-good\" serial 10, CA $(fp_of keys/ca.pub)"
both "none of the principals" 1 principal_not_allowed noprinc --from 192.0.2.7
expect_contains "no principal: the authority" "$LAST" "Authority corp-ca trusts this CA for alice"
expect_contains "no principal: the rule" "$LAST" "rule: the certificate names none of the principals"
both "a revoked serial" 1 revoked stolen --from 192.0.2.7
both "a revoked key id" 1 revoked left --from 192.0.2.7
both "a CA granted for another account" 1 account_not_allowed deploy
both "a CA granted on another host" 1 host_not_allowed db
both "a CA nobody trusts" 1 unknown_key stranger
expect_contains "untrusted: the rule" "$LAST" "rule: the certificate's CA is not one the policy trusts"
both "an expired certificate" 1 expired old --from 192.0.2.7
expect_contains "expired: the rule" "$LAST" "rule: the certificate has expired"
expect_contains "expired: the sentence" "$LAST" "The certificate has expired."
both "a source outside from:" 1 source_not_allowed good --from 203.0.113.5
both "force-command against the authority's command" 1 cert_invalid cmd

# Only --policy-file can ask about another host (the index is web-01's).
out=$(ctl --host db-01 explain alice keys/db-cert.pub --policy-file p.yaml 2>&1); rc=$?
expect_rc "--policy-file, another host" $rc 0
expect_contains "--policy-file, another host: the authority" "$out" "entry: db-ca (owner dba@example.com)"
# No private directory for the temporary index: fail closed, say why.
out=$(TMPDIR="$T/missing" ctl --host web-01 explain alice keys/good-cert.pub \
    --from 192.0.2.7 --policy-file p.yaml 2>&1); rc=$?
expect_rc "--policy-file, no temporary directory" $rc 3
expect_contains "no temporary directory: says why" "$out" "$T/missing: cannot make a private directory"
expect_contains "no temporary directory: denied" "$out" "reason: policy_unavailable"
# The temporary index is gone.
left=$(ls -A "$T/tmp" | wc -l)
expect_eq "no temporary index left behind" "$left" 0
t_done
