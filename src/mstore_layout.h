/* SPDX-License-Identifier: MIT */
/*
 * mstore_layout.h - the store file format (version 6.0) and the protocols
 * by which several writer processes and any number of reader processes
 * share it, plus the library's internal helpers.  Only the library and its
 * tests include this header; applications and the renderer use mstore.h.
 * Each concurrency argument is written here once, beside the data it
 * guards: writer slots and the lock handover before struct
 * mstore_writer_rec, registration and intents before struct
 * mstore_intent, publication before struct mstore_family_rec, counters
 * before MSTORE_COUNTER_SHARDS, histograms before MSTORE_HIST_FIXED_SLOTS,
 * per-writer values before MSTORE_PW_UNSET, the heartbeat and its clock
 * before struct mstore_clock_id.  doc/store-format.md describes the bytes
 * and points here.
 *
 * File layout (all integers in the writer's native byte order, checked by
 * the reader through MSTORE_BYTE_ORDER_MARK; every region starts on a
 * MSTORE_REGION_ALIGN boundary):
 *
 *   0                 struct mstore_hdr (MSTORE_HDR_SIZE bytes)
 *   writer_off        max_writers x struct mstore_writer_rec
 *   family_off        max_families x struct mstore_family_rec
 *   series_off        max_series x struct mstore_series_rec
 *   index_off         index_slots x struct mstore_index_ent (writers only)
 *   value_off         value_slots x _Atomic uint64_t (the only hot region)
 *   string_off        string_bytes bytes of NUL-terminated strings
 *   ...               zero padding up to file_size (a page multiple)
 *
 * Every field shared while the file is in use is a lock-free C11 atomic
 * (asserted below), or is written only under the registration lock and
 * read only by its holders (the intent and the index: mstore_intent), so
 * the protocols hold between processes.
 */
#ifndef MSTORE_LAYOUT_H
#define MSTORE_LAYOUT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mstore.h"

/* "MSTORE" then NUL and 0x1a (stops `type`, flags binary on text tools). */
#define MSTORE_MAGIC     "MSTORE\0\x1a"
#define MSTORE_MAGIC_LEN 8
/* Major: readers reject any other.  Minor: additions old readers ignore. */
/* 2: counters gained per-thread shards; 3: the heartbeat moved to
 * CLOCK_BOOTTIME with the writer's boot id and time-namespace offset;
 * 4: readers apply the naming rules (mstore_names.c); 5: several writer
 * processes (writer slots, the shared series index, shard owners and
 * histogram seqlock owners in the file, per-writer values); 6: the
 * writers' locks moved to the lock file PATH.lock at offsets from the
 * header's lock_nonce, and readers judge a seqlock owner by its slot */
#define MSTORE_VERSION_MAJOR 6u
#define MSTORE_VERSION_MINOR 0u
/* Written as a native u64; a reader of the other byte order sees it reversed. */
#define MSTORE_BYTE_ORDER_MARK UINT64_C(0x0102030405060708)

/* Cache-line size: regions start on it, so value slots share no line with metadata. */
#define MSTORE_REGION_ALIGN 64u
#define MSTORE_NONE         UINT32_MAX /* end of a series chain */

/*
 * Counters: MSTORE_COUNTER_SLOTS value slots per series,
 *   [MSTORE_COUNTER_SHARED]      u64: integral increments of threads
 *                                without a shard (atomic_fetch_add)
 *   [MSTORE_COUNTER_FRAC]        double bits: all other increments
 *                                (CAS loop, relaxed)
 *   [MSTORE_COUNTER_SHARD0 + k]  u64, k < MSTORE_COUNTER_SHARDS: integral
 *                                increments of the thread owning shard k
 * value = (double)(shared + the shards) + frac.  An increment is integral
 * when it is a whole number below 2^53 (exact as a double).
 *
 * Shards (why an increment needs no locked instruction): a relaxed
 * read-modify-write (lock xadd on x86-64) costs several ns even
 * uncontended; a plain store does not.  Shard k of every counter of a
 * store has one writer thread at a time, among all its writer processes:
 *   - Ownership.  shard_owner[k] in the header names the writer slot
 *     (+ 1; 0: free) of the process that owns shard k of this store; within
 *     a process, a process-wide bitmap of free shard numbers gives k to at
 *     most one thread (thread_shard in mstore_writer.c).  A thread's first
 *     counter update (the slow path) takes a k that is free in the bitmap
 *     and in the store (CAS on the bitmap, acquire), then shard_owner[k] by
 *     CAS from 0 to its slot + 1 (acquire), then sets bit k of the store
 *     handle's private owned mask.  The fast path adds with a relaxed load
 *     and a relaxed store while the thread holds k and bit k of owned is
 *     set.  Bit k is written only by the thread holding k (and by the fork
 *     handler, in the child's only thread), so that relaxed load reads the
 *     thread's own writes.  A thread whose k another process owns in some
 *     store adds to SHARED there (atomic_fetch_add) and tries the CAS again
 *     on its next update of that store.
 *   - Giving back.  At thread exit a thread-specific-data destructor, for
 *     every open store of the process where the thread owns k, clears bit
 *     k and CASes shard_owner[k] from its slot + 1 back to 0 (release), then
 *     returns k to the bitmap (release); mstore_close() gives back the
 *     store's shards the same way.  A dead process gives back nothing:
 *     cleanup of its writer slot (struct mstore_writer_rec) CASes every
 *     shard_owner[k] equal to its slot + 1 back to 0 (release) before the
 *     slot can be claimed again, so a reused slot never inherits a shard.
 *   - Why nothing is lost or counted twice.  The next owner's acquire CAS
 *     on shard_owner[k] (or on the bitmap, between threads of one process)
 *     reads the value written by the previous owner's release CAS, so
 *     every store the previous owner made to its shard slots happens-before
 *     the new owner's loads: it continues from the final values.  For a
 *     dead owner, the cleaner's release CAS follows its observation of the
 *     death through the kernel (the slot's lock, dropped when the process
 *     died: "the lock handover" before struct mstore_writer_rec), which
 *     orders the dead process's stores before the cleaner's CAS, hence
 *     before the next owner's loads.  An increment the dead process had
 *     loaded but not stored never happened (its call never returned).
 * In a child forked from a writer a fork handler empties every owned mask
 * and the thread's shard, and the child claims shards of its own under its
 * own writer slot: the parent's threads keep theirs.
 *
 * Why a reader's sum never decreases: every slot only grows in its
 * modification order.  A shard slot has one writer at a time, which stores
 * the slot's latest value plus a non-negative amount (a thread reads its
 * own latest store, a new owner the previous owner's, see above); SHARED
 * changes only by atomic adds of non-negative amounts; FRAC only by CAS
 * from old to old + d with d >= 0, and rounded IEEE addition of d >= 0
 * never gives less than old.  By read-read coherence, a load that happens
 * after an earlier load of the same slot returns the same or a later
 * value, hence one at least as large.  A later scrape therefore reads
 * every slot at least as large as an earlier one did, and u64 addition
 * (no wrap: 2^64 increments take centuries), the conversion to double and
 * the addition of FRAC are all monotonic, so the value it computes is
 * never smaller.  The loads are not one atomic reading; a counter does not
 * need one.
 *
 * Why 4 shards: the writers this library targets update counters from a
 * few threads at a time (a worker pool sized to the CPUs, or a few
 * single-threaded worker processes), and each shard
 * costs 8 bytes in every counter and one more load per counter on every
 * scrape.  With 4, a counter is 6 slots (48 bytes, at most two cache lines
 * for the reader).  Threads beyond the shard count stay correct, only
 * slower (one locked add per increment); a shard is reused only after its
 * thread or process exits, so long-lived threads keep theirs.  The shards of one
 * counter share a cache line (padding them apart would multiply the file
 * and the scrape's memory traffic), so threads that hit the same counter
 * at the same moment still move that line between cores, only without a
 * lock.  Changing the number changes the slot layout: a major version.
 */
#define MSTORE_COUNTER_SHARDS 4u
#define MSTORE_COUNTER_SHARED 0u
#define MSTORE_COUNTER_FRAC   1u
#define MSTORE_COUNTER_SHARD0 2u
#define MSTORE_COUNTER_SLOTS  (MSTORE_COUNTER_SHARD0 + MSTORE_COUNTER_SHARDS)

/* Gauges: one slot, the value's double bits; set is a relaxed store,
 * add/sub a relaxed CAS loop (a gauge's value carries no other data). */
#define MSTORE_GAUGE_SLOTS 1u

/*
 * Histograms: B + MSTORE_HIST_FIXED_SLOTS slots for B finite bounds,
 *   [MSTORE_HIST_SEQ]            u64 sequence word: bit 0 set while a
 *                                writer is inside (MSTORE_SEQ_LOCKED),
 *                                bits 1..16 that writer's slot, bits 17..
 *                                the completed sections (MSTORE_SEQ_ONE)
 *   [MSTORE_HIST_COUNT]          u64 observations
 *   [MSTORE_HIST_SUM]            double bits, their sum
 *   [MSTORE_HIST_BUCKET0 + i]    u64, i <= B: observations in bucket i, NOT
 *                                cumulative; i = B is the +Inf bucket
 *
 * Seqlock (one per series; writer threads of any writer process, any
 * number of reader processes that never write):
 *   Writer: CAS seq from a free value u (bit 0 clear, owner bits 0) to
 *     u | tag, tag = slot << 1 | 1 (acquire: pairs with the previous
 *     writer's release, so we continue from its values; spin
 *     MSTORE_SEQLOCK_SPINS times, then sched_yield, while seq is locked);
 *     atomic_thread_fence(release), so that no data store below can become
 *     visible before the locked seq; update count, sum and the bucket with
 *     relaxed loads and stores (we hold the lock); store seq =
 *     u + MSTORE_SEQ_ONE with release.
 *   Reader: s1 = load seq (acquire), retry while locked; copy count, sum
 *     and buckets with relaxed loads; atomic_thread_fence(acquire); s2 =
 *     load seq (relaxed).  If s1 != s2 a writer was inside: retry.
 * Why a torn copy is always detected: if any relaxed load in the copy read
 * a value stored inside a critical section that began after s1 was
 * published, then the writer's release fence (after its locked store) and
 * the reader's acquire fence (after that load) synchronise, so the locked
 * seq store happens-before the reload and s2 != s1.  If the copy read only
 * values of sections that ended at or before s1, the acquire load of s1
 * synchronised with their final release store and the copy is exactly the
 * state at s1.  Relaxed atomics make a torn read wrong, not undefined; the
 * check above discards it.  A seq-stable copy whose buckets do not add up
 * to count cannot come from a correct writer: MSTORE_E_CORRUPT.
 *
 * A writer killed inside (the owner recovery).  A writer process that dies
 * inside a section leaves seq locked for good, and its owner bits say
 * whose it was.  A writer that has yielded MSTORE_SEQLOCK_RECOVER_YIELDS
 * times on one locked value asks the kernel (F_OFD_GETLK on the lock
 * file) whether the owner slot's lock is held; a live owner always holds
 * it, so if it is not, the owner is dead and writes nothing more.  The writer then takes the
 * section over by CAS from exactly that value to itself (a later section,
 * or another recoverer, has a different value: the count only grows), sets
 * count to the sum of the buckets, leaves sum as found, and releases with
 * one more completed section.  The observation cut short is then either
 * wholly in its bucket and count or in neither, while sum may include or
 * miss it: _sum can be off by at most that one observation.  The lock
 * handover (before struct mstore_writer_rec) makes the dead writer's
 * stores visible to the recoverer.  Cleanup of a dead writer slot
 * recovers every histogram still locked by it the same way before the
 * slot can be claimed again: a reused slot never inherits a locked seq.
 * The reader never writes and cannot open the lock file: finding seq
 * locked after its spin phase (MSTORE_SNAPSHOT_SPINS tries, and then every
 * MSTORE_SNAPSHOT_OWNER_EVERY), it reads the owner's writer slot, and
 * treats the owner as gone when the slot is not LIVE (or being claimed)
 * or its heartbeat is stale (MSTORE_STALE_TICKS of its ticks; a static
 * store: not LIVE only).  It then reads the section as a writer would
 * recover it: s1 (locked), the buckets and sum, the fence, s2 == s1 (no
 * recoverer or new writer came in between), count = the sum of the
 * buckets.  That is safe even when the owner is in fact alive (stopped,
 * or with a late heartbeat): it writes nothing, every bucket only grows
 * and a section adds one to one bucket, so the count it shows is the
 * count of the observations whose bucket is done, never more than a
 * later completed section shows and never less than an earlier one; only
 * _sum may miss that one observation.  So a writer killed inside observe
 * costs a scrape some spins per such series until its heartbeat is stale
 * (or another writer recovers it), never a failed scrape.
 *
 * Retries: a writer holds the lock for a few tens of ns, so a few
 * immediate retries are normal under contention (MSTORE_SNAPSHOT_SPINS).
 * A writer thread preempted inside the section keeps seq locked for a
 * scheduler slice, so the reader then yields (up to MSTORE_SNAPSHOT_YIELDS
 * tries) and finally sleeps MSTORE_SNAPSHOT_BACKOFF_NS per try.  After
 * MSTORE_SNAPSHOT_RETRIES tries it fails with MSTORE_E_RETRY rather than
 * return a torn reading (about 1000 x 70 us = 70 ms for a series whose
 * live writer is stopped inside, e.g. by SIGSTOP).
 */
#define MSTORE_HIST_FIXED_SLOTS    4u /* seq, count, sum, +Inf bucket */
#define MSTORE_HIST_SEQ            0u
#define MSTORE_HIST_COUNT          1u
#define MSTORE_HIST_SUM            2u
#define MSTORE_HIST_BUCKET0        3u
#define MSTORE_SNAPSHOT_RETRIES    1000u
#define MSTORE_SNAPSHOT_SPINS      64u
#define MSTORE_SNAPSHOT_YIELDS     256u
#define MSTORE_SNAPSHOT_BACKOFF_NS 20000L
/* After its spin phase the reader asks whether a locked seq's owner is
 * alive at this try and every this many tries after it. */
#define MSTORE_SNAPSHOT_OWNER_EVERY 64u
/* Writer spins this many times on a locked seq before each sched_yield,
 * and asks whether its owner is alive after this many yields on one value
 * (a preempted live owner comes back within a scheduler slice or two). */
#define MSTORE_SEQLOCK_SPINS          128u
#define MSTORE_SEQLOCK_RECOVER_YIELDS 64u
/* The sequence word (above). */
#define MSTORE_SEQ_LOCKED      UINT64_C(1)
#define MSTORE_SEQ_OWNER_SHIFT 1u
#define MSTORE_SEQ_OWNER_MASK  UINT64_C(0xffff)
#define MSTORE_SEQ_ONE         (UINT64_C(1) << 17)
_Static_assert(MSTORE_MAX_WRITERS <= MSTORE_SEQ_OWNER_MASK + 1, "a slot fits the owner bits");

/* Capacity limits accepted by mstore_create() (keep files and u32 offsets sane). */
#define MSTORE_CAP_FAMILIES_MAX (UINT32_C(1) << 16)
#define MSTORE_CAP_SERIES_MAX   (UINT32_C(1) << 22)
#define MSTORE_CAP_SLOTS_MAX    (UINT32_C(1) << 28)
#define MSTORE_CAP_STRINGS_MAX  (UINT32_C(1) << 30)
/* Defaults (mstore.h). */
#define MSTORE_DEF_FAMILIES 256u
#define MSTORE_DEF_SERIES   4096u
/* Enough for a store of counters only (MSTORE_COUNTER_SLOTS each) with
 * room to spare for small histograms. */
#define MSTORE_DEF_SLOTS_PER_SERIES 8u
#define MSTORE_DEF_STRINGS          (256u * 1024u)
#define MSTORE_DEF_MODE             0666
#define MSTORE_DEF_WRITERS          1u
#define MSTORE_DEF_TICK_MS          1000u
#define MSTORE_NS_PER_MS            (MSTORE_NS_PER_SEC / 1000)

/* A string in the string region: offset from string_off, length without
 * the NUL that must follow it.  Offset 0 holds the shared empty string. */
struct mstore_str {
	uint32_t off;
	uint32_t len;
};

/*
 * Liveness: the heartbeat and its clock.
 *
 * Which clock.  The writer stamps CLOCK_BOOTTIME, not the wall clock
 * (CLOCK_REALTIME).  The wall clock steps: when NTP first syncs at boot
 * (hours or years on a machine without a battery-backed clock), by hand,
 * or by a misbehaving time daemon; a heartbeat compared across a step
 * makes a live writer look dead (forward) or hides a dead one for as long
 * as the step (backward), and gives negative ages.  CLOCK_BOOTTIME never
 * steps (settimeofday, NTP and a faked wall clock leave it alone), is one
 * clock for every process of one boot of the kernel, containers included,
 * and counts time spent in suspend: a writer frozen through a suspend
 * really missed its ticks, which CLOCK_MONOTONIC would hide.  Wall-clock
 * time stays where people and Prometheus need it: start_time_ns.
 *
 * What it cannot compare, and how the reader copes:
 *   - another boot: a store on a persistent volume read after a reboot,
 *     or written on another host, carries a CLOCK_BOOTTIME of a clock that
 *     no longer runs.  The writer records its boot id
 *     (/proc/sys/kernel/random/boot_id, 16 bytes); a reader whose boot id
 *     differs does not compare times at all: MSTORE_WRITER_OTHER_BOOT, not
 *     alive.  When either side could not read its boot id (all zeros),
 *     this check is skipped.
 *   - time namespaces (Linux 5.6+) add a per-namespace offset to
 *     CLOCK_BOOTTIME.  Each process reads its own once
 *     (/proc/self/timens_offsets, line "boottime SEC NSEC"; absent or
 *     unreadable: 0); the writer records its offset beside the heartbeat,
 *     and the reader compares heartbeat - writer offset with now - its own
 *     offset: both are the boot's CLOCK_BOOTTIME outside any namespace.
 *   - a heartbeat ahead of the reader: the reader loads the heartbeat
 *     before it reads its clock, and CLOCK_BOOTTIME is one clock for the
 *     whole boot, so an honest heartbeat of this boot is never ahead.  Up
 *     to MSTORE_FUTURE_SLACK_NS ahead counts as age 0 (room for a writer in
 *     another language that stamps a rounded value; a fixed second, not a
 *     tick, so a writer with a long tick gets no more room to be wrong);
 *     further ahead is MSTORE_WRITER_FUTURE: a clock problem (a faked or
 *     misread clock, an offset not recorded), reported, never proof of
 *     life.  No age is ever negative.
 * The verdict is mstore_beat_judge(), a pure function of the writer's and
 * the reader's clock identity and times.  Each writer process stamps its
 * own heartbeat, in its writer slot (struct mstore_writer_rec), beside its
 * clock identity; the store counts as alive while one live writer's
 * heartbeat is within the limit (mstore_reader_liveness()).
 *
 * Memory order: heartbeat_ns is stored with release and loaded with
 * acquire.  It has no ordering duty of its own; release/acquire only
 * keeps it from appearing before the slot it belongs to.  The clock
 * identity is written when a process claims the slot, inside the slot's
 * generation guard (writer slots, below), so a reader copies an identity
 * and a heartbeat of one and the same process.
 */
#define MSTORE_BOOT_ID_LEN 16u
/* Bound of every CLOCK_BOOTTIME value and time-namespace offset a kernel
 * gives (it keeps each namespace's clocks within KTIME_MAX / 2, about 146
 * years); a recorded value beyond it is MSTORE_E_CORRUPT, and the bound
 * keeps the reader's arithmetic from overflowing. */
#define MSTORE_CLOCK_MAX_NS (INT64_MAX / 2)

/* Whose CLOCK_BOOTTIME a time is: one process's boot and time namespace. */
struct mstore_clock_id {
	unsigned char boot_id[MSTORE_BOOT_ID_LEN]; /* all zero: unknown */
	int64_t boottime_offset_ns;                /* the time namespace's CLOCK_BOOTTIME offset */
};

/*
 * Writer slots: identity and liveness of each writer process.
 *
 * Each writer process has a writer slot, one struct mstore_writer_rec in
 * the writer region, claimed when it creates or attaches to the store (in
 * a child forked from a writer: on its first operation that needs an
 * identity) and given back by mstore_close().  max_writers bounds how many
 * processes write at once, not how many ever did: the slots of writers
 * that exited or died are reused, so neither the file nor a scrape grows
 * with restarts.
 *
 * Liveness truth is an OFD lock (fcntl F_OFD_SETLK, Linux >= 3.15): a
 * writer holds a write lock on its slot's byte (mstore_slot_lock_off())
 * of the lock file through an open file description of its own.  The
 * kernel drops it when the last reference to that description goes: when
 * the process closes the store, exits or is killed (SIGKILL, OOM), across
 * PID namespaces and containers alike, and no reused pid can fool it.
 * The lock file is PATH.lock beside the store (created by the first
 * writer, removed by nothing), never mapped (a mapping holds a reference
 * to its description, in every forked child too), and only writers can
 * open it: its mode gives the store's write permissions as read and write
 * (0640 -> 0600, 0660 -> 0660, lock_mode() in mstore_writer.c), so a
 * process that may only read the store cannot take or hold a lock that
 * stalls the writers (any descriptor may take a read lock).  Every writer
 * handle opens the lock file itself (O_CLOEXEC); in a forked child the
 * fork handler gives each store handle a description of its own
 * (/proc/self/fd/N reopened) and closes the inherited descriptor, so a
 * child never keeps its parent's locks alive (which would make a dead
 * parent look alive, and its locked histograms unrecoverable).  That is a
 * reopen and a close per store per fork(); the slot claim itself waits for
 * the child's first operation that needs it, so a fork that only execs
 * pays no more.
 * Several stores, one lock file: mstore_create() replacing a store
 * (rename over PATH) while old writers still use the old one keeps
 * PATH.lock, and the old writers keep their locks in it.  Each store's
 * locks lie at offsets from a random 64-bit lock_nonce in its header
 * (mstore_lock_base(): one of 2^40 windows of MSTORE_LOCK_SPAN bytes), so
 * the locks of an old and a new store collide with probability 2^-40.
 *
 * Claim (under the registration lock, struct mstore_intent): for each
 * slot, a non-blocking F_OFD_SETLK on its byte; success proves that no live
 * process holds it.  A slot not FREE was left by a dead process: clean it
 * up first.  Then gen to an odd value and a release fence; the identity
 * (pid, start time, tick interval, clock identity, first heartbeat) and
 * the slot's per-writer values reset to MSTORE_PW_UNSET with relaxed
 * stores; state LIVE; gen to the next even value with release.
 * Cleanup of slot D (under the registration lock, holding D's byte lock:
 * D's owner is dead and nobody else cleans D meanwhile): recover every
 * histogram seq locked by D, CAS every shard_owner[k] == D + 1 to 0
 * (release), reset D's per-writer values, then state FREE (release), and
 * count what was recovered in the header.  Every step is idempotent and the
 * state changes last, so a cleaner killed midway leaves D to the next
 * one.  Cleanup runs at claim, and in mstore_heartbeat() for LIVE slots
 * whose heartbeat is older than MSTORE_SUSPECT_TICKS of their ticks and
 * whose byte lock F_OFD_GETLK finds free (a live writer's heartbeat is up
 * to a tick old plus its scheduling delay: one tick made live writers
 * suspects, and cost a system call, all the time).
 * Release (mstore_close()): shards given back, state FREE (release), then
 * the lock file's descriptor closed, which drops the lock.  The identity and the last
 * heartbeat stay, so readers can still tell the age of the last heartbeat.
 *
 * Reader: copies a slot's fields between two loads of gen, an acquire load
 * before and a relaxed one after an acquire fence (the histogram seqlock's
 * argument, with the claim as the writer's section): gen odd or changed
 * means a claim was rewriting the identity; after a few tries the slot
 * counts as not live.  A writer counts as live while its slot is LIVE and
 * its heartbeat younger than the limit (in a static store: while LIVE);
 * no system call per slot per scrape.  So a dead writer's slot stays live
 * to readers until its heartbeat is stale or another writer cleans it up.
 *
 * The lock handover.  Cleanup, owner recovery and intents rely on it: when
 * a process acquires an OFD lock, or finds it free (fcntl), every store
 * that the lock's previous holder made before releasing it (by fcntl, by
 * closing its descriptor, or by dying) is visible to the loads the process
 * makes after its fcntl returns.  The kernel keeps its lock lists under a
 * spinlock, whose release and acquire order memory on every architecture
 * Linux runs on; the holder's stores precede its release (a system call,
 * opaque to the compiler; a dead process stopped running before the kernel
 * released its locks at exit), and our loads follow our fcntl.  C11 cannot
 * name this edge; it is the kernel's, and the only one the writers use
 * besides atomics.
 */
#define MSTORE_SLOT_FREE     0u
#define MSTORE_SLOT_LIVE     1u
#define MSTORE_SUSPECT_TICKS 2 /* upkeep: a LIVE slot's heartbeat this late */
/* The lock file: PATH + MSTORE_LOCK_SUFFIX.  A store's locks lie in a
 * window of MSTORE_LOCK_SPAN bytes at mstore_lock_base(lock_nonce): the
 * registration lock (struct mstore_intent) at its first byte, writer slot
 * w's at byte 1 + w. */
#define MSTORE_LOCK_SUFFIX   ".lock"
#define MSTORE_LOCK_REGISTRY 0u
#define MSTORE_LOCK_SPAN     2048u
#define MSTORE_LOCK_WINDOWS  (UINT64_C(1) << 40)
_Static_assert(MSTORE_MAX_WRITERS + 1 <= MSTORE_LOCK_SPAN, "a store's locks fit its window");

struct mstore_writer_rec {
	_Atomic uint32_t state;           /* MSTORE_SLOT_FREE or MSTORE_SLOT_LIVE */
	_Atomic uint32_t gen;             /* odd while a claim rewrites it; 0: never claimed */
	_Atomic int64_t pid;              /* informational only (PID namespaces) */
	_Atomic int64_t start_time_ns;    /* CLOCK_REALTIME at claim */
	_Atomic int64_t tick_interval_ns; /* the writer's heartbeat interval, > 0 */
	/* the writer's struct mstore_clock_id */
	_Atomic uint64_t boot_id[MSTORE_BOOT_ID_LEN / 8];
	_Atomic int64_t boottime_offset_ns;
	_Atomic int64_t heartbeat_ns; /* CLOCK_BOOTTIME of the last heartbeat */
};

/*
 * Registration from several processes.
 *
 * Every change to the file's structure (a family or series registered, a
 * slot claimed or cleaned up) is made under the registration lock: the
 * handle's pthread mutex (threads of one process), then a blocking
 * F_OFD_SETLKW write lock on byte MSTORE_LOCK_REGISTRY of the store's
 * window in the lock file (processes).  The
 * kernel releases the lock of a holder that dies, so the store never
 * wedges; but the holder may have died halfway.  So each registration is a
 * short sequence of idempotent steps, described beforehand by the intent
 * record in the header:
 *
 *   family at index i = families: intent {FAMILY, i, strings_used}
 *     1. strings and record i filled        (unreachable: i >= families)
 *     2. strings_used, then families = i + 1 (release): published
 *   series at index i = series, of family f: intent {SERIES, i, f,
 *   strings_used, values_used}
 *     1. strings, record i and its value slots initialised (unreachable)
 *     2. values_used, strings_used, then series = i + 1 (release): published
 *     3. linked at the end of f's chain: the predecessor's next (or f's
 *        first_series) = i (release), then f's last_series = i
 *     4. entered into the shared index (struct mstore_index_ent)
 *   then the intent is cleared.
 *
 * The next holder of the lock (the lock handover makes the dead holder's
 * stores visible to it) finds the intent left behind and, before its own
 * work: if the record was not published (families or series <= i), rolls
 * back by restoring strings_used and values_used (the record and its slots
 * are unreachable garbage, overwritten by the next registration); if it
 * was, rolls forward by redoing steps 3 and 4, each of which first checks
 * whether it was done (f's last_series == i; i in the index).  It counts
 * the recovery in the header either way.  mstore_heartbeat() does the same
 * when it finds an intent and the lock free, so a series published but not
 * yet linked becomes visible within a tick even if nobody registers.  The
 * reader never reads the intent, and what it sees at every step is valid:
 * nothing at or past the published counts; a published series not yet
 * linked is simply not reached by a walk; chains stay strictly increasing,
 * because a series is linked (by its registration or by the roll-forward)
 * before the next one is added.
 *
 * Same definition, same family: registration looks the name up among all
 * published families, whoever registered them; one with the same type,
 * name, help, unit, label names, bounds and per-writer mode is returned,
 * another with that name is MSTORE_E_CONFLICT, and one whose names clash
 * (mstore_names_clash()) is MSTORE_E_DUPLICATE.  Same label values, same
 * series: found through the shared index.
 */
#define MSTORE_INTENT_NONE   0u
#define MSTORE_INTENT_FAMILY 1u
#define MSTORE_INTENT_SERIES 2u

struct mstore_intent {
	_Atomic uint32_t op; /* MSTORE_INTENT_*; peeked at without the lock */
	uint32_t index;      /* the record being added */
	uint32_t family;     /* SERIES: its family */
	uint32_t strings_before;
	uint32_t values_before;
	uint32_t reserved[11];
};

/*
 * The shared series index: open addressing over index_slots entries (a
 * power of two, at least twice max_series), keyed by the series hash
 * (family and label values: series_hash() in mstore_register.c), linear
 * probing.  Written only under the registration lock (step 4 above): the
 * hash with a relaxed store, then the series number + 1 with release;
 * entries never go back to empty.  A writer first looks a series up
 * without the lock (acquire load of the entry, then the record's labels,
 * published before the entry was written); a miss takes the lock and looks
 * again.  Readers ignore the index.
 */
struct mstore_index_ent {
	_Atomic uint32_t series; /* series index + 1; 0: empty */
	_Atomic uint32_t hash;   /* low 32 bits of the series hash */
};

/*
 * Per-writer values: a family registered with a per-writer mode (enum
 * mstore_per_writer) has max_writers value slots per series, one per writer
 * slot: the double bits of that writer's value.  Only the process holding
 * writer slot w writes slot w of any series (set: a relaxed store; add: a
 * relaxed CAS loop among its threads); MSTORE_PW_UNSET means "this writer
 * has not set it".  A new series starts with every slot unset; claim and
 * cleanup reset the slot's values to unset before the slot turns LIVE
 * (claim: before the release store of an even gen) or FREE.  The reader
 * combines, per series, the values of the writers it counted as live at
 * its last refresh and skips unset ones (none left: the series is
 * omitted).  Because a claim resets the values before its release of gen,
 * and the reader acquired gen before counting the slot live, a reader
 * never shows a dead process's value as its successor's; it may show a
 * writer that died or closed after that refresh for the rest of the
 * scrape.  MSTORE_PW_UNSET is a signalling NaN that no arithmetic
 * produces; a set of exactly its bits stores the quiet NaN instead.
 */
#define MSTORE_PW_UNSET     UINT64_C(0x7ff00000dead0001)
#define MSTORE_PW_QUIET_NAN UINT64_C(0x7ff8000000000000)

/* Recovery counters in the header: room for this many kinds. */
#define MSTORE_RECOVERY_ROOM 8u
_Static_assert(MSTORE_RECOVERY_KINDS <= MSTORE_RECOVERY_ROOM, "recovery counters fit");

/* The file header.  Bytes 0..191 are written once before the rename;
 * the rest holds the fields that change afterwards, one cache line each. */
struct mstore_hdr {
	unsigned char magic[MSTORE_MAGIC_LEN];
	uint32_t version_major;
	uint32_t version_minor;
	uint64_t byte_order;      /* MSTORE_BYTE_ORDER_MARK */
	uint32_t header_size;     /* sizeof(struct mstore_hdr) */
	uint32_t family_rec_size; /* sizeof(struct mstore_family_rec) */
	uint32_t series_rec_size; /* sizeof(struct mstore_series_rec) */
	uint32_t slot_size;       /* sizeof(_Atomic uint64_t) == sizeof(double) */
	uint64_t file_size;       /* bytes; the file is never shrunk */
	uint32_t flags;           /* MSTORE_F_* */
	uint32_t max_writers;     /* writer slots, 1..MSTORE_MAX_WRITERS */
	int64_t creator_pid;      /* the process that created the file */
	int64_t start_time_ns;    /* CLOCK_REALTIME at creation */
	int64_t tick_interval_ns; /* the creator's heartbeat interval, > 0 */
	uint64_t family_off;      /* region offsets from file start */
	uint64_t series_off;
	uint64_t value_off;
	uint64_t string_off;
	uint32_t max_families; /* region capacities */
	uint32_t max_series;
	uint32_t value_slots;
	uint32_t string_bytes;
	/* ---- cache line 2: immutable too ---- */
	uint64_t writer_off;
	uint64_t index_off;
	uint32_t writer_rec_size; /* sizeof(struct mstore_writer_rec) */
	uint32_t index_slots;     /* a power of two >= 2 * max_series */
	uint64_t lock_nonce;      /* random: where its locks lie in the lock file */
	unsigned char reserved0[32];
	/* ---- cache line 3: the published counts (publication, below) ---- */
	_Atomic uint32_t families;     /* published family records */
	_Atomic uint32_t series;       /* published series records */
	_Atomic uint32_t values_used;  /* value slots handed out */
	_Atomic uint32_t strings_used; /* string bytes handed out */
	unsigned char reserved1[48];
	/* ---- cache line 4: counter shard owners (counters, above) ---- */
	_Atomic uint32_t shard_owner[MSTORE_COUNTER_SHARDS]; /* writer slot + 1; 0: free */
	unsigned char reserved2[64 - 4 * MSTORE_COUNTER_SHARDS];
	/* ---- cache line 5: what writers recovered from dead writers ---- */
	_Atomic uint64_t recoveries[MSTORE_RECOVERY_ROOM]; /* enum mstore_recovery */
	/* ---- cache line 6: the intent (registration, above) ---- */
	struct mstore_intent intent;
	unsigned char reserved3[64];
};

/*
 * Publication of families and series (append-only; registration is
 * serialised by the registration lock and made of steps, above):
 *   1. The writer copies the strings into the string region, initialises
 *      the value slots and fills the record completely with plain stores;
 *      the file regions it writes are not reachable from anything
 *      published.
 *   2. It stores values_used and strings_used (relaxed), then the new
 *      families or series count in the header with a release store.
 *   3. For a series: it links the series at the end of its family's chain
 *      with a release store into the predecessor's next (or into the
 *      family's first_series).
 * A reader loads series, then families, with acquire and reads only
 * records below those counts, so every byte of such a record (and of the
 * strings and slots it points to) happens-before the reader's reads: a
 * half-registered family or series is never visible.  Loading series
 * first matters: a series below the acquired series count had its family
 * published before it, hence below the family count loaded after it.
 *
 * Series of one family form a singly linked chain in registration order:
 * family.first_series, then series.next, MSTORE_NONE at the end.  A link a
 * reader loads (acquire) may name a series at or above the count it
 * acquired earlier: it treats that as the end of the chain.  Because
 * series are appended and linked in order, a valid chain is strictly
 * increasing; the reader rejects next <= current as MSTORE_E_CORRUPT,
 * which also makes a cycle impossible to follow and bounds every walk by
 * the series count.
 */

/* One family.  Immutable once published, except first_series and
 * last_series. */
struct mstore_family_rec {
	uint32_t type;    /* enum mstore_type */
	uint32_t nlabels; /* <= MSTORE_MAX_LABELS */
	uint32_t nbounds; /* histograms: <= MSTORE_MAX_BUCKETS; else 0 */
	uint32_t nslots;  /* value slots per series (mstore_family_slots()) */
	struct mstore_str name;
	struct mstore_str help; /* len 0: no help */
	struct mstore_str unit; /* len 0: no unit */
	struct mstore_str label[MSTORE_MAX_LABELS];
	_Atomic uint32_t first_series; /* MSTORE_NONE while the family has none */
	uint32_t per_writer;           /* enum mstore_per_writer */
	/* The chain's last series, MSTORE_NONE while none: where the next one
	 * is linked (writers only, under the registration lock). */
	uint32_t last_series;
	uint32_t reserved[3];
	double bounds[MSTORE_MAX_BUCKETS]; /* finite, strictly increasing */
};

/* One series.  Immutable once published, except next. */
struct mstore_series_rec {
	uint32_t family;       /* index of its family record */
	uint32_t value_off;    /* first value slot (index into the value region) */
	_Atomic uint32_t next; /* next series of the family, or MSTORE_NONE */
	uint32_t reserved;
	struct mstore_str label[MSTORE_MAX_LABELS]; /* family's nlabels are used */
};

#define MSTORE_HDR_SIZE        512u
#define MSTORE_WRITER_REC_SIZE 64u
#define MSTORE_INDEX_ENT_SIZE  8u
#define MSTORE_FAMILY_REC_SIZE 704u
#define MSTORE_SERIES_REC_SIZE 144u
#define MSTORE_SLOT_SIZE       8u

_Static_assert(sizeof(struct mstore_hdr) == MSTORE_HDR_SIZE, "header size");
_Static_assert(offsetof(struct mstore_hdr, writer_off) == 128, "header layout");
_Static_assert(offsetof(struct mstore_hdr, families) == 192, "published counts start line 3");
_Static_assert(offsetof(struct mstore_hdr, shard_owner) == 256, "shard owners start line 4");
_Static_assert(offsetof(struct mstore_hdr, recoveries) == 320, "recoveries start line 5");
_Static_assert(offsetof(struct mstore_hdr, intent) == 384, "the intent starts line 6");
_Static_assert(sizeof(struct mstore_intent) == 64, "intent size");
_Static_assert(MSTORE_HDR_SIZE % MSTORE_REGION_ALIGN == 0, "header alignment");
_Static_assert(offsetof(struct mstore_hdr, string_bytes) == 124, "header layout");
_Static_assert(sizeof(struct mstore_clock_id) == 24, "clock identity layout");
_Static_assert(sizeof(struct mstore_writer_rec) == MSTORE_WRITER_REC_SIZE &&
                       offsetof(struct mstore_writer_rec, boot_id) == 32 &&
                       offsetof(struct mstore_writer_rec, heartbeat_ns) == 56,
               "writer record layout");
_Static_assert(sizeof(struct mstore_index_ent) == MSTORE_INDEX_ENT_SIZE, "index entry size");
_Static_assert(sizeof(struct mstore_family_rec) == MSTORE_FAMILY_REC_SIZE, "family record size");
_Static_assert(offsetof(struct mstore_family_rec, first_series) == 168 &&
                       offsetof(struct mstore_family_rec, per_writer) == 172 &&
                       offsetof(struct mstore_family_rec, last_series) == 176,
               "family layout");
_Static_assert(offsetof(struct mstore_family_rec, bounds) == 192, "family layout");
_Static_assert(sizeof(struct mstore_series_rec) == MSTORE_SERIES_REC_SIZE, "series record size");
_Static_assert(offsetof(struct mstore_series_rec, label) == 16, "series layout");
_Static_assert(sizeof(_Atomic uint64_t) == MSTORE_SLOT_SIZE, "slot size");
_Static_assert(_Alignof(_Atomic uint64_t) == MSTORE_SLOT_SIZE, "slot alignment");
_Static_assert(sizeof(double) == MSTORE_SLOT_SIZE, "double fits a slot");
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free in shared memory");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "32-bit atomics must be lock-free in shared memory");
_Static_assert(sizeof(struct mstore_str) == 8, "string reference size");

/* Doubles live in value slots as their IEEE-754 bit pattern. */
static inline double
bits_to_double(uint64_t b)
{
	double d;

	memcpy(&d, &b, sizeof(d));
	return d;
}

static inline uint64_t
double_to_bits(double d)
{
	uint64_t b;

	memcpy(&b, &d, sizeof(b));
	return b;
}

/* Value slots a shared series of this shape needs (0 for an unknown type
 * or too many bounds).  Inline: the reader calls it for every series. */
static inline uint32_t
mstore_slots_for(uint32_t type, uint32_t nbounds)
{
	switch (type) {
	case MSTORE_COUNTER:
		return MSTORE_COUNTER_SLOTS;
	case MSTORE_GAUGE:
		return MSTORE_GAUGE_SLOTS;
	case MSTORE_HISTOGRAM:
		return nbounds <= MSTORE_MAX_BUCKETS ? nbounds + MSTORE_HIST_FIXED_SLOTS : 0;
	default:
		return 0;
	}
}

/* 1 if a family of this type may have this per-writer mode: gauges any
 * mode; counters MSTORE_PER_WRITER_ALL (a sum, max or min over the live
 * writers falls when one exits, which Prometheus would read as a counter
 * reset); histograms shared only. */
static inline int
mstore_per_writer_ok(uint32_t type, uint32_t mode)
{
	if (mode == MSTORE_SHARED)
		return 1;
	if (mode > MSTORE_PER_WRITER_ALL)
		return 0;
	if (type == MSTORE_GAUGE)
		return 1;
	return type == MSTORE_COUNTER && mode == MSTORE_PER_WRITER_ALL;
}

/* Value slots per series of a family: mstore_slots_for(), or one per
 * writer slot for a per-writer family (0: an invalid shape or mode). */
static inline uint32_t
mstore_family_slots(uint32_t type, uint32_t nbounds, uint32_t mode, uint32_t max_writers)
{
	if (!mstore_per_writer_ok(type, mode) || (type != MSTORE_HISTOGRAM && nbounds != 0))
		return 0;
	return mode == MSTORE_SHARED ? mstore_slots_for(type, nbounds) : max_writers;
}

/* Lock file offset of a store's lock window (writer slots, above). */
static inline uint64_t
mstore_lock_base(uint64_t lock_nonce)
{
	return (lock_nonce % MSTORE_LOCK_WINDOWS) * MSTORE_LOCK_SPAN;
}

/* Lock file offset of writer slot w's lock byte. */
static inline uint64_t
mstore_slot_lock_off(uint64_t lock_base, uint32_t w)
{
	return lock_base + 1u + w;
}

/* ---- internal helpers (mstore_common.c), not exported ---- */
#define MSTORE_INTERNAL __attribute__((visibility("hidden")))

/* Set errno for code and return code (for "return mstore_fail(E_X);"). */
MSTORE_INTERNAL int mstore_fail(int code);
/* 1 if s[0..len) is valid UTF-8 (no overlongs, no surrogates, nothing
 * above U+10FFFF) without NUL bytes: the rule for help and label values. */
MSTORE_INTERNAL int mstore_valid_text(const char *s, size_t len);
/* 1 if bounds are finite and strictly increasing. */
MSTORE_INTERNAL int mstore_valid_bounds(const double *bounds, size_t n);
/* Round v up to a multiple of align (a power of two). */
MSTORE_INTERNAL uint64_t mstore_align_up(uint64_t v, uint64_t align);

/* ---- the naming rules (mstore_names.c), not exported ---- */
/* 1 if unit is [a-zA-Z0-9_]+ (len > 0). */
MSTORE_INTERNAL int mstore_valid_unit(const char *unit, size_t len);
/* 1 if name ends in "_<unit>" (a counter's name without its "_total",
 * mstore_names.h). */
MSTORE_INTERNAL int mstore_unit_suffix_ok(uint32_t type, const char *name, size_t name_len,
                                          const char *unit, size_t unit_len);
/* 0 if s[0..len) may name a family of type type, else the MSTORE_E_* code
 * of the first rule it breaks (mstore(3), NAMING RULES). */
MSTORE_INTERNAL int mstore_name_check(uint32_t type, const char *s, size_t len);
/* 0 if s[0..len) may name a label, else the code of the rule it breaks. */
MSTORE_INTERNAL int mstore_label_check(const char *s, size_t len);
/* 1 if families (ta, a[0..alen)) and (tb, b[0..blen)) occupy a common name
 * (mstore_name_occupied), so that no body could hold both; a pure function
 * of the two, for every pair of families a store may hold. */
MSTORE_INTERNAL int mstore_names_clash(uint32_t ta, const char *a, size_t alen, uint32_t tb,
                                       const char *b, size_t blen);

/* ---- the heartbeat's clock (mstore_clock.c; liveness, above) ---- */
/* Current CLOCK_REALTIME in ns, or -1 with errno set. */
MSTORE_INTERNAL int64_t mstore_now_ns(void);
/* This process's clock identity: boot id and time-namespace offset, read
 * from /proc once per process (zeros where unreadable).  Never NULL. */
MSTORE_INTERNAL const struct mstore_clock_id *mstore_clock_self(void);
/* The text of /proc/sys/kernel/random/boot_id (a UUID, hyphens anywhere)
 * as 16 bytes in id: 0, or -1 with id untouched. */
MSTORE_INTERNAL int mstore_clock_parse_boot_id(const char *text, unsigned char *id);
/* The CLOCK_BOOTTIME offset in the text of /proc/self/timens_offsets
 * (line "boottime SEC NSEC", NSEC in [0, 1e9)), ns; 0 when there is no
 * such line or it does not parse or is beyond MSTORE_CLOCK_MAX_NS. */
MSTORE_INTERNAL int64_t mstore_clock_parse_timens(const char *text);
/* CLOCK_BOOTTIME in ns (the heartbeat's clock), or -1 with errno set. */
MSTORE_INTERNAL int64_t mstore_boottime_ns(void);
/* 1 if a recorded heartbeat hb and the writer's offset are values a
 * kernel can give: 0 <= hb <= MSTORE_CLOCK_MAX_NS, |offset| <= it. */
MSTORE_INTERNAL int mstore_beat_valid(const struct mstore_clock_id *w, int64_t hb);
/* Reader: judge a heartbeat (its value hb, stamped on the writer's clock
 * w) against the reader's clock r read at now, with the staleness limit
 * limit_ns (> 0).  Pure.  Fills *out (state ALIVE, STALE, OTHER_BOOT or
 * FUTURE); 1 alive, 0 not, or MSTORE_E_CORRUPT (!mstore_beat_valid). */
MSTORE_INTERNAL int mstore_beat_judge(const struct mstore_clock_id *w, int64_t hb,
                                      const struct mstore_clock_id *r, int64_t now,
                                      int64_t limit_ns, struct mstore_liveness *out);

/* ---- writer slots (mstore_slot.c; writer slots, above) ---- */
/* Largest tick a writer can record (u32 milliseconds). */
#define MSTORE_TICK_NS_MAX ((int64_t)UINT32_MAX * MSTORE_NS_PER_MS)

/* A copy of one writer slot taken inside its generation guard. */
struct mstore_slot_view {
	uint32_t state, gen;
	int64_t pid, start_time_ns, tick_interval_ns, heartbeat_ns;
	struct mstore_clock_id clock;
};
/* Copy slot w: 1 (all zero, gen 0, for a slot never claimed), or 0 if a
 * claim kept rewriting it (not live). */
MSTORE_INTERNAL int mstore_slot_read(const struct mstore_writer_rec *w,
                                     struct mstore_slot_view *out);
/* 1 if a copied slot holds values a writer can write (state, tick,
 * heartbeat and clock in range), or was never claimed. */
MSTORE_INTERNAL int mstore_slot_valid(const struct mstore_slot_view *v);
/* Judge a copied slot as mstore_beat_judge() does, with limit_ns, or
 * MSTORE_STALE_TICKS of its ticks when limit_ns <= 0, against the clock
 * self read at now. */
MSTORE_INTERNAL int mstore_slot_judge(const struct mstore_slot_view *v, int64_t limit_ns,
                                      const struct mstore_clock_id *self, int64_t now,
                                      struct mstore_liveness *out);
/* Lock (type F_WRLCK) or unlock (F_UNLCK) byte off of fd's open file
 * description; wait: F_OFD_SETLKW, else F_OFD_SETLK.  0, 1 if another
 * description holds it (not waiting), or -1 with errno. */
MSTORE_INTERNAL int mstore_ofd_lock(int fd, uint64_t off, short type, int wait);
/* 1 if no other open file description holds a lock on byte off (a
 * writer slot's owner is then dead), 0 if one does, -1 with errno.
 * Writers only (fd: the lock file). */
MSTORE_INTERNAL int mstore_ofd_free(int fd, uint64_t off);

/* ---- checks the reader and mstore_attach() share (mstore_reader.c) ---- */
/* Check a whole store file mapped at base (len bytes) as a reader does at
 * open: 0, or the MSTORE_E_* code of the first problem. */
MSTORE_INTERNAL int mstore_check_file(const unsigned char *base, size_t len);

#endif /* MSTORE_LAYOUT_H */
