// SPDX-License-Identifier: MIT
/*
 * check_expo.c - Check suite for the renderer: stores built with the real
 * writer API in a mkdtemp directory, rendered through a real reader, and
 * compared with exact expected text in both formats (metadata lines,
 * escaping, special values, histograms, the responder's own families), plus
 * the buffer-too-small protocol and argument errors.
 */
#include "config.h"

#include "expo.h"
#include "mstore.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Big enough for every store in this suite (the huge-label test needs
 * about 70 KiB per format). */
#define OUT_CAP (1024 * 1024)
#define PATH_CAP 256
/* Guard bytes after the allowed capacity in the small-buffer test. */
#define GUARD 16
#define GUARD_BYTE 0x5a

static char dir[PATH_CAP];
static char path[PATH_CAP];
static struct mstore *st;
static char out[OUT_CAP + 1];

/* ------------------------------------------------------------------ */
/* Fixture and helpers                                                 */
/* ------------------------------------------------------------------ */

static void
setup(void)
{
	int err = 0;

	ck_assert_int_lt(snprintf(dir, sizeof dir, "%s/check_expo.XXXXXX",
	                          getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp"),
	                 (int)sizeof dir);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_lt(snprintf(path, sizeof path, "%s/store", dir), (int)sizeof path);
	st = mstore_create(path, NULL, &err);
	ck_assert_msg(st != NULL, "mstore_create: %s", mstore_strerror(err));
}

static void
teardown(void)
{
	mstore_close(st);
	st = NULL;
	(void)unlink(path);
	(void)rmdir(dir);
}

/* Render the store (or nothing when with_store is 0) into out, NUL-terminated. */
static const char *
render(int with_store, enum expo_format f, const struct expo_own *own)
{
	struct mstore_reader *r = NULL;
	size_t len = 0;
	int err = 0, rc;

	if (with_store) {
		r = mstore_reader_open(path, &err);
		ck_assert_msg(r != NULL, "reader_open: %s", mstore_strerror(err));
	}
	rc = expo_render(r, f, own, out, OUT_CAP, &len);
	ck_assert_msg(rc == 0, "expo_render: %s", expo_strerror(rc));
	ck_assert_uint_le(len, OUT_CAP);
	out[len] = '\0';
	mstore_reader_close(r);
	return out;
}

static struct mstore_family *
counter(const char *name, const char *help, const char *unit, size_t n,
        const char *const *labels)
{
	struct mstore_family *f = NULL;
	int rc = mstore_counter_family(st, name, help, unit, n, labels, &f);

	ck_assert_msg(rc == 0, "counter %s: %s", name, mstore_strerror(rc));
	return f;
}

static struct mstore_family *
gauge(const char *name, const char *help, const char *unit, size_t n,
      const char *const *labels)
{
	struct mstore_family *f = NULL;
	int rc = mstore_gauge_family(st, name, help, unit, n, labels, &f);

	ck_assert_msg(rc == 0, "gauge %s: %s", name, mstore_strerror(rc));
	return f;
}

static struct mstore_family *
histogram(const char *name, const char *help, const char *unit, size_t n,
          const char *const *labels, size_t nb, const double *bounds)
{
	struct mstore_family *f = NULL;
	int rc = mstore_histogram_family(st, name, help, unit, n, labels, nb, bounds, &f);

	ck_assert_msg(rc == 0, "histogram %s: %s", name, mstore_strerror(rc));
	return f;
}

static struct mstore_series *
series(struct mstore_family *f, const char *const *values)
{
	struct mstore_series *s = NULL;
	int rc = mstore_series_get(f, values, &s);

	ck_assert_msg(rc == 0, "series_get: %s", mstore_strerror(rc));
	return s;
}

/* ------------------------------------------------------------------ */
/* Counters                                                            */
/* ------------------------------------------------------------------ */

static const char *const method_status[] = { "method", "status" };

static void
make_counters(void)
{
	static const char *const get200[] = { "GET", "200" };
	static const char *const post500[] = { "POST", "500" };
	struct mstore_family *f = counter("shop_orders_total", "Orders placed.", NULL, 2,
	                                  method_status);
	struct mstore_series *s = series(f, get200);

	ck_assert_int_eq(mstore_counter_inc(s), 0);
	ck_assert_int_eq(mstore_counter_inc(s), 0);
	ck_assert_int_eq(mstore_counter_add(s, 1), 0);
	ck_assert_int_eq(mstore_counter_add(series(f, post500), 2.5), 0);
	f = counter("legacy_requests", "No _total suffix.", NULL, 0, NULL);
	ck_assert_int_eq(mstore_counter_add(series(f, NULL), 1e21), 0);
	f = counter("shop_billed_euros_total", "Euros billed.", "euros", 0, NULL);
	ck_assert_int_eq(mstore_counter_add(series(f, NULL), 12.75), 0);
}

START_TEST(test_counter_text)
{
	make_counters();
	ck_assert_str_eq(render(1, EXPO_TEXT, NULL),
		"# HELP shop_orders_total Orders placed.\n"
		"# TYPE shop_orders_total counter\n"
		"shop_orders_total{method=\"GET\",status=\"200\"} 3\n"
		"shop_orders_total{method=\"POST\",status=\"500\"} 2.5\n"
		"# HELP legacy_requests No _total suffix.\n"
		"# TYPE legacy_requests counter\n"
		"legacy_requests 1e+21\n"
		"# HELP shop_billed_euros_total Euros billed.\n"
		"# TYPE shop_billed_euros_total counter\n"
		"shop_billed_euros_total 12.75\n");
}
END_TEST

START_TEST(test_counter_openmetrics)
{
	make_counters();
	ck_assert_str_eq(render(1, EXPO_OPENMETRICS, NULL),
		"# TYPE shop_orders counter\n"
		"# HELP shop_orders Orders placed.\n"
		"shop_orders_total{method=\"GET\",status=\"200\"} 3\n"
		"shop_orders_total{method=\"POST\",status=\"500\"} 2.5\n"
		"# TYPE legacy_requests counter\n"
		"# HELP legacy_requests No _total suffix.\n"
		"legacy_requests_total 1e+21\n"
		"# TYPE shop_billed_euros counter\n"
		"# UNIT shop_billed_euros euros\n"
		"# HELP shop_billed_euros Euros billed.\n"
		"shop_billed_euros_total 12.75\n"
		"# EOF\n");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Gauges: special values, escaping, units, empty families             */
/* ------------------------------------------------------------------ */

static const char *const path_label[] = { "path" };

static void
make_gauges(void)
{
	static const double vals[] = { NAN, INFINITY, -INFINITY, -0.0, 0.1, 1e-07,
		                       123, -42.5 };
	static const char *const names[] = { "nan", "inf", "-inf", "-0", "0.1", "1e-7",
		                             "123", "-42.5" };
	static const char *const tricky[] = { "a\"b\\c\nd" };
	struct mstore_family *f;
	size_t i;

	f = gauge("room_temperature_celsius", "Temp in \"C\" \\ per\nroom", "celsius",
	          1, path_label);
	for (i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		const char *v[] = { names[i] };

		ck_assert_int_eq(mstore_gauge_set(series(f, v), vals[i]), 0);
	}
	ck_assert_int_eq(mstore_gauge_set(series(f, tricky), 7), 0);
	(void)gauge("shop_queue_depth", "", NULL, 0, NULL);
	(void)gauge("shop_sessions", "Open sessions.", NULL, 1, path_label);
}

START_TEST(test_gauge_text)
{
	make_gauges();
	ck_assert_str_eq(render(1, EXPO_TEXT, NULL),
		"# HELP room_temperature_celsius Temp in \"C\" \\\\ per\\nroom\n"
		"# TYPE room_temperature_celsius gauge\n"
		"room_temperature_celsius{path=\"nan\"} NaN\n"
		"room_temperature_celsius{path=\"inf\"} +Inf\n"
		"room_temperature_celsius{path=\"-inf\"} -Inf\n"
		"room_temperature_celsius{path=\"-0\"} -0\n"
		"room_temperature_celsius{path=\"0.1\"} 0.1\n"
		"room_temperature_celsius{path=\"1e-7\"} 1e-07\n"
		"room_temperature_celsius{path=\"123\"} 123\n"
		"room_temperature_celsius{path=\"-42.5\"} -42.5\n"
		"room_temperature_celsius{path=\"a\\\"b\\\\c\\nd\"} 7\n"
		"# TYPE shop_queue_depth gauge\n"
		"# HELP shop_sessions Open sessions.\n"
		"# TYPE shop_sessions gauge\n");
}
END_TEST

START_TEST(test_gauge_openmetrics)
{
	make_gauges();
	ck_assert_str_eq(render(1, EXPO_OPENMETRICS, NULL),
		"# TYPE room_temperature_celsius gauge\n"
		"# UNIT room_temperature_celsius celsius\n"
		"# HELP room_temperature_celsius Temp in \\\"C\\\" \\\\ per\\nroom\n"
		"room_temperature_celsius{path=\"nan\"} NaN\n"
		"room_temperature_celsius{path=\"inf\"} +Inf\n"
		"room_temperature_celsius{path=\"-inf\"} -Inf\n"
		"room_temperature_celsius{path=\"-0\"} -0\n"
		"room_temperature_celsius{path=\"0.1\"} 0.1\n"
		"room_temperature_celsius{path=\"1e-7\"} 1e-07\n"
		"room_temperature_celsius{path=\"123\"} 123\n"
		"room_temperature_celsius{path=\"-42.5\"} -42.5\n"
		"room_temperature_celsius{path=\"a\\\"b\\\\c\\nd\"} 7\n"
		"# TYPE shop_queue_depth gauge\n"
		"# TYPE shop_sessions gauge\n"
		"# HELP shop_sessions Open sessions.\n"
		"# EOF\n");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Histograms                                                          */
/* ------------------------------------------------------------------ */

static void
make_histograms(void)
{
	static const double bounds[] = { 0.005, 0.1, 1, 2.5, 1e6 };
	/* Exact binary fractions, so the sum is exact: 10.56640625. */
	static const double obs[] = { 0.00390625, 0.0625, 0.5, 3, 7 };
	static const char *const a[] = { "/a" };
	static const double neg[] = { -1, 0, 1 };
	struct mstore_family *f;
	struct mstore_series *s;
	size_t i;

	f = histogram("http_request_duration_seconds", "Request latency.", "seconds", 1,
	              path_label, sizeof bounds / sizeof bounds[0], bounds);
	s = series(f, a);
	for (i = 0; i < sizeof obs / sizeof obs[0]; i++)
		ck_assert_int_eq(mstore_histogram_observe(s, obs[i]), 0);
	f = histogram("shop_order_items", "Items per order.", NULL, 0, NULL, 2, bounds + 2);
	(void)series(f, NULL);
	f = histogram("temperature_delta_celsius", "Negative buckets.", "celsius", 0, NULL,
	              3, neg);
	ck_assert_int_eq(mstore_histogram_observe(series(f, NULL), -0.5), 0);
	f = histogram("shop_refund_euros", "Negative sum.", "euros", 0, NULL, 2, bounds + 2);
	ck_assert_int_eq(mstore_histogram_observe(series(f, NULL), -4), 0);
}

START_TEST(test_histogram_text)
{
	make_histograms();
	ck_assert_str_eq(render(1, EXPO_TEXT, NULL),
		"# HELP http_request_duration_seconds Request latency.\n"
		"# TYPE http_request_duration_seconds histogram\n"
		"http_request_duration_seconds_bucket{path=\"/a\",le=\"0.005\"} 1\n"
		"http_request_duration_seconds_bucket{path=\"/a\",le=\"0.1\"} 2\n"
		"http_request_duration_seconds_bucket{path=\"/a\",le=\"1\"} 3\n"
		"http_request_duration_seconds_bucket{path=\"/a\",le=\"2.5\"} 3\n"
		"http_request_duration_seconds_bucket{path=\"/a\",le=\"1e+06\"} 5\n"
		"http_request_duration_seconds_bucket{path=\"/a\",le=\"+Inf\"} 5\n"
		"http_request_duration_seconds_sum{path=\"/a\"} 10.56640625\n"
		"http_request_duration_seconds_count{path=\"/a\"} 5\n"
		"# HELP shop_order_items Items per order.\n"
		"# TYPE shop_order_items histogram\n"
		"shop_order_items_bucket{le=\"1\"} 0\n"
		"shop_order_items_bucket{le=\"2.5\"} 0\n"
		"shop_order_items_bucket{le=\"+Inf\"} 0\n"
		"shop_order_items_sum 0\n"
		"shop_order_items_count 0\n"
		"# HELP temperature_delta_celsius Negative buckets.\n"
		"# TYPE temperature_delta_celsius histogram\n"
		"temperature_delta_celsius_bucket{le=\"-1\"} 0\n"
		"temperature_delta_celsius_bucket{le=\"0\"} 1\n"
		"temperature_delta_celsius_bucket{le=\"1\"} 1\n"
		"temperature_delta_celsius_bucket{le=\"+Inf\"} 1\n"
		"temperature_delta_celsius_sum -0.5\n"
		"temperature_delta_celsius_count 1\n"
		"# HELP shop_refund_euros Negative sum.\n"
		"# TYPE shop_refund_euros histogram\n"
		"shop_refund_euros_bucket{le=\"1\"} 1\n"
		"shop_refund_euros_bucket{le=\"2.5\"} 1\n"
		"shop_refund_euros_bucket{le=\"+Inf\"} 1\n"
		"shop_refund_euros_sum -4\n"
		"shop_refund_euros_count 1\n");
}
END_TEST

START_TEST(test_histogram_openmetrics)
{
	make_histograms();
	ck_assert_str_eq(render(1, EXPO_OPENMETRICS, NULL),
		"# TYPE http_request_duration_seconds histogram\n"
		"# UNIT http_request_duration_seconds seconds\n"
		"# HELP http_request_duration_seconds Request latency.\n"
		"http_request_duration_seconds_bucket{path=\"/a\",le=\"0.005\"} 1\n"
		"http_request_duration_seconds_bucket{path=\"/a\",le=\"0.1\"} 2\n"
		"http_request_duration_seconds_bucket{path=\"/a\",le=\"1.0\"} 3\n"
		"http_request_duration_seconds_bucket{path=\"/a\",le=\"2.5\"} 3\n"
		"http_request_duration_seconds_bucket{path=\"/a\",le=\"1e+06\"} 5\n"
		"http_request_duration_seconds_bucket{path=\"/a\",le=\"+Inf\"} 5\n"
		"http_request_duration_seconds_sum{path=\"/a\"} 10.56640625\n"
		"http_request_duration_seconds_count{path=\"/a\"} 5\n"
		"# TYPE shop_order_items histogram\n"
		"# HELP shop_order_items Items per order.\n"
		"shop_order_items_bucket{le=\"1.0\"} 0\n"
		"shop_order_items_bucket{le=\"2.5\"} 0\n"
		"shop_order_items_bucket{le=\"+Inf\"} 0\n"
		"shop_order_items_sum 0\n"
		"shop_order_items_count 0\n"
		"# TYPE temperature_delta_celsius histogram\n"
		"# UNIT temperature_delta_celsius celsius\n"
		"# HELP temperature_delta_celsius Negative buckets.\n"
		"temperature_delta_celsius_bucket{le=\"-1.0\"} 0\n"
		"temperature_delta_celsius_bucket{le=\"0.0\"} 1\n"
		"temperature_delta_celsius_bucket{le=\"1.0\"} 1\n"
		"temperature_delta_celsius_bucket{le=\"+Inf\"} 1\n"
		"# TYPE shop_refund_euros histogram\n"
		"# UNIT shop_refund_euros euros\n"
		"# HELP shop_refund_euros Negative sum.\n"
		"shop_refund_euros_bucket{le=\"1.0\"} 1\n"
		"shop_refund_euros_bucket{le=\"2.5\"} 1\n"
		"shop_refund_euros_bucket{le=\"+Inf\"} 1\n"
		"# EOF\n");
}
END_TEST

/* ------------------------------------------------------------------ */
/* The responder's own families                                        */
/* ------------------------------------------------------------------ */

#define OWN_HELP_UP "Whether the store's writer is alive: 1 if its heartbeat is fresh " \
	"or the store is static, 0 if it is stale or the store is missing or invalid."
#define OWN_HELP_AGE "Seconds since the store's writer last stamped its heartbeat."
#define OWN_HELP_BUILD "Version of the metrics responder and the store format it " \
	"reads; always 1."
#define OWN_HELP_SCRAPES "Requests for metrics served by this responder process."
#define OWN_HELP_ERRORS "Requests for metrics that failed because the store was " \
	"missing, invalid or kept changing."

static const struct expo_own own_up = {
	.writer_up = 1, .have_store_age = 1, .store_age_seconds = 0.25,
	.version = "1.2.3", .store_format = 1, .scrapes = 7, .scrape_errors = 2,
};

static const struct expo_own own_down = {
	.writer_up = 0, .have_store_age = 0, .store_age_seconds = 99,
	.version = NULL, .store_format = 3, .scrapes = 0, .scrape_errors = 0,
};

START_TEST(test_own_text)
{
	ck_assert_str_eq(render(1, EXPO_TEXT, &own_up),
		"# HELP mstore_exporter_writer_up " OWN_HELP_UP "\n"
		"# TYPE mstore_exporter_writer_up gauge\n"
		"mstore_exporter_writer_up 1\n"
		"# HELP mstore_exporter_store_age_seconds " OWN_HELP_AGE "\n"
		"# TYPE mstore_exporter_store_age_seconds gauge\n"
		"mstore_exporter_store_age_seconds 0.25\n"
		"# HELP mstore_exporter_build_info " OWN_HELP_BUILD "\n"
		"# TYPE mstore_exporter_build_info gauge\n"
		"mstore_exporter_build_info{version=\"1.2.3\",store_format=\"1\"} 1\n"
		"# HELP mstore_exporter_scrapes_total " OWN_HELP_SCRAPES "\n"
		"# TYPE mstore_exporter_scrapes_total counter\n"
		"mstore_exporter_scrapes_total 7\n"
		"# HELP mstore_exporter_scrape_errors_total " OWN_HELP_ERRORS "\n"
		"# TYPE mstore_exporter_scrape_errors_total counter\n"
		"mstore_exporter_scrape_errors_total 2\n");
}
END_TEST

START_TEST(test_own_openmetrics_no_store)
{
	ck_assert_str_eq(render(0, EXPO_OPENMETRICS, &own_down),
		"# TYPE mstore_exporter_writer_up gauge\n"
		"# HELP mstore_exporter_writer_up " OWN_HELP_UP "\n"
		"mstore_exporter_writer_up 0\n"
		"# TYPE mstore_exporter_build_info gauge\n"
		"# HELP mstore_exporter_build_info " OWN_HELP_BUILD "\n"
		"mstore_exporter_build_info{version=\"" PACKAGE_VERSION "\",store_format=\"3\"} 1\n"
		"# TYPE mstore_exporter_scrapes counter\n"
		"# HELP mstore_exporter_scrapes " OWN_HELP_SCRAPES "\n"
		"mstore_exporter_scrapes_total 0\n"
		"# TYPE mstore_exporter_scrape_errors counter\n"
		"# HELP mstore_exporter_scrape_errors " OWN_HELP_ERRORS "\n"
		"mstore_exporter_scrape_errors_total 0\n"
		"# EOF\n");
}
END_TEST

START_TEST(test_own_age_openmetrics)
{
	const char *s = render(0, EXPO_OPENMETRICS, &own_up);

	ck_assert_ptr_nonnull(strstr(s,
		"# TYPE mstore_exporter_store_age_seconds gauge\n"
		"# UNIT mstore_exporter_store_age_seconds seconds\n"
		"# HELP mstore_exporter_store_age_seconds " OWN_HELP_AGE "\n"
		"mstore_exporter_store_age_seconds 0.25\n"));
}
END_TEST

START_TEST(test_empty)
{
	ck_assert_str_eq(render(1, EXPO_TEXT, NULL), "");
	ck_assert_str_eq(render(1, EXPO_OPENMETRICS, NULL), "# EOF\n");
	ck_assert_str_eq(render(0, EXPO_TEXT, NULL), "");
	ck_assert_str_eq(render(0, EXPO_OPENMETRICS, NULL), "# EOF\n");
}
END_TEST

/* A store family in the responder's namespace is left out. */
START_TEST(test_reserved_namespace)
{
	ck_assert_int_eq(mstore_gauge_set(series(gauge("mstore_exporter_writer_up", "Fake.",
	                                               NULL, 0, NULL), NULL), 5), 0);
	ck_assert_int_eq(mstore_gauge_set(series(gauge("shop_up", "Real.", NULL, 0, NULL),
	                                         NULL), 1), 0);
	ck_assert_str_eq(render(1, EXPO_TEXT, NULL),
		"# HELP shop_up Real.\n"
		"# TYPE shop_up gauge\n"
		"shop_up 1\n");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Limits: every label at its longest                                  */
/* ------------------------------------------------------------------ */

#define HUGE_NAME_LEN 20

START_TEST(test_huge_labels)
{
	static char names[MSTORE_MAX_LABELS][HUGE_NAME_LEN];
	static char values[MSTORE_MAX_LABELS][MSTORE_LABEL_VALUE_MAX + 1];
	static char want[OUT_CAP];
	const char *np[MSTORE_MAX_LABELS], *vp[MSTORE_MAX_LABELS];
	size_t i, w = 0;
	struct mstore_family *f;

	for (i = 0; i < MSTORE_MAX_LABELS; i++) {
		(void)snprintf(names[i], sizeof names[i], "label_%zu", i);
		memset(values[i], 'a' + (int)i, MSTORE_LABEL_VALUE_MAX);
		values[i][0] = '"';  /* one escape at each end */
		values[i][MSTORE_LABEL_VALUE_MAX - 1] = '\\';
		np[i] = names[i];
		vp[i] = values[i];
	}
	f = gauge("wide_gauge", "Wide.", NULL, MSTORE_MAX_LABELS, np);
	ck_assert_int_eq(mstore_gauge_set(series(f, vp), 1.5), 0);
	/* Expected text, built independently of the renderer. */
	w += (size_t)sprintf(want + w, "# HELP wide_gauge Wide.\n# TYPE wide_gauge gauge\n"
	                     "wide_gauge{");
	for (i = 0; i < MSTORE_MAX_LABELS; i++) {
		w += (size_t)sprintf(want + w, "%s%s=\"\\\"", i ? "," : "", names[i]);
		memcpy(want + w, values[i] + 1, MSTORE_LABEL_VALUE_MAX - 2);
		w += MSTORE_LABEL_VALUE_MAX - 2;
		w += (size_t)sprintf(want + w, "\\\\\"");
	}
	w += (size_t)sprintf(want + w, "} 1.5\n");
	ck_assert_str_eq(render(1, EXPO_TEXT, NULL), want);
}
END_TEST

/* Longest label value in test_escape_positions: past two 16-byte words. */
#define ESC_LEN_MAX 40

/* Value number (len, pos, k) of test_escape_positions: len bytes of 'a'
 * with specials[k] at pos (pos == len: none).  All distinct. */
static void
esc_value(char *val, size_t len, size_t pos, int k)
{
	static const char specials[] = { '"', '\\', '\n' };

	memset(val, 'a', len);
	if (pos < len)
		val[pos] = specials[k];
	val[len] = '\0';
}

/*
 * Label values of every length 0..ESC_LEN_MAX, clean or with one byte to
 * escape at each position (the renderer scans 4- and 8-byte words with
 * overlapping tails and copies in 4/8/16-byte moves), one series each,
 * against escaping done here byte by byte.
 */
START_TEST(test_escape_positions)
{
	static const char *const ln[] = { "v" };
	static char want[OUT_CAP];
	char val[ESC_LEN_MAX + 1];
	const char *vp[1] = { val };
	struct mstore_family *f = gauge("esc", NULL, NULL, 1, ln);
	const char *got;
	size_t len, pos, i, w = 0;
	int k;

	w += (size_t)sprintf(want + w, "# TYPE esc gauge\n");
	for (len = 0; len <= ESC_LEN_MAX; len++) {
		for (pos = 0; pos <= len; pos++) {
			for (k = 0; k < (pos < len ? 3 : 1); k++) {
				esc_value(val, len, pos, k);
				(void)series(f, vp);
				w += (size_t)sprintf(want + w, "esc{v=\"");
				for (i = 0; i < len; i++) {
					if (val[i] == '"' || val[i] == '\\' || val[i] == '\n')
						want[w++] = '\\';
					want[w++] = val[i] == '\n' ? 'n' : val[i];
				}
				w += (size_t)sprintf(want + w, "\"} 0\n");
			}
		}
	}
	got = render(1, EXPO_TEXT, NULL);
	/* Report the first difference, not two 150 KB strings. */
	for (i = 0; got[i] != '\0' && got[i] == want[i]; i++)
		;
	ck_assert_msg(got[i] == want[i], "differs at byte %zu: \"%.40s\" vs \"%.40s\"",
	              i, got + i, want + i);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Buffer too small                                                    */
/* ------------------------------------------------------------------ */

static char small[OUT_CAP + GUARD];

/* Every capacity below the needed size fails with the exact size and
 * writes nothing past cap; the exact size succeeds and matches. */
static void
check_small_buffers(struct mstore_reader *r, enum expo_format f)
{
	size_t need = 0, len = 0, cap, i;
	int rc;

	ck_assert_int_eq(expo_render(r, f, &own_up, NULL, 0, &need), EXPO_E_SPACE);
	ck_assert_uint_gt(need, 0);
	ck_assert_int_eq(expo_render(r, f, &own_up, out, OUT_CAP, &len), 0);
	ck_assert_uint_eq(len, need);
	for (cap = 0; cap < need; cap++) {
		memset(small, GUARD_BYTE, cap + GUARD);
		rc = expo_render(r, f, &own_up, small, cap, &len);
		if (rc != EXPO_E_SPACE || len != need)
			ck_abort_msg("cap %zu: rc %d len %zu, want %zu", cap, rc, len, need);
		for (i = cap; i < cap + GUARD; i++)
			if ((unsigned char)small[i] != GUARD_BYTE)
				ck_abort_msg("cap %zu: byte %zu written", cap, i);
	}
	memset(small, GUARD_BYTE, need + GUARD);
	ck_assert_int_eq(expo_render(r, f, &own_up, small, need, &len), 0);
	ck_assert_uint_eq(len, need);
	ck_assert_int_eq(memcmp(small, out, need), 0);
	ck_assert_int_eq((unsigned char)small[need], GUARD_BYTE);
}

START_TEST(test_small_buffer)
{
	struct mstore_reader *r;
	int err = 0;

	make_counters();
	make_gauges();
	make_histograms();
	r = mstore_reader_open(path, &err);
	ck_assert_msg(r != NULL, "reader_open: %s", mstore_strerror(err));
	check_small_buffers(r, EXPO_TEXT);
	check_small_buffers(r, EXPO_OPENMETRICS);
	mstore_reader_close(r);
}
END_TEST

/* ------------------------------------------------------------------ */
/* API errors and constants                                            */
/* ------------------------------------------------------------------ */

START_TEST(test_errors)
{
	size_t len = 1;

	ck_assert_int_eq(expo_render(NULL, EXPO_TEXT, NULL, out, OUT_CAP, NULL), EXPO_E_INVAL);
	ck_assert_int_eq(expo_render(NULL, (enum expo_format)7, NULL, out, OUT_CAP, &len),
	                 EXPO_E_INVAL);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(expo_render(NULL, EXPO_TEXT, NULL, NULL, 1, &len), EXPO_E_INVAL);
	ck_assert_int_eq(expo_render(NULL, EXPO_TEXT, NULL, NULL, 0, &len), 0);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_lt(EXPO_E_SPACE, MSTORE_E_LAST);
	ck_assert_int_lt(EXPO_E_INVAL, MSTORE_E_LAST);
	ck_assert_str_eq(expo_strerror(EXPO_E_SPACE), "output buffer too small");
	ck_assert_str_eq(expo_strerror(MSTORE_E_RETRY), mstore_strerror(MSTORE_E_RETRY));
	ck_assert_str_eq(expo_content_type(EXPO_TEXT),
	                 "text/plain; version=0.0.4; charset=utf-8");
	ck_assert_str_eq(expo_content_type(EXPO_OPENMETRICS),
	                 "application/openmetrics-text; version=1.0.0; charset=utf-8");
}
END_TEST

static Suite *
expo_suite(void)
{
	Suite *s = suite_create("expo");
	TCase *core = tcase_create("core");
	TCase *limits = tcase_create("limits");
	TCase *errors = tcase_create("errors");

	tcase_add_checked_fixture(core, setup, teardown);
	tcase_add_test(core, test_counter_text);
	tcase_add_test(core, test_counter_openmetrics);
	tcase_add_test(core, test_gauge_text);
	tcase_add_test(core, test_gauge_openmetrics);
	tcase_add_test(core, test_histogram_text);
	tcase_add_test(core, test_histogram_openmetrics);
	tcase_add_test(core, test_own_text);
	tcase_add_test(core, test_own_openmetrics_no_store);
	tcase_add_test(core, test_own_age_openmetrics);
	tcase_add_test(core, test_empty);
	tcase_add_test(core, test_reserved_namespace);
	suite_add_tcase(s, core);
	tcase_add_checked_fixture(limits, setup, teardown);
	tcase_add_test(limits, test_huge_labels);
	tcase_add_test(limits, test_escape_positions);
	tcase_add_test(limits, test_small_buffer);
	suite_add_tcase(s, limits);
	tcase_add_test(errors, test_errors);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(expo_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
