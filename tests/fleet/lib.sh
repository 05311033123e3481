# SPDX-License-Identifier: BSD-2-Clause
# The fleet simulation (tests/fleet/fleet.sh, ./dev bench --fleet N), bash.
#
# Real parts only: N servers on this machine, each a private mount and UTS
# namespace (its own hostname srvNN) with its own /etc/keyauth,
# /var/lib/keyauth and /run/keyauth (bind mounts of $F/srvNN/{etc,var,run};
# /etc and /var/lib are overlays in the namespace so the mount points need
# not exist on the machine) and its own sshd on 127.0.1.N, configured as
# docs/sshd-setup.md says, with the real helper and PAM module reading the
# default paths; its /dev/log is its own syslog sink (tests/e2e/syslog-sink).
# Each server runs the command of the built keyauth-fetch.service unit
# (its ExecStart, with the build's keyauthctl) every FLEET_INTERVAL
# seconds. One private nginx (tests/fleet/nginx.sh) serves the signed
# policy. The publisher signs with two keys of allowed_signers.
# Everything lives under the e2e prefix and goes with e2e_cleanup.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/fleet/nginx.sh"

# Each server's files are mounted at the paths an installed keyauth reads
# (and keyauth.conf names): a build configured for others (make distcheck
# installs under its own prefix) cannot be a server of this fleet.
case "${KA_DEFAULT_CONF_DIR:-/etc/keyauth}:${KA_DEFAULT_INDEX_DIR:-/var/lib/keyauth}:${KA_DEFAULT_SPOOL:-/run/keyauth}" in
/etc/keyauth:/var/lib/keyauth:/run/keyauth) ;;
*) t_skip "the fleet needs the installed layout (/etc/keyauth, /var/lib/keyauth," \
    "/run/keyauth); this build has $KA_DEFAULT_CONF_DIR, $KA_DEFAULT_INDEX_DIR," \
    "$KA_DEFAULT_SPOOL (./dev configures the installed one)" ;;
esac

: "${FLEET_N:=5}"
: "${FLEET_INTERVAL:=1}"

# The unit's command: ExecStart of keyauth-fetch.service, its program
# replaced by the build's keyauthctl (the unit names the installed one).
fleet_unit_cmd() {
	local unit="$top_builddir/systemd/keyauth-fetch.service" line
	[ -f "$unit" ] || e2e_die "not built: $unit"
	line=$(sed -n 's/^ExecStart=//p' "$unit")
	[ -n "$line" ] || e2e_die "$unit has no ExecStart"
	FLEET_UNIT_PROG=${line%% *}
	FLEET_UNIT_ARGS=${line#* }
	[ "$FLEET_UNIT_ARGS" != "$line" ] || FLEET_UNIT_ARGS=
}

fleet_srv() { printf 'srv%02d' "$1"; }

# fleet_init: users, the build installed into the prefix, signer keys,
# nginx, and for each server its directories and configuration.
fleet_init() {
	local i s
	e2e_init kae2e
	for t in nginx hostname; do command -v "$t" >/dev/null 2>&1 || t_skip "$t not found"; done
	unshare --mount --uts --propagation private true 2>/dev/null || t_skip "cannot create mount and UTS namespaces"
	e2e_users
	e2e_install_build
	fleet_unit_cmd
	F="$E2E_PREFIX/fleet"
	mkdir -m 0755 "$F"
	nginx_start "$F/nginx"
	t_extra_cleanup=fleet_cleanup
	for n in alice bob; do
		"$SSH_KEYGEN" -q -t ed25519 -N '' -C "$n-signer" -f "$E2E_KEYS/signer-$n" </dev/null
	done
	{
		echo "alice@example.com namespaces=\"keyauth-policy@keyauth\" $(cat "$E2E_KEYS/signer-alice.pub")"
		echo "bob@example.com namespaces=\"keyauth-policy@keyauth\" $(cat "$E2E_KEYS/signer-bob.pub")"
	} >"$F/allowed_signers"
	E2E_PORT=$(e2e_free_port)
	# The configuration of docs/sshd-setup.md, with the default paths.
	E2E_INDEX=/var/lib/keyauth/policy.cdb E2E_KRL=/var/lib/keyauth/revoked.krl \
	    E2E_SPOOL=/run/keyauth e2e_sshd_config
	for i in $(seq 1 "$FLEET_N"); do
		s="$F/$(fleet_srv "$i")"
		mkdir -p "$s/etc" "$s/var" "$s/log" "$s/ns-dev"
		chmod 0755 "$s" "$s/etc" "$s/var" "$s/log"
		cp "$F/allowed_signers" "$s/etc/allowed_signers"
		{
			echo "allowed_signers = /etc/keyauth/allowed_signers"
			echo "signatures = 2"
			echo "max_validity = 30d"
			echo "source = $NGINX_URL/policy.yaml"
		} >"$s/etc/keyauth.conf"
		chmod 0644 "$s/etc/keyauth.conf" "$s/etc/allowed_signers"
		sed -e "/^ListenAddress/d" -e "/^PidFile/d" "$E2E_CONFIG" >"$s/sshd_config"
		printf 'ListenAddress 127.0.1.%d\nPidFile %s/sshd.pid\n' "$i" "$s" >>"$s/sshd_config"
		: >"$s/log/syslog.log" && : >"$s/log/sshd.log"
	done
}

# Inside one server's namespaces: hostname, /run, the overlays and binds,
# /dev with the sink, the fetch loop, then sshd.
fleet_ns_script='
set -e
P=$1 S=$2 NAME=$3 SINK=$4 HUSER=$5 INTERVAL=$6
shift 6
hostname "$NAME"
mount -t tmpfs -o mode=0755,size=4m keyauth-fleet-run /run
mkdir -m 0755 /run/sshd /run/ovl
mkdir -m 0700 /run/keyauth
chown "$HUSER" /run/keyauth
mkdir /run/ovl/etc-up /run/ovl/etc-work /run/ovl/vl-up /run/ovl/vl-work /run/ovl/keep
mount -t overlay keyauth-fleet-etc -o lowerdir=/etc,upperdir=/run/ovl/etc-up,workdir=/run/ovl/etc-work /etc
# The helper runs only as root or the configured AuthorizedKeysCommandUser
# (docs/security.md): in this server, that name is the test'"'"'s helper user.
HUID=$(id -u "$HUSER") HGID=$(id -g "$HUSER")
grep -v "^${KA_KEYAUTH_USER:-keyauth}:" /etc/passwd >/run/ovl/passwd
printf "%s:x:%s:%s:keyauth test:/nonexistent:/usr/sbin/nologin\n" \
    "${KA_KEYAUTH_USER:-keyauth}" "$HUID" "$HGID" >>/run/ovl/passwd
cat /run/ovl/passwd >/etc/passwd
mkdir -p /etc/keyauth
mount --bind "$S/etc" /etc/keyauth
mount --bind "$P" /run/ovl/keep
mount -t overlay keyauth-fleet-varlib -o lowerdir=/var/lib,upperdir=/run/ovl/vl-up,workdir=/run/ovl/vl-work /var/lib
mount --bind /run/ovl/keep "$P"
mkdir -p /var/lib/keyauth
mount --bind "$S/var" /var/lib/keyauth
mount -t tmpfs -o mode=0755,size=256k keyauth-fleet-dev "$S/ns-dev"
for n in null zero full random urandom tty ptmx; do
	: >"$S/ns-dev/$n"
	mount --bind "/dev/$n" "$S/ns-dev/$n"
done
mkdir "$S/ns-dev/pts" "$S/ns-dev/shm"
mount --bind /dev/pts "$S/ns-dev/pts"
ln -s /proc/self/fd "$S/ns-dev/fd"
mount --move "$S/ns-dev" /dev
"$SINK" /dev/log "$S/log/syslog.log" </dev/null &
i=0
while [ ! -S /dev/log ]; do
	i=$((i + 1)); [ $i -lt 200 ] || exit 1; sleep 0.05
done
(
	while [ ! -e "$S/stop" ]; do
		if [ ! -e "$S/hold" ]; then
			"$FLEET_CTL" $FLEET_ARGS >>"$S/log/fetch.log" 2>&1 || :
		fi
		sleep "$INTERVAL"
	done
) </dev/null &
exec "$@"
'

fleet_start() {
	local i s sink link="$E2E_PREFIX/sbin/$E2E_SERVICE"
	sink=$(e2e_sink_path) || exit 99
	ln -sfn "$SSHD" "$link"
	FLEET_PIDS=
	for i in $(seq 1 "$FLEET_N"); do
		s="$F/$(fleet_srv "$i")"
		FLEET_CTL=$KA_CTL FLEET_ARGS=$FLEET_UNIT_ARGS \
		    unshare --mount --uts --propagation private -- /bin/sh -c "$fleet_ns_script" sh \
		    "$E2E_PREFIX" "$s" "$(fleet_srv "$i")" "$sink" "$E2E_HELPER_USER" "$FLEET_INTERVAL" \
		    "$link" -D -f "$s/sshd_config" -E "$s/log/sshd.log" \
		    </dev/null >>"$s/log/ns.log" 2>&1 &
		FLEET_PIDS="$FLEET_PIDS $!"
	done
	for i in $(seq 1 "$FLEET_N"); do
		s="$F/$(fleet_srv "$i")"
		for t in $(seq 1 200); do
			grep -q "Server listening on 127.0.1.$i port $E2E_PORT" "$s/log/sshd.log" 2>/dev/null && break
			sleep 0.05
		done
		grep -q "Server listening on 127.0.1.$i port $E2E_PORT" "$s/log/sshd.log" ||
		    { cat "$s/log/ns.log" "$s/log/sshd.log" >&2; e2e_die "sshd of $(fleet_srv "$i") did not start"; }
	done
}

fleet_cleanup() {
	local i p
	[ -n "${F:-}" ] || { e2e_cleanup; return 0; }
	for i in $(seq 1 "$FLEET_N"); do touch "$F/$(fleet_srv "$i")/stop" 2>/dev/null; done
	for p in ${FLEET_PIDS:-}; do kill -TERM "$p" 2>/dev/null; done
	for p in ${FLEET_PIDS:-}; do
		for i in $(seq 1 60); do e2e_alive "$p" || break; sleep 0.05; done
		kill -KILL "$p" 2>/dev/null
	done
	# The sinks and fetch loops die with their namespace's last process
	# only when killed: find them by their server directory.
	pkill_ours
	nginx_stop
	e2e_cleanup
}

# Our own leftovers only: processes whose command line names this run's
# fleet directory (the sinks and the fetch loops).
pkill_ours() {
	local pid
	for pid in $(ps -eo pid=,args= | grep -F -- "$F/" | grep -v grep | awk '{print $1}'); do
		[ "$pid" != "$$" ] && kill -TERM "$pid" 2>/dev/null
	done
	return 0
}

# fleet_publish SERIAL SIGNERS [YAML-LINES]: the policy for every server,
# signed by SIGNERS ("alice bob"), published to nginx. POLICY_BODY holds the
# keys: and revoked: parts; FLEET_EXPIRES overrides expires.
fleet_sign_policy() {
	local serial=$1 signers=$2 d="$F/pub" n
	rm -rf "$d" && mkdir -p "$d"
	{
		echo "version: 2"
		echo "serial: $serial"
		echo "issued: $(date -u -d '-1 minute' +%Y-%m-%dT%H:%M:%SZ)"
		echo "expires: ${FLEET_EXPIRES:-$(date -u -d '+7 days' +%Y-%m-%dT%H:%M:%SZ)}"
		printf '%s\n' "$POLICY_BODY"
	} >"$d/policy.yaml"
	for n in $signers; do
		"$KA_CTL" sign "$d/policy.yaml" -k "$E2E_KEYS/signer-$n" -I "$n@example.com" >/dev/null ||
		    e2e_die "sign $serial by $n failed"
	done
}
fleet_publish() {
	fleet_sign_policy "$1" "$2"
	rm -f "$NGINX_DIR/www"/policy.yaml*
	publish "$F/pub"/policy.yaml*
}

# The serial a server has installed (its state file), or 0.
fleet_serial() { sed -n 's/^serial //p' "$F/$(fleet_srv "$1")/var/state" 2>/dev/null || echo 0; }

# fleet_wait_serial SERIAL [SECONDS]: until every server (but a held one)
# has installed SERIAL; 0, or 1 on the deadline.
fleet_wait_serial() {
	local want=$1 deadline=$((SECONDS + ${2:-60})) i ok
	while [ $SECONDS -lt $deadline ]; do
		ok=1
		for i in $(seq 1 "$FLEET_N"); do
			[ -e "$F/$(fleet_srv "$i")/hold" ] && continue
			[ "$(fleet_serial "$i")" = "$want" ] || { ok=; break; }
		done
		[ -n "$ok" ] && return 0
		sleep 0.2
	done
	return 1
}

# fleet_wait_record I 'k=v ...' [SECONDS]: server I logged such an install record.
fleet_wait_record() {
	local s="$F/$(fleet_srv "$1")" deadline=$((SECONDS + ${3:-60})) kv ok rec
	while [ $SECONDS -lt $deadline ]; do
		while IFS= read -r rec; do
			ok=1
			for kv in $2; do case " $rec " in *" $kv "*) ;; *) ok= ; break ;; esac; done
			[ -n "$ok" ] && return 0
		done < <(sed -n 's/.*keyauthctl\[[0-9]*\]: \(event=install .*\)/\1/p' "$s/log/syslog.log")
		sleep 0.2
	done
	return 1
}

# fleet_login KEY I: a real ssh login to server I; ssh's exit code.
fleet_login() {
	timeout 20 "$SSH" -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes \
	    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	    -o LogLevel=ERROR -o ConnectTimeout=10 -i "$E2E_KEYS/$1" \
	    -p "$E2E_PORT" "$E2E_USER@127.0.1.$2" echo logged-in </dev/null >"$F/login.out" 2>&1 &&
	    grep -q logged-in "$F/login.out"
}

# fleet_expect_all NAME KEY allowed|refused: a login on every server.
fleet_expect_all() {
	local i bad=
	for i in $(seq 1 "$FLEET_N"); do
		if fleet_login "$2" "$i"; then
			[ "$3" = allowed ] || bad="$bad $(fleet_srv "$i")"
		else
			[ "$3" = refused ] || bad="$bad $(fleet_srv "$i")"
		fi
	done
	if [ -z "$bad" ]; then pass "$1: $2 $3 on all $FLEET_N servers"; else
		fail "$1: $2 $3 on all $FLEET_N servers"
		t_diag "  not so on:$bad"
	fi
}

# fleet_until_refused KEY SECONDS: from now, one poller per server logging
# in with KEY until refused; prints each server's seconds until its first
# refusal (or "timeout"), one per line.
fleet_until_refused() {
	local key=$1 limit=$2 i t0 pids=
	t0=$(date +%s.%N)
	for i in $(seq 1 "$FLEET_N"); do
		(
			while :; do
				if ! timeout 20 "$SSH" -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes \
				    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
				    -o LogLevel=ERROR -o ConnectTimeout=10 -i "$E2E_KEYS/$key" \
				    -p "$E2E_PORT" "$E2E_USER@127.0.1.$i" echo logged-in </dev/null 2>/dev/null |
				    grep -q logged-in; then
					echo "$(date +%s.%N) $t0" | awk '{printf "%.2f\n", $1 - $2}'
					exit 0
				fi
				if [ "$(echo "$(date +%s.%N) $t0 $limit" | awk '{print ($1 - $2 > $3)}')" = 1 ]; then
					echo timeout
					exit 0
				fi
				sleep 0.1
			done
		) >"$F/refused.$i" &
		pids="$pids $!"
	done
	# Only the pollers: the servers and nginx are children of this shell too.
	wait $pids
	for i in $(seq 1 "$FLEET_N"); do cat "$F/refused.$i"; done
}

# The central log: every server's records as a syslog relay writes them
# ("TIMESTAMP HOST TAG[PID]: MESSAGE").
fleet_central_log() {
	local i
	for i in $(seq 1 "$FLEET_N"); do
		sed -n "s/^<[0-9]*>\\(... .. ..:..:..\\) \\(.*\\)$/\\1 $(fleet_srv "$i") \\2/p" \
		    "$F/$(fleet_srv "$i")/log/syslog.log"
	done >"$F/central.log"
}
