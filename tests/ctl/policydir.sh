#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# A policy in several files (docs/policy-format.md, "A policy in several
# files"; docs/fleet.md, the canonical form): keyauthctl sign DIR writes
# DIR.sig over the canonical form, install with signatures = 2 verifies
# it and installs the merged policy, whose SHA-256 (state, status) is
# that of the canonical form, rebuilt here with the shell; a file
# changed, added or renamed after signing is refused; a symbolic link is
# refused.
. "$top_srcdir/tests/ctl/fleet-lib.sh"
make_keys
conf
D="$ETC/policy.d"

# canonical DIR: the canonical form, as docs/fleet.md describes it.
canonical() {
	printf 'keyauth-policy-dir 1\n'
	(cd "$1" && find . -mindepth 1 -name '.*' -prune -o -type f -name '*.yaml' -print |
	    sed 's|^\./||' | LC_ALL=C sort) | while read -r f; do
		printf 'file %s %s\n' "$(stat -c %s "$1/$f")" "$f"
		cat "$1/$f"
		printf '\n'
	done
}

# dpolicy SERIAL: $D with the header in policy.yaml, one team per file.
dpolicy() {
	rm -rf "$D"
	mkdir -p "$D/people" "$D/grants"
	fpolicy "$T/head.yaml" "$1"
	sed 's/^version: 2$/version: 2/' "$T/head.yaml" >"$D/policy.yaml"
	printf 'version: 2\npeople:\n  alice@example.com:\n    keys:\n      - id: alice-key\n        key: %s\n' \
	    "$(cat "$T/keys/alice.pub")" >"$D/people/alice.yaml"
	printf 'version: 2\npeople:\n  bob@example.com:\n    keys:\n      - id: bob-key\n        key: %s\ngroups:\n  dev: [alice@example.com, bob@example.com]\n' \
	    "$(cat "$T/keys/bob.pub")" >"$D/people/bob.yaml"
	printf 'version: 2\ngrants:\n  - id: dev-deploy\n    to: [group:dev]\n    accounts: [deploy]\n' \
	    >"$D/grants/dev.yaml"
	chmod -R go-w "$D"
}

t_case "sign"
dpolicy 20
rc=0; out=$("$KEYAUTHCTL" sign "$D" -k "$T/keys/s-alice" -I alice@example.com 2>&1) || rc=$?
expect_rc "sign DIR" $rc 0
expect_contains "sign: DIR.sig beside it" "$out" "signature: $D.alice@example.com.sig"
canonical "$D" >"$T/canonical"
"$SSH_KEYGEN" -Y verify -f "$ETC/allowed_signers" -I alice@example.com \
    -n keyauth-policy@keyauth -s "$D.alice@example.com.sig" <"$T/canonical" >/dev/null 2>&1
expect_rc "sign: ssh-keygen verifies it over the canonical form" $? 0
ssign "$D" bob

t_case "install"
rc=0; out=$(sctl install "$D" 2>&1) || rc=$?
expect_rc "install DIR with two signatures" $rc 0
expect_contains "install: 2 entries" "$out" "2 entries"
expect_record "install DIR" "event=install decision=installed reason=ok host=web-01 policy_serial=20 signers=alice@example.com,bob@example.com"
expect_eq "state: the SHA-256 of the canonical form" \
    "$(sed -n 's/^sha256 //p' "$VAR/state")" "$(sha256sum <"$T/canonical" | cut -c1-64)"
rc=0; out=$(sctl explain deploy "$T/keys/bob.pub" 2>&1) || rc=$?
expect_rc "explain against the installed index" $rc 0
before=$(installed_id)

# refused NAME TEXT: the install of $D is refused, nothing changed.
refused() {
	rc=0; out=$(sctl install "$D" 2>&1) || rc=$?
	expect_rc "$1: refused" $rc 1
	expect_contains "$1: says why" "$out" "$2"
	expect_untouched "$1" "$before"
}
t_case "tampering"
dpolicy 21
ssign "$D" alice
ssign "$D" bob
sed -i 's/deploy]/deploy, root]/' "$D/grants/dev.yaml"
refused "a file changed after signing" "the policy changed after it was signed"
dpolicy 21; ssign "$D" alice; ssign "$D" bob
printf 'version: 2\ngrants:\n  - id: sneak\n    to: [alice@example.com]\n    accounts: [root]\n' >"$D/grants/zz.yaml"
refused "a file added after signing" "the policy changed after it was signed"
dpolicy 21; ssign "$D" alice; ssign "$D" bob
mv "$D/grants/dev.yaml" "$D/grants/dev2.yaml"
refused "a file renamed after signing" "the policy changed after it was signed"
dpolicy 21; ssign "$D" alice; ssign "$D" bob
: >"$D/.notes.yaml"
printf 'notes\n' >"$D/README"
rc=0; out=$(sctl install "$D" 2>&1) || rc=$?
expect_rc "dot files and other names are not part of it" $rc 0
before=$(installed_id)
dpolicy 22; ssign "$D" alice; ssign "$D" bob
ln -s "$D/people/alice.yaml" "$D/people/link.yaml"
refused "a symbolic link" "symbolic link"

# Without signatures the no-op is decided from the canonical form's
# SHA-256 before loading; a changed file under the same serial is not one.
t_case "unsigned directory: the no-op"
dpolicy 30
uctl() { ctl --host web-01 --config /nonexistent/keyauth.conf "$@"; }
rc=0; out=$(uctl install "$D" 2>&1) || rc=$?
expect_rc "unsigned DIR installed" $rc 0
rc=0; out=$(uctl install "$D" 2>&1) || rc=$?
expect_rc "unsigned DIR again" $rc 0
expect_contains "unsigned DIR again: a no-op" "$out" "is already installed for host web-01; nothing to do"
printf '# a comment\n' >>"$D/grants/dev.yaml"
rc=0; out=$(uctl install "$D" 2>&1) || rc=$?
expect_rc "unsigned DIR, a file changed, same serial: refused" $rc 1
expect_contains "unsigned DIR changed: why" "$out" "serial 30 is already installed with different content"
t_done
