#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh - `make bench`: the standard benchmark suite of doc/performance.md.
# Renders the standard workload at several sizes (metrics-bench render, in
# text and in protobuf), times the update paths (metrics-bench update; from
# 4 processes at once: procs), renders N = 10,000 with writer restarts
# behind it (restarts), loads metrics.fcgi behind lighttpd (and, at N=100,
# nginx with FastCGI keep-alive) with wrk on a free loopback port, scrapes
# it as Prometheus does (its headers, gzip, one scrape at a time:
# tests/bench/scrape.py) through lighttpd and nginx, measures the memory of
# the responder and of the simulator, and prints one summary table.  Prints
# figures only: nothing here asserts timing.  Every process it starts is
# stopped by PID and waited for, also on failure.
#
# Knobs (environment):
#   BENCH_SIZES          render sizes            (default "100 1000 10000 100000")
#   BENCH_RENDER_REPS    renders per size        (default: metrics-bench picks)
#   BENCH_UPDATE_ITERS   ops per update run      (default 4000000)
#   BENCH_UPDATE_RUNS    update runs, median     (default 5; also procs)
#   BENCH_DURATION       seconds per wrk run     (default 10)
#   BENCH_RUNS           wrk runs per case, median (default 3; 0 skips wrk)
#   BENCH_SIM_SECONDS    simulator run time      (default 5)
#   BENCH_E2E            0 skips lighttpd, nginx, wrk and the scrapes (default 1)
#   BENCH_SCRAPE_SIZES   N for the Prometheus-style scrapes (default "10000 100000")
#   BENCH_SCRAPES        timed scrapes per case  (default 30, after 3 untimed)
#   KEEP_TMP             1 keeps the raw outputs (wrk logs, bodies, error.log)
# Quick run: BENCH_SIZES="100 10000" BENCH_DURATION=2 BENCH_RUNS=1 \
#            BENCH_UPDATE_ITERS=1000000 BENCH_SIM_SECONDS=2 make bench
# Process handling (setup_tmp, start_bg, stop_pid, free_port, the EXIT
# trap) comes from tests/integration/lib.sh.
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
# shellcheck source=tests/integration/lib.sh
. "$top_srcdir/tests/integration/lib.sh"

BENCH_SIZES=${BENCH_SIZES:-"100 1000 10000 100000"}
BENCH_RENDER_REPS=${BENCH_RENDER_REPS:-}
BENCH_UPDATE_ITERS=${BENCH_UPDATE_ITERS:-4000000}
BENCH_UPDATE_RUNS=${BENCH_UPDATE_RUNS:-5}
BENCH_DURATION=${BENCH_DURATION:-10}
BENCH_RUNS=${BENCH_RUNS:-3}
BENCH_SIM_SECONDS=${BENCH_SIM_SECONDS:-5}
BENCH_E2E=${BENCH_E2E:-1}
BENCH_SCRAPE_SIZES=${BENCH_SCRAPE_SIZES:-"10000 100000"}
BENCH_SCRAPES=${BENCH_SCRAPES:-30}
SCRAPE_WARMUP=3

bench=$top_builddir/src/metrics-bench
sim=$top_builddir/src/metrics-simulator

# wrk cases: N, threads, connections (issue 7); through nginx: N=100
WRK_CASES="100:2:32 10000:2:4"
NGINX_WRK_CASE="100:2:32"
READY_TRIES=50        # x 0.1 s: time for lighttpd to come up
# The web servers the scrapes go through, and the codings they ask for
# ("-": no Accept-Encoding)
SCRAPE_SERVERS="lighttpd nginx"
SCRAPE_CODINGS="gzip -"

say() {
	echo "bench: $*" >&2
}

for prog in "$bench" "$FCGI" "$sim"; do
	if [ ! -x "$prog" ]; then
		say "missing $prog: run 'make bench' (it builds them)"
		exit 1
	fi
done
setup_tmp
out=$T
results=$out/results
: >"$results"
[ "${KEEP_TMP:-0}" = 1 ] && say "raw outputs in $out"

# ---------------------------------------------------------------- results

# put KEY VALUE: record one figure
put() {
	echo "$1 $2" >>"$results"
}

# get KEY: a recorded figure, or "n/a"
get() {
	v=$(awk -v k="$1" '$1 == k { v = $2 } END { print v }' "$results")
	echo "${v:-n/a}"
}

# kv FILE KEY: the value of "KEY value" in a metrics-bench output
kv() {
	awk -v k="$2" '$1 == k { print $2; exit }' "$1"
}

# median: of the numbers on stdin, one per line
median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) print "n/a"
		else if (NR % 2) print v[(NR + 1) / 2]
		else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# spread: "p10..p90" of the numbers on stdin (nearest rank)
spread() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "n/a"; exit }
		lo = int(NR * 0.1 + 0.5); hi = int(NR * 0.9 + 0.5)
		if (lo < 1) lo = 1; if (hi < 1) hi = 1
		print v[lo] ".." v[hi] }'
}

# ---------------------------------------------------------------- render + update

bench_render() {
	for n in $BENCH_SIZES; do
		say "render N=$n"
		# shellcheck disable=SC2086 # REPS is optional
		if ! "$bench" render "$n" $BENCH_RENDER_REPS >"$out/render.$n" 2>"$out/render.$n.err"; then
			say "render N=$n failed: $(cat "$out/render.$n.err")"
			continue
		fi
		for k in render_median_us render_min_us render_p90_us \
		         render_cpu_median_us body_bytes samples allocs_per_render; do
			put "render.$n.$k" "$(kv "$out/render.$n" "$k")"
		done
		say "render N=$n protobuf"
		# shellcheck disable=SC2086 # REPS is optional
		if ! "$bench" render "$n" $BENCH_RENDER_REPS protobuf >"$out/render.$n.pb" \
		     2>"$out/render.$n.pb.err"; then
			say "render N=$n protobuf failed: $(cat "$out/render.$n.pb.err")"
			continue
		fi
		for k in render_median_us render_min_us render_cpu_median_us body_bytes \
		         allocs_per_render; do
			put "render.$n.pb.$k" "$(kv "$out/render.$n.pb" "$k")"
		done
		# with native histograms beside the classic ones (issue 16:
		# protobuf within 1.5x of text at N = 10,000), text and protobuf
		for f in text protobuf; do
			say "render N=$n $f native"
			# shellcheck disable=SC2086 # REPS is optional
			if ! "$bench" render "$n" $BENCH_RENDER_REPS $f native >"$out/render.$n.$f.nat" \
			     2>"$out/render.$n.$f.nat.err"; then
				say "render N=$n $f native failed: $(cat "$out/render.$n.$f.nat.err")"
				continue
			fi
			for k in render_cpu_median_us body_bytes allocs_per_render; do
				put "render.$n.$f.nat.$k" "$(kv "$out/render.$n.$f.nat" "$k")"
			done
		done
	done
}

# ratio A B: A / B to two decimals ("n/a" unless both are numbers)
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a + 0 > 0 && b + 0 > 0) printf "%.2f\n", a / b; else print "n/a" }'
}

bench_update() {
	say "update ($BENCH_UPDATE_ITERS ops x $BENCH_UPDATE_RUNS runs)"
	if ! "$bench" update "$BENCH_UPDATE_ITERS" "$BENCH_UPDATE_RUNS" \
	     >"$out/update" 2>"$out/update.err"; then
		say "update failed: $(cat "$out/update.err")"
	fi
	while read -r k v; do
		put "update.$k" "$v"
	done <"$out/update"
}

# Several writer processes: 4 at once on one series of each kind, and the
# render after restarts (each "restarts R" block of its output).
bench_procs() {
	say "procs ($BENCH_UPDATE_ITERS ops x $BENCH_UPDATE_RUNS runs x 4 processes)"
	if ! "$bench" procs "$BENCH_UPDATE_ITERS" "$BENCH_UPDATE_RUNS" \
	     >"$out/procs" 2>"$out/procs.err"; then
		say "procs failed: $(cat "$out/procs.err")"
	fi
	while read -r k v; do
		put "procs.$k" "$v"
	done <"$out/procs"
	say "restarts N=10000"
	if ! "$bench" restarts 10000 >"$out/restarts" 2>"$out/restarts.err"; then
		say "restarts failed: $(cat "$out/restarts.err")"
	fi
	r=0
	while read -r k v; do
		[ "$k" = restarts ] && r=$v
		put "restarts.$r.$k" "$v"
	done <"$out/restarts"
}

# ---------------------------------------------------------------- web servers + wrk

# to_ms VALUE-WITH-UNIT: wrk latency (us, ms, s, m) in milliseconds
to_ms() {
	echo "$1" | awk '{
		v = $1 + 0; u = $1; sub(/^[0-9.]+/, "", u)
		if (u == "us") v /= 1000; else if (u == "s") v *= 1000
		else if (u == "m") v *= 60000
		printf "%.3f\n", v }'
}

# ticks PID...: the CPU clock ticks (user + system) the processes used so
# far.  Names have no spaces: fields 14 and 15 of /proc/PID/stat are utime
# and stime.
ticks() {
	for p in "$@"; do
		cat "/proc/$p/stat" 2>/dev/null
	done | awk '{ t += $14 + $15 } END { print t + 0 }'
}

# server_ticks: "web fcgi", the ticks the web server's processes
# (WEB_PIDS) and the responders (RESP_PIDS) used so far.
server_ticks() {
	# shellcheck disable=SC2086 # lists of pids
	echo "$(ticks $WEB_PIDS) $(ticks $RESP_PIDS)"
}

# wrk_case KEY PATH THREADS CONNS PORT: BENCH_RUNS wrk runs of PATH on the
# servers started last, medians (and the req/s range) recorded under KEY,
# and the servers' CPU time per request (less dependent on what else the
# machine is doing than req/s, though a busy host slows that down too).
wrk_case() {
	n=$1 path=$2 t=$3 c=$4 port=$5
	url="http://127.0.0.1:$port$path"
	tck=$(getconf CLK_TCK)
	: >"$out/wrk.$n.rps"
	: >"$out/wrk.$n.p99"
	: >"$out/wrk.$n.cpu"
	: >"$out/wrk.$n.cpu_l"
	: >"$out/wrk.$n.cpu_f"
	errors=0
	r=1
	while [ "$r" -le "$BENCH_RUNS" ]; do
		say "wrk $path $n -t$t -c$c -d${BENCH_DURATION}s run $r/$BENCH_RUNS"
		f=$out/wrk.$n.$r
		t0=$(server_ticks)
		if ! timeout $((BENCH_DURATION + 30)) wrk "-t$t" "-c$c" \
		     "-d${BENCH_DURATION}s" --latency "$url" >"$f" 2>&1; then
			say "wrk failed: $(cat "$f")"
		fi
		t1=$(server_ticks)
		reqs=$(awk '/ requests in / { print $1 }' "$f")
		if [ "${reqs:-0}" -gt 0 ]; then
			# CPU us per request: web server, metrics.fcgi, both
			echo "$t0 $t1" | awk -v hz="$tck" -v n="$reqs" '{
				l = ($3 - $1) / hz * 1e6 / n; c = ($4 - $2) / hz * 1e6 / n
				printf "%.1f %.1f %.1f\n", l, c, l + c }' >"$f.cpu"
			awk '{ print $1 }' "$f.cpu" >>"$out/wrk.$n.cpu_l"
			awk '{ print $2 }' "$f.cpu" >>"$out/wrk.$n.cpu_f"
			awk '{ print $3 }' "$f.cpu" >>"$out/wrk.$n.cpu"
		fi
		awk '/^Requests\/sec:/ { print $2 }' "$f" >>"$out/wrk.$n.rps"
		p99=$(awk '$1 == "99%" { print $2 }' "$f")
		[ -n "$p99" ] && to_ms "$p99" >>"$out/wrk.$n.p99"
		e=$(awk '/Non-2xx or 3xx responses:/ { n += $NF }
		         /Socket errors:/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 }
		         END { print n + 0 }' "$f")
		errors=$((errors + e))
		r=$((r + 1))
	done
	put "wrk.$n.rps" "$(median <"$out/wrk.$n.rps")"
	put "wrk.$n.rps_range" "$(sort -g "$out/wrk.$n.rps" | sed -n '1p;$p' | paste -sd- | sed 's/-/../')"
	put "wrk.$n.p99_ms" "$(median <"$out/wrk.$n.p99")"
	put "wrk.$n.cpu_us_per_req" "$(median <"$out/wrk.$n.cpu")"
	put "wrk.$n.web_cpu_us_per_req" "$(median <"$out/wrk.$n.cpu_l")"
	put "wrk.$n.fcgi_cpu_us_per_req" "$(median <"$out/wrk.$n.cpu_f")"
	put "wrk.$n.errors" "$errors"
	put "wrk.$n.args" "-t$t/-c$c/-d${BENCH_DURATION}s/x$BENCH_RUNS"
}

# smaps_kb PID STORE: "rss private store_private" in kB for one process,
# private = Private_Clean + Private_Dirty, store_private = the same for the
# mappings of the store file (which only the responder itself has touched).
smaps_kb() {
	awk -v store="$2" '
		/^[0-9a-f]+-[0-9a-f]+ / { in_store = (index($0, store) > 0) }
		/^Rss:/ { rss += $2 }
		/^Private_(Clean|Dirty):/ { priv += $2; if (in_store) sp += $2 }
		END { printf "%d %d %d\n", rss, priv, sp }' "/proc/$1/smaps"
}

# responder_rss KEY STORE: memory of the responders (RESP_PIDS) after load
# (the largest one is reported).
responder_rss() {
	key=$1 store=$2
	max_rss=0 max_priv=0 nproc=0
	for p in $RESP_PIDS; do
		read -r rss priv sp <<EOF_SMAPS
$(smaps_kb "$p" "$store")
EOF_SMAPS
		nproc=$((nproc + 1))
		priv=$((priv - sp))
		[ "$rss" -gt "$max_rss" ] && max_rss=$rss
		[ "$priv" -gt "$max_priv" ] && max_priv=$priv
	done
	put "resp.$key.procs" "$nproc"
	put "resp.$key.rss_kb" "$max_rss"
	put "resp.$key.private_excl_store_kb" "$max_priv"
}

# ready PORT PID: wait until /health answers on PORT while the server PID
# lives; 0, or 1 with a note.
ready() {
	i=0
	while [ "$i" -lt "$READY_TRIES" ]; do
		curl -fs -o /dev/null "http://127.0.0.1:$1/health" && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	say "server did not come up on port $1: $(cat "$out"/*.log "$out/state/error.log" 2>/dev/null | tail -n 20)"
	return 1
}

# serve_lighttpd STORE: lighttpd in the foreground (background job) with
# the shipped lighttpd.conf on 127.0.0.1 and a free port, spawning its two
# responders.  Started as root, lighttpd drops to www-data: the state
# directory must be writable and the store readable for it.  Sets PORT,
# WEB_PIDS (lighttpd) and RESP_PIDS (the responders).
serve_lighttpd() {
	PORT=$(free_port) || return 1
	mkdir -p "$out/state" && chmod 0777 "$out/state" || return 1
	start_bg lighttpd env METRICS_HTTP_PORT="$PORT" METRICS_HTTP_BIND=127.0.0.1 \
		METRICS_FCGI="$FCGI" METRICS_STORE="$1" \
		METRICS_STATE_DIR="$out/state" METRICS_LOG_DIR="$out/state" \
		METRICS_DOCROOT="$out" lighttpd -D -f "$top_srcdir/lighttpd.conf"
	WEB_PIDS=$BG_PID
	ready "$PORT" "$WEB_PIDS" || return 1
	RESP_PIDS=$(ps -o pid= --ppid "$WEB_PIDS" | tr -d ' ' | paste -sd' ' -)
}

# serve_nginx STORE: nginx with contrib/nginx/metrics.conf (FastCGI
# keep-alive, one worker) and two responders started by spawn-fcgi -F 2,
# the setup metrics.conf describes (lib.sh: spawn_responders,
# start_nginx).  Sets PORT, WEB_PIDS (master and worker) and RESP_PIDS.
serve_nginx() {
	METRICS_STORE=$1
	export METRICS_STORE
	spawn_responders "$out/nginx-fcgi.sock" 2
	RESP_PIDS=$SPAWNED
	start_nginx "unix:$out/nginx-fcgi.sock"
	PORT=${BASE##*:}
	WEB_PIDS="$NGINX_PID $(ps -o pid= --ppid "$NGINX_PID" | tr -d ' ' | paste -sd' ' -)"
	ready "$PORT" "$NGINX_PID"
}

# stop_servers: the web server, then the responders (lighttpd stops the
# ones it spawned on its way out; make sure of it).
stop_servers() {
	for p in $WEB_PIDS; do
		case " $PIDS " in
		*" $p "*) stop_pid "$p" ;; # ours: nginx's master, lighttpd
		esac
	done
	for p in $RESP_PIDS; do
		stop_orphan "$p"
	done
	SPAWNED=""
	WEB_PIDS="" RESP_PIDS=""
}

# store_for N: the path of a store of the workload at size N (populated
# on first use)
store_for() {
	[ -s "$out/store.$1" ] || "$bench" populate "$1" "$out/store.$1" >/dev/null ||
		{ say "populate $1 failed"; return 1; }
	echo "$out/store.$1"
}

# have_tools TOOL...: whether all are installed (else a note)
have_tools() {
	for tool in "$@"; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			say "skipped: $tool not installed"
			return 1
		fi
	done
}

bench_wrk() {
	[ "$BENCH_RUNS" -gt 0 ] || { say "wrk skipped (BENCH_RUNS=0)"; return 0; }
	have_tools lighttpd wrk curl || return 0
	for spec in $WRK_CASES; do
		IFS=: read -r n t c <<EOF_SPEC
$spec
EOF_SPEC
		store=$(store_for "$n") || continue
		if serve_lighttpd "$store"; then
			curl -fs -o "$out/body.$n" "http://127.0.0.1:$PORT/metrics" &&
				put "wrk.$n.body_bytes" "$(wc -c <"$out/body.$n")"
			wrk_case "$n" /metrics "$t" "$c" "$PORT"
			responder_rss "$n" "$store"
			# the floor of this path: same servers, same responder,
			# /health (a stat and a one-line answer, no render)
			[ "$n" = 100 ] &&
				wrk_case "health.$n" /health "$t" "$c" "$PORT"
		fi
		stop_servers
	done
	have_tools nginx spawn-fcgi || return 0
	[ -r "$NGINX_PARAMS" ] || { say "nginx skipped: no $NGINX_PARAMS"; return 0; }
	IFS=: read -r n t c <<EOF_SPEC
$NGINX_WRK_CASE
EOF_SPEC
	store=$(store_for "$n") || return 0
	serve_nginx "$store" && wrk_case "nginx.$n" /metrics "$t" "$c" "$PORT"
	stop_servers
}

# scrape_case KEY CODING: BENCH_SCRAPES scrapes as Prometheus makes them
# (scrape.py, Accept-Encoding CODING) of the servers started last: the
# medians and spreads of the time to the last byte and of the servers'
# CPU per scrape under KEY.
scrape_case() {
	key=$1
	say "scrapes $key: $SCRAPE_WARMUP + $BENCH_SCRAPES"
	if ! "$PY" "$top_srcdir/tests/bench/scrape.py" "http://127.0.0.1:$PORT/metrics" \
	     "$BENCH_SCRAPES" "$SCRAPE_WARMUP" "$2" "$(echo "$WEB_PIDS" | tr -s ' \n' ,,)" \
	     "$(echo "$RESP_PIDS" | tr -s ' \n' ,,)" >"$out/scrape.$key" 2>"$out/scrape.$key.err"; then
		say "scrapes $key failed: $(cat "$out/scrape.$key.err")"
		return 0
	fi
	# ms: time to the last byte; CPU of both, of the web server, of the
	# responders
	awk '{ printf "%.3f %.3f %.3f %.3f\n", $1 / 1000, ($2 + $3) / 1000, $2 / 1000, $3 / 1000 }' \
		"$out/scrape.$key" >"$out/scrape.$key.ms"
	put "scrape.$key.ttlb_ms" "$(awk '{ print $1 }' "$out/scrape.$key.ms" | median)"
	put "scrape.$key.ttlb_spread" "$(awk '{ print $1 }' "$out/scrape.$key.ms" | spread)"
	put "scrape.$key.cpu_ms" "$(awk '{ print $2 }' "$out/scrape.$key.ms" | median)"
	put "scrape.$key.cpu_spread" "$(awk '{ print $2 }' "$out/scrape.$key.ms" | spread)"
	put "scrape.$key.web_cpu_ms" "$(awk '{ print $3 }' "$out/scrape.$key.ms" | median)"
	put "scrape.$key.fcgi_cpu_ms" "$(awk '{ print $4 }' "$out/scrape.$key.ms" | median)"
	put "scrape.$key.bytes" "$(awk '{ print $4 }' "$out/scrape.$key" | median | awk '{ printf "%d", $1 }')"
	put "scrape.$key.coding" "$(awk '{ print $6 }' "$out/scrape.$key" | sort -u | paste -sd, -)"
}

# zlib6_bytes N: what zlib's default level (6: mod_deflate's, gzip's)
# makes of the body Prometheus gets at size N, for comparison.
zlib6_bytes() {
	curl -fsS -H "Accept: $PROM2_ACCEPT" -o "$out/om.$1" "http://127.0.0.1:$PORT/metrics" &&
		"$PY" -c 'import gzip, sys
print(len(gzip.compress(open(sys.argv[1], "rb").read(), 6)))' "$out/om.$1"
}

bench_scrapes() {
	have_tools lighttpd nginx spawn-fcgi curl || return 0
	for n in $BENCH_SCRAPE_SIZES; do
		store=$(store_for "$n") || continue
		for server in $SCRAPE_SERVERS; do
			if "serve_$server" "$store"; then
				for coding in $SCRAPE_CODINGS; do
					scrape_case "$server.$n.${coding#-}" "$coding"
				done
				if [ "$server" = lighttpd ]; then
					put "scrape.zlib6.$n" "$(zlib6_bytes "$n")"
					responder_rss "scrape.$n" "$store"
				fi
			fi
			stop_servers
		done
	done
}

bench_e2e() {
	if [ "$BENCH_E2E" = 0 ]; then
		say "end-to-end skipped (BENCH_E2E=0)"
		return 0
	fi
	bench_wrk
	bench_scrapes
}

# ---------------------------------------------------------------- simulator

bench_sim() {
	say "simulator for ${BENCH_SIM_SECONDS}s"
	start_bg simulator "$sim" --store "$out/sim.store"
	spid=$BG_PID
	sleep "$BENCH_SIM_SECONDS"
	if kill -0 "$spid" 2>/dev/null; then
		put sim.rss_kb "$(awk '/^VmRSS:/ { print $2 }' "/proc/$spid/status")"
		put sim.hwm_kb "$(awk '/^VmHWM:/ { print $2 }' "/proc/$spid/status")"
	else
		say "simulator exited early: $(cat "$out/simulator.log")"
	fi
	stop_pid "$spid"
}

# ---------------------------------------------------------------- summary

row() {
	printf '%-56s %-30s %s\n' "$1" "$2" "$3"
}

summary() {
	echo
	echo "metrics-bench summary: $(uname -m), $(nproc) CPUs," \
	     "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)," \
	     "load $(cut -d' ' -f1-3 /proc/loadavg)"
	row "figure" "measured" "target (not asserted)"
	for n in $BENCH_SIZES; do
		case $n in
		10000) tgt="<= 1500 us" ;;
		100000) tgt="<= 20000 us" ;;
		*) tgt="" ;;
		esac
		row "render N=$n median us (min / p90; CPU median)" \
		    "$(get "render.$n.render_median_us") ($(get "render.$n.render_min_us") / $(get "render.$n.render_p90_us"); $(get "render.$n.render_cpu_median_us"))" "$tgt"
		row "  body bytes / samples / allocs per render" \
		    "$(get "render.$n.body_bytes") / $(get "render.$n.samples") / $(get "render.$n.allocs_per_render")" ""
		row "  protobuf median us (min; CPU median)" \
		    "$(get "render.$n.pb.render_median_us") ($(get "render.$n.pb.render_min_us"); $(get "render.$n.pb.render_cpu_median_us"))" ""
		row "  protobuf / text, CPU median; bytes; allocs" \
		    "$(ratio "$(get "render.$n.pb.render_cpu_median_us")" "$(get "render.$n.render_cpu_median_us")")x; $(get "render.$n.pb.body_bytes"); $(get "render.$n.pb.allocs_per_render")" \
		    "$([ "$n" = 10000 ] && echo "<= 1.5x")"
		row "  with native histograms: protobuf / text, CPU median; allocs" \
		    "$(ratio "$(get "render.$n.protobuf.nat.render_cpu_median_us")" "$(get "render.$n.text.nat.render_cpu_median_us")")x ($(get "render.$n.protobuf.nat.render_cpu_median_us") / $(get "render.$n.text.nat.render_cpu_median_us") us); $(get "render.$n.protobuf.nat.allocs_per_render")" \
		    "$([ "$n" = 10000 ] && echo "<= 1.5x")"
	done
	for op in counter_inc:2.2 gauge_set:2.5 hist_observe:16 counter_inc_exemplar: \
	    hist_observe_exemplar:; do
		k=${op%%:*} t=${op#*:}
		row "$k ns, 1 thread (min..max)" \
		    "$(get "update.${k}_ns") ($(get "update.${k}_min_ns")..$(get "update.${k}_max_ns"))" \
		    "${t:+<= $t ns}"
		row "$k ns, 2 threads same series (min..max; CPUs)" \
		    "$(get "update.${k}_2t_ns") ($(get "update.${k}_2t_min_ns")..$(get "update.${k}_2t_max_ns"); $(get "update.${k}_2t_cpus"))" \
		    "$([ "$k" = hist_observe ] && echo "<= 3x 1 thread")"
	done
	row "native_observe ns, 1 thread (min..max); over hist_observe" \
	    "$(get update.native_observe_ns) ($(get update.native_observe_min_ns)..$(get update.native_observe_max_ns)); $(ratio "$(get update.native_observe_ns)" "$(get update.hist_observe_ns)")x" \
	    "<= 2x"
	row "hist / native 2 threads consistent / counter exact" \
	    "$(get update.hist_2t_consistent) / $(get update.native_2t_consistent) / $(get update.counter_2t_consistent)" "1 / 1 / 1"
	for k in counter_inc_4p hist_observe_4p; do
		row "$k ns, 4 processes same series (min..max; CPUs)" \
		    "$(get "procs.${k}_ns") ($(get "procs.${k}_min_ns")..$(get "procs.${k}_max_ns"); $(get "procs.${k}_cpus"))" ""
	done
	row "4 processes: counter exact / hist consistent" \
	    "$(get procs.counter_4p_exact) / $(get procs.hist_4p_consistent)" "1 / 1"
	for r in 0 4 64 1024; do
		row "render N=10000 after $r writer restarts: median us (CPU)" \
		    "$(get "restarts.$r.render_median_us") ($(get "restarts.$r.render_cpu_median_us"))" \
		    "$([ "$r" = 0 ] || echo "no growth")"
	done
	for spec in $WRK_CASES; do
		n=${spec%%:*}
		case $n in
		100) rt=">= 15000 req/s, p99 < 10 ms" ;;
		*) rt=">= 300 req/s" ;;
		esac
		row "lighttpd N=$n $(get "wrk.$n.args") req/s, p99 ms" \
		    "$(get "wrk.$n.rps") ($(get "wrk.$n.rps_range")), $(get "wrk.$n.p99_ms") (errors $(get "wrk.$n.errors"))" "$rt"
		row "  server CPU us per request (lighttpd + fcgi)" \
		    "$(get "wrk.$n.cpu_us_per_req") ($(get "wrk.$n.web_cpu_us_per_req") + $(get "wrk.$n.fcgi_cpu_us_per_req"))" ""
		row "  responder RSS / private excl. store kB" \
		    "$(get "resp.$n.rss_kb") / $(get "resp.$n.private_excl_store_kb") ($(get "resp.$n.procs") procs)" "private < 2048 kB"
		[ "$(get "wrk.health.$n.rps")" = n/a ] && continue
		row "  floor: /health, same path, no render: req/s, p99 ms" \
		    "$(get "wrk.health.$n.rps") ($(get "wrk.health.$n.rps_range")), $(get "wrk.health.$n.p99_ms")" ""
		row "    server CPU us per request (lighttpd + fcgi)" \
		    "$(get "wrk.health.$n.cpu_us_per_req") ($(get "wrk.health.$n.web_cpu_us_per_req") + $(get "wrk.health.$n.fcgi_cpu_us_per_req"))" ""
	done
	n=${NGINX_WRK_CASE%%:*}
	row "nginx N=$n $(get "wrk.nginx.$n.args") req/s, p99 ms" \
	    "$(get "wrk.nginx.$n.rps") ($(get "wrk.nginx.$n.rps_range")), $(get "wrk.nginx.$n.p99_ms") (errors $(get "wrk.nginx.$n.errors"))" ""
	row "  server CPU us per request (nginx + fcgi)" \
	    "$(get "wrk.nginx.$n.cpu_us_per_req") ($(get "wrk.nginx.$n.web_cpu_us_per_req") + $(get "wrk.nginx.$n.fcgi_cpu_us_per_req"))" ""
	summary_scrapes
	row "simulator VmRSS kB (peak)" "$(get sim.rss_kb) ($(get sim.hwm_kb))" "< 4096 kB"
}

# The Prometheus-style scrapes: per size and server, with gzip and without.
summary_scrapes() {
	for n in $BENCH_SCRAPE_SIZES; do
		case $n in
		10000) tt="<= 5 ms" tc="<= 5 ms" ;;
		100000) tt="<= 50 ms" tc="" ;;
		*) tt="" tc="" ;;
		esac
		for server in $SCRAPE_SERVERS; do
			for coding in $SCRAPE_CODINGS; do
				k=$server.$n.${coding#-}
				label=$coding
				[ "$coding" = - ] && label="no gzip" tt="" tc=""
				row "scrape N=$n $server, $label: last byte ms (p10..p90)" \
				    "$(get "scrape.$k.ttlb_ms") ($(get "scrape.$k.ttlb_spread"))" "$tt"
				row "  server CPU ms (p10..p90; web + fcgi); body bytes" \
				    "$(get "scrape.$k.cpu_ms") ($(get "scrape.$k.cpu_spread"); $(get "scrape.$k.web_cpu_ms") + $(get "scrape.$k.fcgi_cpu_ms")); $(get "scrape.$k.bytes") $(get "scrape.$k.coding")" "$tc"
			done
		done
		row "  the same body at zlib's level 6, bytes" "$(get "scrape.zlib6.$n")" \
		    "gzip <= 1.4x this"
		row "  responder RSS / private excl. store kB (lighttpd)" \
		    "$(get "resp.scrape.$n.rss_kb") / $(get "resp.scrape.$n.private_excl_store_kb") ($(get "resp.scrape.$n.procs") procs)" "private < 2048 kB"
	done
}

bench_render
bench_update
bench_procs
bench_e2e
bench_sim
summary
