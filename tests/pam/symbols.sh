#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pam_keyauth.so exports the PAM service functions and nothing else, links
# no YAML parser, and resolves every symbol it needs (dlopen by a real
# libpam would fail at login time otherwise).
. "$top_srcdir/tests/lib.sh"
MOD="$top_builddir/pam_keyauth/.libs/pam_keyauth.so"
[ -f "$MOD" ] || t_bail "$MOD is not built"
command -v nm >/dev/null 2>&1 || t_skip "no nm"

exported=$(nm -D --defined-only "$MOD" | awk 'NF == 3 { print $3 }' | sort | tr '\n' ' ')
expect_eq "exports exactly the pam_sm_* functions" "$exported" \
    "pam_sm_acct_mgmt pam_sm_close_session pam_sm_open_session "
others=$(nm -D --defined-only "$MOD" | awk 'NF == 3 && $3 !~ /^pam_sm_/ { print $3 }')
expect_eq "no kp_* or other symbol leaks out" "$others" ""

# No mutable globals (docs/security.md): sshd runs the module for many
# logins, in one process and in forked children, so nothing may outlive a
# call. No object of ours in .data, .bss or thread-local storage; the C
# runtime's own bookkeeping (crtstuff) and AddressSanitizer's (its ODR
# indicators, in the sanitizer build) are not ours.
if command -v objdump >/dev/null 2>&1; then
	writable=$(objdump -t "$MOD" | awk '
		{ sec = ""; for (i = 1; i <= NF; i++) if ($i ~ /^\./) { sec = $i; break } }
		sec ~ /^\.(data|bss|tdata|tbss)$/ && $NF !~ /^(completed\.0|__dso_handle|__TMC_END__|__odr_asan\..*)$/ {
			print sec ":" $NF }' | sort | tr '\n' ' ')
	expect_eq "no mutable globals (writable or thread-local data)" "$writable" ""
fi

needed=$(readelf -d "$MOD" 2>/dev/null | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')
case "$needed" in
*yaml*) fail "does not link libyaml (needs: $needed)" ;;
*) pass "does not link libyaml" ;;
esac
expect_contains "links libpam" "$needed" "libpam.so"

# Every undefined symbol must be found in the libraries it names.
if command -v ldd >/dev/null 2>&1; then
	unres=$(ldd -r "$MOD" 2>&1 | grep -i 'undefined symbol' || true)
	expect_eq "all symbols resolve (ldd -r)" "$unres" ""
fi
t_done
