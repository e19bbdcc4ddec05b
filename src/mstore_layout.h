/* SPDX-License-Identifier: MIT */
/*
 * mstore_layout.h - the store file format (version 10.0) and the protocols
 * by which several writer processes and any number of reader processes
 * share it, plus the library's internal helpers.  Only the library and its
 * tests include this header; applications and the renderer use mstore.h.
 * Each concurrency argument is written here once, beside the data it
 * guards: writer slots and the lock handover before struct
 * mstore_writer_rec, registration, removal and intents before struct
 * mstore_intent, the shared index before struct mstore_index_ent, series
 * records (life cycle, publication, chains, the reader's walk) before
 * struct mstore_family_rec, allocation in the file before struct
 * mstore_alloc, counters
 * before MSTORE_COUNTER_SHARDS, histograms before MSTORE_HIST_FIXED_SLOTS,
 * native histograms before MSTORE_NATIVE_ACTIVE, exemplars before
 * MSTORE_EX_SEQ, per-writer values before MSTORE_PW_UNSET, the heartbeat
 * and its clock before struct mstore_clock_id.  doc/store-format.md
 * describes the bytes
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
 * read only by its holders (the intent, the allocator, the chains' back
 * links: mstore_intent), so the protocols hold between processes.
 */
#ifndef MSTORE_LAYOUT_H
#define MSTORE_LAYOUT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mstore.h"
#include "nhist.h"

/* "MSTORE" then NUL and 0x1a (stops `type`, flags binary on text tools). */
#define MSTORE_MAGIC     "MSTORE\0\x1a"
#define MSTORE_MAGIC_LEN 8
/* Major: readers reject any other.  Minor: additions old readers ignore. */
/* 2: counters gained per-thread shards; 3: the heartbeat moved to
 * CLOCK_BOOTTIME with the writer's boot id and time-namespace offset;
 * 4: readers apply the naming rules (mstore_names.c); 5: several writer
 * processes (writer slots, the shared series index, shard owners and
 * histogram seqlock owners in the file, per-writer values); 6: native
 * histograms (their configuration in the family record, their buckets in
 * the value slots); 7: exemplar records in value slots (a family's
 * exemplars word); 8: removable series (series records with a generation
 * and a state, doubly linked chains, free lists and limbo, per-family
 * limits, usage and refusal counts); 9: the writers' locks moved to the
 * lock file PATH.lock at offsets from the header's lock_nonce, and readers
 * judge a seqlock owner by its slot; 10: free value ranges listed per
 * family (struct mstore_alloc) */
#define MSTORE_VERSION_MAJOR 10u
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

/*
 * Native histograms.  A histogram family whose record has native.nbuckets
 * = n > 0 (struct mstore_native_rec) keeps, after the classic slots of
 * each series (B + MSTORE_HIST_FIXED_SLOTS, above), its native part of
 * MSTORE_NATIVE_SLOTS(n) slots:
 *   [MSTORE_NATIVE_ACTIVE]  u64, 0 or 1: which copy is current
 *   [MSTORE_NATIVE_COPY0 + k * NHIST_SLOTS(n)], k = 0, 1: copy k of the
 *                           native state in nhist.h's layout (enum
 *                           nhist_slot: schema, zero threshold, zero
 *                           count, the two window offsets, the time of
 *                           the last reset, the two windows' brackets
 *                           of populated counters, then n positive and
 *                           n negative bucket counters)
 * Count, sum and the classic buckets are the histogram's, shared by both
 * parts (as in the protobuf Histogram message), and the series' seqlock
 * (above) guards all of it: a reader's copy of the classic and the native
 * buckets is one consistent reading, by the argument given there.
 *
 * An observation, inside the section: count, sum and its classic bucket
 * first, exactly as for a classic histogram; then the native part.  If
 * the value goes into the zero bucket or inside the current copy's window
 * of its sign (and no return to the configured state is due), that is one
 * store into the current copy (nhist_observe_fast()).  Otherwise a window
 * must move or shrink, or the zero bucket widen, or the state reset
 * (nhist_observe()): the writer copies the current copy over the other
 * one, applies the observation to that, and then stores the other's
 * number into ACTIVE.  When nhist_observe() reset the state, the writer
 * first zeroes count, sum and the classic buckets and counts the value
 * there again, then switches ACTIVE.
 *
 * Why two copies: re-laying a window moves counts between slots in place,
 * and a writer may die at any instruction (the owner recovery, above).  A
 * state half re-laid can be wrong in ways no check sees (a count moved
 * twice or lost, an offset that no longer fits its counters).  With two
 * copies the current one is only ever changed by the fast path's single
 * stores, and the switch is one store: whatever instruction the writer
 * died at, the current copy is a state a correct writer left, with or
 * without the observation cut short.  It costs twice the native slots,
 * and a copy of them on each slow observation (which re-lays them anyway).
 *
 * Recovery of a section a dead writer left (the owner recovery above, by a
 * writer, and the reader's reading of it): count = the sum of the classic
 * buckets, as always.  The current copy's zero and bucket counts add up to
 * at most that sum, since every observation reaches its classic bucket
 * before its native one; except when the writer died inside a reset,
 * between zeroing the classic counts and switching ACTIVE.  Then the
 * recoverer re-initialises the current copy (nhist_init(): the configured
 * state, empty, last reset at the recoverer's coarse time), which finishes
 * the reset; a reader reads such a section as that state.  Either way the
 * counts add up; the cut observation may be in the classic buckets and
 * not in the native ones.
 *
 * Time, for native_min_reset_ns: CLOCK_BOOTTIME minus the writer's
 * time-namespace offset (the boot's clock outside any namespace, so every
 * writer of a boot agrees; "Liveness" below).  The fast path needs it only
 * in a state whose resolution or zero bucket was changed, to return to the
 * configured state once a reset is due, and then uses the time of the
 * writer's last heartbeat, kept in its handle (struct mstore, coarse_ns):
 * a time certainly passed, had without a clock call.  A due return thus
 * happens at the first observation after the next heartbeat (a writer that
 * never heartbeats has it at its next slow observation).  The slow path
 * reads the clock, and only with native_min_reset_ns set.
 */
#define MSTORE_NATIVE_ACTIVE   0u
#define MSTORE_NATIVE_COPY0    1u
#define MSTORE_NATIVE_SLOTS(n) (MSTORE_NATIVE_COPY0 + 2 * NHIST_SLOTS(n))
_Static_assert(NHIST_WINDOW_MAX == MSTORE_NATIVE_BUCKETS_MAX, "one bound on the window");

/*
 * Exemplars (a family registered with exemplars: shared counters and
 * histograms).  A series has one record of MSTORE_EX_SLOTS value slots per
 * counter, or per classic bucket i <= B of a histogram (i = B: +Inf; a
 * native histogram's exemplars go to the classic bucket of their value,
 * its +Inf one alone when it has no bounds), after the type's own slots
 * (mstore_exemplar_off()), holding the latest exemplar written to it:
 *   [MSTORE_EX_SEQ]       u64 sequence word, encoded as a histogram's
 *                         (MSTORE_SEQ_LOCKED, the owner's writer slot,
 *                         MSTORE_SEQ_ONE per completed write); 0: never
 *                         written
 *   [MSTORE_EX_VALUE]     double bits: the update's value (a counter's
 *                         increment, >= 0; an observation, inside its
 *                         bucket: above the bound before it, at most its
 *                         own, never NaN)
 *   [MSTORE_EX_TIME]      int64 CLOCK_REALTIME ns, > 0; 0: no exemplar
 *   [MSTORE_EX_LEN]       u64 bytes of label text, <= MSTORE_EXEMPLAR_TEXT_MAX
 *   [MSTORE_EX_TEXT + k]  the label text, 8 bytes a slot, in memory order
 * The label text is, for each label, its name, a NUL, its value, a NUL (no
 * labels: length 0).  Names [a-zA-Z_][a-zA-Z0-9_]* without a "__" prefix,
 * distinct, at most MSTORE_MAX_LABELS of them; values UTF-8 without NUL;
 * names and values together at most MSTORE_EXEMPLAR_CHARS_MAX code points
 * (OpenMetrics 1.0), which keeps the text within 511 bytes: names are
 * ASCII, so n >= 1 labels take at most n + 4 (128 - n) bytes plus 2n NULs.
 * mstore_exemplar_parse() is the rule, for writer and reader.
 *
 * Seqlock (one per record): the histogram's protocol (before
 * MSTORE_HIST_FIXED_SLOTS) with the record as its section, and its proof
 * that a reader keeps no torn copy: it shows labels, value and time of one
 * write, or nothing.  What differs:
 *   - A writer never waits.  It takes the record by CAS from a free value
 *     (acquire); when the record is locked by another writer it drops its
 *     exemplar (the update itself is counted), because two writes that
 *     overlap in time are equally "the latest", so keeping either is
 *     right, and waiting would put a lock on an update path.  A free value
 *     that changed under its CAS (another write completed) is tried again,
 *     at most MSTORE_EX_WRITE_TRIES times.  A thread preempted inside
 *     makes the others drop theirs for that while.
 *   - A reader never fails a scrape for an exemplar: when its tries
 *     (MSTORE_EX_READ_TRIES: the first MSTORE_SNAPSHOT_SPINS at once, the
 *     rest after sched_yield) all find the record locked or changed, it
 *     shows none this time.
 *   - A writer killed inside leaves the record locked: writers drop their
 *     exemplars there and readers show none until cleanup of the dead
 *     writer's slot (struct mstore_writer_rec) empties it: time 0 (relaxed)
 *     and seq = the locked value's completed count + MSTORE_SEQ_ONE,
 *     unlocked (release).  What the dead writer half wrote is never shown
 *     (time 0 is none).  The cleaner is the record's only writer then
 *     (writers drop rather than take a locked record), and the lock
 *     handover orders the dead writer's stores before its own.
 *   - A removed series' records are emptied when its room expires and
 *     again when the room is reused (mstore_exemplars_empty()): taken by
 *     CAS like a writer takes them (a dead writer's lock is taken over,
 *     a live late writer's makes the room wait), emptied, released one
 *     write further.  A late writer meanwhile drops its exemplar; one
 *     whose series was removed before its write checks the handle's
 *     generation first (mstore_exemplar_put()).
 * A stable copy that breaks a rule above cannot come from a correct
 * writer: MSTORE_E_CORRUPT.  Why the renderers show an exemplar only with
 * a non-zero counter or bucket: expo_exemplar() (expo_common.c).
 */
#define MSTORE_EX_SEQ   0u
#define MSTORE_EX_VALUE 1u
#define MSTORE_EX_TIME  2u
#define MSTORE_EX_LEN   3u
#define MSTORE_EX_TEXT  4u
#define MSTORE_EX_SLOTS (MSTORE_EX_TEXT + MSTORE_EXEMPLAR_TEXT_MAX / 8u)
/* A writer's CAS attempts on free values that keep changing. */
#define MSTORE_EX_WRITE_TRIES 4u
/* A reader's tries on one record (see above). */
#define MSTORE_EX_READ_TRIES (2u * MSTORE_SNAPSHOT_SPINS)
_Static_assert(MSTORE_EXEMPLAR_TEXT_MAX % 8 == 0, "exemplar text fills whole slots");
_Static_assert(MSTORE_EXEMPLAR_TEXT_MAX <= UINT16_MAX, "exemplar offsets fit u16");

/* Capacity limits accepted by mstore_create() (keep files and u32 offsets sane). */
#define MSTORE_CAP_FAMILIES_MAX ((UINT32_C(1) << 16) - 1) /* index + 1 in a shape */
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
/* How long a removed series' room is held (struct mstore_alloc), and the
 * most a store may ask for (freed_ms compares times mod 2^32 ms). */
#define MSTORE_DEF_REUSE_DELAY_MS 2000u
#define MSTORE_REUSE_DELAY_MAX_MS (24u * 3600u * 1000u)
#define MSTORE_DEF_TICK_MS        1000u
#define MSTORE_NS_PER_MS          (MSTORE_NS_PER_SEC / 1000)

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
 * Registration and removal from several processes.
 *
 * Every change to the file's structure (a family or series registered or
 * removed, the room of removed series given back, a slot claimed or
 * cleaned up) is made under the registration lock: the handle's pthread
 * mutex (threads of one process), then a blocking F_OFD_SETLKW write lock
 * on byte MSTORE_LOCK_REGISTRY of the store's window in the lock file
 * (processes).  The kernel releases the lock
 * of a holder that dies, so the store never wedges; but the holder may
 * have died halfway.  So each change is a short sequence of steps,
 * announced beforehand by the intent record in the header:
 *
 *   family at index i = families: intent {FAMILY, i}
 *     1. strings allocated, record i filled  (unreachable: i >= families)
 *     2. families = i + 1 (release): published
 *   series of family f: intent {SERIES, i, f}, i MSTORE_NONE until chosen
 *     1. record i, its value slots and strings taken (struct mstore_alloc)
 *     2. record i filled, its values reset (unreachable: not linked)
 *     3. published: LIVE with a new even gen (struct mstore_series_rec)
 *     4. linked at the end of f's chain
 *     5. entered into the shared index (struct mstore_index_ent)
 *   removal of series i of family f: intent {REMOVE, i, f}
 *     1. unlinked from f's chain
 *     2. gen odd, then LIMBO with a new even gen and the removal time,
 *        appended to the limbo list
 *     3. deleted from the shared index
 *   expiry: intent {EXPIRE}: LIMBO records whose reuse delay has passed
 *     become FREE, their rooms go to the free lists
 *   then the usage counts are updated and the intent cleared.
 *
 * The next holder of the lock (the lock handover makes the dead holder's
 * stores visible to it) finds the intent left behind and, before its own
 * work, finishes or undoes it: FAMILY: nothing (published, or unreachable
 * garbage); SERIES: record i LIVE rolls forward (its gen made even if the
 * holder died between the state and the gen; linked unless f's
 * last_series is i already), else rolls back (record i made FREE);
 * REMOVE: record i still LIVE finishes the removal (unlinking is
 * idempotent: a link is moved only while it still names i; the record's
 * own links are never changed by its removal); EXPIRE: nothing.  The
 * records and families are the truth; everything derived from them (the
 * free lists, the limbo list, the shared index, the usage counts, each
 * family's live count) may have been half updated, so the recovery then
 * rebuilds all of it from the records (allocation, before struct
 * mstore_alloc).  It counts the recovery in the header
 * (registration_forward, registration_back, removal).
 * mstore_heartbeat() does the same when it finds an intent and the lock
 * free, so a series published but not linked becomes visible, and one
 * half removed goes, within a tick even if nobody registers.  The reader
 * never reads the intent, and what it sees at every step is valid
 * (series records, before struct mstore_family_rec).
 *
 * Same definition, same family: registration looks the name up among all
 * published families, whoever registered them; one with the same type,
 * name, help, unit, label names, bounds, per-writer mode and series limit
 * is returned, another with that name is MSTORE_E_CONFLICT, and one whose
 * names clash (mstore_names_clash()) is MSTORE_E_DUPLICATE.  Same label
 * values, same series: found through the shared index.
 */
#define MSTORE_INTENT_NONE   0u
#define MSTORE_INTENT_FAMILY 1u
#define MSTORE_INTENT_SERIES 2u
#define MSTORE_INTENT_REMOVE 3u
#define MSTORE_INTENT_EXPIRE 4u

struct mstore_intent {
	_Atomic uint32_t op; /* MSTORE_INTENT_*; peeked at without the lock */
	uint32_t index;      /* FAMILY, SERIES, REMOVE: the record */
	uint32_t family;     /* SERIES, REMOVE: its family */
	uint32_t reserved[13];
};

/*
 * The shared series index: open addressing over index_slots entries (a
 * power of two, at least twice max_series), keyed by the series hash
 * (family and label values: series_hash() in mstore_register.c), linear
 * probing.  Written only under the registration lock: an entry goes into
 * the first empty slot of its probe sequence (the hash with a relaxed
 * store, then the series number + 1 with release); a removed series'
 * entry is deleted by moving the later entries of its run back into the
 * hole (linear probing's deletion without tombstones, so that churn never
 * clogs the table), the emptied slot last.  A writer first looks a series
 * up without the lock: an acquire load of an entry, then a stable read of
 * the record it names (a LIVE record of the family with these label
 * values; series records, below).  An entry being moved can make such a
 * lookup miss a series, never find a wrong one; a miss takes the lock and
 * looks again, which is exact.  Readers ignore the index.
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

/* Recovery and refusal counters in the header: room for this many kinds. */
#define MSTORE_RECOVERY_ROOM 8u
#define MSTORE_REFUSAL_ROOM  4u
_Static_assert(MSTORE_RECOVERY_KINDS <= MSTORE_RECOVERY_ROOM, "recovery counters fit");
_Static_assert(MSTORE_REFUSAL_KINDS <= MSTORE_REFUSAL_ROOM, "refusal counters fit");

/*
 * Allocation in the file (writers only, under the registration lock; the
 * reader never reads struct mstore_alloc and finds every room through the
 * records).  Code: mstore_alloc.c.
 *
 * Three kinds of room: series records; value slot ranges (the nslots
 * consecutive slots a family's definition fixes); string blocks (8 << c
 * bytes for class c, the smallest that holds the string and its NUL;
 * families' strings too, so that every block is found the same way).
 * Each is taken from a free list if one has it, else from the untouched
 * rest of its region: records at `series` (the high-water mark readers
 * know), slots at values_top, bytes at strings_top.  Free lists:
 *   - records: FREE records, linked through their `link` (free_series);
 *   - value ranges: one list per family in val_free (its shape: the
 *     family index + 1 and nslots), so a removed series' slots go to a
 *     series of the same family, whose slots mean the same: where a late
 *     update through a stale handle lands (mstore.h,
 *     mstore_series_remove()) it is one update of the same kind.  (Keyed
 *     by type and nslots, as in format 8, a classic histogram's range
 *     could go to a native one of as many slots, where one late
 *     observation left a series no reader accepts.)  A range
 *     is linked through its first slot, holding MSTORE_VLINK_*: the next
 *     range, the size, and a check code over the range's own offset, the
 *     size and the next, because a late update may write there too; a link
 *     that fails the check or points outside the region ends the list and
 *     marks the lists dirty (rebuilt before the next allocation);
 *   - string blocks: one list per class in str_free, linked through the
 *     block's first four bytes (only writers under the lock write strings).
 * A removed series does not free its room at once.  Its record waits in
 * the limbo list (oldest first, through `link`) with its value range and
 * strings until reuse_delay_ms have passed since its removal, on the
 * host's CLOCK_BOOTTIME in ms mod 2^32 (freed_ms; each writer removes its
 * time namespace's offset, see the heartbeat's clock; a time ahead of
 * now was stamped in another boot and counts as passed); then (expiry) its
 * rooms go to the free lists and it becomes FREE.  Writers expire what is
 * due before each registration and at each heartbeat.  The delay is what
 * keeps a stale handle's late update out of a newer series unless its
 * thread stalled that long.
 * A list empty and the region's rest used up: a string takes a block of a
 * larger class and splits it in halves; a value range takes a larger range
 * of any shape and leaves its rest unlisted (a reuse across shapes, only
 * in a store that is nearly full); and when that fails too and enough
 * rooms were freed since the last rebuild (REBUILD_MIN_FREED in
 * mstore_register.c), the writer rebuilds the lists, which merges
 * neighbouring free rooms, and tries once more.
 * The rebuild (after a dead writer's intent, a dirty list, or on a full
 * store) derives everything from the records and families: rooms they hold
 * (LIVE and LIMBO records, every family) are used, every gap between them
 * below the tops is free (value gaps as ranges, string gaps cut into
 * blocks), a gap at a top lowers the top, FREE records are listed, LIMBO
 * records go to the limbo list by removal time; the shared index, the
 * usage counts and each family's live count are rebuilt with them.  It
 * needs memory for a sorted list of the used rooms (8 bytes each),
 * allocated only then: dirty stays set and the caller fails with E_SYS
 * (ENOMEM) if that fails.
 *
 * Reusing a range resets it to a new series' zero (counters and gauges 0,
 * per-writer slots MSTORE_PW_UNSET); a histogram's count, sum and buckets
 * inside its seqlock: the writer takes the seq as an observation does
 * (held by a live writer, i.e. a late observation: the range goes back
 * and another is taken; by a dead one: taken over), so the seq keeps
 * counting up across reuses and no late observation overlaps the reset.
 */
#define MSTORE_STR_CLASSES   16u /* blocks of 8 << c bytes */
#define MSTORE_STR_BLOCK_MIN 8u
#define MSTORE_VAL_CLASSES   16u
/* A free value range's first slot: bit 0 clear (a histogram observer
 * stalled there sees an unlocked seq, never waits), the next range's first
 * slot (MSTORE_VLINK_END: none) in bits 1..31, the range's nslots in bits
 * 32..47, the check code in bits 48..63. */
#define MSTORE_VLINK_NEXT_SHIFT  1u
#define MSTORE_VLINK_NEXT_MASK   UINT64_C(0x7fffffff)
#define MSTORE_VLINK_END         UINT32_C(0x7fffffff)
#define MSTORE_VLINK_SIZE_SHIFT  32u
#define MSTORE_VLINK_SIZE_MASK   UINT64_C(0xffff)
#define MSTORE_VLINK_CHECK_SHIFT 48u
_Static_assert(MSTORE_CAP_SLOTS_MAX < MSTORE_VLINK_END, "a slot offset fits a link");
_Static_assert(MSTORE_MAX_WRITERS <= MSTORE_VLINK_SIZE_MASK &&
                       MSTORE_MAX_BUCKETS + MSTORE_HIST_FIXED_SLOTS +
                                       MSTORE_NATIVE_SLOTS(MSTORE_NATIVE_BUCKETS_MAX) +
                                       (MSTORE_MAX_BUCKETS + 1) * MSTORE_EX_SLOTS <=
                               MSTORE_VLINK_SIZE_MASK,
               "the largest series' range size fits a link");

/* One list of free value ranges: those of series of one shape,
 * mstore_val_shape() (0: the entry is unused). */
struct mstore_val_class {
	uint32_t shape;
	uint32_t head; /* first range's first slot, or MSTORE_VLINK_END */
};

/* A shape for struct mstore_val_class: a family index + 1 (0: a gap, of
 * no family) and nslots. */
static inline uint32_t
mstore_val_shape(uint32_t kind, uint32_t nslots)
{
	return kind << 16 | (nslots & 0xffffu);
}

struct mstore_alloc {
	_Atomic uint32_t limbo_head; /* oldest LIMBO record; peeked at without the lock */
	uint32_t limbo_tail;
	uint32_t free_series; /* first FREE record on the list, or MSTORE_NONE */
	uint32_t dirty;       /* 1: the lists may be wrong: rebuild before use */
	uint32_t freed;       /* rooms freed since the last rebuild */
	uint32_t reserved[11];
	uint32_t str_free[MSTORE_STR_CLASSES]; /* first block of class c; 0: none */
	struct mstore_val_class val_free[MSTORE_VAL_CLASSES];
};

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
	uint32_t reuse_delay_ms;  /* struct mstore_alloc; 1..MSTORE_REUSE_DELAY_MAX_MS */
	uint32_t reserved_pad;
	uint64_t lock_nonce; /* random: where its locks lie in the lock file */
	unsigned char reserved0[24];
	/* ---- cache line 3: the counts (series records, allocation) ---- */
	_Atomic uint32_t families;     /* published family records */
	_Atomic uint32_t series;       /* series records ever taken: readers read below it */
	_Atomic uint32_t values_used;  /* value slots held by LIVE and LIMBO series */
	_Atomic uint32_t strings_used; /* string bytes held (blocks; families' and the empty one) */
	_Atomic uint32_t series_used;  /* LIVE and LIMBO series records */
	uint32_t values_top;           /* writers: slots at and above it never taken */
	uint32_t strings_top;          /* writers: bytes at and above it never taken */
	uint32_t reserved1;
	uint64_t clock; /* writers: the generation clock (series records) */
	unsigned char reserved2[24];
	/* ---- cache line 4: counter shard owners (counters, above) ---- */
	_Atomic uint32_t shard_owner[MSTORE_COUNTER_SHARDS]; /* writer slot + 1; 0: free */
	unsigned char reserved3[64 - 4 * MSTORE_COUNTER_SHARDS];
	/* ---- cache line 5: what writers recovered from dead writers ---- */
	_Atomic uint64_t recoveries[MSTORE_RECOVERY_ROOM]; /* enum mstore_recovery */
	/* ---- cache line 6: the intent (registration, above) ---- */
	struct mstore_intent intent;
	/* ---- cache line 7: registrations refused (enum mstore_refusal) ---- */
	_Atomic uint64_t refused[MSTORE_REFUSAL_ROOM];
	unsigned char reserved4[64 - 8 * MSTORE_REFUSAL_ROOM];
	/* ---- cache lines 8 to 11: allocation (writers only) ---- */
	struct mstore_alloc alloc;
};

/*
 * Series records: life cycle, publication, chains.
 *
 * A series record is FREE (never used, or its series' room given back),
 * LIVE (a series readers show) or LIMBO (its series was removed; its room
 * is held until the reuse delay has passed: struct mstore_alloc).  gen, a
 * 64-bit generation, changes with every state change: odd while the record
 * is being filled or removed, even while it is stable.  An even gen is a
 * value of the store's generation clock (clock in the header: + 2 under
 * the registration lock for each state change, stored back before the
 * value is used, so a writer killed in between wastes a value and never
 * hands one out twice), so a LIVE record's gen says when it went LIVE:
 * unique, never reused, and increasing along every chain.  A handle and a
 * reader's view remember the gen they were made for; any other gen means
 * the series they stood for is gone.
 *
 * Writer (under the registration lock; the intent steps above):
 *   Create: take record i (FREE) and its rooms; gen odd (relaxed) and a
 *     release fence; family, value_off, next = NONE and the labels
 *     (relaxed stores), the values reset (struct mstore_alloc); state LIVE
 *     (relaxed); gen = clock (release).  A fresh record (i == series)
 *     raises series to i + 1 (release) first.  Then link it at the end of
 *     its family's chain: a release store of i into the predecessor's next
 *     (or the family's first_series); its link = that predecessor; the
 *     family's last_series = i.
 *   Remove: unlink it (the predecessor's next, or first_series, = its next,
 *     with release; the successor's link, or last_series, = its link); gen
 *     odd, then a release fence; state LIMBO, freed_ms; gen = clock
 *     (release).  Its own next and link stay as they were, so a reader
 *     standing on it still finds the way on.
 *   Expire (LIMBO to FREE): its rooms to the free lists; state FREE, gen =
 *     clock, value_off = NONE, labels cleared.
 * Reader (no lock), a "stable read": g1 = load gen (acquire), odd: not
 *   stable; state, family, value_off, next, the label references and the
 *   label bytes it checks, with relaxed loads; atomic_thread_fence
 *   (acquire); g2 = load gen (relaxed); g1 != g2: not stable.  Later reads
 *   through the view (a snapshot's values, the renderer's copy of the
 *   label bytes) are followed by the same fence and another load of gen
 *   (mstore_reader_series_check()), and kept only if it still is g1.
 * Why a reader never shows a half-removed series, nor old labels with new
 * values or the other way round: every store that changes a LIVE record
 * or its rooms (removal, expiry, reuse) comes after the store of an odd
 * gen and a release fence.  If any load between the reader's acquire load
 * of g1 and its acquire fence read such a store (or a later one), the
 * fences synchronise: the odd gen happens-before the final load of gen,
 * which returns it or a later value, never g1 (gen only grows).  If none
 * did, every load returned the record and its rooms as they were when g1
 * was published (the acquire load of g1 synchronised with its release):
 * one LIVE series, whole.  Values are relaxed atomics and strings plain
 * bytes that a writer may rewrite while they are read: a torn read is
 * wrong, never out of bounds (every offset and length is checked against
 * the region first), and the gen check discards it, as the histogram
 * seqlock's check does.
 * Updates through a handle (mstore_update.c) load gen (relaxed) before
 * their write and fail with MSTORE_E_REMOVED when it is not the handle's.
 * The load and the write are not one atomic step: what a write late by
 * more than the reuse delay does is in mstore.h (mstore_series_remove()).
 *
 * Publication of families: the writer fills the record and its strings
 * with plain stores (unreachable: at or past the published count), then
 * stores families = i + 1 with release; a reader loads families with
 * acquire and reads only records below it.  Families are never removed.
 * Series need no count to be published: a reader reaches a series only
 * through a link, stored with release after the record went LIVE, and
 * loads links with acquire.  It reads only records below `series` as it
 * acquired it at refresh: a link at or past it names a record taken since
 * and ends the walk there.
 *
 * Chains: the LIVE series of one family form a doubly linked list in the
 * order they went LIVE, hence in increasing gen: the family's
 * first_series, then next (readers and writers), link back (writers only),
 * the family's last_series at the end (writers only).  A reader's walk
 * (walk() in mstore_reader.c) reads each record stably and steps to its
 * next.  It only ever moves to a record of a greater gen than the one it
 * comes from: a stably read next was linked after its record, and a record
 * that took that room since went LIVE later still.  A stable LIVE record
 * of the family whose gen is not greater is therefore a corrupt store
 * (which also makes a cycle impossible to follow), and so is a record that
 * is stably not a LIVE member of the family while the link of a stably
 * read predecessor, read again, still names it.  A record that is not a
 * member (removed, perhaps taken over, since the link to it was read)
 * sends the walk back to the record it came from: still LIVE with the same
 * gen, its next is read again; gone too, the walk starts again at
 * first_series and skips every series of a gen it has passed (the view's
 * gen), so no series is returned twice, and none that stayed LIVE and
 * linked throughout is skipped.  Restarts and retries are bounded
 * (MSTORE_WALK_RETRIES, with the snapshot's backoff): then E_RETRY.  A
 * walk also ends after max_series steps (a writer that keeps creating
 * series cannot hold it).
 */
#define MSTORE_SERIES_FREE  0u
#define MSTORE_SERIES_LIVE  1u
#define MSTORE_SERIES_LIMBO 2u
#define MSTORE_WALK_RETRIES 1000u

/* A histogram family's native histogram, its configuration resolved
 * (mstore.h, struct mstore_family_spec; nhist.h, struct nhist_config).
 * nbuckets 0: none, and every field 0. */
struct mstore_native_rec {
	int32_t schema;            /* -4..8 */
	uint32_t nbuckets;         /* per sign, 1..MSTORE_NATIVE_BUCKETS_MAX */
	double zero_threshold;     /* finite, >= 0 */
	double max_zero_threshold; /* finite, >= zero_threshold */
	int64_t min_reset_ns;      /* >= 0; 0: never reset */
};

/* One family.  Immutable once published, except first_series,
 * last_series and nseries. */
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
	uint32_t max_series; /* at most this many LIVE series but the overflow one; 0: no limit */
	uint32_t on_limit;   /* enum mstore_limit_mode */
	uint32_t nseries;    /* writers: its LIVE series but the overflow one */
	double bounds[MSTORE_MAX_BUCKETS]; /* finite, strictly increasing */
	struct mstore_native_rec native;   /* histograms: native buckets, if any */
	uint32_t exemplars;                /* 1: exemplar records (MSTORE_EX_SEQ); else 0 */
	uint32_t reserved;
};

/* One series (the life cycle above). */
struct mstore_series_rec {
	_Atomic uint64_t gen;       /* odd while changing; even: a clock value */
	_Atomic uint32_t state;     /* MSTORE_SERIES_* */
	_Atomic uint32_t family;    /* index of its family record */
	_Atomic uint32_t value_off; /* first value slot; MSTORE_NONE while FREE */
	_Atomic uint32_t next;      /* next series of the family, or MSTORE_NONE */
	/* Writers only: LIVE, the previous series of the family (MSTORE_NONE:
	 * first); LIMBO and FREE, the next record of its list. */
	uint32_t link;
	_Atomic uint32_t freed_ms; /* LIMBO: removal time (struct mstore_alloc) */
	/* Label values, the family's nlabels used: struct mstore_str as one
	 * word each (mstore_str_pack()), so readers load them atomically. */
	_Atomic uint64_t label[MSTORE_MAX_LABELS];
};

#define MSTORE_HDR_SIZE        768u
#define MSTORE_WRITER_REC_SIZE 64u
#define MSTORE_INDEX_ENT_SIZE  8u
#define MSTORE_FAMILY_REC_SIZE 744u
#define MSTORE_SERIES_REC_SIZE 160u
#define MSTORE_SLOT_SIZE       8u

_Static_assert(sizeof(struct mstore_hdr) == MSTORE_HDR_SIZE, "header size");
_Static_assert(offsetof(struct mstore_hdr, writer_off) == 128, "header layout");
_Static_assert(offsetof(struct mstore_hdr, reuse_delay_ms) == 152, "header layout");
_Static_assert(offsetof(struct mstore_hdr, lock_nonce) == 160, "header layout");
_Static_assert(offsetof(struct mstore_hdr, families) == 192, "counts start line 3");
_Static_assert(offsetof(struct mstore_hdr, clock) == 224, "header layout");
_Static_assert(offsetof(struct mstore_hdr, shard_owner) == 256, "shard owners start line 4");
_Static_assert(offsetof(struct mstore_hdr, recoveries) == 320, "recoveries start line 5");
_Static_assert(offsetof(struct mstore_hdr, intent) == 384, "the intent starts line 6");
_Static_assert(offsetof(struct mstore_hdr, refused) == 448, "refusals start line 7");
_Static_assert(offsetof(struct mstore_hdr, alloc) == 512, "the allocator starts line 8");
_Static_assert(sizeof(struct mstore_intent) == 64, "intent size");
_Static_assert(sizeof(struct mstore_alloc) == 256, "allocator size");
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
                       offsetof(struct mstore_family_rec, last_series) == 176 &&
                       offsetof(struct mstore_family_rec, max_series) == 180,
               "family layout");
_Static_assert(offsetof(struct mstore_family_rec, nseries) == 188 &&
                       offsetof(struct mstore_family_rec, bounds) == 192 &&
                       offsetof(struct mstore_family_rec, exemplars) == 736 &&
                       offsetof(struct mstore_family_rec, native) == 704 &&
                       sizeof(struct mstore_native_rec) == 32,
               "family layout");
_Static_assert(sizeof(struct mstore_series_rec) == MSTORE_SERIES_REC_SIZE, "series record size");
_Static_assert(offsetof(struct mstore_series_rec, state) == 8 &&
                       offsetof(struct mstore_series_rec, link) == 24 &&
                       offsetof(struct mstore_series_rec, label) == 32,
               "series layout");
_Static_assert(sizeof(_Atomic uint64_t) == MSTORE_SLOT_SIZE, "slot size");
_Static_assert(_Alignof(_Atomic uint64_t) == MSTORE_SLOT_SIZE, "slot alignment");
_Static_assert(sizeof(double) == MSTORE_SLOT_SIZE, "double fits a slot");
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free in shared memory");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "32-bit atomics must be lock-free in shared memory");
_Static_assert(sizeof(struct mstore_str) == 8, "string reference size");

/* A string reference as the one word a series record stores it in. */
static inline uint64_t
mstore_str_pack(struct mstore_str r)
{
	return (uint64_t)r.off | (uint64_t)r.len << 32;
}

static inline struct mstore_str
mstore_str_unpack(uint64_t w)
{
	struct mstore_str r = { (uint32_t)w, (uint32_t)(w >> 32) };

	return r;
}

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

/* Value slots a shared series of this shape needs: nbounds classic
 * bounds, a native window of native buckets per sign (0: none); 0 for an
 * unknown type, too many bounds or buckets, or native buckets on a type
 * other than a histogram.  Inline: the reader calls it for every series. */
static inline uint32_t
mstore_slots_for(uint32_t type, uint32_t nbounds, uint32_t native)
{
	if (native > 0 && (type != MSTORE_HISTOGRAM || native > MSTORE_NATIVE_BUCKETS_MAX))
		return 0;
	switch (type) {
	case MSTORE_COUNTER:
		return MSTORE_COUNTER_SLOTS;
	case MSTORE_GAUGE:
		return MSTORE_GAUGE_SLOTS;
	case MSTORE_HISTOGRAM:
		if (nbounds > MSTORE_MAX_BUCKETS)
			return 0;
		return nbounds + MSTORE_HIST_FIXED_SLOTS +
		       (native > 0 ? (uint32_t)MSTORE_NATIVE_SLOTS(native) : 0);
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
mstore_family_slots(uint32_t type, uint32_t nbounds, uint32_t native, uint32_t mode,
                    uint32_t max_writers)
{
	if (!mstore_per_writer_ok(type, mode) || (type != MSTORE_HISTOGRAM && nbounds != 0) ||
	    (native > 0 && mode != MSTORE_SHARED))
		return 0;
	return mode == MSTORE_SHARED ? mstore_slots_for(type, nbounds, native) : max_writers;
}

/* Exemplar records of a series of this shape (1 per counter, one per
 * bucket of a histogram; 0: the type has no exemplars). */
static inline uint32_t
mstore_exemplar_records(uint32_t type, uint32_t nbounds)
{
	if (type == MSTORE_COUNTER)
		return 1;
	return type == MSTORE_HISTOGRAM && nbounds <= MSTORE_MAX_BUCKETS ? nbounds + 1 : 0;
}

/* Value slots of the exemplar records of such a series. */
static inline uint32_t
mstore_exemplar_slots_for(uint32_t type, uint32_t nbounds)
{
	return mstore_exemplar_records(type, nbounds) * MSTORE_EX_SLOTS;
}

/* A family's value slots per series: mstore_family_slots(), plus its
 * exemplar records when it has them (0: an invalid shape, mode or
 * exemplars word: exemplars only on shared counters and histograms). */
static inline uint32_t
mstore_family_nslots(uint32_t type, uint32_t nbounds, uint32_t native, uint32_t mode,
                     uint32_t max_writers, uint32_t exemplars)
{
	uint32_t n = mstore_family_slots(type, nbounds, native, mode, max_writers);

	if (exemplars == 0 || n == 0)
		return n;
	if (exemplars != 1 || mode != MSTORE_SHARED || mstore_exemplar_records(type, nbounds) == 0)
		return 0;
	return n + mstore_exemplar_slots_for(type, nbounds);
}

/* Where exemplar record i of a shared series of this shape starts,
 * relative to its first value slot: after the type's own slots (a native
 * histogram's: after its native part too). */
static inline uint32_t
mstore_exemplar_off(uint32_t type, uint32_t nbounds, uint32_t native, uint32_t i)
{
	return mstore_slots_for(type, nbounds, native) + i * MSTORE_EX_SLOTS;
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

/* ---- native histogram records (mstore_nhist.c), writers and readers ---- */
/* A native record's configuration into *c (nbuckets 0: none): 0, or -1
 * when the record holds one nhist cannot use, or fields beside a 0
 * nbuckets. */
MSTORE_INTERNAL int mstore_native_config(const struct mstore_native_rec *r, struct nhist_config *c);
/* The record of configuration c (nbuckets 0: all zero). */
MSTORE_INTERNAL void mstore_native_rec_of(const struct nhist_config *c,
                                          struct mstore_native_rec *r);
/* ---- exemplars (mstore_exemplar.c; exemplars, above) ---- */
/* Check the label text v->text[0..v->text_len) against the rules and set
 * v->nlabels and the offsets of its names and values: 0, MSTORE_E_EXEMPLAR
 * or MSTORE_E_EXEMPLAR_LONG.  The writer's check before it writes, the
 * reader's on every copy. */
MSTORE_INTERNAL int mstore_exemplar_parse(struct mstore_exemplar_view *v);
/* The reader's copy of the record at rec (the seqlock, bounded tries):
 * 1 with *out filled and parsed, 0 none now, MSTORE_E_CORRUPT.  The value
 * is not checked against its bucket (the caller knows the bucket). */
MSTORE_INTERNAL int mstore_exemplar_read(const _Atomic uint64_t *rec,
                                         struct mstore_exemplar_view *out);

/* ---- checks the reader and mstore_attach() share (mstore_reader.c) ---- */
/* Check a whole store file mapped at base (len bytes) as a reader does at
 * open: 0, or the MSTORE_E_* code of the first problem. */
MSTORE_INTERNAL int mstore_check_file(const unsigned char *base, size_t len);

#endif /* MSTORE_LAYOUT_H */
