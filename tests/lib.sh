# Shared by the shell tests. Each test sources it, then uses:
#   t_tmpdir        a private directory removed on exit (root-owned when run as root)
#   check NAME CMD  run CMD, count a pass or a failure
#   t_done          print the summary, exit 0/1
# Tests that need root exit 77 (skip) when not root.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${SSH_KEYGEN:=ssh-keygen}"
KEYAUTHCTL="$top_builddir/keyauthctl/keyauthctl"
HELPER="$top_builddir/authorized-keys-command/keyauth-authorized-keys"
DATA="$top_srcdir/tests/data"
t_pass=0
t_fail=0

t_tmpdir() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/keyauth-test.XXXXXX") || exit 99
	chmod 0755 "$T"
	trap 't_cleanup' EXIT
	trap 'exit 1' INT TERM HUP
}
t_cleanup() {
	[ -n "${T:-}" ] && rm -rf "$T"
	[ -n "${t_extra_cleanup:-}" ] && eval "$t_extra_cleanup"
	return 0
}
pass() { t_pass=$((t_pass + 1)); echo "ok - $*"; }
fail() { t_fail=$((t_fail + 1)); echo "FAIL - $*"; }
# expect_eq NAME GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else
		fail "$1"; printf '  got:  %s\n  want: %s\n' "$2" "$3"; fi
}
# expect_contains NAME HAYSTACK NEEDLE
expect_contains() {
	case "$2" in *"$3"*) pass "$1" ;; *)
		fail "$1"; printf '  got:  %s\n  want to contain: %s\n' "$2" "$3" ;; esac
}
# expect_rc NAME GOT WANT
expect_rc() { expect_eq "$1 (exit code)" "$2" "$3"; }
require_root() { [ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }; }
t_done() {
	echo "$t_pass passed, $t_fail failed"
	[ "$t_fail" = 0 ]
}
