#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# End to end, grants: real sshd + keyauth-authorized-keys + pam_keyauth, real
# ssh client. Each login is checked for its outcome and its audit records
# (lookup from the helper, account and session from the PAM module).
#   granted ed25519, RSA 4096, passphrase-protected key through ssh-agent;
#   support key into root from 127.0.0.1 only (refused from 127.0.0.2 and
#   ::1) and from ::1 only (refused from 127.0.0.1); forced command;
#   no-port-forwarding against ssh -L; key granted to another account;
#   expired; not yet valid.
# The whole matrix runs twice, from the version 1 policy (login.yaml.in)
# and from its version 2 form (login-v2.yaml.in: people, a group, grants),
# with the same outcomes and the same records, but for the grant= field
# that ends every record of the version 2 run (the grant behind the
# entry) and no record of the version 1 run has.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

e2e_init kae2e
e2e_users
e2e_install_build
U=$E2E_USER

e2e_keygen ed ed25519
e2e_keygen rsa rsa 4096
e2e_keygen agent ed25519 "" "correct horse battery staple"
for k in support4 support6 forced nofwd other expired future; do
	e2e_keygen "$k" ed25519
done
for form in login login-v2; do
	e2e_policy "$E2E_SRC/policies/$form.yaml.in" "$T/$form.yaml" \
	    KEY_ED25519="$(e2e_pub ed)" KEY_RSA="$(e2e_pub rsa)" KEY_AGENT="$(e2e_pub agent)" \
	    KEY_SUPPORT4="$(e2e_pub support4)" KEY_SUPPORT6="$(e2e_pub support6)" \
	    KEY_FORCED="$(e2e_pub forced)" KEY_NOFWD="$(e2e_pub nofwd)" \
	    KEY_OTHER="$(e2e_pub other)" KEY_EXPIRED="$(e2e_pub expired)" \
	    KEY_FUTURE="$(e2e_pub future)"
done
e2e_policy_install "$T/login.yaml"
e2e_sshd_start

# The grant of login-v2.yaml.in that holds each key id.
grant_of() {
	case $1 in
	e2e-support-v4) echo support-root-v4 ;;
	e2e-support-v6) echo support-root-v6 ;;
	e2e-forced) echo backup-forced ;;
	e2e-nofwd) echo dave-nofwd ;;
	e2e-other-account) echo erin-other ;;
	*) echo staff-login ;;
	esac
}
# The last record found ends with grant=GRANT (version 2) or has no
# grant= at all (version 1).
expect_grant() { # NAME ID
	if [ "$FORM" = v2 ]; then
		expect_eq "$1: names the grant" "${E2E_RECORD##* }" "grant=$(grant_of "$2")"
	else
		case " $E2E_RECORD " in
		*" grant="*) fail "$1: version 1 record has no grant="; t_diag "$E2E_RECORD" ;;
		*) pass "$1: version 1 record has no grant=" ;;
		esac
	fi
}

# granted: lookup, account and session all allow, with the key's identity.
granted() { # NAME KEY ID USER ADDR CLIENT [ssh args...]
	local name=$1 key=$2 id=$3 user=$4 addr=$5 client=$6 fp
	shift 6
	fp=$(e2e_fp "$key")
	e2e_mark
	expect_login "$name" "$key" "$user" "$addr" "$@"
	e2e_expect_record "$name" lookup "decision=allow reason=allowed account=$user key_id=$id fp=$fp"
	expect_grant "$name: lookup" "$id"
	e2e_expect_record "$name" account "decision=allow reason=allowed account=$user key_id=$id fp=$fp client=$client host=$E2E_HOST"
	expect_grant "$name: account" "$id"
	e2e_expect_record "$name" session "decision=allow reason=allowed account=$user key_id=$id fp=$fp client=$client"
	expect_grant "$name: session" "$id"
}

matrix() { # SERIAL
granted "ed25519" ed e2e-ed25519 "$U" 127.0.0.1 127.0.0.1 -- id -un
expect_eq "ed25519: command ran as the account" "$E2E_OUT" "$U"
expect_contains "ed25519: policy serial in record" "$E2E_RECORD" "policy_serial=$1 "

granted "RSA 4096" rsa e2e-rsa4096 "$U" 127.0.0.1 127.0.0.1

# The agent holds the only usable copy: ssh gets just the public half.
e2e_agent_add agent "correct horse battery staple"
granted "ssh-agent key" "$E2E_KEYS/agent.pub" e2e-agent "$U" 127.0.0.1 127.0.0.1
kill "$E2E_AGENT_PID" 2>/dev/null
wait "$E2E_AGENT_PID" 2>/dev/null
E2E_AGENT_PID= E2E_AGENT_SOCK=
expect_refused "passphrase key without agent" agent "$U" 127.0.0.1

# Support key: into root from 127.0.0.1 only.
granted "support from 127.0.0.1" support4 e2e-support-v4 root 127.0.0.1 127.0.0.1 -- id -un
expect_eq "support: logged in as root" "$E2E_OUT" root
# Refused by source: the helper served the key only with from="...", and
# sshd enforces it before PAM; its log line names the address.
wrong_source() { # NAME FROM ADDR KEY ID [ssh args]
	local name=$1 from=$2 addr=$3 key=$4 id=$5
	shift 5
	e2e_mark
	expect_refused "$name" "$key" root "$addr" "$@"
	e2e_expect_record "$name" lookup "account=root key_id=$id fp=$(e2e_fp "$key")"
	expect_grant "$name: lookup" "$id"
	e2e_expect_no_record "$name" account "decision=allow"
	expect_contains "$name: sshd names the source" \
	    "$(e2e_sshd_lines | grep 'not from a permitted host')" "ip=$from,"
}
wrong_source "support from 127.0.0.2" 127.0.0.2 127.0.0.1 support4 e2e-support-v4 -b 127.0.0.2
if [ -n "$E2E_HAVE_IPV6" ]; then
	wrong_source "support from ::1" ::1 ::1 support4 e2e-support-v4
	granted "IPv6 support key from ::1" support6 e2e-support-v6 root ::1 ::1
	wrong_source "IPv6 support key from 127.0.0.1" 127.0.0.1 127.0.0.1 support6 e2e-support-v6
else
	echo "# ::1 is not available on this machine: IPv6 scenarios skipped"
fi

# Forced command: runs instead of the requested one.
granted "forced command" forced e2e-forced "$U" 127.0.0.1 127.0.0.1 -- echo requested-command
expect_eq "forced command ran instead" "$E2E_OUT" "forced-command-ran"

# Port forwarding: a connection through ssh -L reaches sshd's banner with a
# plain key and is refused with no-port-forwarding.
forward_probe() { # KEY -> prints what came back through the tunnel
	local lport i banner=
	lport=$(e2e_free_port)
	timeout 20 "$SSH" -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes \
	    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=INFO \
	    -o ExitOnForwardFailure=yes -i "$E2E_KEYS/$1" -p "$E2E_PORT" \
	    -L "127.0.0.1:$lport:127.0.0.1:$E2E_PORT" "$U@127.0.0.1" sleep 4 \
	    </dev/null >/dev/null 2>"$T/fwd.err" &
	local pid=$!
	for i in $(seq 1 60); do
		ss -Hltn | awk '{print $4}' | grep -qx "127.0.0.1:$lport" && break
		sleep 0.05
	done
	banner=$(timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$lport && head -c 7 <&3" 2>/dev/null)
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	printf '%s' "$banner"
}
expect_eq "ssh -L with a plain key forwards" "$(forward_probe ed)" "SSH-2.0"
e2e_mark
expect_eq "ssh -L with no-port-forwarding is refused" "$(forward_probe nofwd)" ""
expect_contains "no-port-forwarding: client told why" "$(cat "$T/fwd.err")" "administratively prohibited"
e2e_expect_record "no-port-forwarding" account "decision=allow account=$U key_id=e2e-nofwd"
expect_grant "no-port-forwarding: account" e2e-nofwd
expect_contains "no-port-forwarding: sshd refused the forward" \
    "$(e2e_sshd_lines | grep -i 'refused local port forward')" "refused local port forward"

# Refused at lookup: the helper prints nothing, sshd never reaches PAM.
refused() { # NAME KEY REASON ID
	local fp
	fp=$(e2e_fp "$2")
	e2e_mark
	expect_refused "$1" "$2" "$U" 127.0.0.1
	e2e_expect_record "$1" lookup "decision=deny reason=$3 account=$U key_id=$4 fp=$fp client=-"
	expect_grant "$1: lookup" "$4"
	e2e_expect_no_record "$1" account
}
refused "key granted to another account" other account_not_allowed e2e-other-account
refused "expired key" expired expired e2e-expired
refused "not-yet-valid key" future not_yet_valid e2e-not-yet

# keyauthctl explain agrees with what sshd did.
rc=0; out=$(e2e_ctl explain "$U" "$E2E_KEYS/expired.pub" --from 127.0.0.1 2>&1) || rc=$?
expect_rc "explain expired key" "$rc" 1
expect_contains "explain names the reason" "$out" "expired"
if [ "$FORM" = v2 ]; then
	expect_contains "explain names the grant" "$out" "Refused under grant staff-login via group staff."
else
	case $out in
	*"grant: "* | *"under grant"*) fail "explain names no grant"; t_diag "$out" ;;
	*) pass "explain names no grant" ;;
	esac
fi
}

t_case "version 1 policy"
FORM=v1
matrix 100
# The same people and grants written as version 2: installed over it
# (a higher serial), the same matrix.
t_case "version 2 policy"
e2e_policy_install "$T/login-v2.yaml"
FORM=v2
matrix 101
t_case

t_done
