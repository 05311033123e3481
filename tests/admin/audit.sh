#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# keyauthctl audit: whole text and JSON summaries of a log that mixes
# auth.log, RFC 3339 and bare (journalctl -o cat) records, forged and
# malformed lines; stdin; the revoked-key alert exit code; errors.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/admin/common.sh"
cd "$ADATA" || exit 99

run "audit text" 1 "$KEYAUTHCTL" audit --policy-file base.yaml auth.log
golden audit.txt "$T/out"
has "malformed count on stderr" "$T/err" "4 malformed lines skipped"
run "audit json" 1 "$KEYAUTHCTL" audit --policy-file base.yaml --format json auth.log
golden audit.json "$T/out"
json_ok "audit json" "$T/out"

# standard input gives the same answer
"$KEYAUTHCTL" audit --policy-file base.yaml <auth.log >"$T/stdin.out" 2>/dev/null
cmp -s "$T/stdin.out" "$GOLD/audit.txt" && pass "stdin = file" || fail "stdin = file"
"$KEYAUTHCTL" audit --policy-file base.yaml - <auth.log >"$T/dash.out" 2>/dev/null
cmp -s "$T/dash.out" "$GOLD/audit.txt" && pass "- = stdin" || fail "- = stdin"

# forged lines (another program's message holding event=) never count
has "forged records are not trusted" "$T/out" '"malformed": 4'
hasnt "forged CRON record not counted as a login" "$GOLD/audit.txt" "key_id=x"
# a hostile account value is shown escaped, never raw
has "escape sequence shown as text" "$GOLD/audit.txt" 'evil\x1b[31m'
if grep -q "$(printf '\033')" "$GOLD/audit.txt"; then fail "raw ESC in output"; else pass "no raw ESC in output"; fi

# no revoked key tried: exit 0, no alert
grep -v mallory auth.log >"$T/clean.log"
run "no alert" 0 "$KEYAUTHCTL" audit "$T/clean.log"
has "revoked section empty" "$T/out" "revoked keys tried (0 attempts):"
hasnt "no ALERT word" "$T/out" "ALERT"
has "never used needs a policy" "$T/out" "give --policy-file"

# lookups only (no PAM records): said so, counted from lookups
grep 'keyauth-authorized-keys\[' auth.log >"$T/lookups.log"
run "lookups only" 1 "$KEYAUTHCTL" audit "$T/lookups.log"
has "lookup basis noted" "$T/out" "note: no pam_keyauth account records"
has "lookups per key" "$T/out" "lookups per key:"

# several files add up, in order
run "two files" 1 "$KEYAUTHCTL" audit auth.log auth.log
has "records doubled" "$T/out" "records: 26 (8 malformed lines skipped"

# limits: an overlong line is malformed, never parsed in part
{ printf 'event=lookup decision=allow reason=allowed account=root key_id=- owner=- fp=- client=- host=h policy_serial=1 policy_sha256=-'; head -c 70000 /dev/zero | tr '\0' 'a'; echo; } >"$T/long.log"
run "overlong line" 0 "$KEYAUTHCTL" audit "$T/long.log" --format json
has "overlong line malformed" "$T/out" '"malformed": 1'
has "overlong line not a record" "$T/out" '"records": 0'
printf 'event=lookup decision=allow reason=allowed account=root key_id=- owner=- fp=- client=- host=h policy_serial=1 policy_sha256=-\000x\n' >"$T/nul.log"
run "NUL byte" 0 "$KEYAUTHCTL" audit "$T/nul.log" --format json
has "line with NUL malformed" "$T/out" '"malformed": 1'
: >"$T/empty.log"
run "empty input" 0 "$KEYAUTHCTL" audit "$T/empty.log"
has "empty: zero records" "$T/out" "records: 0 (0 malformed lines skipped, 0 other lines ignored)"

# journalctl -o short-iso zone (+0000) is understood
printf '2026-11-22T05:06:07+0000 web-01 keyauth-authorized-keys[9]: event=lookup decision=allow reason=allowed account=alice key_id=alice-laptop owner=alice@example.com fp=SHA256:ARyyF4Jbl+EyvsyIwXhYNxacPK+uM0trn6j0KD4jmmo client=- host=web-01 policy_serial=10 policy_sha256=9a8fbcb1933cfd07\n' >"$T/iso.log"
run "short-iso" 0 "$KEYAUTHCTL" audit "$T/iso.log"
has "short-iso timestamp" "$T/out" "2026-11-22T05:06:07Z"

# errors
run "missing file" 3 "$KEYAUTHCTL" audit "$T/nope.log"
has "missing file named" "$T/err" "nope.log"
run "bad policy" 3 "$KEYAUTHCTL" audit --policy-file "$T/nope.yaml" auth.log
run "csv refused" 2 "$KEYAUTHCTL" audit --format csv auth.log
t_done
