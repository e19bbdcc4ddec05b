/*
 * prefork.c - a pre-fork server in miniature, writing one store from
 * several processes: a master creates the store, registers the metrics and
 * forks N workers, which inherit the handles and count "requests" into a
 * labelled counter, a histogram and a per-worker in-flight gauge.  The
 * master replaces any worker that dies, however it dies (SIGKILL
 * included), and heartbeats, which also cleans up after dead workers.
 *
 * Build:  make (examples/prefork), or
 *         cc prefork.c $(pkg-config --cflags --libs mstore) -o prefork
 * Run:    prefork --store PATH [--workers N] [--seconds S] [--pause-us U]
 *         (until SIGTERM or SIGINT, or for S seconds; U microseconds of
 *         "work" per request, default 100)
 * Serve:  METRICS_STORE=PATH metrics.fcgi ...
 *
 * On exit it prints, on stdout, how many requests its workers made, one
 * line per counter series and per histogram _count series, in the text
 * format's sample syntax (as /metrics has them):
 *   prefork_requests_total{route="/cart",code="200"} 1234
 *   prefork_request_duration_seconds_count{route="/cart"} 1401
 * The workers keep these tallies in a page shared with the master, each
 * right after the store update it counts, so that a worker killed at any
 * moment still counts: the store is ahead of a tally by at most the one
 * request a killed worker was in, never behind.
 */
#include <mstore.h>

#include <errno.h>
#include <getopt.h>
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

#define WORKERS_MAX 64
#define TICK_MS     100
#define NROUTES     3
#define NCODES      3

static const char *const routes[NROUTES] = { "/", "/item", "/cart" };
static const char *const codes[NCODES] = { "200", "404", "500" };
static const double bounds[] = { 0.0001, 0.001, 0.01, 0.1 };

/* What the workers made, in a page every process shares. */
struct tally {
	_Atomic uint64_t requests[NROUTES][NCODES];
	_Atomic uint64_t observed[NROUTES];
};

/* The metrics, registered by the master; the workers inherit them. */
struct metrics {
	struct mstore *st;
	struct mstore_series *requests[NROUTES][NCODES];
	struct mstore_series *duration[NROUTES];
	struct mstore_series *inflight;
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *
why(int rc)
{
	return rc == MSTORE_E_SYS ? strerror(errno) : mstore_strerror(rc);
}

static void
check(int rc, const char *what)
{
	if (rc < 0) {
		fprintf(stderr, "prefork: %s: %s\n", what, why(rc));
		exit(1);
	}
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	nanosleep(&ts, NULL); /* a signal cuts it short: fine */
}

/* The master: create the store with a writer slot per worker and one
 * for itself, and register everything the workers use. */
static void
metrics_init(struct metrics *m, const char *path, int workers)
{
	static const char *const req_labels[] = { "route", "code" };
	static const char *const dur_labels[] = { "route" };
	struct mstore_options opts = {
		.mode = 0644,
		.tick_interval_ms = TICK_MS,
		/* a dead worker's slot is free again for its replacement;
		 * one more for a tool that attaches */
		.max_writers = (uint32_t)workers + 2,
	};
	struct mstore_family_spec inflight = {
		.size = sizeof(inflight),
		.type = MSTORE_GAUGE,
		.name = "prefork_inflight_requests",
		.help = "Requests being handled, summed over live workers.",
		/* a worker killed mid-request takes its +1 with it */
		.per_writer = MSTORE_PER_WRITER_SUM,
	};
	struct mstore_family *req, *dur, *inf;
	int rc, r, c;

	m->st = mstore_create(path, &opts, &rc);
	if (m->st == NULL)
		check(rc, path);
	check(mstore_counter_family(m->st, "prefork_requests_total",
	                            "Requests handled, by route and code.",
	                            NULL, 2, req_labels, &req),
	      "register prefork_requests_total");
	check(mstore_histogram_family(m->st, "prefork_request_duration_seconds",
	                              "Time to handle a request.", "seconds", 1,
	                              dur_labels, 4, bounds, &dur),
	      "register prefork_request_duration_seconds");
	check(mstore_family_register(m->st, &inflight, &inf),
	      "register prefork_inflight_requests");
	for (r = 0; r < NROUTES; r++) {
		const char *rv[] = { routes[r] };

		for (c = 0; c < NCODES; c++) {
			const char *v[] = { routes[r], codes[c] };

			check(mstore_series_get(req, v, &m->requests[r][c]),
			      "series");
		}
		check(mstore_series_get(dur, rv, &m->duration[r]), "series");
	}
	check(mstore_series_get(inf, NULL, &m->inflight), "series");
	/* process_* per worker, labelled writer="<slot>" */
	check(mstore_process_metrics(m->st), "process metrics");
}

/* A worker: handle requests until SIGTERM; each one adds 1 to one
 * counter series and one observation to one histogram series, and then
 * to the tallies. */
static void
worker(struct metrics *m, struct tally *t, unsigned seed, long pause_us)
{
	int64_t next_beat = 0;
	int bad = 0;

	signal(SIGTERM, on_signal);
	signal(SIGINT, SIG_IGN); /* the master stops us */
	srand(seed);
	while (!stop && !bad) {
		int r = rand() % NROUTES,
		    c = rand() % 10 < 8 ? 0 : 1 + rand() % 2;
		double seconds = (rand() % 2000) * 1e-5;

		bad |= mstore_gauge_add(m->inflight, 1);
		if (pause_us > 0)
			sleep_us(pause_us);
		bad |= mstore_counter_inc(m->requests[r][c]);
		atomic_fetch_add(&t->requests[r][c], 1);
		bad |= mstore_histogram_observe(m->duration[r], seconds);
		atomic_fetch_add(&t->observed[r], 1);
		bad |= mstore_gauge_sub(m->inflight, 1);
		if (now_ms() >= next_beat) {
			bad |= mstore_heartbeat(m->st);
			next_beat = now_ms() + TICK_MS;
		}
	}
	if (bad)
		fprintf(stderr, "prefork: worker %ld: an update failed: %s\n",
		        (long)getpid(), strerror(errno));
	mstore_close(m->st); /* gives the writer slot back */
	_exit(bad ? 1 : 0);
}

static pid_t
spawn(struct metrics *m, struct tally *t, unsigned seed, long pause_us)
{
	pid_t pid = fork();

	if (pid == 0)
		worker(m, t, seed, pause_us);
	if (pid < 0)
		fprintf(stderr, "prefork: fork: %s\n", strerror(errno));
	return pid;
}

/* Replace the workers that died; count those killed by a signal. */
static long
reap(struct metrics *m, struct tally *t, pid_t *pids, int n, long pause_us,
     unsigned *seed)
{
	long killed = 0;
	int status, i;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < n && pids[i] != pid; i++)
			;
		if (i == n)
			continue;
		killed += WIFSIGNALED(status);
		pids[i] = stop ? 0 : spawn(m, t, (*seed)++, pause_us);
	}
	return killed;
}

/* SIGTERM every worker and wait for all of them. */
static void
stop_workers(pid_t *pids, int n)
{
	int i, status;

	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			waitpid(pids[i], &status, 0);
}

static void
print_tallies(const struct tally *t)
{
	int r, c;

	for (r = 0; r < NROUTES; r++)
		for (c = 0; c < NCODES; c++)
			printf("prefork_requests_total{route=\"%s\",code=\"%"
			       "s\"} "
			       "%llu\n",
			       routes[r], codes[c],
			       (unsigned long long)t->requests[r][c]);
	for (r = 0; r < NROUTES; r++)
		printf("prefork_request_duration_seconds_count{route=\"%s\"} "
		       "%llu\n",
		       routes[r], (unsigned long long)t->observed[r]);
	fflush(stdout);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: prefork --store PATH [--workers N] [--seconds S] "
	           "[--pause-us U]\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "workers", required_argument, NULL, 'w' },
		{ "seconds", required_argument, NULL, 't' },
		{ "pause-us", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	long workers = 4, seconds = 0, pause_us = 100, killed = 0;
	pid_t pids[WORKERS_MAX];
	struct metrics m;
	struct tally *t;
	unsigned seed = 1;
	int64_t end, next_beat = 0;
	int o, i;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			path = optarg;
			break;
		case 'w':
			workers = atol(optarg);
			break;
		case 't':
			seconds = atol(optarg);
			break;
		case 'p':
			pause_us = atol(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (path == NULL || optind != argc || workers < 1 ||
	    workers > WORKERS_MAX || seconds < 0 || pause_us < 0) {
		usage(stderr);
		return 2;
	}
	t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
	         MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED) {
		fprintf(stderr, "prefork: mmap: %s\n", strerror(errno));
		return 1;
	}
	metrics_init(&m, path, (int)workers);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	for (i = 0; i < workers; i++)
		pids[i] = spawn(&m, t, seed++, pause_us);
	fprintf(stderr, "prefork: master %ld, %ld workers, writing %s\n",
	        (long)getpid(), workers, path);
	end = seconds > 0 ? now_ms() + seconds * 1000 : INT64_MAX;
	while (!stop && now_ms() < end) {
		killed += reap(&m, t, pids, (int)workers, pause_us, &seed);
		if (now_ms() >= next_beat) {
			/* also cleans up after workers that died */
			check(mstore_heartbeat(m.st), "heartbeat");
			next_beat = now_ms() + TICK_MS;
		}
		sleep_us(1000);
	}
	stop = 1;
	stop_workers(pids, (int)workers);
	print_tallies(t);
	fprintf(stderr, "prefork: %ld workers were killed and replaced\n",
	        killed);
	mstore_close(m.st);
	return 0;
}
