#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# keyauthctl report --format html, rendered by a real browser (headless
# chromium): the DOM it builds from the page is checked against the CSV
# report of the same policy (people, accounts, the cells of the matrix,
# the counts) for the v1 and v2 examples and a generated 10,000-key
# policy; a policy of hostile values makes no element or attribute the
# page does not intend; the Content-Security-Policy is in the DOM and
# allows the one script and style by hash only; a screenshot is not
# blank. A few chromium runs only (docs/keyauthctl-report.md, "HTML").
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/html/common.sh"
EX="$top_srcdir/policy/examples"
GEN="$top_builddir/bench/gen-policy"
[ -x "$GEN" ] || t_bail "missing $GEN (make bench/gen-policy)"

AT=2026-12-01T12:00:00Z
# render NAME POLICY [ARGS]: the page in $T/NAME.html, its DOM $T/NAME.dom,
# the CSV report of the same policy and time in $T/NAME.csv
render() {
	local name="$1" pol="$2"
	shift 2
	"$KEYAUTHCTL" report --policy-file "$pol" --at "$AT" --format html \
	    -o "$T/$name.html" "$@" 2>"$T/err"
	expect_rc "$name: report --format html -o" $? 0
	"$KEYAUTHCTL" report --policy-file "$pol" --at "$AT" --format csv \
	    "$@" >"$T/$name.csv" 2>>"$T/err" || fail "$name: csv report"
	chrome --dump-dom "file://$T/$name.html" >"$T/$name.dom"
	expect_rc "$name: chromium --dump-dom" $? 0
}

# csv_col FILE NAME: one column of a CSV report (its values have no
# comma in these policies), header dropped
csv_col() {
	awk -F, -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) n = i; next }
	    { print $n }' "$1"
}

# check_matrix NAME: every (owner, account) of the CSV is a coloured cell
# of the matrix holding the row's hosts; the counts agree
check_matrix() {
	local name="$1" n owners accounts bad=0 owner account hosts from cell tab
	n=$(($(wc -l <"$T/$name.csv") - 1))
	owners=$(csv_col "$T/$name.csv" owner | sort -u | wc -l)
	accounts=$(csv_col "$T/$name.csv" account | sort -u | wc -l)
	printf 'text\tn-rows\ntext\tn-people\nrows\tmatrix-table\ntext\tn-accounts\ntext\tn-root\ntext\tn-nofrom\ntext\tn-revoked\n' |
	    dom "$T/$name.dom" - >"$T/counts"
	got() { sed -n "${1}p" "$T/counts"; }
	expect_eq "$name: grants counted as the CSV rows" "$(got 1)" "$n"
	expect_eq "$name: people counted" "$(got 2)" "$owners"
	expect_eq "$name: one matrix row per person" "$(got 3)" "$owners"
	expect_eq "$name: accounts counted" "$(got 4)" "$accounts"
	expect_eq "$name: root grants counted" "$(got 5)" \
	    "$(csv_count "$T/$name.csv" '$c["account"] == "root" && $c["status"] == "active"')"
	expect_eq "$name: no from: counted" "$(got 6)" \
	    "$(csv_count "$T/$name.csv" '$c["from"] == "" && $c["status"] == "active"')"
	expect_eq "$name: revoked, still granted, counted" "$(got 7)" \
	    "$(csv_count "$T/$name.csv" '$c["status"] == "revoked"')"
	# the cells of (at most) the first 40 rows, each read from the DOM
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	    NR <= 41 { print $c["owner"] "," $c["account"] "," $c["hosts"] "," $c["from"] }' \
	    "$T/$name.csv" >"$T/cells"
	# one query a cell, answered by one parse of the DOM
	tab=$(printf '\t')
	while IFS=, read -r owner account hosts from; do
		printf 'cell%smatrix-table%s%s%s%s\n' "$tab" "$tab" "$owner" "$tab" "$account"
	done <"$T/cells" | dom "$T/$name.dom" - >"$T/answers"
	exec 3<"$T/answers"
	while IFS=, read -r owner account hosts from; do
		IFS= read -r cell <&3 || { bad=1; break; }
		hosts=$(printf '%s' "${hosts:-all}" | sed 's/"//g; s/ /, /g')
		case "$cell" in
		ok\|*|nx\|*|nf\|*|sn\|*|rt\|*|rv\|*|off\|*) ;;
		*) bad=1; t_diag "$owner/$account: no risk colour: $cell"; break ;;
		esac
		case "$cell" in
		*"|$hosts from "*|*" $hosts from "*|*"\\n$hosts from "*) ;;
		*) bad=1; t_diag "$owner/$account: hosts $hosts missing: $cell"; break ;;
		esac
		if [ -z "$from" ]; then
			case "$cell" in *"from any"*) ;; *) bad=1; t_diag "$owner/$account: no 'from any': $cell"; break ;; esac
		fi
	done <"$T/cells"
	exec 3<&-
	expect_eq "$name: matrix cells hold the CSV's hosts and sources" "$bad" 0
}

t_case "v1 example"
render v1 "$EX/policy.yaml"
check_matrix v1
check_safe v1
expect_eq "v1: serial in the header" "$(dom "$T/v1.dom" text h-serial)" \
    "$(sed -n 's/^serial: *\([0-9]*\).*/\1/p' "$EX/policy.yaml")"
expect_eq "v1: sha256 in the header" "$(dom "$T/v1.dom" text h-sha256)" \
    "$(sha256sum "$EX/policy.yaml" | cut -d' ' -f1)"
expect_eq "v1: host scope" "$(dom "$T/v1.dom" text h-host)" "all hosts"
expect_eq "v1: as of --at" "$(dom "$T/v1.dom" text h-at)" "$AT"
expect_eq "v1: revocations listed" "$(dom "$T/v1.dom" rows revocations-table)" \
    "$("$KEYAUTHCTL" check "$EX/policy.yaml" 2>&1 | sed -n 's/.* \([0-9]*\) revoked.*/\1/p')"
expect_eq "v1: lint findings listed" "$(dom "$T/v1.dom" rows lint-table)" \
    "$("$KEYAUTHCTL" check "$EX/policy.yaml" 2>&1 | grep -c ': warning: ')"

t_case "v2 teams example"
render v2 "$EX/teams.yaml"
check_matrix v2
check_safe v2
expect_eq "v2: carol's root cell" "$(dom "$T/v2.dom" cell matrix-table carol@example.com root)" \
    "rt|web-* from vpn until 2027-06-30 (sre-root via sre > web)"
expect_eq "v2: alice has no root cell" "$(dom "$T/v2.dom" cell matrix-table alice@example.com root)" "|"
# A cell's keys and grants are its lines (newlines, no element each):
# alice's keys cell holds one line per key of the CSV, id and fingerprint;
# her postgres cell, of two grants, a line per grant with its hosts.
lines() { cut -d'|' -f2- | sed 's/\\n/\n/g'; }
awk -F, 'NR > 1 && $3 == "alice@example.com" { print $2 " " $4 }' "$T/v2.csv" | sort -u >"$T/keys.csv"
dom "$T/v2.dom" cell matrix-table alice@example.com keys | lines | awk '{ print $1, $2 }' | sort >"$T/keys.dom"
expect_eq "v2: alice has two keys" "$(wc -l <"$T/keys.csv")" 2
expect_eq "v2: alice's keys cell, a line per key" "$(cat "$T/keys.dom")" "$(cat "$T/keys.csv")"
awk -F, 'NR > 1 && $3 == "alice@example.com" && $1 == "postgres" { print ($8 == "" ? "all" : $8) }' \
    "$T/v2.csv" | sed 's/"//g; s/ /, /g' | sort >"$T/grants.csv"
dom "$T/v2.dom" cell matrix-table alice@example.com postgres | lines | sed 's/ from .*//' | sort >"$T/grants.dom"
expect_eq "v2: alice's postgres grants" "$(wc -l <"$T/grants.csv")" 2
expect_eq "v2: alice's postgres cell, a line per grant" "$(cat "$T/grants.dom")" "$(cat "$T/grants.csv")"
expect_eq "v2: frank's lint finding links his key" \
    "$(grep -o '<a href="#e[0-9]*">frank-laptop</a>' "$T/v2.dom" | head -1 | sed 's/.*#\(e[0-9]*\).*/\1/')" \
    "$(grep -o '<span id="e[0-9]*">frank-laptop ' "$T/v2.dom" | sed 's/.*id="\(e[0-9]*\)".*/\1/')"
# with --host: the scope is in the header
render v2host "$EX/teams.yaml" --host db-01
expect_eq "--host: host scope in the header" "$(dom "$T/v2host.dom" text h-host)" "db-01"
check_matrix v2host

t_case "ending soon"
# An entry ending in 10 days shows in the timeline, its bar and its list.
sed 's/expires: 2027-06-30/expires: 2026-12-11/' "$EX/teams.yaml" >"$T/soon.yaml"
render soon "$T/soon.yaml"
expect_eq "ending in 90 days counted" "$(dom "$T/soon.dom" text n-ending)" \
    "$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        $c["expires"] ~ /^2026-12-11/ { print $c["key_id"] "," $c["grant"] }' "$T/soon.csv" | sort -u | wc -l)"
has "the timeline is an inline SVG with a bar" "$T/soon.dom" '<rect class="bar"'
expect_eq "expiring within 14 days counted" "$(dom "$T/soon.dom" text n-soon)" \
    "$(csv_count "$T/soon.csv" '$c["expires"] ~ /^2026-12-11/ && $c["status"] == "active"')"

t_case "10,000 keys"
"$GEN" -F -n 10000 -m 10 >"$T/10k.yaml" || t_bail "gen-policy"
render 10k "$T/10k.yaml"
check_matrix 10k
expect_eq "10k: every key counted" "$(dom "$T/10k.dom" text n-entries)" 10000
# the matrix in blocks of 500 people, each a table chromium may skip, with
# the one head table above them
owners=$(csv_col "$T/10k.csv" owner | sort -u | wc -l)
expect_eq "10k: the matrix in blocks of 500 people" \
    "$(grep -o '<div class="mb">' "$T/10k.dom" | wc -l)" $(((owners + 499) / 500))
# every link to a key lands on it, and only linked keys have an element
grep -o 'href="#e[0-9]*"' "$T/10k.dom" | sed 's/.*#//; s/"//' | sort -u >"$T/10k.links"
grep -o 'id="e[0-9]*"' "$T/10k.dom" | sed 's/id="//; s/"//' | sort >"$T/10k.ids"
expect_eq "10k: keys linked to" "$(($(wc -l <"$T/10k.links") > 0))" 1
expect_eq "10k: the keys with an id are the ones linked to" \
    "$(cmp -s "$T/10k.links" "$T/10k.ids" && echo same)" same
expect_eq "10k: the head and each block have the fixed columns" \
    "$(grep -o '<colgroup>' "$T/10k.dom" | wc -l)" $(((owners + 499) / 500 + 1))
# an element costs the browser time (docs/performance.md): no row of the
# page ends in empty cells, no cell's lines are <br> elements
expect_eq "10k: no row ends in an empty cell" \
    "$(grep -c '^<tr>.*<td\( colspan="[0-9]*"\)\{0,1\}>$' "$T/10k.html")" 0
expect_eq "10k: no <br>" "$(grep -c '<br>' "$T/10k.html")" 0

t_case "certificate authorities"
# A CA's row: its cells where it grants, none after the last (support)
render ca "$top_srcdir/tests/data/valid/authorities.yaml"
check_safe ca
m='matrix-table'
expect_eq "ca: corp-ca's alice cell" "$(dom "$T/ca.dom" cell $m 'CA corp-ca (security@example.com)' alice)" \
    "ok|principals alice (the account): all from office until 2027-01-01"
expect_eq "ca: corp-ca's deploy cell" "$(dom "$T/ca.dom" cell $m 'CA corp-ca (security@example.com)' deploy)" \
    "ok|principals ops, release: all from office until 2027-01-01"
expect_eq "ca: corp-ca has no support cell" "$(dom "$T/ca.dom" cell $m 'CA corp-ca (security@example.com)' support)" "|"
expect_eq "ca: vendor-ca has no alice cell" "$(dom "$T/ca.dom" cell $m 'CA vendor-ca (vendor@example.net)' alice)" "|"
expect_eq "ca: vendor-ca's support cell, after the empty ones" \
    "$(dom "$T/ca.dom" cell $m 'CA vendor-ca (vendor@example.net)' support)" \
    "nf|principals vendor-support: web-* from any"
expect_eq "ca: authorities counted" "$(dom "$T/ca.dom" text n-authorities)" 2

t_case "hostile values"
render hostile "$HDIR/data/hostile.yaml"
check_safe hostile
expect_eq "one script element" "$(grep -c '<script' "$T/hostile.dom")" 1
expect_eq "the owner's <script> is text" \
    "$(dom "$T/hostile.dom" cell matrix-table '<script>alert(1)</script>@example.com' root | cut -d'|' -f1)" "rt"
has "a quote and angle bracket stay text" "$T/hostile.dom" '&lt;svg onload=alert(4)&gt;'
has "a zero-width space is shown, marked" "$T/hostile.dom" '<span class="esc">U+200B</span>'
if LC_ALL=C grep -q "$(printf '\342\200\213')" "$T/hostile.dom"; then
	fail "no zero-width space left as itself"
else pass "no zero-width space left as itself"; fi
has "the revoked owner still granted is purple" "$T/hostile.dom" '<td class="rv">'

t_case "screenshot"
chrome --screenshot="$T/shot.png" --window-size=1000,700 "file://$T/v2.html" >/dev/null
expect_rc "chromium --screenshot" $? 0
set -- $(perl "$HDIR/png.pl" "$T/shot.png" 200 2>&1)
expect_eq "screenshot size" "$1x$2" "1000x700"
if [ "${3:-0}" -ge 20 ]; then pass "screenshot not blank ($3 colours in the first 200 rows)"
else fail "screenshot not blank"; t_diag "png.pl: $*"; fi
chrome --screenshot="$T/blank.png" --window-size=1000,700 "file://$T/blank.html" >/dev/null
set -- $(perl "$HDIR/png.pl" "$T/blank.png" 200 2>&1)
expect_eq "the check tells a blank page (1 colour)" "${3:-}" 1

t_case "errors"
"$KEYAUTHCTL" report --policy-file "$EX/teams.yaml" --format html -o "$T/no/such/dir/x.html" >/dev/null 2>"$T/err"
expect_rc "-o into a missing directory" $? 3
has "says why" "$T/err" "x.html"
"$KEYAUTHCTL" diff "$EX/teams.yaml" "$EX/teams.yaml" --format html >/dev/null 2>&1
expect_rc "diff has no html" $? 2
mode=$(stat -c %a "$T/v2.html")
expect_eq "-o writes mode 0644" "$mode" 644
(cd "$T" && "$KEYAUTHCTL" report --policy-file "$EX/teams.yaml" --format html -o rel.html)
expect_rc "-o with a relative name" $? 0
has "-o with a relative name writes it there" "$T/rel.html" '<div class="sort mx" id="matrix-table">'
ln -s "$T/target" "$T/link.html"
"$KEYAUTHCTL" report --policy-file "$EX/teams.yaml" --format html -o "$T/link.html" >/dev/null 2>&1
[ ! -e "$T/target" ] && [ -f "$T/link.html" ] && [ ! -L "$T/link.html" ] &&
    pass "-o replaces a link, never writes through it" || fail "-o replaces a link, never writes through it"
t_done
