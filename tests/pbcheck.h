/* SPDX-License-Identifier: MIT */
/*
 * pbcheck.h - test helper: walk a delimited stream of
 * io.prometheus.client.MetricFamily messages at the wire level, written
 * from client_model's metrics.proto (not from the renderer): every varint
 * at most ten bytes, every length within its message, every field one the
 * message defines with the wire type it defines (packed or not for the
 * repeated numbers), every nested message valid in turn, every string
 * valid UTF-8, and the stream ending exactly after its last message.
 * Used by check_expo (with the cut points) and the fuzz target.
 */
#ifndef PBCHECK_H
#define PBCHECK_H

#include <stddef.h>

#define PBCHECK_WHY_MAX 160

/* Where a renderer may end a piece (expo.h): between two family frames,
 * and inside a frame larger than above (one the renderer streams) before
 * each Metric field and before the unit field after them.  The offsets
 * are stored in increasing order, the end of the stream last. */
struct pbcheck_cuts {
	size_t above; /* frames of more bytes than this may be cut inside */
	size_t *at;   /* room for max offsets */
	size_t max;
	size_t n; /* offsets found (only max stored) */
};

/* 0 when buf[0..len) is a valid stream, else -1 with the reason in why
 * (PBCHECK_WHY_MAX bytes).  cuts may be NULL.  *families (may be NULL)
 * gets the number of frames. */
int pbcheck_stream(const char *buf, size_t len, struct pbcheck_cuts *cuts, size_t *families,
                   char *why);

#endif /* PBCHECK_H */
