#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# bench/html.sh [GEN-POLICY KEYAUTHCTL]: the HTML report of a large policy
# (docs/performance.md, "The HTML report"): its size, the time keyauthctl
# takes to write it, and the time headless chromium takes to load and
# render it, measured as the wall time of --dump-dom on the report minus
# that of a blank page (chromium's own start), the median of RUNS runs
# each; with perf(1), also the CPU time of all chromium's processes
# (perf stat's task-clock, which follows the renderer; the shell's own
# accounting does not), the figure that holds on a loaded machine.
# Environment: N keys (default 100,000), M accounts (10), RUNS (3),
# CHROMIUM (chromium). Keys from gen-policy -F (fabricated: ten times
# faster to generate, the same to report).
set -eu
GEN=${1:-${top_builddir:-.}/bench/gen-policy}
CTL=${2:-${top_builddir:-.}/keyauthctl/keyauthctl}
N=${N:-100000} M=${M:-10} RUNS=${RUNS:-3} CHROMIUM=${CHROMIUM:-chromium}
W=$(mktemp -d /tmp/keyauth-bench-html.XXXXXX)
trap 'rm -rf "$W"' EXIT
"$GEN" -F -n "$N" -m "$M" >"$W/policy.yaml"
/usr/bin/time -f '%e %M' -o "$W/report.time" "$CTL" report \
    --policy-file "$W/policy.yaml" --format html -o "$W/report.html"
printf '<!DOCTYPE html><html><body></body></html>\n' >"$W/blank.html"

PERF=$(command -v perf || true)
# wall FILE: "WALL CPU" seconds chromium takes to print FILE's DOM (CPU
# "-" without perf)
wall() {
	local t0 t1 cpu=-
	t0=$(date +%s.%N)
	${PERF:+"$PERF" stat -e task-clock -x, -o "$W/perf"} "$CHROMIUM" \
	    --headless --no-sandbox --disable-gpu \
	    --disable-background-networking --disable-component-update \
	    --disable-sync --user-data-dir="$W/profile" --dump-dom \
	    "file://$1" >"$W/dom" 2>/dev/null
	t1=$(date +%s.%N)
	[ -z "$PERF" ] || cpu=$(awk -F, '$3 == "task-clock" { printf "%.3f", $1 / 1000 }' "$W/perf")
	awk -v a="$t0" -v b="$t1" -v c="$cpu" 'BEGIN { printf "%.3f %s\n", b - a, c }'
}
# median of column $1
median() { sort -n -k"$1" | awk -v k="$1" '{ v[NR] = $k } END { print v[int((NR + 1) / 2)] }'; }
wall "$W/blank.html" >/dev/null # a first start fills the profile
for i in $(seq "$RUNS"); do wall "$W/blank.html"; done >"$W/blank.runs"
for i in $(seq "$RUNS"); do wall "$W/report.html"; done >"$W/report.runs"
median 1 <"$W/blank.runs" >"$W/blank.s"
median 1 <"$W/report.runs" >"$W/report.s"
median 2 <"$W/blank.runs" >"$W/blank.cpu"
median 2 <"$W/report.runs" >"$W/report.cpu"
grep -q 'id="matrix-table"' "$W/dom" || { echo "chromium did not render the report" >&2; exit 1; }
read -r S KB <"$W/report.time"
echo "policy: $N keys, $M accounts (+ deploy), $(($(stat -c %s "$W/policy.yaml") / 1048576)) MB YAML"
echo "report: $(stat -c %s "$W/report.html") bytes; written in $S s, peak RSS $KB KB"
echo "chromium --dump-dom (median of $RUNS): blank page $(cat "$W/blank.s") s, report $(cat "$W/report.s") s"
echo "render, wall: $(awk -v a="$(cat "$W/blank.s")" -v b="$(cat "$W/report.s")" 'BEGIN { printf "%.3f", b - a }') s"
[ -z "$PERF" ] || {
	echo "chromium CPU, all processes (median of $RUNS): blank page $(cat "$W/blank.cpu") s, report $(cat "$W/report.cpu") s"
	echo "render, CPU: $(awk -v a="$(cat "$W/blank.cpu")" -v b="$(cat "$W/report.cpu")" 'BEGIN { printf "%.3f", b - a }') s"
}
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
