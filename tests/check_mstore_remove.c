/* SPDX-License-Identifier: MIT */
/*
 * check_mstore_remove.c - series that come and go: removal by handle, by
 * label values, by a partial match and of a whole family; stale handles;
 * the reuse delay and the reuse of rooms; per-family limits and the
 * overflow series; the fill level and the refusal counts; a churn of
 * create/remove cycles with flat usage; a reader walking while a writer
 * churns (no series twice, never a series with another's values); and a
 * writer killed at each step of a removal, a reuse, an expiry and a
 * rebuild, and at random moments of a churn.  Each test names the part of
 * mstore_layout.h ("Series records", "Allocation in the file",
 * "Registration and removal") it guards.
 *
 * MSTORE_CHURN_CYCLES sets the cycles of the churn test (default 20,000;
 * make reliability runs 1,000,000).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mstore_layout.h"
#include "mstore_writer.h"
#include "testutil.h"

#define DELAY_MS      20 /* the tests' reuse delay */
#define TICK_MS       10
#define CHURN_DEFAULT 20000
#define WALK_SECONDS  2
#define KILL_ROUNDS   40
#define LABEL_MAX     32

static struct tu_dir dir;
static char path[TU_PATH_MAX];
static const char *const one_label[] = { "id" };
static const char *const two_labels[] = { "shop", "item" };
static const double bounds[] = { 1, 2, 4 };

static int
space_error_or(int rc)
{
	return rc == MSTORE_E_NO_SERIES_SPACE || rc == MSTORE_E_NO_VALUE_SPACE ||
	       rc == MSTORE_E_NO_STRING_SPACE;
}

static void
setup(void)
{
	ck_assert_int_eq(tu_dir_make(&dir), 0);
	ck_assert_ptr_nonnull(tu_path(&dir, "store", path, sizeof(path)));
}

static void
teardown(void)
{
	tu_dir_remove(&dir);
}

static struct mstore *
make_store(uint32_t series, uint32_t delay_ms, uint32_t writers)
{
	struct mstore_options o = { .max_series = series,
		                    .reuse_delay_ms = delay_ms,
		                    .max_writers = writers,
		                    .tick_interval_ms = TICK_MS };
	struct mstore *st;
	int err = 0;

	st = mstore_create(path, &o, &err);
	ck_assert_msg(st != NULL, "create: %s", mstore_strerror(err));
	return st;
}

static struct mstore_family *
family(struct mstore *st, enum mstore_type type, const char *name, size_t nlabels,
       uint32_t max_series, enum mstore_limit_mode on_limit)
{
	struct mstore_family_spec spec = { .size = sizeof(spec),
		                           .type = type,
		                           .name = name,
		                           .help = "Test.",
		                           .nlabels = nlabels,
		                           .label_names = nlabels == 2 ? two_labels : one_label,
		                           .nbounds = type == MSTORE_HISTOGRAM ? 3 : 0,
		                           .bounds = type == MSTORE_HISTOGRAM ? bounds : NULL,
		                           .max_series = max_series,
		                           .on_limit = on_limit };
	struct mstore_family *f;

	ck_assert_int_eq(mstore_family_register(st, &spec, &f), 0);
	return f;
}

static struct mstore_series *
get(struct mstore_family *f, const char *v)
{
	const char *vals[] = { v };
	struct mstore_series *s;
	int rc = mstore_series_get(f, vals, &s);

	ck_assert_msg(rc == 0, "get %s: %s", v, mstore_strerror(rc));
	return s;
}

static struct mstore_reader *
reader(void)
{
	struct mstore_reader *r;
	int err;

	r = mstore_reader_open(path, &err);
	ck_assert_msg(r != NULL, "reader: %s", mstore_strerror(err));
	return r;
}

/* The series of family name, as a scrape walks them: their first label
 * values, comma-separated, in *out (cap bytes); returns how many. */
static int
walk_labels(struct mstore_reader *r, const char *name, char *out, size_t cap)
{
	struct mstore_family_view f;
	struct mstore_series_view s;
	size_t n = 0;
	int rc, count = 0;

	out[0] = '\0';
	ck_assert_int_eq(tu_find_family(r, name, &f), 0);
	for (rc = mstore_reader_series_first(r, &f, &s); rc == 1;
	     rc = mstore_reader_series_next(r, &f, &s)) {
		int w = snprintf(out + n, cap - n, "%s%.*s", count > 0 ? "," : "",
		                 (int)s.label_value_len[0], s.label_value[0]);

		ck_assert_int_gt(w, 0);
		n += (size_t)w;
		ck_assert_uint_lt(n, cap);
		count++;
	}
	ck_assert_int_eq(rc, 0);
	return count;
}

static int
labels_now(const char *name, char *out, size_t cap)
{
	struct mstore_reader *r = reader();
	int n = walk_labels(r, name, out, cap);

	mstore_reader_close(r);
	return n;
}

static void
info_now(struct mstore_info *info)
{
	struct mstore_reader *r = reader();

	ck_assert_int_eq(mstore_reader_info(r, info), 0);
	mstore_reader_close(r);
}

/* Wait out the reuse delay and let a heartbeat expire the limbo. */
static void
expire(struct mstore *st)
{
	tu_sleep_ms(DELAY_MS + 5);
	ck_assert_int_eq(mstore_heartbeat(st), 0);
}

/* -------------------------------------------------------------- core */

/* Series records: a removed series leaves the next scrape, its handle
 * fails with E_REMOVED (EIDRM) in every call, and the same labels make a
 * new series with a new handle. */
START_TEST(test_remove_by_handle)
{
	struct mstore *st = make_store(0, DELAY_MS, 1);
	struct mstore_family *f = family(st, MSTORE_COUNTER, "rm_total", 1, 0, 0);
	struct mstore_series *a = get(f, "a"), *b = get(f, "b"), *c = get(f, "c"), *b2;
	char seen[256];

	ck_assert_int_eq(mstore_counter_add(b, 5), 0);
	ck_assert_int_eq(labels_now("rm_total", seen, sizeof seen), 3);
	ck_assert_str_eq(seen, "a,b,c");
	ck_assert_int_eq(mstore_series_remove(b), 0);
	ck_assert_int_eq(labels_now("rm_total", seen, sizeof seen), 2);
	ck_assert_str_eq(seen, "a,c");
	errno = 0;
	ck_assert_int_eq(mstore_counter_inc(b), MSTORE_E_REMOVED);
	ck_assert_int_eq(errno, EIDRM);
	ck_assert_int_eq(mstore_counter_add(b, 1), MSTORE_E_REMOVED);
	ck_assert_int_eq(mstore_series_remove(b), MSTORE_E_REMOVED);
	ck_assert_str_eq(mstore_strerror(MSTORE_E_REMOVED), "the series was removed");
	b2 = get(f, "b");
	ck_assert_ptr_ne(b2, b);
	ck_assert_int_eq(mstore_counter_inc(b2), 0);
	ck_assert_int_eq(mstore_counter_inc(b), MSTORE_E_REMOVED); /* still the old one */
	ck_assert_int_eq(labels_now("rm_total", seen, sizeof seen), 3);
	ck_assert_str_eq(seen, "a,c,b");
	/* the other types and paths check too */
	{
		struct mstore_family *g = family(st, MSTORE_GAUGE, "rm_depth", 1, 0, 0);
		struct mstore_family *h = family(st, MSTORE_HISTOGRAM, "rm_seconds", 1, 0, 0);
		struct mstore_series *gs = get(g, "x"), *hs = get(h, "x");

		ck_assert_int_eq(mstore_series_remove(gs), 0);
		ck_assert_int_eq(mstore_series_remove(hs), 0);
		ck_assert_int_eq(mstore_gauge_set(gs, 1), MSTORE_E_REMOVED);
		ck_assert_int_eq(mstore_gauge_add(gs, 1), MSTORE_E_REMOVED);
		ck_assert_int_eq(mstore_gauge_sub(gs, 1), MSTORE_E_REMOVED);
		ck_assert_int_eq(mstore_histogram_observe(hs, 1), MSTORE_E_REMOVED);
	}
	(void)a;
	(void)c;
	mstore_close(st);
}
END_TEST

/* Removal by label values, by a partial match, and clear. */
START_TEST(test_remove_labels_and_matching)
{
	static const char *const shops[] = { "north", "south" };
	static const char *const items[] = { "cup", "pot", "pan" };
	struct mstore *st = make_store(0, DELAY_MS, 1);
	struct mstore_family *f = family(st, MSTORE_GAUGE, "rm_stock", 2, 0, 0);
	struct mstore_series *s[2][3];
	const char *v[2], *north_any[] = { "north", NULL }, *any_pan[] = { NULL, "pan" };
	const char *bad[] = { "north", "\xff" };
	char seen[256];
	int i, j;

	for (i = 0; i < 2; i++)
		for (j = 0; j < 3; j++) {
			v[0] = shops[i];
			v[1] = items[j];
			ck_assert_int_eq(mstore_series_get(f, v, &s[i][j]), 0);
		}
	v[0] = "south";
	v[1] = "pot";
	ck_assert_int_eq(mstore_series_remove_labels(f, v), 1);
	ck_assert_int_eq(mstore_series_remove_labels(f, v), 0);
	ck_assert_int_eq(mstore_gauge_set(s[1][1], 1), MSTORE_E_REMOVED);
	ck_assert_int_eq(mstore_family_remove_matching(f, any_pan), 2);
	ck_assert_int_eq(mstore_gauge_set(s[0][2], 1), MSTORE_E_REMOVED);
	ck_assert_int_eq(labels_now("rm_stock", seen, sizeof seen), 3);
	ck_assert_str_eq(seen, "north,north,south");
	ck_assert_int_eq(mstore_family_remove_matching(f, north_any), 2);
	ck_assert_int_eq(mstore_family_remove_matching(f, bad), MSTORE_E_LABEL_VALUE);
	ck_assert_int_eq(mstore_family_clear(f), 1);
	ck_assert_int_eq(mstore_family_clear(f), 0);
	ck_assert_int_eq(labels_now("rm_stock", seen, sizeof seen), 0);
	ck_assert_int_eq(mstore_series_remove(NULL), MSTORE_E_INVAL);
	ck_assert_int_eq(mstore_family_clear(NULL), MSTORE_E_INVAL);
	mstore_close(st);
}
END_TEST

/* Allocation: a removed series' room is held for the reuse delay (usage
 * counts it), then reused by the next series of the same shape (same
 * record, same slots), reset to zero; a histogram's seq keeps rising. */
START_TEST(test_reuse_after_delay)
{
	struct mstore *st = make_store(0, DELAY_MS, 1);
	struct mstore_family *h = family(st, MSTORE_HISTOGRAM, "re_seconds", 1, 0, 0);
	struct mstore_series *a = get(h, "a"), *b, *c;
	struct mstore_info before, held, after;
	struct mstore_reader *r;
	struct mstore_family_view fv;
	struct mstore_series_view sv;
	struct mstore_snapshot snap;
	uint64_t seq, seq_b;
	uint32_t idx = a->index;
	int err;

	ck_assert_int_eq(mstore_histogram_observe(a, 3), 0);
	info_now(&before);
	seq = atomic_load(&a->v[MSTORE_HIST_SEQ]);
	ck_assert_uint_eq(seq, MSTORE_SEQ_ONE);
	ck_assert_int_eq(mstore_series_remove(a), 0);
	info_now(&held);
	ck_assert_uint_eq(held.series, before.series);
	ck_assert_uint_eq(held.values_used, before.values_used);
	b = get(h, "b"); /* within the delay: another room */
	ck_assert_uint_ne(b->index, idx);
	ck_assert_ptr_ne(b->v, a->v);
	seq_b = atomic_load(&b->v[MSTORE_HIST_SEQ]);
	ck_assert_int_eq(mstore_series_remove(b), 0);
	expire(st);
	info_now(&after);
	ck_assert_uint_eq(after.series, before.series - 1);
	ck_assert_uint_eq(after.values_used, before.values_used - (3 + MSTORE_HIST_FIXED_SLOTS));
	c = get(h, "a"); /* a record and slots of one of the two */
	ck_assert(c->index == idx || c->index == b->index);
	ck_assert(c->v == a->v || c->v == b->v);
	/* reset inside the seqlock: taken and given back */
	ck_assert_uint_eq(atomic_load(&c->v[MSTORE_HIST_SEQ]) & MSTORE_SEQ_LOCKED, 0);
	(void)seq_b;
	r = mstore_reader_open(path, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(tu_find_family(r, "re_seconds", &fv), 0);
	ck_assert_int_eq(mstore_reader_series_first(r, &fv, &sv), 1);
	ck_assert_int_eq(mstore_reader_snapshot(r, &fv, &sv, &snap), 0);
	ck_assert_uint_eq(snap.count, 0);
	ck_assert_double_eq(snap.sum, 0);
	/* removed after the view was taken: the snapshot says so */
	ck_assert_int_eq(mstore_series_remove(c), 0);
	ck_assert_int_eq(mstore_reader_series_check(r, &sv), 0);
	ck_assert_int_eq(mstore_reader_snapshot(r, &fv, &sv, &snap), MSTORE_E_REMOVED);
	mstore_reader_close(r);
	mstore_close(st);
}
END_TEST

/* A native histogram with exemplars: the room a removed series leaves is
 * reused as a new series in the configured native state, its exemplars
 * gone (a zeroed native part is no state at all: the reader refuses it). */
START_TEST(test_reuse_native_exemplars)
{
	static const char *const trace_name[] = { "trace_id" };
	const char *old_id[] = { "old" }, *new_id[] = { "new" };
	struct mstore_exemplar old_ex = { 1, trace_name, old_id, 0 };
	struct mstore_exemplar new_ex = { 1, trace_name, new_id, 0 };
	struct mstore_family_spec spec = { .size = sizeof(spec),
		                           .type = MSTORE_HISTOGRAM,
		                           .name = "nat_seconds",
		                           .help = "Test.",
		                           .nlabels = 1,
		                           .label_names = one_label,
		                           .nbounds = 3,
		                           .bounds = bounds,
		                           .native_factor = 2,
		                           .native_max_buckets = 4,
		                           .exemplars = 1 };
	struct mstore *st = make_store(0, DELAY_MS, 1);
	struct mstore_family *f;
	struct mstore_series *a, *b;
	struct mstore_reader *r;
	struct mstore_family_view fv;
	struct mstore_series_view sv;
	struct mstore_snapshot snap;
	struct mstore_native_snapshot nat;
	struct mstore_exemplar_view ev;
	uint32_t i;
	int k;

	ck_assert_int_eq(mstore_family_register(st, &spec, &f), 0);
	a = get(f, "a");
	for (k = -3; k <= 3; k++) /* both signs, every bucket of the window */
		ck_assert_int_eq(mstore_histogram_observe_exemplar(a, ldexp(k, 4), &old_ex), 0);
	ck_assert_int_eq(mstore_series_remove(a), 0);
	expire(st);
	b = get(f, "b");
	ck_assert_ptr_eq(b->v, a->v); /* the same room */
	r = reader();
	ck_assert_int_eq(tu_find_family(r, "nat_seconds", &fv), 0);
	ck_assert_int_eq(mstore_reader_series_first(r, &fv, &sv), 1);
	ck_assert_int_eq(mstore_reader_native(r, &fv, &sv, &snap, &nat), 0);
	ck_assert_uint_eq(snap.count, 0);
	ck_assert_int_eq(nat.schema, fv.native_schema);
	ck_assert_uint_eq(nat.zero_count, 0);
	ck_assert(nat.first[0] == nat.end[0] && nat.first[1] == nat.end[1]);
	for (i = 0; i <= fv.nbounds; i++)
		ck_assert_int_eq(mstore_reader_exemplar(r, &fv, &sv, i, &ev), 0);
	ck_assert_int_eq(mstore_histogram_observe_exemplar(b, 3, &new_ex), 0); /* bucket 2 */
	ck_assert_int_eq(mstore_reader_refresh(r), 0);
	ck_assert_int_eq(mstore_reader_native(r, &fv, &sv, &snap, &nat), 0);
	ck_assert_uint_eq(snap.count, 1);
	ck_assert_int_eq(mstore_reader_exemplar(r, &fv, &sv, 2, &ev), 1);
	ck_assert_str_eq(ev.text + ev.value_off[0], "new");
	mstore_reader_close(r);
	mstore_close(st);
}
END_TEST

/* Free value ranges are a family's own: a removed classic histogram's
 * range does not go to a native histogram of as many slots (a late
 * observation through the stale handle would write the classic layout
 * over a native one), but to the next series of its family. */
START_TEST(test_reuse_same_family_only)
{
	static const double many[25] = { 1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13,
		                         14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25 };
	struct mstore_family_spec cspec = { .size = sizeof(cspec),
		                            .type = MSTORE_HISTOGRAM,
		                            .name = "classic_seconds",
		                            .help = "Test.",
		                            .nlabels = 1,
		                            .label_names = one_label,
		                            .nbounds = 25,
		                            .bounds = many };
	struct mstore_family_spec nspec = { .size = sizeof(nspec),
		                            .type = MSTORE_HISTOGRAM,
		                            .name = "native_seconds",
		                            .help = "Test.",
		                            .nlabels = 1,
		                            .label_names = one_label,
		                            .native_factor = 2,
		                            .native_max_buckets = 1 };
	struct mstore *st = make_store(0, DELAY_MS, 1);
	struct mstore_family *c, *n;
	struct mstore_series *a, *b;

	ck_assert_int_eq(mstore_family_register(st, &cspec, &c), 0);
	ck_assert_int_eq(mstore_family_register(st, &nspec, &n), 0);
	ck_assert_uint_eq(mstore_value_slots(MSTORE_HISTOGRAM, 25),
	                  mstore_native_value_slots(0, 1)); /* the same size */
	a = get(c, "a");
	ck_assert_int_eq(mstore_series_remove(a), 0);
	expire(st);
	b = get(n, "b");
	ck_assert_ptr_ne(b->v, a->v);
	b = get(c, "c");
	ck_assert_ptr_eq(b->v, a->v);
	mstore_close(st);
}
END_TEST

/* An exemplar record a dead writer left locked is emptied when its
 * removed series' room is given back: by the time the room is reused the
 * dead writer's slot may be another live process's. */
START_TEST(test_expiry_empties_dead_exemplar)
{
	static const char *const trace_name[] = { "trace_id" };
	const char *id[] = { "t" };
	struct mstore_exemplar ex = { 1, trace_name, id, 0 };
	struct mstore_family_spec spec = { .size = sizeof(spec),
		                           .type = MSTORE_COUNTER,
		                           .name = "ex_total",
		                           .help = "Test.",
		                           .nlabels = 1,
		                           .label_names = one_label,
		                           .exemplars = 1 };
	struct mstore *st = make_store(0, DELAY_MS, 4);
	struct mstore_family *f;
	struct mstore_series *a;
	_Atomic uint64_t *rec;
	uint64_t seq;

	ck_assert_int_eq(mstore_family_register(st, &spec, &f), 0);
	a = get(f, "a");
	ck_assert_int_eq(mstore_counter_inc_exemplar(a, &ex), 0);
	rec = a->v + mstore_exemplar_off(MSTORE_COUNTER, 0, 0, 0);
	/* writer slot 3 (never claimed: dead) died inside the record */
	seq = atomic_load(&rec[MSTORE_EX_SEQ]);
	atomic_store(&rec[MSTORE_EX_SEQ],
	             seq | (UINT64_C(3) << MSTORE_SEQ_OWNER_SHIFT) | MSTORE_SEQ_LOCKED);
	ck_assert_int_eq(mstore_series_remove(a), 0);
	expire(st);
	seq = atomic_load(&rec[MSTORE_EX_SEQ]);
	ck_assert_uint_eq(seq & MSTORE_SEQ_LOCKED, 0);
	ck_assert_uint_eq(atomic_load(&rec[MSTORE_EX_TIME]), 0);
	mstore_close(st);
}
END_TEST

/* Allocation: a store whose value slots went to removed gauges (1 slot
 * each) still fits a counter (6): the lists are rebuilt, the neighbouring
 * free slots merged. */
START_TEST(test_reuse_across_shapes)
{
	struct mstore_options o = { .value_slots = 20, .reuse_delay_ms = DELAY_MS };
	struct mstore_family *g, *c;
	struct mstore_series *s;
	struct mstore *st;
	struct mstore_info info;
	char v[16];
	const char *vals[] = { v };
	int err, i;

	st = mstore_create(path, &o, &err);
	ck_assert_ptr_nonnull(st);
	g = family(st, MSTORE_GAUGE, "sh_depth", 1, 0, 0);
	c = family(st, MSTORE_COUNTER, "sh_total", 1, 0, 0);
	for (i = 0; i < 20; i++) {
		snprintf(v, sizeof v, "g%d", i);
		ck_assert_int_eq(mstore_series_get(g, vals, &s), 0);
	}
	ck_assert_int_eq(mstore_series_get(c, vals, &s), MSTORE_E_NO_VALUE_SPACE);
	ck_assert_int_eq(mstore_family_clear(g), 20);
	expire(st);
	snprintf(v, sizeof v, "c");
	ck_assert_int_eq(mstore_series_get(c, vals, &s), 0);
	ck_assert_int_eq(mstore_counter_inc(s), 0);
	info_now(&info);
	ck_assert_uint_eq(info.values_used, MSTORE_COUNTER_SLOTS);
	ck_assert_uint_eq(info.refused[MSTORE_REFUSED_FULL], 1);
	mstore_close(st);
}
END_TEST

/* Handles are counted: freed when given back as often as got. */
START_TEST(test_free_handles)
{
	struct mstore *st = make_store(0, DELAY_MS, 1);
	struct mstore_family *f = family(st, MSTORE_GAUGE, "fr_depth", 1, 0, 0);
	struct mstore_series *a = get(f, "a"), *a2 = get(f, "a");

	ck_assert_ptr_eq(a, a2);
	mstore_series_free(a);
	ck_assert_int_eq(mstore_gauge_set(a2, 2), 0); /* one reference left */
	ck_assert_int_eq(mstore_series_remove(a2), 0);
	mstore_series_free(a2);
	mstore_series_free(NULL);
	a = get(f, "a");
	ck_assert_int_eq(mstore_gauge_set(a, 3), 0);
	mstore_close(st); /* frees the rest */
}
END_TEST

/* Any writer process removes: a child removes through its inherited
 * handle, the parent's copy of it fails, and the parent's next get finds
 * that its cached handle is stale and makes a new series. */
START_TEST(test_remove_other_process)
{
	struct mstore *st = make_store(0, DELAY_MS, 2);
	struct mstore_family *f = family(st, MSTORE_COUNTER, "op_total", 1, 0, 0);
	struct mstore_series *a = get(f, "a"), *a2;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(mstore_series_remove(a) != 0);
	ck_assert_int_eq(tu_reap(pid), 0);
	ck_assert_int_eq(mstore_counter_inc(a), MSTORE_E_REMOVED);
	a2 = get(f, "a");
	ck_assert_ptr_ne(a2, a);
	ck_assert_int_eq(mstore_counter_inc(a2), 0);
	mstore_close(st);
}
END_TEST

/* ------------------------------------------------------------ limits */

/* A family limit refuses (E_LIMIT, EDQUOT) and counts; a removal makes
 * room again. */
START_TEST(test_limit_refuse)
{
	struct mstore *st = make_store(0, DELAY_MS, 1);
	struct mstore_family *f = family(st, MSTORE_COUNTER, "lim_total", 1, 2, 0);
	const char *v[] = { "c" };
	struct mstore_series *a = get(f, "a"), *c;
	struct mstore_info info;

	(void)get(f, "b");
	errno = 0;
	ck_assert_int_eq(mstore_series_get(f, v, &c), MSTORE_E_LIMIT);
	ck_assert_int_eq(errno, EDQUOT);
	ck_assert_int_eq(mstore_series_get(f, v, &c), MSTORE_E_LIMIT);
	(void)get(f, "a"); /* an existing one is no registration */
	info_now(&info);
	ck_assert_uint_eq(info.refused[MSTORE_REFUSED_LIMIT], 2);
	ck_assert_uint_eq(info.refused[MSTORE_REFUSED_FULL], 0);
	ck_assert_int_eq(mstore_series_remove(a), 0);
	ck_assert_int_eq(mstore_series_get(f, v, &c), 0);
	mstore_close(st);
}
END_TEST

/* The overflow series: past the limit, get returns 1 and the series whose
 * label values are all MSTORE_OVERFLOW_VALUE; it does not count; the limit
 * is part of the definition. */
START_TEST(test_limit_overflow)
{
	struct mstore *st = make_store(0, DELAY_MS, 1);
	struct mstore_family *f =
	        family(st, MSTORE_COUNTER, "ov_total", 2, 2, MSTORE_LIMIT_OVERFLOW);
	struct mstore_family_spec spec = { .size = sizeof(spec),
		                           .type = MSTORE_COUNTER,
		                           .name = "ov_total",
		                           .help = "Test.",
		                           .nlabels = 2,
		                           .label_names = two_labels,
		                           .max_series = 3,
		                           .on_limit = MSTORE_LIMIT_OVERFLOW };
	const char *v[2] = { "n", "x" }, *w[2] = { "n", "y" };
	struct mstore_series *s, *o1, *o2;
	struct mstore_family *g;
	struct mstore_info info;
	char seen[256];

	ck_assert_int_eq(mstore_series_get(f, v, &s), 0);
	v[1] = "z";
	ck_assert_int_eq(mstore_series_get(f, v, &s), 0);
	ck_assert_int_eq(mstore_series_get(f, w, &o1), 1);
	ck_assert_int_eq(mstore_counter_inc(o1), 0);
	w[1] = "q";
	ck_assert_int_eq(mstore_series_get(f, w, &o2), 1);
	ck_assert_ptr_eq(o1, o2);
	ck_assert_int_eq(mstore_counter_inc(o2), 0);
	ck_assert_int_eq(labels_now("ov_total", seen, sizeof seen), 3);
	ck_assert_str_eq(seen, "n,n," MSTORE_OVERFLOW_VALUE);
	info_now(&info);
	ck_assert_uint_eq(info.refused[MSTORE_REFUSED_LIMIT], 2);
	/* another limit is another definition; overflow needs labels */
	ck_assert_int_eq(mstore_family_register(st, &spec, &g), MSTORE_E_CONFLICT);
	spec.name = "ov_depth";
	spec.type = MSTORE_GAUGE;
	spec.nlabels = 0;
	ck_assert_int_eq(mstore_family_register(st, &spec, &g), MSTORE_E_INVAL);
	spec.on_limit = 2;
	spec.nlabels = 1;
	ck_assert_int_eq(mstore_family_register(st, &spec, &g), MSTORE_E_INVAL);
	/* a spec of the size before the limit existed: no limit */
	spec.on_limit = 0;
	spec.max_series = 1;
	spec.size = offsetof(struct mstore_family_spec, max_series);
	ck_assert_int_eq(mstore_family_register(st, &spec, &g), 0);
	ck_assert_uint_eq(st->frec[g->index].max_series, 0);
	mstore_close(st);
}
END_TEST

/* A full store refuses and counts (store_full). */
START_TEST(test_full_refused)
{
	struct mstore *st = make_store(2, DELAY_MS, 1);
	struct mstore_family *f = family(st, MSTORE_GAUGE, "full_depth", 1, 0, 0);
	const char *v[] = { "c" };
	struct mstore_series *s;
	struct mstore_info info;

	(void)get(f, "a");
	(void)get(f, "b");
	ck_assert_int_eq(mstore_series_get(f, v, &s), MSTORE_E_NO_SERIES_SPACE);
	info_now(&info);
	ck_assert_uint_eq(info.refused[MSTORE_REFUSED_FULL], 1);
	ck_assert_uint_eq(info.series, 2);
	ck_assert_uint_eq(info.max_series, 2);
	mstore_close(st);
}
END_TEST

/* ------------------------------------------------------------- usage */

/* The fill level equals what was registered: families, records held,
 * value slots by type, string bytes by block. */
START_TEST(test_usage_matches)
{
	struct mstore *st = make_store(0, DELAY_MS, 1);
	struct mstore_info info;
	struct mstore_family *c, *g, *h;

	c = family(st, MSTORE_COUNTER, "u_total", 1, 0, 0);     /* 8 + 8 + 8 (help "Test.") */
	g = family(st, MSTORE_GAUGE, "u_depth", 1, 0, 0);       /* 8 + 8 + 8 */
	h = family(st, MSTORE_HISTOGRAM, "u_seconds", 1, 0, 0); /* 16 + 8 + 8 */
	(void)get(c, "a");                                      /* 8 */
	(void)get(g, "0123456789abcdef");                       /* 17 bytes: 32 */
	(void)get(h, "b");                                      /* 8 */
	info_now(&info);
	ck_assert_uint_eq(info.families, 3);
	ck_assert_uint_eq(info.series, 3);
	ck_assert_uint_eq(info.values_used, MSTORE_COUNTER_SLOTS + 1 + 3 + MSTORE_HIST_FIXED_SLOTS);
	ck_assert_uint_eq(info.strings_used, 1 + 24 + 24 + 32 + 8 + 32 + 8);
	ck_assert_int_eq(mstore_family_clear(h), 1);
	expire(st);
	info_now(&info);
	ck_assert_uint_eq(info.series, 2);
	ck_assert_uint_eq(info.values_used, MSTORE_COUNTER_SLOTS + 1);
	ck_assert_uint_eq(info.strings_used, 1 + 24 + 24 + 32 + 8 + 32);
	mstore_close(st);
}
END_TEST

/* ------------------------------------------------------------- churn */

static unsigned long
churn_cycles(void)
{
	const char *e = getenv("MSTORE_CHURN_CYCLES");

	return e != NULL && atol(e) > 0 ? (unsigned long)atol(e) : CHURN_DEFAULT;
}

/*
 * Allocation: create/remove cycles of every shape with label values of
 * every length, forever new (no label value repeats), keep the store's
 * usage flat: after the churn and the delay, usage is what it was before,
 * and the regions' tops (the part ever used) stay within a bound set by
 * what can be held at once.
 */
START_TEST(test_churn_flat)
{
	struct mstore *st = make_store(512, 1, 1);
	struct mstore_family *f[3];
	struct mstore_info before, after;
	unsigned long i, n = churn_cycles(), waits = 0;
	char v[2 * LABEL_MAX];
	uint32_t values_top = 0, strings_top = 0;

	f[0] = family(st, MSTORE_COUNTER, "churn_total", 1, 0, 0);
	f[1] = family(st, MSTORE_GAUGE, "churn_depth", 1, 0, 0);
	f[2] = family(st, MSTORE_HISTOGRAM, "churn_seconds", 1, 0, 0);
	(void)get(f[0], "stays");
	info_now(&before);
	for (i = 0; i < n; i++) {
		const char *vals[] = { v };
		struct mstore_series *s;
		int rc;

		snprintf(v, sizeof v, "%lu%.*s", i, (int)(i % 24), "abcdefghijklmnopqrstuvwx");
		while ((rc = mstore_series_get(f[i % 3], vals, &s)) != 0) {
			/* every room is in limbo for a moment */
			ck_assert_msg(space_error_or(rc), "cycle %lu: %s", i, mstore_strerror(rc));
			tu_sleep_ms(1);
			waits++;
		}
		ck_assert_int_eq(i % 3 == 2   ? mstore_histogram_observe(s, 1.5)
		                 : i % 3 == 1 ? mstore_gauge_set(s, 1)
		                              : mstore_counter_inc(s),
		                 0);
		ck_assert_int_eq(mstore_series_remove(s), 0);
		mstore_series_free(s);
		if (st->hdr->values_top > values_top)
			values_top = st->hdr->values_top;
		if (st->hdr->strings_top > strings_top)
			strings_top = st->hdr->strings_top;
	}
	tu_sleep_ms(5);
	ck_assert_int_eq(mstore_heartbeat(st), 0);
	info_now(&after);
	ck_assert_uint_eq(after.series, before.series);
	ck_assert_uint_eq(after.values_used, before.values_used);
	ck_assert_uint_eq(after.strings_used, before.strings_used);
	/* never more than the 512 records' worth at once */
	ck_assert_uint_le(values_top, 512 * (3 + MSTORE_HIST_FIXED_SLOTS));
	ck_assert_uint_le(strings_top, before.strings_used + 512 * 64);
	printf("churn: cycles=%lu series=%u/%u values=%u/%u strings=%u/%u values_top=%u "
	       "strings_top=%u waits=%lu\n",
	       n, before.series, after.series, before.values_used, after.values_used,
	       before.strings_used, after.strings_used, values_top, strings_top, waits);
	mstore_close(st);
}
END_TEST

/* ------------------------------------------------------ reader vs churn */

/* A value every series of the churn shows: derived from its label. */
static double
value_of(const char *v, size_t len)
{
	double x = 0;
	size_t i;

	for (i = 0; i < len; i++)
		x = x * 31 + (unsigned char)v[i];
	return fmod(x, 1e9);
}

/* The churning writer of the concurrent tests: series of a gauge family
 * set to value_of(label) and of a histogram family with one observation of
 * it, created and removed at random, for seconds (0: until killed). */
static void
churn_child(struct mstore *st, struct mstore_family *g, struct mstore_family *h, int seconds)
{
	struct mstore_series *live[64] = { 0 }, *hl[64] = { 0 };
	time_t end = time(NULL) + seconds;
	unsigned long k = 0;
	unsigned seed = (unsigned)getpid();
	char v[2 * LABEL_MAX];

	/* Rooms reused at once (below any delay a store may ask for): what a
	 * reader could mix up, it would, often. */
	st->reuse_delay_ms = 0;
	while (seconds == 0 || time(NULL) < end) {
		unsigned j = (unsigned)rand_r(&seed) % 64;
		const char *vals[] = { v };

		if (live[j] != NULL) {
			if (mstore_series_remove(live[j]) != 0 || mstore_series_remove(hl[j]) != 0)
				_exit(3);
			mstore_series_free(live[j]);
			mstore_series_free(hl[j]);
			live[j] = hl[j] = NULL;
			continue;
		}
		snprintf(v, sizeof v, "s%lu-%.*s", k, (int)(k % 13), "xxxxxxxxxxxxx");
		k++;
		if (mstore_series_get(g, vals, &live[j]) != 0) {
			if (!space_error_or(errno == ENOSPC ? MSTORE_E_NO_SERIES_SPACE : 0))
				_exit(4);
			live[j] = NULL; /* every room taken or held for a moment */
			continue;
		}
		if (mstore_series_get(h, vals, &hl[j]) != 0) {
			if (errno != ENOSPC || mstore_series_remove(live[j]) != 0)
				_exit(4);
			mstore_series_free(live[j]);
			live[j] = NULL;
			continue;
		}
		if (mstore_gauge_set(live[j], value_of(v, strlen(v))) != 0 ||
		    mstore_histogram_observe(hl[j], value_of(v, strlen(v))) != 0)
			_exit(5);
		if (k % 128 == 0)
			(void)mstore_heartbeat(st);
	}
	_exit(0);
}

/*
 * Series records (the reader's walk and stable reads): while a child
 * creates and removes series as fast as it can and rooms are reused after
 * 1 ms, every walk returns each series at most once and every series
 * shows the value of its own label (never another series' value, never
 * half a series); a snapshot of one removed meanwhile says E_REMOVED.
 */
START_TEST(test_reader_during_churn)
{
	struct mstore *st = make_store(512, 1, 2);
	struct mstore_family *g = family(st, MSTORE_GAUGE, "wc_level", 1, 0, 0);
	struct mstore_family *h = family(st, MSTORE_HISTOGRAM, "wc_seconds", 1, 0, 0);
	unsigned long walks = 0, series = 0, removed = 0;
	struct mstore_reader *r;
	time_t end;
	pid_t pid;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		churn_child(st, g, h, WALK_SECONDS + 1);
	r = reader();
	end = time(NULL) + WALK_SECONDS;
	while (time(NULL) < end) {
		static const char *const names[] = { "wc_level", "wc_seconds" };
		int k;

		ck_assert_int_ge(mstore_reader_refresh(r), 0);
		for (k = 0; k < 2; k++) {
			struct mstore_family_view fv;
			struct mstore_series_view sv;
			struct mstore_snapshot snap;
			uint64_t last = 0;
			int rc, src;

			ck_assert_int_eq(tu_find_family(r, names[k], &fv), 0);
			for (rc = mstore_reader_series_first(r, &fv, &sv); rc == 1;
			     rc = mstore_reader_series_next(r, &fv, &sv)) {
				double want = value_of(sv.label_value[0], sv.label_value_len[0]);

				ck_assert_uint_gt(sv._gen, last); /* never twice */
				last = sv._gen;
				if (series % 8 == 0)
					sched_yield(); /* give the writer time to reuse it */
				src = mstore_reader_snapshot(r, &fv, &sv, &snap);
				if (src == MSTORE_E_REMOVED ||
				    mstore_reader_series_check(r, &sv) != 1) {
					removed++;
					continue;
				}
				ck_assert_int_eq(src, 0);
				if (k == 0) {
					/* 0: created, not set yet */
					ck_assert_msg(snap.value == want || snap.value == 0,
					              "%.*s shows %g", (int)sv.label_value_len[0],
					              sv.label_value[0], snap.value);
				} else {
					ck_assert_uint_le(snap.count, 1);
					ck_assert(snap.count == 0 || snap.sum == want);
				}
				series++;
			}
			ck_assert_msg(rc == 0, "walk: %s", mstore_strerror(rc));
		}
		walks++;
	}
	mstore_reader_close(r);
	ck_assert_int_eq(tu_reap(pid), 0);
	printf("reader during churn: walks=%lu series=%lu removed_meanwhile=%lu\n", walks, series,
	       removed);
	ck_assert_uint_gt(series, 0);
	mstore_close(st);
}
END_TEST

/* ------------------------------------------------------------ kills */

static enum mstore_step kill_step;

static void
kill_at(enum mstore_step step)
{
	if (step == kill_step)
		raise(SIGKILL);
}

/* In a child: die at step while doing fn(f). */
static void
die_at(enum mstore_step step, void (*fn)(struct mstore_family *, const char *),
       struct mstore_family *f, const char *v)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		kill_step = step;
		mstore_test_hook = kill_at;
		fn(f, v);
		_exit(1);
	}
	ck_assert_int_eq(tu_reap(pid), 128 + SIGKILL);
}

static void
do_remove(struct mstore_family *f, const char *v)
{
	const char *vals[] = { v };

	(void)mstore_series_remove_labels(f, vals);
}

static void
do_get(struct mstore_family *f, const char *v)
{
	struct mstore_series *s;
	const char *vals[] = { v };

	(void)mstore_series_get(f, vals, &s);
}

/* After a writer died inside something: the store reads whole (every walk
 * ends), the next writer finishes or undoes it, and after the delay the
 * usage is exactly what the live series hold. */
static void
check_recovered(struct mstore *st, const char *family_name, int want_series)
{
	struct mstore_info info;
	char seen[256];
	int n;

	n = labels_now(family_name, seen, sizeof seen); /* readable before recovery */
	ck_assert_int_ge(n, 0);
	expire(st); /* recovers the intent, then expires */
	expire(st);
	ck_assert_int_eq(labels_now(family_name, seen, sizeof seen), want_series);
	ck_assert_uint_eq(atomic_load(&st->hdr->intent.op), MSTORE_INTENT_NONE);
	ck_assert_uint_eq(st->hdr->alloc.dirty, 0);
	info_now(&info);
	ck_assert_uint_eq(info.series, (uint32_t)want_series);
}

/*
 * Registration and removal (the intent): a child removes a series and is
 * killed after each step of the removal.  A reader never sees half a
 * removal; the next writer finishes it (counted); the index and the
 * rooms are consistent (the same labels make one new series).
 */
static const enum mstore_step remove_steps[] = {
	MSTORE_STEP_REMOVE_UNLINKED,
	MSTORE_STEP_REMOVE_ODD,
	MSTORE_STEP_REMOVE_RETIRED,
};

START_TEST(test_kill_in_removal)
{
	struct mstore *st = make_store(0, DELAY_MS, 2);
	struct mstore_family *f = family(st, MSTORE_COUNTER, "kr_total", 1, 0, 0);
	struct mstore_series *b = get(f, "b"), *b2;
	struct mstore_info info;
	char seen[256];

	(void)get(f, "a");
	(void)get(f, "c");
	die_at(remove_steps[_i], do_remove, f, "b");
	ck_assert_uint_eq(atomic_load(&st->hdr->intent.op), MSTORE_INTENT_REMOVE);
	/* unlinked at the first step already: no walk reaches it */
	ck_assert_int_eq(labels_now("kr_total", seen, sizeof seen), 2);
	ck_assert_str_eq(seen, "a,c");
	check_recovered(st, "kr_total", 2);
	info_now(&info);
	ck_assert_uint_eq(info.recoveries[MSTORE_RECOVERY_REMOVAL], 1);
	ck_assert_int_eq(mstore_counter_inc(b), MSTORE_E_REMOVED);
	b2 = get(f, "b");
	ck_assert_ptr_ne(b2, b);
	ck_assert_int_eq(labels_now("kr_total", seen, sizeof seen), 3);
	ck_assert_str_eq(seen, "a,c,b");
	mstore_close(st);
}
END_TEST

/* A child killed while it reuses a removed series' room (after the fill,
 * and between the state and the gen): rolled back or forward, never half
 * a series. */
static const struct {
	enum mstore_step step;
	int forward;
} reuse_steps[] = {
	{ MSTORE_STEP_SERIES_FILLED, 0 },
	{ MSTORE_STEP_SERIES_STATE, 1 },
	{ MSTORE_STEP_SERIES_PUBLISHED, 1 },
};

START_TEST(test_kill_in_reuse)
{
	struct mstore *st = make_store(0, DELAY_MS, 2);
	struct mstore_family *f = family(st, MSTORE_HISTOGRAM, "ku_seconds", 1, 0, 0);
	struct mstore_series *a = get(f, "a");
	struct mstore_info info;
	char seen[256];

	ck_assert_int_eq(mstore_series_remove(a), 0);
	expire(st);
	die_at(reuse_steps[_i].step, do_get, f, "z");
	ck_assert_int_eq(labels_now("ku_seconds", seen, sizeof seen), 0);
	check_recovered(st, "ku_seconds", reuse_steps[_i].forward);
	info_now(&info);
	ck_assert_uint_eq(info.recoveries[reuse_steps[_i].forward ? MSTORE_RECOVERY_FORWARD
	                                                          : MSTORE_RECOVERY_BACK],
	                  1);
	a = get(f, "z");
	ck_assert_int_eq(mstore_histogram_observe(a, 1), 0);
	ck_assert_int_eq(labels_now("ku_seconds", seen, sizeof seen), 1);
	mstore_close(st);
}
END_TEST

static void
do_heartbeat(struct mstore_family *f, const char *v)
{
	(void)v;
	(void)mstore_heartbeat(f->st);
}

/* A writer killed while it gives a removed series' rooms to the free lists
 * (expiry), or while it rebuilds them: the next one rebuilds. */
START_TEST(test_kill_in_expiry_and_rebuild)
{
	struct mstore *st = make_store(0, DELAY_MS, 2);
	struct mstore_family *f = family(st, MSTORE_GAUGE, "ke_depth", 1, 0, 0);
	struct mstore_series *a = get(f, "a");
	struct mstore_info info;

	(void)get(f, "b");
	ck_assert_int_eq(mstore_series_remove(a), 0);
	tu_sleep_ms(DELAY_MS + 5);
	die_at(MSTORE_STEP_EXPIRE_GIVEN, do_heartbeat, f, NULL);
	ck_assert_uint_eq(atomic_load(&st->hdr->intent.op), MSTORE_INTENT_EXPIRE);
	check_recovered(st, "ke_depth", 1);
	st->hdr->alloc.dirty = 1; /* a rebuild is due */
	die_at(MSTORE_STEP_REBUILD, do_get, f, "c");
	ck_assert_uint_eq(st->hdr->alloc.dirty, 1);
	(void)get(f, "c");
	ck_assert_uint_eq(st->hdr->alloc.dirty, 0);
	info_now(&info);
	ck_assert_uint_eq(info.series, 2);
	ck_assert_uint_eq(info.values_used, 2);
	mstore_close(st);
}
END_TEST

/*
 * Real kills at random moments of a churning child: whatever instruction
 * it died at, the parent's walks end, its own series keep their values,
 * and after a last clear and the delay every room is free again (nothing
 * leaked, nothing handed out twice: one series per label value).
 */
START_TEST(test_random_kills_churn)
{
	struct mstore *st = make_store(256, 1, 2);
	struct mstore_family *g = family(st, MSTORE_GAUGE, "rk_level", 1, 0, 0);
	struct mstore_family *h = family(st, MSTORE_HISTOGRAM, "rk_seconds", 1, 0, 0);
	struct mstore_series *mine = get(g, "parent");
	struct mstore_info before, info;
	char seen[4096];
	int i, n;

	srand(15);
	info_now(&before);
	for (i = 0; i < KILL_ROUNDS; i++) {
		pid_t pid = fork();

		ck_assert_int_ge(pid, 0);
		if (pid == 0)
			churn_child(st, g, h, 0);
		tu_sleep_ms(1 + rand() % 8);
		ck_assert_int_eq(kill(pid, SIGKILL), 0);
		ck_assert_int_eq(tu_reap(pid), 128 + SIGKILL);
		ck_assert_int_ge(labels_now("rk_level", seen, sizeof seen), 1);
		ck_assert_int_eq(mstore_gauge_set(mine, i), 0);
		tu_sleep_ms(3 * TICK_MS);
		ck_assert_int_eq(mstore_heartbeat(st), 0);
		/* what the dead child left, cleared ("parent" comes back) */
		ck_assert_int_ge(mstore_family_clear(h), 0);
		ck_assert_int_ge(mstore_family_clear(g), 1);
		ck_assert_int_eq(mstore_gauge_set(mine, i), MSTORE_E_REMOVED);
		mstore_series_free(mine);
		mine = get(g, "parent");
	}
	ck_assert_int_ge(mstore_family_clear(h), 0);
	n = mstore_family_clear(g);
	ck_assert_int_eq(n, 1);
	tu_sleep_ms(5);
	ck_assert_int_eq(mstore_heartbeat(st), 0);
	info_now(&info);
	ck_assert_uint_eq(info.series, before.series - 1);
	ck_assert_uint_eq(info.values_used, before.values_used - 1);
	ck_assert_uint_eq(info.strings_used, before.strings_used - 8);
	printf("random kills: rounds=%d recoveries removal=%llu forward=%llu back=%llu "
	       "slots=%llu\n",
	       KILL_ROUNDS, (unsigned long long)info.recoveries[MSTORE_RECOVERY_REMOVAL],
	       (unsigned long long)info.recoveries[MSTORE_RECOVERY_FORWARD],
	       (unsigned long long)info.recoveries[MSTORE_RECOVERY_BACK],
	       (unsigned long long)info.recoveries[MSTORE_RECOVERY_SLOT]);
	mstore_close(st);
}
END_TEST

static Suite *
remove_suite(void)
{
	Suite *s = suite_create("mstore_remove");
	TCase *core = tcase_create("core");
	TCase *limits = tcase_create("limits");
	TCase *churn = tcase_create("churn");
	TCase *kill = tcase_create("kill");

	tcase_add_checked_fixture(core, setup, teardown);
	tcase_add_test(core, test_remove_by_handle);
	tcase_add_test(core, test_remove_labels_and_matching);
	tcase_add_test(core, test_reuse_after_delay);
	tcase_add_test(core, test_reuse_native_exemplars);
	tcase_add_test(core, test_reuse_same_family_only);
	tcase_add_test(core, test_expiry_empties_dead_exemplar);
	tcase_add_test(core, test_reuse_across_shapes);
	tcase_add_test(core, test_free_handles);
	tcase_add_test(core, test_remove_other_process);
	tcase_add_test(core, test_usage_matches);
	suite_add_tcase(s, core);
	tcase_add_checked_fixture(limits, setup, teardown);
	tcase_add_test(limits, test_limit_refuse);
	tcase_add_test(limits, test_limit_overflow);
	tcase_add_test(limits, test_full_refused);
	suite_add_tcase(s, limits);
	tcase_add_checked_fixture(churn, setup, teardown);
	tcase_add_test(churn, test_churn_flat);
	tcase_add_test(churn, test_reader_during_churn);
	tcase_set_timeout(churn, 600);
	suite_add_tcase(s, churn);
	tcase_add_checked_fixture(kill, setup, teardown);
	tcase_add_loop_test(kill, test_kill_in_removal, 0,
	                    (int)(sizeof(remove_steps) / sizeof(remove_steps[0])));
	tcase_add_loop_test(kill, test_kill_in_reuse, 0,
	                    (int)(sizeof(reuse_steps) / sizeof(reuse_steps[0])));
	tcase_add_test(kill, test_kill_in_expiry_and_rebuild);
	tcase_add_test(kill, test_random_kills_churn);
	tcase_set_timeout(kill, 120);
	suite_add_tcase(s, kill);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(remove_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
