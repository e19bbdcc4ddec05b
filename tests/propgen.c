/* SPDX-License-Identifier: MIT */
/*
 * propgen.c - the driver of the naming property test (tests/names-prop.sh):
 * a random set of families (counters, gauges, histograms; names from a
 * small alphabet and the reserved suffixes, so that clashes and broken
 * rules are frequent; labels, label values with every escape and UTF-8,
 * values with NaN, infinities, huge, tiny and negative numbers; counters
 * and histograms with exemplars, whose labels carry every escape, UTF-8 of
 * every width and sit at, below and just over the 128-character limit)
 * goes through the real library in the order generated, the store
 * through the real reader and renderer, and every format's body into a
 * file for the parsers to judge.  Whatever the library accepts must render
 * to bodies that promtool and the strict OpenMetrics parser accept, and
 * the exemplars it kept must be the ones the OpenMetrics body shows.
 *
 *   propgen --seed N OUTDIR     generate case N (any u64), run it
 *   propgen --case FILE OUTDIR  run a case written before (a regression)
 *   propgen --formats           the formats it renders, one a line
 *
 * OUTDIR (created) gets: case, the case as a replayable list of families
 * (the --case input, below); log, what the library did with each family,
 * series and value; store, the store file; one body per format,
 * <format>.txt; and exemplars.json, the exemplars a scrape must show (the
 * latest one the library accepted per counter series and per bucket, on
 * a counter above 0), as a JSON list of {"sample", "labels" (the
 * series', with "le" for a bucket), "exemplar": {"labels", "value",
 * "time": [seconds, nanoseconds]}}.  A new format (protobuf) adds a row to formats[] and a
 * checker to names-prop.sh, which refuses a format it has no checker for.
 *
 * The case file: one record a line, words and "quoted strings" (escapes
 * \\ \" \xHH), - for NULL, numbers as strtod() reads them.
 *   family TYPE NAME HELP UNIT   a family (TYPE counter, gauge, histogram)
 *   labels NAME...               its label names
 *   bounds B...                  its bucket bounds (histograms)
 *   exemplars                    the family keeps exemplars
 *   series VALUE...              a series: its label values
 *   values V...                  what goes to the series last named:
 *                                counter_add, gauge_set or observe each
 *   exemplar I TIME NAME VALUE...  value I of the last values line goes
 *                                with this exemplar (time in ns; names
 *                                and values in pairs)
 * Lines starting with # are comments.  The seed's generator may change
 * (another alphabet, more rules); a case file keeps its meaning.
 *
 * Exit 0 when everything ran (refusals included: they are the point),
 * 1 when the library broke a promise: the reader refused a store the
 * writer wrote, or a rendering failed; 2 on bad usage or I/O errors.
 */
#include "config.h"

#include "expo.h"
#include "mstore.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PG_FAMILIES_MAX 16
#define PG_LABELS_MAX   4
#define PG_SERIES_MAX   4
#define PG_VALUES_MAX   6
#define PG_BOUNDS_MAX   8
#define PG_EX_LABELS    5 /* exemplar labels */
#define PG_LINE_MAX     8192
#define PG_PATH_MAX     4096
#define PG_BODY_MAX     (1024 * 1024)
/* Words of a case line after its keyword, and more. */
#define TOKENS_MAX (PG_LABELS_MAX + PG_BOUNDS_MAX + 2 * PG_EX_LABELS + 2)

/* ------------------------------------------------------------------ */
/* A case                                                              */
/* ------------------------------------------------------------------ */

struct pg_exemplar {
	int set; /* the value goes with this exemplar */
	int nlabels;
	char *name[PG_EX_LABELS], *value[PG_EX_LABELS];
	int64_t t;
};

struct pg_series {
	int nvals;
	char *label[PG_LABELS_MAX];
	int nvalues;
	double value[PG_VALUES_MAX];
	struct pg_exemplar ex[PG_VALUES_MAX];
};

struct pg_family {
	enum mstore_type type;
	char *name, *help, *unit; /* help and unit may be NULL */
	int nlabels;
	char *labels[PG_LABELS_MAX];
	int nbounds;
	double bounds[PG_BOUNDS_MAX];
	int exemplars;
	int nseries;
	struct pg_series series[PG_SERIES_MAX];
};

struct pg_case {
	int nfam;
	struct pg_family fam[PG_FAMILIES_MAX];
};

static const char *const type_names[] = {
	[MSTORE_COUNTER] = "counter", [MSTORE_GAUGE] = "gauge", [MSTORE_HISTOGRAM] = "histogram"
};

static char *
xstrdup(const char *s)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL) {
		perror("propgen");
		exit(2);
	}
	return d;
}

static void
case_free(struct pg_case *c)
{
	int i, j, k;

	for (i = 0; i < c->nfam; i++) {
		struct pg_family *f = &c->fam[i];

		free(f->name);
		free(f->help);
		free(f->unit);
		for (j = 0; j < f->nlabels; j++)
			free(f->labels[j]);
		for (j = 0; j < f->nseries; j++) {
			struct pg_series *x = &f->series[j];
			int v, l;

			for (k = 0; k < x->nvals; k++)
				free(x->label[k]);
			for (v = 0; v < PG_VALUES_MAX; v++)
				for (l = 0; l < x->ex[v].nlabels; l++) {
					free(x->ex[v].name[l]);
					free(x->ex[v].value[l]);
				}
		}
	}
	memset(c, 0, sizeof(*c));
}

/* ------------------------------------------------------------------ */
/* The generator                                                       */
/* ------------------------------------------------------------------ */

/* splitmix64: small, and the same sequence on every machine. */
static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static int
pick(uint64_t *s, int n)
{
	return (int)(rnd(s) % (uint64_t)n);
}

#define PICK(s, a) ((a)[pick((s), (int)(sizeof(a) / sizeof((a)[0])))])

/* Name stems: good ones, and some that break one rule each (drawn one
 * time in RARE). */
#define RARE 10
static const char *const stems[] = { "jobs", "a", "x_y", "lat", "req_seconds", "size_bytes" };
static const char *const bad_stems[] = {
	"jobsDone", "a:b", "__x", "q_milliseconds", "x_ms", "q_gauge", "Shop", "n_kilobytes", "s_b",
};
/* Reserved suffixes and near misses, appended 0 to 2 times. */
static const char *const suffixes[] = {
	"_total", "_created", "_count", "_sum", "_bucket", "_info", "_totals", "_x",
};
/* The units that stems and suffixes end in, and one that fits nothing. */
static const char *const units[] = { "seconds", "bytes", "x" };
static const char *const helps[] = {
	NULL,
	"",
	" ",
	"\t",
	"Jobs.",
	"a \\ b\nc \"q\"",
	"caf\xc3\xa9 \xf0\x9f\x8d\xb0",
	" leading",
	"x\ry",
	"# HELP x",
	"\\n",
};
static const char *const label_names[] = { "a", "b", "path", "code", "_x", "A", "le_x" };
static const char *const bad_label_names[] = { "le", "quantile", "fooBar", "__x", "a:b" };
static const char *const label_values[] = {
	"",           "x",           "\\",
	"\"",         "\n",          "\\n",
	"a\"b\\c\nd", "caf\xc3\xa9", "\xf0\x9f\x98\x80",
	"}",          "{",           ",",
	"=",          " # ",         "# EOF",
	"\t",         "\r",          "le=\"1\"",
	"\x01",       "\x7f",        "\xe2\x80\xa8",
	"\xc2\x85",   " ",           "a b",
	"NaN",        "+Inf",        "\xef\xbb\xbf",
	"\"}",        "x\",y=\"z",   "\xff",
};
static const double numbers[] = {
	0,
	1,
	-1,
	0.5,
	1e-300,
	5e-324,
	1e300,
	1.7976931348623157e308,
	INFINITY,
	-INFINITY,
	NAN,
	-0.0,
	9007199254740992.0,
	18446744073709551616.0,
	123456789.125,
	-2.5,
	3,
	1e21,
};
static const double bound_pool[] = { -1e308, -10, -1,  -0.5, 0,   1e-300, 0.001,
	                             0.5,    1,   2.5, 10,   1e6, 1e308 };
/* Exemplar label names: good ones (camelCase too), and some the library
 * refuses (drawn one time in RARE). */
static const char *const ex_names[] = { "trace_id", "span_id", "traceID", "a", "_x", "le", "x9" };
static const char *const bad_ex_names[] = { "__x", "1a", "a-b", "", "a:b", "caf\xc3\xa9" };
/* Exemplar label values: every escape, UTF-8 of every width, and bytes
 * that are not UTF-8.  No '}': prometheus_client 0.16's parser ends an
 * exemplar's labels at the first one (Prometheus' own parser does not;
 * tests/integration/exemplars.sh sends it one). */
static const char *const ex_values[] = {
	"",
	"4bf92f3577b34da6a3ce929d0e0e4736",
	"\\",
	"\"",
	"\n",
	"a\"b\\c\nd",
	"{",
	" # ",
	"=,",
	"\t\r",
	"caf\xc3\xa9",
	"\xf0\x9f\x98\x80",
	"\x01",
	"\xff",
	"\x7f",
	"# EOF",
	"\xe2\x82\xac",
};
/* Characters of 1 to 4 bytes, to fill a value up to the limit. */
static const char *const ex_fill[] = { "x", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x8d\xb0" };
/* A time about now, to the nanosecond. */
#define EX_TIME_BASE INT64_C(1712345678000000000)

static char *
gen_name(uint64_t *s, enum mstore_type type)
{
	char buf[256];
	int i, n = pick(s, 3);

	snprintf(buf, sizeof(buf), "%s", pick(s, RARE) == 0 ? PICK(s, bad_stems) : PICK(s, stems));
	for (i = 0; i < n; i++)
		strncat(buf, PICK(s, suffixes), sizeof(buf) - strlen(buf) - 1);
	/* counters end in _total, but now and then */
	if (type == MSTORE_COUNTER && pick(s, RARE) != 0)
		strncat(buf, "_total", sizeof(buf) - strlen(buf) - 1);
	return xstrdup(buf);
}

/* The unit the name ends in (before a counter's _total) most times it has
 * one, and now and then one it does not end in. */
static char *
gen_unit(uint64_t *s, const char *name, enum mstore_type type)
{
	size_t len = strlen(name), i;

	if (type == MSTORE_COUNTER && len > 6 && strcmp(name + len - 6, "_total") == 0)
		len -= 6;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t ul = strlen(units[i]);

		if (len > ul && name[len - ul - 1] == '_' &&
		    strncmp(name + len - ul, units[i], ul) == 0 && pick(s, 2) == 0)
			return xstrdup(units[i]);
	}
	return pick(s, RARE) == 0 ? xstrdup(PICK(s, units)) : NULL;
}

/* Characters of s, counting the bytes that start one (s may not be
 * UTF-8: then the library refuses it anyway). */
static size_t
chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* An exemplar: 0 to 3 labels (now and then PG_EX_LABELS), a time; one time
 * in 4 the last value is filled up to exactly 128 characters, one time in
 * RARE to 129. */
static void
gen_exemplar(uint64_t *s, struct pg_exemplar *e)
{
	char buf[4 * 140 + 1];
	size_t used = 0, want, n, i;
	const char *fill;
	int j;

	e->set = 1;
	e->nlabels = pick(s, RARE) == 0 ? PG_EX_LABELS : pick(s, 4);
	for (j = 0; j < e->nlabels; j++) {
		e->name[j] =
		        xstrdup(pick(s, 2 * RARE) == 0 ? PICK(s, bad_ex_names) : PICK(s, ex_names));
		e->value[j] = xstrdup(PICK(s, ex_values));
		used += chars(e->name[j]) + chars(e->value[j]);
	}
	e->t = pick(s, 4 * RARE) == 0 ? -1
	                              : EX_TIME_BASE + (int64_t)(rnd(s) % UINT64_C(1000000000000));
	if (e->nlabels == 0 || pick(s, 4) != 0)
		return;
	used -= chars(e->value[e->nlabels - 1]);
	want = pick(s, RARE) == 0 ? 129 : 128;
	if (used >= want)
		return;
	fill = PICK(s, ex_fill);
	for (i = 0, n = 0; n < want - used; n++, i += strlen(fill))
		memcpy(buf + i, fill, strlen(fill));
	buf[i] = '\0';
	free(e->value[e->nlabels - 1]);
	e->value[e->nlabels - 1] = xstrdup(buf);
}

static void
gen_family(uint64_t *s, struct pg_family *f)
{
	int i, j;

	f->type = (enum mstore_type)(1 + pick(s, 3));
	f->name = gen_name(s, f->type);
	f->help = xstrdup(PICK(s, helps));
	f->unit = gen_unit(s, f->name, f->type);
	f->nlabels = pick(s, PG_LABELS_MAX);
	for (i = 0; i < f->nlabels; i++)
		f->labels[i] = xstrdup(pick(s, 2 * RARE) == 0 ? PICK(s, bad_label_names)
		                                              : PICK(s, label_names));
	if (f->type == MSTORE_HISTOGRAM) {
		/* increasing picks from the pool; now and then a repeat (refused) */
		int at = pick(s, 4);

		for (i = 0; i < PG_BOUNDS_MAX && at < (int)(sizeof(bound_pool) / sizeof(double));
		     i++) {
			f->bounds[f->nbounds++] = bound_pool[at];
			at += pick(s, 12) == 0 ? 0 : 1 + pick(s, 3);
		}
		f->nbounds = pick(s, f->nbounds + 1);
	}
	/* exemplars: counters and histograms one time in 2, gauges (refused)
	 * now and then */
	f->exemplars = f->type == MSTORE_GAUGE ? pick(s, RARE) == 0 : pick(s, 2) == 0;
	f->nseries = pick(s, PG_SERIES_MAX);
	for (i = 0; i < f->nseries; i++) {
		struct pg_series *x = &f->series[i];

		x->nvals = f->nlabels;
		for (j = 0; j < x->nvals; j++)
			x->label[j] = xstrdup(PICK(s, label_values));
		x->nvalues = pick(s, PG_VALUES_MAX + 1);
		for (j = 0; j < x->nvalues; j++) {
			x->value[j] = PICK(s, numbers);
			/* an exemplar family's values mostly have one; a
			 * counter's or histogram's without, now and then */
			if (f->type != MSTORE_GAUGE &&
			    (f->exemplars ? pick(s, 3) != 0 : pick(s, RARE) == 0))
				gen_exemplar(s, &x->ex[j]);
		}
	}
}

static void
gen_case(uint64_t seed, struct pg_case *c)
{
	uint64_t s = seed;
	int i;

	memset(c, 0, sizeof(*c));
	c->nfam = 1 + pick(&s, PG_FAMILIES_MAX - 1);
	for (i = 0; i < c->nfam; i++)
		gen_family(&s, &c->fam[i]);
}

/* ------------------------------------------------------------------ */
/* Case files                                                          */
/* ------------------------------------------------------------------ */

static void
put_str(FILE *o, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (s == NULL) {
		fputs(" -", o);
		return;
	}
	fputs(" \"", o);
	for (; *p != '\0'; p++) {
		if (*p == '\\' || *p == '"')
			fprintf(o, "\\%c", *p);
		else if (*p >= 0x20 && *p < 0x7f)
			fputc(*p, o);
		else
			fprintf(o, "\\x%02x", *p);
	}
	fputc('"', o);
}

static void
put_nums(FILE *o, const char *word, const double *v, int n)
{
	int i;

	fputs(word, o);
	for (i = 0; i < n; i++)
		fprintf(o, " %.17g", v[i]);
	fputc('\n', o);
}

static void
put_exemplar(FILE *o, int k, const struct pg_exemplar *e)
{
	int j;

	if (!e->set)
		return;
	fprintf(o, "exemplar %d %" PRId64, k, e->t);
	for (j = 0; j < e->nlabels; j++) {
		put_str(o, e->name[j]);
		put_str(o, e->value[j]);
	}
	fputc('\n', o);
}

static void
case_write(FILE *o, const struct pg_case *c, const char *origin)
{
	int i, j, k;

	fprintf(o, "# propgen case (%s): %d families\n", origin, c->nfam);
	for (i = 0; i < c->nfam; i++) {
		const struct pg_family *f = &c->fam[i];

		fprintf(o, "family %s", type_names[f->type]);
		put_str(o, f->name);
		put_str(o, f->help);
		put_str(o, f->unit);
		fputs("\nlabels", o);
		for (j = 0; j < f->nlabels; j++)
			put_str(o, f->labels[j]);
		fputc('\n', o);
		if (f->type == MSTORE_HISTOGRAM)
			put_nums(o, "bounds", f->bounds, f->nbounds);
		if (f->exemplars)
			fputs("exemplars\n", o);
		for (j = 0; j < f->nseries; j++) {
			const struct pg_series *x = &f->series[j];

			fputs("series", o);
			for (k = 0; k < x->nvals; k++)
				put_str(o, x->label[k]);
			fputc('\n', o);
			put_nums(o, "values", x->value, x->nvalues);
			for (k = 0; k < x->nvalues; k++)
				put_exemplar(o, k, &x->ex[k]);
		}
	}
}

/* Next token of *p: a word, a quoted string (unescaped) or "-" (NULL in
 * *out, returns 1); 0 at the end of the line; -1 on a syntax error. */
static int
next_token(char **p, char **out, int *is_null)
{
	char *s = *p, *d;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0' || *s == '\n')
		return 0;
	*is_null = 0;
	if (*s != '"') {
		*out = s;
		while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\n')
			s++;
		if (*s != '\0')
			*s++ = '\0';
		*is_null = strcmp(*out, "-") == 0;
		*p = s;
		return 1;
	}
	*out = d = ++s;
	for (; *s != '"'; s++) {
		if (*s == '\0' || *s == '\n')
			return -1;
		if (*s == '\\' && s[1] == 'x' && isxdigit((unsigned char)s[2]) &&
		    isxdigit((unsigned char)s[3])) {
			char hex[3] = { s[2], s[3], '\0' };

			*d++ = (char)strtol(hex, NULL, 16);
			s += 3;
		} else if (*s == '\\' && (s[1] == '\\' || s[1] == '"')) {
			*d++ = *++s;
		} else if (*s == '\\') {
			return -1;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
	*p = s + 1;
	return 1;
}

/* The tokens of a line after its keyword, at most max. */
static int
tokens(char **p, char **tok, int *null, int max)
{
	int n = 0, rc;

	while ((rc = next_token(p, &tok[n], &null[n])) == 1)
		if (++n > max)
			return -1;
	return rc < 0 ? -1 : n;
}

static int
parse_nums(char **tok, int n, double *v)
{
	int i;

	for (i = 0; i < n; i++) {
		char *end;

		v[i] = strtod(tok[i], &end);
		if (*end != '\0')
			return -1;
	}
	return 0;
}

/* "exemplar I TIME NAME VALUE ..." for series x. */
static int
parse_exemplar(struct pg_series *x, char **tok, const int *null, int n)
{
	struct pg_exemplar *e;
	char *end;
	long k;
	int j;

	if (n < 2 || n % 2 != 0 || (n - 2) / 2 > PG_EX_LABELS)
		return -1;
	k = strtol(tok[0], &end, 10);
	if (*end != '\0' || k < 0 || k >= PG_VALUES_MAX || x->ex[k].set)
		return -1;
	e = &x->ex[k];
	e->set = 1;
	e->t = strtoll(tok[1], &end, 10);
	if (*end != '\0')
		return -1;
	for (j = 0; j < (n - 2) / 2; j++) {
		if (null[2 + 2 * j] || null[3 + 2 * j])
			return -1;
		e->name[j] = xstrdup(tok[2 + 2 * j]);
		e->value[j] = xstrdup(tok[3 + 2 * j]);
		e->nlabels = j + 1;
	}
	return 0;
}

static int
parse_line(struct pg_case *c, char *line)
{
	struct pg_family *f = c->nfam > 0 ? &c->fam[c->nfam - 1] : NULL;
	char *p = line, *kw, *tok[TOKENS_MAX + 1];
	int null[TOKENS_MAX + 1], knull, n, i;

	if (next_token(&p, &kw, &knull) != 1 || kw[0] == '#')
		return 0;
	n = tokens(&p, tok, null, TOKENS_MAX);
	if (n < 0)
		return -1;
	if (strcmp(kw, "family") == 0) {
		if (c->nfam == PG_FAMILIES_MAX || n != 4)
			return -1;
		f = &c->fam[c->nfam++];
		for (i = 1; i < 4; i++)
			if (strcmp(tok[0], type_names[i]) == 0)
				f->type = (enum mstore_type)i;
		if (f->type == 0 || null[1])
			return -1;
		f->name = xstrdup(tok[1]);
		f->help = null[2] ? NULL : xstrdup(tok[2]);
		f->unit = null[3] ? NULL : xstrdup(tok[3]);
		return 0;
	}
	if (f == NULL)
		return -1;
	if (strcmp(kw, "labels") == 0 && n <= PG_LABELS_MAX) {
		for (f->nlabels = 0; f->nlabels < n; f->nlabels++)
			f->labels[f->nlabels] = xstrdup(tok[f->nlabels]);
		return 0;
	}
	if (strcmp(kw, "bounds") == 0 && n <= PG_BOUNDS_MAX) {
		f->nbounds = n;
		return parse_nums(tok, n, f->bounds);
	}
	if (strcmp(kw, "series") == 0 && n <= PG_LABELS_MAX && f->nseries < PG_SERIES_MAX) {
		struct pg_series *x = &f->series[f->nseries++];

		for (x->nvals = 0; x->nvals < n; x->nvals++)
			x->label[x->nvals] = xstrdup(tok[x->nvals]);
		return 0;
	}
	if (strcmp(kw, "values") == 0 && n <= PG_VALUES_MAX && f->nseries > 0) {
		f->series[f->nseries - 1].nvalues = n;
		return parse_nums(tok, n, f->series[f->nseries - 1].value);
	}
	if (strcmp(kw, "exemplars") == 0 && n == 0) {
		f->exemplars = 1;
		return 0;
	}
	if (strcmp(kw, "exemplar") == 0 && f->nseries > 0)
		return parse_exemplar(&f->series[f->nseries - 1], tok, null, n);
	return -1;
}

static int
case_read(const char *path, struct pg_case *c)
{
	char line[PG_LINE_MAX];
	FILE *in = fopen(path, "r");
	int lineno = 0;

	memset(c, 0, sizeof(*c));
	if (in == NULL) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), in) != NULL) {
		lineno++;
		if (parse_line(c, line) != 0) {
			fprintf(stderr, "%s:%d: bad case line\n", path, lineno);
			fclose(in);
			return -1;
		}
	}
	fclose(in);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Running a case                                                      */
/* ------------------------------------------------------------------ */

/* The formats rendered, and the file each body goes to (a new format
 * adds its row here and a checker to names-prop.sh). */
static const struct {
	const char *name;
	enum expo_format fmt;
} formats[] = {
	{ "text", EXPO_TEXT },
	{ "openmetrics", EXPO_OPENMETRICS },
	{ "protobuf", EXPO_PROTOBUF },
};

static FILE *log_out;

static void __attribute__((format(printf, 1, 2))) plog(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(log_out, fmt, ap);
	va_end(ap);
}

static void
log_result(int rc)
{
	if (rc == 0)
		plog("ok\n");
	else
		plog("%d (%s)\n", rc, mstore_strerror(rc));
}

static int
register_family(struct mstore *st, const struct pg_family *f, struct mstore_family **out)
{
	const char *const *l = (const char *const *)f->labels;
	struct mstore_family_spec spec = { .size = sizeof(spec),
		                           .type = f->type,
		                           .name = f->name,
		                           .help = f->help,
		                           .unit = f->unit,
		                           .nlabels = (size_t)f->nlabels,
		                           .label_names = l,
		                           .nbounds = (size_t)f->nbounds,
		                           .bounds = f->bounds,
		                           .exemplars = 1 };

	if (f->exemplars)
		return mstore_family_register(st, &spec, out);
	switch (f->type) {
	case MSTORE_COUNTER:
		return mstore_counter_family(st, f->name, f->help, f->unit, (size_t)f->nlabels, l,
		                             out);
	case MSTORE_GAUGE:
		return mstore_gauge_family(st, f->name, f->help, f->unit, (size_t)f->nlabels, l,
		                           out);
	default:
		return mstore_histogram_family(st, f->name, f->help, f->unit, (size_t)f->nlabels, l,
		                               (size_t)f->nbounds, f->bounds, out);
	}
}

/*
 * What a scrape must show of a series' exemplars: the latest one the
 * library accepted per record (a counter's, a bucket's), with its value;
 * a counter's only once some update above 0 counted (a renderer shows an
 * exemplar only beside a count of something).  Keyed by the series
 * handle: one family registered twice is one family.
 */
struct pg_track {
	struct mstore_series *s;
	const struct pg_family *f;
	const struct pg_series *x;
	int positive;
	const struct pg_exemplar *last[PG_BOUNDS_MAX + 1];
	double value[PG_BOUNDS_MAX + 1];
};

static struct pg_track tracks[PG_FAMILIES_MAX * PG_SERIES_MAX];
static int ntracks;

static struct pg_track *
track(struct mstore_series *s, const struct pg_family *f, const struct pg_series *x)
{
	int i;

	for (i = 0; i < ntracks; i++)
		if (tracks[i].s == s)
			return &tracks[i];
	memset(&tracks[ntracks], 0, sizeof(tracks[0]));
	tracks[ntracks].s = s;
	tracks[ntracks].f = f;
	tracks[ntracks].x = x;
	return &tracks[ntracks++];
}

/* The bucket of v: the first bound >= v, else +Inf (nbounds). */
static int
bucket_of(const struct pg_family *f, double v)
{
	int i;

	for (i = 0; i < f->nbounds && !(v <= f->bounds[i]); i++)
		;
	return i;
}

/* An exemplar error: the update counted, the exemplar did not. */
static int
exemplar_refused(int rc)
{
	return rc == MSTORE_E_EXEMPLAR || rc == MSTORE_E_EXEMPLAR_LONG ||
	       rc == MSTORE_E_NO_EXEMPLARS;
}

/* Value k of series x to s, with its exemplar when it has one. */
static int
update(const struct pg_family *f, const struct pg_series *x, int k, struct mstore_series *s,
       struct pg_track *t)
{
	const struct pg_exemplar *e = &x->ex[k];
	struct mstore_exemplar ex = { (size_t)e->nlabels, (const char *const *)e->name,
		                      (const char *const *)e->value, e->t };
	const struct mstore_exemplar *exp = e->set ? &ex : NULL;
	double v = x->value[k];
	int rc, b = 0;

	switch (f->type) {
	case MSTORE_COUNTER:
		rc = mstore_counter_add_exemplar(s, v, exp);
		break;
	case MSTORE_GAUGE:
		return mstore_gauge_set(s, v);
	default:
		rc = mstore_histogram_observe_exemplar(s, v, exp);
		b = bucket_of(f, v);
		break;
	}
	if (rc != 0 && !exemplar_refused(rc))
		return rc;
	t->positive |= v > 0;
	if (rc == 0 && exp != NULL) {
		t->last[b] = e;
		t->value[b] = v;
	}
	return rc;
}

static void
run_series(const struct pg_family *f, struct mstore_family *fam)
{
	int j, k;

	for (j = 0; j < f->nseries; j++) {
		const struct pg_series *x = &f->series[j];
		struct mstore_series *s;
		struct pg_track *t;
		int rc;

		plog("  series %d: ", j);
		if (x->nvals != f->nlabels) {
			plog("skipped (%d values for %d labels)\n", x->nvals, f->nlabels);
			continue;
		}
		rc = mstore_series_get(fam, (const char *const *)x->label, &s);
		log_result(rc);
		if (rc != 0)
			continue;
		t = track(s, f, x);
		for (k = 0; k < x->nvalues; k++) {
			rc = update(f, x, k, s, t);
			if (rc != 0)
				plog("    value %.17g%s: %d (%s)\n", x->value[k],
				     x->ex[k].set ? " with exemplar" : "", rc, mstore_strerror(rc));
		}
	}
}

/* s as a JSON string. */
static void
json_str(FILE *o, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', o);
	for (; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(o, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(o, "\\u%04x", *p);
		else
			fputc(*p, o);
	}
	fputc('"', o);
}

/* A number JSON cannot hold as one (the infinities), as a string python's
 * float() reads. */
static void
json_num(FILE *o, double v)
{
	fprintf(o, isinf(v) ? "\"%g\"" : "\"%.17g\"", v);
}

static void
json_exemplar(FILE *o, const struct pg_track *t, int b, int *first)
{
	const struct pg_family *f = t->f;
	const struct pg_exemplar *e = t->last[b];
	int j;

	fputs(*first ? "\n" : ",\n", o);
	*first = 0;
	fputs("{\"sample\": ", o);
	fprintf(o, "\"%s%s\", \"labels\": {", f->name,
	        f->type == MSTORE_HISTOGRAM ? "_bucket" : "");
	for (j = 0; j < f->nlabels; j++) {
		fputs(j > 0 ? ", " : "", o);
		json_str(o, f->labels[j]);
		fputs(": ", o);
		json_str(o, t->x->label[j]);
	}
	if (f->type == MSTORE_HISTOGRAM) {
		fputs(f->nlabels > 0 ? ", \"le\": " : "\"le\": ", o);
		json_num(o, b < f->nbounds ? f->bounds[b] : INFINITY);
	}
	fputs("}, \"exemplar\": {\"labels\": {", o);
	for (j = 0; j < e->nlabels; j++) {
		fputs(j > 0 ? ", " : "", o);
		json_str(o, e->name[j]);
		fputs(": ", o);
		json_str(o, e->value[j]);
	}
	fputs("}, \"value\": ", o);
	json_num(o, t->value[b]);
	fprintf(o, ", \"time\": [%" PRId64 ", %" PRId64 "]}}", e->t / 1000000000,
	        e->t % 1000000000);
}

/* exemplars.json: what a scrape must show (struct pg_track). */
static int
write_exemplars(const char *dir)
{
	char path[PG_PATH_MAX];
	FILE *o;
	int i, b, first = 1;

	snprintf(path, sizeof(path), "%s/exemplars.json", dir);
	if ((o = fopen(path, "w")) == NULL) {
		perror(path);
		return 2;
	}
	fputc('[', o);
	for (i = 0; i < ntracks; i++)
		for (b = 0; b <= PG_BOUNDS_MAX; b++)
			if (tracks[i].last[b] != NULL &&
			    (tracks[i].f->type == MSTORE_HISTOGRAM || tracks[i].positive))
				json_exemplar(o, &tracks[i], b, &first);
	fputs("\n]\n", o);
	if (fclose(o) != 0) {
		perror(path);
		return 2;
	}
	return 0;
}

/* Register every family in order; returns how many the library took. */
static int
run_families(struct mstore *st, const struct pg_case *c)
{
	char other[MSTORE_NAME_MAX + 1];
	int i, n = 0;

	for (i = 0; i < c->nfam; i++) {
		const struct pg_family *f = &c->fam[i];
		struct mstore_family *fam;
		int rc = register_family(st, f, &fam);

		plog("family %d %s %s: ", i, type_names[f->type], f->name);
		log_result(rc);
		if (rc == MSTORE_E_DUPLICATE &&
		    mstore_family_clash(st, f->type, f->name, other, sizeof(other)) == 1)
			plog("  clashes with %s\n", other);
		if (rc != 0)
			continue;
		n++;
		run_series(f, fam);
	}
	return n;
}

static int
write_file(const char *path, const char *data, size_t len)
{
	FILE *o = fopen(path, "w");

	if (o == NULL || fwrite(data, 1, len, o) != len || fclose(o) != 0) {
		perror(path);
		return -1;
	}
	return 0;
}

/* Render the store in every format like a scrape (own families too). */
static int
render_all(const char *dir, const char *store)
{
	static const struct expo_own own = { .writer_up = 1,
		                             .have_store_age = 1,
		                             .store_age_seconds = 0.25,
		                             .store_format = 1,
		                             .scrapes = 1 };
	static char body[PG_BODY_MAX];
	char path[PG_PATH_MAX];
	struct mstore_reader *r;
	size_t i, len;
	int err = 0, rc;

	r = mstore_reader_open(store, &err);
	if (r == NULL) {
		plog("BROKEN: the reader refuses the writer's store: %s\n", mstore_strerror(err));
		return 1;
	}
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		rc = expo_render(r, formats[i].fmt, &own, body, sizeof(body), &len);
		if (rc != 0) {
			plog("BROKEN: rendering %s: %s\n", formats[i].name, expo_strerror(rc));
			mstore_reader_close(r);
			return 1;
		}
		snprintf(path, sizeof(path), "%s/%s.txt", dir, formats[i].name);
		if (write_file(path, body, len) != 0) {
			mstore_reader_close(r);
			return 2;
		}
	}
	mstore_reader_close(r);
	return 0;
}

static int
run_case(const struct pg_case *c, const char *dir, const char *origin)
{
	char path[PG_PATH_MAX];
	/* room for every family and series a case can have */
	struct mstore_options o = {
		.max_families = PG_FAMILIES_MAX,
		.max_series = PG_FAMILIES_MAX * PG_SERIES_MAX,
		.value_slots = PG_FAMILIES_MAX * PG_SERIES_MAX *
		               (mstore_value_slots(MSTORE_HISTOGRAM, PG_BOUNDS_MAX) +
		                mstore_exemplar_slots(MSTORE_HISTOGRAM, PG_BOUNDS_MAX)),
		.string_bytes = 64 * 1024
	};
	struct mstore *st;
	FILE *cf;
	int err = 0, n, rc;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		perror(dir);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/case", dir);
	if ((cf = fopen(path, "w")) == NULL) {
		perror(path);
		return 2;
	}
	case_write(cf, c, origin);
	snprintf(path, sizeof(path), "%s/log", dir);
	if (fclose(cf) != 0 || (log_out = fopen(path, "w")) == NULL) {
		perror(path);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/store", dir);
	if ((st = mstore_create(path, &o, &err)) == NULL) {
		fprintf(stderr, "propgen: %s: %s\n", path, mstore_strerror(err));
		return 2;
	}
	ntracks = 0;
	n = run_families(st, c);
	rc = render_all(dir, path);
	if (rc == 0)
		rc = write_exemplars(dir);
	mstore_close(st);
	plog("%d of %d families registered\n", n, c->nfam);
	fclose(log_out);
	printf("%s: %d of %d families registered\n", origin, n, c->nfam);
	return rc;
}

int
main(int argc, char **argv)
{
	char origin[PG_PATH_MAX];
	struct pg_case c;
	size_t i;
	int rc;

	if (argc == 2 && strcmp(argv[1], "--formats") == 0) {
		for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
			puts(formats[i].name);
		return 0;
	}
	if (argc != 4 || (strcmp(argv[1], "--seed") != 0 && strcmp(argv[1], "--case") != 0)) {
		fputs("usage: propgen --seed N OUTDIR | --case FILE OUTDIR | --formats\n", stderr);
		return 2;
	}
	if (strcmp(argv[1], "--seed") == 0) {
		char *end;
		uint64_t seed;

		errno = 0;
		seed = strtoull(argv[2], &end, 10);
		if (errno != 0 || *end != '\0' || end == argv[2]) {
			fprintf(stderr, "propgen: bad seed %s\n", argv[2]);
			return 2;
		}
		gen_case(seed, &c);
		snprintf(origin, sizeof(origin), "seed %s", argv[2]);
	} else {
		if (case_read(argv[2], &c) != 0)
			return 2;
		snprintf(origin, sizeof(origin), "case %s", argv[2]);
	}
	rc = run_case(&c, argv[3], origin);
	case_free(&c);
	return rc;
}
