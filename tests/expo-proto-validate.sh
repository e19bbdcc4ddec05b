#!/bin/sh
# SPDX-License-Identifier: MIT
# expo-proto-validate.sh - the protobuf rendering, decoded by protoc with
# Debian's metrics.proto, says exactly what the text rendering of the same
# store says, sample for sample (tests/protobuf_check.py); and the native
# histograms tests/expo_dump adds (built by src/nhist.c, encoded by
# src/expo_proto.c) are exactly their observations, bucketed with exact
# arithmetic.  Skipped (77) without protoc, metrics.proto or
# python3-prometheus-client.
set -u

builddir=${top_builddir:-.}
srcdir=${top_srcdir:-.}
dump="$builddir/tests/expo_dump"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/expo-proto-validate.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

# The python with prometheus_client may not be the first python3 on PATH.
py=
for cand in python3 /usr/bin/python3; do
	if command -v "$cand" >/dev/null 2>&1 &&
	   "$cand" -c 'import prometheus_client.parser' 2>/dev/null; then
		py=$cand
		break
	fi
done
[ -n "$py" ] || { echo "SKIP: python3 prometheus_client not found"; exit 77; }

"$dump" text >"$tmp/text.txt" || { echo "expo_dump text failed" >&2; exit 99; }
"$dump" protobuf "$tmp/native.txt" >"$tmp/body.pb" ||
	{ echo "expo_dump protobuf failed" >&2; exit 99; }
"$py" "$srcdir/tests/protobuf_check.py" compare "$tmp/body.pb" "$tmp/text.txt" "$tmp/native.txt"
