/* SPDX-License-Identifier: MIT */
/*
 * pbcheck.c - a wire-level validator of delimited MetricFamily streams,
 * written from client_model's metrics.proto; see pbcheck.h.
 */
#include "config.h"

#include "pbcheck.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mstore_layout.h" /* mstore_valid_text: UTF-8 */

/* Message types of metrics.proto that the renderer may emit. */
enum msg {
	M_NONE = 0,
	M_FAMILY,
	M_METRIC,
	M_LABEL,
	M_VALUE,   /* Gauge, Untyped: value = 1 (double) */
	M_COUNTER, /* value = 1, exemplar = 2 */
	M_HISTOGRAM,
	M_BUCKET,
	M_SPAN,
	M_EXEMPLAR,
	M_TIMESTAMP, /* google.protobuf.Timestamp */
};

/* What a field is: its wire type, and for length-delimited fields what
 * the bytes are. */
enum kind {
	K_NONE = 0, /* not a field of this message */
	K_VARINT,
	K_I64,
	K_STRING,
	K_PACKED, /* repeated number: packed (bytes of varints) or one varint */
	K_PACKED_I64,
	K_MSG,
};

struct field {
	enum kind kind;
	enum msg sub; /* K_MSG */
};

#define FIELD_MAX 16

static const struct field schema[][FIELD_MAX + 1] = {
	[M_FAMILY] = { [1] = { K_STRING, 0 },
	               [2] = { K_STRING, 0 },
	               [3] = { K_VARINT, 0 },
	               [4] = { K_MSG, M_METRIC },
	               [5] = { K_STRING, 0 },
	               /* not in metrics.proto: expo_proto.c's padding of a
	                * streamed family a series left (fam_pad()) */
	               [15] = { K_STRING, 0 } },
	[M_METRIC] = { [1] = { K_MSG, M_LABEL },
	               [2] = { K_MSG, M_VALUE },
	               [3] = { K_MSG, M_COUNTER },
	               [5] = { K_MSG, M_VALUE },
	               [6] = { K_VARINT, 0 },
	               [7] = { K_MSG, M_HISTOGRAM } },
	[M_LABEL] = { [1] = { K_STRING, 0 }, [2] = { K_STRING, 0 } },
	[M_VALUE] = { [1] = { K_I64, 0 } },
	[M_COUNTER] = { [1] = { K_I64, 0 }, [2] = { K_MSG, M_EXEMPLAR } },
	[M_HISTOGRAM] = { [1] = { K_VARINT, 0 },
	                  [2] = { K_I64, 0 },
	                  [3] = { K_MSG, M_BUCKET },
	                  [4] = { K_I64, 0 },
	                  [5] = { K_VARINT, 0 },
	                  [6] = { K_I64, 0 },
	                  [7] = { K_VARINT, 0 },
	                  [8] = { K_I64, 0 },
	                  [9] = { K_MSG, M_SPAN },
	                  [10] = { K_PACKED, 0 },
	                  [11] = { K_PACKED_I64, 0 },
	                  [12] = { K_MSG, M_SPAN },
	                  [13] = { K_PACKED, 0 },
	                  [14] = { K_PACKED_I64, 0 } },
	[M_BUCKET] = { [1] = { K_VARINT, 0 },
	               [2] = { K_I64, 0 },
	               [3] = { K_MSG, M_EXEMPLAR },
	               [4] = { K_I64, 0 } },
	[M_SPAN] = { [1] = { K_VARINT, 0 }, [2] = { K_VARINT, 0 } },
	[M_EXEMPLAR] = { [1] = { K_MSG, M_LABEL },
	                 [2] = { K_I64, 0 },
	                 [3] = { K_MSG, M_TIMESTAMP } },
	[M_TIMESTAMP] = { [1] = { K_VARINT, 0 }, [2] = { K_VARINT, 0 } },
};

struct walk {
	const unsigned char *base;
	char *why;
	struct pbcheck_cuts *cuts;
};

static int
bad(struct walk *w, const unsigned char *at, const char *what)
{
	snprintf(w->why, PBCHECK_WHY_MAX, "byte %zu: %s", (size_t)(at - w->base), what);
	return -1;
}

static void
cut(struct walk *w, const unsigned char *at)
{
	struct pbcheck_cuts *c = w->cuts;

	if (c == NULL)
		return;
	if (c->n < c->max)
		c->at[c->n] = (size_t)(at - w->base);
	c->n++;
}

/* A varint at *p (before end): 0, or -1 when truncated or over ten bytes. */
static int
varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 10 && *p < end; i++) {
		unsigned char b = *(*p)++;

		*v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (b < 0x80)
			return 0;
	}
	return -1;
}

static int walk_msg(struct walk *w, const unsigned char *p, const unsigned char *end, enum msg m,
                    int top);

static int
packed(struct walk *w, const unsigned char *p, const unsigned char *end, int i64)
{
	uint64_t v;

	if (i64)
		return (end - p) % 8 == 0 ? 0 : bad(w, p, "packed doubles not a multiple of 8");
	while (p < end)
		if (varint(&p, end, &v) < 0)
			return bad(w, p, "bad varint in packed field");
	return 0;
}

/* One length-delimited field's bytes [p, q). */
static int
len_field(struct walk *w, const unsigned char *p, const unsigned char *q, const struct field *f)
{
	switch (f->kind) {
	case K_STRING:
		return mstore_valid_text((const char *)p, (size_t)(q - p)) ? 0
		                                                           : bad(w, p, "not UTF-8");
	case K_MSG:
		return walk_msg(w, p, q, f->sub, 0);
	case K_PACKED:
	case K_PACKED_I64:
		return packed(w, p, q, f->kind == K_PACKED_I64);
	default:
		return bad(w, p, "length-delimited where a number belongs");
	}
}

/* The fields of one message of type m in [p, end).  top: a family whose
 * Metric and unit fields are cut points. */
static int
walk_msg(struct walk *w, const unsigned char *p, const unsigned char *end, enum msg m, int top)
{
	uint64_t key, v;

	while (p < end) {
		const unsigned char *start = p;
		const struct field *f;
		unsigned wt;

		if (varint(&p, end, &key) < 0)
			return bad(w, start, "bad field key");
		wt = (unsigned)(key & 7);
		key >>= 3;
		f = key >= 1 && key <= FIELD_MAX ? &schema[m][key] : NULL;
		if (f == NULL || f->kind == K_NONE)
			return bad(w, start, "field not in the message");
		if (top && (key == 4 || key == 5))
			cut(w, start);
		switch (wt) {
		case 0:
			if (f->kind != K_VARINT && f->kind != K_PACKED)
				return bad(w, start, "varint for a field that is none");
			if (varint(&p, end, &v) < 0)
				return bad(w, start, "bad varint");
			break;
		case 1:
			if (f->kind != K_I64 && f->kind != K_PACKED_I64)
				return bad(w, start, "fixed64 for a field that is none");
			if (end - p < 8)
				return bad(w, start, "truncated fixed64");
			p += 8;
			break;
		case 2:
			if (varint(&p, end, &v) < 0 || v > (uint64_t)(end - p))
				return bad(w, start, "length beyond its message");
			if (len_field(w, p, p + v, f) < 0)
				return -1;
			p += v;
			break;
		default:
			return bad(w, start, "wire type the format does not use");
		}
	}
	return 0;
}

int
pbcheck_stream(const char *buf, size_t len, struct pbcheck_cuts *cuts, size_t *families, char *why)
{
	struct walk w = { (const unsigned char *)buf, why, NULL };
	const unsigned char *p = w.base, *end = w.base + len;
	size_t n = 0;
	uint64_t v;

	if (cuts != NULL)
		cuts->n = 0;
	while (p < end) {
		const unsigned char *frame = p;

		if (cuts != NULL) {
			w.cuts = cuts;
			cut(&w, frame);
		}
		if (varint(&p, end, &v) < 0 || v > (uint64_t)(end - p))
			return bad(&w, frame, "frame length beyond the stream");
		w.cuts = cuts != NULL && (size_t)(p - frame) + v > cuts->above ? cuts : NULL;
		if (walk_msg(&w, p, p + v, M_FAMILY, 1) < 0)
			return -1;
		p += v;
		n++;
	}
	if (cuts != NULL) {
		w.cuts = cuts;
		cut(&w, end);
	}
	if (families != NULL)
		*families = n;
	return 0;
}
