/* SPDX-License-Identifier: MIT */
/*
 * responder.c - main() of metrics.fcgi and its transports: the FastCGI
 * accept loop (socket on fd 0 from lighttpd/spawn-fcgi, or our own
 * --listen socket) and plain CGI (one request from the environment).  The
 * only file that includes fcgiapp.h; what to answer is resp_serve.c's job.
 *
 * SIGTERM (lighttpd's way to stop a backend) is blocked except while we
 * wait for a connection in ppoll(), so a request in progress is always
 * finished; the loop then exits 0.
 */
#include "config.h"

#include <fcgiapp.h>
#include <fcgios.h> /* OS_LibShutdown: frees what FCGX_Init allocated */

#include "log.h"
#include "resp_guard.h"
#include "resp_listen.h"
#include "resp_opts.h"
#include "resp_serve.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_USAGE 2
/* The FastCGI spec hands a spawned responder its listening socket as fd 0
 * (FCGI_LISTENSOCK_FILENO in fastcgi.h, which libfcgi-dev does not ship). */
#define LISTENSOCK_FD 0
/* Room for the response headers (status, type, length, Allow, Vary). */
#define HEADER_MAX 512

static volatile sig_atomic_t stop_requested;

static void
on_term(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Where the response bytes go: a FastCGI stream or stdout (CGI). */
struct sink {
	int (*put)(void *ctx, const char *p, size_t n); /* 0 or -1 */
	void *ctx;
};

static int
put_fcgx(void *ctx, const char *p, size_t n)
{
	return FCGX_PutStr(p, (int)n, ctx) == (int)n ? 0 : -1;
}

static int
put_stdout(void *ctx, const char *p, size_t n)
{
	(void)ctx;
	return fwrite(p, 1, n, stdout) == n ? 0 : -1;
}

/* Format the CGI response header block into buf; length or -1. */
static int
format_headers(const struct resp_reply *r, char *buf, size_t cap)
{
	int n;

	n = snprintf(buf, cap, "Status: %d %s\r\nContent-Type: %s\r\n"
	             "Content-Length: %zu\r\n%s%s%s%s\r\n",
	             r->status, r->reason, r->content_type, r->len,
	             r->allow != NULL ? "Allow: " : "",
	             r->allow != NULL ? r->allow : "",
	             r->allow != NULL ? "\r\n" : "",
	             r->vary_accept ? "Vary: Accept\r\n" : "");
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

/* Send headers, then the body in one write.  A client that went away is
 * normal (Prometheus timed out): note it at debug level and go on. */
static void
send_reply(const struct sink *k, const struct resp_reply *r)
{
	char hdr[HEADER_MAX];
	int n;

	n = format_headers(r, hdr, sizeof hdr);
	if (n < 0) {
		log_warn("cannot format response headers: status %d: too long",
		         r->status);
		return;
	}
	if (k->put(k->ctx, hdr, (size_t)n) != 0 ||
	    (!r->head_only && r->len > 0 && k->put(k->ctx, r->body, r->len) != 0))
		log_debug("cannot send response: status %d: client gone",
		          r->status);
}

static void
serve_params(struct resp_server *s, const struct sink *k, char **envp)
{
	struct resp_request rq;
	struct resp_reply reply;

	rq.method = FCGX_GetParam("REQUEST_METHOD", envp);
	rq.path_info = FCGX_GetParam("PATH_INFO", envp);
	rq.request_uri = FCGX_GetParam("REQUEST_URI", envp);
	rq.script_name = FCGX_GetParam("SCRIPT_NAME", envp);
	rq.accept = FCGX_GetParam("HTTP_ACCEPT", envp);
	resp_serve(s, &rq, &reply);
	send_reply(k, &reply);
}

/* Wait until fd is readable with SIGTERM unblocked.  0 readable, 1 stop
 * requested, -1 error. */
static int
wait_readable(int fd, const sigset_t *waitmask)
{
	struct pollfd p;
	int n;

	for (;;) {
		if (stop_requested)
			return 1;
		p.fd = fd;
		p.events = POLLIN;
		p.revents = 0;
		n = ppoll(&p, 1, NULL, waitmask);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

static int
fcgi_loop(struct resp_server *s, int fd, const sigset_t *waitmask)
{
	FCGX_Request req;
	struct sink k;
	int rc, w;

	if (FCGX_InitRequest(&req, fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		log_warn("cannot initialise FastCGI request: fd %d", fd);
		return -1;
	}
	log_info("serving FastCGI on fd %d", fd);
	for (;;) {
		w = wait_readable(fd, waitmask);
		if (w != 0) {
			if (w < 0)
				log_warn("cannot wait for connections: fd %d: %s", fd,
				         strerror(errno));
			break;
		}
		rc = FCGX_Accept_r(&req);
		if (rc < 0) {
			if (stop_requested)
				break;
			log_debug("accept failed: fd %d: %s", fd, strerror(-rc));
			continue;
		}
		k.put = put_fcgx;
		k.ctx = req.out;
		serve_params(s, &k, req.envp);
		FCGX_Finish_r(&req);
	}
	FCGX_Free(&req, 0);
	log_info("stopping: %s", stop_requested ? "SIGTERM" : "error");
	return stop_requested ? 0 : -1;
}

extern char **environ;

static int
cgi_once(struct resp_server *s)
{
	struct sink k = { put_stdout, NULL };

	serve_params(s, &k, environ);
	if (fflush(stdout) != 0) {
		log_debug("cannot send CGI response: stdout: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Block SIGTERM (and SIGINT) except in ppoll; ignore SIGPIPE so a gone
 * client gives EPIPE.  *waitmask gets the mask to use while waiting. */
static int
setup_signals(sigset_t *waitmask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	if (sigemptyset(&sa.sa_mask) != 0 || sigaction(SIGTERM, &sa, NULL) != 0 ||
	    sigaction(SIGINT, &sa, NULL) != 0)
		return -1;
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) != 0)
		return -1;
	if (sigemptyset(&block) != 0 || sigaddset(&block, SIGTERM) != 0 ||
	    sigaddset(&block, SIGINT) != 0 ||
	    sigprocmask(SIG_BLOCK, &block, waitmask) != 0)
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
run_listen(struct resp_server *s, const struct resp_opts *o,
           const sigset_t *waitmask)
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
	rc = fcgi_loop(s, fd, waitmask);
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
	if (setup_signals(&waitmask) != 0)
		log_fatal(EXIT_FAILURE, "cannot set up signals: %s", strerror(errno));
	if (FCGX_Init() != 0)
		log_fatal(EXIT_FAILURE, "cannot initialise libfcgi");
	s = resp_server_new(&o);
	if (o.listen != NULL)
		rc = run_listen(s, &o, &waitmask);
	else if (FCGX_IsCGI())
		rc = cgi_once(s);
	else
		rc = fcgi_loop(s, LISTENSOCK_FD, &waitmask);
	resp_server_free(s);
	OS_LibShutdown();
	return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
