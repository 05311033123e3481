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
run "no alert" 0 "$KEYAUTHCTL" --index "$T/none/policy.cdb" audit "$T/clean.log"
has "revoked section empty" "$T/out" "revoked keys tried (0 attempts):"
hasnt "no ALERT word" "$T/out" "ALERT"
has "never used needs a policy or an index" "$T/out" "give --policy-file"

# Never used from the installed index by default: the same list as from
# the YAML it was compiled from (its grants and its other hosts' entries).
if [ "$(id -u)" = 0 ]; then
	cp base.yaml "$T/p.yaml" && chmod 0644 "$T/p.yaml"
	IX="$KEYAUTHCTL --helper-user root --index $T/v/policy.cdb --krl $T/v/revoked.krl --state $T/v/state"
	run "install for web-01" 0 $IX --host web-01 install "$T/p.yaml"
	run "audit, the index" 1 $IX audit auth.log
	sed -n '/^keys never used/,/^$/p' "$T/out" >"$T/ix.never"
	run "audit, the yaml" 1 "$KEYAUTHCTL" audit --policy-file base.yaml auth.log
	sed -n '/^keys never used/,/^$/p' "$T/out" >"$T/y.never"
	expect_eq "never used: index = yaml" "$(cat "$T/ix.never")" "$(cat "$T/y.never")"
	has "never used from the index: dave" "$T/ix.never" "dave-new"
	run "audit json, the index" 1 $IX audit --format json auth.log
	has "json never used from the index" "$T/out" '{"fingerprint": "SHA256:xjmwHX8rLk8IKKLD+HUwMIeU/t9bPOZXtDUPQCNHQBM", "owner": "dave@example.com", "key_ids": ["dave-new"]}'
	# the HTML page's list too: the same table as with --policy-file
	run "audit html, the index" 1 $IX audit --format html auth.log
	sed -n '/<table class="sort" id="never-used-table">/,/<\/table>/p' "$T/out" >"$T/ix.html"
	has "html never used from the index: the index's serial" "$T/out" "The keys of the installed index (policy serial 10)."
	hasnt "html never used from the index: no --policy-file asked" "$T/out" "Give the policy (--policy-file)"
	has "html never used from the index: dave" "$T/ix.html" "dave-new"
	run "audit html, the yaml" 1 "$KEYAUTHCTL" audit --policy-file base.yaml --format html auth.log
	sed -n '/<table class="sort" id="never-used-table">/,/<\/table>/p' "$T/out" >"$T/y.html"
	expect_eq "html never used: index = yaml" "$(cat "$T/ix.html")" "$(cat "$T/y.html")"
else
	t_skip "never used from the installed index: needs root to install"
fi

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

# An invalid byte in a record (\xff, escaped in the log) is shown in JSON as
# U+FFFD, never as the valid character U+00FF that a reader would take
# for what was logged (docs/keyauthctl-report.md).
printf 'Nov 22 02:30:00 db-01 sshd[1]: pam_keyauth(sshd:account): event=account decision=deny reason=unknown_key account="\\xffroot" key_id=- owner=- fp=SHA256:ARyyF4Jbl+EyvsyIwXhYNxacPK+uM0trn6j0KD4jmmo client=192.0.2.66 host=db-01 policy_serial=10 policy_sha256=9a8fbcb1933cfd07\n' >"$T/ff.log"
run "invalid byte" 0 "$KEYAUTHCTL" audit "$T/ff.log" --format json
json_ok "invalid byte: json" "$T/out"
hasnt "invalid byte: not U+00FF" "$T/out" '\u00ff'
has "invalid byte: U+FFFD" "$T/out" '"accounts": ["\ufffdroot"]'
if command -v python3 >/dev/null 2>&1; then
	got=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(ascii(d["keys"][0]["accounts"]))' "$T/out" 2>&1)
	expect_eq "invalid byte: python3 json reads U+FFFD" "$got" "['\\ufffdroot']"
fi
run "invalid byte: text" 0 "$KEYAUTHCTL" audit "$T/ff.log"
has "invalid byte: text shows the byte" "$T/out" '\xffroot'

# Forged records (docs/security.md): any local user can write a PAM record
# under any tag (logger -t evil). Under a tag other than the service's it
# is not counted, and says so; syslog text can never be trusted whole, and
# the summary says that too.
F=event=account
printf '%s\n' \
    "Nov 23 01:00:00 db-01 evil[7]: pam_keyauth(sshd:account): $F decision=allow reason=allowed account=root key_id=alice-root owner=alice@example.com fp=SHA256:ARyyF4Jbl+EyvsyIwXhYNxacPK+uM0trn6j0KD4jmmo client=6.6.6.6 host=db-01 policy_serial=10 policy_sha256=9a8fbcb1933cfd07" \
    "Nov 23 01:00:01 db-01 sshd: pam_keyauth(sshd:account): $F decision=allow reason=allowed account=root key_id=alice-root owner=alice@example.com fp=SHA256:ARyyF4Jbl+EyvsyIwXhYNxacPK+uM0trn6j0KD4jmmo client=6.6.6.7 host=db-01 policy_serial=10 policy_sha256=9a8fbcb1933cfd07" \
    >"$T/forged.log"
run "forged tags" 0 "$KEYAUTHCTL" audit "$T/forged.log"
hasnt "forged tag: client not counted" "$T/out" "6.6.6.6"
hasnt "tag without pid: client not counted" "$T/out" "6.6.6.7"
has "forged tags: counted as such" "$T/out" "2 records under another program's tag ignored"
has "syslog: says it cannot tell forgeries" "$T/out" "cannot tell forged lines from real ones"
run "forged tags, json" 0 "$KEYAUTHCTL" audit --format json "$T/forged.log"
has "json: untrusted count" "$T/out" '"untrusted": 2'
has "json: input" "$T/out" '"input": "syslog"'

# The journal (journalctl -o json): an entry counts only when journald's
# own _UID and _EXE say the helper (root or its user) or sshd (root)
# wrote it; what a program says about itself (SYSLOG_IDENTIFIER,
# KEYAUTH_*) never decides. tests/admin/journald.sh does it with a real
# journald.
REC="event=lookup decision=allow reason=allowed account=alice key_id=alice-laptop owner=alice@example.com fp=SHA256:ARyyF4Jbl+EyvsyIwXhYNxacPK+uM0trn6j0KD4jmmo"
TAIL="host=db-01 policy_serial=10 policy_sha256=9a8fbcb1933cfd07"
PREC="event=account decision=allow reason=allowed account=root key_id=alice-root owner=alice@example.com fp=SHA256:ARyyF4Jbl+EyvsyIwXhYNxacPK+uM0trn6j0KD4jmmo"
NUID=$(id -u nobody)
j() { # UID EXE IDENT MESSAGE: one entry as journalctl -o json writes it
	printf '{"__REALTIME_TIMESTAMP":"1795000000000000","_UID":"%s","_EXE":"%s","SYSLOG_IDENTIFIER":"%s","SYSLOG_FACILITY":"10","KEYAUTH_EVENT":"lookup","MESSAGE":"%s"}\n' "$@"
}
{
	j 0 "$KA_HELPER_PATH" keyauth-authorized-keys "$REC client=192.0.2.1 $TAIL"
	j "$NUID" "$KA_HELPER_PATH" keyauth-authorized-keys "$REC client=192.0.2.2 $TAIL"
	j 0 "$KA_SSHD_PATH" sshd "pam_keyauth(sshd:account): $PREC client=192.0.2.3 $TAIL"
	# forged: an ordinary user, even through the helper's path; root's
	# logger; the helper's user writing a PAM record; logger under sshd
	j 1000 "$KA_HELPER_PATH" keyauth-authorized-keys "$REC client=6.6.6.1 $TAIL"
	j 0 /usr/bin/logger keyauth-authorized-keys "$REC client=6.6.6.2 $TAIL"
	j "$NUID" "$KA_HELPER_PATH" sshd "pam_keyauth(sshd:account): $PREC client=6.6.6.3 $TAIL"
	j 1000 /usr/bin/logger sshd "pam_keyauth(sshd:account): $PREC client=6.6.6.4 $TAIL"
	# the helper's user, no _EXE (the helper had exited when journald
	# looked): the uid decides
	printf '{"_UID":"%s","MESSAGE":"%s"}\n' "$NUID" "$REC client=192.0.2.5 $TAIL"
	# no _UID at all
	printf '{"_EXE":"%s","MESSAGE":"%s"}\n' "$KA_HELPER_PATH" "$REC client=6.6.6.5 $TAIL"
	# MESSAGE as bytes (journald writes non-UTF-8 so): "event=lookup ..."
	printf '{"_UID":"0","_EXE":"%s","MESSAGE":[%s]}\n' "$KA_HELPER_PATH" \
	    "$(printf '%s' "$REC client=192.0.2.4 $TAIL" | od -An -tu1 -v | tr -s ' \n' ',,' | sed 's/^,//; s/,$//')"
	printf '{"_UID":"0","MESSAGE":"Started cron."}\n'
	printf 'not json\n'
	printf '{"_UID":"0","_UID":"1","MESSAGE":"%s"}\n' "$REC client=6.6.6.6 $TAIL"
} >"$T/journal.json"
run "journal" 0 "$KEYAUTHCTL" --helper-user nobody audit --journal --format json "$T/journal.json"
json_ok "journal json" "$T/out"
has "journal: trusted records" "$T/out" '"records": 5'
has "journal: untrusted counted" "$T/out" '"untrusted": 5'
has "journal: malformed (bad JSON, duplicate field)" "$T/out" '"malformed": 2'
has "journal: other" "$T/out" '"other": 1'
has "journal: input" "$T/out" '"input": "journal"'
hasnt "journal: no forged client" "$T/out" '6.6.6.'
has "journal: time from __REALTIME_TIMESTAMP" "$T/out" '"last_login": "2026-11-18T11:06:40Z"'
run "journal text" 0 "$KEYAUTHCTL" --helper-user nobody audit --journal "$T/journal.json"
has "journal text: untrusted line" "$T/out" "journal: 5 records not from keyauth's programs ignored"
hasnt "journal text: no syslog note" "$T/out" "cannot tell forged lines"
has "journal: stderr says so" "$T/err" "5 records not from keyauth's programs ignored"
# without the helper's user, its records are not trusted (root's are)
run "journal, no helper user" 0 "$KEYAUTHCTL" --helper-user keyauth-no-such-user audit --journal --format json "$T/journal.json"
has "journal, no helper user: two less" "$T/out" '"records": 3'
run "journal from stdin" 0 "$KEYAUTHCTL" --helper-user nobody audit --journal --format json - <"$T/journal.json"
has "journal from stdin" "$T/out" '"records": 5'

# errors
run "missing file" 3 "$KEYAUTHCTL" audit "$T/nope.log"
has "missing file named" "$T/err" "nope.log"
run "bad policy" 3 "$KEYAUTHCTL" audit --policy-file "$T/nope.yaml" auth.log
run "csv refused" 2 "$KEYAUTHCTL" audit --format csv auth.log
t_done
