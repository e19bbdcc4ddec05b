#!/bin/sh
# SPDX-License-Identifier: MIT
# torn.sh - no torn or malformed reading under write load.
#
# tests/reliability/hammer updates counters, gauges and histograms from
# HAMMER_THREADS threads as fast as it can (registering families and adding
# series while it runs), while checkbody.py scrapes /metrics through
# lighttpd (top-level lighttpd.conf, free loopback port) back to back for
# RELIABILITY_SECONDS, alternating text and OpenMetrics, and checks every
# body: format, histogram rules, counters never decreasing between scrapes,
# and hammer's exact histogram invariant (_sum from the buckets).  A 503
# (the reader gave up rather than return a torn reading) is allowed and
# counted; a violation is not.  The responder must not restart.
#
# Knobs: RELIABILITY_SECONDS (3; long 60), HAMMER_THREADS (2; long 4).
# Prints: "torn: scrapes=N bodies=N status_503=N updates=N violations=N".
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/reliability/common.sh"

need_cmd lighttpd curl
need_python_om
need_built
[ -x "$HAMMER" ] || fail "not built: $HAMMER (run make check)"
seconds=${RELIABILITY_SECONDS:-$(long_or_short 3 60)}
threads=${HAMMER_THREADS:-$(long_or_short 2 4)}

setup_tmp
rel_dirs
start_bg hammer "$HAMMER" --store "$STORE" --threads "$threads" --seconds 0 --tick-ms 100
HAMMER_PID=$BG_PID
wait_for "store $STORE" test -s "$STORE"
start_lighttpd
[ "$(status_of "$BASE/health")" = 200 ] || fail "/health is not 200 with a live writer"
before=$(resp_pids)
[ -n "$before" ] || fail "no metrics.fcgi child of lighttpd"

mkdir -p "$T/bad"
rc=0
"$PY" "$REL/checkbody.py" --url "$BASE/metrics" --seconds "$seconds" \
	--monotonic --hammer --allow-status 503 --save-dir "$T/bad" >"$T/check.out" 2>"$T/check.err" || rc=$?
cat "$T/check.out"
head -n 20 "$T/check.err" >&2

stop_pid "$HAMMER_PID"
hammer_status=$STOP_STATUS
cat "$T/hammer.log"
[ "$hammer_status" = 0 ] || fail "hammer exited with $hammer_status"

line=$(grep '^checkbody:' "$T/check.out" | tail -n 1)
num() { echo "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
scrapes=$(num scrapes) violations=$(num violations) st503=$(num status_other)
bodies=$(num hammer_bodies)
updates=$(sed -n 's/.*updates=\([0-9]*\).*/\1/p' "$T/hammer.log")
echo "torn: scrapes=$scrapes bodies=$bodies status_503=$st503 updates=${updates:-?} violations=${violations:-?} seconds=$seconds threads=$threads"

[ "$rc" = 0 ] || fail "checkbody found violations (bodies kept in $T/bad with KEEP_TMP=1)"
[ "${violations:-1}" = 0 ] || fail "violations: $violations"
[ "${bodies:-0}" -gt 0 ] || fail "no scrape showed the hammer's families"
[ "${updates:-0}" -gt 0 ] || fail "hammer made no updates"
after=$(resp_pids)
assert_eq "$after" "$before" "metrics.fcgi pids (a responder died)"
assert_no_crash_in_errlog
ok "torn reads: $scrapes scrapes, $updates updates, 0 violations"
