/* SPDX-License-Identifier: MIT */
/*
 * responder.c - main() of metrics.fcgi: options, signals, and which
 * transport serves (resp_fcgi.c): FastCGI on the socket on fd 0 (from
 * lighttpd, spawn-fcgi or systemd), on our own --listen socket, or one
 * plain CGI request from the environment.
 *
 * SIGTERM (how lighttpd, spawn-fcgi setups and systemd stop a backend) is
 * blocked except while we wait for a connection in ppoll(), so a request
 * in progress is always finished; the loop then exits 0.  SIGINT does the
 * same with --listen.  On fd 0 it is ignored: there the process that
 * spawned us stops us, and a terminal's Ctrl-C reaches us only because we
 * share that web server's process group.  Exiting on it made lighttpd
 * (1.4.69), itself only starting a graceful shutdown, respawn us at once;
 * the new process could then lose the SIGTERM lighttpd sends its backends
 * on exit (delivered between its fork and exec, lighttpd's own handler
 * takes it) and outlive lighttpd, holding its socket.
 */
#include "config.h"

#include "log.h"
#include "resp_fcgi.h"
#include "resp_guard.h"
#include "resp_listen.h"
#include "resp_opts.h"
#include "resp_serve.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_USAGE 2
/* The FastCGI spec hands a spawned responder its listening socket as fd 0
 * (FCGI_LISTENSOCK_FILENO in fastcgi.h, which libfcgi-dev does not ship). */
#define LISTENSOCK_FD 0

/* The signal that asked us to stop, 0 while none has. */
static volatile sig_atomic_t stop_requested;

static void
on_stop(int sig)
{
	stop_requested = sig;
}

/* SIGTERM (and with int_stops SIGINT, else SIGINT is ignored) sets
 * stop_requested and is blocked except in ppoll; SIGPIPE is ignored, so a
 * gone client gives EPIPE.  *waitmask gets the mask to use while waiting. */
static int
setup_signals(sigset_t *waitmask, int int_stops)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	if (sigemptyset(&sa.sa_mask) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
		return -1;
	if (int_stops && sigaction(SIGINT, &sa, NULL) != 0)
		return -1;
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) != 0 || (!int_stops && sigaction(SIGINT, &sa, NULL) != 0))
		return -1;
	if (sigemptyset(&block) != 0 || sigaddset(&block, SIGTERM) != 0 ||
	    sigaddset(&block, SIGINT) != 0 || sigprocmask(SIG_BLOCK, &block, waitmask) != 0)
		return -1;
	if (sigdelset(waitmask, SIGTERM) != 0 || sigdelset(waitmask, SIGINT) != 0)
		return -1;
	return resp_guard_install();
}

/* Parse options; exits for --help, --version and errors. */
static void
parse_or_exit(struct resp_opts *o, int argc, char **argv)
{
	char cause[RESP_CAUSE_MAX];

	switch (resp_opts_parse(o, argc, argv, cause, sizeof cause)) {
	case RESP_OPTS_RUN:
		return;
	case RESP_OPTS_HELP:
		fputs(resp_opts_usage(), stdout);
		exit(fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
	case RESP_OPTS_VERSION:
		printf("metrics.fcgi (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		exit(fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
	case RESP_OPTS_ERROR:
	default:
		log_fatal(EXIT_USAGE, "%s (try --help)", cause);
	}
}

/* Serve on our own --listen socket. */
static int
run_listen(struct resp_server *s, const struct resp_opts *o, const sigset_t *waitmask)
{
	char cause[RESP_CAUSE_MAX];
	struct resp_addr a;
	int fd, rc;

	if (resp_addr_parse(o->listen, &a, cause, sizeof cause) != 0)
		log_fatal(EXIT_USAGE, "%s (try --help)", cause);
	fd = resp_listen_open(&a, o->socket_mode, o->backlog, cause, sizeof cause);
	if (fd < 0) {
		log_warn("%s", cause);
		return -1;
	}
	log_info("listening on %s", o->listen);
	rc = resp_fcgi_loop(s, fd, waitmask, &stop_requested);
	if (close(fd) != 0)
		log_debug("cannot close listening socket: %s", strerror(errno));
	resp_listen_cleanup(&a);
	return rc;
}

int
main(int argc, char **argv)
{
	struct resp_server *s;
	struct resp_opts o;
	sigset_t waitmask;
	int rc;

	log_init(argv[0], LOG_LEVEL_WARN);
	parse_or_exit(&o, argc, argv);
	log_init(argv[0], o.verbosity);
	if (setup_signals(&waitmask, o.listen != NULL) != 0)
		log_fatal(EXIT_FAILURE, "cannot set up signals: %s", strerror(errno));
	if (resp_fcgi_init() != 0)
		log_fatal(EXIT_FAILURE, "cannot initialise libfcgi");
	s = resp_server_new(&o);
	if (o.listen != NULL)
		rc = run_listen(s, &o, &waitmask);
	else if (resp_fcgi_is_cgi())
		rc = resp_fcgi_cgi(s);
	else
		rc = resp_fcgi_loop(s, LISTENSOCK_FD, &waitmask, &stop_requested);
	resp_server_free(s);
	resp_fcgi_shutdown();
	return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
