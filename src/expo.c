/* SPDX-License-Identifier: MIT */
/*
 * expo.c - the text renderer: store snapshot -> Prometheus text 0.0.4 or
 * OpenMetrics 1.0.0, written straight into the caller's buffer.
 *
 * One cursor (struct out) walks the buffer.  When a write does not fit, the
 * cursor stops writing for good and only counts, so the caller learns the
 * exact size it needs from the same pass.  Everything that is constant for
 * a family (sample names, label-name chunks, "le" strings) is formatted once
 * per family on the stack.  Four shortcuts remain because each is worth more
 * than 5 % of a render (doc/performance.md, "What each shortcut is worth"):
 * a counter or gauge line reserves its worst case once and is then written
 * without bounds checks (render_scalar); short copies are inlined moves
 * (expo_copy_bytes); label values are scanned for bytes to escape eight at a time
 * (has_special); a histogram series writes its label set once and copies it
 * for every further line (render_histogram).
 */
#include "config.h"

#include "expo.h"

#include "expo_common.h"
#include "expo_proto.h"
#include "fmtnum.h"
#include "mstore_names.h"

#include <math.h>
#include <string.h>

#define CT_TEXT        "text/plain; version=0.0.4; charset=utf-8"
#define CT_OPENMETRICS "application/openmetrics-text; version=1.0.0; charset=utf-8"
#define CT_PROTOBUF                                                                  \
	"application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; " \
	"encoding=delimited"

#define STR_LEN(s) (sizeof(s) - 1)

/* Longest suffix appended to a family name ("_bucket"). */
#define SUFFIX_MAX      8
#define SAMPLE_NAME_MAX (MSTORE_NAME_MAX + SUFFIX_MAX)
/* `",` or `{`, the label name, `="`. */
#define LABEL_CHUNK_MAX (MSTORE_NAME_MAX + 4)
/* `le="` + number + `"} `. */
#define LE_TAIL_MAX (FMT_DOUBLE_MAX + 8)

/* ------------------------------------------------------------------ */
/* Output cursor                                                       */
/* ------------------------------------------------------------------ */

struct out {
	char *base;
	char *p;                /* next byte to write */
	char *end;              /* end of writable space; set to p on the first overflow */
	size_t over;            /* bytes that did not fit */
	struct expo_sink *sink; /* streaming (expo_render_stream); else NULL */
	int tries;              /* streaming: times the current piece did not fit */
};

static void
out_init(struct out *o, char *buf, size_t cap, struct expo_sink *sink)
{
	o->base = buf;
	o->p = buf;
	o->end = buf + cap;
	o->over = 0;
	o->sink = sink;
	o->tries = 0;
}

/* Bytes produced so far, written or not. */
static size_t
out_pos(const struct out *o)
{
	return (size_t)(o->p - o->base) + o->over;
}

/* Stop writing: from now on every write only counts. */
static void
out_overflow(struct out *o, size_t n)
{
	o->over += n;
	o->end = o->p;
}

static inline void
out_put(struct out *o, const char *s, size_t n)
{
	if (n <= (size_t)(o->end - o->p)) {
		expo_copy_bytes(o->p, s, n);
		o->p += n;
	} else {
		out_overflow(o, n);
	}
}

static inline void
out_ch(struct out *o, char c)
{
	if (o->p < o->end)
		*o->p++ = c;
	else
		out_overflow(o, 1);
}

/* Copy n bytes written earlier at offset off (only read while nothing has
 * overflowed, i.e. while they are really in the buffer). */
static inline void
out_copy(struct out *o, size_t off, size_t n)
{
	if (o->over == 0)
		out_put(o, o->base + off, n);
	else
		out_overflow(o, n);
}

#define OUT_LIT(o, lit) out_put((o), (lit), STR_LEN(lit))

/* Streaming: how often one piece may fail to fit after the sink made room
 * for it (it can only grow by values widening between the attempts). */
#define SETTLE_TRIES 3

/*
 * out_settle(): call after each piece of output (a family's metadata
 * lines, one whole series), with start where the piece began.  When
 * streaming and the piece did not fit (out_refit): take it back, let the
 * sink take the output before it and make room, and return 1: the caller
 * writes the piece again, from fresh values.  0: done (it fit, or we only
 * count); < 0: an error.
 */
static int
out_refit(struct out *o, char *start)
{
	struct expo_sink *k = o->sink;
	size_t need;
	int rc;

	if (++o->tries > SETTLE_TRIES)
		return EXPO_E_SPACE;
	need = (size_t)(o->p - start) + o->over;
	rc = expo_sink_room(k, (size_t)(start - o->base), need);
	if (rc < 0)
		return rc;
	o->base = k->buf;
	o->p = k->buf + k->len;
	o->end = k->buf + k->cap;
	o->over = 0;
	return 1;
}

/* The common case (the piece fit) inline; once per series. */
static inline int
out_settle(struct out *o, char *start)
{
	if (o->over == 0 || o->sink == NULL) {
		o->tries = 0;
		return 0;
	}
	return out_refit(o, start);
}

/* Where a piece began, to take it back whole (out_drop) after it settled:
 * nothing was flushed since, so it is all in the buffer or only counted. */
struct out_mark {
	char *p, *end;
	size_t over;
};

static inline void
out_mark(const struct out *o, struct out_mark *m)
{
	m->p = o->p;
	m->end = o->end;
	m->over = o->over;
}

static inline void
out_drop(struct out *o, const struct out_mark *m)
{
	o->p = m->p;
	o->end = m->end;
	o->over = m->over;
}

static void
out_double(struct out *o, double v, enum fmt_style style)
{
	char tmp[FMT_DOUBLE_MAX];

	out_put(o, tmp, fmt_double(tmp, v, style));
}

static void
out_u64(struct out *o, uint64_t v)
{
	char tmp[FMT_U64_MAX];

	out_put(o, tmp, fmt_u64(tmp, v));
}

/* ------------------------------------------------------------------ */
/* Escaping                                                            */
/* ------------------------------------------------------------------ */

/*
 * Help texts escape \ and newline; label values, and help texts in
 * OpenMetrics, also " (quote set).  Most strings have nothing to escape:
 * has_special() checks them eight bytes at a time (shorter ones byte by
 * byte), and only a string with a hit is escaped byte by byte.
 */
#define SWAR_ONES  UINT64_C(0x0101010101010101)
#define SWAR_HIGHS UINT64_C(0x8080808080808080)

/* Non-zero iff some byte of w needs an escape.  Each term is the zero-byte
 * test on w xor that byte, which is exact for "some byte" (the only
 * question asked here). */
static inline uint64_t
swar_special(uint64_t w, int quote)
{
	uint64_t a = w ^ (SWAR_ONES * '\\'), b = w ^ (SWAR_ONES * '\n');
	uint64_t t = ((a - SWAR_ONES) & ~a) | ((b - SWAR_ONES) & ~b);

	if (quote) {
		uint64_t c = w ^ (SWAR_ONES * '"');

		t |= (c - SWAR_ONES) & ~c;
	}
	return t & SWAR_HIGHS;
}

static inline int
is_special(unsigned char c, int quote)
{
	return c == '\\' || c == '\n' || (quote && c == '"');
}

/* Whether s[0..n) has a byte that needs an escape. */
static inline int
has_special(const char *s, size_t n, int quote)
{
	uint64_t w;
	size_t i;

	if (n < 8) {
		for (i = 0; i < n; i++)
			if (is_special((unsigned char)s[i], quote))
				return 1;
		return 0;
	}
	for (i = 0; i + 8 < n; i += 8) {
		memcpy(&w, s + i, 8);
		if (swar_special(w, quote))
			return 1;
	}
	memcpy(&w, s + n - 8, 8); /* the last 8, overlapping bytes already checked */
	return swar_special(w, quote) != 0;
}

/* Write s[0..n), escaped. */
static void
out_escaped(struct out *o, const char *s, size_t n, int quote)
{
	size_t i;

	if (!has_special(s, n, quote)) {
		out_put(o, s, n);
		return;
	}
	for (i = 0; i < n; i++) {
		if (is_special((unsigned char)s[i], quote))
			out_ch(o, '\\');
		out_ch(o, s[i] == '\n' ? 'n' : s[i]);
	}
}

/*
 * Unchecked writers, for a line whose worst-case size was reserved first
 * (see render_scalar): they take and return a raw write pointer.
 */

static inline char *
raw_put(char *d, const char *s, size_t n)
{
	expo_copy_bytes(d, s, n);
	return d + n;
}

/* out_escaped() into reserved room (2n bytes). */
static inline char *
raw_escaped(char *d, const char *s, size_t n, int quote)
{
	size_t i;

	if (!has_special(s, n, quote))
		return raw_put(d, s, n);
	for (i = 0; i < n; i++) {
		if (is_special((unsigned char)s[i], quote))
			*d++ = '\\';
		*d++ = s[i] == '\n' ? 'n' : s[i];
	}
	return d;
}

/* ------------------------------------------------------------------ */
/* Per-family context                                                  */
/* ------------------------------------------------------------------ */

struct name {
	char s[SAMPLE_NAME_MAX];
	size_t len;
};

struct fam_ctx {
	enum expo_format fmt;
	const struct mstore_family_view *v;
	const char *meta; /* name in the metadata lines */
	size_t meta_len;
	struct name sample;     /* counter/gauge samples; histogram _bucket */
	struct name sum, count; /* histogram only */
	/* Label chunks: chunk[0] = `{n0="`, chunk[j] = `",nj="`. */
	char chunk[MSTORE_MAX_LABELS][LABEL_CHUNK_MAX];
	uint8_t chunk_len[MSTORE_MAX_LABELS];
	/* Histogram: `le="b"} ` for each finite bound and +Inf. */
	char le[MSTORE_MAX_BUCKETS + 1][LE_TAIL_MAX];
	uint8_t le_len[MSTORE_MAX_BUCKETS + 1];
	int om_no_sum;    /* OpenMetrics: family has a negative bound */
	int om_exemplars; /* OpenMetrics and a family with exemplars */
	/* Longest scalar line without its label values: name, chunks,
	 * `"} `, number, newline. */
	size_t scalar_fixed;
};

static void
name_set(struct name *n, const char *s, size_t len, const char *suffix)
{
	size_t sl = strlen(suffix);

	memcpy(n->s, s, len);
	memcpy(n->s + len, suffix, sl);
	n->len = len + sl;
}

static void
ctx_names(struct fam_ctx *c)
{
	const struct mstore_family_view *v = c->v;

	c->meta = v->name;
	/* OpenMetrics names a counter family without its "_total"; its
	 * samples keep the name as registered, as in text 0.0.4. */
	c->meta_len = c->fmt == EXPO_OPENMETRICS
	                      ? mstore_name_base_len(v->type, v->name, v->name_len)
	                      : v->name_len;
	if (v->type == MSTORE_HISTOGRAM) {
		name_set(&c->sample, v->name, v->name_len, MSTORE_BUCKET_SUFFIX);
		name_set(&c->sum, v->name, v->name_len, MSTORE_SUM_SUFFIX);
		name_set(&c->count, v->name, v->name_len, MSTORE_COUNT_SUFFIX);
	} else {
		name_set(&c->sample, v->name, v->name_len, "");
	}
}

static void
ctx_chunks(struct fam_ctx *c)
{
	uint32_t j;

	for (j = 0; j < c->v->nlabels; j++) {
		char *p = c->chunk[j];
		size_t n = c->v->label_name_len[j];

		if (j == 0) {
			*p++ = '{';
		} else {
			*p++ = '"';
			*p++ = ',';
		}
		memcpy(p, c->v->label_name[j], n);
		p += n;
		*p++ = '=';
		*p++ = '"';
		c->chunk_len[j] = (uint8_t)(p - c->chunk[j]);
	}
}

static void
le_tail(char *dst, uint8_t *len, double bound, enum fmt_style style)
{
	char *p = dst;

	memcpy(p, "le=\"", 4);
	p += 4;
	p += fmt_double(p, bound, style);
	memcpy(p, "\"} ", 3);
	p += 3;
	*len = (uint8_t)(p - dst);
}

static void
ctx_buckets(struct fam_ctx *c)
{
	enum fmt_style style = c->fmt == EXPO_OPENMETRICS ? FMT_OM_CANONICAL : FMT_GO;
	uint32_t i, nb = c->v->nbounds;

	c->om_no_sum = 0;
	for (i = 0; i < nb; i++) {
		le_tail(c->le[i], &c->le_len[i], c->v->bounds[i], style);
		if (c->v->bounds[i] < 0)
			c->om_no_sum = c->fmt == EXPO_OPENMETRICS;
	}
	le_tail(c->le[nb], &c->le_len[nb], (double)INFINITY, style);
}

static int
ctx_init(struct fam_ctx *c, enum expo_format fmt, const struct mstore_family_view *v)
{
	if (!expo_view_ok(v))
		return MSTORE_E_CORRUPT;
	/* The reader refuses a counter without "_total" (mstore_names.c);
	 * without it the two formats would name its samples differently. */
	if (v->type == MSTORE_COUNTER && !mstore_name_has_total(v->name, v->name_len))
		return MSTORE_E_CORRUPT;
	c->fmt = fmt;
	c->v = v;
	c->om_exemplars = fmt == EXPO_OPENMETRICS && v->exemplars;
	ctx_names(c);
	ctx_chunks(c);
	c->scalar_fixed = c->sample.len + STR_LEN("\"} ") + FMT_DOUBLE_MAX + 1;
	for (uint32_t j = 0; j < v->nlabels; j++)
		c->scalar_fixed += c->chunk_len[j];
	if (v->type == MSTORE_HISTOGRAM)
		ctx_buckets(c);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Lines                                                               */
/* ------------------------------------------------------------------ */

static const char *
type_word(enum mstore_type t)
{
	switch (t) {
	case MSTORE_COUNTER:
		return "counter";
	case MSTORE_GAUGE:
		return "gauge";
	case MSTORE_HISTOGRAM:
		return "histogram";
	}
	return "unknown";
}

static void
meta_line(struct out *o, const char *tag, const struct fam_ctx *c)
{
	out_put(o, tag, strlen(tag));
	out_put(o, c->meta, c->meta_len);
	out_ch(o, ' ');
}

/* "# HELP" with the family's help text, or MSTORE_HELP_NONE for a family
 * without one (mstore_names.h: promtool wants help on every family). */
static void
help_line(struct out *o, const struct fam_ctx *c, int quote)
{
	const struct mstore_family_view *v = c->v;

	meta_line(o, "# HELP ", c);
	if (mstore_help_blank(v->help, v->help_len))
		OUT_LIT(o, MSTORE_HELP_NONE);
	else
		out_escaped(o, v->help, v->help_len, quote);
	out_ch(o, '\n');
}

static void
render_meta(struct out *o, const struct fam_ctx *c)
{
	const struct mstore_family_view *v = c->v;
	const char *type = type_word(v->type);
	int om = c->fmt == EXPO_OPENMETRICS;

	if (!om)
		help_line(o, c, 0);
	meta_line(o, "# TYPE ", c);
	out_put(o, type, strlen(type));
	out_ch(o, '\n');
	if (om && v->unit_len > 0) {
		meta_line(o, "# UNIT ", c);
		out_put(o, v->unit, v->unit_len);
		out_ch(o, '\n');
	}
	if (om)
		help_line(o, c, 1);
}

/* The label values of s, each after its chunk; leaves the last value's
 * closing quote unwritten.  Nothing for a family without labels. */
static void
render_label_values(struct out *o, const struct fam_ctx *c, const struct mstore_series_view *s)
{
	uint32_t j;

	for (j = 0; j < c->v->nlabels; j++) {
		out_put(o, c->chunk[j], c->chunk_len[j]);
		out_escaped(o, s->label_value[j], s->label_value_len[j], 1);
	}
}

/* The most render_scalar() can write for s: each label value at most
 * doubles when escaped. */
static size_t
scalar_worst(const struct fam_ctx *c, const struct mstore_series_view *s)
{
	size_t n = c->scalar_fixed;
	uint32_t j;

	for (j = 0; j < c->v->nlabels; j++)
		n += 2 * (size_t)s->label_value_len[j];
	return n;
}

/* render_scalar() into reserved space: no per-write checks. */
static char *
scalar_raw(char *p, const struct fam_ctx *c, const struct mstore_series_view *s, double value)
{
	uint32_t j;

	p = raw_put(p, c->sample.s, c->sample.len);
	for (j = 0; j < c->v->nlabels; j++) {
		p = raw_put(p, c->chunk[j], c->chunk_len[j]);
		p = raw_escaped(p, s->label_value[j], s->label_value_len[j], 1);
	}
	if (c->v->nlabels > 0) {
		memcpy(p, "\"} ", 3);
		p += 3;
	} else {
		*p++ = ' ';
	}
	p += fmt_double(p, value, FMT_VALUE);
	*p++ = '\n';
	return p;
}

/* name{labels} value, with checked writes (no newline). */
static void
scalar_checked(struct out *o, const struct fam_ctx *c, const struct mstore_series_view *s,
               double value)
{
	out_put(o, c->sample.s, c->sample.len);
	render_label_values(o, c, s);
	if (c->v->nlabels > 0)
		OUT_LIT(o, "\"} ");
	else
		out_ch(o, ' ');
	out_double(o, value, FMT_VALUE);
}

/* name{labels} value\n for a counter or gauge. */
static void
render_scalar(struct out *o, const struct fam_ctx *c, const struct mstore_series_view *s,
              double value)
{
	/* Nearly always: reserve the worst case once, then write unchecked.
	 * Near the end of the buffer (or once it overflowed, end == p) the
	 * checked writes below count exactly. */
	if (scalar_worst(c, s) <= (size_t)(o->end - o->p)) {
		o->p = scalar_raw(o->p, c, s, value);
		return;
	}
	scalar_checked(o, c, s, value);
	out_ch(o, '\n');
}

/* An exemplar's time: seconds since the epoch, and its nanoseconds as a
 * fraction without trailing zeros (exact: Prometheus reads milliseconds
 * from it, the python parser nanoseconds). */
static void
out_timestamp(struct out *o, int64_t ns)
{
	char frac[FMT_U64_MAX]; /* '.' and 9 digits (room for expo_copy_bytes' moves) */
	uint32_t n = (uint32_t)(ns % MSTORE_NS_PER_SEC), len = 9;
	int k;

	out_u64(o, (uint64_t)(ns / MSTORE_NS_PER_SEC));
	if (n == 0)
		return;
	frac[0] = '.';
	for (k = 9; k >= 1; k--, n /= 10)
		frac[k] = (char)('0' + n % 10);
	while (frac[len] == '0')
		len--;
	out_put(o, frac, len + 1);
}

/* OpenMetrics: " # {labels} value time" after a _total or _bucket
 * sample's value. */
static void
render_exemplar(struct out *o, const struct mstore_exemplar_view *ev)
{
	uint32_t j;

	OUT_LIT(o, " # {");
	for (j = 0; j < ev->nlabels; j++) {
		if (j > 0)
			out_ch(o, ',');
		out_put(o, ev->text + ev->name_off[j], ev->name_len[j]);
		OUT_LIT(o, "=\"");
		out_escaped(o, ev->text + ev->value_off[j], ev->value_len[j], 1);
		out_ch(o, '"');
	}
	OUT_LIT(o, "} ");
	out_double(o, ev->value, FMT_VALUE);
	out_ch(o, ' ');
	out_timestamp(o, ev->timestamp_ns);
}

/* A counter of a family with exemplars, in OpenMetrics: its line with
 * its exemplar, when it has one to show. */
static int
render_counter_exemplar(struct out *o, const struct mstore_reader *r, const struct fam_ctx *c,
                        const struct mstore_series_view *s, const struct mstore_snapshot *snap)
{
	struct mstore_exemplar_view ev;
	int rc = expo_exemplar(r, c->v, s, snap, 0, &ev);

	if (rc <= 0) {
		if (rc == 0)
			render_scalar(o, c, s, snap->value);
		return rc;
	}
	scalar_checked(o, c, s, snap->value);
	render_exemplar(o, &ev);
	out_ch(o, '\n');
	return 0;
}

/* _sum (or _count) line reusing the label body written at body_off. */
static void
render_hist_tail(struct out *o, const struct name *n, size_t body_off, size_t body_len, int labels)
{
	out_put(o, n->s, n->len);
	if (labels) {
		out_ch(o, '{');
		out_copy(o, body_off, body_len);
		OUT_LIT(o, "} ");
	} else {
		out_ch(o, ' ');
	}
}

static int
render_histogram(struct out *o, const struct mstore_reader *r, const struct fam_ctx *c,
                 const struct mstore_series_view *s, const struct mstore_snapshot *snap)
{
	struct mstore_exemplar_view ev;
	uint32_t i, nb = c->v->nbounds;
	int labels = c->v->nlabels > 0, rc;
	size_t start = out_pos(o), prefix_len, body_off, body_len;

	if (!expo_snapshot_sane(snap, nb))
		return MSTORE_E_CORRUPT;
	/* First line, whose start "name_bucket{labels," is the prefix of all. */
	out_put(o, c->sample.s, c->sample.len);
	render_label_values(o, c, s);
	if (labels)
		OUT_LIT(o, "\",");
	else
		out_ch(o, '{');
	prefix_len = out_pos(o) - start;
	for (i = 0; i <= nb; i++) {
		if (i > 0)
			out_copy(o, start, prefix_len);
		out_put(o, c->le[i], c->le_len[i]);
		out_u64(o, snap->bucket[i]);
		if (c->om_exemplars && (rc = expo_exemplar(r, c->v, s, snap, i, &ev)) != 0) {
			if (rc < 0)
				return rc;
			render_exemplar(o, &ev);
		}
		out_ch(o, '\n');
	}
	if (c->fmt == EXPO_OPENMETRICS && (c->om_no_sum || !(snap->sum >= 0)))
		return 0; /* not counter-like: OpenMetrics forbids _sum (and so _count) */
	/* _sum and _count reuse the first line's label set: `n0="v0",...`
	 * up to the last value's closing quote, between "name_bucket{" and
	 * the trailing ','. */
	body_off = start + c->sample.len + 1;
	body_len = labels ? prefix_len - c->sample.len - 2 : 0;
	render_hist_tail(o, &c->sum, body_off, body_len, labels);
	out_double(o, snap->sum, FMT_VALUE);
	out_ch(o, '\n');
	render_hist_tail(o, &c->count, body_off, body_len, labels);
	out_u64(o, snap->count);
	out_ch(o, '\n');
	return 0;
}

/* ------------------------------------------------------------------ */
/* Store families                                                      */
/* ------------------------------------------------------------------ */

/* The label a per-writer family of mode ALL adds to its samples, whose
 * value is the writer slot (registration reserves the name). */
#define WRITER_LABEL "writer"

/*
 * A per-writer series of mode ALL: one sample per live writer that set it,
 * with writer="<slot>" after the family's labels.  Few families are ALL
 * (process metrics, a worker's own figures), so these lines take the
 * checked writes.
 */
static int
render_per_writer_all(struct out *o, const struct mstore_reader *r, const struct fam_ctx *c,
                      const struct mstore_series_view *s)
{
	uint32_t slot = 0;
	double value;
	int rc;

	while ((rc = mstore_reader_per_writer(r, c->v, s, slot, &slot, &value)) == 1) {
		out_put(o, c->sample.s, c->sample.len);
		render_label_values(o, c, s);
		if (c->v->nlabels > 0)
			OUT_LIT(o, "\",");
		else
			out_ch(o, '{');
		OUT_LIT(o, WRITER_LABEL "=\"");
		out_u64(o, slot);
		OUT_LIT(o, "\"} ");
		out_double(o, value, FMT_VALUE);
		out_ch(o, '\n');
		slot++;
	}
	return rc;
}

static int
render_series(struct out *o, const struct mstore_reader *r, const struct fam_ctx *c,
              const struct mstore_series_view *s)
{
	struct mstore_snapshot snap;
	int rc;

	if (c->v->per_writer == MSTORE_PER_WRITER_ALL)
		return render_per_writer_all(o, r, c, s);
	rc = mstore_reader_snapshot(r, c->v, s, &snap);
	if (rc < 0)
		return rc;
	if (c->v->type == MSTORE_HISTOGRAM)
		return render_histogram(o, r, c, s, &snap);
	/* A per-writer series no live writer has set has no value now. */
	if (c->v->per_writer != MSTORE_SHARED && snap.writers == 0)
		return 0;
	if (c->om_exemplars)
		return render_counter_exemplar(o, r, c, s, &snap);
	render_scalar(o, c, s, snap.value);
	return 0;
}

static int
render_store_family(struct out *o, enum expo_format fmt, const struct mstore_reader *r,
                    const struct mstore_family_view *v)
{
	struct fam_ctx c;
	struct mstore_series_view s;
	char *start;
	int rc = ctx_init(&c, fmt, v);

	if (rc < 0)
		return rc;
	do {
		start = o->p;
		render_meta(o, &c);
	} while ((rc = out_settle(o, start)) == 1);
	if (rc < 0)
		return rc;
	for (rc = mstore_reader_series_first(r, v, &s); rc == 1;
	     rc = mstore_reader_series_next(r, v, &s)) {
		struct out_mark m;
		int src;

		do {
			start = o->p;
			out_mark(o, &m);
			src = render_series(o, r, &c, &s);
		} while (src == 0 && (src = out_settle(o, start)) == 1);
		/* Its label values were copied from the mapping after the walk
		 * read them: still the same series?  (mstore.h) */
		if (src == 0 && (src = mstore_reader_series_check(r, &s)) == 0)
			src = MSTORE_E_REMOVED;
		if (src == MSTORE_E_REMOVED)
			out_drop(o, &m); /* removed meanwhile: not in this scrape */
		else if (src < 0)
			return src;
	}
	return rc;
}

struct store_ctx {
	struct out *o;
	enum expo_format fmt;
	const struct mstore_reader *r;
};

static int
store_family_cb(void *ctx, const struct mstore_family_view *v)
{
	struct store_ctx *c = ctx;

	return render_store_family(c->o, c->fmt, c->r, v);
}

static int
render_store(struct out *o, enum expo_format fmt, const struct mstore_reader *r)
{
	struct store_ctx c = { o, fmt, r };

	return expo_each_family(r, store_family_cb, &c);
}

/* ------------------------------------------------------------------ */
/* The responder's own families                                        */
/* ------------------------------------------------------------------ */

/* One family with its series s[0..n) (labels, or none) of values value[]. */
static void
render_own_family(struct out *o, enum expo_format fmt, const struct mstore_family_view *v,
                  const struct mstore_series_view *s, const double *value, size_t n)
{
	struct fam_ctx c;
	size_t i;

	/* Own views (expo_common.c) always fit: ctx_init cannot fail. */
	if (ctx_init(&c, fmt, v) < 0)
		return;
	render_meta(o, &c);
	for (i = 0; i < n; i++)
		render_scalar(o, &c, &s[i], value[i]);
}

struct own_ctx {
	struct out *o;
	enum expo_format fmt;
};

static void
own_family_cb(void *ctx, const struct mstore_family_view *v, const struct mstore_series_view *s,
              const double *value, size_t n)
{
	struct own_ctx *c = ctx;

	render_own_family(c->o, c->fmt, v, s, value, n);
}

static void
render_own(struct out *o, enum expo_format fmt, const struct expo_own *own)
{
	struct own_ctx c = { o, fmt };

	expo_own_each(own, own_family_cb, &c);
}

/* ------------------------------------------------------------------ */
/* Entry points                                                        */
/* ------------------------------------------------------------------ */

const char *
expo_content_type(enum expo_format f)
{
	switch (f) {
	case EXPO_OPENMETRICS:
		return CT_OPENMETRICS;
	case EXPO_PROTOBUF:
		return CT_PROTOBUF;
	default:
		return CT_TEXT;
	}
}

const char *
expo_strerror(int code)
{
	switch (code) {
	case EXPO_E_SPACE:
		return "output buffer too small";
	case EXPO_E_INVAL:
		return "invalid argument to the renderer";
	default:
		return mstore_strerror(code);
	}
}

/* Everything, in order: own families, the store's, "# EOF". */
static int
render_all(struct out *o, const struct mstore_reader *r, enum expo_format f,
           const struct expo_own *own)
{
	char *start;
	int rc;

	if (own != NULL) {
		do { /* one piece: about a kilobyte */
			start = o->p;
			render_own(o, f, own);
		} while ((rc = out_settle(o, start)) == 1);
		if (rc < 0)
			return rc;
	}
	if (r != NULL) {
		rc = render_store(o, f, r);
		if (rc < 0)
			return rc;
	}
	if (f == EXPO_OPENMETRICS) {
		do {
			start = o->p;
			OUT_LIT(o, "# EOF\n");
		} while ((rc = out_settle(o, start)) == 1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int
expo_render(const struct mstore_reader *r, enum expo_format f, const struct expo_own *own,
            char *buf, size_t cap, size_t *len)
{
	struct out o;
	char none; /* a valid address for an empty buffer */
	int rc;

	if (len == NULL)
		return EXPO_E_INVAL;
	*len = 0;
	if ((f != EXPO_TEXT && f != EXPO_OPENMETRICS && f != EXPO_PROTOBUF) ||
	    (buf == NULL && cap > 0))
		return EXPO_E_INVAL;
	if (f == EXPO_PROTOBUF)
		return expo_proto_render(r, own, buf != NULL ? buf : &none, cap, len);
	out_init(&o, buf != NULL ? buf : &none, cap, NULL);
	rc = render_all(&o, r, f, own);
	if (rc < 0)
		return rc;
	*len = out_pos(&o);
	return o.over > 0 ? EXPO_E_SPACE : 0;
}

int
expo_render_stream(const struct mstore_reader *r, enum expo_format f, const struct expo_own *own,
                   struct expo_sink *k)
{
	struct out o;
	int rc;

	if (k == NULL || k->flush == NULL || k->buf == NULL || k->len > k->cap ||
	    (f != EXPO_TEXT && f != EXPO_OPENMETRICS && f != EXPO_PROTOBUF))
		return EXPO_E_INVAL;
	if (f == EXPO_PROTOBUF)
		return expo_proto_render_stream(r, own, k);
	out_init(&o, k->buf, k->cap, k);
	o.p = k->buf + k->len;
	rc = render_all(&o, r, f, own);
	if (rc == 0) /* after an error o.base may be a buffer the sink replaced */
		k->len = (size_t)(o.p - o.base);
	return rc;
}
