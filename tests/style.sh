#!/bin/sh
# SPDX-License-Identifier: MIT
# style.sh - every C file of the tree is in the house style (.clang-format,
# README "Hacking"): clang-format, run over them, would change nothing.
# `make style` rewrites the files in place.  Only Debian 12's clang-format
# 14 is trusted to agree with the committed files (other versions format
# some constructs differently): with another version, or none, this test is
# skipped (77).  CI installs clang-format 14 and so always runs it.
set -u

top=${top_srcdir:-.}
cf=${CLANG_FORMAT:-clang-format}

if ! command -v "$cf" >/dev/null 2>&1; then
	echo "SKIP: $cf not installed" >&2
	exit 77
fi
major=$("$cf" --version | sed -n 's/.*version \([0-9][0-9]*\)\..*/\1/p')
if [ "$major" != 14 ]; then
	echo "SKIP: $cf is version ${major:-unknown}; the style is checked with 14" >&2
	exit 77
fi
cd "$top" || exit 99
files=$(find src tests examples -name '*.[ch]' | sort)
[ -n "$files" ] || { echo "FAIL: no C files under $top" >&2; exit 1; }
# shellcheck disable=SC2086 # one argument per file
if ! "$cf" --dry-run -Werror $files; then
	echo "FAIL: the files above are not in the house style; run 'make style'" >&2
	exit 1
fi
echo "ok: $(echo "$files" | wc -l) C files in the house style"
