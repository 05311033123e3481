#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/install.sh [-n KEYS] [-r ROUNDS]: keyauthctl install and check
# against their floor, a bare libyaml event parse of the same file
# (bench/yaml-parse), at KEYS keys (default 1,000,000; docs/performance.md,
# "Install and check"). Run as root after a build, from bench/run.sh or as
#   top_builddir=BUILD bench/install.sh [-n KEYS] [-r ROUNDS]
# The policy comes from bench/gen-policy, cached in BUILD/bench/data.
# Each of ROUNDS (default 3) rounds times, one after the other: the bare
# parse, an install into an empty scratch prefix, a re-install of the
# identical file; then bench/runner interleaves the bare parse with
# keyauthctl check. Medians; ratios compare figures of the same run.
# Peak RSS is the child's maximum resident set (/usr/bin/time %M).
# CTL=PATH times another keyauthctl binary (another build) on the same data.
set -u
N=1000000 R=3
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=${2:?}; shift ;;
	-r) R=${2:?}; shift ;;
	*) echo "usage: bench/install.sh [-n KEYS] [-r ROUNDS]" >&2; exit 2 ;;
	esac
	shift
done
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
B=$(cd "$top_builddir" && pwd)
GEN=$B/bench/gen-policy RUNNER=$B/bench/runner PARSE=$B/bench/yaml-parse
CTL=${CTL:-$B/keyauthctl/keyauthctl}
die() { printf 'bench/install: %s\n' "$*" >&2; exit 1; }
say() { printf '# %s\n' "$*" >&2; }
[ "$(id -u)" = 0 ] || die "needs root (install checks the ownership of its files)"
[ -x "$CTL" ] || die "build first: $CTL missing"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$B" bench/gen-policy bench/runner \
    bench/yaml-parse >/dev/null || die "cannot build the benchmark programs"

DATA=$B/bench/data
mkdir -p "$DATA"
P=$DATA/policy-$N.yaml
if [ ! -s "$P" ] || [ "$GEN" -nt "$P" ]; then
	say "generating $(basename "$P")"
	"$GEN" -n "$N" >"$P.tmp" && mv "$P.tmp" "$P" || die "gen-policy -n $N failed"
fi
# Root-owned and not writable by others, as install wants an index's parents.
W=$(mktemp -d /var/lib/keyauth-bench-install.XXXXXX) || die mktemp
trap 'case $W in /var/lib/keyauth-bench-install.?*) rm -rf --one-file-system "$W" ;; esac' EXIT
trap 'exit 1' INT TERM HUP
chmod 0755 "$W"
cp "$P" "$W/policy.yaml" && chmod 0644 "$W/policy.yaml" || die "copy"
load0=$(cut -d' ' -f1-3 /proc/loadavg)

# The install options for scratch prefix DIR (no spaces in $W).
ctlargs() { echo "--host web-01 --config /nonexistent/keyauth.conf --index $1/policy.cdb --krl $1/revoked.krl --state $1/state"; }
timed() { # NAME CMD...: appends "wall_s maxrss_kb user_s sys_s" to $W/NAME.t
	n=$1
	shift
	/usr/bin/time -f '%e %M %U %S' -o "$W/$n.1" "$@" >"$W/$n.out" 2>&1 ||
	    { cat "$W/$n.out" >&2; die "$n failed: $*"; }
	cat "$W/$n.1" >>"$W/$n.t"
}
sync
i=0
while [ $i -lt "$R" ]; do
	i=$((i + 1))
	say "round $i of $R: bare parse, install, re-install ($N keys)"
	rm -rf "$W/prefix"
	mkdir -m 0755 "$W/prefix"
	timed parse "$PARSE" "$W/policy.yaml"
	# shellcheck disable=SC2046
	timed install "$CTL" $(ctlargs "$W/prefix") install "$W/policy.yaml"
	# shellcheck disable=SC2046
	timed reinstall "$CTL" $(ctlargs "$W/prefix") install "$W/policy.yaml"
	grep -q "already installed" "$W/reinstall.out" || die "the re-install did not report the policy unchanged"
done
say "keyauthctl check vs bare parse, interleaved by bench/runner"
"$RUNNER" -w 1 -n "$R" parse "$PARSE" "$W/policy.yaml" :: check "$CTL" --host web-01 \
    check "$W/policy.yaml" >"$W/check.res" || die "check benchmark failed"
load1=$(cut -d' ' -f1-3 /proc/loadavg)

med() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -v c="$2" '{ print $c }' "$W/$1.t"; }
tp=$(col parse 1 | med) ti=$(col install 1 | med) tr=$(col reinstall 1 | med)
mi=$(col install 2 | med) mr=$(col reinstall 2 | med) mp=$(col parse 2 | med)
# CPU time (user + sys): what the machine's other load does not inflate.
cpu() { awk '{ print $3 + $4 }' "$W/$1.t" | med; }
cp_=$(cpu parse) ci=$(cpu install) cr=$(cpu reinstall)
rp=$(awk '$1 == "parse" { print $2 / 1e6 }' "$W/check.res")
rc=$(awk '$1 == "check" { print $2 / 1e6 }' "$W/check.res")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t ? "met" : "MISSED") }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.0f MB", k * 1024 / 1e6 }'; }
nk=$(printf "%'d" "$N" 2>/dev/null || echo "$N")
if [ "$N" -ge 1000000 ]; then t() { verdict "$@"; }; else t() { echo "(target at 1M)"; }; fi
ri=$(ratio "$ti" "$tp") rcr=$(ratio "$rc" "$rp")
{
	echo "install and check: $nk keys ($(($(stat -c %s "$P") / 1048576)) MiB YAML), $(date -u +%Y-%m-%dT%H:%M:%SZ)," \
	    "medians of $R rounds; load average at start $load0, at end $load1"
	echo
	echo "| figure | measured | ratio | target | |"
	echo "|---|---|---|---|---|"
	echo "| install vs bare libyaml parse | $ti s vs $tp s (CPU $ci s vs $cp_ s) | $ri | <= 2.0 | $(t "$ri" 2.0) |"
	echo "| install peak RSS (bare parse: $(mb "$mp")) | $(mb "$mi") | | <= 300 MB | $(t "$mi" 292969) |"
	echo "| re-install of the identical policy (peak RSS $(mb "$mr")) | $tr s (CPU $cr s) | | <= 0.5 s | $(t "$tr" 0.5) |"
	echo "| keyauthctl check vs bare parse (bench/runner) | $rc s vs $rp s | $rcr | <= 1.5 | $(t "$rcr" 1.5) |"
} | tee "$B/bench/results-install.md"
