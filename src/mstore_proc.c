/* SPDX-License-Identifier: MIT */
/*
 * mstore_proc.c - the standard process_* metrics as a library feature
 * (mstore_process_metrics()): the calling process's CPU time and start
 * time from /proc/self/stat, memory from statm, open fds from the fd
 * directory, the fd limit from getrlimit, boot time from /proc/stat; six
 * families, shared in a store with one writer slot (as a single-writer
 * program always published them), per writer (MSTORE_PER_WRITER_ALL,
 * labelled by writer slot) in a store with more, updated by
 * mstore_heartbeat().  The parsers are apart from the reading,
 * so tests can feed them crafted input (mstore_proc.h).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "mstore_proc.h"
#include "mstore_writer.h"

/* /proc/self/stat is ~52 numbers and a 16-byte command name: 4 KiB is ample. */
#define STAT_BUF_SIZE 4096
/* Fields after the command name: 3 state, 14 utime, 15 stime, 22 starttime,
 * 23 vsize, 24 rss (1-based numbering of proc(5)); we count from field 3. */
#define FIELD_FIRST_AFTER_COMM 3
#define FIELD_UTIME            14
#define FIELD_STIME            15
#define FIELD_STARTTIME        22
#define FIELD_VSIZE            23
#define FIELD_RSS              24

static const char btime_key[] = "btime ";

/* Parse one unsigned decimal field, advancing *p past it. */
static int
next_ull(const char **p, unsigned long long *out)
{
	char *end;

	while (**p == ' ')
		(*p)++;
	if (**p < '0' || **p > '9')
		return -1;
	errno = 0;
	*out = strtoull(*p, &end, 10);
	if (errno != 0)
		return -1;
	*p = end;
	return 0;
}

/* Skip one space-separated field (the state letter, or a signed number). */
static int
skip_field(const char **p)
{
	while (**p == ' ')
		(*p)++;
	if (**p == '\0' || **p == '\n')
		return -1;
	while (**p != ' ' && **p != '\0' && **p != '\n')
		(*p)++;
	return 0;
}

static void
store_field(struct mstore_proc_stat *st, int field, unsigned long long v)
{
	switch (field) {
	case FIELD_UTIME:
		st->utime = v;
		break;
	case FIELD_STIME:
		st->stime = v;
		break;
	case FIELD_STARTTIME:
		st->starttime = v;
		break;
	case FIELD_VSIZE:
		st->vsize = v;
		break;
	case FIELD_RSS:
		st->rss = (long long)v;
		break;
	default:
		break;
	}
}

static int
wanted_field(int field)
{
	return field == FIELD_UTIME || field == FIELD_STIME || field == FIELD_STARTTIME ||
	       field == FIELD_VSIZE || field == FIELD_RSS;
}

int
mstore_proc_parse_stat(const char *text, struct mstore_proc_stat *out)
{
	struct mstore_proc_stat st = { 0 };
	const char *p;

	if (text == NULL || out == NULL || (p = strrchr(text, ')')) == NULL) {
		errno = EINVAL;
		return -1;
	}
	p++;
	for (int field = FIELD_FIRST_AFTER_COMM; field <= FIELD_RSS; field++) {
		unsigned long long v;
		int rc = wanted_field(field) ? next_ull(&p, &v) : skip_field(&p);

		if (rc < 0) {
			errno = EINVAL;
			return -1;
		}
		if (wanted_field(field))
			store_field(&st, field, v);
	}
	*out = st;
	return 0;
}

int
mstore_proc_parse_statm(const char *text, unsigned long long *size_pages,
                        unsigned long long *resident_pages)
{
	const char *p = text;
	unsigned long long size, resident;

	if (text == NULL || size_pages == NULL || resident_pages == NULL ||
	    next_ull(&p, &size) < 0 || next_ull(&p, &resident) < 0) {
		errno = EINVAL;
		return -1;
	}
	*size_pages = size;
	*resident_pages = resident;
	return 0;
}

int
mstore_proc_parse_btime(const char *text, long long *btime)
{
	const char *p = text;
	unsigned long long v;

	if (text == NULL || btime == NULL) {
		errno = EINVAL;
		return -1;
	}
	while (p != NULL && *p != '\0') {
		if (strncmp(p, btime_key, sizeof btime_key - 1) == 0) {
			p += sizeof btime_key - 1;
			if (next_ull(&p, &v) < 0)
				break;
			*btime = (long long)v;
			return 0;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	errno = EINVAL;
	return -1;
}

/* Read a small file into buf (NUL-terminated).  Returns 0 or -1 + errno. */
static int
read_small(const char *path, char *buf, size_t size)
{
	size_t used = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (used + 1 < size) {
		ssize_t n = read(fd, buf + used, size - 1 - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;
			(void)close(fd); /* read-only: nothing to lose */
			errno = saved;
			return -1;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	return close(fd);
}

/* Boot time from /proc/stat, line by line: its intr line can be very long. */
static int
read_btime(long long *btime)
{
	FILE *f = fopen("/proc/stat", "re");
	char *line = NULL;
	size_t cap = 0;
	int rc = -1;

	if (f == NULL)
		return -1;
	while (getline(&line, &cap, f) >= 0) {
		if (mstore_proc_parse_btime(line, btime) == 0) {
			rc = 0;
			break;
		}
	}
	free(line);
	if (fclose(f) != 0)
		return -1;
	if (rc < 0)
		errno = EINVAL;
	return rc;
}

/* Open descriptors, not counting the one opendir() itself uses. */
static int
count_fds(double *out)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	long n = 0;

	if (d == NULL)
		return -1;
	errno = 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.')
			n++;
	}
	if (errno != 0) {
		int saved = errno;
		(void)closedir(d); /* already failing; report the first error */
		errno = saved;
		return -1;
	}
	if (closedir(d) != 0)
		return -1;
	*out = (double)(n > 0 ? n - 1 : 0);
	return 0;
}

static int
max_fds(double *out)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	/* Unlimited is RLIM_INFINITY as a number, as the Go client reports it. */
	*out = (double)rl.rlim_cur;
	return 0;
}

static int
sysconf_positive(int name, long *out)
{
	errno = 0;
	*out = sysconf(name);
	if (*out <= 0) {
		if (errno == 0)
			errno = EINVAL;
		return -1;
	}
	return 0;
}

int
mstore_proc_read(struct mstore_proc_sample *out)
{
	char buf[STAT_BUF_SIZE];
	struct mstore_proc_stat st;
	struct mstore_proc_sample m;
	unsigned long long size_pages, resident_pages;
	long long btime;
	long hz, page;

	if (out == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (sysconf_positive(_SC_CLK_TCK, &hz) < 0 || sysconf_positive(_SC_PAGESIZE, &page) < 0 ||
	    read_small("/proc/self/stat", buf, sizeof buf) < 0 ||
	    mstore_proc_parse_stat(buf, &st) < 0 ||
	    read_small("/proc/self/statm", buf, sizeof buf) < 0 ||
	    mstore_proc_parse_statm(buf, &size_pages, &resident_pages) < 0 ||
	    read_btime(&btime) < 0 || count_fds(&m.open_fds) < 0 || max_fds(&m.max_fds) < 0)
		return -1;
	m.cpu_seconds = (double)(st.utime + st.stime) / (double)hz;
	m.resident_bytes = (double)resident_pages * (double)page;
	m.virtual_bytes = (double)size_pages * (double)page;
	m.start_time_seconds = (double)btime + (double)st.starttime / (double)hz;
	*out = m;
	return 0;
}

/* ------------------------------------------------------------ the store */

enum proc_metric {
	PROC_CPU,
	PROC_RESIDENT,
	PROC_VIRTUAL,
	PROC_OPEN_FDS,
	PROC_MAX_FDS,
	PROC_START_TIME,
	PROC_METRICS
};

/* The families, as the official clients name and describe them. */
static const struct {
	enum mstore_type type;
	const char *name, *help, *unit;
} proc_defs[PROC_METRICS] = {
	[PROC_CPU] = { MSTORE_COUNTER, "process_cpu_seconds_total",
	               "Total user and system CPU time spent in seconds.", "seconds" },
	[PROC_RESIDENT] = { MSTORE_GAUGE, "process_resident_memory_bytes",
	                    "Resident memory size in bytes.", "bytes" },
	[PROC_VIRTUAL] = { MSTORE_GAUGE, "process_virtual_memory_bytes",
	                   "Virtual memory size in bytes.", "bytes" },
	[PROC_OPEN_FDS] = { MSTORE_GAUGE, "process_open_fds", "Number of open file descriptors.",
	                    NULL },
	[PROC_MAX_FDS] = { MSTORE_GAUGE, "process_max_fds",
	                   "Maximum number of open file descriptors.", NULL },
	[PROC_START_TIME] = { MSTORE_GAUGE, "process_start_time_seconds",
	                      "Start time of the process since unix epoch in seconds.", "seconds" },
};

struct mstore_proc {
	struct mstore_series *series[PROC_METRICS];
	int shared;      /* one writer slot: shared families */
	double last_cpu; /* shared: CPU seconds already added to the counter */
};

/* Register the families and their one series each (st->lock not held). */
static int
proc_register(struct mstore *st, struct mstore_proc *p)
{
	enum mstore_per_writer mode = p->shared ? MSTORE_SHARED : MSTORE_PER_WRITER_ALL;
	struct mstore_family *f;
	int i, rc;

	for (i = 0; i < PROC_METRICS; i++) {
		struct mstore_family_spec spec = { .size = sizeof(spec),
			                           .type = proc_defs[i].type,
			                           .name = proc_defs[i].name,
			                           .help = proc_defs[i].help,
			                           .unit = proc_defs[i].unit,
			                           .per_writer = mode };

		if ((rc = mstore_family_register(st, &spec, &f)) != 0 ||
		    (rc = mstore_series_get(f, NULL, &p->series[i])) != 0)
			return rc;
	}
	return 0;
}

int
mstore_proc_update(struct mstore *st)
{
	struct mstore_proc_sample m;
	double v[PROC_METRICS];
	int i, rc;

	if (mstore_proc_read(&m) != 0)
		return MSTORE_E_SYS; /* /proc unreadable: nothing changes */
	v[PROC_CPU] = m.cpu_seconds;
	v[PROC_RESIDENT] = m.resident_bytes;
	v[PROC_VIRTUAL] = m.virtual_bytes;
	v[PROC_OPEN_FDS] = m.open_fds;
	v[PROC_MAX_FDS] = m.max_fds;
	v[PROC_START_TIME] = m.start_time_seconds;
	if (!st->proc->shared) {
		/* Per writer, even the counter is set: each process's CPU time
		 * is its own series (a new process in the slot: a reset). */
		for (i = 0; i < PROC_METRICS; i++)
			if ((rc = mstore_per_writer_set(st->proc->series[i], v[i])) != 0)
				return rc;
		return 0;
	}
	/* Shared: CPU time only grows; a smaller reading (never expected)
	 * adds 0. */
	if (v[PROC_CPU] > st->proc->last_cpu) {
		if ((rc = mstore_counter_add(st->proc->series[PROC_CPU],
		                             v[PROC_CPU] - st->proc->last_cpu)) != 0)
			return rc;
		st->proc->last_cpu = v[PROC_CPU];
	}
	for (i = PROC_CPU + 1; i < PROC_METRICS; i++)
		if ((rc = mstore_gauge_set(st->proc->series[i], v[i])) != 0)
			return rc;
	return 0;
}

int
mstore_process_metrics(struct mstore *st)
{
	struct mstore_proc *p;
	int rc;

	if (st == NULL)
		return mstore_fail(MSTORE_E_INVAL);
	if (st->proc != NULL)
		return 0;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return mstore_fail(MSTORE_E_SYS);
	p->shared = st->max_writers == 1;
	if ((rc = proc_register(st, p)) != 0) {
		free(p);
		return rc; /* mstore_fail()ed by the registration */
	}
	st->proc = p;
	/* Without /proc the series have no value (and are not exposed) until
	 * a heartbeat can read it. */
	(void)mstore_proc_update(st);
	return 0;
}

void
mstore_proc_free(struct mstore *st)
{
	free(st->proc);
	st->proc = NULL;
}
