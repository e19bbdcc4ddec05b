/* SPDX-License-Identifier: MIT */
/*
 * check_mstore_exemplar.c - exemplars in the store (mstore_layout.h,
 * "Exemplars"): the update calls with an exemplar and what the reader
 * reads back ("core"); every refusal, and that the update counts anyway
 * ("errors"); no system call on an update with an exemplar (a
 * child under strict seccomp, "core"); the 128-character limit in characters, not bytes
 * ("limits"); records no correct writer leaves, read as E_CORRUPT or as
 * none, never as a torn exemplar ("hostile"); a writer killed inside a
 * write, and exemplar writers in threads and processes against a reader
 * that checks every copy ("concurrency": MSTORE_STRESS_ITERS scales it).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mstore_layout.h"
#include "mstore_writer.h"
#include "testutil.h"

#define TICK_MS 10
#define LATE_MS (3 * TICK_MS)
#define NBOUNDS 3
#define T0      INT64_C(1712345678000000000) /* an exemplar time, ns */

static const double bounds[NBOUNDS] = { 0.1, 0.5, 1 };
static const char *const trace_names[] = { "trace_id", "span_id" };

static struct tu_dir dir;
static char path[TU_PATH_MAX];

static void
setup(void)
{
	ck_assert_int_eq(tu_dir_make(&dir), 0);
	ck_assert_ptr_nonnull(tu_path(&dir, "store", path, sizeof(path)));
}

static void
teardown(void)
{
	tu_dir_remove(&dir);
}

static struct mstore *
make_store(uint32_t writers)
{
	int err = 0;
	struct mstore *st = tu_store_for(path, writers, TICK_MS, &err);

	ck_assert_msg(st != NULL, "create: %s", mstore_strerror(err));
	return st;
}

/* The one series of a family with exemplars (or without: ex 0). */
static struct mstore_series *
series(struct mstore *st, enum mstore_type type, const char *name, int ex)
{
	struct mstore_family_spec spec = { .size = sizeof(spec),
		                           .type = type,
		                           .name = name,
		                           .help = "A family.",
		                           .nbounds = type == MSTORE_HISTOGRAM ? NBOUNDS : 0,
		                           .bounds = type == MSTORE_HISTOGRAM ? bounds : NULL,
		                           .exemplars = ex };
	struct mstore_family *f;
	struct mstore_series *s;

	ck_assert_int_eq(mstore_family_register(st, &spec, &f), 0);
	ck_assert_int_eq(mstore_series_get(f, NULL, &s), 0);
	return s;
}

#define COUNTER(st)   series(st, MSTORE_COUNTER, "ex_requests_total", 1)
#define HISTOGRAM(st) series(st, MSTORE_HISTOGRAM, "ex_latency_seconds", 1)

struct read {
	struct mstore_snapshot snap;
	struct mstore_exemplar_view ev;
	int rc; /* mstore_reader_exemplar()'s */
};

/* Read record i of family name's first series through a new reader. */
static struct read
read_exemplar(const char *name, uint32_t i)
{
	struct mstore_family_view f;
	struct mstore_series_view s;
	struct mstore_reader *r;
	struct read out;
	int err = 0;

	memset(&out, 0, sizeof(out));
	r = mstore_reader_open(path, &err);
	ck_assert_msg(r != NULL, "reader: %s", mstore_strerror(err));
	ck_assert_int_eq(tu_find_family(r, name, &f), 0);
	ck_assert_int_eq(f.exemplars, 1);
	ck_assert_int_eq(mstore_reader_series_first(r, &f, &s), 1);
	ck_assert_int_eq(mstore_reader_snapshot(r, &f, &s, &out.snap), 0);
	out.rc = mstore_reader_exemplar(r, &f, &s, i, &out.ev);
	mstore_reader_close(r);
	return out;
}

/* Label j of ev is name=value. */
static void
assert_label(const struct mstore_exemplar_view *ev, uint32_t j, const char *name, const char *value)
{
	ck_assert_uint_lt(j, ev->nlabels);
	ck_assert_uint_eq(ev->name_len[j], strlen(name));
	ck_assert_str_eq(ev->text + ev->name_off[j], name);
	ck_assert_uint_eq(ev->value_len[j], strlen(value));
	ck_assert_str_eq(ev->text + ev->value_off[j], value);
}

static struct mstore_exemplar
trace(const char *const *values, int64_t t)
{
	struct mstore_exemplar ex = { 2, trace_names, values, t };

	return ex;
}

/* ---------------------------------------------------------------- core */

/* A counter's latest exemplar comes back exactly: labels, value, time;
 * each write replaces the one before. */
START_TEST(test_counter_exemplar)
{
	static const char *const a[] = { "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7" };
	static const char *const b[] = { "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331" };
	struct mstore *st = make_store(1);
	struct mstore_series *c = COUNTER(st);
	struct mstore_exemplar ea = trace(a, T0), eb = trace(b, T0 + 1);
	struct read rd;

	ck_assert_int_eq(read_exemplar("ex_requests_total", 0).rc, 0); /* none yet */
	ck_assert_int_eq(mstore_counter_add_exemplar(c, 2.5, &ea), 0);
	rd = read_exemplar("ex_requests_total", 0);
	ck_assert_int_eq(rd.rc, 1);
	ck_assert_double_eq(rd.snap.value, 2.5);
	ck_assert_double_eq(rd.ev.value, 2.5);
	ck_assert_int_eq(rd.ev.timestamp_ns, T0);
	ck_assert_uint_eq(rd.ev.nlabels, 2);
	assert_label(&rd.ev, 0, "trace_id", a[0]);
	assert_label(&rd.ev, 1, "span_id", a[1]);
	ck_assert_int_eq(mstore_counter_inc_exemplar(c, &eb), 0);
	rd = read_exemplar("ex_requests_total", 0);
	ck_assert_int_eq(rd.rc, 1);
	ck_assert_double_eq(rd.snap.value, 3.5);
	ck_assert_double_eq(rd.ev.value, 1);
	ck_assert_int_eq(rd.ev.timestamp_ns, T0 + 1);
	assert_label(&rd.ev, 0, "trace_id", b[0]);
	assert_label(&rd.ev, 1, "span_id", b[1]);
	/* without an exemplar: counted, the last exemplar stays */
	ck_assert_int_eq(mstore_counter_add_exemplar(c, 1, NULL), 0);
	ck_assert_int_eq(mstore_counter_inc(c), 0);
	rd = read_exemplar("ex_requests_total", 0);
	ck_assert_double_eq(rd.snap.value, 5.5);
	ck_assert_int_eq(rd.rc, 1);
	ck_assert_int_eq(rd.ev.timestamp_ns, T0 + 1);
	mstore_close(st);
}
END_TEST

/* Each bucket keeps the latest exemplar of an observation in it (+Inf
 * included); other buckets have none. */
START_TEST(test_histogram_exemplars)
{
	static const double obs[] = { 0.05, 0.1, 0.75, 1e300, -INFINITY, INFINITY };
	static const uint32_t bucket[] = { 0, 0, 2, 3, 0, 3 };
	struct mstore *st = make_store(1);
	struct mstore_series *h = HISTOGRAM(st);
	char id[32];
	const char *v[] = { id, "s" };
	struct mstore_exemplar ex = trace(v, T0);
	struct read rd;
	size_t k;

	for (k = 0; k < sizeof(obs) / sizeof(obs[0]); k++) {
		snprintf(id, sizeof(id), "t%zu", k);
		ex.timestamp_ns = T0 + (int64_t)k;
		ck_assert_int_eq(mstore_histogram_observe_exemplar(h, obs[k], &ex), 0);
		rd = read_exemplar("ex_latency_seconds", bucket[k]);
		ck_assert_int_eq(rd.rc, 1);
		ck_assert_double_eq(rd.ev.value, obs[k]);
		ck_assert_int_eq(rd.ev.timestamp_ns, T0 + (int64_t)k);
		assert_label(&rd.ev, 0, "trace_id", id);
		ck_assert_uint_eq(rd.snap.count, k + 1);
	}
	ck_assert_int_eq(read_exemplar("ex_latency_seconds", 1).rc, 0);
	mstore_close(st);
}
END_TEST

/* Time 0 is now (CLOCK_REALTIME); an empty label set is an exemplar. */
START_TEST(test_now_and_empty)
{
	struct mstore *st = make_store(1);
	struct mstore_series *c = COUNTER(st);
	struct mstore_exemplar ex = { 0, NULL, NULL, 0 };
	struct timespec before, after;
	struct read rd;

	ck_assert_int_eq(clock_gettime(CLOCK_REALTIME, &before), 0);
	ck_assert_int_eq(mstore_counter_inc_exemplar(c, &ex), 0);
	ck_assert_int_eq(clock_gettime(CLOCK_REALTIME, &after), 0);
	rd = read_exemplar("ex_requests_total", 0);
	ck_assert_int_eq(rd.rc, 1);
	ck_assert_uint_eq(rd.ev.nlabels, 0);
	ck_assert_int_ge(rd.ev.timestamp_ns, before.tv_sec * MSTORE_NS_PER_SEC + before.tv_nsec);
	ck_assert_int_le(rd.ev.timestamp_ns, after.tv_sec * MSTORE_NS_PER_SEC + after.tv_nsec);
	mstore_close(st);
}
END_TEST

/* The slots exemplars take, and that a family's are after its own. */
START_TEST(test_slots)
{
	struct mstore *st = make_store(1);
	struct mstore_info info;
	struct mstore_reader *r;
	int err;

	ck_assert_uint_eq(mstore_exemplar_slots(MSTORE_COUNTER, 0), MSTORE_EX_SLOTS);
	ck_assert_uint_eq(mstore_exemplar_slots(MSTORE_COUNTER, 0), 68);
	ck_assert_uint_eq(mstore_exemplar_slots(MSTORE_HISTOGRAM, NBOUNDS), 4 * 68);
	ck_assert_uint_eq(mstore_exemplar_slots(MSTORE_GAUGE, 0), 0);
	ck_assert_uint_eq(mstore_exemplar_slots(MSTORE_HISTOGRAM, MSTORE_MAX_BUCKETS + 1), 0);
	(void)COUNTER(st);
	(void)HISTOGRAM(st);
	(void)series(st, MSTORE_COUNTER, "plain_total", 0);
	r = mstore_reader_open(path, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(mstore_reader_info(r, &info), 0);
	ck_assert_uint_eq(info.values_used,
	                  mstore_value_slots(MSTORE_COUNTER, 0) * 2 +
	                          mstore_exemplar_slots(MSTORE_COUNTER, 0) +
	                          mstore_value_slots(MSTORE_HISTOGRAM, NBOUNDS) +
	                          mstore_exemplar_slots(MSTORE_HISTOGRAM, NBOUNDS));
	mstore_reader_close(r);
	mstore_close(st);
}
END_TEST

/* Registration: the same definition finds the family, another exemplars
 * setting conflicts, a caller built before the field existed registers
 * a family without. */
START_TEST(test_registration)
{
	struct mstore_family_spec spec = {
		.size = sizeof(spec), .type = MSTORE_COUNTER, .name = "ex_reg_total", .exemplars = 1
	};
	struct mstore *st = make_store(1);
	struct mstore_family *f, *g;

	ck_assert_int_eq(mstore_family_register(st, &spec, &f), 0);
	ck_assert_int_eq(mstore_family_register(st, &spec, &g), 0);
	ck_assert_ptr_eq(f, g);
	spec.exemplars = 0;
	ck_assert_int_eq(mstore_family_register(st, &spec, &g), MSTORE_E_CONFLICT);
	spec.name = "ex_old_total";
	spec.exemplars = 1; /* past the old size: not read */
	spec.size = offsetof(struct mstore_family_spec, exemplars);
	ck_assert_int_eq(mstore_family_register(st, &spec, &g), 0);
	ck_assert_uint_eq(g->exemplars, 0);
	mstore_close(st);
}
END_TEST

/* -------------------------------------------------------------- errors */

/* Families that cannot have exemplars are refused at registration. */
START_TEST(test_register_refused)
{
	struct mstore_family_spec spec = {
		.size = sizeof(spec), .type = MSTORE_GAUGE, .name = "ex_temperature", .exemplars = 1
	};
	struct mstore *st = make_store(2);
	struct mstore_family *f;

	ck_assert_int_eq(mstore_family_register(st, &spec, &f), MSTORE_E_INVAL);
	ck_assert_int_eq(errno, EINVAL);
	spec.type = MSTORE_COUNTER;
	spec.name = "ex_pw_total";
	spec.per_writer = MSTORE_PER_WRITER_ALL;
	ck_assert_int_eq(mstore_family_register(st, &spec, &f), MSTORE_E_INVAL);
	spec.per_writer = MSTORE_SHARED;
	spec.exemplars = 2;
	ck_assert_int_eq(mstore_family_register(st, &spec, &f), MSTORE_E_INVAL);
	spec.exemplars = -1;
	ck_assert_int_eq(mstore_family_register(st, &spec, &f), MSTORE_E_INVAL);
	mstore_close(st);
}
END_TEST

/* One refused exemplar: its code and errno, and the update counted. */
struct bad_case {
	const char *why;
	size_t n;
	const char *names[MSTORE_MAX_LABELS + 1];
	const char *values[MSTORE_MAX_LABELS + 1];
	int64_t t;
	int rc;
};

static const struct bad_case bad_cases[] = {
	{ "empty name", 1, { "" }, { "x" }, T0, MSTORE_E_EXEMPLAR },
	{ "digit first", 1, { "1a" }, { "x" }, T0, MSTORE_E_EXEMPLAR },
	{ "dash", 1, { "a-b" }, { "x" }, T0, MSTORE_E_EXEMPLAR },
	{ "colon", 1, { "a:b" }, { "x" }, T0, MSTORE_E_EXEMPLAR },
	{ "reserved", 1, { "__trace" }, { "x" }, T0, MSTORE_E_EXEMPLAR },
	{ "non-ASCII name", 1, { "caf\xc3\xa9" }, { "x" }, T0, MSTORE_E_EXEMPLAR },
	{ "NULL name", 1, { NULL }, { "x" }, T0, MSTORE_E_EXEMPLAR },
	{ "NULL value", 1, { "a" }, { NULL }, T0, MSTORE_E_EXEMPLAR },
	{ "twice", 2, { "a", "a" }, { "x", "y" }, T0, MSTORE_E_EXEMPLAR },
	{ "bad UTF-8", 1, { "a" }, { "\xff" }, T0, MSTORE_E_EXEMPLAR },
	{ "surrogate", 1, { "a" }, { "\xed\xa0\x80" }, T0, MSTORE_E_EXEMPLAR },
	{ "overlong", 1, { "a" }, { "\xc0\xaf" }, T0, MSTORE_E_EXEMPLAR },
	{ "negative time", 1, { "a" }, { "x" }, -1, MSTORE_E_EXEMPLAR },
	{ "17 labels",
	  17,
	  { "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q" },
	  { "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "" },
	  T0,
	  MSTORE_E_EXEMPLAR },
};

START_TEST(test_bad_exemplar)
{
	const struct bad_case *b = &bad_cases[_i];
	struct mstore *st = make_store(1);
	struct mstore_series *c = COUNTER(st), *h = HISTOGRAM(st);
	struct mstore_exemplar ex = { b->n, b->names, b->values, b->t };
	struct read rd;

	errno = 0;
	ck_assert_int_eq(mstore_counter_add_exemplar(c, 2, &ex), b->rc);
	ck_assert_msg(errno == EINVAL, "%s: errno %d", b->why, errno);
	ck_assert_int_eq(mstore_histogram_observe_exemplar(h, 0.2, &ex), b->rc);
	rd = read_exemplar("ex_requests_total", 0);
	ck_assert_msg(rd.rc == 0 && rd.snap.value == 2, "%s: counter %g, exemplar %d", b->why,
	              rd.snap.value, rd.rc);
	rd = read_exemplar("ex_latency_seconds", 1);
	ck_assert_msg(rd.rc == 0 && rd.snap.count == 1, "%s", b->why);
	mstore_close(st);
}
END_TEST

/* Errors of the update itself: nothing counted, no exemplar.  A family
 * without exemplars, a NaN observation: counted, no exemplar. */
START_TEST(test_update_errors)
{
	static const char *const v[] = { "t", "s" };
	struct mstore *st = make_store(1);
	struct mstore_series *c = COUNTER(st), *h = HISTOGRAM(st);
	struct mstore_series *plain = series(st, MSTORE_COUNTER, "plain_total", 0);
	struct mstore_exemplar ex = trace(v, T0);
	struct mstore_exemplar_view ev;
	struct mstore_family_view f;
	struct mstore_series_view sv;
	struct mstore_snapshot snap;
	struct mstore_reader *r;
	struct read rd;

	ck_assert_int_eq(mstore_counter_add_exemplar(c, -1, &ex), MSTORE_E_NEGATIVE);
	ck_assert_int_eq(mstore_counter_add_exemplar(c, NAN, &ex), MSTORE_E_NEGATIVE);
	ck_assert_int_eq(mstore_counter_add_exemplar(NULL, 1, &ex), MSTORE_E_INVAL);
	ck_assert_int_eq(mstore_histogram_observe_exemplar(c, 1, &ex), MSTORE_E_TYPE);
	ck_assert_int_eq(mstore_counter_inc_exemplar(h, &ex), MSTORE_E_TYPE);
	rd = read_exemplar("ex_requests_total", 0);
	ck_assert_int_eq(rd.rc, 0);
	ck_assert_double_eq(rd.snap.value, 0);
	errno = 0;
	ck_assert_int_eq(mstore_counter_inc_exemplar(plain, &ex), MSTORE_E_NO_EXEMPLARS);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(mstore_counter_inc_exemplar(plain, NULL), 0);
	ck_assert_int_eq(mstore_histogram_observe_exemplar(h, NAN, &ex), MSTORE_E_EXEMPLAR);
	rd = read_exemplar("ex_latency_seconds", NBOUNDS);
	ck_assert_int_eq(rd.rc, 0);
	ck_assert_uint_eq(rd.snap.count, 1);
	ck_assert_uint_eq(rd.snap.bucket[NBOUNDS], 1);
	mstore_close(st);
	r = mstore_reader_open(path, NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(tu_find_family(r, "plain_total", &f), 0);
	ck_assert_int_eq(f.exemplars, 0);
	ck_assert_int_eq(mstore_reader_series_first(r, &f, &sv), 1);
	ck_assert_int_eq(mstore_reader_snapshot(r, &f, &sv, &snap), 0);
	ck_assert_double_eq(snap.value, 2); /* counted both times */
	ck_assert_int_eq(mstore_reader_exemplar(r, &f, &sv, 0, &ev), MSTORE_E_INVAL);
	ck_assert_int_eq(tu_find_family(r, "ex_latency_seconds", &f), 0);
	ck_assert_int_eq(mstore_reader_series_first(r, &f, &sv), 1);
	ck_assert_int_eq(mstore_reader_exemplar(r, &f, &sv, NBOUNDS + 1, &ev), MSTORE_E_INVAL);
	ck_assert_int_eq(mstore_reader_exemplar(r, &f, &sv, NBOUNDS, NULL), MSTORE_E_INVAL);
	mstore_reader_close(r);
}
END_TEST

/* A forked child of a single-writer store has no writer slot: its counter
 * update counts (counters need none), its exemplar cannot be written. */
START_TEST(test_child_without_slot)
{
	static const char *const v[] = { "t", "s" };
	struct mstore *st = make_store(1);
	struct mstore_series *c = COUNTER(st);
	struct mstore_exemplar ex = trace(v, T0);
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(mstore_counter_inc_exemplar(c, &ex) == MSTORE_E_NO_WRITER ? 0 : 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_double_eq(read_exemplar("ex_requests_total", 0).snap.value, 1);
	ck_assert_int_eq(read_exemplar("ex_requests_total", 0).rc, 0);
	mstore_close(st);
}
END_TEST

/* What the strict-seccomp child of test_no_syscall does: updates with
 * exemplars of every kind (a counter's inc and add, an observation in each
 * bucket, a refused exemplar), their times given (timestamp_ns 0 reads the
 * clock, a system call where the vDSO cannot serve it).  Returns the
 * number of calls that did not return what they should. */
static int
no_syscall_updates(struct mstore_series *c, struct mstore_series *h, int n)
{
	static const char *const v[] = { "4bf92f3577b34da6a3ce929d0e0e4736", "caf\xc3\xa9" };
	static const char *const bad[] = { "__reserved", "x" };
	static const double obs[NBOUNDS + 1] = { 0.05, 0.3, 0.75, 7 };
	struct mstore_exemplar ex = trace(v, T0), refused = { 1, bad, bad + 1, T0 };
	int k, wrong = 0;

	for (k = 0; k < n; k++) {
		ex.timestamp_ns = T0 + k;
		wrong += mstore_counter_inc_exemplar(c, &ex) != 0;
		wrong += mstore_counter_add_exemplar(c, 2, &ex) != 0;
		wrong += mstore_histogram_observe_exemplar(h, obs[k % (NBOUNDS + 1)], &ex) != 0;
		wrong += mstore_counter_inc_exemplar(c, &refused) != MSTORE_E_EXEMPLAR;
	}
	return wrong;
}

/* An update with an exemplar makes no system call: a forked writer that
 * has made its first updates (a child claims its writer slot then) runs
 * more under SECCOMP_MODE_STRICT, where any system call but read, write
 * and exit kills it; they all count.  Where a seccomp filter of the
 * sandbox refuses strict mode (podman build's does), it says so and
 * checks nothing. */
START_TEST(test_no_syscall)
{
	struct mstore *st = make_store(2);
	struct mstore_series *c = COUNTER(st), *h = HISTOGRAM(st);
	struct read rd;
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int wrong = no_syscall_updates(c, h, 1);

		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) != 0)
			_exit(2);
		wrong += no_syscall_updates(c, h, 100);
		syscall(SYS_exit, wrong == 0 ? 0 : 1); /* _exit() is exit_group */
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "the child was killed by signal %d: a system call",
	              WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	if (WEXITSTATUS(status) == 2) {
		fprintf(stderr,
		        "test_no_syscall: not checked: prctl(SECCOMP_MODE_STRICT) is refused "
		        "here (a seccomp filter of the sandbox)\n");
		mstore_close(st);
		return;
	}
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	rd = read_exemplar("ex_requests_total", 0);
	ck_assert_double_eq(rd.snap.value, 101 * 4);
	ck_assert_int_eq(rd.rc, 1);
	ck_assert_int_eq(rd.ev.timestamp_ns, T0 + 99);
	ck_assert_double_eq(rd.ev.value, 2);
	ck_assert_uint_eq(read_exemplar("ex_latency_seconds", NBOUNDS).snap.count, 101);
	mstore_close(st);
}
END_TEST

/* -------------------------------------------------------------- limits */

/* n copies of the UTF-8 character c, in buf. */
static const char *
repeat(char *buf, const char *c, size_t n)
{
	size_t k, len = strlen(c);

	for (k = 0; k < n; k++)
		memcpy(buf + k * len, c, len);
	buf[n * len] = '\0';
	return buf;
}

/* The limit counts characters of names and values together: 128 of any
 * width pass, 129 do not. */
START_TEST(test_limit_characters)
{
	static char v1[4 * 160 + 1], v2[4 * 160 + 1];
	static const struct {
		const char *ch;
		size_t name_len, n1, n2; /* name length, characters of each value */
		int rc;
	} cases[] = {
		{ "a", 1, 127, 0, 0 },
		{ "a", 1, 128, 0, MSTORE_E_EXEMPLAR_LONG },
		{ "\xc3\xa9", 1, 127, 0, 0 },
		{ "\xe2\x82\xac", 1, 127, 0, 0 },
		{ "\xf0\x9f\x8d\xb0", 1, 127, 0, 0 }, /* 511 bytes of text */
		{ "\xf0\x9f\x8d\xb0", 1, 128, 0, MSTORE_E_EXEMPLAR_LONG },
		{ "\xf0\x9f\x8d\xb0", 8, 60, 60, 0 }, /* two labels: 8 + 60 + 1 + 59 */
		{ "\xf0\x9f\x8d\xb0", 8, 61, 60, MSTORE_E_EXEMPLAR_LONG },
		{ "x", 1, 130, 0, MSTORE_E_EXEMPLAR_LONG },
		{ "\xf0\x9f\x8d\xb0", 1, 150, 0, MSTORE_E_EXEMPLAR_LONG }, /* over 512 bytes */
	};
	struct mstore *st = make_store(1);
	struct mstore_series *c = COUNTER(st);
	char name[2][16];
	const char *names[2] = { name[0], name[1] }, *values[2] = { v1, v2 };
	struct mstore_exemplar ex = { 1, names, values, T0 };
	struct read rd;
	size_t k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		memset(name, 0, sizeof(name));
		memset(name[0], 'n', cases[k].name_len);
		memset(name[1], 'm', cases[k].n2 > 0 ? 1 : 0);
		repeat(v1, cases[k].ch, cases[k].n1);
		repeat(v2, cases[k].ch, cases[k].n2 > 0 ? cases[k].n2 - 1 : 0);
		ex.nlabels = cases[k].n2 > 0 ? 2 : 1;
		ex.timestamp_ns = T0 + (int64_t)k;
		ck_assert_msg(mstore_counter_inc_exemplar(c, &ex) == cases[k].rc, "case %zu", k);
		rd = read_exemplar("ex_requests_total", 0);
		ck_assert_double_eq(rd.snap.value, (double)(k + 1));
		if (cases[k].rc != 0)
			continue;
		ck_assert_int_eq(rd.rc, 1);
		ck_assert_int_eq(rd.ev.timestamp_ns, T0 + (int64_t)k);
		assert_label(&rd.ev, 0, name[0], v1);
	}
	mstore_close(st);
}
END_TEST

/* ------------------------------------------------------------- hostile */

/* A record edited behind the writer's back, as a hostile or broken file
 * would have it; what the reader makes of it. */
enum edit {
	E_LEN,     /* text length beyond the room */
	E_TIME,    /* a negative time */
	E_NO_NUL,  /* text not ending in a NUL */
	E_NAME,    /* a label name no writer writes */
	E_ODD,     /* a name without a value */
	E_UTF8,    /* a value that is not UTF-8 */
	E_DUP,     /* a name twice */
	E_LONG,    /* 129 characters */
	E_COUNTER, /* a negative counter increment */
	E_BUCKET,  /* a value outside its bucket */
	E_NAN,     /* a NaN observation */
	E_EMPTY,   /* time 0: emptied (none) */
	E_LOCKED,  /* locked for good by a live writer: none, after bounded tries */
	E_EDITS
};

static void
put_text(_Atomic uint64_t *rec, const char *t, size_t len)
{
	char buf[MSTORE_EXEMPLAR_TEXT_MAX] = { 0 };
	uint64_t w;
	size_t k;

	memcpy(buf, t, len);
	for (k = 0; k < sizeof(buf) / 8; k++) {
		memcpy(&w, buf + 8 * k, 8);
		atomic_store(&rec[MSTORE_EX_TEXT + k], w);
	}
	atomic_store(&rec[MSTORE_EX_LEN], len);
}

START_TEST(test_hostile_record)
{
	static const char *const v[] = { "abc", "def" };
	struct mstore *st = make_store(1);
	struct mstore_series *c = COUNTER(st), *h = HISTOGRAM(st),
	                     *s = _i == E_BUCKET || _i == E_NAN ? h : c;
	struct mstore_exemplar ex = trace(v, T0);
	_Atomic uint64_t *rec;
	char long_text[160];
	struct read rd;
	int want = MSTORE_E_CORRUPT;

	ck_assert_int_eq(mstore_counter_add_exemplar(c, 1, &ex), 0);
	ck_assert_int_eq(mstore_histogram_observe_exemplar(h, 0.3, &ex), 0);
	rec = s->v + mstore_exemplar_off(s->type, s->nbounds, 0, s == h ? 1 : 0);
	switch ((enum edit)_i) {
	case E_LEN:
		atomic_store(&rec[MSTORE_EX_LEN], MSTORE_EXEMPLAR_TEXT_MAX + 1);
		break;
	case E_TIME:
		atomic_store(&rec[MSTORE_EX_TIME], (uint64_t)INT64_C(-5));
		break;
	case E_NO_NUL:
		put_text(rec, "a\0b", 3);
		break;
	case E_NAME:
		put_text(rec, "a-b\0x", 6);
		break;
	case E_ODD:
		put_text(rec, "a\0x\0b", 6);
		break;
	case E_UTF8:
		put_text(rec, "a\0\xfe\0", 4);
		break;
	case E_DUP:
		put_text(rec, "a\0x\0a\0y", 8);
		break;
	case E_LONG:
		memset(long_text, 'x', sizeof(long_text));
		long_text[1] = '\0';
		long_text[131] = '\0'; /* name "x", value 129 x's: 130 characters */
		put_text(rec, long_text, 132);
		break;
	case E_COUNTER:
		atomic_store(&rec[MSTORE_EX_VALUE], double_to_bits(-1));
		break;
	case E_BUCKET:
		atomic_store(&rec[MSTORE_EX_VALUE], double_to_bits(0.05)); /* bucket 0's */
		break;
	case E_NAN:
		atomic_store(&rec[MSTORE_EX_VALUE], double_to_bits(NAN));
		break;
	case E_EMPTY:
		atomic_store(&rec[MSTORE_EX_TIME], 0);
		want = 0;
		break;
	case E_LOCKED:
		atomic_fetch_or(&rec[MSTORE_EX_SEQ], atomic_load(&st->seq_tag));
		want = 0;
		break;
	case E_EDITS:
		break;
	}
	rd = read_exemplar(s == h ? "ex_latency_seconds" : "ex_requests_total", s == h ? 1 : 0);
	ck_assert_msg(rd.rc == want, "edit %d: %d", _i, rd.rc);
	mstore_close(st);
}
END_TEST

/* A family record whose exemplars word no writer writes: the file is
 * refused at open. */
START_TEST(test_hostile_family)
{
	static const uint32_t words[] = { 2, 1, 1 };
	struct mstore *st = make_store(1);
	struct mstore_series *g = series(st, MSTORE_GAUGE, "ex_temperature", 0);
	struct mstore_series *c = series(st, MSTORE_COUNTER, "ex_plain_total", 0);
	struct mstore_family_rec *f = &st->frec[_i == 1 ? g->fam->index : c->fam->index];
	int err = 0;

	/* 2: not a flag; 1 on a gauge; 1 on a counter whose slots lack the
	 * records (nslots no longer fits) */
	f->exemplars = words[_i];
	ck_assert_ptr_null(mstore_reader_open(path, &err));
	ck_assert_int_eq(err, MSTORE_E_CORRUPT);
	mstore_close(st);
}
END_TEST

/* --------------------------------------------------------- concurrency */

/* A child claims a writer slot, takes the counter's exemplar record as a
 * write does, writes half of it and is killed.  Readers show no exemplar
 * (never the half), writers drop theirs there, and cleanup of the dead
 * writer's slot empties the record; then writes go on. */
START_TEST(test_kill_inside)
{
	static const char *const v[] = { "after", "death" };
	struct mstore *st = make_store(2);
	struct mstore_series *c = COUNTER(st);
	struct mstore_exemplar ex = trace(v, T0);
	_Atomic uint64_t *rec = c->v + mstore_exemplar_off(MSTORE_COUNTER, 0, 0, 0);
	struct mstore_reader *r;
	struct mstore_info info;
	struct read rd;
	pid_t pid;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (mstore_heartbeat(st) != 0)
			_exit(1);
		atomic_fetch_or(&rec[MSTORE_EX_SEQ], atomic_load(&st->seq_tag));
		atomic_store(&rec[MSTORE_EX_TIME], (uint64_t)T0);
		put_text(rec, "half\0", 5);
		raise(SIGKILL);
	}
	ck_assert_int_eq(tu_reap(pid), 128 + SIGKILL);
	ck_assert_uint_eq(atomic_load(&rec[MSTORE_EX_SEQ]) & MSTORE_SEQ_LOCKED, 1);
	ck_assert_int_eq(read_exemplar("ex_requests_total", 0).rc, 0);
	ck_assert_int_eq(mstore_counter_inc_exemplar(c, &ex), 0); /* dropped */
	rd = read_exemplar("ex_requests_total", 0);
	ck_assert_int_eq(rd.rc, 0);
	ck_assert_double_eq(rd.snap.value, 1);
	tu_sleep_ms(LATE_MS);
	ck_assert_int_eq(mstore_heartbeat(st), 0); /* upkeep: cleanup of slot 1 */
	ck_assert_uint_eq(atomic_load(&rec[MSTORE_EX_SEQ]) & MSTORE_SEQ_LOCKED, 0);
	ck_assert_int_eq(read_exemplar("ex_requests_total", 0).rc, 0);
	r = mstore_reader_open(path, NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(mstore_reader_info(r, &info), 0);
	ck_assert_uint_eq(info.recoveries[MSTORE_RECOVERY_EXEMPLAR], 1);
	mstore_reader_close(r);
	ck_assert_int_eq(mstore_counter_inc_exemplar(c, &ex), 0);
	rd = read_exemplar("ex_requests_total", 0);
	ck_assert_int_eq(rd.rc, 1);
	assert_label(&rd.ev, 0, "trace_id", "after");
	mstore_close(st);
}
END_TEST

/*
 * Torn-free: writer threads in this process and writer processes write
 * exemplars to one counter and one histogram, each a pure function of a
 * token unique to its write (value, time, the trace and span ids, and a
 * third label whose length varies, so that texts of different lengths
 * overlap), while reader threads copy every record continuously.  Every
 * copy must be one write's: all of it a function of the same token.
 */
#define TORN_THREADS   2
#define TORN_CHILDREN  2
#define TORN_READERS   1
#define TORN_DEFAULT   40000UL
#define TORN_SPAN_MULT UINT64_C(0x9e3779b97f4a7c15)

struct torn {
	struct mstore_series *c, *h;
	unsigned long iters;
	uint64_t writer;
	_Atomic int done;
	unsigned long reads, found, bad;
};

static unsigned long
torn_iters(void)
{
	const char *e = getenv("MSTORE_STRESS_ITERS");
	unsigned long v = e != NULL ? strtoul(e, NULL, 10) / 50 : 0;

	return v > 0 ? v : TORN_DEFAULT;
}

/* Write number j of writer w: its token. */
static uint64_t
token(uint64_t w, unsigned long j)
{
	return w << 40 | (uint64_t)j;
}

/* The labels of token t. */
static void
torn_labels(uint64_t t, char (*buf)[64])
{
	snprintf(buf[0], 64, "%016" PRIx64, t);
	snprintf(buf[1], 64, "%016" PRIx64, t * TORN_SPAN_MULT);
	memset(buf[2], 'p', t % 41);
	buf[2][t % 41] = '\0';
}

/* An observation of token t: in bucket t % (NBOUNDS + 1). */
static double
torn_obs(uint64_t t)
{
	static const double v[NBOUNDS + 1] = { 0.05, 0.3, 0.75, 2 };

	return v[t % (NBOUNDS + 1)] + (double)(t % 7) / 1024;
}

static void
torn_write(struct torn *tn, uint64_t w)
{
	static const char *const names[] = { "trace_id", "span_id", "pad" };
	char buf[3][64];
	const char *values[] = { buf[0], buf[1], buf[2] };
	struct mstore_exemplar ex = { 3, names, values, 0 };
	unsigned long j;
	uint64_t t;

	for (j = 0; j < tn->iters; j++) {
		t = token(w, j);
		torn_labels(t, buf);
		ex.timestamp_ns = T0 + (int64_t)t;
		if (mstore_counter_add_exemplar(tn->c, (double)(t % 1000), &ex) != 0 ||
		    mstore_histogram_observe_exemplar(tn->h, torn_obs(t), &ex) != 0)
			tn->bad++;
	}
}

struct torn_thread {
	struct torn *tn;
	uint64_t w;
};

static void *
torn_writer(void *arg)
{
	struct torn_thread *t = arg;

	torn_write(t->tn, t->w);
	return NULL;
}

/* Copy ev is one write's: everything a function of its trace id. */
static int
torn_ok(const struct mstore_exemplar_view *ev, int hist)
{
	char buf[3][64], *end;
	uint64_t t;

	if (ev->nlabels != 3)
		return 0;
	t = strtoull(ev->text + ev->value_off[0], &end, 16);
	torn_labels(t, buf);
	return *end == '\0' && strcmp(ev->text + ev->value_off[1], buf[1]) == 0 &&
	       strcmp(ev->text + ev->value_off[2], buf[2]) == 0 &&
	       ev->timestamp_ns == T0 + (int64_t)t &&
	       ev->value == (hist ? torn_obs(t) : (double)(t % 1000));
}

static void *
torn_reader(void *arg)
{
	struct torn *tn = arg;
	struct mstore_family_view fc, fh;
	struct mstore_series_view sc, sh;
	struct mstore_exemplar_view ev;
	struct mstore_reader *r = mstore_reader_open(path, NULL);
	uint32_t i;
	int rc;

	if (r == NULL || tu_find_family(r, "ex_requests_total", &fc) != 0 ||
	    tu_find_family(r, "ex_latency_seconds", &fh) != 0 ||
	    mstore_reader_series_first(r, &fc, &sc) != 1 ||
	    mstore_reader_series_first(r, &fh, &sh) != 1) {
		tn->bad++;
		mstore_reader_close(r);
		return NULL;
	}
	while (!atomic_load(&tn->done)) {
		for (i = 0; i <= NBOUNDS + 1; i++) {
			rc = i == 0 ? mstore_reader_exemplar(r, &fc, &sc, 0, &ev)
			            : mstore_reader_exemplar(r, &fh, &sh, i - 1, &ev);
			tn->reads++;
			if (rc < 0 || (rc == 1 && !torn_ok(&ev, i > 0)))
				tn->bad++;
			tn->found += rc == 1;
		}
	}
	mstore_reader_close(r);
	return NULL;
}

START_TEST(test_torn_free)
{
	struct mstore *st = make_store(1 + TORN_CHILDREN);
	struct torn tn = { .iters = torn_iters() };
	struct torn_thread tw[TORN_THREADS];
	pthread_t wt[TORN_THREADS], rt[TORN_READERS];
	pid_t pid[TORN_CHILDREN];
	int k;

	tn.c = COUNTER(st);
	tn.h = HISTOGRAM(st);
	for (k = 0; k < TORN_READERS; k++)
		ck_assert_int_eq(pthread_create(&rt[k], NULL, torn_reader, &tn), 0);
	for (k = 0; k < TORN_CHILDREN; k++) {
		pid[k] = fork();
		ck_assert_int_ge(pid[k], 0);
		if (pid[k] == 0) {
			tn.bad = 0;
			torn_write(&tn, (uint64_t)(TORN_THREADS + k));
			_exit(tn.bad == 0 ? 0 : 1);
		}
	}
	for (k = 0; k < TORN_THREADS; k++) {
		tw[k].tn = &tn;
		tw[k].w = (uint64_t)k;
		ck_assert_int_eq(pthread_create(&wt[k], NULL, torn_writer, &tw[k]), 0);
	}
	for (k = 0; k < TORN_THREADS; k++)
		ck_assert_int_eq(pthread_join(wt[k], NULL), 0);
	for (k = 0; k < TORN_CHILDREN; k++)
		ck_assert_int_eq(tu_reap(pid[k]), 0);
	atomic_store(&tn.done, 1);
	for (k = 0; k < TORN_READERS; k++)
		ck_assert_int_eq(pthread_join(rt[k], NULL), 0);
	printf("torn-free: %lu exemplar reads, %lu exemplars, %lu broken\n", tn.reads, tn.found,
	       tn.bad);
	ck_assert_uint_eq(tn.bad, 0);
	ck_assert_uint_gt(tn.found, 0);
	ck_assert_double_eq(read_exemplar("ex_latency_seconds", 0).snap.count,
	                    (double)((TORN_THREADS + TORN_CHILDREN) * tn.iters));
	mstore_close(st);
}
END_TEST

static Suite *
exemplar_suite(void)
{
	Suite *s = suite_create("mstore_exemplar");
	TCase *tc;

	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_counter_exemplar);
	tcase_add_test(tc, test_histogram_exemplars);
	tcase_add_test(tc, test_now_and_empty);
	tcase_add_test(tc, test_slots);
	tcase_add_test(tc, test_registration);
	tcase_add_test(tc, test_no_syscall);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_register_refused);
	tcase_add_loop_test(tc, test_bad_exemplar, 0, sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(tc, test_update_errors);
	tcase_add_test(tc, test_child_without_slot);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_limit_characters);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_hostile_record, 0, E_EDITS);
	tcase_add_loop_test(tc, test_hostile_family, 0, 3);
	suite_add_tcase(s, tc);

	tc = tcase_create("concurrency");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_kill_inside);
	tcase_add_test(tc, test_torn_free);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(exemplar_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
