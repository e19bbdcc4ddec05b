/* SPDX-License-Identifier: MIT */
/*
 * mstore_clock.c - the clocks of the store: the wall clock for the start
 * time, and the heartbeat on CLOCK_BOOTTIME with the writer's clock
 * identity (boot id, time-namespace offset), stamped by each writer in its
 * writer slot and judged by the reader (mstore_slot.c).  Which clock and why, and what the reader does
 * across boots, namespaces and heartbeats from the future: the comment
 * before struct mstore_beat in mstore_layout.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mstore_layout.h"

#define BOOT_ID_PATH    "/proc/sys/kernel/random/boot_id"
#define TIMENS_PATH     "/proc/self/timens_offsets"
#define TIMENS_BOOTTIME "boottime"
/* Both files are a few dozen bytes; more is not what we expect. */
#define PROC_TEXT_MAX 256

static struct mstore_clock_id self_clock;
static pthread_once_t self_once = PTHREAD_ONCE_INIT;

static int64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) != 0)
		return -1;
	return (int64_t)ts.tv_sec * MSTORE_NS_PER_SEC + ts.tv_nsec;
}

int64_t
mstore_now_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

/* Read a small /proc file as a NUL-terminated string.  0, or -1. */
static int
read_text(const char *path, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (len + 1 < cap && (n = read(fd, buf + len, cap - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		len += (size_t)n;
	}
	(void)close(fd); /* read-only: nothing to lose */
	buf[len] = '\0';
	return len > 0 ? 0 : -1;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
mstore_clock_parse_boot_id(const char *s, unsigned char *out)
{
	unsigned char id[MSTORE_BOOT_ID_LEN];
	size_t nd = 0;
	int d;

	for (; *s != '\0' && *s != '\n'; s++) {
		if (*s == '-')
			continue;
		if ((d = hex_digit(*s)) < 0 || nd == 2 * MSTORE_BOOT_ID_LEN)
			return -1;
		id[nd / 2] = (unsigned char)(nd % 2 == 0 ? d << 4 : id[nd / 2] | d);
		nd++;
	}
	if (nd != 2 * MSTORE_BOOT_ID_LEN)
		return -1;
	memcpy(out, id, sizeof id);
	return 0;
}

int64_t
mstore_clock_parse_timens(const char *s)
{
	const size_t klen = sizeof(TIMENS_BOOTTIME) - 1;
	long long sec, nsec;
	char *end;

	while (strncmp(s, TIMENS_BOOTTIME, klen) != 0 || (s[klen] != ' ' && s[klen] != '\t')) {
		if ((s = strchr(s, '\n')) == NULL)
			return 0;
		s++;
	}
	errno = 0;
	sec = strtoll(s + klen, &end, 10);
	nsec = strtoll(end, &end, 10);
	if (errno != 0 || nsec < 0 || nsec >= MSTORE_NS_PER_SEC ||
	    sec > MSTORE_CLOCK_MAX_NS / MSTORE_NS_PER_SEC - 1 ||
	    sec < -(MSTORE_CLOCK_MAX_NS / MSTORE_NS_PER_SEC) + 1)
		return 0;
	return (int64_t)sec * MSTORE_NS_PER_SEC + (int64_t)nsec;
}

static void
self_read(void)
{
	char buf[PROC_TEXT_MAX];
	int saved = errno;

	if (read_text(BOOT_ID_PATH, buf, sizeof buf) == 0)
		(void)mstore_clock_parse_boot_id(buf, self_clock.boot_id); /* else unknown */
	if (read_text(TIMENS_PATH, buf, sizeof buf) == 0)
		self_clock.boottime_offset_ns = mstore_clock_parse_timens(buf);
	errno = saved;
}

const struct mstore_clock_id *
mstore_clock_self(void)
{
	/* Without pthread_once (it cannot fail on Linux) the identity stays
	 * unknown: zeros, which only skips the boot check. */
	(void)pthread_once(&self_once, self_read);
	return &self_clock;
}

int64_t
mstore_boottime_ns(void)
{
	return clock_ns(CLOCK_BOOTTIME);
}

static int
boot_id_known(const struct mstore_clock_id *c)
{
	static const unsigned char zero[MSTORE_BOOT_ID_LEN];

	return memcmp(c->boot_id, zero, sizeof zero) != 0;
}

/* a - b, saturated to the int64_t range. */
static int64_t
sat_sub(int64_t a, int64_t b)
{
	int64_t d;

	if (__builtin_sub_overflow(a, b, &d))
		return a > b ? INT64_MAX : INT64_MIN;
	return d;
}

int
mstore_beat_valid(const struct mstore_clock_id *w, int64_t hb)
{
	return hb >= 0 && hb <= MSTORE_CLOCK_MAX_NS &&
	       w->boottime_offset_ns <= MSTORE_CLOCK_MAX_NS &&
	       w->boottime_offset_ns >= -MSTORE_CLOCK_MAX_NS;
}

int
mstore_beat_judge(const struct mstore_clock_id *w, int64_t hb, const struct mstore_clock_id *r,
                  int64_t now, int64_t limit_ns, struct mstore_liveness *out)
{
	int64_t age;

	memset(out, 0, sizeof *out);
	out->limit_ns = limit_ns;
	if (!mstore_beat_valid(w, hb))
		return MSTORE_E_CORRUPT;
	if (boot_id_known(w) && boot_id_known(r) &&
	    memcmp(w->boot_id, r->boot_id, MSTORE_BOOT_ID_LEN) != 0) {
		out->state = MSTORE_WRITER_OTHER_BOOT;
		return 0;
	}
	/* Both times on the boot's clock outside any namespace.  The writer's
	 * is in range by the checks above; the reader's comes from its own
	 * kernel, and saturating keeps a wild one from wrapping around. */
	age = sat_sub(sat_sub(now, r->boottime_offset_ns), hb - w->boottime_offset_ns);
	if (age < -MSTORE_FUTURE_SLACK_NS) {
		out->state = MSTORE_WRITER_FUTURE;
		out->ahead_ns = age == INT64_MIN ? INT64_MAX : -age;
		return 0;
	}
	out->age_ns = age > 0 ? age : 0;
	out->state = out->age_ns <= limit_ns ? MSTORE_WRITER_ALIVE : MSTORE_WRITER_STALE;
	return out->state == MSTORE_WRITER_ALIVE;
}
