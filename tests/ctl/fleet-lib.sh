# SPDX-License-Identifier: BSD-2-Clause
# Shared by tests/ctl/sign.sh and tests/ctl/fetch.sh: signer keys, an
# allowed_signers file and a keyauth.conf in $T/etc (root-owned, as
# install requires), policies with issued/expires around now, and `sctl`,
# keyauthctl with every installed path under $T/var, run in a private
# mount namespace whose /dev/log is a socket of tests/e2e/syslog-sink, so
# every event=install record is read back from a real syslog datagram
# ($T/syslog). The host's /dev/log is never touched.
. "$top_srcdir/tests/ctl/common.sh"
require_root
unshare --mount --propagation private true 2>/dev/null ||
	t_skip "cannot create a mount namespace"
SINK="$top_builddir/tests/e2e/syslog-sink"
[ -x "$SINK" ] || t_bail "missing $SINK"
umask 022
chmod 0755 "$T"
ETC="$T/etc"
mkdir -p "$ETC" "$VAR"
chmod 0755 "$ETC" "$VAR"
: >"$T/syslog"
"$SINK" "$T/log.sock" "$T/syslog" </dev/null >/dev/null 2>&1 &
SINK_PID=$!
t_extra_cleanup='kill $SINK_PID 2>/dev/null'
i=0
while [ ! -S "$T/log.sock" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
[ -S "$T/log.sock" ] || t_bail "syslog sink did not start"

# Signers alice, bob, carol are in allowed_signers; eve is not.
for n in alice bob carol eve; do gen_key "s-$n" ed25519; done
spub() { cat "$T/keys/s-$1.pub"; }
{
	echo "# signers of the fleet policy"
	echo "alice@example.com namespaces=\"keyauth-policy@keyauth\" $(spub alice)"
	echo "bob@example.com $(spub bob)"
	echo "carol@example.com namespaces=\"keyauth-policy@keyauth\" $(spub carol)"
} >"$ETC/allowed_signers"
chmod 0644 "$ETC/allowed_signers"

# conf [EXTRA LINES]: keyauth.conf requiring two signatures.
conf() {
	{
		echo "allowed_signers = $ETC/allowed_signers"
		echo "signatures = 2"
		echo "max_validity = ${MAXV:-30d}"
		for l in "$@"; do echo "$l"; done
	} >"$ETC/keyauth.conf"
	chmod 0644 "$ETC/keyauth.conf"
}

iso() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }

# fpolicy OUT SERIAL [KEYS...]: a version 2 policy issued an hour ago,
# expiring in a week, granting each named key (from make_keys) to the
# account of the same name and to deploy.
fpolicy() {
	local out=$1 serial=$2 k
	shift 2
	{
		echo "version: 2"
		echo "serial: $serial"
		echo "issued: ${ISSUED:-$(iso '-1 hour')}"
		echo "expires: ${EXPIRES:-$(iso '+7 days')}"
		if [ $# -gt 0 ]; then
			echo "keys:"
			for k in "$@"; do
				printf '  - id: %s-key\n    owner: %s@example.com\n    key: %s\n    accounts: [%s, deploy]\n' \
				    "$k" "$k" "$(cat "$T/keys/$k.pub")" "$k"
			done
		fi
		[ -z "${REVOKE:-}" ] || printf 'revoked:\n  - owner: %s@example.com\n    reason: left\n' "$REVOKE"
	} >"$out"
	chmod 0644 "$out"
}

# ssign POLICY SIGNER: keyauthctl sign with that signer's key, -I its
# principal; the signature lands beside POLICY.
ssign() {
	"$KEYAUTHCTL" sign "$1" -k "$T/keys/s-$2" -I "$2@example.com" >"$T/sign.out" 2>&1 ||
		{ cat "$T/sign.out"; t_bail "sign $1 by $2 failed"; }
}

# sctl ARGS...: keyauthctl (paths under $T) with syslog captured.
sctl() {
	unshare --mount --propagation private sh -c '
		mount -t tmpfs -o mode=0755,size=64k keyauth-test-dev /dev &&
		mknod -m 0666 /dev/null c 1 3 && mknod -m 0666 /dev/zero c 1 5 &&
		mknod -m 0666 /dev/urandom c 1 9 && mknod -m 0666 /dev/random c 1 8 &&
		: >/dev/log && mount --bind "$0" /dev/log && exec "$@"' \
		"$T/log.sock" "$KEYAUTHCTL" --config "$ETC/keyauth.conf" \
		--index "$VAR/policy.cdb" --krl "$VAR/revoked.krl" \
		--state "$VAR/state" --host web-01 "$@"
}

# The event=install records so far, one per line (from "event=" on).
records() { sed -n 's/.*keyauthctl\[[0-9]*\]: \(event=install .*\)$/\1/p' "$T/syslog"; }
nrecords() { records | wc -l; }
# last_record: the newest one, waiting a moment for the datagram.
last_record() {
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		[ "$(nrecords)" -gt "${SEEN:-0}" ] && break
		sleep 0.1
	done
	SEEN=$(nrecords)
	records | tail -n 1
}
# expect_record NAME 'k=v ...': the newest record has every field given.
expect_record() {
	local rec kv ok=1
	rec=$(last_record)
	for kv in $2; do
		case " $rec " in *" $kv "*) ;; *) ok= ;; esac
	done
	if [ -n "$ok" ]; then pass "$1: record has $2"; else
		fail "$1: record has $2"
		t_diag "record: $rec"
	fi
}

# The installed files, to prove a refusal touched nothing.
installed_id() { echo "$(file_id "$VAR/policy.cdb") $(file_id "$VAR/revoked.krl") $(file_id "$VAR/state")"; }
# expect_refused NAME RC OUT TEXT BEFORE: exit 1, TEXT said, nothing touched.
expect_untouched() {
	expect_eq "$1: index, KRL and state byte-identical, same inodes" "$(installed_id)" "$2"
}
