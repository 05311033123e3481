#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Version 2 (people, groups, grants) through the tools, on the three-team
# example policy/examples/teams.yaml and its directory form teams.d:
# golden outputs of report (--by, the groups behind "who can log in as
# root on web-01"), explain (the grant and the group path that decided)
# and diff (a membership change as the access it gains or loses).
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/admin/common.sh"
cd "$top_srcdir/policy/examples" || exit 99
AT="--at 2026-12-01"
R="$KEYAUTHCTL report --policy-file teams.yaml $AT"

run "teams: report" 0 $R
golden teams-report.txt "$T/out"
run "teams: report json" 0 $R --format json
golden teams-report.json "$T/out"
json_ok "teams: report json" "$T/out"
run "teams: report csv" 0 $R --format csv
golden teams-report.csv "$T/out"
run "teams: who can log in as root on web-01" 0 $R --account root --host web-01
golden teams-root-web-01.txt "$T/out"
for by in grant group person; do
	run "teams: report --by $by" 0 $R --by $by
	golden "teams-by-$by.txt" "$T/out"
done
run "teams: report --by nonsense" 2 $R --by nonsense
has "teams: --by names its values" "$T/err" "expected grant, group or person"

# explain: allowed through a nested group; refused by the same grant's
# sources although another grant of the same key allows the office.
X="$KEYAUTHCTL explain --policy-file teams.yaml $AT"
K="$top_srcdir/tests/admin/data/teams-carol.pub"
run "teams: explain root from the VPN" 0 $X root "$K" --from 198.51.100.7 --host web-01
golden teams-explain-root-vpn.txt "$T/out"
run "teams: explain root from the office" 1 $X root "$K" --from 192.0.2.7 --host web-01
golden teams-explain-root-office.txt "$T/out"
run "teams: explain deploy from the office" 0 $X deploy "$K" --from 192.0.2.7 --host web-01
golden teams-explain-deploy.txt "$T/out"

# The same three against the index installed for web-01: the grant and the
# group path come from its annotations, in the very words of --policy-file.
if [ "$(id -u)" = 0 ]; then
	IX="$KEYAUTHCTL --index $T/var/policy.cdb --krl $T/var/revoked.krl --state $T/var/state --host web-01"
	mkdir -p "$T/var"
	run "teams: install for web-01" 0 $IX --helper-user root install teams.yaml
	X="$IX explain $AT"
	run "teams: explain root from the VPN (index)" 0 $X root "$K" --from 198.51.100.7
	golden teams-explain-root-vpn.txt "$T/out"
	run "teams: explain root from the office (index)" 1 $X root "$K" --from 192.0.2.7
	golden teams-explain-root-office.txt "$T/out"
	run "teams: explain deploy from the office (index)" 0 $X deploy "$K" --from 192.0.2.7
	golden teams-explain-deploy.txt "$T/out"
	# report from the index: the GRANT and VIA columns and --by grant|group
	# from its annotations, row for row what --policy-file prints for
	# web-01 (the header names the index instead).
	for fmt in text csv json; do
		run "teams: index report $fmt" 0 $IX report $AT --format $fmt
		mv "$T/out" "$T/ix.$fmt"
		run "teams: yaml report $fmt for web-01" 0 $R --host web-01 --format $fmt
		mv "$T/out" "$T/y.$fmt"
	done
	has "teams: index report has the grant column" "$T/ix.text" "GRANT"
	has "teams: index report names a group" "$T/ix.text" "group sre > web"
	expect_eq "teams: index = yaml (text rows)" "$(sed '1,/^$/d' "$T/ix.text")" "$(sed '1,/^$/d' "$T/y.text")"
	expect_eq "teams: index = yaml (csv)" "$(cat "$T/ix.csv")" "$(cat "$T/y.csv")"
	expect_eq "teams: index = yaml (json, but the path)" "$(sed 's|"path": "[^"]*"||' "$T/ix.json")" "$(sed 's|"path": "[^"]*"||' "$T/y.json")"
	for by in grant group person; do
		run "teams: index report --by $by" 0 $IX report $AT --by $by
		mv "$T/out" "$T/ix.by"
		run "teams: yaml report --by $by for web-01" 0 $R --host web-01 --by $by
		expect_eq "teams: index = yaml (--by $by)" "$(sed '1,/^$/d' "$T/ix.by")" "$(sed '1,/^$/d' "$T/out")"
	done
	run "teams: index report --account root" 0 $IX report $AT --account root
	expect_eq "teams: index = golden rows (root on web-01)" "$(sed '1,/^$/d' "$T/out")" "$(sed '1,/^$/d' "$top_srcdir/tests/admin/golden/teams-root-web-01.txt")"
	# A version 1 policy's index has no annotations: no grant line.
	IX1="$KEYAUTHCTL --index $T/var1/policy.cdb --krl $T/var1/revoked.krl --state $T/var1/state --host web-01"
	mkdir -p "$T/var1"
	run "teams: install the version 1 form" 0 $IX1 --helper-user root install "$top_srcdir/tests/data/valid/teams-v1.yaml"
	run "teams: explain root from the VPN (version 1 index)" 0 $IX1 explain $AT root "$K" --from 198.51.100.7
	hasnt "teams: version 1 index names no grant" "$T/out" "grant"
	has "teams: version 1 index names the entry" "$T/out" "entry: carol-laptop-sre (owner carol@example.com)"
else
	t_diag "not root: explain against an installed index not tried"
fi

# diff: dave joined dba, erin left sre
run "teams: diff" 1 "$KEYAUTHCTL" diff teams.yaml "$top_srcdir/tests/admin/data/teams-next.yaml"
golden teams-diff.txt "$T/out"
has "teams: diff says joined" "$T/out" "grant dba-postgres via group dba (joined)"
has "teams: diff says left" "$T/out" "grant sre-root via group sre (left)"

# The directory form is the same policy.
run "teams.d: check" 0 "$KEYAUTHCTL" check --policy teams.d
has "teams.d: valid" "$T/out" "valid, serial 2026120101"
# Grants make one entry per (grant, key): the summary counts both.
has "teams.d: entries and keys" "$T/out" "valid, serial 2026120101, 9 entries of 7 keys, 0 revoked, 3 warnings"
run "teams.d: diff against the file" 0 "$KEYAUTHCTL" diff teams.yaml teams.d
has "teams.d: access unchanged" "$T/out" "access unchanged"
run "teams.d: report" 0 "$KEYAUTHCTL" report --policy-file teams.d $AT
sed 1d "$T/out" >"$T/dir"
sed 1d "$GOLD/teams-report.txt" >"$T/file"
expect_eq "teams.d: the report of the file, but for its header" "$(cmp -s "$T/dir" "$T/file" && echo same)" same
t_done
