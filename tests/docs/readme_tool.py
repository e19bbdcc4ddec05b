#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""readme_tool.py - pull checkable facts out of README.md / README.ja.md and
compare them with the real thing, for tests/docs/docs-check.sh.

Subcommands (each prints what it found; exit 1 with a message on a mismatch):
  marked FILE NAME        the fenced blocks after "<!-- docs-check: NAME -->"
  code FILE LANG          the contents of every ```LANG block, in order
  promql FILE             the queries of the ```promql blocks, one a line
  table FILE              the metrics table: "name type label,label" lines
  compare-types FILE BODY the table against the "# TYPE" lines and sample
                          labels of a /metrics body (both directions)
  lines-in BLOCKFILE BODY every line of BLOCKFILE occurs as a line of BODY
  grafana FILE            the PromQL expressions of a Grafana dashboard
  grafana-exemplars FILE  those of its targets that show exemplars
  rules-file QUERYFILE    a Prometheus rules file recording each query
                          (so `promtool check rules` parses them)
  queries URL FILE [SEC]  each line of FILE as a query, retrying an empty
                          answer (rate() needs two scrapes) for up to SEC
                          seconds in all (default 30)
  exemplars URL FILE [SEC] each line of FILE as an exemplar query
                          (/api/v1/query_exemplars, the last ten minutes),
                          retrying an empty answer likewise
  skeleton FILE           heading levels and every fenced block (promql
                          without comments): equal for the two READMEs
  compose FILE            services and published host ports in the output
                          of `docker-compose config`
"""
import json
import re
import sys
import time
import urllib.parse
import urllib.request

FENCE = re.compile(r"^```(\S*)\s*$")
MARK = re.compile(r"^<!--\s*docs-check:\s*(\S+)(?:\s+(begin|end))?\s*-->\s*$")
# A Prometheus sample line: name, optional {labels}, value.
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+\S+")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def die(msg):
    sys.stderr.write("readme_tool: %s\n" % msg)
    sys.exit(1)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


def blocks(lines):
    """Yield (lang, marker, body lines) for each fenced block; marker is the
    docs-check name given on the line before the fence (after blank lines)."""
    marker = None
    i = 0
    while i < len(lines):
        m = MARK.match(lines[i])
        if m and m.group(2) is None:
            marker = m.group(1)
            i += 1
            continue
        f = FENCE.match(lines[i])
        if f:
            lang = f.group(1)
            body = []
            i += 1
            while i < len(lines) and lines[i].rstrip() != "```":
                body.append(lines[i])
                i += 1
            if i == len(lines):
                die("unterminated ``` block")
            yield lang, marker, body
            marker = None
        elif lines[i].strip():
            marker = None
        i += 1


def cmd_skeleton(path):
    lines = read(path)
    for line in lines:
        m = re.match(r"^(#{2,3}) ", line)
        if m:
            print("heading", m.group(1))
    for lang, _, body in blocks(lines):
        if lang == "promql":
            body = [l for l in body if not l.lstrip().startswith("#")]
        print("block", lang)
        print("\n".join(body))


def print_blocks(path, keep, what):
    """Print the bodies of the fenced blocks for which keep(lang, mark)."""
    found = [b for l, m, b in blocks(read(path)) if keep(l, m)]
    if not found:
        die("%s: no %s" % (path, what))
    for body in found:
        print("\n".join(body))


def cmd_marked(path, name):
    print_blocks(path, lambda _, m: m == name, "block marked '%s'" % name)


def cmd_code(path, lang):
    print_blocks(path, lambda l, _: l == lang, "```%s block" % lang)


def promql(path):
    out = []
    for lang, _, body in blocks(read(path)):
        if lang != "promql":
            continue
        for line in body:
            s = line.strip()
            if s and not s.startswith("#"):
                out.append(s)
    if not out:
        die("%s: no ```promql block" % path)
    return out


def table(path):
    """The metrics table between the begin/end markers: {name: (type, labels)}."""
    rows = {}
    inside = False
    for line in read(path):
        m = MARK.match(line)
        if m and m.group(1) == "metrics-table":
            inside = m.group(2) == "begin"
            continue
        if not inside or not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        name = re.fullmatch(r"`([a-zA-Z_:][a-zA-Z0-9_:]*)`", cells[0])
        if not name:
            continue  # header or separator
        if len(cells) < 4:
            die("%s: short table row: %s" % (path, line))
        labels = tuple(sorted(re.findall(r"`([a-zA-Z_][a-zA-Z0-9_]*)`", cells[2])))
        if name.group(1) in rows:
            die("%s: %s twice in the table" % (path, name.group(1)))
        rows[name.group(1)] = (cells[1], labels)
    if not rows:
        die("%s: no metrics table between docs-check markers" % path)
    return rows


def served(body_path):
    """The families of a text-format body: {name: (type, label names)}."""
    types = {}
    labels = {}
    for line in read(body_path):
        if line.startswith("# TYPE "):
            parts = line.split()
            if len(parts) != 4:
                die("bad TYPE line: %s" % line)
            types[parts[2]] = parts[3]
            labels.setdefault(parts[2], set())
            continue
        if line.startswith("#") or not line.strip():
            continue
        m = SAMPLE.match(line)
        if not m:
            continue
        name = m.group(1)
        fam = name
        for suffix in ("_bucket", "_sum", "_count"):
            base = name[: -len(suffix)]
            if name.endswith(suffix) and types.get(base) == "histogram":
                fam = base
        names = {k for k, _ in LABEL.findall(m.group(3) or "")} - {"le"}
        labels.setdefault(fam, set()).update(names)
    return {n: (t, tuple(sorted(labels.get(n, ())))) for n, t in types.items()}


def cmd_compare(path, body_path):
    doc = table(path)
    real = served(body_path)
    errors = []
    for name, (typ, labels) in sorted(real.items()):
        if name not in doc:
            errors.append("served but not in the table: %s (%s)" % (name, typ))
        elif doc[name][0] != typ:
            errors.append("%s: table says %s, served as %s" % (name, doc[name][0], typ))
        elif doc[name][1] != labels:
            errors.append("%s: table labels %s, served %s" % (name, list(doc[name][1]), list(labels)))
    for name in sorted(set(doc) - set(real)):
        errors.append("in the table but not served: %s" % name)
    if errors:
        die("%s: metrics table does not match /metrics:\n  %s" % (path, "\n  ".join(errors)))
    print("%s: %d families match" % (path, len(doc)))


def cmd_lines_in(block_path, body_path):
    body = set(read(body_path))
    missing = [l for l in read(block_path) if l.strip() and l not in body]
    if missing:
        die("lines not in the real output:\n  " + "\n  ".join(missing))


def grafana(path, exemplars_only=False):
    with open(path, encoding="utf-8") as f:
        dash = json.load(f)
    exprs = []

    def walk(panels):
        for p in panels:
            for t in p.get("targets", []):
                if t.get("expr") and (t.get("exemplar") or not exemplars_only):
                    exprs.append(t["expr"])
            walk(p.get("panels", []))

    walk(dash.get("panels", []))
    if not exprs:
        die("%s: no PromQL expressions in panels" % path)
    # Grafana's interval variables are not PromQL: give them a value.
    return [re.sub(r"\$__rate_interval|\$__interval|\$__range", "5m", e).replace("\n", " ")
            for e in exprs]


def cmd_rules_file(query_file):
    print("groups:\n  - name: docs_check\n    rules:")
    for i, q in enumerate(l for l in read(query_file) if l.strip()):
        print("      - record: docs_check:query_%d" % i)
        print("        expr: %s" % json.dumps(q))


def run_query(url, query, api="query"):
    """The result list of an instant query (api "query") or of an exemplar
    query over the last ten minutes ("query_exemplars"); dies on any
    failure."""
    params = {"query": query}
    if api == "query_exemplars":
        params.update(start=str(time.time() - 600), end=str(time.time() + 60))
    data = urllib.parse.urlencode(params).encode()
    try:
        with urllib.request.urlopen(url + "/api/v1/" + api, data, timeout=5) as r:
            res = json.load(r)
    except urllib.error.HTTPError as e:
        die("query failed (%s): %s: %s" % (e.code, query, e.read().decode(errors="replace")))
    except OSError as e:
        die("query failed: %s: %s" % (query, e))
    if res.get("status") != "success":
        die("status %s: %s" % (res.get("status"), query))
    # query_exemplars: a list of series, each with its exemplars
    if api == "query_exemplars":
        return [s for s in res["data"] if s.get("exemplars")]
    return res["data"]["result"]


def cmd_queries(url, path, limit="30", api="query"):
    deadline = time.monotonic() + float(limit)
    n = 0
    for q in (l.strip() for l in read(path)):
        if not q:
            continue
        while True:
            result = run_query(url, q, api)
            if result:
                break
            if time.monotonic() > deadline:
                die("no data for: %s" % q)
            time.sleep(0.5)
        n += 1
        print("ok %d series: %s" % (len(result), q))
    print("%d %s returned data" % (n, "queries" if api == "query" else "exemplar queries"))


def cmd_compose(path):
    """Services ("service NAME") and published host ports ("port N") of a
    `docker-compose config` output (ports as "published: N" or "H:N:C")."""
    ports = set()
    services = []
    section = None
    for line in read(path):
        top = re.match(r"^([a-z_]+):", line)
        if top:
            section = top.group(1)
            continue
        svc = re.match(r"^  ([a-zA-Z0-9_.-]+):\s*$", line)
        if section == "services" and svc:
            services.append(svc.group(1))
        m = re.search(r"published:\s*['\"]?(\d+)", line)
        if m:
            ports.add(m.group(1))
        m = re.match(r"\s*-\s*['\"]?(?:[\d.]+:)?(\d+):\d+", line)
        if m:
            ports.add(m.group(1))
    for n in services:
        print("service", n)
    for p in sorted(ports):
        print("port", p)


def main(argv):
    if len(argv) < 2:
        die(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "marked" and len(args) == 2:
        cmd_marked(*args)
    elif cmd == "skeleton" and len(args) == 1:
        cmd_skeleton(args[0])
    elif cmd == "code" and len(args) == 2:
        cmd_code(*args)
    elif cmd == "promql" and len(args) == 1:
        print("\n".join(promql(args[0])))
    elif cmd == "table" and len(args) == 1:
        for n, (t, l) in table(args[0]).items():
            print(n, t, ",".join(l))
    elif cmd == "compare-types" and len(args) == 2:
        cmd_compare(*args)
    elif cmd == "lines-in" and len(args) == 2:
        cmd_lines_in(*args)
    elif cmd == "grafana" and len(args) == 1:
        print("\n".join(grafana(args[0])))
    elif cmd == "grafana-exemplars" and len(args) == 1:
        print("\n".join(grafana(args[0], exemplars_only=True)))
    elif cmd == "exemplars" and len(args) in (2, 3):
        cmd_queries(*args[:2], args[2] if len(args) == 3 else "30", "query_exemplars")
    elif cmd == "rules-file" and len(args) == 1:
        cmd_rules_file(args[0])
    elif cmd == "queries" and len(args) in (2, 3):
        cmd_queries(*args)
    elif cmd == "compose" and len(args) == 1:
        cmd_compose(args[0])
    else:
        die("bad usage: %s" % " ".join(argv[1:]))


if __name__ == "__main__":
    main(sys.argv)
