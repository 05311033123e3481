#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Who may run the helper, and with which paths (docs/security.md, "Forged
# audit records"). A local user who runs the real helper with an index
# and a spool of their choosing and a made-up client gets a genuine
# record "decision=allow client=6.6.6.6" into syslog under the helper's
# tag. So the helper runs only as root or as the configured
# AuthorizedKeysCommandUser, and takes -i and -s from root only: the
# AuthorizedKeysCommandUser reads the installed paths.
#
# Each run is in a private mount namespace whose /dev/log is the test's
# socket (tests/helper/syslog-listen); runs as the AuthorizedKeysCommandUser
# see the test's index and spool at the installed paths and the configured
# user name mapped to the test's uid (tests/ns-installed.sh).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/helper/common.sh"
unshare --mount --propagation private true 2>/dev/null ||
	t_skip "cannot create a mount namespace"
command -v setpriv >/dev/null 2>&1 || t_skip "setpriv not found"
setup
FP=$(fp_of PLAIN) TYPE=$(type_of PLAIN) B64=$(b64_of PLAIN)
SOCK="$T/log.sock"
# The attacker: an ordinary local user with a spool of their own. The
# index is readable by them, as every index was before 0640 (an old
# install, a copy): the helper itself must refuse them.
EVIL=12345
chmod 0644 "$IX"
mkdir -m 0700 "$T/evil-spool" && chown "$EVIL:$EVIL" "$T/evil-spool"
# The AuthorizedKeysCommandUser of this test: uid 23456, named as
# configured inside the namespace; its spool, its index directory.
KUID=23456
mkdir -m 0700 "$T/kspool" && chown "$KUID:$KUID" "$T/kspool"
CONN="192.0.2.1 22 6.6.6.6 5555"

# run_as NAME UID ARGS...: the helper as UID (0: root) with ARGS, syslog
# captured into $T/log; stdout in $T/out, exit code in $rc.
run_as() {
	name=$1 uid=$2
	shift 2
	rm -f "$SOCK" "$T/log"
	"$HTOOLS/syslog-listen" "$SOCK" 1 10 >"$T/log" &
	lpid=$!
	i=0
	while [ ! -S "$SOCK" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	rc=0
	unshare --mount --propagation private sh -c '
		. "$top_srcdir/tests/ns-installed.sh"
		sock=$1 ix=$2 spool=$3 kuid=$4 uid=$5
		shift 5
		ka_ns_installed "$ix" "$spool" "$kuid" "$kuid"
		mount -t tmpfs -o mode=0755,size=64k ka-test-dev /dev
		mknod -m 0666 /dev/null c 1 3 && : >/dev/log
		mount --bind "$sock" /dev/log
		if [ "$uid" = 0 ]; then exec "$@"; fi
		exec setpriv --reuid="$uid" --regid="$uid" --clear-groups "$@"' \
		sh "$SOCK" "$T/ix" "$T/kspool" "$KUID" "$uid" "$HELPER" "$@" \
		>"$T/out" 2>"$T/err" </dev/null || rc=$?
	wait $lpid || :
	t_diag "$name: $(cat "$T/log")"
}
refused() { # NAME: exit non-zero, nothing printed, the record denies
	if [ "$rc" -ne 0 ]; then pass "$1: exit $rc"; else fail "$1: exit 0"; fi
	expect_eq "$1: nothing printed" "$(cat "$T/out")" ""
	if grep -q 'decision=allow' "$T/log"; then fail "$1: no allow record"
	else pass "$1: no allow record"; fi
	if grep -q 'client=6.6.6.6' "$T/log"; then fail "$1: no made-up client logged"
	else pass "$1: no made-up client logged"; fi
}

# The attack as it was reported: paths and client of the user's choosing.
run_as "ordinary user, own paths" "$EVIL" -H web-01 -i "$IX" -s "$T/evil-spool" \
	alice "$FP" "$TYPE" "$B64" $CONN
refused "ordinary user, own paths"
expect_contains "ordinary user: the record says why" "$(cat "$T/log")" \
	"error=\"run by uid $EVIL: only root and $KA_KEYAUTH_USER may run"

# The same user with the installed paths is refused all the same.
run_as "ordinary user, installed paths" "$EVIL" -H web-01 alice "$FP" "$TYPE" "$B64" $CONN
refused "ordinary user, installed paths"

# The AuthorizedKeysCommandUser may not name other paths...
run_as "helper user with -i" "$KUID" -H web-01 -i "$IX" alice "$FP" "$TYPE" "$B64" $CONN
refused "helper user with -i"
expect_contains "helper user with -i: the record says why" "$(cat "$T/log")" \
	"error=\"-i and -s are for root only"
run_as "helper user with -s" "$KUID" -H web-01 -s "$T/kspool" alice "$FP" "$TYPE" "$B64"
refused "helper user with -s"

# ...and serves from the installed ones, as sshd runs it.
run_as "helper user, installed paths" "$KUID" -H web-01 alice "$FP" "$TYPE" "$B64" $CONN
expect_rc "helper user, installed paths" "$rc" 0
expect_eq "helper user: one key line" "$(wc -l <"$T/out")" 1
expect_contains "helper user: allow record" "$(cat "$T/log")" "decision=allow reason=allowed"
expect_eq "helper user: handoff record in its spool" "$(ls -A "$T/kspool" | wc -l)" 1
expect_eq "helper user: record owner" "$(stat -c %u "$T/kspool"/* 2>/dev/null)" "$KUID"
expect_eq "helper user: stderr" "$(cat "$T/err")" ""
rm -f "$T/kspool"/*

# root may name any paths (tests, a second index).
run_as "root with -i and -s" 0 -H web-01 -i "$IX" -s "$SPOOL" alice "$FP" "$TYPE" "$B64"
expect_rc "root with -i and -s" "$rc" 0
expect_contains "root: allow record" "$(cat "$T/log")" "decision=allow reason=allowed"
t_done
