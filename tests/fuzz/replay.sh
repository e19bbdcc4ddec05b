#!/bin/sh
# SPDX-License-Identifier: MIT
# replay.sh - the fuzz target's checks in an ordinary build (make check):
# tests/fuzz/fuzz_replay runs the generated seed corpus (make-corpus.sh),
# every reproducer kept in tests/fuzz/regress/, and a fixed set of hostile
# variants of the small seeds (--mutate: header, record, string and value
# words overwritten, cuts at every region boundary) through open, validate,
# iterate, snapshot, render (every format), shrink + refresh.
# FUZZ_CORPUS (a directory) adds a libFuzzer corpus to the replay.
# Knobs: RELIABILITY_LONG=1 mutates every seed, not only three.
# Prints fuzz_replay's "N inputs, N variants" lines.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
export top_builddir
replay=$top_builddir/tests/fuzz/fuzz_replay
[ -x "$replay" ] || { echo "FAIL: not built: $replay" >&2; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/mstore-replay.XXXXXX")
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

sh "$top_srcdir/tests/fuzz/make-corpus.sh" "$T/corpus"
"$replay" "$T/corpus" "$top_srcdir/tests/fuzz/regress" ${FUZZ_CORPUS:+"$FUZZ_CORPUS"}
if [ "${RELIABILITY_LONG:-0}" = 1 ]; then
	"$replay" --mutate "$T/corpus"
else
	"$replay" --mutate "$T/corpus/seed-mixed.store" "$T/corpus/seed-buckets.store" \
		"$T/corpus/seed-native.store" "$T/corpus/seed-exemplars.store" \
		"$T/corpus/seed-removed.store" "$T/corpus/seed-reused.store"
fi
