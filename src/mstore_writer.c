/* SPDX-License-Identifier: MIT */
/*
 * mstore_writer.c - the writer's store handle: create the file (built
 * under a temporary name, then renamed into place) or attach to one, claim
 * and give back writer slots, the registration lock, the fork handlers,
 * the heartbeat, and the upkeep (cleanup of dead writers' slots, intents
 * they left, removed series whose reuse delay has passed).  Registration
 * and removal are mstore_register.c, rooms in the file mstore_alloc.c, the
 * update paths mstore_update.c; the protocols are in mstore_layout.h
 * ("Writer slots", "Registration and removal").
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mstore_writer.h"

/* A store is built as "path.tmp.PID" (tmp_name), then renamed. */
#define TMP_INFIX      ".tmp."
#define TMP_SUFFIX_FMT "%s" TMP_INFIX "%ld"
#define HASH_MIN_SLOTS 16u
#define MODE_MASK      07777
/* "/proc/self/fd/" and a decimal int (the fork handler's reopen). */
#define PROC_FD_PREFIX "/proc/self/fd/"
#define PROC_FD_MAX    (sizeof(PROC_FD_PREFIX) + 12)

void (*mstore_test_hook)(enum mstore_step step);

/*
 * The process's open store handles, for the fork handlers (mstore_fork_*)
 * and for thread exit (mstore_update.c gives a thread's shards back in
 * each).  With the shard state in mstore_update.c, this list is the
 * library's only global state.  Lock order: open_lock, then a store's lock.
 * A descriptor of the library's exists only while its handle is on the
 * list: create and attach hold open_lock from their open() through the
 * slot claim to open_add, and close from open_remove until after the
 * close().  fork_prepare takes open_lock, so a fork by another thread
 * waits, and every descriptor a child inherits is one fork_child sees and
 * replaces (a child must never keep a writer's locks alive).
 */
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mstore *open_stores;
static pthread_once_t process_once = PTHREAD_ONCE_INIT;
/* Store handle uids (mstore_update.c's shard keys): never reused. */
static _Atomic uint64_t next_uid = 1;

/* Region offsets and file size for a set of capacities. */
struct layout {
	uint64_t writer_off, family_off, series_off, index_off, value_off, string_off, file_size;
	uint32_t index_slots;
};

struct mstore *
mstore_open_first(void)
{
	return open_stores;
}

pthread_mutex_t *
mstore_open_lock(void)
{
	return &open_lock;
}

void
mstore_count_recovery(struct mstore *st, enum mstore_recovery kind, uint64_t n)
{
	if (n > 0)
		atomic_fetch_add_explicit(&st->hdr->recoveries[kind], n, memory_order_relaxed);
}

/* ------------------------------------------------------------ the list */

/* open_lock for create, attach and close, whose sections hold system
 * calls that are cancellation points (open, fcntl, close): a thread
 * cancelled in one would leave open_lock held, and every fork() of the
 * process waiting.  Cancellation waits until the section is over. */
static int open_cancel_state;

static void
open_lock_take(void)
{
	int old;

	(void)pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	(void)pthread_mutex_lock(&open_lock);
	open_cancel_state = old;
}

static void
open_lock_give(void)
{
	int old = open_cancel_state;

	(void)pthread_mutex_unlock(&open_lock);
	(void)pthread_setcancelstate(old, &old);
}

/* Both under open_lock (above). */
static void
open_add(struct mstore *st)
{
	st->next_open = open_stores;
	open_stores = st;
}

static void
open_remove(struct mstore *st)
{
	struct mstore **p;

	for (p = &open_stores; *p != NULL; p = &(*p)->next_open)
		if (*p == st) {
			*p = st->next_open;
			break;
		}
}

/* ------------------------------------------------------------ creation */

/* Its size is ABI: a new option takes a reserved word (mstore.h). */
_Static_assert(sizeof(struct mstore_options) == 96, "struct mstore_options keeps its size");

/* 1 if the reserved words of o are all zero. */
static int
options_reserved_zero(const struct mstore_options *o)
{
	size_t i;

	for (i = 0; i < sizeof(o->reserved) / sizeof(o->reserved[0]); i++)
		if (o->reserved[i] != 0)
			return 0;
	return o->reserved32 == 0;
}

static int
options_resolve(const struct mstore_options *in, struct mstore_options *o)
{
	static const struct mstore_options zero;

	*o = in != NULL ? *in : zero;
	if (!options_reserved_zero(o))
		return MSTORE_E_INVAL;
	if (o->max_families == 0)
		o->max_families = MSTORE_DEF_FAMILIES;
	if (o->max_series == 0)
		o->max_series = MSTORE_DEF_SERIES;
	if (o->value_slots == 0) {
		uint64_t v = (uint64_t)o->max_series * MSTORE_DEF_SLOTS_PER_SERIES;

		o->value_slots = v > MSTORE_CAP_SLOTS_MAX ? MSTORE_CAP_SLOTS_MAX : (uint32_t)v;
	}
	if (o->string_bytes == 0)
		o->string_bytes = MSTORE_DEF_STRINGS;
	if (o->tick_interval_ms == 0)
		o->tick_interval_ms = MSTORE_DEF_TICK_MS;
	if (o->max_writers == 0)
		o->max_writers = MSTORE_DEF_WRITERS;
	if (o->reuse_delay_ms == 0)
		o->reuse_delay_ms = MSTORE_DEF_REUSE_DELAY_MS;
	if (o->reuse_delay_ms > MSTORE_REUSE_DELAY_MAX_MS ||
	    o->max_families > MSTORE_CAP_FAMILIES_MAX || o->max_series > MSTORE_CAP_SERIES_MAX ||
	    o->value_slots > MSTORE_CAP_SLOTS_MAX || o->string_bytes > MSTORE_CAP_STRINGS_MAX ||
	    o->max_writers > MSTORE_MAX_WRITERS || (o->mode & ~(mode_t)MODE_MASK) != 0 ||
	    (o->flags & ~MSTORE_F_STATIC) != 0)
		return MSTORE_E_INVAL;
	return 0;
}

/* Entries of the shared index for max_series series (mstore_layout.h). */
static uint32_t
index_slots_for(uint32_t max_series)
{
	uint32_t n = HASH_MIN_SLOTS;

	while (n < 2 * (uint64_t)max_series)
		n *= 2;
	return n;
}

static uint64_t
region_after(uint64_t off, uint64_t count, uint64_t size)
{
	return mstore_align_up(off + count * size, MSTORE_REGION_ALIGN);
}

static void
layout_compute(const struct mstore_options *o, struct layout *l, uint64_t page)
{
	l->index_slots = index_slots_for(o->max_series);
	l->writer_off = MSTORE_HDR_SIZE;
	l->family_off = region_after(l->writer_off, o->max_writers, MSTORE_WRITER_REC_SIZE);
	l->series_off = region_after(l->family_off, o->max_families, MSTORE_FAMILY_REC_SIZE);
	l->index_off = region_after(l->series_off, o->max_series, MSTORE_SERIES_REC_SIZE);
	l->value_off = region_after(l->index_off, l->index_slots, MSTORE_INDEX_ENT_SIZE);
	l->string_off = region_after(l->value_off, o->value_slots, MSTORE_SLOT_SIZE);
	/* A page multiple, so the reader's guard page follows the last byte. */
	l->file_size = mstore_align_up(l->string_off + o->string_bytes, page);
}

/* The allocator of a new file: every list empty (mstore_layout.h). */
static void
alloc_init(struct mstore_alloc *a)
{
	uint32_t k;

	atomic_store_explicit(&a->limbo_head, MSTORE_NONE, memory_order_relaxed);
	a->limbo_tail = MSTORE_NONE;
	a->free_series = MSTORE_NONE;
	for (k = 0; k < MSTORE_VAL_CLASSES; k++)
		a->val_free[k].head = MSTORE_VLINK_END;
}

/* A random lock_nonce (mstore_layout.h, writer slots); without entropy
 * yet (early boot), the clocks and the pid mixed (splitmix64's finaliser):
 * it only has to differ from the replaced store's. */
static uint64_t
lock_nonce(void)
{
	uint64_t n;

	if (getrandom(&n, sizeof n, GRND_NONBLOCK) == (ssize_t)sizeof n)
		return n;
	n = (uint64_t)mstore_now_ns() ^ ((uint64_t)mstore_boottime_ns() << 17) ^
	    ((uint64_t)getpid() << 40);
	n = (n ^ (n >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	n = (n ^ (n >> 27)) * UINT64_C(0x94d049bb133111eb);
	return n ^ (n >> 31);
}

/* Fill the header of a new file; start is the creation time
 * (CLOCK_REALTIME). */
static void
header_init(struct mstore_hdr *h, const struct mstore_options *o, const struct layout *l,
            int64_t start)
{
	memcpy(h->magic, MSTORE_MAGIC, MSTORE_MAGIC_LEN);
	h->version_major = MSTORE_VERSION_MAJOR;
	h->version_minor = MSTORE_VERSION_MINOR;
	h->byte_order = MSTORE_BYTE_ORDER_MARK;
	h->header_size = MSTORE_HDR_SIZE;
	h->family_rec_size = MSTORE_FAMILY_REC_SIZE;
	h->series_rec_size = MSTORE_SERIES_REC_SIZE;
	h->slot_size = MSTORE_SLOT_SIZE;
	h->file_size = l->file_size;
	h->flags = o->flags;
	h->max_writers = o->max_writers;
	h->creator_pid = (int64_t)getpid();
	h->start_time_ns = start;
	h->tick_interval_ns = (int64_t)o->tick_interval_ms * MSTORE_NS_PER_MS;
	h->family_off = l->family_off;
	h->series_off = l->series_off;
	h->value_off = l->value_off;
	h->string_off = l->string_off;
	h->max_families = o->max_families;
	h->max_series = o->max_series;
	h->value_slots = o->value_slots;
	h->string_bytes = o->string_bytes;
	h->writer_off = l->writer_off;
	h->index_off = l->index_off;
	h->writer_rec_size = MSTORE_WRITER_REC_SIZE;
	h->index_slots = l->index_slots;
	h->reuse_delay_ms = o->reuse_delay_ms;
	h->lock_nonce = lock_nonce();
	/* Everything else is zero (a fresh file); byte 0 of the string
	 * region is the shared empty string. */
	atomic_store_explicit(&h->strings_used, 1, memory_order_relaxed);
	h->strings_top = 1;
	alloc_init(&h->alloc);
}

/* Point the handle into the mapping, from the (validated) header. */
static void
store_adopt(struct mstore *st, unsigned char *map, size_t len)
{
	struct mstore_hdr *h = (struct mstore_hdr *)(void *)map;

	st->map = map;
	st->map_len = len;
	st->hdr = h;
	st->wrec = (struct mstore_writer_rec *)(void *)(map + h->writer_off);
	st->frec = (struct mstore_family_rec *)(void *)(map + h->family_off);
	st->srec = (struct mstore_series_rec *)(void *)(map + h->series_off);
	st->index = (struct mstore_index_ent *)(void *)(map + h->index_off);
	st->slots = (_Atomic uint64_t *)(void *)(map + h->value_off);
	st->strings = (char *)(map + h->string_off);
	st->max_writers = h->max_writers;
	st->max_families = h->max_families;
	st->max_series = h->max_series;
	st->value_slots = h->value_slots;
	st->string_bytes = h->string_bytes;
	st->index_mask = h->index_slots - 1;
	st->reuse_delay_ms = h->reuse_delay_ms;
	st->lock_base = mstore_lock_base(h->lock_nonce);
}

/* A handle with private caches for a store of these capacities; no lock
 * file yet (fd -1).  NULL with errno set. */
static struct mstore *
store_alloc(uint32_t max_families, uint32_t max_series, uint32_t tick_ms, const char *path)
{
	struct mstore *st = calloc(1, sizeof(*st));
	size_t hsize = HASH_MIN_SLOTS;

	if (st == NULL)
		return NULL;
	st->fd = -1;
	st->tick_ms = tick_ms;
	st->uid = atomic_fetch_add_explicit(&next_uid, 1, memory_order_relaxed);
	atomic_init(&st->slot, MSTORE_NONE);
	while (hsize < (size_t)max_series * 2)
		hsize *= 2;
	st->hmask = hsize - 1;
	st->fams = calloc(max_families, sizeof(*st->fams));
	st->series = calloc(max_series, sizeof(*st->series));
	st->htab = calloc(hsize, sizeof(*st->htab));
	st->path = malloc(strlen(path) + sizeof(MSTORE_LOCK_SUFFIX));
	if (st->path != NULL)
		(void)strcat(strcpy(st->path, path), MSTORE_LOCK_SUFFIX);
	if (st->fams == NULL || st->series == NULL || st->htab == NULL || st->path == NULL ||
	    (errno = pthread_mutex_init(&st->lock, NULL)) != 0) {
		free(st->fams);
		free(st->series);
		free(st->htab);
		free(st->path);
		free(st);
		return NULL;
	}
	return st;
}

/* Free the handle and what it holds (the mapping and descriptor too). */
static void
store_free(struct mstore *st)
{
	mstore_proc_free(st);
	mstore_register_free(st);
	if (st->map != NULL)
		(void)munmap(st->map, st->map_len);
	if (st->fd >= 0)
		(void)close(st->fd); /* drops our locks; nothing else to lose */
	free(st->fams);
	free(st->series);
	free(st->htab);
	free(st->path);
	(void)pthread_mutex_destroy(&st->lock);
	free(st);
}

static char *
tmp_name(const char *path)
{
	int n = snprintf(NULL, 0, TMP_SUFFIX_FMT, path, (long)getpid());
	char *s;

	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
		return NULL;
	if (snprintf(s, (size_t)n + 1, TMP_SUFFIX_FMT, path, (long)getpid()) != n) {
		free(s);
		errno = EINVAL;
		return NULL;
	}
	return s;
}

/* The lock file's mode for a store of mode m: the store's write
 * permissions, as read and write (mstore_layout.h, writer slots). */
static mode_t
lock_mode(mode_t m)
{
	return ((m & 0222) << 1) | (m & 0222);
}

/* Open (or create, mode from the store's mode) the lock file st->path for
 * the handle: a description of its own, whose OFD locks are our identity
 * (mstore_layout.h, writer slots).  0, or E_SYS / E_NOT_REGULAR (errno). */
static int
lock_open(struct mstore *st, mode_t store_mode)
{
	int flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, created = 1, fd, saved;
	struct stat sb;

	fd = open(st->path, flags | O_CREAT | O_EXCL, lock_mode(store_mode));
	if (fd < 0 && errno == EEXIST) {
		created = 0;
		fd = open(st->path, flags);
	}
	if (fd < 0)
		return MSTORE_E_SYS;
	if (fstat(fd, &sb) != 0 || (created && fchmod(fd, lock_mode(store_mode)) != 0)) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return MSTORE_E_SYS;
	}
	if (!S_ISREG(sb.st_mode)) {
		(void)close(fd);
		errno = EINVAL;
		return MSTORE_E_NOT_REGULAR;
	}
	st->fd = fd;
	st->dev = sb.st_dev;
	st->ino = sb.st_ino;
	return 0;
}

/* Create, size and map the temporary file (its descriptor closed: the
 * mapping keeps the file); *fmode gets its mode.  On failure nothing is
 * left behind: returns -1, errno set. */
static int
tmp_create(struct mstore *st, const char *tmp, const struct mstore_options *o,
           const struct layout *l, mode_t *fmode)
{
	mode_t mode = o->mode != 0 ? o->mode : MSTORE_DEF_MODE;
	struct stat sb;
	void *p = MAP_FAILED;
	int fd, saved;

	/* A temp file with our pid is left over by a dead process that had it. */
	if (unlink(tmp) != 0 && errno != ENOENT)
		return -1;
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	if ((o->mode != 0 && fchmod(fd, o->mode) != 0) || ftruncate(fd, (off_t)l->file_size) != 0 ||
	    fstat(fd, &sb) != 0)
		goto fail;
	p = mmap(NULL, (size_t)l->file_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	(void)close(fd);
	*fmode = sb.st_mode & MODE_MASK;
	st->map = p;
	st->map_len = (size_t)l->file_size;
	return 0;
fail:
	saved = errno;
	(void)close(fd);
	(void)unlink(tmp);
	errno = saved;
	return -1;
}

/* 1 if name is base + ".tmp." + a pid (decimal, no sign or leading
 * zero, as tmp_name() writes it); the pid goes to *pid. */
static int
stale_tmp_pid(const char *name, const char *base, size_t blen, pid_t *pid)
{
	const char *d = name + blen + sizeof(TMP_INFIX) - 1;
	long v = 0;

	if (strncmp(name, base, blen) != 0 ||
	    strncmp(name + blen, TMP_INFIX, sizeof(TMP_INFIX) - 1) != 0 || *d < '1' || *d > '9')
		return 0;
	for (; *d != '\0'; d++) {
		if (*d < '0' || *d > '9' || v > (INT_MAX - (*d - '0')) / 10)
			return 0;
		v = v * 10 + (*d - '0');
	}
	*pid = (pid_t)v;
	return 1;
}

/* Remove name (in directory dfd) if it is a regular file (not followed if
 * a symlink) left by process pid, which no longer exists.  kill(pid, 0)
 * fails with ESRCH only for a pid that is not in use in our pid
 * namespace (EPERM: alive, someone else's). */
static void
stale_tmp_remove(int dfd, const char *name, pid_t pid)
{
	struct stat sb;

	if (pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH)
		return;
	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(sb.st_mode))
		return;
	/* unlinkat never follows a symlink swapped in meanwhile: it removes
	 * the link itself. */
	(void)unlinkat(dfd, name, 0);
}

/*
 * A writer killed inside mstore_create() leaves a full-size "path.tmp.PID"
 * behind.  Remove those of dead processes; best effort, errno preserved.
 * Our own pid's file is handled by tmp_create().
 */
static void
stale_tmp_sweep(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;
	size_t blen = strlen(base);
	char *dname = slash != NULL ? strndup(path, (size_t)(slash - path)) : NULL;
	int saved = errno, dfd;
	struct dirent *e;
	DIR *dir;
	pid_t pid;

	if (blen == 0 || (slash != NULL && dname == NULL))
		goto out;
	dfd = open(slash == NULL   ? "."
	           : slash == path ? "/"
	                           : dname,
	           O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || (dir = fdopendir(dfd)) == NULL) {
		if (dfd >= 0)
			(void)close(dfd);
		goto out;
	}
	while ((e = readdir(dir)) != NULL)
		if (stale_tmp_pid(e->d_name, base, blen, &pid))
			stale_tmp_remove(dfd, e->d_name, pid);
	(void)closedir(dir);
out:
	free(dname);
	errno = saved;
}

static void
set_err(int *err, int code)
{
	if (err != NULL)
		*err = code;
}

/* ------------------------------------------------ the registration lock */

static int store_reopen(struct mstore *st);

/* The registration lock; wait 0: 1 if another process holds it.  A forked
 * child whose fork-time reopen failed reopens the lock file here first;
 * if that fails too, the handle has lost it for good (st->lost): every
 * later call fails at once with the same errno.  Thread cancellation is
 * off from here to mstore_reg_unlock(): the reopen and F_OFD_SETLKW are
 * cancellation points, and a thread cancelled there would leave st->lock
 * held for good (the only cancellation points of st->lock's sections are
 * inside the registration lock). */
static int
reg_lock(struct mstore *st, int wait)
{
	int rc, old;

	(void)pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	if (st->fd < 0) {
		if (st->lost == 0 && store_reopen(st) != 0)
			st->lost = errno != 0 ? errno : EBADF;
		if (st->lost != 0) {
			(void)pthread_setcancelstate(old, &old);
			errno = st->lost;
			return MSTORE_E_SYS;
		}
	}
	rc = mstore_ofd_lock(st->fd, st->lock_base + MSTORE_LOCK_REGISTRY, F_WRLCK, wait);
	if (rc != 0) {
		int saved = errno;

		(void)pthread_setcancelstate(old, &old);
		errno = saved;
		return rc < 0 ? MSTORE_E_SYS : 1;
	}
	st->cancel_state = old;
	mstore_intent_recover(st);
	/* Nothing may look a series up or take a room from lists a dead
	 * writer (or a late update) left half done. */
	if (st->hdr->alloc.dirty && mstore_alloc_rebuild(st) != 0) {
		int saved = errno;

		mstore_reg_unlock(st);
		errno = saved;
		return MSTORE_E_SYS;
	}
	return 0;
}

int
mstore_reg_lock(struct mstore *st)
{
	return reg_lock(st, 1);
}

void
mstore_reg_unlock(struct mstore *st)
{
	int old = st->cancel_state;

	/* Cannot fail for a lock we hold on a valid descriptor; closing the
	 * descriptor would drop it anyway. */
	(void)mstore_ofd_lock(st->fd, st->lock_base + MSTORE_LOCK_REGISTRY, F_UNLCK, 0);
	(void)pthread_setcancelstate(old, &old);
}

/* ------------------------------------------------------- writer slots */

static uint64_t
slot_lock_off(const struct mstore *st, uint32_t w)
{
	return mstore_slot_lock_off(st->lock_base, w);
}

/*
 * Clean up slot w, whose owner died (mstore_layout.h, "Writer slots"):
 * the caller holds the registration lock and w's byte lock.  Histograms
 * and shards first, the state last, so that a cleaner killed midway leaves
 * w to the next one.
 */
static void
slot_cleanup(struct mstore *st, uint32_t w)
{
	uint32_t shards = 0, hists = mstore_slot_sweep(st, w, 1, &shards);

	mstore_step(MSTORE_STEP_CLEANUP_SWEPT);
	atomic_store_explicit(&st->wrec[w].state, MSTORE_SLOT_FREE, memory_order_release);
	mstore_count_recovery(st, MSTORE_RECOVERY_HISTOGRAM, hists);
	mstore_count_recovery(st, MSTORE_RECOVERY_SHARD, shards);
	mstore_count_recovery(st, MSTORE_RECOVERY_SLOT, 1);
}

/* The claim's section (mstore_layout.h): identity and per-writer values
 * rewritten between an odd and the next even gen.  0, or E_SYS (clock). */
static int
slot_init(struct mstore *st, uint32_t w)
{
	struct mstore_writer_rec *r = &st->wrec[w];
	const struct mstore_clock_id *c = mstore_clock_self();
	uint32_t g = atomic_load_explicit(&r->gen, memory_order_relaxed);
	int64_t now = mstore_now_ns(), beat = mstore_boottime_ns();
	uint32_t i;

	if (now < 0 || beat < 0)
		return MSTORE_E_SYS;
	g += (g & 1u) ? 2u : 1u; /* a new odd value (a dead claimer may have left one) */
	atomic_store_explicit(&r->gen, g, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&r->pid, (int64_t)getpid(), memory_order_relaxed);
	atomic_store_explicit(&r->start_time_ns, now, memory_order_relaxed);
	atomic_store_explicit(&r->tick_interval_ns, (int64_t)st->tick_ms * MSTORE_NS_PER_MS,
	                      memory_order_relaxed);
	for (i = 0; i < MSTORE_BOOT_ID_LEN / 8; i++) {
		uint64_t word;

		memcpy(&word, c->boot_id + 8 * i, sizeof word);
		atomic_store_explicit(&r->boot_id[i], word, memory_order_relaxed);
	}
	atomic_store_explicit(&r->boottime_offset_ns, c->boottime_offset_ns, memory_order_relaxed);
	atomic_store_explicit(&r->heartbeat_ns, beat, memory_order_relaxed);
	atomic_store_explicit(&st->coarse_ns, mstore_native_time(beat), memory_order_relaxed);
	(void)mstore_slot_sweep(st, w, 0, NULL);
	mstore_step(MSTORE_STEP_CLAIM_RESET);
	atomic_store_explicit(&r->state, MSTORE_SLOT_LIVE, memory_order_relaxed);
	atomic_store_explicit(&r->gen, g + 1u, memory_order_release);
	return 0;
}

/* Under the registration lock: claim a free writer slot (cleaning up one
 * a dead process left).  The slot, or E_NO_WRITER, E_SYS. */
static int
slot_claim(struct mstore *st)
{
	uint32_t w;
	int rc;

	for (w = 0; w < st->max_writers; w++) {
		rc = mstore_ofd_lock(st->fd, slot_lock_off(st, w), F_WRLCK, 0);
		if (rc == 1)
			continue; /* a live writer holds it */
		if (rc != 0)
			return MSTORE_E_SYS;
		if (atomic_load_explicit(&st->wrec[w].state, memory_order_relaxed) !=
		    MSTORE_SLOT_FREE)
			slot_cleanup(st, w);
		rc = slot_init(st, w);
		if (rc != 0) {
			int saved = errno;

			(void)mstore_ofd_lock(st->fd, slot_lock_off(st, w), F_UNLCK, 0);
			errno = saved;
			return rc;
		}
		atomic_store_explicit(&st->seq_tag,
		                      ((uint64_t)w << MSTORE_SEQ_OWNER_SHIFT) | MSTORE_SEQ_LOCKED,
		                      memory_order_relaxed);
		atomic_store_explicit(&st->slot, w, memory_order_release);
		return (int)w;
	}
	return MSTORE_E_NO_WRITER;
}

/* Open the lock file again for a forked child whose fork-time reopen
 * failed: it must be the same file (device and inode), or the child has
 * lost it. */
static int
store_reopen(struct mstore *st)
{
	struct stat sb;
	int fd = open(st->path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return MSTORE_E_SYS;
	if (fstat(fd, &sb) != 0 || sb.st_dev != st->dev || sb.st_ino != st->ino) {
		(void)close(fd);
		errno = ESTALE;
		return MSTORE_E_SYS;
	}
	st->fd = fd;
	return 0;
}

int
mstore_identity_slow(struct mstore *st)
{
	int rc;

	if ((errno = pthread_mutex_lock(&st->lock)) != 0)
		return MSTORE_E_SYS;
	rc = (int)atomic_load_explicit(&st->slot, memory_order_relaxed);
	if ((uint32_t)rc == MSTORE_NONE) {
		if ((rc = mstore_reg_lock(st)) == 0) {
			rc = slot_claim(st);
			mstore_reg_unlock(st);
		}
		/* counters use SHARED without asking again */
		atomic_store_explicit(&st->no_slot, rc == MSTORE_E_NO_WRITER || st->lost != 0,
		                      memory_order_relaxed);
	}
	(void)pthread_mutex_unlock(&st->lock);
	return rc;
}

/* -------------------------------------------------------------- fork */

/* "/proc/self/fd/N" without snprintf (the child of a multithreaded
 * parent may only call async-signal-safe functions). */
static void
proc_fd_path(char *buf, int fd)
{
	char digits[12];
	size_t n = 0, i = sizeof(PROC_FD_PREFIX) - 1;

	memcpy(buf, PROC_FD_PREFIX, i);
	do
		digits[n++] = (char)('0' + fd % 10);
	while ((fd /= 10) > 0);
	while (n > 0)
		buf[i++] = digits[--n];
	buf[i] = '\0';
}

/*
 * In the child: a description of its own for each store (mstore_layout.h,
 * "Writer slots": the inherited one carries the parent's locks, which must
 * not outlive the parent), no slot, no seq owner tag and no shards yet.
 */
static void
fork_child_store(struct mstore *st)
{
	char path[PROC_FD_MAX];
	int fd = -1;

	if (st->fd >= 0) {
		proc_fd_path(path, st->fd);
		fd = open(path, O_RDWR | O_CLOEXEC);
		(void)close(st->fd); /* the parent's locks stay with the parent */
	}
	st->fd = fd; /* -1: reopened from the path at the first claim */
	st->lost = 0;
	atomic_store_explicit(&st->slot, MSTORE_NONE, memory_order_relaxed);
	atomic_store_explicit(&st->seq_tag, 0, memory_order_relaxed);
	atomic_store_explicit(&st->owned, 0, memory_order_relaxed);
	atomic_store_explicit(&st->no_slot, 0, memory_order_relaxed);
}

/* Before fork: no thread may be inside a registration or claim while the
 * child's copy of memory is taken. */
static void
fork_prepare(void)
{
	struct mstore *st;

	(void)pthread_mutex_lock(&open_lock);
	for (st = open_stores; st != NULL; st = st->next_open)
		(void)pthread_mutex_lock(&st->lock);
}

static void
fork_parent(void)
{
	struct mstore *st;

	for (st = open_stores; st != NULL; st = st->next_open)
		(void)pthread_mutex_unlock(&st->lock);
	(void)pthread_mutex_unlock(&open_lock);
}

static void
fork_child(void)
{
	struct mstore *st;

	mstore_shards_fork_child();
	for (st = open_stores; st != NULL; st = st->next_open) {
		fork_child_store(st);
		(void)pthread_mutex_unlock(&st->lock);
	}
	(void)pthread_mutex_unlock(&open_lock);
}

/* Once per process, before its first store.  Without the fork handlers a
 * forked child would write as its parent (its slot, its locks, its
 * shards): create and attach then fail (forkable stays 0). */
static int forkable;

static void
process_init(void)
{
	if (pthread_atfork(fork_prepare, fork_parent, fork_child) != 0)
		return;
	forkable = 1;
	mstore_shards_init();
}

/* The process-wide setup for create and attach: 0, or E_SYS (ENOMEM:
 * pthread_atfork failed). */
static int
process_ready(void)
{
	(void)pthread_once(&process_once, process_init);
	if (forkable)
		return 0;
	errno = ENOMEM;
	return MSTORE_E_SYS;
}

/* ------------------------------------------------------------- open */

/* Claim our first slot (create, attach): the registration lock around
 * it; the handle is not shared yet. */
static int
store_first_claim(struct mstore *st)
{
	int rc = mstore_reg_lock(st);

	if (rc != 0)
		return rc;
	rc = slot_claim(st);
	mstore_reg_unlock(st);
	return rc < 0 ? rc : 0;
}

struct mstore *
mstore_create(const char *path, const struct mstore_options *opts, int *err)
{
	struct mstore_options o;
	struct layout l;
	struct mstore *st = NULL;
	char *tmp = NULL;
	int64_t start;
	int rc = MSTORE_E_SYS, saved;
	long page = sysconf(_SC_PAGESIZE);
	mode_t fmode;

	if (path == NULL || *path == '\0' || page <= 0 || options_resolve(opts, &o) != 0) {
		set_err(err, mstore_fail(MSTORE_E_INVAL));
		return NULL;
	}
	layout_compute(&o, &l, (uint64_t)page);
	if (process_ready() != 0) {
		set_err(err, mstore_fail(MSTORE_E_SYS));
		return NULL;
	}
	stale_tmp_sweep(path);
	open_lock_take();
	if ((start = mstore_now_ns()) < 0 ||
	    (st = store_alloc(o.max_families, o.max_series, o.tick_interval_ms, path)) == NULL ||
	    (tmp = tmp_name(path)) == NULL || tmp_create(st, tmp, &o, &l, &fmode) != 0)
		goto fail;
	header_init((struct mstore_hdr *)(void *)st->map, &o, &l, start);
	store_adopt(st, st->map, st->map_len);
	if ((rc = lock_open(st, fmode)) != 0 || (rc = store_first_claim(st)) != 0 ||
	    rename(tmp, path) != 0) {
		rc = rc != 0 ? rc : MSTORE_E_SYS;
		saved = errno;
		(void)unlink(tmp);
		errno = saved;
		goto fail;
	}
	free(tmp);
	open_add(st);
	open_lock_give();
	set_err(err, 0);
	return st;
fail:
	saved = errno;
	if (st != NULL)
		store_free(st);
	open_lock_give();
	free(tmp);
	errno = saved;
	set_err(err, mstore_fail(rc));
	return NULL;
}

/* attach: only the tick may be chosen; the file fixes everything else. */
static int
attach_options(const struct mstore_options *in, uint32_t *tick_ms)
{
	struct mstore_options o;

	*tick_ms = MSTORE_DEF_TICK_MS;
	if (in == NULL)
		return 0;
	o = *in;
	if (o.tick_interval_ms != 0)
		*tick_ms = o.tick_interval_ms;
	o.tick_interval_ms = 0;
	return o.max_families == 0 && o.max_series == 0 && o.value_slots == 0 &&
	                       o.string_bytes == 0 && o.mode == 0 && o.flags == 0 &&
	                       o.max_writers == 0 && o.reuse_delay_ms == 0 &&
	                       options_reserved_zero(&o)
	               ? 0
	               : MSTORE_E_INVAL;
}

/* Open and map path read-write and check it as a reader would.  Returns
 * 0 with *map, *len and the file's *sb, or a code (nothing left open);
 * the descriptor is closed either way (the mapping keeps the file). */
static int
attach_map(const char *path, unsigned char **map, size_t *len, struct stat *sb)
{
	void *p;
	int rc, saved, fd;

	/* O_NONBLOCK: a FIFO at path must not hang us (S_ISREG refuses it). */
	fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errno == EISDIR ? MSTORE_E_NOT_REGULAR : MSTORE_E_SYS;
	rc = fstat(fd, sb) != 0                     ? MSTORE_E_SYS
	     : !S_ISREG(sb->st_mode)                ? MSTORE_E_NOT_REGULAR
	     : sb->st_size < (off_t)MSTORE_HDR_SIZE ? MSTORE_E_TRUNCATED
	                                            : 0;
	if (rc == 0) {
		p = mmap(NULL, (size_t)sb->st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			rc = MSTORE_E_SYS;
		} else {
			*map = p;
			*len = (size_t)sb->st_size;
			if ((rc = mstore_check_file(p, *len)) != 0)
				(void)munmap(p, *len);
		}
	}
	saved = errno;
	(void)close(fd);
	errno = saved;
	return rc;
}

struct mstore *
mstore_attach(const char *path, const struct mstore_options *opts, int *err)
{
	const struct mstore_hdr *h;
	struct mstore *st;
	unsigned char *map;
	struct stat sb;
	uint32_t tick_ms;
	size_t len;
	int rc, saved;

	if (path == NULL || *path == '\0' || attach_options(opts, &tick_ms) != 0) {
		set_err(err, mstore_fail(MSTORE_E_INVAL));
		return NULL;
	}
	if ((rc = process_ready()) != 0 || (rc = attach_map(path, &map, &len, &sb)) != 0) {
		set_err(err, mstore_fail(rc));
		return NULL;
	}
	h = (const struct mstore_hdr *)(const void *)map;
	st = store_alloc(h->max_families, h->max_series, tick_ms, path);
	if (st == NULL) {
		saved = errno;
		(void)munmap(map, len);
		errno = saved;
		set_err(err, mstore_fail(MSTORE_E_SYS));
		return NULL;
	}
	store_adopt(st, map, len);
	open_lock_take();
	if ((rc = lock_open(st, sb.st_mode & MODE_MASK)) != 0 ||
	    (rc = store_first_claim(st)) != 0) {
		saved = errno;
		store_free(st);
		open_lock_give();
		errno = saved;
		set_err(err, mstore_fail(rc));
		return NULL;
	}
	open_add(st);
	open_lock_give();
	set_err(err, 0);
	return st;
}

void
mstore_close(struct mstore *st)
{
	uint32_t w;

	if (st == NULL)
		return;
	open_lock_take();
	open_remove(st);
	w = atomic_load_explicit(&st->slot, memory_order_acquire);
	if (w != MSTORE_NONE) {
		/* Shards first, then the state: a reader that sees the slot
		 * FREE no longer counts its values; the lock goes with the
		 * lock file's descriptor (store_free). */
		mstore_shards_release(st);
		atomic_store_explicit(&st->wrec[w].state, MSTORE_SLOT_FREE, memory_order_release);
	}
	store_free(st);
	open_lock_give();
}

/* ----------------------------------------------------- heartbeat, upkeep */

/* Slots that look dead: LIVE, heartbeat older than MSTORE_SUSPECT_TICKS
 * of their ticks, and no lock held on them.  Marks them in dead[];
 * returns how many. */
static uint32_t
upkeep_suspects(struct mstore *st, uint32_t self, unsigned char *dead)
{
	struct mstore_slot_view v;
	struct mstore_liveness l;
	int64_t now = mstore_boottime_ns();
	uint32_t w, n = 0;

	for (w = 0; w < st->max_writers; w++) {
		dead[w] = 0;
		if (w == self || mstore_slot_read(&st->wrec[w], &v) != 1 ||
		    v.state != MSTORE_SLOT_LIVE || !mstore_slot_valid(&v))
			continue;
		if (mstore_slot_judge(&v, MSTORE_SUSPECT_TICKS * v.tick_interval_ns,
		                      mstore_clock_self(), now, &l) == 1)
			continue;
		if (mstore_ofd_free(st->fd, slot_lock_off(st, w)) == 1) {
			dead[w] = 1;
			n++;
		}
	}
	return n;
}

/* Under the registration lock: clean up the suspects whose lock we get
 * (a writer that has just claimed one holds it: skipped). */
static void
upkeep_clean(struct mstore *st, const unsigned char *dead)
{
	uint32_t w;

	for (w = 0; w < st->max_writers; w++) {
		if (!dead[w] || mstore_ofd_lock(st->fd, slot_lock_off(st, w), F_WRLCK, 0) != 0)
			continue;
		if (atomic_load_explicit(&st->wrec[w].state, memory_order_relaxed) !=
		    MSTORE_SLOT_FREE)
			slot_cleanup(st, w);
		(void)mstore_ofd_lock(st->fd, slot_lock_off(st, w), F_UNLCK, 0);
	}
}

/* The store's upkeep (mstore_heartbeat): dead writers' slots, an intent
 * left behind, removed series whose rooms are due.  Takes the locks only
 * when there is something to do, and never waits for them: a holder that
 * is stopped (SIGSTOP, a debugger, swapped out) inside a registration must
 * not hang every other writer's heartbeat, nor a fork() waiting for it;
 * the next tick tries again. */
static int
upkeep(struct mstore *st, uint32_t self)
{
	unsigned char dead[MSTORE_MAX_WRITERS];
	int rc;

	if (upkeep_suspects(st, self, dead) == 0 &&
	    atomic_load_explicit(&st->hdr->intent.op, memory_order_relaxed) == MSTORE_INTENT_NONE &&
	    !mstore_limbo_due(st))
		return 0;
	if ((rc = pthread_mutex_trylock(&st->lock)) != 0) {
		errno = rc;
		return rc == EBUSY ? 0 : MSTORE_E_SYS;
	}
	if ((rc = reg_lock(st, 0)) == 0) { /* also recovers the intent */
		upkeep_clean(st, dead);
		mstore_limbo_expire(st);
		mstore_reg_unlock(st);
	}
	(void)pthread_mutex_unlock(&st->lock);
	return rc < 0 ? rc : 0;
}

int
mstore_heartbeat(struct mstore *st)
{
	int64_t now;
	int w, rc;

	if (st == NULL)
		return mstore_fail(MSTORE_E_INVAL);
	if ((w = mstore_identity(st)) < 0)
		return mstore_fail(w);
	if ((now = mstore_boottime_ns()) < 0)
		return mstore_fail(MSTORE_E_SYS);
	atomic_store_explicit(&st->wrec[w].heartbeat_ns, now, memory_order_release);
	atomic_store_explicit(&st->coarse_ns, mstore_native_time(now), memory_order_relaxed);
	rc = upkeep(st, (uint32_t)w);
	if (st->proc != NULL)
		(void)mstore_proc_update(st); /* unreadable /proc: the last values stay */
	return rc != 0 ? mstore_fail(rc) : 0;
}

const char *
mstore_recovery_name(enum mstore_recovery kind)
{
#define RECOVERY_NAME(name, label) [name] = label,
	static const char *const names[] = { MSTORE_RECOVERY_MAP(RECOVERY_NAME) };
#undef RECOVERY_NAME

	return (unsigned)kind < MSTORE_RECOVERY_KINDS ? names[kind] : NULL;
}

const char *
mstore_refusal_name(enum mstore_refusal kind)
{
#define REFUSAL_NAME(name, label) [name] = label,
	static const char *const names[] = { MSTORE_REFUSAL_MAP(REFUSAL_NAME) };
#undef REFUSAL_NAME

	return (unsigned)kind < MSTORE_REFUSAL_KINDS ? names[kind] : NULL;
}
