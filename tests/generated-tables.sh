#!/bin/sh
# SPDX-License-Identifier: MIT
# generated-tables.sh - every generated table in src/ is exactly what its
# generator in tools/ writes: nobody edited one by hand, and the generators
# still reproduce them byte for byte.  Skipped (77) without python3.
set -u

top=${top_srcdir:-.}
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: python3 not installed" >&2
	exit 77
fi
tmp=$(mktemp "${TMPDIR:-/tmp}/generated-tables.XXXXXX") || exit 99
trap 'rm -f "$tmp"' EXIT INT TERM
failed=0
for pair in gen-fmtnum-table.py:fmtnum_table.h gen-nhist-table.py:nhist_table.h; do
	gen=${pair%%:*}
	table=${pair#*:}
	if ! python3 "$top/tools/$gen" >"$tmp"; then
		echo "FAIL: tools/$gen failed" >&2
		failed=1
	elif ! cmp "$tmp" "$top/src/$table"; then
		diff -u "$top/src/$table" "$tmp" | head -20 >&2
		echo "FAIL: src/$table differs from tools/$gen's output" >&2
		failed=1
	else
		echo "ok: src/$table is the output of tools/$gen"
	fi
done
exit $failed
