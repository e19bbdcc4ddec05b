#!/bin/sh
# SPDX-License-Identifier: MIT
# ci-fuzz.sh - a short libFuzzer run for CI (.ci/run): copies the source
# tree to a scratch directory (the checkout may be configured in place),
# configures it with CC=clang --enable-fuzzing, builds the fuzz target and
# the seed writers, and runs tests/fuzz/run-fuzz.sh for FUZZ_SECONDS (45).
# Exit 77 when clang or libFuzzer is missing, 1 on a build failure or a
# finding (the crashing inputs are copied to FUZZ_ARTIFACTS, default
# /tmp/fuzz-artifacts, and listed).
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
command -v clang >/dev/null 2>&1 || { echo "SKIP: clang not installed"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/mstore-cifuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM HUP
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' >"$work/probe.c"
clang -fsanitize=fuzzer,address,undefined -o "$work/probe" "$work/probe.c" >/dev/null 2>&1 ||
	{ echo "SKIP: clang cannot link -fsanitize=fuzzer (apt-get install libclang-rt-14-dev)"; exit 77; }

# A pristine copy: tracked files plus new, not ignored ones.
mkdir -p "$work/src"
if [ -e "$src/.git" ] && command -v git >/dev/null 2>&1; then
	(cd "$src" && git ls-files -z -c -o --exclude-standard) |
		(cd "$src" && xargs -0 cp --parents -t "$work/src")
else
	cp -R "$src/." "$work/src/"
fi
cd "$work/src"
./autogen.sh >"$work/autogen.log" 2>&1 || { cat "$work/autogen.log"; exit 1; }
mkdir build
cd build
CC=clang ../configure --enable-fuzzing >"$work/configure.log" 2>&1 || { tail -n 30 "$work/configure.log"; exit 1; }
make -j2 tests/fuzz/fuzz_store tests/fuzz/mkseed tests/mkstore src/metrics-simulator \
	>"$work/make.log" 2>&1 || { tail -n 40 "$work/make.log"; exit 1; }
rc=0
FUZZ_SECONDS=${FUZZ_SECONDS:-45} top_srcdir="$work/src" top_builddir="$work/src/build" \
	sh "$work/src/tests/fuzz/run-fuzz.sh" || rc=$?
if [ "$rc" != 0 ]; then
	out=${FUZZ_ARTIFACTS:-/tmp/fuzz-artifacts}
	mkdir -p "$out"
	cp "$work/src/build/tests/fuzz/artifacts/"* "$out/" 2>/dev/null || true
	echo "fuzz artifacts copied to $out" >&2
fi
exit "$rc"
