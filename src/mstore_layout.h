/* SPDX-License-Identifier: MIT */
/*
 * mstore_layout.h - the store file format (version 4.0) and the protocols
 * by which one writer process and any number of reader processes share
 * it, plus the library's internal helpers.  Only the library and its tests
 * include this header; applications and the renderer use mstore.h.  Each
 * concurrency argument is written here once, beside the data it guards:
 * publication before struct mstore_family_rec, counters before
 * MSTORE_COUNTER_SHARDS, histograms before MSTORE_HIST_FIXED_SLOTS, the
 * heartbeat and its clock before struct mstore_beat.  doc/store-format.md
 * describes the bytes and points here.
 *
 * File layout (all integers in the writer's native byte order, checked by
 * the reader through MSTORE_BYTE_ORDER_MARK; every region starts on a
 * MSTORE_REGION_ALIGN boundary):
 *
 *   0                 struct mstore_hdr (MSTORE_HDR_SIZE bytes)
 *   family_off        max_families x struct mstore_family_rec
 *   series_off        max_series x struct mstore_series_rec
 *   value_off         value_slots x _Atomic uint64_t (the only hot region)
 *   string_off        string_bytes bytes of NUL-terminated strings
 *   ...               zero padding up to file_size (a page multiple)
 *
 * Every field shared while the file is in use is a lock-free C11 atomic
 * (asserted below), so the protocols hold between processes.
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
 * 4: readers apply the naming rules (mstore_names.c) */
#define MSTORE_VERSION_MAJOR 4u
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
 * uncontended; a plain store does not.  A writer thread claims, on its
 * first counter update, a shard number k from a process-wide bitmap of
 * free shards (CAS, acquire).  While it owns k it is the only writer of
 * slot SHARD0 + k of EVERY counter of every store in the process, so it
 * adds with a relaxed load and a relaxed store.  At thread exit a
 * thread-specific-data destructor returns k (atomic or, release).  The
 * next owner's acquire CAS synchronises with that release, so the
 * previous owner's stores to its slots happen-before the new owner's
 * loads: it continues from the final values and no increment is lost.  A
 * thread that finds no free shard adds to SHARED with atomic_fetch_add
 * (and looks for a free shard again on its next update).  In a process
 * forked from a writer no thread ever gets a shard (a fork handler empties
 * the bitmap): the parent's threads still own theirs.
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
 * few threads at a time (a worker pool sized to the CPUs), and each shard
 * costs 8 bytes in every counter and one more load per counter on every
 * scrape.  With 4, a counter is 6 slots (48 bytes, at most two cache lines
 * for the reader).  Threads beyond the shard count stay correct, only
 * slower (one locked add per increment); a shard is reused only after its
 * thread exits, so long-lived threads keep theirs.  The shards of one
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
 *   [MSTORE_HIST_SEQ]            u64 sequence number, odd while a writer
 *                                is inside
 *   [MSTORE_HIST_COUNT]          u64 observations
 *   [MSTORE_HIST_SUM]            double bits, their sum
 *   [MSTORE_HIST_BUCKET0 + i]    u64, i <= B: observations in bucket i, NOT
 *                                cumulative; i = B is the +Inf bucket
 *
 * Seqlock (one per series; several writer threads, any number of reader
 * processes that never write):
 *   Writer: CAS seq from an even value s to s+1 (acquire: pairs with the
 *     previous writer's release, so we continue from its values; spin
 *     MSTORE_SEQLOCK_SPINS times, then sched_yield, while seq is odd);
 *     atomic_thread_fence(release), so that no data store below can become
 *     visible before the odd seq; update count, sum and the bucket with
 *     relaxed loads and stores (we hold the lock); store seq = s+2 with
 *     release.
 *   Reader: s1 = load seq (acquire), retry while odd; copy count, sum and
 *     buckets with relaxed loads; atomic_thread_fence(acquire); s2 = load
 *     seq (relaxed).  If s1 != s2 a writer was inside: retry.
 * Why a torn copy is always detected: if any relaxed load in the copy read
 * a value stored inside a critical section that began after s1 was
 * published, then the writer's release fence (after its odd store) and the
 * reader's acquire fence (after that load) synchronise, so the odd seq
 * store happens-before the reload and s2 != s1.  If the copy read only
 * values of sections that ended at or before s1, the acquire load of s1
 * synchronised with their final release store and the copy is exactly the
 * state at s1.  Relaxed atomics make a torn read wrong, not undefined; the
 * check above discards it.  A seq-stable copy whose buckets do not add up
 * to count cannot come from a correct writer: MSTORE_E_CORRUPT.
 *
 * Retries: a writer holds the lock for a few tens of ns, so a few
 * immediate retries are normal under contention (MSTORE_SNAPSHOT_SPINS).
 * A writer thread preempted inside the section keeps seq odd for a
 * scheduler slice, so the reader then yields (up to MSTORE_SNAPSHOT_YIELDS
 * tries) and finally sleeps MSTORE_SNAPSHOT_BACKOFF_NS per try.  After
 * MSTORE_SNAPSHOT_RETRIES tries it fails with MSTORE_E_RETRY rather than
 * return a torn reading: the worst case, a writer process that died inside
 * and left seq odd for good, costs about 1000 x 70 us = 70 ms for that
 * series, and the store is soon stale.
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
/* Writer spins this many times on an odd seq before each sched_yield. */
#define MSTORE_SEQLOCK_SPINS 128u

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
 * the reader's clock identity and times; mstore_beat_stamp() is the
 * writer's half.  Both work on one struct mstore_beat, so a store with a
 * beat per writer can use them per writer.
 *
 * Memory order: heartbeat_ns is stored with release and loaded with
 * acquire.  It has no ordering duty of its own; release/acquire only
 * keeps it from appearing before the header it belongs to.  The clock
 * identity is written before the file is renamed into place and never
 * changes.
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

/* A writer's heartbeat, with the clock it was read from. */
struct mstore_beat {
	struct mstore_clock_id clock; /* the writer's; written once */
	_Atomic int64_t heartbeat_ns; /* CLOCK_BOOTTIME of the last heartbeat */
};

/* The file header.  Bytes 0..127 are written once before the rename;
 * 128..255 hold the only header fields that change afterwards. */
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
	uint32_t reserved0;
	int64_t writer_pid;
	int64_t start_time_ns;    /* CLOCK_REALTIME at creation */
	int64_t tick_interval_ns; /* promised heartbeat interval, > 0 */
	uint64_t family_off;      /* region offsets from file start */
	uint64_t series_off;
	uint64_t value_off;
	uint64_t string_off;
	uint32_t max_families; /* region capacities */
	uint32_t max_series;
	uint32_t value_slots;
	uint32_t string_bytes;
	/* ---- cache line 2: mutable ---- */
	struct mstore_beat beat;       /* the heartbeat (liveness, above) */
	_Atomic uint32_t families;     /* published family records (publication, below) */
	_Atomic uint32_t series;       /* published series records */
	_Atomic uint32_t values_used;  /* value slots handed out */
	_Atomic uint32_t strings_used; /* string bytes handed out */
	unsigned char reserved1[80];   /* zero; minor versions may use */
};

/*
 * Publication of families and series (append-only; registration is
 * serialised by a mutex in the writer process):
 *   1. The writer copies the strings into the string region, zeroes the
 *      value slots and fills the record completely with plain stores; the
 *      file regions it writes are not reachable from anything published.
 *   2. For a series: it links the series at the end of its family's chain
 *      with a release store into the predecessor's next (or into the
 *      family's first_series).
 *   3. It stores values_used and strings_used (relaxed), then the new
 *      families or series count in the header with a release store.
 * A reader loads series, then families, with acquire and reads only
 * records below those counts, so every byte of such a record (and of the
 * strings and slots it points to) happens-before the reader's reads: a
 * half-registered family or series is never visible.  Loading series
 * first matters: a series below the acquired series count had its family
 * published before it, hence below the family count loaded after it.
 *
 * Series of one family form a singly linked chain in registration order:
 * family.first_series, then series.next, MSTORE_NONE at the end.  Step 2
 * precedes step 3, so a link a reader loads (acquire) may name a series at
 * or above its own acquired count: it treats that as the end of the chain.
 * Because series are appended, a valid chain is strictly increasing; the
 * reader rejects next <= current as MSTORE_E_CORRUPT, which also makes a
 * cycle impossible to follow and bounds every walk by the series count.
 */

/* One family.  Immutable once published, except first_series. */
struct mstore_family_rec {
	uint32_t type;    /* enum mstore_type */
	uint32_t nlabels; /* <= MSTORE_MAX_LABELS */
	uint32_t nbounds; /* histograms: <= MSTORE_MAX_BUCKETS; else 0 */
	uint32_t nslots;  /* value slots per series, derived from type */
	struct mstore_str name;
	struct mstore_str help; /* len 0: no help */
	struct mstore_str unit; /* len 0: no unit */
	struct mstore_str label[MSTORE_MAX_LABELS];
	_Atomic uint32_t first_series; /* MSTORE_NONE while the family has none */
	uint32_t reserved[5];
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

#define MSTORE_HDR_SIZE        256u
#define MSTORE_FAMILY_REC_SIZE 704u
#define MSTORE_SERIES_REC_SIZE 144u
#define MSTORE_SLOT_SIZE       8u

_Static_assert(sizeof(struct mstore_hdr) == MSTORE_HDR_SIZE, "header size");
_Static_assert(offsetof(struct mstore_hdr, beat) == MSTORE_REGION_ALIGN * 2,
               "mutable header fields start a cache line");
_Static_assert(sizeof(struct mstore_clock_id) == 24 && sizeof(struct mstore_beat) == 32 &&
                       offsetof(struct mstore_beat, heartbeat_ns) == 24,
               "heartbeat layout");
_Static_assert(offsetof(struct mstore_hdr, families) == 160, "header layout");
_Static_assert(MSTORE_HDR_SIZE % MSTORE_REGION_ALIGN == 0, "header alignment");
_Static_assert(offsetof(struct mstore_hdr, string_bytes) == 124, "header layout");
_Static_assert(sizeof(struct mstore_family_rec) == MSTORE_FAMILY_REC_SIZE, "family record size");
_Static_assert(offsetof(struct mstore_family_rec, first_series) == 168, "family layout");
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

/* Value slots a series of this shape needs (0 for an unknown type or
 * too many bounds).  Inline: the reader calls it for every series. */
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
/* Writer: record this process's clock identity in b and stamp it.  0, or
 * MSTORE_E_SYS (clock_gettime) with errno set. */
MSTORE_INTERNAL int mstore_beat_init(struct mstore_beat *b);
/* Writer: stamp the heartbeat now.  0, or MSTORE_E_SYS with errno set. */
MSTORE_INTERNAL int mstore_beat_stamp(struct mstore_beat *b);
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
/* Reader: load b's heartbeat, then read this process's clock, and judge
 * (as mstore_beat_judge; also MSTORE_E_SYS from clock_gettime). */
MSTORE_INTERNAL int mstore_beat_read(const struct mstore_beat *b, int64_t limit_ns,
                                     struct mstore_liveness *out);

#endif /* MSTORE_LAYOUT_H */
