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
# Then, when bench/runner and the helper are built, the helper's lookup of
# one granted key against both indexes, the v2 one with its grant
# annotations (docs/index-format.md), interleaved by bench/runner: the
# medians and the ratio v2 / v1. HELPER_RUNS (300), HELPER_WARMUP (20).
set -eu
GEN=${1:-${top_builddir:-.}/bench/gen-policy}
CTL=${2:-${top_builddir:-.}/keyauthctl/keyauthctl}
RUNNER=${3:-${top_builddir:-.}/bench/runner}
HELPER=${4:-${top_builddir:-.}/authorized-keys-command/keyauth-authorized-keys}
N=${N:-1000000} NPEOPLE=${NPEOPLE:-100000} NGROUPS=${NGROUPS:-1000} NGRANTS=${NGRANTS:-5000}
W=$(mktemp -d /tmp/keyauth-bench-teams.XXXXXX)
SPOOL=
trap '[ -z "$SPOOL" ] || umount "$SPOOL" 2>/dev/null; rm -rf "$W"' EXIT
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

[ -x "$RUNNER" ] && [ -x "$HELPER" ] || exit 0
# The first key of the policy, granted to its first account on web-*: the
# same entry in both forms. The spool on tmpfs as /run/keyauth is (a disk's
# fsync of the handoff record would drown the lookup).
set -- $(awk '/^    key: /{print $2, $3; exit}' "$W/v1.yaml")
KTYPE=$1 KB64=$2
ACCT=$(awk '/^    accounts: /{gsub(/[][,]/, " "); print $2; exit}' "$W/v1.yaml")
printf '%s %s\n' "$KTYPE" "$KB64" >"$W/k.pub"
KFP=$(ssh-keygen -lf "$W/k.pub" | awk '{print $2}')
mkdir -m 0700 "$W/spool"
if mount -t tmpfs -o size=1m,mode=0700 keyauth-bench-teams "$W/spool" 2>/dev/null; then
	SPOOL=$W/spool
fi
for v in 1 2; do
	"$HELPER" -H web-01 -i "$W/v$v/policy.cdb" -s "$W/spool" "$ACCT" "$KFP" "$KTYPE" "$KB64" >"$W/h$v.out" 2>&1 || true
	grep -q "$KB64" "$W/h$v.out" || { echo "helper (v$v) did not serve the key:" >&2; cat "$W/h$v.out" >&2; exit 1; }
done
"$RUNNER" -w "${HELPER_WARMUP:-20}" -n "${HELPER_RUNS:-300}" \
    v1 "$HELPER" -H web-01 -i "$W/v1/policy.cdb" -s "$W/spool" "$ACCT" "$KFP" "$KTYPE" "$KB64" :: \
    v2 "$HELPER" -H web-01 -i "$W/v2/policy.cdb" -s "$W/spool" "$ACCT" "$KFP" "$KTYPE" "$KB64" >"$W/helper.res"
echo "helper lookup (median_us mean_us min_us max_us runs), load $(cut -d' ' -f1-3 /proc/loadavg):"
sed 's/^/  /' "$W/helper.res"
awk '$1 == "v1" { a = $2 } $1 == "v2" { b = $2 } END { printf "helper ratio v2/v1 (medians): %.3f\n", b / a }' "$W/helper.res"
