/* SPDX-License-Identifier: MIT */
/*
 * privprobe.c - prove that a store reader cannot change the store.
 *
 *   privprobe STORE
 *
 * Opens STORE with mstore_reader_open() (the same call metrics.fcgi makes)
 * and checks, from inside the reading process:
 *   1. the descriptor the library opened on the store is O_RDONLY
 *      (/proc/self/fdinfo "flags", found through /proc/self/fd links);
 *   2. the mapping that holds the family names is "r--s" in
 *      /proc/self/maps: readable, not writable, not executable, shared;
 *   3. a forked child that writes one byte through a pointer the reader
 *      handed out (a family name) dies of SIGSEGV, and the file's bytes are
 *      unchanged afterwards;
 *   4. mprotect() cannot make that mapping writable (EACCES: a read-only
 *      descriptor can never back a writable shared mapping).
 * Prints one line per fact and "privprobe: N checks, N failed".  Exit 0 if
 * all hold, 1 if one failed, 2 on bad usage or when the store cannot be read.
 *
 *   privprobe --hold-locks STORE
 *
 * A hostile reader: opens STORE read-only, takes read locks on the whole
 * file (OFD and POSIX: a read-only descriptor may), prints
 * "privprobe: holding read locks" and sleeps until killed (exit 2 if it
 * cannot).
 *
 *   privprobe --attach STORE
 *
 * A writer: mstore_attach(), register a counter, increment it, close;
 * prints how long that took; exit 0, or 1 (error, or not done in 10 s).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mstore.h"

static int checks, failed;

static void
verdict(int ok, const char *what, const char *detail)
{
	checks++;
	if (!ok)
		failed++;
	printf("privprobe: %s: %s%s%s\n", ok ? "ok" : "FAIL", what, detail[0] != '\0' ? ": " : "",
	       detail);
}

/* The access mode of our descriptor on realpath rp, or -1 if none is open. */
static int
store_fd_flags(const char *rp, int *fd_out)
{
	char link[64], target[PATH_MAX], info[64], line[256];
	int fd;

	for (fd = 0; fd < 1024; fd++) {
		ssize_t n;
		FILE *f;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, rp) != 0)
			continue;
		snprintf(info, sizeof(info), "/proc/self/fdinfo/%d", fd);
		f = fopen(info, "r");
		if (f == NULL)
			return -1;
		while (fgets(line, sizeof(line), f) != NULL) {
			unsigned long flags;

			if (sscanf(line, "flags: %lo", &flags) == 1) {
				fclose(f);
				*fd_out = fd;
				return (int)(flags & O_ACCMODE);
			}
		}
		fclose(f);
		return -1;
	}
	return -1;
}

/* Copy the permission field of the mapping holding addr into perms[5]. */
static int
mapping_perms(const void *addr, char perms[5], uintptr_t *lo_out, uintptr_t *hi_out)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[PATH_MAX + 128];
	uintptr_t a = (uintptr_t)addr;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long lo, hi;
		char p[5];

		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, p) != 3)
			continue;
		if (a >= lo && a < hi) {
			memcpy(perms, p, 5);
			*lo_out = lo;
			*hi_out = hi;
			fclose(f);
			return 0;
		}
	}
	fclose(f);
	return -1;
}

/* Read locks on the whole of path, as any process that may read it can
 * take them; then sleep until killed. */
static int
hold_locks(const char *path)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	int ofd = open(path, O_RDONLY | O_CLOEXEC), pfd = open(path, O_RDONLY | O_CLOEXEC);

	if (ofd < 0 || pfd < 0 || fcntl(ofd, F_OFD_SETLK, &fl) != 0 ||
	    fcntl(pfd, F_SETLK, &fl) != 0) {
		fprintf(stderr, "privprobe: read locks on %s: %s\n", path, strerror(errno));
		return 2;
	}
	printf("privprobe: holding read locks\n");
	fflush(stdout);
	for (;;)
		pause();
}

/* Attach to path as a writer and register and increment a counter. */
static int
attach_writer(const char *path)
{
	struct mstore_family *f;
	struct mstore_series *s;
	struct timespec t0, t1;
	struct mstore *st;
	int err = 0;

	alarm(10); /* a writer stalled by a reader's locks dies here */
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	st = mstore_attach(path, NULL, &err);
	if (st == NULL ||
	    (err = mstore_counter_family(st, "privprobe_attach_total", "Attaches by privprobe.",
	                                 NULL, 0, NULL, &f)) != 0 ||
	    (err = mstore_series_get(f, NULL, &s)) != 0 || (err = mstore_counter_inc(s)) != 0) {
		fprintf(stderr, "privprobe: attach %s: %s\n", path, mstore_strerror(err));
		return 1;
	}
	mstore_close(st);
	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("privprobe: attached, registered and counted in %ld ms\n",
	       (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	return 0;
}

int
main(int argc, char **argv)
{
	struct mstore_reader *r;
	struct mstore_family_view fv;
	char rp[PATH_MAX], perms[5] = "", detail[PATH_MAX + 64];
	uintptr_t lo = 0, hi = 0;
	volatile char *target;
	char before;
	int err = 0, mode, fd = -1, status;
	pid_t pid;

	if (argc == 3 && strcmp(argv[1], "--hold-locks") == 0)
		return hold_locks(argv[2]);
	if (argc == 3 && strcmp(argv[1], "--attach") == 0)
		return attach_writer(argv[2]);
	if (argc != 2) {
		fprintf(stderr, "usage: privprobe [--hold-locks | --attach] STORE\n");
		return 2;
	}
	if (realpath(argv[1], rp) == NULL) {
		fprintf(stderr, "privprobe: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	r = mstore_reader_open(argv[1], &err);
	if (r == NULL) {
		fprintf(stderr, "privprobe: cannot open %s: %s\n", argv[1],
		        err == MSTORE_E_SYS ? strerror(errno) : mstore_strerror(err));
		return 2;
	}
	if (mstore_reader_family_count(r) == 0 || (err = mstore_reader_family(r, 0, &fv)) != 0 ||
	    fv.name_len == 0) {
		fprintf(stderr, "privprobe: %s: need a store with at least one family\n", argv[1]);
		mstore_reader_close(r);
		return 2;
	}

	/* 1. the descriptor */
	mode = store_fd_flags(rp, &fd);
	snprintf(detail, sizeof(detail), "fd %d access mode %s", fd,
	         mode == O_RDONLY   ? "O_RDONLY"
	         : mode == O_RDWR   ? "O_RDWR"
	         : mode == O_WRONLY ? "O_WRONLY"
	                            : "(no descriptor found)");
	/* A reader may also close the fd after mmap: then only the mapping counts. */
	verdict(mode == O_RDONLY || mode == -1, "store descriptor is read-only", detail);

	/* 2. the mapping */
	target = (volatile char *)fv.name;
	if (mapping_perms(fv.name, perms, &lo, &hi) != 0)
		snprintf(detail, sizeof(detail), "no mapping holds %p", (const void *)fv.name);
	else
		snprintf(detail, sizeof(detail), "%lx-%lx %s", (unsigned long)lo, (unsigned long)hi,
		         perms);
	verdict(strcmp(perms, "r--s") == 0, "store mapped r--s (PROT_READ, MAP_SHARED)", detail);

	/* 3. a write through the mapping faults */
	before = target[0];
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		target[0] = (char)(before ^ 0x20);
		_exit(0); /* reached only if the write went through */
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		verdict(0, "write through the mapping faults", "fork/waitpid failed");
	} else {
		snprintf(detail, sizeof(detail), "child %s %d",
		         WIFSIGNALED(status) ? "killed by signal" : "exited with",
		         WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		verdict(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
		        "write through the mapping faults (SIGSEGV)", detail);
	}
	verdict(target[0] == before, "store bytes unchanged", "");

	/* 4. the mapping cannot be upgraded */
	if (lo != 0) {
		int rc = mprotect((void *)lo, (size_t)(hi - lo), PROT_READ | PROT_WRITE);

		snprintf(detail, sizeof(detail), "mprotect(PROT_WRITE) %s",
		         rc == 0 ? "succeeded" : strerror(errno));
		verdict(rc != 0 && errno == EACCES, "mapping cannot be made writable", detail);
	}

	mstore_reader_close(r);
	printf("privprobe: %d checks, %d failed\n", checks, failed);
	return failed == 0 ? 0 : 1;
}
