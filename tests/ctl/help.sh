#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# keyauthctl as a person meets it: COMMAND --help prints that command's
# usage naming each of its options (read from the tables in keyauthctl.c,
# so a new command or option without help fails here); --help lists every
# command; an unknown command close to a known one gets "did you mean";
# install as another user than root says it needs root.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/ctl/common.sh"
. "$top_srcdir/tests/ctl/tables.sh"

# run NAME WANT CMD...: stdout $T/out, stderr $T/err
run() {
	local name=$1 want=$2 rc=0
	shift 2
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	expect_rc "$name" "$rc" "$want"
}

"$KEYAUTHCTL" --help >"$T/usage" 2>&1 || fail "keyauthctl --help fails"
while read -r name mask; do
	t_case "$name --help"
	run "exit" 0 "$KEYAUTHCTL" "$name" --help
	head -n1 "$T/out" >"$T/first"
	expect_contains "its usage line" "$(cat "$T/first")" "usage: keyauthctl [OPTIONS] $name"
	expect_eq "nothing on stderr" "$(cat "$T/err")" ""
	[ "$mask" = 0 ] || for o in $(opts_of "$mask"); do
		grep -q -e "^  $o[ =,]" "$T/out" && pass "names $o" || fail "does not name $o"
	done
	for o in $(global_opts) -h -V; do
		grep -q -e "^  $o[ ,]" "$T/out" && pass "names the global $o" || fail "does not name the global $o"
	done
	grep -q -e "^  $name\( \|\$\)" "$T/usage" && pass "keyauthctl --help lists it" ||
	    fail "keyauthctl --help does not list it"
	run "-h after its options" 0 "$KEYAUTHCTL" "$name" -h
	head -n1 "$T/out" | grep -q "usage: keyauthctl \[OPTIONS\] $name" && pass "-h: the same" || fail "-h: not its usage"
done <"$T/cmds"
t_case ""
run "help" 0 "$KEYAUTHCTL" help
check "help is --help" cmp "$T/out" "$T/usage"
run "--help before the command" 0 "$KEYAUTHCTL" --help setup
head -n1 "$T/out" | grep -q "usage: keyauthctl \[OPTIONS\] setup" && pass "--help setup: setup's" ||
    fail "--help setup: not setup's usage"

t_case "did you mean"
for w in isntall:install instal:install chek:check reprot:report doctr:doctor steup:setup rep:report au:audit; do
	run "${w%%:*}" 2 "$KEYAUTHCTL" "${w%%:*}"
	expect_contains "${w%%:*}: the suggestion" "$(cat "$T/err")" \
	    "keyauthctl: unknown command \"${w%%:*}\"; did you mean \"${w#*:}\"?"
done
for w in xyzzy e frobnicate; do
	run "$w" 2 "$KEYAUTHCTL" "$w"
	expect_eq "$w: no suggestion" "$(head -n1 "$T/err")" "keyauthctl: unknown command \"$w\""
done
t_case ""

t_case "install without root"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	cp "$DATA/valid/minimal.yaml" "$T/p.yaml" || exit 99
	chmod 0644 "$T/p.yaml"
	mkdir -p "$VAR" && chmod 0755 "$VAR"
	run "not root" 3 as_nobody "$KEYAUTHCTL" --index "$VAR/policy.cdb" \
	    --krl "$VAR/revoked.krl" --state "$VAR/state" --host db-01 install "$T/p.yaml"
	expect_eq "it says it needs root" "$(cat "$T/err")" \
	    "keyauthctl: install: needs root: it writes $VAR/policy.cdb, $VAR/revoked.krl and $VAR/state; nothing changed"
	[ ! -e "$VAR/policy.cdb" ] && pass "nothing written" || fail "an index was written"
else
	t_skip "needs root and setpriv"
fi
t_done
