/* SPDX-License-Identifier: MIT */
/*
 * sim_shop.c - the simulated web shop: traffic, requests, orders, gauges.
 *
 * Everything random comes from one xoshiro256** generator seeded through
 * splitmix64, so a run is a pure function of the seed and the tick lengths.
 * The numbers below are the model's knobs; they aim for values that look
 * like a small shop on a dashboard, not for statistical fidelity.
 */
#include "config.h"

#include "sim_shop.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

/* ---- traffic ---------------------------------------------------------- */

/* Mean arrivals per second over the daily cycle. */
#define BASE_RATE 40.0
/* Relative swing of the cycle: the rate goes BASE*(1-A) .. BASE*(1+A). */
#define CYCLE_AMPLITUDE 0.6
/* A "day" compressed to ten minutes, so a short session sees it move. */
#define CYCLE_PERIOD_S 600.0
/* Traffic bursts: mean gap, duration range, multiplier range. */
#define BURST_MEAN_GAP_S 90.0
#define BURST_MIN_S      5.0
#define BURST_MAX_S      20.0
#define BURST_MIN_FACTOR 1.5
#define BURST_MAX_FACTOR 3.0
/* Error bursts (5xx storms): mean gap, duration, 5xx probability range. */
#define ERROR_MEAN_GAP_S 120.0
#define ERROR_MIN_S      10.0
#define ERROR_MAX_S      30.0
#define ERROR_MIN_RATE   0.05
#define ERROR_MAX_RATE   0.25
/* Background probability of a 500 outside error bursts. */
#define BASE_500_RATE 0.003
/* Share of 500s blamed on the database (the rest on an upstream service). */
#define DATABASE_SHARE 0.6

/* ---- capacity and latency ------------------------------------------- */

/* Requests per second the workers finish; above it the queue grows. */
#define CAPACITY_RPS 120.0
/* Queue length beyond which new requests are shed with a 503. */
#define QUEUE_SHED_AT 300.0
/* Share of requests shed while the queue is over QUEUE_SHED_AT. */
#define SHED_PROBABILITY 0.4
/* Spread (sigma of the underlying normal) of request latency. */
#define LATENCY_SIGMA 0.5
/* Slow outliers: probability and multiplier range (the long tail). */
#define OUTLIER_PROBABILITY 0.005
#define OUTLIER_MIN_FACTOR  10.0
#define OUTLIER_MAX_FACTOR  40.0
/* Requests still running after this many seconds end as 503 timeouts. */
#define TIMEOUT_S 5.0
/* A 500 usually waited on something that failed slowly. */
#define ERROR_LATENCY_FACTOR 2.0
/* A 304 sends no body. */
#define NOT_MODIFIED_LATENCY_FACTOR 0.3
/* A shed request is answered at once: 1..3 ms. */
#define SHED_LATENCY_MIN_S 0.001
#define SHED_LATENCY_MAX_S 0.003

/* ---- gauges ----------------------------------------------------------- */

/* How long a client keeps an idle keep-alive connection per request/s. */
#define CONN_HOLD_S 2.5
/* Time constant of the connection smoothing. */
#define CONN_TAU_S 5.0
/* Items a POST /cart adds: 1..CART_ADD_MAX. */
#define CART_ADD_MAX 3
/* Items an order takes out of the carts: 1..ORDER_ITEMS_MAX. */
#define ORDER_ITEMS_MAX 4
/* Mean lifetime of an abandoned cart item. */
#define CART_ABANDON_TAU_S 300.0

/* ---- orders ----------------------------------------------------------- */

#define PAYMENT_DECLINE_RATE 0.04
/* Declines triple during an error burst (payment provider trouble). */
#define PAYMENT_BURST_FACTOR 3.0
#define CANCEL_RATE          0.03
/* Order value: lognormal around a median, rounded to cents, at least 1. */
#define ORDER_MEDIAN_EUR 45.0
#define ORDER_SIGMA      0.9
#define ORDER_MIN_EUR    1.0

/* ---- campaigns ------------------------------------------------------ */

/* Mean gap between campaign starts while fewer than the most run. */
#define CAMPAIGN_MEAN_GAP_S 60.0
/* How long a campaign runs. */
#define CAMPAIGN_MIN_S 90.0
#define CAMPAIGN_MAX_S 300.0
/* Share of completed orders that came through a running campaign. */
#define CAMPAIGN_ORDER_SHARE 0.3
/* Mixed into the seed of the campaigns' own generator ("campaign"). */
#define CAMPAIGN_SEED_SALT 0x63616d706169676eULL

/* Poisson draws switch from exact to a normal approximation above this. */
#define POISSON_EXACT_MAX 30.0

#define PI 3.14159265358979323846

/* 2^-53: turns the top 53 bits of a 64-bit draw into a double in [0, 1). */
#define UNIT_53 (1.0 / 9007199254740992.0)

/* Weights are in per mille of all requests. */
#define WEIGHT_TOTAL 1000u

struct endpoint {
	enum sim_route route;
	enum sim_method method;
	unsigned weight; /* share of traffic, per mille */
	double median_s; /* median latency */
	double p404;     /* probability of a 404 */
	double p304;     /* probability of a 304 (GET only) */
};

/* clang-format off */
static const struct endpoint endpoints[SIM_ENDPOINT_COUNT] = {
	{ SIM_ROUTE_HOME,     SIM_METHOD_GET,  180, 0.020, 0.001, 0.10 },
	{ SIM_ROUTE_PRODUCTS, SIM_METHOD_GET,  180, 0.040, 0.002, 0.05 },
	{ SIM_ROUTE_PRODUCT,  SIM_METHOD_GET,  300, 0.030, 0.030, 0.05 },
	{ SIM_ROUTE_CART,     SIM_METHOD_GET,   80, 0.025, 0.002, 0.00 },
	{ SIM_ROUTE_CART,     SIM_METHOD_POST,  60, 0.035, 0.010, 0.00 },
	{ SIM_ROUTE_CHECKOUT, SIM_METHOD_GET,   40, 0.060, 0.002, 0.00 },
	{ SIM_ROUTE_CHECKOUT, SIM_METHOD_POST,  30, 0.150, 0.002, 0.00 },
	{ SIM_ROUTE_SEARCH,   SIM_METHOD_GET,  130, 0.080, 0.005, 0.00 },
};
/* clang-format on */

_Static_assert(180 + 180 + 300 + 80 + 60 + 40 + 30 + 130 == WEIGHT_TOTAL,
               "endpoint weights must add up to WEIGHT_TOTAL");

const double sim_latency_bounds[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
const unsigned sim_latency_nbounds = sizeof sim_latency_bounds / sizeof sim_latency_bounds[0];
const double sim_order_bounds[] = { 5, 10, 20, 50, 100, 200, 500, 1000 };
const unsigned sim_order_nbounds = sizeof sim_order_bounds / sizeof sim_order_bounds[0];

static const char *const route_names[SIM_ROUTE_COUNT] = { "/",     "/products", "/product/:id",
	                                                  "/cart", "/checkout", "/api/search" };
static const char *const method_names[SIM_METHOD_COUNT] = { "GET", "POST" };
static const char *const status_names[SIM_STATUS_COUNT] = { "200", "304", "404", "500", "503" };
static const char *const outcome_names[SIM_OUTCOME_COUNT] = { "completed", "failed", "cancelled" };
static const char *const error_names[SIM_ERROR_KIND_COUNT] = { "database", "upstream", "timeout",
	                                                       "overload", "payment" };
static const char *const channel_names[] = { "newsletter", "social", "search", "partner" };
#define CHANNEL_COUNT (sizeof channel_names / sizeof channel_names[0])

#define NAME_OR_UNKNOWN(table, i, n) ((unsigned)(i) < (unsigned)(n) ? (table)[i] : "unknown")

const char *
sim_route_name(enum sim_route r)
{
	return NAME_OR_UNKNOWN(route_names, r, SIM_ROUTE_COUNT);
}

const char *
sim_method_name(enum sim_method m)
{
	return NAME_OR_UNKNOWN(method_names, m, SIM_METHOD_COUNT);
}

const char *
sim_status_name(enum sim_status s)
{
	return NAME_OR_UNKNOWN(status_names, s, SIM_STATUS_COUNT);
}

const char *
sim_outcome_name(enum sim_outcome o)
{
	return NAME_OR_UNKNOWN(outcome_names, o, SIM_OUTCOME_COUNT);
}

const char *
sim_error_kind_name(enum sim_error_kind k)
{
	return NAME_OR_UNKNOWN(error_names, k, SIM_ERROR_KIND_COUNT);
}

enum sim_route
sim_endpoint_route(unsigned i)
{
	return i < SIM_ENDPOINT_COUNT ? endpoints[i].route : SIM_ROUTE_COUNT;
}

enum sim_method
sim_endpoint_method(unsigned i)
{
	return i < SIM_ENDPOINT_COUNT ? endpoints[i].method : SIM_METHOD_COUNT;
}

/* ---- PRNG: xoshiro256** seeded with splitmix64 ------------------------ */

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
xoshiro(uint64_t *s)
{
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t
sim_shop_rand(struct sim_shop *shop)
{
	return xoshiro(shop->rng);
}

double
sim_shop_uniform(struct sim_shop *shop)
{
	return (double)(sim_shop_rand(shop) >> 11) * UNIT_53;
}

/* The campaigns' generator: a stream of its own, so that campaigns leave
 * every other event of a seed as it was. */
static double
campaign_uniform(struct sim_shop *shop)
{
	return (double)(xoshiro(shop->campaign_rng) >> 11) * UNIT_53;
}

static double
uniform_between(struct sim_shop *shop, double lo, double hi)
{
	return lo + (hi - lo) * sim_shop_uniform(shop);
}

/* 1..n inclusive. */
static unsigned
uniform_int(struct sim_shop *shop, unsigned n)
{
	return 1u + (unsigned)(sim_shop_uniform(shop) * n);
}

static int
chance(struct sim_shop *shop, double p)
{
	return sim_shop_uniform(shop) < p;
}

/* Standard normal by Box-Muller; 1 - u keeps log() away from 0. */
static double
normal(struct sim_shop *shop)
{
	double u1 = 1.0 - sim_shop_uniform(shop);
	double u2 = sim_shop_uniform(shop);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * PI * u2);
}

static double
lognormal(struct sim_shop *shop, double median, double sigma)
{
	return median * exp(sigma * normal(shop));
}

/* Poisson(mean): Knuth's product method for small means, else normal. */
static unsigned
poisson(struct sim_shop *shop, double mean)
{
	if (mean <= 0.0)
		return 0;
	if (mean > POISSON_EXACT_MAX) {
		double x = floor(mean + sqrt(mean) * normal(shop) + 0.5);
		return x > 0.0 ? (unsigned)x : 0;
	}
	double limit = exp(-mean), p = 1.0;
	unsigned k = 0;

	for (;;) {
		p *= sim_shop_uniform(shop);
		if (p <= limit)
			return k;
		k++;
	}
}

/* Probability that an event with mean gap `gap` starts within dt. */
static double
start_probability(double dt, double gap)
{
	return 1.0 - exp(-dt / gap);
}

void
sim_shop_init(struct sim_shop *shop, uint64_t seed)
{
	uint64_t x = seed;

	memset(shop, 0, sizeof *shop);
	for (size_t i = 0; i < sizeof shop->rng / sizeof shop->rng[0]; i++)
		shop->rng[i] = splitmix64(&x);
	/* Traces draw from their own stream: a seed gives the same traffic
	 * with them as it gave before they existed. */
	shop->trace_rng = splitmix64(&x);
	x = seed ^ CAMPAIGN_SEED_SALT;
	for (size_t i = 0; i < sizeof shop->campaign_rng / sizeof shop->campaign_rng[0]; i++)
		shop->campaign_rng[i] = splitmix64(&x);
	shop->burst_factor = 1.0;
	shop->next_campaign = 1;
}

void
sim_campaign_name(const struct sim_campaign *c, char *buf)
{
	const char *ch = channel_names[c->channel % CHANNEL_COUNT];
	size_t n = strlen(ch), i = SIM_CAMPAIGN_NAME_MAX - 1;
	uint32_t v = c->seq;

	/* "<channel>-<seq>", built backwards from the end of buf */
	buf[i] = '\0';
	do
		buf[--i] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	buf[--i] = '-';
	memmove(buf, ch, n);
	memmove(buf + n, buf + i, SIM_CAMPAIGN_NAME_MAX - i);
}

double
sim_shop_cycle_period(void)
{
	return CYCLE_PERIOD_S;
}

double
sim_shop_cycle_rate(double t)
{
	return BASE_RATE * (1.0 + CYCLE_AMPLITUDE * sin(2.0 * PI * t / CYCLE_PERIOD_S));
}

const struct sim_gauges *
sim_shop_gauges(const struct sim_shop *shop)
{
	return &shop->gauges;
}

/* ---- campaigns -------------------------------------------------------- */

/* Report event ev of campaign c (euros: an order's value). */
static int
campaign_report(const struct sim_sink *sink, enum sim_campaign_event ev,
                const struct sim_campaign *c, double euros)
{
	char name[SIM_CAMPAIGN_NAME_MAX];

	if (sink->campaign == NULL)
		return 0;
	sim_campaign_name(c, name);
	return sink->campaign(sink->ctx, ev, name, euros);
}

static int
campaign_start(struct sim_shop *shop, const struct sim_sink *sink)
{
	struct sim_campaign *c = &shop->campaigns[shop->ncampaigns++];

	c->seq = shop->next_campaign++;
	c->channel = (unsigned)(campaign_uniform(shop) * CHANNEL_COUNT);
	c->left = CAMPAIGN_MIN_S + (CAMPAIGN_MAX_S - CAMPAIGN_MIN_S) * campaign_uniform(shop);
	return campaign_report(sink, SIM_CAMPAIGN_START, c, 0);
}

/* End the campaigns whose time is up, start new ones (one at least runs). */
static int
update_campaigns(struct sim_shop *shop, double dt, const struct sim_sink *sink)
{
	unsigned i = 0;
	int rc;

	while (i < shop->ncampaigns) {
		struct sim_campaign *c = &shop->campaigns[i];

		c->left -= dt;
		if (c->left > 0.0) {
			i++;
			continue;
		}
		if ((rc = campaign_report(sink, SIM_CAMPAIGN_END, c, 0)) != 0)
			return rc;
		*c = shop->campaigns[--shop->ncampaigns];
	}
	if (shop->ncampaigns == 0 ||
	    (shop->ncampaigns < SIM_CAMPAIGNS_MAX &&
	     campaign_uniform(shop) < start_probability(dt, CAMPAIGN_MEAN_GAP_S)))
		return campaign_start(shop, sink);
	return 0;
}

/* A completed order: through a running campaign, now and then. */
static int
campaign_order(struct sim_shop *shop, const struct sim_sink *sink, double euros)
{
	unsigned i;

	if (shop->ncampaigns == 0 || campaign_uniform(shop) >= CAMPAIGN_ORDER_SHARE)
		return 0;
	i = (unsigned)(campaign_uniform(shop) * shop->ncampaigns);
	return campaign_report(sink, SIM_CAMPAIGN_ORDER, &shop->campaigns[i], euros);
}

/* ---- one tick --------------------------------------------------------- */

/* Start or run down the traffic and error bursts. */
static void
update_bursts(struct sim_shop *shop, double dt)
{
	if (shop->burst_left > 0.0) {
		shop->burst_left -= dt;
		if (shop->burst_left <= 0.0)
			shop->burst_factor = 1.0;
	} else if (chance(shop, start_probability(dt, BURST_MEAN_GAP_S))) {
		shop->burst_left = uniform_between(shop, BURST_MIN_S, BURST_MAX_S);
		shop->burst_factor = uniform_between(shop, BURST_MIN_FACTOR, BURST_MAX_FACTOR);
	}
	if (shop->error_left > 0.0) {
		shop->error_left -= dt;
	} else if (chance(shop, start_probability(dt, ERROR_MEAN_GAP_S))) {
		shop->error_left = uniform_between(shop, ERROR_MIN_S, ERROR_MAX_S);
		shop->error_rate = uniform_between(shop, ERROR_MIN_RATE, ERROR_MAX_RATE);
	}
}

static double
current_500_rate(const struct sim_shop *shop)
{
	return shop->error_left > 0.0 ? shop->error_rate : BASE_500_RATE;
}

static unsigned
pick_endpoint(struct sim_shop *shop)
{
	unsigned w = (unsigned)(sim_shop_uniform(shop) * WEIGHT_TOTAL);

	for (unsigned i = 0; i < SIM_ENDPOINT_COUNT; i++) {
		if (w < endpoints[i].weight)
			return i;
		w -= endpoints[i].weight;
	}
	return SIM_ENDPOINT_COUNT - 1;
}

/* One request's outcome before it is reported. */
struct request {
	unsigned endpoint;
	enum sim_status status;
	enum sim_error_kind error; /* valid when has_error */
	int has_error;
	double seconds;
};

static void
draw_status(struct sim_shop *shop, struct request *rq)
{
	const struct endpoint *ep = &endpoints[rq->endpoint];

	rq->status = SIM_STATUS_200;
	if (shop->queue > QUEUE_SHED_AT && chance(shop, SHED_PROBABILITY)) {
		rq->status = SIM_STATUS_503;
		rq->error = SIM_ERROR_OVERLOAD;
		rq->has_error = 1;
	} else if (chance(shop, current_500_rate(shop))) {
		rq->status = SIM_STATUS_500;
		rq->error = chance(shop, DATABASE_SHARE) ? SIM_ERROR_DATABASE : SIM_ERROR_UPSTREAM;
		rq->has_error = 1;
	} else if (chance(shop, ep->p404)) {
		rq->status = SIM_STATUS_404;
	} else if (ep->method == SIM_METHOD_GET && chance(shop, ep->p304)) {
		rq->status = SIM_STATUS_304;
	}
}

static void
draw_latency(struct sim_shop *shop, struct request *rq)
{
	const struct endpoint *ep = &endpoints[rq->endpoint];
	double s;

	if (rq->has_error && rq->error == SIM_ERROR_OVERLOAD) {
		rq->seconds = uniform_between(shop, SHED_LATENCY_MIN_S, SHED_LATENCY_MAX_S);
		return;
	}
	/* Time spent waiting in the queue, then the work itself. */
	s = shop->queue / CAPACITY_RPS + lognormal(shop, ep->median_s, LATENCY_SIGMA);
	if (chance(shop, OUTLIER_PROBABILITY))
		s *= uniform_between(shop, OUTLIER_MIN_FACTOR, OUTLIER_MAX_FACTOR);
	if (rq->status == SIM_STATUS_500)
		s *= ERROR_LATENCY_FACTOR;
	else if (rq->status == SIM_STATUS_304)
		s *= NOT_MODIFIED_LATENCY_FACTOR;
	if (s > TIMEOUT_S) {
		s = TIMEOUT_S;
		rq->status = SIM_STATUS_503;
		rq->error = SIM_ERROR_TIMEOUT;
		rq->has_error = 1;
	}
	rq->seconds = s;
}

static double
draw_order_value(struct sim_shop *shop)
{
	double v = lognormal(shop, ORDER_MEDIAN_EUR, ORDER_SIGMA);

	v = floor(v * 100.0 + 0.5) / 100.0; /* to cents */
	return v < ORDER_MIN_EUR ? ORDER_MIN_EUR : v;
}

static void
take_from_carts(struct sim_shop *shop, unsigned items)
{
	shop->cart = shop->cart > items ? shop->cart - items : 0.0;
}

/* A POST /checkout became an order; a failed request fails the order. */
static int
place_order(struct sim_shop *shop, const struct request *rq, const struct sim_sink *sink)
{
	double euros = draw_order_value(shop);
	double decline = PAYMENT_DECLINE_RATE;
	enum sim_outcome outcome = SIM_ORDER_COMPLETED;
	int rc;

	if (shop->error_left > 0.0)
		decline *= PAYMENT_BURST_FACTOR;
	if (rq->status != SIM_STATUS_200) {
		outcome = SIM_ORDER_FAILED;
	} else if (chance(shop, decline)) {
		outcome = SIM_ORDER_FAILED;
		rc = sink->error(sink->ctx, SIM_ERROR_PAYMENT);
		if (rc != 0)
			return rc;
	} else if (chance(shop, CANCEL_RATE)) {
		outcome = SIM_ORDER_CANCELLED;
	}
	if (outcome == SIM_ORDER_COMPLETED) {
		take_from_carts(shop, uniform_int(shop, ORDER_ITEMS_MAX));
		if ((rc = campaign_order(shop, sink, euros)) != 0)
			return rc;
	}
	return sink->order(sink->ctx, outcome, euros);
}

/* n bytes of x as lowercase hex at p. */
static void
put_hex(char *p, uint64_t x, int n)
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 2 * n - 1; i >= 0; i--, x >>= 4)
		p[i] = digits[x & 0xf];
}

/* Whether this request is traced (SIM_TRACE_SHARE), and its ids: t, or
 * NULL. */
static const struct sim_trace *
draw_trace(struct sim_shop *shop, struct sim_trace *t)
{
	if ((double)(splitmix64(&shop->trace_rng) >> 11) * UNIT_53 >= SIM_TRACE_SHARE)
		return NULL;
	put_hex(t->trace_id, splitmix64(&shop->trace_rng), 8);
	put_hex(t->trace_id + 16, splitmix64(&shop->trace_rng), 8);
	put_hex(t->span_id, splitmix64(&shop->trace_rng), 8);
	t->trace_id[32] = '\0';
	t->span_id[16] = '\0';
	return t;
}

/* Draw one request, report it and its consequences; adds its latency. */
static int
one_request(struct sim_shop *shop, const struct sim_sink *sink, double *latency_sum)
{
	struct request rq = { .endpoint = pick_endpoint(shop) };
	const struct endpoint *ep;
	struct sim_trace trace;
	int rc;

	draw_status(shop, &rq);
	draw_latency(shop, &rq);
	*latency_sum += rq.seconds;
	rc = sink->request(sink->ctx, rq.endpoint, rq.status, rq.seconds, draw_trace(shop, &trace));
	if (rc == 0 && rq.has_error)
		rc = sink->error(sink->ctx, rq.error);
	if (rc != 0)
		return rc;
	ep = &endpoints[rq.endpoint];
	if (ep->method != SIM_METHOD_POST || rq.status == SIM_STATUS_404)
		return 0;
	if (ep->route == SIM_ROUTE_CART && rq.status == SIM_STATUS_200)
		shop->cart += uniform_int(shop, CART_ADD_MAX);
	else if (ep->route == SIM_ROUTE_CHECKOUT)
		return place_order(shop, &rq, sink);
	return 0;
}

/* Queue, connections and carts after a tick with `arrivals` requests. */
static void
update_gauges(struct sim_shop *shop, double dt, unsigned arrivals, double latency_sum)
{
	double alpha = 1.0 - exp(-dt / CONN_TAU_S);
	double rate = arrivals / dt;
	double abandoned = shop->cart * (1.0 - exp(-dt / CART_ABANDON_TAU_S));
	double inflight = floor(latency_sum / dt + 0.5);

	shop->queue += arrivals - CAPACITY_RPS * dt;
	if (shop->queue < 0.0)
		shop->queue = 0.0;
	shop->conn_smooth += alpha * (rate * CONN_HOLD_S - shop->conn_smooth);
	shop->cart = floor(shop->cart - abandoned + sim_shop_uniform(shop));
	if (shop->cart < 0.0)
		shop->cart = 0.0;
	shop->gauges.queue_depth = floor(shop->queue);
	shop->gauges.inflight_requests = inflight;
	shop->gauges.active_connections = floor(shop->conn_smooth) + inflight;
	shop->gauges.cart_items = shop->cart;
}

int
sim_shop_step(struct sim_shop *shop, double dt, const struct sim_sink *sink)
{
	double latency_sum = 0.0;
	unsigned arrivals;
	int rc;

	if (shop == NULL || sink == NULL || sink->request == NULL || sink->order == NULL ||
	    sink->error == NULL || !(dt > 0.0) || !isfinite(dt))
		return SIM_SHOP_E_ARG;
	if (update_campaigns(shop, dt, sink) != 0)
		return SIM_SHOP_E_SINK;
	update_bursts(shop, dt);
	arrivals = poisson(shop, sim_shop_cycle_rate(shop->t) * shop->burst_factor * dt);
	for (unsigned i = 0; i < arrivals; i++) {
		rc = one_request(shop, sink, &latency_sum);
		if (rc != 0)
			return SIM_SHOP_E_SINK;
	}
	update_gauges(shop, dt, arrivals, latency_sum);
	shop->t += dt;
	return SIM_SHOP_OK;
}

const char *
sim_shop_strerror(int rc)
{
	switch (rc) {
	case SIM_SHOP_OK:
		return "success";
	case SIM_SHOP_E_ARG:
		return "invalid argument to the shop model";
	case SIM_SHOP_E_SINK:
		return "an event sink stopped the step";
	default:
		return "unknown shop model result";
	}
}
