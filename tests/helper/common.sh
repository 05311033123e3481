# SPDX-License-Identifier: BSD-2-Clause
# Shared by the keyauth-authorized-keys tests (sourced after tests/lib.sh):
# ed25519 keys generated at test time, policies rendered from the
# templates in tests/helper/data, indexes built by `keyauthctl install`.
require_root
t_tmpdir
HDATA="$top_srcdir/tests/helper/data"
HTOOLS="$top_builddir/tests/helper"
KEYNAMES="PLAIN V4 V6 NET EXP OPT TWO RFP RKEY ROWN OLD NEW BOB HOST UNKNOWN"

[ -x "$HELPER" ] || t_bail "no helper at $HELPER"
[ -x "$KEYAUTHCTL" ] || t_bail "no keyauthctl at $KEYAUTHCTL"

gen_keys() {
	for k in $KEYNAMES; do
		"$SSH_KEYGEN" -q -t ed25519 -N '' -C "test-$k" -f "$T/key_$k" \
			</dev/null || exit 99
	done
}
type_of() { awk '{print $1}' "$T/key_$1.pub"; }
b64_of() { awk '{print $2}' "$T/key_$1.pub"; }
fp_of() { "$SSH_KEYGEN" -lf "$T/key_$1.pub" | awk '{print $2}'; }

# render TEMPLATE OUT: substitute every @KEY_x@ and @FP_x@.
render() {
	script=
	for k in $KEYNAMES; do
		script="$script;s|@KEY_$k@|$(type_of "$k") $(b64_of "$k")|g"
		script="$script;s|@FP_$k@|$(fp_of "$k")|g"
	done
	sed -e "${script#;}" "$1" >"$2" || exit 99
}

# install_index YAML DIR HOST: compile YAML for HOST into DIR/policy.cdb.
install_index() {
	mkdir -p "$2" || exit 99
	"$KEYAUTHCTL" --index "$2/policy.cdb" --krl "$2/revoked.krl" \
		--state "$2/state" --host "$3" install "$1" >"$2/install.log" 2>&1 ||
		{ t_diag "$(cat "$2/install.log")"; t_bail "keyauthctl install $1 failed"; }
}

# The standard setup: keys, the lookup policy, its index for web-01 and
# a spool, as installed (root-owned, 0700).
setup() {
	gen_keys
	render "$HDATA/lookup.yaml.in" "$T/lookup.yaml"
	IX="$T/ix/policy.cdb"
	install_index "$T/lookup.yaml" "$T/ix" web-01
	SPOOL="$T/spool"
	mkdir -m 0700 "$SPOOL" || exit 99
}

# helper ARGS...: run the helper, stdout to $T/out, stderr to $T/err,
# exit code in $rc.
helper() {
	rc=0
	"$HELPER" "$@" >"$T/out" 2>"$T/err" </dev/null || rc=$?
}

# expect_output NAME: $T/out must equal the file $T/want byte for byte.
expect_output() {
	if cmp -s "$T/out" "$T/want"; then pass "$1: output"; else
		fail "$1: output"
		t_diag "  got:" "$(sed 's/^/    /' "$T/out")" \
		    "  want:" "$(sed 's/^/    /' "$T/want")"
	fi
}

# expect_silent_failure NAME: non-zero exit, nothing on stdout or stderr.
expect_silent_failure() {
	if [ "$rc" -ne 0 ]; then pass "$1: exit $rc"; else fail "$1: exit 0"; fi
	if [ -s "$T/out" ]; then fail "$1: stdout not empty"; t_diag "$(sed 's/^/    /' "$T/out")"
	else pass "$1: no stdout"; fi
	if [ -s "$T/err" ]; then fail "$1: stderr not empty"; t_diag "$(sed 's/^/    /' "$T/err")"
	else pass "$1: no stderr"; fi
}
