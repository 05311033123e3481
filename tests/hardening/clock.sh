#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Clocks far in the past and far in the future. The decision is taken with
# fixed times through `keyauthctl explain --at` (against the installed
# index and against the YAML policy) and, when faketime is installed,
# through the helper itself with a faked clock. Far past: time-limited keys
# are not yet valid, unlimited keys allowed. Far future: the policy is
# stale and every login is refused, never allowed. Times outside what the
# policy format can express are usage errors, never an allow.
. "$top_srcdir/tests/lib.sh"
t_tmpdir
. "$top_srcdir/tests/hardening/lib.sh"
mkkey A
mkkey L
cat >"$T/p.yaml" <<YAML
version: 1
serial: 7
expires: 2100-01-01T00:00:00Z
keys:
  - id: always
    owner: a@example.com
    key: $(keyline A)
    accounts: [alice]
  - id: limited
    owner: l@example.com
    key: $(keyline L)
    accounts: [alice]
    not_before: 2026-01-01
    expires: 2027-01-01T00:00:00Z
YAML
mkdir -m 0755 "$T/ix" && mkdir -m 0700 "$T/spool"
ctl_install "$T/ix" "$T/p.yaml" >"$T/install.out" 2>&1 || { t_diag "$(cat "$T/install.out")"; t_bail "keyauthctl install failed"; }
IX="$T/ix/policy.cdb"

# explain_at NAME KEY TIME WANT-RC WANT-REASON: against the index and the YAML
explain_at() {
	for src in index yaml; do
		out=$("$KEYAUTHCTL" --host web-01 --index "$IX" explain alice "$T/$2.pub" --at "$3" \
		    $([ $src = yaml ] && echo --policy-file "$T/p.yaml") 2>&1)
		rc=$?
		expect_rc "$1 ($src)" "$rc" "$4"
		[ -z "$5" ] || expect_contains "$1 ($src): reason" "$out" "$5"
	done
}
explain_at "1970, unlimited key" A 1970-01-01T00:00:00Z 0 allowed
explain_at "1970, limited key" L 1970-01-01T00:00:00Z 1 not_yet_valid
explain_at "last second before not_before" L 2025-12-31T23:59:59Z 1 not_yet_valid
explain_at "at not_before" L 2026-01-01T00:00:00Z 0 allowed
explain_at "last second before expires" L 2026-12-31T23:59:59Z 0 allowed
explain_at "at expires" L 2027-01-01T00:00:00Z 1 expired
explain_at "2099, unlimited key" A 2099-12-31T23:59:59Z 0 allowed
explain_at "policy expired, unlimited key" A 2100-01-01T00:00:00Z 1 policy_stale
explain_at "9999, unlimited key" A 9999-12-31T23:59:59Z 1 policy_stale
explain_at "9999, limited key" L 9999-12-31T23:59:59Z 1 ""
for bad in 10000-01-01 1969-12-31T23:59:59Z 0000-00-00 -1 99999999999999999999 "2026-02-30"; do
	out=$("$KEYAUTHCTL" --host web-01 --index "$IX" explain alice "$T/A.pub" --at "$bad" 2>&1)
	rc=$?
	if [ $rc = 2 ]; then pass "--at $bad: usage error"; else fail "--at $bad: exit $rc ($out)"; fi
done

# The helper with a faked clock (faketime works by LD_PRELOAD, which an
# ASan-built helper refuses: skipped there).
if ! command -v faketime >/dev/null 2>&1; then
	echo "# faketime not installed: helper part skipped"
elif ldd "$HELPER" 2>/dev/null | grep -q libasan; then
	echo "# ASan build: helper part skipped"
else
	helper_at() {
		out=$(faketime -f "$2" "$HELPER" -H web-01 -i "$IX" -s "$T/spool" alice 2>&1 </dev/null)
		rc=$?
		expect_rc "helper at $2" "$rc" "$3"
		expect_eq "helper at $2: keys served (sorted)" "$(printf '%s\n' "$out" | sed -n 's/.* keyauth://p' | sort | paste -sd' ' -)" "$4"
	}
	helper_at "1970 past" "@1970-01-02 00:00:00" 0 "always"
	helper_at "now-ish" "@2026-06-01 00:00:00" 0 "always limited"
	helper_at "after the key expired" "@2027-06-01 00:00:00" 0 "always"
	# past the policy's own expiry: stale, nothing served, non-zero exit
	out=$(faketime -f "@2100-06-01 00:00:00" "$HELPER" -H web-01 -i "$IX" -s "$T/spool" alice 2>&1 </dev/null)
	rc=$?
	if [ $rc != 0 ] && [ -z "$out" ]; then pass "helper in 2100: stale policy, nothing served"
	else fail "helper in 2100: exit $rc, output: $out"; fi
	out=$(faketime -f "@9999-01-01 00:00:00" "$HELPER" -H web-01 -i "$IX" -s "$T/spool" alice 2>&1 </dev/null)
	rc=$?
	if [ $rc != 0 ] && [ -z "$out" ]; then pass "helper in 9999: nothing served"
	else fail "helper in 9999: exit $rc, output: $out"; fi
	# A clock before 1970 cannot be read (kp_now): nothing is decided.
	out=$(faketime -f "@1969-12-31 00:00:00" "$HELPER" -H web-01 -i "$IX" -s "$T/spool" alice 2>&1 </dev/null)
	rc=$?
	if [ $rc != 0 ] && [ -z "$out" ]; then pass "helper in 1969: nothing served"
	else fail "helper in 1969: exit $rc, output: $out"; fi
	out=$(faketime -f "@1969-12-31 00:00:00" "$KEYAUTHCTL" --host web-01 --index "$IX" explain alice "$T/A.pub" 2>&1)
	expect_rc "keyauthctl in 1969" "$?" 3
	expect_contains "keyauthctl in 1969: says why" "$out" "cannot read the clock"
fi
t_done
