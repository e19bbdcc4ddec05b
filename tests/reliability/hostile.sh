#!/bin/sh
# SPDX-License-Identifier: MIT
# hostile.sh - odd, malformed and abusive HTTP through lighttpd: right status
# codes, no crash, no leak.
#
# lighttpd (top-level lighttpd.conf, free loopback port) serves a live
# mkstore store.  hostile.py sends its cases (odd and long methods, 8 KB and
# 64 KB paths, ../ %00 %2e%2e // and unicode paths, query strings, 10 KB and
# malformed Accept headers, 200 headers, broken request lines, pipelining,
# then a bounded slowloris phase during which scrapes must still get 200):
# the responder's answers are asserted exactly (200/404/405 + Allow and
# Content-Type), lighttpd's own rejections as 4xx.  One warm-up round, then
# HOSTILE_ROUNDS rounds; the responder's RSS and descriptor count are
# measured after the warm-up and at the end: RSS may grow by at most
# HOSTILE_RSS_SLACK_KB (256), descriptors not at all, and the responder
# must be the same process, with no crash in lighttpd's logs.
#
# Knobs: HOSTILE_ROUNDS (3; long 30), HOSTILE_SLOW_SECONDS (2; long 10).
# Prints hostile.py's line and "hostile: rss_kb A -> B fds A -> B".
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/reliability/common.sh"

need_cmd lighttpd curl python3
need_built
rounds=${HOSTILE_ROUNDS:-$(long_or_short 3 30)}
slow=${HOSTILE_SLOW_SECONDS:-$(long_or_short 2 10)}
slack=${HOSTILE_RSS_SLACK_KB:-256}

setup_tmp
rel_dirs
start_writer "$STORE"
start_lighttpd
before=$(resp_pids)
[ -n "$before" ] || fail "no metrics.fcgi child of lighttpd"

python3 "$REL/hostile.py" "$PORT" --rounds 1 --slow-seconds 0 --verbose >"$T/warmup.out" 2>&1 ||
	{ cat "$T/warmup.out" >&2; fail "warm-up round failed"; }
rss0=$(sum_of rss_kb $before) fd0=$(sum_of fd_count $before)
rc=0
python3 "$REL/hostile.py" "$PORT" --rounds "$rounds" --slow-seconds "$slow" >"$T/hostile.out" 2>&1 || rc=$?
cat "$T/hostile.out"
rss1=$(sum_of rss_kb $before) fd1=$(sum_of fd_count $before)
echo "hostile: rss_kb $rss0 -> $rss1 fds $fd0 -> $fd1 (responders $before)"
[ "$rc" = 0 ] || fail "hostile cases failed"
assert_eq "$(resp_pids)" "$before" "responder pids"
[ -n "$rss1" ] || fail "a responder ($before) is gone"
assert_rss_flat responders "$rss0" "$rss1" "$slack"
assert_eq "$fd1" "$fd0" "responders' descriptor count"
assert_no_crash_in_errlog
ok "hostile HTTP: no crash, no leak"
