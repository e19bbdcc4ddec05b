/* SPDX-License-Identifier: MIT */
/*
 * nhist.h - the math of Prometheus native histograms (standard exponential
 * schemas -4..8) kept in a fixed-size bucket window: bucket indices and
 * bounds, the zero bucket, the bucket limitation strategies, halving the
 * resolution, and spans + deltas for the exposition.
 *
 * Pure code: no allocation, no system call, no global state, no locking.
 * The state functions (nhist_init, nhist_observe, nhist_read) work on an
 * array of _Atomic uint64_t slots with relaxed loads and stores, so that the
 * state can live in a memory-mapped file: the caller (the store) serialises
 * writers and publishes their updates to readers with its own sequence lock
 * around the call, exactly as for a classic histogram (mstore_layout.h,
 * "Native histograms", says how the store keeps it).  Part of libmstore,
 * not of its API: hidden from the shared library's exports.
 *
 * The model (the Prometheus "Native histograms" specification):
 *   - schema s: bucket i of the positive values holds (2^((i-1)/2^s),
 *     2^(i/2^s)], upper bound inclusive; negative values use the same
 *     indices for their magnitude.  The bucket holding DBL_MAX has
 *     DBL_MAX as its upper bound; the next one (the overflow bucket) holds
 *     +Inf (and -Inf on the negative side).
 *   - the zero bucket counts |v| <= zero_threshold (0 always goes there).
 *   - NaN goes into no bucket (it still counts in the caller's count and
 *     sum): a histogram's buckets may add up to less than its count.
 *   - indices are exact: a double v lands in bucket i exactly when
 *     2^((i-1)/2^s) < |v| <= 2^(i/2^s) holds for the real numbers (the
 *     bounds come from a table of the largest doubles not above the real
 *     bounds, computed with integer arithmetic, see nhist_table.h).
 *     client_golang rounds its table to nearest, so for a value within an
 *     ulp of an irrational bound the two may disagree by one bucket.
 *
 * The window: per sign, nbuckets counters for the consecutive indices
 * offset .. offset + nbuckets - 1 (the store keeps them, with the offset,
 * in its mapped file).  An observation whose index falls outside the
 * window first moves the window (when the populated buckets and the new
 * one span at most nbuckets indices), then applies the limitation
 * strategies of the specification in its order:
 *   1. reset the whole histogram, when at least min_reset_ns passed since
 *      the last reset (the caller must then zero its count, sum and classic
 *      buckets too: NHIST_RESET);
 *   2. widen the zero bucket to swallow the buckets nearest to zero, up to
 *      max_zero_threshold;
 *   3. halve the resolution (schema - 1, merging bucket pairs) as often as
 *      needed, down to schema -4.
 * client_golang limits the number of POPULATED buckets; a fixed window
 * limits the SPAN of indices instead (as OpenTelemetry's exponential
 * histogram does), so two far-apart buckets can cost resolution here that
 * they would not cost there.  With nbuckets >= NHIST_WINDOW_ALL every
 * double fits at schema -4.  With fewer, a span that does not fit even
 * there widens the zero bucket past max_zero_threshold (the observations
 * stay counted, in the zero bucket): the only way to stay in a fixed space.
 * Like client_golang, a histogram whose resolution or zero bucket was
 * changed returns to its configured state at a reset once min_reset_ns has
 * passed since the last one; here that happens at the first observation
 * after that time (there is no timer).
 */
#ifndef NHIST_H
#define NHIST_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "mstore.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(hidden)

#define NHIST_SCHEMA_MIN (-4)
#define NHIST_SCHEMA_MAX 8

/* The largest window (counters per sign) a state may have: bounds the
 * reader's snapshot (struct mstore_native_snapshot, 2 x 4 KiB). */
#define NHIST_WINDOW_MAX ((uint32_t)MSTORE_NATIVE_BUCKETS_MAX)
/* A window of this many counters holds every double at schema -4 (indices
 * -67 .. 65 there): observations then never widen the zero bucket past its
 * limit. */
#define NHIST_WINDOW_ALL 133u

/* Bucket indices of schema s: the smallest positive double (2^-1074) lands
 * in nhist_index_min(s); DBL_MAX in nhist_index_max(s) - 1 and +Inf in
 * nhist_index_max(s), the overflow bucket.  s in -4..8. */
int32_t nhist_index_min(int schema);
int32_t nhist_index_max(int schema);

/* The index of the bucket holding magnitude m > 0 (finite or +Inf) at
 * schema s (-4..8).  Exact, see above.  m <= 0 or NaN: undefined result. */
int32_t nhist_index(double m, int schema);

/*
 * The upper inclusive bound of bucket index at schema s, as the largest
 * double not above the real bound 2^(index / 2^s): DBL_MAX for the bucket
 * holding DBL_MAX, +Inf for the overflow bucket and above, 0 for indices
 * whose bound is below the smallest double.  So for every double x > 0,
 * x <= nhist_upper(i, s) exactly when nhist_index(x, s) <= i.
 */
double nhist_upper(int32_t index, int schema);

/* The index at schema s - d of the bucket that contains bucket index at
 * schema s (d halvings of the resolution: ceil(index / 2^d)). */
int32_t nhist_index_reduce(int32_t index, unsigned d);

/* The smallest d such that indices lo..hi (lo <= hi) fit in a window of n
 * counters after d halvings; 0 when they fit already. */
unsigned nhist_reduction(int32_t lo, int32_t hi, uint32_t n);

/*
 * The schema for a bucket factor, as client_golang's
 * NativeHistogramBucketFactor: the coarsest s in -4..8 whose growth from
 * one bucket bound to the next, 2^(2^-s), is at most factor (1.1 gives 3;
 * factors below 2^(2^-8) give 8, 65536 and up -4).  Returns the schema, or
 * NHIST_SCHEMA_MIN - 1 when factor is not above 1 (or NaN).
 */
int nhist_schema_for_factor(double factor);

/* ------------------------------------------------------------------ */
/* The state in slots                                                  */
/* ------------------------------------------------------------------ */

/*
 * One native histogram's state: NHIST_SLOTS(n) slots of _Atomic uint64_t.
 * Integers are stored as the uint64_t of their two's complement (int32
 * values sign-extended), doubles as their bit pattern.  The caller's count
 * and sum (shared with the classic buckets, as in the protobuf Histogram)
 * are not part of it.  FIRST and END bracket each window's populated
 * counters, so that a reader copies those and not the whole window: an
 * observation widens the bracket before it counts (a writer that dies in
 * between leaves it one empty slot wider), the slow path sets it tight.
 */
enum nhist_slot {
	NHIST_SLOT_SCHEMA = 0,  /* current schema */
	NHIST_SLOT_ZT = 1,      /* current zero threshold (double) */
	NHIST_SLOT_ZERO = 2,    /* zero bucket count */
	NHIST_SLOT_OFFSET = 3,  /* [3] positive, [4] negative window offset */
	NHIST_SLOT_RESET = 5,   /* time of the last reset, ns (int64) */
	NHIST_SLOT_FIRST = 6,   /* [6], [7]: first window slot that may be populated */
	NHIST_SLOT_END = 8,     /* [8], [9]: one past the last; FIRST n and END 0: none */
	NHIST_SLOT_BUCKET = 10, /* n positive counters, then n negative */
};
#define NHIST_SLOTS(n) (NHIST_SLOT_BUCKET + 2 * (size_t)(n))

/* The two signs (windows). */
enum nhist_sign {
	NHIST_POS = 0,
	NHIST_NEG = 1,
};

/* A histogram's fixed configuration (the store keeps it per family). */
struct nhist_config {
	int schema;                /* initial schema, -4..8 */
	uint32_t nbuckets;         /* window size per sign, 1..NHIST_WINDOW_MAX */
	double zero_threshold;     /* initial zero threshold, finite, >= 0 */
	double max_zero_threshold; /* widening limit, finite, >= zero_threshold */
	int64_t min_reset_ns;      /* reset no sooner after the last (0: never) */
};

/* 0 if c is usable, -1 if a field is out of range. */
int nhist_config_check(const struct nhist_config *c);

/* Write the fresh state of c into st (NHIST_SLOTS(c->nbuckets) slots):
 * everything empty, last reset now_ns. */
void nhist_init(_Atomic uint64_t *st, const struct nhist_config *c, int64_t now_ns);

/* What nhist_observe() did besides counting (a bit set). */
enum nhist_event {
	NHIST_MOVED = 1u << 0,   /* a window was moved */
	NHIST_RESET = 1u << 1,   /* the histogram was reset (before counting v) */
	NHIST_WIDENED = 1u << 2, /* the zero bucket was widened */
	NHIST_REDUCED = 1u << 3, /* the schema was lowered */
	NHIST_FORCED = 1u << 4,  /* widened past max_zero_threshold */
};

/*
 * Count v into the buckets of st (configured by c; c must pass
 * nhist_config_check and be the one st was made with).  now_ns is the
 * caller's idea of the time (a heartbeat stamp will do; 0: unknown, no
 * reset ever).  NaN counts nowhere.  Returns the nhist_event bits: with
 * NHIST_RESET, the native state was reset before v was counted, and the
 * caller must zero its count, sum and classic buckets before it adds v to
 * them, all inside the same critical section.
 * The caller must hold the series' write lock; readers see the update as
 * one change only through the caller's sequence lock.  No allocation, no
 * system call; O(1) unless a window moves or shrinks (O(nbuckets)).
 */
unsigned nhist_observe(_Atomic uint64_t *st, const struct nhist_config *c, double v,
                       int64_t now_ns);

/*
 * nhist_observe()'s fast path alone: if counting v takes one store (v is
 * NaN, goes into the zero bucket or falls inside its sign's window) and no
 * return to the configured state is due at now_ns, count it and return 1;
 * else change nothing and return 0 (nhist_observe() then does the rest).
 * now_ns is only read in a state whose schema or zero threshold differ
 * from c's.
 */
int nhist_observe_fast(_Atomic uint64_t *st, const struct nhist_config *c, double v,
                       int64_t now_ns);

/* Copy state src of n counters per sign over dst (relaxed loads and
 * stores; the two must not overlap). */
void nhist_copy(_Atomic uint64_t *dst, const _Atomic uint64_t *src, uint32_t n);

/* The zero count plus every bucket count of state st (n counters per
 * sign), or UINT64_MAX when they overflow. */
uint64_t nhist_total(const _Atomic uint64_t *st, uint32_t n);

/* ------------------------------------------------------------------ */
/* Windows                                                             */
/* ------------------------------------------------------------------ */

/* Whether index falls in the window offset .. offset + n - 1; if so *slot
 * is its position. */
int nhist_window_slot(int32_t offset, uint32_t n, int32_t index, uint32_t *slot);

/* The populated indices of a window of n counters at offset: 1 with
 * *lo..*hi, or 0 when every counter is 0. */
int nhist_window_range(const _Atomic uint64_t *bucket, uint32_t n, int32_t offset, int32_t *lo,
                       int32_t *hi);

/*
 * Re-lay a window in place: the counter of index j (at offset) moves, after
 * d halvings of the resolution, to index nhist_index_reduce(j, d) of a
 * window at new_offset; counters that land on one index are added.  d = 0
 * only moves.  Returns 0, or -1 (nothing changed) when a populated index
 * would fall outside the new window.  O(n), no scratch memory.
 */
int nhist_window_remap(_Atomic uint64_t *bucket, uint32_t n, int32_t offset, unsigned d,
                       int32_t new_offset);

/* The offset that centres indices lo..hi (hi - lo < n) in a window of n. */
int32_t nhist_window_centre(int32_t lo, int32_t hi, uint32_t n);

/* ------------------------------------------------------------------ */
/* Reading and encoding                                                */
/* ------------------------------------------------------------------ */

/* A reading of a state is a struct mstore_native_snapshot (mstore.h):
 * offset[NHIST_POS], offset[NHIST_NEG], bucket[] likewise, nbuckets
 * counters each.  Take it under the caller's sequence lock. */
_Static_assert(NHIST_POS == 0 && NHIST_NEG == 1, "the snapshot's sign order");

/* Copy st (a state of n counters per sign, n <= NHIST_WINDOW_MAX) into
 * out with relaxed loads: the counters its FIRST and END bracket, and that
 * bracket as out->first and out->end (a bracket no writer leaves: the
 * whole window, bracket made tight).  out->bucket outside the bracket is
 * not written: those counts are 0. */
void nhist_read(const _Atomic uint64_t *st, uint32_t n, struct mstore_native_snapshot *out);

/* The state of c, fresh (as nhist_init() leaves it), as a reading. */
void nhist_read_fresh(const struct nhist_config *c, struct mstore_native_snapshot *out);

/*
 * Whether a snapshot can be exposed: schema in -4..8, zero threshold
 * finite and >= 0, nbuckets 1..NHIST_WINDOW_MAX, first <= end <= nbuckets
 * for each sign, every populated bucket's index within nhist_index_min ..
 * nhist_index_max of the schema, and the zero count plus all bucket counts
 * (without overflow) at most count (the caller's count; less by the NaN
 * observations).  1 or 0.  Counts outside [first, end) are taken to be 0,
 * as nhist_read() makes them, and are not read.
 */
int nhist_snapshot_valid(const struct mstore_native_snapshot *s, uint64_t count);

/* The zero count plus every bucket count of s (those in [first, end) of
 * each sign, end at most NHIST_WINDOW_MAX), or UINT64_MAX when they
 * overflow. */
uint64_t nhist_snapshot_total(const struct mstore_native_snapshot *s);

/*
 * Spans of one window for the exposition: runs of buckets, where runs of
 * up to NHIST_SPAN_GAP empty buckets between populated ones stay inside a
 * span (as zero counts: cheaper than a new span, as client_golang does).
 * offset is the gap to the previous span's end (for the first span: its
 * start index), length the number of buckets, slot the window position of
 * its first bucket.
 */
#define NHIST_SPAN_GAP 2u
struct nhist_span {
	int32_t offset;
	uint32_t length;
	uint32_t slot;
};
/* The most spans a window of n counters yields. */
#define NHIST_SPANS_MAX(n) (((n) + NHIST_SPAN_GAP + 1) / (NHIST_SPAN_GAP + 2))

/* Fill out[] (room for NHIST_SPANS_MAX(n)) with the spans of counters
 * bucket[0..n) at offset; returns how many (0: no populated bucket). */
size_t nhist_spans(const uint64_t *bucket, uint32_t n, int32_t offset, struct nhist_span *out);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif /* NHIST_H */
