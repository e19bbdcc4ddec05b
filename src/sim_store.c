/* SPDX-License-Identifier: MIT */
/*
 * sim_store.c - register the simulator's families in the store and publish
 * shop events and shop gauges through series handles; the process metrics
 * are the library's (mstore_process_metrics()).
 * Every series but the campaigns' is created at startup, so Prometheus sees
 * a constant set; a marketing campaign gets its series when it starts and
 * removes them when it ends, as an application does for whatever comes
 * and goes (queues, tenants, upstream hosts): Prometheus then stops
 * showing them, and their room in the store is reused.
 *
 * The traced requests' ids (sim_shop.h) go with the request counter and
 * the latency histogram as exemplars, for Grafana to link a latency spike
 * to its traces.
 *
 * Naming, as an application should do it: base units in the name
 * (_seconds, _euros, _bytes), "_total" on counters, and labels whose values
 * come from a small fixed set.  The request counter is labelled by route
 * template ("/product/:id"), method and status, never by the concrete URL,
 * the user or the order id: each distinct label value is another series in
 * the store and in Prometheus, for as long as Prometheus keeps data.
 */
#include "config.h"

#include "sim_store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/*
 * Capacity: the simulator registers 19 families, 72 fixed series (50
 * counters, 9 gauges, 7 classic histograms: 411 value slots, and 6 native
 * histograms of 665 value slots each, mstore_native_value_slots(0, 0):
 * 4401 in all), exemplar records for the 40 request counters, the 6
 * classic latency histograms of 12 buckets and the 6 native ones, one
 * each on +Inf (118 records of 68 slots: 8024), two counters per running
 * campaign (at most SIM_CAMPAIGNS_MAX at once: 6 series, 36 slots; 12461
 * slots in all), and about 4 KiB of strings (store blocks).  The numbers
 * below leave room (three times the families and series, 2.6 times the
 * slots) to add metrics without touching them.  Campaigns never stop
 * coming, each with a new name: their removed series' room is reused, so
 * the store stays this size however long the simulator runs.
 */
#define SIM_MAX_FAMILIES 64
#define SIM_MAX_SERIES   256
#define SIM_VALUE_SLOTS  32768
#define SIM_STRING_BYTES (64u * 1024u)
/* The native latency histogram's bucket factor: schema 3, buckets 9 %
 * wide, as client_golang's usual NativeHistogramBucketFactor 1.1. */
#define SIM_NATIVE_FACTOR 1.1
/* A campaign family's limit: a bug that forgot to remove ended campaigns'
 * series runs into it, not into the store's capacity. */
#define SIM_CAMPAIGN_SERIES_MAX 8

struct gauge_def {
	const char *name;
	const char *help;
	const char *unit;
};

static const struct gauge_def shop_gauges[SIM_GAUGE_COUNT] = {
	[SIM_GAUGE_CONNECTIONS] = { "shop_active_connections",
	                            "Open client connections (keep-alive and in use).", NULL },
	[SIM_GAUGE_QUEUE] = { "shop_queue_depth", "Requests waiting for a worker.", NULL },
	[SIM_GAUGE_INFLIGHT] = { "shop_inflight_requests", "Requests being processed right now.",
	                         NULL },
	[SIM_GAUGE_CART] = { "shop_cart_items",
	                     "Items sitting in shopping carts (added, bought or abandoned).",
	                     NULL },
};

static const char *const request_labels[] = { "method", "route", "status" };
static const char *const route_label[] = { "route" };
static const char *const outcome_label[] = { "outcome" };
static const char *const kind_label[] = { "kind" };
static const char *const campaign_label[] = { "campaign" };

#define COUNT_OF(a) (sizeof(a) / sizeof(a)[0])

/* Remember which family failed, for the caller's error message. */
static int
failed(struct sim_store *s, const char *name, int rc)
{
	if (rc < 0)
		s->failed = name;
	return rc;
}

/* A family without labels and its only series. */
static int
single(struct sim_store *s, enum mstore_type type, const char *name, const char *help,
       const char *unit, struct mstore_series **out)
{
	struct mstore_family *f;
	int rc;

	if (type == MSTORE_COUNTER)
		rc = mstore_counter_family(s->st, name, help, unit, 0, NULL, &f);
	else
		rc = mstore_gauge_family(s->st, name, help, unit, 0, NULL, &f);
	if (rc == 0)
		rc = mstore_series_get(f, NULL, out);
	return failed(s, name, rc);
}

/* A family with exemplars (the request counter, the latency histogram:
 * the traced requests' ids go with them). */
static int
exemplar_family(struct sim_store *s, enum mstore_type type, const char *name, const char *help,
                const char *unit, size_t nlabels, const char *const *labels,
                struct mstore_family **out)
{
	struct mstore_family_spec spec = { .size = sizeof spec,
		                           .type = type,
		                           .name = name,
		                           .help = help,
		                           .unit = unit,
		                           .nlabels = nlabels,
		                           .label_names = labels,
		                           .exemplars = 1 };

	if (type == MSTORE_HISTOGRAM) {
		spec.nbounds = sim_latency_nbounds;
		spec.bounds = sim_latency_bounds;
	}
	return mstore_family_register(s->st, &spec, out);
}

static int
register_requests(struct sim_store *s)
{
	static const char name[] = "shop_http_requests_total";
	struct mstore_family *f;
	int rc = exemplar_family(s, MSTORE_COUNTER, name,
	                         "HTTP requests served, by method, route template and status code.",
	                         NULL, COUNT_OF(request_labels), request_labels, &f);

	for (unsigned e = 0; rc == 0 && e < SIM_ENDPOINT_COUNT; e++) {
		for (unsigned k = 0; rc == 0 && k < SIM_STATUS_COUNT; k++) {
			const char *v[] = {
				sim_method_name(sim_endpoint_method(e)),
				sim_route_name(sim_endpoint_route(e)),
				sim_status_name((enum sim_status)k),
			};
			rc = mstore_series_get(f, v, &s->requests[e][k]);
		}
	}
	return failed(s, name, rc);
}

/* One series per route of family f into out. */
static int
route_series(struct mstore_family *f, struct mstore_series **out)
{
	int rc = 0;

	for (unsigned r = 0; rc == 0 && r < SIM_ROUTE_COUNT; r++) {
		const char *v[] = { sim_route_name((enum sim_route)r) };
		rc = mstore_series_get(f, v, &out[r]);
	}
	return rc;
}

/*
 * Request latency twice: as a classic histogram (fixed buckets; what text
 * scrapers, the rules and the dashboard's quantile panels read), and as a
 * native histogram (exponential buckets chosen by the library, resolution
 * about 9 %), which Prometheus ingests when it scrapes protobuf with
 * --enable-feature=native-histograms.  A separate family rather than
 * native buckets on the classic one: Prometheus 2.42 keeps only the native
 * part of a histogram that has both, and the classic queries would then
 * find nothing.
 */
static int
register_latency(struct sim_store *s)
{
	static const char name[] = "shop_http_request_duration_seconds";
	static const char native_name[] = "shop_http_request_latency_seconds";
	struct mstore_family_spec native = {
		.size = sizeof(native),
		.type = MSTORE_HISTOGRAM,
		.name = native_name,
		.help = "Time from request arrival to the last byte of the response, as a native "
		        "histogram (schema 3: buckets about 9 % wide).",
		.unit = "seconds",
		.nlabels = COUNT_OF(route_label),
		.label_names = route_label,
		.native_factor = SIM_NATIVE_FACTOR,
		.exemplars = 1,
	};
	struct mstore_family *f;
	int rc = exemplar_family(s, MSTORE_HISTOGRAM, name,
	                         "Time from request arrival to the last byte of the response.",
	                         "seconds", COUNT_OF(route_label), route_label, &f);

	if (rc == 0)
		rc = route_series(f, s->latency);
	if (rc < 0)
		return failed(s, name, rc);
	rc = mstore_family_register(s->st, &native, &f);
	if (rc == 0)
		rc = route_series(f, s->latency_native);
	return failed(s, native_name, rc);
}

static int
register_orders(struct sim_store *s)
{
	static const char name[] = "shop_orders_total";
	static const char vname[] = "shop_order_value_euros";
	struct mstore_family *f;
	int rc = mstore_counter_family(s->st, name, "Orders placed, by outcome.", NULL,
	                               COUNT_OF(outcome_label), outcome_label, &f);

	for (unsigned o = 0; rc == 0 && o < SIM_OUTCOME_COUNT; o++) {
		const char *v[] = { sim_outcome_name((enum sim_outcome)o) };
		rc = mstore_series_get(f, v, &s->orders[o]);
	}
	if (rc < 0)
		return failed(s, name, rc);
	rc = mstore_histogram_family(s->st, vname, "Value of orders placed, in euros.", "euros", 0,
	                             NULL, sim_order_nbounds, sim_order_bounds, &f);
	if (rc == 0)
		rc = mstore_series_get(f, NULL, &s->order_value);
	if (rc < 0)
		return failed(s, vname, rc);
	return single(s, MSTORE_COUNTER, "shop_billed_euros_total",
	              "Money billed for completed orders, in euros.", "euros", &s->billed);
}

static int
register_errors(struct sim_store *s)
{
	static const char name[] = "shop_errors_total";
	struct mstore_family *f;
	int rc = mstore_counter_family(s->st, name, "Application errors, by kind.", NULL,
	                               COUNT_OF(kind_label), kind_label, &f);

	for (unsigned k = 0; rc == 0 && k < SIM_ERROR_KIND_COUNT; k++) {
		const char *v[] = { sim_error_kind_name((enum sim_error_kind)k) };
		rc = mstore_series_get(f, v, &s->errors[k]);
	}
	return failed(s, name, rc);
}

/* n label-less gauges, one series each. */
static int
register_gauges(struct sim_store *s, const struct gauge_def *defs, unsigned n,
                struct mstore_series **out)
{
	int rc = 0;

	for (unsigned i = 0; rc == 0 && i < n; i++)
		rc = single(s, MSTORE_GAUGE, defs[i].name, defs[i].help, defs[i].unit, &out[i]);
	return rc;
}

/* A campaign counter family, limited to SIM_CAMPAIGN_SERIES_MAX series. */
static int
campaign_family(struct sim_store *s, const char *name, const char *help, const char *unit,
                struct mstore_family **out)
{
	struct mstore_family_spec spec = { .size = sizeof(spec),
		                           .type = MSTORE_COUNTER,
		                           .name = name,
		                           .help = help,
		                           .unit = unit,
		                           .nlabels = COUNT_OF(campaign_label),
		                           .label_names = campaign_label,
		                           .max_series = SIM_CAMPAIGN_SERIES_MAX };

	return failed(s, name, mstore_family_register(s->st, &spec, out));
}

static int
register_campaigns(struct sim_store *s)
{
	int rc = campaign_family(s, "shop_campaign_orders_total",
	                         "Completed orders that came through a marketing campaign, by "
	                         "campaign; a campaign's series goes when the campaign ends.",
	                         NULL, &s->campaign_orders);

	if (rc == 0)
		rc = campaign_family(
		        s, "shop_campaign_revenue_euros_total",
		        "Money billed for orders that came through a marketing campaign, "
		        "in euros, by campaign.",
		        "euros", &s->campaign_revenue);
	return rc;
}

/* The process_* families: the library's (mstore_process_metrics()),
 * updated at every heartbeat. */
static int
register_process(struct sim_store *s)
{
	return failed(s, "process_cpu_seconds_total", mstore_process_metrics(s->st));
}

int
sim_store_open(struct sim_store *s, const char *path, unsigned tick_ms)
{
	struct mstore_options opts = {
		.max_families = SIM_MAX_FAMILIES,
		.max_series = SIM_MAX_SERIES,
		.value_slots = SIM_VALUE_SLOTS,
		.string_bytes = SIM_STRING_BYTES,
		.mode = SIM_STORE_MODE,
		.tick_interval_ms = tick_ms,
	};
	int rc;

	memset(s, 0, sizeof *s);
	s->st = mstore_create(path, &opts, &rc);
	if (s->st == NULL)
		return rc;
	rc = register_requests(s);
	if (rc == 0)
		rc = register_latency(s);
	if (rc == 0)
		rc = register_orders(s);
	if (rc == 0)
		rc = register_errors(s);
	if (rc == 0)
		rc = register_gauges(s, shop_gauges, SIM_GAUGE_COUNT, s->gauges);
	if (rc == 0)
		rc = register_campaigns(s);
	if (rc == 0)
		rc = register_process(s);
	if (rc < 0) {
		int saved = errno;
		const char *name = s->failed;

		sim_store_close(s);
		s->failed = name;
		errno = saved;
	}
	return rc;
}

/* A sink callback's result: 0, or the update's error, kept for the caller. */
static int
sink_result(struct sim_store *s, int rc)
{
	if (rc != 0)
		s->sink_err = rc;
	return rc;
}

/* A request: its count and latency, with its trace ids as their
 * exemplar when it was traced (time: now). */
static int
on_request(void *ctx, unsigned endpoint, enum sim_status status, double seconds,
           const struct sim_trace *trace)
{
	static const char *const names[] = { "trace_id", "span_id" };
	struct sim_store *s = ctx;
	enum sim_route route = sim_endpoint_route(endpoint);
	const char *ids[] = { trace != NULL ? trace->trace_id : NULL,
		              trace != NULL ? trace->span_id : NULL };
	struct mstore_exemplar ex = { 2, names, ids, 0 };
	const struct mstore_exemplar *exp = trace != NULL ? &ex : NULL;
	int rc = mstore_counter_inc_exemplar(s->requests[endpoint][status], exp);

	if (rc == 0)
		rc = mstore_histogram_observe_exemplar(s->latency[route], seconds, exp);
	if (rc == 0)
		rc = mstore_histogram_observe_exemplar(s->latency_native[route], seconds, exp);
	return sink_result(s, rc);
}

static int
on_order(void *ctx, enum sim_outcome outcome, double euros)
{
	struct sim_store *s = ctx;
	int rc = mstore_counter_inc(s->orders[outcome]);

	if (rc == 0)
		rc = mstore_histogram_observe(s->order_value, euros);
	if (rc == 0 && outcome == SIM_ORDER_COMPLETED)
		rc = mstore_counter_add(s->billed, euros);
	return sink_result(s, rc);
}

static int
on_error(void *ctx, enum sim_error_kind kind)
{
	struct sim_store *s = ctx;

	return sink_result(s, mstore_counter_inc(s->errors[kind]));
}

/* The entry of the running campaign name, or (name NULL) a free one. */
static struct sim_store_campaign *
campaign_entry(struct sim_store *s, const char *name)
{
	for (unsigned i = 0; i < SIM_CAMPAIGNS_MAX; i++) {
		struct sim_store_campaign *c = &s->campaigns[i];

		if (name == NULL ? c->name[0] == '\0' : strcmp(c->name, name) == 0)
			return c;
	}
	return NULL;
}

/* A campaign's series removed from the store, their handles freed. */
static int
campaign_remove(struct sim_store_campaign *c)
{
	int rc = c->orders != NULL ? mstore_series_remove(c->orders) : 0;

	if (rc == 0 && c->revenue != NULL)
		rc = mstore_series_remove(c->revenue);
	mstore_series_free(c->orders);
	mstore_series_free(c->revenue);
	memset(c, 0, sizeof *c);
	return rc;
}

static int
campaign_begin(struct sim_store *s, const char *name)
{
	struct sim_store_campaign *c = campaign_entry(s, NULL);
	const char *v[] = { name };
	int rc;

	if (c == NULL)
		return MSTORE_E_INVAL; /* the model runs at most SIM_CAMPAIGNS_MAX */
	(void)snprintf(c->name, sizeof c->name, "%s", name);
	rc = mstore_series_get(s->campaign_orders, v, &c->orders);
	if (rc == 0)
		rc = mstore_series_get(s->campaign_revenue, v, &c->revenue);
	if (rc != 0) {
		if (c->orders != NULL)
			(void)campaign_remove(c);
		memset(c, 0, sizeof *c);
	}
	return rc;
}

static int
on_campaign(void *ctx, enum sim_campaign_event ev, const char *name, double euros)
{
	struct sim_store *s = ctx;
	struct sim_store_campaign *c;
	int rc;

	if (ev == SIM_CAMPAIGN_START)
		return sink_result(s, campaign_begin(s, name));
	if ((c = campaign_entry(s, name)) == NULL)
		return sink_result(s, MSTORE_E_INVAL);
	if (ev == SIM_CAMPAIGN_END)
		return sink_result(s, campaign_remove(c));
	rc = mstore_counter_inc(c->orders);
	if (rc == 0)
		rc = mstore_counter_add(c->revenue, euros);
	return sink_result(s, rc);
}

struct sim_sink
sim_store_sink(struct sim_store *s)
{
	struct sim_sink sink = {
		.ctx = s,
		.request = on_request,
		.order = on_order,
		.error = on_error,
		.campaign = on_campaign,
	};

	return sink;
}

static int
set_gauges(struct mstore_series *const *series, const double *v, unsigned n)
{
	int rc = 0;

	for (unsigned i = 0; rc == 0 && i < n; i++)
		rc = mstore_gauge_set(series[i], v[i]);
	return rc;
}

int
sim_store_gauges(struct sim_store *s, const struct sim_gauges *g)
{
	const double v[SIM_GAUGE_COUNT] = {
		[SIM_GAUGE_CONNECTIONS] = g->active_connections,
		[SIM_GAUGE_QUEUE] = g->queue_depth,
		[SIM_GAUGE_INFLIGHT] = g->inflight_requests,
		[SIM_GAUGE_CART] = g->cart_items,
	};

	return set_gauges(s->gauges, v, SIM_GAUGE_COUNT);
}

int
sim_store_heartbeat(struct sim_store *s)
{
	return mstore_heartbeat(s->st);
}

void
sim_store_close(struct sim_store *s)
{
	mstore_close(s->st);
	memset(s, 0, sizeof *s);
}
