/* SPDX-License-Identifier: MIT */
/*
 * sim.c - metrics-simulator: a daemon that pretends to be a web shop and
 * publishes its metrics into a store file for metrics.fcgi to serve.
 * This file is the thin main: options, signals and the tick loop; the
 * shop model is sim_shop.c, the store binding sim_store.c.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sim_shop.h"
#include "sim_store.h"

#define SIM_DEFAULT_INTERVAL_S 1.0
/* One hour: longer ticks would make the store look stale for hours. */
#define SIM_MAX_INTERVAL_S 3600.0
/* Shortest tick; the heartbeat promise is in whole milliseconds. */
#define SIM_MIN_INTERVAL_S 0.001

/* Exit statuses: 1 runtime failure (EXIT_FAILURE), 2 bad command line. */
#define EXIT_USAGE 2

struct sim_options {
	const char *store;
	double interval;
	uint64_t seed;
	int verbosity;
};

static volatile sig_atomic_t stop_signal;

static void
on_signal(int sig)
{
	stop_signal = sig;
}

static void
usage(FILE *f, const char *prog)
{
	fprintf(f,
	        "Usage: %s [OPTION]...\n"
	        "Simulate a web shop and publish its metrics into a store file.\n"
	        "\n"
	        "  --store PATH        store file (default %s)\n"
	        "  --interval SECONDS  tick length, fractions allowed (default %g)\n"
	        "  --seed N            seed of the simulation (default: from the clock)\n"
	        "  -v, --verbose       more log output (repeat for debug)\n"
	        "  -h, --help          show this help and exit\n"
	        "  -V, --version       show the version and exit\n"
	        "\n"
	        "The store is created with mode %04o (less the umask): the\n"
	        "simulator writes it, the responder reads it through its group (give\n"
	        "the directory that group and the setgid bit), nobody else can.\n"
	        "Runs in the foreground; SIGTERM or SIGINT stop it cleanly.\n"
	        "Exit status: 0 stopped by a signal, 1 runtime error, 2 bad usage.\n",
	        prog, DEFAULT_STORE_PATH, SIM_DEFAULT_INTERVAL_S, (unsigned)SIM_STORE_MODE);
}

static int
parse_interval(const char *arg, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || *end != '\0' || errno != 0 || !isfinite(v) || v < SIM_MIN_INTERVAL_S ||
	    v > SIM_MAX_INTERVAL_S)
		return -1;
	*out = v;
	return 0;
}

static int
parse_seed(const char *arg, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (arg[0] < '0' || arg[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (*end != '\0' || errno != 0)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

static uint64_t
seed_from_clock(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return (uint64_t)time(NULL);
	return (uint64_t)ts.tv_sec * (uint64_t)MSTORE_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

enum { OPT_STORE = 256, OPT_INTERVAL, OPT_SEED };

static const struct option long_options[] = {
	{ "store", required_argument, NULL, OPT_STORE },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Handle one option; returns -1 (bad usage), 0 (go on) or 1 (done: exit 0). */
static int
one_option(int c, const char *arg, const char *prog, struct sim_options *o)
{
	switch (c) {
	case OPT_STORE:
		o->store = arg;
		return 0;
	case OPT_INTERVAL:
		if (parse_interval(arg, &o->interval) == 0)
			return 0;
		log_warn("--interval: not a number of seconds in [%g, %g]: '%s'",
		         SIM_MIN_INTERVAL_S, SIM_MAX_INTERVAL_S, arg);
		return -1;
	case OPT_SEED:
		if (parse_seed(arg, &o->seed) == 0)
			return 0;
		log_warn("--seed: not an unsigned 64-bit integer: '%s'", arg);
		return -1;
	case 'v':
		o->verbosity++;
		return 0;
	case 'h':
		usage(stdout, prog);
		return 1;
	case 'V':
		printf("metrics-simulator (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		return 1;
	default:
		return -1;
	}
}

/* Parse argv; returns -1 (exit 2), 0 (run) or 1 (exit 0). */
static int
parse_options(int argc, char **argv, struct sim_options *o)
{
	int c, rc;

	o->store = DEFAULT_STORE_PATH;
	o->interval = SIM_DEFAULT_INTERVAL_S;
	o->seed = seed_from_clock();
	o->verbosity = LOG_LEVEL_WARN;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vhV", long_options, NULL)) != -1) {
		if (c == '?' || c == ':') {
			log_warn("%s: '%s' (try --help)",
			         c == '?' ? "unknown option" : "option needs a value",
			         argv[optind - 1]);
			return -1;
		}
		rc = one_option(c, optarg, argv[0], o);
		if (rc != 0)
			return rc;
	}
	if (optind < argc) {
		log_warn("unexpected argument: '%s' (try --help)", argv[optind]);
		return -1;
	}
	return 0;
}

/* Block SIGTERM/SIGINT except inside ppoll(), so a signal can never slip in
 * between the stop check and the sleep.  *orig gets the mask to sleep with. */
static int
setup_signals(sigset_t *orig)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	if (sigemptyset(&sa.sa_mask) != 0 || sigemptyset(&block) != 0 ||
	    sigaddset(&block, SIGTERM) != 0 || sigaddset(&block, SIGINT) != 0 ||
	    sigprocmask(SIG_BLOCK, &block, orig) != 0 || sigaction(SIGTERM, &sa, NULL) != 0 ||
	    sigaction(SIGINT, &sa, NULL) != 0)
		return -1;
	if (sigdelset(orig, SIGTERM) != 0 || sigdelset(orig, SIGINT) != 0)
		return -1;
	return 0;
}

static struct timespec
ts_add(struct timespec a, double seconds)
{
	double whole = floor(seconds);

	a.tv_sec += (time_t)whole;
	a.tv_nsec += (long)((seconds - whole) * MSTORE_NS_PER_SEC);
	if (a.tv_nsec >= MSTORE_NS_PER_SEC) {
		a.tv_sec++;
		a.tv_nsec -= MSTORE_NS_PER_SEC;
	}
	return a;
}

static int
ts_before(struct timespec a, struct timespec b)
{
	return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

static struct timespec
ts_sub(struct timespec a, struct timespec b)
{
	struct timespec d = { a.tv_sec - b.tv_sec, a.tv_nsec - b.tv_nsec };

	if (d.tv_nsec < 0) {
		d.tv_sec--;
		d.tv_nsec += MSTORE_NS_PER_SEC;
	}
	return d;
}

/* Sleep until the monotonic deadline or a stop signal.  Returns 0 or -1. */
static int
sleep_until(struct timespec deadline, const sigset_t *mask)
{
	struct timespec now, left;

	while (!stop_signal) {
		if (clock_gettime(CLOCK_MONOTONIC, &now) != 0)
			return -1;
		if (!ts_before(now, deadline))
			return 0;
		left = ts_sub(deadline, now);
		if (ppoll(NULL, 0, &left, mask) < 0 && errno != EINTR)
			return -1;
	}
	return 0;
}

/* The text for a library error: errno's when a system call failed. */
static const char *
store_strerror(int rc)
{
	return rc == MSTORE_E_SYS ? strerror(errno) : mstore_strerror(rc);
}

/* One tick: the shop, its gauges, the heartbeat (and process metrics). */
static int
tick(struct sim_shop *shop, struct sim_store *store, double dt)
{
	struct sim_sink sink = sim_store_sink(store);
	int rc = sim_shop_step(shop, dt, &sink);

	if (rc != SIM_SHOP_OK && rc != SIM_SHOP_E_SINK) {
		log_warn("cannot advance the shop model: %s", sim_shop_strerror(rc));
		return -1;
	}
	/* From here on rc is an MSTORE_E_* code. */
	rc = rc == SIM_SHOP_E_SINK ? store->sink_err
	                           : sim_store_gauges(store, sim_shop_gauges(shop));
	if (rc == 0)
		rc = sim_store_heartbeat(store); /* and the process metrics */
	if (rc != 0) {
		log_warn("cannot update the store: %s", store_strerror(rc));
		return -1;
	}
	return 0;
}

static int
run(const struct sim_options *o, struct sim_store *store, const sigset_t *mask)
{
	struct sim_shop shop;
	struct timespec deadline, now;

	sim_shop_init(&shop, o->seed);
	if (clock_gettime(CLOCK_MONOTONIC, &deadline) != 0) {
		log_warn("clock_gettime: %s", strerror(errno));
		return -1;
	}
	while (!stop_signal) {
		if (tick(&shop, store, o->interval) < 0)
			return -1;
		deadline = ts_add(deadline, o->interval);
		if (clock_gettime(CLOCK_MONOTONIC, &now) != 0 || sleep_until(deadline, mask) < 0) {
			log_warn("sleep: %s", strerror(errno));
			return -1;
		}
		/* Fell behind (suspend, overload): restart the schedule now. */
		if (ts_before(ts_add(deadline, o->interval), now))
			deadline = now;
	}
	return 0;
}

static int
open_store(const struct sim_options *o, struct sim_store *store)
{
	unsigned tick_ms = (unsigned)lround(o->interval * 1000);
	int rc = sim_store_open(store, o->store, tick_ms > 0 ? tick_ms : 1);

	if (rc == 0)
		return 0;
	if (store->failed != NULL)
		log_warn("cannot register %s in %s: %s", store->failed, o->store,
		         store_strerror(rc));
	else
		log_warn("cannot create store: %s: %s", o->store, store_strerror(rc));
	return -1;
}

int
main(int argc, char **argv)
{
	struct sim_options o;
	struct sim_store store;
	sigset_t mask;
	int rc;

	log_init(argv[0], LOG_LEVEL_WARN);
	rc = parse_options(argc, argv, &o);
	if (rc != 0)
		return rc < 0 ? EXIT_USAGE : EXIT_SUCCESS;
	log_init(argv[0], o.verbosity);
	if (setup_signals(&mask) != 0) {
		log_warn("cannot set up signal handling: %s", strerror(errno));
		return EXIT_FAILURE;
	}
	if (open_store(&o, &store) != 0)
		return EXIT_FAILURE;
	log_info("writing %s every %g s, seed %" PRIu64, o.store, o.interval, o.seed);
	rc = run(&o, &store, &mask);
	sim_store_close(&store);
	if (rc == 0)
		log_info("stopped by signal %d", (int)stop_signal);
	return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
