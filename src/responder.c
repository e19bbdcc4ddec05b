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
 *
 * libfcgi accepts and parses the request; the response we frame as
 * FastCGI records ourselves, closing records included, and send with one
 * writev() (a large /metrics body: one per render buffer), which libfcgi's
 * fixed 8 KiB writer would have cut into a write per 8 KiB.
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
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define EXIT_USAGE 2
/* The FastCGI spec hands a spawned responder its listening socket as fd 0
 * (FCGI_LISTENSOCK_FILENO in fastcgi.h, which libfcgi-dev does not ship). */
#define LISTENSOCK_FD 0
/* Under load, check for a pending SIGTERM once per this many requests
 * (we only wait, with SIGTERM unblocked, when no connection is pending). */
#define SIGNAL_CHECK_EVERY 64
/* Pause after a failed accept (e.g. out of file descriptors). */
#define ACCEPT_BACKOFF_NS 10000000L
/* Room for the response headers (status, type, length, Allow, Vary). */
#define HEADER_MAX 512
/* Room for "Content-Length: ", a size_t in decimal and CRLF. */
#define CL_MAX 48

static volatile sig_atomic_t stop_requested;

static void
on_term(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* A FastCGI record header (FastCGI spec 3.3; libfcgi-dev ships no
 * fastcgi.h): version, type, requestId (2 bytes, big endian),
 * contentLength (2), paddingLength, reserved. */
#define REC_HEADER_LEN  8
#define REC_VERSION     1
#define REC_END_REQUEST 3
#define REC_STDOUT      6
/* FCGI_END_REQUEST's body: appStatus (4), protocolStatus (1), reserved (3) */
#define END_BODY_LEN    8
#define END_RECORDS_LEN (2 * REC_HEADER_LEN + END_BODY_LEN)
/* contentLength is 16 bits. */
#define REC_CONTENT_MAX 65535
/* Records per writev(): a header and one data piece each, 2 * 256 iovecs
 * (under Linux's IOV_MAX of 1024) and about 16 MiB, so any body up to
 * ~16 MiB goes out in one call. */
#define REC_BATCH 256
#define IOV_BATCH (2 * REC_BATCH)

/*
 * Where the response goes.  FastCGI: fd is the request's connection and
 * request_id its id, and we frame the records ourselves; CGI: fd is stdout
 * and request_id is -1 (no framing).
 */
struct sink {
	int fd;
	int request_id;
};

/* Wait until fd is writable again (it may be non-blocking). */
static int
wait_writable(int fd)
{
	struct pollfd p;
	int n;

	do {
		p.fd = fd;
		p.events = POLLOUT;
		p.revents = 0;
		n = poll(&p, 1, -1);
	} while (n < 0 && errno == EINTR);
	return n > 0 ? 0 : -1;
}

/*
 * Write all of iov[0..n) to fd, usually with one writev(): a short write
 * (a full socket buffer, a signal) continues where it stopped.  Consumes
 * *iov.  Returns 0, or -1 with errno (EPIPE: the peer went away).
 */
static int
write_iov(int fd, struct iovec *iov, int n)
{
	ssize_t w;

	while (n > 0) {
		w = writev(fd, iov, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if ((errno == EAGAIN || errno == EWOULDBLOCK) && wait_writable(fd) == 0)
				continue;
			return -1;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

static void
rec_header(unsigned char *h, int type, int request_id, size_t len)
{
	h[0] = REC_VERSION;
	h[1] = (unsigned char)type;
	h[2] = (unsigned char)((unsigned)request_id >> 8);
	h[3] = (unsigned char)request_id;
	h[4] = (unsigned char)(len >> 8);
	h[5] = (unsigned char)len;
	h[6] = 0; /* paddingLength: optional, and the body needs none */
	h[7] = 0;
}

/* The records that end a response: an empty FCGI_STDOUT (end of stream)
 * and FCGI_END_REQUEST with appStatus 0 and FCGI_REQUEST_COMPLETE (0). */
static void
end_records(unsigned char *e, int request_id)
{
	rec_header(e, REC_STDOUT, request_id, 0);
	rec_header(e + REC_HEADER_LEN, REC_END_REQUEST, request_id, END_BODY_LEN);
	memset(e + 2 * REC_HEADER_LEN, 0, END_BODY_LEN);
}

/*
 * Send the pieces p[0..np) (HTTP headers, body) as FCGI_STDOUT records of
 * up to REC_CONTENT_MAX bytes, REC_BATCH records per writev(); with end,
 * the closing records go in the last writev, so a response that fits one
 * buffer leaves in one system call.  libfcgi's writer would have cut it
 * into a write per 8 KiB (its buffer size is fixed).
 *
 * No record spans two pieces: the HTTP headers travel in a record of
 * their own.  lighttpd (1.4.69, mod_fastcgi) parses response headers
 * only from a whole record and reads a backend at most 8 KiB at a time
 * until it has them; with the headers and 64 KiB of body in one record
 * it needed a read (and a FIONREAD ioctl) per 8 KiB of that record, with
 * them apart its first read completes the headers and the next takes the
 * rest of what is waiting (N=100: two reads instead of three).
 * 0 or -1 with errno.
 */
static int
send_records(const struct sink *k, struct iovec *p, int np, int end)
{
	unsigned char hdr[REC_BATCH][REC_HEADER_LEN];
	unsigned char fin[END_RECORDS_LEN];
	struct iovec iov[IOV_BATCH + 1];
	size_t len;
	int i = 0, n, r;

	do {
		n = 0;
		for (r = 0; r < REC_BATCH && i < np; r++) {
			while (i < np && p[i].iov_len == 0)
				i++;
			if (i == np)
				break;
			len = p[i].iov_len < REC_CONTENT_MAX ? p[i].iov_len : REC_CONTENT_MAX;
			rec_header(hdr[r], REC_STDOUT, k->request_id, len);
			iov[n].iov_base = hdr[r];
			iov[n++].iov_len = REC_HEADER_LEN;
			iov[n].iov_base = p[i].iov_base;
			iov[n++].iov_len = len;
			p[i].iov_base = (char *)p[i].iov_base + len;
			p[i].iov_len -= len;
		}
		while (i < np && p[i].iov_len == 0)
			i++;
		if (i == np && end) {
			end_records(fin, k->request_id);
			iov[n].iov_base = fin;
			iov[n++].iov_len = sizeof fin;
		}
		if (n > 0 && write_iov(k->fd, iov, n) != 0)
			return -1;
	} while (i < np);
	return 0;
}

/* Send the header block (may be empty) and body: one writev() on stdout
 * for CGI; FCGI_STDOUT records for FastCGI, with the closing records when
 * end is set. */
static int
send_parts(const struct sink *k, char *hdr, size_t hlen, const char *body, size_t blen, int end)
{
	struct iovec p[2];

	p[0].iov_base = hdr;
	p[0].iov_len = hlen;
	p[1].iov_base = (void *)(uintptr_t)body; /* writev() only reads it */
	p[1].iov_len = blen;
	if (k->request_id < 0)
		return write_iov(k->fd, p, 2);
	return send_records(k, p, 2, end);
}

/* Format the CGI response header block into buf, with Content-Length
 * unless the body is streamed; length or -1. */
static int
format_headers(const struct resp_reply *r, int with_length, char *buf, size_t cap)
{
	char length[CL_MAX] = "";
	int n;

	if (with_length)
		(void)snprintf(length, sizeof length, "Content-Length: %zu\r\n", r->len);
	n = snprintf(buf, cap, "Status: %d %s\r\nContent-Type: %s\r\n%s%s%s%s%s\r\n", r->status,
	             r->reason, r->content_type, length, r->allow != NULL ? "Allow: " : "",
	             r->allow != NULL ? r->allow : "", r->allow != NULL ? "\r\n" : "",
	             r->vary_accept ? "Vary: Accept\r\n" : "");
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

/* Send r's header block first when headers is set (with Content-Length
 * when with_length is), then p[0..n); with end, the closing records.  A
 * client that went away is normal (Prometheus timed out): noted at debug
 * level.  0 or -1. */
static int
send_out(const struct sink *k, const struct resp_reply *r, int headers, int with_length,
         const char *p, size_t n, int end)
{
	char hdr[HEADER_MAX];
	int hl = 0;

	if (headers && (hl = format_headers(r, with_length, hdr, sizeof hdr)) < 0) {
		log_warn("cannot format response headers: status %d: too long", r->status);
		return -1;
	}
	if (send_parts(k, hdr, (size_t)hl, p, n, end) != 0) {
		log_debug("cannot send response: status %d: %s", r->status, strerror(errno));
		return -1;
	}
	return 0;
}

/* The headers of r and the first n bytes of a streamed body, or n more
 * bytes (resp_send_fn). */
static int
send_piece(void *ctx, const struct resp_reply *r, const char *p, size_t n, int first)
{
	return send_out(ctx, r, first, 0, p, n, 0);
}

/* Send (the rest of) the reply and end it.  0, or -1 when the response is
 * incomplete (the connection must then be closed without
 * FCGI_END_REQUEST, so that the client sees it incomplete). */
static int
send_reply(const struct sink *k, const struct resp_reply *r)
{
	if (r->aborted) {
		(void)send_out(k, r, 0, 0, r->body, r->len, 0);
		return -1;
	}
	return send_out(k, r, !r->streamed, 1, r->body, r->head_only ? 0 : r->len, 1);
}

/* Answer the request whose CGI parameters are envp; 0, or -1 when the
 * response is incomplete. */
static int
serve_params(struct resp_server *s, const struct sink *k, char **envp)
{
	struct resp_request rq;
	struct resp_reply reply;

	rq.method = FCGX_GetParam("REQUEST_METHOD", envp);
	rq.path_info = FCGX_GetParam("PATH_INFO", envp);
	rq.request_uri = FCGX_GetParam("REQUEST_URI", envp);
	rq.script_name = FCGX_GetParam("SCRIPT_NAME", envp);
	rq.accept = FCGX_GetParam("HTTP_ACCEPT", envp);
	/* CGI keeps the whole body and writes it once; it cannot stream
	 * (an aborted CGI response would look complete: it ends at EOF). */
	resp_serve(s, &rq, k->request_id >= 0 ? send_piece : NULL, (void *)(uintptr_t)k, &reply);
	return send_reply(k, &reply);
}

/* Wait until fd is readable with SIGTERM unblocked, at most *timeout
 * (NULL: no limit).  0 readable, 1 stop requested, 2 timed out, -1 error. */
static int
wait_readable(int fd, const sigset_t *waitmask, const struct timespec *timeout)
{
	struct pollfd p;
	int n;

	for (;;) {
		if (stop_requested)
			return 1;
		p.fd = fd;
		p.events = POLLIN;
		p.revents = 0;
		n = ppoll(&p, 1, timeout, waitmask);
		if (n > 0)
			return 0;
		if (n == 0)
			return 2;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* Whether fd is a unix-domain socket. */
static int
is_unix_socket(int fd)
{
	struct sockaddr_storage a;
	socklen_t n = sizeof a;

	return getsockname(fd, (struct sockaddr *)&a, &n) == 0 && a.ss_family == AF_UNIX;
}

/*
 * The FastCGI loop.  The listening socket is non-blocking, so under load
 * FCGX_Accept_r() takes the next connection at once and we only wait in
 * ppoll() when there is none (a pending SIGTERM is still seen every
 * SIGNAL_CHECK_EVERY requests).  Per request that leaves accept, libfcgi's
 * readability poll and read, our stat of the store, one writev and close.
 */
static int
fcgi_loop(struct resp_server *s, int fd, const sigset_t *waitmask)
{
	static const struct timespec now = { 0, 0 };
	static const struct timespec backoff = { 0, ACCEPT_BACKOFF_NS };
	FCGX_Request req;
	struct sink k;
	unsigned busy = 0;
	int flags, linger, rc, w;

	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
		log_warn("cannot make the listening socket non-blocking: fd %d: %s", fd,
		         strerror(errno));
		return -1;
	}
	/* libfcgi closes a connection with shutdown() and waits for the peer
	 * to close, so that a TCP reset cannot destroy the response it has
	 * not read yet.  A unix socket has no such reset (the peer reads all
	 * we wrote before it sees the close), and the wait would idle the
	 * only responder for a trip through lighttpd's event loop: there we
	 * close at once (FCGX_Detach() makes libfcgi skip the shutdown). */
	linger = !is_unix_socket(fd);
	if (FCGX_InitRequest(&req, fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		log_warn("cannot initialise FastCGI request: fd %d", fd);
		return -1;
	}
	log_info("serving FastCGI on fd %d", fd);
	for (;;) {
		if (busy >= SIGNAL_CHECK_EVERY) {
			busy = 0;
			if (wait_readable(fd, waitmask, &now) == 1)
				break;
		}
		/* also closes the previous connection (unless the web server
		 * asked to keep it: then the next request comes on it) */
		rc = FCGX_Accept_r(&req);
		if (rc == -EAGAIN || rc == -EWOULDBLOCK) {
			busy = 0;
			w = wait_readable(fd, waitmask, NULL);
			if (w == 0)
				continue;
			if (w < 0)
				log_warn("cannot wait for connections: fd %d: %s", fd,
				         strerror(errno));
			break;
		}
		if (rc < 0) {
			if (stop_requested)
				break;
			/* EMFILE, ENOBUFS, ...: the socket stays readable, so
			 * pause instead of spinning (SIGTERM still ends it) */
			log_debug("accept failed: fd %d: %s", fd, strerror(-rc));
			(void)ppoll(NULL, 0, &backoff, waitmask);
			continue;
		}
		busy++;
		/* We write the records on req.ipcFd ourselves, the closing
		 * ones included.  fcgiapp.h lists ipcFd among the fields not to
		 * use; we only read it, between Accept and Free, where it is
		 * the open connection.  FCGX_Free(.., 0) then drops libfcgi's
		 * streams without writing anything; an incomplete response
		 * closes the connection at once (no FCGI_END_REQUEST). */
		k.fd = req.ipcFd;
		k.request_id = req.requestId;
		if (!linger)
			(void)FCGX_Detach(&req);
		FCGX_Free(&req, serve_params(s, &k, req.envp) != 0);
	}
	FCGX_Free(&req, 1);
	log_info("stopping: %s", stop_requested ? "SIGTERM" : "error");
	return stop_requested ? 0 : -1;
}

extern char **environ;

static int
cgi_once(struct resp_server *s)
{
	struct sink k = { STDOUT_FILENO, -1 };

	/* Nothing went through stdio's stdout: the one writev() is first. */
	return serve_params(s, &k, environ);
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
