/* SPDX-License-Identifier: MIT */
/*
 * resp_fcgi.h - metrics.fcgi's transports: the FastCGI loop and plain CGI.
 * The only part of the responder that includes fcgiapp.h; what to answer
 * is resp_serve.c's job.
 *
 * libfcgi accepts connections and parses requests; the response is framed
 * as FastCGI records here, the closing FCGI_END_REQUEST included, and
 * written straight to the request's connection with one writev() per
 * 256 KiB piece.  libfcgi's own writer (FCGX_PutStr, FCGX_FFlush, the
 * closing records of FCGX_Finish_r) sends a record per 8 KiB, one write(2)
 * each.  Measured behind lighttpd 1.4.69 (two responders, the standard
 * workload of doc/performance.md) against a build that used that writer,
 * on the 2-CPU VM, 2026-12-03:
 *   - system calls per request of the responders (strace -c over a 3 s
 *     wrk run): N = 100, 6.0 here against 8.0 (1 writev against 3
 *     writes); N = 10,000, 15 against 293 (10 writev against 288 writes);
 *   - five alternating pairs of make bench's end-to-end cases (5 s wrk
 *     runs): server CPU per request at N = 100 72.8 us median
 *     (71.4..84.8) against 86.1 (80.8..99.2), higher with libfcgi's writer
 *     in every pair, req/s 13.3k against 12.1k (pairs from -8 to +57 %:
 *     noise); at N = 10,000 284 req/s (213..324) against 218 (122..284),
 *     ahead in every pair by 13 to 78 %, 3.9 against 5.0 ms of CPU.
 *
 * What this relies on in libfcgi, beyond its documented API (read in
 * libfcgi/fcgiapp.c and os_unix.c of fcgi2 2.4.2, Debian 12's
 * 2.4.2-2+deb12u1, and unchanged up to upstream 2.4.7; resp_fcgi.c checks
 * the field types at build time, tests/integration/fcgi.sh the behaviour):
 *   - FCGX_Request.ipcFd ("don't use" in fcgiapp.h) is read, never
 *     written: between FCGX_Accept_r() and FCGX_Free(req, 1) it is the
 *     request's connection; FCGX_Free(req, 1) closes it and sets it to -1.
 *   - FCGX_Request.keepConnection (also "don't use") is read: the
 *     request's FCGI_KEEP_CONN flag, set by FCGX_Accept_r().
 *   - FCGX_Free(req, 0) frees the request's streams and parameters
 *     without writing anything and leaves the connection open.
 *   - FCGX_Accept_r() first calls FCGX_Finish_r(), which with the streams
 *     freed writes nothing and at most closes the connection (not when
 *     keepConnection); with ipcFd >= 0 it then reads the next request from
 *     that connection, else it accepts one.  On a non-blocking listening
 *     socket with nothing pending it returns -EAGAIN.
 *   - FCGX_Detach() only marks the request, so that FCGX_Free(req, 1)
 *     closes with a plain close(2) instead of shutdown(2) and a wait for
 *     the peer's close (OS_Close()).
 *   - libfcgi itself writes to the connection only whole records of its
 *     own (answers to management records), never between ours.
 * Only FCGX_Free(req, 0), never FCGX_Finish_r(), ends a request here, so
 * libfcgi's output streams stay unused.
 */
#ifndef RESP_FCGI_H
#define RESP_FCGI_H

#include <signal.h>

#include "resp_serve.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Initialise libfcgi (FCGX_Init); 0 or -1. */
int resp_fcgi_init(void);

/* Free what resp_fcgi_init() allocated. */
void resp_fcgi_shutdown(void);

/* Whether fd 0 is not a FastCGI listening socket: run as CGI then. */
int resp_fcgi_is_cgi(void);

/*
 * Serve FastCGI requests on the listening socket fd (made non-blocking)
 * until *stop is set (to the number of the signal that stops us).  waitmask is the signal mask to wait with: the
 * signals that set *stop must be blocked everywhere else, so a request in
 * progress is always finished.  Connections the web server asks to keep
 * (FCGI_KEEP_CONN) serve request after request; one that idles while
 * another connection waits is closed (one process serves one connection
 * at a time).  Returns 0 when stopped, -1 on an error (logged).
 */
int resp_fcgi_loop(struct resp_server *s, int fd, const sigset_t *waitmask,
                   volatile sig_atomic_t *stop);

/* Answer one CGI request from the environment on stdout; 0, or -1 when the
 * response could not be written. */
int resp_fcgi_cgi(struct resp_server *s);

#ifdef __cplusplus
}
#endif
#endif /* RESP_FCGI_H */
