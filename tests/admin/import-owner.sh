#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# keyauthctl import takes the account of a file from its path only when
# that account owns the home directory and the file, and never searches a
# home for another home (docs/security.md, "import takes an account from
# its owner"). The attack: a user mallory creates ~/root/.ssh/
# authorized_keys and ~/x/home/alice/.ssh/authorized_keys holding her own
# key; `keyauthctl import /home /root` (the documented form) must not make
# her key root's or alice's. A key that is merged into several accounts is
# said so, on standard error and in the YAML.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/admin/common.sh"
require_root
R="$T/tree"
K="$T/keys"
mkdir -p "$K" "$R/home/mallory/.ssh" "$R/home/mallory/root/.ssh" \
    "$R/home/mallory/x/home/alice/.ssh" "$R/home/mallory/y/root/.ssh" \
    "$R/home/alice/.ssh" "$R/home/ghost/.ssh" "$R/root/.ssh" || exit 99
for k in mallory alice root; do
	"$SSH_KEYGEN" -q -t ed25519 -N '' -C "$k@example" -f "$K/$k" </dev/null || exit 99
done
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
    'alice:x:1001:1001:alice:/home/alice:/bin/sh' \
    'mallory:x:1003:1003:mallory:/home/mallory:/bin/sh' >"$T/passwd"
cp "$K/mallory.pub" "$R/home/mallory/.ssh/authorized_keys"
cp "$K/mallory.pub" "$R/home/mallory/root/.ssh/authorized_keys"
cp "$K/mallory.pub" "$R/home/mallory/x/home/alice/.ssh/authorized_keys"
cat "$K/alice.pub" >"$R/home/alice/.ssh/authorized_keys"
cat "$K/root.pub" "$K/alice.pub" >"$R/root/.ssh/authorized_keys"
cp "$K/alice.pub" "$R/home/ghost/.ssh/authorized_keys"
chown -R 1003:1003 "$R/home/mallory"
chown -R 1001:1001 "$R/home/alice"
chown -R 1004:1004 "$R/home/ghost"
# a root-owned file she moved into a directory of her own
cp "$K/mallory.pub" "$R/home/mallory/y/root/.ssh/authorized_keys"
chown 0:0 "$R/home/mallory/y/root/.ssh/authorized_keys"
fp_m=$("$SSH_KEYGEN" -lf "$K/mallory.pub" | awk '{print $2}')
key_m=$(cut -d' ' -f1,2 "$K/mallory.pub")
key_a=$(cut -d' ' -f1,2 "$K/alice.pub")

# The documented form, over the whole tree
cd "$T" || exit 99
run "import home and root" 1 "$KEYAUTHCTL" import --passwd "$T/passwd" tree/home tree/root
cp "$T/out" "$T/all.yaml"
cp "$T/err" "$T/all.err"
run "the import passes check" 0 "$KEYAUTHCTL" check "$T/all.yaml"
expect_eq "mallory's key: one entry" "$(grep -c "key: \"$key_m\"" "$T/all.yaml")" 1
has "mallory's key: for mallory alone" "$T/all.yaml" 'accounts: ["mallory"]'
hasnt "mallory's key: never root's" "$T/all.yaml" '"mallory", "root"'
hasnt "the planted root file is not even read" "$T/all.err" "home/mallory/root"
hasnt "no home inside a home is searched" "$T/all.err" "home/mallory/x"
has "alice's key for alice and root" "$T/all.yaml" 'accounts: ["alice", "root"]'
# A merge is said: a comment above the entry, a warning where it happened.
has "merge: comment in the YAML" "$T/all.yaml" "  # one key for 2 accounts: alice from tree/home/alice/.ssh/authorized_keys:1, root from tree/root/.ssh/authorized_keys:2; check that each should have it"
has "merge: warning on stderr" "$T/all.err" "tree/root/.ssh/authorized_keys:2: warning: the same key with the same restrictions is also in tree/home/alice/.ssh/authorized_keys:1 (alice): one entry now grants accounts [alice, root]; check that each should have it"
has "an account that does not exist: skipped" "$T/all.err" "tree/home/ghost/.ssh/authorized_keys: warning: there is no account ghost: the path names it, nobody owns the file as ghost; file not imported"
has "the summary" "$T/all.err" "keyauthctl: import: 3 entries (1 for several accounts) from 3 files; 0 lines not imported; 1 file skipped"

# Named one by one, the planted files are skipped with a warning.
skipped() { # NAME FILE WHY
	run "$1" 1 "$KEYAUTHCTL" import --passwd "$T/passwd" "$2"
	has "$1: says why" "$T/err" "$2: warning: $3; file not imported"
	hasnt "$1: no key" "$T/out" "$key_m"
}
skipped "~mallory/root/.ssh/authorized_keys" tree/home/mallory/root/.ssh/authorized_keys \
    "the directory the path calls root's home is owned by uid 1003, not by root: not root's file"
skipped "~mallory/x/home/alice/.ssh/authorized_keys" tree/home/mallory/x/home/alice/.ssh/authorized_keys \
    "the directory the path calls alice's home is owned by uid 1003, not by alice: not alice's file"
skipped "a root-owned file in ~mallory/y/root/.ssh" tree/home/mallory/y/root/.ssh/authorized_keys \
    "the directory the path calls root's home is owned by uid 1003, not by root: not root's file"
# the file's owner counts too
chown 1003 "$R/home/alice/.ssh/authorized_keys"
run "a file alice does not own" 1 "$KEYAUTHCTL" import --passwd "$T/passwd" tree/home/alice
has "a file alice does not own: says why" "$T/err" "tree/home/alice/.ssh/authorized_keys: warning: owned by uid 1003, not by alice: not alice's file; file not imported"
chown 1001 "$R/home/alice/.ssh/authorized_keys"
# --account is the administrator's word for every file given
run "--account imports what it is told" 0 "$KEYAUTHCTL" import --account mallory tree/home/mallory/root/.ssh/authorized_keys
has "--account: mallory's key for mallory" "$T/out" 'accounts: ["mallory"]'

# The system's own accounts database: root exists everywhere, with uid 0.
run "system accounts: root's file" 0 "$KEYAUTHCTL" import tree/root
has "system accounts: root's key" "$T/out" 'accounts: ["root"]'
run "system accounts: the planted file" 1 "$KEYAUTHCTL" import tree/home/mallory/root/.ssh/authorized_keys
has "system accounts: says whose" "$T/err" "not by root: not root's file; file not imported"
run "unreadable --passwd" 3 "$KEYAUTHCTL" import --passwd "$T/nope" tree/root
t_done
