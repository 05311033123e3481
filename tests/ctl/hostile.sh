#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Every file under tests/data/hostile and tests/data/invalid, plus a 100 MB
# file made here, gets a located error from keyauthctl check: exit 1,
# a "file:line:col: error:" line, within seconds, never a crash or hang.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/ctl/common.sh"

# 100 MB: a valid start, then one huge scalar line.
{ printf 'version: 1\nserial: 1\nkeys:\n  - id: x\n    comment: '; head -c 104857600 /dev/zero | tr '\0' a; printf '\n'; } >"$T/big-100mb.yaml"

# A few more made here, so the test means something on its own.
{ printf 'version: 1\nserial: 1\nkeys:\n  - id: x\n    comment: '; i=0
  while [ $i -lt 10000 ]; do printf '['; i=$((i + 1)); done; printf '\n'; } >"$T/deep-10000.yaml"
{ printf 'version: 1\nserial: 1\nnetworks:\n  a: &a ["10.0.0.0/8","10.0.0.0/8","10.0.0.0/8"]\n'
  prev=a; for n in b c d e f g h i j; do printf '  %s: &%s [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n' $n $n $prev $prev $prev $prev $prev $prev $prev $prev $prev; prev=$n; done; } >"$T/laughs.yaml"
printf 'version: 1\nserial: 1\0\nkeys: []\n' >"$T/nul-byte.yaml"
printf 'version: 1\nserial: 1\nkeys:\n  - id: \303\050\n' >"$T/bad-utf8.yaml"
printf 'version: 1\nserial: 1\n---\nversion: 1\nserial: 2\n' >"$T/two-docs.yaml"
printf 'version: 1\nserial: 1\nserial: 2\n' >"$T/dup-key.yaml"

n=0
for f in "$DATA"/hostile/* "$DATA"/invalid/* "$T"/*.yaml; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	name=${f#"$DATA"/}
	start=$(date +%s)
	out=$(timeout 20 "$KEYAUTHCTL" check "$f" 2>&1); rc=$?
	secs=$(($(date +%s) - start))
	if [ $rc -ge 124 ]; then
		fail "$name: crashed, hung or killed (exit $rc)"
		continue
	fi
	expect_rc "$name" $rc 1
	if printf '%s\n' "$out" | grep -q "^$f:[0-9][0-9]*:[0-9][0-9]*: error: "; then
		pass "$name: located error"
	else
		fail "$name: located error"; printf '  got: %s\n' "$(printf '%s' "$out" | head -c 300)"
	fi
	echo "# $name: ${secs}s (reported; speed is measured under bench/)"
done
[ $n -ge 7 ] && pass "$n hostile and invalid files checked" || fail "only $n hostile/invalid files found"
t_done
