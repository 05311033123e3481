#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The Debian packages, built, checked and used the way a sysadmin would:
#   1. make dist, then dpkg-buildpackage -us -uc in the unpacked tarball
#      (the source and the binary packages keyauth and libpam-keyauth);
#   2. lintian on both: no tag at all (error, warning or info) that
#      debian/*.lintian-overrides does not override with its reason;
#   3. a clean Debian 12: debootstrap --variant=minbase bookworm from the
#      machine's Debian mirror (no systemd in it: the packages' fallbacks);
#   4. openssh, then the packages with apt: sshd_config and /etc/pam.d are
#      left byte for byte as they were; the keyauth user, the spool and the
#      starting policy exist; the sshd_config.d example changes nothing
#      (sshd -T is identical with and without it);
#   5. the admin's part: keyauthctl setup refuses while no policy lets
#      anyone in; a policy; the chroot's sshd running in a private network
#      namespace; keyauthctl setup shows the change, setup --apply makes it
#      and reloads that sshd; the login matrix against the packaged paths
#      (a granted key; the same key from a source it is not granted from,
#      with ssh -b 127.0.0.2; a revoked key; an account not granted; a key
#      not in the policy); keyauthctl doctor clean; setup --revert puts
#      sshd_config.d/keyauth.conf and /etc/pam.d/sshd back byte for byte;
#   6. apt-get purge: nothing of keyauth left but the policy the admin
#      edited (and the keyauth user, kept on purge as Debian does);
#   7. again with systemd-sysusers and systemd-tmpfiles (Debian's
#      standalone builds): the user from sysusers.d, the spool from
#      tmpfiles.d, its age rule, its re-creation at boot; purging an
#      unchanged policy removes it too.
# Needs root, network access to the Debian mirror, and debootstrap,
# dpkg-dev, debhelper, lintian (./dev installs them). About 5 minutes;
# ./dev test runs it as its own stage (docs/packaging.md).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
set -o pipefail
require_root
for t in dpkg-buildpackage dh lintian debootstrap unshare nsenter chroot ip; do
	command -v "$t" >/dev/null 2>&1 || { echo "skip: $t not found"; exit 77; }
done

started=$(date +%s)
step() { printf '# [%3ss] %s\n' $(($(date +%s) - started)) "$*"; }
die() { printf 'deb.sh: %s\n' "$*" >&2; exit 99; }

W=$(mktemp -d "${TMPDIR:-/var/tmp}/keyauth-pkg.XXXXXX") || exit 99
chmod 0755 "$W"
R=$W/root
LOG=$W/log
mkdir -p "$LOG"
NS_PID=
NS_UNSHARE=
cleanup() {
	ns_stop
	# The chroot's mounts lived in namespaces that are gone; never cross
	# into a mount that is still there.
	[ -n "${KEEP:-}" ] && { echo "# kept $W"; return 0; }
	rm -rf --one-file-system "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# run LOGNAME CMD...: run, output to a log; on failure show its end and stop.
run() {
	local name=$1
	shift
	if ! "$@" >"$LOG/$name" 2>&1; then
		tail -n 40 "$LOG/$name" >&2
		die "$name failed: $*"
	fi
}

# inroot CMD...: CMD in the chroot with /proc, in a mount namespace of its
# own (gone when CMD ends), with the machine's network.
inroot() {
	unshare -m --propagation private -- /bin/sh -c \
	    'mount -t proc proc "$0/proc" && exec chroot "$0" /usr/bin/env -i \
	    PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root DEBIAN_FRONTEND=noninteractive "$@"' \
	    "$R" "$@"
}

# The login namespace: mount, network (only a loopback) and pid namespaces
# held by a sleep that is their init; killing it ends every process in it
# (sshd, its sessions, the syslog sink).
ns_start() {
	local i
	unshare -m -n -p -f --propagation private -- sleep 3600 </dev/null >/dev/null 2>&1 &
	NS_UNSHARE=$!
	for i in $(seq 1 100); do
		NS_PID=$(cat "/proc/$NS_UNSHARE/task/$NS_UNSHARE/children" 2>/dev/null | tr -d ' ')
		[ -n "$NS_PID" ] && break
		sleep 0.05
	done
	[ -n "$NS_PID" ] || die "cannot start the login namespace"
	ns ip link set lo up
	ns mount -t proc proc "$R/proc"
}
ns() { nsenter -t "$NS_PID" -m -n -p -- "$@"; }
nsroot() {
	ns chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"
}
ns_stop() {
	[ -n "${NS_PID:-}" ] && kill -KILL "$NS_PID" 2>/dev/null
	[ -n "${NS_UNSHARE:-}" ] && wait "$NS_UNSHARE" 2>/dev/null
	NS_PID= NS_UNSHARE=
	return 0
}

# The Debian mirror this machine's apt uses (deb822 or one-line sources).
mirror() {
	local u
	[ -n "${KEYAUTH_DEB_MIRROR:-}" ] && { echo "$KEYAUTH_DEB_MIRROR"; return; }
	u=$(awk '/^deb[ \t]/ && $3 == "bookworm" { print $2; exit }' \
	    /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null)
	[ -n "$u" ] || u=$(awk 'BEGIN { RS = "" } /Suites:[^\n]*bookworm( |\n|$)/ &&
	    match($0, /URIs:[ \t]*[^ \t\n]+/) { s = substr($0, RSTART, RLENGTH); sub(/URIs:[ \t]*/, "", s); print s; exit }' \
	    /etc/apt/sources.list.d/*.sources 2>/dev/null)
	echo "${u:-http://deb.debian.org/debian}"
}

MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
HELPER_PATH=/usr/libexec/keyauth/keyauth-authorized-keys
PAM_PATH=/lib/$MULTIARCH/security/pam_keyauth.so
SINK=$top_builddir/tests/e2e/syslog-sink

# ------------------------------------------------------------ 1. build
step "make dist"
[ -x "$SINK" ] || run sink make -C "$top_builddir" tests/e2e/syslog-sink
run dist make -C "$top_builddir" dist
tarball=$(ls -t "$top_builddir"/keyauth-*.tar.gz | head -n1)
version=$(basename "$tarball" .tar.gz)
version=${version#keyauth-}
mkdir "$W/build"
tar -C "$W/build" -xzf "$tarball"
SRC=$W/build/keyauth-$version
if git -C "$top_srcdir" rev-parse --git-dir >/dev/null 2>&1; then
	missing=$(cd "$top_srcdir" && git ls-files debian | while read -r f; do
		[ -e "$SRC/$f" ] || echo "$f"; done)
	expect_eq "every file of debian/ is in the tarball (tests/pkg/pkg.am)" "$missing" ""
fi
step "dpkg-buildpackage -us -uc (source and binary)"
cd "$SRC" || exit 99
run dpkg-buildpackage dpkg-buildpackage -us -uc
cd "$W" || exit 99
changes=$W/build/keyauth_$(cd "$SRC" && dpkg-parsechangelog -SVersion)_$(dpkg --print-architecture).changes
[ -f "$changes" ] || die "no $changes"
debs=$(cd "$W/build" && ls keyauth_*.deb libpam-keyauth_*.deb) || die "no packages built"
expect_eq "two packages" "$(echo "$debs" | wc -l)" 2
expect_contains "the package build ran the unit tests" "$(cat "$LOG/dpkg-buildpackage")" "PASS: tests/unit/"
deb_keyauth=$W/build/$(echo "$debs" | grep '^keyauth_')
deb_pam=$W/build/$(echo "$debs" | grep '^libpam-keyauth_')
expect_contains "keyauth ships the helper" "$(dpkg-deb -c "$deb_keyauth")" ".$HELPER_PATH"
expect_contains "libpam-keyauth ships the module" "$(dpkg-deb -c "$deb_pam")" ".$PAM_PATH"
expect_eq "the only conffile is the sshd_config.d example" \
    "$(dpkg-deb -I "$deb_keyauth" conffiles)" \
    "/etc/ssh/sshd_config.d/keyauth.conf"

# ------------------------------------------------------------ 2. lintian
step "lintian"
lintian --display-info --fail-on error,warning,info "$changes" >"$LOG/lintian" 2>&1
rc=$?
sed 's/^/# lintian: /' "$LOG/lintian"
tags=$(grep -E '^[A-Z]: ' "$LOG/lintian")
expect_eq "lintian: no tag (exit $rc)" "$tags" ""
expect_rc "lintian" "$rc" 0

# ------------------------------------------------------------ 3. Debian 12
MIRROR=$(mirror)
step "debootstrap --variant=minbase bookworm $MIRROR"
run debootstrap debootstrap --variant=minbase bookworm "$R" "$MIRROR"
cp /etc/resolv.conf "$R/etc/resolv.conf"
# Services are not started in a chroot.
printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
chmod 0755 "$R/usr/sbin/policy-rc.d"

# ------------------------------------------------------------ 4. install
step "apt-get install openssh-server openssh-client"
run apt-update inroot apt-get update -q
run apt-ssh inroot apt-get install -y -q --no-install-recommends openssh-server openssh-client
snapshot() { (cd "$R" && sha256sum etc/ssh/sshd_config etc/pam.d/*); }
before=$(snapshot)
install_debs() { # LOGNAME: the two packages, from files, as apt installs them
	mkdir -p "$R/var/cache/debs"
	cp "$deb_keyauth" "$deb_pam" "$R/var/cache/debs/"
	run "$1" inroot apt-get install -y -q --no-install-recommends \
	    /var/cache/debs/"$(basename "$deb_keyauth")" /var/cache/debs/"$(basename "$deb_pam")"
	rm -rf "$R/var/cache/debs"
}
step "apt-get install ./keyauth_*.deb ./libpam-keyauth_*.deb (no systemd)"
expect_eq "no systemd-sysusers in the chroot" "$(inroot sh -c 'command -v systemd-sysusers')" ""
install_debs apt-keyauth
expect_eq "sshd_config and /etc/pam.d untouched by the install" "$(snapshot)" "$before"
[ -x "$R$HELPER_PATH" ] && pass "the helper is at $HELPER_PATH" || fail "no $HELPER_PATH"
[ -f "$R$PAM_PATH" ] && pass "the module is at $PAM_PATH" || fail "no $PAM_PATH"
user_ok() { # NAME: the keyauth user as sysusers.d/keyauth.conf describes it
	local pw
	pw=$(inroot getent passwd keyauth)
	expect_contains "$1: keyauth has no login shell and no home" "$pw" ":/nonexistent:/usr/sbin/nologin"
	uid=$(echo "$pw" | cut -d: -f3)
	[ -n "$uid" ] && [ "$uid" -lt 1000 ] && pass "$1: keyauth is a system user (uid $uid)" ||
	    fail "$1: keyauth uid '$uid' is not a system uid"
	expect_eq "$1: group keyauth" "$(inroot getent group keyauth | cut -d: -f1)" keyauth
}
user_ok "adduser fallback"
spool_ok() { # NAME
	expect_eq "$1: spool /run/keyauth" "$(inroot stat -c '%F %a %U %G' /run/keyauth 2>&1)" "directory 700 keyauth keyauth"
}
spool_ok "install -d fallback"
expect_eq "the starting policy is the shipped one" \
    "$(cat "$R/etc/keyauth/policy.yaml")" "$(cat "$R/usr/share/keyauth/policy.yaml")"
expect_contains "the starting policy is valid" \
    "$(inroot keyauthctl check --strict /etc/keyauth/policy.yaml)" "valid, serial 1, 0 keys"
expect_eq "sshd_config.d/keyauth.conf: every setting commented out" \
    "$(grep -v -E '^(#|$)' "$R/etc/ssh/sshd_config.d/keyauth.conf")" ""
grep -q "^#AuthorizedKeysCommand $HELPER_PATH %u %f %t %k\$" "$R/etc/ssh/sshd_config.d/keyauth.conf" &&
    pass "sshd_config.d/keyauth.conf names the packaged helper" ||
    fail "sshd_config.d/keyauth.conf does not name $HELPER_PATH"
for p in keyauthctl.8 keyauth-authorized-keys.8 pam_keyauth.8 keyauth-policy.5; do
	[ -f "$R/usr/share/man/man${p##*.}/$p.gz" ] && pass "man page $p installed" || fail "no man page $p"
done
[ -f "$R/usr/share/bash-completion/completions/keyauthctl" ] && pass "bash completion installed" ||
    fail "no bash completion for keyauthctl"
expect_contains "keyauthctl setup --help" "$(inroot keyauthctl setup --help)" "usage: keyauthctl [OPTIONS] setup"
mkdir -p "$R/run/sshd"
sshd_t() { inroot /usr/sbin/sshd -T 2>&1; }
with=$(sshd_t)
mv "$R/etc/ssh/sshd_config.d/keyauth.conf" "$W/keyauth.conf.aside"
without=$(sshd_t)
mv "$W/keyauth.conf.aside" "$R/etc/ssh/sshd_config.d/keyauth.conf"
expect_contains "sshd -T works" "$with" "authorizedkeysfile .ssh/authorized_keys"
expect_eq "sshd -T: identical with and without sshd_config.d/keyauth.conf" "$with" "$without"

# ------------------------------------------------------------ 5. use it
step "enable keyauth with keyauthctl setup; real sshd; login matrix"
run users inroot sh -c 'useradd -m -s /bin/sh alice && useradd -m -s /bin/sh bob'
mkdir -m 0700 "$R/root/t"
for k in granted revoked stranger; do
	run "keygen-$k" inroot ssh-keygen -q -t ed25519 -N '' -C "$k" -f "/root/t/$k"
done
pub() { cut -d' ' -f1,2 "$R/root/t/$1.pub"; }
fp() { inroot ssh-keygen -lf "/root/t/$1.pub" | cut -d' ' -f2; }
cp -p "$R/etc/ssh/sshd_config.d/keyauth.conf" "$W/keyauth.conf.orig"
cp -p "$R/etc/pam.d/sshd" "$W/pam.d-sshd.orig"
stat_of() { stat -c '%a %u %g' "$R/etc/ssh/sshd_config.d/keyauth.conf" "$R/etc/pam.d/sshd"; }
modes=$(stat_of)
# Nothing installed yet: enabling keyauth now would lock everyone out.
out=$(inroot keyauthctl setup --apply 2>&1)
expect_rc "setup --apply without a policy is refused" "$?" 1
expect_contains "setup without a policy: why" "$out" "error: no usable index at /var/lib/keyauth/policy.cdb"
expect_eq "setup without a policy: nothing changed" "$(snapshot)" "$before"
[ ! -e "$R/var/lib/keyauth/setup-backup" ] && pass "setup without a policy: no backup" ||
    fail "setup without a policy: a backup was written"
# The admin edits the policy (so purge must keep it).
cat >"$R/etc/keyauth/policy.yaml" <<EOF
# edited by the admin
version: 1
serial: 2
keys:
  - id: alice-laptop
    owner: alice@example.com
    key: $(pub granted)
    accounts: [alice]
    from: [127.0.0.1]
    expires: 2099-01-01
  - id: mallory-old
    owner: mallory@example.com
    key: $(pub revoked)
    accounts: [alice]
    expires: 2099-01-01
revoked:
  - fingerprint: $(fp revoked)
    reason: laptop stolen
EOF
run install-policy inroot keyauthctl install /etc/keyauth/policy.yaml
expect_contains "keyauthctl install" "$(cat "$LOG/install-policy")" "installed serial 2"

# sshd runs before keyauth is enabled: setup --apply must reload it.
ns_start
: >"$R/var/log/audit-test.log"
ns "$SINK" "$R/dev/log" "$R/var/log/audit-test.log" >"$LOG/sink" 2>&1 &
for i in $(seq 1 100); do [ -S "$R/dev/log" ] && break; sleep 0.05; done
: >"$R/var/log/sshd-test.log"
run sshd nsroot /usr/sbin/sshd -E /var/log/sshd-test.log -o LogLevel=VERBOSE
listening() { grep -c 'Server listening on 0.0.0.0 port 22' "$R/var/log/sshd-test.log"; }
for i in $(seq 1 200); do [ "$(listening)" -ge 1 ] && break; sleep 0.05; done
[ "$(listening)" -ge 1 ] || die "sshd did not start: $(cat "$R/var/log/sshd-test.log")"

out=$(nsroot keyauthctl setup 2>&1)
expect_rc "keyauthctl setup (the diff)" "$?" 0
printf '%s\n' "$out" | sed 's/^/# setup: /'
expect_contains "setup: the sshd line it enables" "$out" "+AuthorizedKeysCommand $HELPER_PATH %u %f %t %k"
expect_contains "setup: the PAM line it adds" "$out" "+account    required     pam_keyauth.so"
expect_contains "setup: who keeps a way in" "$out" "check: with keyauth these accounts can log in with a key from the policy: alice (1 key)"
expect_eq "setup without --apply: nothing changed" "$(snapshot)" "$before"
out=$(nsroot keyauthctl setup --apply 2>&1)
expect_rc "keyauthctl setup --apply" "$?" 0
printf '%s\n' "$out" | sed 's/^/# setup --apply: /'
expect_contains "setup --apply: sshd -t and -T" "$out" "check: sshd -t and sshd -T: keyauth's settings are in effect"
expect_contains "setup --apply: the running sshd reloaded" "$out" "sshd (pid "
expect_eq "two pam_keyauth lines in /etc/pam.d/sshd" "$(grep -c '^[a-z]* *required *pam_keyauth.so$' "$R/etc/pam.d/sshd")" 2
expect_eq "setup --apply keeps the modes and owners" "$(stat_of)" "$modes"
for i in $(seq 1 200); do [ "$(listening)" -ge 2 ] && break; sleep 0.05; done
expect_eq "sshd restarted on the reload" "$(listening)" 2
on=$(sshd_t)
for l in "authorizedkeysfile none" "authorizedkeyscommand $HELPER_PATH %u %f %t %k" \
    "authorizedkeyscommanduser keyauth" "revokedkeys /var/lib/keyauth/revoked.krl" "usepam yes"; do
	expect_contains "enabled: sshd -T says $l" "$on" "$l"
done

mark=0
records() { tail -c +$((mark + 1)) "$R/var/log/audit-test.log"; }
sshd_since() { tail -c +$((smark + 1)) "$R/var/log/sshd-test.log"; }
login() { # KEY USER [ssh args]: 0 when the login ran the command
	local key=$1 user=$2
	shift 2
	mark=$(stat -c %s "$R/var/log/audit-test.log")
	smark=$(stat -c %s "$R/var/log/sshd-test.log")
	OUT=$(nsroot timeout 30 ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes \
	    -o IdentityAgent=none -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	    -o LogLevel=ERROR -o ConnectTimeout=10 -i "/root/t/$key" "$@" \
	    "$user@127.0.0.1" id -un </dev/null 2>"$LOG/ssh.err")
	local rc=$?
	sleep 0.2 # the last records of the connection reach the sink
	return $rc
}
refused() { # NAME KEY USER [ssh args]
	local name=$1
	shift
	if login "$@"; then fail "$name: logged in"; else pass "$name: refused"; fi
}

if login granted alice; then pass "granted key: logged in"; else fail "granted key: refused ($(cat "$LOG/ssh.err"))"; fi
expect_eq "granted key: the command ran as alice" "$OUT" alice
gfp=$(fp granted)
expect_contains "granted key: the helper served it" "$(records)" "event=lookup decision=allow reason=allowed account=alice key_id=alice-laptop owner=alice@example.com fp=$gfp"
expect_contains "granted key: pam_keyauth allowed the account stage" "$(records)" "pam_keyauth(sshd:account): event=account decision=allow reason=allowed account=alice key_id=alice-laptop"
expect_contains "granted key: pam_keyauth allowed the session" "$(records)" "pam_keyauth(sshd:session): event=session decision=allow reason=allowed account=alice key_id=alice-laptop"

refused "granted key from 127.0.0.2 (not in its from:)" granted alice -b 127.0.0.2
expect_contains "wrong source: sshd enforces the from= keyauth served" "$(sshd_since)" "not from a permitted host"
case $(records) in *"event=account decision=allow"*) fail "wrong source: an account record allows" ;; *) pass "wrong source: no account stage allows it" ;; esac

refused "revoked key" revoked alice
expect_contains "revoked key: sshd's KRL refuses it" "$(sshd_since)" "$(fp revoked) revoked by file /var/lib/keyauth/revoked.krl"

refused "account not granted (alice's key as bob)" granted bob
expect_contains "account not granted: reason" "$(records)" "event=lookup decision=deny reason=account_not_allowed account=bob key_id=alice-laptop"

refused "key not in the policy" stranger alice
expect_contains "key not in the policy: reason" "$(records)" "event=lookup decision=deny reason=unknown_key account=alice"

step "keyauthctl doctor"
doc=$(nsroot keyauthctl doctor 2>&1)
rc=$?
expect_rc "keyauthctl doctor" "$rc" 0
expect_eq "keyauthctl doctor is clean" "$doc" "doctor: no problems found"

step "keyauthctl setup --revert"
out=$(nsroot keyauthctl setup --revert 2>&1)
expect_rc "keyauthctl setup --revert" "$?" 0
printf '%s\n' "$out" | sed 's/^/# setup --revert: /'
check "--revert: sshd_config.d/keyauth.conf byte for byte" cmp "$W/keyauth.conf.orig" "$R/etc/ssh/sshd_config.d/keyauth.conf"
check "--revert: /etc/pam.d/sshd byte for byte" cmp "$W/pam.d-sshd.orig" "$R/etc/pam.d/sshd"
expect_eq "--revert: modes and owners" "$(stat_of)" "$modes"
expect_eq "--revert: sshd_config and /etc/pam.d as before the install" "$(snapshot)" "$before"
expect_contains "--revert: sshd reloaded" "$out" "sshd (pid "
[ ! -e "$R/var/lib/keyauth/setup-backup" ] && pass "--revert: the backup is gone" ||
    fail "--revert: the backup is still there"
for i in $(seq 1 200); do [ "$(listening)" -ge 3 ] && break; sleep 0.05; done
expect_eq "sshd restarted on the second reload" "$(listening)" 3
expect_contains "--revert: sshd -T as before" "$(sshd_t)" "authorizedkeysfile .ssh/authorized_keys"
ns_stop

# ------------------------------------------------------------ 6. purge
# leftovers: every path of the chroot that says keyauth, but the logs.
leftovers() {
	(cd "$R" && find . -xdev \( -path ./proc -o -path ./var/log \) -prune -o -ipath '*keyauth*' -print | sort)
}
step "apt-get purge keyauth libpam-keyauth (policy edited by the admin)"
run purge1 inroot apt-get purge -y -q keyauth libpam-keyauth
case $(cat "$LOG/purge1") in *"warning:"*) fail "purge after setup --revert: a warning" ;;
*) pass "purge after setup --revert: no warning" ;; esac
expect_eq "purge: keyauth not installed" "$(inroot dpkg-query -W -f='${db:Status-Abbrev}' keyauth libpam-keyauth 2>/dev/null)" ""
expect_eq "purge: only the edited policy is left" "$(leftovers)" "$(printf './etc/keyauth\n./etc/keyauth/policy.yaml')"
expect_contains "purge: the edited policy is intact" "$(head -n1 "$R/etc/keyauth/policy.yaml")" "# edited by the admin"
for p in var/lib/keyauth run/keyauth etc/ssh/sshd_config.d/keyauth.conf; do
	[ ! -e "$R/$p" ] && pass "purge: /$p removed" || fail "purge: /$p is still there"
done
expect_eq "purge: sshd_config and /etc/pam.d as before the install" "$(snapshot)" "$before"
expect_contains "purge: the keyauth user stays" "$(inroot getent passwd keyauth)" "keyauth:"

# ------------------------------------------------------------ 7. systemd
step "again with systemd-sysusers and systemd-tmpfiles"
run userdel inroot userdel keyauth
inroot getent group keyauth >/dev/null && run groupdel inroot groupdel keyauth
rm -rf "$R/etc/keyauth"
run apt-standalone inroot apt-get install -y -q --no-install-recommends \
    systemd-standalone-sysusers systemd-standalone-tmpfiles
install_debs apt-keyauth2
user_ok "systemd-sysusers"
spool_ok "systemd-tmpfiles"
expect_eq "a fresh install gets the shipped policy again" \
    "$(cat "$R/etc/keyauth/policy.yaml")" "$(cat "$R/usr/share/keyauth/policy.yaml")"
# The age rule: a record written 3 minutes ago (after the 120 s login
# grace time) goes, a fresh one stays.
touch -d '3 minutes ago' "$R/run/keyauth/1000"
touch "$R/run/keyauth/1001"
run tmpfiles-clean inroot systemd-tmpfiles --clean keyauth.conf
[ ! -e "$R/run/keyauth/1000" ] && pass "tmpfiles --clean removes a record older than 2 min" ||
    fail "tmpfiles --clean left a record written 3 minutes ago"
[ -e "$R/run/keyauth/1001" ] && pass "tmpfiles --clean keeps a fresh record" ||
    fail "tmpfiles --clean removed a fresh record"
# /run is empty after a reboot: tmpfiles.d brings the spool back.
rm -rf "$R/run/keyauth"
run tmpfiles-create inroot systemd-tmpfiles --create keyauth.conf
spool_ok "after a reboot (systemd-tmpfiles --create)"
run install-policy2 inroot keyauthctl install /etc/keyauth/policy.yaml
[ -f "$R/var/lib/keyauth/policy.cdb" ] && pass "the shipped policy installs" || fail "no index after install"
# An admin who enabled keyauth by hand and forgot the lines is warned by
# the removal.
cp "$R/etc/pam.d/sshd" "$W/pam.d-sshd.orig2"
printf 'account required pam_keyauth.so\n' >>"$R/etc/pam.d/sshd"
sed -i 's/^#\(AuthorizedKeysCommand \)/\1/' "$R/etc/ssh/sshd_config.d/keyauth.conf"
step "apt-get purge (policy unchanged)"
run purge2 inroot apt-get purge -y -q keyauth libpam-keyauth
expect_contains "purge: keyauth warns that sshd still names the helper" \
    "$(cat "$LOG/purge2")" "keyauth: warning: sshd_config still names keyauth-authorized-keys; without it sshd accepts no key: run keyauthctl setup --revert first"
expect_contains "purge: libpam-keyauth warns that PAM still uses it" \
    "$(cat "$LOG/purge2")" "libpam-keyauth: warning: pam_keyauth.so is still in /etc/pam.d/sshd;"
cp "$W/pam.d-sshd.orig2" "$R/etc/pam.d/sshd"
expect_eq "purge: nothing of keyauth is left" "$(leftovers)" ""

step "done"
t_done
