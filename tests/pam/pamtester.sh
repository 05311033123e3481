#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pam_keyauth through pamtester and the system's libpam configuration
# directory: a uniquely named /etc/pam.d/keyauth-test-* service (removed on
# exit), SSH_AUTH_INFO_0 and SSH_CONNECTION passed with -E as sshd would
# put them into the PAM environment.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/pam/pamlib.sh"
[ -n "${PAMTESTER:-}" ] && [ -x "$PAMTESTER" ] || t_skip "no pamtester"
pam_setup

SVC="keyauth-test-$$-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
[ -e "/etc/pam.d/$SVC" ] && t_bail "/etc/pam.d/$SVC exists"
t_extra_cleanup="rm -f '/etc/pam.d/$SVC'"
{
	echo "account required $MOD $COMMON"
	echo "session required $MOD $COMMON"
} >"/etc/pam.d/$SVC"

V4="SSH_CONNECTION=192.0.2.10 50000 192.0.2.1 22"

# pt NAME WANT(ok|denied) RECORD pamtester-args...
pt() {
	name=$1 want=$2 rec=$3
	shift 3
	: >"$T/syslog"
	out=$("$CAPTURE" "$T/syslog" "$PAMTESTER" -v "$@" 2>&1)
	rc=$?
	log=$(cat "$T/syslog")
	if [ "$want" = ok ]; then expect_rc "$name" "$rc" 0; else
		expect_eq "$name (refused)" "$([ "$rc" != 0 ] && echo refused)" refused
	fi
	[ -n "$rec" ] && expect_record "$name" "$rec"
	return 0
}

pt "acct_mgmt: allowed key" ok "event=account decision=allow reason=allowed account=alice key_id=alice-laptop" \
    -E "$V4" -E "SSH_AUTH_INFO_0=$(key_info alice)" "$SVC" alice acct_mgmt
expect_contains "pamtester says so" "$out" "account management done"
pt "acct_mgmt: revoked key" denied "event=account decision=deny reason=revoked" \
    -E "$V4" -E "SSH_AUTH_INFO_0=$(key_info revoked)" "$SVC" alice acct_mgmt
expect_contains "pamtester says permission denied" "$out" "Permission denied"
pt "acct_mgmt: unknown key" denied "reason=unknown_key" \
    -E "$V4" -E "SSH_AUTH_INFO_0=$(key_info stranger)" "$SVC" alice acct_mgmt
pt "acct_mgmt: account not allowed" denied "reason=account_not_allowed account=bob" \
    -E "$V4" -E "SSH_AUTH_INFO_0=$(key_info alice)" "$SVC" bob acct_mgmt
pt "acct_mgmt: IPv4 source not allowed" denied "reason=source_not_allowed" \
    -E "SSH_CONNECTION=203.0.113.1 1 2 3" -E "SSH_AUTH_INFO_0=$(key_info net4)" "$SVC" alice acct_mgmt
pt "acct_mgmt: IPv6 source allowed" ok "reason=allowed account=alice key_id=net6-key" \
    -E "SSH_CONNECTION=2001:db8:10::7 1 2 3" -E "SSH_AUTH_INFO_0=$(key_info net6)" "$SVC" alice acct_mgmt
pt "acct_mgmt: IPv6 source not allowed" denied "reason=source_not_allowed" \
    -E "SSH_CONNECTION=2001:db8:11::7 1 2 3" -E "SSH_AUTH_INFO_0=$(key_info net6)" "$SVC" alice acct_mgmt
pt "acct_mgmt: source unknown" denied "reason=source_unknown" \
    -E "SSH_AUTH_INFO_0=$(key_info net4)" "$SVC" alice acct_mgmt
pt "acct_mgmt: expired" denied "reason=expired" \
    -E "$V4" -E "SSH_AUTH_INFO_0=$(key_info expired)" "$SVC" alice acct_mgmt
pt "acct_mgmt: not yet valid" denied "reason=not_yet_valid" \
    -E "$V4" -E "SSH_AUTH_INFO_0=$(key_info future)" "$SVC" alice acct_mgmt
pt "acct_mgmt: no key" denied "reason=no_key" -E "$V4" "$SVC" alice acct_mgmt
pt "open_session: allowed key" ok "event=session decision=allow reason=allowed" \
    -E "$V4" -E "SSH_AUTH_INFO_0=$(key_info alice)" "$SVC" alice open_session close_session
expect_contains "pamtester opened and closed" "$out" "session has successfully been closed"
pt "account then session with the same key" ok "event=session decision=allow" \
    -E "$V4" -E "SSH_AUTH_INFO_0=$(key_info alice2)" "$SVC" alice acct_mgmt open_session close_session
pt "open_session: revoked key" denied "event=session decision=deny reason=revoked" \
    -E "$V4" -E "SSH_AUTH_INFO_0=$(key_info revoked)" "$SVC" alice open_session

# A policy update takes effect at the next login: no caching in the module.
sed -i 's/^serial: 1$/serial: 2/; /^revoked:/,$d' "$T/policy.yaml"
printf 'revoked:\n  - owner: alice@example.com\n    reason: offboarded\n' >>"$T/policy.yaml"
if install_policy; then
	pt "policy update: owner revoked at once" denied "reason=revoked account=alice key_id=- owner=alice@example.com" \
	    -E "$V4" -E "SSH_AUTH_INFO_0=$(key_info alice)" "$SVC" alice acct_mgmt
	expect_record "policy update: new serial" "policy_serial=2"
else
	fail "reinstall policy"; cat "$T/install.out"
fi
t_done
