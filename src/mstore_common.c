/* SPDX-License-Identifier: MIT */
/*
 * mstore_common.c - what writer and reader share: error messages and errno
 * mapping, UTF-8 and bucket validation (the writer enforces these rules at
 * registration, the reader enforces them again on every record it reads;
 * the naming rules are mstore_names.c).
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "mstore_layout.h"

#define ASCII_WORD_MASK UINT64_C(0x8080808080808080)
#define ONES_WORD       UINT64_C(0x0101010101010101)
#define UTF8_CONT_MIN   0x80u
#define UTF8_CONT_MAX   0xbfu

/* The errno and message of each code, at index -code (MSTORE_ERROR_MAP). */
struct error_desc {
	int err; /* errno; 0: keep the one the system call set */
	const char *msg;
};

#define ERROR_DESC(name, value, errno_value, message) [-(value)] = { errno_value, message },
static const struct error_desc error_table[] = { MSTORE_ERROR_MAP(ERROR_DESC) };
#undef ERROR_DESC

/* Every code has an entry (a duplicate index is a -Woverride-init error),
 * and MSTORE_E_LAST is the last one. */
#define ERROR_ONE(name, value, errno_value, message) +1
_Static_assert(sizeof(error_table) / sizeof(error_table[0]) == 1 - MSTORE_E_LAST &&
                       (0 MSTORE_ERROR_MAP(ERROR_ONE)) == 1 - MSTORE_E_LAST,
               "MSTORE_ERROR_MAP: codes 0 .. MSTORE_E_LAST, each once");
#undef ERROR_ONE

static const struct error_desc *
error_find(int code)
{
	return code <= 0 && code >= MSTORE_E_LAST ? &error_table[-code] : NULL;
}

const char *
mstore_strerror(int code)
{
	const struct error_desc *d = error_find(code);

	return d != NULL ? d->msg : "unknown mstore error";
}

int
mstore_fail(int code)
{
	const struct error_desc *d = error_find(code);

	if (d != NULL && d->err != 0)
		errno = d->err;
	return code;
}

int
mstore_valid_bounds(const double *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!isfinite(b[i]))
			return 0;
		if (i > 0 && !(b[i] > b[i - 1]))
			return 0;
	}
	return 1;
}

/* Length of the multi-byte sequence starting at p[0] (>= 0x80), or 0 if
 * invalid.  Rejects overlongs (C0, C1, E0 80..9F, F0 80..8F), surrogates
 * (ED A0..BF) and code points above U+10FFFF (F4 90.., F5..FF). */
static size_t
utf8_seq(const unsigned char *p, size_t avail)
{
	unsigned char c = p[0], lo = UTF8_CONT_MIN, hi = UTF8_CONT_MAX;
	size_t need, i;

	if (c >= 0xc2 && c <= 0xdf)
		need = 2;
	else if (c >= 0xe0 && c <= 0xef)
		need = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (avail < need || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < need; i++)
		if (p[i] < UTF8_CONT_MIN || p[i] > UTF8_CONT_MAX)
			return 0;
	return need;
}

/* 1 if any byte of w is 0 (exact when no byte has its top bit set). */
static int
has_zero_byte(uint64_t w)
{
	return ((w - ONES_WORD) & ~w & ASCII_WORD_MASK) != 0;
}

int
mstore_valid_text(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	if (len > 0 && s == NULL)
		return 0;
	while (i < len) {
		uint64_t w;
		size_t n;

		/* ASCII without NUL, 8 bytes at a time. */
		if (len - i >= sizeof(w)) {
			memcpy(&w, p + i, sizeof(w));
			if ((w & ASCII_WORD_MASK) == 0 && !has_zero_byte(w)) {
				i += sizeof(w);
				continue;
			}
		}
		if (p[i] < UTF8_CONT_MIN) {
			if (p[i] == 0)
				return 0;
			i++;
			continue;
		}
		n = utf8_seq(p + i, len - i);
		if (n == 0)
			return 0;
		i += n;
	}
	return 1;
}

uint32_t
mstore_value_slots(enum mstore_type type, size_t nbounds)
{
	if (nbounds > MSTORE_MAX_BUCKETS)
		return 0;
	return mstore_slots_for((uint32_t)type, (uint32_t)nbounds, 0);
}

uint32_t
mstore_native_value_slots(size_t nbounds, uint32_t max_buckets)
{
	if (nbounds > MSTORE_MAX_BUCKETS)
		return 0;
	return mstore_slots_for(MSTORE_HISTOGRAM, (uint32_t)nbounds,
	                        max_buckets > 0 ? max_buckets : MSTORE_NATIVE_DEF_BUCKETS);
}

uint32_t
mstore_exemplar_slots(enum mstore_type type, size_t nbounds)
{
	if (nbounds > MSTORE_MAX_BUCKETS)
		return 0;
	return mstore_exemplar_slots_for((uint32_t)type, (uint32_t)nbounds);
}

uint64_t
mstore_align_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) & ~(align - 1);
}
