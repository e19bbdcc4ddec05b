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
	const char *method;       /* REQUEST_METHOD */
	const char *path_info;    /* PATH_INFO */
	const char *request_uri;  /* REQUEST_URI */
	const char *script_name;  /* SCRIPT_NAME */
	const char *accept;       /* HTTP_ACCEPT */
};

/* The answer.  Send the headers always, the body unless head_only, and
 * Content-Length: len in both cases. */
struct resp_reply {
	int status;                /* 200, 404, 405, 503 */
	const char *reason;        /* "OK", "Not Found", ... */
	const char *content_type;
	const char *allow;         /* non-NULL: send "Allow: <allow>" */
	int vary_accept;           /* send "Vary: Accept" (negotiated body) */
	int head_only;
	const char *body;          /* valid until the next resp_serve() or free */
	size_t len;
};

struct resp_server;

/*
 * Create the per-process state: no store is opened yet (the first request
 * does that, so a missing store does not stop the process from starting).
 * Keeps pointers into *o, which must outlive the server.  Exits the process
 * if memory runs out (it is a daemon, see STYLE.md).
 */
struct resp_server *resp_server_new(const struct resp_opts *o);

/* Close the store and free everything.  Accepts NULL. */
void resp_server_free(struct resp_server *s);

/*
 * Call when idle, after the reply of resp_serve() has been sent (its body
 * is invalid afterwards): if a render since the last trim was large,
 * return the render buffer's pages beyond the first MiB to the kernel, so
 * an idle responder stays small.  Costs page faults on the next large
 * render (no allocation): do not call it between back-to-back requests.
 * resp_server_trim_pending() says whether there is anything to trim.
 */
void resp_server_trim(struct resp_server *s);
int resp_server_trim_pending(const struct resp_server *s);

/* Answer one request (never fails: problems become 4xx/5xx replies). */
void resp_serve(struct resp_server *s, const struct resp_request *rq,
                struct resp_reply *out);

#ifdef __cplusplus
}
#endif
#endif /* RESP_SERVE_H */
