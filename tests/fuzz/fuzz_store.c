/* SPDX-License-Identifier: MIT */
/*
 * fuzz_store.c - libFuzzer target: arbitrary bytes as a store file, through
 * everything metrics.fcgi does with one: open + validate, info, freshness,
 * family/series iteration, snapshots, rendering in every format, then the
 * file shrinking under the reader and a refresh.
 *
 * The input is written to a memfd and opened through /proc/self/fd/N, so
 * the library takes its ordinary open(2)/fstat/mmap path.  Besides "no
 * crash, no leak, no sanitizer report", the target checks the promises of
 * mstore.h and expo.h and abort()s when one is broken:
 *   - a failed open reports a negative code with a message;
 *   - liveness on a valid reader either fails with a code or gives a
 *     state and an age that is never negative (0 when unmeasurable), a
 *     result that matches the state, and a positive limit;
 *   - every family view has a valid name (mstore_names.c), label names and
 *     bound counts, a per-writer mode its type may have, and no two
 *     families clash;
 *   - a histogram snapshot is cumulative with bucket[nbounds] == count;
 *   - a native histogram's family view has a configuration nhist accepts
 *     (none on other families), and each of its readings
 *     (mstore_reader_native) one a renderer may expose: the family's
 *     window, a schema no finer and a zero threshold no narrower than
 *     configured, buckets within the schema, counts adding up to at most
 *     the count, and the classic part as mstore_reader_snapshot() gives it;
 *   - exemplars only on shared counters and histograms, and every one the
 *     reader returns keeps the rules: label names and values valid and
 *     inside its text, at most 128 characters, a positive time, a value
 *     inside its bucket (a counter's not negative);
 *   - a per-writer series: the live writers' values one by one
 *     (mstore_reader_per_writer, slots increasing, below max_writers) are
 *     as many as the snapshot's writers and combine to its value;
 *   - live and stale writers together are at most max_writers;
 *   - a size query (cap 0) gives the exact size a second rendering uses,
 *     one byte less gives EXPO_E_SPACE, and the output of a text format
 *     ends in a newline and holds no NUL byte, a protobuf output passes the
 *     wire-level check of tests/pbcheck.c;
 *   - after the file shrinks below what the reader mapped, refresh fails
 *     and rendering fails cleanly (touching the lost pages would SIGBUS).
 *
 * Built two ways: with -fsanitize=fuzzer as tests/fuzz/fuzz_store
 * (configure --enable-fuzzing, make fuzz), and with tests/fuzz/fuzz_replay.c
 * as an ordinary program that make check uses to replay the corpus.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "expo.h"
#include "mstore.h"
#include "mstore_layout.h" /* the rules for names and label values */
#include "mstore_names.h"  /* mstore_name_reserved */
#include "pbcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond, ...)                                                      \
	do {                                                                        \
		if (!(cond)) {                                                      \
			fprintf(stderr, "fuzz_store: broken promise: %s: ", #cond); \
			fprintf(stderr, __VA_ARGS__);                               \
			fputc('\n', stderr);                                        \
			abort();                                                    \
		}                                                                   \
	} while (0)

static int fuzz_fd = -1;
static char fuzz_path[64];

/* Replace the memfd's content with data.  0, or -1 if the system failed us
 * (not a finding: the input is skipped). */
static int
fuzz_write_file(const uint8_t *data, size_t size)
{
	size_t done = 0;

	if (fuzz_fd < 0) {
		fuzz_fd = memfd_create("fuzz_store", MFD_CLOEXEC);
		if (fuzz_fd < 0)
			return -1;
		snprintf(fuzz_path, sizeof(fuzz_path), "/proc/self/fd/%d", fuzz_fd);
	}
	if (ftruncate(fuzz_fd, 0) != 0)
		return -1;
	while (done < size) {
		ssize_t n = pwrite(fuzz_fd, data + done, size - done, (off_t)done);

		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static uint32_t fuzz_max_writers;

/* The same double, NaN included (bit patterns may differ). */
static int
fuzz_same(double a, double b)
{
	return (a != a && b != b) || a == b;
}

/* The same double bits (two readings of one unchanging slot). */
static int
fuzz_same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof a) == 0;
}

static void
fuzz_check_family(const struct mstore_family_view *f)
{
	uint32_t i;

	FUZZ_ASSERT(mstore_per_writer_ok(f->type, f->per_writer),
	            "family %u: per-writer mode %d for type %d", f->index, (int)f->per_writer,
	            (int)f->type);

	FUZZ_ASSERT(mstore_name_check(f->type, f->name, f->name_len) == 0, "family %u name",
	            f->index);
	FUZZ_ASSERT(f->type == MSTORE_COUNTER || f->type == MSTORE_GAUGE ||
	                    f->type == MSTORE_HISTOGRAM,
	            "type %d", (int)f->type);
	FUZZ_ASSERT(f->nlabels <= MSTORE_MAX_LABELS, "nlabels %u", f->nlabels);
	FUZZ_ASSERT(f->nbounds <= MSTORE_MAX_BUCKETS, "nbounds %u", f->nbounds);
	FUZZ_ASSERT(f->type == MSTORE_HISTOGRAM || f->nbounds == 0, "nbounds %u", f->nbounds);
	FUZZ_ASSERT(f->name_len <= MSTORE_NAME_MAX && f->help_len <= MSTORE_HELP_MAX &&
	                    f->unit_len <= MSTORE_UNIT_MAX,
	            "string lengths");
	for (i = 0; i < f->nlabels; i++)
		FUZZ_ASSERT(mstore_label_check(f->label_name[i], f->label_name_len[i]) == 0,
		            "label name %u", i);
	for (i = 0; i + 1 < f->nbounds; i++)
		FUZZ_ASSERT(f->bounds[i] < f->bounds[i + 1], "bounds not increasing");
	if (f->native_buckets > 0) {
		struct nhist_config c = { f->native_schema, f->native_buckets,
			                  f->native_zero_threshold, f->native_max_zero_threshold,
			                  f->native_min_reset_ns };

		FUZZ_ASSERT(f->type == MSTORE_HISTOGRAM && f->per_writer == MSTORE_SHARED &&
		                    nhist_config_check(&c) == 0,
		            "family %u: native configuration", f->index);
	} else {
		FUZZ_ASSERT(f->native_schema == 0 && f->native_zero_threshold == 0 &&
		                    f->native_max_zero_threshold == 0 &&
		                    f->native_min_reset_ns == 0,
		            "family %u: native fields without buckets", f->index);
	}
	FUZZ_ASSERT(!f->exemplars || (f->type != MSTORE_GAUGE && f->per_writer == MSTORE_SHARED),
	            "exemplars on family %u of type %d, per-writer %d", f->index, (int)f->type,
	            (int)f->per_writer);
}

/* A native histogram's reading, against its family and the classic
 * snapshot sn of the same series. */
static void
fuzz_check_native(const struct mstore_reader *r, const struct mstore_family_view *f,
                  const struct mstore_series_view *s, const struct mstore_snapshot *sn)
{
	static struct mstore_native_snapshot nat;
	struct mstore_snapshot both;

	if (mstore_reader_native(r, f, s, &both, &nat) != 0)
		return;
	FUZZ_ASSERT(nat.nbuckets == f->native_buckets && nat.schema <= f->native_schema &&
	                    nat.zero_threshold >= f->native_zero_threshold,
	            "native reading unlike its family");
	FUZZ_ASSERT(nhist_snapshot_valid(&nat, both.count), "native reading not exposable");
	FUZZ_ASSERT(both.count == sn->count && fuzz_same_bits(both.sum, sn->sum),
	            "native reading's classic part differs");
}

/* Characters of valid UTF-8 s[0..n). */
static uint32_t
fuzz_chars(const char *s, size_t n)
{
	uint32_t c = 0;
	size_t i;

	for (i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* Every exemplar record of series s, as a renderer reads them. */
static void
fuzz_check_exemplars(const struct mstore_reader *r, const struct mstore_family_view *f,
                     const struct mstore_series_view *s)
{
	struct mstore_exemplar_view ev;
	uint32_t i, j, records = f->type == MSTORE_COUNTER ? 1 : f->nbounds + 1, chars;
	int rc;

	for (i = 0; i < records; i++) {
		rc = mstore_reader_exemplar(r, f, s, i, &ev);
		FUZZ_ASSERT(rc == 0 || rc == 1 || rc == MSTORE_E_CORRUPT, "exemplar %u: %d", i, rc);
		if (rc != 1)
			continue;
		FUZZ_ASSERT(ev.timestamp_ns > 0 && ev.nlabels <= MSTORE_MAX_LABELS &&
		                    ev.text_len <= MSTORE_EXEMPLAR_TEXT_MAX,
		            "exemplar %u: time %lld, %u labels", i, (long long)ev.timestamp_ns,
		            ev.nlabels);
		for (j = chars = 0; j < ev.nlabels; j++) {
			const char *n = ev.text + ev.name_off[j], *v = ev.text + ev.value_off[j];

			FUZZ_ASSERT((uint32_t)ev.name_off[j] + ev.name_len[j] < ev.text_len &&
			                    (uint32_t)ev.value_off[j] + ev.value_len[j] <
			                            ev.text_len &&
			                    n[ev.name_len[j]] == '\0' && v[ev.value_len[j]] == '\0',
			            "exemplar %u label %u outside its text", i, j);
			FUZZ_ASSERT(mstore_valid_label_name(n, ev.name_len[j]) &&
			                    !mstore_name_reserved(n, ev.name_len[j]) &&
			                    mstore_valid_text(v, ev.value_len[j]),
			            "exemplar %u label %u", i, j);
			chars += ev.name_len[j] + fuzz_chars(v, ev.value_len[j]);
		}
		FUZZ_ASSERT(chars <= MSTORE_EXEMPLAR_CHARS_MAX, "exemplar %u: %u characters", i,
		            chars);
		if (f->type == MSTORE_COUNTER)
			FUZZ_ASSERT(ev.value >= 0, "counter exemplar %g", ev.value);
		else
			FUZZ_ASSERT((i == f->nbounds || ev.value <= f->bounds[i]) &&
			                    (i == 0 || ev.value > f->bounds[i - 1]),
			            "exemplar %g outside bucket %u", ev.value, i);
	}
}

static void
fuzz_check_snapshot(const struct mstore_family_view *f, const struct mstore_snapshot *sn)
{
	uint32_t i;

	if (f->type != MSTORE_HISTOGRAM)
		return;
	for (i = 0; i < f->nbounds; i++)
		FUZZ_ASSERT(sn->bucket[i] <= sn->bucket[i + 1], "bucket %u not cumulative", i);
	FUZZ_ASSERT(sn->bucket[f->nbounds] == sn->count, "+Inf bucket %llu != count %llu",
	            (unsigned long long)sn->bucket[f->nbounds], (unsigned long long)sn->count);
}

static void
fuzz_check_liveness(const struct mstore_reader *r)
{
	struct mstore_liveness l;
	int rc = mstore_reader_liveness(r, 0, &l);

	if (rc < 0) {
		FUZZ_ASSERT(rc == MSTORE_E_CORRUPT, "liveness failed with %d", rc);
		return;
	}
	FUZZ_ASSERT(l.state >= MSTORE_WRITER_ALIVE && l.state <= MSTORE_WRITER_FUTURE, "state %d",
	            (int)l.state);
	FUZZ_ASSERT(rc == (l.state == MSTORE_WRITER_ALIVE || l.state == MSTORE_WRITER_STATIC),
	            "liveness returned %d for state %d", rc, (int)l.state);
	FUZZ_ASSERT(l.age_ns >= 0 && l.ahead_ns >= 0 && l.limit_ns > 0, "age %lld ahead %lld",
	            (long long)l.age_ns, (long long)l.ahead_ns);
	FUZZ_ASSERT(l.ahead_ns == 0 || l.age_ns == 0, "an age and a lead at once");
	FUZZ_ASSERT((uint64_t)l.writers_live + l.writers_stale <= fuzz_max_writers,
	            "%u live and %u stale writers of %u slots", l.writers_live, l.writers_stale,
	            fuzz_max_writers);
	FUZZ_ASSERT(l.state != MSTORE_WRITER_STATIC || l.writers_stale == 0,
	            "stale writers in a static store");
}

/* A per-writer series: its values one by one against its snapshot. */
static void
fuzz_check_per_writer(const struct mstore_reader *r, const struct mstore_family_view *f,
                      const struct mstore_series_view *s, const struct mstore_snapshot *sn)
{
	uint32_t from = 0, slot, n = 0;
	double v, acc = 0;
	int rc;

	while ((rc = mstore_reader_per_writer(r, f, s, from, &slot, &v)) == 1) {
		FUZZ_ASSERT(slot >= from && slot < fuzz_max_writers, "writer slot %u", slot);
		if (n == 0 || (f->per_writer == MSTORE_PER_WRITER_MAX && v > acc) ||
		    (f->per_writer == MSTORE_PER_WRITER_MIN && v < acc))
			acc = v;
		else if (f->per_writer == MSTORE_PER_WRITER_SUM ||
		         f->per_writer == MSTORE_PER_WRITER_ALL)
			acc += v;
		n++;
		from = slot + 1;
	}
	FUZZ_ASSERT(rc == 0, "per-writer iteration returned %d", rc);
	FUZZ_ASSERT(n == sn->writers, "%u values, snapshot says %u writers", n, sn->writers);
	FUZZ_ASSERT(n == 0 || fuzz_same(acc, sn->value), "values combine to %g, snapshot %g", acc,
	            sn->value);
}

/* Families checked pairwise for clashes (more are rare in fuzz inputs). */
#define FUZZ_CLASH_MAX 256

/* No two families the reader accepted clash: its all-pairs check against
 * the pairwise rule, mstore_names_clash(). */
static void
fuzz_check_clashes(const struct mstore_reader *r, uint32_t n)
{
	static struct mstore_family_view v[FUZZ_CLASH_MAX];
	uint32_t i, j, k = 0;

	for (i = 0; i < n && k < FUZZ_CLASH_MAX; i++)
		if (mstore_reader_family(r, i, &v[k]) == 0)
			k++;
	for (i = 0; i < k; i++)
		for (j = i + 1; j < k; j++)
			FUZZ_ASSERT(!mstore_names_clash(v[i].type, v[i].name, v[i].name_len,
			                                v[j].type, v[j].name, v[j].name_len),
			            "families %u and %u clash", v[i].index, v[j].index);
}

/* Walk every family and series, as the renderer does, checking the views. */
static void
fuzz_walk(const struct mstore_reader *r)
{
	uint32_t i, n = mstore_reader_family_count(r);

	fuzz_check_clashes(r, n);
	for (i = 0; i < n; i++) {
		struct mstore_family_view f;
		struct mstore_series_view s;
		struct mstore_snapshot sn;
		uint32_t k, steps = 0;
		int rc;

		if (mstore_reader_family(r, i, &f) != 0)
			continue;
		fuzz_check_family(&f);
		for (rc = mstore_reader_series_first(r, &f, &s); rc == 1;
		     rc = mstore_reader_series_next(r, &f, &s)) {
			FUZZ_ASSERT(++steps <= UINT32_C(1) << 22, "series walk does not end");
			FUZZ_ASSERT(s.family == f.index, "series of family %u in %u", s.family,
			            f.index);
			for (k = 0; k < f.nlabels; k++)
				FUZZ_ASSERT(
				        mstore_valid_text(s.label_value[k], s.label_value_len[k]),
				        "label value not UTF-8 or has a NUL");
			if (f.exemplars)
				fuzz_check_exemplars(r, &f, &s);
			if (mstore_reader_snapshot(r, &f, &s, &sn) != 0)
				continue;
			fuzz_check_snapshot(&f, &sn);
			if (f.native_buckets > 0)
				fuzz_check_native(r, &f, &s, &sn);
			if (f.per_writer != MSTORE_SHARED)
				fuzz_check_per_writer(r, &f, &s, &sn);
		}
		FUZZ_ASSERT(rc <= 0, "series iteration returned %d", rc);
	}
}

/* Streaming differential: a sink that appends every flushed piece to
 * want-sized collected output and keeps its buffer small (so pieces and
 * growth both happen). */
#define FUZZ_STREAM_CAP 64

struct fuzz_collect {
	char *out;
	size_t len, cap;
	int overflow;
	int binary; /* protobuf: pieces do not end in newlines */
};

static int
fuzz_collect_flush(struct expo_sink *k, size_t need)
{
	struct fuzz_collect *c = k->ctx;
	char *p;

	FUZZ_ASSERT(c->binary || k->len == 0 || k->buf[k->len - 1] == '\n',
	            "flushed piece does not end a line");
	if (c->len + k->len > c->cap)
		c->overflow = 1;
	else
		memcpy(c->out + c->len, k->buf, k->len);
	c->len += k->len;
	k->len = 0;
	if (k->cap < need) {
		p = realloc(k->buf, need);
		if (p == NULL)
			return -1;
		k->buf = p;
		k->cap = need;
	}
	return 0;
}

/* Stream-render and compare with want[0..len) (what expo_render made). */
static void
fuzz_stream(const struct mstore_reader *r, enum expo_format f, const struct expo_own *own,
            const char *want, size_t len)
{
	struct fuzz_collect c = { malloc(len), 0, len, 0, f == EXPO_PROTOBUF };
	struct expo_sink k = { malloc(FUZZ_STREAM_CAP), FUZZ_STREAM_CAP, 0, fuzz_collect_flush,
		               &c };
	int rc;

	if (c.out != NULL && k.buf != NULL) {
		rc = expo_render_stream(r, f, own, &k);
		if (rc == 0) /* the tail, as the responder sends it */
			(void)fuzz_collect_flush(&k, 0);
		FUZZ_ASSERT(rc == 0, "stream render failed (%d) where render did not", rc);
		FUZZ_ASSERT(!c.overflow && c.len == len && memcmp(c.out, want, len) == 0,
		            "stream render differs: %zu bytes, want %zu", c.len, len);
	}
	free(k.buf);
	free(c.out);
}

/* Render in format f: size query, exact rendering, one byte short, and
 * the same through a small streaming buffer. */
static void
fuzz_render(const struct mstore_reader *r, enum expo_format f)
{
	static const struct expo_own own = {
		.writer_up = 1,
		.have_store_age = 1,
		.store_age_seconds = 0.5,
		.version = "fuzz",
		.store_format = 1,
		.scrapes = 7,
		.scrape_errors = 1,
	};
	size_t need = 0, len = 0, i;
	char *buf;
	int rc;

	rc = expo_render(r, f, &own, NULL, 0, &need);
	if (rc != EXPO_E_SPACE) {
		FUZZ_ASSERT(rc < 0 && rc != EXPO_E_INVAL, "size query returned %d", rc);
		return;
	}
	FUZZ_ASSERT(need > 0, "size query says 0 bytes");
	buf = malloc(need);
	if (buf == NULL)
		return;
	rc = expo_render(r, f, &own, buf, need, &len);
	if (rc == 0) {
		FUZZ_ASSERT(len == need, "rendered %zu bytes, size query said %zu", len, need);
		if (f == EXPO_PROTOBUF) {
			char why[PBCHECK_WHY_MAX];

			FUZZ_ASSERT(pbcheck_stream(buf, len, NULL, NULL, why) == 0,
			            "protobuf output invalid: %s", why);
		} else {
			FUZZ_ASSERT(buf[len - 1] == '\n', "output does not end in a newline");
			for (i = 0; i < len; i++)
				FUZZ_ASSERT(buf[i] != '\0', "NUL byte at %zu", i);
		}
		if (f == EXPO_OPENMETRICS)
			FUZZ_ASSERT(len >= 6 && memcmp(buf + len - 6, "# EOF\n", 6) == 0,
			            "no # EOF");
		fuzz_stream(r, f, &own, buf, len);
		rc = expo_render(r, f, &own, buf, need - 1, &len);
		FUZZ_ASSERT(rc == EXPO_E_SPACE && len == need, "one byte short gave %d/%zu", rc,
		            len);
	} else {
		FUZZ_ASSERT(rc < 0 && rc != EXPO_E_INVAL, "render returned %d", rc);
	}
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mstore_reader *r;
	struct mstore_info info;
	int err = 0, rc;

	if (fuzz_write_file(data, size) != 0)
		return 0;
	r = mstore_reader_open(fuzz_path, &err);
	if (r == NULL) {
		FUZZ_ASSERT(err < 0 && mstore_strerror(err) != NULL, "open failed with %d", err);
		return 0;
	}
	FUZZ_ASSERT(mstore_reader_info(r, &info) == 0, "info on a valid reader");
	FUZZ_ASSERT(info.families <= info.max_families && info.series <= info.max_series,
	            "counts above capacity");
	FUZZ_ASSERT(info.max_writers >= 1 && info.max_writers <= MSTORE_MAX_WRITERS,
	            "max_writers %u", info.max_writers);
	fuzz_max_writers = info.max_writers;
	fuzz_check_liveness(r);
	fuzz_walk(r);
	fuzz_render(r, EXPO_TEXT);
	fuzz_render(r, EXPO_OPENMETRICS);
	fuzz_render(r, EXPO_PROTOBUF);

	/* The same file again: nothing changed, so no remap. */
	rc = mstore_reader_refresh(r);
	FUZZ_ASSERT(rc == 0 || rc < 0, "refresh of an unchanged file returned %d", rc);

	/* Shrink it under the reader: refresh must notice before touching it. */
	if (size >= 2 && ftruncate(fuzz_fd, (off_t)(size / 2)) == 0) {
		rc = mstore_reader_refresh(r);
		if (info.file_size > size / 2)
			FUZZ_ASSERT(rc < 0, "refresh after shrinking to %zu of %llu returned %d",
			            size / 2, (unsigned long long)info.file_size, rc);
		fuzz_walk(r);
		fuzz_render(r, EXPO_TEXT);
		fuzz_render(r, EXPO_PROTOBUF);
	}
	mstore_reader_close(r);
	return 0;
}
