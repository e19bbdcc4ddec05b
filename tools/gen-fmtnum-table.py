#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Print the Schubfach power-of-ten table of src/fmtnum.c (pow10_table).

For every decimal exponent e in POW10_MIN..POW10_MAX the table holds
g(e) = floor(10^e / 2^r) + 1, where r = floor(log2(10^e)) - 127, so that
2^127 <= g(e) < 2^128: a 128-bit approximation of 10^e from above, off by
at most one unit (see the comment above the table in src/fmtnum.c).  Each
entry is written as its high and low 64-bit halves.

Everything is computed with exact integer and Fraction arithmetic: no
floating point, so the output does not depend on the platform.

Usage: tools/gen-fmtnum-table.py > table.inc
Check: tools/gen-fmtnum-table.py |
       diff - <(sed -n '/^static const struct pow10_128 pow10_table/,/^};/p' src/fmtnum.c)
Python 3 standard library only.
"""

import sys
from fractions import Fraction

# fmtnum.c looks up e = -k, where k is about log10 of the gap 2^q between
# neighbouring doubles: q = 971 (the largest doubles) gives k = 292, and
# q = -1074 (the subnormals) gives k = -324.
POW10_MIN = -292
POW10_MAX = 324
SIGNIFICAND_BITS = 128
WORD_BITS = 64
WORD_MASK = (1 << WORD_BITS) - 1


def floor_log2(x):
    """floor(log2(x)) for a positive Fraction x, exactly."""
    t = x.numerator.bit_length() - x.denominator.bit_length()
    # 2^t is within a factor of 2 of x: step down or up to the exact floor.
    while Fraction(2) ** t > x:
        t -= 1
    while Fraction(2) ** (t + 1) <= x:
        t += 1
    return t


def g(e):
    """floor(10^e / 2^r) + 1 with r chosen so the result has 128 bits."""
    x = Fraction(10) ** e
    r = floor_log2(x) - (SIGNIFICAND_BITS - 1)
    scaled = x / Fraction(2) ** r  # in [2^127, 2^128)
    v = scaled.numerator // scaled.denominator + 1
    assert (1 << (SIGNIFICAND_BITS - 1)) <= v < (1 << SIGNIFICAND_BITS), e
    return v


def main():
    out = sys.stdout
    out.write("static const struct pow10_128 pow10_table[POW10_MAX - POW10_MIN + 1] = {\n")
    for e in range(POW10_MIN, POW10_MAX + 1):
        v = g(e)
        out.write("\t{ UINT64_C(0x%016x), UINT64_C(0x%016x) }, /* %d */\n"
                  % (v >> WORD_BITS, v & WORD_MASK, e))
    out.write("};\n")


if __name__ == "__main__":
    main()
