#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# keyauthctl doctor against crafted sshd -T outputs, PAM stacks and a
# file tree under --root: a clean configuration, every listed problem on
# its own, and one configuration with everything wrong (whole output).
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/admin/common.sh"
require_root
R="$T/root"
# The spool is where this build looks for it (configure's runstatedir).
SPOOL=$(sed -n 's/^#define KP_DEFAULT_SPOOL "\(.*\)"$/\1/p' "$top_builddir/kp-paths.h")
[ -n "$SPOOL" ] || t_bail "no KP_DEFAULT_SPOOL in $top_builddir/kp-paths.h"
mkdir -p "$R/usr/libexec/keyauth" "$R/etc/keyauth" "$R/etc/pam.d" \
    "$R/var/lib/keyauth" "$R/run" "$R$SPOOL" || exit 99
chmod 0755 "$R" "$R/usr" "$R/usr/libexec" "$R/usr/libexec/keyauth" "$R/etc" \
    "$R/etc/keyauth" "$R/etc/pam.d" "$R/var" "$R/var/lib" "$R/var/lib/keyauth" "$R/run"
cp "$HELPER" "$R/usr/libexec/keyauth/keyauth-authorized-keys" 2>/dev/null ||
    printf '#!/bin/sh\nexit 1\n' >"$R/usr/libexec/keyauth/keyauth-authorized-keys"
chmod 0755 "$R/usr/libexec/keyauth/keyauth-authorized-keys"
cp "$ADATA/passwd" "$R/etc/passwd"
cp "$ADATA"/pam/* "$R/etc/pam.d/"
chown 998:998 "$R$SPOOL"
chmod 0700 "$R$SPOOL"
# a policy that expires, so that staleness can be asked about with --at
sed 's/^serial: 10$/serial: 10\nexpires: 2037-01-01/' "$ADATA/base.yaml" >"$R/etc/keyauth/policy.yaml"
chmod 0644 "$R/etc/keyauth/policy.yaml"
V="$R/var/lib/keyauth"
ctl() {
	"$KEYAUTHCTL" --index "$V/policy.cdb" --krl "$V/revoked.krl" --state "$V/state" \
	    --policy "$R/etc/keyauth/policy.yaml" --host db-01 "$@"
}
ctl install >"$T/install.out" 2>&1 || { t_diag "$(cat "$T/install.out")"; t_bail "keyauthctl install failed"; }
# As install leaves it for the helper's user of the test passwd (gid 998):
# this machine has no such user.
chgrp 998 "$V/policy.cdb"
chmod 0640 "$V/policy.cdb"
chmod 0600 "$V/revoked.krl"
cp "$ADATA/sshd-t-clean.txt" "$T/clean.txt"
doc() { ctl doctor --root "$R" --at "${AT:-2030-01-01}" "$@"; }
# sshd NAME SED: a variant of the clean sshd -T output
sshd() { sed -e "$2" "$T/clean.txt" >"$T/$1.txt"; }
# expect NAME CODE: doctor on variant NAME finds error [CODE], exit 1
expect() {
	run "$1" 1 doc --sshd-t-output "$T/$1.txt" ${3:-}
	has "$1: [$2]" "$T/out" "error [$2]:"
}
# masked FILE: the output with $T and the spool replaced, for golden files
masked() { sed -e "s|$T|\$T|g" -e "s|$SPOOL|\$SPOOL|g" "$1"; }

run "clean" 0 doc --sshd-t-output "$T/clean.txt"
golden doctor-clean.txt "$T/out"

run "everything wrong" 1 doc --sshd-t-output "$ADATA/sshd-t-bad.txt" --pam-file "$R/etc/pam.d/sshd-bad"
masked "$T/out" >"$T/bad.txt"
golden doctor-bad.txt "$T/bad.txt"

sshd akf 's|^authorizedkeysfile none|authorizedkeysfile .ssh/authorized_keys .ssh/authorized_keys2|'
expect akf authorized-keys-file
has "akf: the fix" "$T/out" 'fix: set "AuthorizedKeysFile none"'
sshd akc 's|^authorizedkeyscommand .*|authorizedkeyscommand none|'
expect akc authorized-keys-command
sshd relative 's|^authorizedkeyscommand /usr/libexec/keyauth/|authorizedkeyscommand |'
expect relative helper-path
sshd noargs 's| %u %f %t %k$| %u|'
run "helper without %f %t %k" 0 doc --sshd-t-output "$T/noargs.txt"
has "noargs: warning" "$T/out" "warning [helper-args]:"
sshd nobody 's|^authorizedkeyscommanduser keyauth|authorizedkeyscommanduser nobody|'
expect nobody helper-user
sshd ghost 's|^authorizedkeyscommanduser keyauth|authorizedkeyscommanduser ghost|'
expect ghost helper-user
has "ghost: does not exist" "$T/out" "AuthorizedKeysCommandUser ghost does not exist"
sshd rk 's|^revokedkeys .*|revokedkeys none|'
expect rk revoked-keys
sshd dns 's|^usedns no|usedns yes|'
expect dns use-dns
sshd nopam 's|^usepam yes|usepam no|'
expect nopam use-pam
: >"$T/empty.txt"
expect empty sshd-config

# the helper's path
chmod g+w "$R/usr/libexec/keyauth"
expect clean helper-path
has "group-writable directory named" "$T/out" "/usr/libexec/keyauth is writable by group or others (mode 0775)"
chmod g-w "$R/usr/libexec/keyauth"
chown 1000 "$R/usr/libexec/keyauth/keyauth-authorized-keys"
expect clean helper-path
has "helper owner named" "$T/out" "is owned by uid 1000, not root"
chown 0 "$R/usr/libexec/keyauth/keyauth-authorized-keys"
mv "$R/usr/libexec/keyauth/keyauth-authorized-keys" "$T/helper.saved"
expect clean helper-path
mv "$T/helper.saved" "$R/usr/libexec/keyauth/keyauth-authorized-keys"

# A path through a directory that is not keyauth's (/tmp, a missing
# /opt): the fix never changes that directory, it says where the helper
# belongs and what to point at it.
# Where this build installs them (configure's libexecdir, localstatedir).
path_of() { sed -n "s/^#define $1 \"\(.*\)\"\$/\1/p" "$top_builddir/kp-paths.h"; }
HELPER_DIR=$(dirname "$(path_of KP_DEFAULT_HELPER)")
KRL_DIR=$(dirname "$(path_of KP_DEFAULT_KRL)")
mkdir -p "$R/tmp" && chmod 1777 "$R/tmp"
cp "$R/usr/libexec/keyauth/keyauth-authorized-keys" "$R/tmp/keyauth-authorized-keys"
sshd intmp 's|^authorizedkeyscommand /usr/libexec/keyauth/|authorizedkeyscommand /tmp/|'
expect intmp helper-path
has "helper in /tmp: the problem" "$T/out" "AuthorizedKeysCommand: /tmp is writable by group or others (mode 1777)"
has "helper in /tmp: the fix" "$T/out" "fix: leave /tmp as it is (it is not keyauth's): put the AuthorizedKeysCommand in $HELPER_DIR, where keyauth installs it, and point AuthorizedKeysCommand in sshd_config at it"
hasnt "helper in /tmp: no chmod of /tmp" "$T/out" "chmod go-w /tmp"
sshd inopt 's|^authorizedkeyscommand /usr/libexec/keyauth/|authorizedkeyscommand /opt/keyauth-bin/|'
expect inopt helper-path
has "helper under a missing /opt: the problem" "$T/out" "AuthorizedKeysCommand: /opt does not exist"
has "helper under a missing /opt: the fix" "$T/out" "fix: put the AuthorizedKeysCommand in $HELPER_DIR, where keyauth installs it, and point AuthorizedKeysCommand in sshd_config at it"
hasnt "helper under a missing /opt: not created" "$T/out" "create it"
# keyauth's own directory missing: install keyauth
mv "$R/usr/libexec/keyauth" "$T/libexec.saved"
expect clean helper-path
has "own directory missing: install keyauth" "$T/out" "fix: install keyauth (its package creates /usr/libexec/keyauth) or fix the path"
mv "$T/libexec.saved" "$R/usr/libexec/keyauth"
# ... and keyauth's own directory writable by others: that one is fixed
chmod g+w "$R/usr/libexec/keyauth"
expect clean helper-path
has "own directory writable: chmod it" "$T/out" "fix: chmod go-w /usr/libexec/keyauth"
chmod g-w "$R/usr/libexec/keyauth"
# RevokedKeys under a home
mkdir -p "$R/home/ops" && chown 1000 "$R/home/ops" && chmod 0755 "$R/home" "$R/home/ops"
cp "$V/revoked.krl" "$R/home/ops/revoked.krl"
sshd krlhome 's|^revokedkeys .*|revokedkeys /home/ops/revoked.krl|'
expect krlhome krl
has "KRL in a home: the fix" "$T/out" "fix: leave /home/ops as it is (it is not keyauth's): put the RevokedKeys in $KRL_DIR, where keyauth installs it, and point RevokedKeys in sshd_config at it"
hasnt "KRL in a home: no chown of the home" "$T/out" "chown root /home/ops"

# AuthenticationMethods: sshd runs the PAM account stage when
# keyboard-interactive completes, so publickey must come first.
sshd kbdfirst 's|^usepam yes|usepam yes\nauthenticationmethods publickey,password keyboard-interactive:pam,publickey|'
expect kbdfirst authentication-methods
has "keyboard-interactive first: names the list" "$T/out" 'AuthenticationMethods "keyboard-interactive:pam,publickey": sshd runs the PAM account stage when keyboard-interactive completes, before the key is offered'
has "keyboard-interactive first: the fix" "$T/out" 'fix: list publickey before keyboard-interactive ("AuthenticationMethods publickey,keyboard-interactive") and reload sshd'
hasnt "publickey,password is fine" "$T/out" 'AuthenticationMethods "publickey,password"'
sshd kbdlast 's|^usepam yes|usepam yes\nauthenticationmethods publickey,keyboard-interactive:pam any|'
run "publickey,keyboard-interactive: no finding" 0 doc --sshd-t-output "$T/kbdlast.txt"
hasnt "publickey,keyboard-interactive: no finding" "$T/out" "authentication-methods"

# the helper's user must not be able to write what it reads
chown 998 "$V/policy.cdb"
expect clean helper-writes
has "index named" "$T/out" "AuthorizedKeysCommandUser keyauth can write the index"
chown 0 "$V/policy.cdb"
chmod 0777 "$V"
expect clean helper-writes
chmod 0755 "$V"

# who can read the index and the KRL
chmod 0644 "$V/policy.cdb"
run "world-readable index: a warning" 0 doc --sshd-t-output "$T/clean.txt"
has "world-readable index" "$T/out" "warning [index-readers]:"
has "world-readable index: who" "$T/out" "is readable by every local user (mode 0644"
has "world-readable index: fix" "$T/out" "chown root:998 $V/policy.cdb && chmod 0640"
chmod 0640 "$V/policy.cdb"
chgrp 0 "$V/policy.cdb"
expect clean index-readers
has "index the helper cannot read" "$T/out" "AuthorizedKeysCommandUser keyauth cannot read the index"
chgrp 998 "$V/policy.cdb"
chmod 0644 "$V/revoked.krl"
run "world-readable KRL: a warning" 0 doc --sshd-t-output "$T/clean.txt"
has "world-readable KRL" "$T/out" "warning [krl-readers]:"
chmod 0600 "$V/revoked.krl"

# the spool
chmod 0755 "$R$SPOOL"
expect clean spool
chmod 0700 "$R$SPOOL"
chown 0 "$R$SPOOL"
expect clean spool
chown 998 "$R$SPOOL"

# PAM
pam() { sed -e "$2" "$ADATA/pam/sshd" >"$R/etc/pam.d/$1"; }
pam noacct '/^account *required *pam_keyauth.so/d'
expect clean pam-account "--pam-file $R/etc/pam.d/noacct"
pam nosess '/^session *required *pam_keyauth.so/d'
expect clean pam-session "--pam-file $R/etc/pam.d/nosess"
pam optional 's/^account *required *pam_keyauth.so/account optional pam_keyauth.so/'
expect clean pam-control "--pam-file $R/etc/pam.d/optional"
pam audit 's/^account *required *pam_keyauth.so/account required pam_keyauth.so mode=audit/'
expect clean pam-audit-mode "--pam-file $R/etc/pam.d/audit"
pam dash 's/^session *required *pam_keyauth.so/-session required pam_keyauth.so/'
expect clean pam-dash "--pam-file $R/etc/pam.d/dash"
pam nokey 's/^account *required *pam_keyauth.so/account required pam_keyauth.so nokey=ignore/'
run "nokey=ignore: a warning" 0 doc --sshd-t-output "$T/clean.txt" --pam-file "$R/etc/pam.d/nokey"
has "nokey warning" "$T/out" "warning [pam-nokey]:"
pam early 's/^@include common-account/account sufficient pam_localuser.so/'
run "sufficient before: a warning" 0 doc --sshd-t-output "$T/clean.txt" --pam-file "$R/etc/pam.d/early"
has "order warning" "$T/out" "warning [pam-order]:"
# pam_keyauth inside an included file counts
printf 'account required pam_unix.so\naccount required pam_keyauth.so\n' >"$R/etc/pam.d/common-account-ka"
pam viainclude 's/^@include common-account/@include common-account-ka/; /^account *required *pam_keyauth.so/d'
run "pam_keyauth via @include" 0 doc --sshd-t-output "$T/clean.txt" --pam-file "$R/etc/pam.d/viainclude"
expect clean pam-file "--pam-file $R/etc/pam.d/missing"

# the index and the policy file
AT=2037-02-01 expect clean index-stale
AT=2036-12-25 run "expires soon: a warning" 0 doc --sshd-t-output "$T/clean.txt"
unset AT
has "expires soon" "$T/out" "warning [index-expires-soon]:"
mv "$V/revoked.krl" "$T/krl.saved"
expect clean krl
mv "$T/krl.saved" "$V/revoked.krl"
sed -i 's/^serial: 10$/serial: 11/' "$R/etc/keyauth/policy.yaml"
expect clean policy-not-installed
has "newer serial named" "$T/out" "(serial 11) is newer than the installed one (serial 10)"
sed -i 's/^serial: 11$/serial: 10/; s/reason: laptop stolen (INC-1234)/reason: stolen/' "$R/etc/keyauth/policy.yaml"
expect clean policy-not-installed
has "same serial, other content" "$T/out" "was changed without a new serial"
mv "$V/policy.cdb" "$T/cdb.saved"
expect clean index-missing
printf 'not a cdb' >"$V/policy.cdb"
expect clean index-unusable
mv "$T/cdb.saved" "$V/policy.cdb"

run "missing sshd -T file" 3 doc --sshd-t-output "$T/nope.txt"
run "bad --at" 2 doc --sshd-t-output "$T/clean.txt" --at=tomorrow
t_done
