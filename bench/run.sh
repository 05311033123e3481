#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/run.sh [--quick] [-n KEYS]: keyauth's performance table (docs/performance.md,
# docs/performance.md). Run as root from anywhere, after a build:
#   make -C BUILD bench [BENCH_ARGS=--quick]      or      ./dev bench [--quick]
#   top_builddir=BUILD bench/run.sh [--quick]
#
# Every figure is a median over whole-process runs after a warm-up, and
# every ratio compares commands timed in the same run, interleaved
# round-robin by bench/runner, because absolute times drift on a shared
# machine. Default: 1,000,000 keys (about 5 minutes the first time, the
# generated policies are cached in BUILD/bench/data); --quick: 100,000.
#
# What it measures (targets in docs/performance.md):
#   helper     keyauth-authorized-keys, index of N keys vs 10 keys (<= 1.2)
#              and vs bench/floor, a C program reading one small file (<= 1.5)
#   ssh        `ssh host true` against a real sshd on loopback: keyauth at N
#              keys vs a 1-key authorized_keys file (<= 1.05), vs a 1-key
#              authorized_keys file with the same KRL as RevokedKeys (like
#              for like, <= 1.05), a 100,000-key authorized_keys file (key
#              last) vs 1-key (reported), and where keyauth's extra time
#              goes: sshd's KRL, the helper, pam_keyauth (reported; the
#              variants of bench/ssh-breakdown.sh, in the same run)
#   pam        pamtester acct_mgmt, pam_keyauth (N-key index) vs pam_permit (<= 1.3);
#              the same in bench/pam-login, a process with libcrypto loaded
#              and initialised as sshd has it, account and account + session
#              (reported)
#   install    keyauthctl install of the N-key policy: wall time, peak RSS
#              (<= 20 s, <= 1 GiB at 1M keys)
#   check      keyauthctl check of a 100,000-key policy (reported)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u

N=1000000
MODE=full
while [ $# -gt 0 ]; do
	case $1 in
	--quick) N=100000 MODE=quick ;;
	-n) N=${2:?}; shift ;;
	-h | --help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "usage: bench/run.sh [--quick] [-n KEYS]" >&2; exit 2 ;;
	esac
	shift
done

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
export top_srcdir top_builddir
: "${SSH_KEYGEN:=ssh-keygen}" "${PAMTESTER:=pamtester}" "${SSHD:=/usr/sbin/sshd}"
export SSH_KEYGEN PAMTESTER SSHD

die() { printf 'bench: %s\n' "$*" >&2; exit 1; }
say() { printf '# %s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || die "needs root (sshd, PAM services, users)"
for t in "$PAMTESTER" "$SSHD" ssh "$SSH_KEYGEN" /usr/bin/time unshare useradd; do
	command -v "$t" >/dev/null 2>&1 || die "$t not found"
done

B=$top_builddir
GEN=$B/bench/gen-policy RUNNER=$B/bench/runner FLOOR=$B/bench/floor
PAMLOGIN=$B/bench/pam-login
CAPTURE=$B/tests/pam/pam-syslog-capture
HELPER=$B/authorized-keys-command/keyauth-authorized-keys
CTL=$B/keyauthctl/keyauthctl
PAMMOD=$B/pam_keyauth/.libs/pam_keyauth.so
[ -x "$HELPER" ] && [ -x "$CTL" ] && [ -f "$PAMMOD" ] ||
    die "build first (make -C $B): helper, keyauthctl or pam_keyauth.so missing"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$B" bench/gen-policy \
    bench/runner bench/floor bench/pam-login tests/pam/pam-syslog-capture tests/e2e/syslog-sink \
    >/dev/null || die "cannot build the benchmark programs"

started=$(date +%s)
load0=$(cut -d' ' -f1-3 /proc/loadavg)

# ------------------------------------------------------------ the data
# Generated once per size and cached; regenerated when gen-policy changes.
DATA=$B/bench/data
mkdir -p "$DATA"
gen() { # FILE ARGS...
	local f=$1
	shift
	if [ ! -s "$f" ] || [ "$GEN" -nt "$f" ]; then
		say "generating $(basename "$f")"
		"$GEN" "$@" >"$f.tmp" && mv "$f.tmp" "$f" || die "gen-policy $* failed"
	fi
}
gen "$DATA/policy-10.yaml" -n 10
gen "$DATA/policy-100000.yaml" -n 100000
gen "$DATA/policy-$N.yaml" -n "$N"
gen "$DATA/ak-100000.txt" -a -n 100000

# A private, root-owned work directory (the index and its parents must
# not be writable by others, so not /tmp).
W=$(mktemp -d /var/lib/keyauth-bench.XXXXXX) || die "mktemp"
chmod 0755 "$W"
ENV_PIDS=
SVC="keyauth-bench-$$"
cleanup() {
	local p
	rm -f "$W"/sshd-*.info
	for p in $ENV_PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $ENV_PIDS; do
		wait "$p" 2>/dev/null
	done
	rm -f "/etc/pam.d/$SVC" "/etc/pam.d/$SVC-permit"
	[ -z "${SPOOL:-}" ] || umount "$SPOOL" 2>/dev/null
	case $W in /var/lib/keyauth-bench.?*) rm -rf --one-file-system "$W" ;; esac
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
# The handoff spool lives on tmpfs, as /run/keyauth does in production
# (on a disk, the record's fsync would dominate the helper's cost; this
# machine's /run may be a plain directory).
SPOOL=$W/spool
mkdir "$SPOOL"
mount -t tmpfs -o size=1m,mode=0700 keyauth-bench-spool "$SPOOL" || die "cannot mount a tmpfs spool"

"$SSH_KEYGEN" -q -t ed25519 -N '' -C bench-login -f "$W/login" </dev/null || die "ssh-keygen"
read -r KTYPE KB64 _ <"$W/login.pub"
KFP=$("$SSH_KEYGEN" -lf "$W/login.pub" | awk '{print $2}')
ACCT=kabench # helper and PAM: an account of the policy, no Unix user needed

policy_with_login() { # IN OUT
	{
		cat "$1"
		printf '  - id: bench-login\n    owner: bench@example.com\n'
		printf '    key: %s %s bench-login\n    accounts: [%s]\n' "$KTYPE" "$KB64" "$ACCT"
	} >"$2"
	chmod 0644 "$2"
}
ctl() { "$CTL" --host web-01 "$@"; }

# ------------------------------------------------------------- install
say "keyauthctl install: 10 keys, then $N keys"
policy_with_login "$DATA/policy-10.yaml" "$W/small.yaml"
policy_with_login "$DATA/policy-$N.yaml" "$W/big.yaml"
mkdir -m 0755 "$W/small" "$W/big"
ctl --index "$W/small/policy.cdb" --krl "$W/small/revoked.krl" --state "$W/small/state" \
    install "$W/small.yaml" >"$W/install-small.out" 2>&1 ||
    { cat "$W/install-small.out" >&2; die "install of the small policy failed"; }
sync
/usr/bin/time -f '%e %M %U %S' -o "$W/install.time" "$CTL" --host web-01 \
    --index "$W/big/policy.cdb" --krl "$W/big/revoked.krl" --state "$W/big/state" \
    install "$W/big.yaml" >"$W/install-big.out" 2>&1 ||
    { cat "$W/install-big.out" >&2; die "install of the $N-key policy failed"; }
read -r INST_S INST_KB INST_U INST_SYS <"$W/install.time"
YAML_MB=$(($(stat -c %s "$W/big.yaml") / 1048576))
CDB_MB=$(($(stat -c %s "$W/big/policy.cdb") / 1048576))

say "keyauthctl check of 100,000 keys"
policy_with_login "$DATA/policy-100000.yaml" "$W/check.yaml"
"$RUNNER" -w 1 -n 5 check "$CTL" --host web-01 check "$W/check.yaml" >"$W/check.res" ||
    die "keyauthctl check failed"

# ------------------------------------------------------- sshd instances
# Started now (the keyauth ones install the N-key policy again, for their
# own login user); every measurement below waits until all of them listen.
#   keyauth  helper + RevokedKeys (its KRL) + pam_keyauth, as installed
#   kanopam  keyauth without the pam_keyauth lines (ssh-breakdown.sh's c)
#   ak1      plain sshd, 1-key authorized_keys, no RevokedKeys
#   ak1krl   ak1 with RevokedKeys = a copy of keyauth's KRL (like for like)
#   ak100k   plain sshd, 100,000-key authorized_keys (key last)
ENVS="keyauth kanopam ak1 ak1krl ak100k"
say "starting five sshd on loopback (keyauth at $N keys with and without pam_keyauth;" \
    "1-key authorized_keys with and without keyauth's KRL; 100,000-key authorized_keys)"
start_env() { # NAME MODE FILE [VAR=VALUE...]
	local name=$1 mode=$2 file=$3
	shift 3
	env "$@" bash "$top_srcdir/bench/sshd-env.sh" "$mode" "$W/login" "$W/sshd-$name.info" \
	    ${file:+"$file"} >"$W/env-$name.log" 2>&1 &
	ENV_PIDS="$ENV_PIDS $!"
}
wait_env() { # NAME
	local i=0
	while [ ! -s "$W/sshd-$1.info" ]; do
		i=$((i + 1))
		# shellcheck disable=SC2086 # a list of pids
		if [ $i -gt 600 ] || ! kill -0 $ENV_PIDS 2>/dev/null; then
			cat "$W"/env-*.log >&2
			die "sshd ($1) did not come up"
		fi
		sleep 0.5
	done
}
start_env keyauth keyauth "$DATA/policy-$N.yaml"
start_env kanopam keyauth "$DATA/policy-$N.yaml" BENCH_PAM=none
start_env ak1 ak ""
start_env ak100k ak "$DATA/ak-100000.txt"
# The like-for-like instance needs the very KRL the keyauth instance
# installed (sshd-env.sh copies it and checks the bytes).
wait_env keyauth
KRL=$(cat "$W/sshd-keyauth.info.krl")
[ -s "$KRL" ] || die "the keyauth instance has no KRL ($KRL)"
start_env ak1krl ak "" "BENCH_KRL=$KRL"

# Nothing else of ours may run while we measure: wait until all of them
# listen (the keyauth ones have installed their policy by then).
say "waiting for the sshd instances"
for e in $ENVS; do
	wait_env "$e"
done
# --------------------------------------------------------------- helper
say "helper: $N-key index vs 10-key index vs the floor"
printf 'a small file the floor program reads\n' >"$W/floor.txt"
hcmd() { echo "$HELPER -H web-01 -i $W/$1/policy.cdb -s $SPOOL $ACCT $KFP $KTYPE $KB64"; }
for ix in small big; do
	out=$($(hcmd $ix) 2>&1) || die "helper failed on the $ix index"
	case $out in *"keyauth:bench-login") ;; *) die "helper ($ix) did not serve the key: $out" ;; esac
done
if [ $MODE = quick ]; then hw=10 hn=150; else hw=20 hn=300; fi
# shellcheck disable=SC2046
"$CAPTURE" "$W/helper-syslog" "$RUNNER" -w $hw -n $hn floor "$FLOOR" "$W/floor.txt" \
    :: helper10 $(hcmd small) :: helperN $(hcmd big) >"$W/helper.res" ||
    die "helper benchmark failed"

# ------------------------------------------------------------------ PAM
say "PAM: pamtester acct_mgmt and bench/pam-login (libcrypto loaded), pam_keyauth ($N keys) vs pam_permit"
# The session lines are for bench/pam-login's "both"; pamtester's
# acct_mgmt runs the account lines only.
{
	echo "account required $PAMMOD index=$W/big/policy.cdb spool=$SPOOL host=web-01"
	echo "session required $PAMMOD index=$W/big/policy.cdb spool=$SPOOL host=web-01"
} >"/etc/pam.d/$SVC"
printf 'account required pam_permit.so\nsession required pam_permit.so\n' >"/etc/pam.d/$SVC-permit"
PCONN="SSH_CONNECTION=192.0.2.10 50000 192.0.2.1 22"
PINFO="SSH_AUTH_INFO_0=publickey $KTYPE $KB64"
"$CAPTURE" "$W/pam-syslog" "$PAMTESTER" -E "$PCONN" -E "$PINFO" "$SVC" "$ACCT" acct_mgmt \
    >/dev/null 2>&1 || die "pam_keyauth refused the bench key"
! "$CAPTURE" "$W/pam-syslog" "$PAMTESTER" -E "$PCONN" -E "$PINFO" "$SVC" root acct_mgmt \
    >/dev/null 2>&1 || die "pam_keyauth allowed an account the policy does not grant"
grep -q 'decision=allow reason=allowed' "$W/pam-syslog" || die "no allow record from pam_keyauth"
: >"$W/pam-syslog"
"$CAPTURE" "$W/pam-syslog" "$PAMLOGIN" "$SVC" "$ACCT" both "$PCONN" "$PINFO" \
    >/dev/null 2>&1 || die "pam_keyauth refused the bench key in bench/pam-login"
! "$CAPTURE" "$W/pam-syslog" "$PAMLOGIN" "$SVC" root both "$PCONN" "$PINFO" \
    >/dev/null 2>&1 || die "pam_keyauth allowed an account the policy does not grant (pam-login)"
grep -q 'pam_keyauth(.*:session): .*decision=allow' "$W/pam-syslog" ||
    die "no session allow record from pam_keyauth in bench/pam-login"
if [ $MODE = quick ]; then pw=10 pn=150; else pw=20 pn=300; fi
"$CAPTURE" "$W/pam-syslog" "$RUNNER" -w $pw -n $pn \
    permit "$PAMTESTER" -E "$PCONN" -E "$PINFO" "$SVC-permit" "$ACCT" acct_mgmt \
    :: keyauth "$PAMTESTER" -E "$PCONN" -E "$PINFO" "$SVC" "$ACCT" acct_mgmt \
    :: cpermit "$PAMLOGIN" "$SVC-permit" "$ACCT" acct "$PCONN" "$PINFO" \
    :: ckeyauth "$PAMLOGIN" "$SVC" "$ACCT" acct "$PCONN" "$PINFO" \
    :: cspermit "$PAMLOGIN" "$SVC-permit" "$ACCT" both "$PCONN" "$PINFO" \
    :: cskeyauth "$PAMLOGIN" "$SVC" "$ACCT" both "$PCONN" "$PINFO" \
    >"$W/pam.res" || die "PAM benchmark failed"

# ------------------------------------------------------------------ ssh
sshcmd() { # ENV
	local port user
	read -r port user <"$W/sshd-$1.info"
	echo "ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=no" \
	    "-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -i $W/login -p $port $user@127.0.0.1 true"
}
sargs=()
for e in $ENVS; do
	# shellcheck disable=SC2091 # runs the command sshcmd prints
	$(sshcmd "$e") </dev/null >/dev/null 2>&1 || { cat "$W/env-$e.log" >&2; die "ssh login ($e) failed"; }
	[ ${#sargs[@]} -eq 0 ] || sargs+=(::)
	# shellcheck disable=SC2207
	sargs+=("$e" $(sshcmd "$e"))
done
say "ssh logins (interleaved)"
if [ $MODE = quick ]; then sw=3 sn=20; else sw=5 sn=60; fi
"$RUNNER" -w $sw -n $sn -o "$W/ssh.raw" "${sargs[@]}" >"$W/ssh.res" || die "ssh benchmark failed"
KRLN=$("$SSH_KEYGEN" -Qlf "$KRL" | grep -c '^hash: ')
KRLKB=$(($(stat -c %s "$KRL") / 1024))

# ---------------------------------------------------------------- table
load1=$(cut -d' ' -f1-3 /proc/loadavg)
med() { awk -v n="$2" '$1 == n { print $2 }' "$W/$1.res"; }
ms() { awk -v v="$1" 'BEGIN { printf "%.2f ms", v / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t ? "met" : "MISSED") }'; }
h10=$(med helper helper10) hN=$(med helper helperN) fl=$(med helper floor)
pp=$(med pam permit) pk=$(med pam keyauth)
cp=$(med pam cpermit) ck1=$(med pam ckeyauth) csp=$(med pam cspermit) csk=$(med pam cskeyauth)
s1=$(med ssh ak1) sk=$(med ssh keyauth) s100=$(med ssh ak100k)
s1k=$(med ssh ak1krl)
ck=$(med check check)
r1=$(ratio "$hN" "$h10") r2=$(ratio "$hN" "$fl") r3=$(ratio "$sk" "$s1")
r4=$(ratio "$s100" "$s1") r5=$(ratio "$pk" "$pp")
r6=$(ratio "$sk" "$s1k") r7=$(ratio "$ck1" "$cp") r8=$(ratio "$csk" "$csp")
# A share of keyauth's extra time, A minus B, round by round
# (bench/paired.awk), and as a fraction of the keyauth login.
share() { # A B
	awk -v a="$1" -v b="$2" -v t="$sk" -f "$top_srcdir/bench/paired.awk" "$W/ssh.raw" |
	    awk '{ printf "%+.1f ms (95 %% interval %+.1f to %+.1f ms) | %.1f %% of the login",
		$1 / 1000, $2 / 1000, $3 / 1000, $5 }'
}
diffms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.2f ms", (a - b) / 1000 }'; }
nk=$(printf "%'d" "$N" 2>/dev/null || echo "$N")
inst_gb=$(awk -v k="$INST_KB" 'BEGIN { printf "%.2f", k / 1048576 }')
if [ "$N" -ge 1000000 ]; then
	vt=$(verdict "$INST_S" 20) vm=$(verdict "$INST_KB" 1048576)
else
	vt="(target at 1M)" vm="(target at 1M)"
fi

{
	echo "keyauth benchmark ($MODE): $nk keys, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)," \
	    "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo);" \
	    "load average at start $load0, at end $load1"
	echo "medians of $hn (helper), $pn (PAM), $sn (ssh) interleaved runs after a warm-up;" \
	    "a share is the median of round-by-round differences of one interleaved ssh run"
	echo
	echo "| figure | measured | ratio | target | |"
	echo "|---|---|---|---|---|"
	echo "| helper lookup, $nk-key vs 10-key index | $(ms "$hN") vs $(ms "$h10") | $r1 | <= 1.2 | $(verdict "$r1" 1.2) |"
	echo "| helper lookup at $nk keys vs floor (open+read one file) | $(ms "$hN") vs $(ms "$fl") | $r2 | <= 1.5 | $(verdict "$r2" 1.5) |"
	echo "| ssh login, keyauth at $nk keys vs 1-key authorized_keys | $(ms "$sk") vs $(ms "$s1") | $r3 | <= 1.05 | $(verdict "$r3" 1.05) |"
	echo "| ssh login, keyauth at $nk keys vs 1-key authorized_keys + the same KRL as RevokedKeys ($KRLN revocations, $KRLKB KiB) | $(ms "$sk") vs $(ms "$s1k") | $r6 | <= 1.05 | $(verdict "$r6" 1.05) |"
	echo "| ssh login, keyauth's extra time over 1-key authorized_keys, round by round (the three shares below split it; medians of differences need not add up exactly) | $(share keyauth ak1) | reported | |"
	echo "| ssh login share: sshd's KRL (1-key authorized_keys + KRL minus 1-key) | $(share ak1krl ak1) | reported | |"
	echo "| ssh login share: the helper (keyauth without pam_keyauth minus 1-key + KRL) | $(share kanopam ak1krl) | reported | |"
	echo "| ssh login share: pam_keyauth, account + session (keyauth minus keyauth without pam_keyauth) | $(share keyauth kanopam) | reported | |"
	echo "| ssh login, 100,000-key authorized_keys (key last) vs 1-key | $(ms "$s100") vs $(ms "$s1") | $r4 | reported | |"
	echo "| pamtester acct_mgmt, pam_keyauth ($nk keys) vs pam_permit | $(ms "$pk") vs $(ms "$pp") ($(diffms "$pk" "$pp")) | $r5 | <= 1.3 | $(verdict "$r5" 1.3) |"
	echo "| bench/pam-login (libcrypto loaded, as in sshd) acct_mgmt, pam_keyauth vs pam_permit | $(ms "$ck1") vs $(ms "$cp") ($(diffms "$ck1" "$cp")) | $r7 | reported | |"
	echo "| bench/pam-login account + session, pam_keyauth vs pam_permit | $(ms "$csk") vs $(ms "$csp") ($(diffms "$csk" "$csp")) | $r8 | reported | |"
	echo "| keyauthctl install, $nk keys ($YAML_MB MB YAML, $CDB_MB MB index): wall | $INST_S s (user $INST_U s, sys $INST_SYS s) | | <= 20 s | $vt |"
	echo "| keyauthctl install, $nk keys: peak RSS | $inst_gb GiB ($INST_KB KB) | | <= 1 GiB | $vm |"
	echo "| keyauthctl check, 100,000 keys (median of 5) | $(ms "$ck") | | reported | |"
	echo
	echo "total time of this run: $(($(date +%s) - started)) s"
} | tee "$B/bench/results-$MODE.md"
# Every login's time, for a second look at the shares (bench/paired.awk).
cp "$W/ssh.raw" "$B/bench/ssh-runs-$MODE.txt"
bash "$top_srcdir/bench/install.sh" -n "$N" || die "install benchmark (bench/install.sh) failed"
