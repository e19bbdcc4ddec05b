/* SPDX-License-Identifier: MIT */
/*
 * mstore_names.c - which metric and label names the library accepts, and
 * which two families clash.  The writer applies these rules at
 * registration and the reader again to every family it reads, so that no
 * set of families in a store renders to a body that promtool check metrics
 * (Prometheus 2.42) or a strict OpenMetrics parser rejects.  mstore(3),
 * NAMING RULES, lists them for users; the names each type occupies are
 * mstore_names.h.
 *
 * Beyond Prometheus' syntax, the rules are those of promtool's linter
 * (util/promlint in Prometheus 2.42), which fails `promtool check metrics`
 * on any of them: no ':' in metric names, no camelCase, "_total" on
 * counters and only there, no histogram sample suffix on another type, no
 * type in the name, base units only, no abbreviated units, and the labels
 * "le" and "quantile" only where histograms and summaries put them (the
 * library writes both itself, so it reserves them).  Where promlint reports
 * a name only sometimes (it stops at the first unit it meets, in a random
 * order), the rule here refuses it always.
 */
#include "config.h"

#include <string.h>

#include "mstore_layout.h"
#include "mstore_names.h"

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* A word of the tables below, with its length. */
struct word {
	const char *s;
	size_t len;
	int base; /* unit_words: promlint takes it as a base unit */
};
#define WORD(s)                     \
	{                           \
		s, sizeof(s) - 1, 0 \
	}
#define BASE_UNIT(s)                \
	{                           \
		s, sizeof(s) - 1, 1 \
	}

/* Words promlint reads as units (a whole "_"-separated part of the name,
 * case as written). */
static const struct word unit_words[] = {
	BASE_UNIT("amperes"), BASE_UNIT("bytes"),  BASE_UNIT("candela"), BASE_UNIT("grams"),
	BASE_UNIT("celsius"), BASE_UNIT("kelvin"), BASE_UNIT("kelvins"), BASE_UNIT("meters"),
	BASE_UNIT("metres"),  BASE_UNIT("moles"),  BASE_UNIT("seconds"), BASE_UNIT("joules"),
	WORD("minutes"),      WORD("hours"),       WORD("days"),         WORD("fahrenheit"),
	WORD("rankine"),      WORD("inches"),      WORD("yards"),        WORD("miles"),
	WORD("bits"),         WORD("calories"),    WORD("pounds"),       WORD("ounces"),
};

/* A unit word after one of these is never a base unit ("milliseconds",
 * "kilobytes"; "mibi" as promlint spells it). */
static const struct word unit_prefixes[] = {
	WORD("pico"), WORD("nano"),  WORD("micro"), WORD("milli"), WORD("centi"), WORD("deci"),
	WORD("deca"), WORD("hecto"), WORD("kilo"),  WORD("kibi"),  WORD("mega"),  WORD("mibi"),
	WORD("giga"), WORD("gibi"),  WORD("tera"),  WORD("tebi"),  WORD("peta"),  WORD("pebi"),
};

/* Abbreviated units, refused as a part of the name after its first (any
 * case: "_ms", "_MS"). */
static const struct word unit_abbrevs[] = {
	WORD("s"),  WORD("ms"), WORD("us"), WORD("ns"), WORD("sec"), WORD("b"), WORD("kb"),
	WORD("mb"), WORD("gb"), WORD("tb"), WORD("pb"), WORD("m"),   WORD("h"), WORD("d"),
};

/* Type names, refused like abbreviations (promlint's "gauge_histogram"
 * always contains "_gauge"). */
static const struct word type_words[] = { WORD("counter"), WORD("gauge"), WORD("histogram"),
	                                  WORD("summary") };

/* Label names the renderers write themselves: a histogram's bucket bound,
 * a summary's quantile (promlint wants neither on any other type). */
static const struct word reserved_labels[] = { WORD("le"), WORD("quantile") };

/* A histogram's sample suffixes, which no other type's name may end in. */
static const char *const hist_sample_suffixes[] = { MSTORE_BUCKET_SUFFIX, MSTORE_COUNT_SUFFIX,
	                                            MSTORE_SUM_SUFFIX };

/* ---------------------------------------------------------------- syntax */

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

/* 1 if s[0..len) is non-empty and made of [a-zA-Z_], digits (not first
 * unless digit_first) and the character extra (0: none). */
static int
valid_word(const char *s, size_t len, char extra, int digit_first)
{
	size_t i;

	if (s == NULL || len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(is_alpha_(c) || (extra != 0 && c == (unsigned char)extra) ||
		      ((i > 0 || digit_first) && is_digit(c))))
			return 0;
	}
	return 1;
}

int
mstore_valid_metric_name(const char *s, size_t len)
{
	return valid_word(s, len, ':', 0);
}

int
mstore_valid_label_name(const char *s, size_t len)
{
	return valid_word(s, len, 0, 0);
}

int
mstore_valid_unit(const char *s, size_t len)
{
	return valid_word(s, len, 0, 1);
}

/* name ends in "_" unit, after dropping a counter's "_total". */
int
mstore_unit_suffix_ok(uint32_t type, const char *name, size_t name_len, const char *unit,
                      size_t unit_len)
{
	size_t n = mstore_name_base_len(type, name, name_len);

	if (n < unit_len + 1)
		return 0;
	return name[n - unit_len - 1] == '_' && memcmp(name + n - unit_len, unit, unit_len) == 0;
}

/* ----------------------------------------------------------------- words */

/* 1 if w[0..n) is one of the count words in list (ASCII case ignored
 * when nocase; the list is lower case). */
static int
word_in(const char *w, size_t n, const struct word *list, size_t count, int nocase)
{
	size_t i, k;

	for (i = 0; i < count; i++) {
		if (list[i].len != n)
			continue;
		for (k = 0; k < n; k++) {
			unsigned char c = (unsigned char)w[k];

			if (nocase && c >= 'A' && c <= 'Z')
				c = (unsigned char)(c + ('a' - 'A'));
			if (c != (unsigned char)list[i].s[k])
				break;
		}
		if (k == n)
			return 1;
	}
	return 0;
}

/* 1 if w[0..n) is a unit promlint wants as another one: a non-base unit
 * word, or any unit word after a prefix. */
static int
word_non_base_unit(const char *w, size_t n)
{
	size_t i;

	for (i = 0; i < COUNT_OF(unit_words); i++) {
		const struct word *u = &unit_words[i];

		/* (the last byte first: it rules out nearly every word) */
		if (n < u->len || w[n - 1] != u->s[u->len - 1] ||
		    memcmp(w + n - u->len, u->s, u->len) != 0)
			continue;
		if (n == u->len)
			return !u->base;
		if (word_in(w, n - u->len, unit_prefixes, COUNT_OF(unit_prefixes), 0))
			return 1;
	}
	return 0;
}

/* 1 if s[0..len) has a lower-case letter followed by an upper-case one. */
static int
camel_case(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++)
		if (s[i] >= 'a' && s[i] <= 'z' && s[i + 1] >= 'A' && s[i + 1] <= 'Z')
			return 1;
	return 0;
}

static int
ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* The suffix rules: "_total" on counters and only there, no histogram
 * sample suffix on another type (a type exposed as a histogram, issue
 * 16's native histograms, is on the histogram's side here too). */
static int
check_suffix(uint32_t type, const char *s, size_t len)
{
	size_t i;

	if (type == MSTORE_COUNTER)
		return mstore_name_has_total(s, len) ? 0 : MSTORE_E_COUNTER_TOTAL;
	if (ends_with(s, len, MSTORE_TOTAL_SUFFIX))
		return MSTORE_E_SUFFIX;
	if (type != MSTORE_HISTOGRAM)
		for (i = 0; i < COUNT_OF(hist_sample_suffixes); i++)
			if (ends_with(s, len, hist_sample_suffixes[i]))
				return MSTORE_E_SUFFIX;
	return 0;
}

/* The rules on the "_"-separated words of the name: no type, base units,
 * no abbreviations.  The first word is checked for units only, as promlint
 * does ("s_x" passes, "x_s" does not). */
static int
check_words(const char *s, size_t len)
{
	int type = 0, unit = 0, abbrev = 0;
	size_t i = 0;

	while (i <= len) {
		size_t j = i;

		while (j < len && s[j] != '_')
			j++;
		if (i > 0) {
			type |= word_in(s + i, j - i, type_words, COUNT_OF(type_words), 1);
			abbrev |= word_in(s + i, j - i, unit_abbrevs, COUNT_OF(unit_abbrevs), 1);
		}
		unit |= word_non_base_unit(s + i, j - i);
		i = j + 1;
	}
	return type     ? MSTORE_E_NAME_TYPE
	       : unit   ? MSTORE_E_BASE_UNIT
	       : abbrev ? MSTORE_E_UNIT_ABBREV
	                : 0;
}

/* ----------------------------------------------------------------- rules */

int
mstore_name_check(uint32_t type, const char *s, size_t len)
{
	int rc;

	if (len > MSTORE_NAME_MAX)
		return MSTORE_E_TOO_LONG;
	if (!mstore_valid_label_name(s, len)) /* a metric name without ':' */
		return MSTORE_E_NAME;
	if (mstore_name_reserved(s, len))
		return MSTORE_E_RESERVED;
	if (camel_case(s, len))
		return MSTORE_E_NAME_CASE;
	if ((rc = check_suffix(type, s, len)) != 0)
		return rc;
	return check_words(s, len);
}

int
mstore_label_check(const char *s, size_t len)
{
	if (len > MSTORE_NAME_MAX)
		return MSTORE_E_TOO_LONG;
	if (!mstore_valid_label_name(s, len))
		return MSTORE_E_LABEL_NAME;
	if (mstore_name_reserved(s, len))
		return MSTORE_E_RESERVED;
	if (word_in(s, len, reserved_labels, COUNT_OF(reserved_labels), 0))
		return MSTORE_E_RESERVED;
	return camel_case(s, len) ? MSTORE_E_NAME_CASE : 0;
}

/* --------------------------------------------------------------- clashes */

int
mstore_names_clash(uint32_t ta, const char *a, size_t alen, uint32_t tb, const char *b, size_t blen)
{
	const char *const *sa, *const *sb;
	size_t na = mstore_name_occupied(ta, &sa), nb = mstore_name_occupied(tb, &sb);
	size_t ab = mstore_name_base_len(ta, a, alen), bb = mstore_name_base_len(tb, b, blen);
	size_t i, j, rest;

	if (ab > bb) /* a: the family with the shorter base name */
		return mstore_names_clash(tb, b, blen, ta, a, alen);
	/* Every name a family occupies starts with its base name, so two
	 * families can share one only if a's base starts b's. */
	if (memcmp(a, b, ab) != 0)
		return 0;
	/* a's base + sa[i] == b's base + sb[j]: sa[i] is the rest of b's
	 * base followed by sb[j]. */
	rest = bb - ab;
	for (i = 0; i < na; i++) {
		size_t li = strlen(sa[i]);

		if (li < rest || memcmp(sa[i], b + ab, rest) != 0)
			continue;
		for (j = 0; j < nb; j++)
			if (strcmp(sa[i] + rest, sb[j]) == 0)
				return 1;
	}
	return 0;
}
