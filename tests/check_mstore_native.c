/* SPDX-License-Identifier: MIT */
/*
 * check_mstore_native.c - Check suite for native histograms in the store:
 * registration (the spec's native fields resolved, same definition, every
 * error), observations through the store against nhist.c's model state
 * fed the same values (the two copies and their switch must not change a
 * bucket), the minimum reset duration by the clock and by the heartbeat,
 * threads observing while a reader reads, a writer killed inside the
 * slow path and inside a reset (mstore_layout.h, "Native histograms"),
 * and the reader's validation of native records and native values
 * (hostile bytes give E_CORRUPT, and no protobuf body, never a crash).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "expo.h"
#include "mstore_layout.h"
#include "mstore_writer.h"
#include "testrng.h"
#include "testutil.h"

#define TICK_MS      10
#define LATE_MS      (3 * TICK_MS)
#define MODEL_VALUES 20000
#define THREAD_OBS   100000
#define THREAD_READS 2000
#define KILL_ROUNDS  30
#define RESET_MS     50
#define OUT_CAP      (64 * 1024)

static struct tu_dir dir;
static char path[TU_PATH_MAX];
static struct mstore *st;

static const struct mstore_options opts = { .max_writers = 2,
	                                    .tick_interval_ms = TICK_MS,
	                                    .value_slots = 64 * 1024 };

static void
setup(void)
{
	int err = 0;

	ck_assert_int_eq(tu_dir_make(&dir), 0);
	ck_assert_ptr_nonnull(tu_path(&dir, "store", path, sizeof(path)));
	st = mstore_create(path, &opts, &err);
	ck_assert_msg(st != NULL, "create: %s", mstore_strerror(err));
}

static void
teardown(void)
{
	mstore_close(st);
	st = NULL;
	tu_dir_remove(&dir);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int
reap(pid_t pid)
{
	int status;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* A native spec: name, factor, buckets, thresholds, reset, classic bounds. */
static struct mstore_family_spec
nspec(const char *name, double factor, uint32_t max, double zt, double mzt, int64_t reset)
{
	struct mstore_family_spec s = { .size = sizeof(s),
		                        .type = MSTORE_HISTOGRAM,
		                        .name = name,
		                        .help = "A native histogram.",
		                        .native_factor = factor,
		                        .native_max_buckets = max,
		                        .native_zero_threshold = zt,
		                        .native_max_zero_threshold = mzt,
		                        .native_min_reset_ns = reset };

	return s;
}

/* Register spec in st and get its series without labels. */
static struct mstore_series *
nseries(const struct mstore_family_spec *spec)
{
	struct mstore_family *f;
	struct mstore_series *s;
	int rc = mstore_family_register(st, spec, &f);

	ck_assert_msg(rc == 0, "%s: %s", spec->name, mstore_strerror(rc));
	ck_assert_int_eq(mstore_series_get(f, NULL, &s), 0);
	return s;
}

/* Family name's view and its first series' native reading from path:
 * mstore_reader_native()'s result. */
static int
read_native(const char *name, struct mstore_family_view *f, struct mstore_snapshot *snap,
            struct mstore_native_snapshot *nat)
{
	struct mstore_series_view s;
	struct mstore_reader *r;
	int rc, err = 0;

	r = mstore_reader_open(path, &err);
	ck_assert_msg(r != NULL, "reader: %s", mstore_strerror(err));
	ck_assert_int_eq(tu_find_family(r, name, f), 0);
	ck_assert_int_eq(mstore_reader_series_first(r, f, &s), 1);
	rc = mstore_reader_native(r, f, &s, snap, nat);
	mstore_reader_close(r);
	return rc;
}

/* The zero count and the bucket counts (those in each bracket: mstore.h). */
static uint64_t
native_total(const struct mstore_native_snapshot *n)
{
	uint64_t t = n->zero_count;
	uint32_t j;
	int s;

	for (s = 0; s < 2; s++)
		for (j = n->first[s]; j < n->end[s]; j++)
			t += n->bucket[s][j];
	return t;
}

/* ------------------------------------------------------- registration */

START_TEST(test_register_resolved)
{
	struct mstore_family_spec a = nspec("lat_seconds", 1.1, 0, 0, 0, 0);
	struct mstore_family_spec b = nspec("lat_seconds", 1.095, MSTORE_NATIVE_DEF_BUCKETS,
	                                    MSTORE_NATIVE_DEF_ZERO_THRESHOLD, 0, 0);
	struct mstore_family_spec c = nspec("lat_seconds", 1.1, 100, 0, 0, 0);
	struct mstore_family_spec z = nspec("exact_zero", 2, 8, -1, 0, INT64_C(1000));
	static struct mstore_native_snapshot nat;
	struct mstore_family *fa, *fb, *fz;
	struct mstore_family_view v;
	struct mstore_snapshot snap;
	struct mstore_series *s;

	ck_assert_int_eq(mstore_family_register(st, &a, &fa), 0);
	/* another factor of schema 3, the defaults spelled out: the same */
	ck_assert_int_eq(mstore_family_register(st, &b, &fb), 0);
	ck_assert_ptr_eq(fa, fb);
	ck_assert_int_eq(mstore_family_register(st, &c, &fb), MSTORE_E_CONFLICT);
	ck_assert_int_eq(mstore_histogram_family(st, "lat_seconds", "A native histogram.", NULL, 0,
	                                         NULL, 0, NULL, &fb),
	                 MSTORE_E_CONFLICT);
	ck_assert_int_eq(mstore_family_register(st, &z, &fz), 0);
	ck_assert_int_eq(mstore_series_get(fa, NULL, &s), 0);
	ck_assert_int_eq(mstore_series_get(fz, NULL, &s), 0);

	ck_assert_int_eq(read_native("lat_seconds", &v, &snap, &nat), 0);
	ck_assert_uint_eq(v.native_buckets, MSTORE_NATIVE_DEF_BUCKETS);
	ck_assert_int_eq(v.native_schema, 3);
	ck_assert(v.native_zero_threshold == 0x1p-128);
	ck_assert(v.native_max_zero_threshold == 0x1p-128);
	ck_assert_int_eq(v.native_min_reset_ns, 0);
	ck_assert_int_eq(nat.schema, 3);
	ck_assert(nat.zero_threshold == 0x1p-128);
	ck_assert_uint_eq(snap.count, 0);
	ck_assert_uint_eq(native_total(&nat), 0);
	ck_assert_int_eq(read_native("exact_zero", &v, &snap, &nat), 0);
	ck_assert_int_eq(v.native_schema, 0);
	ck_assert_uint_eq(v.native_buckets, 8);
	ck_assert(v.native_zero_threshold == 0 && v.native_max_zero_threshold == 0);
	ck_assert_int_eq(v.native_min_reset_ns, 1000);
	ck_assert_uint_eq(mstore_native_value_slots(0, 0), 4 + 21 + 4 * MSTORE_NATIVE_DEF_BUCKETS);
	ck_assert_uint_eq(mstore_native_value_slots(11, 8), 15 + 21 + 32);
	ck_assert_uint_eq(mstore_native_value_slots(MSTORE_MAX_BUCKETS + 1, 8), 0);
	ck_assert_uint_eq(mstore_native_value_slots(0, MSTORE_NATIVE_BUCKETS_MAX + 1), 0);
}
END_TEST

/* A spec of the first version's size: the native fields are not read. */
START_TEST(test_register_old_spec)
{
	struct mstore_family_spec a = nspec("old_seconds", 1.1, 0, 0, 0, 0);
	static struct mstore_native_snapshot nat;
	struct mstore_family_view v;
	struct mstore_snapshot snap;
	struct mstore_series *s;
	struct mstore_family *f;

	a.size = offsetof(struct mstore_family_spec, native_factor);
	ck_assert_int_eq(mstore_family_register(st, &a, &f), 0);
	ck_assert_int_eq(mstore_series_get(f, NULL, &s), 0);
	ck_assert_int_eq(read_native("old_seconds", &v, &snap, &nat), MSTORE_E_INVAL);
	ck_assert_uint_eq(v.native_buckets, 0);
}
END_TEST

static const struct {
	const char *what;
	enum mstore_type type;
	double factor;
	uint32_t max;
	double zt, mzt;
	int64_t reset;
	enum mstore_per_writer mode;
	int want;
} reg_cases[] = {
	{ "on a counter", MSTORE_COUNTER, 1.1, 0, 0, 0, 0, 0, MSTORE_E_INVAL },
	{ "on a gauge", MSTORE_GAUGE, 1.1, 0, 0, 0, 0, 0, MSTORE_E_INVAL },
	{ "per writer", MSTORE_HISTOGRAM, 1.1, 0, 0, 0, 0, MSTORE_PER_WRITER_SUM, MSTORE_E_INVAL },
	{ "factor 1", MSTORE_HISTOGRAM, 1, 0, 0, 0, 0, 0, MSTORE_E_INVAL },
	{ "factor below 1", MSTORE_HISTOGRAM, 0.5, 0, 0, 0, 0, 0, MSTORE_E_INVAL },
	{ "factor negative", MSTORE_HISTOGRAM, -2, 0, 0, 0, 0, 0, MSTORE_E_INVAL },
	{ "factor NaN", MSTORE_HISTOGRAM, NAN, 0, 0, 0, 0, 0, MSTORE_E_INVAL },
	{ "too many buckets", MSTORE_HISTOGRAM, 1.1, MSTORE_NATIVE_BUCKETS_MAX + 1, 0, 0, 0, 0,
	  MSTORE_E_TOO_MANY },
	{ "zero threshold NaN", MSTORE_HISTOGRAM, 1.1, 0, NAN, 0, 0, 0, MSTORE_E_INVAL },
	{ "zero threshold infinite", MSTORE_HISTOGRAM, 1.1, 0, INFINITY, 0, 0, 0, MSTORE_E_INVAL },
	{ "limit negative", MSTORE_HISTOGRAM, 1.1, 0, 0, -1, 0, 0, MSTORE_E_INVAL },
	{ "limit NaN", MSTORE_HISTOGRAM, 1.1, 0, 0, NAN, 0, 0, MSTORE_E_INVAL },
	{ "limit infinite", MSTORE_HISTOGRAM, 1.1, 0, 0, INFINITY, 0, 0, MSTORE_E_INVAL },
	{ "reset negative", MSTORE_HISTOGRAM, 1.1, 0, 0, 0, -1, 0, MSTORE_E_INVAL },
	{ "buckets without a factor", MSTORE_HISTOGRAM, 0, 8, 0, 0, 0, 0, MSTORE_E_INVAL },
	{ "threshold without a factor", MSTORE_HISTOGRAM, 0, 0, 1, 0, 0, 0, MSTORE_E_INVAL },
	{ "limit without a factor", MSTORE_HISTOGRAM, 0, 0, 0, 1, 0, 0, MSTORE_E_INVAL },
	{ "reset without a factor", MSTORE_HISTOGRAM, 0, 0, 0, 0, 1, 0, MSTORE_E_INVAL },
};

START_TEST(test_register_errors)
{
	struct mstore_family_spec s =
	        nspec("bad_seconds", reg_cases[_i].factor, reg_cases[_i].max, reg_cases[_i].zt,
	              reg_cases[_i].mzt, reg_cases[_i].reset);
	struct mstore_family *f;
	int rc;

	s.type = reg_cases[_i].type;
	s.name = s.type == MSTORE_COUNTER ? "bad_total" : "bad_seconds";
	s.per_writer = reg_cases[_i].mode;
	rc = mstore_family_register(st, &s, &f);
	ck_assert_msg(rc == reg_cases[_i].want, "%s: %d (%s)", reg_cases[_i].what, rc,
	              mstore_strerror(rc));
}
END_TEST

/* ------------------------------------------------------- observations */

/* The i-th of a stream of values of every kind: both signs over many
 * powers of two, exact bounds, zeros, subnormals, NaN, the infinities. */
static double
any_value(int kind)
{
	uint64_t r = rng();

	switch (kind) {
	case 0: /* a latency-like spread */
		return ldexp(1 + (double)(r % 1000) / 1000, (int)(r >> 40) % 24 - 12);
	case 1: /* both signs, wide */
		return (r & 1 ? -1 : 1) *
		       ldexp(1 + (double)(r % 997) / 997, (int)(r >> 32) % 200 - 100);
	default: {
		static const double odd[] = { 0,         -0.0,   NAN,     INFINITY,
			                      -INFINITY, 5e-324, -1e-310, DBL_MAX,
			                      1,         2,      0.5,     0x1.6a09e667f3bcdp+0 };

		if (r % 4 == 0)
			return odd[(r >> 8) % (sizeof odd / sizeof odd[0])];
		return (r & 2 ? -1 : 1) * ldexp(1, (int)(r >> 16) % 2098 - 1074);
	}
	}
}

static const struct {
	double factor;
	uint32_t max;
	double zt, mzt;
	int kind;
} model_cases[] = {
	{ 1.1, 160, 0, 0, 0 },       /* a latency in a roomy window */
	{ 1.1, 20, 0, 0, 0 },        /* the same in a small one: reductions */
	{ 1.001, 12, -1, 1e-3, 1 },  /* widening, then reductions */
	{ 2, 8, 0, 1e300, 1 },       /* widening up to a large limit */
	{ 65536, 1, -1, 0, 2 },      /* schema -4, one bucket: forced widening */
	{ 1.02, 40, 1e-9, 1e-6, 2 }, /* everything */
};

/* The store against nhist.c's state fed the same values: the same count,
 * sum and classic buckets, and the same native reading, bucket for bucket
 * (the copies and their switch change nothing). */
START_TEST(test_observe_matches_model)
{
	static _Atomic uint64_t model[NHIST_SLOTS(NHIST_WINDOW_MAX)];
	static struct mstore_native_snapshot nat, want;
	static const double bounds[] = { -1, 0, 1e-3, 1, 1e3 };
	struct mstore_family_spec spec =
	        nspec("model_seconds", model_cases[_i].factor, model_cases[_i].max,
	              model_cases[_i].zt, model_cases[_i].mzt, 0);
	struct mstore_family_view v;
	struct mstore_snapshot snap;
	struct mstore_series *s;
	struct nhist_config c;
	uint64_t count = 0;
	double sum = 0;
	int k;

	spec.nbounds = 5;
	spec.bounds = bounds;
	s = nseries(&spec);
	c = s->fam->native;
	nhist_init(model, &c, 0);
	rng_state = (uint64_t)_i * 977 + 1;
	for (k = 0; k < MODEL_VALUES; k++) {
		double x = any_value(model_cases[_i].kind);

		REQUIRE(mstore_histogram_observe(s, x) == 0, "observe %a", x);
		(void)nhist_observe(model, &c, x, 0);
		count++;
		sum += x;
	}
	ck_assert_int_eq(read_native("model_seconds", &v, &snap, &nat), 0);
	nhist_read(model, c.nbuckets, &want);
	ck_assert_uint_eq(snap.count, count);
	ck_assert(snap.sum == sum || (isnan(snap.sum) && isnan(sum)));
	ck_assert_uint_eq(snap.bucket[5], count);
	ck_assert_int_eq(nat.schema, want.schema);
	ck_assert(nat.zero_threshold == want.zero_threshold);
	ck_assert_uint_eq(nat.zero_count, want.zero_count);
	for (k = 0; k < 2; k++) {
		ck_assert_int_eq(nat.offset[k], want.offset[k]);
		ck_assert_uint_eq(nat.first[k], want.first[k]);
		ck_assert_uint_eq(nat.end[k], want.end[k]);
		ck_assert_int_eq(memcmp(nat.bucket[k] + nat.first[k],
		                        want.bucket[k] + want.first[k],
		                        (nat.end[k] - nat.first[k]) * sizeof(uint64_t)),
		                 0);
	}
	ck_assert(nhist_snapshot_valid(&nat, snap.count));
}
END_TEST

/* The classic part alone (mstore_reader_snapshot, which the text formats
 * use), and mstore_reader_native's refusals. */
START_TEST(test_snapshot_parts)
{
	static const double bounds[] = { 1, 10 };
	struct mstore_family_spec spec = nspec("parts_seconds", 2, 8, 0, 0, 0);
	static struct mstore_native_snapshot nat;
	struct mstore_family_view f, cf;
	struct mstore_series_view sv, csv;
	struct mstore_snapshot snap;
	struct mstore_family *classic;
	struct mstore_series *s, *cs;
	struct mstore_reader *r;
	int err;

	spec.nbounds = 2;
	spec.bounds = bounds;
	s = nseries(&spec);
	ck_assert_int_eq(mstore_histogram_family(st, "plain_seconds", "Classic.", NULL, 0, NULL, 2,
	                                         bounds, &classic),
	                 0);
	ck_assert_int_eq(mstore_series_get(classic, NULL, &cs), 0);
	ck_assert_int_eq(mstore_histogram_observe(s, 0.5), 0);
	ck_assert_int_eq(mstore_histogram_observe(s, 5), 0);
	ck_assert_int_eq(mstore_histogram_observe(s, 50), 0);
	r = mstore_reader_open(path, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(tu_find_family(r, "parts_seconds", &f), 0);
	ck_assert_int_eq(tu_find_family(r, "plain_seconds", &cf), 0);
	ck_assert_int_eq(mstore_reader_series_first(r, &f, &sv), 1);
	ck_assert_int_eq(mstore_reader_series_first(r, &cf, &csv), 1);
	ck_assert_int_eq(mstore_reader_snapshot(r, &f, &sv, &snap), 0);
	ck_assert_uint_eq(snap.count, 3);
	ck_assert_uint_eq(snap.bucket[0], 1);
	ck_assert_uint_eq(snap.bucket[1], 2);
	ck_assert_uint_eq(snap.bucket[2], 3);
	ck_assert(snap.sum == 55.5);
	ck_assert_int_eq(mstore_reader_native(r, &cf, &csv, &snap, &nat), MSTORE_E_INVAL);
	ck_assert_int_eq(mstore_reader_native(r, &f, &sv, &snap, NULL), MSTORE_E_INVAL);
	ck_assert_int_eq(mstore_reader_native(r, &f, &sv, NULL, &nat), MSTORE_E_INVAL);
	ck_assert_int_eq(mstore_reader_native(NULL, &f, &sv, &snap, &nat), MSTORE_E_INVAL);
	f.native_buckets = MSTORE_NATIVE_BUCKETS_MAX + 1; /* a view the reader never made */
	ck_assert_int_eq(mstore_reader_native(r, &f, &sv, &snap, &nat), MSTORE_E_INVAL);
	mstore_reader_close(r);
}
END_TEST

/* The minimum reset duration: an observation beyond the window resets
 * the histogram (count and classic buckets too) once the duration has
 * passed since the last reset, by the clock; a histogram whose resolution
 * was lowered returns to its configured one at its first observation
 * after the writer's heartbeat shows the duration passed, and not before. */
START_TEST(test_min_reset)
{
	struct mstore_family_spec spec =
	        nspec("reset_seconds", 2, 4, -1, 0, (int64_t)RESET_MS * 1000000);
	static struct mstore_native_snapshot nat;
	struct mstore_family_view v;
	struct mstore_snapshot snap;
	struct mstore_series *s = nseries(&spec);
	int i;

	for (i = 0; i < 4; i++)
		ck_assert_int_eq(mstore_histogram_observe(s, ldexp(1, i)), 0);
	ck_assert_int_eq(mstore_histogram_observe(s, 1e6), 0); /* too soon: reduced */
	ck_assert_int_eq(read_native("reset_seconds", &v, &snap, &nat), 0);
	ck_assert_int_lt(nat.schema, 0);
	ck_assert_uint_eq(snap.count, 5);
	sleep_ms(RESET_MS + 10);
	ck_assert_int_eq(mstore_histogram_observe(s, 1e300), 0); /* beyond: reset */
	ck_assert_int_eq(read_native("reset_seconds", &v, &snap, &nat), 0);
	ck_assert_uint_eq(snap.count, 1);
	ck_assert_uint_eq(snap.bucket[0], 1);
	ck_assert(snap.sum == 1e300);
	ck_assert_int_eq(nat.schema, 0);
	ck_assert_uint_eq(native_total(&nat), 1);

	/* lowered again; then time passes without a heartbeat: an observation
	 * inside the window (the fast path) leaves it lowered */
	ck_assert_int_eq(mstore_histogram_observe(s, 1), 0);
	ck_assert_int_eq(read_native("reset_seconds", &v, &snap, &nat), 0);
	ck_assert_int_lt(nat.schema, 0);
	sleep_ms(RESET_MS + 10);
	ck_assert_int_eq(mstore_histogram_observe(s, 1e300), 0);
	ck_assert_int_eq(read_native("reset_seconds", &v, &snap, &nat), 0);
	ck_assert_int_lt(nat.schema, 0);
	ck_assert_uint_eq(snap.count, 3);
	/* the heartbeat: the next observation returns to the configured state */
	ck_assert_int_eq(mstore_heartbeat(st), 0);
	ck_assert_int_eq(mstore_histogram_observe(s, 1e300), 0);
	ck_assert_int_eq(read_native("reset_seconds", &v, &snap, &nat), 0);
	ck_assert_int_eq(nat.schema, 0);
	ck_assert_uint_eq(snap.count, 1);
	ck_assert_uint_eq(native_total(&nat), 1);
}
END_TEST

/* Until the reader has done its reads: both signs over 60 powers of two,
 * slow paths now and again; a yield now and then, so that a reader gets
 * stable moments on a machine with fewer cores than threads. */
static _Atomic int readers_done;

struct observer {
	struct mstore_series *s;
	uint64_t seed, done;
	int failed;
};

static void *
observe_loop(void *arg)
{
	struct observer *o = arg;
	uint64_t x = o->seed;

	while (o->done < THREAD_OBS || !atomic_load(&readers_done)) {
		x = x * UINT64_C(6364136223846793005) + 1442695040888963407u;
		o->failed |= mstore_histogram_observe(
		        o->s, ((x >> 63) ? -1 : 1) * ldexp(1 + (double)(x % 1000) / 1000,
		                                           (int)((x >> 32) % 60) - 30));
		if (++o->done % 256 == 0)
			sched_yield();
	}
	return NULL;
}

/* Two threads observe while the reader reads: every reading consistent
 * (every observation in the count is in a native bucket: no NaN here),
 * counts never go back, and nothing is lost. */
START_TEST(test_threads_and_reader)
{
	struct mstore_family_spec spec = nspec("busy_seconds", 1.05, 24, 0, 1e-6, 0);
	static struct mstore_native_snapshot nat;
	struct observer o[2];
	struct mstore_family_view f;
	struct mstore_series_view sv;
	struct mstore_snapshot snap;
	struct mstore_reader *r;
	pthread_t t[2];
	uint64_t last = 0;
	int i, err, reads;

	o[0] = (struct observer){ nseries(&spec), 1, 0, 0 };
	o[1] = (struct observer){ o[0].s, 2, 0, 0 };
	r = mstore_reader_open(path, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(tu_find_family(r, "busy_seconds", &f), 0);
	ck_assert_int_eq(mstore_reader_series_first(r, &f, &sv), 1);
	atomic_store(&readers_done, 0);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, observe_loop, &o[i]), 0);
	for (reads = 0; reads < THREAD_READS; reads++) {
		REQUIRE(mstore_reader_native(r, &f, &sv, &snap, &nat) == 0, "read");
		REQUIRE(native_total(&nat) == snap.count && snap.count >= last,
		        "native %llu, count %llu, before %llu",
		        (unsigned long long)native_total(&nat), (unsigned long long)snap.count,
		        (unsigned long long)last);
		last = snap.count;
	}
	atomic_store(&readers_done, 1);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_int_eq(o[i].failed, 0);
	}
	ck_assert_int_eq(mstore_reader_native(r, &f, &sv, &snap, &nat), 0);
	ck_assert_uint_eq(snap.count, o[0].done + o[1].done);
	ck_assert_uint_eq(native_total(&nat), snap.count);
	mstore_reader_close(r);
}
END_TEST

/* ----------------------------------------------------- dead writers */

/* The native part of series s: current copy k, and copy k's slots. */
static _Atomic uint64_t *
native_part(struct mstore_series *s)
{
	return s->v + s->nbounds + MSTORE_HIST_FIXED_SLOTS;
}

static _Atomic uint64_t *
copy_of(struct mstore_series *s, uint64_t k)
{
	return native_part(s) + MSTORE_NATIVE_COPY0 + k * NHIST_SLOTS(s->fam->native.nbuckets);
}

/* A child claims a writer slot, enters s's seqlock as observe does,
 * counts 1.5 into the classic part, then does what (0: scribbles over the
 * other copy, as a slow path cut short would leave it; 1: zeroes the
 * classic part, as a reset cut short before its switch would) and is
 * killed there. */
static void
die_inside(struct mstore_series *s, int what)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		uint64_t k;
		uint32_t i;

		if (mstore_heartbeat(st) != 0)
			_exit(1);
		atomic_fetch_or(&s->v[MSTORE_HIST_SEQ], atomic_load(&st->seq_tag));
		mstore_hist_count(s->v, mstore_bucket_index(s->bounds, s->nbounds, 1.5), 1.5);
		k = atomic_load(&native_part(s)[MSTORE_NATIVE_ACTIVE]);
		if (what == 0) {
			for (i = 0; i < NHIST_SLOTS(s->fam->native.nbuckets); i++)
				atomic_store(&copy_of(s, k ^ 1)[i], UINT64_C(0xdeadbeef) * i);
		} else {
			for (i = 0; i <= s->nbounds; i++)
				atomic_store(&s->v[MSTORE_HIST_BUCKET0 + i], 0);
			atomic_store(&s->v[MSTORE_HIST_COUNT], 0);
		}
		raise(SIGKILL);
	}
	ck_assert_int_eq(reap(pid), 128 + SIGKILL);
}

/* Killed re-laying the other copy: the reader and the recovery see the
 * current copy as it was (the cut observation in the classic part only);
 * the next observation takes the section over and counts on. */
START_TEST(test_kill_in_slow_path)
{
	struct mstore_family_spec spec = nspec("dead_seconds", 2, 4, 0, 0, 0);
	static struct mstore_native_snapshot nat;
	struct mstore_family_view v;
	struct mstore_snapshot snap;
	struct mstore_series *s = nseries(&spec);
	struct mstore_info info;
	struct mstore_reader *r;
	int err;

	ck_assert_int_eq(mstore_histogram_observe(s, 3), 0);
	die_inside(s, 0);
	ck_assert_int_eq(read_native("dead_seconds", &v, &snap, &nat), 0);
	ck_assert_uint_eq(snap.count, 2);
	ck_assert_uint_eq(native_total(&nat), 1);
	ck_assert_int_eq(mstore_histogram_observe(s, 3), 0);
	ck_assert_int_eq(read_native("dead_seconds", &v, &snap, &nat), 0);
	ck_assert_uint_eq(snap.count, 3);
	ck_assert_uint_eq(native_total(&nat), 2);
	ck_assert_int_eq(nat.schema, 0);
	r = mstore_reader_open(path, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(mstore_reader_info(r, &info), 0);
	ck_assert_uint_eq(info.recoveries[MSTORE_RECOVERY_HISTOGRAM], 1);
	mstore_reader_close(r);
}
END_TEST

/* Killed inside a reset, after zeroing the classic part and before the
 * switch: native counts above the classic ones.  The reader reads the
 * configured state, empty; the recovery (here by the slot's cleanup)
 * makes it so. */
START_TEST(test_kill_in_reset)
{
	struct mstore_family_spec spec = nspec("reset_dead_seconds", 2, 4, 0, 0, 0);
	static struct mstore_native_snapshot nat;
	struct mstore_family_view v;
	struct mstore_snapshot snap;
	struct mstore_series *s = nseries(&spec);
	int i;

	for (i = 0; i < 3; i++)
		ck_assert_int_eq(mstore_histogram_observe(s, 3), 0);
	die_inside(s, 1);
	ck_assert_int_eq(read_native("reset_dead_seconds", &v, &snap, &nat), 0);
	ck_assert_uint_eq(snap.count, 0);
	ck_assert_uint_eq(native_total(&nat), 0);
	ck_assert_int_eq(nat.schema, 0);
	sleep_ms(LATE_MS);
	ck_assert_int_eq(mstore_heartbeat(st), 0); /* cleans the dead slot */
	ck_assert_uint_eq(atomic_load(&s->v[MSTORE_HIST_SEQ]) & MSTORE_SEQ_LOCKED, 0);
	ck_assert_uint_eq(nhist_total(copy_of(s, atomic_load(&native_part(s)[0]) & 1), 4), 0);
	ck_assert_int_eq(mstore_histogram_observe(s, 3), 0);
	ck_assert_int_eq(read_native("reset_dead_seconds", &v, &snap, &nat), 0);
	ck_assert_uint_eq(snap.count, 1);
	ck_assert_uint_eq(native_total(&nat), 1);
}
END_TEST

/* Real kills at random moments of a child observing values that take
 * the slow path and reset often: whatever it died at, every reading is
 * consistent and the parent's observations go on. */
START_TEST(test_random_kills)
{
	struct mstore_family_spec spec = nspec("kills_seconds", 1.5, 6, 0, 0, 1);
	static struct mstore_native_snapshot nat;
	struct mstore_family_view v;
	struct mstore_snapshot snap;
	struct mstore_series *s = nseries(&spec);
	int i;

	srand(42);
	for (i = 0; i < KILL_ROUNDS; i++) {
		pid_t pid = fork();

		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			uint64_t x = (uint64_t)getpid();

			for (;;) {
				x = x * UINT64_C(6364136223846793005) + 1;
				(void)mstore_histogram_observe(s, ldexp(1, (int)(x >> 58) - 32));
			}
		}
		sleep_ms(1 + rand() % 5);
		ck_assert_int_eq(kill(pid, SIGKILL), 0);
		ck_assert_int_eq(reap(pid), 128 + SIGKILL);
		ck_assert_int_eq(read_native("kills_seconds", &v, &snap, &nat), 0);
		ck_assert_uint_le(native_total(&nat), snap.count);
		ck_assert_int_eq(mstore_histogram_observe(s, 1), 0);
		ck_assert_int_eq(read_native("kills_seconds", &v, &snap, &nat), 0);
		ck_assert_uint_le(native_total(&nat), snap.count);
		ck_assert_uint_ge(snap.count, 1);
		sleep_ms(LATE_MS);
		ck_assert_int_eq(mstore_heartbeat(st), 0);
	}
}
END_TEST

/* ------------------------------------------------- hostile bytes */

/* The store file's bytes, changed by a case, then read back. */
static unsigned char *img;
static size_t img_len;

static void
bad_setup(void)
{
	static const double bounds[] = { 1, 10 };
	struct mstore_family_spec spec = nspec("bad_native_seconds", 2, 4, 0, 0, 0);
	struct mstore_family *f;
	struct mstore_series *s;

	setup();
	spec.nbounds = 2;
	spec.bounds = bounds;
	s = nseries(&spec);
	ck_assert_int_eq(mstore_histogram_observe(s, 0.75), 0);
	ck_assert_int_eq(mstore_histogram_observe(s, -3), 0);
	ck_assert_int_eq(mstore_histogram_observe(s, 5), 0);
	ck_assert_int_eq(mstore_counter_family(st, "other_total", "A counter.", NULL, 0, NULL, &f),
	                 0);
	ck_assert_int_eq(mstore_series_get(f, NULL, &s), 0);
	img = tu_read_file(path, &img_len);
	ck_assert_ptr_nonnull(img);
}

static void
bad_teardown(void)
{
	free(img);
	img = NULL;
	teardown();
}

static struct mstore_hdr *
hdr(void)
{
	return (struct mstore_hdr *)(void *)img;
}

static struct mstore_family_rec *
frec(uint32_t i)
{
	return (struct mstore_family_rec *)(void *)(img + hdr()->family_off +
	                                            (size_t)i * MSTORE_FAMILY_REC_SIZE);
}

/* Slot i of the native histogram's current copy (i < NHIST_SLOTS(4)), or
 * with i = -1 its ACTIVE slot. */
static _Atomic uint64_t *
nslot(int i)
{
	const struct mstore_series_rec *sr =
	        (const void *)(img + hdr()->series_off); /* series 0: the native one */
	_Atomic uint64_t *v = (_Atomic uint64_t *)(void *)(img + hdr()->value_off) + sr->value_off +
	                      frec(0)->nbounds + MSTORE_HIST_FIXED_SLOTS;

	if (i < 0)
		return &v[MSTORE_NATIVE_ACTIVE];
	return &v[MSTORE_NATIVE_COPY0 +
	          (atomic_load(&v[MSTORE_NATIVE_ACTIVE]) & 1) * NHIST_SLOTS(4) + (size_t)i];
}

static void
put_double(_Atomic uint64_t *p, double d)
{
	atomic_store(p, double_to_bits(d));
}

/* clang-format off */
static void r_buckets(void) { frec(0)->native.nbuckets = MSTORE_NATIVE_BUCKETS_MAX + 1; }
static void r_buckets_slots(void) { frec(0)->native.nbuckets = 5; }
static void r_schema_high(void) { frec(0)->native.schema = 9; }
static void r_schema_low(void) { frec(0)->native.schema = -5; }
static void r_zt_nan(void) { frec(0)->native.zero_threshold = NAN; }
static void r_zt_neg(void) { frec(0)->native.zero_threshold = -1; }
static void r_zt_inf(void) { frec(0)->native.zero_threshold = INFINITY; frec(0)->native.max_zero_threshold = INFINITY; }
static void r_mzt_low(void) { frec(0)->native.max_zero_threshold = 0; frec(0)->native.zero_threshold = 1; }
static void r_reset_neg(void) { frec(0)->native.min_reset_ns = -1; }
static void r_nslots(void) { frec(0)->nslots += 1; }
static void r_on_counter(void) { frec(1)->native = frec(0)->native; }
static void r_leftover(void) { frec(1)->native.schema = 3; }
static void r_per_writer(void) { frec(0)->per_writer = MSTORE_PER_WRITER_SUM; }
static void r_per_writer_counter(void) { frec(1)->per_writer = MSTORE_PER_WRITER_ALL; frec(1)->nslots = hdr()->max_writers; frec(1)->native = frec(0)->native; }
static void v_active(void) { atomic_store(nslot(-1), 2); }
static void v_schema_high(void) { atomic_store(nslot(NHIST_SLOT_SCHEMA), 9); }
static void v_schema_finer(void) { atomic_store(nslot(NHIST_SLOT_SCHEMA), 1); }
static void v_schema_low(void) { atomic_store(nslot(NHIST_SLOT_SCHEMA), (uint64_t)(int64_t)-5); }
static void v_zt_narrower(void) { put_double(nslot(NHIST_SLOT_ZT), 0); }
static void v_zt_nan(void) { put_double(nslot(NHIST_SLOT_ZT), NAN); }
static void v_zero_count(void) { atomic_store(nslot(NHIST_SLOT_ZERO), 4); }
static void v_bucket_count(void) { atomic_fetch_add(nslot(NHIST_SLOT_BUCKET), 3); }
static void v_overflow(void) { atomic_store(nslot(NHIST_SLOT_BUCKET), UINT64_MAX); atomic_store(nslot(NHIST_SLOT_BUCKET + 1), UINT64_MAX); }
static void v_offset(void) { atomic_store(nslot(NHIST_SLOT_OFFSET), 2000); }
static void v_offset_low(void) { atomic_store(nslot(NHIST_SLOT_OFFSET + 1), (uint64_t)(int64_t)-3000); }
/* clang-format on */

static const struct {
	const char *what;
	void (*fn)(void);
	int at_open; /* the record: the whole store; else mstore_reader_native() */
} bad_cases[] = {
	{ "buckets beyond the limit", r_buckets, 1 },
	{ "buckets not as the slots say", r_buckets_slots, 1 },
	{ "schema above 8", r_schema_high, 1 },
	{ "schema below -4", r_schema_low, 1 },
	{ "zero threshold NaN", r_zt_nan, 1 },
	{ "zero threshold negative", r_zt_neg, 1 },
	{ "zero threshold infinite", r_zt_inf, 1 },
	{ "limit below the threshold", r_mzt_low, 1 },
	{ "reset duration negative", r_reset_neg, 1 },
	{ "slots off by one", r_nslots, 1 },
	{ "native counter", r_on_counter, 1 },
	{ "native fields without buckets", r_leftover, 1 },
	{ "native per-writer histogram", r_per_writer, 1 },
	{ "native on a per-writer counter", r_per_writer_counter, 1 },
	{ "current copy 2", v_active, 0 },
	{ "schema above 8 in the state", v_schema_high, 0 },
	{ "schema finer than configured", v_schema_finer, 0 },
	{ "schema below -4 in the state", v_schema_low, 0 },
	{ "zero bucket narrower than configured", v_zt_narrower, 0 },
	{ "zero threshold NaN in the state", v_zt_nan, 0 },
	{ "zero count above the count", v_zero_count, 0 },
	{ "bucket counts above the count", v_bucket_count, 0 },
	{ "bucket counts overflowing", v_overflow, 0 },
	{ "bucket beyond the schema's indices", v_offset, 0 },
	{ "negative bucket beyond the schema's indices", v_offset_low, 0 },
};

START_TEST(test_bad_native)
{
	static struct mstore_native_snapshot nat;
	static char out[OUT_CAP];
	struct mstore_family_view f;
	struct mstore_series_view sv;
	struct mstore_snapshot snap;
	struct mstore_reader *r;
	size_t len;
	int err = 0;

	bad_cases[_i].fn();
	ck_assert_int_eq(tu_write_file(path, img, img_len), 0);
	r = mstore_reader_open(path, &err);
	if (bad_cases[_i].at_open) {
		ck_assert_msg(r == NULL && err == MSTORE_E_CORRUPT, "%s: %d", bad_cases[_i].what,
		              err);
		return;
	}
	ck_assert_msg(r != NULL, "%s: %s", bad_cases[_i].what, mstore_strerror(err));
	ck_assert_int_eq(tu_find_family(r, "bad_native_seconds", &f), 0);
	ck_assert_int_eq(mstore_reader_series_first(r, &f, &sv), 1);
	err = mstore_reader_native(r, &f, &sv, &snap, &nat);
	ck_assert_msg(err == MSTORE_E_CORRUPT, "%s: %d", bad_cases[_i].what, err);
	/* no protobuf body shows it; the text formats show the classic part */
	ck_assert_int_eq(expo_render(r, EXPO_PROTOBUF, NULL, out, sizeof out, &len),
	                 MSTORE_E_CORRUPT);
	ck_assert_int_eq(expo_render(r, EXPO_TEXT, NULL, out, sizeof out, &len), 0);
	mstore_reader_close(r);
}
END_TEST

/* The unchanged image reads back (the cases above change one thing). */
START_TEST(test_good_image)
{
	static struct mstore_native_snapshot nat;
	struct mstore_family_view v;
	struct mstore_snapshot snap;

	ck_assert_int_eq(tu_write_file(path, img, img_len), 0);
	ck_assert_int_eq(read_native("bad_native_seconds", &v, &snap, &nat), 0);
	ck_assert_uint_eq(snap.count, 3);
	ck_assert_uint_eq(native_total(&nat), 3);
	ck_assert_uint_eq(nat.nbuckets, 4);
}
END_TEST

/* A bracket no writer leaves (beyond the window, or upside down): the
 * reader reads the whole window instead, and the counts are all there. */
START_TEST(test_bad_bracket)
{
	static struct mstore_native_snapshot nat;
	struct mstore_family_view v;
	struct mstore_snapshot snap;
	int sign;

	for (sign = 0; sign < 2; sign++) {
		atomic_store(nslot(NHIST_SLOT_FIRST + sign), sign == 0 ? 0 : 3);
		atomic_store(nslot(NHIST_SLOT_END + sign), sign == 0 ? 99 : 1);
	}
	ck_assert_int_eq(tu_write_file(path, img, img_len), 0);
	ck_assert_int_eq(read_native("bad_native_seconds", &v, &snap, &nat), 0);
	ck_assert_uint_eq(native_total(&nat), 3);
	for (sign = 0; sign < 2; sign++)
		ck_assert(nat.first[sign] < nat.end[sign] && nat.end[sign] <= 4);
}
END_TEST

static Suite *
native_suite(void)
{
	Suite *s = suite_create("mstore_native");
	TCase *reg = tcase_create("registration");
	TCase *obs = tcase_create("observations");
	TCase *kill = tcase_create("dead writers");
	TCase *bad = tcase_create("hostile bytes");

	tcase_add_checked_fixture(reg, setup, teardown);
	tcase_add_test(reg, test_register_resolved);
	tcase_add_test(reg, test_register_old_spec);
	tcase_add_loop_test(reg, test_register_errors, 0, sizeof reg_cases / sizeof reg_cases[0]);
	suite_add_tcase(s, reg);
	tcase_add_checked_fixture(obs, setup, teardown);
	tcase_add_loop_test(obs, test_observe_matches_model, 0,
	                    sizeof model_cases / sizeof model_cases[0]);
	tcase_add_test(obs, test_snapshot_parts);
	tcase_add_test(obs, test_min_reset);
	tcase_add_test(obs, test_threads_and_reader);
	tcase_set_timeout(obs, 30);
	suite_add_tcase(s, obs);
	tcase_add_checked_fixture(kill, setup, teardown);
	tcase_add_test(kill, test_kill_in_slow_path);
	tcase_add_test(kill, test_kill_in_reset);
	tcase_add_test(kill, test_random_kills);
	tcase_set_timeout(kill, 30);
	suite_add_tcase(s, kill);
	tcase_add_checked_fixture(bad, bad_setup, bad_teardown);
	tcase_add_test(bad, test_good_image);
	tcase_add_test(bad, test_bad_bracket);
	tcase_add_loop_test(bad, test_bad_native, 0, sizeof bad_cases / sizeof bad_cases[0]);
	suite_add_tcase(s, bad);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(native_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
