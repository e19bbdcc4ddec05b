#!/bin/sh
# SPDX-License-Identifier: MIT
# valgrind.sh - memcheck on the daemons (run by .ci/run after the build).
#
# valgrind --leak-check=full --error-exitcode=1 on:
#   - metrics.fcgi in CGI mode: GET /metrics (text and OpenMetrics, plain
#     and gzipped), HEAD (plain and gzipped), /health, 404, 405, against a
#     live store (tests/mkstore, with exemplars), a stale one, a static one, a corrupted
#     one (magic overwritten, a count made huge), a truncated one and a
#     missing one;
#   - metrics.fcgi --listen serving FastCGI requests on one kept
#     connection (tests/integration/fcgi_records.py), gzipped and plain,
#     from a store whose gzip is streamed in pieces, ended by SIGTERM;
#   - metrics-simulator for a few ticks, ended by SIGTERM (exit 0);
#   - tests/fuzz/fuzz_replay over the fuzzing seeds (library + renderer on
#     hostile files, when built).
# Any memcheck error or definite/indirect/possible leak fails the run.
#
# Finds the programs in BUILDDIR, else top_builddir, else the source tree
# (CI builds in place).  Exit 77 when valgrind or a program is missing.
# Prints: "valgrind: runs=N failed=N".
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/.." && pwd)}
b=${BUILDDIR:-${top_builddir:-$top_srcdir}}
FCGI=$b/src/metrics.fcgi
SIM=$b/src/metrics-simulator
MKSTORE=$b/tests/mkstore
REPLAY=$b/tests/fuzz/fuzz_replay
MKSEED=$b/tests/fuzz/mkseed

command -v valgrind >/dev/null 2>&1 || { echo "SKIP: valgrind not installed"; exit 77; }
for p in "$FCGI" "$SIM" "$MKSTORE"; do
	[ -x "$p" ] || { echo "SKIP: not built: $p (build first, or set BUILDDIR)"; exit 77; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/mstore-valgrind.XXXXXX") || exit 1
PIDS=""
cleanup() {
	for p in $PIDS; do
		kill -TERM "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	[ "${KEEP_TMP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

VG="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible
    --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99
    --track-fds=no"
runs=0 failed=0

# vg NAME CMD...: one run under memcheck; its log is $T/NAME.vg.
vg() {
	name=$1
	shift
	runs=$((runs + 1))
	# shellcheck disable=SC2086 # VG is a word list
	$VG --log-file="$T/$name.vg" "$@" >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	if [ "$rc" = 99 ] || [ -s "$T/$name.vg" ]; then
		failed=$((failed + 1))
		echo "FAIL: valgrind: $name (exit $rc)"
		cat "$T/$name.vg"
	elif [ "$rc" != 0 ]; then
		failed=$((failed + 1))
		echo "FAIL: $name exited with $rc"
		tail -n 5 "$T/$name.err"
	else
		echo "ok: $name"
	fi
}

# cgi NAME STORE METHOD URI [ACCEPT [ACCEPT_ENCODING]]: metrics.fcgi as a
# CGI program.
cgi() {
	vg "$1" env -i METRICS_STORE="$2" REQUEST_METHOD="$3" REQUEST_URI="$4" \
		HTTP_ACCEPT="${5:-}" HTTP_ACCEPT_ENCODING="${6:-}" "$FCGI" </dev/null
}

# all_routes TAG STORE: the request set against one store.
all_routes() {
	cgi "$1-metrics" "$2" GET /metrics
	cgi "$1-metrics-om" "$2" GET /metrics "application/openmetrics-text;version=1.0.0"
	cgi "$1-metrics-gz" "$2" GET /metrics "application/openmetrics-text;version=1.0.0" gzip
	cgi "$1-head" "$2" HEAD /metrics
	cgi "$1-head-gz" "$2" HEAD /metrics "" gzip
	cgi "$1-health" "$2" GET /health
	cgi "$1-404" "$2" GET /nope
	cgi "$1-405" "$2" POST /metrics
}

wait_file() {
	i=0
	while [ ! -s "$1" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ -s "$1" ]
}

store=$T/live.store
"$MKSTORE" --store "$store" --interval 100 --series 50 --exemplars "$T/exemplars.jsonl" \
	>"$T/mkstore.log" 2>&1 &
mk=$!
PIDS="$PIDS $mk"
wait_file "$store" || { echo "FAIL: mkstore made no store"; exit 1; }
all_routes live "$store"
kill -TERM "$mk"
wait "$mk"
PIDS=""
sleep 0.5 # > 3 ticks of 100 ms: stale
all_routes stale "$store"

"$MKSTORE" --store "$T/static.store" --static >"$T/mkstatic.log" 2>&1 &
mk=$!
PIDS="$mk"
wait_file "$T/static.store"
kill -TERM "$mk"
wait "$mk"
PIDS=""
all_routes static "$T/static.store"

cp "$T/static.store" "$T/magic.store"
printf 'XXXXXXXX' | dd of="$T/magic.store" bs=1 seek=0 conv=notrunc 2>/dev/null
all_routes corrupt-magic "$T/magic.store"
cp "$T/static.store" "$T/count.store"
# The published family count (header offset 136, see mstore_layout.h) made huge.
printf '\377\377\377\177' | dd of="$T/count.store" bs=1 seek=136 conv=notrunc 2>/dev/null
all_routes corrupt-count "$T/count.store"
head -c 1000 "$T/static.store" >"$T/short.store"
all_routes truncated "$T/short.store"
all_routes missing "$T/does-not-exist.store"

# FastCGI on --listen: gzip streamed in pieces (tests/mkstore's most
# series: about 470 kB of gzip) and plain bodies on one kept connection.
if command -v python3 >/dev/null 2>&1; then
	"$MKSTORE" --store "$T/big.store" --static --series 100000 >"$T/mkbig.log" 2>&1 &
	mk=$!
	PIDS="$mk"
	i=0
	until env -i METRICS_STORE="$T/big.store" REQUEST_METHOD=GET REQUEST_URI=/metrics \
	      "$FCGI" </dev/null 2>/dev/null | grep -q 'series-99999"'; do
		i=$((i + 1))
		[ $i -lt 200 ] || break
		sleep 0.05
	done
	kill -TERM "$mk"
	wait "$mk"
	runs=$((runs + 1))
	# shellcheck disable=SC2086
	METRICS_STORE="$T/big.store" $VG --log-file="$T/listen.vg" "$FCGI" --listen "$T/fcgi.sock" \
		>"$T/listen.out" 2>"$T/listen.err" &
	vpid=$!
	PIDS="$vpid"
	i=0
	while [ ! -S "$T/fcgi.sock" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	python3 "$top_srcdir/tests/integration/fcgi_records.py" "$T/fcgi.sock" "$T/listen" \
		GET:/metrics::gzip GET:/metrics HEAD:/metrics::gzip GET:/metrics::gzip \
		GET:/health >"$T/listen.check" 2>&1
	crc=$?
	kill -TERM "$vpid"
	wait "$vpid"
	rc=$?
	PIDS=""
	if [ "$rc" != 0 ] || [ "$crc" != 0 ] || [ -s "$T/listen.vg" ]; then
		failed=$((failed + 1))
		echo "FAIL: metrics.fcgi --listen under valgrind (exit $rc, client $crc)"
		cat "$T/listen.vg" "$T/listen.check" "$T/listen.err"
	else
		echo "ok: metrics.fcgi --listen (gzip streamed and plain on a kept connection, SIGTERM)"
	fi
fi

# The simulator: a few ticks, then SIGTERM.
runs=$((runs + 1))
# shellcheck disable=SC2086
$VG --log-file="$T/sim.vg" "$SIM" --store "$T/sim.store" --interval 0.05 --seed 3 \
	>"$T/sim.out" 2>"$T/sim.err" &
vpid=$!
PIDS="$vpid"
i=0
while [ ! -s "$T/sim.store" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
sleep 1
kill -TERM "$vpid"
wait "$vpid"
rc=$?
PIDS=""
if [ "$rc" != 0 ] || [ -s "$T/sim.vg" ] || [ ! -s "$T/sim.store" ]; then
	failed=$((failed + 1))
	echo "FAIL: metrics-simulator under valgrind (exit $rc)"
	cat "$T/sim.vg" "$T/sim.err"
else
	echo "ok: metrics-simulator (ticks, SIGTERM, exit 0)"
fi

if [ -x "$REPLAY" ] && [ -x "$MKSEED" ]; then
	mkdir -p "$T/seeds"
	"$MKSEED" "$T/seeds" >/dev/null && cp "$T/static.store" "$T/magic.store" \
		"$T/count.store" "$T/short.store" "$T/seeds/"
	cp "$top_srcdir"/tests/fuzz/regress/*.store "$T/seeds/" 2>/dev/null
	vg fuzz-replay "$REPLAY" "$T/seeds"
fi

echo "valgrind: runs=$runs failed=$failed"
[ "$failed" = 0 ]
