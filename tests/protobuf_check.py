#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Decode a Prometheus protobuf exposition body with an independent decoder
and compare it with what it must say.

    protobuf_check.py compare PROTO_BODY TEXT_BODY [NATIVE_VALUES]
    protobuf_check.py exemplars PROTO_BODY OPENMETRICS_BODY
    protobuf_check.py dump PROTO_BODY

The decoder is protoc (--decode) with client_model's metrics.proto as
Debian ships it (golang-github-prometheus-client-model-dev): the
delimited stream is split here (a varint length before each message) and
handed to protoc as the repeated field of a wrapper message, so one protoc
run decodes every family.  Exits 77 when protoc or metrics.proto is
missing (automake's "skipped").

compare: every sample the protobuf body gives (as Prometheus ingests it:
counters and gauges under the family name, classic histograms as _bucket
with le, +Inf from the count, _sum and _count) must be in the text body
(text format 0.0.4, read with prometheus_client's parser) with the same
value, and the other way round; every family's HELP and TYPE must match,
and UNIT where protobuf has one.  Bucket bounds compare as numbers: text
writes le="1", Prometheus 2 turns a protobuf bound into "1.0".
NATIVE_VALUES (written by tests/expo_dump) lists, per series of the native
histogram families the store holds, the values it observed: each series'
native histogram must be exactly those values bucketed at the schema and
zero threshold it reports, with bucket indices computed here with exact
integer arithmetic; its count and sum those of the values, its classic
buckets (if any) their cumulative counts.  Every native histogram of the
body must be listed there, and every listed one be in the body.

exemplars: the exemplars of the protobuf body (a counter's, a classic
bucket's) must be those of the OpenMetrics body (read with
prometheus_client's strict parser), on the same samples, with the same
labels, value and time to the nanosecond, and the other way round; both
bodies rendered from one unchanging store.

dump: print the decoded families as protoc does.
"""

import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from fractions import Fraction

SKIP = 77
PROTO_CANDIDATES = [
    "/usr/share/gocode/src/github.com/prometheus/client_model/io/prometheus/client/metrics.proto",
]
TIMESTAMP_CANDIDATES = [
    "/usr/include/google/protobuf/timestamp.proto",
    "/usr/share/gocode/src/github.com/golang/protobuf/ptypes/timestamp/timestamp.proto",
]


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def skip(msg):
    print("SKIP: " + msg)
    sys.exit(SKIP)


# ---------------------------------------------------------------- decoding

def read_varint(data, i):
    shift = value = 0
    while True:
        if i >= len(data) or shift > 63:
            fail("truncated or overlong varint at byte %d" % i)
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, i


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def to_stream(body):
    """The delimited messages as field 1 of a wrapper message."""
    out, i, n = bytearray(), 0, 0
    while i < len(body):
        length, i = read_varint(body, i)
        if i + length > len(body):
            fail("message %d: length %d beyond the body's end" % (n, length))
        out += b"\x0a" + varint(length) + body[i:i + length]
        i += length
        n += 1
    return bytes(out)


def include_dir(tmp):
    proto = next((p for p in PROTO_CANDIDATES if os.path.exists(p)), None)
    stamp = next((p for p in TIMESTAMP_CANDIDATES if os.path.exists(p)), None)
    if shutil.which("protoc") is None:
        skip("protoc not installed")
    if proto is None or stamp is None:
        skip("metrics.proto (golang-github-prometheus-client-model-dev) not installed")
    os.makedirs(os.path.join(tmp, "google", "protobuf"))
    os.symlink(stamp, os.path.join(tmp, "google", "protobuf", "timestamp.proto"))
    os.symlink(proto, os.path.join(tmp, "metrics.proto"))
    with open(os.path.join(tmp, "stream.proto"), "w") as f:
        f.write('syntax = "proto2";\nimport "metrics.proto";\n'
                "message Stream { repeated io.prometheus.client.MetricFamily family = 1; }\n")
    return tmp


def protoc_text(body):
    with tempfile.TemporaryDirectory() as tmp:
        inc = include_dir(tmp)
        r = subprocess.run(["protoc", "-I" + inc, "--decode=Stream", "stream.proto"],
                           input=to_stream(body), capture_output=True, cwd=inc)
    if r.returncode != 0:
        fail("protoc cannot decode the body: " + r.stderr.decode(errors="replace"))
    return r.stdout.decode()


# protoc's text format: "name: value", "name {", "}"; strings C-escaped.
ESCAPES = {"n": 10, "t": 9, "r": 13, "\\": 92, "'": 39, '"': 34, "a": 7, "b": 8, "f": 12,
           "v": 11}


def unquote(s):
    out, i = bytearray(), 1
    while i < len(s) - 1:
        c = s[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        c = s[i + 1]
        if c in ESCAPES:
            out.append(ESCAPES[c])
            i += 2
        elif c.isdigit():
            m = re.match(r"[0-7]{1,3}", s[i + 1:])
            out.append(int(m.group(0), 8))
            i += 1 + len(m.group(0))
        elif c == "x":
            m = re.match(r"[0-9a-fA-F]{1,2}", s[i + 2:])
            out.append(int(m.group(0), 16))
            i += 2 + len(m.group(0))
        else:
            fail("unknown escape in %s" % s)
    return out.decode("utf-8")


def scalar(tok):
    if tok.startswith('"'):
        return unquote(tok)
    low = tok.lower()
    if low in ("inf", "infinity"):
        return math.inf
    if low in ("-inf", "-infinity"):
        return -math.inf
    if low == "nan" or low == "-nan":
        return math.nan
    if re.match(r"^-?[0-9]+$", tok):
        return int(tok)
    if re.match(r"^-?0x[0-9a-f]+$", low):
        return int(tok, 16)
    try:
        return float(tok)
    except ValueError:
        return tok  # an enum name


def parse_text(text):
    """protoc text format -> nested dicts of field name -> list of values."""
    root, stack = {}, []
    cur = root
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line == "}":
            cur = stack.pop()
        elif line.endswith("{"):
            name = line[:-1].strip()
            child = {}
            cur.setdefault(name, []).append(child)
            stack.append(cur)
            cur = child
        else:
            name, _, value = line.partition(": ")
            cur.setdefault(name, []).append(scalar(value))
    if stack:
        fail("unbalanced protoc output")
    return root.get("family", [])


def one(msg, field, default=None):
    v = msg.get(field)
    return v[-1] if v else default


# ------------------------------------------------------------ samples

def proto_samples(families):
    """{(name, sorted labels): value}, {family: (help, type, unit)}"""
    samples, meta = {}, {}
    for fam in families:
        name, typ = one(fam, "name"), one(fam, "type", "COUNTER")
        meta[name] = (one(fam, "help", ""), typ.lower(), one(fam, "5"))
        for m in fam.get("metric", []):
            labels = tuple(sorted((one(lp, "name"), one(lp, "value"))
                                  for lp in m.get("label", [])))

            def put(sname, value, extra=()):
                key = (sname, tuple(sorted(labels + extra)))
                if key in samples:
                    fail("sample %s twice" % (key,))
                samples[key] = value

            if typ in ("COUNTER", "GAUGE"):
                put(name, float(one(one(m, typ.lower()), "value", 0)))
                continue
            h = one(m, "histogram")
            count = one(h, "sample_count", 0)
            # (a native histogram's native part is checked on its own: the
            # text formats show its classic part, as protobuf has it)
            seen_inf = False
            for b in h.get("bucket", []):
                bound = float(one(b, "upper_bound"))
                seen_inf = seen_inf or bound == math.inf
                put(name + "_bucket", float(one(b, "cumulative_count", 0)), (("le", bound),))
            if not seen_inf:
                put(name + "_bucket", float(count), (("le", math.inf),))
            put(name + "_sum", float(one(h, "sample_sum", 0)))
            put(name + "_count", float(count))
    return samples, meta


def unescape_help(s):
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), s)


def text_samples(text):
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        skip("python3-prometheus-client not installed")
    samples, meta, with_samples = {}, {}, set()
    for line in text.split("\n"):  # not splitlines: a help may hold a CR
        m = re.match(r"# (HELP|TYPE) (\S+) ?(.*)$", line)
        if m:
            help_, typ, _ = meta.get(m.group(2), ("", None, None))
            if m.group(1) == "HELP":
                help_ = unescape_help(m.group(3))
            else:
                typ = m.group(3)
            meta[m.group(2)] = (help_, typ, None)
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            labels = tuple(sorted((k, float(v) if k == "le" else v) for k, v in s.labels.items()))
            samples[(s.name, labels)] = float(s.value)
            # the parser names a counter's family without its _total
            with_samples.add(fam.name)
            with_samples.add(fam.name + "_total")
    return samples, meta, with_samples


def same(a, b):
    return a == b or (math.isnan(a) and math.isnan(b))


def compare(proto, text):
    ps, pm = proto_samples(parse_text(protoc_text(proto)))
    ts, tm, tfull = text_samples(text.decode("utf-8"))
    for key in sorted(set(ps) | set(ts), key=repr):
        if key not in ts:
            fail("protobuf has %s, text has not" % (key,))
        if key not in ps:
            fail("text has %s, protobuf has not" % (key,))
        if not same(ps[key], ts[key]):
            fail("%s: protobuf %r, text %r" % (key, ps[key], ts[key]))
    for name, (help_, typ, unit) in pm.items():
        if name not in tm:
            fail("family %s not in the text body" % name)
        if tm[name][:2] != (help_, typ):
            fail("family %s: protobuf %r, text %r" % (name, (help_, typ), tm[name][:2]))
        # field 5 (unit) is newer than Debian's metrics.proto: protoc prints
        # it as an unknown field, a string or (when its bytes happen to
        # parse) a message
        if isinstance(unit, str) and not name.endswith("_" + unit) and \
                not name.endswith("_%s_total" % unit):
            fail("family %s: unit %r not its suffix" % (name, unit))
    # the protobuf body leaves out families without series
    for name in tm:
        if name not in pm and name in tfull:
            fail("family %s with samples missing in protobuf" % name)
    print("ok: protoc decoded %d families, %d samples, all as in the text body"
          % (len(pm), len(ps)))
    return pm


# ------------------------------------------------------------ native

def index_max(schema):
    return (1024 << schema if schema >= 0 else 1024 >> -schema) + 1


def exact_index(m, schema):
    """Smallest i with m <= 2^(i / 2^schema), m > 0: exact."""
    if m == math.inf:
        return index_max(schema)
    v = Fraction(m)

    def below(i):  # m <= 2^(i / 2^schema)?
        if schema <= 0:
            return v <= Fraction(2) ** (i << -schema)
        return v ** (1 << schema) <= Fraction(2) ** i

    i = math.ceil(math.log2(m) * 2.0 ** schema)
    while not below(i):
        i += 1
    while below(i - 1):
        i -= 1
    return i


def decode_buckets(h, sign):
    """{index: count} from a sign's spans and deltas."""
    out, index, count, k = {}, 0, 0, 0
    deltas = h.get(sign + "_delta", [])
    for n, span in enumerate(h.get(sign + "_span", [])):
        index += one(span, "offset", 0)
        for _ in range(one(span, "length", 0)):
            count += deltas[k]
            k += 1
            if count != 0:
                out[index] = count
            index += 1
    if k != len(deltas):
        fail("%s: %d deltas for spans of %d buckets" % (sign, len(deltas), k))
    return out


def is_native(h):
    """A Histogram message with native fields (a scraper's test)."""
    return any(k in h for k in ("schema", "zero_threshold", "positive_span", "negative_span"))


def check_native(families, values_file):
    series, cur = {}, None
    with open(values_file) as f:
        for line in f:
            line = line.strip()
            if line.startswith("series "):
                cur = series.setdefault(tuple(line.split()[1:3]), [])
            elif line:
                cur.append(float.fromhex(line) if "nan" not in line and "inf" not in line
                           else float(line))
    seen = set()
    for fam in families:
        for m in fam.get("metric", []):
            h = one(m, "histogram")
            if h is None or not is_native(h):
                continue
            key = (one(fam, "name"), one(one(m, "label"), "value"))
            if key not in series:
                fail("native histogram %s %s: no values listed" % key)
            seen.add(key)
            check_native_one(key, h, series[key])
    if seen != set(series):
        fail("native histograms %s, values for %s" % (sorted(seen), sorted(series)))
    print("ok: %d native histograms exactly as their values bucket (exact arithmetic)"
          % len(seen))


def check_native_one(key, h, vals):
    """One native histogram h against the values vals it observed."""
    kind = "%s %s" % key
    schema, zt = one(h, "schema"), float(one(h, "zero_threshold"))
    want = {"positive": {}, "negative": {}}
    zero = 0
    for v in vals:
        if math.isnan(v):
            continue
        if abs(v) <= zt:
            zero += 1
            continue
        side = want["positive" if v > 0 else "negative"]
        i = exact_index(abs(v), schema)
        side[i] = side.get(i, 0) + 1
    got = {s: decode_buckets(h, s) for s in want}
    total = sum(vals, 0.0) if vals else 0.0
    checks = [
        ("count", one(h, "sample_count", 0), len(vals)),
        ("zero_count", one(h, "zero_count"), zero),
        ("positive buckets", got["positive"], want["positive"]),
        ("negative buckets", got["negative"], want["negative"]),
    ]
    for what, g, w in checks:
        if g != w:
            fail("native %s: %s %r, want %r" % (kind, what, g, w))
    if not same(float(one(h, "sample_sum", 0)), total):
        fail("native %s: sum %r, want %r" % (kind, one(h, "sample_sum"), total))
    if not (h.get("positive_span") or h.get("negative_span")):
        fail("native %s: no span (not even the no-op span)" % kind)
    for b in h.get("bucket", []):
        bound = float(one(b, "upper_bound"))
        n = sum(1 for v in vals if v <= bound)
        if one(b, "cumulative_count", 0) != n:
            fail("native %s: classic bucket %g: %r, want %d"
                 % (kind, bound, one(b, "cumulative_count"), n))


# ------------------------------------------------------------ exemplars

def proto_exemplars(families):
    """{(sample name, sorted labels): (labels, value, (seconds, nanos))}"""
    out = {}
    for fam in families:
        name, typ = one(fam, "name"), one(fam, "type", "COUNTER")
        for m in fam.get("metric", []):
            labels = tuple(sorted((one(lp, "name"), one(lp, "value"))
                                  for lp in m.get("label", [])))
            found = []
            if typ == "COUNTER":
                found.append((name, labels, one(one(m, "counter"), "exemplar")))
            elif typ == "HISTOGRAM":
                for b in one(m, "histogram").get("bucket", []):
                    le = (("le", float(one(b, "upper_bound"))),)
                    found.append((name + "_bucket", tuple(sorted(labels + le)),
                                  one(b, "exemplar")))
            for sname, key_labels, ex in found:
                if ex is None:
                    continue
                t = one(ex, "timestamp") or {}
                out[(sname, key_labels)] = (
                    {one(lp, "name"): one(lp, "value") for lp in ex.get("label", [])},
                    float(one(ex, "value", 0)),
                    (one(t, "seconds", 0), one(t, "nanos", 0)))
    return out


def om_exemplars(text):
    try:
        from prometheus_client.openmetrics.parser import text_string_to_metric_families
    except ImportError:
        skip("python3-prometheus-client not installed")
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if s.exemplar is None:
                continue
            labels = tuple(sorted((k, float(v) if k == "le" else v)
                                  for k, v in s.labels.items()))
            ts = s.exemplar.timestamp
            out[(s.name, labels)] = (dict(s.exemplar.labels), float(s.exemplar.value),
                                     (ts.sec, ts.nsec) if ts is not None else None)
    return out


def compare_exemplars(proto, om):
    pe = proto_exemplars(parse_text(protoc_text(proto)))
    oe = om_exemplars(om.decode("utf-8"))
    for key in sorted(set(pe) | set(oe), key=repr):
        if key not in oe:
            fail("protobuf has an exemplar on %s, OpenMetrics has not" % (key,))
        if key not in pe:
            fail("OpenMetrics has an exemplar on %s, protobuf has not" % (key,))
        (pl, pv, pt), (ol, ov, ot) = pe[key], oe[key]
        if pl != ol or not same(pv, ov) or pt != ot:
            fail("exemplar on %s: protobuf %r, OpenMetrics %r" % (key, pe[key], oe[key]))
    print("ok: %d exemplars, the same in protobuf and OpenMetrics" % len(pe))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "exemplars":
        compare_exemplars(open(sys.argv[2], "rb").read(), open(sys.argv[3], "rb").read())
        return
    if len(sys.argv) >= 3 and sys.argv[1] == "dump":
        sys.stdout.write(protoc_text(open(sys.argv[2], "rb").read()))
        return
    if len(sys.argv) not in (4, 5) or sys.argv[1] != "compare":
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    proto = open(sys.argv[2], "rb").read()
    text = open(sys.argv[3], "rb").read()
    compare(proto, text)
    if len(sys.argv) == 5:
        check_native(parse_text(protoc_text(proto)), sys.argv[4])


if __name__ == "__main__":
    main()
