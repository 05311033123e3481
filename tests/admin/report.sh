#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# keyauthctl report: whole outputs in text, CSV and JSON, filters, the
# status at a given time, and exit codes.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/admin/common.sh"
cd "$ADATA" || exit 99
R="$KEYAUTHCTL report --policy-file base.yaml --at 2026-06-01"

run "report text" 0 $R
golden report.txt "$T/out"
run "report csv" 0 $R --format csv
golden report.csv "$T/out"
run "report json" 0 $R --format json
golden report.json "$T/out"
json_ok "report json" "$T/out"

run "report --account root" 0 $R --account root
golden report-root.txt "$T/out"
run "report --owner --format json" 0 $R --owner alice@example.com --format json
golden report-alice.json "$T/out"
json_ok "report --owner json" "$T/out"

# --host: only the entries that apply there
run "report --host web-01" 0 $R --host web-01
hasnt "web-01: no db-only entry (alice-root)" "$T/out" "alice-root"
hasnt "web-01: no db-* entry (acme-support)" "$T/out" "acme-support"
has "web-01: unrestricted entries stay" "$T/out" "ci-deploy"
run "report --host db-01" 0 $R --host db-01
has "db-01: alice-root applies" "$T/out" "alice-root"
has "db-01: header names the host" "$T/out" "host: db-01"

# The installed index answers the same: install base.yaml for db-01 into
# $T, then every format from the index equals the YAML report for db-01
# except the header, which names the index and says it holds this host's
# grants only (other hosts' are not in it).
if [ "$(id -u)" = 0 ]; then
	cp base.yaml "$T/p.yaml" && chmod 0644 "$T/p.yaml"
	IX="$KEYAUTHCTL --helper-user root --index $T/v/policy.cdb --krl $T/v/revoked.krl --state $T/v/state"
	run "install for db-01" 0 $IX --host db-01 install "$T/p.yaml"
	for fmt in text csv json; do
		run "index report $fmt" 0 $IX report --at 2026-06-01 --format $fmt
		mv "$T/out" "$T/ix.$fmt"
		run "yaml report $fmt" 0 $R --host db-01 --format $fmt
		mv "$T/out" "$T/y.$fmt"
	done
	# text: the rows and the summary (after the header's blank line)
	expect_eq "index = yaml (text rows)" "$(sed '1,/^$/d' "$T/ix.text")" "$(sed '1,/^$/d' "$T/y.text")"
	has "index header: the source" "$T/ix.text" "source: the installed index (this host's grants only"
	has "index header: the index" "$T/ix.text" "policy: $T/v/policy.cdb serial 10 sha256 9a8fbcb1933cfd07"
	has "index header: the host" "$T/ix.text" "host: db-01"
	expect_eq "index = yaml (csv)" "$(cat "$T/ix.csv")" "$(cat "$T/y.csv")"
	expect_eq "index = yaml (json, but the path)" "$(sed 's|"path": "[^"]*"||' "$T/ix.json")" "$(sed 's|"path": "[^"]*"||' "$T/y.json")"
	has "index: the revoked key's row" "$T/ix.csv" "mallory,mallory-old,"
	run "index report --account root" 0 $IX report --at 2026-06-01 --account root
	mv "$T/out" "$T/ix.root"
	run "yaml report --account root" 0 $R --host db-01 --account root
	expect_eq "index = yaml (--account root)" "$(sed '1,/^$/d' "$T/ix.root")" "$(sed '1,/^$/d' "$T/out")"
	run "index report --owner" 0 $IX report --at 2026-06-01 --owner alice@example.com --format csv
	mv "$T/out" "$T/ix.owner"
	run "yaml report --owner" 0 $R --host db-01 --owner alice@example.com --format csv
	expect_eq "index = yaml (--owner)" "$(cat "$T/ix.owner")" "$(cat "$T/out")"
	run "index report, no such account" 0 $IX report --at 2026-06-01 --account nobody
	has "no such account: no access" "$T/out" "no access: no entry matches"
	run "index report --host other" 2 $IX report --host web-01
	has "--host other: says why" "$T/err" "--policy-file reports other hosts"
	# --by grant|group from the index: a version 1 policy has none ("-")
	for by in grant group person; do
		run "index report --by $by" 0 $IX report --at 2026-06-01 --by $by
		mv "$T/out" "$T/ix.by"
		run "yaml report --by $by" 0 $R --host db-01 --by $by
		expect_eq "index = yaml (--by $by)" "$(sed '1,/^$/d' "$T/ix.by")" "$(sed '1,/^$/d' "$T/out")"
	done
	run "index report --format html" 2 $IX report --format html
	has "--format html: says why" "$T/err" "needs --policy-file: the page shows the policy's revocations and lint findings"
	run "index report --format html --policy-file" 0 $IX report --format html --policy-file "$T/p.yaml"
	has "--policy-file: the page" "$T/out" "<!DOCTYPE html>"
	run "no index installed" 3 "$KEYAUTHCTL" --index "$T/none/policy.cdb" report
	has "no index: says --policy-file" "$T/err" "--policy-file reads a policy instead"
else
	t_skip "report from the installed index: needs root to install"
fi

# status follows the decision at --at
run "report at 2027-02-01" 0 "$KEYAUTHCTL" report --policy-file base.yaml --at 2027-02-01 --account alice
has "alice-laptop expired by 2027-02-01" "$T/out" "expired"
run "report at 2026-09-01" 0 "$KEYAUTHCTL" report --policy-file base.yaml --at 2026-09-01 --account dave
has "dave-new valid from its not_before" "$T/out" "  active  "
run "report at 2026-08-31" 0 "$KEYAUTHCTL" report --policy-file base.yaml --at 2026-08-31T23:59:59Z --account dave
has "dave-new not yet valid a second before" "$T/out" "not yet valid"
run "revoked key" 0 $R --account mallory --format csv
has "mallory's key is revoked" "$T/out" ",revoked"
# A stale policy: every row says so, whatever the entry.
sed 's/^serial: 10/serial: 10\nexpires: 2026-05-01/' base.yaml >"$T/stale.yaml"
run "report stale" 0 "$KEYAUTHCTL" report --policy-file "$T/stale.yaml" --at 2026-06-01 --format csv
expect_eq "every row policy_stale" "$(grep -c ',policy_stale$' "$T/out")" 8
# no row matches
run "report no match" 0 $R --account nobody
has "no rows" "$T/out" "no access: no entry matches"
run "report no match json" 0 $R --account nobody --format json
has "empty rows in json" "$T/out" '"rows": [],'
json_ok "empty json" "$T/out"

# the default is --policy
run "report --policy" 0 "$KEYAUTHCTL" --policy "$ADATA/base.yaml" report --at 2026-06-01 --format csv
cmp -s "$T/out" "$GOLD/report.csv" && pass "--policy reads the same file" || fail "--policy reads the same file"

# JSON escaping of hostile-looking (but valid) values
sed 's/owner: alice@example.com/owner: "ali\\"ce\\\\ \\u00e9"/' base.yaml >"$T/esc.yaml"
run "report escaping" 0 "$KEYAUTHCTL" report --policy-file "$T/esc.yaml" --at 2026-06-01 --format json --account root
has "quote and backslash escaped" "$T/out" '"owner": "ali\"ce\\ é"'
json_ok "escaped json" "$T/out"

# CSV for a spreadsheet: a cell that starts like a formula (= + - @ TAB
# CR) gets a leading ' inside quotes, so it is shown, never evaluated
# (docs/keyauthctl-report.md); an absent value stays empty.
sed -e 's/owner: alice@example.com/owner: "=HYPERLINK(\\"http:\/\/evil.example\/\\",\\"x\\")"/' \
    -e 's/id: alice-root/id: "-1+1"/' -e 's/owner: bob@example.com/owner: "@SUM(A1)"/' \
    -e 's/owner: ci@example.com/owner: "+1+cmd"/' -e 's/owner: dave@example.com/owner: "-"/' base.yaml >"$T/formula.yaml"
run "report csv formulas" 0 "$KEYAUTHCTL" report --policy-file "$T/formula.yaml" --at 2026-06-01 --format csv
has "= neutralised" "$T/out" "alice,alice-laptop,\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"x\"\")\","
has "- neutralised (id)" "$T/out" "root,\"'-1+1\","
has "@ neutralised" "$T/out" "bob,bob-desktop,\"'@SUM(A1)\","
has "+ neutralised" "$T/out" "deploy,ci-deploy,\"'+1+cmd\","
has "a lone - is no formula: kept" "$T/out" "dave,dave-new,-,"
if grep -q '^[^"]*,[=+@]' "$T/out" || grep -q ',-[^,]' "$T/out"; then
	fail "no cell starts like a formula"; t_diag "$(cat "$T/out")"
else pass "no cell starts like a formula"; fi

# errors
run "bad --format" 2 $R --format xml
run "bad --account" 2 $R --account 'Not Valid'
run "bad --at" 2 "$KEYAUTHCTL" report --policy-file base.yaml --at yesterday
run "missing policy" 3 "$KEYAUTHCTL" report --policy-file "$T/nope.yaml"
has "missing file named" "$T/err" "nope.yaml"
run "invalid policy" 1 "$KEYAUTHCTL" report --policy-file "$top_srcdir/tests/data/invalid/from-hostname.yaml"
has "invalid policy located" "$T/err" "from-hostname.yaml:"
run "option of another command" 2 $R --strict
t_done
