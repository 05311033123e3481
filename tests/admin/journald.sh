#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# keyauth and a real systemd-journald: the helper's record reaches the
# journal with its KEYAUTH_* fields, and journald's own _UID and _EXE,
# which keyauthctl audit --journal trusts; records forged by an ordinary
# user (logger, logger --journald with KEYAUTH_* fields, the helper run by
# that user) reach the journal too, and are not trusted.
#
# Everything runs in a private mount namespace: /run, /dev and
# /var/log/journal are tmpfs there, journald is started in it (and
# stopped by its pid), the installed index, spool, helper path and the
# configured user name are the test's (tests/ns-installed.sh). The
# machine's journal is never read or written.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/helper/common.sh"
JOURNALD=/lib/systemd/systemd-journald
[ -x "$JOURNALD" ] || t_skip "no $JOURNALD"
command -v journalctl >/dev/null 2>&1 || t_skip "no journalctl"
command -v setpriv >/dev/null 2>&1 || t_skip "setpriv not found"
command -v logger >/dev/null 2>&1 || t_skip "logger not found"
unshare --mount --propagation private true 2>/dev/null ||
	t_skip "cannot create a mount namespace"
setup
FP=$(fp_of PLAIN) TYPE=$(type_of PLAIN) B64=$(b64_of PLAIN)
KUID=23456 EVIL=12345
chmod 0644 "$IX" # the helper's user reads it (its group is root's here)
mkdir -m 0700 "$T/kspool" && chown "$KUID:$KUID" "$T/kspool"
mkdir -m 0755 "$T/libexec"
install -m 0755 "$HELPER" "$T/libexec/${KA_HELPER_PATH##*/}"
REC="event=lookup decision=allow reason=allowed account=alice key_id=plain owner=alice@example.com fp=$FP"
export FP TYPE B64 REC JOURNALD KEYAUTHCTL

cat >"$T/ns.sh" <<'EOF'
set -e
. "$top_srcdir/tests/ns-installed.sh"
T=$1 KUID=$2 EVIL=$3
ka_ns_installed "$T/ix" "$T/kspool" "$KUID" "$KUID"
ka_ns_graft "${KA_HELPER_PATH%/*/*}" "$(basename "${KA_HELPER_PATH%/*}")" "$T/libexec"
mkdir -p /run/systemd/journal /run/log/journal
mount -t tmpfs -o mode=2755,size=64m ka-ns-runjournal /run/log/journal
[ ! -d /var/log/journal ] || mount -t tmpfs -o mode=2755,size=64m ka-ns-journal /var/log/journal
mount -t tmpfs -o mode=0755,size=64k ka-ns-dev /dev
mknod -m 0666 /dev/null c 1 3
ln -s /run/systemd/journal/dev-log /dev/log
"$JOURNALD" </dev/null >"$T/journald.out" 2>&1 &
echo $! >"$T/journald.pid"
i=0
while [ ! -S /run/systemd/journal/socket ] || [ ! -S /run/systemd/journal/dev-log ]; do
	i=$((i + 1)); [ $i -lt 200 ] || { echo "journald did not start" >&2; exit 1; }
	sleep 0.05
done
# the real helper as the configured user, from its installed path
setpriv --reuid="$KUID" --regid="$KUID" --clear-groups "$KA_HELPER_PATH" \
    -H web-01 alice "$FP" "$TYPE" "$B64" >"$T/helper.out" 2>&1 || echo "helper exit $?" >>"$T/helper.out"
# forgeries by an ordinary user
as_evil() { setpriv --reuid="$EVIL" --regid="$EVIL" --clear-groups "$@"; }
as_evil logger -p authpriv.notice -t keyauth-authorized-keys "$REC client=6.6.6.1 host=web-01 policy_serial=10 policy_sha256=-"
as_evil logger -p authpriv.notice -t sshd "pam_keyauth(sshd:account): event=account${REC#event=lookup} client=6.6.6.2 host=web-01 policy_serial=10 policy_sha256=-"
printf '%s\n' "MESSAGE=$REC client=6.6.6.3 host=web-01 policy_serial=10 policy_sha256=-" \
    SYSLOG_IDENTIFIER=keyauth-authorized-keys SYSLOG_FACILITY=10 PRIORITY=5 \
    KEYAUTH_EVENT=lookup KEYAUTH_DECISION=allow KEYAUTH_CLIENT=6.6.6.3 | as_evil logger --journald
as_evil "$KA_HELPER_PATH" -H web-01 -i "$T/ix/policy.cdb" alice "$FP" "$TYPE" "$B64" \
    1.2.3.4 22 6.6.6.4 5555 >/dev/null 2>&1 || :
# every entry written: 5 facility-10 entries (the helper's two, three forged)
i=0
while [ "$(journalctl -q -o json SYSLOG_FACILITY=10 2>/dev/null | grep -c .)" -lt 5 ]; do
	i=$((i + 1)); [ $i -lt 200 ] || break
	sleep 0.05
done
journalctl -q -o json SYSLOG_FACILITY=10 >"$T/journal.json" 2>"$T/journalctl.err" || :
"$KEYAUTHCTL" audit --journal --format json >"$T/audit.json" 2>"$T/audit.err" || echo "audit exit $?" >>"$T/audit.err"
"$KEYAUTHCTL" audit --journal >"$T/audit.txt" 2>&1 || :
kill "$(cat "$T/journald.pid")"
EOF
rc=0
unshare --mount --propagation private sh "$T/ns.sh" "$T" "$KUID" "$EVIL" >"$T/ns.out" 2>&1 || rc=$?
expect_rc "the namespace ran" "$rc" 0
[ "$rc" = 0 ] || t_diag "$(cat "$T/ns.out" "$T/journald.out" 2>/dev/null)"
expect_eq "helper served its line" "$(cut -d' ' -f3 "$T/helper.out")" "keyauth:plain"

# The helper's entry, as journald stored it.
grep '"KEYAUTH_FP"' "$T/journal.json" | grep "\"_UID\":\"$KUID\"" >"$T/helper.json" || :
expect_eq "one helper entry from its user" "$(grep -c . "$T/helper.json")" 1
for kv in "\"KEYAUTH_EVENT\":\"lookup\"" "\"KEYAUTH_DECISION\":\"allow\"" \
    "\"KEYAUTH_REASON\":\"allowed\"" "\"KEYAUTH_ACCOUNT\":\"alice\"" \
    "\"KEYAUTH_KEY_ID\":\"plain\"" "\"KEYAUTH_OWNER\":\"alice@example.com\"" \
    "\"KEYAUTH_FP\":\"$FP\"" "\"KEYAUTH_HOST\":\"web-01\"" \
    "\"KEYAUTH_POLICY_SERIAL\":\"10\"" "\"SYSLOG_IDENTIFIER\":\"keyauth-authorized-keys\"" \
    "\"SYSLOG_FACILITY\":\"10\"" "\"PRIORITY\":\"5\"" \
    "\"_TRANSPORT\":\"journal\"" "\"MESSAGE\":\"$REC client=- host=web-01 policy_serial=10"; do
	expect_contains "helper entry: $kv" "$(cat "$T/helper.json")" "$kv"
done
# journald reads _EXE from /proc when the entry arrives: a helper that
# has exited by then leaves none, so _UID decides (docs/audit-log.md).
if grep -q '"_EXE"' "$T/helper.json"; then
	expect_contains "helper entry: _EXE, when journald read it" \
	    "$(cat "$T/helper.json")" "\"_EXE\":\"$KA_HELPER_PATH\""
else
	pass "helper entry: no _EXE (the helper had exited)"
fi
if grep -q KEYAUTH_CLIENT "$T/helper.json"; then fail "helper entry: no KEYAUTH_CLIENT (client=-)"
else pass "helper entry: no KEYAUTH_CLIENT (client=-)"; fi
# The forgeries are in the journal, from the ordinary user.
expect_eq "forged entries in the journal" \
    "$(grep -c "\"_UID\":\"$EVIL\"" "$T/journal.json")" 4

# keyauthctl audit --journal: the helper's record only.
expect_eq "audit: exit" "$(cat "$T/audit.err" | grep -c 'audit exit')" 0
if command -v python3 >/dev/null 2>&1; then
	python3 -m json.tool "$T/audit.json" >/dev/null 2>&1 && pass "audit json is valid JSON" ||
	    fail "audit json is valid JSON"
fi
expect_contains "audit: one record" "$(cat "$T/audit.json")" '"records": 1,'
expect_contains "audit: forgeries untrusted" "$(cat "$T/audit.json")" '"untrusted": 4,'
expect_contains "audit: input" "$(cat "$T/audit.json")" '"input": "journal"'
if grep -q '6\.6\.6\.' "$T/audit.json"; then fail "audit: no forged client"; else pass "audit: no forged client"; fi
expect_contains "audit: the helper's key" "$(cat "$T/audit.json")" "\"fingerprint\": \"$FP\""
expect_contains "audit text: says so" "$(cat "$T/audit.txt")" \
    "journal: 4 records not from keyauth's programs ignored"
t_done
