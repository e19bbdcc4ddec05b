/* SPDX-License-Identifier: MIT */
/*
 * testutil.h - helpers for the Check suites: a private temporary directory
 * per test (mkdtemp), paths inside it, whole-file read/write/patch, and a
 * small sample store.  Helpers return -1/NULL on failure and never exit,
 * so each test asserts on them itself.
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "mstore.h"

#define TU_PATH_MAX 4096

struct tu_dir {
	char path[TU_PATH_MAX];
};

/* Make a fresh directory under $TMPDIR (or /tmp).  0, or -1 with errno. */
int tu_dir_make(struct tu_dir *d);
/* Remove the files directly inside d, then d itself (best effort). */
void tu_dir_remove(const struct tu_dir *d);
/* d/name into buf; returns buf, or NULL if it does not fit. */
const char *tu_path(const struct tu_dir *d, const char *name, char *buf, size_t len);
/* Number of entries in d (excluding . and ..), or -1. */
int tu_dir_count(const struct tu_dir *d);

/* The whole file, malloc'd (free it); *len gets its size.  NULL on error. */
void *tu_read_file(const char *path, size_t *len);
/* Create/replace path with exactly len bytes of data.  0 or -1. */
int tu_write_file(const char *path, const void *data, size_t len);
/* Overwrite len bytes at off in an existing file.  0 or -1. */
int tu_patch(const char *path, off_t off, const void *data, size_t len);

/*
 * A small populated store at path, built for tests that need "a valid
 * file": counter "tu_requests_total" {method,code} with 3 series, gauge
 * "tu_temperature_celsius" (unit celsius) with 1 series, histogram
 * "tu_latency_seconds" {route} with bounds 0.1, 1, 10 and 2 series, and
 * an empty gauge family "tu_empty".  Values: see testutil.c.  Returns the
 * open writer (the caller closes it) or NULL with *err set.
 */
struct mstore *tu_sample_store(const char *path, const struct mstore_options *opts, int *err);

struct mstore_clock_id;
/* Overwrite writer slot w's heartbeat (CLOCK_BOOTTIME ns), or its clock
 * identity, in the store file at path: 0 or -1. */
int tu_patch_heartbeat(const char *path, uint32_t w, int64_t hb);
int tu_patch_writer_clock(const char *path, uint32_t w, const struct mstore_clock_id *c);

/* Sleep ms milliseconds (again after a signal). */
void tu_sleep_ms(long ms);
/* Wait for child pid: its exit status, 128 + the signal that killed it,
 * or -1 (errno) if waitpid fails. */
int tu_reap(pid_t pid);

/* Find the family called name in r and fill *f: 0, or -1 if it is absent
 * or a family view fails. */
int tu_find_family(const struct mstore_reader *r, const char *name, struct mstore_family_view *f);

#endif /* TESTUTIL_H */
