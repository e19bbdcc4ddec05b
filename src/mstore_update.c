/* SPDX-License-Identifier: MIT */
/*
 * mstore_update.c - the writer's update paths: counters (per-thread
 * shards owned across processes), gauges, histograms (the seqlock and the
 * recovery of one a dead writer left locked; a native histogram's own part
 * is mstore_nhist.c), per-writer values, the sweep that cleans a dead
 * writer's slot, and the reset of a value range for a new series.  No
 * system call and no lock on the fast paths, which check that their series
 * was not removed (one load: "Series records" in mstore_layout.h).
 * Protocols: "Counters", "Histograms", "Native histograms" and "Per-writer
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
/* The owner a range's reset holds its histogram seq as: one no writer
 * slot has (a registration holds no slot necessarily).  Only a series that
 * is not published yet has it; left by a registration that died, the next
 * reuse takes it over. */
#define SEQ_RESET_TAG SEQ_HELD

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

/* An update through the handle of a removed series. */
static __attribute__((noinline, cold)) int
update_removed(void)
{
	return mstore_fail(MSTORE_E_REMOVED);
}

/* Update by a thread without a shard of this store: get one if it can
 * (a writer slot first, in a forked child), else add to SHARED; or the
 * series was removed. */
static __attribute__((noinline)) int
counter_add_int_slow(struct mstore_series *s, uint64_t n)
{
	struct mstore *st = s->st;
	uint32_t t = thread_shard, k;
	int w;

	if (mstore_series_gone(s))
		return update_removed();
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
			return 0;
		}
	}
	atomic_fetch_add_explicit(&s->v[MSTORE_COUNTER_SHARED], n, memory_order_relaxed);
	return 0;
}

/* The fast path: this thread's shard of this store, and the series still
 * there, in one test (either miss goes to the slow path, which tells). */
static inline int
counter_add_int(struct mstore_series *s, uint64_t n)
{
	uint64_t key = thread_key;
	uint64_t miss = ((key & ~SHARD_KEY_MASK) ^ s->shard_key) |
	                (atomic_load_explicit(s->gen_now, memory_order_relaxed) ^ s->gen);

	if (__builtin_expect(miss != 0, 0))
		return counter_add_int_slow(s, n);
	shard_add(&s->v[MSTORE_COUNTER_SHARD0 + (key & SHARD_KEY_MASK)], n);
	return 0;
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
	return mstore_series_gone(s) ? update_removed() : per_writer_update(s, PW_SET, v);
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
	if (mstore_series_gone(s))
		return update_removed();
	if (type == MSTORE_COUNTER && !(v >= 0))
		return mstore_fail(MSTORE_E_NEGATIVE);
	return per_writer_update(s, op, v);
}

int
mstore_counter_inc(struct mstore_series *s)
{
	if (__builtin_expect(s == NULL || s->type != MSTORE_COUNTER, 0))
		return update_other(s, MSTORE_COUNTER, PW_ADD, 1);
	return counter_add_int(s, 1);
}

int
mstore_counter_add(struct mstore_series *s, double v)
{
	if (__builtin_expect(s == NULL || s->type != MSTORE_COUNTER, 0))
		return update_other(s, MSTORE_COUNTER, PW_ADD, v);
	if (!(v >= 0))
		return mstore_fail(MSTORE_E_NEGATIVE);
	if (v < COUNTER_INT_LIMIT && (double)(uint64_t)v == v)
		return counter_add_int(s, (uint64_t)v);
	if (mstore_series_gone(s))
		return update_removed();
	atomic_add_double(&s->v[MSTORE_COUNTER_FRAC], v);
	return 0;
}

int
mstore_gauge_set(struct mstore_series *s, double v)
{
	if (__builtin_expect(s == NULL || s->type != MSTORE_GAUGE, 0))
		return update_other(s, MSTORE_GAUGE, PW_SET, v);
	if (mstore_series_gone(s))
		return update_removed();
	atomic_store_explicit(&s->v[0], double_to_bits(v), memory_order_relaxed);
	return 0;
}

int
mstore_gauge_add(struct mstore_series *s, double v)
{
	if (__builtin_expect(s == NULL || s->type != MSTORE_GAUGE, 0))
		return update_other(s, MSTORE_GAUGE, PW_ADD, v);
	if (mstore_series_gone(s))
		return update_removed();
	atomic_add_double(&s->v[0], v);
	return 0;
}

int
mstore_gauge_sub(struct mstore_series *s, double v)
{
	return mstore_gauge_add(s, -v);
}

/* ----------------------------------------------------------- histograms */

/* Sum as found: the cut observation may be in it or not.  The caller is
 * the only writer of the section (it holds it, or it holds the dead
 * owner's slot lock). */
void
mstore_hist_close_dead(_Atomic uint64_t *v, uint32_t nbounds, const struct nhist_config *nc,
                       int64_t now, uint64_t locked)
{
	uint64_t count = 0;
	uint32_t i;

	/* As in observe: the count stored below must not become visible
	 * before the locked seq (the take-over's CAS, or the dead owner's). */
	atomic_thread_fence(memory_order_release);
	for (i = 0; i <= nbounds; i++)
		count += atomic_load_explicit(&v[MSTORE_HIST_BUCKET0 + i], memory_order_relaxed);
	atomic_store_explicit(&v[MSTORE_HIST_COUNT], count, memory_order_relaxed);
	if (nc != NULL && nc->nbuckets > 0)
		mstore_native_recover(v + nbounds + MSTORE_HIST_FIXED_SLOTS, nc, count, now);
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
	mstore_hist_close_dead(s->v, s->nbounds, &s->fam->native,
	                       atomic_load_explicit(&st->coarse_ns, memory_order_relaxed), locked);
	mstore_count_recovery(st, MSTORE_RECOVERY_HISTOGRAM, 1);
}

/* Take the series' seqlock when the first try failed (protocol in
 * mstore_layout.h): spin, yield, and recover a section whose owner died.
 * Returns the free value it was taken from. */
__attribute__((noinline)) uint64_t
mstore_seqlock_wait(struct mstore_series *s, uint64_t tag)
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

/* The seq owner tag of a forked child that has no writer slot yet. */
__attribute__((noinline)) int
mstore_hist_identity(struct mstore *st, uint64_t *tag)
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
	uint64_t seq;
	uint32_t b;
	int rc;

	if (__builtin_expect(s == NULL || s->type != MSTORE_HISTOGRAM, 0)) {
		if (s != NULL && s->type == (MSTORE_HISTOGRAM | MSTORE_T_NATIVE))
			return mstore_series_gone(s) ? update_removed()
			                             : mstore_native_observe(s, v);
		return update_other(s, MSTORE_HISTOGRAM, PW_ADD, v);
	}
	if (mstore_series_gone(s))
		return update_removed();
	b = mstore_bucket_index(s->bounds, s->nbounds, v);
	/* The seqlock (mstore_layout.h): one try inline, the rest (and the
	 * owner recovery) out of line. */
	if ((rc = mstore_seq_enter(s, &seq)) != 0)
		return mstore_fail(rc);
	mstore_hist_count(s->v, b, v);
	mstore_seq_leave(s, seq);
	return 0;
}

/* ------------------------------------------------------------ exemplars */

/* The update first, then its exemplar (mstore.h: a refused exemplar never
 * costs the update; mstore_exemplar.c writes the record). */

int
mstore_counter_inc_exemplar(struct mstore_series *s, const struct mstore_exemplar *ex)
{
	int rc = mstore_counter_inc(s);

	return rc != 0 || ex == NULL ? rc : mstore_exemplar_put(s, 0, 1, ex);
}

int
mstore_counter_add_exemplar(struct mstore_series *s, double v, const struct mstore_exemplar *ex)
{
	int rc = mstore_counter_add(s, v);

	return rc != 0 || ex == NULL ? rc : mstore_exemplar_put(s, 0, v, ex);
}

int
mstore_histogram_observe_exemplar(struct mstore_series *s, double v,
                                  const struct mstore_exemplar *ex)
{
	int rc = mstore_histogram_observe(s, v);

	if (rc != 0 || ex == NULL)
		return rc;
	return mstore_exemplar_put(s, mstore_bucket_index(s->bounds, s->nbounds, v), v, ex);
}

/* ------------------------------------------------------ cleaning a slot */

uint32_t
mstore_slot_sweep(struct mstore *st, uint32_t w, int clean, uint32_t *shards)
{
	const struct mstore_hdr *h = st->hdr;
	uint32_t n = atomic_load_explicit(&h->series, memory_order_acquire);
	uint32_t nf = atomic_load_explicit(&h->families, memory_order_acquire), i, k, hists = 0;
	uint32_t exemplars = 0;

	for (i = 0; i < n && i < st->max_series; i++) {
		const struct mstore_series_rec *r = &st->srec[i];
		uint32_t fam = atomic_load_explicit(&r->family, memory_order_relaxed);
		uint32_t off = atomic_load_explicit(&r->value_off, memory_order_relaxed);
		uint32_t state = atomic_load_explicit(&r->state, memory_order_relaxed);
		const struct mstore_family_rec *f;
		struct nhist_config nc;
		_Atomic uint64_t *v;
		uint64_t seq;

		/* LIVE and LIMBO series hold rooms; a FREE one's are listed,
		 * and a histogram locked there is taken over at reuse. */
		if ((state != MSTORE_SERIES_LIVE && state != MSTORE_SERIES_LIMBO) || fam >= nf)
			continue;
		f = &st->frec[fam];
		if ((uint64_t)off + f->nslots > st->value_slots)
			continue;
		v = &st->slots[off];
		if (f->per_writer != MSTORE_SHARED) {
			if (w < f->nslots)
				atomic_store_explicit(&v[w], MSTORE_PW_UNSET, memory_order_relaxed);
			continue;
		}
		/* a record a correct writer wrote (the sweep trusts no more) */
		if (!clean || mstore_native_config(&f->native, &nc) != 0 ||
		    f->nslots != mstore_family_nslots(f->type, f->nbounds, nc.nbuckets,
		                                      f->per_writer, st->max_writers, f->exemplars))
			continue;
		if (f->type == MSTORE_HISTOGRAM) {
			seq = atomic_load_explicit(&v[MSTORE_HIST_SEQ], memory_order_acquire);
			if ((seq & MSTORE_SEQ_LOCKED) &&
			    ((seq >> MSTORE_SEQ_OWNER_SHIFT) & MSTORE_SEQ_OWNER_MASK) == w) {
				mstore_hist_close_dead(
				        v, f->nbounds, &nc,
				        atomic_load_explicit(&st->coarse_ns, memory_order_relaxed),
				        seq);
				hists++;
			}
		}
		if (f->exemplars)
			exemplars += mstore_exemplar_sweep(
			        v + mstore_exemplar_off(f->type, f->nbounds, nc.nbuckets, 0),
			        mstore_exemplar_records(f->type, f->nbounds), w);
	}
	if (!clean)
		return 0;
	mstore_count_recovery(st, MSTORE_RECOVERY_EXEMPLAR, exemplars);
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

/* ------------------------------------------------ resetting a range */

/* 1 if seq value seq is held by a live writer (ours, or one whose slot
 * lock the kernel still holds); 0 if free, or held by a dead writer or by
 * no writer slot (a reset a registration left). */
static int
seq_held_live(struct mstore *st, uint64_t seq)
{
	uint64_t owner = (seq >> MSTORE_SEQ_OWNER_SHIFT) & MSTORE_SEQ_OWNER_MASK;

	return (seq & MSTORE_SEQ_LOCKED) && owner < st->max_writers &&
	       (owner == atomic_load_explicit(&st->slot, memory_order_relaxed) ||
	        mstore_ofd_free(st->fd, mstore_slot_lock_off(st->lock_base, (uint32_t)owner)) != 1);
}

/* Take seq word p for a reset, as a writer takes its section: 0 with
 * *seq the free (or dead writer's locked) value it held, now the reset
 * tag; 1 if a live writer is inside or came in just now. */
static int
seq_take_reset(struct mstore *st, _Atomic uint64_t *p, uint64_t *seq)
{
	*seq = atomic_load_explicit(p, memory_order_relaxed);
	if (seq_held_live(st, *seq) ||
	    !atomic_compare_exchange_strong_explicit(p, seq, (*seq & ~SEQ_HELD) | SEQ_RESET_TAG,
	                                             memory_order_acquire, memory_order_relaxed))
		return 1;
	/* No reset store below may become visible before the locked seq. */
	atomic_thread_fence(memory_order_release);
	return 0;
}

/* Give back seq word p taken by seq_take_reset() from seq: one completed
 * section more (release). */
static void
seq_give_reset(_Atomic uint64_t *p, uint64_t seq)
{
	atomic_store_explicit(p, (seq & ~SEQ_HELD) + MSTORE_SEQ_ONE, memory_order_release);
}

/* The exemplar records of range v of a series of shared family f: the
 * first, and how many in *n. */
static _Atomic uint64_t *
ex_records(const struct mstore_family_rec *f, _Atomic uint64_t *v, uint32_t *n)
{
	*n = f->exemplars ? mstore_exemplar_records(f->type, f->nbounds) : 0;
	return v + mstore_exemplar_off(f->type, f->nbounds, f->native.nbuckets, 0);
}

/* 1 if a live writer is inside one of the exemplar records of range v of
 * a series of family f (a late exemplar write). */
static int
exemplars_busy(struct mstore *st, const struct mstore_family_rec *f, _Atomic uint64_t *v)
{
	uint32_t i, n;
	_Atomic uint64_t *rec = ex_records(f, v, &n);

	for (i = 0; i < n; i++, rec += MSTORE_EX_SLOTS)
		if (seq_held_live(st,
		                  atomic_load_explicit(&rec[MSTORE_EX_SEQ], memory_order_relaxed)))
			return 1;
	return 0;
}

int
mstore_values_busy(struct mstore *st, const struct mstore_family_rec *f, uint32_t off)
{
	_Atomic uint64_t *v = &st->slots[off];

	if (f->per_writer != MSTORE_SHARED)
		return 0;
	return (f->type == MSTORE_HISTOGRAM &&
	        seq_held_live(st,
	                      atomic_load_explicit(&v[MSTORE_HIST_SEQ], memory_order_relaxed))) ||
	       exemplars_busy(st, f, v);
}

/*
 * Empty the exemplar records of range off of a removed series of shared
 * family f (mstore_layout.h, "Exemplars" and allocation): each record is
 * taken as a writer takes it, by CAS from its free value or a dead
 * writer's locked one to the reset tag, emptied (time 0: none), and given
 * back one write further; a late writer meanwhile finds it locked and
 * drops its exemplar.  1 if a live writer is inside one (that one is left
 * as it is, and the caller keeps the range out of use).
 */
int
mstore_exemplars_empty(struct mstore *st, const struct mstore_family_rec *f, uint32_t off)
{
	uint32_t i, k, n;
	_Atomic uint64_t *rec = ex_records(f, &st->slots[off], &n);
	uint64_t seq;

	if (f->per_writer != MSTORE_SHARED)
		return 0;
	for (i = 0; i < n; i++, rec += MSTORE_EX_SLOTS) {
		if (seq_take_reset(st, &rec[MSTORE_EX_SEQ], &seq) != 0)
			return 1;
		for (k = MSTORE_EX_SEQ + 1; k < MSTORE_EX_SLOTS; k++)
			atomic_store_explicit(&rec[k], 0, memory_order_relaxed);
		seq_give_reset(&rec[MSTORE_EX_SEQ], seq);
	}
	return 0;
}

/* A new series' native part of histogram range v of family f: the
 * configured state, last reset now. */
static void
native_reset(const struct mstore_family_rec *f, _Atomic uint64_t *v)
{
	struct nhist_config nc;

	if (f->native.nbuckets > 0 && mstore_native_config(&f->native, &nc) == 0)
		mstore_native_init(v + f->nbounds + MSTORE_HIST_FIXED_SLOTS, &nc,
		                   mstore_native_time(mstore_boottime_ns()));
}

int
mstore_values_reset(struct mstore *st, const struct mstore_family_rec *f, uint32_t off, int reused)
{
	_Atomic uint64_t *v = &st->slots[off];
	uint64_t init = f->per_writer != MSTORE_SHARED ? MSTORE_PW_UNSET : 0, seq;
	uint32_t i, own;

	if (f->per_writer != MSTORE_SHARED || !reused) {
		/* per-writer slots, or a range no series of f held: nothing of
		 * ours can be inside */
		for (i = 0; i < f->nslots; i++)
			atomic_store_explicit(&v[i], init, memory_order_relaxed);
		if (f->type == MSTORE_HISTOGRAM && f->per_writer == MSTORE_SHARED)
			native_reset(f, v);
		return 0;
	}
	/* A removed series' range of this family: its exemplar records, then
	 * its own slots. */
	if (mstore_exemplars_empty(st, f, off) != 0)
		return 1; /* a live writer's late exemplar is inside */
	own = mstore_slots_for(f->type, f->nbounds, f->native.nbuckets);
	if (f->type != MSTORE_HISTOGRAM) {
		for (i = 0; i < own; i++)
			atomic_store_explicit(&v[i], 0, memory_order_relaxed);
		return 0;
	}
	/* Its seq (now the free list's link, or a late observation's), taken
	 * as observations take it (mstore_layout.h, allocation); the native
	 * part set to its configured state inside the section too. */
	if (seq_take_reset(st, &v[MSTORE_HIST_SEQ], &seq) != 0)
		return 1; /* a live writer's late observation is inside */
	for (i = MSTORE_HIST_COUNT; i < own; i++)
		atomic_store_explicit(&v[i], 0, memory_order_relaxed);
	native_reset(f, v);
	seq_give_reset(&v[MSTORE_HIST_SEQ], seq);
	return 0;
}
