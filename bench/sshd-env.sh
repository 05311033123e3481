#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/sshd-env.sh MODE KEY INFO [FILE]: one real sshd on loopback for the
# login benchmark, set up by tests/e2e/lib.sh exactly as the end-to-end
# tests do (own user, root-owned prefix under /var/lib, PAM service,
# private mount namespace with a syslog sink). Started in the background
# by bench/run.sh; it writes "PORT USER" to INFO once sshd listens and runs
# until INFO is removed (or it gets SIGTERM); the EXIT trap of lib.sh then
# removes everything it made.
#   MODE keyauth  FILE is a policy whose keys: list ends the file; an entry
#                 granting KEY to the login user is appended, the result
#                 installed with keyauthctl; sshd uses the helper and
#                 pam_keyauth (AuthorizedKeysFile none).
#   MODE ak       FILE (optional) holds authorized_keys lines; KEY is added
#                 as the last line; sshd reads that file, with no keyauth
#                 at all (no AuthorizedKeysCommand, no pam_keyauth).
# KEY is the private key; KEY.pub its public half.
# Variants for bench/ssh-breakdown.sh (environment; unset = as above):
#   BENCH_PAM=none|permit   the PAM lines of pam_keyauth dropped, or with
#                 pam_permit.so in their place (rest of the stack unchanged)
#   BENCH_SSHD="KEYWORD VALUE ..."  more sshd_config overrides (no spaces
#                 in a value), e.g. "RevokedKeys -"
#   BENCH_AKC=1   (ak) no AuthorizedKeysFile: sshd runs bench/akc-cat, a
#                 trivial AuthorizedKeysCommand printing the file's lines
#   BENCH_KRL=FILE  (ak) a copy of FILE (the KRL a keyauth instance
#                 installed) as RevokedKeys, instead of none: plain sshd
#                 paying for the same revocations as keyauth does
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
mode=$1 key=$2 info=$3 file=${4:-}
. "$top_srcdir/tests/e2e/lib.sh"

e2e_init kabench
e2e_users
# The spool on tmpfs, as /run/keyauth is in production: on a disk the
# handoff record's fsync would be measured instead of keyauth.
mount -t tmpfs -o "size=1m,mode=0700,uid=$(id -u "$E2E_HELPER_USER"),gid=$(id -g "$E2E_HELPER_USER")" \
    keyauth-bench-spool "$E2E_SPOOL" || e2e_die "cannot mount a tmpfs spool"
t_extra_cleanup="e2e_sshd_stop; umount '$E2E_SPOOL'; e2e_cleanup"
pub=$(cut -d' ' -f1,2 "$key.pub")
# lib.sh writes the PAM service from KA_PAM (empty: its lines dropped).
bench_pam() {
	case ${BENCH_PAM:-} in
	'') ;;
	none) KA_PAM= ;;
	permit) KA_PAM=pam_permit.so ;;
	*) e2e_die "BENCH_PAM: none or permit" ;;
	esac
}
case $mode in
keyauth)
	e2e_install_build
	{
		cat "$file"
		printf '  - id: bench-login\n    owner: bench@example.com\n'
		printf '    key: %s bench-login\n    accounts: [%s]\n' "$pub" "$E2E_USER"
	} >"$T/policy.yaml"
	chmod 0644 "$T/policy.yaml"
	e2e_policy_install "$T/policy.yaml"
	bench_pam
	# shellcheck disable=SC2086
	e2e_sshd_start ${BENCH_SSHD:-}
	;;
ak)
	ak="$E2E_PREFIX/etc/authorized_keys"
	{
		[ -z "$file" ] || cat "$file"
		printf '%s bench-login\n' "$pub"
	} >"$ak"
	chmod 0644 "$ak"
	KA_PAM='' KA_HELPER=''
	bench_pam
	krl=-
	if [ -n "${BENCH_KRL:-}" ]; then
		# A copy in this instance's root-owned prefix, checked to be the
		# same bytes: the comparison is only fair with the same KRL.
		krl="$E2E_PREFIX/etc/revoked.krl"
		install -m 0644 -o root -g root "$BENCH_KRL" "$krl" || e2e_die "cannot copy $BENCH_KRL"
		cmp -s "$BENCH_KRL" "$krl" || e2e_die "the KRL copy differs from $BENCH_KRL"
	fi
	if [ -n "${BENCH_AKC:-}" ]; then
		install -m 0755 -o root -g root "$top_builddir/bench/akc-cat" "$E2E_PREFIX/libexec/akc-cat"
		# shellcheck disable=SC2086
		e2e_sshd_start AuthorizedKeysFile none \
		    AuthorizedKeysCommand "$E2E_PREFIX/libexec/akc-cat $ak %u %f %t %k" \
		    AuthorizedKeysCommandUser "$E2E_HELPER_USER" RevokedKeys "$krl" ${BENCH_SSHD:-}
	else
		# shellcheck disable=SC2086
		e2e_sshd_start AuthorizedKeysFile "$ak" AuthorizedKeysCommand - \
		    AuthorizedKeysCommandUser - RevokedKeys "$krl" ${BENCH_SSHD:-}
	fi
	;;
*)
	e2e_die "unknown mode $mode"
	;;
esac
# The KRL's path, for ssh-breakdown.sh to time sshd's parse of it.
[ "$mode" != keyauth ] || printf '%s\n' "$E2E_KRL" >"$info.krl"
printf '%s %s\n' "$E2E_PORT" "$E2E_USER" >"$info.tmp"
mv "$info.tmp" "$info"
while [ -e "$info" ]; do
	e2e_alive "$E2E_SSHD_PID" || e2e_die "sshd ($mode) died"
	sleep 0.5
done
exit 0
