#!/bin/sh
# SPDX-License-Identifier: MIT
# nginx.sh - end to end through a real nginx using contrib/nginx/metrics.conf
# (socket path and port rewritten) with Debian's stock fastcgi_params:
#   1. metrics.fcgi started by spawn-fcgi on a unix socket: the full
#      run_http_checks scenario (lib.sh), then SIGTERM gives exit 0;
#   2. metrics.fcgi --listen on its own unix socket: the scenario again,
#      SIGTERM gives exit 0 and removes the socket;
#   3. metrics.fcgi --listen PORT: bound to 127.0.0.1 only, serves /health.
set -eu
. "$(dirname "$0")/lib.sh"

need_cmd nginx spawn-fcgi curl gzip
need_built
PARAMS=/etc/nginx/fastcgi_params
[ -r "$PARAMS" ] || skip "$PARAMS missing"
setup_tmp
mkdir -p "$T/store" "$T/ngx"
chmod 755 "$T/store"

# nginx.conf around the shipped snippet; its workers run as www-data when
# we are root, like a packaged nginx.
start_nginx() {
	sock=$1
	port=$(free_port)
	sed -e "s|listen 8080;|listen 127.0.0.1:$port;|" \
	    -e "s|unix:/run/metrics/metrics.sock|$sock|" \
	    -e "s|include fastcgi_params;|include $PARAMS;|" \
	    "$top_srcdir/contrib/nginx/metrics.conf" >"$T/ngx/metrics.conf"
	user=""
	[ "$(id -u)" != 0 ] || user="user www-data www-data;"
	cat >"$T/ngx/nginx.conf" <<-CONF
	$user
	daemon off;
	worker_processes 1;
	pid $T/ngx/nginx.pid;
	error_log $T/nginx-error.log;
	events { worker_connections 64; }
	http {
		access_log off;
		client_body_temp_path $T/ngx/body;
		fastcgi_temp_path $T/ngx/fastcgi;
		proxy_temp_path $T/ngx/proxy;
		uwsgi_temp_path $T/ngx/uwsgi;
		scgi_temp_path $T/ngx/scgi;
		include $T/ngx/metrics.conf;
	}
	CONF
	nginx -t -c "$T/ngx/nginx.conf" -p "$T/ngx" >"$T/nginx-t.log" 2>&1 ||
		fail "nginx -t rejects the configuration"
	start_bg nginx nginx -c "$T/ngx/nginx.conf" -p "$T/ngx"
	NGINX_PID=$BG_PID
	wait_for "nginx on port $port" port_open "$port"
	BASE="http://127.0.0.1:$port"
}

# Stop a responder with SIGTERM: it must exit 0.
stop_responder() {
	stop_pid "$1"
	assert_eq "$STOP_STATUS" 0 "metrics.fcgi exit status after SIGTERM"
}

export METRICS_STORE="$T/store/metrics.store"
unset METRICS_STALE_AFTER || true

# -- 1. spawn-fcgi
sock="$T/spawn.sock"
set -- -n -s "$sock"
[ "$(id -u)" != 0 ] || set -- "$@" -U www-data -G www-data -u www-data -g www-data
start_bg spawn spawn-fcgi "$@" -- "$FCGI"
SPAWN_PID=$BG_PID
wait_for "spawn-fcgi socket" test -S "$sock"
start_nginx "unix:$sock"
run_http_checks "$BASE" "$METRICS_STORE" "$T/spawn.log"
stop_pid "$NGINX_PID"
stop_responder "$SPAWN_PID"
[ -n "${WRITER_PID:-}" ] && stop_pid "$WRITER_PID"
rm -f "$METRICS_STORE"
ok "nginx + spawn-fcgi"

# -- 2. --listen unix socket
sock="$T/listen.sock"
start_bg listen "$FCGI" --listen "$sock" --socket-mode 0666
LISTEN_PID=$BG_PID
wait_for "--listen socket" test -S "$sock"
mode=$(stat -c %a "$sock")
assert_eq "$mode" 666 "socket mode"
start_nginx "unix:$sock"
run_http_checks "$BASE" "$METRICS_STORE" "$T/listen.log"
stop_pid "$NGINX_PID"
stop_responder "$LISTEN_PID"
[ ! -e "$sock" ] || fail "--listen socket left behind"
ok "nginx + metrics.fcgi --listen unix socket"

# -- 3. --listen PORT binds loopback only
port=$(free_port)
start_bg tcp "$FCGI" --listen "$port"
TCP_PID=$BG_PID
wait_for "--listen port $port" sh -c "grep -qi ':$(printf %04X "$port") ' /proc/net/tcp"
local_addr=$(awk -v p=":$(printf %04X "$port")" '$2 ~ p"$" && $4 == "0A" { print $2 }' /proc/net/tcp)
assert_eq "$local_addr" "0100007F:$(printf %04X "$port")" "--listen PORT address"
start_nginx "127.0.0.1:$port"
fetch tcp "$BASE/health"
assert_eq "$STATUS" 200 "/health over TCP"
stop_pid "$NGINX_PID"
stop_responder "$TCP_PID"
ok "--listen PORT on 127.0.0.1"
