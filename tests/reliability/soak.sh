#!/bin/sh
# SPDX-License-Identifier: MIT
# soak.sh - sustained load through lighttpd while the simulator writes:
# every answer 2xx, memory flat.
#
# metrics-simulator (--interval 0.2) writes the store; lighttpd (top-level
# lighttpd.conf, free loopback port) serves it; wrk with 64 connections on
# loopback runs soak.lua (text and OpenMetrics /metrics, some /health)
# first for SOAK_WARMUP seconds, then for SOAK_SECONDS.  Asserts: no
# non-2xx answer and no socket error in either run (wrk's "Non-2xx or 3xx
# responses" and "Socket errors" lines, and soak.lua's own count); the
# responder and the simulator are the same processes at the end; their RSS
# after the main run exceeds the RSS after the warm-up by at most
# SOAK_RSS_SLACK_KB (1024).
#
# Knobs: SOAK_SECONDS (5; long 60), SOAK_CONNECTIONS (64), SOAK_WARMUP (1).
# Prints wrk's summary and "soak: responder_rss_kb A -> B simulator_rss_kb
# A -> B requests=N".
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/reliability/common.sh"

need_cmd lighttpd curl wrk
need_built
[ -x "$SIM" ] || fail "not built: $SIM"
seconds=${SOAK_SECONDS:-$(long_or_short 5 60)}
conns=${SOAK_CONNECTIONS:-64}
warmup=${SOAK_WARMUP:-1}
slack=${SOAK_RSS_SLACK_KB:-1024}

setup_tmp
rel_dirs
if [ "$(id -u)" = 0 ]; then
	chgrp www-data "$T/store" # the simulator's store is 0640: see crash.sh
	chmod 2750 "$T/store"
fi
start_bg sim "$SIM" --store "$STORE" --interval 0.2 --seed 7
SIM_PID=$BG_PID
wait_for "store $STORE" test -s "$STORE"
start_lighttpd
wait_status 200 "$BASE/health" 50 || fail "/health not 200 with a live simulator"
before=$(resp_pids)
[ -n "$before" ] || fail "no metrics.fcgi child of lighttpd"

# run_wrk TAG SECONDS: wrk output in $T/TAG.out; fails on any error answer.
run_wrk() {
	wrk -t 2 -c "$conns" -d "${2}s" --timeout 10s -s "$REL/soak.lua" "$BASE/metrics" \
		>"$T/$1.out" 2>&1 || { cat "$T/$1.out" >&2; fail "wrk failed"; }
	! grep -q 'Non-2xx or 3xx responses' "$T/$1.out" ||
		{ cat "$T/$1.out" >&2; fail "$1: non-2xx answers"; }
	! grep -q 'Socket errors' "$T/$1.out" ||
		{ cat "$T/$1.out" >&2; fail "$1: socket errors"; }
	grep -q '^soak: requests=[1-9][0-9]* status_2xx=[0-9]* other=0$' "$T/$1.out" ||
		{ cat "$T/$1.out" >&2; fail "$1: soak.lua counted failures or no requests"; }
}

run_wrk warmup "$warmup"
r0=$(sum_of rss_kb $before) s0=$(rss_kb "$SIM_PID")
run_wrk soak "$seconds"
r1=$(sum_of rss_kb $before) s1=$(rss_kb "$SIM_PID")
cat "$T/soak.out"
echo "soak: seconds=$seconds connections=$conns responders_rss_kb $r0 -> $r1 simulator_rss_kb $s0 -> $s1"

[ -n "$r1" ] || fail "a responder ($before) is gone"
[ -n "$s1" ] || fail "simulator $SIM_PID is gone"
assert_eq "$(resp_pids)" "$before" "responder pids"
assert_rss_flat responders "$r0" "$r1" "$slack"
assert_rss_flat simulator "$s0" "$s1" "$slack"
[ "$(status_of "$BASE/health")" = 200 ] || fail "/health not 200 after the soak"
assert_no_crash_in_errlog
ok "soak: all answers 2xx, memory flat"
