#!/bin/sh
# SPDX-License-Identifier: MIT
# abi.sh - the functions libmstore.so exports are exactly the public API:
# every symbol debian/libmstore0.symbols lists (what dpkg-gensymbols checks
# when the Debian packages are built, so a change of the API that forgets
# the symbols file fails here, in make check, not only in CI's package
# build), and every function mstore.h declares.  Internal helpers stay
# hidden (MSTORE_INTERNAL).  Skips (77) without a shared library or nm.
set -u

top=${top_srcdir:-.}
build=${top_builddir:-.}
so=$build/src/.libs/libmstore.so
command -v nm >/dev/null 2>&1 || { echo "SKIP: no nm"; exit 77; }
[ -f "$so" ] || { echo "SKIP: no shared library ($so)"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/abi.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

nm -D --defined-only "$so" | awk '$2 == "T" { print $3 }' | sort >"$tmp/exported"
# (debian/ is not in the release tarball: there only the header counts)
symbols=$top/debian/libmstore0.symbols
if [ -f "$symbols" ]; then
	sed -n 's/^ \([a-z_0-9]*\)@Base .*/\1/p' "$symbols" | sort >"$tmp/symbols"
else
	cp "$tmp/exported" "$tmp/symbols"
fi
# Functions declared in the header: a name followed by "(" at the start of
# a declaration line, or after a return type on the same line.
sed -n 's/^[a-z].*[ *]\(mstore_[a-z_0-9]*\)(.*/\1/p' "$top/src/mstore.h" | sort -u >"$tmp/header"

rc=0
if ! cmp -s "$tmp/exported" "$tmp/symbols"; then
	echo "FAIL: exported symbols differ from debian/libmstore0.symbols (< exported, > listed):" >&2
	diff "$tmp/exported" "$tmp/symbols" | grep '^[<>]' >&2
	rc=1
fi
if ! cmp -s "$tmp/exported" "$tmp/header"; then
	echo "FAIL: exported symbols differ from the functions mstore.h declares (< exported, > declared):" >&2
	diff "$tmp/exported" "$tmp/header" | grep '^[<>]' >&2
	rc=1
fi
[ "$rc" = 0 ] && echo "ok: $(wc -l <"$tmp/exported") exported functions, as listed and declared"
exit "$rc"
