/* SPDX-License-Identifier: MIT */
/*
 * expo.h - render a store snapshot as Prometheus text 0.0.4, OpenMetrics
 * 1.0.0 or the Prometheus protobuf format into a caller-supplied buffer.
 *
 * Pure code: no I/O, no allocation, no global state.  The responder keeps one
 * buffer for its lifetime and calls expo_render() per scrape; when the buffer
 * is too small the call says how many bytes it needs, the caller grows the
 * buffer and calls again.  Output is never partial: on any error the buffer
 * content is undefined and must not be sent.
 *
 * What is rendered, in this order:
 *   1. the responder's own families (struct expo_own, when own != NULL),
 *      all named mstore_exporter_*;
 *   2. every family of the store (when r != NULL), in registration order,
 *      each with its series in registration order.  Store families whose
 *      name starts with "mstore_exporter_" are skipped: that namespace
 *      belongs to the responder, and a clash would make the output invalid.
 *   3. "# EOF" (OpenMetrics only).
 *
 * Format rules applied (see the Prometheus exposition format and the
 * OpenMetrics 1.0 specification):
 *   - text: "# HELP" (escaping \ and newline) then "# TYPE"; no UNIT line.
 *     OpenMetrics: "# TYPE", "# UNIT" (when the family has a unit),
 *     "# HELP" (escaping \, " and newline).  Every family has a HELP line
 *     (promtool wants one): a family registered without help text, or
 *     with blanks only, gets MSTORE_HELP_NONE (mstore_names.h).
 *   - counters: their names end in "_total" (the library requires it),
 *     and their samples carry the registered name in both formats.  Text
 *     uses it for the metadata too; OpenMetrics declares the family
 *     without the "_total".  A counter view without it is MSTORE_E_CORRUPT.
 *   - label values escape \, " and newline; no labels gives no braces.
 *   - histograms: <name>_bucket{labels...,le="b"} with cumulative counts,
 *     le="+Inf" equal to _count, then _sum and _count.  le values: Go's
 *     shortest %g form in text (le="0.005", le="1", le="1e+06"), the
 *     OpenMetrics canonical form in OpenMetrics (le="1.0", le="1e+06").
 *     OpenMetrics forbids a _sum that is not counter-like: when the family
 *     has a negative bucket bound, or a series' sum is negative or NaN, that
 *     series is written without _sum and _count in OpenMetrics (the buckets
 *     carry the same information); text always has them.
 *   - counter and gauge values: shortest round-trip decimal, integers
 *     without a decimal point (fmtnum.h, FMT_VALUE); counts as integers.
 *   - exemplars (families registered with them), OpenMetrics only: after
 *     a counter's _total sample and a histogram's _bucket samples,
 *     " # {name=\"value\",...} value time", label values escaped as
 *     above, the value as FMT_VALUE, the time in seconds with its
 *     nanoseconds (trailing zeros dropped); shown only while the reading
 *     counts something in its record (expo_exemplar()).  Text 0.0.4 has
 *     none.
 *   - families without series still get their metadata lines.
 *
 * The protobuf format (expo_proto.c; the messages of client_model's
 * io/prometheus/client/metrics.proto): one MetricFamily per family, each
 * after its length as a varint, as client_golang writes them:
 *   - name: the registered name, counters included (as in text 0.0.4);
 *     help as it is (no escaping); type COUNTER, GAUGE or HISTOGRAM; unit
 *     (field 5, newer client_model versions) when the family has one;
 *   - one Metric per series: its labels as LabelPairs (raw UTF-8), a
 *     Counter or Gauge value, or a Histogram: sample_count, sample_sum and
 *     one Bucket per finite bound with its cumulative count (the +Inf
 *     bucket is implied by sample_count, as client_golang writes it,
 *     unless it carries an exemplar), and for a native histogram
 *     (mstore_reader_native()) its schema, zero threshold and zero count,
 *     and per sign its spans and deltas (a no-op span when it has no
 *     bucket: expo_proto.h); the text formats show a native histogram's
 *     classic part only (for a native-only one, the +Inf bucket, _sum and
 *     _count, as client_golang's text does); exemplars as Counter.exemplar
 *     and Bucket.exemplar (labels, value, a google.protobuf.Timestamp),
 *     the same the OpenMetrics body shows (a native histogram's: on its
 *     classic buckets);
 *   - a family without series is left out (client_golang leaves out empty
 *     families; Prometheus has nothing to ingest from one).
 */
#ifndef EXPO_H
#define EXPO_H

#include <stddef.h>
#include <stdint.h>

#include "mstore.h"

enum expo_format {
	EXPO_TEXT,        /* text/plain; version=0.0.4 */
	EXPO_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
	EXPO_PROTOBUF,    /* application/vnd.google.protobuf; encoding=delimited */
};

/*
 * Error codes of this module, negative and below every MSTORE_E_* code so
 * that expo_render() can return either kind.
 */
enum expo_error {
	EXPO_E_SPACE = -100, /* buffer too small: *len holds the size needed */
	EXPO_E_INVAL = -101, /* bad argument (NULL len, unknown format, ...) */
};

/* The Content-Type header value for a format (never NULL; the text format
 * for unknown values). */
const char *expo_content_type(enum expo_format f);

/* A one-line message for an EXPO_E_* or MSTORE_E_* code (never NULL). */
const char *expo_strerror(int code);

/*
 * The responder's own families, rendered before the store's:
 *   mstore_exporter_writer_up            gauge   writer_up (1 or 0)
 *   mstore_exporter_store_age_seconds    gauge   store_age_seconds, only
 *                                                when have_store_age
 *   mstore_exporter_build_info           gauge   1, labels version and
 *                                                store_format
 *   mstore_exporter_scrapes_total        counter scrapes
 *   mstore_exporter_scrape_errors_total  counter scrape_errors
 * and, when have_writers (the store could be read):
 *   mstore_exporter_writers              gauge   label state: "live"
 *                                                (writers_live), "stale"
 *                                                (writers_stale)
 *   mstore_exporter_writer_slots         gauge   writers_max
 *   mstore_exporter_writer_recoveries_total
 *                                        counter label kind (one sample per
 *                                                enum mstore_recovery,
 *                                                mstore_recovery_name()):
 *                                                recoveries[kind]
 * and, when have_usage (the store could be read), how full it is:
 *   mstore_exporter_store_used           gauge   label resource (one sample
 *                                                per enum expo_resource,
 *                                                expo_resource_name()):
 *                                                used[resource]
 *   mstore_exporter_store_capacity       gauge   same: capacity[resource]
 *   mstore_exporter_registrations_refused_total
 *                                        counter label reason (one sample per
 *                                                enum mstore_refusal,
 *                                                mstore_refusal_name()):
 *                                                refused[reason]
 * version may be NULL (the package version is used).  store_format is the
 * store format version this build reads.
 */

/* What the usage families count, as X(name, label). */
#define EXPO_RESOURCE_MAP(X)                   \
	X(EXPO_RESOURCE_FAMILIES, "families")  \
	X(EXPO_RESOURCE_SERIES, "series")      \
	X(EXPO_RESOURCE_VALUES, "value_slots") \
	X(EXPO_RESOURCE_STRINGS, "string_bytes")

#define EXPO_RESOURCE_ENUM_(name, label) name,
enum expo_resource { EXPO_RESOURCE_MAP(EXPO_RESOURCE_ENUM_) EXPO_RESOURCES };
#undef EXPO_RESOURCE_ENUM_

/* The label of a resource ("families" ...), or NULL. */
const char *expo_resource_name(enum expo_resource r);
struct expo_own {
	int writer_up;            /* 1: the writer heartbeats (or static) */
	int have_store_age;       /* 0: age unknown, family omitted */
	double store_age_seconds; /* seconds since the last heartbeat */
	const char *version;      /* build_info version label; NULL: PACKAGE_VERSION */
	uint32_t store_format;    /* build_info store_format label */
	uint64_t scrapes;         /* scrapes served, this one included */
	uint64_t scrape_errors;   /* scrapes that failed */
	int have_writers;         /* 0: the writer families are omitted */
	uint32_t writers_live;    /* writer slots held by live writers */
	uint32_t writers_stale;   /* held by writers that stopped heartbeating */
	uint32_t writers_max;     /* writer slots of the store */
	uint64_t recoveries[MSTORE_RECOVERY_KINDS]; /* mstore_info's */
	int have_usage;                             /* 0: the usage families are omitted */
	uint64_t used[EXPO_RESOURCES];              /* in use, by enum expo_resource */
	uint64_t capacity[EXPO_RESOURCES];          /* the store's capacity */
	uint64_t refused[MSTORE_REFUSAL_KINDS];     /* mstore_info's */
};

/*
 * Render the store behind r (NULL: own families only) and own (NULL: none)
 * in format f into buf[0..cap).  buf may be NULL when cap is 0 (a pure size
 * query).  The output is not NUL-terminated.
 *
 * Returns 0 and sets *len to the bytes written, or:
 *   EXPO_E_SPACE  cap was too small; *len is the exact size this rendering
 *                 needed (values can change before the next call: grow with
 *                 some headroom and call again; the needed size is stable
 *                 while the store's schema is);
 *   EXPO_E_INVAL  len is NULL, f is unknown, or buf is NULL with cap > 0;
 *   MSTORE_E_*    the store failed (MSTORE_E_RETRY, MSTORE_E_CORRUPT,
 *                 MSTORE_E_BOUNDS, ...): *len is 0, nothing may be sent.
 * The reader is used read-only but its handle belongs to the calling thread
 * for the duration (see mstore.h).  Never allocates.
 */
int expo_render(const struct mstore_reader *r, enum expo_format f, const struct expo_own *own,
                char *buf, size_t cap, size_t *len);

/*
 * Streaming: where expo_render_stream() writes.  The output goes to
 * buf[len..cap).  Whenever the next piece (the responder's own families, a
 * family's metadata lines, or one whole series) does not fit, the renderer
 * calls flush(k, need) with buf[0..len) holding all output so far that has
 * not been taken.  The sink either takes it (sends it, then sets len to 0)
 * or keeps it, and must leave at least need bytes free at buf[len..cap),
 * growing buf if it has to (buf and cap may change).  need includes 1/8
 * of headroom (values may widen before the piece is written again); the
 * renderer only insists on the piece's size without it.  flush returns 0, or
 * a negative code that ends the render with that code.  A piece is never
 * split: in the text formats every flush ends at a line boundary; in
 * protobuf between two families, or between two series of a family that
 * is larger than the buffer (see expo_render_stream()).  ctx is the sink's
 * own.
 */
struct expo_sink {
	char *buf;
	size_t cap;
	size_t len;
	int (*flush)(struct expo_sink *k, size_t need);
	void *ctx;
};

/*
 * Render like expo_render(), through the sink k: memory stays at one
 * buffer of k->cap bytes however large the store (unless one piece alone
 * is larger: a series, a family's metadata, or the own families, about
 * 2 KB).  Writing starts at k->buf + k->len.
 *
 * Protobuf: a MetricFamily is preceded by its length, so the renderer
 * first measures each family (a pass over its series: label lengths, and
 * for histograms a snapshot), then writes it.  A family that fits the
 * buffer is one piece, its length set from what was written (values may
 * change between the passes).  A counter or gauge family larger than the
 * buffer is streamed series by series: their sizes do not depend on their
 * values, so the measured length holds (a series counted by the first pass
 * is the last one written; a store that changed the family's series or
 * labels in between fails the render with MSTORE_E_RETRY).  A histogram
 * family larger than the buffer is one piece too: the sink is asked to
 * grow to hold it (about 190 bytes per classic series of 11 buckets).
 *
 * Returns 0 with the rest of the output in k->buf[0..k->len) (everything
 * before it went through flush), or (k->len then as the last flush left
 * it, the buffer's content undefined):
 *   EXPO_E_INVAL  k or its buffer or flush is missing, or f is unknown, or
 *                 a flush left less room than asked for;
 *   EXPO_E_SPACE  a piece kept outgrowing the room made for it;
 *   MSTORE_E_*    the store failed;
 *   what a flush returned, when negative.
 * On an error, part of the output may already have been flushed: whoever
 * sent it must make the receiver see an incomplete response.  Never
 * allocates (a sink may).
 */
int expo_render_stream(const struct mstore_reader *r, enum expo_format f,
                       const struct expo_own *own, struct expo_sink *k);

#endif /* EXPO_H */
