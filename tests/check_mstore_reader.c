/* SPDX-License-Identifier: MIT */
/*
 * check_mstore_reader.c - Check suite for the reader side of the store:
 * iteration and snapshots, refresh across replacement, growth and
 * truncation, liveness (on the real clock, and the verdict with fabricated
 * clocks: other boot, future, time-namespace offsets), and hostile files (truncated, zero-filled, wrong
 * magic/version/ABI, out-of-bounds offsets, unterminated strings, invalid
 * names, chain cycles, random byte flips): each must give its own error
 * code and never crash.  The reader maps a guard page after the file, so
 * an over-read would fault and fail the test.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mstore_layout.h"
#include "testutil.h"

#define FUZZ_ITERS    2000
#define FUZZ_SEED     20240501u
#define FUZZ_MAXFLIPS 4
#define SPARE_BYTES   8192 /* room to grow the file image */
#define OLD_HB_NS     (10 * MSTORE_NS_PER_SEC)

static struct tu_dir dir;
static char base_path[TU_PATH_MAX], mut_path[TU_PATH_MAX];
static unsigned char *img; /* the base file's bytes, with SPARE_BYTES room */
static size_t img_len;

/* Small capacities keep the image small (about 12 KiB); value_slots holds
 * max_series counters (test_limits_full_store). */
static const struct mstore_options small_opts = { .max_families = 8,
	                                          .max_series = 16,
	                                          .value_slots = 16 * MSTORE_COUNTER_SLOTS,
	                                          .string_bytes = 1024 };

static void
setup(void)
{
	struct mstore *st;
	void *data;
	int err;

	ck_assert_int_eq(tu_dir_make(&dir), 0);
	ck_assert_ptr_nonnull(tu_path(&dir, "base", base_path, sizeof(base_path)));
	ck_assert_ptr_nonnull(tu_path(&dir, "mut", mut_path, sizeof(mut_path)));
	st = tu_sample_store(base_path, &small_opts, &err);
	ck_assert_msg(st != NULL, "%s", mstore_strerror(err));
	mstore_close(st);
	data = tu_read_file(base_path, &img_len);
	ck_assert_ptr_nonnull(data);
	img = calloc(1, img_len + SPARE_BYTES);
	ck_assert_ptr_nonnull(img);
	memcpy(img, data, img_len);
	free(data);
}

static void
teardown(void)
{
	free(img);
	img = NULL;
	tu_dir_remove(&dir);
}

static struct mstore_hdr *
hdr(unsigned char *b)
{
	return (struct mstore_hdr *)(void *)b;
}

static struct mstore_writer_rec *
wrec(unsigned char *b, uint32_t i)
{
	return (struct mstore_writer_rec *)(void *)(b + hdr(b)->writer_off +
	                                            (size_t)i * MSTORE_WRITER_REC_SIZE);
}

static struct mstore_family_rec *
frec(unsigned char *b, uint32_t i)
{
	return (struct mstore_family_rec *)(void *)(b + hdr(b)->family_off +
	                                            (size_t)i * MSTORE_FAMILY_REC_SIZE);
}

static struct mstore_series_rec *
srec(unsigned char *b, uint32_t i)
{
	return (struct mstore_series_rec *)(void *)(b + hdr(b)->series_off +
	                                            (size_t)i * MSTORE_SERIES_REC_SIZE);
}

static char *
str_at(unsigned char *b, struct mstore_str s)
{
	return (char *)(b + hdr(b)->string_off + s.off);
}

/* Label value k of series record i, and a new reference for it. */
static struct mstore_str
slabel(unsigned char *b, uint32_t i, uint32_t k)
{
	return mstore_str_unpack(atomic_load(&srec(b, i)->label[k]));
}

static void
slabel_set(unsigned char *b, uint32_t i, uint32_t k, struct mstore_str r)
{
	atomic_store(&srec(b, i)->label[k], mstore_str_pack(r));
}

/* Walk everything r holds; returns the first error or the series count. */
static int
walk_all(struct mstore_reader *r)
{
	struct mstore_family_view f;
	struct mstore_series_view s;
	struct mstore_snapshot snap;
	uint32_t i, n = mstore_reader_family_count(r);
	int rc, total = 0;

	for (i = 0; i < n; i++) {
		if ((rc = mstore_reader_family(r, i, &f)) != 0)
			return rc;
		for (rc = mstore_reader_series_first(r, &f, &s); rc == 1;
		     rc = mstore_reader_series_next(r, &f, &s)) {
			int sr = mstore_reader_snapshot(r, &f, &s, &snap);

			if (sr != 0)
				return sr;
			total++;
		}
		if (rc < 0)
			return rc;
	}
	return total;
}

/* ----------------------------------------------------------------- core */

START_TEST(test_iterate_sample)
{
	static const char *const fams[] = { "tu_requests_total", "tu_temperature_celsius",
		                            "tu_empty", "tu_latency_seconds" };
	struct mstore_reader *r;
	struct mstore_family_view f;
	struct mstore_series_view s;
	struct mstore_snapshot snap;
	struct mstore_info info;
	uint32_t i;
	int err;

	r = mstore_reader_open(base_path, &err);
	ck_assert_msg(r != NULL, "%s", mstore_strerror(err));
	ck_assert_int_eq(err, 0);
	ck_assert_uint_eq(mstore_reader_family_count(r), 4);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(mstore_reader_family(r, i, &f), 0);
		ck_assert_uint_eq(f.index, i);
		ck_assert_int_eq((int)f.name_len, (int)strlen(fams[i]));
		ck_assert_int_eq(memcmp(f.name, fams[i], f.name_len), 0);
	}
	ck_assert_int_eq(mstore_reader_family(r, 4, &f), MSTORE_E_INVAL);
	ck_assert_int_eq(mstore_reader_info(r, &info), 0);
	ck_assert_uint_eq(info.families, 4);
	ck_assert_uint_eq(info.series, 6);
	ck_assert_uint_eq(info.values_used, 3 * MSTORE_COUNTER_SLOTS + 1 + 2 * 7);
	ck_assert_int_eq(walk_all(r), 6);
	ck_assert_msg(tu_find_family(r, "tu_empty", &f) == 0, "family not found");
	ck_assert_int_eq(mstore_reader_series_first(r, &f, &s), 0);
	ck_assert_msg(tu_find_family(r, "tu_requests_total", &f) == 0, "family not found");
	ck_assert_int_eq(mstore_reader_series_first(r, &f, &s), 1);
	ck_assert_int_eq(mstore_reader_snapshot(r, &f, &s, &snap), 0);
	ck_assert_double_eq(snap.value, 3);
	ck_assert_int_eq(mstore_reader_series_next(r, &f, &s), 1);
	ck_assert_int_eq(mstore_reader_snapshot(r, &f, &s, &snap), 0);
	ck_assert_double_eq(snap.value, 2.5);
	ck_assert_int_eq(mstore_reader_series_next(r, &f, &s), 1);
	ck_assert_int_eq(mstore_reader_series_next(r, &f, &s), 0);
	ck_assert_msg(tu_find_family(r, "tu_latency_seconds", &f) == 0, "family not found");
	ck_assert_int_eq(mstore_reader_series_first(r, &f, &s), 1);
	ck_assert_int_eq(mstore_reader_snapshot(r, &f, &s, &snap), 0);
	ck_assert_uint_eq(snap.bucket[0], 1);
	ck_assert_uint_eq(snap.bucket[1], 2);
	ck_assert_uint_eq(snap.bucket[2], 3);
	ck_assert_uint_eq(snap.bucket[3], 4);
	ck_assert_uint_eq(snap.count, 4);
	ck_assert_double_eq_tol(snap.sum, 55.55, 1e-9);
	mstore_reader_close(r);
}
END_TEST

START_TEST(test_args)
{
	struct mstore_reader *r;
	struct mstore_family_view f, g;
	struct mstore_series_view s;
	struct mstore_snapshot snap;
	int err;

	ck_assert_ptr_null(mstore_reader_open(NULL, &err));
	ck_assert_int_eq(err, MSTORE_E_INVAL);
	ck_assert_ptr_null(mstore_reader_open(mut_path, &err)); /* missing */
	ck_assert_int_eq(err, MSTORE_E_SYS);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_ptr_null(mstore_reader_open(dir.path, &err)); /* a directory */
	ck_assert_int_eq(err, MSTORE_E_NOT_REGULAR);
	ck_assert_int_eq(errno, EBADMSG);
	mstore_reader_close(NULL);
	ck_assert_uint_eq(mstore_reader_family_count(NULL), 0);
	ck_assert_int_eq(mstore_reader_refresh(NULL), MSTORE_E_INVAL);
	r = mstore_reader_open(base_path, NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(mstore_reader_info(r, NULL), MSTORE_E_INVAL);
	ck_assert_int_eq(mstore_reader_family(r, 0, NULL), MSTORE_E_INVAL);
	ck_assert_msg(tu_find_family(r, "tu_requests_total", &f) == 0, "family not found");
	ck_assert_msg(tu_find_family(r, "tu_latency_seconds", &g) == 0, "family not found");
	ck_assert_int_eq(mstore_reader_series_first(r, NULL, &s), MSTORE_E_INVAL);
	ck_assert_int_eq(mstore_reader_series_first(r, &f, &s), 1);
	ck_assert_int_eq(mstore_reader_snapshot(r, &f, &s, NULL), MSTORE_E_INVAL);
	/* a series view paired with another family's view */
	ck_assert_int_eq(mstore_reader_snapshot(r, &g, &s, &snap), MSTORE_E_INVAL);
	ck_assert_int_eq(mstore_reader_series_next(r, &g, &s), MSTORE_E_INVAL);
	mstore_reader_close(r);
}
END_TEST

START_TEST(test_refresh_growth)
{
	struct mstore *st;
	struct mstore_reader *r;
	struct mstore_family *fam;
	struct mstore_series *x;
	struct mstore_family_view f;
	struct mstore_series_view s;
	struct mstore_snapshot snap;
	int err;

	st = tu_sample_store(mut_path, &small_opts, &err);
	ck_assert_ptr_nonnull(st);
	r = mstore_reader_open(mut_path, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(mstore_reader_refresh(r), 0);
	ck_assert_int_eq(mstore_gauge_family(st, "late", NULL, NULL, 0, NULL, &fam), 0);
	ck_assert_int_eq(mstore_series_get(fam, NULL, &x), 0);
	ck_assert_int_eq(mstore_gauge_set(x, 7), 0);
	ck_assert_uint_eq(mstore_reader_family_count(r), 4); /* not before refresh */
	ck_assert_int_eq(mstore_reader_refresh(r), 0);
	ck_assert_uint_eq(mstore_reader_family_count(r), 5);
	ck_assert_msg(tu_find_family(r, "late", &f) == 0, "family not found");
	ck_assert_int_eq(mstore_reader_series_first(r, &f, &s), 1);
	ck_assert_int_eq(mstore_reader_snapshot(r, &f, &s, &snap), 0);
	ck_assert_double_eq(snap.value, 7);
	ck_assert_int_eq(mstore_gauge_set(x, 8), 0); /* values are live */
	ck_assert_int_eq(mstore_reader_snapshot(r, &f, &s, &snap), 0);
	ck_assert_double_eq(snap.value, 8);
	mstore_reader_close(r);
	mstore_close(st);
}
END_TEST

START_TEST(test_refresh_replaced)
{
	struct mstore *st, *st2;
	struct mstore_reader *r;
	struct mstore_family *fam;
	int err;

	st = tu_sample_store(mut_path, &small_opts, &err);
	ck_assert_ptr_nonnull(st);
	r = mstore_reader_open(mut_path, &err);
	ck_assert_ptr_nonnull(r);
	st2 = mstore_create(mut_path, NULL, &err);
	ck_assert_ptr_nonnull(st2);
	ck_assert_int_eq(mstore_gauge_family(st2, "only", NULL, NULL, 0, NULL, &fam), 0);
	ck_assert_int_eq(mstore_reader_refresh(r), 1);
	ck_assert_uint_eq(mstore_reader_family_count(r), 1);
	ck_assert_int_eq(mstore_reader_refresh(r), 0);
	/* deleted: error, no mapping; recreated: back with 1 */
	ck_assert_int_eq(unlink(mut_path), 0);
	ck_assert_int_eq(mstore_reader_refresh(r), MSTORE_E_SYS);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_uint_eq(mstore_reader_family_count(r), 0);
	mstore_close(st);
	st = tu_sample_store(mut_path, &small_opts, &err);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(mstore_reader_refresh(r), 1);
	ck_assert_uint_eq(mstore_reader_family_count(r), 4);
	mstore_reader_close(r);
	mstore_close(st);
	mstore_close(st2);
}
END_TEST

START_TEST(test_refresh_truncated)
{
	struct mstore *st;
	struct mstore_reader *r;
	struct mstore_family_view f;
	struct mstore_info info;
	int err;

	st = tu_sample_store(mut_path, &small_opts, &err);
	ck_assert_ptr_nonnull(st);
	r = mstore_reader_open(mut_path, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(truncate(mut_path, 100), 0);
	ck_assert_int_eq(mstore_reader_refresh(r), MSTORE_E_TRUNCATED);
	ck_assert_int_eq(errno, EBADMSG);
	/* every call now fails without touching the mapping (no SIGBUS) */
	ck_assert_uint_eq(mstore_reader_family_count(r), 0);
	ck_assert_int_eq(mstore_reader_family(r, 0, &f), MSTORE_E_TRUNCATED);
	ck_assert_int_eq(mstore_reader_info(r, &info), MSTORE_E_TRUNCATED);
	ck_assert_int_eq(mstore_reader_fresh(r, 0, NULL), MSTORE_E_TRUNCATED);
	ck_assert_int_eq(mstore_reader_refresh(r), MSTORE_E_TRUNCATED);
	mstore_close(st);
	st = tu_sample_store(mut_path, &small_opts, &err);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(mstore_reader_refresh(r), 1);
	ck_assert_int_eq(walk_all(r), 6);
	mstore_reader_close(r);
	mstore_close(st);
}
END_TEST

/* A directory, a FIFO (opening it must not block: no writer ever comes)
 * or a device at the path is not a store; neither is a path replaced by
 * one after open.  A symlink to a store is fine. */
START_TEST(test_not_regular)
{
	char link[TU_PATH_MAX];
	struct mstore_reader *r;
	int err;

	ck_assert_int_eq(mkfifo(mut_path, 0600), 0);
	ck_assert_ptr_null(mstore_reader_open(mut_path, &err));
	ck_assert_int_eq(err, MSTORE_E_NOT_REGULAR);
	ck_assert_int_eq(errno, EBADMSG);
	ck_assert_str_eq(mstore_strerror(err), "not a regular file");
	if (access("/dev/null", R_OK) == 0) {
		ck_assert_ptr_null(mstore_reader_open("/dev/null", &err));
		ck_assert_int_eq(err, MSTORE_E_NOT_REGULAR);
	}
	ck_assert_ptr_nonnull(tu_path(&dir, "link", link, sizeof(link)));
	ck_assert_int_eq(symlink(base_path, link), 0);
	r = mstore_reader_open(link, &err);
	ck_assert_msg(r != NULL, "%s", mstore_strerror(err));
	ck_assert_int_eq(unlink(link), 0);
	ck_assert_int_eq(symlink(mut_path, link), 0); /* now the FIFO */
	ck_assert_int_eq(mstore_reader_refresh(r), MSTORE_E_NOT_REGULAR);
	ck_assert_uint_eq(mstore_reader_family_count(r), 0);
	ck_assert_int_eq(unlink(link), 0);
	ck_assert_int_eq(symlink(base_path, link), 0);
	ck_assert_int_eq(mstore_reader_refresh(r), 1);
	ck_assert_int_eq(walk_all(r), 6);
	mstore_reader_close(r);
}
END_TEST

/* A counter's value is the shared integer slot, the per-thread shards and
 * the double slot added up. */
START_TEST(test_counter_shard_sum)
{
	struct mstore_reader *r;
	struct mstore_family_view f;
	struct mstore_series_view s;
	struct mstore_snapshot snap;
	uint64_t v[MSTORE_COUNTER_SLOTS] = { 0 }, mult = 10;
	double half = 0.5;
	uint32_t i;
	int rc, err;

	v[MSTORE_COUNTER_SHARED] = 1;
	memcpy(&v[MSTORE_COUNTER_FRAC], &half, sizeof(half));
	for (i = 0; i < MSTORE_COUNTER_SHARDS; i++, mult *= 10)
		v[MSTORE_COUNTER_SHARD0 + i] = mult; /* 10, 100, 1000, 10000 */
	/* series 2 is tu_requests_total{GET,500} */
	memcpy(img + hdr(img)->value_off + (size_t)srec(img, 2)->value_off * MSTORE_SLOT_SIZE, v,
	       sizeof(v));
	ck_assert_int_eq(tu_write_file(mut_path, img, img_len), 0);
	r = mstore_reader_open(mut_path, &err);
	ck_assert_msg(r != NULL, "%s", mstore_strerror(err));
	ck_assert_msg(tu_find_family(r, "tu_requests_total", &f) == 0, "family not found");
	for (rc = mstore_reader_series_first(r, &f, &s); rc == 1 && s.index != 2;
	     rc = mstore_reader_series_next(r, &f, &s))
		;
	ck_assert_int_eq(rc, 1);
	ck_assert_int_eq(mstore_reader_snapshot(r, &f, &s, &snap), 0);
	ck_assert_double_eq(snap.value, 11111.5);
	mstore_reader_close(r);
}
END_TEST

/* Writer slot 0's heartbeat and clock identity in the file at path. */
static void
set_heartbeat(const char *path, int64_t v)
{
	ck_assert_int_eq(tu_patch_heartbeat(path, 0, v), 0);
}

static void
set_writer_clock(const char *path, const struct mstore_clock_id *c)
{
	ck_assert_int_eq(tu_patch_writer_clock(path, 0, c), 0);
}

static int64_t
boottime_ns(void)
{
	struct timespec ts;

	ck_assert_int_eq(clock_gettime(CLOCK_BOOTTIME, &ts), 0);
	return (int64_t)ts.tv_sec * MSTORE_NS_PER_SEC + ts.tv_nsec;
}

/* Liveness on the real clock, with the heartbeat record patched. */
START_TEST(test_liveness)
{
	struct mstore_options stat_opts = small_opts;
	struct mstore_clock_id other = *mstore_clock_self();
	struct mstore_liveness l;
	struct mstore *st;
	struct mstore_reader *r;
	int64_t age = -1, now;
	int err;

	st = tu_sample_store(mut_path, &small_opts, &err);
	ck_assert_ptr_nonnull(st);
	r = mstore_reader_open(mut_path, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(mstore_reader_liveness(r, 0, &l), 1);
	ck_assert_int_eq(l.state, MSTORE_WRITER_ALIVE);
	ck_assert_int_ge(l.age_ns, 0);
	ck_assert_int_lt(l.age_ns, MSTORE_NS_PER_SEC);
	ck_assert_int_eq(l.limit_ns, MSTORE_STALE_TICKS * MSTORE_NS_PER_SEC); /* 1 s ticks */
	ck_assert_int_eq(mstore_reader_fresh(r, 0, &age), 1);
	ck_assert_int_ge(age, 0);

	now = boottime_ns();
	set_heartbeat(mut_path, now - OLD_HB_NS);
	ck_assert_int_eq(mstore_reader_liveness(r, 0, &l), 0);
	ck_assert_int_eq(l.state, MSTORE_WRITER_STALE);
	ck_assert_int_ge(l.age_ns, OLD_HB_NS);
	ck_assert_int_eq(mstore_reader_fresh(r, 0, &age), 0);
	ck_assert_int_ge(age, OLD_HB_NS);
	ck_assert_int_eq(mstore_reader_liveness(r, 2 * OLD_HB_NS, &l), 1);
	ck_assert_int_eq(l.limit_ns, 2 * OLD_HB_NS);

	/* from the future: not alive, age 0, how far ahead */
	set_heartbeat(mut_path, boottime_ns() + OLD_HB_NS);
	ck_assert_int_eq(mstore_reader_liveness(r, 0, &l), 0);
	ck_assert_int_eq(l.state, MSTORE_WRITER_FUTURE);
	ck_assert_int_eq(l.age_ns, 0);
	ck_assert_int_gt(l.ahead_ns, OLD_HB_NS - MSTORE_NS_PER_SEC);
	ck_assert_int_le(l.ahead_ns, OLD_HB_NS);
	ck_assert_int_eq(mstore_reader_fresh(r, 0, &age), 0);
	ck_assert_int_eq(age, 0);

	/* a writer in a time namespace 1 h ahead: its offset is subtracted */
	other.boottime_offset_ns = 3600 * MSTORE_NS_PER_SEC;
	set_writer_clock(mut_path, &other);
	set_heartbeat(mut_path, boottime_ns() + other.boottime_offset_ns);
	ck_assert_int_eq(mstore_reader_liveness(r, 0, &l), 1);
	ck_assert_int_lt(l.age_ns, MSTORE_NS_PER_SEC);

	/* another boot: the same numbers prove nothing (needs our boot id) */
	other.boot_id[0] ^= 1;
	set_writer_clock(mut_path, &other);
	if (memcmp(mstore_clock_self()->boot_id, (unsigned char[MSTORE_BOOT_ID_LEN]){ 0 },
	           MSTORE_BOOT_ID_LEN) != 0) {
		ck_assert_int_eq(mstore_reader_liveness(r, 0, &l), 0);
		ck_assert_int_eq(l.state, MSTORE_WRITER_OTHER_BOOT);
		ck_assert_int_eq(l.age_ns, 0);
	}

	/* a heartbeat no kernel gives: corrupt, the reader itself stays usable */
	set_heartbeat(mut_path, -1);
	ck_assert_int_eq(mstore_reader_liveness(r, 0, &l), MSTORE_E_CORRUPT);
	ck_assert_int_eq(mstore_reader_fresh(r, 0, &age), MSTORE_E_CORRUPT);
	ck_assert_int_eq(mstore_reader_family_count(r), 4);
	ck_assert_int_eq(mstore_reader_liveness(r, 0, NULL), MSTORE_E_INVAL);
	ck_assert_int_eq(mstore_reader_liveness(NULL, 0, &l), MSTORE_E_INVAL);

	/* the writer's next heartbeat, with its own clock record again */
	set_writer_clock(mut_path, mstore_clock_self());
	ck_assert_int_eq(mstore_heartbeat(st), 0);
	ck_assert_int_eq(mstore_reader_liveness(r, 0, &l), 1);
	ck_assert_int_eq(l.state, MSTORE_WRITER_ALIVE);
	mstore_reader_close(r);
	mstore_close(st);

	/* static: alive whatever the heartbeat says, with the age it can tell */
	stat_opts.flags = MSTORE_F_STATIC;
	st = tu_sample_store(mut_path, &stat_opts, &err);
	ck_assert_ptr_nonnull(st);
	r = mstore_reader_open(mut_path, &err);
	ck_assert_ptr_nonnull(r);
	set_heartbeat(mut_path, now - OLD_HB_NS);
	ck_assert_int_eq(mstore_reader_liveness(r, 0, &l), 1);
	ck_assert_int_eq(l.state, MSTORE_WRITER_STATIC);
	ck_assert_int_ge(l.age_ns, OLD_HB_NS);
	set_heartbeat(mut_path, boottime_ns() + OLD_HB_NS);
	ck_assert_int_eq(mstore_reader_liveness(r, 0, &l), 1);
	ck_assert_int_eq(l.state, MSTORE_WRITER_STATIC);
	ck_assert_int_eq(l.age_ns, 0);
	mstore_reader_close(r);
	mstore_close(st);
}
END_TEST

/* ----------------------------------------------------------- the clock */

#define S(x)      ((int64_t)(x)*MSTORE_NS_PER_SEC)
#define MS(x)     ((int64_t)(x)*MSTORE_NS_PER_MS)
#define CLOCK_MAX MSTORE_CLOCK_MAX_NS

/* One judgement with fabricated clocks: the writer's boot (0: unknown, else
 * its first byte) and offset, its heartbeat; the reader's boot, offset and
 * now; the limit; what must come out. */
struct judge_case {
	const char *what;
	unsigned char wboot;
	int64_t woff, hb;
	unsigned char rboot;
	int64_t roff, now, limit;
	int rc;
	enum mstore_writer_state state;
	int64_t age, ahead;
};

/* clang-format off */
static const struct judge_case judge_cases[] = {
	{ "fresh", 1, 0, S(100), 1, 0, S(102), S(3), 1, MSTORE_WRITER_ALIVE, S(2), 0 },
	{ "at the limit", 1, 0, S(100), 1, 0, S(103), S(3), 1, MSTORE_WRITER_ALIVE, S(3), 0 },
	{ "past the limit", 1, 0, S(100), 1, 0, S(103) + 1, S(3), 0, MSTORE_WRITER_STALE, S(3) + 1, 0 },
	{ "an hour old", 1, 0, S(100), 1, 0, S(3700), S(3), 0, MSTORE_WRITER_STALE, S(3600), 0 },
	{ "stamped at once", 1, 0, S(100), 1, 0, S(100), S(3), 1, MSTORE_WRITER_ALIVE, 0, 0 },
	{ "ahead within the slack", 1, 0, S(100) + MSTORE_FUTURE_SLACK_NS, 1, 0, S(100), S(3), 1, MSTORE_WRITER_ALIVE, 0, 0 },
	{ "ahead past the slack", 1, 0, S(100) + MSTORE_FUTURE_SLACK_NS + 1, 1, 0, S(100), S(3), 0, MSTORE_WRITER_FUTURE, 0, MSTORE_FUTURE_SLACK_NS + 1 },
	{ "an hour ahead", 1, 0, S(3700), 1, 0, S(100), S(3), 0, MSTORE_WRITER_FUTURE, 0, S(3600) },
	{ "other boot", 1, 0, S(100), 2, 0, S(100), S(3), 0, MSTORE_WRITER_OTHER_BOOT, 0, 0 },
	{ "other boot, older", 1, 0, S(100), 2, 0, S(5000), S(3), 0, MSTORE_WRITER_OTHER_BOOT, 0, 0 },
	{ "writer's boot unknown", 0, 0, S(100), 2, 0, S(101), S(3), 1, MSTORE_WRITER_ALIVE, S(1), 0 },
	{ "reader's boot unknown", 1, 0, S(100), 0, 0, S(101), S(3), 1, MSTORE_WRITER_ALIVE, S(1), 0 },
	/* time namespaces: the host's clock read 100 s at the heartbeat */
	{ "writer 1 h ahead", 1, S(3600), S(3700), 1, 0, S(101), S(3), 1, MSTORE_WRITER_ALIVE, S(1), 0 },
	{ "reader 1 h ahead", 1, 0, S(100), 1, S(3600), S(3701), S(3), 1, MSTORE_WRITER_ALIVE, S(1), 0 },
	{ "reader 1 h ahead, writer dead", 1, 0, S(100), 1, S(3600), S(3710), S(3), 0, MSTORE_WRITER_STALE, S(10), 0 },
	{ "writer 50 s behind", 1, -S(50), S(50), 1, S(7), S(108), S(3), 1, MSTORE_WRITER_ALIVE, S(1), 0 },
	{ "both, different", 1, S(7200), S(7300), 1, S(3600), S(3702), S(3), 1, MSTORE_WRITER_ALIVE, S(2), 0 },
	{ "writer's offset not subtracted would look 1 h old", 1, -S(3600), 0, 1, 0, S(3600) + MS(500), S(3), 1, MSTORE_WRITER_ALIVE, MS(500), 0 },
	/* values no kernel gives */
	{ "heartbeat negative", 1, 0, -1, 1, 0, S(100), S(3), MSTORE_E_CORRUPT, 0, 0, 0 },
	{ "heartbeat huge", 1, 0, CLOCK_MAX + 1, 1, 0, S(100), S(3), MSTORE_E_CORRUPT, 0, 0, 0 },
	{ "offset huge", 1, CLOCK_MAX + 1, S(100), 1, 0, S(100), S(3), MSTORE_E_CORRUPT, 0, 0, 0 },
	{ "offset very negative", 1, -CLOCK_MAX - 1, S(100), 1, 0, S(100), S(3), MSTORE_E_CORRUPT, 0, 0, 0 },
	/* extremes that are still valid: saturate, never wrap */
	{ "extreme future", 1, -CLOCK_MAX, CLOCK_MAX, 1, INT64_MAX, 0, S(3), 0, MSTORE_WRITER_FUTURE, 0, INT64_MAX },
	{ "extreme age", 1, CLOCK_MAX, 0, 1, INT64_MIN, INT64_MAX, S(3), 0, MSTORE_WRITER_STALE, INT64_MAX, 0 },
};
/* clang-format on */

START_TEST(test_judge)
{
	const struct judge_case *c = &judge_cases[_i];
	struct mstore_clock_id w = { .boottime_offset_ns = c->woff };
	struct mstore_clock_id r = { .boottime_offset_ns = c->roff };
	struct mstore_liveness l;
	int rc;

	w.boot_id[0] = c->wboot;
	r.boot_id[0] = c->rboot;
	rc = mstore_beat_judge(&w, c->hb, &r, c->now, c->limit, &l);
	ck_assert_msg(rc == c->rc, "%s: rc %d, want %d", c->what, rc, c->rc);
	if (rc < 0)
		return;
	ck_assert_msg(l.state == c->state, "%s: state %d, want %d", c->what, l.state, c->state);
	ck_assert_msg(l.age_ns == c->age, "%s: age %lld, want %lld", c->what, (long long)l.age_ns,
	              (long long)c->age);
	ck_assert_msg(l.ahead_ns == c->ahead, "%s: ahead %lld, want %lld", c->what,
	              (long long)l.ahead_ns, (long long)c->ahead);
	ck_assert_int_eq(l.limit_ns, c->limit);
	ck_assert_int_eq(rc, l.state == MSTORE_WRITER_ALIVE);
}
END_TEST

START_TEST(test_clock_parse)
{
	static const unsigned char want[MSTORE_BOOT_ID_LEN] = { 0x07, 0xb5, 0xfe, 0x50, 0x5e, 0x93,
		                                                0x40, 0xc9, 0xad, 0xc2, 0xf2, 0x95,
		                                                0x9e, 0xac, 0x5f, 0x2a };
	static const char *const bad_ids[] = {
		"",
		"\n",
		"07b5fe50-5e93-40c9-adc2-f2959eac5f2\n",
		"07b5fe50-5e93-40c9-adc2-f2959eac5f2a0\n",
		"07b5fe50-5e93-40c9-adc2-f2959eac5f2g\n",
		"07b5fe50 5e93-40c9-adc2-f2959eac5f2a",
	};
	unsigned char id[MSTORE_BOOT_ID_LEN];
	size_t i;

	memset(id, 0, sizeof id);
	ck_assert_int_eq(mstore_clock_parse_boot_id("07b5fe50-5e93-40c9-adc2-f2959eac5f2a\n", id),
	                 0);
	ck_assert_mem_eq(id, want, sizeof want);
	ck_assert_int_eq(mstore_clock_parse_boot_id("07B5FE505E9340C9ADC2F2959EAC5F2A", id), 0);
	ck_assert_mem_eq(id, want, sizeof want);
	for (i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
		memset(id, 0, sizeof id);
		ck_assert_msg(mstore_clock_parse_boot_id(bad_ids[i], id) == -1, "[%s]", bad_ids[i]);
		ck_assert_int_eq(id[0], 0); /* untouched */
	}

	ck_assert_int_eq(mstore_clock_parse_timens("monotonic           0         0\n"
	                                           "boottime         3600         0\n"),
	                 S(3600));
	ck_assert_int_eq(mstore_clock_parse_timens("boottime -1 500000000\nmonotonic 7 0\n"),
	                 -MS(500));
	ck_assert_int_eq(mstore_clock_parse_timens("monotonic 5 0\n"), 0);
	ck_assert_int_eq(mstore_clock_parse_timens(""), 0);
	ck_assert_int_eq(mstore_clock_parse_timens("boottimex 5 0\n"), 0);
	ck_assert_int_eq(mstore_clock_parse_timens("boottime 5 1000000000\n"), 0);
	ck_assert_int_eq(mstore_clock_parse_timens("boottime 5 -1\n"), 0);
	ck_assert_int_eq(mstore_clock_parse_timens("boottime 99999999999999999999 0\n"), 0);
	ck_assert_int_eq(mstore_clock_parse_timens("boottime 9223372036 0\n"), 0);
}
END_TEST

/* --------------------------------------------------------------- errors */

/* A mutation of the image; returns the new length. */
typedef size_t (*mutate_fn)(unsigned char *b, size_t len);

struct bad_case {
	const char *what;
	mutate_fn fn;
	int want;
};

/* clang-format off */
static size_t m_len0(unsigned char *b, size_t n) { (void)b; (void)n; return 0; }
static size_t m_len1(unsigned char *b, size_t n) { (void)b; (void)n; return 1; }
static size_t m_len255(unsigned char *b, size_t n) { (void)b; (void)n; return MSTORE_HDR_SIZE - 1; }
static size_t m_len256(unsigned char *b, size_t n) { (void)b; (void)n; return MSTORE_HDR_SIZE; }
static size_t m_short1(unsigned char *b, size_t n) { (void)b; return n - 1; }
static size_t m_short_page(unsigned char *b, size_t n) { (void)b; return n - 4096; }
static size_t m_longer(unsigned char *b, size_t n) { (void)b; return n + 4096; }
static size_t m_zero(unsigned char *b, size_t n) { memset(b, 0, n); return n; }
static size_t m_magic(unsigned char *b, size_t n) { b[3] ^= 1; return n; }
static size_t m_version(unsigned char *b, size_t n) { hdr(b)->version_major = MSTORE_VERSION_MAJOR + 1; return n; }
static size_t m_version_old(unsigned char *b, size_t n) { hdr(b)->version_major = 1; return n; }
static size_t m_version_2(unsigned char *b, size_t n) { hdr(b)->version_major = 2; return n; }
static size_t m_byteorder(unsigned char *b, size_t n) { hdr(b)->byte_order = __builtin_bswap64(MSTORE_BYTE_ORDER_MARK); return n; }
static size_t m_recsize(unsigned char *b, size_t n) { hdr(b)->family_rec_size += 8; return n; }
static size_t m_hdrsize(unsigned char *b, size_t n) { hdr(b)->header_size = 2 * MSTORE_HDR_SIZE; return n; }
static size_t m_fam_misaligned(unsigned char *b, size_t n) { hdr(b)->family_off += 8; return n; }
static size_t m_series_at_end(unsigned char *b, size_t n) { hdr(b)->series_off = hdr(b)->file_size; return n; }
static size_t m_string_huge(unsigned char *b, size_t n) { hdr(b)->string_off = UINT64_MAX - 63; return n; }
static size_t m_max_series(unsigned char *b, size_t n) { hdr(b)->max_series = UINT32_MAX; return n; }
static size_t m_no_strings(unsigned char *b, size_t n) { hdr(b)->string_bytes = 0; return n; }
static size_t m_overlap(unsigned char *b, size_t n) { hdr(b)->value_off = hdr(b)->series_off; return n; }
static size_t m_nfam(unsigned char *b, size_t n) { atomic_store(&hdr(b)->families, hdr(b)->max_families + 1); return n; }
static size_t m_nser(unsigned char *b, size_t n) { atomic_store(&hdr(b)->series, hdr(b)->max_series + 1); return n; }
static size_t m_tick(unsigned char *b, size_t n) { hdr(b)->tick_interval_ns = 0; return n; }
static size_t m_hb_neg(unsigned char *b, size_t n) { atomic_store(&wrec(b, 0)->heartbeat_ns, -1); return n; }
static size_t m_hb_offset(unsigned char *b, size_t n) { atomic_store(&wrec(b, 0)->boottime_offset_ns, INT64_MIN); return n; }
static size_t m_empty_str(unsigned char *b, size_t n) { b[hdr(b)->string_off] = 'x'; return n; }
static size_t m_name_off(unsigned char *b, size_t n) { frec(b, 0)->name.off = hdr(b)->string_bytes; return n; }
static size_t m_name_len(unsigned char *b, size_t n) { frec(b, 0)->name.len = hdr(b)->string_bytes; return n; }
static size_t m_name_unterm(unsigned char *b, size_t n) { frec(b, 0)->name.len -= 1; return n; }
static size_t m_name_toolong(unsigned char *b, size_t n) { frec(b, 0)->name.len = MSTORE_NAME_MAX + 1; return n; }
static size_t m_name_char(unsigned char *b, size_t n) { str_at(b, frec(b, 0)->name)[0] = '9'; return n; }
static size_t m_name_reserved(unsigned char *b, size_t n) { memcpy(str_at(b, frec(b, 0)->name), "__", 2); return n; }
static size_t m_name_colon(unsigned char *b, size_t n) { str_at(b, frec(b, 0)->name)[2] = ':'; return n; }
static size_t m_name_camel(unsigned char *b, size_t n) { str_at(b, frec(b, 2)->name)[5] = 'P'; return n; }
static size_t m_name_no_total(unsigned char *b, size_t n) { str_at(b, frec(b, 0)->name)[frec(b, 0)->name.len - 1] = 's'; return n; }
static size_t m_name_gauge_total(unsigned char *b, size_t n) { frec(b, 2)->name = frec(b, 0)->name; return n; }
static size_t m_name_gauge_count(unsigned char *b, size_t n) { memcpy(str_at(b, frec(b, 2)->name), "tu_count", 8); return n; }
static size_t m_name_type(unsigned char *b, size_t n) { memcpy(str_at(b, frec(b, 2)->name), "tu_gauge", 8); return n; }
static size_t m_name_unit(unsigned char *b, size_t n) { memcpy(str_at(b, frec(b, 2)->name), "tu_hours", 8); return n; }
static size_t m_name_abbrev(unsigned char *b, size_t n) { memcpy(str_at(b, frec(b, 2)->name), "tu_xx_ms", 8); return n; }
/* gauge "tu_empty" renamed "tu_latency_seconds", the histogram's name:
 * valid alone, but the two clash */
static size_t m_names_clash(unsigned char *b, size_t n) { frec(b, 2)->name = frec(b, 3)->name; return n; }
static size_t m_type(unsigned char *b, size_t n) { frec(b, 0)->type = 7; return n; }
static size_t m_nlabels(unsigned char *b, size_t n) { frec(b, 0)->nlabels = MSTORE_MAX_LABELS + 1; return n; }
static size_t m_nslots(unsigned char *b, size_t n) { frec(b, 0)->nslots = 5; return n; }
static size_t m_gauge_bounds(unsigned char *b, size_t n) { frec(b, 1)->nbounds = 1; return n; }
static size_t m_nbounds(unsigned char *b, size_t n) { frec(b, 3)->nbounds = MSTORE_MAX_BUCKETS + 1; frec(b, 3)->nslots = MSTORE_MAX_BUCKETS + 5; return n; }
static size_t m_bounds_eq(unsigned char *b, size_t n) { frec(b, 3)->bounds[1] = frec(b, 3)->bounds[0]; return n; }
static size_t m_bounds_inf(unsigned char *b, size_t n) { frec(b, 3)->bounds[2] = INFINITY; return n; }
static size_t m_help_utf8(unsigned char *b, size_t n) { str_at(b, frec(b, 1)->help)[0] = (char)0xff; return n; }
static size_t m_help_nul(unsigned char *b, size_t n) { str_at(b, frec(b, 1)->help)[1] = '\0'; return n; }
static size_t m_unit(unsigned char *b, size_t n) { str_at(b, frec(b, 1)->unit)[0] = 'x'; return n; }
static size_t m_label_le(unsigned char *b, size_t n)
{
	frec(b, 3)->label[0].len = 2;
	memcpy(str_at(b, frec(b, 3)->label[0]), "le", 3);
	return n;
}
static size_t m_label_le_counter(unsigned char *b, size_t n)
{
	frec(b, 0)->label[1].len = 2;
	memcpy(str_at(b, frec(b, 0)->label[1]), "le", 3);
	return n;
}
static size_t m_label_camel(unsigned char *b, size_t n) { str_at(b, frec(b, 0)->label[0])[2] = 'T'; return n; }
static size_t m_label_dup(unsigned char *b, size_t n) { frec(b, 0)->label[1] = frec(b, 0)->label[0]; return n; }
static size_t m_label_char(unsigned char *b, size_t n) { str_at(b, frec(b, 0)->label[0])[1] = '-'; return n; }
static size_t m_first_oob(unsigned char *b, size_t n) { atomic_store(&frec(b, 0)->first_series, hdr(b)->max_series); return n; }
static size_t m_first_foreign(unsigned char *b, size_t n) { atomic_store(&frec(b, 1)->first_series, 0); return n; }
static size_t m_sval_off(unsigned char *b, size_t n) { struct mstore_str r = slabel(b, 0, 0); r.off = hdr(b)->string_bytes + 5; slabel_set(b, 0, 0, r); return n; }
static size_t m_sval_unterm(unsigned char *b, size_t n) { struct mstore_str r = slabel(b, 0, 0); r.len += 1; slabel_set(b, 0, 0, r); return n; }
static size_t m_sval_utf8(unsigned char *b, size_t n) { str_at(b, slabel(b, 4, 0))[0] = (char)0xc3; return n; }
static size_t m_value_off(unsigned char *b, size_t n) { srec(b, 0)->value_off = hdr(b)->value_slots - 1; return n; }
static size_t m_sfam_other(unsigned char *b, size_t n) { srec(b, 0)->family = 3; return n; }
static size_t m_sfam_oob(unsigned char *b, size_t n) { srec(b, 0)->family = 99; return n; }
static size_t m_self_cycle(unsigned char *b, size_t n) { atomic_store(&srec(b, 1)->next, 1); return n; }
static size_t m_back_cycle(unsigned char *b, size_t n) { atomic_store(&srec(b, 2)->next, 0); return n; }
static size_t m_next_oob(unsigned char *b, size_t n) { atomic_store(&srec(b, 0)->next, hdr(b)->max_series); return n; }
static size_t m_next_foreign(unsigned char *b, size_t n) { atomic_store(&srec(b, 2)->next, 3); return n; }
/* clang-format on */

static const struct bad_case bad_cases[] = {
	{ "empty file", m_len0, MSTORE_E_TRUNCATED },
	{ "1 byte", m_len1, MSTORE_E_TRUNCATED },
	{ "header - 1", m_len255, MSTORE_E_TRUNCATED },
	{ "header only", m_len256, MSTORE_E_TRUNCATED },
	{ "1 byte short", m_short1, MSTORE_E_TRUNCATED },
	{ "a page short", m_short_page, MSTORE_E_TRUNCATED },
	{ "longer than header says", m_longer, MSTORE_E_BOUNDS },
	{ "zero-filled", m_zero, MSTORE_E_MAGIC },
	{ "magic", m_magic, MSTORE_E_MAGIC },
	{ "version", m_version, MSTORE_E_VERSION },
	{ "version 1 (counters without shards)", m_version_old, MSTORE_E_VERSION },
	{ "version 2 (wall-clock heartbeat)", m_version_2, MSTORE_E_VERSION },
	{ "byte order", m_byteorder, MSTORE_E_ABI },
	{ "record size", m_recsize, MSTORE_E_ABI },
	{ "header size", m_hdrsize, MSTORE_E_ABI },
	{ "family_off misaligned", m_fam_misaligned, MSTORE_E_BOUNDS },
	{ "series region past end", m_series_at_end, MSTORE_E_BOUNDS },
	{ "string_off huge", m_string_huge, MSTORE_E_BOUNDS },
	{ "max_series huge", m_max_series, MSTORE_E_BOUNDS },
	{ "no string region", m_no_strings, MSTORE_E_BOUNDS },
	{ "regions overlap", m_overlap, MSTORE_E_BOUNDS },
	{ "families > capacity", m_nfam, MSTORE_E_BOUNDS },
	{ "series > capacity", m_nser, MSTORE_E_BOUNDS },
	{ "tick 0", m_tick, MSTORE_E_CORRUPT },
	{ "heartbeat negative", m_hb_neg, MSTORE_E_CORRUPT },
	{ "heartbeat clock offset beyond any kernel's", m_hb_offset, MSTORE_E_CORRUPT },
	{ "empty string not empty", m_empty_str, MSTORE_E_CORRUPT },
	{ "name offset out of bounds", m_name_off, MSTORE_E_BOUNDS },
	{ "name length out of bounds", m_name_len, MSTORE_E_BOUNDS },
	{ "name unterminated", m_name_unterm, MSTORE_E_CORRUPT },
	{ "name too long", m_name_toolong, MSTORE_E_CORRUPT },
	{ "name invalid", m_name_char, MSTORE_E_CORRUPT },
	{ "name reserved", m_name_reserved, MSTORE_E_CORRUPT },
	{ "name with a colon", m_name_colon, MSTORE_E_CORRUPT },
	{ "name in camelCase", m_name_camel, MSTORE_E_CORRUPT },
	{ "counter without _total", m_name_no_total, MSTORE_E_CORRUPT },
	{ "gauge with _total", m_name_gauge_total, MSTORE_E_CORRUPT },
	{ "gauge with _count", m_name_gauge_count, MSTORE_E_CORRUPT },
	{ "type in the name", m_name_type, MSTORE_E_CORRUPT },
	{ "non-base unit", m_name_unit, MSTORE_E_CORRUPT },
	{ "abbreviated unit", m_name_abbrev, MSTORE_E_CORRUPT },
	{ "two families clash", m_names_clash, MSTORE_E_CORRUPT },
	{ "type", m_type, MSTORE_E_CORRUPT },
	{ "nlabels", m_nlabels, MSTORE_E_CORRUPT },
	{ "nslots", m_nslots, MSTORE_E_CORRUPT },
	{ "gauge with bounds", m_gauge_bounds, MSTORE_E_CORRUPT },
	{ "nbounds", m_nbounds, MSTORE_E_CORRUPT },
	{ "bounds not increasing", m_bounds_eq, MSTORE_E_CORRUPT },
	{ "bound infinite", m_bounds_inf, MSTORE_E_CORRUPT },
	{ "help invalid UTF-8", m_help_utf8, MSTORE_E_CORRUPT },
	{ "help with NUL", m_help_nul, MSTORE_E_CORRUPT },
	{ "unit suffix", m_unit, MSTORE_E_CORRUPT },
	{ "label le on histogram", m_label_le, MSTORE_E_CORRUPT },
	{ "label le on counter", m_label_le_counter, MSTORE_E_CORRUPT },
	{ "label in camelCase", m_label_camel, MSTORE_E_CORRUPT },
	{ "label duplicate", m_label_dup, MSTORE_E_CORRUPT },
	{ "label invalid", m_label_char, MSTORE_E_CORRUPT },
	{ "first series out of bounds", m_first_oob, MSTORE_E_BOUNDS },
	{ "first series of another family", m_first_foreign, MSTORE_E_CORRUPT },
	{ "label value offset out of bounds", m_sval_off, MSTORE_E_BOUNDS },
	{ "label value unterminated", m_sval_unterm, MSTORE_E_CORRUPT },
	{ "label value invalid UTF-8", m_sval_utf8, MSTORE_E_CORRUPT },
	{ "value offset out of bounds", m_value_off, MSTORE_E_BOUNDS },
	{ "series of another family", m_sfam_other, MSTORE_E_CORRUPT },
	{ "series family out of bounds", m_sfam_oob, MSTORE_E_CORRUPT },
	{ "chain self cycle", m_self_cycle, MSTORE_E_CORRUPT },
	{ "chain cycle backwards", m_back_cycle, MSTORE_E_CORRUPT },
	{ "chain next out of bounds", m_next_oob, MSTORE_E_BOUNDS },
	{ "chain into another family", m_next_foreign, MSTORE_E_CORRUPT },
};

START_TEST(test_bad_file)
{
	const struct bad_case *c = &bad_cases[_i];
	size_t len = c->fn(img, img_len);
	struct mstore_reader *r;
	int err = 0;

	ck_assert_int_eq(tu_write_file(mut_path, img, len), 0);
	errno = 0;
	r = mstore_reader_open(mut_path, &err);
	ck_assert_msg(r == NULL, "%s: opened a bad file", c->what);
	ck_assert_msg(err == c->want, "%s: got %d (%s), want %d (%s)", c->what, err,
	              mstore_strerror(err), c->want, mstore_strerror(c->want));
	ck_assert_int_eq(errno, EBADMSG);
}
END_TEST

/* Corruption appearing after open is caught when the record is used. */
START_TEST(test_bad_after_open)
{
	struct mstore_reader *r;
	struct mstore_family_view f, g;
	struct mstore_series_view s;
	uint32_t one = 1, bad_off = hdr(img)->string_bytes;
	off_t soff = (off_t)hdr(img)->series_off;
	int err;

	ck_assert_int_eq(tu_write_file(mut_path, img, img_len), 0);
	r = mstore_reader_open(mut_path, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_msg(tu_find_family(r, "tu_requests_total", &f) == 0, "family not found");
	/* series 1 links to itself */
	ck_assert_int_eq(tu_patch(mut_path,
	                          soff + MSTORE_SERIES_REC_SIZE +
	                                  (off_t)offsetof(struct mstore_series_rec, next),
	                          &one, sizeof(one)),
	                 0);
	ck_assert_int_eq(mstore_reader_series_first(r, &f, &s), 1);
	ck_assert_int_eq(mstore_reader_series_next(r, &f, &s), 1);
	ck_assert_int_eq(mstore_reader_series_next(r, &f, &s), MSTORE_E_CORRUPT);
	/* series 0's first label value now points outside the string region */
	ck_assert_int_eq(tu_patch(mut_path, soff + (off_t)offsetof(struct mstore_series_rec, label),
	                          &bad_off, sizeof(bad_off)),
	                 0);
	ck_assert_int_eq(mstore_reader_series_first(r, &f, &s), MSTORE_E_BOUNDS);
	/* family 0's name now starts with a digit */
	ck_assert_int_eq(
	        tu_patch(mut_path, (off_t)(hdr(img)->string_off + frec(img, 0)->name.off), "9", 1),
	        0);
	ck_assert_int_eq(mstore_reader_family(r, 0, &g), MSTORE_E_CORRUPT);
	/* header geometry changed under us: refresh refuses */
	ck_assert_int_eq(tu_patch(mut_path, (off_t)offsetof(struct mstore_hdr, value_off), &soff,
	                          sizeof(soff)),
	                 0);
	ck_assert_int_eq(mstore_reader_refresh(r), MSTORE_E_CORRUPT);
	ck_assert_uint_eq(mstore_reader_family_count(r), 0);
	mstore_reader_close(r);
}
END_TEST

/* A newly published bad record fails refresh; fixing it recovers (1). */
START_TEST(test_refresh_bad_new_record)
{
	struct mstore *st;
	struct mstore_reader *r;
	struct mstore_family *fam;
	int err;

	st = tu_sample_store(mut_path, &small_opts, &err);
	ck_assert_ptr_nonnull(st);
	r = mstore_reader_open(mut_path, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(mstore_gauge_family(st, "late", NULL, NULL, 0, NULL, &fam), 0);
	/* img has the same capacities, hence the same offsets; type is byte 0 */
	ck_assert_int_eq(tu_patch(mut_path,
	                          (off_t)(hdr(img)->family_off + 4 * MSTORE_FAMILY_REC_SIZE),
	                          "\x07", 1),
	                 0);
	ck_assert_int_eq(mstore_reader_refresh(r), MSTORE_E_CORRUPT);
	ck_assert_int_eq(tu_patch(mut_path,
	                          (off_t)(hdr(img)->family_off + 4 * MSTORE_FAMILY_REC_SIZE),
	                          "\x02", 1),
	                 0);
	ck_assert_int_eq(mstore_reader_refresh(r), 1);
	ck_assert_uint_eq(mstore_reader_family_count(r), 5);
	mstore_reader_close(r);
	mstore_close(st);
}
END_TEST

/* Offset in the file of the last byte of family i's name. */
static off_t
name_last_byte(const char *path, uint32_t i)
{
	size_t len;
	unsigned char *b = tu_read_file(path, &len);
	off_t off;

	ck_assert_ptr_nonnull(b);
	ck_assert_uint_lt(i, atomic_load(&hdr(b)->families));
	off = (off_t)(hdr(b)->string_off + frec(b, i)->name.off + frec(b, i)->name.len - 1);
	free(b);
	return off;
}

/* Two families that clash, each valid alone (counter jobs_total and gauge
 * jobs_created: OpenMetrics reserves jobs_created for the counter): the
 * store is corrupt, whether the second is new at a refresh or there at
 * open; renaming it back recovers. */
START_TEST(test_clash)
{
	struct mstore *st;
	struct mstore_reader *r, *r2;
	struct mstore_family *fam;
	off_t last;
	int err;

	st = tu_sample_store(mut_path, &small_opts, &err);
	ck_assert_ptr_nonnull(st);
	r = mstore_reader_open(mut_path, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(mstore_counter_family(st, "jobs_total", NULL, NULL, 0, NULL, &fam), 0);
	ck_assert_int_eq(mstore_gauge_family(st, "jobs_createx", NULL, NULL, 0, NULL, &fam), 0);
	last = name_last_byte(mut_path, 5);
	ck_assert_int_eq(tu_patch(mut_path, last, "d", 1), 0);
	ck_assert_int_eq(mstore_reader_refresh(r), MSTORE_E_CORRUPT);
	ck_assert_ptr_null(mstore_reader_open(mut_path, &err));
	ck_assert_int_eq(err, MSTORE_E_CORRUPT);
	ck_assert_int_eq(tu_patch(mut_path, last, "x", 1), 0);
	ck_assert_int_eq(mstore_reader_refresh(r), 1);
	ck_assert_uint_eq(mstore_reader_family_count(r), 6);
	/* the gauge alone is valid: with the counter renamed jobz_total, the
	 * store opens */
	ck_assert_int_eq(tu_patch(mut_path, last, "d", 1), 0);
	ck_assert_int_eq(tu_patch(mut_path, name_last_byte(mut_path, 4) - 6, "z", 1), 0);
	r2 = mstore_reader_open(mut_path, &err);
	ck_assert_msg(r2 != NULL, "%s", mstore_strerror(err));
	ck_assert_int_eq(walk_all(r2), 6);
	mstore_reader_close(r2);
	mstore_reader_close(r);
	mstore_close(st);
}
END_TEST

static void
hist_slots(unsigned char *b, uint64_t **v)
{
	uint32_t off = srec(b, 4)->value_off;

	*v = (uint64_t *)(void *)(b + hdr(b)->value_off + (size_t)off * MSTORE_SLOT_SIZE);
}

/* Write the image to mut_path and open a reader on it, at the first
 * series of the histogram family (the caller closes the reader). */
static struct mstore_reader *
open_histogram(struct mstore_family_view *f, struct mstore_series_view *s)
{
	struct mstore_reader *r;
	int err;

	ck_assert_int_eq(tu_write_file(mut_path, img, img_len), 0);
	r = mstore_reader_open(mut_path, &err);
	ck_assert_msg(r != NULL, "%s", mstore_strerror(err));
	ck_assert_msg(tu_find_family(r, "tu_latency_seconds", f) == 0, "family not found");
	ck_assert_int_eq(mstore_reader_series_first(r, f, s), 1);
	return r;
}

START_TEST(test_snapshot_torn)
{
	struct mstore_reader *r;
	struct mstore_family_view f;
	struct mstore_series_view s;
	struct mstore_snapshot snap;
	struct mstore_writer_rec *w;
	uint32_t slot_free = MSTORE_SLOT_FREE;
	struct timespec now;
	uint64_t *v;

	hist_slots(img, &v);
	v[MSTORE_HIST_BUCKET0] += 1; /* buckets no longer add up to count */
	r = open_histogram(&f, &s);
	ck_assert_int_eq(mstore_reader_snapshot(r, &f, &s, &snap), MSTORE_E_CORRUPT);
	mstore_reader_close(r);
	v[MSTORE_HIST_BUCKET0] -= 1;
	/* counts whose running sum wraps around 2^64 back onto count (found
	 * by fuzzing: tests/fuzz/regress/hist-bucket-sum-wraps.store) */
	v[MSTORE_HIST_BUCKET0] += UINT64_C(1) << 63;
	v[MSTORE_HIST_BUCKET0 + 1] += UINT64_C(1) << 63;
	r = open_histogram(&f, &s);
	ck_assert_uint_ge(f.nbounds, 1);
	ck_assert_int_eq(mstore_reader_snapshot(r, &f, &s, &snap), MSTORE_E_CORRUPT);
	mstore_reader_close(r);
	v[MSTORE_HIST_BUCKET0] -= UINT64_C(1) << 63;
	v[MSTORE_HIST_BUCKET0 + 1] -= UINT64_C(1) << 63;
	/* The writer in slot 0 was inside the seqlock, and had counted the
	 * observation but not yet put it in its bucket.  While slot 0 is LIVE
	 * with a fresh heartbeat (the owner is alive) the reader waits and
	 * gives up. */
	v[MSTORE_HIST_SEQ] = 5 * MSTORE_SEQ_ONE | MSTORE_SEQ_LOCKED;
	v[MSTORE_HIST_COUNT] += 1;
	w = (struct mstore_writer_rec *)(void *)(img + hdr(img)->writer_off);
	atomic_store(&w->state, MSTORE_SLOT_LIVE);
	ck_assert_int_eq(clock_gettime(CLOCK_BOOTTIME, &now), 0);
	atomic_store(&w->heartbeat_ns, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec);
	r = open_histogram(&f, &s);
	ck_assert_int_eq(mstore_reader_snapshot(r, &f, &s, &snap), MSTORE_E_RETRY);
	ck_assert_int_eq(errno, EAGAIN);
	/* The owner died and another writer cleaned up its slot (FREE): the
	 * reader shows the section as a recoverer would, count = the sum of
	 * the buckets, without writing anything. */
	ck_assert_int_eq(
	        tu_patch(mut_path,
	                 (off_t)(hdr(img)->writer_off + offsetof(struct mstore_writer_rec, state)),
	                 &slot_free, sizeof slot_free),
	        0);
	ck_assert_int_eq(mstore_reader_snapshot(r, &f, &s, &snap), 0);
	ck_assert_uint_eq(snap.count, v[MSTORE_HIST_COUNT] - 1);
	ck_assert_uint_eq(snap.bucket[f.nbounds], snap.count);
	mstore_reader_close(r);
	/* an owner no writer slot has: corrupt */
	v[MSTORE_HIST_SEQ] = (uint64_t)hdr(img)->max_writers << MSTORE_SEQ_OWNER_SHIFT | 1;
	r = open_histogram(&f, &s);
	ck_assert_int_eq(mstore_reader_snapshot(r, &f, &s, &snap), MSTORE_E_CORRUPT);
	mstore_reader_close(r);
}
END_TEST

/* Random byte flips in the used parts of the file: any outcome but a crash. */
START_TEST(test_fuzz_flips)
{
	unsigned char *work = malloc(img_len);
	unsigned int seed = FUZZ_SEED;
	size_t ranges[][2] = {
		{ 0, MSTORE_HDR_SIZE },
		{ hdr(img)->family_off, 4 * MSTORE_FAMILY_REC_SIZE },
		{ hdr(img)->series_off, 6 * MSTORE_SERIES_REC_SIZE },
		{ hdr(img)->value_off, 21 * MSTORE_SLOT_SIZE },
		{ hdr(img)->string_off, atomic_load(&hdr(img)->strings_used) },
	};
	int i, opened = 0;

	ck_assert_ptr_nonnull(work);
	for (i = 0; i < FUZZ_ITERS; i++) {
		struct mstore_reader *r;
		int k, flips = 1 + rand_r(&seed) % FUZZ_MAXFLIPS, err;

		memcpy(work, img, img_len);
		for (k = 0; k < flips; k++) {
			size_t *rg = ranges[rand_r(&seed) % 5];

			work[rg[0] + (size_t)rand_r(&seed) % rg[1]] ^=
			        (unsigned char)(1 + rand_r(&seed) % 255);
		}
		ck_assert_int_eq(tu_write_file(mut_path, work, img_len), 0);
		r = mstore_reader_open(mut_path, &err);
		if (r == NULL) {
			ck_assert_int_lt(err, 0);
			ck_assert_int_ge(err, MSTORE_E_LAST);
			continue;
		}
		opened++;
		ck_assert_int_ge(walk_all(r), MSTORE_E_LAST);
		ck_assert_int_ge(mstore_reader_refresh(r), MSTORE_E_LAST);
		mstore_reader_close(r);
	}
	ck_assert_int_gt(opened, 0); /* some flips hit harmless bytes (values) */
	free(work);
}
END_TEST

/* --------------------------------------------------------------- limits */

static sigjmp_buf fault_jmp;

static void
on_fault(int sig)
{
	siglongjmp(fault_jmp, sig);
}

/* 1 if reading *p faults (SIGSEGV or SIGBUS), 0 if it reads. */
static int
read_faults(const volatile char *p)
{
	struct sigaction sa, old_segv, old_bus;
	volatile int faulted = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fault;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGSEGV, &sa, &old_segv), 0);
	ck_assert_int_eq(sigaction(SIGBUS, &sa, &old_bus), 0);
	if (sigsetjmp(fault_jmp, 1) == 0)
		(void)*p;
	else
		faulted = 1;
	ck_assert_int_eq(sigaction(SIGSEGV, &old_segv, NULL), 0);
	ck_assert_int_eq(sigaction(SIGBUS, &old_bus, NULL), 0);
	return faulted;
}

/* The byte after the file is an inaccessible guard page. */
START_TEST(test_guard_page)
{
	struct mstore_reader *r;
	struct mstore_family_view f;
	const volatile char *base;
	int err;

	r = mstore_reader_open(base_path, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(mstore_reader_family(r, 0, &f), 0);
	base = f.name - hdr(img)->string_off - frec(img, 0)->name.off;
	ck_assert_int_eq(base[0], 'M');
	ck_assert_int_eq(read_faults(base + img_len - 1), 0);
	ck_assert_int_eq(read_faults(base + img_len), 1);
	mstore_reader_close(r);
}
END_TEST

START_TEST(test_limits_full_store)
{
	struct mstore *st;
	struct mstore_reader *r;
	struct mstore_family *fam;
	struct mstore_series *x;
	char buf[16];
	const char *v[] = { buf };
	static const char *const ln[] = { "i" };
	int i, err;

	st = mstore_create(mut_path, &small_opts, &err);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(mstore_counter_family(st, "full_total", NULL, NULL, 1, ln, &fam), 0);
	for (i = 0; i < (int)small_opts.max_series; i++) {
		snprintf(buf, sizeof(buf), "%d", i);
		ck_assert_int_eq(mstore_series_get(fam, v, &x), 0);
	}
	r = mstore_reader_open(mut_path, &err);
	ck_assert_msg(r != NULL, "%s", mstore_strerror(err));
	ck_assert_int_eq(walk_all(r), (int)small_opts.max_series);
	mstore_reader_close(r);
	mstore_close(st);
}
END_TEST

/* valgrind preloads its vgpreload_*.so into the program it runs. */
static int
under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p != NULL && strstr(p, "vgpreload") != NULL;
}

static Suite *
mstore_reader_suite(void)
{
	Suite *s = suite_create("mstore_reader");
	TCase *core = tcase_create("core"), *errors = tcase_create("errors"),
	      *limits = tcase_create("limits"), *clock = tcase_create("clock");

	tcase_add_checked_fixture(core, setup, teardown);
	tcase_add_test(core, test_iterate_sample);
	tcase_add_test(core, test_args);
	tcase_add_test(core, test_refresh_growth);
	tcase_add_test(core, test_refresh_replaced);
	tcase_add_test(core, test_refresh_truncated);
	tcase_add_test(core, test_liveness);
	tcase_add_test(core, test_not_regular);
	tcase_add_test(core, test_counter_shard_sum);
	suite_add_tcase(s, core);
	tcase_add_checked_fixture(errors, setup, teardown);
	tcase_add_loop_test(errors, test_bad_file, 0,
	                    (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(errors, test_bad_after_open);
	tcase_add_test(errors, test_refresh_bad_new_record);
	tcase_add_test(errors, test_clash);
	tcase_add_test(errors, test_snapshot_torn);
	tcase_add_test(errors, test_fuzz_flips);
	tcase_set_timeout(errors, 60);
	suite_add_tcase(s, errors);
	tcase_add_checked_fixture(limits, setup, teardown);
	/* The deliberate fault would be reported by valgrind as an error. */
	if (!under_valgrind())
		tcase_add_test(limits, test_guard_page);
	tcase_add_test(limits, test_limits_full_store);
	suite_add_tcase(s, limits);
	tcase_add_loop_test(clock, test_judge, 0,
	                    (int)(sizeof(judge_cases) / sizeof(judge_cases[0])));
	tcase_add_test(clock, test_clock_parse);
	suite_add_tcase(s, clock);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(mstore_reader_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
