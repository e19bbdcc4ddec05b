/* SPDX-License-Identifier: MIT */
/*
 * bench_main.c - metrics-bench: benchmarks of the store and the renderer
 * on the standard workload (doc/performance.md).  This file holds the
 * command dispatch and "populate", which writes the workload into a store
 * file for metrics.fcgi to serve under load (tests/bench/run.sh).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static void
usage(void)
{
	fputs("usage: metrics-bench populate N STORE\n"
	      "       metrics-bench render N [REPS] [text|openmetrics|protobuf] [native]\n"
	      "       metrics-bench update [ITERS [RUNS]]\n"
	      "       metrics-bench procs [ITERS [RUNS]]\n"
	      "       metrics-bench restarts N [REPS [WRITERS]]\n"
	      "Results are printed as \"key value\" lines.\n",
	      stderr);
}

/* A static store (never reported stale) holding the workload of size N. */
int
bench_populate(int argc, char **argv)
{
	struct bench_workload w;
	unsigned long n;
	int rc;

	if (argc != 2) {
		usage();
		return EXIT_FAILURE;
	}
	n = bench_parse_count("N", argv[0], BENCH_N_MAX);
	if (n == 0 || bench_workload_create(&w, argv[1], n, MSTORE_F_STATIC) != 0)
		return EXIT_FAILURE;
	rc = bench_workload_fill(&w);
	bench_workload_close(&w);
	if (rc != 0)
		return EXIT_FAILURE;
	printf("n %lu\nsamples %lu\nstore %s\n", n, bench_samples(n), argv[1]);
	return EXIT_SUCCESS;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int, char **);
	} commands[] = {
		{ "populate", bench_populate }, { "render", bench_render },
		{ "update", bench_update },     { "procs", bench_procs },
		{ "restarts", bench_restarts },
	};
	size_t i;

	if (argc < 2) {
		usage();
		return EXIT_FAILURE;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 2, argv + 2);
	usage();
	return EXIT_FAILURE;
}
