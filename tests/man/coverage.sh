#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Every command, option and PAM argument in the code has its entry in its
# manual page, every field the policy loader accepts is in
# keyauth-policy(5), and every key of keyauth.conf in keyauth.conf(5).
#
# The lists are read from the code, not written down here:
#   keyauthctl      the command table ({"name", cmd_fn, OPT_MASK, ...}) and
#                   the option table ({"--name", O_ID, has_arg, OPT_A | ...})
#                   of keyauthctl/*.c, and the strcmp(a, "-h")-style options
#                   parse_args() handles itself;
#   the helper      its getopt() option string (and any struct option table);
#   pam_keyauth     ka_opt(arg, "name", ...), strcmp(arg, "flag") and the
#                   values strcmp(v, "value") of ka_parse_args();
#   the policy      the top_fields, entry_fields, revoke_fields, person_fields and grant_fields tables of
#                   the loader.
# Each page is rendered with mandoc and an item counts as documented only
# where a reader looks for it: a command needs its own subsection under
# COMMANDS and a place in SYNOPSIS, an option or argument must start a line
# (a list entry) in OPTIONS or in its command's subsection.
#
# The checker is then run on copies of the pages with one item removed
# each, and must report exactly that item: the test proves it can fail.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
command -v mandoc >/dev/null 2>&1 || { echo "skip: mandoc not installed (Debian: mandoc)"; exit 77; }
t_tmpdir
SRC=$top_srcdir
MAN=$top_srcdir/docs/man

# ------------------------------------------------------------ from the code

# keyauthctl: "name mask" per command.
grep -h -o '{"[a-z][a-z-]*", *cmd_[a-z_]*, *[A-Z0-9_]*' "$SRC"/keyauthctl/*.c |
    sed 's/{"\([^"]*\)", *cmd_[a-z_]*, *\([A-Z0-9_]*\)/\1 \2/' | sort -u >"$T/cmds"
# keyauthctl: "--name MASK|MASK" per option.
grep -h -o '{"--[a-z][a-z-]*", *O_[A-Z_]*, *[01], *[A-Z_ |]*}' "$SRC"/keyauthctl/*.c |
    sed 's/{"\([^"]*\)", *O_[A-Z_]*, *[01], *\([A-Z_ |]*\)}/\1 \2/' | tr -d ' ' |
    sed 's/^\(--[a-z-]*\)/\1 /' | sort -u >"$T/opts"
# options main's parser recognises by name (-h, --help, -V, --version ...)
grep -h -o 'strcmp(a, "-[^"]*")' "$SRC"/keyauthctl/*.c | sed 's/.*"\(.*\)")/\1/' |
    grep -v '^--$' | sort -u >"$T/selfopts"
# The helper: getopt's option string, and long options if it gains some.
sed -n 's/.*getopt[_a-z]*([^"]*"+\{0,1\}\([^"]*\)".*/\1/p' \
    "$SRC"/authorized-keys-command/*.c | head -n1 | sed 's/://g' | fold -w1 |
    sed 's/^/-/' >"$T/helperopts"
grep -h -o '{"[a-z][a-z-]*", *\(no\|required\|optional\)_argument' \
    "$SRC"/authorized-keys-command/*.c | sed 's/{"\([^"]*\)".*/--\1/' >>"$T/helperopts"
# pam_keyauth: "name=" for valued arguments, "name=value" for each allowed
# value, "name" for flags.
awk '
/ka_parse_args\(/ { inf = 1 }
inf && /^}/ { inf = 0 }
!inf { next }
{
	line = $0
	while (match(line, /ka_opt\(arg, "[a-z_]+"|strcmp\(arg, "[a-z_]+"\)|strcmp\(v, "[a-z_]+"\)/)) {
		tok = substr(line, RSTART, RLENGTH)
		line = substr(line, RSTART + RLENGTH)
		split(tok, q, "\"")
		if (tok ~ /^ka_opt/) { cur = q[2]; print cur "=" }
		else if (tok ~ /^strcmp\(arg/) { cur = ""; print q[2] }
		else if (cur != "") print cur "=" q[2]
	}
}' "$SRC"/pam_keyauth/*.c | sort -u >"$T/pamargs"
# The loader's field tables.
fields() { # TABLE
	find "$SRC/policy" -name '*.c' -exec awk -v t="$1" '
	index($0, t "[] = {") { on = 1; next }
	on && /^};/ { on = 0 }
	on && match($0, /^[ \t]*\{"[a-z_]+"/) { s = substr($0, RSTART, RLENGTH); sub(/^[ \t]*\{"/, "", s); sub(/"$/, "", s); print s }' {} + | sort -u
}
fields top_fields >"$T/top"
fields entry_fields >"$T/entry"
fields revoke_fields >"$T/revoke"
fields authority_fields >"$T/authority"
fields person_fields >"$T/person"
fields grant_fields >"$T/grant"
# keyauth.conf: the key table of policy/model/conf.c, same shape.
fields conf_keys >"$T/confkeys"

# What was read must look like the code: a table that moved or changed its
# shape fails here instead of passing with nothing to check.
atleast() { # NAME FILE N
	n=$(wc -l <"$2")
	if [ "$n" -ge "$3" ]; then pass "$1: $n read from the code"; else
		fail "$1: only $n read from the code (expected at least $3): did the table change shape?"; fi
}
atleast "keyauthctl commands" "$T/cmds" 10
atleast "keyauthctl options" "$T/opts" 16
atleast "keyauthctl built-in options" "$T/selfopts" 4
atleast "keyauth-authorized-keys options" "$T/helperopts" 3
atleast "pam_keyauth arguments" "$T/pamargs" 10
atleast "policy top-level fields" "$T/top" 6
atleast "policy entry fields" "$T/entry" 11
atleast "policy revocation fields" "$T/revoke" 5
atleast "policy authority fields" "$T/authority" 12
atleast "policy person fields" "$T/person" 2
atleast "policy grant fields" "$T/grant" 10
atleast "keyauth.conf keys" "$T/confkeys" 6

# ------------------------------------------------------------ the pages

# render PAGE OUT: the page as a reader sees it, overstrike removed.
render() {
	mandoc -Tascii -Owidth=200 "$1" 2>/dev/null | sed 's/.\x08//g' >"$2"
}
# section FILE NAME: the lines of one section (NAME: a line at column 0).
section() {
	awk -v s="$2" '/^[A-Z]/ { on = ($0 == s); next } on' "$1"
}
# subsection FILE SECTION NAME: the lines of one subsection (3 spaces in).
subsection() {
	section "$1" "$2" | awk -v s="$3" '/^   [^ ]/ { sub(/^   /, ""); on = ($0 == s); next } on'
}
# item TEXT WORD: WORD starts a line (a list entry), alone or before ", ",
# " " or after other entries of the same line ("-h, --help"). A WORD
# ending in "=" takes its value's placeholder ("index=path").
item() {
	case $2 in
	*=) printf '%s\n' "$1" | grep -E -q -e "^ +([^ ]+, )*$(re "$2")" ;;
	*) printf '%s\n' "$1" | grep -E -q -e "^ +([^ ]+, )*$(re "$2")([ ,]|\$)" ;;
	esac
}
# re WORD: WORD as an extended regular expression.
re() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'; }

# check_pages DIR: print one line per item missing from the pages in DIR.
check_pages() {
	d=$1
	render "$d/keyauthctl.8" "$T/ctl.txt"
	render "$d/keyauth-authorized-keys.8" "$T/helper.txt"
	render "$d/pam_keyauth.8" "$T/pam.txt"
	render "$d/keyauth-policy.5" "$T/policy.txt"
	render "$d/keyauth.conf.5" "$T/conf.txt"
	syn=$(section "$T/ctl.txt" SYNOPSIS)
	globals=$(section "$T/ctl.txt" OPTIONS)
	while read -r name mask; do
		printf '%s\n' "$syn" | grep -q -E "(^| )$name( |\$)" ||
		    echo "keyauthctl.8: command $name missing from SYNOPSIS"
		body=$(subsection "$T/ctl.txt" COMMANDS "$name")
		[ -n "$body" ] || echo "keyauthctl.8: command $name has no subsection under COMMANDS"
		# The options that apply to this command (its bit in an option's mask).
		[ "$mask" = 0 ] && continue
		while read -r opt masks; do
			case "|$masks|" in *"|$mask|"*)
				item "$body" "$opt" ||
				    echo "keyauthctl.8: option $opt of $name missing from its subsection" ;;
			esac
		done <"$T/opts"
	done <"$T/cmds"
	while read -r opt masks; do
		case "|$masks|" in *"|OPT_GLOBAL|"*)
			item "$globals" "$opt" ||
			    echo "keyauthctl.8: global option $opt missing from OPTIONS" ;;
		esac
	done <"$T/opts"
	while read -r opt; do
		item "$globals" "$opt" || echo "keyauthctl.8: option $opt missing from OPTIONS"
	done <"$T/selfopts"
	body=$(section "$T/helper.txt" OPTIONS)
	while read -r opt; do
		item "$body" "$opt" || echo "keyauth-authorized-keys.8: option $opt missing from OPTIONS"
	done <"$T/helperopts"
	body=$(section "$T/pam.txt" OPTIONS)
	while read -r arg; do
		item "$body" "$arg" || echo "pam_keyauth.8: argument $arg missing from OPTIONS"
	done <"$T/pamargs"
	for t in "top:Top level" "entry:Grants" "revoke:Revocations" "authority:Authorities" "person:People" "grant:Team grants"; do
		body=$(subsection "$T/policy.txt" DESCRIPTION "${t#*:}")
		while read -r f; do
			item "$body" "$f" ||
			    echo "keyauth-policy.5: field $f missing from \"${t#*:}\""
		done <"$T/${t%%:*}"
	done
	body=$(section "$T/conf.txt" KEYS)
	while read -r k; do
		item "$body" "$k" || echo "keyauth.conf.5: key $k missing from KEYS"
	done <"$T/confkeys"
}

check_pages "$MAN" >"$T/missing"
if [ -s "$T/missing" ]; then
	fail "the pages document everything in the code"
	sed 's/^/  /' "$T/missing"
else
	pass "the pages document every command, option, PAM argument and policy field"
fi

# ------------------------------------------------------- the checker fails
# mutant NAME PAGE SED WANT: PAGE with SED applied must be reported by WANT.
mutant() {
	rm -rf "$T/m" && cp -r "$MAN" "$T/m"
	sed -e "$3" "$MAN/$2" >"$T/m/$2"
	if cmp -s "$MAN/$2" "$T/m/$2"; then
		fail "mutant $1: the edit changed nothing in $2 (fix the test)"
		return
	fi
	check_pages "$T/m" >"$T/m.out"
	if grep -q -x -F "$4" "$T/m.out" && [ "$(wc -l <"$T/m.out")" -eq 1 ]; then
		pass "mutant $1 is caught"
	else
		fail "mutant $1: expected only \"$4\""
		sed 's/^/  got: /' "$T/m.out"
	fi
}
# Delete the list entry of one item (the .It line and its text stay apart:
# the entry's first line is what makes it an entry).
mutant "keyauthctl check --strict" keyauthctl.8 '/^\.Ss check$/,/^\.Ss /{/^\.It Fl \\-strict$/d;}' \
    "keyauthctl.8: option --strict of check missing from its subsection"
mutant "keyauthctl global --krl" keyauthctl.8 '/^\.It Fl \\-krl Ar path$/d' \
    "keyauthctl.8: global option --krl missing from OPTIONS"
mutant "keyauthctl -V" keyauthctl.8 's/^\.It Fl V , Fl \\-version$/.It Fl \\-version/' \
    "keyauthctl.8: option -V missing from OPTIONS"
mutant "keyauthctl edit subsection" keyauthctl.8 's/^\.Ss edit$/.Ss editing/' \
    "keyauthctl.8: command edit has no subsection under COMMANDS"
mutant "helper -H" keyauth-authorized-keys.8 '/^\.It Fl H Ar host$/d' \
    "keyauth-authorized-keys.8: option -H missing from OPTIONS"
mutant "pam nokey=ignore" pam_keyauth.8 '/^\.It Cm nokey Ns = Ns Cm ignore$/d' \
    "pam_keyauth.8: argument nokey=ignore missing from OPTIONS"
mutant "pam debug" pam_keyauth.8 '/^\.It Cm debug$/d' \
    "pam_keyauth.8: argument debug missing from OPTIONS"
mutant "grant to" keyauth-policy.5 '/^\.It Ic to$/d' \
    "keyauth-policy.5: field to missing from \"Team grants\""
mutant "policy comment" keyauth-policy.5 '/^\.Ss Grants$/,/^\.Ss /{/^\.It Ic comment$/d;}' \
    "keyauth-policy.5: field comment missing from \"Grants\""
mutant "keyauth.conf max_removal" keyauth.conf.5 '/^\.It Ic max_removal$/d' \
    "keyauth.conf.5: key max_removal missing from KEYS"
mutant "keyauthctl fetch --allow-removal" keyauthctl.8 '/^\.Ss fetch$/,/^\.Ss /{/^\.It Fl \\-allow\\-removal$/d;}' \
    "keyauthctl.8: option --allow-removal of fetch missing from its subsection"
t_done
