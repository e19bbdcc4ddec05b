/* SPDX-License-Identifier: MIT */
/*
 * check_resp_http.c - Check suite for the responder's pure parts: routing tables
 * with the CGI parameters lighttpd, nginx and plain CGI really send, method
 * checks, Accept negotiation (Prometheus 2 and 3 headers, q=0, garbage),
 * the content coding from Accept-Encoding, option and --listen parsing,
 * and the SIGBUS guard.
 */
#include "config.h"

#include "resp_http.h"
#include "resp_guard.h"
#include "resp_opts.h"

#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
/* Size of the "huge" paths: far beyond any buffer a server would use. */
#define HUGE_LEN (1024 * 1024)

/* ------------------------------------------------------------ routing */

struct route_case {
	const char *what;
	const char *path_info, *request_uri, *script_name;
	enum resp_http_route want;
};

static const struct route_case route_cases[] = {
	/* lighttpd mod_fastcgi, "/metrics" => (... "check-local" => "disable") */
	{ "lighttpd metrics", NULL, "/metrics", "/metrics", RESP_HTTP_ROUTE_METRICS },
	{ "lighttpd health", NULL, "/health", "/health", RESP_HTTP_ROUTE_HEALTH },
	{ "lighttpd query", NULL, "/metrics?x=1&y", "/metrics", RESP_HTTP_ROUTE_METRICS },
	{ "lighttpd subpath", "/foo", "/metrics/foo", "/metrics", RESP_HTTP_ROUTE_NONE },
	{ "lighttpd prefix match", NULL, "/metricsx", "/metricsx", RESP_HTTP_ROUTE_NONE },
	{ "lighttpd trailing slash", "/", "/metrics/", "/metrics", RESP_HTTP_ROUTE_NONE },
	/* nginx, Debian's fastcgi_params: no PATH_INFO */
	{ "nginx metrics", NULL, "/metrics", "/metrics", RESP_HTTP_ROUTE_METRICS },
	{ "nginx health query", NULL, "/health?verbose", "/health", RESP_HTTP_ROUTE_HEALTH },
	{ "nginx empty PATH_INFO", "", "/metrics?a=b", "/metrics", RESP_HTTP_ROUTE_METRICS },
	{ "nginx mounted under prefix", NULL, "/app/metrics", "/app/metrics",
	  RESP_HTTP_ROUTE_METRICS },
	{ "nginx other", NULL, "/index.html", "/index.html", RESP_HTTP_ROUTE_NONE },
	{ "nginx root", NULL, "/", "/", RESP_HTTP_ROUTE_NONE },
	{ "nginx encoded", NULL, "/%6detrics", "/metrics", RESP_HTTP_ROUTE_NONE },
	/* plain CGI: /cgi-bin/metrics.fcgi/metrics */
	{ "cgi metrics", "/metrics", "/cgi-bin/metrics.fcgi/metrics", "/cgi-bin/metrics.fcgi",
	  RESP_HTTP_ROUTE_METRICS },
	{ "cgi health", "/health", "/cgi-bin/metrics.fcgi/health?x", "/cgi-bin/metrics.fcgi",
	  RESP_HTTP_ROUTE_HEALTH },
	{ "cgi no path info", NULL, "/cgi-bin/metrics.fcgi", "/cgi-bin/metrics.fcgi",
	  RESP_HTTP_ROUTE_NONE },
	{ "cgi no request uri", "/metrics", NULL, "/cgi-bin/metrics.fcgi",
	  RESP_HTTP_ROUTE_METRICS },
	{ "cgi other", "/other", NULL, "/cgi-bin/metrics.fcgi", RESP_HTTP_ROUTE_NONE },
	/* odd paths */
	{ "double slash", NULL, "//metrics", "//metrics", RESP_HTTP_ROUTE_METRICS },
	{ "trailing slash", NULL, "/metrics/", NULL, RESP_HTTP_ROUTE_NONE },
	{ "longer name", NULL, "/metricsx", NULL, RESP_HTTP_ROUTE_NONE },
	{ "shorter name", NULL, "/metric", NULL, RESP_HTTP_ROUTE_NONE },
	{ "upper case", NULL, "/METRICS", NULL, RESP_HTTP_ROUTE_NONE },
	{ "query", NULL, "/metrics?x", NULL, RESP_HTTP_ROUTE_METRICS },
	{ "query with path", NULL, "/metrics?/health", NULL, RESP_HTTP_ROUTE_METRICS },
	{ "fragment", NULL, "/health#top", NULL, RESP_HTTP_ROUTE_HEALTH },
	{ "bare word", NULL, "metrics", NULL, RESP_HTTP_ROUTE_METRICS },
	{ "query only uri", NULL, "?metrics", "/health", RESP_HTTP_ROUTE_HEALTH },
	{ "all empty", "", "", "", RESP_HTTP_ROUTE_NONE },
	{ "all unset", NULL, NULL, NULL, RESP_HTTP_ROUTE_NONE },
	{ "only script name", NULL, NULL, "/health", RESP_HTTP_ROUTE_HEALTH },
	{ "path info wins", "/health", "/metrics", "/metrics", RESP_HTTP_ROUTE_HEALTH },
};

START_TEST(test_route_table)
{
	const struct route_case *c = &route_cases[_i];
	enum resp_http_route got;

	got = resp_http_route(c->path_info, c->request_uri, c->script_name);
	ck_assert_msg(got == c->want, "%s: got %d, want %d", c->what, got, c->want);
}
END_TEST

START_TEST(test_route_request_path)
{
	size_t len;
	const char *p;

	p = resp_http_request_path(NULL, "/metrics?x", "/s", &len);
	ck_assert_uint_eq(len, strlen("/metrics"));
	ck_assert_int_eq(strncmp(p, "/metrics", len), 0);
	p = resp_http_request_path("/pi", "/metrics", "/s", &len);
	ck_assert_str_eq(p, "/pi");
	ck_assert_uint_eq(len, strlen("/pi"));
	p = resp_http_request_path(NULL, NULL, NULL, &len);
	ck_assert_str_eq(p, "");
	ck_assert_uint_eq(len, 0);
}
END_TEST

/* A HUGE_LEN path of repeated "/a" segments ending in tail. */
static char *
huge_path(const char *tail)
{
	size_t tl = strlen(tail), i;
	char *p = malloc(HUGE_LEN + tl + 1);

	ck_assert_ptr_nonnull(p);
	for (i = 0; i < HUGE_LEN; i++)
		p[i] = i % 2 == 0 ? '/' : 'a';
	memcpy(p + HUGE_LEN, tail, tl + 1);
	return p;
}

START_TEST(test_route_huge)
{
	char *p;

	p = huge_path("/metrics");
	ck_assert_int_eq(resp_http_route(NULL, p, NULL), RESP_HTTP_ROUTE_METRICS);
	ck_assert_int_eq(resp_http_route(p, NULL, NULL), RESP_HTTP_ROUTE_METRICS);
	free(p);
	p = huge_path("x");
	ck_assert_int_eq(resp_http_route(NULL, p, NULL), RESP_HTTP_ROUTE_NONE);
	free(p);
}
END_TEST

/*
 * Put s right before an inaccessible page, so any read past its NUL
 * faults (the picohttpparser trick).  Returns the copy; *base and *maplen
 * describe the mapping to unmap.
 */
static const char *
at_page_end(const char *s, void **base, size_t *maplen)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), len = strlen(s) + 1;
	char *m;

	ck_assert_uint_le(len, page);
	*maplen = 2 * page;
	m = mmap(NULL, *maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(m, MAP_FAILED);
	ck_assert_int_eq(mprotect(m + page, page, PROT_NONE), 0);
	memcpy(m + page - len, s, len);
	*base = m;
	return m + page - len;
}

START_TEST(test_no_overread)
{
	static const char *const inputs[] = {
		"",
		"/",
		"/metrics",
		"metrics",
		"?",
		"/health#",
		"text/plain;q=",
		"a/b;x=\"",
		"a/b;x=\"\\",
		"*/*;q=0.",
		",",
		";",
		"application/openmetrics-text;version=1.0.0",
	};
	size_t i, maplen;
	void *base;
	const char *s;

	for (i = 0; i < N_ELEMS(inputs); i++) {
		s = at_page_end(inputs[i], &base, &maplen);
		(void)resp_http_route(s, NULL, NULL);
		(void)resp_http_route(NULL, s, NULL);
		(void)resp_http_route(NULL, NULL, s);
		(void)resp_http_negotiate(s);
		(void)resp_http_method(s);
		ck_assert_int_eq(munmap(base, maplen), 0);
	}
}
END_TEST

/* ------------------------------------------------------------ methods */

struct method_case {
	const char *method;
	enum resp_http_method want;
};

static const struct method_case method_cases[] = {
	{ "GET", RESP_HTTP_METHOD_GET },      { "HEAD", RESP_HTTP_METHOD_HEAD },
	{ "POST", RESP_HTTP_METHOD_OTHER },   { "PUT", RESP_HTTP_METHOD_OTHER },
	{ "DELETE", RESP_HTTP_METHOD_OTHER }, { "OPTIONS", RESP_HTTP_METHOD_OTHER },
	{ "get", RESP_HTTP_METHOD_OTHER },    { "GET ", RESP_HTTP_METHOD_OTHER },
	{ "GETX", RESP_HTTP_METHOD_OTHER },   { "HEA", RESP_HTTP_METHOD_OTHER },
	{ "", RESP_HTTP_METHOD_OTHER },       { NULL, RESP_HTTP_METHOD_OTHER },
};

START_TEST(test_method_table)
{
	const struct method_case *c = &method_cases[_i];

	ck_assert_msg(resp_http_method(c->method) == c->want, "method %s",
	              c->method != NULL ? c->method : "(null)");
}
END_TEST

/* --------------------------------------------------------- negotiation */

struct accept_case {
	const char *what;
	const char *accept;
	enum resp_http_format want;
};

#define OM   RESP_HTTP_FORMAT_OPENMETRICS
#define TEXT RESP_HTTP_FORMAT_TEXT
#define PB   RESP_HTTP_FORMAT_PROTOBUF
#define PROTO_RANGE    \
	"application/" \
	"vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"

static const struct accept_case accept_cases[] = {
	{ "prometheus 2.42",
	  "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
	  "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
	  OM },
	/* 2.42 with --enable-feature=native-histograms (scrape/scrape.go,
	 * scrapeAcceptHeaderWithProtobuf) */
	{ "prometheus 2.42 native histograms",
	  PROTO_RANGE ",application/openmetrics-text;version=1.0.0;q=0.8,"
	              "application/openmetrics-text;version=0.0.1;q=0.75,"
	              "text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
	  PB },
	/* Prometheus 3, exactly as it builds the header (scrape/scrape.go
	 * acceptHeader, config/config.go ScrapeProtocolsHeaders and
	 * DefaultScrapeProtocols; q from 0.6 down, one step per protocol).
	 * 3.0-3.2, default (UTF-8 names): escaping=allow-utf-8 on every
	 * range, twice on text 1.0.0 (its table entry carries one too) */
	{ "prometheus 3.0 default",
	  "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
	  "application/openmetrics-text;version=0.0.1;escaping=allow-utf-8;q=0.5,"
	  "text/plain;version=1.0.0;escaping=allow-utf-8;escaping=allow-utf-8;q=0.4,"
	  "text/plain;version=0.0.4;escaping=allow-utf-8;q=0.3,*/*;q=0.2",
	  OM },
	/* 3.0-3.2, metric_name_validation_scheme: legacy */
	{ "prometheus 3.0 legacy names",
	  "application/openmetrics-text;version=1.0.0;q=0.6,"
	  "application/openmetrics-text;version=0.0.1;q=0.5,"
	  "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,"
	  "text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
	  OM },
	/* 3.0-3.3 with native histograms: protobuf first */
	{ "prometheus 3.0 protobuf first",
	  "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
	  "encoding=delimited;escaping=allow-utf-8;q=0.6,"
	  "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,"
	  "application/openmetrics-text;version=0.0.1;escaping=allow-utf-8;q=0.4,"
	  "text/plain;version=1.0.0;escaping=allow-utf-8;escaping=allow-utf-8;q=0.3,"
	  "text/plain;version=0.0.4;escaping=allow-utf-8;q=0.2,*/*;q=0.1",
	  PB },
	/* 3.4 and later, DefaultProtoFirstScrapeProtocols: no escaping= on
	 * the protobuf range */
	{ "prometheus 3.4+ protobuf first",
	  PROTO_RANGE ";q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;"
	              "q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,"
	              "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,"
	              "text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
	  PB },
	{ "prometheus 3.x protobuf only", PROTO_RANGE ";q=0.6,*/*;q=0.5", PB },
	{ "protobuf, escaping dots", PROTO_RANGE ";escaping=dots;q=0.6,text/plain;q=0.5", TEXT },
	{ "protobuf, escaping underscores", PROTO_RANGE ";escaping=underscores", PB },
	{ "protobuf without encoding",
	  "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily", TEXT },
	{ "protobuf without proto", "application/vnd.google.protobuf;encoding=delimited", TEXT },
	{ "protobuf text encoding",
	  "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text",
	  TEXT },
	{ "protobuf other message",
	  "application/vnd.google.protobuf;proto=io.prometheus.client.Metric;encoding=delimited",
	  TEXT },
	{ "protobuf case and quotes",
	  "Application/Vnd.Google.Protobuf ; PROTO=\"io.prometheus.client.MetricFamily\" ; "
	  "Encoding=\"delimited\"",
	  PB },
	{ "protobuf q=0", PROTO_RANGE ";q=0,*/*;q=0.1", TEXT },
	{ "protobuf ties text", PROTO_RANGE ";q=0.5,text/plain;q=0.5", TEXT },
	{ "protobuf ties openmetrics", PROTO_RANGE ";q=0.5,application/openmetrics-text;q=0.5",
	  OM },
	{ "protobuf below openmetrics", PROTO_RANGE ";q=0.4,application/openmetrics-text;q=0.5",
	  OM },
	{ "protobuf above both",
	  "text/plain;q=0.5," PROTO_RANGE ";q=0.51,application/openmetrics-text;q=0.5", PB },
	{ "protobuf subtype star", "application/*;q=0.9,text/plain;q=0.5", OM },
	/* 3.3: text 1.0.0's entry lost its own escaping= */
	{ "prometheus 3.3 default",
	  "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
	  "application/openmetrics-text;version=0.0.1;escaping=allow-utf-8;q=0.5,"
	  "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,"
	  "text/plain;version=0.0.4;escaping=allow-utf-8;q=0.3,*/*;q=0.2",
	  OM },
	/* 3.4 and later (checked up to 3.14): escaping= only on the 1.0.0
	 * formats, metric_name_escaping_scheme (default allow-utf-8;
	 * underscores with legacy validation; dots; values) */
	{ "prometheus 3.4+ default",
	  "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
	  "application/openmetrics-text;version=0.0.1;q=0.5,"
	  "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,"
	  "text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
	  OM },
	{ "prometheus 3.4+ underscores",
	  "application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6,"
	  "application/openmetrics-text;version=0.0.1;q=0.5,"
	  "text/plain;version=1.0.0;escaping=underscores;q=0.4,"
	  "text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
	  OM },
	{ "prometheus 3.4+ values",
	  "application/openmetrics-text;version=1.0.0;escaping=values;q=0.6,"
	  "application/openmetrics-text;version=0.0.1;q=0.5,"
	  "text/plain;version=1.0.0;escaping=values;q=0.4,"
	  "text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
	  OM },
	/* dots would double every underscore of our names: OpenMetrics
	 * 1.0.0 is out, 0.0.1 (no escaping in it) still wins */
	{ "prometheus 3.4+ dots",
	  "application/openmetrics-text;version=1.0.0;escaping=dots;q=0.6,"
	  "application/openmetrics-text;version=0.0.1;q=0.5,"
	  "text/plain;version=1.0.0;escaping=dots;q=0.4,"
	  "text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
	  OM },
	/* scrape_protocols: [OpenMetricsText1.0.0, PrometheusText0.0.4] */
	{ "prometheus 3.4+ dots, OpenMetrics 1.0.0 or text",
	  "application/openmetrics-text;version=1.0.0;escaping=dots;q=0.6,"
	  "text/plain;version=0.0.4;q=0.5,*/*;q=0.4",
	  TEXT },
	{ "prometheus 3.4+ OpenMetrics 1.0.0 or text",
	  "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
	  "text/plain;version=0.0.4;q=0.5,*/*;q=0.4",
	  OM },
	/* scrape_protocols: [PrometheusText1.0.0, OpenMetricsText1.0.0] */
	{ "prometheus 3.4+ text 1.0.0 first",
	  "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.6,"
	  "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,*/*;q=0.4",
	  TEXT },
	{ "prometheus 3.4+ text 1.0.0 only",
	  "text/plain;version=1.0.0;escaping=underscores;q=0.6,*/*;q=0.5", TEXT },
	{ "unknown escaping", "application/openmetrics-text;escaping=hex,text/plain;q=0.1", TEXT },
	{ "escaping on a wildcard", "application/*;escaping=dots,text/plain;q=0.1", TEXT },
	{ "escaping name case", "application/openmetrics-text;Escaping=underscores", OM },
	{ "prometheus 2 text only", "text/plain;version=0.0.4;q=1,*/*;q=0.1", TEXT },
	{ "protobuf preferred",
	  "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
	  "encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
	  PB },
	{ "openmetrics alone", "application/openmetrics-text", OM },
	{ "openmetrics 0.0.1", "application/openmetrics-text;version=0.0.1", OM },
	{ "openmetrics unknown version", "application/openmetrics-text;version=2.0.0", TEXT },
	{ "case and spaces and quotes",
	  "APPLICATION/OpenMetrics-Text ; Version=\"1.0.0\" ; Q=0.9 , text/plain ;q=0.8", OM },
	{ "q=0 openmetrics", "application/openmetrics-text;q=0,text/plain", TEXT },
	{ "q=0 with version beats star", "application/openmetrics-text;version=1.0.0;q=0,*/*",
	  TEXT },
	{ "q=0 text", "text/plain;q=0,application/openmetrics-text;q=0.1", OM },
	{ "q=0 everything", "application/openmetrics-text;q=0,text/plain;q=0", TEXT },
	{ "tie prefers text",
	  "text/plain;version=0.0.4;q=0.5,application/openmetrics-text;"
	  "version=1.0.0;q=0.5",
	  TEXT },
	{ "star star", "*/*", TEXT },
	{ "application star", "application/*", OM },
	{ "type stars", "application/*;q=0.5,text/*;q=0.6", TEXT },
	{ "specific beats star",
	  "*/*;q=1,text/plain;q=0.1,"
	  "application/openmetrics-text;q=0.2",
	  OM },
	{ "highest q among equals",
	  "application/openmetrics-text;q=0.1,application/openmetrics-text;q=0.9,"
	  "text/plain;q=0.5",
	  OM },
	{ "q too big dropped", "application/openmetrics-text;q=1.5", TEXT },
	{ "q too precise dropped", "application/openmetrics-text;q=0.0001", TEXT },
	{ "q not a number dropped", "application/openmetrics-text;q=high", TEXT },
	{ "q empty dropped", "application/openmetrics-text;q=", TEXT },
	{ "q max", "application/openmetrics-text;q=1.000,text/plain;q=0.999", OM },
	{ "unterminated quote", "application/openmetrics-text;foo=\"bar", TEXT },
	{ "quoted comma",
	  "text/plain;foo=\"a,application/openmetrics-text\";q=0.1,"
	  "application/openmetrics-text;q=0.2",
	  OM },
	{ "quoted comma alone", "text/plain;foo=\"a,application/openmetrics-text\"", TEXT },
	{ "malformed then good", "%%%,application/openmetrics-text", OM },
	{ "missing subtype", "application/,application", TEXT },
	{ "stray semicolons", ";;;,,,", TEXT },
	{ "empty", "", TEXT },
	{ "null", NULL, TEXT },
	{ "garbage", "\x01\xff garbage \"", TEXT },
	{ "json only", "application/json", TEXT },
	{ "html browser", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", TEXT },
};

START_TEST(test_negotiate_table)
{
	const struct accept_case *c = &accept_cases[_i];

	ck_assert_msg((int)resp_http_negotiate(c->accept) == (int)c->want, "%s: [%s]", c->what,
	              c->accept != NULL ? c->accept : "(null)");
}
END_TEST

/* ---------------------------------------------------- content coding */

struct coding_case {
	const char *what;
	const char *accept_encoding;
	enum resp_http_coding want;
};

#define IDENTITY RESP_HTTP_CODING_IDENTITY
#define GZIP     RESP_HTTP_CODING_GZIP

static const struct coding_case coding_cases[] = {
	/* Prometheus 2.42 and 3 (scrape/scrape.go: acceptEncodingHeader) */
	{ "prometheus", "gzip", GZIP },
	{ "curl --compressed", "deflate, gzip, br, zstd", GZIP },
	{ "browser", "gzip, deflate, br", GZIP },
	{ "absent", NULL, IDENTITY },
	{ "empty", "", IDENTITY },
	{ "identity only", "identity", IDENTITY },
	{ "other codings", "br, zstd;q=0.8, deflate", IDENTITY },
	{ "case", "GZip", GZIP },
	{ "alias", "x-gzip", GZIP },
	{ "spaces", "  gzip  ;  q=0.5  ", GZIP },
	{ "q 1", "gzip;q=1", GZIP },
	{ "q upper-case name", "gzip;Q=0.3", GZIP },
	{ "q=0 never", "gzip;q=0", IDENTITY },
	{ "q=0.000 never", "gzip;q=0.000", IDENTITY },
	{ "q=0 with star", "gzip;q=0, *", IDENTITY },
	{ "q=0 with identity;q=0", "gzip;q=0, identity;q=0", IDENTITY },
	{ "identity preferred", "gzip;q=0.5, identity", IDENTITY },
	{ "gzip preferred", "gzip, identity;q=0.5", GZIP },
	{ "tie: gzip", "identity;q=0.7, gzip;q=0.7", GZIP },
	{ "identity;q=0 and gzip", "identity;q=0, gzip;q=0.1", GZIP },
	{ "star", "*", GZIP },
	{ "star q=0", "*;q=0", IDENTITY },
	{ "star and identity", "*;q=0.5, identity", IDENTITY },
	{ "identity;q=0 and star", "identity;q=0, *", GZIP },
	{ "identity;q=0 alone", "identity;q=0", IDENTITY },
	{ "gzip beats star;q=0", "*;q=0, gzip", GZIP },
	{ "repeated: highest q", "gzip;q=0, gzip;q=0.4", GZIP },
	{ "other parameter", "gzip;level=9;q=0.9", GZIP },
	{ "quoted parameter", "gzip;x=\"a,identity\";q=1", GZIP },
	{ "malformed q drops it", "gzip;q=2", IDENTITY },
	{ "malformed q, then good", "gzip;q=x, gzip", GZIP },
	{ "no value", "gzip;q", IDENTITY },
	{ "gzip as a prefix", "gzipped, xgzip, gzip2", IDENTITY },
	{ "stray commas", ",,gzip,,", GZIP },
	{ "garbage", "\x01\xff \"gzip", IDENTITY },
	{ "media type by mistake", "text/plain, gzip", GZIP },
};

START_TEST(test_coding_table)
{
	const struct coding_case *c = &coding_cases[_i];

	ck_assert_msg((int)resp_http_coding(c->accept_encoding) == (int)c->want, "%s: [%s]",
	              c->what, c->accept_encoding != NULL ? c->accept_encoding : "(null)");
}
END_TEST

/* ------------------------------------------------------------ options */

START_TEST(test_opts_defaults)
{
	char *argv[] = { (char[]){ "metrics.fcgi" }, NULL };
	char cause[RESP_CAUSE_MAX];
	struct resp_opts o;

	ck_assert_int_eq(unsetenv("METRICS_STORE"), 0);
	ck_assert_int_eq(unsetenv("METRICS_STALE_AFTER"), 0);
	ck_assert_int_eq(resp_opts_parse(&o, 1, argv, cause, sizeof cause), RESP_OPTS_RUN);
	ck_assert_str_eq(o.store_path, DEFAULT_STORE_PATH);
	ck_assert_ptr_null(o.listen);
	ck_assert_int_eq(o.stale_after_ns, 0);
	ck_assert_int_eq(o.verbosity, 0);
	ck_assert_int_eq(o.gzip, 1);
}
END_TEST

START_TEST(test_opts_env_and_flags)
{
	char *argv[] = { (char[]){ "metrics.fcgi" },
		         (char[]){ "-vv" },
		         (char[]){ "--listen" },
		         (char[]){ ":9000" },
		         (char[]){ "--stale-after=2.5" },
		         (char[]){ "--socket-mode" },
		         (char[]){ "0600" },
		         NULL };
	char *argv2[] = { (char[]){ "metrics.fcgi" }, (char[]){ "--store" },
		          (char[]){ "/flag/store" }, (char[]){ "--no-gzip" }, NULL };
	char cause[RESP_CAUSE_MAX];
	struct resp_opts o;

	ck_assert_int_eq(setenv("METRICS_STORE", "/env/store", 1), 0);
	ck_assert_int_eq(setenv("METRICS_STALE_AFTER", "7", 1), 0);
	ck_assert_int_eq(resp_opts_parse(&o, 7, argv, cause, sizeof cause), RESP_OPTS_RUN);
	ck_assert_str_eq(o.store_path, "/env/store");
	ck_assert_str_eq(o.listen, ":9000");
	ck_assert_int_eq(o.stale_after_ns, 2500000000LL);
	ck_assert_int_eq(o.verbosity, 2);
	ck_assert_int_eq(o.socket_mode, 0600);
	ck_assert_int_eq(o.gzip, 1);
	ck_assert_int_eq(resp_opts_parse(&o, 4, argv2, cause, sizeof cause), RESP_OPTS_RUN);
	ck_assert_str_eq(o.store_path, "/flag/store");
	ck_assert_int_eq(o.gzip, 0);
	ck_assert_int_eq(o.stale_after_ns, 7000000000LL);
}
END_TEST

struct opts_case {
	const char *arg1, *arg2;
	enum resp_opts_result want;
	const char *cause_has;
};

static const struct opts_case opts_cases[] = {
	{ "--help", NULL, RESP_OPTS_HELP, NULL },
	{ "-h", NULL, RESP_OPTS_HELP, NULL },
	{ "--version", NULL, RESP_OPTS_VERSION, NULL },
	{ "--bogus", NULL, RESP_OPTS_ERROR, "unknown option: --bogus" },
	{ "-x", NULL, RESP_OPTS_ERROR, "unknown option: -x" },
	{ "--store", NULL, RESP_OPTS_ERROR, "needs a value: --store" },
	{ "--stale-after", "0", RESP_OPTS_ERROR, "bad option value: 0" },
	{ "--stale-after", "-1", RESP_OPTS_ERROR, "bad option value" },
	{ "--stale-after", "nan", RESP_OPTS_ERROR, "bad option value" },
	{ "--stale-after", "5s", RESP_OPTS_ERROR, "bad option value" },
	{ "--socket-mode", "999", RESP_OPTS_ERROR, "bad option value" },
	{ "--backlog", "0", RESP_OPTS_ERROR, "bad option value" },
	{ "--no-gzip=1", NULL, RESP_OPTS_ERROR, "unknown option: --no-gzip=1" },
	{ "extra", NULL, RESP_OPTS_ERROR, "unexpected argument: extra" },
};

START_TEST(test_opts_table)
{
	const struct opts_case *c = &opts_cases[_i];
	char *argv[] = { (char[]){ "metrics.fcgi" }, (char *)c->arg1, (char *)c->arg2, NULL };
	int argc = c->arg2 != NULL ? 3 : 2;
	char cause[RESP_CAUSE_MAX] = "";
	struct resp_opts o;

	ck_assert_int_eq(unsetenv("METRICS_STALE_AFTER"), 0);
	ck_assert_int_eq(resp_opts_parse(&o, argc, argv, cause, sizeof cause), c->want);
	if (c->cause_has != NULL)
		ck_assert_msg(strstr(cause, c->cause_has) != NULL, "cause [%s]", cause);
}
END_TEST

START_TEST(test_opts_bad_env)
{
	char *argv[] = { (char[]){ "metrics.fcgi" }, NULL };
	char cause[RESP_CAUSE_MAX];
	struct resp_opts o;

	ck_assert_int_eq(setenv("METRICS_STALE_AFTER", "soon", 1), 0);
	ck_assert_int_eq(resp_opts_parse(&o, 1, argv, cause, sizeof cause), RESP_OPTS_ERROR);
	ck_assert_ptr_nonnull(strstr(cause, "METRICS_STALE_AFTER"));
}
END_TEST

struct addr_case {
	const char *spec;
	int ok, is_unix;
	const char *host_or_path, *port;
};

static const struct addr_case addr_cases[] = {
	{ "/run/metrics/metrics.sock", 1, 1, "/run/metrics/metrics.sock", NULL },
	{ "./sock", 1, 1, "./sock", NULL },
	{ "9000", 1, 0, "127.0.0.1", "9000" },
	{ ":9000", 1, 0, "127.0.0.1", "9000" },
	{ "0.0.0.0:9000", 1, 0, "0.0.0.0", "9000" },
	{ "localhost:1", 1, 0, "localhost", "1" },
	{ "[::1]:65535", 1, 0, "::1", "65535" },
	{ "[]:80", 1, 0, "127.0.0.1", "80" },
	{ "", 0, 0, NULL, NULL },
	{ "sock", 0, 0, NULL, NULL },
	{ ":0", 0, 0, NULL, NULL },
	{ ":65536", 0, 0, NULL, NULL },
	{ "host:", 0, 0, NULL, NULL },
	{ "host:+80", 0, 0, NULL, NULL },
	{ ":-1", 0, 0, NULL, NULL },
	{ "a[b:80", 0, 0, NULL, NULL },
};

START_TEST(test_addr_table)
{
	const struct addr_case *c = &addr_cases[_i];
	char cause[RESP_CAUSE_MAX] = "";
	struct resp_addr a;
	int rc;

	rc = resp_addr_parse(c->spec, &a, cause, sizeof cause);
	ck_assert_msg((rc == 0) == c->ok, "spec [%s] rc %d cause [%s]", c->spec, rc, cause);
	if (!c->ok) {
		ck_assert_ptr_nonnull(strstr(cause, c->spec));
		return;
	}
	ck_assert_int_eq(a.is_unix, c->is_unix);
	if (c->is_unix) {
		ck_assert_str_eq(a.path, c->host_or_path);
	} else {
		ck_assert_str_eq(a.host, c->host_or_path);
		ck_assert_str_eq(a.port, c->port);
	}
}
END_TEST

START_TEST(test_addr_long_path)
{
	char spec[sizeof(((struct resp_addr *)0)->path) + 2];
	char cause[RESP_CAUSE_MAX];
	struct resp_addr a;

	memset(spec, 'a', sizeof spec - 1);
	spec[0] = '/';
	spec[sizeof spec - 1] = '\0';
	ck_assert_int_eq(resp_addr_parse(spec, &a, cause, sizeof cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "too long"));
}
END_TEST

/* -------------------------------------------------------------- guard */

/* Map a file of one page, then truncate it: reading the page faults. */
struct guard_arg {
	const volatile char *p;
};

static int
guard_touch(void *arg)
{
	const struct guard_arg *g = arg;

	return g->p[0] + 1;
}

START_TEST(test_guard_sigbus)
{
	char path[] = "/tmp/check_resp_http.XXXXXX";
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct guard_arg g;
	void *m;
	int fd, rc = -1;

	ck_assert_int_eq(resp_guard_install(), 0);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)page), 0);
	m = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(m, MAP_FAILED);
	g.p = m;
	/* intact: the call runs and returns */
	ck_assert_int_eq(resp_guard_call(guard_touch, &g, &rc), 0);
	ck_assert_int_eq(rc, 1);
	/* truncated under the mapping: SIGBUS, caught */
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	rc = -1;
	ck_assert_int_eq(resp_guard_call(guard_touch, &g, &rc), 1);
	ck_assert_int_eq(rc, -1);
	/* the guard is reusable after a fault */
	ck_assert_int_eq(resp_guard_call(guard_touch, &g, &rc), 1);
	ck_assert_int_eq(munmap(m, page), 0);
	ck_assert_int_eq(close(fd), 0);
}
END_TEST

static Suite *
resp_http_suite(void)
{
	Suite *s = suite_create("resp_http");
	TCase *tc;

	tc = tcase_create("route");
	tcase_add_loop_test(tc, test_route_table, 0, (int)N_ELEMS(route_cases));
	tcase_add_test(tc, test_route_request_path);
	tcase_add_test(tc, test_route_huge);
	tcase_add_test(tc, test_no_overread);
	suite_add_tcase(s, tc);

	tc = tcase_create("method");
	tcase_add_loop_test(tc, test_method_table, 0, (int)N_ELEMS(method_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("negotiate");
	tcase_add_loop_test(tc, test_negotiate_table, 0, (int)N_ELEMS(accept_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("coding");
	tcase_add_loop_test(tc, test_coding_table, 0, (int)N_ELEMS(coding_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("options");
	tcase_add_test(tc, test_opts_defaults);
	tcase_add_test(tc, test_opts_env_and_flags);
	tcase_add_loop_test(tc, test_opts_table, 0, (int)N_ELEMS(opts_cases));
	tcase_add_test(tc, test_opts_bad_env);
	tcase_add_loop_test(tc, test_addr_table, 0, (int)N_ELEMS(addr_cases));
	tcase_add_test(tc, test_addr_long_path);
	suite_add_tcase(s, tc);

	tc = tcase_create("guard");
	tcase_add_test(tc, test_guard_sigbus);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(resp_http_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
