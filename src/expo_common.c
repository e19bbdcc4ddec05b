/* SPDX-License-Identifier: MIT */
/*
 * expo_common.c - the parts of rendering every format shares: the
 * responder's own families (names, help texts, values) and the sanity
 * checks on the reader's views and snapshots.  See expo_common.h.
 */
#include "config.h"

#include "expo_common.h"

#include "fmtnum.h"

#include <string.h>

#define STR_LEN(s) (sizeof(s) - 1)

#define OWN_UP      EXPO_OWN_PREFIX "writer_up"
#define OWN_AGE     EXPO_OWN_PREFIX "store_age_seconds"
#define OWN_BUILD   EXPO_OWN_PREFIX "build_info"
#define OWN_SCRAPES EXPO_OWN_PREFIX "scrapes_total"
#define OWN_ERRORS  EXPO_OWN_PREFIX "scrape_errors_total"
#define OWN_WRITERS EXPO_OWN_PREFIX "writers"
#define OWN_SLOTS   EXPO_OWN_PREFIX "writer_slots"
#define OWN_RECOVER EXPO_OWN_PREFIX "writer_recoveries_total"
#define OWN_USED    EXPO_OWN_PREFIX "store_used"
#define OWN_CAP     EXPO_OWN_PREFIX "store_capacity"
#define OWN_REFUSED EXPO_OWN_PREFIX "registrations_refused_total"

#define HELP_UP                                                                \
	"Whether the store's writer is alive: 1 if its heartbeat is fresh or " \
	"the store is static, 0 if it is stale or the store is missing or invalid."
#define HELP_AGE "Seconds since the store's writer last stamped its heartbeat."
#define HELP_BUILD                                                         \
	"Version of the metrics responder and the store format it reads; " \
	"always 1."
#define HELP_SCRAPES "Requests for metrics served by this responder process."
#define HELP_ERRORS                                               \
	"Requests for metrics that failed because the store was " \
	"missing, invalid or kept changing."

#define HELP_WRITERS                                                            \
	"Writer processes holding a slot of the store: live (heartbeat fresh) " \
	"or stale (stopped heartbeating: dead and not yet cleaned up, or hung)."
#define HELP_SLOTS "Writer slots of the store: how many processes may write it at once."
#define HELP_RECOVER                                                           \
	"What writers recovered after writer processes died, by kind: slots "  \
	"cleaned up, histograms and counter shards taken back, registrations " \
	"finished or undone, exemplar records emptied, removals finished."

#define HELP_USED                                                                \
	"How much of the store is in use, by resource: families, series, value " \
	"slots, string bytes (a removed series' room counts until the store "    \
	"reuses it, a few seconds later)."
#define HELP_CAP                                                                \
	"What the store can hold, by resource: families, series, value slots, " \
	"string bytes (fixed when it was created)."
#define HELP_REFUSED                                                           \
	"Registrations of families and series the store refused, by reason: "  \
	"store_full (no room left), family_limit (the family had its maximum " \
	"number of series: refused, or counted in its overflow series)."

#define FORMAT_LABEL_MAX 12 /* a uint32_t in decimal, with room to spare */
/* The most series an own family with one label has. */
#define OWN_SERIES_MAX 8
_Static_assert(MSTORE_RECOVERY_KINDS <= OWN_SERIES_MAX && EXPO_RESOURCES <= OWN_SERIES_MAX &&
                       MSTORE_REFUSAL_KINDS <= OWN_SERIES_MAX,
               "own_labelled's room holds every labelled own family");

const char *
expo_resource_name(enum expo_resource r)
{
#define RESOURCE_NAME(name, label) [name] = label,
	static const char *const names[] = { EXPO_RESOURCE_MAP(RESOURCE_NAME) };
#undef RESOURCE_NAME

	return (unsigned)r < EXPO_RESOURCES ? names[r] : NULL;
}

static int
own_name(const struct mstore_family_view *v)
{
	return v->name_len >= STR_LEN(EXPO_OWN_PREFIX) &&
	       memcmp(v->name, EXPO_OWN_PREFIX, STR_LEN(EXPO_OWN_PREFIX)) == 0;
}

int
expo_each_family(const struct mstore_reader *r, expo_family_fn *fn, void *ctx)
{
	uint32_t i, n = mstore_reader_family_count(r);
	struct mstore_family_view v;

	for (i = 0; i < n; i++) {
		int rc = mstore_reader_family(r, i, &v);

		if (rc == 0 && !own_name(&v))
			rc = fn(ctx, &v);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void
own_view(struct mstore_family_view *v, enum mstore_type type, const char *name, const char *help,
         const char *unit)
{
	memset(v, 0, sizeof *v);
	v->type = type;
	v->name = name;
	v->name_len = (uint32_t)strlen(name);
	v->help = help;
	v->help_len = (uint32_t)strlen(help);
	v->unit = unit;
	v->unit_len = unit == NULL ? 0 : (uint32_t)strlen(unit);
}

static void
own_build_info(const struct expo_own *own, expo_own_fn *fn, void *ctx)
{
	static const char *const names[] = { "version", "store_format" };
	static const double one = 1;
	struct mstore_family_view v;
	struct mstore_series_view s;
	const char *version = own->version != NULL ? own->version : PACKAGE_VERSION;
	char format[FORMAT_LABEL_MAX];

	own_view(&v, MSTORE_GAUGE, OWN_BUILD, HELP_BUILD, NULL);
	v.nlabels = 2;
	v.label_name[0] = names[0];
	v.label_name_len[0] = (uint32_t)strlen(names[0]);
	v.label_name[1] = names[1];
	v.label_name_len[1] = (uint32_t)strlen(names[1]);
	memset(&s, 0, sizeof s);
	s.label_value[0] = version;
	s.label_value_len[0] = (uint32_t)strlen(version);
	s.label_value[1] = format;
	s.label_value_len[1] = (uint32_t)fmt_u64(format, own->store_format);
	fn(ctx, &v, &s, &one, 1);
}

/* A family of n series that differ in their one label, name: values[i]. */
static void
own_labelled(struct mstore_family_view *v, const char *name, const char *const *values,
             const double *x, size_t n, expo_own_fn *fn, void *ctx)
{
	struct mstore_series_view s[OWN_SERIES_MAX];
	size_t i;

	v->nlabels = 1;
	v->label_name[0] = name;
	v->label_name_len[0] = (uint32_t)strlen(name);
	memset(s, 0, sizeof s);
	for (i = 0; i < n; i++) {
		s[i].label_value[0] = values[i];
		s[i].label_value_len[0] = (uint32_t)strlen(values[i]);
	}
	fn(ctx, v, s, x, n);
}

/* The store's writers: live and stale, slots, recoveries by kind. */
static void
own_writers(const struct expo_own *own, expo_own_fn *fn, void *ctx)
{
	static const char *const states[] = { "live", "stale" };
	const char *kinds[MSTORE_RECOVERY_KINDS];
	double x[OWN_SERIES_MAX];
	struct mstore_family_view v;
	struct mstore_series_view none;
	size_t k;

	own_view(&v, MSTORE_GAUGE, OWN_WRITERS, HELP_WRITERS, NULL);
	x[0] = own->writers_live;
	x[1] = own->writers_stale;
	own_labelled(&v, "state", states, x, 2, fn, ctx);
	memset(&none, 0, sizeof none);
	own_view(&v, MSTORE_GAUGE, OWN_SLOTS, HELP_SLOTS, NULL);
	x[0] = own->writers_max;
	fn(ctx, &v, &none, x, 1);
	own_view(&v, MSTORE_COUNTER, OWN_RECOVER, HELP_RECOVER, NULL);
	for (k = 0; k < MSTORE_RECOVERY_KINDS; k++) {
		kinds[k] = mstore_recovery_name((enum mstore_recovery)k);
		x[k] = (double)own->recoveries[k];
	}
	own_labelled(&v, "kind", kinds, x, MSTORE_RECOVERY_KINDS, fn, ctx);
}

/* How full the store is: used and capacity by resource, refusals. */
static void
own_usage(const struct expo_own *own, expo_own_fn *fn, void *ctx)
{
	const char *res[EXPO_RESOURCES], *why[MSTORE_REFUSAL_KINDS];
	double x[OWN_SERIES_MAX];
	struct mstore_family_view v;
	size_t k;

	for (k = 0; k < EXPO_RESOURCES; k++) {
		res[k] = expo_resource_name((enum expo_resource)k);
		x[k] = (double)own->used[k];
	}
	own_view(&v, MSTORE_GAUGE, OWN_USED, HELP_USED, NULL);
	own_labelled(&v, "resource", res, x, EXPO_RESOURCES, fn, ctx);
	for (k = 0; k < EXPO_RESOURCES; k++)
		x[k] = (double)own->capacity[k];
	own_view(&v, MSTORE_GAUGE, OWN_CAP, HELP_CAP, NULL);
	own_labelled(&v, "resource", res, x, EXPO_RESOURCES, fn, ctx);
	for (k = 0; k < MSTORE_REFUSAL_KINDS; k++) {
		why[k] = mstore_refusal_name((enum mstore_refusal)k);
		x[k] = (double)own->refused[k];
	}
	own_view(&v, MSTORE_COUNTER, OWN_REFUSED, HELP_REFUSED, NULL);
	own_labelled(&v, "reason", why, x, MSTORE_REFUSAL_KINDS, fn, ctx);
}

void
expo_own_each(const struct expo_own *own, expo_own_fn *fn, void *ctx)
{
	struct mstore_family_view v;
	struct mstore_series_view none;
	double x;

	memset(&none, 0, sizeof none);
	own_view(&v, MSTORE_GAUGE, OWN_UP, HELP_UP, NULL);
	x = own->writer_up ? 1 : 0;
	fn(ctx, &v, &none, &x, 1);
	if (own->have_store_age) {
		own_view(&v, MSTORE_GAUGE, OWN_AGE, HELP_AGE, "seconds");
		fn(ctx, &v, &none, &own->store_age_seconds, 1);
	}
	own_build_info(own, fn, ctx);
	own_view(&v, MSTORE_COUNTER, OWN_SCRAPES, HELP_SCRAPES, NULL);
	x = (double)own->scrapes;
	fn(ctx, &v, &none, &x, 1);
	own_view(&v, MSTORE_COUNTER, OWN_ERRORS, HELP_ERRORS, NULL);
	x = (double)own->scrape_errors;
	fn(ctx, &v, &none, &x, 1);
	if (own->have_writers)
		own_writers(own, fn, ctx);
	if (own->have_usage)
		own_usage(own, fn, ctx);
}

int
expo_sink_room(struct expo_sink *k, size_t len, size_t need)
{
	int rc;

	k->len = len;
	rc = k->flush(k, need + need / 8);
	if (rc < 0)
		return rc;
	if (k->buf == NULL || k->len > k->cap || k->cap - k->len < need)
		return EXPO_E_INVAL; /* the sink broke its promise */
	return 0;
}

int
expo_view_ok(const struct mstore_family_view *v)
{
	uint32_t j;

	if (v->type != MSTORE_COUNTER && v->type != MSTORE_GAUGE && v->type != MSTORE_HISTOGRAM)
		return 0;
	if (v->name_len == 0 || v->name_len > MSTORE_NAME_MAX || v->nlabels > MSTORE_MAX_LABELS ||
	    v->nbounds > MSTORE_MAX_BUCKETS)
		return 0;
	for (j = 0; j < v->nlabels; j++)
		if (v->label_name_len[j] == 0 || v->label_name_len[j] > MSTORE_NAME_MAX)
			return 0;
	/* exemplars: on shared counters and histograms only (OpenMetrics puts
	 * them on _total and _bucket samples) */
	return !v->exemplars || (v->type != MSTORE_GAUGE && v->per_writer == MSTORE_SHARED);
}

/*
 * An exemplar goes with a reading only when the reading counts something
 * in its record: a counter above 0, a bucket (not cumulative) holding an
 * observation.  A writer keeps its exemplar after its update, so the
 * exemplar a renderer reads after the snapshot may be newer than the
 * snapshot; beside a count that includes an observation of its bucket it
 * is still an example of what the count holds, beside an empty bucket it
 * would not be.
 */
int
expo_exemplar(const struct mstore_reader *r, const struct mstore_family_view *f,
              const struct mstore_series_view *s, const struct mstore_snapshot *snap, uint32_t i,
              struct mstore_exemplar_view *ev)
{
	int counted = f->type == MSTORE_COUNTER
	                      ? snap->value > 0
	                      : snap->bucket[i] > (i > 0 ? snap->bucket[i - 1] : 0);

	if (!f->exemplars || !counted)
		return 0;
	return mstore_reader_exemplar(r, f, s, i, ev);
}

int
expo_snapshot_sane(const struct mstore_snapshot *snap, uint32_t nb)
{
	uint32_t i;

	for (i = 1; i <= nb; i++)
		if (snap->bucket[i] < snap->bucket[i - 1])
			return 0;
	return snap->bucket[nb] == snap->count;
}
