#!/bin/sh
# SPDX-License-Identifier: MIT
# run-stack.sh - the native stack in one command, on Debian 12 without
# containers: installs missing packages (.ci/debian-packages.txt), builds
# into a build directory, then runs metrics-simulator, lighttpd with the
# top-level lighttpd.conf spawning metrics.fcgi, and Prometheus with
# contrib/prometheus/prometheus-native.yml (and native histograms on), all in
# the foreground.  Ctrl-C
# (SIGINT) or SIGTERM stops all of them, the metrics.fcgi processes lighttpd
# spawned included (tests/integration/stack-sigint.sh checks that).  The
# integration tests run this script with environment overrides, so the
# tests and the stack share one code path.
set -eu

usage() {
	cat <<EOF
Usage: ./run-stack.sh [--no-install] [--no-build] [--help]
Install, build and run metrics-simulator + lighttpd/metrics.fcgi + Prometheus.

  --no-install   do not apt-get install missing packages
  --no-build     use the binaries already in BUILD_DIR
  -h, --help     show this help

Environment (defaults in brackets):
  HTTP_PORT        lighttpd, serving /metrics and /health [8080]
  PROM_PORT        Prometheus web UI and API [9090]
  STACK_BIND       address both listen on [127.0.0.1]; 0.0.0.0 exposes them
  BUILD_DIR        out-of-tree build directory [./build]
  RUN_DIR          store, logs, config, Prometheus data
                   [BUILD_DIR/run; as root /run/metrics-stack, which the
                   www-data user lighttpd drops to can reach]
  SIM_INTERVAL     simulator tick, seconds [1]
  SIM_FLAGS        extra metrics-simulator flags, e.g. "--seed 42 -v"
  SCRAPE_INTERVAL  Prometheus scrape and rule evaluation interval [10s]
  STACK_TAIL       1: follow the logs on the terminal, 0: only files [1]

Open http://localhost:\$HTTP_PORT/metrics, /health and
http://localhost:\$PROM_PORT (Status -> Targets, Alerts).
EOF
}

SRC=$(cd "$(dirname "$0")" && pwd)
install=1
build=1
for arg in "$@"; do
	case $arg in
	--no-install) install=0 ;;
	--no-build) build=0 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "run-stack.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
	esac
done

HTTP_PORT=${HTTP_PORT:-8080}
PROM_PORT=${PROM_PORT:-9090}
STACK_BIND=${STACK_BIND:-127.0.0.1}
BUILD_DIR=${BUILD_DIR:-$SRC/build}
if [ "$(id -u)" = 0 ]; then
	RUN_DIR=${RUN_DIR:-/run/metrics-stack}
else
	RUN_DIR=${RUN_DIR:-$BUILD_DIR/run}
fi
SIM_INTERVAL=${SIM_INTERVAL:-1}
SIM_FLAGS=${SIM_FLAGS:-}
SCRAPE_INTERVAL=${SCRAPE_INTERVAL:-10s}
STACK_TAIL=${STACK_TAIL:-1}
# The unprivileged user lighttpd.conf drops to when started as root.
WEB_USER=www-data

PIDS=""
say() { echo "run-stack: $*"; }
die() { echo "run-stack: $*" >&2; exit 1; }

# ---- packages ------------------------------------------------------------

missing_packages() {
	for p in $(sed 's/#.*//' "$SRC/.ci/debian-packages.txt"); do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || printf '%s ' "$p"
	done
}

install_packages() {
	command -v dpkg-query >/dev/null 2>&1 || {
		say "not a Debian system: install the packages in .ci/debian-packages.txt yourself"
		return 0
	}
	missing=$(missing_packages)
	[ -n "$missing" ] || return 0
	[ "$(id -u)" = 0 ] || die "missing packages: $missing(run as root, or --no-install)"
	say "installing: $missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || die "apt-get update failed"
	# shellcheck disable=SC2086 # a list of package names
	apt-get install -y -qq --no-install-recommends $missing ||
		die "apt-get install failed"
}

# ---- build ---------------------------------------------------------------

build_project() {
	[ -x "$SRC/configure" ] || (cd "$SRC" && ./autogen.sh) || die "autogen.sh failed"
	mkdir -p "$BUILD_DIR"
	(
		cd "$BUILD_DIR" &&
			{ [ -f Makefile ] || "$SRC/configure"; } &&
			make -j"$(nproc 2>/dev/null || echo 2)" src/metrics-simulator src/metrics.fcgi
	) || die "build failed (see above)"
}

# ---- run directory and configuration --------------------------------------

# Layout: bin/ (a copy of metrics.fcgi www-data can execute), store/ (the
# store: group www-data, setgid, so the 0640 store file is readable by the
# responder and nobody else), state/ (FastCGI socket), log/, www/,
# prometheus.yml, prometheus/ (TSDB).
prepare_run_dir() {
	mkdir -p "$RUN_DIR/bin" "$RUN_DIR/store" "$RUN_DIR/state" "$RUN_DIR/log" \
		"$RUN_DIR/www" "$RUN_DIR/prometheus"
	RUN_DIR=$(cd "$RUN_DIR" && pwd -P) # as /proc/PID/exe names it
	chmod 755 "$RUN_DIR" "$RUN_DIR/bin" "$RUN_DIR/www"
	cp "$BUILD_DIR/src/metrics.fcgi" "$RUN_DIR/bin/metrics.fcgi"
	chmod 755 "$RUN_DIR/bin/metrics.fcgi"
	rm -f "$RUN_DIR/store/metrics.store"
	if [ "$(id -u)" = 0 ]; then
		chown "$WEB_USER:$WEB_USER" "$RUN_DIR/state" "$RUN_DIR/log"
		chown "root:$WEB_USER" "$RUN_DIR/store"
		chmod 2750 "$RUN_DIR/store"
	fi
}

# The native Prometheus config with this run's ports, interval and rules
# (comment lines are left alone).
write_prometheus_config() {
	native="$SRC/contrib/prometheus/prometheus-native.yml"
	{
		echo "# Generated by run-stack.sh from $native: do not edit."
		sed -e '/^[[:space:]]*#/d' \
			-e "s|127\.0\.0\.1:8080|127.0.0.1:$HTTP_PORT|" \
			-e "s|127\.0\.0\.1:9090|127.0.0.1:$PROM_PORT|" \
			-e "s|^\( *\)scrape_interval: 10s|\1scrape_interval: $SCRAPE_INTERVAL|" \
			-e "s|^\( *\)evaluation_interval: 10s|\1evaluation_interval: $SCRAPE_INTERVAL|" \
			-e "s|\.\./\.\./rules/|$SRC/rules/|" "$native"
	} >"$RUN_DIR/prometheus.yml"
	if command -v promtool >/dev/null 2>&1; then
		promtool check config "$RUN_DIR/prometheus.yml" >"$RUN_DIR/log/promtool.log" 2>&1 ||
			{ cat "$RUN_DIR/log/promtool.log" >&2; die "promtool rejects $RUN_DIR/prometheus.yml"; }
	fi
}

# ---- processes -------------------------------------------------------------

# start NAME CMD...: run in the background, output to log/NAME.log, pid in
# NAME.pid (tests read them).
start() {
	name=$1
	shift
	"$@" >"$RUN_DIR/log/$name.log" 2>&1 &
	echo $! >"$RUN_DIR/$name.pid"
	PIDS="$! $PIDS"
	say "started $name (pid $!), log $RUN_DIR/log/$name.log"
}

# stop_pid PID: SIGTERM, up to 10 s, then SIGKILL.
stop_pid() {
	kill -TERM "$1" 2>/dev/null || true
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$1" 2>/dev/null || true
}

# The pids of processes running this stack's copy of metrics.fcgi.
responder_pids() {
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = "$RUN_DIR/bin/metrics.fcgi" ] &&
			echo "${p#/proc/}"
	done
}

# Stop everything by PID (PIDS lists the newest first) and reap it.  Then
# any responder still running: lighttpd stops the ones it spawned, but
# would one outlive it (lighttpd respawns a backend that exits while it
# shuts down, and a SIGTERM that reaches the new one before its exec is
# lost), it goes too.
stop_all() {
	for pid in $PIDS; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in $PIDS; do
		stop_pid "$pid"
		wait "$pid" 2>/dev/null || true
	done
	PIDS=""
	for pid in $(responder_pids); do
		say "stopping metrics.fcgi $pid, left behind by lighttpd"
		stop_pid "$pid"
	done
}

# wait_until WHAT SECONDS CMD...: poll CMD every 0.1 s.
wait_until() {
	what=$1
	limit=$(($2 * 10))
	shift 2
	i=0
	until "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt "$limit" ] || die "timed out waiting for $what"
		sleep 0.1
	done
}

http_ok() { curl -fs -o /dev/null "$1"; }

start_simulator() {
	# shellcheck disable=SC2086 # SIM_FLAGS is a list of flags
	start simulator "$BUILD_DIR/src/metrics-simulator" \
		--store "$RUN_DIR/store/metrics.store" --interval "$SIM_INTERVAL" $SIM_FLAGS
	wait_until "the store" 10 test -s "$RUN_DIR/store/metrics.store"
}

start_lighttpd() {
	export METRICS_HTTP_PORT="$HTTP_PORT" METRICS_HTTP_BIND="$STACK_BIND"
	export METRICS_FCGI="$RUN_DIR/bin/metrics.fcgi"
	export METRICS_STORE="$RUN_DIR/store/metrics.store"
	export METRICS_STATE_DIR="$RUN_DIR/state" METRICS_LOG_DIR="$RUN_DIR/log"
	export METRICS_DOCROOT="$RUN_DIR/www"
	lighttpd -tt -f "$SRC/lighttpd.conf" >"$RUN_DIR/log/lighttpd-test.log" 2>&1 ||
		{ cat "$RUN_DIR/log/lighttpd-test.log" >&2; die "lighttpd rejects lighttpd.conf"; }
	start lighttpd lighttpd -D -f "$SRC/lighttpd.conf"
	wait_until "lighttpd on port $HTTP_PORT" 10 http_ok "http://127.0.0.1:$HTTP_PORT/health"
}

# native-histograms: Prometheus 2.40 and later then scrape protobuf first and
# keep native histograms (the simulator's shop_http_request_latency_seconds)
# as such; the classic histograms arrive as before.  Exemplar storage on:
# the simulator's traced requests reach the dashboard's latency panel
# (/api/v1/query_exemplars).
start_prometheus() {
	start prometheus prometheus \
		--config.file="$RUN_DIR/prometheus.yml" \
		--storage.tsdb.path="$RUN_DIR/prometheus" \
		--web.listen-address="$STACK_BIND:$PROM_PORT" \
		--enable-feature=native-histograms \
		--enable-feature=exemplar-storage
	wait_until "Prometheus on port $PROM_PORT" 30 http_ok "http://127.0.0.1:$PROM_PORT/-/ready"
}

# Sleep in short steps so a signal is handled at once; return when one of
# the processes has gone.
watch() {
	while :; do
		for pid in $PIDS; do
			kill -0 "$pid" 2>/dev/null || { say "process $pid exited"; return 1; }
		done
		sleep 1 &
		wait $! || true
	done
}

main() {
	[ "$install" = 0 ] || install_packages
	[ "$build" = 0 ] || build_project
	for b in metrics-simulator metrics.fcgi; do
		[ -x "$BUILD_DIR/src/$b" ] || die "not built: $BUILD_DIR/src/$b (drop --no-build?)"
	done
	for c in lighttpd prometheus curl; do
		command -v "$c" >/dev/null 2>&1 || die "$c is not installed"
	done
	trap 'stop_all' EXIT
	trap 'say "stopping"; exit 0' INT TERM
	prepare_run_dir
	write_prometheus_config
	start_simulator
	start_lighttpd
	start_prometheus
	if [ "$STACK_TAIL" = 1 ]; then
		tail -n +1 -F "$RUN_DIR/log/simulator.log" "$RUN_DIR/log/lighttpd.log" \
			"$RUN_DIR/log/error.log" "$RUN_DIR/log/prometheus.log" &
		PIDS="$! $PIDS"
	fi
	say "up: http://$STACK_BIND:$HTTP_PORT/metrics  http://$STACK_BIND:$PROM_PORT  (Ctrl-C stops)"
	watch || exit 1
}

main
