/* SPDX-License-Identifier: MIT */
/*
 * nhist.c - native histogram math: exact bucket indices and bounds, the
 * fixed-size bucket windows with the specification's bucket limitation
 * strategies, snapshots and spans.  The rules are in nhist.h.
 */
#include "config.h"

#include "nhist.h"

#include "nhist_table.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* The exponent (frexp) of DBL_MAX, and of the smallest subnormal's bucket
 * bound at schema 0: indices 1024 and -1074 there. */
#define EXP_MAX     1024
#define EXP_MIN     1074
#define TABLE_SHIFT 8 /* nhist_frac covers schema 8: 2^8 entries */

_Static_assert(NHIST_FRAC_COUNT == 1 << TABLE_SHIFT, "table size");
_Static_assert(NHIST_SCHEMA_MAX == TABLE_SHIFT, "the table is schema 8's");

/* ------------------------------------------------------------------ */
/* Indices and bounds                                                  */
/* ------------------------------------------------------------------ */

int32_t
nhist_index_max(int schema)
{
	if (schema >= 0)
		return (EXP_MAX << schema) + 1;
	return (EXP_MAX >> -schema) + 1;
}

int32_t
nhist_index_min(int schema)
{
	if (schema >= 0)
		return -(EXP_MIN << schema);
	return -(EXP_MIN >> -schema); /* ceil(-1074 / 2^-s) */
}

int32_t
nhist_index_reduce(int32_t index, unsigned d)
{
	int64_t i = index, w = (int64_t)1 << d;

	if (i > 0)
		return (int32_t)((i + w - 1) / w);
	return (int32_t) - ((-i) / w); /* ceil of a non-positive quotient */
}

#define FRACTION_BITS 52
#define FRACTION_MASK ((UINT64_C(1) << FRACTION_BITS) - 1)

/*
 * Number of schema-s bounds (0.5 * 2^(k / 2^s), k = 0 .. 2^s - 1) below a
 * frac in [0.5, 1) whose fraction bits are f: its rank r among schema 8's
 * from one entry of nhist_rank (nhist_table.h says how), then the schema-s
 * bounds among those r, every 2^(8-s)-th: ceil(r / 2^(8-s)).  One load: a
 * search of the bounds would be s dependent loads, and an observation's
 * time is mostly such latency (doc/performance.md).
 */
static inline uint32_t
frac_rank(uint64_t f, int schema)
{
	unsigned sh = TABLE_SHIFT - (unsigned)schema;
	uint64_t e = nhist_rank[f >> (FRACTION_BITS - NHIST_RANK_BITS)];
	uint32_t r = (uint32_t)(e >> FRACTION_BITS) + (f > (e & FRACTION_MASK));

	return (r + (1u << sh) - 1) >> sh;
}

/* nhist_index(), inline for the fast path of an observation: m = frac *
 * 2^exp with 0.5 <= frac < 1 (frexp's result, without its call: for a
 * normal double the exponent field and the fraction bits, which frac
 * shares; a subnormal one normalised here, so that the fast path calls
 * nothing and saves no registers). */
static inline int32_t
index_of(double m, int schema)
{
	uint64_t b;
	unsigned e;
	int exp;

	if (isinf(m))
		return nhist_index_max(schema);
	memcpy(&b, &m, sizeof b);
	e = (unsigned)(b >> FRACTION_BITS) & 0x7ffu;
	b &= FRACTION_MASK;
	if (e != 0) {
		exp = (int)e - 1022;
	} else if (b == 0) { /* 0: frexp's 0 * 2^0 */
		exp = 0;
	} else { /* subnormal: b * 2^-1074, its top bit p becomes frac's 0.5 */
		unsigned p = 63u - (unsigned)__builtin_clzll(b);

		exp = (int)p - 1073;
		b = (b << (FRACTION_BITS - p)) & FRACTION_MASK;
	}
	if (schema > 0)
		return (int32_t)(exp - 1) * (1 << schema) + (int32_t)frac_rank(b, schema);
	/* schema 0: ceil(log2 m), one less for an exact power of two */
	return nhist_index_reduce(exp - (b == 0), (unsigned)-schema);
}

int32_t
nhist_index(double m, int schema)
{
	return index_of(m, schema);
}

/* floor(a / 2^s) for any sign of a. */
static int32_t
floor_shift(int32_t a, unsigned s)
{
	int64_t w = (int64_t)1 << s;

	if (a >= 0)
		return (int32_t)(a / w);
	return (int32_t) - ((-(int64_t)a + w - 1) / w);
}

/* t * 2^e rounded down (t > 0 a double from the table): ldexp rounds to
 * nearest when the result is subnormal, so undo a rounding up. */
static double
ldexp_down(double t, int e)
{
	double r = ldexp(t, e);

	if (r > 0 && ldexp(r, -e) > t)
		r = nextafter(r, 0);
	return r;
}

double
nhist_upper(int32_t index, int schema)
{
	int32_t q, k;

	if (index >= nhist_index_max(schema))
		return (double)INFINITY;
	if (index == nhist_index_max(schema) - 1)
		return DBL_MAX; /* the real bound, 2^1024, is beyond every double */
	if (index < nhist_index_min(schema))
		return 0;
	if (schema <= 0)
		return ldexp(1, index * (1 << -schema)); /* a power of two: exact */
	q = floor_shift(index, (unsigned)schema);
	k = index - q * (1 << schema);
	/* 2^(index / 2^s) = 2^(q + 1) * (0.5 * 2^(k / 2^s)) */
	return ldexp_down(nhist_frac[k << (TABLE_SHIFT - schema)], q + 1);
}

unsigned
nhist_reduction(int32_t lo, int32_t hi, uint32_t n)
{
	unsigned d = 0;

	/* 33 halvings bring any two int32 indices together */
	while (d < 33 &&
	       (int64_t)nhist_index_reduce(hi, d) - nhist_index_reduce(lo, d) >= (int64_t)n)
		d++;
	return d;
}

int
nhist_schema_for_factor(double factor)
{
	int s;

	if (!(factor > 1))
		return NHIST_SCHEMA_MIN - 1;
	/* the coarsest schema whose growth 2^(2^-s) is at most factor */
	for (s = NHIST_SCHEMA_MIN; s <= 0; s++)
		if (factor >= ldexp(1, 1 << -s))
			return s;
	/* from schema 1 on the growth is irrational: factor >= it exactly
	 * when factor is above the largest double below it */
	for (s = 1; s < NHIST_SCHEMA_MAX; s++)
		if (factor > 2 * nhist_frac[NHIST_FRAC_COUNT >> s])
			return s;
	return NHIST_SCHEMA_MAX;
}

/* ------------------------------------------------------------------ */
/* Slots                                                               */
/* ------------------------------------------------------------------ */

static inline uint64_t
ld(const _Atomic uint64_t *p)
{
	return atomic_load_explicit(p, memory_order_relaxed);
}

static inline void
st_(_Atomic uint64_t *p, uint64_t v)
{
	atomic_store_explicit(p, v, memory_order_relaxed);
}

/* The caller holds the write lock: a plain read-modify-write. */
static inline void
add(_Atomic uint64_t *p, uint64_t v)
{
	st_(p, ld(p) + v);
}

static inline int32_t
ld_i32(const _Atomic uint64_t *p)
{
	return (int32_t)(int64_t)ld(p);
}

static inline void
st_i64(_Atomic uint64_t *p, int64_t v)
{
	st_(p, (uint64_t)v);
}

static inline double
ld_dbl(const _Atomic uint64_t *p)
{
	uint64_t b = ld(p);
	double d;

	memcpy(&d, &b, sizeof d);
	return d;
}

static inline void
st_dbl(_Atomic uint64_t *p, double d)
{
	uint64_t b;

	memcpy(&b, &d, sizeof b);
	st_(p, b);
}

static inline _Atomic uint64_t *
window(_Atomic uint64_t *st, uint32_t n, int sign)
{
	return st + NHIST_SLOT_BUCKET + (size_t)sign * n;
}

int
nhist_config_check(const struct nhist_config *c)
{
	if (c == NULL || c->schema < NHIST_SCHEMA_MIN || c->schema > NHIST_SCHEMA_MAX ||
	    c->nbuckets == 0 || c->nbuckets > NHIST_WINDOW_MAX || !isfinite(c->zero_threshold) ||
	    c->zero_threshold < 0 || !isfinite(c->max_zero_threshold) ||
	    c->max_zero_threshold < c->zero_threshold || c->min_reset_ns < 0)
		return -1;
	return 0;
}

void
nhist_init(_Atomic uint64_t *st, const struct nhist_config *c, int64_t now_ns)
{
	size_t i;
	int s;

	st_i64(&st[NHIST_SLOT_SCHEMA], c->schema);
	st_dbl(&st[NHIST_SLOT_ZT], c->zero_threshold);
	st_(&st[NHIST_SLOT_ZERO], 0);
	st_i64(&st[NHIST_SLOT_RESET], now_ns);
	for (s = 0; s < 2; s++) {
		st_i64(&st[NHIST_SLOT_OFFSET + s], 0);
		st_(&st[NHIST_SLOT_FIRST + s], c->nbuckets); /* none */
		st_(&st[NHIST_SLOT_END + s], 0);
	}
	for (i = NHIST_SLOT_BUCKET; i < NHIST_SLOTS(c->nbuckets); i++)
		st_(&st[i], 0);
}

/* ------------------------------------------------------------------ */
/* Windows                                                             */
/* ------------------------------------------------------------------ */

int
nhist_window_slot(int32_t offset, uint32_t n, int32_t index, uint32_t *slot)
{
	int64_t j = (int64_t)index - offset;

	if (j < 0 || j >= (int64_t)n)
		return 0;
	*slot = (uint32_t)j;
	return 1;
}

int
nhist_window_range(const _Atomic uint64_t *bucket, uint32_t n, int32_t offset, int32_t *lo,
                   int32_t *hi)
{
	uint32_t a = 0, b = n;

	while (a < n && ld(&bucket[a]) == 0)
		a++;
	if (a == n)
		return 0;
	while (ld(&bucket[b - 1]) == 0)
		b--;
	*lo = offset + (int32_t)a;
	*hi = offset + (int32_t)(b - 1);
	return 1;
}

int32_t
nhist_window_centre(int32_t lo, int32_t hi, uint32_t n)
{
	int64_t slack = (int64_t)n - ((int64_t)hi - lo + 1);

	return (int32_t)(lo - slack / 2);
}

/* Target slot of slot j: its index reduced d times, in the new window. */
static inline int64_t
remap_target(int32_t offset, uint32_t j, unsigned d, int32_t new_offset)
{
	return (int64_t)nhist_index_reduce(offset + (int32_t)j, d) - new_offset;
}

static inline void
remap_move(_Atomic uint64_t *bucket, uint32_t j, int64_t t)
{
	uint64_t c = ld(&bucket[j]);

	if (c == 0)
		return;
	st_(&bucket[j], 0);
	add(&bucket[t], c);
}

/*
 * In place, without scratch memory.  The target t(j) never decreases with
 * j and grows by at most one per step, so t(j) - j never increases: the
 * slots with t(j) > j come first (A = [0, J)), then those with t(j) <= j
 * (B = [J, n)).  B's targets stay in B (t(J) = J when A is not empty), so B
 * is moved first, in increasing order (each target is a slot already
 * moved, or the slot itself); then A in decreasing order, whose targets
 * lie in (j, J], all moved already.  Every slot's old count is read
 * before anything is added to it.
 */
int
nhist_window_remap(_Atomic uint64_t *bucket, uint32_t n, int32_t offset, unsigned d,
                   int32_t new_offset)
{
	int32_t lo, hi;
	uint32_t j, split;

	if (!nhist_window_range(bucket, n, offset, &lo, &hi))
		return 0;
	if (nhist_index_reduce(lo, d) < new_offset ||
	    (int64_t)nhist_index_reduce(hi, d) - new_offset >= (int64_t)n)
		return -1;
	for (split = 0; split < n && remap_target(offset, split, d, new_offset) > split; split++)
		;
	for (j = split; j < n; j++)
		remap_move(bucket, j, remap_target(offset, j, d, new_offset));
	for (j = split; j-- > 0;)
		remap_move(bucket, j, remap_target(offset, j, d, new_offset));
	return 0;
}

/* ------------------------------------------------------------------ */
/* Observing                                                           */
/* ------------------------------------------------------------------ */

/* The populated index range of one window (empty: none). */
struct range {
	int empty;
	int32_t lo, hi;
};

static void
scan(_Atomic uint64_t *st, uint32_t n, int sign, struct range *r)
{
	int32_t off = ld_i32(&st[NHIST_SLOT_OFFSET + sign]);

	r->empty = !nhist_window_range(window(st, n, sign), n, off, &r->lo, &r->hi);
}

/* Whether r and index i together span at most n indices. */
static int
fits(const struct range *r, int32_t i, uint32_t n)
{
	int64_t lo = i, hi = i;

	if (!r->empty) {
		lo = r->lo < i ? r->lo : i;
		hi = r->hi > i ? r->hi : i;
	}
	return hi - lo < (int64_t)n;
}

static int
reset_due(const _Atomic uint64_t *st, const struct nhist_config *c, int64_t now_ns)
{
	int64_t last = (int64_t)ld(&st[NHIST_SLOT_RESET]);

	return c->min_reset_ns > 0 && now_ns != 0 && now_ns >= last &&
	       now_ns - last >= c->min_reset_ns;
}

/* Count index i on sign's window (r: its range, which fits with i),
 * moving the window to centre the populated indices when i is outside. */
static unsigned
count_in(_Atomic uint64_t *st, uint32_t n, int sign, const struct range *r, int32_t i)
{
	_Atomic uint64_t *offp = &st[NHIST_SLOT_OFFSET + sign];
	_Atomic uint64_t *w = window(st, n, sign);
	int32_t off = ld_i32(offp), lo = i, hi = i;
	uint32_t slot = 0;
	unsigned ev = 0;

	if (!nhist_window_slot(off, n, i, &slot)) {
		if (!r->empty) {
			lo = r->lo < i ? r->lo : i;
			hi = r->hi > i ? r->hi : i;
		}
		/* cannot fail: lo..hi fit, and d = 0 */
		(void)nhist_window_remap(w, n, off, 0, nhist_window_centre(lo, hi, n));
		off = nhist_window_centre(lo, hi, n);
		st_i64(offp, off);
		(void)nhist_window_slot(off, n, i, &slot);
		ev = NHIST_MOVED;
	}
	add(&w[slot], 1);
	return ev;
}

/* The lowest populated index of both windows, counting i on sign. */
static int32_t
lowest(const struct range r[2], int32_t i)
{
	int32_t low = i;
	int s;

	for (s = 0; s < 2; s++)
		if (!r[s].empty && r[s].lo < low)
			low = r[s].lo;
	return low;
}

/* Widen the zero bucket to bound b, the upper bound of index low, the
 * lowest populated one: its buckets (both signs) join the zero bucket. */
static void
widen(_Atomic uint64_t *st, uint32_t n, struct range r[2], int32_t low, double b)
{
	uint32_t slot;
	int s;

	st_dbl(&st[NHIST_SLOT_ZT], b);
	for (s = 0; s < 2; s++) {
		_Atomic uint64_t *w = window(st, n, s);

		if (r[s].empty || r[s].lo != low)
			continue;
		if (nhist_window_slot(ld_i32(&st[NHIST_SLOT_OFFSET + s]), n, low, &slot)) {
			add(&st[NHIST_SLOT_ZERO], ld(&w[slot]));
			st_(&w[slot], 0);
		}
		scan(st, n, s, &r[s]);
	}
}

/* Lower the schema by d: both windows re-laid, each centred on its
 * populated indices at the new schema (which still fit: reducing never
 * widens a range). */
static void
reduce(_Atomic uint64_t *st, uint32_t n, struct range r[2], int schema, unsigned d)
{
	int s;

	st_i64(&st[NHIST_SLOT_SCHEMA], schema - (int)d);
	for (s = 0; s < 2; s++) {
		_Atomic uint64_t *offp = &st[NHIST_SLOT_OFFSET + s];
		int32_t off;

		if (r[s].empty)
			continue;
		off = nhist_window_centre(nhist_index_reduce(r[s].lo, d),
		                          nhist_index_reduce(r[s].hi, d), n);
		(void)nhist_window_remap(window(st, n, s), n, ld_i32(offp), d, off);
		st_i64(offp, off);
		scan(st, n, s, &r[s]);
	}
}

/* Widen the zero bucket while sign's range and i do not fit, as long as
 * the new threshold stays within limit.  Returns 1 if i itself went into
 * the zero bucket (it was the lowest). */
static int
widen_while(_Atomic uint64_t *st, uint32_t n, struct range r[2], int sign, int32_t i, int schema,
            double limit, unsigned *ev)
{
	while (!fits(&r[sign], i, n)) {
		int32_t low = lowest(r, i);
		/* not fitting means two distinct indices on sign, so low is
		 * below the overflow bucket and b is finite */
		double b = nhist_upper(low, schema);

		if (b > limit)
			return 0;
		*ev |= NHIST_WIDENED;
		widen(st, n, r, low, b);
		if (low == i) {
			add(&st[NHIST_SLOT_ZERO], 1);
			return 1;
		}
	}
	return 0;
}

/* The slow path: index i of v is outside its window. */
static unsigned
place(_Atomic uint64_t *st, const struct nhist_config *c, int sign, double v, int64_t now_ns)
{
	uint32_t n = c->nbuckets;
	int schema = ld_i32(&st[NHIST_SLOT_SCHEMA]);
	int32_t i = nhist_index(fabs(v), schema);
	struct range r[2];
	unsigned d, ev = 0;

	scan(st, n, NHIST_POS, &r[NHIST_POS]);
	scan(st, n, NHIST_NEG, &r[NHIST_NEG]);
	if (fits(&r[sign], i, n))
		return count_in(st, n, sign, &r[sign], i);
	/* over the limit: 1. reset */
	if (reset_due(st, c, now_ns)) {
		nhist_init(st, c, now_ns);
		return NHIST_RESET | nhist_observe(st, c, v, now_ns);
	}
	/* 2. a wider zero bucket */
	if (widen_while(st, n, r, sign, i, schema, c->max_zero_threshold, &ev))
		return ev;
	if (!fits(&r[sign], i, n)) {
		/* 3. a lower resolution */
		int32_t lo = r[sign].empty || i < r[sign].lo ? i : r[sign].lo;
		int32_t hi = r[sign].empty || i > r[sign].hi ? i : r[sign].hi;

		d = nhist_reduction(lo, hi, n);
		if (d > (unsigned)(schema - NHIST_SCHEMA_MIN))
			d = (unsigned)(schema - NHIST_SCHEMA_MIN);
		if (d > 0) {
			ev |= NHIST_REDUCED;
			reduce(st, n, r, schema, d);
			schema -= (int)d;
			i = nhist_index_reduce(i, d);
		}
		/* still too wide at schema -4: the zero bucket past its limit */
		if (!fits(&r[sign], i, n)) {
			ev |= NHIST_FORCED;
			if (widen_while(st, n, r, sign, i, schema, DBL_MAX, &ev))
				return ev;
		}
	}
	return ev | count_in(st, n, sign, &r[sign], i);
}

/* Widen sign's bracket (nhist.h) to hold slot: before the count, so that a
 * counted slot is always inside. */
static inline void
bracket_widen(_Atomic uint64_t *st, int sign, uint32_t slot)
{
	if (slot < ld(&st[NHIST_SLOT_FIRST + sign]))
		st_(&st[NHIST_SLOT_FIRST + sign], slot);
	if (slot >= ld(&st[NHIST_SLOT_END + sign]))
		st_(&st[NHIST_SLOT_END + sign], slot + 1);
}

/* Set sign's bracket to its populated counters (after the slow path). */
static void
bracket_set(_Atomic uint64_t *st, uint32_t n, int sign)
{
	int32_t off = ld_i32(&st[NHIST_SLOT_OFFSET + sign]), lo, hi;

	if (!nhist_window_range(window(st, n, sign), n, off, &lo, &hi)) {
		st_(&st[NHIST_SLOT_FIRST + sign], n);
		st_(&st[NHIST_SLOT_END + sign], 0);
		return;
	}
	st_(&st[NHIST_SLOT_FIRST + sign], (uint64_t)(lo - off));
	st_(&st[NHIST_SLOT_END + sign], (uint64_t)(hi - off) + 1);
}

/* A histogram changed by the strategies (its current schema and zero
 * threshold) goes back to its configured state once a reset is due
 * (client_golang schedules a timer). */
static inline int
return_due(const _Atomic uint64_t *st, const struct nhist_config *c, int schema, double zt,
           int64_t now_ns)
{
	return (schema != c->schema || zt != c->zero_threshold) && reset_due(st, c, now_ns);
}

int
nhist_observe_fast(_Atomic uint64_t *st, const struct nhist_config *c, double v, int64_t now_ns)
{
	uint32_t n = c->nbuckets, slot;
	int schema = ld_i32(&st[NHIST_SLOT_SCHEMA]);
	double zt = ld_dbl(&st[NHIST_SLOT_ZT]), m = fabs(v);
	int sign;

	if (return_due(st, c, schema, zt, now_ns))
		return 0;
	if (isnan(v))
		return 1;
	if (m <= zt) {
		add(&st[NHIST_SLOT_ZERO], 1);
		return 1;
	}
	sign = v > 0 ? NHIST_POS : NHIST_NEG;
	if (!nhist_window_slot(ld_i32(&st[NHIST_SLOT_OFFSET + sign]), n, index_of(m, schema),
	                       &slot))
		return 0;
	bracket_widen(st, sign, slot);
	add(&window(st, n, sign)[slot], 1);
	return 1;
}

unsigned
nhist_observe(_Atomic uint64_t *st, const struct nhist_config *c, double v, int64_t now_ns)
{
	unsigned ev = 0;

	if (return_due(st, c, ld_i32(&st[NHIST_SLOT_SCHEMA]), ld_dbl(&st[NHIST_SLOT_ZT]), now_ns)) {
		nhist_init(st, c, now_ns);
		ev = NHIST_RESET;
	}
	/* (configured now, or no return due: the fast path reads no time) */
	if (nhist_observe_fast(st, c, v, now_ns))
		return ev;
	ev |= place(st, c, v > 0 ? NHIST_POS : NHIST_NEG, v, now_ns);
	bracket_set(st, c->nbuckets, NHIST_POS);
	bracket_set(st, c->nbuckets, NHIST_NEG);
	return ev;
}

void
nhist_copy(_Atomic uint64_t *dst, const _Atomic uint64_t *src, uint32_t n)
{
	size_t i;

	for (i = 0; i < NHIST_SLOTS(n); i++)
		st_(&dst[i], ld(&src[i]));
}

/* ------------------------------------------------------------------ */
/* Snapshots and spans                                                 */
/* ------------------------------------------------------------------ */

/* Sign s's window w, whose bracket no writer left: all of it, and a tight
 * bracket (an empty one as [0, 0)). */
static void
read_all(const _Atomic uint64_t *w, uint32_t n, int s, struct mstore_native_snapshot *out)
{
	uint32_t j, first = n, end = 0;

	for (j = 0; j < n; j++) {
		out->bucket[s][j] = ld(&w[j]);
		if (out->bucket[s][j] != 0) {
			first = first < j ? first : j;
			end = j + 1;
		}
	}
	out->first[s] = first < n ? first : 0;
	out->end[s] = end;
}

void
nhist_read(const _Atomic uint64_t *st, uint32_t n, struct mstore_native_snapshot *out)
{
	uint32_t s, j;

	out->schema = ld_i32(&st[NHIST_SLOT_SCHEMA]);
	out->nbuckets = n;
	out->zero_threshold = ld_dbl(&st[NHIST_SLOT_ZT]);
	out->zero_count = ld(&st[NHIST_SLOT_ZERO]);
	for (s = 0; s < 2; s++) {
		const _Atomic uint64_t *w = st + NHIST_SLOT_BUCKET + (size_t)s * n;
		uint64_t first = ld(&st[NHIST_SLOT_FIRST + s]), end = ld(&st[NHIST_SLOT_END + s]);

		out->offset[s] = ld_i32(&st[NHIST_SLOT_OFFSET + s]);
		if (first == n && end == 0) { /* none */
			out->first[s] = out->end[s] = 0;
		} else if (first >= end || end > n) { /* no writer's: read it all */
			read_all(w, n, s, out);
		} else {
			for (j = (uint32_t)first; j < (uint32_t)end; j++)
				out->bucket[s][j] = ld(&w[j]);
			out->first[s] = (uint32_t)first;
			out->end[s] = (uint32_t)end;
		}
	}
}

void
nhist_read_fresh(const struct nhist_config *c, struct mstore_native_snapshot *out)
{
	uint32_t j;

	out->schema = c->schema;
	out->nbuckets = c->nbuckets;
	out->zero_threshold = c->zero_threshold;
	out->zero_count = 0;
	out->offset[NHIST_POS] = out->offset[NHIST_NEG] = 0;
	out->first[NHIST_POS] = out->first[NHIST_NEG] = 0;
	out->end[NHIST_POS] = out->end[NHIST_NEG] = 0;
	for (j = 0; j < c->nbuckets; j++)
		out->bucket[NHIST_POS][j] = out->bucket[NHIST_NEG][j] = 0;
}

/* Add v to *sum; 0 on overflow. */
static int
sum_add(uint64_t *sum, uint64_t v)
{
	if (*sum > UINT64_MAX - v)
		return 0;
	*sum += v;
	return 1;
}

uint64_t
nhist_total(const _Atomic uint64_t *st, uint32_t n)
{
	uint64_t sum = ld(&st[NHIST_SLOT_ZERO]);
	size_t i;

	for (i = NHIST_SLOT_BUCKET; i < NHIST_SLOTS(n); i++)
		if (!sum_add(&sum, ld(&st[i])))
			return UINT64_MAX;
	return sum;
}

/* Every populated bucket of one window inside the schema's indices: the
 * populated range [first, end) inside the window, and its ends' indices
 * within those of the schema. */
static int
window_valid(const struct mstore_native_snapshot *s, int sign)
{
	int32_t min = nhist_index_min(s->schema), max = nhist_index_max(s->schema);
	uint32_t first = s->first[sign], end = s->end[sign];

	if (first > end || end > s->nbuckets)
		return 0;
	return first == end || ((int64_t)s->offset[sign] + first >= min &&
	                        (int64_t)s->offset[sign] + end - 1 <= max);
}

uint64_t
nhist_snapshot_total(const struct mstore_native_snapshot *s)
{
	uint64_t sum = s->zero_count;
	uint32_t j, end;
	int sign;

	for (sign = 0; sign < 2; sign++) {
		uint64_t part = 0;
		int over = 0;

		/* (the overflow flags or-ed, one branch per sign: it runs on
		 * every series of every scrape) */
		end = s->end[sign] < NHIST_WINDOW_MAX ? s->end[sign] : NHIST_WINDOW_MAX;
		for (j = s->first[sign]; j < end; j++)
			over |= __builtin_add_overflow(part, s->bucket[sign][j], &part);
		if (over || !sum_add(&sum, part))
			return UINT64_MAX;
	}
	return sum;
}

int
nhist_snapshot_valid(const struct mstore_native_snapshot *s, uint64_t count)
{
	uint64_t total;

	if (s->schema < NHIST_SCHEMA_MIN || s->schema > NHIST_SCHEMA_MAX || s->nbuckets == 0 ||
	    s->nbuckets > NHIST_WINDOW_MAX || !isfinite(s->zero_threshold) || s->zero_threshold < 0)
		return 0;
	if (!window_valid(s, NHIST_POS) || !window_valid(s, NHIST_NEG))
		return 0;
	total = nhist_snapshot_total(s);
	return total != UINT64_MAX && total <= count;
}

size_t
nhist_spans(const uint64_t *bucket, uint32_t n, int32_t offset, struct nhist_span *out)
{
	size_t k = 0;
	uint32_t j, end = 0; /* end: the slot after the last span */

	for (j = 0; j < n; j++) {
		if (bucket[j] == 0)
			continue;
		if (k > 0 && j - end <= NHIST_SPAN_GAP) {
			out[k - 1].length = j + 1 - out[k - 1].slot;
		} else {
			out[k].offset = k == 0 ? offset + (int32_t)j : (int32_t)(j - end);
			out[k].length = 1;
			out[k].slot = j;
			k++;
		}
		end = j + 1;
	}
	return k;
}
