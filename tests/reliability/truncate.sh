#!/bin/sh
# SPDX-License-Identifier: MIT
# truncate.sh - the store shrinks under a live reader: the responder answers
# 503 and recovers, and never dies of SIGBUS.
#
# lighttpd serves a static store (tests/mkstore --static --series 2000, so
# the body spans many pages; the writer is stopped so only the test touches
# the file).  While checkbody.py scrapes /metrics back to back in both
# formats (200 bodies must be well formed, 503 allowed), TRUNCATE_CYCLES
# times: cut the file in place (to 0 bytes, 100 bytes, one page, half) and
# require 503 on /metrics and /health; then bring it back, alternately by
# rewriting the same inode with the saved bytes and by a new file renamed
# over it, and require 200 again.  Then TRUNCATE_FLIPS quick cut/restore
# flips with no pause, to hit a scrape in the middle of rendering.  The
# responder must be the same process at the end, with no crash logged.
#
# Knobs: TRUNCATE_CYCLES (2; long 40), TRUNCATE_FLIPS (30; long 2000).
# Prints: "truncate: cycles=N cuts=N status_503=N recoveries=N flips=N
#          scrapes=N violations=N".
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/reliability/common.sh"

need_cmd lighttpd curl truncate
need_python_om
need_built
cycles=${TRUNCATE_CYCLES:-$(long_or_short 2 40)}
flips=${TRUNCATE_FLIPS:-$(long_or_short 30 2000)}

setup_tmp
rel_dirs
start_writer "$STORE" --static --series 2000
stop_pid "$WRITER_PID"
cp "$STORE" "$T/saved.store"
size=$(size_of "$STORE")
start_lighttpd
[ "$(status_of "$BASE/metrics")" = 200 ] || fail "/metrics is not 200 on a good store"
before=$(resp_pids)
[ -n "$before" ] || fail "no metrics.fcgi child of lighttpd"

start_bg checkbody "$PY" "$REL/checkbody.py" --url "$BASE/metrics" --seconds 3600 \
	--allow-status 503 --until-file "$T/stop" --save-dir "$T"
CHECK_PID=$BG_PID

# restore N: odd N rewrites the inode in place, even N renames a copy over.
restore() {
	if [ $(($1 % 2)) = 1 ]; then
		cat "$T/saved.store" >"$STORE"
	else
		cp "$T/saved.store" "$STORE.new"
		mv "$STORE.new" "$STORE"
	fi
}

cuts=0 st503=0 recoveries=0 c=0
while [ "$c" -lt "$cycles" ]; do
	c=$((c + 1))
	for to in 0 100 4096 $((size / 2)); do
		truncate -s "$to" "$STORE"
		cuts=$((cuts + 1))
		m=$(status_of "$BASE/metrics")
		h=$(status_of "$BASE/health")
		[ "$m" = 503 ] && [ "$h" = 503 ] ||
			fail "cycle $c: store cut to $to bytes: /metrics $m, /health $h (want 503)"
		st503=$((st503 + 2))
		restore $((c + to))
		wait_status 200 "$BASE/metrics" 50 ||
			fail "cycle $c: no recovery after restoring a store cut to $to bytes"
		recoveries=$((recoveries + 1))
	done
done

f=0
while [ "$f" -lt "$flips" ]; do
	f=$((f + 1))
	truncate -s $((size / 2)) "$STORE"
	cat "$T/saved.store" >"$STORE"
done
wait_status 200 "$BASE/metrics" 50 || fail "no recovery after the flips"

touch "$T/stop"
n=0
while kill -0 "$CHECK_PID" 2>/dev/null && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
stop_pid "$CHECK_PID"
cat "$T/checkbody.log"
line=$(grep '^checkbody:' "$T/checkbody.log" | tail -n 1)
num() { echo "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
echo "truncate: cycles=$cycles cuts=$cuts status_503=$st503 recoveries=$recoveries flips=$flips scrapes=$(num scrapes) scrape_503=$(num status_other) violations=$(num violations)"
[ -n "$line" ] || fail "checkbody printed no summary"
[ "$(num violations)" = 0 ] || fail "malformed bodies while the store was cut"
assert_eq "$(resp_pids)" "$before" "responder pids (a SIGBUS would have killed it)"
assert_no_crash_in_errlog
ok "store cut $cuts times and flipped $flips times under a live reader"
