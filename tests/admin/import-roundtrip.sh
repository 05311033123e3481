#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The import round trip: authorized_keys files with from=, expiry-time=,
# command= and no-pty, imported, installed with keyauthctl install and
# served by the real keyauth-authorized-keys, give the same keys with the
# same restrictions (in keyauth's canonical option order).
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/admin/common.sh"
require_root
[ -x "$HELPER" ] || t_bail "missing $HELPER"
import_tree "$T"
cd "$T" || exit 99

"$KEYAUTHCTL" import --passwd "$T/passwd" import >"$T/policy.yaml" 2>"$T/import.err"
expect_rc "import" $? 1
chmod 0644 "$T/policy.yaml"
run "install" 0 "$KEYAUTHCTL" --index "$T/var/policy.cdb" --krl "$T/var/revoked.krl" \
    --state "$T/var/state" --host db-01 install "$T/policy.yaml"
: >"$T/served"
for a in alice bob root mallory; do
	echo "== $a" >>"$T/served"
	"$HELPER" -H db-01 -i "$T/var/policy.cdb" "$a" >>"$T/served" 2>&1
	expect_rc "helper $a" $? 0
done
golden import-served.txt "$T/served"

# each imported restriction is on the line sshd gets
has "from= and expiry-time= and no-pty kept" "$T/served" 'from="192.0.2.0/24,10.1.2.3",expiry-time="20370101000000Z",no-pty ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIByvMl2TLlaMJ8RShhxll+xkkN0ArGGyzG/9xHkzYjnt'
has "command= kept" "$T/served" 'restrict,command="/usr/local/bin/backup --quiet" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBi/uhdfvlbC61nJPiykD9Xi+G1LExqgAhzbHgyi/erX'
has "permitopen kept" "$T/served" 'expiry-time="20361231000000Z",no-pty,permitopen="db.example.com:5432" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICKIoaQiuRI3GqiAyMK25yEhBcneI00AewNKeI9jW0Ka'
if grep -q '^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIByvMl2TLlaMJ8RShhxll' "$T/served"; then
	fail "alice's key served without its restrictions"
else
	pass "alice's key never served without its restrictions"
fi
hasnt "refused key (from=*.example.com) not served" "$T/served" "AAAAC3NzaC1lZDI1NTE5AAAAIK0z3YC"
t_done
