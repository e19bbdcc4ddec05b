/* SPDX-License-Identifier: MIT */
/*
 * hammer.c - a store writer that updates as fast as it can, for the torn-read
 * test (tests/reliability/torn.sh).
 *
 *   hammer --store PATH [--threads N] [--seconds S] [--tick-ms MS]
 *
 * What it does:
 *   - creates the store, registers the shared families, then starts N
 *     writer threads that each register their own families at the same
 *     time (concurrent registration), and all register one common family:
 *     every one must get the same family (registration is idempotent), and
 *     another definition under its name MSTORE_E_CONFLICT;
 *   - every thread then loops: counter inc/add, gauge set/add/sub,
 *     histogram observe on its own series and on series shared by all
 *     threads (so the histogram seqlock is contended), and now and then
 *     creates a new series (so scrapes see series appear mid-walk);
 *   - the main thread stamps the heartbeat every tick until --seconds have
 *     passed (0: until SIGTERM/SIGINT), then stops the threads and prints
 *     one line of figures: "hammer: threads=N updates=U series=S ...".
 *
 * Invariants a scraper can check on top of the generic ones (checkbody.py
 * --hammer): hammer_pair_seconds only ever observes 0.25 or 4, so
 * _sum == 0.25 * le="0.5" + 4 * (_count - le="0.5") exactly, and its
 * le="0.5", le="1" and le="2" buckets are equal.  A torn histogram reading
 * breaks that equation.
 *
 * Exit status: 0 when every library call returned what it should, 1 on an
 * unexpected error (the line says how many), 2 on bad usage.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mstore.h"

#define HAMMER_MAX_THREADS      64
#define HAMMER_BATCH            512 /* updates between stop-flag checks */
#define HAMMER_NEW_SERIES_EVERY 64  /* batches between new series */
#define HAMMER_MAX_OWN_SERIES   24  /* per thread and family: bounds the file */
#define HAMMER_LABEL_MAX        32

/* Label values that exercise escaping in both formats. */
static const char *const evil_values[] = {
	"plain",
	"quote\"d",
	"back\\slash",
	"new\nline",
	"utf8 \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
	"",
};
#define N_EVIL (sizeof(evil_values) / sizeof(evil_values[0]))

static const double own_bounds[] = { 0.001, 0.01, 0.1, 1, 10 };
static const double pair_bounds[] = { 0.5, 1, 2 };

struct shared {
	struct mstore *st;
	struct mstore_series *events[HAMMER_MAX_THREADS];
	struct mstore_series *pair;
	struct mstore_series *evil[N_EVIL];
	atomic_int stop;
	atomic_int race_wins;
	atomic_int race_same;
	_Atomic(struct mstore_family *) race_fam;
	atomic_ulong errors;
};

struct worker {
	pthread_t tid;
	int id;
	struct shared *sh;
	uint64_t rng;
	unsigned long updates;
	unsigned long series;
};

static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
	got_signal = sig;
}

/* xorshift64*: cheap per-thread randomness, no shared state. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

static double
rnd_unit(uint64_t *s)
{
	return (double)(rnd(s) >> 11) / 9007199254740992.0;
}

static void
fail(struct shared *sh, const char *what, int rc)
{
	unsigned long n = atomic_fetch_add(&sh->errors, 1);

	if (n < 10)
		fprintf(stderr, "hammer: %s: %s\n", what, mstore_strerror(rc));
}

#define CHECK(sh, what, call)                    \
	do {                                     \
		int rc_ = (call);                \
		if (rc_ != 0)                    \
			fail((sh), (what), rc_); \
	} while (0)

/* Make the thread's own series number k of each own family. */
static int
own_series(struct worker *w, struct mstore_family *const fam[3], struct mstore_series *out[3],
           unsigned k)
{
	char v[HAMMER_LABEL_MAX];
	const char *vals[1] = { v };
	int i, rc;

	snprintf(v, sizeof(v), "s%u", k);
	for (i = 0; i < 3; i++) {
		rc = mstore_series_get(fam[i], vals, &out[i]);
		if (rc != 0) {
			fail(w->sh, "series_get", rc);
			return -1;
		}
	}
	w->series += 3;
	return 0;
}

static int
register_own(struct worker *w, struct mstore_family *fam[3])
{
	static const char *const lbl[] = { "slot" };
	char name[MSTORE_NAME_MAX];
	struct mstore *st = w->sh->st;
	int rc;

	snprintf(name, sizeof(name), "hammer_t%d_ops_total", w->id);
	rc = mstore_counter_family(st, name, "Operations of one writer thread.", NULL, 1, lbl,
	                           &fam[0]);
	if (rc != 0)
		goto err;
	snprintf(name, sizeof(name), "hammer_t%d_level", w->id);
	rc = mstore_gauge_family(st, name, "A gauge\\with \"odd\" help\nand a newline.", NULL, 1,
	                         lbl, &fam[1]);
	if (rc != 0)
		goto err;
	snprintf(name, sizeof(name), "hammer_t%d_latency_seconds", w->id);
	rc = mstore_histogram_family(st, name, "Latency of one writer thread.", "seconds", 1, lbl,
	                             sizeof(own_bounds) / sizeof(own_bounds[0]), own_bounds,
	                             &fam[2]);
	if (rc != 0)
		goto err;
	return 0;
err:
	fail(w->sh, "register own family", rc);
	return -1;
}

/* All threads register the same family at once: all get the same one. */
static void
register_race(struct worker *w)
{
	struct mstore_family *f, *first = NULL;
	struct mstore_series *s;
	int rc;

	rc = mstore_counter_family(w->sh->st, "hammer_race_total",
	                           "Registered by whichever thread came first.", NULL, 0, NULL, &f);
	if (rc != 0) {
		fail(w->sh, "race registration", rc);
		return;
	}
	atomic_fetch_add(&w->sh->race_wins, 1);
	if (atomic_compare_exchange_strong(&w->sh->race_fam, &first, f) || first == f)
		atomic_fetch_add(&w->sh->race_same, 1);
	rc = mstore_series_get(f, NULL, &s);
	if (rc == 0)
		rc = mstore_counter_inc(s);
	if (rc != 0)
		fail(w->sh, "race series", rc);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	struct mstore_family *fam[3];
	struct mstore_series *own[HAMMER_MAX_OWN_SERIES][3];
	unsigned nown = 0, batch = 0, i;

	register_race(w);
	if (register_own(w, fam) != 0 || own_series(w, fam, own[0], 0) != 0)
		return NULL;
	nown = 1;
	while (!atomic_load_explicit(&sh->stop, memory_order_relaxed)) {
		for (i = 0; i < HAMMER_BATCH; i++) {
			struct mstore_series **s = own[rnd(&w->rng) % nown];
			double u = rnd_unit(&w->rng);

			CHECK(sh, "counter_inc", mstore_counter_inc(s[0]));
			CHECK(sh, "counter_add", mstore_counter_add(s[0], u * 3.5));
			switch (rnd(&w->rng) % 3) {
			case 0:
				CHECK(sh, "gauge_set", mstore_gauge_set(s[1], (u - 0.5) * 1e6));
				break;
			case 1:
				CHECK(sh, "gauge_add", mstore_gauge_add(s[1], u));
				break;
			default:
				CHECK(sh, "gauge_sub", mstore_gauge_sub(s[1], u * 1e-9));
				break;
			}
			CHECK(sh, "observe", mstore_histogram_observe(s[2], u * u * 20.0));
			CHECK(sh, "observe pair",
			      mstore_histogram_observe(sh->pair, (rnd(&w->rng) & 1) ? 0.25 : 4.0));
			CHECK(sh, "events", mstore_counter_inc(sh->events[w->id]));
			CHECK(sh, "evil", mstore_gauge_set(sh->evil[i % N_EVIL], u));
			w->updates += 7;
		}
		if (++batch % HAMMER_NEW_SERIES_EVERY == 0 && nown < HAMMER_MAX_OWN_SERIES &&
		    own_series(w, fam, own[nown], nown) == 0)
			nown++;
	}
	return NULL;
}

static int
register_shared(struct shared *sh, int nthreads)
{
	static const char *const thr[] = { "thread" };
	static const char *const val[] = { "value" };
	struct mstore_family *ev, *pair, *evil;
	char v[HAMMER_LABEL_MAX];
	const char *vals[1] = { v };
	int i, rc;
	size_t k;

	rc = mstore_counter_family(sh->st, "hammer_events_total", "Updates per thread.", NULL, 1,
	                           thr, &ev);
	if (rc == 0)
		rc = mstore_histogram_family(
		        sh->st, "hammer_pair_seconds",
		        "Observes only 0.25 and 4: sum is checkable.", "seconds", 0, NULL,
		        sizeof(pair_bounds) / sizeof(pair_bounds[0]), pair_bounds, &pair);
	if (rc == 0)
		rc = mstore_gauge_family(sh->st, "hammer_escapes",
		                         "Label values that need escaping.", NULL, 1, val, &evil);
	if (rc == 0)
		rc = mstore_series_get(pair, NULL, &sh->pair);
	for (i = 0; rc == 0 && i < nthreads; i++) {
		snprintf(v, sizeof(v), "%d", i);
		rc = mstore_series_get(ev, vals, &sh->events[i]);
	}
	for (k = 0; rc == 0 && k < N_EVIL; k++)
		rc = mstore_series_get(evil, &evil_values[k], &sh->evil[k]);
	if (rc != 0)
		fprintf(stderr, "hammer: registering shared families: %s\n", mstore_strerror(rc));
	return rc;
}

static void
usage(void)
{
	fprintf(stderr, "usage: hammer --store PATH [--threads N] [--seconds S] [--tick-ms MS]\n");
	exit(2);
}

static long
num_arg(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < lo || v > hi)
		usage();
	return v;
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int
main(int argc, char **argv)
{
	static struct shared sh;
	static struct worker w[HAMMER_MAX_THREADS];
	struct mstore_options opts;
	struct sigaction sa;
	const char *path = NULL;
	long nthreads = 4, seconds = 10, tick_ms = 100;
	unsigned long updates = 0, series = 0;
	int64_t deadline;
	int i, err = 0, started = 0;

	for (i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--store") == 0)
			path = argv[++i];
		else if (strcmp(argv[i], "--threads") == 0)
			nthreads = num_arg(argv[++i], 1, HAMMER_MAX_THREADS);
		else if (strcmp(argv[i], "--seconds") == 0)
			seconds = num_arg(argv[++i], 0, 86400);
		else if (strcmp(argv[i], "--tick-ms") == 0)
			tick_ms = num_arg(argv[++i], 10, 60000);
		else
			usage();
	}
	if (path == NULL)
		usage();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	memset(&opts, 0, sizeof(opts));
	opts.max_families = 16 + 3 * (uint32_t)nthreads;
	opts.max_series = 64 + 3 * HAMMER_MAX_OWN_SERIES * (uint32_t)nthreads;
	opts.value_slots = 12 * opts.max_series;
	opts.mode = 0644;
	opts.tick_interval_ms = (uint32_t)tick_ms;
	sh.st = mstore_create(path, &opts, &err);
	if (sh.st == NULL) {
		fprintf(stderr, "hammer: cannot create store: %s: %s\n", path,
		        err == MSTORE_E_SYS ? strerror(errno) : mstore_strerror(err));
		return 1;
	}
	if (register_shared(&sh, (int)nthreads) != 0) {
		mstore_close(sh.st);
		return 1;
	}
	for (i = 0; i < nthreads; i++) {
		w[i].id = i;
		w[i].sh = &sh;
		w[i].rng = UINT64_C(0x9e3779b97f4a7c15) * (uint64_t)(i + 1);
		if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]) != 0) {
			fprintf(stderr, "hammer: pthread_create failed\n");
			atomic_fetch_add(&sh.errors, 1);
			break;
		}
		started++;
	}

	deadline = now_ns() + (int64_t)seconds * 1000000000;
	while (!got_signal && (seconds == 0 || now_ns() < deadline) && started == nthreads) {
		struct timespec ts = { 0, tick_ms * 1000000L / 2 };

		CHECK(&sh, "heartbeat", mstore_heartbeat(sh.st));
		nanosleep(&ts, NULL);
	}
	atomic_store(&sh.stop, 1);
	for (i = 0; i < started; i++) {
		pthread_join(w[i].tid, NULL);
		updates += w[i].updates;
		series += w[i].series;
	}
	{
		struct mstore_family *f;
		int rc = mstore_counter_family(sh.st, "hammer_race_total", "Another definition.",
		                               NULL, 0, NULL, &f);

		if (rc != MSTORE_E_CONFLICT) {
			fprintf(stderr, "hammer: a conflicting definition: %s (want conflict)\n",
			        mstore_strerror(rc));
			atomic_fetch_add(&sh.errors, 1);
		}
	}
	mstore_close(sh.st);

	if (started == nthreads &&
	    (atomic_load(&sh.race_wins) != started || atomic_load(&sh.race_same) != started)) {
		fprintf(stderr,
		        "hammer: concurrent registration of one family: %d got it, %d the same one "
		        "(want %d, %d)\n",
		        atomic_load(&sh.race_wins), atomic_load(&sh.race_same), started, started);
		atomic_fetch_add(&sh.errors, 1);
	}
	printf("hammer: threads=%d updates=%lu series_created=%lu race_winners=%d errors=%lu\n",
	       started, updates, series, atomic_load(&sh.race_wins), atomic_load(&sh.errors));
	fflush(stdout);
	return atomic_load(&sh.errors) == 0 ? 0 : 1;
}
