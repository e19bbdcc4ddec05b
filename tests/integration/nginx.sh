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
[ -r "$NGINX_PARAMS" ] || skip "$NGINX_PARAMS missing"
setup_tmp
mkdir -p "$T/store"
chmod 755 "$T/store"

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

# -- 4. spawn-fcgi -F 2, keep-alive, concurrent clients
sock="$T/two.sock"
spawn_responders "$sock" 2
start_big_writer "$METRICS_STORE"
start_nginx "unix:$sock"
fetch ref "$BASE/metrics"
app_samples "$T/ref.body" >"$T/ref.app"
# nginx keeps the connection after a response: a responder holds it
# (a socket besides the listening one)
for i in 1 2 3; do fetch ka "$BASE/health"; done
kept=0
for p in $SPAWNED; do
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
stop_spawned
ok "two responders, keep-alive: $CLIENTS concurrent clients x $REQUESTS requests, $n bodies whole"
