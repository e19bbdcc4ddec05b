# SPDX-License-Identifier: MIT
"""names_prop_check.py DIR... - the python side of tests/names-prop.sh.

For each case directory written by tests/propgen: the OpenMetrics body
must pass prometheus_client's strict OpenMetrics parser (consumed to the
end), the text body its text parser, and the two bodies must carry the
same samples under the same names, labels and values (a counter's sample
name is the same in every format).  The only samples the text body may
have on its own are a histogram's _sum and _count, which OpenMetrics
leaves out of a histogram that is not counter-like (negative bucket
bounds, or a negative or NaN sum).  The OpenMetrics body's exemplars must
be exactly those in exemplars.json (what propgen saw the library keep):
on the same samples, with the same labels, value and time to the
nanosecond.  The text body has none (its parser and promtool would fail
on one).

Prints "ok DIR" or "FAIL DIR: reason" per case; exits 1 if any failed.
"""
import json
import math
import sys

from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics,
)
from prometheus_client.parser import text_string_to_metric_families as parse_text


def read(path):
    # newline="": the body's bytes as they are (no universal newlines).
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def samples(families):
    """{(name, labels): value}; "le" compared as a number (the formats
    write bounds differently: 1 and 1.0)."""
    out = {}
    for fam in families:
        for s in fam.samples:
            labels = tuple(
                sorted(
                    (k, float(v) if k == "le" else v) for k, v in s.labels.items()
                )
            )
            out[(s.name, labels)] = s.value
    return out


def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


def key_of(name, labels):
    return (name, tuple(sorted((k, float(v) if k == "le" else v) for k, v in labels.items())))


def exemplars(families):
    """{(name, labels): (exemplar labels, value, (seconds, nanoseconds))}"""
    out = {}
    for fam in families:
        for s in fam.samples:
            if s.exemplar is not None:
                t = s.exemplar.timestamp
                out[key_of(s.name, s.labels)] = (dict(s.exemplar.labels),
                                                 float(s.exemplar.value), (t.sec, t.nsec))
    return out


def check_exemplars(d, families):
    want = {}
    with open(d + "/exemplars.json", encoding="utf-8") as f:
        for e in json.load(f):
            x = e["exemplar"]
            want[key_of(e["sample"], e["labels"])] = (x["labels"], float(x["value"]),
                                                      tuple(x["time"]))
    got = exemplars(families)
    for key in set(want) | set(got):
        if key not in got:
            raise ValueError(f"exemplar on {key} kept by the library, not in OpenMetrics")
        if key not in want:
            raise ValueError(f"exemplar on {key} in OpenMetrics, not kept by the library")
        (wl, wv, wt), (gl, gv, gt) = want[key], got[key]
        if wl != gl or not same(wv, gv) or wt != gt:
            raise ValueError(f"exemplar on {key}: library {want[key]}, OpenMetrics {got[key]}")


def check(d):
    om_families = list(parse_openmetrics(read(d + "/openmetrics.txt")))
    check_exemplars(d, om_families)
    om = samples(om_families)
    text = samples(list(parse_text(read(d + "/text.txt"))))
    for key, value in om.items():
        if key not in text:
            raise ValueError(f"sample {key} in OpenMetrics only")
        if not same(value, text[key]):
            raise ValueError(f"sample {key}: {value} in OpenMetrics, {text[key]} in text")
    for key in text:
        if key not in om and not key[0].endswith(("_sum", "_count")):
            raise ValueError(f"sample {key} in text only")


def main():
    failed = 0
    for d in sys.argv[1:]:
        try:
            check(d)
        except Exception as e:  # any parser error is a finding
            print(f"FAIL {d}: {type(e).__name__}: {e}")
            failed += 1
        else:
            print(f"ok {d}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
