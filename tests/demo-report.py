#!/usr/bin/env python3
"""What arrived against what was there, after a migration by ph.

    demo-report.py SOURCE DESTINATION-STORE [REJECTED...] [--log FILE...]

SOURCE is what the source emulator served; the store is what the
destination accepted.  Events are matched by uuid (the source's "id").
Rejected files are ph-clean's and ph-send's --reject files; --log names
their stderr, from which the reasons are taken.  Prints a table; exits 1
if anything was lost or arrived twice or altered.
"""
import argparse
import collections
import json
import re
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("source")
    ap.add_argument("store")
    ap.add_argument("rejected", nargs="*")
    ap.add_argument("--log", action="append", default=[])
    a = ap.parse_args()

    src = {}
    for line in open(a.source, encoding="utf-8"):
        e = json.loads(line)
        src[e["id"]] = e
    got = collections.Counter()
    altered = 0
    for line in open(a.store, encoding="utf-8"):
        e = json.loads(line)
        u = e.get("uuid")
        got[u] += 1
        s = src.get(u)
        if s is not None and got[u] == 1:
            props = dict(e.get("properties") or {})
            for k in ("$geoip_disable", "$elements_chain", "distinct_id"):
                props.pop(k, None)
            want = dict(s.get("properties") or {})
            want.pop("distinct_id", None)
            if (e["event"] != s["event"] or e["timestamp"] != s["timestamp"]
                    or props != want):
                altered += 1
    rejected = set()
    for path in a.rejected:
        try:
            for line in open(path, encoding="utf-8"):
                try:
                    rejected.add(json.loads(line).get("uuid") or
                                 json.loads(line).get("id"))
                except ValueError:
                    pass
        except FileNotFoundError:
            pass
    reasons = collections.Counter()
    for path in a.log:
        try:
            for line in open(path, encoding="utf-8", errors="replace"):
                m = re.match(r"ph-(?:clean|send): [^ ]*:\d+: (.*)", line)
                if m:
                    reasons[re.sub(r"\d+", "N", m.group(1))] += 1
        except FileNotFoundError:
            pass

    arrived = sum(got.values())
    unique = sum(1 for u in got if u in src)
    dups = sum(c - 1 for c in got.values() if c > 1)
    lost = [u for u in src if u not in got and u not in rejected]
    rows = [
        ("events at the source", len(src)),
        ("events that arrived", arrived),
        ("unique uuids that arrived", unique),
        ("arrived more than once", dups),
        ("rejected, kept in the reject files", len(rejected)),
        ("lost", len(lost)),
        ("arrived altered", altered),
    ]
    print()
    for name, n in rows:
        print("  %-36s %9d" % (name, n))
    for why, n in reasons.most_common():
        print("    rejected %d x: %s" % (n, why))
    ok = not lost and dups == 0 and altered == 0 and \
        unique + len(rejected) == len(src)
    print("\n  %s" % ("every event is accounted for: nothing lost, nothing "
                      "twice, nothing altered" if ok else "PROBLEMS: see above"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
