#!/bin/sh
# SPDX-License-Identifier: MIT
# checkbody-test.sh - the body checker of the reliability tests must accept
# good bodies and catch every kind of bad one it claims to: otherwise torn.sh
# and crash.sh would pass vacuously.  Each case is a small body and the
# verdict checkbody.py must give.
# Prints: "checkbody-test: N cases".
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/reliability/common.sh"

need_python_om
setup_tmp
n=0

# expect VERDICT(good|bad) FORMAT NAME BODY: queue BODY for the checker.
expect() {
	mkdir -p "$T/$2"
	printf '%s' "$4" >"$T/$2/$1-$3.body"
}

NL='
'
good_text='# HELP a_total Requests, with \\ and \n escapes.
# TYPE a_total counter
a_total{m="GET",v="q\"uo\\te\nx"} 3
a_total{m="POST",v="caf'"$(printf '\303\251')"'"} 1e+06
# TYPE g gauge
g -Inf
# HELP h_seconds Latency.
# TYPE h_seconds histogram
h_seconds_bucket{le="0.5"} 1
h_seconds_bucket{le="1"} 2
h_seconds_bucket{le="+Inf"} 2
h_seconds_sum 1.25
h_seconds_count 2
# TYPE hammer_pair_seconds histogram
hammer_pair_seconds_bucket{le="0.5"} 2
hammer_pair_seconds_bucket{le="1"} 2
hammer_pair_seconds_bucket{le="2"} 2
hammer_pair_seconds_bucket{le="+Inf"} 5
hammer_pair_seconds_sum 12.5
hammer_pair_seconds_count 5
'
expect good text text-good "$good_text"
expect good openmetrics om-good '# TYPE a counter
# HELP a Requests.
a_total{m="GET"} 3
# TYPE h_seconds histogram
# UNIT h_seconds seconds
h_seconds_bucket{le="1.0"} 2
h_seconds_bucket{le="+Inf"} 3
h_seconds_sum 2.5
h_seconds_count 3
# EOF
'
# Buckets not cumulative, not sorted, +Inf != _count, +Inf missing.
expect bad text not-cumulative "$(echo "$good_text" | sed 's/h_seconds_bucket{le="1"} 2/h_seconds_bucket{le="1"} 0/')$NL"
expect bad text not-sorted '# TYPE h histogram
h_bucket{le="1"} 1
h_bucket{le="0.5"} 1
h_bucket{le="+Inf"} 1
h_sum 1
h_count 1
'
expect bad text inf-ne-count "$(echo "$good_text" | sed 's/h_seconds_count 2/h_seconds_count 3/')$NL"
expect bad text no-inf '# TYPE h histogram
h_bucket{le="1"} 1
h_sum 1
h_count 1
'
# A torn hammer histogram: _sum from another moment than the buckets.
expect bad text torn-sum "$(echo "$good_text" | sed 's/hammer_pair_seconds_sum 12.5/hammer_pair_seconds_sum 16.5/')$NL"
# Syntax: bad escape, unterminated label, no value, junk line, bad value,
# missing final newline, duplicate series, bad TYPE, split family.
expect bad text bad-escape 'a{x="\t"} 1
'
expect bad text unterminated 'a{x="y} 1
'
expect bad text no-value 'a{x="y"}
'
expect bad text junk 'hello world !
'
expect bad text bad-value 'a 1.2.3
'
expect bad text no-newline 'a 1'
expect bad text duplicate 'a{x="1"} 1
a{x="1"} 2
'
expect bad text bad-type '# TYPE a countr
a 1
'
expect bad text split-family '# TYPE a gauge
a{x="1"} 1
# TYPE b gauge
b 1
a{x="2"} 1
'
expect bad text help-after-samples 'a 1
# HELP a late
'
expect bad text negative-counter '# TYPE a_total counter
a_total -1
'
expect bad text empty ''
# OpenMetrics: no # EOF, counter without _total, bad bucket order.
expect bad openmetrics om-no-eof '# TYPE a counter
a_total 1
'
expect bad openmetrics om-bad-counter '# TYPE a counter
a 1
# EOF
'
expect bad openmetrics om-inf-ne-count '# TYPE h histogram
h_bucket{le="1.0"} 1
h_bucket{le="+Inf"} 2
h_sum 1
h_count 3
# EOF
'
# --churn (tests/reliability/churner.c): each series shows its own id's
# values (id 7-1: level 875792, weight 17; id 7-2: 208649, 10).
churn_ok='# TYPE churn_level gauge
churn_level{worker="0",id="7-1"} 875792
churn_level{worker="0",id="7-2"} 0
# TYPE churn_seconds histogram
churn_seconds_bucket{worker="0",id="7-1",le="8"} 0
churn_seconds_bucket{worker="0",id="7-1",le="+Inf"} 2
churn_seconds_sum{worker="0",id="7-1"} 34
churn_seconds_count{worker="0",id="7-1"} 2
'
expect good text churn-good "$churn_ok"
expect bad text churn-other-value "$(echo "$churn_ok" | sed 's/"7-1"} 875792/"7-1"} 208649/')$NL"
expect bad text churn-other-weight "$(echo "$churn_ok" | sed 's/_sum{worker="0",id="7-1"} 34/_sum{worker="0",id="7-1"} 20/')$NL"

# --monotonic over two scrapes: a sequence of files sharing one checker.
printf '# TYPE a_total counter\na_total 5\n' >"$T/text/bad-down.1.body"
printf '# TYPE a_total counter\na_total 4\n' >"$T/text/bad-down.2.body"
printf '# TYPE a_total counter\na_total 4\n' >"$T/text/good-up.1.body"
printf '# TYPE a_total counter\na_total 5\n' >"$T/text/good-up.2.body"
# one writer process's counter (writer label) restarts with its process
printf '# TYPE c_total counter\nc_total{writer="1"} 9\n' >"$T/text/good-restart.1.body"
printf '# TYPE c_total counter\nc_total{writer="1"} 2\n' >"$T/text/good-restart.2.body"

for fmt in text openmetrics; do
	"$PY" "$REL/checkbody.py" --expect-from-name --hammer --churn --monotonic --format "$fmt" \
		"$T/$fmt"/*.body >"$T/$fmt.out" 2>&1 || { cat "$T/$fmt.out" >&2; fail "$fmt verdicts"; }
	cat "$T/$fmt.out"
	n=$((n + $(sed -n 's/.*cases=\([0-9]*\).*/\1/p' "$T/$fmt.out")))
done
echo "checkbody-test: $n cases"
