/* SPDX-License-Identifier: MIT */
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
#include "mstore_layout.h" /* test_stream_store_error patches the file */

#include <check.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Big enough for every store in this suite (the largest, that of
 * test_escape_positions, renders to about 100 KiB). */
#define OUT_CAP  (1024 * 1024)
#define PATH_CAP 256
/* Guard bytes after the allowed capacity in the small-buffer test. */
#define GUARD      16
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
counter(const char *name, const char *help, const char *unit, size_t n, const char *const *labels)
{
	struct mstore_family *f = NULL;
	int rc = mstore_counter_family(st, name, help, unit, n, labels, &f);

	ck_assert_msg(rc == 0, "counter %s: %s", name, mstore_strerror(rc));
	return f;
}

static struct mstore_family *
gauge(const char *name, const char *help, const char *unit, size_t n, const char *const *labels)
{
	struct mstore_family *f = NULL;
	int rc = mstore_gauge_family(st, name, help, unit, n, labels, &f);

	ck_assert_msg(rc == 0, "gauge %s: %s", name, mstore_strerror(rc));
	return f;
}

static struct mstore_family *
histogram(const char *name, const char *help, const char *unit, size_t n, const char *const *labels,
          size_t nb, const double *bounds)
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
	struct mstore_family *f =
	        counter("shop_orders_total", "Orders placed.", NULL, 2, method_status);
	struct mstore_series *s = series(f, get200);

	ck_assert_int_eq(mstore_counter_inc(s), 0);
	ck_assert_int_eq(mstore_counter_inc(s), 0);
	ck_assert_int_eq(mstore_counter_add(s, 1), 0);
	ck_assert_int_eq(mstore_counter_add(series(f, post500), 2.5), 0);
	f = counter("shop_retries_total", "Retries.", NULL, 0, NULL);
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
	                 "# HELP shop_retries_total Retries.\n"
	                 "# TYPE shop_retries_total counter\n"
	                 "shop_retries_total 1e+21\n"
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
	                 "# TYPE shop_retries counter\n"
	                 "# HELP shop_retries Retries.\n"
	                 "shop_retries_total 1e+21\n"
	                 "# TYPE shop_billed_euros counter\n"
	                 "# UNIT shop_billed_euros euros\n"
	                 "# HELP shop_billed_euros Euros billed.\n"
	                 "shop_billed_euros_total 12.75\n"
	                 "# EOF\n");
}
END_TEST

/* A counter renamed without its "_total" after the reader validated it
 * (a writer gone wrong): refused, never rendered under another name in
 * one of the formats. */
START_TEST(test_counter_renamed)
{
	struct mstore_hdr h;
	struct mstore_family_rec fr;
	struct mstore_reader *r;
	size_t len;
	int fd;

	make_counters();
	r = mstore_reader_open(path, &fd);
	ck_assert_ptr_nonnull(r);
	fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &h, sizeof h, 0), (ssize_t)sizeof h);
	ck_assert_int_eq(pread(fd, &fr, sizeof fr, (off_t)h.family_off), (ssize_t)sizeof fr);
	ck_assert_int_eq(pwrite(fd, "x", 1, (off_t)(h.string_off + fr.name.off + fr.name.len - 1)),
	                 1);
	ck_assert_int_eq(close(fd), 0);
	ck_assert_int_eq(expo_render(r, EXPO_TEXT, NULL, out, OUT_CAP, &len), MSTORE_E_CORRUPT);
	ck_assert_int_eq(expo_render(r, EXPO_OPENMETRICS, NULL, out, OUT_CAP, &len),
	                 MSTORE_E_CORRUPT);
	mstore_reader_close(r);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Gauges: special values, escaping, units, empty families             */
/* ------------------------------------------------------------------ */

static const char *const path_label[] = { "path" };

static void
make_gauges(void)
{
	static const double vals[] = { NAN, INFINITY, -INFINITY, -0.0, 0.1, 1e-07, 123, -42.5 };
	static const char *const names[] = { "nan", "inf",  "-inf", "-0",
		                             "0.1", "1e-7", "123",  "-42.5" };
	static const char *const tricky[] = { "a\"b\\c\nd" };
	struct mstore_family *f;
	size_t i;

	f = gauge("room_temperature_celsius", "Temp in \"C\" \\ per\nroom", "celsius", 1,
	          path_label);
	for (i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		const char *v[] = { names[i] };

		ck_assert_int_eq(mstore_gauge_set(series(f, v), vals[i]), 0);
	}
	ck_assert_int_eq(mstore_gauge_set(series(f, tricky), 7), 0);
	(void)gauge("shop_queue_depth", "", NULL, 0, NULL);
	(void)gauge("shop_idle_workers", " \t ", NULL, 0, NULL);
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
	                 "# HELP shop_queue_depth (no help text registered)\n"
	                 "# TYPE shop_queue_depth gauge\n"
	                 "# HELP shop_idle_workers (no help text registered)\n"
	                 "# TYPE shop_idle_workers gauge\n"
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
	                 "# HELP shop_queue_depth (no help text registered)\n"
	                 "# TYPE shop_idle_workers gauge\n"
	                 "# HELP shop_idle_workers (no help text registered)\n"
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

	f = histogram("http_request_duration_seconds", "Request latency.", "seconds", 1, path_label,
	              sizeof bounds / sizeof bounds[0], bounds);
	s = series(f, a);
	for (i = 0; i < sizeof obs / sizeof obs[0]; i++)
		ck_assert_int_eq(mstore_histogram_observe(s, obs[i]), 0);
	f = histogram("shop_order_items", "Items per order.", NULL, 0, NULL, 2, bounds + 2);
	(void)series(f, NULL);
	f = histogram("temperature_delta_celsius", "Negative buckets.", "celsius", 0, NULL, 3, neg);
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
/* Per-writer families                                                 */
/* ------------------------------------------------------------------ */

static struct mstore_family *
per_writer(struct mstore *w, enum mstore_type type, const char *name, const char *help, size_t n,
           const char *const *labels, enum mstore_per_writer mode)
{
	struct mstore_family_spec spec = { .size = sizeof(spec),
		                           .type = type,
		                           .name = name,
		                           .help = help,
		                           .nlabels = n,
		                           .label_names = labels,
		                           .per_writer = mode };
	struct mstore_family *f = NULL;
	int rc = mstore_family_register(w, &spec, &f);

	ck_assert_msg(rc == 0, "%s: %s", name, mstore_strerror(rc));
	return f;
}

/* Two writers (two handles: two writer slots) set their own values: a
 * sum, one sample each with the writer label, a series nobody set.
 * Returns the second writer (close it after rendering). */
static struct mstore *
make_per_writer(void)
{
	static const char *const kind[] = { "kind" }, *const heap[] = { "heap" };
	struct mstore_options o = { .max_writers = 3 };
	struct mstore *w[2];
	int err = 0, i;

	mstore_close(st);
	st = mstore_create(path, &o, &err);
	ck_assert_msg(st != NULL, "create: %s", mstore_strerror(err));
	w[0] = st;
	w[1] = mstore_attach(path, NULL, &err);
	ck_assert_msg(w[1] != NULL, "attach: %s", mstore_strerror(err));
	for (i = 0; i < 2; i++) {
		struct mstore_family *busy =
		        per_writer(w[i], MSTORE_GAUGE, "pool_busy_workers", "Busy workers.", 0,
		                   NULL, MSTORE_PER_WRITER_SUM);
		struct mstore_family *idle =
		        per_writer(w[i], MSTORE_GAUGE, "pool_idle_workers", "Nobody sets it.", 0,
		                   NULL, MSTORE_PER_WRITER_MAX);
		struct mstore_family *rss = per_writer(w[i], MSTORE_GAUGE, "worker_rss_bytes",
		                                       "RSS.", 1, kind, MSTORE_PER_WRITER_ALL);
		struct mstore_family *jobs = per_writer(w[i], MSTORE_COUNTER, "worker_jobs_total",
		                                        "Jobs.", 0, NULL, MSTORE_PER_WRITER_ALL);

		ck_assert_int_eq(mstore_gauge_add(series(busy, NULL), 1 + i), 0);
		(void)series(idle, NULL);
		ck_assert_int_eq(mstore_gauge_set(series(rss, heap), 100 + 150 * i), 0);
		ck_assert_int_eq(mstore_counter_add(series(jobs, NULL), 2 + 3 * i), 0);
	}
	return w[1];
}

START_TEST(test_per_writer_text)
{
	struct mstore *second = make_per_writer();

	ck_assert_str_eq(render(1, EXPO_TEXT, NULL),
	                 "# HELP pool_busy_workers Busy workers.\n"
	                 "# TYPE pool_busy_workers gauge\n"
	                 "pool_busy_workers 3\n"
	                 "# HELP pool_idle_workers Nobody sets it.\n"
	                 "# TYPE pool_idle_workers gauge\n"
	                 "# HELP worker_rss_bytes RSS.\n"
	                 "# TYPE worker_rss_bytes gauge\n"
	                 "worker_rss_bytes{kind=\"heap\",writer=\"0\"} 100\n"
	                 "worker_rss_bytes{kind=\"heap\",writer=\"1\"} 250\n"
	                 "# HELP worker_jobs_total Jobs.\n"
	                 "# TYPE worker_jobs_total counter\n"
	                 "worker_jobs_total{writer=\"0\"} 2\n"
	                 "worker_jobs_total{writer=\"1\"} 5\n");
	/* closed: its values go with it */
	mstore_close(second);
	ck_assert_ptr_nonnull(strstr(render(1, EXPO_TEXT, NULL), "\npool_busy_workers 1\n"));
	ck_assert_ptr_null(strstr(out, "writer=\"1\""));
}
END_TEST

START_TEST(test_per_writer_openmetrics)
{
	struct mstore *second = make_per_writer();

	ck_assert_str_eq(render(1, EXPO_OPENMETRICS, NULL),
	                 "# TYPE pool_busy_workers gauge\n"
	                 "# HELP pool_busy_workers Busy workers.\n"
	                 "pool_busy_workers 3\n"
	                 "# TYPE pool_idle_workers gauge\n"
	                 "# HELP pool_idle_workers Nobody sets it.\n"
	                 "# TYPE worker_rss_bytes gauge\n"
	                 "# HELP worker_rss_bytes RSS.\n"
	                 "worker_rss_bytes{kind=\"heap\",writer=\"0\"} 100\n"
	                 "worker_rss_bytes{kind=\"heap\",writer=\"1\"} 250\n"
	                 "# TYPE worker_jobs counter\n"
	                 "# HELP worker_jobs Jobs.\n"
	                 "worker_jobs_total{writer=\"0\"} 2\n"
	                 "worker_jobs_total{writer=\"1\"} 5\n"
	                 "# EOF\n");
	mstore_close(second);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The responder's own families                                        */
/* ------------------------------------------------------------------ */

#define OWN_HELP_UP                                                         \
	"Whether the store's writer is alive: 1 if its heartbeat is fresh " \
	"or the store is static, 0 if it is stale or the store is missing or invalid."
#define OWN_HELP_AGE "Seconds since the store's writer last stamped its heartbeat."
#define OWN_HELP_BUILD                                              \
	"Version of the metrics responder and the store format it " \
	"reads; always 1."
#define OWN_HELP_SCRAPES "Requests for metrics served by this responder process."
#define OWN_HELP_ERRORS                                           \
	"Requests for metrics that failed because the store was " \
	"missing, invalid or kept changing."

static const struct expo_own own_up = {
	.writer_up = 1,
	.have_store_age = 1,
	.store_age_seconds = 0.25,
	.version = "1.2.3",
	.store_format = 1,
	.scrapes = 7,
	.scrape_errors = 2,
};

#define OWN_HELP_WRITERS                                                        \
	"Writer processes holding a slot of the store: live (heartbeat fresh) " \
	"or stale (stopped heartbeating: dead and not yet cleaned up, or hung)."
#define OWN_HELP_SLOTS "Writer slots of the store: how many processes may write it at once."
#define OWN_HELP_RECOVER                                                       \
	"What writers recovered after writer processes died, by kind: slots "  \
	"cleaned up, histograms and counter shards taken back, registrations " \
	"finished or undone."

static const struct expo_own own_writers = {
	.writer_up = 1,
	.version = "1.2.3",
	.store_format = 5,
	.have_writers = 1,
	.writers_live = 3,
	.writers_stale = 1,
	.writers_max = 8,
	.recoveries = { 4, 2, 1, 0, 7 },
};

static const struct expo_own own_down = {
	.writer_up = 0,
	.have_store_age = 0,
	.store_age_seconds = 99,
	.version = NULL,
	.store_format = 3,
	.scrapes = 0,
	.scrape_errors = 0,
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

START_TEST(test_own_writers)
{
	const char *text = render(0, EXPO_TEXT, &own_writers);

	text = strstr(text, "# HELP mstore_exporter_writers ");
	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(text,
	                 "# HELP mstore_exporter_writers " OWN_HELP_WRITERS "\n"
	                 "# TYPE mstore_exporter_writers gauge\n"
	                 "mstore_exporter_writers{state=\"live\"} 3\n"
	                 "mstore_exporter_writers{state=\"stale\"} 1\n"
	                 "# HELP mstore_exporter_writer_slots " OWN_HELP_SLOTS "\n"
	                 "# TYPE mstore_exporter_writer_slots gauge\n"
	                 "mstore_exporter_writer_slots 8\n"
	                 "# HELP mstore_exporter_writer_recoveries_total " OWN_HELP_RECOVER "\n"
	                 "# TYPE mstore_exporter_writer_recoveries_total counter\n"
	                 "mstore_exporter_writer_recoveries_total{kind=\"writer_slot\"} 4\n"
	                 "mstore_exporter_writer_recoveries_total{kind=\"histogram\"} 2\n"
	                 "mstore_exporter_writer_recoveries_total{kind=\"counter_shard\"} 1\n"
	                 "mstore_exporter_writer_recoveries_total{kind=\"registration_forward\"} "
	                 "0\n"
	                 "mstore_exporter_writer_recoveries_total{kind=\"registration_back\"} 7\n");
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
	                 "mstore_exporter_build_info{version=\"" PACKAGE_VERSION
	                 "\",store_format=\"3\"} 1\n"
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
	ck_assert_int_eq(
	        mstore_gauge_set(
	                series(gauge("mstore_exporter_writer_up", "Fake.", NULL, 0, NULL), NULL),
	                5),
	        0);
	ck_assert_int_eq(
	        mstore_gauge_set(series(gauge("shop_up", "Real.", NULL, 0, NULL), NULL), 1), 0);
	ck_assert_str_eq(render(1, EXPO_TEXT, NULL), "# HELP shop_up Real.\n"
	                                             "# TYPE shop_up gauge\n"
	                                             "shop_up 1\n");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Limits: every label at its longest                                  */
/* ------------------------------------------------------------------ */

#define HUGE_NAME_LEN 20

static char huge_names[MSTORE_MAX_LABELS][HUGE_NAME_LEN];
static char huge_values[MSTORE_MAX_LABELS][MSTORE_LABEL_VALUE_MAX + 1];

/* One gauge series with every label at its longest, one escape at each end
 * of each value: that series alone is over 8 KiB of output. */
static void
make_huge_labels(void)
{
	const char *np[MSTORE_MAX_LABELS], *vp[MSTORE_MAX_LABELS];
	struct mstore_family *f;
	size_t i;

	for (i = 0; i < MSTORE_MAX_LABELS; i++) {
		(void)snprintf(huge_names[i], sizeof huge_names[i], "label_%zu", i);
		memset(huge_values[i], 'a' + (int)i, MSTORE_LABEL_VALUE_MAX);
		huge_values[i][0] = '"'; /* one escape at each end */
		huge_values[i][MSTORE_LABEL_VALUE_MAX - 1] = '\\';
		np[i] = huge_names[i];
		vp[i] = huge_values[i];
	}
	f = gauge("wide_level", "Wide.", NULL, MSTORE_MAX_LABELS, np);
	ck_assert_int_eq(mstore_gauge_set(series(f, vp), 1.5), 0);
}

START_TEST(test_huge_labels)
{
	static char want[OUT_CAP];
	size_t i, w = 0;

	make_huge_labels();
	/* Expected text, built independently of the renderer. */
	w += (size_t)sprintf(want + w, "# HELP wide_level Wide.\n# TYPE wide_level gauge\n"
	                               "wide_level{");
	for (i = 0; i < MSTORE_MAX_LABELS; i++) {
		w += (size_t)sprintf(want + w, "%s%s=\"\\\"", i ? "," : "", huge_names[i]);
		memcpy(want + w, huge_values[i] + 1, MSTORE_LABEL_VALUE_MAX - 2);
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
/* The store of test_escape_positions; its expected text rendering goes to
 * want (NUL-terminated), its length to *wlen. */
static void
make_escape_positions(char *want, size_t *wlen)
{
	static const char *const ln[] = { "v" };
	char val[ESC_LEN_MAX + 1];
	const char *vp[1] = { val };
	struct mstore_family *f = gauge("esc", "Escapes.", NULL, 1, ln);
	size_t len, pos, i, w = 0;
	int k;

	w += (size_t)sprintf(want + w, "# HELP esc Escapes.\n# TYPE esc gauge\n");
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
	want[w] = '\0';
	*wlen = w;
}

START_TEST(test_escape_positions)
{
	static char want[OUT_CAP];
	const char *got;
	size_t i, w;

	make_escape_positions(want, &w);
	got = render(1, EXPO_TEXT, NULL);
	/* Report the first difference, not two 150 KB strings. */
	for (i = 0; got[i] != '\0' && got[i] == want[i]; i++)
		;
	ck_assert_msg(got[i] == want[i], "differs at byte %zu: \"%.40s\" vs \"%.40s\"", i, got + i,
	              want + i);
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
/* Streaming: expo_render_stream() through a sink                      */
/* ------------------------------------------------------------------ */

/* A bigger store: hundreds of series in families of all three types, with
 * labels, escapes in label values and help, and fractional values. */
#define MANY_GAUGES    300
#define MANY_COUNTERS  200
#define MANY_HISTS     40
#define MANY_LABEL_MAX 32

static void
make_many(void)
{
	static const char *const shard_path[] = { "shard", "path" };
	static const char *const user[] = { "user" };
	static const double bounds[] = { 0.25, 0.5, 1, 2, 4, 8 };
	struct mstore_family *g, *c, *h;
	struct mstore_series *s;
	char a[MANY_LABEL_MAX], b[MANY_LABEL_MAX];
	const char *v[2] = { a, b };
	int i, j;

	g = gauge("shop_stock_items", "Items \"in\" stock \\ per shard\nand path.", NULL, 2,
	          shard_path);
	c = counter("shop_user_logins_total", "Logins per user.", NULL, 1, user);
	h = histogram("shop_fetch_seconds", "Fetch latency.", "seconds", 1, path_label,
	              sizeof bounds / sizeof bounds[0], bounds);
	for (i = 0; i < MANY_GAUGES; i++) {
		(void)snprintf(a, sizeof a, "%d", i % 7);
		if (i % 5 == 0)
			(void)snprintf(b, sizeof b, "/p\"%d\\\n", i);
		else
			(void)snprintf(b, sizeof b, "/p/%d", i);
		ck_assert_int_eq(mstore_gauge_set(series(g, v), i * 0.5 - 17), 0);
	}
	for (i = 0; i < MANY_COUNTERS; i++) {
		(void)snprintf(a, sizeof a, "user-%03d", i);
		ck_assert_int_eq(mstore_counter_add(series(c, v), (i + 1) * 1.25), 0);
	}
	for (i = 0; i < MANY_HISTS; i++) {
		(void)snprintf(a, sizeof a, "/h/%d", i);
		s = series(h, v);
		for (j = 0; j < i % 9; j++)
			ck_assert_int_eq(mstore_histogram_observe(s, j * 0.75), 0);
	}
}

/* Everything a sink took, then the tail left in its buffer. */
static char sent[OUT_CAP + 1];

enum sink_kind {
	SINK_SEND,       /* takes the data (len = 0), grows to exactly need */
	SINK_KEEP,       /* keeps the data, at least doubles the buffer */
	SINK_KEEP_TIGHT, /* keeps the data, grows to exactly len + need */
};

#define STREAM_FAIL_RC (-42)

struct sink_log {
	enum sink_kind kind;
	size_t sent;       /* bytes in sent[] */
	size_t prefix_len; /* bytes in the buffer before the render */
	size_t first_len;  /* len at the first flush */
	int fail_at;       /* this flush (1-based) returns STREAM_FAIL_RC; 0: none */
	int calls;         /* flushes */
	int empty;         /* flushes with nothing to take (len == 0) */
	int grows;         /* reallocs */
};

/*
 * The sink of the streaming tests.  Checks what expo.c promises about every
 * flush: it comes only when the next piece does not fit (need > cap - len),
 * so one that hands over nothing (len == 0) is for a piece larger than the
 * whole buffer (need > cap); what it hands over ends at a line boundary
 * (unless it is only the caller's prefix).
 */
static int
sink_flush(struct expo_sink *k, size_t need)
{
	struct sink_log *g = k->ctx;
	size_t want;

	/* Plain tests and ck_abort_msg() here: every passing ck_assert_*()
	 * costs Check a write(2), and there are thousands of flushes. */
	g->calls++;
	if (k->buf == NULL || k->len > k->cap)
		ck_abort_msg("flush %d: buf %p len %zu cap %zu", g->calls, (void *)k->buf, k->len,
		             k->cap);
	if (g->calls == 1)
		g->first_len = k->len;
	if (need <= k->cap - k->len)
		ck_abort_msg("flush %d: need %zu but %zu free", g->calls, need, k->cap - k->len);
	if (k->len == 0)
		g->empty++;
	else if (g->sent + k->len > g->prefix_len && k->buf[k->len - 1] != '\n')
		ck_abort_msg("flush %d: %zu bytes not ending a line: \"...%.*s\"", g->calls, k->len,
		             (int)(k->len < 40 ? k->len : 40),
		             k->buf + k->len - (k->len < 40 ? k->len : 40));
	if (g->calls == g->fail_at)
		return STREAM_FAIL_RC;
	if (g->kind == SINK_SEND) {
		if (g->sent + k->len > OUT_CAP)
			ck_abort_msg("flush %d: more than %d bytes sent", g->calls, OUT_CAP);
		memcpy(sent + g->sent, k->buf, k->len);
		g->sent += k->len;
		k->len = 0;
	}
	if (k->cap - k->len < need) {
		char *nb;

		want = k->len + need;
		if (g->kind == SINK_KEEP && want < 2 * k->cap)
			want = 2 * k->cap;
		nb = realloc(k->buf, want);
		if (nb == NULL)
			ck_abort_msg("flush %d: realloc %zu failed", g->calls, want);
		k->buf = nb;
		k->cap = want;
		g->grows++;
	}
	return 0;
}

/*
 * expo_render_stream() through a fresh sink of kind with a malloc'd buffer
 * of exactly cap bytes holding prefix (NULL: none) at the start, its flush
 * number fail_at failing (0: none).  Everything that came out (flushed,
 * then on success the tail left in the buffer) is in sent[0..g->sent),
 * NUL-terminated.
 */
static int
stream(const struct mstore_reader *r, enum expo_format f, const struct expo_own *own,
       struct sink_log *g, enum sink_kind kind, size_t cap, const char *prefix, int fail_at)
{
	struct expo_sink k;
	int rc;

	memset(g, 0, sizeof *g);
	g->kind = kind;
	g->fail_at = fail_at;
	g->prefix_len = prefix != NULL ? strlen(prefix) : 0;
	ck_assert_uint_le(g->prefix_len, cap);
	k.buf = malloc(cap > 0 ? cap : 1);
	ck_assert_ptr_nonnull(k.buf);
	k.cap = cap;
	k.len = g->prefix_len;
	k.flush = sink_flush;
	k.ctx = g;
	if (prefix != NULL)
		memcpy(k.buf, prefix, g->prefix_len);
	rc = expo_render_stream(r, f, own, &k);
	if (rc == 0) {
		ck_assert_uint_le(k.len, k.cap);
		ck_assert_uint_le(g->sent + k.len, OUT_CAP);
		memcpy(sent + g->sent, k.buf, k.len);
		g->sent += k.len;
	}
	sent[g->sent] = '\0';
	free(k.buf);
	return rc;
}

/* sent[0..g->sent) must be want[0..want_len): report the first difference. */
static void
assert_sent(const struct sink_log *g, const char *want, size_t want_len, const char *what)
{
	size_t i;

	for (i = 0; i < g->sent && i < want_len && sent[i] == want[i]; i++)
		;
	if (i < g->sent || i < want_len)
		ck_abort_msg("%s: %zu bytes, want %zu; differ at %zu: \"%.40s\" vs \"%.40s\"", what,
		             g->sent, want_len, i, sent + i, want + i);
}

static struct mstore_reader *
open_reader(int with_store)
{
	struct mstore_reader *r;
	int err = 0;

	if (!with_store)
		return NULL;
	r = mstore_reader_open(path, &err);
	ck_assert_msg(r != NULL, "reader_open: %s", mstore_strerror(err));
	return r;
}

static const struct expo_own *const stream_owns[] = { NULL, &own_up, &own_down };
/* Tiny (the sink must grow), mid-size; the exact output size and one more
 * byte are added per rendering. */
static const size_t stream_caps[] = { 0, 1, 7, 64, 100, 1000, 4096 };
#define NCAPS    (sizeof stream_caps / sizeof stream_caps[0] + 2)
#define WHAT_MAX 96

/*
 * One rendering through a sink of kind with cap bytes, holding prefix (NULL:
 * none) at the start, must give want[0..want_len): the prefix, then
 * expo_render()'s bytes.  A buffer that holds it all is never flushed; a
 * smaller one is, and its first flush hands over at least the prefix.
 */
static void
check_stream_case(const struct mstore_reader *r, enum expo_format f, const struct expo_own *own,
                  enum sink_kind kind, size_t cap, const char *prefix, const char *want,
                  size_t want_len, struct sink_log *g)
{
	char what[WHAT_MAX];
	int rc = stream(r, f, own, g, kind, cap, prefix, 0);

	(void)snprintf(what, sizeof what, "format %d own %s sink %d cap %zu prefix %zu", (int)f,
	               own == NULL            ? "none"
	               : own->version == NULL ? "down"
	                                      : "up",
	               (int)kind, cap, g->prefix_len);
	ck_assert_msg(rc == 0, "%s: %s", what, expo_strerror(rc));
	assert_sent(g, want, want_len, what);
	if (cap >= want_len)
		ck_assert_msg(g->calls == 0, "%s: %d flushes", what, g->calls);
	else
		ck_assert_msg(g->calls > 0 && g->first_len >= g->prefix_len,
		              "%s: %d flushes, first %zu", what, g->calls, g->first_len);
}

/*
 * Both sink kinds at every capacity (stream_caps, the output size, one
 * more) give expo_render()'s bytes, out[0..want_len).  A buffer of 0 or 1
 * byte must grow, and its first flush has nothing to take.
 */
static void
check_stream_caps(const struct mstore_reader *r, enum expo_format f, const struct expo_own *own,
                  size_t want_len)
{
	static const enum sink_kind kinds[] = { SINK_SEND, SINK_KEEP };
	struct sink_log g;
	size_t caps[NCAPS], ki, ci;

	memcpy(caps, stream_caps, sizeof stream_caps);
	caps[NCAPS - 2] = want_len;
	caps[NCAPS - 1] = want_len + 1;
	for (ki = 0; ki < sizeof kinds / sizeof kinds[0]; ki++) {
		for (ci = 0; ci < NCAPS; ci++) {
			check_stream_case(r, f, own, kinds[ki], caps[ci], NULL, out, want_len, &g);
			if (caps[ci] <= 1 && want_len > caps[ci])
				ck_assert_msg(g.grows > 0 && g.empty > 0 && g.first_len == 0,
				              "cap %zu: grows %d empty %d", caps[ci], g.grows,
				              g.empty);
		}
	}
}

/* Both formats, without and with own families (writer up and down). */
static void
check_stream_same(int with_store)
{
	struct mstore_reader *r = open_reader(with_store);
	size_t oi;
	int fi;

	for (fi = 0; fi < 2; fi++) {
		enum expo_format f = fi ? EXPO_OPENMETRICS : EXPO_TEXT;

		for (oi = 0; oi < sizeof stream_owns / sizeof stream_owns[0]; oi++)
			check_stream_caps(r, f, stream_owns[oi],
			                  strlen(render(with_store, f, stream_owns[oi])));
	}
	mstore_reader_close(r);
}

START_TEST(test_stream_same)
{
	make_counters();
	make_gauges();
	make_histograms();
	make_many();
	check_stream_same(1);
}
END_TEST

/* Only own families (no store), and an empty store (nothing, or "# EOF"). */
START_TEST(test_stream_same_small)
{
	check_stream_same(0);
	check_stream_same(1);
}
END_TEST

START_TEST(test_stream_huge_labels)
{
	make_huge_labels();
	check_stream_same(1);
}
END_TEST

START_TEST(test_stream_escape_positions)
{
	static char want[OUT_CAP];
	size_t w;

	make_escape_positions(want, &w);
	check_stream_same(1);
}
END_TEST

/*
 * Where flushes come (the sink checks each one, see sink_flush): with a
 * 64-byte sending sink the first piece (the own families) is larger than
 * the whole buffer, so the first flush has nothing to take; later ones do.
 * With room for every piece no flush is empty.  A keeping sink that makes
 * exactly the room asked for is flushed for nearly every piece, and only
 * its first flush can be empty.
 */
START_TEST(test_stream_flush_lines)
{
	struct mstore_reader *r;
	struct sink_log g;
	size_t want_len;
	int fi;

	make_counters();
	make_gauges();
	make_histograms();
	make_many();
	r = open_reader(1);
	for (fi = 0; fi < 2; fi++) {
		enum expo_format f = fi ? EXPO_OPENMETRICS : EXPO_TEXT;

		want_len = strlen(render(1, f, &own_up));
		ck_assert_int_eq(stream(r, f, &own_up, &g, SINK_SEND, 64, NULL, 0), 0);
		assert_sent(&g, out, want_len, "send 64");
		ck_assert_uint_eq(g.first_len, 0);
		ck_assert_int_ge(g.empty, 1);
		ck_assert_int_gt(g.calls - g.empty, MANY_GAUGES / 10);
		ck_assert_int_eq(stream(r, f, &own_up, &g, SINK_SEND, 4096, NULL, 0), 0);
		assert_sent(&g, out, want_len, "send 4096");
		ck_assert_int_eq(g.empty, 0);
		ck_assert_int_ge(g.calls, (int)(want_len / 4096));
		ck_assert_int_eq(g.grows, 0);
		ck_assert_int_eq(stream(r, f, &own_up, &g, SINK_KEEP_TIGHT, 1, NULL, 0), 0);
		assert_sent(&g, out, want_len, "keep tight 1");
		ck_assert_int_eq(g.empty, 1);
		ck_assert_int_gt(g.calls, MANY_GAUGES + MANY_COUNTERS);
		ck_assert_int_eq(g.grows, g.calls);
		ck_assert_int_eq(stream(r, f, &own_up, &g, SINK_KEEP, 4096, NULL, 0), 0);
		assert_sent(&g, out, want_len, "keep 4096");
		ck_assert_int_eq(g.empty, 0);
		ck_assert_int_gt(g.calls, 0);
	}
	mstore_reader_close(r);
}
END_TEST

/* A flush failing with a negative code on its Nth call, for every N from
 * the first to the last flush of the run, ends the render with that code
 * and no further flush. */
START_TEST(test_stream_flush_error)
{
	static const struct {
		enum sink_kind kind;
		size_t cap;
	} runs[] = {
		{ SINK_SEND, 64 },
		{ SINK_SEND, 1000 },
		{ SINK_KEEP, 1 },
		{ SINK_KEEP, 4096 },
	};
	struct mstore_reader *r;
	struct sink_log g;
	size_t ri;
	int fi, n, i, rc;

	make_counters();
	make_histograms();
	make_many();
	r = open_reader(1);
	for (fi = 0; fi < 2; fi++) {
		enum expo_format f = fi ? EXPO_OPENMETRICS : EXPO_TEXT;

		for (ri = 0; ri < sizeof runs / sizeof runs[0]; ri++) {
			ck_assert_int_eq(
			        stream(r, f, &own_up, &g, runs[ri].kind, runs[ri].cap, NULL, 0), 0);
			n = g.calls;
			ck_assert_int_gt(n, 1);
			for (i = 1; i <= n; i++) {
				rc = stream(r, f, &own_up, &g, runs[ri].kind, runs[ri].cap, NULL,
				            i);
				if (rc != STREAM_FAIL_RC || g.calls != i)
					ck_abort_msg("format %d run %zu: flush %d of %d failed: "
					             "rc %d after %d flushes",
					             fi, ri, i, n, rc, g.calls);
			}
		}
	}
	mstore_reader_close(r);
}
END_TEST

/*
 * Make the histogram series number idx (in registration order) one whose
 * buckets no longer add up to its count, by patching the file behind the
 * writer's back: its snapshot then fails with MSTORE_E_CORRUPT.
 */
static void
corrupt_hist_count(uint32_t idx)
{
	struct mstore_hdr h;
	struct mstore_series_rec sr;
	uint64_t count;
	off_t off;
	int fd = open(path, O_RDWR);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &h, sizeof h, 0), (ssize_t)sizeof h);
	ck_assert_uint_lt(idx, atomic_load(&h.series));
	off = (off_t)(h.series_off + (uint64_t)idx * MSTORE_SERIES_REC_SIZE);
	ck_assert_int_eq(pread(fd, &sr, sizeof sr, off), (ssize_t)sizeof sr);
	off = (off_t)(h.value_off +
	              ((uint64_t)sr.value_off + MSTORE_HIST_COUNT) * MSTORE_SLOT_SIZE);
	ck_assert_int_eq(pread(fd, &count, sizeof count, off), (ssize_t)sizeof count);
	count++;
	ck_assert_int_eq(pwrite(fd, &count, sizeof count, off), (ssize_t)sizeof count);
	ck_assert_int_eq(close(fd), 0);
}

/* A store error after hundreds of series (some of them already flushed)
 * comes back from expo_render_stream() as from expo_render(). */
START_TEST(test_stream_store_error)
{
	static const double bounds[] = { 1, 2 };
	static const size_t caps[] = { 1, 64, 4096, OUT_CAP };
	struct mstore_family *f;
	struct mstore_reader *r;
	struct sink_log g;
	size_t len, ci;
	int fi, rc;

	make_many();
	f = histogram("shop_broken_seconds", "Torn.", "seconds", 0, NULL, 2, bounds);
	ck_assert_int_eq(mstore_histogram_observe(series(f, NULL), 1.5), 0);
	ck_assert_int_eq(
	        mstore_gauge_set(series(gauge("shop_after", "After.", NULL, 0, NULL), NULL), 1), 0);
	corrupt_hist_count(MANY_GAUGES + MANY_COUNTERS + MANY_HISTS);
	r = open_reader(1);
	for (fi = 0; fi < 2; fi++) {
		enum expo_format fmt = fi ? EXPO_OPENMETRICS : EXPO_TEXT;

		ck_assert_int_eq(expo_render(r, fmt, &own_up, out, OUT_CAP, &len),
		                 MSTORE_E_CORRUPT);
		for (ci = 0; ci < sizeof caps / sizeof caps[0]; ci++) {
			rc = stream(r, fmt, &own_up, &g, SINK_SEND, caps[ci], NULL, 0);
			ck_assert_msg(rc == MSTORE_E_CORRUPT, "send cap %zu: %d", caps[ci], rc);
			if (caps[ci] <= 4096)
				ck_assert_msg(g.sent > 4096, "send cap %zu: %zu sent", caps[ci],
				              g.sent);
			else
				ck_assert_int_eq(g.calls, 0);
			rc = stream(r, fmt, &own_up, &g, SINK_KEEP, caps[ci], NULL, 0);
			ck_assert_msg(rc == MSTORE_E_CORRUPT, "keep cap %zu: %d", caps[ci], rc);
		}
	}
	mstore_reader_close(r);
}
END_TEST

/* Bytes already in the buffer (a prefix, here not even a whole line) stay
 * ahead of the output, whether the buffer is full, flushed or never. */
START_TEST(test_stream_prefix)
{
	static const char prefix[] = "PREFIX:";
	static const enum sink_kind kinds[] = { SINK_SEND, SINK_KEEP, SINK_KEEP_TIGHT };
	static char want[OUT_CAP + 1];
	struct mstore_reader *r;
	struct sink_log g;
	size_t caps[6], want_len, plen = strlen(prefix), ki, ci;
	int fi;

	make_counters();
	make_histograms();
	r = open_reader(1);
	for (fi = 0; fi < 2; fi++) {
		enum expo_format f = fi ? EXPO_OPENMETRICS : EXPO_TEXT;

		want_len =
		        (size_t)snprintf(want, sizeof want, "%s%s", prefix, render(1, f, &own_up));
		caps[0] = plen; /* full: the prefix alone goes first */
		caps[1] = plen + 1;
		caps[2] = 64;
		caps[3] = 1000;
		caps[4] = want_len; /* prefix and output exactly */
		caps[5] = OUT_CAP;
		for (ki = 0; ki < sizeof kinds / sizeof kinds[0]; ki++) {
			for (ci = 0; ci < sizeof caps / sizeof caps[0]; ci++) {
				check_stream_case(r, f, &own_up, kinds[ki], caps[ci], prefix, want,
				                  want_len, &g);
				if (caps[ci] == plen)
					ck_assert_msg(g.first_len == plen, "cap %zu: first %zu",
					              caps[ci], g.first_len);
			}
		}
	}
	mstore_reader_close(r);
}
END_TEST

/* Bad arguments: nothing is rendered, nothing flushed, the sink untouched. */
START_TEST(test_stream_errors)
{
	struct sink_log g;
	struct expo_sink k;

	memset(&g, 0, sizeof g);
	k.buf = malloc(64);
	ck_assert_ptr_nonnull(k.buf);
	k.cap = 64;
	k.len = 0;
	k.flush = sink_flush;
	k.ctx = &g;
	ck_assert_int_eq(expo_render_stream(NULL, EXPO_TEXT, &own_up, NULL), EXPO_E_INVAL);
	k.flush = NULL;
	ck_assert_int_eq(expo_render_stream(NULL, EXPO_TEXT, &own_up, &k), EXPO_E_INVAL);
	k.flush = sink_flush;
	k.len = 65;
	ck_assert_int_eq(expo_render_stream(NULL, EXPO_TEXT, &own_up, &k), EXPO_E_INVAL);
	ck_assert_uint_eq(k.len, 65);
	k.len = 0;
	ck_assert_int_eq(expo_render_stream(NULL, (enum expo_format)7, &own_up, &k), EXPO_E_INVAL);
	ck_assert_int_eq(expo_render_stream(NULL, (enum expo_format) - 1, &own_up, &k),
	                 EXPO_E_INVAL);
	free(k.buf);
	k.buf = NULL;
	ck_assert_int_eq(expo_render_stream(NULL, EXPO_TEXT, &own_up, &k), EXPO_E_INVAL);
	k.cap = 0;
	ck_assert_int_eq(expo_render_stream(NULL, EXPO_TEXT, &own_up, &k), EXPO_E_INVAL);
	ck_assert_int_eq(g.calls, 0);
	ck_assert_uint_eq(k.len, 0);
	/* The same sink with a buffer works. */
	k.buf = malloc(64);
	ck_assert_ptr_nonnull(k.buf);
	k.cap = 64;
	g.kind = SINK_SEND;
	ck_assert_int_eq(expo_render_stream(NULL, EXPO_TEXT, &own_up, &k), 0);
	ck_assert_int_gt(g.calls, 0);
	free(k.buf);
}
END_TEST

/* Ways for a flush to return 0 without keeping its promise of room. */
enum lie {
	LIE_NOTHING, /* takes nothing, makes no room */
	LIE_NO_GROW, /* takes everything, but the piece is larger than the buffer */
	LIE_HALF,    /* grows, but to half the room asked for */
	LIE_NO_BUF,  /* drops its buffer */
	LIE_LEN,     /* says it holds more than its capacity */
	LIE_COUNT
};

struct liar {
	enum lie lie;
	int calls;
};

static int
lying_flush(struct expo_sink *k, size_t need)
{
	struct liar *l = k->ctx;
	char *nb;

	l->calls++;
	switch (l->lie) {
	case LIE_NOTHING:
		break;
	case LIE_NO_GROW:
		k->len = 0;
		break;
	case LIE_HALF:
		nb = realloc(k->buf, k->len + need / 2);
		ck_assert_ptr_nonnull(nb);
		k->buf = nb;
		k->cap = k->len + need / 2;
		break;
	case LIE_NO_BUF:
		free(k->buf);
		k->buf = NULL;
		k->cap = 0;
		k->len = 0;
		break;
	case LIE_LEN:
		k->len = k->cap + 1;
		break;
	case LIE_COUNT:
		break;
	}
	return 0;
}

/* A sink that breaks its promise gets EXPO_E_INVAL at once (one flush),
 * not a write past its buffer (the sanitizer build would see one: the
 * buffers are malloc'd to their exact size). */
START_TEST(test_stream_lying_sink)
{
	struct liar l;
	struct expo_sink k;
	int lie, fi, rc;

	for (fi = 0; fi < 2; fi++) {
		for (lie = 0; lie < LIE_COUNT; lie++) {
			l.lie = (enum lie)lie;
			l.calls = 0;
			k.buf = malloc(64);
			ck_assert_ptr_nonnull(k.buf);
			k.cap = 64;
			k.len = 0;
			k.flush = lying_flush;
			k.ctx = &l;
			rc = expo_render_stream(NULL, fi ? EXPO_OPENMETRICS : EXPO_TEXT, &own_up,
			                        &k);
			ck_assert_msg(rc == EXPO_E_INVAL && l.calls == 1,
			              "lie %d: rc %d after %d flushes", lie, rc, l.calls);
			free(k.buf);
		}
	}
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
	ck_assert_str_eq(expo_content_type(EXPO_TEXT), "text/plain; version=0.0.4; charset=utf-8");
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
	tcase_add_test(core, test_counter_renamed);
	tcase_add_test(core, test_gauge_text);
	tcase_add_test(core, test_gauge_openmetrics);
	tcase_add_test(core, test_histogram_text);
	tcase_add_test(core, test_histogram_openmetrics);
	tcase_add_test(core, test_own_text);
	tcase_add_test(core, test_own_writers);
	tcase_add_test(core, test_per_writer_text);
	tcase_add_test(core, test_per_writer_openmetrics);
	tcase_add_test(core, test_own_openmetrics_no_store);
	tcase_add_test(core, test_own_age_openmetrics);
	tcase_add_test(core, test_empty);
	tcase_add_test(core, test_reserved_namespace);
	tcase_add_test(core, test_stream_same);
	tcase_add_test(core, test_stream_same_small);
	tcase_add_test(core, test_stream_flush_lines);
	tcase_add_test(core, test_stream_flush_error);
	tcase_add_test(core, test_stream_store_error);
	tcase_add_test(core, test_stream_prefix);
	suite_add_tcase(s, core);
	tcase_add_checked_fixture(limits, setup, teardown);
	tcase_add_test(limits, test_huge_labels);
	tcase_add_test(limits, test_escape_positions);
	tcase_add_test(limits, test_small_buffer);
	tcase_add_test(limits, test_stream_huge_labels);
	tcase_add_test(limits, test_stream_escape_positions);
	suite_add_tcase(s, limits);
	tcase_add_test(errors, test_errors);
	tcase_add_test(errors, test_stream_errors);
	tcase_add_test(errors, test_stream_lying_sink);
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
