#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""checkbody.py - validate /metrics bodies (text 0.0.4 and OpenMetrics 1.0.0).

Two ways to run it:

  checkbody.py [--format text|openmetrics|auto] [--hammer] [--churn] FILE...
      check saved bodies (auto: OpenMetrics when the body ends in "# EOF").

  checkbody.py --url URL [--seconds S] [--max-scrapes N] [--formats text,openmetrics]
               [--allow-status 503] [--monotonic] [--hammer] [--churn] [--save-dir DIR]
               [--until-file PATH] [--times FILE]
      scrape URL continuously (keep-alive, alternating the Accept header
      between the formats) and check every body; --times writes each
      scrape's duration (request to last byte, ms) to FILE, one a line.

What a body must satisfy (a failure is a "violation"):
  text:  valid UTF-8 ending in a newline; every line is a comment or
         `name{labels} value [timestamp]`; `# HELP name text` and
         `# TYPE name type` well formed (only \\\\ and \\n escapes in HELP, only
         \\\\, \\" and \\n in label values), at most one of each per family,
         TYPE before the family's samples, a family's samples contiguous, no
         duplicate series; the Content-Type is text/plain; version=0.0.4.
  openmetrics: parsed by prometheus_client.openmetrics.parser (strict,
         requires "# EOF"); Content-Type application/openmetrics-text.
  both:  histograms: buckets sorted by le, cumulative (never decreasing),
         le="+Inf" last and equal to _count, _count a non-negative integer,
         _sum present; counters non-negative; with --monotonic, no counter
         sample (nor histogram _count) ever decreases from one scrape to the
         next, except per-writer series (those with a `writer` label: one
         process's counter, which restarts with the process in that slot); with --hammer, the invariant of tests/reliability/hammer.c:
         hammer_pair_seconds_sum == 0.25*le0.5 + 4*(count - le0.5);
         with --churn, those of tests/reliability/churner.c: every
         churn_level series shows level(id) (or 0: not set yet), every
         churn_seconds series only observations of weight(id), at most 4
         (a series shown with another series' values or labels, or half
         removed, breaks them).

Prints one summary line:
  checkbody: scrapes=N text=N openmetrics=N status_other=N samples=N
             hammer_bodies=N violations=N
and the first violations in detail.  Exit 0 when there were no violations
(and, in URL mode, at least one body was checked), 1 otherwise, 77 when
OpenMetrics checking was requested but prometheus_client is missing and
--require-om is given.
"""

import argparse
import http.client
import math
import os
import re
import sys
import time
import urllib.parse

try:
    from prometheus_client.openmetrics import parser as om_parser
    from prometheus_client import parser as text_parser
except ImportError:  # checked at run time: OpenMetrics scrapes need it
    om_parser = None
    text_parser = None

NAME_RE = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*')
LABEL_NAME_RE = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*')
FLOAT_RE = re.compile(r'^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)$')
TS_RE = re.compile(r'^-?\d+$')
TYPES = ('counter', 'gauge', 'histogram', 'summary', 'untyped')
ACCEPT = {
    'text': 'text/plain;version=0.0.4;q=1,*/*;q=0.1',
    'openmetrics': 'application/openmetrics-text;version=1.0.0,'
                   'application/openmetrics-text;version=0.0.1;q=0.75,'
                   'text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
}
CTYPE = {
    'text': re.compile(r'^text/plain;\s*version=0\.0\.4(;\s*charset=utf-8)?$', re.I),
    'openmetrics': re.compile(r'^application/openmetrics-text;\s*version=1\.0\.0'
                              r'(;\s*charset=utf-8)?$', re.I),
}
MAX_REPORTED = 20


class BodyError(Exception):
    """One violation inside a body."""


def parse_float(s):
    if not FLOAT_RE.match(s):
        raise BodyError('bad value %r' % s)
    return float(s)


def unescape(s, allowed, what):
    """Undo backslash escapes; only those in allowed ({'\\\\': '\\\\', ...})."""
    out = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == '\\':
            if i + 1 >= len(s) or s[i + 1] not in allowed:
                raise BodyError('bad escape in %s: %r' % (what, s[i:i + 2]))
            out.append(allowed[s[i + 1]])
            i += 2
        else:
            out.append(c)
            i += 1
    return ''.join(out)


HELP_ESC = {'\\': '\\', 'n': '\n'}
LABEL_ESC = {'\\': '\\', 'n': '\n', '"': '"'}


def parse_labels(line, i):
    """Parse {a="b",...} starting at line[i] == '{'; return (dict, next index)."""
    labels = {}
    i += 1
    while True:
        if i < len(line) and line[i] == '}':
            return labels, i + 1
        m = LABEL_NAME_RE.match(line, i)
        if not m:
            raise BodyError('bad label name at column %d' % i)
        lname = m.group(0)
        i = m.end()
        if line[i:i + 2] != '="':
            raise BodyError('label %s: expected ="' % lname)
        i += 2
        j = i
        while j < len(line) and line[j] != '"':
            j += 2 if line[j] == '\\' else 1
        if j >= len(line):
            raise BodyError('label %s: unterminated value' % lname)
        if lname in labels:
            raise BodyError('duplicate label %s' % lname)
        labels[lname] = unescape(line[i:j], LABEL_ESC, 'label value')
        i = j + 1
        if i < len(line) and line[i] == ',':
            i += 1
        elif i < len(line) and line[i] == '}':
            continue
        else:
            raise BodyError('expected , or } after label %s' % lname)


def family_of(sample, types):
    """The declared family a sample name belongs to (or the name itself)."""
    if sample in types:
        return sample
    for suffix in ('_bucket', '_sum', '_count'):
        if sample.endswith(suffix):
            base = sample[:-len(suffix)]
            if types.get(base) in ('histogram', 'summary'):
                return base
    return sample


def parse_text(body):
    """Parse text 0.0.4 strictly; return a list of (family, type, name, labels, value)."""
    if body and not body.endswith('\n'):
        raise BodyError('body does not end with a newline')
    helps, types, done, seen = {}, {}, set(), set()
    current = None
    samples = []
    for lineno, line in enumerate(body.split('\n')[:-1], 1):
        try:
            if line == '':
                continue
            if line.startswith('#'):
                parts = line.split(' ', 3)
                if len(parts) >= 3 and parts[1] in ('HELP', 'TYPE'):
                    name = parts[2]
                    if not NAME_RE.fullmatch(name):
                        raise BodyError('bad metric name in %s' % parts[1])
                    if name in done or name == current:
                        raise BodyError('%s for %s after its samples' % (parts[1], name))
                    if parts[1] == 'HELP':
                        if name in helps:
                            raise BodyError('second HELP for %s' % name)
                        helps[name] = unescape(parts[3] if len(parts) > 3 else '',
                                               HELP_ESC, 'HELP')
                    else:
                        if name in types:
                            raise BodyError('second TYPE for %s' % name)
                        if len(parts) != 4 or parts[3] not in TYPES:
                            raise BodyError('bad TYPE line')
                        types[name] = parts[3]
                elif len(parts) >= 2 and parts[1] in ('HELP', 'TYPE'):
                    raise BodyError('truncated %s line' % parts[1])
                continue
            m = NAME_RE.match(line)
            if not m:
                raise BodyError('line is neither a comment nor a sample')
            name = m.group(0)
            i = m.end()
            labels = {}
            if i < len(line) and line[i] == '{':
                labels, i = parse_labels(line, i)
            rest = line[i:]
            if not rest.startswith(' '):
                raise BodyError('no space before the value')
            fields = rest.split()
            if len(fields) not in (1, 2) or rest != ' ' + ' '.join(fields):
                raise BodyError('bad value/timestamp part %r' % rest)
            value = parse_float(fields[0])
            if len(fields) == 2 and not TS_RE.match(fields[1]):
                raise BodyError('bad timestamp %r' % fields[1])
            fam = family_of(name, types)
            if fam != current:
                if fam in done:
                    raise BodyError('samples of %s are not contiguous' % fam)
                if current is not None:
                    done.add(current)
                current = fam
            key = (name, tuple(sorted(labels.items())))
            if key in seen:
                raise BodyError('duplicate series %s%s' % (name, labels))
            seen.add(key)
            samples.append((fam, types.get(fam, 'untyped'), name, labels, value))
        except BodyError as e:
            raise BodyError('line %d: %s: %r' % (lineno, e, line[:200])) from None
    return samples


def parse_openmetrics(body):
    if om_parser is None:
        raise BodyError('prometheus_client is not installed: cannot check OpenMetrics')
    if not body.endswith('# EOF\n'):
        raise BodyError('OpenMetrics body does not end with "# EOF\\n"')
    samples = []
    try:
        for fam in om_parser.text_string_to_metric_families(body):
            for s in fam.samples:
                samples.append((fam.name, fam.type, s.name, dict(s.labels), float(s.value)))
    except Exception as e:  # the parser raises ValueError and friends
        raise BodyError('OpenMetrics parser: %s: %s' % (type(e).__name__, e)) from None
    return samples


def churn_fnv(s):
    """FNV-1a over the bytes of s, 32 bits (churner.c's fnv32)."""
    h = 2166136261
    for b in s.encode('utf-8'):
        h = ((h ^ b) * 16777619) & 0xffffffff
    return h


CHURN_OBS_MAX = 4


def check_churn(samples, hists):
    """churner.c's invariants: each series shows its own label's values."""
    for fam, ftype, name, labels, value in samples:
        if name == 'churn_level':
            want = churn_fnv(labels.get('id', '')) % 1000000
            if value not in (0, want):
                raise BodyError('churn_level%s is %r, want %r (or 0): another series\' value'
                                % (labels, value, want))
    for (fam, rest), h in hists.items():
        if fam != 'churn_seconds':
            continue
        labels = dict(rest)
        w = churn_fnv(labels.get('id', '')) % 64 + 1
        count = h['count']
        if count is None or count > CHURN_OBS_MAX or h['sum'] != w * count:
            raise BodyError('churn_seconds%s: sum %r count %r, want %d per observation, '
                            'at most %d' % (labels, h['sum'], count, w, CHURN_OBS_MAX))


def check_semantics(samples, hammer, om, churn=False):
    """Histogram and counter rules on parsed samples; returns per-family info."""
    hists = {}
    for fam, ftype, name, labels, value in samples:
        if ftype == 'counter' and not name.endswith('_created'):
            if not value >= 0:
                raise BodyError('counter %s%s is %r' % (name, labels, value))
        if ftype != 'histogram':
            continue
        rest = tuple(sorted((k, v) for k, v in labels.items() if k != 'le'))
        h = hists.setdefault((fam, rest), {'buckets': [], 'sum': None, 'count': None})
        if name == fam + '_bucket':
            if 'le' not in labels:
                raise BodyError('%s bucket without le' % fam)
            h['buckets'].append((labels['le'], value))
        elif name == fam + '_sum':
            h['sum'] = value
        elif name == fam + '_count':
            h['count'] = value
        elif not name.endswith('_created'):
            raise BodyError('histogram %s has a sample %s' % (fam, name))
    for (fam, rest), h in hists.items():
        where = '%s%s' % (fam, dict(rest))
        b = h['buckets']
        if not b:
            raise BodyError('%s: no buckets' % where)
        if (h['count'] is None) != (h['sum'] is None) or (h['count'] is None and not om):
            # OpenMetrics drops both for a histogram whose sum may be negative.
            raise BodyError('%s: _count or _sum missing' % where)
        les = []
        for le, _ in b:
            try:
                les.append(float(le))
            except ValueError:
                raise BodyError('%s: bad le %r' % (where, le)) from None
        if any(not les[i] < les[i + 1] for i in range(len(les) - 1)):
            raise BodyError('%s: buckets not sorted by le: %s' % (where, [x for x, _ in b]))
        if b[-1][0] != '+Inf':
            raise BodyError('%s: last bucket le=%r, not "+Inf"' % (where, b[-1][0]))
        counts = [v for _, v in b]
        if any(c < 0 or c != math.floor(c) for c in counts):
            raise BodyError('%s: bucket counts not non-negative integers: %s' % (where, counts))
        if any(counts[i] > counts[i + 1] for i in range(len(counts) - 1)):
            raise BodyError('%s: buckets not cumulative: %s' % (where, counts))
        if h['count'] is not None and counts[-1] != h['count']:
            raise BodyError('%s: le="+Inf" %r != _count %r' % (where, counts[-1], h['count']))
        if hammer and fam == 'hammer_pair_seconds':
            low = counts[0]
            if h['count'] is None or not (counts[0] == counts[1] == counts[2]):
                raise BodyError('%s: le 0.5/1/2 differ: %s' % (where, counts))
            want = 0.25 * low + 4.0 * (h['count'] - low)
            if h['sum'] != want:
                raise BodyError('%s: torn reading: sum %r != %r (count %r, le0.5 %r)'
                                % (where, h['sum'], want, h['count'], low))
    if churn:
        check_churn(samples, hists)
    return hists


class Checker:
    def __init__(self, args):
        self.args = args
        self.counts = {'scrapes': 0, 'text': 0, 'openmetrics': 0, 'status_other': 0,
                       'samples': 0, 'hammer_bodies': 0, 'violations': 0}
        self.last = {}  # (format-independent key) -> value, for --monotonic
        self.reported = 0

    def violation(self, what, body=None):
        self.counts['violations'] += 1
        if self.reported < MAX_REPORTED:
            self.reported += 1
            print('checkbody: VIOLATION: %s' % what, file=sys.stderr)
        if body is not None and self.args.save_dir:
            path = os.path.join(self.args.save_dir, 'bad-%d.body' % self.counts['violations'])
            with open(path, 'wb') as f:
                f.write(body)

    def monotonic(self, samples):
        for fam, ftype, name, labels, value in samples:
            if 'writer' in labels:
                continue  # one process's series: reset by its restart
            if ftype == 'counter':
                key = name if name.endswith('_total') else name + '_total'
                if name.endswith('_created'):
                    continue
            elif ftype == 'histogram' and (name.endswith('_count') or name.endswith('_bucket')):
                key = name
            else:
                continue
            k = (key, tuple(sorted((n, float(v) if n == 'le' else v)
                                   for n, v in labels.items())))
            old = self.last.get(k)
            if old is not None and value < old:
                raise BodyError('%s%s went down: %r -> %r' % (name, labels, old, value))
            self.last[k] = value

    def check(self, raw, fmt, ctype=None):
        """Check one body (bytes) in format fmt ('text', 'openmetrics', 'auto')."""
        self.counts['scrapes'] += 1
        try:
            body = raw.decode('utf-8')
        except UnicodeDecodeError as e:
            self.violation('body is not UTF-8: %s' % e, raw)
            return
        if fmt == 'auto':
            fmt = 'openmetrics' if body.endswith('# EOF\n') else 'text'
        self.counts[fmt] += 1
        try:
            if ctype is not None and not CTYPE[fmt].match(ctype):
                raise BodyError('Content-Type %r for a %s request' % (ctype, fmt))
            if not body:
                raise BodyError('empty body')
            if fmt == 'text':
                samples = parse_text(body)
                if text_parser is not None:
                    try:
                        for _ in text_parser.text_string_to_metric_families(body):
                            pass
                    except Exception as e:
                        raise BodyError('prometheus_client text parser: %s' % e) from None
            else:
                samples = parse_openmetrics(body)
            check_semantics(samples, self.args.hammer, fmt == 'openmetrics', self.args.churn)
            if self.args.monotonic:
                self.monotonic(samples)
            self.counts['samples'] += len(samples)
            if any(s[0] == 'hammer_pair_seconds' for s in samples):
                self.counts['hammer_bodies'] += 1
        except BodyError as e:
            self.violation('%s body: %s' % (fmt, e), raw)

    def summary(self):
        c = self.counts
        print('checkbody: scrapes=%d text=%d openmetrics=%d status_other=%d samples=%d '
              'hammer_bodies=%d violations=%d' % (
                  c['scrapes'], c['text'], c['openmetrics'], c['status_other'],
                  c['samples'], c['hammer_bodies'], c['violations']))
        sys.stdout.flush()


def scrape_loop(chk, args):
    u = urllib.parse.urlsplit(args.url)
    path = u.path + ('?' + u.query if u.query else '')
    formats = args.formats.split(',')
    allowed = {int(x) for x in args.allow_status.split(',') if x}
    deadline = time.monotonic() + args.seconds
    conn = None
    n = 0
    errors = 0
    times = open(args.times, 'w') if args.times else None
    while time.monotonic() < deadline and (args.max_scrapes == 0 or n < args.max_scrapes):
        if args.until_file and os.path.exists(args.until_file):
            break
        fmt = formats[n % len(formats)]
        n += 1
        try:
            if conn is None:
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
            t0 = time.monotonic()
            conn.request('GET', path, headers={'Accept': ACCEPT[fmt]})
            resp = conn.getresponse()
            raw = resp.read()
            if times is not None:
                times.write('%.3f\n' % ((time.monotonic() - t0) * 1000))
            status = resp.status
            ctype = resp.getheader('Content-Type')
            if resp.getheader('Connection', '').lower() == 'close':
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException) as e:
            # lighttpd closing an idle keep-alive connection is normal; a
            # refused connection is not (lighttpd died).
            if conn is not None:
                conn.close()
                conn = None
            errors += 1
            if isinstance(e, ConnectionRefusedError) or errors > 1000:
                chk.violation('scrape failed: %s: %s' % (type(e).__name__, e))
                if errors > 1000:
                    break
            continue
        if status == 200:
            chk.check(raw, fmt, ctype)
        elif status in allowed:
            chk.counts['status_other'] += 1
            if b'\n' in raw.rstrip(b'\n') or not raw.strip():
                chk.violation('status %d body is not one line: %r' % (status, raw[:200]), raw)
        else:
            chk.counts['status_other'] += 1
            chk.violation('status %d: %r' % (status, raw[:200]), raw)
        if args.interval > 0:
            time.sleep(args.interval)
    if conn is not None:
        conn.close()
    if times is not None:
        times.close()


def expect_from_name(args):
    """Self-test mode: FILE names start with good- or bad-; each file is
    checked alone (a sequence good-x.1, good-x.2 shares one checker, for
    --monotonic); the verdict must match the name."""
    wrong = 0
    groups = {}
    for path in args.files:
        base = os.path.basename(path)
        groups.setdefault(base.split('.')[0], []).append(path)
    devnull = open(os.devnull, 'w')
    for name, paths in sorted(groups.items()):
        chk = Checker(args)
        saved, sys.stderr = sys.stderr, devnull
        try:
            for path in sorted(paths):
                with open(path, 'rb') as f:
                    chk.check(f.read(), args.format)
        finally:
            sys.stderr = saved
        bad = chk.counts['violations'] > 0
        if bad != name.startswith('bad-'):
            wrong += 1
            print('checkbody: SELFTEST: %s: %s' % (name, 'rejected' if bad else 'accepted'),
                  file=sys.stderr)
    print('checkbody: selftest cases=%d wrong=%d' % (len(groups), wrong))
    return 1 if wrong else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('files', nargs='*')
    ap.add_argument('--format', default='auto', choices=('auto', 'text', 'openmetrics'))
    ap.add_argument('--url')
    ap.add_argument('--seconds', type=float, default=5)
    ap.add_argument('--max-scrapes', type=int, default=0)
    ap.add_argument('--interval', type=float, default=0)
    ap.add_argument('--until-file', help='stop scraping once this file exists')
    ap.add_argument('--formats', default='text,openmetrics')
    ap.add_argument('--allow-status', default='')
    ap.add_argument('--monotonic', action='store_true')
    ap.add_argument('--hammer', action='store_true')
    ap.add_argument('--churn', action='store_true')
    ap.add_argument('--save-dir')
    ap.add_argument('--times', help='write each scrape\'s duration (ms) to this file')
    ap.add_argument('--require-om', action='store_true')
    ap.add_argument('--expect-from-name', action='store_true',
                    help='self-test: files named good-* must pass, bad-* must fail')
    args = ap.parse_args()
    if om_parser is None and args.require_om:
        print('checkbody: SKIP: python module prometheus_client missing '
              '(apt-get install python3-prometheus-client)', file=sys.stderr)
        return 77
    if args.expect_from_name:
        return expect_from_name(args)
    chk = Checker(args)
    if args.url:
        scrape_loop(chk, args)
    for path in args.files:
        with open(path, 'rb') as f:
            chk.check(f.read(), args.format)
    chk.summary()
    if chk.counts['violations'] or (args.url and chk.counts['text'] + chk.counts['openmetrics'] == 0):
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
