#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The bash completion (completions/keyauthctl) against keyauthctl's tables:
# bash loads it and completes simulated command lines (COMP_WORDS,
# COMP_CWORD). Every command is offered first; after each command exactly
# its options and the global ones; after an option that takes a value
# (has_arg in the table), a value, never an option; the command is found
# behind global options and their values.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/ctl/common.sh"
. "$top_srcdir/tests/ctl/tables.sh"
command -v bash >/dev/null 2>&1 || t_skip "no bash"
COMPLETION=$top_srcdir/completions/keyauthctl
[ -f "$COMPLETION" ] || t_bail "no $COMPLETION"

# comp WORD...: the completions of "keyauthctl WORD...", the last word the
# one being completed; sorted, one per line, into $T/comp
comp() {
	(cd "$T/cwd" && bash --norc --noprofile -c '
		. "$0" || exit 99
		COMP_WORDS=(keyauthctl "$@")
		COMP_CWORD=$#
		_keyauthctl
		printf "%s\n" "${COMPREPLY[@]}"' "$COMPLETION" "$@") | sed '/^$/d' | sort >"$T/comp"
}
# same NAME FILE: $T/comp holds exactly the lines of FILE
same() {
	sort -u "$2" | sed '/^$/d' >"$T/want"
	if cmp -s "$T/comp" "$T/want"; then pass "$1"; else
		fail "$1"; t_diag "$(diff "$T/want" "$T/comp" | sed 's/^</missing:/; s/^>/extra:  /' | grep -v '^[0-9]')"; fi
}
mkdir -p "$T/cwd" && : >"$T/cwd/alice.pub"

expect_eq "it registers itself" \
    "$(bash --norc --noprofile -c '. "$0"; complete -p keyauthctl' "$COMPLETION")" \
    "complete -F _keyauthctl keyauthctl"

{ cut -d' ' -f1 "$T/cmds"; echo help; } >"$T/x"
comp ""
same "the first word: every command of the table" "$T/x"
{ global_opts; echo --help; echo --version; } >"$T/globals"
comp -
same "an option before the command: the global ones" "$T/globals"

while read -r name mask; do
	t_case "$name"
	{ cat "$T/globals"; [ "$mask" = 0 ] || opts_of "$mask"; } >"$T/x"
	comp "$name" --
	same "exactly its options and the global ones" "$T/x"
	comp --policy p.yaml "$name" --
	same "behind --policy FILE, the same" "$T/x"
	comp --policy=p.yaml "$name" --
	same "behind --policy=FILE, the same" "$T/x"
	comp --policy = p.yaml "$name" --
	same "behind --policy = FILE (bash splits at =), the same" "$T/x"
	while read -r opt masks arg; do
		case "|$masks|" in *"|$mask|"* | *"|OPT_GLOBAL|"*) ;; *) continue ;; esac
		comp "$name" "$opt" --
		if [ "$arg" = 1 ]; then
			grep -q -e '^--' "$T/comp" && fail "$opt takes a value: no option offered after it" ||
			    pass "$opt takes a value: no option offered after it"
		else
			grep -qx -e '--help' "$T/comp" && pass "$opt takes no value: options after it" ||
			    fail "$opt takes no value: options after it"
		fi
	done <"$T/opts"
done <"$T/cmds"
t_case ""

comp report --format ""
printf 'csv\nhtml\njson\ntext\n' >"$T/x"
same "report --format: its formats" "$T/x"
comp diff --format ""
printf 'json\ntext\n' >"$T/x"
same "diff --format: its formats" "$T/x"
comp audit --format = ""
printf 'html\njson\ntext\n' >"$T/x"
same "audit --format= (split at =): its formats" "$T/x"
comp report --account ro
grep -qx root "$T/comp" && pass "--account: user names" || fail "--account: no user names"
comp explain ro
grep -qx root "$T/comp" && pass "explain: the account first" || fail "explain: no account"
comp explain root al
grep -qx alice.pub "$T/comp" && pass "explain: then the key file" || fail "explain: no key file"
comp check al
grep -qx alice.pub "$T/comp" && pass "check: the policy file" || fail "check: no file"
t_done
