#!/usr/bin/env python3
"""Generate realistic PostHog events as NDJSON, with the awkward cases.

    gen-events.py [--count N] [--seed S] [--start ISO] [--days D]
                  [--shape events|query] [--clusters K:SIZE] [--sorted]

Each event is about 1 KB, shaped like the event-listing API's output
(--shape events) or like a query-API/ClickHouse row with `uuid` and
properties as a JSON string (--shape query).  The same arguments give the
same bytes on every run.  Awkward cases, each in a share of the events:
missing, null, empty and "None" distinct_ids; 30-digit integers, 1e-7,
1.0, -0 and 1E+2 as written; raw and escaped non-ASCII text, surrogate
pairs, "\\/" escapes, control characters; autocapture element chains;
person objects; $set/$set_once; long strings; clusters of events that
share one timestamp to the microsecond (--clusters K:SIZE adds K of them).
"""

import argparse
import datetime
import json
import random
import sys
import signal
import uuid

BROWSERS = ["Chrome", "Firefox", "Safari", "Edge", "Opera"]
OSES = ["Mac OS X", "Windows", "Linux", "iOS", "Android"]
PATHS = ["/", "/pricing", "/docs/getting-started", "/blog/how-we-ship",
         "/signup", "/app/insights", "/app/dashboard/12", "/settings"]
CITIES = [("Berlin", "DE"), ("São Paulo", "BR"), ("東京", "JP"),
          ("Zürich", "CH"), ("New York", "US"), ("Kraków", "PL")]
EVENTS = ["$pageview"] * 6 + ["$autocapture"] * 2 + \
    ["$pageleave", "signed_up", "$identify", "invoice paid", "$groupidentify"]

# Raw number text that a JSON library would rewrite; spliced in by marker.
RAW_NUMBERS = {
    "@@BIG@@": "123456789012345678901234567890",
    "@@TINY@@": "1e-7",
    "@@ONE@@": "1.0",
    "@@NEGZERO@@": "-0",
    "@@EXP@@": "1E+2",
    "@@BIGNEG@@": "-98765432109876543210.000000000001",
}


def rand_uuid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def iso(ts_us):
    dt = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + \
        datetime.timedelta(microseconds=ts_us)
    return dt.isoformat(timespec="microseconds")


def timestamps(rng, n, start_us, span_us, clusters):
    ts = [start_us + rng.randrange(span_us) for _ in range(n)]
    k, size = clusters
    for c in range(k):
        # A cluster of events sharing one microsecond, larger than a page.
        at = start_us + rng.randrange(span_us)
        lo = rng.randrange(max(1, n - size))
        for i in range(lo, min(n, lo + size)):
            ts[i] = at
    return ts


def elements_chain(rng):
    return ('button.btn.btn-primary:attr__class="btn btn-primary"'
            'nth-child="%d"nth-of-type="1"text="Sign \\"up\\"";'
            'div.hero:nth-child="2";body:nth-child="1"' % rng.randint(1, 9))


def distinct_id(rng, i):
    r = rng.random()
    if r < 0.02:
        return "MISSING"
    if r < 0.03:
        return None
    if r < 0.04:
        return rng.choice(["", "None", " none ", "NONE"])
    if r < 0.05:
        return "user-é-%d" % (i % 5000)
    return "user-%d" % (i % 5000 if r < 0.7 else rng.randrange(10 ** 6))


def properties(rng, i, did, event):
    city, cc = rng.choice(CITIES)
    path = rng.choice(PATHS)
    p = {
        "$os": rng.choice(OSES),
        "$browser": rng.choice(BROWSERS),
        "$device_type": rng.choice(["Desktop", "Mobile", "Tablet"]),
        "$current_url": "https://example.com%s?ref=%d" % (path, i % 97),
        "$host": "example.com",
        "$pathname": path,
        "$browser_version": rng.randint(90, 130),
        "$screen_height": rng.choice([768, 900, 1080, 1440]),
        "$screen_width": rng.choice([1280, 1440, 1920, 2560]),
        "$lib": "web",
        "$lib_version": "1.%d.0" % rng.randint(50, 180),
        "$insert_id": "%016x" % rng.getrandbits(64),
        "$time": 1.7e9 + rng.random() * 1e7,
        "$device_id": rand_uuid(rng),
        "$session_id": rand_uuid(rng),
        "$window_id": rand_uuid(rng),
        "$referrer": rng.choice(["$direct", "https://www.google.com/",
                                 "https://news.ycombinator.com/"]),
        "$ip": "203.0.113.%d" % rng.randint(1, 254),
        "$geoip_city_name": city,
        "$geoip_country_code": cc,
        "token": "phc_source_project_token",
    }
    if did not in ("MISSING", None) and rng.random() < 0.9:
        p["distinct_id"] = did
    elif rng.random() < 0.5:
        p["distinct_id"] = "None"
    r = rng.random()
    if r < 0.05:
        p["big_int"] = "@@BIG@@"
        p["floats"] = ["@@TINY@@", "@@ONE@@", "@@NEGZERO@@", "@@EXP@@"]
        p["bigneg"] = "@@BIGNEG@@"
    elif r < 0.10:
        p["title"] = "Caf\u00e9 \U0001F600 \u4e2d\u6587 \"quoted\" tab\tnl\nctl\u0001"
        p["clé"] = "valeur"
        p["path/with/slashes"] = "@@SLASH@@"
    elif r < 0.12:
        p["long_text"] = "lorem ipsum " * rng.randint(200, 400)
    if event == "$identify" or rng.random() < 0.05:
        p["$set"] = {"email": "user%d@example.com" % (i % 5000),
                     "plan": rng.choice(["free", "pro", None])}
        p["$set_once"] = {"$initial_referrer": "$direct"}
    if event == "$groupidentify":
        p["$group_type"] = "company"
        p["$group_key"] = "acme-%d" % (i % 50)
        p["$group_set"] = {"name": "Acme %d" % (i % 50), "employees": 12}
    return p


def event_line(rng, i, ts_us, shape):
    event = rng.choice(EVENTS)
    did = distinct_id(rng, i)
    props = properties(rng, i, did, event)
    chain = elements_chain(rng) if event == "$autocapture" else ""
    e = {}
    if shape == "events":
        e["id"] = rand_uuid(rng)
    else:
        e["uuid"] = rand_uuid(rng)
    if did != "MISSING":
        e["distinct_id"] = did
    e["event"] = event
    e["timestamp"] = iso(ts_us)
    e["properties"] = "@@PROPS@@"
    if shape == "events":
        e["person"] = None if rng.random() < 0.7 else {
            "is_identified": True, "distinct_ids": [did],
            "properties": {"email": "user%d@example.com" % (i % 5000)}}
        e["elements"] = [{"tag_name": "button", "text": "Sign up"}] \
            if chain else []
    e["elements_chain"] = chain
    text = json.dumps(e, ensure_ascii=False, separators=(",", ":"))
    ptext = json.dumps(props, ensure_ascii=rng.random() < 0.5,
                       separators=(",", ":"))
    for mark, raw in RAW_NUMBERS.items():
        ptext = ptext.replace('"%s"' % mark, raw)
    ptext = ptext.replace("@@SLASH@@", "a\\/b\\/c")
    if shape == "query":
        ptext = json.dumps(ptext, ensure_ascii=False)
    return text.replace('"@@PROPS@@"', ptext, 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start", default="2024-01-01T00:00:00+00:00")
    ap.add_argument("--days", type=float, default=30)
    ap.add_argument("--shape", choices=["events", "query"], default="events")
    ap.add_argument("--clusters", default="0:0",
                    help="K:SIZE clusters of equal timestamps")
    ap.add_argument("--sorted", action="store_true",
                    help="write oldest first")
    a = ap.parse_args()
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    rng = random.Random(a.seed)
    start = datetime.datetime.fromisoformat(a.start)
    start_us = int(start.timestamp()) * 10 ** 6
    k, size = (int(x) for x in a.clusters.split(":"))
    ts = timestamps(rng, a.count, start_us, int(a.days * 86400e6), (k, size))
    if a.sorted:
        ts.sort()
    out = sys.stdout
    for i, t in enumerate(ts):
        out.write(event_line(rng, i, t, a.shape))
        out.write("\n")


if __name__ == "__main__":
    main()
