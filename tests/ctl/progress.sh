#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Progress of check and install on a large policy: on a terminal (a pty
# made by script(1)) stderr shows the phase, the count and the rate;
# nothing when stderr is not a terminal, nothing for a small policy.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/ctl/common.sh"
require_root
command -v script >/dev/null 2>&1 || t_skip "script(1) not installed"
cd "$T" || exit 99

# expect_lacks NAME HAYSTACK NEEDLE
expect_lacks() {
	case "$2" in *"$3"*) fail "$1"; t_diag "  got:  $2" "  want no: $3" ;;
	*) pass "$1" ;; esac
}

# 20,000 entries with distinct ed25519 keys made of a counter (any 32
# bytes are an ed25519 public key to the loader; no private half needed).
# The blob is "\0\0\0\x0bssh-ed25519\0\0\0" (base64 AAAAC3NzaC1lZDI1NTE5AAAA)
# then " " and 32 key bytes, none of them NUL, which awk cannot print.
LC_ALL=C awk 'function b64(s,   i, n, out) {
	out = ""
	for (i = 1; i + 2 <= length(s); i += 3) {
		n = ord[substr(s, i, 1)] * 65536 + ord[substr(s, i + 1, 1)] * 256 + ord[substr(s, i + 2, 1)]
		out = out substr(A, int(n / 262144) + 1, 1) substr(A, int(n / 4096) % 64 + 1, 1) \
		    substr(A, int(n / 64) % 64 + 1, 1) substr(A, n % 64 + 1, 1)
	}
	return out
}
BEGIN {
	A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for (i = 1; i < 128; i++) ord[sprintf("%c", i)] = i
	print "version: 1\nserial: 1\nexpires: 2099-01-01T00:00:00Z\nkeys:"
	for (k = 1; k <= 20000; k++) {
		body = sprintf(" %c%c%c", 1 + int(k / 15625) % 125, 1 + int(k / 125) % 125, 1 + k % 125)
		for (j = 0; j < 29; j++) body = body "k"
		print "  - id: k" k "\n    owner: u" k "@example.com\n    key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA" b64(body) " k" k "\n    accounts: [deploy]"
	}
}' >big.yaml
chmod 0644 big.yaml
cat >small.yaml <<EOP
version: 1
serial: 1
keys:
$(sed -n '5,8p' big.yaml)
EOP
chmod 0644 small.yaml

out=$("$KEYAUTHCTL" check big.yaml 2>err); rc=$?
expect_rc "check of 20,000 keys, stderr a file" $rc 0
expect_contains "check of 20,000 keys: valid" "$out" "big.yaml: valid, serial 1, 20000 keys"
expect_eq "stderr not a terminal: no progress" "$(cat err)" ""

# script -e: its exit code is the command's; stdout and stderr both go
# to the pty, so the output holds the progress line too.
out=$(script -qec "$KEYAUTHCTL check big.yaml" /dev/null </dev/null 2>&1); rc=$?
expect_rc "check on a terminal" $rc 0
expect_contains "terminal: first report" "$out" "keyauthctl: loading: 8192 entries, "
expect_contains "terminal: the phase's end" "$out" "keyauthctl: loading: 20000 entries, "
expect_contains "terminal: the rate" "$out" "/s"
expect_contains "terminal: the answer still on stdout" "$out" "big.yaml: valid, serial 1, 20000 keys"

out=$(script -qec "$KEYAUTHCTL check small.yaml" /dev/null </dev/null 2>&1); rc=$?
expect_rc "small policy on a terminal" $rc 0
expect_lacks "small policy: no progress" "$out" "keyauthctl: loading"

out=$(script -qec "$KEYAUTHCTL --host web-01 --config /nonexistent/keyauth.conf --index $VAR/policy.cdb --krl $VAR/revoked.krl --state $VAR/state install big.yaml" /dev/null </dev/null 2>&1); rc=$?
expect_rc "install on a terminal" $rc 0
expect_contains "install: loading" "$out" "keyauthctl: loading: 20000 entries, "
expect_contains "install: compiling" "$out" "keyauthctl: compiling: 20000 entries, "
expect_contains "install: installed" "$out" "installed serial 1"

rm -rf "$VAR"
out=$(ctl --host web-01 --config /nonexistent/keyauth.conf install big.yaml 2>&1); rc=$?
expect_rc "install, stderr not a terminal" $rc 0
expect_lacks "install, no terminal: no progress" "$out" "keyauthctl: compiling"
t_done
