#!/bin/sh
# SPDX-License-Identifier: MIT
# smoke.sh - make check's quick look at metrics-bench: render, update, procs,
# restarts and populate run on tiny inputs and print their keys (procs: the
# 4 processes' totals exact).  Asserts no timing at
# all (that is what `make bench` and doc/performance.md are for).
set -u

bench="${top_builddir:-.}/src/metrics-bench"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-smoke.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0

# expect FILE KEY...: every KEY appears as "KEY value" in FILE
expect() {
	file=$1
	shift
	for key in "$@"; do
		if ! grep -q "^$key [^ ]" "$file"; then
			echo "FAIL: no '$key' in the output:" >&2
			cat "$file" >&2
			fail=1
		fi
	done
}

if ! "$bench" render 100 5 >"$tmp/render" 2>"$tmp/err"; then
	echo "FAIL: metrics-bench render 100 5" >&2
	cat "$tmp/err" >&2
	fail=1
fi
expect "$tmp/render" render_median_us render_min_us render_p90_us body_bytes \
	samples allocs_per_render
grep -q '^samples 340$' "$tmp/render" || { echo "FAIL: samples != 340" >&2; fail=1; }

if ! "$bench" render 10 3 openmetrics >"$tmp/om" 2>"$tmp/err"; then
	echo "FAIL: metrics-bench render 10 3 openmetrics" >&2
	cat "$tmp/err" >&2
	fail=1
fi
expect "$tmp/om" render_median_us body_bytes
if ! "$bench" render 10 protobuf >"$tmp/pb" 2>"$tmp/err"; then
	echo "FAIL: metrics-bench render 10 protobuf" >&2
	cat "$tmp/err" >&2
	fail=1
fi
expect "$tmp/pb" render_median_us body_bytes allocs_per_render
if ! "$bench" render 100 3 protobuf native >"$tmp/nat" 2>"$tmp/err"; then
	echo "FAIL: metrics-bench render 100 3 protobuf native" >&2
	cat "$tmp/err" >&2
	fail=1
fi
expect "$tmp/nat" render_median_us body_bytes allocs_per_render
# the native family's 10 series: +Inf, _sum and _count each in text
grep -q '^samples 370$' "$tmp/nat" || { echo "FAIL: native samples != 370" >&2; fail=1; }

if ! "$bench" update 1000 1 >"$tmp/update" 2>"$tmp/err"; then
	echo "FAIL: metrics-bench update 1000 1" >&2
	cat "$tmp/err" >&2
	fail=1
fi
expect "$tmp/update" counter_inc_ns gauge_set_ns hist_observe_ns native_observe_ns \
	counter_inc_2t_ns gauge_set_2t_ns hist_observe_2t_ns native_observe_2t_ns \
	counter_inc_exemplar_ns hist_observe_exemplar_ns
grep -Eq '^update_allocs (0|-1)$' "$tmp/update" ||
	{ echo "FAIL: the update paths allocated: $(grep update_allocs "$tmp/update")" >&2; fail=1; }
grep -q '^hist_2t_consistent 1$' "$tmp/update" && grep -q '^native_2t_consistent 1$' "$tmp/update" ||
	{ echo "FAIL: hist_2t_consistent or native_2t_consistent is not 1" >&2; fail=1; }

if ! "$bench" procs 1000 1 >"$tmp/procs" 2>"$tmp/err"; then
	echo "FAIL: metrics-bench procs 1000 1" >&2
	cat "$tmp/err" >&2
	fail=1
fi
expect "$tmp/procs" counter_inc_4p_ns hist_observe_4p_ns
grep -q '^counter_4p_exact 1$' "$tmp/procs" && grep -q '^hist_4p_consistent 1$' "$tmp/procs" ||
	{ echo "FAIL: 4 processes: counter not exact or histogram inconsistent" >&2; fail=1; }

if ! "$bench" restarts 10 3 >"$tmp/restarts" 2>"$tmp/err"; then
	echo "FAIL: metrics-bench restarts 10 3" >&2
	cat "$tmp/err" >&2
	fail=1
fi
[ "$(grep -c '^render_median_us' "$tmp/restarts")" = 4 ] ||
	{ echo "FAIL: restarts: want 4 renders" >&2; fail=1; }

if ! "$bench" populate 10 "$tmp/store" >"$tmp/populate" 2>"$tmp/err" ||
   ! test -s "$tmp/store"; then
	echo "FAIL: metrics-bench populate 10" >&2
	cat "$tmp/err" >&2
	fail=1
fi

# bad usage must fail
if "$bench" render 0 >/dev/null 2>&1 || "$bench" bogus >/dev/null 2>&1; then
	echo "FAIL: bad usage accepted" >&2
	fail=1
fi
exit $fail
