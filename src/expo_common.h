/* SPDX-License-Identifier: MIT */
/*
 * expo_common.h - what the text renderer (expo.c) and the protobuf renderer
 * (expo_proto.c) share: the responder's own families, the namespace they
 * reserve, and the checks every renderer makes on what the reader hands
 * it.  Internal to libexpo.
 */
#ifndef EXPO_COMMON_H
#define EXPO_COMMON_H

#include <stddef.h>
#include <string.h>

#include "expo.h"
#include "mstore.h"

/* Namespace of the responder's own families: store families in it are
 * skipped (a clash would make the output invalid). */
#define EXPO_OWN_PREFIX "mstore_exporter_"

/*
 * Call fn for every family of the store behind r, in registration order,
 * except those in the responder's namespace; the view is valid during the
 * call.  Returns 0, the first negative code fn returns, or the reader's.
 */
typedef int expo_family_fn(void *ctx, const struct mstore_family_view *v);
int expo_each_family(const struct mstore_reader *r, expo_family_fn *fn, void *ctx);

/*
 * Call fn once per own family of own (see struct expo_own in expo.h), in
 * their order: a family view, its n series s[0..n) (label values, or none)
 * and their values value[0..n).  The views live on expo_own_each()'s
 * stack: valid during the call only.
 */
typedef void expo_own_fn(void *ctx, const struct mstore_family_view *v,
                         const struct mstore_series_view *s, const double *value, size_t n);
void expo_own_each(const struct expo_own *own, expo_own_fn *fn, void *ctx);

/* Whether a family view has a known type and lengths within the limits the
 * renderers' fixed-size buffers rely on (the reader validates them too;
 * checked again so that a reader bug cannot overflow a buffer). */
int expo_view_ok(const struct mstore_family_view *v);

/*
 * Let the sink take k->buf[0..len) and make room for a piece of need bytes
 * (asking for 1/8 more: values may widen before the piece is written
 * again).  Returns 0, the flush's negative code, or EXPO_E_INVAL when the
 * sink broke its promise (expo.h).
 */
int expo_sink_room(struct expo_sink *k, size_t len, size_t need);

/*
 * The exemplar of record i (a counter's 0, a histogram's bucket) of series
 * s, to show beside the reading snap: 1 with *ev filled, 0 when there is
 * none to show (the family has none, the record is empty, or the reading
 * counts nothing in it: expo_common.c says why), or a negative code.
 */
int expo_exemplar(const struct mstore_reader *r, const struct mstore_family_view *f,
                  const struct mstore_series_view *s, const struct mstore_snapshot *snap,
                  uint32_t i, struct mstore_exemplar_view *ev);

/* Whether a histogram snapshot is cumulative and ends at count (nb finite
 * bounds): what a consistent snapshot promises. */
int expo_snapshot_sane(const struct mstore_snapshot *snap, uint32_t nb);

/*
 * Copy n bytes.  Most copies in a rendering are short (label values and
 * names, numbers): up to 16 bytes they are two overlapping moves of a fixed
 * size, which the compiler inlines, instead of a call to memcpy (worth a
 * fifth of a text render, doc/performance.md).
 */
static inline void
expo_copy_bytes(char *d, const char *s, size_t n)
{
	if (n > 16) {
		memcpy(d, s, n);
	} else if (n >= 8) {
		memcpy(d, s, 8);
		memcpy(d + n - 8, s + n - 8, 8);
	} else if (n >= 4) {
		memcpy(d, s, 4);
		memcpy(d + n - 4, s + n - 4, 4);
	} else if (n > 0) {
		/* first, middle, last (a loop here would be turned into a call
		 * to memcpy by the compiler) */
		d[0] = s[0];
		d[n / 2] = s[n / 2];
		d[n - 1] = s[n - 1];
	}
}

#endif /* EXPO_COMMON_H */
