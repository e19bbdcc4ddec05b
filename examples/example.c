/*
 * example.c - a worker that publishes its own metrics with libmstore:
 * a labelled counter, a labelled gauge and a labelled histogram, whose
 * observations may carry the trace id of their job (an exemplar).
 *
 * Build:  cc example.c $(pkg-config --cflags --libs mstore) -o example
 * Run:    ./example /run/metrics/metrics.store      (until Ctrl-C)
 *         ./example /tmp/example.store 5            (5 ticks, then exit)
 * Serve:  METRICS_STORE=/run/metrics/metrics.store metrics.fcgi ...
 */
#include <mstore.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Why a library call failed: MSTORE_E_SYS means a system call failed,
 * and errno says why. */
static const char *
why(int rc)
{
	return rc == MSTORE_E_SYS ? strerror(errno) : mstore_strerror(rc);
}

/* Library calls return 0 or a negative MSTORE_E_* code. */
static void
check(int rc, const char *what)
{
	if (rc < 0) {
		fprintf(stderr, "example: %s: %s\n", what, why(rc));
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/run/metrics/metrics.store";
	long ticks = argc > 2 ? atol(argv[2]) : 0; /* 0: run until a signal */
	static const char *const job_labels[] = { "queue", "result" };
	static const char *const queue_label[] = { "queue" };
	static const double bounds[] = { 0.01, 0.05, 0.1, 0.5, 1 };
	static const char *const trace_label[] = { "trace_id" };
	static const char *const trace_id[] = {
		"4bf92f3577b34da6a3ce929d0e0e4736"
	};
	/* A job that came with a trace (a W3C trace id) passes its id on as
	 * an exemplar of its observation, timed now (0). */
	const struct mstore_exemplar traced = { 1, trace_label, trace_id, 0 };
	/* The histogram keeps exemplars: a recent job's trace id per bucket. */
	struct mstore_family_spec duration_spec = {
		.size = sizeof(duration_spec),
		.type = MSTORE_HISTOGRAM,
		.name = "worker_job_duration_seconds",
		.help = "Time spent on one job.",
		.unit = "seconds",
		.nlabels = 1,
		.label_names = queue_label,
		.nbounds = 5,
		.bounds = bounds,
		.exemplars = 1,
	};
	struct mstore_options opts = {
		/* the responder's group may read */
		.mode = 0640,
		/* we promise a heartbeat every second */
		.tick_interval_ms = 1000,
	};
	struct mstore_family *jobs, *depth, *duration;
	struct mstore_series *mail_ok, *mail_failed, *mail_depth, *mail_seconds;
	struct mstore *st;
	int err;

	st = mstore_create(path, &opts, &err);
	if (st == NULL) {
		fprintf(stderr, "example: cannot create %s: %s\n", path,
		        why(err));
		return 1;
	}

	/* 1. Register each family once: name, help, unit, label names. */
	check(mstore_counter_family(st, "worker_jobs_total",
	                            "Jobs processed, by queue and result.",
	                            NULL, 2, job_labels, &jobs),
	      "worker_jobs_total");
	check(mstore_gauge_family(st, "worker_queue_depth",
	                          "Jobs waiting in the queue.", NULL, 1,
	                          queue_label, &depth),
	      "worker_queue_depth");
	check(mstore_family_register(st, &duration_spec, &duration),
	      "worker_job_duration_seconds");

	/* 2. Get a series handle per set of label values, and keep it. */
	check(mstore_series_get(jobs, (const char *const[]){ "mail", "ok" },
	                        &mail_ok),
	      "series");
	check(mstore_series_get(jobs, (const char *const[]){ "mail", "failed" },
	                        &mail_failed),
	      "series");
	check(mstore_series_get(depth, (const char *const[]){ "mail" },
	                        &mail_depth),
	      "series");
	check(mstore_series_get(duration, (const char *const[]){ "mail" },
	                        &mail_seconds),
	      "series");

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	/* 3. Update through the handles: one atomic operation each. */
	for (long t = 1; !stop && (ticks == 0 || t <= ticks); t++) {
		check(mstore_counter_add(mail_ok, 3), "counter");
		if (t % 2 == 0)
			check(mstore_counter_inc(mail_failed), "counter");
		check(mstore_gauge_set(mail_depth, (double)(t % 7)), "gauge");
		check(mstore_histogram_observe(mail_seconds, 0.042),
		      "histogram");
		check(mstore_histogram_observe_exemplar(mail_seconds, 0.3,
		                                        &traced),
		      "histogram");
		check(mstore_heartbeat(st), "heartbeat"); /* "I am alive" */
		if (ticks == 0 || t < ticks)
			sleep(1);
	}

	mstore_close(st); /* the file stays; readers see it go stale */
	return 0;
}
