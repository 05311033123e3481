#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# End to end, a key with a second factor (docs/pam-setup.md, "A second
# factor"): sshd with AuthenticationMethods publickey,keyboard-interactive
# (the usual TOTP set-up; here the keyboard-interactive PAM stack is
# pam_permit, which asks nothing) and the client with BatchMode=no, no
# terminal and an askpass program. With keyboard-interactive, OpenSSH runs
# pam_authenticate and then the PAM account stage in a child it forks,
# whose parent ran the AuthorizedKeysCommand: every login must work and
# leave no handoff record behind.
#
# The other order, keyboard-interactive,publickey, runs the account stage
# at the end of the first factor, before any key was offered: pam_keyauth
# cannot confirm a key there, refuses the login (reason=no_key), and
# `keyauthctl doctor` says so and why.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

e2e_init kae2e
for t in nsenter setsid; do
	command -v "$t" >/dev/null 2>&1 || t_skip "$t not found"
done
e2e_users
e2e_install_build
U=$E2E_USER
NLOGINS=3

e2e_keygen granted ed25519
fp=$(e2e_fp granted)
e2e_policy "$E2E_SRC/policies/twofactor.yaml.in" "$T/policy.yaml" KEY_GRANTED="$(e2e_pub granted)"
e2e_policy_install "$T/policy.yaml"
E2E_PAM_AUTH="auth       required     pam_permit.so"
printf '#!/bin/sh\necho 123456\n' >"$T/askpass"
chmod 0755 "$T/askpass"

# login2 [ssh options]: key and keyboard-interactive, as a person at a
# terminal would (BatchMode=no), answered by the askpass program.
login2() {
	local rc=0
	E2E_OUT=$(env -u SSH_AUTH_SOCK SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force \
	    DISPLAY=none timeout 30 setsid -w "$SSH" -F /dev/null -o BatchMode=no \
	    -o IdentitiesOnly=yes -o StrictHostKeyChecking=no \
	    -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=10 \
	    -o NumberOfPasswordPrompts=1 -i "$E2E_KEYS/granted" "$@" \
	    -p "$E2E_PORT" "$U@127.0.0.1" echo logged-in 2>"$T/ssh.err" </dev/null) || rc=$?
	E2E_ERR=$(cat "$T/ssh.err")
	return $rc
}

# Which methods sshd used, from its log since the mark.
methods() {
	e2e_sshd_lines | sed -n 's/.*\(Accepted\|Partial\) \([a-z-]*\)\(\/[a-z]*\)\{0,1\} for .*/\1 \2/p' | tr '\n' ' '
}

# doctor on this sshd's own configuration (sshd -T needs /run/sshd).
doctor_on_config() {
	unshare -m --propagation private -- /bin/sh -c \
	    'mount -t tmpfs -o size=64k keyauth-e2e-run /run && mkdir /run/sshd && exec "$@"' \
	    sh "$SSHD" -T -f "$E2E_CONFIG" >"$T/sshd-t.txt" 2>"$T/sshd-t.err" ||
	    e2e_die "sshd -T failed: $(cat "$T/sshd-t.err")"
	e2e_ctl doctor --sshd-t-output "$T/sshd-t.txt" --pam-file "$E2E_PAMFILE" >"$T/doctor.out" 2>&1
}

t_case "publickey,keyboard-interactive"
e2e_sshd_start KbdInteractiveAuthentication yes \
    AuthenticationMethods publickey,keyboard-interactive
for i in $(seq 1 "$NLOGINS"); do
	e2e_mark
	rc=0
	login2 || rc=$?
	if [ $rc -eq 0 ] && [ "$E2E_OUT" = logged-in ]; then pass "login $i allowed"; else
		fail "login $i allowed"
		t_diag "  exit $rc, stdout: $E2E_OUT, stderr: $E2E_ERR"
		e2e_show_logs
	fi
	expect_eq "login $i: both factors" "$(methods)" "Partial publickey Accepted keyboard-interactive "
	e2e_expect_record "login $i" account "decision=allow reason=allowed account=$U key_id=tf-granted fp=$fp"
	e2e_expect_record "login $i" session "decision=allow reason=allowed account=$U key_id=tf-granted fp=$fp"
	e2e_expect_no_record "login $i" account "decision=deny"
	expect_eq "login $i: no handoff record left" "$(e2e_spool_records | tr '\n' ' ')" ""
done
doctor_on_config
if grep -q 'authentication-methods' "$T/doctor.out"; then
	fail "doctor accepts this order"
	t_diag "$(grep 'authentication-methods' -A1 "$T/doctor.out")"
else
	pass "doctor accepts this order"
fi

t_case "keyboard-interactive,publickey"
rm -f "$E2E_SPOOL"/[0-9]*
e2e_sshd_restart KbdInteractiveAuthentication yes \
    AuthenticationMethods keyboard-interactive,publickey
e2e_mark
rc=0
login2 || rc=$?
if [ $rc -ne 0 ] && [ -z "$E2E_OUT" ]; then pass "login refused"; else
	fail "login refused"
	t_diag "  exit $rc, stdout: $E2E_OUT, stderr: $E2E_ERR"
fi
e2e_expect_record "the first factor" account "decision=deny reason=no_key account=$U fp=-"
expect_contains "sshd reports the account stage's refusal" \
    "$(e2e_sshd_lines | grep -i 'expired')" "User account has expired"
e2e_expect_no_record "the first factor" lookup
e2e_expect_no_record "the first factor" session
expect_eq "no handoff record left" "$(e2e_spool_records | tr '\n' ' ')" ""
doctor_on_config
expect_contains "doctor refuses the order" "$(cat "$T/doctor.out")" \
    "error [authentication-methods]: AuthenticationMethods \"keyboard-interactive,publickey\""
expect_contains "doctor says how to fix it" "$(cat "$T/doctor.out")" \
    'fix: list publickey before keyboard-interactive'
t_case ""

t_done
