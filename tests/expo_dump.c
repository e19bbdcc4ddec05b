/* SPDX-License-Identifier: MIT */
/*
 * expo_dump.c - test helper: build a store holding every kind of metric the
 * renderer handles (labelled and bare counters, a family without help
 * text, gauges with special values and escapes, units, empty families,
 * histograms with negative bounds and negative sums, per-writer families
 * written by two writers, one with the writer label), render it with the
 * responder's own families (the writer families included) in the format
 * named on the command line, and print the result.  tests/expo-validate.sh feeds the output to promtool
 * and to the python OpenMetrics parser.
 *
 * Usage: expo_dump text|openmetrics     (exit 0 on success, 1 on error)
 * The store lives in a mkdtemp directory under $TMPDIR and is removed.
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

static int
dump(const char *path, enum expo_format f)
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
	struct mstore_options o = { .max_writers = 4 };
	struct mstore *st, *b = NULL;
	struct mstore_reader *r = NULL;
	size_t len = 0;
	int rc = 0;

	st = mstore_create(path, &o, &rc);
	if (st == NULL)
		return rc;
	b = mstore_attach(path, NULL, &rc);
	if (b == NULL)
		goto fail;
	OK(add_counters(st));
	OK(add_gauges(st));
	OK(add_histograms(st));
	OK(add_per_writer(st, b));
	r = mstore_reader_open(path, &rc);
	if (r == NULL)
		goto fail;
	OK(expo_render(r, f, &own, out, sizeof out, &len));
	if (fwrite(out, 1, len, stdout) != len || fflush(stdout) != 0)
		rc = MSTORE_E_SYS;
fail:
	mstore_reader_close(r);
	mstore_close(b);
	mstore_close(st);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	char dir[PATH_CAP], path[PATH_CAP];
	enum expo_format f;
	int rc;

	if (argc != 2 || (strcmp(argv[1], "text") != 0 && strcmp(argv[1], "openmetrics") != 0)) {
		fprintf(stderr, "usage: expo_dump text|openmetrics\n");
		return 2;
	}
	f = strcmp(argv[1], "text") == 0 ? EXPO_TEXT : EXPO_OPENMETRICS;
	if (snprintf(dir, sizeof dir, "%s/expo_dump.XXXXXX", tmp ? tmp : "/tmp") >=
	            (int)sizeof dir ||
	    mkdtemp(dir) == NULL ||
	    snprintf(path, sizeof path, "%s/store", dir) >= (int)sizeof path) {
		perror("expo_dump: temporary directory");
		return 1;
	}
	rc = dump(path, f);
	(void)unlink(path);
	(void)rmdir(dir);
	if (rc != 0) {
		fprintf(stderr, "expo_dump: %s\n", expo_strerror(rc));
		return 1;
	}
	return 0;
}
