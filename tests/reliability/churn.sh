#!/bin/sh
# SPDX-License-Identifier: MIT
# churn.sh - series that come and go, through the real responder:
# tests/reliability/churner (writer processes that create and remove
# series as fast as they can, their room reused after 1 ms) behind
# lighttpd and metrics.fcgi, while checkbody.py scrapes /metrics back to
# back in both formats and checks every body (valid, torn-free, counters
# never down, and --churn: every series shows its own label's values, so
# a series shown half removed, or with another series' labels or values,
# is a violation).
#
#   1. churn: CHURN_CYCLES create/remove cycles by CHURN_WORKERS workers;
#      then the store's usage (families, series, value slots, string
#      bytes) must be what it was before the churn;
#   2. the kill storm: CHURN_KILLS SIGKILLs hit random workers 0..20 ms
#      into their work (inside a removal, a reuse, an expiry, holding the
#      registration lock); the churner replaces each.  After it stopped and
#      removed what the killed ones left: usage as before, every kill
#      replaced, the file's size unchanged, the removals the writers
#      finished after the dead (recoveries) counted.
# A 503 (the reader gave up rather than serve an inconsistent body) is
# allowed and counted; a violation is not.
#
# Knobs: CHURN_CYCLES (20000; long 1000000), CHURN_WORKERS (2),
# CHURN_KILLS (40; long 1000), CHURN_SEED (random; printed).
# Prints: "churn: cycles=N scrapes=N status_503=N violations=N
#          used_before=F/S/V/B used_after=F/S/V/B refused=N seconds=S" and
#          "churn: kills=N replaced=N scrapes=N status_503=N violations=N
#          used_before=... used_after=... file_size=B/B recovered ..."
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/reliability/common.sh"

need_cmd lighttpd curl awk ps
need_python_om
need_built
CHURNER="$top_builddir/tests/reliability/churner"
[ -x "$CHURNER" ] || fail "not built: $CHURNER"
cycles=${CHURN_CYCLES:-$(long_or_short 20000 1000000)}
workers=${CHURN_WORKERS:-2}
kills=${CHURN_KILLS:-$(long_or_short 40 1000)}
seed=${CHURN_SEED:-$$}

setup_tmp
rel_dirs
# The store stays fresh a minute after its writer's last heartbeat.
start_lighttpd 60

# scrape_until FILE NAME: checkbody on /metrics until FILE exists; its
# log is $T/NAME.log.  Sets CHECK_PID.
scrape_until() {
	start_bg "$2" "$PY" "$REL/checkbody.py" --url "$BASE/metrics" --seconds 36000 \
		--monotonic --churn --allow-status 503 --until-file "$1" --save-dir "$T"
	CHECK_PID=$BG_PID
}

# stop_check NAME: let checkbody finish its scrape and print; sets LINE.
stop_check() {
	n=0
	while kill -0 "$CHECK_PID" 2>/dev/null && [ $n -lt 400 ]; do sleep 0.05; n=$((n + 1)); done
	stop_pid "$CHECK_PID"
	LINE=$(grep '^checkbody:' "$T/$1.log" | tail -n 1)
	[ -n "$LINE" ] || fail "checkbody printed no summary: $(tail -n 5 "$T/$1.log")"
}

num() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# 1. Churn.
# at least 3 s, so that checkbody (a Python start-up away) scrapes it
start_bg churner1 "$CHURNER" --store "$STORE" --workers "$workers" --cycles "$cycles" \
	--min-seconds 3 --reuse-ms 1
CHURNER_PID=$BG_PID
wait_for "store $STORE" test -s "$STORE"
wait_status 200 "$BASE/health" 100 || fail "/health not 200 with the churner running"
scrape_until "$T/stop1" check1
stop_pid_quietly() { kill -0 "$1" 2>/dev/null || return 0; stop_pid "$1"; }
n=0
while ! grep -q '^churner:' "$T/churner1.log" && kill -0 "$CHURNER_PID" 2>/dev/null; do
	sleep 0.2
done
touch "$T/stop1"
stop_check check1
cline=$(grep '^churner:' "$T/churner1.log" || true)
[ -n "$cline" ] || fail "churner failed: $(tail -n 5 "$T/churner1.log")"
stop_pid_quietly "$CHURNER_PID"
echo "churn: cycles=$(num cycles "$cline") scrapes=$(num scrapes "$LINE") status_503=$(num status_other "$LINE") violations=$(num violations "$LINE") used_before=$(num used_before "$cline") used_after=$(num used_after "$cline") refused=$(num refused "$cline") seconds=$(num seconds "$cline")"
[ "$(num violations "$LINE")" = 0 ] || { cat "$T/check1.log"; fail "bodies with violations during the churn"; }
[ "$(num scrapes "$LINE")" -ge 10 ] || fail "only $(num scrapes "$LINE") scrapes"
[ "$(num cycles "$cline")" -ge "$cycles" ] || fail "churner made $(num cycles "$cline") cycles"
assert_eq "$(num used_after "$cline")" "$(num used_before "$cline")" \
	"store usage after $cycles cycles (families/series/value slots/string bytes)"
ok "$cycles create/remove cycles under continuous scrapes: usage flat, 0 violations"

# 2. The kill storm.
rm -f "$STORE"
start_bg churner2 "$CHURNER" --store "$STORE" --workers 4 --seconds 3600 --reuse-ms 1
CHURNER_PID=$BG_PID
wait_for "store $STORE" test -s "$STORE"
wait_status 200 "$BASE/health" 100 || fail "/health not 200 with the churner running"
size_before=$(stat -c %s "$STORE")
scrape_until "$T/stop2" check2
sleep 0.5
i=0
while [ "$i" -lt "$kills" ]; do
	i=$((i + 1))
	delay=$(awk -v s="$seed" -v i="$i" 'BEGIN { srand(s * 1000 + i); printf "%.4f\n", rand() * 0.02 }')
	# not a zombie: a worker killed before and not reaped yet (the churner
	# reaps once a tick) would count twice
	pids=$(ps -o pid=,stat= --ppid "$CHURNER_PID" 2>/dev/null | awk '$2 !~ /^Z/ {print $1}' || true)
	n=$(echo "$pids" | wc -w)
	[ "$n" -gt 0 ] || { sleep 0.01; i=$((i - 1)); continue; }
	victim=$(echo "$pids" | awk -v r="$i" -v n="$n" 'NR == (r % n) + 1')
	sleep "$delay"
	kill -KILL "$victim" 2>/dev/null || i=$((i - 1))
done
# the last one killed reaped and replaced (the churner reaps once a tick;
# a slow build, e.g. under ASan, may not have got there yet)
n=0
until [ "$(ps -o stat= --ppid "$CHURNER_PID" 2>/dev/null | awk '$1 !~ /^Z/' | wc -l)" -eq 4 ] &&
	! ps -o stat= --ppid "$CHURNER_PID" 2>/dev/null | grep -q '^Z' || [ $n -ge 200 ]; do
	sleep 0.05
	n=$((n + 1))
done
sleep 0.5
kill -TERM "$CHURNER_PID"
n=0
while ! grep -q '^churner:' "$T/churner2.log" && [ $n -lt 200 ]; do sleep 0.1; n=$((n + 1)); done
cline=$(grep '^churner:' "$T/churner2.log" || true)
[ -n "$cline" ] || fail "churner failed: $(tail -n 5 "$T/churner2.log")"
touch "$T/stop2"
stop_check check2
# after checkbody's last scrape: a scrape beside one of its own would go to
# the second responder, whose per-process counters (scrapes_total) start
# lower, and checkbody would see them go down
curl -sf --max-time 10 -H 'Accept: text/plain;version=0.0.4' "$BASE/metrics" >"$T/final.body" ||
	fail "final scrape failed"
stop_pid_quietly "$CHURNER_PID"
size_after=$(stat -c %s "$STORE")
recovered=$(sed -n 's/^mstore_exporter_writer_recoveries_total{kind="\([a-z_]*\)"} \([0-9]*\)$/\1=\2/p' "$T/final.body" | tr '\n' ' ')
echo "churn: kills=$kills replaced=$(num replaced "$cline") cycles=$(num cycles "$cline") scrapes=$(num scrapes "$LINE") status_503=$(num status_other "$LINE") violations=$(num violations "$LINE") used_before=$(num used_before "$cline") used_after=$(num used_after "$cline") file_size=$size_before/$size_after seed=$seed"
echo "churn: recovered $recovered"
[ "$(num violations "$LINE")" = 0 ] || { cat "$T/check2.log"; fail "bodies with violations during the kill storm"; }
assert_eq "$(num replaced "$cline")" "$kills" "workers the churner replaced"
assert_eq "$(num used_after "$cline")" "$(num used_before "$cline")" \
	"store usage after the kill storm (families/series/value slots/string bytes)"
assert_eq "$size_after" "$size_before" "store file size"
assert_no_crash_in_errlog
ok "$kills kills of churning writers under continuous scrapes: nothing leaked, 0 violations"
