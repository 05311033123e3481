#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# End to end, misconfiguration defence: sshd_config re-enables local
# authorized_keys files (AuthorizedKeysFile .ssh/authorized_keys) next to
# keyauth. A key in the user's own file that the policy does not grant gets
# past sshd's key check, and pam_keyauth refuses the login at the account
# stage, with a record saying why. A revoked key placed in that file is
# refused by sshd's RevokedKeys (KRL) before PAM; with the KRL also taken out
# of sshd_config it reaches PAM, which refuses it as well.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

e2e_init kae2e
e2e_users
e2e_install_build
U=$E2E_USER

for k in granted stray revoked; do e2e_keygen "$k" ed25519; done
e2e_policy "$E2E_SRC/policies/misconfig.yaml.in" "$T/policy.yaml" \
    KEY_GRANTED="$(e2e_pub granted)" FP_REVOKED="$(e2e_fp revoked)"
e2e_policy_install "$T/policy.yaml"

home=$(getent passwd "$U" | cut -d: -f6)
install -d -m 0700 -o "$U" -g "$U" "$home/.ssh"
cat "$E2E_KEYS/stray.pub" "$E2E_KEYS/revoked.pub" >"$home/.ssh/authorized_keys"
chown "$U:$U" "$home/.ssh/authorized_keys"
chmod 0600 "$home/.ssh/authorized_keys"

e2e_sshd_start AuthorizedKeysFile .ssh/authorized_keys

e2e_mark
expect_login "granted key" granted "$U" 127.0.0.1
e2e_expect_record "granted key" account "decision=allow reason=allowed account=$U key_id=mc-granted fp=$(e2e_fp granted)"

# A key only the local file grants. OpenSSH reads AuthorizedKeysFile before
# it runs the AuthorizedKeysCommand, so the helper is never asked and writes
# no handoff record; at the account stage SSH_AUTH_INFO_0 is still empty, so
# pam_keyauth finds no key that keyauth granted: reason=no_key.
local_file_key() { # NAME KEY
	local fp
	fp=$(e2e_fp "$2")
	e2e_mark
	expect_refused "$1" "$2" "$U" 127.0.0.1
	expect_contains "$1: sshd accepted it from the local file" \
	    "$(e2e_sshd_lines | grep 'Accepted key')" "$fp found at $home/.ssh/authorized_keys"
	e2e_expect_no_record "$1" lookup "decision=allow"
	e2e_expect_record "$1" account "decision=deny reason=no_key account=$U client=127.0.0.1"
	expect_contains "$1: sshd reports the PAM refusal" \
	    "$(e2e_sshd_lines | grep -i 'pam account')" "Access denied for user $U by PAM account configuration"
	e2e_expect_no_record "$1" session
}
local_file_key "stray key in authorized_keys" stray

# The granted key is offered first (the helper serves it and writes the
# handoff record) but the client cannot sign with it (only its public half
# is given) and goes on to the stray key, which the local file grants. The
# account stage sees the granted key's handoff record; the session stage
# sees the key really used in SSH_AUTH_INFO_0 and refuses.
# When pam_open_session fails, OpenSSH 9.2 does not drop the connection: it
# restricts the session (auth_restrict_session: forced command /bin/false,
# no forwarding, no pty). So the requested command must not run.
install -m 0600 "$E2E_KEYS/granted.pub" "$T/granted-public-only.pub"
e2e_mark
rc=0
e2e_login "$T/granted-public-only.pub" "$U" 127.0.0.1 -i "$E2E_KEYS/stray" -- \
    "touch $home/command-ran; echo requested-command-ran" || rc=$?
echo "# offered then stray: ssh exit $rc, stdout '$E2E_OUT'"
if [ $rc -ne 0 ] && [ -z "$E2E_OUT" ] && [ ! -e "$home/command-ran" ]; then
	pass "granted key offered, stray key used: command did not run"
else
	fail "granted key offered, stray key used: command did not run"
	e2e_show_logs
fi
expect_contains "offered then stray: sshd accepted the stray key" \
    "$(e2e_sshd_lines | grep 'Accepted publickey')" "$(e2e_fp stray)"
expect_contains "offered then stray: sshd reports the session refusal" \
    "$(e2e_sshd_lines | grep 'pam_open_session')" "PAM: pam_open_session(): "
e2e_expect_record "offered then stray" lookup "decision=allow reason=allowed account=$U key_id=mc-granted"
e2e_expect_record "offered then stray" session "decision=deny account=$U fp=$(e2e_fp stray) client=127.0.0.1"
echo "# offered then stray: $E2E_RECORD"
case " $E2E_RECORD " in
*" reason=key_mismatch "* | *" reason=unknown_key "*) pass "offered then stray: session record says why" ;;
*) fail "offered then stray: session record says why (want key_mismatch or unknown_key)" ;;
esac
e2e_expect_no_record "offered then stray" session "decision=allow"

# The revoked key in the same file: refused by the KRL, PAM never asked.
e2e_mark
expect_refused "revoked key in authorized_keys (KRL)" revoked "$U" 127.0.0.1
expect_contains "revoked key in authorized_keys (KRL): sshd says revoked" \
    "$(e2e_sshd_lines | grep 'revoked by file')" "$(e2e_fp revoked) revoked by file"
e2e_expect_no_record "revoked key in authorized_keys (KRL)" account

# Doubly misconfigured: no RevokedKeys either. PAM still refuses.
e2e_sshd_restart AuthorizedKeysFile .ssh/authorized_keys RevokedKeys -
local_file_key "revoked key in authorized_keys (no KRL)" revoked
e2e_mark
expect_login "granted key (no KRL)" granted "$U" 127.0.0.1

t_done
