/* SPDX-License-Identifier: MIT */
/*
 * expo_proto.c - the protobuf renderer: store snapshot -> a delimited
 * stream of io.prometheus.client.MetricFamily messages (expo.h has the
 * rules, expo_proto.h the histogram encoder).
 *
 * Encoded by hand, not with libprotobuf-c (Debian's libprotobuf-c-dev):
 * that library packs a tree of message structs built in memory first, one
 * per label, metric and bucket, so a scrape would allocate (or need an
 * arena sized to the largest family) and hold a whole family before its
 * first byte; and packing a MetricFamily of N = 10,000 counters with it
 * took longer than this whole renderer takes for the N = 10,000 workload
 * (doc/performance.md, "Protobuf").  The format is small: five message
 * types, three wire types, all sizes computable before writing.
 *
 * Every piece's exact size is known before it is written (the lengths
 * that prefix messages need it anyway), so the cursor (struct pout) takes
 * room for a whole piece at once and writes without further checks.
 * Fields are written in field-number order, as protobuf's own serializers
 * do, and every optional field the format defines for a sample is present
 * (a zero count is written as 0, not left out).
 */
#include "config.h"

#include "expo_proto.h"

#include "expo_common.h"
#include "fmtnum.h"
#include "mstore_names.h"

#include <math.h>
#include <string.h>

/* Wire types and field tags of metrics.proto. */
enum wire {
	WT_VARINT = 0,
	WT_I64 = 1,
	WT_LEN = 2,
};
#define TAG(field, wt) ((char)((field) << 3 | (wt)))

/* MetricFamily */
#define MF_NAME   TAG(1, WT_LEN)
#define MF_HELP   TAG(2, WT_LEN)
#define MF_TYPE   TAG(3, WT_VARINT)
#define MF_METRIC TAG(4, WT_LEN)
#define MF_UNIT   TAG(5, WT_LEN)
/* Metric */
#define M_LABEL     TAG(1, WT_LEN)
#define M_GAUGE     TAG(2, WT_LEN)
#define M_COUNTER   TAG(3, WT_LEN)
#define M_HISTOGRAM TAG(7, WT_LEN)
/* LabelPair */
#define LP_NAME  TAG(1, WT_LEN)
#define LP_VALUE TAG(2, WT_LEN)
/* Gauge and Counter: value */
#define V_VALUE TAG(1, WT_I64)
/* Histogram */
#define H_COUNT      TAG(1, WT_VARINT)
#define H_SUM        TAG(2, WT_I64)
#define H_BUCKET     TAG(3, WT_LEN)
#define H_SCHEMA     TAG(5, WT_VARINT)
#define H_ZERO_TH    TAG(6, WT_I64)
#define H_ZERO_COUNT TAG(7, WT_VARINT)
#define H_NEG_SPAN   TAG(9, WT_LEN)
#define H_NEG_DELTA  TAG(10, WT_LEN)
#define H_POS_SPAN   TAG(12, WT_LEN)
#define H_POS_DELTA  TAG(13, WT_LEN)
/* Counter (and V_VALUE) */
#define C_EXEMPLAR TAG(2, WT_LEN)
/* Bucket */
#define B_COUNT    TAG(1, WT_VARINT)
#define B_BOUND    TAG(2, WT_I64)
#define B_EXEMPLAR TAG(3, WT_LEN)
/* Exemplar (labels as LabelPairs) */
#define E_LABEL TAG(1, WT_LEN)
#define E_VALUE TAG(2, WT_I64)
#define E_TIME  TAG(3, WT_LEN)
/* google.protobuf.Timestamp */
#define T_SECONDS TAG(1, WT_VARINT)
#define T_NANOS   TAG(2, WT_VARINT)
/* BucketSpan */
#define S_OFFSET TAG(1, WT_VARINT)
#define S_LENGTH TAG(2, WT_VARINT)

/* MetricType */
enum metric_type {
	TYPE_COUNTER = 0,
	TYPE_GAUGE = 1,
	TYPE_HISTOGRAM = 4,
};

#define I64_LEN 8
/* A Counter or Gauge message: V_VALUE and a double. */
#define SCALAR_LEN (1 + I64_LEN)
/* Its field in the Metric: tag, length (one byte), message. */
#define SCALAR_FIELD_LEN (2 + SCALAR_LEN)
/* The longest varint (a uint64_t). */
#define VARINT_MAX 10
/* A label's constant part: LP_NAME, length, name, LP_VALUE. */
#define LABEL_CHUNK_MAX (2 + VARINT_MAX + MSTORE_NAME_MAX)

/* ------------------------------------------------------------------ */
/* Wire primitives                                                     */
/* ------------------------------------------------------------------ */

static inline size_t
vlen(uint64_t v)
{
	size_t n = 1;

	/* nearly all are below 128: one comparison (a count-leading-zeros
	 * formula costs more without lzcnt, x86-64's baseline) */
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static inline char *
put_varint(char *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (char)(v | 0x80);
		v >>= 7;
	}
	*p++ = (char)v;
	return p;
}

/* sint32/sint64's ZigZag of a two's complement value u (an int converted
 * to uint64_t, or the wrapped difference of two counts). */
static inline uint64_t
zigzag(uint64_t u)
{
	return (u << 1) ^ (0 - (u >> 63));
}

/* A double as protobuf's fixed64: little-endian, whatever the host. */
static inline char *
put_double(char *p, double d)
{
	uint64_t b;
	int i;

	memcpy(&b, &d, sizeof b);
	for (i = 0; i < I64_LEN; i++)
		p[i] = (char)(b >> (8 * i));
	return p + I64_LEN;
}

static inline char *
put_bytes(char *p, const char *s, size_t n)
{
	expo_copy_bytes(p, s, n);
	return p + n;
}

/* A length-delimited field: tag, length, n bytes. */
static inline size_t
len_field(size_t n)
{
	return 1 + vlen(n) + n;
}

static inline char *
put_len_field(char *p, char tag, const char *s, size_t n)
{
	*p++ = tag;
	p = put_varint(p, n);
	return put_bytes(p, s, n);
}

/* ------------------------------------------------------------------ */
/* Exemplars                                                           */
/* ------------------------------------------------------------------ */

/* Exemplar label j as a LabelPair message: its length. */
static size_t
ex_pair_len(const struct mstore_exemplar_view *ev, uint32_t j)
{
	return len_field(ev->name_len[j]) + len_field(ev->value_len[j]);
}

/* The Timestamp message of t ns (> 0): its length. */
static size_t
ex_time_len(int64_t t)
{
	return 1 + vlen((uint64_t)(t / MSTORE_NS_PER_SEC)) + 1 +
	       vlen((uint64_t)(t % MSTORE_NS_PER_SEC));
}

/* An Exemplar message: its length. */
static size_t
ex_len(const struct mstore_exemplar_view *ev)
{
	size_t n = 1 + I64_LEN + len_field(ex_time_len(ev->timestamp_ns));
	uint32_t j;

	for (j = 0; j < ev->nlabels; j++)
		n += len_field(ex_pair_len(ev, j));
	return n;
}

/* An exemplar field: tag, length, Exemplar message. */
static char *
put_exemplar(char *p, char tag, const struct mstore_exemplar_view *ev)
{
	uint64_t t = (uint64_t)ev->timestamp_ns;
	uint32_t j;

	*p++ = tag;
	p = put_varint(p, ex_len(ev));
	for (j = 0; j < ev->nlabels; j++) {
		*p++ = E_LABEL;
		p = put_varint(p, ex_pair_len(ev, j));
		p = put_len_field(p, LP_NAME, ev->text + ev->name_off[j], ev->name_len[j]);
		p = put_len_field(p, LP_VALUE, ev->text + ev->value_off[j], ev->value_len[j]);
	}
	*p++ = E_VALUE;
	p = put_double(p, ev->value);
	*p++ = E_TIME;
	p = put_varint(p, ex_time_len(ev->timestamp_ns));
	*p++ = T_SECONDS;
	p = put_varint(p, t / MSTORE_NS_PER_SEC);
	*p++ = T_NANOS;
	return put_varint(p, t % MSTORE_NS_PER_SEC);
}

/* ------------------------------------------------------------------ */
/* Output cursor                                                       */
/* ------------------------------------------------------------------ */

struct pout {
	struct expo_sink *k; /* streaming: the sink; NULL: one plain buffer */
	char *buf;
	size_t cap;
	size_t len; /* bytes produced; past cap only counted (plain) */
	/* room for the exemplars of the series being written (one per
	 * bucket), in the entry point's frame */
	struct mstore_exemplar_view *ex;
};

/*
 * Make room for a piece of n bytes at the end.  Streaming: the sink takes
 * everything before it and grows if it must.  Plain: nothing to do (what
 * does not fit is counted by take()).  0 or a negative code.
 */
static int
piece(struct pout *o, size_t n)
{
	struct expo_sink *k = o->k;
	int rc;

	if (k == NULL || o->cap - o->len >= n)
		return 0;
	rc = expo_sink_room(k, o->len, n);
	if (rc < 0)
		return rc;
	o->buf = k->buf;
	o->cap = k->cap;
	o->len = k->len;
	return 0;
}

/* Take n bytes at the end: where to write them, or NULL when they do not
 * fit (they still count in o->len). */
static inline char *
take(struct pout *o, size_t n)
{
	size_t at = o->len;

	o->len += n;
	return at <= o->cap && o->cap - at >= n ? o->buf + at : NULL;
}

/* ------------------------------------------------------------------ */
/* Histograms                                                          */
/* ------------------------------------------------------------------ */

/* A Bucket message: count varint, bound double, and exemplar ex (NULL:
 * none). */
static inline size_t
bucket_msg_len(uint64_t cumulative, const struct mstore_exemplar_view *ex)
{
	return 1 + vlen(cumulative) + 1 + I64_LEN + (ex != NULL ? len_field(ex_len(ex)) : 0);
}

/* The exemplar of classic bucket i (i == nbounds: +Inf), or NULL. */
static inline const struct mstore_exemplar_view *
bucket_ex(const struct expo_proto_hist *h, uint32_t i)
{
	return h->exemplar != NULL ? h->exemplar[i] : NULL;
}

/* Classic buckets written: the finite ones, and +Inf when it carries an
 * exemplar. */
static inline uint32_t
buckets_out(const struct expo_proto_hist *h)
{
	return h->nbounds + (bucket_ex(h, h->nbounds) != NULL);
}

static inline uint64_t
bucket_count(const struct expo_proto_hist *h, uint32_t i)
{
	return i < h->nbounds ? h->cumulative[i] : h->count;
}

static inline double
bucket_bound(const struct expo_proto_hist *h, uint32_t i)
{
	return i < h->nbounds ? h->bounds[i] : (double)INFINITY;
}

static size_t
span_msg_len(const struct nhist_span *sp)
{
	return 1 + vlen(zigzag((uint64_t)(int64_t)sp->offset)) + 1 + vlen(sp->length);
}

/* The deltas of a window's spans: each bucket's count minus the previous
 * one's (the first against 0), in span order; the bytes they take packed
 * (nothing but the varints). */
static size_t
deltas_len(const struct nhist_span *sp, size_t nspan, const uint64_t *b)
{
	uint64_t prev = 0;
	size_t k, n = 0;
	uint32_t j;

	for (k = 0; k < nspan; k++)
		for (j = sp[k].slot; j < sp[k].slot + sp[k].length; j++) {
			n += vlen(zigzag(b[j] - prev));
			prev = b[j];
		}
	return n;
}

/* A sign's buckets from its first populated one: span slots count from
 * there (the rest of the window holds zeros only, mstore.h). */
static inline const uint64_t *
native_buckets(const struct mstore_native_snapshot *s, int sign)
{
	return s->bucket[sign] + s->first[sign];
}

static size_t
native_prepare(struct expo_proto_hist *h)
{
	const struct mstore_native_snapshot *s = h->native;
	static const struct nhist_span noop = { 0, 0, 0 };
	size_t n = 1 + vlen(zigzag((uint64_t)(int64_t)s->schema)) + 1 + I64_LEN + 1 +
	           vlen(s->zero_count),
	       k;
	int sign;

	for (sign = 0; sign < 2; sign++) {
		h->nspan[sign] =
		        nhist_spans(native_buckets(s, sign), s->end[sign] - s->first[sign],
		                    s->offset[sign] + (int32_t)s->first[sign], h->span[sign]);
		for (k = 0; k < h->nspan[sign]; k++)
			n += len_field(span_msg_len(&h->span[sign][k]));
		h->delta_len[sign] =
		        deltas_len(h->span[sign], h->nspan[sign], native_buckets(s, sign));
		if (h->delta_len[sign] > 0)
			n += len_field(h->delta_len[sign]);
	}
	if (h->nspan[NHIST_POS] == 0 && h->nspan[NHIST_NEG] == 0)
		n += len_field(span_msg_len(&noop));
	return n;
}

size_t
expo_proto_hist_prepare(struct expo_proto_hist *h)
{
	size_t n = 1 + vlen(h->count) + 1 + I64_LEN;
	uint32_t i;

	for (i = 0; i < buckets_out(h); i++)
		n += len_field(bucket_msg_len(bucket_count(h, i), bucket_ex(h, i)));
	h->nspan[NHIST_POS] = h->nspan[NHIST_NEG] = 0;
	if (h->native != NULL)
		n += native_prepare(h);
	h->len = n;
	return n;
}

static char *
put_span(char *p, char tag, const struct nhist_span *sp)
{
	*p++ = tag;
	*p++ = (char)span_msg_len(sp); /* < 128 */
	*p++ = S_OFFSET;
	p = put_varint(p, zigzag((uint64_t)(int64_t)sp->offset));
	*p++ = S_LENGTH;
	return put_varint(p, sp->length);
}

/* One sign's spans and packed deltas. */
static char *
put_sign(char *p, const struct expo_proto_hist *h, int sign, char span_tag, char delta_tag)
{
	const struct nhist_span *sp = h->span[sign];
	const uint64_t *b = native_buckets(h->native, sign);
	uint64_t prev = 0;
	size_t k;
	uint32_t j;

	for (k = 0; k < h->nspan[sign]; k++)
		p = put_span(p, span_tag, &sp[k]);
	if (h->delta_len[sign] == 0)
		return p;
	*p++ = delta_tag;
	p = put_varint(p, h->delta_len[sign]);
	for (k = 0; k < h->nspan[sign]; k++)
		for (j = sp[k].slot; j < sp[k].slot + sp[k].length; j++) {
			p = put_varint(p, zigzag(b[j] - prev));
			prev = b[j];
		}
	return p;
}

static char *
put_native(char *p, const struct expo_proto_hist *h)
{
	static const struct nhist_span noop = { 0, 0, 0 };
	const struct mstore_native_snapshot *s = h->native;

	*p++ = H_SCHEMA;
	p = put_varint(p, zigzag((uint64_t)(int64_t)s->schema));
	*p++ = H_ZERO_TH;
	p = put_double(p, s->zero_threshold);
	*p++ = H_ZERO_COUNT;
	p = put_varint(p, s->zero_count);
	p = put_sign(p, h, NHIST_NEG, H_NEG_SPAN, H_NEG_DELTA);
	p = put_sign(p, h, NHIST_POS, H_POS_SPAN, H_POS_DELTA);
	if (h->nspan[NHIST_POS] == 0 && h->nspan[NHIST_NEG] == 0)
		p = put_span(p, H_POS_SPAN, &noop);
	return p;
}

char *
expo_proto_hist_write(char *p, const struct expo_proto_hist *h)
{
	uint32_t i;

	*p++ = H_COUNT;
	p = put_varint(p, h->count);
	*p++ = H_SUM;
	p = put_double(p, h->sum);
	for (i = 0; i < buckets_out(h); i++) {
		const struct mstore_exemplar_view *ex = bucket_ex(h, i);

		*p++ = H_BUCKET;
		p = put_varint(p, bucket_msg_len(bucket_count(h, i), ex));
		*p++ = B_COUNT;
		p = put_varint(p, bucket_count(h, i));
		*p++ = B_BOUND;
		p = put_double(p, bucket_bound(h, i));
		if (ex != NULL)
			p = put_exemplar(p, B_EXEMPLAR, ex);
	}
	if (h->native != NULL)
		p = put_native(p, h);
	return p;
}

/* ------------------------------------------------------------------ */
/* Families and series                                                 */
/* ------------------------------------------------------------------ */

/* What is constant for a family. */
struct pfam {
	const struct mstore_family_view *v;
	enum metric_type type;
	char value_tag;   /* the Metric field of a series' value */
	const char *help; /* the help field: the family's, or MSTORE_HELP_NONE */
	size_t help_len;
	size_t head_len; /* name, help and type fields */
	size_t tail_len; /* unit field */
	/* label j's constant part: LP_NAME, length, name, LP_VALUE */
	char chunk[MSTORE_MAX_LABELS][LABEL_CHUNK_MAX];
	uint8_t chunk_len[MSTORE_MAX_LABELS];
};

/* One series, ready to be written. */
struct pser {
	const struct mstore_series_view *s;
	/* a counter's exemplar, or NULL; a histogram's, one per bucket, are
	 * in h.exemplar (ex, or NULL) */
	const struct mstore_exemplar_view *cex;
	const struct mstore_exemplar_view *ex[MSTORE_MAX_BUCKETS + 1];
	/* a per-writer family of mode ALL: the writer slot, in decimal, as
	 * the value of the writer label after the family's labels */
	char writer[FMT_U64_MAX];
	size_t writer_len; /* 0: no writer label */
	size_t labels;     /* bytes of its label fields */
	size_t len;        /* its Metric message */
	double value;
	struct expo_proto_hist h;
};

static int
fam_init(struct pfam *f, const struct mstore_family_view *v)
{
	uint32_t j;

	if (!expo_view_ok(v))
		return MSTORE_E_CORRUPT;
	f->v = v;
	switch (v->type) {
	case MSTORE_COUNTER:
		f->type = TYPE_COUNTER;
		f->value_tag = M_COUNTER;
		break;
	case MSTORE_GAUGE:
		f->type = TYPE_GAUGE;
		f->value_tag = M_GAUGE;
		break;
	case MSTORE_HISTOGRAM:
		f->type = TYPE_HISTOGRAM;
		f->value_tag = M_HISTOGRAM;
		break;
	}
	/* The help text the text formats show (mstore_names.h): the same
	 * family must not read differently in another format. */
	f->help = v->help;
	f->help_len = v->help_len;
	if (mstore_help_blank(v->help, v->help_len)) {
		f->help = MSTORE_HELP_NONE;
		f->help_len = sizeof(MSTORE_HELP_NONE) - 1;
	}
	f->head_len = len_field(v->name_len) + len_field(f->help_len) + 2;
	f->tail_len = v->unit_len > 0 ? len_field(v->unit_len) : 0;
	for (j = 0; j < v->nlabels; j++) {
		char *p = f->chunk[j];

		*p++ = LP_NAME;
		p = put_varint(p, v->label_name_len[j]);
		p = put_bytes(p, v->label_name[j], v->label_name_len[j]);
		*p++ = LP_VALUE;
		f->chunk_len[j] = (uint8_t)(p - f->chunk[j]);
	}
	return 0;
}

static char *
put_head(char *p, const struct pfam *f)
{
	const struct mstore_family_view *v = f->v;

	p = put_len_field(p, MF_NAME, v->name, v->name_len);
	p = put_len_field(p, MF_HELP, f->help, f->help_len);
	*p++ = MF_TYPE;
	*p++ = (char)f->type;
	return p;
}

static char *
put_tail(char *p, const struct pfam *f)
{
	if (f->v->unit_len > 0)
		p = put_len_field(p, MF_UNIT, f->v->unit, f->v->unit_len);
	return p;
}

/* A LabelPair message's length. */
static inline size_t
pair_len(const struct pfam *f, const struct mstore_series_view *s, uint32_t j)
{
	return f->chunk_len[j] + vlen(s->label_value_len[j]) + s->label_value_len[j];
}

/* The label a per-writer family of mode ALL adds to its series, whose
 * value is the writer slot (registration reserves the name; expo.c writes
 * the same in text): LabelPair's name field and the value field's tag. */
static const char writer_chunk[] = "\x0a\x06"
                                   "writer"
                                   "\x12";
#define WRITER_CHUNK_LEN (sizeof writer_chunk - 1)

static inline size_t
writer_pair_len(const struct pser *e)
{
	return WRITER_CHUNK_LEN + vlen(e->writer_len) + e->writer_len;
}

/* The label fields of series e->s (and its writer label) set e->labels. */
static void
labels_len(const struct pfam *f, struct pser *e)
{
	size_t n = 0;
	uint32_t j;

	for (j = 0; j < f->v->nlabels; j++)
		n += len_field(pair_len(f, e->s, j));
	if (e->writer_len > 0)
		n += len_field(writer_pair_len(e));
	e->labels = n;
}

static char *
put_labels(char *p, const struct pfam *f, const struct pser *e)
{
	const struct mstore_series_view *s = e->s;
	uint32_t j;

	for (j = 0; j < f->v->nlabels; j++) {
		*p++ = M_LABEL;
		p = put_varint(p, pair_len(f, s, j));
		p = put_bytes(p, f->chunk[j], f->chunk_len[j]);
		p = put_varint(p, s->label_value_len[j]);
		p = put_bytes(p, s->label_value[j], s->label_value_len[j]);
	}
	if (e->writer_len > 0) {
		*p++ = M_LABEL;
		p = put_varint(p, writer_pair_len(e));
		p = put_bytes(p, writer_chunk, WRITER_CHUNK_LEN);
		p = put_varint(p, e->writer_len);
		p = put_bytes(p, e->writer, e->writer_len);
	}
	return p;
}

/* The series' piece in its family: MF_METRIC, length, Metric. */
static inline size_t
piece_len(const struct pser *e)
{
	return len_field(e->len);
}

/* A Counter message with its exemplar: its length. */
static size_t
counter_len(const struct pser *e)
{
	return SCALAR_LEN + len_field(ex_len(e->cex));
}

/* The Metric message's length, with the value (or histogram) known. */
static void
ser_measure(const struct pfam *f, struct pser *e)
{
	if (f->type == TYPE_HISTOGRAM)
		e->len = e->labels + len_field(expo_proto_hist_prepare(&e->h));
	else if (e->cex != NULL)
		e->len = e->labels + len_field(counter_len(e));
	else
		e->len = e->labels + SCALAR_FIELD_LEN;
}

/* The exemplars of series s to show beside snap: a counter's in e->cex,
 * a histogram's in e->ex (room: ex, one per bucket).  0 or a code. */
static int
ser_exemplars(const struct mstore_reader *r, const struct pfam *f,
              const struct mstore_series_view *s, const struct mstore_snapshot *snap,
              struct mstore_exemplar_view *ex, struct pser *e)
{
	uint32_t i, n = f->type == TYPE_HISTOGRAM ? f->v->nbounds + 1 : 1;
	int rc;

	for (i = 0; i < n; i++) {
		rc = expo_exemplar(r, f->v, s, snap, i, &ex[i]);
		if (rc < 0)
			return rc;
		e->ex[i] = rc == 1 ? &ex[i] : NULL;
	}
	e->cex = f->type == TYPE_HISTOGRAM ? NULL : e->ex[0];
	e->h.exemplar = f->type == TYPE_HISTOGRAM ? e->ex : NULL;
	return 0;
}

/*
 * Read series s of a store family: its labels' size, and (with value)
 * its snapshot, a native histogram's buckets into *nat and exemplars
 * (room: ex).  Counter and gauge sizes do not depend on the value, so the
 * measuring pass leaves it out, but for a family with exemplars.  The
 * reader vouches for a native reading (its counts add up, its buckets are
 * within the schema: nhist_snapshot_valid()), the classic part is checked
 * here as for any histogram.
 */
static int
ser_read(const struct mstore_reader *r, const struct pfam *f, const struct mstore_series_view *s,
         struct pser *e, struct mstore_snapshot *snap, struct mstore_native_snapshot *nat,
         int value, struct mstore_exemplar_view *ex)
{
	int native = f->v->native_buckets > 0, rc;

	e->s = s;
	e->writer_len = 0;
	e->cex = NULL;
	e->h.exemplar = NULL;
	labels_len(f, e);
	if (!value && f->type != TYPE_HISTOGRAM && !f->v->exemplars) {
		e->len = e->labels + SCALAR_FIELD_LEN;
		return 0;
	}
	rc = native ? mstore_reader_native(r, f->v, s, snap, nat)
	            : mstore_reader_snapshot(r, f->v, s, snap);
	if (rc < 0)
		return rc;
	e->value = snap->value;
	if (f->type == TYPE_HISTOGRAM) {
		if (!expo_snapshot_sane(snap, f->v->nbounds))
			return MSTORE_E_CORRUPT;
		e->h.count = snap->count;
		e->h.sum = snap->sum;
		e->h.nbounds = f->v->nbounds;
		e->h.bounds = f->v->bounds;
		e->h.cumulative = snap->bucket;
		e->h.native = native ? nat : NULL;
	}
	if (f->v->exemplars && (rc = ser_exemplars(r, f, s, snap, ex, e)) < 0)
		return rc;
	ser_measure(f, e);
	return 0;
}

static char *
put_series(char *p, const struct pfam *f, const struct pser *e)
{
	*p++ = MF_METRIC;
	p = put_varint(p, e->len);
	p = put_labels(p, f, e);
	*p++ = f->value_tag;
	if (f->type == TYPE_HISTOGRAM) {
		p = put_varint(p, e->h.len);
		return expo_proto_hist_write(p, &e->h);
	}
	if (e->cex == NULL) {
		*p++ = (char)SCALAR_LEN;
		*p++ = V_VALUE;
		return put_double(p, e->value);
	}
	p = put_varint(p, counter_len(e));
	*p++ = V_VALUE;
	p = put_double(p, e->value);
	return put_exemplar(p, C_EXEMPLAR, e->cex);
}

/* ------------------------------------------------------------------ */
/* Store families                                                      */
/* ------------------------------------------------------------------ */

/* Streaming: how often a family may fail to fit after the sink made room
 * for it (it can only grow by histogram counts widening in between). */
#define SETTLE_TRIES 3

/* What to do with each Metric message of a family (ser_each). */
typedef int ser_fn(void *ctx, const struct pser *e);

/*
 * The Metric messages of series s, each to fn: one for a shared series
 * (with value 0, a counter's or gauge's without reading it: its size does
 * not depend on it); for a per-writer family the combined value, or none
 * when no live writer has set the series; for mode ALL one per live writer
 * that set it, labelled with its slot.  0, or a negative code.
 */
static int
ser_each(const struct mstore_reader *r, const struct pfam *f, const struct mstore_series_view *s,
         int value, struct mstore_exemplar_view *ex, ser_fn *fn, void *ctx)
{
	struct mstore_native_snapshot nat; /* 8 KiB: a native histogram's buckets */
	struct mstore_snapshot snap;
	struct pser e;
	uint32_t slot = 0;
	int rc;

	if (f->v->per_writer != MSTORE_PER_WRITER_ALL) {
		rc = ser_read(r, f, s, &e, &snap, &nat, value || f->v->per_writer != MSTORE_SHARED,
		              ex);
		if (rc < 0 || (f->v->per_writer != MSTORE_SHARED && snap.writers == 0))
			return rc;
		return fn(ctx, &e);
	}
	e.s = s;
	e.cex = NULL;
	while ((rc = mstore_reader_per_writer(r, f->v, s, slot, &slot, &e.value)) == 1) {
		e.writer_len = fmt_u64(e.writer, slot);
		labels_len(f, &e);
		ser_measure(f, &e);
		rc = fn(ctx, &e);
		if (rc < 0)
			return rc;
		slot++;
	}
	return rc;
}

/*
 * Series come and go between the passes (mstore.h, mstore_series_remove()).
 * A walk returns a family's series in the order they were created, each
 * with its generation (the view's _gen, increasing along the walk): the
 * write pass stops after the last one the first pass saw, so it writes no
 * series the first pass did not count, and a streamed family (whose
 * length went out first) comes out no longer than measured.  A series
 * removed in between is left out: the family is shorter by its bytes,
 * which fam_streamed() makes up with padding (fam_pad()).  A family
 * written in one pass (fam_histogram()) takes every series (LAST_ANY).
 */
#define PAD_FIELD_TAG 0x7a      /* MetricFamily field 15, length-delimited: no such field */
#define PAD_FIELD_MAX (2 + 127) /* one field: a byte for the tag, one for the length */
/* fam_series()'s last for every series of the chain (no first pass). */
#define LAST_ANY UINT64_MAX

struct measure_ctx {
	size_t len;        /* the family's message */
	uint32_t messages; /* Metric messages in it */
};

static int
measure_cb(void *ctx, const struct pser *e)
{
	struct measure_ctx *m = ctx;

	m->len += piece_len(e);
	m->messages++;
	return 0;
}

/* The first pass: the family's message length, the generation of the last
 * series it saw (*last) and whether it has any Metric message (*empty). */
static int
fam_measure(const struct mstore_reader *r, const struct pfam *f, size_t *len, uint64_t *last,
            int *empty, struct mstore_exemplar_view *ex)
{
	struct mstore_series_view s;
	struct measure_ctx m = { f->head_len + f->tail_len, 0 };
	int rc, src;

	*last = 0;
	for (rc = mstore_reader_series_first(r, f->v, &s); rc == 1;
	     rc = mstore_reader_series_next(r, f->v, &s)) {
		size_t before = m.len;
		uint32_t msgs = m.messages;

		src = ser_each(r, f, &s, 0, ex, measure_cb, &m);
		if (src == MSTORE_E_REMOVED) {
			m.len = before; /* gone already */
			m.messages = msgs;
			continue;
		}
		if (src < 0)
			return src;
		*last = s._gen;
	}
	*len = m.len;
	*empty = m.messages == 0;
	return rc;
}

struct write_ctx {
	struct pout *o;
	const struct pfam *f;
	int each;    /* each message a piece of its own */
	size_t *len; /* bytes written */
	/* where the current series began (after its piece was made room
	 * for), to take it back: set when it writes its first message */
	int started;
	size_t at, len_at;
};

static int
write_cb(void *ctx, const struct pser *e)
{
	struct write_ctx *w = ctx;
	char *p;
	int rc;

	if (w->each && (rc = piece(w->o, piece_len(e))) < 0)
		return rc;
	if (!w->started) {
		w->started = 1;
		w->at = w->o->len;
		w->len_at = *w->len;
	}
	*w->len += piece_len(e);
	p = take(w->o, piece_len(e));
	if (p != NULL)
		put_series(p, w->f, e);
	return 0;
}

/*
 * Write the family's series up to the last one the first pass saw (one
 * created in between waits for the next render; one removed in between is
 * left out), or with LAST_ANY every series there is; from fresh snapshots;
 * each message a piece of its own when each (streamed).  A series removed
 * while it was written is taken back: a series is one piece, so it is
 * still in the buffer (or only counted).  Adds their bytes to *len; the
 * series written in *written.
 */
static int
fam_series(struct pout *o, const struct mstore_reader *r, const struct pfam *f, uint64_t last,
           int each, size_t *len, uint32_t *written)
{
	struct mstore_series_view s;
	struct write_ctx w = { o, f, each, len, 0, 0, 0 };
	uint32_t count = 0;
	int rc;

	for (rc = mstore_reader_series_first(r, f->v, &s); rc == 1 && s._gen <= last;
	     rc = mstore_reader_series_next(r, f->v, &s)) {
		int src;

		w.started = 0;
		src = ser_each(r, f, &s, 1, o->ex, write_cb, &w);
		if (src == 0 && (src = mstore_reader_series_check(r, &s)) == 0)
			src = MSTORE_E_REMOVED;
		if (src == MSTORE_E_REMOVED) {
			if (w.started) {
				o->len = w.at;
				*len = w.len_at;
			}
		} else if (src < 0) {
			return src;
		} else {
			count++;
		}
	}
	*written = count;
	return rc < 0 ? rc : 0;
}

/* Fill n bytes (n != 1) with fields MetricFamily does not have, which
 * every protobuf parser skips: a streamed family shorter than its length
 * because a series went away between the passes. */
static void
fam_pad(char *p, size_t n)
{
	while (n > 0) {
		/* a field of n bytes, or one that leaves at least 2 for the next */
		size_t k = n <= PAD_FIELD_MAX       ? n
		           : n - PAD_FIELD_MAX >= 2 ? PAD_FIELD_MAX
		                                    : PAD_FIELD_MAX - 1;

		p[0] = (char)PAD_FIELD_TAG;
		p[1] = (char)(k - 2);
		memset(p + 2, ' ', k - 2); /* text, as a string field's bytes may be */
		p += k;
		n -= k;
	}
}

/*
 * A counter or gauge family larger than the buffer: its length from the
 * first pass, then head, series and tail as pieces of their own.  Their
 * sizes do not depend on the values; a series removed in between leaves
 * it shorter, made up with padding.
 */
static int
fam_streamed(struct pout *o, const struct mstore_reader *r, const struct pfam *f, size_t len,
             uint64_t last)
{
	size_t done = f->head_len, pad;
	uint32_t n;
	char *p;
	int rc = piece(o, vlen(len) + f->head_len);

	if (rc < 0)
		return rc;
	p = take(o, vlen(len) + f->head_len);
	put_head(put_varint(p, len), f);
	rc = fam_series(o, r, f, last, 1, &done, &n);
	done += f->tail_len;
	if (rc == 0 && (done > len || len - done == 1))
		rc = MSTORE_E_RETRY; /* cannot happen (fam_series); the length is out */
	pad = rc == 0 ? len - done : 0;
	if (rc == 0)
		rc = piece(o, pad + f->tail_len);
	if (rc < 0)
		return rc;
	p = take(o, pad + f->tail_len);
	fam_pad(p, pad);
	put_tail(p + pad, f);
	return 0;
}

/* Set the length prefix of the message of len bytes written after w bytes
 * at start, moving the message when the length takes another width.
 * Counted only when it is not all in the buffer. */
static void
fam_prefix(struct pout *o, size_t start, size_t w, size_t len)
{
	size_t w2 = vlen(len);
	int in_buf = start + w + len <= o->cap;

	o->len = start + w2 + len;
	if (!in_buf || o->len > o->cap)
		return;
	if (w2 != w)
		memmove(o->buf + start + w2, o->buf + start + w, len);
	put_varint(o->buf + start, len);
}

/*
 * Write the family once at o->len: a length prefix of w bytes, the head,
 * its series up to last (*nseries: those written), the tail, then the
 * prefix set from what was written (*len: the message's length).
 */
static int
fam_once(struct pout *o, const struct mstore_reader *r, const struct pfam *f, size_t w,
         uint64_t last, uint32_t *nseries, size_t *len)
{
	size_t start = o->len;
	char *p;
	int rc;

	*len = f->head_len + f->tail_len;
	p = take(o, w + f->head_len);
	if (p != NULL)
		put_head(p + w, f);
	rc = fam_series(o, r, f, last, 0, len, nseries);
	if (rc < 0)
		return rc;
	p = take(o, f->tail_len);
	if (p != NULL)
		put_tail(p, f);
	fam_prefix(o, start, w, *len);
	return 0;
}

/*
 * A family as one piece: room for the measured length (and some), the
 * message written from fresh values, then its length set from what was
 * written.  Streaming: when the values grew past the room, the family is
 * written again with more room.
 */
static int
fam_whole(struct pout *o, const struct mstore_reader *r, const struct pfam *f, size_t len,
          uint64_t last)
{
	uint32_t n;
	int tries, rc;

	for (tries = 0; tries < SETTLE_TRIES; tries++) {
		size_t w = vlen(len), start, done;

		rc = piece(o, w + len);
		if (rc < 0)
			return rc;
		start = o->len;
		rc = fam_once(o, r, f, w, last, &n, &done);
		if (rc < 0)
			return rc;
		if (o->k == NULL || o->len <= o->cap)
			return 0;
		o->len = start; /* streaming: it did not fit; again, larger */
		len = done;
	}
	return EXPO_E_SPACE;
}

/*
 * A histogram family, whose size depends on its values: written straight
 * away into the room there is, its length set from what was written, so
 * that one snapshot of each series does; when streaming and it did not fit,
 * written again into room made for its size (fam_whole).  A measuring pass
 * would read every series twice, and a native histogram's reading is the
 * costly part of its rendering (doc/performance.md).  A family without
 * series is left out.
 */
static int
fam_histogram(struct pout *o, const struct mstore_reader *r, const struct pfam *f)
{
	size_t start = o->len, done;
	uint32_t nseries;
	int rc;

	rc = fam_once(o, r, f, vlen(o->cap > start ? o->cap - start : 0), LAST_ANY, &nseries,
	              &done);
	if (rc < 0 || nseries == 0) {
		o->len = start;
		return rc;
	}
	if (o->k == NULL || o->len <= o->cap)
		return 0;
	o->len = start; /* streaming: it did not fit; again, with its size */
	return fam_whole(o, r, f, done, LAST_ANY);
}

static int
render_family(struct pout *o, const struct mstore_reader *r, const struct mstore_family_view *v)
{
	struct pfam f;
	size_t len = 0;
	uint64_t last = 0;
	int empty = 1;
	int rc = fam_init(&f, v);

	if (rc == 0 && f.type == TYPE_HISTOGRAM && v->per_writer == MSTORE_SHARED)
		return fam_histogram(o, r, &f);
	if (rc == 0)
		rc = fam_measure(r, &f, &len, &last, &empty, o->ex);
	if (rc < 0 || empty)
		return rc;
	/* Only a family whose size cannot change between the passes but by
	 * removed series streams: a histogram's grows with its counts, a
	 * per-writer family's with its writers, a family's with exemplars with
	 * them (fam_whole sets the length from what it wrote). */
	if (o->k != NULL && f.type != TYPE_HISTOGRAM && v->per_writer == MSTORE_SHARED &&
	    !v->exemplars && vlen(len) + len > o->cap)
		return fam_streamed(o, r, &f, len, last);
	return fam_whole(o, r, &f, len, last);
}

struct store_ctx {
	struct pout *o;
	const struct mstore_reader *r;
};

static int
store_family_cb(void *ctx, const struct mstore_family_view *v)
{
	struct store_ctx *c = ctx;

	return render_family(c->o, c->r, v);
}

static int
render_store(struct pout *o, const struct mstore_reader *r)
{
	struct store_ctx c = { o, r };

	return expo_each_family(r, store_family_cb, &c);
}

/* ------------------------------------------------------------------ */
/* The responder's own families                                        */
/* ------------------------------------------------------------------ */

struct own_ctx {
	struct pout *o;
	size_t len; /* measuring: the bytes of all families */
	int write;
};

/* Series i of an own family, measured. */
static void
own_series(const struct pfam *f, struct pser *e, const struct mstore_series_view *s, double value)
{
	e->s = s;
	e->cex = NULL;
	e->writer_len = 0;
	labels_len(f, e);
	e->value = value;
	ser_measure(f, e);
}

/* One own family, a counter or gauge with n series: measure or write. */
static void
own_family_cb(void *ctx, const struct mstore_family_view *v, const struct mstore_series_view *s,
              const double *value, size_t n)
{
	struct own_ctx *c = ctx;
	struct pfam f;
	struct pser e;
	size_t len, i;
	char *p;

	if (fam_init(&f, v) < 0) /* own views (expo_common.c) always pass */
		return;
	len = f.head_len + f.tail_len;
	for (i = 0; i < n; i++) {
		own_series(&f, &e, &s[i], value[i]);
		len += piece_len(&e);
	}
	if (!c->write) {
		c->len += vlen(len) + len;
		return;
	}
	p = take(c->o, vlen(len) + len);
	if (p == NULL)
		return;
	p = put_head(put_varint(p, len), &f);
	for (i = 0; i < n; i++) {
		own_series(&f, &e, &s[i], value[i]);
		p = put_series(p, &f, &e);
	}
	put_tail(p, &f);
}

/* All own families, as one piece. */
static int
render_own(struct pout *o, const struct expo_own *own)
{
	struct own_ctx c = { o, 0, 0 };
	int rc;

	expo_own_each(own, own_family_cb, &c);
	rc = piece(o, c.len);
	if (rc < 0)
		return rc;
	c.write = 1;
	expo_own_each(own, own_family_cb, &c);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Entry points                                                        */
/* ------------------------------------------------------------------ */

static int
render_all(struct pout *o, const struct mstore_reader *r, const struct expo_own *own)
{
	int rc = 0;

	if (own != NULL)
		rc = render_own(o, own);
	if (rc == 0 && r != NULL)
		rc = render_store(o, r);
	return rc;
}

int
expo_proto_render(const struct mstore_reader *r, const struct expo_own *own, char *buf, size_t cap,
                  size_t *len)
{
	struct mstore_exemplar_view ex[MSTORE_MAX_BUCKETS + 1];
	struct pout o = { NULL, buf, cap, 0, ex };
	int rc = render_all(&o, r, own);

	if (rc < 0)
		return rc;
	*len = o.len;
	return o.len > cap ? EXPO_E_SPACE : 0;
}

int
expo_proto_render_stream(const struct mstore_reader *r, const struct expo_own *own,
                         struct expo_sink *k)
{
	struct mstore_exemplar_view ex[MSTORE_MAX_BUCKETS + 1];
	struct pout o = { k, k->buf, k->cap, k->len, ex };
	int rc = render_all(&o, r, own);

	if (rc == 0)
		k->len = o.len;
	return rc;
}
