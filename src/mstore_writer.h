/* SPDX-License-Identifier: MIT */
/*
 * mstore_writer.h - the writer's private structures and the functions its
 * source files share: mstore_writer.c (create, attach, close, writer
 * slots, fork, heartbeat and the upkeep after dead writers),
 * mstore_register.c (families, series, intents, the shared index),
 * mstore_update.c (the update paths: counter shards, the histogram
 * seqlock and its owner recovery, per-writer values) and mstore_proc.c
 * (process metrics).  The protocols are in mstore_layout.h.  Internal: the
 * library and its tests include it, nothing else.
 */
#ifndef MSTORE_WRITER_H
#define MSTORE_WRITER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "mstore_layout.h"

/* The type word of a per-writer series handle: never equal to a public
 * type, so the update fast paths' type check sends it to the slow path. */
#define MSTORE_T_PER_WRITER 0x100u
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
	double bounds[MSTORE_MAX_BUCKETS];
};

struct mstore_series {
	uint32_t type; /* first: checked on every update (| MSTORE_T_PER_WRITER) */
	uint32_t nbounds;
	_Atomic uint64_t *v;  /* first value slot, in the mapping */
	uint64_t shard_key;   /* the store uid << MSTORE_SHARD_KEY_BITS (mstore_update.c) */
	const double *bounds; /* the family's private copy */
	struct mstore *st;
	struct mstore_family *fam;
	uint64_t hash;
	uint32_t index; /* its record in the file */
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
	_Atomic uint32_t owned;   /* counter shards this process owns here */
	uint64_t uid;             /* unique among the process's handles, ever; > 0 */
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
	struct mstore_series **series; /* by series index */
	uint32_t *htab;                /* series index + 1, 0 = empty */
	size_t hmask;
	uint32_t fams_hi, series_hi; /* handles exist below these indexes */
	struct mstore_proc *proc;    /* NULL: no process metrics */
	struct mstore *next_open;    /* the process's open stores (fork, shards) */
};

/* ---- test hooks: points of the protocols where the tests kill a writer
 * (a function pointer, NULL outside the tests; only slow paths call it) */
enum mstore_step {
	MSTORE_STEP_FAMILY_FILLED,
	MSTORE_STEP_SERIES_FILLED,
	MSTORE_STEP_SERIES_PUBLISHED,
	MSTORE_STEP_SERIES_LINKED,
	MSTORE_STEP_CLAIM_RESET,
	MSTORE_STEP_CLEANUP_SWEPT,
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
/* Under the registration lock: finish or undo the intent left behind. */
MSTORE_INTERNAL void mstore_intent_recover(struct mstore *st);
MSTORE_INTERNAL void mstore_register_free(struct mstore *st);

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

/* ---- mstore_proc.c ---- */
/* Update the process metrics (mstore_heartbeat()). */
MSTORE_INTERNAL int mstore_proc_update(struct mstore *st);
MSTORE_INTERNAL void mstore_proc_free(struct mstore *st);

#endif /* MSTORE_WRITER_H */
