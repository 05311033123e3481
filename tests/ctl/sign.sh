#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Signed policies (docs/fleet.md): keyauthctl sign, then install with
# signatures = 2 refusing every tampering case with one line naming the
# signature, the signer and why, exit 1, the installed index, KRL and
# state byte-identical with the same inodes; the mass-removal guard;
# serial sanity; hostile inputs (a 10 MB and a truncated signature, a bad
# allowed_signers line, an unknown keyauth.conf key). Every install
# attempt logs one event=install record, read back from a syslog socket.
. "$top_srcdir/tests/ctl/fleet-lib.sh"
make_keys
conf
P="$ETC/policy.yaml"

t_case "sign"
printf 'version: 1\nserial: 1\n' >"$T/v1.yaml"
rc=0; out=$("$KEYAUTHCTL" sign "$T/v1.yaml" -k "$T/keys/s-alice" 2>&1) || rc=$?
expect_rc "sign: a policy without issued/expires" $rc 1
expect_contains "sign: says why" "$out" "a signed policy must say when it was issued and when it expires"
expect_eq "sign: nothing written" "$(ls "$T" | grep -c 'v1.yaml.*sig')" 0
fpolicy "$P" 10 alice bob
rc=0; out=$("$KEYAUTHCTL" sign "$P" -k "$T/keys/s-alice" -I ../x 2>&1) || rc=$?
expect_rc "sign: an identity that is not a file name" $rc 1
expect_contains "sign: identity refused" "$out" "an identity names the signature file"
rc=0; out=$("$KEYAUTHCTL" sign "$P" 2>&1) || rc=$?
expect_rc "sign without -k" $rc 2
rc=0; out=$("$KEYAUTHCTL" sign "$P" -k "$T/keys/s-alice" -I alice@example.com 2>&1) || rc=$?
expect_rc "sign -I" $rc 0
expect_contains "sign: names the key" "$out" "with key $(fp_of "$T/keys/s-alice.pub") in namespace keyauth-policy@keyauth"
expect_contains "sign: the file" "$out" "signature: $P.alice@example.com.sig"
"$SSH_KEYGEN" -Y verify -f "$ETC/allowed_signers" -I alice@example.com \
    -n keyauth-policy@keyauth -s "$P.alice@example.com.sig" <"$P" >/dev/null 2>&1
expect_rc "sign: ssh-keygen -Y verify accepts it" $? 0
rc=0; "$KEYAUTHCTL" sign "$P" -k "$T/keys/s-bob" >/dev/null 2>&1 || rc=$?
expect_rc "sign without -I" $rc 0
expect_eq "sign without -I: POLICY.sig" "$(ls "$ETC" | grep -c '^policy.yaml.sig$')" 1

t_case "install"
rc=0; out=$(sctl install "$P" 2>&1) || rc=$?
expect_rc "install with two signatures" $rc 0
expect_contains "install: says who signed" "$out" "signatures: 2 of 2 required, by alice@example.com,bob@example.com"
expect_record "install" "event=install decision=installed reason=ok host=web-01 policy_serial=10 signers=alice@example.com,bob@example.com previous_serial=-"
before=$(installed_id)

# refused NAME EXIT TEXT REASON: the install of $P is refused so.
refused() {
	rc=0; out=$(sctl install ${ALLOW:-} "$P" 2>&1) || rc=$?
	expect_rc "$1: refused" $rc "$2"
	expect_contains "$1: says why" "$out" "$3"
	expect_contains "$1: nothing changed" "$out" "nothing changed"
	expect_untouched "$1" "$before"
	[ -z "$4" ] || expect_record "$1" "event=install $4 host=web-01"
	t_diag "$1: $(printf '%s\n' "$out" | grep -v '^signature: ' | head -n 1)"
}
# resign SERIAL SIGNERS...: $P anew with SERIAL, signed by each SIGNER.
resign() {
	local s=$1
	shift
	rm -f "$ETC"/policy.yaml*.sig
	fpolicy "$P" "$s" ${KEYS:-alice bob}
	for n in "$@"; do ssign "$P" "$n"; done
}

t_case "tampering"
resign 11 alice bob
sed -i 's/alice-key/alice-kez/' "$P"
refused "tampered by one byte" 1 "does not match the policy: the policy changed after it was signed" "decision=refused reason=bad_signature"
resign 11
refused "unsigned" 1 "unsigned: no signature file beside $P" "decision=refused reason=unsigned"
resign 11 alice
refused "under-signed" 1 "1 valid signature from distinct signers, 2 required" "decision=refused reason=under_signed"
resign 11 alice
"$SSH_KEYGEN" -q -Y sign -f "$T/keys/s-eve" -n keyauth-policy@keyauth "$P" </dev/null
mv "$P.sig" "$P.eve@example.com.sig"
refused "unknown signer" 1 "signed by key $(fp_of "$T/keys/s-eve.pub"), which $ETC/allowed_signers does not name (unknown signer)" "decision=refused reason=unknown_signer"
resign 11 alice
"$SSH_KEYGEN" -q -Y sign -f "$T/keys/s-bob" -n file "$P" </dev/null
mv "$P.sig" "$P.bob@example.com.sig"
refused "another namespace" 1 "signed in another namespace, not keyauth-policy@keyauth" "decision=refused reason=bad_signature"
resign 11 alice
"$KEYAUTHCTL" sign "$P" -k "$T/keys/s-alice" >/dev/null 2>&1
refused "one key twice" 1 "is a second signature by the key $(fp_of "$T/keys/s-alice.pub") of alice@example.com: one key counts once" "decision=refused reason=under_signed"
spub bob >"$ETC/revoked_signers"
conf "revoked_signers = $ETC/revoked_signers"
resign 11 alice bob
refused "revoked signer" 1 "signed by bob@example.com ($(fp_of "$T/keys/s-bob.pub")), a revoked signer ($ETC/revoked_signers)" "decision=refused reason=revoked_signer"
# alice and carol still make two: a revoked signer's file does not refuse.
ssign "$P" carol
rc=0; out=$(sctl install "$P" 2>&1) || rc=$?
expect_rc "revoked signer, two others sign" $rc 0
expect_contains "revoked signer reported" "$out" "a revoked signer"
expect_record "two others sign" "decision=installed policy_serial=11 signers=alice@example.com,carol@example.com previous_serial=10"
conf
before=$(installed_id)

t_case "rollback and validity"
resign 10 alice bob
refused "an older signed serial" 1 "refusing serial 10: installed serial is 11 (rollback)" "decision=refused reason=rollback policy_serial=10 previous_serial=11"
ISSUED=$(iso '-40 days'); EXPIRES=$(iso '+1 day'); resign 12 alice bob
refused "longer than max_validity" 1 "longer than max_validity 2592000 s" "decision=refused reason=validity"
ISSUED=$(iso '+1 day'); EXPIRES=$(iso '+3 days'); resign 12 alice bob
refused "issued in the future" 1 "is in the future" "decision=refused reason=validity"
rm -f "$ETC"/policy.yaml*.sig
{ echo "version: 1"; echo "serial: 12"; echo "expires: $(iso '+2 days')"; } >"$P"
for n in alice bob; do
	"$SSH_KEYGEN" -q -Y sign -f "$T/keys/s-$n" -n keyauth-policy@keyauth "$P" </dev/null
	mv "$P.sig" "$P.$n@example.com.sig"
done
refused "signed, without issued" 1 "a signed policy must carry issued: and expires:" "decision=refused reason=validity"
ISSUED=$(iso '-40 days'); EXPIRES=$(iso '-1 day'); resign 12 alice bob
MAXV=60d; conf; unset MAXV
refused "expired" 1 "refusing to install a stale policy" "decision=refused reason=stale"
unset ISSUED EXPIRES
conf

t_case "hostile inputs"
resign 12 alice bob
head -c 10485760 /dev/zero | tr '\0' A >"$P.carol@example.com.sig"
rm -f "$P.bob@example.com.sig"
refused "a 10 MB signature" 1 "policy.yaml.carol@example.com.sig is 10485760 bytes: more than a signature can be (at most 65536); not given to ssh-keygen" "decision=refused"
resign 12 alice bob
head -c 150 "$P.bob@example.com.sig" >"$T/trunc" && cat "$T/trunc" >"$P.bob@example.com.sig"
refused "a truncated signature" 1 "policy.yaml.bob@example.com.sig is not a readable SSH signature: truncated or damaged" "decision=refused reason=bad_signature"
resign 12 alice bob
cp "$ETC/allowed_signers" "$T/as.good"
echo "dave@example.com ssh-ed25519 AAAAnotbase64" >>"$ETC/allowed_signers"
refused "allowed_signers with a bad line" 3 "allowed_signers $ETC/allowed_signers:5:" "decision=failed reason=bad_config"
expect_contains "bad line: says ssh-keygen would skip it" "$out" "ssh-keygen would skip this line without a word"
cp "$T/as.good" "$ETC/allowed_signers"
conf "signature = 3"
refused "keyauth.conf with an unknown key" 3 "$ETC/keyauth.conf:4: error: unknown key 'signature' (expected one of:" "decision=failed reason=bad_config"
conf
chmod 0666 "$ETC/keyauth.conf"
refused "keyauth.conf writable by others" 3 "file is group- or world-writable; refusing it" "decision=failed reason=bad_config"
conf
chmod 0666 "$P.alice@example.com.sig"
refused "a signature writable by others" 1 "policy.yaml.alice@example.com.sig cannot be used: file is group- or world-writable" "decision=refused reason=bad_signature"
chmod 0644 "$P.alice@example.com.sig"
rc=0; out=$(sctl install "$P" 2>&1) || rc=$?
expect_rc "the same files, fixed, install" $rc 0
before=$(installed_id)

t_case "mass-removal guard"
make_many() { # SERIAL N: alice plus N more keys
	local i
	rm -f "$ETC"/policy.yaml*.sig
	for i in $(seq 1 "$2"); do [ -f "$T/keys/m$i" ] || gen_key "m$i" ed25519; done
	fpolicy "$P" "$1" alice $(seq -f 'm%g' -s ' ' 1 "$2")
	ssign "$P" alice
	ssign "$P" bob
}
make_many 13 5
rc=0; out=$(sctl install "$P" 2>&1) || rc=$?
expect_rc "six keys" $rc 0
expect_contains "six keys: bob's two grants removed, under the limit" "$out" "removed: 2 of 4 (account, key) grants"
before=$(installed_id)
make_many 14 1
refused "removing 8 of 12 grants" 1 "refusing a mass removal: the policy removes 8 of the 12 (account, key) grants of host web-01 (66%, more than max_removal 50%), e.g." "decision=refused reason=mass_removal"
expect_contains "mass removal: names examples" "$out" "-key ("
rc=0; out=$(sctl install --allow-removal "$P" 2>&1) || rc=$?
expect_rc "--allow-removal" $rc 0
expect_contains "--allow-removal: says it" "$out" "removed: 8 of 12 (account, key) grants of this host (--allow-removal)"
expect_record "--allow-removal" "decision=installed policy_serial=14"
# An emergency revocation of everyone is never slowed by the guard.
rm -f "$ETC"/policy.yaml*.sig
REVOKE=alice; fpolicy "$P" 15 alice m1; unset REVOKE
sed -i 's/owner: m1@example.com/owner: alice@example.com/' "$P"
ssign "$P" alice; ssign "$P" bob
rc=0; out=$(sctl install "$P" 2>&1) || rc=$?
expect_rc "revoking every grant: no --allow-removal needed" $rc 0
expect_record "revoking every grant" "decision=installed policy_serial=15"
conf "max_removal = 0%"
rm -f "$ETC"/policy.yaml*.sig; fpolicy "$P" 16; ssign "$P" alice; ssign "$P" bob
rc=0; out=$(sctl install "$P" 2>&1) || rc=$?
expect_rc "max_removal 0%: nothing left to remove" $rc 0
conf

t_case "one record per attempt"
# Every keyauthctl line in syslog is one install record, and parses.
expect_eq "records: one per install attempt" "$(nrecords)" "$(grep -c 'keyauthctl\[' "$T/syslog")"
records | while IFS= read -r r; do "$top_builddir/tests/helper/audit-fields" <<EOR >/dev/null 2>&1 || echo "$r"
<85>Dec  1 10:00:00 keyauthctl[1]: $r
EOR
done >"$T/unparsed"
expect_eq "records: every one parses" "$(cat "$T/unparsed")" ""

t_case "serial sanity"
printf 'version: 1\nserial: 9007199254740993\n' >"$T/huge.yaml"
rc=0; out=$("$KEYAUTHCTL" check --strict "$T/huge.yaml" 2>&1) || rc=$?
expect_rc "check --strict: a serial above 2^53" $rc 1
expect_contains "check --strict: says why" "$out" "[serial-too-large] serial 9007199254740993 is above 9007199254740992"
rc=0; out=$("$KEYAUTHCTL" check "$T/huge.yaml" 2>&1) || rc=$?
expect_rc "check: a warning only" $rc 0
printf 'version: 1\nserial: 9007199254740992\n' >"$T/edge.yaml"
rc=0; out=$("$KEYAUTHCTL" check --strict "$T/edge.yaml" 2>&1) || rc=$?
expect_rc "check --strict: 2^53 itself" $rc 0
printf 'version: 1\nserial: 7\n' >"$T/seven.yaml"
rc=0; "$KEYAUTHCTL" diff "$T/seven.yaml" "$T/huge.yaml" >"$T/diff.out" 2>"$T/diff.err" || rc=$?
expect_contains "diff: warns" "$(cat "$T/diff.err")" "warning: [serial-too-large] serial 7 -> 9007199254740993"
expect_eq "diff: the report itself unchanged" "$(grep -c 'serial-too-large' "$T/diff.out")" 0
t_done
