/* SPDX-License-Identifier: MIT */
/*
 * check_sim.c - Check suite for metrics-simulator's parts: the shop model
 * (determinism, plausible values, the daily cycle, campaigns that come and
 * go) and the store binding read back through the mstore reader (the
 * process metrics, now the library's, are tested in check_mstore_writer),
 * including a simulated week of campaigns with the store's usage flat.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mstore.h"
#include "mstore_writer.h" /* the week test: the store's reuse delay */
#include "sim_shop.h"
#include "sim_store.h"

#define TICK_S          1.0
#define LONG_RUN_TICKS  3000
#define SHORT_RUN_TICKS 300
/* A simulated week in ticks of a minute. */
#define WEEK_TICK_S 60.0
#define WEEK_TICKS  (7 * 24 * 60)
/* Largest latency the model may report: the timeout is below the top bound. */
#define MAX_LATENCY_S 10.0
#define FNV_OFFSET    0xcbf29ce484222325ULL
#define FNV_PRIME     0x100000001b3ULL

/* ---- a sink that tallies and fingerprints events ---------------------- */

struct tally {
	uint64_t hash;
	unsigned long requests;
	unsigned long by_status[SIM_STATUS_COUNT];
	unsigned long by_route[SIM_ROUTE_COUNT];
	unsigned long orders[SIM_OUTCOME_COUNT];
	unsigned long errors[SIM_ERROR_KIND_COUNT];
	unsigned long traced;
	int bad_latency;
	int bad_order;
	int bad_trace;
	int traffic_only; /* the hash leaves the traces out */
	int fail_with;    /* nonzero: every callback returns this */
	/* campaigns: started, ended, orders, running now, the most at once;
	 * the running ones' names; any event out of order */
	unsigned long started, ended, campaign_orders;
	unsigned running, most;
	char names[SIM_CAMPAIGNS_MAX][SIM_CAMPAIGN_NAME_MAX];
	char last[SIM_CAMPAIGN_NAME_MAX];
	int bad_campaign;
};

static void
mix(struct tally *t, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		t->hash = (t->hash ^ b[i]) * FNV_PRIME;
}

static int
t_request(void *ctx, unsigned ep, enum sim_status st, double s, const struct sim_trace *tr)
{
	struct tally *t = ctx;

	if (t->fail_with)
		return t->fail_with;
	mix(t, &ep, sizeof ep);
	mix(t, &st, sizeof st);
	mix(t, &s, sizeof s);
	if (tr != NULL) {
		if (!t->traffic_only)
			mix(t, tr, sizeof *tr);
		t->traced++;
		if (strspn(tr->trace_id, "0123456789abcdef") != 32 || tr->trace_id[32] != '\0' ||
		    strspn(tr->span_id, "0123456789abcdef") != 16 || tr->span_id[16] != '\0')
			t->bad_trace = 1;
	}
	t->requests++;
	t->by_status[st]++;
	t->by_route[sim_endpoint_route(ep)]++;
	if (!(s > 0.0) || s > MAX_LATENCY_S)
		t->bad_latency = 1;
	return 0;
}

static int
t_order(void *ctx, enum sim_outcome o, double euros)
{
	struct tally *t = ctx;

	mix(t, &o, sizeof o);
	mix(t, &euros, sizeof euros);
	t->orders[o]++;
	if (!(euros >= 1.0) || !isfinite(euros))
		t->bad_order = 1;
	return 0;
}

static int
t_error(void *ctx, enum sim_error_kind k)
{
	struct tally *t = ctx;

	mix(t, &k, sizeof k);
	t->errors[k]++;
	return 0;
}

/* The running campaign called name (NULL: a free entry), or -1. */
static int
t_campaign_at(const struct tally *t, const char *name)
{
	for (int i = 0; i < SIM_CAMPAIGNS_MAX; i++)
		if (name == NULL ? t->names[i][0] == '\0' : strcmp(t->names[i], name) == 0)
			return i;
	return -1;
}

static int
t_campaign(void *ctx, enum sim_campaign_event ev, const char *name, double euros)
{
	struct tally *t = ctx;
	int i = t_campaign_at(t, name);

	mix(t, name, strlen(name));
	if (ev == SIM_CAMPAIGN_START) {
		/* a new name (numbers rise), a free entry */
		if (i >= 0 || strcmp(name, t->last) == 0 || (i = t_campaign_at(t, NULL)) < 0) {
			t->bad_campaign = 1;
			return 0;
		}
		snprintf(t->names[i], sizeof t->names[i], "%s", name);
		snprintf(t->last, sizeof t->last, "%s", name);
		t->started++;
		if (++t->running > t->most)
			t->most = t->running;
	} else if (i < 0) {
		t->bad_campaign = 1; /* an order or end of no running campaign */
	} else if (ev == SIM_CAMPAIGN_END) {
		t->names[i][0] = '\0';
		t->ended++;
		t->running--;
	} else {
		t->campaign_orders++;
		if (!(euros >= 1.0))
			t->bad_order = 1;
	}
	return 0;
}

static struct sim_sink
tally_sink(struct tally *t)
{
	struct sim_sink s = { t, t_request, t_order, t_error, t_campaign };

	memset(t, 0, sizeof *t);
	t->hash = FNV_OFFSET;
	return s;
}

static uint64_t
run_hash(uint64_t seed, int ticks)
{
	struct sim_shop shop;
	struct tally t;
	struct sim_sink sink = tally_sink(&t);

	sim_shop_init(&shop, seed);
	for (int i = 0; i < ticks; i++) {
		ck_assert_int_eq(sim_shop_step(&shop, TICK_S, &sink), 0);
		mix(&t, sim_shop_gauges(&shop), sizeof(struct sim_gauges));
	}
	return t.hash;
}

/* ---- shop model ------------------------------------------------------- */

/* Campaigns come and go: one runs at least, SIM_CAMPAIGNS_MAX at most,
 * every name is new, orders and ends only of running ones; about a
 * third of completed orders come through one. */
START_TEST(test_campaigns)
{
	struct sim_shop shop;
	struct tally t;
	struct sim_sink sink = tally_sink(&t);

	sim_shop_init(&shop, 7);
	for (int i = 0; i < LONG_RUN_TICKS; i++) {
		ck_assert_int_eq(sim_shop_step(&shop, TICK_S, &sink), 0);
		ck_assert_uint_ge(t.running, 1);
	}
	ck_assert_int_eq(t.bad_campaign, 0);
	ck_assert_int_eq(t.bad_order, 0);
	ck_assert_uint_le(t.most, SIM_CAMPAIGNS_MAX);
	ck_assert_uint_gt(t.most, 1);
	/* 3000 s of campaigns of 90..300 s */
	ck_assert_uint_ge(t.started, 10);
	ck_assert_uint_eq(t.started - t.ended, t.running);
	ck_assert(t.campaign_orders > t.orders[SIM_ORDER_COMPLETED] / 5 &&
	          t.campaign_orders < t.orders[SIM_ORDER_COMPLETED] / 2);
}
END_TEST

START_TEST(test_same_seed_same_run)
{
	ck_assert_uint_eq(run_hash(42, SHORT_RUN_TICKS), run_hash(42, SHORT_RUN_TICKS));
	ck_assert_uint_ne(run_hash(42, SHORT_RUN_TICKS), run_hash(43, SHORT_RUN_TICKS));
}
END_TEST

/* Traces come from a stream of their own: other traces, the same
 * traffic. */
START_TEST(test_traces_apart)
{
	struct sim_shop a, b;
	struct tally ta, tb;
	struct sim_sink sa = tally_sink(&ta), sb = tally_sink(&tb);

	sim_shop_init(&a, 42);
	sim_shop_init(&b, 42);
	b.trace_rng ^= 0x5555;
	ta.traffic_only = tb.traffic_only = 1;
	for (int i = 0; i < SHORT_RUN_TICKS; i++) {
		ck_assert_int_eq(sim_shop_step(&a, TICK_S, &sa), 0);
		ck_assert_int_eq(sim_shop_step(&b, TICK_S, &sb), 0);
	}
	ck_assert_uint_gt(ta.traced, 0);
	ck_assert_uint_eq(ta.hash, tb.hash);
	ta.traffic_only = 0;
	tb.traffic_only = 0;
	ck_assert_int_eq(sim_shop_step(&a, 100.0, &sa), 0);
	ck_assert_int_eq(sim_shop_step(&b, 100.0, &sb), 0);
	ck_assert_uint_ne(ta.hash, tb.hash);
}
END_TEST

START_TEST(test_uniform_range)
{
	struct sim_shop shop;

	sim_shop_init(&shop, 7);
	for (int i = 0; i < 10000; i++) {
		double u = sim_shop_uniform(&shop);
		ck_assert(u >= 0.0 && u < 1.0);
	}
}
END_TEST

/* Over several simulated "days" everything the dashboard shows happens. */
START_TEST(test_plausible_values)
{
	struct sim_shop shop;
	struct tally t;
	struct sim_sink sink = tally_sink(&t);
	double prev_cart = 0.0;
	int cart_up = 0, cart_down = 0, queued = 0;

	sim_shop_init(&shop, (uint64_t)_i + 1);
	for (int i = 0; i < LONG_RUN_TICKS; i++) {
		const struct sim_gauges *g;

		ck_assert_int_eq(sim_shop_step(&shop, TICK_S, &sink), 0);
		g = sim_shop_gauges(&shop);
		ck_assert(g->active_connections >= g->inflight_requests);
		ck_assert(g->queue_depth >= 0.0 && g->cart_items >= 0.0);
		ck_assert(g->inflight_requests >= 0.0);
		cart_up += g->cart_items > prev_cart;
		cart_down += g->cart_items < prev_cart;
		queued += g->queue_depth > 0.0;
		prev_cart = g->cart_items;
	}
	ck_assert_int_eq(t.bad_latency, 0);
	ck_assert_int_eq(t.bad_order, 0);
	/* About SIM_TRACE_SHARE of the requests are traced, with ids in hex. */
	ck_assert_int_eq(t.bad_trace, 0);
	ck_assert(t.traced > t.requests * SIM_TRACE_SHARE / 2 &&
	          t.traced < t.requests * SIM_TRACE_SHARE * 2);
	for (int r = 0; r < SIM_ROUTE_COUNT; r++)
		ck_assert_uint_gt(t.by_route[r], 0);
	/* Mostly successes, but every kind of status and outcome occurs. */
	ck_assert_uint_gt(t.by_status[SIM_STATUS_200], t.requests / 2);
	for (int k = 0; k < SIM_STATUS_COUNT; k++)
		ck_assert_uint_gt(t.by_status[k], 0);
	for (int o = 0; o < SIM_OUTCOME_COUNT; o++)
		ck_assert_uint_gt(t.orders[o], 0);
	ck_assert_uint_gt(t.orders[SIM_ORDER_COMPLETED], t.orders[SIM_ORDER_FAILED]);
	ck_assert_uint_gt(t.errors[SIM_ERROR_DATABASE] + t.errors[SIM_ERROR_UPSTREAM], 0);
	ck_assert_uint_gt(t.errors[SIM_ERROR_PAYMENT], 0);
	ck_assert_int_gt(cart_up, 0);
	ck_assert_int_gt(cart_down, 0);
	ck_assert_int_gt(queued, 0);
}
END_TEST

/* The first half of the cycle (sine above zero) is busier than the second. */
START_TEST(test_rate_follows_cycle)
{
	double period = sim_shop_cycle_period();
	int half = (int)(period / TICK_S / 2);
	unsigned long first, second;
	struct sim_shop shop;
	struct tally t;
	struct sim_sink sink = tally_sink(&t);

	ck_assert(sim_shop_cycle_rate(period / 4) > sim_shop_cycle_rate(3 * period / 4));
	sim_shop_init(&shop, (uint64_t)_i + 100);
	for (int i = 0; i < half; i++)
		ck_assert_int_eq(sim_shop_step(&shop, TICK_S, &sink), 0);
	first = t.requests;
	for (int i = 0; i < half; i++)
		ck_assert_int_eq(sim_shop_step(&shop, TICK_S, &sink), 0);
	second = t.requests - first;
	ck_assert_uint_gt(first, second);
}
END_TEST

START_TEST(test_step_rejects_bad_args)
{
	struct sim_shop shop;
	struct tally t;
	struct sim_sink sink = tally_sink(&t);
	struct sim_sink broken = sink;

	broken.order = NULL;
	sim_shop_init(&shop, 1);
	ck_assert_int_eq(sim_shop_step(&shop, 0.0, &sink), SIM_SHOP_E_ARG);
	ck_assert_int_eq(sim_shop_step(&shop, -1.0, &sink), SIM_SHOP_E_ARG);
	ck_assert_int_eq(sim_shop_step(&shop, NAN, &sink), SIM_SHOP_E_ARG);
	ck_assert_int_eq(sim_shop_step(&shop, INFINITY, &sink), SIM_SHOP_E_ARG);
	ck_assert_int_eq(sim_shop_step(&shop, TICK_S, NULL), SIM_SHOP_E_ARG);
	ck_assert_int_eq(sim_shop_step(&shop, TICK_S, &broken), SIM_SHOP_E_ARG);
	ck_assert_int_eq(sim_shop_step(NULL, TICK_S, &sink), SIM_SHOP_E_ARG);
	/* The shop's own messages, not the store library's. */
	ck_assert_str_eq(sim_shop_strerror(SIM_SHOP_E_ARG), "invalid argument to the shop model");
	ck_assert_str_eq(sim_shop_strerror(SIM_SHOP_E_SINK), "an event sink stopped the step");
	ck_assert_str_eq(sim_shop_strerror(12345), "unknown shop model result");
}
END_TEST

START_TEST(test_sink_error_stops_step)
{
	struct sim_shop shop;
	struct tally t;
	struct sim_sink sink = tally_sink(&t);

	t.fail_with = -7;
	sim_shop_init(&shop, 1);
	/* 100 s of traffic: a tick without any request is out of the question. */
	ck_assert_int_eq(sim_shop_step(&shop, 100.0, &sink), SIM_SHOP_E_SINK);
	ck_assert_double_eq(sim_shop_gauges(&shop)->active_connections, 0.0); /* not advanced */
	t.fail_with = 1; /* any non-zero result stops the step */
	ck_assert_int_eq(sim_shop_step(&shop, 100.0, &sink), SIM_SHOP_E_SINK);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(sim_route_name(SIM_ROUTE_PRODUCT), "/product/:id");
	ck_assert_str_eq(sim_status_name(SIM_STATUS_503), "503");
	ck_assert_str_eq(sim_route_name(SIM_ROUTE_COUNT), "unknown");
	for (unsigned e = 0; e < SIM_ENDPOINT_COUNT; e++) {
		ck_assert_int_lt(sim_endpoint_route(e), SIM_ROUTE_COUNT);
		ck_assert_int_lt(sim_endpoint_method(e), SIM_METHOD_COUNT);
	}
}
END_TEST

/* ---- store binding, read back through the reader ---------------------- */

static char tmpdir[64];
static char store_path[128];

static void
store_setup(void)
{
	strcpy(tmpdir, "/tmp/check_sim.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(store_path, sizeof store_path, "%s/metrics.store", tmpdir);
}

static void
store_teardown(void)
{
	(void)unlink(store_path); /* may not exist: the test decides */
	(void)rmdir(tmpdir);
}

static int
name_is(const char *p, uint32_t len, const char *want)
{
	return strlen(want) == len && memcmp(p, want, len) == 0;
}

static void
family(struct mstore_reader *r, const char *name, struct mstore_family_view *f)
{
	uint32_t n = mstore_reader_family_count(r);

	for (uint32_t i = 0; i < n; i++) {
		ck_assert_int_eq(mstore_reader_family(r, i, f), 0);
		if (name_is(f->name, f->name_len, name))
			return;
	}
	ck_abort_msg("family %s not found", name);
}

static int
route_index(const struct mstore_series_view *s, unsigned label)
{
	for (int r = 0; r < SIM_ROUTE_COUNT; r++)
		if (name_is(s->label_value[label], s->label_value_len[label],
		            sim_route_name((enum sim_route)r)))
			return r;
	ck_abort_msg("unknown route label");
	return -1;
}

/* The observations in the native buckets of series s (a reading whose
 * count must be count). */
static uint64_t
native_count(struct mstore_reader *r, const struct mstore_family_view *f,
             const struct mstore_series_view *s, uint64_t count)
{
	static struct mstore_native_snapshot nat;
	struct mstore_snapshot snap;
	uint64_t n;

	ck_assert_int_eq(mstore_reader_native(r, f, s, &snap, &nat), 0);
	ck_assert_uint_eq(snap.count, count);
	n = nat.zero_count;
	for (int sign = 0; sign < 2; sign++) /* the buckets that may be non-zero */
		for (uint32_t j = nat.first[sign]; j < nat.end[sign]; j++)
			n += nat.bucket[sign][j];
	return n;
}

/* Sum of counter values (by route when label >= 0) or histogram counts. */
static double
read_family(struct mstore_reader *r, const char *name, int label, double by_route[SIM_ROUTE_COUNT],
            double *sum)
{
	struct mstore_family_view f;
	struct mstore_series_view s;
	struct mstore_snapshot snap;
	double total = 0.0;
	int rc;

	family(r, name, &f);
	if (sum != NULL)
		*sum = 0.0;
	for (rc = mstore_reader_series_first(r, &f, &s); rc == 1;
	     rc = mstore_reader_series_next(r, &f, &s)) {
		double v;

		ck_assert_int_eq(mstore_reader_snapshot(r, &f, &s, &snap), 0);
		v = f.type == MSTORE_HISTOGRAM ? (double)snap.count : snap.value;
		if (f.native_buckets > 0) /* latencies: every one in a native bucket */
			ck_assert_uint_eq(native_count(r, &f, &s, snap.count), snap.count);
		if (f.type == MSTORE_HISTOGRAM) {
			ck_assert_uint_eq(snap.bucket[f.nbounds], snap.count);
			if (sum != NULL)
				*sum += snap.sum;
		}
		if (label >= 0)
			by_route[route_index(&s, (unsigned)label)] += v;
		total += v;
	}
	ck_assert_int_eq(rc, 0);
	return total;
}

/* Exemplars of family name's series (every record): how many, each with
 * a trace_id of 32 and a span_id of 16 hex digits. */
static int
count_exemplars(struct mstore_reader *r, const char *name)
{
	struct mstore_family_view f;
	struct mstore_series_view s;
	struct mstore_exemplar_view ev;
	int n = 0, rc;

	family(r, name, &f);
	ck_assert_int_eq(f.exemplars, 1);
	for (rc = mstore_reader_series_first(r, &f, &s); rc == 1;
	     rc = mstore_reader_series_next(r, &f, &s)) {
		for (uint32_t i = 0; i <= (f.type == MSTORE_HISTOGRAM ? f.nbounds : 0); i++) {
			int e = mstore_reader_exemplar(r, &f, &s, i, &ev);

			ck_assert_int_ge(e, 0);
			if (e == 0)
				continue;
			ck_assert_uint_eq(ev.nlabels, 2);
			ck_assert_str_eq(ev.text + ev.name_off[0], "trace_id");
			ck_assert_uint_eq(strspn(ev.text + ev.value_off[0], "0123456789abcdef"),
			                  32);
			ck_assert_str_eq(ev.text + ev.name_off[1], "span_id");
			ck_assert_uint_eq(ev.value_len[1], 16);
			n++;
		}
	}
	ck_assert_int_eq(rc, 0);
	return n;
}

static void
tick_into(struct sim_store *st, struct sim_shop *shop)
{
	struct sim_sink sink = sim_store_sink(st);

	ck_assert_int_eq(sim_shop_step(shop, TICK_S, &sink), 0);
	ck_assert_int_eq(sim_store_gauges(st, sim_shop_gauges(shop)), 0);
	ck_assert_int_eq(sim_store_heartbeat(st), 0);
}

/* Requests counted by route equal the latency histogram's counts; orders
 * equal the order-value count; counters never go down; the series set is
 * complete from the start. */
START_TEST(test_store_consistent)
{
	struct sim_store st;
	struct sim_shop shop;
	struct mstore_reader *r;
	struct mstore_info before, after;
	double prev_requests = 0.0, prev_orders = 0.0;
	int err;

	ck_assert_int_eq(sim_store_open(&st, store_path, 1000), 0);
	r = mstore_reader_open(store_path, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(mstore_reader_info(r, &before), 0);
	sim_shop_init(&shop, 5);
	for (int round = 0; round < 10; round++) {
		double req[SIM_ROUTE_COUNT] = { 0 }, lat[SIM_ROUTE_COUNT] = { 0 };
		double requests, orders, values, value_sum, billed;

		for (int i = 0; i < 10; i++)
			tick_into(&st, &shop);
		requests = read_family(r, "shop_http_requests_total", 1, req, NULL);
		ck_assert(read_family(r, "shop_http_request_duration_seconds", 0, lat, NULL) ==
		          requests);
		for (int k = 0; k < SIM_ROUTE_COUNT; k++)
			ck_assert(req[k] == lat[k]);
		memset(lat, 0, sizeof lat);
		ck_assert(read_family(r, "shop_http_request_latency_seconds", 0, lat, NULL) ==
		          requests);
		for (int k = 0; k < SIM_ROUTE_COUNT; k++)
			ck_assert(req[k] == lat[k]);
		orders = read_family(r, "shop_orders_total", -1, NULL, NULL);
		values = read_family(r, "shop_order_value_euros", -1, NULL, &value_sum);
		billed = read_family(r, "shop_billed_euros_total", -1, NULL, NULL);
		ck_assert(orders == values);
		ck_assert(billed <= value_sum + 1e-6 && billed > 0.0);
		ck_assert(requests > prev_requests && orders >= prev_orders);
		prev_requests = requests;
		prev_orders = orders;
	}
	ck_assert(read_family(r, "process_cpu_seconds_total", -1, NULL, NULL) >= 0.0);
	/* traced requests left their ids with the counter and the latency */
	ck_assert_int_gt(count_exemplars(r, "shop_http_requests_total"), 0);
	ck_assert_int_gt(count_exemplars(r, "shop_http_request_duration_seconds"), 0);
	ck_assert_int_gt(count_exemplars(r, "shop_http_request_latency_seconds"), 0);
	ck_assert_int_ge(mstore_reader_refresh(r), 0);
	ck_assert_int_eq(mstore_reader_info(r, &after), 0);
	/* the fixed series, and two for each running (or just ended) campaign */
	ck_assert_uint_ge(after.series, before.series + 2);
	ck_assert_uint_le(after.series, before.series + 4 * SIM_CAMPAIGNS_MAX);
	ck_assert_uint_eq(before.families, after.families);
	ck_assert_int_eq(mstore_reader_fresh(r, 0, NULL), 1);
	mstore_reader_close(r);
	sim_store_close(&st);
}
END_TEST

/* The running campaigns' series in the store: their names, one each. */
static unsigned
store_campaigns(struct mstore_reader *r)
{
	struct mstore_family_view f;
	struct mstore_series_view s;
	unsigned n = 0;
	int rc;

	ck_assert_int_eq(mstore_reader_refresh(r) >= 0, 1);
	family(r, "shop_campaign_orders_total", &f);
	for (rc = mstore_reader_series_first(r, &f, &s); rc == 1;
	     rc = mstore_reader_series_next(r, &f, &s))
		n++;
	ck_assert_int_eq(rc, 0);
	return n;
}

/*
 * A simulated week of campaigns (ticks of a minute, rooms reused at once
 * so that the week takes seconds): thousands of campaigns, each a new
 * label value, come and go; the store's usage at the end is what it was
 * at the start, nothing was ever refused, and Prometheus would have seen
 * only the running ones at any time.
 */
START_TEST(test_store_campaign_week)
{
	struct sim_store st;
	struct sim_shop shop;
	struct mstore_reader *r;
	struct mstore_info first, last;
	struct sim_sink sink;
	unsigned running = 0;
	int err, i;

	ck_assert_int_eq(sim_store_open(&st, store_path, 1000), 0);
	st.st->reuse_delay_ms = 0;
	sink = sim_store_sink(&st);
	r = mstore_reader_open(store_path, &err);
	ck_assert_ptr_nonnull(r);
	sim_shop_init(&shop, 9);
	for (i = 0; i < WEEK_TICKS; i++) {
		ck_assert_int_eq(sim_shop_step(&shop, WEEK_TICK_S, &sink), 0);
		ck_assert_int_eq(sim_store_heartbeat(&st), 0);
		if (i == 0) {
			ck_assert_int_eq(mstore_reader_refresh(r) >= 0, 1);
			ck_assert_int_eq(mstore_reader_info(r, &first), 0);
			ck_assert_uint_eq(store_campaigns(r), shop.ncampaigns);
			running = shop.ncampaigns;
		}
	}
	ck_assert_uint_eq(store_campaigns(r), shop.ncampaigns);
	ck_assert_int_eq(mstore_reader_info(r, &last), 0);
	ck_assert_uint_eq(last.series, first.series + 2 * (shop.ncampaigns - running));
	ck_assert_uint_le(last.values_used,
	                  first.values_used + 12 * (shop.ncampaigns - running + SIM_CAMPAIGNS_MAX));
	ck_assert_uint_le(last.strings_used, first.strings_used + 128 * SIM_CAMPAIGNS_MAX);
	ck_assert_uint_eq(last.refused[MSTORE_REFUSED_FULL] + last.refused[MSTORE_REFUSED_LIMIT],
	                  0);
	ck_assert_uint_ge(shop.next_campaign, 1000);
	printf("campaign week: campaigns=%u series=%u/%u values=%u/%u strings=%u/%u\n",
	       shop.next_campaign - 1, first.series, last.series, first.values_used,
	       last.values_used, first.strings_used, last.strings_used);
	mstore_reader_close(r);
	sim_store_close(&st);
}
END_TEST

START_TEST(test_store_mode)
{
	struct sim_store st;
	struct stat sb;
	mode_t mask = umask(0);

	umask(mask);
	ck_assert_int_eq(sim_store_open(&st, store_path, 1000), 0);
	ck_assert_int_eq(stat(store_path, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, SIM_STORE_MODE & ~mask);
	sim_store_close(&st);
}
END_TEST

/* A failed update stops the step; the store sink keeps the library's code. */
START_TEST(test_store_sink_error)
{
	struct sim_store st;
	struct sim_shop shop;
	struct sim_sink sink;

	memset(&st, 0, sizeof st); /* never opened: every series handle is NULL */
	sink = sim_store_sink(&st);
	sim_shop_init(&shop, 1);
	ck_assert_int_eq(sim_shop_step(&shop, 100.0, &sink), SIM_SHOP_E_SINK);
	ck_assert_int_eq(st.sink_err, MSTORE_E_INVAL);
}
END_TEST

START_TEST(test_store_unwritable)
{
	struct sim_store st;
	char path[sizeof store_path + 16];

	snprintf(path, sizeof path, "%s/missing/x", tmpdir);
	errno = 0;
	ck_assert_int_eq(sim_store_open(&st, path, 1000), MSTORE_E_SYS);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_ptr_null(st.failed);
	ck_assert_ptr_null(st.st);
	sim_store_close(&st); /* harmless on a closed store */
}
END_TEST

static Suite *
sim_suite(void)
{
	Suite *s = suite_create("sim");
	TCase *shop = tcase_create("shop");
	TCase *store = tcase_create("store");

	tcase_add_test(shop, test_same_seed_same_run);
	tcase_add_test(shop, test_traces_apart);
	tcase_add_test(shop, test_uniform_range);
	tcase_add_loop_test(shop, test_plausible_values, 0, 3);
	tcase_add_loop_test(shop, test_rate_follows_cycle, 0, 5);
	tcase_add_test(shop, test_step_rejects_bad_args);
	tcase_add_test(shop, test_sink_error_stops_step);
	tcase_add_test(shop, test_names);
	tcase_add_test(shop, test_campaigns);
	suite_add_tcase(s, shop);
	tcase_add_checked_fixture(store, store_setup, store_teardown);
	tcase_add_test(store, test_store_consistent);
	tcase_add_test(store, test_store_mode);
	tcase_add_test(store, test_store_sink_error);
	tcase_add_test(store, test_store_unwritable);
	tcase_add_test(store, test_store_campaign_week);
	tcase_set_timeout(store, 120);
	suite_add_tcase(s, store);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sim_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
