/* SPDX-License-Identifier: MIT */
/*
 * mstore.h - publish Prometheus metrics from C through a memory-mapped file.
 *
 * One writer process (the application) creates a store file with a fixed
 * capacity, registers metric families (counter, gauge, histogram) and gets a
 * series handle per set of label values.  Updating a series is an atomic
 * operation on a mapped page: no system call, no lock (histograms take a
 * per-series sequence lock that only writers contend on), no allocation.
 * Any number of reader processes (metrics.fcgi) open the same file read-only,
 * validate it, and take consistent snapshots.  The file is self-describing:
 * readers need no knowledge of the metrics.  Put it on tmpfs (/run, /dev/shm)
 * or on a volume shared with the reader.
 *
 * Why a file and not an HTTP endpoint in the application: the application
 * then runs no server and parses no request; the process that faces the
 * network (behind a web server that does TLS, auth and gzip) can only read
 * the file, so a bug there cannot change a metric; an update costs one
 * atomic instruction and a scrape costs the application nothing.  Why a
 * seqlock: a histogram is many words (buckets, count, sum) that must be read
 * as one moment; the reader cannot write to the file, so it cannot take a
 * lock, but it can notice that a writer was inside and read again.
 *
 * Which metric type to use:
 *   counter    a total that only goes up (requests served, bytes sent, euros
 *              billed).  Query it with rate()/increase().  Name it with the
 *              unit and a "_total" suffix: shop_orders_total.
 *   gauge      a value that goes up and down (open connections, queue depth,
 *              temperature).  Query it as is.
 *   histogram  a distribution of observations (request latency, order value)
 *              counted into fixed buckets; gives quantiles with
 *              histogram_quantile() and averages from _sum/_count.
 * Use base units (seconds, bytes), and keep label values to a small bounded
 * set (method, route, status class): never user ids, URLs with ids, or
 * free-form text, since every distinct value is a new series in the file and
 * in Prometheus.
 *
 * Error convention: every function that can fail returns an int that is 0
 * on success or a negative MSTORE_E_* code, and sets errno to the closest
 * errno value.  Constructors return NULL and store the code in *err (err may
 * be NULL).  mstore_strerror() turns a code into a one-line message.  The
 * library never prints, exits or aborts.
 *
 * Threads: all writer functions may be called concurrently from several
 * threads of the writer process.  A reader handle belongs to one thread at a
 * time.  Only one process may write a given store.
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
/* mstore_reader_fresh()'s default limit: a writer is stale when its last
 * heartbeat is older than this many of its tick intervals. */
#define MSTORE_STALE_TICKS 3

/* Limits enforced at registration (the reader enforces them again). */
#define MSTORE_NAME_MAX        128  /* metric and label names, bytes */
#define MSTORE_HELP_MAX        1024 /* help text, bytes */
#define MSTORE_UNIT_MAX        64   /* unit, bytes */
#define MSTORE_LABEL_VALUE_MAX 512  /* one label value, bytes (UTF-8) */
#define MSTORE_MAX_LABELS      16   /* label names per family */
#define MSTORE_MAX_BUCKETS     64   /* finite bucket bounds per histogram */

/* Error codes (negative return values). */
enum mstore_error {
	MSTORE_OK = 0,
	MSTORE_E_SYS = -1,              /* a system call failed: see errno */
	MSTORE_E_INVAL = -2,            /* bad argument (NULL, bad option) */
	MSTORE_E_NAME = -3,             /* invalid metric name */
	MSTORE_E_LABEL_NAME = -4,       /* invalid label name */
	MSTORE_E_RESERVED = -5,         /* reserved name: "__" prefix, or "le" on a histogram */
	MSTORE_E_DUPLICATE = -6,        /* family name (or a label name within it) already used */
	MSTORE_E_TOO_LONG = -7,         /* a string is longer than its MSTORE_*_MAX */
	MSTORE_E_TOO_MANY = -8,         /* too many labels or buckets */
	MSTORE_E_BUCKETS = -9,          /* bucket bounds not finite and strictly increasing */
	MSTORE_E_LABEL_VALUE = -10,     /* label value not valid UTF-8, or wrong count */
	MSTORE_E_NO_FAMILY_SPACE = -11, /* family table full */
	MSTORE_E_NO_SERIES_SPACE = -12, /* series table full */
	MSTORE_E_NO_STRING_SPACE = -13, /* string space full */
	MSTORE_E_NO_VALUE_SPACE = -14,  /* value slots full */
	MSTORE_E_NEGATIVE = -15,        /* counter decrement (negative or NaN increment) */
	MSTORE_E_TYPE = -16,            /* operation does not match the series' type */
	/* reader side */
	MSTORE_E_TRUNCATED = -17,   /* file shorter than its header says */
	MSTORE_E_MAGIC = -18,       /* not a store file (bad magic) */
	MSTORE_E_VERSION = -19,     /* unsupported format version */
	MSTORE_E_ABI = -20,         /* byte order or type sizes differ from this build */
	MSTORE_E_BOUNDS = -21,      /* an offset, count or length points outside the file */
	MSTORE_E_CORRUPT = -22,     /* content invalid (bad name, unterminated string, ...) */
	MSTORE_E_RETRY = -23,       /* snapshot kept changing: retries exhausted */
	MSTORE_E_UNIT = -24,        /* invalid unit, or the metric name lacks the unit suffix */
	MSTORE_E_NOT_REGULAR = -25, /* the store path is a directory, FIFO, device, ... */
};
#define MSTORE_E_LAST MSTORE_E_NOT_REGULAR

/* A one-line, human-readable message for an MSTORE_E_* code (never NULL). */
const char *mstore_strerror(int code);

enum mstore_type {
	MSTORE_COUNTER = 1,
	MSTORE_GAUGE = 2,
	MSTORE_HISTOGRAM = 3,
};

/* ------------------------------------------------------------------ */
/* Writer                                                              */
/* ------------------------------------------------------------------ */

struct mstore;        /* a store open for writing */
struct mstore_family; /* a registered family; owned by its store */
struct mstore_series; /* a series handle; owned by its store */

/* Store flags. */
#define MSTORE_F_STATIC 0x1u /* no heartbeat expected: never reported stale */

/*
 * Capacity and options for mstore_create().  Zero fields take defaults:
 * max_families 256, max_series 4096, value_slots 8 * max_series,
 * string_bytes 256 KiB, mode 0666 (filtered by the umask), tick_interval_ms
 * 1000.  A counter uses 6 value slots (a shared integer, a fractional part
 * and 4 per-thread shards), a gauge 1, a histogram with B finite bounds
 * B + 4; mstore_value_slots() computes it, so size value_slots with it.
 */
struct mstore_options {
	uint32_t max_families;
	uint32_t max_series;
	uint32_t value_slots;
	uint32_t string_bytes;
	mode_t mode;               /* file mode; 0 = 0666 & ~umask */
	uint32_t flags;            /* MSTORE_F_* */
	uint32_t tick_interval_ms; /* how often the writer promises to heartbeat */
};

/*
 * Value slots one series of this type needs (see struct mstore_options):
 * for sizing value_slots.  nbounds counts finite bounds (histograms only).
 * Returns 0 for an unknown type or nbounds > MSTORE_MAX_BUCKETS.
 */
uint32_t mstore_value_slots(enum mstore_type type, size_t nbounds);

/*
 * Create a new store at path: the file is built as "path.tmp.PID", sized to
 * its full capacity and renamed over path, so a reader sees either the old
 * file or the complete new one.  Before that it removes leftover
 * "path.tmp.PID" regular files of processes that no longer exist (a writer
 * killed inside mstore_create); symlinks and other names are left alone.
 * Records the writer's pid, start time and tick interval, and stamps a
 * first heartbeat.  opts may be NULL (defaults).  Create the store in the
 * process that writes it (see the counter notes below on fork).
 * Returns NULL with *err set (MSTORE_E_SYS: errno from open/ftruncate/mmap/
 * rename; MSTORE_E_INVAL: capacity out of range).
 */
struct mstore *mstore_create(const char *path, const struct mstore_options *opts, int *err);

/*
 * Unmap and free the store handle.  The file stays (readers keep serving the
 * last values; they see it as stale once heartbeats stop).  All family and
 * series handles of the store become invalid.  Accepts NULL.
 */
void mstore_close(struct mstore *st);

/* Stamp the heartbeat with the current time (CLOCK_REALTIME).  Call every
 * tick.  Lock-free. */
int mstore_heartbeat(struct mstore *st);

/*
 * Register a family.  name must match [a-zA-Z_:][a-zA-Z0-9_:]*, must not
 * start with "__"; counter names should end in "_total" (the suffix is
 * stored as given).  help: any UTF-8 text (may be NULL: empty).  unit: NULL
 * or "" for none, else [a-zA-Z0-9_]+ and the name must end in "_<unit>"
 * (or "_<unit>_total" for counters), as OpenMetrics requires.  label_names:
 * nlabels valid label names ([a-zA-Z_][a-zA-Z0-9_]*, no "__" prefix, no
 * duplicates, no "le" for histograms).  bounds (histograms only): nbounds
 * finite, strictly increasing upper bounds; +Inf is implicit.  Strings are
 * copied; the caller keeps ownership of its arguments.
 * On success *out is the family handle (valid until mstore_close()).
 * Errors: E_INVAL, E_NAME, E_LABEL_NAME, E_RESERVED, E_DUPLICATE,
 * E_TOO_LONG, E_TOO_MANY, E_BUCKETS, E_UNIT, E_NO_FAMILY_SPACE,
 * E_NO_STRING_SPACE, E_SYS (ENOMEM).
 */
int mstore_counter_family(struct mstore *st, const char *name, const char *help, const char *unit,
                          size_t nlabels, const char *const *label_names,
                          struct mstore_family **out);
int mstore_gauge_family(struct mstore *st, const char *name, const char *help, const char *unit,
                        size_t nlabels, const char *const *label_names, struct mstore_family **out);
int mstore_histogram_family(struct mstore *st, const char *name, const char *help, const char *unit,
                            size_t nlabels, const char *const *label_names, size_t nbounds,
                            const double *bounds, struct mstore_family **out);

/*
 * Get the series of family fam for the given label values (exactly as many
 * as the family has label names; NULL when it has none).  The first call for
 * a set of values creates the series (value 0) and publishes it; later calls
 * return the same handle.  Values must be valid UTF-8, at most
 * MSTORE_LABEL_VALUE_MAX bytes; they are copied.  Handles stay valid until
 * mstore_close().  Keep the handle: looking it up costs a hash and a
 * comparison, updating through it costs one atomic operation.
 * Errors: E_INVAL, E_LABEL_VALUE, E_TOO_LONG, E_NO_SERIES_SPACE,
 * E_NO_VALUE_SPACE, E_NO_STRING_SPACE, E_SYS (ENOMEM).
 */
int mstore_series_get(struct mstore_family *fam, const char *const *label_values,
                      struct mstore_series **out);

/*
 * Update paths.  All are lock-free (histogram observe takes the series'
 * sequence lock, contended only by other writer threads), allocation-free and
 * safe from any thread of the writer process.  A wrong-typed handle gives
 * E_TYPE; a NULL handle E_INVAL.
 * counter_add rejects v < 0 and NaN with E_NEGATIVE (the counter is unchanged).
 * Counters: up to 4 threads of the writer process at a time each own a
 * per-thread shard of every counter (claimed on the thread's first counter
 * update, given back when it exits) and add whole numbers to it without a
 * locked instruction; other threads, and non-integral adds, use atomic
 * read-modify-write operations.  Long-lived worker threads get the most
 * out of it.  In a process forked from the writer every thread takes the
 * slower path (the parent's threads keep their shards).  Do not update a counter from a
 * signal handler that may interrupt an update of the same counter on the
 * same thread: the interrupted update may overwrite the handler's one.
 */
int mstore_counter_inc(struct mstore_series *s);
int mstore_counter_add(struct mstore_series *s, double v);
int mstore_gauge_set(struct mstore_series *s, double v);
int mstore_gauge_add(struct mstore_series *s, double v);
int mstore_gauge_sub(struct mstore_series *s, double v);
int mstore_histogram_observe(struct mstore_series *s, double v);

/* ------------------------------------------------------------------ */
/* Reader                                                              */
/* ------------------------------------------------------------------ */

struct mstore_reader;

/* What the header says about the writer and the store. */
struct mstore_info {
	uint32_t version; /* format version of the file */
	uint32_t flags;   /* MSTORE_F_* */
	int64_t writer_pid;
	int64_t start_time_ns;    /* CLOCK_REALTIME when the store was created */
	int64_t heartbeat_ns;     /* CLOCK_REALTIME of the last heartbeat */
	int64_t tick_interval_ns; /* the writer's promised heartbeat interval */
	uint32_t families, max_families;
	uint32_t series, max_series;
	uint32_t values_used, value_slots;
	uint32_t strings_used, string_bytes;
	uint64_t file_size;
};

/*
 * Open a store read-only (O_RDONLY, mmap PROT_READ, MAP_SHARED) and validate
 * its header and every published record.  Returns NULL with *err set:
 * E_SYS (errno from open/fstat/mmap, e.g. ENOENT, EACCES), E_NOT_REGULAR
 * (a directory, FIFO, device ...: never read, and opening a FIFO does not
 * block), E_TRUNCATED, E_MAGIC, E_VERSION, E_ABI, E_BOUNDS, E_CORRUPT.
 */
struct mstore_reader *mstore_reader_open(const char *path, int *err);

/* Unmap, close and free.  Accepts NULL. */
void mstore_reader_close(struct mstore_reader *r);

/*
 * Check the path again: if the file was replaced (device or inode changed)
 * map the new one; if the mapped file shrank, fail with E_TRUNCATED without
 * touching it.  Then revalidate the header and newly published records.
 * Returns 0 if the same file is still in use, 1 if it was remapped, or a
 * negative code (the reader then holds no valid mapping: every later call
 * fails until a refresh succeeds).  Views taken before a refresh that
 * returned 1 or an error are invalid.
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
	uint32_t _first_series; /* internal: iteration */
};

/* A validated view of one series' label values (same validity as above). */
struct mstore_series_view {
	uint32_t index;
	uint32_t family;
	const char *label_value[MSTORE_MAX_LABELS];
	uint32_t label_value_len[MSTORE_MAX_LABELS];
	uint32_t _value_off; /* internal: first value slot */
	uint32_t _next;      /* internal: iteration */
};

/*
 * One consistent reading of a series.  counter/gauge: value.  histogram:
 * bucket[i] is the CUMULATIVE count of observations <= bounds[i] for
 * i < nbounds, and bucket[nbounds] (+Inf) == count; sum is their sum.
 */
struct mstore_snapshot {
	double value;
	uint64_t count;
	double sum;
	uint64_t bucket[MSTORE_MAX_BUCKETS + 1];
};

/* Number of published families (0 when the reader holds no valid mapping). */
uint32_t mstore_reader_family_count(const struct mstore_reader *r);

/* Fill *out with family i (0 <= i < family_count), validated.
 * Errors: E_INVAL (i out of range), E_BOUNDS, E_CORRUPT. */
int mstore_reader_family(const struct mstore_reader *r, uint32_t i, struct mstore_family_view *out);

/*
 * Iterate the series of a family in registration order:
 *   for (rc = mstore_reader_series_first(r, &f, &s); rc == 1;
 *        rc = mstore_reader_series_next(r, &f, &s)) ...
 * Returns 1 with *s filled, 0 at the end, or a negative code (E_BOUNDS,
 * E_CORRUPT, e.g. a cycle or a series of another family).
 */
int mstore_reader_series_first(const struct mstore_reader *r, const struct mstore_family_view *f,
                               struct mstore_series_view *s);
int mstore_reader_series_next(const struct mstore_reader *r, const struct mstore_family_view *f,
                              struct mstore_series_view *s);

/*
 * Take a consistent snapshot of a series (see the seqlock protocol in
 * mstore_layout.h).  Retries a bounded number of times while a writer is
 * inside the series, then fails with E_RETRY rather than return a torn
 * reading.  Errors: E_INVAL, E_RETRY, E_CORRUPT.
 */
int mstore_reader_snapshot(const struct mstore_reader *r, const struct mstore_family_view *f,
                           const struct mstore_series_view *s, struct mstore_snapshot *out);

/*
 * Is the writer alive?  Returns 1 if the store is static or the last
 * heartbeat is at most max_age_ns old (max_age_ns <= 0: three tick
 * intervals), 0 if stale, or a negative code.  *age_ns (may be NULL) gets
 * now - heartbeat.
 */
int mstore_reader_fresh(const struct mstore_reader *r, int64_t max_age_ns, int64_t *age_ns);

/* Name validation, shared by writer, reader and tests: 1 if valid. */
int mstore_valid_metric_name(const char *s, size_t len);
int mstore_valid_label_name(const char *s, size_t len);
/* 1 if s[0..len) is valid UTF-8 (no overlongs, no surrogates). */
int mstore_valid_utf8(const char *s, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* MSTORE_H */
