#!/usr/bin/env python3
"""Check that ph-fetch's output holds every source event exactly once.

    same-events.py SOURCE FETCHED [--after ISO] [--before ISO] [--event NAME]

SOURCE is what the emulator was loaded with; FETCHED what ph-fetch wrote.
Every source event in the range must be in FETCHED once, with the same
event, distinct_id, instant and properties; FETCHED must be oldest first;
events that came through the listing API (which carry "person") must be
the source's bytes.  Exits 1, naming the first problems, if not.
"""
import argparse
import datetime
import json
import sys


def instant(ts):
    t = datetime.datetime.fromisoformat(ts.replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=datetime.timezone.utc)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("source")
    ap.add_argument("fetched")
    ap.add_argument("--after")
    ap.add_argument("--before")
    ap.add_argument("--event")
    a = ap.parse_args()
    lo = instant(a.after) if a.after else None
    hi = instant(a.before) if a.before else None

    want = {}
    for line in open(a.source, encoding="utf-8"):
        e = json.loads(line)
        t = instant(e["timestamp"])
        if (lo and t < lo) or (hi and t >= hi):
            continue
        if a.event and e["event"] != a.event:
            continue
        want[e["id"]] = (line.rstrip("\n"), e)

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
        raw, src = want[i]
        if "person" in e and line.rstrip("\n") != raw:
            problems.append("line %d: %s altered" % (n, i))
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
