#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# keyauthctl setup against a small root of its own: Debian 12's
# sshd_config and /etc/pam.d/sshd (tests/admin/data/setup), the package's
# sshd_config.d/keyauth.conf, the real sshd with its libraries (setup runs
# it as "chroot ROOT sshd -t"), a passwd, the helper and the module. The
# machine's /etc is never touched. Checked: the diff shown and that patch(1)
# applies it; --apply writes exactly that, keeps modes and owners, makes a
# backup, passes doctor; --revert restores byte for byte; every refusal
# (the lock-out rule's branches, an earlier setting, no Include, a broken
# configuration, one sshd -t or -T refuses after the change, what is not
# installed, a changed file at --revert, a PAM file that cannot be
# written) changes nothing.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/admin/common.sh"
require_root
SSHD_BIN=${SSHD:-/usr/sbin/sshd}
[ -x "$SSHD_BIN" ] || t_skip "no sshd (Debian: openssh-server)"
[ -x /usr/sbin/chroot ] || t_skip "no /usr/sbin/chroot"
command -v ldd >/dev/null 2>&1 || t_skip "no ldd"
command -v patch >/dev/null 2>&1 || t_skip "no patch (Debian: patch)"
SDATA=$ADATA/setup
# This build's paths (configure's), as doctor.sh reads them.
path() { sed -n "s/^#define $1 \"\\(.*\\)\"\$/\\1/p" "$top_builddir/kp-paths.h"; }
HPATH=$(path KP_DEFAULT_HELPER)
MODULE=$(path KP_DEFAULT_PAM_MODULE)
BACKUP=$(path KP_DEFAULT_SETUP_BACKUP)
KRL=$(path KP_DEFAULT_KRL)
SPOOL=$(path KP_DEFAULT_SPOOL)
VDIR=$(dirname "$(path KP_DEFAULT_INDEX)")
[ -n "$HPATH" ] && [ -n "$MODULE" ] && [ -n "$BACKUP" ] && [ -n "$KRL" ] && [ -n "$SPOOL" ] ||
    t_bail "no paths in $top_builddir/kp-paths.h"

R=$T/root
SNIP=$R/etc/ssh/sshd_config.d/keyauth.conf
PAMF=$R/etc/pam.d/sshd
# copy FILE: FILE and its libraries into the root, at the same paths.
copy() {
	for f in "$1" $(ldd "$1" | grep -o '/[^ ]*'); do
		mkdir -p "$R$(dirname "$f")"
		cp -L "$f" "$R$f" || t_bail "cannot copy $f"
	done
}
mkdir -p "$R/etc/ssh/sshd_config.d" "$R/etc/pam.d" "$R/run/sshd" "$R/dev" \
    "$R/usr/sbin" "$R/bin" "$R$(dirname "$HPATH")" "$R$(dirname "$MODULE")" \
    "$R$VDIR" "$R/etc/keyauth" || exit 99
copy "$SSHD_BIN"
mv "$R$SSHD_BIN" "$R/usr/sbin/sshd.real"
copy /bin/sh
mknod -m 0666 "$R/dev/null" c 1 3 || t_bail "mknod /dev/null"
# sshd, but it refuses what /fail-t and /wrong-T say (files in the root):
# a configuration sshd would not take after the change, or one in which
# another setting wins.
cat >"$R/usr/sbin/sshd" <<'EOF'
#!/bin/sh
if [ -e /fail-t ] && [ "$1" = -t ]; then
	while IFS= read -r l; do
		case $l in "AuthorizedKeysFile none")
			echo "/etc/ssh/sshd_config.d/keyauth.conf line 20: refused by the test" >&2
			exit 255 ;;
		esac
	done </etc/ssh/sshd_config.d/keyauth.conf
fi
if [ -e /wrong-T ] && [ "$1" = -T ]; then
	/usr/sbin/sshd.real "$@" | while IFS= read -r l; do
		case $l in "usedns no") echo "usedns yes" ;; *) printf '%s\n' "$l" ;; esac
	done
	exit 0
fi
exec /usr/sbin/sshd.real "$@"
EOF
chmod 0755 "$R/usr/sbin/sshd"
"$SSH_KEYGEN" -q -t ed25519 -N '' -f "$R/etc/ssh/ssh_host_ed25519_key" || exit 99
cat >"$R/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
sshd:x:102:65534::/run/sshd:/usr/sbin/nologin
keyauth:x:998:998:keyauth AuthorizedKeysCommand user:/nonexistent:/usr/sbin/nologin
alice:x:1000:1000::/home/alice:/bin/bash
EOF
printf 'root:x:0:\nnogroup:x:65534:\nkeyauth:x:998:\n' >"$R/etc/group"
printf '# /etc/shells: valid login shells\n/bin/sh\n/bin/bash\n/usr/bin/bash\n' >"$R/etc/shells"
cp "$SDATA/sshd_config" "$R/etc/ssh/sshd_config"
cp "$SDATA/pam.d-sshd" "$PAMF"
# the package's file, with this build's paths (those setup writes)
sed -e "s|@HELPER@|$HPATH|" -e 's|@KEYAUTH_USER@|keyauth|' -e "s|@KRL@|$KRL|" \
    -e 's|@EXAMPLEDIR@|/usr/share/doc/keyauth/examples|' -e 's|@DOCDIR@|/usr/share/doc/keyauth|' \
    "$top_srcdir/authorized-keys-command/sshd_config-keyauth.conf.in" >"$SNIP"
cp "$HELPER" "$R$HPATH" && chmod 0755 "$R$HPATH"
: >"$R$MODULE"
# pam_unix.so beside it: the plain name is what PAM finds (Debian's layout)
: >"$R$(dirname "$MODULE")/pam_unix.so"
mkdir -p "$R$SPOOL" && chown 998:998 "$R$SPOOL" && chmod 0700 "$R$SPOOL"
chmod 0755 "$R" "$R/etc" "$R/usr" "$R/var" "$R/var/lib" "$R$VDIR"
cp -p "$SNIP" "$T/keyauth.conf.orig"
cp -p "$PAMF" "$T/pam.orig"

"$SSH_KEYGEN" -q -t ed25519 -N '' -C admin -f "$T/admin" || exit 99
# policy NAME ACCOUNTS [OPTIONS]: install a policy granting the admin key
serial=0
policy() {
	serial=$((serial + 1))
	cat >"$R/etc/keyauth/policy.yaml" <<EOF
version: 1
serial: $serial
keys:
  - id: $1
    owner: admin@example.com
    key: $(cut -d' ' -f1,2 "$T/admin.pub")
    accounts: [$2]
    expires: 2099-01-01
${3:-}
EOF
	chmod 0644 "$R/etc/keyauth/policy.yaml"
	# each policy replaces the last one whole: not the mass removal install guards against
	ctl install --allow-removal >"$T/install.out" 2>&1 || { t_diag "$(cat "$T/install.out")"; t_bail "install failed"; }
	# the group of the root's keyauth user (install looks it up here)
	chgrp 998 "$R$VDIR/policy.cdb"
}
ctl() {
	"$KEYAUTHCTL" --index "$R$VDIR/policy.cdb" --krl "$R$VDIR/revoked.krl" \
	    --state "$R$VDIR/state" --policy "$R/etc/keyauth/policy.yaml" --host db-01 "$@"
}
setup() { ctl setup --root "$R" "$@"; }
# masked FILE: with this build's paths as names, for the golden files
masked() { sed -e "s|$T|\$T|g" -e "s|$HPATH|@HELPER@|g" -e "s|$KRL|@KRL@|g" -e "s|$BACKUP|@BACKUP@|g" "$1"; }
# untouched NAME: the files and the backup are as they were
untouched() {
	if cmp -s "$SNIP" "$T/keyauth.conf.orig" && cmp -s "$PAMF" "$T/pam.orig"; then
		pass "$1: nothing changed"
	else
		fail "$1: the files changed"
		t_diag "$(diff -u "$T/keyauth.conf.orig" "$SNIP"; diff -u "$T/pam.orig" "$PAMF")"
	fi
	[ ! -e "$R$BACKUP" ] && pass "$1: no backup" || fail "$1: a backup was left in $BACKUP"
}
# refused NAME TEXT SETUP-ARGS...: exit 1, the report says TEXT, nothing changed
refused() {
	local name=$1 text=$2
	shift 2
	run "$name" 1 setup --apply "$@"
	has "$name: why" "$T/out" "$text"
	has "$name: keyauthctl says so" "$T/err" "nothing changed"
	untouched "$name"
}

policy admin root

t_case "show"
run "setup" 0 setup
masked "$T/out" >"$T/show.txt"
golden setup-show.txt "$T/show.txt"
untouched "setup without --apply"
# the diff is one patch(1) applies to the files as they were
mkdir -p "$T/p/etc/ssh/sshd_config.d" "$T/p/etc/pam.d"
cp "$T/keyauth.conf.orig" "$T/p/etc/ssh/sshd_config.d/keyauth.conf"
cp "$T/pam.orig" "$T/p/etc/pam.d/sshd"
sed -n '/^--- /,/^$/p' "$T/out" >"$T/show.diff"
check "patch(1) applies the diff shown" patch -s -p1 -d "$T/p" -i "$T/show.diff"

t_case "apply"
chmod 0640 "$PAMF" && chgrp 65534 "$PAMF" && cp -p "$PAMF" "$T/pam.orig"
run "setup --apply" 0 setup --apply
has "sshd -t and -T after the change" "$T/out" "check: sshd -t and sshd -T: keyauth's settings are in effect"
has "no reload under --root" "$T/out" "setup: keyauth is enabled"
hasnt "no reload under --root (no sshd named)" "$T/out" "reloaded"
check "the snippet is what the diff said" cmp "$SNIP" "$T/p/etc/ssh/sshd_config.d/keyauth.conf"
check "the PAM file is what the diff said" cmp "$PAMF" "$T/p/etc/pam.d/sshd"
masked "$SNIP" >"$T/snip.txt"
golden setup-keyauth.conf "$T/snip.txt"
golden setup-pam.d-sshd "$PAMF"
expect_eq "the PAM file keeps its mode and owner" "$(stat -c '%a %u %g' "$PAMF")" "640 0 65534"
expect_eq "the snippet keeps its mode" "$(stat -c '%a %u %g' "$SNIP")" "644 0 0"
expect_eq "the backup directory" "$(stat -c '%a %u' "$R$BACKUP")" "700 0"
check "the backup holds the snippet as it was" cmp "$R$BACKUP/sshd.before" "$T/keyauth.conf.orig"
check "the backup holds the PAM file as it was" cmp "$R$BACKUP/pam.before" "$T/pam.orig"
has "the backup record" "$R$BACKUP/pam.meta" "mode 0640"
chroot "$R" /usr/sbin/sshd.real -T >"$T/sshd-T.txt" 2>&1
run "doctor after setup --apply" 0 ctl doctor --root "$R" --sshd-t-output "$T/sshd-T.txt"
expect_eq "doctor is clean" "$(cat "$T/out")" "doctor: no problems found"
run "setup again" 0 setup
has "again: nothing to change" "$T/out" "setup: nothing to change: keyauth is enabled in sshd and PAM"
run "setup --apply again" 0 setup --apply
check "--apply again: the backup still holds the files before setup" cmp "$R$BACKUP/pam.before" "$T/pam.orig"

t_case "revert"
run "setup --revert" 0 setup --revert
has "PAM first" "$T/out" "restored: /etc/pam.d/sshd"
has "sshd -t after" "$T/out" "check: sshd -t: the configuration is valid"
untouched "after --revert"
expect_eq "the PAM file's mode and owner are back" "$(stat -c '%a %u %g' "$PAMF")" "640 0 65534"
run "--revert again" 0 setup --revert
has "--revert again: nothing to do" "$T/out" "setup: nothing to revert"

t_case "revert refused"
setup --apply >/dev/null 2>&1
printf '# the admin was here\n' >>"$PAMF"
run "a file changed since setup" 1 setup --revert
has "it says which" "$T/err" "/etc/pam.d/sshd changed since keyauthctl setup wrote it"
has "the edit is kept" "$PAMF" "# the admin was here"
[ -e "$R$BACKUP/pam.before" ] && pass "the backup is kept" || fail "the backup is gone"
sed -i '$d' "$PAMF"
run "--revert once it is undone" 0 setup --revert
untouched "after the second --revert"

t_case "new snippet"
rm "$SNIP"
run "no keyauth.conf (make install)" 0 setup --apply
has "the file is new" "$T/out" "--- /dev/null"
head -n1 "$SNIP" >"$T/l1"
has "it says who wrote it" "$T/l1" "# keyauth for sshd, written by keyauthctl setup"
run "--revert removes it" 0 setup --revert
has "removed" "$T/out" "(removed: it did not exist)"
[ ! -e "$SNIP" ] && pass "no keyauth.conf after --revert" || fail "keyauth.conf left"
cp -p "$T/keyauth.conf.orig" "$SNIP"

t_case "module path"
mv "$R$(dirname "$MODULE")/pam_unix.so" "$T/pam_unix.so"
run "the module outside PAM's directory" 0 setup
has "its absolute path is written" "$T/out" "+account    required     $MODULE"
mv "$T/pam_unix.so" "$R$(dirname "$MODULE")/pam_unix.so"

t_case "lock-out"
mv "$R$VDIR/policy.cdb" "$T/policy.cdb"
refused "no index" "no usable index at $R$VDIR/policy.cdb"
has "no index: the fix" "$T/out" "fix: install a policy first: keyauthctl install"
run "no index, --have-console" 0 setup --apply --have-console
has "--have-console: a note" "$T/out" "note: no usable index"
has "--have-console: applied" "$T/out" "setup: keyauth is enabled"
setup --revert >/dev/null 2>&1
untouched "--have-console, reverted"
mv "$T/policy.cdb" "$R$VDIR/policy.cdb"
mv "$R$VDIR/revoked.krl" "$T/revoked.krl"
refused "no KRL" "no KRL at $R$VDIR/revoked.krl"
mv "$T/revoked.krl" "$R$VDIR/revoked.krl"
policy ghost ghost
refused "a grant for an account that does not exist" "with keyauth nobody could log in over ssh"
policy keyauth keyauth
refused "a grant for an account without a login shell" "with keyauth nobody could log in over ssh"
policy backup alice '    command: /usr/bin/true'
refused "a forced command only" "with keyauth nobody could log in over ssh"
policy admin root
printf 'PermitRootLogin no\n' >"$R/etc/ssh/sshd_config.d/00-local.conf"
refused "root only, PermitRootLogin no" "PermitRootLogin gives root no shell"
printf 'AllowUsers alice\n' >"$R/etc/ssh/sshd_config.d/00-local.conf"
refused "root only, AllowUsers alice" "AllowUsers/DenyUsers refuse some"
rm "$R/etc/ssh/sshd_config.d/00-local.conf"
policy admin 'root, alice'
run "alice and root" 0 setup
has "the accounts that get in" "$T/out" "root (1 key), alice (1 key)"

t_case "sshd"
printf 'AuthorizedKeysFile .ssh/authorized_keys\n' >"$R/etc/ssh/sshd_config.d/00-local.conf"
refused "an earlier file sets AuthorizedKeysFile" \
    "/etc/ssh/sshd_config.d/00-local.conf:1: \"AuthorizedKeysFile .ssh/authorized_keys\" is read before"
rm "$R/etc/ssh/sshd_config.d/00-local.conf"
sed -i 's|^Include |#Include |' "$R/etc/ssh/sshd_config"
refused "no Include" "/etc/ssh/sshd_config does not read /etc/ssh/sshd_config.d/keyauth.conf"
has "no Include: the fix" "$T/out" "fix: put \"Include /etc/ssh/sshd_config.d/*.conf\" at the top of /etc/ssh/sshd_config"
sed -i 's|^#Include |Include |' "$R/etc/ssh/sshd_config"
printf 'NoSuchOption yes\n' >"$R/etc/ssh/sshd_config.d/00-bad.conf"
refused "the current configuration is broken" "sshd -t fails with the current configuration"
has "sshd's own words" "$T/out" "sshd: /etc/ssh/sshd_config.d/00-bad.conf: line 1: Bad configuration option: NoSuchOption"
rm "$R/etc/ssh/sshd_config.d/00-bad.conf"
: >"$R/fail-t"
refused "sshd -t refuses the new file" "sshd -t fails with the new /etc/ssh/sshd_config.d/keyauth.conf"
has "sshd -t: restored" "$T/out" "restored: /etc/ssh/sshd_config.d/keyauth.conf"
rm "$R/fail-t"
: >"$R/wrong-T"
refused "sshd -T shows another value" "sshd -T says \"UseDNS yes\", not \"no\""
rm "$R/wrong-T"

# The PAM file cannot be written (a read-only mount): keyauth.conf is put
# back, no backup is left.
if unshare --mount --propagation private true 2>/dev/null; then
	run "the PAM file cannot be written" 3 unshare --mount --propagation private sh -c \
	    'mount --bind -o ro "$1/etc/pam.d" "$1/etc/pam.d" && shift && exec "$@"' \
	    sh "$R" "$KEYAUTHCTL" --index "$R$VDIR/policy.cdb" --krl "$R$VDIR/revoked.krl" \
	    --host db-01 setup --root "$R" --apply
	has "a read-only PAM file: why" "$T/err" "cannot write /etc/pam.d/sshd"
	has "a read-only PAM file: keyauth.conf put back" "$T/out" "restored: /etc/ssh/sshd_config.d/keyauth.conf"
	untouched "a read-only PAM file"
fi

t_case "installed"
mv "$R$HPATH" "$T/helper"
refused "no helper" "the helper $HPATH is not installed"
mv "$T/helper" "$R$HPATH"
mv "$R$MODULE" "$T/module"
refused "no module" "the PAM module $MODULE is not installed"
mv "$T/module" "$R$MODULE"
sed -i '/^keyauth:/d' "$R/etc/passwd"
refused "no keyauth user" "the user keyauth (AuthorizedKeysCommandUser) does not exist"
printf 'keyauth:x:998:998::/nonexistent:/usr/sbin/nologin\n' >>"$R/etc/passwd"
sed -i 's/^@include common-account/@include my-account/' "$PAMF"
cp -p "$PAMF" "$T/pam.orig"
refused "PAM file without @include common-account" "no \"@include common-account\" line"
cp "$SDATA/pam.d-sshd" "$PAMF"
chmod 0640 "$PAMF" && chgrp 65534 "$PAMF" && cp -p "$PAMF" "$T/pam.orig"
mv "$SNIP" "$T/snip" && ln -s "$T/snip" "$SNIP"
run "the snippet is a symbolic link" 1 setup --apply
has "a link: why" "$T/err" "is a symbolic link"
rm "$SNIP" && mv "$T/snip" "$SNIP"
untouched "a link"

t_case "usage"
run "--apply and --revert" 2 setup --apply --revert
run "another index" 2 "$KEYAUTHCTL" --index "$T/x.cdb" --host db-01 setup --root "$R"
has "another index: why" "$T/err" "the index and the KRL must be the default ones"
run "a relative --pam-file" 2 setup --pam-file pam.d/sshd
if command -v setpriv >/dev/null 2>&1; then
	run "--apply as another user" 3 setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$KEYAUTHCTL" --index "$R$VDIR/policy.cdb" --krl "$R$VDIR/revoked.krl" --host db-01 \
	    setup --root "$R" --apply
	has "it needs root" "$T/err" "setup --apply needs root"
	run "the diff as another user" 0 setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$KEYAUTHCTL" --index "$R$VDIR/policy.cdb" --krl "$R$VDIR/revoked.krl" --host db-01 \
	    setup --root "$R"
	has "without root: sshd is not run" "$T/out" "note: sshd -t not run (it needs root)"
	has "without root: the index is not read" "$T/out" "note: this user cannot read the index"
	has "without root: the diff" "$T/out" "+AuthorizedKeysFile none"
fi
untouched "at the end"
t_done
