#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# ./dev demo: keyauth at work against a real OpenSSH sshd, for newcomers.
#
# Installs the build (make install DESTDIR=) into a private root-owned
# prefix, creates a throw-away account, starts a private sshd on a free
# 127.0.0.1 port with keyauth as its only key source and pam_keyauth in its
# PAM stack, installs an example policy, then walks through an allowed, a
# revoked, a wrong-source and an expired login, printing for each the
# command, the outcome and the audit records, and ends with `keyauthctl
# explain` for a denial. It never touches the system's sshd, its config or
# other PAM services, and removes everything it created when it ends (also
# on Ctrl-C). `./dev demo` builds first; this script uses the build in
# $top_builddir (default: build/).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${top_srcdir:=$top}"
: "${top_builddir:=$top/build}"
export top_srcdir top_builddir

if [ "$(id -u)" != 0 ]; then
	echo "./dev demo needs root: it creates a test account, a PAM service and runs"
	echo "a private sshd on 127.0.0.1 (all removed again at the end)."
	exit 1
fi
if [ ! -x "$top_builddir/keyauthctl/keyauthctl" ]; then
	echo "demo: no build in $top_builddir (run ./dev demo, which builds first)"
	exit 1
fi
# No test: tests/lib.sh speaks no TAP here (plain messages, no plan).
t_no_tap=1
. "$top_srcdir/tests/e2e/lib.sh"

if [ -t 1 ]; then
	B=$'\e[1m' G=$'\e[32m' R=$'\e[31m' D=$'\e[2m' N=$'\e[0m'
else
	B='' G='' R='' D='' N=''
fi
section() { printf '\n%s%s%s\n' "$B" "$*" "$N"; }
say() { printf '  %s\n' "$*"; }
show_cmd() { printf '  %s$ %s%s\n' "$B" "$*" "$N"; }
outcome() { # allowed|refused TEXT
	if [ "$1" = allowed ]; then
		printf '  %s=> ALLOWED%s %s\n' "$G" "$N" "$2"
	else
		printf '  %s=> REFUSED%s %s\n' "$R" "$N" "$2"
	fi
}
# The keyauth records since the mark, labelled with who wrote them. sshd
# runs the helper twice for one key (when the key is offered, and again
# with the signature): identical records are shown once, with a count.
show_records() {
	local line label rec prev='' prevlabel='' n=0 count=0
	flush() {
		[ -n "$prev" ] || return 0
		printf '  %saudit%s %s%s\n         %s\n' "$D" "$N" "$prevlabel" \
		    "$([ $count -gt 1 ] && echo " (x$count: key offered, then used)")" "$prev"
	}
	while IFS= read -r line; do
		case $line in *": event="*) ;; *) continue ;; esac
		rec="event=${line#*: event=}"
		case $line in
		*pam_keyauth*) label="pam_keyauth.so" ;;
		*keyauth-authorized-keys*) label="keyauth-authorized-keys" ;;
		*) label="?" ;;
		esac
		n=$((n + 1))
		if [ "$rec" = "$prev" ]; then
			count=$((count + 1))
			continue
		fi
		flush
		prev=$rec prevlabel=$label count=1
	done < <(e2e_syslog_lines)
	flush
	[ $n -gt 0 ] || printf '  %saudit%s (no keyauth record: see why below)\n' "$D" "$N"
}
# sshd's own log lines since the mark that match PATTERN.
show_sshd() {
	e2e_sshd_lines | grep -E "$1" | sed -e 's/^.*: \(Authentication \)/\1/' -e 's/^/  sshd:  /'
}

demo_cleanup() {
	local port=${E2E_PORT:-}
	e2e_cleanup
	section "Cleaning up"
	local left=
	id "$E2E_USER" >/dev/null 2>&1 && left="$left user $E2E_USER;"
	id "$E2E_HELPER_USER" >/dev/null 2>&1 && left="$left user $E2E_HELPER_USER;"
	[ -e "$E2E_PAMFILE" ] && left="$left $E2E_PAMFILE;"
	[ -e "$E2E_PREFIX" ] && left="$left $E2E_PREFIX;"
	if [ -n "$port" ] && ss -Hltn | awk '{print $4}' | grep -q ":$port\$"; then
		left="$left port $port;"
	fi
	if [ -n "$left" ]; then
		say "${R}could not remove:${N}$left"
		return 1
	fi
	say "stopped sshd, removed users $E2E_USER and $E2E_HELPER_USER,"
	say "$E2E_PAMFILE and $E2E_PREFIX."
	say "Cleaned up: nothing of the demo remains."
}

section "keyauth demo: one central SSH key policy, enforced by a real sshd"
say "Everything below runs on this machine and is removed when the demo ends"
say "(also on Ctrl-C)."

e2e_init kademo
t_extra_cleanup=demo_cleanup
trap 'printf "\n%sInterrupted.%s\n" "$B" "$N"; exit 130' INT TERM HUP
U=$E2E_USER

section "1. Setting up"
e2e_install_make
say "installed keyauth with 'make install DESTDIR=$E2E_PREFIX/inst'"
e2e_users
say "created the login account $U, and $E2E_HELPER_USER, the unprivileged"
say "user that sshd runs keyauth-authorized-keys as"
for k in alice bob vendor carol; do e2e_keygen "$k" ed25519; done
say "made four ed25519 key pairs with ssh-keygen: alice, bob, vendor, carol"
e2e_policy "$E2E_SRC/policies/demo.yaml.in" "$T/policy.yaml" \
    KEY_ALICE="$(e2e_pub alice)" KEY_BOB="$(e2e_pub bob)" FP_BOB="$(e2e_fp bob)" \
    KEY_VENDOR="$(e2e_pub vendor)" KEY_CAROL="$(e2e_pub carol)"
e2e_sshd_start
say "started sshd on 127.0.0.1 port $E2E_PORT with PAM service $E2E_SERVICE"
say "(its own config; the system's sshd and PAM files are not touched)"

section "2. The policy"
say "One YAML file says which key may log into which account, from where"
say "and until when (key material shortened here):"
echo
sed -e '/^#/d' -e 's/\(ssh-ed25519 [A-Za-z0-9+\/]\{12\}\)[A-Za-z0-9+\/=]*\( .*\)\{0,1\}$/\1...\2/' \
    -e 's/\(SHA256:[A-Za-z0-9+\/]\{12\}\)[A-Za-z0-9+\/]*/\1.../' \
    -e 's/^/    /' "$T/policy.yaml"
echo
show_cmd "keyauthctl install policy.yaml"
out=$(e2e_ctl install "$T/policy.yaml" 2>&1) || {
	printf '%s\n' "$out"
	e2e_die "keyauthctl install failed"
}
[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/  /'
say "It validated the file, compiled it into an index for host $E2E_HOST,"
say "and wrote a KRL of the revoked keys for sshd's RevokedKeys."
say "sshd asks keyauth-authorized-keys for the keys of an account, and"
say "pam_keyauth.so checks the same policy again when the session opens."

say
say "${D}Every ssh command below also gets -F /dev/null -o BatchMode=yes"
say "-o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null.${N}"

# demo_login TITLE KEY USER ADDR [-b SRC] -- COMMAND
demo_login() {
	local title=$1 key=$2 user=$3 addr=$4 shown rc=0
	shift 4
	section "$title"
	shown="ssh -i keys/$key"
	[ "${1:-}" = -b ] && shown="$shown -b $2"
	shown="$shown -p $E2E_PORT $user@$addr"
	[ "${*: -1}" != -- ] && shown="$shown '${*: -1}'"
	show_cmd "$shown"
	e2e_mark
	e2e_login "$key" "$user" "$addr" "$@" || rc=$?
	if [ $rc -eq 0 ]; then
		outcome allowed "and the command printed: $E2E_OUT"
		e2e_find_record session "" >/dev/null
	else
		outcome refused "(ssh: ${E2E_ERR:-exit $rc})"
		sleep 0.3
	fi
	show_records
	return $rc
}

demo_login "3. Alice logs in with her key" alice "$U" 127.0.0.1 -- 'echo hello from $(hostname) as $(id -un)'
say "The helper served her key to sshd (event=lookup); the PAM module allowed"
say "the account (event=account) and confirmed the key at session start."

demo_login "4. Bob's key was revoked (laptop stolen)" bob "$U" 127.0.0.1 -- 'echo hello'
say "sshd refused the key itself, from the KRL that keyauthctl install wrote:"
show_sshd 'revoked by file'

demo_login "5. The vendor's support key, used from the wrong address" vendor root 127.0.0.1 -b 127.0.0.2 -- 'id -un'
say "keyauth gave sshd the key only with from=\"127.0.0.1\" (the admin-net"
say "network), so sshd refused this connection from 127.0.0.2:"
show_sshd 'not from a permitted host'

demo_login "6. The same key from the admin network" vendor root 127.0.0.1 -- 'id -un'

demo_login "7. Carol's grant expired on 2024-06-30" carol "$U" 127.0.0.1 -- 'echo hello'
say "An expired grant is never given to sshd: the lookup record says why."

section "8. Asking keyauth why: keyauthctl explain"
say "The security team can ask the installed policy about any login, without"
say "trying it. Why was the vendor refused from 127.0.0.2?"
show_cmd "keyauthctl explain root keys/vendor.pub --from 127.0.0.2"
rc=0
out=$(e2e_ctl explain root "$E2E_KEYS/vendor.pub" --from 127.0.0.2 2>&1) || rc=$?
printf '%s\n' "$out" | sed 's/^/    /'
say "(exit code $rc: 0 allowed, 1 denied)"

section "Next steps"
say "docs/ explains the policy format, the sshd and PAM setup and the audit"
say "records; ./dev test runs the whole test suite."
exit 0
