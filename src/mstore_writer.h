/* SPDX-License-Identifier: MIT */
/*
 * mstore_writer.h - the writer's private structures and the functions its
 * source files share: mstore_writer.c (create, attach, close, writer
 * slots, fork, heartbeat and the upkeep after dead writers),
 * mstore_register.c (families, series, removal, limits, intents, the
 * shared index, the private handle caches), mstore_alloc.c (rooms in the
 * file: free lists, limbo, the rebuild),
 * mstore_update.c (the update paths: counter shards, the histogram
 * seqlock and its owner recovery, per-writer values), mstore_nhist.c
 * (native histograms) and mstore_proc.c (process metrics).  The protocols are in mstore_layout.h.  Internal: the
 * library and its tests include it, nothing else.
 */
#ifndef MSTORE_WRITER_H
#define MSTORE_WRITER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "mstore_layout.h"

/* The type word of a per-writer series handle, and of a native
 * histogram's: never equal to a public type, so the update fast paths'
 * type check sends them to the slow path. */
#define MSTORE_T_PER_WRITER 0x100u
#define MSTORE_T_NATIVE     0x200u
/* A counter shard number fits in this many low bits of a shard key. */
#define MSTORE_SHARD_KEY_BITS 2u
_Static_assert((1u << MSTORE_SHARD_KEY_BITS) >= MSTORE_COUNTER_SHARDS, "shard key bits");

struct mstore_family {
	struct mstore *st;
	uint32_t index; /* its record in the file */
	uint32_t type;
	uint32_t nlabels;
	uint32_t nbounds;
	uint32_t nslots;
	uint32_t per_writer; /* enum mstore_per_writer */
	uint32_t shape;      /* its value ranges' shape (struct mstore_val_class) */
	double bounds[MSTORE_MAX_BUCKETS];
	struct nhist_config native; /* histograms: native.nbuckets 0: none */
	uint32_t exemplars;         /* 1: its series have exemplar records */
};

/* A series handle.  The first cache line holds what every update reads. */
struct mstore_series {
	uint32_t type; /* first: checked on every update (| MSTORE_T_PER_WRITER) */
	uint32_t nbounds;
	_Atomic uint64_t *v;             /* first value slot, in the mapping */
	const _Atomic uint64_t *gen_now; /* its record's gen, in the mapping */
	uint64_t gen;                    /* the gen it was made for */
	uint64_t shard_key;   /* the store uid << MSTORE_SHARD_KEY_BITS (mstore_update.c) */
	const double *bounds; /* the family's private copy */
	struct mstore *st;
	struct mstore_family *fam;
	uint64_t hash;
	uint32_t index; /* its record in the file */
	uint32_t refs;  /* mstore_series_get() results not given back (under st->lock) */
	struct mstore_series *prev_h, *next_h; /* every handle of the store (under st->lock) */
};

struct mstore_proc; /* process metrics (mstore_proc.c) */

struct mstore {
	/* Threads of this process: registration, slot claims, upkeep.  Taken
	 * before the registration lock; held across fork by the fork
	 * handlers. */
	pthread_mutex_t lock;
	/* This handle's own open file description of the lock file
	 * (mstore_layout.h, writer slots): its OFD locks are our identity.  -1
	 * in a forked child whose reopen failed (reopened from path on the
	 * next claim). */
	int fd;
	uint64_t lock_base;       /* the store's lock window: mstore_lock_base() */
	int lost;                 /* 0, or the errno of a forked child's failed reopen (reg_lock) */
	int cancel_state;         /* the holder's cancel state, under the registration lock */
	_Atomic uint32_t slot;    /* our writer slot; MSTORE_NONE: none yet */
	_Atomic uint64_t seq_tag; /* slot << 1 | 1, the seq owner bits; 0: none */
	/* The boot's clock (mstore_layout.h, "Native histograms") at this
	 * writer's last heartbeat: a time certainly passed. */
	_Atomic int64_t coarse_ns;
	_Atomic uint32_t owned; /* counter shards this process owns here */
	uint64_t uid;           /* unique among the process's handles, ever; > 0 */
	/* The last claim found no free slot: counters stop asking (they use
	 * SHARED, which needs no slot) until a claim succeeds. */
	_Atomic int no_slot;
	uint32_t tick_ms; /* this writer's heartbeat interval */
	char *path;       /* the lock file, for a forked child's reopen */
	dev_t dev;        /* the lock file's */
	ino_t ino;
	unsigned char *map;
	size_t map_len;
	struct mstore_hdr *hdr;
	struct mstore_writer_rec *wrec;
	struct mstore_family_rec *frec;
	struct mstore_series_rec *srec;
	struct mstore_index_ent *index;
	_Atomic uint64_t *slots;
	char *strings;
	/* the file's geometry, validated when it was opened */
	uint32_t max_writers, max_families, max_series, value_slots, string_bytes;
	uint32_t index_mask;
	/* private handle caches, under lock */
	struct mstore_family **fams;   /* by family index */
	struct mstore_series **series; /* by series index: its current handle, or NULL */
	uint32_t *htab;                /* series index + 1 of a cached handle, 0 = empty */
	size_t hmask;
	uint32_t fams_hi;              /* handles exist below this index */
	struct mstore_series *handles; /* every series handle (freed at close) */
	uint32_t reuse_delay_ms;       /* the file's, validated */
	struct mstore_proc *proc;      /* NULL: no process metrics */
	struct mstore *next_open;      /* the process's open stores (fork, shards) */
};

/* ---- test hooks: points of the protocols where the tests kill a writer
 * (a function pointer, NULL outside the tests; only slow paths call it) */
enum mstore_step {
	MSTORE_STEP_FAMILY_FILLED,
	MSTORE_STEP_SERIES_FILLED,
	MSTORE_STEP_SERIES_STATE, /* LIVE, gen still odd */
	MSTORE_STEP_SERIES_PUBLISHED,
	MSTORE_STEP_SERIES_LINKED,
	MSTORE_STEP_CLAIM_RESET,
	MSTORE_STEP_CLEANUP_SWEPT,
	MSTORE_STEP_REMOVE_UNLINKED,
	MSTORE_STEP_REMOVE_ODD,
	MSTORE_STEP_REMOVE_RETIRED,
	MSTORE_STEP_EXPIRE_GIVEN,
	MSTORE_STEP_REBUILD,
};
MSTORE_INTERNAL extern void (*mstore_test_hook)(enum mstore_step step);

static inline void
mstore_step(enum mstore_step step)
{
	if (mstore_test_hook != NULL)
		mstore_test_hook(step);
}

/* ---- mstore_writer.c ---- */
/* Take the registration lock (the caller holds st->lock) and finish or
 * undo a registration a dead writer left (mstore_layout.h).  0, or a code. */
MSTORE_INTERNAL int mstore_reg_lock(struct mstore *st);
MSTORE_INTERNAL void mstore_reg_unlock(struct mstore *st);
/* This process's writer slot, claimed first in a forked child: >= 0, or
 * a negative code (E_NO_WRITER, E_SYS). */
MSTORE_INTERNAL int mstore_identity_slow(struct mstore *st);
static inline int
mstore_identity(struct mstore *st)
{
	uint32_t w = atomic_load_explicit(&st->slot, memory_order_acquire);

	return w != MSTORE_NONE ? (int)w : mstore_identity_slow(st);
}
/* Add n to the header's recovery counter kind. */
MSTORE_INTERNAL void mstore_count_recovery(struct mstore *st, enum mstore_recovery kind,
                                           uint64_t n);

/* ---- mstore_register.c ---- */
/* Under the registration lock: finish or undo the structural part of the
 * intent left behind; the lists are then marked dirty (rebuilt next). */
MSTORE_INTERNAL void mstore_intent_recover(struct mstore *st);
MSTORE_INTERNAL void mstore_register_free(struct mstore *st);
/* The shared index emptied, and series idx entered into it (rebuild). */
MSTORE_INTERNAL void mstore_index_reset(struct mstore *st);
MSTORE_INTERNAL void mstore_index_add(struct mstore *st, uint32_t idx);
/* 1 if record idx holds its family's overflow series (every label value
 * MSTORE_OVERFLOW_VALUE, a family with labels). */
MSTORE_INTERNAL int mstore_series_is_overflow(const struct mstore *st, uint32_t idx);
/* A string of the file, checked against the region: 1 with *p, *len. */
MSTORE_INTERNAL int mstore_file_str(const struct mstore *st, struct mstore_str r, const char **p,
                                    size_t *len);

/* ---- mstore_alloc.c (allocation in the file, mstore_layout.h) ---- */
/* The string block a string of len bytes takes (0 for len 0). */
MSTORE_INTERNAL uint32_t mstore_str_block(uint32_t len);
/* Take a block for a string of len > 0 bytes: 0 with *off, or
 * E_NO_STRING_SPACE.  Give one back (len 0: nothing). */
MSTORE_INTERNAL int mstore_str_take(struct mstore *st, uint32_t len, uint32_t *off);
MSTORE_INTERNAL void mstore_str_give(struct mstore *st, struct mstore_str r);
/* Take a value range of nslots slots for a series of this shape: 0 with
 * *off (*same: it held a series of this shape), or E_NO_VALUE_SPACE.
 * Give one back. */
MSTORE_INTERNAL int mstore_val_take(struct mstore *st, uint32_t shape, uint32_t nslots,
                                    uint32_t *off, int *same);
MSTORE_INTERNAL void mstore_val_give(struct mstore *st, uint32_t shape, uint32_t nslots,
                                     uint32_t off);
/* Take a FREE series record: 0 with *idx, or E_NO_SERIES_SPACE.  Give a
 * record back: made FREE (nothing of it in use any more) and listed. */
MSTORE_INTERNAL int mstore_rec_take(struct mstore *st, uint32_t *idx);
MSTORE_INTERNAL void mstore_rec_give(struct mstore *st, uint32_t idx);
/* The next even value of the generation clock, stored back first. */
MSTORE_INTERNAL uint64_t mstore_clock_next(struct mstore *st);
/* Removal: record idx, unlinked, into limbo (LIMBO, its removal time). */
MSTORE_INTERNAL void mstore_limbo_add(struct mstore *st, uint32_t idx);
/* 1 if the oldest record in limbo is due (a peek, without the lock). */
MSTORE_INTERNAL int mstore_limbo_due(const struct mstore *st);
/* Under the lock: expire what is due (intent EXPIRE). */
MSTORE_INTERNAL void mstore_limbo_expire(struct mstore *st);
/* Under the lock: rebuild the lists, the index and the counts from the
 * records.  0, or E_SYS (ENOMEM; the lists stay dirty). */
MSTORE_INTERNAL int mstore_alloc_rebuild(struct mstore *st);
/* The value shape (struct mstore_val_class) of family index family's
 * series of nslots slots: its free ranges are its own. */
MSTORE_INTERNAL uint32_t mstore_family_shape(uint32_t family, uint32_t nslots);

/* ---- mstore_update.c ---- */
/* Under the registration lock, holding slot w's lock (its owner is dead):
 * recover its locked histograms, give back its shards, reset its
 * per-writer values (clean: also the histograms and shards).  Returns the
 * number of histograms recovered; *shards gets the shards given back. */
MSTORE_INTERNAL uint32_t mstore_slot_sweep(struct mstore *st, uint32_t w, int clean,
                                           uint32_t *shards);
/* Give back this process's shards of st (close). */
MSTORE_INTERNAL void mstore_shards_release(struct mstore *st);
/* Once per process: the shard bitmap and the thread-exit key. */
MSTORE_INTERNAL void mstore_shards_init(void);
/* Fork child: no thread of the child owns a shard yet. */
MSTORE_INTERNAL void mstore_shards_fork_child(void);
/* The process's open stores, for the fork handlers and thread exit. */
MSTORE_INTERNAL struct mstore *mstore_open_first(void);
MSTORE_INTERNAL pthread_mutex_t *mstore_open_lock(void);
/* Set this writer's value of a per-writer series (process metrics: a
 * per-writer counter is set, not added to). */
MSTORE_INTERNAL int mstore_per_writer_set(struct mstore_series *s, double v);
/* The histogram seqlock's slow parts (mstore_seq_enter()): take it after a
 * failed first try (spin, yield, recover a dead owner's section), and the
 * owner tag of a forked child that has no writer slot yet. */
MSTORE_INTERNAL uint64_t mstore_seqlock_wait(struct mstore_series *s, uint64_t tag);
MSTORE_INTERNAL int mstore_hist_identity(struct mstore *st, uint64_t *tag);
/* Index of the classic bucket of v: its first bound >= v; NaN and above
 * the last, the +Inf bucket.  (A branch-free variant measured ~1.5 ns
 * slower in metrics-bench update: the bench's repeating values are well
 * predicted.) */
static inline uint32_t
mstore_bucket_index(const double *b, uint32_t n, double v)
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
 * Enter series s's seqlock (mstore_layout.h, "Histograms"): 0 with *seq
 * the free value it was taken from, or a negative code (a forked child
 * that cannot claim a writer slot).  The first try inline.
 */
static inline int
mstore_seq_enter(struct mstore_series *s, uint64_t *seq)
{
	_Atomic uint64_t *p = &s->v[MSTORE_HIST_SEQ];
	uint64_t tag = atomic_load_explicit(&s->st->seq_tag, memory_order_relaxed), v;
	int rc;

	if (tag == 0 && (rc = mstore_hist_identity(s->st, &tag)) != 0)
		return rc;
	v = atomic_load_explicit(p, memory_order_relaxed);
	if ((v & MSTORE_SEQ_LOCKED) != 0 ||
	    !atomic_compare_exchange_strong_explicit(p, &v, v | tag, memory_order_acquire,
	                                             memory_order_relaxed))
		v = mstore_seqlock_wait(s, tag);
	/* No data store below may become visible before the locked seq. */
	atomic_thread_fence(memory_order_release);
	*seq = v;
	return 0;
}

/* Leave it: the free value taken, one more completed section (release). */
static inline void
mstore_seq_leave(struct mstore_series *s, uint64_t seq)
{
	atomic_store_explicit(&s->v[MSTORE_HIST_SEQ], seq + MSTORE_SEQ_ONE, memory_order_release);
}

/* A plain increment of a slot only the section's holder writes. */
static inline void
mstore_slot_inc(_Atomic uint64_t *p)
{
	atomic_store_explicit(p, atomic_load_explicit(p, memory_order_relaxed) + 1,
	                      memory_order_relaxed);
}

/* Inside the section: count v in histogram slots p (count, sum, classic
 * bucket b). */
static inline void
mstore_hist_count(_Atomic uint64_t *p, uint32_t b, double v)
{
	mstore_slot_inc(&p[MSTORE_HIST_COUNT]);
	atomic_store_explicit(&p[MSTORE_HIST_SUM],
	                      double_to_bits(bits_to_double(atomic_load_explicit(
	                                             &p[MSTORE_HIST_SUM], memory_order_relaxed)) +
	                                     v),
	                      memory_order_relaxed);
	mstore_slot_inc(&p[MSTORE_HIST_BUCKET0 + b]);
}

/* Close a section a dead writer left locked at value locked (mstore_layout.h,
 * "A writer killed inside" and "Native histograms"): count = the sum of the
 * nbounds + 1 classic buckets, the native part (nc, NULL or nbuckets 0:
 * none) made to add up, one more completed section.  The caller is the
 * section's only writer; now is its coarse time. */
MSTORE_INTERNAL void mstore_hist_close_dead(_Atomic uint64_t *v, uint32_t nbounds,
                                            const struct nhist_config *nc, int64_t now,
                                            uint64_t locked);

/* 1 if handle s's series was removed: its record's gen is not the
 * handle's (one relaxed load of the record's line; mstore_layout.h,
 * "Series records", and mstore.h on what a late write may do). */
static inline int
mstore_series_gone(const struct mstore_series *s)
{
	return __builtin_expect(atomic_load_explicit(s->gen_now, memory_order_relaxed) != s->gen,
	                        0);
}

/* ---- mstore_nhist.c ---- */
/* Observe v in native histogram series s (mstore_histogram_observe()). */
MSTORE_INTERNAL int mstore_native_observe(struct mstore_series *s, double v);
/* Initialise the native part of a new series' slots v (past its classic
 * ones) for configuration c, last reset at now. */
MSTORE_INTERNAL void mstore_native_init(_Atomic uint64_t *v, const struct nhist_config *c,
                                        int64_t now);
/* Recovery (mstore_hist_close_dead()): make native part v of c add up to
 * at most count, the recovered count. */
MSTORE_INTERNAL void mstore_native_recover(_Atomic uint64_t *v, const struct nhist_config *c,
                                           uint64_t count, int64_t now);
/* The boot's clock (CLOCK_BOOTTIME outside any time namespace) at this
 * process's CLOCK_BOOTTIME boottime_ns; 0 for a negative one (the clock
 * could not be read): "unknown" to nhist. */
MSTORE_INTERNAL int64_t mstore_native_time(int64_t boottime_ns);

/* ---- mstore_exemplar.c ---- */
/* Keep ex, for an update of value just made on s, in s's exemplar record
 * i (a counter's 0, a histogram's bucket): 0, or the code of mstore.h's
 * exemplar errors (errno set).  Any update path calls it after its update:
 * mstore_layout.h, "Exemplars". */
MSTORE_INTERNAL int mstore_exemplar_put(struct mstore_series *s, uint32_t i, double value,
                                        const struct mstore_exemplar *ex);
/* Under the registration lock, holding dead slot w's lock: empty the n
 * records from rec on that w left locked.  Returns how many. */
MSTORE_INTERNAL uint32_t mstore_exemplar_sweep(_Atomic uint64_t *rec, uint32_t n, uint32_t w);
/* Reset value range off to a new series' zero for family f
 * (mstore_layout.h, allocation; reused: it held a series of f's shape):
 * 0, or 1 if a live writer is inside its histogram section (a late
 * observation: take another range). */
MSTORE_INTERNAL int mstore_values_reset(struct mstore *st, const struct mstore_family_rec *f,
                                        uint32_t off, int reused);
/* 1 if a live writer is inside the histogram section of range off of a
 * series of family f (a late observation: its rooms cannot be listed
 * yet). */
MSTORE_INTERNAL int mstore_values_busy(struct mstore *st, const struct mstore_family_rec *f,
                                       uint32_t off);
/* Empty the exemplar records of range off of a removed series of family f
 * (taken, emptied, given back; a dead writer's lock taken over): 1 if a
 * live writer is inside one. */
MSTORE_INTERNAL int mstore_exemplars_empty(struct mstore *st, const struct mstore_family_rec *f,
                                           uint32_t off);

/* ---- mstore_proc.c ---- */
/* Update the process metrics (mstore_heartbeat()). */
MSTORE_INTERNAL int mstore_proc_update(struct mstore *st);
MSTORE_INTERNAL void mstore_proc_free(struct mstore *st);

#endif /* MSTORE_WRITER_H */
