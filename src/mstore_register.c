/* SPDX-License-Identifier: MIT */
/*
 * mstore_register.c - registration of families and series by any writer
 * process: argument checks, lookups among everything published (whoever
 * published it), the steps of a registration under the registration lock
 * with their intent record, the roll-forward or roll-back of an intent a
 * dead writer left, the shared series index, and each process's private
 * handle caches.  The protocol and why it holds: "Registration from
 * several processes" and "Publication" in mstore_layout.h.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mstore_names.h"
#include "mstore_writer.h"

#define FNV_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME  UINT64_C(0x100000001b3)
/* The label a MSTORE_PER_WRITER_ALL family's samples get (expo.c adds it). */
#define WRITER_LABEL "writer"

/* The first version of struct mstore_family_spec, the smallest size a
 * caller may pass. */
#define SPEC_SIZE_V1 (offsetof(struct mstore_family_spec, per_writer) + sizeof(uint32_t))

/* ---------------------------------------------------------- arguments */

/* Everything a family registration carries, validated before locking. */
struct family_args {
	uint32_t type;
	uint32_t per_writer;
	const char *name, *help, *unit;
	size_t name_len, help_len, unit_len;
	size_t nlabels;
	const char *const *labels;
	size_t label_len[MSTORE_MAX_LABELS];
	size_t nbounds;
	const double *bounds;
};

static int
check_name_help_unit(struct family_args *a)
{
	int rc;

	a->name_len = strnlen(a->name, MSTORE_NAME_MAX + 1);
	if ((rc = mstore_name_check(a->type, a->name, a->name_len)) != 0)
		return rc;
	a->help_len = a->help != NULL ? strnlen(a->help, MSTORE_HELP_MAX + 1) : 0;
	if (a->help_len > MSTORE_HELP_MAX)
		return MSTORE_E_TOO_LONG;
	if (!mstore_valid_text(a->help, a->help_len))
		return MSTORE_E_INVAL;
	a->unit_len = a->unit != NULL ? strnlen(a->unit, MSTORE_UNIT_MAX + 1) : 0;
	if (a->unit_len > MSTORE_UNIT_MAX)
		return MSTORE_E_TOO_LONG;
	if (a->unit_len > 0 &&
	    (!mstore_valid_unit(a->unit, a->unit_len) ||
	     !mstore_unit_suffix_ok(a->type, a->name, a->name_len, a->unit, a->unit_len)))
		return MSTORE_E_UNIT;
	return 0;
}

/* (b may be NULL when blen is 0: an absent help or unit.) */
static int
strs_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static int
check_labels(struct family_args *a)
{
	size_t i, j;

	if (a->nlabels > MSTORE_MAX_LABELS)
		return MSTORE_E_TOO_MANY;
	for (i = 0; i < a->nlabels; i++) {
		const char *s = a->labels[i];
		int rc;

		if (s == NULL)
			return MSTORE_E_INVAL;
		a->label_len[i] = strnlen(s, MSTORE_NAME_MAX + 1);
		if ((rc = mstore_label_check(s, a->label_len[i])) != 0)
			return rc;
		/* ALL's samples carry writer="<slot>" besides these. */
		if (a->per_writer == MSTORE_PER_WRITER_ALL &&
		    strs_equal(s, a->label_len[i], WRITER_LABEL, sizeof(WRITER_LABEL) - 1))
			return MSTORE_E_RESERVED;
		for (j = 0; j < i; j++)
			if (strs_equal(a->labels[j], a->label_len[j], s, a->label_len[i]))
				return MSTORE_E_DUPLICATE;
	}
	return 0;
}

static int
check_family_args(struct family_args *a)
{
	int rc;

	if ((a->nlabels > 0 && a->labels == NULL) || (a->nbounds > 0 && a->bounds == NULL) ||
	    (a->type != MSTORE_COUNTER && a->type != MSTORE_GAUGE && a->type != MSTORE_HISTOGRAM) ||
	    (a->type != MSTORE_HISTOGRAM && a->nbounds != 0) ||
	    !mstore_per_writer_ok(a->type, a->per_writer))
		return MSTORE_E_INVAL;
	if ((rc = check_name_help_unit(a)) != 0 || (rc = check_labels(a)) != 0)
		return rc;
	if (a->nbounds > MSTORE_MAX_BUCKETS)
		return MSTORE_E_TOO_MANY;
	if (!mstore_valid_bounds(a->bounds, a->nbounds))
		return MSTORE_E_BUCKETS;
	return 0;
}

/* The spec into args: size understood, unknown trailing bytes zero. */
static int
spec_args(const struct mstore_family_spec *spec, struct family_args *a)
{
	const unsigned char *p = (const unsigned char *)spec;
	size_t i;

	if (spec->size < SPEC_SIZE_V1)
		return MSTORE_E_INVAL;
	for (i = sizeof(*spec); i < spec->size; i++)
		if (p[i] != 0)
			return MSTORE_E_INVAL;
	memset(a, 0, sizeof(*a));
	a->type = (uint32_t)spec->type;
	a->per_writer = (uint32_t)spec->per_writer;
	a->name = spec->name;
	a->help = spec->help;
	a->unit = spec->unit;
	a->nlabels = spec->nlabels;
	a->labels = spec->label_names;
	a->nbounds = spec->nbounds;
	a->bounds = spec->bounds;
	return a->name == NULL ? MSTORE_E_INVAL : 0;
}

/* --------------------------------------------------------- the strings */

/* A string of the file, checked against the region (the writer trusts
 * the file it validated at open, but never reads outside it). */
static int
file_str(const struct mstore *st, struct mstore_str r, const char **p, size_t *len)
{
	if (r.off >= st->string_bytes || r.len >= st->string_bytes - r.off)
		return 0;
	*p = st->strings + r.off;
	*len = r.len;
	return 1;
}

static int
file_str_equal(const struct mstore *st, struct mstore_str r, const char *s, size_t len)
{
	const char *p;
	size_t n;

	return file_str(st, r, &p, &n) && strs_equal(p, n, s, len);
}

/* Copy s to the string cursor *cur; the caller has checked the space. */
static struct mstore_str
str_put(struct mstore *st, uint32_t *cur, const char *s, size_t len)
{
	struct mstore_str r = { 0, 0 };

	if (len == 0)
		return r;
	r.off = *cur;
	r.len = (uint32_t)len;
	memcpy(st->strings + r.off, s, len);
	st->strings[r.off + len] = '\0';
	*cur += (uint32_t)len + 1;
	return r;
}

static uint64_t
str_need(size_t len)
{
	return len > 0 ? (uint64_t)len + 1 : 0;
}

/* ------------------------------------------------------------ families */

/* A private handle for published family i (made on first use). */
static struct mstore_family *
family_handle(struct mstore *st, uint32_t i)
{
	const struct mstore_family_rec *rec = &st->frec[i];
	struct mstore_family *f = st->fams[i];

	if (f != NULL)
		return f;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->st = st;
	f->index = i;
	f->type = rec->type;
	f->nlabels = rec->nlabels;
	f->nbounds = rec->nbounds;
	f->nslots = rec->nslots;
	f->per_writer = rec->per_writer;
	memcpy(f->bounds, rec->bounds, f->nbounds * sizeof(double));
	st->fams[i] = f;
	if (i >= st->fams_hi)
		st->fams_hi = i + 1;
	return f;
}

/* 1 if published family i has the definition a (same name assumed). */
static int
family_same(const struct mstore *st, uint32_t i, const struct family_args *a)
{
	const struct mstore_family_rec *r = &st->frec[i];
	size_t k;

	if (r->type != a->type || r->per_writer != a->per_writer || r->nlabels != a->nlabels ||
	    r->nbounds != a->nbounds || !file_str_equal(st, r->help, a->help, a->help_len) ||
	    !file_str_equal(st, r->unit, a->unit, a->unit_len) ||
	    (a->nbounds > 0 && memcmp(r->bounds, a->bounds, a->nbounds * sizeof(double)) != 0))
		return 0;
	for (k = 0; k < a->nlabels; k++)
		if (!file_str_equal(st, r->label[k], a->labels[k], a->label_len[k]))
			return 0;
	return 1;
}

/*
 * Look a among published families [from, n): 0 not there (*found
 * MSTORE_NONE), else *found is the family with a's name (0: the same
 * definition; E_CONFLICT: another) or one whose names clash
 * (mstore_names_clash(), a pure function of the two: E_DUPLICATE).
 */
static int
family_lookup(const struct mstore *st, const struct family_args *a, uint32_t from, uint32_t n,
              uint32_t *found)
{
	uint32_t i, clash = MSTORE_NONE;

	*found = MSTORE_NONE;
	for (i = from; i < n; i++) {
		const struct mstore_family_rec *r = &st->frec[i];
		const char *name;
		size_t len;

		if (!file_str(st, r->name, &name, &len))
			continue; /* validated at open; cannot happen */
		if (strs_equal(name, len, a->name, a->name_len)) {
			*found = i;
			return family_same(st, i, a) ? 0 : MSTORE_E_CONFLICT;
		}
		if (clash == MSTORE_NONE &&
		    mstore_names_clash(r->type, name, len, a->type, a->name, a->name_len))
			clash = i;
	}
	*found = clash;
	return clash == MSTORE_NONE ? 0 : MSTORE_E_DUPLICATE;
}

static int
family_space(const struct mstore *st, const struct family_args *a, uint32_t i, uint32_t cur)
{
	uint64_t need = str_need(a->name_len) + str_need(a->help_len) + str_need(a->unit_len);
	size_t k;

	if (i >= st->max_families)
		return MSTORE_E_NO_FAMILY_SPACE;
	for (k = 0; k < a->nlabels; k++)
		need += str_need(a->label_len[k]);
	if (need > (uint64_t)st->string_bytes - cur)
		return MSTORE_E_NO_STRING_SPACE;
	return 0;
}

/* Step 1 of a family's registration: record i and its strings. */
static void
family_fill(struct mstore *st, uint32_t i, const struct family_args *a, uint32_t *cur)
{
	struct mstore_family_rec *rec = &st->frec[i];
	size_t k;

	memset(rec, 0, sizeof(*rec));
	rec->type = a->type;
	rec->nlabels = (uint32_t)a->nlabels;
	rec->nbounds = (uint32_t)a->nbounds;
	rec->nslots =
	        mstore_family_slots(a->type, (uint32_t)a->nbounds, a->per_writer, st->max_writers);
	rec->per_writer = a->per_writer;
	rec->last_series = MSTORE_NONE;
	rec->name = str_put(st, cur, a->name, a->name_len);
	rec->help = str_put(st, cur, a->help, a->help_len);
	rec->unit = str_put(st, cur, a->unit, a->unit_len);
	for (k = 0; k < a->nlabels; k++)
		rec->label[k] = str_put(st, cur, a->labels[k], a->label_len[k]);
	if (a->nbounds > 0) /* bounds may be NULL without */
		memcpy(rec->bounds, a->bounds, a->nbounds * sizeof(double));
	atomic_store_explicit(&rec->first_series, MSTORE_NONE, memory_order_relaxed);
}

/* Under the registration lock: the steps of mstore_layout.h. */
static int
family_new(struct mstore *st, const struct family_args *a, uint32_t *out)
{
	struct mstore_hdr *h = st->hdr;
	uint32_t i = atomic_load_explicit(&h->families, memory_order_relaxed);
	uint32_t cur = atomic_load_explicit(&h->strings_used, memory_order_relaxed);
	int rc = family_space(st, a, i, cur);

	if (rc != 0)
		return rc;
	h->intent.index = i;
	h->intent.strings_before = cur;
	atomic_store_explicit(&h->intent.op, MSTORE_INTENT_FAMILY, memory_order_relaxed);
	family_fill(st, i, a, &cur);
	mstore_step(MSTORE_STEP_FAMILY_FILLED);
	atomic_store_explicit(&h->strings_used, cur, memory_order_relaxed);
	atomic_store_explicit(&h->families, i + 1, memory_order_release);
	atomic_store_explicit(&h->intent.op, MSTORE_INTENT_NONE, memory_order_relaxed);
	*out = i;
	return 0;
}

/* Under st->lock: find a (first without the registration lock: a family
 * registered by another process needs no system call), else add it. */
static int
family_get(struct mstore *st, const struct family_args *a, struct mstore_family **out)
{
	uint32_t n = atomic_load_explicit(&st->hdr->families, memory_order_acquire), m, i;
	int rc = family_lookup(st, a, 0, n, &i);

	if (rc == 0 && i == MSTORE_NONE) {
		if ((rc = mstore_reg_lock(st)) != 0)
			return rc;
		m = atomic_load_explicit(&st->hdr->families, memory_order_relaxed);
		rc = family_lookup(st, a, n, m, &i);
		if (rc == 0 && i == MSTORE_NONE)
			rc = family_new(st, a, &i);
		mstore_reg_unlock(st);
	}
	if (rc != 0)
		return rc;
	*out = family_handle(st, i);
	return *out != NULL ? 0 : MSTORE_E_SYS;
}

static int
family_register(struct mstore *st, struct family_args *a, struct mstore_family **out)
{
	int rc;

	if ((rc = check_family_args(a)) != 0)
		return rc;
	if ((errno = pthread_mutex_lock(&st->lock)) != 0)
		return MSTORE_E_SYS;
	rc = family_get(st, a, out);
	(void)pthread_mutex_unlock(&st->lock);
	return rc;
}

int
mstore_family_register(struct mstore *st, const struct mstore_family_spec *spec,
                       struct mstore_family **out)
{
	struct family_args a;
	int rc;

	if (st == NULL || spec == NULL || out == NULL)
		return mstore_fail(MSTORE_E_INVAL);
	rc = spec_args(spec, &a);
	if (rc == 0)
		rc = family_register(st, &a, out);
	return rc != 0 ? mstore_fail(rc) : 0;
}

/* The positional registration calls: a shared family's spec. */
static int
family_positional(struct mstore *st, enum mstore_type type, const char *name, const char *help,
                  const char *unit, size_t nlabels, const char *const *labels, size_t nbounds,
                  const double *bounds, struct mstore_family **out)
{
	struct mstore_family_spec spec = { .size = sizeof(spec),
		                           .type = type,
		                           .name = name,
		                           .help = help,
		                           .unit = unit,
		                           .nlabels = nlabels,
		                           .label_names = labels,
		                           .nbounds = nbounds,
		                           .bounds = bounds };

	return mstore_family_register(st, &spec, out);
}

int
mstore_counter_family(struct mstore *st, const char *name, const char *help, const char *unit,
                      size_t nlabels, const char *const *label_names, struct mstore_family **out)
{
	return family_positional(st, MSTORE_COUNTER, name, help, unit, nlabels, label_names, 0,
	                         NULL, out);
}

int
mstore_gauge_family(struct mstore *st, const char *name, const char *help, const char *unit,
                    size_t nlabels, const char *const *label_names, struct mstore_family **out)
{
	return family_positional(st, MSTORE_GAUGE, name, help, unit, nlabels, label_names, 0, NULL,
	                         out);
}

int
mstore_histogram_family(struct mstore *st, const char *name, const char *help, const char *unit,
                        size_t nlabels, const char *const *label_names, size_t nbounds,
                        const double *bounds, struct mstore_family **out)
{
	return family_positional(st, MSTORE_HISTOGRAM, name, help, unit, nlabels, label_names,
	                         nbounds, bounds, out);
}

int
mstore_family_clash(struct mstore *st, enum mstore_type type, const char *name, char *buf,
                    size_t cap)
{
	const char *const *suffixes;
	struct family_args a;
	uint32_t i;
	const char *other;
	size_t olen;

	if (st == NULL || name == NULL || (buf == NULL && cap > 0) ||
	    mstore_name_occupied((uint32_t)type, &suffixes) == 0)
		return mstore_fail(MSTORE_E_INVAL);
	memset(&a, 0, sizeof(a));
	a.type = (uint32_t)type;
	a.name = name;
	a.name_len = strnlen(name, MSTORE_NAME_MAX + 1);
	if (a.name_len > MSTORE_NAME_MAX)
		return mstore_fail(MSTORE_E_TOO_LONG);
	/* Published families only: no lock needed, and whatever the result,
	 * another process may register a clashing one right after. */
	(void)family_lookup(st, &a, 0,
	                    atomic_load_explicit(&st->hdr->families, memory_order_acquire), &i);
	if (i != MSTORE_NONE && cap > 0 && file_str(st, st->frec[i].name, &other, &olen)) {
		size_t n = olen < cap - 1 ? olen : cap - 1;

		memcpy(buf, other, n);
		buf[n] = '\0';
	}
	return i != MSTORE_NONE;
}

/* --------------------------------------------------------------- series */

static uint64_t
fnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= FNV_PRIME;
	}
	return h;
}

/* The series' key: its family and label values (the private cache and
 * the shared index both use it).  Lengths are hashed as u32 (a label
 * value has at most MSTORE_LABEL_VALUE_MAX bytes), so that writers of
 * every word size find each other's series in the index. */
static uint64_t
series_hash(uint32_t fam, const char *const *v, const size_t *len, uint32_t n)
{
	uint64_t h = fnv(FNV_OFFSET, &fam, sizeof(fam));
	uint32_t i, l;

	for (i = 0; i < n; i++) {
		l = (uint32_t)len[i];
		h = fnv(h, &l, sizeof(l));
		h = fnv(h, v[i], len[i]);
	}
	return h;
}

/* 1 if published series idx is family f's with these label values. */
static int
series_matches(const struct mstore *st, uint32_t idx, const struct mstore_family *f,
               const char *const *v, const size_t *len)
{
	const struct mstore_series_rec *rec = &st->srec[idx];
	uint32_t i;

	if (rec->family != f->index)
		return 0;
	for (i = 0; i < f->nlabels; i++)
		if (!file_str_equal(st, rec->label[i], v[i], len[i]))
			return 0;
	return 1;
}

/* The shared index: the series (family f, values v) or MSTORE_NONE.  Safe
 * without the registration lock (mstore_layout.h). */
static uint32_t
index_find(const struct mstore *st, const struct mstore_family *f, const char *const *v,
           const size_t *len, uint64_t h)
{
	uint32_t i = (uint32_t)h & st->index_mask, probes;

	for (probes = 0; probes <= st->index_mask; probes++, i = (i + 1) & st->index_mask) {
		const struct mstore_index_ent *e = &st->index[i];
		uint32_t s = atomic_load_explicit(&e->series, memory_order_acquire);

		if (s == 0)
			break;
		if (s - 1 < st->max_series &&
		    atomic_load_explicit(&e->hash, memory_order_relaxed) == (uint32_t)h &&
		    series_matches(st, s - 1, f, v, len))
			return s - 1;
	}
	return MSTORE_NONE;
}

/* Under the registration lock: step 4, idempotent (mstore_layout.h). */
static void
index_insert(struct mstore *st, uint32_t idx, uint64_t h)
{
	uint32_t i = (uint32_t)h & st->index_mask, probes;

	for (probes = 0; probes <= st->index_mask; probes++, i = (i + 1) & st->index_mask) {
		struct mstore_index_ent *e = &st->index[i];
		uint32_t s = atomic_load_explicit(&e->series, memory_order_relaxed);

		if (s == idx + 1)
			return;
		if (s == 0) {
			atomic_store_explicit(&e->hash, (uint32_t)h, memory_order_relaxed);
			atomic_store_explicit(&e->series, idx + 1, memory_order_release);
			return;
		}
	}
}

/* Under the registration lock: step 3, idempotent (mstore_layout.h). */
static void
series_link(struct mstore *st, uint32_t f, uint32_t idx)
{
	struct mstore_family_rec *fr = &st->frec[f];
	uint32_t last = fr->last_series;

	if (last == idx)
		return;
	if (last == MSTORE_NONE)
		atomic_store_explicit(&fr->first_series, idx, memory_order_release);
	else if (last < st->max_series)
		atomic_store_explicit(&st->srec[last].next, idx, memory_order_release);
	fr->last_series = idx;
}

static int
series_space(const struct mstore *st, const struct mstore_family *f, const size_t *len,
             uint32_t idx, uint32_t voff, uint32_t cur)
{
	uint64_t need = 0;
	uint32_t i;

	if (idx >= st->max_series)
		return MSTORE_E_NO_SERIES_SPACE;
	if ((uint64_t)voff + f->nslots > st->value_slots)
		return MSTORE_E_NO_VALUE_SPACE;
	for (i = 0; i < f->nlabels; i++)
		need += str_need(len[i]);
	if (need > (uint64_t)st->string_bytes - cur)
		return MSTORE_E_NO_STRING_SPACE;
	return 0;
}

/* Step 1 of a series' registration: its strings, record and values. */
static void
series_fill(struct mstore *st, const struct mstore_family *f, uint32_t idx, uint32_t voff,
            const char *const *v, const size_t *len, uint32_t *cur)
{
	struct mstore_series_rec *rec = &st->srec[idx];
	uint64_t init = f->per_writer != MSTORE_SHARED ? MSTORE_PW_UNSET : 0;
	uint32_t i;

	memset(rec, 0, sizeof(*rec));
	rec->family = f->index;
	rec->value_off = voff;
	atomic_store_explicit(&rec->next, MSTORE_NONE, memory_order_relaxed);
	for (i = 0; i < f->nlabels; i++)
		rec->label[i] = str_put(st, cur, v[i], len[i]);
	for (i = 0; i < f->nslots; i++)
		atomic_store_explicit(&st->slots[voff + i], init, memory_order_relaxed);
}

/* Under the registration lock: the steps of mstore_layout.h. */
static int
series_new(struct mstore *st, const struct mstore_family *f, const char *const *v,
           const size_t *len, uint64_t h, uint32_t *out)
{
	struct mstore_hdr *hd = st->hdr;
	uint32_t idx = atomic_load_explicit(&hd->series, memory_order_relaxed);
	uint32_t voff = atomic_load_explicit(&hd->values_used, memory_order_relaxed);
	uint32_t cur = atomic_load_explicit(&hd->strings_used, memory_order_relaxed);
	int rc = series_space(st, f, len, idx, voff, cur);

	if (rc != 0)
		return rc;
	hd->intent.index = idx;
	hd->intent.family = f->index;
	hd->intent.strings_before = cur;
	hd->intent.values_before = voff;
	atomic_store_explicit(&hd->intent.op, MSTORE_INTENT_SERIES, memory_order_relaxed);
	series_fill(st, f, idx, voff, v, len, &cur);
	mstore_step(MSTORE_STEP_SERIES_FILLED);
	atomic_store_explicit(&hd->values_used, voff + f->nslots, memory_order_relaxed);
	atomic_store_explicit(&hd->strings_used, cur, memory_order_relaxed);
	atomic_store_explicit(&hd->series, idx + 1, memory_order_release);
	mstore_step(MSTORE_STEP_SERIES_PUBLISHED);
	series_link(st, f->index, idx);
	mstore_step(MSTORE_STEP_SERIES_LINKED);
	index_insert(st, idx, h);
	atomic_store_explicit(&hd->intent.op, MSTORE_INTENT_NONE, memory_order_relaxed);
	*out = idx;
	return 0;
}

/* The hash of published series idx, from its record (roll-forward). */
static int
series_hash_of(const struct mstore *st, uint32_t idx, uint64_t *h)
{
	const struct mstore_series_rec *rec = &st->srec[idx];
	const char *v[MSTORE_MAX_LABELS];
	size_t len[MSTORE_MAX_LABELS];
	uint32_t i, f = rec->family, n;

	if (f >= st->max_families || (n = st->frec[f].nlabels) > MSTORE_MAX_LABELS)
		return 0;
	for (i = 0; i < n; i++)
		if (!file_str(st, rec->label[i], &v[i], &len[i]))
			return 0;
	*h = series_hash(f, v, len, n);
	return 1;
}

void
mstore_intent_recover(struct mstore *st)
{
	struct mstore_hdr *h = st->hdr;
	struct mstore_intent *in = &h->intent;
	uint32_t op = atomic_load_explicit(&in->op, memory_order_relaxed);
	uint64_t hash;
	int published;

	if (op == MSTORE_INTENT_NONE)
		return;
	published = op == MSTORE_INTENT_FAMILY
	                    ? atomic_load_explicit(&h->families, memory_order_relaxed) > in->index
	                    : atomic_load_explicit(&h->series, memory_order_relaxed) > in->index;
	if (!published) {
		/* Undo: the cursors as they were; the half-filled record and its
		 * slots are unreachable, and overwritten by the next one. */
		if (in->strings_before <= st->string_bytes)
			atomic_store_explicit(&h->strings_used, in->strings_before,
			                      memory_order_relaxed);
		if (op == MSTORE_INTENT_SERIES && in->values_before <= st->value_slots)
			atomic_store_explicit(&h->values_used, in->values_before,
			                      memory_order_relaxed);
		mstore_count_recovery(st, MSTORE_RECOVERY_BACK, 1);
	} else {
		/* Finish: a family is complete once published; a series still
		 * needs steps 3 and 4, which tell themselves whether they ran. */
		if (op == MSTORE_INTENT_SERIES && in->index < st->max_series &&
		    in->family < st->max_families && st->srec[in->index].family == in->family &&
		    series_hash_of(st, in->index, &hash)) {
			series_link(st, in->family, in->index);
			index_insert(st, in->index, hash);
		}
		mstore_count_recovery(st, MSTORE_RECOVERY_FORWARD, 1);
	}
	atomic_store_explicit(&in->op, MSTORE_INTENT_NONE, memory_order_relaxed);
}

/* The private cache's slot for the series (f, v), or its empty slot. */
static uint32_t *
htab_slot(struct mstore *st, const struct mstore_family *f, const char *const *v, const size_t *len,
          uint64_t h)
{
	size_t i = (size_t)h & st->hmask;

	for (;;) {
		uint32_t *e = &st->htab[i];
		const struct mstore_series *s;

		if (*e == 0)
			return e;
		s = st->series[*e - 1];
		if (s->hash == h && s->fam == f && series_matches(st, s->index, f, v, len))
			return e;
		i = (i + 1) & st->hmask;
	}
}

/* A private handle for published series idx of family f. */
static struct mstore_series *
series_handle(struct mstore *st, struct mstore_family *f, uint32_t idx, uint64_t h)
{
	struct mstore_series *s = st->series[idx];

	if (s != NULL)
		return s;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->type = f->type | (f->per_writer != MSTORE_SHARED ? MSTORE_T_PER_WRITER : 0);
	s->nbounds = f->nbounds;
	s->v = &st->slots[st->srec[idx].value_off];
	s->shard_key = st->uid << MSTORE_SHARD_KEY_BITS;
	s->bounds = f->bounds;
	s->st = st;
	s->fam = f;
	s->hash = h;
	s->index = idx;
	st->series[idx] = s;
	if (idx >= st->series_hi)
		st->series_hi = idx + 1;
	return s;
}

/* Under st->lock, after a private cache miss: the shared index, then the
 * registration lock and a new series. */
static int
series_find_or_add(struct mstore_family *f, const char *const *v, const size_t *len, uint64_t h,
                   uint32_t *idx)
{
	struct mstore *st = f->st;
	int rc;

	*idx = index_find(st, f, v, len, h);
	if (*idx != MSTORE_NONE)
		return 0;
	if ((rc = mstore_reg_lock(st)) != 0)
		return rc;
	*idx = index_find(st, f, v, len, h);
	if (*idx == MSTORE_NONE)
		rc = series_new(st, f, v, len, h, idx);
	mstore_reg_unlock(st);
	return rc;
}

static int
check_values(const struct mstore_family *f, const char *const *v, size_t *len)
{
	uint32_t i;

	if (f->nlabels > 0 && v == NULL)
		return MSTORE_E_LABEL_VALUE;
	for (i = 0; i < f->nlabels; i++) {
		if (v[i] == NULL)
			return MSTORE_E_LABEL_VALUE;
		len[i] = strnlen(v[i], MSTORE_LABEL_VALUE_MAX + 1);
		if (len[i] > MSTORE_LABEL_VALUE_MAX)
			return MSTORE_E_TOO_LONG;
		if (!mstore_valid_text(v[i], len[i]))
			return MSTORE_E_LABEL_VALUE;
	}
	return 0;
}

int
mstore_series_get(struct mstore_family *fam, const char *const *label_values,
                  struct mstore_series **out)
{
	size_t len[MSTORE_MAX_LABELS];
	struct mstore *st;
	uint32_t *slot, idx;
	uint64_t h;
	int rc;

	if (fam == NULL || out == NULL)
		return mstore_fail(MSTORE_E_INVAL);
	if ((rc = check_values(fam, label_values, len)) != 0)
		return mstore_fail(rc);
	st = fam->st;
	h = series_hash(fam->index, label_values, len, fam->nlabels);
	if ((errno = pthread_mutex_lock(&st->lock)) != 0)
		return MSTORE_E_SYS;
	slot = htab_slot(st, fam, label_values, len, h);
	if (*slot == 0) {
		rc = series_find_or_add(fam, label_values, len, h, &idx);
		if (rc == 0 && series_handle(st, fam, idx, h) == NULL)
			rc = MSTORE_E_SYS;
		if (rc == 0)
			*slot = idx + 1;
	}
	if (rc == 0)
		*out = st->series[*slot - 1];
	(void)pthread_mutex_unlock(&st->lock);
	return rc != 0 ? mstore_fail(rc) : 0;
}

void
mstore_register_free(struct mstore *st)
{
	uint32_t i;

	/* Without reading the mapping: it may be gone (a truncated file). */
	for (i = 0; i < st->series_hi; i++)
		free(st->series[i]);
	for (i = 0; i < st->fams_hi; i++)
		free(st->fams[i]);
}
