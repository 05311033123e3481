#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# ./dev bench --fleet N [RUNS]: revocation propagation in the fleet
# simulation of tests/fleet/lib.sh with N servers (each its own namespaces
# and sshd on 127.0.1.N, fetching every FLEET_INTERVAL seconds, default 2,
# from one nginx). Each run publishes a grant of a fresh key, waits until
# every server has it and logs in with it everywhere, then publishes its
# revocation at T0 and measures, with one ssh poller per server, the time
# until each server refuses the login. Prints each run's slowest server,
# then the median and the maximum over the runs of the time until the last
# server refuses (docs/fleet.md).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
FLEET_N=${1:-20}
RUNS=${2:-5}
: "${FLEET_INTERVAL:=2}"
export FLEET_N FLEET_INTERVAL
. "$top_srcdir/tests/fleet/lib.sh"
[ "$FLEET_N" -ge 1 ] && [ "$FLEET_N" -le 250 ] || e2e_die "--fleet N: 1 to 250 servers"
fleet_init
fleet_start
echo "# fleet: $FLEET_N servers, fetch every ${FLEET_INTERVAL}s, $RUNS runs"
serial=2026120100
lasts=()
for run in $(seq 1 "$RUNS"); do
	e2e_keygen "k$run" ed25519
	serial=$((serial + 1))
	POLICY_BODY="keys:
  - id: k$run
    owner: k$run@example.com
    key: $(e2e_pub "k$run")
    accounts: [$E2E_USER]"
	fleet_publish "$serial" "alice bob"
	fleet_wait_serial "$serial" 120 || e2e_die "run $run: the grant did not reach every server"
	for i in $(seq 1 "$FLEET_N"); do fleet_login "k$run" "$i" || e2e_die "run $run: k$run refused on $(fleet_srv "$i")"; done
	serial=$((serial + 1))
	POLICY_BODY="$POLICY_BODY
revoked:
  - owner: k$run@example.com
    reason: revoked in run $run"
	fleet_publish "$serial" "alice bob"
	fleet_until_refused "k$run" 120 >"$F/run$run.times"
	grep -q timeout "$F/run$run.times" && e2e_die "run $run: a server did not refuse within 120 s"
	last=$(sort -n "$F/run$run.times" | tail -n 1)
	med=$(sort -n "$F/run$run.times" | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}')
	echo "run $run: revocation refused by all $FLEET_N servers after ${last}s (median server ${med}s)"
	lasts+=("$last")
	fleet_wait_serial "$serial" 120 || true
done
printf '%s\n' "${lasts[@]}" | sort -n | awk -v n="$FLEET_N" -v iv="$FLEET_INTERVAL" '
	{ v[NR] = $1 }
	END {
		med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "revocation propagation, %d servers, fetch every %ss, %d runs: time until the last server refuses: median %.2fs, max %.2fs\n", n, iv, NR, med, v[NR]
	}'
t_done >/dev/null
