#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# keyauthctl import: authorized_keys files (from=, expiry-time=, command=,
# restricting options, quoted values with escaped quotes, lines that
# cannot be expressed) to policy YAML that passes keyauthctl check.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/admin/common.sh"
# The committed tree, owned as on the server it came from: import takes an
# account from a path only when that account owns the home and the file
# (import-owner.sh), checked against this passwd (--passwd).
require_root
import_tree "$T"
cd "$T" || exit 99
IMP="--passwd $T/passwd"

run "import dir" 1 "$KEYAUTHCTL" import $IMP import
golden import.yaml "$T/out"
golden import.err "$T/err"
cp "$T/out" "$T/imported.yaml"
cp "$T/err" "$T/import.err"
run "imported policy passes check" 0 "$KEYAUTHCTL" check "$T/imported.yaml"
has "check: valid" "$T/out" "valid, serial 1, 7 keys"
# --format v2: the same import as people and grants, the same access.
run "import --format v2" 1 "$KEYAUTHCTL" import $IMP --format v2 import
cp "$T/out" "$T/imported-v2.yaml"
has "v2: version 2" "$T/imported-v2.yaml" "version: 2"
has "v2: people" "$T/imported-v2.yaml" "people:"
has "v2: grants" "$T/imported-v2.yaml" "grants:"
expect_eq "v2: the same messages on stderr" "$(cat "$T/err")" "$(cat "$T/import.err")"
run "v2: passes check" 0 "$KEYAUTHCTL" check "$T/imported-v2.yaml"
# The same rows (account, key, sources, hosts, times, options, command,
# status); only ids differ, where a key was imported under two (version
# 2 gives a key one id: convert's note).
for f in imported imported-v2; do
	"$KEYAUTHCTL" report --policy-file "$T/$f.yaml" --format csv --at 2026-06-01 |
	    cut -d, -f1,4,5,7-13 | sort >"$T/$f.rows"
done
has "v2: rows to compare" "$T/imported.rows" "root,"
expect_eq "v2: the same access as v1" "$(cat "$T/imported-v2.rows")" "$(cat "$T/imported.rows")"
run "import --format v3" 2 "$KEYAUTHCTL" import $IMP --format v3 import
has "--format names its values" "$T/err" "expected v1 or v2"

# the same key for two accounts with equal restrictions: one entry, said so
has "merged across accounts" "$T/imported.yaml" 'accounts: ["alice", "bob"]'
has "merge said in the YAML" "$T/imported.yaml" "  # one key for 2 accounts: alice from import/home/alice/.ssh/authorized_keys:3, bob from import/home/bob/.ssh/authorized_keys2:2; check that each should have it"
has "merge said on stderr" "$T/import.err" "import/home/bob/.ssh/authorized_keys2:2: warning: the same key with the same restrictions is also in import/home/alice/.ssh/authorized_keys:3 (alice): one entry now grants accounts [alice, bob]"
# nothing that widens access is imported
hasnt "from=*.example.com key not imported" "$T/imported.yaml" "mallory"
has "reported with file:line" "$T/import.err" 'import/home/alice/.ssh/authorized_keys:6: error: from= holds a host name'
has "escaped quote in command refused" "$T/import.err" 'import/root/.ssh/authorized_keys:1: error: command='
has "environment left out, key kept" "$T/import.err" 'authorized_keys:5: warning: environment="..." is not supported'
has "expiry-time kept" "$T/imported.yaml" "expires: 2037-01-01T00:00:00Z"
has "local expiry-time (TZ=UTC)" "$T/imported.yaml" "expires: 2036-12-31T00:00:00Z"

# files one by one, in the order given; the account from the path
run "files" 1 "$KEYAUTHCTL" import $IMP import/root/.ssh/authorized_keys import/home/bob/.ssh/authorized_keys2
has "root account from /root/.ssh" "$T/out" 'accounts: ["root"]'
has "bob account from home/bob/.ssh" "$T/out" 'accounts: ["bob"]'

# expiry-time in local time follows TZ, as sshd reads it
TZ=Europe/Berlin "$KEYAUTHCTL" import $IMP import/home/bob/.ssh/authorized_keys2 >"$T/berlin.yaml" 2>/dev/null
has "expiry-time without Z is local time" "$T/berlin.yaml" "expires: 2036-12-30T23:00:00Z"

# --owner-from-comment
run "owner from comment" 1 "$KEYAUTHCTL" import $IMP --owner-from-comment import/home/alice/.ssh/authorized_keys
has "owner is the comment" "$T/out" 'owner: "alice@laptop"'
"$KEYAUTHCTL" import $IMP --owner-from-comment import >"$T/owners.yaml" 2>/dev/null
run "owners: still valid" 0 "$KEYAUTHCTL" check "$T/owners.yaml"

# the account cannot be told from an arbitrary path
mkdir -p "$T/keys"
grep alice@example "$ADATA/keys.txt" >"$T/keys/some-file"
run "no account" 2 "$KEYAUTHCTL" import "$T/keys/some-file"
has "asks for --account" "$T/err" "give --account NAME"
run "--account" 0 "$KEYAUTHCTL" import --account deploy "$T/keys/some-file"
has "--account used" "$T/out" 'accounts: ["deploy"]'
"$KEYAUTHCTL" import --account deploy "$T/keys/some-file" >"$T/one.yaml" 2>/dev/null
run "single key: valid" 0 "$KEYAUTHCTL" check "$T/one.yaml"
run "bad --account" 2 "$KEYAUTHCTL" import --account 'Bad Name' "$T/keys/some-file"

# ids stay unique and valid whatever the comments say
{
	printf '%s same\n' "$(sed -n 's/ alice@example$//p' "$ADATA/keys.txt")"
	printf 'no-pty %s same\n' "$(sed -n 's/ alice@example$//p' "$ADATA/keys.txt")"
	printf 'no-pty,no-user-rc %s same\n' "$(sed -n 's/ alice@example$//p' "$ADATA/keys.txt")"
	printf '%s %s\n' "$(sed -n 's/ bob@example$//p' "$ADATA/keys.txt")" '"weird" comment/with*stuff	and tab'
} >"$T/keys/dups"
run "duplicate comments" 0 "$KEYAUTHCTL" import --account alice "$T/keys/dups"
cp "$T/out" "$T/dups.yaml"
run "duplicate comments: valid" 0 "$KEYAUTHCTL" check "$T/dups.yaml"
expect_eq "three distinct alice ids" "$(grep -c '^  - id: "same' "$T/dups.yaml")" 3
has "odd comment made into an id" "$T/dups.yaml" 'id: "weird-comment-with-stuff-and-tab"'

# an empty file: a valid policy without keys
: >"$T/keys/empty"
run "empty file" 0 "$KEYAUTHCTL" import --account alice "$T/keys/empty"
cp "$T/out" "$T/empty.yaml"
run "empty import: valid" 0 "$KEYAUTHCTL" check "$T/empty.yaml"

# errors
run "missing file" 3 "$KEYAUTHCTL" import --account alice "$T/nope"
run "no argument" 2 "$KEYAUTHCTL" import
t_done
