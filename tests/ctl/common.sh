# SPDX-License-Identifier: BSD-2-Clause
# Shared by the keyauthctl tests: sources tests/lib.sh, makes a private
# directory $T, real keys made by ssh-keygen, and a `ctl` wrapper whose
# installed paths (index, KRL, state) all live under $T/var.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
CTLDATA="$top_srcdir/tests/ctl/data"
t_tmpdir
[ -x "$KEYAUTHCTL" ] || t_bail "missing $KEYAUTHCTL"
VAR="$T/var"

ctl() {
	"$KEYAUTHCTL" --index "$VAR/policy.cdb" --krl "$VAR/revoked.krl" \
	    --state "$VAR/state" "$@"
}

# gen_key NAME TYPE [BITS]: $T/keys/NAME and NAME.pub; the private half
# is only used by tests that need it.
gen_key() {
	mkdir -p "$T/keys"
	if [ -n "${3:-}" ]; then
		"$SSH_KEYGEN" -q -t "$2" -b "$3" -N '' -C "$1" -f "$T/keys/$1" || exit 99
	else
		"$SSH_KEYGEN" -q -t "$2" -N '' -C "$1" -f "$T/keys/$1" || exit 99
	fi
}
fp_of() { "$SSH_KEYGEN" -lf "$1" | awk '{print $2}'; }

# The standard cast of keys used by the templates in tests/ctl/data.
make_keys() {
	gen_key alice ed25519
	gen_key bob rsa 3072
	gen_key acme ed25519
	gen_key ci ed25519
	gen_key dave ed25519
	gen_key mallory ed25519
	gen_key stranger ed25519
}

# render TEMPLATE OUT: replace @NAME@ with the public key line of NAME and
# @NAME_FP@ with its fingerprint, for every generated key.
render() {
	local n
	: >"$T/render.sed"
	for n in alice bob acme ci dave mallory stranger; do
		[ -f "$T/keys/$n.pub" ] || continue
		printf 's|@%s@|%s|g\ns|@%s_FP@|%s|g\n' "$n" "$(cat "$T/keys/$n.pub")" \
		    "$n" "$(fp_of "$T/keys/$n.pub")" >>"$T/render.sed"
	done
	sed -f "$T/render.sed" "$1" >"$2" || exit 99
	chmod 0644 "$2"
}

# checksum and inode of a file, to prove it was not touched
file_id() { [ -e "$1" ] && echo "$(sha256sum <"$1" | cut -c1-64) $(stat -c %i "$1")" || echo missing; }
