/* SPDX-License-Identifier: MIT */
/*
 * mkstore.c - a small store writer for tests.  Creates a store with a few
 * families of every type (counters with and without labels, a gauge with a
 * unit, a histogram), label values and help texts that need escaping, and
 * then heartbeats and updates every tick until told to stop.  Options let
 * a test make the store static (--static, MSTORE_F_STATIC: values written
 * once, no heartbeat, so only the responder's own families change), stop
 * the heartbeat to make the writer look dead, bound the run time, add many
 * series (large output), or end the store with a corrupted histogram
 * (--corrupt-tail: a render that fails only after everything before it,
 * the --series ones included, rendered).
 *
 *   mkstore --store PATH [--interval MS] [--static] [--run SECONDS]
 *           [--stop-heartbeat-after MS] [--series N] [--corrupt-tail]
 *           [--exemplars LOG]
 *
 * --exemplars LOG registers a counter (mkstore_checkouts_total{method}),
 * a histogram (mkstore_checkout_seconds, bounds 0.1 and 1) and a native
 * histogram without classic bounds (mkstore_checkout_native_seconds) with
 * exemplars, and every tick adds to the counter and observes into the
 * histograms (each bucket in turn) with an exemplar of a new trace: trace_id,
 * span_id and a label "note" whose value needs every escape and holds
 * '}' and UTF-8, at the time of the tick to the millisecond plus 0.5 ms
 * (so that seconds as text, and as a double, convert back to exactly its
 * millisecond).  Each exemplar written is appended to LOG as one JSON line:
 * {"sample", "labels" (the series', "le" for a bucket), "exemplar":
 * {"labels", "value", "time_ns"}}.
 *
 * --corrupt-tail registers one more histogram family, mkstore_corrupt_seconds
 * (the last family of the store, so it renders last), observes a few values
 * and then rewrites its +Inf bucket count in the file so that the buckets
 * no longer add up to the series' count.  The reader opens such a file
 * (the check is per snapshot), and every snapshot of that series then fails
 * with MSTORE_E_CORRUPT ("store content corrupt"); the other series stay
 * readable.  The corruption is written after the family is published: a
 * test waits until a render fails before it relies on it.
 *
 * Exits 0 after --run seconds or on SIGTERM/SIGINT, 1 on a store error,
 * 2 on bad usage.  The store file is left in place.
 */
#include "config.h"

#include "mstore.h"
#include "mstore_layout.h" /* --corrupt-tail edits the file's value slots */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROG                "mkstore"
#define DEFAULT_INTERVAL_MS 200
#define INTERVAL_MAX_MS     3600000L
#define SERIES_MAX          100000L
#define LABEL_BUF           32
/* Capacity on top of --series for the fixed families (the library's
 * defaults, which they fit in), and string bytes per extra series (the
 * label value plus the library's per-string overhead, generously). */
#define BASE_SERIES             4096
#define BASE_STRING_BYTES       (256 * 1024)
#define STRING_BYTES_PER_SERIES 64
/* Readable by the web server's user (the responder runs as www-data). */
#define STORE_MODE 0644

struct mk_opts {
	const char *path;
	long interval_ms;
	int is_static;
	long run_ms;            /* 0: until a signal */
	long stop_heartbeat_ms; /* -1: never */
	long extra_series;
	int corrupt_tail;
	const char *exemplar_log; /* --exemplars */
};

struct mk_series {
	struct mstore_series *get_ok, *post_err, *escaped, *bytes;
	struct mstore_series *temp, *inflight, *special;
	struct mstore_series *lat_home, *lat_odd;
	struct mstore_series *checkouts, *checkout_seconds, *checkout_native; /* --exemplars */
	FILE *exemplar_log;
};

static volatile sig_atomic_t mk_stop;

static void
on_signal(int sig)
{
	(void)sig;
	mk_stop = 1;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: " PROG " --store PATH [--interval MS] [--static] "
	           "[--run SECONDS] [--stop-heartbeat-after MS] [--series N] "
	           "[--corrupt-tail] [--exemplars LOG]\n");
}

static int
parse_num(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

enum {
	OPT_STORE = 256,
	OPT_INTERVAL,
	OPT_STATIC,
	OPT_RUN,
	OPT_STOP,
	OPT_SERIES,
	OPT_CORRUPT_TAIL,
	OPT_EXEMPLARS
};

static int
parse_opts(int argc, char **argv, struct mk_opts *o)
{
	static const struct option lo[] = {
		{ "store", required_argument, NULL, OPT_STORE },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "static", no_argument, NULL, OPT_STATIC },
		{ "run", required_argument, NULL, OPT_RUN },
		{ "stop-heartbeat-after", required_argument, NULL, OPT_STOP },
		{ "series", required_argument, NULL, OPT_SERIES },
		{ "corrupt-tail", no_argument, NULL, OPT_CORRUPT_TAIL },
		{ "exemplars", required_argument, NULL, OPT_EXEMPLARS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long secs;
	int c, bad = 0;

	memset(o, 0, sizeof *o);
	o->interval_ms = DEFAULT_INTERVAL_MS;
	o->stop_heartbeat_ms = -1;
	while (!bad && (c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case OPT_STORE:
			o->path = optarg;
			break;
		case OPT_STATIC:
			o->is_static = 1;
			break;
		case OPT_CORRUPT_TAIL:
			o->corrupt_tail = 1;
			break;
		case OPT_EXEMPLARS:
			o->exemplar_log = optarg;
			break;
		case OPT_INTERVAL:
			bad = parse_num(optarg, 1, INTERVAL_MAX_MS, &o->interval_ms);
			break;
		case OPT_RUN:
			bad = parse_num(optarg, 0, INTERVAL_MAX_MS / 1000, &secs);
			o->run_ms = secs * 1000;
			break;
		case OPT_STOP:
			bad = parse_num(optarg, 0, INTERVAL_MAX_MS, &o->stop_heartbeat_ms);
			break;
		case OPT_SERIES:
			bad = parse_num(optarg, 0, SERIES_MAX, &o->extra_series);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			bad = -1;
			break;
		}
	}
	if (bad || optind != argc || o->path == NULL) {
		usage(stderr);
		return -1;
	}
	return 0;
}

/* Why a library call failed (errno's text when a system call did). */
static const char *
why(int rc)
{
	return rc == MSTORE_E_SYS ? strerror(errno) : mstore_strerror(rc);
}

/* Report a failed library call and return -1. */
static int
fail(const char *what, int rc)
{
	fprintf(stderr, PROG ": %s: %s\n", what, why(rc));
	return -1;
}

static int
get(struct mstore_family *f, const char *const *values, struct mstore_series **out)
{
	int rc = mstore_series_get(f, values, out);

	return rc == 0 ? 0 : fail("series", rc);
}

static int
register_counters(struct mstore *st, struct mk_series *s)
{
	static const char *const lbl[] = { "method", "code" };
	static const char *const v_ok[] = { "GET", "200" };
	static const char *const v_err[] = { "POST", "500" };
	/* backslash, double quote, newline and UTF-8 in a label value */
	static const char *const v_esc[] = { "we\\ird \"quoted\"\nline", "\xc3\xa9t\xc3\xa9" };
	struct mstore_family *req, *bytes;
	int rc;

	rc = mstore_counter_family(st, "mkstore_requests_total",
	                           "Requests handled, by \\method\\ and code.\nSecond line.", NULL,
	                           2, lbl, &req);
	if (rc != 0)
		return fail("counter family", rc);
	rc = mstore_counter_family(st, "mkstore_sent_bytes_total", "Bytes sent.", "bytes", 0, NULL,
	                           &bytes);
	if (rc != 0)
		return fail("counter family with unit", rc);
	if (get(req, v_ok, &s->get_ok) || get(req, v_err, &s->post_err) ||
	    get(req, v_esc, &s->escaped) || get(bytes, NULL, &s->bytes))
		return -1;
	return 0;
}

static int
register_gauges(struct mstore *st, struct mk_series *s)
{
	static const char *const lbl[] = { "room" };
	static const char *const v_room[] = { "server room" };
	static const char *const kind[] = { "kind" };
	static const char *const v_special[] = { "plus_inf" };
	struct mstore_family *temp, *inflight, *special;
	int rc;

	rc = mstore_gauge_family(st, "mkstore_temperature_celsius", "Temperature.", "celsius", 1,
	                         lbl, &temp);
	if (rc == 0)
		rc = mstore_gauge_family(st, "mkstore_in_flight", "Requests in flight.", NULL, 0,
		                         NULL, &inflight);
	if (rc == 0)
		rc = mstore_gauge_family(st, "mkstore_special", "Special values.", NULL, 1, kind,
		                         &special);
	if (rc != 0)
		return fail("gauge family", rc);
	if (get(temp, v_room, &s->temp) || get(inflight, NULL, &s->inflight) ||
	    get(special, v_special, &s->special))
		return -1;
	return 0;
}

static int
register_histograms(struct mstore *st, struct mk_series *s)
{
	static const double bounds[] = { 0.005, 0.1, 0.25, 1, 2.5 };
	static const char *const lbl[] = { "route" };
	static const char *const v_home[] = { "/home" };
	static const char *const v_odd[] = { "/a\"b\\c" };
	struct mstore_family *lat;
	int rc;

	rc = mstore_histogram_family(st, "mkstore_latency_seconds", "Request latency.", "seconds",
	                             1, lbl, sizeof bounds / sizeof bounds[0], bounds, &lat);
	if (rc != 0)
		return fail("histogram family", rc);
	if (get(lat, v_home, &s->lat_home) || get(lat, v_odd, &s->lat_odd))
		return -1;
	return 0;
}

/* --exemplars: the two families, and the log. */
#define EX_BOUNDS 2
static const double ex_bounds[EX_BOUNDS] = { 0.1, 1 };

static int
register_exemplars(struct mstore *st, struct mk_series *s, const char *log)
{
	static const char *const lbl[] = { "method" };
	static const char *const v_get[] = { "GET" };
	struct mstore_family_spec spec = { .size = sizeof spec,
		                           .type = MSTORE_COUNTER,
		                           .name = "mkstore_checkouts_total",
		                           .help = "Checkouts, with the trace of the latest.",
		                           .nlabels = 1,
		                           .label_names = lbl,
		                           .exemplars = 1 };
	struct mstore_family *f;
	int rc;

	if (log == NULL)
		return 0;
	if ((s->exemplar_log = fopen(log, "w")) == NULL) {
		fprintf(stderr, PROG ": %s: %s\n", log, strerror(errno));
		return -1;
	}
	if ((rc = mstore_family_register(st, &spec, &f)) != 0)
		return fail("counter family with exemplars", rc);
	if (get(f, v_get, &s->checkouts))
		return -1;
	spec.type = MSTORE_HISTOGRAM;
	spec.name = "mkstore_checkout_seconds";
	spec.help = "Checkout latency, with the trace of the latest per bucket.";
	spec.unit = "seconds";
	spec.nlabels = 0;
	spec.nbounds = EX_BOUNDS;
	spec.bounds = ex_bounds;
	if ((rc = mstore_family_register(st, &spec, &f)) != 0)
		return fail("histogram family with exemplars", rc);
	if (get(f, NULL, &s->checkout_seconds))
		return -1;
	spec.name = "mkstore_checkout_native_seconds";
	spec.help = "Checkout latency as a native histogram, with the trace of the latest.";
	spec.nbounds = 0;
	spec.bounds = NULL;
	spec.native_factor = 2;
	if ((rc = mstore_family_register(st, &spec, &f)) != 0)
		return fail("native histogram family with exemplars", rc);
	return get(f, NULL, &s->checkout_native);
}

/* s as a JSON string (escapes the quote, the backslash, control bytes). */
static void
json_str(FILE *o, const char *s)
{
	fputc('"', o);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(o, "\\%c", c);
		else if (c < 0x20)
			fprintf(o, "\\u%04x", c);
		else
			fputc(c, o);
	}
	fputc('"', o);
}

/* Log the exemplar ex written with value v on sample name (le: its
 * bucket's bound, NULL for the counter). */
static void
log_exemplar(FILE *o, const char *name, const char *le, const struct mstore_exemplar *ex, double v)
{
	size_t i;

	fprintf(o, "{\"sample\": \"%s\", \"labels\": {", name);
	if (le != NULL)
		fprintf(o, "\"le\": \"%s\"", le);
	else
		fputs("\"method\": \"GET\"", o);
	fputs("}, \"exemplar\": {\"labels\": {", o);
	for (i = 0; i < ex->nlabels; i++) {
		fputs(i > 0 ? ", " : "", o);
		json_str(o, ex->label_names[i]);
		fputs(": ", o);
		json_str(o, ex->label_values[i]);
	}
	fprintf(o, "}, \"value\": %.17g, \"time_ns\": %lld}}\n", v, (long long)ex->timestamp_ns);
}

/* --exemplars: one tick's counter add and observation, each with the
 * exemplar of a new trace. */
static int
update_exemplars(const struct mk_series *s, long tick)
{
	static const char *const names[] = { "trace_id", "span_id", "note" };
	static const double obs[EX_BOUNDS + 1] = { 0.05, 0.5, 5 };
	static const char *const le[EX_BOUNDS + 1] = { "0.1", "1", "+Inf" };
	char trace[33], span[17];
	const char *values[] = { trace, span, "a\"b\\c}\nd \xc3\xa9" };
	struct mstore_exemplar ex = { 3, names, values, 0 };
	struct timespec now;
	uint64_t h = (uint64_t)getpid() * UINT64_C(0x9e3779b97f4a7c15) ^ (uint64_t)tick;
	double v = (double)(1 + tick % 3), o = obs[tick % (EX_BOUNDS + 1)];
	int rc;

	if (s->exemplar_log == NULL)
		return 0;
	(void)clock_gettime(CLOCK_REALTIME, &now);
	ex.timestamp_ns = (int64_t)now.tv_sec * MSTORE_NS_PER_SEC +
	                  now.tv_nsec / MSTORE_NS_PER_MS * MSTORE_NS_PER_MS + MSTORE_NS_PER_MS / 2;
	(void)snprintf(trace, sizeof trace, "%016llx%016llx", (unsigned long long)h,
	               (unsigned long long)(h * 31 + 7));
	(void)snprintf(span, sizeof span, "%016llx", (unsigned long long)(h >> 3));
	if ((rc = mstore_counter_add_exemplar(s->checkouts, v, &ex)) != 0)
		return fail("counter add with exemplar", rc);
	log_exemplar(s->exemplar_log, "mkstore_checkouts_total", NULL, &ex, v);
	span[0] = 'f'; /* the observation: another span of the trace */
	ex.timestamp_ns += MSTORE_NS_PER_MS;
	if ((rc = mstore_histogram_observe_exemplar(s->checkout_seconds, o, &ex)) != 0)
		return fail("observe with exemplar", rc);
	log_exemplar(s->exemplar_log, "mkstore_checkout_seconds_bucket", le[tick % (EX_BOUNDS + 1)],
	             &ex, o);
	span[0] = 'e'; /* and into the native histogram: its one record, +Inf */
	ex.timestamp_ns += MSTORE_NS_PER_MS;
	if ((rc = mstore_histogram_observe_exemplar(s->checkout_native, o, &ex)) != 0)
		return fail("native observe with exemplar", rc);
	log_exemplar(s->exemplar_log, "mkstore_checkout_native_seconds_bucket", "+Inf", &ex, o);
	return fflush(s->exemplar_log) == 0 ? 0 : fail("exemplar log", MSTORE_E_SYS);
}

/* Add n series to a gauge family "mkstore_bulk" (large outputs). */
static int
register_bulk(struct mstore *st, long n)
{
	static const char *const lbl[] = { "i" };
	struct mstore_family *bulk;
	struct mstore_series *s;
	char buf[LABEL_BUF];
	const char *v[1] = { buf };
	long i;
	int rc;

	if (n == 0)
		return 0;
	rc = mstore_gauge_family(st, "mkstore_bulk", "Many series.", NULL, 1, lbl, &bulk);
	if (rc != 0)
		return fail("bulk family", rc);
	for (i = 0; i < n; i++) {
		(void)snprintf(buf, sizeof buf, "series-%ld", i);
		if (get(bulk, v, &s) || mstore_gauge_set(s, (double)i) != 0)
			return -1;
	}
	return 0;
}

/* Name and bounds of the --corrupt-tail family; its observations. */
#define CORRUPT_NAME "mkstore_corrupt_seconds"
static const double corrupt_bounds[] = { 0.1, 1 };
static const double corrupt_obs[] = { 0.05, 0.5, 5 };

/* --corrupt-tail, part 1: the family (last of the store) and its series. */
static int
register_corrupt(struct mstore *st)
{
	struct mstore_family *f;
	struct mstore_series *s;
	size_t i;
	int rc;

	rc = mstore_histogram_family(
	        st, CORRUPT_NAME, "A histogram corrupted on purpose.", "seconds", 0, NULL,
	        sizeof corrupt_bounds / sizeof corrupt_bounds[0], corrupt_bounds, &f);
	if (rc != 0)
		return fail("corrupt family", rc);
	if (get(f, NULL, &s))
		return -1;
	for (i = 0; i < sizeof corrupt_obs / sizeof corrupt_obs[0]; i++)
		if ((rc = mstore_histogram_observe(s, corrupt_obs[i])) != 0)
			return fail("corrupt observe", rc);
	return 0;
}

/* The value slots of the first series of family `name` in the mapped store
 * b[0..size), or NULL (reported) if there is none or a record points
 * outside the file. */
static _Atomic uint64_t *
find_slots(unsigned char *b, size_t size, const char *name)
{
	const struct mstore_hdr *h = (const void *)b;
	const struct mstore_family_rec *fr;
	const struct mstore_series_rec *sr;
	size_t len = strlen(name);
	uint32_t i, nf, ns, si;
	uint64_t off;

	if (size < sizeof *h || memcmp(h->magic, MSTORE_MAGIC, MSTORE_MAGIC_LEN) != 0 ||
	    h->version_major != MSTORE_VERSION_MAJOR || h->file_size > size) {
		fprintf(stderr, PROG ": --corrupt-tail: not a store of this version\n");
		return NULL;
	}
	nf = atomic_load(&h->families);
	ns = atomic_load(&h->series);
	for (i = 0; i < nf && i < h->max_families; i++) {
		fr = (const void *)(b + h->family_off + (uint64_t)i * MSTORE_FAMILY_REC_SIZE);
		if (fr->name.len != len || (uint64_t)fr->name.off + len >= h->string_bytes ||
		    memcmp(b + h->string_off + fr->name.off, name, len) != 0)
			continue;
		si = atomic_load(&fr->first_series);
		if (fr->type != MSTORE_HISTOGRAM || si >= ns || si >= h->max_series)
			break;
		sr = (const void *)(b + h->series_off + (uint64_t)si * MSTORE_SERIES_REC_SIZE);
		off = (uint64_t)sr->value_off + fr->nslots;
		if (sr->family != i || off > h->value_slots)
			break;
		return (_Atomic uint64_t *)(void *)(b + h->value_off +
		                                    (uint64_t)sr->value_off * MSTORE_SLOT_SIZE);
	}
	fprintf(stderr, PROG ": --corrupt-tail: no histogram series %s in the store\n", name);
	return NULL;
}

/*
 * --corrupt-tail, part 2: add one to the +Inf bucket of that series in the
 * file, through a second shared mapping of it (the library offers no way
 * to write a wrong value).  The buckets then add up to count + 1: the
 * reader's snapshot reports MSTORE_E_CORRUPT.  One atomic add, so a reader
 * sees either the old, consistent value or the corrupt one.
 */
static int
corrupt_tail(const char *path)
{
	const size_t nb = sizeof corrupt_bounds / sizeof corrupt_bounds[0];
	_Atomic uint64_t *v;
	struct stat sb;
	void *m;
	int fd, rc = -1;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) != 0) {
		fprintf(stderr, PROG ": --corrupt-tail: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			(void)close(fd);
		return -1;
	}
	m = mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	(void)close(fd);
	if (m == MAP_FAILED) {
		fprintf(stderr, PROG ": --corrupt-tail: mmap %s: %s\n", path, strerror(errno));
		return -1;
	}
	v = find_slots(m, (size_t)sb.st_size, CORRUPT_NAME);
	if (v != NULL) {
		(void)atomic_fetch_add(&v[MSTORE_HIST_BUCKET0 + nb], 1);
		rc = 0;
	}
	(void)munmap(m, (size_t)sb.st_size);
	return rc;
}

/* One tick's worth of updates; values change so scrapes can tell. */
static int
update(const struct mk_series *s, long tick)
{
	const int rc[] = {
		mstore_counter_inc(s->get_ok),
		mstore_counter_add(s->post_err, 0.5),
		mstore_counter_inc(s->escaped),
		mstore_counter_add(s->bytes, 1500),
		mstore_gauge_set(s->temp, 21.5 + (double)(tick % 3)),
		mstore_gauge_set(s->inflight, (double)(tick % 7) - 3),
		mstore_gauge_set(s->special, INFINITY),
		mstore_histogram_observe(s->lat_home, 0.05 * (double)(tick % 5)),
		mstore_histogram_observe(s->lat_odd, 3.0),
	};
	size_t i;

	for (i = 0; i < sizeof rc / sizeof rc[0]; i++)
		if (rc[i] != 0)
			return fail("update", rc[i]);
	return update_exemplars(s, tick);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * MSTORE_NS_PER_MS };

	/* EINTR (a signal) just ends the nap early; the loop checks mk_stop */
	(void)nanosleep(&ts, NULL);
}

static int
run(struct mstore *st, const struct mk_series *s, const struct mk_opts *o)
{
	long tick, elapsed;

	for (tick = 0; !mk_stop; tick++) {
		elapsed = tick * o->interval_ms;
		if (o->run_ms > 0 && elapsed >= o->run_ms)
			break;
		/* a static store is written once: its values never change */
		if ((!o->is_static || tick == 0) && update(s, tick) != 0)
			return -1;
		if (!o->is_static && (o->stop_heartbeat_ms < 0 || elapsed < o->stop_heartbeat_ms)) {
			int rc = mstore_heartbeat(st);

			if (rc != 0)
				return fail("heartbeat", rc);
		}
		sleep_ms(o->interval_ms);
	}
	return 0;
}

static int
setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	if (sigemptyset(&sa.sa_mask) == -1 || sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1) {
		perror(PROG ": sigaction");
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct mstore_options so;
	struct mk_opts o;
	struct mk_series s;
	struct mstore *st;
	int err = 0, rc;

	if (parse_opts(argc, argv, &o) != 0)
		return 2;
	if (setup_signals() != 0)
		return 1;
	memset(&so, 0, sizeof so);
	so.flags = o.is_static ? MSTORE_F_STATIC : 0;
	so.tick_interval_ms = (uint32_t)o.interval_ms;
	so.mode = STORE_MODE;
	if (o.extra_series > 0) {
		/* the defaults hold only 4096 series: make room for --series */
		so.max_series = (uint32_t)(BASE_SERIES + o.extra_series);
		so.string_bytes =
		        (uint32_t)(BASE_STRING_BYTES + o.extra_series * STRING_BYTES_PER_SERIES);
	}
	st = mstore_create(o.path, &so, &err);
	if (st == NULL) {
		fprintf(stderr, PROG ": cannot create store: %s: %s\n", o.path, why(err));
		return 1;
	}
	memset(&s, 0, sizeof s);
	rc = register_counters(st, &s) || register_gauges(st, &s) || register_histograms(st, &s) ||
	     register_exemplars(st, &s, o.exemplar_log) || register_bulk(st, o.extra_series) ||
	     (o.corrupt_tail && (register_corrupt(st) || corrupt_tail(o.path))) || run(st, &s, &o);
	mstore_close(st);
	if (s.exemplar_log != NULL && fclose(s.exemplar_log) != 0)
		rc = fail("exemplar log", MSTORE_E_SYS);
	return rc == 0 ? 0 : 1;
}
