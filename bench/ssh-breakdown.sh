#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/ssh-breakdown.sh [-n KEYS] [-r RUNS]: where the time of a keyauth
# ssh login goes (docs/performance.md, "ssh login"). Run as root after a
# build, like bench/run.sh (whose cached policies it uses):
#   top_builddir=BUILD bench/ssh-breakdown.sh [-n KEYS] [-r RUNS]
#
# Starts one sshd per variant with bench/sshd-env.sh (same user setup,
# PAM service, namespace and syslog sink as the benchmark) and times
# `ssh host true` against all of them interleaved by bench/runner:
#   a  keyauth: helper, RevokedKeys, pam_keyauth (account + session)
#   b  a without RevokedKeys
#   c  a without the pam_keyauth lines (PAM stack otherwise the same)
#   h  a without both: the helper alone
#   d  AuthorizedKeysCommand = bench/akc-cat (prints the key line), no
#      RevokedKeys, no pam_keyauth: sshd's cost of running a command
#   e  the 1-key authorized_keys file, no keyauth at all (the baseline)
#   k  e with RevokedKeys = a copy of a's KRL (like for like with a)
#   f  e with pam_permit.so where a has pam_keyauth
# Every variant uses the same sshd_config template (tests/e2e/sshd_config.in)
# and PAM template; only the lines named above differ. After the table it
# prints a - e split into sshd's KRL (k - e), the helper (c - k) and
# pam_keyauth (a - c), each the median of round-by-round differences
# (bench/paired.awk), and what one KRL check costs (ssh-keygen -Q).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u

N=1000000 RUNS=40
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=${2:?}; shift ;;
	-r) RUNS=${2:?}; shift ;;
	*) echo "usage: bench/ssh-breakdown.sh [-n KEYS] [-r RUNS]" >&2; exit 2 ;;
	esac
	shift
done

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
export top_srcdir top_builddir
: "${SSH_KEYGEN:=ssh-keygen}" "${SSHD:=/usr/sbin/sshd}"
export SSH_KEYGEN SSHD

die() { printf 'ssh-breakdown: %s\n' "$*" >&2; exit 1; }
say() { printf '# %s\n' "$*" >&2; }
[ "$(id -u)" = 0 ] || die "needs root"
B=$top_builddir
RUNNER=$B/bench/runner
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$B" all bench/gen-policy \
    bench/runner bench/akc-cat tests/e2e/syslog-sink >/dev/null || die "build failed"
DATA=$B/bench/data
POLICY=$DATA/policy-$N.yaml
if [ ! -s "$POLICY" ]; then
	mkdir -p "$DATA"
	if ! "$B/bench/gen-policy" -n "$N" >"$POLICY.tmp" || ! mv "$POLICY.tmp" "$POLICY"; then
		die "gen-policy -n $N failed"
	fi
fi

W=$(mktemp -d /var/lib/keyauth-bench.XXXXXX) || die "mktemp"
chmod 0755 "$W"
ENV_PIDS=
cleanup() {
	local p
	rm -f "$W"/sshd-*.info
	for p in $ENV_PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $ENV_PIDS; do wait "$p" 2>/dev/null; done
	case $W in /var/lib/keyauth-bench.?*) rm -rf --one-file-system "$W" ;; esac
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
"$SSH_KEYGEN" -q -t ed25519 -N '' -C bench-login -f "$W/login" </dev/null || die "ssh-keygen"

start_env() { # NAME MODE FILE [VAR=VALUE...]
	local name=$1 mode=$2 file=$3
	shift 3
	env "$@" bash "$top_srcdir/bench/sshd-env.sh" "$mode" "$W/login" "$W/sshd-$name.info" \
	    ${file:+"$file"} >"$W/env-$name.log" 2>&1 &
	ENV_PIDS="$ENV_PIDS $!"
}
say "starting 8 sshd (4 install the $N-key policy)"
start_env a keyauth "$POLICY"
start_env b keyauth "$POLICY" "BENCH_SSHD=RevokedKeys -"
start_env c keyauth "$POLICY" BENCH_PAM=none
start_env h keyauth "$POLICY" BENCH_PAM=none "BENCH_SSHD=RevokedKeys -"
start_env d ak "" BENCH_AKC=1
start_env e ak ""
start_env f ak "" BENCH_PAM=permit
wait_env() {
	local i=0
	while [ ! -s "$W/sshd-$1.info" ]; do
		i=$((i + 1))
		[ $i -le 1200 ] || { cat "$W"/env-*.log >&2; die "sshd ($1) did not come up"; }
		sleep 0.5
	done
}
# k needs the KRL a installed.
wait_env a
start_env k ak "" "BENCH_KRL=$(cat "$W/sshd-a.info.krl")"
for v in a b c h d e k f; do
	wait_env $v
done
sshcmd() {
	local port user
	read -r port user <"$W/sshd-$1.info"
	echo "ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=no" \
	    "-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -i $W/login -p $port $user@127.0.0.1 true"
}
args=()
for v in a b c h d e k f; do
	# shellcheck disable=SC2091 # runs the command sshcmd prints
	$(sshcmd $v) </dev/null >/dev/null 2>&1 || { cat "$W/env-$v.log" >&2; die "ssh login ($v) failed"; }
	[ ${#args[@]} -eq 0 ] || args+=(::)
	# shellcheck disable=SC2207
	args+=("$v" $(sshcmd $v))
done
load0=$(cut -d' ' -f1-3 /proc/loadavg)
say "ssh logins, 8 variants interleaved, $RUNS runs each (load $load0)"
"$RUNNER" -w 5 -n "$RUNS" -o "$W/ssh.raw" "${args[@]}" >"$W/ssh.res" || die "runner failed"
load1=$(cut -d' ' -f1-3 /proc/loadavg)
# What sshd does with RevokedKeys for each key it checks (twice per
# login): read and parse the whole KRL. ssh-keygen -Q runs the same code
# (ssh_krl_file_contains_key); against a KRL of one entry for comparison.
KRL=$(cat "$W/sshd-a.info.krl")
KRLN=$("$SSH_KEYGEN" -Qlf "$KRL" | grep -c '^hash: ')
"$SSH_KEYGEN" -q -t ed25519 -N '' -f "$W/other" </dev/null
"$SSH_KEYGEN" -k -f "$W/one.krl" "$W/other.pub" >/dev/null 2>&1 || die "ssh-keygen -k"
"$RUNNER" -w 5 -n 30 krl1 "$SSH_KEYGEN" -Q -f "$W/one.krl" "$W/login.pub" \
    :: krlN "$SSH_KEYGEN" -Q -f "$KRL" "$W/login.pub" >"$W/krl.res" || die "ssh-keygen -Q failed"
base=$(awk '$1 == "e" { print $2 }' "$W/ssh.res")
echo "ssh login breakdown, $N keys, $(date -u +%Y-%m-%dT%H:%M:%SZ), medians of $RUNS interleaved runs;" \
    "load average $load0 -> $load1"
echo
echo "| variant | median | vs e | minus e | min |"
echo "|---|---|---|---|---|"
while read -r name med _ min _; do
	case $name in
	a) d="a keyauth: helper + RevokedKeys + pam_keyauth" ;;
	b) d="b a without RevokedKeys" ;;
	c) d="c a without pam_keyauth (account, session)" ;;
	h) d="h helper only (no RevokedKeys, no pam_keyauth)" ;;
	d) d="d trivial AuthorizedKeysCommand (akc-cat)" ;;
	e) d="e 1-key authorized_keys (baseline)" ;;
	k) d="k e + RevokedKeys = a's KRL (like for like)" ;;
	f) d="f e + pam_permit where a has pam_keyauth" ;;
	esac
	awk -v d="$d" -v m="$med" -v b="$base" -v lo="$min" \
	    'BEGIN { printf "| %s | %.1f ms | %.3f | %+.1f ms | %.1f ms |\n", d, m / 1000, m / b, (m - b) / 1000, lo / 1000 }'
done <"$W/ssh.res"
echo
# a - e split into three shares that add up to it, each the median of
# the round-by-round differences with a 95 % interval (bench/paired.awk).
pair() { # LABEL A B
	awk -v a="$2" -v b="$3" -f "$top_srcdir/bench/paired.awk" "$W/ssh.raw" |
	    awk -v l="$1" '{ printf "%s: %+.1f ms (95 %% interval %+.1f to %+.1f ms)\n", l, $1 / 1000, $2 / 1000, $3 / 1000 }'
}
pair "keyauth's extra time, a - e" a e
pair "  sshd's KRL, k - e" k e
pair "  the helper, c - k" c k
pair "  pam_keyauth (account, session), a - c" a c
awk -v n="$KRLN" -v sz="$(stat -c %s "$KRL")" '{ m[$1] = $2 } END {
	printf "KRL check (ssh-keygen -Q, what sshd runs per key check): %d-entry KRL (%d bytes) %.1f ms, 1-entry KRL %.1f ms: %+.1f ms per check\n",
	    n, sz, m["krlN"] / 1000, m["krl1"] / 1000, (m["krlN"] - m["krl1"]) / 1000 }' "$W/krl.res"
