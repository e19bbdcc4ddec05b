#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""store_usage.py STORE - how full a store file is, worked out from its
records alone (doc/store-format.md, format 6.0), not from the header's
counts: what mstore_exporter_store_used and _capacity must serve.

Prints "resource used capacity" lines for families, series, value_slots
and string_bytes.  Used: published families; LIVE and LIMBO series
records (a removed series holds its room until reuse); their families'
nslots each; the string blocks of every family string and of those
series' label values (8 << c bytes, the smallest that holds the string
and its NUL) plus the shared empty string's byte.  Read it while the
writer does not register or remove series."""
import struct
import sys

FORMAT = 10  # the offsets below are this major version's
LIVE, LIMBO = 1, 2


def block(n):
    size = 8
    while size < n + 1:
        size *= 2
    return size


def usage(path):
    b = open(path, "rb").read()
    if struct.unpack_from("<I", b, 8)[0] != FORMAT:
        sys.exit("store_usage.py: %s: not a format %d store" % (path, FORMAT))
    family_rec, series_rec = struct.unpack_from("<II", b, 28)
    family_off, series_off = struct.unpack_from("<QQ", b, 80)
    max_families, max_series, value_slots, string_bytes = struct.unpack_from("<IIII", b, 112)
    families, series = struct.unpack_from("<II", b, 192)
    nlabels, nslots, strings = {}, {}, 1
    for i in range(families):
        r = family_off + family_rec * i
        nlabels[i], _, nslots[i] = struct.unpack_from("<III", b, r + 4)
        for k in range(3 + nlabels[i]):  # name, help, unit, label names
            _, ln = struct.unpack_from("<II", b, r + 16 + 8 * k)
            strings += block(ln) if ln else 0
    held = slots = 0
    for i in range(series):
        r = series_off + series_rec * i
        state, fam = struct.unpack_from("<II", b, r + 8)
        if state not in (LIVE, LIMBO):
            continue
        held += 1
        slots += nslots[fam]
        for k in range(nlabels[fam]):
            ln = struct.unpack_from("<Q", b, r + 32 + 8 * k)[0] >> 32
            strings += block(ln) if ln else 0
    return [("families", families, max_families), ("series", held, max_series),
            ("value_slots", slots, value_slots), ("string_bytes", strings, string_bytes)]


if __name__ == "__main__":
    for name, used, cap in usage(sys.argv[1]):
        print(name, used, cap)
