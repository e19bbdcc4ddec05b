/* SPDX-License-Identifier: MIT */
/*
 * bench.h - shared parts of metrics-bench: the standard workload (issue 7),
 * timing and statistics helpers, the allocation counter and the three
 * commands (populate, render, update).  Every command prints its results as
 * "key value" lines on stdout so that scripts can pick them up; diagnostics
 * go to stderr.  Nothing here asserts timing.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "mstore.h"

/* The standard workload: N counters and N gauges, H = max(1, N / 10)
 * histogram series, each histogram with BENCH_NBOUNDS finite buckets. */
#define BENCH_NBOUNDS      11
#define BENCH_HIST_DIVISOR 10        /* H = N / BENCH_HIST_DIVISOR, at least 1 */
#define BENCH_N_MAX        1000000UL /* keeps 2N + H series under the store's 2^22 cap */

struct bench_workload {
	unsigned long n; /* counter and gauge series */
	unsigned long h; /* histogram series */
	int native;      /* with the native histograms beside the classic ones */
	struct mstore *st;
	struct mstore_family *counters, *gauges, *histograms, *natives;
};

/* The native variant: H native-only histogram series (this bucket factor:
 * schema 3, client_golang's usual; the default 160 buckets) beside the
 * classic ones, observing the same values, as the simulator keeps its
 * latency (a family of each kind). */
#define BENCH_NATIVE_FACTOR 1.1

/* H for a given N. */
unsigned long bench_hist_series(unsigned long n);

/* Samples the text exposition of the workload holds (excluding comments);
 * with native, of its native variant. */
unsigned long bench_samples(unsigned long n);
unsigned long bench_samples_native(unsigned long n, int native);

/*
 * Create a store at path sized for the workload of size n (flags: MSTORE_F_*)
 * and register the three families; no series yet.  Returns 0, or -1 after a
 * message on stderr.  Close with bench_workload_close().
 */
int bench_workload_create(struct bench_workload *w, const char *path, unsigned long n,
                          uint32_t flags);
/* The same with max_writers writers (room for a few per-writer series). */
int bench_workload_create_writers(struct bench_workload *w, const char *path, unsigned long n,
                                  uint32_t flags, uint32_t writers);
/* The same, or with native its native variant (above). */
int bench_workload_create_native(struct bench_workload *w, const char *path, unsigned long n,
                                 uint32_t flags, int native);

/* Create every series and give it its standard value.  0 or -1 (message). */
int bench_workload_fill(struct bench_workload *w);

/* Close the store (the file stays).  Accepts a zeroed workload. */
void bench_workload_close(struct bench_workload *w);

/* Histogram bucket bounds of the workload (BENCH_NBOUNDS entries). */
extern const double bench_bounds[BENCH_NBOUNDS];

/* A private temporary directory for a store: mkdtemp under $TMPDIR (or
 * /tmp).  Fills dir with its path and file with dir + "/store" (both cap
 * bytes) and returns 0, or -1 after a message on stderr. */
int bench_tmpdir(char *dir, char *file, size_t cap);
/* Remove file (if any) and dir; report failures on stderr. */
void bench_tmpdir_remove(const char *dir, const char *file);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);
/* CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID) in nanoseconds:
 * unlike the wall clock it does not count time spent descheduled, so it
 * stays meaningful on a loaded machine. */
uint64_t bench_cpu_ns(void);

/* Sort v[0..n) ascending and return the element at quantile q (0..1),
 * nearest rank.  n must be > 0. */
double bench_quantile(double *v, size_t n, double q);

/* Parse a positive decimal count (1..max) from s; 0 and message on error. */
unsigned long bench_parse_count(const char *what, const char *s, unsigned long max);

/* Allocation counter (bench_alloc.c): malloc/calloc/realloc calls made by
 * any thread while counting is on.  bench_alloc_available() is 0 when the
 * build cannot interpose malloc (sanitizers). */
int bench_alloc_available(void);
void bench_alloc_start(void);
uint64_t bench_alloc_stop(void);

/* Time reps renders (0: the default for n) of the store at path, holding
 * the workload of size n, and print the render figures.  0 or -1. */
int bench_render_path(const char *path, unsigned long n, unsigned long reps);

/* The commands; argv excludes the command name.  Return the exit status. */
int bench_populate(int argc, char **argv);
int bench_render(int argc, char **argv);
int bench_update(int argc, char **argv);
int bench_procs(int argc, char **argv);
int bench_restarts(int argc, char **argv);

#endif /* BENCH_H */
