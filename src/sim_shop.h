/* SPDX-License-Identifier: MIT */
/*
 * sim_shop.h - the simulated web shop behind metrics-simulator.
 *
 * Pure logic, no I/O: a seeded PRNG drives traffic (a compressed daily
 * cycle plus random bursts), per-request route, method, status and latency
 * (lognormal with slow outliers), error bursts, orders, a few gauges, and
 * marketing campaigns that start and end (each one a new label value: the
 * series that come and go).
 * sim_shop_step() advances the model by one tick and reports every event
 * through a caller-supplied sink, so the same model feeds the store in the
 * daemon and plain counters in the tests.  Same seed and same sequence of
 * tick lengths => same sequence of events, on any machine with IEEE doubles
 * and the same libm.
 */
#ifndef SIM_SHOP_H
#define SIM_SHOP_H

#include <stdint.h>

/* Routes, bounded and templated (never a real product id in a label). */
enum sim_route {
	SIM_ROUTE_HOME,
	SIM_ROUTE_PRODUCTS,
	SIM_ROUTE_PRODUCT,
	SIM_ROUTE_CART,
	SIM_ROUTE_CHECKOUT,
	SIM_ROUTE_SEARCH,
	SIM_ROUTE_COUNT
};

enum sim_method { SIM_METHOD_GET, SIM_METHOD_POST, SIM_METHOD_COUNT };

enum sim_status {
	SIM_STATUS_200,
	SIM_STATUS_304,
	SIM_STATUS_404,
	SIM_STATUS_500,
	SIM_STATUS_503,
	SIM_STATUS_COUNT
};

enum sim_outcome { SIM_ORDER_COMPLETED, SIM_ORDER_FAILED, SIM_ORDER_CANCELLED, SIM_OUTCOME_COUNT };

enum sim_error_kind {
	SIM_ERROR_DATABASE, /* a 500 from the database layer */
	SIM_ERROR_UPSTREAM, /* a 500 from a backend service */
	SIM_ERROR_TIMEOUT,  /* request ran into the timeout: 503 */
	SIM_ERROR_OVERLOAD, /* request shed because the queue was full: 503 */
	SIM_ERROR_PAYMENT,  /* payment declined: order failed */
	SIM_ERROR_KIND_COUNT
};

/* The (route, method) pairs the shop serves: the "endpoints". */
#define SIM_ENDPOINT_COUNT 8

/* Label values; never NULL for a valid enum value. */
const char *sim_route_name(enum sim_route r);
const char *sim_method_name(enum sim_method m);
const char *sim_status_name(enum sim_status s);
const char *sim_outcome_name(enum sim_outcome o);
const char *sim_error_kind_name(enum sim_error_kind k);

/* Endpoint i (0 <= i < SIM_ENDPOINT_COUNT): its route and method. */
enum sim_route sim_endpoint_route(unsigned i);
enum sim_method sim_endpoint_method(unsigned i);

/* Histogram bounds for request latency (seconds) and order value (euros). */
extern const double sim_latency_bounds[];
extern const unsigned sim_latency_nbounds;
extern const double sim_order_bounds[];
extern const unsigned sim_order_nbounds;

/* Share of requests that are traced, as a service that samples 1 % of
 * its traces would have it. */
#define SIM_TRACE_SHARE 0.01

/* A traced request's ids, lowercase hex as W3C trace context writes them
 * (16 and 8 bytes), NUL-terminated. */
struct sim_trace {
	char trace_id[33];
	char span_id[17];
};

/* What happens to a campaign (sim_sink.campaign). */
enum sim_campaign_event {
	SIM_CAMPAIGN_START, /* it begins: its name is new */
	SIM_CAMPAIGN_ORDER, /* a completed order came through it */
	SIM_CAMPAIGN_END,   /* it is over: its name never comes back */
};

/* Campaigns running at once, at most; at least one always runs. */
#define SIM_CAMPAIGNS_MAX 3
/* A campaign's name: its channel and sequence number ("newsletter-17"). */
#define SIM_CAMPAIGN_NAME_MAX 32

/*
 * Event sink.  Each callback returns 0 to go on, or non-zero to stop the
 * step (sim_shop_step() then returns SIM_SHOP_E_SINK; the sink keeps its
 * own reason).  request: one finished request on endpoint (index into the
 * endpoint table) with its status and latency, and its trace when it was
 * traced (SIM_TRACE_SHARE of them; else NULL).  order: one order with its
 * outcome and value.  error: one application error.  campaign (may be
 * NULL: not reported): a campaign started, brought an order (euros), or
 * ended; name is valid during the call.
 */
struct sim_sink {
	void *ctx;
	int (*request)(void *ctx, unsigned endpoint, enum sim_status status, double seconds,
	               const struct sim_trace *trace);
	int (*order)(void *ctx, enum sim_outcome outcome, double euros);
	int (*error)(void *ctx, enum sim_error_kind kind);
	int (*campaign)(void *ctx, enum sim_campaign_event ev, const char *name, double euros);
};

/* One running campaign. */
struct sim_campaign {
	uint32_t seq;     /* its number: names never repeat */
	double left;      /* seconds it still runs */
	unsigned channel; /* index into the channel names */
};

/* Gauges after a step. */
struct sim_gauges {
	double active_connections;
	double queue_depth;
	double inflight_requests;
	double cart_items;
};

/* Model state; treat as opaque, initialise with sim_shop_init(). */
struct sim_shop {
	uint64_t rng[4];     /* xoshiro256** state */
	uint64_t trace_rng;  /* splitmix64 state of the traces: a stream of its own */
	double t;            /* simulated seconds since start */
	double burst_left;   /* seconds of traffic burst remaining */
	double burst_factor; /* traffic multiplier during the burst */
	double error_left;   /* seconds of error burst remaining */
	double error_rate;   /* 5xx probability during the error burst */
	double queue;        /* requests waiting for a worker */
	double conn_smooth;  /* smoothed keep-alive connections */
	double cart;         /* items sitting in carts */
	struct sim_gauges gauges;
	/* campaigns: their own generator, so that they change nothing else */
	uint64_t campaign_rng[4];
	struct sim_campaign campaigns[SIM_CAMPAIGNS_MAX];
	unsigned ncampaigns;
	uint32_t next_campaign; /* the next campaign's number */
};

/* Seed the model; the same seed gives the same run. */
void sim_shop_init(struct sim_shop *shop, uint64_t seed);

/* sim_shop_step()'s results: the shop model's own error space. */
enum sim_shop_result {
	SIM_SHOP_OK = 0,
	SIM_SHOP_E_ARG = -1,  /* shop or sink (or a callback) NULL, or dt not finite and > 0 */
	SIM_SHOP_E_SINK = -2, /* a sink callback stopped the step */
};

/*
 * Advance by dt seconds (dt > 0): draw this tick's arrivals, report each
 * request, order and error to sink, update the gauges.  Returns a
 * SIM_SHOP_* result; after SIM_SHOP_E_SINK the step is incomplete (the
 * gauges and the clock did not advance).
 */
int sim_shop_step(struct sim_shop *shop, double dt, const struct sim_sink *sink);

/* A one-line message for a SIM_SHOP_* result (never NULL). */
const char *sim_shop_strerror(int rc);

/* Gauges as of the last step (all zero before the first). */
const struct sim_gauges *sim_shop_gauges(const struct sim_shop *shop);

/* Mean arrival rate (requests/s) of the daily cycle at simulated time t,
 * without bursts. */
double sim_shop_cycle_rate(double t);

/* The daily cycle's period, seconds of simulated time. */
double sim_shop_cycle_period(void);

/* The name of campaign c into buf (SIM_CAMPAIGN_NAME_MAX bytes). */
void sim_campaign_name(const struct sim_campaign *c, char *buf);

/* Raw PRNG access for tests: next 64-bit value, and a uniform in [0, 1). */
uint64_t sim_shop_rand(struct sim_shop *shop);
double sim_shop_uniform(struct sim_shop *shop);

#endif /* SIM_SHOP_H */
