#!/bin/sh
# SPDX-License-Identifier: MIT
# prometheus-proto.sh - a real Prometheus scrapes metrics.fcgi through
# lighttpd in the protobuf format and stores exactly what the text format
# says.  Debian's Prometheus 2.42 with --enable-feature=native-histograms
# asks for protobuf first; it scrapes a static store of every metric kind
# (tests/expo_dump --store: special values, escapes, negative bounds and
# sums) once a second.  Then every sample of the text body (but the
# responder's own that change per scrape) must be in Prometheus with the
# same value, and nothing else under the job; bucket bounds compare as
# numbers (Prometheus 2 writes a protobuf bound as le="1.0", text has
# le="1").  That protobuf, not OpenMetrics, was what Prometheus took shows
# twice: le="1.0" (text 0.0.4 would give le="1") and a _sum of a histogram
# with negative observations (OpenMetrics leaves it out).  Takes about
# five seconds.
set -eu
. "$(dirname "$0")/lib.sh"

need_cmd prometheus lighttpd curl
DUMP="$top_builddir/tests/expo_dump"
[ -x "$DUMP" ] || fail "not built: $DUMP (run make check)"
[ -x "$FCGI" ] || fail "not built: $FCGI (run make check)"
"$PY" -c 'import prometheus_client.parser' 2>/dev/null || skip "python3-prometheus-client not installed"
setup_tmp
mkdir -p "$T/state" "$T/log" "$T/www" "$T/store" "$T/prom"
STORE="$T/store/metrics.store"
"$DUMP" --store "$STORE" || fail "expo_dump --store failed"
if [ "$(id -u)" = 0 ]; then
	# lighttpd drops to www-data (see lighttpd.conf) before spawning
	chown -R www-data:www-data "$T/state" "$T/log" "$T/store"
fi
chmod 755 "$T/www" "$T/store"
chmod 644 "$STORE"

port=$(free_port)
prom_port=$(free_port)
while [ "$prom_port" = "$port" ]; do prom_port=$(free_port); done
export METRICS_HTTP_PORT="$port" METRICS_HTTP_BIND=127.0.0.1
export METRICS_FCGI="$FCGI" METRICS_STORE="$STORE"
export METRICS_STATE_DIR="$T/state" METRICS_LOG_DIR="$T/log" METRICS_DOCROOT="$T/www"
unset METRICS_STALE_AFTER METRICS_FCGI_FLAGS METRICS_USER METRICS_GROUP || true
start_bg lighttpd lighttpd -D -f "$top_srcdir/lighttpd.conf"
wait_for "lighttpd on port $port" port_open "$port"

cat >"$T/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: proto
    static_configs:
      - targets: ['127.0.0.1:$port']
EOF
start_bg prometheus prometheus --config.file="$T/prometheus.yml" \
	--storage.tsdb.path="$T/prom" --web.listen-address="127.0.0.1:$prom_port" \
	--enable-feature=native-histograms
PROM="http://127.0.0.1:$prom_port"

# promq EXPR: the query's result as JSON on stdout.
promq() {
	curl -fsS "$PROM/api/v1/query" --data-urlencode "query=$1"
}
# Two scrapes stored: the second is one of a running scrape loop.
scraped_twice() {
	promq 'count_over_time(up{job="proto"}[1m])' | "$PY" -c 'import json, sys
r = json.load(sys.stdin)["data"]["result"]
sys.exit(0 if r and float(r[0]["value"][1]) >= 2 else 1)'
}
i=0
until scraped_twice 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 300 ] || fail "Prometheus stored no two scrapes in 30 s"
	sleep 0.1
done
[ "$(promq 'up{job="proto"}' | "$PY" -c 'import json, sys
print(json.load(sys.stdin)["data"]["result"][0]["value"][1])')" = 1 ] ||
	fail "target not up: $(curl -fsS "$PROM/api/v1/targets")"
ok "Prometheus 2.42 scraped metrics.fcgi twice"

fetch text "http://127.0.0.1:$port/metrics" -H 'Accept: text/plain;version=0.0.4'
promq '{job="proto"}' >"$T/stored.json"
"$PY" - "$T/text.body" "$T/stored.json" <<'EOF_PY'
import json, math, sys
from prometheus_client.parser import text_string_to_metric_families

# The responder's own samples that change from scrape to scrape.
VARYING = {"mstore_exporter_scrapes_total", "mstore_exporter_store_age_seconds"}
SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
             "scrape_samples_post_metric_relabeling", "scrape_series_added"}


def key(name, labels):
    return (name, tuple(sorted((k, float(v) if k == "le" else v) for k, v in labels.items())))


text = {}
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in fam.samples:
        if s.name not in VARYING:
            text[key(s.name, s.labels)] = float(s.value)
stored, les = {}, set()
for r in json.load(open(sys.argv[2]))["data"]["result"]:
    m = dict(r["metric"])
    name = m.pop("__name__")
    m.pop("job"), m.pop("instance")
    if name in VARYING or name in SYNTHETIC:
        continue
    if "le" in m:
        les.add(m["le"])
    stored[key(name, m)] = float(r["value"][1])
for k in sorted(set(text) | set(stored), key=repr):
    t, p = text.get(k), stored.get(k)
    if t is None or p is None:
        sys.exit("FAIL: %s only in %s" % (k, "Prometheus" if t is None else "the text body"))
    if not (t == p or (math.isnan(t) and math.isnan(p))):
        sys.exit("FAIL: %s: text %r, Prometheus %r" % (k, t, p))
# protobuf, not text 0.0.4 (le="1") and not OpenMetrics (no _sum for a
# histogram with negative observations)
if "1.0" not in les or "1" in les:
    sys.exit("FAIL: le values %s: not scraped as protobuf" % sorted(les))
if ("shop_refund_euros_sum", ()) not in stored:
    sys.exit("FAIL: no shop_refund_euros_sum: not scraped as protobuf")
print("ok: Prometheus stored the %d samples of the text body, as protobuf" % len(stored))
EOF_PY

if grep -i 'scrape' "$T/prometheus.log" | grep -Ei 'level=(warn|error)' >"$T/scrape-errors.txt"; then
	fail "scrape errors in the Prometheus log: $(head -n 3 "$T/scrape-errors.txt")"
fi
ok "no scrape errors in the Prometheus log"
