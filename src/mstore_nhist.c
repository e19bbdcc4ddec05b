/* SPDX-License-Identifier: MIT */
/*
 * mstore_nhist.c - the store's native histograms: their configuration in
 * the family record, the two copies of their state in a series' value
 * slots, an observation (fast path into the current copy, slow path into
 * the other one, then the switch), and their part of the recovery of a
 * section a dead writer left.  The math is nhist.c's; the protocol, and
 * why it survives a writer dying at any instruction, is "Native
 * histograms" in mstore_layout.h.
 */
#include "config.h"

#include "mstore_writer.h"

int
mstore_native_config(const struct mstore_native_rec *r, struct nhist_config *c)
{
	static const struct mstore_native_rec none;

	c->schema = r->schema;
	c->nbuckets = r->nbuckets;
	c->zero_threshold = r->zero_threshold;
	c->max_zero_threshold = r->max_zero_threshold;
	c->min_reset_ns = r->min_reset_ns;
	if (r->nbuckets == 0)
		return memcmp(r, &none, sizeof(none)) == 0 ? 0 : -1;
	return nhist_config_check(c);
}

void
mstore_native_rec_of(const struct nhist_config *c, struct mstore_native_rec *r)
{
	memset(r, 0, sizeof(*r));
	if (c->nbuckets == 0)
		return;
	r->schema = c->schema;
	r->nbuckets = c->nbuckets;
	r->zero_threshold = c->zero_threshold;
	r->max_zero_threshold = c->max_zero_threshold;
	r->min_reset_ns = c->min_reset_ns;
}

int64_t
mstore_native_time(int64_t boottime_ns)
{
	if (boottime_ns < 0)
		return 0;
	return boottime_ns - mstore_clock_self()->boottime_offset_ns;
}

/* Copy k (0 or 1) of native part v. */
static inline _Atomic uint64_t *
native_copy(_Atomic uint64_t *v, uint32_t n, uint64_t k)
{
	return v + MSTORE_NATIVE_COPY0 + (size_t)k * NHIST_SLOTS(n);
}

/* Which copy is current (the low bit: a writer never reads outside its
 * series, whatever the slot holds). */
static inline uint64_t
native_active(const _Atomic uint64_t *v)
{
	return atomic_load_explicit(&v[MSTORE_NATIVE_ACTIVE], memory_order_relaxed) & 1u;
}

void
mstore_native_init(_Atomic uint64_t *v, const struct nhist_config *c, int64_t now)
{
	atomic_store_explicit(&v[MSTORE_NATIVE_ACTIVE], 0, memory_order_relaxed);
	nhist_init(native_copy(v, c->nbuckets, 0), c, now);
	nhist_init(native_copy(v, c->nbuckets, 1), c, now);
}

void
mstore_native_recover(_Atomic uint64_t *v, const struct nhist_config *c, uint64_t count,
                      int64_t now)
{
	_Atomic uint64_t *cur = native_copy(v, c->nbuckets, native_active(v));

	/* More than the classic buckets hold: a reset was cut short after the
	 * classic part was zeroed.  Finish it. */
	if (nhist_total(cur, c->nbuckets) > count)
		nhist_init(cur, c, now);
}

/* The observation's classic part again, after a reset of the native part
 * (count, sum and the classic buckets are the whole histogram's). */
static void
classic_restart(_Atomic uint64_t *p, uint32_t nbounds, uint32_t b, double v)
{
	uint32_t i;

	for (i = 0; i <= nbounds; i++)
		atomic_store_explicit(&p[MSTORE_HIST_BUCKET0 + i], 0, memory_order_relaxed);
	atomic_store_explicit(&p[MSTORE_HIST_COUNT], 0, memory_order_relaxed);
	atomic_store_explicit(&p[MSTORE_HIST_SUM], double_to_bits(0), memory_order_relaxed);
	mstore_hist_count(p, b, v);
}

/* The slow path: the current copy re-laid into the other one, then the
 * switch (mstore_layout.h, "Native histograms"). */
static __attribute__((noinline)) void
native_slow(struct mstore_series *s, _Atomic uint64_t *nat, uint32_t b, double v)
{
	const struct nhist_config *c = &s->fam->native;
	uint64_t k = native_active(nat);
	_Atomic uint64_t *next = native_copy(nat, c->nbuckets, k ^ 1u);
	int64_t now = c->min_reset_ns > 0 ? mstore_native_time(mstore_boottime_ns()) : 0;

	nhist_copy(next, native_copy(nat, c->nbuckets, k), c->nbuckets);
	if (nhist_observe(next, c, v, now) & NHIST_RESET)
		classic_restart(s->v, s->nbounds, b, v);
	atomic_store_explicit(&nat[MSTORE_NATIVE_ACTIVE], k ^ 1u, memory_order_relaxed);
}

int
mstore_native_observe(struct mstore_series *s, double v)
{
	const struct nhist_config *c = &s->fam->native;
	uint32_t b = mstore_bucket_index(s->bounds, s->nbounds, v);
	_Atomic uint64_t *nat = s->v + s->nbounds + MSTORE_HIST_FIXED_SLOTS;
	uint64_t seq;
	int rc;

	if ((rc = mstore_seq_enter(s, &seq)) != 0)
		return mstore_fail(rc);
	mstore_hist_count(s->v, b, v);
	if (!nhist_observe_fast(native_copy(nat, c->nbuckets, native_active(nat)), c, v,
	                        atomic_load_explicit(&s->st->coarse_ns, memory_order_relaxed)))
		native_slow(s, nat, b, v);
	mstore_seq_leave(s, seq);
	return 0;
}
