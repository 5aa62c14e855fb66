#!/usr/bin/env python3
"""Check that ph-fetch's output holds every source event exactly once.

    same-events.py SOURCE FETCHED [--after ISO] [--before ISO] [--event NAME]
                   [--keep-quotes]

SOURCE is what the emulator was loaded with; FETCHED what ph-fetch wrote.
Every source event in the range must be in FETCHED once, with the same
event, distinct_id, instant and properties; FETCHED must be oldest first.
Events that came through the listing API (which carry "person") must be
the bytes PostHog's listing API serves for the source event: those of
ClickHouse-era versions (2022 to 2026) go through parse_properties
(posthog/models/event/util.py), which makes NaN and Infinity null and
strips '"' from both ends of each top-level string value;
--keep-quotes for a Postgres-era source, which serves them as stored.
Exits 1, naming the first problems, if not.
"""
import argparse
import datetime
import json
import sys


def instant(ts):
    t = datetime.datetime.fromisoformat(ts.replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=datetime.timezone.utc)


DEC = json.JSONDecoder(parse_constant=lambda c: None)


def spans(text, i):
    """The (key, value start, value end) of the object at text[i]."""
    out = []
    ws = json.decoder.WHITESPACE.match
    i = ws(text, i + 1).end()
    while text[i] != "}":
        key, i = json.decoder.scanstring(text, i + 1)
        i = ws(text, ws(text, i).end() + 1).end()
        _, end = DEC.raw_decode(text, i)
        out.append((key, i, end))
        i = ws(text, end).end()
        if text[i] == ",":
            i = ws(text, i + 1).end()
    return out


def nulled(raw):
    """NaN, Infinity, -Infinity outside strings written null."""
    out, i, in_str = [], 0, False
    while i < len(raw):
        c = raw[i]
        if in_str:
            if c == "\\":
                out.append(raw[i:i + 2])
                i += 2
                continue
            in_str = c != '"'
        elif c == '"':
            in_str = True
        else:
            for k in ("NaN", "Infinity", "-Infinity"):
                if raw.startswith(k, i):
                    out.append("null")
                    i += len(k)
                    break
            else:
                out.append(c)
                i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


PAIRS = json.JSONDecoder(parse_constant=lambda c: None,
                         object_pairs_hook=list)


def served_as_stored(line):
    """True when parse_properties would change nothing: no NaN or
    Infinity in the text, and no top-level property string that starts
    or ends with '"' (the common case, checked without a rewrite)."""
    if "NaN" in line or "Infinity" in line:
        return False
    if "\\" not in line:
        return True
    top = dict(PAIRS.decode(line))
    props = top.get("properties")
    if not isinstance(props, list):
        return True
    return not any(isinstance(v, str) and v.strip('"') != v
                   for _, v in props)


def listed(line):
    """The event as the ClickHouse-era listing API serves it."""
    if served_as_stored(line):
        return line
    top = {k: (a, z) for k, a, z in spans(line, line.index("{"))}
    if "properties" not in top or line[top["properties"][0]] != "{":
        return line
    pa, pz = top["properties"]
    out, at = [], pa
    for _, a, z in spans(line, pa):
        out.append(line[at:a])
        v = DEC.decode(line[a:z])
        if isinstance(v, str) and v.strip('"') != v:
            out.append(json.dumps(v.strip('"'), ensure_ascii=False))
        elif isinstance(v, str):
            out.append(line[a:z])
        else:
            out.append(nulled(line[a:z]))
        at = z
    out.append(line[at:pz])
    return line[:pa] + "".join(out) + line[pz:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("source")
    ap.add_argument("fetched")
    ap.add_argument("--after")
    ap.add_argument("--before")
    ap.add_argument("--event")
    ap.add_argument("--keep-quotes", action="store_true")
    a = ap.parse_args()
    lo = instant(a.after) if a.after else None
    hi = instant(a.before) if a.before else None

    want = {}
    for line in open(a.source, encoding="utf-8"):
        e = DEC.decode(line)
        t = instant(e["timestamp"])
        if (lo and t < lo) or (hi and t >= hi):
            continue
        if a.event and e["event"] != a.event:
            continue
        raw = line.rstrip("\n")
        want[e["id"]] = (raw, raw if a.keep_quotes else listed(raw), e)

    problems = []
    seen = set()
    last = None
    n = 0
    for line in open(a.fetched, encoding="utf-8"):
        n += 1
        e = json.loads(line)
        i = e["id"]
        t = instant(e["timestamp"])
        if last and t < last:
            problems.append("line %d: out of order" % n)
        last = t
        if i in seen:
            problems.append("line %d: %s again" % (n, i))
        seen.add(i)
        if i not in want:
            problems.append("line %d: %s is not a source event in range"
                            % (n, i))
            continue
        raw, served, src = want[i]
        if "person" in e:
            if line.rstrip("\n") != served:
                problems.append("line %d: %s is not what the listing API "
                                "serves" % (n, i))
            if served != raw:
                src = DEC.decode(served)
        for k in ("event", "distinct_id", "properties"):
            if e.get(k) != src.get(k):
                problems.append("line %d: %s has another %s" % (n, i, k))
        if t != instant(src["timestamp"]):
            problems.append("line %d: %s has another timestamp" % (n, i))
    missing = [i for i in want if i not in seen]
    for i in missing[:10]:
        problems.append("missing: %s" % i)
    print("same-events: %d in source range, %d fetched, %d missing, "
          "%d problems" % (len(want), n, len(missing), len(problems)))
    for p in problems[:20]:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
