#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# keyauthctl diff: whole outputs for one reviewed change, then each
# restriction widened and narrowed on its own (sources, hosts, expiry,
# accounts), revocations added and removed, and the exit codes.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/admin/common.sh"
cd "$ADATA" || exit 99

run "diff base changed" 1 "$KEYAUTHCTL" diff base.yaml changed.yaml
golden diff.txt "$T/out"
run "diff base changed json" 1 "$KEYAUTHCTL" diff base.yaml changed.yaml --format json
golden diff.json "$T/out"
json_ok "diff json" "$T/out"

run "same file" 0 "$KEYAUTHCTL" diff base.yaml base.yaml
has "same file: unchanged" "$T/out" "access unchanged"

# variant NAME SED-SCRIPT: base.yaml with serial 11 and the edit applied
variant() {
	sed -e 's/^serial: 10$/serial: 11/' -e "$2" base.yaml >"$T/$1.yaml" || exit 99
	cmp -s base.yaml "$T/$1.yaml" && t_bail "variant $1 changed nothing"
}
# dif NAME WANT_RC: diff base against variant NAME
dif() { run "$1" "$2" "$KEYAUTHCTL" diff base.yaml "$T/$1.yaml"; }

variant serial ''
dif serial 0
has "serial only: unchanged" "$T/out" "access unchanged"
has "serial shown" "$T/out" "serial: 10 -> 11"

LAPTOP='/id: alice-laptop/,/expires:/'
variant from-wider "$LAPTOP s|from: \[office\]|from: [office, 10.0.0.0/8]|"
dif from-wider 1
has "sources widened" "$T/out" "restrictions widened (1):"
has "sources widened: the addresses" "$T/out" "alice-laptop (alice@example.com) [alice, deploy]: from: 192.0.2.0/24, 2001:db8:10::/48 -> 192.0.2.0/24, 2001:db8:10::/48, 10.0.0.0/8"
variant from-narrower "$LAPTOP s|from: \[office\]|from: [192.0.2.0/25]|"
dif from-narrower 1
has "sources narrowed" "$T/out" "restrictions narrowed (1):"
has "sources narrowed: field" "$T/out" "from: 192.0.2.0/24, 2001:db8:10::/48 -> 192.0.2.0/25"
variant from-any "$LAPTOP { /from: \[office\]/d; }"
dif from-any 1
has "from removed: widened to any address" "$T/out" "-> any address"
has "from removed: in widened" "$T/out" "restrictions widened (1):"
variant from-same "$LAPTOP s|from: \[office\]|from: [\"192.0.2.0/25\", \"192.0.2.128/25\", \"2001:db8:10::/48\"]|"
dif from-same 0
has "same addresses written differently: unchanged" "$T/out" "access unchanged"
variant from-other "$LAPTOP s|from: \[office\]|from: [10.0.0.0/8]|"
dif from-other 1
has "sources moved: other change" "$T/out" "other changes (1):"

variant hosts-wider 's|hosts: \["db-\*"\]|hosts: ["db-*", "web-*"]|'
dif hosts-wider 1
has "hosts widened" "$T/out" "acme-support (support@acme.example) [root]: hosts: db-* -> db-*, web-*"
has "hosts widened: section" "$T/out" "restrictions widened (1):"
variant hosts-narrower 's|hosts: \["db-\*"\]|hosts: [db-01]|'
dif hosts-narrower 1
has "hosts narrowed" "$T/out" "restrictions narrowed (1):"
has "hosts narrowed: detail" "$T/out" "hosts: db-* -> db-01"
variant hosts-all '/hosts: \["db-\*"\]/d'
dif hosts-all 1
has "hosts removed: all hosts" "$T/out" "hosts: db-* -> all hosts"

ACME='/id: acme-support/,/comment:/'
variant expires-later "$ACME s|expires: 2027-06-30|expires: 2028-06-30|"
dif expires-later 1
has "expiry widened" "$T/out" "expires: 2027-06-30T00:00:00Z -> 2028-06-30T00:00:00Z"
has "expiry widened: section" "$T/out" "restrictions widened (1):"
variant expires-earlier "$ACME s|expires: 2027-06-30|expires: 2026-12-31|"
dif expires-earlier 1
has "expiry narrowed" "$T/out" "restrictions narrowed (1):"
variant expires-never "$ACME { /expires: 2027-06-30/d; }"
dif expires-never 1
has "expiry removed: never" "$T/out" "expires: 2027-06-30T00:00:00Z -> never"
variant not-before-earlier 's|not_before: 2026-09-01|not_before: 2026-08-01|'
dif not-before-earlier 1
has "not_before earlier: widened" "$T/out" "restrictions widened (1):"

variant accounts-wider 's|accounts: \[alice, deploy\]|accounts: [alice, deploy, www]|'
dif accounts-wider 1
has "account gained" "$T/out" "+ www: alice-laptop (alice@example.com, SHA256:ARyyF4Jbl+EyvsyIwXhYNxacPK+uM0trn6j0KD4jmmo): from 192.0.2.0/24, 2001:db8:10::/48; all hosts; expires 2027-01-01T00:00:00Z"
has "account gained: count" "$T/out" "access gained (1):"
hasnt "account gained: nothing lost" "$T/out" "access lost"
variant accounts-narrower 's|accounts: \[alice, deploy\]|accounts: [alice]|'
dif accounts-narrower 1
has "account lost" "$T/out" "- deploy: alice-laptop"
hasnt "account lost: nothing gained" "$T/out" "access gained"
variant entry-removed '/id: bob-desktop/,/expires:/d'
dif entry-removed 1
has "entry removed: lost" "$T/out" "- bob: bob-desktop"
variant key-replaced "/id: dave-new/,/expires:/ s|key: ssh-ed25519 .*|key: $(sed -n 's/ bob@example$//p' keys.txt | head -1)|"
run "key replaced (owner clash refused)" 3 "$KEYAUTHCTL" diff base.yaml "$T/key-replaced.yaml"

variant command-removed 's|    command: /usr/local/bin/deploy||'
dif command-removed 1
has "forced command removed: widened" "$T/out" 'command: "/usr/local/bin/deploy" -> none (any command)'
has "forced command removed: section" "$T/out" "restrictions widened (1):"
variant options-relaxed 's|options: \[restrict, pty\]|options: [restrict, pty, port-forwarding]|'
dif options-relaxed 1
has "re-enabling option: widened" "$T/out" "restrictions widened (1):"
variant options-tighter 's|options: \[restrict, pty\]|options: [restrict]|'
dif options-tighter 1
has "dropping a re-enabling option: narrowed" "$T/out" "restrictions narrowed (1):"

# sshd reads options in order: a re-enabling word before restrict is
# refused by the loader, and diff compares what sshd makes of the lists.
variant opts-before 's|options: \[restrict, pty\]|options: [port-forwarding, restrict]|'
variant opts-after 's|options: \[restrict, pty\]|options: [restrict, port-forwarding]|'
run "re-enabling word before restrict: refused" 3 "$KEYAUTHCTL" diff "$T/opts-before.yaml" "$T/opts-after.yaml"
has "re-enabling word before restrict: located" "$T/err" "opts-before.yaml:32:15: error: options: 'port-forwarding' re-enables what 'restrict' turns off"
variant opts-no-words 's|options: \[restrict, pty\]|options: [no-port-forwarding, no-agent-forwarding, no-X11-forwarding, no-user-rc]|'
dif opts-no-words 1
has "restrict replaced by every no- word: widened (tunnels)" "$T/out" "restrictions widened (1):"
has "restrict replaced by every no- word: the options" "$T/out" "options: restrict, pty -> no-port-forwarding, no-agent-forwarding, no-X11-forwarding, no-user-rc"
variant opts-a 's|options: \[restrict, pty\]|options: [no-agent-forwarding, no-port-forwarding]|'
variant opts-b 's|options: \[restrict, pty\]|options: [no-port-forwarding, NO-AGENT-FORWARDING, restrict, pty]|'
variant opts-c 's|options: \[restrict, pty\]|options: [no-port-forwarding, NO-AGENT-FORWARDING]|'
run "same restrictions, other order and spelling: unchanged" 0 "$KEYAUTHCTL" diff "$T/opts-a.yaml" "$T/opts-c.yaml"
run "restrict after no- words: narrowed" 1 "$KEYAUTHCTL" diff "$T/opts-a.yaml" "$T/opts-b.yaml"
has "restrict after no- words: narrowed (x11, user-rc, tunnels)" "$T/out" "restrictions narrowed (1):"

variant revocation-added '$ a\  - owner: dave@example.com\n    reason: left the company'
dif revocation-added 1
has "revocation added" "$T/out" "+ owner dave@example.com (left the company); refuses dave-new"
has "revocation added: the access it takes is lost" "$T/out" "- dave: dave-new (dave@example.com, SHA256:xjmwHX8rLk8IKKLD+HUwMIeU/t9bPOZXtDUPQCNHQBM): now revoked (owner dave@example.com: left the company); it allowed from any address; all hosts; valid from 2026-09-01T00:00:00Z"

# Effective access: renaming a revoked owner brings the key back, and that
# is access gained, whatever its cause.
sed 's/^    owner: dave@example.com$/    owner: dave2@example.com/' "$T/revocation-added.yaml" >"$T/owner-renamed.yaml"
run "revoked owner renamed" 1 "$KEYAUTHCTL" diff "$T/revocation-added.yaml" "$T/owner-renamed.yaml"
has "revoked owner renamed: access gained" "$T/out" "access gained (1):"
has "revoked owner renamed: says how" "$T/out" "+ dave: dave-new (dave2@example.com, SHA256:xjmwHX8rLk8IKKLD+HUwMIeU/t9bPOZXtDUPQCNHQBM): was revoked (owner dave@example.com: left the company), now allowed (owner renamed from dave@example.com to dave2@example.com): from any address; all hosts; valid from 2026-09-01T00:00:00Z; expires 2027-09-01T00:00:00Z"
hasnt "revoked owner renamed: not merely another change" "$T/out" "other changes"
has "revoked owner renamed: counted" "$T/out" "access changed: 1 gained"
run "renamed back to the revoked owner" 1 "$KEYAUTHCTL" diff "$T/owner-renamed.yaml" "$T/revocation-added.yaml"
has "renamed back: access lost" "$T/out" "- dave: dave-new (dave2@example.com, SHA256:xjmwHX8rLk8IKKLD+HUwMIeU/t9bPOZXtDUPQCNHQBM): now revoked (owner dave@example.com: left the company; owner renamed from dave2@example.com to dave@example.com); it allowed from any address"
sed 's/^    owner: dave@example.com$/    owner: "dave@example.com\\u200b"/' "$T/revocation-added.yaml" >"$T/owner-invisible.yaml"
run "owner renamed with an invisible character: refused" 3 "$KEYAUTHCTL" diff "$T/revocation-added.yaml" "$T/owner-invisible.yaml"
has "invisible character: located" "$T/err" "owner-invisible.yaml:42:12: error: owner: invisible or format character U+200B"
variant other-key-revoked '$ a\  - owner: bob@example.com\n    reason: left'
sed 's/^    accounts: \[bob\]$/    accounts: [bob, root]/' "$T/other-key-revoked.yaml" >"$T/revoked-wider.yaml"
run "a revoked key's grant widened: no access changes" 0 "$KEYAUTHCTL" diff "$T/other-key-revoked.yaml" "$T/revoked-wider.yaml"
has "a revoked key's grant widened: unchanged" "$T/out" "access unchanged"
variant revocation-removed '/^revoked:/,$d'
dif revocation-removed 1
has "revocation removed" "$T/out" "- fingerprint SHA256:42KwZaKr4Si5BKP/Y2aakippqMmMmzVe0LHwZ0dEV+w (laptop stolen (INC-1234)); gives back access to mallory-old"
has "revocation removed: section" "$T/out" "revocations removed (1):"
has "revocation removed: the access it gives back is gained" "$T/out" "+ mallory: mallory-old (mallory@example.com, SHA256:42KwZaKr4Si5BKP/Y2aakippqMmMmzVe0LHwZ0dEV+w): was revoked (fingerprint SHA256:42KwZaKr4Si5BKP/Y2aakippqMmMmzVe0LHwZ0dEV+w: laptop stolen (INC-1234)), now allowed (the revocation was removed): from any address; all hosts; expires never"
variant revocation-rewritten "s|  - fingerprint: SHA256:42KwZaKr4Si5BKP/Y2aakippqMmMmzVe0LHwZ0dEV+w|  - key: $(sed -n 's/ mallory@example$//p' keys.txt)|"
dif revocation-rewritten 0
has "revocation by key instead of fingerprint: unchanged" "$T/out" "access unchanged"

# serial going down is pointed out (install would refuse it)
run "serial lower" 0 "$KEYAUTHCTL" diff "$T/serial.yaml" base.yaml
has "rollback named" "$T/out" "serial: 11 -> 10 (lower: install refuses a rollback)"

# errors
run "missing file" 3 "$KEYAUTHCTL" diff base.yaml "$T/nope.yaml"
run "invalid file" 3 "$KEYAUTHCTL" diff base.yaml "$top_srcdir/tests/data/invalid/from-hostname.yaml"
has "invalid file located" "$T/err" "from-hostname.yaml:"
run "one argument" 2 "$KEYAUTHCTL" diff base.yaml
run "three arguments" 2 "$KEYAUTHCTL" diff base.yaml base.yaml base.yaml
run "csv refused" 2 "$KEYAUTHCTL" diff base.yaml changed.yaml --format csv
t_done
