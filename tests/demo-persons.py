#!/usr/bin/env python3
"""The demo source's persons and groups, as PostHog left them.

    demo-persons.py URL > persons.ndjson

URL is a ph-emu (--persons) that processed the source's history in
timestamp order.  Writes its persons, group types and groups as a
--load-persons file, with what happens outside events at a real source:
a few persons merged in the UI, properties edited and removed through
the API (their definitions kept), and a group renamed.  Deterministic.
"""
import json
import sys
import urllib.request


def fetch(url):
    with urllib.request.urlopen(url) as r:
        return json.load(r)


def main():
    base = sys.argv[1].rstrip("/")
    persons = fetch(base + "/_emu/persons")["persons"]
    groups = fetch(base + "/_emu/groups")
    defined = set()
    for p in persons:
        defined.update(p["properties"])
    persons.sort(key=lambda p: sorted(p["distinct_ids"])[0])
    # Merged in the UI: the second of each pair joins the first.
    kept = []
    for i, p in enumerate(persons):
        if i % 40 == 1 and kept:
            kept[-1]["distinct_ids"] += p["distinct_ids"]
            kept[-1]["is_identified"] = True
            continue
        kept.append(p)
    for i, p in enumerate(kept):
        props = p["properties"]
        if i % 25 == 3:
            props["plan"] = "enterprise"        # edited through the API
        if i % 25 == 7:
            props.pop("email", None)            # removed in the UI
        print(json.dumps({"distinct_ids": p["distinct_ids"],
                          "properties": props,
                          "is_identified": p["is_identified"]}))
    for k in sorted(defined):
        print(json.dumps({"property_definition": k}))
    for t in groups["group_types"]:
        print(json.dumps(t))
    for i, g in enumerate(groups["groups"]):
        props = g["group_properties"]
        if i % 10 == 0:
            props["name"] = props.get("name", "") + " Inc."
        print(json.dumps({"group_type_index": g["group_type_index"],
                          "group_key": g["group_key"],
                          "group_properties": props}))


main()
