/* SPDX-License-Identifier: MIT */
/*
 * mstore_slot.c - writer slots, the parts that writers and readers share:
 * the guarded copy of a slot (mstore_slot_read), its verdict
 * (mstore_slot_judge), and the OFD locks that are the truth about a
 * writer's life (mstore_ofd_lock, mstore_ofd_free).  The protocol and why
 * it holds: "Writer slots" in mstore_layout.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "mstore_layout.h"

/* Tries for a copy that no claim disturbed; a claim writes a few words,
 * so a second try nearly always succeeds. */
#define SLOT_READ_TRIES 4

int
mstore_slot_read(const struct mstore_writer_rec *w, struct mstore_slot_view *out)
{
	uint32_t g1, g2, i;
	int tries;

	for (tries = 0; tries < SLOT_READ_TRIES; tries++) {
		g1 = atomic_load_explicit(&w->gen, memory_order_acquire);
		if (g1 == 0) {
			/* Never claimed: nothing to copy (most slots of a store
			 * with many are; a scan passes them at one load each). */
			memset(out, 0, sizeof(*out));
			return 1;
		}
		if (g1 & 1u)
			continue;
		out->gen = g1;
		out->state = atomic_load_explicit(&w->state, memory_order_relaxed);
		out->pid = atomic_load_explicit(&w->pid, memory_order_relaxed);
		out->start_time_ns = atomic_load_explicit(&w->start_time_ns, memory_order_relaxed);
		out->tick_interval_ns =
		        atomic_load_explicit(&w->tick_interval_ns, memory_order_relaxed);
		for (i = 0; i < MSTORE_BOOT_ID_LEN / 8; i++) {
			uint64_t word = atomic_load_explicit(&w->boot_id[i], memory_order_relaxed);

			memcpy(out->clock.boot_id + 8 * i, &word, sizeof word);
		}
		out->clock.boottime_offset_ns =
		        atomic_load_explicit(&w->boottime_offset_ns, memory_order_relaxed);
		/* The heartbeat changes without a claim: acquire, not guarded. */
		out->heartbeat_ns = atomic_load_explicit(&w->heartbeat_ns, memory_order_acquire);
		atomic_thread_fence(memory_order_acquire);
		g2 = atomic_load_explicit(&w->gen, memory_order_relaxed);
		if (g1 == g2)
			return 1;
	}
	return 0;
}

int
mstore_slot_valid(const struct mstore_slot_view *v)
{
	if (v->gen == 0) /* never claimed: nothing to say */
		return 1;
	if (v->state != MSTORE_SLOT_FREE && v->state != MSTORE_SLOT_LIVE)
		return 0;
	return v->tick_interval_ns > 0 && v->tick_interval_ns <= MSTORE_TICK_NS_MAX &&
	       mstore_beat_valid(&v->clock, v->heartbeat_ns);
}

int
mstore_slot_judge(const struct mstore_slot_view *v, int64_t limit_ns,
                  const struct mstore_clock_id *self, int64_t now, struct mstore_liveness *out)
{
	if (limit_ns <= 0)
		limit_ns = MSTORE_STALE_TICKS * v->tick_interval_ns;
	return mstore_beat_judge(&v->clock, v->heartbeat_ns, self, now, limit_ns, out);
}

static void
ofd_range(struct flock *fl, short type, uint64_t off)
{
	memset(fl, 0, sizeof *fl);
	fl->l_type = type;
	fl->l_whence = SEEK_SET;
	fl->l_start = (off_t)off;
	fl->l_len = 1;
	fl->l_pid = 0; /* required by the OFD commands */
}

int
mstore_ofd_lock(int fd, uint64_t off, short type, int wait)
{
	struct flock fl;
	int rc;

	ofd_range(&fl, type, off);
	do
		rc = fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl);
	while (rc != 0 && errno == EINTR);
	if (rc == 0)
		return 0;
	return !wait && (errno == EAGAIN || errno == EACCES) ? 1 : -1;
}

int
mstore_ofd_free(int fd, uint64_t off)
{
	struct flock fl;

	/* A read lock conflicts with the writers' write locks, and a query
	 * needs no write access (the reader's descriptor is O_RDONLY). */
	ofd_range(&fl, F_RDLCK, off);
	if (fcntl(fd, F_OFD_GETLK, &fl) != 0)
		return -1;
	return fl.l_type == F_UNLCK;
}
