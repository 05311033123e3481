#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# keyauthctl edit, driven by an EDITOR script that edits with sed and by
# answers piped on standard input: install only on "y", never an invalid
# file, re-edit on request, nothing touched on "n".
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/admin/common.sh"
require_root
mkdir -p "$T/etc" "$T/tmp" && chmod 0755 "$T/etc" && chmod 0700 "$T/tmp"
P="$T/etc/policy.yaml"
cp "$ADATA/base.yaml" "$P" && chmod 0644 "$P"
ctl() {
	TMPDIR="$T/tmp" "$KEYAUTHCTL" --policy "$P" --index "$T/var/policy.cdb" \
	    --krl "$T/var/revoked.krl" --state "$T/var/state" --host db-01 "$@"
}
ctl install >/dev/null || exit 99
serial() { ctl status | sed -n 's/^serial: //p'; }
# editor NAME SED...: an editor script applying the sed expressions
editor() {
	local n="$1"
	shift
	{ echo '#!/bin/sh'; printf 'exec sed -i'; for e in "$@"; do printf " -e '%s'" "$e"; done; echo ' "$1"'; } >"$T/$n"
	chmod 0755 "$T/$n"
}
editor bump 's/^serial: 10$/serial: 11/' 's|accounts: \[alice, deploy\]|accounts: [alice, deploy, www]|'
editor typo 's/^serial: 10$/serial: 11/' 's/    from: \[office\]/    form: [office]/'
editor noserial 's|accounts: \[alice, deploy\]|accounts: [alice]|'
sum0=$(sha256sum <"$P")

# "n": nothing installed, the policy file untouched, the edit kept
printf 'n\n' | EDITOR="$T/bump" ctl edit >"$T/out" 2>"$T/err"
expect_rc "answer n" $? 1
has "diff shown before asking" "$T/out" "+ www: alice-laptop"
has "asked" "$T/out" "Install this policy? [y/n]"
has "edit kept" "$T/out" "your edit is kept in $T/tmp/"
expect_eq "n: still serial 10" "$(serial)" 10
expect_eq "n: file untouched" "$(sha256sum <"$P")" "$sum0"

# invalid, do not re-edit: nothing reaches the policy
printf 'n\n' | EDITOR="$T/typo" ctl edit >"$T/out" 2>"$T/err"
expect_rc "invalid, n" $? 1
has "the error, located" "$T/out" "policy.yaml:11:5: error: unknown field 'form'"
has "re-edit offered" "$T/out" "Edit it again? [y/n]"
hasnt "no install question" "$T/out" "Install this policy?"
expect_eq "invalid: still serial 10" "$(serial)" 10
expect_eq "invalid: file untouched" "$(sha256sum <"$P")" "$sum0"

# end of input counts as "no"
EDITOR="$T/typo" ctl edit </dev/null >"$T/out" 2>"$T/err"
expect_rc "invalid, EOF" $? 1
expect_eq "EOF: file untouched" "$(sha256sum <"$P")" "$sum0"

# the serial must grow
printf 'n\n' | EDITOR="$T/noserial" ctl edit >"$T/out" 2>"$T/err"
expect_rc "serial not bumped" $? 1
has "serial named" "$T/out" "serial 10 must be greater than the current serial 10"

# invalid, re-edit (the second run fixes it), then y: installed
cat >"$T/twice" <<EOS
#!/bin/sh
if [ -e "$T/ran" ]; then
	exec sed -i -e 's/    form: \[office\]/    from: [office]/' "\$1"
fi
touch "$T/ran"
exec sed -i -e 's/^serial: 10\$/serial: 11/' -e 's/    from: \[office\]/    form: [office]/' "\$1"
EOS
chmod 0755 "$T/twice"
printf 'y\ny\n' | EDITOR="$T/twice" ctl edit >"$T/out" 2>"$T/err"
expect_rc "re-edit then y" $? 0
has "re-edit offered first" "$T/out" "Edit it again? [y/n]"
has "installed" "$T/out" "installed serial 11"
expect_eq "y: serial 11 installed" "$(serial)" 11
has "y: the file holds the edit" "$P" "serial: 11"
[ "$(stat -c %a "$P")" = 644 ] && pass "policy mode 0644" || fail "policy mode 0644"

# VISUAL wins over EDITOR; no change: nothing to do
printf 'y\n' | VISUAL=true EDITOR="$T/bump" ctl edit >"$T/out" 2>"$T/err"
expect_rc "no change" $? 0
has "no change said" "$T/out" "no changes; nothing to install"
# an editor that fails: nothing installed
printf 'y\n' | EDITOR=false ctl edit >"$T/out" 2>"$T/err"
expect_rc "editor fails" $? 1
has "editor failure said" "$T/err" "the editor failed; nothing installed"
expect_eq "still serial 11" "$(serial)" 11
# the install refuses (rollback of the state): the file is restored
editor bump12 's/^serial: 11$/serial: 12/'
sum1=$(sha256sum <"$P")
chmod 0666 "$T/var/state"
printf 'y\n' | EDITOR="$T/bump12" ctl edit >"$T/out" 2>"$T/err"
rc=$?
chmod 0644 "$T/var/state"
expect_rc "install fails" "$rc" 3
has "restored" "$T/err" "restored to its previous content"
expect_eq "install fails: file restored" "$(sha256sum <"$P")" "$sum1"
t_done
