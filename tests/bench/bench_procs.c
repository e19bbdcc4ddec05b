/* SPDX-License-Identifier: MIT */
/*
 * bench_procs.c - several writer processes (issue 14):
 *
 *   metrics-bench procs [ITERS [RUNS]]
 *       BENCH_PROCS processes (forked from one that created the store, each
 *       with a writer slot of its own) update one counter series, then
 *       one histogram series, at the same time: ns per operation as each
 *       process sees it (CPU time; the slowest process counts), and how
 *       many CPUs they kept busy together.  Afterwards the totals are
 *       read back: counter and histogram count exact.
 *   metrics-bench restarts N [REPS [WRITERS]]
 *       the render time of the standard workload of size N (as "render"
 *       measures it) in a store of WRITERS writer slots (default 8) with
 *       0, 4, 64 and 1,024 writer restarts behind it:
 *       processes that claim a writer slot, set per-writer values and
 *       process metrics, update the workload's series, and then exit (half
 *       of them close the store, half are killed by SIGKILL).  Neither the
 *       render time nor the file may grow with them.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define BENCH_PROCS         4
#define PROCS_ITERS_DEFAULT 4000000UL
#define PROCS_ITERS_MAX     1000000000UL
#define PROCS_RUNS_DEFAULT  5UL
#define PROCS_RUNS_MAX      101UL
#define RESTARTS_WRITERS    8 /* writer slots of the restarts store, by default */
#define RESTARTS_REPS_MAX   100000UL
#define PATH_CAP            4096

enum procs_op { PROCS_COUNTER, PROCS_HIST, PROCS_OPS };

static const char *const procs_key[PROCS_OPS] = { "counter_inc_4p", "hist_observe_4p" };

/* What one child reports for one operation: CPU ns of its loop, and the
 * wall-clock span it ran in. */
struct procs_result {
	uint64_t cpu_ns, wall0, wall1;
};

struct procs_bench {
	struct mstore *st;
	struct mstore_series *s[PROCS_OPS];
	unsigned long iters, runs;
};

static int
procs_register(struct procs_bench *b)
{
	static const double bounds[] = { 0.001, 0.01, 0.1, 1 };
	struct mstore_family *f;
	int rc;

	rc = mstore_counter_family(b->st, "bench_procs_total", "Benchmark counter.", NULL, 0, NULL,
	                           &f);
	if (rc == 0)
		rc = mstore_series_get(f, NULL, &b->s[PROCS_COUNTER]);
	if (rc == 0)
		rc = mstore_histogram_family(b->st, "bench_procs_seconds", "Benchmark histogram.",
		                             "seconds", 0, NULL, 4, bounds, &f);
	if (rc == 0)
		rc = mstore_series_get(f, NULL, &b->s[PROCS_HIST]);
	if (rc != 0)
		fprintf(stderr, "metrics-bench: cannot register: %s\n", mstore_strerror(rc));
	return rc;
}

/* A child: wait for the go byte, run op, report through out. */
static int
procs_child(struct procs_bench *b, enum procs_op op, int go, int out)
{
	struct mstore_series *s = b->s[op];
	struct procs_result res;
	unsigned long i;
	uint64_t c0;
	char c;
	int bad = 0;

	/* the first update claims the slot (and a shard): not timed */
	bad |= op == PROCS_COUNTER ? mstore_counter_inc(s) : mstore_histogram_observe(s, 0.05);
	if (read(go, &c, 1) != 1)
		return 1;
	res.wall0 = bench_now_ns();
	c0 = bench_cpu_ns();
	if (op == PROCS_COUNTER)
		for (i = 1; i < b->iters; i++)
			bad |= mstore_counter_inc(s);
	else
		for (i = 1; i < b->iters; i++)
			bad |= mstore_histogram_observe(s, (double)(i & 7) * 0.03);
	res.cpu_ns = bench_cpu_ns() - c0;
	res.wall1 = bench_now_ns();
	if (write(out, &res, sizeof res) != (ssize_t)sizeof res)
		return 1;
	return bad != 0;
}

/* One run of op: fork the children, start them at once, collect. */
static int
procs_run(struct procs_bench *b, enum procs_op op, double *ns, double *cpus)
{
	struct procs_result res[BENCH_PROCS];
	uint64_t worst = 0, cpu = 0, start = UINT64_MAX, end = 0;
	int go[2], out[2], i, status, rc = 0;
	pid_t pid[BENCH_PROCS];
	char c = 0;

	if (pipe(go) != 0 || pipe(out) != 0) {
		perror("metrics-bench: pipe");
		return -1;
	}
	for (i = 0; i < BENCH_PROCS; i++) {
		pid[i] = fork();
		if (pid[i] == 0)
			_exit(procs_child(b, op, go[0], out[1]));
		if (pid[i] < 0) {
			perror("metrics-bench: fork");
			exit(EXIT_FAILURE); /* the others wait for a byte forever */
		}
	}
	for (i = 0; i < BENCH_PROCS; i++)
		if (write(go[1], &c, 1) != 1)
			rc = -1;
	for (i = 0; i < BENCH_PROCS; i++)
		if (read(out[0], &res[i], sizeof res[i]) != (ssize_t)sizeof res[i])
			rc = -1;
	for (i = 0; i < BENCH_PROCS; i++)
		if (waitpid(pid[i], &status, 0) != pid[i] || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			rc = -1;
	(void)close(go[0]);
	(void)close(go[1]);
	(void)close(out[0]);
	(void)close(out[1]);
	if (rc != 0) {
		fprintf(stderr, "metrics-bench: %s: a process failed\n", procs_key[op]);
		return -1;
	}
	for (i = 0; i < BENCH_PROCS; i++) {
		worst = res[i].cpu_ns > worst ? res[i].cpu_ns : worst;
		cpu += res[i].cpu_ns;
		start = res[i].wall0 < start ? res[i].wall0 : start;
		end = res[i].wall1 > end ? res[i].wall1 : end;
	}
	*ns = (double)worst / (double)(b->iters - 1);
	*cpus = end > start ? (double)cpu / (double)(end - start) : 0;
	return 0;
}

/* Every update of every run arrived: exact totals, a consistent histogram. */
static int
procs_check(const char *path, const struct procs_bench *b)
{
	uint64_t want = (uint64_t)BENCH_PROCS * b->iters * b->runs;
	struct mstore_family_view f;
	struct mstore_series_view s;
	struct mstore_snapshot snap;
	struct mstore_reader *r;
	int err, counter_ok = 0, hist_ok = 0;

	r = mstore_reader_open(path, &err);
	if (r == NULL) {
		fprintf(stderr, "metrics-bench: cannot open %s: %s\n", path, mstore_strerror(err));
		return -1;
	}
	if (mstore_reader_family(r, 0, &f) == 0 && mstore_reader_series_first(r, &f, &s) == 1 &&
	    mstore_reader_snapshot(r, &f, &s, &snap) == 0)
		counter_ok = snap.value == (double)want;
	if (mstore_reader_family(r, 1, &f) == 0 && mstore_reader_series_first(r, &f, &s) == 1 &&
	    mstore_reader_snapshot(r, &f, &s, &snap) == 0)
		hist_ok = snap.count == want && snap.bucket[f.nbounds] == want;
	mstore_reader_close(r);
	printf("counter_4p_exact %d\nhist_4p_consistent %d\n", counter_ok, hist_ok);
	return counter_ok && hist_ok ? 0 : -1;
}

static int
procs_in(const char *path, struct procs_bench *b)
{
	struct mstore_options o = { .max_writers = BENCH_PROCS + 1 };
	double *ns = calloc(4 * b->runs, sizeof(*ns)), *cpus = ns + 2 * b->runs;
	unsigned long r;
	int err = 0, rc = -1, op;

	if (ns == NULL)
		return -1;
	b->st = mstore_create(path, &o, &err);
	if (b->st == NULL) {
		fprintf(stderr, "metrics-bench: cannot create %s: %s\n", path,
		        mstore_strerror(err));
		free(ns);
		return -1;
	}
	if (procs_register(b) != 0)
		goto out;
	printf("procs %d\niters %lu\nruns %lu\n", BENCH_PROCS, b->iters, b->runs);
	for (r = 0; r < b->runs; r++)
		for (op = 0; op < PROCS_OPS; op++)
			if (procs_run(b, op, &ns[op * b->runs + r], &cpus[op * b->runs + r]) != 0)
				goto out;
	for (op = 0; op < PROCS_OPS; op++) {
		printf("%s_ns %.2f\n", procs_key[op],
		       bench_quantile(ns + op * b->runs, b->runs, 0.5));
		printf("%s_min_ns %.2f\n", procs_key[op],
		       bench_quantile(ns + op * b->runs, b->runs, 0.0));
		printf("%s_max_ns %.2f\n", procs_key[op],
		       bench_quantile(ns + op * b->runs, b->runs, 1.0));
		printf("%s_cpus %.2f\n", procs_key[op],
		       bench_quantile(cpus + op * b->runs, b->runs, 0.5));
	}
	rc = procs_check(path, b);
out:
	mstore_close(b->st);
	free(ns);
	return rc;
}

int
bench_procs(int argc, char **argv)
{
	struct procs_bench b = { .iters = PROCS_ITERS_DEFAULT, .runs = PROCS_RUNS_DEFAULT };
	char dir[PATH_CAP], path[PATH_CAP];
	int rc;

	if (argc > 2) {
		fprintf(stderr, "usage: metrics-bench procs [ITERS [RUNS]]\n");
		return EXIT_FAILURE;
	}
	if (argc > 0)
		b.iters = bench_parse_count("ITERS", argv[0], PROCS_ITERS_MAX);
	if (argc > 1)
		b.runs = bench_parse_count("RUNS", argv[1], PROCS_RUNS_MAX);
	if (b.iters < 2 || b.runs == 0)
		return EXIT_FAILURE;
	if (bench_tmpdir(dir, path, sizeof(dir)) != 0)
		return EXIT_FAILURE;
	rc = procs_in(path, &b);
	bench_tmpdir_remove(dir, path);
	return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* ------------------------------------------------------------ restarts */

/* What a restarting writer does: claim a slot (heartbeat), publish its
 * process metrics and an in-flight figure, update some of the workload's
 * series, then exit: cleanly (close) or killed. */
static void
restart_child(struct bench_workload *w, struct mstore_series *inflight, int killed)
{
	static const char *const v[] = { "GET", "200", "/api/v1/item/0" };
	struct mstore_series *s;
	int bad = 0;

	bad |= mstore_heartbeat(w->st);
	bad |= mstore_gauge_set(inflight, 1);
	if (mstore_series_get(w->counters, v, &s) == 0)
		bad |= mstore_counter_inc(s);
	if (bad)
		_exit(1);
	if (killed)
		raise(SIGKILL);
	mstore_close(w->st);
	_exit(0);
}

static int
restart_some(struct bench_workload *w, struct mstore_series *inflight, unsigned long n,
             unsigned long *done)
{
	int status;

	for (; *done < n; (*done)++) {
		pid_t pid = fork();

		if (pid == 0)
			restart_child(w, inflight, (int)(*done & 1));
		if (pid < 0 || waitpid(pid, &status, 0) != pid ||
		    (WIFEXITED(status) ? WEXITSTATUS(status) != 0 : WTERMSIG(status) != SIGKILL)) {
			fprintf(stderr, "metrics-bench: restart %lu failed\n", *done);
			return -1;
		}
	}
	return 0;
}

/* The per-writer families the restarting writers fill. */
static int
restarts_register(struct bench_workload *w, struct mstore_series **inflight)
{
	struct mstore_family_spec spec = { .size = sizeof(spec),
		                           .type = MSTORE_GAUGE,
		                           .name = "app_worker_inflight_requests",
		                           .help = "Requests in flight, summed over workers.",
		                           .per_writer = MSTORE_PER_WRITER_SUM };
	struct mstore_family *f;
	int rc = mstore_family_register(w->st, &spec, &f);

	if (rc == 0)
		rc = mstore_series_get(f, NULL, inflight);
	if (rc == 0)
		rc = mstore_process_metrics(w->st);
	if (rc != 0)
		fprintf(stderr, "metrics-bench: cannot register: %s\n", mstore_strerror(rc));
	return rc;
}

int
bench_restarts(int argc, char **argv)
{
	static const unsigned long steps[] = { 0, 4, 64, 1024 };
	char dir[PATH_CAP], path[PATH_CAP];
	struct mstore_series *inflight;
	struct bench_workload w;
	struct stat sb;
	unsigned long n, reps = 0, done = 0, writers = RESTARTS_WRITERS;
	off_t size0 = 0;
	size_t i;
	int rc = -1;

	if (argc < 1 || argc > 3) {
		fprintf(stderr, "usage: metrics-bench restarts N [REPS [WRITERS]]\n");
		return EXIT_FAILURE;
	}
	n = bench_parse_count("N", argv[0], BENCH_N_MAX);
	if (argc > 1)
		reps = bench_parse_count("REPS", argv[1], RESTARTS_REPS_MAX);
	if (argc > 2)
		writers = bench_parse_count("WRITERS", argv[2], MSTORE_MAX_WRITERS);
	if (n == 0 || (argc > 1 && reps == 0) || writers < 2)
		return EXIT_FAILURE;
	if (bench_tmpdir(dir, path, sizeof(dir)) != 0)
		return EXIT_FAILURE;
	if (bench_workload_create_writers(&w, path, n, 0, (uint32_t)writers) != 0)
		goto out;
	if (bench_workload_fill(&w) != 0 || restarts_register(&w, &inflight) != 0 ||
	    stat(path, &sb) != 0)
		goto close;
	size0 = sb.st_size;
	printf("n %lu\nwriter_slots %lu\n", n, writers);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (restart_some(&w, inflight, steps[i], &done) != 0)
			goto close;
		/* the render of bench_render.c, on this store */
		printf("restarts %lu\n", done);
		fflush(stdout);
		if (bench_render_path(path, n, reps) != 0)
			goto close;
		if (stat(path, &sb) != 0 || sb.st_size != size0) {
			fprintf(stderr, "metrics-bench: the store grew: %lld -> %lld bytes\n",
			        (long long)size0, (long long)sb.st_size);
			goto close;
		}
	}
	printf("file_size %lld\n", (long long)size0);
	rc = 0;
close:
	bench_workload_close(&w);
out:
	bench_tmpdir_remove(dir, path);
	return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
