#!/bin/sh
# SPDX-License-Identifier: MIT
# stack-sigint.sh - Ctrl-C stops the whole native stack.  Runs run-stack.sh
# (no install, no build) as a terminal runs a foreground job: in a process
# group of its own, SIGINT not ignored; waits until it is up; then sends
# SIGINT to the whole group, as Ctrl-C does, and checks that every process
# of the group exits (the metrics.fcgi processes lighttpd spawned, and any
# lighttpd would have spawned since, included), that run-stack.sh exits 0,
# and that no responder exited while lighttpd was still running: one that
# did was respawned by lighttpd at once, and the respawned one could
# outlive lighttpd (see responder.c).
set -eu
. "$(dirname "$0")/lib.sh"

need_cmd prometheus promtool lighttpd curl
SIM="$top_builddir/src/metrics-simulator"
for f in "$SIM" "$FCGI"; do
	[ -x "$f" ] || fail "not built: $f (run make check)"
done
setup_tmp
STACK="$T/stack"
PG=""
# Upper bounds, in tenths of a second: the stack coming up (Prometheus
# replays its WAL, runs promtool), and going down (run-stack.sh waits up
# to 10 s per process).
UP_TRIES=600
DOWN_TRIES=300

# The live (not zombie) processes of process group $PG: "pid command".
members() {
	ps -e -o pgid=,pid=,stat=,args= | awk -v g="$PG" '$1 == g && $3 !~ /^Z/ {
		$1 = ""; $3 = ""; print }'
}
# Whatever happens, nothing of the group outlives the test.
kill_group() {
	[ -n "$PG" ] && kill -KILL -"$PG" 2>/dev/null || true
}
trap 'rc=$?; set +e; kill_group; (exit $rc); cleanup' EXIT

http_port=$(free_port)
prom_port=$(free_port)
while [ "$prom_port" = "$http_port" ]; do prom_port=$(free_port); done
# A background job of a non-interactive shell starts with SIGINT ignored
# (and a shell keeps ignoring a signal ignored at its start, traps or
# not): reset it and take a process group of our own, as a terminal's
# foreground job has.
start_bg stack env HTTP_PORT="$http_port" PROM_PORT="$prom_port" \
	STACK_BIND=127.0.0.1 RUN_DIR="$STACK" BUILD_DIR="$top_builddir" \
	SIM_INTERVAL=0.2 SCRAPE_INTERVAL=1s STACK_TAIL=0 \
	"$PY" -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setpgid(0, 0)
os.execvp(sys.argv[1], sys.argv[1:])' sh "$top_srcdir/run-stack.sh" --no-install --no-build
STACK_PID=$BG_PID
PG=$STACK_PID

i=0
until grep -q '^run-stack: up:' "$T/stack.log" 2>/dev/null; do
	kill -0 "$STACK_PID" 2>/dev/null || fail "run-stack.sh exited: $(cat "$T/stack.log")"
	i=$((i + 1))
	[ $i -lt $UP_TRIES ] || fail "run-stack.sh not up"
	sleep 0.1
done
curl -fsS -o /dev/null "http://127.0.0.1:$http_port/metrics" || fail "/metrics not served"
members >"$T/before.txt"
lighttpd_pid=$(cat "$STACK/lighttpd.pid")
responders=$(ps -o pid= --ppid "$lighttpd_pid" | tr -d ' ' | paste -sd' ' -)
assert_eq "$(echo "$responders" | wc -w)" 2 "metrics.fcgi processes before Ctrl-C ($responders)"
for p in $responders; do
	grep -q "^ *$p " "$T/before.txt" || fail "responder $p not in the stack's process group"
done
ok "stack up: $(wc -l <"$T/before.txt") processes in process group $PG"

kill -INT -"$PG"
i=0
while [ -n "$(members)" ]; do
	i=$((i + 1))
	if [ $i -ge $DOWN_TRIES ]; then
		members >"$T/after.txt"
		fail "still running $((DOWN_TRIES / 10)) s after SIGINT to the group:" \
		    "$(cat "$T/after.txt")"
	fi
	sleep 0.1
done
wait "$STACK_PID" && rc=0 || rc=$?
PIDS=""
assert_eq "$rc" 0 "run-stack.sh exit status after SIGINT"
ok "SIGINT to the process group: every process exited"

if grep -E 'child (exited|signalled)' "$STACK/log/error.log" >"$T/exited.txt"; then
	fail "a responder exited before lighttpd stopped it (lighttpd respawns it):" \
	    "$(cat "$T/exited.txt")"
fi
! grep -q 'left behind by lighttpd' "$T/stack.log" ||
	fail "run-stack.sh had to stop a responder lighttpd left behind"
ok "the responders were stopped by lighttpd, none respawned"
