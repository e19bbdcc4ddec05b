#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh - `make bench`: the standard benchmark suite of doc/performance.md.
# Renders the standard workload at several sizes (metrics-bench render),
# times the update paths (metrics-bench update; from 4 processes at once:
# procs), renders N = 10,000 with writer restarts behind it (restarts),
# loads metrics.fcgi behind
# lighttpd with wrk on a free loopback port, measures the memory of the
# responder and of the simulator, and prints one summary table.  Prints
# figures only: nothing here asserts timing.  Every process it starts is
# stopped by PID and waited for, also on failure.
#
# Knobs (environment):
#   BENCH_SIZES          render sizes            (default "100 1000 10000 100000")
#   BENCH_RENDER_REPS    renders per size        (default: metrics-bench picks)
#   BENCH_UPDATE_ITERS   ops per update run      (default 4000000)
#   BENCH_UPDATE_RUNS    update runs, median     (default 5; also procs)
#   BENCH_DURATION       seconds per wrk run     (default 10)
#   BENCH_RUNS           wrk runs per case, median (default 3)
#   BENCH_SIM_SECONDS    simulator run time      (default 5)
#   BENCH_E2E            0 skips lighttpd + wrk  (default 1)
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

bench=$top_builddir/src/metrics-bench
sim=$top_builddir/src/metrics-simulator

# wrk cases: N, threads, connections (issue 7)
WRK_CASES="100:2:32 10000:2:4"
READY_TRIES=50        # x 0.1 s: time for lighttpd to come up
GONE_TRIES=50         # x 0.1 s: time for a backend to go after lighttpd

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

# gone PID: wait until PID (not our child: a backend lighttpd spawned) has
# exited or is a zombie; SIGKILL it if it outlives GONE_TRIES.
gone() {
	i=0
	while kill -0 "$1" 2>/dev/null &&
	      [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]; do
		i=$((i + 1))
		if [ "$i" -ge "$GONE_TRIES" ]; then
			say "process $1 outlived lighttpd: SIGKILL"
			kill -KILL "$1" 2>/dev/null
			return 0
		fi
		sleep 0.1
	done
}

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
	done
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

# ---------------------------------------------------------------- lighttpd + wrk

# to_ms VALUE-WITH-UNIT: wrk latency (us, ms, s, m) in milliseconds
to_ms() {
	echo "$1" | awk '{
		v = $1 + 0; u = $1; sub(/^[0-9.]+/, "", u)
		if (u == "us") v /= 1000; else if (u == "s") v *= 1000
		else if (u == "m") v *= 60000
		printf "%.3f\n", v }'
}

# server_ticks LIGHTTPD_PID: "lighttpd fcgi", the CPU clock ticks (user +
# system) used so far by lighttpd and by the metrics.fcgi processes it
# spawned.  Names have no spaces: fields 14 and 15 of /proc/PID/stat are
# utime and stime.
server_ticks() {
	st_l=$(awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null)
	st_f=$(ps -o pid= --ppid "$1" | while read -r p; do
		cat "/proc/$p/stat" 2>/dev/null
	done | awk '{ t += $14 + $15 } END { print t + 0 }')
	echo "${st_l:-0} $st_f"
}

# wrk_case KEY PATH THREADS CONNS PORT LIGHTTPD_PID: BENCH_RUNS wrk runs of
# PATH, medians (and the req/s range) recorded under KEY, and the server's
# CPU time per request (less dependent on what else the machine is doing
# than req/s, though a busy host slows that down too).
wrk_case() {
	n=$1 path=$2 t=$3 c=$4 port=$5 lp=$6
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
		say "wrk $path N=${n#health.} -t$t -c$c -d${BENCH_DURATION}s run $r/$BENCH_RUNS"
		f=$out/wrk.$n.$r
		t0=$(server_ticks "$lp")
		if ! timeout $((BENCH_DURATION + 30)) wrk "-t$t" "-c$c" \
		     "-d${BENCH_DURATION}s" --latency "$url" >"$f" 2>&1; then
			say "wrk failed: $(cat "$f")"
		fi
		t1=$(server_ticks "$lp")
		reqs=$(awk '/ requests in / { print $1 }' "$f")
		if [ "${reqs:-0}" -gt 0 ]; then
			# CPU us per request: lighttpd, metrics.fcgi, both
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
	put "wrk.$n.lighttpd_cpu_us_per_req" "$(median <"$out/wrk.$n.cpu_l")"
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

# responder_rss LIGHTTPD_PID STORE N: memory of the spawned metrics.fcgi
# processes after load (the largest one is reported).
responder_rss() {
	lpid=$1 store=$2 n=$3
	max_rss=0 max_priv=0 nproc=0
	for p in $(ps -o pid= --ppid "$lpid"); do
		read -r rss priv sp <<EOF
$(smaps_kb "$p" "$store")
EOF
		nproc=$((nproc + 1))
		priv=$((priv - sp))
		[ "$rss" -gt "$max_rss" ] && max_rss=$rss
		[ "$priv" -gt "$max_priv" ] && max_priv=$priv
	done
	put "resp.$n.procs" "$nproc"
	put "resp.$n.rss_kb" "$max_rss"
	put "resp.$n.private_excl_store_kb" "$max_priv"
}

# start_lighttpd PORT STORE: lighttpd in the foreground (background job)
# with the shipped lighttpd.conf on 127.0.0.1; sets lpid.  Started as root,
# lighttpd drops to www-data: the state directory must be writable and the
# store readable for it.
start_lighttpd() {
	port=$1 store=$2
	mkdir -p "$out/state" && chmod 0777 "$out/state" || return 1
	start_bg lighttpd env METRICS_HTTP_PORT="$port" METRICS_HTTP_BIND=127.0.0.1 \
		METRICS_FCGI="$FCGI" METRICS_STORE="$store" \
		METRICS_STATE_DIR="$out/state" METRICS_LOG_DIR="$out/state" \
		METRICS_DOCROOT="$out" lighttpd -D -f "$top_srcdir/lighttpd.conf"
	lpid=$BG_PID
	i=0
	while [ "$i" -lt "$READY_TRIES" ]; do
		if curl -fs -o /dev/null "http://127.0.0.1:$port/metrics"; then
			return 0
		fi
		kill -0 "$lpid" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	say "lighttpd did not come up on port $port: $(cat "$out/lighttpd.log" "$out/state/error.log" 2>/dev/null)"
	return 1
}

bench_e2e() {
	if [ "$BENCH_E2E" = 0 ]; then
		say "end-to-end skipped (BENCH_E2E=0)"
		return 0
	fi
	for tool in lighttpd wrk curl; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			say "end-to-end skipped: $tool not installed"
			return 0
		fi
	done
	for spec in $WRK_CASES; do
		IFS=: read -r n t c <<EOF
$spec
EOF
		store=$out/store.$n
		"$bench" populate "$n" "$store" >/dev/null || { say "populate $n failed"; continue; }
		port=$(free_port) || { say "no free port"; return 1; }
		if start_lighttpd "$port" "$store"; then
			curl -fs -o "$out/body.$n" "http://127.0.0.1:$port/metrics" &&
				put "wrk.$n.body_bytes" "$(wc -c <"$out/body.$n")"
			wrk_case "$n" /metrics "$t" "$c" "$port" "$lpid"
			responder_rss "$lpid" "$store" "$n"
			# the floor of this path: same servers, same responder,
			# /health (a stat and a one-line answer, no render)
			[ "$n" = 100 ] &&
				wrk_case "health.$n" /health "$t" "$c" "$port" "$lpid"
		fi
		# lighttpd SIGTERMs its backends on the way out; make sure of it
		fpids=$(ps -o pid= --ppid "$lpid")
		stop_pid "$lpid"
		for p in $fpids; do
			gone "$p"
		done
	done
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
	done
	for op in counter_inc:2.2 gauge_set:2.5 hist_observe:16; do
		k=${op%%:*} t=${op#*:}
		row "$k ns, 1 thread (min..max)" \
		    "$(get "update.${k}_ns") ($(get "update.${k}_min_ns")..$(get "update.${k}_max_ns"))" "<= $t ns"
		row "$k ns, 2 threads same series (min..max; CPUs)" \
		    "$(get "update.${k}_2t_ns") ($(get "update.${k}_2t_min_ns")..$(get "update.${k}_2t_max_ns"); $(get "update.${k}_2t_cpus"))" \
		    "$([ "$k" = hist_observe ] && echo "<= 3x 1 thread")"
	done
	row "hist 2 threads consistent / counter exact" \
	    "$(get update.hist_2t_consistent) / $(get update.counter_2t_consistent)" "1 / 1"
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
		    "$(get "wrk.$n.cpu_us_per_req") ($(get "wrk.$n.lighttpd_cpu_us_per_req") + $(get "wrk.$n.fcgi_cpu_us_per_req"))" ""
		row "  responder RSS / private excl. store kB" \
		    "$(get "resp.$n.rss_kb") / $(get "resp.$n.private_excl_store_kb") ($(get "resp.$n.procs") procs)" "private < 2048 kB"
		[ "$(get "wrk.health.$n.rps")" = n/a ] && continue
		row "  floor: /health, same path, no render: req/s, p99 ms" \
		    "$(get "wrk.health.$n.rps") ($(get "wrk.health.$n.rps_range")), $(get "wrk.health.$n.p99_ms")" ""
		row "    server CPU us per request (lighttpd + fcgi)" \
		    "$(get "wrk.health.$n.cpu_us_per_req") ($(get "wrk.health.$n.lighttpd_cpu_us_per_req") + $(get "wrk.health.$n.fcgi_cpu_us_per_req"))" ""
	done
	row "simulator VmRSS kB (peak)" "$(get sim.rss_kb) ($(get sim.hwm_kb))" "< 4096 kB"
}

bench_render
bench_update
bench_procs
bench_e2e
bench_sim
summary
