# SPDX-License-Identifier: MIT
"""names_prop_check.py DIR... - the python side of tests/names-prop.sh.

For each case directory written by tests/propgen: the OpenMetrics body
must pass prometheus_client's strict OpenMetrics parser (consumed to the
end), the text body its text parser, and the two bodies must carry the
same samples under the same names, labels and values (a counter's sample
name is the same in every format).  The only samples the text body may
have on its own are a histogram's _sum and _count, which OpenMetrics
leaves out of a histogram that is not counter-like (negative bucket
bounds, or a negative or NaN sum).

Prints "ok DIR" or "FAIL DIR: reason" per case; exits 1 if any failed.
"""
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


def check(d):
    om = samples(list(parse_openmetrics(read(d + "/openmetrics.txt"))))
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
