#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Who may read the installed files (docs/security.md, "Who can read
# what"): the index says who may log in as whom from where, so only root
# and the AuthorizedKeysCommandUser (its group) read it; the KRL is read
# by sshd as root alone. An ordinary local user reads neither.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/ctl/common.sh"
require_root
command -v setpriv >/dev/null 2>&1 || t_skip "setpriv not found"
id nobody >/dev/null 2>&1 || t_skip "no user nobody"
make_keys
render "$CTLDATA/base.yaml.in" "$T/p6.yaml"
HUSER=nobody
HGID=$(id -g "$HUSER")
# An ordinary local user: any uid that is neither root nor the helper's.
OTHER=12345

# as UID GID CMD...: CMD with exactly that uid and gid, no other group.
as() {
	u=$1 g=$2
	shift 2
	setpriv --reuid="$u" --regid="$g" --clear-groups "$@"
}

# can_read UID GID FILE: the file exists and UID:GID can read it.
can_read() { [ -f "$3" ] && as "$1" "$2" cat "$3" >/dev/null 2>&1; }
cannot_read() { [ -f "$3" ] && ! as "$1" "$2" cat "$3" >/dev/null 2>&1; }

# The attack: after a plain install, an ordinary user reads who may log
# in as whom from where, and which keys are revoked.
out=$(ctl --host web-01 install "$T/p6.yaml" 2>&1); rc=$?
expect_rc "plain install" "$rc" 0
if cannot_read "$OTHER" "$OTHER" "$VAR/policy.cdb"; then
	pass "an ordinary user cannot read the index"
else
	fail "an ordinary user cannot read the index"
	t_diag "$(ls -l "$VAR/policy.cdb")"
fi
if cannot_read "$OTHER" "$OTHER" "$VAR/revoked.krl"; then
	pass "an ordinary user cannot read the KRL"
else
	fail "an ordinary user cannot read the KRL"
	t_diag "$(ls -l "$VAR/revoked.krl")"
fi

rm -rf "$VAR"
out=$(ctl --host web-01 --helper-user "$HUSER" install "$T/p6.yaml" 2>&1); rc=$?
expect_rc "install with --helper-user" "$rc" 0
[ "$rc" = 0 ] || t_diag "$out"
if cannot_read "$OTHER" "$OTHER" "$VAR/policy.cdb"; then
	pass "--helper-user: an ordinary user cannot read the index"
else
	fail "--helper-user: an ordinary user cannot read the index"
fi
# The helper's user still reads the index (through its group)...
if can_read "$(id -u "$HUSER")" "$HGID" "$VAR/policy.cdb"; then
	pass "the helper's user reads the index"
else
	fail "the helper's user reads the index"
fi
expect_eq "index: mode, owner, group" "$(stat -c '%a %u %g' "$VAR/policy.cdb")" "640 0 $HGID"
expect_eq "KRL: mode, owner, group" "$(stat -c '%a %u %g' "$VAR/revoked.krl")" "600 0 0"
# ...and keyauth's own reader accepts a root-owned 0640 file of its group.
out=$(ctl --host web-01 status 2>&1); rc=$?
expect_rc "status reads the 0640 index" "$rc" 0

# A helper user that does not exist: the index is kept from everyone but
# root, and install says so.
rm -rf "$VAR"
out=$(ctl --host web-01 --helper-user keyauth-no-such-user install "$T/p6.yaml" 2>&1); rc=$?
expect_rc "install, helper user missing" "$rc" 0
expect_contains "install, helper user missing: warned" "$out" \
    "warning: user keyauth-no-such-user does not exist"
expect_eq "index without the user: root only" "$(stat -c '%a %u %g' "$VAR/policy.cdb")" "640 0 0"

# A reinstall of the same policy repairs the modes of an old install.
chmod 0644 "$VAR/policy.cdb" "$VAR/revoked.krl"
out=$(ctl --host web-01 --helper-user "$HUSER" install "$T/p6.yaml" 2>&1); rc=$?
expect_rc "reinstall over a 0644 index" "$rc" 0
expect_eq "reinstall: index mode repaired" "$(stat -c '%a %g' "$VAR/policy.cdb")" "640 $HGID"
expect_eq "reinstall: KRL mode repaired" "$(stat -c '%a' "$VAR/revoked.krl")" "600"
t_done
