#!/usr/bin/env python3
"""Compare what a ph-emu destination stored with what was sent.

    check-store.py SENT STORE [--max-dups N] [--expect-missing FILE]
                   [--semantic] [--time-order] [--summary]

SENT holds the capture-ready events that should arrive (one per line,
as given to ph-send); STORE is ph-emu's --store file.  It checks that
every event of SENT is in STORE, byte for byte, found by its uuid; that
no uuid arrived more than once (up to --max-dups extra copies, for runs
that were killed and resumed); that nothing arrived that was not sent;
and that the events of each distinct_id arrived in the order they were
sent (--time-order: oldest first; --semantic: equal as JSON values).  --expect-missing names a file of lines that must NOT arrive (the
ones ph-send was expected to reject).  It prints one line per problem
(at most 20 of a kind), then a summary, and exits 1 when anything is
wrong.
"""

import argparse
import collections
import datetime
import json
import sys


def instant(ts):
    t = datetime.datetime.fromisoformat(ts.replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=datetime.timezone.utc)


def did_of(e):
    d = e.get("distinct_id", e.get("$distinct_id"))
    if d is None:
        d = (e.get("properties") or {}).get("distinct_id")
    return json.dumps(d, sort_keys=True)


def load(path):
    out = []
    with open(path, "rb") as f:
        for raw in f:
            raw = raw.rstrip(b"\n").rstrip(b"\r")
            if raw.strip():
                out.append(raw)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sent")
    ap.add_argument("store")
    ap.add_argument("--max-dups", type=int, default=0)
    ap.add_argument("--expect-missing")
    ap.add_argument("--semantic", action="store_true",
                    help="compare events as JSON values, not bytes")
    ap.add_argument("--time-order", action="store_true",
                    help="check each distinct_id's events arrived oldest "
                    "first, not in SENT's order")
    ap.add_argument("--summary", action="store_true",
                    help="print the summary as JSON on stdout")
    a = ap.parse_args()

    problems = collections.Counter()

    def problem(kind, msg):
        problems[kind] += 1
        if problems[kind] <= 20:
            print("%s: %s" % (kind, msg), file=sys.stderr)

    missing_ok = set()
    if a.expect_missing:
        for raw in load(a.expect_missing):
            missing_ok.add(raw)

    sent = {}
    sent_order = collections.defaultdict(list)
    # A stored line that is a sent one byte for byte (the common case)
    # has its uuid and distinct_id: it need not be parsed again.
    keys = {}
    for raw in load(a.sent):
        if raw in missing_ok:
            continue
        e = json.loads(raw)
        u = e.get("uuid")
        if u is None:
            problem("no-uuid", raw[:80])
            continue
        sent[u] = raw
        keys[raw] = (u, did_of(e))
        sent_order[keys[raw][1]].append(u)

    stored = collections.Counter()
    arrival = collections.defaultdict(list)
    for raw in load(a.store):
        if not a.semantic and raw in keys and sent[keys[raw][0]] == raw:
            u, d = keys[raw]
            stored[u] += 1
            if stored[u] == 1:
                arrival[d].append(u)
            continue
        e = json.loads(raw)
        u = e.get("uuid")
        stored[u] += 1
        if u not in sent:
            if raw in missing_ok:
                problem("should-be-rejected", raw[:120])
            else:
                problem("unexpected", raw[:120])
            continue
        if stored[u] == 1:
            same = json.loads(sent[u]) == e if a.semantic else raw == sent[u]
            if not same:
                problem("altered", u)
            arrival[did_of(e)].append(u)

    lost = [u for u in sent if stored[u] == 0]
    for u in lost:
        problem("lost", u)
    dups = sum(c - 1 for u, c in stored.items() if c > 1)
    if dups > a.max_dups:
        problem("duplicates", "%d extra copies (at most %d allowed)" %
                (dups, a.max_dups))
    for d, order in sent_order.items():
        got = [u for u in arrival.get(d, []) if u in sent]
        if a.time_order:
            ts = [instant(json.loads(sent[u]).get("timestamp")) for u in got]
            ok = all(x <= y for x, y in zip(ts, ts[1:]))
        else:
            ok = got == [u for u in order if stored[u] > 0]
        if not ok:
            problem("order", "distinct_id %s: events arrived out of order"
                    % d)

    summary = {
        "sent": len(sent),
        "stored": sum(stored.values()),
        "unique": sum(1 for u in stored if u in sent),
        "duplicates": dups,
        "lost": len(lost),
        "unexpected": problems["unexpected"] + problems["should-be-rejected"],
        "altered": problems["altered"],
        "out_of_order": problems["order"],
    }
    if a.summary:
        print(json.dumps(summary))
    print("check-store: %s" % " ".join("%s=%d" % kv for kv in
                                       summary.items()), file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
