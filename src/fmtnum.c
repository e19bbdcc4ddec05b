// SPDX-License-Identifier: MIT
/*
 * fmtnum.c - shortest round-trip double formatting and fast integer output.
 *
 * The fast path is Grisu3 (F. Loitsch, "Printing Floating-Point Numbers
 * Quickly and Accurately with Integers", PLDI 2010), written here from the
 * paper's description: scale the double and its rounding-interval bounds by
 * a cached 64-bit power of ten, generate the shortest digits inside the
 * widest interval the rounding errors allow, then check that they also lie
 * inside the narrowest one.  When that check fails (roughly 0.5% of random
 * bit patterns, almost never for "human" values) the slow path asks
 * snprintf("%.*e") for more and more digits until strtod() gives v back.
 * Integral values below 2^53 skip all of that: their digits are exact.
 */
#include "config.h"

#include "fmtnum.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* IEEE 754 binary64 layout. */
#define DBL_FRAC_BITS   52
#define DBL_FRAC_MASK   ((UINT64_C(1) << DBL_FRAC_BITS) - 1)
#define DBL_HIDDEN_BIT  (UINT64_C(1) << DBL_FRAC_BITS)
#define DBL_EXP_FIELD   0x7ff
#define DBL_EXP_BIAS    (1023 + DBL_FRAC_BITS) /* unbiased exponent of the integer significand */
#define DBL_DENORM_EXP  (1 - DBL_EXP_BIAS)
#define DBL_SIGN_BIT    (UINT64_C(1) << 63)

/* Integral doubles below this magnitude are exact integers, and so are all
 * integers of that size: print them digit for digit. */
#define EXACT_INT_LIMIT 9007199254740992.0 /* 2^53 */

/* A double never needs more than 17 significant digits to round-trip. */
#define MAX_SIG_DIGITS 17

/*
 * Target window for the binary exponent of the scaled values (Loitsch's
 * alpha and gamma): the integer part of a scaled value then fits 32 bits and
 * the window (28 binary orders) is wider than the table step (8 decimal
 * orders, about 26.6 binary), so some cached power always lands in it.
 */
#define GRISU_ALPHA (-60)
#define GRISU_GAMMA (-32)
#define DIY_BITS 64

/* Scientific exponent range where FMT_GO writes plain decimals: [-4, 6). */
#define GO_FIXED_MIN_EXP (-4)
#define GO_FIXED_END_EXP 6

/* A number in the form f * 2^e ("do it yourself floating point"). */
struct diyfp {
	uint64_t f;
	int e;
};

/*
 * Cached powers of ten: 10^k ~= f * 2^e with f normalized (top bit set)
 * and rounded to nearest, for k = -348, -340, ..., 340.  Generated with
 * exact integer arithmetic (Python): for each k take e such that
 * 2^63 <= 10^k / 2^e < 2^64, f = round(10^k / 2^e).
 */
struct cached_pow10 {
	uint64_t f;
	int16_t e;
	int16_t k;
};

#define POW10_FIRST_K (-348)
#define POW10_STEP_K  8

static const struct cached_pow10 pow10_table[] = {
	{ UINT64_C(0xfa8fd5a0081c0288), -1220, -348 },
	{ UINT64_C(0xbaaee17fa23ebf76), -1193, -340 },
	{ UINT64_C(0x8b16fb203055ac76), -1166, -332 },
	{ UINT64_C(0xcf42894a5dce35ea), -1140, -324 },
	{ UINT64_C(0x9a6bb0aa55653b2d), -1113, -316 },
	{ UINT64_C(0xe61acf033d1a45df), -1087, -308 },
	{ UINT64_C(0xab70fe17c79ac6ca), -1060, -300 },
	{ UINT64_C(0xff77b1fcbebcdc4f), -1034, -292 },
	{ UINT64_C(0xbe5691ef416bd60c), -1007, -284 },
	{ UINT64_C(0x8dd01fad907ffc3c), -980, -276 },
	{ UINT64_C(0xd3515c2831559a83), -954, -268 },
	{ UINT64_C(0x9d71ac8fada6c9b5), -927, -260 },
	{ UINT64_C(0xea9c227723ee8bcb), -901, -252 },
	{ UINT64_C(0xaecc49914078536d), -874, -244 },
	{ UINT64_C(0x823c12795db6ce57), -847, -236 },
	{ UINT64_C(0xc21094364dfb5637), -821, -228 },
	{ UINT64_C(0x9096ea6f3848984f), -794, -220 },
	{ UINT64_C(0xd77485cb25823ac7), -768, -212 },
	{ UINT64_C(0xa086cfcd97bf97f4), -741, -204 },
	{ UINT64_C(0xef340a98172aace5), -715, -196 },
	{ UINT64_C(0xb23867fb2a35b28e), -688, -188 },
	{ UINT64_C(0x84c8d4dfd2c63f3b), -661, -180 },
	{ UINT64_C(0xc5dd44271ad3cdba), -635, -172 },
	{ UINT64_C(0x936b9fcebb25c996), -608, -164 },
	{ UINT64_C(0xdbac6c247d62a584), -582, -156 },
	{ UINT64_C(0xa3ab66580d5fdaf6), -555, -148 },
	{ UINT64_C(0xf3e2f893dec3f126), -529, -140 },
	{ UINT64_C(0xb5b5ada8aaff80b8), -502, -132 },
	{ UINT64_C(0x87625f056c7c4a8b), -475, -124 },
	{ UINT64_C(0xc9bcff6034c13053), -449, -116 },
	{ UINT64_C(0x964e858c91ba2655), -422, -108 },
	{ UINT64_C(0xdff9772470297ebd), -396, -100 },
	{ UINT64_C(0xa6dfbd9fb8e5b88f), -369, -92 },
	{ UINT64_C(0xf8a95fcf88747d94), -343, -84 },
	{ UINT64_C(0xb94470938fa89bcf), -316, -76 },
	{ UINT64_C(0x8a08f0f8bf0f156b), -289, -68 },
	{ UINT64_C(0xcdb02555653131b6), -263, -60 },
	{ UINT64_C(0x993fe2c6d07b7fac), -236, -52 },
	{ UINT64_C(0xe45c10c42a2b3b06), -210, -44 },
	{ UINT64_C(0xaa242499697392d3), -183, -36 },
	{ UINT64_C(0xfd87b5f28300ca0e), -157, -28 },
	{ UINT64_C(0xbce5086492111aeb), -130, -20 },
	{ UINT64_C(0x8cbccc096f5088cc), -103, -12 },
	{ UINT64_C(0xd1b71758e219652c), -77, -4 },
	{ UINT64_C(0x9c40000000000000), -50, 4 },
	{ UINT64_C(0xe8d4a51000000000), -24, 12 },
	{ UINT64_C(0xad78ebc5ac620000), 3, 20 },
	{ UINT64_C(0x813f3978f8940984), 30, 28 },
	{ UINT64_C(0xc097ce7bc90715b3), 56, 36 },
	{ UINT64_C(0x8f7e32ce7bea5c70), 83, 44 },
	{ UINT64_C(0xd5d238a4abe98068), 109, 52 },
	{ UINT64_C(0x9f4f2726179a2245), 136, 60 },
	{ UINT64_C(0xed63a231d4c4fb27), 162, 68 },
	{ UINT64_C(0xb0de65388cc8ada8), 189, 76 },
	{ UINT64_C(0x83c7088e1aab65db), 216, 84 },
	{ UINT64_C(0xc45d1df942711d9a), 242, 92 },
	{ UINT64_C(0x924d692ca61be758), 269, 100 },
	{ UINT64_C(0xda01ee641a708dea), 295, 108 },
	{ UINT64_C(0xa26da3999aef774a), 322, 116 },
	{ UINT64_C(0xf209787bb47d6b85), 348, 124 },
	{ UINT64_C(0xb454e4a179dd1877), 375, 132 },
	{ UINT64_C(0x865b86925b9bc5c2), 402, 140 },
	{ UINT64_C(0xc83553c5c8965d3d), 428, 148 },
	{ UINT64_C(0x952ab45cfa97a0b3), 455, 156 },
	{ UINT64_C(0xde469fbd99a05fe3), 481, 164 },
	{ UINT64_C(0xa59bc234db398c25), 508, 172 },
	{ UINT64_C(0xf6c69a72a3989f5c), 534, 180 },
	{ UINT64_C(0xb7dcbf5354e9bece), 561, 188 },
	{ UINT64_C(0x88fcf317f22241e2), 588, 196 },
	{ UINT64_C(0xcc20ce9bd35c78a5), 614, 204 },
	{ UINT64_C(0x98165af37b2153df), 641, 212 },
	{ UINT64_C(0xe2a0b5dc971f303a), 667, 220 },
	{ UINT64_C(0xa8d9d1535ce3b396), 694, 228 },
	{ UINT64_C(0xfb9b7cd9a4a7443c), 720, 236 },
	{ UINT64_C(0xbb764c4ca7a44410), 747, 244 },
	{ UINT64_C(0x8bab8eefb6409c1a), 774, 252 },
	{ UINT64_C(0xd01fef10a657842c), 800, 260 },
	{ UINT64_C(0x9b10a4e5e9913129), 827, 268 },
	{ UINT64_C(0xe7109bfba19c0c9d), 853, 276 },
	{ UINT64_C(0xac2820d9623bf429), 880, 284 },
	{ UINT64_C(0x80444b5e7aa7cf85), 907, 292 },
	{ UINT64_C(0xbf21e44003acdd2d), 933, 300 },
	{ UINT64_C(0x8e679c2f5e44ff8f), 960, 308 },
	{ UINT64_C(0xd433179d9c8cb841), 986, 316 },
	{ UINT64_C(0x9e19db92b4e31ba9), 1013, 324 },
	{ UINT64_C(0xeb96bf6ebadf77d9), 1039, 332 },
	{ UINT64_C(0xaf87023b9bf0ee6b), 1066, 340 },
};

#define POW10_COUNT (sizeof pow10_table / sizeof pow10_table[0])

/* One table step (8 decimal orders) is 26.575 binary orders: scaled by 1000. */
#define POW10_STEP_E     26575
#define POW10_STEP_SCALE 1000

/* Two ASCII digits for each value 0..99. */
static const char digit_pairs[] =
	"00010203040506070809"
	"10111213141516171819"
	"20212223242526272829"
	"30313233343536373839"
	"40414243444546474849"
	"50515253545556575859"
	"60616263646566676869"
	"70717273747576777879"
	"80818283848586878889"
	"90919293949596979899";

/* a >= 0 (or NaN) is an integer below 2^53 (the cast is then defined). */
static inline bool
is_exact_int(double a)
{
	return a < EXACT_INT_LIMIT && (double)(uint64_t)a == a;
}

static uint64_t
dbl_bits(double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof u);
	return u;
}

/* Number of decimal digits of v (1 for 0). */
static int
u64_digits(uint64_t v)
{
	int n = 1;

	for (;;) {
		if (v < 10)
			return n;
		if (v < 100)
			return n + 1;
		if (v < 1000)
			return n + 2;
		if (v < 10000)
			return n + 3;
		v /= 10000;
		n += 4;
	}
}

size_t
fmt_u64(char *dst, uint64_t v)
{
	int n = u64_digits(v);
	char *p = dst + n;

	while (v >= 100) {
		unsigned i = (unsigned)(v % 100) * 2;

		v /= 100;
		p -= 2;
		memcpy(p, digit_pairs + i, 2);
	}
	if (v >= 10) {
		p -= 2;
		memcpy(p, digit_pairs + v * 2, 2);
	} else {
		*--p = (char)('0' + v);
	}
	return (size_t)n;
}

/* ------------------------------------------------------------------ */
/* Grisu3: the proven fast path                                        */
/* ------------------------------------------------------------------ */

static struct diyfp
diy_normalize(struct diyfp x)
{
	int s = __builtin_clzll(x.f);

	x.f <<= s;
	x.e -= s;
	return x;
}

/* a * b rounded to 64 bits (error at most half a unit in the last place). */
static struct diyfp
diy_mul(struct diyfp a, struct diyfp b)
{
	struct diyfp r;
#ifdef __SIZEOF_INT128__
	unsigned __int128 p = (unsigned __int128)a.f * b.f;

	r.f = (uint64_t)(p >> DIY_BITS) + ((uint64_t)p >> (DIY_BITS - 1));
#else
	const uint64_t m32 = 0xffffffffu;
	uint64_t ah = a.f >> 32, al = a.f & m32, bh = b.f >> 32, bl = b.f & m32;
	uint64_t hh = ah * bh, hl = ah * bl, lh = al * bh, ll = al * bl;
	uint64_t mid = (ll >> 32) + (hl & m32) + (lh & m32);

	mid += UINT64_C(1) << 31; /* round the low half */
	r.f = hh + (hl >> 32) + (lh >> 32) + (mid >> 32);
#endif
	r.e = a.e + b.e + DIY_BITS;
	return r;
}

/*
 * v (positive, finite, non-zero) and the bounds of its rounding interval,
 * m- and m+ (halfway to the neighbouring doubles), all normalized to the
 * same exponent.  The lower neighbour is closer when v is a power of two
 * above the smallest normal exponent.
 */
static void
diy_bounds(uint64_t bits, struct diyfp *w, struct diyfp *lo, struct diyfp *hi)
{
	uint64_t frac = bits & DBL_FRAC_MASK;
	unsigned bexp = (unsigned)(bits >> DBL_FRAC_BITS) & DBL_EXP_FIELD;
	struct diyfp v, m;

	if (bexp != 0) {
		v.f = frac | DBL_HIDDEN_BIT;
		v.e = (int)bexp - DBL_EXP_BIAS;
	} else {
		v.f = frac;
		v.e = DBL_DENORM_EXP;
	}
	hi->f = (v.f << 1) + 1;
	hi->e = v.e - 1;
	*hi = diy_normalize(*hi);
	if (frac == 0 && bexp > 1) {
		m.f = (v.f << 2) - 1;
		m.e = v.e - 2;
	} else {
		m.f = (v.f << 1) - 1;
		m.e = v.e - 1;
	}
	m.f <<= m.e - hi->e;
	m.e = hi->e;
	*lo = m;
	*w = diy_normalize(v);
}

/*
 * A cached power c = 10^k with GRISU_ALPHA <= c.e + e + 64 <= GRISU_GAMMA.
 * Returns false (never for doubles, but the fast path must not rely on an
 * unchecked estimate) when no table entry fits.
 */
static bool
cached_power(int e, struct diyfp *c, int *k)
{
	int min_e = GRISU_ALPHA - e - DIY_BITS;
	int max_e = GRISU_GAMMA - e - DIY_BITS;
	/* First guess from the average binary step of the table; the loops
	 * below correct it (at most a step or two, no libm in the hot path). */
	int idx = (min_e - pow10_table[0].e) * POW10_STEP_SCALE / POW10_STEP_E;

	if (idx < 0)
		idx = 0;
	if (idx >= (int)POW10_COUNT)
		idx = (int)POW10_COUNT - 1;
	while (idx + 1 < (int)POW10_COUNT && pow10_table[idx].e < min_e)
		idx++;
	while (idx > 0 && pow10_table[idx - 1].e >= min_e)
		idx--;
	if (pow10_table[idx].e < min_e || pow10_table[idx].e > max_e)
		return false;
	c->f = pow10_table[idx].f;
	c->e = pow10_table[idx].e;
	*k = pow10_table[idx].k;
	return true;
}

/*
 * The digit-generation state, all in units of the scaled values.  "rest"
 * is too_high minus the value of the digits so far; ten_kappa the weight of
 * the last digit; unit the error bound (1, times 10 per fractional digit).
 */
struct weed {
	uint64_t dist_high_w; /* too_high - w */
	uint64_t unsafe;      /* too_high - too_low */
	uint64_t rest;
	uint64_t ten_kappa;
	uint64_t unit;
};

/*
 * The digits in buf[0..n) are the shortest in the unsafe interval.  Move
 * the last digit down towards w while that gets closer to it, then prove
 * that (a) no other choice could be closer to the real w, given its error,
 * and (b) the result lies in the safe interval, hence rounds back to v.
 */
static bool
round_weed(char *buf, int n, const struct weed *s)
{
	uint64_t small = s->dist_high_w - s->unit; /* too_high - highest possible w */
	uint64_t big = s->dist_high_w + s->unit;   /* too_high - lowest possible w */
	uint64_t rest = s->rest, tk = s->ten_kappa, unsafe = s->unsafe;

	while (rest < small && unsafe - rest >= tk &&
	       (rest + tk < small || small - rest >= rest + tk - small)) {
		if (buf[n - 1] == '0')
			return false;
		buf[n - 1]--;
		rest += tk;
	}
	if (rest < big && unsafe - rest >= tk &&
	    (rest + tk < big || big - rest > rest + tk - big))
		return false;
	/* Safe interval is [too_low + 2 unit, too_high - 2 unit]; keep an
	 * extra unit of margin at the low end. */
	return 2 * s->unit <= rest && rest <= unsafe - 4 * s->unit;
}

/* Powers of ten that fit 32 bits, for the integer-part digits. */
static const uint32_t pow10_u32[] = {
	1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u,
	100000000u, 1000000000u,
};

/*
 * Generate the shortest digits of the scaled interval (too_low, too_high)
 * into buf.  *n gets the digit count, *kappa the decimal exponent of the
 * last digit.  Returns whether round_weed() proved the result.
 */
static bool
digit_gen(struct diyfp lo, struct diyfp w, struct diyfp hi, char *buf, int *n,
          int *kappa)
{
	const uint64_t unit = 1;
	uint64_t too_low = lo.f - unit, too_high = hi.f + unit;
	uint64_t unsafe = too_high - too_low;
	int shift = -w.e;
	uint64_t one = UINT64_C(1) << shift;
	uint32_t p1 = (uint32_t)(too_high >> shift);
	uint64_t p2 = too_high & (one - 1);
	uint64_t prefix = 0;
	int i, k = (int)fmt_u64(buf, p1);
	struct weed s;

	/* Integer part: its digits are already in buf; after digit i the
	 * remainder is p1 minus the prefix's value, no division needed. */
	for (i = 0; i < k; i++) {
		uint64_t weight = pow10_u32[k - 1 - i];

		prefix = prefix * 10 + (uint64_t)(buf[i] - '0');
		s.rest = ((p1 - prefix * weight) << shift) + p2;
		if (s.rest < unsafe) {
			*n = i + 1;
			*kappa = k - 1 - i;
			s.dist_high_w = too_high - w.f;
			s.unsafe = unsafe;
			s.ten_kappa = weight << shift;
			s.unit = unit;
			return round_weed(buf, *n, &s);
		}
	}
	*n = k;
	k = 0;
	s.unit = unit;
	for (;;) {
		p2 *= 10;
		s.unit *= 10;
		unsafe *= 10;
		buf[(*n)++] = (char)('0' + (p2 >> shift));
		p2 &= one - 1;
		k--;
		if (p2 < unsafe) {
			*kappa = k;
			s.dist_high_w = (too_high - w.f) * s.unit;
			s.unsafe = unsafe;
			s.rest = p2;
			s.ten_kappa = one;
			return round_weed(buf, *n, &s);
		}
		if (*n >= MAX_SIG_DIGITS + 1)
			return false;
	}
}

/*
 * Fast path for finite v > 0.  Returns the digit count, or 0 when the
 * result is not proven; *min_n is then a lower bound for the length of any
 * round-tripping string (the generated candidate is the shortest in an
 * interval that contains the exact rounding interval).
 */
static int
grisu3(double v, char *digits, int *exp10, int *min_n)
{
	char buf[MAX_SIG_DIGITS + 2];
	struct diyfp w, lo, hi, c;
	int k, n, kappa;

	*min_n = 1;
	diy_bounds(dbl_bits(v), &w, &lo, &hi);
	if (!cached_power(w.e, &c, &k))
		return 0;
	w = diy_mul(w, c);
	lo = diy_mul(lo, c);
	hi = diy_mul(hi, c);
	if (!digit_gen(lo, w, hi, buf, &n, &kappa)) {
		*min_n = n < MAX_SIG_DIGITS ? n : MAX_SIG_DIGITS;
		return 0;
	}
	while (n > 1 && buf[n - 1] == '0') { /* cannot happen for a shortest result */
		n--;
		kappa++;
	}
	if (n > MAX_SIG_DIGITS)
		return 0;
	memcpy(digits, buf, (size_t)n);
	*exp10 = kappa - k + n - 1;
	return n;
}

int
fmt_fast_digits(double v, char *digits, int *exp10)
{
	int min_n;

	if (!isfinite(v) || v == 0)
		return 0;
	return grisu3(fabs(v), digits, exp10, &min_n);
}

/* ------------------------------------------------------------------ */
/* Exact slow path                                                     */
/* ------------------------------------------------------------------ */

/* Room for "%.16e" of any double: "d." + 16 digits + "e-308" + NUL. */
#define SLOW_BUF 40

/*
 * Shortest p >= min_n such that printf's correctly rounded p-digit value
 * reads back as v (finite, > 0).  Locale-proof: only digits and the
 * exponent are taken from the printed text.
 */
static int
slow_digits(double v, int min_n, char *digits, int *exp10)
{
	char buf[SLOW_BUF];
	int p, n = 0;
	const char *s;

	for (p = min_n; p < MAX_SIG_DIGITS; p++) {
		int len = snprintf(buf, sizeof buf, "%.*e", p - 1, v);

		if (len > 0 && len < (int)sizeof buf && strtod(buf, NULL) == v)
			break;
	}
	if (p == MAX_SIG_DIGITS) /* 17 digits always round-trip */
		(void)snprintf(buf, sizeof buf, "%.*e", p - 1, v);
	for (s = buf; *s != '\0' && *s != 'e'; s++)
		if (*s >= '0' && *s <= '9' && n < MAX_SIG_DIGITS)
			digits[n++] = *s;
	*exp10 = *s == 'e' ? atoi(s + 1) : 0;
	while (n > 1 && digits[n - 1] == '0')
		n--;
	return n;
}

/* Exact digits of an integer 0 < m < 2^53 (trailing zeros dropped). */
static int
int_digits(uint64_t m, char *digits, int *exp10)
{
	char buf[FMT_U64_MAX];
	int len = (int)fmt_u64(buf, m), n = len;

	while (n > 1 && buf[n - 1] == '0')
		n--;
	memcpy(digits, buf, (size_t)n);
	*exp10 = len - 1;
	return n;
}

int
fmt_shortest_digits(double v, char *digits, int *exp10)
{
	int n, min_n;

	if (!isfinite(v) || v == 0)
		return 0;
	v = fabs(v);
	if (is_exact_int(v))
		return int_digits((uint64_t)v, digits, exp10);
	n = grisu3(v, digits, exp10, &min_n);
	if (n > 0)
		return n;
	return slow_digits(v, min_n, digits, exp10);
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
		memcpy(p, d + 1, (size_t)(n - 1));
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
	memcpy(p, d, (size_t)(x + 1));
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
static bool
use_exponent(enum fmt_style style, double a, int x)
{
	if (x < GO_FIXED_MIN_EXP)
		return true;
	if (style != FMT_VALUE)
		return x >= GO_FIXED_END_EXP;
	/* FMT_VALUE: exact integers were handled before; non-integers are
	 * below 2^52 and read best in plain decimal. */
	return a >= EXACT_INT_LIMIT;
}

size_t
fmt_double_style(char *dst, double v, enum fmt_style style)
{
	char d[MAX_SIG_DIGITS];
	char *p = dst;
	double a = fabs(v);
	int n, x;
	size_t len;

	if (!isfinite(v))
		return fmt_special(dst, v);
	if (dbl_bits(v) & DBL_SIGN_BIT)
		*p++ = '-';
	if (style == FMT_VALUE && is_exact_int(a))
		return (size_t)(p - dst) + fmt_u64(p, (uint64_t)a);
	if (a == 0) {
		*p = '0';
		len = 1;
	} else {
		n = fmt_shortest_digits(a, d, &x);
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

size_t
fmt_double(char *dst, double v)
{
	return fmt_double_style(dst, v, FMT_VALUE);
}
