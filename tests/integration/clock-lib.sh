# SPDX-License-Identifier: MIT
# clock-lib.sh - what clock.sh and timens.sh share (POSIX sh, sourced after
# lib.sh): a live writer (metrics-simulator), requests to metrics.fcgi
# --listen SOCKET over FastCGI, and the checks that the responder takes the
# writer as alive (or not) with every age it shows never negative, timed
# detection of a killed writer, and a look at what a process's clocks read.

SIM="$top_builddir/src/metrics-simulator"
# The writer's tick, s; the responder's default limit is three ticks.
CLOCK_TICK=0.25
LIMIT=0.75
# Detecting a dead writer may take LIMIT after its last heartbeat, plus a
# tick it may have been into, plus polling and a loaded machine: more than
# this is a failure (a backward step used to hide a dead writer for as long
# as the step).
DETECT_MAX=3
# An application family of the simulator: served only while it is alive.
APP_SERIES='^shop_orders_total'

need_sim() { [ -x "$SIM" ] || fail "not built: $SIM (run make check)"; }

# ask TAG SOCKET METHOD PATH: one FastCGI request (fcgi_records.py also
# checks the framing); $T/TAG.hdr, $T/TAG.body; STATUS gets the status.
# 1 with the reason in WHY when the exchange fails.
ask() {
	"$PY" "$top_srcdir/tests/integration/fcgi_records.py" "$2" "$T/$1" "$3:$4" \
		>"$T/$1.check" 2>&1 || { WHY="FastCGI $3 $4: $(cat "$T/$1.check")"; return 1; }
	STATUS=$(hdr "$1" Status | cut -d' ' -f1)
}

# sample TAG NAME: the value of the unlabelled sample NAME in TAG's body.
sample() { awk -v n="$2" '$1 == n { print $2 }' "$T/$1.body"; }

# in_range X LO HI: X is a number (no sign but "-") with LO <= X <= HI.
in_range() {
	case $1 in '' | *[!0-9.eE+-]*) return 1 ;; esac
	awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x + 0 >= lo && x + 0 <= hi) }'
}

# alive_now SOCKET: 0 when the responder takes the writer as alive:
# /health 200 "ok: last heartbeat X s ago" and /metrics with writer_up 1,
# a store age, both within [0, LIMIT], and the application's series;
# else 1 with the reason in WHY.
alive_now() {
	ask ah "$1" GET /health || return 1
	age=$(sed -n 's/^ok: last heartbeat \(.*\) s ago$/\1/p' "$T/ah.body")
	[ "$STATUS" = 200 ] && in_range "$age" 0 "$LIMIT" ||
		{ WHY="/health $STATUS: $(cat "$T/ah.body")"; return 1; }
	ask am "$1" GET /metrics || return 1
	up=$(sample am mstore_exporter_writer_up)
	age=$(sample am mstore_exporter_store_age_seconds)
	[ "$STATUS" = 200 ] && [ "$up" = 1 ] && in_range "$age" 0 "$LIMIT" ||
		{ WHY="/metrics $STATUS: writer_up [$up], store_age_seconds [$age]"; return 1; }
	grep -q "$APP_SERIES" "$T/am.body" || { WHY="/metrics without $APP_SERIES"; return 1; }
}

# expect_alive WHAT SOCKET: alive_now, given up to 5 s (a loaded machine
# may delay a tick); fails with the last reason.
expect_alive() {
	i=0
	until alive_now "$2"; do
		i=$((i + 1))
		[ $i -lt 50 ] || fail "$1: not alive: $WHY"
		sleep 0.1
	done
}

# dead_now SOCKET REASON: 0 when /health is 503 with a body matching the
# grep pattern REASON and /metrics serves writer_up 0, a store age >= 0
# and none of the application's series; else 1 with the reason in WHY.
dead_now() {
	ask dh "$1" GET /health || return 1
	[ "$STATUS" = 503 ] && grep -q -- "$2" "$T/dh.body" ||
		{ WHY="/health $STATUS: $(cat "$T/dh.body")"; return 1; }
	ask dm "$1" GET /metrics || return 1
	up=$(sample dm mstore_exporter_writer_up)
	DEAD_AGE=$(sample dm mstore_exporter_store_age_seconds)
	[ "$STATUS" = 200 ] && [ "$up" = 0 ] && in_range "$DEAD_AGE" 0 1e12 ||
		{ WHY="/metrics $STATUS: writer_up [$up], store_age_seconds [$DEAD_AGE]"; return 1; }
	! grep -q "$APP_SERIES" "$T/dm.body" || { WHY="/metrics serves $APP_SERIES"; return 1; }
}

# expect_dead WHAT SOCKET REASON: dead_now, given up to 5 s.
expect_dead() {
	i=0
	until dead_now "$2" "$3"; do
		i=$((i + 1))
		[ $i -lt 50 ] || fail "$1: not reported dead: $WHY"
		sleep 0.1
	done
}

# CLOCK_BOOTTIME in seconds, as this shell's process sees it (no wall
# clock step moves it; 10 ms resolution).
uptime_s() { cut -d' ' -f1 /proc/uptime; }

# kill_and_time WHAT SOCKET PID: kill -9 the writer PID, poll /health until
# it says the writer is stale, and print how long that took (CLOCK_BOOTTIME);
# fail beyond DETECT_MAX seconds.
kill_and_time() {
	t0=$(uptime_s)
	kill -KILL "$3"
	wait "$3" 2>/dev/null || true
	PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$3" | tr '\n' ' ')
	until dead_now "$2" "writer stale: $store: last heartbeat"; do
		in_range "$(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { print b - a }')" 0 "$DETECT_MAX" ||
			fail "$1: still not stale after ${DETECT_MAX} s: $WHY"
		sleep 0.05
	done
	took=$(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { printf "%.2f", b - a }')
	ok "$1: stale after $took s (limit $LIMIT s after the last heartbeat), store age $DEAD_AGE s"
}

# clocks_of [CMD...]: "REALTIME BOOTTIME" (s) as a process run through CMD
# reads them (python3, through libc's clock_gettime, as our programs do).
clocks_of() {
	"$@" "$PY" -c 'import time
print(time.clock_gettime(time.CLOCK_REALTIME), time.clock_gettime(time.CLOCK_BOOTTIME))'
}

# check_clocks WHAT REAL BOOT CMD...: a process run through CMD reads the
# wall clock REAL s and CLOCK_BOOTTIME BOOT s away from ours (give or take
# a second: two processes start one after the other).
check_clocks() {
	what=$1 want_real=$2 want_boot=$3
	shift 3
	ours=$(clocks_of)
	theirs=$(clocks_of "$@") || fail "$what: cannot run a clock probe"
	echo "$ours $theirs" | awk -v r="$want_real" -v b="$want_boot" '
		function abs(x) { return x < 0 ? -x : x }
		{ exit !(abs($3 - $1 - r) < 1 && abs($4 - $2 - b) < 1) }' ||
		fail "$what: clocks moved by [$(echo "$ours $theirs" |
			awk '{ print $3 - $1, $4 - $2 }')], want [$want_real $want_boot]"
}
