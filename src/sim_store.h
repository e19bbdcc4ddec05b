/* SPDX-License-Identifier: MIT */
/*
 * sim_store.h - metrics-simulator's binding to the store: creates the store
 * file, registers every family and its fixed series up front, turns shop
 * events and shop gauges into store updates (the process metrics are the
 * library's), and gives each running marketing campaign series of its own,
 * removed when the campaign ends (series that come and go).
 */
#ifndef SIM_STORE_H
#define SIM_STORE_H

#include "mstore.h"
#include "sim_shop.h"

/* File mode of the store: the writer writes, the responder's group reads,
 * everybody else nothing (still filtered by the umask). */
#define SIM_STORE_MODE 0640

enum sim_gauge {
	SIM_GAUGE_CONNECTIONS,
	SIM_GAUGE_QUEUE,
	SIM_GAUGE_INFLIGHT,
	SIM_GAUGE_CART,
	SIM_GAUGE_COUNT
};

/* A running campaign's series. */
struct sim_store_campaign {
	char name[SIM_CAMPAIGN_NAME_MAX]; /* "" while the entry is unused */
	struct mstore_series *orders, *revenue;
};

/* Handles of every series the simulator writes. */
struct sim_store {
	struct mstore *st;
	struct mstore_series *requests[SIM_ENDPOINT_COUNT][SIM_STATUS_COUNT];
	struct mstore_series *latency[SIM_ROUTE_COUNT];
	struct mstore_series *latency_native[SIM_ROUTE_COUNT];
	struct mstore_series *orders[SIM_OUTCOME_COUNT];
	struct mstore_series *errors[SIM_ERROR_KIND_COUNT];
	struct mstore_series *billed;
	struct mstore_series *order_value;
	struct mstore_series *gauges[SIM_GAUGE_COUNT];
	struct mstore_family *campaign_orders, *campaign_revenue;
	struct sim_store_campaign campaigns[SIM_CAMPAIGNS_MAX];
	const char *failed; /* family being registered when it failed */
	int sink_err;       /* MSTORE_E_* of the update that stopped a shop step */
};

/*
 * Create the store at path (mode SIM_STORE_MODE, heartbeat promise
 * tick_ms) and register everything.  Returns 0, or a negative MSTORE_E_*
 * code with errno set; on failure nothing stays open and s->failed names
 * the family whose registration failed (NULL if creation failed).
 */
int sim_store_open(struct sim_store *s, const char *path, unsigned tick_ms);

/* The event sink that publishes shop events into s.  When an update fails
 * the sink stops the step and keeps the code in s->sink_err. */
struct sim_sink sim_store_sink(struct sim_store *s);

/* Publish the shop's gauges.  Returns 0 or a negative MSTORE_E_* code. */
int sim_store_gauges(struct sim_store *s, const struct sim_gauges *g);

/* Stamp the heartbeat and update the process metrics (the library does
 * both).  Returns 0 or a negative MSTORE_E_* code. */
int sim_store_heartbeat(struct sim_store *s);

/* Close the store (the file stays).  Accepts a never-opened, zeroed s. */
void sim_store_close(struct sim_store *s);

#endif /* SIM_STORE_H */
