#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# bench/teams.sh [GEN-POLICY KEYAUTHCTL]: install time of a version 2
# policy (people, groups, grants) against the equivalent version 1 policy,
# one run each, alternating v1, v2 (docs/performance.md, "Version 2").
#   N keys (default 1,000,000) held by NPEOPLE people (100,000) in NGROUPS
#   groups (1,000), NGRANTS grants (5,000): bench/gen-policy -T 1 and -T 2,
#   the same entries (tests/unit/model/test_teams.c shows the two forms
#   compile to the same index; here install's entry and key counts and
#   the index sizes are printed for both).
# Prints the wall time, user time and peak RSS of each install and the
# ratio v2 / v1. Environment: N, NPEOPLE, NGROUPS, NGRANTS, FABRICATE=1 (keys
# from gen-policy -F: ten times faster to generate, the same to install).
set -eu
GEN=${1:-${top_builddir:-.}/bench/gen-policy}
CTL=${2:-${top_builddir:-.}/keyauthctl/keyauthctl}
N=${N:-1000000} NPEOPLE=${NPEOPLE:-100000} NGROUPS=${NGROUPS:-1000} NGRANTS=${NGRANTS:-5000}
W=$(mktemp -d /tmp/keyauth-bench-teams.XXXXXX)
trap 'rm -rf "$W"' EXIT
F=
[ "${FABRICATE:-1}" = 1 ] && F=-F
for v in 1 2; do
	"$GEN" -T $v $F -n "$N" -P "$NPEOPLE" -G "$NGROUPS" -g "$NGRANTS" >"$W/v$v.yaml"
	chmod 0644 "$W/v$v.yaml"
	mkdir -m 0755 "$W/v$v"
done
sync
for v in 1 2; do
	/usr/bin/time -f '%e %M %U %S' -o "$W/v$v.time" "$CTL" --host web-01 \
	    --config /nonexistent/keyauth.conf \
	    --index "$W/v$v/policy.cdb" --krl "$W/v$v/revoked.krl" --state "$W/v$v/state" \
	    install "$W/v$v.yaml" >"$W/v$v.out" 2>&1 ||
	    { cat "$W/v$v.out" >&2; exit 1; }
done
read -r S1 KB1 U1 SYS1 <"$W/v1.time"
read -r S2 KB2 U2 SYS2 <"$W/v2.time"
echo "policy: $N keys, $NPEOPLE people, $NGROUPS groups, $NGRANTS grants"
echo "v1: $(($(stat -c %s "$W/v1.yaml") / 1048576)) MB YAML; install $S1 s (user $U1 s, sys $SYS1 s), peak RSS $KB1 KB"
echo "v2: $(($(stat -c %s "$W/v2.yaml") / 1048576)) MB YAML; install $S2 s (user $U2 s, sys $SYS2 s), peak RSS $KB2 KB"
echo "index: v1 $(stat -c %s "$W/v1/policy.cdb") bytes, v2 $(stat -c %s "$W/v2/policy.cdb") bytes"
grep -h "entries\|keys" "$W/v1.out" | sed 's/^/v1: /'
grep -h "entries\|keys" "$W/v2.out" | sed 's/^/v2: /'
awk -v a="$S1" -v b="$S2" 'BEGIN { printf "ratio v2/v1: %.2f (target <= 1.30)\n", b / a }'
