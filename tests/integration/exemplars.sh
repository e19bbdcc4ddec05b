#!/bin/sh
# SPDX-License-Identifier: MIT
# exemplars.sh - exemplars from the writer to a real Prometheus and back:
# tests/mkstore --exemplars writes a counter, a histogram and a native
# histogram (no classic bounds) with an exemplar of a new trace at every tick (labels with every escape, '}' and
# UTF-8; times to the millisecond plus 0.5 ms) and logs each one; lighttpd
# serves the store through metrics.fcgi; two Debian Prometheus 2.42 scrape
# it once a second with --enable-feature=exemplar-storage, one as it comes
# (it asks for OpenMetrics first) and one with native-histograms too (it
# asks for the protobuf format first).  Then /api/v1/query_exemplars of
# each must hold exemplars on the counter and on every bucket (+Inf
# included), each one exactly as the writer logged it: the series, the
# labels, the value, and the time at Prometheus' millisecond resolution.
# That each Prometheus read the format it asked for is checked in
# metrics.fcgi's own log of what it served (-vv).  Prometheus keeps the
# label values of an OpenMetrics exemplar as escaped text (a bug of its
# parser, which unescapes a series' label values but not an exemplar's):
# what the OpenMetrics one holds is compared with the values escaped, what
# the protobuf one holds with the values themselves.  Takes about eight
# seconds.
set -eu
. "$(dirname "$0")/lib.sh"

need_cmd prometheus lighttpd curl
need_built
"$PY" -c 'import json' 2>/dev/null || skip "python3 not usable"
setup_tmp
mkdir -p "$T/state" "$T/log" "$T/www" "$T/store" "$T/prom-om" "$T/prom-pb"
STORE="$T/store/metrics.store"
LOG="$T/exemplars.jsonl"
start_bg writer "$MKSTORE" --store "$STORE" --interval 250 --exemplars "$LOG"
WRITER_PID=$BG_PID
wait_for "the store" test -s "$STORE"
if [ "$(id -u)" = 0 ]; then
	# lighttpd drops to www-data (see lighttpd.conf) before spawning
	chown -R www-data:www-data "$T/state" "$T/log"
fi
chmod 755 "$T/www" "$T/store"

port=$(free_port)
export METRICS_HTTP_PORT="$port" METRICS_HTTP_BIND=127.0.0.1
export METRICS_FCGI="$FCGI" METRICS_STORE="$STORE"
export METRICS_STATE_DIR="$T/state" METRICS_LOG_DIR="$T/log" METRICS_DOCROOT="$T/www"
unset METRICS_STALE_AFTER METRICS_USER METRICS_GROUP || true
export METRICS_FCGI_FLAGS=-vv
start_bg lighttpd lighttpd -D -f "$top_srcdir/lighttpd.conf"
wait_for "lighttpd on port $port" port_open "$port"

# start_prom NAME FEATURES: a Prometheus scraping the exporter once a
# second; PROM_<NAME> gets its base URL.
start_prom() {
	pp=$(free_port)
	while [ "$pp" = "$port" ]; do pp=$(free_port); done
	cat >"$T/prom-$1.yml" <<-EOF
	global:
	  scrape_interval: 1s
	scrape_configs:
	  - job_name: $1
	    static_configs:
	      - targets: ['127.0.0.1:$port']
	EOF
	start_bg "prometheus-$1" prometheus --config.file="$T/prom-$1.yml" \
		--storage.tsdb.path="$T/prom-$1" --web.listen-address="127.0.0.1:$pp" \
		--enable-feature="$2"
	eval "PROM_$1=http://127.0.0.1:$pp"
}
start_prom om exemplar-storage
start_prom pb exemplar-storage,native-histograms

# has_exemplars BASE JOB: Prometheus has exemplars of all three buckets,
# of the native histogram, and three of the counter (from three scrapes).
has_exemplars() {
	curl -fsS "$1/api/v1/query_exemplars" 2>/dev/null \
		--data-urlencode "query={job=\"$2\",__name__=~\"mkstore_checkout.*\"}" \
		--data-urlencode "start=$(($(date +%s) - 600))" \
		--data-urlencode "end=$(($(date +%s) + 600))" >"$T/$2.json" || return 1
	"$PY" - "$T/$2.json" "$2" <<-'EOF'
	import json, sys
	r = json.load(open(sys.argv[1]))["data"]
	have = {(s["seriesLabels"]["__name__"], s["seriesLabels"].get("le")) for s in r if s["exemplars"]}
	want = {("mkstore_checkouts_total", None)} | {
	    ("mkstore_checkout_seconds_bucket", le) for le in ("0.1", "1.0", "+Inf")}
	# the native histogram: a histogram series of its own where Prometheus
	# keeps native histograms (pb), its +Inf bucket where it reads text
	want.add(("mkstore_checkout_native_seconds", None) if sys.argv[2] == "pb"
	         else ("mkstore_checkout_native_seconds_bucket", "+Inf"))
	counter = sum(len(s["exemplars"]) for s in r
	              if s["seriesLabels"]["__name__"] == "mkstore_checkouts_total")
	sys.exit(0 if want <= have and counter >= 3 else 1)
	EOF
}
for job in om pb; do
	eval "base=\$PROM_$job"
	i=0
	until has_exemplars "$base" "$job"; do
		i=$((i + 1))
		[ $i -lt 300 ] ||
			fail "Prometheus ($job) lacks exemplars after 30 s: $(cat "$T/$job.json" 2>/dev/null)"
		sleep 0.1
	done
	ok "Prometheus 2.42 ($job) stored exemplars of the counter (3 scrapes), every bucket and the native histogram"
done
stop_pid "$WRITER_PID" # the log is complete
for job in om pb; do
	eval "base=\$PROM_$job"
	has_exemplars "$base" "$job" || fail "the exemplars of $job went away"
	"$PY" - "$LOG" "$T/$job.json" "$job" <<-'EOF' || fail "Prometheus ($job) holds exemplars the writer did not write"
	import json, sys

	def key(sample, labels):
	    return (sample, tuple(sorted((k, float(v) if k == "le" else v) for k, v in labels.items())))

	# Prometheus (2.42, and its later parsers too) keeps an exemplar's
	# label values from OpenMetrics text as they are written, escapes and
	# all (OpenMetricsParser.Exemplar does not unescape them, as Metric
	# does a series' labels); from protobuf it keeps the raw values.
	def as_stored(v):
	    if sys.argv[3] != "om":
	        return v
	    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

	written = {}
	for line in open(sys.argv[1], encoding="utf-8"):
	    e = json.loads(line)
	    x = e["exemplar"]
	    labels = {k: as_stored(v) for k, v in x["labels"].items()}
	    sample, slabels = e["sample"], e["labels"]
	    if sys.argv[3] == "pb" and sample == "mkstore_checkout_native_seconds_bucket":
	        sample, slabels = "mkstore_checkout_native_seconds", {}  # a native histogram
	    written.setdefault(key(sample, slabels), []).append(
	        (labels, float(x["value"]), x["time_ns"] // 1000000))
	n = 0
	for s in json.load(open(sys.argv[2]))["data"]:
	    labels = dict(s["seriesLabels"])
	    name = labels.pop("__name__")
	    labels.pop("job"), labels.pop("instance")
	    k = key(name, labels)
	    for x in s["exemplars"]:
	        got = (x["labels"], float(x["value"]), round(float(x["timestamp"]) * 1000))
	        if got not in written.get(k, []):
	            sys.exit("FAIL: %s: %r is none of the %d the writer wrote there (last %r)"
	                     % (k, got, len(written.get(k, [])), written.get(k, [None])[-1]))
	        n += 1
	print("ok: %s: each of the %d exemplars in Prometheus is one the writer wrote, exactly"
	      % (sys.argv[3], n))
	EOF
done

# What each Prometheus asked for, as metrics.fcgi served it.
# (lighttpd -D hands the backend's stderr on to its own.)
grep -q 'metrics as application/openmetrics-text' "$T/lighttpd.log" ||
	fail "no OpenMetrics scrape in metrics.fcgi's log"
grep -q 'metrics as application/vnd.google.protobuf' "$T/lighttpd.log" ||
	fail "no protobuf scrape in metrics.fcgi's log"
ok "one Prometheus read OpenMetrics, the other protobuf"
for job in om pb; do
	if grep -i 'exemplar' "$T/prometheus-$job.log" | grep -Ei 'level=(warn|error)' >"$T/ex-errors.txt"; then
		fail "exemplar errors in Prometheus ($job)'s log: $(head -n 3 "$T/ex-errors.txt")"
	fi
done
ok "no exemplar errors in the Prometheus logs"
