#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pam_keyauth at the account stage, through a real libpam stack
# (pam_start_confdir) driven by tests/pam/pam-driver: the key from the
# handoff record or SSH_AUTH_INFO_0, every decision reason, the handoff
# record's checks, module arguments, a missing or corrupt index, and the
# audit record each decision leaves in syslog.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/pam/pamlib.sh"
pam_setup

V4="SSH_CONNECTION=192.0.2.10 50000 192.0.2.1 22"
V4_OTHER="SSH_CONNECTION=203.0.113.9 50000 192.0.2.1 22"
V6="SSH_CONNECTION=2001:db8:10::5 50000 2001:db8:10::1 22"
V6_OTHER="SSH_CONNECTION=2001:db8:99::5 50000 2001:db8:10::1 22"

# acct NAME WANT-PAM WANT-RECORD DRIVER-OPTIONS... (then service alice acct
# unless the options end with their own SERVICE USER acct)
acct() {
	name=$1 want=$2 rec=$3
	shift 3
	drive "$@"
	expect_contains "$name" "$out" "acct_mgmt: $want"
	[ -n "$rec" ] && expect_record "$name" "$rec"
	return 0
}

# ---- the key from the handoff record (single publickey login)
acct "handoff: allowed key" PAM_SUCCESS \
    "event=account decision=allow reason=allowed account=alice key_id=alice-laptop owner=alice@example.com fp=$(key_fp alice) client=192.0.2.10 host=$(hostname) policy_serial=1" \
    -e "$V4" -w "$SPOOL" -k "$(key_fp alice)" "$CONF" keyauth alice acct
expect_eq "handoff: record consumed" "$(ls "$SPOOL")" ""
acct "handoff: revoked key" PAM_PERM_DENIED \
    "decision=deny reason=revoked account=alice key_id=- owner=mallory@example.com fp=$(key_fp revoked)" \
    -e "$V4" -w "$SPOOL" -k "$(key_fp revoked)" "$CONF" keyauth alice acct
acct "handoff: unknown key" PAM_PERM_DENIED \
    "decision=deny reason=unknown_key account=alice key_id=- owner=- fp=$(key_fp stranger)" \
    -e "$V4" -w "$SPOOL" -k "$(key_fp stranger)" "$CONF" keyauth alice acct
acct "handoff: account not allowed" PAM_PERM_DENIED \
    "decision=deny reason=account_not_allowed account=deploy" \
    -e "$V4" -w "$SPOOL" -k "$(key_fp alice)" "$CONF" keyauth deploy acct
acct "handoff: other key's account allowed" PAM_SUCCESS \
    "decision=allow reason=allowed account=deploy key_id=deploy-ci" \
    -e "$V4" -w "$SPOOL" -k "$(key_fp deploy)" "$CONF" keyauth deploy acct
acct "expired grant" PAM_PERM_DENIED "decision=deny reason=expired" \
    -e "$V4" -w "$SPOOL" -k "$(key_fp expired)" "$CONF" keyauth alice acct
acct "not yet valid grant" PAM_PERM_DENIED \
    "decision=deny reason=not_yet_valid" \
    -e "$V4" -w "$SPOOL" -k "$(key_fp future)" "$CONF" keyauth alice acct

# ---- client addresses
acct "IPv4 source allowed" PAM_SUCCESS \
    "decision=allow reason=allowed account=alice key_id=net4-key" \
    -e "$V4" -w "$SPOOL" -k "$(key_fp net4)" "$CONF" keyauth alice acct
acct "IPv4 single address allowed" PAM_SUCCESS "client=198.51.100.7 " \
    -e "SSH_CONNECTION=198.51.100.7 1 2 3" -w "$SPOOL" -k "$(key_fp net4)" \
    "$CONF" keyauth alice acct
acct "IPv4 source not allowed" PAM_PERM_DENIED \
    "decision=deny reason=source_not_allowed account=alice key_id=net4-key owner=net4@example.com fp=$(key_fp net4) client=203.0.113.9" \
    -e "$V4_OTHER" -w "$SPOOL" -k "$(key_fp net4)" "$CONF" keyauth alice acct
acct "IPv4-mapped IPv6 client is IPv4" PAM_SUCCESS "client=192.0.2.10 " \
    -e "SSH_CONNECTION=::ffff:192.0.2.10 50000 ::1 22" -w "$SPOOL" \
    -k "$(key_fp net4)" "$CONF" keyauth alice acct
acct "IPv6 source allowed" PAM_SUCCESS \
    "decision=allow reason=allowed account=alice key_id=net6-key" \
    -e "$V6" -w "$SPOOL" -k "$(key_fp net6)" "$CONF" keyauth alice acct
acct "IPv6 source not allowed" PAM_PERM_DENIED \
    "decision=deny reason=source_not_allowed account=alice key_id=net6-key owner=net6@example.com fp=$(key_fp net6) client=2001:db8:99::5" \
    -e "$V6_OTHER" -w "$SPOOL" -k "$(key_fp net6)" "$CONF" keyauth alice acct
acct "no client address, restricted key" PAM_PERM_DENIED \
    "decision=deny reason=source_unknown account=alice key_id=net4-key owner=net4@example.com fp=$(key_fp net4) client=-" \
    -w "$SPOOL" -k "$(key_fp net4)" "$CONF" keyauth alice acct
acct "no client address, unrestricted key" PAM_SUCCESS \
    "decision=allow reason=allowed account=alice key_id=alice-laptop owner=alice@example.com fp=$(key_fp alice) client=-" \
    -w "$SPOOL" -k "$(key_fp alice)" "$CONF" keyauth alice acct
acct "malformed SSH_CONNECTION, restricted key" PAM_PERM_DENIED \
    "reason=source_unknown" -e "SSH_CONNECTION=lab-host 1 2 3" \
    -w "$SPOOL" -k "$(key_fp net4)" "$CONF" keyauth alice acct
acct "PAM_RHOST IP literal when no SSH_CONNECTION" PAM_SUCCESS \
    "client=192.0.2.77 " -r 192.0.2.77 -w "$SPOOL" -k "$(key_fp net4)" \
    "$CONF" keyauth alice acct
acct "PAM_RHOST hostname is never resolved" PAM_PERM_DENIED \
    "reason=source_unknown" -r localhost -w "$SPOOL" -k "$(key_fp net4)" \
    "$CONF" keyauth alice acct
acct "SSH_CONNECTION wins over PAM_RHOST" PAM_PERM_DENIED \
    "reason=source_not_allowed" -e "$V4_OTHER" -r 192.0.2.77 -w "$SPOOL" \
    -k "$(key_fp net4)" "$CONF" keyauth alice acct

# ---- SSH_AUTH_INFO_0 at the account stage (multi-method logins)
acct "SSH_AUTH_INFO_0 publickey allowed" PAM_SUCCESS \
    "decision=allow reason=allowed account=alice key_id=alice-laptop" \
    -e "$V4" -e "SSH_AUTH_INFO_0=$(key_info alice)" "$CONF" keyauth alice acct
acct "SSH_AUTH_INFO_0 publickey revoked" PAM_PERM_DENIED \
    "decision=deny reason=revoked" \
    -e "$V4" -e "SSH_AUTH_INFO_0=$(key_info revoked)" "$CONF" keyauth alice acct
info=$(printf 'password\n%s\n' "$(key_info alice)")
acct "SSH_AUTH_INFO_0 after another method" PAM_SUCCESS "reason=allowed" \
    -e "$V4" -e "SSH_AUTH_INFO_0=$info" "$CONF" keyauth alice acct
acct "SSH_AUTH_INFO_0 key plus handoff key: both decided" PAM_PERM_DENIED \
    "decision=deny reason=unknown_key account=alice key_id=- owner=- fp=$(key_fp stranger)" \
    -e "$V4" -e "SSH_AUTH_INFO_0=$(key_info alice)" -w "$SPOOL" \
    -k "$(key_fp stranger)" "$CONF" keyauth alice acct
expect_record "... and the allowed one logged too" \
    "decision=allow reason=allowed account=alice key_id=alice-laptop"
acct "keyboard-interactive only: key from handoff" PAM_SUCCESS \
    "reason=allowed account=alice key_id=alice-desktop" \
    -e "$V4" -e "SSH_AUTH_INFO_0=keyboard-interactive" -w "$SPOOL" \
    -k "$(key_fp alice2)" "$CONF" keyauth alice acct
acct "SSH_AUTH_INFO_0 with a certificate" PAM_PERM_DENIED \
    "decision=deny reason=no_key" \
    -e "$V4" -e "SSH_AUTH_INFO_0=publickey ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29t" \
    "$CONF" keyauth alice acct
expect_record "certificate: says why" "error="
acct "SSH_AUTH_INFO_0 malformed publickey line" PAM_PERM_DENIED \
    "decision=deny reason=no_key" -e "$V4" \
    -e "SSH_AUTH_INFO_0=publickey ssh-ed25519" "$CONF" keyauth alice acct

# ---- the account stage in a child (sshd's keyboard-interactive): the
# record of the parent, which ran the helper, is the login's
acct "forked account stage: the parent's record" PAM_SUCCESS \
    "event=account decision=allow reason=allowed account=alice key_id=alice-laptop" \
    -f -e "$V4" -e "SSH_AUTH_INFO_0=$(key_info alice)" -w "$SPOOL" \
    -k "$(key_fp alice)" "$CONF" keyauth alice acct
expect_eq "forked account stage: record taken" "$(ls "$SPOOL")" ""
acct "forked account stage: the parent's record alone" PAM_SUCCESS \
    "event=account decision=allow reason=allowed account=alice key_id=alice-laptop" \
    -f -e "$V4" -w "$SPOOL" -k "$(key_fp alice)" "$CONF" keyauth alice acct
acct "forked account stage: the parent's record is checked" PAM_PERM_DENIED \
    "decision=deny reason=no_key account=alice" \
    -f -e "$V4" -w "$SPOOL" -a deploy -k "$(key_fp alice)" "$CONF" keyauth alice acct
expect_record "forked, other account: says why" "error=\"handoff record refused: handoff record is for another account"
expect_eq "forked account stage: refused record removed" "$(ls "$SPOOL")" ""

# ---- no key
acct "no key, nokey=deny (default)" PAM_PERM_DENIED \
    "event=account decision=deny reason=no_key account=alice key_id=- owner=- fp=- client=192.0.2.10" \
    -e "$V4" "$CONF" keyauth alice acct
acct "password login (SSH_AUTH_INFO_0 without publickey), nokey=deny" \
    PAM_PERM_DENIED "reason=no_key" -e "$V4" \
    -e "SSH_AUTH_INFO_0=password" "$CONF" keyauth alice acct
# keyauth-ignore jumps over pam_deny only when the module says PAM_IGNORE.
acct "no key, nokey=ignore returns PAM_IGNORE" PAM_SUCCESS \
    "event=account decision=allow reason=no_key account=alice" \
    -e "$V4" "$CONF" keyauth-ignore alice acct
acct "nokey=ignore still denies a denied key" PAM_PERM_DENIED \
    "decision=deny reason=revoked" -e "$V4" -w "$SPOOL" \
    -k "$(key_fp revoked)" "$CONF" keyauth-ignore alice acct
acct "nokey=ignore: allowed key returns PAM_SUCCESS, not IGNORE" \
    PAM_AUTH_ERR "decision=allow reason=allowed" -e "$V4" -w "$SPOOL" \
    -k "$(key_fp alice)" "$CONF" keyauth-ignore alice acct

# ---- audit mode: logs would_deny, allows
acct "audit mode: revoked key allowed" PAM_SUCCESS \
    "event=account decision=would_deny reason=revoked account=alice" \
    -e "$V4" -w "$SPOOL" -k "$(key_fp revoked)" "$CONF" keyauth-audit alice acct
acct "audit mode: source not allowed" PAM_SUCCESS \
    "decision=would_deny reason=source_not_allowed" -e "$V4_OTHER" \
    -w "$SPOOL" -k "$(key_fp net4)" "$CONF" keyauth-audit alice acct
acct "audit mode: no key" PAM_SUCCESS "decision=would_deny reason=no_key" \
    -e "$V4" "$CONF" keyauth-audit alice acct
acct "audit mode: allowed key is allow" PAM_SUCCESS \
    "decision=allow reason=allowed" -e "$V4" -w "$SPOOL" \
    -k "$(key_fp alice)" "$CONF" keyauth-audit alice acct
acct "audit mode + nokey=ignore: no key" PAM_SUCCESS \
    "decision=allow reason=no_key" -e "$V4" "$CONF" keyauth-audit-ignore alice acct

# ---- the handoff record's checks: every failure refuses the login
acct "record for another pid is not ours" PAM_PERM_DENIED \
    "decision=deny reason=no_key" -e "$V4" -w "$SPOOL" -p 1 \
    -k "$(key_fp alice)" "$CONF" keyauth alice acct
expect_eq "record of another pid left alone" "$(ls "$SPOOL")" "1"
rm -f "$SPOOL/1"
acct "record naming another pid under ours" PAM_PERM_DENIED \
    "decision=deny reason=no_key" -e "$V4" -w "$SPOOL" -p 1 -m misnamed \
    -k "$(key_fp alice)" "$CONF" keyauth alice acct
expect_record "misnamed record: says why" "error=\"handoff record refused"
acct "record for another account" PAM_PERM_DENIED \
    "decision=deny reason=no_key account=alice" -e "$V4" -w "$SPOOL" \
    -a deploy -k "$(key_fp alice)" "$CONF" keyauth alice acct
expect_record "other account: says why" "error=\"handoff record refused"
acct "record from the future" PAM_PERM_DENIED "reason=no_key" \
    -e "$V4" -w "$SPOOL" -t -300 -k "$(key_fp alice)" "$CONF" keyauth alice acct
expect_record "record from the future: says why" "error=\"handoff record refused"
# Records no login can use any more are removed and mean "no key", not a
# refusal (docs/security.md): one older than the grace time, one of an
# earlier process with our pid (a recycled pid).
left_behind() { # NAME DRIVER-OPTIONS...
	local lb=$1
	shift
	acct "$lb" PAM_PERM_DENIED \
	    "event=account decision=deny reason=no_key account=alice key_id=- owner=- fp=- client=192.0.2.10 host=$(hostname) policy_serial=- policy_sha256=-" \
	    -e "$V4" -w "$SPOOL" "$@" -k "$(key_fp alice)" "$CONF" keyauth alice acct
	case $(records) in
	*error=*) fail "$lb: no error, not a refusal" ;;
	*) pass "$lb: no error, not a refusal" ;;
	esac
	expect_eq "$lb: removed" "$(ls "$SPOOL")" ""
	acct "$lb, nokey=ignore: the module abstains" PAM_SUCCESS \
	    "event=account decision=allow reason=no_key account=alice" \
	    -e "$V4" -w "$SPOOL" "$@" -k "$(key_fp alice)" "$CONF" keyauth-ignore alice acct
	expect_eq "$lb, nokey=ignore: removed" "$(ls "$SPOOL")" ""
}
left_behind "record older than the grace time" -t 300
left_behind "record of an earlier process with our pid" -S -5
acct "record planted as a symlink" PAM_PERM_DENIED \
    "decision=deny reason=no_key" -e "$V4" -w "$SPOOL" -m symlink \
    -k "$(key_fp alice)" "$CONF" keyauth alice acct
expect_record "symlink: says why" "error=\"handoff record refused"
rm -f "$SPOOL"/planted.* "$SPOOL"/[0-9]*
acct "malformed record" PAM_PERM_DENIED "decision=deny reason=no_key" \
    -e "$V4" -w "$SPOOL" -m garbage -k "$(key_fp alice)" "$CONF" keyauth alice acct
expect_record "malformed record: says why" "error=\"handoff record refused"
acct "record readable by others" PAM_PERM_DENIED "reason=no_key" \
    -e "$V4" -w "$SPOOL" -m mode644 -k "$(key_fp alice)" "$CONF" keyauth alice acct
rm -f "$SPOOL"/[0-9]*
acct "refused record refuses even with nokey=ignore" PAM_PERM_DENIED \
    "decision=deny reason=no_key" -e "$V4" -w "$SPOOL" -a deploy \
    -k "$(key_fp alice)" "$CONF" keyauth-ignore alice acct
acct "refused record in audit mode" PAM_SUCCESS \
    "decision=would_deny reason=no_key" -e "$V4" -w "$SPOOL" -a deploy \
    -k "$(key_fp alice)" "$CONF" keyauth-audit alice acct
expect_eq "spool empty after the refusals" "$(ls "$SPOOL")" ""

# ---- accounts
acct "invalid account name" PAM_USER_UNKNOWN \
    "decision=deny reason=account_not_allowed account=\"Bad User\"" \
    -e "$V4" -w "$SPOOL" -a alice -k "$(key_fp alice)" "$CONF" keyauth "Bad User" acct
rm -f "$SPOOL"/[0-9]*

# ---- the index
cp "$IDX" "$T/corrupt.cdb"
size=$(wc -c <"$T/corrupt.cdb")
truncate -s $((size / 2)) "$T/corrupt.cdb"
printf 'not a cdb at all\n' >"$T/garbage.cdb"
cp "$IDX" "$T/unsafe.cdb"
chmod 0666 "$T/unsafe.cdb"
for bad in missing corrupt garbage unsafe; do
	service "keyauth-$bad" "index=$T/$bad.cdb spool=$SPOOL"
	acct "index $bad" PAM_SYSTEM_ERR \
	    "event=account decision=deny reason=policy_unavailable account=alice key_id=- owner=- fp=$(key_fp alice)" \
	    -e "$V4" -w "$SPOOL" -k "$(key_fp alice)" "$CONF" "keyauth-$bad" alice acct
	expect_record "index $bad: names the index" "$T/$bad.cdb"
	expect_contains "index $bad: logged at LOG_ERR (authpriv.err)" "$log" "<83>"
done
service keyauth-missing-audit "index=$T/missing.cdb spool=$SPOOL mode=audit"
acct "index missing in audit mode" PAM_SUCCESS \
    "decision=would_deny reason=policy_unavailable" \
    -e "$V4" -w "$SPOOL" -k "$(key_fp alice)" "$CONF" keyauth-missing-audit alice acct

# ---- the index of another host (a copied index, a cloned image, a
# --host typo): it grants nothing here
me=$(hostname)
service keyauth-otherhost "$COMMON host=db-01x"
acct "index for another host" PAM_SYSTEM_ERR \
    "event=account decision=deny reason=policy_unavailable account=alice key_id=- owner=- fp=$(key_fp alice) client=192.0.2.10 host=db-01x" \
    -e "$V4" -w "$SPOOL" -k "$(key_fp alice)" "$CONF" keyauth-otherhost alice acct
expect_record "index for another host: says why" \
    "index was compiled for host $me, this host is db-01x: run keyauthctl install on this host"
expect_contains "index for another host: logged at LOG_ERR" "$log" "<83>"
expect_eq "index for another host: handoff record consumed" "$(ls "$SPOOL")" ""
acct "index for another host, key from SSH_AUTH_INFO_0" PAM_SYSTEM_ERR \
    "decision=deny reason=policy_unavailable" \
    -e "$V4" -e "SSH_AUTH_INFO_0=$(key_info alice)" "$CONF" keyauth-otherhost alice acct
drive -e "$V4" -e "SSH_AUTH_INFO_0=$(key_info alice)" "$CONF" keyauth-otherhost alice session
expect_contains "index for another host: session refused" "$out" "open_session: PAM_SESSION_ERR"
expect_record "index for another host: session record" \
    "event=session decision=deny reason=policy_unavailable"
service keyauth-otherhost-audit "$COMMON host=db-01x mode=audit"
acct "index for another host in audit mode" PAM_SUCCESS \
    "decision=would_deny reason=policy_unavailable" \
    -e "$V4" -w "$SPOOL" -k "$(key_fp alice)" "$CONF" keyauth-otherhost-audit alice acct
rm -f "$SPOOL"/[0-9]*
# host= names this host; names compare case-insensitively
service keyauth-myhost "$COMMON host=$(printf '%s' "$me" | tr a-z A-Z)"
acct "host= this host in capitals" PAM_SUCCESS \
    "decision=allow reason=allowed account=alice key_id=alice-laptop" \
    -e "$V4" -w "$SPOOL" -k "$(key_fp alice)" "$CONF" keyauth-myhost alice acct
rm -f "$SPOOL"/[0-9]*

# ---- module arguments: anything malformed denies, even with mode=audit
badarg() {
	service keyauth-badarg "$2"
	acct "argument $1" PAM_SERVICE_ERR \
	    "event=account decision=deny reason=policy_unavailable" \
	    -e "$V4" -w "$SPOOL" -k "$(key_fp alice)" "$CONF" keyauth-badarg alice acct
	expect_record "argument $1: says why" "$3"
	rm -f "$SPOOL"/[0-9]*
}
badarg "unknown" "$COMMON mode=audit bogus=1" "unknown module argument: bogus=1"
badarg "misspelt" "$COMMON nokeys=ignore" "unknown module argument: nokeys=ignore"
badarg "empty index" "index= spool=$SPOOL" "absolute path: index="
badarg "relative index" "index=policy.cdb spool=$SPOOL" "absolute path: index=policy.cdb"
badarg "relative spool" "index=$IDX spool=run/keyauth" "absolute path: spool=run/keyauth"
badarg "bad nokey" "$COMMON nokey=allow" "bad module argument value"
badarg "bad mode" "$COMMON mode=permissive" "bad module argument value"
badarg "duplicate" "$COMMON mode=audit mode=enforce" "given twice: mode=enforce"
badarg "empty host" "$COMMON host=" "host= needs a host name"
badarg "bad host" "$COMMON host=web-01/x" "host= needs a host name"
badarg "duplicate host" "$COMMON host=a host=b" "given twice: host=b"

# ---- debug adds diagnostics, never key material
acct "debug" PAM_SUCCESS "reason=allowed" -e "$V4" -w "$SPOOL" \
    -k "$(key_fp alice)" "$CONF" keyauth-debug alice acct
expect_contains "debug: logs the key source" "$log" "key from handoff record: $(key_fp alice)"
b64=$(cut -d' ' -f2 "$T/keys/alice.pub")
case "$log" in *"$b64"*) fail "no public key material in the log" ;;
*) pass "no public key material in the log" ;; esac
drive -e "$V4" -e "SSH_AUTH_INFO_0=$(key_info alice)" "$CONF" keyauth-debug alice acct
case "$log" in *"$b64"*) fail "no key material logged from SSH_AUTH_INFO_0" ;;
*) pass "no key material logged from SSH_AUTH_INFO_0" ;; esac

# ---- many logins in one process: no state leaks between them
drive -n 5 -e "$V4" -w "$SPOOL" -k "$(key_fp alice)" "$CONF" keyauth alice acct
expect_eq "five logins, five records" \
    "$(records | grep -c 'event=account decision=allow reason=allowed')" 5
drive -n 3 -e "$V4" "$CONF" keyauth alice acct
expect_eq "keyless logins after keyed ones stay keyless" \
    "$(records | grep -c 'decision=deny reason=no_key')" 3

t_done
