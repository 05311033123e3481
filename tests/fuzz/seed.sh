#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Regenerate the seed inputs of tests/fuzz/corpus/TARGET/ from tests/data
# and from indexes compiled by the real keyauthctl. Run by hand (as root,
# after a build) when the formats change; the seeds are committed, so CI
# and `./dev fuzz` never need this script. Needs python3 for the index
# records mode (see fuzz_index.c).
#   tests/fuzz/seed.sh BUILDDIR
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: seed.sh BUILDDIR}" && pwd)
C="$top/tests/fuzz/corpus"
mkdir -p "$C/load" "$C/index" "$C/authinfo" "$C/handoff" "$C/pubkey" \
	"$C/addr" "$C/audit" "$C/authkeys" "$C/cert"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Seeds are named seed-*; libFuzzer names what it finds by content hash.
for d in valid invalid hostile; do
	for f in "$top/tests/data/$d"/*.yaml; do
		cp "$f" "$C/load/seed-$d-$(basename "$f" .yaml)"
	done
done

n=0
for f in "$top/tests/data/valid"/*.yaml; do
	sed -n 's/^ *\(- \)\{0,1\}key: //p' "$f" | while read -r line; do
		n=$((n + 1))
		printf '%s' "$line" >"$C/pubkey/seed-$(basename "$f" .yaml)-$n"
		# SSH_AUTH_INFO_0 as sshd writes it at the session stage
		printf 'publickey %s\n' "$(echo "$line" | cut -d' ' -f1,2)" \
			>"$C/authinfo/seed-$(basename "$f" .yaml)-$n"
	done
done
k=$(sed -n 's/^ *key: //p' "$top/tests/data/valid/minimal.yaml" | head -n1 | cut -d' ' -f1,2)
[ -n "$k" ] || k=$(sed -n 's/^ *- key: //p;s/^ *key: //p' "$top/tests/data/valid/engineers.yaml" | head -n1 | cut -d' ' -f1,2)
printf 'password\nkeyboard-interactive/pam\npublickey %s\n' "$k" >"$C/authinfo/seed-methods"
printf 'publickey sk-ssh-ed25519@openssh.com %s signature count = 7\n' "${k#* }" >"$C/authinfo/seed-sk-info"
printf 'hostbased %s\npublickey %s' "$k" "$k" >"$C/authinfo/seed-no-newline"

fp=SHA256:RSYxWg3mwwuBA1Xl9WxHAZQAf3h1AewtjU1Obb/at4U
printf 'v1 pid=123 start=456 account=alice fp=%s id=alice-laptop time=1763780000\n' "$fp" >"$C/handoff/seed-valid"
printf 'v1 pid=2147483647 start=18446744073709551615 account=svc_backup$ fp=%s id=a.b@c+d-e time=9223372036854775807\n' "$fp" >"$C/handoff/seed-limits"
printf 'v1 pid=0123 start=1 account=root fp=%s id=x time=1\n' "$fp" >"$C/handoff/seed-leading-zero"

i=0
for a in 192.0.2.0/24 2001:db8:10::/48 198.51.100.7 "10.0.0.0/8 10.1.2.3" \
    "::ffff:192.0.2.1" "::ffff:192.0.2.0/120 192.0.2.9" "0.0.0.0/0 203.0.113.1" \
    "::/0 ::1" "fe80::1%eth0" "1.2.3.4/33" "192.0.2.1/24" "2001:db8::/129" \
    "1:2:3:4:5:6:7:8" "::" "1.2.3" "01.2.3.4" "2001:db8::1.2.3.4" \
    "2001:0db8:0000:0000:0000:0000:0000:0001"; do
	i=$((i + 1))
	printf '%s' "$a" >"$C/addr/seed-$i"
done

# authorized_keys lines as people write them (the import test files) and
# as keyauth serves them
find "$top/tests/admin/data/import" -type f | sort | xargs cat | grep -v '^#' | grep . |
	awk -v d="$C/authkeys" '{ f = sprintf("%s/seed-import-%d", d, NR); printf "%s", $0 > f; close(f) }'
printf '%s keyauth:alice-laptop' "$k" >"$C/authkeys/seed-served-plain"
printf 'from="192.0.2.0/24,2001:db8:10::/48",expiry-time="20270131123456Z",no-port-forwarding,permitopen="db.example.com:5432",command="/usr/local/bin/backup-only" %s keyauth:ci' "$k" >"$C/authkeys/seed-served-all"
printf 'restrict,pty,permitlisten="[::1]:8080",command="a,b \\\\x" %s keyauth:a.b@c+d-e' "$k" >"$C/authkeys/seed-served-quoted"
printf 'expiry-time="20300101",expiry-time="20290101Z",environment="A=B",NO-PTY	%s  comment with  spaces' "$k" >"$C/authkeys/seed-local-time"

# audit: event verdict reason absent-mask serial[8] smalllen, then
# account key_id owner fp client host sha256 error, NUL-separated
au() {
	name=$1
	shift
	printf "$@" >"$C/audit/seed-$name"
}
au plain '\000\000\000\200\000\000\000\000\000\000\000\007\120alice\000alice-laptop\000alice@example.com\000%s\000192.0.2.10\000web-01\0000123456789abcdef0123'
au hostile '\001\001\002\000\377\377\377\377\377\377\377\377\020a b="c"\\\n\000-\000\000\377\001\000x=y decision=allow\000\000\000why "not"'
au absent '\002\002\014\377\000\000\000\000\000\000\000\000\001'

# The index: raw files compiled by keyauthctl install, and the same as
# records (fuzz_index.c's odd mode: checks stripped, meta last). Version 2
# policies too, one with revoked keys' entries: their report rows ('E',
# 'X') and annotations ('V') are only written for grants.
for f in offboarded-owner offboarding; do
	src="$top/tests/data/valid/$f.yaml"
	[ -f "$src" ] || src="$top/policy/examples/$f.yaml"
	"$build/keyauthctl/keyauthctl" convert "$src" >"$tmp/$f-v2.yaml"
done
for f in "$top/tests/data/valid"/*.yaml "$top/policy/examples/teams.yaml" \
    "$tmp"/*-v2.yaml; do
	b=$(basename "$f" .yaml)
	mkdir -p "$tmp/$b"
	if "$build/keyauthctl/keyauthctl" --index "$tmp/$b/policy.cdb" \
	    --krl "$tmp/$b/revoked.krl" --state "$tmp/$b/state" --host web-01 \
	    install "$f" >/dev/null 2>&1; then
		{ printf '\000'; cat "$tmp/$b/policy.cdb"; } >"$C/index/seed-raw-$b"
		python3 - "$tmp/$b/policy.cdb" "$C/index/seed-rec-$b" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
dend = struct.unpack('<I', d[0:4])[0]
pos, recs, meta = 2048, [], None
while pos < dend:
    kl, vl = struct.unpack('<II', d[pos:pos + 8])
    k, v = d[pos + 8:pos + 8 + kl], d[pos + 8 + kl:pos + 8 + kl + vl - 8]
    pos += 8 + kl + vl
    if k == b'M':
        meta = v
    else:
        recs.append((k, v))
if meta is not None:
    recs.append((b'M', meta))
out = b'\x01' + b''.join(bytes([len(k)]) + struct.pack('>H', len(v)) + k + v for k, v in recs)
open(sys.argv[2], 'wb').write(out)
PY
	fi
done
echo "seeds written under $C"
