#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/certs.sh [-n KEYS] [-c CAS]: the helper's whole-process cost with a
# certificate against a plain key lookup, on one index of KEYS keys and
# CAS authorities (default 1,000,000 and 1,000; docs/performance.md,
# "Certificates"). Run as root after a build:
#   top_builddir=BUILD bench/certs.sh
# The policy is bench/gen-policy's (cached in BUILD/bench/data) made
# version 2, with CAS - 1 fabricated CA keys and one real CA (ssh-keygen)
# that signs the certificate measured. Both commands are timed
# interleaved by bench/runner; the ratio compares their medians.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
N=1000000 NCA=1000
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=${2:?}; shift ;;
	-c) NCA=${2:?}; shift ;;
	*) echo "usage: bench/certs.sh [-n KEYS] [-c CAS]" >&2; exit 2 ;;
	esac
	shift
done
: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
: "${SSH_KEYGEN:=ssh-keygen}"
B=$(cd "$top_builddir" && pwd)
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }
say() { printf '# %s\n' "$*" >&2; }
[ "$(id -u)" = 0 ] || die "needs root (the index must be root-owned)"
GEN=$B/bench/gen-policy RUNNER=$B/bench/runner
HELPER=$B/authorized-keys-command/keyauth-authorized-keys
CTL=$B/keyauthctl/keyauthctl
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$B" bench/gen-policy bench/runner \
    >/dev/null || die "cannot build the benchmark programs"
DATA=$B/bench/data
mkdir -p "$DATA"
P=$DATA/policy-$N.yaml
if [ ! -s "$P" ] || [ "$GEN" -nt "$P" ]; then
	say "generating $(basename "$P")"
	"$GEN" -n "$N" >"$P.tmp" && mv "$P.tmp" "$P" || die "gen-policy failed"
fi

W=$(mktemp -d /var/lib/keyauth-bench-certs.XXXXXX) || die "mktemp"
chmod 0755 "$W"
cleanup() {
	[ -z "${SPOOL:-}" ] || umount "$SPOOL" 2>/dev/null
	case $W in /var/lib/keyauth-bench-certs.?*) rm -rf --one-file-system "$W" ;; esac
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
SPOOL=$W/spool
mkdir "$SPOOL"
mount -t tmpfs -o size=1m,mode=0700 keyauth-bench-spool "$SPOOL" || die "cannot mount a tmpfs spool"

ACCT=kabench
"$SSH_KEYGEN" -q -t ed25519 -N '' -C bench-login -f "$W/login" </dev/null || die "ssh-keygen"
"$SSH_KEYGEN" -q -t ed25519 -N '' -C bench-user -f "$W/user" </dev/null || die "ssh-keygen"
"$SSH_KEYGEN" -q -t ed25519 -N '' -C bench-ca -f "$W/ca" </dev/null || die "ssh-keygen"
"$SSH_KEYGEN" -q -s "$W/ca" -I bench-cert -n "$ACCT" -z 1 -V -1d:+1d "$W/user.pub" \
    </dev/null || die "ssh-keygen -s"
read -r KTYPE KB64 _ <"$W/login.pub"
KFP=$("$SSH_KEYGEN" -lf "$W/login.pub" | awk '{print $2}')
read -r CTYPE CB64 _ <"$W/user-cert.pub"
CFP=$("$SSH_KEYGEN" -lf "$W/user.pub" | awk '{print $2}')

say "policy: $N keys and $NCA authorities"
{
	sed 's/^version: 1$/version: 2/' "$P"
	printf '  - id: bench-login\n    owner: bench@example.com\n'
	printf '    key: %s %s bench-login\n    accounts: [%s]\n' "$KTYPE" "$KB64" "$ACCT"
	echo "authorities:"
	# Fabricated CA keys (32 bytes each), reproducible; the real one last.
	python3 - "$NCA" <<'PY'
import base64, hashlib, struct, sys
def s(b): return struct.pack(">I", len(b)) + b
for i in range(int(sys.argv[1]) - 1):
    pk = hashlib.sha256(b"bench-ca-%d" % i).digest()
    blob = base64.b64encode(s(b"ssh-ed25519") + s(pk)).decode()
    print("  - id: bench-ca-%d\n    owner: ca%d@example.com\n"
          "    key: ssh-ed25519 %s\n    accounts: [acct%d, %s]"
          % (i, i % 50, blob, i % 200, "kabench" if i % 7 == 0 else "other"))
PY
	printf '  - id: bench-ca\n    owner: bench@example.com\n'
	printf '    key: %s\n    accounts: [%s]\n' "$(cat "$W/ca.pub")" "$ACCT"
} >"$W/policy.yaml"
grep -q '^version: 2$' "$W/policy.yaml" || die "the generated policy has no version line to raise"
chmod 0644 "$W/policy.yaml"
mkdir -m 0755 "$W/ix"
"$CTL" --host web-01 --index "$W/ix/policy.cdb" --krl "$W/ix/revoked.krl" \
    --state "$W/ix/state" install "$W/policy.yaml" >"$W/install.out" 2>&1 ||
    { cat "$W/install.out" >&2; die "install failed"; }

key_cmd="$HELPER -H web-01 -i $W/ix/policy.cdb -s $SPOOL $ACCT $KFP $KTYPE $KB64"
cert_cmd="$HELPER -H web-01 -i $W/ix/policy.cdb -s $SPOOL $ACCT $CFP $CTYPE $CB64"
out=$($key_cmd 2>&1) || die "helper failed on the key"
case $out in *"keyauth:bench-login") ;; *) die "the key was not served: $out" ;; esac
out=$($cert_cmd 2>&1) || die "helper failed on the certificate"
case $out in "cert-authority,principals=\"$ACCT\" "*"keyauth:bench-ca") ;;
*) die "the certificate was not served: $out" ;; esac

say "helper: plain key vs certificate (interleaved)"
# shellcheck disable=SC2086
"$RUNNER" -w 20 -n 300 key $key_cmd :: cert $cert_cmd >"$W/res" 2>/dev/null ||
    die "runner failed"
k=$(awk '$1 == "key" { print $2 }' "$W/res")
c=$(awk '$1 == "cert" { print $2 }' "$W/res")
r=$(awk -v a="$c" -v b="$k" 'BEGIN { printf "%.2f", a / b }')
v=$(awk -v v="$r" 'BEGIN { print (v <= 1.2 ? "met" : "MISSED") }')
echo "| helper, certificate vs plain key ($N keys, $NCA CAs) | $(awk -v v="$c" 'BEGIN { printf "%.2f ms", v / 1000 }') vs $(awk -v v="$k" 'BEGIN { printf "%.2f ms", v / 1000 }') | $r | <= 1.2 | $v |"
echo "# medians of 300 interleaved runs after 20 warm-up, $(date -u +%Y-%m-%dT%H:%M:%SZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
