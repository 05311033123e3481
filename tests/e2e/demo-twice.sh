#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# `./dev demo` (tests/e2e/demo.sh) run twice in a row: both runs succeed,
# and afterwards nothing it created remains: no user, no file under /etc,
# no process, no port a demo process listens on, no prefix, no /run/sshd or /dev/log of its
# own. Other tests may run at the same time (make check -j): their users,
# PAM services and sshd processes (kae2e*, keyauth-e2e-*, and the PAM
# tests' /etc/pam.d/keyauth-test-* and keyauth-bench-*) are ignored.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

require_root
t_tmpdir
others='kae2e|keyauth-e2e|keyauth-test-|keyauth-bench-'
# shadow-utils keeps a backup of each file it edits (/etc/passwd- ...),
# which belongs to the system whoever first edited it, and while another
# test runs useradd its lock and temporary files come and go.
etc_files() {
	find /etc -xdev -printf '%p %y\n' | grep -Ev "$others" |
	    grep -Ev '^/etc/(passwd|group|shadow|gshadow|subuid|subgid)([-+]|\.lock|\.[0-9]+) ' | sort
}
accounts() { cut -d: -f1 /etc/passwd /etc/group | grep -Ev "^($others)" | sort -u; }
# Ports held by a demo process: other tests running beside this one listen
# too (nginx for fetch, ssh -L, their sshd), and come and go.
listening() { ss -Hltnp | grep -E 'kademo|keyauth-demo' | awk '{print $4}' | sort; }
# A zombie (state Z) is dead: it only waits for init to reap it.
demo_procs() { ps -eo pid=,stat=,user:32=,args= | awk '$2 !~ /^Z/' | grep -E 'kademo|keyauth-demo' | grep -v grep; }
devlog() { stat -c '%F %i' /dev/log 2>&1; }

etc_files >"$T/etc.before"
accounts >"$T/accounts.before"
listening >"$T/ports.before"
run_sshd_before=$(stat -c %i /run/sshd 2>&1)
devlog_before=$(devlog)

for run in 1 2; do
	start=$(date +%s.%N)
	rc=0
	"$top_srcdir/tests/e2e/demo.sh" >"$T/demo$run.out" 2>&1 || rc=$?
	secs=$(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo "?")
	echo "# demo run $run: exit $rc, ${secs}s"
	expect_rc "demo run $run" "$rc" 0
	out=$(cat "$T/demo$run.out")
	for want in "=> ALLOWED and the command printed: hello from" \
	    "revoked by file" "not from a permitted host" "reason=expired" \
	    "keyauthctl explain root" "Cleaned up: nothing of the demo remains."; do
		expect_contains "run $run: output shows '$want'" "$out" "$want"
	done
	expect_eq "run $run: refusals" "$(grep -c '=> REFUSED' "$T/demo$run.out")" 3
	expect_eq "run $run: allowed logins" "$(grep -c '=> ALLOWED' "$T/demo$run.out")" 2
	if [ "$rc" != 0 ] || [ "$t_fail" != 0 ]; then
		sed 's/^/  | /' "$T/demo$run.out"
	fi
done

etc_files >"$T/etc.after"
accounts >"$T/accounts.after"
listening >"$T/ports.after"
expect_eq "no file under /etc left or removed" "$(diff "$T/etc.before" "$T/etc.after")" ""
expect_eq "no user or group left" "$(diff "$T/accounts.before" "$T/accounts.after")" ""
expect_eq "no demo entry in the account databases" \
    "$(grep -h kademo /etc/passwd /etc/group /etc/shadow /etc/gshadow /etc/subuid /etc/subgid 2>/dev/null)" ""
expect_eq "no listening port left" "$(diff "$T/ports.before" "$T/ports.after")" ""
expect_eq "no process left" "$(demo_procs)" ""
expect_eq "no prefix left" "$(ls -d /var/lib/keyauth-demo.* 2>/dev/null)" ""
expect_eq "no home directory left" "$(ls -d /home/kademo* 2>/dev/null)" ""
expect_eq "/run/sshd as before" "$(stat -c %i /run/sshd 2>&1)" "$run_sshd_before"
expect_eq "/dev/log as before" "$(devlog)" "$devlog_before"
t_done
