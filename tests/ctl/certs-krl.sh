#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# keyauthctl install writes certificate revocations into sshd's KRL
# (docs/certificates.md, "Revocation, in one page"): a CA named by
# fingerprint whose key the policy holds (an authority) has its serials
# and key ids in the KRL; a whole CA by fingerprint is a hash: line; the
# serials of a CA the policy has no key for cannot go in (ssh-keygen -k
# -s needs the key): install warns, and keyauth refuses those certificates
# itself. Each certificate is checked against the KRL with ssh-keygen -Q,
# as sshd would read it.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/ctl/common.sh"
require_root
cd "$T" || exit 99
gen_key ca ed25519
gen_key ca2 ed25519
gen_key ca3 ed25519
gen_key user ed25519
CA_FP=$(fp_of keys/ca.pub)
CA2_FP=$(fp_of keys/ca2.pub)
CA3_FP=$(fp_of keys/ca3.pub)

# cert NAME CA SERIAL KEY-ID: keys/NAME-cert.pub, a certificate of the
# user's key for principal alice.
cert() {
	cp keys/user.pub "keys/$1.pub"
	"$SSH_KEYGEN" -q -s "keys/$2" -I "$4" -n alice -z "$3" -V -1d:+30d \
	    "keys/$1.pub" || exit 99
}
cert by-serial ca 5 alice@one
cert by-id ca 6 gone@example.com
cert fresh ca 9 alice@two
cert unlisted ca2 7 bob@x
cert whole-ca ca3 8 carol@x

policy() {
	cat <<P
version: 2
serial: $1
authorities:
  - id: corp-ca
    owner: security@example.com
    key: $(cut -d' ' -f1,2 keys/ca.pub) corp-ca
    accounts: [alice]
revoked:
  - ca: $CA_FP
    serial: 5
    reason: stolen laptop
  - ca: $CA_FP
    key_id: gone@example.com
    reason: left
  - ca: $CA3_FP
    reason: CA key compromised
P
}

# krl_says CERT: what ssh-keygen -Q makes of CERT with the installed KRL.
krl_says() {
	if "$SSH_KEYGEN" -Q -f "$VAR/revoked.krl" "keys/$1-cert.pub" >/dev/null 2>&1
	then echo ok; else echo revoked; fi
}

# 1. Every revocation can be carried: no warning.
policy 1 >p1.yaml
out=$(ctl --host web-01 install p1.yaml 2>&1); rc=$?
expect_rc "install" $rc 0 || t_diag "$out"
case $out in
*"not in the KRL"*) fail "install: no warning when the KRL carries all" ;;
*) pass "install: no warning when the KRL carries all" ;;
esac
expect_eq "serial of a CA by fingerprint (its authority's key): in the KRL" \
    "$(krl_says by-serial)" revoked
expect_eq "key id of a CA by fingerprint (its authority's key): in the KRL" \
    "$(krl_says by-id)" revoked
expect_eq "another serial of that CA: not in the KRL" "$(krl_says fresh)" ok
expect_eq "whole CA by fingerprint only: a hash: line, in the KRL" \
    "$(krl_says whole-ca)" revoked

# 2. A serial of a CA the policy has no key for: install warns, the KRL
# cannot carry it, keyauth refuses the certificate.
{ policy 2; printf '  - ca: %s\n    serial: 7\n    reason: x\n' "$CA2_FP"; } >p2.yaml
out=$(ctl --host web-01 install p2.yaml 2>&1); rc=$?
expect_rc "install, CA without key" $rc 0 || t_diag "$out"
expect_contains "install warns" "$out" \
    "warning: 1 certificate revocation (serial:/key_id:) not in the KRL, the first of CA $CA2_FP: the policy has no key for that CA (ssh-keygen -k -s needs it)"
expect_contains "install says keyauth refuses them" "$out" "keyauth refuses them itself"
expect_eq "that serial: not in the KRL" "$(krl_says unlisted)" ok
expect_eq "the carried ones still are" "$(krl_says by-serial)" revoked
out=$(ctl --host web-01 explain alice keys/unlisted-cert.pub 2>&1); rc=$?
expect_rc "keyauth refuses it" $rc 1
expect_contains "keyauth refuses it: decision" "$out" "decision: deny"

# 3. The same CA given by its key line: into the KRL, no warning.
{ policy 3; printf '  - ca: %s\n    serial: 7\n    reason: x\n' "$(cut -d' ' -f1,2 keys/ca2.pub)"; } >p3.yaml
out=$(ctl --host web-01 install p3.yaml 2>&1); rc=$?
expect_rc "install, CA as key line" $rc 0 || t_diag "$out"
case $out in
*"not in the KRL"*) fail "install: no warning with the CA's key line" ;;
*) pass "install: no warning with the CA's key line" ;;
esac
expect_eq "that serial, CA as key line: in the KRL" "$(krl_says unlisted)" revoked
t_done
