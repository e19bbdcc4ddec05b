/* SPDX-License-Identifier: MIT */
/*
 * resp_opts.h - command line and environment of metrics.fcgi, parsed
 * without side effects (no printing, no exiting), and the --listen address
 * syntax.  See resp_opts_usage() for the user-facing description.
 */
#ifndef RESP_OPTS_H
#define RESP_OPTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Permissions of a --listen unix socket: owner and group may connect. */
#define RESP_DEFAULT_SOCKET_MODE 0660
/* Pending connections queued on a --listen socket. */
#define RESP_DEFAULT_BACKLOG 64
/* Longest accepted --stale-after, seconds (a year; guards the ns math). */
#define RESP_STALE_AFTER_MAX 31536000.0
/* Room for an error message from the parsers. */
#define RESP_CAUSE_MAX 256

/* The store path defaults to DEFAULT_STORE_PATH (config.h, from configure
 * --with-default-store). */
struct resp_opts {
	const char *store_path; /* never NULL after parsing */
	const char *listen;     /* --listen spec, NULL: socket on fd 0 or CGI */
	int64_t stale_after_ns; /* 0: three of the writer's tick intervals */
	int verbosity;          /* LOG_LEVEL_* */
	int backlog;
	mode_t socket_mode;
	int gzip; /* gzip /metrics for clients that ask (--no-gzip: 0) */
};

enum resp_opts_result {
	RESP_OPTS_RUN = 0, /* serve */
	RESP_OPTS_HELP,    /* print resp_opts_usage() to stdout, exit 0 */
	RESP_OPTS_VERSION, /* print the version, exit 0 */
	RESP_OPTS_ERROR,   /* cause filled: print it, exit 2 */
};

/*
 * Fill *o from the environment (METRICS_STORE, METRICS_STALE_AFTER) and then
 * argv (options win).  Pointers in *o point into argv or the environment.
 * On RESP_OPTS_ERROR a one-line message (no newline) is in cause.  Resets
 * getopt's state, so it may be called more than once (tests).
 */
enum resp_opts_result resp_opts_parse(struct resp_opts *o, int argc, char *const argv[],
                                      char *cause, size_t causelen);

/* The --help text (static). */
const char *resp_opts_usage(void);

/* A parsed --listen address. */
struct resp_addr {
	int is_unix;
	char path[108]; /* unix socket path (sun_path size on Linux) */
	char host[256]; /* TCP host, no brackets ("127.0.0.1" by default) */
	char port[8];   /* TCP port, decimal 1..65535 */
};

/*
 * Parse a --listen spec: anything containing '/' is a unix socket path
 * (write ./sock for a relative one); "PORT" and ":PORT" mean
 * 127.0.0.1:PORT (never all interfaces unless asked); "HOST:PORT" and
 * "[V6ADDR]:PORT" bind that host.  Returns 0, or -1 with cause filled.
 */
int resp_addr_parse(const char *spec, struct resp_addr *a, char *cause, size_t causelen);

/* Parse a positive number of seconds ("15", "2.5") into nanoseconds.
 * Returns 0, or -1 if it is not a finite number in (0, RESP_STALE_AFTER_MAX]. */
int resp_parse_seconds(const char *s, int64_t *ns);

#ifdef __cplusplus
}
#endif
#endif /* RESP_OPTS_H */
