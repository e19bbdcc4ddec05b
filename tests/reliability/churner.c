/* SPDX-License-Identifier: MIT */
/*
 * churner.c - a store writer whose series come and go as fast as they
 * can, for tests/reliability/churn.sh.
 *
 *   churner --store PATH [--workers N] [--cycles C] [--seconds S]
 *           [--min-seconds M] [--reuse-ms D] [--live K] [--tick-ms T]
 *
 * The master creates the store (2N + 2 writer slots), registers the
 * families and forks N workers; it stamps the heartbeat every tick and
 * replaces a worker that died (the script kills them), until C create or
 * remove cycles were made in all (0: no limit) and at least M seconds
 * passed (so that a reader has time to watch a short churn), or S seconds
 * passed (0: no limit), or SIGTERM.  Then it stops the workers, removes every series they
 * left (workers that were killed leave theirs), waits the reuse delay and
 * prints the store's usage before and after.
 *
 * Each worker keeps up to K series of its own, labelled worker="<its
 * index>" and id="<pid>-<seq>" (never repeated), and in a loop removes one
 * (by handle, by label values, or now and then all of its own by a
 * partial match) or creates one: the gauge churn_level = level(id) and
 * the histogram churn_seconds with a few observations of weight(id) each,
 * where, over the bytes of the id (FNV-1a, 32 bits):
 *   level(id) = fnv % 1000000,   weight(id) = fnv % 64 + 1.
 * checkbody.py --churn checks that every series it is shown has the value
 * of its own label: a series shown with another's values or labels, or
 * half removed, breaks one of these.
 *
 * Prints: "churner: cycles=N removals=N replaced=N seconds=S
 *          used_before=F/S/V/B used_after=F/S/V/B refused=N" (families,
 * series, value slots, string bytes).  Exit 0, 1 on an unexpected library
 * error (printed), 2 on bad usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mstore.h"

#define MAX_WORKERS 64
#define MAX_LIVE    256
#define ID_MAX      48
/* Observations per created histogram series: 1..OBS_MAX. */
#define OBS_MAX 4
/* Cycles between a worker's partial-match removals of all its series. */
#define PARTIAL_EVERY 997

static const char *const labels[] = { "worker", "id" };
static const double bounds[] = { 8, 16, 32, 64 };

struct shared {
	_Atomic unsigned long cycles;
	_Atomic unsigned long removals;
	atomic_int stop;
};

struct opts {
	const char *store;
	unsigned workers, live, tick_ms, reuse_ms;
	unsigned long cycles;
	double seconds, min_seconds;
};

static volatile sig_atomic_t got_term;

static void
on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

static uint32_t
fnv32(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

static void
die(const char *what, int rc)
{
	fprintf(stderr, "churner: %s: %s\n", what, mstore_strerror(rc));
	exit(1);
}

static int
space_error(int rc)
{
	return rc == MSTORE_E_NO_SERIES_SPACE || rc == MSTORE_E_NO_VALUE_SPACE ||
	       rc == MSTORE_E_NO_STRING_SPACE;
}

static void
families(struct mstore *st, struct mstore_family **g, struct mstore_family **h)
{
	int rc = mstore_gauge_family(st, "churn_level", "A series that comes and goes.", NULL, 2,
	                             labels, g);

	if (rc != 0)
		die("churn_level", rc);
	rc = mstore_histogram_family(st, "churn_seconds",
	                             "Observations of series that come and go.", "seconds", 2,
	                             labels, 4, bounds, h);
	if (rc != 0)
		die("churn_seconds", rc);
}

/* One worker, until stopped: its series come and go. */
static void
worker(struct mstore *st, struct shared *sh, const struct opts *o, unsigned index)
{
	struct mstore_series *gs[MAX_LIVE] = { 0 }, *hs[MAX_LIVE] = { 0 };
	char ids[MAX_LIVE][ID_MAX], wname[16];
	struct mstore_family *g, *h;
	unsigned seed = (unsigned)getpid() ^ index, j, k;
	unsigned long seq = 0, mine = 0;
	int rc;

	families(st, &g, &h);
	snprintf(wname, sizeof wname, "%u", index);
	while (!atomic_load(&sh->stop)) {
		const char *v[2] = { wname, NULL };

		j = (unsigned)rand_r(&seed) % o->live;
		if (++mine % PARTIAL_EVERY == 0) {
			/* all of this worker's series at once, by a partial match */
			if ((rc = mstore_family_remove_matching(g, v)) < 0 ||
			    (rc = mstore_family_remove_matching(h, v)) < 0)
				die("remove_matching", rc);
			for (k = 0; k < o->live; k++) {
				mstore_series_free(gs[k]);
				mstore_series_free(hs[k]);
				gs[k] = hs[k] = NULL;
			}
			atomic_fetch_add(&sh->removals, 1);
			continue;
		}
		if (gs[j] != NULL) {
			v[1] = ids[j];
			if (rand_r(&seed) % 2 == 0) {
				if ((rc = mstore_series_remove(gs[j])) != 0 ||
				    (rc = mstore_series_remove(hs[j])) != 0)
					die("remove", rc);
			} else if ((rc = mstore_series_remove_labels(g, v)) != 1 ||
			           (rc = mstore_series_remove_labels(h, v)) != 1) {
				die("remove_labels", rc < 0 ? rc : MSTORE_E_INVAL);
			}
			mstore_series_free(gs[j]);
			mstore_series_free(hs[j]);
			gs[j] = hs[j] = NULL;
			atomic_fetch_add(&sh->removals, 1);
			atomic_fetch_add(&sh->cycles, 1);
			continue;
		}
		snprintf(ids[j], sizeof ids[j], "%ld-%lu", (long)getpid(), seq++);
		v[1] = ids[j];
		if ((rc = mstore_series_get(g, v, &gs[j])) != 0) {
			gs[j] = NULL;
			if (!space_error(rc))
				die("get", rc);
			continue; /* every room taken, or held for a moment */
		}
		if ((rc = mstore_series_get(h, v, &hs[j])) != 0) {
			if (!space_error(rc) || mstore_series_remove(gs[j]) != 0)
				die("get", rc);
			mstore_series_free(gs[j]);
			gs[j] = NULL;
			continue;
		}
		{
			uint32_t f = fnv32(ids[j]);
			unsigned n = 1 + f % OBS_MAX;

			if ((rc = mstore_gauge_set(gs[j], f % 1000000)) != 0)
				die("set", rc);
			while (n > 0) {
				rc = mstore_histogram_observe(hs[j], f % 64 + 1);
				if (rc == MSTORE_E_NO_WRITER) {
					/* every slot held, dead ones not cleaned yet */
					struct timespec ms = { 0, 1000000L };

					(void)nanosleep(&ms, NULL);
					continue;
				}
				if (rc != 0)
					die("observe", rc);
				n--;
			}
		}
	}
	_exit(0);
}

static pid_t
spawn(struct mstore *st, struct shared *sh, const struct opts *o, unsigned index)
{
	pid_t pid = fork();

	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		worker(st, sh, o, index);
	}
	return pid;
}

static void
usage_line(const char *path, char *buf, size_t n, uint64_t *refused)
{
	struct mstore_info info;
	struct mstore_reader *r;
	int err;

	buf[0] = '\0';
	if ((r = mstore_reader_open(path, &err)) == NULL)
		die("reader", err);
	if ((err = mstore_reader_info(r, &info)) != 0)
		die("info", err);
	snprintf(buf, n, "%u/%u/%u/%u", info.families, info.series, info.values_used,
	         info.strings_used);
	if (refused != NULL)
		*refused = info.refused[MSTORE_REFUSED_FULL] + info.refused[MSTORE_REFUSED_LIMIT];
	mstore_reader_close(r);
}

static int
parse(int argc, char **argv, struct opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->workers = 2;
	o->live = 32;
	o->tick_ms = 100;
	o->reuse_ms = 1;
	for (i = 1; i + 1 < argc; i += 2) {
		const char *a = argv[i], *v = argv[i + 1];

		if (strcmp(a, "--store") == 0)
			o->store = v;
		else if (strcmp(a, "--workers") == 0)
			o->workers = (unsigned)atoi(v);
		else if (strcmp(a, "--cycles") == 0)
			o->cycles = strtoul(v, NULL, 10);
		else if (strcmp(a, "--seconds") == 0)
			o->seconds = atof(v);
		else if (strcmp(a, "--min-seconds") == 0)
			o->min_seconds = atof(v);
		else if (strcmp(a, "--reuse-ms") == 0)
			o->reuse_ms = (unsigned)atoi(v);
		else if (strcmp(a, "--live") == 0)
			o->live = (unsigned)atoi(v);
		else if (strcmp(a, "--tick-ms") == 0)
			o->tick_ms = (unsigned)atoi(v);
		else
			return -1;
	}
	return i == argc && o->store != NULL && o->workers >= 1 && o->workers <= MAX_WORKERS &&
	                       o->live >= 1 && o->live <= MAX_LIVE && o->tick_ms >= 1 &&
	                       o->reuse_ms >= 1
	               ? 0
	               : -1;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct mstore_options mo;
	struct opts o;
	struct mstore *st;
	struct mstore_family *g, *h;
	struct shared *sh;
	pid_t pids[MAX_WORKERS];
	unsigned i, replaced = 0;
	char before[64], after[64];
	uint64_t refused = 0;
	double t0;
	int err, status;
	struct timespec tick;

	if (parse(argc, argv, &o) != 0) {
		fprintf(stderr,
		        "usage: churner --store PATH [--workers N] [--cycles C] [--seconds S] "
		        "[--min-seconds M] [--reuse-ms D] [--live K] [--tick-ms T]\n");
		return 2;
	}
	memset(&mo, 0, sizeof mo);
	/* room for every worker's series, those of the killed ones until the
	 * end, and what waits out the reuse delay */
	mo.max_series = 8 * o.workers * o.live + 256;
	mo.max_writers = 2 * o.workers + 2; /* room while killed ones wait for cleanup */
	mo.tick_interval_ms = o.tick_ms;
	mo.reuse_delay_ms = o.reuse_ms;
	if ((st = mstore_create(o.store, &mo, &err)) == NULL)
		die(o.store, err);
	families(st, &g, &h);
	if ((err = mstore_process_metrics(st)) != 0)
		die("process metrics", err);
	usage_line(o.store, before, sizeof before, NULL);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("churner: mmap");
		return 1;
	}
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	for (i = 0; i < o.workers; i++)
		pids[i] = spawn(st, sh, &o, i);
	t0 = now_s();
	tick.tv_sec = o.tick_ms / 1000;
	tick.tv_nsec = (long)(o.tick_ms % 1000) * 1000000L;
	while (!got_term &&
	       (o.cycles == 0 || atomic_load(&sh->cycles) < o.cycles ||
	        now_s() - t0 < o.min_seconds) &&
	       (o.seconds <= 0 || now_s() - t0 < o.seconds)) {
		pid_t dead;

		(void)nanosleep(&tick, NULL);
		if ((err = mstore_heartbeat(st)) != 0)
			die("heartbeat", err);
		while ((dead = waitpid(-1, &status, WNOHANG)) > 0)
			for (i = 0; i < o.workers; i++)
				if (pids[i] == dead) {
					if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
						fprintf(stderr, "churner: worker %u failed\n", i);
						return 1;
					}
					pids[i] = spawn(st, sh, &o, i);
					replaced++;
				}
	}
	atomic_store(&sh->stop, 1);
	for (i = 0; i < o.workers; i++)
		if (waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status) &&
		    WEXITSTATUS(status) != 0)
			return 1;
	/* what the workers left (killed ones leave theirs), then the delay */
	if ((err = mstore_family_clear(g)) < 0 || (err = mstore_family_clear(h)) < 0)
		die("clear", err);
	tick.tv_sec = (o.reuse_ms + 10) / 1000;
	tick.tv_nsec = (long)((o.reuse_ms + 10) % 1000) * 1000000L;
	(void)nanosleep(&tick, NULL);
	if ((err = mstore_heartbeat(st)) != 0)
		die("heartbeat", err);
	usage_line(o.store, after, sizeof after, &refused);
	printf("churner: cycles=%lu removals=%lu replaced=%u seconds=%.1f used_before=%s "
	       "used_after=%s refused=%llu\n",
	       atomic_load(&sh->cycles), atomic_load(&sh->removals), replaced, now_s() - t0, before,
	       after, (unsigned long long)refused);
	fflush(stdout);
	/* the store stays, fresh, for the script's last scrape */
	for (i = 0; i < 30 && !got_term; i++) {
		tick.tv_sec = 0;
		tick.tv_nsec = 100000000L;
		(void)nanosleep(&tick, NULL);
		(void)mstore_heartbeat(st);
	}
	mstore_close(st);
	return 0;
}
