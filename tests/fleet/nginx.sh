# SPDX-License-Identifier: BSD-2-Clause
# A private nginx (the Debian package's binary) on 127.0.0.1 for the fetch
# and fleet tests: its own prefix, configuration, logs and pid file under
# $1, never the system's service. nginx_start DIR: serves DIR/www on a
# free port (NGINX_PORT, NGINX_URL); nginx_stop; nginx_restart.
#   /            static files, with ETag and Last-Modified
#   /err/        every request answers 500
#   /stream/     the files of /, without Content-Length (chunked)
#   /to-ftp      a redirect to ftp://
#   /to-policy   a redirect to /policy.yaml
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}

nginx_free_port() {
	local p used
	used=$(ss -Htan 2>/dev/null | awk '{print $4}' | sed 's/.*://')
	while :; do
		p=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d " ") % 40000))
		printf '%s\n' "$used" | grep -qx "$p" || break
	done
	echo "$p"
}

nginx_start() {
	local d=$1 i try
	[ -x "$NGINX" ] || t_skip "nginx not installed (Debian: nginx)"
	NGINX_DIR=$d
	mkdir -p "$d/www" "$d/logs" "$d/tmp"
	chmod 0755 "$d" "$d/www"
	for try in 1 2 3 4 5; do
		NGINX_PORT=${NGINX_FIXED_PORT:-$(nginx_free_port)}
		cat >"$d/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/logs/error.log;
events { worker_connections 512; }
http {
	access_log $d/logs/access.log;
	client_body_temp_path $d/tmp/body;
	proxy_temp_path $d/tmp/proxy;
	fastcgi_temp_path $d/tmp/fastcgi;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	default_type application/octet-stream;
	keepalive_timeout 5;
	server {
		listen 127.0.0.1:$NGINX_PORT;
		root $d/www;
		location /err/ { return 500; }
		location /stream/ {
			alias $d/www/;
			sub_filter_types *;
			sub_filter 'keyauth-never-there' 'x';
		}
		location = /to-ftp { return 302 ftp://127.0.0.1/policy.yaml; }
		location = /to-policy { return 302 /policy.yaml; }
	}
}
CONF
		rm -f "$d/nginx.pid"
		"$NGINX" -p "$d" -c "$d/nginx.conf" </dev/null >>"$d/logs/stdout.log" 2>&1 &
		NGINX_PID=$!
		for i in $(seq 1 100); do
			[ -s "$d/nginx.pid" ] && ss -Hltn 2>/dev/null | grep -q "127.0.0.1:$NGINX_PORT " && break
			kill -0 "$NGINX_PID" 2>/dev/null || break
			sleep 0.05
		done
		if kill -0 "$NGINX_PID" 2>/dev/null && [ -s "$d/nginx.pid" ]; then
			NGINX_URL="http://127.0.0.1:$NGINX_PORT"
			return 0
		fi
		wait "$NGINX_PID" 2>/dev/null
		grep -q 'Address already in use' "$d/logs/error.log" "$d/logs/stdout.log" 2>/dev/null || break
	done
	cat "$d/logs/error.log" "$d/logs/stdout.log" >&2 2>/dev/null
	t_bail "nginx did not start"
}

nginx_stop() {
	local i
	[ -n "${NGINX_PID:-}" ] || return 0
	kill -QUIT "$NGINX_PID" 2>/dev/null
	for i in $(seq 1 100); do
		kill -0 "$NGINX_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$NGINX_PID" 2>/dev/null
	wait "$NGINX_PID" 2>/dev/null
	NGINX_PID=
	return 0
}

nginx_restart() {
	NGINX_FIXED_PORT=$NGINX_PORT nginx_start "$NGINX_DIR"
}

# publish FILE...: copy the files into the web root, each atomically, as a
# publisher would. Each gets its own modification time, a few seconds in
# the past and later than the last one published, so that nginx's
# validators (mtime and size) are ones fetch keeps: a file modified less
# than two seconds before a response is refetched in full instead, which
# fetch.sh checks on its own.
publish() {
	local f b m now last
	now=$(date +%s)
	last=$(cat "$NGINX_DIR/mtime" 2>/dev/null || echo 0)
	m=$((now - 5))
	[ "$m" -gt "$last" ] || m=$((last + 1))
	echo "$m" >"$NGINX_DIR/mtime"
	for f in "$@"; do
		b=$(basename "$f")
		cp "$f" "$NGINX_DIR/www/.tmp-$b"
		chmod 0644 "$NGINX_DIR/www/.tmp-$b"
		touch -d "@$m" "$NGINX_DIR/www/.tmp-$b"
		mv "$NGINX_DIR/www/.tmp-$b" "$NGINX_DIR/www/$b"
	done
}
