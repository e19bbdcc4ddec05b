/* SPDX-License-Identifier: MIT */
/*
 * testutil.c - temporary directories, file helpers and a sample store for
 * the Check suites (see testutil.h).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mstore_layout.h"
#include "testutil.h"

#define TU_TEMPLATE "mstore-test.XXXXXX"

int
tu_dir_make(struct tu_dir *d)
{
	const char *base = getenv("TMPDIR");
	int n;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	n = snprintf(d->path, sizeof(d->path), "%s/%s", base, TU_TEMPLATE);
	if (n < 0 || (size_t)n >= sizeof(d->path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return mkdtemp(d->path) != NULL ? 0 : -1;
}

void
tu_dir_remove(const struct tu_dir *d)
{
	DIR *dir = opendir(d->path);
	struct dirent *e;
	char buf[TU_PATH_MAX];

	if (dir == NULL)
		return;
	while ((e = readdir(dir)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (tu_path(d, e->d_name, buf, sizeof(buf)) != NULL && unlink(buf) != 0)
			(void)rmdir(buf); /* a test may have made a directory */
	}
	(void)closedir(dir);
	(void)rmdir(d->path);
}

const char *
tu_path(const struct tu_dir *d, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", d->path, name);

	return n >= 0 && (size_t)n < len ? buf : NULL;
}

int
tu_dir_count(const struct tu_dir *d)
{
	DIR *dir = opendir(d->path);
	struct dirent *e;
	int n = 0;

	if (dir == NULL)
		return -1;
	while ((e = readdir(dir)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	(void)closedir(dir);
	return n;
}

void *
tu_read_file(const char *path, size_t *len)
{
	struct stat sb;
	unsigned char *buf = NULL;
	size_t done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &sb) != 0 || (buf = malloc((size_t)sb.st_size + 1)) == NULL)
		goto fail;
	while (done < (size_t)sb.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)sb.st_size - done);

		if (n <= 0)
			goto fail;
		done += (size_t)n;
	}
	(void)close(fd);
	*len = done;
	return buf;
fail:
	free(buf);
	(void)close(fd);
	return NULL;
}

static int
write_all(int fd, const void *data, size_t len, off_t off)
{
	const unsigned char *p = data;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n <= 0)
			return -1;
		p += n;
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

int
tu_write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int rc;

	if (fd < 0)
		return -1;
	rc = write_all(fd, data, len, 0);
	if (close(fd) != 0)
		rc = -1;
	return rc;
}

int
tu_patch(const char *path, off_t off, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = write_all(fd, data, len, off);
	if (close(fd) != 0)
		rc = -1;
	return rc;
}

static int
sample_counter(struct mstore *st)
{
	static const char *const labels[] = { "method", "code" };
	static const char *const get200[] = { "GET", "200" };
	static const char *const post200[] = { "POST", "200" };
	static const char *const get500[] = { "GET", "500" };
	struct mstore_family *f;
	struct mstore_series *a, *b, *c;

	if (mstore_counter_family(st, "tu_requests_total", "Requests served.", NULL, 2, labels,
	                          &f) != 0 ||
	    mstore_series_get(f, get200, &a) != 0 || mstore_series_get(f, post200, &b) != 0 ||
	    mstore_series_get(f, get500, &c) != 0)
		return -1;
	if (mstore_counter_inc(a) != 0 || mstore_counter_inc(a) != 0 ||
	    mstore_counter_inc(a) != 0 || mstore_counter_add(b, 2.5) != 0)
		return -1;
	return 0;
}

static int
sample_gauge(struct mstore *st)
{
	struct mstore_family *f, *e;
	struct mstore_series *s;

	if (mstore_gauge_family(st, "tu_temperature_celsius", "Temperature.", "celsius", 0, NULL,
	                        &f) != 0 ||
	    mstore_series_get(f, NULL, &s) != 0 || mstore_gauge_set(s, 21.5) != 0)
		return -1;
	return mstore_gauge_family(st, "tu_empty", NULL, NULL, 0, NULL, &e) != 0 ? -1 : 0;
}

static int
sample_histogram(struct mstore *st)
{
	static const char *const labels[] = { "route" };
	static const char *const root[] = { "/" };
	static const char *const cart[] = { "/cart" };
	static const double bounds[] = { 0.1, 1, 10 };
	static const double obs[] = { 0.05, 0.5, 5, 50 };
	struct mstore_family *f;
	struct mstore_series *a, *b;
	size_t i;

	if (mstore_histogram_family(st, "tu_latency_seconds", "Latency.", "seconds", 1, labels, 3,
	                            bounds, &f) != 0 ||
	    mstore_series_get(f, root, &a) != 0 || mstore_series_get(f, cart, &b) != 0)
		return -1;
	for (i = 0; i < sizeof(obs) / sizeof(obs[0]); i++)
		if (mstore_histogram_observe(a, obs[i]) != 0)
			return -1;
	return 0;
}

struct mstore *
tu_sample_store(const char *path, const struct mstore_options *opts, int *err)
{
	struct mstore *st = mstore_create(path, opts, err);

	if (st == NULL)
		return NULL;
	if (sample_counter(st) != 0 || sample_gauge(st) != 0 || sample_histogram(st) != 0) {
		if (err != NULL)
			*err = MSTORE_E_INVAL;
		mstore_close(st);
		return NULL;
	}
	return st;
}

/* File offset of field off of writer slot w (the header says where the
 * writer region is). */
static off_t
slot_field(const char *path, uint32_t w, size_t off)
{
	struct mstore_hdr h;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pread(fd, &h, sizeof h, 0);
	(void)close(fd);
	if (n != (ssize_t)sizeof h || w >= h.max_writers)
		return -1;
	return (off_t)(h.writer_off + (uint64_t)w * MSTORE_WRITER_REC_SIZE + off);
}

int
tu_patch_heartbeat(const char *path, uint32_t w, int64_t hb)
{
	off_t at = slot_field(path, w, offsetof(struct mstore_writer_rec, heartbeat_ns));

	return at < 0 ? -1 : tu_patch(path, at, &hb, sizeof hb);
}

int
tu_patch_writer_clock(const char *path, uint32_t w, const struct mstore_clock_id *c)
{
	_Static_assert(
	        offsetof(struct mstore_writer_rec, boottime_offset_ns) ==
	                        offsetof(struct mstore_writer_rec, boot_id) + MSTORE_BOOT_ID_LEN &&
	                offsetof(struct mstore_clock_id, boottime_offset_ns) == MSTORE_BOOT_ID_LEN,
	        "a clock identity has the same bytes in a writer slot");
	off_t at = slot_field(path, w, offsetof(struct mstore_writer_rec, boot_id));

	return at < 0 ? -1 : tu_patch(path, at, c, sizeof *c);
}

int
tu_find_family(const struct mstore_reader *r, const char *name, struct mstore_family_view *f)
{
	uint32_t i, n = mstore_reader_family_count(r);
	size_t len = strlen(name);

	for (i = 0; i < n; i++) {
		if (mstore_reader_family(r, i, f) != 0)
			return -1;
		if (f->name_len == len && memcmp(f->name, name, len) == 0)
			return 0;
	}
	return -1;
}

struct mstore *
tu_store_for(const char *path, uint32_t max_writers, uint32_t tick_ms, int *err)
{
	struct mstore_options o;

	memset(&o, 0, sizeof(o));
	o.max_writers = max_writers;
	o.tick_interval_ms = tick_ms;
	return mstore_create(path, &o, err);
}

void
tu_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int
tu_reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}
