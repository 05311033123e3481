#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# keyauthctl install and status: a first install into a temporary
# directory, the rollback rule (lower serial refused, same serial with other
# content refused, same content a no-op), the KRL checked with ssh-keygen -Q,
# the state file, stale policies, and status exit codes.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/ctl/common.sh"
require_root
make_keys
cd "$T" || exit 99
render "$CTLDATA/base.yaml.in" p6.yaml
sed 's/^serial: 6$/serial: 5/' p6.yaml >p5.yaml
sed 's/^serial: 6$/serial: 7/' p6.yaml >p7.yaml
# same serial 6, different content
sed 's/laptop stolen (INC-1234)/laptop stolen (INC-1235)/' p6.yaml >p6b.yaml
chmod 0644 p5.yaml p7.yaml p6b.yaml

# status before anything is installed: exit 3, policy_unavailable
out=$(ctl status 2>&1); rc=$?
expect_rc "status, nothing installed" $rc 3
expect_contains "status, nothing installed: reason" "$out" "policy_unavailable"

# First install: creates $VAR (0755), index, KRL, state.
out=$(ctl --host web-01 install p6.yaml 2>&1); rc=$?
expect_rc "install serial 6" $rc 0
expect_contains "install: says what" "$out" "installed serial 6 (sha256 "
expect_contains "install: for the host" "$out" "for host web-01"
expect_contains "install: first" "$out" "previous: none (first install)"
# 5 entries: bob's applies to db-* only, dave's owner is revoked
expect_contains "install: entries for this host" "$out" "3 entries, 3 keys for this host"
# mallory by fingerprint, dave by owner
expect_contains "install: KRL entries" "$out" "2 revoked keys"
expect_eq "install: directory mode" "$(stat -c %a "$VAR")" 755
for f in policy.cdb revoked.krl state; do
	if [ -f "$VAR/$f" ]; then pass "install wrote $f"; else fail "install wrote $f"; fi
done
expect_eq "install: no temporary files left" "$(ls "$VAR" | tr '\n' ' ')" "policy.cdb revoked.krl state "
sha6=$(sha256sum <p6.yaml | cut -c1-64)
expect_eq "state file content" "$(sed -n '1,4p' "$VAR/state" | tr '\n' ' ')" \
    "keyauth-install-state 1 serial 6 sha256 $sha6 host web-01 "
expect_contains "state file time" "$(sed -n 5p "$VAR/state")" "installed_at 20"
expect_eq "state file has 5 lines" "$(wc -l <"$VAR/state")" 5

# The KRL revokes mallory (by fingerprint) and dave (owner revoked), not
# the granted keys.
"$SSH_KEYGEN" -Q -f "$VAR/revoked.krl" "$T/keys/mallory.pub" >krl.out 2>&1
expect_contains "KRL: fingerprint-revoked key" "$(cat krl.out)" "REVOKED"
"$SSH_KEYGEN" -Q -f "$VAR/revoked.krl" "$T/keys/dave.pub" >krl.out 2>&1
expect_contains "KRL: owner-revoked key" "$(cat krl.out)" "REVOKED"
"$SSH_KEYGEN" -Q -f "$VAR/revoked.krl" "$T/keys/alice.pub" >krl.out 2>&1; rc=$?
expect_rc "KRL: granted key ok" $rc 0
expect_contains "KRL: granted key ok (text)" "$(cat krl.out)" ": ok"
"$SSH_KEYGEN" -Q -f "$VAR/revoked.krl" "$T/keys/acme.pub" >krl.out 2>&1; rc=$?
expect_rc "KRL: second granted key ok" $rc 0

# status after install
out=$(ctl --host web-01 status 2>&1); rc=$?
expect_rc "status after install" $rc 0
expect_contains "status: serial" "$out" "serial: 6"
expect_contains "status: sha256" "$out" "sha256: $sha6"
expect_contains "status: host" "$out" "host: web-01"
expect_contains "status: keys" "$out" "keys: 3"
expect_contains "status: policy expires" "$out" "policy expires: 2099-01-01T00:00:00Z (in "
expect_contains "status: krl" "$out" "krl: $VAR/revoked.krl ("
expect_contains "status: state" "$out" "state: serial 6 installed "
expect_contains "status: ok" "$out" "status: ok"
# staleness as of a later date
out=$(ctl --host web-01 status --at 2099-06-01 2>&1); rc=$?
expect_rc "status --at after the policy expires" $rc 1
expect_contains "status: stale" "$out" "status: stale"

before=$(file_id "$VAR/policy.cdb")
krl_before=$(file_id "$VAR/revoked.krl")
state_before=$(file_id "$VAR/state")

# ROLLBACK: serial 5 after serial 6 is refused, nothing touched.
out=$(ctl --host web-01 install p5.yaml 2>&1); rc=$?
expect_rc "rollback refused" $rc 1
expect_contains "rollback: message" "$out" "refusing serial 5: installed serial is 6 (rollback)"
expect_contains "rollback: nothing changed" "$out" "nothing changed"
expect_eq "rollback: index byte-identical, same inode" "$(file_id "$VAR/policy.cdb")" "$before"
expect_eq "rollback: KRL untouched" "$(file_id "$VAR/revoked.krl")" "$krl_before"
expect_eq "rollback: state untouched" "$(file_id "$VAR/state")" "$state_before"

# Same serial, different content: refused, nothing touched.
out=$(ctl --host web-01 install p6b.yaml 2>&1); rc=$?
expect_rc "same serial, other content refused" $rc 1
expect_contains "same serial: message" "$out" "serial 6 is already installed with different content; bump serial"
expect_eq "same serial: index untouched" "$(file_id "$VAR/policy.cdb")" "$before"

# Same serial, same content: a no-op that says so.
out=$(ctl --host web-01 install p6.yaml 2>&1); rc=$?
expect_rc "same policy again" $rc 0
expect_contains "same policy: no-op" "$out" "is already installed for host web-01; nothing to do"
expect_eq "same policy: index untouched" "$(file_id "$VAR/policy.cdb")" "$before"
expect_eq "same policy: state untouched" "$(file_id "$VAR/state")" "$state_before"

# Same policy but the index was lost: rewritten, not a silent no-op.
mv "$VAR/policy.cdb" "$T/saved.cdb"
out=$(ctl --host web-01 install p6.yaml 2>&1); rc=$?
expect_rc "same policy, index missing: reinstalled" $rc 0
expect_contains "same policy, index missing: says so" "$out" "(same policy; index rewritten)"
out=$(ctl --host web-01 status 2>&1); rc=$?
expect_rc "status after repair" $rc 0

# The no-op is decided from the file's bytes before loading it; a KRL
# lost or with the wrong mode, or an index compiled for another host,
# still make the same policy go the whole way.
rm "$VAR/revoked.krl"
out=$(ctl --host web-01 install p6.yaml 2>&1); rc=$?
expect_rc "same policy, KRL missing: reinstalled" $rc 0
expect_contains "same policy, KRL missing: says so" "$out" "(same policy; index rewritten)"
expect_eq "same policy, KRL missing: KRL back" "$(stat -c %a "$VAR/revoked.krl")" 600
chmod 0666 "$VAR/revoked.krl"
out=$(ctl --host web-01 install p6.yaml 2>&1); rc=$?
expect_contains "same policy, KRL mode 0666: rewritten" "$out" "(same policy; index rewritten)"
expect_eq "same policy, KRL mode 0666: mode restored" "$(stat -c %a "$VAR/revoked.krl")" 600
out=$(ctl --host web-02 install p6.yaml 2>&1); rc=$?
expect_contains "same policy, other host: compiled for it" "$out" "installed serial 6 (sha256 $(echo "$sha6" | cut -c1-16)) for host web-02"
out=$(ctl --host web-01 install p6.yaml 2>&1); rc=$?
expect_contains "same policy, back to web-01: compiled again" "$out" "for host web-01 (same policy; index rewritten)"
out=$(ctl --host web-01 install p6.yaml 2>&1); rc=$?
expect_contains "same policy, web-01 again: no-op" "$out" "is already installed for host web-01; nothing to do"

# The state file behind the index (a crash between the index rename and
# the state write, or a restored backup): the index's serial still counts.
cp "$VAR/state" "$T/state6"
sed 's/^serial 6$/serial 4/' "$T/state6" >"$VAR/state"
before=$(file_id "$VAR/policy.cdb")
out=$(ctl --host web-01 install p5.yaml 2>&1); rc=$?
expect_rc "rollback with a state file behind the index refused" $rc 1
expect_contains "state behind index: message" "$out" "refusing serial 5: installed serial is 6 (rollback)"
expect_eq "state behind index: index untouched" "$(file_id "$VAR/policy.cdb")" "$before"
cp "$T/state6" "$VAR/state"

# The state file deleted: the index still guards against rollback.
rm "$VAR/state"
before=$(file_id "$VAR/policy.cdb")
out=$(ctl --host web-01 install p5.yaml 2>&1); rc=$?
expect_rc "rollback without state file refused" $rc 1
expect_contains "rollback without state: message" "$out" "refusing serial 5: installed serial is 6 (rollback)"
expect_eq "rollback without state: index untouched" "$(file_id "$VAR/policy.cdb")" "$before"

# A corrupt state file is an error, never "first install".
printf 'keyauth-install-state 1\nserial 99x\n' >"$VAR/state"
out=$(ctl --host web-01 install p7.yaml 2>&1); rc=$?
expect_rc "corrupt state refused" $rc 3
expect_contains "corrupt state: message" "$out" "state file $VAR/state is unreadable or corrupt"
expect_eq "corrupt state: index untouched" "$(file_id "$VAR/policy.cdb")" "$before"
out=$(ctl status 2>&1); rc=$?
expect_contains "status reports the corrupt state" "$out" "state: $VAR/state unreadable"
rm "$VAR/state"

# A higher serial installs; previous is reported.
out=$(ctl --host web-01 install p7.yaml 2>&1); rc=$?
expect_rc "install serial 7" $rc 0
expect_contains "install 7: previous" "$out" "previous: serial 6 (sha256 "
expect_eq "state serial 7" "$(sed -n 2p "$VAR/state")" "serial 7"
if [ "$(file_id "$VAR/policy.cdb")" != "$before" ]; then pass "index replaced"; else fail "index replaced"; fi

# Another host: bob's db-* entry applies there.
out=$(ctl --host db-01 install p7.yaml 2>&1); rc=$?
expect_rc "same policy for another host: recompiled" $rc 0
expect_contains "db-01: bob's entry too" "$out" "4 entries, 4 keys for this host"
out=$(ctl --host db-01 status 2>&1); rc=$?
expect_contains "status: host db-01" "$out" "host: db-01"

# Invalid policy: refused (1), nothing touched.
before=$(file_id "$VAR/policy.cdb")
render "$CTLDATA/typo.yaml.in" typo.yaml
sed -i 's/^serial: 3$/serial: 100/' typo.yaml
out=$(ctl install typo.yaml 2>&1); rc=$?
expect_rc "invalid policy refused" $rc 1
expect_contains "invalid policy: located error" "$out" "typo.yaml:8:5: error: "
expect_eq "invalid policy: index untouched" "$(file_id "$VAR/policy.cdb")" "$before"

# A policy file writable by others is refused: whoever can write it
# chooses who logs in.
sed 's/^serial: 6$/serial: 50/' p6.yaml >p50.yaml
chmod 0666 p50.yaml
out=$(ctl --host db-01 install p50.yaml 2>&1); rc=$?
expect_rc "world-writable policy refused" $rc 1
expect_contains "world-writable policy: reason" "$out" "writable"
expect_eq "world-writable policy: index untouched" "$(file_id "$VAR/policy.cdb")" "$before"

# A stale policy (expires in the past) is refused.
sed -e 's/^serial: 6$/serial: 51/' -e 's/^expires: 2099-01-01T00:00:00Z$/expires: 2001-01-01T00:00:00Z/' p6.yaml >stale.yaml
chmod 0644 stale.yaml
out=$(ctl --host db-01 install stale.yaml 2>&1); rc=$?
expect_rc "stale policy refused" $rc 1
expect_contains "stale policy: message" "$out" "policy expired at 2001-01-01T00:00:00Z; refusing to install a stale policy"
expect_eq "stale policy: index untouched" "$(file_id "$VAR/policy.cdb")" "$before"

# Missing policy file: system error 3.
out=$(ctl install "$T/nope.yaml" 2>&1); rc=$?
expect_rc "missing policy" $rc 3
# Default --policy is used when no file is given.
sed 's/^serial: 6$/serial: 60/' p6.yaml >p60.yaml; chmod 0644 p60.yaml
out=$(ctl --host db-01 --policy "$T/p60.yaml" install 2>&1); rc=$?
expect_rc "install --policy default" $rc 0
expect_contains "install --policy default: serial" "$out" "installed serial 60"

# A group-writable target directory is refused.
mkdir -p "$T/gw" && chmod 0775 "$T/gw"
out=$("$KEYAUTHCTL" --index "$T/gw/policy.cdb" --krl "$T/gw/revoked.krl" --state "$T/gw/state" --host db-01 install p60.yaml 2>&1); rc=$?
expect_rc "group-writable directory refused" $rc 3
expect_contains "group-writable directory: message" "$out" "group or world writable"
expect_eq "group-writable directory: nothing written" "$(ls "$T/gw")" ""

# An empty revoked list gives a valid, empty KRL.
render "$CTLDATA/clean.yaml.in" clean.yaml
mkdir -p "$T/e"
out=$("$KEYAUTHCTL" --index "$T/e/policy.cdb" --krl "$T/e/revoked.krl" --state "$T/e/state" --host web-01 install clean.yaml 2>&1); rc=$?
expect_rc "install without revocations" $rc 0
expect_contains "no revocations: empty KRL" "$out" "0 revoked keys"
"$SSH_KEYGEN" -Q -f "$T/e/revoked.krl" "$T/keys/mallory.pub" >/dev/null 2>&1; rc=$?
expect_rc "empty KRL revokes nothing" $rc 0

# Nothing granted on this host: installed, with a warning on stderr.
mkdir -p "$T/w"
sed 's/^serial: 7$/serial: 8/; s/^\(    accounts: .*\)$/\1\n    hosts: [db-*]/' clean.yaml >nohost.yaml
chmod 0644 nohost.yaml
out=$("$KEYAUTHCTL" --helper-user root --index "$T/w/policy.cdb" --krl "$T/w/revoked.krl" --state "$T/w/state" --host web-01 install nohost.yaml 2>"$T/w.err"); rc=$?
expect_rc "install, no grant here" $rc 0
expect_contains "no grant here: 0 entries" "$out" "0 entries, 0 keys for this host"
expect_contains "no grant here: warned" "$(cat "$T/w.err")" \
    "keyauthctl: warning: no entry of the policy grants access on host web-01: every login through keyauth is refused here"
mkdir -p "$T/w2"
out=$("$KEYAUTHCTL" --helper-user root --index "$T/w2/policy.cdb" --krl "$T/w2/revoked.krl" --state "$T/w2/state" --host db-01 install nohost.yaml 2>&1 >/dev/null)
expect_eq "granted there: no warning" "$out" ""

# A KRL above KP_KRL_WARN (5000) revoked keys: installed, with a warning
# that links the measured cost; at 5000 exactly, none.
krl_policy() {
	{
		sed '/^revoked:/,$d' clean.yaml | sed "s/^serial: 7$/serial: $2/"
		echo "revoked:"
		awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "  - {fingerprint: SHA256:%042dA, reason: test}\n", i }'
	} >"$3"
	chmod 0644 "$3"
}
krl_policy 5000 9 krl5000.yaml
krl_policy 5001 10 krl5001.yaml
mkdir -p "$T/k"
out=$("$KEYAUTHCTL" --helper-user root --index "$T/k/policy.cdb" --krl "$T/k/revoked.krl" --state "$T/k/state" --host web-01 install krl5000.yaml 2>"$T/k.err"); rc=$?
expect_rc "install, 5000 revocations" $rc 0
expect_contains "5000 revocations: counted" "$out" "5000 revoked keys"
expect_eq "5000 revocations: no warning" "$(cat "$T/k.err")" ""
out=$("$KEYAUTHCTL" --helper-user root --index "$T/k/policy.cdb" --krl "$T/k/revoked.krl" --state "$T/k/state" --host web-01 install krl5001.yaml 2>"$T/k.err"); rc=$?
expect_rc "install, 5001 revocations" $rc 0
expect_contains "5001 revocations: warned" "$(cat "$T/k.err")" \
    "keyauthctl: warning: the KRL revokes 5001 keys (more than 5000)"
expect_contains "5001 revocations: the measured curve" "$(cat "$T/k.err")" \
    "docs/performance.md#krl-size-and-login-cost"

# A corrupt index: status and explain say policy_unavailable, exit 3.
head -c 100 "$VAR/policy.cdb" >"$T/trunc" && cat "$T/trunc" >"$VAR/policy.cdb"
out=$(ctl status 2>&1); rc=$?
expect_rc "status, truncated index" $rc 3
expect_contains "status, truncated index: reason" "$out" "policy_unavailable"
t_done
