#!/bin/sh
# SPDX-License-Identifier: MIT
# names-prop.sh - the naming property test (issue 21): whatever set of
# families the library accepts renders, in every format, to bodies that
# the real parsers accept:
#   text 0.0.4    -> promtool check metrics (parse and lint, clean) and
#                    prometheus_client's text parser
#   OpenMetrics   -> prometheus_client's strict OpenMetrics parser, and the
#                    same samples as the text body, and exactly the
#                    exemplars the library kept (names_prop_check.py)
#   protobuf      -> protoc with Debian's metrics.proto, the same families,
#                    help, types and samples as the text body
#                    (protobuf_check.py), and the OpenMetrics body's
#                    exemplars; one protoc run costs about 0.1 s,
#                    so every regression case and every
#                    NAMES_PROP_PROTO_EVERY-th random case (default 10)
# and the reader accepts every store the writer wrote (tests/propgen).
# Cases: every regression case in tests/names-prop/*.case, then
# NAMES_PROP_CASES (default 150, a few seconds) random cases with seeds
# NAMES_PROP_SEED (default: random), +1, +2 ...  Each case's seed is in the
# log.  A failing case's files (case, log, bodies, checker output) are kept
# in tests/names-prop.failed/ of the build tree, with the line that
# reproduces it; to keep it as a regression case, copy its case file to
# tests/names-prop/NAME.case with a comment on what it found.
# A format propgen renders but no checker here knows fails the test: add
# its checker below.
# Exits 77 (skipped) when neither promtool nor prometheus_client is there.
set -u

builddir=${top_builddir:-.}
srcdir=${top_srcdir:-.}
gen="$builddir/tests/propgen"
cases=${NAMES_PROP_CASES:-150}
proto_every=${NAMES_PROP_PROTO_EVERY:-10}
seed=${NAMES_PROP_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
kept="$builddir/tests/names-prop.failed"
[ -x "$gen" ] || { echo "FAIL: not built: $gen" >&2; exit 99; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/names-prop.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

# Every format propgen renders needs a checker.
for fmt in $("$gen" --formats); do
	case $fmt in
	text | openmetrics | protobuf) ;;
	*)
		echo "FAIL: propgen renders \"$fmt\", which names-prop.sh cannot check: add a checker" >&2
		exit 1
		;;
	esac
done

have_promtool=0
command -v promtool >/dev/null 2>&1 && have_promtool=1
# The python with prometheus_client may not be the first python3 on PATH.
py=
for cand in /usr/bin/python3 python3; do
	if command -v "$cand" >/dev/null 2>&1 &&
		"$cand" -c 'import prometheus_client.openmetrics.parser' 2>/dev/null; then
		py=$cand
		break
	fi
done
if [ "$have_promtool" = 0 ] && [ -z "$py" ]; then
	echo "SKIP: neither promtool nor python3 prometheus_client is installed"
	exit 77
fi
[ "$have_promtool" = 1 ] || echo "promtool not found: text bodies not linted"
[ -n "$py" ] || echo "python3 prometheus_client not found: OpenMetrics bodies not parsed"

# 1. Run every case: regression cases, then the random ones.
dirs=
pdirs=
n=0
for c in "$srcdir"/tests/names-prop/*.case; do
	[ -e "$c" ] || continue
	d="$tmp/$(basename "$c" .case)"
	"$gen" --case "$c" "$d" || { echo "FAIL: propgen --case $c" >&2; cat "$d/log" >&2; exit 1; }
	dirs="$dirs $d"
	pdirs="$pdirs $d"
	n=$((n + 1))
done
echo "names-prop: $n regression cases; random cases: NAMES_PROP_SEED=$seed NAMES_PROP_CASES=$cases"
i=0
while [ "$i" -lt "$cases" ]; do
	s=$((seed + i))
	d="$tmp/seed-$s"
	if ! "$gen" --seed "$s" "$d"; then
		echo "FAIL: seed $s: the library broke a promise:" >&2
		cat "$d/log" >&2
		exit 1
	fi
	dirs="$dirs $d"
	[ $((i % proto_every)) -ne 0 ] || pdirs="$pdirs $d"
	i=$((i + 1))
done

# 2. Judge the bodies.
failed=
fail() { # DIR MESSAGE
	echo "FAIL: $(basename "$1"): $2" >&2
	case " $failed " in *" $1 "*) ;; *) failed="$failed $1" ;; esac
}
if [ "$have_promtool" = 1 ]; then
	for d in $dirs; do
		promtool check metrics <"$d/text.txt" >"$d/promtool.out" 2>&1 ||
			fail "$d" "promtool check metrics: $(cat "$d/promtool.out")"
	done
fi
if [ -n "$py" ]; then
	# shellcheck disable=SC2086 # one argument per case directory
	"$py" "$srcdir/tests/names_prop_check.py" $dirs >"$tmp/python.out" 2>&1
	rc=$?
	# 0: all passed, 1: some failed (listed); anything else: it broke
	[ "$rc" -le 1 ] || { cat "$tmp/python.out" >&2; exit 1; }
	while read -r verdict d rest; do
		[ "$verdict" = FAIL ] && fail "${d%:}" "python: $rest"
	done <"$tmp/python.out"
fi

if [ -n "$py" ]; then
	np=0
	for d in $pdirs; do
		"$py" "$srcdir/tests/protobuf_check.py" compare "$d/protobuf.txt" "$d/text.txt" \
			>"$d/protobuf.out" 2>&1 &&
			"$py" "$srcdir/tests/protobuf_check.py" exemplars "$d/protobuf.txt" \
				"$d/openmetrics.txt" >>"$d/protobuf.out" 2>&1
		case $? in
		0) np=$((np + 1)) ;;
		77) echo "protoc or metrics.proto not found: protobuf bodies not checked"; break ;;
		*) fail "$d" "protobuf: $(cat "$d/protobuf.out")" ;;
		esac
	done
	echo "names-prop: $np protobuf bodies decoded by protoc and compared with text"
fi

# 3. Report.
for d in $dirs; do
	case " $failed " in *" $d "*) ;; *) continue ;; esac
	name=$(basename "$d")
	rm -rf "${kept:?}/$name"
	mkdir -p "$kept" && cp -r "$d" "$kept/$name"
	echo "--- $name: what the library did:" >&2
	cat "$d/log" >&2
	case $name in
	seed-*) echo "reproduce: NAMES_PROP_SEED=${name#seed-} NAMES_PROP_CASES=1 make check TESTS=tests/names-prop.sh" >&2 ;;
	esac
	echo "kept in $kept/$name; keep it as a regression case: cp $kept/$name/case $srcdir/tests/names-prop/NAME.case" >&2
done
total=$(echo "$dirs" | wc -w)
if [ -n "$failed" ]; then
	echo "names-prop: $(echo "$failed" | wc -w) of $total cases failed" >&2
	exit 1
fi
echo "names-prop: $total cases passed"
exit 0
