# SPDX-License-Identifier: BSD-2-Clause
# Shared by tests/hardening/*.sh (sourced after tests/lib.sh): keys made by
# ssh-keygen, policies installed with the real keyauthctl into $T, the
# helper run as sshd runs it.
require_root
[ -x "$HELPER" ] || t_bail "no helper at $HELPER"
[ -x "$KEYAUTHCTL" ] || t_bail "no keyauthctl at $KEYAUTHCTL"
CAPTURE="$top_builddir/tests/pam/pam-syslog-capture"
AUDIT_FIELDS="$top_builddir/tests/helper/audit-fields"

# mkkey NAME: $T/NAME(.pub), its fingerprint in $T/NAME.fp
mkkey() {
	"$SSH_KEYGEN" -q -t ed25519 -N '' -C "$1" -f "$T/$1" </dev/null || exit 99
	"$SSH_KEYGEN" -lf "$T/$1.pub" | cut -d' ' -f2 >"$T/$1.fp"
}
keyline() { cut -d' ' -f1,2 "$T/$1.pub"; }

# grant_policy FILE SERIAL KEY ID [extra YAML lines for the entry]
grant_policy() {
	{
		printf 'version: 1\nserial: %s\nkeys:\n' "$2"
		printf '  - id: %s\n    owner: %s@example.com\n' "$4" "$4"
		printf '    key: %s\n    accounts: [alice]\n' "$(keyline "$3")"
		[ $# -ge 5 ] && printf '%s\n' "$5"
	} >"$1"
}

# ctl_install DIR POLICY: install into DIR/{policy.cdb,revoked.krl,state}.
# The helper runs as root here: the index's group is root's. These tests
# swap one key's grant for another's on purpose, which the mass-removal
# guard would refuse: --allow-removal.
ctl_install() {
	"$KEYAUTHCTL" --index "$1/policy.cdb" --krl "$1/revoked.krl" \
	    --state "$1/state" --host web-01 --helper-user root \
	    --config /nonexistent/keyauth.conf install --allow-removal "$2"
}
