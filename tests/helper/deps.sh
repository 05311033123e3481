#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The helper reads only the compiled index: no YAML parser (nor PAM) may be
# linked into it, directly or through a library. Neither it nor the PAM
# module loads libcrypto (its start-up cost more than a whole lookup,
# docs/performance.md): SHA-256 is libnettle's, the index is read through
# the shared tinycdb.
. "$top_srcdir/tests/lib.sh"
[ -x "$HELPER" ] || t_bail "no helper at $HELPER"
command -v readelf >/dev/null 2>&1 || t_skip "no readelf"
PAMMOD="$top_builddir/pam_keyauth/.libs/pam_keyauth.so"
[ -f "$PAMMOD" ] || t_bail "no PAM module at $PAMMOD"

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

# The libraries both login-path programs load, everything ldd resolves.
for prog in "$HELPER" "$PAMMOD"; do
	name=$(basename "$prog")
	all=$(ldd "$prog" 2>/dev/null) || { fail "$name: ldd failed"; continue; }
	case $all in *libcrypto*) fail "$name loads libcrypto: $all" ;;
	*) pass "$name: no libcrypto among all loaded libraries" ;; esac
	case $all in *libssl*) fail "$name loads libssl: $all" ;;
	*) pass "$name: no libssl among all loaded libraries" ;; esac
	case $all in *yaml*) fail "$name loads libyaml: $all" ;;
	*) pass "$name: no libyaml among all loaded libraries" ;; esac
	case $all in *libnettle.so*) pass "$name: loads libnettle" ;;
	*) fail "$name does not load libnettle: $all" ;; esac
	case $all in *libcdb.so.1*) pass "$name: loads libcdb.so.1" ;;
	*) fail "$name does not load libcdb.so.1: $all" ;; esac
done
# ... and no copy of them inside: no SHA-256 or tinycdb code of their own.
for prog in "$HELPER" "$PAMMOD"; do
	name=$(basename "$prog")
	defs=$(nm --defined-only "$prog" 2>/dev/null) || { fail "$name: nm failed"; continue; }
	if printf '%s\n' "$defs" | grep -Eq ' (kp_sha256(_init|_update|_final)?|nettle_[a-z0-9_]+|EVP_[A-Za-z0-9_]+|SHA256[A-Za-z0-9_]*|cdb_init|cdb_find)$'; then
		fail "$name defines SHA-256, libcrypto or tinycdb functions itself"
	else pass "$name: no SHA-256 or tinycdb code of its own"; fi
done
t_done
