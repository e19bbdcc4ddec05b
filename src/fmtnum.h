/* SPDX-License-Identifier: MIT */
/*
 * fmtnum.h - fast number formatting for the exposition formats.
 *
 * Doubles are written as the SHORTEST decimal string that reads back
 * (strtod) to exactly the same double, bit for bit, and among those the one
 * closest to it.  The digits come from Schubfach (128-bit powers of ten and
 * a proof that every comparison it makes is exact), so there is no slow
 * path.  No allocation, no locale dependence, no global state.
 *
 * Output never carries a NUL terminator and never exceeds FMT_DOUBLE_MAX /
 * FMT_U64_MAX bytes; dst must have room for that many.
 */
#ifndef FMTNUM_H
#define FMTNUM_H

#include <stddef.h>
#include <stdint.h>

/* Longest output of fmt_double(): "-2.2250738585072014e-308" is 24 bytes;
 * OpenMetrics canonical form adds ".0" to at most 7-character integers. */
#define FMT_DOUBLE_MAX 32
/* Longest output of fmt_u64(): 18446744073709551615 is 20 digits. */
#define FMT_U64_MAX 20

enum fmt_style {
	/*
	 * Sample values.  Integral values with |v| < 2^53 are written as exact
	 * integers ("0", "-0", "42", "1234567"); other values whose decimal
	 * exponent is >= -4 in plain decimal ("0.005", "1234567.5"); all the
	 * rest in exponent form ("1e-05", "1.5e+300", and integral values
	 * from 2^53 up: "9.007199254740994e+15", "1e+21").  Non-integral
	 * values are below 2^52, so they never need an exponent above 15.
	 */
	FMT_VALUE,
	/*
	 * Go's strconv.FormatFloat(v, 'g', -1, 64): exponent form when the
	 * decimal exponent is < -4 or >= 6 ("1e+06", "1e-05", "100000",
	 * "0.0001").  What Go clients put in text-format "le" labels.
	 */
	FMT_GO,
	/*
	 * OpenMetrics canonical number (spec "Considerations: Canonical
	 * Numbers"): FMT_GO plus ".0" when there is no '.' or exponent
	 * ("1.0", "10.0", "100000.0", "1e+06", "0.005").  For "le" labels.
	 */
	FMT_OM_CANONICAL,
};

/*
 * Write v in the given style to dst (at least FMT_DOUBLE_MAX bytes) and
 * return the number of bytes written.  Infinities are "+Inf" and "-Inf",
 * any NaN is "NaN", negative zero keeps its sign ("-0", or "-0.0" in
 * FMT_OM_CANONICAL).  Exponents have a sign and at least two digits.
 */
size_t fmt_double(char *dst, double v, enum fmt_style style);

/* Write v in decimal to dst (at least FMT_U64_MAX bytes); return length. */
size_t fmt_u64(char *dst, uint64_t v);

/*
 * Shortest round-trip digits of a finite v != 0, without sign: writes n
 * significant digits ('1'..'9' first, no trailing zeros) to digits (at least
 * 17 bytes) and stores the decimal exponent of the FIRST digit in *exp10,
 * so |v| reads back from d.ddd * 10^exp10.  Returns n (1..17).  Exposed for
 * the tests; the formatters above are built on it.  Returns 0 for 0, NaN
 * and infinities.
 */
int fmt_shortest_digits(double v, char *digits, int *exp10);

#endif /* FMTNUM_H */
