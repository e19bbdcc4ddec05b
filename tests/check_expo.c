/* SPDX-License-Identifier: MIT */
/*
 * check_expo.c - Check suite for the renderer: stores built with the real
 * writer API in a mkdtemp directory, rendered through a real reader, and
 * compared with exact expected text in both text formats (metadata lines,
 * escaping, special values, histograms, the responder's own families) and
 * exact bytes in protobuf (and every protobuf output checked at the wire
 * level, tests/pbcheck.c), plus the buffer-too-small protocol, streaming
 * through sinks of every kind in all three formats, and argument errors.
 */
#include "config.h"

#include "expo.h"
#include "expo_proto.h"
#include "mstore.h"
#include "mstore_names.h"
#include "mstore_layout.h" /* test_stream_store_error patches the file */
#include "mstore_writer.h" /* test_exemplar_corrupt: a series' records */
#include "nhist.h"
#include "pbcheck.h"

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
static size_t out_len; /* what render() wrote (protobuf has NUL bytes) */

/* Every format, for the tests that hold for all of them. */
static const enum expo_format formats[] = { EXPO_TEXT, EXPO_OPENMETRICS, EXPO_PROTOBUF };
#define NFORMATS ((int)(sizeof formats / sizeof formats[0]))

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

/* A protobuf output must pass the wire-level check. */
static void
check_wire(const char *buf, size_t len)
{
	char why[PBCHECK_WHY_MAX];

	if (pbcheck_stream(buf, len, NULL, NULL, why) != 0)
		ck_abort_msg("protobuf output invalid: %s", why);
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
	out_len = len;
	mstore_reader_close(r);
	if (f == EXPO_PROTOBUF)
		check_wire(out, len);
	return out;
}

/* render(), for its length. */
static size_t
render_len(int with_store, enum expo_format f, const struct expo_own *own)
{
	render(with_store, f, own);
	return out_len;
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
	"finished or undone, exemplar records emptied, removals finished."
#define OWN_HELP_USED                                                            \
	"How much of the store is in use, by resource: families, series, value " \
	"slots, string bytes (a removed series' room counts until the store "    \
	"reuses it, a few seconds later)."
#define OWN_HELP_CAP                                                            \
	"What the store can hold, by resource: families, series, value slots, " \
	"string bytes (fixed when it was created)."
#define OWN_HELP_REFUSED                                                       \
	"Registrations of families and series the store refused, by reason: "  \
	"store_full (no room left), family_limit (the family had its maximum " \
	"number of series: refused, or counted in its overflow series)."

static const struct expo_own own_writers = {
	.writer_up = 1,
	.version = "1.2.3",
	.store_format = 5,
	.have_writers = 1,
	.writers_live = 3,
	.writers_stale = 1,
	.writers_max = 8,
	.recoveries = { 4, 2, 1, 0, 7, 5, 3 },
	.have_usage = 1,
	.used = { 12, 4000, 70000, 1048576 },
	.capacity = { 256, 4096, 131072, 4194304 },
	.refused = { 5, 123456789 },
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
	                 "mstore_exporter_writer_recoveries_total{kind=\"registration_back\"} 7\n"
	                 "mstore_exporter_writer_recoveries_total{kind=\"exemplar\"} 5\n"
	                 "mstore_exporter_writer_recoveries_total{kind=\"removal\"} 3\n"
	                 "# HELP mstore_exporter_store_used " OWN_HELP_USED "\n"
	                 "# TYPE mstore_exporter_store_used gauge\n"
	                 "mstore_exporter_store_used{resource=\"families\"} 12\n"
	                 "mstore_exporter_store_used{resource=\"series\"} 4000\n"
	                 "mstore_exporter_store_used{resource=\"value_slots\"} 70000\n"
	                 "mstore_exporter_store_used{resource=\"string_bytes\"} 1048576\n"
	                 "# HELP mstore_exporter_store_capacity " OWN_HELP_CAP "\n"
	                 "# TYPE mstore_exporter_store_capacity gauge\n"
	                 "mstore_exporter_store_capacity{resource=\"families\"} 256\n"
	                 "mstore_exporter_store_capacity{resource=\"series\"} 4096\n"
	                 "mstore_exporter_store_capacity{resource=\"value_slots\"} 131072\n"
	                 "mstore_exporter_store_capacity{resource=\"string_bytes\"} 4194304\n"
	                 "# HELP mstore_exporter_registrations_refused_total " OWN_HELP_REFUSED "\n"
	                 "# TYPE mstore_exporter_registrations_refused_total counter\n"
	                 "mstore_exporter_registrations_refused_total{reason=\"store_full\"} 5\n"
	                 "mstore_exporter_registrations_refused_total{reason=\"family_limit\"} "
	                 "123456789\n");
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
	check_small_buffers(r, EXPO_PROTOBUF);
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
#define CUTS_MAX       4096

struct sink_log {
	enum sink_kind kind;
	size_t sent;          /* bytes in sent[] */
	size_t prefix_len;    /* bytes in the buffer before the render */
	size_t first_len;     /* len at the first flush */
	int fail_at;          /* this flush (1-based) returns STREAM_FAIL_RC; 0: none */
	int calls;            /* flushes */
	int empty;            /* flushes with nothing to take (len == 0) */
	int grows;            /* reallocs */
	int binary;           /* protobuf: pieces do not end in newlines */
	size_t cut[CUTS_MAX]; /* output offset at each flush (the first CUTS_MAX) */
};

/* Called at each flush (number call, from 1) before it takes anything. */
static void (*flush_hook)(int call);

/*
 * The sink of the streaming tests.  Checks what expo.c promises about every
 * flush: it comes only when the next piece does not fit (need > cap - len),
 * so one that hands over nothing (len == 0) is for a piece larger than the
 * whole buffer (need > cap); what it hands over ends at a line boundary
 * in the text formats (unless it is only the caller's prefix; protobuf's
 * piece boundaries are checked by test_proto_pieces).  Each flush's offset
 * in the output is logged.
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
	else if (!g->binary && g->sent + k->len > g->prefix_len && k->buf[k->len - 1] != '\n')
		ck_abort_msg("flush %d: %zu bytes not ending a line: \"...%.*s\"", g->calls, k->len,
		             (int)(k->len < 40 ? k->len : 40),
		             k->buf + k->len - (k->len < 40 ? k->len : 40));
	if (g->calls <= CUTS_MAX)
		g->cut[g->calls - 1] = g->sent + k->len;
	if (flush_hook != NULL)
		flush_hook(g->calls);
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
	g->binary = f == EXPO_PROTOBUF;
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

/* Every format, without and with own families (writer up and down). */
static void
check_stream_same(int with_store)
{
	struct mstore_reader *r = open_reader(with_store);
	size_t oi;
	int fi;

	for (fi = 0; fi < NFORMATS; fi++) {
		enum expo_format f = formats[fi];

		for (oi = 0; oi < sizeof stream_owns / sizeof stream_owns[0]; oi++)
			check_stream_caps(r, f, stream_owns[oi],
			                  render_len(with_store, f, stream_owns[oi]));
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
	for (fi = 0; fi < NFORMATS; fi++) {
		enum expo_format f = formats[fi];

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
	for (fi = 0; fi < NFORMATS; fi++) {
		enum expo_format fmt = formats[fi];

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
	for (fi = 0; fi < NFORMATS; fi++) {
		enum expo_format f = formats[fi];

		render(1, f, &own_up);
		memcpy(want, prefix, plen);
		memcpy(want + plen, out, out_len);
		want_len = plen + out_len;
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

	for (fi = 0; fi < NFORMATS; fi++) {
		for (lie = 0; lie < LIE_COUNT; lie++) {
			l.lie = (enum lie)lie;
			l.calls = 0;
			k.buf = malloc(64);
			ck_assert_ptr_nonnull(k.buf);
			k.cap = 64;
			k.len = 0;
			k.flush = lying_flush;
			k.ctx = &l;
			rc = expo_render_stream(NULL, formats[fi], &own_up, &k);
			ck_assert_msg(rc == EXPO_E_INVAL && l.calls == 1,
			              "lie %d: rc %d after %d flushes", lie, rc, l.calls);
			free(k.buf);
		}
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* Protobuf                                                            */
/* ------------------------------------------------------------------ */

/* Expected bytes, written out by hand from metrics.proto: (tag, length,
 * bytes) per field; doubles little-endian. */
#define D_2    "\x00\x00\x00\x00\x00\x00\x00\x40" /* 2.0 */
#define D_M05  "\x00\x00\x00\x00\x00\x00\xe0\xbf" /* -0.5 */
#define D_1    "\x00\x00\x00\x00\x00\x00\xf0\x3f" /* 1.0 */
#define D_5    "\x00\x00\x00\x00\x00\x00\x14\x40" /* 5.0 */
#define D_15   "\x00\x00\x00\x00\x00\x00\xf8\x3f" /* 1.5 */
#define D_0    "\x00\x00\x00\x00\x00\x00\x00\x00" /* 0.0 */
#define D_1EM3 "\xfc\xa9\xf1\xd2\x4d\x62\x50\x3f" /* 0.001 */
#define D_25   "\x00\x00\x00\x00\x00\x00\x04\x40" /* 2.5 */
#define D_05   "\x00\x00\x00\x00\x00\x00\xe0\x3f" /* 0.5 */
#define D_INF  "\x00\x00\x00\x00\x00\x00\xf0\x7f" /* +Inf */

static void
assert_bytes(const char *got, size_t got_len, const char *want, size_t want_len)
{
	size_t i;

	for (i = 0; i < got_len && i < want_len && got[i] == want[i]; i++)
		;
	if (i < got_len || i < want_len)
		ck_abort_msg("%zu bytes, want %zu; first difference at %zu: %02x vs %02x", got_len,
		             want_len, i, i < got_len ? (unsigned char)got[i] : 0,
		             i < want_len ? (unsigned char)want[i] : 0);
}

#define ASSERT_BYTES(got, len, lit) assert_bytes((got), (len), (lit), sizeof(lit) - 1)

/* One family of each type (the empty one left out), every field by hand. */
START_TEST(test_proto_bytes)
{
	static const char *const m[] = { "m" };
	static const char *const x[] = { "x" };
	static const double bounds[] = { 1, 2 };
	struct mstore_series *h;

	ck_assert_int_eq(mstore_counter_add(series(counter("a_total", "H.", NULL, 1, m), x), 2), 0);
	ck_assert_int_eq(
	        mstore_gauge_set(series(gauge("t_celsius", NULL, "celsius", 0, NULL), NULL), -0.5),
	        0);
	(void)gauge("e", "Empty.", NULL, 0, NULL);
	h = series(histogram("h_seconds", NULL, "seconds", 0, NULL, 2, bounds), NULL);
	ck_assert_int_eq(mstore_histogram_observe(h, 0.5), 0);
	ck_assert_int_eq(mstore_histogram_observe(h, 1.5), 0);
	ck_assert_int_eq(mstore_histogram_observe(h, 3), 0);
	render(1, EXPO_PROTOBUF, NULL);
	ASSERT_BYTES(out, out_len,
	             /* counter: name, help, type 0, Metric: LabelPair, Counter */
	             "\x24"
	             "\x0a\x07"
	             "a_total"
	             "\x12\x02"
	             "H."
	             "\x18\x00"
	             "\x22\x13"
	             "\x0a\x06\x0a\x01m\x12\x01x"
	             "\x1a\x09\x09" D_2
	             /* gauge: no help (the text formats' placeholder), type
	              * 1, Metric: Gauge; unit */
	             "\x3e"
	             "\x0a\x09"
	             "t_celsius"
	             "\x12\x19" MSTORE_HELP_NONE "\x18\x01"
	             "\x22\x0b\x12\x09\x09" D_M05 "\x2a\x07"
	             "celsius"
	             /* histogram: type 4, Metric: Histogram: count, sum,
	              * Buckets (count, bound); no +Inf bucket; unit */
	             "\x5a"
	             "\x0a\x09"
	             "h_seconds"
	             "\x12\x19" MSTORE_HELP_NONE "\x18\x04"
	             "\x22\x27\x3a\x25"
	             "\x08\x03\x11" D_5 "\x1a\x0b\x08\x01\x11" D_1 "\x1a\x0b\x08\x02\x11" D_2
	             "\x2a\x07"
	             "seconds");
}
END_TEST

/* The own families: the same names, help texts and values as in text. */
START_TEST(test_proto_own)
{
	static const char want_up[] = "\x0a\x19mstore_exporter_writer_up\x12";
	static const char want_build[] = "\x0a\x07version\x12\x05"
	                                 "1.2.3";

	render(0, EXPO_PROTOBUF, &own_up);
	ck_assert_ptr_nonnull(memmem(out, out_len, want_up, sizeof want_up - 1));
	ck_assert_ptr_nonnull(memmem(out, out_len, want_build, sizeof want_build - 1));
	ck_assert_ptr_nonnull(memmem(out, out_len,
	                             "\x0a\x0cstore_format\x12\x01"
	                             "1",
	                             17));
	ck_assert_ptr_nonnull(memmem(out, out_len, "mstore_exporter_scrape_errors_total", 35));
	ck_assert_ptr_nonnull(
	        memmem(out, out_len, "\x0a\x21mstore_exporter_store_age_seconds", 35));
	render(0, EXPO_PROTOBUF, &own_down);
	ck_assert_ptr_null(memmem(out, out_len, "store_age", 9)); /* have_store_age 0 */
}
END_TEST

/* A native histogram state of 8 counters per sign, filled by hand. */
static struct mstore_native_snapshot nsnap;
static struct expo_proto_hist nh;
static char hbuf[64 * 1024];

static size_t
encode_native(void)
{
	char *end;
	size_t len = expo_proto_hist_prepare(&nh);

	ck_assert_uint_le(len, sizeof hbuf);
	end = expo_proto_hist_write(hbuf, &nh);
	ck_assert_uint_eq((size_t)(end - hbuf), len);
	return len;
}

/*
 * The specification's example of positive buckets (index -> count: -2 -> 3,
 * -1 -> 5, 0 -> 0, 1 -> 0, 2 -> 1, 3 -> 0, 4 -> 3, 5 -> 2), whose gaps of
 * one and two buckets stay inside one span: [-2, 8], deltas 3, 2, -5, 0, 1,
 * -1, 3, -1; one negative bucket at 12; schema 3, zero threshold 0.001.
 */
START_TEST(test_proto_native_bytes)
{
	static const uint64_t pos[8] = { 3, 5, 0, 0, 1, 0, 3, 2 };
	size_t len;

	memset(&nsnap, 0, sizeof nsnap);
	memset(&nh, 0, sizeof nh);
	nsnap.schema = 3;
	nsnap.nbuckets = 8;
	nsnap.zero_threshold = 0.001;
	nsnap.zero_count = 2;
	nsnap.offset[NHIST_POS] = -2;
	memcpy(nsnap.bucket[NHIST_POS], pos, sizeof pos);
	nsnap.offset[NHIST_NEG] = 10;
	nsnap.bucket[NHIST_NEG][2] = 7;
	nsnap.end[NHIST_POS] = nsnap.end[NHIST_NEG] = 8; /* first 0 */
	ck_assert(nhist_snapshot_valid(&nsnap, 23));
	nh.count = 23;
	nh.sum = 1.5;
	nh.native = &nsnap;
	len = encode_native();
	ASSERT_BYTES(hbuf, len,
	             "\x08\x17\x11" D_15 "\x28\x06" /* schema 3 (zigzag 6) */
	             "\x31" D_1EM3 "\x38\x02"       /* zero threshold, count */
	             "\x4a\x04\x08\x18\x10\x01"     /* negative span 12 (24), 1 */
	             "\x52\x01\x0e"                 /* negative deltas: 7 */
	             "\x62\x04\x08\x03\x10\x08"     /* positive span -2 (3), 8 */
	             "\x6a\x08\x06\x04\x09\x00\x02\x01\x06\x01");
	/* no bucket at all: the no-op span marks it native */
	memset(nsnap.bucket, 0, sizeof nsnap.bucket);
	nsnap.zero_threshold = 0;
	nsnap.zero_count = 0;
	nh.count = 0;
	nh.sum = 0;
	len = encode_native();
	ASSERT_BYTES(hbuf, len,
	             "\x08\x00\x11" D_0 "\x28\x06\x31" D_0 "\x38\x00"
	             "\x62\x04\x08\x00\x10\x00");
}
END_TEST

/* Wrap the histogram in hbuf[0..len) into a family frame and check it at
 * the wire level. */
static void
check_native_wire(size_t len)
{
	static char fam[sizeof hbuf + 64];
	char why[PBCHECK_WHY_MAX], *p = fam + 8; /* room for the frame length */
	size_t mlen, flen;

	mlen = 1 + 3 + len;          /* 0x3a, length (3 bytes, overlong is valid), message */
	flen = 3 + 2 + 1 + 3 + mlen; /* name, type, metric tag, length, message */
	fam[0] = (char)(0x80 | (flen & 0x7f));
	fam[1] = (char)(0x80 | ((flen >> 7) & 0x7f));
	fam[2] = (char)(flen >> 14);
	p = fam + 3;
	memcpy(p, "\x0a\x01n\x18\x04\x22", 6);
	p += 6;
	*p++ = (char)(0x80 | (mlen & 0x7f));
	*p++ = (char)(0x80 | ((mlen >> 7) & 0x7f));
	*p++ = (char)(mlen >> 14);
	*p++ = 0x3a;
	*p++ = (char)(0x80 | (len & 0x7f));
	*p++ = (char)(0x80 | ((len >> 7) & 0x7f));
	*p++ = (char)(len >> 14);
	memcpy(p, hbuf, len);
	p += len;
	if (pbcheck_stream(fam, (size_t)(p - fam), NULL, NULL, why) != 0)
		ck_abort_msg("native histogram invalid: %s", why);
}

/* States built by nhist_observe() of every size, with classic buckets or
 * not: the prepared length is the written length, and the message is
 * valid on the wire. */
START_TEST(test_proto_native_states)
{
	static _Atomic uint64_t state[NHIST_SLOTS(NHIST_WINDOW_MAX)];
	static const double bounds[] = { -1, 0, 1 };
	uint64_t cumulative[3] = { 0 };
	uint32_t n;
	int k;

	for (n = 1; n <= NHIST_WINDOW_MAX; n = n * 2 + 1) {
		struct nhist_config c = { .schema = 5, .nbuckets = n, .max_zero_threshold = 1e-3 };

		nhist_init(state, &c, 1);
		memset(&nh, 0, sizeof nh);
		for (k = 0; k < 1000; k++) {
			double v = (k % 3 ? 1 : -1) * ldexp(1 + k % 7, k % 50 - 25);

			(void)nhist_observe(state, &c, v, 1);
			nh.count++;
			nh.sum += v;
			cumulative[0] += v <= -1;
			cumulative[1] += v <= 0;
			cumulative[2] += v <= 1;
		}
		nhist_read(state, n, &nsnap);
		ck_assert(nhist_snapshot_valid(&nsnap, nh.count));
		nh.native = &nsnap;
		check_native_wire(encode_native());
		nh.nbounds = 3;
		nh.bounds = bounds;
		nh.cumulative = cumulative;
		check_native_wire(encode_native());
		memset(cumulative, 0, sizeof cumulative);
	}
}
END_TEST

#define D_ZT128 "\x00\x00\x00\x00\x00\x00\xf0\x37" /* 2^-128 */

/*
 * A native histogram of the store (schema 0, 4 buckets per sign, one
 * classic bound at 1) after 0.5, 3 and -2: protobuf has both parts, every
 * field by hand (the positive window moved twice: [-2, 1], then [-1, 2];
 * one span over -1 .. 2 with its two empty buckets inside); the text
 * formats the classic part.
 */
START_TEST(test_proto_store_native)
{
	static const double bound[] = { 1 };
	struct mstore_family_spec spec = { .size = sizeof(spec),
		                           .type = MSTORE_HISTOGRAM,
		                           .name = "n_seconds",
		                           .nbounds = 1,
		                           .bounds = bound,
		                           .native_factor = 2,
		                           .native_max_buckets = 4 };
	struct mstore_family *f;
	struct mstore_series *h;

	ck_assert_int_eq(mstore_family_register(st, &spec, &f), 0);
	h = series(f, NULL);
	ck_assert_int_eq(mstore_histogram_observe(h, 0.5), 0);
	ck_assert_int_eq(mstore_histogram_observe(h, 3), 0);
	ck_assert_int_eq(mstore_histogram_observe(h, -2), 0);
	render(1, EXPO_PROTOBUF, NULL);
	ASSERT_BYTES(out, out_len,
	             "\x66"
	             "\x0a\x09"
	             "n_seconds"
	             "\x12\x19" MSTORE_HELP_NONE "\x18\x04"
	             "\x22\x3c\x3a\x3a"
	             /* count 3, sum 1.5, the classic bucket (0.5 and -2) */
	             "\x08\x03\x11" D_15 "\x1a\x0b\x08\x02\x11" D_1
	             /* schema 0, zero threshold 2^-128, zero count 0 */
	             "\x28\x00\x31" D_ZT128 "\x38\x00"
	             /* negative: span at 1 (zigzag 2), 1 bucket; delta 1 */
	             "\x4a\x04\x08\x02\x10\x01\x52\x01\x02"
	             /* positive: span at -1 (zigzag 1), 4 buckets; deltas
	              * 1, -1, 0, 1 */
	             "\x62\x04\x08\x01\x10\x04\x6a\x04\x02\x01\x00\x02");
	render(1, EXPO_TEXT, NULL);
	ck_assert_str_eq(out, "# HELP n_seconds " MSTORE_HELP_NONE "\n"
	                      "# TYPE n_seconds histogram\n"
	                      "n_seconds_bucket{le=\"1\"} 2\n"
	                      "n_seconds_bucket{le=\"+Inf\"} 3\n"
	                      "n_seconds_sum 1.5\n"
	                      "n_seconds_count 3\n");
}
END_TEST

/* Empty families are left out; families in the responder's namespace too. */
START_TEST(test_proto_empty)
{
	(void)gauge("e", "Empty.", NULL, 0, NULL);
	(void)counter("c_total", "Empty.", NULL, 1, (const char *const[]){ "x" });
	ck_assert_int_eq(mstore_gauge_set(series(gauge("mstore_exporter_writer_up", "Impostor.",
	                                               NULL, 0, NULL),
	                                         NULL),
	                                  5),
	                 0);
	ck_assert_uint_eq(render_len(1, EXPO_PROTOBUF, NULL), 0);
}
END_TEST

/* Every flush ends a piece: a family frame, or inside a frame larger than
 * the buffer, a series.  Counter and gauge families larger than the
 * buffer are streamed (a cut inside them); histogram families are not (the
 * sink grows instead). */
START_TEST(test_proto_pieces)
{
	static size_t cuts[CUTS_MAX];
	static const size_t caps[] = { 64, 1000, 4096 };
	struct pbcheck_cuts pc = { 0, cuts, CUTS_MAX, 0 };
	struct mstore_reader *r;
	struct sink_log g;
	char why[PBCHECK_WHY_MAX];
	size_t ci, want_len, i, j;
	int inside;

	make_counters();
	make_gauges();
	make_histograms();
	make_many();
	r = open_reader(1);
	want_len = render_len(1, EXPO_PROTOBUF, &own_up);
	for (ci = 0; ci < sizeof caps / sizeof caps[0]; ci++) {
		pc.above = caps[ci];
		ck_assert_int_eq(pbcheck_stream(out, want_len, &pc, NULL, why), 0);
		ck_assert_uint_le(pc.n, CUTS_MAX);
		ck_assert_int_eq(
		        stream(r, EXPO_PROTOBUF, &own_up, &g, SINK_SEND, caps[ci], NULL, 0), 0);
		assert_sent(&g, out, want_len, "protobuf pieces");
		ck_assert_int_le(g.calls, CUTS_MAX);
		inside = 0;
		for (i = 0; i < (size_t)g.calls; i++) {
			for (j = 0; j < pc.n && cuts[j] != g.cut[i]; j++)
				;
			ck_assert_msg(j < pc.n, "cap %zu: flush %zu at %zu, not a piece's end",
			              caps[ci], i, g.cut[i]);
		}
		/* the 300-gauge family is larger than 4096 bytes: streamed */
		for (i = 0; i < (size_t)g.calls; i++)
			inside += g.cut[i] > 0 && g.cut[i] < want_len;
		ck_assert_int_gt(inside, 0);
		/* the 40-series histogram family (about 3 KB) grows a 1000 one */
		if (caps[ci] == 1000)
			ck_assert_int_gt(g.grows, 0);
	}
	mstore_reader_close(r);
}
END_TEST

/* A family larger than a 1000-byte buffer: streamed. */
#define GROW_SERIES 100

static struct mstore_family *grow_fam;

static void
make_grow(void)
{
	static const char *const names[] = { "shard", "path" };
	char a[MANY_LABEL_MAX], b[MANY_LABEL_MAX];
	const char *v[2] = { a, b };
	int i;

	grow_fam = gauge("shop_grow", "Grows.", NULL, 2, names);
	for (i = 0; i < GROW_SERIES; i++) {
		(void)snprintf(a, sizeof a, "%d", i % 3);
		(void)snprintf(b, sizeof b, "/grow/%d", i);
		ck_assert_int_eq(mstore_gauge_set(series(grow_fam, v), i), 0);
	}
}

static void
add_series_hook(int call)
{
	static const char *const v[] = { "new", "series" };

	if (call == 1)
		ck_assert_int_eq(mstore_gauge_set(series(grow_fam, v), 1), 0);
}

/* A series registered while a streamed family is being written waits for
 * the next render: the family says what the render set out to. */
START_TEST(test_proto_series_added)
{
	static char before[OUT_CAP];
	struct mstore_reader *r;
	struct sink_log g;
	size_t before_len;
	int rc;

	make_grow();
	r = open_reader(1);
	before_len = render_len(1, EXPO_PROTOBUF, NULL);
	memcpy(before, out, before_len);
	flush_hook = add_series_hook;
	rc = stream(r, EXPO_PROTOBUF, NULL, &g, SINK_SEND, 1000, NULL, 0);
	flush_hook = NULL;
	ck_assert_int_eq(rc, 0);
	ck_assert_int_gt(g.calls, 1);
	assert_sent(&g, before, before_len, "series added while streaming");
	ck_assert_int_eq(mstore_reader_refresh(r), 0);
	ck_assert_int_eq(stream(r, EXPO_PROTOBUF, NULL, &g, SINK_SEND, 1000, NULL, 0), 0);
	ck_assert_uint_gt(g.sent, before_len);
	mstore_reader_close(r);
}
END_TEST

/* Shorten the label value "/grow/99" (the family's last series) to
 * "/grow/9" behind the writer's back, as a hostile writer could: a NUL in
 * the string and one less in its series record's length. */
static void
shorten_label_hook(int call)
{
	static const char label[] = "/grow/99";
	struct mstore_hdr h;
	struct mstore_series_rec sr;
	struct mstore_str ref;
	uint32_t i, n;
	size_t len;
	char *file, *at;
	off_t off;
	int fd;

	if (call != 1)
		return;
	file = malloc(1 << 24);
	ck_assert_ptr_nonnull(file);
	fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	len = (size_t)pread(fd, file, 1 << 24, 0);
	ck_assert_uint_ge(len, sizeof h);
	memcpy(&h, file, sizeof h);
	at = memmem(file + h.string_off, len - h.string_off, label, sizeof label); /* with NUL */
	ck_assert_ptr_nonnull(at);
	n = atomic_load(&h.series);
	for (i = 0; i < n; i++) {
		off = (off_t)(h.series_off + (uint64_t)i * MSTORE_SERIES_REC_SIZE);
		memcpy(&sr, file + off, sizeof sr);
		ref = mstore_str_unpack(atomic_load(&sr.label[1]));
		if (ref.off != (uint32_t)(at - file - (off_t)h.string_off))
			continue;
		ref.len--;
		atomic_store(&sr.label[1], mstore_str_pack(ref));
		ck_assert_int_eq(pwrite(fd, &sr, sizeof sr, off), (ssize_t)sizeof sr);
		ck_assert_int_eq(pwrite(fd, "", 1, (off_t)(at - file) + 7), 1);
		break;
	}
	ck_assert_uint_lt(i, n);
	ck_assert_int_eq(close(fd), 0);
	free(file);
}

/* A streamed family whose size changed between the passes fails the
 * render (MSTORE_E_RETRY, like a series that kept changing) instead of
 * sending a wrong length; a family that fits is sent with the new one. */
START_TEST(test_proto_store_changed)
{
	struct mstore_reader *r;
	struct sink_log g;
	int rc;

	make_grow();
	r = open_reader(1);
	flush_hook = shorten_label_hook;
	rc = stream(r, EXPO_PROTOBUF, NULL, &g, SINK_SEND, 1000, NULL, 0);
	flush_hook = NULL;
	ck_assert_int_eq(rc, MSTORE_E_RETRY);
	/* the file as it is now renders, in one piece or streamed */
	ck_assert_uint_gt(render_len(1, EXPO_PROTOBUF, NULL), 0);
	ck_assert_int_eq(stream(r, EXPO_PROTOBUF, NULL, &g, SINK_SEND, 1000, NULL, 0), 0);
	assert_sent(&g, out, out_len, "after the change");
	mstore_reader_close(r);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Exemplars                                                           */
/* ------------------------------------------------------------------ */

/* 2 s and 500 ms after the epoch, and a whole second (times print as
 * seconds with their nanoseconds, trailing zeros dropped). */
#define EX_T1 INT64_C(2500000000)
#define EX_T2 INT64_C(3000000001)
#define EX_T3 INT64_C(4000000000)

static struct mstore_family *
ex_family(enum mstore_type type, const char *name, size_t n, const char *const *labels, size_t nb,
          const double *bounds)
{
	struct mstore_family_spec spec = { .size = sizeof(spec),
		                           .type = type,
		                           .name = name,
		                           .help = "With exemplars.",
		                           .nlabels = n,
		                           .label_names = labels,
		                           .nbounds = nb,
		                           .bounds = bounds,
		                           .exemplars = 1 };
	struct mstore_family *f = NULL;

	ck_assert_int_eq(mstore_family_register(st, &spec, &f), 0);
	return f;
}

/* A counter whose series have an exemplar (escapes in it), none, one on a
 * value still 0 (not shown), the empty label set; a histogram with
 * exemplars on its first and +Inf buckets. */
static void
make_exemplars(void)
{
	static const char *const m[] = { "m" };
	static const char *const v[][1] = { { "a" }, { "b" }, { "c" }, { "d" } };
	static const char *const en[] = { "trace_id", "q" };
	static const char *const ev[] = { "4bf9", "x\"y\\z\n\xc3\xa9" };
	static const double bounds[] = { 1, 2 };
	struct mstore_exemplar ex = { 2, en, ev, EX_T1 };
	struct mstore_exemplar one = { 1, en, ev, EX_T2 };
	struct mstore_exemplar none = { 0, NULL, NULL, EX_T3 };
	struct mstore_family *f = ex_family(MSTORE_COUNTER, "x_total", 1, m, 0, NULL);
	struct mstore_series *h;

	ck_assert_int_eq(mstore_counter_add_exemplar(series(f, v[0]), 2, &ex), 0);
	ck_assert_int_eq(mstore_counter_inc(series(f, v[1])), 0);
	ck_assert_int_eq(mstore_counter_add_exemplar(series(f, v[2]), 0, &ex), 0);
	ck_assert_int_eq(mstore_counter_inc_exemplar(series(f, v[3]), &none), 0);
	f = ex_family(MSTORE_HISTOGRAM, "y_seconds", 0, NULL, 2, bounds);
	h = series(f, NULL);
	ck_assert_int_eq(mstore_histogram_observe_exemplar(h, 0.5, &one), 0);
	ck_assert_int_eq(mstore_histogram_observe(h, 1.5), 0);
	ck_assert_int_eq(mstore_histogram_observe_exemplar(h, 5, &none), 0);
}

START_TEST(test_exemplar_openmetrics)
{
	make_exemplars();
	ck_assert_str_eq(
	        render(1, EXPO_OPENMETRICS, NULL),
	        "# TYPE x counter\n"
	        "# HELP x With exemplars.\n"
	        "x_total{m=\"a\"} 2 # {trace_id=\"4bf9\",q=\"x\\\"y\\\\z\\n\xc3\xa9\"} 2 2.5\n"
	        "x_total{m=\"b\"} 1\n"
	        "x_total{m=\"c\"} 0\n"
	        "x_total{m=\"d\"} 1 # {} 1 4\n"
	        "# TYPE y_seconds histogram\n"
	        "# HELP y_seconds With exemplars.\n"
	        "y_seconds_bucket{le=\"1.0\"} 1 # {trace_id=\"4bf9\"} 0.5 3.000000001\n"
	        "y_seconds_bucket{le=\"2.0\"} 2\n"
	        "y_seconds_bucket{le=\"+Inf\"} 3 # {} 5 4\n"
	        "y_seconds_sum 7\n"
	        "y_seconds_count 3\n"
	        "# EOF\n");
}
END_TEST

/* Text 0.0.4 has no exemplars. */
START_TEST(test_exemplar_text)
{
	make_exemplars();
	ck_assert_str_eq(render(1, EXPO_TEXT, NULL), "# HELP x_total With exemplars.\n"
	                                             "# TYPE x_total counter\n"
	                                             "x_total{m=\"a\"} 2\n"
	                                             "x_total{m=\"b\"} 1\n"
	                                             "x_total{m=\"c\"} 0\n"
	                                             "x_total{m=\"d\"} 1\n"
	                                             "# HELP y_seconds With exemplars.\n"
	                                             "# TYPE y_seconds histogram\n"
	                                             "y_seconds_bucket{le=\"1\"} 1\n"
	                                             "y_seconds_bucket{le=\"2\"} 2\n"
	                                             "y_seconds_bucket{le=\"+Inf\"} 3\n"
	                                             "y_seconds_sum 7\n"
	                                             "y_seconds_count 3\n");
}
END_TEST

/* Counter.exemplar and Bucket.exemplar, field by field; the +Inf bucket
 * is written when it carries one. */
START_TEST(test_proto_exemplar_bytes)
{
	static const char *const en[] = { "t" };
	static const char *const ev[] = { "ab" };
	static const double bounds[] = { 1 };
	struct mstore_exemplar ex = { 1, en, ev, EX_T2 };
	struct mstore_exemplar none = { 0, NULL, NULL, EX_T3 };
	struct mstore_series *h;

	ck_assert_int_eq(
	        mstore_counter_inc_exemplar(
	                series(ex_family(MSTORE_COUNTER, "a_total", 0, NULL, 0, NULL), NULL), &ex),
	        0);
	h = series(ex_family(MSTORE_HISTOGRAM, "h_seconds", 0, NULL, 1, bounds), NULL);
	ck_assert_int_eq(mstore_histogram_observe_exemplar(h, 0.5, &none), 0);
	ck_assert_int_eq(mstore_histogram_observe_exemplar(h, 2, &ex), 0);
	render(1, EXPO_PROTOBUF, NULL);
	ASSERT_BYTES(out, out_len,
	             /* counter: Metric: Counter: value, Exemplar: LabelPair,
	              * value, Timestamp 3 s + 1 ns */
	             "\x43"
	             "\x0a\x07"
	             "a_total"
	             "\x12\x0f"
	             "With exemplars."
	             "\x18\x00"
	             "\x22\x25\x1a\x23\x09" D_1 "\x12\x18"
	             "\x0a\x07\x0a\x01t\x12\x02"
	             "ab"
	             "\x11" D_1 "\x1a\x04\x08\x03\x10\x01"
	             /* histogram: count, sum, bucket 1 with an exemplar
	              * without labels (4 s), the +Inf bucket with one */
	             "\x72"
	             "\x0a\x09"
	             "h_seconds"
	             "\x12\x0f"
	             "With exemplars."
	             "\x18\x04"
	             "\x22\x52\x3a\x50"
	             "\x08\x02\x11" D_25 "\x1a\x1c\x08\x01\x11" D_1 "\x1a\x0f\x11" D_05
	             "\x1a\x04\x08\x04\x10\x00"
	             "\x1a\x25\x08\x02\x11" D_INF "\x1a\x18\x0a\x07\x0a\x01t\x12\x02"
	             "ab"
	             "\x11" D_2 "\x1a\x04\x08\x03\x10\x01");
}
END_TEST

/* Streaming gives the same bytes, in every format. */
START_TEST(test_stream_exemplars)
{
	make_exemplars();
	make_counters();
	check_stream_same(1);
}
END_TEST

/* A record no writer writes fails the render that shows exemplars, and
 * only those: text 0.0.4 reads none. */
START_TEST(test_exemplar_corrupt)
{
	static const double bounds[] = { 1, 2 };
	struct mstore_exemplar none = { 0, NULL, NULL, EX_T3 };
	struct mstore_series *h =
	        series(ex_family(MSTORE_HISTOGRAM, "y_seconds", 0, NULL, 2, bounds), NULL);
	struct mstore_reader *r;
	size_t len;

	ck_assert_int_eq(mstore_histogram_observe_exemplar(h, 0.5, &none), 0);
	/* bucket 0 holds values up to 1 */
	atomic_store(&h->v[mstore_exemplar_off(MSTORE_HISTOGRAM, 2, 0, 0) + MSTORE_EX_VALUE],
	             double_to_bits(1.5));
	r = open_reader(1);
	ck_assert_int_eq(expo_render(r, EXPO_OPENMETRICS, NULL, out, OUT_CAP, &len),
	                 MSTORE_E_CORRUPT);
	ck_assert_int_eq(expo_render(r, EXPO_PROTOBUF, NULL, out, OUT_CAP, &len), MSTORE_E_CORRUPT);
	ck_assert_int_eq(expo_render(r, EXPO_TEXT, NULL, out, OUT_CAP, &len), 0);
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
	ck_assert_str_eq(expo_content_type(EXPO_TEXT), "text/plain; version=0.0.4; charset=utf-8");
	ck_assert_str_eq(expo_content_type(EXPO_OPENMETRICS),
	                 "application/openmetrics-text; version=1.0.0; charset=utf-8");
	ck_assert_str_eq(
	        expo_content_type(EXPO_PROTOBUF),
	        "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; "
	        "encoding=delimited");
	ck_assert_int_eq(expo_render(NULL, EXPO_PROTOBUF, NULL, NULL, 0, &len), 0);
	ck_assert_uint_eq(len, 0);
}
END_TEST

static Suite *
expo_suite(void)
{
	Suite *s = suite_create("expo");
	TCase *core = tcase_create("core");
	TCase *limits = tcase_create("limits");
	TCase *errors = tcase_create("errors");
	TCase *proto = tcase_create("protobuf");

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
	tcase_add_test(core, test_exemplar_openmetrics);
	tcase_add_test(core, test_exemplar_text);
	tcase_add_test(core, test_stream_exemplars);
	tcase_add_test(core, test_exemplar_corrupt);
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
	tcase_add_checked_fixture(proto, setup, teardown);
	tcase_add_test(proto, test_proto_bytes);
	tcase_add_test(proto, test_proto_exemplar_bytes);
	tcase_add_test(proto, test_proto_own);
	tcase_add_test(proto, test_proto_native_bytes);
	tcase_add_test(proto, test_proto_native_states);
	tcase_add_test(proto, test_proto_store_native);
	tcase_add_test(proto, test_proto_empty);
	tcase_add_test(proto, test_proto_pieces);
	tcase_add_test(proto, test_proto_series_added);
	tcase_add_test(proto, test_proto_store_changed);
	suite_add_tcase(s, proto);
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
