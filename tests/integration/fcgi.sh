#!/bin/sh
# SPDX-License-Identifier: MIT
# fcgi.sh - the FastCGI framing of metrics.fcgi, seen without a web server:
# fcgi_records.py talks to `metrics.fcgi --listen SOCKET` and checks every
# record (headers in a record of their own, no empty or foreign records,
# the closing empty FCGI_STDOUT and FCGI_END_REQUEST, then end of
# connection), for a small body (Content-Length, one write), HEAD, /health,
# 404, a body larger than the render buffer (streamed in several pieces, no
# Content-Length, the same samples as the CGI render), and FastCGI
# keep-alive: several requests on one connection (FCGI_KEEP_CONN, as
# nginx's fastcgi_keep_conn sends them), one of them with a request body,
# each answered in full, the connection closed after the first request
# without the flag; gzipped bodies on a kept connection, framed alike; a
# kept connection left idle while another connection waits is closed, and
# the waiting one served.
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

# conn TAG METHOD:PATH[:BODYBYTES]...: the requests on one connection, all
# but the last with FCGI_KEEP_CONN; TAG.N.hdr, TAG.N.body, TAG.N.records
# (one request: TAG.hdr, ...)
conn() {
	tag=$1
	shift
	"$PY" "$top_srcdir/tests/integration/fcgi_records.py" "$sock" "$T/$tag" "$@" \
		>"$T/$tag.check" 2>&1 || fail "$*: $(cat "$T/$tag.check")"
}
# records TAG METHOD PATH: one request; STATUS gets its status
records() {
	conn "$1" "$2:$3"
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
cp "$T/b.txt" "$T/big.app"
ok "large body: streamed in $(body_records big) records, same as CGI"

# -- keep-alive: five requests on one connection, a POST with a 100 kB
# body (405; the body must be read past before the next request) among
# them; then that large body again, streamed on a kept connection
conn keep GET:/metrics HEAD:/metrics POST:/metrics:100000 GET:/health GET:/nope
for i in 1 2 3 4 5; do
	eval "want=\$(echo '200 200 405 200 404' | cut -d' ' -f$i)"
	got=$(hdr "keep.$i" Status | cut -d' ' -f1)
	assert_eq "$got" "$want" "status of request $i on a kept connection"
done
assert_grep keep.1 '^mkstore_bulk' "GET /metrics on a kept connection"
assert_eq "$(size_of "$T/keep.2.body")" 0 "HEAD body on a kept connection"
assert_length keep.4
conn keepbig GET:/metrics GET:/metrics GET:/health
app_samples "$T/keepbig.1.body" >"$T/a.txt"
app_samples "$T/keepbig.2.body" >"$T/b.txt"
cmp -s "$T/a.txt" "$T/b.txt" || fail "two large bodies on one kept connection differ"
cmp -s "$T/a.txt" "$T/big.app" || fail "large body on a kept connection differs from the CGI render"
ok "keep-alive: 5 requests on one connection, a request body among them, large bodies; closed after the last"

# gzip and not, alternating on one kept connection: each gzip body one
# whole stream, decompressed the CGI render's samples
conn keepgz GET:/metrics::gzip GET:/metrics HEAD:/metrics::gzip GET:/metrics::gzip
for i in 1 4; do
	assert_eq "$(hdr "keepgz.$i" Content-Encoding)" gzip "Content-Encoding of request $i"
	assert_length "keepgz.$i"
	same_gunzipped "keepgz.$i" "$T/bigcgi.body" "gzip body of request $i on a kept connection"
done
assert_eq "$(hdr keepgz.2 Content-Encoding)" "" "Content-Encoding without Accept-Encoding"
app_samples "$T/keepgz.2.body" | cmp -s - "$T/big.app" || fail "plain body between gzip ones differs"
assert_eq "$(hdr keepgz.3 Content-Encoding)" gzip "HEAD Content-Encoding"
assert_eq "$(size_of "$T/keepgz.3.body")" 0 "HEAD body with gzip"
ok "gzip on a kept connection: whole streams, one record of headers first"

# -- an idle kept connection does not hold up another one: the responder
# serves one connection at a time, so it closes the idle one
"$PY" "$top_srcdir/tests/integration/fcgi_records.py" --idle-kept "$sock" \
	>"$T/idle.check" 2>&1 || fail "idle kept connection: $(cat "$T/idle.check")"
ok "an idle kept connection is closed when another one waits"

# -- SIGTERM stops the responder also while a kept connection idles (it
# waits for the connection's next request with SIGTERM unblocked)
kill -0 "$FCGI_PID" 2>/dev/null || fail "responder died"
start_bg idler "$PY" "$top_srcdir/tests/integration/fcgi_records.py" --hold-kept \
	"$sock" "$T/idler.ready" 30
IDLER_PID=$BG_PID
wait_for "a kept connection" test -e "$T/idler.ready"
stop_pid "$FCGI_PID"
assert_eq "$STOP_STATUS" 0 "responder exit status after SIGTERM, a kept connection idle"
stop_pid "$IDLER_PID"
ok "responder stops cleanly, also with a kept connection open"

# --listen: Ctrl-C stops it like SIGTERM (it is not a web server's backend)
start_bg fcgi2 "$FCGI" --listen "$sock" -v
FCGI_PID=$BG_PID
wait_for "--listen socket" test -S "$sock"
records again GET /health
kill -INT "$FCGI_PID"
wait_for "the --listen responder to stop on SIGINT" grep -q 'stopping: Interrupt' "$T/fcgi2.log"
stop_pid "$FCGI_PID"
assert_eq "$STOP_STATUS" 0 "--listen responder exit status after SIGINT"
ok "--listen: SIGINT stops it"
