/* SPDX-License-Identifier: MIT */
/*
 * mstore_update.c - the writer's update paths: counters (per-thread
 * shards owned across processes), gauges, histograms (the seqlock and the
 * recovery of one a dead writer left locked), per-writer values, and the
 * sweep that cleans a dead writer's slot.  No system call and no lock on
 * the fast paths.  Protocols: "Counters", "Histograms" and "Per-writer
 * values" in mstore_layout.h.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>

#include "mstore_writer.h"

/* Integral counter increments below 2^53 are exact as doubles and go to
 * the integer slots; anything else goes to the floating-point slot. */
#define COUNTER_INT_LIMIT 9007199254740992.0

/*
 * The calling thread's counter shard (mstore_layout.h): 0 = none (look for
 * one on the next slow path), k in 1..MSTORE_COUNTER_SHARDS = owns shard
 * number k - 1 in the process, SHARD_NEVER = none and never look again
 * (the thread is exiting).  thread_key says in which store the fast path
 * may use it: the store handle's uid << MSTORE_SHARD_KEY_BITS | k, set by
 * the slow path once this process owns shard k of that store (the owned
 * mask), 0 for none.  Uids are never reused, so a key cannot outlive its
 * store's ownership: the thread's shard is given back only at thread exit
 * (which clears the key) or when the store is closed (after which its
 * handles may not be used); a forked child starts with none.  One load
 * of thread-local storage and one compare with a word of the series
 * handle, which the type check has already brought in.  With the bitmap
 * and the key below and the list of open stores (mstore_writer.c), the
 * library's only global state.  initial-exec: the hot path reads it at a
 * fixed offset from the thread pointer, even in the shared library (no
 * __tls_get_addr call).
 */
#define SHARD_NEVER (MSTORE_COUNTER_SHARDS + 1u)
#define SHARD_ALL   ((1u << MSTORE_COUNTER_SHARDS) - 1u)
_Static_assert(MSTORE_COUNTER_SHARDS < 32, "shard bitmap is a u32");
#ifdef __GNUC__
#define TLS_INITIAL_EXEC __attribute__((tls_model("initial-exec")))
#else
#define TLS_INITIAL_EXEC
#endif
static _Thread_local uint32_t thread_shard TLS_INITIAL_EXEC;
static _Thread_local uint64_t thread_key TLS_INITIAL_EXEC;
#define SHARD_KEY_MASK ((UINT64_C(1) << MSTORE_SHARD_KEY_BITS) - 1u)
/* Bit k set: no thread of this process holds shard number k.  0 (none)
 * until mstore_shards_init() succeeds: counters then use SHARED only. */
static _Atomic uint32_t shards_free;
static int shards_on;
/* Its destructor gives an exiting thread's shard back. */
static pthread_key_t shard_key;

/* The seq word's owner and lock bits. */
#define SEQ_HELD ((MSTORE_SEQ_OWNER_MASK << MSTORE_SEQ_OWNER_SHIFT) | MSTORE_SEQ_LOCKED)

/* ------------------------------------------------------------- shards */

/* Give shard k of st back in the file (release: the next owner's acquire
 * CAS pairs with it).  w: st's slot. */
static void
shard_give_back(struct mstore *st, uint32_t k, uint32_t w)
{
	uint32_t mine = w + 1;

	atomic_fetch_and_explicit(&st->owned, ~(1u << k), memory_order_relaxed);
	(void)atomic_compare_exchange_strong_explicit(&st->hdr->shard_owner[k], &mine, 0,
	                                              memory_order_release, memory_order_relaxed);
}

/* Thread exit (key destructor): shard k back in every open store where
 * this thread owns it, then in the process bitmap.  A counter update by a
 * later destructor of this thread uses SHARED (SHARD_NEVER). */
static void
shard_release(void *unused)
{
	uint32_t t = thread_shard, k = t - 1u;
	struct mstore *st;

	(void)unused;
	thread_shard = SHARD_NEVER;
	thread_key = 0;
	if (k >= MSTORE_COUNTER_SHARDS)
		return;
	(void)pthread_mutex_lock(mstore_open_lock());
	for (st = mstore_open_first(); st != NULL; st = st->next_open)
		if (atomic_load_explicit(&st->owned, memory_order_relaxed) & (1u << k))
			shard_give_back(st, k,
			                atomic_load_explicit(&st->slot, memory_order_relaxed));
	(void)pthread_mutex_unlock(mstore_open_lock());
	atomic_fetch_or_explicit(&shards_free, 1u << k, memory_order_release);
}

void
mstore_shards_release(struct mstore *st)
{
	uint32_t k, w = atomic_load_explicit(&st->slot, memory_order_relaxed);

	for (k = 0; k < MSTORE_COUNTER_SHARDS; k++)
		if (atomic_load_explicit(&st->owned, memory_order_relaxed) & (1u << k))
			shard_give_back(st, k, w);
}

void
mstore_shards_init(void)
{
	if (pthread_key_create(&shard_key, shard_release) != 0)
		return;
	shards_on = 1;
	atomic_store_explicit(&shards_free, SHARD_ALL, memory_order_relaxed);
}

void
mstore_shards_fork_child(void)
{
	/* The child's only thread: the parent's threads, and their shard
	 * numbers, did not come along; every store's owned mask is emptied
	 * by the caller (mstore_writer.c). */
	thread_shard = 0;
	thread_key = 0;
	atomic_store_explicit(&shards_free, shards_on ? SHARD_ALL : 0, memory_order_relaxed);
}

/* Claim shard k of st in the file for slot w: 1, or 0 if another process
 * owns it. */
static int
shard_claim_store(struct mstore *st, uint32_t k, uint32_t w)
{
	uint32_t free_owner = 0;

	if (atomic_load_explicit(&st->hdr->shard_owner[k], memory_order_relaxed) != 0 ||
	    !atomic_compare_exchange_strong_explicit(&st->hdr->shard_owner[k], &free_owner, w + 1,
	                                             memory_order_acquire, memory_order_relaxed))
		return 0;
	atomic_fetch_or_explicit(&st->owned, 1u << k, memory_order_relaxed);
	return 1;
}

/* A thread without a shard number: take one that is free in the process
 * and in st.  Returns the new thread_shard (0: none to be had). */
static uint32_t
shard_take(struct mstore *st, uint32_t w)
{
	uint32_t f = atomic_load_explicit(&shards_free, memory_order_relaxed), k, bit;

	for (k = 0; k < MSTORE_COUNTER_SHARDS; k++) {
		bit = 1u << k;
		if (!(f & bit) ||
		    atomic_load_explicit(&st->hdr->shard_owner[k], memory_order_relaxed) != 0)
			continue;
		/* Acquire: pairs with the release of the thread that gave k back. */
		if (!(atomic_fetch_and_explicit(&shards_free, ~bit, memory_order_acquire) & bit))
			continue; /* another thread took it */
		if (pthread_setspecific(shard_key, &shards_free) == 0 &&
		    shard_claim_store(st, k, w)) {
			thread_shard = k + 1u;
			return k + 1u;
		}
		atomic_fetch_or_explicit(&shards_free, bit, memory_order_release);
	}
	return 0;
}

/* Only the owning thread writes a shard slot: load + store, no lock. */
static inline void
shard_add(_Atomic uint64_t *p, uint64_t n)
{
	atomic_store_explicit(p, atomic_load_explicit(p, memory_order_relaxed) + n,
	                      memory_order_relaxed);
}

/* Update by a thread without a shard of this store: get one if it can
 * (a writer slot first, in a forked child), else add to SHARED. */
static __attribute__((noinline)) void
counter_add_int_slow(struct mstore_series *s, uint64_t n)
{
	struct mstore *st = s->st;
	uint32_t t = thread_shard, k;
	int w;

	if (t != SHARD_NEVER && shards_on &&
	    !atomic_load_explicit(&st->no_slot, memory_order_relaxed) &&
	    (w = mstore_identity(st)) >= 0) {
		if (t == 0)
			t = shard_take(st, (uint32_t)w);
		else if (t - 1u < MSTORE_COUNTER_SHARDS)
			(void)shard_claim_store(st, t - 1u, (uint32_t)w);
		k = t - 1u;
		if (k < MSTORE_COUNTER_SHARDS &&
		    (atomic_load_explicit(&st->owned, memory_order_relaxed) & (1u << k))) {
			thread_key = s->shard_key | k; /* the fast path's, from now on */
			shard_add(&s->v[MSTORE_COUNTER_SHARD0 + k], n);
			return;
		}
	}
	atomic_fetch_add_explicit(&s->v[MSTORE_COUNTER_SHARED], n, memory_order_relaxed);
}

static inline void
counter_add_int(struct mstore_series *s, uint64_t n)
{
	uint64_t key = thread_key;

	if (__builtin_expect((key & ~SHARD_KEY_MASK) == s->shard_key, 1))
		shard_add(&s->v[MSTORE_COUNTER_SHARD0 + (key & SHARD_KEY_MASK)], n);
	else
		counter_add_int_slow(s, n);
}

/* ----------------------------------------------------- per-writer values */

enum pw_op { PW_SET, PW_ADD };

static void
atomic_add_double(_Atomic uint64_t *p, double d)
{
	uint64_t old = atomic_load_explicit(p, memory_order_relaxed);

	while (!atomic_compare_exchange_weak_explicit(p, &old,
	                                              double_to_bits(bits_to_double(old) + d),
	                                              memory_order_relaxed, memory_order_relaxed))
		;
}

/* This process's value of a per-writer series (mstore_layout.h): set, or
 * add (from 0 when unset). */
static int
per_writer_update(struct mstore_series *s, enum pw_op op, double v)
{
	int w = mstore_identity(s->st);
	_Atomic uint64_t *p;
	uint64_t old, b;

	if (w < 0)
		return mstore_fail(w);
	p = &s->v[w];
	if (op == PW_SET) {
		b = double_to_bits(v);
		atomic_store_explicit(p, b == MSTORE_PW_UNSET ? MSTORE_PW_QUIET_NAN : b,
		                      memory_order_relaxed);
		return 0;
	}
	old = atomic_load_explicit(p, memory_order_relaxed);
	do {
		b = double_to_bits((old == MSTORE_PW_UNSET ? 0 : bits_to_double(old)) + v);
		if (b == MSTORE_PW_UNSET)
			b = MSTORE_PW_QUIET_NAN;
	} while (!atomic_compare_exchange_weak_explicit(p, &old, b, memory_order_relaxed,
	                                                memory_order_relaxed));
	return 0;
}

int
mstore_per_writer_set(struct mstore_series *s, double v)
{
	return per_writer_update(s, PW_SET, v);
}

/* ------------------------------------------------------------- updates */

/* Cold path of every update: a per-writer series of the right type, a
 * NULL handle, or the wrong type.  Out of line, so that the fast paths
 * stay a straight line of instructions. */
static __attribute__((noinline, cold)) int
update_other(struct mstore_series *s, uint32_t type, enum pw_op op, double v)
{
	if (s == NULL)
		return mstore_fail(MSTORE_E_INVAL);
	if (s->type != (type | MSTORE_T_PER_WRITER))
		return mstore_fail(MSTORE_E_TYPE);
	if (type == MSTORE_COUNTER && !(v >= 0))
		return mstore_fail(MSTORE_E_NEGATIVE);
	return per_writer_update(s, op, v);
}

int
mstore_counter_inc(struct mstore_series *s)
{
	if (__builtin_expect(s == NULL || s->type != MSTORE_COUNTER, 0))
		return update_other(s, MSTORE_COUNTER, PW_ADD, 1);
	counter_add_int(s, 1);
	return 0;
}

int
mstore_counter_add(struct mstore_series *s, double v)
{
	if (__builtin_expect(s == NULL || s->type != MSTORE_COUNTER, 0))
		return update_other(s, MSTORE_COUNTER, PW_ADD, v);
	if (!(v >= 0))
		return mstore_fail(MSTORE_E_NEGATIVE);
	if (v < COUNTER_INT_LIMIT && (double)(uint64_t)v == v)
		counter_add_int(s, (uint64_t)v);
	else
		atomic_add_double(&s->v[MSTORE_COUNTER_FRAC], v);
	return 0;
}

int
mstore_gauge_set(struct mstore_series *s, double v)
{
	if (__builtin_expect(s == NULL || s->type != MSTORE_GAUGE, 0))
		return update_other(s, MSTORE_GAUGE, PW_SET, v);
	atomic_store_explicit(&s->v[0], double_to_bits(v), memory_order_relaxed);
	return 0;
}

int
mstore_gauge_add(struct mstore_series *s, double v)
{
	if (__builtin_expect(s == NULL || s->type != MSTORE_GAUGE, 0))
		return update_other(s, MSTORE_GAUGE, PW_ADD, v);
	atomic_add_double(&s->v[0], v);
	return 0;
}

int
mstore_gauge_sub(struct mstore_series *s, double v)
{
	return mstore_gauge_add(s, -v);
}

/* ----------------------------------------------------------- histograms */

/* Index of the first bound >= v, i.e. its bucket; NaN and > last: +Inf.
 * (A branch-free variant measured ~1.5 ns slower in metrics-bench update:
 * the bench's repeating values are well predicted.) */
static uint32_t
bucket_index(const double *b, uint32_t n, double v)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (v <= b[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/*
 * Close a section that a dead writer left locked at value locked, for
 * its recoverer (mstore_layout.h, "A writer killed inside"): count = the
 * sum of the buckets, sum as found, one more completed section.  The
 * caller is the only writer of the section (it holds it, or it holds the
 * dead owner's slot lock).
 */
static void
hist_close_dead(_Atomic uint64_t *v, uint32_t nbounds, uint64_t locked)
{
	uint64_t count = 0;
	uint32_t i;

	/* As in observe: the count stored below must not become visible
	 * before the locked seq (the take-over's CAS, or the dead owner's). */
	atomic_thread_fence(memory_order_release);
	for (i = 0; i <= nbounds; i++)
		count += atomic_load_explicit(&v[MSTORE_HIST_BUCKET0 + i], memory_order_relaxed);
	atomic_store_explicit(&v[MSTORE_HIST_COUNT], count, memory_order_relaxed);
	atomic_store_explicit(&v[MSTORE_HIST_SEQ], (locked & ~SEQ_HELD) + MSTORE_SEQ_ONE,
	                      memory_order_release);
}

/* A writer waiting on a section held for long (locked, owner in its bits):
 * if the owner is dead, take the section over and close it. */
static __attribute__((noinline)) void
hist_take_over(struct mstore_series *s, uint64_t locked, uint64_t tag)
{
	struct mstore *st = s->st;
	_Atomic uint64_t *seq = &s->v[MSTORE_HIST_SEQ];
	uint32_t owner = (uint32_t)((locked >> MSTORE_SEQ_OWNER_SHIFT) & MSTORE_SEQ_OWNER_MASK);
	uint64_t expect = locked;

	/* Ours: another thread of this process, preempted, alive.  An owner
	 * beyond the slots no correct writer wrote: nobody will release it. */
	if (owner == atomic_load_explicit(&st->slot, memory_order_relaxed) ||
	    (owner < st->max_writers &&
	     mstore_ofd_free(st->fd, mstore_slot_lock_off(st->lock_base, owner)) != 1))
		return;
	if (!atomic_compare_exchange_strong_explicit(seq, &expect, (locked & ~SEQ_HELD) | tag,
	                                             memory_order_acquire, memory_order_relaxed))
		return; /* someone else recovered it first */
	hist_close_dead(s->v, s->nbounds, locked);
	mstore_count_recovery(st, MSTORE_RECOVERY_HISTOGRAM, 1);
}

/* Take the series' seqlock when the first try failed (protocol in
 * mstore_layout.h): spin, yield, and recover a section whose owner died.
 * Returns the free value it was taken from. */
static __attribute__((noinline)) uint64_t
seqlock_wait(struct mstore_series *s, uint64_t tag)
{
	_Atomic uint64_t *seq = &s->v[MSTORE_HIST_SEQ];
	uint64_t v = atomic_load_explicit(seq, memory_order_relaxed), seen = v;
	unsigned spins = 0, yields = 0;

	for (;;) {
		if ((v & MSTORE_SEQ_LOCKED) == 0 &&
		    atomic_compare_exchange_weak_explicit(seq, &v, v | tag, memory_order_acquire,
		                                          memory_order_relaxed))
			break;
		if (++spins >= MSTORE_SEQLOCK_SPINS) {
			(void)sched_yield();
			spins = 0;
			if (v != seen) {
				seen = v;
				yields = 0;
			} else if ((v & MSTORE_SEQ_LOCKED) &&
			           ++yields >= MSTORE_SEQLOCK_RECOVER_YIELDS) {
				hist_take_over(s, v, tag);
				yields = 0;
			}
		}
		v = atomic_load_explicit(seq, memory_order_relaxed);
	}
	return v;
}

static void
relaxed_inc(_Atomic uint64_t *p)
{
	atomic_store_explicit(p, atomic_load_explicit(p, memory_order_relaxed) + 1,
	                      memory_order_relaxed);
}

/* The seq owner tag of a forked child that has no writer slot yet. */
static __attribute__((noinline)) int
hist_identity(struct mstore *st, uint64_t *tag)
{
	int w = mstore_identity(st);

	if (w < 0)
		return w;
	*tag = atomic_load_explicit(&st->seq_tag, memory_order_relaxed);
	return 0;
}

int
mstore_histogram_observe(struct mstore_series *s, double v)
{
	_Atomic uint64_t *p;
	uint64_t seq, tag;
	uint32_t b;
	int rc;

	if (__builtin_expect(s == NULL || s->type != MSTORE_HISTOGRAM, 0))
		return update_other(s, MSTORE_HISTOGRAM, PW_ADD, v);
	tag = atomic_load_explicit(&s->st->seq_tag, memory_order_relaxed);
	if (tag == 0 && (rc = hist_identity(s->st, &tag)) != 0)
		return mstore_fail(rc);
	p = s->v;
	b = bucket_index(s->bounds, s->nbounds, v);
	/* Take the seqlock (mstore_layout.h): one try here, the rest (and the
	 * owner recovery) out of line. */
	seq = atomic_load_explicit(&p[MSTORE_HIST_SEQ], memory_order_relaxed);
	if ((seq & MSTORE_SEQ_LOCKED) != 0 ||
	    !atomic_compare_exchange_strong_explicit(&p[MSTORE_HIST_SEQ], &seq, seq | tag,
	                                             memory_order_acquire, memory_order_relaxed))
		seq = seqlock_wait(s, tag);
	/* No data store below may become visible before the locked seq. */
	atomic_thread_fence(memory_order_release);
	relaxed_inc(&p[MSTORE_HIST_COUNT]);
	atomic_store_explicit(&p[MSTORE_HIST_SUM],
	                      double_to_bits(bits_to_double(atomic_load_explicit(
	                                             &p[MSTORE_HIST_SUM], memory_order_relaxed)) +
	                                     v),
	                      memory_order_relaxed);
	relaxed_inc(&p[MSTORE_HIST_BUCKET0 + b]);
	atomic_store_explicit(&p[MSTORE_HIST_SEQ], seq + MSTORE_SEQ_ONE, memory_order_release);
	return 0;
}

/* ------------------------------------------------------ cleaning a slot */

uint32_t
mstore_slot_sweep(struct mstore *st, uint32_t w, int clean, uint32_t *shards)
{
	const struct mstore_hdr *h = st->hdr;
	uint32_t n = atomic_load_explicit(&h->series, memory_order_acquire);
	uint32_t nf = atomic_load_explicit(&h->families, memory_order_acquire), i, k, hists = 0;

	for (i = 0; i < n && i < st->max_series; i++) {
		const struct mstore_series_rec *r = &st->srec[i];
		const struct mstore_family_rec *f;
		_Atomic uint64_t *v;
		uint64_t seq;

		if (r->family >= nf)
			continue;
		f = &st->frec[r->family];
		if ((uint64_t)r->value_off + f->nslots > st->value_slots)
			continue;
		v = &st->slots[r->value_off];
		if (f->per_writer != MSTORE_SHARED) {
			if (w < f->nslots)
				atomic_store_explicit(&v[w], MSTORE_PW_UNSET, memory_order_relaxed);
		} else if (clean && f->type == MSTORE_HISTOGRAM &&
		           f->nbounds <= MSTORE_MAX_BUCKETS) {
			seq = atomic_load_explicit(&v[MSTORE_HIST_SEQ], memory_order_acquire);
			if ((seq & MSTORE_SEQ_LOCKED) &&
			    ((seq >> MSTORE_SEQ_OWNER_SHIFT) & MSTORE_SEQ_OWNER_MASK) == w) {
				hist_close_dead(v, f->nbounds, seq);
				hists++;
			}
		}
	}
	if (!clean)
		return 0;
	*shards = 0;
	for (k = 0; k < MSTORE_COUNTER_SHARDS; k++) {
		uint32_t dead = w + 1;

		if (atomic_compare_exchange_strong_explicit(&st->hdr->shard_owner[k], &dead, 0,
		                                            memory_order_release,
		                                            memory_order_relaxed))
			(*shards)++;
	}
	return hists;
}
