# SPDX-License-Identifier: MIT
# lib.sh - shared helpers for the integration scripts (POSIX sh, sourced):
# temp dir, free loopback ports, starting and stopping processes by PID
# (always, also on failure, through an EXIT trap), curl wrappers and
# assertions, and run_http_checks, the scenario every front end must pass.
#
# Environment: top_builddir / top_srcdir (set by "make check"; default: the
# current directory and the tree this file is in).  KEEP_TMP=1 keeps the
# temp dir for a post-mortem.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
FCGI="$top_builddir/src/metrics.fcgi"
MKSTORE="$top_builddir/tests/mkstore"
# Prometheus 2.42 and 3 (scrape/scrape.go acceptEncodingHeader)
PROM_ACCEPT_ENCODING=gzip
# Prometheus 3.4 and later, default settings (scrape/scrape.go acceptHeader)
PROM3_ACCEPT='application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2'
PROM2_ACCEPT='application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
# Tick of the test writer, ms: the store goes stale 3 ticks after its last
# heartbeat.
TICK_MS=100
# The system python (has python3-prometheus-client on Debian; a pyenv shim
# in PATH may take seconds to start).
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
PIDS=""
# Responders spawn_responders started (not our children).
SPAWNED=""
T=""
NAME=$(basename "$0" .sh)
# Debian's stock FastCGI parameters, which contrib/nginx/metrics.conf
# includes.
NGINX_PARAMS=/etc/nginx/fastcgi_params

skip() { echo "SKIP: $NAME: $*"; exit 77; }
# fail MESSAGE: say what failed, then the end of every log in $T (and in
# its subdirectories' log/, where run-stack.sh keeps the stack's).
# Before setup_tmp (T empty) there are none: "$T"/*.log would be the
# host's /*.log.
fail() {
	echo "FAIL: $NAME: $*" >&2
	[ -n "${T:-}" ] || exit 1
	for f in "$T"/*.log "$T"/*/log/*.log; do
		[ -f "$f" ] || continue
		echo "---- $f" >&2
		tail -n 30 "$f" >&2
	done
	exit 1
}
ok() { echo "ok: $*"; }

need_cmd() {
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
	done
}

need_built() {
	for f in "$FCGI" "$MKSTORE"; do
		[ -x "$f" ] || fail "not built: $f (run make check)"
	done
}

# Stop one process: SIGTERM, up to 5 s, then SIGKILL; always reaped.
# Sets STOP_STATUS to its exit status.
stop_pid() {
	pid=$1
	kill -TERM "$pid" 2>/dev/null || true
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$pid" 2>/dev/null || true
	STOP_STATUS=0
	wait "$pid" 2>/dev/null || STOP_STATUS=$?
	PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$pid" | tr '\n' ' ')
}

# stop_orphan PID: stop a process that is not our child (a responder
# spawn-fcgi or lighttpd started): SIGTERM, then wait until it has exited
# or is a zombie (nobody may reap it), SIGKILL after 5 s.
stop_orphan() {
	kill -TERM "$1" 2>/dev/null || return 0
	i=0
	while kill -0 "$1" 2>/dev/null &&
	      [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]; do
		i=$((i + 1))
		if [ $i -ge 50 ]; then
			kill -KILL "$1" 2>/dev/null
			return 0
		fi
		sleep 0.1
	done
}

stop_spawned() {
	for p in $SPAWNED; do stop_orphan "$p"; done
	SPAWNED=""
}

cleanup() {
	rc=$?
	for p in $PIDS; do stop_pid "$p"; done
	stop_spawned
	if [ -n "$T" ] && [ "${KEEP_TMP:-0}" != 1 ]; then rm -rf "$T"; fi
	exit $rc
}

# A temp dir the unprivileged web server user can traverse.
setup_tmp() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/mstore-$NAME.XXXXXX") || fail "mktemp"
	chmod 755 "$T"
	trap cleanup EXIT
	trap 'exit 1' INT TERM HUP
	reachable_fcgi
}

# As root, lighttpd drops to www-data before it spawns metrics.fcgi; a build
# tree under a private directory (/root, a mktemp -d) is out of that user's
# reach, so hand lighttpd a copy in $T instead.
reachable_fcgi() {
	[ "$(id -u)" = 0 ] && id www-data >/dev/null 2>&1 || return 0
	runuser -u www-data -- test -x "$FCGI" 2>/dev/null && return 0
	mkdir -p "$T/bin" && cp "$FCGI" "$T/bin/metrics.fcgi" &&
		chmod 755 "$T/bin" "$T/bin/metrics.fcgi" || fail "cannot copy metrics.fcgi to $T/bin"
	FCGI="$T/bin/metrics.fcgi"
}

# Start a background process, output to $T/LOGNAME.log; BG_PID gets its pid.
start_bg() {
	log=$1
	shift
	"$@" >"$T/$log.log" 2>&1 &
	BG_PID=$!
	PIDS="$PIDS $BG_PID"
}

free_port() {
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# spawn_responders SOCKET N: N metrics.fcgi processes on one unix socket,
# started by spawn-fcgi -F N (as contrib/nginx/metrics.conf suggests; as
# root, running as www-data with the socket theirs); SPAWNED gets their
# pids (they are not our children: stop_spawned stops them).
spawn_responders() {
	set -- -F "$2" -s "$1" -P "$T/spawned.pid"
	[ "$(id -u)" != 0 ] || set -- "$@" -U www-data -G www-data -u www-data -g www-data
	spawn-fcgi "$@" -- "$FCGI" >"$T/spawned.log" 2>&1 ||
		fail "spawn-fcgi $*: $(cat "$T/spawned.log")"
	SPAWNED="$SPAWNED $(tr '\n' ' ' <"$T/spawned.pid")"
	[ "$(wc -w <"$T/spawned.pid")" = "$2" ] || fail "spawn-fcgi -F $2 started $(cat "$T/spawned.pid")"
}

# start_nginx UPSTREAM: nginx with contrib/nginx/metrics.conf (Debian's
# fastcgi_params, one worker) on a free loopback port, passing to
# UPSTREAM ("unix:PATH" or "HOST:PORT"); its workers run as www-data when
# we are root, like a packaged nginx.  Sets NGINX_PID and BASE.
start_nginx() {
	port=$(free_port)
	mkdir -p "$T/ngx"
	sed -e "s|listen 8080;|listen 127.0.0.1:$port;|" \
	    -e "s|unix:/run/metrics/metrics.sock|$1|" \
	    -e "s|include fastcgi_params;|include $NGINX_PARAMS;|" \
	    "$top_srcdir/contrib/nginx/metrics.conf" >"$T/ngx/metrics.conf"
	user=""
	[ "$(id -u)" != 0 ] || user="user www-data www-data;"
	cat >"$T/ngx/nginx.conf" <<-CONF
	$user
	daemon off;
	worker_processes 1;
	pid $T/ngx/nginx.pid;
	error_log $T/nginx-error.log;
	events { worker_connections 256; }
	http {
		access_log off;
		client_body_temp_path $T/ngx/body;
		fastcgi_temp_path $T/ngx/fastcgi;
		proxy_temp_path $T/ngx/proxy;
		uwsgi_temp_path $T/ngx/uwsgi;
		scgi_temp_path $T/ngx/scgi;
		include $T/ngx/metrics.conf;
	}
	CONF
	nginx -t -c "$T/ngx/nginx.conf" -p "$T/ngx" >"$T/nginx-t.log" 2>&1 ||
		fail "nginx -t rejects the configuration: $(cat "$T/nginx-t.log")"
	start_bg nginx nginx -c "$T/ngx/nginx.conf" -p "$T/ngx"
	NGINX_PID=$BG_PID
	wait_for "nginx on port $port" port_open "$port"
	BASE="http://127.0.0.1:$port"
}

# Wait (up to 5 s) until the condition command succeeds.
wait_for() {
	what=$1
	shift
	i=0
	until "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "timed out waiting for $what"
		sleep 0.05
	done
}

port_open() { curl -s -o /dev/null "http://127.0.0.1:$1/" ; }

# fetch TAG URL [curl args]: body in $T/TAG.body, headers in $T/TAG.hdr;
# STATUS gets the HTTP status.
fetch() {
	tag=$1
	url=$2
	shift 2
	STATUS=$(curl -sS -o "$T/$tag.body" -D "$T/$tag.hdr" -w '%{http_code}' "$@" "$url") ||
		fail "curl $url failed"
}

# hdr TAG NAME: the value of a response header (case-insensitive name).
hdr() {
	grep -i "^$2:" "$T/$1.hdr" | head -n 1 | sed 's/^[^:]*: *//' | tr -d '\r'
}

assert_eq() { [ "$1" = "$2" ] || fail "$3: got [$1], want [$2]"; }
assert_grep() { grep -q -- "$2" "$T/$1.body" || fail "$3: [$2] not in $1 body"; }
assert_nogrep() { ! grep -q -- "$2" "$T/$1.body" || fail "$3: [$2] in $1 body"; }

size_of() { wc -c <"$1" | tr -d ' '; }

# Content-Length must equal the body size.
assert_length() {
	assert_eq "$(hdr "$1" Content-Length)" "$(size_of "$T/$1.body")" "$1 Content-Length"
}

# A body larger than the responder's render buffer (RESP_BUF_SIZE, 256 KiB)
# is streamed: it goes out before its length is known, so the response has
# no Content-Length and an HTTP/1.1 server sends it chunked (curl decodes
# the chunks: TAG.body is the plain body).
assert_streamed() {
	assert_eq "$(hdr "$1" Content-Length)" "" "$1 Content-Length of a streamed body"
	assert_eq "$(hdr "$1" Transfer-Encoding)" chunked "$1 Transfer-Encoding"
}

# The samples of a body without the responder's own (which change per scrape).
app_samples() { grep -v '^mstore_exporter_' "$1"; }

# Extra series for the large-store and streaming-error checks: about
# 1.5 MB of text, so the body outgrows the responder's 256 KiB render
# buffer several times over: it is streamed, without Content-Length, in
# six pieces (FastCGI records of up to 64 KiB).  Gzipped it is about
# 190 kB, less than the responder's gzip buffer (as large as the render
# buffer): sent in one piece, with its length.
BIG_SERIES=40000
# The most tests/mkstore makes: 3.7 MB of text, about 470 kB of gzip, so
# a gzipped body is streamed too (two pieces of gzip).
GZIP_SERIES=100000
# The responder's render buffer (RESP_BUF_SIZE in src/resp_serve.h): a
# response that failed after it was started carries at least one full
# piece, i.e. almost this many bytes (a piece ends at a line boundary).
RESP_BUF=262144

# cgi_body STORE OUT [ACCEPT]: the /metrics body of metrics.fcgi run once
# as a plain CGI program on STORE, written to OUT.
cgi_body() {
	env METRICS_STORE="$1" REQUEST_METHOD=GET SCRIPT_NAME= PATH_INFO=/metrics \
	    REQUEST_URI=/metrics HTTP_ACCEPT="${3:-}" "$FCGI" </dev/null >"$2.raw" ||
		fail "CGI render of $1 failed"
	"$PY" -c 'import sys
d = open(sys.argv[1], "rb").read()
h, sep, b = d.partition(b"\r\n\r\n")
assert sep, "no end of headers"
open(sys.argv[2], "wb").write(b)' "$2.raw" "$2" || fail "CGI output of $1 malformed"
}

# Start the test writer: writer STORE [mkstore args].
# An existing file is replaced (rename): wait until the inode changes.
inode_of() { stat -c %i "$1" 2>/dev/null || echo none; }
start_writer() {
	wstore=$1
	shift
	old_inode=$(inode_of "$wstore")
	start_bg writer "$MKSTORE" --store "$wstore" --interval "$TICK_MS" "$@"
	WRITER_PID=$BG_PID
	wait_for "store $wstore" sh -c "[ \"\$(stat -c %i '$wstore' 2>/dev/null || echo none)\" != '$old_inode' ]"
}

# start_big_writer STORE [SERIES]: replace the running test writer with a
# static one of SERIES (default BIG_SERIES) extra series, and return once
# they are all there and their values hold still.
start_big_writer() {
	n=${2:-$BIG_SERIES}
	stop_pid "$WRITER_PID"
	start_writer "$1" --static --series "$n"
	# the file appears before its series are registered: wait for the
	# last one, then past the writer's first (and, static, only) tick
	wait_for "$n series" sh -c "env METRICS_STORE='$1' \
	    REQUEST_METHOD=GET PATH_INFO=/metrics '$FCGI' </dev/null |
	    grep -q 'series-$((n - 1))\"'"
	sleep 0.5
}

check_text_format() {
	if command -v promtool >/dev/null 2>&1; then
		promtool check metrics <"$T/$1.body" >"$T/promtool.out" 2>&1 ||
			{ cat "$T/promtool.out" >&2; fail "promtool check metrics on $1"; }
		ok "promtool check metrics"
	else
		echo "note: promtool missing, text format not linted"
	fi
}

# Parse with prometheus_client's strict OpenMetrics parser; "own" as the
# second argument: only the responder's own families are expected.
check_openmetrics() {
	rc=0
	"$PY" -c 'import sys
try:
    from prometheus_client.openmetrics.parser import text_string_to_metric_families as p
except ImportError:
    sys.exit(3)
fams = list(p(open(sys.argv[1]).read()))
assert any(f.name == "mkstore_latency_seconds" for f in fams) or sys.argv[2] == "own", fams
' "$T/$1.body" "${2:-app}" || rc=$?
	case $rc in
	0) ok "prometheus_client OpenMetrics parser" ;;
	3) echo "note: prometheus_client missing, OpenMetrics not parsed" ;;
	*) fail "OpenMetrics parser rejected $1" ;;
	esac
}

# same_gunzipped TAG PLAIN WHAT: the gzip body of TAG, decompressed once
# by gzip(1), has the sample lines of the file PLAIN (the responder's own
# apart): compressed once, by the responder, and nothing lost.
same_gunzipped() {
	gzip -dc <"$T/$1.body" >"$T/$1.gunzip" || fail "$3: does not decompress"
	app_samples "$T/$1.gunzip" >"$T/a.txt"
	app_samples "$2" >"$T/b.txt"
	cmp -s "$T/a.txt" "$T/b.txt" || fail "$3: differs from the uncompressed body"
	grep -q '^mkstore_' "$T/a.txt" || fail "$3: lacks app series"
}

# check_gzip BASE: gzip when asked for, and only then, with the headers a
# cache needs; HEAD has the GET's headers.  Needs a static store (stable
# bodies).
check_gzip() {
	fetch plain "$1/metrics" -H 'Accept-Encoding: identity'
	assert_eq "$(hdr plain Content-Encoding)" "" "Content-Encoding without gzip"
	assert_eq "$(hdr plain Vary)" "Accept, Accept-Encoding" "Vary"
	fetch gz "$1/metrics" -H "Accept-Encoding: $PROM_ACCEPT_ENCODING"
	assert_eq "$(hdr gz Content-Encoding)" gzip "Content-Encoding"
	assert_eq "$(hdr gz Vary)" "Accept, Accept-Encoding" "Vary with gzip"
	assert_length gz
	same_gunzipped gz "$T/plain.body" "gzip body"
	# what Prometheus sends: both headers
	fetch omplain "$1/metrics" -H "Accept: $PROM2_ACCEPT"
	fetch gzom "$1/metrics" -H "Accept-Encoding: $PROM_ACCEPT_ENCODING" -H "Accept: $PROM2_ACCEPT"
	assert_eq "$(hdr gzom Content-Encoding)" gzip "OpenMetrics Content-Encoding"
	assert_eq "$(hdr gzom Content-Type)" "$(hdr omplain Content-Type)" "OpenMetrics type with gzip"
	same_gunzipped gzom "$T/omplain.body" "OpenMetrics gzip body"
	# HEAD: the GET's headers, the length of its gzip body (the
	# responder's own samples may differ by a few bytes between scrapes)
	fetch gzhead "$1/metrics" -I -H "Accept-Encoding: $PROM_ACCEPT_ENCODING"
	for h in Content-Type Content-Encoding Vary; do
		assert_eq "$(hdr gzhead "$h")" "$(hdr gz "$h")" "HEAD $h with gzip"
	done
	d=$(($(hdr gzhead Content-Length) - $(size_of "$T/gz.body")))
	[ "$d" -ge -16 ] && [ "$d" -le 16 ] ||
		fail "HEAD Content-Length with gzip: $(hdr gzhead Content-Length), GET body $(size_of "$T/gz.body")"
	cmp -s "$T/gzhead.body" "$T/gzhead.hdr" || fail "HEAD response with gzip has a body"
	fetch gzq0 "$1/metrics" -H 'Accept-Encoding: gzip;q=0, identity'
	assert_eq "$(hdr gzq0 Content-Encoding)" "" "Content-Encoding with gzip;q=0"
	fetch gzhealth "$1/health" -H "Accept-Encoding: $PROM_ACCEPT_ENCODING"
	assert_eq "$(hdr gzhealth Content-Encoding)" "" "/health with gzip"
}

# check_gzip_streamed BASE STORE: a body whose gzip outgrows the
# responder's gzip buffer (GZIP_SERIES) is streamed (no Content-Length,
# chunked to the client) as one gzip stream that decompresses to the CGI
# render of the same store; HEAD gives its length.
check_gzip_streamed() {
	start_big_writer "$2" "$GZIP_SERIES"
	fetch gzbig "$1/metrics" -H "Accept-Encoding: $PROM_ACCEPT_ENCODING" -H "Accept: $PROM2_ACCEPT"
	assert_eq "$STATUS" 200 "streamed gzip body"
	assert_eq "$(hdr gzbig Content-Encoding)" gzip "streamed gzip Content-Encoding"
	assert_streamed gzbig
	[ "$(size_of "$T/gzbig.body")" -gt "$RESP_BUF" ] ||
		fail "gzip of $GZIP_SERIES series only $(size_of "$T/gzbig.body") bytes: not streamed"
	cgi_body "$2" "$T/gzbigcgi.body" "$PROM2_ACCEPT"
	same_gunzipped gzbig "$T/gzbigcgi.body" "streamed gzip body"
	[ "$(tail -n 1 "$T/gzbig.gunzip")" = "# EOF" ] || fail "streamed gzip body does not end in # EOF"
	fetch gzbighead "$1/metrics" -I -H "Accept-Encoding: $PROM_ACCEPT_ENCODING" -H "Accept: $PROM2_ACCEPT"
	d=$(($(hdr gzbighead Content-Length) - $(size_of "$T/gzbig.body")))
	[ "$d" -ge -16 ] && [ "$d" -le 16 ] ||
		fail "streamed gzip HEAD Content-Length: $(hdr gzbighead Content-Length), GET body $(size_of "$T/gzbig.body")"
	ok "streamed gzip ($GZIP_SERIES series, $(size_of "$T/gzbig.body") bytes): same as CGI, HEAD"
}

# The scenario every front end must pass, against BASE (http://host:port
# with /metrics and /health) and the store path the responder reads.
# LOGFILES (optional, space-separated) is where the responder's stderr goes.
run_http_checks() {
	base=$1
	store=$2
	logfile=${3:-}

	# -- no store yet: 503 with the reason, logged once
	for i in 1 2 3; do fetch nostore "$base/metrics"; done
	assert_eq "$STATUS" 503 "/metrics without store"
	assert_grep nostore "store unavailable: $store: No such file or directory" "503 reason"
	assert_eq "$(hdr nostore Content-Type)" "text/plain; charset=utf-8" "503 type"
	fetch nohealth "$base/health"
	assert_eq "$STATUS" 503 "/health without store"
	assert_grep nohealth "No such file or directory" "/health reason"
	if [ -n "$logfile" ]; then
		# shellcheck disable=SC2086 # a list of files
		n=$(cat $logfile 2>/dev/null | grep -c "store unavailable: $store" || true)
		assert_eq "$n" 1 "log lines for a repeated problem"
	fi
	ok "503 without a store"

	# -- a live writer
	start_writer "$store"
	fetch text "$base/metrics"
	assert_eq "$STATUS" 200 "/metrics"
	assert_eq "$(hdr text Content-Type)" "text/plain; version=0.0.4; charset=utf-8" "text type"
	assert_length text
	assert_grep text '^mkstore_requests_total{method="GET",code="200"} ' "counter sample"
	assert_grep text 'mstore_exporter_writer_up 1' "writer up"
	assert_grep text '# HELP mkstore_requests_total Requests handled, by \\\\method\\\\ and code.\\nSecond line.' "help escaping"
	assert_grep text 'method="we\\\\ird \\"quoted\\"\\nline"' "label escaping"
	check_text_format text
	ok "GET /metrics text"

	fetch om "$base/metrics" -H "Accept: $PROM2_ACCEPT"
	assert_eq "$STATUS" 200 "/metrics OM"
	assert_eq "$(hdr om Content-Type)" "application/openmetrics-text; version=1.0.0; charset=utf-8" "OM type"
	assert_length om
	[ "$(tail -n 1 "$T/om.body")" = "# EOF" ] || fail "OM body does not end in # EOF"
	check_openmetrics om
	fetch om3 "$base/metrics" -H "Accept: $PROM3_ACCEPT"
	assert_eq "$(hdr om3 Content-Type)" "application/openmetrics-text; version=1.0.0; charset=utf-8" "Prometheus 3 Accept"
	fetch q0 "$base/metrics" -H "Accept: application/openmetrics-text;q=0,*/*;q=0.1"
	assert_eq "$(hdr q0 Content-Type)" "text/plain; version=0.0.4; charset=utf-8" "q=0"
	ok "negotiation"

	fetch head "$base/metrics" -I
	assert_eq "$STATUS" 200 "HEAD /metrics"
	# with -I curl writes the headers as the body: nothing else may follow
	cmp -s "$T/head.body" "$T/head.hdr" || fail "HEAD response has a body"
	[ "$(hdr head Content-Length)" -gt 0 ] || fail "HEAD Content-Length missing"
	fetch health "$base/health"
	assert_eq "$STATUS" 200 "/health"
	assert_grep health '^ok' "/health body"
	assert_length health
	fetch query "$base/metrics?x=1&y"
	assert_eq "$STATUS" 200 "query string"
	ok "HEAD, /health, query string"

	for p in /nope /metricsx /metrics/ /health/x; do
		fetch nf "$base$p"
		assert_eq "$STATUS" 404 "GET $p"
	done
	for m in POST PUT DELETE; do
		fetch na "$base/metrics" -X "$m" -d ''
		assert_eq "$STATUS" 405 "$m /metrics"
		assert_eq "$(hdr na Allow)" "GET, HEAD" "Allow"
	done
	ok "404 and 405"

	# -- stale writer: /health 503, /metrics own families only
	stop_pid "$WRITER_PID"
	wait_for "stale /health" sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' '$base/health')\" = 503 ]"
	fetch stale "$base/health"
	assert_grep stale "writer stale: $store" "stale reason"
	fetch stalem "$base/metrics"
	assert_eq "$STATUS" 200 "stale /metrics"
	assert_grep stalem 'mstore_exporter_writer_up 0' "writer down"
	assert_grep stalem 'mstore_exporter_store_age_seconds ' "store age"
	assert_nogrep stalem 'mkstore_' "app series while stale"
	check_text_format stalem
	fetch stalom "$base/metrics" -H "Accept: $PROM2_ACCEPT"
	check_openmetrics stalom own
	ok "stale writer"

	# -- a static store never goes stale; its body is stable: gzip check
	start_writer "$store" --static
	sleep 0.5 # > 3 ticks: a heartbeat-based store would be stale by now
	fetch sthealth "$base/health"
	assert_eq "$STATUS" 200 "static /health"
	assert_grep sthealth 'static' "static /health body"
	check_gzip "$base"
	ok "static store, gzip"

	# -- a large store: the body outgrows the render buffer, so it is
	# streamed (no Content-Length; chunked to the client), and must still
	# be the CGI render of the same store (one buffered write), byte for
	# byte apart from the responder's own samples; HEAD (which renders and
	# counts) and gzip agree with it
	start_big_writer "$store"
	fetch big "$base/metrics"
	assert_eq "$STATUS" 200 "large store"
	assert_streamed big
	cgi_body "$store" "$T/bigcgi.body"
	app_samples "$T/big.body" >"$T/a.txt"
	app_samples "$T/bigcgi.body" >"$T/b.txt"
	cmp -s "$T/a.txt" "$T/b.txt" || fail "large body differs from the CGI render"
	[ "$(grep -c '^mkstore_' "$T/a.txt")" -gt "$BIG_SERIES" ] || fail "large body lacks series"
	fetch bigom "$base/metrics" -H "Accept: $PROM2_ACCEPT"
	assert_streamed bigom
	[ "$(tail -n 1 "$T/bigom.body")" = "# EOF" ] || fail "large OM body does not end in # EOF"
	cgi_body "$store" "$T/bigomcgi.body" "$PROM2_ACCEPT"
	app_samples "$T/bigom.body" >"$T/a.txt"
	app_samples "$T/bigomcgi.body" >"$T/b.txt"
	cmp -s "$T/a.txt" "$T/b.txt" || fail "large OpenMetrics body differs from the CGI render"
	fetch bighead "$base/metrics" -I
	# HEAD is not streamed: the exact length of the render.  The
	# responder's own samples (scrape count, store age) change in width
	# between scrapes: the length may differ by a few bytes
	d=$(($(hdr bighead Content-Length) - $(size_of "$T/big.body")))
	[ "$d" -ge -16 ] && [ "$d" -le 16 ] ||
		fail "large HEAD Content-Length: $(hdr bighead Content-Length), GET body $(size_of "$T/big.body")"
	cmp -s "$T/bighead.body" "$T/bighead.hdr" || fail "large HEAD response has a body"
	fetch biggz "$base/metrics" -H "Accept-Encoding: $PROM_ACCEPT_ENCODING"
	assert_eq "$(hdr biggz Content-Encoding)" gzip "large body Content-Encoding"
	assert_length biggz
	same_gunzipped biggz "$T/big.body" "large gzip body"
	ok "large store ($BIG_SERIES series): same as CGI, HEAD, gzip"

	check_gzip_streamed "$base" "$store"

	# -- corrupted and truncated stores: 503, responder survives
	stop_pid "$WRITER_PID"
	printf 'XXXXXXXX' | dd of="$store" bs=1 seek=0 conv=notrunc 2>/dev/null
	fetch bad "$base/metrics"
	assert_eq "$STATUS" 503 "corrupted store"
	assert_grep bad "store invalid: $store" "corrupt reason"
	fetch badh "$base/health"
	assert_eq "$STATUS" 503 "/health corrupted"
	start_writer "$store" --static
	fetch again "$base/metrics"
	assert_eq "$STATUS" 200 "recovered"
	truncate -s 100 "$store"
	fetch trunc "$base/metrics"
	assert_eq "$STATUS" 503 "truncated store"
	assert_grep trunc "store" "truncated reason"
	stop_pid "$WRITER_PID"
	rm -f "$store"
	start_writer "$store"
	fetch back "$base/metrics"
	assert_eq "$STATUS" 200 "replaced store picked up"
	assert_grep back 'mkstore_requests_total' "replaced store content"
	ok "corrupt, truncated, replaced store"

	check_stream_abort "$base" "$store" "$logfile"
}

# fetch_cut TAG URL [curl args]: like fetch, but the transfer may fail:
# CURL_RC gets curl's exit status, $T/TAG.err its message.
fetch_cut() {
	tag=$1
	url=$2
	shift 2
	CURL_RC=0
	STATUS=$(curl -sS -o "$T/$tag.body" -D "$T/$tag.hdr" -w '%{http_code}' "$@" "$url" \
	    2>"$T/$tag.err") || CURL_RC=$?
}

# assert_cut TAG WHAT: the response TAG was started (a 200 whose streamed
# body carries at least one full render buffer, after gunzip if it is
# compressed) and then failed visibly.  The body must end with the
# responder's "response aborted: <reason>" line, which no parser takes
# (in a gzipped body the line ends the gzip stream); and the transfer
# should be cut (curl 18, partial file: the chunked body ended without its
# last chunk; or 56, receive error).  Where the web server cannot pass
# the cut on (a web server that buffers the body to compress it, nginx
# without fastcgi_keep_conn: curl exit 0), the body must at least fail
# promtool's parser.  A body that ends cleanly after the last line that
# happened to be sent fails the check.  CUT_RCS collects the statuses.
assert_cut() {
	CUT_RCS="$CUT_RCS $CURL_RC"
	assert_eq "$STATUS" 200 "$2: status of the started response"
	assert_eq "$(hdr "$1" Content-Length)" "" "$2: Content-Length of a streamed body"
	if [ "$(hdr "$1" Content-Encoding)" = gzip ]; then
		# the gzip stream the responder ended with the abort line:
		# whole, unless the web server dropped what it had not sent
		gzip -dc <"$T/$1.body" >"$T/$1.plain" 2>/dev/null || true
	else
		cp "$T/$1.body" "$T/$1.plain"
	fi
	# at least one full piece: the buffer up to the last line that fit
	[ "$(size_of "$T/$1.plain")" -ge $((RESP_BUF - 1024)) ] ||
		fail "$2: only $(size_of "$T/$1.plain") bytes before the cut: not the streamed case"
	case $CURL_RC in
	18 | 56) return 0 ;; # cut: a web server may drop the end of the body
	0) ;;
	*) fail "$2: curl exit $CURL_RC ($(cat "$T/$1.err"))" ;;
	esac
	tail -n 1 "$T/$1.plain" | grep -q "^response aborted: $3" ||
		fail "$2: complete-looking response without the abort line: HTTP $STATUS," \
		    "$(size_of "$T/$1.plain") body bytes ending [$(tail -c 80 "$T/$1.plain")]"
	if command -v promtool >/dev/null 2>&1 &&
	   promtool check metrics <"$T/$1.plain" >/dev/null 2>&1; then
		fail "$2: promtool accepts the aborted body"
	fi
}

# log_count FILES TEXT: lines with TEXT in the space-separated FILES.
log_count() {
	# shellcheck disable=SC2086 # a list of files
	cat $1 2>/dev/null | grep -c -- "$2" || true
}

# An error after the first piece of a streamed body went out (here: a
# series that fails its consistency check after ~1.3 MB of output; in
# production a store truncated or corrupted mid-render) cannot become a
# 503 any more.  The responder then drops the FastCGI connection without
# FCGI_END_REQUEST, and the web server must pass that on: the client (a
# scraper) has to see an incomplete response, never a 200 that ends
# cleanly after the last line that happened to be sent, which would look
# like a complete scrape with series missing.  HEAD renders in full before
# it answers, so it still gets a 503; the responder survives and logs one
# line with the reason.
# start_corrupt_writer STORE SERIES: a static store of SERIES extra series
# that ends with a series every render fails on (tests/mkstore
# --corrupt-tail), once a (CGI, fully buffered) render fails on it.
start_corrupt_writer() {
	stop_pid "$WRITER_PID"
	start_writer "$1" --static --series "$2" --corrupt-tail
	wait_for "corrupt tail in $1" sh -c "env METRICS_STORE='$1' \
	    REQUEST_METHOD=GET PATH_INFO=/metrics '$FCGI' </dev/null 2>/dev/null |
	    grep -q 'store invalid: $1: store content corrupt'"
}

check_stream_abort() {
	base=$1
	store=$2
	logfile=$3

	start_corrupt_writer "$store" "$BIG_SERIES"
	# (the reason may be logged already: a header overwritten under an
	# open reader gives the same one; count the new lines)
	reason="store invalid: $store: store content corrupt"
	logged=$(log_count "$logfile" "$reason")
	CUT_RCS=""
	fetch_cut cut "$base/metrics"
	assert_cut cut "error after streaming started" "$reason"
	assert_eq "$(hdr cut Transfer-Encoding)" chunked "cut Transfer-Encoding"
	grep -q '^mkstore_bulk{i="series-' "$T/cut.body" || fail "cut body lacks the streamed series"
	fetch_cut cutom "$base/metrics" -H "Accept: $PROM2_ACCEPT"
	assert_cut cutom "error after streaming started, OpenMetrics" "$reason"
	[ "$(tail -n 1 "$T/cutom.plain")" != "# EOF" ] || fail "cut OM body ends in # EOF"
	# gzipped, the same body fits the responder's gzip buffer: the error
	# comes before anything went out, and is a 503
	fetch gzfail "$base/metrics" -H "Accept-Encoding: $PROM_ACCEPT_ENCODING"
	assert_eq "$STATUS" 503 "gzip, error before the first piece"
	assert_eq "$(hdr gzfail Content-Encoding)" "" "Content-Encoding of the 503"
	assert_grep gzfail "$reason" "503 reason with gzip"
	# what Prometheus sends, on a store whose gzip outgrows that buffer
	# before the error
	start_corrupt_writer "$store" "$GZIP_SERIES"
	fetch_cut cutgz "$base/metrics" -H "Accept-Encoding: $PROM_ACCEPT_ENCODING" \
		-H "Accept: $PROM2_ACCEPT"
	assert_cut cutgz "error after streaming started, gzip" "$reason"
	[ "$(hdr cutgz Content-Encoding)" = gzip ] || fail "cut gzip body: no Content-Encoding"
	ok "error after streaming started: the client sees it (curl exit$CUT_RCS; 0: the abort line)"

	fetch cuthead "$base/metrics" -I
	assert_eq "$STATUS" 503 "HEAD /metrics of a store that fails to render"
	fetch cuthealth "$base/health"
	assert_eq "$STATUS" 200 "/health after an aborted response"
	if [ -n "$logfile" ]; then
		n=$(log_count "$logfile" "$reason")
		[ "$n" -gt "$logged" ] || fail "no new log line [$reason] for the aborted response"
	fi
	stop_pid "$WRITER_PID"
	start_writer "$store" --static
	fetch good "$base/metrics"
	assert_eq "$STATUS" 200 "/metrics of a good store after an aborted response"
	assert_length good
	assert_grep good '^mkstore_requests_total' "good store content"
	ok "HEAD 503, reason logged, responder serves on"
}
