#!/bin/sh
# SPDX-License-Identifier: MIT
# crash.sh - the writer dies by SIGKILL at random moments; the responder
# keeps answering correctly.
#
# lighttpd (top-level lighttpd.conf, default stale threshold: 3 writer
# ticks) serves the store of metrics-simulator --interval 0.1.  CRASH_KILLS
# times: start the simulator, let it run a random while (0 to 10 ms, i.e.
# during store creation and family registration, or up to 0.5 s; every
# third round until /health says 200, which proves the restart was picked
# up), kill -9 it, and wait until /health says 503 (stale or missing).
# Meanwhile checkbody.py scrapes /metrics back to back in both formats:
# every 200 body must be well formed (503 allowed, with a one-line reason).
# At the end the responder must be the same process (lighttpd did not have
# to respawn it) and lighttpd's error log must tell of no crash.
#
# Knobs: CRASH_KILLS (6; long 100), CRASH_SEED (random; printed).
# Prints: "crash: kills=N early_kills=N stale_503=N recovered_200=N
#          scrapes=N status_503=N violations=N leftover_tmp=N".
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/reliability/common.sh"

need_cmd lighttpd curl awk
need_python_om
need_built
[ -x "$SIM" ] || fail "not built: $SIM"
kills=${CRASH_KILLS:-$(long_or_short 6 100)}
seed=${CRASH_SEED:-$$}
interval=0.1

setup_tmp
rel_dirs
if [ "$(id -u)" = 0 ]; then
	# The simulator writes its store 0640; new files in a setgid directory
	# get its group, so the web server's group can read every new store.
	chgrp www-data "$T/store"
	chmod 2750 "$T/store"
fi
start_lighttpd
before=$(resp_pids)
[ -n "$before" ] || fail "no metrics.fcgi child of lighttpd"

: >"$T/check.out"
start_bg checkbody "$PY" "$REL/checkbody.py" --url "$BASE/metrics" --seconds 3600 \
	--allow-status 503 --until-file "$T/stop" --save-dir "$T" --interval 0.02
CHECK_PID=$BG_PID

early=0 stale=0 recovered=0 long_rounds=0 i=0
while [ "$i" -lt "$kills" ]; do
	i=$((i + 1))
	# Delay before the kill, seconds: in a third of the rounds 0 to 10 ms
	# (the simulator is still creating its store and registering), else up
	# to half a second.
	delay=$(awk -v s="$seed" -v i="$i" 'BEGIN { srand(s * 1000 + i); r = rand();
		if (r < 0.33) printf "%.3f\n", r * 0.03; else printf "%.3f\n", (r - 0.33) * 0.75 }')
	start_bg "sim$i" "$SIM" --store "$STORE" --interval "$interval" --seed "$i"
	sim=$BG_PID
	if [ $((i % 3)) = 0 ]; then
		long_rounds=$((long_rounds + 1))
		if wait_status 200 "$BASE/health" 50; then
			recovered=$((recovered + 1))
		else
			echo "round $i: /health not 200 within 5 s of a restart" >&2
		fi
	else
		case $delay in 0.00*) early=$((early + 1)) ;; esac
		[ "$delay" = 0.000 ] || sleep "$delay"
	fi
	kill -KILL "$sim" 2>/dev/null || true
	wait "$sim" 2>/dev/null || true
	PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$sim" | tr '\n' ' ')
	if wait_status 503 "$BASE/health" 50; then
		stale=$((stale + 1))
	else
		echo "round $i (delay $delay): /health not 503 within 5 s of the kill" >&2
	fi
done

touch "$T/stop"
n=0
while kill -0 "$CHECK_PID" 2>/dev/null && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
stop_pid "$CHECK_PID"
cat "$T/checkbody.log"
line=$(grep '^checkbody:' "$T/checkbody.log" | tail -n 1)
num() { echo "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
leftover=$(find "$T/store" -name '*.tmp.*' | wc -l | tr -d ' ')
echo "crash: kills=$kills early_kills=$early stale_503=$stale recovered_200=$recovered/$long_rounds scrapes=$(num scrapes) status_503=$(num status_other) violations=$(num violations) leftover_tmp=$leftover seed=$seed"

[ -n "$line" ] || fail "checkbody printed no summary"
[ "$(num violations)" = 0 ] || fail "malformed bodies while the writer crashed"
[ "$(num scrapes)" -gt 0 ] || fail "no scrape succeeded"
assert_eq "$stale" "$kills" "rounds where /health went 503 after the kill"
assert_eq "$recovered" "$long_rounds" "rounds where /health came back to 200"
assert_eq "$(resp_pids)" "$before" "responder pids"
assert_no_crash_in_errlog
ok "writer killed $kills times, responder $before survived"
