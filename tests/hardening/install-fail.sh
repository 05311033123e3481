#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# `keyauthctl install` on a full disk and into a read-only state
# directory: the install fails (exit 3), and the previous index, KRL and
# state stay in force, byte for byte, with no temporary file left behind;
# the helper keeps serving the previous policy. Then the same install
# succeeds once there is room, so the test can tell the difference.
# Runs in a private mount namespace with a small tmpfs as the state
# directory; the host's mounts are never touched.
. "$top_srcdir/tests/lib.sh"
if [ -z "${KEYAUTH_IN_NS:-}" ]; then
	[ "$(id -u)" = 0 ] || t_skip "needs root"
	unshare --mount --propagation private true 2>/dev/null ||
		t_skip "cannot create a mount namespace"
	KEYAUTH_IN_NS=1 exec unshare --mount --propagation private sh "$0" "$@"
fi
t_tmpdir
. "$top_srcdir/tests/hardening/lib.sh"
D="$T/disk"
mkdir -m 0755 "$D" "$T/spool" && chmod 0700 "$T/spool"
# 1 MiB: two indexes of v3 (its report rows too, docs/index-format.md) fit
mount -t tmpfs -o size=1m,mode=0755 keyauth-test-disk "$D" || exit 99
t_extra_cleanup='umount -l "$D" 2>/dev/null'

mkkey A
mkkey B
grant_policy "$T/v1.yaml" 1 A key-a
# v2 is much bigger than what is left on the full disk
comment=$(head -c 3000 /dev/zero | tr '\0' c)
grant_policy "$T/v2.yaml" 2 B key-b
{
	for i in $(seq 1 40); do
		printf '  - id: big-%s\n    owner: b@example.com\n    key: %s\n    accounts: [%s]\n    comment: %s\n' \
		    "$i" "$(keyline B)" "$(seq -s, -f "u$i-%g" 1 30)" "$comment"
	done
} >>"$T/v2.yaml"
sed -i 's/owner: key-b@example.com/owner: b@example.com/' "$T/v2.yaml"
"$KEYAUTHCTL" check "$T/v2.yaml" >/dev/null 2>&1 || { t_diag "$("$KEYAUTHCTL" check "$T/v2.yaml" 2>&1)"; t_bail "v2 does not validate"; }
ctl_install "$D" "$T/v1.yaml" >/dev/null 2>&1 || exit 99
"$HELPER" -H web-01 -i "$D/policy.cdb" -s "$T/spool" alice >"$T/want" 2>/dev/null </dev/null || exit 99
snapshot() { (cd "$D" && ls -a && sha256sum policy.cdb revoked.krl state); }
snapshot >"$T/before"

# still_v1 NAME: nothing changed, and the helper serves v1
still_v1() {
	snapshot >"$T/after"
	if cmp -s "$T/before" "$T/after"; then pass "$1: previous index, KRL and state byte-identical, no temp files"
	else fail "$1: state directory changed"; diff "$T/before" "$T/after" | sed 's/^/  /'; fi
	"$HELPER" -H web-01 -i "$D/policy.cdb" -s "$T/spool" alice >"$T/out" 2>/dev/null </dev/null
	expect_rc "$1: helper" $? 0
	if cmp -s "$T/out" "$T/want"; then pass "$1: helper serves the previous policy"
	else fail "$1: helper output changed"; cat "$T/out"; fi
}

# Full disk: fill every block, then install v2.
dd if=/dev/zero of="$D/fill" bs=4k 2>/dev/null
ls -a "$D" | grep -q '^fill$' || t_bail "could not fill the disk"
# the fill file is part of "before" now
snapshot >"$T/before"
out=$(ctl_install "$D" "$T/v2.yaml" 2>&1); rc=$?
expect_rc "full disk: install refused" $rc 3
echo "# full disk: $out"
still_v1 "full disk"

# Nearly full: room for the small KRL and state, not for the index.
truncate -s -12K "$D/fill"
snapshot >"$T/before"
out=$(ctl_install "$D" "$T/v2.yaml" 2>&1); rc=$?
expect_rc "nearly full: install refused" $rc 3
echo "# nearly full: $out"
still_v1 "nearly full"

# Room again: the same install succeeds (the test can fail).
rm -f "$D/fill"
out=$(ctl_install "$D" "$T/v2.yaml" 2>&1); rc=$?
expect_rc "room again: install" $rc 0
"$HELPER" -H web-01 -i "$D/policy.cdb" -s "$T/spool" alice >"$T/out" 2>/dev/null </dev/null
expect_eq "room again: v2 in force" "$(head -n1 "$T/out" | cut -d' ' -f3)" "keyauth:key-b"
cp "$T/out" "$T/want"
snapshot >"$T/before"

# Read-only state directory: install v3.
sed 's/^serial: 2$/serial: 3/' "$T/v2.yaml" | sed 's/key-b$/key-c/' >"$T/v3.yaml"
mount -o remount,ro "$D" || exit 99
out=$(ctl_install "$D" "$T/v3.yaml" 2>&1); rc=$?
expect_rc "read-only: install refused" $rc 3
echo "# read-only: $out"
still_v1 "read-only"
mount -o remount,rw "$D" || exit 99
out=$(ctl_install "$D" "$T/v3.yaml" 2>&1); rc=$?
expect_rc "writable again: install" $rc 0
t_done
