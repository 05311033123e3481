#!/bin/sh
# Not a test: the cost of pam_keyauth at the account stage, measured as
# pamtester acct_mgmt wall time over N runs with pam_keyauth (a key from
# SSH_AUTH_INFO_0, decided against the installed index) against the same
# stack with pam_permit. Each run is a whole pamtester process, as each
# sshd login is a fresh PAM handle. Run as root from a build directory:
#   top_srcdir=.. top_builddir=. PAMTESTER=/usr/bin/pamtester \
#       sh ../tests/pam/bench-acct.sh [N]
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/pam/pamlib.sh"
N=${1:-1000}
: "${PAMTESTER:=pamtester}"
# The audit records go to a private /dev/log, not the machine's syslog.
if [ -z "${KA_BENCH_CAPTURED:-}" ]; then
	d=$(mktemp -d) || exit 1
	KA_BENCH_CAPTURED=1 "$CAPTURE" "$d/syslog" sh "$0" "$@"
	rc=$?
	echo "audit records: $(wc -l <"$d/syslog")"
	rm -rf "$d"
	exit $rc
fi
pam_setup
SVC="keyauth-bench-$$"
t_extra_cleanup="rm -f '/etc/pam.d/$SVC' '/etc/pam.d/$SVC-permit'"
echo "account required $MOD $COMMON" >"/etc/pam.d/$SVC"
echo "account required pam_permit.so" >"/etc/pam.d/$SVC-permit"
info="SSH_AUTH_INFO_0=$(key_info alice)"
conn="SSH_CONNECTION=192.0.2.10 50000 192.0.2.1 22"
"$PAMTESTER" -E "$conn" -E "$info" "$SVC" alice acct_mgmt >/dev/null || exit 1

run() {
	start=$(date +%s%N)
	i=0
	while [ $i -lt "$N" ]; do
		"$PAMTESTER" -E "$conn" -E "$info" "$1" alice acct_mgmt \
		    >/dev/null 2>&1 || exit 1
		i=$((i + 1))
	done
	end=$(date +%s%N)
	echo $(((end - start) / 1000))
}
t_permit=$(run "$SVC-permit") || exit 1
t_keyauth=$(run "$SVC") || exit 1
echo "command: $PAMTESTER -E '$conn' -E 'SSH_AUTH_INFO_0=publickey ssh-ed25519 ...' SERVICE alice acct_mgmt  (x$N each)"
echo "pam_permit:  $((t_permit / N)) us per run (total $((t_permit / 1000)) ms)"
echo "pam_keyauth: $((t_keyauth / N)) us per run (total $((t_keyauth / 1000)) ms)"
awk -v a="$t_keyauth" -v b="$t_permit" 'BEGIN { printf "ratio keyauth/permit: %.2f\n", a / b }'
