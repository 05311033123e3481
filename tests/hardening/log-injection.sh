#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Log injection through every logged field. Hostile account names (spaces,
# '=', quotes, backslashes, line breaks, high bytes, a literal "-"), a
# hostile client string, and a policy owner full of quotes, '=' and UTF-8
# go through the real helper and the real PAM module (debug on); their
# syslog datagrams are captured raw (a private /dev/log bound to
# tests/helper/syslog-listen in a private mount namespace). Every datagram
# must be one line starting with its <PRI>, and every audit record must
# parse with kp_audit_parse (tests/helper/audit-fields) into exactly the
# intended fields: the value that went in, no extra field, no forged one.
. "$top_srcdir/tests/lib.sh"
t_tmpdir
. "$top_srcdir/tests/hardening/lib.sh"
unshare --mount --propagation private true 2>/dev/null ||
	t_skip "cannot create a mount namespace"
LISTEN="$top_builddir/tests/helper/syslog-listen"
DRIVER="$top_builddir/tests/pam/pam-driver"
MOD="$top_builddir/pam_keyauth/.libs/pam_keyauth.so"
SOCK="$T/log.sock"
mkkey A
mkkey U
mkdir -m 0700 "$T/spool" && mkdir -m 0755 "$T/ix" "$T/pam.d"
OWNER='Eve "the admin" = x\y é decision=allow'
cat >"$T/p.yaml" <<YAML
version: 1
serial: 5
keys:
  - id: hostile-owner
    owner: '$OWNER'
    key: $(keyline A)
    accounts: [alice]
YAML
ctl_install "$T/ix" "$T/p.yaml" >"$T/install.out" 2>&1 ||
	{ t_diag "$(cat "$T/install.out")"; t_bail "keyauthctl install failed"; }
FP=$(cat "$T/A.fp") TYPE=$(cut -d' ' -f1 "$T/A.pub") B64=$(cut -d' ' -f2 "$T/A.pub")

# logged COUNT CMD...: run CMD with its syslog captured raw into $T/log
# (one datagram per line, as received); listen until COUNT datagrams or 2 s.
logged() {
	count=$1
	shift
	rm -f "$SOCK" "$T/log"
	"$LISTEN" "$SOCK" "$count" 2 >"$T/log" &
	lpid=$!
	i=0
	while [ ! -S "$SOCK" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	unshare --mount --propagation private sh -c '
		{ [ ! -d /run/systemd/journal ] ||
		    mount -t tmpfs -o size=16k keyauth-test-nojournal /run/systemd/journal; } &&
		mount -t tmpfs -o mode=0755,size=64k keyauth-test-dev /dev &&
		mknod -m 0666 /dev/null c 1 3 && : >/dev/log &&
		mount --bind "$0" /dev/log && exec "$@"' \
		"$SOCK" "$@" >"$T/out" 2>"$T/err" </dev/null
	wait $lpid
}

# Every line of $T/log is a datagram of its own: it starts with <PRI>.
one_line_each() {
	bad=$(grep -cv '^<[0-9]*>' "$T/log")
	expect_eq "$1: no forged log line" "$bad" 0
	[ "$bad" = 0 ] || sed 's/^/  /' "$T/log"
}

# record_fields NAME N: parse the Nth audit record (with event=) of $T/log
# into $T/fields ("name=value" lines, unescaped); the PAM prefix
# "pam_keyauth(svc:stage): " is moved into the tag for audit-fields.
# kp_audit_parse accepts the eleven fields of docs/audit-log.md in order (and
# an optional error=) and nothing else, so a forged field cannot parse.
record_fields() {
	grep -a 'event=' "$T/log" | sed -n "${2}p" |
	    sed 's/: pam_keyauth([^)]*): /: /' >"$T/rec"
	if "$AUDIT_FIELDS" <"$T/rec" >"$T/fields" 2>&1; then
		pass "$1: record parses"
	else
		fail "$1: record parses"; cat "$T/rec" "$T/fields" | sed 's/^/  /'
	fi
}
# exact NAME FIELD VALUE NEXTFIELD: the parsed FIELD is exactly VALUE (which
# may hold line breaks: the fields file holds it raw, up to NEXTFIELD=)
exact() {
	case "$(cat "$T/fields")" in
	*"$nl$2=$3$nl$4="*) pass "$1: $2 exact" ;;
	*) fail "$1: $2 exact"; sed 's/^/  /' "$T/fields" ;;
	esac
}
field() { sed -n "s/^$1=//p" "$T/fields"; }
nl='
'
n=0

# ---- the helper: hostile account names on the command line
for acct in 'a b' 'a=b' 'a"b' 'a\b' "x${nl}event=lookup decision=allow reason=allowed account=root" \
    "$(printf 'hi\377\376\001')" 'x decision=allow' '"-"'; do
	n=$((n + 1))
	name="helper hostile account #$n"
	logged 1 "$HELPER" -H web-01 -i "$T/ix/policy.cdb" -s "$T/spool" "$acct" "$FP" "$TYPE" "$B64"
	one_line_each "$name"
	record_fields "$name" 1
	exact "$name" account "$acct" key_id
	expect_eq "$name: denied" "$(field decision)" deny
done
logged 1 "$HELPER" -H web-01 -i "$T/ix/policy.cdb" -s "$T/spool" - "$FP" "$TYPE" "$B64"
record_fields "helper account -" 1
expect_eq "helper account -: a literal - is quoted" "$(field account)" '"-"'

# ---- the helper: the owner from the policy and a hostile connection spec
logged 1 "$HELPER" -H web-01 -i "$T/ix/policy.cdb" -s "$T/spool" alice "$FP" "$TYPE" "$B64" \
	127.0.0.1 22 "$(printf '192.0.2.5\nevent=lookup')" 50000
one_line_each "helper hostile owner"
record_fields "helper hostile owner" 1
expect_eq "helper hostile owner: allowed" "$(field decision)" allow
exact "helper hostile owner" owner "$OWNER" fp
expect_eq "helper hostile client: not logged raw" "$(field client)" -
expect_eq "helper: host" "$(field host)" web-01
expect_eq "helper: lines printed" "$(wc -l <"$T/out")" 1

# ---- the PAM module (debug on: its debug lines are captured too)
printf 'account required %s index=%s spool=%s host=web-01 debug\nsession required %s index=%s spool=%s host=web-01 debug\n' \
	"$MOD" "$T/ix/policy.cdb" "$T/spool" "$MOD" "$T/ix/policy.cdb" "$T/spool" >"$T/pam.d/keyauth"
INFO="SSH_AUTH_INFO_0=publickey $TYPE $B64"
for acct in 'a b=c' 'a"b\c' "x${nl}event=account decision=allow reason=allowed" \
    "$(printf 'r\303\251\377')"; do
	n=$((n + 1))
	name="PAM hostile user #$n"
	logged 100 "$DRIVER" -e "SSH_CONNECTION=192.0.2.10 5 192.0.2.1 22" -e "$INFO" \
		"$T/pam.d" keyauth "$acct" acct
	one_line_each "$name"
	record_fields "$name" 1
	exact "$name" account "$acct" key_id
	expect_eq "$name: denied" "$(field decision)" deny
done
logged 100 "$DRIVER" -e "SSH_CONNECTION=$(printf '192.0.2.10\nevent=account') 5 1.2.3.4 22" \
	-e "$INFO" "$T/pam.d" keyauth alice acct
one_line_each "PAM hostile SSH_CONNECTION"
record_fields "PAM hostile SSH_CONNECTION" 1
expect_eq "PAM hostile SSH_CONNECTION: client not logged raw" "$(field client)" -
exact "PAM hostile owner" owner "$OWNER" fp
t_done
