/* SPDX-License-Identifier: MIT */
/*
 * mkseed.c - write small, real store files as fuzzing seeds.
 *
 *   mkseed DIR
 *
 * Each file is made by the writer library with a tiny capacity (a few KiB,
 * so the fuzzer's mutations land on meaningful bytes):
 *   empty.store       no families
 *   mixed.store       a counter with labels, a gauge with a unit, a
 *                     histogram with negative bounds, values and help text
 *                     that need escaping, special float values
 *   static.store      MSTORE_F_STATIC, one counter without labels
 *   full.store        series added until the series table is full
 *   buckets.store     a histogram with MSTORE_MAX_BUCKETS bounds and
 *                     MSTORE_MAX_LABELS labels
 *   names.store       families and labels one byte away from breaking a
 *                     naming rule or clashing with each other (jobs_total
 *                     next to jobs_createx, lat_seconds next to
 *                     lat_seconds_sun_total, labels "lf" and "quantilf")
 *   writers.store     4 writer slots: per-writer families of every mode set
 *                     by two writers (one closed, one still holding its
 *                     slot), counter shards owned, a slot never claimed,
 *                     and, edited in afterwards, a histogram left locked by
 *                     writer slot 2, which died inside (count one ahead of
 *                     its buckets), with its slot LIVE and an intent left
 *   native.store      native histograms: with classic buckets, both signs,
 *                     zeros, NaN and subnormals in a window of 6 (the
 *                     zero bucket widened, the schema lowered, the second
 *                     copy current); native-only at schema -4 in one
 *                     bucket; and, edited in afterwards, one whose writer
 *                     (slot 1, LIVE) died inside a reset, after zeroing its
 *                     classic buckets and before switching copies
 *   exemplars.store   a counter, a histogram and a native-only histogram
 *                     with exemplars (escapes, UTF-8, +Inf), one record
 *                     left locked half written by a dead writer, one
 *                     emptied
 *   removed.store     series that came and went: records LIVE, LIMBO
 *                     (removed, rooms held) and reused by newer series,
 *                     an overflow series and refusals; edited in
 *                     afterwards, a removal a writer left halfway (a LIVE
 *                     series unlinked, its intent left)
 *   reused.store      the same once the limbo expired (records FREE, their
 *                     rooms in the free lists), with a reuse a writer left
 *                     halfway (a FREE record made LIVE with its gen odd,
 *                     not linked, its intent left)
 * Prints "mkseed: N stores" and exits 0; 1 on a library error.
 */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mstore.h"
#include "mstore_layout.h" /* writers.store: a dead writer's leftovers */
#include "mstore_writer.h" /* exemplars.store: the records behind a series */

#define SEED_PATH_MAX 4096

static int failures;

static int
check(int rc, const char *what)
{
	if (rc != 0) {
		fprintf(stderr, "mkseed: %s: %s\n", what, mstore_strerror(rc));
		failures++;
	}
	return rc;
}

static struct mstore *
seed_create(const char *dir, const char *name, uint32_t flags, uint32_t series)
{
	struct mstore_options o;
	char path[SEED_PATH_MAX];
	struct mstore *st;
	int err = 0;

	memset(&o, 0, sizeof(o));
	o.max_families = 8;
	o.max_series = series;
	o.value_slots = 160;
	o.string_bytes = 2048;
	o.mode = 0644;
	o.flags = flags;
	o.tick_interval_ms = 100;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	st = mstore_create(path, &o, &err);
	if (st == NULL) {
		fprintf(stderr, "mkseed: %s: %s\n", path, mstore_strerror(err));
		failures++;
	}
	return st;
}

static void
seed_mixed(const char *dir)
{
	static const char *const cl[] = { "method", "code" };
	static const char *const v1[] = { "GET", "200" };
	static const char *const v2[] = { "PO\"ST", "5\\0\n0" };
	static const char *const gl[] = { "where" };
	static const char *const gv[] = { "caf\xc3\xa9 \xf0\x9f\x98\x80" };
	static const double bounds[] = { -1, 0, 0.005, 2.5, 1e6 };
	struct mstore *st = seed_create(dir, "mixed.store", 0, 16);
	struct mstore_family *c, *g, *h;
	struct mstore_series *s;

	if (st == NULL)
		return;
	if (check(mstore_counter_family(st, "seed_requests_total", "Requests \\ with\nnewline.",
	                                NULL, 2, cl, &c),
	          "counter") == 0) {
		if (check(mstore_series_get(c, v1, &s), "series") == 0)
			check(mstore_counter_add(s, 41.5), "add");
		if (check(mstore_series_get(c, v2, &s), "series") == 0)
			check(mstore_counter_add(s, 1e300), "add");
	}
	if (check(mstore_gauge_family(st, "seed_temperature_celsius", "", "celsius", 1, gl, &g),
	          "gauge") == 0 &&
	    check(mstore_series_get(g, gv, &s), "series") == 0)
		check(mstore_gauge_set(s, -INFINITY), "set");
	if (check(mstore_histogram_family(st, "seed_latency_seconds", "Latency.", "seconds", 0,
	                                  NULL, 5, bounds, &h),
	          "histogram") == 0 &&
	    check(mstore_series_get(h, NULL, &s), "series") == 0) {
		check(mstore_histogram_observe(s, -3), "observe");
		check(mstore_histogram_observe(s, 0.001), "observe");
		check(mstore_histogram_observe(s, 1e9), "observe");
	}
	mstore_close(st);
}

static void
seed_static(const char *dir)
{
	struct mstore *st = seed_create(dir, "static.store", MSTORE_F_STATIC, 4);
	struct mstore_family *c;
	struct mstore_series *s;

	if (st == NULL)
		return;
	if (check(mstore_counter_family(st, "seed_boots_total", NULL, NULL, 0, NULL, &c),
	          "counter") == 0 &&
	    check(mstore_series_get(c, NULL, &s), "series") == 0)
		check(mstore_counter_inc(s), "inc");
	mstore_close(st);
}

static void
seed_full(const char *dir)
{
	static const char *const gl[] = { "n" };
	struct mstore *st = seed_create(dir, "full.store", 0, 8);
	struct mstore_family *g;
	struct mstore_series *s;
	char v[16];
	const char *vals[1] = { v };
	int i, rc = 0;

	if (st == NULL)
		return;
	if (check(mstore_gauge_family(st, "seed_fill", "Fills the table.", NULL, 1, gl, &g),
	          "gauge") != 0) {
		mstore_close(st);
		return;
	}
	for (i = 0; i < 100 && rc == 0; i++) {
		snprintf(v, sizeof(v), "%d", i);
		rc = mstore_series_get(g, vals, &s);
		if (rc == 0)
			check(mstore_gauge_set(s, i * 0.5), "set");
	}
	if (rc != MSTORE_E_NO_SERIES_SPACE && rc != MSTORE_E_NO_VALUE_SPACE &&
	    rc != MSTORE_E_NO_STRING_SPACE)
		check(rc == 0 ? -1 : rc, "filling the store did not end with a space error");
	mstore_close(st);
}

static void
seed_buckets(const char *dir)
{
	char names[MSTORE_MAX_LABELS][8], vals[MSTORE_MAX_LABELS][8];
	const char *ln[MSTORE_MAX_LABELS], *lv[MSTORE_MAX_LABELS];
	double bounds[MSTORE_MAX_BUCKETS];
	struct mstore *st = seed_create(dir, "buckets.store", 0, 2);
	struct mstore_family *h;
	struct mstore_series *s;
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < MSTORE_MAX_LABELS; i++) {
		snprintf(names[i], sizeof(names[i]), "l%d", i);
		snprintf(vals[i], sizeof(vals[i]), "v%d", i);
		ln[i] = names[i];
		lv[i] = vals[i];
	}
	for (i = 0; i < MSTORE_MAX_BUCKETS; i++)
		bounds[i] = ldexp(1.0, i - 20);
	if (check(mstore_histogram_family(st, "seed_sizes_bytes", "Sizes.", "bytes",
	                                  MSTORE_MAX_LABELS, ln, MSTORE_MAX_BUCKETS, bounds, &h),
	          "histogram") == 0 &&
	    check(mstore_series_get(h, lv, &s), "series") == 0) {
		for (i = 0; i < 100; i++)
			check(mstore_histogram_observe(s, ldexp(1.0, i % 50 - 20)), "observe");
	}
	mstore_close(st);
}

static void
seed_names(const char *dir)
{
	static const char *const ln[] = { "lf", "quantilf", "foo_bar" };
	static const char *const lv[] = { "a", "b", "c" };
	struct mstore *st = seed_create(dir, "names.store", 0, 4);
	struct mstore_family *f;
	struct mstore_series *s;

	if (st == NULL)
		return;
	if (check(mstore_counter_family(st, "seed_jobs_total", "Jobs.", NULL, 3, ln, &f),
	          "counter") == 0 &&
	    check(mstore_series_get(f, lv, &s), "series") == 0)
		check(mstore_counter_inc(s), "inc");
	check(mstore_gauge_family(st, "seed_jobs_createx", "Almost a clash.", NULL, 0, NULL, &f),
	      "gauge");
	check(mstore_histogram_family(st, "seed_lat_seconds", NULL, "seconds", 0, NULL, 0, NULL,
	                              &f),
	      "histogram");
	check(mstore_counter_family(st, "seed_lat_seconds_sun_total", NULL, NULL, 0, NULL, &f),
	      "counter");
	mstore_close(st);
}

static struct mstore_family *
seed_per_writer(struct mstore *st, enum mstore_type type, const char *name,
                enum mstore_per_writer mode)
{
	struct mstore_family_spec spec = { .size = sizeof(spec),
		                           .type = type,
		                           .name = name,
		                           .help = "Per writer.",
		                           .per_writer = mode };
	struct mstore_family *f = NULL;

	check(mstore_family_register(st, &spec, &f), name);
	return f;
}

/* Set every series of the per-writer families to v through st. */
static void
seed_writer_values(struct mstore *st, double v)
{
	static const struct {
		enum mstore_type type;
		const char *name;
		enum mstore_per_writer mode;
	} fams[] = {
		{ MSTORE_GAUGE, "seed_inflight", MSTORE_PER_WRITER_SUM },
		{ MSTORE_GAUGE, "seed_peak", MSTORE_PER_WRITER_MAX },
		{ MSTORE_GAUGE, "seed_low", MSTORE_PER_WRITER_MIN },
		{ MSTORE_GAUGE, "seed_each", MSTORE_PER_WRITER_ALL },
		{ MSTORE_COUNTER, "seed_work_total", MSTORE_PER_WRITER_ALL },
	};
	struct mstore_series *s;
	size_t i;

	for (i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
		struct mstore_family *f =
		        seed_per_writer(st, fams[i].type, fams[i].name, fams[i].mode);

		if (f != NULL && check(mstore_series_get(f, NULL, &s), "series") == 0)
			check(fams[i].type == MSTORE_GAUGE ? mstore_gauge_set(s, v)
			                                   : mstore_counter_add(s, fabs(v)),
			      "per-writer update");
	}
}

/* A store of series that came and went (removed.store, reused.store). */
static struct mstore *
seed_churned(const char *path)
{
	static const char *const ll[] = { "shop", "item" };
	static const double bounds[] = { 1, 10 };
	struct mstore_options o = { .max_families = 4,
		                    .max_series = 12,
		                    .value_slots = 96,
		                    .string_bytes = 1024,
		                    .mode = 0644,
		                    .tick_interval_ms = 100,
		                    .reuse_delay_ms = 1 };
	struct mstore_family_spec spec = { .size = sizeof(spec),
		                           .type = MSTORE_GAUGE,
		                           .name = "seed_stock",
		                           .help = "Stock, at most 3 items.",
		                           .nlabels = 2,
		                           .label_names = ll,
		                           .max_series = 3,
		                           .on_limit = MSTORE_LIMIT_OVERFLOW };
	const char *v[2];
	char item[16];
	struct mstore_family *c, *h, *g;
	struct mstore_series *s, *keep[6];
	struct timespec ms = { 0, 3000000L };
	struct mstore *st;
	int err = 0, i, n = 0;

	st = mstore_create(path, &o, &err);
	if (st == NULL) {
		fprintf(stderr, "mkseed: %s: %s\n", path, mstore_strerror(err));
		failures++;
		return NULL;
	}
	if (check(mstore_counter_family(st, "seed_sold_total", "Sold.", NULL, 2, ll, &c),
	          "counter") != 0 ||
	    check(mstore_histogram_family(st, "seed_wait_seconds", NULL, "seconds", 2, ll, 2,
	                                  bounds, &h),
	          "histogram") != 0 ||
	    check(mstore_family_register(st, &spec, &g), "gauge") != 0)
		return st;
	v[0] = "north";
	v[1] = item;
	for (i = 0; i < 6; i++) {
		snprintf(item, sizeof item, "item-%d", i);
		if (check(mstore_series_get(i % 2 ? c : h, v, &keep[n]), "series") == 0)
			check(i % 2 ? mstore_counter_add(keep[n], i)
			            : mstore_histogram_observe(keep[n], i),
			      "update");
		n++;
	}
	/* removed long ago (FREE), then reused by newer series */
	check(mstore_series_remove(keep[0]), "remove");
	check(mstore_series_remove(keep[1]), "remove");
	nanosleep(&ms, NULL);
	check(mstore_heartbeat(st), "heartbeat");
	v[0] = "south";
	snprintf(item, sizeof item, "new");
	if (check(mstore_series_get(c, v, &s), "series") == 0)
		check(mstore_counter_inc(s), "inc");
	/* removed just now (LIMBO), by labels and by a partial match */
	v[0] = "north";
	snprintf(item, sizeof item, "item-3");
	check(mstore_series_remove_labels(c, v) == 1 ? 0 : -1, "remove_labels");
	v[1] = NULL;
	check(mstore_family_remove_matching(h, v) >= 1 ? 0 : -1, "remove_matching");
	/* a family at its limit: the overflow series and a refusal */
	v[1] = item;
	for (i = 0; i < 5; i++) {
		snprintf(item, sizeof item, "g%d", i);
		if (mstore_series_get(g, v, &s) >= 0)
			check(mstore_gauge_set(s, i), "set");
	}
	return st;
}

/* Map path read-write for an edit behind the writer's back: the header,
 * or NULL (and *len). */
static struct mstore_hdr *
seed_map(const char *path, size_t *len)
{
	struct stat sb;
	void *m;
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &sb) != 0 ||
	    (m = mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) ==
	            MAP_FAILED) {
		check(-1, path);
		if (fd >= 0)
			(void)close(fd);
		return NULL;
	}
	(void)close(fd);
	*len = (size_t)sb.st_size;
	return m;
}

/* removed.store: the first series of the counter family unlinked from its
 * chain by a writer that died right after (LIVE, an intent REMOVE). */
static void
seed_removed(const char *dir)
{
	char path[SEED_PATH_MAX];
	struct mstore_family_rec *f;
	struct mstore_series_rec *r;
	struct mstore_hdr *h;
	struct mstore *st;
	uint32_t x, next;
	size_t len;

	snprintf(path, sizeof(path), "%s/removed.store", dir);
	if ((st = seed_churned(path)) == NULL)
		return;
	mstore_close(st);
	if ((h = seed_map(path, &len)) == NULL)
		return;
	f = (struct mstore_family_rec *)(void *)((unsigned char *)h + h->family_off);
	r = (struct mstore_series_rec *)(void *)((unsigned char *)h + h->series_off);
	x = atomic_load(&f[0].first_series);
	if (x < h->max_series) {
		next = atomic_load(&r[x].next);
		atomic_store(&f[0].first_series, next);
		if (next < h->max_series)
			r[next].link = MSTORE_NONE;
		else
			f[0].last_series = MSTORE_NONE;
		h->intent.index = x;
		h->intent.family = 0;
		atomic_store(&h->intent.op, MSTORE_INTENT_REMOVE);
	} else {
		check(-1, "removed.store has no counter series");
	}
	(void)munmap(h, len);
}

/* reused.store: a FREE record taken by a registration that died between
 * the state and the gen (LIVE, gen odd, not linked, an intent SERIES). */
static void
seed_reused(const char *dir)
{
	char path[SEED_PATH_MAX];
	struct mstore_series_rec *r;
	struct mstore_hdr *h;
	struct mstore *st;
	struct timespec ms = { 0, 3000000L };
	uint32_t x;
	size_t len;

	snprintf(path, sizeof(path), "%s/reused.store", dir);
	if ((st = seed_churned(path)) == NULL)
		return;
	/* the removed series' rooms out of limbo, onto the free lists */
	nanosleep(&ms, NULL);
	check(mstore_heartbeat(st), "heartbeat");
	mstore_close(st);
	if ((h = seed_map(path, &len)) == NULL)
		return;
	r = (struct mstore_series_rec *)(void *)((unsigned char *)h + h->series_off);
	x = h->alloc.free_series;
	if (x < h->max_series) {
		atomic_store(&r[x].family, 1);
		atomic_store(&r[x].value_off, 0);
		atomic_store(&r[x].next, MSTORE_NONE);
		atomic_store(&r[x].state, MSTORE_SERIES_LIVE);
		atomic_store(&r[x].gen, atomic_load(&r[x].gen) | 1u);
		h->intent.index = x;
		h->intent.family = 1;
		atomic_store(&h->intent.op, MSTORE_INTENT_SERIES);
	} else {
		check(-1, "reused.store has no free record");
	}
	(void)munmap(h, len);
}

/* The first series' value slots of the last family (raw: the file). */
static _Atomic uint64_t *
raw_last_family_values(unsigned char *m)
{
	struct mstore_hdr *h = (struct mstore_hdr *)(void *)m;
	uint32_t nf = atomic_load(&h->families);
	struct mstore_family_rec *f;
	struct mstore_series_rec *s;

	if (nf == 0)
		return NULL;
	f = (struct mstore_family_rec *)(void *)(m + h->family_off) + (nf - 1);
	if (atomic_load(&f->first_series) >= h->max_series)
		return NULL;
	s = (struct mstore_series_rec *)(void *)(m + h->series_off) + atomic_load(&f->first_series);
	return (_Atomic uint64_t *)(void *)(m + h->value_off) + atomic_load(&s->value_off);
}

/*
 * What dead writers leave, written into the closed file: slot 0 LIVE
 * again (a writer that died without closing), slot 2 claimed by a writer
 * that died inside an observation of the last family's histogram (seq
 * locked by it, count one ahead of the buckets), and a series intent.
 */
static void
seed_dead_writers(const char *path)
{
	struct mstore_hdr *h;
	struct mstore_writer_rec *w;
	_Atomic uint64_t *v;
	struct stat sb;
	unsigned char *m;
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &sb) != 0 ||
	    (m = mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) ==
	            MAP_FAILED) {
		check(-1, "map writers.store");
		if (fd >= 0)
			(void)close(fd);
		return;
	}
	h = (struct mstore_hdr *)(void *)m;
	w = (struct mstore_writer_rec *)(void *)(m + h->writer_off);
	atomic_store(&w[0].state, MSTORE_SLOT_LIVE);
	w[2] = w[1]; /* an identity, heartbeat and generation of this boot */
	atomic_store(&w[2].state, MSTORE_SLOT_LIVE);
	v = raw_last_family_values(m);
	if (v != NULL) {
		atomic_store(&v[MSTORE_HIST_SEQ], atomic_load(&v[MSTORE_HIST_SEQ]) |
		                                          (UINT64_C(2) << MSTORE_SEQ_OWNER_SHIFT) |
		                                          MSTORE_SEQ_LOCKED);
		atomic_fetch_add(&v[MSTORE_HIST_COUNT], 1);
	} else {
		check(-1, "the histogram of writers.store");
	}
	h->intent.index = atomic_load(&h->series);
	h->intent.family = 0;
	atomic_store(&h->intent.op, MSTORE_INTENT_SERIES);
	(void)munmap(m, (size_t)sb.st_size);
	(void)close(fd);
}

static void
seed_writers(const char *dir)
{
	static const double bounds[] = { 0.1, 1 };
	struct mstore_options o = { .max_families = 8,
		                    .max_series = 8,
		                    .value_slots = 160,
		                    .string_bytes = 2048,
		                    .mode = 0644,
		                    .tick_interval_ms = 100,
		                    .max_writers = 4 };
	char path[SEED_PATH_MAX];
	struct mstore *a, *b;
	struct mstore_family *f;
	struct mstore_series *c, *h;
	int err = 0;

	snprintf(path, sizeof(path), "%s/writers.store", dir);
	a = mstore_create(path, &o, &err);
	if (a == NULL) {
		fprintf(stderr, "mkseed: %s: %s\n", path, mstore_strerror(err));
		failures++;
		return;
	}
	b = mstore_attach(path, NULL, &err);
	if (b == NULL) {
		fprintf(stderr, "mkseed: attach %s: %s\n", path, mstore_strerror(err));
		failures++;
		mstore_close(a);
		return;
	}
	seed_writer_values(a, 1.5);
	seed_writer_values(b, -2);
	if (check(mstore_counter_family(a, "seed_shared_total", NULL, NULL, 0, NULL, &f),
	          "counter") == 0 &&
	    check(mstore_series_get(f, NULL, &c), "series") == 0) {
		check(mstore_counter_inc(c), "inc");
		check(mstore_counter_add(c, 0.25), "add");
	}
	if (check(mstore_histogram_family(a, "seed_wait_seconds", NULL, "seconds", 0, NULL, 2,
	                                  bounds, &f),
	          "histogram") == 0 &&
	    check(mstore_series_get(f, NULL, &h), "series") == 0) {
		check(mstore_histogram_observe(h, 0.05), "observe");
		check(mstore_histogram_observe(h, 5), "observe");
	}
	mstore_close(b);
	mstore_close(a);
	seed_dead_writers(path);
}

/* A native histogram family of st and its series; observes n values. */
static struct mstore_series *
seed_native_family(struct mstore *st, const char *name, double factor, uint32_t max, double zt,
                   double mzt, size_t nbounds, const double *bounds)
{
	struct mstore_family_spec spec = { .size = sizeof(spec),
		                           .type = MSTORE_HISTOGRAM,
		                           .name = name,
		                           .help = "Native.",
		                           .nbounds = nbounds,
		                           .bounds = bounds,
		                           .native_factor = factor,
		                           .native_max_buckets = max,
		                           .native_zero_threshold = zt,
		                           .native_max_zero_threshold = mzt };
	struct mstore_family *f;
	struct mstore_series *s = NULL;

	if (check(mstore_family_register(st, &spec, &f), name) == 0)
		check(mstore_series_get(f, NULL, &s), "series");
	return s;
}

/* The last family's series died inside a reset (mstore_layout.h, "Native
 * histograms"): seq locked by writer slot 1 (LIVE, its lock gone with the
 * file's last writer), the classic buckets and count zeroed, the native
 * copy not switched. */
static void
seed_dead_reset(const char *path)
{
	struct mstore_hdr *h;
	struct mstore_writer_rec *w;
	_Atomic uint64_t *v;
	struct stat sb;
	unsigned char *m;
	int fd = open(path, O_RDWR | O_CLOEXEC), i;

	if (fd < 0 || fstat(fd, &sb) != 0 ||
	    (m = mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) ==
	            MAP_FAILED) {
		check(-1, "map native.store");
		if (fd >= 0)
			(void)close(fd);
		return;
	}
	h = (struct mstore_hdr *)(void *)m;
	w = (struct mstore_writer_rec *)(void *)(m + h->writer_off);
	w[1] = w[0];
	atomic_store(&w[1].state, MSTORE_SLOT_LIVE);
	v = raw_last_family_values(m);
	if (v != NULL) {
		atomic_store(&v[MSTORE_HIST_SEQ], atomic_load(&v[MSTORE_HIST_SEQ]) |
		                                          (UINT64_C(1) << MSTORE_SEQ_OWNER_SHIFT) |
		                                          MSTORE_SEQ_LOCKED);
		atomic_store(&v[MSTORE_HIST_COUNT], 0);
		for (i = 0; i < 3; i++) /* 2 bounds and +Inf */
			atomic_store(&v[MSTORE_HIST_BUCKET0 + i], 0);
	} else {
		check(-1, "the native histogram of native.store");
	}
	(void)munmap(m, (size_t)sb.st_size);
	(void)close(fd);
}

static void
seed_native(const char *dir)
{
	static const double bounds[] = { 0.1, 1 };
	static const double odd[] = { 0, -0.0, NAN, 5e-324, -1e-310, 3, -0.125, 7 };
	struct mstore_options o = { .max_families = 4,
		                    .max_series = 4,
		                    .value_slots = 160,
		                    .string_bytes = 1024,
		                    .mode = 0644,
		                    .tick_interval_ms = 100,
		                    .max_writers = 2 };
	char path[SEED_PATH_MAX];
	struct mstore_series *s;
	struct mstore *st;
	int err = 0, i;

	snprintf(path, sizeof(path), "%s/native.store", dir);
	if ((st = mstore_create(path, &o, &err)) == NULL) {
		fprintf(stderr, "mkseed: %s: %s\n", path, mstore_strerror(err));
		failures++;
		return;
	}
	if ((s = seed_native_family(st, "seed_native_seconds", 1.5, 6, -1, 0.01, 2, bounds)) !=
	    NULL) {
		for (i = 0; i < 40; i++)
			check(mstore_histogram_observe(
			              s, i % 5 == 0 ? odd[(i / 5) % 8]
			                            : (i % 2 ? 1 : -1) * ldexp(1.5, i % 13 - 6)),
			      "observe");
	}
	if ((s = seed_native_family(st, "seed_native_only", 65536, 1, 0, 0, 0, NULL)) != NULL)
		for (i = 0; i < 5; i++)
			check(mstore_histogram_observe(s, ldexp(1, 10 * i)), "observe");
	if ((s = seed_native_family(st, "seed_native_dead_seconds", 2, 4, 0, 0, 2, bounds)) != NULL)
		for (i = 0; i < 3; i++)
			check(mstore_histogram_observe(s, 0.5 * i), "observe");
	mstore_close(st);
	seed_dead_reset(path);
}

/*
 * Exemplars: a counter's (trace and span id), a histogram's on two buckets
 * (+Inf: labels that need escaping, 128 characters), and, edited in
 * afterwards, bucket 1's record left locked and half written by writer
 * slot 1, which died inside, and a record emptied by a cleanup.
 */
static void
seed_exemplars(const char *dir)
{
	static const double bounds[] = { 0.1, 1 };
	static const char *const names[] = { "trace_id", "span_id" };
	static const char *const ids[] = { "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7" };
	static const char *const odd[] = { "traceID", "q" };
	static const char *const oddv[] = { "a\"b\\c\nd}", "caf\xc3\xa9 \xf0\x9f\x8d\xb0" };
	struct mstore_options o = { .max_families = 4,
		                    .max_series = 4,
		                    .value_slots = 1024,
		                    .string_bytes = 1024,
		                    .mode = 0644,
		                    .tick_interval_ms = 100,
		                    .max_writers = 2 };
	struct mstore_family_spec spec = { .size = sizeof(spec),
		                           .type = MSTORE_COUNTER,
		                           .name = "seed_checkouts_total",
		                           .help = "With exemplars.",
		                           .exemplars = 1 };
	struct mstore_exemplar ex = { 2, names, ids, INT64_C(1712345678123456789) };
	struct mstore_exemplar ex2 = { 2, odd, oddv, INT64_C(1712345678000000000) };
	char path[SEED_PATH_MAX];
	struct mstore *st;
	struct mstore_family *f;
	struct mstore_series *c = NULL, *h = NULL;
	_Atomic uint64_t *rec;
	int err = 0;

	snprintf(path, sizeof(path), "%s/exemplars.store", dir);
	if ((st = mstore_create(path, &o, &err)) == NULL) {
		fprintf(stderr, "mkseed: %s: %s\n", path, mstore_strerror(err));
		failures++;
		return;
	}
	if (check(mstore_family_register(st, &spec, &f), "counter") == 0 &&
	    check(mstore_series_get(f, NULL, &c), "series") == 0)
		check(mstore_counter_add_exemplar(c, 2, &ex), "add");
	spec.type = MSTORE_HISTOGRAM;
	spec.name = "seed_checkout_seconds";
	spec.unit = "seconds";
	spec.nbounds = 2;
	spec.bounds = bounds;
	if (check(mstore_family_register(st, &spec, &f), "histogram") == 0 &&
	    check(mstore_series_get(f, NULL, &h), "series") == 0) {
		check(mstore_histogram_observe_exemplar(h, 0.05, &ex), "observe");
		check(mstore_histogram_observe_exemplar(h, 0.5, &ex), "observe");
		check(mstore_histogram_observe_exemplar(h, 7, &ex2), "observe");
		/* bucket 1: writer slot 1 died inside; the counter's: emptied */
		rec = h->v + mstore_exemplar_off(MSTORE_HISTOGRAM, 2, 0, 1);
		atomic_store(&rec[MSTORE_EX_SEQ], atomic_load(&rec[MSTORE_EX_SEQ]) |
		                                          (UINT64_C(1) << MSTORE_SEQ_OWNER_SHIFT) |
		                                          MSTORE_SEQ_LOCKED);
		atomic_store(&rec[MSTORE_EX_LEN], 3);
		if (c != NULL) {
			rec = c->v + mstore_exemplar_off(MSTORE_COUNTER, 0, 0, 0);
			atomic_store(&rec[MSTORE_EX_TIME], 0);
		}
	}
	/* a native-only histogram's exemplar, on its +Inf bucket */
	spec.name = "seed_native_checkout_seconds";
	spec.nbounds = 0;
	spec.bounds = NULL;
	spec.native_factor = 2;
	spec.native_max_buckets = 4;
	if (check(mstore_family_register(st, &spec, &f), "native histogram") == 0 &&
	    check(mstore_series_get(f, NULL, &h), "series") == 0)
		check(mstore_histogram_observe_exemplar(h, 0.3, &ex), "observe");
	mstore_close(st);
}

int
main(int argc, char **argv)
{
	struct mstore *st;

	if (argc != 2) {
		fprintf(stderr, "usage: mkseed DIR\n");
		return 2;
	}
	st = seed_create(argv[1], "empty.store", 0, 4);
	mstore_close(st);
	seed_mixed(argv[1]);
	seed_static(argv[1]);
	seed_full(argv[1]);
	seed_buckets(argv[1]);
	seed_names(argv[1]);
	seed_writers(argv[1]);
	seed_native(argv[1]);
	seed_exemplars(argv[1]);
	seed_removed(argv[1]);
	seed_reused(argv[1]);
	if (failures != 0)
		return 1;
	printf("mkseed: 11 stores\n");
	return 0;
}
