/* SPDX-License-Identifier: MIT */
/*
 * check_mstore_stress.c - concurrency stress for the store: writer threads
 * hammer a histogram and two counters (or register series) while a forked
 * reader process takes snapshots continuously and checks every invariant
 * the protocol promises.  MSTORE_STRESS_ITERS sets the updates per writer
 * thread (default STRESS_DEFAULT_ITERS, a few seconds); set it to e.g.
 * 50000000 for a long run.  The reader prints what it saw.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mstore_layout.h"
#include "testutil.h"

#define STRESS_DEFAULT_ITERS  3000000UL
#define STRESS_THREADS        2
#define STRESS_TIMEOUT_S      600
#define NBOUNDS               4
#define NVALUES               (NBOUNDS + 1)
#define REG_SERIES_PER_THREAD 500
/* More threads than counter shards, in two waves (the second reuses the
 * shards the first gave back); each does iters / SHARD_ITERS_DIV updates. */
#define SHARD_THREADS   (2 * MSTORE_COUNTER_SHARDS + 2)
#define SHARD_WAVES     2
#define SHARD_ITERS_DIV 4
#define SHARD_ADD       3 /* every other update adds this (integral) */
#define EXIT_VIOLATION  1
#define EXIT_SETUP      2

/* Observed values: one per bucket, the last above every bound (+Inf).
 * All are multiples of 0.5, so every partial sum is exact. */
static const double bounds[NBOUNDS] = { 0.5, 1, 1.5, 2 };
static const double values[NVALUES] = { 0.5, 1, 1.5, 2, 3 };

static struct tu_dir dir;
static char path[TU_PATH_MAX];
static struct mstore *st;
static struct mstore_family *fam_hist, *fam_int, *fam_frac, *fam_done, *fam_reg;
static struct mstore_series *s_hist, *s_int, *s_frac, *s_done;
static unsigned long iters;

struct reader_stats {
	unsigned long snapshots, retries, violations, passes;
};

static unsigned long
env_iters(void)
{
	const char *e = getenv("MSTORE_STRESS_ITERS");
	char *end;
	unsigned long v;

	if (e == NULL || *e == '\0')
		return STRESS_DEFAULT_ITERS;
	errno = 0;
	v = strtoul(e, &end, 10);
	return errno == 0 && *end == '\0' && v > 0 ? v : STRESS_DEFAULT_ITERS;
}

static void
setup(void)
{
	static const char *const ln[] = { "t", "i" };
	struct mstore_options o = { .max_series = 2 * STRESS_THREADS * REG_SERIES_PER_THREAD + 16 };
	int err;

	iters = env_iters();
	ck_assert_int_eq(tu_dir_make(&dir), 0);
	ck_assert_ptr_nonnull(tu_path(&dir, "store", path, sizeof(path)));
	st = mstore_create(path, &o, &err);
	ck_assert_msg(st != NULL, "%s", mstore_strerror(err));
	ck_assert_int_eq(mstore_histogram_family(st, "stress_value", NULL, NULL, 0, NULL, NBOUNDS,
	                                         bounds, &fam_hist),
	                 0);
	ck_assert_int_eq(
	        mstore_counter_family(st, "stress_int_total", NULL, NULL, 0, NULL, &fam_int), 0);
	ck_assert_int_eq(
	        mstore_counter_family(st, "stress_frac_total", NULL, NULL, 0, NULL, &fam_frac), 0);
	ck_assert_int_eq(mstore_gauge_family(st, "stress_done", NULL, NULL, 0, NULL, &fam_done), 0);
	ck_assert_int_eq(mstore_counter_family(st, "stress_reg_total", NULL, NULL, 2, ln, &fam_reg),
	                 0);
	ck_assert_int_eq(mstore_series_get(fam_hist, NULL, &s_hist), 0);
	ck_assert_int_eq(mstore_series_get(fam_int, NULL, &s_int), 0);
	ck_assert_int_eq(mstore_series_get(fam_frac, NULL, &s_frac), 0);
	ck_assert_int_eq(mstore_series_get(fam_done, NULL, &s_done), 0);
}

static void
teardown(void)
{
	mstore_close(st);
	st = NULL;
	tu_dir_remove(&dir);
}

/* ----------------------------------------------------------- the reader */

struct reader_ctx {
	struct mstore_reader *r;
	struct mstore_family_view hist, cint, cfrac, done, reg;
	struct mstore_series_view shist, sint, sfrac, sdone;
	struct mstore_snapshot last;
	double last_int, last_frac;
	struct reader_stats stats;
};

static int
view_of(struct reader_ctx *c, uint32_t i, struct mstore_family_view *f,
        struct mstore_series_view *s)
{
	return mstore_reader_family(c->r, i, f) == 0 && mstore_reader_series_first(c->r, f, s) == 1
	               ? 0
	               : -1;
}

static int
reader_setup(struct reader_ctx *c)
{
	int err;

	memset(c, 0, sizeof(*c));
	c->r = mstore_reader_open(path, &err);
	if (c->r == NULL || view_of(c, 0, &c->hist, &c->shist) != 0 ||
	    view_of(c, 1, &c->cint, &c->sint) != 0 || view_of(c, 2, &c->cfrac, &c->sfrac) != 0 ||
	    view_of(c, 3, &c->done, &c->sdone) != 0 || mstore_reader_family(c->r, 4, &c->reg) != 0)
		return -1;
	return 0;
}

/* Buckets cumulative, +Inf == count, sum == what the buckets imply,
 * nothing smaller than in the previous snapshot. */
static int
hist_consistent(const struct mstore_snapshot *s, const struct mstore_snapshot *prev)
{
	double sum = 0;
	uint64_t below = 0;
	int i;

	for (i = 0; i < NVALUES; i++) {
		if (s->bucket[i] < below || s->bucket[i] < prev->bucket[i])
			return 0;
		sum += values[i] * (double)(s->bucket[i] - below);
		below = s->bucket[i];
	}
	return s->bucket[NBOUNDS] == s->count && sum == s->sum && s->count >= prev->count;
}

static void
check_counter(struct reader_ctx *c, const struct mstore_family_view *f,
              const struct mstore_series_view *s, double *last)
{
	struct mstore_snapshot snap;

	if (mstore_reader_snapshot(c->r, f, s, &snap) != 0 || snap.value < *last)
		c->stats.violations++;
	*last = snap.value;
}

static void
reader_pass(struct reader_ctx *c)
{
	struct mstore_snapshot snap;
	int rc = mstore_reader_snapshot(c->r, &c->hist, &c->shist, &snap);

	if (rc == MSTORE_E_RETRY) {
		c->stats.retries++;
	} else if (rc != 0 || !hist_consistent(&snap, &c->last)) {
		c->stats.violations++;
	} else {
		c->stats.snapshots++;
		c->last = snap;
	}
	check_counter(c, &c->cint, &c->sint, &c->last_int);
	check_counter(c, &c->cfrac, &c->sfrac, &c->last_frac);
	c->stats.passes++;
}

/* Walk the registration family after a refresh: every visible series must
 * be complete (the reader validates it) and the chain must end cleanly. */
static void
reader_walk_reg(struct reader_ctx *c)
{
	struct mstore_series_view s;
	int rc;

	if (mstore_reader_refresh(c->r) != 0 || mstore_reader_family(c->r, 4, &c->reg) != 0) {
		c->stats.violations++;
		return;
	}
	for (rc = mstore_reader_series_first(c->r, &c->reg, &s); rc == 1;
	     rc = mstore_reader_series_next(c->r, &c->reg, &s))
		if (s.label_value_len[0] == 0 || s.label_value_len[1] == 0)
			c->stats.violations++;
	if (rc != 0)
		c->stats.violations++;
}

static int
reader_done(struct reader_ctx *c)
{
	struct mstore_snapshot snap;

	return mstore_reader_snapshot(c->r, &c->done, &c->sdone, &snap) == 0 && snap.value != 0;
}

/* Child process: read until the writer sets stress_done; exit status says
 * whether any invariant broke. */
static void
reader_main(int walk_registrations)
{
	struct reader_ctx c;
	int done = 0;

	if (reader_setup(&c) != 0)
		_exit(EXIT_SETUP);
	while (!done) {
		done = reader_done(&c); /* one more full pass after done */
		reader_pass(&c);
		if (walk_registrations)
			reader_walk_reg(&c);
	}
	printf("stress reader: %lu passes, %lu consistent histogram snapshots, %lu retries "
	       "exhausted, "
	       "%lu violations\n",
	       c.stats.passes, c.stats.snapshots, c.stats.retries, c.stats.violations);
	(void)fflush(stdout);
	mstore_reader_close(c.r);
	_exit(c.stats.violations == 0 && c.stats.snapshots > 0 ? 0 : EXIT_VIOLATION);
}

/* ---------------------------------------------------------- the writers */

static void *
writer_thread(void *arg)
{
	unsigned long i;
	int bad = 0;

	(void)arg;
	for (i = 0; i < iters; i++) {
		bad |= mstore_histogram_observe(s_hist, values[i % NVALUES]);
		bad |= mstore_counter_inc(s_int);
		bad |= mstore_counter_add(s_frac, 0.5);
	}
	return bad != 0 ? (void *)s_hist : NULL;
}

static void *
register_thread(void *arg)
{
	char t[16], n[16];
	const char *v[] = { t, n };
	struct mstore_series *s;
	int i, bad = 0;

	snprintf(t, sizeof(t), "%d", (int)(intptr_t)arg);
	for (i = 0; i < REG_SERIES_PER_THREAD; i++) {
		snprintf(n, sizeof(n), "%d", i);
		bad |= mstore_series_get(fam_reg, v, &s);
		bad |= mstore_counter_inc(s);
		bad |= mstore_histogram_observe(s_hist, values[i % NVALUES]);
	}
	return bad != 0 ? (void *)s_hist : NULL;
}

/* Increments of s_int by one of the SHARD_THREADS threads: inc and
 * integral adds alternately (both take the thread's shard, if any). */
static void *
shard_thread(void *arg)
{
	unsigned long i, n = iters / SHARD_ITERS_DIV;
	int bad = 0;

	(void)arg;
	for (i = 0; i < n; i++)
		bad |= (i & 1) ? mstore_counter_add(s_int, SHARD_ADD) : mstore_counter_inc(s_int);
	return bad != 0 ? (void *)s_hist : NULL;
}

static pid_t
start_reader(int walk_registrations)
{
	pid_t pid;

	(void)fflush(stdout);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		reader_main(walk_registrations);
	return pid;
}

static void
finish(pid_t pid)
{
	int status;

	ck_assert_int_eq(mstore_gauge_set(s_done, 1), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "reader failed: status %d",
	              status);
}

static void
run_threads(void *(*fn)(void *))
{
	pthread_t t[STRESS_THREADS];
	void *ret;
	intptr_t i;

	for (i = 0; i < STRESS_THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, fn, (void *)i), 0);
	for (i = 0; i < STRESS_THREADS; i++) {
		ck_assert_int_eq(pthread_join(t[i], &ret), 0);
		ck_assert_ptr_null(ret);
	}
}

static void
run_many(void *(*fn)(void *), int n)
{
	pthread_t t[SHARD_THREADS];
	void *ret;
	int i;

	ck_assert_int_le(n, SHARD_THREADS);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, fn, NULL), 0);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(pthread_join(t[i], &ret), 0);
		ck_assert_ptr_null(ret);
	}
}

/* Exact final totals, read back through a fresh reader: each of the
 * STRESS_THREADS threads made per_thread observations cycling through
 * values[], plus ints integral and fracs fractional counter increments. */
static void
check_totals(unsigned long per_thread, double ints, double fracs)
{
	struct mstore_reader *r;
	struct mstore_family_view f;
	struct mstore_series_view s;
	struct mstore_snapshot snap;
	uint64_t cum = 0;
	double sum = 0;
	int err, i;

	r = mstore_reader_open(path, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(mstore_reader_family(r, 0, &f), 0);
	ck_assert_int_eq(mstore_reader_series_first(r, &f, &s), 1);
	ck_assert_int_eq(mstore_reader_snapshot(r, &f, &s, &snap), 0);
	for (i = 0; i < NVALUES; i++) {
		uint64_t k = (uint64_t)STRESS_THREADS *
		             (per_thread / NVALUES + ((unsigned long)i < per_thread % NVALUES));

		cum += k;
		sum += values[i] * (double)k;
		ck_assert_uint_eq(snap.bucket[i], cum);
	}
	ck_assert_uint_eq(snap.count, (uint64_t)STRESS_THREADS * per_thread);
	ck_assert_double_eq(snap.sum, sum);
	ck_assert_int_eq(mstore_reader_family(r, 1, &f), 0);
	ck_assert_int_eq(mstore_reader_series_first(r, &f, &s), 1);
	ck_assert_int_eq(mstore_reader_snapshot(r, &f, &s, &snap), 0);
	ck_assert_double_eq(snap.value, ints);
	ck_assert_int_eq(mstore_reader_family(r, 2, &f), 0);
	ck_assert_int_eq(mstore_reader_series_first(r, &f, &s), 1);
	ck_assert_int_eq(mstore_reader_snapshot(r, &f, &s, &snap), 0);
	ck_assert_double_eq(snap.value, fracs);
	mstore_reader_close(r);
}

START_TEST(test_updates_vs_reader)
{
	pid_t pid = start_reader(0);
	unsigned long n = iters * STRESS_THREADS;

	run_threads(writer_thread);
	finish(pid);
	check_totals(iters, (double)n, 0.5 * (double)n);
}
END_TEST

/* Many threads (more than MSTORE_COUNTER_SHARDS; some own a shard, the
 * rest use the shared slot) on one counter: the forked reader never sees
 * it decrease, and the final total is exact. */
START_TEST(test_shards_vs_reader)
{
	pid_t pid = start_reader(0);
	unsigned long n = iters / SHARD_ITERS_DIV;
	unsigned long per_thread = (n + 1) / 2 + (n / 2) * SHARD_ADD; /* even i: inc, odd i: add */
	int w;

	for (w = 0; w < SHARD_WAVES; w++)
		run_many(shard_thread, SHARD_THREADS);
	finish(pid);
	check_totals(0, (double)per_thread * SHARD_THREADS * SHARD_WAVES, 0);
}
END_TEST

START_TEST(test_registration_vs_reader)
{
	pid_t pid = start_reader(1);
	run_threads(register_thread);
	finish(pid);
	check_totals(REG_SERIES_PER_THREAD, 0, 0);
}
END_TEST

static Suite *
mstore_stress_suite(void)
{
	Suite *s = suite_create("mstore_stress");
	TCase *core = tcase_create("core");

	tcase_add_checked_fixture(core, setup, teardown);
	tcase_set_timeout(core, STRESS_TIMEOUT_S);
	tcase_add_test(core, test_updates_vs_reader);
	tcase_add_test(core, test_registration_vs_reader);
	tcase_add_test(core, test_shards_vs_reader);
	suite_add_tcase(s, core);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(mstore_stress_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
