#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pam_keyauth at the session stage: every publickey line of SSH_AUTH_INFO_0
# re-decided, and compared with the key(s) the account stage accepted in
# the same PAM handle (key_mismatch), as sshd runs both stages.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/pam/pamlib.sh"
pam_setup

V4="SSH_CONNECTION=192.0.2.10 50000 192.0.2.1 22"
V4_OTHER="SSH_CONNECTION=203.0.113.9 50000 192.0.2.1 22"

# sess NAME WANT-LINE WANT-RECORD DRIVER-ARGS...
sess() {
	name=$1 want=$2 rec=$3
	shift 3
	drive "$@"
	expect_contains "$name" "$out" "$want"
	[ -n "$rec" ] && expect_record "$name" "$rec"
	return 0
}

# ---- both stages, as sshd runs them: account (handoff), then session
sess "same key at both stages" "open_session: PAM_SUCCESS" \
    "event=session decision=allow reason=allowed account=alice key_id=alice-laptop owner=alice@example.com fp=$(key_fp alice) client=192.0.2.10" \
    -e "$V4" -w "$SPOOL" -k "$(key_fp alice)" -E "SSH_AUTH_INFO_0=$(key_info alice)" \
    "$CONF" keyauth alice both
expect_contains "same key: account allowed first" "$out" "acct_mgmt: PAM_SUCCESS"
expect_contains "same key: close_session succeeds" "$out" "close_session: PAM_SUCCESS"
expect_eq "same key: two records (account, session)" \
    "$(records | grep -c 'reason=allowed')" 2

sess "session key differs from the account key" "open_session: PAM_SESSION_ERR" \
    "event=session decision=deny reason=key_mismatch account=alice key_id=alice-desktop owner=alice@example.com fp=$(key_fp alice2)" \
    -e "$V4" -w "$SPOOL" -k "$(key_fp alice)" -E "SSH_AUTH_INFO_0=$(key_info alice2)" \
    "$CONF" keyauth alice both
expect_contains "key differs: account stage had allowed" "$out" "acct_mgmt: PAM_SUCCESS"

sess "session key differs and is unknown" "open_session: PAM_SESSION_ERR" \
    "event=session decision=deny reason=unknown_key account=alice key_id=- owner=- fp=$(key_fp stranger)" \
    -e "$V4" -w "$SPOOL" -k "$(key_fp alice)" -E "SSH_AUTH_INFO_0=$(key_info stranger)" \
    "$CONF" keyauth alice both

sess "session without a key after a keyed account stage" \
    "open_session: PAM_SESSION_ERR" \
    "event=session decision=deny reason=key_mismatch account=alice key_id=- owner=- fp=$(key_fp alice)" \
    -e "$V4" -w "$SPOOL" -k "$(key_fp alice)" -E "SSH_AUTH_INFO_0=password" \
    "$CONF" keyauth alice both

info=$(printf 'publickey %s\npublickey %s\n' "$(key_line alice)" "$(key_line alice2)")
sess "two keys (publickey,publickey): both seen at account" \
    "open_session: PAM_SUCCESS" "event=session decision=allow reason=allowed account=alice key_id=alice-desktop" \
    -e "$V4" -e "SSH_AUTH_INFO_0=$(key_info alice)" -w "$SPOOL" -k "$(key_fp alice2)" \
    -E "SSH_AUTH_INFO_0=$info" "$CONF" keyauth alice both
expect_eq "two keys: four allow records" "$(records | grep -c 'decision=allow reason=allowed')" 4

sess "audit mode: key mismatch logged, allowed" "open_session: PAM_SUCCESS" \
    "event=session decision=would_deny reason=key_mismatch" \
    -e "$V4" -w "$SPOOL" -k "$(key_fp alice)" -E "SSH_AUTH_INFO_0=$(key_info alice2)" \
    "$CONF" keyauth-audit alice both

# Keyless at the account stage (nokey=ignore), then a key at the session:
# the stages disagree about the login.
sess "nokey=ignore account, key at session" "open_session: PAM_SESSION_ERR" \
    "event=session decision=deny reason=key_mismatch account=alice key_id=alice-laptop" \
    -e "$V4" -E "SSH_AUTH_INFO_0=$(key_info alice)" "$CONF" keyauth-ignore alice both
sess "nokey=ignore: password login passes both stages" "open_session: PAM_SUCCESS" \
    "event=session decision=allow reason=no_key" \
    -e "$V4" -E "SSH_AUTH_INFO_0=password" "$CONF" keyauth-ignore alice both

# ---- session stage alone (no account data in the handle)
sess "session alone: allowed key" "open_session: PAM_SUCCESS" \
    "event=session decision=allow reason=allowed" \
    -e "$V4" -E "SSH_AUTH_INFO_0=$(key_info alice)" "$CONF" keyauth alice session
sess "session alone: revoked key" "open_session: PAM_SESSION_ERR" \
    "event=session decision=deny reason=revoked" \
    -e "$V4" -E "SSH_AUTH_INFO_0=$(key_info revoked)" "$CONF" keyauth alice session
sess "session alone: source not allowed" "open_session: PAM_SESSION_ERR" \
    "event=session decision=deny reason=source_not_allowed" \
    -e "$V4_OTHER" -E "SSH_AUTH_INFO_0=$(key_info net4)" "$CONF" keyauth alice session
info=$(printf 'publickey %s\npublickey %s\n' "$(key_line alice)" "$(key_line revoked)")
sess "session alone: one of two keys revoked" "open_session: PAM_SESSION_ERR" \
    "event=session decision=deny reason=revoked" \
    -e "$V4" -E "SSH_AUTH_INFO_0=$info" "$CONF" keyauth alice session
sess "session alone: no key, nokey=deny" "open_session: PAM_SESSION_ERR" \
    "event=session decision=deny reason=no_key" \
    -e "$V4" "$CONF" keyauth alice session
sess "session alone: malformed SSH_AUTH_INFO_0" "open_session: PAM_SESSION_ERR" \
    "event=session decision=deny reason=no_key" \
    -e "$V4" -E "SSH_AUTH_INFO_0=publickey ssh-ed25519 !!!" "$CONF" keyauth alice session
service keyauth-missing "index=$T/missing.cdb spool=$SPOOL"
sess "session alone: index missing" "open_session: PAM_SESSION_ERR" \
    "event=session decision=deny reason=policy_unavailable" \
    -e "$V4" -E "SSH_AUTH_INFO_0=$(key_info alice)" "$CONF" keyauth-missing alice session
service keyauth-badarg "$COMMON debug=1"
sess "session alone: bad argument" "open_session: PAM_SERVICE_ERR" \
    "event=session decision=deny reason=policy_unavailable" \
    -e "$V4" -E "SSH_AUTH_INFO_0=$(key_info alice)" "$CONF" keyauth-badarg alice session

t_done
