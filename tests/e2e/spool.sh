#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# End to end, the handoff spool under a flood (docs/security.md, "The
# handoff spool is bounded"). Public keys are public: anyone who knows an
# account and one of its granted public keys can offer that key without
# holding the private half. sshd then runs the helper, which prints the
# key and leaves a handoff record, and the client goes away. Here 1,000
# such connections (8 at a time) hit an sshd whose spool is a 256 KiB
# tmpfs, as /run is a small shared tmpfs on a server: the spool must stay
# bounded, and a legitimate login afterwards must work and leave nothing
# behind.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

e2e_init kae2e
for t in nsenter pgrep xargs; do
	command -v "$t" >/dev/null 2>&1 || t_skip "$t not found"
done
e2e_users
e2e_install_build
U=$E2E_USER
: "${E2E_FLOOD:=1000}"
FLOOD_PAR=8
# sshd's own bound on connections that have not authenticated yet.
MAX_STARTUPS=100

e2e_keygen granted ed25519
install -m 0600 "$E2E_KEYS/granted.pub" "$T/granted-public-only.pub"
e2e_policy "$E2E_SRC/policies/spool.yaml.in" "$T/policy.yaml" KEY_GRANTED="$(e2e_pub granted)"
e2e_policy_install "$T/policy.yaml"
E2E_SPOOL_TMPFS=256k
e2e_sshd_start MaxStartups "10:30:$MAX_STARTUPS"

e2e_mark
expect_login "before the flood" granted "$U" 127.0.0.1
e2e_expect_record "before the flood" account "decision=allow reason=allowed account=$U key_id=sp-granted"
expect_eq "before the flood: spool empty" "$(e2e_spool_records | wc -l)" 0

# One connection of the flood: offer the granted public key, which sshd
# accepts as a candidate (the helper prints it), then fail to sign and go.
offer() {
	env -u SSH_AUTH_SOCK timeout 30 "$SSH" -F /dev/null -o BatchMode=yes \
	    -o IdentitiesOnly=yes -o PreferredAuthentications=publickey \
	    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	    -o LogLevel=ERROR -o ConnectTimeout=10 -i "$T/granted-public-only.pub" \
	    -p "$E2E_PORT" "$U@127.0.0.1" true </dev/null >/dev/null 2>&1
	echo $?
}
export -f offer
export SSH T E2E_PORT U

e2e_mark
started=$(date +%s)
seq 1 "$E2E_FLOOD" | xargs -P "$FLOOD_PAR" -I{} bash -c offer >"$T/flood.rc"
took=$(($(date +%s) - started))
t_diag "flood: $E2E_FLOOD connections, $FLOOD_PAR at a time, in ${took} s"
expect_eq "flood: every client was refused (exit 255)" \
    "$(sort "$T/flood.rc" | uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ')" "255x$E2E_FLOOD "
lookups=$(e2e_count_records lookup "decision=allow reason=allowed account=$U key_id=sp-granted")
expect_eq "flood: the helper printed the key each time" "$lookups" "$E2E_FLOOD"
e2e_expect_no_record "flood" account
n=$(e2e_spool_records | wc -l)
t_diag "flood: $n records left in the spool"
if [ "$n" -le "$MAX_STARTUPS" ]; then
	pass "flood: at most MaxStartups ($MAX_STARTUPS) records left ($n)"
else
	fail "flood: at most MaxStartups ($MAX_STARTUPS) records left ($n)"
fi
expect_no_lookup_error() {
	local errs
	errs=$(e2e_records | grep -c 'event=lookup.*error=' || true)
	expect_eq "$1: no lookup failed" "$errs" 0
	[ "$errs" = 0 ] || t_diag "$(e2e_records | grep 'event=lookup.*error=' | head -3)"
}
expect_no_lookup_error "flood"

# Every connection of the flood is gone: the next login's lookup clears
# their records, and its own is taken by its account stage.
e2e_sshd_idle
e2e_mark
expect_login "after the flood" granted "$U" 127.0.0.1
e2e_expect_record "after the flood" account "decision=allow reason=allowed account=$U key_id=sp-granted"
e2e_expect_no_record "after the flood" account "decision=deny"
expect_no_lookup_error "after the flood"
expect_eq "after the flood: spool empty" "$(e2e_spool_records | tr '\n' ' ')" ""

t_done
