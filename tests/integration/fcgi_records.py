#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""fcgi_records.py - speak FastCGI to metrics.fcgi on a unix socket and
check how it frames a response (FastCGI spec 1.0, sections 3.3, 5.3, 6.1).

usage: fcgi_records.py SOCKET METHOD PATH OUT

Sends one request (BEGIN_REQUEST as a responder, PARAMS, empty STDIN),
reads every record until the responder closes the connection, and checks:
version 1 and our request id on every record; only FCGI_STDOUT and
FCGI_END_REQUEST; the HTTP response headers in an FCGI_STDOUT record of
their own (lighttpd parses headers only from whole records and reads 8 KiB
at a time until it has them: doc/performance.md); the stream closed by an
empty FCGI_STDOUT, then FCGI_END_REQUEST with appStatus 0 and
FCGI_REQUEST_COMPLETE, then end of connection.  Writes the headers to
OUT.hdr, the body to OUT.body and one line per record ("TYPE LENGTH") to
OUT.records.  Exit 0, or 1 with one line saying what is wrong.
"""
import socket
import struct
import sys

VERSION = 1
BEGIN_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT = 1, 3, 4, 5, 6
RESPONDER = 1
REQUEST_ID = 1


def record(rtype, content=b""):
    return struct.pack(">BBHHBx", VERSION, rtype, REQUEST_ID, len(content), 0) + content


def nv(name, value):
    def length(n):
        return struct.pack(">B", n) if n < 128 else struct.pack(">I", n | 0x80000000)
    n, v = name.encode(), value.encode()
    return length(len(n)) + length(len(v)) + n + v


def read_records(sock):
    data = bytearray()
    while True:
        chunk = sock.recv(1 << 16)
        if not chunk:
            break
        data += chunk
    recs, off = [], 0
    while off < len(data):
        if len(data) - off < 8:
            raise AssertionError("%d stray bytes after the last record" % (len(data) - off))
        ver, rtype, rid, clen, plen = struct.unpack_from(">BBHHB", data, off)
        off += 8
        if off + clen + plen > len(data):
            raise AssertionError("record type %d cut short" % rtype)
        if ver != VERSION or rid != REQUEST_ID:
            raise AssertionError("record with version %d, request id %d" % (ver, rid))
        recs.append((rtype, bytes(data[off:off + clen])))
        off += clen + plen
    return recs


def main():
    path, method, uri, out = sys.argv[1:5]
    params = b"".join(nv(k, v) for k, v in (
        ("REQUEST_METHOD", method), ("SCRIPT_NAME", ""), ("PATH_INFO", uri),
        ("REQUEST_URI", uri), ("QUERY_STRING", ""), ("SERVER_PROTOCOL", "HTTP/1.1"),
        ("GATEWAY_INTERFACE", "CGI/1.1")))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(30)
    sock.connect(path)
    sock.sendall(record(BEGIN_REQUEST, struct.pack(">HB5x", RESPONDER, 0)) +
                 record(PARAMS, params) + record(PARAMS) + record(STDIN))
    recs = read_records(sock)
    sock.close()

    types = {t for t, _ in recs}
    if not types <= {STDOUT, END_REQUEST}:
        raise AssertionError("unexpected record types %s" % sorted(types))
    if len(recs) < 3:
        raise AssertionError("only %d records" % len(recs))
    end_type, end_body = recs[-1]
    if end_type != END_REQUEST or len(end_body) != 8:
        raise AssertionError("last record is not FCGI_END_REQUEST")
    app_status, proto_status = struct.unpack_from(">IB", end_body)
    if app_status != 0 or proto_status != 0:
        raise AssertionError("END_REQUEST appStatus %d protocolStatus %d" % (app_status, proto_status))
    if recs[-2] != (STDOUT, b""):
        raise AssertionError("stdout not closed by an empty FCGI_STDOUT before END_REQUEST")
    stdout = [c for t, c in recs[:-2]]
    if any(t != STDOUT for t, _ in recs[:-2]) or b"" in stdout:
        raise AssertionError("records other than non-empty FCGI_STDOUT before the end")
    head = stdout[0]
    if not head.endswith(b"\r\n\r\n") or head.count(b"\r\n\r\n") != 1:
        raise AssertionError("first FCGI_STDOUT record is not exactly the headers: %r" % head[:80])
    with open(out + ".hdr", "wb") as f:
        f.write(head)
    with open(out + ".body", "wb") as f:
        f.write(b"".join(stdout[1:]))
    with open(out + ".records", "w") as f:
        for t, c in recs:
            f.write("%d %d\n" % (t, len(c)))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (AssertionError, OSError, struct.error) as e:
        print("fcgi_records: %s" % e)
        sys.exit(1)
