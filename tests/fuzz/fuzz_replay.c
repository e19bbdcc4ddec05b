/* SPDX-License-Identifier: MIT */
/*
 * fuzz_replay.c - run inputs through the fuzz target without libFuzzer, so
 * an ordinary (or sanitizer) build replays the corpus and every crash
 * reproducer in make check.
 *
 *   fuzz_replay [--mutate] FILE|DIR...
 *
 * Each FILE (each regular file of a DIR, in name order) goes through
 * LLVMFuzzerTestOneInput() (tests/fuzz/fuzz_store.c) as is.  With --mutate,
 * each input that starts with a store header also goes through a fixed,
 * deterministic set of hostile variants aimed at what a validator must
 * catch, using the layout in src/mstore_layout.h:
 *   - every 32-bit word of the header, of the first family record and of
 *     the first series record set to 0, 0xffffffff, its value +1 and -1,
 *     and the file size;
 *   - every 64-bit word of the header (offsets, file size) set to huge and
 *     to just-past-the-end values;
 *   - the first bytes of the string region (names, help, label values)
 *     replaced by bytes a renderer must never copy out raw;
 *   - value slots set to NaN, infinities, huge counts and seqlocks left odd;
 *   - the file cut at every region boundary, one byte either side, and at
 *     a few fixed sizes.
 * A broken promise aborts (see fuzz_store.c); otherwise prints
 * "fuzz_replay: N inputs, N variants" and exits 0.  Exit 2 on bad usage or
 * an unreadable input.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mstore_layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX_FILE (64u * 1024u * 1024u)
/* Mutating words is quadratic in the file size: only files up to this size. */
#define REPLAY_MUTATE_MAX   (1024u * 1024u)
#define REPLAY_STRING_BYTES 96u

static unsigned long n_inputs, n_variants;

static void
run(const uint8_t *data, size_t size)
{
	LLVMFuzzerTestOneInput(data, size);
	n_variants++;
}

static void
put32(uint8_t *buf, size_t size, size_t off, uint32_t v)
{
	if (off + 4 <= size)
		memcpy(buf + off, &v, 4);
}

static void
mutate_words32(uint8_t *buf, const uint8_t *orig, size_t size, size_t from, size_t len)
{
	size_t off;

	for (off = from; off + 4 <= from + len && off + 4 <= size; off += 4) {
		uint32_t v, vals[5];
		size_t k;

		memcpy(&v, orig + off, 4);
		vals[0] = 0;
		vals[1] = 0xffffffffu;
		vals[2] = v + 1;
		vals[3] = v - 1;
		vals[4] = (uint32_t)size;
		for (k = 0; k < sizeof(vals) / sizeof(vals[0]); k++) {
			if (vals[k] == v)
				continue;
			put32(buf, size, off, vals[k]);
			run(buf, size);
		}
		memcpy(buf + off, orig + off, 4);
	}
}

static void
mutate_words64(uint8_t *buf, const uint8_t *orig, size_t size, size_t from, size_t len)
{
	size_t off;

	for (off = from; off + 8 <= from + len && off + 8 <= size; off += 8) {
		uint64_t vals[5] = { 0, UINT64_MAX, UINT64_C(1) << 63, (uint64_t)size,
			             (uint64_t)size - 8 };
		size_t k;

		for (k = 0; k < 5; k++) {
			memcpy(buf + off, &vals[k], 8);
			run(buf, size);
		}
		memcpy(buf + off, orig + off, 8);
	}
}

static void
mutate_strings(uint8_t *buf, const uint8_t *orig, size_t size, const struct mstore_hdr *h)
{
	static const uint8_t bad[] = { 0x00, 0xff, 0xc0, '"', '\n' };
	size_t off, k;

	if (h->string_off >= size)
		return;
	for (off = (size_t)h->string_off; off < size && off < h->string_off + REPLAY_STRING_BYTES;
	     off++) {
		for (k = 0; k < sizeof(bad); k++) {
			if (orig[off] == bad[k])
				continue;
			buf[off] = bad[k];
			run(buf, size);
		}
		buf[off] = orig[off];
	}
}

static void
mutate_values(uint8_t *buf, const uint8_t *orig, size_t size, const struct mstore_hdr *h)
{
	double dv[4] = { 0.0, 1.0, -1.0, 0.0 };
	uint64_t vals[8];
	size_t off, k, end;

	dv[3] = -0.0;
	vals[0] = UINT64_MAX;
	vals[1] = UINT64_C(0x7ff8000000000000); /* NaN */
	vals[2] = UINT64_C(0x7ff0000000000000); /* +Inf */
	vals[3] = UINT64_C(0xfff0000000000000); /* -Inf */
	vals[4] = 1;                            /* an odd seqlock */
	vals[5] = UINT64_C(1) << 63;
	memcpy(&vals[6], &dv[2], 8);
	memcpy(&vals[7], &dv[3], 8);
	if (h->value_off >= size)
		return;
	end = (size_t)h->value_off + (size_t)h->values_used * MSTORE_SLOT_SIZE;
	for (off = (size_t)h->value_off; off + 8 <= size && off < end; off += 8) {
		for (k = 0; k < 8; k++) {
			memcpy(buf + off, &vals[k], 8);
			run(buf, size);
		}
		memcpy(buf + off, orig + off, 8);
	}
}

static void
cut(const uint8_t *orig, size_t size, uint64_t at)
{
	if (at < size)
		run(orig, (size_t)at);
}

static void
mutate(const uint8_t *orig, size_t size)
{
	struct mstore_hdr h;
	uint64_t bounds[6];
	uint8_t *buf;
	size_t k;

	if (size < MSTORE_HDR_SIZE || memcmp(orig, MSTORE_MAGIC, MSTORE_MAGIC_LEN) != 0)
		return;
	memcpy(&h, orig, sizeof(h));
	bounds[0] = h.family_off;
	bounds[1] = h.series_off;
	bounds[2] = h.value_off;
	bounds[3] = h.string_off;
	bounds[4] = h.file_size;
	bounds[5] = MSTORE_HDR_SIZE;
	for (k = 0; k < 6; k++) {
		cut(orig, size, bounds[k] - 1);
		cut(orig, size, bounds[k]);
		cut(orig, size, bounds[k] + 1);
	}
	cut(orig, size, 0);
	cut(orig, size, 1);
	cut(orig, size, MSTORE_MAGIC_LEN);
	cut(orig, size, size / 2);
	cut(orig, size, size - 1);
	if (size > REPLAY_MUTATE_MAX)
		return;

	buf = malloc(size);
	if (buf == NULL)
		return;
	memcpy(buf, orig, size);
	mutate_words32(buf, orig, size, 0, MSTORE_HDR_SIZE);
	mutate_words64(buf, orig, size, 0, MSTORE_HDR_SIZE);
	if (h.family_off < size)
		mutate_words32(buf, orig, size, (size_t)h.family_off, MSTORE_FAMILY_REC_SIZE);
	if (h.series_off < size)
		mutate_words32(buf, orig, size, (size_t)h.series_off, MSTORE_SERIES_REC_SIZE);
	mutate_strings(buf, orig, size, &h);
	mutate_values(buf, orig, size, &h);
	free(buf);
}

static int
replay_file(const char *path, int do_mutate)
{
	struct stat sb;
	uint8_t *data;
	size_t got;
	FILE *f;

	f = fopen(path, "rb");
	if (f == NULL || fstat(fileno(f), &sb) != 0 || sb.st_size > REPLAY_MAX_FILE) {
		fprintf(stderr, "fuzz_replay: %s: %s\n", path,
		        f == NULL ? strerror(errno) : "too big");
		if (f != NULL)
			fclose(f);
		return -1;
	}
	data = malloc((size_t)sb.st_size + 1);
	if (data == NULL) {
		fclose(f);
		return -1;
	}
	got = fread(data, 1, (size_t)sb.st_size, f);
	fclose(f);
	n_inputs++;
	run(data, got);
	if (do_mutate)
		mutate(data, got);
	free(data);
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
replay_dir(const char *dir, int do_mutate)
{
	char **names = NULL, path[4096];
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	DIR *d = opendir(dir);
	int rc = 0;

	if (d == NULL) {
		fprintf(stderr, "fuzz_replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*names));

			if (nn == NULL)
				break;
			names = nn;
		}
		names[n] = strdup(de->d_name);
		if (names[n] != NULL)
			n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		struct stat sb;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    replay_file(path, do_mutate) != 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int
main(int argc, char **argv)
{
	int i, do_mutate = 0, rc = 0;

	for (i = 1; i < argc; i++) {
		struct stat sb;

		if (strcmp(argv[i], "--mutate") == 0) {
			do_mutate = 1;
			continue;
		}
		if (stat(argv[i], &sb) != 0) {
			fprintf(stderr, "fuzz_replay: %s: %s\n", argv[i], strerror(errno));
			rc = 2;
		} else if (S_ISDIR(sb.st_mode) ? replay_dir(argv[i], do_mutate) != 0
		                               : replay_file(argv[i], do_mutate) != 0) {
			rc = 2;
		}
	}
	if (argc < 2) {
		fprintf(stderr, "usage: fuzz_replay [--mutate] FILE|DIR...\n");
		return 2;
	}
	printf("fuzz_replay: %lu inputs, %lu variants\n", n_inputs, n_variants);
	return rc;
}
