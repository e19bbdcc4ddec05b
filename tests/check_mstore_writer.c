/* SPDX-License-Identifier: MIT */
/*
 * check_mstore_writer.c - Check suite for the writer side of the store:
 * creation, registration, series lookup and updates, read back through the
 * reader (also across processes), every documented writer error, and the
 * capacity limits.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mstore_layout.h"
#include "mstore_proc.h"
#include "testutil.h"

#define NTHREADS     4
#define MANY_SERIES  1000
#define LONG_BUF     (MSTORE_HELP_MAX + 16)
#define FORK_INCS    2000000L /* per process in test_counter_fork */
#define RECYCLE_INCS 1000     /* per thread in test_counter_shard_recycled */

static struct tu_dir dir;
static char store_path[TU_PATH_MAX];
static struct mstore *st;

static void
setup(void)
{
	int err;

	ck_assert_int_eq(tu_dir_make(&dir), 0);
	ck_assert_ptr_nonnull(tu_path(&dir, "store", store_path, sizeof(store_path)));
	st = mstore_create(store_path, NULL, &err);
	ck_assert_msg(st != NULL, "create: %s", mstore_strerror(err));
}

static void
teardown(void)
{
	mstore_close(st);
	st = NULL;
	tu_dir_remove(&dir);
}

/* Snapshot of the k-th series (0-based, registration order) of family f. */
static void
nth_series(struct mstore_reader *r, const struct mstore_family_view *f, int k,
           struct mstore_series_view *s, struct mstore_snapshot *snap)
{
	int rc, i = 0;

	for (rc = mstore_reader_series_first(r, f, s); rc == 1;
	     rc = mstore_reader_series_next(r, f, s), i++)
		if (i == k) {
			ck_assert_int_eq(mstore_reader_snapshot(r, f, s, snap), 0);
			return;
		}
	ck_abort_msg("series %d not found (rc %d)", k, rc);
}

static int
label_is(const struct mstore_series_view *s, int i, const char *v)
{
	return s->label_value_len[i] == strlen(v) && memcmp(s->label_value[i], v, strlen(v)) == 0;
}

/* ----------------------------------------------------------------- core */

START_TEST(test_create_file)
{
	struct mstore_options o = { .mode = 0640,
		                    .tick_interval_ms = 250,
		                    .flags = MSTORE_F_STATIC };
	char p[TU_PATH_MAX], lp[TU_PATH_MAX];
	struct mstore *s2;
	struct mstore_reader *r;
	struct mstore_info info;
	struct stat sb, lsb;
	int err;

	ck_assert_ptr_nonnull(tu_path(&dir, "other", p, sizeof(p)));
	s2 = mstore_create(p, &o, &err);
	ck_assert_ptr_nonnull(s2);
	ck_assert_int_eq(err, 0);
	ck_assert_int_eq(stat(p, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0640);
	/* Its lock file: only writers may open it (the store's write bits). */
	ck_assert_ptr_nonnull(tu_path(&dir, "other.lock", lp, sizeof(lp)));
	ck_assert_int_eq(stat(lp, &lsb), 0);
	ck_assert_int_eq(lsb.st_mode & 07777, 0600);
	/* no temp file left: the stores and their lock files */
	ck_assert_int_eq(tu_dir_count(&dir), 4);
	r = mstore_reader_open(p, &err);
	ck_assert_msg(r != NULL, "%s", mstore_strerror(err));
	ck_assert_int_eq(mstore_reader_info(r, &info), 0);
	ck_assert_uint_eq(info.version, MSTORE_VERSION_MAJOR);
	ck_assert_uint_eq(info.flags, MSTORE_F_STATIC);
	ck_assert_int_eq(info.writer_pid, getpid());
	ck_assert_int_eq(info.tick_interval_ns, 250 * INT64_C(1000000));
	ck_assert_uint_eq(info.max_families, 256);
	ck_assert_uint_eq(info.max_series, 4096);
	ck_assert_uint_eq(info.value_slots, 8 * 4096);
	ck_assert_uint_eq(info.string_bytes, 256 * 1024);
	ck_assert_uint_eq(info.file_size, (uint64_t)sb.st_size);
	ck_assert_int_gt(info.start_time_ns, 0);
	ck_assert_uint_eq(info.families, 0);
	mstore_reader_close(r);
	mstore_close(s2);
}
END_TEST

/* Child process: write every kind of value, then exit. */
static int
child_write(const char *path)
{
	static const char *const ln[] = { "method", "path" };
	static const char *const v1[] = { "GET", "/caf\xc3\xa9" };
	static const char *const v2[] = { "POST", "" };
	static const double bounds[] = { 0.1, 1, 10 };
	static const double obs[] = { 0.05, 0.1, 0.5, 5, 100, NAN };
	struct mstore_family *c, *g, *h, *h2;
	struct mstore_series *c1, *c2, *gs[4], *hs, *hs2;
	const char *gv[4][1] = { { "nan" }, { "pinf" }, { "ninf" }, { "num" } };
	static const char *const gl[] = { "kind" };
	int err, i, bad = 0;
	struct mstore *w = mstore_create(path, NULL, &err);

	if (w == NULL)
		return 2;
	bad |= mstore_counter_family(w, "rt_requests_total",
	                             "Requests.\nSecond line \\ \xe6\x97\xa5", NULL, 2, ln, &c);
	bad |= mstore_series_get(c, v1, &c1) | mstore_series_get(c, v2, &c2);
	bad |= mstore_counter_inc(c1) | mstore_counter_inc(c1) | mstore_counter_add(c1, 1e6);
	bad |= mstore_counter_add(c2, 0.25) | mstore_counter_add(c2, 0.25) |
	       mstore_counter_inc(c2) | mstore_counter_add(c2, 0.5);
	bad |= mstore_gauge_family(w, "rt_level", NULL, NULL, 1, gl, &g);
	for (i = 0; i < 4; i++)
		bad |= mstore_series_get(g, gv[i], &gs[i]);
	bad |= mstore_gauge_set(gs[0], NAN) | mstore_gauge_set(gs[1], INFINITY) |
	       mstore_gauge_set(gs[2], -INFINITY);
	bad |= mstore_gauge_set(gs[3], 10) | mstore_gauge_add(gs[3], 2.5) |
	       mstore_gauge_sub(gs[3], 20);
	bad |= mstore_histogram_family(w, "rt_latency_seconds", "Latency.", "seconds", 0, NULL, 3,
	                               bounds, &h);
	bad |= mstore_series_get(h, NULL, &hs);
	for (i = 0; i < 6; i++)
		bad |= mstore_histogram_observe(hs, obs[i]);
	bad |= mstore_histogram_family(w, "rt_size_bytes", NULL, "bytes", 0, NULL, 0, NULL, &h2);
	bad |= mstore_series_get(h2, NULL, &hs2) | mstore_histogram_observe(hs2, 3) |
	       mstore_histogram_observe(hs2, -1.5);
	mstore_close(w);
	return bad != 0 ? 3 : 0;
}

static void
check_counters(struct mstore_reader *r)
{
	struct mstore_family_view f;
	struct mstore_series_view s;
	struct mstore_snapshot snap;

	ck_assert_msg(tu_find_family(r, "rt_requests_total", &f) == 0, "family not found");
	ck_assert_int_eq(f.type, MSTORE_COUNTER);
	ck_assert_str_eq(f.help,
	                 "Requests.\nSecond line \\ \xe6\x97\xa5"); /* NUL-terminated in file */
	ck_assert_uint_eq(f.unit_len, 0);
	ck_assert_uint_eq(f.nlabels, 2);
	ck_assert_int_eq(memcmp(f.label_name[1], "path", 4), 0);
	nth_series(r, &f, 0, &s, &snap);
	ck_assert(label_is(&s, 0, "GET") && label_is(&s, 1, "/caf\xc3\xa9"));
	ck_assert_double_eq(snap.value, 1000002.0);
	nth_series(r, &f, 1, &s, &snap);
	ck_assert(label_is(&s, 0, "POST") && label_is(&s, 1, ""));
	ck_assert_double_eq(snap.value, 2.0);
}

static void
check_gauges(struct mstore_reader *r)
{
	struct mstore_family_view f;
	struct mstore_series_view s;
	struct mstore_snapshot snap;

	ck_assert_msg(tu_find_family(r, "rt_level", &f) == 0, "family not found");
	ck_assert_int_eq(f.type, MSTORE_GAUGE);
	ck_assert_uint_eq(f.help_len, 0);
	nth_series(r, &f, 0, &s, &snap);
	ck_assert(isnan(snap.value));
	nth_series(r, &f, 1, &s, &snap);
	ck_assert(isinf(snap.value) && snap.value > 0);
	nth_series(r, &f, 2, &s, &snap);
	ck_assert(isinf(snap.value) && snap.value < 0);
	nth_series(r, &f, 3, &s, &snap);
	ck_assert(label_is(&s, 0, "num"));
	ck_assert_double_eq(snap.value, -7.5);
}

static void
check_histograms(struct mstore_reader *r)
{
	static const uint64_t want[] = { 2, 3, 4, 6 };
	struct mstore_family_view f;
	struct mstore_series_view s;
	struct mstore_snapshot snap;
	int i;

	ck_assert_msg(tu_find_family(r, "rt_latency_seconds", &f) == 0, "family not found");
	ck_assert_int_eq(f.type, MSTORE_HISTOGRAM);
	ck_assert_uint_eq(f.nbounds, 3);
	ck_assert_double_eq(f.bounds[1], 1.0);
	ck_assert_uint_eq(f.unit_len, 7);
	ck_assert_int_eq(memcmp(f.unit, "seconds", 7), 0);
	nth_series(r, &f, 0, &s, &snap);
	for (i = 0; i < 4; i++)
		ck_assert_uint_eq(snap.bucket[i], want[i]);
	ck_assert_uint_eq(snap.count, 6);
	ck_assert(isnan(snap.sum)); /* a NaN observation poisons the sum */
	ck_assert_msg(tu_find_family(r, "rt_size_bytes", &f) == 0, "family not found");
	nth_series(r, &f, 0, &s, &snap);
	ck_assert_uint_eq(f.nbounds, 0);
	ck_assert_uint_eq(snap.bucket[0], 2);
	ck_assert_uint_eq(snap.count, 2);
	ck_assert_double_eq(snap.sum, 1.5);
}

START_TEST(test_round_trip_fork)
{
	char p[TU_PATH_MAX];
	struct mstore_reader *r;
	int status, err;
	pid_t pid;

	ck_assert_ptr_nonnull(tu_path(&dir, "child", p, sizeof(p)));
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(child_write(p));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
	r = mstore_reader_open(p, &err);
	ck_assert_msg(r != NULL, "open: %s", mstore_strerror(err));
	ck_assert_uint_eq(mstore_reader_family_count(r), 4);
	check_counters(r);
	check_gauges(r);
	check_histograms(r);
	mstore_reader_close(r);
}
END_TEST

START_TEST(test_series_identity)
{
	static const char *const ln[] = { "a" };
	const char *x[] = { "x" }, *y[] = { "y" };
	char xcopy[] = "x";
	const char *x2[] = { xcopy };
	struct mstore_family *f, *g;
	struct mstore_series *s1, *s2, *s3, *s4;

	ck_assert_int_eq(mstore_counter_family(st, "id_total", NULL, NULL, 1, ln, &f), 0);
	ck_assert_int_eq(mstore_gauge_family(st, "id_level", NULL, NULL, 1, ln, &g), 0);
	ck_assert_int_eq(mstore_series_get(f, x, &s1), 0);
	ck_assert_int_eq(mstore_series_get(f, y, &s2), 0);
	ck_assert_int_eq(mstore_series_get(f, x2, &s3), 0);
	ck_assert_int_eq(mstore_series_get(g, x, &s4), 0);
	ck_assert_ptr_eq(s1, s3);
	ck_assert_ptr_ne(s1, s2);
	ck_assert_ptr_ne(s1, s4);
}
END_TEST

static int64_t
clock_now_ns(clockid_t id)
{
	struct timespec ts;

	ck_assert_int_eq(clock_gettime(id, &ts), 0);
	return (int64_t)ts.tv_sec * MSTORE_NS_PER_SEC + ts.tv_nsec;
}

/* The heartbeat is CLOCK_BOOTTIME with this process's clock identity; the
 * start time is the wall clock. */
START_TEST(test_heartbeat)
{
	struct mstore_reader *r;
	struct mstore_info a, b;
	struct mstore_slot_view slot;
	struct mstore_hdr *h;
	char text[64];
	unsigned char id[MSTORE_BOOT_ID_LEN] = { 0 };
	size_t len;
	int64_t before, after;
	int err;
	FILE *f;

	r = mstore_reader_open(store_path, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(mstore_reader_info(r, &a), 0);
	before = clock_now_ns(CLOCK_BOOTTIME);
	ck_assert_int_eq(mstore_heartbeat(st), 0);
	after = clock_now_ns(CLOCK_BOOTTIME);
	ck_assert_int_eq(mstore_reader_info(r, &b), 0);
	ck_assert_int_ge(b.heartbeat_ns, a.heartbeat_ns);
	ck_assert_int_ge(b.heartbeat_ns, before);
	ck_assert_int_le(b.heartbeat_ns, after);
	ck_assert_int_le(b.start_time_ns, clock_now_ns(CLOCK_REALTIME));
	ck_assert_int_eq(mstore_reader_fresh(r, 0, NULL), 1);
	ck_assert_int_eq(mstore_heartbeat(NULL), MSTORE_E_INVAL);
	mstore_reader_close(r);

	/* the writer's clock identity is in its slot: the boot id of /proc */
	h = tu_read_file(store_path, &len);
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(
	        mstore_slot_read(
	                (const struct mstore_writer_rec *)(const void *)((const unsigned char *)h +
	                                                                 h->writer_off),
	                &slot),
	        1);
	ck_assert_mem_eq(&slot.clock, mstore_clock_self(), sizeof slot.clock);
	ck_assert_int_eq(slot.pid, getpid());
	ck_assert_int_eq(slot.state, MSTORE_SLOT_LIVE);
	f = fopen("/proc/sys/kernel/random/boot_id", "r");
	if (f != NULL && fgets(text, sizeof text, f) != NULL)
		ck_assert_int_eq(mstore_clock_parse_boot_id(text, id), 0);
	if (f != NULL)
		(void)fclose(f);
	ck_assert_mem_eq(slot.clock.boot_id, id, sizeof id);
	free(h);
}
END_TEST

struct reg_arg {
	struct mstore_family *fam;
	struct mstore_series *out[MANY_SERIES / 10];
};

static void *
reg_thread(void *p)
{
	struct reg_arg *a = p;
	char buf[16];
	const char *v[] = { buf };
	int i;

	for (i = 0; i < MANY_SERIES / 10; i++) {
		snprintf(buf, sizeof(buf), "v%d", i);
		if (mstore_series_get(a->fam, v, &a->out[i]) != 0 ||
		    mstore_counter_inc(a->out[i]) != 0)
			a->out[i] = NULL;
	}
	return NULL;
}

/* Threads racing to register the same series all get one handle each. */
START_TEST(test_threads_register)
{
	static const char *const ln[] = { "v" };
	static struct reg_arg args[NTHREADS];
	pthread_t t[NTHREADS];
	struct mstore_reader *r;
	struct mstore_family_view f;
	struct mstore_series_view s;
	struct mstore_snapshot snap;
	int i, j, rc, n = 0, err;

	ck_assert_int_eq(mstore_counter_family(st, "race_total", NULL, NULL, 1, ln, &args[0].fam),
	                 0);
	for (i = 0; i < NTHREADS; i++) {
		args[i].fam = args[0].fam;
		ck_assert_int_eq(pthread_create(&t[i], NULL, reg_thread, &args[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	for (i = 1; i < NTHREADS; i++)
		for (j = 0; j < MANY_SERIES / 10; j++)
			ck_assert_ptr_eq(args[i].out[j], args[0].out[j]);
	r = mstore_reader_open(store_path, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_msg(tu_find_family(r, "race_total", &f) == 0, "family not found");
	for (rc = mstore_reader_series_first(r, &f, &s); rc == 1;
	     rc = mstore_reader_series_next(r, &f, &s)) {
		ck_assert_int_eq(mstore_reader_snapshot(r, &f, &s, &snap), 0);
		ck_assert_double_eq(snap.value, NTHREADS);
		n++;
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(n, MANY_SERIES / 10);
	mstore_reader_close(r);
}
END_TEST

/* -------------------------------------------------------------- shards */

/* The counter slots of series idx, read from the file (the writer's
 * MAP_SHARED stores are in the page cache that read() sees). */
static void
raw_counter(uint32_t idx, uint64_t v[MSTORE_COUNTER_SLOTS])
{
	size_t len;
	unsigned char *b = tu_read_file(store_path, &len);
	const struct mstore_hdr *h = (const void *)b;
	const struct mstore_series_rec *rec;

	ck_assert_ptr_nonnull(b);
	rec = (const void *)(b + h->series_off + (uint64_t)idx * MSTORE_SERIES_REC_SIZE);
	memcpy(v, b + h->value_off + (uint64_t)rec->value_off * MSTORE_SLOT_SIZE,
	       MSTORE_COUNTER_SLOTS * MSTORE_SLOT_SIZE);
	free(b);
}

/* The sole series of a new unlabelled counter in the fixture's (empty)
 * store: series index 0. */
static struct mstore_series *
first_counter(void)
{
	struct mstore_family *f;
	struct mstore_series *c;

	ck_assert_int_eq(mstore_counter_family(st, "shard_total", NULL, NULL, 0, NULL, &f), 0);
	ck_assert_int_eq(mstore_series_get(f, NULL, &c), 0);
	return c;
}

struct shard_arg {
	struct mstore_series *c;
	pthread_barrier_t *bar; /* NULL: no waiting */
	uint64_t add;
	long n;
};

/* Add a->add a->n times, then (if a->bar) wait until every thread added,
 * so all of them are alive, each holding a shard or none, at once. */
static void *
shard_thread(void *p)
{
	struct shard_arg *a = p;
	long i;
	int bad = 0;

	for (i = 0; i < a->n; i++)
		bad |= a->add == 1 ? mstore_counter_inc(a->c)
		                   : mstore_counter_add(a->c, (double)a->add);
	if (a->bar != NULL) {
		int rc = pthread_barrier_wait(a->bar);

		bad |= rc != 0 && rc != PTHREAD_BARRIER_SERIAL_THREAD;
	}
	return bad ? p : NULL;
}

/*
 * MSTORE_COUNTER_SHARDS + 1 live threads: thread i adds 2^i once.  A shard
 * slot has one owner, so it holds no bit or exactly one; at least one
 * thread found no free shard and used the shared slot; no add was lost.
 */
START_TEST(test_counter_shards_exclusive)
{
	enum { N = MSTORE_COUNTER_SHARDS + 1 };
	struct mstore_series *c = first_counter();
	struct shard_arg a[N];
	pthread_barrier_t bar;
	pthread_t t[N];
	uint64_t v[MSTORE_COUNTER_SLOTS], all = 0, sum = 0;
	void *ret;
	uint32_t i;

	ck_assert_int_eq(pthread_barrier_init(&bar, NULL, N), 0);
	for (i = 0; i < N; i++) {
		a[i] = (struct shard_arg){ .c = c, .bar = &bar, .add = UINT64_C(1) << i, .n = 1 };
		ck_assert_int_eq(pthread_create(&t[i], NULL, shard_thread, &a[i]), 0);
	}
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(pthread_join(t[i], &ret), 0);
		ck_assert_ptr_null(ret);
	}
	ck_assert_int_eq(pthread_barrier_destroy(&bar), 0);
	raw_counter(0, v);
	ck_assert_uint_eq(v[MSTORE_COUNTER_FRAC], 0);
	ck_assert_uint_ne(v[MSTORE_COUNTER_SHARED], 0);
	for (i = 0; i < MSTORE_COUNTER_SHARDS; i++)
		ck_assert_int_le(__builtin_popcountll(v[MSTORE_COUNTER_SHARD0 + i]), 1);
	for (i = 0; i < MSTORE_COUNTER_SLOTS; i++) {
		if (i == MSTORE_COUNTER_FRAC)
			continue;
		ck_assert_uint_eq(all & v[i], 0); /* disjoint: each add went to one slot */
		all |= v[i];
		sum += v[i];
	}
	ck_assert_uint_eq(all, (UINT64_C(1) << N) - 1);
	ck_assert_uint_eq(sum, all);
}
END_TEST

/* A thread that exits gives its shard back; the next thread takes the same
 * shard (the lowest free one) and continues from the slot's value. */
START_TEST(test_counter_shard_recycled)
{
	struct mstore_series *c = first_counter();
	struct shard_arg a = { .c = c, .add = 1, .n = RECYCLE_INCS };
	uint64_t v[MSTORE_COUNTER_SLOTS];
	pthread_t t;
	void *ret;
	int i, k, used = 0;

	for (k = 0; k < 2; k++) {
		ck_assert_int_eq(pthread_create(&t, NULL, shard_thread, &a), 0);
		ck_assert_int_eq(pthread_join(t, &ret), 0);
		ck_assert_ptr_null(ret);
	}
	raw_counter(0, v);
	ck_assert_uint_eq(v[MSTORE_COUNTER_SHARED], 0);
	ck_assert_uint_eq(v[MSTORE_COUNTER_FRAC], 0);
	for (i = 0; i < (int)MSTORE_COUNTER_SHARDS; i++)
		if (v[MSTORE_COUNTER_SHARD0 + i] != 0) {
			ck_assert_uint_eq(v[MSTORE_COUNTER_SHARD0 + i], 2 * RECYCLE_INCS);
			used++;
		}
	ck_assert_int_eq(used, 1);
}
END_TEST

/*
 * A child forked from a writer thread that owns a shard must not keep using
 * it: parent and child increment the same counter at the same time, and
 * the total must be exact (the child uses the shared slot).
 */
START_TEST(test_counter_fork)
{
	struct mstore_series *c = first_counter();
	struct mstore_reader *r;
	struct mstore_family_view f;
	struct mstore_series_view s;
	struct mstore_snapshot snap;
	uint64_t v[MSTORE_COUNTER_SLOTS];
	int status, err;
	long i, bad = 0;
	pid_t pid;

	ck_assert_int_eq(mstore_counter_inc(c), 0); /* claims a shard */
	raw_counter(0, v);
	ck_assert_uint_eq(v[MSTORE_COUNTER_SHARED], 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		for (i = 0; i < FORK_INCS; i++)
			bad |= mstore_counter_inc(c);
		_exit(bad != 0);
	}
	for (i = 0; i < FORK_INCS; i++)
		bad |= mstore_counter_inc(c);
	ck_assert_int_eq(bad, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	raw_counter(0, v);
	ck_assert_uint_eq(v[MSTORE_COUNTER_SHARED], FORK_INCS); /* all of the child's */
	r = mstore_reader_open(store_path, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_msg(tu_find_family(r, "shard_total", &f) == 0, "family not found");
	nth_series(r, &f, 0, &s, &snap);
	ck_assert_double_eq(snap.value, 2.0 * FORK_INCS + 1);
	mstore_reader_close(r);
}
END_TEST

/* Integral adds go to the thread's shard, fractional ones to the double
 * slot; the reader adds everything up. */
START_TEST(test_counter_add_parts)
{
	struct mstore_series *c = first_counter();
	uint64_t v[MSTORE_COUNTER_SLOTS];
	struct mstore_reader *r;
	struct mstore_family_view f;
	struct mstore_series_view s;
	struct mstore_snapshot snap;
	double d;
	int err;

	ck_assert_int_eq(mstore_counter_add(c, 40), 0);
	ck_assert_int_eq(mstore_counter_inc(c), 0);
	ck_assert_int_eq(mstore_counter_add(c, 0.25), 0);
	ck_assert_int_eq(mstore_counter_add(c, 1e300), 0); /* not below 2^53: double slot */
	raw_counter(0, v);
	memcpy(&d, &v[MSTORE_COUNTER_FRAC], sizeof(d));
	ck_assert_double_eq(d, 0.25 + 1e300);
	ck_assert_uint_eq(v[MSTORE_COUNTER_SHARED] + v[MSTORE_COUNTER_SHARD0] +
	                          v[MSTORE_COUNTER_SHARD0 + 1] + v[MSTORE_COUNTER_SHARD0 + 2] +
	                          v[MSTORE_COUNTER_SHARD0 + 3],
	                  41);
	r = mstore_reader_open(store_path, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_msg(tu_find_family(r, "shard_total", &f) == 0, "family not found");
	nth_series(r, &f, 0, &s, &snap);
	ck_assert_double_eq(snap.value, 41 + (0.25 + 1e300));
	mstore_reader_close(r);
	ck_assert_uint_eq(mstore_value_slots(MSTORE_COUNTER, 0), MSTORE_COUNTER_SLOTS);
	ck_assert_uint_eq(mstore_value_slots(MSTORE_GAUGE, 0), 1);
	ck_assert_uint_eq(mstore_value_slots(MSTORE_HISTOGRAM, 3), 7);
	ck_assert_uint_eq(mstore_value_slots(MSTORE_HISTOGRAM, MSTORE_MAX_BUCKETS + 1), 0);
	ck_assert_uint_eq(mstore_value_slots((enum mstore_type)9, 0), 0);
}
END_TEST

/* ----------------------------------------------------------- temp files */

/* The pid of a process that has exited and been reaped. */
static pid_t
dead_pid(void)
{
	pid_t pid = fork();
	int status;

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return pid;
}

/* dir/<pre><pid><post> into buf. */
static const char *
pid_path(char *buf, size_t len, const char *pre, long pid, const char *post)
{
	char name[TU_PATH_MAX];

	snprintf(name, sizeof(name), "%s%ld%s", pre, pid, post);
	ck_assert_ptr_nonnull(tu_path(&dir, name, buf, len));
	return buf;
}

static int
exists(const char *p)
{
	struct stat sb;

	return lstat(p, &sb) == 0;
}

/*
 * mstore_create removes "store.tmp.PID" left by dead writers, and nothing
 * else: not a live process's, not other names, not a symlink of that name
 * (nor its target), not a directory.
 */
START_TEST(test_stale_tmp_removed)
{
	char dead[TU_PATH_MAX], live[TU_PATH_MAX], zero[TU_PATH_MAX], tail[TU_PATH_MAX],
	        other[TU_PATH_MAX], link[TU_PATH_MAX], target[TU_PATH_MAX], sub[TU_PATH_MAX];
	pid_t d1 = dead_pid(), d2 = dead_pid(), d3 = dead_pid();
	struct mstore *s2;
	int err;

	ck_assert_int_eq(kill(d1, 0), -1); /* the pids are free (not reused yet) */
	ck_assert_int_eq(tu_write_file(pid_path(dead, sizeof(dead), "store.tmp.", d1, ""), "x", 1),
	                 0);
	ck_assert_int_eq(
	        tu_write_file(pid_path(live, sizeof(live), "store.tmp.", getppid(), ""), "x", 1),
	        0);
	ck_assert_int_eq(tu_write_file(pid_path(zero, sizeof(zero), "store.tmp.0", d1, ""), "x", 1),
	                 0);
	ck_assert_int_eq(tu_write_file(pid_path(tail, sizeof(tail), "store.tmp.", d1, "x"), "x", 1),
	                 0);
	ck_assert_int_eq(
	        tu_write_file(pid_path(other, sizeof(other), "other.tmp.", d1, ""), "x", 1), 0);
	ck_assert_int_eq(tu_write_file(pid_path(target, sizeof(target), "target", d2, ""), "x", 1),
	                 0);
	ck_assert_int_eq(symlink(target, pid_path(link, sizeof(link), "store.tmp.", d2, "")), 0);
	ck_assert_int_eq(mkdir(pid_path(sub, sizeof(sub), "store.tmp.", d3, ""), 0700), 0);
	s2 = mstore_create(store_path, NULL, &err); /* replaces the fixture's file */
	ck_assert_msg(s2 != NULL, "%s", mstore_strerror(err));
	mstore_close(s2);
	ck_assert(!exists(dead));
	ck_assert(exists(live));
	ck_assert(exists(zero));
	ck_assert(exists(tail));
	ck_assert(exists(other));
	ck_assert(exists(link));
	ck_assert(exists(target));
	ck_assert(exists(sub));
}
END_TEST

/* --------------------------------------------------------------- errors */

struct fam_case {
	int type;
	const char *name, *help, *unit;
	size_t nlabels;
	const char *labels[MSTORE_MAX_LABELS + 1];
	size_t nbounds;
	double bounds[MSTORE_MAX_BUCKETS + 1];
	int want;
	int want_errno;
	const char *clash; /* E_DUPLICATE: the family mstore_family_clash() names */
};

static char long_name[MSTORE_NAME_MAX + 2]; /* 129 chars */
static char max_name[MSTORE_NAME_MAX + 1];  /* 128 chars */
static char long_help[LONG_BUF];
static char long_unit[MSTORE_UNIT_MAX + 2];

/* clang-format off */
static const struct fam_case fam_cases[] = {
	{ MSTORE_COUNTER, NULL, NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_INVAL, EINVAL, NULL },
	{ MSTORE_COUNTER, "", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_NAME, EINVAL, NULL },
	{ MSTORE_COUNTER, "1abc_total", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_NAME, EINVAL, NULL },
	{ MSTORE_GAUGE, "a-b", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_NAME, EINVAL, NULL },
	{ MSTORE_GAUGE, "caf\xc3\xa9", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_NAME, EINVAL, NULL },
	{ MSTORE_GAUGE, "a:b", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_NAME, EINVAL, NULL },
	{ MSTORE_GAUGE, ":x", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_NAME, EINVAL, NULL },
	{ MSTORE_GAUGE, "__x", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_RESERVED, EINVAL, NULL },
	{ MSTORE_GAUGE, long_name, NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_TOO_LONG, ENAMETOOLONG, NULL },
	{ MSTORE_GAUGE, "g", long_help, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_TOO_LONG, ENAMETOOLONG, NULL },
	{ MSTORE_GAUGE, "g", "bad \xff", NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_INVAL, EINVAL, NULL },
	{ MSTORE_GAUGE, "g", "overlong \xc0\xaf", NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_INVAL, EINVAL, NULL },
	{ MSTORE_GAUGE, "g", "surrogate \xed\xa0\x80", NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_INVAL, EINVAL, NULL },
	{ MSTORE_GAUGE, "g", "cut \xe6\x97", NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_INVAL, EINVAL, NULL },
	{ MSTORE_GAUGE, "g_x", NULL, long_unit, 0, { NULL }, 0, { 0 }, MSTORE_E_TOO_LONG, ENAMETOOLONG, NULL },
	{ MSTORE_GAUGE, "g_x", NULL, "a-b", 0, { NULL }, 0, { 0 }, MSTORE_E_UNIT, EINVAL, NULL },
	{ MSTORE_GAUGE, "g_bytes", NULL, "seconds", 0, { NULL }, 0, { 0 }, MSTORE_E_UNIT, EINVAL, NULL },
	{ MSTORE_GAUGE, "gseconds", NULL, "seconds", 0, { NULL }, 0, { 0 }, MSTORE_E_UNIT, EINVAL, NULL },
	{ MSTORE_HISTOGRAM, "h_seconds_x", NULL, "seconds", 0, { NULL }, 0, { 0 }, MSTORE_E_UNIT, EINVAL, NULL },
	{ MSTORE_COUNTER, "c_total", NULL, "seconds", 0, { NULL }, 0, { 0 }, MSTORE_E_UNIT, EINVAL, NULL },
	/* promtool's lint, one class of rule per code */
	{ MSTORE_GAUGE, "httpRequests", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_NAME_CASE, EINVAL, NULL },
	{ MSTORE_COUNTER, "jobs_created", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_COUNTER_TOTAL, EINVAL, NULL },
	{ MSTORE_COUNTER, "c_seconds", NULL, "seconds", 0, { NULL }, 0, { 0 }, MSTORE_E_COUNTER_TOTAL, EINVAL, NULL },
	{ MSTORE_COUNTER, "_total", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_COUNTER_TOTAL, EINVAL, NULL },
	{ MSTORE_GAUGE, "g_total", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_SUFFIX, EINVAL, NULL },
	{ MSTORE_GAUGE, "g_seconds_total", NULL, "seconds", 0, { NULL }, 0, { 0 }, MSTORE_E_SUFFIX, EINVAL, NULL },
	{ MSTORE_HISTOGRAM, "h_total", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_SUFFIX, EINVAL, NULL },
	{ MSTORE_GAUGE, "g_count", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_SUFFIX, EINVAL, NULL },
	{ MSTORE_GAUGE, "g_sum", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_SUFFIX, EINVAL, NULL },
	{ MSTORE_GAUGE, "g_bucket", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_SUFFIX, EINVAL, NULL },
	{ MSTORE_GAUGE, "queue_gauge", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_NAME_TYPE, EINVAL, NULL },
	{ MSTORE_COUNTER, "x_counter_total", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_NAME_TYPE, EINVAL, NULL },
	{ MSTORE_HISTOGRAM, "lat_Histogram", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_NAME_TYPE, EINVAL, NULL },
	{ MSTORE_GAUGE, "x_summary_y", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_NAME_TYPE, EINVAL, NULL },
	{ MSTORE_GAUGE, "q_milliseconds", NULL, "milliseconds", 0, { NULL }, 0, { 0 }, MSTORE_E_BASE_UNIT, EINVAL, NULL },
	{ MSTORE_COUNTER, "sent_kilobytes_total", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_BASE_UNIT, EINVAL, NULL },
	{ MSTORE_GAUGE, "minutes_left", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_BASE_UNIT, EINVAL, NULL },
	{ MSTORE_GAUGE, "link_bits", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_BASE_UNIT, EINVAL, NULL },
	{ MSTORE_GAUGE, "t_seconds_hours", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_BASE_UNIT, EINVAL, NULL },
	{ MSTORE_GAUGE, "x_ms", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_UNIT_ABBREV, EINVAL, NULL },
	{ MSTORE_COUNTER, "x_KB_total", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_UNIT_ABBREV, EINVAL, NULL },
	{ MSTORE_GAUGE, "x_s_y", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_UNIT_ABBREV, EINVAL, NULL },
	{ MSTORE_GAUGE, "x__d", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_UNIT_ABBREV, EINVAL, NULL },
	/* labels */
	{ MSTORE_GAUGE, "g", NULL, NULL, 1, { NULL }, 0, { 0 }, MSTORE_E_INVAL, EINVAL, NULL },
	{ MSTORE_GAUGE, "g", NULL, NULL, 1, { "1x" }, 0, { 0 }, MSTORE_E_LABEL_NAME, EINVAL, NULL },
	{ MSTORE_GAUGE, "g", NULL, NULL, 1, { "a:b" }, 0, { 0 }, MSTORE_E_LABEL_NAME, EINVAL, NULL },
	{ MSTORE_GAUGE, "g", NULL, NULL, 1, { "" }, 0, { 0 }, MSTORE_E_LABEL_NAME, EINVAL, NULL },
	{ MSTORE_GAUGE, "g", NULL, NULL, 1, { "__name__" }, 0, { 0 }, MSTORE_E_RESERVED, EINVAL, NULL },
	{ MSTORE_HISTOGRAM, "h", NULL, NULL, 1, { "le" }, 0, { 0 }, MSTORE_E_RESERVED, EINVAL, NULL },
	{ MSTORE_GAUGE, "g", NULL, NULL, 1, { "le" }, 0, { 0 }, MSTORE_E_RESERVED, EINVAL, NULL },
	{ MSTORE_COUNTER, "c_total", NULL, NULL, 1, { "quantile" }, 0, { 0 }, MSTORE_E_RESERVED, EINVAL, NULL },
	{ MSTORE_GAUGE, "g", NULL, NULL, 1, { "fooBar" }, 0, { 0 }, MSTORE_E_NAME_CASE, EINVAL, NULL },
	{ MSTORE_GAUGE, "g", NULL, NULL, 2, { "a", "a" }, 0, { 0 }, MSTORE_E_DUPLICATE, EEXIST, NULL },
	{ MSTORE_GAUGE, "g", NULL, NULL, 1, { long_name }, 0, { 0 }, MSTORE_E_TOO_LONG, ENAMETOOLONG, NULL },
	{ MSTORE_GAUGE, "g", NULL, NULL, MSTORE_MAX_LABELS + 1,
	  { "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q" }, 0, { 0 },
	  MSTORE_E_TOO_MANY, E2BIG, NULL },
	{ MSTORE_HISTOGRAM, "h", NULL, NULL, 0, { NULL }, MSTORE_MAX_BUCKETS + 1, { 0 }, MSTORE_E_TOO_MANY, E2BIG, NULL },
	{ MSTORE_HISTOGRAM, "h", NULL, NULL, 0, { NULL }, 2, { 1, 1 }, MSTORE_E_BUCKETS, EINVAL, NULL },
	{ MSTORE_HISTOGRAM, "h", NULL, NULL, 0, { NULL }, 2, { 2, 1 }, MSTORE_E_BUCKETS, EINVAL, NULL },
	{ MSTORE_HISTOGRAM, "h", NULL, NULL, 0, { NULL }, 1, { NAN }, MSTORE_E_BUCKETS, EINVAL, NULL },
	{ MSTORE_HISTOGRAM, "h", NULL, NULL, 0, { NULL }, 2, { 1, INFINITY }, MSTORE_E_BUCKETS, EINVAL, NULL },
	{ MSTORE_HISTOGRAM, "h", NULL, NULL, 0, { NULL }, 1, { -INFINITY }, MSTORE_E_BUCKETS, EINVAL, NULL },
	/* clashes with the families registered by register_existing() */
	{ MSTORE_GAUGE, "dup", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_DUPLICATE, EEXIST, "dup_total" },
	/* the same name, another definition (help; type) */
	{ MSTORE_COUNTER, "dup_total", "other help", NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_CONFLICT, EEXIST, "dup_total" },
	{ MSTORE_HISTOGRAM, "dup", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_DUPLICATE, EEXIST, "dup_total" },
	{ MSTORE_GAUGE, "dup_created", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_DUPLICATE, EEXIST, "dup_total" },
	{ MSTORE_COUNTER, "dup_created_total", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_DUPLICATE, EEXIST, "dup_total" },
	{ MSTORE_GAUGE, "hist", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_CONFLICT, EEXIST, "hist" },
	{ MSTORE_COUNTER, "hist_total", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_DUPLICATE, EEXIST, "hist" },
	{ MSTORE_HISTOGRAM, "hist_bucket", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_DUPLICATE, EEXIST, "hist" },
	{ MSTORE_COUNTER, "hist_count_total", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_DUPLICATE, EEXIST, "hist" },
	{ MSTORE_HISTOGRAM, "hist_sum", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_DUPLICATE, EEXIST, "hist" },
	{ MSTORE_GAUGE, "hist_created", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_DUPLICATE, EEXIST, "hist" },
	{ MSTORE_HISTOGRAM, "cnt_x", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_DUPLICATE, EEXIST, "cnt_x_sum_total" },
	{ MSTORE_HISTOGRAM, "gauge", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_CONFLICT, EEXIST, "gauge" },
	{ MSTORE_COUNTER, "gauge_total", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_DUPLICATE, EEXIST, "gauge" },
	{ MSTORE_COUNTER, "late_total", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_DUPLICATE, EEXIST, "late_created" },
	{ MSTORE_HISTOGRAM, "late", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_DUPLICATE, EEXIST, "late_created" },
	/* the case: counters jobs_total and jobs_created(_total) */
	{ MSTORE_COUNTER, "jobs_created_total", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_DUPLICATE, EEXIST, "jobs_total" },
	{ MSTORE_GAUGE, "jobs_created", NULL, NULL, 0, { NULL }, 0, { 0 }, MSTORE_E_DUPLICATE, EEXIST, "jobs_total" },
	/* accepted edge cases (clash must find nothing) */
	{ MSTORE_GAUGE, max_name, NULL, NULL, 0, { NULL }, 0, { 0 }, 0, 0, "" },
	{ MSTORE_GAUGE, "ab_c9", "", "", 1, { "le_x" }, 0, { 0 }, 0, 0, "" },
	{ MSTORE_GAUGE, "Shop_Orders", NULL, NULL, 1, { "HTTP_code" }, 0, { 0 }, 0, 0, "" },
	{ MSTORE_COUNTER, "c_seconds_total", NULL, "seconds", 0, { NULL }, 0, { 0 }, 0, 0, "" },
	{ MSTORE_HISTOGRAM, "h_bytes", "caf\xc3\xa9 \xf0\x9f\x8d\xb0", "bytes", 1, { "_x" }, 2, { -1, 1 }, 0, 0, "" },
	{ MSTORE_HISTOGRAM, "lat_bucket", NULL, NULL, 0, { NULL }, 0, { 0 }, 0, 0, "" },
	{ MSTORE_COUNTER, "c_count_total", NULL, NULL, 0, { NULL }, 0, { 0 }, 0, 0, "" },
	{ MSTORE_GAUGE, "g_created", NULL, NULL, 0, { NULL }, 0, { 0 }, 0, 0, "" },
	{ MSTORE_GAUGE, "g_totals", NULL, NULL, 0, { NULL }, 0, { 0 }, 0, 0, "" },
	{ MSTORE_GAUGE, "gauge_level", NULL, NULL, 0, { NULL }, 0, { 0 }, 0, 0, "" },
	{ MSTORE_GAUGE, "s_left", NULL, NULL, 0, { NULL }, 0, { 0 }, 0, 0, "" },
	{ MSTORE_GAUGE, "room_thermometers", NULL, NULL, 0, { NULL }, 0, { 0 }, 0, 0, "" },
	{ MSTORE_GAUGE, "t_kelvins", NULL, "kelvins", 0, { NULL }, 0, { 0 }, 0, 0, "" },
	{ MSTORE_GAUGE, "hist_created_at", NULL, NULL, 0, { NULL }, 0, { 0 }, 0, 0, "" },
	{ MSTORE_COUNTER, "jobs_creat_total", NULL, NULL, 0, { NULL }, 0, { 0 }, 0, 0, "" },
};
/* clang-format on */

static void
fill_long_strings(void)
{
	memset(long_name, 'n', sizeof(long_name) - 1);
	memset(max_name, 'm', sizeof(max_name) - 1);
	memset(long_help, 'h', sizeof(long_help) - 1);
	memset(long_unit, 'u', sizeof(long_unit) - 1);
}

#define EXISTING_FAMILIES 6

static void
register_existing(void)
{
	struct mstore_family *f;

	ck_assert_int_eq(mstore_counter_family(st, "dup_total", NULL, NULL, 0, NULL, &f), 0);
	ck_assert_int_eq(mstore_histogram_family(st, "hist", NULL, NULL, 0, NULL, 0, NULL, &f), 0);
	ck_assert_int_eq(mstore_counter_family(st, "cnt_x_sum_total", NULL, NULL, 0, NULL, &f), 0);
	ck_assert_int_eq(mstore_gauge_family(st, "gauge", NULL, NULL, 0, NULL, &f), 0);
	ck_assert_int_eq(mstore_gauge_family(st, "late_created", NULL, NULL, 0, NULL, &f), 0);
	ck_assert_int_eq(mstore_counter_family(st, "jobs_total", NULL, NULL, 0, NULL, &f), 0);
}

static int
register_case(const struct fam_case *c, struct mstore_family **f)
{
	const char *const *l = c->nlabels > 0 ? c->labels : NULL;

	switch (c->type) {
	case MSTORE_COUNTER:
		return mstore_counter_family(st, c->name, c->help, c->unit, c->nlabels, l, f);
	case MSTORE_GAUGE:
		return mstore_gauge_family(st, c->name, c->help, c->unit, c->nlabels, l, f);
	default:
		return mstore_histogram_family(st, c->name, c->help, c->unit, c->nlabels, l,
		                               c->nbounds, c->bounds, f);
	}
}

START_TEST(test_family_errors)
{
	const struct fam_case *c = &fam_cases[_i];
	struct mstore_family *f = NULL;
	struct mstore_reader *r;
	char other[MSTORE_NAME_MAX + 1];
	int rc, err;

	fill_long_strings();
	register_existing();
	/* The family a clash is with is named; "": none. */
	if (c->clash != NULL) {
		rc = mstore_family_clash(st, c->type, c->name, other, sizeof(other));
		ck_assert_int_eq(rc, c->clash[0] != '\0');
		if (rc == 1)
			ck_assert_str_eq(other, c->clash);
	}
	errno = 0;
	rc = register_case(c, &f);
	ck_assert_msg(rc == c->want, "case %d (%s): got %d (%s), want %d", _i,
	              c->name ? c->name : "NULL", rc, mstore_strerror(rc), c->want);
	if (rc != 0) {
		ck_assert_int_eq(errno, c->want_errno);
		ck_assert_ptr_null(f);
	} else {
		ck_assert_ptr_nonnull(f);
		/* now registered: it clashes with itself */
		ck_assert_int_eq(mstore_family_clash(st, c->type, c->name, other, sizeof(other)),
		                 1);
		ck_assert_str_eq(other, c->name);
	}
	/* The reader must agree with whatever the writer accepted. */
	r = mstore_reader_open(store_path, &err);
	ck_assert_msg(r != NULL, "reader: %s", mstore_strerror(err));
	ck_assert_uint_eq(mstore_reader_family_count(r), EXISTING_FAMILIES + (c->want == 0));
	mstore_reader_close(r);
}
END_TEST

/* Families that are each valid alone, built from one stem and the
 * reserved suffixes, so that many pairs clash. */
static const struct {
	enum mstore_type type;
	const char *name;
} pair_fams[] = {
	{ MSTORE_COUNTER, "x_total" },
	{ MSTORE_COUNTER, "x_created_total" },
	{ MSTORE_COUNTER, "x_count_total" },
	{ MSTORE_COUNTER, "x_bucket_total" },
	{ MSTORE_COUNTER, "x_total_total" },
	{ MSTORE_COUNTER, "x_x_total" },
	{ MSTORE_GAUGE, "x" },
	{ MSTORE_GAUGE, "x_created" },
	{ MSTORE_GAUGE, "x_x" },
	{ MSTORE_GAUGE, "x_info" },
	{ MSTORE_HISTOGRAM, "x" },
	{ MSTORE_HISTOGRAM, "x_created" },
	{ MSTORE_HISTOGRAM, "x_bucket" },
	{ MSTORE_HISTOGRAM, "x_count" },
	{ MSTORE_HISTOGRAM, "x_sum" },
	{ MSTORE_HISTOGRAM, "x_x" },
};
#define NPAIR_FAMS (sizeof(pair_fams) / sizeof(pair_fams[0]))

/* The test's own statement of the rule (mstore(3)): the names a family
 * occupies, written out; two families clash when a name is in both. */
static int
occupied_names(enum mstore_type type, const char *name, char out[][MSTORE_NAME_MAX + 16])
{
	static const char *const csfx[] = { "", "_total", "_created" };
	static const char *const hsfx[] = { "", "_bucket", "_count", "_sum", "_created" };
	size_t len = strlen(name), i, n = 1;
	const char *const *sfx = NULL;

	if (type == MSTORE_COUNTER) {
		len -= strlen("_total");
		sfx = csfx;
		n = 3;
	} else if (type == MSTORE_HISTOGRAM) {
		sfx = hsfx;
		n = 5;
	}
	for (i = 0; i < n; i++)
		snprintf(out[i], MSTORE_NAME_MAX + 16, "%.*s%s", (int)len, name,
		         sfx != NULL ? sfx[i] : "");
	return (int)n;
}

static int
oracle_clash(size_t a, size_t b)
{
	char na[5][MSTORE_NAME_MAX + 16], nb[5][MSTORE_NAME_MAX + 16];
	int ka = occupied_names(pair_fams[a].type, pair_fams[a].name, na);
	int kb = occupied_names(pair_fams[b].type, pair_fams[b].name, nb);
	int i, j;

	for (i = 0; i < ka; i++)
		for (j = 0; j < kb; j++)
			if (strcmp(na[i], nb[j]) == 0)
				return 1;
	return 0;
}

static int
register_type(struct mstore *s, enum mstore_type type, const char *name)
{
	struct mstore_family *f;

	if (type == MSTORE_COUNTER)
		return mstore_counter_family(s, name, NULL, NULL, 0, NULL, &f);
	if (type == MSTORE_GAUGE)
		return mstore_gauge_family(s, name, NULL, NULL, 0, NULL, &f);
	return mstore_histogram_family(s, name, NULL, NULL, 0, NULL, 0, NULL, &f);
}

/* Every pair, in both orders: the second is refused exactly when the two
 * occupy a common name, and the first is named as the reason; the same
 * definition twice is the same family, the same name with another type a
 * conflict. */
START_TEST(test_clash_pairs)
{
	char p[TU_PATH_MAX], other[MSTORE_NAME_MAX + 1];
	size_t a, b;
	int err, clashes = 0;

	ck_assert_ptr_nonnull(tu_path(&dir, "pairs", p, sizeof(p)));
	for (a = 0; a < NPAIR_FAMS; a++) {
		for (b = 0; b < NPAIR_FAMS; b++) {
			struct mstore *s = mstore_create(p, NULL, &err);
			int same_name = strcmp(pair_fams[a].name, pair_fams[b].name) == 0;
			int want = oracle_clash(a, b) && a != b, rc;

			ck_assert_ptr_nonnull(s);
			ck_assert_int_eq(register_type(s, pair_fams[a].type, pair_fams[a].name), 0);
			rc = register_type(s, pair_fams[b].type, pair_fams[b].name);
			ck_assert_msg(rc == (!want       ? 0
			                     : same_name ? MSTORE_E_CONFLICT
			                                 : MSTORE_E_DUPLICATE),
			              "%s then %s: got %s", pair_fams[a].name, pair_fams[b].name,
			              mstore_strerror(rc));
			if (want) {
				ck_assert_int_eq(mstore_family_clash(s, pair_fams[b].type,
				                                     pair_fams[b].name, other,
				                                     sizeof(other)),
				                 1);
				ck_assert_str_eq(other, pair_fams[a].name);
			}
			clashes += want;
			mstore_close(s);
		}
	}
	/* the table makes clashes frequent, but not universal */
	ck_assert_int_gt(clashes, (int)NPAIR_FAMS);
	ck_assert_int_lt(clashes, (int)(NPAIR_FAMS * NPAIR_FAMS));
}
END_TEST

START_TEST(test_clash_query_errors)
{
	char other[4] = "abc", long_q[MSTORE_NAME_MAX + 2];
	struct mstore_family *f;

	memset(long_q, 'q', sizeof(long_q) - 1);
	long_q[sizeof(long_q) - 1] = '\0';
	ck_assert_int_eq(mstore_counter_family(st, "jobs_total", NULL, NULL, 0, NULL, &f), 0);
	ck_assert_int_eq(mstore_family_clash(NULL, MSTORE_GAUGE, "jobs", NULL, 0), MSTORE_E_INVAL);
	ck_assert_int_eq(mstore_family_clash(st, MSTORE_GAUGE, NULL, NULL, 0), MSTORE_E_INVAL);
	ck_assert_int_eq(mstore_family_clash(st, (enum mstore_type)9, "jobs", NULL, 0),
	                 MSTORE_E_INVAL);
	ck_assert_int_eq(mstore_family_clash(st, MSTORE_GAUGE, "jobs", NULL, 1), MSTORE_E_INVAL);
	ck_assert_int_eq(mstore_family_clash(st, MSTORE_GAUGE, long_q, NULL, 0), MSTORE_E_TOO_LONG);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	/* the answer without a buffer, and cut to the buffer */
	ck_assert_int_eq(mstore_family_clash(st, MSTORE_GAUGE, "jobs", NULL, 0), 1);
	ck_assert_int_eq(mstore_family_clash(st, MSTORE_GAUGE, "jobs_created", other, 4), 1);
	ck_assert_str_eq(other, "job");
	ck_assert_int_eq(mstore_family_clash(st, MSTORE_GAUGE, "jobs_done", other, 4), 0);
	ck_assert_str_eq(other, "job"); /* untouched */
}
END_TEST

START_TEST(test_family_null_out)
{
	ck_assert_int_eq(mstore_gauge_family(st, "g", NULL, NULL, 0, NULL, NULL), MSTORE_E_INVAL);
	ck_assert_int_eq(mstore_gauge_family(NULL, "g", NULL, NULL, 0, NULL, NULL), MSTORE_E_INVAL);
	ck_assert_int_eq(mstore_histogram_family(st, "h", NULL, NULL, 0, NULL, 2, NULL, NULL),
	                 MSTORE_E_INVAL);
}
END_TEST

START_TEST(test_series_errors)
{
	static const char *const ln[] = { "a", "b" };
	char long_value[MSTORE_LABEL_VALUE_MAX + 2];
	const char *ok[] = { "x", "y" }, *nul[] = { "x", NULL }, *bad[] = { "x", "\xc3" };
	const char *lng[] = { "x", long_value }, *zero[] = { "x", "\xc0\x80" };
	struct mstore_family *f;
	struct mstore_series *s = NULL;

	memset(long_value, 'v', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	ck_assert_int_eq(mstore_gauge_family(st, "g", NULL, NULL, 2, ln, &f), 0);
	ck_assert_int_eq(mstore_series_get(NULL, ok, &s), MSTORE_E_INVAL);
	ck_assert_int_eq(mstore_series_get(f, ok, NULL), MSTORE_E_INVAL);
	ck_assert_int_eq(mstore_series_get(f, NULL, &s), MSTORE_E_LABEL_VALUE);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(mstore_series_get(f, nul, &s), MSTORE_E_LABEL_VALUE);
	ck_assert_int_eq(mstore_series_get(f, bad, &s), MSTORE_E_LABEL_VALUE);
	ck_assert_int_eq(mstore_series_get(f, zero, &s), MSTORE_E_LABEL_VALUE);
	ck_assert_int_eq(mstore_series_get(f, lng, &s), MSTORE_E_TOO_LONG);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	ck_assert_ptr_null(s);
	long_value[MSTORE_LABEL_VALUE_MAX] = '\0'; /* exactly the maximum */
	ck_assert_int_eq(mstore_series_get(f, lng, &s), 0);
	ck_assert_ptr_nonnull(s);
}
END_TEST

START_TEST(test_update_errors)
{
	struct mstore_family *cf, *gf, *hf;
	struct mstore_series *c, *g, *h;
	struct mstore_reader *r;
	struct mstore_family_view fv;
	struct mstore_series_view sv;
	struct mstore_snapshot snap;
	int err;

	ck_assert_int_eq(mstore_counter_family(st, "c_total", NULL, NULL, 0, NULL, &cf), 0);
	ck_assert_int_eq(mstore_gauge_family(st, "g", NULL, NULL, 0, NULL, &gf), 0);
	ck_assert_int_eq(mstore_histogram_family(st, "h", NULL, NULL, 0, NULL, 0, NULL, &hf), 0);
	ck_assert_int_eq(mstore_series_get(cf, NULL, &c), 0);
	ck_assert_int_eq(mstore_series_get(gf, NULL, &g), 0);
	ck_assert_int_eq(mstore_series_get(hf, NULL, &h), 0);
	ck_assert_int_eq(mstore_counter_add(c, 4), 0);
	ck_assert_int_eq(mstore_counter_add(c, -1), MSTORE_E_NEGATIVE);
	ck_assert_int_eq(errno, EDOM);
	ck_assert_int_eq(mstore_counter_add(c, NAN), MSTORE_E_NEGATIVE);
	ck_assert_int_eq(mstore_counter_add(c, -0.0), 0); /* -0 is not a decrease */
	ck_assert_int_eq(mstore_counter_inc(g), MSTORE_E_TYPE);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(mstore_counter_add(h, 1), MSTORE_E_TYPE);
	ck_assert_int_eq(mstore_gauge_set(c, 1), MSTORE_E_TYPE);
	ck_assert_int_eq(mstore_gauge_add(h, 1), MSTORE_E_TYPE);
	ck_assert_int_eq(mstore_gauge_sub(c, 1), MSTORE_E_TYPE);
	ck_assert_int_eq(mstore_histogram_observe(g, 1), MSTORE_E_TYPE);
	ck_assert_int_eq(mstore_counter_inc(NULL), MSTORE_E_INVAL);
	ck_assert_int_eq(mstore_counter_add(NULL, 1), MSTORE_E_INVAL);
	ck_assert_int_eq(mstore_gauge_set(NULL, 1), MSTORE_E_INVAL);
	ck_assert_int_eq(mstore_gauge_add(NULL, 1), MSTORE_E_INVAL);
	ck_assert_int_eq(mstore_gauge_sub(NULL, 1), MSTORE_E_INVAL);
	ck_assert_int_eq(mstore_histogram_observe(NULL, 1), MSTORE_E_INVAL);
	r = mstore_reader_open(store_path, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_msg(tu_find_family(r, "c_total", &fv) == 0, "family not found");
	nth_series(r, &fv, 0, &sv, &snap);
	ck_assert_double_eq(snap.value, 4); /* rejected adds changed nothing */
	mstore_reader_close(r);
}
END_TEST

START_TEST(test_create_errors)
{
	struct mstore_options big = { .max_series = UINT32_MAX };
	struct mstore_options mode = { .mode = 010000 };
	struct mstore_options flags = { .flags = 0x80 };
	struct mstore_options writers = { .max_writers = MSTORE_MAX_WRITERS + 1 };
	struct mstore_options resv = { .reserved[6] = 1 };
	struct mstore_options resv32 = { .reserved32 = 1 };
	struct mstore_options delay = { .reuse_delay_ms = 24u * 3600u * 1000u + 1 };
	char p[TU_PATH_MAX], sub[TU_PATH_MAX];
	int err = 0;

	ck_assert_ptr_null(mstore_create(NULL, NULL, &err));
	ck_assert_int_eq(err, MSTORE_E_INVAL);
	ck_assert_ptr_null(mstore_create("", NULL, &err));
	ck_assert_int_eq(err, MSTORE_E_INVAL);
	ck_assert_ptr_null(mstore_create(store_path, &big, &err));
	ck_assert_int_eq(err, MSTORE_E_INVAL);
	ck_assert_ptr_null(mstore_create(store_path, &mode, &err));
	ck_assert_int_eq(err, MSTORE_E_INVAL);
	ck_assert_ptr_null(mstore_create(store_path, &flags, NULL));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(mstore_create(store_path, &writers, &err));
	ck_assert_int_eq(err, MSTORE_E_INVAL);
	/* Reserved words must be zero: later versions give them meanings. */
	ck_assert_ptr_null(mstore_create(store_path, &resv, &err));
	ck_assert_int_eq(err, MSTORE_E_INVAL);
	ck_assert_ptr_null(mstore_create(store_path, &resv32, &err));
	ck_assert_int_eq(err, MSTORE_E_INVAL);
	ck_assert_ptr_null(mstore_create(store_path, &delay, &err));
	ck_assert_int_eq(err, MSTORE_E_INVAL);
	ck_assert_ptr_nonnull(tu_path(&dir, "missing/store", p, sizeof(p)));
	ck_assert_ptr_null(mstore_create(p, NULL, &err));
	ck_assert_int_eq(err, MSTORE_E_SYS);
	ck_assert_int_eq(errno, ENOENT);
	/* rename() onto a non-empty directory fails: no temp file may stay. */
	ck_assert_ptr_nonnull(tu_path(&dir, "adir", p, sizeof(p)));
	ck_assert_int_eq(mkdir(p, 0700), 0);
	ck_assert_ptr_nonnull(tu_path(&dir, "adir/x", sub, sizeof(sub)));
	ck_assert_int_eq(tu_write_file(sub, "x", 1), 0);
	ck_assert_ptr_null(mstore_create(p, NULL, &err));
	ck_assert_int_eq(err, MSTORE_E_SYS);
	/* store + adir, and their lock files (created before the rename; a
	 * lock file stays: another writer may have opened it meanwhile) */
	ck_assert_int_eq(tu_dir_count(&dir), 4);
	ck_assert_int_eq(unlink(sub), 0);
}
END_TEST

START_TEST(test_strerror)
{
	int a, b;

	for (a = MSTORE_OK; a >= MSTORE_E_LAST; a--) {
		const char *m = mstore_strerror(a);

		ck_assert_ptr_nonnull(m);
		ck_assert_int_gt((int)strlen(m), 0);
		ck_assert_str_ne(m, mstore_strerror(1));
		for (b = a - 1; b >= MSTORE_E_LAST; b--)
			ck_assert_str_ne(m, mstore_strerror(b));
	}
	ck_assert_ptr_nonnull(mstore_strerror(MSTORE_E_LAST - 1));
	ck_assert_ptr_nonnull(mstore_strerror(12345));
}
END_TEST

START_TEST(test_validators)
{
	ck_assert_int_eq(mstore_valid_metric_name("a:b_1", 5), 1);
	ck_assert_int_eq(mstore_valid_metric_name(":x", 2), 1);
	ck_assert_int_eq(mstore_valid_metric_name("9", 1), 0);
	ck_assert_int_eq(mstore_valid_metric_name("ab", 0), 0);
	ck_assert_int_eq(mstore_valid_label_name("_a9", 3), 1);
	ck_assert_int_eq(mstore_valid_label_name(":x", 2), 0);
	ck_assert_int_eq(mstore_valid_text("", 0), 1);
	ck_assert_int_eq(mstore_valid_text("a\0b", 3), 0);
	ck_assert_int_eq(mstore_valid_text("abcdefg\0", 8), 0);        /* NUL in a whole word */
	ck_assert_int_eq(mstore_valid_text("\xf4\x8f\xbf\xbf", 4), 1); /* U+10FFFF */
	ck_assert_int_eq(mstore_valid_text("\xf4\x90\x80\x80", 4), 0); /* > U+10FFFF */
	ck_assert_int_eq(mstore_valid_text("\xe0\x80\xaf", 3), 0);     /* overlong */
	ck_assert_int_eq(mstore_valid_text("\xf0\x80\x80\xaf", 4), 0); /* overlong */
	ck_assert_int_eq(mstore_valid_text("\xed\xbf\xbf", 3), 0);     /* surrogate */
	ck_assert_int_eq(mstore_valid_text("abcdefgh\xc3\xa9ijklmnop", 18), 1);
	ck_assert_int_eq(mstore_valid_text("abcdefghijklmno\x80", 16), 0);
	ck_assert_int_eq(mstore_valid_text("\xc3", 1), 0);
}
END_TEST

/* --------------------------------------------------------------- limits */

/* A store with tiny capacities, in the fixture's directory. */
static struct mstore *
small_store(uint32_t fams, uint32_t series, uint32_t slots, uint32_t strings)
{
	struct mstore_options o = { .max_families = fams,
		                    .max_series = series,
		                    .value_slots = slots,
		                    .string_bytes = strings };
	char p[TU_PATH_MAX];
	int err;
	struct mstore *s;

	ck_assert_ptr_nonnull(tu_path(&dir, "small", p, sizeof(p)));
	s = mstore_create(p, &o, &err);
	ck_assert_msg(s != NULL, "%s", mstore_strerror(err));
	return s;
}

START_TEST(test_family_space)
{
	struct mstore *s = small_store(2, 0, 0, 0);
	struct mstore_family *f;

	ck_assert_int_eq(mstore_gauge_family(s, "a", NULL, NULL, 0, NULL, &f), 0);
	ck_assert_int_eq(mstore_gauge_family(s, "b", NULL, NULL, 0, NULL, &f), 0);
	ck_assert_int_eq(mstore_gauge_family(s, "c", NULL, NULL, 0, NULL, &f),
	                 MSTORE_E_NO_FAMILY_SPACE);
	ck_assert_int_eq(errno, ENOSPC);
	mstore_close(s);
}
END_TEST

START_TEST(test_series_space)
{
	static const char *const ln[] = { "k" };
	const char *a[] = { "a" }, *b[] = { "b" }, *c[] = { "c" };
	struct mstore *s = small_store(0, 2, 0, 0);
	struct mstore_family *f;
	struct mstore_series *x;

	ck_assert_int_eq(mstore_gauge_family(s, "g", NULL, NULL, 1, ln, &f), 0);
	ck_assert_int_eq(mstore_series_get(f, a, &x), 0);
	ck_assert_int_eq(mstore_series_get(f, b, &x), 0);
	ck_assert_int_eq(mstore_series_get(f, c, &x), MSTORE_E_NO_SERIES_SPACE);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_int_eq(mstore_series_get(f, a, &x), 0); /* lookups still work */
	mstore_close(s);
}
END_TEST

START_TEST(test_value_space)
{
	static const double bounds[] = { 1, 2 };
	/* one slot short of a counter plus a 2-bound histogram */
	struct mstore *s = small_store(0, 0,
	                               mstore_value_slots(MSTORE_COUNTER, 0) +
	                                       mstore_value_slots(MSTORE_HISTOGRAM, 2) - 1,
	                               0);
	struct mstore_family *c, *h;
	struct mstore_series *x;

	ck_assert_int_eq(mstore_counter_family(s, "c_total", NULL, NULL, 0, NULL, &c), 0);
	ck_assert_int_eq(mstore_histogram_family(s, "h", NULL, NULL, 0, NULL, 2, bounds, &h), 0);
	ck_assert_int_eq(mstore_series_get(c, NULL, &x), 0);                       /* 6 slots */
	ck_assert_int_eq(mstore_series_get(h, NULL, &x), MSTORE_E_NO_VALUE_SPACE); /* needs 6 */
	ck_assert_int_eq(errno, ENOSPC);
	mstore_close(s);
}
END_TEST

START_TEST(test_string_space)
{
	static const char *const ln[] = { "k" };
	const char *v[] = { "0123456789" };
	struct mstore *s = small_store(0, 0, 0, 64);
	struct mstore_family *f;
	struct mstore_series *x;

	/* 1 byte is the shared empty string; every string takes a block of a
	 * power of two, at least 8 bytes: "h" 8, its help (64 with NUL) 64 */
	ck_assert_int_eq(mstore_gauge_family(
	                         s, "h",
	                         "012345678901234567890123456789012345678901234567890123456789012",
	                         NULL, 0, NULL, &f),
	                 MSTORE_E_NO_STRING_SPACE);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_int_eq(mstore_gauge_family(s, "g", NULL, NULL, 1, ln, &f), 0); /* 8 + 8: 17 */
	ck_assert_int_eq(mstore_series_get(f, v, &x), 0); /* 11 bytes, a block of 16: 33 */
	v[0] = "0123456789abcdef";                        /* a block of 32: 65 > 64 */
	ck_assert_int_eq(mstore_series_get(f, v, &x), MSTORE_E_NO_STRING_SPACE);
	mstore_close(s);
}
END_TEST

START_TEST(test_max_labels_buckets)
{
	static const char *const ln[MSTORE_MAX_LABELS] = { "a", "b", "c", "d", "e", "f", "g", "h",
		                                           "i", "j", "k", "l", "m", "n", "o", "p" };
	double bounds[MSTORE_MAX_BUCKETS];
	struct mstore_family *f;
	struct mstore_series *x;
	struct mstore_reader *r;
	struct mstore_family_view fv;
	struct mstore_series_view sv;
	struct mstore_snapshot snap;
	int i, err;

	for (i = 0; i < MSTORE_MAX_BUCKETS; i++)
		bounds[i] = i * 0.5;
	ck_assert_int_eq(mstore_histogram_family(st, "big", NULL, NULL, MSTORE_MAX_LABELS, ln,
	                                         MSTORE_MAX_BUCKETS, bounds, &f),
	                 0);
	ck_assert_int_eq(mstore_series_get(f, ln, &x), 0);
	for (i = 0; i <= MSTORE_MAX_BUCKETS; i++)
		ck_assert_int_eq(mstore_histogram_observe(x, i * 0.5),
		                 0); /* one per bucket, incl +Inf */
	r = mstore_reader_open(store_path, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_msg(tu_find_family(r, "big", &fv) == 0, "family not found");
	ck_assert_uint_eq(fv.nlabels, MSTORE_MAX_LABELS);
	nth_series(r, &fv, 0, &sv, &snap);
	for (i = 0; i <= MSTORE_MAX_BUCKETS; i++)
		ck_assert_uint_eq(snap.bucket[i], (uint64_t)i + 1);
	ck_assert(label_is(&sv, MSTORE_MAX_LABELS - 1, "p"));
	mstore_reader_close(r);
}
END_TEST

/*
 * Bucket placement for every bound count 0..MSTORE_MAX_BUCKETS: each bound,
 * its neighbours, values outside, infinities and NaN, against a linear
 * reference (first bound >= v; NaN and above the last go to +Inf).
 */
START_TEST(test_bucket_placement)
{
	double bounds[MSTORE_MAX_BUCKETS], probes[4 * MSTORE_MAX_BUCKETS + 8];
	uint64_t want[MSTORE_MAX_BUCKETS + 1];
	char name[32];
	struct mstore_family *f;
	struct mstore_series *x;
	struct mstore_reader *r;
	struct mstore_family_view fv;
	struct mstore_series_view sv;
	struct mstore_snapshot snap;
	int nb, i, np, err;

	for (nb = 0; nb <= MSTORE_MAX_BUCKETS; nb++) {
		for (i = 0; i < nb; i++)
			bounds[i] = i * 0.25 - 2;
		np = 0;
		for (i = 0; i < nb; i++) {
			probes[np++] = bounds[i];
			probes[np++] = nextafter(bounds[i], -INFINITY);
			probes[np++] = nextafter(bounds[i], INFINITY);
		}
		probes[np++] = -1e300;
		probes[np++] = 1e300;
		probes[np++] = -INFINITY;
		probes[np++] = INFINITY;
		probes[np++] = NAN;
		memset(want, 0, sizeof want);
		(void)snprintf(name, sizeof name, "place_%d", nb);
		ck_assert_int_eq(mstore_histogram_family(st, name, NULL, NULL, 0, NULL, (size_t)nb,
		                                         bounds, &f),
		                 0);
		ck_assert_int_eq(mstore_series_get(f, NULL, &x), 0);
		for (i = 0; i < np; i++) {
			int b = 0;

			while (b < nb && !(probes[i] <= bounds[b]))
				b++;
			want[b]++;
			ck_assert_int_eq(mstore_histogram_observe(x, probes[i]), 0);
		}
		r = mstore_reader_open(store_path, &err);
		ck_assert_ptr_nonnull(r);
		ck_assert_msg(tu_find_family(r, name, &fv) == 0, "family not found");
		nth_series(r, &fv, 0, &sv, &snap);
		for (i = 1; i <= nb; i++)
			want[i] += want[i - 1]; /* the reader reports cumulative counts */
		for (i = 0; i <= nb; i++)
			ck_assert_msg(snap.bucket[i] == want[i],
			              "%d bounds: bucket %d has %llu, want %llu", nb, i,
			              (unsigned long long)snap.bucket[i],
			              (unsigned long long)want[i]);
		mstore_reader_close(r);
	}
}
END_TEST

START_TEST(test_many_series)
{
	static const char *const ln[] = { "id" };
	static struct mstore_series *h[MANY_SERIES];
	char buf[16];
	const char *v[] = { buf };
	struct mstore_family *f;
	struct mstore_series *x;
	int i;

	ck_assert_int_eq(mstore_counter_family(st, "many_total", NULL, NULL, 1, ln, &f), 0);
	for (i = 0; i < MANY_SERIES; i++) {
		snprintf(buf, sizeof(buf), "%d", i);
		ck_assert_int_eq(mstore_series_get(f, v, &h[i]), 0);
	}
	for (i = MANY_SERIES - 1; i >= 0; i--) {
		snprintf(buf, sizeof(buf), "%d", i);
		ck_assert_int_eq(mstore_series_get(f, v, &x), 0);
		ck_assert_ptr_eq(x, h[i]);
	}
}
END_TEST

/* ---------------------------------------------- process metrics (/proc) */
/* ---- sim_proc --------------------------------------------------------- */

START_TEST(test_parse_stat)
{
	/* A command name with spaces and parentheses; fields 4..24 hold
	 * ten times their field number. */
	static const char text[] = "1234 (a) b (c)) S 40 50 60 70 80 90 100 110 "
	                           "120 130 140 150 160 170 180 190 200 210 220 230 240 250 260\n";
	struct mstore_proc_stat ps;

	ck_assert_int_eq(mstore_proc_parse_stat(text, &ps), 0);
	ck_assert_uint_eq(ps.utime, 140);
	ck_assert_uint_eq(ps.stime, 150);
	ck_assert_uint_eq(ps.starttime, 220);
	ck_assert_uint_eq(ps.vsize, 230);
	ck_assert_int_eq(ps.rss, 240);
	errno = 0;
	ck_assert_int_eq(mstore_proc_parse_stat("1234 no parens S 1 2", &ps), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(mstore_proc_parse_stat("1 (x) S 1 2 3\n", &ps), -1);
	ck_assert_int_eq(mstore_proc_parse_stat("1 (x) S 4 5 6 7 8 9 10 11 12 13 "
	                                        "x 15 16 17 18 19 20 21 22 23 24",
	                                        &ps),
	                 -1);
}
END_TEST

START_TEST(test_parse_statm_btime)
{
	unsigned long long size, res;
	long long bt;

	ck_assert_int_eq(mstore_proc_parse_statm("2000 300 100 10 0 500 0\n", &size, &res), 0);
	ck_assert_uint_eq(size, 2000);
	ck_assert_uint_eq(res, 300);
	ck_assert_int_eq(mstore_proc_parse_statm("2000\n", &size, &res), -1);
	ck_assert_int_eq(mstore_proc_parse_btime("cpu  1 2 3\nintr 5 6\nbtime 1700000000\n"
	                                         "processes 9\n",
	                                         &bt),
	                 0);
	ck_assert_int_eq(bt, 1700000000LL);
	ck_assert_int_eq(mstore_proc_parse_btime("cpu 1\nxbtime 5\n", &bt), -1);
	ck_assert_int_eq(mstore_proc_parse_btime("btime x\n", &bt), -1);
}
END_TEST

START_TEST(test_read_self)
{
	struct mstore_proc_sample a, b;
	time_t now = time(NULL);
	int fd;

	ck_assert_int_eq(mstore_proc_read(&a), 0);
	ck_assert(a.cpu_seconds >= 0.0);
	ck_assert(a.resident_bytes > 0.0);
	ck_assert(a.virtual_bytes >= a.resident_bytes);
	ck_assert(a.open_fds >= 0.0);
	ck_assert(a.max_fds >= a.open_fds);
	/* Started a moment ago; btime has one-second resolution. */
	ck_assert(a.start_time_seconds <= (double)now + 2.0);
	ck_assert(a.start_time_seconds > (double)now - 3600.0);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(mstore_proc_read(&b), 0);
	ck_assert(b.open_fds == a.open_fds + 1.0);
	ck_assert(b.start_time_seconds == a.start_time_seconds);
	ck_assert(b.cpu_seconds >= a.cpu_seconds);
	ck_assert_int_eq(close(fd), 0);
	ck_assert_int_eq(mstore_proc_read(NULL), -1);
}
END_TEST

static Suite *
mstore_writer_suite(void)
{
	Suite *s = suite_create("mstore_writer");
	TCase *core = tcase_create("core"), *errors = tcase_create("errors"),
	      *limits = tcase_create("limits"), *proc = tcase_create("proc");

	tcase_add_checked_fixture(core, setup, teardown);
	tcase_add_test(core, test_create_file);
	tcase_add_test(core, test_round_trip_fork);
	tcase_add_test(core, test_series_identity);
	tcase_add_test(core, test_heartbeat);
	tcase_add_test(core, test_threads_register);
	tcase_add_test(core, test_validators);
	tcase_add_test(core, test_counter_shards_exclusive);
	tcase_add_test(core, test_counter_shard_recycled);
	tcase_add_test(core, test_counter_fork);
	tcase_add_test(core, test_counter_add_parts);
	tcase_add_test(core, test_stale_tmp_removed);
	suite_add_tcase(s, core);
	tcase_add_checked_fixture(errors, setup, teardown);
	tcase_add_loop_test(errors, test_family_errors, 0,
	                    (int)(sizeof(fam_cases) / sizeof(fam_cases[0])));
	tcase_add_test(errors, test_clash_pairs);
	tcase_add_test(errors, test_clash_query_errors);
	tcase_add_test(errors, test_family_null_out);
	tcase_add_test(errors, test_series_errors);
	tcase_add_test(errors, test_update_errors);
	tcase_add_test(errors, test_create_errors);
	tcase_add_test(errors, test_strerror);
	suite_add_tcase(s, errors);
	tcase_add_checked_fixture(limits, setup, teardown);
	tcase_add_test(limits, test_family_space);
	tcase_add_test(limits, test_series_space);
	tcase_add_test(limits, test_value_space);
	tcase_add_test(limits, test_string_space);
	tcase_add_test(limits, test_max_labels_buckets);
	tcase_add_test(limits, test_bucket_placement);
	tcase_add_test(limits, test_many_series);
	suite_add_tcase(s, limits);
	tcase_add_test(proc, test_parse_stat);
	tcase_add_test(proc, test_parse_statm_btime);
	tcase_add_test(proc, test_read_self);
	suite_add_tcase(s, proc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(mstore_writer_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
