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
# with negative observations (OpenMetrics leaves it out).  The store's
# native histograms (test_native_*) must be stored as native histograms,
# not as the classic samples the text body shows of them, and PromQL over
# them must agree with what expo_dump observed: histogram_count and
# histogram_sum exactly (NaN for the one that observed NaN), and
# histogram_quantile over the schema-3 latency within the schema's
# relative error (a factor of 2^(1/8)) of the observed quantile.  Takes
# about ten seconds.
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
"$DUMP" --store "$STORE" "$T/native.txt" || fail "expo_dump --store failed"
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
"$PY" - "$T/text.body" "$T/stored.json" "$T/native.txt" <<'EOF_PY'
import json, math, sys
from prometheus_client.parser import text_string_to_metric_families

# The responder's own samples that change from scrape to scrape.
VARYING = {"mstore_exporter_scrapes_total", "mstore_exporter_store_age_seconds"}
SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
             "scrape_samples_post_metric_relabeling", "scrape_series_added"}
# Native histograms: stored as such; the text body shows their classic part.
NATIVE = "test_native_"


def key(name, labels):
    return (name, tuple(sorted((k, float(v) if k == "le" else v) for k, v in labels.items())))


native = set(line.split()[1] for line in open(sys.argv[3]) if line.startswith("series "))
text = {}
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in fam.samples:
        if s.name not in VARYING and not s.name.startswith(NATIVE):
            text[key(s.name, s.labels)] = float(s.value)
stored, les, stored_native = {}, set(), set()
for r in json.load(open(sys.argv[2]))["data"]["result"]:
    m = dict(r["metric"])
    name = m.pop("__name__")
    m.pop("job"), m.pop("instance")
    if name in VARYING or name in SYNTHETIC:
        continue
    if name.startswith(NATIVE):
        if "histogram" not in r:
            sys.exit("FAIL: %s%s stored as a float sample, not a native histogram" % (name, m))
        stored_native.add(name)
        continue
    if "le" in m:
        les.add(m["le"])
    stored[key(name, m)] = float(r["value"][1])
if stored_native != native:
    sys.exit("FAIL: native histograms stored %s, want %s" % (sorted(stored_native), sorted(native)))
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
print("ok: Prometheus stored the %d samples of the text body, as protobuf, and %d native "
      "histograms" % (len(stored), len(native)))
EOF_PY

# PromQL over the native histograms against what expo_dump observed.
"$PY" - "$PROM" "$T/native.txt" <<'EOF_PY'
import json, math, sys, urllib.parse, urllib.request

prom, values_file = sys.argv[1], sys.argv[2]
LATENCY, SCHEMA, QUANTILES = "test_native_latency_seconds", 3, (0.5, 0.9, 0.99)


def query(expr):
    url = prom + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url) as f:
        result = json.load(f)["data"]["result"]
    if len(result) != 1:
        sys.exit("FAIL: %s: %d results" % (expr, len(result)))
    return float(result[0]["value"][1])


series, cur = {}, None
for line in open(values_file):
    if line.startswith("series "):
        cur = series.setdefault(line.split()[1], [])
    elif line.strip():
        cur.append(float.fromhex(line) if "nan" not in line and "inf" not in line
                   else float(line))
checked = 0
for name, vals in sorted(series.items()):
    total = 0.0
    for v in vals:  # in order, as the writer added them
        total += v
    count, got_sum = query("histogram_count(%s)" % name), query("histogram_sum(%s)" % name)
    if count != len(vals):
        sys.exit("FAIL: histogram_count(%s) = %r, observed %d" % (name, count, len(vals)))
    if not (got_sum == total or (math.isnan(got_sum) and math.isnan(total))):
        sys.exit("FAIL: histogram_sum(%s) = %r, observed %r" % (name, got_sum, total))
    checked += 2
growth = 2 ** (2.0 ** -SCHEMA)
vals = sorted(series[LATENCY])
for q in QUANTILES:
    want = vals[math.ceil(q * len(vals)) - 1]
    got = query("histogram_quantile(%g, %s)" % (q, LATENCY))
    if not (want / growth <= got <= want * growth):
        sys.exit("FAIL: histogram_quantile(%g, %s) = %r, observed %r: beyond a factor of %g"
                 % (q, LATENCY, got, want, growth))
    checked += 1
print("ok: %d PromQL results over native histograms as observed (quantiles within %.1f %%)"
      % (checked, 100 * (growth - 1)))
EOF_PY

if grep -i 'scrape' "$T/prometheus.log" | grep -Ei 'level=(warn|error)' >"$T/scrape-errors.txt"; then
	fail "scrape errors in the Prometheus log: $(head -n 3 "$T/scrape-errors.txt")"
fi
ok "no scrape errors in the Prometheus log"
