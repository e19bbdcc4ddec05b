#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""fcgi_records.py - speak FastCGI to metrics.fcgi on a unix socket and
check how it frames a response (FastCGI spec 1.0, sections 3.3, 5.3, 6.1).

usage: fcgi_records.py SOCKET OUT REQUEST...
       fcgi_records.py --idle-kept SOCKET
       fcgi_records.py --hold-kept SOCKET READYFILE SECONDS
REQUEST: METHOD:PATH, or METHOD:PATH:BODYBYTES to send a request body
(FCGI_STDIN) of that many bytes, or METHOD:PATH:BODYBYTES:CODINGS to send
HTTP_ACCEPT_ENCODING too (BODYBYTES may be empty).

Sends the requests one after the other on ONE connection, as a web server
with FastCGI keep-alive does (nginx's fastcgi_keep_conn): every request
but the last with FCGI_KEEP_CONN, each with a request id of its own, the
next one only after the previous response has ended.  For each response
it reads the records up to its FCGI_END_REQUEST and checks: version 1 and
that request's id on every record; only FCGI_STDOUT and FCGI_END_REQUEST;
the HTTP response headers in an FCGI_STDOUT record of their own (lighttpd
parses headers only from whole records and reads 8 KiB at a time until it
has them: doc/performance.md); the stream closed by an empty
FCGI_STDOUT, then FCGI_END_REQUEST with appStatus 0 and
FCGI_REQUEST_COMPLETE.  After the last response (no FCGI_KEEP_CONN) the
responder must close the connection with nothing more sent.  For the
request numbered i (from 1) it writes the headers to OUT.i.hdr, the body
to OUT.i.body and one line per record ("TYPE LENGTH") to OUT.i.records;
with a single request to OUT.hdr, OUT.body and OUT.records.

--idle-kept: GET /health with FCGI_KEEP_CONN, answered; then, the first
connection left idle, the same on a second connection: it must be
answered, and the idle one closed (the responder serves one connection at
a time).  --hold-kept: GET /health with FCGI_KEEP_CONN, answered; create
READYFILE and hold the connection open, idle, for SECONDS.

Exit 0, or 1 with one line saying what is wrong.
"""
import socket
import struct
import sys
import time

VERSION = 1
BEGIN_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT = 1, 3, 4, 5, 6
RESPONDER = 1
KEEP_CONN = 1
# The responder must answer within this, and close within CLOSE_TIMEOUT of
# its last response (seconds).
TIMEOUT = 30
CLOSE_TIMEOUT = 5
# Largest record content (contentLength is 16 bits).
CONTENT_MAX = 65535


def record(rtype, rid, content=b""):
    return struct.pack(">BBHHBx", VERSION, rtype, rid, len(content), 0) + content


def stream(rtype, rid, data):
    """data as records of rtype, then the empty record that ends the stream"""
    out = b"".join(record(rtype, rid, data[i:i + CONTENT_MAX])
                   for i in range(0, len(data), CONTENT_MAX))
    return out + record(rtype, rid)


def nv(name, value):
    def length(n):
        return struct.pack(">B", n) if n < 128 else struct.pack(">I", n | 0x80000000)
    n, v = name.encode(), value.encode()
    return length(len(n)) + length(len(v)) + n + v


def request(rid, method, uri, body, keep, codings=None):
    pairs = [("REQUEST_METHOD", method), ("SCRIPT_NAME", ""), ("PATH_INFO", uri),
             ("REQUEST_URI", uri), ("QUERY_STRING", ""), ("SERVER_PROTOCOL", "HTTP/1.1"),
             ("CONTENT_LENGTH", str(len(body))), ("GATEWAY_INTERFACE", "CGI/1.1")]
    if codings is not None:
        pairs.append(("HTTP_ACCEPT_ENCODING", codings))
    params = b"".join(nv(k, v) for k, v in pairs)
    begin = struct.pack(">HB5x", RESPONDER, KEEP_CONN if keep else 0)
    return record(BEGIN_REQUEST, rid, begin) + stream(PARAMS, rid, params) + stream(STDIN, rid, body)


class Reader:
    """Records from the connection, read as they arrive."""

    def __init__(self, sock):
        self.sock = sock
        self.data = bytearray()

    def fill(self, n):
        """at least n bytes buffered; False at end of connection"""
        while len(self.data) < n:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                return False
            self.data += chunk
        return True

    def record(self):
        """(version, type, request id, content), or None at end of connection"""
        if not self.fill(8):
            if self.data:
                raise AssertionError("%d stray bytes after the last record" % len(self.data))
            return None
        ver, rtype, rid, clen, plen = struct.unpack_from(">BBHHB", self.data, 0)
        if not self.fill(8 + clen + plen):
            raise AssertionError("record type %d cut short" % rtype)
        content = bytes(self.data[8:8 + clen])
        del self.data[:8 + clen + plen]
        return ver, rtype, rid, content


def read_response(reader, rid):
    """the records of request rid, up to and including FCGI_END_REQUEST"""
    recs = []
    while True:
        rec = reader.record()
        if rec is None:
            raise AssertionError("request %d: connection closed after %d records, "
                                 "before FCGI_END_REQUEST" % (rid, len(recs)))
        ver, rtype, got_rid, content = rec
        if ver != VERSION or got_rid != rid:
            raise AssertionError("request %d: record with version %d, request id %d"
                                 % (rid, ver, got_rid))
        recs.append((rtype, content))
        if rtype == END_REQUEST:
            return recs


def check_response(recs, rid):
    """the headers and body of a correctly framed response"""
    types = {t for t, _ in recs}
    if not types <= {STDOUT, END_REQUEST}:
        raise AssertionError("request %d: unexpected record types %s" % (rid, sorted(types)))
    if len(recs) < 3:
        raise AssertionError("request %d: only %d records" % (rid, len(recs)))
    end_body = recs[-1][1]
    if len(end_body) != 8:
        raise AssertionError("request %d: FCGI_END_REQUEST body of %d bytes" % (rid, len(end_body)))
    app_status, proto_status = struct.unpack_from(">IB", end_body)
    if app_status != 0 or proto_status != 0:
        raise AssertionError("request %d: END_REQUEST appStatus %d protocolStatus %d"
                             % (rid, app_status, proto_status))
    if recs[-2] != (STDOUT, b""):
        raise AssertionError("request %d: stdout not closed by an empty FCGI_STDOUT" % rid)
    stdout = [c for t, c in recs[:-2]]
    if any(t != STDOUT for t, _ in recs[:-2]) or b"" in stdout:
        raise AssertionError("request %d: records other than non-empty FCGI_STDOUT "
                             "before the end" % rid)
    head = stdout[0]
    if not head.endswith(b"\r\n\r\n") or head.count(b"\r\n\r\n") != 1:
        raise AssertionError("request %d: first FCGI_STDOUT record is not exactly "
                             "the headers: %r" % (rid, head[:80]))
    return head, b"".join(stdout[1:])


def parse_request(spec):
    parts = spec.split(":")
    if len(parts) not in (2, 3, 4):
        raise AssertionError("bad REQUEST %r (want METHOD:PATH[:BODYBYTES[:CODINGS]])" % spec)
    body = b"x" * int(parts[2]) if len(parts) >= 3 and parts[2] else b""
    return parts[0], parts[1], body, parts[3] if len(parts) == 4 else None


def connect(path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(TIMEOUT)
    sock.connect(path)
    return sock


def kept_health(path, rid):
    """a connection on which GET /health with FCGI_KEEP_CONN was answered"""
    sock = connect(path)
    sock.sendall(request(rid, "GET", "/health", b"", True))
    head, _ = check_response(read_response(Reader(sock), rid), rid)
    if not head.startswith(b"Status: 200 "):
        raise AssertionError("GET /health: %r" % head[:40])
    return sock


def idle_kept(path):
    first = kept_health(path, 1)
    second = kept_health(path, 2)
    first.settimeout(CLOSE_TIMEOUT)
    try:
        if first.recv(1) != b"":
            raise AssertionError("bytes on the idle kept connection")
    except socket.timeout:
        raise AssertionError("the idle kept connection was not closed while another "
                             "one was served")
    second.close()
    return 0


def hold_kept(path, ready, seconds):
    sock = kept_health(path, 1)
    open(ready, "w").close()
    time.sleep(float(seconds))
    sock.close()
    return 0


def main():
    if sys.argv[1:2] == ["--idle-kept"] and len(sys.argv) == 3:
        return idle_kept(sys.argv[2])
    if sys.argv[1:2] == ["--hold-kept"] and len(sys.argv) == 5:
        return hold_kept(*sys.argv[2:5])
    if len(sys.argv) < 4:
        raise AssertionError("usage: fcgi_records.py SOCKET OUT "
                             "METHOD:PATH[:BODYBYTES[:CODINGS]]...")
    path, out = sys.argv[1:3]
    reqs = [parse_request(a) for a in sys.argv[3:]]
    sock = connect(path)
    reader = Reader(sock)
    for i, (method, uri, body, codings) in enumerate(reqs, 1):
        keep = i < len(reqs)
        try:
            sock.sendall(request(i, method, uri, body, keep, codings))
        except OSError as e:
            raise AssertionError("request %d (%s %s) not sent: %s: the connection was "
                                 "not kept" % (i, method, uri, e))
        recs = read_response(reader, i)
        head, body = check_response(recs, i)
        name = out if len(reqs) == 1 else "%s.%d" % (out, i)
        with open(name + ".hdr", "wb") as f:
            f.write(head)
        with open(name + ".body", "wb") as f:
            f.write(body)
        with open(name + ".records", "w") as f:
            for t, c in recs:
                f.write("%d %d\n" % (t, len(c)))
    sock.settimeout(CLOSE_TIMEOUT)
    try:
        if reader.record() is not None:
            raise AssertionError("a record after the last FCGI_END_REQUEST")
    except socket.timeout:
        raise AssertionError("connection still open %d s after a response to a request "
                             "without FCGI_KEEP_CONN" % CLOSE_TIMEOUT)
    sock.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (AssertionError, OSError, struct.error) as e:
        print("fcgi_records: %s" % e)
        sys.exit(1)
