/* SPDX-License-Identifier: MIT */
/*
 * mstore_names.h - the naming rules that the writer, the reader and the
 * renderer must agree on, written once: the reserved "__" prefix and a
 * counter's "_total" suffix.  Internal: included by the library and by
 * the renderer, never installed.
 */
#ifndef MSTORE_NAMES_H
#define MSTORE_NAMES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mstore.h"

/* The suffix of a counter's samples (OpenMetrics: the family name is the
 * name without it). */
#define MSTORE_TOTAL_SUFFIX     "_total"
#define MSTORE_TOTAL_SUFFIX_LEN (sizeof(MSTORE_TOTAL_SUFFIX) - 1)

/* 1 if s[0..len) starts with "__", which Prometheus reserves for its own
 * metric and label names. */
static inline int
mstore_name_reserved(const char *s, size_t len)
{
	return len >= 2 && s[0] == '_' && s[1] == '_';
}

/* 1 if s[0..len) ends in "_total" (and has something before it). */
static inline int
mstore_name_has_total(const char *s, size_t len)
{
	return len > MSTORE_TOTAL_SUFFIX_LEN &&
	       memcmp(s + len - MSTORE_TOTAL_SUFFIX_LEN, MSTORE_TOTAL_SUFFIX,
	              MSTORE_TOTAL_SUFFIX_LEN) == 0;
}

/* Length of the family name of a metric registered as s[0..len) with type
 * type: a counter's name without its "_total", else the whole name. */
static inline size_t
mstore_name_base_len(uint32_t type, const char *s, size_t len)
{
	if (type == MSTORE_COUNTER && mstore_name_has_total(s, len))
		return len - MSTORE_TOTAL_SUFFIX_LEN;
	return len;
}

#endif /* MSTORE_NAMES_H */
