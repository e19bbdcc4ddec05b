#!/bin/sh
# SPDX-License-Identifier: MIT
# fmtnum-table.sh - src/fmtnum_table.h is exactly what
# tools/gen-fmtnum-table.py writes: nobody edited the generated table by
# hand, and the generator still reproduces it byte for byte.  Skipped (77)
# without python3.
set -u

top=${top_srcdir:-.}
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: python3 not installed" >&2
	exit 77
fi
tmp=$(mktemp "${TMPDIR:-/tmp}/fmtnum-table.XXXXXX") || exit 99
trap 'rm -f "$tmp"' EXIT INT TERM
python3 "$top/tools/gen-fmtnum-table.py" >"$tmp" || { echo "FAIL: generator failed" >&2; exit 1; }
if ! cmp "$tmp" "$top/src/fmtnum_table.h"; then
	diff -u "$top/src/fmtnum_table.h" "$tmp" | head -20 >&2
	echo "FAIL: src/fmtnum_table.h differs from tools/gen-fmtnum-table.py's output" >&2
	exit 1
fi
echo "ok: src/fmtnum_table.h is the generator's output"
