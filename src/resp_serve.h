/* SPDX-License-Identifier: MIT */
/*
 * resp_serve.h - what metrics.fcgi answers, independent of how the request
 * arrived (FastCGI or CGI): routing, method check, negotiation, the store
 * reader's life cycle (reopen/refresh per request, SIGBUS guard), /metrics
 * and /health bodies, and rate-limited logging of store problems.
 */
#ifndef RESP_SERVE_H
#define RESP_SERVE_H

#include <stddef.h>

#include "resp_opts.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The CGI parameters of one request (any may be NULL: unset).  Borrowed:
 * they only need to live during resp_serve(). */
struct resp_request {
	const char *method;          /* REQUEST_METHOD */
	const char *path_info;       /* PATH_INFO */
	const char *request_uri;     /* REQUEST_URI */
	const char *script_name;     /* SCRIPT_NAME */
	const char *accept;          /* HTTP_ACCEPT */
	const char *accept_encoding; /* HTTP_ACCEPT_ENCODING */
};

/*
 * The answer.  Unless streamed: send the headers, then the body unless
 * head_only, with Content-Length: len in both cases (a HEAD's len is what
 * the GET's would be, compressed when the GET's would be).  Streamed: the
 * headers (without a length) and the body up to body went out through the
 * transport's send function already; send body[0..len) and end the
 * response.  Aborted (implies streamed): the response was started and
 * cannot be completed: send body[0..len) (a line that makes the body
 * invalid, or nothing), then end it so that the client sees it incomplete
 * (for FastCGI: close the connection without FCGI_END_REQUEST).
 */
struct resp_reply {
	int status;         /* 200, 404, 405, 503 */
	const char *reason; /* "OK", "Not Found", ... */
	const char *content_type;
	const char *allow;            /* non-NULL: send "Allow: <allow>" */
	int vary_accept;              /* send "Vary: Accept" (negotiated body) */
	int vary_encoding;            /* with vary_accept: "Vary: Accept, Accept-Encoding" */
	const char *content_encoding; /* non-NULL: "Content-Encoding: <it>" */
	int head_only;
	int streamed;
	int aborted;
	const char *body; /* valid until the next resp_serve() or free */
	size_t len;
};

/*
 * How a transport that can send a body in pieces (FastCGI) takes a
 * /metrics body that outgrows the render buffer: resp_serve() calls it once
 * per full buffer.  The first call (first != 0) sends r's header block
 * without Content-Length, then p[0..n); later calls send p[0..n).  0, or
 * -1 when the client is gone (the reply is then aborted).
 */
typedef int resp_send_fn(void *ctx, const struct resp_reply *r, const char *p, size_t n, int first);

/*
 * The render buffer's size.  A /metrics body that fits is sent with its
 * length in one write; a larger one goes out (FastCGI) in pieces of this
 * size, so the responder's memory does not grow with the store (N=10,000
 * series render 2.4 MB), and each piece is still in the CPU cache when it
 * is written.  The buffer only grows when one series alone is larger, or
 * for CGI, which keeps the whole body.
 *
 * A gzipped body: each rendered piece is compressed as it is drawn into a
 * second buffer of this size, and that one is sent when it is full or the
 * body complete: so a body whose compressed form fits (N=10,000: 2.4 MB
 * of text, 160 kB gzipped) goes out in one write with its length, a
 * larger one in pieces of this size of gzip.
 */
#define RESP_BUF_SIZE ((size_t)256 * 1024)

struct resp_server;

/*
 * Create the per-process state: no store is opened yet (the first request
 * does that, so a missing store does not stop the process from starting).
 * Keeps pointers into *o, which must outlive the server.  Exits the process
 * (log_fatal) if memory runs out: a daemon may; the library never does.
 */
struct resp_server *resp_server_new(const struct resp_opts *o);

/* Close the store and free everything.  Accepts NULL. */
void resp_server_free(struct resp_server *s);

/*
 * Answer one request (never fails: problems become 4xx/5xx replies).  With
 * send (FastCGI), a large /metrics body is streamed through it and memory
 * stays at one render buffer; without (CGI), the buffer grows to hold the
 * whole body.
 */
void resp_serve(struct resp_server *s, const struct resp_request *rq, resp_send_fn *send, void *ctx,
                struct resp_reply *out);

#ifdef __cplusplus
}
#endif
#endif /* RESP_SERVE_H */
