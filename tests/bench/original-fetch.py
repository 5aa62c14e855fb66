#!/usr/bin/env python3
"""The fetch loop of the blog-post script ph replaces, for the benchmark.

    original-fetch.py HOST KEY > events.ndjson

GET {host}/api/event (100 events a page, newest first); the next page is
{host}/api/event?before=<the value at the end of next's query string>,
one request at a time, as the script did (it retried every failure after
3 s; the emulator here injects none).
"""
import json
import sys
import urllib.parse
import urllib.request


def main():
    host, key = sys.argv[1], sys.argv[2]
    url = host + "/api/event/"
    out = sys.stdout
    while True:
        req = urllib.request.Request(url, headers={
            "Authorization": "Bearer " + key})
        with urllib.request.urlopen(req) as r:
            data = json.load(r)
        for e in data["results"]:
            out.write(json.dumps(e, separators=(",", ":")) + "\n")
        if not data.get("next"):
            break
        before = data["next"].split("before=")[-1].split("&")[0]
        url = host + "/api/event/?before=" + before


if __name__ == "__main__":
    main()
