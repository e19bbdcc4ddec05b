/* SPDX-License-Identifier: MIT */
/*
 * resp_opts.c - parse metrics.fcgi's options and environment, and the
 * --listen address syntax.  Reports problems as a cause string; the caller
 * decides how to exit.
 */
#include "config.h"

#include "resp_opts.h"

#include "log.h"
#include "mstore.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PORT_MAX    65535
#define BACKLOG_MAX 4096
#define MODE_MAX    0777

enum {
	OPT_STORE = 256,
	OPT_LISTEN,
	OPT_STALE_AFTER,
	OPT_SOCKET_MODE,
	OPT_BACKLOG,
	OPT_NO_GZIP,
};

static const struct option long_options[] = {
	{ "store", required_argument, NULL, OPT_STORE },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "stale-after", required_argument, NULL, OPT_STALE_AFTER },
	{ "socket-mode", required_argument, NULL, OPT_SOCKET_MODE },
	{ "backlog", required_argument, NULL, OPT_BACKLOG },
	{ "no-gzip", no_argument, NULL, OPT_NO_GZIP },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

const char *
resp_opts_usage(void)
{
	return "Usage: metrics.fcgi [OPTION]...\n"
	       "Serve /metrics and /health from a metrics store file, as a FastCGI\n"
	       "responder (spawned by lighttpd with the socket on fd 0, or listening on\n"
	       "--listen for nginx), or as a plain CGI program.\n"
	       "\n"
	       "  --store PATH          the store file (env METRICS_STORE;\n"
	       "                        default " DEFAULT_STORE_PATH ")\n"
	       "  --stale-after SECONDS report the writer down when its heartbeat is older\n"
	       "                        (env METRICS_STALE_AFTER; default: 3 of the\n"
	       "                        writer's tick intervals)\n"
	       "  --listen ADDR         listen by itself: a unix socket PATH (containing\n"
	       "                        '/'), PORT or :PORT (127.0.0.1), HOST:PORT\n"
	       "  --socket-mode OCTAL   permissions of a unix --listen socket (default 0660)\n"
	       "  --backlog N           listen backlog (default 64)\n"
	       "  --no-gzip             never compress; by default /metrics is gzipped\n"
	       "                        for clients that ask (Accept-Encoding: gzip)\n"
	       "  -v, --verbose         log more (repeat for debug)\n"
	       "  -h, --help            show this help and exit\n"
	       "  -V, --version         show the version and exit\n"
	       "\n"
	       "Logs go to stderr (the web server's error log).\n";
}

static void set_cause(char *cause, size_t len, const char *fmt, ...) LOG_PRINTF(3, 4);

/* Format a message into cause (cut to fit: it is only a message). */
static void
set_cause(char *cause, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (len == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(cause, len, fmt, ap);
	va_end(ap);
}

int
resp_parse_seconds(const char *s, int64_t *ns)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v <= 0 || v > RESP_STALE_AFTER_MAX)
		return -1;
	*ns = (int64_t)(v * (double)MSTORE_NS_PER_SEC);
	return *ns > 0 ? 0 : -1;
}

/* Parse an integer in [min, max] in the given base. */
static int
parse_long(const char *s, int base, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, base);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
parse_port(const char *s, struct resp_addr *a)
{
	long port;

	if (strspn(s, "0123456789") != strlen(s) || parse_long(s, 10, 1, PORT_MAX, &port) == -1)
		return -1;
	(void)snprintf(a->port, sizeof a->port, "%ld", port);
	return 0;
}

/* Copy host[0..len) into a->host, stripping IPv6 brackets. */
static int
copy_host(const char *host, size_t len, struct resp_addr *a)
{
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		host++;
		len -= 2;
	}
	if (len == 0) {
		(void)snprintf(a->host, sizeof a->host, "127.0.0.1");
		return 0;
	}
	if (len >= sizeof a->host || memchr(host, '[', len) != NULL ||
	    memchr(host, ']', len) != NULL)
		return -1;
	memcpy(a->host, host, len);
	a->host[len] = '\0';
	return 0;
}

int
resp_addr_parse(const char *spec, struct resp_addr *a, char *cause, size_t causelen)
{
	const char *colon, *port;
	size_t host_len;

	memset(a, 0, sizeof *a);
	if (spec == NULL || *spec == '\0') {
		set_cause(cause, causelen, "empty --listen address");
		return -1;
	}
	if (strchr(spec, '/') != NULL) {
		if (strlen(spec) >= sizeof a->path) {
			set_cause(cause, causelen, "unix socket path too long: %s", spec);
			return -1;
		}
		a->is_unix = 1;
		(void)snprintf(a->path, sizeof a->path, "%s", spec);
		return 0;
	}
	colon = strrchr(spec, ':');
	host_len = colon != NULL ? (size_t)(colon - spec) : 0; /* "PORT": no host */
	port = colon != NULL ? colon + 1 : spec;
	if (copy_host(spec, host_len, a) == -1 || parse_port(port, a) == -1) {
		set_cause(cause, causelen,
		          "bad --listen address (want PATH, PORT, :PORT or HOST:PORT): %s", spec);
		return -1;
	}
	return 0;
}

static void
opts_defaults(struct resp_opts *o)
{
	const char *env;

	memset(o, 0, sizeof *o);
	env = getenv("METRICS_STORE");
	o->store_path = env != NULL && *env != '\0' ? env : DEFAULT_STORE_PATH;
	o->backlog = RESP_DEFAULT_BACKLOG;
	o->socket_mode = RESP_DEFAULT_SOCKET_MODE;
	o->verbosity = LOG_LEVEL_WARN;
	o->gzip = 1;
}

/* Handle one option with an argument; -1 with cause on a bad value. */
static int
opts_apply(struct resp_opts *o, int c, const char *arg, char *cause, size_t causelen)
{
	long v;

	switch (c) {
	case OPT_STORE:
		if (*arg == '\0')
			break;
		o->store_path = arg;
		return 0;
	case OPT_LISTEN:
		o->listen = arg;
		return 0;
	case OPT_STALE_AFTER:
		if (resp_parse_seconds(arg, &o->stale_after_ns) == 0)
			return 0;
		break;
	case OPT_SOCKET_MODE:
		if (parse_long(arg, 8, 0, MODE_MAX, &v) == 0) {
			o->socket_mode = (mode_t)v;
			return 0;
		}
		break;
	case OPT_BACKLOG:
		if (parse_long(arg, 10, 1, BACKLOG_MAX, &v) == 0) {
			o->backlog = (int)v;
			return 0;
		}
		break;
	default:
		break;
	}
	set_cause(cause, causelen, "bad option value: %s", arg);
	return -1;
}

/* The message for getopt's '?' or ':' result. */
static void
opts_bad_flag(int c, char *const argv[], char *cause, size_t causelen)
{
	const char *flag = optind > 0 ? argv[optind - 1] : "?";

	if (c == ':')
		set_cause(cause, causelen, "option needs a value: %s", flag);
	else
		set_cause(cause, causelen, "unknown option: %s", flag);
}

enum resp_opts_result
resp_opts_parse(struct resp_opts *o, int argc, char *const argv[], char *cause, size_t causelen)
{
	const char *env;
	int c;

	opts_defaults(o);
	env = getenv("METRICS_STALE_AFTER");
	if (env != NULL && *env != '\0' && resp_parse_seconds(env, &o->stale_after_ns) == -1) {
		set_cause(cause, causelen, "bad METRICS_STALE_AFTER: %s", env);
		return RESP_OPTS_ERROR;
	}
	optind = 0; /* glibc: full reset, so tests may parse repeatedly */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hvV", long_options, NULL)) != -1) {
		if (c == 'h')
			return RESP_OPTS_HELP;
		if (c == 'V')
			return RESP_OPTS_VERSION;
		if (c == 'v') {
			o->verbosity++;
		} else if (c == OPT_NO_GZIP) {
			o->gzip = 0;
		} else if (c == '?' || c == ':') {
			opts_bad_flag(c, argv, cause, causelen);
			return RESP_OPTS_ERROR;
		} else if (opts_apply(o, c, optarg, cause, causelen) == -1) {
			return RESP_OPTS_ERROR;
		}
	}
	if (optind < argc) {
		set_cause(cause, causelen, "unexpected argument: %s", argv[optind]);
		return RESP_OPTS_ERROR;
	}
	return RESP_OPTS_RUN;
}
