/* SPDX-License-Identifier: MIT */
/*
 * check_nhist.c - Check suite for the native histogram math (src/nhist.h).
 *
 * The reference for bucket bounds is long double arithmetic (x86-64: a
 * 64-bit significand, eleven bits more than a double): every table entry
 * and every bound nhist_upper() gives is checked to be the largest double
 * not above 2^(i / 2^s) as exp2l computes it, away from that reference's
 * own error.  The index is then checked at every bound (the bound itself in
 * bucket i, the next double in i + 1) for wide index ranges of every
 * schema, and against log2l for random doubles of every exponent.
 *
 * The strategies are checked against a model: after any sequence of
 * observations, the state must be exactly the histogram of the values seen
 * since the last reset, bucketed at the state's current schema and zero
 * threshold (the specification's promise that merging never moves an
 * observation into a bucket that does not contain it).  NHIST_ITER scales
 * the random runs, NHIST_SEED picks another seed.
 */
#include "config.h"

#include "nhist.h"

#include <check.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testrng.h"

#define DEFAULT_ITER UINT64_C(200000)
#define DEFAULT_SEED UINT64_C(0x452821e638d01377)
#define N_SCHEMAS    (NHIST_SCHEMA_MAX - NHIST_SCHEMA_MIN + 1)
/* Relative error allowed to exp2l/log2l (a few units of the long double's
 * last place); a double differs from its neighbour by 2^-52 relative. */
#define LD_TOL (4 * LDBL_EPSILON)
/* Indices checked around 0 at every schema (all of them for schema <= 2). */
#define INDEX_SPAN 3000
/* Observations the model keeps (a run resets it before it fills). */
#define MODEL_MAX        4096
#define RANDOM_TIMEOUT_S 600

static uint64_t
env_u64(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);

	return s != NULL && *s != '\0' ? strtoull(s, NULL, 0) : dflt;
}

static void
seed(void)
{
	rng_state = env_u64("NHIST_SEED", DEFAULT_SEED);
}

static uint64_t
iterations(void)
{
	return env_u64("NHIST_ITER", DEFAULT_ITER);
}

/* A random positive finite double, every exponent equally likely. */
static double
random_magnitude(void)
{
	double v;

	do {
		uint64_t u = rng() & ~(UINT64_C(1) << 63);

		memcpy(&v, &u, sizeof v);
	} while (!isfinite(v) || v == 0);
	return v;
}

/* The real bound 2^(i / 2^s), in long double. */
static long double
exact_bound(int32_t i, int s)
{
	return exp2l((long double)i / ldexpl(1, s));
}

/* Whether long double arithmetic really carries more bits than double
 * (not so where long double is double, nor under valgrind, which computes
 * x87 operations in double precision): without them the reference cannot
 * tell a bound from its neighbours. */
static int
extended(void)
{
	volatile long double one = 1, eps = LDBL_EPSILON;

	return LDBL_MANT_DIG > DBL_MANT_DIG && one + eps != one;
}

/* Whether d is the largest double not above x, decided with a margin of
 * x's own error: 0 also when that margin leaves it open.  Always 1 when the
 * reference is no more precise than a double (extended() is 0). */
static int
is_round_down(double d, long double x)
{
	long double tol = x * LD_TOL;
	double next = nextafter(d, (double)INFINITY);

	if (!extended())
		return 1;
	return (long double)d <= x && (long double)next > x + tol &&
	       ((long double)d == x || (long double)d < x - tol);
}

/* ------------------------------------------------------------------ */
/* Bounds and indices                                                  */
/* ------------------------------------------------------------------ */

/* Every bound in one power of two, at the finest schema (the table). */
START_TEST(test_table)
{
	int32_t k;

	for (k = 0; k < 256; k++) {
		double u = nhist_upper(k, NHIST_SCHEMA_MAX);

		REQUIRE(is_round_down(u, exact_bound(k, NHIST_SCHEMA_MAX)),
		        "bound %d at schema 8: %a", k, u);
		if (k > 0)
			REQUIRE(u > nhist_upper(k - 1, NHIST_SCHEMA_MAX),
			        "bounds not increasing at %d", k);
	}
	ck_assert(nhist_upper(0, 8) == 1.0);
	ck_assert(nhist_upper(128, 8) == 0x1.6a09e667f3bccp+0); /* sqrt(2) rounded down */
	ck_assert(nhist_upper(256, 8) == 2.0);
}
END_TEST

/*
 * Check index i of schema s at its bound: the bound is the reference's
 * round-down, the bound is in bucket i and the next double above.  Below
 * DBL_MIN the doubles are further apart than the buckets are wide: a bucket
 * may hold no double at all (its bound then equals the one below it), so
 * there the bound is only at most bucket i and the next double above it.
 */
static void
check_bound(int32_t i, int s)
{
	double u = nhist_upper(i, s), next = nextafter(u, (double)INFINITY);
	int normal = u >= DBL_MIN;

	REQUIRE(u > 0 && isfinite(u), "bound of %d at schema %d: %a", i, s, u);
	if (i < nhist_index_max(s) - 1)
		REQUIRE(is_round_down(u, exact_bound(i, s)), "bound %d at schema %d: %a", i, s, u);
	REQUIRE(normal ? nhist_index(u, s) == i : nhist_index(u, s) <= i,
	        "index of bound %a (i %d, schema %d): %d", u, i, s, nhist_index(u, s));
	REQUIRE(normal ? nhist_index(next, s) == i + 1 : nhist_index(next, s) > i,
	        "index above bound %a (i %d, schema %d): %d", u, i, s, nhist_index(next, s));
	if (i > nhist_index_min(s))
		REQUIRE(normal ? nhist_upper(i - 1, s) < u : nhist_upper(i - 1, s) <= u,
		        "bounds %d, %d at schema %d not increasing", i - 1, i, s);
}

START_TEST(test_bounds)
{
	int s = NHIST_SCHEMA_MIN + _i;
	int32_t lo = nhist_index_min(s), hi = nhist_index_max(s) - 1, i;

	for (i = lo; i <= hi; i++) {
		/* all of them up to schema 2; around 0 and both ends above */
		if (s > 2 && i > lo + INDEX_SPAN && i < -INDEX_SPAN)
			i = -INDEX_SPAN;
		if (s > 2 && i > INDEX_SPAN && i < hi - INDEX_SPAN)
			i = hi - INDEX_SPAN;
		check_bound(i, s);
	}
	/* the ends of the double range */
	ck_assert_int_eq(nhist_index(DBL_TRUE_MIN, s), lo);
	ck_assert(nhist_upper(lo, s) >= DBL_TRUE_MIN);
	ck_assert(nhist_upper(lo - 1, s) == 0);
	ck_assert_int_eq(nhist_index(DBL_MAX, s), hi);
	ck_assert(nhist_upper(hi, s) == DBL_MAX);
	ck_assert_int_eq(nhist_index((double)INFINITY, s), hi + 1);
	ck_assert(isinf(nhist_upper(hi + 1, s)));
	ck_assert_int_eq(nhist_index(1, s), 0);
	ck_assert(nhist_upper(0, s) == 1);
	ck_assert_int_eq(nhist_index(nextafter(1, 2), s), 1);
}
END_TEST

/* Known values of the specification: DBL_MAX in 262144 at schema 8,
 * +Inf in 262145; powers of two. */
START_TEST(test_known_indices)
{
	ck_assert_int_eq(nhist_index(DBL_MAX, 8), 262144);
	ck_assert_int_eq(nhist_index((double)INFINITY, 8), 262145);
	ck_assert_int_eq(nhist_index(DBL_MAX, -4), 64);
	ck_assert_int_eq(nhist_index(DBL_TRUE_MIN, -4), -67);
	ck_assert_int_eq(nhist_index_max(-4) - nhist_index_min(-4) + 1, NHIST_WINDOW_ALL);
	ck_assert_int_eq(nhist_index(2, 0), 1);
	ck_assert_int_eq(nhist_index(3, 0), 2);
	ck_assert_int_eq(nhist_index(4, 0), 2);
	ck_assert_int_eq(nhist_index(0.25, 0), -2);
	ck_assert_int_eq(nhist_index(0.3, 0), -1);
	ck_assert_int_eq(nhist_index(2, 3), 8);
	ck_assert_int_eq(nhist_index(0.5, 3), -8);
	ck_assert_int_eq(nhist_index(16, -1), 2);
	ck_assert_int_eq(nhist_index(17, -1), 3);
	ck_assert_int_eq(nhist_index(65536, -4), 1);
	ck_assert_int_eq(nhist_index(65537, -4), 2);
	ck_assert_int_eq(nhist_index(1.0 / 65536, -4), -1);
	ck_assert_int_eq(nhist_index(1.0 / 65537, -4), -1);
	ck_assert_int_eq(nhist_index(1.0 / 65536 / 65536, -4), -2);
	/* sqrt(2): the largest double below it is in bucket 1 of schema 1,
	 * the next double (above the real bound) in bucket 2 */
	ck_assert_int_eq(nhist_index(0x1.6a09e667f3bccp+0, 1), 1);
	ck_assert_int_eq(nhist_index(0x1.6a09e667f3bcdp+0, 1), 2);
}
END_TEST

/* Random doubles of every exponent: between the bounds of their bucket,
 * and where log2l decides clearly, its index. */
START_TEST(test_random_index)
{
	int s = NHIST_SCHEMA_MIN + _i;
	uint64_t n, iter = iterations();

	seed();
	for (n = 0; n < iter; n++) {
		double m = random_magnitude();
		int32_t i = nhist_index(m, s);
		long double x = log2l((long double)m) * ldexpl(1, s), c = ceill(x);

		REQUIRE(m <= nhist_upper(i, s) && m > nhist_upper(i - 1, s),
		        "%a at schema %d: index %d, bounds %a %a", m, s, i, nhist_upper(i - 1, s),
		        nhist_upper(i, s));
		if (c - x > 1e-9L && x - (c - 1) > 1e-9L)
			REQUIRE(i == (int32_t)c, "%a at schema %d: %d, log2l says %.0Lf", m, s, i,
			        c);
	}
}
END_TEST

/* Halving the resolution d times maps index i to the index of the same
 * values: nhist_index(m, s - d) == reduce(nhist_index(m, s), d). */
START_TEST(test_reduce)
{
	int s = NHIST_SCHEMA_MIN + _i, t;
	uint64_t n, iter = iterations() / 4;

	seed();
	for (t = NHIST_SCHEMA_MIN; t <= s; t++) {
		unsigned d = (unsigned)(s - t);

		ck_assert_int_eq(nhist_index_reduce(nhist_index_max(s), d), nhist_index_max(t));
		ck_assert_int_eq(nhist_index_reduce(nhist_index_min(s), d), nhist_index_min(t));
		for (n = 0; n < iter; n++) {
			double m = random_magnitude();

			REQUIRE(nhist_index(m, t) == nhist_index_reduce(nhist_index(m, s), d),
			        "%a: schema %d -> %d", m, s, t);
		}
	}
	ck_assert_int_eq(nhist_index_reduce(-1, 1), 0);
	ck_assert_int_eq(nhist_index_reduce(-2, 1), -1);
	ck_assert_int_eq(nhist_index_reduce(-3, 1), -1);
	ck_assert_int_eq(nhist_index_reduce(1, 1), 1);
	ck_assert_int_eq(nhist_index_reduce(3, 1), 2);
	ck_assert_int_eq(nhist_index_reduce(0, 12), 0);
	ck_assert_int_eq(nhist_index_reduce(INT32_MIN, 31), -1);
	ck_assert_int_eq(nhist_index_reduce(INT32_MAX, 31), 1);
}
END_TEST

START_TEST(test_reduction)
{
	ck_assert_uint_eq(nhist_reduction(0, 3, 4), 0);
	ck_assert_uint_eq(nhist_reduction(0, 4, 4), 1);  /* 0..2 */
	ck_assert_uint_eq(nhist_reduction(-5, 5, 4), 2); /* -1..2 */
	ck_assert_uint_eq(nhist_reduction(7, 7, 1), 0);
	ck_assert_uint_eq(nhist_reduction(1, 2, 1), 1); /* 1, 1 */
	ck_assert_uint_eq(nhist_reduction(INT32_MIN, INT32_MAX, 2), 32);
	/* at most 1 and above 1 never share one bucket */
	ck_assert_uint_eq(nhist_reduction(0, 1, 1), 33);
}
END_TEST

struct factor_case {
	double factor;
	int schema;
};

/* The specification's table of example factors, then the edges. */
START_TEST(test_schema_for_factor)
{
	static const struct factor_case cases[] = {
		{ 65536, -4 }, { 256, -3 }, { 16, -2 },   { 4, -1 },     { 2, 0 },
		{ 1.5, 1 },    { 1.2, 2 },  { 1.1, 3 },   { 1.05, 4 },   { 1.03, 5 },
		{ 1.02, 6 },   { 1.01, 7 }, { 1.005, 8 }, { 1.0001, 8 }, { 1e300, -4 },
		{ 65535, -3 }, { 3.99, 0 }, { 1.99, 1 },
	};
	size_t k;
	int s;

	for (k = 0; k < sizeof cases / sizeof cases[0]; k++)
		ck_assert_msg(nhist_schema_for_factor(cases[k].factor) == cases[k].schema,
		              "factor %g: %d, want %d", cases[k].factor,
		              nhist_schema_for_factor(cases[k].factor), cases[k].schema);
	/* exactly at each growth 2^(2^-s): the largest double not above it
	 * asks for a finer schema (unless it is exact), the next for s */
	for (s = NHIST_SCHEMA_MIN; s < NHIST_SCHEMA_MAX; s++) {
		double g = nhist_upper(1, s); /* the growth, rounded down */

		ck_assert_int_eq(nhist_schema_for_factor(nextafter(g, (double)INFINITY)), s);
		ck_assert_int_eq(nhist_schema_for_factor(g), s <= 0 ? s : s + 1);
		ck_assert_int_eq(nhist_schema_for_factor(nextafter(g, 0)), s + 1);
	}
	ck_assert_int_eq(nhist_schema_for_factor((double)INFINITY), NHIST_SCHEMA_MIN);
	ck_assert_int_eq(nhist_schema_for_factor(1), NHIST_SCHEMA_MIN - 1);
	ck_assert_int_eq(nhist_schema_for_factor(0.5), NHIST_SCHEMA_MIN - 1);
	ck_assert_int_eq(nhist_schema_for_factor(NAN), NHIST_SCHEMA_MIN - 1);
	ck_assert_int_eq(nhist_schema_for_factor(nextafter(1, 2)), NHIST_SCHEMA_MAX);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Windows                                                             */
/* ------------------------------------------------------------------ */

static _Atomic uint64_t win[NHIST_WINDOW_MAX];

static void
win_set(const uint64_t *v, uint32_t n)
{
	uint32_t j;

	for (j = 0; j < n; j++)
		atomic_store(&win[j], v[j]);
}

START_TEST(test_window_basics)
{
	static const uint64_t v[8] = { 0, 0, 3, 0, 1, 0, 0, 0 };
	uint32_t slot = 99;
	int32_t lo = 0, hi = 0;

	ck_assert(nhist_window_slot(-2, 4, -2, &slot) && slot == 0);
	ck_assert(nhist_window_slot(-2, 4, 1, &slot) && slot == 3);
	ck_assert(!nhist_window_slot(-2, 4, 2, &slot));
	ck_assert(!nhist_window_slot(-2, 4, -3, &slot));
	ck_assert(!nhist_window_slot(INT32_MAX, 4, INT32_MIN, &slot));
	win_set(v, 8);
	ck_assert(nhist_window_range(win, 8, 10, &lo, &hi));
	ck_assert_int_eq(lo, 12);
	ck_assert_int_eq(hi, 14);
	ck_assert(!nhist_window_range(win, 2, 10, &lo, &hi));
	ck_assert_int_eq(nhist_window_centre(12, 14, 8), 10);
	ck_assert_int_eq(nhist_window_centre(12, 14, 3), 12);
	ck_assert_int_eq(nhist_window_centre(-3, -3, 4), -4);
}
END_TEST

/* Random windows re-laid in place against a remap into a second array. */
START_TEST(test_window_remap)
{
	uint64_t k, iter = iterations() / 20;

	seed();
	for (k = 0; k < iter; k++) {
		uint32_t n = 1 + (uint32_t)(rng() % 40), j;
		int32_t off = (int32_t)(rng() % 200) - 100, new_off, lo, hi;
		unsigned d = (unsigned)(rng() % 4);
		uint64_t before[64] = { 0 }, want[64] = { 0 };
		int fit = 1, rc;

		for (j = 0; j < n; j++)
			before[j] = rng() % 3 == 0 ? rng() % 1000 : 0;
		win_set(before, n);
		if (!nhist_window_range(win, n, off, &lo, &hi))
			continue;
		/* sometimes a window the result does not fit */
		new_off = nhist_index_reduce(lo, d) - (int32_t)(rng() % (n + 2)) + 1;
		for (j = 0; j < n; j++) {
			int64_t t = (int64_t)nhist_index_reduce(off + (int32_t)j, d) - new_off;

			if (before[j] == 0)
				continue;
			if (t < 0 || t >= n)
				fit = 0;
			else
				want[t] += before[j];
		}
		rc = nhist_window_remap(win, n, off, d, new_off);
		REQUIRE(rc == (fit ? 0 : -1), "remap n %u off %d d %u new %d: %d", n, off, d,
		        new_off, rc);
		for (j = 0; j < n; j++)
			REQUIRE(atomic_load(&win[j]) == (fit ? want[j] : before[j]),
			        "slot %u after remap n %u off %d d %u new %d", j, n, off, d,
			        new_off);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* Observing: the model                                                */
/* ------------------------------------------------------------------ */

static _Atomic uint64_t state[NHIST_SLOTS(NHIST_WINDOW_MAX)];
static struct mstore_native_snapshot snap;

struct model {
	double v[MODEL_MAX]; /* observations since the last reset */
	size_t n;
	unsigned events; /* every event seen */
};

static void
model_observe(struct model *md, const struct nhist_config *c, double v, int64_t now)
{
	unsigned ev = nhist_observe(state, c, v, now);

	if (ev & NHIST_RESET)
		md->n = 0;
	md->events |= ev;
	md->v[md->n++] = v;
}

static int
cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

/* The indices, sorted, of the model's values of one sign above zt. */
static size_t
model_indices(const struct model *md, int sign, int schema, double zt, int32_t *out)
{
	size_t k, n = 0;

	for (k = 0; k < md->n; k++) {
		double v = md->v[k];

		if (isnan(v) || fabs(v) <= zt || (v > 0) != (sign == NHIST_POS))
			continue;
		out[n++] = nhist_index(fabs(v), schema);
	}
	qsort(out, n, sizeof *out, cmp_i32);
	return n;
}

/* The state equals the histogram of the model's values at the state's
 * schema and zero threshold; and everything the state promises holds. */
static void
model_check(const struct model *md, const struct nhist_config *c)
{
	static int32_t idx[MODEL_MAX];
	uint64_t zero = 0, valid = 0;
	size_t k;
	int sign;

	nhist_read(state, c->nbuckets, &snap);
	for (k = 0; k < md->n; k++) {
		valid += !isnan(md->v[k]);
		zero += fabs(md->v[k]) <= snap.zero_threshold;
	}
	REQUIRE(nhist_snapshot_valid(&snap, valid), "snapshot invalid");
	REQUIRE(snap.schema >= NHIST_SCHEMA_MIN && snap.schema <= c->schema, "schema %d",
	        snap.schema);
	REQUIRE(snap.zero_threshold >= c->zero_threshold &&
	                (snap.zero_threshold <= c->max_zero_threshold ||
	                 (md->events & NHIST_FORCED)),
	        "zero threshold %a", snap.zero_threshold);
	REQUIRE(snap.zero_count == zero, "zero count %" PRIu64 ", want %" PRIu64, snap.zero_count,
	        zero);
	for (sign = 0; sign < 2; sign++) {
		size_t n = model_indices(md, sign, snap.schema, snap.zero_threshold, idx), at = 0;
		uint32_t j;

		for (j = 0; j < snap.nbuckets; j++) {
			int32_t index = snap.offset[sign] + (int32_t)j;
			uint64_t want = 0;

			while (at < n && idx[at] == index) {
				want++;
				at++;
			}
			/* outside the bracket: 0, not written */
			uint64_t got = j >= snap.first[sign] && j < snap.end[sign]
			                       ? snap.bucket[sign][j]
			                       : 0;

			REQUIRE(got == want,
			        "sign %d index %d: %" PRIu64 ", want %" PRIu64 " (schema %d)", sign,
			        index, got, want, snap.schema);
		}
		REQUIRE(at == n, "sign %d: %zu observations outside the window", sign, n - at);
		REQUIRE(snap.first[sign] == snap.end[sign] ||
		                (snap.bucket[sign][snap.first[sign]] != 0 &&
		                 snap.bucket[sign][snap.end[sign] - 1] != 0),
		        "sign %d: [%u, %u) not the populated range", sign, snap.first[sign],
		        snap.end[sign]);
	}
}

static void
model_start(struct model *md, const struct nhist_config *c, int64_t now)
{
	ck_assert_int_eq(nhist_config_check(c), 0);
	nhist_init(state, c, now);
	md->n = 0;
	md->events = 0;
}

START_TEST(test_observe_basic)
{
	static struct model md;
	struct nhist_config c = { .schema = 3, .nbuckets = 16 };

	model_start(&md, &c, 1);
	model_observe(&md, &c, 1, 1);
	model_observe(&md, &c, -1, 1);
	model_observe(&md, &c, 0, 1);
	model_observe(&md, &c, -0.0, 1);
	model_observe(&md, &c, NAN, 1);
	model_observe(&md, &c, 1.05, 1);
	model_observe(&md, &c, 1.1, 1);
	model_check(&md, &c);
	ck_assert_uint_eq(snap.zero_count, 2);
	ck_assert_int_eq(snap.schema, 3);
	ck_assert(md.events == 0); /* all within the first windows, at 0..15 */
	/* +Inf and -Inf: the overflow buckets, which with 16 buckets at
	 * schema 3 do not fit next to 1: the resolution drops */
	model_observe(&md, &c, (double)INFINITY, 1);
	model_observe(&md, &c, -(double)INFINITY, 1);
	model_check(&md, &c);
	ck_assert(md.events & NHIST_REDUCED);
	ck_assert_int_eq(snap.schema, -4);
}
END_TEST

/* The zero threshold: exactly at it is zero, just above is a bucket. */
START_TEST(test_observe_zero_threshold)
{
	static struct model md;
	struct nhist_config c = {
		.schema = 0, .nbuckets = 8, .zero_threshold = 0.25, .max_zero_threshold = 0.25
	};

	model_start(&md, &c, 1);
	model_observe(&md, &c, 0.25, 1);
	model_observe(&md, &c, -0.25, 1);
	model_observe(&md, &c, nextafter(0.25, 1), 1);
	model_check(&md, &c);
	ck_assert_uint_eq(snap.zero_count, 2);
	ck_assert_uint_eq(snap.bucket[NHIST_POS][-1 - snap.offset[NHIST_POS]], 1);
}
END_TEST

/* Spec step 2: the zero bucket swallows the lowest bucket, within its
 * limit; then step 3 once the limit is reached. */
START_TEST(test_observe_widen)
{
	static struct model md;
	struct nhist_config c = { .schema = 0, .nbuckets = 3, .max_zero_threshold = 2 };

	model_start(&md, &c, 1);
	model_observe(&md, &c, 0.6, 1); /* index 0 */
	model_observe(&md, &c, 1.5, 1); /* 1 */
	model_observe(&md, &c, 3, 1);   /* 2 */
	model_check(&md, &c);
	ck_assert(!(md.events & NHIST_WIDENED));
	model_observe(&md, &c, 6, 1); /* 3: 0..3 is 4 wide */
	model_check(&md, &c);
	ck_assert((md.events & NHIST_WIDENED) && !(md.events & NHIST_REDUCED));
	ck_assert(snap.zero_threshold == 1);
	ck_assert_uint_eq(snap.zero_count, 1);
	model_observe(&md, &c, 12, 1); /* 4: 1..4 */
	model_check(&md, &c);
	ck_assert(snap.zero_threshold == 2);
	ck_assert_uint_eq(snap.zero_count, 2);
	ck_assert_int_eq(snap.schema, 0);
	/* the limit reached: 100 (index 7) beside 2..4 halves twice */
	model_observe(&md, &c, 100, 1);
	model_check(&md, &c);
	ck_assert(md.events & NHIST_REDUCED);
	ck_assert_int_eq(snap.schema, -2);
	ck_assert(snap.zero_threshold == 2);
}
END_TEST

/* The new value itself the lowest: it goes into the widened zero bucket. */
START_TEST(test_observe_widen_self)
{
	static struct model md;
	struct nhist_config c = { .schema = 0, .nbuckets = 2, .max_zero_threshold = 10 };

	model_start(&md, &c, 1);
	model_observe(&md, &c, 4, 1);    /* index 2 */
	model_observe(&md, &c, 8, 1);    /* 3 */
	model_observe(&md, &c, -1.5, 1); /* 1, the other sign: its own window */
	model_check(&md, &c);
	ck_assert(!(md.events & NHIST_WIDENED));
	model_observe(&md, &c, 1.5, 1); /* 1 beside 2..3: the lowest, both signs */
	model_check(&md, &c);
	ck_assert(md.events & NHIST_WIDENED);
	ck_assert(snap.zero_threshold == 2);
	ck_assert_uint_eq(snap.zero_count, 2);
	ck_assert_uint_eq(snap.bucket[NHIST_POS][2 - snap.offset[NHIST_POS]], 1);
}
END_TEST

/* Spec step 3 alone: 1, 2, 4, 8, 16 (indices 0..4) in 4 buckets. */
START_TEST(test_observe_reduce)
{
	static struct model md;
	struct nhist_config c = { .schema = 0, .nbuckets = 4 };
	double v;

	model_start(&md, &c, 1);
	for (v = 1; v <= 16; v *= 2)
		model_observe(&md, &c, v, 1);
	model_check(&md, &c);
	ck_assert_int_eq(snap.schema, -1);
	ck_assert(md.events & NHIST_REDUCED);
	/* several halvings at once */
	model_observe(&md, &c, 1e6, 1);
	model_check(&md, &c);
	ck_assert_int_eq(snap.schema, -3);
}
END_TEST

/* Spec step 1: a reset once min_reset_ns passed since the last one; and
 * the lazy return to the configured state of a reduced histogram. */
START_TEST(test_observe_reset)
{
	static struct model md;
	struct nhist_config c = { .schema = 2, .nbuckets = 4, .min_reset_ns = 100 };

	model_start(&md, &c, 1000);
	model_observe(&md, &c, 1, 1050);
	model_observe(&md, &c, 1000, 1050); /* too early to reset: reduced */
	model_check(&md, &c);
	ck_assert(!(md.events & NHIST_RESET));
	ck_assert_int_lt(snap.schema, 2);
	model_observe(&md, &c, 1, 1099); /* still early */
	ck_assert(!(md.events & NHIST_RESET));
	model_observe(&md, &c, 2, 1100); /* due: back to schema 2, then 2 */
	model_check(&md, &c);
	ck_assert(md.events & NHIST_RESET);
	ck_assert_int_eq(md.n, 1);
	ck_assert_int_eq(snap.schema, 2);
	/* over the limit with a reset due: reset instead of reducing */
	md.events = 0;
	model_observe(&md, &c, 1e9, 1250);
	model_check(&md, &c);
	ck_assert(md.events & NHIST_RESET);
	ck_assert(!(md.events & NHIST_REDUCED));
	ck_assert_int_eq(md.n, 1);
	/* time unknown (0) or going backwards: no reset */
	md.events = 0;
	model_observe(&md, &c, 1e-9, 0);
	model_observe(&md, &c, 1e-19, 1200);
	model_check(&md, &c);
	ck_assert(!(md.events & NHIST_RESET));
}
END_TEST

/* A window too small even for schema -4: the zero bucket widens past its
 * limit and nothing is lost. */
START_TEST(test_observe_forced)
{
	static struct model md;
	struct nhist_config c = { .schema = -4, .nbuckets = 2 };

	model_start(&md, &c, 1);
	model_observe(&md, &c, 1e-300, 1);
	model_observe(&md, &c, 1, 1);
	model_observe(&md, &c, -1e300, 1);
	model_observe(&md, &c, DBL_MAX, 1);
	model_observe(&md, &c, (double)INFINITY, 1);
	model_check(&md, &c);
	ck_assert(md.events & NHIST_FORCED);
	ck_assert(isfinite(snap.zero_threshold));
	ck_assert_uint_eq(snap.zero_count + snap.bucket[0][0] + snap.bucket[0][1] +
	                          snap.bucket[1][0] + snap.bucket[1][1],
	                  5);
}
END_TEST

/* A value of a random kind: mostly around one scale, some far out, zero,
 * NaN, infinities, either sign. */
static double
random_value(double scale)
{
	uint64_t r = rng();
	double v;

	switch (r % 16) {
	case 0:
		v = random_magnitude();
		break;
	case 1:
		v = (r >> 8) % 4 == 0 ? NAN : (r >> 8) % 4 == 1 ? 0 : (double)INFINITY;
		break;
	default:
		v = scale * exp2((double)((int64_t)(r >> 16) % 4096) / 256.0);
		break;
	}
	return (r >> 4) % 5 == 0 ? -v : v;
}

START_TEST(test_observe_random)
{
	static struct model md;
	uint64_t k, runs = iterations() / 2000 + 1;
	unsigned all = 0;

	seed();
	for (k = 0; k < runs; k++) {
		struct nhist_config c = {
			.schema = NHIST_SCHEMA_MIN + (int)(rng() % N_SCHEMAS),
			.nbuckets = 1 + (uint32_t)(rng() % (rng() % 2 ? 8 : 160)),
			.zero_threshold = rng() % 3 == 0 ? ldexp(1, -(int)(rng() % 40)) : 0,
			.min_reset_ns = rng() % 4 == 0 ? 500 : 0,
		};
		double scale = ldexp(1, (int)(rng() % 200) - 100);
		size_t n = 1 + rng() % 500, j;
		int64_t now = 1;

		c.max_zero_threshold = c.zero_threshold * (rng() % 2 ? 1 : 1e6);
		model_start(&md, &c, now);
		for (j = 0; j < n && md.n < MODEL_MAX; j++) {
			now += (int64_t)(rng() % 10);
			model_observe(&md, &c, random_value(scale), now);
			if (j % 16 == 0 || j + 1 == n)
				model_check(&md, &c);
		}
		all |= md.events;
	}
	/* the runs took every path */
	ck_assert_uint_eq(all,
	                  NHIST_MOVED | NHIST_RESET | NHIST_WIDENED | NHIST_REDUCED | NHIST_FORCED);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Snapshots and spans                                                 */
/* ------------------------------------------------------------------ */

START_TEST(test_snapshot_valid)
{
	memset(&snap, 0, sizeof snap);
	snap.schema = 3;
	snap.nbuckets = 4;
	snap.zero_count = 1;
	snap.offset[NHIST_POS] = -2;
	snap.bucket[NHIST_POS][0] = 2;
	snap.bucket[NHIST_NEG][3] = 3;
	snap.end[NHIST_POS] = 1; /* the populated slots: [first, end) */
	snap.first[NHIST_NEG] = 3;
	snap.end[NHIST_NEG] = 4;
	ck_assert(nhist_snapshot_valid(&snap, 6));
	ck_assert(nhist_snapshot_valid(&snap, 7)); /* a NaN observed */
	ck_assert(!nhist_snapshot_valid(&snap, 5));
	snap.schema = 9;
	ck_assert(!nhist_snapshot_valid(&snap, 6));
	snap.schema = -5;
	ck_assert(!nhist_snapshot_valid(&snap, 6));
	snap.schema = 3;
	snap.zero_threshold = NAN;
	ck_assert(!nhist_snapshot_valid(&snap, 6));
	snap.zero_threshold = -1;
	ck_assert(!nhist_snapshot_valid(&snap, 6));
	snap.zero_threshold = 0;
	snap.nbuckets = 0;
	ck_assert(!nhist_snapshot_valid(&snap, 6));
	snap.nbuckets = NHIST_WINDOW_MAX + 1;
	ck_assert(!nhist_snapshot_valid(&snap, 6));
	snap.nbuckets = 4;
	snap.offset[NHIST_POS] = nhist_index_max(3); /* slot 0: the +Inf bucket */
	ck_assert(nhist_snapshot_valid(&snap, 6));
	snap.offset[NHIST_POS] = nhist_index_max(3) + 1; /* beyond */
	ck_assert(!nhist_snapshot_valid(&snap, 6));
	snap.offset[NHIST_POS] = INT32_MAX; /* no overflow of offset + slot */
	ck_assert(!nhist_snapshot_valid(&snap, 6));
	snap.offset[NHIST_POS] = nhist_index_min(3) - 1;
	ck_assert(!nhist_snapshot_valid(&snap, 6));
	snap.offset[NHIST_POS] = 0;
	snap.end[NHIST_POS] = 5; /* a range beyond the window */
	ck_assert(!nhist_snapshot_valid(&snap, 6));
	snap.first[NHIST_NEG] = 4; /* first above end */
	snap.end[NHIST_POS] = 1;
	snap.end[NHIST_NEG] = 3;
	ck_assert(!nhist_snapshot_valid(&snap, 6));
	snap.first[NHIST_NEG] = 3;
	snap.end[NHIST_NEG] = 4;
	snap.bucket[NHIST_POS][1] = UINT64_MAX; /* the sum overflows */
	snap.end[NHIST_POS] = 2;
	ck_assert(!nhist_snapshot_valid(&snap, UINT64_MAX));
}
END_TEST

/* Decode spans back into (index, count) and compare with the window. */
static void
check_spans(const uint64_t *b, uint32_t n, int32_t off)
{
	struct nhist_span sp[NHIST_SPANS_MAX(NHIST_WINDOW_MAX)];
	size_t k, ns = nhist_spans(b, n, off, sp);
	uint64_t seen[NHIST_WINDOW_MAX] = { 0 };
	int64_t index = 0;
	uint32_t j;

	REQUIRE(ns <= NHIST_SPANS_MAX(n), "%zu spans for %u buckets", ns, n);
	for (k = 0; k < ns; k++) {
		REQUIRE(sp[k].length > 0, "empty span");
		REQUIRE(k == 0 || sp[k].offset > (int32_t)NHIST_SPAN_GAP, "gap %d kept",
		        sp[k].offset);
		index += sp[k].offset;
		REQUIRE(index - off == sp[k].slot, "span %zu: index %" PRId64 " slot %u", k, index,
		        sp[k].slot);
		REQUIRE(b[sp[k].slot] != 0 && b[sp[k].slot + sp[k].length - 1] != 0,
		        "span %zu does not start and end on a populated bucket", k);
		for (j = 0; j < sp[k].length; j++)
			seen[sp[k].slot + j] = b[sp[k].slot + j] + 1; /* inside a span */
		index += sp[k].length;
	}
	for (j = 0; j < n; j++)
		REQUIRE(b[j] == 0 || seen[j] == b[j] + 1, "bucket %u outside every span", j);
}

START_TEST(test_spans)
{
	static const uint64_t gaps[] = { 0, 5, 0, 1, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0, 0 };
	static const uint64_t sparse[] = { 1, 0, 0, 0, 1, 0, 0, 0, 1 };
	struct nhist_span sp[8];
	uint64_t b[NHIST_WINDOW_MAX];
	uint64_t k, iter = iterations() / 20;
	uint32_t j;

	ck_assert_uint_eq(nhist_spans(gaps, 16, -3, sp), 2);
	ck_assert_int_eq(sp[0].offset, -2); /* index -3 + 1 */
	ck_assert_uint_eq(sp[0].length, 6); /* 5, 0, 1, 0, 0, 2 */
	ck_assert_int_eq(sp[1].offset, 3);  /* three empty buckets */
	ck_assert_uint_eq(sp[1].length, 1);
	ck_assert_uint_eq(sp[1].slot, 10);
	ck_assert_uint_eq(nhist_spans(gaps, 1, 0, sp), 0);
	ck_assert_uint_eq(nhist_spans(sparse, 9, 0, sp), NHIST_SPANS_MAX(9));
	seed();
	for (k = 0; k < iter; k++) {
		uint32_t n = 1 + (uint32_t)(rng() % NHIST_WINDOW_MAX);
		unsigned density = 1 + (unsigned)(rng() % 8);

		for (j = 0; j < n; j++)
			b[j] = rng() % density == 0 ? 1 + rng() % 100 : 0;
		check_spans(b, n, (int32_t)(rng() % 1000) - 500);
	}
}
END_TEST

START_TEST(test_config_check)
{
	struct nhist_config ok = { .schema = 3,
		                   .nbuckets = 160,
		                   .zero_threshold = 1e-9,
		                   .max_zero_threshold = 1e-3,
		                   .min_reset_ns = 1 };
	struct nhist_config c;

	ck_assert_int_eq(nhist_config_check(&ok), 0);
	ck_assert_int_eq(nhist_config_check(NULL), -1);
	c = ok, c.schema = 9;
	ck_assert_int_eq(nhist_config_check(&c), -1);
	c = ok, c.schema = -5;
	ck_assert_int_eq(nhist_config_check(&c), -1);
	c = ok, c.nbuckets = 0;
	ck_assert_int_eq(nhist_config_check(&c), -1);
	c = ok, c.nbuckets = NHIST_WINDOW_MAX + 1;
	ck_assert_int_eq(nhist_config_check(&c), -1);
	c = ok, c.zero_threshold = -1;
	ck_assert_int_eq(nhist_config_check(&c), -1);
	c = ok, c.zero_threshold = NAN;
	ck_assert_int_eq(nhist_config_check(&c), -1);
	c = ok, c.max_zero_threshold = 1e-10;
	ck_assert_int_eq(nhist_config_check(&c), -1);
	c = ok, c.max_zero_threshold = (double)INFINITY;
	ck_assert_int_eq(nhist_config_check(&c), -1);
	c = ok, c.min_reset_ns = -1;
	ck_assert_int_eq(nhist_config_check(&c), -1);
}
END_TEST

static Suite *
nhist_suite(void)
{
	Suite *s = suite_create("nhist");
	TCase *index = tcase_create("index");
	TCase *window = tcase_create("window");
	TCase *observe = tcase_create("observe");
	TCase *encode = tcase_create("encode");

	tcase_set_timeout(index, RANDOM_TIMEOUT_S);
	tcase_add_test(index, test_table);
	tcase_add_loop_test(index, test_bounds, 0, N_SCHEMAS);
	tcase_add_test(index, test_known_indices);
	tcase_add_loop_test(index, test_random_index, 0, N_SCHEMAS);
	tcase_add_loop_test(index, test_reduce, 0, N_SCHEMAS);
	tcase_add_test(index, test_reduction);
	tcase_add_test(index, test_schema_for_factor);
	suite_add_tcase(s, index);
	tcase_set_timeout(window, RANDOM_TIMEOUT_S);
	tcase_add_test(window, test_window_basics);
	tcase_add_test(window, test_window_remap);
	suite_add_tcase(s, window);
	tcase_set_timeout(observe, RANDOM_TIMEOUT_S);
	tcase_add_test(observe, test_observe_basic);
	tcase_add_test(observe, test_observe_zero_threshold);
	tcase_add_test(observe, test_observe_widen);
	tcase_add_test(observe, test_observe_widen_self);
	tcase_add_test(observe, test_observe_reduce);
	tcase_add_test(observe, test_observe_reset);
	tcase_add_test(observe, test_observe_forced);
	tcase_add_test(observe, test_observe_random);
	tcase_add_test(observe, test_config_check);
	suite_add_tcase(s, observe);
	tcase_set_timeout(encode, RANDOM_TIMEOUT_S);
	tcase_add_test(encode, test_snapshot_valid);
	tcase_add_test(encode, test_spans);
	suite_add_tcase(s, encode);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(nhist_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
