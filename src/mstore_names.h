/* SPDX-License-Identifier: MIT */
/*
 * mstore_names.h - the naming rules that the writer, the reader and the
 * renderers must agree on, written once: the reserved "__" prefix, a
 * counter's "_total" suffix, the names each type of family occupies in the
 * exposition formats (what two families may not share), and the help text
 * written for a family registered without one.  The rules a name must
 * follow (promtool's lint among them) are mstore_names.c, declared in
 * mstore_layout.h.  Internal: included by the library and by the
 * renderers, never installed.
 */
#ifndef MSTORE_NAMES_H
#define MSTORE_NAMES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mstore.h"

/* The suffix a counter's name must end in.  Its samples carry the name as
 * registered in every format; the OpenMetrics family name (# TYPE, # HELP,
 * # UNIT) is the name without it. */
#define MSTORE_TOTAL_SUFFIX     "_total"
#define MSTORE_TOTAL_SUFFIX_LEN (sizeof(MSTORE_TOTAL_SUFFIX) - 1)

/* A histogram's sample suffixes, and the one OpenMetrics reserves for the
 * creation time of counters and histograms. */
#define MSTORE_BUCKET_SUFFIX  "_bucket"
#define MSTORE_COUNT_SUFFIX   "_count"
#define MSTORE_SUM_SUFFIX     "_sum"
#define MSTORE_CREATED_SUFFIX "_created"

/* Most names a family occupies (mstore_name_occupied). */
#define MSTORE_OCCUPIED_MAX 5

/*
 * The help text written for a family registered without one.  promtool
 * check metrics wants a "# HELP" line with text for every family (it reads
 * "# HELP name" with nothing after it as no help at all), so every renderer
 * writes this in its place, in every format alike.
 */
#define MSTORE_HELP_NONE "(no help text registered)"

/* 1 if s[0..len) starts with "__", which Prometheus reserves for its own
 * metric and label names. */
static inline int
mstore_name_reserved(const char *s, size_t len)
{
	return len >= 2 && s[0] == '_' && s[1] == '_';
}

/* 1 if s[0..len) ends in "_total" and has something before it. */
static inline int
mstore_name_has_total(const char *s, size_t len)
{
	return len > MSTORE_TOTAL_SUFFIX_LEN &&
	       memcmp(s + len - MSTORE_TOTAL_SUFFIX_LEN, MSTORE_TOTAL_SUFFIX,
	              MSTORE_TOTAL_SUFFIX_LEN) == 0;
}

/* Length of the family name of a metric registered as s[0..len) with type
 * type (its OpenMetrics family name): a counter's name without its
 * "_total", else the whole name. */
static inline size_t
mstore_name_base_len(uint32_t type, const char *s, size_t len)
{
	if (type == MSTORE_COUNTER && mstore_name_has_total(s, len))
		return len - MSTORE_TOTAL_SUFFIX_LEN;
	return len;
}

/*
 * The names a family of type type occupies: its base name
 * (mstore_name_base_len) followed by each suffix in *suffixes; returns
 * their number (0 for an unknown type).  These are the names of its
 * metadata and samples in text 0.0.4, OpenMetrics and protobuf, plus the
 * ones OpenMetrics reserves for the type although the renderers write
 * none ("_created" of counters and histograms): a strict OpenMetrics parser
 * rejects two families that share one of them.  Two families clash, and
 * the library refuses the second, when their sets meet (mstore_names.c).
 *
 * A new type adds a case with its own set; a type exposed under another's
 * names takes that type's set (a native histogram, issue 16, is also
 * exposed as a classic histogram: the histogram's set).  A new sample
 * suffix also goes into mstore_name_check()'s rule against names that end
 * in another type's suffix.
 */
static inline size_t
mstore_name_occupied(uint32_t type, const char *const **suffixes)
{
	static const char *const counter[] = { "", MSTORE_TOTAL_SUFFIX, MSTORE_CREATED_SUFFIX };
	static const char *const gauge[] = { "" };
	static const char *const histogram[] = { "", MSTORE_BUCKET_SUFFIX, MSTORE_COUNT_SUFFIX,
		                                 MSTORE_SUM_SUFFIX, MSTORE_CREATED_SUFFIX };

	switch (type) {
	case MSTORE_COUNTER:
		*suffixes = counter;
		return sizeof(counter) / sizeof(counter[0]);
	case MSTORE_GAUGE:
		*suffixes = gauge;
		return sizeof(gauge) / sizeof(gauge[0]);
	case MSTORE_HISTOGRAM:
		*suffixes = histogram;
		return sizeof(histogram) / sizeof(histogram[0]);
	default:
		*suffixes = NULL;
		return 0;
	}
}

/* 1 if help text s[0..len) is empty or only blanks (spaces, tabs): text
 * parsers read "# HELP name   " as no help, so renderers write
 * MSTORE_HELP_NONE instead. */
static inline int
mstore_help_blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

#endif /* MSTORE_NAMES_H */
