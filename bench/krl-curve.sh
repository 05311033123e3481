#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/krl-curve.sh [-r RUNS] [SIZES...]: what one KRL check costs OpenSSH
# as the KRL grows (docs/performance.md, "KRL size and login cost"): the
# number install warns above (KP_KRL_WARN) is read off this curve.
#   top_builddir=BUILD bench/krl-curve.sh [-r RUNS] [1 1000 10000 50000]
#
# For each size, a KRL of that many revoked fingerprints (hash: lines, as
# keyauthctl install writes them) built by ssh-keygen -k, then
# `ssh-keygen -Q -f KRL KEY` (sshd's ssh_krl_file_contains_key, the load
# sshd pays twice per login) timed by bench/runner, all sizes interleaved.
# Prints the runner's lines and, per size, the extra over the first size.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u

RUNS=20
while [ $# -gt 0 ]; do
	case $1 in
	-r) RUNS=${2:?}; shift ;;
	-*) echo "usage: bench/krl-curve.sh [-r RUNS] [SIZES...]" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
[ $# -gt 0 ] || set -- 1 1000 5000 10000 50000

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
: "${SSH_KEYGEN:=ssh-keygen}"
make -s -C "$top_builddir" bench/runner >/dev/null || exit 1
W=$(mktemp -d /tmp/krl-curve.XXXXXX) || exit 1
trap 'rm -rf "$W"' EXIT
"$SSH_KEYGEN" -q -t ed25519 -N '' -f "$W/key" || exit 1
args=()
for n in "$@"; do
	# distinct well-formed fingerprints; none is the key's
	awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "hash: SHA256:%042dA\n", i }' >"$W/spec.$n"
	"$SSH_KEYGEN" -q -k -f "$W/krl.$n" "$W/spec.$n" || exit 1
	[ ${#args[@]} -eq 0 ] || args+=(::)
	args+=("$n" "$SSH_KEYGEN" -Q -f "$W/krl.$n" "$W/key.pub")
done
echo "# $(ssh -V 2>&1); load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$top_builddir/bench/runner" -w 3 -n "$RUNS" "${args[@]}" | tee "$W/out"
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
awk 'NR == 1 { base = $2 } { printf "%s revocations: median %.1f ms, %+.1f ms per check, %+.1f ms per login (2 checks)\n", $1, $2 / 1000, ($2 - base) / 1000, 2 * ($2 - base) / 1000 }' "$W/out"
for n in "$@"; do echo "# krl.$n: $(stat -c %s "$W/krl.$n") bytes"; done
