/* SPDX-License-Identifier: MIT */
/*
 * mstore_reader.c - the reader side of the store: map a store file
 * read-only behind a guard page, validate the header with a series of named
 * checks, validate every record it hands out, follow series chains, take
 * seqlock snapshots (and read a section a dead writer left locked), tell
 * which writers are live, combine per-writer values, and notice a replaced
 * or truncated file.  Nothing in the file is trusted: every offset, count
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
	uint32_t nfam, nser, values_used, strings_used; /* acquired at refresh */
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
 * and refresh, for new records, as series_fill() checks label values),
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
	uint32_t type = rec->type, nbounds = rec->nbounds, mode = rec->per_writer, first;
	uint32_t nslots = mstore_family_slots(type, nbounds, mode, m->max_writers);
	int rc;

	out->nlabels = rec->nlabels;
	if (nslots == 0 || rec->nslots != nslots || out->nlabels > MSTORE_MAX_LABELS)
		return MSTORE_E_CORRUPT;
	out->index = i;
	out->type = (enum mstore_type)type;
	out->nbounds = nbounds;
	out->per_writer = (enum mstore_per_writer)mode;
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
	if (f->per_writer == MSTORE_SHARED)
		return mstore_slots_for(f->type, f->nbounds);
	return mstore_family_slots(f->type, f->nbounds, f->per_writer, m->max_writers);
}

/*
 * Validate series record idx (< nser) as a member of family f; fill out.
 * Offsets, lengths, terminators and links are checked on every call;
 * the UTF-8 content of label values only when full (at open and refresh,
 * for new records): the renderer walks every series on every scrape, and
 * published strings never change under a correct writer.
 */
static inline int
series_fill(const struct mapping *m, const struct mstore_family_view *f, uint32_t nslots,
            uint32_t idx, struct mstore_series_view *out, int full)
{
	const struct mstore_series_rec *rec = &m->srec[idx];
	uint32_t voff = rec->value_off, next, i;
	int rc;

	if (rec->family != f->index)
		return MSTORE_E_CORRUPT;
	if ((uint64_t)voff + nslots > m->value_slots)
		return MSTORE_E_BOUNDS;
	for (i = 0; i < f->nlabels; i++) {
		if ((rc = str_get(m, rec->label[i], MSTORE_LABEL_VALUE_MAX, &out->label_value[i],
		                  &out->label_value_len[i])) != 0)
			return rc;
		if (full && !mstore_valid_text(out->label_value[i], out->label_value_len[i]))
			return MSTORE_E_CORRUPT;
	}
	next = atomic_load_explicit(&rec->next, memory_order_acquire);
	if (next != MSTORE_NONE && next >= m->max_series)
		return MSTORE_E_BOUNDS;
	if (next != MSTORE_NONE && next <= idx)
		return MSTORE_E_CORRUPT; /* chains only go forward: a cycle */
	out->index = idx;
	out->family = f->index;
	out->_value_off = voff;
	out->_next = next;
	return 0;
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

/* Validate records published since the last check (families [f0, nfam),
 * series [s0, nser)), that no two families clash when families were added,
 * and that each chain link they hold stays within one family.  Reuses the family view while consecutive series belong to the
 * same family.  At open (f0 = s0 = 0) this covers every published record;
 * links set later on old records are checked when a walk follows them. */
static int
validate_new(const struct mapping *m, uint32_t f0, uint32_t s0)
{
	struct mstore_family_view fv;
	struct mstore_series_view sv;
	uint32_t i, cached = MSTORE_NONE;
	int rc;

	for (i = f0; i < m->nfam; i++) {
		if ((rc = family_fill(m, i, &fv, 1)) != 0)
			return rc;
		if (fv._first_series < m->nser && m->srec[fv._first_series].family != i)
			return MSTORE_E_CORRUPT;
	}
	if (f0 < m->nfam && (rc = check_clashes(m)) != 0)
		return rc;
	for (i = s0; i < m->nser; i++) {
		uint32_t fam = m->srec[i].family;

		if (fam >= m->nfam)
			return MSTORE_E_CORRUPT;
		if (fam != cached && (rc = family_fill(m, fam, &fv, 0)) != 0)
			return rc;
		cached = fam;
		if ((rc = series_fill(m, &fv, view_slots(m, &fv), i, &sv, 1)) != 0)
			return rc;
		/* Links only join series of one family (checked again on use). */
		if (sv._next < m->nser && m->srec[sv._next].family != fam)
			return MSTORE_E_CORRUPT;
	}
	return 0;
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

	if (fam > m->max_families || ser > m->max_series || vals > m->value_slots ||
	    strs > m->string_bytes)
		return MSTORE_E_BOUNDS;
	if (fam < m->nfam || ser < m->nser)
		return MSTORE_E_CORRUPT;
	m->nfam = fam;
	m->nser = ser;
	m->values_used = vals;
	m->strings_used = strs;
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
	if ((rc = map_validate(m)) != 0)
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
	out->series = m->nser;
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

/* Go to series idx of f's chain: 1 with *s filled, 0 at the end. */
static int
series_step(const struct mstore_reader *r, const struct mstore_family_view *f, uint32_t nslots,
            uint32_t idx, struct mstore_series_view *s)
{
	int rc;

	/* At or past our acquired count: linked but not yet published to us. */
	if (idx == MSTORE_NONE || idx >= r->m.nser)
		return 0;
	if ((rc = series_fill(&r->m, f, nslots, idx, s, 0)) != 0)
		return mstore_fail(rc);
	return 1;
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

int
mstore_reader_series_first(const struct mstore_reader *r, const struct mstore_family_view *f,
                           struct mstore_series_view *s)
{
	uint32_t nslots;
	int rc;

	if ((rc = series_args(r, f, s, &nslots)) != 0)
		return mstore_fail(rc);
	if (f->_first_series != MSTORE_NONE && f->_first_series >= r->m.max_series)
		return mstore_fail(MSTORE_E_BOUNDS);
	return series_step(r, f, nslots, f->_first_series, s);
}

int
mstore_reader_series_next(const struct mstore_reader *r, const struct mstore_family_view *f,
                          struct mstore_series_view *s)
{
	uint32_t nslots;
	int rc;

	if ((rc = series_args(r, f, s, &nslots)) != 0)
		return mstore_fail(rc);
	if (s->family != f->index)
		return mstore_fail(MSTORE_E_INVAL);
	if (s->_next != MSTORE_NONE && s->_next <= s->index)
		return mstore_fail(MSTORE_E_CORRUPT);
	return series_step(r, f, nslots, s->_next, s);
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

/* Seqlock read of a histogram (protocol and proof in mstore_layout.h),
 * including a section whose writer died inside. */
static int
hist_snapshot(const struct mapping *m, const _Atomic uint64_t *v, uint32_t nb,
              struct mstore_snapshot *out)
{
	uint64_t b[MSTORE_MAX_BUCKETS + 1], dead = 0; /* dead: a locked value whose owner is */
	uint32_t tries, i;
	int rc;

	for (tries = 0; tries < MSTORE_SNAPSHOT_RETRIES; tries++) {
		uint64_t s1, s2, count, sum, cum = 0;

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
	    (uint64_t)s->_value_off + nslots > r->m.value_slots)
		return mstore_fail(MSTORE_E_INVAL);
	v = &r->m.slots[s->_value_off];
	out->count = 0;
	out->sum = 0;
	out->writers = 0;
	if (f->per_writer != MSTORE_SHARED) {
		per_writer_combine(&r->m, v, f->per_writer, out);
		return 0;
	}
	switch (f->type) {
	case MSTORE_COUNTER:
		out->value = counter_value(v);
		return 0;
	case MSTORE_GAUGE:
		out->value = bits_to_double(atomic_load_explicit(&v[0], memory_order_relaxed));
		return 0;
	case MSTORE_HISTOGRAM:
		rc = hist_snapshot(&r->m, v, f->nbounds, out);
		return rc != 0 ? mstore_fail(rc) : 0;
	}
	return mstore_fail(MSTORE_E_INVAL);
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
	    (uint64_t)s->_value_off + nslots > r->m.value_slots)
		return mstore_fail(MSTORE_E_INVAL);
	v = &r->m.slots[s->_value_off];
	for (w = from; w < r->m.max_writers; w++) {
		if (!live_has(r->m.live, w) ||
		    (bits = atomic_load_explicit(&v[w], memory_order_relaxed)) == MSTORE_PW_UNSET)
			continue;
		*slot = w;
		*value = bits_to_double(bits);
		return 1;
	}
	return 0;
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
