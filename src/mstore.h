/* SPDX-License-Identifier: MIT */
/*
 * mstore.h - libmstore: publish Prometheus metrics through a memory-mapped
 * store file.  A writer process creates the file, registers metric
 * families and series, and updates them; other writer processes (forked
 * children, or unrelated processes that attach) may write it too, and any
 * number of reader processes open it read-only and take consistent
 * snapshots.  A function that can
 * fail returns 0 (or the non-negative result documented above it) or a
 * negative MSTORE_E_* code and sets errno (see MSTORE_ERROR_MAP); one that
 * returns a pointer returns NULL instead and stores the code in *err (err
 * may be NULL).  The library copies the strings it is given and owns the
 * handles it returns, which stay valid until the close function of their
 * store or reader.  It never prints, exits or aborts.  mstore(3) and the
 * README are the guide, with examples; doc/store-format.md is the format.
 */
#ifndef MSTORE_H
#define MSTORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Times in this API are int64_t nanoseconds. */
#define MSTORE_NS_PER_SEC INT64_C(1000000000)
/* mstore_reader_liveness()'s default limit: a writer is stale when its
 * last heartbeat is older than this many of its tick intervals. */
#define MSTORE_STALE_TICKS 3

/* Limits enforced at registration (the reader enforces them again). */
#define MSTORE_NAME_MAX        128  /* metric and label names, bytes */
#define MSTORE_HELP_MAX        1024 /* help text, bytes */
#define MSTORE_UNIT_MAX        64   /* unit, bytes */
#define MSTORE_LABEL_VALUE_MAX 512  /* one label value, bytes (UTF-8) */
#define MSTORE_MAX_LABELS      16   /* label names per family */
#define MSTORE_MAX_BUCKETS     64   /* finite bucket bounds per histogram */
#define MSTORE_MAX_WRITERS     1024 /* writer processes at once (max_writers) */
/* An exemplar's label names and values together, in characters (Unicode
 * code points, not bytes): OpenMetrics 1.0's limit. */
#define MSTORE_EXEMPLAR_CHARS_MAX 128
/* Bytes of an exemplar's label text as stored (struct
 * mstore_exemplar_view): room for MSTORE_EXEMPLAR_CHARS_MAX characters of
 * any UTF-8. */
#define MSTORE_EXEMPLAR_TEXT_MAX 512

/* Native histograms (struct mstore_family_spec, mstore(3) NATIVE
 * HISTOGRAMS): the most buckets a native histogram keeps per sign, the
 * number it keeps when the spec says 0, and the zero threshold it gets when
 * the spec says 0 (client_golang's DefNativeHistogramZeroThreshold, 2^-128:
 * Prometheus 2.42 takes an empty native histogram whose threshold is 0 for
 * a classic one). */
#define MSTORE_NATIVE_BUCKETS_MAX        512
#define MSTORE_NATIVE_DEF_BUCKETS        160
#define MSTORE_NATIVE_DEF_ZERO_THRESHOLD 0x1p-128

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

/*
 * Every result code, as X(name, value, errno, message): a failing function
 * returns value and sets errno to the errno column (MSTORE_E_SYS leaves the
 * errno of the system call that failed: print strerror(errno) for it);
 * mstore_strerror() returns the message.  enum mstore_error and the
 * library's message table are both generated from this list.  Values never
 * change meaning; a new code takes the next negative value and becomes
 * MSTORE_E_LAST (the library's build checks both).
 */
#define MSTORE_ERROR_MAP(X)                                                                       \
	X(MSTORE_OK, 0, 0, "success")                                                             \
	X(MSTORE_E_SYS, -1, 0, "system call failed")                                              \
	/* NULL argument, option out of range, non-zero reserved field */                         \
	X(MSTORE_E_INVAL, -2, EINVAL, "invalid argument")                                         \
	/* the naming rules, one code per rule: mstore(3), NAMING RULES */                        \
	X(MSTORE_E_NAME, -3, EINVAL, "invalid metric name (want [a-zA-Z_][a-zA-Z0-9_]*, no ':')") \
	X(MSTORE_E_LABEL_NAME, -4, EINVAL, "invalid label name")                                  \
	X(MSTORE_E_RESERVED, -5, EINVAL,                                                          \
	  "reserved name (\"__\" prefix, a label \"le\" or \"quantile\", or \"writer\" in a "     \
	  "per-writer family)")                                                                   \
	/* a family whose sample names clash with another family's (mstore_family_clash() */      \
	/* names it), or a label name twice */                                                    \
	X(MSTORE_E_DUPLICATE, -6, EEXIST, "name clashes with a registered family's names")        \
	/* a string longer than its MSTORE_*_MAX */                                               \
	X(MSTORE_E_TOO_LONG, -7, ENAMETOOLONG, "string too long")                                 \
	X(MSTORE_E_TOO_MANY, -8, E2BIG, "too many labels or buckets")                             \
	X(MSTORE_E_BUCKETS, -9, EINVAL, "bucket bounds not finite and strictly increasing")       \
	X(MSTORE_E_LABEL_VALUE, -10, EINVAL,                                                      \
	  "label value not valid UTF-8, or wrong number of values")                               \
	X(MSTORE_E_NO_FAMILY_SPACE, -11, ENOSPC, "store full: no family space")                   \
	X(MSTORE_E_NO_SERIES_SPACE, -12, ENOSPC, "store full: no series space")                   \
	X(MSTORE_E_NO_STRING_SPACE, -13, ENOSPC, "store full: no string space")                   \
	X(MSTORE_E_NO_VALUE_SPACE, -14, ENOSPC, "store full: no value slots")                     \
	X(MSTORE_E_NEGATIVE, -15, EDOM, "counter cannot decrease (negative or NaN increment)")    \
	X(MSTORE_E_TYPE, -16, EINVAL, "operation does not match the metric type")                 \
	/* reader side: the file */                                                               \
	X(MSTORE_E_TRUNCATED, -17, EBADMSG, "store file truncated")                               \
	X(MSTORE_E_MAGIC, -18, EBADMSG, "not a store file (bad magic)")                           \
	X(MSTORE_E_VERSION, -19, EBADMSG, "unsupported store format version")                     \
	X(MSTORE_E_ABI, -20, EBADMSG, "store written with another byte order or ABI")             \
	/* an offset, count or length points outside its region or the file */                    \
	X(MSTORE_E_BOUNDS, -21, EBADMSG, "store offset or size out of bounds")                    \
	/* content invalid: a bad name, an unterminated string, a cycle, ... */                   \
	X(MSTORE_E_CORRUPT, -22, EBADMSG, "store content corrupt")                                \
	X(MSTORE_E_RETRY, -23, EAGAIN, "no consistent snapshot: writer kept changing the series") \
	/* writer side again */                                                                   \
	X(MSTORE_E_UNIT, -24, EINVAL, "invalid unit, or metric name lacks the unit suffix")       \
	/* a directory, FIFO, device ... at the store path */                                     \
	X(MSTORE_E_NOT_REGULAR, -25, EBADMSG, "not a regular file")                               \
	/* more naming rules (promtool check metrics refuses these names) */                      \
	X(MSTORE_E_NAME_CASE, -26, EINVAL, "camelCase metric or label name: use snake_case")      \
	X(MSTORE_E_COUNTER_TOTAL, -27, EINVAL, "counter name must end in \"_total\"")             \
	X(MSTORE_E_SUFFIX, -28, EINVAL,                                                           \
	  "name ends in another type's suffix (\"_total\": counters; \"_bucket\", \"_count\", "   \
	  "\"_sum\": histograms)")                                                                \
	X(MSTORE_E_NAME_TYPE, -29, EINVAL,                                                        \
	  "metric name contains a type (\"_counter\", \"_gauge\", \"_histogram\", \"_summary\")") \
	X(MSTORE_E_BASE_UNIT, -30, EINVAL,                                                        \
	  "metric name has a non-base unit (use seconds, bytes, meters, grams ...)")              \
	X(MSTORE_E_UNIT_ABBREV, -31, EINVAL,                                                      \
	  "metric name has an abbreviated unit (\"_s\", \"_ms\", \"_kb\" ...): spell it out")     \
	/* several writer processes */                                                            \
	X(MSTORE_E_CONFLICT, -32, EEXIST,                                                         \
	  "a family of this name is registered with another definition (type, help, unit, "       \
	  "labels, buckets, per-writer mode or exemplars)")                                       \
	X(MSTORE_E_NO_WRITER, -33, EUSERS,                                                        \
	  "no free writer slot: max_writers processes write the store already")                   \
	/* exemplars: the update itself was counted (mstore_counter_add_exemplar()) */            \
	X(MSTORE_E_EXEMPLAR, -34, EINVAL,                                                         \
	  "invalid exemplar (label name, a name twice, more than 16 labels, a value not UTF-8, "  \
	  "a negative time or a NaN value); the update was counted without it")                   \
	X(MSTORE_E_EXEMPLAR_LONG, -35, ENAMETOOLONG,                                              \
	  "exemplar labels longer than 128 characters (names and values together); the update "   \
	  "was counted without it")                                                               \
	X(MSTORE_E_NO_EXEMPLARS, -36, EINVAL,                                                     \
	  "the family was registered without exemplars; the update was counted without it")       \
	/* removable series */                                                                    \
	X(MSTORE_E_REMOVED, -37, EIDRM, "the series was removed")                                 \
	X(MSTORE_E_LIMIT, -38, EDQUOT, "the family has its maximum number of series")

#define MSTORE_ERROR_ENUM_(name, value, errno_value, message) name = value,
enum mstore_error { MSTORE_ERROR_MAP(MSTORE_ERROR_ENUM_) };
#undef MSTORE_ERROR_ENUM_
/* The most negative code; other modules number their own codes below it. */
#define MSTORE_E_LAST MSTORE_E_LIMIT

/* The message of an MSTORE_E_* code, or "unknown mstore error"; never NULL. */
const char *mstore_strerror(int code);

enum mstore_type {
	MSTORE_COUNTER = 1,
	MSTORE_GAUGE = 2,
	MSTORE_HISTOGRAM = 3,
};

/*
 * How a family combines the values of several writer processes.  Shared
 * (the default): one value, updated by every writer (counters add up,
 * gauges take the last set).  Per-writer: every writer process has a value
 * of its own in each series, and readers combine the values of the writers
 * that are alive, so a worker that dies or exits takes its part with it
 * (the "+1 in flight" of a worker killed mid-request disappears):
 *   SUM, MAX, MIN  one sample: the sum, largest or smallest of the live
 *                  writers' values (gauges only: over the live writers, a
 *                  counter's would fall when one exits);
 *   ALL            one sample per live writer, with the extra label
 *                  writer="<slot>" (the writer slot, not the pid: a
 *                  restarted worker reuses a slot, and its series); gauges
 *                  and counters (each writer's counter resets when its
 *                  process restarts, which Prometheus understands).
 * A writer that never set a value in a series does not count; a series
 * that no live writer has set is not exposed.  Histograms are shared.
 */
enum mstore_per_writer {
	MSTORE_SHARED = 0,
	MSTORE_PER_WRITER_SUM = 1,
	MSTORE_PER_WRITER_MAX = 2,
	MSTORE_PER_WRITER_MIN = 3,
	MSTORE_PER_WRITER_ALL = 4,
};

/*
 * What writers recovered after other writers died, counted in the store
 * (struct mstore_info), as X(name, label): writer slots of dead processes
 * cleaned up, histograms a writer left locked, counter shards it owned,
 * registrations it left halfway, finished or undone, exemplar records it
 * left half written (emptied), removals it left halfway, finished.
 */
#define MSTORE_RECOVERY_MAP(X)                             \
	X(MSTORE_RECOVERY_SLOT, "writer_slot")             \
	X(MSTORE_RECOVERY_HISTOGRAM, "histogram")          \
	X(MSTORE_RECOVERY_SHARD, "counter_shard")          \
	X(MSTORE_RECOVERY_FORWARD, "registration_forward") \
	X(MSTORE_RECOVERY_BACK, "registration_back")       \
	X(MSTORE_RECOVERY_EXEMPLAR, "exemplar")            \
	X(MSTORE_RECOVERY_REMOVAL, "removal")

#define MSTORE_RECOVERY_ENUM_(name, label) name,
enum mstore_recovery { MSTORE_RECOVERY_MAP(MSTORE_RECOVERY_ENUM_) MSTORE_RECOVERY_KINDS };
#undef MSTORE_RECOVERY_ENUM_

/* The label of a recovery kind ("writer_slot" ...), or NULL. */
const char *mstore_recovery_name(enum mstore_recovery kind);

/*
 * Registrations the store refused, counted in the store (struct
 * mstore_info), as X(name, label): the store was full (no room for the
 * family or series record, its value slots or its strings), or the family
 * had its max_series series (the registration failed with MSTORE_E_LIMIT,
 * or went to the family's overflow series).
 */
#define MSTORE_REFUSAL_MAP(X)                \
	X(MSTORE_REFUSED_FULL, "store_full") \
	X(MSTORE_REFUSED_LIMIT, "family_limit")

#define MSTORE_REFUSAL_ENUM_(name, label) name,
enum mstore_refusal { MSTORE_REFUSAL_MAP(MSTORE_REFUSAL_ENUM_) MSTORE_REFUSAL_KINDS };
#undef MSTORE_REFUSAL_ENUM_

/* The label of a refusal reason ("store_full" ...), or NULL. */
const char *mstore_refusal_name(enum mstore_refusal kind);

/* ------------------------------------------------------------------ */
/* Writer                                                              */
/* ------------------------------------------------------------------ */

/*
 * Writers.  The writer functions may be called concurrently from any
 * threads of a writer process, and from several processes at once:
 *   - the process that creates the store (mstore_create());
 *   - unrelated processes that attach to it (mstore_attach()), e.g. a CLI
 *     tool adding to the daemon's figures;
 *   - children forked from any of them, through the handles they inherited.
 * Each writer process holds a writer slot (at most max_writers at once; see
 * struct mstore_options): its identity, its heartbeat, and the owner of its
 * per-writer values.  A process claims it when it creates or attaches; a
 * forked child claims its own on its first call that needs one
 * (registration does not; a heartbeat, a histogram observation, a
 * per-writer update and a counter's first update in the child do), so a
 * fork() that only execs costs no slot.  Slots are given back by
 * mstore_close() and, when a writer dies (SIGKILL, OOM), found and cleaned
 * up by the other writers, which also finish or undo what it left halfway:
 * a registration, a histogram observation (whose _sum may then miss or
 * include that one observation), counter shards.  Nothing a writer does
 * can wedge or corrupt the store for the others, however it dies.
 *
 * Across fork(): the child keeps every store, family and series handle and
 * may use them in any thread (the library's pthread_atfork handlers keep
 * its internal locks consistent, and give the child's store handles file
 * descriptions of their own, so the parent's locks never depend on the
 * child).  What is not allowed: calling fork() from a signal handler that
 * interrupted a library call (the fork handlers take the library's locks);
 * closing the lock file's descriptor behind the library's back (e.g.
 * closefrom(3) in a daemon; it drops the writer's locks, and the others
 * then take it for dead); vfork() children that call the library; and,
 * with max_writers 1, histogram observations, per-writer updates and
 * heartbeats in the child (its parent holds the only slot: E_NO_WRITER;
 * counters and shared gauges still work).  A child that writes must be
 * able to open the store's lock file path.lock O_RDWR (the fork handler
 * reopens it through /proc/self/fd, else the child reopens it by path): a
 * parent that drops privileges before fork() keeps that access for its
 * children.  A child that cannot has no writer slot: its registrations,
 * histogram observations, per-writer updates and heartbeats fail with
 * E_SYS (errno from that open, remembered: no retry), while its counters
 * and shared gauges still work.
 *
 * The file lives on a local file system (tmpfs, ext4 ...): the writers'
 * locks are Linux OFD locks (Linux 3.15 or later), which do not cross
 * hosts.  They live in the lock file PATH.lock beside the store, created
 * by the first writer (mode: the store's write permissions as read and
 * write permissions, so that only writers may open it; 0640 -> 0600) and
 * never removed: a writer needs read-write access to it (and to the
 * directory, to create it).
 */
struct mstore;        /* a store open for writing */
struct mstore_family; /* a registered family; owned by its store */
struct mstore_series; /* a series handle; owned by its store */

/* Store flags. */
#define MSTORE_F_STATIC 0x1u /* no heartbeat expected: never reported stale */

/*
 * Capacity and options for mstore_create().  Zero-initialise the whole
 * struct (= { 0 }, a designated initializer or memset) and set the fields
 * you need: a zero field takes its default, and the reserved words must
 * stay zero (E_INVAL otherwise), so that later versions can give them
 * meanings whose zero is today's behaviour without changing the struct's
 * size.  Defaults: max_families 256, max_series 4096, value_slots
 * 8 * max_series, string_bytes 256 KiB, mode 0666 (filtered by the
 * umask), tick_interval_ms 1000, max_writers 1 (a single writer process).
 * A counter takes 6 value slots, a gauge 1, a histogram with B finite
 * bounds B + 4, a per-writer series max_writers, exemplars 68 per counter
 * series or histogram bucket more: size value_slots with
 * mstore_value_slots() and mstore_exemplar_slots().  max_writers is the number of writer processes
 * that may write at once (up to MSTORE_MAX_WRITERS): a pre-fork server
 * needs its workers, plus its master if the master writes, plus room for
 * a worker that is being replaced (a killed worker's slot is free again
 * once another writer's heartbeat found it dead, within two or three ticks).
 * reuse_delay_ms is how long the room of a removed series (its record,
 * value slots and strings) is held before a new series may take it
 * (default 2000; see mstore_series_remove() for why).  A label value takes
 * a block of string bytes of the next power of two above its length (at
 * least 8 bytes), a family's strings likewise.
 */
struct mstore_options {
	uint32_t max_families;
	uint32_t max_series;
	uint32_t value_slots;
	uint32_t string_bytes;
	mode_t mode;               /* file mode; 0 = 0666 & ~umask */
	uint32_t flags;            /* MSTORE_F_* */
	uint32_t tick_interval_ms; /* how often the writer promises to heartbeat */
	uint32_t max_writers;      /* writer processes at once; 0 = 1 */
	uint32_t reuse_delay_ms;   /* a removed series' room is held this long; 0 = 2000 */
	uint32_t reserved32;       /* zero */
	uint64_t reserved[7];      /* zero: room for later options */
};

/*
 * Value slots one shared series of this type needs (see struct
 * mstore_options; a per-writer series needs max_writers).  nbounds counts
 * finite bounds (histograms only).  Returns 0 for an unknown type or
 * nbounds > MSTORE_MAX_BUCKETS.
 */
uint32_t mstore_value_slots(enum mstore_type type, size_t nbounds);

/*
 * Value slots one series of a native histogram needs: nbounds classic
 * bounds (0 for a native-only histogram) and a native histogram keeping
 * max_buckets buckets per sign (0: MSTORE_NATIVE_DEF_BUCKETS), the spec's
 * native_max_buckets.  That is nbounds + 4 for the classic part, and
 * 13 + 4 * max_buckets for the native one (the buckets of both signs,
 * twice: mstore(3) says why), 653 for 160 buckets.  Returns 0 when nbounds
 * > MSTORE_MAX_BUCKETS or max_buckets > MSTORE_NATIVE_BUCKETS_MAX.
 */
uint32_t mstore_native_value_slots(size_t nbounds, uint32_t max_buckets);

/*
 * Create a new store at path: the file is built as "path.tmp.PID", sized to
 * its full capacity and renamed over path, so a reader sees either the old
 * file or the complete new one (writers still attached to an old file keep
 * writing to it, unseen: create replaces a store, attach joins one).
 * Before that it removes leftover "path.tmp.PID" regular files of processes
 * that no longer exist (a writer killed inside mstore_create); symlinks and
 * other names are left alone.  The calling process becomes the store's
 * first writer (after opening, or creating, the lock file path.lock, which
 * is never removed; see above): it claims writer slot 0, with its pid, start time, tick
 * interval and a first heartbeat.  opts may be NULL (defaults).
 * Returns the store, or NULL with *err set: E_SYS (errno from open,
 * ftruncate, mmap, fcntl (EINVAL: a kernel without OFD locks), rename,
 * malloc, or ENOMEM: the library's fork handlers could not be installed), E_INVAL (path NULL or empty, a capacity, mode or flag out of
 * range, a reserved word not zero).
 */
struct mstore *mstore_create(const char *path, const struct mstore_options *opts, int *err);

/*
 * Attach to the existing store at path as one more writer process: open it
 * read-write, check it as a reader would (E_MAGIC, E_VERSION ... for a file
 * that is not a store of this format), open (or create) its lock file
 * path.lock read-write, and claim a free writer slot.
 * Families and series registered by any writer are found by registering
 * them again (same definition, same family; same labels, same series).
 * opts may be NULL; only tick_interval_ms (this writer's heartbeat
 * interval; 0: 1000) is read from it, every other field must be zero (the
 * file fixes capacities, mode, flags and max_writers).  Returns the store,
 * or NULL with *err set: E_SYS (open, fstat, mmap, fcntl, malloc, fork
 * handlers as for mstore_create()),
 * E_INVAL, E_NOT_REGULAR (also: path.lock is not a regular file), E_TRUNCATED, E_MAGIC, E_VERSION, E_ABI,
 * E_BOUNDS, E_CORRUPT, E_NO_WRITER (max_writers processes write it).
 */
struct mstore *mstore_attach(const char *path, const struct mstore_options *opts, int *err);

/*
 * Give back this process's writer slot (readers stop counting it as a live
 * writer at once, and drop its per-writer values), its counter shards and
 * its locks; unmap and free the handle.  The file stays (readers keep
 * serving the last values; they see it as stale once no writer's heartbeat
 * is younger than the limit, unless it is static).  In a
 * forked child that never claimed a slot of its own, only the child's
 * handle is freed.  All family and series handles of the store become
 * invalid.  Accepts NULL.
 */
void mstore_close(struct mstore *st);

/*
 * Stamp this writer's heartbeat with the current time (CLOCK_BOOTTIME,
 * which wall clock steps do not move: mstore_layout.h says why); call it
 * every tick.  It also updates the process metrics when they are on
 * (mstore_process_metrics()), and does the store's upkeep: it cleans up
 * after writers that died (their heartbeat is late and the kernel no
 * longer holds their lock) and finishes a registration one of them left
 * halfway.  Without dead writers it makes no system call beyond reading
 * the clock (and /proc for process metrics; when that fails they keep
 * their last values), unless a live writer's heartbeat is over two of its
 * ticks late (then one fcntl per such writer).  Errors: E_INVAL (st NULL),
 * E_SYS (clock_gettime, fcntl, open of the store in a forked child),
 * E_NO_WRITER (a forked child found no free slot).
 */
int mstore_heartbeat(struct mstore *st);

/*
 * Register the standard process metrics of the calling process and update
 * them at every mstore_heartbeat(): process_cpu_seconds_total,
 * process_resident_memory_bytes, process_virtual_memory_bytes,
 * process_open_fds, process_max_fds and process_start_time_seconds, read
 * from /proc/self.  With max_writers 1 they are shared families without
 * labels, as a single-writer program always had them; with more, each
 * writer process has its own series, labelled writer="<slot>"
 * (MSTORE_PER_WRITER_ALL), so that restarts reuse series instead of
 * adding them.  Any writer process may call it; each one that does
 * publishes its own figures (a series has no value, and is not exposed,
 * while /proc/self cannot be read).  Takes 6 families, and 6 series times
 * 1 or max_writers value slots.  Errors: as mstore_family_register().
 */
int mstore_process_metrics(struct mstore *st);

/*
 * A family's definition, for mstore_family_register().  Zero-initialise it,
 * set size to sizeof(struct mstore_family_spec) (later versions of the
 * library add fields at the end and read only the first size bytes, so a
 * program built against this header keeps working), then the fields:
 *   type         MSTORE_COUNTER, MSTORE_GAUGE or MSTORE_HISTOGRAM
 *   name         follows the naming rules of mstore(3) (NAMING RULES),
 *                which refuse every name that `promtool check metrics` or
 *                a strict OpenMetrics parser would reject:
 *                [a-zA-Z_][a-zA-Z0-9_]* (no ':'), no "__" prefix,
 *                snake_case, a counter's name ends in "_total" (its samples
 *                carry that name in every format) and no other type's does,
 *                a gauge's does not end in "_bucket", "_count" or "_sum", no
 *                type in the name ("_gauge"), base units ("_seconds", not
 *                "_milliseconds"), no abbreviated units ("_ms").
 *   help         any UTF-8 text (NULL: empty; renderers then write a
 *                placeholder)
 *   unit         NULL or "" for none, else [a-zA-Z0-9_]+ and the name must
 *                end in "_<unit>" (or "_<unit>_total" for counters), as
 *                OpenMetrics requires
 *   label_names  nlabels valid label names ([a-zA-Z_][a-zA-Z0-9_]*,
 *                snake_case, no "__" prefix, not "le" or "quantile", not
 *                "writer" in a MSTORE_PER_WRITER_ALL family, no duplicates)
 *   bounds       histograms only: nbounds finite, strictly increasing
 *                upper bounds; +Inf is implicit
 *   per_writer   enum mstore_per_writer (0: shared)
 *   max_series   the most series the family may have at once (0: no
 *                limit but the store's capacity), so that a label whose
 *                values explode cannot fill the store (or Prometheus)
 *   on_limit     what a registration of one more series gets: with
 *                MSTORE_LIMIT_REFUSE (0) mstore_series_get() fails with
 *                MSTORE_E_LIMIT; with MSTORE_LIMIT_OVERFLOW (a family
 *                with labels only) it returns the family's overflow
 *                series instead, whose label values are all
 *                MSTORE_OVERFLOW_VALUE and which does not count towards
 *                max_series.  Either way the refusal is counted
 *                (MSTORE_REFUSED_LIMIT).
 *   exemplars    1: keep exemplars (mstore_counter_add_exemplar()); each
 *                series then takes mstore_exemplar_slots() more value slots
 * and, for a histogram that is also a native histogram (the Prometheus
 * "Native histograms" specification; the names and defaults are
 * client_golang's NativeHistogram* options; mstore(3), NATIVE HISTOGRAMS):
 *   native_factor       > 1: a native histogram whose bucket bounds grow
 *                       by at most this factor from one bucket to the
 *                       next: the schema is the coarsest of -4..8 that
 *                       does (1.1 gives 3, 2 gives 0); 0: none (classic
 *                       buckets only, and the other native fields 0)
 *   native_max_buckets  buckets kept per sign (a window of consecutive
 *                       bucket indices, 1..MSTORE_NATIVE_BUCKETS_MAX;
 *                       0: MSTORE_NATIVE_DEF_BUCKETS); an observation
 *                       beyond it resets, widens the zero bucket or
 *                       halves the resolution, in that order
 *   native_zero_threshold  observations with |v| at most this go into the
 *                       zero bucket (0: MSTORE_NATIVE_DEF_ZERO_THRESHOLD;
 *                       negative: exactly 0)
 *   native_max_zero_threshold  how far the zero bucket may widen (values
 *                       at or below the zero threshold, 0 included: never)
 *   native_min_reset_ns  reset the whole histogram, rather than lower its
 *                       resolution, when this long has passed since its
 *                       last reset (0: never reset); a histogram whose
 *                       resolution was lowered returns to its configured
 *                       one at its first observation after that time
 * A family with native buckets keeps its classic ones (nbounds of them, 0
 * for none) beside them: scrapers of the text formats get the classic
 * histogram (a native-only family: its +Inf bucket, _sum and _count, as
 * client_golang shows it), protobuf scrapers both.
 */
enum mstore_limit_mode {
	MSTORE_LIMIT_REFUSE = 0,
	MSTORE_LIMIT_OVERFLOW = 1,
};

/* Every label value of a family's overflow series (see on_limit). */
#define MSTORE_OVERFLOW_VALUE "__overflow__"

struct mstore_family_spec {
	size_t size; /* sizeof(struct mstore_family_spec) */
	enum mstore_type type;
	const char *name;
	const char *help;
	const char *unit;
	size_t nlabels;
	const char *const *label_names;
	size_t nbounds;
	const double *bounds;
	enum mstore_per_writer per_writer;
	/* native histograms (format 6) */
	double native_factor;
	uint32_t native_max_buckets;
	double native_zero_threshold;
	double native_max_zero_threshold;
	int64_t native_min_reset_ns;
	/* exemplars (format 7): 1: keep the latest exemplar of each series
	 * (counters) or each classic bucket (histograms, native ones too);
	 * shared counters and histograms only.  0: none, and no room taken
	 * for them. */
	int exemplars;
	/* removable series (format 8) */
	uint32_t max_series;
	enum mstore_limit_mode on_limit;
};

/*
 * Register a family, or find the one registered with the same definition
 * (in this process or another writer process of the store): every field of
 * the spec equal.  Strings are copied; the caller keeps ownership of its
 * arguments.  A family may not share a name with another one: each
 * occupies its name and, for a counter x_total, x, x_total and x_created;
 * for a histogram x, x, x_bucket, x_count, x_sum and x_created (the names
 * of its samples in every format, and what OpenMetrics reserves).
 * mstore_family_clash() tells which family a refused one clashes with.
 * On success *out is the family handle (valid until mstore_close()).
 * Errors: E_INVAL (a NULL argument, spec->size too small or unknown fields
 * not zero, help not UTF-8, a per-writer mode the type does not take,
 * exemplars not 0 or 1, or 1 for a gauge or a per-writer family, an
 * unknown on_limit, MSTORE_LIMIT_OVERFLOW without labels),
 * E_NAME, E_RESERVED, E_NAME_CASE, E_COUNTER_TOTAL, E_SUFFIX, E_NAME_TYPE,
 * E_BASE_UNIT, E_UNIT_ABBREV, E_LABEL_NAME, E_DUPLICATE (the names clash
 * with a registered family's, or a label name twice), E_CONFLICT (a family
 * of this name exists with another definition), E_TOO_LONG, E_TOO_MANY
 * (also native_max_buckets above MSTORE_NATIVE_BUCKETS_MAX), E_BUCKETS,
 * E_UNIT, E_NO_FAMILY_SPACE, E_NO_STRING_SPACE, E_SYS (ENOMEM, a failed
 * mutex lock, or the registration lock's fcntl).  Native fields on a
 * counter or gauge, or out of range (a factor not above 1, a NaN or
 * infinite threshold, a negative limit or duration), are E_INVAL.  The
 * definition compared is the one they resolve to: factors that give the
 * same schema, and defaults spelled out, make the same family.
 */
int mstore_family_register(struct mstore *st, const struct mstore_family_spec *spec,
                           struct mstore_family **out);

/* The same for a shared family of each type, with positional arguments
 * (mstore_family_register() with the corresponding spec). */
int mstore_counter_family(struct mstore *st, const char *name, const char *help, const char *unit,
                          size_t nlabels, const char *const *label_names,
                          struct mstore_family **out);
int mstore_gauge_family(struct mstore *st, const char *name, const char *help, const char *unit,
                        size_t nlabels, const char *const *label_names, struct mstore_family **out);
int mstore_histogram_family(struct mstore *st, const char *name, const char *help, const char *unit,
                            size_t nlabels, const char *const *label_names, size_t nbounds,
                            const double *bounds, struct mstore_family **out);

/*
 * Which registered family clashes with a family of type type named name,
 * the reason a registration of it fails with MSTORE_E_DUPLICATE or
 * MSTORE_E_CONFLICT?  Returns 1 and copies that family's name into buf
 * (NUL-terminated, cut to cap - 1 bytes; MSTORE_NAME_MAX + 1 always fits;
 * buf may be NULL when cap is 0), 0 if none clashes (a duplicate label
 * name, or the family was not registered), or a negative code: E_INVAL (st
 * or name NULL, an unknown type), E_TOO_LONG.
 * Only reads the store: it may also ask before registering.
 *   if (rc == MSTORE_E_DUPLICATE &&
 *       mstore_family_clash(st, MSTORE_COUNTER, name, other, sizeof other) == 1)
 *           fprintf(stderr, "%s: clashes with %s\n", name, other);
 */
int mstore_family_clash(struct mstore *st, enum mstore_type type, const char *name, char *buf,
                        size_t cap);

/*
 * Get the series of family fam for the given label values (exactly as many
 * as the family has label names; NULL when it has none).  The first call
 * for a set of values, in any writer process, creates the series (value 0;
 * per-writer: no value) and publishes it; later calls, in any process,
 * return it.  Values must be valid UTF-8 without NUL bytes, at most
 * MSTORE_LABEL_VALUE_MAX bytes; they are copied.  Every call for the same
 * live series in a process returns the same handle, valid until
 * mstore_series_free() was called as often as mstore_series_get() returned
 * it, or mstore_close().  Keep the handle: looking it up costs a hash and a
 * comparison (and, the first time in a process, the registration lock),
 * updating through it one atomic operation.
 * Returns 0, or 1 when the family has its max_series series and asked for
 * MSTORE_LIMIT_OVERFLOW: *out is then the family's overflow series.
 * Errors: E_INVAL, E_LABEL_VALUE, E_TOO_LONG, E_LIMIT (the family has its
 * max_series series), E_NO_SERIES_SPACE, E_NO_VALUE_SPACE,
 * E_NO_STRING_SPACE (every room taken, or held for a series removed less
 * than reuse_delay_ms ago), E_SYS (ENOMEM, a failed mutex lock, or the
 * registration lock's fcntl).
 */
int mstore_series_get(struct mstore_family *fam, const char *const *label_values,
                      struct mstore_series **out);

/*
 * Remove series from the store, from any writer process: readers stop
 * showing them at once (a scrape in progress shows each one whole or not
 * at all), and their room (series record, value slots, strings) is reused
 * by new series once reuse_delay_ms have passed.  A handle of a removed
 * series stays valid memory: every update through it fails with
 * MSTORE_E_REMOVED (errno EIDRM), in every process, also after a new
 * series with the same labels was created (get a new handle for that).
 *   mstore_series_remove()         the series of handle s; E_REMOVED if it
 *                                  was removed already
 *   mstore_series_remove_labels()  family fam's series with these label
 *                                  values: returns 1, or 0 if there is none
 *   mstore_family_remove_matching()  every series of fam whose label values
 *                                  equal the non-NULL ones of label_values
 *                                  (label_values NULL: all): returns how
 *                                  many were removed
 *   mstore_family_clear()          every series of fam: returns how many
 * The family itself stays.  Each series is removed whole or not at all,
 * also when the writer is killed meanwhile (the next writer finishes the
 * removal it left); a writer killed during a removal of several series
 * leaves the ones it had not reached.
 * Updating while a series is removed: an update checks that its series is
 * still there (one load) and then writes without a lock.  An update whose
 * thread is held up between that check and its write (preempted, stopped
 * by a signal or a debugger) for longer than reuse_delay_ms after the
 * removal writes into whatever series took the room meanwhile: one
 * increment, set, add or observation counted in that series (a counter
 * increment that was interrupted between the load and the store of its
 * thread's shard writes the removed counter's shard total plus the
 * increment).  No shorter interruption can, and no update ever tears a
 * histogram reading.
 * Errors: E_INVAL, E_LABEL_VALUE, E_TOO_LONG, E_REMOVED, E_SYS (a failed
 * mutex lock or the registration lock's fcntl; ENOMEM while finishing what
 * a dead writer left).
 */
int mstore_series_remove(struct mstore_series *s);
int mstore_series_remove_labels(struct mstore_family *fam, const char *const *label_values);
int mstore_family_remove_matching(struct mstore_family *fam, const char *const *label_values);
int mstore_family_clear(struct mstore_family *fam);

/*
 * Give back a handle returned by mstore_series_get() (once for each time
 * it was returned): when no call is left, the handle's memory is freed and
 * s must not be used again.  The series stays in the store (remove it with
 * mstore_series_remove() first if it should go).  A program that creates
 * and removes series for ever frees their handles, or its memory grows by
 * one handle per series it ever had.  Accepts NULL.
 */
void mstore_series_free(struct mstore_series *s);

/*
 * Update a series.  No system call, no allocation; counters and gauges take
 * no lock, a histogram observation takes the series' sequence lock, which
 * only other writer threads and processes contend for.  Errors: E_INVAL (s
 * NULL), E_TYPE (s is of another type), E_REMOVED (the series was removed:
 * see mstore_series_remove()), for counter_add E_NEGATIVE (v < 0
 * or NaN; the counter is unchanged), and in a forked child that has no
 * writer slot yet, for observations and per-writer updates, what
 * mstore_heartbeat() returns when it cannot claim one.
 * Counters: up to 4 threads at a time, among all writer processes of the
 * store, own a per-thread shard of every counter (claimed on a thread's
 * first counter update, given back when it exits or its process closes
 * the store or dies) and add whole numbers to it without a locked
 * instruction; other threads, and fractional adds, use atomic
 * read-modify-write operations, correct and slower.  Long-lived worker
 * threads get the most out of it.  Do not update a counter from a signal
 * handler that may interrupt an update of the same counter on the same
 * thread: the interrupted update may overwrite the handler's.
 * mstore_histogram_observe() is not async-signal-safe: from a signal
 * handler that interrupted an observation of the same series on the same
 * thread it would wait for ever for the sequence lock its own thread
 * holds (and a forked child's first observation claims a writer slot,
 * which takes locks).  Do not observe from signal handlers.
 * Per-writer series: set, add and sub change the calling process's own
 * value (a gauge's first add starts from 0), never another writer's.
 * Native histograms: an observation inside the kept buckets costs a few
 * ns more than a classic one; one outside them (the first observations,
 * a new extreme) re-lays the buckets, in time linear in
 * native_max_buckets, and only then, with native_min_reset_ns set, reads
 * the clock (CLOCK_BOOTTIME, without a system call where the vDSO has it).
 */
int mstore_counter_inc(struct mstore_series *s);
int mstore_counter_add(struct mstore_series *s, double v);
int mstore_gauge_set(struct mstore_series *s, double v);
int mstore_gauge_add(struct mstore_series *s, double v);
int mstore_gauge_sub(struct mstore_series *s, double v);
int mstore_histogram_observe(struct mstore_series *s, double v);

/*
 * Exemplars: one concrete event behind an update, typically the trace it
 * belongs to ("this request in the 0.5 s bucket was trace 4bf92f35...").
 * A family registered with exemplars = 1 keeps the latest exemplar of each
 * counter series and of each histogram bucket; OpenMetrics and protobuf
 * scrapes show it after the sample (text 0.0.4 has no exemplars), and a
 * Prometheus run with --enable-feature=exemplar-storage keeps it.
 *   label_names, label_values  nlabels labels (at most MSTORE_MAX_LABELS;
 *                 0: an empty label set), e.g. trace_id and span_id.
 *                 Names [a-zA-Z_][a-zA-Z0-9_]* without a "__" prefix
 *                 (camelCase is fine: Grafana's default is traceID), each
 *                 once; values UTF-8.  Names and values together at most
 *                 MSTORE_EXEMPLAR_CHARS_MAX characters.  Copied.
 *   timestamp_ns  when the event happened, CLOCK_REALTIME ns since the
 *                 epoch (> 0); 0: now (read from the clock, no system call
 *                 on Linux' vDSO).
 * The exemplar's value is the update's: the increment, the observation.
 */
struct mstore_exemplar {
	size_t nlabels;
	const char *const *label_names;
	const char *const *label_values;
	int64_t timestamp_ns;
};

/*
 * Update with an exemplar (ex NULL: exactly the update without one).  The
 * update comes first and counts whenever the same call without ex would:
 * a bad trace id never costs a metric.  When the update fails (E_INVAL,
 * E_TYPE, E_NEGATIVE, ...) nothing happened and no exemplar is kept.  When
 * the update was made but the exemplar cannot be kept, the call returns
 * an error all the same, and the update stands (do not repeat it):
 *   E_EXEMPLAR       a label name or value breaks the rules above, more
 *                    than MSTORE_MAX_LABELS labels, a negative timestamp,
 *                    or a NaN observation (OpenMetrics wants an exemplar's
 *                    value inside its bucket);
 *   E_EXEMPLAR_LONG  names and values longer than MSTORE_EXEMPLAR_CHARS_MAX
 *                    characters together;
 *   E_NO_EXEMPLARS   the family was registered without exemplars;
 *   E_NO_WRITER      (counters) a forked child found no free writer slot
 *                    (an exemplar write needs one, the counter does not);
 *   E_SYS            the clock could not be read (timestamp_ns 0);
 *   E_REMOVED        the series was removed between the update and its
 *                    exemplar (the update counted in the removed series).
 * No allocation and no system call (but the clock read of timestamp_ns 0);
 * an exemplar of a trace and a span id adds about 80 ns to the update
 * (about 25 of them the clock read; doc/performance.md).  When two
 * threads or processes write an exemplar to the same series (bucket) at
 * the same moment, one of the two is kept: the writer that finds the other
 * inside drops its own rather than wait (mstore_layout.h, "Exemplars").
 */
int mstore_counter_inc_exemplar(struct mstore_series *s, const struct mstore_exemplar *ex);
int mstore_counter_add_exemplar(struct mstore_series *s, double v,
                                const struct mstore_exemplar *ex);
int mstore_histogram_observe_exemplar(struct mstore_series *s, double v,
                                      const struct mstore_exemplar *ex);

/*
 * Value slots the exemplars of one series of a family with exemplars take,
 * on top of mstore_value_slots(): 68 for a counter, 68 per bucket (nbounds
 * + 1) for a histogram; 0 for other types or nbounds > MSTORE_MAX_BUCKETS.
 */
uint32_t mstore_exemplar_slots(enum mstore_type type, size_t nbounds);

/* ------------------------------------------------------------------ */
/* Reader                                                              */
/* ------------------------------------------------------------------ */

/*
 * A reader handle belongs to one thread at a time; several handles, in any
 * threads or processes, may read one store.  Readers never write to it.
 */
struct mstore_reader;

/* What the header says about the writers and the store. */
struct mstore_info {
	uint32_t version;      /* format version of the file */
	uint32_t flags;        /* MSTORE_F_* */
	int64_t writer_pid;    /* the process that created the store */
	int64_t start_time_ns; /* CLOCK_REALTIME when the store was created */
	/* CLOCK_BOOTTIME of the latest heartbeat of any writer, in that
	 * writer's boot and time namespace: compare it only through
	 * mstore_reader_liveness(). */
	int64_t heartbeat_ns;
	int64_t tick_interval_ns; /* the creator's promised heartbeat interval */
	/* How full the store is: used and total capacity.  A series, its
	 * value slots and its strings stay used for reuse_delay_ms after the
	 * series was removed; string bytes count whole blocks (see struct
	 * mstore_options). */
	uint32_t families, max_families;
	uint32_t series, max_series;
	uint32_t values_used, value_slots;
	uint32_t strings_used, string_bytes;
	uint64_t file_size;
	uint32_t max_writers;
	/* What writers recovered after others died, by enum mstore_recovery
	 * (only grows while the file exists). */
	uint64_t recoveries[MSTORE_RECOVERY_KINDS];
	/* Registrations refused, by enum mstore_refusal (only grows). */
	uint64_t refused[MSTORE_REFUSAL_KINDS];
};

/*
 * Open a store read-only (O_RDONLY, mmap PROT_READ, MAP_SHARED) and validate
 * its header and every published record.  Returns the reader, or NULL with
 * *err set: E_INVAL (path NULL), E_SYS (errno from open/fstat/mmap, e.g.
 * ENOENT, EACCES, or ENOMEM), E_NOT_REGULAR (a directory, FIFO, device ...:
 * never read, and opening a FIFO does not block), E_TRUNCATED, E_MAGIC,
 * E_VERSION, E_ABI, E_BOUNDS, E_CORRUPT.
 */
struct mstore_reader *mstore_reader_open(const char *path, int *err);

/* Unmap, close and free.  Accepts NULL. */
void mstore_reader_close(struct mstore_reader *r);

/*
 * Check the path again: if the file was replaced (device or inode changed)
 * map the new one; if the mapped file shrank, fail with E_TRUNCATED without
 * touching it.  Then revalidate the header, newly published records and
 * the writer slots, and take the set of live writers (heartbeat within
 * MSTORE_STALE_TICKS of their ticks) whose values per-writer families
 * show until the next refresh.  Returns 0 if the same file is still in use, 1 if it was remapped (or
 * recovered from an earlier error), or a negative code: E_INVAL (r NULL),
 * E_SYS (stat, or the open of a new file), or any code of
 * mstore_reader_open(); the reader then holds no valid mapping and every
 * later call fails with that code until a refresh succeeds.  Views taken
 * before a refresh that returned 1 or an error are invalid.
 */
int mstore_reader_refresh(struct mstore_reader *r);

/* Copy the header's figures.  Errors: E_INVAL, or the last refresh error. */
int mstore_reader_info(const struct mstore_reader *r, struct mstore_info *out);

/*
 * A validated view of one family.  Pointers point into the mapping, are
 * NOT NUL-terminated in general (use the lengths), and stay valid until the
 * next refresh that returns non-zero, or close.
 */
struct mstore_family_view {
	uint32_t index;
	enum mstore_type type;
	const char *name;
	uint32_t name_len;
	const char *help;
	uint32_t help_len;
	const char *unit;
	uint32_t unit_len; /* unit_len 0: no unit */
	uint32_t nlabels;
	const char *label_name[MSTORE_MAX_LABELS];
	uint32_t label_name_len[MSTORE_MAX_LABELS];
	uint32_t nbounds; /* finite bounds; +Inf implicit */
	double bounds[MSTORE_MAX_BUCKETS];
	enum mstore_per_writer per_writer;
	uint32_t _first_series; /* internal: iteration */
	/* A native histogram (histograms only): its configuration, resolved
	 * (struct mstore_family_spec); native_buckets 0: none. */
	uint32_t native_buckets; /* buckets kept per sign */
	int32_t native_schema;   /* -4..8 */
	double native_zero_threshold;
	double native_max_zero_threshold;
	int64_t native_min_reset_ns;
	int exemplars; /* 1: mstore_reader_exemplar() has records */
};

/* A validated view of one series' label values (same validity as above). */
struct mstore_series_view {
	uint32_t index;
	uint32_t family;
	const char *label_value[MSTORE_MAX_LABELS];
	uint32_t label_value_len[MSTORE_MAX_LABELS];
	uint32_t _value_off; /* internal: first value slot */
	uint32_t _next;      /* internal: iteration */
	uint64_t _gen;       /* internal: the series' generation when read */
};

/*
 * One consistent reading of a series.  counter/gauge: value.  histogram:
 * bucket[i] is the CUMULATIVE count of observations <= bounds[i] for
 * i < nbounds, and bucket[nbounds] (+Inf) == count; sum is their sum.
 * Per-writer families: value combines the values of the live writers
 * (SUM, MAX, MIN; ALL: their sum), writers is how many there were (0: no
 * live writer has set the series, which is then not exposed; see
 * mstore_reader_per_writer() for ALL's individual values); shared: 0.
 */
struct mstore_snapshot {
	double value;
	uint64_t count;
	double sum;
	uint64_t bucket[MSTORE_MAX_BUCKETS + 1];
	uint32_t writers;
};

/*
 * The native buckets of a native histogram, as one consistent reading
 * (mstore_reader_native()).  Positive observations v with
 * 2^((i-1)/2^schema) < v <= 2^(i/2^schema) are counted in bucket index i
 * (the upper bound inclusive; negative ones by their magnitude on the
 * negative side), those with |v| <= zero_threshold in zero_count.
 * bucket[s][j] (s: 0 positive, 1 negative) is the count of index
 * offset[s] + j, for first[s] <= j < end[s] (first[s] == end[s]: no
 * bucket of that sign); the count of every other j < nbuckets is 0, and
 * bucket[s][j] there is not written.  The zero count and the bucket counts
 * add up to at most the histogram's count (NaN observations are in no
 * bucket).  Counts are not cumulative.
 */
struct mstore_native_snapshot {
	int32_t schema; /* -4..8 (lower than configured after a reduction) */
	uint32_t nbuckets;
	double zero_threshold; /* >= the configured one (wider after widening) */
	uint64_t zero_count;
	int32_t offset[2];
	uint32_t first[2], end[2]; /* the slots that may be non-zero: [first, end) */
	uint64_t bucket[2][MSTORE_NATIVE_BUCKETS_MAX];
};

/* Number of published families (0 when the reader holds no valid mapping). */
uint32_t mstore_reader_family_count(const struct mstore_reader *r);

/* Fill *out with family i (0 <= i < family_count), validated.
 * Errors: E_INVAL (i out of range, out NULL), the last refresh error,
 * E_BOUNDS, E_CORRUPT. */
int mstore_reader_family(const struct mstore_reader *r, uint32_t i, struct mstore_family_view *out);

/*
 * Iterate the series of a family in the order they were created:
 *   for (rc = mstore_reader_series_first(r, &f, &s); rc == 1;
 *        rc = mstore_reader_series_next(r, &f, &s)) ...
 * Returns 1 with *s filled, 0 at the end, or a negative code: E_INVAL (a
 * NULL or foreign view), the last refresh error, E_BOUNDS, E_CORRUPT (e.g.
 * a cycle or a series of another family), E_RETRY (writers kept removing
 * the series the walk stood on).  A walk returns each series at most once,
 * also while writers remove series and create others in their room; a
 * series created meanwhile may or may not be returned.
 */
int mstore_reader_series_first(const struct mstore_reader *r, const struct mstore_family_view *f,
                               struct mstore_series_view *s);
int mstore_reader_series_next(const struct mstore_reader *r, const struct mstore_family_view *f,
                              struct mstore_series_view *s);

/*
 * Take a consistent snapshot of a series.  Retries a bounded number of
 * times (tens of ms at worst) while a writer is inside the series, then
 * fails with E_RETRY rather than return a torn reading.  Errors: E_INVAL,
 * the last refresh error, E_RETRY, E_CORRUPT (a histogram whose buckets do
 * not add up to its count), E_REMOVED (the series was removed since s was
 * filled: its values may be another series'; skip it).
 */
int mstore_reader_snapshot(const struct mstore_reader *r, const struct mstore_family_view *f,
                           const struct mstore_series_view *s, struct mstore_snapshot *out);

/*
 * A snapshot of a series of a native histogram family (f->native_buckets
 * > 0): its classic part in *out, as mstore_reader_snapshot() gives it, and
 * its native buckets in *native, both from one consistent reading.
 * Errors: those of mstore_reader_snapshot(), E_INVAL (f has no native
 * histogram, native NULL), E_CORRUPT (native buckets that the reader
 * cannot expose: a schema or zero threshold out of range, a bucket
 * outside the schema's indices, counts adding up to more than the count).
 */
int mstore_reader_native(const struct mstore_reader *r, const struct mstore_family_view *f,
                         const struct mstore_series_view *s, struct mstore_snapshot *out,
                         struct mstore_native_snapshot *native);

/*
 * Is series s still the one its view was filled with?  A series may be
 * removed, and its room taken by another, while its label values (which
 * the view points to in the mapping) and values are read: check after
 * copying them, and drop the copy on 0.  Returns 1 (everything read
 * through s since it was filled belongs to that series), 0 (removed:
 * drop it), or a negative code: E_INVAL, the last refresh error.
 */
int mstore_reader_series_check(const struct mstore_reader *r, const struct mstore_series_view *s);

/*
 * The values of a per-writer series one live writer at a time, lowest
 * writer slot first, without allocating:
 *   for (rc = mstore_reader_per_writer(r, &f, &s, 0, &w, &v); rc == 1;
 *        rc = mstore_reader_per_writer(r, &f, &s, w + 1, &w, &v)) ...
 * Finds the first writer slot >= from that was live at the last refresh
 * and has set the series: returns 1 with its slot in *slot and its value in
 * *value, 0 when there is none, or a negative code: E_INVAL (a shared
 * family, a NULL argument or a foreign view), the last refresh error.
 */
int mstore_reader_per_writer(const struct mstore_reader *r, const struct mstore_family_view *f,
                             const struct mstore_series_view *s, uint32_t from, uint32_t *slot,
                             double *value);

/*
 * An exemplar as read (mstore_reader_exemplar()): its value, its time and
 * its labels, which are offsets into text (a copy: the view may be copied
 * and kept), each name and value followed by a NUL.
 */
struct mstore_exemplar_view {
	double value;
	int64_t timestamp_ns; /* CLOCK_REALTIME ns since the epoch, > 0 */
	uint32_t nlabels;
	uint32_t text_len; /* bytes of text used */
	uint16_t name_off[MSTORE_MAX_LABELS], name_len[MSTORE_MAX_LABELS];
	uint16_t value_off[MSTORE_MAX_LABELS], value_len[MSTORE_MAX_LABELS];
	char text[MSTORE_EXEMPLAR_TEXT_MAX];
};

/*
 * The latest exemplar of series s of a family with exemplars: record i is
 * a counter's (i = 0) or a histogram's bucket i (i <= nbounds; nbounds:
 * +Inf).  Returns 1 with *out filled, 0 when there is none now (never
 * written, emptied after its writer died inside, or being written through
 * every bounded retry: a scrape is never failed for an exemplar), or a
 * negative code: E_INVAL (f without exemplars, i out of range, a NULL or
 * foreign view), the last refresh error, E_CORRUPT (a record no correct
 * writer leaves: labels against the rules, a value outside its bucket, a
 * negative counter increment or time), E_REMOVED (the series was removed
 * meanwhile, as for mstore_reader_snapshot()).  The labels, value and time
 * are always those of one write.
 */
int mstore_reader_exemplar(const struct mstore_reader *r, const struct mstore_family_view *f,
                           const struct mstore_series_view *s, uint32_t i,
                           struct mstore_exemplar_view *out);

/* What a reader can tell about the writer from its heartbeat. */
enum mstore_writer_state {
	MSTORE_WRITER_ALIVE = 1,  /* last heartbeat within the limit */
	MSTORE_WRITER_STATIC = 2, /* static store: no heartbeat expected */
	MSTORE_WRITER_STALE = 3,  /* last heartbeat older than the limit */
	/* stamped in another boot of the machine (a store on a persistent
	 * volume read after a reboot) or on another host: its time cannot be
	 * compared with ours, so it proves nothing */
	MSTORE_WRITER_OTHER_BOOT = 4,
	/* more than MSTORE_FUTURE_SLACK_NS ahead of the reader's clock: no
	 * honest writer of this boot stamps that, so it proves nothing */
	MSTORE_WRITER_FUTURE = 5,
};

/* A heartbeat at most this far ahead of the reader's clock counts as just
 * stamped (age 0); further ahead it is MSTORE_WRITER_FUTURE. */
#define MSTORE_FUTURE_SLACK_NS MSTORE_NS_PER_SEC

/* The store's liveness: that of its writer with the youngest heartbeat
 * (one alive writer makes the store alive). */
struct mstore_liveness {
	enum mstore_writer_state state;
	/* How long ago the last heartbeat was stamped, >= 0; 0 when that
	 * cannot be measured (OTHER_BOOT, FUTURE). */
	int64_t age_ns;
	int64_t ahead_ns; /* FUTURE: how far ahead of the reader's clock; else 0 */
	int64_t limit_ns; /* the staleness limit that applied */
	/* Writer slots held (LIVE) whose writer is alive (heartbeat within the
	 * limit; in a static store every held slot), and held ones whose
	 * writer is not (dead and not cleaned up yet, or hung). */
	uint32_t writers_live, writers_stale;
};

/*
 * Is a writer alive?  Fills *out (see above) and returns 1 if the store
 * counts as alive (ALIVE: some writer's last heartbeat is within the limit,
 * whether it still holds its slot or closed the store less than a limit
 * ago; or a static store: STATIC), 0 if not (STALE, OTHER_BOOT, FUTURE), or a
 * negative code: E_INVAL, the last refresh error, E_SYS (clock_gettime),
 * E_CORRUPT (a writer slot with fields no writer or kernel clock
 * produces).  The limit is max_age_ns, or MSTORE_STALE_TICKS of each
 * writer's tick intervals when max_age_ns <= 0.
 * Ages are measured on CLOCK_BOOTTIME, corrected for the time namespaces
 * of the writer and the reader, so stepping the wall clock of either
 * changes nothing (the argument is in mstore_layout.h).
 */
int mstore_reader_liveness(const struct mstore_reader *r, int64_t max_age_ns,
                           struct mstore_liveness *out);

/* mstore_reader_liveness() reduced to its result and the age: 1 alive or
 * static, 0 not, or a negative code; *age_ns (may be NULL) gets age_ns. */
int mstore_reader_fresh(const struct mstore_reader *r, int64_t max_age_ns, int64_t *age_ns);

/* Prometheus' syntax of names: 1 if s[0..len) is a valid metric name
 * ([a-zA-Z_:][a-zA-Z0-9_:]*) or label name ([a-zA-Z_][a-zA-Z0-9_]*), else
 * 0.  Registration applies further rules (see mstore_counter_family()): it
 * refuses ':' and the "__" prefix among others. */
int mstore_valid_metric_name(const char *s, size_t len);
int mstore_valid_label_name(const char *s, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* MSTORE_H */
