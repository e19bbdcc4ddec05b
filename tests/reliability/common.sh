# SPDX-License-Identifier: MIT
# common.sh - helpers of the reliability scripts (POSIX sh, sourced after
# tests/integration/lib.sh, whose temp dir, process and curl helpers they
# use): start lighttpd from the top-level lighttpd.conf on a free loopback
# port, find the responder processes it spawned, read a process's RSS and
# descriptor count, pick a python3 that has prometheus_client, and check
# lighttpd's error log for crashed backends.
#
# Knobs: RELIABILITY_LONG=1 selects the long defaults (make reliability);
# each script documents its own variables.

. "$top_srcdir/tests/integration/lib.sh"

REL="$top_srcdir/tests/reliability"
SIM="$top_builddir/src/metrics-simulator"
HAMMER="$top_builddir/tests/reliability/hammer"

# long_or_short SHORT LONG: the default for this run.
long_or_short() {
	if [ "${RELIABILITY_LONG:-0}" = 1 ]; then echo "$2"; else echo "$1"; fi
}

# need_python_om: set PY to a python3 that imports prometheus_client
# (Debian's python3-prometheus-client lives in /usr/bin/python3's path,
# which may not be the first python3 on PATH); skip without one.
need_python_om() {
	PY=""
	for p in python3 /usr/bin/python3; do
		if "$p" -c 'import prometheus_client.openmetrics.parser' >/dev/null 2>&1; then
			PY=$p
			break
		fi
	done
	[ -n "$PY" ] || skip "python3 module prometheus_client missing (apt-get install python3-prometheus-client)"
}

# Paths the web server user must reach: state, log, store dirs under $T.
rel_dirs() {
	mkdir -p "$T/state" "$T/log" "$T/www" "$T/store"
	if [ "$(id -u)" = 0 ]; then
		# lighttpd drops to www-data (see lighttpd.conf) before spawning.
		chown www-data:www-data "$T/state" "$T/log"
	fi
	chmod 755 "$T/www" "$T/store"
	STORE="$T/store/metrics.store"
	ERRLOG="$T/log/error.log"
}

# start_lighttpd [STALE_AFTER]: lighttpd from lighttpd.conf on a free port,
# spawning metrics.fcgi on $STORE.  Sets LIGHTTPD_PID, PORT, BASE.
start_lighttpd() {
	PORT=$(free_port)
	export METRICS_HTTP_PORT="$PORT" METRICS_HTTP_BIND=127.0.0.1
	export METRICS_FCGI="$FCGI" METRICS_STORE="$STORE"
	export METRICS_STATE_DIR="$T/state" METRICS_LOG_DIR="$T/log" METRICS_DOCROOT="$T/www"
	export METRICS_STALE_AFTER="${1:-}"
	unset METRICS_FCGI_FLAGS METRICS_USER METRICS_GROUP || true
	lighttpd -tt -f "$top_srcdir/lighttpd.conf" >"$T/configtest.log" 2>&1 ||
		fail "lighttpd -tt rejects lighttpd.conf"
	start_bg lighttpd lighttpd -D -f "$top_srcdir/lighttpd.conf"
	LIGHTTPD_PID=$BG_PID
	wait_for "lighttpd on port $PORT" port_open "$PORT"
	BASE="http://127.0.0.1:$PORT"
}

# The metrics.fcgi processes lighttpd spawned (space separated, sorted).
resp_pids() {
	ps -o pid=,comm= --ppid "$LIGHTTPD_PID" 2>/dev/null |
		awk '$2 ~ /^metrics\.fcgi/ {print $1}' | sort -n | tr '\n' ' ' | sed 's/ $//'
}

# rss_kb PID: resident set size in KiB (VmRSS), or "" if gone.
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }

# sum_of FN PID...: FN (rss_kb or fd_count) summed over the PIDs (the
# responders: lighttpd.conf runs two), or "" if one of them is gone.
sum_of() {
	fn=$1 total=0
	shift
	for p in "$@"; do
		[ -d "/proc/$p" ] || { echo; return 0; }
		v=$("$fn" "$p")
		[ -n "$v" ] || { echo; return 0; }
		total=$((total + v))
	done
	echo "$total"
}

# assert_rss_flat WHAT BEFORE AFTER SLACK_KB: fail if RSS grew by more than
# SLACK_KB.  In an ASan build RSS says nothing about leaks (freed memory sits
# in ASan's quarantine, up to 256 MiB); LeakSanitizer checks leaks there and
# valgrind does in the plain build, so only the figures are printed.
assert_rss_flat() {
	if grep -q '^SAN_FLAGS = -fsanitize' "$top_builddir/Makefile" 2>/dev/null; then
		echo "note: $1 RSS $2 -> $3 KiB not asserted in a sanitizer build"
		return 0
	fi
	[ $(($3 - $2)) -le "$4" ] || fail "$1 RSS grew by $(($3 - $2)) KiB (> $4)"
}

# fd_count PID: open descriptors.
fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l | tr -d ' '; }

# Lines of lighttpd's error log that tell of a backend that died (a
# responder killed by a signal, an unexpected exit, a respawn).
# lighttpd's own stderr ($T/lighttpd.log) gets the responder's stderr too.
errlog_crashes() {
	for f in "$ERRLOG" "$T/lighttpd.log"; do
		[ -f "$f" ] || continue
		grep -Ei 'signal|died|exited|core dumped|respawn|SIGSEGV|SIGBUS|sanitizer|abort' "$f" || true
	done
}

assert_no_crash_in_errlog() {
	c=$(errlog_crashes)
	[ -z "$c" ] || { echo "$c" | head -n 20 >&2; fail "lighttpd error.log reports a backend crash"; }
}

# status_of URL [curl args]: just the HTTP status ("000" when curl failed).
status_of() {
	u=$1
	shift
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@" "$u" || true
}

# wait_status CODE URL TRIES: poll every 0.1 s (bounded) until URL answers
# CODE; WAITED gets the number of polls.  Returns 1 on timeout.
wait_status() {
	want=$1 url=$2 tries=$3
	WAITED=0
	while [ "$WAITED" -lt "$tries" ]; do
		[ "$(status_of "$url")" = "$want" ] && return 0
		WAITED=$((WAITED + 1))
		sleep 0.1
	done
	return 1
}
