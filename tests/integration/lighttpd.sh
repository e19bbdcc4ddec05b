#!/bin/sh
# SPDX-License-Identifier: MIT
# lighttpd.sh - end to end through a real lighttpd started from the
# repository's lighttpd.conf (settings via METRICS_* environment variables)
# on a free loopback port, spawning metrics.fcgi itself; the store is
# written by tests/mkstore.  Covers bodies, status codes, both content
# types, HEAD, 404, 405 + Allow, gzip, 503 on missing/corrupt/truncated
# stores, a stale writer, promtool and the OpenMetrics parser (see
# run_http_checks in lib.sh), that the responder process survives it all
# and SIGINT, and that lighttpd's SIGTERM stops it.
set -eu
. "$(dirname "$0")/lib.sh"

need_cmd lighttpd curl gzip
need_built
setup_tmp
mkdir -p "$T/state" "$T/log" "$T/www" "$T/store"
if [ "$(id -u)" = 0 ]; then
	# lighttpd drops to www-data (see lighttpd.conf) before spawning
	chown www-data:www-data "$T/state" "$T/log" "$T/store"
fi
chmod 755 "$T/www" "$T/store"

port=$(free_port)
export METRICS_HTTP_PORT="$port" METRICS_HTTP_BIND=127.0.0.1
export METRICS_FCGI="$FCGI" METRICS_STORE="$T/store/metrics.store"
export METRICS_STATE_DIR="$T/state" METRICS_LOG_DIR="$T/log" METRICS_DOCROOT="$T/www"
unset METRICS_STALE_AFTER METRICS_FCGI_FLAGS METRICS_USER METRICS_GROUP || true

lighttpd -tt -f "$top_srcdir/lighttpd.conf" >"$T/configtest.log" 2>&1 ||
	fail "lighttpd -tt rejects lighttpd.conf"
start_bg lighttpd lighttpd -D -f "$top_srcdir/lighttpd.conf"
LIGHTTPD_PID=$BG_PID
wait_for "lighttpd on port $port" port_open "$port"

base="http://127.0.0.1:$port"
fetch first "$base/health"
# the responders lighttpd spawned (max-procs 2), sorted
resp_pid() { ps -o pid= --ppid "$LIGHTTPD_PID" | tr -d ' ' | sort -n | paste -sd' ' -; }
before=$(resp_pid)
assert_eq "$(echo "$before" | wc -w)" 2 "metrics.fcgi children of lighttpd ($before)"

# lighttpd -D hands spawned backends its own stderr; daemonized, the
# error log.  Count the responder's lines in both.
run_http_checks "$base" "$METRICS_STORE" "$T/lighttpd.log $T/log/error.log"

after=$(resp_pid)
assert_eq "$after" "$before" "metrics.fcgi pids (none may have died)"
# (an aborted response, check_stream_abort, makes lighttpd say "unexpected
# end-of-file (perhaps the fastcgi process died)": the pid above proves
# it did not)
if grep -Ei 'signal|died|exited' "$T/log/error.log" |
   grep -v 'unexpected end-of-file (perhaps the fastcgi process died)' >/dev/null; then
	fail "error.log reports a backend crash"
fi
ok "responders survived (pids $after)"

# Ctrl-C in the terminal of a foreground lighttpd reaches its backends
# too (one process group): they leave stopping to lighttpd, which would
# respawn one that exits (see responder.c)
for p in $after; do kill -INT "$p"; done
fetch sigint "$base/health"
assert_eq "$STATUS" 200 "/health after SIGINT to the responders"
sleep 0.2
assert_eq "$(resp_pid)" "$after" "metrics.fcgi pids after SIGINT"
! grep -E 'child (exited|signalled)' "$T/log/error.log" ||
	fail "a responder exited on SIGINT"
ok "responders ignore SIGINT (lighttpd stops them)"

stop_pid "$LIGHTTPD_PID"
assert_eq "$STOP_STATUS" 0 "lighttpd exit status"
for p in $after; do
	i=0
	while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	! kill -0 "$p" 2>/dev/null || fail "metrics.fcgi $p still running after lighttpd stopped"
done
ok "lighttpd stopped metrics.fcgi"
