/* SPDX-License-Identifier: MIT */
/*
 * mstore_exemplar.c - exemplar records: the rules for an exemplar's labels
 * (one function, for writer and reader), the write of a record by any
 * update path (counters and classic histograms now; a native histogram's
 * observe path calls mstore_exemplar_put() the same way), the reader's
 * copy, and the cleanup of a record a dead writer left locked.  The
 * format and the seqlock: "Exemplars" in mstore_layout.h.
 */
#include "config.h"

#include <sched.h>
#include <string.h>

#include "mstore_names.h"
#include "mstore_writer.h"

/* The seq word's owner and lock bits (as a histogram's). */
#define SEQ_HELD   ((MSTORE_SEQ_OWNER_MASK << MSTORE_SEQ_OWNER_SHIFT) | MSTORE_SEQ_LOCKED)
#define TEXT_SLOTS (MSTORE_EX_SLOTS - MSTORE_EX_TEXT)

/* ------------------------------------------------------------- the rules */

/* Characters (code points) of valid UTF-8: the bytes that start one. */
static uint32_t
utf8_chars(const char *s, size_t len)
{
	uint32_t n = 0;
	size_t i;

	for (i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0u) != 0x80u;
	return n;
}

/* The length of the NUL-terminated piece at t[pos..end), or -1 when no NUL
 * ends it there. */
static long
piece_len(const char *t, uint32_t pos, uint32_t end)
{
	const char *nul = memchr(t + pos, '\0', end - pos);

	return nul != NULL ? nul - (t + pos) : -1;
}

int
mstore_exemplar_parse(struct mstore_exemplar_view *v)
{
	const char *t = v->text;
	uint32_t pos = 0, end = v->text_len, n = 0, j;
	size_t chars = 0;
	long nl, vl;

	if (end > MSTORE_EXEMPLAR_TEXT_MAX)
		return MSTORE_E_EXEMPLAR_LONG;
	while (pos < end) {
		if (n == MSTORE_MAX_LABELS || (nl = piece_len(t, pos, end)) < 0 ||
		    pos + (uint32_t)nl + 1 >= end ||
		    (vl = piece_len(t, pos + (uint32_t)nl + 1, end)) < 0)
			return MSTORE_E_EXEMPLAR;
		if (!mstore_valid_label_name(t + pos, (size_t)nl) ||
		    mstore_name_reserved(t + pos, (size_t)nl) ||
		    !mstore_valid_text(t + pos + nl + 1, (size_t)vl))
			return MSTORE_E_EXEMPLAR;
		for (j = 0; j < n; j++)
			if (v->name_len[j] == nl &&
			    memcmp(t + v->name_off[j], t + pos, (size_t)nl) == 0)
				return MSTORE_E_EXEMPLAR;
		v->name_off[n] = (uint16_t)pos;
		v->name_len[n] = (uint16_t)nl;
		v->value_off[n] = (uint16_t)(pos + (uint32_t)nl + 1);
		v->value_len[n] = (uint16_t)vl;
		chars += (size_t)nl + (size_t)vl; /* bytes for now */
		pos += (uint32_t)nl + (uint32_t)vl + 2;
		n++;
	}
	v->nlabels = n;
	/* No more bytes than the limit: no more characters either (the
	 * common case, a trace id or two); else count them. */
	if (chars > MSTORE_EXEMPLAR_CHARS_MAX)
		for (j = 0, chars = 0; j < n; j++)
			chars += v->name_len[j] + utf8_chars(t + v->value_off[j], v->value_len[j]);
	return chars > MSTORE_EXEMPLAR_CHARS_MAX ? MSTORE_E_EXEMPLAR_LONG : 0;
}

/* Copy the NUL-terminated s after the text so far. */
static int
text_put(struct mstore_exemplar_view *v, const char *s)
{
	size_t room = MSTORE_EXEMPLAR_TEXT_MAX - v->text_len, n;

	if (s == NULL)
		return MSTORE_E_EXEMPLAR;
	n = strnlen(s, room);
	if (n >= room) /* more than 511 bytes are more than 128 characters */
		return MSTORE_E_EXEMPLAR_LONG;
	memcpy(v->text + v->text_len, s, n + 1);
	v->text_len += (uint32_t)n + 1;
	return 0;
}

/* The caller's exemplar for an update of value, checked, as its record
 * will hold it. */
static int
encode(const struct mstore_exemplar *ex, double value, struct mstore_exemplar_view *v)
{
	size_t i;
	int rc;

	if (ex->nlabels > MSTORE_MAX_LABELS ||
	    (ex->nlabels > 0 && (ex->label_names == NULL || ex->label_values == NULL)) ||
	    ex->timestamp_ns < 0 || value != value)
		return MSTORE_E_EXEMPLAR;
	v->text_len = 0;
	for (i = 0; i < ex->nlabels; i++)
		if ((rc = text_put(v, ex->label_names[i])) != 0 ||
		    (rc = text_put(v, ex->label_values[i])) != 0)
			return rc;
	if ((rc = mstore_exemplar_parse(v)) != 0)
		return rc;
	/* Zeros up to the end of the last slot the text fills (it stays
	 * within the buffer: the buffer is whole slots). */
	memset(v->text + v->text_len, 0, (8 - v->text_len % 8) % 8);
	v->value = value;
	v->timestamp_ns = ex->timestamp_ns != 0 ? ex->timestamp_ns : mstore_now_ns();
	return v->timestamp_ns > 0 ? 0 : MSTORE_E_SYS;
}

/* ------------------------------------------------------------- writing */

/* Write v into the record at rec as writer tag (mstore_layout.h): take it
 * from a free value, or drop v when another writer is inside. */
static void
record_write(_Atomic uint64_t *rec, uint64_t tag, const struct mstore_exemplar_view *v)
{
	uint64_t seq = atomic_load_explicit(&rec[MSTORE_EX_SEQ], memory_order_relaxed), w;
	uint32_t tries, k, words = (v->text_len + 7) / 8;

	for (tries = 0;; tries++) {
		if ((seq & MSTORE_SEQ_LOCKED) != 0 || tries == MSTORE_EX_WRITE_TRIES)
			return;
		if (atomic_compare_exchange_weak_explicit(&rec[MSTORE_EX_SEQ], &seq, seq | tag,
		                                          memory_order_acquire,
		                                          memory_order_relaxed))
			break;
	}
	/* No data store below may become visible before the locked seq. */
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&rec[MSTORE_EX_VALUE], double_to_bits(v->value),
	                      memory_order_relaxed);
	atomic_store_explicit(&rec[MSTORE_EX_TIME], (uint64_t)v->timestamp_ns,
	                      memory_order_relaxed);
	atomic_store_explicit(&rec[MSTORE_EX_LEN], v->text_len, memory_order_relaxed);
	for (k = 0; k < words; k++) {
		memcpy(&w, v->text + 8 * k, 8); /* zero-padded by encode() */
		atomic_store_explicit(&rec[MSTORE_EX_TEXT + k], w, memory_order_relaxed);
	}
	atomic_store_explicit(&rec[MSTORE_EX_SEQ], seq + MSTORE_SEQ_ONE, memory_order_release);
}

int
mstore_exemplar_put(struct mstore_series *s, uint32_t i, double value,
                    const struct mstore_exemplar *ex)
{
	/* a native histogram's exemplars are its classic buckets' */
	uint32_t type = s->type & ~(uint32_t)MSTORE_T_NATIVE;
	struct mstore_exemplar_view v;
	uint64_t tag;
	int w, rc;

	if (!s->fam->exemplars || i >= mstore_exemplar_records(type, s->nbounds))
		return mstore_fail(MSTORE_E_NO_EXEMPLARS);
	if ((rc = encode(ex, value, &v)) != 0)
		return mstore_fail(rc);
	tag = atomic_load_explicit(&s->st->seq_tag, memory_order_relaxed);
	if (tag == 0) { /* a forked child without a writer slot yet */
		if ((w = mstore_identity(s->st)) < 0)
			return mstore_fail(w);
		tag = atomic_load_explicit(&s->st->seq_tag, memory_order_relaxed);
	}
	/* the update was made; its series removed since (a range reused by
	 * another series gets no exemplar of this one) */
	if (mstore_series_gone(s))
		return mstore_fail(MSTORE_E_REMOVED);
	record_write(s->v + mstore_exemplar_off(type, s->nbounds, s->fam->native.nbuckets, i), tag,
	             &v);
	return 0;
}

/* ------------------------------------------------------------- reading */

int
mstore_exemplar_read(const _Atomic uint64_t *rec, struct mstore_exemplar_view *out)
{
	uint32_t tries, k, words;
	uint64_t s1, s2, len, w;
	int64_t ts;

	for (tries = 0; tries < MSTORE_EX_READ_TRIES; tries++) {
		if (tries >= MSTORE_SNAPSHOT_SPINS)
			(void)sched_yield();
		s1 = atomic_load_explicit(&rec[MSTORE_EX_SEQ], memory_order_acquire);
		if (s1 == 0)
			return 0; /* never written */
		if (s1 & MSTORE_SEQ_LOCKED)
			continue;
		out->value = bits_to_double(
		        atomic_load_explicit(&rec[MSTORE_EX_VALUE], memory_order_relaxed));
		ts = (int64_t)atomic_load_explicit(&rec[MSTORE_EX_TIME], memory_order_relaxed);
		len = atomic_load_explicit(&rec[MSTORE_EX_LEN], memory_order_relaxed);
		words = len <= MSTORE_EXEMPLAR_TEXT_MAX ? (uint32_t)(len + 7) / 8 : TEXT_SLOTS;
		for (k = 0; k < words; k++) {
			w = atomic_load_explicit(&rec[MSTORE_EX_TEXT + k], memory_order_relaxed);
			memcpy(out->text + 8 * k, &w, 8);
		}
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&rec[MSTORE_EX_SEQ], memory_order_relaxed);
		if (s1 != s2)
			continue;
		/* A stable copy: a correct writer's, or a corrupt record. */
		if (ts == 0)
			return 0; /* emptied after its writer died inside */
		if (ts < 0 || len > MSTORE_EXEMPLAR_TEXT_MAX)
			return MSTORE_E_CORRUPT;
		out->timestamp_ns = ts;
		out->text_len = (uint32_t)len;
		return mstore_exemplar_parse(out) == 0 ? 1 : MSTORE_E_CORRUPT;
	}
	return 0; /* kept busy through every try: none this time */
}

/* ------------------------------------------------------------ cleanup */

uint32_t
mstore_exemplar_sweep(_Atomic uint64_t *rec, uint32_t n, uint32_t w)
{
	uint32_t i, emptied = 0;
	uint64_t seq;

	for (i = 0; i < n; i++, rec += MSTORE_EX_SLOTS) {
		seq = atomic_load_explicit(&rec[MSTORE_EX_SEQ], memory_order_acquire);
		if (!(seq & MSTORE_SEQ_LOCKED) ||
		    ((seq >> MSTORE_SEQ_OWNER_SHIFT) & MSTORE_SEQ_OWNER_MASK) != w)
			continue;
		atomic_store_explicit(&rec[MSTORE_EX_TIME], 0, memory_order_relaxed);
		atomic_store_explicit(&rec[MSTORE_EX_SEQ], (seq & ~SEQ_HELD) + MSTORE_SEQ_ONE,
		                      memory_order_release);
		emptied++;
	}
	return emptied;
}
