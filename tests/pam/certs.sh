#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pam_keyauth with OpenSSH user certificates (docs/certificates.md), made
# by ssh-keygen -s here: the account stage decides the certificate the
# handoff record carries (cert=), the session stage the one sshd wrote in
# SSH_AUTH_INFO_0; allowed with the right principal, refused with the
# reason in the record for a revoked serial, a CA not granted for the
# account, a CA the policy does not trust and a missing principal.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/pam/pamlib.sh"
pam_setup

V4="SSH_CONNECTION=192.0.2.10 50000 192.0.2.1 22"
for k in ca ca-deploy ca-stranger user; do
	"$SSH_KEYGEN" -q -t ed25519 -N '' -C "$k" -f "$T/keys/$k" || exit 99
	"$SSH_KEYGEN" -l -f "$T/keys/$k.pub" | cut -d' ' -f2 >"$T/keys/$k.fp"
done

# cert NAME CA SERIAL PRINCIPALS: $T/keys/NAME-cert.pub for the user's key.
cert() {
	cp "$T/keys/user.pub" "$T/keys/$1.pub"
	"$SSH_KEYGEN" -q -s "$T/keys/$2" -I "id-$1" -n "$4" -z "$3" \
	    -V -1d:+30d "$T/keys/$1.pub" || exit 99
}
cert good ca 10 ops,alice-team
cert stolen ca 666 ops
cert noprinc ca 11 someone-else
cert deploy ca-deploy 12 alice
cert untrusted ca-stranger 13 ops
cert_info() { printf 'publickey %s' "$(cut -d' ' -f1,2 "$T/keys/$1-cert.pub")"; }
cert_field() { cut -d' ' -f1,2 "$T/keys/$1-cert.pub" | tr ' ' ':'; }

cat >"$T/policy.yaml" <<EOF2
version: 2
serial: 2
authorities:
  - id: corp-ca
    owner: security@example.com
    key: $(key_line ca) corp-ca
    accounts: [alice]
    principals:
      alice: [ops]
  - id: deploy-ca
    owner: release@example.com
    key: $(key_line ca-deploy) deploy-ca
    accounts: [deploy]
revoked:
  - ca: $(key_fp ca)
    serial: 666
    reason: stolen laptop
EOF2
# It replaces pam_setup's policy of keys: every grant goes, on purpose.
if ! "$KEYAUTHCTL" --index "$IDX" --krl "$T/revoked.krl" --state "$T/state" \
    --host "$(hostname)" install --allow-removal "$T/policy.yaml" \
    >"$T/install.out" 2>&1; then
	t_diag "$(cat "$T/install.out")"
	t_bail "keyauthctl install failed"
fi

# fields NAME SERIAL CA: what a record says of the certificate (the last
# fields; fp= is the certified key's)
fields() {
	echo "cert_key_id=id-$1 cert_serial=$2 ca_fp=$(key_fp "$3")"
}

# acct NAME WANT-PAM WANT-RECORD CERT: the account stage, the certificate
# from the handoff record the helper would have written for it.
acct() {
	drive -e "$V4" -w "$SPOOL" -k "$(key_fp user)" -c "$(cert_field "$4")" \
	    "$CONF" keyauth alice acct
	expect_contains "account: $1" "$out" "acct_mgmt: $2"
	expect_record "account: $1" "$3"
}
acct "the right principal" PAM_SUCCESS \
    "event=account decision=allow reason=allowed account=alice key_id=corp-ca owner=security@example.com fp=$(key_fp user) client=192.0.2.10" good
expect_record "account: the right principal: the certificate" "$(fields good 10 ca)"
acct "a revoked serial" PAM_PERM_DENIED \
    "event=account decision=deny reason=revoked account=alice" stolen
expect_record "account: a revoked serial: the certificate" "$(fields stolen 666 ca)"
acct "a CA not granted for the account" PAM_PERM_DENIED \
    "event=account decision=deny reason=account_not_allowed account=alice" deploy
expect_record "account: a CA not granted: the certificate" "$(fields deploy 12 ca-deploy)"
acct "a CA the policy does not trust" PAM_PERM_DENIED \
    "event=account decision=deny reason=unknown_key account=alice" untrusted
acct "no principal the account needs" PAM_PERM_DENIED \
    "event=account decision=deny reason=principal_not_allowed account=alice" noprinc

# A record whose certificate is for another key is refused.
drive -e "$V4" -w "$SPOOL" -k "$(key_fp alice)" -c "$(cert_field good)" \
    "$CONF" keyauth alice acct
expect_contains "account: certificate of another key" "$out" "acct_mgmt: PAM_PERM_DENIED"
expect_record "account: certificate of another key: says why" \
    "handoff record refused: the certificate is for"

# sess NAME WANT-PAM WANT-RECORD CERT: the session stage alone, from the
# certificate sshd wrote into SSH_AUTH_INFO_0.
sess() {
	drive -e "$V4" -E "SSH_AUTH_INFO_0=$(cert_info "$4")" "$CONF" keyauth alice session
	expect_contains "session: $1" "$out" "open_session: $2"
	expect_record "session: $1" "$3"
}
sess "the right principal" PAM_SUCCESS \
    "event=session decision=allow reason=allowed account=alice key_id=corp-ca owner=security@example.com fp=$(key_fp user) client=192.0.2.10" good
expect_record "session: the right principal: the certificate" "$(fields good 10 ca)"
sess "a revoked serial" PAM_SESSION_ERR \
    "event=session decision=deny reason=revoked account=alice" stolen
sess "a CA not granted for the account" PAM_SESSION_ERR \
    "event=session decision=deny reason=account_not_allowed account=alice" deploy
sess "a CA the policy does not trust" PAM_SESSION_ERR \
    "event=session decision=deny reason=unknown_key account=alice" untrusted
sess "no principal the account needs" PAM_SESSION_ERR \
    "event=session decision=deny reason=principal_not_allowed account=alice" noprinc

# Both stages as sshd runs them: the handoff's certificate at the account
# stage, the same one in SSH_AUTH_INFO_0 at the session stage.
drive -e "$V4" -w "$SPOOL" -k "$(key_fp user)" -c "$(cert_field good)" \
    -E "SSH_AUTH_INFO_0=$(cert_info good)" "$CONF" keyauth alice both
expect_contains "both stages: account" "$out" "acct_mgmt: PAM_SUCCESS"
expect_contains "both stages: session" "$out" "open_session: PAM_SUCCESS"
expect_eq "both stages: two allow records with the certificate" \
    "$(records | grep -c "reason=allowed account=alice key_id=corp-ca .*cert_serial=10")" 2
# The session presents a revoked certificate of the same key: refused.
drive -e "$V4" -w "$SPOOL" -k "$(key_fp user)" -c "$(cert_field good)" \
    -E "SSH_AUTH_INFO_0=$(cert_info stolen)" "$CONF" keyauth alice both
expect_contains "both stages, other certificate at session" "$out" "open_session: PAM_SESSION_ERR"
t_done
