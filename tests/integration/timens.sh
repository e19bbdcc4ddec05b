#!/bin/sh
# SPDX-License-Identifier: MIT
# timens.sh - liveness across time namespaces (issue 20): CLOCK_BOOTTIME
# differs by a namespace's offset, and the writer records its own, so a
# reader in another namespace still gets true ages.  With
# `unshare --time --boottime N` (Linux 5.6+, root):
#   - a process in such a namespace sees CLOCK_BOOTTIME N s ahead, its wall
#     clock unmoved (checked first);
#   - a live metrics-simulator read by a FastCGI metrics.fcgi --listen in a
#     namespace 1 h ahead; the writer in one 2 h ahead read from outside
#     and from the 1 h one; one behind (-60 s) when the machine has been up
#     long enough: /health 200 with an age in [0, limit], writer_up 1,
#     store_age_seconds in [0, limit], the application's series served;
#   - the writer (2 h ahead) killed: the responder (1 h ahead) reports it
#     stale within the usual limit (timed on CLOCK_BOOTTIME).
# Skips (77) where time namespaces cannot be made.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/clock-lib.sh"

need_built
need_sim
need_cmd unshare
unshare --time --boottime 1 true 2>/dev/null ||
	skip "cannot make a time namespace (needs Linux 5.6+ and root)"
setup_tmp
store="$T/metrics.store"
export METRICS_STORE="$store"
unset METRICS_STALE_AFTER || true

check_clocks "time namespace 1 h ahead" 0 3600 unshare --time --boottime 3600
ok "a time namespace moves CLOCK_BOOTTIME alone"

# writer_in OFFSET: (re)start the simulator with CLOCK_BOOTTIME OFFSET s
# away from ours (unshare execs it: WRITER_PID is the simulator).
writer_in() {
	[ -z "${WRITER_PID:-}" ] || stop_pid "$WRITER_PID"
	old_inode=$(inode_of "$store")
	start_bg "writer$1" unshare --time --boottime "$1" "$SIM" --store "$store" \
		--interval "$CLOCK_TICK"
	WRITER_PID=$BG_PID
	wait_for "the store of a writer at $1 s" \
		sh -c "[ \"\$(stat -c %i '$store' 2>/dev/null || echo none)\" != '$old_inode' ]"
}

# responder_in OFFSET: a responder with CLOCK_BOOTTIME OFFSET s away from
# ours, in a namespace of its own; SOCK is its socket.
responder_in() {
	SOCK="$T/fcgi$1.sock"
	start_bg "fcgi$1" unshare --time --boottime "$1" "$FCGI" --listen "$SOCK"
	wait_for "--listen socket $SOCK" test -S "$SOCK"
	[ "$(readlink "/proc/$BG_PID/ns/time")" != "$(readlink /proc/self/ns/time)" ] ||
		fail "responder at $1 s is in our time namespace"
}

writer_in 0
responder_in 3600
ahead=$SOCK
expect_alive "writer outside, responder 1 h ahead" "$ahead"
responder_in 0
outside=$SOCK
writer_in 7200
expect_alive "writer 2 h ahead, responder outside" "$outside"
expect_alive "writer 2 h ahead, responder 1 h ahead" "$ahead"
up=$(uptime_s)
if in_range "$up" 600 1e12; then
	responder_in -60
	expect_alive "writer 2 h ahead, responder 60 s behind" "$SOCK"
else
	echo "note: up only $up s: no namespace behind ours"
fi
ok "writer and responders in time namespaces: alive, ages in [0, $LIMIT] s, series served"

kill_and_time "writer 2 h ahead killed, responder 1 h ahead" "$ahead" "$WRITER_PID"
