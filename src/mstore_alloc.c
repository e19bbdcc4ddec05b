/* SPDX-License-Identifier: MIT */
/*
 * mstore_alloc.c - rooms in the store file: series records, value slot
 * ranges and string blocks taken from free lists or the untouched rest of
 * their regions and given back, the limbo where a removed series' rooms
 * wait out the reuse delay, and the rebuild of all of it (with the shared
 * index and the usage counts) from the records.  Writers only, always
 * under the registration lock.  The protocol and why it holds:
 * "Allocation in the file" (before struct mstore_alloc) and "Series
 * records" in mstore_layout.h.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mstore_names.h"
#include "mstore_writer.h"

/* Values a check code mixes (any odd 64-bit constants do). */
#define VLINK_MIX1 UINT64_C(0x9e3779b97f4a7c15)
#define VLINK_MIX2 UINT64_C(0xbf58476d1ce4e5b9)
/* Ages mod 2^32 ms at or above this were stamped ahead of now. */
#define AGE_AHEAD (UINT32_C(1) << 31)

static struct mstore_alloc *
alloc_of(struct mstore *st)
{
	return &st->hdr->alloc;
}

/* Add d (may be negative, as a wrapped u32) to a usage count readers read. */
static void
count_add(_Atomic uint32_t *c, uint32_t d)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + d,
	                      memory_order_relaxed);
}

uint64_t
mstore_clock_next(struct mstore *st)
{
	uint64_t c = st->hdr->clock + 2;

	st->hdr->clock = c; /* stored before it is used (mstore_layout.h) */
	return c;
}

uint32_t
mstore_family_shape(uint32_t family, uint32_t nslots)
{
	return mstore_val_shape(family + 1, nslots);
}

/* ---------------------------------------------------------- strings */

static uint32_t
str_class(uint32_t need)
{
	uint32_t c = 0;

	while (c < MSTORE_STR_CLASSES && (MSTORE_STR_BLOCK_MIN << c) < need)
		c++;
	return c;
}

static uint32_t
block_bytes(uint32_t c)
{
	return MSTORE_STR_BLOCK_MIN << c;
}

uint32_t
mstore_str_block(uint32_t len)
{
	uint32_t c = str_class(len + 1);

	return len == 0 || c >= MSTORE_STR_CLASSES ? 0 : block_bytes(c);
}

/* 1 if a block of class c may start at off (below the top). */
static int
block_ok(const struct mstore *st, uint32_t off, uint32_t c)
{
	return off >= 1 && off <= st->hdr->strings_top &&
	       block_bytes(c) <= st->hdr->strings_top - off;
}

static int
str_pop(struct mstore *st, uint32_t c, uint32_t *off)
{
	struct mstore_alloc *a = alloc_of(st);
	uint32_t head = a->str_free[c], next;

	if (head == 0)
		return 0;
	if (!block_ok(st, head, c)) {
		a->str_free[c] = 0;
		a->dirty = 1;
		return 0;
	}
	memcpy(&next, st->strings + head, sizeof next);
	if (next != 0 && !block_ok(st, next, c)) {
		next = 0; /* the rest of the list is lost until the rebuild */
		a->dirty = 1;
	}
	a->str_free[c] = next;
	*off = head;
	return 1;
}

static void
str_push(struct mstore *st, uint32_t c, uint32_t off)
{
	struct mstore_alloc *a = alloc_of(st);

	memcpy(st->strings + off, &a->str_free[c], sizeof a->str_free[c]);
	a->str_free[c] = off;
}

int
mstore_str_take(struct mstore *st, uint32_t len, uint32_t *off)
{
	struct mstore_hdr *h = st->hdr;
	uint32_t c = str_class(len + 1), c2, o;

	if (c >= MSTORE_STR_CLASSES)
		return MSTORE_E_NO_STRING_SPACE;
	if (!str_pop(st, c, &o)) {
		if (block_bytes(c) <= st->string_bytes - h->strings_top) {
			o = h->strings_top;
			h->strings_top += block_bytes(c);
		} else {
			/* A larger block, split in halves down to class c. */
			for (c2 = c + 1; c2 < MSTORE_STR_CLASSES && !str_pop(st, c2, &o); c2++)
				;
			if (c2 >= MSTORE_STR_CLASSES)
				return MSTORE_E_NO_STRING_SPACE;
			while (c2-- > c)
				str_push(st, c2, o + block_bytes(c2));
		}
	}
	count_add(&h->strings_used, block_bytes(c));
	*off = o;
	return 0;
}

void
mstore_str_give(struct mstore *st, struct mstore_str r)
{
	uint32_t c;

	if (r.len == 0)
		return;
	c = str_class(r.len + 1);
	if (c >= MSTORE_STR_CLASSES || !block_ok(st, r.off, c)) {
		alloc_of(st)->dirty = 1; /* not a block we handed out */
		return;
	}
	str_push(st, c, r.off);
	count_add(&st->hdr->strings_used, -block_bytes(c));
	alloc_of(st)->freed++;
}

/* ------------------------------------------------------ value ranges */

static uint32_t
vlink_check(uint32_t self, uint32_t nslots, uint32_t next)
{
	uint64_t x = ((uint64_t)self << 32 | next) * VLINK_MIX1;

	x ^= (x >> 29) + (uint64_t)nslots * VLINK_MIX2;
	return (uint32_t)(x >> 48);
}

static uint64_t
vlink_make(uint32_t self, uint32_t nslots, uint32_t next)
{
	return (uint64_t)next << MSTORE_VLINK_NEXT_SHIFT |
	       (uint64_t)nslots << MSTORE_VLINK_SIZE_SHIFT |
	       (uint64_t)vlink_check(self, nslots, next) << MSTORE_VLINK_CHECK_SHIFT;
}

/* The class of shape, or (add) a new one; NULL if none is free. */
static struct mstore_val_class *
val_class(struct mstore *st, uint32_t shape, int add)
{
	struct mstore_val_class *v = alloc_of(st)->val_free, *empty = NULL;
	uint32_t k;

	for (k = 0; k < MSTORE_VAL_CLASSES; k++) {
		if (v[k].shape == shape)
			return &v[k];
		if (v[k].shape == 0 && empty == NULL)
			empty = &v[k];
	}
	if (!add || empty == NULL)
		return NULL;
	empty->shape = shape;
	empty->head = MSTORE_VLINK_END;
	return empty;
}

/* Pop the first range of class k (nslots each): 1 with *off. */
static int
val_pop(struct mstore *st, struct mstore_val_class *k, uint32_t *off)
{
	uint32_t head = k->head, n = k->shape & 0xffffu, next;
	uint64_t w;

	if (head == MSTORE_VLINK_END)
		return 0;
	if (head > st->hdr->values_top || n > st->hdr->values_top - head)
		goto bad;
	w = atomic_load_explicit(&st->slots[head], memory_order_relaxed);
	next = (uint32_t)((w >> MSTORE_VLINK_NEXT_SHIFT) & MSTORE_VLINK_NEXT_MASK);
	if ((w & 1u) != 0 || ((w >> MSTORE_VLINK_SIZE_SHIFT) & MSTORE_VLINK_SIZE_MASK) != n ||
	    (uint32_t)(w >> MSTORE_VLINK_CHECK_SHIFT) != vlink_check(head, n, next) ||
	    (next != MSTORE_VLINK_END && next >= st->hdr->values_top))
		goto bad; /* a late update wrote here, or a broken store */
	k->head = next;
	if (next == MSTORE_VLINK_END)
		k->shape = 0; /* the entry is free for another shape */
	*off = head;
	return 1;
bad:
	k->head = MSTORE_VLINK_END;
	k->shape = 0;
	alloc_of(st)->dirty = 1;
	return 0;
}

/* List range off (nslots) under shape; unlisted when no class is free
 * (the next rebuild finds it). */
static void
val_push(struct mstore *st, uint32_t shape, uint32_t nslots, uint32_t off)
{
	struct mstore_val_class *k = val_class(st, shape, 1);

	if (k == NULL)
		return;
	atomic_store_explicit(&st->slots[off], vlink_make(off, nslots, k->head),
	                      memory_order_relaxed);
	k->head = off;
}

/* A range of another shape with more than nslots slots (the smallest):
 * its first nslots, the rest listed as an untyped gap.  1 with *off. */
static int
val_split(struct mstore *st, uint32_t nslots, uint32_t *off)
{
	struct mstore_val_class *v = alloc_of(st)->val_free, *best = NULL;
	uint32_t k, m;

	for (k = 0; k < MSTORE_VAL_CLASSES; k++) {
		m = v[k].shape & 0xffffu;
		if (v[k].shape != 0 && m > nslots && (best == NULL || m < (best->shape & 0xffffu)))
			best = &v[k];
	}
	if (best == NULL)
		return 0;
	m = best->shape & 0xffffu;
	if (!val_pop(st, best, off))
		return val_split(st, nslots, off); /* that list was broken: another */
	val_push(st, mstore_val_shape(0, m - nslots), m - nslots, *off + nslots);
	return 1;
}

int
mstore_val_take(struct mstore *st, uint32_t shape, uint32_t nslots, uint32_t *off, int *same)
{
	struct mstore_hdr *h = st->hdr;
	struct mstore_val_class *k = val_class(st, shape, 0), *gap;

	*same = k != NULL && val_pop(st, k, off);
	if (!*same) {
		if (nslots <= st->value_slots - h->values_top) {
			*off = h->values_top;
			h->values_top += nslots;
		} else if ((gap = val_class(st, mstore_val_shape(0, nslots), 0)) == NULL ||
		           !val_pop(st, gap, off)) {
			if (!val_split(st, nslots, off))
				return MSTORE_E_NO_VALUE_SPACE;
		}
	}
	count_add(&h->values_used, nslots);
	return 0;
}

void
mstore_val_give(struct mstore *st, uint32_t shape, uint32_t nslots, uint32_t off)
{
	if (off > st->hdr->values_top || nslots > st->hdr->values_top - off || nslots == 0) {
		alloc_of(st)->dirty = 1;
		return;
	}
	val_push(st, shape, nslots, off);
	count_add(&st->hdr->values_used, -nslots);
	alloc_of(st)->freed++;
}

/* ----------------------------------------------------------- records */

int
mstore_rec_take(struct mstore *st, uint32_t *idx)
{
	struct mstore_alloc *a = alloc_of(st);
	struct mstore_hdr *h = st->hdr;
	uint32_t i = a->free_series, n = atomic_load_explicit(&h->series, memory_order_relaxed);

	if (i != MSTORE_NONE &&
	    (i >= n || atomic_load_explicit(&st->srec[i].state, memory_order_relaxed) !=
	                       MSTORE_SERIES_FREE)) {
		a->free_series = MSTORE_NONE; /* broken: the rebuild lists them again */
		a->dirty = 1;
		i = MSTORE_NONE;
	}
	if (i != MSTORE_NONE) {
		a->free_series = st->srec[i].link;
	} else if (n < st->max_series) {
		i = n;
		/* Readers read records below it; this one is FREE until LIVE. */
		atomic_store_explicit(&h->series, n + 1, memory_order_release);
	} else {
		return MSTORE_E_NO_SERIES_SPACE;
	}
	count_add(&h->series_used, 1);
	*idx = i;
	return 0;
}

/* Record i made FREE: nothing of it is in use (its rooms are the
 * caller's).  The gen moves on, as for every state change. */
static void
rec_clear(struct mstore *st, uint32_t i)
{
	struct mstore_series_rec *r = &st->srec[i];
	uint64_t g = atomic_load_explicit(&r->gen, memory_order_relaxed);
	uint32_t k;

	if ((g & 1u) == 0) {
		atomic_store_explicit(&r->gen, g + 1, memory_order_relaxed);
		atomic_thread_fence(memory_order_release);
	}
	atomic_store_explicit(&r->state, MSTORE_SERIES_FREE, memory_order_relaxed);
	atomic_store_explicit(&r->value_off, MSTORE_NONE, memory_order_relaxed);
	for (k = 0; k < MSTORE_MAX_LABELS; k++)
		atomic_store_explicit(&r->label[k], 0, memory_order_relaxed);
	atomic_store_explicit(&r->gen, mstore_clock_next(st), memory_order_release);
}

void
mstore_rec_give(struct mstore *st, uint32_t idx)
{
	struct mstore_alloc *a = alloc_of(st);

	rec_clear(st, idx);
	st->srec[idx].link = a->free_series;
	a->free_series = idx;
	count_add(&st->hdr->series_used, -1);
	a->freed++;
}

/* ------------------------------------------------------------- limbo */

/* The host's CLOCK_BOOTTIME in ms, mod 2^32 (mstore_layout.h): the same
 * for every process of the boot, whatever its time namespace. */
static uint32_t
host_ms(void)
{
	int64_t t = mstore_boottime_ns();

	if (t < 0)
		t = 0; /* cannot happen on Linux; then nothing expires early */
	return (uint32_t)((t - mstore_clock_self()->boottime_offset_ns) / MSTORE_NS_PER_MS);
}

/* 1 if a removal stamped at freed (ms) is at least delay ms ago, or was
 * stamped ahead of now (another boot). */
static int
due(uint32_t now, uint32_t freed, uint32_t delay)
{
	uint32_t age = now - freed;

	return age >= delay || age >= AGE_AHEAD;
}

void
mstore_limbo_add(struct mstore *st, uint32_t idx)
{
	struct mstore_alloc *a = alloc_of(st);
	struct mstore_series_rec *r = &st->srec[idx];

	atomic_store_explicit(&r->state, MSTORE_SERIES_LIMBO, memory_order_relaxed);
	atomic_store_explicit(&r->freed_ms, host_ms(), memory_order_relaxed);
	atomic_store_explicit(&r->gen, mstore_clock_next(st), memory_order_release);
	r->link = MSTORE_NONE;
	if (atomic_load_explicit(&a->limbo_head, memory_order_relaxed) == MSTORE_NONE) {
		atomic_store_explicit(&a->limbo_head, idx, memory_order_relaxed);
	} else if (a->limbo_tail < st->max_series) {
		st->srec[a->limbo_tail].link = idx;
	} else {
		a->dirty = 1;
		return;
	}
	a->limbo_tail = idx;
}

int
mstore_limbo_due(const struct mstore *st)
{
	uint32_t x = atomic_load_explicit(&st->hdr->alloc.limbo_head, memory_order_relaxed);

	if (x >= st->max_series)
		return 0;
	return due(host_ms(), atomic_load_explicit(&st->srec[x].freed_ms, memory_order_relaxed),
	           st->reuse_delay_ms);
}

/* Give back the rooms of LIMBO record x (family validated by caller). */
static void
expire_one(struct mstore *st, uint32_t x, const struct mstore_family_rec *f)
{
	struct mstore_series_rec *r = &st->srec[x];
	uint32_t k, off = atomic_load_explicit(&r->value_off, memory_order_relaxed);

	/* a record a dead writer left locked is emptied now: by the time the
	 * range is reused its slot may be another process's */
	(void)mstore_exemplars_empty(st, f, off);
	mstore_val_give(st,
	                mstore_family_shape(atomic_load_explicit(&r->family, memory_order_relaxed),
	                                    f->nslots),
	                f->nslots, off);
	for (k = 0; k < f->nlabels && k < MSTORE_MAX_LABELS; k++)
		mstore_str_give(st, mstore_str_unpack(atomic_load_explicit(&r->label[k],
		                                                           memory_order_relaxed)));
	mstore_step(MSTORE_STEP_EXPIRE_GIVEN);
}

void
mstore_limbo_expire(struct mstore *st)
{
	struct mstore_alloc *a = alloc_of(st);
	uint32_t now = host_ms(), x, fam, off, n = 0;
	struct mstore_series_rec *r;

	while ((x = atomic_load_explicit(&a->limbo_head, memory_order_relaxed)) != MSTORE_NONE) {
		if (x >= atomic_load_explicit(&st->hdr->series, memory_order_relaxed) ||
		    atomic_load_explicit(&st->srec[x].state, memory_order_relaxed) !=
		            MSTORE_SERIES_LIMBO) {
			a->dirty = 1;
			break;
		}
		r = &st->srec[x];
		if (!due(now, atomic_load_explicit(&r->freed_ms, memory_order_relaxed),
		         st->reuse_delay_ms))
			break;
		fam = atomic_load_explicit(&r->family, memory_order_relaxed);
		if (fam >= atomic_load_explicit(&st->hdr->families, memory_order_relaxed)) {
			a->dirty = 1;
			break;
		}
		off = atomic_load_explicit(&r->value_off, memory_order_relaxed);
		if (off > st->value_slots || st->frec[fam].nslots > st->value_slots - off) {
			a->dirty = 1;
			break;
		}
		/* A late observation inside: the link must not go under it. */
		if (mstore_values_busy(st, &st->frec[fam], off))
			break;
		if (n++ == 0)
			atomic_store_explicit(&st->hdr->intent.op, MSTORE_INTENT_EXPIRE,
			                      memory_order_relaxed);
		atomic_store_explicit(&a->limbo_head, r->link, memory_order_relaxed);
		if (r->link == MSTORE_NONE)
			a->limbo_tail = MSTORE_NONE;
		expire_one(st, x, &st->frec[fam]);
		mstore_rec_give(st, x);
	}
	if (n > 0)
		atomic_store_explicit(&st->hdr->intent.op, MSTORE_INTENT_NONE,
		                      memory_order_relaxed);
}

/* ------------------------------------------------------------ rebuild */

/* A used room: [off, off + len). */
struct extent {
	uint32_t off, len;
};

/* A LIMBO record and its age at the rebuild. */
struct aged {
	uint32_t idx, age;
};

static int
extent_cmp(const void *pa, const void *pb)
{
	const struct extent *a = pa, *b = pb;

	return (a->off > b->off) - (a->off < b->off);
}

/* Oldest first. */
static int
aged_cmp(const void *pa, const void *pb)
{
	const struct aged *a = pa, *b = pb;

	return (a->age < b->age) - (a->age > b->age);
}

/* What the rebuild collects. */
struct census {
	struct extent *vals, *strs;
	struct aged *limbo;
	size_t nvals, nstrs, nlimbo;
	uint32_t used; /* LIVE and LIMBO records */
};

static void
census_str(const struct mstore *st, struct census *c, struct mstore_str r)
{
	uint32_t b = mstore_str_block(r.len);

	if (r.len == 0 || b == 0 || r.off < 1 || r.off > st->string_bytes ||
	    b > st->string_bytes - r.off)
		return; /* not a block a writer made: left alone */
	c->strs[c->nstrs].off = r.off;
	c->strs[c->nstrs++].len = b;
}

/* Record i's rooms if it is LIVE or LIMBO (and its place in the limbo or
 * its family's count); a FREE one is listed. */
static void
census_series(struct mstore *st, struct census *c, uint32_t i, uint32_t nfam, uint32_t now)
{
	struct mstore_series_rec *r = &st->srec[i];
	uint32_t state = atomic_load_explicit(&r->state, memory_order_relaxed);
	uint32_t fam = atomic_load_explicit(&r->family, memory_order_relaxed);
	uint32_t off = atomic_load_explicit(&r->value_off, memory_order_relaxed), k;
	struct mstore_family_rec *f;

	if (state != MSTORE_SERIES_LIVE && state != MSTORE_SERIES_LIMBO) {
		if (state != MSTORE_SERIES_FREE ||
		    (atomic_load_explicit(&r->gen, memory_order_relaxed) & 1u))
			rec_clear(st, i); /* a registration cut short, or garbage */
		r->link = st->hdr->alloc.free_series;
		st->hdr->alloc.free_series = i;
		return;
	}
	if (fam >= nfam)
		return; /* garbage the reader would reject: left alone */
	f = &st->frec[fam];
	c->used++;
	if (off <= st->value_slots && f->nslots <= st->value_slots - off) {
		c->vals[c->nvals].off = off;
		c->vals[c->nvals++].len = f->nslots;
	}
	for (k = 0; k < f->nlabels && k < MSTORE_MAX_LABELS; k++)
		census_str(st, c,
		           mstore_str_unpack(
		                   atomic_load_explicit(&r->label[k], memory_order_relaxed)));
	if (state == MSTORE_SERIES_LIMBO) {
		c->limbo[c->nlimbo].idx = i;
		c->limbo[c->nlimbo++].age =
		        now - atomic_load_explicit(&r->freed_ms, memory_order_relaxed);
		return;
	}
	if ((atomic_load_explicit(&r->gen, memory_order_relaxed) & 1u) == 0)
		mstore_index_add(st, i);
	if (!mstore_series_is_overflow(st, i))
		f->nseries++;
}

/* Sort the extents and list the gaps below *top; *top drops to the end of
 * the last used one (at least floor).  Returns the bytes or slots used.
 * give(st, off, len) lists one gap. */
static uint64_t
census_gaps(struct mstore *st, struct extent *e, size_t n, uint32_t floor, uint32_t *top,
            void (*give)(struct mstore *, uint32_t, uint32_t))
{
	uint32_t cur = floor;
	uint64_t used = 0;
	size_t i;

	qsort(e, n, sizeof(*e), extent_cmp);
	for (i = 0; i < n; i++) {
		if (e[i].off > cur)
			give(st, cur, e[i].off - cur);
		if (e[i].off + e[i].len > cur) {
			used += e[i].off + e[i].len - (e[i].off > cur ? e[i].off : cur);
			cur = e[i].off + e[i].len;
		}
	}
	if (cur < *top)
		*top = cur;
	return used;
}

/* A value gap as untyped ranges (of at most the size a link holds). */
static void
gap_values(struct mstore *st, uint32_t off, uint32_t len)
{
	while (len > 0) {
		uint32_t n = len > MSTORE_VLINK_SIZE_MASK ? (uint32_t)MSTORE_VLINK_SIZE_MASK : len;

		val_push(st, mstore_val_shape(0, n), n, off);
		off += n;
		len -= n;
	}
}

/* A string gap cut into blocks, largest first. */
static void
gap_strings(struct mstore *st, uint32_t off, uint32_t len)
{
	uint32_t c;

	while (len >= MSTORE_STR_BLOCK_MIN) {
		for (c = MSTORE_STR_CLASSES - 1; block_bytes(c) > len; c--)
			;
		str_push(st, c, off);
		off += block_bytes(c);
		len -= block_bytes(c);
	}
}

/* Room for the census: every string of every family and series. */
static int
census_alloc(const struct mstore *st, struct census *c, uint32_t nser, uint32_t nfam)
{
	size_t nstr = 0;
	uint32_t i, state, fam;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < nfam; i++)
		nstr += 3 + MSTORE_MAX_LABELS;
	for (i = 0; i < nser; i++) {
		state = atomic_load_explicit(&st->srec[i].state, memory_order_relaxed);
		fam = atomic_load_explicit(&st->srec[i].family, memory_order_relaxed);
		if ((state == MSTORE_SERIES_LIVE || state == MSTORE_SERIES_LIMBO) && fam < nfam)
			nstr += st->frec[fam].nlabels < MSTORE_MAX_LABELS ? st->frec[fam].nlabels
			                                                  : MSTORE_MAX_LABELS;
	}
	c->vals = malloc(((size_t)nser + 1) * sizeof(*c->vals));
	c->strs = malloc((nstr + 1) * sizeof(*c->strs));
	c->limbo = malloc(((size_t)nser + 1) * sizeof(*c->limbo));
	return c->vals != NULL && c->strs != NULL && c->limbo != NULL ? 0 : MSTORE_E_SYS;
}

static void
census_free(struct census *c)
{
	free(c->vals);
	free(c->strs);
	free(c->limbo);
}

int
mstore_alloc_rebuild(struct mstore *st)
{
	struct mstore_hdr *h = st->hdr;
	struct mstore_alloc *a = &h->alloc;
	uint32_t nser = atomic_load_explicit(&h->series, memory_order_relaxed);
	uint32_t nfam = atomic_load_explicit(&h->families, memory_order_relaxed), i, k, now;
	uint64_t vals, strs;
	struct census c;

	a->dirty = 1; /* until it is done: a rebuild cut short is redone */
	if (nser > st->max_series || nfam > st->max_families)
		return mstore_fail(MSTORE_E_CORRUPT);
	if (census_alloc(st, &c, nser, nfam) != 0) {
		census_free(&c);
		errno = ENOMEM;
		return MSTORE_E_SYS;
	}
	mstore_step(MSTORE_STEP_REBUILD);
	now = host_ms();
	memset(a->str_free, 0, sizeof(a->str_free));
	memset(a->val_free, 0, sizeof(a->val_free));
	a->free_series = MSTORE_NONE;
	mstore_index_reset(st);
	for (i = 0; i < nfam; i++) {
		struct mstore_family_rec *f = &st->frec[i];

		f->nseries = 0;
		census_str(st, &c, f->name);
		census_str(st, &c, f->help);
		census_str(st, &c, f->unit);
		for (k = 0; k < f->nlabels && k < MSTORE_MAX_LABELS; k++)
			census_str(st, &c, f->label[k]);
	}
	for (i = nser; i-- > 0;) /* downwards: the free list pops upwards */
		census_series(st, &c, i, nfam, now);
	vals = census_gaps(st, c.vals, c.nvals, 0, &h->values_top, gap_values);
	strs = census_gaps(st, c.strs, c.nstrs, 1, &h->strings_top, gap_strings);
	qsort(c.limbo, c.nlimbo, sizeof(*c.limbo), aged_cmp);
	atomic_store_explicit(&a->limbo_head, c.nlimbo > 0 ? c.limbo[0].idx : MSTORE_NONE,
	                      memory_order_relaxed);
	a->limbo_tail = c.nlimbo > 0 ? c.limbo[c.nlimbo - 1].idx : MSTORE_NONE;
	for (i = 0; i < c.nlimbo; i++)
		st->srec[c.limbo[i].idx].link = i + 1 < c.nlimbo ? c.limbo[i + 1].idx : MSTORE_NONE;
	atomic_store_explicit(&h->series_used, c.used, memory_order_relaxed);
	atomic_store_explicit(&h->values_used, (uint32_t)vals, memory_order_relaxed);
	atomic_store_explicit(&h->strings_used, (uint32_t)strs + 1, memory_order_relaxed);
	census_free(&c);
	a->freed = 0;
	a->dirty = 0;
	return 0;
}
