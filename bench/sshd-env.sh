#!/bin/bash
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
	e2e_sshd_start
	;;
ak)
	ak="$E2E_PREFIX/etc/authorized_keys"
	{
		[ -z "$file" ] || cat "$file"
		printf '%s bench-login\n' "$pub"
	} >"$ak"
	chmod 0644 "$ak"
	KA_PAM= KA_HELPER=
	e2e_sshd_start AuthorizedKeysFile "$ak" AuthorizedKeysCommand - \
	    AuthorizedKeysCommandUser - RevokedKeys -
	;;
*)
	e2e_die "unknown mode $mode"
	;;
esac
printf '%s %s\n' "$E2E_PORT" "$E2E_USER" >"$info.tmp"
mv "$info.tmp" "$info"
while [ -e "$info" ]; do
	e2e_alive "$E2E_SSHD_PID" || e2e_die "sshd ($mode) died"
	sleep 0.5
done
exit 0
