#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# keyauthctl audit --format html in headless chromium: the counts, the
# denials by reason, the revoked keys tried, the keys never used and the
# serial per host agree with audit --format json of the same input; a log
# with dated stamps over three days gives three days in the table and
# bars in the SVG chart; a logged control character is shown, marked;
# the page passes check_safe (tests/html/common.sh).
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/html/common.sh"
ADATA="$top_srcdir/tests/admin/data"
cd "$ADATA" || exit 99

"$KEYAUTHCTL" audit --policy-file base.yaml auth.log --format html -o "$T/a.html" 2>"$T/err"
expect_rc "audit --format html -o (the revoked-key alert)" $? 1
"$KEYAUTHCTL" audit --policy-file base.yaml auth.log --format json >"$T/a.json" 2>/dev/null
chrome --dump-dom "file://$T/a.html" >"$T/a.dom"
expect_rc "chromium --dump-dom" $? 0
check_safe a
# json_num KEY: the first "KEY": N of the JSON summary
json_num() { sed -n "s/^  \"$1\": \([0-9]*\),*$/\1/p" "$T/a.json" | head -1; }
printf 'text\tn-records\ntext\tn-revoked-tries\nrows\trevoked-table\nrows\tnever-used-table\nrows\tdenials-table\nrows\thosts-table\ntext\tn-denials\ncell\thosts-table\tdb-01\tserial\ncell\trevoked-table\tSHA256:42KwZaKr4Si5BKP/Y2aakippqMmMmzVe0LHwZ0dEV+w\towner\ntext\tn-keys\n' |
    dom "$T/a.dom" - >"$T/answers"
got() { sed -n "${1}p" "$T/answers"; }
expect_eq "records as in JSON" "$(got 1)" "$(json_num records)"
expect_eq "revoked tries" "$(got 2)" "$(grep -o '"revoked_tries": [0-9]*' "$T/a.json" | awk '{ n += $2 } END { print n }')"
expect_eq "revoked keys tried, one row each" "$(got 3)" \
    "$(sed -n '/"revoked_tries": \[/,/\]/p' "$T/a.json" | grep -c '"fingerprint"')"
expect_eq "keys never used" "$(got 4)" \
    "$(sed -n '/"never_used": \[/,/\]/p' "$T/a.json" | grep -c '"fingerprint"')"
expect_eq "denial reasons" "$(got 5)" \
    "$(sed -n '/"denials": \[/,/\]/p' "$T/a.json" | grep -c '"reason"')"
expect_eq "hosts" "$(got 6)" "$(grep -o 'host=[a-z0-9-]*' auth.log | sort -u | wc -l)"
expect_eq "denials" "$(got 7)" "$(grep -o '"deny": [0-9]*' "$T/a.json" | awk '{ n += $2 } END { print n }')"
expect_eq "db-01 enforces serial 10" "$(got 8)" "|10"
has "db-01 on the newest serial: green" "$T/a.dom" '<tr class="ok"><td>db-01</td>'
expect_eq "the revoked key's owner" "$(got 9)" "|mallory@example.com"
has "the revoked key's row is purple" "$T/a.dom" '<tr class="rv"><td class="mono">SHA256:42KwZaKr4Si5BKP'
expect_eq "keys seen" "$(got 10)" "$(sed -n '/^  "keys": \[/,/^  \]/p' "$T/a.json" | grep -c '"fingerprint"')"
has "a logged ESC is shown, marked" "$T/a.dom" 'evil<span class="esc">U+001B</span>[31m'
has "BSD stamps are said to be outside the chart" "$T/a.dom" 'id="n-untimed"'

t_case "per day"
# The same records with dated (RFC 3339) stamps, over three days; one
# host behind on serial 9.
grep 'pam_keyauth(sshd:account): event=\|keyauth-authorized-keys\[[0-9]*\]: event=' auth.log |
    sed 's/.*: \(event=.*\)/\1/' >"$T/bodies"
n=$(wc -l <"$T/bodies")
awk -v n="$n" '{ d = NR <= n / 3 ? 20 : NR <= 2 * n / 3 ? 21 : 23
    printf "2026-11-%02dT10:%02d:00Z h sshd[1]: pam_keyauth(sshd:account): %s\n", d, NR % 60, $0 }' "$T/bodies" |
    sed '$s/policy_serial=10/policy_serial=9/; $s/host=[a-z0-9-]*/host=late-01/' >"$T/dated.log"
"$KEYAUTHCTL" audit "$T/dated.log" --format html -o "$T/d.html" 2>"$T/err"
"$KEYAUTHCTL" audit "$T/dated.log" --format json >"$T/d.json" 2>/dev/null
chrome --dump-dom "file://$T/d.html" >"$T/d.dom"
expect_rc "chromium --dump-dom" $? 0
printf 'rows\tdays-table\ncell\tdays-table\t2026-11-22\tlogins\ntext\tn-behind\ncell\thosts-table\tlate-01\tserial\n' |
    dom "$T/d.dom" - >"$T/answers"
expect_eq "three days with records" "$(got 1)" 3
expect_eq "no day without records in the table" "$(got 2)" "ERROR: no row 2026-11-22"
expect_eq "one host behind the newest serial" "$(got 3)" 1
expect_eq "late-01 enforces serial 9" "$(got 4)" "|9"
has "late-01 is shown behind" "$T/d.dom" '<tr class="sn"><td>late-01</td>'
expect_eq "bars: one group per day with records" "$(grep -o '<g><title>2026-11-2[0-9]' "$T/d.dom" | wc -l)" 3
has "the chart is inline SVG" "$T/d.dom" '<svg id="per-day-chart"'

t_case "errors"
"$KEYAUTHCTL" audit --hosts --format html auth.log >/dev/null 2>"$T/err"
expect_rc "--hosts has no html" $? 2
t_done
