#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# keyauth-authorized-keys under valgrind: no memory error and no leak
# (definite or indirect) on the allow path, the deny paths and the error
# paths (missing and corrupt index, bad arguments, hostile account).
# tests/pam/valgrind.sh does the same for the PAM module.
. "$top_srcdir/tests/lib.sh"
t_tmpdir
. "$top_srcdir/tests/hardening/lib.sh"
command -v valgrind >/dev/null 2>&1 || t_skip "no valgrind"
ldd "$HELPER" 2>/dev/null | grep -q libasan && t_skip "ASan build"
mkkey A
mkkey B
mkdir -m 0755 "$T/ix" && mkdir -m 0700 "$T/spool"
grant_policy "$T/p.yaml" 3 A key-a '    from: [192.0.2.0/24]
    expires: 2099-01-01'
ctl_install "$T/ix" "$T/p.yaml" >"$T/install.out" 2>&1 || { t_diag "$(cat "$T/install.out")"; t_bail "keyauthctl install failed"; }
IX="$T/ix/policy.cdb"
head -c $(($(wc -c <"$IX") - 100)) "$IX" >"$T/ix/trunc.cdb"
FP=$(cat "$T/A.fp") TYPE=$(cut -d' ' -f1 "$T/A.pub") B64=$(cut -d' ' -f2 "$T/A.pub")

# vg NAME WANT-RC HELPER-ARGS...
vg() {
	name=$1 want=$2
	shift 2
	rm -f "$T/vg.log"
	valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
	    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
	    --track-fds=no --log-file="$T/vg.log" \
	    "$HELPER" "$@" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	if [ "$rc" = 99 ] || [ -s "$T/vg.log" ]; then
		fail "$name: valgrind clean"; head -n 40 "$T/vg.log" | sed 's/^/  /'
	else
		pass "$name: valgrind clean"
	fi
	expect_rc "$name" "$rc" "$want"
}
vg "account lookup" 0 -H web-01 -i "$IX" -s "$T/spool" alice
expect_eq "account lookup: one line" "$(wc -l <"$T/out")" 1
vg "offered key, handoff written" 0 -H web-01 -i "$IX" -s "$T/spool" alice "$FP" "$TYPE" "$B64"
vg "unknown key" 0 -H web-01 -i "$IX" -s "$T/spool" alice "$(cat "$T/B.fp")" "$TYPE" "$(cut -d' ' -f2 "$T/B.pub")"
vg "fingerprint mismatch" 1 -H web-01 -i "$IX" -s "$T/spool" alice "$(cat "$T/B.fp")" "$TYPE" "$B64"
vg "hostile account" 1 -H web-01 -i "$IX" -s "$T/spool" 'a b
c' "$FP" "$TYPE" "$B64"
vg "missing index" 1 -H web-01 -i "$T/ix/none.cdb" -s "$T/spool" alice
vg "truncated index" 1 -H web-01 -i "$T/ix/trunc.cdb" -s "$T/spool" alice
vg "no arguments" 1 -H web-01 -i "$IX" -s "$T/spool"
vg "bad base64" 1 -H web-01 -i "$IX" -s "$T/spool" alice "$FP" "$TYPE" 'AAAA!!'
vg "another host's index" 1 -H db-01 -i "$IX" -s "$T/spool" alice "$FP" "$TYPE" "$B64"
expect_eq "another host's index: no output" "$(cat "$T/out")" ""

# A version 2 policy: the record names the grant, read from the index's
# annotation, on the allow and on the deny path.
mkdir -m 0755 "$T/ix2"
printf 'version: 2\nserial: 4\npeople:\n  a@example.com:\n    keys:\n      - id: key-a\n        key: %s\ngroups:\n  ops: [a@example.com]\ngrants:\n  - id: ops-alice\n    to: [group:ops]\n    accounts: [alice]\n' \
    "$(keyline A)" >"$T/p2.yaml"
ctl_install "$T/ix2" "$T/p2.yaml" >"$T/install2.out" 2>&1 || { t_diag "$(cat "$T/install2.out")"; t_bail "keyauthctl install (v2) failed"; }
vg "v2: offered key" 0 -H web-01 -i "$T/ix2/policy.cdb" -s "$T/spool" alice "$FP" "$TYPE" "$B64"
expect_contains "v2: offered key: served" "$(cat "$T/out")" "$B64"
vg "v2: refused key" 0 -H web-01 -i "$T/ix2/policy.cdb" -s "$T/spool" root "$FP" "$TYPE" "$B64"
expect_eq "v2: refused key: no output" "$(cat "$T/out")" ""
t_done
