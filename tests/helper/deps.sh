#!/bin/sh
# The helper reads only the compiled index: no YAML parser (nor PAM) may be
# linked into it, directly or through a library.
. "$top_srcdir/tests/lib.sh"
[ -x "$HELPER" ] || t_bail "no helper at $HELPER"
command -v readelf >/dev/null 2>&1 || t_skip "no readelf"

needed=$(readelf -d "$HELPER" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
expect_contains "helper is dynamically linked to libc" "$needed" "libc.so"
case $needed in *yaml*) fail "helper links libyaml: $needed" ;;
*) pass "no libyaml in NEEDED" ;; esac
case $needed in *pam*) fail "helper links libpam: $needed" ;;
*) pass "no libpam in NEEDED" ;; esac
# ... nor anything that pulls them in
all=$(ldd "$HELPER" 2>/dev/null)
case $all in *yaml*) fail "libyaml reachable: $all" ;;
*) pass "no libyaml among all loaded libraries" ;; esac
# ... nor the loader's code, statically
if nm "$HELPER" 2>/dev/null | grep -Eq ' (yaml_parser_|kp_policy_load)'; then
	fail "helper contains YAML loader symbols"
else pass "no YAML loader symbols"; fi
t_done
