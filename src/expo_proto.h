/* SPDX-License-Identifier: MIT */
/*
 * expo_proto.h - the Prometheus protobuf exposition format: a stream of
 * io.prometheus.client.MetricFamily messages, each after its length as a
 * varint ("encoding=delimited"), as client_golang writes it.  Reached
 * through expo_render() / expo_render_stream() with EXPO_PROTOBUF (expo.h
 * has the rules); the histogram encoder is exported for the tests.
 *
 * Pure code: no I/O, no allocation, no global state.
 */
#ifndef EXPO_PROTO_H
#define EXPO_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "expo.h"
#include "mstore.h"
#include "nhist.h"

/* expo_render() and expo_render_stream() for EXPO_PROTOBUF (the arguments
 * already checked by them). */
int expo_proto_render(const struct mstore_reader *r, const struct expo_own *own, char *buf,
                      size_t cap, size_t *len);
int expo_proto_render_stream(const struct mstore_reader *r, const struct expo_own *own,
                             struct expo_sink *k);

/*
 * One io.prometheus.client.Histogram message: the count and sum, the
 * classic buckets (cumulative, one per finite bound; the +Inf bucket is
 * implied by the count, as client_golang writes it, unless it carries an
 * exemplar), their exemplars and, with native, the
 * native histogram (schema, zero threshold and count, spans and deltas per
 * sign; a no-op span when it has no bucket, so that a scraper does not
 * take an empty native histogram for a classic one).  Fill the input
 * fields, then expo_proto_hist_prepare() (which fills the rest), then
 * expo_proto_hist_write().  The caller vouches for the input: counts
 * cumulative, native a valid snapshot (nhist_snapshot_valid()).
 */
struct expo_proto_hist {
	/* input */
	uint64_t count;
	double sum;
	uint32_t nbounds;                            /* classic finite bounds (0: none) */
	const double *bounds;                        /* nbounds, increasing */
	const uint64_t *cumulative;                  /* nbounds cumulative counts */
	const struct mstore_native_snapshot *native; /* NULL: no native histogram */
	/* NULL, or nbounds + 1 exemplars of the classic buckets (NULL: none);
	 * one at [nbounds] writes the +Inf bucket, which the count otherwise
	 * implies */
	const struct mstore_exemplar_view *const *exemplar;
	/* filled by expo_proto_hist_prepare() */
	size_t len;
	size_t nspan[2];
	size_t delta_len[2]; /* bytes of the packed deltas of each sign */
	struct nhist_span span[2][NHIST_SPANS_MAX(NHIST_WINDOW_MAX)];
};

/* Compute the encoding of h; returns the message's length (h->len). */
size_t expo_proto_hist_prepare(struct expo_proto_hist *h);

/* Write the h->len bytes of the message at p (the fields, no tag or length
 * of its own); returns p + h->len. */
char *expo_proto_hist_write(char *p, const struct expo_proto_hist *h);

#endif /* EXPO_PROTO_H */
