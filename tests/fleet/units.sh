#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The systemd units of systemd/ as built: systemd-analyze verify accepts
# each (with the program they start pointing at the build's keyauthctl,
# since nothing is installed here), a broken copy is caught, and their
# commands are the ones docs/fleet.md names. (There is no systemd as PID 1
# here: tests/fleet/fleet.sh runs the fetch unit's ExecStart itself.)
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
command -v systemd-analyze >/dev/null 2>&1 || t_skip "systemd-analyze not installed (Debian: systemd)"
t_tmpdir
U="$top_builddir/systemd"
for u in keyauth-install.path keyauth-install.service keyauth-fetch.service keyauth-fetch.timer; do
	[ -f "$U/$u" ] || t_bail "not built: $U/$u"
	sed "s|=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$U/keyauth-fetch.service")|=$top_builddir/keyauthctl/keyauthctl|" "$U/$u" >"$T/$u"
done
expect_eq "fetch unit runs keyauthctl fetch" "$(sed -n 's/^ExecStart=//p' "$U/keyauth-fetch.service" | sed 's|.*/||')" "keyauthctl fetch"
expect_eq "install unit runs keyauthctl install" "$(sed -n 's/^ExecStart=//p' "$U/keyauth-install.service" | sed 's|.*/||')" "keyauthctl install"
expect_contains "the path unit watches the configuration directory" "$(cat "$U/keyauth-install.path")" "PathChanged="
expect_contains "the path unit starts the install" "$(cat "$U/keyauth-install.path")" "Unit=keyauth-install.service"
expect_contains "the fetch service may write only keyauth's state" "$(cat "$U/keyauth-fetch.service")" "ReadWritePaths="
for u in keyauth-install.path keyauth-install.service keyauth-fetch.service keyauth-fetch.timer; do
	rc=0; out=$(cd "$T" && systemd-analyze verify --man=no "$T/$u" 2>&1) || rc=$?
	expect_eq "systemd-analyze verify $u" "$rc:$out" "0:"
done
sed 's|^ExecStart=.*|ExecStart=/nonexistent/keyauthctl fetch|' "$T/keyauth-fetch.service" >"$T/broken.service"
rc=0; (cd "$T" && systemd-analyze verify --man=no "$T/broken.service") >/dev/null 2>&1 || rc=$?
check "systemd-analyze verify catches a broken unit" test "$rc" != 0
t_done
