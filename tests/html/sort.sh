#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The page's one script in a real browser: sorting the matrix by a column
# heading orders the rows of all its blocks as one table, each block
# keeping its rows; the filter box hides the rows that do not match, in
# every block. The report page is unchanged (its CSP, no test hook): a
# test page of this test's own loads it in a frame (same origin only with
# --allow-file-access-from-files), clicks and types there through the
# DOM, and writes what it sees into its own DOM, which --dump-dom prints.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/html/common.sh"
GEN="$top_builddir/bench/gen-policy"
[ -x "$GEN" ] || t_bail "missing $GEN (make bench/gen-policy)"

# 2,000 keys, one person each with -m 3: four blocks of the matrix
"$GEN" -F -n 2000 -m 3 >"$T/p.yaml" || t_bail "gen-policy"
"$KEYAUTHCTL" report --policy-file "$T/p.yaml" --format html -o "$T/r.html"
expect_rc "report --format html -o" $? 0
cat >"$T/t.html" <<'END'
<!DOCTYPE html><html><body><pre id="out"></pre>
<iframe id="f" src="r.html"></iframe>
<script>
document.getElementById('f').addEventListener('load', function () {
	var d = this.contentDocument, out = [], m = d.getElementById('matrix-table');
	function firsts() {
		var a = [];
		m.querySelectorAll('tbody').forEach(function (b) {
			for (var i = 0; i < b.rows.length; i++)
				if (!b.rows[i].hidden) a.push(b.rows[i].cells[0].textContent.trim());
		});
		return a;
	}
	function sizes() {
		return Array.prototype.map.call(m.querySelectorAll('tbody'),
		    function (b) { return b.rows.length; }).join(' ');
	}
	var before = firsts(), th = m.querySelector('thead th');
	out.push('blocks ' + sizes());
	th.click();
	th.click();
	var after = firsts();
	out.push('sort ' + th.getAttribute('aria-sort'));
	out.push('first ' + after[0] + ' last ' + after[after.length - 1]);
	out.push('same ' + (after.slice().sort().join() === before.slice().sort().join()));
	out.push('reversed ' + (after.join() === before.slice().sort().reverse().join()));
	out.push('blocks ' + sizes());
	var q = d.querySelector('input.filter');
	q.value = 'user01998@';
	q.dispatchEvent(new Event('input'));
	out.push('filtered ' + firsts().join(' '));
	q.value = '';
	q.dispatchEvent(new Event('input'));
	out.push('unfiltered ' + firsts().length);
	// by the last account: a row has no cell after its last grant
	var hs = m.querySelector('thead tr').cells, last = hs.length - 1;
	function granted(r) {
		for (var j = 0, k = 0; j < r.cells.length; j++) {
			k += r.cells[j].colSpan;
			if (k > last) return r.cells[j].textContent.trim() !== '';
		}
		return false;
	}
	hs[last].click();
	hs[last].click();
	var rows = [], lead = 0, n = 0;
	m.querySelectorAll('tbody').forEach(function (b) {
		for (var i = 0; i < b.rows.length; i++) rows.push(b.rows[i]);
	});
	rows.forEach(function (r, i) { if (granted(r)) { n++; if (lead === i) lead++; } });
	out.push('account ' + hs[last].textContent + ' ' + lead + ' ' + n + ' ' + rows.length);
	document.getElementById('out').textContent = out.join('\n');
});
</script></body></html>
END
chrome --allow-file-access-from-files --dump-dom "file://$T/t.html" >"$T/t.dom"
expect_rc "chromium --dump-dom" $? 0
sed -n '/<pre id="out">/,/<\/pre>/p' "$T/t.dom" | sed 's/<[^>]*>//g' >"$T/out"
line() { grep "^$1 " "$T/out" | sed -n "${2:-1}p"; }
expect_eq "the matrix is four blocks" "$(line blocks 1)" "blocks 500 500 500 500"
expect_eq "two clicks sort descending" "$(line sort)" "sort descending"
expect_eq "the last person first, across the blocks" "$(line first)" \
    "first user01999@example.com last user00000@example.com"
expect_eq "sorting keeps every row" "$(line same)" "same true"
expect_eq "every row in order, across the blocks" "$(line reversed)" "reversed true"
expect_eq "each block keeps its number of rows" "$(line blocks 2)" "blocks 500 500 500 500"
expect_eq "the filter leaves the one matching row" "$(line filtered)" "filtered user01998@example.com"
expect_eq "an empty filter shows every row" "$(line unfiltered)" "unfiltered 2000"
# keys i % 3 == 2 of 2,000 have u00002, the last column: sorted descending,
# their rows first, each row kept though most end before that column
expect_eq "sorting by the last account, its grants first" "$(line account)" \
    "account u00002 666 666 2000"
t_done
