/* SPDX-License-Identifier: MIT */
/*
 * bench_update.c - "metrics-bench update [ITERS [RUNS]]": the cost of the
 * writer's update paths on an existing labelled series (counter inc, gauge
 * set, histogram observe with values cycling over every bucket, and the
 * same values into a native histogram: schema 3, the default 160 buckets,
 * no classic buckets, as client_golang makes one; counter inc and observe
 * of a family with exemplars, each with an exemplar of a trace and span id
 * timed now), from one thread and from two threads hammering the same
 * series.  Afterwards the two-thread series are read back through the
 * reader to check that no update was lost and that the histograms are
 * consistent.
 */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define UPDATE_ITERS_DEFAULT 4000000UL
#define UPDATE_ITERS_MAX     1000000000UL
#define UPDATE_RUNS_DEFAULT  5UL
#define UPDATE_RUNS_MAX      101UL
#define THREADS              2
#define SUM_REL_TOLERANCE    1e-9 /* the two threads add in different orders */
#define PATH_CAP             4096

/* Observed / set values, cycled with i & VALUE_MASK: every bucket of
 * bench_bounds (and +Inf) is hit, none on a bound. */
#define NVALUES    16u
#define VALUE_MASK (NVALUES - 1u)
static const double values[NVALUES] = {
	0.001, 0.007, 0.02, 0.03, 0.07, 0.2, 0.3, 0.7, 2.0, 3.0, 7.0, 20.0, 0.004, 0.04, 0.4, 4.0,
};

enum op { OP_COUNTER, OP_GAUGE, OP_HIST, OP_NATIVE, OP_COUNTER_EX, OP_HIST_EX, OP_COUNT };
/* The native histogram's bucket factor: schema 3 (client_golang's usual 1.1). */
#define NATIVE_FACTOR 1.1
enum mode { MODE_1T, MODE_2T, MODE_COUNT };

static const char *const op_key[OP_COUNT] = {
	"counter_inc",          "gauge_set",
	"hist_observe",         "native_observe",
	"counter_inc_exemplar", "hist_observe_exemplar",
};

/* The exemplar of the _exemplar ops: a W3C trace and span id, now. */
static const char *const ex_names[] = { "trace_id", "span_id" };
static const char *const ex_values[] = { "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7" };
static const struct mstore_exemplar exemplar = { 2, ex_names, ex_values, 0 };
static const char *const mode_suffix[MODE_COUNT] = { "", "_2t" };
static const char *const mode_label[MODE_COUNT] = { "1t", "2t" };

struct update_bench {
	struct mstore *st;
	struct mstore_family *fam[OP_COUNT];
	struct mstore_series *series[OP_COUNT][MODE_COUNT];
	unsigned long iters, runs;
	uint64_t allocs; /* heap allocations in the one-thread loops */
	pthread_barrier_t start;
};

struct worker {
	struct update_bench *b;
	enum op op;
	struct mstore_series *s;
	uint64_t elapsed_ns;   /* CPU time of the loop */
	uint64_t wall0, wall1; /* wall-clock start and end of the loop */
	int count_allocs;      /* the only thread: count its allocations */
	uint64_t allocs;
	int failed;
};

/* The timed loop.  Errors are or-ed together rather than branched on, so
 * the loop measures the call and the check costs one instruction. */
static void
update_loop(struct worker *wk)
{
	unsigned long i, n = wk->b->iters;
	struct mstore_series *s = wk->s;
	uint64_t t0;
	int bad = 0;

	if (wk->count_allocs)
		bench_alloc_start();
	t0 = bench_cpu_ns();
	wk->wall0 = bench_now_ns();
	switch (wk->op) {
	case OP_COUNTER:
		for (i = 0; i < n; i++)
			bad |= mstore_counter_inc(s);
		break;
	case OP_GAUGE:
		for (i = 0; i < n; i++)
			bad |= mstore_gauge_set(s, values[i & VALUE_MASK]);
		break;
	case OP_COUNTER_EX:
		for (i = 0; i < n; i++)
			bad |= mstore_counter_inc_exemplar(s, &exemplar);
		break;
	case OP_HIST_EX:
		for (i = 0; i < n; i++)
			bad |= mstore_histogram_observe_exemplar(s, values[i & VALUE_MASK],
			                                         &exemplar);
		break;
	default:
		for (i = 0; i < n; i++)
			bad |= mstore_histogram_observe(s, values[i & VALUE_MASK]);
		break;
	}
	wk->elapsed_ns = bench_cpu_ns() - t0;
	wk->wall1 = bench_now_ns();
	if (wk->count_allocs)
		wk->allocs = bench_alloc_stop();
	wk->failed = bad != 0;
}

static void *
worker_main(void *arg)
{
	struct worker *wk = arg;
	int rc = pthread_barrier_wait(&wk->b->start);

	if (rc != 0 && rc != PTHREAD_BARRIER_SERIAL_THREAD) {
		wk->failed = 1;
		return NULL;
	}
	update_loop(wk);
	return NULL;
}

/* How many CPUs the two threads kept busy on average: their CPU time over
 * the wall-clock span of the run.  Near 2 means the two-thread figure
 * measured real contention; near 1, that a busy machine made the threads
 * take turns on one CPU, which hides the contention. */
static double
concurrency(const struct worker *a, const struct worker *b)
{
	uint64_t start = a->wall0 < b->wall0 ? a->wall0 : b->wall0;
	uint64_t end = a->wall1 > b->wall1 ? a->wall1 : b->wall1;

	if (end <= start)
		return 0;
	return (double)(a->elapsed_ns + b->elapsed_ns) / (double)(end - start);
}

/* CPU ns per operation as each thread sees it (the slower thread counts);
 * CPU time, so that other load on the machine does not inflate it. */
static int
run_threads(struct update_bench *b, enum op op, int nthreads, double *ns, double *cc)
{
	struct worker wk[THREADS];
	pthread_t tid[THREADS];
	uint64_t worst = 0;
	int i, started = 0, failed = 0;

	if (pthread_barrier_init(&b->start, NULL, (unsigned)nthreads) != 0)
		return -1;
	for (i = 0; i < nthreads; i++) {
		wk[i] = (struct worker){ .b = b,
			                 .op = op,
			                 .s = b->series[op][nthreads > 1 ? MODE_2T : MODE_1T],
			                 .count_allocs = nthreads == 1 };
		if (pthread_create(&tid[i], NULL, worker_main, &wk[i]) != 0)
			break;
		started++;
	}
	if (started < nthreads) {
		fprintf(stderr, "metrics-bench: cannot start threads\n");
		/* the started threads wait at the barrier forever: give up */
		exit(EXIT_FAILURE);
	}
	for (i = 0; i < nthreads; i++) {
		if (pthread_join(tid[i], NULL) != 0 || wk[i].failed)
			failed = 1;
		if (wk[i].elapsed_ns > worst)
			worst = wk[i].elapsed_ns;
		b->allocs += wk[i].allocs;
	}
	if (pthread_barrier_destroy(&b->start) != 0 || failed) {
		fprintf(stderr, "metrics-bench: %s failed\n", op_key[op]);
		return -1;
	}
	*ns = (double)worst / (double)b->iters;
	*cc = nthreads == THREADS ? concurrency(&wk[0], &wk[1]) : 1;
	return 0;
}

static int
register_all(struct update_bench *b)
{
	static const char *const names[] = { "mode" };
	struct mstore_family_spec spec = { .size = sizeof(spec),
		                           .type = MSTORE_COUNTER,
		                           .name = "bench_traced_total",
		                           .help = "Benchmark counter with exemplars.",
		                           .nlabels = 1,
		                           .label_names = names,
		                           .exemplars = 1 };
	int rc, op, m;

	rc = mstore_counter_family(b->st, "bench_ops_total", "Benchmark counter.", NULL, 1, names,
	                           &b->fam[OP_COUNTER]);
	if (rc == 0)
		rc = mstore_gauge_family(b->st, "bench_value", "Benchmark gauge.", NULL, 1, names,
		                         &b->fam[OP_GAUGE]);
	if (rc == 0)
		rc = mstore_histogram_family(b->st, "bench_duration_seconds",
		                             "Benchmark histogram.", NULL, 1, names, BENCH_NBOUNDS,
		                             bench_bounds, &b->fam[OP_HIST]);
	if (rc == 0) {
		struct mstore_family_spec nspec = { .size = sizeof(nspec),
			                            .type = MSTORE_HISTOGRAM,
			                            .name = "bench_latency_seconds",
			                            .help = "Benchmark native histogram.",
			                            .nlabels = 1,
			                            .label_names = names,
			                            .native_factor = NATIVE_FACTOR };

		rc = mstore_family_register(b->st, &nspec, &b->fam[OP_NATIVE]);
	}
	if (rc == 0)
		rc = mstore_family_register(b->st, &spec, &b->fam[OP_COUNTER_EX]);
	spec.type = MSTORE_HISTOGRAM;
	spec.name = "bench_traced_seconds";
	spec.help = "Benchmark histogram with exemplars.";
	spec.nbounds = BENCH_NBOUNDS;
	spec.bounds = bench_bounds;
	if (rc == 0)
		rc = mstore_family_register(b->st, &spec, &b->fam[OP_HIST_EX]);
	for (op = 0; rc == 0 && op < OP_COUNT; op++)
		for (m = 0; rc == 0 && m < MODE_COUNT; m++)
			rc = mstore_series_get(b->fam[op], &mode_label[m], &b->series[op][m]);
	if (rc != 0)
		fprintf(stderr, "metrics-bench: cannot register: %s\n", mstore_strerror(rc));
	return rc;
}

static void
print_op(const char *key, const char *suffix, double *ns, double *cc, unsigned long runs)
{
	printf("%s%s_ns %.2f\n", key, suffix, bench_quantile(ns, runs, 0.5));
	printf("%s%s_min_ns %.2f\n", key, suffix, bench_quantile(ns, runs, 0.0));
	printf("%s%s_max_ns %.2f\n", key, suffix, bench_quantile(ns, runs, 1.0));
	if (*suffix != '\0')
		printf("%s%s_cpus %.2f\n", key, suffix, bench_quantile(cc, runs, 0.5));
}

/* Slot of (op, mode, run) in the result arrays. */
static size_t
slot(const struct update_bench *b, int op, int m, unsigned long r)
{
	return ((size_t)op * MODE_COUNT + (size_t)m) * b->runs + r;
}

static int
measure_all(struct update_bench *b)
{
	size_t n = b->runs * OP_COUNT * MODE_COUNT;
	double *ns = calloc(2 * n, sizeof(*ns)), *cc = ns + n; /* ns/op, CPUs */
	unsigned long r;
	int op, m, rc = 0;

	if (ns == NULL) {
		perror("metrics-bench: calloc");
		return -1;
	}
	/* interleave the runs so a noisy moment spreads over every figure */
	for (r = 0; rc == 0 && r < b->runs; r++)
		for (op = 0; rc == 0 && op < OP_COUNT; op++)
			for (m = 0; rc == 0 && m < MODE_COUNT; m++)
				rc = run_threads(b, op, m == MODE_2T ? THREADS : 1,
				                 &ns[slot(b, op, m, r)], &cc[slot(b, op, m, r)]);
	for (op = 0; rc == 0 && op < OP_COUNT; op++)
		for (m = 0; m < MODE_COUNT; m++)
			print_op(op_key[op], mode_suffix[m], &ns[slot(b, op, m, 0)],
			         &cc[slot(b, op, m, 0)], b->runs);
	/* every update path, exemplars too, allocates nothing; -1: not
	 * countable in this build */
	if (rc == 0)
		printf("update_allocs %lld\n",
		       bench_alloc_available() ? (long long)b->allocs : -1LL);
	free(ns);
	return rc;
}

/* ------------------------------------------------------------ checks */

static int
find_series(const struct mstore_reader *r, const char *family, const char *label,
            struct mstore_family_view *f, struct mstore_series_view *s)
{
	uint32_t i, n = mstore_reader_family_count(r);
	size_t flen = strlen(family), llen = strlen(label);
	int rc;

	for (i = 0; i < n; i++) {
		if (mstore_reader_family(r, i, f) != 0)
			return -1;
		if (f->name_len == flen && memcmp(f->name, family, flen) == 0)
			break;
	}
	if (i == n)
		return -1;
	for (rc = mstore_reader_series_first(r, f, s); rc == 1;
	     rc = mstore_reader_series_next(r, f, s))
		if (s->label_value_len[0] == llen && memcmp(s->label_value[0], label, llen) == 0)
			return 0;
	return -1;
}

/* Observations of each value index by one thread over all runs. */
static uint64_t
per_value(const struct update_bench *b, unsigned v)
{
	unsigned long it = b->iters;

	return (uint64_t)b->runs * (it / NVALUES + (v < it % NVALUES ? 1 : 0));
}

static int
hist_matches(const struct update_bench *b, const struct mstore_snapshot *snap)
{
	uint64_t want[BENCH_NBOUNDS + 1] = { 0 }, total = 0;
	double sum = 0;
	unsigned v, k;

	for (v = 0; v < NVALUES; v++) {
		uint64_t c = THREADS * per_value(b, v);

		for (k = 0; k < BENCH_NBOUNDS && values[v] > bench_bounds[k]; k++)
			;
		for (; k <= BENCH_NBOUNDS; k++)
			want[k] += c; /* cumulative */
		total += c;
		sum += (double)c * values[v];
	}
	if (snap->count != total || fabs(snap->sum - sum) > SUM_REL_TOLERANCE * sum)
		return 0;
	for (k = 0; k <= BENCH_NBOUNDS; k++)
		if (snap->bucket[k] != want[k])
			return 0;
	return 1;
}

/* Its native buckets, when nat is not NULL. */
static int
snapshot_of(const struct mstore_reader *r, const char *family, struct mstore_snapshot *snap,
            struct mstore_native_snapshot *nat)
{
	struct mstore_family_view f;
	struct mstore_series_view s;

	if (find_series(r, family, mode_label[MODE_2T], &f, &s) != 0)
		return -1;
	if (nat != NULL)
		return mstore_reader_native(r, &f, &s, snap, nat) == 0 ? 0 : -1;
	return mstore_reader_snapshot(r, &f, &s, snap) == 0 ? 0 : -1;
}

/* The native histogram: as many observations as the classic one, all in
 * its buckets (the values are positive and above the zero threshold), and
 * the same sum but for rounding: two threads add the same values to each
 * in different orders, and floating-point addition is not associative. */
static int
native_matches(const struct mstore_snapshot *classic, const struct mstore_snapshot *snap,
               const struct mstore_native_snapshot *nat)
{
	uint64_t total = nat->zero_count;
	uint32_t j;
	int s;

	for (s = 0; s < 2; s++) /* the buckets that may be non-zero (mstore.h) */
		for (j = nat->first[s]; j < nat->end[s]; j++)
			total += nat->bucket[s][j];
	return snap->count == classic->count && total == snap->count &&
	       fabs(snap->sum - classic->sum) <= SUM_REL_TOLERANCE * fabs(classic->sum);
}

static int
check_consistency(const struct update_bench *b, const char *path)
{
	static struct mstore_native_snapshot nat;
	struct mstore_snapshot snap, nsnap;
	struct mstore_reader *r;
	int err = 0, hist_ok = 0, counter_ok = 0, native_ok = 0;
	double want = (double)(THREADS * b->iters * b->runs);

	r = mstore_reader_open(path, &err);
	if (r == NULL) {
		fprintf(stderr, "metrics-bench: cannot open %s: %s\n", path, mstore_strerror(err));
		return -1;
	}
	if (snapshot_of(r, "bench_duration_seconds", &snap, NULL) == 0)
		hist_ok = hist_matches(b, &snap);
	if (hist_ok && snapshot_of(r, "bench_latency_seconds", &nsnap, &nat) == 0)
		native_ok = native_matches(&snap, &nsnap, &nat);
	if (snapshot_of(r, "bench_ops_total", &snap, NULL) == 0)
		counter_ok = snap.value == want;
	mstore_reader_close(r);
	printf("hist_2t_consistent %d\n", hist_ok);
	printf("native_2t_consistent %d\n", native_ok);
	printf("counter_2t_consistent %d\n", counter_ok);
	return hist_ok && native_ok && counter_ok ? 0 : -1;
}

static int
update_in(const char *path, struct update_bench *b)
{
	int err = 0, rc;

	b->st = mstore_create(path, NULL, &err);
	if (b->st == NULL) {
		fprintf(stderr, "metrics-bench: cannot create %s: %s\n", path,
		        mstore_strerror(err));
		return -1;
	}
	rc = register_all(b);
	if (rc == 0) {
		printf("iters %lu\nruns %lu\n", b->iters, b->runs);
		rc = measure_all(b);
	}
	if (rc == 0)
		rc = check_consistency(b, path);
	mstore_close(b->st);
	return rc;
}

int
bench_update(int argc, char **argv)
{
	struct update_bench b = { .iters = UPDATE_ITERS_DEFAULT, .runs = UPDATE_RUNS_DEFAULT };
	char dir[PATH_CAP], path[PATH_CAP];
	int rc;

	if (argc > 2) {
		fprintf(stderr, "usage: metrics-bench update [ITERS [RUNS]]\n");
		return EXIT_FAILURE;
	}
	if (argc > 0)
		b.iters = bench_parse_count("ITERS", argv[0], UPDATE_ITERS_MAX);
	if (argc > 1)
		b.runs = bench_parse_count("RUNS", argv[1], UPDATE_RUNS_MAX);
	if (b.iters == 0 || b.runs == 0)
		return EXIT_FAILURE;
	if (bench_tmpdir(dir, path, sizeof(dir)) != 0)
		return EXIT_FAILURE;
	rc = update_in(path, &b);
	bench_tmpdir_remove(dir, path);
	return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
