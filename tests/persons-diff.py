#!/usr/bin/env python3
"""Compare the persons and groups of a source with a destination's.

  persons-diff.py [--ignore KEY]... [--show N] SOURCE DESTINATION

SOURCE and DESTINATION are each a ph-emu base URL (http://...: its
/_emu/persons and /_emu/groups are read), or a file: one JSON object with
"persons", "groups" and "group_types" (as ph-emu's two dumps hold them),
or NDJSON, one record a line: a person ({"distinct_ids", "properties",
"is_identified"}, as PostHog's persons API returns them), a group
({"group_type" or "group_type_index", "group_key", "group_properties"})
or a group type ({"group_type", "group_type_index"}).

A source person is equal when exactly one destination person holds its
distinct_ids, that person holds no others, and properties (less the
--ignore keys) and is_identified (when both sides say) are the same.  A
group is equal when the destination has its type name and key with the
same properties.  Group types are equal when each name has the same index.

Prints up to --show differences (20), then one line:
  persons: N of M equal, groups: K of L equal
and exits 0 when everything is equal (nothing extra at the destination,
every group type at its index), 1 when not, 2 on bad usage or input.
"""
import argparse
import json
import sys
import urllib.request


def die(msg):
    print("persons-diff: " + msg, file=sys.stderr)
    sys.exit(2)


def fetch(url):
    with urllib.request.urlopen(url) as r:
        return json.load(r)


def load(where):
    """(persons, groups, types): lists of dicts and {name: index}."""
    if where.startswith(("http://", "https://")):
        base = where.rstrip("/")
        p, g = fetch(base + "/_emu/persons"), fetch(base + "/_emu/groups")
        return p["persons"], g["groups"], types_of(g["group_types"])
    with open(where, encoding="utf-8") as f:
        text = f.read()
    try:
        whole = json.loads(text)
    except ValueError:
        whole = None
    if isinstance(whole, dict) and ("persons" in whole or "groups" in whole):
        return (whole.get("persons", []), whole.get("groups", []),
                types_of(whole.get("group_types", [])))
    persons, groups, types = [], [], []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
        except ValueError as e:
            die("%s:%d: %s" % (where, n, e))
        if "distinct_ids" in r:
            persons.append(r)
        elif "group_key" in r:
            groups.append(r)
        elif "group_type" in r:
            types.append(r)
        else:
            die("%s:%d: not a person, group or group type" % (where, n))
    return persons, groups, types_of(types)


def types_of(records):
    return {t["group_type"]: t["group_type_index"] for t in records}


def show(v):
    return json.dumps(v, ensure_ascii=False, sort_keys=True)


def label(p):
    return show(sorted(p["distinct_ids"])[0]) if p["distinct_ids"] else "?"


def prop_diffs(src, dst, ignore):
    out = []
    a = {k: v for k, v in (src or {}).items() if k not in ignore}
    b = {k: v for k, v in (dst or {}).items() if k not in ignore}
    for k in sorted(set(a) | set(b)):
        if k not in b:
            out.append("property %s missing (source: %s)" % (k, show(a[k])))
        elif k not in a:
            out.append("property %s extra (destination: %s)" %
                       (k, show(b[k])))
        elif a[k] != b[k]:
            out.append("property %s: %s at the source, %s at the "
                       "destination" % (k, show(a[k]), show(b[k])))
    return out


def person_diffs(sp, dst, owner_dst, owner_src, ignore):
    ids = set(sp["distinct_ids"])
    held = {owner_dst[d] for d in ids if d in owner_dst}
    if not held:
        return ["missing at the destination"]
    if len(held) > 1:
        return ["split over %d destination persons" % len(held)]
    dp = dst[held.pop()]
    out = []
    extra = set(dp["distinct_ids"]) - ids
    # Not extra & owner_src.keys(): that copies every key, each time.
    others = {d for d in extra if d in owner_src}
    if others:
        out.append("merged with another source person (%s)" %
                   show(sorted(others)[0]))
    if extra - others:
        out.append("%d distinct_ids only at the destination" %
                   len(extra - others))
    if ids - set(dp["distinct_ids"]):
        out.append("%d distinct_ids not at the destination" %
                   len(ids - set(dp["distinct_ids"])))
    out += prop_diffs(sp.get("properties"), dp.get("properties"), ignore)
    if ("is_identified" in sp and "is_identified" in dp and
            sp["is_identified"] != dp["is_identified"]):
        out.append("is_identified %s at the source, %s at the destination" %
                   (show(sp["is_identified"]), show(dp["is_identified"])))
    return out


def owners(persons):
    m = {}
    for i, p in enumerate(persons):
        for d in p["distinct_ids"]:
            m[d] = i
    return m


def group_map(groups, types):
    names = {i: n for n, i in types.items()}
    out = {}
    for g in groups:
        t = g.get("group_type", names.get(g.get("group_type_index")))
        out[(t, str(g["group_key"]))] = g.get("group_properties", {})
    return out


def main():
    ap = argparse.ArgumentParser(prog="persons-diff")
    ap.add_argument("--ignore", action="append", default=[],
                    help="a person property left out of the comparison")
    ap.add_argument("--show", type=int, default=20)
    ap.add_argument("source")
    ap.add_argument("destination")
    a = ap.parse_args()
    try:
        sp, sg, st = load(a.source)
        dp, dg, dt = load(a.destination)
    except (OSError, ValueError, KeyError, TypeError) as e:
        die(str(e))
    notes = []
    ignore = set(a.ignore)
    owner_src, owner_dst = owners(sp), owners(dp)
    equal = 0
    for p in sp:
        d = person_diffs(p, dp, owner_dst, owner_src, ignore)
        equal += not d
        notes += ["person %s: %s" % (label(p), x) for x in d]
    only_dst = [p for p in dp
                if not any(x in owner_src for x in p["distinct_ids"])]
    notes += ["person %s: only at the destination" % label(p)
              for p in only_dst]
    sgm, dgm = group_map(sg, st), group_map(dg, dt)
    gequal = 0
    for k in sorted(sgm, key=str):
        if k not in dgm:
            notes.append("group %s %s: missing at the destination" %
                         (k[0], show(k[1])))
            continue
        d = prop_diffs(sgm[k], dgm[k], set())
        gequal += not d
        notes += ["group %s %s: %s" % (k[0], show(k[1]), x) for x in d]
    gextra = [k for k in dgm if k not in sgm]
    notes += ["group %s %s: only at the destination" % (k[0], show(k[1]))
              for k in sorted(gextra, key=str)]
    tdiff = [t for t in sorted(set(st) | set(dt))
             if st.get(t) != dt.get(t)]
    notes += ["group type %s: index %s at the source, %s at the destination"
              % (t, show(st.get(t)), show(dt.get(t))) for t in tdiff]
    for n in notes[:a.show]:
        print(n)
    if len(notes) > a.show:
        print("... and %d more differences" % (len(notes) - a.show))
    print("persons: %d of %d equal, groups: %d of %d equal" %
          (equal, len(sp), gequal, len(sgm)))
    ok = (equal == len(sp) and not only_dst and gequal == len(sgm) and
          not gextra and not tdiff)
    return 0 if ok else 1


sys.exit(main())
