#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Freezing the fleet with a maximal serial (tests/data/hostile/accepted):
# a policy with serial 2^63-1 is valid, and once a server installs it no
# later policy can carry a higher serial, so install refuses every update
# as a rollback. The serial sanity rule (docs/fleet.md) stops it before
# it ships: check --strict refuses a serial above 2^53 ([serial-too-large])
# and diff warns about it; install itself still takes it, so the freeze
# is shown as it is.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/ctl/common.sh"
require_root
ACC="$DATA/hostile/accepted"
cd "$T" || exit 99
cp "$ACC/serial-max.yaml" "$ACC/serial-max-minus-one.yaml" . || exit 99
# the same policy, a change later and a serial that goes down
sed 's/^serial: .*/serial: 9223372036854775806/; s|192.0.2.0/24|198.51.100.0/24|' \
    serial-max.yaml >fix.yaml
sed 's/^serial: .*/serial: 10/' serial-max.yaml >ten.yaml
chmod 0644 ./*.yaml

# Both load: the format allows every serial up to 2^63-1.
out=$("$KEYAUTHCTL" check serial-max.yaml 2>&1); rc=$?
expect_rc "serial 2^63-1 loads" $rc 0
expect_contains "serial 2^63-1: summary" "$out" "valid, serial 9223372036854775807"
out=$("$KEYAUTHCTL" check serial-max-minus-one.yaml 2>&1); rc=$?
expect_rc "serial 2^63-2 loads" $rc 0

# Today: installing 2^63-2 leaves exactly one update ...
out=$(ctl --host web-01 install serial-max-minus-one.yaml 2>&1); rc=$?
expect_rc "install 2^63-2" $rc 0
out=$(ctl --host web-01 install serial-max.yaml 2>&1); rc=$?
expect_rc "install 2^63-1: the last update" $rc 0
# ... and after 2^63-1 every fix is a rollback: the fleet is frozen.
out=$(ctl --host web-01 install fix.yaml 2>&1); rc=$?
expect_rc "a fix after 2^63-1 is refused" $rc 1
expect_contains "a fix after 2^63-1: as a rollback" "$out" "installed serial is 9223372036854775807 (rollback)"
out=$(ctl --host web-01 install ten.yaml 2>&1); rc=$?
expect_rc "any serial after 2^63-1 is refused" $rc 1

# The serial sanity rule: check --strict refuses a serial that would
# freeze the fleet, diff warns about it.
out=$("$KEYAUTHCTL" check --strict serial-max.yaml 2>&1); rc=$?
expect_rc "check --strict refuses serial 2^63-1" $rc 1
expect_contains "check --strict: an error names the serial" "$out" \
    "error: [serial-too-large] serial 9223372036854775807"
out=$("$KEYAUTHCTL" check --strict serial-max-minus-one.yaml 2>&1); rc=$?
expect_rc "check --strict refuses serial 2^63-2" $rc 1
expect_contains "check --strict: 2^63-2 too" "$out" "[serial-too-large] serial 9223372036854775806"
out=$("$KEYAUTHCTL" diff ten.yaml serial-max.yaml 2>&1)
expect_contains "diff warns about the serial" "$out" \
    "warning: [serial-too-large] serial 10 -> 9223372036854775807"
t_done
