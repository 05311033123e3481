#!/bin/sh
# The helper's real syslog records: it runs in a private mount namespace
# whose /dev is a small tmpfs with /dev/log bind-mounted to a datagram
# socket that tests/helper/syslog-listen bound in the test directory. The
# host's /dev and /dev/log are never touched.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/helper/common.sh"
unshare --mount --propagation private true 2>/dev/null ||
	{ echo "skip: cannot create a mount namespace"; exit 77; }
setup
FP=$(fp_of PLAIN) TYPE=$(type_of PLAIN) B64=$(b64_of PLAIN)
SHA16=$(sha256sum "$T/lookup.yaml" | cut -c1-16)
SOCK="$T/log.sock"

# logged NAME HELPER-ARGS...: run the helper with syslog captured; the
# datagram lands in $T/log, its parsed fields in $T/fields.
logged() {
	name=$1
	shift
	rm -f "$SOCK" "$T/log" "$T/fields"
	"$HTOOLS/syslog-listen" "$SOCK" 1 10 >"$T/log" &
	lpid=$!
	i=0
	while [ ! -S "$SOCK" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	rc=0
	unshare --mount --propagation private sh -c '
		mount -t tmpfs -o mode=0755,size=64k keyauth-test-dev /dev &&
		mknod -m 0666 /dev/null c 1 3 && : >/dev/log &&
		mount --bind "$0" /dev/log && exec "$@"' \
		"$SOCK" "$HELPER" "$@" >"$T/out" 2>"$T/err" </dev/null || rc=$?
	lrc=0
	wait $lpid || lrc=$?
	expect_eq "$name: one datagram" "$lrc:$(wc -l <"$T/log")" "0:1"
	"$HTOOLS/audit-fields" <"$T/log" >"$T/fields" 2>&1 ||
		{ fail "$name: record parses"; cat "$T/log" "$T/fields"; }
}
field() { sed -n "s/^$1=//p" "$T/fields"; }
# expect_fields NAME name=value...: each listed field has exactly that value
expect_fields() {
	name=$1
	shift
	for kv in "$@"; do
		expect_eq "$name: ${kv%%=*}" "$(field "${kv%%=*}")" "${kv#*=}"
	done
}

logged "granted" -i "$IX" -s "$T/spool" alice "$FP" "$TYPE" "$B64"
expect_rc "granted" "$rc" 0
expect_fields "granted" pri=85 event=lookup decision=allow reason=allowed \
	account=alice key_id=plain owner=alice@example.com fp="$FP" client=- \
	host=web-01 policy_serial=10 policy_sha256="$SHA16"
case $(field tag) in "keyauth-authorized-keys["*"]") pass "granted: tag" ;;
*) fail "granted: tag is $(field tag)" ;; esac
expect_eq "granted: no error field" "$(grep -c '^error=' "$T/fields")" 0
expect_eq "granted: stderr" "$(cat "$T/err")" ""

logged "account only" -i "$IX" -s "$T/spool" alice
expect_fields "account only" pri=85 decision=allow reason=allowed account=alice \
	key_id=- fp=-

logged "connection spec" -i "$IX" -s "$T/spool" alice "$FP" "$TYPE" "$B64" \
	127.0.0.1 22 192.0.2.5 50000
expect_fields "connection spec" decision=allow client=192.0.2.5

logged "unknown key" -i "$IX" -s "$T/spool" alice "$(fp_of UNKNOWN)" \
	"$(type_of UNKNOWN)" "$(b64_of UNKNOWN)"
expect_rc "unknown key" "$rc" 0
expect_fields "unknown key" pri=85 decision=deny reason=unknown_key \
	fp="$(fp_of UNKNOWN)" key_id=-

logged "revoked key" -i "$IX" -s "$T/spool" alice "$(fp_of RFP)" \
	"$(type_of RFP)" "$(b64_of RFP)"
expect_fields "revoked key" pri=85 decision=deny reason=revoked

logged "revoked owner" -i "$IX" -s "$T/spool" alice "$(fp_of ROWN)" \
	"$(type_of ROWN)" "$(b64_of ROWN)"
expect_fields "revoked owner" decision=deny reason=revoked

logged "expired key" -i "$IX" -s "$T/spool" alice "$(fp_of OLD)" \
	"$(type_of OLD)" "$(b64_of OLD)"
expect_fields "expired key" decision=deny reason=expired key_id=expired

logged "missing index" -i "$T/nonexistent.cdb" -s "$T/spool" alice "$FP" "$TYPE" "$B64"
expect_silent_failure "missing index"
expect_fields "missing index" pri=83 decision=deny reason=policy_unavailable \
	account=alice policy_serial=- policy_sha256=-
if [ -n "$(field error)" ]; then pass "missing index: error says why ($(field error))"
else fail "missing index: no error field"; fi

# A hostile account name is refused but audited, and cannot forge fields.
logged "account 'a b=c'" -i "$IX" -s "$T/spool" "a b=c" "$FP" "$TYPE" "$B64"
expect_silent_failure "account 'a b=c'"
expect_fields "account 'a b=c'" pri=83 event=lookup decision=deny \
	reason=account_not_allowed "account=a b=c" key_id=- owner=- fp="$FP"
expect_contains "account 'a b=c': quoted in the record" "$(cat "$T/log")" ' account="a b=c" key_id=- '
expect_eq "account 'a b=c': no field named b" "$(grep -c '^b=' "$T/fields")" 0

logged "forged fields in the account" -i "$IX" -s "$T/spool" \
	'x decision=allow reason=allowed account=root' "$FP" "$TYPE" "$B64"
expect_fields "forged fields in the account" decision=deny \
	reason=account_not_allowed \
	"account=x decision=allow reason=allowed account=root"

logged "forged line in the account" -i "$IX" -s "$T/spool" \
	"$(printf 'x\nevent=lookup decision=allow reason=allowed')" "$FP" "$TYPE" "$B64"
expect_eq "forged line: still one line" "$(wc -l <"$T/log")" 1
expect_contains "forged line: newline escaped" "$(cat "$T/log")" \
	' account="x\x0aevent=lookup decision=allow reason=allowed" '
expect_fields "forged line" decision=deny

logged "quote and backslash" -i "$IX" -s "$T/spool" 'a"b\c' "$FP" "$TYPE" "$B64"
expect_contains "quote and backslash: escaped" "$(cat "$T/log")" ' account="a\"b\\c" '
expect_fields "quote and backslash" 'account=a"b\c'

long=$(head -c 10240 /dev/zero | tr '\0' a)
logged "10 kB account" -i "$IX" -s "$T/spool" "$long"
expect_fields "10 kB account" decision=deny reason=account_not_allowed
expect_eq "10 kB account: logged cut to 255 bytes" "$(field account | wc -c)" 256

logged "fingerprint mismatch" -i "$IX" -s "$T/spool" alice "$(fp_of BOB)" "$TYPE" "$B64"
expect_fields "fingerprint mismatch" pri=83 decision=deny reason=key_mismatch

logged "no arguments" -i "$IX" -s "$T/spool"
expect_fields "no arguments" pri=83 decision=deny reason=policy_unavailable account=-

t_done
