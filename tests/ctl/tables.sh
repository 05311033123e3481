# SPDX-License-Identifier: BSD-2-Clause
# keyauthctl's command and option tables, read from keyauthctl/keyauthctl.c
# in their current shape (the greps of tests/man/coverage.sh), for the
# tests that check help and completion against them. Sourced after
# tests/lib.sh; a table that changed its shape fails here, loudly, rather
# than leaving nothing to check.
#   $T/cmds  "name MASK" per command
#   $T/opts  "--name MASK|MASK has_arg" per option
grep -h -o '{"[a-z][a-z-]*", *cmd_[a-z_]*, *[A-Z0-9_]*' "$top_srcdir"/keyauthctl/*.c |
    sed 's/{"\([^"]*\)", *cmd_[a-z_]*, *\([A-Z0-9_]*\)/\1 \2/' | sort -u >"$T/cmds"
grep -h -o '{"--[a-z][a-z-]*", *O_[A-Z_]*, *[01], *[A-Z_ |]*}' "$top_srcdir"/keyauthctl/*.c |
    sed 's/{"\([^"]*\)", *O_[A-Z_]*, *\([01]\), *\([A-Z_ |]*\)}/\1 \3 \2/' |
    awk '{ a = $NF; $NF = ""; m = $0; sub(/^[^ ]+ /, "", m); gsub(/ /, "", m); print $1, m, a }' |
    sort -u >"$T/opts"
[ "$(wc -l <"$T/cmds")" -ge 11 ] || t_bail "read $(wc -l <"$T/cmds") commands from keyauthctl.c: did the table change shape?"
[ "$(wc -l <"$T/opts")" -ge 20 ] || t_bail "read $(wc -l <"$T/opts") options from keyauthctl.c: did the table change shape?"
# opts_of MASK: the options of one command (its bit), one per line
opts_of() { awk -v m="$1" '{ n = split($2, b, "|"); for (i = 1; i <= n; i++) if (b[i] == m) print $1 }' "$T/opts"; }
# global_opts: the options every command takes
global_opts() { opts_of OPT_GLOBAL; }
