/* SPDX-License-Identifier: MIT */
/*
 * resp_fcgi.c - the FastCGI loop and plain CGI, and the framing of a
 * response into FastCGI records (what libfcgi is relied on for, and why
 * the records are written here: resp_fcgi.h).
 */
#include "config.h"

#include "resp_fcgi.h"

#include <fcgiapp.h>
#include <fcgios.h> /* OS_LibShutdown: frees what FCGX_Init allocated */

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* The request fields resp_fcgi.h says are read here, with the types read. */
#define RESP_FCGI_FIELD_IS_INT(f) _Generic(((FCGX_Request *)0)->f, int : 1, default : 0)
_Static_assert(RESP_FCGI_FIELD_IS_INT(ipcFd) && RESP_FCGI_FIELD_IS_INT(keepConnection) &&
                       RESP_FCGI_FIELD_IS_INT(requestId),
               "FCGX_Request changed: check what resp_fcgi.h relies on");

/* Under load, check for a pending stop signal once per this many requests
 * (we only wait, with it unblocked, when no connection is pending). */
#define SIGNAL_CHECK_EVERY 64
/* Pause after a failed accept (e.g. out of file descriptors). */
#define ACCEPT_BACKOFF_NS 10000000L
/* Room for the response headers (status, type, encoding, length, Allow,
 * Vary). */
#define HEADER_MAX 512
/* Room for "Content-Length: ", a size_t in decimal and CRLF. */
#define CL_MAX 48
/* Bytes read at a time when draining a request body (resp_fcgi_loop). */
#define DRAIN_CHUNK 4096

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

int
resp_fcgi_init(void)
{
	return FCGX_Init() == 0 ? 0 : -1;
}

void
resp_fcgi_shutdown(void)
{
	OS_LibShutdown();
}

int
resp_fcgi_is_cgi(void)
{
	return FCGX_IsCGI();
}

/* ------------------------------------------------------------ writing */

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
 * buffer leaves in one system call.
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

/* The Vary header line of r ("" for none). */
static const char *
vary_line(const struct resp_reply *r)
{
	if (!r->vary_accept)
		return "";
	return r->vary_encoding ? "Vary: Accept, Accept-Encoding\r\n" : "Vary: Accept\r\n";
}

/* Format the CGI response header block into buf, with Content-Length
 * unless the body is streamed; length or -1. */
static int
format_headers(const struct resp_reply *r, int with_length, char *buf, size_t cap)
{
	const char *ce = r->content_encoding;
	char length[CL_MAX] = "";
	int n;

	if (with_length)
		(void)snprintf(length, sizeof length, "Content-Length: %zu\r\n", r->len);
	n = snprintf(buf, cap, "Status: %d %s\r\nContent-Type: %s\r\n%s%s%s%s%s%s%s%s\r\n",
	             r->status, r->reason, r->content_type, ce != NULL ? "Content-Encoding: " : "",
	             ce != NULL ? ce : "", ce != NULL ? "\r\n" : "", length,
	             r->allow != NULL ? "Allow: " : "", r->allow != NULL ? r->allow : "",
	             r->allow != NULL ? "\r\n" : "", vary_line(r));
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
	rq.accept_encoding = FCGX_GetParam("HTTP_ACCEPT_ENCODING", envp);
	/* CGI keeps the whole body and writes it once; it cannot stream
	 * (an aborted CGI response would look complete: it ends at EOF). */
	resp_serve(s, &rq, k->request_id >= 0 ? send_piece : NULL, (void *)(uintptr_t)k, &reply);
	return send_reply(k, &reply);
}

extern char **environ;

int
resp_fcgi_cgi(struct resp_server *s)
{
	struct sink k = { STDOUT_FILENO, -1 };

	/* Nothing went through stdio's stdout: the one writev() is first. */
	return serve_params(s, &k, environ);
}

/* --------------------------------------------------------- the loop */

/* What wait_for() saw. */
enum wait_result {
	WAIT_ERROR = -1,
	WAIT_LISTEN,  /* a connection is pending on the listening socket */
	WAIT_CONN,    /* the kept connection has data (or was closed) */
	WAIT_STOP,    /* *stop was set */
	WAIT_TIMEOUT, /* nothing within the timeout */
};

/*
 * Wait, with waitmask as the signal mask, until the listening socket lfd
 * or the kept connection cfd (-1: none) is readable, *stop is set, or the
 * timeout (NULL: none) passes.  The kept connection wins a tie.
 */
static enum wait_result
wait_for(int lfd, int cfd, const sigset_t *waitmask, const struct timespec *timeout,
         volatile sig_atomic_t *stop)
{
	struct pollfd p[2];
	int n;

	for (;;) {
		if (*stop)
			return WAIT_STOP;
		p[0].fd = lfd;
		p[1].fd = cfd;
		p[0].events = p[1].events = POLLIN;
		p[0].revents = p[1].revents = 0;
		n = ppoll(p, cfd >= 0 ? 2 : 1, timeout, waitmask);
		if (n > 0)
			return cfd >= 0 && p[1].revents != 0 ? WAIT_CONN : WAIT_LISTEN;
		if (n == 0)
			return WAIT_TIMEOUT;
		if (errno != EINTR)
			return WAIT_ERROR;
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

/* Read the request's body (FCGI_STDIN) to its end through libfcgi, so
 * that the next request on a kept connection starts at a record of its
 * own (a GET's empty FCGI_STDIN has usually been read already: no system
 * call).  Before the response: the web server sends the next request
 * once this one has ended, and libfcgi's reader, reading ahead, would
 * take its first bytes into this request's buffer and drop them. */
static void
drain_stdin(FCGX_Request *req)
{
	char buf[DRAIN_CHUNK];

	while (FCGX_GetStr(buf, sizeof buf, req->in) > 0)
		;
}

/*
 * Before the next FCGX_Accept_r() on a kept connection (ipcFd >= 0),
 * which would block in read(2) with the stop signals blocked: wait for
 * its next request with them unblocked.  A kept connection that idles
 * while another one waits to be accepted is closed: this process serves
 * one connection at a time, and the web server opens a new one when it
 * needs it (nginx retries a request that fails on a cached connection).
 * 0 to go on, 1 stop requested, -1 error.
 */
static int
wait_kept(FCGX_Request *req, int lfd, const sigset_t *waitmask, volatile sig_atomic_t *stop)
{
	switch (wait_for(lfd, req->ipcFd, waitmask, NULL, stop)) {
	case WAIT_CONN:
		return 0;
	case WAIT_LISTEN:
		log_debug("closing an idle kept connection: another one waits");
		FCGX_Free(req, 1);
		return 0;
	case WAIT_STOP:
		return 1;
	default:
		log_warn("cannot wait for requests: fd %d: %s", lfd, strerror(errno));
		return -1;
	}
}

/*
 * Serve the request FCGX_Accept_r() returned, then end it: the response
 * is written on req->ipcFd, its closing records included, and FCGX_Free()
 * drops libfcgi's streams without writing anything.  The connection is
 * closed at once unless the web server asked to keep it (FCGI_KEEP_CONN):
 * then the next request comes on it.  An incomplete response always
 * closes it (no FCGI_END_REQUEST: the client sees it incomplete).
 * linger: keep libfcgi's shutdown-and-wait close (TCP).
 */
static void
serve_request(struct resp_server *s, FCGX_Request *req, int linger)
{
	struct sink k;
	int incomplete, close_now;

	k.fd = req->ipcFd;
	k.request_id = req->requestId;
	if (!linger)
		(void)FCGX_Detach(req);
	if (req->keepConnection)
		drain_stdin(req);
	incomplete = serve_params(s, &k, req->envp) != 0;
	close_now = incomplete || !req->keepConnection;
	FCGX_Free(req, close_now);
}

/*
 * The FastCGI loop.  The listening socket is non-blocking, so under load
 * FCGX_Accept_r() takes the next connection at once and we only wait in
 * ppoll() when there is none (a pending stop signal is still seen every
 * SIGNAL_CHECK_EVERY requests).  Per request that leaves accept, libfcgi's
 * read, our stat of the store, one writev and close.
 */
int
resp_fcgi_loop(struct resp_server *s, int fd, const sigset_t *waitmask, volatile sig_atomic_t *stop)
{
	static const struct timespec now = { 0, 0 };
	static const struct timespec backoff = { 0, ACCEPT_BACKOFF_NS };
	FCGX_Request req;
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
			if (wait_for(fd, -1, waitmask, &now, stop) == WAIT_STOP)
				break;
		}
		if (req.ipcFd >= 0 && wait_kept(&req, fd, waitmask, stop) != 0)
			break;
		rc = FCGX_Accept_r(&req);
		if (rc == -EAGAIN || rc == -EWOULDBLOCK) {
			busy = 0;
			w = wait_for(fd, -1, waitmask, NULL, stop);
			if (w == WAIT_LISTEN)
				continue;
			if (w == WAIT_ERROR)
				log_warn("cannot wait for connections: fd %d: %s", fd,
				         strerror(errno));
			break;
		}
		if (rc < 0) {
			if (*stop)
				break;
			/* EMFILE, ENOBUFS, ...: the socket stays readable, so
			 * pause instead of spinning (a stop signal still ends it) */
			log_debug("accept failed: fd %d: %s", fd, strerror(-rc));
			(void)ppoll(NULL, 0, &backoff, waitmask);
			continue;
		}
		busy++;
		serve_request(s, &req, linger);
	}
	FCGX_Free(&req, 1);
	log_info("stopping: %s", *stop ? strsignal((int)*stop) : "error");
	return *stop ? 0 : -1;
}
