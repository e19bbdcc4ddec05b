/* SPDX-License-Identifier: MIT */
/*
 * mstore_common.c - what writer and reader share: error messages and errno
 * mapping, name/unit/UTF-8 validation (the writer enforces these rules at
 * registration, the reader enforces them again on every record it reads).
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "mstore_layout.h"

#define ASCII_WORD_MASK UINT64_C(0x8080808080808080)
#define ONES_WORD       UINT64_C(0x0101010101010101)
#define UTF8_CONT_MIN   0x80u
#define UTF8_CONT_MAX   0xbfu

struct error_desc {
	int code;
	int err; /* errno; 0: keep the one the system call set */
	const char *msg;
};

static const struct error_desc error_table[] = {
	{ MSTORE_OK, 0, "success" },
	{ MSTORE_E_SYS, 0, "system call failed (see errno)" },
	{ MSTORE_E_INVAL, EINVAL, "invalid argument" },
	{ MSTORE_E_NAME, EINVAL, "invalid metric name" },
	{ MSTORE_E_LABEL_NAME, EINVAL, "invalid label name" },
	{ MSTORE_E_RESERVED, EINVAL, "reserved name (\"__\" prefix, or \"le\" on a histogram)" },
	{ MSTORE_E_DUPLICATE, EEXIST, "name already registered" },
	{ MSTORE_E_TOO_LONG, ENAMETOOLONG, "string too long" },
	{ MSTORE_E_TOO_MANY, E2BIG, "too many labels or buckets" },
	{ MSTORE_E_BUCKETS, EINVAL, "bucket bounds not finite and strictly increasing" },
	{ MSTORE_E_LABEL_VALUE, EINVAL, "label value not valid UTF-8, or wrong number of values" },
	{ MSTORE_E_NO_FAMILY_SPACE, ENOSPC, "store full: no family space" },
	{ MSTORE_E_NO_SERIES_SPACE, ENOSPC, "store full: no series space" },
	{ MSTORE_E_NO_STRING_SPACE, ENOSPC, "store full: no string space" },
	{ MSTORE_E_NO_VALUE_SPACE, ENOSPC, "store full: no value slots" },
	{ MSTORE_E_NEGATIVE, EDOM, "counter cannot decrease (negative or NaN increment)" },
	{ MSTORE_E_TYPE, EINVAL, "operation does not match the metric type" },
	{ MSTORE_E_TRUNCATED, EBADMSG, "store file truncated" },
	{ MSTORE_E_MAGIC, EBADMSG, "not a store file (bad magic)" },
	{ MSTORE_E_VERSION, EBADMSG, "unsupported store format version" },
	{ MSTORE_E_ABI, EBADMSG, "store written with another byte order or ABI" },
	{ MSTORE_E_BOUNDS, EBADMSG, "store offset or size out of bounds" },
	{ MSTORE_E_CORRUPT, EBADMSG, "store content corrupt" },
	{ MSTORE_E_RETRY, EAGAIN, "no consistent snapshot: writer kept changing the series" },
	{ MSTORE_E_UNIT, EINVAL, "invalid unit, or metric name lacks the unit suffix" },
	{ MSTORE_E_NOT_REGULAR, EBADMSG, "not a regular file" },
};

static const struct error_desc *
error_find(int code)
{
	size_t i;

	for (i = 0; i < sizeof(error_table) / sizeof(error_table[0]); i++)
		if (error_table[i].code == code)
			return &error_table[i];
	return NULL;
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

static int
is_alpha_(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

int
mstore_valid_metric_name(const char *s, size_t len)
{
	size_t i;

	if (s == NULL || len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(is_alpha_(c) || c == ':' || (i > 0 && is_digit(c))))
			return 0;
	}
	return 1;
}

int
mstore_valid_label_name(const char *s, size_t len)
{
	size_t i;

	if (s == NULL || len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(is_alpha_(c) || (i > 0 && is_digit(c))))
			return 0;
	}
	return 1;
}

int
mstore_valid_unit(const char *s, size_t len)
{
	size_t i;

	if (s == NULL || len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!(is_alpha_((unsigned char)s[i]) || is_digit((unsigned char)s[i])))
			return 0;
	return 1;
}

static int
ends_with(const char *s, size_t len, const char *suffix, size_t slen)
{
	return len >= slen && memcmp(s + len - slen, suffix, slen) == 0;
}

/* name ends in "_" unit, after dropping a trailing "_total" when counter. */
int
mstore_unit_suffix_ok(uint32_t type, const char *name, size_t name_len, const char *unit,
                      size_t unit_len)
{
	static const char total[] = "_total";
	size_t n = name_len;

	if (type == MSTORE_COUNTER && ends_with(name, n, total, sizeof(total) - 1))
		n -= sizeof(total) - 1;
	if (n < unit_len + 1)
		return 0;
	return name[n - unit_len - 1] == '_' && memcmp(name + n - unit_len, unit, unit_len) == 0;
}

int
mstore_reserved_label(uint32_t type, const char *s, size_t len)
{
	if (len >= 2 && s[0] == '_' && s[1] == '_')
		return 1;
	return type == MSTORE_HISTOGRAM && len == 2 && s[0] == 'l' && s[1] == 'e';
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

static int
utf8_check(const char *s, size_t len, int allow_nul)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	if (len > 0 && s == NULL)
		return 0;
	while (i < len) {
		uint64_t w;
		size_t n;

		/* ASCII fast path, 8 bytes at a time (NULs caught below). */
		if (len - i >= sizeof(w)) {
			memcpy(&w, p + i, sizeof(w));
			if ((w & ASCII_WORD_MASK) == 0 && (allow_nul || !has_zero_byte(w))) {
				i += sizeof(w);
				continue;
			}
		}
		if (p[i] < UTF8_CONT_MIN) {
			if (p[i] == 0 && !allow_nul)
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

int
mstore_valid_utf8(const char *s, size_t len)
{
	return utf8_check(s, len, 1);
}

int
mstore_valid_text(const char *s, size_t len)
{
	return utf8_check(s, len, 0);
}

uint32_t
mstore_value_slots(enum mstore_type type, size_t nbounds)
{
	if (nbounds > MSTORE_MAX_BUCKETS)
		return 0;
	return mstore_slots_for((uint32_t)type, (uint32_t)nbounds);
}

uint64_t
mstore_align_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) & ~(align - 1);
}

int64_t
mstore_now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return -1;
	return (int64_t)ts.tv_sec * MSTORE_NS_PER_SEC + ts.tv_nsec;
}
