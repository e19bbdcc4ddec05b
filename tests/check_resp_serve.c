/* SPDX-License-Identifier: MIT */
/*
 * check_resp_serve.c - Check suite for the responder's request logic
 * (resp_serve.c), driven in-process with a fake transport: no web server,
 * no socket.  Covers 503 for a missing, an invalid and a stale store, a
 * heartbeat from the future and one from another boot; wall clock steps
 * either way that change nothing; a
 * large body in CGI mode (the buffer grows) and in FastCGI mode (streamed
 * in pieces through the send function); HEAD lengths against GET; a send
 * that fails after part of a body went out, and a store that fails after
 * it (the abort line); gzip (the body decompressed is byte for byte the
 * uncompressed one, whole or streamed, for both formats and CGI; HEAD's
 * length; when it is used; the abort line inside the gzip stream); the
 * log rate limit (stderr captured in a file); and a store replaced by a
 * new file being remapped.  The gzip bodies are decompressed with ISA-L's
 * inflate (the compressor's library): the integration tests decompress
 * with gzip(1), python's zlib and Prometheus.
 *
 * The test owns the clocks: clock_gettime() is defined here and, while
 * fake_boot_ns is set, returns it for CLOCK_BOOTTIME (the library's
 * heartbeats and ages) and a wall clock (CLOCK_REALTIME) that runs with it
 * but may be stepped (fake_wall_step_ns), so ages, staleness and the exact
 * length of a body (it carries the store's age) do not depend on timing,
 * and a wall clock step is seen to change nothing.  Stores are built
 * with the public mstore API; the one that fails only after part of its
 * output (a corrupt last series) is tests/mkstore's --corrupt-tail.
 */
#include "config.h"

#include "log.h"
#include "mstore.h"
#include "mstore_layout.h" /* the clock identity, patched by test_other_boot */
#include "resp_guard.h"
#include "resp_gzip.h"
#include "resp_opts.h"
#include "resp_serve.h"
#include "testutil.h"

#include <check.h>
#include <isa-l/igzip_lib.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Series of the large store: its text is about 740 kB, nearly three times
 * the render buffer. */
#define BIG_SERIES 30000
/* Capacity of the large store. */
#define BIG_MAX_SERIES  32768
#define BIG_STRING_SIZE (4 * 1024 * 1024)
/* Where the fake clocks start: CLOCK_BOOTTIME 1000 s after boot, the wall
 * clock at 2026-01-01T00:00:00Z. */
#define B0_NS (INT64_C(1000) * MSTORE_NS_PER_SEC)
#define T0_NS (INT64_C(1767225600) * MSTORE_NS_PER_SEC)
/* Series of tests/mkstore's store whose gzip outgrows the gzip buffer
 * (its most: 3.7 MB of text, about 470 kB of gzip) before its corrupt
 * last series. */
#define MKSTORE_GZIP_SERIES 100000
/* Seconds a test waits for tests/mkstore to write its corrupt store. */
#define MKSTORE_WAIT_S 20
#define POLL_NS        50000000L
/* The captured log: room for every line a test writes. */
#define LOG_MAX 8192

#define TEXT_CT "text/plain; version=0.0.4; charset=utf-8"
#define OM_CT   "application/openmetrics-text; version=1.0.0; charset=utf-8"
#define OM_ACCEPT                                                                  \
	"application/openmetrics-text;version=1.0.0,application/openmetrics-text;" \
	"version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
#define PB_CT                                                                        \
	"application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; " \
	"encoding=delimited"
/* Prometheus 2.42 with --enable-feature=native-histograms */
#define PB_ACCEPT                                                                     \
	"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"    \
	"encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,"        \
	"application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;" \
	"q=0.5,*/*;q=0.1"

/* ------------------------------------------------------------ the clock */

static int64_t fake_boot_ns;      /* 0: the real clocks */
static int64_t fake_wall_step_ns; /* the wall clock's steps so far */

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	int64_t v;

	if (fake_boot_ns > 0 && (id == CLOCK_BOOTTIME || id == CLOCK_REALTIME)) {
		v = id == CLOCK_BOOTTIME ? fake_boot_ns
		                         : T0_NS + (fake_boot_ns - B0_NS) + fake_wall_step_ns;
		ts->tv_sec = (time_t)(v / MSTORE_NS_PER_SEC);
		ts->tv_nsec = (long)(v % MSTORE_NS_PER_SEC);
		return 0;
	}
	return (int)syscall(SYS_clock_gettime, id, ts);
}

/* ---------------------------------------------------------- fixture */

static struct tu_dir dir;
static char store[TU_PATH_MAX];
static char logpath[TU_PATH_MAX];
static struct resp_opts opts;
static struct resp_server *srv;
/* The sample store's writer, kept open (a closed store's last writer is
 * gone: stale at once) until teardown. */
static struct mstore *sample_st;

static void
setup(void)
{
	int fd;

	fake_boot_ns = B0_NS;
	fake_wall_step_ns = 0;
	ck_assert_int_eq(tu_dir_make(&dir), 0);
	ck_assert_ptr_nonnull(tu_path(&dir, "metrics.store", store, sizeof store));
	ck_assert_ptr_nonnull(tu_path(&dir, "stderr.log", logpath, sizeof logpath));
	/* what the responder logs goes to a file the test reads */
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	ck_assert_int_eq(close(fd), 0);
	log_init("metrics.fcgi", LOG_LEVEL_WARN);
	ck_assert_int_eq(resp_guard_install(), 0);
	memset(&opts, 0, sizeof opts);
	opts.store_path = store;
	opts.gzip = 1;
	srv = resp_server_new(&opts);
}

static void
teardown(void)
{
	mstore_close(sample_st);
	sample_st = NULL;
	resp_server_free(srv);
	srv = NULL;
	tu_dir_remove(&dir);
}

/* The lines logged so far (NUL-terminated, in a static buffer). */
static const char *
logged(void)
{
	static char buf[LOG_MAX];
	ssize_t n;
	int fd = open(logpath, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, sizeof buf - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	ck_assert_int_eq(close(fd), 0);
	return buf;
}

/* How many logged lines contain s. */
static int
log_count(const char *s)
{
	const char *p = logged();
	int n = 0;

	while ((p = strstr(p, s)) != NULL) {
		n++;
		p += strlen(s);
	}
	return n;
}

/* ------------------------------------------------------------ stores */

/* The small sample store (tests/testutil.c); static unless ticking. */
static void
make_sample(uint32_t flags)
{
	struct mstore_options o;
	struct mstore *st;
	int err = 0;

	memset(&o, 0, sizeof o);
	o.flags = flags;
	st = tu_sample_store(store, &o, &err);
	ck_assert_msg(st != NULL, "sample store: %s", mstore_strerror(err));
	mstore_close(sample_st);
	sample_st = st;
}

/* A static store whose only family is the gauge name{i="0".."n-1"}, all
 * set to v. */
static void
make_gauges(const char *name, long n, double v)
{
	static const char *const labels[] = { "i" };
	struct mstore_options o;
	struct mstore_family *f;
	struct mstore_series *s;
	struct mstore *st;
	char value[32];
	const char *values[1] = { value };
	int err = 0;
	long i;

	memset(&o, 0, sizeof o);
	o.flags = MSTORE_F_STATIC;
	o.max_series = BIG_MAX_SERIES;
	o.string_bytes = BIG_STRING_SIZE;
	st = mstore_create(store, &o, &err);
	ck_assert_msg(st != NULL, "create: %s", mstore_strerror(err));
	ck_assert_int_eq(mstore_gauge_family(st, name, "Test gauges.", NULL, 1, labels, &f), 0);
	for (i = 0; i < n; i++) {
		(void)snprintf(value, sizeof value, "%ld", i);
		ck_assert_int_eq(mstore_series_get(f, values, &s), 0);
		ck_assert_int_eq(mstore_gauge_set(s, v), 0);
	}
	mstore_close(st);
}

/* A static store of n gauges noisy{i="<16 hex digits>"} with values of
 * 17 significant digits, both from a fixed pseudo-random sequence: text
 * that compresses about 3 to 1 only (30,000 series: 1.5 MB, over 256 KiB
 * of gzip). */
static void
make_noisy(long n)
{
	static const char *const labels[] = { "i" };
	struct mstore_options o;
	struct mstore_family *f;
	struct mstore_series *s;
	struct mstore *st;
	char value[32];
	const char *values[1] = { value };
	uint64_t x = UINT64_C(0x9e3779b97f4a7c15);
	int err = 0;
	long i;

	memset(&o, 0, sizeof o);
	o.flags = MSTORE_F_STATIC;
	o.max_series = BIG_MAX_SERIES;
	o.string_bytes = BIG_STRING_SIZE;
	st = mstore_create(store, &o, &err);
	ck_assert_msg(st != NULL, "create: %s", mstore_strerror(err));
	ck_assert_int_eq(mstore_gauge_family(st, "noisy", "Hard to compress.", NULL, 1, labels, &f),
	                 0);
	for (i = 0; i < n; i++) {
		x ^= x << 13; /* xorshift64 */
		x ^= x >> 7;
		x ^= x << 17;
		(void)snprintf(value, sizeof value, "%016llx", (unsigned long long)x);
		ck_assert_int_eq(mstore_series_get(f, values, &s), 0);
		ck_assert_int_eq(mstore_gauge_set(s, (double)(x >> 11) / 9007199254740992.0), 0);
	}
	mstore_close(st);
}

/* -------------------------------------------------- the fake transport */

/* What the fake send function saw, and the response it puts together. */
struct fake {
	char *body; /* every byte sent, then the reply's rest */
	size_t len, cap;
	int calls;     /* send calls */
	int fail_at;   /* fail the call with this number (0: never) */
	int bad_first; /* first set on a call other than the first */
	int status;    /* status, type and coding the first call carried */
	const char *content_type;
	const char *content_encoding;
	size_t max_piece;
	int piece_not_line; /* a piece did not end at a line end */
};

static void
fake_append(struct fake *f, const char *p, size_t n)
{
	if (f->len + n + 1 > f->cap) {
		f->cap = (f->len + n + 1) * 2;
		f->body = realloc(f->body, f->cap);
		ck_assert_ptr_nonnull(f->body);
	}
	memcpy(f->body + f->len, p, n);
	f->len += n;
	f->body[f->len] = '\0';
}

/* resp_send_fn */
static int
fake_send(void *ctx, const struct resp_reply *r, const char *p, size_t n, int first)
{
	struct fake *f = ctx;

	f->calls++;
	if (f->calls == f->fail_at)
		return -1;
	if (first != (f->calls == 1))
		f->bad_first = 1;
	if (first) {
		f->status = r->status;
		f->content_type = r->content_type;
		f->content_encoding = r->content_encoding;
	}
	if (n > f->max_piece)
		f->max_piece = n;
	if (n == 0 || p[n - 1] != '\n')
		f->piece_not_line = 1;
	fake_append(f, p, n);
	return 0;
}

/*
 * One request, with the Accept-Encoding header encoding (NULL: none).
 * fastcgi: with the fake send function (a large /metrics body is streamed
 * through it), else as CGI (no send function).  f gets the whole body as
 * a client would see it: the pieces sent, then the reply's body (the
 * rest, the abort line, or the unstreamed body).
 */
static void
request_enc(struct resp_server *s, const char *method, const char *path, const char *accept,
            const char *encoding, int fastcgi, struct fake *f, struct resp_reply *r)
{
	struct resp_request rq;
	int fail_at = f->fail_at;

	free(f->body);
	memset(f, 0, sizeof *f);
	f->fail_at = fail_at;
	fake_append(f, "", 0);
	memset(&rq, 0, sizeof rq);
	rq.method = method;
	rq.request_uri = path;
	rq.script_name = path;
	rq.accept = accept;
	rq.accept_encoding = encoding;
	resp_serve(s, &rq, fastcgi ? fake_send : NULL, f, r);
	ck_assert(r->streamed || f->calls == 0);
	ck_assert(!r->aborted || r->streamed);
	if ((!r->head_only || r->streamed) && r->len > 0)
		fake_append(f, r->body, r->len);
}

/* One request without Accept-Encoding. */
static void
request(struct resp_server *s, const char *method, const char *path, const char *accept,
        int fastcgi, struct fake *f, struct resp_reply *r)
{
	request_enc(s, method, path, accept, NULL, fastcgi, f, r);
}

static void
fake_free(struct fake *f)
{
	free(f->body);
	memset(f, 0, sizeof *f);
}

/* A 503 with exactly body want (as text/plain). */
static void
assert_503(const struct resp_reply *r, const struct fake *f, const char *want)
{
	ck_assert_int_eq(r->status, 503);
	ck_assert_str_eq(r->content_type, "text/plain; charset=utf-8");
	ck_assert(!r->streamed);
	ck_assert_str_eq(f->body, want);
}

/* ------------------------------------------------------------ 503s */

START_TEST(test_missing_store)
{
	static const char *const paths[] = { "/metrics", "/health" };
	struct resp_reply r;
	struct fake f = { 0 };
	char want[2 * TU_PATH_MAX];
	int i;

	(void)snprintf(want, sizeof want, "store unavailable: %s: No such file or directory\n",
	               store);
	for (i = 0; i < 4; i++) {
		request(srv, "GET", paths[i % 2], NULL, i / 2, &f, &r);
		assert_503(&r, &f, want);
	}
	request(srv, "HEAD", "/metrics", NULL, 1, &f, &r);
	ck_assert_int_eq(r.status, 503);
	ck_assert_uint_eq(r.len, strlen(want));
	ck_assert_str_eq(f.body, "");
	fake_free(&f);
}
END_TEST

/* Files that are no store, len bytes of fill: the reason is the reader's. */
struct invalid_case {
	char fill;
	size_t len;
	int err; /* MSTORE_E_* the reader reports, 0: any */
};

static const struct invalid_case invalid_cases[] = {
	{ 'X', 65536, MSTORE_E_MAGIC }, /* room for a header, no magic */
	{ 'X', 5, 0 },
	{ '\0', 0, 0 },
};

START_TEST(test_invalid_store)
{
	const struct invalid_case *c = &invalid_cases[_i];
	struct resp_reply r;
	struct fake f = { 0 };
	char want[2 * TU_PATH_MAX];
	char *content = malloc(c->len + 1);

	ck_assert_ptr_nonnull(content);
	memset(content, c->fill, c->len);
	ck_assert_int_eq(tu_write_file(store, content, c->len), 0);
	free(content);
	request(srv, "GET", "/metrics", NULL, 1, &f, &r);
	ck_assert_int_eq(r.status, 503);
	(void)snprintf(want, sizeof want, "store invalid: %s: ", store);
	ck_assert_msg(strncmp(f.body, want, strlen(want)) == 0, "body [%s]", f.body);
	if (c->err != 0) {
		(void)snprintf(want, sizeof want, "store invalid: %s: %s\n", store,
		               mstore_strerror(c->err));
		assert_503(&r, &f, want);
	}
	request(srv, "GET", "/health", NULL, 0, &f, &r);
	ck_assert_int_eq(r.status, 503);
	fake_free(&f);
}
END_TEST

/* Alive, then stale, with the wall clock stepped either way after the store
 * was made (or not at all): only CLOCK_BOOTTIME counts, so the step changes
 * neither the verdict nor an age. */
static const int64_t wall_steps[] = {
	0,
	-3600 * MSTORE_NS_PER_SEC,
	-10 * MSTORE_NS_PER_SEC,
	10 * MSTORE_NS_PER_SEC,
	3600 * MSTORE_NS_PER_SEC,
};

START_TEST(test_stale_store)
{
	struct resp_reply r;
	struct fake f = { 0 };
	char want[2 * TU_PATH_MAX];

	make_sample(0); /* heartbeat at B0, 1 s ticks: stale after 3 s */
	fake_wall_step_ns = wall_steps[_i];
	fake_boot_ns = B0_NS + 2 * MSTORE_NS_PER_SEC;
	request(srv, "GET", "/health", NULL, 0, &f, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(f.body, "ok: last heartbeat 2.000 s ago\n"
	                         "writers: 1 live, 0 stale, 1 slots\n");
	request(srv, "GET", "/metrics", NULL, 0, &f, &r);
	ck_assert_ptr_nonnull(strstr(f.body, "\nmstore_exporter_writer_up 1\n"));
	ck_assert_ptr_nonnull(strstr(f.body, "\nmstore_exporter_store_age_seconds 2\n"));
	ck_assert_ptr_nonnull(strstr(f.body, "\ntu_temperature_celsius 21.5\n"));

	fake_boot_ns = B0_NS + 3500 * MSTORE_NS_PER_MS;
	request(srv, "GET", "/health", NULL, 0, &f, &r);
	(void)snprintf(want, sizeof want,
	               "writer stale: %s: last heartbeat 3.500 s ago (limit 3.000 s)\n", store);
	assert_503(&r, &f, want);
	/* /metrics: 200 with only the responder's own families */
	request(srv, "GET", "/metrics", NULL, 1, &f, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(f.body, "\nmstore_exporter_writer_up 0\n"));
	ck_assert_ptr_nonnull(strstr(f.body, "\nmstore_exporter_store_age_seconds 3.5\n"));
	ck_assert_ptr_null(strstr(f.body, "tu_"));

	/* --stale-after wins over the ticks */
	opts.stale_after_ns = MSTORE_NS_PER_SEC;
	fake_boot_ns = B0_NS + 2 * MSTORE_NS_PER_SEC;
	request(srv, "GET", "/health", NULL, 0, &f, &r);
	(void)snprintf(want, sizeof want,
	               "writer stale: %s: last heartbeat 2.000 s ago (limit 1.000 s)\n", store);
	assert_503(&r, &f, want);
	fake_free(&f);
}
END_TEST

START_TEST(test_static_store_never_stale)
{
	struct resp_reply r;
	struct fake f = { 0 };

	make_sample(MSTORE_F_STATIC);
	fake_boot_ns = B0_NS + 3600 * MSTORE_NS_PER_SEC;
	request(srv, "GET", "/health", NULL, 0, &f, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(f.body, "ok: static store\nwriters: 1 live, 0 stale, 1 slots\n");
	fake_free(&f);
}
END_TEST

/* A heartbeat ahead of our clock by more than the slack is no proof of
 * life: 503 with how far ahead, age 0, own families only, logged once. */
START_TEST(test_future_heartbeat)
{
	struct resp_reply r;
	struct fake f = { 0 };
	char want[2 * TU_PATH_MAX];
	int i;

	fake_boot_ns = B0_NS + 10 * MSTORE_NS_PER_SEC;
	make_sample(0);
	/* within MSTORE_FUTURE_SLACK_NS: just stamped */
	fake_boot_ns = B0_NS + 9500 * MSTORE_NS_PER_MS;
	request(srv, "GET", "/health", NULL, 0, &f, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(f.body, "ok: last heartbeat 0.000 s ago\n"
	                         "writers: 1 live, 0 stale, 1 slots\n");

	for (i = 0; i < 4; i++) {
		fake_boot_ns = B0_NS + i * MSTORE_NS_PER_SEC;
		request(srv, "GET", "/health", NULL, 0, &f, &r);
		(void)snprintf(want, sizeof want,
		               "writer stale: %s: heartbeat %d.000 s in the future "
		               "(a clock problem, not proof of life)\n",
		               store, 10 - i);
		assert_503(&r, &f, want);
		request(srv, "GET", "/metrics", NULL, i % 2, &f, &r);
		ck_assert_int_eq(r.status, 200);
		ck_assert_ptr_nonnull(strstr(f.body, "\nmstore_exporter_writer_up 0\n"));
		ck_assert_ptr_nonnull(strstr(f.body, "\nmstore_exporter_store_age_seconds 0\n"));
		ck_assert_ptr_null(strstr(f.body, "tu_"));
	}
	(void)snprintf(want, sizeof want,
	               "metrics.fcgi: writer stale: %s: heartbeat 10.000 s in the future "
	               "(a clock problem, not proof of life): serving own metrics only\n",
	               store);
	ck_assert_str_eq(logged(), want);

	/* the clock caught up: alive again, and said so */
	fake_boot_ns = B0_NS + 11 * MSTORE_NS_PER_SEC;
	request(srv, "GET", "/health", NULL, 0, &f, &r);
	ck_assert_str_eq(f.body, "ok: last heartbeat 1.000 s ago\n"
	                         "writers: 1 live, 0 stale, 1 slots\n");
	ck_assert_int_eq(log_count("store usable again"), 1);
	fake_free(&f);
}
END_TEST

/* A store stamped in another boot (its boot id differs from ours): its
 * heartbeat cannot be compared, whatever the numbers say. */
START_TEST(test_other_boot)
{
	static const unsigned char unknown[MSTORE_BOOT_ID_LEN];
	struct mstore_clock_id other = *mstore_clock_self();
	struct resp_reply r;
	struct fake f = { 0 };
	char want[2 * TU_PATH_MAX];

	/* without a boot id of our own (no /proc) there is nothing to compare */
	if (memcmp(other.boot_id, unknown, sizeof unknown) == 0)
		return;
	make_sample(0);
	other.boot_id[MSTORE_BOOT_ID_LEN - 1] ^= 0x5a;
	ck_assert_int_eq(tu_patch_writer_clock(store, 0, &other), 0);
	request(srv, "GET", "/health", NULL, 0, &f, &r);
	(void)snprintf(want, sizeof want,
	               "writer stale: %s: heartbeat from another boot "
	               "(stamped before a reboot, or on another host)\n",
	               store);
	assert_503(&r, &f, want);
	request(srv, "GET", "/metrics", NULL, 0, &f, &r);
	ck_assert_ptr_nonnull(strstr(f.body, "\nmstore_exporter_writer_up 0\n"));
	ck_assert_ptr_nonnull(strstr(f.body, "\nmstore_exporter_store_age_seconds 0\n"));
	ck_assert_ptr_null(strstr(f.body, "tu_"));
	fake_free(&f);
}
END_TEST

/* Several writers: /health counts them, /metrics says how many are live
 * and stale, and what was recovered after one died. */
START_TEST(test_writers)
{
	struct mstore_options o = { .max_writers = 4 };
	struct resp_reply r;
	struct fake f = { 0 };
	struct mstore *second;
	int err = 0, status;
	pid_t pid;

	sample_st = tu_sample_store(store, &o, &err);
	ck_assert_msg(sample_st != NULL, "sample store: %s", mstore_strerror(err));
	second = mstore_attach(store, NULL, &err);
	ck_assert_msg(second != NULL, "attach: %s", mstore_strerror(err));
	request(srv, "GET", "/health", NULL, 0, &f, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(f.body, "ok: last heartbeat 0.000 s ago\n"
	                         "writers: 2 live, 0 stale, 4 slots\n");
	/* a third writer dies without closing (its heartbeat at B0) */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (mstore_heartbeat(sample_st) != 0)
			_exit(1);
		raise(SIGKILL);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status));
	fake_boot_ns = B0_NS + 5 * MSTORE_NS_PER_SEC;
	ck_assert_int_eq(mstore_heartbeat(second), 0); /* cleans the dead one up */
	ck_assert_int_eq(mstore_heartbeat(sample_st), 0);
	request(srv, "GET", "/metrics", NULL, 0, &f, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(f.body, "\nmstore_exporter_writers{state=\"live\"} 2\n"
	                                     "mstore_exporter_writers{state=\"stale\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(f.body, "\nmstore_exporter_writer_slots 4\n"));
	ck_assert_ptr_nonnull(strstr(
	        f.body, "\nmstore_exporter_writer_recoveries_total{kind=\"writer_slot\"} 1\n"));
	/* the second writer stops heartbeating: stale, the store still alive */
	fake_boot_ns = B0_NS + 9 * MSTORE_NS_PER_SEC;
	ck_assert_int_eq(mstore_heartbeat(sample_st), 0);
	request(srv, "GET", "/health", NULL, 0, &f, &r);
	ck_assert_str_eq(f.body, "ok: last heartbeat 0.000 s ago\n"
	                         "writers: 1 live, 1 stale, 4 slots\n");
	mstore_close(second);
	fake_free(&f);
}
END_TEST

/* ------------------------------------------------ bodies and lengths */

/* HEAD answers with the length GET's body has, whichever way GET sends it. */
struct head_case {
	const char *path, *accept;
	int fastcgi;
	long series; /* gauges in the store; 0: the sample store */
};

static const struct head_case head_cases[] = {
	{ "/metrics", NULL, 0, 0 },
	{ "/metrics", OM_ACCEPT, 1, 0 },
	{ "/health", NULL, 1, 0 },
	{ "/nope", NULL, 1, 0 },
	{ "/metrics", NULL, 1, BIG_SERIES },
	{ "/metrics", OM_ACCEPT, 1, BIG_SERIES },
	{ "/metrics", NULL, 0, BIG_SERIES },
	{ "/metrics", PB_ACCEPT, 1, 0 },
	{ "/metrics", PB_ACCEPT, 0, 0 },
	{ "/metrics", PB_ACCEPT, 1, BIG_SERIES },
	{ "/metrics", PB_ACCEPT, 0, BIG_SERIES },
};

START_TEST(test_head_length)
{
	const struct head_case *c = &head_cases[_i];
	struct resp_reply head, get;
	struct fake f = { 0 };

	if (c->series > 0)
		make_gauges("big_level", c->series, 1.5);
	else
		make_sample(MSTORE_F_STATIC);
	request(srv, "HEAD", c->path, c->accept, c->fastcgi, &f, &head);
	ck_assert(head.head_only);
	ck_assert(!head.streamed);
	ck_assert_int_eq(f.calls, 0);
	ck_assert_str_eq(f.body, "");
	request(srv, "GET", c->path, c->accept, c->fastcgi, &f, &get);
	ck_assert_int_eq(head.status, get.status);
	ck_assert_str_eq(head.content_type, get.content_type);
	if (c->accept != NULL && strcmp(c->accept, PB_ACCEPT) == 0)
		ck_assert_str_eq(get.content_type, PB_CT);
	ck_assert_uint_eq(head.len, f.len);
	ck_assert_uint_gt(f.len, 0);
	/* a large body really took the other path */
	ck_assert_int_eq(get.streamed, c->fastcgi && c->series > 0);
	fake_free(&f);
}
END_TEST

/* CGI: the buffer grows to hold the whole body (one write, with its
 * length); FastCGI: the same body in pieces of at most the buffer's size,
 * each ending at a line, the headers with the first. */
START_TEST(test_large_body)
{
	struct resp_server *cgi = resp_server_new(&opts);
	struct resp_reply r, rc;
	struct fake f = { 0 }, c = { 0 };
	char last[64];

	make_gauges("big_level", BIG_SERIES, 1.5);
	request(cgi, "GET", "/metrics", NULL, 0, &c, &rc);
	ck_assert_int_eq(rc.status, 200);
	ck_assert(!rc.streamed);
	ck_assert_uint_gt(rc.len, 2 * RESP_BUF_SIZE);
	ck_assert_int_eq(c.calls, 0);
	(void)snprintf(last, sizeof last, "\nbig_level{i=\"%d\"} 1.5\n", BIG_SERIES - 1);
	ck_assert_ptr_nonnull(strstr(c.body, last));

	request(srv, "GET", "/metrics", NULL, 1, &f, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(r.streamed && !r.aborted);
	ck_assert_int_ge(f.calls, 2);
	ck_assert(!f.bad_first);
	ck_assert_int_eq(f.status, 200);
	ck_assert_str_eq(f.content_type, TEXT_CT);
	ck_assert_uint_le(f.max_piece, RESP_BUF_SIZE);
	ck_assert(!f.piece_not_line);
	ck_assert_uint_le(r.len, RESP_BUF_SIZE);
	/* both servers answered one scrape: the bodies are the same bytes */
	ck_assert_uint_eq(f.len, c.len);
	ck_assert_int_eq(memcmp(f.body, c.body, f.len), 0);
	resp_server_free(cgi);
	fake_free(&f);
	fake_free(&c);
}
END_TEST

/* The client goes away after the first piece: the reply is aborted with
 * nothing more to send, not counted as a failed scrape, and the next
 * request is served. */
START_TEST(test_send_fails)
{
	struct resp_reply r;
	struct fake f = { 0 };

	make_gauges("big_level", BIG_SERIES, 1.5);
	f.fail_at = 2;
	request(srv, "GET", "/metrics", OM_ACCEPT, 1, &f, &r);
	ck_assert_int_eq(f.calls, 2);
	ck_assert(r.streamed && r.aborted);
	ck_assert_uint_eq(r.len, 0);
	f.fail_at = 0;
	request(srv, "GET", "/metrics", NULL, 0, &f, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(f.body, "\nmstore_exporter_scrapes_total 2\n"));
	ck_assert_ptr_nonnull(strstr(f.body, "\nmstore_exporter_scrape_errors_total 0\n"));
	ck_assert_int_eq(log_count("store"), 0);
	fake_free(&f);
}
END_TEST

/* Run tests/mkstore --corrupt-tail with n bulk series on the store until a
 * CGI render of it fails, then stop it: a store whose last series fails
 * its check after everything before it rendered. */
static void
make_corrupt_tail(long n)
{
	const char *top = getenv("top_builddir");
	char prog[TU_PATH_MAX], series[16];
	struct timespec pause = { 0, POLL_NS };
	struct resp_server *cgi = resp_server_new(&opts);
	struct resp_reply r;
	struct fake f = { 0 };
	int status, i, corrupt = 0;
	pid_t pid;

	(void)snprintf(prog, sizeof prog, "%s/tests/mkstore", top != NULL ? top : ".");
	(void)snprintf(series, sizeof series, "%ld", n);
	/* a corrupt store already there would end the wait at once */
	ck_assert(unlink(store) == 0 || errno == ENOENT);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execl(prog, prog, "--store", store, "--static", "--series", series,
		      "--corrupt-tail", (char *)NULL);
		_exit(127);
	}
	fake_boot_ns = 0; /* the real clocks while we wait */
	for (i = 0; i < MKSTORE_WAIT_S * 1000000000L / POLL_NS; i++) {
		request(cgi, "GET", "/metrics", NULL, 0, &f, &r);
		corrupt = r.status == 503 && strstr(f.body, "store content corrupt") != NULL;
		if (corrupt)
			break;
		(void)nanosleep(&pause, NULL);
	}
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(corrupt, "%s did not write a corrupt store: [%s]", prog, f.body);
	fake_boot_ns = B0_NS;
	resp_server_free(cgi);
	fake_free(&f);
	/* the responder's own log so far is not this test's */
	ck_assert_int_eq(truncate(logpath, 0), 0);
}

/* The store fails after pieces went out: too late for a 503, so the body
 * ends with a line no parser takes and the reply is aborted (the transport
 * then leaves the response unfinished).  HEAD, which sends nothing before
 * the end, and CGI still get a 503; /health, which renders nothing, 200. */
START_TEST(test_fails_after_start)
{
	struct resp_reply r;
	struct fake f = { 0 };
	char want[2 * TU_PATH_MAX];
	const char *tail;

	make_corrupt_tail(BIG_SERIES);
	request(srv, "GET", "/metrics", NULL, 1, &f, &r);
	ck_assert(r.streamed && r.aborted);
	ck_assert_int_ge(f.calls, 1);
	ck_assert_int_eq(f.status, 200);
	ck_assert_ptr_nonnull(strstr(f.body, "\nmkstore_bulk{"));
	(void)snprintf(want, sizeof want, "response aborted: store invalid: %s: %s\n", store,
	               mstore_strerror(MSTORE_E_CORRUPT));
	ck_assert_uint_ge(f.len, strlen(want));
	tail = f.body + f.len - strlen(want);
	ck_assert_str_eq(tail, want);
	ck_assert_int_eq(tail[-1], '\n');

	(void)snprintf(want, sizeof want, "store invalid: %s: %s\n", store,
	               mstore_strerror(MSTORE_E_CORRUPT));
	request(srv, "HEAD", "/metrics", NULL, 1, &f, &r);
	ck_assert_int_eq(r.status, 503);
	request(srv, "GET", "/metrics", NULL, 0, &f, &r);
	assert_503(&r, &f, want);
	request(srv, "GET", "/health", NULL, 1, &f, &r);
	ck_assert_int_eq(r.status, 200);
	fake_free(&f);
}
END_TEST

/* The same in protobuf: the body ends with a message no decoder takes,
 * then the line (src/resp_serve.c, abort_mark()). */
START_TEST(test_fails_after_start_protobuf)
{
	struct resp_reply r;
	struct fake f = { 0 };
	char want[2 * TU_PATH_MAX];
	size_t n;

	make_corrupt_tail(BIG_SERIES);
	request(srv, "GET", "/metrics", PB_ACCEPT, 1, &f, &r);
	ck_assert(r.streamed && r.aborted);
	ck_assert_int_ge(f.calls, 1);
	ck_assert_str_eq(f.content_type, PB_CT);
	n = (size_t)snprintf(want, sizeof want, "\x01\x0fresponse aborted: store invalid: %s: %s\n",
	                     store, mstore_strerror(MSTORE_E_CORRUPT));
	ck_assert_uint_gt(f.len, n);
	ck_assert_int_eq(memcmp(f.body + f.len - n, want, n), 0);
	fake_free(&f);
}
END_TEST

/* -------------------------------------------------------------- gzip */

/* The gzip stream z[0..n), decompressed (NUL-terminated, *len bytes; free
 * it): one complete stream, its CRC and length checked, nothing after. */
static char *
gunzip(const char *z, size_t n, size_t *len)
{
	struct inflate_state *st = malloc(sizeof *st);
	size_t cap = 4 * n + 4096;
	char *out = malloc(cap);
	int rc;

	ck_assert(st != NULL && out != NULL);
	isal_inflate_init(st);
	st->crc_flag = ISAL_GZIP;
	st->next_in = (uint8_t *)(uintptr_t)z;
	st->avail_in = (uint32_t)n;
	*len = 0;
	do {
		if (cap - *len < 2) {
			cap *= 2;
			out = realloc(out, cap);
			ck_assert_ptr_nonnull(out);
		}
		st->next_out = (uint8_t *)out + *len;
		st->avail_out = (uint32_t)(cap - *len - 1);
		rc = isal_inflate(st);
		*len = (size_t)((char *)st->next_out - out);
		ck_assert_msg(rc == ISAL_DECOMP_OK, "isal_inflate: %d", rc);
		ck_assert_msg(st->block_state == ISAL_BLOCK_FINISH || st->avail_out == 0,
		              "gzip stream cut short after %zu bytes", *len);
	} while (st->block_state != ISAL_BLOCK_FINISH);
	ck_assert_msg(st->avail_in == 0, "%u bytes after the gzip stream", st->avail_in);
	out[*len] = '\0';
	free(st);
	return out;
}

/* Which store a gzip case serves. */
enum gzip_store {
	GZ_SAMPLE, /* the small sample store: one write, with a length */
	GZ_BIG,    /* 740 kB of text, 40 kB of gzip: rendered in pieces,
	              sent in one write */
	GZ_NOISY,  /* over 256 KiB of gzip: streamed (FastCGI) */
};

struct gzip_case {
	enum gzip_store store;
	const char *accept;
	int fastcgi;
};

static const struct gzip_case gzip_cases[] = {
	{ GZ_SAMPLE, NULL, 1 }, { GZ_SAMPLE, OM_ACCEPT, 1 }, { GZ_SAMPLE, NULL, 0 },
	{ GZ_BIG, NULL, 1 },    { GZ_BIG, OM_ACCEPT, 1 },    { GZ_BIG, NULL, 0 },
	{ GZ_NOISY, NULL, 1 },  { GZ_NOISY, OM_ACCEPT, 1 },  { GZ_NOISY, NULL, 0 },
};

/*
 * What Prometheus asks for: the body is gzipped, and decompressed it is
 * byte for byte what a client without Accept-Encoding gets (three fresh
 * servers answer their first scrape each, so even the responder's own
 * samples agree); HEAD has the GET's headers and length; a body whose gzip
 * outgrows the buffer is streamed in pieces of at most its size, the
 * headers with the first.
 */
START_TEST(test_gzip_body)
{
	const struct gzip_case *c = &gzip_cases[_i];
	struct resp_server *plain_srv = resp_server_new(&opts), *head_srv = resp_server_new(&opts);
	struct resp_reply r, plain, head;
	struct fake f = { 0 }, p = { 0 }, h = { 0 };
	size_t n;
	char *body;

	if (c->store == GZ_SAMPLE)
		make_sample(MSTORE_F_STATIC);
	else if (c->store == GZ_BIG)
		make_gauges("big_level", BIG_SERIES, 1.5);
	else
		make_noisy(BIG_SERIES);
	request_enc(srv, "GET", "/metrics", c->accept, "gzip", c->fastcgi, &f, &r);
	request(plain_srv, "GET", "/metrics", c->accept, c->fastcgi, &p, &plain);
	request_enc(head_srv, "HEAD", "/metrics", c->accept, "gzip", c->fastcgi, &h, &head);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.content_type, plain.content_type);
	ck_assert_str_eq(r.content_encoding, RESP_GZIP_CODING);
	ck_assert(r.vary_accept && r.vary_encoding);
	ck_assert_ptr_null(plain.content_encoding);
	ck_assert(plain.vary_accept && plain.vary_encoding);
	body = gunzip(f.body, f.len, &n);
	ck_assert_uint_eq(n, p.len);
	ck_assert_int_eq(memcmp(body, p.body, n), 0);
	ck_assert_uint_lt(f.len, n);

	ck_assert_int_eq(r.streamed, c->fastcgi && c->store == GZ_NOISY);
	if (r.streamed) {
		ck_assert_int_ge(f.calls, 1);
		ck_assert(!f.bad_first);
		ck_assert_str_eq(f.content_encoding, RESP_GZIP_CODING);
		ck_assert_uint_le(f.max_piece, RESP_BUF_SIZE);
		ck_assert_uint_gt(f.len, RESP_BUF_SIZE);
	}
	ck_assert(head.head_only && !head.streamed);
	ck_assert_str_eq(head.content_encoding, RESP_GZIP_CODING);
	ck_assert_uint_eq(head.len, f.len);
	ck_assert_str_eq(h.body, "");
	free(body);
	resp_server_free(plain_srv);
	resp_server_free(head_srv);
	fake_free(&f);
	fake_free(&p);
	fake_free(&h);
}
END_TEST

/* gzip only when asked (resp_http_coding), never for /health or errors,
 * and never with --no-gzip, which also leaves Accept-Encoding out of Vary. */
START_TEST(test_gzip_when)
{
	struct resp_server *off;
	struct resp_reply r;
	struct fake f = { 0 };

	make_sample(MSTORE_F_STATIC);
	request_enc(srv, "GET", "/metrics", NULL, "gzip;q=0, identity", 1, &f, &r);
	ck_assert_ptr_null(r.content_encoding);
	ck_assert_ptr_nonnull(strstr(f.body, "\ntu_temperature_celsius 21.5\n"));
	request_enc(srv, "GET", "/metrics", NULL, "identity;q=0, *", 1, &f, &r);
	ck_assert_str_eq(r.content_encoding, RESP_GZIP_CODING);
	request_enc(srv, "GET", "/health", NULL, "gzip", 1, &f, &r);
	ck_assert_ptr_null(r.content_encoding);
	ck_assert_str_eq(f.body, "ok: static store\nwriters: 1 live, 0 stale, 1 slots\n");
	request_enc(srv, "GET", "/nope", NULL, "gzip", 1, &f, &r);
	ck_assert_ptr_null(r.content_encoding);

	opts.gzip = 0;
	off = resp_server_new(&opts);
	request_enc(off, "GET", "/metrics", NULL, "gzip", 1, &f, &r);
	ck_assert_ptr_null(r.content_encoding);
	ck_assert(r.vary_accept && !r.vary_encoding);
	ck_assert_ptr_nonnull(strstr(f.body, "\ntu_temperature_celsius 21.5\n"));
	resp_server_free(off);

	/* a store error before any gzip went out: a plain 503 */
	ck_assert_int_eq(unlink(store), 0);
	request_enc(srv, "GET", "/metrics", NULL, "gzip", 1, &f, &r);
	ck_assert_int_eq(r.status, 503);
	ck_assert_ptr_null(r.content_encoding);
	ck_assert_ptr_nonnull(strstr(f.body, "No such file or directory"));
	fake_free(&f);
}
END_TEST

/* The client goes away after the first piece of gzip: aborted, nothing
 * more to send, and the compressor serves the next request afresh. */
START_TEST(test_gzip_send_fails)
{
	struct resp_server *plain_srv = resp_server_new(&opts);
	struct resp_reply r, plain;
	struct fake f = { 0 }, p = { 0 };
	size_t n;
	char *body;

	make_noisy(BIG_SERIES);
	f.fail_at = 1;
	request_enc(srv, "GET", "/metrics", NULL, "gzip", 1, &f, &r);
	ck_assert_int_eq(f.calls, 1);
	ck_assert(r.streamed && r.aborted);
	ck_assert_uint_eq(r.len, 0);
	f.fail_at = 0;
	/* the second scrape of each server: the same own samples */
	request(plain_srv, "GET", "/metrics", NULL, 0, &p, &plain);
	request(plain_srv, "GET", "/metrics", NULL, 0, &p, &plain);
	request_enc(srv, "GET", "/metrics", NULL, "gzip", 1, &f, &r);
	ck_assert(r.streamed && !r.aborted);
	body = gunzip(f.body, f.len, &n);
	ck_assert_uint_eq(n, p.len);
	ck_assert_int_eq(memcmp(body, p.body, n), 0);
	free(body);
	resp_server_free(plain_srv);
	fake_free(&f);
	fake_free(&p);
}
END_TEST

/*
 * A store that fails while its body is gzipped.  Before a full buffer of
 * gzip went out (a 1.1 MB body is about 140 kB of gzip): a plain 503, as
 * without gzip before the first piece.  After (3.7 MB, 470 kB): the
 * abort line ends the gzip stream, which stays whole, so the client reads
 * the line and every complete line before it; the reply is aborted, so
 * the transport leaves the response unfinished.
 */
START_TEST(test_gzip_fails_after_start)
{
	struct resp_reply r;
	struct fake f = { 0 };
	char want[2 * TU_PATH_MAX];
	const char *tail;
	size_t n;
	char *body;

	make_corrupt_tail(BIG_SERIES);
	request_enc(srv, "GET", "/metrics", NULL, "gzip", 1, &f, &r);
	ck_assert_int_eq(r.status, 503);
	ck_assert_int_eq(f.calls, 0);
	ck_assert_ptr_null(r.content_encoding);
	ck_assert_ptr_nonnull(strstr(f.body, "store content corrupt"));

	make_corrupt_tail(MKSTORE_GZIP_SERIES);
	request_enc(srv, "GET", "/metrics", OM_ACCEPT, "gzip", 1, &f, &r);
	ck_assert(r.streamed && r.aborted);
	ck_assert_int_ge(f.calls, 1);
	ck_assert_int_eq(f.status, 200);
	ck_assert_str_eq(f.content_encoding, RESP_GZIP_CODING);
	body = gunzip(f.body, f.len, &n);
	ck_assert_uint_gt(n, 4 * RESP_BUF_SIZE);
	ck_assert_ptr_nonnull(strstr(body, "\nmkstore_bulk{"));
	(void)snprintf(want, sizeof want, "response aborted: store invalid: %s: %s\n", store,
	               mstore_strerror(MSTORE_E_CORRUPT));
	ck_assert_uint_ge(n, strlen(want));
	tail = body + n - strlen(want);
	ck_assert_str_eq(tail, want);
	ck_assert_int_eq(tail[-1], '\n');
	free(body);
	fake_free(&f);
}
END_TEST

/* ----------------------------------------------------------- logging */

/* One line per problem until it changes, whichever resource found it. */
START_TEST(test_log_once_per_problem)
{
	struct resp_reply r;
	struct fake f = { 0 };
	char missing[2 * TU_PATH_MAX], again[2 * TU_PATH_MAX], invalid[2 * TU_PATH_MAX];
	char stale[2 * TU_PATH_MAX];
	int i;

	(void)snprintf(missing, sizeof missing,
	               "metrics.fcgi: store unavailable: %s: No such file or directory\n", store);
	(void)snprintf(again, sizeof again, "metrics.fcgi: store usable again: %s\n", store);
	(void)snprintf(invalid, sizeof invalid, "metrics.fcgi: store invalid: %s: ", store);
	for (i = 0; i < 6; i++)
		request(srv, "GET", i % 2 ? "/health" : "/metrics", NULL, i % 3 == 0, &f, &r);
	ck_assert_str_eq(logged(), missing);

	make_sample(0);
	for (i = 0; i < 4; i++) {
		request(srv, "GET", i % 2 ? "/health" : "/metrics", NULL, 1, &f, &r);
		ck_assert_int_eq(r.status, 200);
	}
	ck_assert_int_eq(log_count("store usable again"), 1);

	/* a writer gone quiet: noted once, by either resource */
	fake_boot_ns = B0_NS + 10 * MSTORE_NS_PER_SEC;
	for (i = 0; i < 4; i++)
		request(srv, "GET", i % 2 ? "/health" : "/metrics", NULL, 1, &f, &r);
	(void)snprintf(
	        stale, sizeof stale,
	        "metrics.fcgi: writer stale: %s: last heartbeat 10.000 s ago (limit 3.000 s): "
	        "serving own metrics only\n",
	        store);
	ck_assert_int_eq(log_count(stale), 1);

	/* replaced by a file that is no store */
	ck_assert_int_eq(unlink(store), 0);
	ck_assert_int_eq(tu_write_file(store, "garbage", strlen("garbage")), 0);
	for (i = 0; i < 4; i++)
		request(srv, "GET", i % 2 ? "/health" : "/metrics", NULL, 1, &f, &r);
	ck_assert_int_eq(log_count(invalid), 1);
	/* unavailable, usable again, stale, invalid: nothing else */
	ck_assert_int_eq(log_count("metrics.fcgi: "), 4);
	ck_assert_int_eq(log_count(again), 1);
	fake_free(&f);
}
END_TEST

/* A problem only rendering finds (a corrupt series) is not cleared by
 * /health, which does not render: alternating health checks and scrapes
 * log it once, and no "usable again" in between. */
START_TEST(test_log_render_problem_once)
{
	struct resp_reply r;
	struct fake f = { 0 };
	int i;

	make_corrupt_tail(BIG_SERIES);
	for (i = 0; i < 6; i++)
		request(srv, "GET", i % 2 ? "/health" : "/metrics", NULL, i % 4 == 0, &f, &r);
	ck_assert_int_eq(log_count("store content corrupt"), 1);
	ck_assert_int_eq(log_count("usable again"), 0);
	ck_assert_int_eq(log_count("metrics.fcgi: "), 1);
	fake_free(&f);
}
END_TEST

/* -------------------------------------------------------------- remap */

/* A writer that restarts renames a new file over the path: the next
 * request maps the new one (another inode), while the old file's mapping
 * kept serving until then. */
START_TEST(test_replaced_store_remapped)
{
	struct resp_reply r;
	struct fake f = { 0 };

	make_gauges("first_level", 3, 1);
	request(srv, "GET", "/metrics", NULL, 1, &f, &r);
	ck_assert_ptr_nonnull(strstr(f.body, "\nfirst_level{i=\"2\"} 1\n"));
	make_gauges("second_level", 2, 7.25);
	request(srv, "GET", "/metrics", NULL, 1, &f, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_null(strstr(f.body, "first_level"));
	ck_assert_ptr_nonnull(strstr(f.body, "\nsecond_level{i=\"1\"} 7.25\n"));
	/* and after it is removed: the mapping is dropped, 503 */
	ck_assert_int_eq(unlink(store), 0);
	request(srv, "GET", "/metrics", NULL, 1, &f, &r);
	ck_assert_int_eq(r.status, 503);
	fake_free(&f);
}
END_TEST

/* ------------------------------------------------------------- suite */

static Suite *
resp_serve_suite(void)
{
	Suite *s = suite_create("resp_serve");
	TCase *tc;

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_missing_store);
	tcase_add_loop_test(tc, test_invalid_store, 0,
	                    (int)(sizeof invalid_cases / sizeof invalid_cases[0]));
	tcase_add_loop_test(tc, test_stale_store, 0,
	                    (int)(sizeof wall_steps / sizeof wall_steps[0]));
	tcase_add_test(tc, test_static_store_never_stale);
	tcase_add_test(tc, test_future_heartbeat);
	tcase_add_test(tc, test_other_boot);
	tcase_add_test(tc, test_writers);
	suite_add_tcase(s, tc);

	tc = tcase_create("bodies");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_head_length, 0,
	                    (int)(sizeof head_cases / sizeof head_cases[0]));
	tcase_add_test(tc, test_large_body);
	tcase_add_test(tc, test_send_fails);
	tcase_add_test(tc, test_fails_after_start);
	tcase_add_test(tc, test_fails_after_start_protobuf);
	suite_add_tcase(s, tc);

	tc = tcase_create("gzip");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_gzip_body, 0, (int)(sizeof gzip_cases / sizeof gzip_cases[0]));
	tcase_add_test(tc, test_gzip_when);
	tcase_add_test(tc, test_gzip_send_fails);
	tcase_add_test(tc, test_gzip_fails_after_start);
	suite_add_tcase(s, tc);

	tc = tcase_create("log");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_log_once_per_problem);
	tcase_add_test(tc, test_log_render_problem_once);
	suite_add_tcase(s, tc);

	tc = tcase_create("remap");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_replaced_store_remapped);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(resp_serve_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
