#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The driver and pam_keyauth.so under valgrind: no memory errors and no
# definite leaks, on success and on error paths, over repeated logins in
# one process (as a long-running sshd loads the module once).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/pam/pamlib.sh"
command -v valgrind >/dev/null 2>&1 || t_skip "no valgrind"
pam_setup

V4="SSH_CONNECTION=192.0.2.10 50000 192.0.2.1 22"
service keyauth-missing "index=$T/missing.cdb spool=$SPOOL"
service keyauth-badarg "$COMMON bogus"

# vg NAME WANT driver-args...
vg() {
	name=$1 want=$2
	shift 2
	out=$("$CAPTURE" "$T/syslog" valgrind -q --leak-check=full --error-exitcode=99 \
	    --errors-for-leak-kinds=definite --log-file="$T/vg.log" \
	    "$DRIVER" "$@" 2>&1)
	rc=$?
	if [ "$rc" = 99 ] || [ -s "$T/vg.log" ]; then
		fail "$name: valgrind clean"
		sed 's/^/  /' "$T/vg.log" | head -40
	else
		pass "$name: valgrind clean"
	fi
	expect_contains "$name: result" "$out" "$want"
}

vg "allowed, both stages x3" "close_session: PAM_SUCCESS" -n 3 -e "$V4" \
    -w "$SPOOL" -k "$(key_fp alice)" -E "SSH_AUTH_INFO_0=$(key_info alice)" \
    "$CONF" keyauth alice both
vg "key mismatch" "open_session: PAM_SESSION_ERR" -e "$V4" -w "$SPOOL" \
    -k "$(key_fp alice)" -E "SSH_AUTH_INFO_0=$(key_info alice2)" "$CONF" keyauth alice both
vg "revoked x3" "acct_mgmt: PAM_PERM_DENIED" -n 3 -e "$V4" \
    -e "SSH_AUTH_INFO_0=$(key_info revoked)" "$CONF" keyauth alice acct
vg "restricted key, IPv6" "acct_mgmt: PAM_SUCCESS" \
    -e "SSH_CONNECTION=2001:db8:10::5 1 2 3" -w "$SPOOL" -k "$(key_fp net6)" \
    "$CONF" keyauth alice acct
vg "malformed handoff record" "acct_mgmt: PAM_PERM_DENIED" -e "$V4" \
    -w "$SPOOL" -m garbage -k "$(key_fp alice)" "$CONF" keyauth alice acct
vg "stale handoff record" "acct_mgmt: PAM_PERM_DENIED" -e "$V4" \
    -w "$SPOOL" -t 999 -k "$(key_fp alice)" "$CONF" keyauth alice acct
vg "malformed SSH_AUTH_INFO_0" "open_session: PAM_SESSION_ERR" \
    -E "SSH_AUTH_INFO_0=publickey ssh-rsa" "$CONF" keyauth alice session
vg "missing index" "acct_mgmt: PAM_SYSTEM_ERR" -e "$V4" \
    -e "SSH_AUTH_INFO_0=$(key_info alice)" "$CONF" keyauth-missing alice acct
vg "bad argument" "acct_mgmt: PAM_SERVICE_ERR" "$CONF" keyauth-badarg alice acct
vg "no key, nokey=ignore" "acct_mgmt: PAM_SUCCESS" -e "$V4" "$CONF" keyauth-ignore alice both
rm -f "$SPOOL"/[0-9]*
t_done
