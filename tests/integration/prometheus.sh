#!/bin/sh
# SPDX-License-Identifier: MIT
# prometheus.sh - the whole native stack against a real Prometheus: runs
# run-stack.sh (no install, no build) on free loopback ports with a 0.2 s
# simulator tick and a 1 s scrape/evaluation interval, then asks the
# Prometheus HTTP API: the target is up with no scrape error; the samples
# Prometheus scraped equal the sample lines the exporter serves; request
# rate and p99 latency are numbers; both rule groups are loaded and
# evaluate; the responder's own gauges arrive; the log has no scrape
# errors; then, with a second lighttpd (the shipped lighttpd.conf) serving
# a large static store, added to Prometheus' configuration: what
# Prometheus stored from its gzipped, streamed body (Prometheus asks for
# gzip) is exactly the samples of the uncompressed body; SIGTERM to
# run-stack.sh stops every process.  Also lints both Prometheus configs
# and the rules (promtool check / test rules).
set -eu
. "$(dirname "$0")/lib.sh"

need_cmd prometheus promtool lighttpd curl python3
SIM="$top_builddir/src/metrics-simulator"
for f in "$SIM" "$FCGI" "$MKSTORE"; do
	[ -x "$f" ] || fail "not built: $f (run make check)"
done
setup_tmp
STACK="$T/stack"
STACK_PID=""
# Upper bound for every wait below, in tenths of a second.
PATIENCE=300

# Stop run-stack.sh and, should it not manage, its children by pid file.
stop_stack() {
	[ -n "$STACK_PID" ] || return 0
	stop_pid "$STACK_PID"
	STACK_PID=""
	for f in "$STACK"/*.pid; do
		[ -f "$f" ] || continue
		kill -KILL "$(cat "$f")" 2>/dev/null || true
	done
}
# set +e: "(exit $rc)" only hands the status on to lib.sh's cleanup.
trap 'rc=$?; set +e; stop_stack; (exit $rc); cleanup' EXIT

# Fail with the stack's own logs too.
die() {
	for f in "$STACK"/log/*.log; do
		[ -f "$f" ] || continue
		echo "---- $f" >&2
		tail -n 20 "$f" >&2
	done
	fail "$@"
}

# --- static checks ----------------------------------------------------------
promtool check config "$top_srcdir/prometheus.yml" >"$T/promtool.log" 2>&1 ||
	die "promtool check config prometheus.yml: $(cat "$T/promtool.log")"
promtool check rules "$top_srcdir/rules/shop.rules.yml" >"$T/promtool.log" 2>&1 ||
	die "promtool check rules: $(cat "$T/promtool.log")"
(cd "$top_srcdir/tests/rules" && promtool test rules shop.rules.test.yml) >"$T/promtool.log" 2>&1 ||
	die "promtool test rules: $(cat "$T/promtool.log")"
ok "promtool check config, check rules, test rules"

# --- the stack ----------------------------------------------------------------
http_port=$(free_port)
prom_port=$(free_port)
while [ "$prom_port" = "$http_port" ]; do prom_port=$(free_port); done
PROM="http://127.0.0.1:$prom_port"
start_bg stack env HTTP_PORT="$http_port" PROM_PORT="$prom_port" \
	STACK_BIND=127.0.0.1 RUN_DIR="$STACK" BUILD_DIR="$top_builddir" \
	SIM_INTERVAL=0.2 SIM_FLAGS="--seed 1 -v" SCRAPE_INTERVAL=1s STACK_TAIL=0 \
	sh "$top_srcdir/run-stack.sh" --no-install --no-build
STACK_PID=$BG_PID

# poll WHAT CMD...: retry CMD every 0.1 s up to PATIENCE; the stack must live.
poll() {
	what=$1
	shift
	i=0
	until "$@" >/dev/null 2>&1; do
		kill -0 "$STACK_PID" 2>/dev/null || die "run-stack.sh exited while waiting for $what"
		i=$((i + 1))
		[ $i -lt $PATIENCE ] || die "timed out waiting for $what $(cat "$T/why" 2>/dev/null)"
		sleep 0.1
	done
}

poll "Prometheus ready" curl -fs -o /dev/null "$PROM/-/ready"
promtool check config "$STACK/prometheus.yml" >"$T/promtool.log" 2>&1 ||
	die "promtool check config on the generated native config: $(cat "$T/promtool.log")"
ok "stack up; generated native config valid"

# The pyenv shim (if any) costs seconds per start: prefer the system python.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
# promq MODE EXPR: run an instant query, print the first sample's value;
# MODE value (always succeeds), positive, number (finite) or one decides
# the exit status.  One process per query keeps polling cheap.
cat >"$T/promq.py" <<'EOF_PY'
import json, math, sys, urllib.parse, urllib.request
base, mode, expr = sys.argv[1:4]
url = base + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
with urllib.request.urlopen(url, timeout=5) as f:
    result = json.load(f)["data"]["result"]
v = result[0]["value"][1] if result else ""
print(v)
if mode == "value":
    sys.exit(0)
x = float(v) if v else math.nan
ok = {"positive": x > 0, "number": math.isfinite(x), "one": x == 1}[mode]
sys.exit(0 if ok else 1)
EOF_PY
promq() { "$PY" "$T/promq.py" "$PROM" "$@"; }
query() { promq value "$1"; }

poll "target up" promq one 'up{job="shop-exporter"}'
ok "target up"

# Samples the exporter serves now, as Prometheus counts them: the sample
# lines of the text body, but a native histogram (run-stack.sh turns them on:
# Prometheus scrapes protobuf) is one sample per series, not its classic
# lines (_bucket, _sum, _count).
NATIVE_FAMILY=shop_http_request_latency_seconds
served_samples() {
	curl -fsS -H "Accept: $PROM2_ACCEPT" "http://127.0.0.1:$http_port/metrics" >"$T/served.txt"
	echo $(($(grep -cv '^#\|^$' "$T/served.txt") - \
		$(grep -c "^${NATIVE_FAMILY}_" "$T/served.txt") + \
		$(grep -c "^${NATIVE_FAMILY}_count" "$T/served.txt")))
}
# The simulator registers every series at startup, so both numbers are
# constant once the writer is up: compare until they agree (bounded).
same_count() {
	scraped=$(query 'scrape_samples_scraped{job="shop-exporter"}')
	served=$(served_samples)
	echo "scraped=$scraped served=$served" >"$T/why"
	[ -n "$scraped" ] && [ "$scraped" = "$served" ]
}
poll "scrape_samples_scraped == served samples:" same_count
ok "scrape_samples_scraped equals served samples ($(cat "$T/why"))"
rm -f "$T/why"

poll "request rate" promq positive 'sum(rate(shop_http_requests_total[5s]))'
poll "p99 latency" promq number \
	'histogram_quantile(0.99, sum by (le) (rate(shop_http_request_duration_seconds_bucket[5s])))'
ok "rate $(query 'sum(rate(shop_http_requests_total[5s]))') req/s," \
	"p99 $(query 'histogram_quantile(0.99, sum by (le) (rate(shop_http_request_duration_seconds_bucket[5s])))') s"
poll "writer up" promq one 'mstore_exporter_writer_up{job="shop-exporter"}'
poll "process metrics" promq positive 'process_start_time_seconds{job="shop-exporter"}'
ok "responder and process gauges ingested"

# Both groups loaded and every rule evaluated without error.
rules_ok() {
	curl -fsS "$PROM/api/v1/rules" | "$PY" -c 'import json, sys
groups = {g["name"]: g for g in json.load(sys.stdin)["data"]["groups"]}
assert {"shop.recording", "shop.alerts"} <= set(groups), groups.keys()
for g in groups.values():
    for r in g["rules"]:
        assert r["health"] == "ok", (r["name"], r["health"], r.get("lastError"))
'
}
poll "rules loaded and healthy" rules_ok
poll "recording rule output" promq positive 'sum(status:shop_http_requests:rate1m)'
ok "rule groups shop.recording and shop.alerts evaluate"

curl -fsS "$PROM/api/v1/targets" | "$PY" -c 'import json, sys
for t in json.load(sys.stdin)["data"]["activeTargets"]:
    if t["labels"]["job"] == "shop-exporter":
        assert t["health"] == "up" and t["lastError"] == "", t
        assert t["labels"]["service"] == "exporter", t["labels"]
' || die "shop-exporter target reports an error"
if grep -i 'scrape' "$STACK/log/prometheus.log" | grep -Ei 'level=(warn|error)' >"$T/scrape-errors.txt"; then
	die "scrape errors in the Prometheus log: $(head -n 3 "$T/scrape-errors.txt")"
fi
ok "no scrape errors (targets API, Prometheus log)"

# --- a large static store, gzipped: what Prometheus stores is the body ----------
# GZIP_SERIES series (lib.sh): 3.7 MB of text, streamed as two pieces of
# gzip.  Static, so the values Prometheus stored are the ones any render
# shows.
big="$T/big"
mkdir -p "$big/state" "$big/log" "$big/www" "$big/store"
[ "$(id -u)" != 0 ] || chown www-data:www-data "$big/state" "$big/log"
chmod 755 "$big/www" "$big/store"
start_writer "$big/store/metrics.store" --static --series "$GZIP_SERIES"
wait_for "$GZIP_SERIES series" sh -c "env METRICS_STORE='$big/store/metrics.store' \
    REQUEST_METHOD=GET PATH_INFO=/metrics '$FCGI' </dev/null |
    grep -q 'series-$((GZIP_SERIES - 1))\"'"
big_port=$(free_port)
start_bg biglighttpd env METRICS_HTTP_PORT="$big_port" METRICS_HTTP_BIND=127.0.0.1 \
	METRICS_FCGI="$FCGI" METRICS_STORE="$big/store/metrics.store" \
	METRICS_STATE_DIR="$big/state" METRICS_LOG_DIR="$big/log" METRICS_DOCROOT="$big/www" \
	lighttpd -D -f "$top_srcdir/lighttpd.conf"
wait_for "lighttpd on port $big_port" port_open "$big_port"
curl -fsS -o "$T/bigz.body" -D "$T/bigz.hdr" -H "Accept: $PROM2_ACCEPT" \
	-H "Accept-Encoding: $PROM_ACCEPT_ENCODING" "http://127.0.0.1:$big_port/metrics" ||
	die "GET the large store"
assert_eq "$(hdr bigz Content-Encoding)" gzip "Content-Encoding for Prometheus' headers"
assert_streamed bigz
cat >>"$STACK/prometheus.yml" <<EOF_YML
  - job_name: gzip-static
    scrape_interval: 2s
    scrape_timeout: 2s
    static_configs:
      - targets: ['127.0.0.1:$big_port']
EOF_YML
promtool check config "$STACK/prometheus.yml" >"$T/promtool.log" 2>&1 ||
	die "promtool check config with the gzip-static job: $(cat "$T/promtool.log")"
kill -HUP "$(cat "$STACK/prometheus.pid")"
poll "gzip-static target up" promq one 'up{job="gzip-static"}'
# the render Prometheus' samples are compared with: the format it asks
# for (CGI), the responder's own samples left out (they change per scrape)
cgi_body "$big/store/metrics.store" "$T/big.om" "$PROM2_ACCEPT"
want=$(app_samples "$T/big.om" | grep -cv '^#\|^$')
stored_all() {
	got=$(query 'scrape_samples_scraped{job="gzip-static"}')
	echo "scraped=$got, own samples included; body=$want without them" >"$T/why"
	[ -n "$got" ] && [ "$got" -gt "$want" ]
}
poll "the large store scraped whole:" stored_all
curl -fsS -G --data-urlencode 'match[]={job="gzip-static"}' "$PROM/federate" >"$T/federated.txt" ||
	die "federate the gzip-static job"
"$PY" - "$T/federated.txt" "$T/big.om" >"$T/compare.out" 2>&1 <<'EOF_PY' ||
import math, sys
from prometheus_client.parser import text_string_to_metric_families as text_parse
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_parse

# federate: the series as stored (text format, with job and instance, the
# scrape's own series, and the rules' output of this job, which keeps its
# job label (a static store this large is nearly full, so the store alerts
# may be pending); the body: OpenMetrics, as Prometheus read it
def samples(parse, path, drop):
    out = {}
    for fam in parse(open(path).read()):
        for s in fam.samples:
            # the scrape's own series, and the rules' output (which keeps
            # the job label): not samples of the body
            if (s.name.startswith(("mstore_exporter_", "scrape_", "ALERTS"))
                    or s.name == "up" or ":" in s.name):
                continue
            key = (s.name, tuple(sorted((k, v) for k, v in s.labels.items() if k not in drop)))
            out[key] = s.value
    return out

stored = samples(text_parse, sys.argv[1], {"job", "instance"})
body = samples(om_parse, sys.argv[2], set())
same = lambda a, b: a == b or (math.isnan(a) and math.isnan(b))
missing = [k for k in body if k not in stored]
extra = [k for k in stored if k not in body]
differ = [k for k in body if k in stored and not same(body[k], stored[k])]
print("body %d samples, stored %d; missing %d, extra %d, different %d: %s"
      % (len(body), len(stored), len(missing), len(extra), len(differ),
         (missing + extra + differ)[:3]))
sys.exit(1 if missing or extra or differ or not body else 0)
EOF_PY
	die "Prometheus stored other samples than the body: $(cat "$T/compare.out")"
ok "gzip, streamed ($(size_of "$T/bigz.body") bytes): Prometheus stored exactly the body's samples ($(cat "$T/compare.out"))"

# --- shutdown ---------------------------------------------------------------------
children=$(cat "$STACK"/*.pid)
pid=$STACK_PID
STACK_PID=""
stop_pid "$pid"
assert_eq "$STOP_STATUS" 0 "run-stack.sh exit status after SIGTERM"
for c in $children; do
	! kill -0 "$c" 2>/dev/null || die "process $c still running after run-stack.sh stopped"
done
grep -q 'stopped by signal' "$STACK/log/simulator.log" || die "simulator did not stop cleanly"
ok "SIGTERM stops the stack"
