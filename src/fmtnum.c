/* SPDX-License-Identifier: MIT */
/*
 * fmtnum.c - shortest round-trip double formatting and fast integer output.
 *
 * Doubles go through Schubfach (R. Giulietti, "The Schubfach way to render
 * doubles", 2020), written here from the paper's description.  A double v
 * owns the rounding interval R of reals that read back as v.  Schubfach
 * picks a decimal exponent k so that R, scaled by 10^-k, is a few units
 * wide; it then scales v and both ends of R by a 128-bit upper
 * approximation of 10^-k, keeping each result as an integer plus a sticky
 * "inexact" bit (round to odd), which is exact enough to decide every
 * comparison below.  If exactly one multiple of 10 lies in the scaled R,
 * that is the shortest result; otherwise the shortest result has the
 * scale's own precision and is the in-interval integer closest to v (ties
 * to even).  Every finite non-zero double is handled this way: no slow
 * path, no division, no loop over digits.
 * Integral values below 2^53 skip all of that: their digits are exact.
 * The 128-bit powers of ten are in fmtnum_table.h, written by
 * tools/gen-fmtnum-table.py (tools/gen-fmtnum-table.py > src/fmtnum_table.h
 * regenerates it; tests/generated-tables.sh checks that it is unchanged).
 */
#include "config.h"

#include "fmtnum.h"
#include "fmtnum_table.h"

#include <math.h>
#include <string.h>

/* IEEE 754 binary64 layout. */
#define DBL_FRAC_BITS  52
#define DBL_FRAC_MASK  ((UINT64_C(1) << DBL_FRAC_BITS) - 1)
#define DBL_HIDDEN_BIT (UINT64_C(1) << DBL_FRAC_BITS)
#define DBL_EXP_FIELD  0x7ff
#define DBL_EXP_BIAS   (1023 + DBL_FRAC_BITS) /* unbiased exponent of the integer significand */
#define DBL_DENORM_EXP (1 - DBL_EXP_BIAS)
#define DBL_SIGN_BIT   (UINT64_C(1) << 63)

/* Integral doubles below this magnitude are exact integers, and so are all
 * integers of that size: print them digit for digit. */
#define EXACT_INT_LIMIT 9007199254740992.0 /* 2^53 */

/* Scientific exponent range where FMT_GO writes plain decimals: [-4, 6). */
#define GO_FIXED_MIN_EXP (-4)
#define GO_FIXED_END_EXP 6

/*
 * floor(log10(2^q)), floor(log10(3/4 * 2^q)) and floor(log2(10^k)) as
 * fixed-point products (scale 2^20 and 2^19): log10(2), log10(3/4) and
 * log2(10) rounded down.  Checked exhaustively against exact arithmetic for
 * |q| <= 1100 and |k| <= 400, which covers every double.
 */
#define LOG10_2_FIX     315653
#define LOG10_3_4_FIX   131007
#define LOG10_FIX_SHIFT 20
#define LOG2_10_FIX     1741647
#define LOG2_FIX_SHIFT  19

/* Two ASCII digits for each value 0..99. */
static const char digit_pairs[] = "00010203040506070809"
                                  "10111213141516171819"
                                  "20212223242526272829"
                                  "30313233343536373839"
                                  "40414243444546474849"
                                  "50515253545556575859"
                                  "60616263646566676869"
                                  "70717273747576777879"
                                  "80818283848586878889"
                                  "90919293949596979899";

/* a >= 0 (or NaN) is an integer below 2^53 (the cast is then defined;
 * the signed one is a single instruction on common targets). */
static inline int
is_exact_int(double a)
{
	return a < EXACT_INT_LIMIT && (double)(int64_t)a == a;
}

static uint64_t
dbl_bits(double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof u);
	return u;
}

/* 10^i for i = 0..19. */
static const uint64_t pow10_u64[] = {
	UINT64_C(1),
	UINT64_C(10),
	UINT64_C(100),
	UINT64_C(1000),
	UINT64_C(10000),
	UINT64_C(100000),
	UINT64_C(1000000),
	UINT64_C(10000000),
	UINT64_C(100000000),
	UINT64_C(1000000000),
	UINT64_C(10000000000),
	UINT64_C(100000000000),
	UINT64_C(1000000000000),
	UINT64_C(10000000000000),
	UINT64_C(100000000000000),
	UINT64_C(1000000000000000),
	UINT64_C(10000000000000000),
	UINT64_C(100000000000000000),
	UINT64_C(1000000000000000000),
	UINT64_C(10000000000000000000),
};

/* Number of decimal digits of v (1 for 0): t = floor(log10(2^bits)) for
 * the bit length of v is the digit count or one less. */
static inline int
u64_digits(uint64_t v)
{
	int t = ((64 - __builtin_clzll(v | 1)) * LOG10_2_FIX) >> LOG10_FIX_SHIFT;

	/* 10^t is even for t > 0, so v | 1 compares like v (and 0 counts 1). */
	return t + ((v | 1) >= pow10_u64[t]);
}

/* Write the n = u64_digits(v) digits of v to dst, two at a time from the
 * right. */
static inline void
u64_write(char *dst, uint64_t v, int n)
{
	char *p = dst + n;

	for (; v >= 10; v /= 100) {
		p -= 2;
		memcpy(p, digit_pairs + v % 100 * 2, 2);
	}
	if (p > dst)
		*--p = (char)('0' + v);
}

size_t
fmt_u64(char *dst, uint64_t v)
{
	int n = u64_digits(v);

	u64_write(dst, v, n);
	return (size_t)n;
}

/* ------------------------------------------------------------------ */
/* Schubfach                                                           */
/* ------------------------------------------------------------------ */

/* High 64 bits and low 64 bits of a * b. */
static inline uint64_t
mul_64x64(uint64_t a, uint64_t b, uint64_t *lo)
{
#ifdef __SIZEOF_INT128__
	unsigned __int128 p = (unsigned __int128)a * b;

	*lo = (uint64_t)p;
	return (uint64_t)(p >> 64);
#else
	const uint64_t m32 = 0xffffffffu;
	uint64_t ah = a >> 32, al = a & m32, bh = b >> 32, bl = b & m32;
	uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
	uint64_t mid = (ll >> 32) + (lh & m32) + (hl & m32);

	*lo = (mid << 32) | (ll & m32);
	return hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
#endif
}

/*
 * floor(g * cp / 2^128), with its lowest bit set when the quotient is not
 * an integer (round to odd).  g over-estimates the real power of ten by at
 * most one unit, so g * cp over-estimates the exact product by at most
 * cp < 2^64: for an exact quotient the bits 64..127 of g * cp stay zero,
 * and the paper shows that an inexact one has a fraction far above 2^-64
 * (scaled interval ends are never that close above an integer).  The low
 * 64 bits of g.lo * cp cannot change either outcome and are dropped.
 */
static inline uint64_t
round_to_odd(const struct pow10_128 *g, uint64_t cp)
{
	uint64_t x_lo, y_lo, x_hi = mul_64x64(g->lo, cp, &x_lo);
	uint64_t y_hi = mul_64x64(g->hi, cp, &y_lo);
	uint64_t mid = y_lo + x_hi;

	y_hi += mid < y_lo; /* carry */
	return y_hi | (mid != 0);
}

/*
 * Shortest decimal f * 10^e of the rounding interval of the finite v > 0
 * (bits of v), closest to v among the shortest, ties to an even f.  f may
 * end in zeros.
 */
static uint64_t
schubfach(uint64_t bits, int *e10)
{
	uint64_t frac = bits & DBL_FRAC_MASK;
	unsigned bexp = (unsigned)(bits >> DBL_FRAC_BITS) & DBL_EXP_FIELD;
	uint64_t c, cbl, cb, cbr, vbl, vb, vbr, lower, upper, s;
	const struct pow10_128 *g;
	int q, k, h;
	int irregular, odd;

	if (bexp != 0) {
		c = frac | DBL_HIDDEN_BIT;
		q = (int)bexp - DBL_EXP_BIAS;
	} else {
		c = frac;
		q = DBL_DENORM_EXP;
	}
	/* v = c 2^q; R is [v - half the gap below, v + half the gap above],
	 * ends included when c is even (round-half-even reads them back as
	 * v).  In quarter units of 2^q: cb = 4c, cbr = 4c + 2, and cbl =
	 * 4c - 2 except above a power of two, where the gap below is half. */
	irregular = frac == 0 && bexp > 1;
	odd = (c & 1) != 0;
	cb = c << 2;
	cbr = cb + 2;
	cbl = irregular ? cb - 1 : cb - 2;
	/* k = floor(log10 of the gap): the scaled R is then between 1 and
	 * about 40 quarter units wide. */
	if (irregular)
		k = (q * LOG10_2_FIX - LOG10_3_4_FIX) >> LOG10_FIX_SHIFT;
	else
		k = (q * LOG10_2_FIX) >> LOG10_FIX_SHIFT;
	/* (C << h) * g / 2^128 ~= C 2^(q-2) 10^-k * 4, i.e. quarter units of
	 * 10^k; h is 1..4 for every double, so C << h < 2^59.  (The shifts
	 * of negative products round down: arithmetic shift, as gcc and
	 * clang do.) */
	h = q + ((-k * LOG2_10_FIX) >> LOG2_FIX_SHIFT) + 1;
	g = &pow10_table[-k - POW10_MIN];
	vbl = round_to_odd(g, cbl << h);
	vb = round_to_odd(g, cb << h);
	vbr = round_to_odd(g, cbr << h);
	lower = vbl + odd;
	upper = vbr - odd;
	s = vb >> 2; /* floor(v * 10^-k) */
	if (s >= 10) {
		/* One digit shorter: the multiples of 10 around v. */
		uint64_t sp = s / 10 * 10, tp = sp + 10;
		int up_in = lower <= sp << 2, wp_in = tp << 2 <= upper;

		if (up_in != wp_in) {
			*e10 = k;
			return up_in ? sp : tp;
		}
	}
	{
		int u_in = lower <= s << 2, w_in = (s + 1) << 2 <= upper;
		uint64_t mid;

		*e10 = k;
		if (u_in != w_in)
			return u_in ? s : s + 1;
		/* Both (or, by the choice of k, never neither): the closer. */
		mid = (s << 2) + 2;
		return vb < mid || (vb == mid && (s & 1) == 0) ? s : s + 1;
	}
}

/* Room for the digits of any f: Schubfach's f has at most 18 digits (the
 * 18th only as a trailing zero), an integer below 2^53 16. */
#define DIGIT_BUF FMT_U64_MAX

/* Digits of f * 10^e without trailing zeros (f > 0) into d (DIGIT_BUF
 * bytes); *exp10 gets the exponent of the first digit.  Returns the count. */
static int
decimal_digits(uint64_t f, int e, char *d, int *exp10)
{
	int len = u64_digits(f), n = len;

	u64_write(d, f, len);
	while (d[n - 1] == '0') /* d[0] != '0' */
		n--;
	*exp10 = e + len - 1;
	return n;
}

/* Shortest digits of a finite a > 0 into d (DIGIT_BUF bytes). */
static int
shortest(double a, char *d, int *exp10)
{
	uint64_t f;
	int e;

	if (is_exact_int(a))
		return decimal_digits((uint64_t)(int64_t)a, 0, d, exp10);
	f = schubfach(dbl_bits(a), &e);
	return decimal_digits(f, e, d, exp10);
}

int
fmt_shortest_digits(double v, char *digits, int *exp10)
{
	char d[DIGIT_BUF];
	int n;

	if (!isfinite(v) || v == 0)
		return 0;
	n = shortest(fabs(v), d, exp10);
	memcpy(digits, d, (size_t)n);
	return n;
}

/* ------------------------------------------------------------------ */
/* Layout                                                              */
/* ------------------------------------------------------------------ */

/* "d.ddde+XX": sign and at least two exponent digits, as C and Go do. */
static size_t
layout_exp(char *dst, const char *d, int n, int x)
{
	char *p = dst;

	*p++ = d[0];
	if (n > 1) {
		*p++ = '.';
		memcpy(p, d + 1, (size_t)n - 1);
		p += n - 1;
	}
	*p++ = 'e';
	*p++ = x < 0 ? '-' : '+';
	if (x < 0)
		x = -x;
	if (x < 10)
		*p++ = '0';
	p += fmt_u64(p, (uint64_t)x);
	return (size_t)(p - dst);
}

/* Plain decimal: "0.000ddd" (x < 0), "ddd00" or "ddd.dd" (x >= 0). */
static size_t
layout_fixed(char *dst, const char *d, int n, int x)
{
	char *p = dst;

	if (x < 0) {
		*p++ = '0';
		*p++ = '.';
		memset(p, '0', (size_t)(-x - 1));
		p += -x - 1;
		memcpy(p, d, (size_t)n);
		return (size_t)(p + n - dst);
	}
	if (n <= x + 1) {
		memcpy(p, d, (size_t)n);
		memset(p + n, '0', (size_t)(x + 1 - n));
		return (size_t)(x + 1);
	}
	memcpy(p, d, (size_t)x + 1);
	p += x + 1;
	*p++ = '.';
	memcpy(p, d + x + 1, (size_t)(n - x - 1));
	return (size_t)(p + (n - x - 1) - dst);
}

static size_t
fmt_special(char *dst, double v)
{
	if (isnan(v)) {
		memcpy(dst, "NaN", 3);
		return 3;
	}
	memcpy(dst, v > 0 ? "+Inf" : "-Inf", 4);
	return 4;
}

/* Whether the style writes this finite non-zero magnitude in exponent form. */
static int
use_exponent(enum fmt_style style, double a, int x)
{
	if (x < GO_FIXED_MIN_EXP)
		return 1;
	if (style != FMT_VALUE)
		return x >= GO_FIXED_END_EXP;
	/* FMT_VALUE: exact integers were handled before; non-integers are
	 * below 2^52 and read best in plain decimal. */
	return a >= EXACT_INT_LIMIT;
}

size_t
fmt_double(char *dst, double v, enum fmt_style style)
{
	char d[DIGIT_BUF];
	char *p = dst;
	double a = fabs(v);
	int n, x;
	size_t len;

	if (!isfinite(v))
		return fmt_special(dst, v);
	if (dbl_bits(v) & DBL_SIGN_BIT)
		*p++ = '-';
	if (style == FMT_VALUE && is_exact_int(a))
		return (size_t)(p - dst) + fmt_u64(p, (uint64_t)(int64_t)a);
	if (a == 0) {
		*p = '0';
		len = 1;
	} else {
		n = shortest(a, d, &x);
		if (use_exponent(style, a, x))
			return (size_t)(p - dst) + layout_exp(p, d, n, x);
		len = layout_fixed(p, d, n, x);
	}
	if (style == FMT_OM_CANONICAL && memchr(p, '.', len) == NULL) {
		memcpy(p + len, ".0", 2);
		len += 2;
	}
	return (size_t)(p - dst) + len;
}
