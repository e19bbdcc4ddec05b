#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""hostile.py - odd, malformed and abusive HTTP requests against lighttpd +
metrics.fcgi on 127.0.0.1:PORT, over raw sockets.

  hostile.py PORT [--rounds N] [--slow-seconds S] [--list] [--verbose]

Each case is sent on a fresh connection; the status line of the answer is
compared with what the case expects: an exact code where the responder (or
a documented lighttpd rule) decides, or "4xx" where lighttpd rejects the
request on its own and any client error is right.  Responder answers are
also checked for their headers (Allow on 405, Content-Type on 200).  After
the cases, a slowloris phase holds SLOW connections that dribble a partial
request for --slow-seconds while ordinary scrapes must still get 200.

Prints one line per failed case, then
  hostile: cases=N rounds=N requests=N failed=N slow_conns=N scrapes_during_slow=N
and exits 0 when nothing failed, 1 otherwise.
"""

import argparse
import socket
import sys
import time

TIMEOUT = 10
TEXT_CT = 'text/plain; version=0.0.4'
OM_CT = 'application/openmetrics-text; version=1.0.0'
SLOW_CONNS = 20


def req(method, path, headers=None, body=b'', version='HTTP/1.1'):
    lines = ['%s %s %s' % (method, path, version)]
    hs = {'Host': '127.0.0.1', 'Connection': 'close'}
    if headers:
        hs.update(headers)
    for k, v in hs.items():
        if v is not None:
            lines.append('%s: %s' % (k, v))
    return ('\r\n'.join(lines) + '\r\n\r\n').encode('utf-8', 'surrogateescape') + body


def cases():
    """(name, raw request, expected status: int or '4xx', checks)."""
    long_accept = ','.join('text/plain;q=0.%03d' % (i % 1000) for i in range(500))
    many_q = 'application/openmetrics-text;' + ';'.join('q=0.%d' % (i % 10) for i in range(300))
    many_headers = {'X-H%d' % i: 'v%d' % i for i in range(200)}
    c = [
        ('GET /metrics', req('GET', '/metrics'), 200, 'text'),
        ('HEAD /metrics', req('HEAD', '/metrics'), 200, 'head'),
        ('GET /health', req('GET', '/health'), 200, None),
        ('HTTP/1.0 without Host', b'GET /metrics HTTP/1.0\r\n\r\n', 200, 'text'),
        ('OpenMetrics Accept', req('GET', '/metrics', {'Accept': 'application/openmetrics-text;version=1.0.0'}), 200, 'om'),
        # methods: the responder allows GET and HEAD only (405 + Allow);
        # lighttpd answers methods it does not know itself (501 Not
        # Implemented for "get" and a 4000-byte method).
        ('PUT', req('PUT', '/metrics', {'Content-Length': '0'}), 405, 'allow'),
        ('DELETE', req('DELETE', '/metrics'), 405, 'allow'),
        ('POST with body', req('POST', '/metrics', {'Content-Length': '3'}, b'a=b'), 405, 'allow'),
        ('OPTIONS', req('OPTIONS', '/metrics'), 405, 'allow'),
        ('PROPFIND', req('PROPFIND', '/metrics', {'Content-Length': '0'}), 405, 'allow'),
        ('TRACE', req('TRACE', '/metrics'), 405, 'allow'),
        ('lowercase get', req('get', '/metrics'), 'any4xx5xx', None),
        ('long method', req('X' * 4000, '/metrics'), 'any4xx5xx', None),
        ('POST without length', req('POST', '/metrics'), '4xx', None),
        # paths
        ('404 path', req('GET', '/nope'), 404, None),
        ('trailing slash', req('GET', '/metrics/'), 404, None),
        ('longer name', req('GET', '/metricsx'), 404, None),
        ('dot-dot', req('GET', '/x/../metrics'), 200, 'text'),
        ('escaping dot-dot', req('GET', '/../../etc/passwd'), '4xx', None),
        ('encoded dot-dot', req('GET', '/%2e%2e/%2e%2e/etc/passwd'), '4xx', None),
        ('NUL escape', req('GET', '/metrics%00'), 400, None),
        ('NUL escape in query', req('GET', '/metrics?a=%00'), 400, None),
        ('double slash', req('GET', '//metrics'), 200, 'text'),
        ('unicode path', req('GET', '/m\u00e9trics'), '4xx', None),
        ('encoded unicode path', req('GET', '/m%C3%A9trics'), 404, None),
        ('invalid UTF-8 path', req('GET', '/metrics%ff'), '4xx', None),
        ('query string', req('GET', '/metrics?name[]=x&y=%20z&&='), 200, 'text'),
        ('long query', req('GET', '/metrics?' + 'a=b&' * 1500), 200, 'text'),
        ('8 KB path', req('GET', '/' + 'a' * 8192), (414, 431), None),
        ('64 KB path', req('GET', '/' + 'a' * 65536), (414, 431), None),
        ('fragment', req('GET', '/metrics#frag'), (200, 400, 404), None),
        ('absolute URI', req('GET', 'http://127.0.0.1/metrics'), 200, 'text'),
        ('asterisk', req('GET', '*'), '4xx', None),
        # Accept headers: the responder falls back to text on nonsense.
        ('Accept 6 KB', req('GET', '/metrics', {'Accept': long_accept[:6000]}), 200, 'text'),
        ('Accept 10 KB', req('GET', '/metrics', {'Accept': long_accept}), (200, 431), 'any'),
        ('Accept many q', req('GET', '/metrics', {'Accept': many_q}), (200,), 'any'),
        ('Accept q=abc', req('GET', '/metrics', {'Accept': 'application/openmetrics-text;q=abc'}), 200, 'text'),
        ('Accept no type', req('GET', '/metrics', {'Accept': ';q=1,/,;;;,,,=,"'}), 200, 'text'),
        ('Accept empty', req('GET', '/metrics', {'Accept': ''}), 200, 'text'),
        ('Accept quoted junk', req('GET', '/metrics', {'Accept': 'application/openmetrics-text;version="1.0.0\\";q=1'}), 200, 'any'),
        ('Accept q=0 for all', req('GET', '/metrics', {'Accept': '*/*;q=0'}), 200, 'text'),
        # headers
        ('200 headers', req('GET', '/metrics', many_headers), 200, 'text'),
        ('header without colon', b'GET /metrics HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n', 400, None),
        ('control byte in header', b'GET /metrics HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n', 400, None),
        ('HTTP/1.1 without Host', b'GET /metrics HTTP/1.1\r\n\r\n', 400, None),
        ('bad version', b'GET /metrics HTTP/9.9\r\nHost: x\r\n\r\n', 'any4xx5xx', None),
        ('garbage request line', b'\x00\x01\x02 \xff\xfe\r\n\r\n', 400, None),
        ('bare LF', b'GET /metrics HTTP/1.0\n\n', (200, 400), None),
        ('huge Content-Length', req('GET', '/metrics', {'Content-Length': '99999999999999999999'}), '4xx', None),
        ('negative Content-Length', req('GET', '/metrics', {'Content-Length': '-1'}), '4xx', None),
        ('chunked GET', req('GET', '/metrics', {'Transfer-Encoding': 'chunked'}, b'0\r\n\r\n'), (200, 400, 411, 501), None),
    ]
    return c


def send(raw, read_all=True):
    s = socket.create_connection(('127.0.0.1', PORT), timeout=TIMEOUT)
    try:
        try:
            s.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading it all
        data = b''
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
            if not read_all and b'\r\n\r\n' in data:
                break
        return data
    finally:
        s.close()


def parse(data):
    head, _, body = data.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    try:
        status = int(lines[0].split(' ')[1])
    except (IndexError, ValueError):
        return None, {}, body
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(':')
        hdrs[k.strip().lower()] = v.strip()
    return status, hdrs, body


def check_case(name, raw, want, extra):
    data = send(raw)
    status, hdrs, body = parse(data)
    if status is None:
        return 'no status line in %r' % data[:100]
    if VERBOSE:
        print('hostile: %-28s %d' % (name, status))
    if want == '4xx':
        ok = 400 <= status < 500
    elif want == 'any4xx5xx':
        ok = 400 <= status < 600
    elif isinstance(want, tuple):
        ok = status in want
    else:
        ok = status == want
    if not ok:
        return 'status %d, want %s' % (status, want)
    ct = hdrs.get('content-type', '')
    if status == 200 and extra in ('text', 'om', 'any', 'head'):
        if extra == 'text' and not ct.startswith(TEXT_CT):
            return 'Content-Type %r, want text' % ct
        if extra == 'om' and not ct.startswith(OM_CT):
            return 'Content-Type %r, want OpenMetrics' % ct
        if extra == 'any' and not (ct.startswith(TEXT_CT) or ct.startswith(OM_CT)):
            return 'Content-Type %r' % ct
        if extra == 'head' and body:
            return 'HEAD answered with a body of %d bytes' % len(body)
        if extra != 'head' and b'mstore_exporter_' not in body:
            return 'body lacks the responder families'
    if extra == 'allow' and hdrs.get('allow') != 'GET, HEAD':
        return 'Allow header %r' % hdrs.get('allow')
    return None


def pipelined():
    """Ten requests in one write: ten answers, all 200."""
    one = req('GET', '/health', {'Connection': 'keep-alive'})
    data = send(one * 9 + req('GET', '/health'))
    n = data.count(b'HTTP/1.1 200')
    return None if n == 10 else '%d of 10 pipelined answers were 200' % n


def slowloris(seconds):
    """Hold SLOW_CONNS connections dribbling a request; scrapes must go on."""
    conns = []
    for _ in range(SLOW_CONNS):
        s = socket.create_connection(('127.0.0.1', PORT), timeout=TIMEOUT)
        s.sendall(b'GET /metrics HTTP/1.1\r\nHost: x\r\n')
        conns.append(s)
    scrapes, errors = 0, []
    deadline = time.monotonic() + seconds
    i = 0
    while time.monotonic() < deadline:
        for s in conns:
            try:
                s.sendall(b'X-Slow-%d: y\r\n' % i)
            except OSError:
                pass  # lighttpd may drop a slow client: that is fine
        status, _, _ = parse(send(req('GET', '/metrics')))
        scrapes += 1
        if status != 200:
            errors.append('scrape during slowloris got %s' % status)
        i += 1
        time.sleep(0.2)
    for s in conns:
        s.close()
    return scrapes, errors


def main():
    global PORT, VERBOSE
    ap = argparse.ArgumentParser()
    ap.add_argument('port', type=int)
    ap.add_argument('--rounds', type=int, default=1)
    ap.add_argument('--slow-seconds', type=float, default=2)
    ap.add_argument('--list', action='store_true')
    ap.add_argument('--verbose', action='store_true', help='print every status')
    args = ap.parse_args()
    PORT = args.port
    VERBOSE = args.verbose
    all_cases = cases()
    if args.list:
        for name, _, want, _ in all_cases:
            print('%-28s %s' % (name, want))
        return 0
    failed = requests = 0
    for r in range(args.rounds):
        for name, raw, want, extra in all_cases:
            requests += 1
            try:
                why = check_case(name, raw, want, extra)
            except OSError as e:
                why = 'connection failed: %s' % e
            if why:
                failed += 1
                print('hostile: FAIL: round %d: %s: %s' % (r + 1, name, why), file=sys.stderr)
        requests += 10
        why = pipelined()
        if why:
            failed += 1
            print('hostile: FAIL: round %d: pipelined: %s' % (r + 1, why), file=sys.stderr)
    scrapes, errors = (0, [])
    if args.slow_seconds > 0:
        scrapes, errors = slowloris(args.slow_seconds)
        for e in errors:
            failed += 1
            print('hostile: FAIL: %s' % e, file=sys.stderr)
    print('hostile: cases=%d rounds=%d requests=%d failed=%d slow_conns=%d scrapes_during_slow=%d'
          % (len(all_cases) + 1, args.rounds, requests, failed,
             SLOW_CONNS if args.slow_seconds > 0 else 0, scrapes))
    return 1 if failed else 0


PORT = 0
VERBOSE = False
if __name__ == '__main__':
    sys.exit(main())
