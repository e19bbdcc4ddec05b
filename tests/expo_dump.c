/* SPDX-License-Identifier: MIT */
/*
 * expo_dump.c - test helper: build a store holding every kind of metric the
 * renderer handles (labelled and bare counters, a family without help
 * text, gauges with special values and escapes, units, empty families,
 * histograms with negative bounds and negative sums, native histograms
 * (test_native_*: with and without classic buckets, both signs, NaN and
 * the infinities, the zero bucket widened, the resolution reduced, empty,
 * zeros only), per-writer families written by two writers, one with the
 * writer label, a counter and a histogram with exemplars), render it with
 * the responder's own families (the writer families included) in the
 * format named on the command line, and print the result.
 * tests/expo-validate.sh feeds the output to promtool and to the python
 * OpenMetrics parser, and decodes the protobuf output with protoc.
 *
 * Usage: expo_dump text|openmetrics|protobuf [NATIVE]
 *        expo_dump --store PATH [NATIVE]
 * (exit 0 on success, 1 on error).  The store lives in a mkdtemp directory
 * under $TMPDIR and is removed.  NATIVE gets the values each native
 * histogram observed: one "series FAMILY KIND" line, then one "%a" line
 * per value.  --store: build the store at PATH (without the per-writer
 * families), static, and leave it there (for a server to serve).
 */
#include "config.h"

#include "expo.h"
#include "mstore.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PATH_CAP 256
#define OUT_CAP  (256 * 1024)
/* Room for the native histograms' slots (a few thousand) beside the rest. */
#define STORE_SLOTS (64u * 1024u)
#define OK(expr)                        \
	do {                            \
		if ((rc = (expr)) != 0) \
			goto fail;      \
	} while (0)

static char out[OUT_CAP];

static int
add_counters(struct mstore *st)
{
	static const char *const ls[] = { "method", "status" };
	static const char *const v1[] = { "GET", "200" };
	static const char *const v2[] = { "POST", "500" };
	struct mstore_family *fam;
	struct mstore_series *s;
	int rc;

	OK(mstore_counter_family(st, "shop_orders_total", "Orders placed.", NULL, 2, ls, &fam));
	OK(mstore_series_get(fam, v1, &s));
	OK(mstore_counter_add(s, 41));
	OK(mstore_series_get(fam, v2, &s));
	OK(mstore_counter_add(s, 2.5));
	OK(mstore_counter_family(st, "shop_billed_euros_total", "Euros billed.", "euros", 0, NULL,
	                         &fam));
	OK(mstore_series_get(fam, NULL, &s));
	OK(mstore_counter_add(s, 1e21));
	/* No help text: the renderers write a placeholder promtool accepts. */
	OK(mstore_counter_family(st, "shop_retries_total", NULL, NULL, 0, NULL, &fam));
	OK(mstore_series_get(fam, NULL, &s));
	OK(mstore_counter_inc(s));
fail:
	return rc;
}

static int
add_gauges(struct mstore *st)
{
	static const double vals[] = { NAN, INFINITY, -INFINITY, -0.0, 1e-07, 0.1, -3 };
	static const char *const names[] = { "nan",  "inf",   "-inf",      "-0",
		                             "tiny", "tenth", "a\"b\\c\nd" };
	static const char *const ls[] = { "room" };
	struct mstore_family *fam;
	struct mstore_series *s;
	size_t i;
	int rc;

	OK(mstore_gauge_family(st, "room_temperature_celsius", "Temperature in \"C\" \\ per\nroom.",
	                       "celsius", 1, ls, &fam));
	for (i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		const char *v[] = { names[i] };

		OK(mstore_series_get(fam, v, &s));
		OK(mstore_gauge_set(s, vals[i]));
	}
	OK(mstore_gauge_family(st, "shop_sessions", "Open sessions (none yet).", NULL, 1, ls,
	                       &fam));
	OK(mstore_gauge_family(st, "shop_ratio", "A ratio.", NULL, 0, NULL, &fam));
	OK(mstore_series_get(fam, NULL, &s));
	OK(mstore_gauge_set(s, 2.0 / 7));
fail:
	return rc;
}

static int
add_histograms(struct mstore *st)
{
	static const double bounds[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
	static const double neg[] = { -10, -1, 0, 1, 10 };
	static const char *const ls[] = { "path" };
	static const char *const v[] = { "/cart" };
	struct mstore_family *fam;
	struct mstore_series *s;
	int rc, i;

	OK(mstore_histogram_family(st, "http_request_duration_seconds", "Request latency.",
	                           "seconds", 1, ls, 11, bounds, &fam));
	OK(mstore_series_get(fam, v, &s));
	for (i = 0; i < 100; i++)
		OK(mstore_histogram_observe(s, (i + 0.5) / 7));
	OK(mstore_histogram_family(st, "shop_order_items", "Items per order.", NULL, 0, NULL, 3,
	                           bounds + 7, &fam));
	OK(mstore_series_get(fam, NULL, &s));
	OK(mstore_histogram_family(st, "room_delta_celsius", "Temperature changes.", "celsius", 0,
	                           NULL, 5, neg, &fam));
	OK(mstore_series_get(fam, NULL, &s));
	OK(mstore_histogram_observe(s, -2));
	OK(mstore_histogram_observe(s, 3));
	OK(mstore_histogram_family(st, "shop_refund_euros", "Refunds (negative).", "euros", 0, NULL,
	                           2, bounds + 8, &fam));
	OK(mstore_series_get(fam, NULL, &s));
	OK(mstore_histogram_observe(s, -4));
fail:
	return rc;
}

/* Families with exemplars: a counter whose series have a trace and span
 * id, labels with every escape and UTF-8, an empty label set, none; a
 * histogram with exemplars on some buckets (+Inf among them), one at the
 * 128-character limit of 4-byte characters.  Fixed times, in ns. */
#define EX_TIME INT64_C(1712345678123456789)

static int
add_exemplars(struct mstore *st)
{
	static const double bounds[] = { 0.1, 0.5, 1 };
	static const char *const ls[] = { "method" };
	static const char *const ids[] = { "trace_id", "span_id" };
	static const char *const trace[] = { "4bf92f3577b34da6a3ce929d0e0e4736",
		                             "00f067aa0ba902b7" };
	static const char *const odd_names[] = { "traceID", "q" };
	/* (no '}': prometheus_client 0.16's parser ends an exemplar's labels
	 * at the first; Prometheus' own reads it, tests/integration/exemplars.sh) */
	static const char *const odd_values[] = { "a\"b\\c\nd", "caf\xc3\xa9 { # =," };
	static const char *const v[][1] = { { "GET" }, { "POST" }, { "PUT" }, { "DELETE" } };
	struct mstore_family_spec spec = { .size = sizeof(spec),
		                           .type = MSTORE_COUNTER,
		                           .name = "shop_checkouts_total",
		                           .help = "Checkouts, with the trace of the latest.",
		                           .nlabels = 1,
		                           .label_names = ls,
		                           .exemplars = 1 };
	struct mstore_exemplar ex = { 2, ids, trace, EX_TIME };
	struct mstore_exemplar odd = { 2, odd_names, odd_values, EX_TIME + 1000000 };
	struct mstore_exemplar empty = { 0, NULL, NULL, 1712345678 * MSTORE_NS_PER_SEC };
	char longv[4 * 127 + 1];
	const char *long_name[] = { "t" }, *long_value[] = { longv };
	struct mstore_exemplar lng = { 1, long_name, long_value, EX_TIME };
	struct mstore_family *fam;
	struct mstore_series *s;
	int rc, i;

	for (i = 0; i < 127; i++) /* U+1F370, 4 bytes: 1 + 127 characters */
		memcpy(longv + 4 * i, "\xf0\x9f\x8d\xb0", 4);
	longv[4 * 127] = '\0';
	OK(mstore_family_register(st, &spec, &fam));
	OK(mstore_series_get(fam, v[0], &s));
	OK(mstore_counter_add_exemplar(s, 3, &ex));
	OK(mstore_series_get(fam, v[1], &s));
	OK(mstore_counter_inc_exemplar(s, &odd));
	OK(mstore_series_get(fam, v[2], &s));
	OK(mstore_counter_add_exemplar(s, 0.25, &empty));
	OK(mstore_series_get(fam, v[3], &s)); /* no exemplar */
	OK(mstore_counter_inc(s));
	spec.type = MSTORE_HISTOGRAM;
	spec.name = "shop_checkout_duration_seconds";
	spec.help = "Checkout latency, with the trace of the latest in each bucket.";
	spec.unit = "seconds";
	spec.nbounds = 3;
	spec.bounds = bounds;
	OK(mstore_family_register(st, &spec, &fam));
	OK(mstore_series_get(fam, v[0], &s));
	OK(mstore_histogram_observe_exemplar(s, 0.05, &ex));
	OK(mstore_histogram_observe(s, 0.3)); /* a bucket without exemplar */
	OK(mstore_histogram_observe_exemplar(s, 1, &lng));
	OK(mstore_histogram_observe_exemplar(s, 7, &odd));
fail:
	return rc;
}

/* Per-writer families, each set by st and by a second writer b. */
static int
add_per_writer(struct mstore *st, struct mstore *b)
{
	static const char *const ls[] = { "pool" };
	static const char *const v[] = { "db" };
	struct mstore_family_spec spec = { .size = sizeof(spec),
		                           .type = MSTORE_GAUGE,
		                           .name = "pool_busy_connections",
		                           .help = "Busy connections, summed over workers.",
		                           .nlabels = 1,
		                           .label_names = ls,
		                           .per_writer = MSTORE_PER_WRITER_SUM };
	struct mstore *w[2] = { st, b };
	struct mstore_family *fam;
	struct mstore_series *s;
	int rc, i;

	for (i = 0; i < 2; i++) {
		spec.type = MSTORE_GAUGE;
		spec.name = "pool_busy_connections";
		spec.per_writer = MSTORE_PER_WRITER_SUM;
		OK(mstore_family_register(w[i], &spec, &fam));
		OK(mstore_series_get(fam, v, &s));
		OK(mstore_gauge_set(s, 2 + i));
		spec.name = "worker_jobs_total";
		spec.type = MSTORE_COUNTER;
		spec.help = "Jobs done, by worker slot.";
		spec.per_writer = MSTORE_PER_WRITER_ALL;
		OK(mstore_family_register(w[i], &spec, &fam));
		OK(mstore_series_get(fam, v, &s));
		OK(mstore_counter_add(s, 10 + i));
		spec.help = "Busy connections, summed over workers.";
	}
fail:
	return rc;
}

/* ------------------------------------------------------------------ */
/* Native histograms                                                   */
/* ------------------------------------------------------------------ */

#define NATIVE_VALUES 400
#define NATIVE_KINDS  5

/* What a family observes (native_value()). */
enum native_values {
	V_LATENCY,
	V_WIDE,
	V_REDUCED,
	V_NONE,
	V_ZERO,
};

/* One native histogram family, test_native_<kind>, with one series
 * {kind="<kind>"}: its configuration (struct mstore_family_spec's native
 * fields) and what it observes. */
struct native_kind {
	const char *name;
	const char *unit;
	const char *kind;
	enum native_values values;
	double factor;
	uint32_t max_buckets;
	double zero_threshold, max_zero_threshold;
	int classic;   /* with classic buckets too */
	int exemplars; /* every 7th observation with an exemplar */
};

static const struct native_kind native_kinds[NATIVE_KINDS] = {
	/* a latency, with classic buckets beside the native ones: schema 3,
	 * the default zero threshold */
	{ "test_native_latency_seconds", "seconds", "latency", V_LATENCY, 1.1, 160, 0, 0, 1, 1 },
	/* both signs, zero, NaN, the infinities and the extremes in a small
	 * window at schema 8, zero threshold exactly 0: the zero bucket
	 * widens, the resolution drops to -4, and the zero bucket widens past
	 * its limit */
	{ "test_native_wide", NULL, "wide", V_WIDE, 1.001, 12, -1, 0.01, 0, 0 },
	/* both signs over 20 powers of two in 40 buckets: schema 8 drops to 1;
	 * exemplars on its one classic bucket, +Inf */
	{ "test_native_reduced", NULL, "reduced", V_REDUCED, 1.001, 40, -1, 1e-6, 0, 1 },
	/* nothing observed: only the no-op span says "native" (the default
	 * zero threshold: Prometheus 2.42 takes an empty histogram whose
	 * threshold is 0 for a classic one) */
	{ "test_native_empty", NULL, "empty", V_NONE, 2, 8, 0, 0, 0, 0 },
	/* only zeros, schema -4, one bucket */
	{ "test_native_zeros", NULL, "zeros", V_ZERO, 65536, 1, 1, 1, 0, 0 },
};

static const double native_bounds[] = { 0.001, 0.01, 0.1, 1 };
#define NATIVE_NBOUNDS (sizeof native_bounds / sizeof native_bounds[0])

/* The k-th value of a kind of values (fixed, varied sequences). */
static double
native_value(enum native_values values, int k)
{
	static const double odd[] = { 0, -0.0, NAN, INFINITY, -INFINITY, -1e-300, 5e-324, 1e308 };

	switch (values) {
	case V_LATENCY:
		return 0.0001 * exp2((k % 97) / 7.0);
	case V_WIDE:
		return k % 10 == 0 ? odd[(k / 10) % 8]
		                   : (k % 3 ? 1 : -1) * ldexp(1 + k % 5, k % 40 - 20);
	case V_REDUCED:
		return (k % 2 ? 1 : -1) * 0.001 * exp2((k % 60) / 3.0);
	default:
		return 0;
	}
}

/* Register native family i in st, observe its values, and list them in vf
 * (NULL: none), one "series NAME KIND" line and then one "%a" line per
 * value. */
static int
add_native(struct mstore *st, int i, FILE *vf)
{
	static const char *const ls[] = { "kind" };
	const struct native_kind *nk = &native_kinds[i];
	const char *v[] = { nk->kind };
	struct mstore_family_spec spec = { .size = sizeof(spec),
		                           .type = MSTORE_HISTOGRAM,
		                           .name = nk->name,
		                           .help = "A native histogram.",
		                           .unit = nk->unit,
		                           .nlabels = 1,
		                           .label_names = ls,
		                           .nbounds = nk->classic ? NATIVE_NBOUNDS : 0,
		                           .bounds = native_bounds,
		                           .native_factor = nk->factor,
		                           .native_max_buckets = nk->max_buckets,
		                           .native_zero_threshold = nk->zero_threshold,
		                           .native_max_zero_threshold = nk->max_zero_threshold,
		                           .exemplars = nk->exemplars };
	static const char *const ids[] = { "trace_id" };
	char id[16];
	const char *idv[] = { id };
	struct mstore_exemplar ex = { 1, ids, idv, EX_TIME };
	struct mstore_family *fam;
	struct mstore_series *s;
	int k, n = nk->values == V_NONE ? 0 : NATIVE_VALUES, rc;

	OK(mstore_family_register(st, &spec, &fam));
	OK(mstore_series_get(fam, v, &s));
	if (vf != NULL)
		fprintf(vf, "series %s %s\n", nk->name, nk->kind);
	for (k = 0; k < n; k++) {
		double x = native_value(nk->values, k);

		if (nk->exemplars && k % 7 == 0) {
			snprintf(id, sizeof(id), "n%d", k);
			ex.timestamp_ns = EX_TIME + k;
			OK(mstore_histogram_observe_exemplar(s, x, &ex));
		} else {
			OK(mstore_histogram_observe(s, x));
		}
		if (vf != NULL)
			fprintf(vf, "%a\n", x);
	}
fail:
	return rc;
}

static int
add_natives(struct mstore *st, FILE *vf)
{
	int i, rc = 0;

	for (i = 0; i < NATIVE_KINDS && rc == 0; i++)
		rc = add_native(st, i, vf);
	return rc;
}

/* Everything but the per-writer families; the native histograms' values
 * go to vf (NULL: nowhere). */
static int
fill(struct mstore *st, FILE *vf)
{
	int rc;

	OK(add_counters(st));
	OK(add_gauges(st));
	OK(add_histograms(st));
	OK(add_natives(st, vf));
	OK(add_exemplars(st));
fail:
	return rc;
}

static int
dump(const char *path, enum expo_format f, const char *native)
{
	static const struct expo_own own = {
		.writer_up = 1,
		.have_store_age = 1,
		.store_age_seconds = 0.5,
		.version = NULL,
		.store_format = 1,
		.scrapes = 3,
		.scrape_errors = 1,
		.have_writers = 1,
		.writers_live = 2,
		.writers_stale = 1,
		.writers_max = 4,
		.recoveries = { 1, 2, 3, 4, 5 },
	};
	struct mstore_options o = { .max_writers = 4, .value_slots = STORE_SLOTS };
	struct mstore *st, *b = NULL;
	struct mstore_reader *r = NULL;
	FILE *vf = NULL;
	size_t len = 0;
	int rc = 0;

	st = mstore_create(path, &o, &rc);
	if (st == NULL)
		return rc;
	b = mstore_attach(path, NULL, &rc);
	if (b == NULL)
		goto fail;
	if (native != NULL && (vf = fopen(native, "w")) == NULL) {
		rc = MSTORE_E_SYS;
		goto fail;
	}
	OK(fill(st, vf));
	OK(add_per_writer(st, b));
	r = mstore_reader_open(path, &rc);
	if (r == NULL)
		goto fail;
	OK(expo_render(r, f, &own, out, sizeof out, &len));
	if (fwrite(out, 1, len, stdout) != len)
		rc = MSTORE_E_SYS;
	if (fflush(stdout) != 0)
		rc = MSTORE_E_SYS;
fail:
	if (vf != NULL && fclose(vf) != 0 && rc == 0)
		rc = MSTORE_E_SYS;
	mstore_reader_close(r);
	mstore_close(b);
	mstore_close(st);
	return rc;
}

/* --store PATH [NATIVE]: the store alone, static, left in place; the
 * native histograms' values to NATIVE (NULL: nowhere). */
static int
make_store(const char *path, const char *native)
{
	struct mstore_options o = { .flags = MSTORE_F_STATIC, .value_slots = STORE_SLOTS };
	struct mstore *st = mstore_create(path, &o, NULL);
	FILE *vf = NULL;
	int rc;

	if (st == NULL)
		return MSTORE_E_SYS;
	if (native != NULL && (vf = fopen(native, "w")) == NULL)
		rc = MSTORE_E_SYS;
	else
		rc = fill(st, vf);
	if (vf != NULL && fclose(vf) != 0 && rc == 0)
		rc = MSTORE_E_SYS;
	mstore_close(st);
	return rc;
}

static int
parse_format(const char *s, enum expo_format *f)
{
	if (strcmp(s, "text") == 0)
		*f = EXPO_TEXT;
	else if (strcmp(s, "openmetrics") == 0)
		*f = EXPO_OPENMETRICS;
	else if (strcmp(s, "protobuf") == 0)
		*f = EXPO_PROTOBUF;
	else
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	char dir[PATH_CAP], path[PATH_CAP];
	enum expo_format f = EXPO_TEXT;
	int rc;

	if ((argc == 3 || argc == 4) && strcmp(argv[1], "--store") == 0) {
		rc = make_store(argv[2], argc == 4 ? argv[3] : NULL);
		if (rc != 0)
			fprintf(stderr, "expo_dump: %s: %s\n", argv[2], expo_strerror(rc));
		return rc == 0 ? 0 : 1;
	}
	if (argc < 2 || argc > 3 || parse_format(argv[1], &f) != 0) {
		fprintf(stderr, "usage: expo_dump text|openmetrics|protobuf [NATIVE]\n"
		                "       expo_dump --store PATH [NATIVE]\n");
		return 2;
	}
	if (snprintf(dir, sizeof dir, "%s/expo_dump.XXXXXX", tmp ? tmp : "/tmp") >=
	            (int)sizeof dir ||
	    mkdtemp(dir) == NULL ||
	    snprintf(path, sizeof path, "%s/store", dir) >= (int)sizeof path) {
		perror("expo_dump: temporary directory");
		return 1;
	}
	rc = dump(path, f, argc == 3 ? argv[2] : NULL);
	(void)unlink(path);
	(void)rmdir(dir);
	if (rc != 0) {
		fprintf(stderr, "expo_dump: %s\n", expo_strerror(rc));
		return 1;
	}
	return 0;
}
