#!/bin/sh
# SPDX-License-Identifier: MIT
# make-corpus.sh DIR - write a seed corpus of real store files into DIR.
#
#   seed-*.store      small stores from tests/fuzz/mkseed (a few KiB each:
#                     every family type, labels, escapes, a full table, 64
#                     buckets, a static store, dead writers, native
#                     histograms)
#   mkstore-*.store   tests/mkstore stores: live, static, 300 extra series
#   sim.store         metrics-simulator after a few ticks
#   cut-*.store       truncated copies (header only, at each region, half,
#                     one byte short) of the mkstore and seed stores
# Nothing here is committed: it is made from the programs of the build
# (top_builddir, default the current directory).  Prints "make-corpus: N
# files".  Exit 1 when a program fails, 77 when one is not built.
set -eu
dir=${1:?usage: make-corpus.sh DIR}
b=${top_builddir:-$(pwd)}
for p in tests/fuzz/mkseed tests/mkstore src/metrics-simulator; do
	[ -x "$b/$p" ] || { echo "SKIP: not built: $b/$p"; exit 77; }
done
mkdir -p "$dir"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mstore-corpus.XXXXXX")
pid=""
trap 'if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi; rm -rf "$tmp"' EXIT

"$b/tests/fuzz/mkseed" "$tmp" >/dev/null
for f in "$tmp"/*.store; do mv "$f" "$dir/seed-$(basename "$f")"; done

# run_writer NAME CMD...: run a writer until its store exists plus a few
# ticks, stop it with SIGTERM, keep the store.
run_writer() {
	name=$1
	shift
	"$@" >"$tmp/$name.log" 2>&1 &
	pid=$!
	i=0
	while [ ! -s "$tmp/$name.store" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	sleep 0.3
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" || { cat "$tmp/$name.log" >&2; exit 1; }
	pid=""
	[ -s "$tmp/$name.store" ] || { echo "make-corpus: $name made no store" >&2; exit 1; }
	mv "$tmp/$name.store" "$dir/$name.store"
}
run_writer mkstore-live "$b/tests/mkstore" --store "$tmp/mkstore-live.store" --interval 50
run_writer mkstore-static "$b/tests/mkstore" --store "$tmp/mkstore-static.store" --static
run_writer mkstore-series "$b/tests/mkstore" --store "$tmp/mkstore-series.store" --interval 50 --series 300
run_writer sim "$b/src/metrics-simulator" --store "$tmp/sim.store" --interval 0.05 --seed 11

for src in "$dir/mkstore-static.store" "$dir/seed-mixed.store" "$dir/seed-native.store"; do
	base=$(basename "$src" .store)
	size=$(wc -c <"$src" | tr -d ' ')
	for cut in 0 8 255 256 4096 $((size / 2)) $((size - 1)); do
		[ "$cut" -lt "$size" ] || continue
		head -c "$cut" "$src" >"$dir/cut-$base-$cut.store"
	done
done
echo "make-corpus: $(ls "$dir" | wc -l | tr -d ' ') files"
