#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# keyauthctl check: valid, invalid, lint, --strict, unreadable files,
# usage errors, and every example policy in policy/examples.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/ctl/common.sh"
make_keys
cd "$T" || exit 99
for t in base clean lint typo badcidr; do render "$CTLDATA/$t.yaml.in" "$t.yaml"; done

# A clean policy: one summary line, exit 0.
out=$("$KEYAUTHCTL" check clean.yaml 2>&1); rc=$?
expect_rc "check clean" $rc 0
expect_eq "check clean: summary" "$out" \
    "clean.yaml: valid, serial 7, 2 keys, 0 revoked, 0 warnings"
out=$("$KEYAUTHCTL" check --strict clean.yaml 2>&1); rc=$?
expect_rc "check --strict clean" $rc 0

# --policy is the default file; global options before or after the command.
out=$("$KEYAUTHCTL" --policy "$T/clean.yaml" check 2>&1); rc=$?
expect_rc "check via --policy" $rc 0
expect_contains "check via --policy: absolute path" "$out" "$T/clean.yaml: valid, serial 7"
out=$("$KEYAUTHCTL" check --policy "$T/clean.yaml" 2>&1); rc=$?
expect_rc "global option after the command" $rc 0

# The standard policy: valid, with the revoked owner's key linted.
out=$("$KEYAUTHCTL" check base.yaml 2>/dev/null); rc=$?
expect_rc "check base" $rc 0
expect_contains "check base: summary" "$out" "base.yaml: valid, serial 6, 5 keys, 2 revoked,"

# Lint: warnings with file:line:col, still valid (exit 0).
out=$("$KEYAUTHCTL" check lint.yaml 2>&1); rc=$?
expect_rc "check lint" $rc 0
nwarn=$(printf '%s\n' "$out" | grep -c '^lint\.yaml:[0-9]*:[0-9]*: warning: ')
expect_eq "check lint: three warnings" "$nwarn" 3
expect_contains "check lint: summary" "$out" "lint.yaml: valid, serial 3, 2 keys, 0 revoked, 3 warnings"
# Security findings first, then the rest by line.
expect_eq "check lint: exact output" "$out" "lint.yaml:13:5: warning: [root-without-from] key 'acme-root' may log in as root from any address; add from:
lint.yaml:6:3: warning: [unused-network] network 'unused' is not used by any key
lint.yaml:8:5: warning: [no-expiry] key 'alice-laptop' has no expires
lint.yaml: valid, serial 3, 2 keys, 0 revoked, 3 warnings"

# --strict turns the same warnings into errors: exit 1.
out=$("$KEYAUTHCTL" check --strict lint.yaml 2>&1); rc=$?
expect_rc "check --strict lint" $rc 1
nerr=$(printf '%s\n' "$out" | grep -c '^lint\.yaml:[0-9]*:[0-9]*: error: .*\[--strict\]$')
expect_eq "check --strict: three errors" "$nerr" 3
expect_contains "check --strict: exact error line" "$out" "lint.yaml:8:5: error: [no-expiry] key 'alice-laptop' has no expires [--strict]"
expect_eq "check --strict: summary" "$(printf '%s\n' "$out" | tail -n1)" "lint.yaml: invalid, 3 warnings (--strict)"

# Invalid: the first error with file:line:col, then "invalid"; exit 1.
out=$("$KEYAUTHCTL" check typo.yaml 2>&1); rc=$?
expect_rc "check form: typo" $rc 1
expect_eq "check form: typo: exact output" "$out" "typo.yaml:8:5: error: unknown field 'form' in keys entry; did you mean 'from'?
typo.yaml: invalid"
out=$("$KEYAUTHCTL" check badcidr.yaml 2>&1); rc=$?
expect_rc "check host bits" $rc 1
expect_eq "check host bits: exact output" "$out" "badcidr.yaml:8:12: error: from: '192.0.2.1/24': host bits set: did you mean 192.0.2.0/24?
badcidr.yaml: invalid"

# Unreadable: exit 3, on stderr.
out=$("$KEYAUTHCTL" check nonexistent.yaml 2>&1 >/dev/null); rc=$?
expect_rc "check missing file" $rc 3
expect_contains "check missing file: message" "$out" "nonexistent.yaml"
out=$("$KEYAUTHCTL" check "$T" 2>&1); rc=$?
if [ $rc -eq 1 ] || [ $rc -eq 3 ]; then pass "check a directory: refused ($rc)"; else fail "check a directory: exit $rc"; fi

# Usage errors: exit 2, usage hint on stderr, nothing on stdout.
for args in "" "frobnicate" "check --bogus" "check a b" "--strict check" \
    "status --strict" "install --from 1.2.3.4" "explain alice" \
    "check --policy" "--host bad/host status" "--policy= check"; do
	# shellcheck disable=SC2086
	out=$("$KEYAUTHCTL" $args 2>"$T/err"); rc=$?
	expect_rc "usage: '$args'" $rc 2
	expect_eq "usage: '$args': stdout empty" "$out" ""
	expect_contains "usage: '$args': hint" "$(cat "$T/err")" "keyauthctl --help"
done
out=$("$KEYAUTHCTL" --help); rc=$?
expect_rc "--help" $rc 0
expect_contains "--help lists explain" "$out" "explain ACCOUNT KEYFILE|FINGERPRINT"
out=$("$KEYAUTHCTL" --version); rc=$?
expect_rc "--version" $rc 0
expect_contains "--version" "$out" "keyauthctl (keyauth) "

# The whole IPv4 internet in disguise, for root: lint reads what from:
# admits, so --strict refuses it whatever the spelling.
cat >"$T/disguise.yaml" <<EOF
version: 1
serial: 1
keys:
  - id: ops
    owner: ops@example.com
    key: $(cat "$T/keys/alice.pub")
    accounts: [root]
    from: ["::ffff:0:0/97", "::ffff:8000:0/97"]
    expires: 2099-01-01
EOF
out=$("$KEYAUTHCTL" check disguise.yaml 2>&1); rc=$?
expect_rc "all of IPv4 as mapped halves: a warning" $rc 0
expect_contains "all of IPv4 as mapped halves: warned" "$out" \
    "disguise.yaml:4:5: warning: [any-address] key 'ops' allows every address (0.0.0.0/0) in from:"
out=$("$KEYAUTHCTL" check --strict disguise.yaml 2>&1); rc=$?
expect_rc "all of IPv4 as mapped halves: --strict refuses" $rc 1
sed 's|from: .*|from: [10.0.0.0/8, 11.0.0.0/8]|' disguise.yaml >wide.yaml
out=$("$KEYAUTHCTL" check --strict wide.yaml 2>&1); rc=$?
expect_rc "more than a /8: --strict refuses" $rc 1
expect_contains "more than a /8: said" "$out" "[wide-source] key 'ops' allows more IPv4 addresses than a /8"

# 20,000 keys without expires, then a root entry from 0.0.0.0/0: the root
# finding is shown (first), the repetitive ones are one line, the count
# is exact; --all lists every finding; --strict refuses on the same count.
{
	printf 'version: 1\nserial: 4\nkeys:\n'
	awk -v key="$(cat "$T/keys/alice.pub")" 'BEGIN { for (i = 0; i < 20000; i++)
		printf "  - {id: k%d, owner: a@example.com, key: %s, accounts: [a]}\n", i, key }'
	printf '  - {id: sneaky, owner: x@example.com, key: %s, accounts: [root], from: [0.0.0.0/0], expires: 2099-01-01}\n' "$(cat "$T/keys/acme.pub")"
} >many.yaml
out=$("$KEYAUTHCTL" check many.yaml 2>&1); rc=$?
expect_rc "check many" $rc 0
expect_eq "check many: exact output" "$out" "many.yaml:20004:5: warning: [any-address] key 'sneaky' allows every address (0.0.0.0/0) in from:
many.yaml:4:5: warning: [no-expiry] 20000 keys have no expires: k0, k1, k2, k3, k4, ... (--all lists them)
many.yaml: valid, serial 4, 20001 keys, 0 revoked, 20001 warnings"
out=$("$KEYAUTHCTL" check --all many.yaml 2>&1); rc=$?
expect_rc "check --all many" $rc 0
expect_eq "check --all: one line per finding" \
    "$(printf '%s\n' "$out" | grep -c ': warning: ')" 20001
expect_eq "check --all: security first" "$(printf '%s\n' "$out" | head -n1)" \
    "many.yaml:20004:5: warning: [any-address] key 'sneaky' allows every address (0.0.0.0/0) in from:"
expect_contains "check --all: the last key" "$out" "many.yaml:20003:5: warning: [no-expiry] key 'k19999' has no expires"
out=$("$KEYAUTHCTL" check --strict many.yaml 2>&1); rc=$?
expect_rc "check --strict many" $rc 1
expect_eq "check --strict many: summary" "$(printf '%s\n' "$out" | tail -n1)" "many.yaml: invalid, 20001 warnings (--strict)"

# Every example policy shipped in policy/examples is valid.
for f in "$top_srcdir"/policy/examples/*.yaml; do
	out=$("$KEYAUTHCTL" check "$f" 2>&1); rc=$?
	expect_rc "example $(basename "$f")" $rc 0
	expect_contains "example $(basename "$f"): summary" "$out" ": valid, serial "
done
t_done
