#!/bin/sh
# SPDX-License-Identifier: MIT
# fcgi.sh - the FastCGI framing of metrics.fcgi, seen without a web server:
# fcgi_records.py talks to `metrics.fcgi --listen SOCKET` and checks every
# record (headers in a record of their own, no empty or foreign records,
# the closing empty FCGI_STDOUT and FCGI_END_REQUEST, then end of
# connection), for a small body (Content-Length, one write), HEAD, /health,
# 404, and a body larger than the render buffer (streamed in several
# pieces, no Content-Length, the same samples as the CGI render).
set -eu
. "$(dirname "$0")/lib.sh"

need_built
setup_tmp
store="$T/metrics.store"
sock="$T/fcgi.sock"
export METRICS_STORE="$store"
unset METRICS_STALE_AFTER || true

# --static: one tick, then the values hold still, so the FastCGI and the
# CGI render can be compared (after the tick: two equal CGI renders)
start_writer "$store" --static
stable() {
	cgi_body "$store" "$T/s1" && cgi_body "$store" "$T/s2" &&
		app_samples "$T/s1" >"$T/s1.app" && app_samples "$T/s2" >"$T/s2.app" &&
		grep -q '^mkstore_requests_total' "$T/s1.app" && cmp -s "$T/s1.app" "$T/s2.app"
}
wait_for "the writer's tick" stable
start_bg fcgi "$FCGI" --listen "$sock"
FCGI_PID=$BG_PID
wait_for "--listen socket" test -S "$sock"

# records TAG METHOD PATH: one request; TAG.hdr, TAG.body, TAG.records
records() {
	"$PY" "$top_srcdir/tests/integration/fcgi_records.py" "$sock" "$2" "$3" "$T/$1" \
		>"$T/$1.check" 2>&1 || fail "$2 $3: $(cat "$T/$1.check")"
	STATUS=$(hdr "$1" Status | cut -d' ' -f1)
}
# body_records TAG: the number of FCGI_STDOUT records after the headers
body_records() { awk '$1 == 6 && $2 > 0 { n++ } END { print n - 1 }' "$T/$1.records"; }

records m GET /metrics
assert_eq "$STATUS" 200 "GET /metrics"
assert_length m
assert_grep m '^mkstore_requests_total' "app series"
assert_eq "$(body_records m)" 1 "records of a small body"
cgi_body "$store" "$T/mcgi.body"
app_samples "$T/m.body" >"$T/a.txt"
app_samples "$T/mcgi.body" >"$T/b.txt"
cmp -s "$T/a.txt" "$T/b.txt" || fail "FastCGI body differs from the CGI render"
ok "GET /metrics: headers, then the body in one record, then the end records"

records h HEAD /metrics
assert_eq "$STATUS" 200 "HEAD /metrics"
assert_eq "$(size_of "$T/h.body")" 0 "HEAD body"
[ "$(hdr h Content-Length)" -gt 0 ] || fail "HEAD Content-Length"
records hl GET /health
assert_eq "$STATUS" 200 "GET /health"
assert_length hl
records nf GET /nope
assert_eq "$STATUS" 404 "GET /nope"
assert_length nf
ok "HEAD, /health, 404 framed alike"

# A body several times the render buffer: streamed in pieces, each sent
# as records of at most 64 KiB (the format's limit, checked by the parser)
start_big_writer "$store"
records big GET /metrics
assert_eq "$STATUS" 200 "large store"
assert_eq "$(hdr big Content-Length)" "" "Content-Length of a streamed body"
size=$(size_of "$T/big.body")
[ "$size" -gt $((4 * RESP_BUF)) ] || fail "large body only $size bytes"
[ "$(body_records big)" -ge $((size / 65535 + 1)) ] || fail "too few records for $size bytes"
cgi_body "$store" "$T/bigcgi.body"
app_samples "$T/big.body" >"$T/a.txt"
app_samples "$T/bigcgi.body" >"$T/b.txt"
cmp -s "$T/a.txt" "$T/b.txt" || fail "large FastCGI body differs from the CGI render"
ok "large body: streamed in $(body_records big) records, same as CGI"

kill -0 "$FCGI_PID" 2>/dev/null || fail "responder died"
stop_pid "$FCGI_PID"
assert_eq "$STOP_STATUS" 0 "responder exit status after SIGTERM"
ok "responder stops cleanly"
