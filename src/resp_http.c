/* SPDX-License-Identifier: MIT */
/*
 * resp_http.c - routing, method check and Accept negotiation for metrics.fcgi.
 * Pure string functions: no I/O, no allocation, no global state.  The rules
 * are documented in resp_http.h.
 */
#include "config.h"

#include "resp_http.h"

#include <string.h>
#include <strings.h>

/* q values are handled as integer thousandths: "0.5" is 500. */
#define Q_MAX 1000
/* RFC 9110 allows at most three digits after the decimal point in a q. */
#define Q_DECIMALS 3

/* Specificity of a matching media range (higher wins). */
enum spec {
	SPEC_NONE = -1,   /* no match */
	SPEC_ANY = 0,     /* star/star */
	SPEC_TYPE = 1,    /* type/star */
	SPEC_FULL = 2,    /* type/subtype */
	SPEC_VERSION = 3, /* type/subtype;version=... */
};

/* A borrowed, non-terminated piece of the header. */
struct span {
	const char *s;
	size_t len;
};

/* One parsed media range. */
struct media_range {
	struct span type, subtype, version;
	struct span proto, encoding; /* the protobuf format's parameters */
	int has_version;
	int has_proto, has_encoding;
	int escaping_ok; /* no escaping= parameter, or only ones we meet */
	int q;           /* thousandths */
};

/* The protobuf format: its media type and the parameters it must carry. */
#define PROTO_TYPE     "application"
#define PROTO_SUBTYPE  "vnd.google.protobuf"
#define PROTO_MESSAGE  "io.prometheus.client.MetricFamily"
#define PROTO_ENCODING "delimited"

/* ------------------------------------------------------------ routing */

const char *
resp_http_request_path(const char *path_info, const char *request_uri, const char *script_name,
                       size_t *len)
{
	if (path_info != NULL && *path_info != '\0') {
		*len = strlen(path_info);
		return path_info;
	}
	if (request_uri != NULL && *request_uri != '\0' && *request_uri != '?' &&
	    *request_uri != '#') {
		*len = strcspn(request_uri, "?#");
		return request_uri;
	}
	if (script_name != NULL) {
		*len = strlen(script_name);
		return script_name;
	}
	*len = 0;
	return "";
}

/* Does the span equal the NUL-terminated word exactly? */
static int
span_is(const char *s, size_t len, const char *word)
{
	return len == strlen(word) && memcmp(s, word, len) == 0;
}

enum resp_http_route
resp_http_route(const char *path_info, const char *request_uri, const char *script_name)
{
	const char *path, *seg;
	size_t len, seglen;

	path = resp_http_request_path(path_info, request_uri, script_name, &len);
	seg = path + len;
	while (seg > path && seg[-1] != '/')
		seg--;
	seglen = (size_t)(path + len - seg);
	if (span_is(seg, seglen, "metrics"))
		return RESP_HTTP_ROUTE_METRICS;
	if (span_is(seg, seglen, "health"))
		return RESP_HTTP_ROUTE_HEALTH;
	return RESP_HTTP_ROUTE_NONE;
}

enum resp_http_method
resp_http_method(const char *method)
{
	if (method == NULL)
		return RESP_HTTP_METHOD_OTHER;
	if (strcmp(method, "GET") == 0)
		return RESP_HTTP_METHOD_GET;
	if (strcmp(method, "HEAD") == 0)
		return RESP_HTTP_METHOD_HEAD;
	return RESP_HTTP_METHOD_OTHER;
}

/* -------------------------------------------------- Accept parsing */

static int
is_tchar(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static const char *
skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Read a token at *pp into *out; 0 if there is none. */
static int
read_token(const char **pp, struct span *out)
{
	const char *p = *pp;

	while (is_tchar(*p))
		p++;
	if (p == *pp)
		return 0;
	out->s = *pp;
	out->len = (size_t)(p - *pp);
	*pp = p;
	return 1;
}

/* Read a quoted-string (the quotes stripped, escapes kept as is). */
static int
read_quoted(const char **pp, struct span *out)
{
	const char *p = *pp + 1;

	out->s = p;
	for (;;) {
		if (*p == '\0')
			return 0;
		if (*p == '"')
			break;
		if (*p == '\\' && p[1] != '\0')
			p++;
		p++;
	}
	out->len = (size_t)(p - out->s);
	*pp = p + 1;
	return 1;
}

/* Parse a qvalue ("0", "0.5", "1.000") into thousandths, or -1. */
static int
parse_q(struct span v)
{
	size_t i, decimals = 0;
	int q, scale = Q_MAX;

	if (v.len == 0 || (v.s[0] != '0' && v.s[0] != '1'))
		return -1;
	q = (v.s[0] - '0') * Q_MAX;
	if (v.len == 1)
		return q;
	if (v.s[1] != '.')
		return -1;
	for (i = 2; i < v.len; i++) {
		if (v.s[i] < '0' || v.s[i] > '9' || ++decimals > Q_DECIMALS)
			return -1;
		scale /= 10;
		q += (v.s[i] - '0') * scale;
	}
	return q <= Q_MAX ? q : -1;
}

/*
 * Whether our output is what the escaping scheme (Prometheus 3, the
 * "escaping" parameter of a 1.0.0 format) asks for.  The store and the
 * renderer admit only legacy names ([a-zA-Z_:][a-zA-Z0-9_:]*), which
 * allow-utf-8, underscores and values leave as they are; dots doubles
 * every underscore, and an unknown scheme may do anything.
 */
static int
escaping_met(struct span v)
{
	return span_is(v.s, v.len, "allow-utf-8") || span_is(v.s, v.len, "underscores") ||
	       span_is(v.s, v.len, "values");
}

/* Parse one parameter ";name=value" (the ';' already consumed). */
static int
read_param(const char **pp, struct media_range *mr)
{
	struct span name, value;
	const char *p = skip_ows(*pp);

	if (!read_token(&p, &name) || *p != '=')
		return 0;
	p++;
	if (*p == '"' ? !read_quoted(&p, &value) : !read_token(&p, &value))
		return 0;
	if (name.len == 1 && (name.s[0] == 'q' || name.s[0] == 'Q')) {
		mr->q = parse_q(value);
		if (mr->q < 0)
			return 0;
	} else if (name.len == strlen("version") && strncasecmp(name.s, "version", name.len) == 0) {
		mr->version = value;
		mr->has_version = 1;
	} else if (name.len == strlen("escaping") &&
	           strncasecmp(name.s, "escaping", name.len) == 0) {
		mr->escaping_ok = mr->escaping_ok && escaping_met(value);
	} else if (name.len == strlen("proto") && strncasecmp(name.s, "proto", name.len) == 0) {
		mr->proto = value;
		mr->has_proto = 1;
	} else if (name.len == strlen("encoding") &&
	           strncasecmp(name.s, "encoding", name.len) == 0) {
		mr->encoding = value;
		mr->has_encoding = 1;
	}
	*pp = p;
	return 1;
}

/* The ";name=value" parameters after a media range or a coding, up to
 * the next ',' or the end, into mr: 0 if one is malformed. */
static int
read_params(const char **pp, struct media_range *mr)
{
	const char *p = *pp;

	for (;;) {
		p = skip_ows(p);
		if (*p == ',' || *p == '\0')
			break;
		if (*p != ';')
			return 0;
		p++;
		if (!read_param(&p, mr))
			return 0;
	}
	*pp = p;
	return 1;
}

/*
 * Parse one media range at *pp, up to (not including) the next ',' or the
 * end.  Returns 0 if it is malformed; *pp is then left anywhere inside
 * it and the caller skips to the next ','.
 */
static int
read_range(const char **pp, struct media_range *mr)
{
	const char *p = skip_ows(*pp);

	memset(mr, 0, sizeof *mr);
	mr->q = Q_MAX;
	mr->escaping_ok = 1;
	if (!read_token(&p, &mr->type) || *p != '/')
		return 0;
	p++;
	if (!read_token(&p, &mr->subtype))
		return 0;
	*pp = p;
	return read_params(pp, mr);
}

/* Skip to the ',' ending the current (malformed) range, honouring quotes. */
static const char *
skip_range(const char *p)
{
	int quoted = 0;

	for (; *p != '\0'; p++) {
		if (quoted && *p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == ',')
			break;
	}
	return p;
}

/* ------------------------------------------------------- matching */

static int
span_ieq(struct span a, const char *word)
{
	return a.len == strlen(word) && strncasecmp(a.s, word, a.len) == 0;
}

static int
span_eq(struct span a, const char *word)
{
	return span_is(a.s, a.len, word);
}

/* How specifically does mr name type/subtype with one of the versions
 * (NULL-terminated list)?  SPEC_NONE if it does not match. */
static enum spec
range_spec(const struct media_range *mr, const char *type, const char *subtype,
           const char *const *versions)
{
	size_t i;

	if (!mr->escaping_ok)
		return SPEC_NONE;
	if (span_eq(mr->type, "*"))
		return span_eq(mr->subtype, "*") ? SPEC_ANY : SPEC_NONE;
	if (!span_ieq(mr->type, type))
		return SPEC_NONE;
	if (span_eq(mr->subtype, "*"))
		return SPEC_TYPE;
	if (!span_ieq(mr->subtype, subtype))
		return SPEC_NONE;
	if (!mr->has_version)
		return SPEC_FULL;
	for (i = 0; versions[i] != NULL; i++)
		if (span_eq(mr->version, versions[i]))
			return SPEC_VERSION;
	return SPEC_NONE;
}

/* The protobuf format matches only its full type with both parameters
 * (there is no version to prefer, so that is SPEC_VERSION). */
static enum spec
proto_spec(const struct media_range *mr)
{
	if (!mr->escaping_ok || !span_ieq(mr->type, PROTO_TYPE) ||
	    !span_ieq(mr->subtype, PROTO_SUBTYPE) || !mr->has_proto || !mr->has_encoding ||
	    !span_eq(mr->proto, PROTO_MESSAGE) || !span_eq(mr->encoding, PROTO_ENCODING))
		return SPEC_NONE;
	return SPEC_VERSION;
}

/* The per-format result of scanning the header. */
struct format_score {
	enum spec spec;
	int q;
};

static void
score_range(struct format_score *fs, enum spec s, int q)
{
	if (s == SPEC_NONE || s < fs->spec)
		return;
	if (s > fs->spec || q > fs->q)
		fs->q = q;
	fs->spec = s;
}

enum resp_http_format
resp_http_negotiate(const char *accept)
{
	static const char *const om_versions[] = { "1.0.0", "0.0.1", NULL };
	static const char *const text_versions[] = { "0.0.4", "1.0.0", NULL };
	struct format_score om = { SPEC_NONE, 0 }, text = { SPEC_NONE, 0 };
	struct format_score proto = { SPEC_NONE, 0 };
	struct media_range mr;
	const char *p = accept;

	if (p == NULL)
		return RESP_HTTP_FORMAT_TEXT;
	while (*p != '\0') {
		if (read_range(&p, &mr)) {
			score_range(&om,
			            range_spec(&mr, "application", "openmetrics-text", om_versions),
			            mr.q);
			score_range(&text, range_spec(&mr, "text", "plain", text_versions), mr.q);
			score_range(&proto, proto_spec(&mr), mr.q);
		}
		p = skip_range(p);
		if (*p == ',')
			p++;
	}
	if (proto.q > text.q && proto.q > om.q)
		return RESP_HTTP_FORMAT_PROTOBUF;
	return om.q > text.q ? RESP_HTTP_FORMAT_OPENMETRICS : RESP_HTTP_FORMAT_TEXT;
}

/* ------------------------------------------- Accept-Encoding parsing */

/* The q of each coding that matters, from the header (-1: not listed). */
struct coding_q {
	int gzip, identity, star;
};

/*
 * Parse one coding at *pp, "name" or "name;q=0.5" (other parameters, of
 * which none are defined, are skipped), up to the next ',' or the end.
 * The parameters are read as a media range's (read_param), of which only
 * q counts here.  0 if it is malformed (the caller skips to the next ',').
 */
static int
read_coding(const char **pp, struct span *name, int *q)
{
	struct media_range params;
	const char *p = skip_ows(*pp);

	memset(&params, 0, sizeof params);
	params.q = Q_MAX;
	if (!read_token(&p, name) || !read_params(&p, &params))
		return 0;
	*q = params.q;
	*pp = p;
	return 1;
}

/* Keep the highest q of a coding listed more than once. */
static void
note_q(int *slot, int q)
{
	if (q > *slot)
		*slot = q;
}

enum resp_http_coding
resp_http_coding(const char *accept_encoding)
{
	struct coding_q cq = { -1, -1, -1 };
	struct span name;
	const char *p = accept_encoding;
	int q, gzip, identity;

	if (p == NULL)
		return RESP_HTTP_CODING_IDENTITY;
	while (*p != '\0') {
		if (read_coding(&p, &name, &q)) {
			if (span_ieq(name, "gzip") || span_ieq(name, "x-gzip"))
				note_q(&cq.gzip, q);
			else if (span_ieq(name, "identity"))
				note_q(&cq.identity, q);
			else if (span_eq(name, "*"))
				note_q(&cq.star, q);
		}
		p = skip_range(p);
		if (*p == ',')
			p++;
	}
	gzip = cq.gzip >= 0 ? cq.gzip : cq.star >= 0 ? cq.star : 0;
	/* unlisted, identity is acceptable without a preference: any q of
	 * gzip's wins over it */
	identity = cq.identity >= 0 ? cq.identity : cq.star >= 0 ? cq.star : 0;
	return gzip > 0 && gzip >= identity ? RESP_HTTP_CODING_GZIP : RESP_HTTP_CODING_IDENTITY;
}
