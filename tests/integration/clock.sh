#!/bin/sh
# SPDX-License-Identifier: MIT
# clock.sh - liveness survives wall clock steps (issue 20).  A live
# metrics-simulator and a FastCGI metrics.fcgi --listen run under
# libfaketime with only their wall clocks faked, read again at every clock
# call from a file the test rewrites, so each step happens while they run:
#   - first, that the tool does what we think: a process under it sees its
#     wall clock moved by the step and CLOCK_BOOTTIME unmoved, and a
#     running one sees a step as soon as the file changes;
#   - the writer's wall clock an hour behind when it creates the store,
#     then the responder's stepped by -1 h, -10 s, +10 s and +1 h, each
#     with the writer's stepped the other way: /health 200 with an age in
#     [0, limit], writer_up 1, store_age_seconds in [0, limit], the
#     application's series served;
#   - the responder's wall clock an hour behind the writer's, the writer
#     killed: reported stale within the usual limit (timed on
#     CLOCK_BOOTTIME), not an hour later;
#   - a writer whose CLOCK_BOOTTIME is faked too (libfaketime's default,
#     checked first): its heartbeat is far in the future of the
#     responder's clock: 503 saying so, writer_up 0, store age 0, no
#     application series, one log line; then a real writer again: alive,
#     and "store usable again" in the log.
# Skips (77) without libfaketime (Debian package faketime).
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/clock-lib.sh"

need_built
need_sim
LIBFAKETIME=""
for f in /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1; do
	[ -r "$f" ] && LIBFAKETIME=$f && break
done
[ -n "$LIBFAKETIME" ] || skip "libfaketime not installed (Debian package faketime)"
# A sanitizer build wants its runtime first among the preloaded libraries;
# libfaketime only wraps the clock calls, so let them be in either order.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
setup_tmp
store="$T/metrics.store"
sock="$T/fcgi.sock"
export METRICS_STORE="$store"
unset METRICS_STALE_AFTER || true

# $T/faked ROLE CMD...: run CMD with only its wall clock moved, by the
# offset (s, "+N" or "-N") in $T/ROLE.rc, read again at every clock call.
# A script that execs, so that a background CMD keeps the pid we got.
faked="$T/faked"
cat >"$faked" <<EOF
#!/bin/sh
role=\$1
shift
exec env LD_PRELOAD='$LIBFAKETIME' FAKETIME_TIMESTAMP_FILE="$T/\$role.rc" FAKETIME_NO_CACHE=1 \\
    FAKETIME_DONT_FAKE_MONOTONIC=1 "\$@"
EOF
chmod +x "$faked"
# step ROLE SECONDS: step ROLE's wall clock to SECONDS (signed or not)
# from the real one.
step() { printf '%+d\n' "$2" >"$T/$1.rc"; }
STEPS="-3600 -10 +10 +3600"

# -- the tool: wall clock only, and a running process sees a step
for s in $STEPS; do
	step probe "$s"
	check_clocks "wall clock $s s under libfaketime" "$s" 0 "$faked" probe
done
step probe 0
mkfifo "$T/go"
"$faked" probe "$PY" -c 'import sys, time
def show():
    print(time.clock_gettime(time.CLOCK_REALTIME), time.clock_gettime(time.CLOCK_BOOTTIME), flush=True)
show()
open(sys.argv[1]).read()
show()' "$T/go" >"$T/running.out" 2>&1 &
probe=$!
PIDS="$PIDS $probe"
wait_for "a running probe's first reading" test -s "$T/running.out"
step probe -3600
timeout 5 sh -c "echo go >'$T/go'" || fail "the running probe did not read its fifo"
wait "$probe" || fail "running probe: $(cat "$T/running.out")"
awk 'NR == 1 { r = $1; b = $2 } NR == 2 { d = $1 - r; e = $2 - b }
	END { exit !(d < -3599 && d > -3601 && e >= 0 && e < 1) }' "$T/running.out" ||
	fail "a running process did not see the step alone: $(cat "$T/running.out")"
ok "libfaketime moves the wall clock alone, also of a running process"

# -- a writer and a responder whose wall clocks step while they run
step writer -3600
step resp 0
start_bg writer "$faked" writer "$SIM" --store "$store" --interval "$CLOCK_TICK"
WRITER_PID=$BG_PID
wait_for "store $store" test -s "$store"
start_bg fcgi "$faked" resp "$FCGI" --listen "$sock"
FCGI_PID=$BG_PID
wait_for "--listen socket" test -S "$sock"
for p in "$WRITER_PID" "$FCGI_PID"; do
	grep -q libfaketime "/proc/$p/maps" || fail "libfaketime not loaded in pid $p"
done
expect_alive "writer's wall clock 1 h behind at creation" "$sock"
for s in $STEPS; do
	step resp "$s"
	expect_alive "responder's wall clock $s s" "$sock"
	step writer "$((-s))"
	expect_alive "responder's wall clock $s s, writer's $((-s)) s" "$sock"
done
ok "wall clocks stepped by $STEPS s: alive, ages in [0, $LIMIT] s, series served"

# -- a writer that dies after a backward step: the responder's wall clock
# an hour behind the writer's (as after a step of the whole machine, for
# the writer's last heartbeats), then the writer killed
step writer 0
step resp -3600
expect_alive "responder's wall clock an hour behind the writer's" "$sock"
kill_and_time "writer killed after a backward step" "$sock" "$WRITER_PID"

# -- a heartbeat from the future: libfaketime's default fakes CLOCK_BOOTTIME
# too, from the wall clock: a writer under it stamps times far ahead of
# ours (a boot's clock is small, the wall clock is decades)
ours=$(clocks_of)
theirs=$(clocks_of env LD_PRELOAD="$LIBFAKETIME" FAKETIME=+0)
echo "$ours $theirs" | awk '{ exit !($4 - $2 > 1e6) }' ||
	fail "libfaketime no longer fakes CLOCK_BOOTTIME by default ($ours / $theirs): adapt this test"
old_inode=$(inode_of "$store")
start_bg writer env LD_PRELOAD="$LIBFAKETIME" FAKETIME=+0 \
	"$SIM" --store "$store" --interval "$CLOCK_TICK"
WRITER_PID=$BG_PID
wait_for "the future writer's store" sh -c "[ \"\$(stat -c %i '$store')\" != '$old_inode' ]"
expect_dead "heartbeat from the future" "$sock" "writer stale: $store: heartbeat [0-9.]* s in the future"
assert_eq "$DEAD_AGE" 0 "store age of a heartbeat from the future"
for i in 1 2 3; do dead_now "$sock" "in the future" || fail "future, again: $WHY"; done
assert_eq "$(grep -c 'in the future' "$T/fcgi.log")" 1 "log lines for a heartbeat from the future"
ok "heartbeat from the future: 503, writer_up 0, age 0, own metrics only, logged once"
stop_pid "$WRITER_PID"
old_inode=$(inode_of "$store")
step writer 0
start_bg writer "$faked" writer "$SIM" --store "$store" --interval "$CLOCK_TICK"
wait_for "a real writer's store" sh -c "[ \"\$(stat -c %i '$store')\" != '$old_inode' ]"
expect_alive "a real writer again" "$sock"
grep -q "store usable again: $store" "$T/fcgi.log" || fail "recovery not logged"
ok "a real writer again: alive, recovery logged"
