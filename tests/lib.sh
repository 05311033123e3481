# SPDX-License-Identifier: BSD-2-Clause
# Shared by the shell tests. They speak TAP, read by automake's
# tap-driver.sh (Makefile.am): one "ok N - NAME" or "not ok N - NAME" line
# per check, what differed as "# " lines, the plan "1..N" last. Each test
# sources this file, then uses:
#   t_tmpdir               a private directory $T removed on exit (root-owned
#                          when run as root)
#   pass NAME, fail NAME   one result
#   check NAME CMD...      run CMD: a pass when it exits 0 (its output is
#                          shown only when it fails)
#   expect_eq NAME GOT WANT, expect_contains NAME HAYSTACK NEEDLE,
#   expect_rc NAME GOT WANT
#   t_diag TEXT...         diagnostics, every line as "# TEXT"
#   t_case NAME            names the results that follow "NAME: ..." ("" ends)
#   t_todo REASON          the results that follow are known failures ("#
#                          TODO": a failure is XFAIL, a pass XPASS, which
#                          fails the suite); t_todo "" ends it
#   t_skip REASON          skip the whole test: "1..0 # SKIP REASON"
#   t_bail REASON          a hard error: "Bail out! REASON", exit 99
#   require_root           t_skip unless root
#   t_done                 the plan; the last line of every test
# `exit 77` and `exit 99` still mean skip and hard error: the EXIT trap set
# here turns them into TAP, and says "Bail out!" for any test that ends
# without t_done. A test whose checks failed exits 1 after t_done, so a
# run by hand says so too. Set t_no_tap=1 before sourcing for a script that is
# no test (tests/e2e/demo.sh): the trap then only cleans up.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${SSH_KEYGEN:=ssh-keygen}"
KEYAUTHCTL="$top_builddir/keyauthctl/keyauthctl"
HELPER="$top_builddir/authorized-keys-command/keyauth-authorized-keys"
DATA="$top_srcdir/tests/data"
: "${t_no_tap:=}"
t_n=0
t_pass=0
t_fail=0
t_planned=
t_case_name=
t_todo_reason=
t_nl='
'

t_tmpdir() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/keyauth-test.XXXXXX") || t_bail "mktemp failed"
	chmod 0755 "$T"
}
# Whatever a test or its library added (t_extra_cleanup) goes first: it may
# still use $T (sockets, mounts, agents).
t_cleanup() {
	[ -n "${t_extra_cleanup:-}" ] && eval "$t_extra_cleanup"
	[ -n "${T:-}" ] && rm -rf "$T"
	return 0
}
t_exit() {
	t_rc=$?
	t_cleanup
	[ -z "$t_no_tap" ] && [ -z "$t_planned" ] || return 0
	case $t_rc in
	77) t_skip "exit 77" ;;
	*) t_planned=1
	   echo "Bail out! exit $t_rc after $t_n results, before t_done (a hard error: see above)" ;;
	esac
}
trap 't_exit' EXIT
trap 'exit 1' INT TERM HUP

# t_text TEXT: TEXT as one line of a result; when it has a '#', every '#'
# and '\' is escaped, so that no name reads as a TODO or SKIP directive.
t_text() {
	t_txt=$*
	case $t_txt in *'#'* | *"$t_nl"*)
		t_txt=$(printf '%s' "$t_txt" | tr '\n\r' '  ' | sed 's/[\\#]/\\&/g') ;;
	esac
}
# t_result ok|"not ok" NAME
t_result() {
	t_n=$((t_n + 1))
	t_st=$1
	shift
	t_text "${t_case_name:+$t_case_name: }$*"
	if [ -n "$t_todo_reason" ]; then
		t_res_name=$t_txt
		t_text "$t_todo_reason"
		printf '%s %d - %s # TODO %s\n' "$t_st" "$t_n" "$t_res_name" "$t_txt"
	else
		printf '%s %d - %s\n' "$t_st" "$t_n" "$t_txt"
	fi
}
pass() { t_pass=$((t_pass + 1)); t_result ok "$*"; }
# A failure under t_todo is expected (XFAIL): it does not fail the test's
# exit status, which the driver would report as an ERROR.
fail() {
	[ -n "$t_todo_reason" ] || t_fail=$((t_fail + 1))
	t_result 'not ok' "$*"
}
t_diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
t_case() { t_case_name=$*; }
t_todo() { t_todo_reason=$*; }

# check NAME CMD...
check() {
	t_chk_name=$1
	shift
	if t_chk_out=$("$@" 2>&1); then pass "$t_chk_name"; else
		t_chk_rc=$?
		fail "$t_chk_name"
		t_diag "  command: $*" "  exit $t_chk_rc, output:" "$t_chk_out"
	fi
}
# expect_eq NAME GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else
		fail "$1"; t_diag "  got:  $2" "  want: $3"; fi
}
# expect_contains NAME HAYSTACK NEEDLE
expect_contains() {
	case "$2" in *"$3"*) pass "$1" ;; *)
		fail "$1"; t_diag "  got:  $2" "  want to contain: $3" ;; esac
}
# expect_rc NAME GOT WANT
expect_rc() { expect_eq "$1 (exit code)" "$2" "$3"; }
require_root() { [ "$(id -u)" = 0 ] || t_skip "needs root"; }

# t_skip REASON: before any result the whole test is skipped; after some
# (a test should decide first), one skipped result ends them.
t_skip() {
	t_text "$*"
	if [ -z "$t_no_tap" ]; then
		if [ "$t_n" = 0 ]; then
			printf '1..0 # SKIP %s\n' "$t_txt"
		else
			t_n=$((t_n + 1))
			printf 'ok %d - # SKIP %s\n1..%d\n' "$t_n" "$t_txt" "$t_n"
		fi
	else
		printf 'skip: %s\n' "$*"
		exit 77
	fi
	t_planned=1
	exit 0
}
# On stderr, which the driver merges into the stream (Makefile.am), so that
# a hard error inside $(...) is heard too.
t_bail() {
	t_text "$*"
	if [ -z "$t_no_tap" ]; then
		printf 'Bail out! %s\n' "$t_txt" >&2
	else
		printf '%s\n' "$*" >&2
	fi
	t_planned=1
	exit 99
}
t_done() {
	echo "1..$t_n"
	echo "# $t_pass passed, $t_fail failed"
	t_planned=1
	[ "$t_fail" = 0 ]
}
