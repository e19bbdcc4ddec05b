/* SPDX-License-Identifier: MIT */
/*
 * mstore_reader.c - the reader side of the store: map a store file
 * read-only behind a guard page, validate the header with a series of named
 * checks, validate every record it hands out, walk series chains while
 * writers remove series and reuse their room (stable reads under each
 * record's generation), take seqlock snapshots, native histograms included
 * (and read a section a dead writer left locked), tell which writers are
 * live, combine per-writer values, and notice a replaced or truncated
 * file.  Nothing in the file is trusted: every offset, count
 * and length is checked against the validated region sizes before it is
 * used.  Protocols: mstore_layout.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mstore_layout.h"
#include "mstore_names.h"

/* The header's first bytes, up to the published counts, never change after
 * creation. */
#define HDR_IMMUTABLE_LEN offsetof(struct mstore_hdr, families)
#define LIVE_WORDS        ((MSTORE_MAX_WRITERS + 63) / 64)
/* The label ALL's samples get (expo.c renders it; registration reserves it). */
#define WRITER_LABEL "writer"

/* One validated mapping: copies of the header figures we checked, so a
 * header changed behind our back cannot move us outside the file. */
struct mapping {
	int fd;
	dev_t dev;
	ino_t ino;
	unsigned char *base; /* file mapping, followed by a PROT_NONE guard */
	size_t file_len;     /* validated file_size */
	size_t map_len;      /* reserved length incl. the guard */
	unsigned char hdr_copy[HDR_IMMUTABLE_LEN];
	const struct mstore_hdr *hdr;
	const struct mstore_writer_rec *wrec;
	const struct mstore_family_rec *frec;
	const struct mstore_series_rec *srec;
	const _Atomic uint64_t *slots;
	const char *strings;
	uint32_t max_families, max_series, value_slots, string_bytes, max_writers;
	uint32_t nfam, nser, values_used, strings_used, series_used; /* acquired at refresh */
	/* Per series record, seen_tag() of the gen its label values were last
	 * checked in full at (0: never); NULL: check every record in full. */
	uint32_t *seen;
	int64_t tick_ns;
	/* Writer slots counted live at the last refresh (per-writer values). */
	uint64_t live[LIVE_WORDS];
};

struct mstore_reader {
	char *path;
	struct mapping m;
	int mapped; /* m holds a mapping */
	int err;    /* 0, or the error that invalidated m */
};

/* ------------------------------------------------------------- mapping */

static void
map_release(struct mapping *m)
{
	if (m->base != NULL)
		(void)munmap(m->base, m->map_len);
	if (m->fd >= 0)
		(void)close(m->fd);
	free(m->seen);
	m->seen = NULL;
	m->base = NULL;
	m->fd = -1;
}

/* Map len bytes of fd read-only, directly followed by an inaccessible
 * page, so an over-read past the end faults instead of reading a
 * neighbouring mapping. */
static int
map_with_guard(struct mapping *m, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t span;
	void *res, *p;

	if (page <= 0)
		return mstore_fail(MSTORE_E_SYS);
	span = (size_t)mstore_align_up(len, (uint64_t)page);
	res = mmap(NULL, span + (size_t)page, PROT_NONE,
	           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		return MSTORE_E_SYS;
	p = mmap(res, len, PROT_READ, MAP_SHARED | MAP_FIXED, m->fd, 0);
	if (p == MAP_FAILED) {
		int saved = errno;

		(void)munmap(res, span + (size_t)page);
		errno = saved;
		return MSTORE_E_SYS;
	}
	m->base = p;
	m->map_len = span + (size_t)page;
	m->hdr = p;
	return 0;
}

/* ------------------------------------------------------- header checks */

static int
check_magic(const struct mstore_hdr *h)
{
	return memcmp(h->magic, MSTORE_MAGIC, MSTORE_MAGIC_LEN) == 0 ? 0 : MSTORE_E_MAGIC;
}

/* Bytes 0..23 (magic, version, byte-order mark) keep their place in every
 * format version, so the byte order is checked before the version: a file
 * of the other byte order is E_ABI, not a strange version. */
static int
check_byte_order(const struct mstore_hdr *h)
{
	return h->byte_order == MSTORE_BYTE_ORDER_MARK ? 0 : MSTORE_E_ABI;
}

static int
check_version(const struct mstore_hdr *h)
{
	return h->version_major == MSTORE_VERSION_MAJOR ? 0 : MSTORE_E_VERSION;
}

static int
check_abi(const struct mstore_hdr *h)
{
	if (h->header_size != MSTORE_HDR_SIZE || h->family_rec_size != MSTORE_FAMILY_REC_SIZE ||
	    h->series_rec_size != MSTORE_SERIES_REC_SIZE || h->slot_size != MSTORE_SLOT_SIZE ||
	    h->writer_rec_size != MSTORE_WRITER_REC_SIZE)
		return MSTORE_E_ABI;
	return 0;
}

static int
check_size(const struct mstore_hdr *h, uint64_t actual)
{
	if (actual < h->file_size)
		return MSTORE_E_TRUNCATED;
	return actual == h->file_size ? 0 : MSTORE_E_BOUNDS;
}

/* One region: aligned, starts at or after lo, fits in the file.  *end is
 * where the next region may start. */
static int
region_ok(uint64_t off, uint64_t count, uint64_t size, uint64_t lo, uint64_t file, uint64_t *end)
{
	if (off % MSTORE_REGION_ALIGN != 0 || off < lo || off > file || count * size > file - off)
		return 0;
	*end = off + count * size;
	return 1;
}

static int
check_regions(const struct mstore_hdr *h)
{
	uint64_t end = MSTORE_HDR_SIZE, fs = h->file_size;

	if (h->max_writers == 0 || h->max_writers > MSTORE_MAX_WRITERS)
		return MSTORE_E_BOUNDS;
	if (!region_ok(h->writer_off, h->max_writers, MSTORE_WRITER_REC_SIZE, end, fs, &end) ||
	    !region_ok(h->family_off, h->max_families, MSTORE_FAMILY_REC_SIZE, end, fs, &end) ||
	    !region_ok(h->series_off, h->max_series, MSTORE_SERIES_REC_SIZE, end, fs, &end) ||
	    !region_ok(h->index_off, h->index_slots, MSTORE_INDEX_ENT_SIZE, end, fs, &end) ||
	    !region_ok(h->value_off, h->value_slots, MSTORE_SLOT_SIZE, end, fs, &end) ||
	    !region_ok(h->string_off, h->string_bytes, 1, end, fs, &end) || h->string_bytes == 0)
		return MSTORE_E_BOUNDS;
	return 0;
}

static int
check_fields(const struct mstore_hdr *h, const unsigned char *base)
{
	if (h->tick_interval_ns <= 0 || h->tick_interval_ns > MSTORE_TICK_NS_MAX)
		return MSTORE_E_CORRUPT;
	/* A power of two with room to spare, as writers need it (mstore_attach
	 * checks a file through here). */
	if (h->index_slots <= h->max_series || (h->index_slots & (h->index_slots - 1)) != 0)
		return MSTORE_E_CORRUPT;
	/* The shared empty string. */
	if (base[h->string_off] != '\0')
		return MSTORE_E_CORRUPT;
	if (h->reuse_delay_ms == 0 || h->reuse_delay_ms > MSTORE_REUSE_DELAY_MAX_MS)
		return MSTORE_E_CORRUPT;
	return 0;
}

static int
check_header(const struct mstore_hdr *h, uint64_t actual)
{
	int rc;

	if ((rc = check_magic(h)) != 0 || (rc = check_byte_order(h)) != 0 ||
	    (rc = check_version(h)) != 0 || (rc = check_abi(h)) != 0 ||
	    (rc = check_size(h, actual)) != 0 || (rc = check_regions(h)) != 0 ||
	    (rc = check_fields(h, (const unsigned char *)h)) != 0)
		return rc;
	return 0;
}

/* Take validated copies of the header's geometry. */
static void
map_adopt_header(struct mapping *m)
{
	const struct mstore_hdr *h = m->hdr;

	memcpy(m->hdr_copy, h, HDR_IMMUTABLE_LEN);
	m->wrec = (const struct mstore_writer_rec *)(const void *)(m->base + h->writer_off);
	m->frec = (const struct mstore_family_rec *)(const void *)(m->base + h->family_off);
	m->srec = (const struct mstore_series_rec *)(const void *)(m->base + h->series_off);
	m->slots = (const _Atomic uint64_t *)(const void *)(m->base + h->value_off);
	m->strings = (const char *)(m->base + h->string_off);
	m->max_families = h->max_families;
	m->max_series = h->max_series;
	m->value_slots = h->value_slots;
	m->string_bytes = h->string_bytes;
	m->max_writers = h->max_writers;
	m->tick_ns = h->tick_interval_ns;
}

/* ------------------------------------------------------- record checks */

/* Resolve a string reference: in bounds, at most max bytes, NUL-terminated. */
static inline int
str_get(const struct mapping *m, struct mstore_str ref, uint32_t max, const char **p, uint32_t *len)
{
	if (ref.off >= m->string_bytes || ref.len >= m->string_bytes - ref.off)
		return MSTORE_E_BOUNDS;
	if (ref.len > max || m->strings[ref.off + ref.len] != '\0')
		return MSTORE_E_CORRUPT;
	*p = m->strings + ref.off;
	*len = ref.len;
	return 0;
}

/*
 * The naming rules (mstore_names.c) are checked in full when full (at open
 * and refresh, for new records, as series_read() checks label values),
 * else only the syntax the renderers rely on: a published name never
 * changes under a correct writer, and the full rules cost about 200 ns a
 * name, on every family of every scrape otherwise.
 */
static int
family_strings(const struct mapping *m, const struct mstore_family_rec *rec, uint32_t type,
               struct mstore_family_view *out, int full)
{
	int rc;

	if ((rc = str_get(m, rec->name, MSTORE_NAME_MAX, &out->name, &out->name_len)) != 0)
		return rc;
	if (full ? mstore_name_check(type, out->name, out->name_len) != 0
	         : !mstore_valid_metric_name(out->name, out->name_len))
		return MSTORE_E_CORRUPT;
	if ((rc = str_get(m, rec->help, MSTORE_HELP_MAX, &out->help, &out->help_len)) != 0)
		return rc;
	if (!mstore_valid_text(out->help, out->help_len))
		return MSTORE_E_CORRUPT;
	if ((rc = str_get(m, rec->unit, MSTORE_UNIT_MAX, &out->unit, &out->unit_len)) != 0)
		return rc;
	if (out->unit_len > 0 &&
	    (!mstore_valid_unit(out->unit, out->unit_len) ||
	     !mstore_unit_suffix_ok(type, out->name, out->name_len, out->unit, out->unit_len)))
		return MSTORE_E_CORRUPT;
	return 0;
}

static int
family_labels(const struct mapping *m, const struct mstore_family_rec *rec,
              struct mstore_family_view *out, int full)
{
	uint32_t i, j;
	int rc;

	for (i = 0; i < out->nlabels; i++) {
		const char *s;
		uint32_t len;

		if ((rc = str_get(m, rec->label[i], MSTORE_NAME_MAX, &s, &len)) != 0)
			return rc;
		if (full ? mstore_label_check(s, len) != 0 : !mstore_valid_label_name(s, len))
			return MSTORE_E_CORRUPT;
		/* ALL's samples get writer="<slot>": the family may not have it. */
		if (out->per_writer == MSTORE_PER_WRITER_ALL && len == sizeof(WRITER_LABEL) - 1 &&
		    memcmp(s, WRITER_LABEL, len) == 0)
			return MSTORE_E_CORRUPT;
		for (j = 0; j < i; j++)
			if (out->label_name_len[j] == len &&
			    memcmp(out->label_name[j], s, len) == 0)
				return MSTORE_E_CORRUPT;
		out->label_name[i] = s;
		out->label_name_len[i] = len;
	}
	return 0;
}

/* Validate family record i and fill a view of it (full: see
 * family_strings()). */
static int
family_fill(const struct mapping *m, uint32_t i, struct mstore_family_view *out, int full)
{
	const struct mstore_family_rec *rec = &m->frec[i];
	uint32_t type = rec->type, nbounds = rec->nbounds, mode = rec->per_writer, first, nslots;
	struct nhist_config nc;
	int rc;

	if (mstore_native_config(&rec->native, &nc) != 0)
		return MSTORE_E_CORRUPT;
	nslots = mstore_family_nslots(type, nbounds, nc.nbuckets, mode, m->max_writers,
	                              rec->exemplars);
	out->nlabels = rec->nlabels;
	if (nslots == 0 || rec->nslots != nslots || out->nlabels > MSTORE_MAX_LABELS ||
	    rec->on_limit > MSTORE_LIMIT_OVERFLOW ||
	    (rec->on_limit == MSTORE_LIMIT_OVERFLOW && out->nlabels == 0))
		return MSTORE_E_CORRUPT;
	out->native_buckets = nc.nbuckets;
	out->native_schema = nc.schema;
	out->native_zero_threshold = nc.zero_threshold;
	out->native_max_zero_threshold = nc.max_zero_threshold;
	out->native_min_reset_ns = nc.min_reset_ns;
	out->index = i;
	out->type = (enum mstore_type)type;
	out->nbounds = nbounds;
	out->per_writer = (enum mstore_per_writer)mode;
	out->exemplars = rec->exemplars != 0;
	if ((rc = family_strings(m, rec, type, out, full)) != 0 ||
	    (rc = family_labels(m, rec, out, full)) != 0)
		return rc;
	memcpy(out->bounds, rec->bounds, nbounds * sizeof(double));
	if (!mstore_valid_bounds(out->bounds, nbounds))
		return MSTORE_E_CORRUPT;
	first = atomic_load_explicit(&rec->first_series, memory_order_acquire);
	if (first != MSTORE_NONE && first >= m->max_series)
		return MSTORE_E_BOUNDS;
	out->_first_series = first;
	return 0;
}

/* Value slots of each series of family view f (0: an invalid view).  The
 * shared case first: it is every series of most stores, several times per
 * series and scrape. */
static inline uint32_t
view_slots(const struct mapping *m, const struct mstore_family_view *f)
{
	if (f->per_writer == MSTORE_SHARED && !f->exemplars)
		return mstore_slots_for(f->type, f->nbounds, f->native_buckets);
	return mstore_family_nslots(f->type, f->nbounds, f->native_buckets, f->per_writer,
	                            m->max_writers, f->exemplars != 0);
}

/* What a stable read of a series record found (series_read()). */
#define RD_UNSTABLE 0 /* it changed while read */
#define RD_MEMBER   1 /* a LIVE series of the family, read whole */
#define RD_OTHER    2 /* stably not a LIVE series of the family */

/* The tag m->seen keeps of a gen: never 0. */
static inline uint32_t
seen_tag(uint64_t g)
{
	return (uint32_t)g | 1u;
}

/*
 * A stable read of series record idx (< max_series) as a member of family
 * f (mstore_layout.h, "Series records"): RD_MEMBER with *out filled, and
 * RD_OTHER or RD_UNSTABLE as above; a record that reads stably as a LIVE
 * member of f but holds a bad offset, length, link or string is a
 * negative code.  Offsets, lengths, terminators and links are checked on
 * every read; the UTF-8 of label values when the record's gen is one not
 * checked yet (m->seen): the renderer walks every series on every scrape,
 * and a LIVE record's strings never change under a correct writer.
 */
static inline int
series_read(const struct mapping *m, const struct mstore_family_view *f, uint32_t nslots,
            uint32_t idx, struct mstore_series_view *out)
{
	const struct mstore_series_rec *rec = &m->srec[idx];
	uint64_t g = atomic_load_explicit(&rec->gen, memory_order_acquire);
	uint32_t state, voff, next, i;
	int rc = 0, full;

	if (g & 1u)
		return RD_UNSTABLE;
	state = atomic_load_explicit(&rec->state, memory_order_relaxed);
	if (state != MSTORE_SERIES_LIVE ||
	    atomic_load_explicit(&rec->family, memory_order_relaxed) != f->index) {
		atomic_thread_fence(memory_order_acquire);
		return atomic_load_explicit(&rec->gen, memory_order_relaxed) == g ? RD_OTHER
		                                                                  : RD_UNSTABLE;
	}
	full = m->seen == NULL || m->seen[idx] != seen_tag(g);
	voff = atomic_load_explicit(&rec->value_off, memory_order_relaxed);
	next = atomic_load_explicit(&rec->next, memory_order_relaxed);
	if ((uint64_t)voff + nslots > m->value_slots ||
	    (next != MSTORE_NONE && next >= m->max_series))
		rc = MSTORE_E_BOUNDS;
	for (i = 0; rc == 0 && i < f->nlabels; i++) {
		rc = str_get(m,
		             mstore_str_unpack(
		                     atomic_load_explicit(&rec->label[i], memory_order_relaxed)),
		             MSTORE_LABEL_VALUE_MAX, &out->label_value[i],
		             &out->label_value_len[i]);
		if (rc == 0 && full &&
		    !mstore_valid_text(out->label_value[i], out->label_value_len[i]))
			rc = MSTORE_E_CORRUPT;
	}
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&rec->gen, memory_order_relaxed) != g)
		return RD_UNSTABLE;
	if (rc != 0)
		return rc;
	if (full && m->seen != NULL)
		m->seen[idx] = seen_tag(g);
	out->index = idx;
	out->family = f->index;
	out->_value_off = voff;
	out->_next = next;
	out->_gen = g;
	return RD_MEMBER;
}

/* ------------------------------------------------------------ clashes */

/* One name a family occupies: its base name (a private copy), then one of
 * its type's suffixes (mstore_name_occupied). */
struct occupied {
	const char *base;
	const char *suffix;
	size_t base_len, len;
	uint32_t family;
};

static unsigned char
occupied_byte(const struct occupied *o, size_t i)
{
	return (unsigned char)(i < o->base_len ? o->base[i] : o->suffix[i - o->base_len]);
}

/* The bytewise order of the two names (qsort). */
static int
occupied_cmp(const void *pa, const void *pb)
{
	const struct occupied *a = pa, *b = pb;
	size_t n = a->len < b->len ? a->len : b->len;
	size_t i = a->base_len < b->base_len ? a->base_len : b->base_len;
	int rc = memcmp(a->base, b->base, i);

	if (rc != 0)
		return rc;
	for (; i < n; i++) {
		unsigned char x = occupied_byte(a, i), y = occupied_byte(b, i);

		if (x != y)
			return x < y ? -1 : 1;
	}
	return (a->len > b->len) - (a->len < b->len);
}

/*
 * Do two published families occupy a common name?  A correct writer never
 * publishes such a pair (it refuses the second at registration,
 * mstore_names_clash()), so the store is MSTORE_E_CORRUPT, like a store
 * with an invalid name: a strict OpenMetrics parser would reject every
 * scrape of it.  All pairs at once: every occupied name of every family,
 * sorted, then equal neighbours, O(n log n), where checking each family
 * against all others would let a file of 65536 families take minutes to
 * open.  The base names are copied out of the mapping first, so a writer
 * changing them meanwhile cannot make the order qsort relies on
 * inconsistent.
 */
static int
check_clashes(const struct mapping *m)
{
	struct mstore_family_view v;
	struct occupied *occ = malloc((size_t)m->nfam * MSTORE_OCCUPIED_MAX * sizeof(*occ));
	char *copy = malloc((size_t)m->nfam * MSTORE_NAME_MAX + 1);
	size_t n = 0, off = 0, k, ns;
	const char *const *sfx;
	uint32_t i;
	int rc = 0;

	if (occ == NULL || copy == NULL) {
		rc = MSTORE_E_SYS;
		goto out;
	}
	for (i = 0; i < m->nfam; i++) {
		if ((rc = family_fill(m, i, &v, 0)) != 0)
			goto out;
		memcpy(copy + off, v.name, v.name_len);
		ns = mstore_name_occupied(v.type, &sfx);
		for (k = 0; k < ns; k++, n++) {
			occ[n].base = copy + off;
			occ[n].base_len = mstore_name_base_len(v.type, copy + off, v.name_len);
			occ[n].suffix = sfx[k];
			occ[n].len = occ[n].base_len + strlen(sfx[k]);
			occ[n].family = i;
		}
		off += v.name_len;
	}
	if (n > 1) {
		qsort(occ, n, sizeof(*occ), occupied_cmp);
		for (k = 1; k < n && rc == 0; k++)
			if (occ[k].family != occ[k - 1].family &&
			    occupied_cmp(&occ[k - 1], &occ[k]) == 0)
				rc = MSTORE_E_CORRUPT;
	}
out:
	free(occ);
	free(copy);
	return rc;
}

static int walk(const struct mapping *m, const struct mstore_family_view *f, uint32_t nslots,
                uint32_t p, uint64_t pg, uint32_t cand, uint64_t floor,
                struct mstore_series_view *s);

/* At open: walk every family's chain once (a link out of bounds, into
 * another family or back is found here rather than by the first scrape). */
static int
validate_chains(const struct mapping *m)
{
	struct mstore_family_view fv;
	struct mstore_series_view sv;
	uint32_t i, first, nslots;
	int rc;

	for (i = 0; i < m->nfam; i++) {
		if ((rc = family_fill(m, i, &fv, 0)) != 0)
			return rc;
		nslots = view_slots(m, &fv);
		first = atomic_load_explicit(&m->frec[i].first_series, memory_order_acquire);
		if (first != MSTORE_NONE && first >= m->max_series)
			return MSTORE_E_BOUNDS;
		for (rc = walk(m, &fv, nslots, MSTORE_NONE, 0, first, 0, &sv); rc == 1;
		     rc = walk(m, &fv, nslots, sv.index, sv._gen, sv._next, sv._gen, &sv))
			;
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Validate records published since the last check (families [f0, nfam),
 * series records [s0, nser)), and that no two families clash when
 * families were added.  At open (f0 = s0 = 0) this covers every record.
 * A series record is checked when it reads stably: LIVE, as a member of
 * its family, in full; FREE or LIMBO, its state.  Links, and records
 * reused below s0, are checked when a walk reads them (series_read()). */
static int
validate_new(const struct mapping *m, uint32_t f0, uint32_t s0)
{
	struct mstore_family_view fv;
	struct mstore_series_view sv;
	uint32_t i, fam, state, cached = MSTORE_NONE;
	uint64_t g;
	int rc;

	for (i = f0; i < m->nfam; i++)
		if ((rc = family_fill(m, i, &fv, 1)) != 0)
			return rc;
	if (f0 < m->nfam && (rc = check_clashes(m)) != 0)
		return rc;
	for (i = s0; i < m->nser; i++) {
		g = atomic_load_explicit(&m->srec[i].gen, memory_order_acquire);
		state = atomic_load_explicit(&m->srec[i].state, memory_order_relaxed);
		fam = atomic_load_explicit(&m->srec[i].family, memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		if ((g & 1u) || atomic_load_explicit(&m->srec[i].gen, memory_order_relaxed) != g)
			continue; /* changing now: checked when a walk reads it */
		if (state > MSTORE_SERIES_LIMBO || (state == MSTORE_SERIES_LIVE && fam >= m->nfam))
			return MSTORE_E_CORRUPT;
		if (state != MSTORE_SERIES_LIVE)
			continue;
		if (fam != cached && (rc = family_fill(m, fam, &fv, 0)) != 0)
			return rc;
		cached = fam;
		if ((rc = series_read(m, &fv, view_slots(m, &fv), i, &sv)) < 0)
			return rc;
	}
	return s0 == 0 ? validate_chains(m) : 0;
}

/* Acquire the published counts (series first: a series published before
 * our load has its family published before it, hence below our family
 * count), check them against capacities and the previous counts. */
static int
load_counts(struct mapping *m)
{
	const struct mstore_hdr *h = m->hdr;
	uint32_t ser = atomic_load_explicit(&h->series, memory_order_acquire);
	uint32_t fam = atomic_load_explicit(&h->families, memory_order_acquire);
	uint32_t vals = atomic_load_explicit(&h->values_used, memory_order_relaxed);
	uint32_t strs = atomic_load_explicit(&h->strings_used, memory_order_relaxed);
	uint32_t used = atomic_load_explicit(&h->series_used, memory_order_relaxed);

	if (fam > m->max_families || ser > m->max_series || vals > m->value_slots ||
	    strs > m->string_bytes || used > m->max_series)
		return MSTORE_E_BOUNDS;
	if (fam < m->nfam || ser < m->nser)
		return MSTORE_E_CORRUPT;
	m->nfam = fam;
	m->nser = ser;
	m->values_used = vals;
	m->strings_used = strs;
	m->series_used = used;
	return 0;
}

/* ------------------------------------------------------------- writers */

static void
live_set(uint64_t *live, uint32_t w)
{
	live[w / 64] |= UINT64_C(1) << (w % 64);
}

static int
live_has(const uint64_t *live, uint32_t w)
{
	return (live[w / 64] >> (w % 64)) & 1u;
}

/* Is writer slot w live at now (the reader's CLOCK_BOOTTIME): LIVE, and
 * its heartbeat within MSTORE_STALE_TICKS of its ticks (static store:
 * LIVE)?  1, 0 (also while a claim rewrites it), MSTORE_E_CORRUPT for a
 * slot no writer writes. */
static int
writer_live(const struct mapping *m, uint32_t w, int64_t now)
{
	struct mstore_slot_view v;
	struct mstore_liveness l;

	if (mstore_slot_read(&m->wrec[w], &v) != 1)
		return 0; /* being claimed: not live yet */
	if (!mstore_slot_valid(&v))
		return MSTORE_E_CORRUPT;
	if (v.state != MSTORE_SLOT_LIVE)
		return 0;
	if ((m->hdr->flags & MSTORE_F_STATIC) != 0)
		return 1;
	return mstore_slot_judge(&v, 0, mstore_clock_self(), now, &l);
}

/*
 * Check every writer slot (MSTORE_E_CORRUPT for one no writer writes) and
 * the shard owners, which name slots, and take the live set: the writers
 * whose values per-writer families show until the next refresh
 * (writer_live).  Reads only: mstore_layout.h, "Writer slots".
 */
static int
scan_writers(struct mapping *m)
{
	int64_t now = mstore_boottime_ns();
	uint32_t w, k;
	int rc;

	if (now < 0)
		return MSTORE_E_SYS;
	memset(m->live, 0, sizeof(m->live));
	for (k = 0; k < MSTORE_COUNTER_SHARDS; k++)
		if (atomic_load_explicit(&m->hdr->shard_owner[k], memory_order_relaxed) >
		    m->max_writers)
			return MSTORE_E_CORRUPT;
	for (w = 0; w < m->max_writers; w++) {
		if ((rc = writer_live(m, w, now)) < 0)
			return rc;
		if (rc == 1)
			live_set(m->live, w);
	}
	return 0;
}

/* Check a mapping whose header fields m holds (base, hdr, file_len): the
 * header, every published record, the writer slots. */
static int
map_validate(struct mapping *m)
{
	int rc;

	if ((rc = check_header(m->hdr, m->file_len)) != 0)
		return rc;
	map_adopt_header(m);
	if ((rc = load_counts(m)) != 0 || (rc = validate_new(m, 0, 0)) != 0 ||
	    (rc = scan_writers(m)) != 0)
		return rc;
	return 0;
}

int
mstore_check_file(const unsigned char *base, size_t len)
{
	struct mapping m;

	memset(&m, 0, sizeof(m));
	m.fd = -1;
	m.base = (unsigned char *)(uintptr_t)base; /* only read */
	m.hdr = (const struct mstore_hdr *)(const void *)base;
	m.file_len = len;
	return map_validate(&m);
}

/* The reader's record of which series records it checked in full, sized
 * by the header (checked again by map_validate: it never shrinks). */
static int
map_seen(struct mapping *m)
{
	const struct mstore_hdr *h = m->hdr;

	if (check_header(h, m->file_len) != 0)
		return 0; /* map_validate says why */
	m->seen = calloc(h->max_series > 0 ? h->max_series : 1, sizeof(*m->seen));
	return m->seen != NULL ? 0 : MSTORE_E_SYS;
}

/* Open, check and map path into *m.  On error *m holds nothing. */
static int
map_open(const char *path, struct mapping *m)
{
	struct stat sb;
	int rc, saved;

	memset(m, 0, sizeof(*m));
	/* O_NONBLOCK: a FIFO planted at path must not hang us (open of a
	 * FIFO for reading returns at once; the S_ISREG check rejects it). */
	m->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (m->fd < 0)
		return MSTORE_E_SYS;
	if (fstat(m->fd, &sb) != 0) {
		rc = MSTORE_E_SYS;
		goto fail;
	}
	/* A directory, FIFO or device is never read (nor mapped). */
	rc = !S_ISREG(sb.st_mode)                  ? MSTORE_E_NOT_REGULAR
	     : sb.st_size < (off_t)MSTORE_HDR_SIZE ? MSTORE_E_TRUNCATED
	                                           : 0;
	if (rc != 0 || (rc = map_with_guard(m, (size_t)sb.st_size)) != 0)
		goto fail;
	m->dev = sb.st_dev;
	m->ino = sb.st_ino;
	m->file_len = (size_t)sb.st_size;
	if ((rc = map_seen(m)) != 0 || (rc = map_validate(m)) != 0)
		goto fail;
	return 0;
fail:
	saved = errno;
	map_release(m);
	errno = saved;
	return rc;
}

/* The same file again (size: its current length, from the caller's stat of
 * the path, which showed our device and inode): still as long as mapped,
 * header unchanged, new records valid. */
static int
map_recheck(struct mapping *m, off_t size)
{
	uint32_t f0 = m->nfam, s0 = m->nser;
	int rc;

	if (size < 0 || (uint64_t)size < m->file_len)
		return MSTORE_E_TRUNCATED; /* do not touch the mapping */
	if (memcmp(m->hdr_copy, m->hdr, HDR_IMMUTABLE_LEN) != 0)
		return MSTORE_E_CORRUPT;
	if ((rc = load_counts(m)) != 0)
		return rc;
	if ((rc = validate_new(m, f0, s0)) != 0) {
		/* Validate these records again on the next refresh. */
		m->nfam = f0;
		m->nser = s0;
		return rc;
	}
	return scan_writers(m);
}

/* -------------------------------------------------------------- public */

static inline int
reader_ok(const struct mstore_reader *r)
{
	if (r == NULL)
		return MSTORE_E_INVAL;
	if (r->err != 0)
		return r->err;
	return r->mapped ? 0 : MSTORE_E_INVAL;
}

struct mstore_reader *
mstore_reader_open(const char *path, int *err)
{
	struct mstore_reader *r;
	int rc;

	if (path == NULL) {
		rc = MSTORE_E_INVAL;
		goto out;
	}
	rc = MSTORE_E_SYS;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		goto out;
	if ((r->path = strdup(path)) == NULL) {
		free(r);
		goto out;
	}
	if ((rc = map_open(path, &r->m)) != 0) {
		int saved = errno;

		free(r->path);
		free(r);
		errno = saved;
		goto out;
	}
	r->mapped = 1;
	if (err != NULL)
		*err = 0;
	return r;
out:
	rc = mstore_fail(rc);
	if (err != NULL)
		*err = rc;
	return NULL;
}

void
mstore_reader_close(struct mstore_reader *r)
{
	if (r == NULL)
		return;
	if (r->mapped)
		map_release(&r->m);
	free(r->path);
	free(r);
}

static int
reader_invalidate(struct mstore_reader *r, int rc)
{
	r->err = rc;
	return mstore_fail(rc);
}

int
mstore_reader_refresh(struct mstore_reader *r)
{
	struct mapping nm;
	struct stat sb;
	int rc, was_bad;

	if (r == NULL)
		return mstore_fail(MSTORE_E_INVAL);
	if (stat(r->path, &sb) != 0)
		return reader_invalidate(r, MSTORE_E_SYS);
	if (!r->mapped || sb.st_dev != r->m.dev || sb.st_ino != r->m.ino) {
		if ((rc = map_open(r->path, &nm)) != 0)
			return reader_invalidate(r, rc);
		if (r->mapped)
			map_release(&r->m);
		r->m = nm;
		r->mapped = 1;
		r->err = 0;
		return 1;
	}
	/* Same device and inode as our descriptor: sb describes the mapped
	 * file, so no fstat is needed to see whether it shrank. */
	if ((rc = map_recheck(&r->m, sb.st_size)) != 0)
		return reader_invalidate(r, rc);
	/* Recovered on the same mapping: old views are void, say so. */
	was_bad = r->err != 0;
	r->err = 0;
	return was_bad ? 1 : 0;
}

/* The latest heartbeat of any writer that ever held a slot (raw). */
static int64_t
latest_heartbeat(const struct mapping *m)
{
	struct mstore_slot_view v;
	int64_t hb = 0;
	uint32_t w;

	for (w = 0; w < m->max_writers; w++)
		if (mstore_slot_read(&m->wrec[w], &v) == 1 && v.gen != 0 && v.heartbeat_ns > hb)
			hb = v.heartbeat_ns;
	return hb;
}

int
mstore_reader_info(const struct mstore_reader *r, struct mstore_info *out)
{
	const struct mapping *m;
	uint32_t k;
	int rc;

	if (out == NULL)
		return mstore_fail(MSTORE_E_INVAL);
	if ((rc = reader_ok(r)) != 0)
		return mstore_fail(rc);
	m = &r->m;
	memset(out, 0, sizeof(*out));
	out->version = m->hdr->version_major;
	out->flags = m->hdr->flags;
	out->writer_pid = m->hdr->creator_pid;
	out->start_time_ns = m->hdr->start_time_ns;
	out->heartbeat_ns = latest_heartbeat(m);
	out->tick_interval_ns = m->tick_ns;
	out->families = m->nfam;
	out->max_families = m->max_families;
	out->series = m->series_used;
	out->max_series = m->max_series;
	out->values_used = m->values_used;
	out->value_slots = m->value_slots;
	out->strings_used = m->strings_used;
	out->string_bytes = m->string_bytes;
	out->file_size = m->file_len;
	out->max_writers = m->max_writers;
	for (k = 0; k < MSTORE_RECOVERY_KINDS; k++)
		out->recoveries[k] =
		        atomic_load_explicit(&m->hdr->recoveries[k], memory_order_relaxed);
	for (k = 0; k < MSTORE_REFUSAL_KINDS; k++)
		out->refused[k] = atomic_load_explicit(&m->hdr->refused[k], memory_order_relaxed);
	return 0;
}

uint32_t
mstore_reader_family_count(const struct mstore_reader *r)
{
	return reader_ok(r) == 0 ? r->m.nfam : 0;
}

int
mstore_reader_family(const struct mstore_reader *r, uint32_t i, struct mstore_family_view *out)
{
	int rc;

	if (out == NULL)
		return mstore_fail(MSTORE_E_INVAL);
	if ((rc = reader_ok(r)) != 0)
		return mstore_fail(rc);
	if (i >= r->m.nfam)
		return mstore_fail(MSTORE_E_INVAL);
	if ((rc = family_fill(&r->m, i, out, 0)) != 0)
		return mstore_fail(rc);
	return 0;
}

/* Check the arguments of a series call; *nslots gets the value slots of
 * each of f's series (computed once per call: the renderer makes several
 * per series). */
static inline int
series_args(const struct mstore_reader *r, const struct mstore_family_view *f,
            const struct mstore_series_view *s, uint32_t *nslots)
{
	int rc;

	if (f == NULL || s == NULL)
		return MSTORE_E_INVAL;
	if ((rc = reader_ok(r)) != 0)
		return rc;
	if (f->index >= r->m.nfam || f->nlabels > MSTORE_MAX_LABELS ||
	    (*nslots = view_slots(&r->m, f)) == 0)
		return MSTORE_E_INVAL;
	return 0;
}

/* Rounds in a row a stably read predecessor may still link to a record
 * that is not a member (a writer changing it meanwhile would have moved
 * the link) before the store counts as corrupt. */
#define WALK_STUCK 4u

static void snapshot_backoff(uint32_t tries);

/*
 * The walk (mstore_layout.h, "Series records", chains): from predecessor p
 * (gen pg; MSTORE_NONE: the family's head) whose link read cand, on to the
 * first LIVE member of f with a gen above floor (the last series returned).
 * 1 with *s filled, 0 at the end, or a negative code (*s then holds
 * whatever the walk read last: a caller does not step on from it).
 */
static int
walk(const struct mapping *m, const struct mstore_family_view *f, uint32_t nslots, uint32_t p,
     uint64_t pg, uint32_t cand, uint64_t floor, struct mstore_series_view *s)
{
	const _Atomic uint32_t *head = &m->frec[f->index].first_series;
	uint32_t tries = 0, steps = 0, stuck = 0, fresh;
	struct mstore_series_view v;
	int rc, crc;

	for (;;) {
		if (cand == MSTORE_NONE || cand >= m->nser)
			return 0; /* the end, or a series taken after our refresh */
		/* read straight into *s (the caller's position is in p, pg and
		 * floor): a copy of the view per series cost a sixth of a walk */
		crc = series_read(m, f, nslots, cand, s);
		if (crc < 0)
			return crc;
		if (crc == RD_MEMBER) {
			if (s->_gen <= pg)
				return MSTORE_E_CORRUPT; /* chains rise: a cycle */
			if (s->_gen > floor)
				return 1;
			if (++steps > m->max_series)
				return 0;
			p = cand;
			pg = s->_gen;
			cand = s->_next;
			stuck = 0;
			continue;
		}
		/* Not a member (now): back to where the link came from. */
		if (++tries > MSTORE_WALK_RETRIES)
			return MSTORE_E_RETRY;
		snapshot_backoff(tries);
		if (p == MSTORE_NONE) {
			fresh = atomic_load_explicit(head, memory_order_acquire);
		} else if ((rc = series_read(m, f, nslots, p, &v)) < 0) {
			return rc;
		} else if (rc == RD_MEMBER && v._gen == pg) {
			fresh = v._next;
		} else {
			/* p went too: again from the head, past what was returned */
			p = MSTORE_NONE;
			pg = 0;
			fresh = atomic_load_explicit(head, memory_order_acquire);
			steps = 0;
		}
		if (fresh != MSTORE_NONE && fresh >= m->max_series)
			return MSTORE_E_BOUNDS;
		if (fresh == cand && ++stuck >= WALK_STUCK)
			return MSTORE_E_CORRUPT; /* a live link to a non-member */
		if (fresh != cand)
			stuck = 0;
		cand = fresh;
	}
}

int
mstore_reader_series_first(const struct mstore_reader *r, const struct mstore_family_view *f,
                           struct mstore_series_view *s)
{
	uint32_t nslots, first;
	int rc;

	if ((rc = series_args(r, f, s, &nslots)) != 0)
		return mstore_fail(rc);
	first = atomic_load_explicit(&r->m.frec[f->index].first_series, memory_order_acquire);
	if (first != MSTORE_NONE && first >= r->m.max_series)
		return mstore_fail(MSTORE_E_BOUNDS);
	rc = walk(&r->m, f, nslots, MSTORE_NONE, 0, first, 0, s);
	return rc < 0 ? mstore_fail(rc) : rc;
}

int
mstore_reader_series_next(const struct mstore_reader *r, const struct mstore_family_view *f,
                          struct mstore_series_view *s)
{
	uint32_t nslots;
	int rc;

	if ((rc = series_args(r, f, s, &nslots)) != 0)
		return mstore_fail(rc);
	if (s->family != f->index || s->index >= r->m.max_series)
		return mstore_fail(MSTORE_E_INVAL);
	rc = walk(&r->m, f, nslots, s->index, s->_gen, s->_next, s->_gen, s);
	return rc < 0 ? mstore_fail(rc) : rc;
}

/* 1 if the record of view s still has the gen s was read at (mstore_layout.h:
 * the fence orders every read made through s before this load). */
static int
series_still(const struct mapping *m, const struct mstore_series_view *s)
{
	atomic_thread_fence(memory_order_acquire);
	return atomic_load_explicit(&m->srec[s->index].gen, memory_order_relaxed) == s->_gen;
}

int
mstore_reader_series_check(const struct mstore_reader *r, const struct mstore_series_view *s)
{
	int rc;

	if (s == NULL)
		return mstore_fail(MSTORE_E_INVAL);
	if ((rc = reader_ok(r)) != 0)
		return mstore_fail(rc);
	if (s->index >= r->m.max_series)
		return mstore_fail(MSTORE_E_INVAL);
	return series_still(&r->m, s);
}

/* Wait before retry number tries (see MSTORE_SNAPSHOT_RETRIES). */
static void
snapshot_backoff(uint32_t tries)
{
	static const struct timespec pause = { 0, MSTORE_SNAPSHOT_BACKOFF_NS };

	if (tries < MSTORE_SNAPSHOT_SPINS)
		return;
	if (tries < MSTORE_SNAPSHOT_YIELDS)
		(void)sched_yield();
	else
		(void)nanosleep(&pause, NULL); /* EINTR: just retry sooner */
}

/* Sum of a counter's slots: shared integer, per-thread shards, double part
 * (mstore_layout.h, before MSTORE_COUNTER_SHARDS, says why it never
 * goes backwards). */
static double
counter_value(const _Atomic uint64_t *v)
{
	uint64_t n = atomic_load_explicit(&v[MSTORE_COUNTER_SHARED], memory_order_relaxed);
	uint32_t i;

	for (i = 0; i < MSTORE_COUNTER_SHARDS; i++)
		n += atomic_load_explicit(&v[MSTORE_COUNTER_SHARD0 + i], memory_order_relaxed);
	return (double)n +
	       bits_to_double(atomic_load_explicit(&v[MSTORE_COUNTER_FRAC], memory_order_relaxed));
}

/*
 * Is the writer that holds a histogram's seq (locked value v) gone?  1 if
 * its writer slot is not live now (mstore_layout.h, "A writer killed
 * inside", says why reading the section then is safe even if it is only
 * late), 0 if it is, or we cannot tell; MSTORE_E_CORRUPT for an owner no
 * writer slot has.
 */
static int
seq_owner_dead(const struct mapping *m, uint64_t v)
{
	uint64_t owner = (v >> MSTORE_SEQ_OWNER_SHIFT) & MSTORE_SEQ_OWNER_MASK;
	int64_t now = mstore_boottime_ns();
	int rc;

	if (owner >= m->max_writers)
		return MSTORE_E_CORRUPT;
	if (now < 0)
		return 0;
	rc = writer_live(m, (uint32_t)owner, now);
	return rc < 0 ? rc : rc == 0;
}

/*
 * The native part of a seq-stable reading (mstore_layout.h, "Native
 * histograms"): active is the ACTIVE slot read, nat the copy read when it
 * was 0 or 1, count the classic count, dead whether a dead writer's section
 * was read (then counts that exceed it are a reset cut short: the reading
 * is the configured state, empty).  What a correct writer leaves: its
 * schema and zero threshold those configured or changed as the
 * limitation strategies change them (lower, wider), its buckets within
 * the schema, its counts adding up to at most count.
 */
static int
native_check(const struct nhist_config *nc, uint64_t active, struct mstore_native_snapshot *nat,
             uint64_t count, int dead)
{
	if (active > 1)
		return MSTORE_E_CORRUPT;
	if (dead && nhist_snapshot_total(nat) > count)
		nhist_read_fresh(nc, nat);
	if (!nhist_snapshot_valid(nat, count) || nat->schema > nc->schema ||
	    !(nat->zero_threshold >= nc->zero_threshold))
		return MSTORE_E_CORRUPT;
	return 0;
}

/* Copy the current native part of a histogram's slots v (nb classic
 * bounds, native config nc) into *nat; returns the ACTIVE slot read. */
static uint64_t
native_read(const _Atomic uint64_t *v, uint32_t nb, const struct nhist_config *nc,
            struct mstore_native_snapshot *nat)
{
	const _Atomic uint64_t *p = v + nb + MSTORE_HIST_FIXED_SLOTS;
	uint64_t active = atomic_load_explicit(&p[MSTORE_NATIVE_ACTIVE], memory_order_relaxed);

	if (active <= 1)
		nhist_read(p + MSTORE_NATIVE_COPY0 + active * NHIST_SLOTS(nc->nbuckets),
		           nc->nbuckets, nat);
	return active;
}

/* Seqlock read of a histogram (protocol and proof in mstore_layout.h),
 * including a section whose writer died inside; with nat, its native part
 * too (configuration nc). */
static int
hist_snapshot(const struct mapping *m, const _Atomic uint64_t *v, uint32_t nb,
              const struct nhist_config *nc, struct mstore_snapshot *out,
              struct mstore_native_snapshot *nat)
{
	uint64_t b[MSTORE_MAX_BUCKETS + 1], dead = 0; /* dead: a locked value whose owner is */
	uint32_t tries, i;
	int rc;

	for (tries = 0; tries < MSTORE_SNAPSHOT_RETRIES; tries++) {
		uint64_t s1, s2, count, sum, cum = 0, active = 0;

		if (tries > 0)
			snapshot_backoff(tries);
		s1 = atomic_load_explicit(&v[MSTORE_HIST_SEQ], memory_order_acquire);
		if ((s1 & MSTORE_SEQ_LOCKED) && s1 != dead) {
			/* A live writer leaves soon; ask about the owner only
			 * once the spins are over, and then now and again. */
			if (tries < MSTORE_SNAPSHOT_SPINS ||
			    (tries - MSTORE_SNAPSHOT_SPINS) % MSTORE_SNAPSHOT_OWNER_EVERY != 0)
				continue;
			if ((rc = seq_owner_dead(m, s1)) < 0)
				return rc;
			if (rc == 0)
				continue;
			dead = s1;
		}
		count = atomic_load_explicit(&v[MSTORE_HIST_COUNT], memory_order_relaxed);
		sum = atomic_load_explicit(&v[MSTORE_HIST_SUM], memory_order_relaxed);
		for (i = 0; i <= nb; i++)
			b[i] = atomic_load_explicit(&v[MSTORE_HIST_BUCKET0 + i],
			                            memory_order_relaxed);
		if (nat != NULL)
			active = native_read(v, nb, nc, nat);
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&v[MSTORE_HIST_SEQ], memory_order_relaxed);
		if (s1 != s2)
			continue;
		for (i = 0; i <= nb; i++) {
			/* a corrupted file can hold counts whose running sum
			 * wraps (and may even wrap back onto count) */
			if (b[i] > UINT64_MAX - cum)
				return MSTORE_E_CORRUPT;
			cum += b[i];
			out->bucket[i] = cum;
		}
		/* A dead writer's section: the buckets are the truth. */
		if (s1 != dead && cum != count)
			return MSTORE_E_CORRUPT; /* stable yet inconsistent */
		if (nat != NULL && (rc = native_check(nc, active, nat, cum, s1 == dead)) != 0)
			return rc;
		out->count = cum;
		out->sum = bits_to_double(sum);
		out->value = 0;
		return 0;
	}
	return MSTORE_E_RETRY;
}

/* The live writers' values of a per-writer series combined by mode (ALL:
 * summed); out->writers counts them (mstore_layout.h, "Per-writer
 * values"). */
static void
per_writer_combine(const struct mapping *m, const _Atomic uint64_t *v, uint32_t mode,
                   struct mstore_snapshot *out)
{
	double acc = 0, x;
	uint32_t word, n = 0, w;
	uint64_t bits, live;

	for (word = 0; word < LIVE_WORDS; word++) {
		for (live = m->live[word]; live != 0; live &= live - 1) {
			w = word * 64 + (uint32_t)__builtin_ctzll(live);
			if (w >= m->max_writers)
				break;
			bits = atomic_load_explicit(&v[w], memory_order_relaxed);
			if (bits == MSTORE_PW_UNSET)
				continue;
			x = bits_to_double(bits);
			if (n == 0 || (mode == MSTORE_PER_WRITER_MAX && x > acc) ||
			    (mode == MSTORE_PER_WRITER_MIN && x < acc))
				acc = x;
			else if (mode == MSTORE_PER_WRITER_SUM || mode == MSTORE_PER_WRITER_ALL)
				acc += x;
			n++;
		}
	}
	out->value = acc;
	out->writers = n;
}

int
mstore_reader_snapshot(const struct mstore_reader *r, const struct mstore_family_view *f,
                       const struct mstore_series_view *s, struct mstore_snapshot *out)
{
	const _Atomic uint64_t *v;
	uint32_t nslots;
	int rc;

	if (out == NULL || (rc = series_args(r, f, s, &nslots)) != 0)
		return mstore_fail(out == NULL ? MSTORE_E_INVAL : rc);
	if (s->family != f->index || f->nbounds > MSTORE_MAX_BUCKETS ||
	    s->index >= r->m.max_series || (uint64_t)s->_value_off + nslots > r->m.value_slots)
		return mstore_fail(MSTORE_E_INVAL);
	v = &r->m.slots[s->_value_off];
	out->count = 0;
	out->sum = 0;
	out->writers = 0;
	if (f->per_writer != MSTORE_SHARED) {
		per_writer_combine(&r->m, v, f->per_writer, out);
		rc = 0;
	} else if (f->type == MSTORE_COUNTER) {
		out->value = counter_value(v);
		rc = 0;
	} else if (f->type == MSTORE_GAUGE) {
		out->value = bits_to_double(atomic_load_explicit(&v[0], memory_order_relaxed));
		rc = 0;
	} else if (f->type == MSTORE_HISTOGRAM) {
		rc = hist_snapshot(&r->m, v, f->nbounds, NULL, out, NULL);
	} else {
		return mstore_fail(MSTORE_E_INVAL);
	}
	/* Values of another series, or a reset in progress (whatever it made
	 * the seqlock say): the series is gone. */
	if (!series_still(&r->m, s))
		return mstore_fail(MSTORE_E_REMOVED);
	return rc != 0 ? mstore_fail(rc) : 0;
}

int
mstore_reader_native(const struct mstore_reader *r, const struct mstore_family_view *f,
                     const struct mstore_series_view *s, struct mstore_snapshot *out,
                     struct mstore_native_snapshot *native)
{
	struct nhist_config nc;
	uint32_t nslots;
	int rc;

	if (out == NULL || native == NULL)
		return mstore_fail(MSTORE_E_INVAL);
	if ((rc = series_args(r, f, s, &nslots)) != 0)
		return mstore_fail(rc);
	nc.schema = f->native_schema;
	nc.nbuckets = f->native_buckets;
	nc.zero_threshold = f->native_zero_threshold;
	nc.max_zero_threshold = f->native_max_zero_threshold;
	nc.min_reset_ns = f->native_min_reset_ns;
	/* the view's configuration, checked as the reader checked the record
	 * (nslots counts its buckets: they stay inside the series) */
	if (f->type != MSTORE_HISTOGRAM || f->per_writer != MSTORE_SHARED || nc.nbuckets == 0 ||
	    nhist_config_check(&nc) != 0 || s->family != f->index ||
	    f->nbounds > MSTORE_MAX_BUCKETS || (uint64_t)s->_value_off + nslots > r->m.value_slots)
		return mstore_fail(MSTORE_E_INVAL);
	out->value = 0;
	out->writers = 0;
	rc = hist_snapshot(&r->m, &r->m.slots[s->_value_off], f->nbounds, &nc, out, native);
	/* as mstore_reader_snapshot(): another series' values, or a reset */
	if (!series_still(&r->m, s))
		return mstore_fail(MSTORE_E_REMOVED);
	return rc != 0 ? mstore_fail(rc) : 0;
}

int
mstore_reader_per_writer(const struct mstore_reader *r, const struct mstore_family_view *f,
                         const struct mstore_series_view *s, uint32_t from, uint32_t *slot,
                         double *value)
{
	const _Atomic uint64_t *v;
	uint64_t bits;
	uint32_t w;
	uint32_t nslots;
	int rc;

	if (slot == NULL || value == NULL)
		return mstore_fail(MSTORE_E_INVAL);
	if ((rc = series_args(r, f, s, &nslots)) != 0)
		return mstore_fail(rc);
	if (f->per_writer == MSTORE_SHARED || s->family != f->index ||
	    s->index >= r->m.max_series || (uint64_t)s->_value_off + nslots > r->m.value_slots)
		return mstore_fail(MSTORE_E_INVAL);
	v = &r->m.slots[s->_value_off];
	for (w = from; w < r->m.max_writers; w++) {
		if (!live_has(r->m.live, w) ||
		    (bits = atomic_load_explicit(&v[w], memory_order_relaxed)) == MSTORE_PW_UNSET)
			continue;
		if (!series_still(&r->m, s))
			return mstore_fail(MSTORE_E_REMOVED);
		*slot = w;
		*value = bits_to_double(bits);
		return 1;
	}
	return series_still(&r->m, s) ? 0 : mstore_fail(MSTORE_E_REMOVED);
}

/* Whether a stable exemplar's value fits record i of family f: a
 * counter's increment (>= 0), or an observation inside bucket i (above
 * the bound before it, at most its own; never NaN). */
static int
exemplar_value_ok(const struct mstore_family_view *f, uint32_t i, double v)
{
	if (f->type == MSTORE_COUNTER)
		return v >= 0;
	if (v != v || (i < f->nbounds && !(v <= f->bounds[i])))
		return 0;
	return i == 0 || v > f->bounds[i - 1];
}

int
mstore_reader_exemplar(const struct mstore_reader *r, const struct mstore_family_view *f,
                       const struct mstore_series_view *s, uint32_t i,
                       struct mstore_exemplar_view *out)
{
	uint32_t nslots;
	int rc;

	if (out == NULL)
		return mstore_fail(MSTORE_E_INVAL);
	if ((rc = series_args(r, f, s, &nslots)) != 0)
		return mstore_fail(rc);
	if (!f->exemplars || s->family != f->index || f->nbounds > MSTORE_MAX_BUCKETS ||
	    i >= mstore_exemplar_records(f->type, f->nbounds) ||
	    (uint64_t)s->_value_off + nslots > r->m.value_slots)
		return mstore_fail(MSTORE_E_INVAL);
	rc = mstore_exemplar_read(
	        &r->m.slots[s->_value_off +
	                    mstore_exemplar_off(f->type, f->nbounds, f->native_buckets, i)],
	        out);
	if (rc == 1 && !exemplar_value_ok(f, i, out->value))
		rc = MSTORE_E_CORRUPT;
	/* as mstore_reader_snapshot(): another series' record, or a reset */
	if (!series_still(&r->m, s))
		return mstore_fail(MSTORE_E_REMOVED);
	return rc < 0 ? mstore_fail(rc) : rc;
}

/* Which of two judged writers tells more about the store: alive (the
 * youngest) before stale (the youngest), then other boot, then future. */
static int
liveness_better(const struct mstore_liveness *a, const struct mstore_liveness *b)
{
	static const int rank[] = { [MSTORE_WRITER_ALIVE] = 0,
		                    [MSTORE_WRITER_STALE] = 1,
		                    [MSTORE_WRITER_OTHER_BOOT] = 2,
		                    [MSTORE_WRITER_FUTURE] = 3 };
	int ra = rank[a->state], rb = rank[b->state];

	return ra != rb ? ra < rb : a->age_ns < b->age_ns;
}

/*
 * The store is alive while some writer's last heartbeat is within the
 * limit: a writer that holds its slot, or one that gave it back (closed)
 * less than a limit ago, as a single writer's store always was; readers
 * that serve a stopped writer's last values for a while (--stale-after)
 * keep doing so.  Held slots are counted apart (writers_live/stale).
 */
int
mstore_reader_liveness(const struct mstore_reader *r, int64_t max_age_ns,
                       struct mstore_liveness *out)
{
	const struct mstore_clock_id *self = mstore_clock_self();
	struct mstore_liveness l, best;
	struct mstore_slot_view v;
	int64_t now;
	uint32_t w, live = 0, stale = 0;
	int rc, have = 0, held;

	if (out == NULL)
		return mstore_fail(MSTORE_E_INVAL);
	if ((rc = reader_ok(r)) != 0)
		return mstore_fail(rc);
	if ((now = mstore_boottime_ns()) < 0)
		return mstore_fail(MSTORE_E_SYS);
	for (w = 0; w < r->m.max_writers; w++) {
		if (mstore_slot_read(&r->m.wrec[w], &v) != 1 || v.gen == 0)
			continue;
		if (!mstore_slot_valid(&v))
			return mstore_fail(MSTORE_E_CORRUPT);
		if ((rc = mstore_slot_judge(&v, max_age_ns, self, now, &l)) < 0)
			return mstore_fail(rc);
		held = v.state == MSTORE_SLOT_LIVE;
		live += held && rc == 1;
		stale += held && rc == 0;
		if (!have || liveness_better(&l, &best)) {
			best = l;
			have = 1;
		}
	}
	if (!have) { /* no writer ever held a slot: nothing to measure */
		memset(&best, 0, sizeof(best));
		best.state = MSTORE_WRITER_STALE;
		best.limit_ns = max_age_ns > 0 ? max_age_ns : MSTORE_STALE_TICKS * r->m.tick_ns;
	}
	*out = best;
	out->writers_live = live;
	out->writers_stale = stale;
	if (r->m.hdr->flags & MSTORE_F_STATIC) {
		out->state = MSTORE_WRITER_STATIC;
		out->writers_live = live + stale;
		out->writers_stale = 0;
		return 1;
	}
	return out->state == MSTORE_WRITER_ALIVE;
}

int
mstore_reader_fresh(const struct mstore_reader *r, int64_t max_age_ns, int64_t *age_ns)
{
	struct mstore_liveness l;
	int rc = mstore_reader_liveness(r, max_age_ns, &l);

	if (rc >= 0 && age_ns != NULL)
		*age_ns = l.age_ns;
	return rc;
}
