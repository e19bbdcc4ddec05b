#!/bin/sh
# SPDX-License-Identifier: MIT
# expo-validate.sh - the renderer's output must pass the real parsers:
#   text 0.0.4   -> promtool check metrics (parse + lint, must be clean)
#   OpenMetrics  -> prometheus_client.openmetrics.parser (strict: metadata
#                   order, _total, le canonical, +Inf == _count, # EOF,
#                   exemplars only on _total and _bucket, 128 characters)
#   protobuf     -> protoc with Debian's metrics.proto, and every sample
#                   as the text rendering has it; the native histograms
#                   expo_dump adds (built by src/nhist.c) exactly their
#                   observations, bucketed with exact integer arithmetic
#                   (tests/protobuf_check.py); its exemplars those of the
#                   OpenMetrics body (labels, value, time to the ns)
# Text 0.0.4 has none.  tests/expo_dump builds a store with every metric kind and renders it.
# Exits 77 (skipped) when no checker is installed.
set -u

builddir=${top_builddir:-.}
srcdir=${top_srcdir:-.}
dump="$builddir/tests/expo_dump"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/expo-validate.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
checked=0
failed=0

fail() {
	echo "FAIL: $*" >&2
	failed=1
}

"$dump" text >"$tmp/text.txt" || { echo "expo_dump text failed" >&2; exit 99; }
"$dump" openmetrics >"$tmp/om.txt" || { echo "expo_dump openmetrics failed" >&2; exit 99; }

if command -v promtool >/dev/null 2>&1; then
	if promtool check metrics <"$tmp/text.txt" >"$tmp/promtool.out" 2>&1; then
		echo "ok: promtool check metrics"
	else
		cat "$tmp/promtool.out" >&2
		fail "promtool check metrics"
	fi
	checked=$((checked + 1))
else
	echo "promtool not found: text format not checked"
fi

# The python with prometheus_client may not be the first python3 on PATH.
py=
for cand in python3 /usr/bin/python3; do
	if command -v "$cand" >/dev/null 2>&1 &&
	   "$cand" -c 'import prometheus_client.openmetrics.parser' 2>/dev/null; then
		py=$cand
		break
	fi
done
if [ -n "$py" ]; then
	if "$py" - "$tmp/om.txt" <<'EOF'
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
text = open(sys.argv[1], encoding="utf-8").read()
fams = {f.name: f for f in text_string_to_metric_families(text)}
# A few facts the dump guarantees, read back through the parser.
assert fams["shop_orders"].type == "counter", fams["shop_orders"].type
assert fams["shop_retries"].samples[0].name == "shop_retries_total"
assert fams["shop_retries"].documentation == "(no help text registered)"
assert fams["room_temperature_celsius"].unit == "celsius"
assert fams["room_temperature_celsius"].documentation == 'Temperature in "C" \\ per\nroom.'
h = fams["http_request_duration_seconds"]
count = [s for s in h.samples if s.name.endswith("_count")][0].value
assert count == 100, count
les = [s.labels["le"] for s in h.samples if s.name.endswith("_bucket")]
assert les[-1] == "+Inf" and "1.0" in les and "0.005" in les, les
assert not [s for s in fams["room_delta_celsius"].samples if s.name.endswith("_sum")]
assert fams["mstore_exporter_writer_up"].samples[0].value == 1
# Exemplars: a counter's, buckets' (+Inf too), escapes, the empty label
# set, 128 characters of 4 bytes each; none on a bucket the dump left bare.
ex = {(s.name, s.labels.get("method"), s.labels.get("le")): s.exemplar
      for f in ("shop_checkouts", "shop_checkout_duration_seconds")
      for s in fams[f].samples}
e = ex[("shop_checkouts_total", "GET", None)]
assert e.labels == {"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
                    "span_id": "00f067aa0ba902b7"}, e
assert e.value == 3 and (e.timestamp.sec, e.timestamp.nsec) == (1712345678, 123456789), e
e = ex[("shop_checkouts_total", "POST", None)]
assert e.labels == {"traceID": 'a"b\\c\nd', "q": "caf\u00e9 { # =,"}, e.labels
assert ex[("shop_checkouts_total", "PUT", None)].labels == {}
assert ex[("shop_checkouts_total", "DELETE", None)] is None
assert ex[("shop_checkout_duration_seconds_bucket", "GET", "0.5")] is None
e = ex[("shop_checkout_duration_seconds_bucket", "GET", "1.0")]
assert e.labels == {"t": "\U0001f370" * 127} and e.value == 1, e
assert ex[("shop_checkout_duration_seconds_bucket", "GET", "+Inf")].value == 7
print("ok: OpenMetrics parser,", len(fams), "families, exemplars as written")
EOF
	then
		:
	else
		fail "python OpenMetrics parser"
	fi
	checked=$((checked + 1))
else
	echo "python3 prometheus_client not found: OpenMetrics not checked"
fi

# Text 0.0.4 has no exemplars (the dump's label values hold no " # {").
if grep -q ' # {' "$tmp/text.txt"; then
	fail "an exemplar in the text format"
fi

# Text format through the python text parser too (lenient, but a parse
# error is still an error).
if [ -n "$py" ]; then
	"$py" -c '
import sys
from prometheus_client.parser import text_string_to_metric_families
n = len(list(text_string_to_metric_families(open(sys.argv[1]).read())))
print("ok: python text parser,", n, "families")' "$tmp/text.txt" || fail "python text parser"
fi

# Protobuf through protoc (skipped, 77, without protoc or metrics.proto).
if [ -n "$py" ]; then
	"$dump" protobuf "$tmp/native.txt" >"$tmp/body.pb" ||
		{ echo "expo_dump protobuf failed" >&2; exit 99; }
	"$py" "$srcdir/tests/protobuf_check.py" compare "$tmp/body.pb" "$tmp/text.txt" \
		"$tmp/native.txt"
	case $? in
	0) checked=$((checked + 1)) ;;
	77) echo "protoc or metrics.proto not found: protobuf not checked" ;;
	*) fail "protobuf decoded by protoc" ;;
	esac
	"$py" "$srcdir/tests/protobuf_check.py" exemplars "$tmp/body.pb" "$tmp/om.txt"
	case $? in
	0 | 77) ;;
	*) fail "exemplars differ between protobuf and OpenMetrics" ;;
	esac
fi

[ "$failed" -eq 0 ] || exit 1
[ "$checked" -gt 0 ] || exit 77
exit 0
