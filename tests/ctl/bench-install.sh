#!/bin/sh
# bench-install.sh [N]: time keyauthctl install of a generated N-key policy
# (default 100000) into a temporary directory; prints wall time and peak
# memory from /usr/bin/time -v. A measurement, not a test.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
n=${1:-100000}
ctl="$top_builddir/keyauthctl/keyauthctl"
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
d=$(mktemp -d /tmp/keyauth-bench.XXXXXX)
trap 'rm -rf "$d"' EXIT
chmod 0755 "$d"
"$top_srcdir/tests/ctl/gen-policy.sh" "$n" 1 >"$d/policy.yaml"
chmod 0644 "$d/policy.yaml"
echo "policy: $n keys, $(du -h "$d/policy.yaml" | cut -f1)"
/usr/bin/time -v "$ctl" --index "$d/var/policy.cdb" --krl "$d/var/revoked.krl" \
    --state "$d/var/state" --host web-01 install "$d/policy.yaml" 2>"$d/time"
grep -E 'Elapsed \(wall|Maximum resident|User time|System time' "$d/time"
echo "index: $(du -h "$d/var/policy.cdb" | cut -f1)"
sed -n 's/^    key: \(ssh-ed25519 [^ ]*\) gen-5$/\1/p' "$d/policy.yaml" >"$d/k.pub"
/usr/bin/time -f 'explain: %e s, %M KB' "$ctl" --index "$d/var/policy.cdb" \
    explain user0005 "$d/k.pub" >/dev/null || true
