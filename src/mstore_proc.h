/* SPDX-License-Identifier: MIT */
/*
 * mstore_proc.h - the /proc readers behind mstore_process_metrics(): the
 * figures of the calling process as the official Prometheus clients export
 * them.  The parsers are separate from the file reading so tests can feed
 * them crafted input.  Internal: the library and its tests.
 */
#ifndef MSTORE_PROC_H
#define MSTORE_PROC_H

#include <stddef.h>

#include "mstore_layout.h"

/* One reading of the process metrics. */
struct mstore_proc_sample {
	double cpu_seconds;        /* user + system CPU time */
	double resident_bytes;     /* resident set size */
	double virtual_bytes;      /* virtual memory size */
	double open_fds;           /* open file descriptors */
	double max_fds;            /* soft RLIMIT_NOFILE */
	double start_time_seconds; /* process start, seconds since the epoch */
};

/* The fields of /proc/PID/stat that the metrics need. */
struct mstore_proc_stat {
	unsigned long long utime;     /* clock ticks */
	unsigned long long stime;     /* clock ticks */
	unsigned long long starttime; /* clock ticks after boot */
	unsigned long long vsize;     /* bytes */
	long long rss;                /* pages */
};

/*
 * Parse the text of /proc/PID/stat (NUL-terminated).  The command name in
 * parentheses may contain spaces and ')' itself: fields are counted after
 * the LAST ')'.  Returns 0, or -1 with errno EINVAL on malformed input.
 */
MSTORE_INTERNAL int mstore_proc_parse_stat(const char *text, struct mstore_proc_stat *out);

/*
 * Parse /proc/PID/statm (NUL-terminated): total program size and resident
 * set, both in pages.  Returns 0, or -1 with errno EINVAL.
 */
MSTORE_INTERNAL int mstore_proc_parse_statm(const char *text, unsigned long long *size_pages,
                                            unsigned long long *resident_pages);

/*
 * Find the "btime SECONDS" line (boot time) in the text of /proc/stat.
 * Returns 0, or -1 with errno EINVAL if missing or malformed.
 */
MSTORE_INTERNAL int mstore_proc_parse_btime(const char *text, long long *btime);

/*
 * Read all metrics of the calling process.  Returns 0, or -1 with errno set
 * (from open/read/opendir/getrlimit/sysconf, or EINVAL for unparsable
 * /proc content).  *out is only written on success.
 */
MSTORE_INTERNAL int mstore_proc_read(struct mstore_proc_sample *out);

#endif /* MSTORE_PROC_H */
