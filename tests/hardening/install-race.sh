#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# A policy replaced 100 times with `keyauthctl install` (two policies
# alternating, serials growing: one grants key A to alice, the other key B)
# while 8 loops run the helper for alice: every lookup must print exactly
# the old or the new policy's lines and exit 0: never an error, an empty
# answer or a mix. The loops stop when the installs finish.
. "$top_srcdir/tests/lib.sh"
t_tmpdir
. "$top_srcdir/tests/hardening/lib.sh"
unshare --mount --propagation private true 2>/dev/null ||
	t_skip "cannot create a mount namespace"
mkkey A
mkkey B
D="$T/state"
mkdir -m 0755 "$D" "$T/spool" && chmod 0700 "$T/spool"

# The two answers, as the helper gives them for each policy alone.
grant_policy "$T/a.yaml" 1 A key-a
grant_policy "$T/b.yaml" 2 B key-b
ctl_install "$D" "$T/a.yaml" >/dev/null 2>&1 || exit 99
"$HELPER" -H web-01 -i "$D/policy.cdb" -s "$T/spool" alice >"$T/want-a" 2>/dev/null </dev/null || exit 99
ctl_install "$D" "$T/b.yaml" >/dev/null 2>&1 || exit 99
"$HELPER" -H web-01 -i "$D/policy.cdb" -s "$T/spool" alice >"$T/want-b" 2>/dev/null </dev/null || exit 99
expect_eq "policy A grants key A" "$(cut -d' ' -f3 "$T/want-a")" "keyauth:key-a"
expect_eq "policy B grants key B" "$(cut -d' ' -f3 "$T/want-b")" "keyauth:key-b"

# Each loop runs in a private mount namespace whose /dev has no log
# socket, so thousands of audit records do not flood the host's syslog.
cat >"$T/loop.sh" <<'LOOP'
mount -t tmpfs -o mode=0755,size=64k keyauth-race-dev /dev || exit 99
mknod -m 0666 /dev/null c 1 3 || exit 99
n=0 bad=0
while [ ! -e "$T/done" ]; do
	rc=0
	"$HELPER" -H web-01 -i "$T/state/policy.cdb" -s "$T/spool" alice >"$T/out.$1" 2>"$T/err.$1" </dev/null || rc=$?
	n=$((n + 1))
	if [ $rc -ne 0 ] || [ -s "$T/err.$1" ] ||
	    { ! cmp -s "$T/out.$1" "$T/want-a" && ! cmp -s "$T/out.$1" "$T/want-b"; }; then
		bad=$((bad + 1))
		{ echo "loop $1 lookup $n: exit $rc"; cat "$T/out.$1" "$T/err.$1"; } >>"$T/bad.$1"
	fi
done
echo "$n $bad" >"$T/count.$1"
LOOP
export T HELPER
for i in 1 2 3 4 5 6 7 8; do
	unshare --mount --propagation private sh "$T/loop.sh" "$i" &
done

ifail=0
for s in $(seq 3 102); do
	if [ $((s % 2)) = 1 ]; then p=a; k=A; id=key-a; else p=b; k=B; id=key-b; fi
	grant_policy "$T/p.yaml" "$s" "$k" "$id"
	ctl_install "$D" "$T/p.yaml" >"$T/install.out" 2>&1 || { ifail=$((ifail + 1)); cat "$T/install.out"; }
done
touch "$T/done"
wait

expect_eq "100 installs succeeded" "$ifail" 0
total=0 bad=0
for i in 1 2 3 4 5 6 7 8; do
	read -r n b <"$T/count.$i" || { n=0; b=1; }
	total=$((total + n))
	bad=$((bad + b))
	[ -s "$T/bad.$i" ] && head -n 20 "$T/bad.$i"
done
echo "# $total lookups during 100 installs"
expect_eq "lookups that saw an error or a mix" "$bad" 0
if [ "$total" -ge 8 ]; then pass "every loop ran lookups ($total)"; else fail "only $total lookups ran"; fi
expect_eq "the last policy is in force" "$(ctl_install "$D" "$T/p.yaml" 2>&1 >/dev/null; "$HELPER" -H web-01 -i "$D/policy.cdb" -s "$T/spool" alice </dev/null | cut -d' ' -f3)" "keyauth:key-b"
t_done
