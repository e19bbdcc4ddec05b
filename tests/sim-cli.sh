#!/bin/sh
# SPDX-License-Identifier: MIT
# sim-cli.sh - metrics-simulator's command line and process behaviour:
# --help/--version exit 0; bad flags exit 2 with exactly one stderr line;
# an unwritable store path exits 1 naming the path and the reason; the
# store is created with mode 0640 (less the umask), holds every family
# (read back through metrics.fcgi in CGI mode when it is built); SIGTERM
# and SIGINT exit 0.  (Same seed, same values: tests/check_sim.c.)
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

SIM="$top_builddir/src/metrics-simulator"
[ -x "$SIM" ] || fail "not built: $SIM (run make check)"
setup_tmp

# expect STATUS TAG ARGS...: run the simulator, check the exit status.
expect() {
	want=$1
	tag=$2
	shift 2
	got=0
	"$SIM" "$@" >"$T/$tag.out" 2>"$T/$tag.err" </dev/null || got=$?
	assert_eq "$got" "$want" "exit status of metrics-simulator $*"
}

one_line() {
	assert_eq "$(wc -l <"$T/$1.err" | tr -d ' ')" 1 "stderr lines for $1: $(cat "$T/$1.err")"
	grep -q '^metrics-simulator: ' "$T/$1.err" || fail "$1: message lacks the program name"
}

expect 0 help --help
grep -q -- '--interval' "$T/help.out" || fail "--help does not mention --interval"
expect 0 version --version
grep -q '^metrics-simulator .* [0-9]' "$T/version.out" || fail "--version: $(cat "$T/version.out")"
ok "--help, --version"

n=0
for args in "--bogus" "-x" "--interval" "--interval abc" "--interval -1" \
	"--interval 0" "--interval 1e9" "--interval nan" "--interval 1s" \
	"--seed" "--seed x" "--seed -5" "--seed 99999999999999999999999" \
	"--seed 12abc" "extra"; do
	n=$((n + 1))
	# shellcheck disable=SC2086 # split the flag from its value on purpose
	expect 2 "bad$n" --store "$T/never.store" $args
	one_line "bad$n"
done
[ ! -e "$T/never.store" ] || fail "a bad command line created the store"
ok "bad flags: exit 2, one line each ($n cases)"

: >"$T/file"
expect 1 unwritable --store "$T/file/metrics.store" --interval 0.1
one_line unwritable
grep -q "$T/file/metrics.store: Not a directory" "$T/unwritable.err" ||
	fail "unwritable path message: $(cat "$T/unwritable.err")"
expect 1 missingdir --store "$T/no/such/dir/metrics.store" --interval 0.1
grep -q "$T/no/such/dir/metrics.store: No such file or directory" "$T/missingdir.err" ||
	fail "missing dir message: $(cat "$T/missingdir.err")"
ok "unwritable store path: exit 1 with path and reason"

# run_sim SIGNAL: start, wait for the store, stop with SIGNAL, expect 0.
run_sim() {
	store="$T/$1.store"
	start_bg "sim-$1" "$SIM" --store "$store" --interval 0.05 --seed 7 -v
	pid=$BG_PID
	wait_for "store $store" test -s "$store"
	# a few ticks, so there is something to read: the log says when it ran
	kill -0 "$pid" || fail "simulator died: $(cat "$T/sim-$1.log")"
	kill "-$1" "$pid"
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	stop_pid "$pid"
	assert_eq "$STOP_STATUS" 0 "exit status after SIG$1"
	grep -q "stopped by signal" "$T/sim-$1.log" || fail "no clean stop on SIG$1"
}

run_sim TERM
run_sim INT
ok "SIGTERM and SIGINT: exit 0"

mode=$(stat -c %a "$T/TERM.store")
want=$(printf '%o' $((0640 & ~$(umask))))
assert_eq "$mode" "$want" "store file mode"
ok "store mode $mode"

# Read the store back through the responder in CGI mode, if it is built.
FCGI="$top_builddir/src/metrics.fcgi"
if [ -x "$FCGI" ]; then
	METRICS_STORE="$T/TERM.store" METRICS_STALE_AFTER=3600 \
		GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET SCRIPT_NAME=/metrics \
		REQUEST_URI=/metrics SERVER_PROTOCOL=HTTP/1.1 QUERY_STRING= \
		"$FCGI" </dev/null >"$T/cgi.out" 2>"$T/cgi.err" || fail "metrics.fcgi: $(cat "$T/cgi.err")"
	for fam in shop_http_requests_total shop_orders_total shop_billed_euros_total \
		shop_errors_total shop_active_connections shop_queue_depth \
		shop_inflight_requests shop_cart_items \
		shop_http_request_duration_seconds_bucket shop_order_value_euros_bucket \
		shop_http_request_latency_seconds_bucket \
		process_cpu_seconds_total process_resident_memory_bytes \
		process_virtual_memory_bytes process_open_fds process_max_fds \
		process_start_time_seconds; do
		grep -q "^$fam[{ ]" "$T/cgi.out" || fail "$fam not served: $(head -n 5 "$T/cgi.out")"
	done
	ok "store readable: every family served by metrics.fcgi (CGI)"
else
	echo "note: $FCGI not built, store not read back"
fi
