#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The e2e harness itself, without keyauth: a test user, sshd in its private
# mount namespace on a free loopback port, the real client from 127.0.0.1,
# 127.0.0.2 and ::1, and a syslog record from inside the namespace reaching
# the sink. Keys come from a plain authorized_keys file here, so a failure
# of this test points at the harness or the machine, not at keyauth.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

devlog_before=$(stat -c '%F %i' /dev/log 2>&1)
e2e_init kae2e
e2e_users
e2e_keygen user ed25519
home=$(getent passwd "$E2E_USER" | cut -d: -f6)
install -d -m 0700 -o "$E2E_USER" -g "$E2E_USER" "$home/.ssh"
install -m 0600 -o "$E2E_USER" -g "$E2E_USER" "$E2E_KEYS/user.pub" "$home/.ssh/authorized_keys"

e2e_sshd_start AuthorizedKeysFile .ssh/authorized_keys \
    AuthorizedKeysCommand - AuthorizedKeysCommandUser - RevokedKeys -

expect_eq "fresh account's password is locked" \
    "$(getent shadow "$E2E_USER" | cut -d: -f2)" '!'
expect_login "plain key" user "$E2E_USER" 127.0.0.1 -- id -un
expect_eq "command ran as the test user" "$E2E_OUT" "$E2E_USER"

expect_login "from 127.0.0.2" user "$E2E_USER" 127.0.0.1 -b 127.0.0.2 -- 'echo $SSH_CONNECTION'
expect_contains "client address seen by sshd" "$E2E_OUT" "127.0.0.2 "
if [ -n "$E2E_HAVE_IPV6" ]; then
	expect_login "over ::1" user "$E2E_USER" ::1 -- 'echo $SSH_CONNECTION'
	expect_contains "IPv6 client address" "$E2E_OUT" "::1 "
else
	echo "# ::1 is not available: IPv6 checks skipped"
fi
expect_refused "unknown key" "$E2E_PREFIX/etc/ssh_host_ed25519_key" "$E2E_USER" 127.0.0.1

# A session runs inside the namespace: its syslog goes to the sink, not to
# the machine's /dev/log.
e2e_mark
expect_login "logger in session" user "$E2E_USER" 127.0.0.1 -- \
    logger -p authpriv.notice -t kae2e-probe "event=probe decision=allow x=1"
e2e_expect_record "sink receives records" probe "decision=allow x=1"
expect_contains "authpriv.notice priority kept" "$(e2e_syslog_lines | grep kae2e-probe)" "<85>"

pid=$E2E_SSHD_PID
port=$E2E_PORT
sinkpid=$(cat "$E2E_PREFIX/run/sink.pid")
e2e_sshd_stop
check_gone() { ! e2e_alive "$1"; }
if check_gone "$pid" && check_gone "$sinkpid"; then pass "sshd and sink stopped"; else fail "sshd and sink stopped"; fi
if ss -Hltn | awk '{print $4}' | grep -q ":$port\$"; then fail "port $port closed"; else pass "port $port closed"; fi
expect_eq "machine's /dev/log untouched" "$(stat -c '%F %i' /dev/log 2>&1)" "$devlog_before"
t_done
