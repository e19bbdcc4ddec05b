/* SPDX-License-Identifier: MIT */
/*
 * mstore_register.c - registration and removal of families and series by
 * any writer process: argument checks, lookups among everything published
 * (whoever published it), the steps of a registration or a removal under
 * the registration lock with their intent record, the roll-forward or
 * roll-back of an intent a dead writer left, per-family limits and the
 * overflow series, the shared series index, and each process's private
 * handle caches.  Rooms in the file come from mstore_alloc.c.  The
 * protocols and why they hold: "Registration and removal", "Series
 * records" and the shared index in mstore_layout.h.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
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
/* Whether a spec of its size has field (later versions add fields at the
 * end; a caller built against an earlier header passes a smaller size). */
#define SPEC_HAS(spec, field) \
	((spec)->size >= offsetof(struct mstore_family_spec, field) + sizeof((spec)->field))
/* Ranges found busy (a late observation inside) before a registration
 * gives up on reused ones. */
#define RESET_TRIES 4
/* Rooms freed since the last rebuild before a full store rebuilds its
 * lists to merge them (rebuild_may_help()). */
#define REBUILD_MIN_FREED 16

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
	/* the spec's native fields as given, and resolved (check_native) */
	double native_factor, native_zt, native_max_zt;
	uint32_t native_max_buckets;
	int64_t native_min_reset_ns;
	struct nhist_config native;
	uint32_t exemplars;
	uint32_t max_series;
	uint32_t on_limit;
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

/* The native fields (mstore.h, struct mstore_family_spec) resolved into
 * a->native: none, or a configuration nhist accepts. */
static int
check_native(struct family_args *a)
{
	struct nhist_config *c = &a->native;

	memset(c, 0, sizeof(*c));
	if (a->native_factor == 0)
		return a->native_max_buckets == 0 && a->native_zt == 0 && a->native_max_zt == 0 &&
		                       a->native_min_reset_ns == 0
		               ? 0
		               : MSTORE_E_INVAL;
	if (a->type != MSTORE_HISTOGRAM || !(a->native_factor > 1) || isnan(a->native_zt) ||
	    isinf(a->native_zt) || !(a->native_max_zt >= 0) || isinf(a->native_max_zt) ||
	    a->native_min_reset_ns < 0)
		return MSTORE_E_INVAL;
	if (a->native_max_buckets > MSTORE_NATIVE_BUCKETS_MAX)
		return MSTORE_E_TOO_MANY;
	c->schema = nhist_schema_for_factor(a->native_factor);
	c->nbuckets = a->native_max_buckets > 0 ? a->native_max_buckets : MSTORE_NATIVE_DEF_BUCKETS;
	/* 0: client_golang's default; negative: exactly zero (its
	 * NativeHistogramZeroThresholdZero) */
	c->zero_threshold = a->native_zt == 0  ? MSTORE_NATIVE_DEF_ZERO_THRESHOLD
	                    : a->native_zt < 0 ? 0
	                                       : a->native_zt;
	c->max_zero_threshold =
	        a->native_max_zt > c->zero_threshold ? a->native_max_zt : c->zero_threshold;
	c->min_reset_ns = a->native_min_reset_ns;
	return nhist_config_check(c) == 0 ? 0 : MSTORE_E_INVAL;
}

static int
check_family_args(struct family_args *a)
{
	int rc;

	if ((a->nlabels > 0 && a->labels == NULL) || (a->nbounds > 0 && a->bounds == NULL) ||
	    (a->type != MSTORE_COUNTER && a->type != MSTORE_GAUGE && a->type != MSTORE_HISTOGRAM) ||
	    (a->type != MSTORE_HISTOGRAM && a->nbounds != 0) ||
	    !mstore_per_writer_ok(a->type, a->per_writer) || a->on_limit > MSTORE_LIMIT_OVERFLOW ||
	    (a->on_limit == MSTORE_LIMIT_OVERFLOW && a->nlabels == 0) ||
	    (a->exemplars != 0 && (a->exemplars != 1 || a->per_writer != MSTORE_SHARED ||
	                           mstore_exemplar_records(a->type, 0) == 0)))
		return MSTORE_E_INVAL;
	if ((rc = check_native(a)) != 0)
		return rc;
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
	if (SPEC_HAS(spec, native_min_reset_ns)) {
		a->native_factor = spec->native_factor;
		a->native_max_buckets = spec->native_max_buckets;
		a->native_zt = spec->native_zero_threshold;
		a->native_max_zt = spec->native_max_zero_threshold;
		a->native_min_reset_ns = spec->native_min_reset_ns;
	}
	/* A caller built before the field existed passes a smaller size. */
	if (SPEC_HAS(spec, exemplars)) {
		if (spec->exemplars < 0)
			return MSTORE_E_INVAL;
		a->exemplars = (uint32_t)spec->exemplars;
	}
	if (SPEC_HAS(spec, on_limit)) {
		a->max_series = spec->max_series;
		a->on_limit = (uint32_t)spec->on_limit;
	}
	return a->name == NULL ? MSTORE_E_INVAL : 0;
}

/* Count a refusal in the store: a full store, or a family at its limit. */
static void
count_refusal(struct mstore *st, int rc)
{
	enum mstore_refusal why;

	if (rc == MSTORE_E_LIMIT)
		why = MSTORE_REFUSED_LIMIT;
	else if (rc == MSTORE_E_NO_FAMILY_SPACE || rc == MSTORE_E_NO_SERIES_SPACE ||
	         rc == MSTORE_E_NO_VALUE_SPACE || rc == MSTORE_E_NO_STRING_SPACE)
		why = MSTORE_REFUSED_FULL;
	else
		return;
	atomic_fetch_add_explicit(&st->hdr->refused[why], 1, memory_order_relaxed);
}

/* After a registration failed with rc: would a rebuild of the lists help?
 * It merges neighbouring free value ranges and string blocks (records do
 * not fragment), so only when enough were freed since the last one, or
 * a list is dirty; a store kept full by a churn then does not rebuild at
 * every refused registration. */
static int
rebuild_may_help(const struct mstore *st, int rc)
{
	const struct mstore_alloc *a = &st->hdr->alloc;

	return (rc == MSTORE_E_NO_VALUE_SPACE || rc == MSTORE_E_NO_STRING_SPACE) &&
	       (a->dirty || a->freed >= REBUILD_MIN_FREED);
}

/* --------------------------------------------------------- the strings */

int
mstore_file_str(const struct mstore *st, struct mstore_str r, const char **p, size_t *len)
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

	return mstore_file_str(st, r, &p, &n) && strs_equal(p, n, s, len);
}

/* Copy s[0..len) into a block of its own: its reference in *r (len 0:
 * the shared empty string). */
static int
str_new(struct mstore *st, const char *s, size_t len, struct mstore_str *r)
{
	uint32_t off;
	int rc;

	r->off = 0;
	r->len = 0;
	if (len == 0)
		return 0;
	if ((rc = mstore_str_take(st, (uint32_t)len, &off)) != 0)
		return rc;
	memcpy(st->strings + off, s, len);
	st->strings[off + len] = '\0';
	r->off = off;
	r->len = (uint32_t)len;
	return 0;
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
	f->exemplars = rec->exemplars;
	f->shape = mstore_family_shape(i, rec->nslots);
	memcpy(f->bounds, rec->bounds, f->nbounds * sizeof(double));
	/* (void): the record has the definition registration checked, or
	 * the same (family_same) */
	(void)mstore_native_config(&rec->native, &f->native);
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
	struct mstore_native_rec native;
	size_t k;

	mstore_native_rec_of(&a->native, &native);
	if (memcmp(&r->native, &native, sizeof(native)) != 0)
		return 0;
	if (r->type != a->type || r->per_writer != a->per_writer || r->nlabels != a->nlabels ||
	    r->exemplars != a->exemplars || r->nbounds != a->nbounds ||
	    r->max_series != a->max_series || r->on_limit != a->on_limit ||
	    !file_str_equal(st, r->help, a->help, a->help_len) ||
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

		if (!mstore_file_str(st, r->name, &name, &len))
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

/* The strings of an unpublished family record, given back. */
static void
family_give_strings(struct mstore *st, const struct mstore_family_rec *rec)
{
	size_t k;

	mstore_str_give(st, rec->name);
	mstore_str_give(st, rec->help);
	mstore_str_give(st, rec->unit);
	for (k = 0; k < MSTORE_MAX_LABELS; k++)
		mstore_str_give(st, rec->label[k]);
}

/* Step 1 of a family's registration: record i and its strings (on
 * failure, the strings taken are given back). */
static int
family_fill(struct mstore *st, uint32_t i, const struct family_args *a)
{
	struct mstore_family_rec *rec = &st->frec[i];
	size_t k;
	int rc;

	memset(rec, 0, sizeof(*rec));
	rec->type = a->type;
	rec->nlabels = (uint32_t)a->nlabels;
	rec->nbounds = (uint32_t)a->nbounds;
	rec->nslots = mstore_family_nslots(a->type, (uint32_t)a->nbounds, a->native.nbuckets,
	                                   a->per_writer, st->max_writers, a->exemplars);
	mstore_native_rec_of(&a->native, &rec->native);
	rec->per_writer = a->per_writer;
	rec->exemplars = a->exemplars;
	rec->last_series = MSTORE_NONE;
	rec->max_series = a->max_series;
	rec->on_limit = a->on_limit;
	if ((rc = str_new(st, a->name, a->name_len, &rec->name)) != 0 ||
	    (rc = str_new(st, a->help, a->help_len, &rec->help)) != 0 ||
	    (rc = str_new(st, a->unit, a->unit_len, &rec->unit)) != 0)
		goto fail;
	for (k = 0; k < a->nlabels; k++)
		if ((rc = str_new(st, a->labels[k], a->label_len[k], &rec->label[k])) != 0)
			goto fail;
	if (a->nbounds > 0) /* bounds may be NULL without */
		memcpy(rec->bounds, a->bounds, a->nbounds * sizeof(double));
	atomic_store_explicit(&rec->first_series, MSTORE_NONE, memory_order_relaxed);
	return 0;
fail:
	family_give_strings(st, rec);
	memset(rec, 0, sizeof(*rec));
	return rc;
}

/* Under the registration lock: the steps of mstore_layout.h. */
static int
family_new(struct mstore *st, const struct family_args *a, uint32_t *out)
{
	struct mstore_hdr *h = st->hdr;
	uint32_t i = atomic_load_explicit(&h->families, memory_order_relaxed);
	int rc = i < st->max_families ? 0 : MSTORE_E_NO_FAMILY_SPACE;

	if (rc == 0) {
		h->intent.index = i;
		atomic_store_explicit(&h->intent.op, MSTORE_INTENT_FAMILY, memory_order_relaxed);
		rc = family_fill(st, i, a);
		if (rebuild_may_help(st, rc) && mstore_alloc_rebuild(st) == 0)
			rc = family_fill(st, i, a); /* once more, free blocks merged */
		if (rc == 0) {
			mstore_step(MSTORE_STEP_FAMILY_FILLED);
			atomic_store_explicit(&h->families, i + 1, memory_order_release);
		}
		atomic_store_explicit(&h->intent.op, MSTORE_INTENT_NONE, memory_order_relaxed);
	}
	count_refusal(st, rc);
	*out = i;
	return rc;
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
	if (i != MSTORE_NONE && cap > 0 && mstore_file_str(st, st->frec[i].name, &other, &olen)) {
		size_t n = olen < cap - 1 ? olen : cap - 1;

		memcpy(buf, other, n);
		buf[n] = '\0';
	}
	return i != MSTORE_NONE;
}

/* --------------------------------------------------------------- series */

/* A label set: the values of a family's labels and their lengths. */
struct labels {
	const char *const *v;
	size_t len[MSTORE_MAX_LABELS];
};

/* What a lookup found: a LIVE series, read stably. */
struct found {
	uint32_t idx;
	uint32_t voff;
	uint64_t gen;
};

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

/* Label value i of record r. */
static struct mstore_str
rec_label(const struct mstore_series_rec *r, uint32_t i)
{
	return mstore_str_unpack(atomic_load_explicit(&r->label[i], memory_order_relaxed));
}

/*
 * A stable read of record idx (mstore_layout.h, series records): 1 if it
 * is a LIVE series of family f whose label values are l (every one when
 * partial is 0; the non-NULL ones when it is 1), *fd filled.  Without the
 * registration lock a record changing meanwhile reads as no match.
 */
static int
series_read_match(const struct mstore *st, uint32_t idx, const struct mstore_family *f,
                  const struct labels *l, int partial, struct found *fd)
{
	const struct mstore_series_rec *r = &st->srec[idx];
	uint64_t g = atomic_load_explicit(&r->gen, memory_order_acquire);
	uint32_t i;

	if ((g & 1u) != 0 ||
	    atomic_load_explicit(&r->state, memory_order_relaxed) != MSTORE_SERIES_LIVE ||
	    atomic_load_explicit(&r->family, memory_order_relaxed) != f->index)
		return 0;
	for (i = 0; i < f->nlabels; i++)
		if ((!partial || l->v[i] != NULL) &&
		    !file_str_equal(st, rec_label(r, i), l->v[i], l->len[i]))
			return 0;
	fd->idx = idx;
	fd->voff = atomic_load_explicit(&r->value_off, memory_order_relaxed);
	fd->gen = g;
	atomic_thread_fence(memory_order_acquire);
	return atomic_load_explicit(&r->gen, memory_order_relaxed) == g &&
	       fd->voff <= st->value_slots && f->nslots <= st->value_slots - fd->voff;
}

/* The hash of record idx's series, from its record: 1 with *h. */
static int
series_hash_of(const struct mstore *st, uint32_t idx, uint64_t *h)
{
	const struct mstore_series_rec *rec = &st->srec[idx];
	const char *v[MSTORE_MAX_LABELS];
	size_t len[MSTORE_MAX_LABELS];
	uint32_t i, f = atomic_load_explicit(&rec->family, memory_order_relaxed), n;

	if (f >= st->max_families || (n = st->frec[f].nlabels) > MSTORE_MAX_LABELS)
		return 0;
	for (i = 0; i < n; i++)
		if (!mstore_file_str(st, rec_label(rec, i), &v[i], &len[i]))
			return 0;
	*h = series_hash(f, v, len, n);
	return 1;
}

int
mstore_series_is_overflow(const struct mstore *st, uint32_t idx)
{
	const struct mstore_series_rec *rec = &st->srec[idx];
	uint32_t i, f = atomic_load_explicit(&rec->family, memory_order_relaxed), n;

	if (f >= st->max_families || (n = st->frec[f].nlabels) == 0 || n > MSTORE_MAX_LABELS)
		return 0;
	for (i = 0; i < n; i++)
		if (!file_str_equal(st, rec_label(rec, i), MSTORE_OVERFLOW_VALUE,
		                    sizeof(MSTORE_OVERFLOW_VALUE) - 1))
			return 0;
	return 1;
}

/* 1 if label set l is the overflow series' of a family with labels. */
static int
labels_overflow(const struct mstore_family *f, const struct labels *l)
{
	uint32_t i;

	for (i = 0; i < f->nlabels; i++)
		if (!strs_equal(l->v[i], l->len[i], MSTORE_OVERFLOW_VALUE,
		                sizeof(MSTORE_OVERFLOW_VALUE) - 1))
			return 0;
	return f->nlabels > 0;
}

/* ---------------------------------------------------- the shared index */

/* The series (family f, values l) through the shared index: 1 with *fd.
 * Safe without the registration lock (mstore_layout.h). */
static int
index_find(const struct mstore *st, const struct mstore_family *f, const struct labels *l,
           uint64_t h, struct found *fd)
{
	uint32_t i = (uint32_t)h & st->index_mask, probes;

	for (probes = 0; probes <= st->index_mask; probes++, i = (i + 1) & st->index_mask) {
		const struct mstore_index_ent *e = &st->index[i];
		uint32_t s = atomic_load_explicit(&e->series, memory_order_acquire);

		if (s == 0)
			break;
		if (s - 1 < st->max_series &&
		    atomic_load_explicit(&e->hash, memory_order_relaxed) == (uint32_t)h &&
		    series_read_match(st, s - 1, f, l, 0, fd))
			return 1;
	}
	return 0;
}

/* Under the registration lock: enter series idx (idempotent). */
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

/* 1 if an entry at j whose home is k may move back into the hole at i
 * (its home is not cyclically within (i, j]). */
static int
may_fill(uint32_t i, uint32_t j, uint32_t k)
{
	return i <= j ? (k <= i || k > j) : (k <= i && k > j);
}

/* Under the registration lock: delete series idx's entry, shifting the
 * rest of its run back (mstore_layout.h). */
static void
index_delete(struct mstore *st, uint32_t idx, uint64_t h)
{
	uint32_t m = st->index_mask, i = (uint32_t)h & m, j, s, probes;
	struct mstore_index_ent *e = st->index;

	for (probes = 0;; probes++, i = (i + 1) & m) {
		s = atomic_load_explicit(&e[i].series, memory_order_relaxed);
		if (s == 0 || probes > m)
			return; /* not there */
		if (s == idx + 1)
			break;
	}
	for (j = (i + 1) & m; (s = atomic_load_explicit(&e[j].series, memory_order_relaxed)) != 0;
	     j = (j + 1) & m) {
		uint32_t hj = atomic_load_explicit(&e[j].hash, memory_order_relaxed);

		if (j == i || !may_fill(i, j, hj & m))
			continue;
		atomic_store_explicit(&e[i].hash, hj, memory_order_relaxed);
		atomic_store_explicit(&e[i].series, s, memory_order_release);
		i = j;
	}
	atomic_store_explicit(&e[i].series, 0, memory_order_release);
}

void
mstore_index_reset(struct mstore *st)
{
	uint32_t i;

	for (i = 0; i <= st->index_mask; i++)
		atomic_store_explicit(&st->index[i].series, 0, memory_order_relaxed);
}

void
mstore_index_add(struct mstore *st, uint32_t idx)
{
	uint64_t h;

	if (series_hash_of(st, idx, &h))
		index_insert(st, idx, h);
}

/* ------------------------------------------------- creating a series */

/* Under the registration lock: step 4, idempotent (mstore_layout.h). */
static void
series_link(struct mstore *st, uint32_t f, uint32_t idx)
{
	struct mstore_family_rec *fr = &st->frec[f];
	uint32_t last = fr->last_series;

	if (last == idx)
		return;
	st->srec[idx].link = last;
	if (last == MSTORE_NONE)
		atomic_store_explicit(&fr->first_series, idx, memory_order_release);
	else if (last < st->max_series)
		atomic_store_explicit(&st->srec[last].next, idx, memory_order_release);
	fr->last_series = idx;
}

/* A value range for a new series of f, reset (a range a late observation
 * is inside is put aside and given back after). */
static int
take_values(struct mstore *st, const struct mstore_family *f, uint32_t *off)
{
	const struct mstore_family_rec *fr = &st->frec[f->index];
	uint32_t aside[RESET_TRIES], n = 0, k;
	int rc, same;

	while ((rc = mstore_val_take(st, f->shape, f->nslots, off, &same)) == 0 &&
	       mstore_values_reset(st, fr, *off, same) != 0) {
		if (n == RESET_TRIES) {
			mstore_val_give(st, f->shape, f->nslots, *off);
			rc = MSTORE_E_NO_VALUE_SPACE;
			break;
		}
		aside[n++] = *off;
	}
	for (k = 0; k < n; k++)
		mstore_val_give(st, f->shape, f->nslots, aside[k]);
	return rc;
}

/* Steps 1 and 2: a record and its rooms, filled; on failure everything
 * taken is given back and the intent cleared. */
static int
series_take(struct mstore *st, const struct mstore_family *f, const struct labels *l, uint32_t *idx,
            uint32_t *voff)
{
	struct mstore_hdr *hd = st->hdr;
	struct mstore_str r[MSTORE_MAX_LABELS];
	struct mstore_series_rec *rec;
	uint32_t i = 0, k;
	uint64_t g;
	int rc;

	hd->intent.index = MSTORE_NONE;
	hd->intent.family = f->index;
	atomic_store_explicit(&hd->intent.op, MSTORE_INTENT_SERIES, memory_order_relaxed);
	if ((rc = mstore_rec_take(st, idx)) != 0)
		goto out;
	hd->intent.index = *idx;
	rec = &st->srec[*idx];
	g = atomic_load_explicit(&rec->gen, memory_order_relaxed);
	atomic_store_explicit(&rec->gen, g | 1u, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	for (i = 0; i < f->nlabels; i++)
		if ((rc = str_new(st, l->v[i], l->len[i], &r[i])) != 0)
			goto undo;
	if ((rc = take_values(st, f, voff)) != 0)
		goto undo;
	atomic_store_explicit(&rec->family, f->index, memory_order_relaxed);
	atomic_store_explicit(&rec->value_off, *voff, memory_order_relaxed);
	atomic_store_explicit(&rec->next, MSTORE_NONE, memory_order_relaxed);
	atomic_store_explicit(&rec->freed_ms, 0, memory_order_relaxed);
	for (k = 0; k < MSTORE_MAX_LABELS; k++)
		atomic_store_explicit(&rec->label[k], k < f->nlabels ? mstore_str_pack(r[k]) : 0,
		                      memory_order_relaxed);
	return 0;
undo:
	while (i-- > 0)
		mstore_str_give(st, r[i]);
	mstore_rec_give(st, *idx);
out:
	atomic_store_explicit(&hd->intent.op, MSTORE_INTENT_NONE, memory_order_relaxed);
	return rc;
}

/* Under the registration lock: a new series of f with label values l, the
 * steps of mstore_layout.h; *fd gets it. */
static int
series_new(struct mstore *st, const struct mstore_family *f, const struct labels *l, uint64_t h,
           struct found *fd)
{
	struct mstore_hdr *hd = st->hdr;
	struct mstore_series_rec *rec;
	uint32_t idx, voff;
	uint64_t g;
	int rc;

	mstore_limbo_expire(st);
	rc = series_take(st, f, l, &idx, &voff);
	if (rebuild_may_help(st, rc) && mstore_alloc_rebuild(st) == 0)
		rc = series_take(st, f, l, &idx, &voff); /* once more, free rooms merged */
	if (rc != 0) {
		count_refusal(st, rc);
		return rc;
	}
	rec = &st->srec[idx];
	mstore_step(MSTORE_STEP_SERIES_FILLED);
	g = mstore_clock_next(st);
	atomic_store_explicit(&rec->state, MSTORE_SERIES_LIVE, memory_order_relaxed);
	mstore_step(MSTORE_STEP_SERIES_STATE);
	atomic_store_explicit(&rec->gen, g, memory_order_release);
	mstore_step(MSTORE_STEP_SERIES_PUBLISHED);
	series_link(st, f->index, idx);
	mstore_step(MSTORE_STEP_SERIES_LINKED);
	index_insert(st, idx, h);
	if (!labels_overflow(f, l))
		st->frec[f->index].nseries++;
	atomic_store_explicit(&hd->intent.op, MSTORE_INTENT_NONE, memory_order_relaxed);
	fd->idx = idx;
	fd->voff = voff;
	fd->gen = g;
	return 0;
}

/*
 * Under the registration lock, after the index missed (l, h): create the
 * series, or at the family's limit refuse it or (overflow) find or create
 * the overflow series: 0, or 1 with *fd and *h the overflow series'.
 */
static int
series_create(struct mstore *st, const struct mstore_family *f, const struct labels *l, uint64_t *h,
              struct found *fd)
{
	const struct mstore_family_rec *fr = &st->frec[f->index];
	const char *ov[MSTORE_MAX_LABELS];
	struct labels o = { ov, { 0 } };
	uint32_t i;
	int rc;

	if (fr->max_series == 0 || fr->nseries < fr->max_series || labels_overflow(f, l))
		return series_new(st, f, l, *h, fd);
	count_refusal(st, MSTORE_E_LIMIT);
	if (fr->on_limit != MSTORE_LIMIT_OVERFLOW)
		return MSTORE_E_LIMIT;
	for (i = 0; i < f->nlabels; i++) {
		ov[i] = MSTORE_OVERFLOW_VALUE;
		o.len[i] = sizeof(MSTORE_OVERFLOW_VALUE) - 1;
	}
	*h = series_hash(f->index, o.v, o.len, f->nlabels);
	if (!index_find(st, f, &o, *h, fd) && (rc = series_new(st, f, &o, *h, fd)) != 0)
		return rc;
	return 1;
}

/* ----------------------------------------------------- removing series */

/* Under the registration lock: unlink series idx of family f
 * (idempotent: each link is moved only while it still names idx). */
static void
series_unlink(struct mstore *st, uint32_t f, uint32_t idx)
{
	struct mstore_family_rec *fr = &st->frec[f];
	struct mstore_series_rec *r = &st->srec[idx];
	uint32_t p = r->link, n = atomic_load_explicit(&r->next, memory_order_relaxed);
	_Atomic uint32_t *to_me = p == MSTORE_NONE     ? &fr->first_series
	                          : p < st->max_series ? &st->srec[p].next
	                                               : NULL;

	if (to_me != NULL && atomic_load_explicit(to_me, memory_order_relaxed) == idx)
		atomic_store_explicit(to_me, n, memory_order_release);
	if (n == MSTORE_NONE) {
		if (fr->last_series == idx)
			fr->last_series = p;
	} else if (n < st->max_series && st->srec[n].link == idx) {
		st->srec[n].link = p;
	}
}

/* Under the registration lock: an unlinked LIVE series into limbo. */
static void
series_retire(struct mstore *st, uint32_t idx)
{
	struct mstore_series_rec *r = &st->srec[idx];
	uint64_t g = atomic_load_explicit(&r->gen, memory_order_relaxed);

	if ((g & 1u) == 0)
		atomic_store_explicit(&r->gen, g + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	mstore_step(MSTORE_STEP_REMOVE_ODD);
	mstore_limbo_add(st, idx);
}

/* Under the registration lock: remove LIVE series idx (the steps of
 * mstore_layout.h). */
static void
series_remove_locked(struct mstore *st, uint32_t idx)
{
	struct mstore_hdr *hd = st->hdr;
	uint32_t f = atomic_load_explicit(&st->srec[idx].family, memory_order_relaxed);
	int overflow = mstore_series_is_overflow(st, idx);
	uint64_t h;

	if (f >= st->max_families)
		return;
	hd->intent.index = idx;
	hd->intent.family = f;
	atomic_store_explicit(&hd->intent.op, MSTORE_INTENT_REMOVE, memory_order_relaxed);
	series_unlink(st, f, idx);
	mstore_step(MSTORE_STEP_REMOVE_UNLINKED);
	series_retire(st, idx);
	mstore_step(MSTORE_STEP_REMOVE_RETIRED);
	if (series_hash_of(st, idx, &h))
		index_delete(st, idx, h);
	else
		hd->alloc.dirty = 1; /* the rebuild drops its entry */
	if (!overflow && st->frec[f].nseries > 0)
		st->frec[f].nseries--;
	atomic_store_explicit(&hd->intent.op, MSTORE_INTENT_NONE, memory_order_relaxed);
}

/* --------------------------------------------------------- the intent */

void
mstore_intent_recover(struct mstore *st)
{
	struct mstore_hdr *h = st->hdr;
	struct mstore_intent *in = &h->intent;
	uint32_t op = atomic_load_explicit(&in->op, memory_order_relaxed);
	uint32_t i = in->index, f = in->family;
	int live;
	struct mstore_series_rec *r;

	if (op == MSTORE_INTENT_NONE)
		return;
	live = i < atomic_load_explicit(&h->series, memory_order_relaxed) &&
	       f < atomic_load_explicit(&h->families, memory_order_relaxed) &&
	       atomic_load_explicit(&st->srec[i].state, memory_order_relaxed) ==
	               MSTORE_SERIES_LIVE &&
	       atomic_load_explicit(&st->srec[i].family, memory_order_relaxed) == f;
	switch (op) {
	case MSTORE_INTENT_FAMILY:
		mstore_count_recovery(st,
		                      atomic_load_explicit(&h->families, memory_order_relaxed) > i
		                              ? MSTORE_RECOVERY_FORWARD
		                              : MSTORE_RECOVERY_BACK,
		                      1);
		break;
	case MSTORE_INTENT_SERIES:
		if (live) {
			r = &st->srec[i];
			if (atomic_load_explicit(&r->gen, memory_order_relaxed) & 1u)
				atomic_store_explicit(&r->gen, mstore_clock_next(st),
				                      memory_order_release);
			series_link(st, f, i);
		} else if (i < atomic_load_explicit(&h->series, memory_order_relaxed)) {
			mstore_rec_give(st, i); /* its rooms: the rebuild finds them free */
		}
		mstore_count_recovery(st, live ? MSTORE_RECOVERY_FORWARD : MSTORE_RECOVERY_BACK, 1);
		break;
	case MSTORE_INTENT_REMOVE:
		if (live) {
			series_unlink(st, f, i);
			series_retire(st, i);
		}
		mstore_count_recovery(st, MSTORE_RECOVERY_REMOVAL, 1);
		break;
	default: /* EXPIRE: everything it did is derived data */
		break;
	}
	h->alloc.dirty = 1; /* the lists, index and counts are rebuilt next */
	atomic_store_explicit(&in->op, MSTORE_INTENT_NONE, memory_order_relaxed);
}

/* --------------------------------------------------- private handles */

/* The private cache's home of hash h. */
static size_t
htab_home(const struct mstore *st, uint64_t h)
{
	return (size_t)h & st->hmask;
}

static void
htab_insert(struct mstore *st, const struct mstore_series *s)
{
	size_t i = htab_home(st, s->hash);

	while (st->htab[i] != 0)
		i = (i + 1) & st->hmask;
	st->htab[i] = s->index + 1;
}

/* Delete cached handle s's entry, shifting its run back. */
static void
htab_delete(struct mstore *st, const struct mstore_series *s)
{
	size_t i = htab_home(st, s->hash), j;

	while (st->htab[i] != s->index + 1) {
		if (st->htab[i] == 0)
			return;
		i = (i + 1) & st->hmask;
	}
	for (j = (i + 1) & st->hmask; st->htab[j] != 0; j = (j + 1) & st->hmask) {
		size_t k = htab_home(st, st->series[st->htab[j] - 1]->hash);

		if (may_fill((uint32_t)i, (uint32_t)j, (uint32_t)k)) {
			st->htab[i] = st->htab[j];
			i = j;
		}
	}
	st->htab[i] = 0;
}

/* Take handle s out of the cache (it stays valid memory). */
static void
cache_drop(struct mstore *st, struct mstore_series *s)
{
	if (st->series[s->index] != s)
		return;
	htab_delete(st, s);
	st->series[s->index] = NULL;
}

static int
handle_current(const struct mstore_series *s)
{
	return atomic_load_explicit(s->gen_now, memory_order_relaxed) == s->gen;
}

/* The cached handle of series (f, l), dropping stale ones met on the way. */
static struct mstore_series *
cache_find(struct mstore *st, const struct mstore_family *f, const struct labels *l, uint64_t h)
{
	struct found fd;
	size_t i;

again:
	for (i = htab_home(st, h); st->htab[i] != 0; i = (i + 1) & st->hmask) {
		struct mstore_series *s = st->series[st->htab[i] - 1];

		if (s->hash != h || s->fam != f)
			continue;
		if (!handle_current(s)) {
			cache_drop(st, s); /* removed, perhaps taken over */
			goto again;
		}
		if (series_read_match(st, s->index, f, l, 0, &fd) && fd.gen == s->gen)
			return s;
	}
	return NULL;
}

/* The handle of found series fd (hash h): the cached one, or a new one. */
static struct mstore_series *
handle_get(struct mstore *st, struct mstore_family *f, const struct found *fd, uint64_t h)
{
	struct mstore_series *s = st->series[fd->idx];

	if (s != NULL && s->gen == fd->gen)
		return s;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if (st->series[fd->idx] != NULL)
		cache_drop(st, st->series[fd->idx]);
	s->type = f->type | (f->per_writer != MSTORE_SHARED ? MSTORE_T_PER_WRITER : 0) |
	          (f->native.nbuckets > 0 ? MSTORE_T_NATIVE : 0);
	s->nbounds = f->nbounds;
	s->v = &st->slots[fd->voff];
	s->gen_now = &st->srec[fd->idx].gen;
	s->gen = fd->gen;
	s->shard_key = st->uid << MSTORE_SHARD_KEY_BITS;
	s->bounds = f->bounds;
	s->st = st;
	s->fam = f;
	s->hash = h;
	s->index = fd->idx;
	s->next_h = st->handles;
	if (st->handles != NULL)
		st->handles->prev_h = s;
	st->handles = s;
	st->series[fd->idx] = s;
	htab_insert(st, s);
	return s;
}

/* ------------------------------------------------------ the public API */

static int
check_values(const struct mstore_family *f, struct labels *l, int partial)
{
	uint32_t i;

	if (f->nlabels > 0 && l->v == NULL)
		return partial ? 0 : MSTORE_E_LABEL_VALUE;
	for (i = 0; i < f->nlabels; i++) {
		if (l->v[i] == NULL) {
			if (partial)
				continue;
			return MSTORE_E_LABEL_VALUE;
		}
		l->len[i] = strnlen(l->v[i], MSTORE_LABEL_VALUE_MAX + 1);
		if (l->len[i] > MSTORE_LABEL_VALUE_MAX)
			return MSTORE_E_TOO_LONG;
		if (!mstore_valid_text(l->v[i], l->len[i]))
			return MSTORE_E_LABEL_VALUE;
	}
	return 0;
}

/* Under st->lock, after a private cache miss: the shared index, then the
 * registration lock and a new series.  0 or 1 (overflow) with *out. */
static int
series_lookup(struct mstore_family *f, const struct labels *l, uint64_t h,
              struct mstore_series **out)
{
	struct mstore *st = f->st;
	struct found fd;
	int rc = 0;

	if (!index_find(st, f, l, h, &fd)) {
		if ((rc = mstore_reg_lock(st)) != 0)
			return rc;
		if (!index_find(st, f, l, h, &fd))
			rc = series_create(st, f, l, &h, &fd);
		mstore_reg_unlock(st);
		if (rc < 0)
			return rc;
	}
	*out = handle_get(st, f, &fd, h);
	return *out != NULL ? rc : MSTORE_E_SYS;
}

int
mstore_series_get(struct mstore_family *fam, const char *const *label_values,
                  struct mstore_series **out)
{
	struct labels l = { label_values, { 0 } };
	struct mstore_series *s;
	struct mstore *st;
	uint64_t h;
	int rc;

	if (fam == NULL || out == NULL)
		return mstore_fail(MSTORE_E_INVAL);
	if ((rc = check_values(fam, &l, 0)) != 0)
		return mstore_fail(rc);
	st = fam->st;
	h = series_hash(fam->index, l.v, l.len, fam->nlabels);
	if ((errno = pthread_mutex_lock(&st->lock)) != 0)
		return MSTORE_E_SYS;
	s = cache_find(st, fam, &l, h);
	if (s == NULL)
		rc = series_lookup(fam, &l, h, &s);
	if (rc >= 0) {
		s->refs++;
		*out = s;
	}
	(void)pthread_mutex_unlock(&st->lock);
	return rc < 0 ? mstore_fail(rc) : rc;
}

/* Take the handles of this process for record idx out of the cache. */
static void
drop_cached(struct mstore *st, uint32_t idx)
{
	if (st->series[idx] != NULL)
		cache_drop(st, st->series[idx]);
}

int
mstore_series_remove(struct mstore_series *s)
{
	struct mstore *st;
	int rc;

	if (s == NULL)
		return mstore_fail(MSTORE_E_INVAL);
	st = s->st;
	if ((errno = pthread_mutex_lock(&st->lock)) != 0)
		return MSTORE_E_SYS;
	if ((rc = mstore_reg_lock(st)) == 0) {
		if (handle_current(s) &&
		    atomic_load_explicit(&st->srec[s->index].state, memory_order_relaxed) ==
		            MSTORE_SERIES_LIVE)
			series_remove_locked(st, s->index);
		else
			rc = MSTORE_E_REMOVED;
		mstore_reg_unlock(st);
	}
	if (rc != MSTORE_E_SYS)
		cache_drop(st, s);
	(void)pthread_mutex_unlock(&st->lock);
	return rc != 0 ? mstore_fail(rc) : 0;
}

/*
 * Remove every LIVE series of f whose label values equal l's (partial:
 * its non-NULL ones; all: every series).  Under both locks.  Returns how
 * many.
 */
static int
remove_matching(struct mstore_family *f, const struct labels *l, int partial, uint64_t h)
{
	struct mstore *st = f->st;
	uint32_t x, next, steps = 0;
	struct found fd;
	int n = 0;

	if (!partial) {
		if (!index_find(st, f, l, h, &fd))
			return 0;
		series_remove_locked(st, fd.idx);
		drop_cached(st, fd.idx);
		return 1;
	}
	x = atomic_load_explicit(&st->frec[f->index].first_series, memory_order_relaxed);
	while (x < st->max_series && steps++ < st->max_series) {
		next = atomic_load_explicit(&st->srec[x].next, memory_order_relaxed);
		if (l->v == NULL || series_read_match(st, x, f, l, 1, &fd)) {
			series_remove_locked(st, x);
			drop_cached(st, x);
			n++;
		}
		x = next;
	}
	return n;
}

static int
remove_call(struct mstore_family *f, const char *const *label_values, int partial)
{
	struct labels l = { label_values, { 0 } };
	struct mstore *st;
	uint64_t h = 0;
	int rc;

	if (f == NULL)
		return mstore_fail(MSTORE_E_INVAL);
	if ((rc = check_values(f, &l, partial)) != 0)
		return mstore_fail(rc);
	if (!partial)
		h = series_hash(f->index, l.v, l.len, f->nlabels);
	st = f->st;
	if ((errno = pthread_mutex_lock(&st->lock)) != 0)
		return MSTORE_E_SYS;
	if ((rc = mstore_reg_lock(st)) == 0) {
		rc = remove_matching(f, &l, partial, h);
		mstore_reg_unlock(st);
	}
	(void)pthread_mutex_unlock(&st->lock);
	return rc < 0 ? mstore_fail(rc) : rc;
}

int
mstore_series_remove_labels(struct mstore_family *fam, const char *const *label_values)
{
	return remove_call(fam, label_values, 0);
}

int
mstore_family_remove_matching(struct mstore_family *fam, const char *const *label_values)
{
	return remove_call(fam, label_values, 1);
}

int
mstore_family_clear(struct mstore_family *fam)
{
	return remove_call(fam, NULL, 1);
}

void
mstore_series_free(struct mstore_series *s)
{
	struct mstore *st;

	if (s == NULL)
		return;
	st = s->st;
	if (pthread_mutex_lock(&st->lock) != 0)
		return; /* kept: freed at close */
	if (s->refs > 0)
		s->refs--;
	if (s->refs == 0) {
		cache_drop(st, s);
		if (s->prev_h != NULL)
			s->prev_h->next_h = s->next_h;
		else
			st->handles = s->next_h;
		if (s->next_h != NULL)
			s->next_h->prev_h = s->prev_h;
		free(s);
	}
	(void)pthread_mutex_unlock(&st->lock);
}

void
mstore_register_free(struct mstore *st)
{
	struct mstore_series *s, *next;
	uint32_t i;

	/* Without reading the mapping: it may be gone (a truncated file). */
	for (s = st->handles; s != NULL; s = next) {
		next = s->next_h;
		free(s);
	}
	st->handles = NULL;
	for (i = 0; i < st->fams_hi; i++)
		free(st->fams[i]);
}
