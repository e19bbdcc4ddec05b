/* SPDX-License-Identifier: MIT */
/*
 * resp_serve.c - metrics.fcgi's request logic: route and method checks,
 * the store reader's life cycle, /metrics (rendered by expo into one
 * reusable buffer, and streamed through the transport when it outgrows
 * it) and /health.  Everything that touches the mapped store
 * runs inside resp_guard_call(), so a file truncated under us costs one 503
 * and a reopen, not the process.  No FastCGI here: see resp_fcgi.c.
 *
 * The responder only ever reads: mstore_reader_open() maps the store
 * O_RDONLY/PROT_READ, so this internet-facing process cannot change a
 * metric however it is attacked, and the application behind the store runs
 * no server at all.  Consistency needs no lock either: each histogram is
 * read under its seqlock (mstore_reader_snapshot), and a store that keeps
 * changing under us fails the scrape (503) instead of serving torn numbers.
 */
#include "config.h"

#include "resp_serve.h"

#include "expo.h"
#include "log.h"
#include "mstore.h"
#include "resp_guard.h"
#include "resp_gzip.h"
#include "resp_http.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Refuse to grow beyond this: a store that renders larger is a bug. */
#define BUF_MAX ((size_t)256 * 1024 * 1024)
/* Short text bodies (errors, /health) and the log rate-limit key. */
#define MSG_MAX 1024

/*
 * The responder's own error codes and their messages, from this one list.
 * They travel through the renderer's int results (render_flush() returns
 * them from expo_render_stream()) next to the library's MSTORE_E_* (-1
 * down) and the renderer's EXPO_E_* (-100 down), so they have a range of
 * their own, from -200 down.
 */
#define RESP_ERRORS(X)                                                       \
	X(RESP_E_TOO_LARGE, -200, "output too large") /* over BUF_MAX */     \
	X(RESP_E_SEND, -201, "client gone")           /* a piece not sent */ \
	X(RESP_E_GZIP, -202, "gzip failed")           /* resp_gzip_put() */

enum resp_error {
#define RESP_ERROR_CODE(name, code, msg) name = (code),
	RESP_ERRORS(RESP_ERROR_CODE)
#undef RESP_ERROR_CODE
};

_Static_assert((int)RESP_E_TOO_LARGE < (int)EXPO_E_INVAL &&
                       (int)RESP_E_TOO_LARGE < (int)MSTORE_E_LAST,
               "the responder's error codes overlap the renderer's or the library's");

static const char text_plain[] = "text/plain; charset=utf-8";

struct resp_server {
	const struct resp_opts *opts;
	struct mstore_reader *reader; /* NULL: (re)open on the next request */
	char *buf;                    /* the render buffer */
	size_t cap;
	struct resp_gzip *gz; /* NULL: never compress (--no-gzip) */
	char *zbuf;           /* gzip output (resp_serve.h) */
	size_t zcap;
	char msg[MSG_MAX];            /* short bodies */
	char abort_msg[MSG_MAX + 32]; /* the last line of an aborted body */
	char last_problem[MSG_MAX];   /* last store problem logged ("" none) */
	int render_problem;           /* it was found by rendering /metrics */
	uint64_t scrapes;             /* /metrics requests answered */
	uint64_t scrape_errors;       /* ... with 503 */
};

/* What to do with a full render buffer (render_flush). */
enum body_mode {
	BODY_SEND,  /* send it through the transport (FastCGI GET) */
	BODY_COUNT, /* only count it (HEAD: the length, no body) */
	BODY_KEEP,  /* keep it and grow (CGI GET: one write at the end) */
};

/* What the guarded store work found out. */
struct store_job {
	struct resp_server *s;
	enum expo_format fmt;
	int render;      /* render /metrics (else just check health) */
	int rc;          /* 0, MSTORE_E_*, RESP_E_* */
	int saved_errno; /* errno for MSTORE_E_SYS */
	int alive;       /* 1 the writer is alive or the store static, else 0 */
	struct mstore_liveness live;
	struct mstore_info info;
	/* rendering */
	enum body_mode mode;
	resp_send_fn *send; /* BODY_SEND: the transport */
	void *send_ctx;
	struct resp_reply *out; /* the reply whose headers a send carries */
	int started;            /* a piece went out: no 503 possible now */
	size_t taken;           /* bytes sent or counted before s->buf */
	size_t len;             /* rendered bytes left in s->buf */
	int gzip;               /* the body goes through s->gz into s->zbuf */
	size_t zlen;            /* gzip bytes in s->zbuf, not yet taken */
};

static void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (q == NULL)
		log_fatal(EXIT_FAILURE, "cannot allocate %zu bytes: %s", n, strerror(errno));
	return q;
}

struct resp_server *
resp_server_new(const struct resp_opts *o)
{
	struct resp_server *s = xrealloc(NULL, sizeof *s);

	memset(s, 0, sizeof *s);
	s->opts = o;
	s->cap = RESP_BUF_SIZE;
	s->buf = xrealloc(NULL, s->cap);
	if (o->gzip) {
		s->gz = resp_gzip_new();
		s->zcap = RESP_BUF_SIZE;
		s->zbuf = xrealloc(NULL, s->zcap);
	}
	return s;
}

void
resp_server_free(struct resp_server *s)
{
	if (s == NULL)
		return;
	mstore_reader_close(s->reader);
	free(s->buf);
	resp_gzip_free(s->gz);
	free(s->zbuf);
	free(s);
}

/* A one-line message for a RESP_E_*, EXPO_E_* or MSTORE_E_* code. */
static const char *
resp_strerror(int code)
{
	switch (code) {
#define RESP_ERROR_CASE(name, code, msg) \
	case name:                       \
		return msg;
		RESP_ERRORS(RESP_ERROR_CASE)
#undef RESP_ERROR_CASE
	default:
		return expo_strerror(code);
	}
}

/* ---------------------------------------------------------- the store */

/* Open the store, or refresh the open reader; on failure close it so the
 * next request starts over with a fresh open. */
static int
store_acquire(struct store_job *j)
{
	struct resp_server *s = j->s;
	int rc = 0;

	if (s->reader == NULL) {
		s->reader = mstore_reader_open(s->opts->store_path, &rc);
		if (s->reader == NULL)
			j->saved_errno = errno;
		return s->reader == NULL ? rc : 0;
	}
	rc = mstore_reader_refresh(s->reader);
	if (rc >= 0)
		return 0;
	j->saved_errno = errno;
	mstore_reader_close(s->reader);
	s->reader = NULL;
	return rc;
}

/* The store's writer figures (mstore_exporter_writers ...) and how full
 * it is (mstore_exporter_store_used ...), from the liveness and info the
 * job took. */
static void
fill_own_store(const struct store_job *j, struct expo_own *own)
{
	const struct mstore_info *i = &j->info;
	unsigned k;

	own->have_writers = 1;
	own->writers_live = j->live.writers_live;
	own->writers_stale = j->live.writers_stale;
	own->writers_max = i->max_writers;
	for (k = 0; k < MSTORE_RECOVERY_KINDS; k++)
		own->recoveries[k] = i->recoveries[k];
	own->have_usage = 1;
	own->used[EXPO_RESOURCE_FAMILIES] = i->families;
	own->capacity[EXPO_RESOURCE_FAMILIES] = i->max_families;
	own->used[EXPO_RESOURCE_SERIES] = i->series;
	own->capacity[EXPO_RESOURCE_SERIES] = i->max_series;
	own->used[EXPO_RESOURCE_VALUES] = i->values_used;
	own->capacity[EXPO_RESOURCE_VALUES] = i->value_slots;
	own->used[EXPO_RESOURCE_STRINGS] = i->strings_used;
	own->capacity[EXPO_RESOURCE_STRINGS] = i->string_bytes;
	for (k = 0; k < MSTORE_REFUSAL_KINDS; k++)
		own->refused[k] = i->refused[k];
}

/* The responder's own families, rendered with (or instead of) the store's. */
static void
fill_own(const struct store_job *j, struct expo_own *own)
{
	memset(own, 0, sizeof *own);
	own->writer_up = j->alive;
	own->have_store_age = 1; /* only rendered once the store is readable */
	own->store_age_seconds = (double)j->live.age_ns / (double)MSTORE_NS_PER_SEC;
	own->version = PACKAGE_VERSION;
	own->store_format = j->info.version;
	own->scrapes = j->s->scrapes;
	own->scrape_errors = j->s->scrape_errors;
	fill_own_store(j, own);
}

/* Grow *buf (of *cap bytes) to hold need bytes, keeping its content. */
static int
grow(char **buf, size_t *cap, size_t need)
{
	size_t c = *cap;

	if (need > BUF_MAX)
		return RESP_E_TOO_LARGE;
	while (c < need)
		c = c > BUF_MAX / 2 ? BUF_MAX : c * 2;
	*buf = xrealloc(*buf, c);
	*cap = c;
	return 0;
}

/* Send (the first time with the headers) or count p[0..n), the next part
 * of the body as it goes out. */
static int
take(struct store_job *j, const char *p, size_t n)
{
	if (j->mode == BODY_SEND && j->send(j->send_ctx, j->out, p, n, !j->started) != 0)
		return RESP_E_SEND;
	j->started = j->mode == BODY_SEND;
	j->taken += n;
	return 0;
}

/*
 * Compress p[0..n) into s->zbuf after what is there (with last: the rest
 * of the body, ending the gzip stream).  A full s->zbuf is taken (sent or
 * counted) and reused, or for CGI, which keeps the whole body, grown.
 */
static int
gzip_put(struct store_job *j, const char *p, size_t n, int last)
{
	struct resp_server *s = j->s;
	enum resp_gzip_result r;
	size_t used, wrote;
	int rc;

	for (;;) {
		r = resp_gzip_put(s->gz, p, n, last, s->zbuf + j->zlen, s->zcap - j->zlen, &used,
		                  &wrote);
		j->zlen += wrote;
		p += used;
		n -= used;
		if (r == RESP_GZIP_DONE)
			return 0;
		if (r == RESP_GZIP_ERROR || j->zlen == 0)
			return RESP_E_GZIP;
		if (j->mode == BODY_KEEP) {
			rc = grow(&s->zbuf, &s->zcap, s->zcap + 1);
		} else {
			rc = take(j, s->zbuf, j->zlen);
			j->zlen = 0;
		}
		if (rc != 0)
			return rc;
	}
}

/* The render buffer is full (expo_sink.flush): send, count, compress or
 * keep what it holds, then make room for need more bytes. */
static int
render_flush(struct expo_sink *k, size_t need)
{
	struct store_job *j = k->ctx;
	int rc;

	if (k->len > 0 && (j->gzip || j->mode != BODY_KEEP)) {
		rc = j->gzip ? gzip_put(j, k->buf, k->len, 0) : take(j, k->buf, k->len);
		if (rc != 0)
			return rc;
		k->len = 0;
	}
	if (k->cap - k->len < need) {
		rc = grow(&j->s->buf, &j->s->cap, k->len + need);
		if (rc != 0)
			return rc;
		k->buf = j->s->buf;
		k->cap = j->s->cap;
	}
	return 0;
}

/* Render /metrics through s->buf.  A stale writer gets only our own
 * families (NULL reader). */
static int
render(struct store_job *j)
{
	const struct mstore_reader *r = j->alive ? j->s->reader : NULL;
	struct expo_own own;
	struct expo_sink k;
	int rc;

	fill_own(j, &own);
	k.buf = j->s->buf;
	k.cap = j->s->cap;
	k.len = 0;
	k.flush = render_flush;
	k.ctx = j;
	rc = expo_render_stream(r, j->fmt, &own, &k);
	j->len = k.len;
	if (rc == 0 && j->gzip) {
		/* the rest of the body, and the end of the gzip stream */
		rc = gzip_put(j, j->s->buf, j->len, 1);
		j->len = 0;
	}
	/* a piece that kept outgrowing its room: values changing fast */
	return rc == EXPO_E_SPACE ? MSTORE_E_RETRY : rc;
}

/* The guarded part: everything that may touch the mapping. */
static int
store_work(void *arg)
{
	struct store_job *j = arg;
	int rc;

	rc = store_acquire(j);
	if (rc == 0)
		rc = mstore_reader_info(j->s->reader, &j->info);
	if (rc == 0) {
		rc = mstore_reader_liveness(j->s->reader, j->s->opts->stale_after_ns, &j->live);
		if (rc >= 0) {
			j->alive = rc;
			rc = 0;
		}
	}
	if (rc == 0 && j->render)
		rc = render(j);
	if (rc < 0 && rc != RESP_E_TOO_LARGE && j->saved_errno == 0)
		j->saved_errno = errno;
	return rc;
}

/* Describe a failed job in s->msg (also the rate-limit key: no ages). */
static void
describe_failure(const struct store_job *j, int faulted)
{
	struct resp_server *s = j->s;
	const char *path = s->opts->store_path;

	if (faulted)
		(void)snprintf(s->msg, sizeof s->msg,
		               "store truncated while reading: %s: reopening", path);
	else if (j->rc == RESP_E_TOO_LARGE)
		(void)snprintf(s->msg, sizeof s->msg, "%s: %s: over %zu bytes",
		               resp_strerror(j->rc), path, BUF_MAX);
	else if (j->rc == RESP_E_GZIP)
		(void)snprintf(s->msg, sizeof s->msg, "cannot serve %s: %s", path,
		               resp_strerror(j->rc));
	else if (j->rc == MSTORE_E_SYS)
		(void)snprintf(s->msg, sizeof s->msg, "store unavailable: %s: %s", path,
		               strerror(j->saved_errno));
	else
		(void)snprintf(s->msg, sizeof s->msg, "store invalid: %s: %s", path,
		               resp_strerror(j->rc));
}

/* Log a store problem once, until it changes (scrapes come every few
 * seconds; the log must not fill with copies of one line).  key names the
 * problem; line (NULL: key) is what is logged, with figures that may move
 * from one request to the next. */
static void
note_problem(struct resp_server *s, const char *key, const char *line)
{
	if (strcmp(s->last_problem, key) == 0)
		return;
	log_warn("%s", line != NULL ? line : key);
	(void)snprintf(s->last_problem, sizeof s->last_problem, "%s", key);
}

/* Why the writer of a readable store does not count as alive, as
 * "writer stale: PATH: reason" (no newline) in buf; returns the
 * rate-limit key of that reason (without its figures). */
static const char *
describe_not_alive(const struct store_job *j, char *buf, size_t n)
{
	const struct mstore_liveness *l = &j->live;
	const char *path = j->s->opts->store_path;
	double sec = (double)MSTORE_NS_PER_SEC;

	switch (l->state) {
	case MSTORE_WRITER_OTHER_BOOT:
		(void)snprintf(buf, n,
		               "writer stale: %s: heartbeat from another boot "
		               "(stamped before a reboot, or on another host)",
		               path);
		return "writer stale: other boot";
	case MSTORE_WRITER_FUTURE:
		(void)snprintf(buf, n,
		               "writer stale: %s: heartbeat %.3f s in the future "
		               "(a clock problem, not proof of life)",
		               path, (double)l->ahead_ns / sec);
		return "writer stale: future";
	default:
		(void)snprintf(buf, n, "writer stale: %s: last heartbeat %.3f s ago (limit %.3f s)",
		               path, (double)l->age_ns / sec, (double)l->limit_ns / sec);
		return "writer stale";
	}
}

/* Log (once) that the writer is not alive, with the reason. */
static void
note_not_alive(const struct store_job *j)
{
	char why[MSG_MAX], line[MSG_MAX + 32];
	const char *key = describe_not_alive(j, why, sizeof why);

	(void)snprintf(line, sizeof line, "%s: serving own metrics only", why);
	note_problem(j->s, key, line);
}

/* The store served well.  /health does not render, so it cannot clear
 * a problem that only rendering finds (a bad series): alternating health
 * checks and scrapes would log the pair on every scrape. */
static void
note_ok(struct resp_server *s, int rendered)
{
	if (s->last_problem[0] == '\0' || (s->render_problem && !rendered))
		return;
	log_warn("store usable again: %s", s->opts->store_path);
	s->last_problem[0] = '\0';
}

/* Run the store job under the SIGBUS guard.  Returns 0, or -1 with the
 * reason in s->msg (and logged). */
static int
run_job(struct store_job *j)
{
	int faulted, rc = 0;

	faulted = resp_guard_call(store_work, j, &rc);
	if (faulted) {
		/* the mapping is unusable: drop it, reopen next time */
		mstore_reader_close(j->s->reader);
		j->s->reader = NULL;
	}
	j->rc = rc;
	if (!faulted && rc == 0)
		return 0;
	if (!faulted && rc == RESP_E_SEND) {
		/* normal: Prometheus timed out and went away */
		log_debug("cannot send metrics: %s", resp_strerror(rc));
		return -1;
	}
	j->s->render_problem = j->render;
	describe_failure(j, faulted);
	note_problem(j->s, j->s->msg, NULL);
	return -1;
}

/* ------------------------------------------------------------ replies */

static void
reply_text(struct resp_server *s, struct resp_reply *out, int status, const char *reason,
           const char *body)
{
	if (body != s->msg)
		(void)snprintf(s->msg, sizeof s->msg, "%s", body);
	out->status = status;
	out->reason = reason;
	out->content_type = text_plain;
	out->content_encoding = NULL;
	out->body = s->msg;
	out->len = strlen(s->msg);
}

/* Append a newline to s->msg (bodies are lines). */
static void
msg_newline(struct resp_server *s)
{
	size_t n = strlen(s->msg);

	if (n + 1 < sizeof s->msg) {
		s->msg[n] = '\n';
		s->msg[n + 1] = '\0';
	}
}

/* The renderer's format for the negotiated one. */
static enum expo_format
render_format(enum resp_http_format f)
{
	switch (f) {
	case RESP_HTTP_FORMAT_OPENMETRICS:
		return EXPO_OPENMETRICS;
	case RESP_HTTP_FORMAT_PROTOBUF:
		return EXPO_PROTOBUF;
	default:
		return EXPO_TEXT;
	}
}

/*
 * What goes before the reason in the last line of an aborted body, so
 * that no parser takes the body: nothing in the text formats (no parser
 * takes the line); in protobuf a message of one byte, 0x0f, a field of
 * wire type 7, which no decoder accepts (and inside a family cut short,
 * the byte 0x01 is already a field number 0, also refused).
 */
static const char *
abort_mark(enum expo_format f)
{
	return f == EXPO_PROTOBUF ? "\x01\x0f" : "";
}

/* The last line of a body that failed after it was started (abort_msg),
 * compressed after what went out when the body is gzipped. */
static void
abort_body(struct store_job *j, struct resp_reply *out)
{
	struct resp_server *s = j->s;

	(void)snprintf(s->abort_msg, sizeof s->abort_msg, "%sresponse aborted: %s\n",
	               abort_mark(j->fmt), s->msg);
	out->streamed = out->aborted = 1;
	out->body = s->abort_msg;
	out->len = strlen(s->abort_msg);
	if (!j->gzip)
		return;
	/* the gzip in s->zbuf is the part of the stream the line follows */
	out->body = s->zbuf;
	if (gzip_put(j, s->abort_msg, out->len, 1) != 0)
		j->zlen = 0;
	out->len = j->zlen;
}

static void
serve_metrics(struct resp_server *s, enum resp_http_format f, enum resp_http_coding c, int head,
              resp_send_fn *send, void *ctx, struct resp_reply *out)
{
	struct store_job j;

	memset(&j, 0, sizeof j);
	j.s = s;
	j.fmt = render_format(f);
	j.render = 1;
	j.mode = head ? BODY_COUNT : send != NULL ? BODY_SEND : BODY_KEEP;
	j.send = send;
	j.send_ctx = ctx;
	j.out = out;
	j.gzip = s->gz != NULL && c == RESP_HTTP_CODING_GZIP;
	if (j.gzip)
		resp_gzip_begin(s->gz);
	s->scrapes++;
	log_debug("metrics as %s%s", expo_content_type(j.fmt), j.gzip ? ", gzip" : "");
	/* what the first piece of a streamed body goes out with */
	out->status = 200;
	out->reason = "OK";
	out->content_type = expo_content_type(j.fmt);
	out->content_encoding = j.gzip ? RESP_GZIP_CODING : NULL;
	out->vary_accept = 1;
	out->vary_encoding = s->gz != NULL;
	if (run_job(&j) != 0) {
		if (j.rc != RESP_E_SEND)
			s->scrape_errors++;
		if (j.rc == RESP_E_SEND) {
			out->streamed = out->aborted = 1;
			return;
		}
		if (j.started) {
			/* Too late for a 503.  A last line that no parser takes
			 * makes the scrape fail even where the web server passes
			 * the cut-off body on as complete (lighttpd buffering it
			 * to compress it, nginx without fastcgi_keep_conn); the
			 * transport then also leaves the response unfinished. */
			abort_body(&j, out);
			return;
		}
		msg_newline(s);
		reply_text(s, out, 503, "Service Unavailable", s->msg);
		return;
	}
	if (!j.alive)
		note_not_alive(&j);
	else
		note_ok(s, 1);
	out->streamed = j.started;
	out->body = j.gzip ? s->zbuf : s->buf;
	out->len = j.gzip ? j.zlen : j.len;
	if (j.mode == BODY_COUNT)
		out->len += j.taken;
}

static void
serve_health(struct resp_server *s, struct resp_reply *out)
{
	struct store_job j;
	int n;

	memset(&j, 0, sizeof j);
	j.s = s;
	if (run_job(&j) != 0) {
		msg_newline(s);
		reply_text(s, out, 503, "Service Unavailable", s->msg);
		return;
	}
	if (!j.alive) {
		(void)describe_not_alive(&j, s->msg, sizeof s->msg);
		note_not_alive(&j);
		msg_newline(s);
		reply_text(s, out, 503, "Service Unavailable", s->msg);
		return;
	}
	note_ok(s, 0);
	n = j.live.state == MSTORE_WRITER_STATIC
	            ? snprintf(s->msg, sizeof s->msg, "ok: static store\n")
	            : snprintf(s->msg, sizeof s->msg, "ok: last heartbeat %.3f s ago\n",
	                       (double)j.live.age_ns / (double)MSTORE_NS_PER_SEC);
	/* Second line: who writes (a count that fits the buffer always). */
	if (n > 0 && (size_t)n < sizeof s->msg)
		(void)snprintf(s->msg + n, sizeof s->msg - (size_t)n,
		               "writers: %u live, %u stale, %u slots\n", j.live.writers_live,
		               j.live.writers_stale, j.info.max_writers);
	reply_text(s, out, 200, "OK", s->msg);
}

void
resp_serve(struct resp_server *s, const struct resp_request *rq, resp_send_fn *send, void *ctx,
           struct resp_reply *out)
{
	enum resp_http_route route;
	enum resp_http_method method;

	memset(out, 0, sizeof *out);
	route = resp_http_route(rq->path_info, rq->request_uri, rq->script_name);
	method = resp_http_method(rq->method);
	log_debug("%s %s%s: route %d", rq->method != NULL ? rq->method : "-",
	          rq->request_uri != NULL ? rq->request_uri : "",
	          rq->path_info != NULL ? rq->path_info : "", (int)route);
	if (route == RESP_HTTP_ROUTE_NONE) {
		reply_text(s, out, 404, "Not Found", "not found\n");
	} else if (method == RESP_HTTP_METHOD_OTHER) {
		reply_text(s, out, 405, "Method Not Allowed", "method not allowed\n");
		out->allow = RESP_HTTP_ALLOW;
	} else if (route == RESP_HTTP_ROUTE_METRICS) {
		serve_metrics(s, resp_http_negotiate(rq->accept),
		              resp_http_coding(rq->accept_encoding),
		              method == RESP_HTTP_METHOD_HEAD, send, ctx, out);
	} else {
		serve_health(s, out);
	}
	out->head_only = method == RESP_HTTP_METHOD_HEAD;
}
