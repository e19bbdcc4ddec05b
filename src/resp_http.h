/* SPDX-License-Identifier: MIT */
/*
 * resp_http.h - the responder's HTTP decisions, free of I/O: which resource a
 * request names, whether its method is allowed, and which exposition format
 * its Accept header asks for.  Everything here is a pure function of its
 * string arguments (CGI/FastCGI parameters), so Check can test it with
 * tables of real environments from lighttpd, nginx and CGI.
 */
#ifndef RESP_HTTP_H
#define RESP_HTTP_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The resources metrics.fcgi serves. */
enum resp_http_route {
	RESP_HTTP_ROUTE_NONE = 0, /* anything else: 404 */
	RESP_HTTP_ROUTE_METRICS,  /* .../metrics */
	RESP_HTTP_ROUTE_HEALTH,   /* .../health */
};

enum resp_http_method {
	RESP_HTTP_METHOD_OTHER = 0, /* 405 with RESP_HTTP_ALLOW */
	RESP_HTTP_METHOD_GET,
	RESP_HTTP_METHOD_HEAD, /* like GET, headers only */
};

/* The value of the Allow header sent with 405. */
#define RESP_HTTP_ALLOW "GET, HEAD"

enum resp_http_format {
	RESP_HTTP_FORMAT_TEXT = 0,    /* text/plain; version=0.0.4 (the default) */
	RESP_HTTP_FORMAT_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
	RESP_HTTP_FORMAT_PROTOBUF, /* application/vnd.google.protobuf; proto=...; encoding=delimited */
};

/*
 * Route a request.  The arguments are the CGI parameters PATH_INFO,
 * REQUEST_URI and SCRIPT_NAME; any may be NULL (unset) or empty.
 *
 * The rule:
 *   1. The request path is PATH_INFO if it is non-empty; otherwise the
 *      part of REQUEST_URI before the first '?' or '#' if that is
 *      non-empty; otherwise SCRIPT_NAME.  (CGI puts the resource in
 *      PATH_INFO: /cgi-bin/metrics.fcgi/metrics.  lighttpd mod_fastcgi and
 *      nginx with Debian's fastcgi_params set REQUEST_URI and no PATH_INFO.
 *      lighttpd splits /metrics/x into SCRIPT_NAME=/metrics, PATH_INFO=/x.)
 *   2. The route is chosen by the LAST '/'-separated segment of that path,
 *      compared exactly (case-sensitive, no percent-decoding): "metrics" or
 *      "health".  Anything else is RESP_HTTP_ROUTE_NONE, including an empty last
 *      segment ("/metrics/"), a longer name ("/metricsx") and an empty path.
 *      So the responder can be mounted under any prefix (/app/metrics);
 *      repeated slashes ("//metrics") and query strings are harmless.
 * Never reads beyond the terminating NUL; any length is fine.
 */
enum resp_http_route resp_http_route(const char *path_info, const char *request_uri,
                                     const char *script_name);

/* The request path step 1 above picks (never NULL; "" when all are unset),
 * and its length (REQUEST_URI is cut at '?' or '#'). */
const char *resp_http_request_path(const char *path_info, const char *request_uri,
                                   const char *script_name, size_t *len);

/* Classify REQUEST_METHOD (may be NULL).  Methods are case-sensitive
 * (RFC 9110): only exactly "GET" and "HEAD" are allowed. */
enum resp_http_method resp_http_method(const char *method);

/*
 * Choose the exposition format from an Accept header (HTTP_ACCEPT; may be
 * NULL or empty: text).  Media ranges are parsed as in RFC 9110 12.5.1,
 * case-insensitively, with optional quoted parameter values:
 *   - application/openmetrics-text matches OpenMetrics when it has no
 *     version parameter or version 1.0.0 or 0.0.1 (both are served as
 *     1.0.0, which Prometheus parses either way); text/plain matches text
 *     when it has no version or version 0.0.4 or 1.0.0 (served as 0.0.4:
 *     text 1.0.0 differs only in allowing quoted UTF-8 names, which we
 *     never emit).
 *   - application/vnd.google.protobuf matches the protobuf format only with
 *     proto=io.prometheus.client.MetricFamily and encoding=delimited (the
 *     values compared exactly, as client_golang does): what Prometheus
 *     asks for first with native histograms enabled (2.x:
 *     --enable-feature=native-histograms; 3.x: scrape_protocols, or
 *     scrape_native_histograms).  No wildcard selects it.
 *   - Prometheus 3's escaping parameter (how names outside the legacy
 *     character set are to be escaped): allow-utf-8, underscores and
 *     values leave legacy names as they are, so the output is what was
 *     asked for; a range asking for dots (which doubles every
 *     underscore) or an unknown scheme matches nothing.  The response
 *     carries no escaping parameter (there was nothing to escape).  Other
 *     parameters (charset, ...) are ignored.
 *   - A wildcard subtype ("application/" or "text/" followed by an
 *     asterisk) matches its type; the full wildcard (asterisk, slash,
 *     asterisk) matches both.
 *   - Each format gets the q of its most specific matching range (full type
 *     with version > full type > wildcard subtype > full wildcard; the
 *     highest q among equally specific ones).  A missing q is 1; q=0 means
 *     "not acceptable"; a malformed q (not 0..1 with at most 3 decimals)
 *     drops that range.
 * Protobuf is chosen only when its q is strictly higher than both text's
 * and OpenMetrics'; otherwise OpenMetrics only when its q is strictly
 * higher than text's; everything else (ties, nothing acceptable, garbage)
 * gives text.
 */
enum resp_http_format resp_http_negotiate(const char *accept);

/* The content codings metrics.fcgi can send. */
enum resp_http_coding {
	RESP_HTTP_CODING_IDENTITY = 0, /* the body as rendered */
	RESP_HTTP_CODING_GZIP,         /* Content-Encoding: gzip */
};

/*
 * Choose the content coding from an Accept-Encoding header
 * (HTTP_ACCEPT_ENCODING; NULL when the request has none).  gzip only when
 * asked for (RFC 9110 12.5.3, codings compared case-insensitively):
 *   - no header, an empty one, or garbage: identity (RFC 9110 lets a server
 *     pick any coding when the header is absent; clients that can
 *     decompress say so);
 *   - gzip's q is that of "gzip" (or its alias "x-gzip"), else of "*",
 *     else 0; identity's is that of "identity", else of "*", else none
 *     stated (acceptable, but any q of gzip's wins); the highest q of
 *     repeated entries counts; q as in resp_http_negotiate(), a malformed
 *     one drops its entry;
 *   - gzip when its q is above 0 and at least identity's: "gzip;q=0"
 *     never, "gzip;q=0.5, identity" not, "gzip;q=0.5", "*" and
 *     "identity;q=0, *" yes.  When neither is acceptable ("identity;q=0"
 *     alone), identity all the same: the body is never refused for its
 *     coding.
 */
enum resp_http_coding resp_http_coding(const char *accept_encoding);

#ifdef __cplusplus
}
#endif
#endif /* RESP_HTTP_H */
