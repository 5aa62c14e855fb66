#!/usr/bin/env python3
"""The blog-post script ph replaces, whole, for the pipeline benchmark.

    original-pipeline.py SOURCE-HOST PERSONAL-KEY DEST-HOST PROJECT-KEY

Fetch 100 events a page from /api/event, newest first, each next page
from the before= at the end of next's query string; clean each page as
the script did (delete id, a random uuid4 for a blank distinct_id, copy
it into properties); POST the page as one request, no gzip, no
historical_migration, to /capture; one request at a time.
"""
import json
import sys
import urllib.request
import uuid


def get(url, key):
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + key})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def blank(v):
    return not v or str(v).strip().lower() == "none"


def clean(e):
    e = dict(e)
    e.pop("id", None)
    if blank(e.get("distinct_id")):
        e["distinct_id"] = str(uuid.uuid4())
    if "properties" in e and blank(e["properties"].get("distinct_id")):
        e["properties"]["distinct_id"] = e["distinct_id"]
    return e


def main():
    src, pkey, dst, key = sys.argv[1:5]
    url = src + "/api/event/"
    sent = 0
    while True:
        data = get(url, pkey)
        batch = [clean(e) for e in data["results"]]
        if batch:
            body = json.dumps({"api_key": key, "batch": batch}).encode()
            req = urllib.request.Request(dst + "/capture/", data=body,
                headers={"Content-Type": "application/json"})
            urllib.request.urlopen(req).read()
            sent += len(batch)
        if not data.get("next"):
            break
        before = data["next"].split("before=")[-1].split("&")[0]
        url = src + "/api/event/?before=" + before
    print("%d lines migrated" % sent, file=sys.stderr)


if __name__ == "__main__":
    main()
