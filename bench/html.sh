#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# bench/html.sh [GEN-POLICY KEYAUTHCTL]: the HTML report of a large policy
# (docs/performance.md, "The HTML report"): its size, the time keyauthctl
# takes to write it, and the time headless chromium takes to load and
# render it, measured as the wall time of chromium on the report minus
# that of a blank page (chromium's own start), the median of RUNS runs
# each, in two ways: --dump-dom (waits for the load event, then
# serializes the whole DOM: parse, script, and 16 MB written back) and
# --screenshot of the first 1280x900 viewport (what an auditor sees
# first: parse, script, style and layout of what is on screen, paint);
# with perf(1), also the CPU time of all chromium's processes (perf
# stat's task-clock, which follows the renderer; the shell's own
# accounting does not), the figure that holds on a loaded machine.
# With TRACE=1, also chromium's own trace of RUNS --dump-dom loads of the
# report: the thread time of the parse, of the renderer serializing the
# DOM, of the browser taking it and of layout, which hold better than the
# whole run's CPU on a loaded machine (docs/performance.md, "Fewer
# elements").
# Environment: N keys (default 100,000), M accounts (10), RUNS (3),
# CHROMIUM (chromium), TRACE. Keys from gen-policy -F (fabricated: ten times
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
# wall FILE [FLAG]: "WALL CPU" seconds chromium takes to print FILE's
# DOM, or to do FLAG instead (CPU "-" without perf)
wall() {
	local t0 t1 cpu=- how="${2:---dump-dom}"
	t0=$(date +%s.%N)
	${PERF:+"$PERF" stat -e task-clock -x, -o "$W/perf"} "$CHROMIUM" \
	    --headless --no-sandbox --disable-gpu \
	    --disable-background-networking --disable-component-update \
	    --disable-sync --user-data-dir="$W/profile" --window-size=1280,900 \
	    "$how" "file://$1" >"$W/dom" 2>/dev/null
	t1=$(date +%s.%N)
	[ -z "$PERF" ] || cpu=$(awk -F, '$3 == "task-clock" { printf "%.3f", $1 / 1000 }' "$W/perf")
	awk -v a="$t0" -v b="$t1" -v c="$cpu" 'BEGIN { printf "%.3f %s\n", b - a, c }'
}
# median of column $1
median() { sort -n -k"$1" | awk -v k="$1" '{ v[NR] = $k } END { print v[int((NR + 1) / 2)] }'; }
wall "$W/blank.html" >/dev/null # a first start fills the profile
for i in $(seq "$RUNS"); do wall "$W/blank.html"; done >"$W/blank.runs"
for i in $(seq "$RUNS"); do wall "$W/report.html"; done >"$W/report.runs"
grep -q 'id="matrix-table"' "$W/dom" || { echo "chromium did not render the report" >&2; exit 1; }
SHOT=--screenshot="$W/shot.png"
for i in $(seq "$RUNS"); do wall "$W/blank.html" "$SHOT"; done >"$W/sblank.runs"
for i in $(seq "$RUNS"); do wall "$W/report.html" "$SHOT"; done >"$W/sreport.runs"
[ -s "$W/shot.png" ] || { echo "chromium took no screenshot" >&2; exit 1; }
median 1 <"$W/blank.runs" >"$W/blank.s"
median 1 <"$W/report.runs" >"$W/report.s"
median 2 <"$W/blank.runs" >"$W/blank.cpu"
median 2 <"$W/report.runs" >"$W/report.cpu"
for f in sblank sreport; do
	median 1 <"$W/$f.runs" >"$W/$f.s"
	median 2 <"$W/$f.runs" >"$W/$f.cpu"
done
# minus A B: B minus A, of the medians in files $W/A and $W/B
minus() { awk -v a="$(cat "$W/$1")" -v b="$(cat "$W/$2")" 'BEGIN { printf "%.3f", b - a }'; }
read -r S KB <"$W/report.time"
echo "policy: $N keys, $M accounts (+ deploy), $(($(stat -c %s "$W/policy.yaml") / 1048576)) MB YAML"
echo "report: $(stat -c %s "$W/report.html") bytes; written in $S s, peak RSS $KB KB"
echo "chromium --dump-dom (median of $RUNS): blank page $(cat "$W/blank.s") s, report $(cat "$W/report.s") s"
echo "render (--dump-dom), wall: $(minus blank.s report.s) s"
echo "chromium --screenshot (median of $RUNS): blank page $(cat "$W/sblank.s") s, report $(cat "$W/sreport.s") s"
echo "render (--screenshot), wall: $(minus sblank.s sreport.s) s"
[ -z "$PERF" ] || {
	echo "chromium CPU, all processes (median of $RUNS): --dump-dom blank page $(cat "$W/blank.cpu") s, report $(cat "$W/report.cpu") s; --screenshot blank page $(cat "$W/sblank.cpu") s, report $(cat "$W/sreport.cpu") s"
	echo "render (--dump-dom), CPU: $(minus blank.cpu report.cpu) s"
	echo "render (--screenshot), CPU: $(minus sblank.cpu sreport.cpu) s"
}
# phases TRACE-FILE: "PARSE SERIALIZE BROWSER LAYOUT" thread ms; the
# page's renderer is the process that parsed the most
phases() {
	perl -ne '
	    my ($n, $p, $d) = /"name":"(ParseHTML|Layout|api_call|DevToolsSession::DispatchProtocolResponse)","ph":"X","pid":(\d+),"tdur":(\d+)/
	        or next;
	    $t{$p}{$n} += $d;
	    $br += $d if $n =~ /^Dev/;
	    END {
		my ($r) = sort { ($t{$b}{ParseHTML} // 0) <=> ($t{$a}{ParseHTML} // 0) } keys %t;
		printf "%d %d %d %d\n", map { ($_ // 0) / 1000 } $t{$r}{ParseHTML},
		    $t{$r}{api_call}, $br, $t{$r}{Layout};
	    }' "$1"
}
if [ -n "${TRACE:-}" ]; then
	for i in $(seq "$RUNS"); do
		rm -f "$W/trace.json"
		"$CHROMIUM" --headless --no-sandbox --disable-gpu \
		    --disable-background-networking --disable-component-update \
		    --disable-sync --user-data-dir="$W/profile" --window-size=1280,900 \
		    --trace-startup=toplevel,blink,devtools.timeline,devtools \
		    --trace-startup-format=json --trace-startup-file="$W/trace.json" \
		    --trace-startup-duration=30 --dump-dom "file://$W/report.html" >/dev/null 2>&1
		phases "$W/trace.json"
	done >"$W/trace.runs"
	printf 'chromium trace of --dump-dom, thread ms (median of %s):' "$RUNS"
	printf ' parse %s, serialize %s, browser %s, layout %s\n' \
	    "$(median 1 <"$W/trace.runs")" "$(median 2 <"$W/trace.runs")" \
	    "$(median 3 <"$W/trace.runs")" "$(median 4 <"$W/trace.runs")"
fi
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
