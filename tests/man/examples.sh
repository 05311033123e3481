#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Every policy under policy/examples is installed, byte for byte and in
# its own layout (teams.d keeps its grants/ and people/): the install
# lists in docs/Makemodule.am name files one by one, and a new example
# left out of them is missed silently otherwise. Installs the data part
# of the build (make install-data) into a private DESTDIR.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
t_tmpdir
: "${top_builddir:?}"
D=$T/dest
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" \
    DESTDIR="$D" install-data >"$T/make.log" 2>&1; then
	fail "make install-data DESTDIR=$D: $(tail -n 5 "$T/make.log")"
	t_done
	exit
fi
inst=$(find "$D" -type d -name examples -path '*/share/doc/*' | head -n 1)
if [ -z "$inst" ]; then
	fail "no examples directory under $D/.../share/doc"
	t_done
	exit
fi
src=$top_srcdir/policy/examples
n=0
for f in $(cd "$src" && find . -type f -name '*.yaml' | sed 's|^\./||' | sort); do
	n=$((n + 1))
	if [ ! -f "$inst/$f" ]; then
		fail "policy/examples/$f is not installed (add it to docs/Makemodule.am)"
	elif ! cmp -s "$src/$f" "$inst/$f"; then
		fail "policy/examples/$f: the installed copy differs"
	else
		pass "policy/examples/$f installed as examples/$f"
	fi
done
if [ "$n" -ge 10 ]; then
	pass "$n examples checked"
else
	fail "only $n examples found in $src"
fi
t_done
