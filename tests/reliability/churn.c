/* SPDX-License-Identifier: MIT */
/*
 * churn.c - writers killed inside their registrations, for the kill storm
 * (tests/reliability/prefork.sh).
 *
 *   churn --store PATH --kills N [--per-life R] [--seed S]
 *
 * Forks a child that attaches to the store at PATH as one more writer and
 * registers R (default 4) new series of the counter family
 * prefork_churn_total (label n, a number no child used before), then
 * waits.  The first child is timed: the registrations' duration is the
 * window.  Then N times: a child that is SIGKILLed at a random moment of
 * that window after it began registering, so that most kills land inside
 * a registration (before or after its series is published): the next
 * writer that takes the registration lock finishes or undoes it
 * (mstore_layout.h, "Registration from several processes"), counted as
 * registration_forward or registration_back.  At most (N + 1) x R series
 * are added.  A child that finds no free writer slot exits and counts as
 * "no_slot".  Prints "churn: kills=N no_slot=N series=N window_us=W".
 * Exit 0, 1 on an unexpected error, 2 on bad usage.
 */
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

#include "mstore.h"

#define PHASE_START       0
#define PHASE_REGISTERING 1
#define PHASE_DONE        2
#define NO_SLOT_EXIT      3

/* Shared with the children. */
struct page {
	_Atomic uint64_t next_n;  /* the next label value */
	_Atomic int phase;        /* PHASE_* of the current child */
	_Atomic int64_t begin_ns; /* when it began registering */
	_Atomic int64_t end_ns;   /* when it was done */
};

static int64_t
now_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
child(const char *path, struct page *p, unsigned per_life)
{
	static const char *const names[] = { "n" };
	struct mstore_family *f;
	struct mstore_series *s;
	struct mstore *st;
	char buf[24];
	const char *v[] = { buf };
	unsigned i;
	int err = 0;

	st = mstore_attach(path, NULL, &err);
	if (st == NULL)
		_exit(err == MSTORE_E_NO_WRITER ? NO_SLOT_EXIT : 1);
	if (mstore_counter_family(st, "prefork_churn_total",
	                          "Series registered by writers killed while registering.", NULL, 1,
	                          names, &f) != 0)
		_exit(1);
	atomic_store(&p->begin_ns, now_ns());
	atomic_store(&p->phase, PHASE_REGISTERING);
	for (i = 0; i < per_life; i++) {
		snprintf(buf, sizeof buf, "%llu",
		         (unsigned long long)atomic_fetch_add(&p->next_n, 1));
		if (mstore_series_get(f, v, &s) != 0)
			_exit(1);
	}
	atomic_store(&p->end_ns, now_ns());
	atomic_store(&p->phase, PHASE_DONE);
	for (;;)
		pause();
}

/* Fork a child; wait until it registers (or exits); then kill it delay_ns
 * after it began (delay_ns < 0: when it is done).  Returns its exit status
 * (128 + signal when killed), or -1. */
static int
run_child(const char *path, struct page *p, unsigned per_life, int64_t delay_ns)
{
	int status, phase;
	pid_t pid;

	atomic_store(&p->phase, PHASE_START);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		child(path, p, per_life);
	while ((phase = atomic_load(&p->phase)) == PHASE_START)
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
	if (delay_ns < 0)
		while (atomic_load(&p->phase) != PHASE_DONE)
			;
	else
		while (now_ns() < atomic_load(&p->begin_ns) + delay_ns &&
		       atomic_load(&p->phase) != PHASE_DONE)
			;
	(void)kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "kills", required_argument, NULL, 'k' },
		{ "per-life", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	long kills = -1, per_life = 4, no_slot = 0, i;
	unsigned seed = 1;
	int64_t window;
	struct page *p;
	int o, rc;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			path = optarg;
			break;
		case 'k':
			kills = atol(optarg);
			break;
		case 'r':
			per_life = atol(optarg);
			break;
		case 'e':
			seed = (unsigned)atol(optarg);
			break;
		default:
			return 2;
		}
	}
	if (path == NULL || kills < 0 || per_life < 1 || optind != argc) {
		fprintf(stderr, "usage: churn --store PATH --kills N [--per-life R] [--seed S]\n");
		return 2;
	}
	p = mmap(NULL, sizeof *p, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("churn: mmap");
		return 1;
	}
	srand(seed);
	/* the window: one child's registrations, timed */
	do {
		rc = run_child(path, p, (unsigned)per_life, -1);
	} while (rc == NO_SLOT_EXIT && ++no_slot < 1000 && usleep(10000) == 0);
	if (rc != 128 + SIGKILL) {
		fprintf(stderr, "churn: the timing child failed (%d)\n", rc);
		return 1;
	}
	window = atomic_load(&p->end_ns) - atomic_load(&p->begin_ns);
	for (i = 0; i < kills; i++) {
		rc = run_child(path, p, (unsigned)per_life, (int64_t)(rand() % (window + 1)));
		if (rc == NO_SLOT_EXIT) {
			no_slot++;
			i--;
			if (no_slot > 1000 + kills)
				break;
			usleep(10000); /* a dead worker's slot is cleaned up soon */
			continue;
		}
		if (rc != 128 + SIGKILL) {
			fprintf(stderr, "churn: a child failed (%d)\n", rc);
			return 1;
		}
	}
	printf("churn: kills=%ld no_slot=%ld series=%llu window_us=%lld\n", i, no_slot,
	       (unsigned long long)atomic_load(&p->next_n), (long long)(window / 1000));
	return i == kills ? 0 : 1;
}
