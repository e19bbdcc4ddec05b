/* SPDX-License-Identifier: MIT */
/*
 * bench_util.c - small helpers of metrics-bench: the monotonic clock,
 * quantiles of a sample of timings, argument parsing and a private
 * temporary directory for stores.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define TMPDIR_TEMPLATE "metrics-bench.XXXXXX"
#define STORE_NAME      "/store"

uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid clock id and pointer. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * MSTORE_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t
bench_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * MSTORE_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double
bench_quantile(double *v, size_t n, double q)
{
	size_t rank;

	qsort(v, n, sizeof(*v), cmp_double);
	/* nearest rank: the smallest value with at least q * n values <= it */
	rank = (size_t)(q * (double)n + 0.5);
	if (rank > 0)
		rank--;
	if (rank >= n)
		rank = n - 1;
	return v[rank];
}

unsigned long
bench_parse_count(const char *what, const char *s, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v == 0 || v > max) {
		fprintf(stderr, "metrics-bench: %s must be a number in 1..%lu, not '%s'\n", what,
		        max, s);
		return 0;
	}
	return v;
}

int
bench_tmpdir(char *dir, char *file, size_t cap)
{
	const char *base = getenv("TMPDIR");
	int len;

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	len = snprintf(dir, cap, "%s/%s", base, TMPDIR_TEMPLATE);
	if (len < 0 || (size_t)len + sizeof(STORE_NAME) > cap) {
		fprintf(stderr, "metrics-bench: TMPDIR too long\n");
		return -1;
	}
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "metrics-bench: cannot create a directory in %s: %s\n", base,
		        strerror(errno));
		return -1;
	}
	/* fits: checked against the template's length above */
	memcpy(file, dir, (size_t)len);
	memcpy(file + len, STORE_NAME, sizeof(STORE_NAME));
	return 0;
}

void
bench_tmpdir_remove(const char *dir, const char *file)
{
	if (file != NULL && unlink(file) != 0 && errno != ENOENT)
		fprintf(stderr, "metrics-bench: cannot remove %s: %s\n", file, strerror(errno));
	if (rmdir(dir) != 0)
		fprintf(stderr, "metrics-bench: cannot remove %s: %s\n", dir, strerror(errno));
}
