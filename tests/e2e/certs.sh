#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# End to end, OpenSSH user certificates (docs/certificates.md): CAs and
# certificates made by ssh-keygen -s, trusted through the policy's
# authorities, real sshd, keyauth-authorized-keys and pam_keyauth.
#   a certificate with the right principal logs in (lookup, account and
#   session records carry its key id, serial and CA);
#   refused, each with the record's reason: wrong principal, expired, not
#   yet valid, revoked serial, revoked key id, revoked CA, revoked owner,
#   a CA not granted for the account, a CA granted on another host only,
#   a source outside from and outside the certificate's source-address;
#   a certificate force-command with and without the authority's command;
#   a host certificate of the same CA does not log in; a certificate of a
#   revoked key is refused; sshd misconfigured with TrustedUserCAKeys.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

e2e_init kae2e
e2e_users
e2e_install_build
U=$E2E_USER

for ca in eng other host from cmd revoked vendor; do e2e_keygen "ca-$ca" ed25519; done
# cert NAME CA ID SERIAL PRINCIPALS VALIDITY [ssh-keygen options]: a user
# key NAME and its certificate NAME-cert.pub, which ssh -i NAME offers.
cert() {
	local name=$1 ca=$2 id=$3 serial=$4 princ=$5 valid=$6
	shift 6
	e2e_keygen "$name" ed25519
	"$SSH_KEYGEN" -q -s "$E2E_KEYS/ca-$ca" -I "$id" -z "$serial" \
	    -n "$princ" -V "$valid" "$@" "$E2E_KEYS/$name.pub" </dev/null ||
	    e2e_die "ssh-keygen -s for $name failed"
}
cert good eng alice-laptop 1 eng -5m:+1h
cert wrongprinc eng alice-laptop 2 "$U" -5m:+1h
cert expired eng alice-laptop 3 eng 20200101:20200102
cert future eng alice-laptop 4 eng +1d:+2d
cert badserial eng alice-laptop 666 eng -5m:+1h
cert badkeyid eng leaked-laptop 5 eng -5m:+1h
cert revca revoked bob 6 "$U" -5m:+1h
cert vendor vendor carol 7 "$U" -5m:+1h
cert otheracct other dave 8 "$U,$E2E_OTHER_USER" -5m:+1h
cert otherhost host erin 9 "$U" -5m:+1h
cert fromcert from frank 10 "$U" -5m:+1h
cert srcaddr eng grace 11 eng -5m:+1h -O source-address=127.0.0.1
cert forced eng heidi 12 eng -5m:+1h -O force-command="echo cert-command-ran"
cert samecmd cmd ivan 13 "$U" -5m:+1h -O force-command="echo authority-command-ran"
cert diffcmd cmd judy 14 "$U" -5m:+1h -O force-command="echo another-command"
cert plaincmd cmd mallory 15 "$U" -5m:+1h
# The key under this certificate is revoked as a plain key.
cert subjrev eng oscar 17 eng -5m:+1h
# A host key certified by the team's CA: a host certificate.
e2e_keygen hostcert ed25519
"$SSH_KEYGEN" -q -s "$E2E_KEYS/ca-eng" -h -I host-cert -z 16 -n eng \
    -V -5m:+1h "$E2E_KEYS/hostcert.pub" </dev/null || e2e_die "ssh-keygen -h failed"

e2e_policy "$E2E_SRC/policies/certs.yaml.in" "$T/policy.yaml" \
    CA_ENG="$(e2e_pub ca-eng)" CA_ENG_FP="$(e2e_fp ca-eng)" \
    CA_OTHER="$(e2e_pub ca-other)" CA_HOST="$(e2e_pub ca-host)" \
    CA_FROM="$(e2e_pub ca-from)" CA_CMD="$(e2e_pub ca-cmd)" \
    CA_REVOKED="$(e2e_pub ca-revoked)" CA_REVOKED_FP="$(e2e_fp ca-revoked)" \
    CA_VENDOR="$(e2e_pub ca-vendor)" SUBJ_FP="$(e2e_fp subjrev)"
e2e_policy_install "$T/policy.yaml"
e2e_sshd_start

# The certificate's own fields as the records carry them.
certfields() { # NAME ID SERIAL CA
	echo "fp=$(e2e_fp "$1") cert_key_id=$2 cert_serial=$3 ca_fp=$(e2e_fp "ca-$4")"
}

# granted NAME KEY AUTHORITY ID SERIAL CA [ssh args]
granted() {
	local name=$1 key=$2 auth=$3 id=$4 serial=$5 ca=$6 f
	shift 6
	f=$(certfields "$key" "$id" "$serial" "$ca")
	e2e_mark
	expect_login "$name" "$key" "$U" 127.0.0.1 "$@"
	e2e_expect_record "$name" lookup "decision=allow reason=allowed account=$U key_id=$auth $f"
	e2e_expect_record "$name" account "decision=allow reason=allowed account=$U key_id=$auth $f"
	e2e_expect_record "$name" session "decision=allow reason=allowed account=$U key_id=$auth $f"
}
granted "certificate with the right principal" good ca-eng alice-laptop 1 eng -- id -un
expect_eq "certificate: command ran as the account" "$E2E_OUT" "$U"
expect_contains "certificate: owner is the CA's" "$E2E_RECORD" "owner=security@example.com "

# refused NAME KEY REASON ID SERIAL CA [KEY_ID]: the helper printed no line
# for the certificate, sshd never reached PAM.
refused() {
	local name=$1 key=$2 reason=$3 id=$4 serial=$5 ca=$6 kid=${7:-}
	e2e_mark
	expect_refused "$name" "$key" "$U" 127.0.0.1
	e2e_expect_record "$name" lookup \
	    "decision=deny reason=$reason account=$U${kid:+ key_id=$kid} $(certfields "$key" "$id" "$serial" "$ca")"
	e2e_expect_no_record "$name" account
}
refused "wrong principal" wrongprinc principal_not_allowed alice-laptop 2 eng ca-eng
refused "expired certificate" expired expired alice-laptop 3 eng
refused "not-yet-valid certificate" future not_yet_valid alice-laptop 4 eng
refused "CA not granted for the account" otheracct account_not_allowed dave 8 other ca-other-account
refused "CA granted on another host only" otherhost host_not_allowed erin 9 host ca-other-host
# A host certificate of the same CA: ssh does not even offer it as a user
# certificate, and the plain key under it is no key of the policy.
e2e_mark
expect_refused "host certificate of the same CA" hostcert "$U" 127.0.0.1
e2e_expect_record "host certificate" lookup "decision=deny reason=unknown_key account=$U fp=$(e2e_fp hostcert)"
e2e_expect_no_record "host certificate" lookup "decision=allow"
e2e_expect_no_record "host certificate" account

# Sources: the helper serves the line with from= (and sshd reads the
# certificate's source-address); sshd refuses before PAM and says why.
wrong_source() { # NAME KEY AUTHORITY ID SERIAL CA SSHD-SAYS
	local name=$1 key=$2 auth=$3 id=$4 serial=$5 ca=$6 says=$7
	e2e_mark
	expect_refused "$name" "$key" "$U" 127.0.0.1 -b 127.0.0.2
	e2e_expect_record "$name" lookup "decision=allow reason=allowed account=$U key_id=$auth $(certfields "$key" "$id" "$serial" "$ca")"
	e2e_expect_no_record "$name" account "decision=allow"
	expect_contains "$name: sshd names the source" "$(e2e_sshd_lines)" "$says"
}
granted "certificate from inside from" fromcert ca-from frank 10 from
wrong_source "certificate outside from" fromcert ca-from frank 10 from "not from a permitted host"
granted "certificate inside source-address" srcaddr ca-eng grace 11 eng
wrong_source "certificate outside source-address" srcaddr ca-eng grace 11 eng "not from a permitted source address"

# Forced commands (sshd's rule: when both are present they must agree).
granted "certificate force-command" forced ca-eng heidi 12 eng -- echo requested
expect_eq "certificate force-command ran" "$E2E_OUT" "cert-command-ran"
granted "authority command, no force-command" plaincmd ca-command mallory 15 cmd -- echo requested
expect_eq "authority command ran" "$E2E_OUT" "authority-command-ran"
granted "force-command equal to the authority's command" samecmd ca-command ivan 13 cmd -- echo requested
expect_eq "the one command ran" "$E2E_OUT" "authority-command-ran"
refused "force-command differing from the authority's command" diffcmd cert_invalid judy 14 cmd ca-command

# Revocations: first sshd's KRL refuses them (install wrote the serial and
# the key id with ssh-keygen -k -s CA, the CA keys as key: lines), so sshd
# never asks keyauth; then, with the KRL taken out of sshd_config, keyauth
# refuses them itself.
for k in badserial badkeyid revca vendor subjrev; do
	e2e_mark
	expect_refused "revoked $k (KRL)" "$k" "$U" 127.0.0.1
	expect_contains "revoked $k (KRL): sshd says revoked" \
	    "$(e2e_sshd_lines | grep 'revoked by file')" "revoked by file $E2E_KRL"
	e2e_expect_no_record "revoked $k (KRL)" lookup "cert_key_id="
	e2e_expect_no_record "revoked $k (KRL)" account
done
e2e_sshd_restart RevokedKeys -
refused "revoked serial" badserial revoked alice-laptop 666 eng
refused "revoked key id" badkeyid revoked leaked-laptop 5 eng
refused "revoked CA" revca revoked bob 6 revoked
expect_contains "revoked CA: owner named" "$E2E_RECORD" "owner=security@example.com"
refused "revoked owner" vendor revoked carol 7 vendor
expect_contains "revoked owner: owner named" "$E2E_RECORD" "owner=vendor@example.net"
refused "certificate of a revoked key" subjrev revoked oscar 17 eng
granted "the team's certificate without the KRL" good ca-eng alice-laptop 1 eng

# sshd misconfigured to trust CAs itself (TrustedUserCAKeys): it accepts
# the revoked CA's certificate and one of a CA the policy grants only for
# another account, without the helper; pam_keyauth refuses both (no key
# of the policy vouched for the login).
cat "$E2E_KEYS/ca-revoked.pub" "$E2E_KEYS/ca-other.pub" >"$E2E_PREFIX/etc/trusted-ca.pub"
chmod 0644 "$E2E_PREFIX/etc/trusted-ca.pub"
e2e_sshd_restart RevokedKeys - TrustedUserCAKeys "$E2E_PREFIX/etc/trusted-ca.pub"
for k in revca otheracct; do
	e2e_mark
	expect_refused "TrustedUserCAKeys: $k" "$k" "$U" 127.0.0.1
	e2e_expect_record "TrustedUserCAKeys: $k" account "decision=deny account=$U"
	e2e_expect_no_record "TrustedUserCAKeys: $k" account "decision=allow"
	e2e_expect_no_record "TrustedUserCAKeys: $k" session "decision=allow"
done
e2e_sshd_restart RevokedKeys -

# explain says which authority and rule decided.
rc=0; out=$(e2e_ctl explain "$U" "$E2E_KEYS/wrongprinc-cert.pub" 2>&1) || rc=$?
expect_rc "explain wrong principal" "$rc" 1
expect_contains "explain names the authority" "$out" "ca-eng"
expect_contains "explain names the reason" "$out" "principal_not_allowed"

t_done
