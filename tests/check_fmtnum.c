/* SPDX-License-Identifier: MIT */
/*
 * check_fmtnum.c - Check suite for fmtnum: exact strings for known values
 * (from the OpenMetrics canonical-number examples and Go's strconv rules),
 * then millions of generated doubles against a reference built only from
 * the C library: the shortest p such that strtod(snprintf("%.*e", p-1, v))
 * gives v back.  FMTNUM_ITER=N scales the random runs (default 250000 per
 * generator and loop), FMTNUM_SEED picks another seed.
 */
#include "config.h"

#include "fmtnum.h"

#include <check.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testrng.h"

#define DEFAULT_ITER    250000
#define DEFAULT_SEED    UINT64_C(0x243f6a8885a308d3)
#define REF_BUF         40
#define MAX_DIGITS      17
#define EXACT_INT_LIMIT 9007199254740992.0 /* 2^53 */
/* Every FULL_REF_EVERY-th value also gets the full 1..17 reference search. */
#define FULL_REF_EVERY 64
/* Generous: valgrind and sanitizer builds run the same loops. */
#define RANDOM_TIMEOUT_S 600

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static uint64_t
bits_of(double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof u);
	return u;
}

static double
from_bits(uint64_t u)
{
	double v;

	memcpy(&v, &u, sizeof v);
	return v;
}

static long
env_long(const char *name, long dflt)
{
	const char *s = getenv(name);

	return s != NULL && *s != '\0' ? strtol(s, NULL, 0) : dflt;
}

/* Does the correctly rounded p-digit decimal of v read back as v? */
static int
ref_roundtrips(double v, int p)
{
	char buf[REF_BUF];
	int n = snprintf(buf, sizeof buf, "%.*e", p - 1, v);

	REQUIRE(n > 0 && n < (int)sizeof buf, "snprintf failed for %a", v);
	return bits_of(strtod(buf, NULL)) == bits_of(v);
}

static int
ref_shortest(double v)
{
	int p;

	for (p = 1; p < MAX_DIGITS; p++)
		if (ref_roundtrips(v, p))
			return p;
	return MAX_DIGITS;
}

/* Significand exactly a power of two: the rounding interval is lopsided,
 * and a p-digit string may round-trip although printf's p-digit rounding
 * (which lands on the narrow side) does not. */
static int
pow2_significand(double v)
{
	return (bits_of(v) & ((UINT64_C(1) << 52) - 1)) == 0;
}

/* strtod of fmt output (NUL-terminated copy) must give v bit for bit. */
static void
check_roundtrip(double v, const char *s, size_t n)
{
	char buf[FMT_DOUBLE_MAX + 1];
	char *end;
	double back;

	REQUIRE(n > 0 && n <= FMT_DOUBLE_MAX, "length %zu for %a", n, v);
	memcpy(buf, s, n);
	buf[n] = '\0';
	back = strtod(buf, &end);
	REQUIRE(*end == '\0', "trailing junk in \"%s\"", buf);
	REQUIRE(bits_of(back) == bits_of(v), "\"%s\" reads back as %.17g, not %.17g", buf, back, v);
}

/* Decimal exponent of v as printf sees it at p digits. */
static int
ref_exp10(double v, int p)
{
	char buf[REF_BUF];
	const char *e;

	(void)snprintf(buf, sizeof buf, "%.*e", p - 1, fabs(v));
	e = strchr(buf, 'e');
	REQUIRE(e != NULL, "no exponent in %s", buf);
	return atoi(e + 1);
}

/* The layout rules of each style, checked on the output text. */
static void
check_layout(double v, const char *s, size_t n, enum fmt_style style, int x)
{
	int has_e = memchr(s, 'e', n) != NULL;
	int has_dot = memchr(s, '.', n) != NULL;
	double a = fabs(v);

	if (style == FMT_VALUE) {
		if (a < EXACT_INT_LIMIT && a == floor(a))
			REQUIRE(!has_e && !has_dot, "%.*s", (int)n, s);
		else
			REQUIRE(has_e == (x < -4 || a >= EXACT_INT_LIMIT), "%.*s", (int)n, s);
		return;
	}
	REQUIRE(has_e == (x < -4 || x >= 6), "%.*s x=%d", (int)n, s, x);
	if (style == FMT_OM_CANONICAL)
		REQUIRE(has_e || has_dot, "%.*s", (int)n, s);
	else if (!has_e && n >= 2)
		REQUIRE(!(s[n - 2] == '.' && s[n - 1] == '0'), "%.*s", (int)n, s);
}

/*
 * Full check of one finite value: digit count against the reference, round
 * trip and layout of all styles.
 */
static void
check_value(double v, unsigned long i)
{
	char d[MAX_DIGITS], s[FMT_DOUBLE_MAX];
	int n, x, ref;
	size_t len;
	enum fmt_style st;

	n = fmt_shortest_digits(v, d, &x);
	if (v == 0) {
		REQUIRE(n == 0, "digits for zero");
		x = 0;
	} else {
		REQUIRE(n >= 1 && n <= MAX_DIGITS, "%a: %d digits", v, n);
		REQUIRE(d[0] != '0' && d[n - 1] != '0', "%a: zero at an end", v);
		REQUIRE(n == 1 || !ref_roundtrips(v, n - 1), "%.17g: %d digits, but %d round-trip",
		        v, n, n - 1);
		if (!ref_roundtrips(v, n))
			REQUIRE(pow2_significand(v), "%.17g: printf's %d digits fail", v, n);
		else
			REQUIRE(x == ref_exp10(v, n), "%.17g: exponent %d", v, x);
		if (i % FULL_REF_EVERY == 0) {
			ref = ref_shortest(v);
			REQUIRE(n == ref || (n < ref && pow2_significand(v)),
			        "%.17g: %d digits, reference %d", v, n, ref);
		}
	}
	for (st = FMT_VALUE; st <= FMT_OM_CANONICAL; st++) {
		len = fmt_double(s, v, st);
		check_roundtrip(v, s, len);
		if (v != 0)
			check_layout(v, s, len, st, x);
	}
}

/* ------------------------------------------------------------------ */
/* Known strings                                                       */
/* ------------------------------------------------------------------ */

struct known {
	double v;
	const char *value, *go, *om;
};

static const struct known known[] = {
	/* OpenMetrics "Canonical Numbers" examples (om column). */
	{ 0.0, "0", "0", "0.0" },
	{ 0.001, "0.001", "0.001", "0.001" },
	{ 0.002, "0.002", "0.002", "0.002" },
	{ 0.01, "0.01", "0.01", "0.01" },
	{ 0.1, "0.1", "0.1", "0.1" },
	{ 0.9, "0.9", "0.9", "0.9" },
	{ 0.95, "0.95", "0.95", "0.95" },
	{ 0.99, "0.99", "0.99", "0.99" },
	{ 0.999, "0.999", "0.999", "0.999" },
	{ 1.0, "1", "1", "1.0" },
	{ 1.7, "1.7", "1.7", "1.7" },
	{ 10.0, "10", "10", "10.0" },
	{ 1e-10, "1e-10", "1e-10", "1e-10" },
	{ 1e-09, "1e-09", "1e-09", "1e-09" },
	{ 1e-05, "1e-05", "1e-05", "1e-05" },
	{ 0.0001, "0.0001", "0.0001", "0.0001" },
	{ 100000.0, "100000", "100000", "100000.0" },
	{ 1e+06, "1000000", "1e+06", "1e+06" },
	{ 1e+10, "10000000000", "1e+10", "1e+10" },
	{ 1e+23, "1e+23", "1e+23", "1e+23" },
	{ 1.1e+23, "1.1e+23", "1.1e+23", "1.1e+23" },
	/* Typical bucket bounds. */
	{ 0.005, "0.005", "0.005", "0.005" },
	{ 0.025, "0.025", "0.025", "0.025" },
	{ 2.5, "2.5", "2.5", "2.5" },
	/* Signs, integers, exact-integer limit. */
	{ -0.0, "-0", "-0", "-0.0" },
	{ -12.0, "-12", "-12", "-12.0" },
	{ 1234567.0, "1234567", "1.234567e+06", "1.234567e+06" },
	{ 1234567.5, "1234567.5", "1.2345675e+06", "1.2345675e+06" },
	{ 9007199254740991.0, "9007199254740991", "9.007199254740991e+15",
	  "9.007199254740991e+15" },
	{ 9007199254740992.0, "9.007199254740992e+15", "9.007199254740992e+15",
	  "9.007199254740992e+15" },
	{ 1e+21, "1e+21", "1e+21", "1e+21" },
	{ -1e-07, "-1e-07", "-1e-07", "-1e-07" },
	/* Classic shortest-digit cases. */
	{ 0.30000000000000004, "0.30000000000000004", "0.30000000000000004",
	  "0.30000000000000004" },
	{ 1.0 / 3.0, "0.3333333333333333", "0.3333333333333333", "0.3333333333333333" },
	{ 123456.789, "123456.789", "123456.789", "123456.789" },
	{ 5e-324, "5e-324", "5e-324", "5e-324" },
	{ DBL_MIN, "2.2250738585072014e-308", "2.2250738585072014e-308",
	  "2.2250738585072014e-308" },
	{ DBL_MAX, "1.7976931348623157e+308", "1.7976931348623157e+308",
	  "1.7976931348623157e+308" },
	/* Special values. */
	{ INFINITY, "+Inf", "+Inf", "+Inf" },
	{ -INFINITY, "-Inf", "-Inf", "-Inf" },
	{ NAN, "NaN", "NaN", "NaN" },
};

static void
assert_fmt(double v, enum fmt_style st, const char *want)
{
	char s[FMT_DOUBLE_MAX + 1];
	size_t n = fmt_double(s, v, st);

	s[n] = '\0';
	ck_assert_str_eq(s, want);
}

START_TEST(test_known)
{
	const struct known *k = &known[_i];

	assert_fmt(k->v, FMT_VALUE, k->value);
	assert_fmt(k->v, FMT_GO, k->go);
	assert_fmt(k->v, FMT_OM_CANONICAL, k->om);
	if (isfinite(k->v))
		check_value(k->v, 0);
}
END_TEST

START_TEST(test_u64)
{
	static const uint64_t vals[] = {
		0,
		1,
		9,
		10,
		11,
		99,
		100,
		101,
		999,
		1000,
		9999,
		10000,
		12345,
		99999,
		100000,
		4294967295u,
		4294967296u,
		UINT64_C(999999999999),
		UINT64_C(1000000000000),
		UINT64_C(9007199254740993),
		UINT64_C(9999999999999999999),
		UINT64_C(10000000000000000000),
		UINT64_MAX,
	};
	char s[FMT_U64_MAX + 1], want[32];
	size_t i, n;
	unsigned long j;
	uint64_t p;

	for (i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		n = fmt_u64(s, vals[i]);
		s[n] = '\0';
		(void)snprintf(want, sizeof want, "%" PRIu64, vals[i]);
		ck_assert_str_eq(s, want);
	}
	/* Every digit count, at both of its ends. */
	for (p = 10; p <= UINT64_C(10000000000000000000); p *= 10) {
		for (j = 0; j < 2; j++) {
			n = fmt_u64(s, p - j);
			s[n] = '\0';
			(void)snprintf(want, sizeof want, "%" PRIu64, p - j);
			ck_assert_str_eq(s, want);
		}
		if (p > UINT64_MAX / 10)
			break;
	}
	rng_state = DEFAULT_SEED;
	for (j = 0; j < 200000; j++) {
		uint64_t v = rng() >> (rng() % 64);

		n = fmt_u64(s, v);
		REQUIRE(n <= FMT_U64_MAX, "length %zu", n);
		s[n] = '\0';
		(void)snprintf(want, sizeof want, "%" PRIu64, v);
		REQUIRE(strcmp(s, want) == 0, "%s != %s", s, want);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* Generated values                                                    */
/* ------------------------------------------------------------------ */

enum gen {
	GEN_BITS,      /* random bit patterns (finite) */
	GEN_INTEGER,   /* random integers of every magnitude */
	GEN_DECIMAL,   /* few-digit decimals m * 10^k */
	GEN_SUBNORMAL, /* random subnormals */
	GEN_WORKLOAD,  /* (i + 0.5) / 7 and friends */
	GEN_COUNT
};

static double
gen_value(enum gen g, unsigned long i)
{
	char buf[REF_BUF];
	double v;

	switch (g) {
	case GEN_BITS:
		do
			v = from_bits(rng());
		while (!isfinite(v));
		return v;
	case GEN_INTEGER:
		return (double)(int64_t)(rng() >> (rng() % 64)) * (rng() & 1 ? 1 : -1);
	case GEN_DECIMAL:
		(void)snprintf(buf, sizeof buf, "%" PRIu64 "e%d", rng() % 1000000,
		               (int)(rng() % 60) - 40);
		return strtod(buf, NULL);
	case GEN_SUBNORMAL:
		return from_bits(rng() & ((UINT64_C(1) << 52) - 1));
	case GEN_WORKLOAD:
	default:
		return ((double)(i % 100000) + 0.5) / (double)(rng() % 13 + 1);
	}
}

START_TEST(test_generated)
{
	unsigned long i, iter = (unsigned long)env_long("FMTNUM_ITER", DEFAULT_ITER);

	rng_state = (uint64_t)env_long("FMTNUM_SEED", (long)(DEFAULT_SEED >> 1)) + (uint64_t)_i;
	for (i = 0; i < iter; i++) {
		double v = gen_value((enum gen)_i, i);

		check_value(v, i);
	}
}
END_TEST

/* Every power of two and of ten, and both neighbours of each. */
START_TEST(test_powers)
{
	int e;
	double v;

	for (e = -1074; e <= 1023; e++) {
		v = ldexp(1.0, e);
		check_value(v, 0);
		check_value(nextafter(v, 0), 0);
		check_value(nextafter(v, INFINITY), 0);
		check_value(-v, 0);
	}
	for (e = -323; e <= 308; e++) {
		char buf[REF_BUF];

		(void)snprintf(buf, sizeof buf, "1e%d", e);
		v = strtod(buf, NULL);
		check_value(v, 0);
		check_value(nextafter(v, 0), 0);
		check_value(nextafter(v, INFINITY), 0);
	}
	check_value(DBL_MAX, 0);
	check_value(nextafter(DBL_MAX, 0), 0);
	check_value(DBL_TRUE_MIN, 0);
	check_value(2 * DBL_TRUE_MIN, 0);
	check_value(nextafter(DBL_MIN, 0), 0);
}
END_TEST

static Suite *
fmtnum_suite(void)
{
	Suite *s = suite_create("fmtnum");
	TCase *core = tcase_create("core");
	TCase *random = tcase_create("random");

	tcase_add_loop_test(core, test_known, 0, (int)(sizeof known / sizeof known[0]));
	tcase_add_test(core, test_u64);
	tcase_add_test(core, test_powers);
	suite_add_tcase(s, core);
	tcase_set_timeout(random, RANDOM_TIMEOUT_S);
	tcase_add_loop_test(random, test_generated, 0, GEN_COUNT);
	suite_add_tcase(s, random);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(fmtnum_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
