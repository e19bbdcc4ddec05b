/* SPDX-License-Identifier: MIT */
/*
 * mkseed.c - write small, real store files as fuzzing seeds.
 *
 *   mkseed DIR
 *
 * Each file is made by the writer library with a tiny capacity (a few KiB,
 * so the fuzzer's mutations land on meaningful bytes):
 *   empty.store       no families
 *   mixed.store       a counter with labels, a gauge with a unit, a
 *                     histogram with negative bounds, values and help text
 *                     that need escaping, special float values
 *   static.store      MSTORE_F_STATIC, one counter without labels
 *   full.store        series added until the series table is full
 *   buckets.store     a histogram with MSTORE_MAX_BUCKETS bounds and
 *                     MSTORE_MAX_LABELS labels
 *   names.store       families and labels one byte away from breaking a
 *                     naming rule or clashing with each other (jobs_total
 *                     next to jobs_createx, lat_seconds next to
 *                     lat_seconds_sun_total, labels "lf" and "quantilf")
 * Prints "mkseed: N stores" and exits 0; 1 on a library error.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mstore.h"

#define SEED_PATH_MAX 4096

static int failures;

static int
check(int rc, const char *what)
{
	if (rc != 0) {
		fprintf(stderr, "mkseed: %s: %s\n", what, mstore_strerror(rc));
		failures++;
	}
	return rc;
}

static struct mstore *
seed_create(const char *dir, const char *name, uint32_t flags, uint32_t series)
{
	struct mstore_options o;
	char path[SEED_PATH_MAX];
	struct mstore *st;
	int err = 0;

	memset(&o, 0, sizeof(o));
	o.max_families = 8;
	o.max_series = series;
	o.value_slots = 160;
	o.string_bytes = 2048;
	o.mode = 0644;
	o.flags = flags;
	o.tick_interval_ms = 100;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	st = mstore_create(path, &o, &err);
	if (st == NULL) {
		fprintf(stderr, "mkseed: %s: %s\n", path, mstore_strerror(err));
		failures++;
	}
	return st;
}

static void
seed_mixed(const char *dir)
{
	static const char *const cl[] = { "method", "code" };
	static const char *const v1[] = { "GET", "200" };
	static const char *const v2[] = { "PO\"ST", "5\\0\n0" };
	static const char *const gl[] = { "where" };
	static const char *const gv[] = { "caf\xc3\xa9 \xf0\x9f\x98\x80" };
	static const double bounds[] = { -1, 0, 0.005, 2.5, 1e6 };
	struct mstore *st = seed_create(dir, "mixed.store", 0, 16);
	struct mstore_family *c, *g, *h;
	struct mstore_series *s;

	if (st == NULL)
		return;
	if (check(mstore_counter_family(st, "seed_requests_total", "Requests \\ with\nnewline.",
	                                NULL, 2, cl, &c),
	          "counter") == 0) {
		if (check(mstore_series_get(c, v1, &s), "series") == 0)
			check(mstore_counter_add(s, 41.5), "add");
		if (check(mstore_series_get(c, v2, &s), "series") == 0)
			check(mstore_counter_add(s, 1e300), "add");
	}
	if (check(mstore_gauge_family(st, "seed_temperature_celsius", "", "celsius", 1, gl, &g),
	          "gauge") == 0 &&
	    check(mstore_series_get(g, gv, &s), "series") == 0)
		check(mstore_gauge_set(s, -INFINITY), "set");
	if (check(mstore_histogram_family(st, "seed_latency_seconds", "Latency.", "seconds", 0,
	                                  NULL, 5, bounds, &h),
	          "histogram") == 0 &&
	    check(mstore_series_get(h, NULL, &s), "series") == 0) {
		check(mstore_histogram_observe(s, -3), "observe");
		check(mstore_histogram_observe(s, 0.001), "observe");
		check(mstore_histogram_observe(s, 1e9), "observe");
	}
	mstore_close(st);
}

static void
seed_static(const char *dir)
{
	struct mstore *st = seed_create(dir, "static.store", MSTORE_F_STATIC, 4);
	struct mstore_family *c;
	struct mstore_series *s;

	if (st == NULL)
		return;
	if (check(mstore_counter_family(st, "seed_boots_total", NULL, NULL, 0, NULL, &c),
	          "counter") == 0 &&
	    check(mstore_series_get(c, NULL, &s), "series") == 0)
		check(mstore_counter_inc(s), "inc");
	mstore_close(st);
}

static void
seed_full(const char *dir)
{
	static const char *const gl[] = { "n" };
	struct mstore *st = seed_create(dir, "full.store", 0, 8);
	struct mstore_family *g;
	struct mstore_series *s;
	char v[16];
	const char *vals[1] = { v };
	int i, rc = 0;

	if (st == NULL)
		return;
	if (check(mstore_gauge_family(st, "seed_fill", "Fills the table.", NULL, 1, gl, &g),
	          "gauge") != 0) {
		mstore_close(st);
		return;
	}
	for (i = 0; i < 100 && rc == 0; i++) {
		snprintf(v, sizeof(v), "%d", i);
		rc = mstore_series_get(g, vals, &s);
		if (rc == 0)
			check(mstore_gauge_set(s, i * 0.5), "set");
	}
	if (rc != MSTORE_E_NO_SERIES_SPACE && rc != MSTORE_E_NO_VALUE_SPACE &&
	    rc != MSTORE_E_NO_STRING_SPACE)
		check(rc == 0 ? -1 : rc, "filling the store did not end with a space error");
	mstore_close(st);
}

static void
seed_buckets(const char *dir)
{
	char names[MSTORE_MAX_LABELS][8], vals[MSTORE_MAX_LABELS][8];
	const char *ln[MSTORE_MAX_LABELS], *lv[MSTORE_MAX_LABELS];
	double bounds[MSTORE_MAX_BUCKETS];
	struct mstore *st = seed_create(dir, "buckets.store", 0, 2);
	struct mstore_family *h;
	struct mstore_series *s;
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < MSTORE_MAX_LABELS; i++) {
		snprintf(names[i], sizeof(names[i]), "l%d", i);
		snprintf(vals[i], sizeof(vals[i]), "v%d", i);
		ln[i] = names[i];
		lv[i] = vals[i];
	}
	for (i = 0; i < MSTORE_MAX_BUCKETS; i++)
		bounds[i] = ldexp(1.0, i - 20);
	if (check(mstore_histogram_family(st, "seed_sizes_bytes", "Sizes.", "bytes",
	                                  MSTORE_MAX_LABELS, ln, MSTORE_MAX_BUCKETS, bounds, &h),
	          "histogram") == 0 &&
	    check(mstore_series_get(h, lv, &s), "series") == 0) {
		for (i = 0; i < 100; i++)
			check(mstore_histogram_observe(s, ldexp(1.0, i % 50 - 20)), "observe");
	}
	mstore_close(st);
}

static void
seed_names(const char *dir)
{
	static const char *const ln[] = { "lf", "quantilf", "foo_bar" };
	static const char *const lv[] = { "a", "b", "c" };
	struct mstore *st = seed_create(dir, "names.store", 0, 4);
	struct mstore_family *f;
	struct mstore_series *s;

	if (st == NULL)
		return;
	if (check(mstore_counter_family(st, "seed_jobs_total", "Jobs.", NULL, 3, ln, &f),
	          "counter") == 0 &&
	    check(mstore_series_get(f, lv, &s), "series") == 0)
		check(mstore_counter_inc(s), "inc");
	check(mstore_gauge_family(st, "seed_jobs_createx", "Almost a clash.", NULL, 0, NULL, &f),
	      "gauge");
	check(mstore_histogram_family(st, "seed_lat_seconds", NULL, "seconds", 0, NULL, 0, NULL,
	                              &f),
	      "histogram");
	check(mstore_counter_family(st, "seed_lat_seconds_sun_total", NULL, NULL, 0, NULL, &f),
	      "counter");
	mstore_close(st);
}

int
main(int argc, char **argv)
{
	struct mstore *st;

	if (argc != 2) {
		fprintf(stderr, "usage: mkseed DIR\n");
		return 2;
	}
	st = seed_create(argv[1], "empty.store", 0, 4);
	mstore_close(st);
	seed_mixed(argv[1]);
	seed_static(argv[1]);
	seed_full(argv[1]);
	seed_buckets(argv[1]);
	seed_names(argv[1]);
	if (failures != 0)
		return 1;
	printf("mkseed: 6 stores\n");
	return 0;
}
