#!/bin/sh
# SPDX-License-Identifier: MIT
# nginx.sh - end to end through a real nginx using contrib/nginx/metrics.conf
# (socket path and port rewritten; FastCGI keep-alive on) with Debian's
# stock fastcgi_params:
#   1. metrics.fcgi started by spawn-fcgi on a unix socket: the full
#      run_http_checks scenario (lib.sh), then SIGTERM gives exit 0;
#   2. metrics.fcgi --listen on its own unix socket: the scenario again,
#      SIGTERM gives exit 0 and removes the socket;
#   3. metrics.fcgi --listen PORT: bound to 127.0.0.1 only, serves /health;
#   4. two responders (spawn-fcgi -F 2, as metrics.conf suggests): nginx
#      keeps its connections to them, and concurrent clients (plain and
#      gzip, /metrics and /health) all get whole, correct answers.
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

# Responders spawn-fcgi -F forked (not our children: they are stopped by
# PID, and gone once they exit or are zombies).
ORPHANS=""
stop_orphans() {
	for p in $ORPHANS; do
		kill -TERM "$p" 2>/dev/null || continue
		i=0
		while kill -0 "$p" 2>/dev/null &&
		      [ "$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null)" != Z ]; do
			i=$((i + 1))
			[ $i -lt 50 ] || { kill -KILL "$p" 2>/dev/null; break; }
			sleep 0.1
		done
	done
	ORPHANS=""
}
trap 'rc=$?; set +e; stop_orphans; (exit $rc); cleanup' EXIT

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

# -- 4. spawn-fcgi -F 2, keep-alive, concurrent clients
sock="$T/two.sock"
set -- -F 2 -s "$sock" -P "$T/two.pid"
[ "$(id -u)" != 0 ] || set -- "$@" -U www-data -G www-data -u www-data -g www-data
spawn-fcgi "$@" -- "$FCGI" >"$T/two.log" 2>&1 || fail "spawn-fcgi -F 2: $(cat "$T/two.log")"
ORPHANS=$(cat "$T/two.pid")
assert_eq "$(echo $ORPHANS | wc -w)" 2 "responders spawn-fcgi -F 2 started"
start_big_writer "$METRICS_STORE"
start_nginx "unix:$sock"
fetch ref "$BASE/metrics"
app_samples "$T/ref.body" >"$T/ref.app"
# nginx keeps the connection after a response: a responder holds it
# (a socket besides the listening one)
for i in 1 2 3; do fetch ka "$BASE/health"; done
kept=0
for p in $ORPHANS; do
	n=$(find "/proc/$p/fd" -lname 'socket:*' 2>/dev/null | wc -l)
	kept=$((kept + n - 1))
done
[ "$kept" -ge 1 ] || fail "no FastCGI connection kept open after requests"
# CLIENTS clients at once, REQUESTS requests each: /metrics with and
# without gzip, /health; every answer must be a 200 with the whole body
CLIENTS=6 REQUESTS=18
client() {
	i=0
	while [ $i -lt $REQUESTS ]; do
		case $((i % 3)) in
		0) curl -fsS -o "$T/c$1.$i.gz" -H 'Accept-Encoding: gzip' "$BASE/metrics" ;;
		1) curl -fsS -o "$T/c$1.$i.txt" "$BASE/metrics" ;;
		*) curl -fsS -o /dev/null "$BASE/health" ;;
		esac 2>>"$T/clients.err" || echo "client $1: request $i failed" >>"$T/clients.err"
		i=$((i + 1))
	done
}
: >"$T/clients.err"
cpids=""
k=1
while [ $k -le $CLIENTS ]; do
	client $k &
	cpids="$cpids $!"
	k=$((k + 1))
done
for p in $cpids; do wait "$p"; done
[ ! -s "$T/clients.err" ] || fail "concurrent clients: $(head -n 3 "$T/clients.err")"
n=0
for f in "$T"/c*.gz "$T"/c*.txt; do
	case $f in
	*.gz) gzip -dc <"$f" >"$f.plain" || fail "$f: not gzip" ;;
	*) cp "$f" "$f.plain" ;;
	esac
	app_samples "$f.plain" | cmp -s - "$T/ref.app" || fail "$f: body differs"
	n=$((n + 1))
done
assert_eq "$n" $((CLIENTS * REQUESTS * 2 / 3)) "bodies checked"
stop_pid "$NGINX_PID"
stop_orphans
ok "two responders, keep-alive: $CLIENTS concurrent clients x $REQUESTS requests, $n bodies whole"
