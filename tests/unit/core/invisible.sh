#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# policy/core/invisible.h, the characters kp_value_visible refuses, is the
# table policy/core/gen-invisible.sh makes from the Unicode Character
# Database: regenerated from the installed one (Debian: unicode-data), it
# must come out byte for byte the same. Without the database, or with
# another Unicode version than the table's, there is nothing to compare.
. "${top_srcdir:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
UCD=${KEYAUTH_UCD:-/usr/share/unicode}
TABLE="$top_srcdir/policy/core/invisible.h"
[ -r "$UCD/UnicodeData.txt" ] && [ -r "$UCD/DerivedCoreProperties.txt" ] ||
	t_skip "no Unicode Character Database in $UCD (Debian: unicode-data)"
want=$(sed -n 's/^#define KP_INVISIBLE_UNICODE "\(.*\)"$/\1/p' "$TABLE")
have=$(sed -n '1s/^# DerivedCoreProperties-\(.*\)\.txt$/\1/p' "$UCD/DerivedCoreProperties.txt")
[ "$want" = "$have" ] ||
	t_skip "the table is from Unicode $want, $UCD holds $have: regenerate it"
t_tmpdir
if sh "$top_srcdir/policy/core/gen-invisible.sh" "$UCD" >"$T/invisible.h"; then
	pass "gen-invisible.sh ran"
else fail "gen-invisible.sh ran"; fi
if cmp -s "$T/invisible.h" "$TABLE"; then
	pass "invisible.h is the table of Unicode $have"
else
	fail "invisible.h is the table of Unicode $have"
	t_diag "$(diff -u "$TABLE" "$T/invisible.h" | head -40)"
fi
# the categories it stands for, counted from the database directly
n=$(awk -F';' '$3 == "Cf" || $3 == "Zl" || $3 == "Zp" || ($3 == "Zs" && $1 != "0020")' "$UCD/UnicodeData.txt" | wc -l)
[ "$n" -ge 150 ] && pass "$n Cf/Zl/Zp/Zs characters in the database" ||
	fail "only $n Cf/Zl/Zp/Zs characters read: did the format change?"
# and a few the table must hold, each read from the database first
sed -n 's/^    {0x\([0-9A-F]*\), 0x\([0-9A-F]*\)},$/\1 \2/p' "$TABLE" >"$T/ranges"
for cp in 00A0 00AD 200B 2028 2029 2060 3000 FEFF E0001; do
	cat=$(awk -F';' -v c="$cp" '$1 == c { print $3 }' "$UCD/UnicodeData.txt")
	in=0
	while read -r lo hi; do
		[ $((0x$cp)) -ge $((0x$lo)) ] && [ $((0x$cp)) -le $((0x$hi)) ] && in=1
	done <"$T/ranges"
	case $cat in Cf | Zs | Zl | Zp) ;; *) cat="not Cf/Zs/Zl/Zp: $cat" ;; esac
	expect_eq "U+$cp ($cat) is in the table" "$in" 1
done
t_done
