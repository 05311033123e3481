# SPDX-License-Identifier: BSD-2-Clause
# Shared by tests/html/*.sh: tests/lib.sh, $T, headless chromium run with
# fixed flags (chrome ARGS), the DOM reader (dom FILE QUERY, tests/html/
# dom.pl) and check_safe, which every page must pass. The test is
# skipped, saying why, when chromium is missing or cannot start.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
t_tmpdir
[ -x "$KEYAUTHCTL" ] || t_bail "missing $KEYAUTHCTL"
TZ=UTC; export TZ
HDIR="$top_srcdir/tests/html"
command -v perl >/dev/null 2>&1 || t_bail "perl is needed to read the DOM"
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
[ -n "$CHROMIUM" ] || t_skip "chromium is not installed (Debian package chromium)"

# The flags the browser runs with, always the same: no network of its own,
# a profile in $T.
chrome() {
	"$CHROMIUM" --headless --no-sandbox --disable-gpu \
	    --disable-background-networking --disable-component-update \
	    --disable-sync --user-data-dir="$T/profile" "$@" 2>>"$T/chromium.err"
}
dom() { perl "$HDIR/dom.pl" "$@"; }
# has NAME FILE TEXT (a fixed string)
has() {
	if grep -qF -- "$3" "$2"; then pass "$1"; else
		fail "$1"; t_diag "  $2 does not contain: $3"; fi
}
# csv_count FILE CONDITION: CSV rows for which the awk CONDITION holds,
# columns named as c["account"] (the values have no comma here)
csv_count() {
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	    '"$2"' { n++ } END { print n + 0 }' "$1"
}

printf '<!DOCTYPE html><html><body></body></html>\n' >"$T/blank.html"
if ! chrome --dump-dom "file://$T/blank.html" >"$T/blank.dom" ||
    ! grep -q '<body>' "$T/blank.dom"; then
	t_skip "chromium cannot start here: $(tail -1 "$T/chromium.err")"
fi

# check_safe NAME: the page's elements and attributes are the intended
# ones, nothing can leave the page, and the script ran
check_safe() {
	local name="$1" csp
	dom "$T/$name.dom" tags >"$T/$name.tags" || fail "$name: DOM parses"
	if grep -vxF -f "$HDIR/allowed.txt" "$T/$name.tags" >"$T/extra"; then
		fail "$name: only intended elements and attributes"
		t_diag "$(cat "$T/extra")"
	else
		pass "$name: only intended elements and attributes"
	fi
	csp=$(dom "$T/$name.dom" csp)
	expect_contains "$name: CSP in the DOM forbids every fetch" "$csp" "default-src 'none'"
	expect_contains "$name: CSP forbids forms" "$csp" "form-action 'none'"
	expect_contains "$name: CSP forbids <base>" "$csp" "base-uri 'none'"
	expect_contains "$name: CSP allows the script by its hash" "$csp" \
	    "script-src $(dom "$T/$name.dom" script-hash);"
	expect_contains "$name: CSP allows the style by its hash" "$csp" \
	    "style-src $(dom "$T/$name.dom" style-hash);"
	case "$csp" in *unsafe*) fail "$name: no unsafe-* in the CSP" ;; *) pass "$name: no unsafe-* in the CSP" ;; esac
	# Links stay in the page; no element has anything to fetch.
	if grep -o 'href="[^"]*"' "$T/$name.dom" | grep -v '^href="#' >"$T/extra"; then
		fail "$name: every link is to an anchor of the page"; t_diag "$(head -5 "$T/extra")"
	else pass "$name: every link is to an anchor of the page"; fi
	# the script ran (the CSP let it): it adds the filter boxes
	has "$name: the script ran under the CSP" "$T/$name.dom" 'class="filter"'
}

