# SPDX-License-Identifier: BSD-2-Clause
# Shared by the end-to-end tests (tests/e2e/*.sh) and `./dev demo`.
# bash only (the tests re-exec themselves under bash).
#
# It runs a real OpenSSH sshd on a free loopback port, configured the way
# docs/sshd-setup.md and docs/pam-setup.md tell an administrator to, with the
# real keyauth-authorized-keys and pam_keyauth.so, and logs in with the real
# ssh client. Everything it creates is named after one random id and removed
# by e2e_cleanup (run from the EXIT trap, also when a test fails or is
# interrupted):
#   users        $E2E_USER (the login account), $E2E_HELPER_USER (the
#                AuthorizedKeysCommandUser, a system user)
#   /etc         /etc/pam.d/$E2E_SERVICE (sshd's PAM service name is the
#                basename of the program it runs as)
#   a prefix     $E2E_PREFIX=/var/lib/keyauth-e2e.XXXXXX, root-owned 0755:
#                the AuthorizedKeysCommand and every directory above it must
#                be root-owned and not group/world-writable, so not /tmp
#   processes    sshd (and the syslog sink) inside a private mount namespace,
#                an ssh-agent when a test starts one
#
# Audit records: the helper and the PAM module log to syslog (/dev/log). This
# machine may have no syslog daemon, and the tests must not read or disturb
# the system's logs, so sshd runs in a private mount namespace (unshare -m)
# with a private /dev (the usual device nodes bind-mounted) whose /dev/log is
# a socket of tests/e2e/syslog-sink, and a private /run (for /run/sshd). The
# machine's /dev and /run are never written.
#
# The helper runs as the AuthorizedKeysCommandUser, which gets no path
# options (only root may give -i and -s), so in the same namespace the
# installed index directory (/var/lib/keyauth) and spool (/run/keyauth)
# are bind mounts of the prefix's, and the configured user name (keyauth)
# stands for $E2E_HELPER_USER in a copy of /etc/passwd
# (tests/ns-installed.sh).
#
# Typical use (see login.sh):
#   e2e_init kae2e            # root or skip, ids, prefix, trap
#   e2e_users; e2e_install_build
#   e2e_keygen alice ed25519
#   e2e_policy "$E2E_SRC/policies/x.yaml.in" "$T/p.yaml" KEY_ALICE="$(cat ...)"
#   e2e_policy_install "$T/p.yaml"
#   e2e_sshd_start
#   e2e_mark; e2e_login alice "$E2E_USER" 127.0.0.1 -- echo hi
#   e2e_expect_record "alice record" account 'decision=allow reason=allowed'

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
. "$top_srcdir/tests/lib.sh"

E2E_SRC="$top_srcdir/tests/e2e"
: "${SSHD:=}"
[ -n "$SSHD" ] || SSHD=/usr/sbin/sshd
SSH=${SSH:-ssh}
umask 022

e2e_log() { t_diag "$*"; }
e2e_die() { t_bail "e2e: $*"; }

# Run a command that edits /etc/passwd, retrying while another test holds
# the lock (make check runs the e2e scripts in parallel).
e2e_retry() {
	local i
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		"$@" && return 0
		sleep 0.3
	done
	"$@"
}

# e2e_init TAG: TAG names users and services (kae2e for tests, kademo for
# the demo). Skips (77) when not root or when a tool is missing.
e2e_init() {
	local tag=$1 t
	require_root
	for t in "$SSHD" "$SSH" "$SSH_KEYGEN" ssh-agent ssh-add unshare useradd userdel mount ss timeout; do
		command -v "$t" >/dev/null 2>&1 || t_skip "$t not found"
	done
	E2E_ID=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
	E2E_USER="${tag}${E2E_ID}"
	E2E_HELPER_USER="${tag}h${E2E_ID}"
	E2E_OTHER_USER="${tag}o${E2E_ID}" # named in policies, never created
	case $tag in
	kademo) E2E_SERVICE="keyauth-demo-$E2E_ID" ;;
	*) E2E_SERVICE="keyauth-e2e-$E2E_ID" ;;
	esac
	# Set only once known to be ours: e2e_cleanup removes it.
	E2E_PAMFILE=
	[ ! -e "/etc/pam.d/$E2E_SERVICE" ] || e2e_die "/etc/pam.d/$E2E_SERVICE exists already"
	E2E_PAMFILE="/etc/pam.d/$E2E_SERVICE"
	E2E_HOST=$(hostname)
	E2E_SSHD_PID=
	E2E_AGENT_PID=
	E2E_USERS_MADE=
	t_tmpdir
	t_extra_cleanup=e2e_cleanup
	E2E_PREFIX=$(mktemp -d "/var/lib/${E2E_SERVICE%-*}.XXXXXX") || e2e_die "cannot create prefix"
	chmod 0755 "$E2E_PREFIX"
	local P=$E2E_PREFIX
	mkdir -p "$P/etc" "$P/sbin" "$P/libexec/keyauth" "$P/lib/security" \
	    "$P/var/lib/keyauth" "$P/run" "$P/log" "$P/ns-dev"
	E2E_INDEX="$P/var/lib/keyauth/policy.cdb"
	E2E_KRL="$P/var/lib/keyauth/revoked.krl"
	E2E_STATE="$P/var/lib/keyauth/state"
	E2E_SPOOL="$P/run/keyauth"
	E2E_CONFIG="$P/etc/sshd_config"
	E2E_SSHD_LOG="$P/log/sshd.log"
	E2E_SYSLOG="$P/log/syslog.log"
	E2E_KEYS="$T/keys"
	mkdir -m 0700 "$E2E_KEYS"
	: >"$E2E_SYSLOG"
	E2E_MARK=0
	E2E_SSHD_MARK=0
}

# Everything e2e_init and later steps created. Idempotent; never fails.
e2e_cleanup() {
	[ -n "${E2E_AGENT_PID:-}" ] && kill "$E2E_AGENT_PID" 2>/dev/null
	e2e_sshd_stop
	# sshd is gone, so no session of these users is left.
	case " ${E2E_USERS_MADE:-} " in *" $E2E_USER "*)
		e2e_retry userdel -r "$E2E_USER" >/dev/null 2>&1 ;;
	esac
	case " ${E2E_USERS_MADE:-} " in *" $E2E_HELPER_USER "*)
		e2e_retry userdel "$E2E_HELPER_USER" >/dev/null 2>&1 ;;
	esac
	E2E_USERS_MADE=
	[ -n "${E2E_PAMFILE:-}" ] && rm -f "$E2E_PAMFILE"
	case ${E2E_PREFIX:-} in
	/var/lib/keyauth-e2e.?* | /var/lib/keyauth-demo.?*)
		rm -rf --one-file-system "$E2E_PREFIX" ;;
	esac
	return 0
}

# The login account (with a home and a shell) and the helper's system user.
# Only users this run created are ever deleted.
e2e_users() {
	local u
	for u in "$E2E_USER" "$E2E_HELPER_USER"; do
		! id "$u" >/dev/null 2>&1 || e2e_die "user $u exists already"
	done
	e2e_retry useradd -m -s /bin/sh -c "keyauth e2e test" "$E2E_USER" ||
	    e2e_die "useradd $E2E_USER failed"
	E2E_USERS_MADE="$E2E_USER"
	# A fresh account's password is locked ('!'). With UsePAM yes sshd does
	# not treat that as a locked account and pam_unix's account stage only
	# checks expiry, so public key logins work; harness.sh proves it.
	e2e_retry useradd -r -M -d /nonexistent -s /usr/sbin/nologin \
	    -c "keyauth e2e AuthorizedKeysCommandUser" "$E2E_HELPER_USER" ||
	    e2e_die "useradd $E2E_HELPER_USER failed"
	E2E_USERS_MADE="$E2E_USER $E2E_HELPER_USER"
	# The handoff spool: writable by the helper's user alone.
	install -d -m 0700 -o "$E2E_HELPER_USER" -g "$(id -gn "$E2E_HELPER_USER")" "$E2E_SPOOL"
}

# Install the components from the build tree into the prefix, as `make
# install` would (root-owned, 0755 programs, 0644 module).
e2e_install_build() {
	local helper="$top_builddir/authorized-keys-command/keyauth-authorized-keys"
	local pam="$top_builddir/pam_keyauth/.libs/pam_keyauth.so"
	KA_CTL="$top_builddir/keyauthctl/keyauthctl"
	[ -x "$helper" ] || e2e_die "not built: $helper"
	[ -f "$pam" ] || e2e_die "not built: $pam"
	[ -x "$KA_CTL" ] || e2e_die "not built: $KA_CTL"
	install -m 0755 -o root -g root "$helper" "$E2E_PREFIX/libexec/keyauth/keyauth-authorized-keys"
	install -m 0644 -o root -g root "$pam" "$E2E_PREFIX/lib/security/pam_keyauth.so"
	KA_HELPER="$E2E_PREFIX/libexec/keyauth/keyauth-authorized-keys"
	KA_PAM="$E2E_PREFIX/lib/security/pam_keyauth.so"
}

# Install with `make install DESTDIR=` (the demo): proves the install rules.
e2e_install_make() {
	local d="$E2E_PREFIX/inst"
	# Run from make check, this make must not inherit the jobserver and
	# command-line variables of the make running the tests.
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" install DESTDIR="$d" \
	    >"$E2E_PREFIX/log/install.log" 2>&1 ||
	    { cat "$E2E_PREFIX/log/install.log" >&2; e2e_die "make install failed"; }
	KA_HELPER=$(find "$d" -name keyauth-authorized-keys -type f -perm -u+x | head -n1)
	KA_PAM=$(find "$d" -name pam_keyauth.so -type f | head -n1)
	KA_CTL=$(find "$d" -name keyauthctl -type f -perm -u+x | head -n1)
	[ -n "$KA_HELPER" ] && [ -n "$KA_PAM" ] && [ -n "$KA_CTL" ] ||
	    e2e_die "make install did not install the helper, the module and keyauthctl"
	chown -R root:root "$d"
}

# keyauthctl with every path pointing into the prefix; the index is the
# helper user's to read.
e2e_ctl() {
	"$KA_CTL" --policy "$E2E_PREFIX/etc/policy.yaml" --index "$E2E_INDEX" \
	    --krl "$E2E_KRL" --state "$E2E_STATE" --host "$E2E_HOST" \
	    --helper-user "$E2E_HELPER_USER" "$@"
}

# e2e_policy_install FILE: compile and install FILE (fails the script
# when keyauthctl refuses it: every scenario depends on it).
e2e_policy_install() {
	local out rc=0
	out=$(e2e_ctl install "$1" 2>&1) || rc=$?
	if [ $rc -ne 0 ]; then
		printf '%s\n' "$out" >&2
		e2e_die "keyauthctl install $1 failed (exit $rc)"
	fi
}

# e2e_keygen NAME TYPE [BITS] [PASSPHRASE]: $E2E_KEYS/NAME and NAME.pub.
e2e_keygen() {
	local name=$1 type=$2 bits=${3:-} pass=${4:-}
	"$SSH_KEYGEN" -q -t "$type" ${bits:+-b "$bits"} -N "$pass" \
	    -C "$name@keyauth-e2e" -f "$E2E_KEYS/$name" </dev/null ||
	    e2e_die "ssh-keygen $name failed"
}
e2e_pub() { cat "$E2E_KEYS/$1.pub"; }
# e2e_fp NAME|PATH: the SHA256 fingerprint of a key made by e2e_keygen.
e2e_fp() {
	local f=$1
	case $f in /*) ;; *) f="$E2E_KEYS/$f.pub" ;; esac
	"$SSH_KEYGEN" -lf "$f" | awk '{print $2}'
}

# e2e_subst TEMPLATE OUT NAME=VALUE...: replace @NAME@ with VALUE; every
# placeholder must be filled.
e2e_subst() {
	local in=$1 out=$2 kv name val script=
	shift 2
	for kv in "$@"; do
		name=${kv%%=*}
		val=${kv#*=}
		val=$(printf '%s' "$val" | sed -e 's/[\\|&]/\\&/g')
		script="${script}s|@${name}@|${val}|g;"
	done
	sed -e "$script" "$in" >"$out" || e2e_die "cannot write $out"
	if grep -n '@[A-Z0-9_]*@' "$out" >&2; then
		e2e_die "$out: unfilled placeholder"
	fi
}

# e2e_policy TEMPLATE OUT NAME=VALUE...: a policy from a template. USER,
# OTHER_USER and HOST are always filled.
e2e_policy() {
	local in=$1 out=$2
	shift 2
	e2e_subst "$in" "$out" USER="$E2E_USER" OTHER_USER="$E2E_OTHER_USER" \
	    HOST="$E2E_HOST" "$@"
	chmod 0644 "$out"
}

# The sshd configuration and PAM service, from the templates. The module
# reads E2E_PAM_INDEX when set (failclosed.sh breaks one layer at a time);
# E2E_PAM_AUTH replaces the auth stack (a second factor that passes).
# e2e_sshd_config [KEYWORD VALUE]...: overrides (a value "-" drops the keyword).
e2e_sshd_config() {
	local pam_module=${KA_PAM:-}
	[ -f "$E2E_PREFIX/etc/ssh_host_ed25519_key" ] ||
	    "$SSH_KEYGEN" -q -t ed25519 -N '' -f "$E2E_PREFIX/etc/ssh_host_ed25519_key" </dev/null
	e2e_subst "$E2E_SRC/sshd_config.in" "$E2E_CONFIG" \
	    PORT="${E2E_PORT:-22}" PREFIX="$E2E_PREFIX" HELPER="${KA_HELPER:-/nonexistent}" \
	    INDEX="$E2E_INDEX" SPOOL="$E2E_SPOOL" KRL="$E2E_KRL" \
	    HELPER_USER="$E2E_HELPER_USER"
	while [ $# -ge 2 ]; do
		sed -i -e "/^$1[[:space:]]/d" "$E2E_CONFIG"
		[ "$2" = - ] || printf '%s %s\n' "$1" "$2" >>"$E2E_CONFIG"
		shift 2
	done
	e2e_subst "$E2E_SRC/pam.conf.in" "$E2E_PAMFILE" \
	    PAM_MODULE="${pam_module:-keyauth-none}" INDEX="${E2E_PAM_INDEX:-$E2E_INDEX}" \
	    SPOOL="$E2E_SPOOL" PAM_ARGS="${E2E_PAM_ARGS:-}" \
	    PAM_AUTH="${E2E_PAM_AUTH:-@include common-auth}"
	# Without a module (the harness self-test) the keyauth lines go.
	[ -n "$pam_module" ] || sed -i -e '/keyauth-none/d' "$E2E_PAMFILE"
	chmod 0644 "$E2E_PAMFILE"
}

e2e_free_port() {
	local p used
	used=$(ss -Htan 2>/dev/null | awk '{print $4}' | sed 's/.*://')
	while :; do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		printf '%s\n' "$used" | grep -qx "$p" || break
	done
	echo "$p"
}

# The program run inside the private mount namespace: a private /run (for
# /run/sshd) and /dev (device nodes bound from the real one, /dev/log our
# sink), the installed paths and user name the helper's
# (tests/ns-installed.sh), then exec sshd. Mount propagation is private,
# so nothing leaks out.
e2e_ns_script='
set -e
P=$1 SINK=$2 NSLIB=$3 KUID=$4 KGID=$5
shift 5
mount -t tmpfs -o mode=0755,size=256k keyauth-e2e-run /run
: >/run/ka-ns-run
mkdir -m 0755 /run/sshd
# E2E_SPOOL_TMPFS=SIZE: the spool on a tmpfs of that size, as /run is.
if [ -n "${E2E_SPOOL_TMPFS:-}" ]; then
	mount -t tmpfs -o "mode=0700,size=$E2E_SPOOL_TMPFS,uid=$KUID,gid=$KGID" \
	    keyauth-e2e-spool "$P/run/keyauth"
fi
mount -t tmpfs -o mode=0755,size=256k keyauth-e2e-dev "$P/ns-dev"
for n in null zero full random urandom tty ptmx; do
	: >"$P/ns-dev/$n"
	mount --bind "/dev/$n" "$P/ns-dev/$n"
done
mkdir "$P/ns-dev/pts" "$P/ns-dev/shm"
mount --bind /dev/pts "$P/ns-dev/pts"
ln -s /proc/self/fd "$P/ns-dev/fd"
ln -s /proc/self/fd/0 "$P/ns-dev/stdin"
ln -s /proc/self/fd/1 "$P/ns-dev/stdout"
ln -s /proc/self/fd/2 "$P/ns-dev/stderr"
mount --move "$P/ns-dev" /dev
. "$NSLIB"
ka_ns_installed "$P/var/lib/keyauth" "$P/run/keyauth" "$KUID" "$KGID"
"$SINK" /dev/log "$P/log/syslog.log" </dev/null &
echo $! >"$P/run/sink.pid"
i=0
while [ ! -S /dev/log ]; do
	i=$((i + 1))
	[ $i -lt 200 ] || { echo "syslog sink did not start" >&2; exit 1; }
	sleep 0.05
done
exec "$@"
'

e2e_sink_path() {
	local s="$top_builddir/tests/e2e/syslog-sink"
	if [ ! -x "$s" ]; then
		env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" \
		    tests/e2e/syslog-sink >/dev/null 2>&1 ||
		    e2e_die "cannot build tests/e2e/syslog-sink"
	fi
	echo "$s"
}

# Start sshd on a free port (retrying when another process takes it first).
# Leaves E2E_PORT, E2E_SSHD_PID; E2E_HAVE_IPV6=1 when ::1 is served.
e2e_sshd_start() {
	local link="$E2E_PREFIX/sbin/$E2E_SERVICE" sink try i
	sink=$(e2e_sink_path) || exit 99
	ln -sfn "$SSHD" "$link"
	for try in 1 2 3 4 5; do
		E2E_PORT=$(e2e_free_port)
		e2e_sshd_config "$@"
		# sshd -t wants /run/sshd too: check in a throw-away namespace.
		unshare -m --propagation private -- /bin/sh -c \
		    'mount -t tmpfs -o size=64k keyauth-e2e-run /run && mkdir /run/sshd && exec "$@"' \
		    sh "$SSHD" -t -f "$E2E_CONFIG" || e2e_die "sshd -t rejects $E2E_CONFIG"
		: >"$E2E_SSHD_LOG"
		rm -f "$E2E_PREFIX/run/sshd.pid" "$E2E_PREFIX/run/sink.pid"
		E2E_SPOOL_TMPFS=${E2E_SPOOL_TMPFS:-} \
		    unshare -m --propagation private -- /bin/sh -c "$e2e_ns_script" sh \
		    "$E2E_PREFIX" "$sink" "$top_srcdir/tests/ns-installed.sh" \
		    "$(id -u "$E2E_HELPER_USER")" "$(id -g "$E2E_HELPER_USER")" \
		    "$link" -D -f "$E2E_CONFIG" -E "$E2E_SSHD_LOG" \
		    </dev/null >>"$E2E_PREFIX/log/ns.log" 2>&1 &
		E2E_SSHD_PID=$!
		for i in $(seq 1 200); do
			grep -q "Server listening on 127.0.0.1 port $E2E_PORT" "$E2E_SSHD_LOG" 2>/dev/null && break
			e2e_alive "$E2E_SSHD_PID" || break
			sleep 0.05
		done
		if grep -q "Server listening on 127.0.0.1 port $E2E_PORT" "$E2E_SSHD_LOG"; then
			E2E_HAVE_IPV6=
			grep -q "Server listening on ::1 port $E2E_PORT" "$E2E_SSHD_LOG" && E2E_HAVE_IPV6=1
			return 0
		fi
		e2e_sshd_stop
		grep -q 'Address already in use' "$E2E_SSHD_LOG" || break
	done
	cat "$E2E_PREFIX/log/ns.log" "$E2E_SSHD_LOG" >&2
	e2e_die "sshd did not start"
}

# e2e_alive PID: running (a zombie waiting for init to reap it is not).
e2e_alive() {
	local st
	st=$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\).*/\1/p' "/proc/$1/stat" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

e2e_sshd_stop() {
	local pid i
	if [ -n "${E2E_SSHD_PID:-}" ]; then
		kill -TERM "$E2E_SSHD_PID" 2>/dev/null
		for i in $(seq 1 100); do
			e2e_alive "$E2E_SSHD_PID" || break
			sleep 0.05
		done
		kill -KILL "$E2E_SSHD_PID" 2>/dev/null
		wait "$E2E_SSHD_PID" 2>/dev/null
		E2E_SSHD_PID=
	fi
	if [ -n "${E2E_PREFIX:-}" ] && [ -f "$E2E_PREFIX/run/sink.pid" ]; then
		pid=$(cat "$E2E_PREFIX/run/sink.pid")
		kill -TERM "$pid" 2>/dev/null
		for i in $(seq 1 40); do
			e2e_alive "$pid" || break
			sleep 0.05
		done
		kill -KILL "$pid" 2>/dev/null
		rm -f "$E2E_PREFIX/run/sink.pid"
	fi
	return 0
}

# e2e_spool_records: the handoff records in the spool, one name a line,
# as sshd's namespace sees it (the spool may be a tmpfs mounted there).
e2e_spool_records() {
	nsenter -t "$E2E_SSHD_PID" -m -- find "$E2E_SPOOL" -mindepth 1 -maxdepth 1 \
	    -name '[0-9]*' -printf '%f\n'
}

# e2e_sshd_idle: wait until sshd has no connection left (no child but the
# syslog sink). Bails out when that takes longer than 60 s.
e2e_sshd_idle() {
	local sink i
	sink=$(cat "$E2E_PREFIX/run/sink.pid" 2>/dev/null)
	for i in $(seq 1 600); do
		[ -z "$(pgrep -P "$E2E_SSHD_PID" | grep -vx "${sink:-x}")" ] && return 0
		sleep 0.1
	done
	e2e_die "sshd still has connections after 60 s: $(pgrep -a -P "$E2E_SSHD_PID")"
}

# Restart with other sshd_config overrides (same prefix, users, port pick).
e2e_sshd_restart() {
	e2e_sshd_stop
	e2e_sshd_start "$@"
}

# e2e_login KEY USER ADDR [ssh options...] [-- COMMAND...]: log in with the
# real client. KEY is a name from e2e_keygen (or a path). The exit code is
# ssh's; stdout and stderr are left in E2E_OUT and E2E_ERR.
e2e_login() {
	local key=$1 user=$2 addr=$3 rc=0
	shift 3
	local opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	[ $# -gt 0 ] || set -- echo logged-in
	case $key in /*) ;; *) key="$E2E_KEYS/$key" ;; esac
	E2E_LAST_CMD="ssh -i $key ${opts[*]} -p $E2E_PORT $user@$addr $*"
	E2E_OUT=$(env -u SSH_AUTH_SOCK ${E2E_AGENT_SOCK:+SSH_AUTH_SOCK=$E2E_AGENT_SOCK} \
	    timeout 30 "$SSH" -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes \
	    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	    -o LogLevel=ERROR -o ConnectTimeout=10 -i "$key" "${opts[@]}" \
	    -p "$E2E_PORT" "$user@$addr" "$@" 2>"$T/ssh.err" </dev/null) || rc=$?
	E2E_ERR=$(cat "$T/ssh.err")
	return $rc
}

# expect_login NAME KEY USER ADDR [opts] [-- cmd]: the login must work.
expect_login() {
	local name=$1 rc=0
	shift
	e2e_login "$@" || rc=$?
	if [ $rc -eq 0 ]; then pass "$name: login allowed"; else
		fail "$name: login allowed"
		t_diag "  $E2E_LAST_CMD" "  exit $rc, stderr: $E2E_ERR"
		e2e_show_logs
	fi
}
# expect_refused NAME KEY USER ADDR [opts] [-- cmd]: ssh must fail (255).
expect_refused() {
	local name=$1 rc=0
	shift
	e2e_login "$@" || rc=$?
	if [ $rc -eq 255 ] && [ -z "$E2E_OUT" ]; then pass "$name: login refused"; else
		fail "$name: login refused"
		t_diag "  $E2E_LAST_CMD" "  exit $rc, stdout: $E2E_OUT, stderr: $E2E_ERR"
		e2e_show_logs
	fi
}

e2e_show_logs() {
	t_diag "  --- audit records since the mark:" "$(e2e_records | sed 's/^/  /')" \
	    "  --- sshd log (last 15 lines):" "$(tail -n 15 "$E2E_SSHD_LOG" | sed 's/^/  /')"
}

# ---------------------------------------------------------- audit records

# e2e_mark: later checks only look at records logged after this point.
e2e_mark() {
	E2E_MARK=$(wc -l <"$E2E_SYSLOG")
	E2E_SSHD_MARK=$(wc -l <"$E2E_SSHD_LOG")
}
# The keyauth records (from "event=" on) logged since the mark.
e2e_records() {
	tail -n +"$((E2E_MARK + 1))" "$E2E_SYSLOG" |
	    awk '{ i = index($0, ": event="); if (i) print substr($0, i + 2) }'
}
# Raw syslog lines since the mark (with priority and tag).
e2e_syslog_lines() { tail -n +"$((E2E_MARK + 1))" "$E2E_SYSLOG"; }
# sshd's own log since the mark.
e2e_sshd_lines() { tail -n +"$((E2E_SSHD_MARK + 1))" "$E2E_SSHD_LOG"; }

# e2e_find_record EVENT 'k=v k=v': print the first record since the mark
# with event=EVENT and every field given; waits up to 3 s for the sink.
e2e_find_record() {
	local ev=$1 want=$2 i rec kv ok
	for i in $(seq 1 30); do
		while IFS= read -r rec; do
			case " $rec " in *" event=$ev "*) ;; *) continue ;; esac
			ok=1
			for kv in $want; do
				case " $rec " in *" $kv "*) ;; *) ok= ; break ;; esac
			done
			[ -n "$ok" ] && { printf '%s\n' "$rec"; return 0; }
		done < <(e2e_records)
		sleep 0.1
	done
	return 1
}
# e2e_expect_record NAME EVENT 'k=v ...'
e2e_expect_record() {
	local rec
	if rec=$(e2e_find_record "$2" "$3"); then
		pass "$1: $2 record has $3"
		E2E_RECORD=$rec
	else
		fail "$1: $2 record has $3"
		e2e_show_logs
	fi
}
# e2e_expect_no_record NAME EVENT ['k=v ...']: no such record since the mark.
e2e_expect_no_record() {
	local rec
	sleep 0.2
	while IFS= read -r rec; do
		case " $rec " in *" event=$2 "*) ;; *) continue ;; esac
		local kv ok=1
		for kv in ${3:-}; do
			case " $rec " in *" $kv "*) ;; *) ok= ; break ;; esac
		done
		if [ -n "$ok" ]; then
			fail "$1: no $2 record${3:+ with $3}"
			t_diag "  found: $rec"
			return
		fi
	done < <(e2e_records)
	pass "$1: no $2 record${3:+ with $3}"
}
# e2e_count_records EVENT ['k=v ...']
e2e_count_records() {
	local rec n=0 kv ok
	while IFS= read -r rec; do
		case " $rec " in *" event=$1 "*) ;; *) continue ;; esac
		ok=1
		for kv in ${2:-}; do
			case " $rec " in *" $kv "*) ;; *) ok= ; break ;; esac
		done
		[ -n "$ok" ] && n=$((n + 1))
	done < <(e2e_records)
	echo "$n"
}
# e2e_field RECORD NAME: the raw (unparsed) value of one field.
e2e_field() {
	printf ' %s\n' "$1" | sed -n "s/.* $2=\\([^ ]*\\).*/\\1/p"
}

# ---------------------------------------------------------------- agent

# e2e_agent_add NAME PASSPHRASE: start an ssh-agent and add the
# passphrase-protected key through an askpass program (no terminal).
e2e_agent_add() {
	local out
	E2E_AGENT_SOCK="$T/agent.sock"
	out=$(ssh-agent -s -a "$E2E_AGENT_SOCK") || e2e_die "ssh-agent failed"
	E2E_AGENT_PID=$(printf '%s\n' "$out" | sed -n 's/^SSH_AGENT_PID=\([0-9]*\);.*/\1/p')
	printf '#!/bin/sh\necho "%s"\n' "$2" >"$T/askpass"
	chmod 0700 "$T/askpass"
	SSH_AUTH_SOCK=$E2E_AGENT_SOCK SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force \
	    DISPLAY=none setsid -w ssh-add -q "$E2E_KEYS/$1" </dev/null >/dev/null 2>&1 ||
	    e2e_die "ssh-add $1 failed"
}
