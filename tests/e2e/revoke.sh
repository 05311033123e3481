#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# End to end, revocation and removal:
#   keys revoked by fingerprint, by key and by owner are refused, first by
#   sshd's RevokedKeys (the KRL `keyauthctl install` writes), then, with the
#   KRL taken out of sshd_config, by keyauth-authorized-keys itself;
#   a key deleted from the policy is refused on the next login after
#   `keyauthctl install`, with sshd left running.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

e2e_init kae2e
e2e_users
e2e_install_build
U=$E2E_USER

for k in control fp key owner deleted; do e2e_keygen "$k" ed25519; done
policy() { # SERIAL OUT [keep-deleted]
	e2e_policy "$E2E_SRC/policies/revoke.yaml.in" "$2" SERIAL="$1" \
	    KEY_CONTROL="$(e2e_pub control)" KEY_FP="$(e2e_pub fp)" FP_FP="$(e2e_fp fp)" \
	    KEY_KEY="$(e2e_pub key)" KEY_OWNER="$(e2e_pub owner)" KEY_DELETED="$(e2e_pub deleted)"
	[ "${3:-}" = keep-deleted ] ||
	    sed -i '/^# begin: deleted/,/^# end: deleted/d' "$2"
}
policy 200 "$T/v1.yaml" keep-deleted
policy 201 "$T/v2.yaml"
e2e_policy_install "$T/v1.yaml"
e2e_sshd_start

control() { # NAME SERIAL: the control key still logs in
	e2e_mark
	expect_login "$1" control "$U" 127.0.0.1
	e2e_expect_record "$1" account "decision=allow reason=allowed account=$U key_id=rv-control fp=$(e2e_fp control) client=127.0.0.1 policy_serial=$2"
}
control "control key" 200

# 1. The KRL refuses revoked keys before sshd asks keyauth.
for k in fp key owner; do
	e2e_mark
	expect_refused "revoked by $k (KRL)" "$k" "$U" 127.0.0.1
	expect_contains "revoked by $k (KRL): sshd says revoked" \
	    "$(e2e_sshd_lines | grep 'revoked by file')" "$(e2e_fp "$k") revoked by file $E2E_KRL"
	e2e_expect_no_record "revoked by $k (KRL)" account
done

# 2. A key deleted from the policy: refused after install, sshd untouched.
e2e_mark
expect_login "key before deletion" deleted "$U" 127.0.0.1
e2e_expect_record "key before deletion" account "decision=allow reason=allowed account=$U key_id=rv-deleted"
pid=$E2E_SSHD_PID
e2e_policy_install "$T/v2.yaml"
e2e_mark
expect_refused "key deleted from the policy" deleted "$U" 127.0.0.1
e2e_expect_record "key deleted from the policy" lookup \
    "decision=deny reason=unknown_key account=$U fp=$(e2e_fp deleted) policy_serial=201"
e2e_expect_no_record "key deleted from the policy" account
if kill -0 "$pid" 2>/dev/null && [ "$(cat "$E2E_PREFIX/run/sshd.pid")" = "$pid" ]; then
	pass "sshd kept running across the install"
else
	fail "sshd kept running across the install"
fi
control "control key after install" 201

# 3. Without the KRL in sshd_config, keyauth refuses the revoked keys itself.
e2e_sshd_restart RevokedKeys -
for k in fp key owner; do
	e2e_mark
	expect_refused "revoked by $k (keyauth)" "$k" "$U" 127.0.0.1
	e2e_expect_record "revoked by $k (keyauth)" lookup \
	    "decision=deny reason=revoked account=$U fp=$(e2e_fp "$k") policy_serial=201"
	e2e_expect_no_record "revoked by $k (keyauth)" account
done
e2e_mark
expect_refused "owner revoked: record names the owner" owner "$U" 127.0.0.1
e2e_expect_record "owner revoked" lookup "decision=deny reason=revoked owner=mallory@example.com"
control "control key without KRL" 201

t_done
