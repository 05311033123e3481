#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The helper as a person meets it: on a terminal (standard error a tty,
# made by script(1)) -h/--help and -V/--version print usage and version on
# standard output, and an error says why on standard error. Under sshd
# (no tty) the same words stay errors, as any unknown option: silent, exit 1
# (errors.sh and syslog.sh check the rest of that behaviour).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/helper/common.sh"
command -v script >/dev/null 2>&1 || t_skip "no script(1) (Debian: bsdutils)"
setup
VERSION=$("$KEYAUTHCTL" --version | sed 's/.* //')

# ontty NAME WANT_RC ARGS...: the helper (run through $AS when set) with a
# terminal as stderr (into $T/tty, carriage returns removed), stdout into
# $T/out.
AS=
ontty() {
	local name=$1 want=$2
	shift 2
	rm -f "$T/out"
	script -qec "$AS $(printf '%s ' "$HELPER" "$@") >'$T/out' </dev/null" /dev/null >"$T/tty.raw" 2>&1
	rc=$?
	tr -d '\r' <"$T/tty.raw" >"$T/tty"
	expect_rc "$name" "$rc" "$want"
}

ontty "--help on a terminal" 0 --help
head -n1 "$T/out" >"$T/first"
expect_eq "--help: the usage line" "$(cat "$T/first")" \
    "usage: keyauth-authorized-keys [-i index] [-s spool] [-H host] account [fingerprint type key]"
for o in "-i index" "-s spool" "-H host" "-V, --version"; do
	grep -qF -- "  $o" "$T/out" && pass "--help names $o" || fail "--help does not name $o"
done
expect_eq "--help: nothing on stderr" "$(cat "$T/tty")" ""
ontty "-h on a terminal" 0 -h
grep -q '^usage: keyauth-authorized-keys' "$T/out" && pass "-h: usage" || fail "-h: no usage"
ontty "-V on a terminal" 0 -V
expect_eq "-V: the version" "$(cat "$T/out")" "keyauth-authorized-keys (keyauth) $VERSION"
ontty "--version on a terminal" 0 --version
expect_eq "--version: the version" "$(cat "$T/out")" "keyauth-authorized-keys (keyauth) $VERSION"

if command -v setpriv >/dev/null 2>&1; then
	# a person who may not run it (docs/security.md) may still ask
	AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
	ontty "--help by another user" 0 --help
	grep -q '^usage: keyauth-authorized-keys' "$T/out" && pass "--help by another user: usage" ||
	    fail "--help by another user: no usage"
	ontty "a lookup by another user" 1 alice
	expect_contains "a lookup by another user: refused, on stderr" "$(cat "$T/tty")" "only root and"
	AS=
fi

ontty "an error on a terminal" 1 -H web-01 -i "$T/nonexistent.cdb" -s "$SPOOL" alice
expect_eq "an error: nothing on stdout" "$(cat "$T/out")" ""
expect_contains "an error: why, on stderr" "$(cat "$T/tty")" \
    "keyauth-authorized-keys: denied (policy_unavailable): "
ontty "a usage error on a terminal" 1 -x alice
expect_contains "a usage error: the usage, on stderr" "$(cat "$T/tty")" \
    "keyauth-authorized-keys: denied (policy_unavailable): usage: keyauth-authorized-keys"
ontty "a lookup on a terminal" 0 -H web-01 -i "$IX" -s "$SPOOL" alice
grep -q ' keyauth:plain$' "$T/out" && pass "a lookup: the keys on stdout" || fail "a lookup: no keys"
expect_eq "a lookup: nothing on stderr" "$(cat "$T/tty")" ""

# without a terminal, as under sshd: errors, silent
for a in --help -h -V --version --hel; do
	helper "$a"
	expect_silent_failure "$a without a terminal"
done
helper -H web-01 -i "$IX" -s "$SPOOL" --help alice
expect_silent_failure "--help among the options, without a terminal"
t_done
