#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/report.sh [-n KEYS] [-r RUNS] [-a ACCOUNT]: `keyauthctl report
# --account ACCOUNT` from the installed index against the same report from
# the YAML (docs/performance.md, "report from the installed index"). Run
# as root after a build:
#   top_builddir=BUILD bench/report.sh [-n 1000000] [-r 20] [-a u00042]
#
# Generates the policy with bench/gen-policy -F (cached in BUILD/bench/data),
# installs it for host web-01 into a private root-owned directory, then
# times both commands with bench/runner (stdout to /dev/null): the index
# report RUNS times, the YAML report 3 times (it reads the whole file).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u

N=1000000 RUNS=20 ACCT=u00042
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=${2:?}; shift ;;
	-r) RUNS=${2:?}; shift ;;
	-a) ACCT=${2:?}; shift ;;
	*) echo "usage: bench/report.sh [-n KEYS] [-r RUNS] [-a ACCOUNT]" >&2; exit 2 ;;
	esac
	shift
done

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
B=$(cd "$top_builddir" && pwd)
CTL=${KEYAUTHCTL:-$B/keyauthctl/keyauthctl} # a copy: a rebuild during a long run changes nothing
[ -x "$CTL" ] || { echo "build first: $CTL missing" >&2; exit 1; }
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$B" bench/gen-policy bench/runner >/dev/null || exit 1
mkdir -p "$B/bench/data"
P=$B/bench/data/report-F-$N.yaml
if [ ! -s "$P" ] || [ "$B/bench/gen-policy" -nt "$P" ]; then
	"$B/bench/gen-policy" -F -n "$N" >"$P.tmp" && mv "$P.tmp" "$P" || exit 1
fi
W=$(mktemp -d /var/lib/keyauth-report.XXXXXX) || exit 1
chmod 0755 "$W"
trap 'case $W in /var/lib/keyauth-report.?*) rm -rf --one-file-system "$W" ;; esac' EXIT
cp "$P" "$W/policy.yaml" && chmod 0644 "$W/policy.yaml"
IX=("$CTL" --helper-user root --index "$W/policy.cdb" --krl "$W/revoked.krl" --state "$W/state" --host web-01)
echo "# $N keys, account $ACCT; load: $(cut -d' ' -f1-3 /proc/loadavg)"
t0=$(date +%s.%N)
"${IX[@]}" install "$W/policy.yaml" >"$W/install.out" 2>&1 || { cat "$W/install.out"; exit 1; }
t1=$(date +%s.%N)
echo "# install: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f s", b - a }'); index $(stat -c %s "$W/policy.cdb") bytes"
"${IX[@]}" report --account "$ACCT" >"$W/ix.txt" || exit 1
"$CTL" report --policy-file "$W/policy.yaml" --host web-01 --account "$ACCT" >"$W/y.txt" || exit 1
if [ "$(sed '1,/^$/d' "$W/ix.txt")" = "$(sed '1,/^$/d' "$W/y.txt")" ]; then
	echo "# same rows both ways: $(tail -n1 "$W/ix.txt")"
else
	echo "# the two reports differ" >&2; diff "$W/y.txt" "$W/ix.txt" | head >&2; exit 1
fi
"$B/bench/runner" -w 2 -n "$RUNS" index-account "${IX[@]}" report --account "$ACCT"
"$B/bench/runner" -w 0 -n 3 yaml-account "$CTL" report --policy-file "$W/policy.yaml" --host web-01 --account "$ACCT"
"$B/bench/runner" -w 0 -n 3 index-all "${IX[@]}" report
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
