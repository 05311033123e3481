#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The manual pages are clean: mandoc -Tlint prints nothing for any of them
# (every message level, style included), and groff, which man(1) and
# lintian use, warns about none.
#
# mandoc checks that each .Xr names an installed page. So that the answer
# does not depend on whether keyauth is installed, nor on the machine's
# mandoc database, the lint runs against a private manual tree holding our
# pages and links to the system pages they reference; a reference to a
# page that is not installed here is reported like any other message.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
command -v mandoc >/dev/null 2>&1 || { echo "skip: mandoc not installed (Debian: mandoc)"; exit 77; }
command -v makewhatis >/dev/null 2>&1 || { echo "skip: makewhatis (mandoc) not installed"; exit 77; }
t_tmpdir
MAN=$top_srcdir/docs/man
pages=$(cd "$MAN" && ls -- *.[1-8])
[ -n "$pages" ] || { fail "no pages in $MAN"; t_done; exit; }

tree=$T/man
for p in $pages; do
	s=${p##*.}
	mkdir -p "$tree/man$s"
	cp "$MAN/$p" "$tree/man$s/$p"
done
# Copies of the system pages they reference (makewhatis leaves out links
# that point outside its tree).
for ref in $(cd "$MAN" && sed -n 's/^\.Xr \([^ ]*\) \([1-9]\).*/\1.\2/p' $pages | sort -u); do
	s=${ref##*.}
	[ -e "$tree/man$s/$ref" ] && continue
	for f in /usr/share/man/man"$s"/"$ref" /usr/share/man/man"$s"/"$ref".gz; do
		[ -e "$f" ] || continue
		mkdir -p "$tree/man$s"
		cp -L "$f" "$tree/man$s/"
		break
	done
done
makewhatis "$tree" || { fail "makewhatis $tree"; t_done; exit; }

for p in $pages; do
	out=$(mandoc -Tlint -W style -M "$tree" "$MAN/$p" 2>&1)
	if [ -z "$out" ]; then
		pass "mandoc -Tlint $p: no messages"
	else
		fail "mandoc -Tlint $p"
		printf '%s\n' "$out" | sed 's/^/  /'
		case $out in *"referenced manual not found"*)
			echo "  (a referenced page must be installed here: name its package in ./dev)" ;;
		esac
	fi
done

# What lintian runs (its manpages check): groff through man(1), warnings on.
if command -v man >/dev/null 2>&1 && command -v groff >/dev/null 2>&1; then
	for p in $pages; do
		out=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
		    man --warnings -E UTF-8 -l -Tutf8 -Z "$MAN/$p" 2>&1 >/dev/null)
		if [ -z "$out" ]; then pass "groff $p: no warnings"; else
			fail "groff $p"
			printf '%s\n' "$out" | sed 's/^/  /'
		fi
	done
else
	echo "# man or groff not installed: groff's warnings not checked"
fi
t_done
