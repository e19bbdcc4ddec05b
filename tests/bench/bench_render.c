/* SPDX-License-Identifier: MIT */
/*
 * bench_render.c - "metrics-bench render N [REPS] [text|openmetrics|protobuf]
 * [native]" (REPS may be left out before the format; "native": the
 * workload's native variant, with native histograms beside the classic
 * ones, bench.h): time
 * full /metrics renders of the standard workload through the responder's
 * code path (mstore_reader_refresh, then expo_render_stream through one
 * reusable buffer of the responder's size, each full buffer handed to a
 * sink that drops it where the responder would send it) and count the heap
 * allocations those renders make.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "expo.h"
#include "resp_serve.h" /* RESP_BUF_SIZE */

#define RENDER_BUDGET     2000000UL /* default REPS = budget / N, clamped below */
#define RENDER_REPS_MIN   21UL
#define RENDER_REPS_MAX   2001UL
#define RENDER_REPS_LIMIT 1000000UL
#define WARMUP_DIVISOR    10UL /* warm-up renders: REPS / 10, at least ... */
#define WARMUP_MIN        3UL
#define PATH_CAP          4096

struct render_run {
	struct mstore_reader *r;
	enum expo_format format;
	struct expo_sink k;
	size_t len; /* body bytes of the last scrape */
};

/* A full buffer: drop it (the responder sends it); grow only for a series
 * larger than the buffer, which the workload does not have. */
static int
drop_flush(struct expo_sink *k, size_t need)
{
	struct render_run *run = k->ctx;
	char *p;

	run->len += k->len;
	k->len = 0;
	if (k->cap >= need)
		return 0;
	p = realloc(k->buf, need);
	if (p == NULL)
		return -1;
	k->buf = p;
	k->cap = need;
	return 0;
}

/* One scrape as the responder does it: pick up a replaced file, then render. */
static int
scrape(struct render_run *run)
{
	int rc = mstore_reader_refresh(run->r);

	if (rc < 0) {
		fprintf(stderr, "metrics-bench: refresh failed: %s\n", mstore_strerror(rc));
		return -1;
	}
	run->len = 0;
	run->k.len = 0;
	rc = expo_render_stream(run->r, run->format, NULL, &run->k);
	run->len += run->k.len;
	if (rc != 0) {
		fprintf(stderr, "metrics-bench: render failed: %s\n", expo_strerror(rc));
		return -1;
	}
	return 0;
}

/* The responder's buffer, allocated once; the first scrape warms it. */
static int
first_scrape(struct render_run *run)
{
	run->k.cap = RESP_BUF_SIZE;
	run->k.buf = malloc(run->k.cap);
	if (run->k.buf == NULL) {
		perror("metrics-bench: malloc");
		return -1;
	}
	run->k.flush = drop_flush;
	run->k.ctx = run;
	return scrape(run);
}

static unsigned long
default_reps(unsigned long n)
{
	unsigned long reps = RENDER_BUDGET / n;

	if (reps < RENDER_REPS_MIN)
		reps = RENDER_REPS_MIN;
	if (reps > RENDER_REPS_MAX)
		reps = RENDER_REPS_MAX;
	return reps;
}

/* Wall-clock and CPU time of each scrape, in microseconds. */
static int
timed_scrapes(struct render_run *run, double *us, double *cpu_us, unsigned long reps,
              uint64_t *allocs)
{
	unsigned long i;

	bench_alloc_start();
	for (i = 0; i < reps; i++) {
		uint64_t t0 = bench_now_ns(), c0 = bench_cpu_ns();

		if (scrape(run) != 0) {
			*allocs = bench_alloc_stop();
			return -1;
		}
		cpu_us[i] = (double)(bench_cpu_ns() - c0) / 1000.0;
		us[i] = (double)(bench_now_ns() - t0) / 1000.0;
	}
	*allocs = bench_alloc_stop();
	return 0;
}

static void
print_results(unsigned long n, int native, double *us, double *cpu_us, unsigned long reps,
              size_t len, uint64_t allocs)
{
	double min = bench_quantile(us, reps, 0.0);
	double median = bench_quantile(us, reps, 0.5);
	double p90 = bench_quantile(us, reps, 0.9);
	double max = bench_quantile(us, reps, 1.0);

	printf("n %lu\n", n);
	printf("reps %lu\n", reps);
	printf("render_median_us %.1f\n", median);
	printf("render_min_us %.1f\n", min);
	printf("render_p90_us %.1f\n", p90);
	printf("render_max_us %.1f\n", max);
	printf("render_cpu_median_us %.1f\n", bench_quantile(cpu_us, reps, 0.5));
	printf("body_bytes %zu\n", len);
	printf("samples %lu\n", bench_samples_native(n, native));
	printf("render_mb_per_s %.0f\n", (double)len / median);
	if (bench_alloc_available())
		printf("allocs_per_render %.3f\n", (double)allocs / (double)reps);
	else
		printf("allocs_per_render -1\n"); /* not countable in this build */
}

/* Render the store at path reps times after a warm-up. */
static int
render_store(const char *path, unsigned long n, int native, unsigned long reps,
             enum expo_format format)
{
	struct render_run run = { .format = format };
	unsigned long i, warmup = reps / WARMUP_DIVISOR;
	uint64_t allocs = 0;
	double *us = calloc(2 * reps, sizeof(*us)); /* wall, then CPU */
	int err = 0, rc = -1;

	if (us == NULL) {
		perror("metrics-bench: calloc");
		return -1;
	}
	run.r = mstore_reader_open(path, &err);
	if (run.r == NULL) {
		fprintf(stderr, "metrics-bench: cannot open %s: %s\n", path, mstore_strerror(err));
		goto out;
	}
	if (first_scrape(&run) != 0)
		goto out;
	for (i = 0; i < (warmup > WARMUP_MIN ? warmup : WARMUP_MIN); i++)
		if (scrape(&run) != 0)
			goto out;
	if (timed_scrapes(&run, us, us + reps, reps, &allocs) != 0)
		goto out;
	print_results(n, native, us, us + reps, reps, run.len, allocs);
	rc = 0;
out:
	mstore_reader_close(run.r);
	free(run.k.buf);
	free(us);
	return rc;
}

int
bench_render_path(const char *path, unsigned long n, unsigned long reps)
{
	return render_store(path, n, 0, reps > 0 ? reps : default_reps(n), EXPO_TEXT);
}

/* The format named s: 0, or -1 (a message unless quiet). */
static int
parse_format(const char *s, enum expo_format *f, int quiet)
{
	if (strcmp(s, "text") == 0)
		*f = EXPO_TEXT;
	else if (strcmp(s, "openmetrics") == 0)
		*f = EXPO_OPENMETRICS;
	else if (strcmp(s, "protobuf") == 0)
		*f = EXPO_PROTOBUF;
	else {
		if (!quiet)
			fprintf(stderr, "metrics-bench: format must be text, openmetrics or "
			                "protobuf\n");
		return -1;
	}
	return 0;
}

int
bench_render(int argc, char **argv)
{
	enum expo_format format = EXPO_TEXT;
	struct bench_workload w;
	char dir[PATH_CAP], path[PATH_CAP];
	unsigned long n, reps;
	int rc = -1, native = 0;

	if (argc > 1 && strcmp(argv[argc - 1], "native") == 0) {
		native = 1;
		argc--;
	}
	if (argc < 1 || argc > 3) {
		fprintf(stderr, "usage: metrics-bench render N [REPS] [text|openmetrics|protobuf] "
		                "[native]\n");
		return EXIT_FAILURE;
	}
	n = bench_parse_count("N", argv[0], BENCH_N_MAX);
	if (n == 0)
		return EXIT_FAILURE;
	if (argc == 2 && parse_format(argv[1], &format, 1) == 0)
		argc = 1; /* N FORMAT: the default REPS */
	reps = argc > 1 ? bench_parse_count("REPS", argv[1], RENDER_REPS_LIMIT) : default_reps(n);
	if (reps == 0 || (argc > 2 && parse_format(argv[2], &format, 0) != 0))
		return EXIT_FAILURE;
	if (bench_tmpdir(dir, path, sizeof(dir)) != 0)
		return EXIT_FAILURE;
	if (bench_workload_create_native(&w, path, n, MSTORE_F_STATIC, native) == 0) {
		rc = bench_workload_fill(&w);
		bench_workload_close(&w);
		if (rc == 0)
			rc = render_store(path, n, native, reps, format);
	}
	bench_tmpdir_remove(dir, path);
	return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
