#!/bin/sh
# SPDX-License-Identifier: MIT
# cgi.sh - metrics.fcgi as a plain CGI program (stdin not a socket: one
# request from the environment, /cgi-bin/metrics.fcgi/metrics style), and
# its command line: the Status/Content-Type/Content-Length headers, HEAD,
# 404, 405 + Allow, negotiation, the fill level against the store's
# records, gzip, 503 without a store, a stale
# writer, --help, --version and bad flags (exit 2, one line).
set -eu
. "$(dirname "$0")/lib.sh"

need_built
setup_tmp
store="$T/metrics.store"
export METRICS_STORE="$store"
unset METRICS_STALE_AFTER || true

# cgi TAG METHOD PATH_INFO [VAR=value...]: run one CGI request; the headers
# go to $T/TAG.hdr, the body to $T/TAG.body, STATUS gets the Status code.
cgi() {
	tag=$1 method=$2 pi=$3
	shift 3
	env REQUEST_METHOD="$method" SCRIPT_NAME=/cgi-bin/metrics.fcgi \
	    PATH_INFO="$pi" REQUEST_URI="/cgi-bin/metrics.fcgi$pi" \
	    QUERY_STRING= GATEWAY_INTERFACE=CGI/1.1 "$@" \
	    "$FCGI" </dev/null >"$T/$tag.out" 2>>"$T/cgi-stderr.log" ||
		fail "CGI $method $pi exited $?"
	# split at the first empty line (CRLF)
	"$PY" -c 'import sys
d = open(sys.argv[1], "rb").read()
h, sep, b = d.partition(b"\r\n\r\n")
assert sep, "no end of headers"
open(sys.argv[2], "wb").write(h + b"\r\n")
open(sys.argv[3], "wb").write(b)' "$T/$tag.out" "$T/$tag.hdr" "$T/$tag.body" ||
		fail "CGI output of $method $pi malformed"
	STATUS=$(hdr "$tag" Status | cut -d' ' -f1)
}

cgi none GET /metrics
assert_eq "$STATUS" 503 "no store"
assert_grep none "store unavailable: $store: No such file or directory" "reason"
assert_length none
ok "503 without a store"

start_writer "$store"
cgi m GET /metrics
assert_eq "$STATUS" 200 "GET /metrics"
assert_eq "$(hdr m Content-Type)" "text/plain; version=0.0.4; charset=utf-8" "type"
assert_length m
assert_grep m '^mkstore_requests_total' "app series"
cgi om GET /metrics HTTP_ACCEPT="$PROM3_ACCEPT"
assert_eq "$(hdr om Content-Type)" "application/openmetrics-text; version=1.0.0; charset=utf-8" "OM type"
assert_length om
cgi h HEAD /metrics
assert_eq "$STATUS" 200 "HEAD /metrics"
assert_eq "$(size_of "$T/h.body")" 0 "HEAD body"
[ "$(hdr h Content-Length)" -gt 0 ] || fail "HEAD Content-Length"
cgi hh HEAD /health
cgi hg GET /health
assert_eq "$(hdr hh Content-Length)" "$(size_of "$T/hg.body")" "HEAD /health length"
assert_eq "$(size_of "$T/hh.body")" 0 "HEAD /health body"
ok "GET, HEAD, negotiation"

# the fill level served is what the store's records hold (worked out from
# the records, not from the header's counts)
"$PY" "$top_srcdir/tests/integration/store_usage.py" "$store" >"$T/usage" ||
	fail "store_usage.py $store"
while read -r res used cap; do
	assert_grep m "^mstore_exporter_store_used{resource=\"$res\"} $used\$" "$res used"
	assert_grep m "^mstore_exporter_store_capacity{resource=\"$res\"} $cap\$" "$res capacity"
done <"$T/usage"
assert_grep m '^mstore_exporter_registrations_refused_total{reason="store_full"} 0$' "refusals"
ok "fill level equals the records: $(tr '\n' ' ' <"$T/usage")"

cgi nf GET /other
assert_eq "$STATUS" 404 "404"
cgi nf2 GET ""
assert_eq "$STATUS" 404 "no PATH_INFO"
cgi na POST /metrics
assert_eq "$STATUS" 405 "405"
assert_eq "$(hdr na Allow)" "GET, HEAD" "Allow"
ok "404, 405"

# The writer's last heartbeat may be less than the limit old when it stops
# (it ticks every TICK_MS): wait, bounded, until /health sees it stale.
stop_pid "$WRITER_PID"
stale_health() { cgi st GET /health METRICS_STALE_AFTER=0.05 && [ "$STATUS" = 503 ]; }
wait_for "/health 503 with METRICS_STALE_AFTER=0.05" stale_health
assert_eq "$STATUS" 503 "stale with --stale-after env"
assert_grep st "writer stale" "stale reason"
cgi sm GET /metrics METRICS_STALE_AFTER=0.05
assert_grep sm 'mstore_exporter_writer_up 0' "own only"
assert_nogrep sm 'mkstore_' "no app series"
ok "stale writer"

# gzip (a static store: the bodies hold still): the whole body in one
# write, with the length of the gzip; HEAD alike; --no-gzip never
start_writer "$store" --static
sleep 0.5
cgi gz GET /metrics HTTP_ACCEPT="$PROM2_ACCEPT" HTTP_ACCEPT_ENCODING="$PROM_ACCEPT_ENCODING"
assert_eq "$(hdr gz Content-Encoding)" gzip "CGI Content-Encoding"
assert_eq "$(hdr gz Vary)" "Accept, Accept-Encoding" "CGI Vary"
assert_length gz
cgi gzplain GET /metrics HTTP_ACCEPT="$PROM2_ACCEPT"
same_gunzipped gz "$T/gzplain.body" "CGI gzip body"
cgi gzh HEAD /metrics HTTP_ACCEPT="$PROM2_ACCEPT" HTTP_ACCEPT_ENCODING=gzip
assert_eq "$(hdr gzh Content-Encoding)" gzip "CGI HEAD Content-Encoding"
assert_eq "$(size_of "$T/gzh.body")" 0 "CGI HEAD body with gzip"
d=$(($(hdr gzh Content-Length) - $(size_of "$T/gz.body")))
[ "$d" -ge -16 ] && [ "$d" -le 16 ] || fail "CGI HEAD Content-Length with gzip"
env REQUEST_METHOD=GET PATH_INFO=/metrics HTTP_ACCEPT_ENCODING=gzip "$FCGI" --no-gzip \
	</dev/null >"$T/nogz.out" || fail "CGI with --no-gzip"
grep -qi '^Content-Encoding' "$T/nogz.out" && fail "gzip despite --no-gzip"
tr -d '\r' <"$T/nogz.out" | grep -qx 'Vary: Accept' || fail "Vary with --no-gzip"
ok "gzip"

"$FCGI" --help >"$T/help.out" || fail "--help exit status"
grep -q -- '--store' "$T/help.out" || fail "--help text"
"$FCGI" --version >"$T/version.out" || fail "--version exit status"
grep -q 'metrics.fcgi' "$T/version.out" || fail "--version text"
for bad in --bogus "--stale-after=x" "--listen=nope" extra; do
	rc=0
	"$FCGI" $bad </dev/null >/dev/null 2>"$T/bad.err" || rc=$?
	assert_eq "$rc" 2 "exit status for $bad"
	assert_eq "$(wc -l <"$T/bad.err" | tr -d ' ')" 1 "one error line for $bad"
	grep -q '^metrics.fcgi: ' "$T/bad.err" || fail "error prefix for $bad"
done
rc=0
env METRICS_STALE_AFTER=soon "$FCGI" </dev/null >/dev/null 2>"$T/bad.err" || rc=$?
assert_eq "$rc" 2 "bad METRICS_STALE_AFTER"
ok "command line"
