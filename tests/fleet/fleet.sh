#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The fleet simulation of docs/fleet.md, real parts only (tests/fleet/lib.sh):
# FLEET_N servers (5 here; ./dev bench --fleet N runs 20 and more), each in
# its own mount and UTS namespace with its own /etc/keyauth,
# /var/lib/keyauth, /run/keyauth and sshd on 127.0.1.N, running the
# keyauth-fetch.service command every FLEET_INTERVAL seconds against one
# nginx. Every scenario is asserted by real ssh logins against every
# server:
#   a new grant reaches all;
#   a revocation is refused by all (the time to the last refusal is shown);
#   a tampered, an under-signed policy and an older signed serial are
#   refused by all while the previous policy keeps serving;
#   nginx stopped: the last good policy keeps serving, and after its
#   expires every login is denied policy_stale;
#   audit --hosts over the collected logs names a server held back.
# Waits have deadlines (a broken fleet fails, never hangs); no assertion
# depends on a duration.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/fleet/lib.sh"
fleet_init
e2e_keygen alice ed25519
e2e_keygen carol ed25519
grant() { # ID KEY
	printf '  - id: %s\n    owner: %s@example.com\n    key: %s\n    accounts: [%s]\n    hosts: ["srv*"]\n' \
	    "$1" "$2" "$(e2e_pub "$2")" "$E2E_USER"
}
revoke_alice() {
	printf 'revoked:\n  - fingerprint: %s\n    reason: laptop stolen\n' "$(e2e_fp alice)"
}
fleet_start

t_case "a new grant reaches all"
POLICY_BODY="keys:
$(grant alice-laptop alice)"
fleet_publish 2026120101 "alice bob"
fleet_wait_serial 2026120101 60
check "serial 2026120101 installed on every server" test $? = 0
fleet_expect_all "first policy" alice allowed
fleet_expect_all "first policy" carol refused
POLICY_BODY="keys:
$(grant alice-laptop alice)
$(grant carol-laptop carol)"
fleet_publish 2026120102 "alice bob"
cp -r "$F/pub" "$F/pub-2026120102"
fleet_wait_serial 2026120102 60
check "serial 2026120102 installed on every server" test $? = 0
fleet_expect_all "new grant" carol allowed

t_case "a revocation reaches all"
POLICY_BODY="keys:
$(grant alice-laptop alice)
$(grant carol-laptop carol)
$(revoke_alice)"
fleet_publish 2026120103 "alice bob"
fleet_until_refused alice 60 >"$F/revocation.times"
times=$(sort -n "$F/revocation.times" | tr '\n' ' ')
expect_eq "revocation: refused on every server" "$(grep -c timeout "$F/revocation.times")" 0
t_diag "revocation published at T0: refused after (s): $times(interval ${FLEET_INTERVAL}s, $FLEET_N servers)"
fleet_wait_serial 2026120103 60
fleet_expect_all "revocation" alice refused
fleet_expect_all "revocation" carol allowed

t_case "tampered, under-signed and older policies are refused by all"
saved="$F/pub-2026120103"
cp -r "$F/pub" "$saved"
# bad NAME SERIAL 'record fields': every server refused it; the previous
# policy (2026120103) still serves: carol in, alice out.
bad() {
	local i ok=1
	for i in $(seq 1 "$FLEET_N"); do
		fleet_wait_record "$i" "decision=refused $3 policy_serial=$2" 60 || { ok=; t_diag "  $(fleet_srv "$i") did not refuse it"; }
	done
	if [ -n "$ok" ]; then pass "$1: refused by every server"; else fail "$1: refused by every server"; fi
	for i in $(seq 1 "$FLEET_N"); do
		[ "$(fleet_serial "$i")" = 2026120103 ] || { fail "$1: $(fleet_srv "$i") still enforces 2026120103"; return; }
	done
	pass "$1: every server still enforces 2026120103"
	fleet_expect_all "$1" carol allowed
	fleet_expect_all "$1" alice refused
}
POLICY_BODY="keys:
$(grant alice-laptop alice)
$(grant carol-laptop carol)"
fleet_sign_policy 2026120104 "alice bob"
sed -i 's/carol-laptop/carol-laptoq/' "$F/pub/policy.yaml"
rm -f "$NGINX_DIR/www"/policy.yaml*
publish "$F/pub"/policy.yaml*
bad "tampered" 2026120104 "reason=bad_signature"
POLICY_BODY="keys:
$(grant alice-laptop alice)
$(grant carol-laptop carol)
$(revoke_alice)"
fleet_publish 2026120105 "alice"
bad "under-signed" 2026120105 "reason=under_signed"
rm -f "$NGINX_DIR/www"/policy.yaml*
publish "$F/pub-2026120102"/policy.yaml*
bad "an older signed serial" 2026120102 "reason=rollback"

t_case "nginx stopped: the last good policy, then policy_stale"
FLEET_EXPIRES=$(date -u -d '+25 seconds' +%Y-%m-%dT%H:%M:%SZ)
expires_at=$(date -d "$FLEET_EXPIRES" +%s)
POLICY_BODY="keys:
$(grant carol-laptop carol)
$(grant alice-laptop alice)
$(revoke_alice)"
fleet_publish 2026120106 "alice bob"
unset FLEET_EXPIRES
fleet_wait_serial 2026120106 20
check "short-lived serial 2026120106 installed on every server" test $? = 0
nginx_stop
fleet_expect_all "nginx stopped" carol allowed
for i in $(seq 1 "$FLEET_N"); do
	s="$F/$(fleet_srv "$i")"
	for t in $(seq 1 100); do grep -q "Couldn't connect to server" "$s/log/fetch.log" && break; sleep 0.2; done
done
expect_eq "nginx stopped: every server logged the failed fetch" \
    "$(grep -l "Couldn't connect to server; nothing changed" "$F"/srv*/log/fetch.log | wc -l)" "$FLEET_N"
expect_eq "nginx stopped: every server still enforces 2026120106" \
    "$(for i in $(seq 1 "$FLEET_N"); do fleet_serial "$i"; done | sort -u)" 2026120106
while [ "$(date +%s)" -le "$expires_at" ]; do sleep 0.5; done
fleet_expect_all "after expires" carol refused
for i in $(seq 1 "$FLEET_N"); do
	grep -q 'reason=policy_stale' "$F/$(fleet_srv "$i")/log/syslog.log" || t_diag "  $(fleet_srv "$i"): no policy_stale record"
done
expect_eq "after expires: every server logged policy_stale" \
    "$(grep -l 'reason=policy_stale' "$F"/srv*/log/syslog.log | wc -l)" "$FLEET_N"

t_case "audit --hosts names a server held back"
nginx_restart
POLICY_BODY="keys:
$(grant carol-laptop carol)
$(revoke_alice)"
fleet_publish 2026120107 "alice bob"
fleet_wait_serial 2026120107 60
check "fleet recovered: serial 2026120107 everywhere" test $? = 0
fleet_expect_all "recovered" carol allowed
held=$(fleet_srv 2)
touch "$F/$held/hold"
sleep "$((FLEET_INTERVAL * 2 + 1))"
POLICY_BODY="keys:
$(grant carol-laptop carol)
$(grant alice-new alice)"
# alice's old key stays revoked; her grant under a new id is refused too.
POLICY_BODY="$POLICY_BODY
$(revoke_alice)"
fleet_publish 2026120108 "alice bob"
fleet_wait_serial 2026120108 60
check "every server but $held installed 2026120108" test $? = 0
fleet_central_log
rc=0; out=$("$KA_CTL" audit --hosts "$F/central.log" 2>&1) || rc=$?
expect_rc "audit --hosts: a host lags" $rc 1
expect_contains "audit --hosts: newest serial" "$out" "newest serial installed: 2026120108"
expect_contains "audit --hosts: the lagging host" "$out" "lagging behind serial 2026120108: 1 host
  $held: enforces 2026120107"
expect_contains "audit --hosts: the refusals" "$out" "serial 2026120104  refused bad_signature"
rc=0; json=$("$KA_CTL" audit --hosts --format json "$F/central.log" 2>/dev/null) || rc=$?
expect_contains "audit --hosts --format json: lagging" "$json" "\"lagging\": [\"$held\"]"
t_diag "$out"
rm -f "$F/$held/hold"
fleet_wait_serial 2026120108 60
check "the held server catches up" test $? = 0
t_done
