#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# keyauth-authorized-keys prints exactly the authorized_keys lines the
# policy grants, called with argv as sshd builds it (%u %f %t %k).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/helper/common.sh"
setup

# lookup NAME ACCOUNT KEY [EXTRA...]: the helper as sshd runs it;
# compare with $T/want.
lookup() {
	name=$1 acct=$2 k=$3
	shift 3
	helper -H web-01 -i "$IX" -s "$SPOOL" "$acct" "$(fp_of "$k")" "$(type_of "$k")" "$(b64_of "$k")" "$@"
	expect_rc "$name" "$rc" 0
	expect_output "$name"
	expect_eq "$name: stderr" "$(cat "$T/err")" ""
}
line() { printf '%s%s %s keyauth:%s\n' "$1" "$(type_of "$2")" "$(b64_of "$2")" "$3"; }
none() { : >"$T/want"; }

line '' PLAIN plain >"$T/want"
lookup "plain key" alice PLAIN
line 'from="198.51.100.7,10.0.0.0/8" ' V4 from-v4 >"$T/want"
lookup "from= IPv4" alice V4
line 'from="2001:db8::1,2001:db8:1::/64" ' V6 from-v6 >"$T/want"
lookup "from= IPv6" alice V6
line 'from="192.0.2.0/24,2001:db8:10::/48,203.0.113.9" ' NET from-net >"$T/want"
lookup "from= named network" alice NET
line 'expiry-time="20991231235958Z" ' EXP expiring >"$T/want"
lookup "expiry" alice EXP
line 'no-port-forwarding,no-agent-forwarding,no-X11-forwarding,no-pty,command="/usr/local/bin/backup-only --daily" ' OPT restricted >"$T/want"
lookup "options and command" alice OPT
{ line 'from="192.0.2.0/24" ' TWO two-a
  line 'expiry-time="20980601120000Z",no-pty ' TWO two-b; } >"$T/want"
lookup "two entries, one key: two lines" alice TWO
line 'expiry-time="20980601120000Z",no-pty ' TWO two-b >"$T/want"
lookup "two entries, one for this account" deploy TWO

none
lookup "revoked by fingerprint" alice RFP
lookup "revoked by key" alice RKEY
lookup "revoked by owner" alice ROWN
lookup "expired" alice OLD
lookup "not yet valid" alice NEW
lookup "key for another account" alice BOB
lookup "key for another host" alice HOST
lookup "unknown key" alice UNKNOWN
lookup "valid account without grants" nobody PLAIN
line '' BOB for-bob >"$T/want"
lookup "the other account's own key" bob BOB

# OpenSSH >= 9.4 appends the connection (%C); it changes nothing.
line '' PLAIN plain >"$T/want"
lookup "with connection spec" alice PLAIN 127.0.0.1 22 192.0.2.5 50000

# The account alone: every granted key, restrictions and all.
{ line '' PLAIN plain
  line 'from="198.51.100.7,10.0.0.0/8" ' V4 from-v4
  line 'from="2001:db8::1,2001:db8:1::/64" ' V6 from-v6
  line 'from="192.0.2.0/24,2001:db8:10::/48,203.0.113.9" ' NET from-net
  line 'expiry-time="20991231235958Z" ' EXP expiring
  line 'no-port-forwarding,no-agent-forwarding,no-X11-forwarding,no-pty,command="/usr/local/bin/backup-only --daily" ' OPT restricted
  line 'from="192.0.2.0/24" ' TWO two-a
  line 'expiry-time="20980601120000Z",no-pty ' TWO two-b; } | sort >"$T/want"
helper -H web-01 -i "$IX" -s "$SPOOL" alice
expect_rc "account only" "$rc" 0
sort "$T/out" >"$T/out.sorted" && mv "$T/out.sorted" "$T/out"
expect_output "account only (sorted)"
helper -H web-01 -i "$IX" -s "$SPOOL" nobody
expect_rc "account only, no grants" "$rc" 0
none; expect_output "account only, no grants"
# a restricted key never also appears unrestricted
expect_eq "no unrestricted copy of a restricted key" \
	"$(grep -c "^ssh-ed25519 $(b64_of V4)" "$T/want")" 0

# The same policy compiled for a db-* host serves the host-bound key.
install_index "$T/lookup.yaml" "$T/ix-db" db-01
helper -H db-01 -i "$T/ix-db/policy.cdb" -s "$SPOOL" alice "$(fp_of HOST)" "$(type_of HOST)" "$(b64_of HOST)"
line '' HOST other-host >"$T/want"
expect_rc "host-bound key on its host" "$rc" 0
expect_output "host-bound key on its host"

t_done
