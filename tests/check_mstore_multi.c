/* SPDX-License-Identifier: MIT */
/*
 * check_mstore_multi.c - several writer processes on one store: attach
 * from an unrelated process, children forked from a writer that keep
 * writing, registration of the same and of conflicting definitions, and
 * one test per protocol of mstore_layout.h that kills a writer where the
 * protocol must carry the others through: inside a registration (at each
 * step of the intent), inside a slot claim, inside a histogram's seqlock,
 * holding counter shards, with per-writer values set; plus slot reuse and
 * the reader's view of all that (liveness, per-writer values, a section
 * whose owner died).  Each test names the protocol it guards.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mstore_layout.h"
#include "mstore_writer.h"
#include "testutil.h"

/* Ticks short enough that a dead writer's heartbeat is late after a
 * short sleep (upkeep looks at slots older than one tick). */
#define TICK_MS     10
#define LATE_MS     (3 * TICK_MS)
#define CHILD_INCS  20000
#define KILL_ROUNDS 40

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

/* The value (snapshot) of family name's series with first label value v
 * (NULL: its first series) in the store at p; -1 if absent. */
static int
read_series_in(const char *p, const char *family, const char *v, struct mstore_snapshot *snap)
{
	struct mstore_family_view f;
	struct mstore_series_view s;
	struct mstore_reader *r;
	int rc, err;

	r = mstore_reader_open(p, &err);
	ck_assert_msg(r != NULL, "reader: %s", mstore_strerror(err));
	rc = tu_find_family(r, family, &f);
	if (rc == 0) {
		for (rc = mstore_reader_series_first(r, &f, &s); rc == 1;
		     rc = mstore_reader_series_next(r, &f, &s))
			if (v == NULL || (s.label_value_len[0] == strlen(v) &&
			                  memcmp(s.label_value[0], v, strlen(v)) == 0))
				break;
		rc = rc == 1 ? mstore_reader_snapshot(r, &f, &s, snap) : -1;
	}
	mstore_reader_close(r);
	return rc;
}

static int
read_series(const char *family, const char *v, struct mstore_snapshot *snap)
{
	return read_series_in(path, family, v, snap);
}

static double
counter_value(const char *family)
{
	struct mstore_snapshot snap;

	ck_assert_int_eq(read_series(family, NULL, &snap), 0);
	return snap.value;
}

/* How many series family has, walking its chain as a renderer does. */
static int
series_count(const char *family)
{
	struct mstore_family_view f;
	struct mstore_series_view s;
	struct mstore_reader *r;
	int rc, err, n = 0;

	r = mstore_reader_open(path, &err);
	ck_assert_msg(r != NULL, "reader: %s", mstore_strerror(err));
	ck_assert_int_eq(tu_find_family(r, family, &f), 0);
	for (rc = mstore_reader_series_first(r, &f, &s); rc == 1;
	     rc = mstore_reader_series_next(r, &f, &s))
		n++;
	ck_assert_int_eq(rc, 0);
	mstore_reader_close(r);
	return n;
}

static void
reader_info(struct mstore_info *info, struct mstore_liveness *l)
{
	struct mstore_reader *r;
	int err;

	r = mstore_reader_open(path, &err);
	ck_assert_msg(r != NULL, "reader: %s", mstore_strerror(err));
	ck_assert_int_eq(mstore_reader_info(r, info), 0);
	if (l != NULL)
		ck_assert_int_ge(mstore_reader_liveness(r, 0, l), 0);
	mstore_reader_close(r);
}

static struct mstore_series *
counter(struct mstore *st, const char *name)
{
	struct mstore_family *f;
	struct mstore_series *s;

	ck_assert_int_eq(mstore_counter_family(st, name, "A counter.", NULL, 0, NULL, &f), 0);
	ck_assert_int_eq(mstore_series_get(f, NULL, &s), 0);
	return s;
}

static const double bounds[] = { 1, 2, 3 };

static struct mstore_series *
histogram(struct mstore *st)
{
	struct mstore_family *f;
	struct mstore_series *s;

	ck_assert_int_eq(mstore_histogram_family(st, "multi_seconds", "A histogram.", "seconds", 0,
	                                         NULL, 3, bounds, &f),
	                 0);
	ck_assert_int_eq(mstore_series_get(f, NULL, &s), 0);
	return s;
}

/* ------------------------------------------------------------ attach */

/* The shared index's hash is the one doc/store-format.md defines: FNV-1a
 * over the family index and each label value's length, as u32s, and
 * bytes, the same for writers of every word size (review finding 10:
 * it hashed size_t lengths). */
START_TEST(test_index_hash)
{
	static const char *const names[] = { "k" }, *const values[] = { "abc" };
	struct mstore *st = make_store(1);
	struct mstore_family *f;
	struct mstore_series *s;
	uint32_t fam = 0, len = 3, i, found = 0;
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	unsigned char key[11];

	ck_assert_int_eq(mstore_counter_family(st, "hash_total", "H.", NULL, 1, names, &f), 0);
	ck_assert_int_eq(mstore_series_get(f, values, &s), 0);
	memcpy(key, &fam, 4);
	memcpy(key + 4, &len, 4);
	memcpy(key + 8, "abc", 3);
	for (i = 0; i < sizeof key; i++)
		h = (h ^ key[i]) * UINT64_C(0x100000001b3);
	for (i = 0; i <= st->index_mask; i++)
		if (atomic_load(&st->index[i].series) == s->index + 1) {
			ck_assert_uint_eq(atomic_load(&st->index[i].hash), (uint32_t)h);
			found++;
		}
	ck_assert_uint_eq(found, 1);
	mstore_close(st);
}
END_TEST

/* A child forked while no descriptor can be opened (EMFILE here; in
 * review demo privdrop.c, privileges dropped before fork): neither the
 * fork handler's reopen nor the one by path works.  The child remembers
 * that: its counters count (SHARED) without trying again, its heartbeat,
 * histogram observation and registration fail with E_SYS and that errno
 * (a registration used to reach fcntl(-1): EBADF). */
START_TEST(test_fork_without_lock_file)
{
	static const char *const names[] = { "k" }, *const values[] = { "new" };
	struct mstore *st = make_store(3);
	struct mstore_series *c = counter(st, "lost_total"), *h = histogram(st), *s;
	struct mstore_family *f;
	struct rlimit old, lim;
	int lowest, i, bad = 0;
	pid_t pid;

	ck_assert_int_eq(mstore_counter_family(st, "lost_new_total", "N.", NULL, 1, names, &f), 0);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	lowest = dup(0);
	ck_assert_int_ge(lowest, 0);
	ck_assert_int_eq(close(lowest), 0);
	lim = old;
	/* no new descriptor, even after the child closes its inherited one */
	lim.rlim_cur = (rlim_t)(st->fd < lowest ? st->fd : lowest);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &lim), 0);
	pid = fork();
	if (pid == 0) {
		for (i = 0; i < 1000; i++)
			bad |= mstore_counter_inc(c) != 0;
		bad |= (st->fd != -1 || st->lost != EMFILE || !atomic_load(&st->no_slot)) << 1;
		bad |= (mstore_heartbeat(st) != MSTORE_E_SYS || errno != EMFILE) << 2;
		bad |= (mstore_histogram_observe(h, 1) != MSTORE_E_SYS || errno != EMFILE) << 3;
		bad |= (mstore_series_get(f, values, &s) != MSTORE_E_SYS || errno != EMFILE) << 4;
		_exit(bad);
	}
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	ck_assert_int_ge(pid, 0);
	ck_assert_int_eq(tu_reap(pid), 0);
	ck_assert_double_eq(counter_value("lost_total"), 1000);
	mstore_close(st);
}
END_TEST

/* A process that may only read the store takes read locks on all of it
 * (from review demo rdlock.c): a writer still attaches, registers and
 * claims (the writers' locks live in the lock file, which readers cannot
 * open). */
START_TEST(test_reader_locks_cannot_stall)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	struct mstore *st = make_store(3);
	int ready[2], fd;
	pid_t holder, writer;
	char b = 0;

	mstore_close(st); /* slot 0 free: the claim tries every slot's lock */
	ck_assert_int_eq(pipe(ready), 0);
	holder = fork();
	ck_assert_int_ge(holder, 0);
	if (holder == 0) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fcntl(fd, F_OFD_SETLK, &fl) != 0 || write(ready[1], &b, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	ck_assert_int_eq(read(ready[0], &b, 1), 1);
	writer = fork();
	ck_assert_int_ge(writer, 0);
	if (writer == 0) {
		struct mstore_series *c;
		int err;

		alarm(5); /* stalled by the reader's locks: dies here */
		st = mstore_attach(path, NULL, &err);
		if (st == NULL)
			_exit(2);
		c = counter(st, "stall_total");
		_exit(mstore_counter_inc(c) != 0);
	}
	ck_assert_int_eq(tu_reap(writer), 0);
	ck_assert_int_eq(kill(holder, SIGKILL), 0);
	ck_assert_int_eq(tu_reap(holder), 128 + SIGKILL);
}
END_TEST

/* An unrelated process (forked before the store existed, so it inherits
 * no handle) attaches, finds the family and the series registered by the
 * creator, adds to them, and is refused a conflicting definition. */
START_TEST(test_attach_unrelated)
{
	struct mstore_family *f;
	struct mstore_series *s;
	struct mstore *st;
	int go[2], err;
	char c = 0;
	pid_t pid;

	ck_assert_int_eq(pipe(go), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct mstore_family *g;
		char other[MSTORE_NAME_MAX + 1];
		int bad = 0, i;

		(void)close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(10);
		st = mstore_attach(path, NULL, &err);
		if (st == NULL)
			_exit(11);
		bad |= mstore_counter_family(st, "multi_total", "A counter.", NULL, 0, NULL, &f);
		bad |= mstore_series_get(f, NULL, &s);
		for (i = 0; i < 7; i++)
			bad |= mstore_counter_inc(s);
		/* same name, another definition */
		if (mstore_counter_family(st, "multi_total", "Other help.", NULL, 0, NULL, &g) !=
		            MSTORE_E_CONFLICT ||
		    errno != EEXIST ||
		    mstore_family_clash(st, MSTORE_COUNTER, "multi_total", other, sizeof other) !=
		            1 ||
		    strcmp(other, "multi_total") != 0)
			_exit(12);
		mstore_close(st);
		_exit(bad != 0);
	}
	(void)close(go[0]);
	st = make_store(2);
	s = counter(st, "multi_total");
	ck_assert_int_eq(mstore_counter_add(s, 5), 0);
	ck_assert_int_eq(write(go[1], &c, 1), 1);
	ck_assert_int_eq(tu_reap(pid), 0);
	ck_assert_double_eq(counter_value("multi_total"), 12);
	ck_assert_int_eq(series_count("multi_total"), 1);
	mstore_close(st);
}
END_TEST

START_TEST(test_attach_errors)
{
	struct mstore_options bad = { .max_series = 10 };
	struct mstore_options tick = { .tick_interval_ms = 50 };
	char other[TU_PATH_MAX];
	struct mstore *st, *a;
	int err = 0;

	ck_assert_ptr_null(mstore_attach(path, NULL, &err));
	ck_assert_int_eq(err, MSTORE_E_SYS);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_ptr_null(mstore_attach(NULL, NULL, &err));
	ck_assert_int_eq(err, MSTORE_E_INVAL);
	ck_assert_ptr_nonnull(tu_path(&dir, "notastore", other, sizeof(other)));
	ck_assert_int_eq(tu_write_file(other, "hello, world, this is not a store file", 38), 0);
	ck_assert_ptr_null(mstore_attach(other, NULL, &err));
	ck_assert_int_eq(err, MSTORE_E_TRUNCATED);
	ck_assert_ptr_null(mstore_attach(dir.path, NULL, &err));
	ck_assert_int_eq(err, MSTORE_E_NOT_REGULAR);
	st = make_store(1);
	/* capacities belong to the file */
	ck_assert_ptr_null(mstore_attach(path, &bad, &err));
	ck_assert_int_eq(err, MSTORE_E_INVAL);
	/* one slot, held by the creator */
	ck_assert_ptr_null(mstore_attach(path, &tick, &err));
	ck_assert_int_eq(err, MSTORE_E_NO_WRITER);
	ck_assert_int_eq(errno, EUSERS);
	mstore_close(st);
	/* given back: free again */
	a = mstore_attach(path, &tick, &err);
	ck_assert_msg(a != NULL, "%s", mstore_strerror(err));
	mstore_close(a);
}
END_TEST

/* Two handles in one process are two writers (two open file descriptions,
 * two slots); registration through either finds the other's families. */
START_TEST(test_two_handles)
{
	struct mstore_liveness l;
	struct mstore_info info;
	struct mstore *a, *b;
	struct mstore_series *sa, *sb;
	int err;

	a = make_store(2);
	b = mstore_attach(path, NULL, &err);
	ck_assert_msg(b != NULL, "%s", mstore_strerror(err));
	sa = counter(a, "two_total");
	sb = counter(b, "two_total");
	ck_assert_uint_eq(sa->index, sb->index);
	ck_assert_int_eq(mstore_counter_inc(sa), 0);
	ck_assert_int_eq(mstore_counter_inc(sb), 0);
	ck_assert_double_eq(counter_value("two_total"), 2);
	reader_info(&info, &l);
	ck_assert_uint_eq(info.max_writers, 2);
	ck_assert_uint_eq(l.writers_live, 2);
	ck_assert_int_eq(l.state, MSTORE_WRITER_ALIVE);
	mstore_close(b);
	reader_info(&info, &l);
	ck_assert_uint_eq(l.writers_live, 1);
	mstore_close(a);
	/* closed: no slot held, but the last heartbeat is young */
	reader_info(&info, &l);
	ck_assert_uint_eq(l.writers_live, 0);
	ck_assert_int_eq(l.state, MSTORE_WRITER_ALIVE);
}
END_TEST

/* -------------------------------------------------------------- fork */

/* A child forked from a writer keeps writing through the handles it
 * inherited (counter, histogram, heartbeat) under a slot of its own while
 * the parent writes too: the totals are exact and both are live writers. */
START_TEST(test_fork_keeps_writing)
{
	struct mstore_series *c, *h;
	struct mstore_snapshot snap;
	struct mstore_liveness l;
	struct mstore_info info;
	struct mstore *st = make_store(3);
	int ready[2], done[2], i, bad = 0;
	char b = 0;
	pid_t pid;

	c = counter(st, "fork_total");
	h = histogram(st);
	ck_assert_int_eq(mstore_counter_inc(c), 0); /* the parent's shard */
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(done), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		for (i = 0; i < CHILD_INCS; i++)
			bad |= mstore_counter_inc(c) | mstore_histogram_observe(h, 1.5);
		bad |= mstore_heartbeat(st);
		if (write(ready[1], &b, 1) != 1 || read(done[0], &b, 1) != 1)
			_exit(10);
		mstore_close(st);
		_exit(bad != 0);
	}
	for (i = 0; i < CHILD_INCS; i++)
		bad |= mstore_counter_inc(c) | mstore_histogram_observe(h, 2.5);
	ck_assert_int_eq(bad, 0);
	ck_assert_int_eq(read(ready[0], &b, 1), 1);
	reader_info(&info, &l);
	ck_assert_uint_eq(l.writers_live, 2);
	ck_assert_int_eq(write(done[1], &b, 1), 1);
	ck_assert_int_eq(tu_reap(pid), 0);
	ck_assert_double_eq(counter_value("fork_total"), 2.0 * CHILD_INCS + 1);
	ck_assert_int_eq(read_series("multi_seconds", NULL, &snap), 0);
	ck_assert_uint_eq(snap.count, 2 * CHILD_INCS);
	ck_assert_uint_eq(snap.bucket[1], CHILD_INCS);
	ck_assert_double_eq(snap.sum, 4.0 * CHILD_INCS);
	mstore_close(st);
}
END_TEST

/* 4 processes (a parent and 3 children, each with its own slot) increment
 * one counter: every one gets a shard of its own (no two processes share
 * a shard number) and the total is exact. */
START_TEST(test_shards_across_processes)
{
	struct mstore *st = make_store(4);
	struct mstore_series *c = counter(st, "procs_total");
	uint32_t k, owners = 0, seen = 0;
	int go[3][2], done[2], i, j, bad = 0;
	pid_t pids[3];
	char b = 0;

	ck_assert_int_eq(pipe(done), 0);
	for (j = 0; j < 3; j++) {
		ck_assert_int_eq(pipe(go[j]), 0);
		pids[j] = fork();
		ck_assert_int_ge(pids[j], 0);
		if (pids[j] == 0) {
			for (i = 0; i < CHILD_INCS; i++)
				bad |= mstore_counter_inc(c);
			/* hold the shard until the parent has looked */
			if (write(done[1], &b, 1) != 1 || read(go[j][0], &b, 1) != 1)
				_exit(11);
			_exit(bad != 0);
		}
	}
	for (i = 0; i < CHILD_INCS; i++)
		bad |= mstore_counter_inc(c);
	ck_assert_int_eq(bad, 0);
	for (j = 0; j < 3; j++)
		ck_assert_int_eq(read(done[0], &b, 1), 1);
	for (k = 0; k < MSTORE_COUNTER_SHARDS; k++) {
		uint32_t o = atomic_load(&st->hdr->shard_owner[k]);

		if (o != 0) {
			owners++;
			ck_assert_msg(!(seen & (1u << o)), "slot %u owns two shards", o - 1);
			seen |= 1u << o;
		}
	}
	ck_assert_uint_eq(owners, 4);
	for (j = 0; j < 3; j++)
		ck_assert_int_eq(write(go[j][1], &b, 1), 1);
	for (j = 0; j < 3; j++)
		ck_assert_int_eq(tu_reap(pids[j]), 0);
	ck_assert_double_eq(counter_value("procs_total"), 4.0 * CHILD_INCS);
	mstore_close(st);
}
END_TEST

/*
 * Counters (mstore_layout.h): a thread's shard number is the process's,
 * but ownership is per store.  This thread takes shard 0 in store A; in
 * store B another process owns shard 0, so the thread must add to B's
 * shared slot (the owned mask), or the two would race on one slot.
 */
START_TEST(test_shard_owned_per_store)
{
	char pb[TU_PATH_MAX];
	struct mstore_options o = { .max_writers = 2 };
	struct mstore *a = make_store(2), *b;
	struct mstore_series *ca = counter(a, "a_total"), *cb;
	struct mstore_snapshot snap;
	int ready[2], go[2], i, err, bad = 0;
	char c = 0;
	pid_t pid;

	ck_assert_ptr_nonnull(tu_path(&dir, "b", pb, sizeof(pb)));
	b = mstore_create(pb, &o, &err);
	ck_assert_ptr_nonnull(b);
	cb = counter(b, "b_total");
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(go), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		bad |= mstore_counter_inc(cb); /* shard 0 of B */
		if (atomic_load(&b->hdr->shard_owner[0]) != atomic_load(&b->slot) + 1 ||
		    write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(10);
		for (i = 0; i < 20 * CHILD_INCS; i++)
			bad |= mstore_counter_inc(cb);
		_exit(bad != 0);
	}
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	ck_assert_int_eq(mstore_counter_inc(ca), 0); /* shard 0 of A */
	ck_assert_uint_eq(atomic_load(&a->hdr->shard_owner[0]), 1);
	ck_assert_int_eq(write(go[1], &c, 1), 1);
	for (i = 0; i < 20 * CHILD_INCS; i++)
		bad |= mstore_counter_inc(cb);
	ck_assert_int_eq(bad, 0);
	ck_assert_int_eq(tu_reap(pid), 0);
	/* the parent's adds all went to B's shared slot */
	ck_assert_uint_eq(atomic_load(&cb->v[MSTORE_COUNTER_SHARED]), 20 * CHILD_INCS);
	ck_assert_int_eq(read_series_in(pb, "b_total", NULL, &snap), 0);
	ck_assert_double_eq(snap.value, 40.0 * CHILD_INCS + 1);
	mstore_close(b);
	mstore_close(a);
}
END_TEST

/* With one slot a forked child has none of its own: counters and shared
 * gauges still work (the shared slot), histograms say why they cannot. */
START_TEST(test_fork_without_slot)
{
	struct mstore *st = make_store(1);
	struct mstore_series *c = counter(st, "one_total"), *h = histogram(st);
	pid_t pid;

	ck_assert_int_eq(mstore_counter_inc(c), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int i, bad = 0;

		for (i = 0; i < CHILD_INCS; i++)
			bad |= mstore_counter_inc(c);
		if (mstore_histogram_observe(h, 1) != MSTORE_E_NO_WRITER || errno != EUSERS ||
		    mstore_heartbeat(st) != MSTORE_E_NO_WRITER)
			_exit(12);
		_exit(bad != 0);
	}
	ck_assert_int_eq(tu_reap(pid), 0);
	ck_assert_double_eq(counter_value("one_total"), CHILD_INCS + 1.0);
	mstore_close(st);
}
END_TEST

/* ------------------------------------------------- slots and cleanup */

/*
 * Writer slots (mstore_layout.h): children that die without closing
 * (SIGKILL) leave their slots LIVE; the parent's heartbeat finds each one
 * late with its lock free and cleans it up, so 30 deaths reuse the same
 * slot and the file does not grow; a closed writer's slot is free at once.
 */
START_TEST(test_slots_reused)
{
	struct mstore *st = make_store(2);
	struct mstore_liveness l;
	struct mstore_info info;
	struct stat before, after;
	int i;

	ck_assert_int_eq(stat(path, &before), 0);
	for (i = 0; i < 30; i++) {
		pid_t pid = fork();

		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			if (mstore_heartbeat(st) != 0) /* claims slot 1 */
				_exit(1);
			raise(SIGKILL);
		}
		ck_assert_int_eq(tu_reap(pid), 128 + SIGKILL);
		reader_info(&info, &l);
		ck_assert_uint_eq(l.writers_live + l.writers_stale, 2);
		tu_sleep_ms(LATE_MS);
		ck_assert_int_eq(mstore_heartbeat(st), 0);
		reader_info(&info, &l);
		ck_assert_uint_eq(l.writers_live, 1);
		ck_assert_uint_eq(l.writers_stale, 0);
	}
	ck_assert_uint_eq(info.recoveries[MSTORE_RECOVERY_SLOT], 30);
	ck_assert_int_eq(stat(path, &after), 0);
	ck_assert_int_eq(after.st_size, before.st_size);
	mstore_close(st);
}
END_TEST

/* The kill_step hook of the children below: die right there. */
static enum mstore_step kill_step;

static void
kill_at(enum mstore_step step)
{
	if (step == kill_step)
		raise(SIGKILL);
}

/* A child claiming a slot dies inside the claim (its gen left odd): the
 * reader does not count the slot, and the next claim takes it over. */
START_TEST(test_kill_in_claim)
{
	struct mstore *st = make_store(2), *a;
	struct mstore_liveness l;
	struct mstore_info info;
	pid_t pid;
	int err;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		kill_step = MSTORE_STEP_CLAIM_RESET;
		mstore_test_hook = kill_at;
		(void)mstore_heartbeat(st);
		_exit(1);
	}
	ck_assert_int_eq(tu_reap(pid), 128 + SIGKILL);
	ck_assert_uint_eq(atomic_load(&st->wrec[1].gen) & 1u, 1);
	reader_info(&info, &l);
	ck_assert_uint_eq(l.writers_live, 1);
	a = mstore_attach(path, NULL, &err);
	ck_assert_msg(a != NULL, "%s", mstore_strerror(err));
	ck_assert_uint_eq(atomic_load(&a->slot), 1);
	reader_info(&info, &l);
	ck_assert_uint_eq(l.writers_live, 2);
	mstore_close(a);
	mstore_close(st);
}
END_TEST

/* ------------------------------------------------------ registrations */

/*
 * Registration from several processes (mstore_layout.h, the intent): a
 * child registers a series and is killed at each step in turn.  The store
 * stays valid for a reader at once; the next registration (by the parent,
 * which must not wedge on the lock the dead child held) rolls the intent
 * back or forward; the series then exists exactly once, in its chain and
 * in the index, and the recovery is counted.
 */
static const struct kill_reg_case {
	enum mstore_step step;
	int forward; /* the record was published before the kill */
} kill_reg_cases[] = {
	{ MSTORE_STEP_SERIES_FILLED, 0 },
	{ MSTORE_STEP_SERIES_PUBLISHED, 1 },
	{ MSTORE_STEP_SERIES_LINKED, 1 },
};

START_TEST(test_kill_in_series_registration)
{
	const struct kill_reg_case *c = &kill_reg_cases[_i];
	static const char *const label[] = { "k" };
	const char *v1[] = { "one" }, *v2[] = { "two" };
	struct mstore *st = make_store(2);
	struct mstore_family *f;
	struct mstore_series *s1, *s2;
	struct mstore_snapshot snap;
	struct mstore_info info;
	pid_t pid;

	ck_assert_int_eq(mstore_counter_family(st, "reg_total", "R.", NULL, 1, label, &f), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		kill_step = c->step;
		mstore_test_hook = kill_at;
		(void)mstore_series_get(f, v1, &s1);
		_exit(1);
	}
	ck_assert_int_eq(tu_reap(pid), 128 + SIGKILL);
	ck_assert_uint_eq(atomic_load(&st->hdr->intent.op), MSTORE_INTENT_SERIES);
	/* valid for a reader as it is: the series is there or not, never
	 * half (published but not linked: not reached by a walk) */
	ck_assert_int_le(series_count("reg_total"), c->step == MSTORE_STEP_SERIES_LINKED);
	ck_assert_int_eq(mstore_series_get(f, v2, &s2), 0); /* recovers first */
	ck_assert_int_eq(mstore_series_get(f, v1, &s1), 0);
	ck_assert_int_eq(mstore_counter_inc(s1), 0);
	ck_assert_int_eq(series_count("reg_total"), 2);
	ck_assert_uint_eq(atomic_load(&st->hdr->intent.op), MSTORE_INTENT_NONE);
	reader_info(&info, NULL);
	ck_assert_uint_eq(info.series, 2);
	ck_assert_uint_eq(info.recoveries[MSTORE_RECOVERY_FORWARD], c->forward);
	ck_assert_uint_eq(info.recoveries[MSTORE_RECOVERY_BACK], !c->forward);
	ck_assert_int_eq(read_series("reg_total", "one", &snap), 0);
	ck_assert_double_eq(snap.value, 1);
	mstore_close(st);
}
END_TEST

/* The same for a family killed after its record was filled: rolled back,
 * its strings returned; registering it again works. */
START_TEST(test_kill_in_family_registration)
{
	struct mstore *st = make_store(2);
	struct mstore_family *f;
	struct mstore_info info, before;
	pid_t pid;

	reader_info(&before, NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		kill_step = MSTORE_STEP_FAMILY_FILLED;
		mstore_test_hook = kill_at;
		(void)mstore_gauge_family(st, "half_depth", "H.", NULL, 0, NULL, &f);
		_exit(1);
	}
	ck_assert_int_eq(tu_reap(pid), 128 + SIGKILL);
	reader_info(&info, NULL);
	ck_assert_uint_eq(info.families, 0);
	/* its two blocks are held until the next writer rolls it back */
	ck_assert_uint_eq(info.strings_used, before.strings_used + 16 + 8);
	ck_assert_int_eq(mstore_gauge_family(st, "half_depth", "H.", NULL, 0, NULL, &f), 0);
	reader_info(&info, NULL);
	ck_assert_uint_eq(info.families, 1);
	ck_assert_uint_eq(info.recoveries[MSTORE_RECOVERY_BACK], 1);
	/* the dead writer's blocks given back, then taken again once */
	ck_assert_uint_eq(info.strings_used, before.strings_used + 16 + 8);
	mstore_close(st);
}
END_TEST

/* A series published but not linked by a writer that died becomes visible
 * at the next heartbeat of another writer, even if nobody registers. */
START_TEST(test_heartbeat_rolls_forward)
{
	struct mstore *st = make_store(2);
	struct mstore_family *f;
	struct mstore_series *s;
	pid_t pid;

	ck_assert_int_eq(mstore_gauge_family(st, "late_depth", "L.", NULL, 0, NULL, &f), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		kill_step = MSTORE_STEP_SERIES_PUBLISHED;
		mstore_test_hook = kill_at;
		(void)mstore_series_get(f, NULL, &s);
		_exit(1);
	}
	ck_assert_int_eq(tu_reap(pid), 128 + SIGKILL);
	ck_assert_int_eq(series_count("late_depth"), 0);
	ck_assert_int_eq(mstore_heartbeat(st), 0);
	ck_assert_int_eq(series_count("late_depth"), 1);
	mstore_close(st);
}
END_TEST

/* A writer stopped (SIGSTOP, a debugger) inside a registration holds the
 * registration lock: another writer's heartbeat must not wait for it
 * (from review demo hbblock.c; the alarm fires if it does).  Once the
 * stopped writer is killed, the next heartbeat undoes its intent. */
static void
stop_at(enum mstore_step step)
{
	if (step == kill_step)
		raise(SIGSTOP);
}

/* A child that registers f's series with label value "a" and is stopped
 * (SIGSTOP) inside, holding the registration lock. */
static pid_t
stopped_registrant(struct mstore_family *f)
{
	static const char *const values[] = { "a" };
	struct mstore_series *s;
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		kill_step = MSTORE_STEP_SERIES_FILLED;
		mstore_test_hook = stop_at;
		(void)mstore_series_get(f, values, &s);
		_exit(1);
	}
	ck_assert_int_eq(waitpid(pid, &status, WUNTRACED), pid);
	ck_assert(WIFSTOPPED(status));
	return pid;
}

START_TEST(test_heartbeat_never_waits)
{
	static const char *const names[] = { "k" };
	struct mstore *st = make_store(2);
	struct mstore_family *f;
	struct mstore_info info;
	pid_t pid;

	ck_assert_int_eq(mstore_counter_family(st, "stop_total", "S.", NULL, 1, names, &f), 0);
	pid = stopped_registrant(f);
	alarm(5);
	ck_assert_int_eq(mstore_heartbeat(st), 0);
	alarm(0);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(tu_reap(pid), 128 + SIGKILL);
	ck_assert_int_eq(mstore_heartbeat(st), 0);
	reader_info(&info, NULL);
	ck_assert_uint_eq(info.recoveries[MSTORE_RECOVERY_BACK], 1);
	ck_assert_uint_eq(info.series, 0);
	mstore_close(st);
}
END_TEST

/* A thread cancelled while it waits for the registration lock (here held
 * by a stopped child) must not leave the handle's mutex held: the next
 * registration would hang (the alarm fires).  Review finding 7. */
static void *
register_new(void *arg)
{
	static const char *const values[] = { "t" };
	struct mstore_series *s;

	return (void *)(intptr_t)mstore_series_get(arg, values, &s);
}

START_TEST(test_cancel_in_registration)
{
	static const char *const names[] = { "k" }, *const after[] = { "after" };
	struct mstore *st = make_store(2);
	struct mstore_family *f;
	struct mstore_series *s;
	pthread_t t;
	pid_t pid;

	ck_assert_int_eq(mstore_counter_family(st, "cancel_total", "C.", NULL, 1, names, &f), 0);
	pid = stopped_registrant(f);
	ck_assert_int_eq(pthread_create(&t, NULL, register_new, f), 0);
	tu_sleep_ms(50); /* the thread waits in F_OFD_SETLKW */
	ck_assert_int_eq(pthread_cancel(t), 0);
	tu_sleep_ms(50);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(tu_reap(pid), 128 + SIGKILL);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	alarm(5);
	ck_assert_int_eq(mstore_series_get(f, after, &s), 0);
	alarm(0);
	mstore_close(st);
}
END_TEST

/* ---------------------------------------------------------- histograms */

/* A child claims a writer slot, enters h's seqlock as observe does (with
 * count_ahead: cut after counting the observation, before its bucket)
 * and is killed there. */
static void
die_inside(struct mstore *st, struct mstore_series *h, int count_ahead)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (mstore_heartbeat(st) != 0)
			_exit(1);
		atomic_fetch_or(&h->v[MSTORE_HIST_SEQ], atomic_load(&st->seq_tag));
		if (count_ahead)
			atomic_fetch_add(&h->v[MSTORE_HIST_COUNT], 1);
		raise(SIGKILL);
	}
	ck_assert_int_eq(tu_reap(pid), 128 + SIGKILL);
}

/* A child takes the histogram's seqlock (as observe does) and is killed
 * inside.  The reader returns the section as recovered, without writing;
 * the parent's next observe takes it over after its spins (it would hang
 * for good without the owner recovery) and counts it. */
START_TEST(test_kill_in_histogram)
{
	struct mstore *st = make_store(2);
	struct mstore_series *h = histogram(st);
	struct mstore_snapshot snap;
	struct mstore_info info;
	uint64_t seq;

	ck_assert_int_eq(mstore_histogram_observe(h, 0.5), 0);
	die_inside(st, h, 1);
	seq = atomic_load(&h->v[MSTORE_HIST_SEQ]);
	ck_assert_uint_eq(seq & MSTORE_SEQ_LOCKED, 1);
	ck_assert_uint_eq((seq >> MSTORE_SEQ_OWNER_SHIFT) & MSTORE_SEQ_OWNER_MASK, 1);
	ck_assert_int_eq(read_series("multi_seconds", NULL, &snap), 0);
	ck_assert_uint_eq(snap.count, 1);
	ck_assert_uint_eq(atomic_load(&h->v[MSTORE_HIST_SEQ]), seq); /* the reader wrote nothing */
	ck_assert_int_eq(mstore_histogram_observe(h, 2.5), 0);
	ck_assert_int_eq(read_series("multi_seconds", NULL, &snap), 0);
	ck_assert_uint_eq(snap.count, 2);
	ck_assert_uint_eq(snap.bucket[0], 1);
	reader_info(&info, NULL);
	ck_assert_uint_eq(info.recoveries[MSTORE_RECOVERY_HISTOGRAM], 1);
	mstore_close(st);
}
END_TEST

/* A fork() by another thread while mstore_attach() claims its slot (from
 * review demo forkrace.c): the child must not inherit the new handle's
 * descriptor, whose lock would keep the writer "alive" after it dies, so
 * that its locked histogram could never be recovered. */
static int fork_go[2], fork_pid[2];

static void *
forker(void *unused)
{
	char b;
	pid_t pid;

	(void)unused;
	if (read(fork_go[0], &b, 1) != 1)
		return NULL;
	pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	if (write(fork_pid[1], &pid, sizeof pid) != (ssize_t)sizeof pid)
		_exit(11);
	return NULL;
}

static void
fork_in_claim(enum mstore_step step)
{
	char b = 0;

	if (step == MSTORE_STEP_CLAIM_RESET) {
		if (write(fork_go[1], &b, 1) != 1)
			_exit(12);
		tu_sleep_ms(200); /* the other thread forks now, unless it must wait */
	}
}

START_TEST(test_fork_during_attach)
{
	struct mstore_options o = { .tick_interval_ms = TICK_MS };
	struct mstore *st = make_store(3), *a;
	struct mstore_series *h = histogram(st);
	struct mstore_info info;
	pthread_t t;
	pid_t pid, grandchild;
	int err;

	ck_assert_int_eq(pipe(fork_go), 0);
	ck_assert_int_eq(pipe(fork_pid), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (pthread_create(&t, NULL, forker, NULL) != 0)
			_exit(13);
		mstore_test_hook = fork_in_claim;
		a = mstore_attach(path, &o, &err);
		mstore_test_hook = NULL;
		if (a == NULL || pthread_join(t, NULL) != 0)
			_exit(14);
		h = histogram(a);
		atomic_fetch_or(&h->v[MSTORE_HIST_SEQ], atomic_load(&a->seq_tag));
		raise(SIGKILL); /* dies inside the section */
	}
	ck_assert_int_eq(read(fork_pid[0], &grandchild, sizeof grandchild),
	                 (ssize_t)sizeof grandchild);
	ck_assert_int_eq(tu_reap(pid), 128 + SIGKILL);
	tu_sleep_ms(LATE_MS);
	ck_assert_int_eq(mstore_heartbeat(st), 0);
	(void)kill(grandchild, SIGKILL);
	ck_assert_uint_eq(atomic_load(&h->v[MSTORE_HIST_SEQ]) & MSTORE_SEQ_LOCKED, 0);
	reader_info(&info, NULL);
	ck_assert_uint_eq(info.recoveries[MSTORE_RECOVERY_SLOT], 1);
	mstore_close(st);
}
END_TEST

/* Cleanup of a dead writer's slot recovers every histogram it left
 * locked, before the slot can be claimed again: the new owner of slot 1
 * must not inherit a seqlock "held by itself". */
START_TEST(test_cleanup_recovers_histograms)
{
	struct mstore *st = make_store(2);
	struct mstore_series *h = histogram(st);
	struct mstore_info info;

	die_inside(st, h, 0);
	tu_sleep_ms(LATE_MS);
	ck_assert_int_eq(mstore_heartbeat(st), 0);
	ck_assert_uint_eq(atomic_load(&h->v[MSTORE_HIST_SEQ]) & MSTORE_SEQ_LOCKED, 0);
	reader_info(&info, NULL);
	ck_assert_uint_eq(info.recoveries[MSTORE_RECOVERY_HISTOGRAM], 1);
	ck_assert_uint_eq(info.recoveries[MSTORE_RECOVERY_SLOT], 1);
	mstore_close(st);
}
END_TEST

/* Real kills at random moments of a child that observes and increments
 * in a loop: whatever instruction it died at, the parent's observations
 * never hang, snapshots stay consistent, and the counter only grows. */
START_TEST(test_random_kills)
{
	struct mstore *st = make_store(2);
	struct mstore_series *h = histogram(st), *c = counter(st, "kills_total");
	struct mstore_snapshot snap;
	double last = 0, now;
	int i;

	srand(42);
	for (i = 0; i < KILL_ROUNDS; i++) {
		pid_t pid = fork();

		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			for (;;)
				(void)(mstore_histogram_observe(h, 1.5) | mstore_counter_inc(c));
		}
		tu_sleep_ms(1 + rand() % 5);
		ck_assert_int_eq(kill(pid, SIGKILL), 0);
		ck_assert_int_eq(tu_reap(pid), 128 + SIGKILL);
		ck_assert_int_eq(read_series("multi_seconds", NULL, &snap), 0);
		ck_assert_int_eq(mstore_histogram_observe(h, 2.5), 0);
		now = counter_value("kills_total");
		ck_assert(now >= last);
		last = now;
		tu_sleep_ms(LATE_MS);
		ck_assert_int_eq(mstore_heartbeat(st), 0);
	}
	ck_assert_int_eq(read_series("multi_seconds", NULL, &snap), 0);
	ck_assert_uint_ge(snap.count, KILL_ROUNDS);
	mstore_close(st);
}
END_TEST

/* ------------------------------------------------------------ shards */

/* A dead process's shards are reclaimed by cleanup; what it added stays
 * (nothing lost) and the next owner continues from it (nothing twice). */
START_TEST(test_shard_reclaim)
{
	struct mstore *st = make_store(2);
	struct mstore_series *c = counter(st, "reclaim_total");
	struct mstore_info info;
	uint32_t k, owned_by_child = 0;
	pid_t pid;

	ck_assert_int_eq(mstore_counter_inc(c), 0); /* the parent's shard */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int i, bad = 0;

		for (i = 0; i < CHILD_INCS; i++)
			bad |= mstore_counter_inc(c);
		if (bad)
			_exit(1);
		raise(SIGKILL);
	}
	ck_assert_int_eq(tu_reap(pid), 128 + SIGKILL);
	for (k = 0; k < MSTORE_COUNTER_SHARDS; k++)
		owned_by_child += atomic_load(&st->hdr->shard_owner[k]) == 2;
	ck_assert_uint_eq(owned_by_child, 1);
	tu_sleep_ms(LATE_MS);
	ck_assert_int_eq(mstore_heartbeat(st), 0);
	for (k = 0; k < MSTORE_COUNTER_SHARDS; k++)
		ck_assert_uint_ne(atomic_load(&st->hdr->shard_owner[k]), 2);
	reader_info(&info, NULL);
	ck_assert_uint_eq(info.recoveries[MSTORE_RECOVERY_SHARD], 1);
	ck_assert_double_eq(counter_value("reclaim_total"), CHILD_INCS + 1.0);
	/* a new process gets the shard back and continues from its value */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(mstore_counter_add(c, 10) != 0 || mstore_counter_inc(c) != 0);
	ck_assert_int_eq(tu_reap(pid), 0);
	ck_assert_double_eq(counter_value("reclaim_total"), CHILD_INCS + 12.0);
	mstore_close(st);
}
END_TEST

/* ---------------------------------------------------- per-writer gauges */

static struct mstore_family *
pw_gauge(struct mstore *st, enum mstore_per_writer mode, const char *name)
{
	struct mstore_family_spec spec = { .size = sizeof(spec),
		                           .type = MSTORE_GAUGE,
		                           .name = name,
		                           .help = "Per writer.",
		                           .per_writer = mode };
	struct mstore_family *f;

	ck_assert_int_eq(mstore_family_register(st, &spec, &f), 0);
	return f;
}

static double
pw_value(const char *name, uint32_t *writers)
{
	struct mstore_snapshot snap;

	if (read_series(name, NULL, &snap) != 0)
		return -1;
	*writers = snap.writers;
	return snap.value;
}

/*
 * Per-writer values (mstore_layout.h): the reader combines the values of
 * the live writers only; a writer that never set one does not count; a
 * killed writer's value goes once its slot is cleaned up, and the process
 * that gets its slot next does not show it.
 */
START_TEST(test_per_writer_gauges)
{
	static const enum mstore_per_writer modes[] = { MSTORE_PER_WRITER_SUM,
		                                        MSTORE_PER_WRITER_MAX,
		                                        MSTORE_PER_WRITER_MIN,
		                                        MSTORE_PER_WRITER_ALL };
	static const char *const names[] = { "pw_plus", "pw_most", "pw_least", "pw_each" };
	struct mstore *st = make_store(3), *idle;
	struct mstore_series *s[4];
	struct mstore_family *f;
	uint32_t n;
	int i, ready[2], err;
	char b = 0;
	pid_t pid;

	for (i = 0; i < 4; i++) {
		f = pw_gauge(st, modes[i], names[i]);
		ck_assert_int_eq(mstore_series_get(f, NULL, &s[i]), 0);
	}
	/* not set by anyone: absent */
	ck_assert_double_eq(pw_value("pw_plus", &n), 0);
	ck_assert_uint_eq(n, 0);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(mstore_gauge_set(s[i], 1), 0);
	ck_assert_int_eq(pipe(ready), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int bad = 0;

		for (i = 0; i < 4; i++)
			bad |= mstore_gauge_add(s[i], 5);
		if (bad || write(ready[1], &b, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	ck_assert_int_eq(read(ready[0], &b, 1), 1);
	/* a third writer that sets nothing */
	idle = mstore_attach(path, NULL, &err);
	ck_assert_ptr_nonnull(idle);
	ck_assert_double_eq(pw_value("pw_plus", &n), 6);
	ck_assert_uint_eq(n, 2);
	ck_assert_double_eq(pw_value("pw_most", &n), 5);
	ck_assert_double_eq(pw_value("pw_least", &n), 1);
	ck_assert_uint_eq(n, 2);
	ck_assert_double_eq(pw_value("pw_each", &n), 6);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(tu_reap(pid), 128 + SIGKILL);
	tu_sleep_ms(LATE_MS);
	ck_assert_int_eq(mstore_heartbeat(idle), 0); /* any writer cleans up */
	ck_assert_int_eq(mstore_heartbeat(st), 0);
	ck_assert_double_eq(pw_value("pw_plus", &n), 1);
	ck_assert_uint_eq(n, 1);
	ck_assert_double_eq(pw_value("pw_least", &n), 1);
	/* the dead child's slot, claimed again: nothing of the child's shows */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (mstore_heartbeat(st) != 0 || atomic_load(&st->slot) != 1 ||
		    write(ready[1], &b, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	ck_assert_int_eq(read(ready[0], &b, 1), 1);
	ck_assert_double_eq(pw_value("pw_most", &n), 1);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(tu_reap(pid), 128 + SIGKILL);
	mstore_close(idle);
	/* a writer that closed cleanly leaves its values behind (nobody
	 * cleans a FREE slot): the next claim of the slot resets them */
	idle = mstore_attach(path, NULL, &err);
	ck_assert_ptr_nonnull(idle);
	ck_assert_uint_eq(atomic_load(&idle->slot), 1);
	for (i = 0; i < 4; i++) {
		f = pw_gauge(idle, modes[i], names[i]);
		ck_assert_int_eq(mstore_series_get(f, NULL, &s[i]), 0);
		ck_assert_int_eq(mstore_gauge_set(s[i], 9), 0);
	}
	ck_assert_double_eq(pw_value("pw_most", &n), 9);
	mstore_close(idle);
	ck_assert_double_eq(pw_value("pw_most", &n), 1);
	idle = mstore_attach(path, NULL, &err);
	ck_assert_ptr_nonnull(idle);
	ck_assert_uint_eq(atomic_load(&idle->slot), 1);
	ck_assert_double_eq(pw_value("pw_most", &n), 1);
	ck_assert_uint_eq(n, 1);
	mstore_close(idle);
	mstore_close(st);
}
END_TEST

/* The ALL mode: one value per live writer, with its slot; the iterator
 * skips writers without a value; a counter per writer adds up. */
START_TEST(test_per_writer_all)
{
	struct mstore_family_spec spec = { .size = sizeof(spec),
		                           .type = MSTORE_COUNTER,
		                           .name = "pw_jobs_total",
		                           .per_writer = MSTORE_PER_WRITER_ALL };
	struct mstore *st = make_store(3), *b;
	struct mstore_family_view fv;
	struct mstore_series_view sv;
	struct mstore_reader *r;
	struct mstore_family *f, *fb;
	struct mstore_series *s, *sb;
	uint32_t slot;
	double v;
	int err;

	ck_assert_int_eq(mstore_family_register(st, &spec, &f), 0);
	ck_assert_int_eq(mstore_series_get(f, NULL, &s), 0);
	ck_assert_int_eq(mstore_counter_add(s, 2), 0);
	ck_assert_int_eq(mstore_counter_add(s, -1), MSTORE_E_NEGATIVE);
	b = mstore_attach(path, NULL, &err);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(mstore_family_register(b, &spec, &fb), 0);
	ck_assert_int_eq(mstore_series_get(fb, NULL, &sb), 0);
	ck_assert_int_eq(mstore_counter_inc(sb), 0);
	ck_assert_int_eq(mstore_counter_inc(sb), 0);
	ck_assert_int_eq(mstore_counter_inc(sb), 0);
	r = mstore_reader_open(path, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(tu_find_family(r, "pw_jobs_total", &fv), 0);
	ck_assert_int_eq(fv.per_writer, MSTORE_PER_WRITER_ALL);
	ck_assert_int_eq(mstore_reader_series_first(r, &fv, &sv), 1);
	ck_assert_int_eq(mstore_reader_per_writer(r, &fv, &sv, 0, &slot, &v), 1);
	ck_assert_uint_eq(slot, 0);
	ck_assert_double_eq(v, 2);
	ck_assert_int_eq(mstore_reader_per_writer(r, &fv, &sv, slot + 1, &slot, &v), 1);
	ck_assert_uint_eq(slot, 1);
	ck_assert_double_eq(v, 3);
	ck_assert_int_eq(mstore_reader_per_writer(r, &fv, &sv, slot + 1, &slot, &v), 0);
	mstore_reader_close(r);
	mstore_close(b);
	mstore_close(st);
}
END_TEST

START_TEST(test_per_writer_errors)
{
	struct mstore_family_spec spec = { .size = sizeof(spec),
		                           .type = MSTORE_HISTOGRAM,
		                           .name = "pw_seconds",
		                           .per_writer = MSTORE_PER_WRITER_SUM };
	static const char *const writer_label[] = { "writer" };
	struct mstore *st = make_store(2);
	struct mstore_family *f;

	/* histograms are shared; a counter's sum would fall as writers go */
	ck_assert_int_eq(mstore_family_register(st, &spec, &f), MSTORE_E_INVAL);
	spec.type = MSTORE_COUNTER;
	spec.name = "pw_total";
	ck_assert_int_eq(mstore_family_register(st, &spec, &f), MSTORE_E_INVAL);
	spec.per_writer = MSTORE_PER_WRITER_MAX;
	ck_assert_int_eq(mstore_family_register(st, &spec, &f), MSTORE_E_INVAL);
	spec.per_writer = 99;
	ck_assert_int_eq(mstore_family_register(st, &spec, &f), MSTORE_E_INVAL);
	/* ALL adds a "writer" label */
	spec.type = MSTORE_GAUGE;
	spec.name = "pw_depth";
	spec.per_writer = MSTORE_PER_WRITER_ALL;
	spec.nlabels = 1;
	spec.label_names = writer_label;
	ck_assert_int_eq(mstore_family_register(st, &spec, &f), MSTORE_E_RESERVED);
	spec.per_writer = MSTORE_PER_WRITER_SUM;
	ck_assert_int_eq(mstore_family_register(st, &spec, &f), 0);
	/* the mode is part of the definition */
	spec.per_writer = MSTORE_PER_WRITER_MAX;
	ck_assert_int_eq(mstore_family_register(st, &spec, &f), MSTORE_E_CONFLICT);
	/* spec sizes: too small, or unknown trailing bytes set */
	spec.per_writer = MSTORE_PER_WRITER_SUM;
	spec.size = offsetof(struct mstore_family_spec, per_writer);
	ck_assert_int_eq(mstore_family_register(st, &spec, &f), MSTORE_E_INVAL);
	mstore_close(st);
}
END_TEST

/* Process metrics per writer: each process has its own series, labelled
 * by slot (ALL); with one slot, shared names without a label (SUM). */
START_TEST(test_process_metrics)
{
	struct mstore *st = make_store(2);
	struct mstore_snapshot snap;
	uint32_t n;
	pid_t pid;

	ck_assert_int_eq(mstore_process_metrics(st), 0);
	ck_assert_int_eq(mstore_process_metrics(st), 0);
	ck_assert_int_eq(read_series("process_start_time_seconds", NULL, &snap), 0);
	ck_assert_uint_eq(snap.writers, 1);
	ck_assert_double_gt(snap.value, 1e9);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(mstore_heartbeat(st) != 0 || pw_value("process_open_fds", &n) <= 0 || n != 2);
	ck_assert_int_eq(tu_reap(pid), 0);
	mstore_close(st);
}
END_TEST

static Suite *
multi_suite(void)
{
	Suite *s = suite_create("mstore_multi");
	TCase *attach = tcase_create("attach");
	TCase *kill = tcase_create("kill");
	TCase *pw = tcase_create("per_writer");

	tcase_add_checked_fixture(attach, setup, teardown);
	tcase_add_test(attach, test_attach_unrelated);
	tcase_add_test(attach, test_reader_locks_cannot_stall);
	tcase_add_test(attach, test_index_hash);
	tcase_add_test(attach, test_attach_errors);
	tcase_add_test(attach, test_two_handles);
	tcase_add_test(attach, test_fork_keeps_writing);
	tcase_add_test(attach, test_shards_across_processes);
	tcase_add_test(attach, test_shard_owned_per_store);
	tcase_add_test(attach, test_fork_without_slot);
	tcase_add_test(attach, test_fork_without_lock_file);
	tcase_set_timeout(attach, 60);
	suite_add_tcase(s, attach);
	tcase_add_checked_fixture(kill, setup, teardown);
	tcase_add_test(kill, test_slots_reused);
	tcase_add_test(kill, test_kill_in_claim);
	tcase_add_loop_test(kill, test_kill_in_series_registration, 0,
	                    (int)(sizeof(kill_reg_cases) / sizeof(kill_reg_cases[0])));
	tcase_add_test(kill, test_kill_in_family_registration);
	tcase_add_test(kill, test_heartbeat_rolls_forward);
	tcase_add_test(kill, test_heartbeat_never_waits);
	tcase_add_test(kill, test_cancel_in_registration);
	tcase_add_test(kill, test_kill_in_histogram);
	tcase_add_test(kill, test_cleanup_recovers_histograms);
	tcase_add_test(kill, test_fork_during_attach);
	tcase_add_test(kill, test_random_kills);
	tcase_add_test(kill, test_shard_reclaim);
	tcase_set_timeout(kill, 60);
	suite_add_tcase(s, kill);
	tcase_add_checked_fixture(pw, setup, teardown);
	tcase_add_test(pw, test_per_writer_gauges);
	tcase_add_test(pw, test_per_writer_all);
	tcase_add_test(pw, test_per_writer_errors);
	tcase_add_test(pw, test_process_metrics);
	suite_add_tcase(s, pw);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(multi_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
