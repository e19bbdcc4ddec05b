#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""scrape.py - scrapes as Prometheus makes them, one after the other, for
`make bench` (tests/bench/run.sh; doc/performance.md).

usage: scrape.py URL COUNT WARMUP ACCEPT_ENCODING WEB_PIDS RESP_PIDS

Sends WARMUP and then COUNT GET requests to URL on one kept HTTP/1.1
connection, one at a time, each with Prometheus 2.42's Accept header and
the Accept-Encoding given ("-": none), and reads every body to its last
byte (not decompressed: that is the scraper's cost).  For each timed
scrape it prints one line:

    TTLB_US WEB_CPU_US RESP_CPU_US BYTES STATUS ENCODING

TTLB_US: microseconds from sending the request to its last byte.
WEB_CPU_US, RESP_CPU_US: CPU time the web server's processes (WEB_PIDS)
and the responders (RESP_PIDS; both lists comma-separated) used
meanwhile, from the first field of /proc/PID/schedstat (run time in ns,
of each process's main thread: lighttpd, nginx and metrics.fcgi have no
other), read before each request, so what a server does after the last
byte (closing, logging) counts towards the next scrape.  Exits 1 on a
status other than 200 or a failed connection.
"""
import http.client
import sys
import time
import urllib.parse

# Prometheus 2.42 (scrape/scrape.go), as in tests/integration/lib.sh
ACCEPT = ("application/openmetrics-text;version=1.0.0,"
          "application/openmetrics-text;version=0.0.1;q=0.75,"
          "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
# Bytes read at a time (Prometheus' reader takes what the socket has).
READ_SIZE = 1 << 16
# After the last scrape: time for the servers to finish with it.
SETTLE_S = 0.05


def cpu_ns(pids):
    """the run time of the processes pids so far, ns"""
    total = 0
    for pid in pids:
        try:
            with open("/proc/%s/schedstat" % pid) as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass  # gone: lighttpd respawns a backend, nothing to count
    return total


def scrape(conn, path, headers):
    """status, body bytes, Content-Encoding of one scrape"""
    conn.request("GET", path, headers=headers)
    resp = conn.getresponse()
    n = 0
    while True:
        chunk = resp.read(READ_SIZE)
        if not chunk:
            break
        n += len(chunk)
    return resp.status, n, resp.getheader("Content-Encoding") or "identity"


def main():
    if len(sys.argv) != 7:
        sys.exit("usage: scrape.py URL COUNT WARMUP ACCEPT_ENCODING WEB_PIDS RESP_PIDS")
    url = urllib.parse.urlsplit(sys.argv[1])
    count, warmup = int(sys.argv[2]), int(sys.argv[3])
    encoding = sys.argv[4]
    groups = [[p for p in arg.split(",") if p] for arg in sys.argv[5:7]]
    headers = {"Accept": ACCEPT, "User-Agent": "Prometheus/2.42.0"}
    if encoding != "-":
        headers["Accept-Encoding"] = encoding
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    done = []  # (ttlb ns, bytes, status, encoding, [web, resp] CPU ns before)
    for i in range(warmup + count):
        c0 = [cpu_ns(g) for g in groups]
        t0 = time.perf_counter_ns()
        status, n, enc = scrape(conn, url.path, headers)
        t1 = time.perf_counter_ns()
        if status != 200:
            print("scrape %d: HTTP %d" % (i, status), file=sys.stderr)
            return 1
        if i >= warmup:
            done.append((t1 - t0, n, status, enc, c0))
    time.sleep(SETTLE_S)  # what the servers do after the last byte
    conn.close()
    c_end = [cpu_ns(g) for g in groups]
    for i, (ttlb, n, status, enc, c0) in enumerate(done):
        c1 = done[i + 1][4] if i + 1 < len(done) else c_end
        print(ttlb // 1000, (c1[0] - c0[0]) // 1000, (c1[1] - c0[1]) // 1000, n, status, enc)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, http.client.HTTPException) as e:
        print("scrape.py: %s" % e, file=sys.stderr)
        sys.exit(1)
