#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The helper's real syslog records: it runs in a private mount namespace
# whose /dev is a small tmpfs with /dev/log bind-mounted to a datagram
# socket that tests/helper/syslog-listen bound in the test directory. The
# host's /dev and /dev/log are never touched.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/helper/common.sh"
unshare --mount --propagation private true 2>/dev/null ||
	t_skip "cannot create a mount namespace"
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
		{ [ ! -d /run/systemd/journal ] ||
		    mount -t tmpfs -o size=16k keyauth-test-nojournal /run/systemd/journal; } &&
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

logged "granted" -H web-01 -i "$IX" -s "$T/spool" alice "$FP" "$TYPE" "$B64"
expect_rc "granted" "$rc" 0
expect_fields "granted" pri=85 event=lookup decision=allow reason=allowed \
	account=alice key_id=plain owner=alice@example.com fp="$FP" client=- \
	host=web-01 policy_serial=10 policy_sha256="$SHA16"
case $(field tag) in "keyauth-authorized-keys["*"]") pass "granted: tag" ;;
*) fail "granted: tag is $(field tag)" ;; esac
expect_eq "granted: no error field" "$(grep -c '^error=' "$T/fields")" 0
expect_eq "granted: stderr" "$(cat "$T/err")" ""

logged "account only" -H web-01 -i "$IX" -s "$T/spool" alice
expect_fields "account only" pri=85 decision=allow reason=allowed account=alice \
	key_id=- fp=-

logged "connection spec" -H web-01 -i "$IX" -s "$T/spool" alice "$FP" "$TYPE" "$B64" \
	127.0.0.1 22 192.0.2.5 50000
expect_fields "connection spec" decision=allow client=192.0.2.5

logged "unknown key" -H web-01 -i "$IX" -s "$T/spool" alice "$(fp_of UNKNOWN)" \
	"$(type_of UNKNOWN)" "$(b64_of UNKNOWN)"
expect_rc "unknown key" "$rc" 0
expect_fields "unknown key" pri=85 decision=deny reason=unknown_key \
	fp="$(fp_of UNKNOWN)" key_id=-

# Keys sshd may offer that no policy can hold: no line, exit 0 (sshd
# would log a failure of the command on every such offer otherwise),
# unknown_key at notice, no error field.
"$SSH_KEYGEN" -q -t rsa -b 1024 -N '' -f "$T/key_RSA1024" </dev/null || exit 99
"$SSH_KEYGEN" -q -t dsa -N '' -f "$T/key_DSA" </dev/null || exit 99
"$SSH_KEYGEN" -q -s "$T/key_PLAIN" -I test -n alice "$T/key_BOB.pub" || exit 99
cp "$T/key_BOB-cert.pub" "$T/key_CERT.pub"
nrec=$(ls -A "$T/spool" | wc -l)
for k in RSA1024 DSA CERT; do
	logged "key no policy can hold ($k)" -H web-01 -i "$IX" -s "$T/spool" alice \
		"$(fp_of $k)" "$(type_of $k)" "$(b64_of $k)"
	expect_rc "key no policy can hold ($k)" "$rc" 0
	expect_eq "key no policy can hold ($k): no line" "$(cat "$T/out")" ""
	expect_fields "key no policy can hold ($k)" pri=85 decision=deny \
		reason=unknown_key account=alice key_id=- fp="$(fp_of $k)"
	expect_eq "key no policy can hold ($k): no error field" "$(grep -c '^error=' "$T/fields")" 0
done
expect_eq "keys no policy can hold: no handoff record" "$(ls -A "$T/spool" | wc -l)" "$nrec"

logged "revoked key" -H web-01 -i "$IX" -s "$T/spool" alice "$(fp_of RFP)" \
	"$(type_of RFP)" "$(b64_of RFP)"
expect_fields "revoked key" pri=85 decision=deny reason=revoked

logged "revoked owner" -H web-01 -i "$IX" -s "$T/spool" alice "$(fp_of ROWN)" \
	"$(type_of ROWN)" "$(b64_of ROWN)"
expect_fields "revoked owner" decision=deny reason=revoked

logged "expired key" -H web-01 -i "$IX" -s "$T/spool" alice "$(fp_of OLD)" \
	"$(type_of OLD)" "$(b64_of OLD)"
expect_fields "expired key" decision=deny reason=expired key_id=expired

logged "missing index" -H web-01 -i "$T/nonexistent.cdb" -s "$T/spool" alice "$FP" "$TYPE" "$B64"
expect_silent_failure "missing index"
expect_fields "missing index" pri=83 decision=deny reason=policy_unavailable \
	account=alice policy_serial=- policy_sha256=-
if [ -n "$(field error)" ]; then pass "missing index: error says why ($(field error))"
else fail "missing index: no error field"; fi

# A hostile account name is refused but audited, and cannot forge fields.
logged "account 'a b=c'" -H web-01 -i "$IX" -s "$T/spool" "a b=c" "$FP" "$TYPE" "$B64"
expect_silent_failure "account 'a b=c'"
expect_fields "account 'a b=c'" pri=83 event=lookup decision=deny \
	reason=account_not_allowed "account=a b=c" key_id=- owner=- fp="$FP"
expect_contains "account 'a b=c': quoted in the record" "$(cat "$T/log")" ' account="a b=c" key_id=- '
expect_eq "account 'a b=c': no field named b" "$(grep -c '^b=' "$T/fields")" 0

logged "forged fields in the account" -H web-01 -i "$IX" -s "$T/spool" \
	'x decision=allow reason=allowed account=root' "$FP" "$TYPE" "$B64"
expect_fields "forged fields in the account" decision=deny \
	reason=account_not_allowed \
	"account=x decision=allow reason=allowed account=root"

logged "forged line in the account" -H web-01 -i "$IX" -s "$T/spool" \
	"$(printf 'x\nevent=lookup decision=allow reason=allowed')" "$FP" "$TYPE" "$B64"
expect_eq "forged line: still one line" "$(wc -l <"$T/log")" 1
expect_contains "forged line: newline escaped" "$(cat "$T/log")" \
	' account="x\x0aevent=lookup decision=allow reason=allowed" '
expect_fields "forged line" decision=deny

logged "quote and backslash" -H web-01 -i "$IX" -s "$T/spool" 'a"b\c' "$FP" "$TYPE" "$B64"
expect_contains "quote and backslash: escaped" "$(cat "$T/log")" ' account="a\"b\\c" '
expect_fields "quote and backslash" 'account=a"b\c'

long=$(head -c 10240 /dev/zero | tr '\0' a)
logged "10 kB account" -H web-01 -i "$IX" -s "$T/spool" "$long"
expect_fields "10 kB account" decision=deny reason=account_not_allowed
expect_eq "10 kB account: logged cut to 255 bytes" "$(field account | wc -c)" 256

logged "fingerprint mismatch" -H web-01 -i "$IX" -s "$T/spool" alice "$(fp_of BOB)" "$TYPE" "$B64"
expect_fields "fingerprint mismatch" pri=83 decision=deny reason=key_mismatch

logged "no arguments" -H web-01 -i "$IX" -s "$T/spool"
expect_fields "no arguments" pri=83 decision=deny reason=policy_unavailable account=-

# An index serves only the host it was compiled for: a copied index, a
# cloned image or a --host typo must not grant another server's keys.
install_index "$T/lookup.yaml" "$T/ix-db" db-01
HFP=$(fp_of HOST) HTYPE=$(type_of HOST) HB64=$(b64_of HOST)
logged "own host" -H db-01 -i "$T/ix-db/policy.cdb" -s "$T/spool" alice \
	"$HFP" "$HTYPE" "$HB64"
expect_rc "own host" "$rc" 0
expect_fields "own host" decision=allow reason=allowed key_id=other-host \
	host=db-01
rm -f "$T/spool"/*
logged "another host's index" -H vm-7 -i "$T/ix-db/policy.cdb" -s "$T/spool" \
	alice "$HFP" "$HTYPE" "$HB64"
expect_silent_failure "another host's index"
expect_fields "another host's index" pri=83 event=lookup decision=deny \
	reason=policy_unavailable account=alice key_id=- fp="$HFP" host=vm-7 \
	policy_serial=10 policy_sha256="$SHA16" \
	"error=index was compiled for host db-01, this host is vm-7: run keyauthctl install on this host"
expect_eq "another host's index: no handoff record" "$(ls -A "$T/spool")" ""
logged "another host's index, account only" -H web-01 \
	-i "$T/ix-db/policy.cdb" -s "$T/spool" alice
expect_silent_failure "another host's index, account only"
expect_fields "another host's index, account only" decision=deny \
	reason=policy_unavailable host=web-01
case $(field error) in *"compiled for host db-01, this host is web-01"*)
	pass "another host's index, account only: error" ;;
*) fail "another host's index, account only: error is $(field error)" ;; esac
# host names compare case-insensitively
logged "host in capitals" -H DB-01 -i "$T/ix-db/policy.cdb" -s "$T/spool" \
	alice "$HFP" "$HTYPE" "$HB64"
expect_rc "host in capitals" "$rc" 0
expect_fields "host in capitals" decision=allow reason=allowed host=DB-01
rm -f "$T/spool"/*
logged "bad -H" -H 'db-01/x' -i "$T/ix-db/policy.cdb" -s "$T/spool" alice
expect_silent_failure "bad -H"
expect_fields "bad -H" decision=deny reason=policy_unavailable \
	"error=-H: not a valid host name"
logged "empty -H" -H '' -i "$T/ix-db/policy.cdb" -s "$T/spool" alice
expect_silent_failure "empty -H"
expect_fields "empty -H" decision=deny "error=-H: not a valid host name"

# Without -H the helper is this machine, gethostname().
me=$(hostname)
if [ "$me" != web-01 ] && [ "$me" != db-01 ]; then
	logged "default host" -i "$IX" -s "$T/spool" alice "$FP" "$TYPE" "$B64"
	expect_silent_failure "default host"
	expect_fields "default host" reason=policy_unavailable host="$me"
	case $(field error) in *"compiled for host web-01, this host is $me:"*)
		pass "default host: error" ;;
	*) fail "default host: error is $(field error)" ;; esac
	install_index "$T/lookup.yaml" "$T/ix-me" "$me"
	logged "default host, own index" -i "$T/ix-me/policy.cdb" -s "$T/spool" \
		alice "$FP" "$TYPE" "$B64"
	expect_rc "default host, own index" "$rc" 0
	expect_fields "default host, own index" decision=allow host="$me"
fi

# Without a terminal (sshd's case) --help and -V are unknown options, as
# they always were: the same usage record as -x.
logged "unknown option" -H web-01 -x alice
cp "$T/fields" "$T/fields.x"
for a in --help -V; do
	logged "$a under sshd" -H web-01 "$a" alice
	expect_silent_failure "$a under sshd"
	if diff "$T/fields.x" "$T/fields" | grep -v '^[<>] \(tag\|pid\)=' | grep -q '^[<>]'; then
		fail "$a under sshd: the record of an unknown option"
		t_diag "$(diff "$T/fields.x" "$T/fields")"
	else
		pass "$a under sshd: the record of an unknown option"
	fi
done
expect_contains "unknown option: the usage in error=" "$(field error)" "usage: keyauth-authorized-keys"

t_done
