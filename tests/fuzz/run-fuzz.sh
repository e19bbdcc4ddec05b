#!/bin/sh
# SPDX-License-Identifier: MIT
# run-fuzz.sh - run the libFuzzer target tests/fuzz/fuzz_store of a
# --enable-fuzzing build (make fuzz; tests/fuzz/ci-fuzz.sh) for FUZZ_SECONDS
# (60) on the generated seed corpus plus tests/fuzz/regress/.  The working
# corpus stays in $top_builddir/tests/fuzz/corpus between runs; crash, leak
# and timeout inputs land in $top_builddir/tests/fuzz/artifacts/: copy them
# into tests/fuzz/regress/ (as NAME.store) once fixed, so make check replays
# them.  Knobs: FUZZ_SECONDS, FUZZ_MAX_LEN (65536), FUZZ_JOBS (1).
# Prints libFuzzer's final lines and "fuzz: seconds=N runs=N cov=N ft=N
# corpus=N crashes=N".  Exit 1 on a finding.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
export top_builddir
fuzzer=$top_builddir/tests/fuzz/fuzz_store
[ -x "$fuzzer" ] || { echo "FAIL: not built: $fuzzer (configure CC=clang --enable-fuzzing)" >&2; exit 1; }
seconds=${FUZZ_SECONDS:-60}
corpus=$top_builddir/tests/fuzz/corpus
art=$top_builddir/tests/fuzz/artifacts
seeds=$(mktemp -d "${TMPDIR:-/tmp}/mstore-seeds.XXXXXX")
trap 'rm -rf "$seeds"' EXIT
mkdir -p "$corpus" "$art"
sh "$top_srcdir/tests/fuzz/make-corpus.sh" "$seeds"
cp "$top_srcdir"/tests/fuzz/regress/*.store "$seeds/" 2>/dev/null || true

rc=0
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
"$fuzzer" -max_total_time="$seconds" -max_len="${FUZZ_MAX_LEN:-65536}" -timeout=10 \
	-rss_limit_mb=2048 -print_final_stats=1 -jobs="${FUZZ_JOBS:-1}" \
	-artifact_prefix="$art/" "$corpus" "$seeds" >"$seeds/fuzz.log" 2>&1 || rc=$?
tail -n 25 "$seeds/fuzz.log"
last=$(grep -E '^#[0-9]+' "$seeds/fuzz.log" | tail -n 1)
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$seeds/fuzz.log" | tail -n 1)
cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
crashes=$(ls "$art" | grep -cE '^(crash|leak|timeout|oom|slow-unit)-' || true)
echo "fuzz: seconds=$seconds runs=${runs:-?} cov=${cov:-?} ft=${ft:-?} corpus=$(ls "$corpus" | wc -l | tr -d ' ') crashes=$crashes"
if [ "$rc" != 0 ] || [ "$crashes" != 0 ]; then
	echo "FAIL: fuzzing found a problem (exit $rc); inputs in $art:" >&2
	ls -l "$art" >&2
	exit 1
fi
