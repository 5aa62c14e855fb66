#!/usr/bin/env python3
"""Post events to a ph-emu, or ask about its persons and groups.

  persons-q.py URL send JSON-EVENT...     one /batch/ request, prints status
  persons-q.py URL walk PATH MAX          follows next from PATH (the
                                          personal key phx_test) for at
                                          most MAX pages; prints pages,
                                          items, distinct items, and
                                          whether next ran out
  persons-q.py URL get PATH EXPR          prints eval(EXPR) over J, the
                                          answer (or S, its status)
  persons-q.py URL EXPR                   prints eval(EXPR)

EXPR sees P (the persons, as GET /_emu/persons lists them), D (that whole
dump: counts, warning_counts, warnings), G (GET /_emu/groups), and:
  who(did)      the person holding did, or None
  props(did)    its properties without $creator_event_uuid, or None
  ids(did)      its sorted distinct_ids, or None
  idf(did)      its is_identified, or None
  warned(type)  how many ingestion warnings of that type
  types()       the group types as {name: index}
  group(t, k)   the properties of group key k of type name t, or None
"""
import json
import socket
import sys


def http(method, url, body=None, headers=()):
    """(status, body) of one HTTP/1.0 request.  A socket, not urllib:
    the tests call this script hundreds of times, and urllib.request
    costs 40 ms of imports a call."""
    hostport, _, path = url.split("://", 1)[1].partition("/")
    host, _, port = hostport.partition(":")
    head = "%s /%s HTTP/1.0\r\nHost: %s\r\n" % (method, path, hostport)
    for k, v in headers:
        head += "%s: %s\r\n" % (k, v)
    if body is not None:
        head += "Content-Length: %d\r\n" % len(body)
    with socket.create_connection((host, int(port or 80))) as s:
        s.sendall(head.encode() + b"\r\n" + (body or b""))
        reply = b""
        while True:
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            reply += chunk
    top, _, payload = reply.partition(b"\r\n\r\n")
    return int(top.split(b" ", 2)[1]), payload


def fetch(url):
    status, payload = http("GET", url)
    if not 200 <= status < 300:
        sys.exit("%s: %d" % (url, status))
    return json.loads(payload)


def send(base, events):
    body = json.dumps({"api_key": "phc_test", "batch": events}).encode()
    return http("POST", base + "/batch/", body,
                [("Content-Type", "application/json")])[0]


def api(url):
    status, payload = http("GET", url,
                           headers=[("Authorization", "Bearer phx_test")])
    if not 200 <= status < 300:
        return status, None
    return status, json.loads(payload)


def walk(base, path, most):
    url, pages, keys = base + path, 0, []
    while url and pages < most:
        _, j = api(url)
        pages += 1
        keys += [r.get("id", r.get("group_key")) for r in j["results"]]
        url = j["next"]
    print(pages, len(keys), len(set(keys)), url is None)


def main():
    base = sys.argv[1]
    if sys.argv[2] == "send":
        print(send(base, [json.loads(a) for a in sys.argv[3:]]))
        return
    if sys.argv[2] == "walk":
        walk(base, sys.argv[3], int(sys.argv[4]))
        return
    if sys.argv[2] == "get":
        S, J = api(base + sys.argv[3])
        print(eval(sys.argv[4], dict(S=S, J=J)))
        return
    D = fetch(base + "/_emu/persons")
    G = fetch(base + "/_emu/groups")
    P = D["persons"]

    def who(did):
        for p in P:
            if did in p["distinct_ids"]:
                return p
        return None

    def props(did):
        p = who(did)
        if p is None:
            return None
        return {k: v for k, v in p["properties"].items()
                if k != "$creator_event_uuid"}

    def ids(did):
        p = who(did)
        return None if p is None else p["distinct_ids"]

    def idf(did):
        p = who(did)
        return None if p is None else p["is_identified"]

    def warned(t):
        return D["warning_counts"].get(t, 0)

    def types():
        return {t["group_type"]: t["group_type_index"]
                for t in G["group_types"]}

    def group(t, k):
        for g in G["groups"]:
            if g["group_type"] == t and g["group_key"] == k:
                return g["group_properties"]
        return None

    env = dict(P=P, D=D, G=G, who=who, props=props, ids=ids, idf=idf,
               warned=warned, types=types, group=group)
    print(eval(sys.argv[2], env))


main()
