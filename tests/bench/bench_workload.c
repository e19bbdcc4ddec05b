/* SPDX-License-Identifier: MIT */
/*
 * bench_workload.c - the standard benchmark workload of issue 7: a labelled
 * counter and gauge per item and a latency histogram per tenth of the items,
 * written into a store sized to hold exactly that (plus a little slack).
 * Both metrics-bench populate (a file lighttpd serves) and render (a store in
 * a temporary directory) build it through here, so they measure the same data.
 * Its native variant (metrics-bench render ... native) adds a native-only
 * histogram family beside the classic one (bench.h).
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* Value slots per series, as documented in mstore.h for struct mstore_options. */
#define SLOTS_COUNTER mstore_value_slots(MSTORE_COUNTER, 0)
#define SLOTS_GAUGE   mstore_value_slots(MSTORE_GAUGE, 0)
#define SLOTS_HIST    mstore_value_slots(MSTORE_HISTOGRAM, BENCH_NBOUNDS)
/* Generous string-space estimate per series: at most three label values
 * ("DELETE", "500", "/api/v1/item/9999999") plus any per-string overhead
 * the store adds (length, terminator, alignment). */
#define STRING_BYTES_PER_SERIES 128u
/* Room for family names, help texts and label names. */
#define STRING_BYTES_FIXED (64u * 1024u)
/* A few spare families / series / slots so the sizing is never off by one. */
#define CAPACITY_SLACK 16u
#define BENCH_FAMILIES 3u

#define MAX_PATH_LABEL    32  /* "/api/v1/item/" + up to 19 digits + NUL */
#define COUNTER_INC_CYCLE 5   /* counter i is incremented 1 + i mod 5 times */
#define GAUGE_DIVISOR     7.0 /* gauge i is (i + 0.5) / 7 */
#define GAUGE_OFFSET      0.5
#define HIST_OBS          4      /* observations per histogram series */
#define HIST_BASE         0.0005 /* observation k of series j: 0.0005 * 2^((j+3k) mod 16) */
#define HIST_STRIDE       3
#define HIST_EXP_CYCLE    16

const double bench_bounds[BENCH_NBOUNDS] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

static const char *const methods[] = { "GET", "POST", "PUT", "DELETE" };
static const char *const statuses[] = { "200", "404", "500" };
#define NMETHODS  (sizeof(methods) / sizeof(methods[0]))
#define NSTATUSES (sizeof(statuses) / sizeof(statuses[0]))

unsigned long
bench_hist_series(unsigned long n)
{
	unsigned long h = n / BENCH_HIST_DIVISOR;

	return h > 0 ? h : 1;
}

unsigned long
bench_samples(unsigned long n)
{
	/* one line per counter and gauge; per histogram: buckets, +Inf, _sum, _count */
	return 2 * n + bench_hist_series(n) * (BENCH_NBOUNDS + 3);
}

unsigned long
bench_samples_native(unsigned long n, int native)
{
	/* a native-only histogram's text: +Inf, _sum, _count */
	return bench_samples(n) + (native ? 3 * bench_hist_series(n) : 0);
}

static void
workload_options(struct mstore_options *o, unsigned long n, unsigned long h, uint32_t flags,
                 uint32_t writers, int native)
{
	unsigned long series = 2 * n + h * (native ? 2 : 1);
	unsigned long hist_slots = SLOTS_HIST + (native ? mstore_native_value_slots(0, 0) : 0);

	memset(o, 0, sizeof(*o));
	o->max_families = BENCH_FAMILIES + CAPACITY_SLACK;
	o->max_series = (uint32_t)(series + CAPACITY_SLACK);
	/* per-writer series beyond the workload take a slot per writer */
	o->value_slots = (uint32_t)(n * (SLOTS_COUNTER + SLOTS_GAUGE) + h * hist_slots +
	                            CAPACITY_SLACK * (writers > 1 ? writers : 1));
	o->string_bytes = (uint32_t)(series * STRING_BYTES_PER_SERIES + STRING_BYTES_FIXED);
	o->flags = flags;
	o->max_writers = writers;
}

static int
store_failed(const char *what, int rc)
{
	fprintf(stderr, "metrics-bench: %s: %s\n", what, mstore_strerror(rc));
	return -1;
}

static int
register_families(struct bench_workload *w)
{
	static const char *const counter_labels[] = { "method", "status", "path" };
	static const char *const path_names[] = { "path" };
	struct mstore_family_spec native = { .size = sizeof(native),
		                             .type = MSTORE_HISTOGRAM,
		                             .name = "app_request_latency_seconds",
		                             .help = "Request duration in seconds, native.",
		                             .nlabels = 1,
		                             .label_names = path_names,
		                             .native_factor = BENCH_NATIVE_FACTOR };
	int rc;

	rc = mstore_counter_family(w->st, "app_requests_total", "Total requests handled.", NULL, 3,
	                           counter_labels, &w->counters);
	if (rc != 0)
		return store_failed("cannot register app_requests_total", rc);
	rc = mstore_gauge_family(w->st, "app_inflight_requests", "Requests currently in flight.",
	                         NULL, 1, path_names, &w->gauges);
	if (rc != 0)
		return store_failed("cannot register app_inflight_requests", rc);
	rc = mstore_histogram_family(w->st, "app_request_duration_seconds",
	                             "Request duration in seconds.", NULL, 1, path_names,
	                             BENCH_NBOUNDS, bench_bounds, &w->histograms);
	if (rc != 0)
		return store_failed("cannot register app_request_duration_seconds", rc);
	if (w->native && (rc = mstore_family_register(w->st, &native, &w->natives)) != 0)
		return store_failed("cannot register app_request_latency_seconds", rc);
	return 0;
}

/* The workload with writers writer slots, native or not. */
static int
workload_create(struct bench_workload *w, const char *path, unsigned long n, uint32_t flags,
                uint32_t writers, int native)
{
	struct mstore_options o;
	int err = 0;

	memset(w, 0, sizeof(*w));
	if (n == 0 || n > BENCH_N_MAX) {
		fprintf(stderr, "metrics-bench: N must be 1..%lu\n", BENCH_N_MAX);
		return -1;
	}
	w->n = n;
	w->h = bench_hist_series(n);
	w->native = native;
	workload_options(&o, n, w->h, flags, writers, native);
	w->st = mstore_create(path, &o, &err);
	if (w->st == NULL) {
		fprintf(stderr, "metrics-bench: cannot create store %s: %s%s%s\n", path,
		        mstore_strerror(err), err == MSTORE_E_SYS ? ": " : "",
		        err == MSTORE_E_SYS ? strerror(errno) : "");
		return -1;
	}
	if (register_families(w) != 0) {
		bench_workload_close(w);
		return -1;
	}
	return 0;
}

int
bench_workload_create(struct bench_workload *w, const char *path, unsigned long n, uint32_t flags)
{
	return workload_create(w, path, n, flags, 1, 0);
}

int
bench_workload_create_writers(struct bench_workload *w, const char *path, unsigned long n,
                              uint32_t flags, uint32_t writers)
{
	return workload_create(w, path, n, flags, writers, 0);
}

int
bench_workload_create_native(struct bench_workload *w, const char *path, unsigned long n,
                             uint32_t flags, int native)
{
	return workload_create(w, path, n, flags, 1, native);
}

static int
path_label(char *buf, unsigned long i)
{
	int len = snprintf(buf, MAX_PATH_LABEL, "/api/v1/item/%lu", i);

	return len > 0 && len < MAX_PATH_LABEL ? 0 : -1;
}

static int
fill_counter(struct bench_workload *w, unsigned long i)
{
	char path[MAX_PATH_LABEL];
	const char *values[3];
	struct mstore_series *s;
	unsigned long k;
	int rc;

	if (path_label(path, i) != 0)
		return -1;
	values[0] = methods[i % NMETHODS];
	values[1] = statuses[i % NSTATUSES];
	values[2] = path;
	rc = mstore_series_get(w->counters, values, &s);
	if (rc != 0)
		return store_failed("cannot create counter series", rc);
	for (k = 0; k < 1 + i % COUNTER_INC_CYCLE; k++) {
		rc = mstore_counter_inc(s);
		if (rc != 0)
			return store_failed("counter inc failed", rc);
	}
	return 0;
}

static int
fill_gauge(struct bench_workload *w, unsigned long i)
{
	char path[MAX_PATH_LABEL];
	const char *values[1] = { path };
	struct mstore_series *s;
	int rc;

	if (path_label(path, i) != 0)
		return -1;
	rc = mstore_series_get(w->gauges, values, &s);
	if (rc != 0)
		return store_failed("cannot create gauge series", rc);
	rc = mstore_gauge_set(s, ((double)i + GAUGE_OFFSET) / GAUGE_DIVISOR);
	if (rc != 0)
		return store_failed("gauge set failed", rc);
	return 0;
}

static int
fill_histogram(struct bench_workload *w, unsigned long j)
{
	char path[MAX_PATH_LABEL];
	const char *values[1] = { path };
	struct mstore_series *s, *ns = NULL;
	unsigned long k;
	int rc;

	if (path_label(path, j) != 0)
		return -1;
	rc = mstore_series_get(w->histograms, values, &s);
	if (rc == 0 && w->native)
		rc = mstore_series_get(w->natives, values, &ns);
	if (rc != 0)
		return store_failed("cannot create histogram series", rc);
	for (k = 0; k < HIST_OBS; k++) {
		double v = ldexp(HIST_BASE, (int)((j + HIST_STRIDE * k) % HIST_EXP_CYCLE));

		rc = mstore_histogram_observe(s, v);
		if (rc == 0 && ns != NULL)
			rc = mstore_histogram_observe(ns, v);
		if (rc != 0)
			return store_failed("histogram observe failed", rc);
	}
	return 0;
}

int
bench_workload_fill(struct bench_workload *w)
{
	unsigned long i;

	for (i = 0; i < w->n; i++)
		if (fill_counter(w, i) != 0)
			return -1;
	for (i = 0; i < w->n; i++)
		if (fill_gauge(w, i) != 0)
			return -1;
	for (i = 0; i < w->h; i++)
		if (fill_histogram(w, i) != 0)
			return -1;
	return 0;
}

void
bench_workload_close(struct bench_workload *w)
{
	mstore_close(w->st);
	w->st = NULL;
	w->counters = w->gauges = w->histograms = w->natives = NULL;
}
